// Dependencies of a product: every item of its bill of materials (the product included)
// with its shortest depth, its BOM children, its suppliers grouped by country and its
// production rows of the latest year grouped by (stage, country).
// filiere turns these rows into the flags of `filiere deps` (docs/analyses.md).
// @param product  id of the product (any item id works)
MATCH path = (root:Item {id: $product})-[:CONTAINS*0..]->(x:Item)
WITH x, min(length(path)) AS depth
RETURN
  x.id AS item,
  x.kind AS kind,
  depth,
  COLLECT { MATCH (x)-[:CONTAINS]->(c:Item) RETURN c.id } AS children,
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
ORDER BY depth, item
