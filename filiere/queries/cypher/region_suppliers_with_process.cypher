// Suppliers in a region that master a process, with the items they supply or offer.
// @param region   ISO 3166-2 code of the region, e.g. "FR-BFC"
// @param process  process name, lower case, e.g. "machining"
MATCH (s:Supplier {region: $region})-[:MASTERS]->(:Process {id: $process})
RETURN s.id AS supplier, s.name AS name, s.city AS city,
       COLLECT { MATCH (s)-[:SUPPLIES|OFFERS]->(x:Item) RETURN x.id ORDER BY x.id } AS items
ORDER BY supplier
