-- The seed's word count (DESIGN.md section 1). In another terminal: nc -lk 9994
CREATE SOURCE lines (value STRING)
  WITH (connector = 'socket', host = 'localhost', port = 9994);

CREATE SINK word_counts
  WITH (connector = 'console', output_mode = 'complete', trigger = '1 second')
AS SELECT word, count(*) AS count
   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
   GROUP BY word;
