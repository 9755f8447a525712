"""What every command shares: the settings and a lazily opened store."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from filiere.graph.store import GraphStore
from filiere.graph.uri import open_store
from filiere.settings import Settings


@dataclass
class AppContext:
    """Settings plus the store, opened on first use and closed when the command ends."""

    settings: Settings
    _store: GraphStore | None = field(default=None, init=False)

    @property
    def store(self) -> GraphStore:
        if self._store is None:
            self._store = open_store(settings=self.settings)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


pass_app = click.make_pass_decorator(AppContext)
