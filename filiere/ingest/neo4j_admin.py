"""Graph records as the CSV files of ``neo4j-admin database import full``.

The bulk path for a fresh Neo4j database: the same nodes and relationships that a
transactional ingest writes (:func:`filiere.ingest.build.build_batch`), as files that the
import tool reads. Each keyed label is one id space (``id:ID(Item)``, ``code:ID(Country)``);
relationships name the id spaces of their ends (``:START_ID(Supplier)``,
``:END_ID(Region)``). Property columns carry the type the value has in the transactional
store (``:double`` for Python floats, ``:long`` for integers, ``:boolean``, ``:string`` and
arrays ``:string[]``...), so the imported graph equals the transactional one.

Values are written as RFC 4180 fields, UTF-8: every text is quoted (quotes doubled), so that
an empty text (``""``) stays an empty text while a missing property is an empty, unquoted
field. (Python 3.11's :mod:`csv` writes ``None`` and ``""`` the same way, hence the small
field formatter here; the tests read the files back with :mod:`csv`.)

>>> from filiere.graph.records import NodeRecord
>>> n = NodeRecord.make(Label.ITEM, "A", {"name": 'Acier "fin", laminé'}, (Label.MATERIAL,))
>>> _field(n.props["name"])
'"Acier ""fin"", laminé"'
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filiere.errors import FiliereError
from filiere.graph.records import BatchSource, GraphBatch, RecordSource
from filiere.graph.schema import KEY, Label, Rel, constraints_cypher
from filiere.i18n import _, ngettext
from filiere.ingest import admin_rows
from filiere.ingest.build import RecordStream, build_batch, now
from filiere.ingest.readers import dataset_name, read_tables
from filiere.ingest.validate import check, validate

#: Separator of array elements and of labels in one field (the import tool's default).
ARRAY_DELIMITER = ";"
#: The database the launcher's server (and a default Neo4j) serves.
DATABASE = "neo4j"
#: The files written beside the CSV files.
COMMAND_FILE = "import-command.sh"
SCHEMA_FILE = "constraints.cypher"
README_FILE = "README.txt"

#: Python type of a scalar value -> import tool type.
_SCALAR_TYPES: dict[type, str] = {bool: "boolean", int: "long", float: "double", str: "string"}

Progress = Callable[[int], None]


class AdminImportError(FiliereError):
    """The graph cannot be written in the import tool's format."""


def value_type(value: Any) -> str:
    """The import tool's column type of ``value``.

    >>> value_type(0.5), value_type(3), value_type(True), value_type("x"), value_type(["a"])
    ('double', 'long', 'boolean', 'string', 'string[]')
    """
    if isinstance(value, list):
        kinds = {value_type(v) for v in value}
        if len(kinds) != 1:  # an empty or mixed list has no column type (none is built today)
            raise AdminImportError(
                _("cannot write the list {value!r}: expected values of one type").format(
                    value=value
                )
            )
        return f"{kinds.pop()}[]"
    kind = _SCALAR_TYPES.get(type(value))
    if kind is None:
        raise AdminImportError(
            _("cannot write a value of type {type}: {value!r}").format(
                type=type(value).__name__, value=value
            )
        )
    return kind


