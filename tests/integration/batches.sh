#!/usr/bin/env bash
#
# batches — the scripted test source (connector = 'batches', Spark's
# MemoryStream): every section of its file, up to a line '---', is exactly
# one micro-batch, in order.
#   - word count without a column list (value STRING), update mode, default
#     trigger: Batch 0, 1, 2 hold exactly sections 1, 2, 3 (update mode shows
#     only the groups a section changed); a line over max_line_length is
#     malformed (stat rows_malformed 1); after the last section the query
#     keeps running, prints nothing more, and stops on SIGINT with status 0;
#   - the same file in complete mode with trigger = 'available_now', also
#     with two ingest cores: exactly 3 batches of cumulative counts, then
#     sluice exits 0 by itself;
#   - typed columns (ts TIMESTAMP, word STRING, n INT): a WHERE on ts and
#     sum(n), max(ts) prove the conversions; an empty section and a section
#     whose rows are all malformed make no batch; bad rows (an INT or a
#     TIMESTAMP that does not convert, a missing field) are counted;
#   - bad input: a section of 1025 rows is refused at start (exit 1, the
#     message names the file and the section's first line), as is a
#     missing file; bad options are refused at plan time (exit 2, line and
#     column).

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout



# expect_batches CASE OUT N: exactly Batch 0 .. N-1 were printed.
expect_batches() {
	local nb
	nb=$(it_count_batches "$2")
	((nb == $3)) || { cat "$2" >&2; it_fail "$1: $nb batches printed (expected exactly $3)"; }
	grep '^Batch: ' "$2" | awk '$2 != NR - 1 { bad = 1 } END { exit bad }' ||
		it_fail "$1: batch ids are not 0 .. $(($3 - 1))"
}

# run_available_now CASE SQL [FLAGS...]: run to the end of input; status 0.
run_available_now() {
	local name=$1 sql=$2 rc
	shift 2
	timeout 10 "$SLUICE" run "$sql" --stats "$@" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	rc=$?
	((rc == 124)) && it_fail "$name: sluice still ran after 10 s (available_now must stop after the last section: the engine cuts an epoch per section for a source with paces_epochs)"
	((rc == 0)) || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice exited $rc (expected 0)"; }
}

# run_until CASE SQL N: run with a trigger that never ends the query; once
# Batch N-1 is out, wait a little (no batch may follow), then SIGINT.
run_until() {
	local name=$1 sql=$2 n=$3 spid rc i
	local out=$IT_TMP/$name.out err=$IT_TMP/$name.err
	# SIGINT must reach sluice: a background job of a script ignores it
	# unless the subshell restores it (see seed_interactive.sh).
	(
		trap - INT
		exec "$SLUICE" run "$sql" --stats
	) >"$out" 2>"$err" &
	spid=$!
	it_track "$spid"
	for ((i = 0; i < 200; i++)); do
		grep -qx "Batch: $((n - 1))" "$out" && break
		kill -0 "$spid" 2>/dev/null || { cat "$err" >&2; it_fail "$name: sluice exited before the test stopped it"; }
		sleep 0.05
	done
	grep -qx "Batch: $((n - 1))" "$out" || { cat "$out" "$err" >&2; it_fail "$name: no 'Batch: $((n - 1))' after 10 s"; }
	sleep 0.5
	kill -0 "$spid" 2>/dev/null || { cat "$err" >&2; it_fail "$name: sluice stopped after the last section (expected it to keep running until SIGINT)"; }
	kill -INT "$spid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$spid" 2>/dev/null && it_fail "$name: sluice still runs 5 s after SIGINT"
	wait "$spid"
	rc=$?
	((rc == 0)) || { cat "$err" >&2; it_fail "$name: sluice exited $rc after SIGINT (expected 0)"; }
}

# --- word count, no column list ------------------------------------------
cat >"$IT_TMP/words.txt" <<'EOF'
a b a
c
---
b b
this line is longer than max_line_length
---
d a
EOF

wordcount_sql() {
	cat <<EOF
SET max_line_length = 24;
CREATE SOURCE lines WITH (connector = 'batches', path = '$IT_TMP/words.txt');

CREATE SINK word_counts
  WITH (connector = 'console', output_mode = '$1' $2)
AS SELECT word, count(*) AS count
   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
   GROUP BY word;
EOF
}

wordcount_sql update "" >"$IT_TMP/update.sql"
wordcount_sql complete ", trigger = 'available_now'" >"$IT_TMP/complete.sql"
run_until update "$IT_TMP/update.sql" 3
expect_batches update "$IT_TMP/update.out" 3
it_expect_batch update "$IT_TMP/update.out" 0 $'a\t2' $'b\t1' $'c\t1'
it_expect_batch update "$IT_TMP/update.out" 1 $'b\t3'
it_expect_batch update "$IT_TMP/update.out" 2 $'a\t3' $'d\t1'
[[ $(it_stat "$IT_TMP/update.err" rows_malformed) == 1 ]] || it_fail "update: stat rows_malformed is not 1"
[[ $(it_stat "$IT_TMP/update.err" rows_in) == 4 ]] || it_fail "update: stat rows_in is not 4"
[[ $(it_stat "$IT_TMP/update.err" bytes_in) == "$(wc -c <"$IT_TMP/words.txt")" ]] ||
	it_fail "update: stat bytes_in is not the size of the file"
