"""Map data (filiere.viz.geodata) on both stores: points, tiers, reasons, positions, bounds."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import pytest
from pydantic import BaseModel

from filiere.errors import ConfigError, NotFoundError
from filiere.graph.model import (
    BomLine,
    Capability,
    Dataset,
    Item,
    Offer,
    ProcessNeed,
    Substitute,
    Supplier,
    Supply,
)
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch
from filiere.viz.geodata import (
    country_centre,
    item_map,
    outline,
    region_centre,
    region_map,
    world_map,
)

GRENOBLE = (45.17869, 5.71479)


def _load(store: GraphStore) -> None:
    store.write(
        build_batch(
            Dataset(
                items=[
                    Item(id="A", name="Aimant", kind="component"),
                    Item(id="Y", name="Aimant SmCo", kind="component"),
                    Item(id="M", name="Samarium", kind="material"),
                ],
                bom=[BomLine(parent="Y", child="M")],
                suppliers=[
                    Supplier(
                        id="CN1",
                        name="Ningbo",
                        country="CN",
                        region="CN-ZJ",
                        city="Ningbo",
                        lat=29.87819,
                        lon=121.54945,
                    ),
                    Supplier(id="CN2", name="Baotou", country="CN", lat=40.65, lon=109.84),
                    Supplier(
                        id="ARA1",
                        name="Aimants Alpins",
                        country="FR",
                        region="FR-ARA",
                        city="Grenoble",
                        lat=GRENOBLE[0],
                        lon=GRENOBLE[1],
                    ),
                    Supplier(
                        id="ARA2",
                        name="Usinage Grenoblois",
                        country="FR",
                        region="FR-ARA",
                        city="grenoble",
                    ),
                    Supplier(id="BFC1", name="Aimants Comtois", country="FR", region="FR-BFC"),
                    Supplier(id="DE1", name="Magnetwerk", country="DE"),
                    Supplier(id="US1", name="Keystone", country="US", lat=40.3, lon=-79.4),
                ],
                supplies=[
                    Supply(supplier="CN1", item="A", share=1.0),
                    Supply(supplier="BFC1", item="Y"),
                    Supply(supplier="CN2", item="M"),
                ],
                offers=[
                    Offer(supplier="ARA1", item="A"),
                    Offer(supplier="DE1", item="A"),
                    Offer(supplier="US1", item="A"),
                ],
                substitutes=[Substitute(item="A", substitute="Y", compatibility=0.7)],
                processes=[ProcessNeed(item="A", process="usinage")],
                capabilities=[Capability(supplier="ARA2", process="machining")],
            )
        )
    )


def _props(fc: BaseModel) -> dict[str, Any]:
    dumped = json.loads(fc.model_dump_json())
    return {f["properties"]["supplier"]: f for f in dumped["features"]}


def test_item_map_shows_current_suppliers_and_routes_by_tier(store: GraphStore) -> None:
    _load(store)
    m = item_map(store, "A", region="fr-ara")
    assert m.item_name == "Aimant"
    assert m.region == "FR-ARA"
    assert m.region_name == "Auvergne-Rhône-Alpes"
    # current first, then by tier; US1 (outside the EU) is no route and not on the map
    assert [f.properties.supplier for f in m.features] == ["CN1", "ARA1", "ARA2", "BFC1", "DE1"]
    points = _props(m)
    cn1 = points["CN1"]
    assert cn1["properties"]["group"] == "current"
    assert cn1["properties"]["share"] == 1.0
    assert cn1["properties"]["country_name"] == "Chine"
    assert cn1["geometry"] == {"type": "Point", "coordinates": [121.54945, 29.87819]}
    ara1 = points["ARA1"]["properties"]
    assert (ara1["group"], ara1["tier"], ara1["position"]) == ("tier1", 1, "exact")
    assert ara1["routes"][0]["kind"] == "supplier"
    assert ara1["routes"][0]["distance_km"] is not None
    ara2 = points["ARA2"]["properties"]
    assert [r["kind"] for r in ara2["routes"]] == ["capability"]
    assert ara2["processes"] == []
    bfc1 = points["BFC1"]["properties"]
    assert (bfc1["group"], bfc1["tier"]) == ("tier2", 2)
    route = bfc1["routes"][0]
    assert (route["kind"], route["via"], route["via_name"]) == ("substitute", "Y", "Aimant SmCo")
    assert route["compatibility"] == 0.7
    assert route["substitute_at_risk"] is True  # Y needs samarium from China only
    de1 = points["DE1"]["properties"]
    assert (de1["group"], de1["tier"], de1["country_name"]) == ("tier3", 3, "Allemagne")


def test_without_a_region_the_home_country_is_tier_two(store: GraphStore) -> None:
    _load(store)
    groups = {f.properties.supplier: f.properties.group for f in item_map(store, "A").features}
    assert groups == {
        "CN1": "current",
        "ARA1": "tier2",
        "ARA2": "tier2",
        "BFC1": "tier2",
        "DE1": "tier3",
    }


def test_positions_fall_back_to_town_region_then_country(store: GraphStore) -> None:
    _load(store)
    points = _props(item_map(store, "A"))
    assert points["ARA1"]["properties"]["position"] == "exact"
    # no coordinates, same town as ARA1 (names compared without case or accents)
    assert points["ARA2"]["properties"]["position"] == "town"
    assert points["ARA2"]["geometry"]["coordinates"] == [GRENOBLE[1], GRENOBLE[0]]
    # no town: the region's centre
    assert points["BFC1"]["properties"]["position"] == "region"
    lat, lon = region_centre("FR-BFC") or (0, 0)
    assert points["BFC1"]["geometry"]["coordinates"] == [lon, lat]
    assert 46 < lat < 48.5 and 2.8 < lon < 7.2  # inside Bourgogne-Franche-Comté
    # no region: the country's centre
    assert points["DE1"]["properties"]["position"] == "country"
    lat, lon = country_centre("DE") or (0, 0)
    assert 47 < lat < 55 and 6 < lon < 15


def test_unknown_item_is_not_found(store: GraphStore) -> None:
    _load(store)
    with pytest.raises(NotFoundError):
        item_map(store, "NOPE")


def test_region_map_lists_firms_with_processes_and_a_bound(store: GraphStore) -> None:
    _load(store)
    r = region_map(store, "fr-ara")
    assert (r.region, r.region_name, r.truncated) == ("FR-ARA", "Auvergne-Rhône-Alpes", False)
    got = {f.properties.supplier: f.properties.processes for f in r.features}
    assert got == {"ARA1": [], "ARA2": ["machining"]}
    assert {f.properties.group for f in r.features} == {"firm"}
    first = region_map(store, "FR-ARA", limit=1)
    assert first.truncated
    assert [f.properties.supplier for f in first.features] == ["ARA1"]
    with pytest.raises(NotFoundError):
        region_map(store, "FR-NOR")  # a real region, but no firm of the store is there
    with pytest.raises(ConfigError):
        region_map(store, "XX-123")


def test_world_map_counts_suppliers_by_country(store: GraphStore) -> None:
    _load(store)
    w = json.loads(world_map(store).model_dump_json())
    counts = {f["properties"]["country"]: f["properties"]["suppliers"] for f in w["features"]}
    assert counts == {"CN": 2, "DE": 1, "FR": 3, "US": 1}
    fr = next(f for f in w["features"] if f["properties"]["country"] == "FR")
    lon, lat = fr["geometry"]["coordinates"]
    assert 42 < lat < 51 and -5 < lon < 8  # metropolitan France, not an overseas department
    assert fr["properties"]["country_name"] == "France"


def test_packaged_outlines_name_every_region() -> None:
    regions = outline("regions")
    isos = {f["properties"]["iso"] for f in regions["features"]}
    assert len(isos) == 13 and None not in isos
    assert "FR-BFC" in isos
    assert len(outline("departements")["features"]) == 96
    notice = (files("filiere.data") / "geo" / "ATTRIBUTION.txt").read_text("utf-8")
    assert "IGN Admin Express COG 2018" in notice and "Licence Ouverte" in notice


def test_item_context_where_used_substitutes_and_production(store: GraphStore) -> None:
    from filiere.graph.model import Production
    from filiere.viz.itemdata import item_context

    _load(store)
    store.write(
        build_batch(
            Dataset(
                items=[
                    Item(id="P", name="Pompe", kind="product"),
                    Item(id="G", name="Générateur", kind="component"),
                    Item(id="A", name="Aimant", kind="component"),
                    Item(id="M", name="Samarium", kind="material"),
                ],
                bom=[
                    BomLine(parent="P", child="G"),
                    BomLine(parent="G", child="A"),
                    BomLine(parent="P", child="A"),
                ],
                production=[
                    Production(material="M", country="CN", share=0.8, year=2022),
                    Production(material="M", country="CN", share=0.85, year=2023),
                    Production(material="M", country="US", share=0.1, year=2023),
                    Production(material="M", country="CN", share=0.9, stage="processing"),
                ],
            )
        )
    )
    ctx = item_context(store, "A")
    assert [(u.item, u.name, u.levels) for u in ctx.used_in] == [
        ("G", "Générateur", 1),
        ("P", "Pompe", 1),
    ]
    assert [(s.substitute, s.compatibility, s.suppliers) for s in ctx.substitutes] == [
        ("Y", 0.7, ["BFC1 (FR)"])
    ]
    assert ctx.production == []
    m = item_context(store, "M")
    assert [u.item for u in m.used_in] == ["Y"]
    latest = [(p.country, p.country_name, p.share, p.stage, p.year) for p in m.latest_production()]
    assert latest == [
        ("CN", "Chine", 0.85, "extraction", 2023),
        ("US", "États-Unis", 0.1, "extraction", 2023),
        ("CN", "Chine", 0.9, "processing", None),
    ]
    with pytest.raises(NotFoundError):
        item_context(store, "NOPE")
