"""Bulk import into the launcher's database with Neo4j's own import tool.

The tool (``org.neo4j:neo4j-import-tool``, the engine's version, resolved by Maven with the
engine) runs as ``neo4j-admin database import full`` would: entry point
``org.neo4j.cli.AdminTool``, ``NEO4J_HOME``/``NEO4J_CONF`` naming where it writes. It writes
into a staging home first; only a finished import replaces the launcher's database
(``<home>/db/data/{databases,transactions}/neo4j``), so a failed import leaves the database
as it was. The server must be stopped: the import is for fresh databases. The schema's
constraints are created at the next :func:`~filiere.neo4j_local.launcher.start`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress, TaskID

from filiere import gcpause
from filiere.i18n import _
from filiere.ingest.load import progress_bar
from filiere.ingest.neo4j_admin import dataset_records, write_admin_csv
from filiere.ingest.readers import dataset_name
from filiere.neo4j_local.launcher import (
    _DB_DIR,
    _JVM_OPTS,
    NEO4J_VERSION,
    SCHEMA_PENDING,
    Neo4jLauncherError,
    _home,
    _locked,
    _which,
    cache_dir,
    ensure_engine,
    status,
)

ADMIN_MAIN = "org.neo4j.cli.AdminTool"
IMPORT_JAR = f"neo4j-import-tool-{NEO4J_VERSION}.jar"
DATABASE = "neo4j"
_STAGING_PREFIX = ".import-staging-"


def database_dirs(home: Path) -> tuple[Path, Path]:
    """The store and transaction-log folders of database ``neo4j`` under a Neo4j home."""
    data = home / "data"
    return data / "databases" / DATABASE, data / "transactions" / DATABASE


def database_exists(home: Path | str | None = None) -> bool:
    """True when the launcher's home already holds database ``neo4j``."""
    store, _logs = database_dirs(_home(home) / _DB_DIR)
    return store.is_dir()


def check_importable(home: Path | str | None = None, *, overwrite: bool = False) -> None:
    """Raise unless a bulk import may write the database of ``home`` now."""
    root = _home(home)
    running = status(root)
    if running is not None:
        raise Neo4jLauncherError(
            _(
                "Neo4j is running in {home} (pid {pid}): the bulk import is for a fresh, "
                "stopped database. Stop it first: filiere neo4j stop --home {home}"
            ).format(home=root, pid=running.pid)
        )
    if database_exists(root) and not overwrite:
        raise Neo4jLauncherError(
            _(
                "{home} already holds a Neo4j database: the bulk import replaces all of it. "
                "Pass --overwrite to confirm, or choose another --home."
            ).format(home=root)
        )


def _tool_classpath() -> str:
    """The engine's jars, the import tool among them (only the jars: any engine build will do)."""
    lib = cache_dir() / "lib"
    if not (lib / IMPORT_JAR).is_file():
        lib = ensure_engine() / "lib"
    if not (lib / IMPORT_JAR).is_file():
        raise Neo4jLauncherError(
            _("the Neo4j import tool ({jar}) is missing from {lib}").format(jar=IMPORT_JAR, lib=lib)
        )
    return str(lib / "*")


def _run_tool(args: Sequence[str], staging: Path, *, heap: str, memory: str, show: bool) -> None:
    """Run ``neo4j-admin database import full ARGS`` into ``staging``; raise on failure."""
    conf = staging / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "neo4j.conf").write_text("", encoding="utf-8")
    cmd = [
        _which("java"), f"-Xmx{heap}", *_JVM_OPTS, "-cp", _tool_classpath(), ADMIN_MAIN,
        "database", "import", "full", *args,
        f"--max-off-heap-memory={memory}",
        "--bad-tolerance=0",
        f"--report-file={staging / 'import.report'}",
    ]  # fmt: skip
    env = {**os.environ, "NEO4J_HOME": str(staging), "NEO4J_CONF": str(conf)}
    tail: deque[str] = deque(maxlen=40)
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=staging,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        raise Neo4jLauncherError(
            _("cannot run the import tool ({java}): {error}").format(java=cmd[0], error=exc)
        ) from exc
    assert proc.stdout is not None
    with proc:
        for line in proc.stdout:
            tail.append(line.rstrip("\n"))
            if show:
                sys.stderr.write(line)
                sys.stderr.flush()
    if proc.returncode != 0:
        message = _("the Neo4j import tool failed (exit {code}); the database is unchanged:")
        raise Neo4jLauncherError(message.format(code=proc.returncode) + "\n" + "\n".join(tail))


