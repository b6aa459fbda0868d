#!/usr/bin/env bash
#
# s3_table — the table sink and the table source on s3:// paths (a table
# is data objects, a commit log under prefix/_sluice_log/ and the
# prefix/_sluice_table metadata object), against s3rver on loopback:
#   1. sales in scripted micro-batches -> per-counter totals per 15-minute
#      window, append mode, into a table on S3 partitioned by store;
#   2. the table streamed -> store totals (complete mode) on the console:
#      exactly the totals computed here from the input, and exactly what
#      the same two queries print over a local table.
# Run one after the other (available_now, the reader taking its columns
# from the table's metadata object), then both at once in one process (the
# reader declares the columns and waits for the table). Also: a leftover
# object of a failed attempt under the table is never read; the secret key
# given as an option never shows in the output, the errors or the
# checkpoint; a second writer with other columns, a file sink onto the
# table, a table sink onto a file sink's output, and a table source
# without columns over a missing table are refused with what to do.
# Amounts are multiples of 0.25, so double sums are exact in any order.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout
it_s3_start bkt

awk 'BEGIN {
	srand(11)
	t = 0
	for (s = 0; s < 8; s++) {
		if (s) print "---"
		for (i = 0; i < 60; i++) {
			t += int(rand() * 15)
			c = 1 + int(rand() * 20)
			st = (c - 1) % 5 + 1
			amt = (1 + int(rand() * 4000)) / 4
			printf "%d,%d,%.2f,2024-03-01 %02d:%02d:%02d\n", st, c, amt,
				9 + int(t / 3600), int(t / 60) % 60, t % 60
		}
	}
	print "---"
	print "9,99,1.00,2024-03-01 23:00:00"
}' >"$IT_TMP/sales.txt"

awk -F, 'NF == 4 && $1 != 9 { tot[$1] += $3; n[$1]++ }
	END { for (s in tot) { x = sprintf("%.2f", tot[s]); sub(/0+$/, "", x); sub(/\.$/, ".0", x)
	      printf "%s\t%s\t%d\n", s, x, n[s] } }' "$IT_TMP/sales.txt" | sort -n >"$IT_TMP/want"
(($(wc -l <"$IT_TMP/want") == 5)) || it_fail "the generated input does not cover 5 stores"

S3OPTS="s3.endpoint = '$S3_ENDPOINT', s3.path_style = true"
# the reader gives its credentials as options: the secret must never show
# (s3rver checks the key id only)
SECRET=s3tab-secret-4711
S3READ="$S3OPTS, s3.access_key = 'S3RVER', s3.secret_key = '$SECRET'"

writer_sql() { # $1 path, $2 trigger option, $3 s3 options
	cat <<EOF
CREATE SOURCE sales (store INT, counter INT, amount DOUBLE, ts TIMESTAMP)
  WITH (connector = 'batches', path = '$IT_TMP/sales.txt')
  WATERMARK ts DELAY '10 minutes';
CREATE SINK counter_totals
  WITH (connector = 'table', path = '$1', $2
        partition_by = 'store' $3)
AS SELECT w.start AS window_start, store, counter, total, n
   FROM (SELECT window(ts, '15 minutes') AS w, store, counter,
                sum(amount) AS total, count(*) AS n
         FROM sales
         GROUP BY window(ts, '15 minutes'), store, counter);
EOF
}

reader_sql() { # $1 path, $2 column list, $3 trigger option, $4 s3 options, $5 checkpoint
	cat <<EOF
CREATE SOURCE t $2 WITH (connector = 'table', path = '$1' $4);
CREATE SINK store_totals
  WITH (connector = 'console', output_mode = 'complete', truncate = false, $3 num_rows = 100 $5)
AS SELECT store, sum(total) AS total, sum(n) AS n FROM t GROUP BY store ORDER BY store;
EOF
}

run() { # NAME: runs $IT_TMP/NAME.sql to the end
	timeout 90 "$SLUICE" run "$IT_TMP/$1.sql" >"$IT_TMP/$1.out" 2>"$IT_TMP/$1.err" ||
		{ cat "$IT_TMP/$1.err" >&2; it_fail "$1 failed"; }
}

# --- the same chain over a local table, for comparison -------------------------
writer_sql "$IT_TMP/local/ct" "trigger = 'available_now'," "" >"$IT_TMP/lw.sql"
reader_sql "$IT_TMP/local/ct" "" "trigger = 'available_now'," "" "" >"$IT_TMP/lr.sql"
run lw
run lr
it_last_table "$IT_TMP/lr.out" >"$IT_TMP/local.got"
it_same "$IT_TMP/want" "$IT_TMP/local.got" "store totals over the local table"

# --- one after the other, on S3 ----------------------------------------------
writer_sql "s3://bkt/tables/ct" "trigger = 'available_now'," ", $S3OPTS" >"$IT_TMP/w.sql"
run w
it_s3 cat s3://bkt/tables/ct/_sluice_table | head -n 2 | tail -n 1 |
	grep -q '^{"format":"json","columns":5,"partition_columns":1,' || it_fail "the table's metadata object"
it_s3 ls s3://bkt/tables/ct/ >"$IT_TMP/ls.out"
for s in 1 2 3 4 5; do
	grep -q "tables/ct/store=$s/part-" "$IT_TMP/ls.out" || it_fail "no objects under store=$s/: $(cat "$IT_TMP/ls.out")"
