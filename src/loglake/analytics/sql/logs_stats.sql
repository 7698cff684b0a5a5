-- Numeric statistics of one field over the filtered events ({value}: its expression).
SELECT
    count(x) AS count, avg(x) AS avg, min(x) AS min,
    quantile_cont(x, 0.5) AS p50, quantile_cont(x, 0.95) AS p95, max(x) AS max
FROM (SELECT {value} AS x FROM events {where})
