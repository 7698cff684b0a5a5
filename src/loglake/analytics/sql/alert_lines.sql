-- The newest rows of each alert's group in its window, for all of a rule's alerts at once:
-- the lines an alert carries, with the raw entry each came from. The windows are bound as
-- lists (group, low, high; `low < ts <= high`); {group} and {text} are whitelisted.
WITH windows AS (
    SELECT unnest(?::VARCHAR[]) AS g, unnest(?::BIGINT[]) AS low, unnest(?::BIGINT[]) AS high,
           unnest(range(?::BIGINT)) AS i
), picked AS (
    SELECT {group} AS grp, epoch_us(ts) AS ts_us, file_id, file_offset, {text} AS text, ts
    FROM {stream}
    {where}
)
SELECT w.i, p.ts_us, p.file_id, p.file_offset, p.text
FROM picked p JOIN windows w ON p.grp = w.g AND p.ts_us > w.low AND p.ts_us <= w.high
QUALIFY row_number() OVER (
    PARTITION BY w.i ORDER BY p.ts DESC, p.file_id DESC, p.file_offset DESC
) <= ?
ORDER BY w.i, p.ts_us, p.file_id, p.file_offset
