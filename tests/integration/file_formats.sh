#!/usr/bin/env bash
#
# file_formats — the file source with format = 'csv' and 'json' (the record
# parsers of dataplane/recparse.h), run by the real binary:
#   - CSV with header = true and typed columns (INT, DOUBLE, TIMESTAMP), one
#     file a batch, a WATERMARK on the TIMESTAMP column and a 15-minute
#     window in append mode: the windows the watermark closed come out once,
#     with the right sums; a late row is dropped and counted; a field that
#     does not convert is NULL under PERMISSIVE (the row kept, counted as
#     malformed); the header line is no row; the query ends by itself
#     (available_now);
#   - the same CSV with mode = 'FAILFAST': the query stops (exit 1) naming
#     the file, the line and the field;
#   - CSV with sep = ';', a quoted field holding the separator, and
#     DROPMALFORMED;
#   - JSON Lines: fields matched to columns by name, missing fields NULL,
#     extra fields ignored, a broken line NULL under PERMISSIVE and
#     dropped under DROPMALFORMED (counted either way), a blank line no
#     record; FAILFAST names the file and the line;
#   - CSV with multi_line = true: quoted fields holding line ends ("\n" and
#     "\r\n"), a file larger than a split's minimum read whole (not split),
#     each record once; an unterminated quote at the end is one malformed
#     record;
#   - JSON nested fields: columns `user.id`, `user.geo.lat`; the literal
#     top-level name wins.
# Not registered in meson until the CSV and JSON parsers are in.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout touch

# put DIR NAME SECONDS LINE...: DIR/NAME holding the lines, modified SECONDS
# after 2024-01-01 00:00:00 UTC, moved in whole.
put() {
	local dir=$1 name=$2 t=$3
	shift 3
	printf '%s\n' "$@" >"$dir/.$name.part"
	touch -d "@$((1704067200 + t))" "$dir/.$name.part"
	mv "$dir/.$name.part" "$dir/$name"
}

# run_now CASE WANT_RC: run $CASE.sql (available_now) and check its status.
run_now() {
	local name=$1 want=${2:-0} rc
	timeout 60 "$SLUICE" run "$IT_TMP/$name.sql" --stats >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	rc=$?
	((rc == 124)) && it_fail "$name: sluice still ran after 60 s"
	((rc == want)) || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice exited $rc (expected $want)"; }
}

# every row of every batch's table, cells trimmed, tab-separated, sorted
all_rows() {
	awk '
	/^Batch: [0-9]+$/ { hdr = 0; next }
	/^\|/ {
		if (!hdr) { hdr = 1; next }
		line = substr($0, 2, length($0) - 2)
		k = split(line, f, "|")
		out = ""
		for (i = 1; i <= k; i++) {
			gsub(/^ +| +$/, "", f[i])
			out = out (i > 1 ? "\t" : "") f[i]
		}
		print out
	}' "$1" | sort
}

expect_rows() {
	local name=$1 out=$2
	shift 2
	printf '%s\n' "$@" | sort >"$IT_TMP/want"
	all_rows "$out" >"$IT_TMP/got"
	it_same "$IT_TMP/want" "$IT_TMP/got" "$name: the rows printed"
}

stat_is() {
	local name=$1 key=$2 want=$3 got
	got=$(it_stat "$IT_TMP/$name.err" "$key")
	[[ $got == "$want" ]] || it_fail "$name: stat $key is $got (expected $want)"
}

# --- CSV, header, typed columns, event-time windows -----------------------
d=$IT_TMP/csv
mkdir -p "$d"
put "$d" sales-1.csv 1 "store,amount,ts" \
	"1,10.0,2024-03-01 09:01:00" \
	"2,5.5,2024-03-01 09:05:00" \
	"1,2.5,2024-03-01 09:14:59"
put "$d" sales-2.csv 2 "store,amount,ts" \
	"1,1.0,2024-03-01 09:20:00" \
	"2,4.0,2024-03-01 09:31:00"
# the watermark is 09:21 now: 09:02 falls in a closed window (late); 'x'
# is no DOUBLE (PERMISSIVE: NULL, the row counts)
put "$d" sales-3.csv 3 "store,amount,ts" \
	"1,100.0,2024-03-01 09:02:00" \
	"2,x,2024-03-01 09:40:00" \
	"2,7.0,2024-03-01 09:50:00"
