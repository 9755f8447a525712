"""The Cypher page: saved queries as forms and a read-only editor on Neo4j; else how to get it."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from web_support import workspace

from filiere.graph.embedded import EmbeddedStore
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.ingest import load

DEMO = Path(__file__).resolve().parents[1] / "filiere" / "data" / "demo"


def test_on_the_embedded_store_the_page_says_how_to_get_neo4j(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph.json")
    with workspace(store, tmp_path) as w:
        w.sign_in("analyst")
        r = w.client.get("/requetes?requete=where_used&p.item=C-MAG-NDFEB-S&run=1")
        assert r.status_code == 200
        text = html.unescape(r.text)
        assert "Cypher needs the Neo4j store" in text and "filiere neo4j start" in text
        assert 'name="p.item"' in text and 'value="C-MAG-NDFEB-S"' in text
        assert "/requetes?requete=where_used" in text and "lookup_item" not in text
        assert w.client.get("/requetes?requete=nope").status_code == 404
        assert w.client.get("/requetes?texte=" + "x" * 20_000).status_code == 422
        w.client.cookies.clear()
        assert w.client.get("/requetes", follow_redirects=False).status_code == 303


@pytest.mark.neo4j
def test_a_saved_query_with_a_parameter_returns_rows(
    neo4j_store: GraphStore, tmp_path: Path
) -> None:
    load(DEMO, neo4j_store, progress=False)
    with workspace(neo4j_store, tmp_path) as w:
        w.sign_in("analyst")
        r = w.client.get("/requetes?requete=where_used&p.item=C-MAG-NDFEB-S&run=1")
        assert r.status_code == 200, r.text
        rows = re.findall(r"<tr>(.*?)</tr>", r.text, re.S)[1:]  # [0] is the header
        cells = {
            re.findall(r"<td>(.*?)</td>", row)[0]: re.findall(r"<td>(.*?)</td>", row)
            for row in rows
        }
        assert cells["C-ROTOR-PM"][-1] == "1"  # the rotor holds the magnet
        assert cells["C-GEN-PM"][-1] == "2"  # the generator holds the rotor
        assert any("P-KAPLAN" in row for row in rows)


@pytest.mark.neo4j
def test_the_editor_draws_nodes_and_refuses_writes(neo4j_store: GraphStore, tmp_path: Path) -> None:
    load(DEMO, neo4j_store, progress=False)
    with workspace(neo4j_store, tmp_path) as w:
        w.sign_in("analyst")
        q = "MATCH (s:Supplier {id: 'SUP-MAG-ARA'})-[r:OFFERS]->(i:Item) RETURN s, r, i"
        r = w.client.get("/requetes", params={"texte": q})
        assert r.status_code == 200, r.text
        found = re.search(
            r'<script type="application/json" id="cy-elements">(.*?)</script>', r.text
        )
        assert found
        elements = json.loads(found.group(1))["elements"]
        labels = sorted(e["data"]["label"] for e in elements)
        assert labels == [
            "Component:Item\nAimant NdFeB fritté haute coercivité (grade SH)",
            "OFFERS",
            "Supplier\nAimants Alpins",
        ]
        bad = w.client.get("/requetes", params={"texte": "CREATE (n:Item {id: 'X'}) RETURN n"})
        assert bad.status_code == 400
        assert neo4j_store.get_node(Label.ITEM, "X") is None
