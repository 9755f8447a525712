// Store summary: the countries with the most suppliers, most first.
// @param limit  how many countries to return
MATCH (s:Supplier)
WHERE s.country IS NOT NULL
RETURN s.country AS country, count(s) AS suppliers
ORDER BY suppliers DESC, country
LIMIT $limit
