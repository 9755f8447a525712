// Suppliers in a region that master a process, with the items they supply or offer.
// @param region   ISO 3166-2 code of the region, e.g. "FR-BFC"
// @param process  process id or French name, any case, e.g. "machining" or "usinage"
//                 (the vocabulary is filiere/data/processes.csv)
MATCH (pr:Process)
WHERE pr.id = toLower(trim($process)) OR toLower(pr.name_fr) = toLower(trim($process))
MATCH (s:Supplier {region: $region})-[:MASTERS]->(pr)
RETURN s.id AS supplier, s.name AS name, s.city AS city,
       COLLECT { MATCH (s)-[:SUPPLIES|OFFERS]->(x:Item) RETURN x.id ORDER BY x.id } AS items
ORDER BY supplier
