#!/usr/bin/env bash
#
# rate — Spark's rate source (connector = 'rate'):
#   1. rows_per_second = 200, rows = 600, trigger = 'available_now', two
#      ingest threads over three partitions: exactly the values 0..599, each
#      once; row v's timestamp is the first one's + v * 5 ms (Spark's
#      start + v * 1000 / rowsPerSecond ms), so they rise with the value and
#      span 2.995 s; the query takes about that long (rows are not handed
#      over before their timestamp) and then ends by itself;
#   2. GROUP BY value % 10 over 1000 rows at 1000 a second (Spark's names,
#      rowsPerSecond): 100 rows a group, min k, max 990 + k; and a ramp-up
#      (rampUpTime = '2s'), every timestamp against Spark's valueAtSecond;
#   3. a windowed count with WATERMARK timestamp DELAY '1 second' in append
#      mode, trigger = '1 second', rate 200: windows of 1 second are
#      emitted as the watermark passes them, in more than one batch, each
#      with 200 rows (the first may be short: the start is not on a second)
#      and the rows of consecutive values; runs alongside 1 and 2;
#   4. plan-time errors (exit 2, "line L, column C"): rows_per_second = 0,
#      a bad ramp_up_time, a wrong column list, available_now without rows.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk timeout sort python3

# 3 starts first, in the background: it runs in real time for ~5 s.
cat >"$IT_TMP/win.sql" <<'SQL'
CREATE SOURCE r WITH (connector = 'rate', rows_per_second = 200)
  WATERMARK timestamp DELAY '1 second';
CREATE SINK o
  WITH (connector = 'console', output_mode = 'append', trigger = '1 second', truncate = false)
AS SELECT window(timestamp, '1 second') AS w, count(*) AS n, min(value) AS lo, max(value) AS hi
   FROM r
   GROUP BY window(timestamp, '1 second');
SQL
"$SLUICE" run "$IT_TMP/win.sql" --stats >"$IT_TMP/win.out" 2>"$IT_TMP/win.err" &
win_pid=$!
it_track "$win_pid"

# 1. values and timestamps, row by row; two ingest threads on one CPU this
# process may use.
c0=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
cat >"$IT_TMP/rows.sql" <<SQL
SET ingest_cores = '$c0,$c0';
CREATE SOURCE r WITH (connector = 'rate', rows_per_second = 200, rows = 600, num_partitions = 3);
CREATE SINK o
  WITH (connector = 'console', trigger = 'available_now', num_rows = 1000, truncate = false)
AS SELECT value, timestamp FROM r;
SQL
timeout 30 "$SLUICE" run "$IT_TMP/rows.sql" --stats >"$IT_TMP/rows.out" 2>"$IT_TMP/rows.err"
rc=$?
((rc == 124)) && it_fail "rows = 600: sluice still ran after 30 s (available_now must end after the last row)"
((rc == 0)) || { cat "$IT_TMP/rows.err" >&2; it_fail "rows = 600: sluice exited $rc"; }
[[ $(it_stat "$IT_TMP/rows.err" rows_in) == 600 ]] || it_fail "rows = 600: stat rows_in is not 600"
it_last_table "$IT_TMP/rows.out" >"$IT_TMP/rows.tsv"
python3 - "$IT_TMP/rows.tsv" "$(it_stat "$IT_TMP/rows.err" elapsed_s)" <<'PY' || it_fail "rows = 600: see above"
import sys
from datetime import datetime
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def ms(t):
    d = datetime.strptime(t, "%Y-%m-%d %H:%M:%S.%f" if "." in t else "%Y-%m-%d %H:%M:%S")
    return round(d.timestamp() * 1000)
vals = sorted(int(r[0]) for r in rows)
if vals != list(range(600)):
    sys.exit(f"values are not 0..599 each once: {len(vals)} rows, {len(set(vals))} distinct, "
             f"min {min(vals)}, max {max(vals)}")
ts = {int(r[0]): ms(r[1]) for r in rows}
bad = [v for v in range(600) if ts[v] - ts[0] != v * 5]
if bad:
    v = bad[0]
    sys.exit(f"row {v}: timestamp {ts[v] - ts[0]} ms after row 0's, want {v * 5} "
             f"(start + v * 1000 / 200 ms); {len(bad)} rows off")
