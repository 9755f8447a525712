// Items, suppliers, regions and countries whose id or name contains $q, ignoring case and
// accents: both sides are lower-cased and folded with the $folds pairs ([accented, plain]).
// @param types       node types to search: item, supplier, region, country
// @param folds       [accented, plain] pairs applied after toLower (filiere.queries.lookups.FOLDS)
// @param q           the folded search text
// @param aliases     map from country code to its folded French name (nodes hold ISO's English)
// @param type_order  map from node type to its rank in ties
// @param offset      hits to skip
// @param limit       page size (+1 to detect a next page)
CALL () {
  MATCH (n:Item) WHERE 'item' IN $types
  RETURN 'item' AS type, n.id AS id, n.name AS name, n.kind AS detail, '' AS alias
  UNION ALL
  MATCH (n:Supplier) WHERE 'supplier' IN $types
  RETURN 'supplier' AS type, n.id AS id, n.name AS name, n.country AS detail, '' AS alias
  UNION ALL
  MATCH (n:Region) WHERE 'region' IN $types
  RETURN 'region' AS type, n.code AS id, n.name AS name, n.country AS detail, '' AS alias
  UNION ALL
  MATCH (n:Country) WHERE 'country' IN $types
  RETURN 'country' AS type, n.code AS id, n.name AS name, null AS detail,
    coalesce($aliases[n.code], '') AS alias
}
WITH type, id, name, detail, alias,
  reduce(s = toLower(id), p IN $folds | replace(s, p[0], p[1])) AS fid,
  reduce(s = toLower(coalesce(name, '')), p IN $folds | replace(s, p[0], p[1])) AS fname
WHERE fid CONTAINS $q OR fname CONTAINS $q OR (alias <> '' AND alias CONTAINS $q)
WITH type, id, name, detail,
  CASE
    WHEN fid = $q OR fname = $q OR alias = $q THEN 0
    WHEN fid STARTS WITH $q OR fname STARTS WITH $q OR (alias <> '' AND alias STARTS WITH $q)
      THEN 1
    ELSE 2
  END AS rank
RETURN type, id, name, detail, rank
ORDER BY rank, $type_order[type], id
SKIP $offset
LIMIT $limit
