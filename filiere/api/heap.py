"""Keep Python's full garbage collections short while a large graph lives in memory.

The embedded store holds hundreds of thousands of long-lived objects (the graph, the
analyses' indexes); a full (gen-2) collection walks them all and stalls every request
for a few hundred milliseconds. Whatever survives a full collection is long-lived, so
:class:`Freezer` moves it to the permanent generation (:func:`gc.freeze`) soon after:
the next full collections only walk what is new, in a few milliseconds. Frozen objects
are still freed by reference counting when the graph is replaced after an upload.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any


class Freezer:
    """Freeze the heap at start, then after each full collection (checked every ``period``)."""

    def __init__(self, period: float = 0.5) -> None:
        self.period = period
        self.pending = False

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info.get("generation") == 2:
            self.pending = True

    @staticmethod
    def freeze() -> None:
        """Collect the young generations, then freeze whatever survives."""
        gc.collect(1)
        gc.freeze()

    async def run(self) -> None:
        """Freeze now, then after every full collection, until cancelled."""
        self.freeze()
        gc.callbacks.append(self._on_gc)
        try:
            while True:
                await asyncio.sleep(self.period)
                if self.pending:
                    self.pending = False
                    self.freeze()
        finally:
            gc.callbacks.remove(self._on_gc)
