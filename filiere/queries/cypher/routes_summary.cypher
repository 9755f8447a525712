// Summary of the local substitution routes of items (as `routes`): for each item that has
// routes, their number per tier and its first $limit routes in the routes' order (one row
// each), with their distance in km to region $region. Items without any route are left out.
// Counts without listing: the suppliers able to make an item depend only on the set of
// processes it requires, which items share, so they are ranked and counted once per set
// (a supplier is able when it masters every process of the set: counted from the
// processes' side, whose MASTERS relationships are grouped, rather than by testing each
// master of the first process for the others);
// each item then takes off those that already supply or offer it. Capability routes come
// last in their tier and rank by supplier id: only the set's first $limit untaken suppliers
// can be among an item's first $limit routes.
// Expressions compiled to bytecode from the first run, not once the query is "hot" (Neo4j's
// default): on a freshly started server, at full scale, the first call took twice as long.
// @param items      ids of the items to source, e.g. ["C-MAG-NDFEB-S"]
// @param region     ISO 3166-2 code of the target region, or null
// @param regionLat  latitude of the target region when it has no Region node (or null)
// @param regionLng  longitude of the target region when it has no Region node (or null)
// @param home       home country code, e.g. "FR"
// @param eu         the EU member states' codes
// @param limit      how many of each item's first routes to return, e.g. 1
CYPHER expressionEngine=compiled
UNWIND $items AS itemId
MATCH (x:Item {id: itemId})
WITH x, COLLECT { MATCH (x)-[:REQUIRES]->(p:Process) RETURN DISTINCT p ORDER BY p.id } AS processes
WITH processes, collect(x) AS xs
CALL (processes) {
  UNWIND processes AS p
  MATCH (p)<-[:MASTERS]-(s:Supplier)
  WITH s, count(DISTINCT p) AS mastered
  WHERE mastered = size(processes)
  WITH s,
       CASE
         WHEN $region IS NOT NULL AND s.region = $region THEN 1
         WHEN s.country = $home THEN 2
         WHEN s.country IN $eu THEN 3
       END AS tier
  WHERE tier IS NOT NULL
  WITH s, tier
  ORDER BY tier, s.id
  RETURN collect(s) AS able, collect(tier) AS ableTiers
}
WITH xs, processes, able,
     size([t IN ableTiers WHERE t = 1]) AS able1,
     size([t IN ableTiers WHERE t = 2]) AS able2,
     size([t IN ableTiers WHERE t = 3]) AS able3
UNWIND xs AS x
WITH x, processes, able, able1, able2, able3,
     COLLECT { MATCH (cur:Supplier)-[:SUPPLIES]->(x) RETURN DISTINCT cur } AS current
WITH x, processes, able, able1, able2, able3, current,
     COLLECT { MATCH (s:Supplier)-[:OFFERS]->(x) WHERE NOT s IN current RETURN DISTINCT s }
       AS offering
// The able suppliers that already supply or offer x are not capability routes of x.
WITH x, able, able1, able2, able3, current, offering,
     [s IN current + offering
      WHERE size(processes) > 0 AND all(p IN processes WHERE EXISTS { (s)-[:MASTERS]->(p) })
      | {s: s, tier: CASE
                       WHEN $region IS NOT NULL AND s.region = $region THEN 1
                       WHEN s.country = $home THEN 2
                       WHEN s.country IN $eu THEN 3
                     END}] AS taken
WITH x, able, able1, able2, able3, current, offering,
     [t IN taken WHERE t.tier IS NOT NULL | t.s] AS takenAble,
     [t IN taken WHERE t.tier IS NOT NULL | t.tier] AS takenTiers
// able is ranked by (tier, id) and holds takenAble: its first $limit untaken suppliers are
// among its first size(takenAble) + $limit.
WITH x, current, offering, takenTiers,
     able1 - size([t IN takenTiers WHERE t = 1]) AS cap1,
     able2 - size([t IN takenTiers WHERE t = 2]) AS cap2,
     able3 - size([t IN takenTiers WHERE t = 3]) AS cap3,
     [s IN able[0..size(takenAble) + $limit] WHERE NOT s IN takenAble][0..$limit] AS firstAble
CALL (x, current, offering, firstAble) {
  UNWIND offering AS s
  RETURN s, 'supplier' AS kind, x.id AS via, 1.0 AS compatibility
  UNION
  MATCH (y:Item)-[sub:SUBSTITUTES]->(x)
  MATCH (s:Supplier)-[:OFFERS|SUPPLIES]->(y)
  RETURN DISTINCT s, 'substitute' AS kind, y.id AS via,
         toFloat(coalesce(sub.compatibility, 1.0)) AS compatibility
  UNION
  UNWIND firstAble AS s
  RETURN s, 'capability' AS kind, x.id AS via, 1.0 AS compatibility
}
WITH x, cap1, cap2, cap3, s, kind, via, compatibility,
     CASE
       WHEN $region IS NOT NULL AND s.region = $region THEN 1
       WHEN s.country = $home THEN 2
       WHEN s.country IN $eu THEN 3
     END AS tier
WHERE tier IS NOT NULL
WITH x, cap1, cap2, cap3, s, kind, via, compatibility, tier
ORDER BY x.id, tier, CASE kind WHEN 'supplier' THEN 0 WHEN 'substitute' THEN 1 ELSE 2 END,
         round(compatibility, 6) DESC, s.id, via
WITH x, cap1, cap2, cap3,
     collect({s: s, kind: kind, via: via, compatibility: compatibility, tier: tier}) AS found
WITH x, found, [f IN found WHERE f.kind <> 'capability'] AS listed, cap1, cap2, cap3
WITH x, found[0..$limit] AS first,
     size([f IN listed WHERE f.tier = 1]) + cap1 AS tier1,
     size([f IN listed WHERE f.tier = 2]) + cap2 AS tier2,
     size([f IN listed WHERE f.tier = 3]) + cap3 AS tier3
UNWIND first AS best
WITH x, best, best.s AS s, tier1, tier2, tier3
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
