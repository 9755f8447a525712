// Country shock, products: for items that lose part of their supply, every product whose
// bill of materials holds them (one breadth-first search per product).
// @param items  ids of the items that lose supply, e.g. ["M-W"]
MATCH (x:Item) WHERE x.id IN $items
MATCH ANY SHORTEST (p:Product)-[:CONTAINS]->*(x)
RETURN DISTINCT p.id AS product, x.id AS item
ORDER BY product, item
