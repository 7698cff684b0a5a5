-- the recommendations of one snapshot, the most time saved first
SELECT rec_id, query_id, type, target, ddl, rationale, confidence, risk, evidence,
       before_cost, after_cost, improvement_pct, saved_ms
FROM pg_recommendations
WHERE snapshot_id = ?
ORDER BY saved_ms DESC, confidence DESC, rec_id
