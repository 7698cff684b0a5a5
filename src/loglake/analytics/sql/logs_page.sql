-- One page of events, newest first (time, then file_id and file_offset, descending): the
-- WHERE clause holds the filters and, after the first page, the keyset cursor.
SELECT
    ts, level, severity, component AS source, host, "user", message, template_id,
    request_id, duration_ms, http_method, http_path, http_status, attrs,
    file_id, file_offset, line_length, epoch_us(ts) AS ts_us
FROM events
{where}
ORDER BY ts DESC, file_id DESC, file_offset DESC
LIMIT ?
