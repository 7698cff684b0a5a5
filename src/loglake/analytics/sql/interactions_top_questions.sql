-- The most common questions: near-duplicates grouped (question_group), the group named by
-- its most frequent wording, with up to three wordings as examples.
WITH wordings AS (
    SELECT question_group, question, count(*) AS n,
        count(*) FILTER (WHERE outcome = 'failed') AS failed,
        sum(response_ms) AS total_ms, count(response_ms) AS timed
    FROM interactions
    {where}
    GROUP BY question_group, question
)
SELECT
    first(question ORDER BY n DESC, question) AS question,
    sum(n) AS count,
    list(question ORDER BY n DESC, question)[1:3] AS examples,
    sum(failed) AS failed,
    sum(total_ms) / nullif(sum(timed), 0) AS avg_response_ms,
    question_group AS "group",
    count(*) OVER () AS groups
FROM wordings
GROUP BY question_group
ORDER BY count DESC, question
LIMIT ?