it_log "update, default trigger: one batch per section, then running until SIGINT: ok"

# --- typed columns -------------------------------------------------------
# Sections: 1 (rows 1-3); 2 empty; 3 (4 bad rows of 5: an INT, a missing
# field, a TIMESTAMP; n empty is NULL); 4 every row bad; 5.
cat >"$IT_TMP/typed.txt" <<'EOF'
2024-01-01 12:00:00,a,1
2024-01-01 12:05:00,a,2
2024-01-01 12:06:30,b,3
---
---
2024-01-01 12:07:00,a,10
2024-01-01 12:08:00,b,seven
2024-01-01 12:09:00,c
noon,c,5
2024-01-01 12:10:00,c,
---
2024-13-01 12:00:00,d,1
---
2024-01-01T12:11:00Z,b,-4
2024-01-01 12:04:59,b,100
2024-01-01 12:12:00,null,7
EOF
cat >"$IT_TMP/typed.sql" <<EOF
CREATE SOURCE events (ts TIMESTAMP, word STRING, n INT)
  WITH (connector = 'batches', path = '$IT_TMP/typed.txt');

CREATE SINK totals WITH (connector = 'console', output_mode = 'update')
AS SELECT word, sum(n) AS total, max(ts) AS last
   FROM events
   WHERE ts >= CAST('2024-01-01 12:05:00' AS TIMESTAMP)
   GROUP BY word;
EOF
run_until typed "$IT_TMP/typed.sql" 3
expect_batches typed "$IT_TMP/typed.out" 3
it_expect_batch typed "$IT_TMP/typed.out" 0 $'a\t2\t2024-01-01 12:05:00' $'b\t3\t2024-01-01 12:06:30'
it_expect_batch typed "$IT_TMP/typed.out" 1 $'a\t12\t2024-01-01 12:07:00' $'c\tNULL\t2024-01-01 12:10:00'
it_expect_batch typed "$IT_TMP/typed.out" 2 $'b\t-1\t2024-01-01 12:11:00' $'NULL\t7\t2024-01-01 12:12:00'
[[ $(it_stat "$IT_TMP/typed.err" rows_malformed) == 4 ]] || it_fail "typed: stat rows_malformed is not 4"
[[ $(it_stat "$IT_TMP/typed.err" rows_in) == 8 ]] || it_fail "typed: stat rows_in is not 8"
it_log "typed columns: TIMESTAMP and INT converted, empty sections skipped, bad rows counted: ok"

# --- bad input -----------------------------------------------------------
{
	printf 'a\nb\n---\n'
	for ((i = 0; i < 1025; i++)); do printf 'w%d\n' "$i"; done
} >"$IT_TMP/big.txt"
sed "s|$IT_TMP/words.txt|$IT_TMP/big.txt|" "$IT_TMP/complete.sql" >"$IT_TMP/big.sql"
timeout 20 "$SLUICE" run "$IT_TMP/big.sql" >"$IT_TMP/big.out" 2>"$IT_TMP/big.err"
rc=$?
((rc == 1)) || { cat "$IT_TMP/big.err" >&2; it_fail "a section of 1025 rows: sluice exited $rc (expected 1)"; }
grep -q "big.txt: the section starting at line 4 has 1025 rows; at most 1024" "$IT_TMP/big.err" ||
	it_fail "a section of 1025 rows: the error does not name the file and line 4: $(cat "$IT_TMP/big.err")"
[[ -s $IT_TMP/big.out ]] && it_fail "a section of 1025 rows: sluice printed a batch"

sed "s|$IT_TMP/words.txt|$IT_TMP/missing.txt|" "$IT_TMP/complete.sql" >"$IT_TMP/missing.sql"
timeout 20 "$SLUICE" run "$IT_TMP/missing.sql" >/dev/null 2>"$IT_TMP/missing.err"
rc=$?
((rc == 1)) || it_fail "a missing file: sluice exited $rc (expected 1)"
grep -q "cannot read '$IT_TMP/missing.txt': No such file or directory" "$IT_TMP/missing.err" ||
	it_fail "a missing file: the error does not name the path and the reason: $(cat "$IT_TMP/missing.err")"