done
grep -q "tables/ct/store=9/" "$IT_TMP/ls.out" && it_fail "the open window of the last sale was written"
grep -q "tables/ct/_sluice_log/0" "$IT_TMP/ls.out" || it_fail "no commit log entry 0"
# a failed attempt's leftover under a partition: not in the log, never read
printf '{"window_start":"2024-03-01T09:00:00.000000Z","counter":1,"total":100000.0,"n":1000}\n' |
	it_s3 put s3://bkt/tables/ct/store=1/part-00000-999999.json - || it_fail "upload of the orphan failed"
reader_sql "s3://bkt/tables/ct" "" "trigger = 'available_now'," ", $S3READ" ", checkpoint = '$IT_TMP/ck-r'" >"$IT_TMP/r.sql"
run r
it_last_table "$IT_TMP/r.out" >"$IT_TMP/got"
it_same "$IT_TMP/want" "$IT_TMP/got" "store totals read from the table on S3"
cmp -s "$IT_TMP/local.got" "$IT_TMP/got" || it_fail "the table on S3 gives other totals than the local one"
grep -rqF "$SECRET" "$IT_TMP/r.out" "$IT_TMP/r.err" "$IT_TMP/ck-r" && it_fail "the secret key shows in the output or the checkpoint"
it_log "chained through a table on S3 one after the other, the local results: ok"

# --- both at once, in one process ---------------------------------------------
{
	writer_sql "s3://bkt/tables/ct2" "" ", $S3OPTS"
	reader_sql "s3://bkt/tables/ct2" "(window_start TIMESTAMP, store INT, counter INT, total DOUBLE, n BIGINT)" "" ", $S3OPTS" ""
} >"$IT_TMP/both.sql"
"$SLUICE" run "$IT_TMP/both.sql" >"$IT_TMP/both.out" 2>"$IT_TMP/both.err" &
BG=$!
it_track "$BG"
ok=0
for ((i = 0; i < 600; i++)); do
	if it_last_table "$IT_TMP/both.out" 2>/dev/null | cmp -s - "$IT_TMP/want"; then
		ok=1
		break
	fi
	kill -0 "$BG" 2>/dev/null || break
	sleep 0.1
done
((ok)) || {
	cat "$IT_TMP/both.err" >&2
	it_last_table "$IT_TMP/both.out" >"$IT_TMP/both.got"
	it_same "$IT_TMP/want" "$IT_TMP/both.got" "store totals streamed from the table on S3 while it is written"
}
kill -INT "$BG"
for ((i = 0; i < 400; i++)); do
	kill -0 "$BG" 2>/dev/null || break
	sleep 0.05
done
kill -0 "$BG" 2>/dev/null && it_fail "sluice still runs 20 s after SIGINT"
wait "$BG"
rc=$?
((rc == 0)) || { cat "$IT_TMP/both.err" >&2; it_fail "exit $rc after SIGINT (expected 0)"; }
it_log "streamed from the table on S3 while it is written: ok"

# --- refusals ---------------------------------------------------------------
refuse() { # NAME EXIT MESSAGE
	timeout 60 "$SLUICE" run "$IT_TMP/$1.sql" >/dev/null 2>"$IT_TMP/$1.err"
	local rc=$?
	((rc == $2)) || { cat "$IT_TMP/$1.err" >&2; it_fail "$1: exit $rc (expected $2)"; }
	grep -qF -- "$3" "$IT_TMP/$1.err" || { cat "$IT_TMP/$1.err" >&2; it_fail "$1: not the expected message"; }
}
cat >"$IT_TMP/other.sql" <<EOF
CREATE SOURCE sales (store INT, counter INT, amount DOUBLE, ts TIMESTAMP)
  WITH (connector = 'batches', path = '$IT_TMP/sales.txt');
CREATE SINK other WITH (connector = 'table', path = 's3://bkt/tables/ct', partition_by = 'store',
                        trigger = 'available_now', $S3OPTS)
AS SELECT store, counter, amount FROM sales;
EOF
refuse other 1 "has the columns (window_start TIMESTAMP, store INT, counter INT, total DOUBLE, n BIGINT) in format json, partitioned by (store), and this query writes (store INT, counter INT, amount DOUBLE) in format json, partitioned by (store): a table keeps the schema it was created with"
sed -e "s#connector = 'table', path = 's3://bkt/tables/ct', partition_by = 'store',#connector = 'file', format = 'csv', path = 's3://bkt/tables/ct',#" \
	"$IT_TMP/other.sql" >"$IT_TMP/filesink.sql"
refuse filesink 1 "'s3://bkt/tables/ct' is a table (it has _sluice_table); write it with connector = 'table'"
sed -e "s#connector = 'table', path = 's3://bkt/tables/ct', partition_by = 'store',#connector = 'file', format = 'csv', path = 's3://bkt/files/out',#" \
	"$IT_TMP/other.sql" >"$IT_TMP/files.sql"
run files
sed -e "s#s3://bkt/tables/ct'#s3://bkt/files/out'#" "$IT_TMP/other.sql" >"$IT_TMP/ontofiles.sql"
refuse ontofiles 1 "holds a file sink's output (a commit log without _sluice_table), not a table"
reader_sql "s3://bkt/tables/missing" "" "trigger = 'available_now'," ", $S3OPTS" "" >"$IT_TMP/missing.sql"
refuse missing 2 "does not exist yet (no _sluice_table there), so source 't' has no columns to take"
it_log "refusals: ok"
