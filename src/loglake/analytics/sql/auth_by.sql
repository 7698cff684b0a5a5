-- Successes and failures per value of one whitelisted column, most failures first.
SELECT
    {column} AS key,
    coalesce(count_if(result = 'success'), 0) AS success,
    coalesce(count_if(result = 'failure'), 0) AS failure,
    max(ts) FILTER (WHERE result = 'failure') AS last_failure
FROM authentications
{where}
GROUP BY 1
ORDER BY failure DESC, success DESC, key NULLS LAST
LIMIT ?
