CREATE SOURCE k (headers ARRAY<STRUCT<key: STRING, value: BINARY>>) WITH (connector = 'kafka', bootstrap_servers = 'localhost:9092', subscribe = 't', include_headers = true);
CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS SELECT h.key, count(*) AS n, max(h.value) AS m FROM (SELECT explode(headers) AS h FROM k) GROUP BY h.key ORDER BY n;
CREATE SINK p WITH (connector = 'console') AS SELECT coalesce(h, h) AS c, if(h.key = '', h, NULL) AS d FROM (SELECT explode(headers) AS h FROM k);
