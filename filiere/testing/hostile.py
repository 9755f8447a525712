"""Hostile dataset files, built by code: zip bombs, lying zips and workbooks, deep JSON.

Used by ``tests/test_ingest_limits.py`` and ``benchmarks/hostile_bench.py``; nothing
here is stored as a binary file.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable, Mapping, Sequence

import openpyxl

MiB = 1024 * 1024

ITEMS = "id;name;kind\nP;Pompe;product\nC;Corps;component\n"


def zip_of(files: Mapping[str, str | bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive of ``files`` (name: content), as an upload's bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def newline_bomb(expanded: int = 500 * MiB) -> bytes:
    """A zip of a few hundred KB holding ``expanded`` bytes of newlines."""
    buf = io.BytesIO()
    chunk = b"\n" * MiB
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z,
        z.open("items.csv", "w", force_zip64=True) as f,
    ):
        f.write(b"id,name,kind\n")
        for _ in range(expanded // MiB):
            f.write(chunk)
    return buf.getvalue()


def central_size(data: bytes, size: int) -> bytes:
    """The zip with its (single) member's uncompressed size rewritten in both headers."""
    out = bytearray(data)
    local = out.index(b"PK\x03\x04")
    struct.pack_into("<I", out, local + 22, size)
    central = out.index(b"PK\x01\x02")
    struct.pack_into("<I", out, central + 24, size)
    return bytes(out)


def lying_small() -> bytes:
    """A member that says it holds 10 bytes and inflates to more."""
    return central_size(zip_of({"items.csv": ITEMS.encode()}), 10)


def lying_large() -> bytes:
    """A member that says it holds 10 MB and ends long before."""
    return central_size(zip_of({"items.csv": ITEMS.encode()}), 10_000_000)


def bad_crc() -> bytes:
    data = bytearray(zip_of({"items.csv": ITEMS.encode()}, zipfile.ZIP_STORED))
    at = data.index(b"Pompe")
    data[at] = ord("X")  # the stored bytes change, the recorded CRC does not
    return bytes(data)


def nested_zip() -> bytes:
    inner = zip_of({"items.csv": ITEMS.encode()})
    return zip_of({"items.csv": ITEMS.encode(), "more/inner.zip": inner})


def workbook(rows: Sequence[Sequence[object]], title: str = "items") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def patch_sheet(data: bytes, change: Callable[[str], str]) -> bytes:
    """The workbook with its first sheet's XML rewritten by ``change``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content.decode()).encode()
            out.writestr(info.filename, content)
    return buf.getvalue()


ITEM_ROWS: list[list[object]] = [["id", "name", "kind"], ["P", "Pompe", "product"]]


def lying_dimension() -> bytes:
    """A valid workbook whose sheet declares the whole grid, A1:XFD1048576."""
    return patch_sheet(
        workbook(ITEM_ROWS),
        lambda x: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', x),
    )


def far_row() -> bytes:
    """A workbook with one more cell far below Excel's last row."""
    return patch_sheet(
        workbook(ITEM_ROWS),
        lambda x: x.replace(
            "</sheetData>",
            '<row r="90000000"><c r="A90000000" t="inlineStr"><is><t>Z</t></is></c></row>'
            "</sheetData>",
        ),
    )


def truncated_xlsx() -> bytes:
    data = workbook(ITEM_ROWS)
    return data[: len(data) // 2]


def huge_json_number() -> bytes:
    return (
        b'{"items": [\n{"id": "P", "name": "Pompe", "kind": "product", "unit_value_eur": '
        + b"9" * 5000
        + b"}]}"
    )
