-- Failed and unhappy interactions, newest first, each with its reason.
SELECT
    ts, interaction_id, "user", subject, question, outcome,
    coalesce(failure_reason, 'low_satisfaction') AS reason,
    error, rating, satisfaction, response_ms
FROM interactions
{where}
ORDER BY ts DESC, file_id DESC, file_offset DESC
LIMIT ?
