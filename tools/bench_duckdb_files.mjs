// tools/bench_duckdb_files.mjs — the DuckDB side of `tools/bench files`.
//
//   node bench_duckdb_files.mjs DATA PATH RUNS
//
//   node bench_duckdb_files.mjs to_parquet SALES_CSV OUT.parquet [COPIES]
//   node bench_duckdb_files.mjs uncompressed FILE.parquet
//
// DATA is lines (count(*) of the text), text, sales, events_csv, events_json
// or sales_parquet (read_parquet); PATH a file or a glob
// ('dir/*.csv'). With one thread (SET threads = 1), RUNS times, reads PATH
// straight from the file(s) with read_csv / read_json (newline-delimited),
// the schema given (no sniffing), and computes the aggregates that
// tools/bench_files.sh's sluice query computes, so that the answers can be
// compared. The whole query is timed (reading, parsing, aggregating), as
// sluice's stat elapsed_s times its whole batch; before it, one untimed
// `SELECT * FROM reader LIMIT 1` sets the reader up. Prints JSON lines:
// {"duckdb": VERSION, "threads": 1}, then per run {"run": i, "seconds": s,
// "cpu_s": process CPU seconds (user + system) during the query,
// "rows": n, "answer": [the aggregates, as strings]}.
import { DuckDBInstance } from '@duckdb/node-api';

const [data, pathArg, runsArg, copiesArg] = process.argv.slice(2);
const salesCols = `{'store': 'INTEGER', 'counter': 'INTEGER', 'amount': 'DOUBLE', 'ts': 'TIMESTAMP'}`;
if (data === 'to_parquet' || data === 'uncompressed') {
	// set-up, untimed: the sales CSV as Parquet (snappy, DuckDB's default
	// row groups), or a Parquet file's uncompressed page bytes
	const inst = await DuckDBInstance.create(':memory:');
	const c = await inst.connect();
	const lit = (x) => "'" + x.replaceAll("'", "''") + "'";
	if (data === 'to_parquet') {
		// the rows COPIES times over
		await c.run(`COPY (SELECT s.* FROM range(${Number(copiesArg ?? 1)}) r(k),
		  read_csv(${lit(pathArg)}, header = false, auto_detect = false, columns = ${salesCols}) s)
		  TO ${lit(runsArg)} (FORMAT parquet, COMPRESSION snappy)`);
	} else {
		const r = (await c.runAndReadAll(`SELECT sum(total_uncompressed_size) FROM parquet_metadata(${lit(pathArg)})`)).getRows();
		console.log(String(r[0][0]));
	}
	process.exit(0);
}
if (!data || !pathArg) {
	console.error('usage: node bench_duckdb_files.mjs lines|text|sales|events_csv|events_json|sales_parquet PATH [RUNS]');
	process.exit(2);
}
const runs = Number(runsArg ?? 3);
const path = pathArg.replaceAll("'", "''");

const eventCols = `{'user_id': 'VARCHAR', 'page_id': 'VARCHAR', 'ad_id': 'VARCHAR', 'ad_type': 'VARCHAR',
  'event_type': 'VARCHAR', 'event_time': 'TIMESTAMP', 'ip_address': 'VARCHAR'}`;
const eventAggs = `count(*), sum(length(user_id) + length(page_id) + length(ad_id) + length(ad_type)
  + length(event_type) + length(ip_address)), epoch_us(max(event_time))`;
// one VARCHAR column, one row per line: a delimiter and quote that never
// occur in the generated text (lowercase words and spaces)
const textReader = `read_csv('${path}', columns = {'line': 'VARCHAR'}, header = false,
  auto_detect = false, delim = '\t', quote = '', escape = '', new_line = '\\n')`;
const queries = { // [reader, aggregates]
	lines: [textReader, 'count(*)'],
	text: [textReader, 'count(*), sum(length(line))'],
	sales: [`read_csv('${path}', header = false, auto_detect = false,
	  columns = {'store': 'INTEGER', 'counter': 'INTEGER', 'amount': 'DOUBLE', 'ts': 'TIMESTAMP'})`,
	'count(*), sum(store), sum(counter), sum(amount), epoch_us(max(ts))'],
	events_csv: [`read_csv('${path}', header = false, auto_detect = false, columns = ${eventCols})`, eventAggs],
	events_json: [`read_json('${path}', format = 'newline_delimited', columns = ${eventCols})`, eventAggs],
	sales_parquet: [`read_parquet('${path}')`,
	'count(*), sum(store), sum(counter), sum(amount), epoch_us(max(ts))'],
};
if (!queries[data]) {
	console.error(`bench_duckdb_files: unknown data '${data}'`);
	process.exit(2);
}
const [reader, aggs] = queries[data];
const sql = `SELECT ${aggs} FROM ${reader}`;

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
await con.run('SET threads = 1');
const one = async (q) => (await con.runAndReadAll(q)).getRows()[0];
console.log(JSON.stringify({
	duckdb: String((await one('SELECT version()'))[0]),
	threads: Number((await one("SELECT current_setting('threads')"))[0]),
}));
// untimed: the reader's first use in this process (sluice's set-up is
// outside its elapsed_s too)
await con.run(`SELECT * FROM ${reader} LIMIT 1`);

for (let i = 0; i < runs; i++) {
	const c0 = process.cpuUsage();
	const t0 = process.hrtime.bigint();
	const row = await one(sql);
	const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
	const c = process.cpuUsage(c0);
	console.log(JSON.stringify({
		run: i, seconds, cpu_s: (c.user + c.system) / 1e6,
		rows: Number(row[0]), answer: row.map(String),
	}));
}
