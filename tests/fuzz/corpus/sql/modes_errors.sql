SET ingest_cores = 0-1; SET agg_cores = '2,4-5'; SET ring_slots = 1024;
CREATE SOURCE lines (value STRING) WITH (connector = 'socket', host = 'localhost', port = 9994);
CREATE SINK a WITH (connector = 'append_only', output_mode = 'complete') AS
  SELECT value, count(*) FROM lines GROUP BY value;