def import_csv(
    arguments: Sequence[str],
    home: Path | str | None = None,
    *,
    overwrite: bool = False,
    heap: str = "1g",
    memory: str = "1g",
    show_progress: bool = True,
) -> None:
    """Import CSV files (``arguments`` after ``import full``) as the launcher's database.

    Refused while the server runs, and when the database exists unless ``overwrite``.
    """
    root = _home(home)
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / ".launcher.lock"):
        check_importable(root, overwrite=overwrite)
        for stale in root.glob(f"{_STAGING_PREFIX}*"):  # left by a killed import (we hold the lock)
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=root))
        try:
            _run_tool(arguments, staging, heap=heap, memory=memory, show=show_progress)
            _swap_in(staging, root / _DB_DIR)
            (root / SCHEMA_PENDING).write_text("", encoding="utf-8")
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, db_home: Path) -> None:
    """Replace the database under ``db_home`` by the one imported under ``staging``."""
    new = database_dirs(staging)
    live = database_dirs(db_home)
    for path in new:
        if not path.is_dir():
            raise Neo4jLauncherError(
                _("the import tool wrote no {path}; the database is unchanged").format(path=path)
            )
    old = staging / "replaced"
    old.mkdir()
    for i, (src, dst) in enumerate(zip(new, live, strict=True)):
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.exists():
            dst.rename(old / str(i))
        src.rename(dst)
    with contextlib.suppress(OSError):
        shutil.rmtree(old)


@dataclass
class ImportReport:
    """What :func:`import_dataset` imported."""

    source: str
    home: Path
    nodes: int
    relationships: int
    counts: dict[str, int]


def import_dataset(
    path: str | Path,
    home: Path | str | None = None,
    *,
    source: str | None = None,
    overwrite: bool = False,
    heap: str = "1g",
    memory: str = "1g",
    progress: bool = True,
) -> ImportReport:
    """Validate the dataset at ``path``, write it as import CSV files, import it into ``home``.

    The same validation as ``filiere ingest`` comes first: a refused dataset raises
    :class:`~filiere.errors.DatasetError` and leaves the database untouched.
    """
    root = _home(home)
    check_importable(root, overwrite=overwrite)  # fail fast; checked again under the lock
    name = source or dataset_name(path)
    with gcpause.paused(), _steps(progress) as step:
        with step(_("validating {name}").format(name=Path(path).name)):
            records = dataset_records(path, source=name)
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".import-csv-", dir=root) as tmp:
            with step(_("writing the import files")) as task:
                files = write_admin_csv(records, tmp, progress=task, total=task.set_total)
            del records  # the checked rows: freed before the tool runs beside this process
            with step(_("Neo4j import tool")):
                import_csv(
                    files.arguments(),
                    root,
                    overwrite=overwrite,
                    heap=heap,
                    memory=memory,
                    show_progress=progress,
                )
    return ImportReport(name, root, files.nodes, files.relationships, files.counts)


@dataclass
class _Task:
    """One step's progress: called with the work just done; ``set_total`` once known."""

    progress: Progress | None = None
    task: TaskID | None = None

    def __call__(self, n: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task, n)

    def set_total(self, total: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, total=total)

    def finish(self) -> None:
        if self.progress is not None and self.task is not None:
            done = next(t.total for t in self.progress.tasks if t.id == self.task) or 1
            self.progress.update(self.task, completed=done, total=done)


Step = Callable[[str], contextlib.AbstractContextManager[_Task]]


@contextlib.contextmanager
def _steps(enabled: bool) -> Iterator[Step]:
    """``step(description)`` context managers shown as rich progress on stderr."""
    progress = progress_bar() if enabled else None

    @contextlib.contextmanager
    def step(description: str) -> Iterator[_Task]:
        if progress is None:
            yield _Task()
            return
        task = _Task(progress, progress.add_task(description, total=None))
        try:
            yield task
        finally:
            task.finish()

    if progress is None:
        yield step
        return
    with progress:
        yield step
