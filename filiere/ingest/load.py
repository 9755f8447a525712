"""Loading a dataset into a store: read, validate, build, write -- all or nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from filiere import gcpause
from filiere.graph.model import TABLES
from filiere.graph.records import WriteSummary
from filiere.graph.store import GraphStore
from filiere.i18n import _
from filiere.ingest.build import RecordStream, now
from filiere.ingest.limits import IngestLimits
from filiere.ingest.readers import dataset_name, read_tables
from filiere.ingest.tables import RawTable
from filiere.ingest.validate import CheckedDataset, check


@dataclass
class LoadReport:
    """What a load (or a ``--check``) did.

    ``rows`` counts the valid rows per table; ``summary`` is ``None`` for a check,
    which writes nothing.
    """

    source: str
    store: str
    store_kind: str
    rows: dict[str, int] = field(default_factory=dict)
    summary: WriteSummary | None = None
    replaced: bool = False

    @property
    def checked_only(self) -> bool:
        return self.summary is None


class _Steps:
    """A rich progress display on stderr, or nothing."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress

    @contextlib.contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[_Advance]:
        if self.progress is None:
            yield _Advance(None, None)
            return
        task = self.progress.add_task(description, total=total)
        try:
            yield _Advance(self.progress, task)
        finally:
            self.progress.update(task, completed=total or 1, total=total or 1)


@dataclass
class _Advance:
    progress: Progress | None
    task: object

    def __call__(self, n: int) -> None:
        if self.progress is not None and n:
            self.progress.advance(self.task, n)  # type: ignore[arg-type]


@contextlib.contextmanager
def _steps(enabled: bool) -> Iterator[_Steps]:
    if not enabled:
        yield _Steps(None)
        return
    with progress_bar(transient=True) as progress:
        yield _Steps(progress)


def progress_bar(*, transient: bool = False) -> Progress:
    """The progress display of long loads: steps with bar, count and time, on stderr."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=transient,
    )


def load(
    path: str | Path,
    store: GraphStore,
    *,
    replace: bool = False,
    check_only: bool = False,
    progress: bool = True,
    source: str | None = None,
    atomic: bool = True,
    limits: IngestLimits | None = None,
) -> LoadReport:
    """Load the dataset at ``path`` (folder of CSVs, xlsx, JSON, zip) into ``store``.

    ``source`` (default: the folder name or file stem) is written on every node and
    relationship. A refused dataset raises :class:`~filiere.errors.DatasetError` and
    leaves the store untouched; ``check_only`` validates against the store and writes
    nothing; ``replace`` empties the store in the same atomic write. ``atomic=False``
    lets Neo4j commit the (validated) write in batches, for datasets too large for one
    transaction on the server (see :meth:`filiere.graph.store.GraphStore.write`).
    ``limits`` (default: the settings') bound what the files may expand to.
    """
    with gcpause.paused(), _steps(progress) as steps:
        with steps.step(_("reading {name}").format(name=Path(path).name)):
            tables = read_tables(path, limits)
        name = source or dataset_name(path)
        # The tables are this call's own: their text goes once checked (memory).
        return _load(tables, store, steps, name, replace, check_only, atomic, release=True)


def load_tables(
    tables: Mapping[str, RawTable],
    store: GraphStore,
    *,
    source: str,
    replace: bool = False,
    check_only: bool = False,
    progress: bool = True,
    atomic: bool = True,
) -> LoadReport:
    """Validate and load tables already read (uploads, real-source adapters)."""
    with gcpause.paused(), _steps(progress) as steps:
        return _load(tables, store, steps, source, replace, check_only, atomic)


def _load(
    tables: Mapping[str, RawTable],
    store: GraphStore,
    steps: _Steps,
    source: str,
    replace: bool,
    check_only: bool,
    atomic: bool,
    *,
    release: bool = False,
) -> LoadReport:
    if check_only:
        with steps.step(_("validating")):
            checked = check(tables, None if replace else store, name=source, release=release)
        return _report(tables, checked, store, source, replace=False)
    # Validation and write under the store's writer lock: concurrent ingests behave as
    # if run one after the other (the second sees the first's rows, cycles included).
    with store.exclusive():
        with steps.step(_("validating")):
            # With --replace the store is emptied first: its content does not count.
            checked = check(tables, None if replace else store, name=source, release=release)
        report = _report(tables, checked, store, source, replace=replace)
        # Records are made as the store writes them: never all in memory at once (the
        # embedded store); a store that writes a whole batch gathers them itself.
        records = RecordStream(checked, source, now())
        with steps.step(
            _("writing to {kind} store").format(kind=store.kind), total=records.count()
        ) as advance:
            report.summary = store.write_records(
                records.nodes(), records.rels(), replace=replace, progress=advance, atomic=atomic
            )
    return report


def _report(
    tables: Mapping[str, RawTable],
    checked: CheckedDataset,
    store: GraphStore,
    source: str,
    *,
    replace: bool,
) -> LoadReport:
    present = {t.name for t in tables.values()}
    rows = {name: checked.count(name) for name in TABLES if name in present}
    return LoadReport(source, store.uri, store.kind, rows, replaced=replace)
