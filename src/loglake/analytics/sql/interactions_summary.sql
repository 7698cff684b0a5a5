-- Interactions, users, failures, unhappy answers and response time of the filtered rows.
SELECT
    count(*) AS interactions,
    count(DISTINCT "user") AS users,
    count(*) FILTER (WHERE outcome = 'failed') AS failed,
    count(*) FILTER (WHERE satisfaction < {low}) AS low_satisfaction,
    count(satisfaction) AS rated,
    avg(response_ms) AS avg_ms,
    quantile_cont(response_ms, 0.5) AS p50_ms,
    quantile_cont(response_ms, 0.95) AS p95_ms,
    quantile_cont(response_ms, 0.99) AS p99_ms,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM interactions
{where}
