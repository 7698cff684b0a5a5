-- Connections accepted and ended, peak open (as logged), unique client hosts.
SELECT
    coalesce(count_if(event = 'accepted'), 0) AS accepted,
    coalesce(count_if(event = 'ended'), 0) AS ended,
    max(connection_count) AS peak_open,
    count(DISTINCT client_ip) FILTER (WHERE event = 'accepted') AS unique_hosts,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM connections
{where}
