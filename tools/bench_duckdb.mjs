// tools/bench_duckdb.mjs — the DuckDB side of `tools/bench wordcount`.
//
//   node bench_duckdb.mjs FILE RUNS
//
// Loads FILE as one VARCHAR column, one row per line (untimed), then RUNS
// times counts its words the way the seed query does — unnest(string_split(
// line, ' ')) grouped by word — into a temporary table, with one thread
// (SET threads = 1). Only that query is timed. Prints one JSON object per
// line: {"duckdb": VERSION, "threads": 1} first, then per run {"run": i, "seconds": s,
// "distinct": n, "total": t}. tools/bench copies this file into
// tools/.bench/ beside the node_modules that npm installed there.
import { DuckDBInstance } from '@duckdb/node-api';

const [file, runsArg] = process.argv.slice(2);
if (!file) {
	console.error('usage: node bench_duckdb.mjs FILE [RUNS]');
	process.exit(2);
}
const runs = Number(runsArg ?? 3);

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
await con.run('SET threads = 1');
const one = async (sql) => (await con.runAndReadAll(sql)).getRows()[0];

console.log(JSON.stringify({
	duckdb: String((await one('SELECT version()'))[0]),
	threads: Number((await one("SELECT current_setting('threads')"))[0]),
}));

// One column, one row per line: a delimiter and quote that never occur in
// the generated text (lowercase words and spaces), no header, no sniffing.
const path = file.replaceAll("'", "''");
await con.run(`CREATE TABLE lines AS
  SELECT line FROM read_csv('${path}', columns = {'line': 'VARCHAR'}, header = false,
                            auto_detect = false, delim = '\t', quote = '', escape = '',
                            new_line = '\\n')`);

for (let i = 0; i < runs; i++) {
	await con.run('DROP TABLE IF EXISTS counts');
	const t0 = process.hrtime.bigint();
	await con.run(`CREATE TEMP TABLE counts AS
	  SELECT word, count(*) AS count
	  FROM (SELECT unnest(string_split(line, ' ')) AS word FROM lines)
	  GROUP BY word`);
	const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
	const [distinct, total] = await one('SELECT count(*), sum(count) FROM counts');
	console.log(JSON.stringify({ run: i, seconds, distinct: Number(distinct), total: Number(total) }));
}
