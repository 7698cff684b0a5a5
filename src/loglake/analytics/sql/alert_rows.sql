-- An alert rule's rows in event-time order: the time, the group key, the numeric value
-- (aggregate), the term (new_term), the raw entry and its text. {group}, {value}, {term}
-- and {text} are whitelisted expressions (alerts/rules.field_sql); values are bound.
SELECT epoch_us(ts) AS ts_us, {group} AS grp, {value} AS val, {term} AS term,
       file_id, file_offset, {text} AS text
FROM {stream}
{where}
ORDER BY ts, file_id, file_offset