def _text(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return _bool(value)
    return repr(value) if isinstance(value, float) else str(value)


#: Column type -> how a (present) value of that type is written.
_FORMAT: dict[str, Callable[[Any], str]] = {
    "string": _text,
    "double": repr,
    "long": str,
    "boolean": _bool,
}


def _formatters(types: Mapping[str, str]) -> list[tuple[str, Callable[[Any], str]]]:
    return [(name, _FORMAT.get(kind, _field)) for name, kind in types.items()]


def _fields(props: Mapping[str, Any], formatters: list[tuple[str, Callable[[Any], str]]]) -> Any:
    for name, fmt in formatters:
        value = props.get(name)
        yield "" if value is None else fmt(value)


def _field(value: Any) -> str:
    """One CSV field: ``""`` for a missing value, quoted text, plain numbers and booleans."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list):
        parts = []
        for v in value:
            text = _scalar(v)
            if ARRAY_DELIMITER in text:
                raise AdminImportError(
                    _("list element {value!r} contains the array delimiter {sep!r}").format(
                        value=v, sep=ARRAY_DELIMITER
                    )
                )
            parts.append(text)
        return _text(ARRAY_DELIMITER.join(parts))
    return _scalar(value)


@dataclass
class AdminFiles:
    """The CSV files written for one import, and how to run it."""

    directory: Path
    node_files: list[str] = field(default_factory=list)
    rel_files: list[str] = field(default_factory=list)
    nodes: int = 0
    relationships: int = 0
    multiline: bool = False
    #: Nodes per label (extra labels included) and relationships per type.
    counts: dict[str, int] = field(default_factory=dict)

    def arguments(self, directory: str | None = None, database: str = DATABASE) -> list[str]:
        """The ``neo4j-admin database import full`` arguments (after ``full``).

        Files are named under ``directory`` (default: the folder they were written to).
        The database name comes first: the import tool wants it there since 5.19.
        """
        where = str(self.directory) if directory is None else directory
        args = [database, "--overwrite-destination=true"]
        args += [f"--nodes={where}/{name}" for name in self.node_files]
        args += [f"--relationships={where}/{name}" for name in self.rel_files]
        args += [
            f"--array-delimiter={ARRAY_DELIMITER}",
            "--id-type=string",
            f"--multiline-fields={'true' if self.multiline else 'false'}",
        ]
        return args

    def command(self, database: str = DATABASE) -> str:
        """The shell command to run on the Neo4j server, with the files in ``$DIR``."""
        args = self.arguments("$DIR", database)
        # File names are made of schema names only: "$DIR" is the one thing to expand.
        quoted = [shlex.quote(a).replace("$DIR", "'\"$DIR\"'") for a in args]
        return "neo4j-admin database import full " + " ".join(quoted)


#: Records that can be read more than once: a :class:`RecordStream` or a batch's.
Records = RecordSource
_BatchRecords = BatchSource


#: A record's property types: ``((name, type), ...)`` sorted by name.
_Signature = tuple[tuple[str, str], ...]


def _signature(props: Mapping[str, Any], skip: str | None) -> _Signature:
    return tuple(
        sorted((name, value_type(v)) for name, v in props.items() if name != skip and v is not None)
    )


@dataclass
class _Group:
    """The records of one file group (a label, or a relationship type and its end labels).

    Made from the distinct property signatures of its records (a first pass over them),
    it knows its files before any row is written: a property whose values have different
    types in the group (a text here, a number there) splits the group into several files,
    so that every value keeps its own type; a record without that property goes with the
    first type's records.
    """

    signatures: set[_Signature] = field(default_factory=set)
    mixed: list[str] = field(default_factory=list)
    first: dict[str, str] = field(default_factory=dict)
    parts: list[tuple[tuple[str, ...], dict[str, str]]] = field(default_factory=list)

    def plan(self) -> None:
        seen: dict[str, set[str]] = defaultdict(set)
        for sig in self.signatures:
            for name, kind in sig:
                seen[name].add(kind)
        self.mixed = sorted(name for name, kinds in seen.items() if len(kinds) > 1)
        self.first = {n: min(seen[n]) for n in self.mixed}
        keys = {self.part_key(dict(sig)) for sig in self.signatures}
        for key in sorted(keys):
            types = {name: next(iter(k)) for name, k in seen.items() if name not in self.mixed}
            types.update(zip(self.mixed, key, strict=True))
            self.parts.append((key, dict(sorted(types.items()))))

    def part_key(self, types: Mapping[str, str]) -> tuple[str, ...]:
        return tuple(types.get(n, self.first[n]) for n in self.mixed)

    def part_of(self, props: Mapping[str, Any]) -> tuple[str, ...]:
        if not self.mixed:
            return ()
        return tuple(
            value_type(props[n]) if props.get(n) is not None else self.first[n] for n in self.mixed
        )


class _File:
    """One CSV file being written: its handle, row formatters and row count."""

    def __init__(self, path: Path, header: list[str], types: Mapping[str, str]) -> None:
        self.fh = path.open("w", encoding="utf-8", newline="")
        self.fh.write(",".join(header) + "\n")
        self.formatters = _formatters(types)
        self.rows = 0
        self.multiline = False

    def write(self, row: list[str]) -> None:
        line = ",".join(row)
        if "\n" in line or "\r" in line:
            self.multiline = True
        self.fh.write(line + "\n")
        self.rows += 1


class _Writer:
    def __init__(self, directory: Path, progress: Progress | None) -> None:
        self.files = AdminFiles(directory)
        self.progress = progress
        self.pending = 0

    def advance(self, n: int = 1) -> None:
        if self.progress is None:
            return
        self.pending += n
        if self.pending >= 10_000:
            self.progress(self.pending)
            self.pending = 0

    def flush(self) -> None:
        if self.progress is not None and self.pending:
            self.progress(self.pending)
        self.pending = 0

    def _open(
        self, groups: Mapping[Any, _Group], name: Callable[[Any], str], header: Any
    ) -> tuple[dict[tuple[Any, tuple[str, ...]], _File], list[str]]:
        files: dict[tuple[Any, tuple[str, ...]], _File] = {}
        names = []
        for gkey in sorted(groups):
            group = groups[gkey]
            group.plan()
            for i, (pkey, types) in enumerate(group.parts):
                suffix = "" if len(group.parts) == 1 else f"-{i + 1}"
                fname = f"{name(gkey)}{suffix}.csv"
                files[(gkey, pkey)] = _File(
                    self.files.directory / fname, header(gkey, types), types
                )
                names.append(fname)
        return files, names

    def _close(self, files: Mapping[Any, _File]) -> int:
        rows = 0
        for f in files.values():
            f.fh.close()
            rows += f.rows
            self.files.multiline |= f.multiline
        return rows

    def nodes(self, records: Records) -> None:
        groups: dict[Label, _Group] = defaultdict(_Group)
        for n in records.nodes():
            groups[n.label].signatures.add(_signature(n.props, KEY[n.label]))
            self.advance()

        def header(label: Label, types: Mapping[str, str]) -> list[str]:
            cols = [f"{KEY[label]}:ID({label.value})"]
            cols += [f"{p}:{t}" for p, t in types.items()]
            return [*cols, ":LABEL"]

        files, names = self._open(groups, lambda label: f"nodes-{label.value}", header)
        counts = self.files.counts
        try:
            for n in records.nodes():
                f = files[(n.label, groups[n.label].part_of(n.props))]
                labels = ARRAY_DELIMITER.join(n.labels)
                f.write([_text(n.key), *_fields(n.props, f.formatters), labels])
                for lbl in n.labels:
                    counts[lbl.value] = counts.get(lbl.value, 0) + 1
                self.advance()
        finally:
            self.files.nodes += self._close(files)
        self.files.node_files += names

    def rels(self, records: Records) -> None:
        groups: dict[tuple[Rel, Label, Label], _Group] = defaultdict(_Group)
        for r in records.rels():
            groups[(r.type, r.start_label, r.end_label)].signatures.add(_signature(r.props, None))
            self.advance()

        def header(gkey: tuple[Rel, Label, Label], types: Mapping[str, str]) -> list[str]:
            _rtype, start, end = gkey
            cols = [f":START_ID({start.value})", f":END_ID({end.value})", ":TYPE"]
            return cols + [f"{p}:{t}" for p, t in types.items()]

        def name(gkey: tuple[Rel, Label, Label]) -> str:
            rtype, start, end = gkey
            return f"rels-{rtype.value}-{start.value}-{end.value}"

        files, names = self._open(groups, name, header)
        counts = self.files.counts
        try:
            for r in records.rels():
                gkey = (r.type, r.start_label, r.end_label)
                f = files[(gkey, groups[gkey].part_of(r.props))]
                f.write(
                    [_text(r.start), _text(r.end), r.type.value, *_fields(r.props, f.formatters)]
                )
                counts[r.type.value] = counts.get(r.type.value, 0) + 1
                self.advance()
        finally:
            self.files.relationships += self._close(files)
        self.files.rel_files += names


def write_admin_csv(
    records: GraphBatch | Records,
    directory: str | Path,
    *,
    progress: Progress | None = None,
    total: Progress | None = None,
) -> AdminFiles:
    """Write ``records`` as import tool CSV files in ``directory`` (created; files replaced).

    A :class:`~filiere.ingest.build.RecordStream` (a checked dataset) is written from
    its rows in one pass (:mod:`filiere.ingest.admin_rows`), in the memory of its checked
    rows. Other records are read twice, never gathered: once for the property types (the
    files and their headers), once to write the rows, each to its file. ``progress`` is
    called with the amount of work just done, ``total`` once before with the sum of
    those amounts (records, or table rows on the fast path) when it is known.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("nodes-*.csv"):
        old.unlink()
    for old in out.glob("rels-*.csv"):
        old.unlink()
    files = admin_rows.plan(records) if isinstance(records, RecordStream) else None
    if isinstance(records, RecordStream) and files is not None:
        refs = records.references()
        if total is not None:
            total(len(refs) + sum(f.source_rows for f in files))
        result = _write_rows(refs, files, out, progress)
    else:
        if total is not None and isinstance(records, GraphBatch | RecordStream):
            total(len(records) if isinstance(records, GraphBatch) else records.count())
        source: Records = _BatchRecords(records) if isinstance(records, GraphBatch) else records
        writer = _Writer(out, None if progress is None else _halved(progress))
        writer.nodes(source)
        writer.rels(source)
        writer.flush()
        result = writer.files
    result.node_files.sort()
    result.rel_files.sort()
    result.counts = dict(sorted(result.counts.items()))
    return result


def _write_rows(
    refs: GraphBatch, files: list[admin_rows.FilePlan], out: Path, progress: Progress | None
) -> AdminFiles:
    """The fast path: the reference records, then every table's files from its rows."""
    writer = _Writer(out, None)
    writer.nodes(_BatchRecords(refs))
    writer.rels(_BatchRecords(refs))
    result = writer.files
    if progress is not None:
        progress(len(refs))
    written, counts = admin_rows.write(files, out, progress)
    for f in written:
        if f.node:
            result.node_files.append(f.name)
            result.nodes += f.rows
        else:
            result.rel_files.append(f.name)
            result.relationships += f.rows
        result.multiline |= f.multiline
    for name, n in counts.items():
        result.counts[name] = result.counts.get(name, 0) + n
    return result


def _halved(progress: Progress) -> Progress:
    """``progress`` for a writer that reads each record twice: each record counts once."""
    carry = 0

    def advance(n: int) -> None:
        nonlocal carry
        carry += n
        if carry >= 2:
            progress(carry // 2)
            carry %= 2

    return advance


def count_text(nodes: int, relationships: int) -> str:
    """``547 nodes and 1,428 relationships``, in the language in force."""
    return _("{nodes} and {rels}").format(
        nodes=ngettext("{n} node", "{n} nodes", nodes).format(n=nodes),
        rels=ngettext("{n} relationship", "{n} relationships", relationships).format(
            n=relationships
        ),
    )


def schema_cypher() -> str:
    """The statements that create the schema's constraints, one per line, ``;``-terminated."""
    return "".join(f"{stmt};\n" for stmt in constraints_cypher())


def write_instructions(files: AdminFiles) -> list[Path]:
    """Write the import command, the constraints file and a README beside the CSV files."""
    out = files.directory
    command = out / COMMAND_FILE
    command.write_text(
        "#!/bin/sh\n"
        "# "
        + _("Run on the Neo4j server, the database stopped; replaces database {db}.").format(
            db=DATABASE
        )
        + "\n"
        'DIR="$(cd "$(dirname "$0")" && pwd)"\n' + files.command() + "\n",
        encoding="utf-8",
    )
    command.chmod(0o755)
    schema = out / SCHEMA_FILE
    schema.write_text(schema_cypher(), encoding="utf-8")
    readme = out / README_FILE
    steps = [
        _("Files for a bulk import into a fresh Neo4j 5 database (neo4j-admin database import).")
        + "\n",
        count_text(files.nodes, files.relationships) + ".\n",
        _("1. Stop the database (the import replaces database {db} entirely).").format(db=DATABASE),
        _("2. Run, from this folder, as the user that runs Neo4j ({file}):").format(
            file=COMMAND_FILE
        ),
        "",
        '   DIR="$PWD"',
        "   " + files.command(),
        "",
        _("3. Start Neo4j, then create the constraints ({file}), e.g.:").format(file=SCHEMA_FILE),
        "",
        f"   cypher-shell -d {DATABASE} -f {SCHEMA_FILE}",
        "",
    ]
    readme.write_text("\n".join(steps), encoding="utf-8")
    return [command, schema, readme]


def dataset_records(path: str | Path, *, source: str | None = None) -> RecordStream:
    """Read and check the dataset at ``path`` as ``filiere ingest`` does: its records, streamed.

    Checked on its own (the import replaces the database): a refused dataset raises
    :class:`~filiere.errors.DatasetError` before any file is written. Only the checked
    rows stay in memory (the raw tables are released as they are checked).
    """
    name = source or dataset_name(path)
    checked = check(read_tables(path), None, name=name, release=True)
    return RecordStream(checked, name, now())


def dataset_batch(path: str | Path, *, source: str | None = None) -> GraphBatch:
    """The records of :func:`dataset_records`, built the other way, all in memory.

    Validated into a :class:`~filiere.graph.model.Dataset` then built by
    :func:`~filiere.ingest.build.build_batch`: the reference the tests compare the
    streamed files to (and a small dataset's records at hand).
    """
    name = source or dataset_name(path)
    dataset = validate(read_tables(path), None, name=name)
    return build_batch(dataset, source=name)
