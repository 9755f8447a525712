"""Validation: raw tables in, a :class:`~filiere.graph.model.Dataset` out, or every problem.

:func:`validate` never stops at the first problem: it collects them all, sorted by file
and line, and raises one :class:`~filiere.errors.DatasetError`. Given a store, it
accepts references to items and suppliers that the store already holds, and looks for
bill-of-materials cycles through the store's ``CONTAINS`` relationships too.

>>> from filiere.ingest.tables import table_from_cells
>>> items = table_from_cells("items", "items.csv", [(1, ["id", "name", "kind"]),
...     (2, ["A", "Aimant", "Component"]), (3, ["A", "Acier", "alloy"])])
>>> try:
...     validate({"items": items})
... except DatasetError as e:
...     print("\\n".join(str(i) for i in e.issues))
items.csv:3: unknown kind 'alloy' (expected product, component or material)
items.csv:3: duplicate item id 'A' (first at line 2)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from filiere.errors import DatasetError, DatasetIssue
from filiere.graph import reference as ref
from filiere.graph.model import TABLES, Dataset
from filiere.graph.schema import Kind, Label, Rel
from filiere.graph.store import GraphStore
from filiere.i18n import N_, _, ngettext
from filiere.ingest.build import process_id
from filiere.ingest.cycles import find_cycles
from filiere.ingest.tables import RawTable
from filiere.ingest.values import parse_int, parse_number
from filiere.wording import kind as kind_name

#: Required columns of each table.
REQUIRED: dict[str, tuple[str, ...]] = {
    "items": ("id", "name", "kind"),
    "bom": ("parent", "child"),
    "suppliers": ("id", "name", "country"),
    "supplies": ("supplier", "item"),
    "offers": ("supplier", "item"),
    "makes": ("supplier", "item"),
    "substitutes": ("item", "substitute"),
    "processes": ("item", "process"),
    "capabilities": ("supplier", "process"),
    "production": ("material", "country", "share"),
}

#: Columns that hold provenance and may not come from a file (``source`` is allowed in
#: production, where it names the publication the share comes from).
RESERVED = ("source", "loaded_at")

#: Tolerance on share sums, for rounding in spreadsheets.
SHARE_TOLERANCE = 0.01

#: Columns that reference an item or a supplier, by table.
ITEM_REFS: dict[str, tuple[str, ...]] = {
    "bom": ("parent", "child"),
    "supplies": ("item",),
    "offers": ("item",),
    "makes": ("item",),
    "substitutes": ("item", "substitute"),
    "processes": ("item",),
    "production": ("material",),
}
SUPPLIER_REFS: dict[str, tuple[str, ...]] = {
    "supplies": ("supplier",),
    "offers": ("supplier",),
    "makes": ("supplier",),
    "capabilities": ("supplier",),
}

#: The columns that identify a relationship row (duplicates are refused).
IDENTITY: dict[str, tuple[str, ...]] = {
    "bom": ("parent", "child"),
    "supplies": ("supplier", "item"),
    "offers": ("supplier", "item"),
    "makes": ("supplier", "item"),
    "substitutes": ("item", "substitute"),
    "processes": ("item", "process"),
    "capabilities": ("supplier", "process"),
    "production": ("material", "country", "stage", "year"),
}

Converter = Callable[[str], tuple[Any, str | None]]


def _number(
    col: str, ok: Callable[[float], bool], expect: str, *, percent: bool = False
) -> Converter:
    """A converter of a number column; ``expect`` is an ``N_()``-marked English text."""

    def convert(text: str) -> tuple[Any, str | None]:
        value = parse_number(text, percent=percent)
        if value is None or not ok(value):
            return None, _("{col} must be {expect}, got {text!r}").format(
                col=col, expect=_(expect), text=text
            )
        return value, None

    return convert


_KINDS = frozenset(k.value for k in Kind)


def _kind(text: str) -> tuple[Any, str | None]:
    k = text.strip().lower()
    if k in _KINDS:
        return k, None
    return None, _("unknown kind {text!r} (expected product, component or material)").format(
        text=text
    )


def _crma(text: str) -> tuple[Any, str | None]:
    c = text.strip().lower()
    if c in ("strategic", "critical"):
        return c, None
    return None, _("unknown crma {text!r} (expected strategic, critical or empty)").format(
        text=text
    )


def _country(text: str) -> tuple[Any, str | None]:
    code = ref.country_code(text)
    return (code, None) if code else (None, _("unknown country {text!r}").format(text=text))


def _stage(text: str) -> tuple[Any, str | None]:
    s = text.strip().lower()
    if s in ("extraction", "processing"):
        return s, None
    return None, _("unknown stage {text!r} (expected extraction or processing)").format(text=text)


def _year(text: str) -> tuple[Any, str | None]:
    y = parse_int(text)
    if y is None or not 1000 <= y <= 9999:
        return None, _("year must be a four-digit year, got {text!r}").format(text=text)
    return y, None


_SHARE = _number("share", lambda v: 0 < v <= 1, N_("a number in (0, 1]"), percent=True)

#: Converters of the typed columns; any other column is text.
CONVERTERS: dict[str, dict[str, Converter]] = {
    "items": {
        "kind": _kind,
        "unit_value_eur": _number("unit_value_eur", lambda v: v >= 0, N_("a number >= 0")),
        "annual_volume": _number("annual_volume", lambda v: v >= 0, N_("a number >= 0")),
        "crma": _crma,
    },
    "bom": {"quantity": _number("quantity", lambda v: v > 0, N_("a positive number"))},
    "suppliers": {
        "country": _country,
        "lat": _number("lat", lambda v: -90 <= v <= 90, N_("a latitude between -90 and 90")),
        "lon": _number("lon", lambda v: -180 <= v <= 180, N_("a longitude between -180 and 180")),
    },
    "supplies": {"share": _SHARE},
    "substitutes": {
        "compatibility": _number(
            "compatibility", lambda v: 0 <= v <= 1, N_("a number between 0 and 1"), percent=True
        )
    },
    "production": {"country": _country, "share": _SHARE, "stage": _stage, "year": _year},
}


_FIELDS: dict[str, frozenset[str]] = {t: frozenset(m.model_fields) for t, m in TABLES.items()}


@dataclass(slots=True)
class _Checked:
    """One row: where it is, its converted values and its model's values (``None``: invalid).

    Both are tuples aligned on the columns of its :class:`CheckedTable` (``None`` for an
    empty value; once the table is checked, every tuple has all its columns); ``model``
    is ``values`` itself when the model would not change them.
    """

    line: int
    values: tuple[Any, ...]
    model: tuple[Any, ...] | None


@dataclass
class CheckedTable:
    """One table's rows once checked: compact tuples instead of a dict and a model per row.

    ``value(row, col)`` reads a converted value, ``field(row, col)`` what the model holds
    (its default for an empty value): what the cross-table checks and the graph
    builder read, without a pydantic model per row.
    """

    name: str
    file: str
    columns: list[str]
    rows: list[_Checked] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {c: i for i, c in enumerate(self.columns)}
        self._defaults = {
            name: f.default
            for name, f in TABLES[self.name].model_fields.items()
            if f.default is not PydanticUndefined
        }

    def column(self, col: str) -> int:
        """The position of ``col`` in the rows' tuples (a new column is added at the end)."""
        i = self.index.get(col)
        if i is None:
            i = self.index[col] = len(self.columns)
            self.columns.append(col)
        return i

    def value(self, row: _Checked, col: str) -> Any:
        """The converted value of ``col`` in ``row`` (``None`` when empty)."""
        i = self.index.get(col)
        return row.values[i] if i is not None else None

    def field(self, row: _Checked, col: str) -> Any:
        """What the row's model holds for ``col``: its value, or the field's default."""
        assert row.model is not None
        i = self.index.get(col)
        v = row.model[i] if i is not None else None
        return self._defaults.get(col) if v is None else v

    def select(self, fields: Sequence[str]) -> Iterator[tuple[_Checked, list[Any]]]:
        """Each valid row with its ``field`` values of ``fields``, columns looked up once."""
        spec = [(self.index.get(f), self._defaults.get(f)) for f in fields]
        for row in self.rows:
            m = row.model
            if m is not None:
                yield row, [d if i is None or m[i] is None else m[i] for i, d in spec]

    def read(self, fields: Sequence[str]) -> Iterator[tuple[list[Any], dict[str, Any]]]:
        """Each valid row's model values of ``fields`` (defaults for empty ones) and extras.

        What the graph builder reads: the fields and the extra columns, in one pass.
        """
        model_fields = _FIELDS[self.name]
        extra = [(i, c) for i, c in enumerate(self.columns) if c not in model_fields]
        for row, values in self.select(fields):
            m = row.model
            assert m is not None
            yield values, {c: m[i] for i, c in extra if m[i] not in (None, "")}

    def valid(self) -> Iterator[_Checked]:
        """The rows that have a model (all of them once validation passed)."""
        return (r for r in self.rows if r.model is not None)

    def model_dict(self, row: _Checked) -> dict[str, Any]:
        """The row's model values by column (empty values left out)."""
        assert row.model is not None
        return {c: v for c, v in zip(self.columns, row.model, strict=True) if v is not None}


