"""Import tool files written straight from a checked dataset's rows: one pass, no records.

The fast path of :func:`~filiere.ingest.neo4j_admin.write_admin_csv` for ``filiere neo4j
import``: each table's rows (compact tuples, :class:`~filiere.ingest.validate.CheckedTable`)
become the CSV rows of its files through :func:`operator.itemgetter` and
:meth:`csv.writer.writerows`, without a :class:`~filiere.graph.records.NodeRecord` or a
props dict per row. It writes what :class:`~filiere.ingest.build.RecordStream` would make
of the same rows (the tests compare the two): the same properties, provenance, extra
labels and end nodes.

The property type of each column is read from its values before any file is written
(one C-level scan per column); a column that has values of two types, or of a type that
is not a plain text, integer or float, makes :func:`plan` return ``None`` and the caller
writes the records instead (the general path, which splits such a file in two).

Fields are written with :data:`csv.QUOTE_MINIMAL`: a missing value is an empty field.
A checked row never holds an empty text (an empty cell is a missing value), so an
empty field always means "no property", as in the general path's files.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic_core import PydanticUndefined

from filiere.graph.model import TABLES
from filiere.graph.schema import KEY, Kind, Label, Rel
from filiere.ingest.build import _ITEM_PROPS, _SUPPLIER_PROPS, _hs_chain, process_id

if TYPE_CHECKING:
    from filiere.ingest.build import RecordStream
    from filiere.ingest.validate import CheckedTable

#: Separator of labels in the ``:LABEL`` field (the import tool's array delimiter).
LABEL_DELIMITER = ";"
#: Rows handed to :meth:`csv.writer.writerows` at a time (and between progress calls).
CHUNK = 65_536
#: The provenance properties every record carries.
PROVENANCE = ("source", "loaded_at")

Row = tuple[Any, ...]
Progress = Callable[[int], None]


class _NotFlat(Exception):
    """A column whose values the fast path does not write (the general path will)."""


def _column_type(types: set[type]) -> str | None:
    """The import tool type of a column whose values are of ``types`` (``None``: no value)."""
    kinds = set()
    for t in types - {type(None)}:
        if issubclass(t, bool):
            raise _NotFlat  # csv would write True: the general path writes true
        if issubclass(t, int):
            kinds.add("long")
        elif issubclass(t, float):
            kinds.add("double")
        elif issubclass(t, str):
            kinds.add("string")
        else:
            raise _NotFlat
    if len(kinds) > 1:
        raise _NotFlat
    return kinds.pop() if kinds else None


@dataclass
class _Prop:
    """One property column: from the row (``index``) or a constant, with a fallback."""

    name: str
    index: int | None
    fallback: Any = None


@dataclass
class _Table:
    """One checked table's valid rows (its model tuples) and what its columns hold."""

    table: CheckedTable
    rows: list[Row]
    defaults: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, table: CheckedTable) -> _Table:
        defaults = {
            name: f.default
            for name, f in TABLES[table.name].model_fields.items()
            if f.default is not PydanticUndefined and f.default is not None
        }
        return cls(table, [r.model for r in table.rows if r.model is not None], defaults)

    def index(self, col: str) -> int | None:
        return self.table.index.get(col)

    def extras(self) -> list[str]:
        """The columns that are not fields of the table's model (kept as properties)."""
        fields = TABLES[self.table.name].model_fields
        return [c for c in self.table.columns if c not in fields]

    def field(self, name: str) -> _Prop:
        """A model field: the row's value, or the field's default when it is empty."""
        return _Prop(name, self.index(name), self.defaults.get(name))

    def types(self, prop: _Prop) -> set[type]:
        if prop.index is None:
            return {type(prop.fallback)}
        return set(map(type, map(itemgetter(prop.index), self.rows)))


