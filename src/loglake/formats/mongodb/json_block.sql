-- One block of mongod JSON log lines -> events and slow-query columns.
-- Input view block_lines(file_offset, line_length, line). status: 1 = read here,
-- 2 = left to the per-line parser (unreadable here). The attributes of connection and
-- authentication messages go to Python as JSON text, for the per-line parser's builders.
-- Two passes: every line's header, then the attributes of slow queries only (one
-- json_transform with a wide spec over every line is several times slower). json_valid()
-- keeps invalid lines away from TRY(), whose error path is slow.
WITH head AS (
    SELECT
        file_offset,
        line_length,
        line,
        CASE WHEN json_valid(line) THEN TRY(json_transform(line, '{
            "t": {"$date": "VARCHAR"}, "s": "VARCHAR", "c": "VARCHAR", "id": "BIGINT",
            "ctx": "VARCHAR", "msg": "VARCHAR", "truncated": "JSON"
        }')) END AS j
    FROM block_lines
),
typed AS (
    SELECT *, TRY_CAST(j.t."$date" AS TIMESTAMPTZ) AS ts FROM head
),
parsed AS (
    SELECT
        file_offset,
        line_length,
        j,
        ts,
        CASE WHEN j.id IN (22943, 22944, 51800, 20250, 20249, 5286306, 5286307)
             AND ts IS NOT NULL
             THEN coalesce(json_extract(line, '$.attr')::VARCHAR, 'null') END AS attr_json,
        CASE WHEN j.id = 51803 AND ts IS NOT NULL THEN TRY(json_transform(line, '{
            "attr": {
                "type": "VARCHAR", "ns": "VARCHAR", "command": "JSON",
                "originatingCommand": "JSON", "planSummary": "VARCHAR",
                "durationMillis": "DOUBLE", "workingMillis": "DOUBLE",
                "docsExamined": "BIGINT", "keysExamined": "BIGINT", "nreturned": "BIGINT",
                "nMatched": "BIGINT", "nModified": "BIGINT", "ninserted": "BIGINT",
                "ndeleted": "BIGINT", "keysInserted": "BIGINT", "keysDeleted": "BIGINT",
                "reslen": "BIGINT", "numYields": "BIGINT", "writeConflicts": "BIGINT",
                "cpuNanos": "BIGINT", "planningTimeMicros": "BIGINT", "errCode": "BIGINT",
                "queryHash": "VARCHAR", "planCacheKey": "VARCHAR", "queryShapeHash": "VARCHAR",
                "planCacheShapeHash": "VARCHAR", "appName": "VARCHAR", "errName": "VARCHAR",
                "hasSortStage": "BOOLEAN", "usedDisk": "BOOLEAN", "fromMultiPlanner": "BOOLEAN",
                "replanned": "BOOLEAN", "remote": "VARCHAR",
                "storage": {"data": {"bytesRead": "BIGINT", "timeReadingMicros": "BIGINT"}}
            }
        }')) END AS k
    FROM typed
)
SELECT
    file_offset,
    line_length,
    CASE
        WHEN ts IS NULL THEN 2
        ELSE 1
    END::TINYINT AS status,
    ts,
    CAST(floor(epoch_us(ts) / 86400000000.0) AS BIGINT) AS day,
    j.s AS severity,
    j.c AS component,
    j.id AS msg_id,
    j.ctx AS context,
    attr_json,
    left(j.msg, 4096) AS message,
    NULL::VARCHAR AS "user",
    NULL::VARCHAR AS attrs,
    -- formats/levels.py: mongodb_level
    CASE left(j.s, 1)
        WHEN 'F' THEN 'FATAL' WHEN 'E' THEN 'ERROR' WHEN 'W' THEN 'WARN'
        WHEN 'I' THEN 'INFO' WHEN 'D' THEN 'DEBUG'
    END AS level,
    NULL::VARCHAR AS code,
    NULL::VARCHAR AS request_id,
    NULL::VARCHAR AS template_id,
    NULL::VARCHAR AS http_method,
    NULL::VARCHAR AS http_path,
    NULL::INTEGER AS http_status,
    NULL::BIGINT AS http_bytes,
    'mongodb' AS engine,
    k.attr.ns AS ns,
    k.attr.type AS op_type_raw,
    k.attr.command::VARCHAR AS command,
    k.attr.originatingCommand::VARCHAR AS originating,
    CASE
        WHEN k.attr.remote = '' THEN NULL
        WHEN regexp_full_match(k.attr.remote, '(.*):([0-9]+)')
            THEN regexp_replace(regexp_extract(k.attr.remote, '^(.*):[0-9]+$', 1),
                                '^\[(.*)\]$', '\1')
        ELSE k.attr.remote
    END AS client_ip,
    CASE WHEN regexp_full_match(k.attr.remote, '(.*):([0-9]+)')
         THEN TRY_CAST(regexp_extract(k.attr.remote, ':([0-9]+)$', 1) AS INTEGER) END
        AS client_port,
    k.attr.appName AS app_name,
    CASE WHEN k IS NOT NULL AND regexp_full_match(j.ctx, 'conn[0-9]{1,18}')
         THEN CAST(substr(j.ctx, 5) AS BIGINT) END AS connection_id,
    k.attr.durationMillis AS duration_ms,
    k.attr.docsExamined AS docs_examined,
    k.attr.keysExamined AS keys_examined,
    k.attr.nreturned AS nreturned,
    k.attr.nMatched AS nmatched,
    k.attr.nModified AS nmodified,
    k.attr.ninserted AS ninserted,
    k.attr.ndeleted AS ndeleted,
    k.attr.keysInserted AS keys_inserted,
    k.attr.keysDeleted AS keys_deleted,
    k.attr.reslen AS reslen,
    k.attr.numYields AS num_yields,
    k.attr.writeConflicts AS write_conflicts,
    k.attr.cpuNanos AS cpu_nanos,
    k.attr.workingMillis AS working_millis,
    k.attr.planningTimeMicros AS planning_micros,
    k.attr.storage.data.bytesRead AS bytes_read,
    k.attr.storage.data.timeReadingMicros AS time_reading_micros,
    k.attr.planSummary AS plan_summary,
    CASE WHEN k.attr.planSummary <> ''
         THEN rtrim(split_part(k.attr.planSummary, ' ', 1), ',') END AS plan,
    coalesce(rtrim(split_part(k.attr.planSummary, ' ', 1), ',') = 'COLLSCAN', false)
        AS full_scan,
    k.attr.hasSortStage AS has_sort_stage,
    k.attr.usedDisk AS used_disk,
    k.attr.fromMultiPlanner AS from_multi_planner,
    k.attr.replanned AS replanned,
    k.attr.queryHash AS query_hash,
    k.attr.planCacheKey AS plan_cache_key,
    k.attr.queryShapeHash AS query_shape_hash,
    k.attr.planCacheShapeHash AS plan_cache_shape_hash,
    TRY_CAST(k.attr.errCode AS INTEGER) AS error_code,
    k.attr.errName AS error_name,
    j.truncated IS NOT NULL AS truncated
FROM parsed
