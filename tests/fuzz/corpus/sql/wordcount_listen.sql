-- sluice as the server: many producers connect to port 9995 and send lines,
-- e.g. `cat big.txt | nc -N 127.0.0.1 9995` from several terminals at once.
SET shards = 4;

CREATE SOURCE lines WITH (connector = 'socket', host = '127.0.0.1', port = 9995, listen = true);

CREATE SINK top_words
  WITH (connector = 'console', output_mode = 'complete', trigger = '1 second', num_rows = 10)
AS SELECT lower(word) AS word, count(*) AS n
   FROM lines LATERAL VIEW explode(split(value, '\\s+')) t AS word
   WHERE length(word) > 0
   GROUP BY lower(word)
   ORDER BY n DESC, word
   LIMIT 10;
