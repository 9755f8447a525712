// Country shock, items: every item whose suppliers are all in $countries (cut at source),
// with the substitutes that could replace it and are not cut themselves (no item of
// their bill of materials is cut at source).
// @param countries  list of country codes, e.g. ["CN"]
MATCH (c:Country) WHERE c.code IN $countries
MATCH (c)<-[:LOCATED_IN]-(s0:Supplier)-[:SUPPLIES]->(x:Item)
WHERE s0.country IN $countries
WITH DISTINCT x
WHERE NOT EXISTS {
  MATCH (s:Supplier)-[:SUPPLIES]->(x) WHERE NOT s.country IN $countries
}
OPTIONAL MATCH (y:Item)-[:SUBSTITUTES]->(x)
CALL (y) {
  OPTIONAL MATCH ANY SHORTEST (y)-[:CONTAINS]->*(z:Item)
  WITH DISTINCT z
  WHERE EXISTS { (:Supplier)-[:SUPPLIES]->(z) }
    AND NOT EXISTS { MATCH (t:Supplier)-[:SUPPLIES]->(z) WHERE NOT t.country IN $countries }
  RETURN count(z) AS cutBelow
}
WITH x, y, cutBelow
ORDER BY y.id
RETURN x.id AS item, collect(CASE WHEN cutBelow = 0 THEN y.id END) AS recoverableVia
ORDER BY item
