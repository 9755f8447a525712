// The firms located in region $region with the processes they master, in id order
// (the workspace's region map: filiere.viz.geodata.region_map).
// @param region  region code (ISO 3166-2), e.g. "FR-BFC"
// @param limit   most firms returned (+1 to tell that there are more)
MATCH (:Region {code: $region})<-[:LOCATED_IN]-(s:Supplier)
WITH s ORDER BY s.id LIMIT $limit
RETURN s.id AS id,
  COLLECT { MATCH (s)-[:MASTERS]->(p:Process) RETURN p.id ORDER BY p.id } AS processes
ORDER BY id