@dataclass
class CheckedDataset:
    """A dataset that passed validation, as :class:`CheckedTable` objects by table name."""

    name: str
    tables: dict[str, CheckedTable]

    def read(self, table: str, fields: Sequence[str]) -> Iterator[tuple[list[Any], dict[str, Any]]]:
        """:meth:`CheckedTable.read` of ``table`` (nothing when it is absent)."""
        t = self.tables.get(table)
        return t.read(fields) if t is not None else iter(())

    def count(self, table: str) -> int:
        t = self.tables.get(table)
        return 0 if t is None else sum(1 for r in t.rows if r.model is not None)

    def to_dataset(self) -> Dataset:
        """The pydantic :class:`~filiere.graph.model.Dataset` (for API and other callers)."""
        models = {
            name: [TABLES[name].model_validate(t.model_dict(r)) for r in t.valid()]
            for name, t in self.tables.items()
        }
        return Dataset.model_validate({"name": self.name, "items": [], **models})


@dataclass
class _State:
    issues: list[DatasetIssue] = field(default_factory=list)
    rows: dict[str, CheckedTable] = field(default_factory=dict)
    complete: dict[str, bool] = field(default_factory=dict)

    def add(self, table: RawTable, line: int | None, message: str) -> None:
        self.issues.append(DatasetIssue(table.file, line, message))

    def table(self, name: str) -> CheckedTable:
        """The checked rows of table ``name`` (none when it is absent or unreadable)."""
        return self.rows.get(name) or CheckedTable(name, "", [])


