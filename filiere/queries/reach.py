"""How many roots reach each node of a graph given as CSR arrays, without a Python loop per root.

``critical`` asks, for every item, how many products hold it in their bill of materials:
the sum of the products' closure sizes is the work to do, however many products there
are. :func:`reach_counts` expands every root's closure at once, level by level, as
(root, node) pairs in numpy: each level takes the children of the frontier's nodes
(``np.repeat`` over the CSR spans), drops the pairs already seen, and the new pairs are
the next frontier. A pair is seen once whatever the number of paths to it, so shared
sub-assemblies cost nothing extra, and cycles end (a node already seen from a root is
not expanded again from it).

Memory is bounded by working on chunks of roots: a chunk holds at most about
:data:`CHUNK_PAIRS` pairs (8 bytes each, a few copies while a level is merged); a chunk
that would hold more is split in two and started again, and the next chunk's size is
chosen from the closure sizes met so far. One root alone is never split: its closure
(at most every node) and one level's children (at most every edge) are the worst case.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Ids = npt.NDArray[Any]
Counts = npt.NDArray[np.int64]

#: The most (root, node) pairs that one chunk of roots may hold before it is split.
CHUNK_PAIRS = 1 << 22
#: Roots in the first chunk (later chunks are sized from the closures seen).
FIRST_CHUNK = 1024


def reach_counts(indptr: Ids, indices: Ids, roots: Ids, *, limit: int = CHUNK_PAIRS) -> Counts:
    """For each node, how many of ``roots`` (distinct node ids) reach it, itself included.

    ``indptr``/``indices``: the graph's adjacency (node ``v``'s successors are
    ``indices[indptr[v]:indptr[v + 1]]``); ``limit``: the pairs a chunk of roots may hold.
    """
    n = len(indptr) - 1
    counts = np.zeros(n, dtype=np.int64)
    todo = np.asarray(roots, dtype=np.int64)
    size = FIRST_CHUNK
    start = 0
    while start < len(todo):
        chunk = todo[start : start + size]
        seen = _closure_pairs(indptr, indices, chunk, n, limit)
        if seen is None:  # too many pairs: the same roots in smaller chunks
            size = max(1, len(chunk) // 2)
            continue
        counts += np.bincount(seen % n, minlength=n)
        start += len(chunk)
        per_root = len(seen) / len(chunk)
        size = max(1, int(limit / 2 / per_root))
    return counts


def _closure_pairs(
    indptr: Ids, indices: Ids, roots: npt.NDArray[np.int64], n: int, limit: int
) -> npt.NDArray[np.int64] | None:
    """Every (root, node) pair of the roots' closures, as sorted keys ``r * n + node`` (``r``:
    the root's position in ``roots``); ``None`` when they pass ``limit`` and there is more
    than one root."""
    local = np.arange(len(roots), dtype=np.int64)
    seen = local * n + roots  # sorted: one pair per root, in root order
    owner, frontier = local, roots
    while len(frontier):
        starts = indptr[frontier]
        lengths = indptr[frontier + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            break
        if len(roots) > 1 and len(seen) + total > limit:
            return None
        # The positions of every successor entry of the frontier, without a Python loop.
        shift = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        succ = indices[shift + np.arange(total)]
        found = np.repeat(owner, lengths) * n + succ
        found.sort()
        found = found[np.concatenate(([True], found[1:] != found[:-1]))]  # distinct
        at = np.searchsorted(seen, found)
        at[at == len(seen)] = 0
        new = found[seen[at] != found]
        if not len(new):
            break
        seen = np.concatenate((seen, new))
        seen.sort(kind="stable")  # two sorted runs: merged in linear time
        owner, frontier = np.divmod(new, n)
    return seen
