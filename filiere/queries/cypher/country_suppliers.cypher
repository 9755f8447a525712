// Suppliers located in a country and the items they supply today.
// @param country  ISO alpha-2 code, e.g. "CN"
MATCH (:Country {code: $country})<-[:LOCATED_IN]-(s:Supplier)
RETURN s.id AS supplier, s.name AS name, s.region AS region,
       COLLECT { MATCH (s)-[:SUPPLIES]->(x:Item) RETURN x.id ORDER BY x.id } AS supplies
ORDER BY supplier
