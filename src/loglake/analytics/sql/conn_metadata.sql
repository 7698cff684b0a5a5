-- Client metadata: connections per value of whitelisted columns (driver, app, os).
SELECT {columns}, count(*) AS count
FROM connections
{where}
GROUP BY ALL
ORDER BY count DESC, {columns}
LIMIT ?
