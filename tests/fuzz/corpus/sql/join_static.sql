CREATE SOURCE ev (ts TIMESTAMP, s STRING, i INT, d DOUBLE) WITH (connector = 'typed')
  WATERMARK ts DELAY '10 seconds';
CREATE SOURCE ev2 (ts TIMESTAMP, s STRING, i INT, d DOUBLE) WITH (connector = 'typed');
CREATE TABLE users (name STRING, pw STRING, uid INT, gid BIGINT, gecos STRING, home STRING, shell STRING)
  WITH (connector = 'file', path = '/etc/passwd', format = 'csv', sep = ':', mode = 'PERMISSIVE');
CREATE TABLE words (value STRING) WITH (connector = 'file', path = '/etc/hostname');
CREATE SINK a WITH (connector = 'console', output_mode = 'append') AS
  SELECT e.s, u.home, w.value FROM ev e JOIN users u ON e.i = u.uid AND u.shell <> '' AND e.d < u.gid
  LEFT JOIN words w ON lower(e.s) = w.value;
CREATE SINK b WITH (connector = 'console', output_mode = 'update') AS
  SELECT window(ts, '10 seconds') AS win, shell, count(*) FROM ev LEFT OUTER JOIN users ON ev.s = users.name
  GROUP BY 1, 2;
CREATE SINK c WITH (connector = 'console') AS
  SELECT * FROM users RIGHT JOIN ev ON ev.i = users.gid UNION ALL SELECT * FROM users RIGHT JOIN ev2 ON ev2.d = users.uid;
CREATE SINK d WITH (connector = 'console') AS
  SELECT s, i FROM ev LEFT SEMI JOIN users ON ev.s = users.name UNION ALL
  SELECT s, i FROM ev2 e ANTI JOIN users u ON e.i = u.uid AND u.name LIKE 'r%';
