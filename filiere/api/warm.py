"""The embedded store's analysis index, loaded by a worker thread rather than by a request.

An analysis of one item runs in the event loop only when its store answers from memory
(:meth:`~filiere.queries.backend.StoreReader.answers_in_memory`); until then it runs in
the thread pool as it would anywhere (``deps`` and ``bom`` read the product's closure from
the file, ``routes`` waits for the index). :func:`start` has one worker thread load the
index meanwhile (0.1 s from its cache file, about 4 s at 10^6 rows without it): at the
server's start, and again when a request finds it stale after a write. One load at a
time per store; :func:`settle` waits for it before the store is closed.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from starlette.concurrency import run_in_threadpool

from filiere.graph.store import GraphStore

log = logging.getLogger("filiere.api")

_loads: weakref.WeakKeyDictionary[GraphStore, asyncio.Task[None]] = weakref.WeakKeyDictionary()


def start(store: GraphStore) -> None:
    """Load ``store``'s analysis index in a worker thread, unless a load is under way.

    Called from the event loop, on a store read in process (``store.in_process``).
    """
    running = _loads.get(store)
    if running is not None and not running.done():
        return
    task = asyncio.get_running_loop().create_task(run_in_threadpool(store.reader.warm))
    task.add_done_callback(_report)
    _loads[store] = task


def _report(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        # The requests that need the index load it themselves, and say what went wrong.
        log.warning("loading the analysis index failed: %s", error)


async def settle(store: GraphStore) -> None:
    """Wait for the load of ``store``'s index under way, if any (before closing it)."""
    task = _loads.pop(store, None)
    if task is not None:
        await asyncio.gather(task, return_exceptions=True)
