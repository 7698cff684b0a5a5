-- Search hits in result order: time, then file and offset; hits that are no event (bad
-- lines, no time) come last. {join} is LEFT without filters, INNER when filters select events.
SELECT h.file_index, h.file_offset, h.line_length, coalesce(epoch_us(e.ts), ?) AS ts_us
FROM search_hits AS h
{join} JOIN (SELECT file_id, file_offset, ts FROM events {where}) AS e
    ON e.file_id = h.file_id AND e.file_offset = h.file_offset
ORDER BY e.ts NULLS LAST, h.file_id, h.file_offset
