#!/usr/bin/env bash
#
# parquet — the file source with format = 'parquet', proved against DuckDB
# (an independent Parquet implementation, tests/integration/parquet_duckdb.mjs):
#   - DuckDB writes files of every type sluice reads (BOOLEAN, TINYINT to
#     BIGINT, UINTEGER, FLOAT, DOUBLE, strings with few values (dictionary
#     pages) and with many (plain pages), BLOB, DATE, TIMESTAMP in ms, us,
#     ns and with time zone, DECIMAL stored as INT32, INT64 and
#     FIXED_LEN_BYTE_ARRAY, a nested struct), with NULLs in every column,
#     several row groups (ROW_GROUP_SIZE), once per compression
#     (uncompressed, snappy, gzip, zstd, lz4_raw) and once as Parquet v2
#     (data page v2, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
#     BYTE_STREAM_SPLIT); sluice reads each and writes the rows as JSON
#     Lines, and DuckDB checks that they are exactly (as multisets) the
#     rows it reads from the same file itself;
#   - a WHERE on the rows: the same filter in DuckDB gives the same rows;
#   - a file larger than two split parts read by two ingest cores: every
#     row group once (the part that holds its middle byte reads it);
#   - a checkpoint (format parquet in its offset): a restart reads only the
#     file added since;
#   - refusals: a list column, a type that does not convert, an unknown
#     option (plan time);
#   - bad files: not Parquet (wrong magic), truncated, a corrupt page:
#     FAILFAST stops the query naming the file (and row group, column and
#     page); PERMISSIVE skips the rest of the file with a warning, counts
#     its rows as malformed and reads the other files.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require node timeout python3

DUCK="$SRCDIR/tests/integration/parquet_duckdb.mjs"
[[ -f $SRCDIR/tools/.duckdb/node_modules/@duckdb/node-api/package.json ]] ||
	it_skip "DuckDB (@duckdb/node-api) is not in tools/.duckdb/ (tools/bootstrap installs it with npm)"
duck() { node "$DUCK" "$@" || it_fail "DuckDB failed: $*"; }

cd "$IT_TMP" || exit 1

COLS=(
	"id:BIGINT" "b:BOOLEAN" "i8:INT" "i16:INT" "i32:INT" "i64:BIGINT" "u32:BIGINT"
	"f:DOUBLE" "d:DOUBLE" "s_lo:STRING" "s_hi:STRING" "bl:BINARY" "dt:TIMESTAMP"
	"ts:TIMESTAMP" "ts_ms:TIMESTAMP" "ts_ns:TIMESTAMP" "tstz:TIMESTAMP" "dec4:DOUBLE"
	"dec18:DOUBLE" "dec38:DOUBLE" "st.a:INT" "st.b:STRING"
)
SCHEMA=$(IFS=,; echo "${COLS[*]}")
# the source's column list: name TYPE, dotted names quoted
DECL=$(for c in "${COLS[@]}"; do printf '`%s` %s, ' "${c%:*}" "${c##*:}"; done)
DECL=${DECL%, }

