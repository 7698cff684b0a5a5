-- Failure reasons, most frequent first.
SELECT error AS key, count(*) AS count
FROM authentications
{where}
GROUP BY 1
ORDER BY count DESC, key NULLS LAST
LIMIT ?