windows_sql() {
	cat >"$IT_TMP/$1.sql" <<EOF
CREATE SOURCE sales (store INT, amount DOUBLE, ts TIMESTAMP)
  WITH (connector = 'file', path = '$d/*.csv', format = 'csv', header = true,
        max_files_per_trigger = 1 $2)
  WATERMARK ts DELAY '10 minutes';
CREATE SINK totals
  WITH (connector = 'console', output_mode = 'append', trigger = 'available_now', truncate = false)
AS SELECT window(ts, '15 minutes') AS w, store, sum(amount) AS total, count(*) AS n
   FROM sales GROUP BY window(ts, '15 minutes'), store;
EOF
}
windows_sql csv ""
run_now csv
# the final watermark is 09:40: the windows ending by then, each once
expect_rows csv "$IT_TMP/csv.out" \
	$'{2024-03-01 09:00:00, 2024-03-01 09:15:00}\t1\t12.5\t2' \
	$'{2024-03-01 09:00:00, 2024-03-01 09:15:00}\t2\t5.5\t1' \
	$'{2024-03-01 09:15:00, 2024-03-01 09:30:00}\t1\t1.0\t1'
stat_is csv rows_in 8
stat_is csv rows_malformed 1
stat_is csv rows_dropped_by_watermark 1
it_log "csv: header, typed columns, watermark and windows, late and malformed rows: ok"

windows_sql failfast ", mode = 'FAILFAST'"
run_now failfast 1
grep -q "file source 'sales': file '$d/sales-3.csv', line 3, byte offset [0-9]*: field 2 (amount): 'x' is not a DOUBLE" "$IT_TMP/failfast.err" ||
	it_fail "csv FAILFAST: the error does not name the file, line 3 and the field: $(cat "$IT_TMP/failfast.err")"
it_log "csv FAILFAST: stops naming file, line and field: ok"

# --- CSV: sep, quotes, DROPMALFORMED ---------------------------------------
d=$IT_TMP/semi
mkdir -p "$d"
put "$d" a.csv 1 'north;"a; b";3' 'south;c;4' 'east;d;four' 'west;"e";5'
cat >"$IT_TMP/semi.sql" <<EOF
CREATE SOURCE t (region STRING, label STRING, n INT)
  WITH (connector = 'file', path = '$d', format = 'csv', sep = ';', mode = 'DROPMALFORMED');
CREATE SINK out WITH (connector = 'console', trigger = 'available_now') AS SELECT region, label, n FROM t;
EOF
run_now semi
expect_rows semi "$IT_TMP/semi.out" $'north\ta; b\t3' $'south\tc\t4' $'west\te\t5'
stat_is semi rows_malformed 1
it_log "csv: sep, a quoted separator, DROPMALFORMED: ok"

# --- JSON Lines ------------------------------------------------------------
d=$IT_TMP/json
mkdir -p "$d"
put "$d" a.json 1 \
	'{"store": 1, "amount": 2.5, "ts": "2024-03-01 09:01:00"}' \
	'{"amount": 4.0, "store": 2, "extra": [1, 2, {"x": null}]}' \
	'' \
	'{"store": 1, "ts": "2024-03-01 09:03:00"}' \
	'{"store": 3, "amount": '
