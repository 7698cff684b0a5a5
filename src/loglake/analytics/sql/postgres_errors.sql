-- ERROR/FATAL/PANIC records by SQLSTATE and message, with the latest statement that failed.
SELECT
    code,
    level,
    message,
    count(*) AS count,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    arg_max(attr(attrs, '$.statement'), ts) AS example_statement
FROM events
{where}
GROUP BY code, level, message
ORDER BY count DESC, code NULLS LAST, message
LIMIT ?
