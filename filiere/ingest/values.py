"""The text of one spreadsheet cell: numbers in French or English notation, read and written.

>>> parse_number("0,5"), parse_number(" 1 234,5 "), parse_number("2e3")
(0.5, 1234.5, 2000.0)
>>> parse_number("50 %", percent=True), parse_number("70%", percent=True)
(0.5, 0.7)
>>> parse_number("abc") is None
True
>>> format_number(2.0), format_number(0.1), format_number(3)
('2', '0.1', '3')
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import Any

_SPACES = re.compile(r"(?<=\d)[\s\u00a0\u202f](?=\d)")


def parse_number(text: str, *, percent: bool = False) -> float | None:
    """The finite number written in ``text``, or ``None`` when it is not one.

    Accepts a decimal comma (``0,5``), spaces as thousands separators (``1 234``) and,
    with ``percent``, a trailing ``%`` (``50 %`` is ``0.5``). Negative zero reads as zero.

    >>> parse_number("0,5"), parse_number("1 234"), parse_number("50 %", percent=True)
    (0.5, 1234.0, 0.5)
    >>> parse_number("-0.0")
    0.0
    """
    t = _SPACES.sub("", text.strip())
    divisor = 1.0
    if percent and t.endswith("%"):
        t, divisor = t[:-1].rstrip(), 100.0
    if "," in t:
        if "." in t or t.count(",") > 1:
            return None
        t = t.replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return value / divisor + 0.0  # + 0.0 turns -0.0 into 0.0


def parse_int(text: str) -> int | None:
    """A whole number (``2022``, ``2022,0``), or ``None``.

    >>> parse_int("2022"), parse_int("2022.0"), parse_int("20.5")
    (2022, 2022, None)
    """
    value = parse_number(text)
    if value is None or not value.is_integer():
        return None
    return int(value)


def format_number(value: float | int) -> str:
    """The shortest text that reads back as ``value`` (``2`` rather than ``2.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def cell_text(value: Any) -> str:
    """The text of a cell value: ``""`` for none, ``true``/``false``, short numbers, ISO dates.

    >>> cell_text(None), cell_text(True), cell_text(2.0), cell_text(datetime(2024, 3, 1))
    ('', 'true', '2', '2024-03-01')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
