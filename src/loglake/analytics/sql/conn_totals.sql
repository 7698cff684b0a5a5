-- Connections accepted and ended, peak open (as logged), unique client hosts.
SELECT
    count_if(event = 'accepted') AS accepted,
    count_if(event = 'ended') AS ended,
    max(connection_count) AS peak_open,
    count(DISTINCT client_ip) FILTER (WHERE event = 'accepted') AS unique_hosts,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM connections
{where}
