-- Failed and unhappy interactions counted by reason.
SELECT coalesce(failure_reason, 'low_satisfaction') AS reason, count(*) AS count
FROM interactions
{where}
GROUP BY reason
ORDER BY count DESC, reason
