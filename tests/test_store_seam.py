"""The one store seam: outside each store's own modules, nothing asks which store it has.

Every analysis, look-up, supply tree and trade fact goes through ``store.reader``
(:class:`filiere.queries.backend.StoreReader`); see docs/stores.md. This scan fails when
code elsewhere dispatches on the store's class or kind, or reaches into one store's
internals (its networkx graph, its Neo4j driver), which is how the seam erodes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import filiere.graph.embedded
import filiere.graph.neo4j_store  # registers Neo4jStore among the GraphStore subclasses
from filiere.graph.store import GraphStore

PACKAGE = Path(filiere.graph.embedded.__file__).resolve().parents[1]

#: The modules of each store (the store class and its reader), and the Cypher runner,
#: which only Neo4j can serve (stores say so with ``runs_cypher``).
STORE_MODULES = {
    "graph/embedded.py",
    "graph/neo4j_store.py",
    "queries/embedded.py",
    "queries/embedded_lookups.py",
    "queries/neo4j.py",
    "queries/neo4j_lookups.py",
    "queries/cypher_runner.py",
}

#: What only one store has: its in-memory graph, its driver and raw reads.
INTERNALS = {"graph", "driver", "run_read"}


def _store_types() -> list[type[GraphStore]]:
    todo, found = list(GraphStore.__subclasses__()), []
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _names(node: ast.expr) -> set[str]:
    """The class names an ``isinstance`` second argument mentions."""
    return {
        n.id if isinstance(n, ast.Name) else n.attr
        for n in ast.walk(node)
        if isinstance(n, ast.Name | ast.Attribute)
    }


def _is_store(node: ast.expr) -> bool:
    """``store``, ``self.store``, ``app.state.store``..."""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return isinstance(name, str) and name.endswith("store")


def dispatches(source: str, kinds: set[str], classes: set[str]) -> list[tuple[int, str]]:
    """The lines of ``source`` that ask which store they have, with what they do."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "isinstance"
            and len(node.args) == 2
            and _names(node.args[1]) & classes
        ):
            found.append((node.lineno, "isinstance on a store class"))
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Constant) and s.value in kinds for s in sides) and any(
                isinstance(s, ast.Attribute) and s.attr == "kind" for s in sides
            ):
                found.append((node.lineno, "comparison of a store's kind"))
        elif isinstance(node, ast.Attribute) and node.attr in INTERNALS and _is_store(node.value):
            found.append((node.lineno, f"a store's .{node.attr}"))
    return sorted(found)


def test_no_store_dispatch_outside_the_store_modules() -> None:
    classes = {c.__name__ for c in _store_types()}
    assert {"EmbeddedStore", "Neo4jStore"} <= classes
    kinds = {c.kind for c in _store_types()}
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in STORE_MODULES:
            continue
        for line, what in dispatches(path.read_text(encoding="utf-8"), kinds, classes):
            problems.append(f"filiere/{rel}:{line}: {what} (use store.reader, docs/stores.md)")
    assert problems == []


def test_the_scan_finds_each_kind_of_dispatch() -> None:
    source = (
        "def f(store, app):\n"
        "    if isinstance(store, EmbeddedStore):\n"
        "        return store.graph.nodes\n"
        "    if app.state.store.kind == 'neo4j':\n"
        "        return store.run_read('MATCH (n) RETURN n')\n"
        "    if isinstance(store, (int, graph.Neo4jStore)):\n"
        "        return 'neo4j' != store.kind\n"
        "    return store.kind, r.kind == 'substitute', isinstance(store, GraphStore)\n"
    )
    found = dispatches(source, {"embedded", "neo4j"}, {"EmbeddedStore", "Neo4jStore"})
    assert found == [
        (2, "isinstance on a store class"),
        (3, "a store's .graph"),
        (4, "comparison of a store's kind"),
        (5, "a store's .run_read"),
        (6, "isinstance on a store class"),
        (7, "comparison of a store's kind"),
    ]


def test_every_store_gives_a_reader_of_the_protocol() -> None:
    """Each store class implements ``reader``, and its reader every method of the protocol."""
    from filiere.queries.backend import StoreReader
    from filiere.queries.embedded import EmbeddedReader
    from filiere.queries.neo4j import Neo4jReader

    wanted = {
        name
        for name, value in vars(StoreReader).items()
        if callable(value) and not name.startswith("_")
    }
    assert {"deps", "item_row", "supply_tree", "item_trade"} <= wanted
    for reader in (EmbeddedReader, Neo4jReader):
        assert wanted <= set(dir(reader)), reader
    for cls in _store_types():
        assert "reader" not in getattr(cls, "__abstractmethods__", ()), cls
