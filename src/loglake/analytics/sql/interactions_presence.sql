-- The top-level attrs fields of the records of some days that name a candidate field of
-- the profile (one RE2 test first: most records of most logs name none), and whether each
-- ever holds text (a question must).
WITH picked AS (
    SELECT attrs FROM events
    WHERE date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND regexp_matches(attrs, ?)
), keyed AS (
    SELECT unnest(json_keys(attrs)) AS name, attrs FROM picked
)
SELECT name, bool_or(json_type(attrs, '$."' || replace(name, '"', '') || '"') = 'VARCHAR')
FROM keyed
GROUP BY name
