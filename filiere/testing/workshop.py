"""A small hand-built dataset whose analyses can be checked by hand (tests, examples).

The graph::

    P ─2─> A ─3─> C ─1─> D ─2─> E ─0.5─> M1        Q ─1─> B
    P ─1─> B ─1─> C                                 B ─4─> M2
    P ─1─> G  (unmapped: a gap)

A is single-sourced in China; B is 60/20/20 FR/DE/CN (HHI 0.44); C is 50/50 FR/CN by
shares split over two French suppliers; E has one share missing, so suppliers count
equally (US/CN: HHI 0.5). M1's latest world production ties AU processing 0.7 with
CN extraction 0.6 + 0.1 (a row without a year counts as latest; the older ZA 0.95 row
does not count): AU wins the tie. M2 is French, upstream exactly at the 0.65 threshold.
A2 and A3 substitute A; A3 contains A4, which is Chinese only.
"""

from __future__ import annotations

from filiere.graph.model import (
    BomLine,
    Capability,
    Dataset,
    Item,
    Offer,
    ProcessNeed,
    Production,
    Substitute,
    Supplier,
    Supply,
)


def workshop() -> Dataset:
    items = [("P", "product"), ("Q", "product"), ("M1", "material"), ("M2", "material")]
    items += [(i, "component") for i in ("A", "B", "C", "D", "E", "G", "A2", "A3", "A4")]
    return Dataset(
        name="workshop",
        items=[Item(id=i, name=f"Article {i}", kind=k) for i, k in items],
        bom=[
            BomLine(parent="P", child="A", quantity=2),
            BomLine(parent="P", child="B", quantity=1),
            BomLine(parent="P", child="G", quantity=1),
            BomLine(parent="A", child="C", quantity=3),
            BomLine(parent="B", child="C", quantity=1),
            BomLine(parent="C", child="D", quantity=1),
            BomLine(parent="D", child="E", quantity=2),
            BomLine(parent="E", child="M1", quantity=0.5),
            BomLine(parent="Q", child="B", quantity=1),
            BomLine(parent="B", child="M2", quantity=4),
            BomLine(parent="A3", child="A4", quantity=1),
        ],
        suppliers=[
            Supplier(id="S-CN1", name="Ningbo Magnets", country="CN"),
            Supplier(id="S-CN2", name="Baotou Steel", country="CN"),
            Supplier(
                id="S-FR1",
                name="Usinage Belfortain",
                country="FR",
                region="FR-BFC",
                lat=47.638,
                lon=6.8628,
            ),
            Supplier(id="S-FR2", name="Forges de Savoie", country="FR", region="FR-ARA"),
            Supplier(id="S-DE", name="Bayern Guss", country="DE", region="DE-BY"),
            Supplier(id="S-US", name="Ohio Metals", country="US"),
            Supplier(id="S-IT", name="Fonderia Lombarda", country="IT"),
        ],
        supplies=[
            Supply(supplier="S-CN1", item="A"),
            Supply(supplier="S-FR1", item="B", share=0.6),
            Supply(supplier="S-DE", item="B", share=0.2),
            Supply(supplier="S-CN2", item="B", share=0.2),
            Supply(supplier="S-FR1", item="C", share=0.3),
            Supply(supplier="S-FR2", item="C", share=0.2),
            Supply(supplier="S-CN1", item="C", share=0.5),
            Supply(supplier="S-US", item="E", share=0.9),
            Supply(supplier="S-CN2", item="E"),
            Supply(supplier="S-FR2", item="M2"),
            Supply(supplier="S-FR2", item="A2"),
            Supply(supplier="S-CN2", item="A4"),
        ],
        offers=[
            Offer(supplier="S-FR1", item="A"),
            Offer(supplier="S-CN1", item="A"),
            Offer(supplier="S-US", item="A"),
            Offer(supplier="S-IT", item="A"),
            Offer(supplier="S-DE", item="A2"),
            Offer(supplier="S-FR1", item="A3"),
        ],
        substitutes=[
            Substitute(item="A", substitute="A2", compatibility=0.8),
            Substitute(item="A", substitute="A3", compatibility=1.0),
        ],
        processes=[
            ProcessNeed(item="A", process="Machining"),
            ProcessNeed(item="A", process="coating"),
        ],
        capabilities=[
            Capability(supplier=s, process=p)
            for s in ("S-FR1", "S-FR2", "S-CN1")
            for p in ("machining", "coating")
        ]
        + [Capability(supplier="S-DE", process="machining")],
        production=[
            Production(material="M1", country="CN", share=0.6, year=2022),
            Production(material="M1", country="CN", share=0.1),
            Production(material="M1", country="AU", share=0.7, stage="processing", year=2022),
            Production(material="M1", country="ZA", share=0.95, year=2021),
            Production(material="M2", country="FR", share=0.65, stage="processing"),
        ],
    )
