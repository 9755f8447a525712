"""The process vocabulary: one canonical id per manufacturing process, whatever its name.

``filiere/data/processes.csv`` (columns ``id``, ``name_fr``, ``aliases``) lists the
processes of the field: the canonical id is an English name in lower case
(``machining``, ``steel casting``, ``pcb assembly``), ``name_fr`` its French label and
``aliases`` other names, English and French, separated by ``|``. Names match without
case, accents, hyphens or extra spaces. The vocabulary is free: a name it does not know
stays as itself (lower case, spaces collapsed), so an analyst can name a niche process.

>>> canonical_process("Usinage"), canonical_process("  Report   CMS "), canonical_process("Fonderie d'acier")
('machining', 'pcb assembly', 'steel casting')
>>> canonical_process("FRITTAGE"), canonical_process("moulage acier"), canonical_process("decolletage")
('sintering', 'steel casting', 'bar turning')
>>> canonical_process("Pliage  Cryogénique")
'pliage cryogénique'
>>> process_info("usinage").name_fr
'usinage'
"""  # noqa: E501

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from filiere.errors import DatasetError, DatasetIssue
from filiere.graph.reference import normalize_name
from filiere.i18n import _

COLUMNS = ("id", "name_fr", "aliases")
VOCABULARY_FILE = "processes.csv"


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """One process of the vocabulary."""

    id: str
    name_fr: str
    aliases: tuple[str, ...]

    @property
    def name(self) -> str:
        """The English label (the canonical id)."""
        return self.id

    def props(self) -> dict[str, str]:
        """The properties of its ``Process`` node."""
        return {"name": self.name, "name_fr": self.name_fr}


@dataclass(frozen=True)
class Vocabulary:
    """Processes by canonical id, and every name (normalised) -> canonical id."""

    processes: dict[str, ProcessInfo]
    index: dict[str, str]

    def canonical(self, name: str) -> str:
        """The canonical id of ``name``, else ``name`` lower-cased with spaces collapsed."""
        return self.index.get(match_key(name)) or plain_id(name)

    def info(self, name: str) -> ProcessInfo | None:
        """The vocabulary entry that ``name`` designates, if any."""
        pid = self.index.get(match_key(name))
        return self.processes[pid] if pid else None


def plain_id(name: str) -> str:
    """A name outside the vocabulary: lower case, surrounding and repeated spaces dropped.

    >>> plain_id("  Traitement   Cryogénique ")
    'traitement cryogénique'
    """
    return " ".join(name.split()).lower()


def match_key(name: str) -> str:
    """The form names are matched on: no case, accents, hyphens, underscores or extra spaces.

    >>> match_key("Électro-érosion"), match_key("fonderie d’acier")
    ('electro erosion', "fonderie d'acier")
    """
    text = name.replace("’", "'").replace("-", " ").replace("_", " ")
    return normalize_name(text)


def default_vocabulary_path() -> Path:
    """The vocabulary shipped with filiere (``filiere/data/processes.csv``)."""
    return Path(str(files("filiere") / "data" / VOCABULARY_FILE))


def read_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Read a vocabulary CSV; every problem is raised at once as ``FILE:LINE`` issues.

    A name may designate one process only: an alias that is another process's id or
    alias is refused.
    """
    p = Path(path) if path else default_vocabulary_path()
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise DatasetError(
            [DatasetIssue(p.name, None, _("cannot read: {reason}").format(reason=e))]
        ) from None
    rows = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(rows, [])]
    issues = [
        DatasetIssue(p.name, 1, _("missing column {col!r}").format(col=c))
        for c in COLUMNS
        if c not in header
    ]
    if issues:
        raise DatasetError(issues)
    col = {c: header.index(c) for c in COLUMNS}
    processes: dict[str, ProcessInfo] = {}
    index: dict[str, str] = {}
    where: dict[str, int] = {}
    for line, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue
        cell = {c: cells[i].strip() if i < len(cells) else "" for c, i in col.items()}
        pid = plain_id(cell["id"])
        if not pid:
            issues.append(DatasetIssue(p.name, line, _("empty {col}").format(col="id")))
            continue
        if pid in processes:
            issues.append(
                DatasetIssue(
                    p.name,
                    line,
                    _("id {key!r} already on line {line}").format(key=pid, line=where[pid]),
                )
            )
            continue
        aliases = tuple(a.strip() for a in cell["aliases"].split("|") if a.strip())
        processes[pid] = ProcessInfo(pid, cell["name_fr"] or pid, aliases)
        where[pid] = line
        for name in (pid, cell["name_fr"], *aliases):
            key = match_key(name)
            if not key:
                continue
            other = index.setdefault(key, pid)
            if other != pid:
                issues.append(
                    DatasetIssue(
                        p.name,
                        line,
                        _("name {name!r} of {key!r} already names {other!r} (line {line})").format(
                            name=name, key=pid, other=other, line=where[other]
                        ),
                    )
                )
    if issues:
        raise DatasetError(issues)
    return Vocabulary(processes, index)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The shipped vocabulary, read once."""
    return read_vocabulary()


@lru_cache(maxsize=8192)
def canonical_process(name: str) -> str:
    """The canonical id of a process name (see the module doc)."""
    return vocabulary().canonical(name)


def process_info(name: str) -> ProcessInfo | None:
    """The vocabulary entry of a process name or id, or ``None`` for a name it does not know."""
    return vocabulary().info(name)
