"""The command line's help and click's own words are French by default, English on demand."""

from __future__ import annotations

import gettext
import os
import re

import click
import pytest
from click.testing import CliRunner, Result

from filiere import i18n_tools
from filiere.cli import cli
from filiere.cli.localized import (
    LocalizedArgument,
    LocalizedCommand,
    LocalizedOption,
    english,
)
from filiere.cli.reference import _walk
from filiere.i18n import _, language

NBSP = "\u00a0"


def run(args: list[str], lang: str | None = None) -> Result:
    """``filiere ARGS`` with ``FILIERE_LANG`` set to ``lang`` (unset: the default)."""
    env = {"FILIERE_LANG": lang, "COLUMNS": "100"}
    return CliRunner().invoke(cli, args, env=env, prog_name="filiere")


def flat(text: str) -> str:
    """``text`` on one line (wrapped help joined), its no-break spaces kept."""
    return re.sub(r"[ \n]+", " ", text)


def _commands() -> list[click.Command]:
    return [command for _path, command, _settings in _walk(cli, ["filiere"], {})]


def _help_ids() -> set[str]:
    """Every English help text of the command tree: commands' and options' help, and the
    defaults that options tell in words."""
    ids = set()
    for command in _commands():
        ids |= {english(command)} if command.help else set()
        for param in command.params:
            if isinstance(param, LocalizedOption | LocalizedArgument) and param.help:
                ids.add(str(english(param)))
            if isinstance(param, LocalizedOption) and isinstance(param.show_default, str):
                ids.add(str(english(param, "show_default")))
    return {i for i in ids if i}


def test_every_command_and_option_is_localized() -> None:
    """A command made with plain click.command would keep an English help: none is."""
    for command in _commands():
        assert isinstance(command, LocalizedCommand), command.name
        for param in command.params:
            assert isinstance(param, LocalizedOption | LocalizedArgument), (
                command.name,
                param.name,
            )


def test_every_help_text_is_extracted_for_the_catalogs() -> None:
    extracted = {i18n_tools._key(m.id) for m in i18n_tools.extract() if m.id}
    ids = _help_ids()
    assert len(ids) > 80
    assert ids - extracted == set()


def test_the_extractor_finds_docstrings_and_help_keywords() -> None:
    source = (
        "@group()\ndef g():\n    '''A group.\n\n    Its second paragraph.\n    '''\n\n"
        "@g.command('x', help='Given help.')\ndef x():\n    '''Not the help.'''\n\n"
        "@option('--n', help='How many '\n        'things.')\ndef helper():\n"
        "    '''A helper, not a command.'''\n"
    )
    texts = [text for _line, text in i18n_tools.help_texts(source)]
    assert sorted(texts) == ["A group.\n\nIts second paragraph.", "Given help.", "How many things."]


def test_every_help_text_has_a_french_translation() -> None:
    """Once the fragments are folded (scripts/i18n): each help reads differently in French."""
    untranslated = []
    for text in sorted(_help_ids()):
        with language("fr"):
            french = _(text)
        if french == text:
            untranslated.append(text)
    assert untranslated == []


def test_main_help_is_french_by_default() -> None:
    result = run(["--help"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(f"Utilisation{NBSP}: filiere [OPTIONS] COMMAND [ARGS]...")
    assert f"Commandes{NBSP}:" in out
    assert "le graphe de connaissances des filières" in flat(out)
    assert "Afficher ce message et quitter." in out
    for english_text in ("Usage:", "Commands:", "Show this message", "supply-chain knowledge"):
        assert english_text not in out


def test_deps_help_is_french_by_default() -> None:
    result = run(["deps", "--help"])
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    assert out.startswith(f"Utilisation{NBSP}: filiere deps [OPTIONS] PRODUCT")
    assert "Dépendances concentrées de PRODUCT" in out
    assert f"[par défaut{NBSP}: 0.4]" in out
    assert "--upstream-share FLOAT" in out  # option names and metavars stay as typed
    for english_text in ("Concentrated dependencies", "HHI threshold", "default:", "Output format"):
        assert english_text not in out


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--lang", "en", "deps", "--help"], None),
        (["deps", "--help"], "en"),
        (["--lang=en", "deps", "--help"], "fr"),
        (["--help", "--lang", "en"], None),
        (["--store", "x.db", "--lang", "en", "deps", "--help"], None),
    ],
)
def test_help_is_english_on_demand(args: list[str], env: str | None) -> None:
    result = run(args, env)
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    assert out.startswith("Usage: filiere")
    assert "Show this message and exit." in out
    assert "Utilisation" not in out and "Afficher" not in out
    if "deps" in args:
        assert "Concentrated dependencies of PRODUCT" in out
        assert "[default: 0.4]" in out


def test_a_usage_error_is_french_by_default() -> None:
    result = run(["deps"])
    assert result.exit_code == 2
    assert f"Erreur{NBSP}: Argument manquant 'PRODUCT'." in result.output
    assert "Pour l'aide, tapez 'filiere deps --help'." in result.output
    wrong = run(["deps", "P-1", "--format", "xml"])
    assert wrong.exit_code == 2
    assert (
        f"Valeur invalide pour '--format'{NBSP}: 'xml' n'est pas l'une des valeurs "
        "'table', 'json', 'csv'." in wrong.output
    )
    unknown = run(["--bogus"])
    assert f"Option inconnue{NBSP}: '--bogus'." in unknown.output
    typo = run(["depz"])
    assert f"Commande inconnue{NBSP}: 'depz'. Vouliez-vous dire 'deps'{NBSP}?" in typo.output
    missing = run(["ingest", "/nonexistent/dataset"])
    assert f"Valeur invalide pour 'PATH'{NBSP}: '/nonexistent/dataset' n'existe pas." in (
        missing.output
    )


def test_a_usage_error_is_english_on_demand() -> None:
    assert "Error: Missing argument 'PRODUCT'." in run(["deps"], "en").output
    # --lang is read before click parses: an error anywhere after it is English too.
    result = run(["--lang", "en", "--bogus"])
    assert result.exit_code == 2
    assert "Error: No such option '--bogus'." in result.output
    assert "Try 'filiere --help' for help." in result.output


def test_a_command_line_leaves_the_process_language_as_it_was() -> None:
    """In-process callers (tests, the API) keep their language and gettext settings."""
    domain, variable = gettext.textdomain(), os.environ.get("LANGUAGE")
    assert run(["--lang", "fr", "deps"]).exit_code == 2
    assert gettext.textdomain() == domain
    assert os.environ.get("LANGUAGE") == variable
    assert _("at risk") == "at risk"  # the tests' English (root conftest)


def test_a_bad_lang_is_reported_in_french() -> None:
    result = run(["--lang", "de", "info"])
    assert result.exit_code == 2
    assert f"Valeur invalide pour '--lang'{NBSP}: 'de' n'est pas l'une des valeurs" in (
        result.output
    )
