"""The product page's risk tree: the supply tree laid out for ``<details>`` elements.

Presentation only: the analysis (:func:`filiere.queries.deps`) says which items are
concentrated and why, :func:`filiere.viz.data.supply_tree` gives the bill of materials
and the suppliers; this module nests them. An item used in several places is expanded
at its first place only (the next ones point back to it), so the tree has one line per
BOM link and its size grows with the bill of materials, never exponentially.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from filiere import wording
from filiere.queries.models import Dependency, DepsResult
from filiere.viz.data import SupplyTree


@dataclass
class TreeNode:
    """One BOM link: the child item, its quantity per parent and what the analysis said."""

    item: str
    name: str
    kind: str
    quantity: float | None
    countries: list[str]
    reasons: list[str]
    at_risk: bool
    concentrated: bool
    #: An at-risk item is at or below this node: the branch opens.
    hot: bool = False
    #: The item was expanded higher up: this line points there, with no children.
    repeat: bool = False
    children: list[TreeNode] = field(default_factory=list)


def risk_tree(tree: SupplyTree, deps: DepsResult) -> TreeNode:
    """The product's tree, at-risk branches marked ``hot`` (iterative: no recursion limit).

    An item is ``hot`` when it or an item under it is at risk, wherever it appears.
    """
    found: dict[str, Dependency] = {d.item: d for d in deps.dependencies}
    countries: dict[str, set[str]] = {}
    for s in tree.supplies:
        country = tree.suppliers.get(s.supplier, {}).get("country")
        if country:
            countries.setdefault(s.item, set()).add(str(country))

    facts: dict[str, dict[str, Any]] = {}  # what every line of one item shares

    def node(item: str, quantity: float | None) -> TreeNode:
        f = facts.get(item)
        if f is None:
            props = tree.items.get(item, {})
            dep = found.get(item)
            f = facts[item] = {
                "item": item,
                "name": str(props.get("name") or item),
                "kind": str(props.get("kind") or ""),
                "countries": sorted(countries.get(item, ())),
                "reasons": wording.reasons(dep) if dep is not None else [],
                "at_risk": bool(dep and dep.at_risk),
                "concentrated": dep is not None,
            }
        return TreeNode(quantity=quantity, **f)

    at_risk = {d.item for d in deps.dependencies if d.at_risk}
    hot: dict[str, bool] = {}
    for item in _postorder(tree):
        hot[item] = item in at_risk or any(hot[c] for c, _q in tree.children.get(item, ()))

    root = node(tree.product, None)
    root.hot = hot.get(tree.product, False)
    expanded = {tree.product}
    stack = [root]
    while stack:  # depth first, children in BOM order
        parent = stack.pop()
        for child, quantity in tree.children.get(parent.item, ()):
            n = node(child, quantity)
            n.hot = hot.get(child, False)
            parent.children.append(n)
            if child in expanded:
                n.repeat = True
            else:
                expanded.add(child)
        stack.extend(reversed([c for c in parent.children if not c.repeat]))
    return root


def _postorder(tree: SupplyTree) -> list[str]:
    """The items of the tree, each after all the items under it (the BOM has no cycle)."""
    seen: set[str] = set()
    out: list[str] = []
    stack: list[tuple[str, bool]] = [(tree.product, False)]
    while stack:
        item, done = stack.pop()
        if done:
            out.append(item)
            continue
        if item in seen:
            continue
        seen.add(item)
        stack.append((item, True))
        stack.extend((c, False) for c, _q in tree.children.get(item, ()) if c not in seen)
    return out
