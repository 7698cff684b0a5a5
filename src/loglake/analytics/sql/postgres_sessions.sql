-- Ended sessions (`disconnection: session time`) per value of one whitelisted dimension.
WITH ended AS (
    SELECT
        ts,
        user,
        attr(attrs, '$.db') AS db,
        attr(attrs, '$.app') AS app,
        attr(attrs, '$.client') AS host,
        TRY_CAST(attr(attrs, '$.session_ms') AS DOUBLE) AS session_ms
    FROM events
    {where}
)
SELECT
    {column} AS key,
    count(*) AS sessions,
    sum(session_ms) AS total_ms,
    avg(session_ms) AS avg_ms,
    max(session_ms) AS max_ms
FROM ended
GROUP BY 1
ORDER BY sessions DESC, total_ms DESC NULLS LAST, key NULLS LAST
LIMIT ?