# plan-time errors: exit 2 and "FILE: line L, column C: ..."
plan_error() {
	local what=$1 opts=$2 want=$3 rc
	printf "CREATE SOURCE s WITH (connector = 'batches'%s);\nCREATE SINK k WITH (connector = 'console') AS SELECT value FROM s;\n" \
		"$opts" >"$IT_TMP/plan.sql"
	timeout 20 "$SLUICE" run "$IT_TMP/plan.sql" >/dev/null 2>"$IT_TMP/plan.err"
	rc=$?
	((rc == 2)) || it_fail "$what: sluice exited $rc (expected 2)"
	grep -qF "$IT_TMP/plan.sql: $want" "$IT_TMP/plan.err" ||
		it_fail "$what: expected '$want' in: $(cat "$IT_TMP/plan.err")"
}
plan_error "no path" "" "line 1, column 1: batches source 's' needs option 'path'"
plan_error "a long delimiter" ", path = 'x', delimiter = '::'" "line 1, column 58: option 'delimiter' must be one character"
plan_error "an unknown option" ", path = 'x', header = true" "line 1, column 58: unknown option 'header' for connector 'batches'"
it_log "bad input: refused with the file, line or option named: ok"

# --- available_now ---------------------------------------------------------
for cores in 1 2; do
	name="complete, $cores ingest core(s)"
	flags=()
	((cores == 2)) && flags=(--ingest-cores '0,0')
	run_available_now complete "$IT_TMP/complete.sql" "${flags[@]}"
	expect_batches "$name" "$IT_TMP/complete.out" 3
	it_expect_batch "$name" "$IT_TMP/complete.out" 0 $'a\t2' $'b\t1' $'c\t1'
	it_expect_batch "$name" "$IT_TMP/complete.out" 1 $'a\t2' $'b\t3' $'c\t1'
	it_expect_batch "$name" "$IT_TMP/complete.out" 2 $'a\t3' $'b\t3' $'c\t1' $'d\t1'
	[[ $(it_stat "$IT_TMP/complete.err" rows_malformed) == 1 ]] || it_fail "$name: stat rows_malformed is not 1"
	[[ $(it_stat "$IT_TMP/complete.err" batches) == 3 ]] || it_fail "$name: stat batches is not 3"
	it_log "$name, available_now: 3 batches, exit 0: ok"
done

# --- BINARY ----------------------------------------------------------------
# a BINARY column holds the field's bytes; grouped, max, length, a
# comparison with a string, CAST both ways and an X'..' literal; the console
# shows it as Spark's show() does ([68 65 6C 6C 6F]); the JSON file sink
# writes base64; a CSV file sink is refused at plan time
printf 'hello,1\nworld,2\nhello,3\n,4\n---\nab,5\nhello,6\n' >"$IT_TMP/bin.txt"
cat >"$IT_TMP/bin.sql" <<SQL
CREATE SOURCE s (b BINARY, n INT) WITH (connector = 'batches', path = '$IT_TMP/bin.txt');
CREATE SINK k WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT b, count(*) AS c, max(b) AS mx, length(b) AS len, CAST(b AS STRING) AS s
   FROM s WHERE b <> 'world' OR b IS NULL GROUP BY b;
CREATE SINK j WITH (connector = 'file', format = 'json', path = '$IT_TMP/bin_json',
                    checkpoint_location = '$IT_TMP/bin_ck', trigger = 'available_now')
AS SELECT b, CAST(CAST(n AS STRING) AS BINARY) AS nb, concat(b, X'21') AS bang FROM s WHERE n < 3;
SQL
run_available_now binary "$IT_TMP/bin.sql"
it_expect_batch "binary" "$IT_TMP/binary.out" 0 $'[68 65 6C 6C 6F]\t2\t[68 65 6C 6C 6F]\t5\thello' \
	$'NULL\t1\tNULL\tNULL\tNULL'
it_expect_batch "binary" "$IT_TMP/binary.out" 1 $'[68 65 6C 6C 6F]\t3\t[68 65 6C 6C 6F]\t5\thello' \
	$'NULL\t1\tNULL\tNULL\tNULL' $'[61 62]\t1\t[61 62]\t2\tab'
it_sink_rows "$IT_TMP/bin_json" | sort >"$IT_TMP/bin_json.got"
printf '%s\n' '{"b":"aGVsbG8=","nb":"MQ==","bang":"aGVsbG8h"}' \
	'{"b":"d29ybGQ=","nb":"Mg==","bang":"d29ybGQh"}' | sort >"$IT_TMP/bin_json.want"
it_same "$IT_TMP/bin_json.want" "$IT_TMP/bin_json.got" "binary: the JSON sink's rows (base64)"
printf "CREATE SOURCE s (b BINARY) WITH (connector = 'batches', path = 'x');\nCREATE SINK k WITH (connector = 'file', format = 'csv', path = '%s') AS SELECT b FROM s;\n" \
	"$IT_TMP/bin_csv" >"$IT_TMP/bin_csv.sql"
timeout 20 "$SLUICE" run "$IT_TMP/bin_csv.sql" >/dev/null 2>"$IT_TMP/bin_csv.err"
rc=$?
((rc == 2)) || it_fail "binary csv: sluice exited $rc (expected 2)"
grep -qF 'The CSV datasource doesn'"'"'t support the column `b` of the type "BINARY".' "$IT_TMP/bin_csv.err" ||
	it_fail "binary csv: expected the CSV refusal in: $(cat "$IT_TMP/bin_csv.err")"
it_log "binary: groups, max, length, casts, show() text, JSON base64, CSV refused: ok"
exit 0
