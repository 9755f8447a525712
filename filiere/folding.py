"""Folding text for search: lower case, accents and ligatures stripped, one apostrophe.

Both stores fold the same way: Python here (the embedded store's search table, the
needle), Cypher with the :data:`FOLDS` pairs (``cypher/lookup_search.cypher``).

>>> fold("Société Générale d'Électricité")
"societe generale d'electricite"
>>> fold("Œuvre")
'oeuvre'
"""

from __future__ import annotations

import unicodedata


def _fold_pairs() -> list[tuple[str, str]]:
    pairs = {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "ħ": "h"}
    pairs |= {"\u2019": "'", "\u2018": "'", "\u00a0": " "}
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        if ch != ch.lower() or ch in pairs:
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii() and base:
            pairs[ch] = base
    return sorted(pairs.items())


#: ``[accented, plain]`` pairs applied after lower-casing, by Python and by Cypher alike.
FOLDS: list[tuple[str, str]] = _fold_pairs()
_FOLD_TABLE = str.maketrans(dict(FOLDS))


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents the same way the Neo4j search query does."""
    if text.isascii():  # every folded character is outside ASCII: 6 times faster
        return text.lower()
    return text.lower().translate(_FOLD_TABLE)
