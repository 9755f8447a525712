"""The BOM sub-graph helpers of ``filiere.queries.common`` (pure, no store).

``topological_order`` runs on plain dicts (one networkx graph per product cost seconds at
full scale); it must give exactly networkx's order, since ``path_quantities`` sums in
that order and ``bom`` results are compared byte for byte between the stores.
"""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filiere.queries.common import BomCycleError, path_quantities, topological_order


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


def networkx_order(root: str, children: dict[str, list[str]]) -> list[str] | str:
    """The previous implementation: networkx's sort, or the smallest item left on a cycle."""
    g = nx.DiGraph()
    g.add_node(root)
    stack = [root]
    while stack:
        v = stack.pop()
        for c in children.get(v, ()):
            if c not in g:
                stack.append(c)
            g.add_edge(v, c)
    order: list[str] = []
    try:
        for v in nx.topological_sort(g):
            order.append(v)
    except nx.NetworkXUnfeasible:
        left: str = min(set(g) - set(order))
        return left
    return order


@settings(max_examples=300)
@given(boms())
def test_topological_order_is_networkx_order(bom: dict[str, list[tuple[str, float]]]) -> None:
    ids = {v: [c for c, _ in lines] for v, lines in bom.items()}
    for root in sorted({"I0", *bom}):
        expected = networkx_order(root, ids)
        if isinstance(expected, str):
            with pytest.raises(BomCycleError, match=f"cycle through '{expected}'"):
                topological_order(root, ids)
            with pytest.raises(BomCycleError, match=f"cycle through '{expected}'"):
                path_quantities(root, bom)
            continue
        assert topological_order(root, ids) == expected
        # The quantities: the sum over every path of the product of its quantities.
        qty = path_quantities(root, bom)
        assert list(qty) == expected
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
