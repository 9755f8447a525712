// Facts of some items, in one record: for each item, its BOM children with quantities (a
// missing quantity counts as 1), its suppliers grouped by country (with their ids) and its
// production rows of the latest year grouped by (stage, country). filiere turns them into
// at-risk flags and rolled-up quantities for `filiere opportunities` and `filiere matches`.
// Each relationship type is expanded once per item (suppliers' ids and country counts from
// the same expansion; the latest year and its rows too), and the end nodes' labels are the
// only ones the schema allows (filiere.graph.schema.ENDPOINTS), so they are not tested
// again. One record per call rather than per item: the driver's cost per record was a
// third of the read's.
// Expressions compiled to bytecode from the first run, not once the query is "hot" (Neo4j's
// default): on a freshly started server, at full scale, the first call took twice as long.
// @param items  list of item ids, e.g. ["P-KAPLAN", "C-MAG-NDFEB-S"]
CYPHER expressionEngine=compiled
UNWIND $items AS itemId
MATCH (x:Item {id: itemId})
WITH x,
  COLLECT {
    MATCH (x)-[r:CONTAINS]->(c)
    RETURN [c.id, toFloat(coalesce(r.quantity, 1.0))]
  } AS children,
  COLLECT {
    MATCH (s)-[r:SUPPLIES]->(x)
    WITH s.country AS country, collect(s.id) AS ids, count(r.share) AS withShare,
         sum(r.share) AS share
    RETURN [country, ids, withShare, share]
  } AS countries,
  COLLECT {
    MATCH (c)-[p:PRODUCES]->(x)
    WITH max(p.year) AS latest, collect([p.year, p.stage, c.code, p.share]) AS found
    UNWIND found AS row
    WITH row WHERE row[0] IS NULL OR latest IS NULL OR row[0] = latest
    WITH row[1] AS stage, row[2] AS country, sum(row[3]) AS share
    RETURN [stage, country, share]
  } AS production
RETURN collect([x.id, x.kind, children, countries, production]) AS items
