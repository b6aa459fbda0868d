CREATE SOURCE sales (store INT, amount DOUBLE, ts TIMESTAMP, s STRING) WITH (connector = 'typed')
  WATERMARK ts DELAY INTERVAL '10' MINUTE;
CREATE SINK a WITH (connector = 'console', output_mode = 'append') AS
  SELECT window(ts, '15 minutes') AS w, store, sum(amount), count(*), window.end
  FROM sales WHERE ts > TIMESTAMP '2024-01-01 00:00:00' - INTERVAL '1 day'
  GROUP BY window(ts, '15 minutes'), store HAVING count(*) > 1;
CREATE SINK u WITH (connector = 'console', output_mode = 'update') AS
  SELECT window(ts, '10 minutes', '5 minutes', '1 minute'), max(amount) FROM sales
  GROUP BY window(ts, '10 minutes', '5 minutes', '1 minute');
CREATE SINK c WITH (connector = 'console', output_mode = 'complete') AS
  SELECT w.start, w.end, n FROM (SELECT window(to_timestamp(s, 'dd/MM/yyyy HH:mm'), '1 hour') AS w,
  count(*) AS n FROM sales GROUP BY 1);
CREATE SINK s WITH (connector = 'console', output_mode = 'append') AS
  SELECT session_window(ts, CASE WHEN store > 1 THEN INTERVAL '5' MINUTE ELSE INTERVAL '1' MINUTE END) AS sw,
         store, count(*), approx_count_distinct(s)
  FROM sales GROUP BY store, session_window(ts, CASE WHEN store > 1 THEN INTERVAL '5' MINUTE ELSE INTERVAL '1' MINUTE END);
