#!/usr/bin/env bash
#
# parquet_sink — the file and table sinks with format = 'parquet', read back
# by DuckDB (tests/integration/parquet_duckdb.mjs):
#   - DuckDB writes a file of every type the sink writes (BOOLEAN, INT,
#     BIGINT, DOUBLE, STRING with UTF-8 and empty strings, BINARY,
#     TIMESTAMP) with NULLs; sluice reads it and writes it with each
#     compression (snappy, the default, zstd, gzip, none) in row groups of
#     64 KiB; DuckDB reads sluice's files and finds exactly its own rows,
#     the codec asked for, and several row groups;
#   - a table written as parquet (partition_by) and streamed by another
#     query: its rows equal DuckDB's rows of the original file;
#   - refusals: a codec the sink does not write, a column type Parquet
#     does not get from sluice (a window).

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require node timeout

DUCK="$SRCDIR/tests/integration/parquet_duckdb.mjs"
[[ -f $SRCDIR/tools/.duckdb/node_modules/@duckdb/node-api/package.json ]] ||
	it_skip "DuckDB (@duckdb/node-api) is not in tools/.duckdb/ (tools/bootstrap installs it with npm)"
duck() { node "$DUCK" "$@" || it_fail "DuckDB failed: $*"; }

cd "$IT_TMP" || exit 1

run_sql() {
	local name=$1 want=${2:-0} rc
	timeout 120 "$SLUICE" run "$name.sql" --stats >"$name.out" 2>"$name.err"
	rc=$?
	((rc == 124)) && it_fail "$name: sluice still ran after 120 s"
	((rc == want)) || { cat "$name.err" >&2; it_fail "$name: sluice exited $rc (expected $want)"; }
}

mkdir in
duck sql "COPY (SELECT i::BIGINT AS id,
  CASE WHEN i % 11 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
  CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 7919 - 50000000)::INTEGER END AS i32,
  CASE WHEN i % 5 = 0 THEN NULL ELSE i * 1000000007 - 4000000000000 END AS i64,
  CASE WHEN i % 29 = 0 THEN NULL ELSE i / 7.0 - 1000 END AS d,
  CASE WHEN i % 31 = 0 THEN NULL WHEN i % 17 = 0 THEN '' ELSE 'grp' || (i % 4) || repeat('é', i % 3) END AS s,
  CASE WHEN i % 41 = 0 THEN NULL ELSE ('\\x00\\xff'::BLOB || i::VARCHAR::BLOB) END AS bl,
  CASE WHEN i % 47 = 0 THEN NULL ELSE TIMESTAMP '1969-12-31 23:00:00' + to_microseconds(i * 1000003) END AS ts,
  'g' || (i % 3) AS grp
FROM range(30000) t(i)) TO 'in/in.parquet' (FORMAT parquet)" >/dev/null
DECL='id BIGINT, b BOOLEAN, i32 INT, i64 BIGINT, d DOUBLE, s STRING, bl BINARY, ts TIMESTAMP, grp STRING'

# --- the file sink, every compression --------------------------------------
for codec in default zstd gzip none; do
	copt=""
	[[ $codec != default ]] && copt="compression = '$codec',"
	cat >"file_$codec.sql" <<-EOF
	CREATE SOURCE src ($DECL) WITH (connector = 'file', path = 'in/', format = 'parquet');
	CREATE SINK o WITH (connector = 'file', path = 'out_$codec/', format = 'parquet', $copt
	  parquet.row_group_size = '64k', trigger = 'available_now')
	AS SELECT * FROM src;
	EOF
	run_sql "file_$codec"
	ls out_"$codec"/part-*.parquet >/dev/null 2>&1 || it_fail "$codec: no part-*.parquet file"
	res=$(duck same 'in/*.parquet' "out_$codec/*.parquet")
	[[ $res == "rows 30000 missing 0 extra 0" ]] || { echo "$res" >&2; it_fail "$codec: DuckDB reads other rows"; }
	want=$(case $codec in default) echo SNAPPY ;; none) echo UNCOMPRESSED ;; *) echo "${codec^^}" ;; esac)
	got=$(duck sql "SELECT DISTINCT compression FROM parquet_metadata('out_$codec/*.parquet')")
	[[ $got == "[\"$want\"]" ]] || it_fail "$codec: compression $got, wanted $want"
	groups=$(duck sql "SELECT count(DISTINCT row_group_id) FROM parquet_metadata('out_$codec/*.parquet')")
	[[ $groups =~ ^\[\"?([0-9]+) ]] && ((BASH_REMATCH[1] >= 5)) ||
		it_fail "$codec: $groups row groups, wanted several of 64 KiB"
	it_log "$codec: $res, $groups row groups"
done

# --- a table written as parquet, streamed by another query ----------------
cat >tw.sql <<EOF
CREATE SOURCE src ($DECL) WITH (connector = 'file', path = 'in/', format = 'parquet');
CREATE SINK t WITH (connector = 'table', path = 'tables/t', format = 'parquet',
  partition_by = 'grp', trigger = 'available_now')
AS SELECT * FROM src;
EOF
run_sql tw
ls tables/t/grp=g1/*.parquet >/dev/null 2>&1 || it_fail "table: no grp=g1/*.parquet"
cat >tr.sql <<EOF
CREATE SOURCE t ($DECL) WITH (connector = 'table', path = 'tables/t');
CREATE SINK o WITH (connector = 'file', path = 'tr.out.d/', format = 'json',
  timestamp_format = 'yyyy-MM-dd HH:mm:ss.SSSSSS', trigger = 'available_now')
AS SELECT * FROM t;
EOF
run_sql tr
res=$(duck compare 'in/*.parquet' 'tr.out.d/*.json' \
	'id:BIGINT,b:BOOLEAN,i32:INT,i64:BIGINT,d:DOUBLE,s:STRING,bl:BINARY,ts:TIMESTAMP,grp:STRING')
[[ $res == "rows 30000 missing 0 extra 0" ]] || { echo "$res" >&2; it_fail "table: the streamed rows differ"; }
it_log "table: $res"

# --- refusals ----------------------------------------------------------------
cat >bad_codec.sql <<EOF
CREATE SOURCE src ($DECL) WITH (connector = 'file', path = 'in/', format = 'parquet');
CREATE SINK o WITH (connector = 'file', path = 'x/', format = 'parquet', compression = 'lz4',
  trigger = 'available_now') AS SELECT * FROM src;
EOF
run_sql bad_codec 2
grep -q "option 'compression' of format parquet must be 'snappy' (the default), 'zstd', 'gzip' or 'none', not 'lz4'" bad_codec.err ||
	{ cat bad_codec.err >&2; it_fail "bad_codec: message"; }
cat >bad_type.sql <<EOF
CREATE SOURCE src ($DECL) WITH (connector = 'file', path = 'in/', format = 'parquet')
  WATERMARK ts DELAY '1 minute';
CREATE SINK o WITH (connector = 'file', path = 'x/', format = 'parquet', trigger = 'available_now')
AS SELECT window(ts, '1 hour') AS w, count(*) AS n FROM src GROUP BY window(ts, '1 hour');
EOF
timeout 60 "$SLUICE" run bad_type.sql >bad_type.out 2>bad_type.err && it_fail "bad_type: accepted"
grep -q 'The Parquet datasource doesn.t support the column `w` of the type' bad_type.err ||
	{ cat bad_type.err >&2; it_fail "bad_type: message"; }

it_log "ok"
