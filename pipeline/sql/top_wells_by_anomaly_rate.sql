-- Wells with the highest share of flagged readings, from the gold hourly aggregates.
SELECT
  well_id,
  sum(readings) AS readings,
  sum(anomalies) AS anomalies,
  round(CAST(sum(anomalies) AS double) / sum(readings), 4) AS anomaly_rate
FROM gold_well_hourly
GROUP BY well_id
ORDER BY anomaly_rate DESC, well_id
LIMIT 10
