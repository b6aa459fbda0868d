#!/usr/bin/env bash
#
# windows_bad_input — bad event times in a windowed query with a watermark:
#   - a NULL event time: the row is counted in, joins no window, and
#     `stat rows_null_event_time` says how many;
#   - an event time that does not parse: the batches source counts it as
#     malformed and skips it (stat rows_malformed);
#   - an event time two days ahead: Spark's semantics stand (the watermark
#     jumps, the later rows of the old days are dropped as late), but a
#     warning names the source, the row and both times, and the late rows
#     are counted;
# and a query that outputs an ARRAY (no longer refused: record blocks carry
# arrays) prints it as Spark's show() does.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require grep timeout

cat >"$IT_TMP/in.txt" <<'EOF_IN'
2024-01-01 12:00:10,a
null,b
2024-01-01 12:00:20,a
not a time,c
---
2024-01-03 12:00:00,far
---
2024-01-01 12:00:30,a
2024-01-01 12:00:40,a
EOF_IN
cat >"$IT_TMP/q.sql" <<SQL
CREATE SOURCE ev (ts TIMESTAMP, k STRING)
  WITH (connector = 'batches', path = '$IT_TMP/in.txt')
  WATERMARK ts DELAY '10 minutes';
CREATE SINK o WITH (connector = 'console', output_mode = 'update', trigger = 'available_now',
                    truncate = false)
AS SELECT window(ts, '1 minute') AS w, k, count(*) AS n FROM ev GROUP BY window(ts, '1 minute'), k;
SQL
timeout 60 "$SLUICE" run "$IT_TMP/q.sql" --stats >"$IT_TMP/out" 2>"$IT_TMP/err" ||
	{ cat "$IT_TMP/err" >&2; it_fail "sluice failed"; }

[[ $(it_stat "$IT_TMP/err" rows_in) == 6 ]] || it_fail "stat rows_in is not 6 (the NULL row counts in)"
[[ $(it_stat "$IT_TMP/err" rows_null_event_time) == 1 ]] || it_fail "stat rows_null_event_time is not 1"
[[ $(it_stat "$IT_TMP/err" rows_malformed) == 1 ]] || it_fail "stat rows_malformed is not 1"
[[ $(it_stat "$IT_TMP/err" rows_dropped_by_watermark) == 2 ]] ||
	it_fail "stat rows_dropped_by_watermark is not 2 (the two rows after the jump)"
grep -q '|b |' "$IT_TMP/out" && it_fail "the row with a NULL event time reached a window"
grep -q "sluice: source 'ev': warning: row 3 (counting from 0 on ingest core 0) has event time 2024-01-03 12:00:00, more than a day after the latest before it (2024-01-01 12:00:20)" "$IT_TMP/err" || {
	cat "$IT_TMP/err" >&2
	it_fail "no warning naming the source, the row and both times of the jump"
}
it_log "NULL, unparseable and far-future event times: counted, warned: ok"

cat >"$IT_TMP/arr.sql" <<SQL
CREATE SOURCE ev (ts TIMESTAMP, k STRING) WITH (connector = 'batches', path = '$IT_TMP/in.txt');
CREATE SINK o WITH (connector = 'console', trigger = 'available_now', truncate = false)
AS SELECT k, split(concat(k, ',x'), ',') AS parts FROM ev WHERE k = 'far';
SQL
timeout 20 "$SLUICE" run "$IT_TMP/arr.sql" --no-socket >"$IT_TMP/arr.out" 2>"$IT_TMP/arr.err" ||
	{ cat "$IT_TMP/arr.err" >&2; it_fail "an ARRAY output: sluice failed"; }
grep -qF '|far|[far, x]|' "$IT_TMP/arr.out" ||
	{ cat "$IT_TMP/arr.out" >&2; it_fail "an ARRAY output: not printed as [far, x]"; }
it_log "an ARRAY output is printed as Spark shows it: ok"
exit 0
