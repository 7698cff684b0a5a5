-- The newest rows of an alert's group in its window: the lines an alert carries, with the
-- raw entry each came from. {text} is a whitelisted expression.
SELECT epoch_us(ts) AS ts_us, file_id, file_offset, {text} AS text
FROM {stream}
{where}
ORDER BY ts DESC, file_id DESC, file_offset DESC
LIMIT ?
