// Substitutes of an item: the items that can replace it, their compatibility and who
// supplies or offers them.
// @param item  id of the item
MATCH (y:Item)-[sub:SUBSTITUTES]->(x:Item {id: $item})
RETURN y.id AS substitute, y.name AS name, sub.compatibility AS compatibility,
       COLLECT { MATCH (s:Supplier)-[:SUPPLIES|OFFERS]->(y) RETURN DISTINCT s.id + ' (' + s.country + ')' } AS suppliers
ORDER BY compatibility DESC, substitute
