#!/usr/bin/env bash
#
# file_sink — the file sink (connector = 'file', Spark's FileStreamSink) run
# by the real binary, from a scripted `batches` source, trigger
# available_now:
#   - csv with a header: every file the commit log lists, in log order,
#     byte for byte (quoting, escapes, trimming, nulls, empty strings,
#     doubles and timestamps as Spark writes them);
#   - json, partitioned by a column: Hive-style directories (escaped, the
#     null partition __HIVE_DEFAULT_PARTITION__), the partition column
#     left out of the files, null fields left out;
#   - text;
#   - a second run over the same directory numbers its batches on, and
#     the file source reads the output back through the commit log
#     (partition values from the paths), never a stray file;
#   - Spark's errors: complete and update mode refused ("Data source file
#     does not support Complete output mode"), an unknown option refused
#     with the valid ones, before anything starts (exit 2).

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout

# log_files DIR: the data files DIR's commit log lists, in batch order.
log_files() {
	local f
	for f in $(ls "$1/_sluice_log" | grep -E '^[0-9]+$' | sort -n); do
		sed -n 's/^{"path":"\([^"]*\)".*/\1/p' "$1/_sluice_log/$f"
	done
}

# log_cat DIR: "== path" and the contents of each listed file.
log_cat() {
	local p
	log_files "$1" | while IFS= read -r p; do
		printf '== %s\n' "$(printf '%s' "$p" | sed 's/-[0-9a-f]\{32\}-/-RUN-/')"
		cat "$1/$p"
	done
}

# run_sql NAME: run $IT_TMP/NAME.sql, expect exit 0.
run_sql() {
	timeout 60 "$SLUICE" run "$IT_TMP/$1.sql" >"$IT_TMP/$1.out" 2>"$IT_TMP/$1.err" ||
		{ cat "$IT_TMP/$1.err" >&2; it_fail "$1: sluice failed"; }
}

cat >"$IT_TMP/in.txt" <<'EOF'
1|north|alpha|1.5|2024-03-01 09:00:00.123456
2|south|b,c|10000000|2024-03-01 09:00:01
3||q"uote|0.1|2024-03-01 09:00:02
---
4|north/east|null|-0.0|null
5|south|  pad  |NaN|2024-03-01 09:00:03
6|west|#hash|1e-5|1969-12-31 23:59:59.999
EOF

# $1 name, $2 sink options; every case selects the same columns
# (an empty name for id 5, the CSV's "" case)
sink_sql() {
	cat >"$IT_TMP/$1.sql" <<EOF
CREATE SOURCE s (id INT, region STRING, name STRING, v DOUBLE, ts TIMESTAMP)
  WITH (connector = 'batches', path = '$IT_TMP/in.txt', delimiter = '|');
CREATE SINK out WITH (connector = 'file', path = '$IT_TMP/$1', trigger = 'available_now', $2)
AS SELECT id, region, if(id = 2, '', name) AS name, v, ts FROM s;
EOF
}

# --- csv with a header -------------------------------------------------
sink_sql csv "format = 'csv', header = true"
run_sql csv
log_cat "$IT_TMP/csv" >"$IT_TMP/csv.got"
cat >"$IT_TMP/csv.want" <<'EOF'
== part-00000-RUN-0.csv
id,region,name,v,ts
1,north,alpha,1.5,2024-03-01T09:00:00.123Z
2,south,"",1.0E7,2024-03-01T09:00:01.000Z
3,,"q\"uote",0.1,2024-03-01T09:00:02.000Z
== part-00000-RUN-1.csv
id,region,name,v,ts
4,north/east,,-0.0,
5,south,pad,NaN,2024-03-01T09:00:03.000Z
6,west,#hash,1.0E-5,1969-12-31T23:59:59.999Z
EOF
it_same "$IT_TMP/csv.want" "$IT_TMP/csv.got" "csv output"
[[ $(ls "$IT_TMP/csv/_sluice_log") == $'0\n1' ]] || it_fail "csv: log entries $(ls "$IT_TMP/csv/_sluice_log" | tr '\n' ' ')"
ls -A "$IT_TMP/csv" | grep -q '\.tmp$' && it_fail "csv: a temporary file was left"

# --- json, partitioned ---------------------------------------------------
sink_sql json "format = 'json', partition_by = 'region'"
run_sql json
log_cat "$IT_TMP/json" >"$IT_TMP/json.got"
cat >"$IT_TMP/json.want" <<'EOF'
== region=north/part-00000-RUN-0.json
{"id":1,"name":"alpha","v":1.5,"ts":"2024-03-01T09:00:00.123Z"}
== region=south/part-00001-RUN-0.json
{"id":2,"name":"","v":1.0E7,"ts":"2024-03-01T09:00:01.000Z"}
== region=__HIVE_DEFAULT_PARTITION__/part-00002-RUN-0.json
{"id":3,"name":"q\"uote","v":0.1,"ts":"2024-03-01T09:00:02.000Z"}
== region=north%2Feast/part-00000-RUN-1.json
{"id":4,"v":-0.0}
== region=south/part-00001-RUN-1.json
{"id":5,"name":"  pad  ","v":"NaN","ts":"2024-03-01T09:00:03.000Z"}
== region=west/part-00002-RUN-1.json
{"id":6,"name":"#hash","v":1.0E-5,"ts":"1969-12-31T23:59:59.999Z"}
EOF
it_same "$IT_TMP/json.want" "$IT_TMP/json.got" "partitioned json output"

