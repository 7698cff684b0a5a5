-- The top-level attrs fields of the records of some days (what the profile can find).
SELECT DISTINCT unnest(json_keys(attrs)) AS name
FROM events
WHERE date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND attrs LIKE '{%'
