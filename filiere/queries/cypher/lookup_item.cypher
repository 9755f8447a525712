// One item with its suppliers (current and potential), children, parents and processes.
// @param id  the node's id
MATCH (i:Item {id: $id})
RETURN properties(i) AS props,
  COLLECT {
    MATCH (s:Supplier)-[r:SUPPLIES|OFFERS]->(i)
    RETURN {id: s.id, name: s.name, country: s.country, region: s.region, city: s.city,
            naf: s.naf, relation: toLower(type(r)), share: r.share}
  } AS suppliers,
  COLLECT {
    MATCH (i)-[r:CONTAINS]->(c:Item)
    RETURN {id: c.id, name: c.name, kind: c.kind, quantity: r.quantity}
  } AS children,
  COLLECT {
    MATCH (p:Item)-[r:CONTAINS]->(i)
    RETURN {id: p.id, name: p.name, kind: p.kind, quantity: r.quantity}
  } AS parents,
  COLLECT {
    MATCH (i)-[:REQUIRES]->(p:Process)
    RETURN {id: p.id, name: p.name}
  } AS processes
