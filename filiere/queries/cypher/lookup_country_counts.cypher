// The number of suppliers of each country, in code order (the workspace's world map:
// filiere.viz.geodata.world_map).
MATCH (s:Supplier)
WHERE s.country IS NOT NULL
RETURN s.country AS country, count(*) AS suppliers
ORDER BY country
