-- The events columns of one page of search hits (NULL for a hit that is no event); the
-- time bounds of the page let DuckDB skip partitions and row groups.
SELECT
    e.ts, e.severity, e.component, e.context, e.msg_id, e.message,
    p.file_id, p.file_offset, p.line_length
FROM search_page AS p
LEFT JOIN (
    SELECT file_id, file_offset, ts, severity, component, context, msg_id, message
    FROM events
    WHERE ts BETWEEN ? AND ? AND {partition} BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
) AS e ON e.file_id = p.file_id AND e.file_offset = p.file_offset
ORDER BY p.position