# --- text --------------------------------------------------------------
cat >"$IT_TMP/text.sql" <<EOF
CREATE SOURCE s (id INT, region STRING, name STRING, v DOUBLE, ts TIMESTAMP)
  WITH (connector = 'batches', path = '$IT_TMP/in.txt', delimiter = '|');
CREATE SINK out WITH (connector = 'file', path = '$IT_TMP/text', format = 'text',
                      trigger = 'available_now')
AS SELECT name FROM s;
EOF
run_sql text
log_cat "$IT_TMP/text" >"$IT_TMP/text.got"
printf '%s\n' '== part-00000-RUN-0.txt' alpha 'b,c' 'q"uote' '== part-00000-RUN-1.txt' '' \
	'  pad  ' '#hash' >"$IT_TMP/text.want"
it_same "$IT_TMP/text.want" "$IT_TMP/text.got" "text output"

# --- a second run numbers on; the file source reads through the log -----
run_sql json
[[ $(ls "$IT_TMP/json/_sluice_log" | sort -n | tr '\n' ' ') == "0 1 2 3 " ]] ||
	it_fail "second run: log entries $(ls "$IT_TMP/json/_sluice_log" | tr '\n' ' ')"
runs=$(cat "$IT_TMP"/json/_sluice_log/* | sed -n 's/.*"run":"\([0-9a-f]*\)".*/\1/p' | sort -u | wc -l)
((runs == 2)) || it_fail "second run: $runs run ids in the log (expected 2)"
printf '{"id":99}\n' >"$IT_TMP/json/stray.json" # not committed: never read
cat >"$IT_TMP/back.sql" <<EOF
CREATE SOURCE back (id INT, region STRING, name STRING, v DOUBLE)
  WITH (connector = 'file', path = '$IT_TMP/json', format = 'json');
CREATE SINK out WITH (connector = 'console', trigger = 'available_now', truncate = false,
                      num_rows = 100)
AS SELECT id, region, name, v FROM back;
EOF
run_sql back
it_last_table "$IT_TMP/back.out" | sort >"$IT_TMP/back.got"
cat >"$IT_TMP/back.want" <<'EOF'
1	north	alpha	1.5
1	north	alpha	1.5
2	south		1.0E7
2	south		1.0E7
3	NULL	q"uote	0.1
3	NULL	q"uote	0.1
4	north/east	NULL	-0.0
4	north/east	NULL	-0.0
5	south	pad	NaN
5	south	pad	NaN
6	west	#hash	1.0E-5
6	west	#hash	1.0E-5
EOF
it_same "$IT_TMP/back.want" "$IT_TMP/back.got" "the output read back through the log"

# --- refusals ------------------------------------------------------------
refuse() {
	local name=$1 want=$2
	timeout 30 "$SLUICE" run "$IT_TMP/$name.sql" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	local rc=$?
	((rc == 2)) || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: exit $rc (expected 2)"; }
	grep -qF -- "$want" "$IT_TMP/$name.err" ||
		{ cat "$IT_TMP/$name.err" >&2; it_fail "$name: no '$want' in the error"; }
	[[ -e $IT_TMP/$name ]] && it_fail "$name: the output directory was made"
	return 0
}
for mode in complete update; do
	cat >"$IT_TMP/$mode.sql" <<EOF
CREATE SOURCE s (id INT, region STRING, name STRING, v DOUBLE, ts TIMESTAMP)
  WITH (connector = 'batches', path = '$IT_TMP/in.txt', delimiter = '|');
CREATE SINK out WITH (connector = 'file', path = '$IT_TMP/$mode', format = 'csv',
                      output_mode = '$mode')
AS SELECT region, count(*) AS n FROM s GROUP BY region;
EOF
done
refuse complete "Data source file does not support Complete output mode"
refuse update "Data source file does not support Update output mode"
sink_sql badopt "format = 'csv', headers = true"
refuse badopt "unknown option 'headers' for the file sink (options with this format: path, format, partition_by (partitionBy), header,"
# the query's columns against the format, checked before anything starts
sink_sql text_cols "format = 'text'"
refuse text_cols "line 3, column 1: file sink 'out': Text data source supports only a single column, and you have 5 columns."
sink_sql no_part "format = 'json', partition_by = 'nope'"
refuse no_part "file sink 'out': Partition column \`nope\` not found in schema"

it_log "ok"
