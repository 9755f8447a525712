"""A user's mistake at the command line is one clear line, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from filiere.cli import cli
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.schema import Label

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "capteur"


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    store = tmp_path / "g.json"
    result = CliRunner().invoke(
        cli, ["--store", str(store), "ingest", str(EXAMPLE), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    return store


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize(
    "command",
    [
        ["export", "{blocked}/out"],
        ["viz", "deps", "CAPT-DEB", "-o", "{blocked}/view.html"],
        ["report", "-o", "{blocked}/report"],
    ],
    ids=["export", "viz", "report"],
)
def test_an_unwritable_output_is_one_error_line(
    loaded: Path, tmp_path: Path, command: list[str]
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    args = [a.format(blocked=blocked) for a in command]
    code, output = run("--store", str(loaded), *args)
    assert code == 1
    assert f"error: {blocked}" in output
    assert "Traceback" not in output


def test_an_unknown_store_scheme_is_refused_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = run("--store", "htp://x/g.json", "ingest", str(EXAMPLE))
    assert code == 1
    assert "unknown store URI scheme 'htp'" in output
    assert list(tmp_path.iterdir()) == []


def test_ingest_of_the_current_folder_names_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLE)
    store = tmp_path / "g.json"
    code, output = run("--store", str(store), "ingest", ".", "--no-progress")
    assert code == 0, output
    node = EmbeddedStore(store).get_node(Label.ITEM, "CAPT-DEB")
    assert node is not None and node["source"] == "capteur"


def test_an_unexpected_error_is_one_line_with_an_incident_and_a_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import filiere.cli.ingest_cmds

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("the bug under test")

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(filiere.cli.ingest_cmds, "load", broken)
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "g.json"), "ingest", str(EXAMPLE)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [line] = result.stderr.splitlines()
    assert "ZeroDivisionError" in line and "the bug under test" not in line
    incident = re.search(r"incident (\S+);", line)
    assert incident is not None
    logs = list((tmp_path / "data" / "filiere" / "logs").iterdir())
    assert [p.name for p in logs] == [f"incident-{incident.group(1)}.log"]
    assert str(logs[0]) in line
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "the bug under test" in text and "command: ingest" in text
    assert logs[0].stat().st_mode & 0o077 == 0


def test_usage_errors_are_still_clicks(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "g.json"), "deps"])
    assert result.exit_code == 2 and "Missing argument" in result.output


def test_a_bad_setting_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FILIERE_INGEST_MAX_BYTES", "beaucoup")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    code, output = run("--store", str(tmp_path / "g.json"), "ingest", str(EXAMPLE))
    assert code == 1
    assert "FILIERE_INGEST_MAX_BYTES" in output and "incident" not in output
