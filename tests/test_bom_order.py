"""The BOM sub-graph helpers of ``filiere.queries.common`` (pure, no store).

``topological_order`` is networkx's sort of closure(root) with filiere's cycle message;
``path_quantities`` sums the quantities in that order and must equal the sum over every
path of the product of its quantities (the definition in docs/analyses.md).
"""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filiere.queries.common import (
    BomCycleError,
    closure_digraph,
    path_quantities,
    topological_order,
)


@st.composite
def boms(draw: st.DrawFn) -> dict[str, list[tuple[str, float]]]:
    """Random bills of materials over a few items: diamonds, repeated lines, cycles."""
    n = draw(st.integers(min_value=1, max_value=12))
    names = [f"I{i}" for i in range(n)]
    quantity = st.sampled_from([0.5, 1.0, 2.0, 3.0, 0.1, 7.25])
    children: dict[str, list[tuple[str, float]]] = {}
    for name in names:
        lines = draw(st.lists(st.tuples(st.sampled_from(names), quantity), max_size=4))
        listed: bool = draw(st.booleans())  # a leaf with or without an (empty) entry
        if lines or listed:
            children[name] = lines
    return children


def smallest_on_cycle(root: str, children: dict[str, list[str]]) -> str | None:
    """The smallest item of closure(root) on a cycle or below one, else ``None``."""
    g = closure_digraph(root, children)
    if nx.is_directed_acyclic_graph(g):
        return None
    below: set[str] = set().union(*(nx.descendants(g, v) | {v} for v in g if _on_cycle(g, v)))
    return min(below)


def _on_cycle(g: nx.DiGraph, v: str) -> bool:
    return any(v in nx.descendants(g, c) or c == v for c in g.successors(v))


@settings(max_examples=300)
@given(boms())
def test_parents_come_first_and_quantities_sum_every_path(
    bom: dict[str, list[tuple[str, float]]],
) -> None:
    ids = {v: [c for c, _ in lines] for v, lines in bom.items()}
    for root in sorted({"I0", *bom}):
        left = smallest_on_cycle(root, ids)
        if left is not None:
            with pytest.raises(BomCycleError, match=f"cycle through '{left}'"):
                topological_order(root, ids)
            with pytest.raises(BomCycleError, match=f"cycle through '{left}'"):
                path_quantities(root, bom)
            continue
        order = topological_order(root, ids)
        place = {v: i for i, v in enumerate(order)}
        assert order[0] == root and len(place) == len(order)
        assert all(place[v] < place[c] for v in order for c in ids.get(v, ()))
        # The quantities: the sum over every path of the product of its quantities.
        qty = path_quantities(root, bom)
        assert list(qty) == order
        for item, value in qty.items():
            assert math.isclose(value, _by_paths(root, item, bom), rel_tol=1e-12)


def _by_paths(root: str, item: str, bom: dict[str, list[tuple[str, float]]]) -> float:
    """Enumerate the paths (fine on a dozen items): the definition of the rolled-up quantity."""
    if root == item:
        return 1.0
    return math.fsum(q * _by_paths(c, item, bom) for c, q in bom.get(root, ()))


def test_quantities_of_a_diamond() -> None:
    bom = {"P": [("A", 2.0), ("B", 1.0)], "A": [("C", 3.0), ("C", 1.0)], "B": [("C", 0.5)]}
    assert path_quantities("P", bom) == {"P": 1.0, "A": 2.0, "B": 1.0, "C": 8.5}


def test_a_cycle_names_the_smallest_item_left() -> None:
    with pytest.raises(BomCycleError, match="of 'P' contains a cycle through 'A'"):
        topological_order("P", {"P": ["B"], "B": ["A"], "A": ["B"]})
