-- Lock waits (`still waiting for … after N ms`) by statement and lock mode.
WITH waits AS (
    SELECT
        ts,
        attr(attrs, '$.statement') AS statement,
        attr(attrs, '$.mode') AS mode,
        TRY_CAST(attr(attrs, '$.wait_ms') AS DOUBLE) AS wait_ms
    FROM events
    {where}
)
SELECT
    statement,
    mode,
    count(*) AS count,
    sum(wait_ms) AS total_wait_ms,
    max(wait_ms) AS max_wait_ms,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM waits
GROUP BY statement, mode
ORDER BY count DESC, total_wait_ms DESC NULLS LAST, statement NULLS LAST
LIMIT ?
