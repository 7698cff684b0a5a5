-- Automatic vacuums and analyzes per table.
WITH runs AS (
    SELECT
        ts,
        attr(attrs, '$.kind') AS kind,
        attr(attrs, '$.table') AS "table",
        TRY_CAST(attr(attrs, '$.tuples_removed') AS BIGINT) AS tuples_removed,
        TRY_CAST(attr(attrs, '$.pages_removed') AS BIGINT) AS pages_removed,
        TRY_CAST(attr(attrs, '$.elapsed_s') AS DOUBLE) AS elapsed_s
    FROM events
    {where}
)
SELECT
    "table",
    count_if(kind = 'autovacuum') AS vacuums,
    count_if(kind = 'autoanalyze') AS analyzes,
    sum(tuples_removed) AS tuples_removed,
    sum(pages_removed) AS pages_removed,
    sum(elapsed_s) AS elapsed_s,
    max(ts) AS last_ts
FROM runs
GROUP BY "table"
ORDER BY vacuums + analyzes DESC, "table" NULLS LAST
LIMIT ?
