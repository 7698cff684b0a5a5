-- Connections per client IP.
SELECT
    client_ip AS key,
    coalesce(count_if(event = 'accepted'), 0) AS accepted,
    coalesce(count_if(event = 'ended'), 0) AS ended
FROM connections
{where}
GROUP BY 1
ORDER BY accepted DESC, ended DESC, key NULLS LAST
LIMIT ?