def _dataset_file(tables: Mapping[str, RawTable]) -> str:
    """What names the whole dataset in messages: the workbook, folder or JSON file."""
    for t in tables.values():
        if t.file.endswith("]") and "[" in t.file:
            return t.file[: t.file.rindex("[")]
        if "/" in t.file:
            return t.file.rsplit("/", 1)[0]
        return t.file
    return "dataset"


def _plain_column(col: str) -> bool:
    """A column the model keeps as given: one of its fields, or an ordinary extra name."""
    return col.isidentifier() and not col.startswith("_") and not hasattr(BaseModel, col)


def _check_rows(table: RawTable, state: _State) -> None:
    """Convert each row's typed columns and check it against its model; report bad values.

    A row whose values the model would keep unchanged skips pydantic (most rows): the
    converters already checked every typed column, and a text value is kept as is when
    it has no surrounding white space to strip (Python strips a superset of what pydantic
    strips), under a column name the model keeps as given. Any other row goes through
    ``model_validate``, so its messages are pydantic's.
    """
    model = TABLES[table.name]
    converters = CONVERTERS.get(table.name, {})
    checked = CheckedTable(table.name, table.file, list(table.columns))
    required = REQUIRED[table.name]
    plain = all(_plain_column(c) for c in table.columns)
    known = checked.index.keys()
    regions = table.name == "suppliers"
    processes = table.name in ("processes", "capabilities")
    for line, raw in table.rows:
        values: dict[str, Any] = {}
        ok = same = True
        for col in required:
            if not raw.get(col):
                state.add(table, line, _("empty {col}").format(col=col))
                ok = False
        for col, text in raw.items():
            if not text:
                continue
            convert = converters.get(col)
            if convert is None:
                values[col] = text
                same = same and text.strip() == text
                continue
            value, problem = convert(text)
            if problem:
                state.add(table, line, problem)
                ok = False
            else:
                values[col] = value
        if regions and values.get("region"):
            region, problem = _region(values["region"], values.get("country"))
            if problem:
                state.add(table, line, problem)
                ok = False
            values["region"] = region
        if processes and values.get("process"):
            values["process"] = name = process_id(values["process"])
            same = same and name.strip() == name
        if not values.keys() <= known:  # a column no earlier row had (tables built by code)
            for col in values:
                if col not in known:
                    checked.column(col)
                    plain = plain and _plain_column(col)
        row = tuple(map(values.get, checked.columns))
        kept: tuple[Any, ...] | None = None
        if ok and same and plain:
            kept = row
        elif ok:
            try:
                m = model.model_validate(values)
            except ValidationError as e:
                for err in e.errors():
                    where = ".".join(str(x) for x in err["loc"])
                    state.add(table, line, f"{where}: {err['msg']}")
            else:
                held = {**m.__dict__, **(m.model_extra or {})}
                kept = tuple(map(held.get, checked.columns))
        checked.rows.append(_Checked(line, row, kept))
    width = len(checked.columns)
    if width > len(table.columns):  # columns found on the way: every tuple gets them
        for r in checked.rows:
            if missing := width - len(r.values):
                pad = (None,) * missing
                same = r.model is r.values
                r.values += pad
                r.model = r.values if same else None if r.model is None else r.model + pad
    state.rows[table.name] = checked


