// A page of regions in code order, optionally of one country, after the cursor $after.
// @param country  country code (ISO 3166-1 alpha-2) or null
// @param after    cursor: the last key of the previous page, or null
// @param limit    page size (+1 to detect a next page)
MATCH (r:Region)
WHERE ($country IS NULL OR r.country = $country) AND ($after IS NULL OR r.code > $after)
RETURN r.code AS code, r.name AS name, r.country AS country
ORDER BY code
LIMIT $limit