@dataclass
class FilePlan:
    """One file to write: its name, header and rows, made when it is written."""

    name: str
    node: bool
    header: list[str]
    rows: Callable[[], Iterable[Row]]
    counts: Counter[str] = field(default_factory=Counter)
    #: The table rows it reads (its progress total: a row may make no line).
    source_rows: int = 0


@dataclass
class Written:
    """A file the fast path wrote."""

    name: str
    node: bool
    rows: int
    multiline: bool


class _Planner:
    """Turns a :class:`RecordStream`'s tables into :class:`FilePlan` plans."""

    def __init__(self, records: RecordStream) -> None:
        self.ds = records.dataset
        self.prov = {"source": records.source, "loaded_at": records.loaded_at}
        self.files: list[FilePlan] = []
        self._tables: dict[str, _Table] = {}

    def table(self, name: str) -> _Table | None:
        """The checked table ``name`` (``None``: the dataset has none), made once."""
        if name not in self._tables:
            t = self.ds.tables.get(name)
            if t is None:
                return None
            self._tables[name] = _Table.of(t)
        return self._tables[name]

    def props(
        self, t: _Table, props: list[_Prop], *, node: bool, extras: bool = True
    ) -> list[_Prop]:
        """``props`` with the extra columns and provenance, as the records have them.

        A node's provenance replaces an extra column of that name; a relationship's
        extra column replaces its provenance (when the row has a value). Without
        ``extras``, the provenance only (a link that a row makes beside its own record).
        """
        out = {p.name: p for p in props}
        for col in t.extras() if extras else ():
            if col in PROVENANCE and node:
                continue
            out[col] = _Prop(col, t.index(col), self.prov.get(col))
        for name in PROVENANCE:
            out.setdefault(name, _Prop(name, None, self.prov[name]))
        return sorted(out.values(), key=lambda p: p.name)

    def getter(
        self, t: _Table, ids: list[_Prop], props: list[_Prop], tail: list[_Prop]
    ) -> tuple[list[str], Callable[[Row], Row]]:
        """The typed property names of ``props`` and a row's CSV fields (ids, props, tail).

        ``tail`` and the ids are fields without a type (``:LABEL``, ``:TYPE``, ends).
        """
        typed: list[str] = []
        columns: list[_Prop] = list(ids)
        missing: set[str] = set()
        for p in props:
            types = t.types(p)
            if type(None) in types:
                missing.add(p.name)
                if p.fallback is not None:
                    types.add(type(p.fallback))
            kind = _column_type(types)
            if kind is not None:
                typed.append(f"{p.name}:{kind}")
                columns.append(p)
        columns += tail
        consts: list[Any] = []
        positions: list[int] = []
        width = len(t.table.columns)
        fixes: list[tuple[int, Any]] = []
        for pos, p in enumerate(columns):
            if p.index is None:
                positions.append(width + len(consts))
                consts.append(p.fallback)
            else:
                positions.append(p.index)
                if p.fallback is not None and p.name in missing:
                    fixes.append((pos, p.fallback))
        return typed, _row_maker(positions, tuple(consts), fixes)

    def nodes(self, name: str, label: Label, fields: tuple[str, ...]) -> None:
        t = self.table(name)
        if t is None:
            return
        key = _Prop(KEY[label], t.index(KEY[label]))
        props = self.props(t, [t.field(f) for f in fields if f != KEY[label]], node=True)
        if label is Label.ITEM:
            kind_at = t.index("kind")
            assert kind_at is not None  # a required column
            labels = {k.value: f"{label.value}{LABEL_DELIMITER}{k.label.value}" for k in Kind}
            kinds = Counter(
                {
                    Kind(k).label.value: n
                    for k, n in Counter(map(itemgetter(kind_at), t.rows)).items()
                }
            )
            # The label column goes last, made row by row from the kind.
            typed, make = self.getter(t, [key], props, [])

            def rows() -> Iterator[Row]:
                for m in t.rows:
                    yield (*make(m), labels[m[kind_at]])

            counts = Counter({label.value: len(t.rows), **kinds})
        else:
            typed, make = self.getter(t, [key], props, [_Prop(":LABEL", None, label.value)])

            def rows() -> Iterator[Row]:
                return map(make, t.rows)

            counts = Counter({label.value: len(t.rows)})
        header = [f"{KEY[label]}:ID({label.value})", *typed, ":LABEL"]
        self.files.append(FilePlan(f"nodes-{label.value}", True, header, rows, counts, len(t.rows)))

    def rels(
        self,
        t: _Table,
        rtype: Rel,
        start: tuple[Label, str],
        end: tuple[Label, str],
        props: list[_Prop],
        *,
        where: Callable[[Row], Any] | None = None,
        end_of: Callable[[Any], Any] | None = None,
        extras: bool = True,
    ) -> None:
        """A relationship file: one row for each table row (``where`` it holds).

        ``end_of`` maps the end column's value to the end node's key (``None``: no row).
        """
        (a, acol), (b, bcol) = start, end
        ends = [_Prop(":START_ID", t.index(acol)), _Prop(":END_ID", t.index(bcol))]
        kind = _Prop(":TYPE", None, rtype.value)
        typed, make = self.getter(
            t, [*ends, kind], self.props(t, props, node=False, extras=extras), []
        )
        end_at = t.index(bcol)
        assert end_at is not None

        def rows() -> Iterator[Row]:
            if where is None and end_of is None:
                return map(make, t.rows)
            return self._filtered(t.rows, make, where, end_of, end_at)

        header = [f":START_ID({a.value})", f":END_ID({b.value})", ":TYPE", *typed]
        name = f"rels-{rtype.value}-{a.value}-{b.value}"
        self.files.append(
            FilePlan(name, False, header, rows, Counter({rtype.value: 0}), len(t.rows))
        )

    @staticmethod
    def _filtered(
        rows: list[Row],
        make: Callable[[Row], Row],
        where: Callable[[Row], Any] | None,
        end_of: Callable[[Any], Any] | None,
        end_at: int,
    ) -> Iterator[Row]:
        for m in rows:
            if where is not None and not where(m):
                continue
            out = make(m)
            if end_of is not None:
                key = end_of(m[end_at])
                if key is None:
                    continue
                out = (out[0], key, *out[2:])
            yield out

    def plan(self) -> list[FilePlan]:
        item, supplier = (Label.ITEM, "id"), (Label.SUPPLIER, "id")
        self.nodes("items", Label.ITEM, ("id", *_ITEM_PROPS))
        self.nodes("suppliers", Label.SUPPLIER, ("id", *_SUPPLIER_PROPS))
        if (t := self.table("items")) is not None:
            self.rels(
                t,
                Rel.CLASSIFIED_AS,
                item,
                (Label.HSCODE, "hs_code"),
                [],
                end_of=_hs_parent,
                extras=False,
            )
        if (t := self.table("suppliers")) is not None:
            self.rels(t, Rel.LOCATED_IN, supplier, (Label.COUNTRY, "country"), [], extras=False)
            region = t.index("region")
            if region is not None:
                has_region = itemgetter(region)
                self.rels(
                    t,
                    Rel.LOCATED_IN,
                    supplier,
                    (Label.REGION, "region"),
                    [],
                    where=has_region,
                    extras=False,
                )
        simple: list[tuple[str, Rel, tuple[Label, str], tuple[Label, str], tuple[str, ...]]] = [
            ("bom", Rel.CONTAINS, (Label.ITEM, "parent"), (Label.ITEM, "child"), ("quantity",)),
            ("supplies", Rel.SUPPLIES, (Label.SUPPLIER, "supplier"), (Label.ITEM, "item"),
             ("share",)),
            ("offers", Rel.OFFERS, (Label.SUPPLIER, "supplier"), (Label.ITEM, "item"), ()),
            ("makes", Rel.MAKES, (Label.SUPPLIER, "supplier"), (Label.ITEM, "item"), ()),
            ("substitutes", Rel.SUBSTITUTES, (Label.ITEM, "substitute"), (Label.ITEM, "item"),
             ("compatibility",)),
            ("production", Rel.PRODUCES, (Label.COUNTRY, "country"), (Label.ITEM, "material"),
             ("share", "stage", "year")),
        ]  # fmt: skip
        for name, rtype, start, end, fields in simple:
            if (t := self.table(name)) is not None:
                props = [t.field(f) for f in fields]
                if name == "production":  # its own source, else the dataset's
                    props.append(_Prop("source", t.index("source"), self.prov["source"]))
                self.rels(t, rtype, start, end, props)
        for name, rtype, start in (
            ("processes", Rel.REQUIRES, (Label.ITEM, "item")),
            ("capabilities", Rel.MASTERS, (Label.SUPPLIER, "supplier")),
        ):
            if (t := self.table(name)) is not None:
                ids = _ProcessIds()
                self.rels(t, rtype, start, (Label.PROCESS, "process"), [], end_of=ids)
        return self.files


