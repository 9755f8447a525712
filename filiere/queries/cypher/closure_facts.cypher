// Supply facts of every item under some roots, in one record: for each item of their bills
// of materials (the roots included), the roots it is under, the item's suppliers grouped by
// country (with their ids) and its production rows of the latest year grouped by
// (stage, country); one entry per item, however many roots share it. Used by
// `filiere routes` to tell whether a substitute is itself at risk. As in
// opportunity_facts.cypher, each relationship type is expanded once per item and the end
// nodes' labels are the only ones the schema allows.
// Expressions compiled to bytecode from the first run, not once the query is "hot" (Neo4j's
// default): on a freshly started server, at full scale, the first call took twice as long.
// @param roots  list of item ids, e.g. ["ALU", "ACIER"]
CYPHER expressionEngine=compiled
UNWIND $roots AS rootId
MATCH (root:Item {id: rootId})-[:CONTAINS*0..]->(x:Item)
WITH DISTINCT rootId, x
WITH x, collect(rootId) AS roots
WITH x, roots,
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
RETURN collect([roots, x.id, x.kind, countries, production]) AS items
