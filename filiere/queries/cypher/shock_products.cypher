// Country shock, products: what a stop of every supplier located in $countries does to
// each product. An item is cut at source when all its suppliers are in those countries;
// it loses part of its supply when some are (lostShare: the shocked countries' share).
// A product is cut when its bill of materials holds an item cut at source.
// @param countries  list of country codes, e.g. ["CN"]
MATCH (c:Country) WHERE c.code IN $countries
MATCH (c)<-[:LOCATED_IN]-(s0:Supplier)-[:SUPPLIES]->(x:Item)
WHERE s0.country IN $countries
WITH DISTINCT x
CALL (x) {
  MATCH (s:Supplier)-[r:SUPPLIES]->(x)
  WITH count(*) AS n, count(r.share) AS withShare, sum(r.share) AS total,
       sum(CASE WHEN s.country IN $countries THEN 1 ELSE 0 END) AS nIn,
       sum(CASE WHEN s.country IN $countries THEN r.share ELSE 0.0 END) AS totalIn
  RETURN nIn = n AS cutAtSource,
         CASE WHEN withShare = n THEN totalIn / total ELSE toFloat(nIn) / n END AS lostShare
}
WITH x, cutAtSource, lostShare WHERE lostShare > 0
MATCH ANY SHORTEST (p:Product)-[:CONTAINS]->*(x)
WITH DISTINCT p, x, cutAtSource, lostShare
ORDER BY x.id
RETURN
  p.id AS product,
  any(flag IN collect(cutAtSource) WHERE flag) AS cut,
  collect(CASE WHEN cutAtSource THEN x.id END) AS cutItems,
  collect(CASE WHEN NOT cutAtSource THEN [x.id, lostShare] END) AS partial
ORDER BY cut DESC, product
