// Facts of some items: their BOM children with quantities (a missing quantity counts as
// 1), their suppliers grouped by country and their production rows of the latest year
// grouped by (stage, country). filiere turns them into at-risk flags and rolled-up
// quantities for `filiere opportunities` and `filiere matches`.
// @param items  list of item ids, e.g. ["P-KAPLAN", "C-MAG-NDFEB-S"]
UNWIND $items AS itemId
MATCH (x:Item {id: itemId})
RETURN
  x.id AS item,
  x.kind AS kind,
  COLLECT {
    MATCH (x)-[r:CONTAINS]->(c:Item)
    RETURN [c.id, toFloat(coalesce(r.quantity, 1.0))]
  } AS children,
  COLLECT { MATCH (s:Supplier)-[:SUPPLIES]->(x) RETURN s.id } AS suppliers,
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
