-- ERROR/FATAL/PANIC records per SQLSTATE.
SELECT code, count(*) AS count, count(DISTINCT message) AS messages
FROM events
{where}
GROUP BY code
ORDER BY count DESC, code NULLS LAST
LIMIT ?
