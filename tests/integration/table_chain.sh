#!/usr/bin/env bash
#
# table_chain — two queries chained through a table (connector = 'table',
# Spark's toTable / readStream.table):
#   1. sales in scripted micro-batches (a `batches` source, event time with
#      a watermark) -> per-counter totals per 15-minute window, append mode,
#      into a table partitioned by store; a last sale hours later moves the
#      watermark past every window, so each is written once;
#   2. the table streamed -> store totals (complete mode) on the console,
#      compared exactly with totals computed here from the input.
# Run one after the other (available_now, the reader taking its columns
# from the table), then both at once in one process (the reader declares
# the columns and waits for the table; its last printed table must reach
# the expected totals). Also: a second writer with other columns is
# refused, and a table source without columns over a missing table is
# refused before anything starts.
# Amounts are multiples of 0.25, so double sums are exact in any order.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout

# 8 sections of 60 sales over 2 hours of shop time (in time order, so none
# is late), stores 1..5, counters 1..20 (counter c in store (c-1)%5+1),
# then one sale at 23:00 whose window stays open.
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

# store <TAB> total (as Double.toString prints an exact sum) <TAB> sales
awk -F, 'NF == 4 && $1 != 9 { tot[$1] += $3; n[$1]++ }
	END { for (s in tot) { x = sprintf("%.2f", tot[s]); sub(/0+$/, "", x); sub(/\.$/, ".0", x)
	      printf "%s\t%s\t%d\n", s, x, n[s] } }' "$IT_TMP/sales.txt" | sort -n >"$IT_TMP/want"
(($(wc -l <"$IT_TMP/want") == 5)) || it_fail "the generated input does not cover 5 stores"

writer_sql() { # $1 trigger option ('' or "trigger = 'available_now',")
	cat <<EOF
CREATE SOURCE sales (store INT, counter INT, amount DOUBLE, ts TIMESTAMP)
  WITH (connector = 'batches', path = '$IT_TMP/sales.txt')
  WATERMARK ts DELAY '10 minutes';
CREATE SINK counter_totals
  WITH (connector = 'table', path = '$IT_TMP/tables/counter_totals', $1
        partition_by = 'store')
AS SELECT w.start AS window_start, store, counter, total, n
   FROM (SELECT window(ts, '15 minutes') AS w, store, counter,
                sum(amount) AS total, count(*) AS n
         FROM sales
         GROUP BY window(ts, '15 minutes'), store, counter);
EOF
}

reader_sql() { # $1 column list, $2 trigger option
	cat <<EOF
CREATE SOURCE t $1 WITH (connector = 'table', path = '$IT_TMP/tables/counter_totals');
CREATE SINK store_totals
  WITH (connector = 'console', output_mode = 'complete', truncate = false, $2 num_rows = 100)
AS SELECT store, sum(total) AS total, sum(n) AS n FROM t GROUP BY store ORDER BY store;
EOF
}

# --- one after the other -------------------------------------------------
writer_sql "trigger = 'available_now'," >"$IT_TMP/w.sql"
timeout 60 "$SLUICE" run "$IT_TMP/w.sql" >"$IT_TMP/w.out" 2>"$IT_TMP/w.err" ||
	{ cat "$IT_TMP/w.err" >&2; it_fail "writer failed"; }
tbl=$IT_TMP/tables/counter_totals
head -n 2 "$tbl/_sluice_table" | tail -n 1 | grep -q '^{"format":"json","columns":5,"partition_columns":1,' ||
	{ cat "$tbl/_sluice_table" >&2; it_fail "the table's metadata"; }
for s in 1 2 3 4 5; do
	[[ -d $tbl/store=$s ]] || it_fail "no partition directory store=$s"
done
[[ -d $tbl/store=9 ]] && it_fail "the open window of the last sale was written"
grep -rhq '"window_start":"2024-03-01T09:00:00.000000Z","counter":' "$tbl"/store=* ||
	it_fail "rows of the table are not as expected: $(cat "$tbl"/store=1/* | head -n 2)"

reader_sql "" "trigger = 'available_now'," >"$IT_TMP/r.sql"
timeout 60 "$SLUICE" run "$IT_TMP/r.sql" >"$IT_TMP/r.out" 2>"$IT_TMP/r.err" ||
	{ cat "$IT_TMP/r.err" >&2; it_fail "reader failed"; }
it_last_table "$IT_TMP/r.out" >"$IT_TMP/got"
it_same "$IT_TMP/want" "$IT_TMP/got" "store totals read from the table"

