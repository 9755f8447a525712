"""Cycle detection in the bill of materials (iterative, linear in its size).

>>> edges = {"A": [("B", 2)], "B": [("C", 3)], "C": [("A", 4)]}
>>> find_cycles(edges)
[(2, ['A', 'B', 'C', 'A'])]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def find_cycles(
    edges: Mapping[str, Sequence[tuple[str, int | None]]],
) -> list[tuple[int, list[str]]]:
    """Cycles of a directed graph given as ``parent -> [(child, line)]``.

    Each cycle found is returned once as ``(line, [n0, n1, ..., n0])``, rotated so that
    it starts with the dataset edge of lowest line (edges with line ``None`` come from
    the store and are never reported alone). Self-loops must be left out of ``edges``.
    """
    state: dict[str, int] = {}  # 1 = on the DFS stack, 2 = done
    found: list[tuple[int, list[str]]] = []
    for root in edges:
        if root in state:
            continue
        state[root] = 1
        path: list[str] = [root]
        path_lines: list[int | None] = []
        stack = [iter(edges.get(root, ()))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                state[path.pop()] = 2
                if path_lines:
                    path_lines.pop()
                continue
            child, line = step
            seen = state.get(child)
            if seen == 1:
                start = path.index(child)
                nodes = path[start:]
                lines = [*path_lines[start:], line]
                cycle = _rotate(nodes, lines)
                if cycle is not None:
                    found.append(cycle)
            elif seen is None:
                state[child] = 1
                path.append(child)
                path_lines.append(line)
                stack.append(iter(edges.get(child, ())))
    return found


def _rotate(nodes: list[str], lines: list[int | None]) -> tuple[int, list[str]] | None:
    """``nodes[i] -> nodes[i+1]`` has ``lines[i]``; start at the lowest dataset line."""
    known = [(ln, i) for i, ln in enumerate(lines) if ln is not None]
    if not known:
        return None
    line, i = min(known)
    ring = nodes[i:] + nodes[:i]
    return line, [*ring, ring[0]]