span = ts[599] - ts[0]
elapsed = float(sys.argv[2])
if not 2.9 <= elapsed < 20:
    sys.exit(f"the query took {elapsed} s; rows paced at 200 a second take about 3 s")
print(f"rate: 600 rows, values 0..599 once each, timestamps v * 5 ms apart, span {span} ms, "
      f"{elapsed:.2f} s", file=sys.stderr)
PY
it_log "rows = 600 at 200 a second: ok"

# 2. value % 10 groups, Spark's option names.
cat >"$IT_TMP/mod.sql" <<'SQL'
CREATE SOURCE r WITH (connector = 'rate', rowsPerSecond = 1000, rows = 1000, numPartitions = 4);
CREATE SINK o
  WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT value % 10 AS k, count(*) AS n, min(value) AS lo, max(value) AS hi
   FROM r GROUP BY value % 10 ORDER BY k;
SQL
timeout 30 "$SLUICE" run "$IT_TMP/mod.sql" >"$IT_TMP/mod.out" 2>"$IT_TMP/mod.err" ||
	{ cat "$IT_TMP/mod.err" >&2; it_fail "value % 10: sluice failed"; }
it_last_table "$IT_TMP/mod.out" >"$IT_TMP/mod.got"
for k in 0 1 2 3 4 5 6 7 8 9; do printf '%s\t100\t%s\t%s\n' "$k" "$k" "$((990 + k))"; done >"$IT_TMP/mod.want"
it_same "$IT_TMP/mod.want" "$IT_TMP/mod.got" "value % 10: count, min, max of each group"
it_log "GROUP BY value % 10 over 1000 rows: ok"

# 2b. ramp-up (Spark's names): rows_per_second = 10 reached after 2 seconds;
# every timestamp against Spark's valueAtSecond, written again here.
cat >"$IT_TMP/ramp.sql" <<'SQL'
CREATE SOURCE r WITH (connector = 'rate', rowsPerSecond = 10, rampUpTime = '2s', rows = 12);
CREATE SINK o
  WITH (connector = 'console', trigger = 'available_now', truncate = false)
AS SELECT value, timestamp FROM r;
SQL
timeout 30 "$SLUICE" run "$IT_TMP/ramp.sql" >"$IT_TMP/ramp.out" 2>"$IT_TMP/ramp.err" ||
	{ cat "$IT_TMP/ramp.err" >&2; it_fail "ramp-up: sluice failed"; }
it_last_table "$IT_TMP/ramp.out" >"$IT_TMP/ramp.tsv"
python3 - "$IT_TMP/ramp.tsv" <<'PY' || it_fail "ramp-up: see above"
import sys
from datetime import datetime
def value_at_second(s, rps, ramp):  # RateStreamProvider.valueAtSecond
    delta = rps // (ramp + 1)
    if s <= ramp:
        return delta * s * (s + 1) // 2
    return value_at_second(ramp, rps, ramp) + (s - ramp) * rps
def due_ms(v, rps, ramp):
    s = 0
    while value_at_second(s + 1, rps, ramp) <= v:
        s += 1
    first, n = value_at_second(s, rps, ramp), value_at_second(s + 1, rps, ramp) - value_at_second(s, rps, ramp)
    return s * 1000 + ((v - first) * 2000 + n) // (2 * n)  # Math.round(i * 1000.0 / n)
def ms(t):
    d = datetime.strptime(t, "%Y-%m-%d %H:%M:%S.%f" if "." in t else "%Y-%m-%d %H:%M:%S")
    return round(d.timestamp() * 1000)
ts = {int(r[0]): ms(r[1]) for r in (l.rstrip("\n").split("\t") for l in open(sys.argv[1]))}
if sorted(ts) != list(range(12)):
    sys.exit(f"values {sorted(ts)}, want 0..11")
got = [ts[v] - ts[0] for v in range(12)]
want = [due_ms(v, 10, 2) for v in range(12)]
if got != want:
    sys.exit(f"timestamps after row 0's: {got}, want {want}")
PY
it_log "ramp-up: timestamps as Spark's valueAtSecond: ok"

