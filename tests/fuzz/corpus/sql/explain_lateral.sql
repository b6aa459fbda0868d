-- comment /* nested /* comment */ */
CREATE SOURCE lines WITH (connector = 'generator', words = 50, words_per_line = 4, rows = 100);
EXPLAIN CREATE SINK w WITH (connector = 'console', output_mode = 'update', trigger = 'available_now')
AS SELECT lower(word) AS word, count(*) AS n
   FROM lines LATERAL VIEW explode(split(value, '\\s+', -1)) t AS word
   WHERE length(word) > 0 AND word RLIKE '(ab|cd)+' AND word REGEXP 'x'
   GROUP BY lower(word);
EXPLAIN SELECT `my col`, size(split(value, '[,;]')) FROM (SELECT value AS `my col`, value FROM lines) AS t;
