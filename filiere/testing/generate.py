"""Random but reproducible datasets for tests and benchmarks.

Bills of materials are layered: products on top, sub-assemblies below, materials at the
bottom; every part picks its children among the next layers, so sub-assemblies are
shared, diamonds are common and chains are deep. Suppliers sit in France (with regions
and sometimes coordinates), elsewhere in the EU and outside it; items get current
suppliers (with or without shares), offers, substitutes, required processes; materials
get world production rows over several years and stages. Some items are left unmapped.
Products get annual volumes and makers (``makes``), items unit values and materials CRM
Act flags, each sometimes missing (drawn from a second generator, so that the rest of
a dataset does not depend on them).

>>> d = generate(GeneratorConfig(seed=1))
>>> len(d.items) > 20 and len(d.bom) > 20
True
>>> generate(GeneratorConfig(seed=1)) == d
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from filiere.graph.model import (
    BomLine,
    Capability,
    Dataset,
    Item,
    Make,
    Offer,
    ProcessNeed,
    Production,
    Substitute,
    Supplier,
    Supply,
)

#: Countries suppliers and producers are drawn from (home, EU, outside the EU).
COUNTRIES = ("FR", "FR", "FR", "DE", "IT", "ES", "PL", "CN", "CN", "US", "CD", "CL", "AU", "ZA")
#: Regions with coordinates in the reference data, by country.
REGIONS = {
    "FR": ("FR-ARA", "FR-BFC", "FR-IDF", "FR-NAQ", "FR-OCC", "FR-HDF", "FR-GES"),
    "DE": ("DE-BY", "DE-BW"),
    "IT": ("IT-25",),
    "ES": ("ES-CT", "ES-MD"),
    "CN": ("CN-GD",),
    "US": ("US-CA",),
}
PROCESSES = ("casting", "machining", "welding", "coating", "injection", "winding")
STAGES = ("extraction", "processing")


@dataclass(frozen=True)
class GeneratorConfig:
    """Sizes of a generated dataset; the defaults make a small one (about 100 items)."""

    seed: int = 0
    products: int = 4
    layers: int = 4  # sub-assembly layers between products and materials
    width: int = 12  # items per layer
    materials: int = 10
    fanout: int = 3  # children per part (upper bound)
    suppliers: int = 30
    supplied: float = 0.7  # fraction of non-product items with current suppliers
    with_shares: float = 0.5  # fraction of supplied items whose supplies all carry a share
    offers: int = 2  # offers per item (upper bound)
    substitutes: float = 0.2  # fraction of items with a substitute
    processes: float = 0.3  # fraction of components requiring processes
    name: str = "generated"


def generate(cfg: GeneratorConfig) -> Dataset:
    """A dataset drawn from ``cfg.seed``: the same config always gives the same dataset."""
    rnd = random.Random(cfg.seed)
    layers: list[list[str]] = [[f"P{i:04d}" for i in range(cfg.products)]]
    for level in range(1, cfg.layers + 1):
        layers.append([f"C{level}-{i:04d}" for i in range(cfg.width)])
    layers.append([f"M{i:04d}" for i in range(cfg.materials)])
    items = [Item(id=i, name=f"Produit {i}", kind="product") for i in layers[0]]
    items += [Item(id=i, name=f"Pièce {i}", kind="component") for ly in layers[1:-1] for i in ly]
    items += [Item(id=i, name=f"Matière {i}", kind="material") for i in layers[-1]]

    bom: list[BomLine] = []
    for level, layer in enumerate(layers[:-1]):
        for parent in layer:
            if level > 0 and rnd.random() < 0.05:
                continue  # an unmapped part: a gap
            wanted = rnd.randint(1, cfg.fanout)
            picked: set[str] = set()
            for _ in range(wanted):
                # mostly the next layer, sometimes deeper (shared sub-assemblies, diamonds)
                below = min(len(layers) - 1, level + 1 + (rnd.random() < 0.25) * rnd.randint(1, 2))
                picked.add(rnd.choice(layers[below]))
            for child in sorted(picked):
                quantity = rnd.choice((1.0, 1.0, 2.0, 3.0, 0.5, 4.0))
                bom.append(BomLine(parent=parent, child=child, quantity=quantity))

    suppliers = []
    for i in range(cfg.suppliers):
        country = rnd.choice(COUNTRIES)
        region = rnd.choice(REGIONS[country]) if country in REGIONS and rnd.random() < 0.8 else None
        lat = lon = None
        if rnd.random() < 0.3:
            lat, lon = round(rnd.uniform(42, 51), 4), round(rnd.uniform(-4, 8), 4)
        suppliers.append(
            Supplier(
                id=f"S{i:04d}",
                name=f"Fournisseur {i} SAS",
                country=country,
                region=region,
                lat=lat,
                lon=lon,
            )
        )
    sids = [s.id for s in suppliers]

    non_products = [i.id for i in items if i.kind.value != "product"]
    supplies: list[Supply] = []
    offers: list[Offer] = []
    for item in non_products:
        if rnd.random() < cfg.supplied and sids:
            chosen = rnd.sample(sids, min(len(sids), rnd.choice((1, 1, 2, 2, 3, 4))))
            shares = rnd.random() < cfg.with_shares
            for s in chosen:
                share = rnd.choice((0.1, 0.2, 0.25, 0.3, 0.5, 0.6, 0.75, 1.0)) if shares else None
                if not shares and rnd.random() < 0.3:
                    share = 0.5  # some shares known, not all: counts decide
                supplies.append(Supply(supplier=s, item=item, share=share))
        for s in rnd.sample(sids, min(len(sids), rnd.randint(0, cfg.offers))):
            offers.append(Offer(supplier=s, item=item))

    substitutes = []
    for item in non_products:
        if rnd.random() < cfg.substitutes:
            other = rnd.choice(non_products)
            if other != item:
                substitutes.append(
                    Substitute(
                        item=item, substitute=other, compatibility=rnd.choice((0.5, 0.8, 1.0))
                    )
                )

    needs = []
    for item in non_products:
        if item.startswith("C") and rnd.random() < cfg.processes:
            for p in rnd.sample(PROCESSES, rnd.randint(1, 2)):
                needs.append(ProcessNeed(item=item, process=p))
    capabilities = [
        Capability(supplier=s, process=p) for s in sids for p in PROCESSES if rnd.random() < 0.35
    ]

    production = []
    for m in layers[-1]:
        if rnd.random() < 0.2:
            continue
        for year in rnd.choice(((None,), (2021, 2022), (2022,), (None, 2022))):
            for stage in rnd.sample(STAGES, rnd.randint(1, 2)):
                for c in rnd.sample(("CN", "CD", "AU", "CL", "ZA", "FR", "US"), rnd.randint(1, 3)):
                    production.append(
                        Production(
                            material=m,
                            country=c,
                            share=rnd.choice((0.05, 0.1, 0.2, 0.3, 0.35, 0.4, 0.65, 0.7, 0.9)),
                            stage=stage,
                            year=year,
                        )
                    )
    extra = random.Random(cfg.seed + 7919)
    items = [_with_values(extra, it) for it in items]
    makers = [s.id for s in suppliers if s.country == "FR"] or sids  # the home country's firms
    makes = [
        Make(supplier=s, item=p)
        for p in layers[0]
        for s in sorted(extra.sample(makers, min(len(makers), extra.choice((0, 1, 1, 2, 3)))))
    ]
    return Dataset(
        name=cfg.name,
        items=items,
        makes=makes,
        bom=bom,
        suppliers=suppliers,
        supplies=supplies,
        offers=offers,
        substitutes=substitutes,
        processes=needs,
        capabilities=capabilities,
        production=production,
    )


def _with_values(rnd: random.Random, item: Item) -> Item:
    """``item`` with a unit value, an annual volume (products), a CRM Act flag (materials)."""
    update: dict[str, object] = {}
    if rnd.random() < 0.7:
        update["unit_value_eur"] = rnd.choice((0.0, 0.35, 2.5, 12.0, 40.0, 1250.0))
    if item.kind.value == "product" and rnd.random() < 0.75:
        update["annual_volume"] = rnd.choice((0.0, 120.0, 1500.0, 20000.0))
    if item.kind.value == "material":
        update["crma"] = rnd.choice((None, "strategic", "critical"))
    return item.model_copy(update=update)
