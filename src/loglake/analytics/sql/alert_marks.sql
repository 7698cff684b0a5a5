-- The rows of a stream not evaluated by the alert rules yet, per source file: where the
-- next evaluation starts in that file, and the first and last event time they hold.
SELECT file_id, max(file_offset) + 1 AS next_offset,
       min(epoch_us(ts)) AS first_us, max(epoch_us(ts)) AS last_us
FROM {stream}
{where}
GROUP BY file_id
