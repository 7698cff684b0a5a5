-- An alert rule's rows, by group and then event time: the time and the numeric value
-- (aggregate). {group} and {value} are whitelisted expressions (alerts/fields.field_sql);
-- values are bound. alert_groups.sql counts the same rows per group in the same order.
SELECT ts_us, val
FROM (
    SELECT {group} AS grp, epoch_us(ts) AS ts_us, {value} AS val
    FROM {stream}
    {where}
)
ORDER BY grp, ts_us
