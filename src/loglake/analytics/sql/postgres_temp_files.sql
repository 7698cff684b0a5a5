-- Temporary files by the statement that wrote them.
WITH files AS (
    SELECT
        ts,
        attr(attrs, '$.statement') AS statement,
        TRY_CAST(attr(attrs, '$.size_bytes') AS BIGINT) AS size_bytes
    FROM events
    {where}
)
SELECT
    statement,
    count(*) AS count,
    sum(size_bytes) AS total_bytes,
    max(size_bytes) AS max_bytes,
    avg(size_bytes) AS avg_bytes,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM files
GROUP BY statement
ORDER BY total_bytes DESC NULLS LAST, count DESC, statement NULLS LAST
LIMIT ?
