"""The language layer: complete catalogs, no text around them, French by default, English on demand.

The demo checks compare the output with the catalogs themselves: a French run must hold
no English text of any message, an English run no French text of any message (the data's
own names are French and may appear in both).
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from click.testing import CliRunner
from fastapi.testclient import TestClient
from i18n_scan import all_bypasses, bypasses

from filiere import i18n_tools
from filiere.api.app import create_app
from filiere.api.security import KeyStore, Role
from filiere.api.settings import ApiSettings
from filiere.cli import cli
from filiere.cli.analysis_cmds import deps_columns
from filiere.cli.report_cmds import demo_dataset
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.store import GraphStore
from filiere.i18n import _, language, ngettext

ROOT = Path(__file__).resolve().parents[1]


def test_catalogs_are_complete_and_compiled() -> None:
    """Every message of the code is translated in fr and en, and the .mo match the .po."""
    assert i18n_tools.check() == []


def test_a_missing_message_is_reported() -> None:
    template = Catalog(locale="fr")
    template.add("a message nobody translated")
    template.add(("{n} thing", "{n} things"))
    catalog = i18n_tools.read(i18n_tools.po_path("fr"), "fr")
    problems = i18n_tools.missing(catalog, template)
    assert problems == [
        "fr: missing 'a message nobody translated'",
        "fr: missing '{n} thing'",
    ]


def test_no_user_facing_text_bypasses_the_layer() -> None:
    assert all_bypasses() == []


def test_the_scan_finds_a_bare_text(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        'import click\n\ndef f(n):\n    """Docstrings are fine."""\n'
        '    click.echo(_("{n} items loaded").format(n=n))\n'
        '    click.echo(f"{n} items written to the store")\n'
        '    table.add_column("label or type")\n',
        encoding="utf-8",
    )
    found = bypasses(module)
    assert found == [
        "bad.py:6: ' items written to the store'",
        "bad.py:7: 'label or type'",
    ]


def test_french_is_the_default_with_its_plural_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FILIERE_LANG")
    assert _("at risk") == "à risque"
    forms = [ngettext("{n} product", "{n} products", n).format(n=n) for n in (0, 1, 2)]
    assert forms == ["0 produit", "1 produit", "2 produits"]  # French: 0 is singular
    with language("en"):
        forms = [ngettext("{n} product", "{n} products", n).format(n=n) for n in (0, 1, 2)]
    assert forms == ["0 products", "1 product", "2 products"]


def _fragments(text: str) -> list[str]:
    """The literal parts of a message around its placeholders that hold two words or more."""
    parts = re.split(r"\{[^}]*\}", text)
    return [p.strip(" :;,.()") for p in parts if len(re.findall(r"[^\W\d_]{2,}", p)) >= 2]


def _texts(lang: str) -> tuple[set[str], set[str]]:
    """(fragments of the English ids, fragments of the French translations)."""
    catalog = i18n_tools.read(i18n_tools.po_path("fr"), "fr")
    english, french = set(), set()
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        english |= {f for i in ids for f in _fragments(str(i))}
        french |= {f for s in strings for f in _fragments(str(s or ""))}
    del lang
    return english - french, french - english


def _source_names(graph: Path) -> list[str]:
    """The provenance names of the data (titles of the sources, written by their authors)."""
    store = EmbeddedStore(str(graph))
    try:
        batch = store.export()
    finally:
        store.close()
    props = [n.props for n in batch.nodes] + [r.props for r in batch.rels]
    names = {str(p["source"]) for p in props if p.get("source")}
    return sorted(names | {n.split(" [", 1)[0] for n in names}, key=len, reverse=True)


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The terminal output and the report text of the demo, in French and in English."""
    out = {}
    for lang in ("fr", "en"):
        folder = tmp_path_factory.mktemp(lang) / "demo"
        result = CliRunner().invoke(
            cli,
            ["--lang", lang, "demo", "--no-progress", "-o", str(folder)],
            env={"COLUMNS": "200", "FILIERE_LANG": None},
        )
        assert result.exit_code == 0, result.output
        page = (folder / "report.html").read_text(encoding="utf-8")
        page = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S)
        text = " ".join((result.output + "\n" + html.unescape(page)).split())
        for name in _source_names(folder / "graph.db"):  # the data's own titles
            text = text.replace(name, " ")
        out[lang] = text
    return out


