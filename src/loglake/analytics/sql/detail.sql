-- The row of one stream at a line's position.
SELECT * EXCLUDE ({partition}) FROM {stream} WHERE file_id = ? AND file_offset = ? LIMIT 1
