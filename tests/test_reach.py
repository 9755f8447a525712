"""``reach_counts`` (the count behind ``critical``) against networkx's descendants, on random
graphs with cycles, shared parts and roots inside other roots' closures, whatever the chunking."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from filiere.queries.reach import reach_counts


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]], list[int]]:
    """``n`` nodes, directed edges (any direction: cycles and self-loops included), roots."""
    n = draw(st.integers(1, 40))
    node = st.integers(0, n - 1)
    edges = draw(st.lists(st.tuples(node, node), max_size=120))
    roots = draw(st.lists(node, unique=True, max_size=n))
    return n, edges, roots


def csr(n: int, edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """The edges as CSR arrays (duplicates kept: the count must not see them twice)."""
    a = np.array([e[0] for e in edges], dtype=np.int32)
    b = np.array([e[1] for e in edges], dtype=np.int32)
    order = np.argsort(a, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    return indptr, b[order]


def expected(n: int, edges: list[tuple[int, int]], roots: list[int]) -> list[int]:
    g = nx.DiGraph(edges)
    g.add_nodes_from(range(n))
    counts = [0] * n
    for r in roots:
        for v in nx.descendants(g, r) | {r}:
            counts[v] += 1
    return counts


@settings(max_examples=300, deadline=None)
@given(graphs(), st.integers(1, 64))
def test_reach_counts_match_networkx(
    graph: tuple[int, list[tuple[int, int]], list[int]], limit: int
) -> None:
    n, edges, roots = graph
    indptr, indices = csr(n, edges)
    # A small ``limit`` splits the roots into chunks (down to one root a chunk).
    got = reach_counts(indptr, indices, np.array(roots, dtype=np.int64), limit=limit)
    assert got.tolist() == expected(n, edges, roots)


def test_a_long_cycle_through_every_node_reaches_every_node_from_each_root() -> None:
    n = 1000
    edges = [(i, (i + 1) % n) for i in range(n)]
    indptr, indices = csr(n, edges)
    got = reach_counts(indptr, indices, np.arange(0, n, 10), limit=5000)
    assert got.tolist() == [100] * n
