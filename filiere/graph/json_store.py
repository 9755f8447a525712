"""The JSON store of earlier releases: recognising it and migrating it to SQLite.

Before the SQLite store, the embedded store was one UTF-8 JSON file::

    {"format": "filiere-graph", "version": 1,
     "nodes": [{"labels": ["Item", "Product"], "key": "P1", "props": {...}}, ...],
     "relationships": [{"type": "CONTAINS", "start": ["Item", "P1"],
                        "end": ["Item", "C1"], "props": {...}}, ...]}

Opening such a file migrates it (:func:`migrate`): the graph is written to a new
SQLite file beside it, the JSON file is kept as ``<name>.json-backup`` and the new
file takes its name, so ``--store PATH`` keeps working. The file is recognised by its
content, not its name.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from filiere.errors import StoreError
from filiere.fsutil import file_lock, stale_temp_files
from filiere.graph.records import GraphBatch, NodeRecord, RelRecord
from filiere.graph.schema import Label, Rel
from filiere.graph.sqlite_db import SQLITE_HEADER
from filiere.i18n import _

FORMAT = "filiere-graph"
VERSION = 1
BACKUP_SUFFIX = ".json-backup"

Content = Literal["missing", "empty", "sqlite", "json", "other"]


def sniff(path: Path) -> Content:
    """What ``path`` holds, from its first bytes."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return "missing"
    except OSError as e:
        raise StoreError(
            _("{path}: cannot read the store: {error}").format(path=path, error=e)
        ) from None
    if not head:
        return "empty"
    if head == SQLITE_HEADER:
        return "sqlite"
    if head.lstrip()[:1] == b"{":
        return "json"
    return "other"


def read_json_store(path: Path) -> GraphBatch:
    """The graph of a JSON store file of an earlier release."""
    try:
        with path.open(encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise StoreError(
            _("{path}: cannot read the JSON store: {error}").format(path=path, error=e)
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoreError(_("{path}: not a filiere graph file").format(path=path))
    if data.get("version") != VERSION:
        raise StoreError(
            _("{path}: unsupported graph file version {version}").format(
                path=path, version=data.get("version")
            )
        )
    try:
        return GraphBatch(
            [_node(n) for n in data["nodes"]], [_rel(r) for r in data["relationships"]]
        )
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise StoreError(
            _("{path}: damaged JSON store: {error}").format(path=path, error=repr(e))
        ) from None


def _node(n: dict[str, Any]) -> NodeRecord:
    labels = [Label(x) for x in n["labels"]]
    return NodeRecord(labels[0], str(n["key"]), dict(n["props"]), tuple(labels[1:]))


def _rel(r: dict[str, Any]) -> RelRecord:
    (sl, s), (el, e) = r["start"], r["end"]
    return RelRecord(Rel(r["type"]), Label(sl), str(s), Label(el), str(e), dict(r["props"]))


def backup_path(path: Path) -> Path:
    """``<name>.json-backup`` beside ``path``, numbered if that name is taken."""
    candidate = path.with_name(path.name + BACKUP_SUFFIX)
    n = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}{BACKUP_SUFFIX}.{n}")
        n += 1
    return candidate


def migrate(path: Path, write_sqlite: Callable[[Path, GraphBatch], None]) -> Path | None:
    """Migrate the JSON store at ``path`` to SQLite; return the backup, ``None`` if not JSON.

    Runs under the earlier release's lock file, so a process of that release writing
    the file, or another process migrating it, waits. ``write_sqlite(target, batch)``
    writes ``batch`` into a new SQLite store at ``target``. The SQLite file is complete
    before it takes the JSON file's name (one rename), so a crash at any point leaves
    the JSON store or the SQLite one, never a partial graph.
    """
    try:
        with file_lock(path):
            if sniff(path) != "json":
                return None  # another process migrated it while this one waited
            backup = _convert(path, write_sqlite)
    finally:
        with contextlib.suppress(OSError):
            path.with_name(path.name + ".lock").unlink()
    print(
        _(
            "{path}: the JSON store was converted to SQLite (nodes and relationships"
            " unchanged); the original file is kept as {backup}"
        ).format(path=path, backup=backup),
        file=sys.stderr,
    )
    return backup


def _convert(path: Path, write_sqlite: Callable[[Path, GraphBatch], None]) -> Path:
    """Write the SQLite store beside ``path``, keep ``path`` as the backup, then swap."""
    batch = read_json_store(path)
    tmp = path.with_name(f".{path.name}.migrating")
    remove_database(tmp)
    try:
        write_sqlite(tmp, batch)
        backup = backup_path(path)
        try:
            os.link(path, backup)
        except OSError:
            shutil.copy2(path, backup)
        os.replace(tmp, path)
    finally:
        remove_database(tmp)
    for stale in stale_temp_files(path):  # saves of the JSON release killed midway
        with contextlib.suppress(OSError):
            stale.unlink()
    return backup


def remove_database(db: Path) -> None:
    """Remove an SQLite file and its WAL and shared-memory files."""
    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
