-- The records of a derivation window, their roles read through the interaction profile:
-- only those of correlation ids (or users) that asked a question in the window.
WITH picked AS (
    SELECT
        epoch_us(ts) AS ts_us, host, file_id, file_offset, line_length, level,
        {corr} AS corr, {question} AS question, {answer} AS answer,
        {response_ms} AS response_ms, {error} AS error, {satisfaction} AS rating,
        {user} AS user_, {subject} AS subject, {tokens} AS tokens, {model} AS model,
        {answer_length} AS answer_length
    FROM events
    WHERE date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
), asking AS (
    SELECT DISTINCT corr FROM picked WHERE question IS NOT NULL AND corr IS NOT NULL
)
SELECT * FROM picked WHERE corr IN (SELECT corr FROM asking)
ORDER BY corr
