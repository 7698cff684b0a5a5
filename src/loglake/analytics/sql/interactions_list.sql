-- One page of interactions, newest first (keyset: ts, file_id, file_offset descending).
SELECT
    epoch_us(ts) AS ts_us, ts, interaction_id, request_id, "user", subject, question,
    question_norm, question_group, topics, answer, answer_length, response_ms, outcome,
    failure_reason, error, satisfaction, rating, tokens, model, records, last_ts, file_id,
    file_offset, line_length
FROM interactions
{where}
ORDER BY ts DESC, file_id DESC, file_offset DESC
LIMIT ?
