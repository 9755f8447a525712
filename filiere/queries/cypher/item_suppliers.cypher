// Suppliers of an item by country: who supplies it today (with the share when known) and
// who offers it, grouped by country.
// @param item  id of the item
MATCH (x:Item {id: $item})<-[r:SUPPLIES|OFFERS]-(s:Supplier)
WITH s.country AS country, type(r) AS relation, s, r
ORDER BY s.id
RETURN country, relation,
       collect(s.id + ' ' + s.name + CASE WHEN r.share IS NULL THEN '' ELSE ' (' + toString(r.share) + ')' END) AS suppliers
ORDER BY country, relation
