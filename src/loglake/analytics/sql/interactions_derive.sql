-- The interactions of a derivation window, every question's records put together in one
-- pass (the rules are in interactions_build.py). Per correlation id, records in the order
-- (ts, phase, file_id, file_offset) = pos; phase 0 arrival, 1 other, 2 completion, 3 rating.
-- A completion closes the latest open arrival of its question text: per text, arrivals
-- push and completions pop a stack whose depth is the running sum held at 0 from below
-- (S - least(0, min S)); an arrival at depth d is closed by the next completion popping d.
-- Reads the `records` table (interactions_records.sql). Bound: the window's first and last
-- day.
WITH picked AS (
    SELECT * FROM records WHERE date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
), asking AS (
    SELECT DISTINCT corr FROM picked WHERE question IS NOT NULL AND corr IS NOT NULL
), ordered AS (
    SELECT *, row_number() OVER (
        PARTITION BY corr ORDER BY ts_us, phase, file_id, file_offset
    ) AS pos
    FROM (
        SELECT *,
            CASE WHEN rating IS NOT NULL THEN 3
                 WHEN question IS NULL THEN 1
                 WHEN answer IS NOT NULL OR response_ms IS NOT NULL THEN 2
                 ELSE 0 END AS phase
        FROM picked
        WHERE corr IN (SELECT corr FROM asking)
    )
), stacked AS (
    SELECT corr, question, pos, phase,
        sum(CASE WHEN phase = 0 THEN 1 ELSE -1 END) OVER upto AS s
    FROM ordered
    WHERE phase IN (0, 2)
    WINDOW upto AS (PARTITION BY corr, question ORDER BY pos ROWS UNBOUNDED PRECEDING)
), depth AS (
    SELECT *, s - least(0, min(s) OVER upto) AS x
    FROM stacked
    WINDOW upto AS (PARTITION BY corr, question ORDER BY pos ROWS UNBOUNDED PRECEDING)
), leveled AS (
    SELECT corr, question, pos, phase,
        CASE WHEN phase = 0 THEN x
             ELSE coalesce(lag(x) OVER (PARTITION BY corr, question ORDER BY pos), 0) END AS lvl
    FROM depth
), matched AS (
    -- a completion at level 0 found nothing open: an interaction of its own
    SELECT corr, pos, phase,
        CASE WHEN phase = 2 AND lvl > 0
             THEN lag(pos) OVER (PARTITION BY corr, question, lvl ORDER BY pos) END AS opened_at
    FROM leveled
), bounds AS (
    SELECT a.corr, a.pos AS start_pos, c.pos AS close_pos
    FROM matched AS a
    LEFT JOIN matched AS c ON c.corr = a.corr AND c.opened_at = a.pos
    WHERE a.phase = 0
), tagged AS (
    SELECT o.*, m.opened_at,
        coalesce(o.phase = 0 OR (o.phase = 2 AND m.opened_at IS NULL), false) AS is_start
    FROM ordered AS o
    LEFT JOIN matched AS m ON m.corr = o.corr AND m.pos = o.pos
), owned AS (
    SELECT *,
        max(CASE WHEN phase = 0 THEN pos END) OVER by_corr AS latest,
        max(CASE WHEN is_start THEN pos END) OVER by_corr AS any_start,
        max(CASE WHEN is_start THEN pos END) OVER (
            PARTITION BY corr, question ORDER BY pos ROWS UNBOUNDED PRECEDING
        ) AS same_start
    FROM tagged
    WINDOW by_corr AS (PARTITION BY corr ORDER BY pos ROWS UNBOUNDED PRECEDING)
), assigned AS (
    -- other records join the question that arrived last while it is still open; a rating
    -- the latest question of its text (any, when it names none)
    SELECT w.*,
        CASE w.phase
            WHEN 0 THEN w.pos
            WHEN 2 THEN coalesce(w.opened_at, w.pos)
            WHEN 3 THEN CASE WHEN w.question IS NULL THEN w.any_start ELSE w.same_start END
            ELSE CASE WHEN b.close_pos IS NULL OR b.close_pos > w.pos THEN w.latest END
        END AS iid
    FROM owned AS w
    LEFT JOIN bounds AS b ON w.phase = 1 AND b.corr = w.corr AND b.start_pos = w.latest
), failing AS (
    SELECT *, level IN ('ERROR', 'FATAL') AS bad_level FROM assigned WHERE iid IS NOT NULL
), grouped AS (
    SELECT
    arg_min(ts_us, pos) AS ts,
    arg_min_null(host, pos) AS host,
    arg_min(file_id, pos) AS file_id,
    arg_min(file_offset, pos) AS file_offset,
    arg_min_null(line_length, pos) AS line_length,
    corr AS request_id,
    arg_min(user_, pos) FILTER (WHERE user_ <> '') AS "user",
    arg_min(subject, pos) FILTER (WHERE subject <> '') AS subject,
    coalesce(arg_min_null(question, pos), '') AS question,
    first(answer) FILTER (WHERE phase = 2) AS full_answer,
    first(answer_length) FILTER (WHERE phase = 2) AS logged_length,
    first(response_ms) FILTER (WHERE phase = 2) AS response_ms,
    count(*) FILTER (WHERE phase = 2) > 0 AS completed,
    arg_min_null(error, pos) FILTER (WHERE bad_level) AS level_error,
    arg_min(level, pos) FILTER (WHERE bad_level) AS bad_level_name,
    count(*) FILTER (WHERE bad_level) > 0 AS any_bad_level,
    arg_min(error, pos) FILTER (WHERE error IS NOT NULL) AS field_error,
    arg_max(rating, pos) FILTER (WHERE phase = 3) AS rating,
    first(tokens) FILTER (WHERE phase = 2) AS tokens,
    arg_min(model, pos) FILTER (WHERE model <> '') AS model,
    count(*) AS records,
    max(ts_us) AS last_ts,
    arg_max(file_id, pos) AS last_file_id,
    arg_max(file_offset, pos) AS last_offset,
    arg_max_null(line_length, pos) AS last_length,
    '[' || string_agg(
        '[' || to_json(file_id) || ',' || file_offset || ',' || line_length || ']', ','
        ORDER BY pos
    ) || ']' AS record_refs
FROM failing
GROUP BY corr, iid
), texts AS (
    -- an error logged as a JSON object is said by its message (or type)
    SELECT *,
        CASE WHEN starts_with(level_error, '{{') AND json_valid(level_error)
                  AND json_type(level_error) = 'OBJECT'
             THEN coalesce(nullif(json_extract_string(level_error, '$.message'), ''),
                           nullif(json_extract_string(level_error, '$.type'), ''), level_error)
             ELSE level_error END AS level_text,
        CASE WHEN starts_with(field_error, '{{') AND json_valid(field_error)
                  AND json_type(field_error) = 'OBJECT'
             THEN coalesce(nullif(json_extract_string(field_error, '$.message'), ''),
                           nullif(json_extract_string(field_error, '$.type'), ''), field_error)
             ELSE field_error END AS field_text,
        lower(trim(rating)) AS rated,
        TRY_CAST(trim(rating) AS DOUBLE) AS rated_number
    FROM grouped
)
-- (arg_min_null / arg_max_null: the first or last record's value even when it is NULL)
SELECT
    ts, host, file_id, file_offset, line_length,
    substr(md5(file_id || ':' || file_offset), 1, 16) AS interaction_id,
    request_id, "user", subject, question,
    nullif(substr(full_answer, 1, {answer_chars}), '') AS answer,
    CASE WHEN completed AND logged_length IS NOT NULL THEN CAST(trunc(logged_length) AS BIGINT)
         ELSE nullif(length(full_answer), 0) END AS answer_length,
    response_ms,
    CASE WHEN any_bad_level OR field_error IS NOT NULL OR NOT completed
         THEN 'failed' ELSE 'answered' END AS outcome,
    CASE WHEN any_bad_level THEN 'error_level'
         WHEN field_error IS NOT NULL THEN 'error_field'
         WHEN NOT completed THEN 'no_completion' END AS failure_reason,
    CASE WHEN any_bad_level THEN coalesce(nullif(level_text, ''), 'level ' || bad_level_name)
         WHEN field_error IS NOT NULL THEN field_text END AS error,
    CASE WHEN rated IN ({thumbs_up}) THEN 1.0
         WHEN rated IN ({thumbs_down}) THEN 0.0
         WHEN rated_number BETWEEN 1 AND 5 AND rated_number = floor(rated_number)
             THEN (rated_number - 1) / 4
         WHEN rated_number BETWEEN 0 AND 1 THEN rated_number
         WHEN rated_number BETWEEN 0 AND 10 THEN rated_number / 10 END AS satisfaction,
    rating,
    CAST(trunc(tokens) AS BIGINT) AS tokens,
    model, CAST(records AS INTEGER) AS records, last_ts, last_file_id, last_offset,
    last_length, record_refs
FROM texts
ORDER BY ts, file_id, file_offset
