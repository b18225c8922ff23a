-- Anomalies per hour: flagged readings and their share of all readings, per hour of event time.
SELECT
  date_trunc('hour', event_time) AS hour_start,
  count(*) AS readings,
  count_if(anomaly_flag) AS anomalies,
  round(CAST(count_if(anomaly_flag) AS double) / count(*), 4) AS anomaly_rate
FROM curated_readings
GROUP BY date_trunc('hour', event_time)
ORDER BY hour_start