put "$d" b.json 2 '{"store": 2, "amount": 1.5}'
json_sql() {
	cat >"$IT_TMP/$1.sql" <<EOF
CREATE SOURCE j (store INT, amount DOUBLE, ts TIMESTAMP)
  WITH (connector = 'file', path = '$d', format = 'json' $2);
CREATE SINK out WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT store, sum(amount) AS total, count(*) AS n, max(ts) AS last FROM j GROUP BY store ORDER BY store;
EOF
}
json_sql json ""
run_now json
it_last_table "$IT_TMP/json.out" >"$IT_TMP/json.got"
printf '%s\n' $'NULL\tNULL\t1\tNULL' $'1\t2.5\t2\t2024-03-01 09:03:00' $'2\t5.5\t2\tNULL' >"$IT_TMP/json.want"
it_same "$IT_TMP/json.want" "$IT_TMP/json.got" "json PERMISSIVE: the last table"
stat_is json rows_in 5
stat_is json rows_malformed 1
json_sql jdrop ", mode = 'DROPMALFORMED'"
run_now jdrop
it_last_table "$IT_TMP/jdrop.out" >"$IT_TMP/jdrop.got"
printf '%s\n' $'1\t2.5\t2\t2024-03-01 09:03:00' $'2\t5.5\t2\tNULL' >"$IT_TMP/jdrop.want"
it_same "$IT_TMP/jdrop.want" "$IT_TMP/jdrop.got" "json DROPMALFORMED: the last table"
stat_is jdrop rows_malformed 1
json_sql jfail ", mode = 'FAILFAST'"
run_now jfail 1
grep -q "file source 'j': file '$d/a.json', line 5, byte offset [0-9]*:" "$IT_TMP/jfail.err" ||
	it_fail "json FAILFAST: the error does not name the file and line 5: $(cat "$IT_TMP/jfail.err")"
it_log "json: by name, missing NULL, extra ignored, PERMISSIVE, DROPMALFORMED, FAILFAST: ok"
# --- CSV multi_line: quoted line ends, a large file read whole -------------
d=$IT_TMP/ml
mkdir -p "$d"
printf '%s\r\n' '1,"two' 'lines"' '2,"with ""quote"" and' '' 'blank"' >"$d/.a.part"
printf '3,plain\n4,"cr\r\nlf"\n' >>"$d/.a.part"
mv "$d/.a.part" "$d/a.csv"
# 6 MiB of two-line records: more than one read and than a split's minimum
awk 'BEGIN { for (i = 100; i < 60100; i++) printf "%d,\"x%090d\ny\"\n", i, i }' >"$d/.b.part"
mv "$d/.b.part" "$d/b.csv"
printf '9,"never closed\n10,x\n' >"$d/c.csv"
cat >"$IT_TMP/ml.sql" <<EOF
CREATE SOURCE m (id INT, note STRING)
  WITH (connector = 'file', path = '$d', format = 'csv', multi_line = true);
CREATE SINK out WITH (connector = 'console', trigger = 'available_now')
AS SELECT id, length(note) AS len, note LIKE '%quote" and%blank' AS q FROM m WHERE id < 100;
CREATE SINK cnt WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT count(*) AS n, sum(id) AS k, min(length(note)) AS lo, max(length(note)) AS hi FROM m WHERE id >= 100;
EOF
run_now ml
# a.csv 4 records, b.csv 60000, c.csv 1 (its quote never closes: malformed)
stat_is ml rows_in 60005
stat_is ml rows_malformed 1
grep -Eq '^\| *60000 *\| *1805970000 *\| *93 *\| *93 *\|$' "$IT_TMP/ml.out" ||
	it_fail "csv multi_line: the 60000 two-line records are not each read once: $(grep -v '^| *[0-9] ' "$IT_TMP/ml.out" | tail -5)"
all_rows "$IT_TMP/ml.out" | awk -F'\t' '$1 < 100' >"$IT_TMP/ml.got"
# "\r\n" inside quotes is "\n" (Spark: univocity normalizes line ends)
printf '%s\n' $'1\t9\tfalse' $'2\t23\ttrue' $'3\t5\tfalse' $'4\t5\tfalse' $'9\t18\tfalse' >"$IT_TMP/ml.want"
it_same "$IT_TMP/ml.want" "$IT_TMP/ml.got" "csv multi_line: the small records"
it_log "csv multi_line: records across lines, a large file whole, unterminated quote: ok"

# --- JSON nested fields ----------------------------------------------------
d=$IT_TMP/nested
mkdir -p "$d"
put "$d" a.json 1 '{"user": {"id": "u1", "geo": {"lat": 1.5}}, "n": 1}' \
	'{"user": {"geo": null}, "n": 2}' '{"user": 7, "n": 3}' \
	'{"user.id": "literal", "user": {"id": "nested"}, "n": 4}' \
	'{"user": {"geo": {"lat": "north"}}, "n": 5}'
