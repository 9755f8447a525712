// Store summary: every provenance name with its node count and load dates.
// (FiliereUndo: the saved copies of a journalled Neo4j load in progress.)
MATCH (n)
WHERE n.source IS NOT NULL AND NOT n:FiliereUndo
RETURN n.source AS source, count(n) AS nodes,
       min(n.loaded_at) AS first_loaded, max(n.loaded_at) AS last_loaded
ORDER BY source
