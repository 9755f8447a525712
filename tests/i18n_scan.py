"""Finds human-facing text that bypasses the language layer (used by tests/test_i18n.py).

A string literal holding words (two words of letters, once HTML tags are removed) in a
user-facing module must be the argument of ``_``/``ngettext``/``pgettext``/``N_``; docstrings,
``help=``/``metavar=`` of click options (the help texts, extracted and translated by
:mod:`filiere.cli.localized`),
logging calls and the explicit :data:`ALLOWED` texts are exempt.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The modules whose texts a user reads (the views are their own branch's: filiere/viz).
MODULES = sorted(
    [
        *(ROOT / "filiere" / "cli").glob("*.py"),
        *(ROOT / "filiere" / "report").glob("*.py"),
        *(ROOT / "filiere" / "web").rglob("*.py"),
        ROOT / "filiere" / "wording.py",
        ROOT / "filiere" / "api" / "problems.py",
    ]
)
_WORDS = re.compile(r"[A-Za-z]{2,}[ ,;]+[A-Za-z]{2,}")
_TAG = re.compile(r"<[^>]*>|&[a-z]+;")
_LAYER = {"_", "ngettext", "pgettext", "N_"}
_EXEMPT_KEYWORDS = {
    "help", "metavar", "param_hint", "prog_name", "description", "default", "show_default"
}  # fmt: skip
_LOG = {"debug", "info", "warning", "error", "exception", "critical"}
#: Texts that are not prose: CSS, commands shown to copy, identifiers.
ALLOWED = {
    "filiere/report/html.py": [
        "font-family",
        "border-collapse",
        "<!DOCTYPE html>",
        "<iframe src=",
        "(function () {",
    ],  # CSS, markup and the figures' script
    "filiere/cli/reference.py": ["*"],  # docs/cli.md from --help (English, by design)
    "filiere/cli/analysis_cmds.py": ["ran outside the filiere group"],  # a programming error
    # Commands to copy, file patterns and CSV column keys: not prose.
    "filiere/cli/neo4j_cmds.py": ["export FILIERE_STORE=", "filiere neo4j start --home "],
    "filiere/cli/report_cmds.py": [" viz deps ", "(deps-*.html, routes-*.html, shock-*.html)"],
    "filiere/cli/store_cmds.py": ["label or type"],
    # HTTP header values of the dependency table's download.
    "filiere/web/pages/product.py": ["attachment; filename=", "charset=utf-8"],
    "filiere/web/pages/reloc.py": ["attachment; filename=", "charset=utf-8"],
}


def _allowed(rel: str, text: str) -> bool:
    allowed = ALLOWED.get(rel, [])
    return "*" in allowed or any(a in text for a in allowed)


def bypasses(path: Path) -> list[str]:
    """``file:line: text`` for every worded literal of ``path`` outside the language layer."""
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skip.add(id(first.value))
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            exempt = name in _LAYER or (
                name in _LOG
                and isinstance(f, ast.Attribute)
                and isinstance(f.value, ast.Name)
                and f.value.id == "log"
            )
            for sub in [*node.args, *(k.value for k in node.keywords)] if exempt else []:
                skip.update(id(n) for n in ast.walk(sub))
            for k in node.keywords:
                if k.arg in _EXEMPT_KEYWORDS:
                    skip.update(id(n) for n in ast.walk(k.value))
    found = []
    for node in ast.walk(tree):
        if (
            id(node) in skip
            or not isinstance(node, ast.Constant)
            or not isinstance(node.value, str)
        ):
            continue
        text = _TAG.sub(" ", node.value)
        if _WORDS.search(text) and not _allowed(rel, node.value):
            found.append(f"{rel}:{node.lineno}: {node.value[:60]!r}")
    return sorted(found, key=lambda hit: int(hit.split(":")[1]))


def all_bypasses() -> list[str]:
    return [hit for m in MODULES if m.exists() for hit in bypasses(m)]


if __name__ == "__main__":
    print("\n".join(all_bypasses()))
