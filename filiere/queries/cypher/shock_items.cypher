// Country shock, items: every item with a current supplier located in $countries, or, when
// $upstream is true, a production row from one of them, with its suppliers grouped by
// country and its production rows of the latest year grouped by (stage, country).
// filiere turns these rows into each item's lost share (`filiere shock`, docs/analyses.md).
// @param countries  list of country codes, e.g. ["CN"]
// @param upstream   true to count world production (mines and refineries) too
CALL () {
  MATCH (c:Country)<-[:LOCATED_IN]-(s:Supplier)-[:SUPPLIES]->(x:Item)
  WHERE c.code IN $countries AND s.country IN $countries
  RETURN x
  UNION
  MATCH (c:Country)-[:PRODUCES]->(x:Item)
  WHERE $upstream AND c.code IN $countries
  RETURN x
}
WITH DISTINCT x
RETURN
  x.id AS item,
  COLLECT {
    MATCH (s:Supplier)-[r:SUPPLIES]->(x)
    WITH s.country AS country, count(*) AS n, count(r.share) AS withShare, sum(r.share) AS share
    RETURN [country, n, withShare, share]
  } AS countries,
  COLLECT {
    MATCH (:Country)-[q:PRODUCES]->(x)
    WITH max(q.year) AS latest
    MATCH (c:Country)-[p:PRODUCES]->(x)
    WHERE p.year IS NULL OR latest IS NULL OR p.year = latest
    WITH p.stage AS stage, c.code AS country, sum(p.share) AS share
    RETURN [stage, country, share]
  } AS production
ORDER BY item
