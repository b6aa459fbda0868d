CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = 'localhost:9092', subscribe = 't', include_headers = true);
CREATE SINK o WITH (connector = 'console') AS SELECT CAST(value AS STRING) AS v, headers, size(headers) AS n, h, h.key, CAST(h.value AS STRING) AS hv FROM k LATERAL VIEW explode(headers) t AS h;
CREATE SINK p WITH (connector = 'console') AS SELECT headers, h FROM (SELECT headers, explode(headers) AS h FROM k) WHERE h.value IS NULL OR h.key = 'trace';
