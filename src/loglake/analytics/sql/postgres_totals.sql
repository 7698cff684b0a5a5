-- Statements with a duration: how many, how long in all, how many fingerprints.
SELECT
    count(*) AS count,
    coalesce(sum(duration_ms), 0) AS total_ms,
    count(DISTINCT shape_hash) AS normalized,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM slow_queries
{where}
