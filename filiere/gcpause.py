"""Python's cyclic garbage collector paused while a large load or analysis runs.

A large load or analysis allocates millions of rows, tuples and records that live until
it ends; the collector rescans them again and again (a third of the CPU time of a
10^5-row ingest, about 2 s of an ``opportunities`` call at full scale) and finds nothing
to free: neither makes reference cycles to speak of. :func:`paused` turns automatic
collection off for the duration and back on after, counting overlapping callers (threads
of the API server running ingests and analyses at once), so that collection comes back
when the last one ends and only if it was on when the first began.
It serves as a ``with`` block or as a decorator (``@paused()``), each call its own.

>>> import gc
>>> with paused():
...     gc.isenabled()
False
>>> gc.isenabled()
True
>>> @paused()
... def load() -> bool:
...     return gc.isenabled()
>>> load(), load(), gc.isenabled()
(False, False, True)
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Automatic garbage collection off inside the block (re-entrant, thread-safe)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