# --- both at once, in one process -------------------------------------
rm -rf "$IT_TMP/tables"
{
	writer_sql ""
	reader_sql "(window_start TIMESTAMP, store INT, counter INT, total DOUBLE, n BIGINT)" ""
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
	sleep 0.05
done
((ok)) || {
	cat "$IT_TMP/both.err" >&2
	it_last_table "$IT_TMP/both.out" >"$IT_TMP/both.got"
	it_same "$IT_TMP/want" "$IT_TMP/both.got" "store totals streamed from the table while it is written"
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

# --- a CSV table partitioned by store: its rows parsed a burst at a time,
# the partition value from each file's directory ----------------------------
mkdir -p "$IT_TMP/csvin"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%d,%d,%d.5\n", i % 3, i, i % 7 }' >"$IT_TMP/csvin/a.csv"
cat >"$IT_TMP/csvw.sql" <<EOF
CREATE SOURCE s (store INT, counter INT, amount DOUBLE)
  WITH (connector = 'file', path = '$IT_TMP/csvin', format = 'csv');
CREATE SINK t WITH (connector = 'table', path = '$IT_TMP/csvtbl', format = 'csv',
                    partition_by = 'store', trigger = 'available_now')
AS SELECT * FROM s;
EOF
cat >"$IT_TMP/csvr.sql" <<EOF
CREATE SOURCE t (store INT, counter INT, amount DOUBLE) WITH (connector = 'table', path = '$IT_TMP/csvtbl');
CREATE SINK o WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT store, count(*) AS n, sum(counter) AS c, sum(amount) AS a FROM t GROUP BY store ORDER BY store;
EOF
timeout 60 "$SLUICE" run "$IT_TMP/csvw.sql" >/dev/null 2>"$IT_TMP/csvw.err" ||
	{ cat "$IT_TMP/csvw.err" >&2; it_fail "writing the CSV table failed"; }
timeout 60 "$SLUICE" run "$IT_TMP/csvr.sql" >"$IT_TMP/csvr.out" 2>"$IT_TMP/csvr.err" ||
	{ cat "$IT_TMP/csvr.err" >&2; it_fail "reading the CSV table failed"; }
got=$(it_last_table "$IT_TMP/csvr.out" | tr '\t\n' ' ;')
want=$(awk 'BEGIN { for (i = 0; i < 3000; i++) { n[i % 3]++; c[i % 3] += i; a[i % 3] += i % 7 + 0.5 }
	for (s = 0; s < 3; s++) printf "%d %d %d %.1f;", s, n[s], c[s], a[s] }')
[[ $got == "$want" ]] || it_fail "the CSV table's sums per store: '$got', wanted '$want'"
it_log "a partitioned CSV table read back: ok"

# --- refusals ------------------------------------------------------------
cat >"$IT_TMP/other.sql" <<EOF
CREATE SOURCE sales (store INT, counter INT, amount DOUBLE, ts TIMESTAMP)
  WITH (connector = 'batches', path = '$IT_TMP/sales.txt');
CREATE SINK other WITH (connector = 'table', path = '$tbl', partition_by = 'store',
                        trigger = 'available_now')
AS SELECT store, counter, amount FROM sales;
EOF
timeout 60 "$SLUICE" run "$IT_TMP/other.sql" >/dev/null 2>"$IT_TMP/other.err"
rc=$?
((rc == 1)) || { cat "$IT_TMP/other.err" >&2; it_fail "a second writer with other columns: exit $rc (expected 1)"; }
grep -qF "has the columns (window_start TIMESTAMP, store INT, counter INT, total DOUBLE, n BIGINT) in format json, partitioned by (store), and this query writes (store INT, counter INT, amount DOUBLE) in format json, partitioned by (store): a table keeps the schema it was created with" "$IT_TMP/other.err" ||
	{ cat "$IT_TMP/other.err" >&2; it_fail "a second writer with other columns: not the expected message"; }

reader_sql "" "trigger = 'available_now'," | sed "s|tables/counter_totals|tables/missing|" >"$IT_TMP/missing.sql"
timeout 60 "$SLUICE" run "$IT_TMP/missing.sql" >/dev/null 2>"$IT_TMP/missing.err"
rc=$?
((rc == 2)) || { cat "$IT_TMP/missing.err" >&2; it_fail "a missing table: exit $rc (expected 2)"; }
grep -qF "does not exist yet (no _sluice_table there), so source 't' has no columns to take" "$IT_TMP/missing.err" ||
	{ cat "$IT_TMP/missing.err" >&2; it_fail "a missing table: not the expected message"; }

it_log "ok"
