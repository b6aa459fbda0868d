CREATE SOURCE ev (k STRING) WITH (connector = 'typed');
CREATE TABLE t (k STRING) WITH (connector = 'file', path = '/etc/hostname');
CREATE SINK o WITH (connector = 'console') AS
  SELECT * FROM ev JOIN t USING (k, k, k, k, k, k, k, k, k, k, k, k, k, k, k, k);
