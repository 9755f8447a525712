// How a product depends on an item: the 5 shortest BOM paths from the product down to
// the item (edit the 5 to see more; among paths of equal length Neo4j picks any, while
// `filiere deps` orders them by ids).
// @param product  id of the product
// @param item     id of the component or material
MATCH path = SHORTEST 5 (p:Item {id: $product})-[:CONTAINS]->+(x:Item {id: $item})
RETURN [n IN nodes(path) | n.id] AS path, length(path) AS levels
ORDER BY levels, path
