// One region, its country's name and how many suppliers it holds.
// @param code  the region code (ISO 3166-2)
MATCH (r:Region {code: $code})
OPTIONAL MATCH (r)-[:PART_OF]->(c:Country)
RETURN properties(r) AS props, c.name AS country_name,
  COUNT { (r)<-[:LOCATED_IN]-(:Supplier) } AS supplier_count