# 4. plan-time errors.
# $1 = what, $2 = the SQL, $3 = a part of the message (after "line L, column C: ").
expect_error() {
	printf '%s\n' "$2" >"$IT_TMP/bad.sql"
	timeout 10 "$SLUICE" run "$IT_TMP/bad.sql" >"$IT_TMP/bad.out" 2>"$IT_TMP/bad.err"
	local rc=$?
	((rc == 2)) || { cat "$IT_TMP/bad.err" >&2; it_fail "$1: sluice exited $rc (expected 2)"; }
	grep -q "error: .*: line [0-9][0-9]*, column [0-9][0-9]*: .*$3" "$IT_TMP/bad.err" ||
		{ cat "$IT_TMP/bad.err" >&2; it_fail "$1: no 'line L, column C: ...$3' message"; }
	[[ -s $IT_TMP/bad.out ]] && it_fail "$1: something was printed on stdout"
	it_log "$1: refused: ok"
}
sink="CREATE SINK o WITH (connector = 'console') AS SELECT * FROM r;"
expect_error "rows_per_second = 0" \
	"CREATE SOURCE r WITH (connector = 'rate', rows_per_second = 0); $sink" \
	"option 'rows_per_second' must be a whole number of rows greater than 0"
expect_error "ramp_up_time = 'soon'" \
	"CREATE SOURCE r WITH (connector = 'rate', ramp_up_time = 'soon'); $sink" \
	"option 'ramp_up_time' must be a duration"
expect_error "a column list other than Spark's" \
	"CREATE SOURCE r (value STRING) WITH (connector = 'rate'); $sink" \
	"the rate connector makes the columns (timestamp TIMESTAMP, value BIGINT)"
expect_error "available_now on an endless rate source" \
	"CREATE SOURCE r WITH (connector = 'rate');
CREATE SINK o WITH (connector = 'console', trigger = 'available_now') AS SELECT * FROM r;" \
	"a rate source never runs out of rows"

# 3. the windows: stop the query after ~5.5 s of running.
for ((i = 0; i < 100; i++)); do
	(($(it_count_batches "$IT_TMP/win.out") >= 6)) && break
	kill -0 "$win_pid" 2>/dev/null || break
	sleep 0.1
done
kill -INT "$win_pid"
wait "$win_pid"
rc=$?
((rc == 0)) || { cat "$IT_TMP/win.err" >&2; it_fail "windows: sluice exited $rc after SIGINT (expected 0)"; }
# "batch<TAB>lo<TAB>hi<TAB>n" for every emitted window, in value order
awk '/^Batch: / { b = $2; next }
     /^\|\{/ { gsub(/ *\| */, "|"); split($0, f, "|"); print b "\t" f[4] "\t" f[5] "\t" f[3] }' \
	"$IT_TMP/win.out" | sort -t "$(printf '\t')" -k2,2n >"$IT_TMP/win.rows"
nwin=$(wc -l <"$IT_TMP/win.rows")
((nwin >= 3)) || { cat "$IT_TMP/win.out" >&2; it_fail "windows: $nwin windows emitted in ~5 s (expected at least 3)"; }
awk -F '\t' '
	NR == 1 && ($2 != 0 || $4 < 1 || $4 > 200) { print "the first window holds " $4 " rows from value " $2; bad = 1 }
	NR > 1 && $4 != 200 { print "window " NR " holds " $4 " rows, not 200"; bad = 1 }
	$3 - $2 + 1 != $4 { print "window " NR ": values " $2 ".." $3 " are not " $4 " consecutive values"; bad = 1 }
	NR > 1 && $2 != hi + 1 { print "window " NR " starts at value " $2 ", not " hi + 1; bad = 1 }
	{ hi = $3; batch[$1] = 1 }
	END { n = 0; for (b in batch) n++
	      if (n < 2) { print "every window came in one batch"; bad = 1 }
	      exit bad }' "$IT_TMP/win.rows" || { cat "$IT_TMP/win.out" >&2; it_fail "windows: see above"; }
[[ $(it_stat "$IT_TMP/win.err" rows_dropped_by_watermark) == 0 ]] ||
	it_fail "windows: rows were dropped as late (the rate source's rows are in order)"
it_log "windowed count with WATERMARK: $nwin windows of 200 rows, in several batches: ok"
exit 0