def _region(text: str, country: str | None) -> tuple[str | None, str | None]:
    info = ref.region_info(text)
    if info is None:
        return None, _(
            "unknown region {text!r} (expected an ISO 3166-2 code such as FR-BFC)"
        ).format(text=text)
    if country and info.country != country:
        return (
            None,
            _("region {code!r} is not a subdivision of the supplier's country {country}").format(
                code=info.code, country=country
            ),
        )
    return info.code, None


def _check_columns(table: RawTable, state: _State) -> bool:
    """Report missing required and reserved columns; ``False`` when rows cannot be read."""
    missing = [c for c in REQUIRED[table.name] if c not in table.columns]
    for col in missing:
        state.add(table, table.header_line, _("missing required column {col!r}").format(col=col))
    for col in RESERVED:
        if col in table.columns and not (table.name == "production" and col == "source"):
            state.add(
                table,
                table.header_line,
                _("column {col!r} is reserved for provenance").format(col=col),
            )
    return not missing


def validate(
    tables: Mapping[str, RawTable], store: GraphStore | None = None, *, name: str = "dataset"
) -> Dataset:
    """Check every table and their references; return the dataset or raise every problem.

    The pydantic form of :func:`check` (same checks, same messages), for callers that
    want models; ingestion builds the graph from :func:`check`'s compact rows instead.
    """
    return check(tables, store, name=name).to_dataset()


def check(
    tables: Mapping[str, RawTable],
    store: GraphStore | None = None,
    *,
    name: str = "dataset",
    release: bool = False,
) -> CheckedDataset:
    """Check every table and their references; return the checked rows or raise every problem.

    With ``store``, references to items and suppliers already in the store are valid,
    a production row may name a material already in the store, and BOM cycles are
    looked for through the store's ``CONTAINS`` relationships. Supply share sums only
    add up the dataset's own rows; production share sums count the store's
    ``PRODUCES`` rows too (see :func:`_check_production_sums`).

    ``release`` empties each table's ``rows`` once checked (a caller that owns the
    tables and no longer needs them: the raw text is not kept beside the checked rows).
    """
    state = _State()
    for table in tables.values():
        state.issues.extend(table.issues)
        if table.name not in TABLES:
            state.add(
                table,
                table.header_line,
                _("unknown table {name!r} (expected one of {tables})").format(
                    name=table.name, tables=", ".join(TABLES)
                ),
            )
            continue
        if not table.columns and not table.complete:
            state.complete[table.name] = False  # unreadable: already reported
            continue
        readable = _check_columns(table, state)
        state.complete[table.name] = table.complete and readable
        if readable:
            _check_rows(table, state)
        if release:
            table.rows = []
    if "items" not in tables:
        state.issues.append(
            DatasetIssue(_dataset_file(tables), None, _("missing table 'items' (required)"))
        )
    by_name = {t.name: t for t in tables.values() if t.name in TABLES}
    items = _check_keys(state, by_name.get("items"), "item")
    suppliers = _check_keys(state, by_name.get("suppliers"), "supplier")
    _check_references(state, by_name, items, suppliers, store)
    _check_duplicates(state, by_name)
    _check_bom(state, by_name.get("bom"), store)
    _check_share_sums(state, by_name, store)
    if state.issues:
        raise DatasetError(sorted(state.issues, key=lambda i: (i.file, i.line or 0)))
    return CheckedDataset(name, state.rows)


