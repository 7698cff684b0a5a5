-- Lock waits in all: how many, and the time waited when each was logged.
SELECT
    count(*) AS waits,
    coalesce(sum(TRY_CAST(attr(attrs, '$.wait_ms') AS DOUBLE)), 0) AS total_wait_ms
FROM events
{where}
