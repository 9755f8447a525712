"""The trade-dependency models, kept free of heavy imports (the analyses' models use them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SupplierShare(_Model):
    """An extra-EU exporter and its share of the importer's extra-EU imports."""

    country: str
    share: float


class TradeDependency(_Model):
    """The strategic-dependency criteria of an HS6 product for one importer (SWD(2021) 352)."""

    hs_code: str
    description: str | None = None
    importer: str = Field(description="FR (or another country) or EU27.")
    year: int | None
    extra_eu_imports: float = Field(description="Extra-EU imports, thousand USD.")
    total_imports: float = Field(description="Total imports, thousand USD.")
    exports: float = Field(description="The importer's exports (scope: exports_scope).")
    exports_scope: str
    hhi: float = Field(description="HHI of the extra-EU exporters' shares.")
    extra_eu_share: float = Field(description="Extra-EU imports / total imports.")
    import_export_ratio: float | None = Field(
        description="Extra-EU imports / exports; null when the importer exports none."
    )
    concentrated: bool = Field(description="Criterion 1: HHI above the threshold.")
    import_reliant: bool = Field(description="Criterion 2: extra-EU share above the threshold.")
    hard_to_substitute: bool = Field(description="Criterion 3: ratio above the threshold.")
    dependent: bool = Field(description="All three criteria hold.")
    top_supplier: str | None
    top_supplier_share: float | None
    suppliers: list[SupplierShare]
