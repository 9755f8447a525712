"""The embedded store's analysis index, loaded by a worker thread rather than by a request.

An analysis of one item runs in the event loop only when its store answers from memory
(:meth:`~filiere.queries.backend.StoreReader.answers_in_memory`); until then it runs in
the thread pool as it would anywhere (``deps`` and ``bom`` read the product's closure from
the file, ``routes`` waits for the index). :func:`start` has one worker thread load the
index meanwhile (0.1 s from its cache file, about 4 s at 10^6 rows without it): at the
server's start, and again when a request finds it stale after a write. One load at a
time per store and event loop (two apps may share a store, each with its own loop, as
in the tests' two workers); :func:`settle` waits for its loop's load before the store is
closed.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from starlette.concurrency import run_in_threadpool

from filiere.graph.store import GraphStore

log = logging.getLogger("filiere.api")

Loads = dict[asyncio.AbstractEventLoop, asyncio.Task[None]]
_loads: weakref.WeakKeyDictionary[GraphStore, Loads] = weakref.WeakKeyDictionary()


def start(store: GraphStore) -> None:
    """Load ``store``'s analysis index in a worker thread, unless a load is under way.

    Called from the event loop, on a store read in process (``store.in_process``).
    """
    loop = asyncio.get_running_loop()
    loads = _loads.setdefault(store, {})
    running = loads.get(loop)
    if running is not None and not running.done():
        return
    task = loop.create_task(run_in_threadpool(store.reader.warm))
    task.add_done_callback(_report)
    loads[loop] = task


def _report(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        # The requests that need the index load it themselves, and say what went wrong.
        log.warning("loading the analysis index failed: %s", error)


async def settle(store: GraphStore) -> None:
    """Wait for this loop's load of ``store``'s index, if any (before closing it).

    A task of another loop cannot be awaited here: that loop's app settles its own.
    """
    task = _loads.get(store, {}).pop(asyncio.get_running_loop(), None)
    if task is not None:
        await asyncio.gather(task, return_exceptions=True)
