// Country shock, substitutes: for every item cut at source, its substitutes with the
// items of their bill of materials (the substitute included) that the same shock hits.
// @param items      ids of the items cut at source
// @param lossItems  ids of every item that loses supply
UNWIND $items AS itemId
MATCH (x:Item {id: itemId})<-[:SUBSTITUTES]-(y:Item)
CALL (y) {
  OPTIONAL MATCH ANY SHORTEST (y)-[:CONTAINS]->*(z:Item)
  WITH DISTINCT z
  WHERE z.id IN $lossItems
  RETURN collect(z.id) AS below
}
RETURN x.id AS item, y.id AS substitute, below
ORDER BY item, substitute
