// Where an item is used: every assembly and product whose bill of materials holds it,
// with the shortest number of BOM levels between them.
// @param item  id of the component or material, e.g. "ND"
MATCH path = (x:Item {id: $item})<-[:CONTAINS*1..]-(parent:Item)
WITH parent, min(length(path)) AS levels
RETURN parent.id AS item, parent.name AS name, parent.kind AS kind, levels
ORDER BY levels, item
