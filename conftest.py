"""Fixtures for the doctests of ``filiere/`` and the tests of ``tests/`` alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from filiere.i18n import set_language


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests and doctests written against the English messages run in English.

    French is the users' default; tests/test_i18n.py checks it explicitly (``--lang fr``,
    ``language("fr")``), and a test may ``monkeypatch.delenv("FILIERE_LANG")`` to see it.
    """
    monkeypatch.setenv("FILIERE_LANG", "en")
    yield
    # A CLI run in-process (CliRunner, ``--lang fr``) sets the language for the rest of
    # the context: forget it, so that it does not leak into the next test.
    set_language(None)
