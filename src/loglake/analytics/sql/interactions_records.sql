-- The records of the days a derivation reads, their roles read through the interaction
-- profile: read once into a table that each day's window query then reads (a record is in
-- three windows). {days}: `date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)` per run of
-- days, OR'ed. Bound: the select list's values (corr first), then the runs' first and last.
SELECT
    date, epoch_us(ts) AS ts_us, host, file_id, file_offset, line_length, level,
    {corr} AS corr, {question} AS question, {answer} AS answer,
    {response_ms} AS response_ms, {error} AS error, {satisfaction} AS rating,
    {user} AS user_, {subject} AS subject, {tokens} AS tokens, {model} AS model,
    {answer_length} AS answer_length
FROM events
WHERE {days}
