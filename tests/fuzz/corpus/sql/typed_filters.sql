SET shards = 3;
SET max_line_length = 4096;
CREATE SOURCE nums (i INT, l BIGINT, d DOUBLE, s STRING, b BOOLEAN, ts TIMESTAMP)
  WITH (connector = 'typed', path = 'x');
CREATE SINK o WITH (connector = 'console', truncate = false, num_rows = 3) AS
  SELECT i + 1 AS a, l * 2, d / 3, -i, i % 0, s || 'x', upper(s) u, lower(s), length(s),
         substr(s, -2, 1), trim(s), concat(s, 1, true), CAST(s AS INT), CAST(d AS BIGINT),
         CAST(ts AS STRING), CAST(s AS TIMESTAMP), coalesce(s, 'none'), if(b, i, l),
         CASE WHEN i > 0 THEN 'p' WHEN i < 0 THEN 'n' ELSE 'z' END,
         CASE s WHEN 'a' THEN 1 ELSE 2 END
  FROM nums
  WHERE NOT (i BETWEEN 1 AND 9) AND s NOT LIKE 'a\_%' AND s RLIKE '^[a-z]+$' OR i IN (1, 2, 3)
        AND s IS NOT NULL AND d <> 1.5e3 AND l >= 12L AND ts IS NULL;