def test_a_french_demo_holds_no_english_sentence(demo_runs: dict[str, str]) -> None:
    english, _french = _texts("fr")
    text = demo_runs["fr"]
    assert "Dépendances et voies de relocalisation" in text
    found = sorted(f for f in english if f in text)
    assert found == []


def test_an_english_demo_holds_no_french_sentence(demo_runs: dict[str, str]) -> None:
    _english, french = _texts("en")
    text = demo_runs["en"]
    assert "Dependencies and relocation routes" in text
    found = sorted(f for f in french if f in text)
    assert found == []


def test_the_layer_is_chosen_per_command(tmp_path: Path) -> None:
    runner = CliRunner()
    store = ["--store", str(tmp_path / "g.json")]
    fr = runner.invoke(cli, [*store, "--lang", "fr", "deps", "NOPE"])
    en = runner.invoke(cli, [*store, "--lang", "en", "deps", "NOPE"])
    assert fr.output.startswith("erreur") and en.output.startswith("error")
    env = runner.invoke(cli, [*store, "deps", "NOPE"], env={"FILIERE_LANG": "fr"})
    assert env.output.startswith("erreur")
    bad = runner.invoke(cli, [*store, "--lang", "de", "deps", "NOPE"])
    assert bad.exit_code == 2


def test_problem_details_follow_accept_language(embedded_store: GraphStore, tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    token = KeyStore(keys).create(Role("analyst"))[1]
    app = create_app(ApiSettings(keys_file=keys), store=embedded_store)
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as c:
        default = c.get("/items/NOPE").json()
        english = c.get("/items/NOPE", headers={"Accept-Language": "en-GB,en;q=0.9"}).json()
        french = c.get("/items/NOPE", headers={"Accept-Language": "de, fr;q=0.5"}).json()
        fr_404 = c.get("/items/NOPE", headers=auth).json()
        en_404 = c.get("/items/NOPE", headers={**auth, "Accept-Language": "en"}).json()
    assert default["title"] == french["title"] == "Non authentifié"
    assert english["title"] == "Unauthorized"
    # The contract does not move: same fields, same type, same status.
    assert set(default) == set(english) and default["type"] == english["type"]
    assert default["status"] == english["status"] == 401
    assert (fr_404["title"], fr_404["detail"]) == ("Introuvable", "aucun article 'NOPE'")
    assert (en_404["title"], en_404["detail"]) == ("Not Found", "no item 'NOPE'")
    assert fr_404["type"] == en_404["type"] == "urn:filiere:problem:not-found"


def test_refusals_follow_accept_language(embedded_store: GraphStore, tmp_path: Path) -> None:
    """A key without the role, and Cypher on the embedded store, are refused in the reader's
    language too (French by default)."""
    keys = tmp_path / "keys.json"
    token = KeyStore(keys).create(Role("analyst"))[1]
    app = create_app(ApiSettings(keys_file=keys), store=embedded_store)
    auth = {"Authorization": f"Bearer {token}"}
    upload = {"file": ("lot.zip", b"")}
    cypher = {"query": "RETURN 1"}
    with TestClient(app) as c:
        fr = c.post("/datasets", files=upload, headers=auth).json()
        en = c.post("/datasets", files=upload, headers={**auth, "Accept-Language": "en"}).json()
        fr_cypher = c.post("/cypher", json=cypher, headers=auth).json()
        en_cypher = c.post("/cypher", json=cypher, headers={**auth, "Accept-Language": "en"}).json()
    assert fr["status"] == en["status"] == 403
    assert fr["detail"] == "il faut pour cela le rôle editor ou un rôle supérieur"
    assert en["detail"] == "this needs the editor role or higher"
    assert fr_cypher["status"] == 409
    assert fr_cypher["detail"].startswith("Cypher demande la base Neo4j")
    assert en_cypher["detail"].startswith("Cypher needs the Neo4j store")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_deps_fits_80_columns_with_every_column(lang: str, tmp_path: Path) -> None:
    """``filiere deps P-KAPLAN`` at COLUMNS=80: no line wider, no column dropped, paths kept."""
    runner = CliRunner()
    store = ["--store", str(tmp_path / "g.json")]
    with demo_dataset() as path:
        loaded = runner.invoke(cli, [*store, "ingest", "--no-progress", str(path)])
    assert loaded.exit_code == 0, loaded.output
    result = runner.invoke(cli, [*store, "--lang", lang, "deps", "P-KAPLAN"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    with language(lang):
        headers = [h for _k, h in deps_columns()]
    header = next(line for line in lines if line.startswith("┃"))
    assert [c.strip() for c in header.strip("┃").split("┃")] == headers
    # Each of the 26 dependencies has its BOM path, starting at the product, in the last column.
    rows = [line for line in lines if line.startswith("│") and line.split("│")[4].strip()]
    assert len(rows) == 26
    assert all(row.split("│")[-2].strip().startswith("P-KAPLAN >") for row in rows)


def test_fragments_fold_into_the_french_catalog(tmp_path: Path) -> None:
    """A branch's ``fragments/<branch>.po`` gives its French; English translates to itself."""
    fragment = tmp_path / "opps.po"
    fragment.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "{n} opportunity"\nmsgid_plural "{n} opportunities"\n'
        'msgstr[0] "{n} opportunité"\nmsgstr[1] "{n} opportunités"\n\n'
        'msgid "matches"\nmsgstr "correspondances"\n',
        encoding="utf-8",
    )
    template = i18n_tools.extract()
    template.add(("{n} opportunity", "{n} opportunities"))
    template.add("matches")
    catalogs = i18n_tools.update(template, [i18n_tools.read(fragment, "fr")])
    fr, en = catalogs["fr"], catalogs["en"]
    assert str(getattr(fr.get("matches"), "string", "")) == "correspondances"
    plural = getattr(fr.get("{n} opportunity"), "string", ())
    assert tuple(plural) == ("{n} opportunité", "{n} opportunités")
    assert str(getattr(en.get("matches"), "string", "")) == "matches"
    assert i18n_tools.missing(fr, template) == []


def test_upload_errors_follow_accept_language(embedded_store: GraphStore, tmp_path: Path) -> None:
    """A refused upload's ``file:line`` messages are in the language Accept-Language asks for."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("items.csv", "id,name,kind\nX1,Vis,component\nX2,Écrou,alloy\n")
    keys = tmp_path / "keys.json"
    token = KeyStore(keys).create(Role("editor"))[1]
    app = create_app(ApiSettings(keys_file=keys), store=embedded_store)
    auth = {"Authorization": f"Bearer {token}"}
    before = embedded_store.export()
    with TestClient(app) as c:
        fr, en = (
            c.post(
                "/datasets",
                files={"file": ("lot.zip", buf.getvalue())},
                headers={**auth, "Accept-Language": lang},
            )
            for lang in ("fr", "en")
        )
    assert fr.status_code == en.status_code == 422
    place = ("lot.zip/items.csv", 3)
    assert [(e["file"], e["line"], e["message"]) for e in fr.json()["errors"]] == [
        (*place, "type inconnu 'alloy' (attendu : product, component ou material)")
    ]
    assert [(e["file"], e["line"], e["message"]) for e in en.json()["errors"]] == [
        (*place, "unknown kind 'alloy' (expected product, component or material)")
    ]
    assert embedded_store.export() == before
