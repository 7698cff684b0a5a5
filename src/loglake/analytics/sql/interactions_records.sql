-- The records of a derivation window, their roles read through the interaction profile;
-- only records with a correlation id (or a user) can belong to an interaction.
SELECT
    epoch_us(ts) AS ts_us, host, file_id, file_offset, line_length, level,
    {corr} AS corr, {question} AS question, {answer} AS answer, {response_ms} AS response_ms,
    {error} AS error, {satisfaction} AS rating, {user} AS user_, {subject} AS subject,
    {tokens} AS tokens, {model} AS model, {answer_length} AS answer_length
FROM events
WHERE date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND ({corr}) IS NOT NULL
ORDER BY corr
