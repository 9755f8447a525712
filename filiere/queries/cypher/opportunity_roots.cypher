// The products, in id order: the roots whose bills of materials `filiere opportunities`
// and `filiere matches` read level by level with opportunity_facts.cypher.
MATCH (p:Product)
RETURN p.id AS product
ORDER BY product
