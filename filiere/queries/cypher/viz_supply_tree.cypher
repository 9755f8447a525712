// The supply tree of a product, for `filiere viz deps` and the report: every item of its
// bill of materials (the product included) with its properties, its BOM children with
// quantities, its current suppliers (properties and SUPPLIES properties) and its world
// production rows (country code and PRODUCES properties).
// The embedded store builds the same rows from its graph (filiere/viz/data.py).
// @param product  id of the product (any item id works)
MATCH (root:Item {id: $product})-[:CONTAINS*0..]->(x:Item)
WITH DISTINCT x
RETURN
  properties(x) AS props,
  COLLECT {
    MATCH (x)-[r:CONTAINS]->(c:Item)
    RETURN {child: c.id, quantity: r.quantity}
  } AS children,
  COLLECT {
    MATCH (s:Supplier)-[r:SUPPLIES]->(x)
    RETURN {supplier: properties(s), rel: properties(r)}
  } AS suppliers,
  COLLECT {
    MATCH (c:Country)-[r:PRODUCES]->(x)
    RETURN {country: c.code, rel: properties(r)}
  } AS production
