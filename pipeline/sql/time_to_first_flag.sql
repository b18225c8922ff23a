-- Detection delay per event class: seconds from the first event-labelled reading of an instance
-- (a 3W file) to the first flagged reading at or after it; undetected instances count as such.
WITH instances AS (
  SELECT event_class, source_file, min(CASE WHEN label > 0 THEN event_time END) AS event_start
  FROM curated_readings
  WHERE event_class > 0
  GROUP BY event_class, source_file
), delays AS (
  SELECT
    i.event_class,
    i.source_file,
    date_diff('second', i.event_start, min(c.event_time)) AS seconds_to_flag
  FROM instances AS i
  LEFT JOIN curated_readings AS c
    ON c.source_file = i.source_file AND c.anomaly_flag AND c.event_time >= i.event_start
  WHERE i.event_start IS NOT NULL
  GROUP BY i.event_class, i.source_file, i.event_start
)
SELECT
  event_class,
  count(*) AS instances,
  count(seconds_to_flag) AS detected,
  avg(seconds_to_flag) AS avg_seconds_to_flag,
  min(seconds_to_flag) AS min_seconds_to_flag,
  max(seconds_to_flag) AS max_seconds_to_flag
FROM delays
GROUP BY event_class
ORDER BY event_class
