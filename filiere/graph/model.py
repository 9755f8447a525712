"""The domain model: one pydantic model per table of a dataset, with values already normalised.

Ingestion turns spreadsheet rows into these; :func:`filiere.ingest.build.build_batch`
turns them into graph records. Extra columns are kept (``model_extra``) and become
properties of the node or relationship.

>>> Item(id="S1", name="Capteur", kind="Product").kind
<Kind.PRODUCT: 'product'>
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from filiere.graph.schema import Kind

Stage = Literal["extraction", "processing"]
#: CRM Act 2024/1252 listing of a material: Annex I (strategic) or Annex II (critical).
Crma = Literal["strategic", "critical"]


class Row(BaseModel):
    """Common configuration: extra columns kept, surrounding spaces trimmed."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, frozen=True)

    def extras(self) -> dict[str, Any]:
        """Unknown columns, with empty values left out."""
        return {k: v for k, v in (self.model_extra or {}).items() if v not in (None, "")}


class Item(Row):
    """A product, component or raw material."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: Kind
    hs_code: str | None = None
    unit: str | None = None
    unit_value_eur: float | None = None
    description: str | None = None
    annual_volume: float | None = Field(None, ge=0)
    crma: Crma | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _lower_kind(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v


class BomLine(Row):
    """``parent`` is made from ``quantity`` units of ``child``."""

    parent: str
    child: str
    quantity: float = Field(1.0, gt=0)


class Supplier(Row):
    """A firm or establishment; ``country`` is ISO alpha-2, ``region`` ISO 3166-2."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    country: str = Field(min_length=2, max_length=2)
    region: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    siren: str | None = None
    naf: str | None = None


class Supply(Row):
    """Current sourcing: ``supplier`` delivers ``item`` today (``share`` of it, if known)."""

    supplier: str
    item: str
    share: float | None = Field(None, gt=0, le=1)


class Offer(Row):
    """Potential sourcing: ``supplier`` can deliver ``item``."""

    supplier: str
    item: str


class Make(Row):
    """``supplier`` makes ``item`` (a product): it buys what the product is made of."""

    supplier: str
    item: str


class Substitute(Row):
    """``substitute`` can replace ``item`` (one direction)."""

    item: str
    substitute: str
    compatibility: float = Field(1.0, ge=0, le=1)


class ProcessNeed(Row):
    """Making ``item`` requires ``process`` (casting, machining...)."""

    item: str
    process: str


class Capability(Row):
    """``supplier`` masters ``process``."""

    supplier: str
    process: str


class Production(Row):
    """World production share of a material by country, at a stage, for a year."""

    material: str
    country: str = Field(min_length=2, max_length=2)
    share: float = Field(gt=0, le=1)
    stage: Stage = "extraction"
    year: int | None = None
    source: str | None = None


class Dataset(BaseModel):
    """A whole dataset: ``items`` plus optional tables (the JSON format is this model)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "dataset"
    items: list[Item]
    bom: list[BomLine] = []
    suppliers: list[Supplier] = []
    supplies: list[Supply] = []
    offers: list[Offer] = []
    makes: list[Make] = []
    substitutes: list[Substitute] = []
    processes: list[ProcessNeed] = []
    capabilities: list[Capability] = []
    production: list[Production] = []


#: Table names in load order, with their row model.
TABLES: dict[str, type[Row]] = {
    "items": Item,
    "bom": BomLine,
    "suppliers": Supplier,
    "supplies": Supply,
    "offers": Offer,
    "makes": Make,
    "substitutes": Substitute,
    "processes": ProcessNeed,
    "capabilities": Capability,
    "production": Production,
}
