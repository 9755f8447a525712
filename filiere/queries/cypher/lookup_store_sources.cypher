// Store summary: every provenance name with its node count and load dates.
MATCH (n)
WHERE n.source IS NOT NULL
RETURN n.source AS source, count(n) AS nodes,
       min(n.loaded_at) AS first_loaded, max(n.loaded_at) AS last_loaded
ORDER BY source
