// A page of items in id order, optionally of one kind, after the cursor $after.
// @param kind   item kind (product, component, material) or null
// @param after  cursor: the last key of the previous page, or null
// @param limit  page size (+1 to detect a next page)
MATCH (i:Item)
WHERE ($kind IS NULL OR i.kind = $kind) AND ($after IS NULL OR i.id > $after)
RETURN i.id AS id, i.name AS name, i.kind AS kind
ORDER BY id
LIMIT $limit