class _ProcessIds(dict[str, str]):
    """Process names -> ids, each name canonicalised once."""

    def __call__(self, name: str) -> str:
        pid = self.get(name)
        if pid is None:
            pid = self[name] = process_id(name)
        return pid


def _hs_parent(code: str | None) -> str | None:
    """The HS code node an item is classified under (``None``: none in the reference)."""
    chain = _hs_chain(code) if code else ()
    return chain[0].code if chain else None


def _row_maker(
    positions: list[int], consts: Row, fixes: list[tuple[int, Any]]
) -> Callable[[Row], Row]:
    """A function of a row's model tuple: the fields at ``positions`` of ``row + consts``.

    ``fixes`` are ``(field, fallback)``: the fallback written when the value is missing.
    """
    get = itemgetter(*positions)
    if len(positions) == 1:
        return lambda m: (get(m + consts),)
    if not fixes:
        return lambda m: get(m + consts)

    def make(m: Row) -> Row:
        out = list(get(m + consts))
        for pos, fallback in fixes:
            if out[pos] is None:
                out[pos] = fallback
        return tuple(out)

    return make


def plan(records: RecordStream) -> list[FilePlan] | None:
    """The files of the dataset's rows, or ``None`` when a column is not flat (see above)."""
    try:
        return _Planner(records).plan()
    except _NotFlat:
        return None


