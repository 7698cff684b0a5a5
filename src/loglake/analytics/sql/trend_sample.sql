-- A bounded, repeatable sample of executions for a scatter plot.
SELECT
    ts,
    duration_ms,
    {key} AS key,
    namespace,
    op,
    plan,
    file_id,
    file_offset,
    line_length
FROM slow_queries
{where}
ORDER BY hash(file_id, file_offset)
LIMIT ?
