// A page of the suppliers that master process $process, in id order.
// @param process  canonical process id (filiere/data/processes.csv, e.g. "machining") or null
// @param after    cursor: the last key of the previous page, or null
// @param region   region code (ISO 3166-2) or null
// @param country  country code (ISO 3166-1 alpha-2) or null
// @param naf      NAF code prefix without dots, upper-case, or null
// @param limit    page size (+1 to detect a next page)
MATCH (:Process {id: $process})<-[:MASTERS]-(s:Supplier)
WHERE ($after IS NULL OR s.id > $after)
  AND ($region IS NULL OR EXISTS { (s)-[:LOCATED_IN]->(:Region {code: $region}) })
  AND ($country IS NULL OR EXISTS { (s)-[:LOCATED_IN]->(:Country {code: $country}) })
  AND ($process IS NULL OR EXISTS { (s)-[:MASTERS]->(:Process {id: $process}) })
  AND ($naf IS NULL OR replace(replace(toUpper(coalesce(s.naf, '')), '.', ''), ' ', '') STARTS WITH $naf)
RETURN s.id AS id, s.name AS name, s.country AS country, s.region AS region, s.city AS city,
  s.naf AS naf
ORDER BY id
LIMIT $limit
