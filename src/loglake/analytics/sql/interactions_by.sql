-- Interactions per user, subject or model: how many, failed, unhappy, response time.
SELECT
    {key} AS key,
    count(*) AS interactions,
    count(*) FILTER (WHERE outcome = 'failed') AS failed,
    count(*) FILTER (WHERE satisfaction < {low}) AS low_satisfaction,
    avg(response_ms) AS avg_response_ms,
    quantile_cont(response_ms, 0.95) AS p95_response_ms,
    max(ts) AS last_ts,
    count(*) OVER () AS groups
FROM interactions
{where}
GROUP BY key
ORDER BY interactions DESC, key
LIMIT ?
