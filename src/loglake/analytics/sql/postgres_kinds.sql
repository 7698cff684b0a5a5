-- Records of each PostgreSQL kind (attrs.kind) among the filtered events.
SELECT attr(attrs, '$.kind') AS kind, count(*) AS count
FROM events
{where}
GROUP BY 1
ORDER BY count DESC, kind
