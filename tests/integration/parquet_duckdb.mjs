// parquet_duckdb.mjs — DuckDB (an independent Parquet implementation) for
// the parquet integration test. Run with node; DuckDB comes from npm
// (@duckdb/node-api, installed by tools/bootstrap into tools/.duckdb/).
//
//   node parquet_duckdb.mjs sql STATEMENT...
//       run the statements, print each result row as JSON
//   node parquet_duckdb.mjs compare PARQUET JSON SCHEMA [WHERE]
//       PARQUET: files DuckDB reads itself (a glob); JSON: the JSON Lines a
//       sluice query wrote from them (timestamps 'yyyy-MM-dd HH:mm:ss.SSSSSS',
//       BINARY as base64); SCHEMA: name:TYPE,... in sluice's types. Prints
//       "rows N missing M extra K" (missing: DuckDB's rows sluice lacks;
//       extra: sluice's rows DuckDB lacks; multisets) and up to 5 of each.
//   node parquet_duckdb.mjs same A B
//       the same comparison between two sets of Parquet files (A: what DuckDB
//       wrote, B: what sluice's sink wrote), TIMESTAMP WITH TIME ZONE as UTC.
import { createRequire } from 'node:module';
import path from 'node:path';

const root = process.env.SLUICE_DUCKDB_DIR ||
	path.join(path.dirname(new URL(import.meta.url).pathname), '../../tools/.duckdb');
const require = createRequire(path.join(root, 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowsJson();
const q = (name) => '"' + name.replace(/"/g, '""') + '"';
const lit = (s) => "'" + s.replace(/'/g, "''") + "'";

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'sql') {
	for (const sql of args)
		for (const r of await rows(sql)) console.log(JSON.stringify(r));
} else if (cmd === 'compare') {
	const [pq, json, schema, where] = args;
	const duck = { BOOLEAN: 'BOOLEAN', INT: 'INTEGER', BIGINT: 'BIGINT', DOUBLE: 'DOUBLE',
		STRING: 'VARCHAR', BINARY: 'VARCHAR', TIMESTAMP: 'TIMESTAMP' };
	const cols = schema.split(',').map((c) => {
		const i = c.lastIndexOf(':');
		return { name: c.slice(0, i), type: c.slice(i + 1).toUpperCase() };
	});
	// what sluice holds for each column, computed by DuckDB from the file
	const want = cols.map((c) => {
		const ref = c.name.split('.').map(q).join('.');
		if (c.type === 'BINARY')
			return `base64(${ref}::BLOB) AS ${q(c.name)}`;
		if (c.type === 'TIMESTAMP') // a DATE is midnight UTC; nanoseconds floor to micros
			return `(CASE WHEN typeof(${ref}) = 'TIMESTAMP_NS' THEN make_timestamp((epoch_ns(${ref}::TIMESTAMP_NS) - (epoch_ns(${ref}::TIMESTAMP_NS) % 1000 + 1000) % 1000) // 1000) ELSE ${ref}::TIMESTAMP END) AS ${q(c.name)}`;
		return `${ref}::${duck[c.type]} AS ${q(c.name)}`;
	}).join(', ');
	const types = '{' + cols.map((c) => `${lit(c.name)}: ${lit(duck[c.type])}`).join(', ') + '}';
	await con.run(`CREATE TABLE a AS SELECT ${want} FROM read_parquet(${lit(pq)})` +
		(where ? ` WHERE ${where}` : ''));
	await con.run(`CREATE TABLE b AS SELECT * FROM read_json(${lit(json)}, format = 'newline_delimited', ` +
		`columns = ${types}, timestampformat = '%Y-%m-%d %H:%M:%S.%f')`);
	const n = (await rows('SELECT count(*) FROM a'))[0][0];
	const missing = await rows('SELECT * FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b) LIMIT 5');
	const extra = await rows('SELECT * FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a) LIMIT 5');
	const nm = (await rows('SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b)'))[0][0];
	const ne = (await rows('SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a)'))[0][0];
	console.log(`rows ${n} missing ${nm} extra ${ne}`);
	for (const r of missing) console.log('missing ' + JSON.stringify(r));
	for (const r of extra) console.log('extra ' + JSON.stringify(r));
} else if (cmd === 'same') {
	// same A B: the rows of the Parquet files A and B (globs) as multisets,
	// TIMESTAMP WITH TIME ZONE read as UTC TIMESTAMP (sluice writes
	// isAdjustedToUTC = true)
	const [a, b] = args;
	await con.run("SET TimeZone = 'UTC'");
	const sel = async (g) => {
		const cols = await rows(`DESCRIBE SELECT * FROM read_parquet(${lit(g)})`);
		return 'SELECT ' + cols.map((c) => c[1] === 'TIMESTAMP WITH TIME ZONE'
			? `${q(c[0])}::TIMESTAMP AS ${q(c[0])}` : q(c[0])).join(', ') +
			` FROM read_parquet(${lit(g)})`;
	};
	await con.run(`CREATE TABLE a AS ${await sel(a)}`);
	await con.run(`CREATE TABLE b AS ${await sel(b)}`);
	const n = (await rows('SELECT count(*) FROM a'))[0][0];
	const nm = (await rows('SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b)'))[0][0];
	const ne = (await rows('SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a)'))[0][0];
	console.log(`rows ${n} missing ${nm} extra ${ne}`);
	for (const r of await rows('SELECT * FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b) LIMIT 5'))
		console.log('missing ' + JSON.stringify(r));
	for (const r of await rows('SELECT * FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a) LIMIT 5'))
		console.log('extra ' + JSON.stringify(r));
} else {
	console.error('usage: parquet_duckdb.mjs sql STATEMENT... | compare PARQUET JSON SCHEMA [WHERE] | same A B');
	process.exit(2);
}
