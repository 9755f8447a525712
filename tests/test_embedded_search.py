"""The embedded store's search table: same hits as the scan it replaces, kept by every write.

The reference is :func:`filiere.testing.search_scan.scan_search` (every name folded and
ranked in Python, as the store searched before the table); the table is checked against
it on generated names (accents, case, ligatures, apostrophes, names that are numbers or
missing), through its trigram index and without it, after every kind of write, and on a
store written by the previous release (``tests/data/stores/schema-v1.sqlite``).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filiere.errors import StoreError
from filiere.folding import fold
from filiere.graph import search_table
from filiere.graph import sqlite_db as db
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.records import GraphBatch, NodeRecord, RelRecord
from filiere.graph.schema import Label, Rel
from filiere.queries import embedded_lookups, lookups
from filiere.queries.lookups import SEARCH_TYPES, InvalidLookup
from filiere.testing.search_scan import scan_search

V1 = Path(__file__).parent / "data" / "stores" / "schema-v1.sqlite"
TYPES: list[str] = list(SEARCH_TYPES)
WORDS = [
    "Œuvre", "cœur", "Société", "Générale", "d'Électricité", "l\u2019Est", "ÉLECTRO",
    "électronique", "Straße", "Ærø", "Łódź", "Ñandú", "aimant", "AIMANT", "Aimant",
    "néodyme", "neodyme", "pièce", "Pièce", "\u00a0", "fer", "Fer", "ferrite", "co",
    "s\"a", "a*b", "NEAR", "AND", "-", "(x)", "ça", "Çà",
]  # fmt: skip
#: Country codes with French names that differ from ISO's English ones ("Chine": CN).
COUNTRIES = {"CN": "China", "FR": "France", "DE": "Germany", "JP": "Japan", "CI": None}


def _name(rnd: random.Random) -> Any:
    kind = rnd.random()
    if kind < 0.05:
        return None
    if kind < 0.08:
        return rnd.choice([0, 12, 1.5, True, False])
    return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 4)))


def generated_batch(seed: int, n: int = 300) -> GraphBatch:
    """Nodes of the four searched labels (and one other) with names drawn from :data:`WORDS`."""
    rnd = random.Random(seed)
    nodes = []
    for label, prefix in ((Label.ITEM, "I-"), (Label.SUPPLIER, "S-"), (Label.REGION, "FR-")):
        for i in range(n):
            key = f"{prefix}{rnd.choice(['', 'é', 'Œ', 'a'])}{i:03d}{rnd.choice(['', 'co', 'FER'])}"
            props: dict[str, Any] = {"name": _name(rnd), "kind": rnd.choice(["product", None])}
            props["country"] = rnd.choice(["FR", "DE", None])
            nodes.append(NodeRecord.make(label, key, props))
    for code, name in COUNTRIES.items():
        nodes.append(NodeRecord.make(Label.COUNTRY, code, {"name": name}))
    nodes.append(NodeRecord.make(Label.PROCESS, "fer", {"name": "fer"}))  # never searched
    return GraphBatch(nodes, [])


def needles(seed: int, batch: GraphBatch) -> list[str]:
    """Folded needles: pieces of the names and ids (1 to 12 characters), and others."""
    rnd = random.Random(seed)
    texts = [fold(str(n.props.get("name") or "")) for n in batch.nodes] + [
        fold(n.key) for n in batch.nodes
    ]
    found = ["a", "é", "co", "fr", 's"a', "a*b", "and", "near", "(x)", "chine", "allemagne"]
    found += ["japon", "ja", "cote d'ivoire", "france", "zzz", "'", " ", "oeuvre", "0", "12"]
    for _ in range(120):
        text = rnd.choice([t for t in texts if t])
        start = rnd.randrange(len(text))
        found.append(text[start : start + rnd.randint(1, 12)])
    return sorted({fold(" ".join(n.split())) for n in found} - {""})


def search(store: EmbeddedStore, needle: str, types: list[str], offset: int, limit: int) -> Any:
    return embedded_lookups.search_rows(store, needle, types, offset, limit)


def reference(store: EmbeddedStore, needle: str, types: list[str], offset: int, limit: int) -> Any:
    with store.reading() as conn:
        assert conn is not None
        return scan_search(conn, needle, types, offset, limit)


def assert_same_as_the_scan(store: EmbeddedStore, needle_list: list[str]) -> int:
    """Every needle, every type and a few pages: the table's hits equal the scan's."""
    compared = 0
    for needle in needle_list:
        for types in (TYPES, ["item"], ["supplier", "country"], ["country"]):
            for offset, limit in ((0, 20), (3, 5), (0, 1000)):
                got = search(store, needle, types, offset, limit)
                assert got == reference(store, needle, types, offset, limit), (needle, types)
                compared += bool(got)
    return compared


def assert_index_consistent(store: EmbeddedStore) -> None:
    """The search table holds exactly the searched nodes, folded, and its trigram index
    agrees with it (FTS5's own check)."""
    with store.reading() as conn:
        assert conn is not None
        rows = conn.execute("SELECT label, key, fid, fname FROM search ORDER BY 1, 2").fetchall()
        wanted = [
            (label, key, fold(key), fold(str(name or "")))
            for label, key, name in conn.execute(
                "SELECT label, key, json_extract(props, '$.name') FROM nodes"
                " WHERE label IN ('Item', 'Supplier', 'Region', 'Country') ORDER BY 1, 2"
            )
        ]
        assert rows == wanted
        if search_table.has_trigrams(conn):
            conn.execute("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path_factory.mktemp("search") / "g.db")
    store.write(generated_batch(1))
    yield store
    store.close()


def test_hits_equal_the_scan_on_generated_names(generated: EmbeddedStore) -> None:
    assert_index_consistent(generated)
    assert assert_same_as_the_scan(generated, needles(2, generated_batch(1))) > 300


@settings(max_examples=150, deadline=None)
@given(
    needle=st.text(alphabet="aeiocfrsdéèœŒ'\u2019\" -*(0123", min_size=1, max_size=8),
    offset=st.integers(0, 30),
    limit=st.integers(1, 40),
)
def test_hits_equal_the_scan_for_any_needle(
    generated: EmbeddedStore, needle: str, offset: int, limit: int
) -> None:
    folded = fold(" ".join(needle.split()))
    if folded:
        got = search(generated, folded, TYPES, offset, limit)
        assert got == reference(generated, folded, TYPES, offset, limit)


def test_search_without_trigram_index_answers_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SQLite without FTS5's trigram tokenizer: the table alone, scanned in SQL."""
    monkeypatch.setattr(search_table, "trigrams_available", lambda: False)
    store = EmbeddedStore(tmp_path / "g.db")
    store.write(generated_batch(3, n=120))
    with store.reading() as conn:
        assert conn is not None and not search_table.has_trigrams(conn)
    rename = NodeRecord.make(Label.ITEM, "I-000", {"name": "Pièce renommée"})
    store.write(GraphBatch([rename], []))
    assert_index_consistent(store)
    assert assert_same_as_the_scan(store, needles(4, generated_batch(3, n=120))) > 100
    assert [h.id for h in lookups.search(store, "renommee").hits] == ["I-000"]
    store.write(generated_batch(5, n=50), replace=True)
    assert_index_consistent(store)
    store.clear()
    assert_index_consistent(store)
    assert lookups.search(store, "fer").hits == []


def test_every_write_keeps_the_table(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "g.db")
    store.write(generated_batch(6, n=80))
    renamed = [
        NodeRecord.make(Label.ITEM, "I-001", {"name": "Aimant ferrite bleu"}),
        NodeRecord.make(Label.SUPPLIER, "S-new", {"name": "Fonderie de l'Œuvre"}),
        NodeRecord.make(Label.COUNTRY, "FR", {"name": "République française"}),
    ]
    store.write(GraphBatch(renamed, []))
    assert_index_consistent(store)
    assert [h.id for h in lookups.search(store, "ferrite bleu").hits] == ["I-001"]
    assert [h.id for h in lookups.search(store, "de l'oeuvre").hits] == ["S-new"]
    assert lookups.search(store, "republique francaise").hits[0].id == "FR"
    store.write(generated_batch(7, n=40), replace=True)
    assert_index_consistent(store)
    assert lookups.search(store, "ferrite bleu").hits == []
    assert assert_same_as_the_scan(store, needles(8, generated_batch(7, n=40))) > 50
    store.clear()
    assert_index_consistent(store)
    assert lookups.search(store, "fr").hits == []


def test_a_write_in_many_chunks_keeps_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 7 nodes; one node written twice in one write, renamed in between."""
    from filiere.graph import embedded

    monkeypatch.setattr(embedded, "CHUNK", 7)
    store = EmbeddedStore(tmp_path / "g.db")
    batch = generated_batch(10, n=30)
    again = NodeRecord.make(Label.ITEM, batch.nodes[0].key, {"name": "Deuxième nom"})
    same = NodeRecord.make(Label.ITEM, batch.nodes[1].key, {"kind": "material"})  # no name
    store.write(GraphBatch([*batch.nodes, again, same], []))
    assert_index_consistent(store)
    assert [h.id for h in lookups.search(store, "deuxieme nom").hits] == [again.key]
    assert assert_same_as_the_scan(store, needles(11, batch)) > 50


def test_a_chunk_is_read_back_by_its_keys(generated: EmbeddedStore) -> None:
    """The read-back of a written chunk looks its nodes up by key: a scan of every node of
    the label at each chunk would make an ingest's cost grow with the square of its size."""
    with generated.reading() as conn:
        assert conn is not None
        for sql in (search_table._RENAMED, search_table._ADD):
            plan = conn.execute("EXPLAIN QUERY PLAN " + sql, ("[]", "Item"))
            steps = [row[3] for row in plan]
            assert steps[0].startswith("SCAN j") and "(label=? AND key=?)" in steps[1], steps


def test_a_refused_write_leaves_the_table_as_it_was(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "g.db")
    store.write(generated_batch(9, n=30))
    bad = GraphBatch(
        [NodeRecord.make(Label.ITEM, "I-000", {"name": "Nom jamais écrit"})],
        [RelRecord(Rel.CONTAINS, Label.ITEM, "I-000", Label.ITEM, "missing", {})],
    )
    with pytest.raises(StoreError):
        store.write(bad)
    assert lookups.search(store, "jamais ecrit").hits == []
    assert_index_consistent(store)


def test_needles_are_text_never_query_syntax(generated: EmbeddedStore) -> None:
    for needle in ('"', 's"a', "a*b", "near", "and", "(x)", "-", "^fer", "fer:", "*"):
        folded = fold(needle)
        assert search(generated, folded, TYPES, 0, 50) == reference(generated, folded, TYPES, 0, 50)


def test_a_long_needle_is_refused_with_a_clear_message(generated: EmbeddedStore) -> None:
    assert lookups.search(generated, "a" * lookups.MAX_NEEDLE).hits == []
    with pytest.raises(InvalidLookup, match=str(lookups.MAX_NEEDLE)):
        lookups.search(generated, "a" * (lookups.MAX_NEEDLE + 1))


def test_a_search_past_its_time_bound_stops_with_a_clear_message(
    generated: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded_lookups, "SEARCH_SECONDS", -1.0)  # already late
    monkeypatch.setattr(embedded_lookups, "PROGRESS_STEP", 100)
    for needle in ("e", "fer"):  # the table scanned, the trigram index
        with pytest.raises(InvalidLookup, match="add characters"):
            lookups.search(generated, needle)
    monkeypatch.undo()
    assert lookups.search(generated, "fer").hits  # the connection is usable again


def test_trigram_queries_are_bounded() -> None:
    long = "".join(f"{i:03d}" for i in range(70))  # 000001002...069
    query = embedded_lookups._trigram_query(long)
    assert query.count(" AND ") + 1 == embedded_lookups.MAX_TRIGRAMS
    assert query.startswith('"000"') and query.endswith('"069"')
    assert embedded_lookups._trigram_query("ab") == ""
    assert embedded_lookups._trigram_query('a"b') == '"a""b"'


# -- a store written by the previous release --------------------------------------------------


def _v1_copy(tmp_path: Path) -> Path:
    path = tmp_path / "filiere.db"
    shutil.copyfile(V1, path)
    return path


def _raw_scan(path: Path, needle: str) -> list[dict[str, Any]]:
    """The scan's hits on the file as it is, without opening it as a store."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        return scan_search(conn, fold(needle), TYPES, 0, 1000)
    finally:
        conn.close()


def test_a_previous_release_store_gets_its_table_on_first_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _v1_copy(tmp_path)
    words = ["aimant", "Œuvre", "cu", "fr", "capteur de debit", "chine", "e", "S-"]
    before = {w: _raw_scan(path, w) for w in words}
    assert before["aimant"] and before["Œuvre"] and before["chine"]
    store = EmbeddedStore(path)
    assert [h.id for h in lookups.search(store, "aimant").hits] == ["AIM-FERR", "AIM-NDFEB"]
    assert "search table" in capsys.readouterr().err
    for word, hits in before.items():
        assert search(store, fold(word), TYPES, 0, 1000) == hits, word
    with store.reading() as conn:
        assert conn is not None
        assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert_index_consistent(store)
    store.write(GraphBatch([NodeRecord.make(Label.ITEM, "CU", {"name": "Cuivre recyclé"})], []))
    assert [h.id for h in lookups.search(store, "recycle").hits] == ["CU"]
    store.close()
    EmbeddedStore(path).counts()  # opened again: nothing more to do nor say
    assert capsys.readouterr().err == ""


def test_a_json_store_of_an_earlier_release_is_searchable_once_converted(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    shutil.copyfile(V1.with_name("previous-release.json"), path)
    store = EmbeddedStore(path)
    assert [h.id for h in lookups.search(store, "oeuvre").hits] == ["S-Œ"]
    assert_index_consistent(store)


def test_an_interrupted_upgrade_leaves_the_previous_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _v1_copy(tmp_path)

    def killed() -> bool:
        raise KeyboardInterrupt  # midway: the table is filled, its index not yet built

    monkeypatch.setattr(search_table, "trigrams_available", killed)
    with pytest.raises(KeyboardInterrupt):
        EmbeddedStore(path).counts()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'search'").fetchone() is None
    conn.close()
    monkeypatch.undo()
    store = EmbeddedStore(path)
    assert [h.id for h in lookups.search(store, "neodyme").hits] == ["ND"]
    assert_index_consistent(store)


def test_a_store_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = _v1_copy(tmp_path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="not supported by this release"):
        EmbeddedStore(path).counts()
