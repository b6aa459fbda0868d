CREATE SOURCE nums (i INT, l BIGINT, d DOUBLE, s STRING) WITH (connector = 'typed');
CREATE SINK agg WITH (connector = 'console', output_mode = 'complete', trigger = '500 milliseconds') AS
  SELECT s, i % 3 AS m, count(*), count(s), sum(i), sum(d), avg(l), mean(d), min(s), max(i)
  FROM nums
  GROUP BY s, 2
  HAVING count(*) > 1 AND sum(i) IS NOT NULL
  ORDER BY 3 DESC NULLS FIRST, s ASC
  LIMIT 10;
EXPLAIN SELECT count(*) FROM nums;
