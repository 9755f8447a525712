"""The bad-dataset corpus: each folder of tests/data/bad is refused with exact messages.

Each case holds the dataset (CSV files, or one workbook or JSON file) and
``expected.txt``: the exact ``FILE:LINE: message`` lines, in order. The store, loaded
with the example dataset beforehand, must be exactly as it was afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from filiere.cli import cli
from filiere.errors import DatasetError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.store import GraphStore
from filiere.i18n import language
from filiere.ingest import load

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
EXAMPLE = ROOT / "examples" / "capteur"
CASES = sorted(p for p in BAD.iterdir() if p.is_dir())


def dataset_path(case: Path) -> Path:
    """The case folder, or its single workbook / JSON file."""
    files = [p for p in case.iterdir() if p.name != "expected.txt"]
    if len(files) == 1 and files[0].suffix in (".xlsx", ".json"):
        return files[0]
    return case


def expected(case: Path) -> list[str]:
    return (case / "expected.txt").read_text(encoding="utf-8").splitlines()


def test_the_corpus_covers_every_failure() -> None:
    assert len(CASES) >= 25
    for case in CASES:
        assert expected(case), case.name


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_bad_dataset_is_refused_and_store_is_unchanged(case: Path, store: GraphStore) -> None:
    load(EXAMPLE, store, progress=False)
    before = store.export()
    raw = store.path.read_bytes() if isinstance(store, EmbeddedStore) else None
    with pytest.raises(DatasetError) as err:
        load(dataset_path(case), store, progress=False)
    assert [str(i) for i in err.value.issues] == expected(case)
    assert store.export() == before
    if isinstance(store, EmbeddedStore):
        assert store.path.read_bytes() == raw


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_check_reports_the_same_errors(case: Path) -> None:
    with pytest.raises(DatasetError) as err:
        load(dataset_path(case), _null_store(), check_only=True, progress=False)
    assert [str(i) for i in err.value.issues] == expected(case)


def _null_store() -> GraphStore:
    import tempfile

    return EmbeddedStore(Path(tempfile.mkdtemp()) / "graph.json")


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_cli_prints_each_error_and_exits_1(case: Path, tmp_path: Path) -> None:
    graph = tmp_path / "graph.json"
    result = CliRunner().invoke(
        cli, ["--store", str(graph), "ingest", "--no-progress", str(dataset_path(case))]
    )
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[:-1] == expected(case)
    assert "nothing was written" in lines[-1]
    assert "Traceback" not in result.output + result.stderr
    assert not graph.exists()


def test_refused_replace_keeps_the_store(store: GraphStore) -> None:
    load(EXAMPLE, store, progress=False)
    before = store.export()
    with pytest.raises(DatasetError):
        load(BAD / "bom_cycle", store, replace=True, progress=False)
    assert store.export() == before


def test_french_messages_keep_file_and_line_and_the_store(tmp_path: Path) -> None:
    """``--lang fr``: the same ``file:line:`` places, French reasons, the store untouched."""
    graph = tmp_path / "graph.json"
    runner = CliRunner()
    store = ["--store", str(graph)]
    loaded = runner.invoke(cli, [*store, "ingest", "--no-progress", str(EXAMPLE)])
    assert loaded.exit_code == 0, loaded.output
    before = graph.read_bytes()
    result = runner.invoke(
        cli, [*store, "--lang", "fr", "ingest", "--no-progress", str(BAD / "many_errors")]
    )
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[:-1] == [
        "many_errors/bom.csv:2: article inconnu 'Q' dans la colonne child",
        "many_errors/bom.csv:3: boucle : 'P' se contient lui-même",
        "many_errors/items.csv:3: identifiant d'article 'P' en double (d'abord à la ligne 2)",
        "many_errors/items.csv:4: name vide",
        "many_errors/items.csv:4: type inconnu 'gadget' (attendu : product, component ou material)",
        "many_errors/suppliers.csv:2: pays inconnu 'Narnia'",
    ]
    assert "rien n'a été écrit" in lines[-1]
    assert "Traceback" not in result.output + result.stderr
    assert graph.read_bytes() == before
    # Each message's English place is kept: only the reason after "file:line: " changes.
    assert [ln.split(": ", 1)[0] for ln in lines[:-1]] == [
        ln.split(": ", 1)[0] for ln in expected(BAD / "many_errors")
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_every_message_of_the_corpus_reads_in_french(case: Path) -> None:
    """In French, each expected message keeps its ``file:line:`` place and changes its words."""
    with language("fr"), pytest.raises(DatasetError) as e:
        load(dataset_path(case), _null_store(), check_only=True, progress=False)
    french = [str(i) for i in e.value.issues]
    english = expected(case)
    assert len(french) == len(english)
    for fr, en in zip(french, english, strict=True):
        place = en.split(": ", 1)[0]
        assert fr.startswith(place + ": ") and fr != en, (fr, en)
