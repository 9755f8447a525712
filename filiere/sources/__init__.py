"""Real public sources in their published formats: ``filiere import SOURCE PATH``.

One module per source -- :mod:`~filiere.sources.eu_crm` (EU critical raw materials study
2023), :mod:`~filiere.sources.usgs` (USGS Mineral Commodity Summaries),
:mod:`~filiere.sources.baci` (CEPII BACI trade flows, with :mod:`~filiere.sources.trade`
for the strategic-dependency results) and :mod:`~filiere.sources.sirene` (INSEE SIRENE
establishments) -- each reading the published file(s) into dataset tables that load
like ``filiere ingest``. See ``docs/data-sources.md``.
"""
