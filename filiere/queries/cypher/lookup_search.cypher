// Items, suppliers, regions and countries whose id or name contains $q, ignoring case and
// accents: both sides are lower-cased and folded with the $folds pairs ([accented, plain]).
// @param types       node types to search: item, supplier, region, country
// @param folds       [accented, plain] pairs applied after toLower (filiere.queries.lookups.FOLDS)
// @param q           the folded search text
// @param type_order  map from node type to its rank in ties
// @param offset      hits to skip
// @param limit       page size (+1 to detect a next page)
CALL () {
  MATCH (n:Item) WHERE 'item' IN $types
  RETURN 'item' AS type, n.id AS id, n.name AS name, n.kind AS detail
  UNION ALL
  MATCH (n:Supplier) WHERE 'supplier' IN $types
  RETURN 'supplier' AS type, n.id AS id, n.name AS name, n.country AS detail
  UNION ALL
  MATCH (n:Region) WHERE 'region' IN $types
  RETURN 'region' AS type, n.code AS id, n.name AS name, n.country AS detail
  UNION ALL
  MATCH (n:Country) WHERE 'country' IN $types
  RETURN 'country' AS type, n.code AS id, n.name AS name, null AS detail
}
WITH type, id, name, detail,
  reduce(s = toLower(id), p IN $folds | replace(s, p[0], p[1])) AS fid,
  reduce(s = toLower(coalesce(name, '')), p IN $folds | replace(s, p[0], p[1])) AS fname
WHERE fid CONTAINS $q OR fname CONTAINS $q
WITH type, id, name, detail,
  CASE
    WHEN fid = $q OR fname = $q THEN 0
    WHEN fid STARTS WITH $q OR fname STARTS WITH $q THEN 1
    ELSE 2
  END AS rank
RETURN type, id, name, detail, rank
ORDER BY rank, $type_order[type], id
SKIP $offset
LIMIT $limit
