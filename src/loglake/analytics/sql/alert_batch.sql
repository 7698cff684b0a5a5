-- The rows of a stream's batched alert rules, in one scan of the stream's new rows: each
-- row's time, the group and value expressions the rules use, and for each rule whether the
-- row passes its filters. {columns} are whitelisted expressions (alerts/fields.field_sql and
-- the rules' filters from analytics/filters.where); values are bound. alerts/rows.py splits
-- the result into each rule's rows by group (a stable sort of these rows, in time order).
SELECT epoch_us(ts) AS ts_us, {columns}
FROM {stream}
{where}
ORDER BY ts_us
