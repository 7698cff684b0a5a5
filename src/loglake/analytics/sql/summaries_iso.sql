-- A timestamp as Python's isoformat() writes it in UTC (the summaries' established format:
-- microseconds only when there are some, and +00:00), so the files read as they always did.
CREATE OR REPLACE TEMP MACRO iso_utc(x) AS CASE
    WHEN microsecond(x) % 1000000 = 0 THEN strftime(x, '%Y-%m-%dT%H:%M:%S+00:00')
    ELSE strftime(x, '%Y-%m-%dT%H:%M:%S.%f+00:00')
END