def _check_keys(state: _State, table: RawTable | None, what: str) -> dict[str, _Checked]:
    """Report duplicate ids; return every row by id (rows with bad values included)."""
    seen: dict[str, _Checked] = {}
    if table is None or table.name not in state.rows:
        return seen
    checked = state.rows[table.name]
    for row in checked.rows:
        key = checked.value(row, "id")
        if not key:
            continue
        if key in seen:
            message = (
                _("duplicate item id {key!r} (first at line {line})")
                if what == "item"
                else _("duplicate supplier id {key!r} (first at line {line})")
            )
            state.add(table, row.line, message.format(key=key, line=seen[key].line))
        else:
            seen[key] = row
    return seen


def _check_references(
    state: _State,
    tables: Mapping[str, RawTable],
    items: Mapping[str, _Checked],
    suppliers: Mapping[str, _Checked],
    store: GraphStore | None,
) -> None:
    """Unknown items and suppliers; production rows for items that are not materials."""
    for label, refs, known, what, owner in (
        (Label.ITEM, ITEM_REFS, items, "item", "items"),
        (Label.SUPPLIER, SUPPLIER_REFS, suppliers, "supplier", "suppliers"),
    ):
        wanted: list[tuple[RawTable, int, str, str]] = []
        for tname, cols in refs.items():
            table = tables.get(tname)
            if table is None:
                continue
            checked = state.table(tname)
            for row in checked.rows:
                for col in cols:
                    key = checked.value(row, col)
                    if key and key not in known:
                        wanted.append((table, row.line, col, key))
        in_store = _store_nodes(store, label, {w[3] for w in wanted})
        owner_table = tables.get(owner)
        # Without a readable owner table, "unknown" would only echo that table's problem
        # (a missing suppliers table is fine: the suppliers may be in the store).
        if owner_table is None:
            report = label is Label.SUPPLIER
        else:
            report = state.complete.get(owner, False)
        for table, line, col, key in wanted:
            if key in in_store:
                kind = in_store[key].get("kind")
                problem = _wrong_kind(table.name, col, key, kind)
                if problem:
                    state.add(table, line, problem)
            elif report:
                message = (
                    _("unknown item {key!r} in column {col}")
                    if what == "item"
                    else _("unknown supplier {key!r} in column {col}")
                )
                state.add(table, line, message.format(key=key, col=col))
    for tname, col in (("production", "material"), ("makes", "item")):
        table = tables.get(tname)
        if table is None:
            continue
        checked = state.table(tname)
        for row in checked.rows:
            key = checked.value(row, col)
            found = items.get(key) if key else None
            kind = state.table("items").value(found, "kind") if found else None
            problem = _wrong_kind(tname, col, str(key), kind) if found and kind else None
            if problem:
                state.add(table, row.line, problem)


def _wrong_kind(table: str, col: str, key: str, kind: Any) -> str | None:
    """Production rows need a material, ``makes`` rows a product."""
    if table == "production" and col == "material" and kind != Kind.MATERIAL:
        return _("production rows are for materials, and item {key!r} is a {kind}").format(
            key=key, kind=kind_name(str(kind))
        )
    if table == "makes" and col == "item" and kind != Kind.PRODUCT:
        return _("a firm makes products, and item {key!r} is a {kind}").format(
            key=key, kind=kind_name(str(kind))
        )
    return None


def _store_nodes(
    store: GraphStore | None, label: Label, keys: Iterable[str]
) -> dict[str, dict[str, Any]]:
    wanted = set(keys)
    if store is None or not wanted:
        return {}
    return store.get_nodes(label, wanted)


def _check_duplicates(state: _State, tables: Mapping[str, RawTable]) -> None:
    for tname, cols in IDENTITY.items():
        table = tables.get(tname)
        if table is None:
            continue
        checked = state.rows.get(tname)
        if checked is None:
            continue
        first: dict[tuple[Any, ...], int] = {}
        for row, fields in checked.select(cols):
            key = tuple(fields)
            if key in first:
                same = ", ".join(cols)
                state.add(
                    table,
                    row.line,
                    _("duplicate row: same {columns} as line {line}").format(
                        columns=same, line=first[key]
                    ),
                )
            else:
                first[key] = row.line
        if tname == "substitutes":
            for row in checked.valid():
                item = checked.value(row, "item")
                if item == checked.value(row, "substitute"):
                    state.add(
                        table, row.line, _("item {key!r} cannot substitute itself").format(key=item)
                    )


