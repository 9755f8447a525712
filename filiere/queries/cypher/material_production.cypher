// World production of a material: share by year, stage and country, with the source.
// @param material  id of the material, e.g. "CO"
MATCH (c:Country)-[p:PRODUCES]->(m:Item {id: $material})
RETURN p.year AS year, p.stage AS stage, c.code AS country, c.name AS countryName,
       p.share AS share, p.source AS source
ORDER BY year DESC, stage, share DESC, country
