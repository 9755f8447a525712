// Supply facts of every item under some roots: for each item of their bills of materials
// (the roots included), the roots it is under, the item's suppliers grouped by country and
// its production rows of the latest year grouped by (stage, country); one row per item,
// however many roots share it. Used by `filiere routes` to tell whether a substitute is
// itself at risk.
// @param roots  list of item ids, e.g. ["ALU", "ACIER"]
UNWIND $roots AS rootId
MATCH (root:Item {id: rootId})-[:CONTAINS*0..]->(x:Item)
WITH DISTINCT rootId, x
WITH x, collect(rootId) AS roots
RETURN
  roots,
  x.id AS item,
  x.kind AS kind,
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
