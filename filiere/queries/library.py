"""The ``.cypher`` library in ``filiere/queries/cypher/``: analyses and analysts' questions.

Each file starts with ``//`` comment lines: a description, then one ``// @param NAME  text``
line per parameter. The analyses run these files; ``filiere queries`` lists them.

>>> q = load("where_used")
>>> q.name, "item" in q.params
('where_used', True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from filiere.errors import NotFoundError

_PARAM = re.compile(r"@param\s+(\w+)\s*(.*)")
_USED = re.compile(r"\$(\w+)")


@dataclass(frozen=True)
class CypherQuery:
    """One file of the library: its name (file stem), description, parameters and text."""

    name: str
    description: str
    text: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """The first sentence of the description."""
        first = self.description.split(". ")[0].rstrip(".")
        return first + "."


def parse(name: str, text: str) -> CypherQuery:
    """Read the header comment of a query file."""
    description: list[str] = []
    params: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("//"):
            break
        body = stripped[2:].strip()
        m = _PARAM.match(body)
        if m:
            params[m.group(1)] = m.group(2).strip()
        elif body:
            description.append(body)
    for used in _USED.findall(_strip_comments(text)):
        params.setdefault(used, "")
    return CypherQuery(name, " ".join(description), text, params)


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))


def _files() -> dict[str, str]:
    root = resources.files("filiere.queries") / "cypher"
    return {
        f.name.removesuffix(".cypher"): f.read_text(encoding="utf-8")
        for f in root.iterdir()
        if f.name.endswith(".cypher")
    }


@cache
def load(name: str) -> CypherQuery:
    """The query file ``name`` (without ``.cypher``); :class:`NotFoundError` when absent."""
    files = _files()
    if name not in files:
        raise NotFoundError(
            f"no query named {name!r} (see `filiere queries`; known: {', '.join(sorted(files))})"
        )
    return parse(name, files[name])


def library() -> list[CypherQuery]:
    """Every query of the library, sorted by name."""
    return [parse(n, t) for n, t in sorted(_files().items())]


def exists(name: str) -> bool:
    """Whether ``name`` is a query of the library."""
    return name in _files()
