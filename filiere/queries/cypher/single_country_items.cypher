// Items supplied from one foreign country only: every item whose current suppliers are
// all in the same country, other than the home country.
// @param home  home country code, e.g. "FR"
MATCH (s:Supplier)-[:SUPPLIES]->(x:Item)
WITH x, collect(DISTINCT s.country) AS countries, collect(s.id) AS suppliers
WHERE size(countries) = 1 AND countries[0] <> $home
RETURN x.id AS item, x.name AS name, x.kind AS kind, countries[0] AS country, suppliers
ORDER BY country, item
