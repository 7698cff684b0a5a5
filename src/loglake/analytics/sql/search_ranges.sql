-- Per source file, the bytes holding the events the filters select: search scans only these.
SELECT file_id, min(file_offset) AS lo, max(file_offset + line_length) AS hi
FROM events
{where}
GROUP BY file_id
