-- Message templates of the filtered events: count, first/last seen, the first event as the
-- example, the template's text and source from the lake's templates table. Bound: the
-- where clause's values, the text filter twice, the limit.
WITH picked AS (
    SELECT template_id, ts, message, file_id, file_offset
    FROM events
    {where}
),
counted AS (
    SELECT
        template_id,
        count(*) AS count,
        min(ts) AS first_ts,
        max(ts) AS last_ts,
        arg_min(message, ts) AS example,
        arg_min(file_id, ts) AS example_file_id,
        arg_min(file_offset, ts) AS example_file_offset
    FROM picked
    GROUP BY template_id
)
SELECT c.*, t.source, t.template
FROM counted AS c
LEFT JOIN templates AS t USING (template_id)
WHERE ? IS NULL OR contains(lower(coalesce(t.template, c.example)), lower(?))
ORDER BY c.count DESC, c.template_id
LIMIT ?
