-- Key phrases (product and fund names) the questions mention, by how many interactions.
WITH picked AS (
    SELECT topics, outcome FROM interactions {where}
), named AS (
    SELECT unnest(json_extract_string(topics, '$[*]')) AS topic, outcome FROM picked
)
SELECT topic, count(*) AS count, count(*) FILTER (WHERE outcome = 'failed') AS failed
FROM named
GROUP BY topic
ORDER BY count DESC, topic
LIMIT ?
