// The closure of every product: the items its bill of materials holds (one breadth-first
// search per product), for `filiere opportunities` and `filiere matches`.
MATCH (p:Product)
CALL (p) {
  MATCH ANY SHORTEST (p)-[:CONTAINS]->+(x:Item)
  RETURN collect(x.id) AS items
}
RETURN p.id AS product, items
ORDER BY product
