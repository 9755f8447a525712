"""Reading dataset files into :class:`~filiere.ingest.tables.RawTable` objects.

A dataset is a folder of CSV files (one per table, named after it), one ``.xlsx``
workbook (one sheet per table), one JSON file ``{"items": [...], ...}``, or -- for
uploads -- a zip of CSV files. CSV files may be UTF-8 (with or without BOM), UTF-16
with BOM or Windows-1252, delimited by ``,``, ``;`` or tab (sniffed from the header).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
import zlib
from bisect import bisect_right
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from filiere.errors import DatasetError, DatasetIssue
from filiere.i18n import _
from filiere.ingest.limits import (
    MAX_JSON_DEPTH,
    MAX_NUMBER_DIGITS,
    Budget,
    IngestLimits,
    refuse,
)
from filiere.ingest.tables import RawTable, normalize_column, table_from_cells
from filiere.ingest.values import cell_text
from filiere.spreadsheet import read_text

CSV_SUFFIXES = (".csv", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
DELIMITERS = (",", ";", "\t")
#: Bytes read at a time from a zip member (the running counter checks each chunk).
CHUNK = 1024 * 1024
#: Errors a damaged zip raises while a member is read (bad CRC, truncated data...).
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, OSError)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_csv(data: bytes, table: RawTable) -> str | None:
    """The text of a CSV file, or ``None`` (with an issue recorded) when undecodable.

    >>> t = RawTable("items", "items.csv")
    >>> decode_csv("id;nom\\nA;Bâti".encode("cp1252"), t)
    'id;nom\\nA;Bâti'
    >>> decode_csv(b"id\\n\\xc3\\xa9\\n\\xe9\\n", t) is None
    True
    >>> print(t.issues[0])
    items.csv:3: invalid UTF-8 byte 0xe9 in a file that is otherwise UTF-8 (mixed encodings)
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            table.issue(None, _("unreadable UTF-16 text ({reason})").format(reason=e.reason))
            return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        table.issue(
            _line_of(data, data.index(b"\x00")), _("unreadable bytes: a NUL byte (binary file?)")
        )
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = e.start
        first = data[bad]
        if any(ord(c) > 127 for c in data.decode("utf-8", errors="ignore")):
            table.issue(
                _line_of(data, bad),
                _(
                    "invalid UTF-8 byte {byte} in a file that is otherwise UTF-8 (mixed encodings)"
                ).format(byte=f"0x{first:02x}"),
            )
            return None
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as e:
        table.issue(
            _line_of(data, e.start),
            _("unreadable bytes: {byte} is neither UTF-8 nor Windows-1252").format(
                byte=f"0x{data[e.start]:02x}"
            ),
        )
        return None


def sniff_delimiter(text: str) -> str:
    """The delimiter used on the header line: the most frequent of ``,`` ``;`` and tab.

    >>> sniff_delimiter("id;name;kind\\n"), sniff_delimiter('"a,b"\\tc\\n')
    (';', '\\t')
    """
    found = re.search(r"[^\r\n]*\S[^\r\n]*", text)  # the first non-blank line only
    header = found.group(0) if found else ""
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_csv_text(text: str, name: str, file: str, budget: Budget | None = None) -> RawTable:
    """Parse CSV text into a table; a broken CSV is reported at the line it breaks."""
    budget = budget or Budget()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text), strict=True)
    problems: list[DatasetIssue] = []
    incomplete = False

    def lines() -> Iterator[tuple[int, list[str]]]:
        nonlocal incomplete
        last = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                start = last + 1
                if "unexpected end of data" in str(e):
                    problems.append(
                        DatasetIssue(file, start, _("unclosed quote: the quoted value never ends"))
                    )
                    incomplete = True
                    return
                problems.append(
                    DatasetIssue(file, reader.line_num, _("broken CSV: {reason}").format(reason=e))
                )
                last = reader.line_num
                continue
            budget.row(file, last + 1, len(cells))
            yield last + 1, budget.columns(file, last + 1, cells)
            last = reader.line_num

    table = table_from_cells(name, file, lines())
    table.issues.extend(problems)
    table.complete = table.complete and not incomplete and not problems
    return table


def read_csv_bytes(data: bytes, name: str, file: str, budget: Budget | None = None) -> RawTable:
    """Decode and parse one CSV file's bytes."""
    table = RawTable(name, file)
    text = decode_csv(data, table)
    if text is None:
        table.complete = False
        return table
    return parse_csv_text(text, name, file, budget)