def _check_bom(state: _State, table: RawTable | None, store: GraphStore | None) -> None:
    """Self-loops and cycles, through the store's own bill of materials when given."""
    if table is None:
        return
    edges: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
    bom = state.table("bom")
    for row in bom.rows:
        parent, child = bom.value(row, "parent"), bom.value(row, "child")
        if not parent or not child:
            continue
        if parent == child:
            state.add(table, row.line, _("self-loop: {key!r} contains itself").format(key=parent))
            continue
        edges[parent].append((child, row.line))
    if not edges:
        return
    if store is not None:
        for r in store.relationships(Rel.CONTAINS):
            if r.start != r.end:
                edges[r.start].append((r.end, None))
    for line, cycle in find_cycles(edges):
        state.add(
            table,
            line,
            _("cycle in the bill of materials: {path}").format(path=" -> ".join(cycle)),
        )


def _check_share_sums(
    state: _State, tables: Mapping[str, RawTable], store: GraphStore | None
) -> None:
    """Supply shares per item; production shares as the analyses add them up."""
    supplies: dict[str, list[tuple[int, float]]] = defaultdict(list)
    checked = state.table("supplies")
    for row, (share,) in checked.select(("share",)):
        if share is not None:
            supplies[checked.value(row, "item")].append((row.line, share))
    for item, rows in supplies.items():
        total = sum(share for _line, share in rows)
        if total > 1 + SHARE_TOLERANCE:
            lines = ", ".join(str(ln) for ln, _share in rows)
            message = _(
                "the supply shares of item {key!r} sum to {total} (lines {lines}), more than 1"
            )
            state.add(
                tables["supplies"],
                rows[0][0],
                message.format(key=item, total=f"{total:.4g}", lines=lines),
            )
    if "production" in tables:
        _check_production_sums(state, tables["production"], store)


@dataclass(frozen=True)
class _Share:
    """One production row counted in a sum: its year, share and line (``None``: stored)."""

    year: int | None
    share: float
    line: int | None


def _check_production_sums(state: _State, table: RawTable, store: GraphStore | None) -> None:
    """Shares of one material and stage, for each year: that year's rows plus undated rows.

    The analyses count a material's rows of the latest year and its rows without a year
    together, so those are what must not exceed 1. The rows are those the store will
    hold after the write: the store's ``PRODUCES`` rows, unless the dataset has a row
    with the same country, material, stage and year, and the dataset's rows.
    """
    groups: dict[tuple[str, str], list[_Share]] = defaultdict(list)
    ids: set[tuple[str, str, str, int | None]] = set()
    fields = ("material", "stage", "year", "share", "country")
    for row, (material, stage, year, share, country) in state.table("production").select(fields):
        groups[(material, stage)].append(_Share(year, share, row.line))
        ids.add((country, material, stage, year))
    if store is not None and groups:
        for r in store.relationships(Rel.PRODUCES):
            stage, year, share = r.props.get("stage"), r.props.get("year"), r.props.get("share")
            key = (r.end, str(stage))
            if key in groups and share is not None and (r.start, *key, year) not in ids:
                groups[key].append(_Share(year, float(share), None))
    for (material, stage), shares in groups.items():
        undated = [s for s in shares if s.year is None]
        dated = sorted({s.year for s in shares if s.year is not None})
        years: list[int | None] = [*dated] if dated else [None]
        for year in years:
            counted = undated + [s for s in shares if year is not None and s.year == year]
            message = _production_excess(material, stage, year, counted)
            lines = [s.line for s in counted if s.line is not None]
            if message and lines:
                state.add(table, min(lines), message)


def _production_excess(
    material: str, stage: str, year: int | None, counted: list[_Share]
) -> str | None:
    """What is wrong with the shares counted for one year, or ``None`` when they fit."""
    total = sum(s.share for s in counted)
    if total <= 1 + SHARE_TOLERANCE:
        return None
    lines = sorted(s.line for s in counted if s.line is not None)
    where = ngettext("line {lines}", "lines {lines}", len(lines)).format(
        lines=", ".join(str(ln) for ln in lines)
    )
    stored = sum(s.share for s in counted if s.line is None)
    if stored:
        where = _("{where} and {stored} already in the store").format(
            where=where, stored=f"{stored:.4g}"
        )
    label = stage if year is None else f"{stage}, {year}"
    message = _(
        "the production shares of {key!r} ({label}) sum to {total} ({where}), more than 1"
    ).format(key=material, label=label, total=f"{total:.4g}", where=where)
    undated = sum(s.share for s in counted if s.year is None)
    if year is not None and undated:
        message += _(
            ", counting {undated} from rows without a year (rows without a year count"
            " as the latest year); give those rows a year or fix the shares"
        ).format(undated=f"{undated:.4g}")
    return message
