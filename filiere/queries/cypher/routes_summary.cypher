// Summary of the local substitution routes of items (as `routes`): for each item that has
// routes, their number per tier and the first one in the routes' order, with its distance
// in km to region $region. Items without any route are left out.
// @param items      ids of the items to source, e.g. ["C-MAG-NDFEB-S"]
// @param region     ISO 3166-2 code of the target region, or null
// @param regionLat  latitude of the target region when it has no Region node (or null)
// @param regionLng  longitude of the target region when it has no Region node (or null)
// @param home       home country code, e.g. "FR"
// @param eu         the EU member states' codes
UNWIND $items AS itemId
MATCH (x:Item {id: itemId})
WITH x, COLLECT { MATCH (cur:Supplier)-[:SUPPLIES]->(x) RETURN cur.id } AS current
CALL (x, current) {
  MATCH (s:Supplier)-[:OFFERS]->(x)
  WHERE NOT s.id IN current
  RETURN s, 'supplier' AS kind, x.id AS via, 1.0 AS compatibility
  UNION
  MATCH (y:Item)-[sub:SUBSTITUTES]->(x)
  MATCH (s:Supplier)-[:OFFERS|SUPPLIES]->(y)
  RETURN DISTINCT s, 'substitute' AS kind, y.id AS via,
         toFloat(coalesce(sub.compatibility, 1.0)) AS compatibility
  UNION
  WITH x, current, COLLECT { MATCH (x)-[:REQUIRES]->(p:Process) RETURN p } AS processes
  WHERE size(processes) > 0
  WITH x, current, processes, processes[0] AS first
  MATCH (first)<-[:MASTERS]-(s:Supplier)
  WHERE NOT s.id IN current
    AND NOT EXISTS { (s)-[:OFFERS]->(x) }
    AND all(p IN processes WHERE EXISTS { (s)-[:MASTERS]->(p) })
  RETURN s, 'capability' AS kind, x.id AS via, 1.0 AS compatibility
}
WITH x, s, kind, via, compatibility,
     CASE
       WHEN $region IS NOT NULL AND s.region = $region THEN 1
       WHEN s.country = $home THEN 2
       WHEN s.country IN $eu THEN 3
     END AS tier
WHERE tier IS NOT NULL
WITH x, s, kind, via, compatibility, tier
ORDER BY x.id, tier, CASE kind WHEN 'supplier' THEN 0 WHEN 'substitute' THEN 1 ELSE 2 END,
         round(compatibility, 6) DESC, s.id, via
WITH x, collect({s: s, kind: kind, via: via, compatibility: compatibility, tier: tier}) AS found
WITH x, found, head(found) AS best
WITH x, best, best.s AS s,
     size([f IN found WHERE f.tier = 1]) AS tier1,
     size([f IN found WHERE f.tier = 2]) AS tier2,
     size([f IN found WHERE f.tier = 3]) AS tier3
OPTIONAL MATCH (target:Region {code: $region})
OPTIONAL MATCH (home:Region {code: s.region})
WITH x, best, s, tier1, tier2, tier3,
     coalesce(target.lat, $regionLat) AS tLat, coalesce(target.lng, $regionLng) AS tLng,
     CASE WHEN s.lat IS NOT NULL AND s.lon IS NOT NULL THEN s.lat ELSE home.lat END AS lat,
     CASE WHEN s.lat IS NOT NULL AND s.lon IS NOT NULL THEN s.lon ELSE home.lng END AS lon
RETURN
  x.id AS item, tier1, tier2, tier3,
  s.id AS supplier, best.kind AS kind, best.via AS via, best.tier AS tier,
  s.country AS country, s.region AS region, best.compatibility AS compatibility,
  CASE WHEN lat IS NULL OR lon IS NULL OR tLat IS NULL OR tLng IS NULL THEN null
  ELSE 2 * 6371.0088 * asin(sqrt(
    sin(radians(tLat - lat) / 2) ^ 2
    + cos(radians(lat)) * cos(radians(tLat)) * sin(radians(tLng - lon) / 2) ^ 2))
  END AS distanceKm
ORDER BY item
