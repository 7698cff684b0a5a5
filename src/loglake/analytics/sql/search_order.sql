-- Search hits in result order: time, then file and offset; a hit that is no event (a bad
-- line, no time) comes last. {join} is LEFT without filters, INNER when filters select
-- events. Files are joined by their index in the search (file_id order): integer keys.
SELECT h.file_index, h.file_offset, h.line_length, coalesce(epoch_us(e.ts), ?) AS ts_us
FROM search_hits AS h
{join} JOIN (
    SELECT f.file_index, e.file_offset, e.ts
    FROM events AS e
    JOIN search_files AS f ON f.file_id = e.file_id
    {where}
) AS e ON e.file_index = h.file_index AND e.file_offset = h.file_offset
ORDER BY ts_us, h.file_index, h.file_offset
