-- Interactions and unique users per day, week (from Monday) or month, in a time zone.
SELECT
    CAST(date_trunc('{interval}', timezone(?, ts)) AS DATE) AS bucket,
    count(*) AS interactions,
    count(DISTINCT "user") AS users,
    count(*) FILTER (WHERE outcome = 'failed') AS failed,
    avg(response_ms) AS avg_response_ms,
    quantile_cont(response_ms, 0.95) AS p95_response_ms
FROM interactions
{where}
GROUP BY bucket
ORDER BY bucket