# A NULL every k-th row (a different k per column, so that rows differ).
ROWS="SELECT i::BIGINT AS id,
  CASE WHEN i % 11 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
  CASE WHEN i % 13 = 0 THEN NULL ELSE (i % 256 - 128)::TINYINT END AS i8,
  CASE WHEN i % 17 = 0 THEN NULL ELSE (i % 65536 - 32768)::SMALLINT END AS i16,
  CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 7919 - 50000000)::INTEGER END AS i32,
  CASE WHEN i % 5 = 0 THEN NULL ELSE i * 1000000007 - 4000000000000 END AS i64,
  CASE WHEN i % 19 = 0 THEN NULL ELSE (4294967295 - i)::UINTEGER END AS u32,
  CASE WHEN i % 23 = 0 THEN NULL ELSE (i / 3.0 - 100)::FLOAT END AS f,
  CASE WHEN i % 29 = 0 THEN NULL ELSE i / 7.0 - 1000 END AS d,
  CASE WHEN i % 31 = 0 THEN NULL ELSE 'name' || (i % 10) END AS s_lo,
  CASE WHEN i % 37 = 0 THEN NULL ELSE md5(i::VARCHAR) || repeat('é', i % 4) END AS s_hi,
  CASE WHEN i % 41 = 0 THEN NULL ELSE ('\x00\xff'::BLOB || i::VARCHAR::BLOB) END AS bl,
  CASE WHEN i % 43 = 0 THEN NULL ELSE DATE '1969-12-25' + (i % 900)::INTEGER END AS dt,
  CASE WHEN i % 47 = 0 THEN NULL ELSE TIMESTAMP '1969-12-31 23:00:00' + to_microseconds(i * 1000003) END AS ts,
  CASE WHEN i % 53 = 0 THEN NULL ELSE (TIMESTAMP '2024-02-29 12:00:00' + to_milliseconds(i * 37))::TIMESTAMP_MS END AS ts_ms,
  CASE WHEN i % 59 = 0 THEN NULL ELSE (TIMESTAMP '2024-02-29 12:00:00' + to_microseconds(i * 37))::TIMESTAMP_NS END AS ts_ns,
  CASE WHEN i % 61 = 0 THEN NULL ELSE (TIMESTAMP '2001-01-01 00:00:00' + to_seconds(i))::TIMESTAMPTZ END AS tstz,
  CASE WHEN i % 67 = 0 THEN NULL ELSE ((i % 2000) / 10.0 - 50)::DECIMAL(4,1) END AS dec4,
  CASE WHEN i % 71 = 0 THEN NULL ELSE (i * 12345.678 - 1e9)::DECIMAL(18,3) END AS dec18,
  CASE WHEN i % 73 = 0 THEN NULL ELSE (i * 1.0000000001 - 7000.5)::DECIMAL(38,10) END AS dec38,
  CASE WHEN i % 79 = 0 THEN NULL ELSE {'a': (i % 1000)::INTEGER, 'b': 'x' || (i % 3)} END AS st
FROM range(20000) t(i)"

# run_sql NAME WANT_RC: run NAME.sql (available_now) and check its exit status
run_sql() {
	local name=$1 want=${2:-0} rc
	timeout 120 "$SLUICE" run "$name.sql" --stats >"$name.out" 2>"$name.err"
	rc=$?
	((rc == 124)) && it_fail "$name: sluice still ran after 120 s"
	((rc == want)) || { cat "$name.err" >&2; it_fail "$name: sluice exited $rc (expected $want)"; }
}

# query NAME DIR SELECT [SETTINGS]: NAME.sql reading DIR with the source's
# columns, writing JSON Lines into NAME.out.d/
query() {
	local name=$1 dir=$2 sel=$3 settings=${4:-} extra=${5:-}
	cat >"$name.sql" <<-EOF
	$settings
	CREATE SOURCE src ($DECL)
	  WITH (connector = 'file', path = '$dir/', format = 'parquet'$extra);
	CREATE SINK o WITH (connector = 'file', path = '$name.out.d/', format = 'json',
	  timestamp_format = 'yyyy-MM-dd HH:mm:ss.SSSSSS', trigger = 'available_now')
	AS $sel;
	EOF
}

# same NAME DIR [WHERE]: DuckDB's rows of DIR's files equal sluice's
same() {
	local name=$1 dir=$2 where=${3:-} res
	res=$(duck compare "$dir/*.parquet" "$name.out.d/*.json" "$SCHEMA" "$where")
	[[ $res == "rows "*" missing 0 extra 0" ]] || { echo "$res" >&2; it_fail "$name: sluice's rows differ from DuckDB's"; }
	[[ $res == "rows 0 "* ]] && it_fail "$name: no rows compared"
	it_log "$name: ${res%%$'\n'*}"
}

