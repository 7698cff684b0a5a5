-- The first and last time the filters select, read from the two partition days that hold
-- them only (found first from the per-day counts). Values: first day, last day, both again,
-- then the WHERE clause's.
SELECT
    epoch_us(min(ts) FILTER (WHERE {partition} = CAST(? AS DATE))) AS first_us,
    epoch_us(max(ts) FILTER (WHERE {partition} = CAST(? AS DATE))) AS last_us
FROM events
{where} {joiner} {partition} IN (CAST(? AS DATE), CAST(? AS DATE))
