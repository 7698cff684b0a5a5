-- Macros the questions share, created once per connection when the Lake opens.
--
-- mad_score: how far a value lies above its group's median, in robust units: the modified
-- z-score 0.6745 * (x - median) / MAD (Iglewicz and Hoaglin), or, when MAD is 0 (more than
-- half the values equal), (x - median) / (1.253314 * mean absolute deviation); NULL when
-- every value equals the median.
CREATE OR REPLACE MACRO mad_score(x, med, mad_x, mean_ad) AS
    CASE
        WHEN mad_x > 0 THEN 0.6745 * (x - med) / mad_x
        ELSE (x - med) / nullif(1.253314 * mean_ad, 0)
    END;

-- attr: one field of a record's JSON attributes as text (NULL when attrs is not JSON).
CREATE OR REPLACE MACRO attr(attrs, path) AS
    CASE WHEN json_valid(attrs) THEN json_extract_string(attrs, path) END;
