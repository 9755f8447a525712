"""Catalog tooling (``scripts/i18n``): extract with Babel, fold fragments, update, compile, check.

The source texts are English message ids in the code. ``filiere/locale/filiere.pot`` is
extracted from the package; ``fr`` and ``en`` catalogs are updated from it (the English
one translates each id to itself). Other branches put the French of the messages they add
in ``filiere/locale/fragments/<branch>.po``; :func:`fold` moves those translations into
the French catalog and deletes the fragments. The compiled ``.mo`` files are committed
beside the ``.po`` files, so loading costs one small file read; :func:`check` fails when
a message lacks a translation or a ``.mo`` is older than its ``.po``.

Click's own words ("Usage:", "Missing argument"...) have their French in a catalog of
their own, ``fr/LC_MESSAGES/click.po``, edited by hand; :func:`check` fails when the
installed click has a message a user can meet that it lacks.
"""

from __future__ import annotations

import ast
import copy
import inspect
import io
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from filiere.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

PACKAGE_DIR = LOCALE_DIR.parent
POT = LOCALE_DIR / f"{DOMAIN}.pot"
FRAGMENTS = LOCALE_DIR / "fragments"
KEYWORDS = {"_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}
_PLACEHOLDER = re.compile(r"\{[a-z_0-9]*(?::[^}]*)?\}")
CLICK_PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "click.po"
#: Click's messages about a program's own mistakes (never shown to a user of a correct
#: program): left in English.
CLICK_INTERNAL = {
    "Name '{name}' defined twice",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Could not determine name for option with declarations {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an "
    "argument instead? Did you mean to pass '--{name}'?",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Unknown color {colour!r}",
    "Unknown standard stream '{name}'",
    "Choice({choices})",
}
#: Keyword arguments of click's decorators and classes that hold help texts.
HELP_KEYWORDS = ("help", "short_help", "epilog", "show_default")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


#: A fixed date in the headers, so that running scripts/i18n twice changes nothing.
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _stable_header(catalog: Catalog) -> None:
    catalog.project, catalog.version = "filiere", ""
    catalog.copyright_holder, catalog.msgid_bugs_address = "filiere contributors", ""
    catalog.creation_date = catalog.revision_date = _EPOCH
    catalog.last_translator = catalog.language_team = "filiere contributors"
    catalog.fuzzy = False


def extract() -> Catalog:
    """Every message of the package's Python code and workspace templates (Babel's extractors)."""
    catalog = Catalog(project="filiere", domain=DOMAIN, charset="utf-8")
    _stable_header(catalog)
    found = extract_from_dir(
        PACKAGE_DIR,
        method_map=[
            ("cli/**.py", "filiere.i18n_tools:extract_click_help"),
            ("**.py", "python"),
            ("web/templates/**.html", "jinja2.ext:babel_extract"),
        ],
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
    )
    for filename, lineno, message, comments, context in found:
        path = f"filiere/{Path(filename).as_posix()}"
        catalog.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return catalog


def extract_click_help(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[Any, ...]]:
    """Babel's Python extraction, plus the command line's help texts: the docstrings of
    click commands and groups and the ``help=`` of their options, which
    :mod:`filiere.cli.localized` translates when the help is shown."""
    yield from extract_python(fileobj, keywords, comment_tags, options)
    fileobj.seek(0)
    yield from ((line, "N_", text, []) for line, text in help_texts(fileobj.read()))


def help_texts(source: bytes | str) -> list[tuple[int, str]]:
    """``(line, English text)`` of every help text of a command-line module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                value = kw.value.value if isinstance(kw.value, ast.Constant) else None
                if kw.arg in HELP_KEYWORDS and isinstance(value, str) and value:
                    found.append((kw.value.lineno, inspect.cleandoc(value)))
        elif isinstance(node, ast.FunctionDef) and _is_command(node):
            doc = ast.get_docstring(node)
            if doc:
                found.append((node.lineno, doc))
    return found


def _is_command(node: ast.FunctionDef) -> bool:
    """Whether a function is decorated as a click command or group (and takes its help
    from its docstring)."""
    for deco in node.decorator_list:
        call = deco if isinstance(deco, ast.Call) else None
        target = call.func if call else deco
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in ("command", "group"):
            return call is None or not any(k.arg == "help" for k in call.keywords)
    return False


def click_template() -> Catalog:
    """The messages of the installed click that a user can meet."""
    catalog = Catalog(domain="click")
    found = extract_from_dir(
        Path(click.__file__).parent,
        method_map=[("**.py", "python")],
        keywords={"_": None, "ngettext": (1, 2)},
    )
    for _filename, _lineno, message, _comments, _context in found:
        if _key(message) not in CLICK_INTERNAL:
            catalog.add(message)
    catalog.add("required")  # click passes it through _() as a variable
    return catalog


def read(path: Path, locale: str | None = None, domain: str = DOMAIN) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=domain)


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)
    path.write_bytes(buf.getvalue())


def mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def _identity(message: Message) -> str | tuple[str, ...]:
    if isinstance(message.id, tuple | list):
        return tuple(message.id)
    return str(message.id)


def update(template: Catalog, fragments: Iterable[Catalog] = ()) -> dict[str, Catalog]:
    """The ``fr`` and ``en`` catalogs brought up to ``template``; ``fragments`` add French."""
    out: dict[str, Catalog] = {}
    extra: dict[tuple[str | tuple[str, ...], str | None], Message] = {}
    for frag in fragments:
        for m in frag:
            if isinstance(m.string, tuple | list):  # French has two forms (CLDR pads to three)
                m.string = tuple(m.string[:2])
            if m.id and m.string and (not isinstance(m.string, tuple) or all(m.string)):
                extra[(_key(m.id), m.context)] = m
    for lang in LANGUAGES:
        path = po_path(lang)
        catalog = read(path, lang) if path.exists() else Catalog(locale=lang, domain=DOMAIN)
        _stable_header(catalog)
        catalog.header_comment = (
            f"# filiere messages, {lang}. Edit the msgstr lines only: scripts/i18n keeps the\n"
            "# rest up to date (docs/glossaire.md fixes the French terms)."
        )
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        if lang == "fr":  # gettext's French rule (0 and 1 singular), not CLDR's three forms
            catalog._num_plurals, catalog._plural_expr = 2, "(n > 1)"  # type: ignore[assignment]
        catalog.obsolete.clear()
        for m in catalog:
            if not m.id:
                continue
            if lang == "en":
                m.string = _identity(m)
            elif (_key(m.id), m.context) in extra:
                m.string = extra[(_key(m.id), m.context)].string
            m.flags.discard("fuzzy")
        out[lang] = catalog
    return out


def _key(mid: object) -> str:
    return mid[0] if isinstance(mid, tuple | list) else str(mid)


def missing(catalog: Catalog, template: Catalog) -> list[str]:
    """The messages of ``template`` that ``catalog`` does not translate (or translates badly)."""
    problems = []
    for m in template:
        if not m.id:
            continue
        got = catalog.get(m.id, context=m.context)
        label = _key(m.id)
        if got is None:
            problems.append(f"{catalog.locale}: missing {label!r}")
            continue
        strings = got.string if isinstance(got.string, tuple | list) else (got.string,)
        if not all(strings) or "fuzzy" in got.flags:
            problems.append(f"{catalog.locale}: untranslated {label!r}")
            continue
        ids = m.id if isinstance(m.id, tuple | list) else (m.id,)
        wanted = {p for i in ids for p in _PLACEHOLDER.findall(i)}
        for s in strings:
            if set(_PLACEHOLDER.findall(str(s))) - wanted:
                problems.append(f"{catalog.locale}: placeholders of {label!r} differ: {s!r}")
    return problems


def unextracted(template: Catalog) -> list[str]:
    """Messages the code passes to ``_()``... that Babel did not extract (e.g. inside f-strings).

    Babel's extractor reads Python < 3.12 f-strings as one token, so a ``_("...")`` written
    inside ``f"{...}"`` would never reach the catalogs; the AST sees it.
    """
    keywords = {"_": 0, "ngettext": 0, "pgettext": 1, "N_": 0}
    problems = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name not in keywords or len(node.args) <= keywords[name]:
                continue
            arg = node.args[keywords[name]]
            if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str):
                continue
            context = None
            if name == "pgettext" and isinstance(node.args[0], ast.Constant):
                context = str(node.args[0].value)
            if template.get(arg.value, context=context) is None and not any(
                _key(m.id) == arg.value for m in template if m.context == context
            ):
                rel = path.relative_to(PACKAGE_DIR.parent).as_posix()
                problems.append(f"{rel}:{node.lineno}: not extracted: {arg.value!r}")
    return problems


def check() -> list[str]:
    """Every problem of the catalogs: missing or fuzzy messages, stale ``.mo``, fragments left."""
    template = extract()
    problems = unextracted(template)
    for lang in LANGUAGES:
        path = po_path(lang)
        if not path.exists():
            problems.append(f"{path}: missing (run scripts/i18n)")
            continue
        catalog = read(path, lang)
        problems += missing(catalog, template)
        mo = mo_path(lang)
        if not mo.exists() or _messages(_read_mo(mo)) != _messages(catalog):
            problems.append(f"{mo}: not compiled from the current .po (run scripts/i18n compile)")
    click_fr = read(CLICK_PO, "fr", "click")
    problems += [f"{CLICK_PO.name}: {p}" for p in missing(click_fr, click_template())]
    mo = CLICK_PO.with_suffix(".mo")
    if not mo.exists() or _messages(_read_mo(mo)) != _messages(click_fr):
        problems.append(f"{mo}: not compiled from the current .po (run scripts/i18n compile)")
    problems += [
        f"{p}: fragment not folded (run scripts/i18n)" for p in sorted(FRAGMENTS.glob("*.po"))
    ]
    return problems


def _read_mo(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_mo(f)


def _messages(catalog: Catalog) -> dict[tuple[str, str | None], object]:
    """What a compiled catalog holds: each translated message's forms, header left out.

    Compared instead of the bytes, which also hold the Babel version that compiled them.
    """
    out: dict[tuple[str, str | None], object] = {}
    for m in catalog:
        if not m.id or "fuzzy" in m.flags:
            continue
        strings = tuple(m.string) if isinstance(m.string, tuple | list) else (m.string,)
        if all(strings):
            out[(_key(m.id), m.context)] = strings
    return out


def compile_all() -> None:
    for lang in LANGUAGES:
        mo_path(lang).write_bytes(mo_bytes(read(po_path(lang), lang)))
    CLICK_PO.with_suffix(".mo").write_bytes(mo_bytes(read(CLICK_PO, "fr", "click")))


def run_all() -> list[str]:
    """Extract, fold the fragments, update both catalogs, compile; the problems left.

    A fragment is deleted once every one of its messages is in the code and folded; one
    that holds messages the code does not have yet (folded before its branch was merged)
    is kept and reported.
    """
    template = extract()
    write(template, POT)
    fragments = {p: read(p, "fr") for p in sorted(FRAGMENTS.glob("*.po"))}
    catalogs = update(template, fragments.values())
    for lang, catalog in catalogs.items():
        write(catalog, po_path(lang))
    compile_all()
    problems = []
    for path, frag in fragments.items():
        unknown = [_key(m.id) for m in frag if m.id and template.get(m.id, m.context) is None]
        if unknown:
            problems.append(f"{path}: kept, {len(unknown)} message(s) not in the code: {unknown}")
        else:
            path.unlink()
    return problems + check()


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "all"
    if cmd == "all":
        problems = run_all()
    elif cmd == "compile":
        compile_all()
        problems = check()
    elif cmd == "check":
        problems = check()
    else:
        print("usage: scripts/i18n [all|compile|check]", file=sys.stderr)
        return 2
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
