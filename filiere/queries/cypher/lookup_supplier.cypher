// One supplier with its location, processes and the items it supplies or offers.
// @param id  the node's id
MATCH (s:Supplier {id: $id})
RETURN properties(s) AS props,
  COLLECT { MATCH (s)-[:LOCATED_IN]->(c:Country) RETURN c.name } AS country_names,
  COLLECT { MATCH (s)-[:LOCATED_IN]->(r:Region) RETURN r.name } AS region_names,
  COLLECT { MATCH (s)-[:MASTERS]->(p:Process) RETURN {id: p.id, name: p.name} } AS processes,
  COLLECT {
    MATCH (s)-[r:SUPPLIES]->(i:Item)
    RETURN {id: i.id, name: i.name, kind: i.kind, share: r.share}
  } AS supplies,
  COLLECT {
    MATCH (s)-[:OFFERS]->(i:Item)
    RETURN {id: i.id, name: i.name, kind: i.kind, share: null}
  } AS offers
