CREATE SOURCE lines (value STRING) WITH (connector = 'socket', host = "127.0.0.1", port = 1, listen = true);
CREATE SINK e WITH (connector = 'console') AS
  SELECT 'it''s' 'joined', "dq\"x", '\n\t\r\b\0\Z\\\'\u00e9\u20AC\%\_', `a``b`, 12L, 1.5, .5, 1., 1e3, 2D,
         9223372036854775808, -2147483648, 99999999999999999999999
  FROM lines WHERE value LIKE '%\%%' AND value LIKE 'a_b%';
