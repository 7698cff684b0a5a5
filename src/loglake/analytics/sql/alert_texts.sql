-- The text of given rows of a stream, found by (file_id, file_offset) bound as two lists:
-- the lines of every alert an evaluation fired, in one query. {text} is whitelisted
-- (alerts/rows.py); the caller bounds the scan by the rows' days and times.
WITH wanted AS (
    SELECT unnest(?::VARCHAR[]) AS want_file, unnest(?::BIGINT[]) AS want_offset
)
SELECT file_id, file_offset, {text} AS text
FROM {stream} JOIN wanted ON file_id = want_file AND file_offset = want_offset
{where}
