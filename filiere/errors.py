"""The package's exceptions: every error filiere raises derives from :class:`FiliereError`."""

from __future__ import annotations

from dataclasses import dataclass


class FiliereError(Exception):
    """Root of every error raised by filiere."""


class ConfigError(FiliereError):
    """A setting or store URI is missing or malformed."""


class StoreError(FiliereError):
    """The store could not be opened, read or written."""


class NotFoundError(FiliereError):
    """A node asked for by key does not exist."""


class CypherError(FiliereError):
    """A Cypher query could not run (syntax error, timeout...)."""


class CypherRefused(CypherError):
    """A Cypher query was refused before running (it would write, or needs Neo4j)."""


class CypherMemoryLimit(CypherError):
    """A Cypher query needed more memory than Neo4j allows (``setting`` names the limit)."""

    def __init__(self, message: str, setting: str) -> None:
        super().__init__(message)
        self.setting = setting


class CypherTooLarge(CypherError):
    """A Cypher query's result is larger than the bytes a response may hold."""


@dataclass(frozen=True, order=True)
class DatasetIssue:
    """One problem found in a dataset, located as ``FILE:LINE``."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class DatasetError(FiliereError):
    """A dataset was refused; ``issues`` lists every problem found, nothing was written."""

    def __init__(self, issues: list[DatasetIssue]) -> None:
        self.issues = issues
        head = "\n".join(str(i) for i in issues[:50])
        more = f"\n... and {len(issues) - 50} more" if len(issues) > 50 else ""
        super().__init__(f"{len(issues)} error(s) in dataset:\n{head}{more}")
