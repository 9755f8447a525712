"""Fixtures for the doctests of ``filiere/`` and the tests of ``tests/`` alike."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests and doctests written against the English messages run in English.

    French is the users' default; tests/test_i18n.py checks it explicitly (``--lang fr``,
    ``language("fr")``), and a test may ``monkeypatch.delenv("FILIERE_LANG")`` to see it.
    """
    monkeypatch.setenv("FILIERE_LANG", "en")
