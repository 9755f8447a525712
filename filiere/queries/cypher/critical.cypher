// Criticality: for every component and material, the number of products whose bill of
// materials holds it (one breadth-first traversal per product), most shared first.
MATCH (p:Product)
CALL (p) {
  MATCH ANY SHORTEST (p)-[:CONTAINS]->+(x:Item)
  RETURN x
}
WITH p, x WHERE NOT x:Product
WITH x, count(p) AS dependentProducts
RETURN x.id AS item, dependentProducts
ORDER BY dependentProducts DESC, item
