"""docs/cli.md is generated from the commands' --help and must not drift from them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from filiere.cli import cli
from filiere.cli.reference import render

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("env_lang", ["en", "fr"])
def test_cli_reference_matches_the_help_of_every_command(
    env_lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/cli.md is English whatever the language of the environment."""
    monkeypatch.setenv("FILIERE_LANG", env_lang)
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert page == render(), "run: python -m filiere.cli.reference > docs/cli.md"


def test_french_cli_reference_matches_the_french_help() -> None:
    page = (ROOT / "docs" / "cli.fr.md").read_text(encoding="utf-8")
    assert page == render("fr"), "run: python -m filiere.cli.reference fr > docs/cli.fr.md"
    assert "Utilisation\u00a0: filiere deps [OPTIONS] PRODUCT" in page


def test_every_command_has_a_help_line() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    commands = result.output.split("Commands:", 1)[1]
    listed = re.findall(r"^  ([a-z0-9-]+)\s+(\S.*)$", commands, flags=re.MULTILINE)
    assert {name for name, _ in listed} == set(cli.commands)


def test_readme_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = "\n".join(re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL))
    used = set(
        re.findall(r"^\s*filiere (?:--store \S+ )?([a-z][a-z0-9-]*)", blocks, flags=re.MULTILINE)
    )
    assert used and used <= set(cli.commands), used - set(cli.commands)


def test_readme_everyday_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Everyday use", 1)[1].split("##", 1)[0]
    lines = [
        line.split("#", 1)[0].split()
        for line in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)[0].splitlines()
        if line.startswith("filiere ")
    ]
    assert len(lines) >= 4
    # In a scratch folder that sees the repository's examples: files the commands write
    # (e.g. viz -o) must not land in the working tree.
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for words in lines:
        result = runner.invoke(cli, ["--store", str(tmp_path / "g.json"), *words[1:]])
        assert result.exit_code == 0, (words, result.output)
        assert result.output.strip(), words
