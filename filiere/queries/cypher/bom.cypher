// Bill of materials of a product: every item under it with its shortest depth and its
// BOM children with quantities (a missing quantity counts as 1). filiere sums, over every
// path from the product, the product of the quantities along the path (`filiere bom`).
// @param product  id of the product (any item id works)
MATCH path = (root:Item {id: $product})-[:CONTAINS*0..]->(x:Item)
WITH x, min(length(path)) AS depth
RETURN
  x.id AS item,
  x.kind AS kind,
  depth,
  COLLECT {
    MATCH (x)-[r:CONTAINS]->(c:Item)
    RETURN [c.id, toFloat(coalesce(r.quantity, 1.0))]
  } AS children
ORDER BY depth, item
