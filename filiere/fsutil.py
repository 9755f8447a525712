"""Files shared by several processes: atomic writes, change stamps, a lock file.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
>>> file_stamp(path) is None
True
>>> with file_lock(path):
...     atomic_write_text(path, "défaillance")
>>> path.read_text(encoding="utf-8"), file_stamp(path) is not None
('défaillance', True)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path


def file_stamp(path: Path) -> tuple[int, int] | None:
    """``(mtime_ns, size)`` of ``path``, ``None`` when it does not exist: a change marker."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size)


def atomic_write_text(path: Path, text: str, *, mode: int | None = None) -> None:
    """Write ``text`` (UTF-8) beside ``path``, flush it to disk, then rename it over ``path``.

    A crash leaves the old file or the new one, never a torn one. ``mode``: the new
    file's permissions (e.g. ``0o600``), set before anything is written.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    dirfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` (created beside ``path``) across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


#: The names :func:`atomic_write_text` gives its temporary files (``tempfile.mkstemp``).
TEMP_SUFFIX = re.compile(r"[a-z0-9_]{8}")


def stale_temp_files(path: Path) -> list[Path]:
    """Temporary files :func:`atomic_write_text` left beside ``path`` (a writer killed midway).

    Only call this while holding ``path``'s lock: writers write under it, so no such
    file is then in use.
    """
    prefix = f".{path.name}."
    try:
        names = [p for p in path.parent.iterdir() if p.name.startswith(prefix)]
    except FileNotFoundError:
        return []
    return [p for p in names if TEMP_SUFFIX.fullmatch(p.name[len(prefix) :])]