cat >"$IT_TMP/nested.sql" <<EOF
CREATE SOURCE j (\`user.id\` STRING, \`user.geo.lat\` DOUBLE, n INT)
  WITH (connector = 'file', path = '$d', format = 'json');
CREATE SINK out WITH (connector = 'console', trigger = 'available_now')
AS SELECT n, \`user.id\` AS uid, \`user.geo.lat\` AS lat FROM j;
EOF
run_now nested
expect_rows nested "$IT_TMP/nested.out" $'1\tu1\t1.5' $'2\tNULL\tNULL' $'3\tNULL\tNULL' \
	$'4\tliteral\tNULL' $'5\tNULL\tNULL'
stat_is nested rows_malformed 1
it_log "json: nested fields a.b, the literal name wins: ok"

# --- length() of CSV strings: characters, whether or not they are ASCII ----
# chars_are NAME ROWS CHARS BYTES: run NAME.sql, whose one row is count(*),
# sum(length(s)) and the bytes.
chars_are() {
	run_now "$1"
	grep -Eq "^\\| *$2 *\\| *$3 *\\| *$4 *\\|\$" "$IT_TMP/$1.out" ||
		it_fail "$1: length() is not $3 characters in $4 bytes: $(tail -4 "$IT_TMP/$1.out")"
}
# Plain lines go through the CSV burst, which marks a batch's strings ASCII
# when it saw no byte of 0x80 or over (length() then takes their bytes).
# Every name is 5 characters: ASCII (5 bytes), with an e-acute (6 bytes) in
# the middle of a file, in a file's first line, in its last one.
d=$IT_TMP/chars
mkdir -p "$d"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%d,abcde,%d\n", i, i % 7 }' >"$d/.a.part"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%d,%s,%d\n", i, i == 1500 ? "abcd\303\251" : "abcde", i % 7 }' >"$d/.b.part"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%d,%s,%d\n", i, i == 0 || i == 2999 ? "\303\251bcde" : "abcde", i % 7 }' >"$d/.c.part"
t=0
for f in a b c; do
	touch -d "@$((1704067200 + t))" "$d/.$f.part"
	mv "$d/.$f.part" "$d/$f.csv"
	t=$((t + 60))
done
cat >"$IT_TMP/chars.sql" <<EOF
CREATE SOURCE c (i INT, s STRING, k INT)
  WITH (connector = 'file', path = '$d', format = 'csv', max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT count(*) AS n, sum(length(s)) AS chars, sum(length(CAST(s AS BINARY))) AS bytes FROM c;
EOF
chars_are chars 9000 45000 45003
it_log "csv: length() counts characters, ASCII or not: ok"
# the same for format text: the line splitter's scan marks ASCII batches
d=$IT_TMP/tchars
mkdir -p "$d"
awk 'BEGIN { for (i = 0; i < 3000; i++) print "abcde" }' >"$d/a.txt"
awk 'BEGIN { for (i = 0; i < 3000; i++) print (i == 1500 ? "abcd\303\251" : "abcde") }' >"$d/b.txt"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%s%s", (i == 0 || i == 2999 ? "\303\251bcde" : "abcde"), (i == 2999 ? "" : "\n") }' >"$d/c.txt"
cat >"$IT_TMP/tchars.sql" <<EOF
CREATE SOURCE t WITH (connector = 'file', path = '$d', format = 'text', max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT count(*) AS n, sum(length(value)) AS chars, sum(length(CAST(value AS BINARY))) AS bytes FROM t;
EOF
chars_are tchars 9000 45000 45003
it_log "text: length() counts characters, ASCII or not (a last line without its newline too): ok"
# and JSON: a line its flat walk took is ASCII; one with an e-acute (raw
# or escaped) is not
d=$IT_TMP/jchars
mkdir -p "$d"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"s\": \"%s\", \"i\": %d}\n", i == 1500 ? "abcd\303\251" : i == 2000 ? "abcd\\u00e9" : "abcde", i }' >"$d/a.json"
cat >"$IT_TMP/jchars.sql" <<EOF
CREATE SOURCE j (s STRING, i INT) WITH (connector = 'file', path = '$d', format = 'json');
CREATE SINK out WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT count(*) AS n, sum(length(s)) AS chars, sum(length(CAST(s AS BINARY))) AS bytes FROM j;
EOF
chars_are jchars 3000 15000 15002
it_log "json: length() counts characters, ASCII or not: ok"
exit 0
