// Unmapped items: items with no supplier, no BOM child and no production row, where the
// mapping of the supply chain stops.
MATCH (x:Item)
WHERE NOT EXISTS { (:Supplier)-[:SUPPLIES]->(x) }
  AND NOT EXISTS { (x)-[:CONTAINS]->(:Item) }
  AND NOT EXISTS { (:Country)-[:PRODUCES]->(x) }
RETURN x.id AS item, x.name AS name, x.kind AS kind
ORDER BY item
