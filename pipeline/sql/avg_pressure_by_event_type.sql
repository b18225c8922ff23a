-- Average pressures by event type (3W class) and phase: normal, transient (label 100 + class), steady.
SELECT
  event_class,
  CASE WHEN label = 0 THEN 'normal' WHEN label > 100 THEN 'transient' ELSE 'steady' END AS phase,
  count(*) AS readings,
  avg(p_pdg) AS avg_p_pdg,
  avg(p_tpt) AS avg_p_tpt,
  avg(p_mon_ckp) AS avg_p_mon_ckp
FROM curated_readings
WHERE label IS NOT NULL
GROUP BY 1, 2
ORDER BY event_class, phase
