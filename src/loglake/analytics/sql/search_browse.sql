-- One page of events in search order (search without q).
SELECT ts, severity, component, context, msg_id, message, file_id, file_offset, line_length
FROM events
{where}
ORDER BY ts NULLS LAST, file_id, file_offset
LIMIT ? OFFSET ?
