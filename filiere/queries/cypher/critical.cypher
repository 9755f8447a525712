// Criticality: for every component and material, the number of products whose bill of
// materials holds it (one pruned traversal per product), most shared first.
MATCH (p:Product)
CALL (p) {
  MATCH (p)-[:CONTAINS*1..]->(x:Item)
  WHERE NOT x:Product
  RETURN DISTINCT x
}
WITH x, count(p) AS dependentProducts
RETURN x.id AS item, dependentProducts
ORDER BY dependentProducts DESC, item
