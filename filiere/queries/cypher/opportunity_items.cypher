// What some items are worth and how the CRM Act lists them: unit value in euros and
// `crma` (strategic, critical or null), for `filiere opportunities`.
// @param items  list of item ids, e.g. ["M-W", "C-MAG-SMCO"]
UNWIND $items AS itemId
MATCH (x:Item {id: itemId})
RETURN x.id AS item, x.unit_value_eur AS unitValue, x.crma AS crma
ORDER BY item
