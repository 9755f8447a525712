"""The analysis commands: JSON exactly the documented shape, readable tables, flat CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import pytest
from click.testing import CliRunner

from filiere.cli import cli
from filiere.graph.embedded import EmbeddedStore
from filiere.ingest.build import build_batch
from filiere.testing.workshop import workshop


class Run(Protocol):
    """``filiere --store <workshop graph> ARGS``: the exit code and the output."""

    def __call__(self, *args: str) -> tuple[int, str]: ...


@pytest.fixture
def run(tmp_path: Path) -> Run:
    path = tmp_path / "graph.json"
    EmbeddedStore(path).write(build_batch(workshop()))
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        out = runner.invoke(cli, ["--store", str(path), *args], env={"COLUMNS": "200"})
        return out.exit_code, out.output

    return invoke


def test_deps_json_shape(run: Run) -> None:
    code, out = run("deps", "P", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    # The contract: the original fields first, unchanged; the names are added after them.
    assert list(data) == [
        "product", "home_country", "dependencies", "gaps", "product_name", "gap_names"
    ]  # fmt: skip
    assert list(data["dependencies"][0]) == [
        "item", "kind", "depth", "single_source", "single_country", "country", "hhi",
        "upstream_concentrated", "upstream_country", "upstream_share", "at_risk", "suppliers",
        "paths", "upstream_stage", "name", "country_name", "upstream_country_name",
        "supplier_names",
    ]  # fmt: skip
    assert data["gaps"] == ["G"]


def test_deps_table_tells_what_depends_on_what(run: Run) -> None:
    code, out = run("--lang", "en", "deps", "P", "--max-paths", "2")
    assert code == 0, out
    lines = out.splitlines()
    line_a = next(line for line in lines if "│ Article A (A) " in line)
    assert "AT RISK" in line_a and "single country: China" in line_a and "P > A" in line_a
    assert "Ningbo Magnets" in line_a  # the supplier by name, not its id
    m1 = "\n".join(lines[lines.index(next(x for x in lines if "(M1)" in x)) :][:3])
    assert "upstream: Australia, 70%" in m1 and "(+1 more)" in m1
    assert "unmapped" in out and "(G)" in out.splitlines()[-1]
    # In French: the same reasons in the glossary's words.
    code, out = run("--lang", "fr", "deps", "P", "--max-paths", "2")
    line_a = next(line for line in out.splitlines() if "│ Article A (A) " in line)
    assert "À RISQUE" in line_a and "pays unique\u00a0: Chine" in line_a


def test_settings_are_checked(run: Run) -> None:
    code, out = run("deps", "P", "--hhi", "1.5")
    assert code == 2 and "hhi" in out
    code, out = run("deps", "NOPE")
    assert code == 1 and "unknown item 'NOPE'" in out and "Traceback" not in out
    code, out = run("routes", "A", "--region", "XX-YY")
    assert code == 1 and "unknown region" in out
    code, out = run("shock", "--country", "Atlantis")
    assert code == 1 and "unknown country" in out


def test_other_commands_json_shapes(run: Run) -> None:
    """The original fields first and unchanged; the names are added fields after them."""
    _, out = run("routes", "A", "--region", "FR-BFC", "--format", "json")
    data = json.loads(out)
    assert list(data) == ["item", "region", "home_country", "routes", *ROUTES_NAMES]
    assert list(data["routes"][0]) == [
        "supplier", "kind", "via", "tier", "country", "region", "compatibility",
        "substitute_at_risk", "distance_km",
        "supplier_name", "city", "country_name", "region_name", "via_name",
    ]  # fmt: skip
    assert data["region_name"] == "Bourgogne-Franche-Comté"
    data = json.loads(run("shock", "--country", "CN", "--format", "json")[1])
    assert list(data) == [
        "countries", "cut", "upstream", "impacted_products", "cut_items", "country_names"
    ]  # fmt: skip
    assert list(data["impacted_products"][0]) == [
        "product", "cut", "cut_items", "partial", "exposure", "product_name", "cut_item_names"
    ]  # fmt: skip
    assert list(data["impacted_products"][0]["partial"][0]) == ["item", "lost_share", "name"]
    assert list(data["cut_items"][0]) == [
        "item", "recoverable_via", "recoverable_exposure", "name", "recoverable_via_names"
    ]  # fmt: skip
    data = json.loads(run("critical", "--format", "json")[1])
    assert data["items"][0] == {"item": "B", "dependent_products": 2, "name": "Article B"}
    data = json.loads(run("bom", "P", "--format", "json")[1])
    assert data["lines"][0] == {
        "item": "A", "kind": "component", "depth": 1, "quantity": 2.0, "name": "Article A"
    }  # fmt: skip


ROUTES_NAMES = ["item_name", "region_name", "home_country_name"]


def test_csv_outputs(run: Run) -> None:
    lines = run("deps", "P", "--format", "csv")[1].splitlines()
    assert lines[0].startswith("item,kind,depth,single_source")
    assert any(line.startswith("C,") and "P > A > C | P > B > C" in line for line in lines)
    lines = run("shock", "--country", "CN", "--format", "csv")[1].splitlines()
    assert lines[0] == "section,product,cut,item,lost_share,recoverable_via,recovery_warnings"
    assert "product,P,yes,A,1,," in lines and "product,Q,no,B,0.2,," in lines
    assert "cut_item,,,A,,A2," in lines
    lines = run("bom", "P", "--format", "csv")[1].splitlines()
    assert lines[:2] == ["item,kind,depth,quantity,name", "A,component,1,2,Article A"]


def test_shock_partial_and_upstream_options(run: Run) -> None:
    data = json.loads(run("shock", "--country", "CN", "--cut", "0.5", "--format", "json")[1])
    assert (data["cut"], data["cut_items"]) == (0.5, [])
    assert data["impacted_products"][0]["exposure"] == 0.5
    data = json.loads(run("shock", "--country", "CN", "--upstream", "--format", "json")[1])
    q = data["impacted_products"][1]
    assert (
        data["upstream"] and {"item": "M1", "lost_share": 0.7, "name": "Article M1"} in q["partial"]
    )
    code, out = run("shock", "--country", "CN", "--cut", "1.5")
    assert code == 2 and "--cut" in out
    code, out = run("shock", "--country", "CN", "--cut", "0.5", "--upstream")
    assert code == 0 and "50" in out


def test_shock_table_warns_about_exposed_recoveries(run: Run, tmp_path: Path) -> None:
    from filiere.graph.model import Dataset, Supply

    EmbeddedStore(tmp_path / "graph.json").write(
        build_batch(Dataset(items=[], supplies=[Supply(supplier="S-CN2", item="A2")]))
    )
    out = run("shock", "--country", "CN", "--format", "csv")[1]
    row = next(line for line in out.splitlines() if line.startswith("cut_item,,,A,"))
    assert row.startswith("cut_item,,,A,,A2,") and "A2 (" in row and "50%" in row
    out = run("shock", "--country", "CN")[1]
    assert "A2 (" in out and "50%" in out


def test_queries_lists_the_library(run: Run) -> None:
    code, out = run("queries", "--format", "json")
    names = {q["name"]: q for q in json.loads(out)}
    assert names["where_used"]["params"] == {"item": 'id of the component or material, e.g. "ND"'}
    code, out = run("cypher", "where_used", "-p", "item=A")
    assert code == 1 and "Neo4j" in out
