// tools/bench_duckdb_sales.mjs — the DuckDB side of `tools/bench retail`.
//
//   node bench_duckdb_sales.mjs FILE RUNS SIZE_S [SLIDE_S]
//
// Loads FILE (CSV store,counter,amount,ts from `sluice gen-sales`) into a
// table (untimed), then RUNS times computes, with one thread, the same
// totals as the sluice query: sum(amount) and count(*) per (window, store,
// counter), windows of SIZE_S seconds (tumbling), or SIZE_S every SLIDE_S
// (sliding: every window that holds the row, as Spark's). Only the query is
// timed. It is a batch over all rows: no watermark, nothing late is
// dropped, so it groups every row sluice's complete mode would. Prints JSON
// lines: {"duckdb": VERSION, "threads": 1}, then {"run", "seconds",
// "groups", "rows"} per run.
import { DuckDBInstance } from '@duckdb/node-api';

const [file, runsArg, sizeArg, slideArg] = process.argv.slice(2);
if (!file || !sizeArg) {
	console.error('usage: node bench_duckdb_sales.mjs FILE RUNS SIZE_S [SLIDE_S]');
	process.exit(2);
}
const runs = Number(runsArg ?? 3);
const size = Number(sizeArg);
const slide = Number(slideArg ?? sizeArg);

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
await con.run('SET threads = 1');
const one = async (sql) => (await con.runAndReadAll(sql)).getRows()[0];
console.log(JSON.stringify({
	duckdb: String((await one('SELECT version()'))[0]),
	threads: Number((await one("SELECT current_setting('threads')"))[0]),
}));

const path = file.replaceAll("'", "''");
await con.run(`CREATE TABLE sales AS
  SELECT * FROM read_csv('${path}', header = false, auto_detect = false,
    columns = {'store': 'INTEGER', 'counter': 'INTEGER', 'amount': 'DOUBLE', 'ts': 'TIMESTAMP'})`);

// window start(s) in microseconds: the last start <= ts, then every slide back
// while the window still holds ts (Spark's TimeWindowing)
const n = Math.ceil(size / slide);
const windows = size === slide
	? `SELECT (epoch_us(ts) - ((epoch_us(ts) % ${size * 1e6}) + ${size * 1e6}) % ${size * 1e6}) AS ws, store, counter, amount FROM sales`
	: `SELECT ws, store, counter, amount FROM (
	     SELECT epoch_us(ts) AS t, store, counter, amount,
	            unnest(generate_series(0, ${n - 1})) AS i FROM sales),
	     LATERAL (SELECT t - ((t % ${slide * 1e6}) + ${slide * 1e6}) % ${slide * 1e6} - i * ${slide * 1e6} AS ws)
	   WHERE t >= ws AND t < ws + ${size * 1e6}`;

for (let i = 0; i < runs; i++) {
	await con.run('DROP TABLE IF EXISTS totals');
	const t0 = process.hrtime.bigint();
	await con.run(`CREATE TEMP TABLE totals AS
	  SELECT ws, store, counter, sum(amount) AS total, count(*) AS n
	  FROM (${windows}) GROUP BY ws, store, counter`);
	const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
	const [groups, rows] = await one('SELECT count(*), sum(n) FROM totals');
	console.log(JSON.stringify({ run: i, seconds, groups: Number(groups), rows: Number(rows) }));
}