# --- every type, every codec -------------------------------------------
for codec in uncompressed snappy gzip zstd lz4_raw v2; do
	mkdir -p "t_$codec"
	opts="COMPRESSION $codec"
	[[ $codec == v2 ]] && opts="COMPRESSION zstd, PARQUET_VERSION V2"
	duck sql "COPY ($ROWS) TO 't_$codec/part.parquet' (FORMAT parquet, $opts, ROW_GROUP_SIZE 4096)" >/dev/null
	groups=$(duck sql "SELECT count(DISTINCT row_group_id) FROM parquet_metadata('t_$codec/part.parquet')")
	[[ $groups =~ ^\[\"?([0-9]+) ]] && ((BASH_REMATCH[1] >= 4)) ||
		it_fail "$codec: DuckDB wrote $groups row groups, wanted several"
	query "all_$codec" "t_$codec" "SELECT * FROM src"
	run_sql "all_$codec"
	[[ $(it_stat "all_$codec.err" rows_in) == 20000 ]] || it_fail "$codec: rows_in is not 20000"
	same "all_$codec" "t_$codec"
done
# the files hold what the cases claim: dictionary and plain pages, the v2 encodings
encs=$(duck sql "SELECT DISTINCT encodings FROM parquet_metadata('t_snappy/part.parquet')")
[[ $encs == *_DICTIONARY* && $encs == *\"PLAIN\"* ]] || it_fail "snappy file's encodings: $encs"
encs=$(duck sql "SELECT DISTINCT encodings FROM parquet_metadata('t_v2/part.parquet')")
for e in DELTA_BINARY_PACKED DELTA_LENGTH_BYTE_ARRAY BYTE_STREAM_SPLIT; do
	[[ $encs == *$e* ]] || it_fail "v2 file has no $e: $encs"
done

# --- a filter ------------------------------------------------------------
query where t_zstd "SELECT * FROM src WHERE i32 > 0 AND s_lo = 'name3'"
run_sql where
same where t_zstd "i32 > 0 AND s_lo = 'name3'"

# --- one file, two ingest cores ------------------------------------------
mkdir big
duck sql "COPY (SELECT * FROM ($ROWS) UNION ALL SELECT * REPLACE (id + 20000 AS id) FROM ($ROWS)
	UNION ALL SELECT * REPLACE (id + 40000 AS id) FROM ($ROWS)) TO 'big/big.parquet'
	(FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 2048)" >/dev/null
size=$(stat -c %s big/big.parquet)
((size > 8 * 1024 * 1024)) || it_fail "big.parquet is only $size bytes: it would not be split"
query split big "SELECT * FROM src" "SET ingest_cores = '0-1';"
run_sql split
same split big
grep -q '2 ingest cores' split.err || it_log "note: $(grep -m1 'started' split.err)"

# --- a checkpoint: a restart reads only the files not taken before ----------
mkdir ck_in
cp t_zstd/part.parquet ck_in/a.parquet
query ck1 ck_in "SELECT * FROM src"
sed -i "s|trigger = 'available_now')|trigger = 'available_now', checkpoint = 'chk')|" ck1.sql
grep -q "checkpoint = 'chk'" ck1.sql || it_fail "ck1: no checkpoint option in the query"
cp ck1.sql ck2.sql # the same query, started again
run_sql ck1
[[ $(it_stat ck1.err rows_in) == 20000 ]] || it_fail "ck1: rows_in is not 20000"
cp t_v2/part.parquet ck_in/b.parquet
run_sql ck2
[[ $(it_stat ck2.err rows_in) == 20000 ]] || { cat ck2.err >&2; it_fail "ck2: the restart did not read b.parquet alone"; }
same ck1 ck_in # both runs' output: each file's rows once

# --- refusals --------------------------------------------------------------
mkdir lists
duck sql "COPY (SELECT i AS id, [i, i + 1] AS tags FROM range(10) t(i)) TO 'lists/l.parquet' (FORMAT parquet)" >/dev/null
cat >list.sql <<'EOF'
CREATE SOURCE src (id BIGINT, tags BIGINT) WITH (connector = 'file', path = 'lists/', format = 'parquet');
CREATE SINK o WITH (connector = 'console', trigger = 'available_now') AS SELECT * FROM src;
EOF
run_sql list 1
grep -q "column 'tags' is a list" list.err || { cat list.err >&2; it_fail "list: no message naming the list column"; }
sed 's/tags BIGINT/`tags.list.element` BIGINT/' list.sql >list2.sql
run_sql list2 1
grep -q "column 'tags.list.element' is a list" list2.err ||
	{ cat list2.err >&2; it_fail "list2: no message naming the list column"; }
cat >mismatch.sql <<'EOF'
CREATE SOURCE src (id INT) WITH (connector = 'file', path = 'lists/', format = 'parquet');
CREATE SINK o WITH (connector = 'console', trigger = 'available_now') AS SELECT * FROM src;
EOF
run_sql mismatch 1
grep -q "column 'id' is BIGINT in the file (Parquet INT64), which does not convert to INT; declare it BIGINT" mismatch.err ||
	{ cat mismatch.err >&2; it_fail "mismatch: no message about the type"; }
cat >opt.sql <<'EOF'
CREATE SOURCE src (id BIGINT) WITH (connector = 'file', path = 'lists/', format = 'parquet', header = true);
CREATE SINK o WITH (connector = 'console', trigger = 'available_now') AS SELECT * FROM src;
EOF
run_sql opt 2
grep -q "unknown option 'header' for connector 'file' with format 'parquet'" opt.err ||
	{ cat opt.err >&2; it_fail "opt: no message about the option"; }

# --- bad files ---------------------------------------------------------------
# bad_case NAME: a directory with a good file and NAME.parquet made by the
# function bad_NAME from a copy of the zstd file
mkdir good
cp t_zstd/part.parquet good/a.parquet
bad_magic() { printf 'id,name\n1,x\n' >"$1"; }
bad_truncated() { head -c 100000 t_zstd/part.parquet >"$1"; }
bad_footer_len() { cp t_zstd/part.parquet "$1"; printf '\xff\xff\xff\x7f' |
	dd of="$1" bs=1 seek=$(($(stat -c %s "$1") - 8)) conv=notrunc status=none; }
bad_page() { cp t_zstd/part.parquet "$1"; head -c 3000 /dev/zero |
	dd of="$1" bs=1 seek=60000 conv=notrunc status=none; }
for bad in magic truncated footer_len page; do
	rm -rf "bad_$bad"
	mkdir "bad_$bad"
	cp good/a.parquet "bad_$bad/a.parquet"
	"bad_$bad" "bad_$bad/b.parquet"
	query "ff_$bad" "bad_$bad" "SELECT * FROM src" "" ", mode = 'FAILFAST'"
	run_sql "ff_$bad" 1
	grep -q "parquet file 'bad_$bad/b.parquet': .*mode FAILFAST" "ff_$bad.err" ||
		{ cat "ff_$bad.err" >&2; it_fail "$bad: FAILFAST did not name the file"; }
	query "pm_$bad" "bad_$bad" "SELECT * FROM src"
	run_sql "pm_$bad"
	grep -q "warning: .*parquet file 'bad_$bad/b.parquet'" "pm_$bad.err" ||
		{ cat "pm_$bad.err" >&2; it_fail "$bad: PERMISSIVE did not warn"; }
	in=$(it_stat "pm_$bad.err" rows_in)
	bad_rows=$(it_stat "pm_$bad.err" rows_malformed)
	((in >= 20000)) || it_fail "$bad: the good file was not read whole ($in rows)"
	[[ $bad == page ]] && { ((in + bad_rows == 40000 && bad_rows > 0)) ||
		it_fail "$bad: rows read ($in) and skipped ($bad_rows) do not add up to 40000"; }
	it_log "$bad: $(grep -m1 -o 'parquet file.*' "ff_$bad.err")"
done
grep -q "does not begin with the magic bytes PAR1" ff_magic.err || it_fail "magic: message"
grep -q "does not end with the magic bytes PAR1" ff_truncated.err || it_fail "truncated: message"
grep -q "footer length" ff_footer_len.err || it_fail "footer_len: message"
grep -q "row group [0-9]*, column '[^']*', page [0-9]* (byte offset [0-9]*)" ff_page.err ||
	it_fail "page: the message does not name row group, column and page"

it_log "ok"