def _read_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, where: str, budget: Budget
) -> bytes:
    """A zip member's bytes, counted as they are inflated: its declared size is never trusted."""
    parts: list[bytes] = []
    try:
        with archive.open(member) as f:
            while chunk := f.read(CHUNK):
                budget.take_bytes(len(chunk), where)
                parts.append(chunk)
    except ZIP_ERRORS as e:
        raise refuse(where, None, _("damaged zip member ({reason})").format(reason=e)) from None
    except (NotImplementedError, RuntimeError) as e:  # unknown compression, encrypted member
        raise refuse(where, None, _("unreadable zip member ({reason})").format(reason=e)) from None
    data = b"".join(parts)
    if len(data) != member.file_size:
        raise refuse(
            where,
            None,
            _("the zip says this member holds {declared} bytes, it holds {real}").format(
                declared=member.file_size, real=len(data)
            ),
        )
    return data


def _open_zip(source: io.BytesIO | Path, display: str, what: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise refuse(display, None, what.format(reason=e)) from None


def _check_xlsx_container(source: io.BytesIO | Path, display: str, budget: Budget) -> None:
    """Inflate every part of the workbook through the running counter (CRC checked too)."""
    with _open_zip(source, display, _("not a readable xlsx workbook ({reason})")) as archive:
        for member in archive.infolist():
            budget.take_file(display)
            where = f"{display}[{member.filename}]"
            try:
                with archive.open(member) as f:
                    while chunk := f.read(CHUNK):
                        budget.take_bytes(len(chunk), display)
            except ZIP_ERRORS as e:
                raise refuse(
                    where, None, _("damaged workbook part ({reason})").format(reason=e)
                ) from None
            except (NotImplementedError, RuntimeError) as e:
                raise refuse(
                    where, None, _("unreadable workbook part ({reason})").format(reason=e)
                ) from None


def _sheet_rows(sheet: Any, file: str, budget: Budget) -> Iterator[tuple[int, list[str]]]:
    """The rows of a read-only sheet, bounded by ``budget``; its declared size is ignored."""
    sheet.reset_dimensions()  # a sheet may declare A1:XFD1048576: read only the cells it has
    for i, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        budget.row(file, i, len(values))
        yield i, budget.columns(file, i, [cell_text(v) for v in values])


def read_xlsx(
    source: Path | bytes, display: str, budget: Budget | None = None
) -> dict[str, RawTable]:
    """Read a workbook: one table per sheet, named after the sheet (rows = sheet rows)."""
    import openpyxl

    budget = budget or Budget()
    container = io.BytesIO(source) if isinstance(source, bytes) else source
    _check_xlsx_container(container, display, budget)
    if isinstance(container, io.BytesIO):
        container.seek(0)
    try:
        book = openpyxl.load_workbook(container, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises zipfile, KeyError, XML and value errors
        raise refuse(
            display, None, _("not a readable xlsx workbook ({reason})").format(reason=e)
        ) from None
    tables: list[RawTable] = []
    file = display
    try:
        for sheet in book.worksheets:
            file = f"{display}[{sheet.title}]"
            tables.append(
                table_from_cells(
                    normalize_column(sheet.title), file, _sheet_rows(sheet, file, budget)
                )
            )
    except DatasetError:
        raise
    except Exception as e:  # malformed sheet XML, bad numbers...: same errors as above
        raise refuse(
            file, None, _("not a readable xlsx workbook ({reason})").format(reason=e)
        ) from None
    finally:
        book.close()
    return _by_name(tables)


class _JsonFile(BaseModel):
    """The JSON format: one list of row objects per table (``name`` is allowed and ignored)."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None


_Scalar = str | int | float | bool | None


_ROWS: TypeAdapter[list[Any]] = TypeAdapter(list[Any])
_ROW: TypeAdapter[dict[str, _Scalar]] = TypeAdapter(dict[str, _Scalar])


def _json_element_lines(text: str) -> dict[str, tuple[int, list[int]]]:
    """Line of each top-level key and of each element of its array (text is valid JSON)."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(pos: int) -> int:
        return bisect_right(starts, pos)

    dec = json.JSONDecoder()
    ws = re.compile(r"[ \t\n\r]*")
    out: dict[str, tuple[int, list[int]]] = {}
    i = ws.match(text, 0).end()  # type: ignore[union-attr]
    if text[i : i + 1] != "{":
        return out
    i += 1
    while True:
        i = ws.match(text, i).end()  # type: ignore[union-attr]
        if text[i] == "}":
            return out
        if text[i] == ",":
            i += 1
            continue
        key_line = line(i)
        key, i = dec.raw_decode(text, i)
        i = ws.match(text, i).end() + 1  # type: ignore[union-attr]  # past ':'
        i = ws.match(text, i).end()  # type: ignore[union-attr]
        lines: list[int] = []
        if text[i] == "[":
            i += 1
            while True:
                i = ws.match(text, i).end()  # type: ignore[union-attr]
                if text[i] == "]":
                    i += 1
                    break
                if text[i] == ",":
                    i += 1
                    continue
                lines.append(line(i))
                _, i = dec.raw_decode(text, i)
        else:
            _, i = dec.raw_decode(text, i)
        out[str(key)] = (key_line, lines)


class _HugeNumber(Exception):
    def __init__(self, text: str) -> None:
        self.text = text


def _number(convert: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        if len(text) > MAX_NUMBER_DIGITS:
            raise _HugeNumber(text)
        return convert(text)

    return parse


def _too_deep(text: str) -> int:
    """Offset where ``text`` nests deeper than :data:`MAX_JSON_DEPTH` (strings skipped)."""
    depth = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        token = m.group(0)
        if token in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return m.start()
        elif token in "]}":
            depth -= 1
    return 0


def read_json(data: bytes, display: str, budget: Budget | None = None) -> dict[str, RawTable]:
    """Read a JSON dataset; each row object's line is where its ``{`` is."""
    budget = budget or Budget()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DatasetError(
            [DatasetIssue(display, _line_of(data, e.start), _("unreadable bytes: not UTF-8"))]
        ) from None
    # Parsed whole: bound what it can hold first (each row is an object, each value
    # but the last of a list or object follows a comma).
    budget.expect(display, rows=data.count(b"{") - 1, cells=data.count(b","))
    try:
        raw = json.loads(text, parse_int=_number(int), parse_float=_number(float))
    except json.JSONDecodeError as e:
        raise DatasetError(
            [DatasetIssue(display, e.lineno, _("invalid JSON: {reason}").format(reason=e.msg))]
        ) from None
    except RecursionError:
        at = _too_deep(text)
        raise refuse(
            display,
            text.count("\n", 0, at) + 1,
            _("JSON nested more than {n} levels deep").format(n=MAX_JSON_DEPTH),
        ) from None
    except _HugeNumber as e:
        at = text.find(e.text)
        raise refuse(
            display,
            text.count("\n", 0, max(at, 0)) + 1,
            _("a number of {n} digits (at most {limit} are read)").format(
                n=len(e.text), limit=MAX_NUMBER_DIGITS
            ),
        ) from None
    try:
        top = _JsonFile.model_validate(raw)
    except ValidationError:
        raise DatasetError(
            [DatasetIssue(display, 1, _('expected an object {"items": [...], ...}'))]
        ) from None
    positions = _json_element_lines(text)
    tables: list[RawTable] = []
    for key, value in (top.model_extra or {}).items():
        key_line, lines = positions.get(key, (1, []))
        table = RawTable(normalize_column(key), display, key_line)
        tables.append(table)
        try:
            rows = _ROWS.validate_python(value)
        except ValidationError:
            table.issue(key_line, _("{key!r} must be a list of row objects").format(key=key))
            table.complete = False
            continue
        columns: dict[str, None] = {}
        for n, item in enumerate(rows):
            where = lines[n] if n < len(lines) else key_line
            budget.row(display, where, len(item) if isinstance(item, dict) else 1)
            try:
                row = _ROW.validate_python(item)
            except ValidationError as e:
                table.complete = False
                bad = dict.fromkeys(err["loc"][0] for err in e.errors() if err["loc"])
                for col in bad:
                    table.issue(
                        where,
                        _("value of {col!r} must be a text, a number or null").format(col=col),
                    )
                if not bad:
                    table.issue(where, _('a row must be an object {"column": value, ...}'))
                continue
            values = {normalize_column(k): read_text(cell_text(v)) for k, v in row.items()}
            columns.update(dict.fromkeys(values))
            if len(columns) > budget.limits.max_columns:
                budget.columns(display, where, list(columns))
            table.rows.append((where, values))
        table.columns = list(columns)
    return _by_name(tables)


def _by_name(tables: list[RawTable]) -> dict[str, RawTable]:
    out: dict[str, RawTable] = {}
    issues: list[DatasetIssue] = []
    for t in tables:
        if t.name in out:
            issues.append(
                DatasetIssue(
                    t.file,
                    None,
                    _("table {name!r} is also in {file}").format(
                        name=t.name, file=out[t.name].file
                    ),
                )
            )
        else:
            out[t.name] = t
    if issues:
        raise DatasetError(issues)
    return out


def _csv_table_name(filename: str) -> str:
    return normalize_column(PurePosixPath(filename).stem)


def _read_file(path: Path, display: str, budget: Budget) -> bytes:
    """A file's bytes, refused before reading when they exceed what the budget has left."""
    budget.take_file(display)
    budget.take_bytes(path.stat().st_size, display)
    return path.read_bytes()


def read_folder(folder: Path, budget: Budget | None = None) -> dict[str, RawTable]:
    """Read every ``.csv``/``.tsv`` file of a folder (file name = table name)."""
    budget = budget or Budget()
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in CSV_SUFFIXES and not p.name.startswith(".")
    )
    if not files:
        raise DatasetError([DatasetIssue(folder.name, None, _("no CSV files in this folder"))])
    tables = []
    for p in files:
        display = f"{folder.name}/{p.name}"
        data = _read_file(p, display, budget)
        tables.append(read_csv_bytes(data, _csv_table_name(p.name), display, budget))
    return _by_name(tables)


def read_zip(data: bytes, display: str, budget: Budget | None = None) -> dict[str, RawTable]:
    """Read the CSV files of a zip (any folder inside; ``__MACOSX`` and hidden files skipped).

    Members are inflated through a running byte counter (a member's declared size is
    never trusted); a damaged member, a bad CRC or a zip inside the zip is refused.
    """
    budget = budget or Budget()
    with _open_zip(io.BytesIO(data), display, _("not a readable zip file ({reason})")) as archive:
        visible = [
            m
            for m in archive.infolist()
            if not m.is_dir()
            and "__MACOSX" not in m.filename
            and not PurePosixPath(m.filename).name.startswith(".")
        ]
        nested = [m for m in visible if PurePosixPath(m.filename).suffix.lower() in _ARCHIVES]
        if nested:
            raise refuse(
                f"{display}/{nested[0].filename}",
                None,
                _("an archive inside the zip is not read: extract it and zip its CSV files"),
            )
        members = [m for m in visible if PurePosixPath(m.filename).suffix.lower() in CSV_SUFFIXES]
        if not members:
            raise DatasetError([DatasetIssue(display, None, _("no CSV files in this zip"))])
        tables = []
        for m in sorted(members, key=lambda m: m.filename):
            where = f"{display}/{m.filename}"
            budget.take_file(where)
            content = _read_member(archive, m, where, budget)
            tables.append(read_csv_bytes(content, _csv_table_name(m.filename), where, budget))
    return _by_name(tables)


_ARCHIVES = (".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz")


def read_upload(
    filename: str, data: bytes, limits: IngestLimits | None = None
) -> dict[str, RawTable]:
    """Read an uploaded dataset from its bytes: ``.xlsx``, ``.zip`` of CSVs, ``.json`` or ``.csv``.

    ``filename`` names the upload in messages (``book.xlsx[items]:3``) and decides the
    format; the HTTP API passes the uploaded file's name and content. ``limits``
    (default: the settings') bound what the file may expand to.
    """
    return _read_bytes(filename, data, Budget(limits))


def _read_bytes(filename: str, data: bytes, budget: Budget) -> dict[str, RawTable]:
    name = PurePosixPath(filename).name or "upload"
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return read_xlsx(data, name, budget)
    if suffix == ".zip":
        return read_zip(data, name, budget)
    budget.take_bytes(len(data), name)
    if suffix == ".json":
        return read_json(data, name, budget)
    if suffix in CSV_SUFFIXES:
        return _by_name([read_csv_bytes(data, _csv_table_name(name), name, budget)])
    raise DatasetError(
        [DatasetIssue(name, None, _("unsupported file type (expected .xlsx, .zip, .json or .csv)"))]
    )


def read_tables(path: str | Path, limits: IngestLimits | None = None) -> dict[str, RawTable]:
    """Read the dataset at ``path``: a folder of CSVs, a workbook, a JSON, a zip or one CSV."""
    budget = Budget(limits)
    p = Path(path)
    if p.is_dir():
        return read_folder(p, budget)
    if not p.is_file():
        raise DatasetError([DatasetIssue(str(path), None, _("no such file or folder"))])
    if p.suffix.lower() in XLSX_SUFFIXES:
        return read_xlsx(p, p.name, budget)
    if p.suffix.lower() != ".zip":  # refused before reading (a zip counts what it inflates to)
        Budget(budget.limits).take_bytes(p.stat().st_size, p.name)
    return _read_bytes(p.name, p.read_bytes(), budget)


def dataset_name(path: str | Path) -> str:
    """The default source name of a dataset: the folder name or the file's stem.

    >>> dataset_name("examples/capteur/"), dataset_name("data/usine.xlsx")
    ('capteur', 'usine')
    """
    p = Path(path).resolve()  # "." names the current folder
    return p.name if p.is_dir() else p.stem
