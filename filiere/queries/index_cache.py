"""The analysis index saved beside the store, so that a command on a big store starts fast.

One file, ``<store>.index``: a numpy ``.npz`` archive (uncompressed) of the index's
arrays, its strings as one JSON document, and a ``key`` naming the format and the store
version it was built from (the store's ``uid`` and change counter). It is read with
``allow_pickle=False`` (no object arrays, nothing is ever unpickled) and checked before
use: a file of another format or version, truncated, corrupt or inconsistent (an offset
or id out of range) is ignored, and the index is built again from the store and saved
over it. It is written to a temporary file in the same directory, then renamed: a
killed process leaves the old file or the new one, and a temporary file it left is
removed by the next save, once an hour old. A directory the user cannot write
just means no cache.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.npyio import NpzFile

from filiere.queries.embedded_index import COLUMNS, CSR_TABLES, NONE, Index, Keys, Vocab

#: Bumped whenever the arrays or their meaning change: older files are then ignored.
FORMAT = 1
#: A cache file larger than this many bytes per byte of the store is not read (a bound on
#: what a corrupt or planted file can make a command load).
MAX_RATIO = 4

#: Seconds after which a temporary file of a save is a leftover of a killed process.
LEFTOVER_AGE = 3600

_DTYPES = {
    "ptr": np.dtype(np.int64),
    "ids": np.dtype(np.int32),
    "year": np.dtype(np.int64),
    "float": np.dtype(np.float64),
    "bool": np.dtype(np.bool_),
}


def path_for(store_path: Path) -> Path:
    """Where the index of the store at ``store_path`` is cached."""
    return store_path.with_name(store_path.name + ".index")


def _key(version: str) -> str:
    return json.dumps({"format": FORMAT, "version": version})


def _bytes(text: str) -> npt.NDArray[np.uint8]:
    return np.frombuffer(text.encode(), dtype=np.uint8)


def save(ix: Index, path: Path, version: str) -> None:
    """Write ``ix`` (built at ``version``) to ``path`` atomically; an ``OSError`` (read-only
    directory, full disk) leaves no file behind and no cache."""
    strings = {
        "items": ix.items.keys,
        "suppliers": ix.suppliers.keys,
        "processes": ix.processes.keys,
        "vocab": ix.vocab.words,
        "regions": [[k, lat, lng] for k, (lat, lng) in ix.regions.items()],
    }
    payload: dict[str, Any] = dict(ix.arrays)
    payload["strings"] = _bytes(json.dumps(strings, ensure_ascii=False))
    payload["key"] = _bytes(_key(version))
    remove_leftovers(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def remove_leftovers(path: Path) -> None:
    """Remove the temporary files of saves killed before their rename, once they are
    older than :data:`LEFTOVER_AGE` (a save in progress is seconds old)."""
    with contextlib.suppress(OSError):
        for tmp in path.parent.glob(glob.escape(path.name) + ".*.tmp"):
            with contextlib.suppress(OSError):
                if time.time() - tmp.stat().st_mtime > LEFTOVER_AGE:
                    tmp.unlink()


def load(path: Path, version: str, limit: int) -> Index | None:
    """The index cached at ``path`` if it was built at ``version``, else ``None``.

    ``None`` too for a file larger than ``limit`` bytes, unreadable, or failing any check.
    """
    try:
        with path.open("rb") as f:
            if os.fstat(f.fileno()).st_size > limit:
                return None
            npz = np.load(f, allow_pickle=False)
            if not isinstance(npz, NpzFile):
                return None
            if bytes(npz["key"]).decode() != _key(version):
                return None
            arrays = {name: npz[name] for name in npz.files if name not in ("key", "strings")}
            strings = json.loads(bytes(npz["strings"]).decode())
            npz.close()
        ix = Index(
            Keys(_strs(strings["items"])),
            Keys(_strs(strings["suppliers"])),
            Keys(_strs(strings["processes"])),
            Vocab(_strs(strings["vocab"])),
            {str(k): (lat, lng) for k, lat, lng in strings["regions"]},
            arrays,
        )
        return ix if _consistent(ix) else None
    except (ValueError, KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile, UnicodeError):
        return None


def _strs(values: Any) -> list[str]:
    if not isinstance(values, list) or not set(map(type, values)) <= {str}:
        raise ValueError("not a list of strings")
    return values


def _consistent(ix: Index) -> bool:
    """Whether every array has the shape, type and range the analyses rely on."""
    sizes = {
        "items": len(ix.items),
        "suppliers": len(ix.suppliers),
        "processes": len(ix.processes),
        "vocab": len(ix.vocab.words),
    }
    a = ix.arrays
    expected = set(COLUMNS)
    for name, (rows, vocab) in COLUMNS.items():
        col = a.get(name)
        if col is None or col.ndim != 1 or len(col) != sizes[rows]:
            return False
        if vocab and not _ids(col, sizes["vocab"], NONE):
            return False
        if not vocab and col.dtype not in (_DTYPES["float"], _DTYPES["bool"]):
            return False
    for name, (rows, entries, props) in CSR_TABLES.items():
        expected |= {name, name + "_ptr", *(f"{name}_{p}" for p in props)}
        ptr, idx = a.get(name + "_ptr"), a.get(name)
        if ptr is None or idx is None or ptr.dtype != _DTYPES["ptr"] or ptr.ndim != 1:
            return False
        if len(ptr) != sizes[rows] + 1 or ptr[0] != 0 or ptr[-1] != len(idx):
            return False
        if (np.diff(ptr) < 0).any() or not _ids(idx, sizes[entries], 0):
            return False
        for p in props:
            col = a.get(f"{name}_{p}")
            if col is None or col.ndim != 1 or len(col) != len(idx):
                return False
            if p == "stage" and not _ids(col, sizes["vocab"], 0):
                return False
            if p != "stage" and col.dtype != _DTYPES["year" if p == "year" else "float"]:
                return False
    return set(a) == expected


def _ids(col: npt.NDArray[Any], size: int, low: int) -> bool:
    """A one-dimensional int32 array of ids in ``[low, size)``."""
    if col.dtype != _DTYPES["ids"] or col.ndim != 1:
        return False
    return len(col) == 0 or (int(col.min()) >= low and int(col.max()) < size)
