// Country shock, products: for items that lose part of their supply, every product whose
// bill of materials holds them (one breadth-first search up from each item).
// The search ends on any node and the Product label is checked after the subquery: with
// a labelled end, a store holding one or two products leads the planner to pair every
// item with every product (CartesianProduct + ShortestPath), a cost that grows with the
// graph rather than with the items' where-used.
// @param items  ids of the items that lose supply, e.g. ["M-W"]
MATCH (x:Item) WHERE x.id IN $items
CALL (x) {
  MATCH ANY SHORTEST (x)<-[:CONTAINS]-*(p)
  RETURN p
}
WITH x, p WHERE p:Product
RETURN DISTINCT p.id AS product, x.id AS item
ORDER BY product, item