def write(
    files: list[FilePlan], directory: Path, progress: Progress | None = None
) -> tuple[list[Written], Counter[str]]:
    """Write the planned ``files`` in ``directory``; return those with rows and the counts.

    A file that gets no row is removed (the general path writes no file for no record).
    ``progress`` adds up to the files' :attr:`FilePlan.source_rows`.
    """
    written: list[Written] = []
    counts: Counter[str] = Counter()
    for f in files:
        path = directory / f"{f.name}.csv"
        rows = 0
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(f.header) + "\n")
            out = csv.writer(fh, lineterminator="\n")
            source = iter(f.rows())
            while chunk := list(islice(source, CHUNK)):
                out.writerows(chunk)
                rows += len(chunk)
                if progress is not None:
                    progress(len(chunk))
        if progress is not None and f.source_rows > rows:
            progress(f.source_rows - rows)  # the rows that made no line
        if not rows:
            path.unlink()
            continue
        if f.node:
            counts.update(f.counts)
        else:
            counts.update({k: rows for k in f.counts})
        written.append(Written(path.name, f.node, rows, _line_breaks(path) != rows + 1))
    return written, counts


def _line_breaks(path: Path) -> int:
    """How many line breaks (``\\n`` or ``\\r``) ``path`` holds: more than rows when
    a quoted field spans lines."""
    n = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 24):
            n += chunk.count(b"\n") + chunk.count(b"\r")
    return n
