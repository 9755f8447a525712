// Products with their annual volume and the firms that make them (with each firm's
// region): the buyers of `filiere opportunities` and `filiere matches`.
MATCH (p:Product)
RETURN
  p.id AS product,
  p.annual_volume AS annualVolume,
  COLLECT { MATCH (s:Supplier)-[:MAKES]->(p) RETURN [s.id, s.region] } AS makers
ORDER BY product
