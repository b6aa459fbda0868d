CREATE SOURCE lines WITH (connector = 'socket', host = 'h', port = 1);
CREATE SINK x WITH (connector='console') AS SELECT split(value, 'a{2,}(') FROM lines;
CREATE SINK y WITH (connector='console') AS SELECT value FROM lines WHERE value RLIKE '\\d{3}-[[:alpha:]]+' OR value RLIKE '(?i)abc';
