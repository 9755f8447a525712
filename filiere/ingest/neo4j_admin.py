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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filiere.errors import FiliereError
from filiere.graph.records import GraphBatch, NodeRecord, RelRecord
from filiere.graph.schema import KEY, Label, Rel, constraints_cypher
from filiere.i18n import _, ngettext
from filiere.ingest.build import build_batch
from filiere.ingest.readers import dataset_name, read_tables
from filiere.ingest.validate import validate

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


def _groups(records: Iterable[Any], key: Callable[[Any], Any]) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for r in records:
        out[key(r)].append(r)
    return out


def _split_by_types(
    records: Sequence[Any], props: Callable[[Any], Mapping[str, Any]], skip: str | None
) -> list[tuple[dict[str, str], list[Any]]]:
    """Records with one type per property column: ``[(column -> type, records)]``.

    A property whose values have different types in the group (a text here, a number
    there) splits the group, so that every value keeps its own type.
    """
    seen: dict[str, set[str]] = defaultdict(set)
    for r in records:
        for name, value in props(r).items():
            if name != skip and value is not None:
                seen[name].add(value_type(value))
    mixed = sorted(name for name, kinds in seen.items() if len(kinds) > 1)
    if not mixed:
        return [({name: next(iter(k)) for name, k in sorted(seen.items())}, list(records))]
    # A record without the property goes with the first type's records.
    first = {n: min(seen[n]) for n in mixed}
    parts = _groups(
        records,
        lambda r: tuple(
            value_type(props(r)[n]) if props(r).get(n) is not None else first[n] for n in mixed
        ),
    )
    out = []
    for kinds, part in sorted(parts.items()):
        types = {name: next(iter(k)) for name, k in seen.items() if name not in mixed}
        types.update(zip(mixed, kinds, strict=True))
        out.append((dict(sorted(types.items())), part))
    return out


class _Writer:
    def __init__(self, directory: Path, progress: Progress | None) -> None:
        self.files = AdminFiles(directory)
        self.progress = progress

    def _write(self, name: str, header: list[str], rows: Iterable[list[str]]) -> int:
        count = 0
        with (self.files.directory / name).open("w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(header) + "\n")
            for row in rows:
                line = ",".join(row)
                if "\n" in line or "\r" in line:
                    self.files.multiline = True
                fh.write(line + "\n")
                count += 1
                if self.progress is not None and count % 10_000 == 0:
                    self.progress(10_000)
        if self.progress is not None:
            self.progress(count % 10_000)
        return count

    def nodes(self, label: Label, records: Sequence[NodeRecord]) -> None:
        key = KEY[label]
        parts = _split_by_types(records, lambda n: n.props, key)
        for i, (types, part) in enumerate(parts):
            name = f"nodes-{label.value}{'' if len(parts) == 1 else f'-{i + 1}'}.csv"
            header = [f"{key}:ID({label.value})"]
            header += [f"{p}:{t}" for p, t in types.items()]
            header.append(":LABEL")
            formatters = _formatters(types)

            def rows(part: list[NodeRecord] = part, fmts: Any = formatters) -> Any:
                for n in part:
                    labels = ARRAY_DELIMITER.join(n.labels)
                    yield [_text(n.key), *_fields(n.props, fmts), labels]

            self.files.nodes += self._write(name, header, rows())
            self.files.node_files.append(name)

    def rels(self, rtype: Rel, start: Label, end: Label, records: Sequence[RelRecord]) -> None:
        parts = _split_by_types(records, lambda r: r.props, None)
        for i, (types, part) in enumerate(parts):
            suffix = "" if len(parts) == 1 else f"-{i + 1}"
            name = f"rels-{rtype.value}-{start.value}-{end.value}{suffix}.csv"
            header = [f":START_ID({start.value})", f":END_ID({end.value})", ":TYPE"]
            header += [f"{p}:{t}" for p, t in types.items()]
            formatters = _formatters(types)

            def rows(part: list[RelRecord] = part, fmts: Any = formatters) -> Any:
                for r in part:
                    yield [_text(r.start), _text(r.end), r.type.value, *_fields(r.props, fmts)]

            self.files.relationships += self._write(name, header, rows())
            self.files.rel_files.append(name)


def write_admin_csv(
    batch: GraphBatch, directory: str | Path, *, progress: Progress | None = None
) -> AdminFiles:
    """Write ``batch`` as import tool CSV files in ``directory`` (created; files replaced).

    ``progress`` is called with the number of records just written.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("nodes-*.csv"):
        old.unlink()
    for old in out.glob("rels-*.csv"):
        old.unlink()
    writer = _Writer(out, progress)
    nodes = _groups(batch.nodes, lambda n: n.label)
    for label in sorted(nodes):
        writer.nodes(label, nodes[label])
    rels = _groups(batch.rels, lambda r: (r.type, r.start_label, r.end_label))
    for rtype, start, end in sorted(rels):
        writer.rels(rtype, start, end, rels[(rtype, start, end)])
    return writer.files


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


def dataset_batch(path: str | Path, *, source: str | None = None) -> GraphBatch:
    """Read and validate the dataset at ``path`` as ``filiere ingest`` does, then build it.

    Validated on its own (the import replaces the database): a refused dataset raises
    :class:`~filiere.errors.DatasetError` before any file is written.
    """
    name = source or dataset_name(path)
    dataset = validate(read_tables(path), None, name=name)
    return build_batch(dataset, source=name)
