// The products a firm makes (the workspace's supplier page).
// @param id  the supplier's id
MATCH (:Supplier {id: $id})-[:MAKES]->(p:Item)
RETURN p.id AS id, p.name AS name
ORDER BY id
