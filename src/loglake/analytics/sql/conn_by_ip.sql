-- Connections per client IP.
SELECT
    client_ip AS key,
    count_if(event = 'accepted') AS accepted,
    count_if(event = 'ended') AS ended
FROM connections
{where}
GROUP BY 1
ORDER BY accepted DESC, ended DESC, key NULLS LAST
LIMIT ?
