#!/usr/bin/env bash
#
# windows_session — session_window(ts, '5 minutes') by key, watermark 10
# minutes, three sections of input (one batch each, plus Spark's no-data
# batches), every batch written out as Spark 3.5 computes it:
#   - rows of one key within the gap merge into one session (a 12:00 and
#     12:03 -> 12:00-12:08); a later row opens another (a 12:20);
#   - complete mode keeps every session and merges a late row into its
#     neighbour (a 12:14 joins 12:10-12:15 -> 12:10-12:19);
#   - append mode emits each session once, when the watermark passes its
#     end, and drops the row whose session ended before the previous
#     batch's watermark (a 12:14, session end 12:19 <= 12:30);
#   - update mode is refused with Spark's message;
#   - a per-row gap (an INTERVAL expression) and a gap <= 0 (row dropped).

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout

cat >"$IT_TMP/in.txt" <<'EOF_IN'
2024-01-01 12:00:00,a
2024-01-01 12:03:00,a
2024-01-01 12:20:00,a
2024-01-01 12:01:00,b
---
2024-01-01 12:10:00,a
2024-01-01 12:40:00,b
---
2024-01-01 12:14:00,a
2024-01-01 13:30:00,c
EOF_IN


run_mode() { # MODE GAP-EXPR
	cat >"$IT_TMP/q.sql" <<SQL
CREATE SOURCE ev (ts TIMESTAMP, k STRING)
  WITH (connector = 'batches', path = '$IT_TMP/in.txt')
  WATERMARK ts DELAY '10 minutes';
CREATE SINK o WITH (connector = 'console', output_mode = '$1', trigger = 'available_now',
                    truncate = false)
AS SELECT session_window(ts, $2) AS s, k, count(*) AS n
   FROM ev GROUP BY k, session_window(ts, $2);
SQL
	timeout 60 "$SLUICE" run "$IT_TMP/q.sql" --stats >"$IT_TMP/$1.out" 2>"$IT_TMP/$1.err"
}

run_mode complete "'5 minutes'" || { cat "$IT_TMP/complete.err" >&2; it_fail "complete: sluice failed"; }
it_window_rows "$IT_TMP/complete.out" >"$IT_TMP/complete.got"
cat >"$IT_TMP/complete.want" <<'EOF_W'
0 |{2024-01-01 12:00:00, 2024-01-01 12:08:00}|a|2|
0 |{2024-01-01 12:01:00, 2024-01-01 12:06:00}|b|1|
0 |{2024-01-01 12:20:00, 2024-01-01 12:25:00}|a|1|
1 |{2024-01-01 12:00:00, 2024-01-01 12:08:00}|a|2|
1 |{2024-01-01 12:01:00, 2024-01-01 12:06:00}|b|1|
1 |{2024-01-01 12:10:00, 2024-01-01 12:15:00}|a|1|
1 |{2024-01-01 12:20:00, 2024-01-01 12:25:00}|a|1|
1 |{2024-01-01 12:40:00, 2024-01-01 12:45:00}|b|1|
2 |{2024-01-01 12:00:00, 2024-01-01 12:08:00}|a|2|
2 |{2024-01-01 12:01:00, 2024-01-01 12:06:00}|b|1|
2 |{2024-01-01 12:10:00, 2024-01-01 12:19:00}|a|2|
2 |{2024-01-01 12:20:00, 2024-01-01 12:25:00}|a|1|
2 |{2024-01-01 12:40:00, 2024-01-01 12:45:00}|b|1|
2 |{2024-01-01 13:30:00, 2024-01-01 13:35:00}|c|1|
EOF_W
it_same "$IT_TMP/complete.want" "$IT_TMP/complete.got" "complete mode: every batch"

run_mode append "'5 minutes'" || { cat "$IT_TMP/append.err" >&2; it_fail "append: sluice failed"; }
it_window_rows "$IT_TMP/append.out" >"$IT_TMP/append.got"
cat >"$IT_TMP/append.want" <<'EOF_W'
0 -
1 |{2024-01-01 12:00:00, 2024-01-01 12:08:00}|a|2|
1 |{2024-01-01 12:01:00, 2024-01-01 12:06:00}|b|1|
2 -
3 |{2024-01-01 12:10:00, 2024-01-01 12:15:00}|a|1|
3 |{2024-01-01 12:20:00, 2024-01-01 12:25:00}|a|1|
4 -
5 |{2024-01-01 12:40:00, 2024-01-01 12:45:00}|b|1|
EOF_W
it_same "$IT_TMP/append.want" "$IT_TMP/append.got" "append mode: every batch"
[[ $(it_stat "$IT_TMP/append.err" rows_dropped_by_watermark) == 1 ]] ||
	it_fail "append: stat rows_dropped_by_watermark is not 1"
[[ $(it_stat "$IT_TMP/append.err" evicted_rows) == 5 ]] || it_fail "append: stat evicted_rows is not 5"
[[ $(it_stat "$IT_TMP/append.err" state_rows) == 1 ]] ||
	it_fail "append: stat state_rows is not 1 (c's session is still open)"

rc=0
run_mode update "'5 minutes'" || rc=$?
((rc == 2)) || it_fail "update: exit $rc, expected 2"
grep -q "Update output mode not supported for session window on streaming DataFrames/DataSets" "$IT_TMP/update.err" ||
	{ cat "$IT_TMP/update.err" >&2; it_fail "update: not Spark's message"; }

# a gap per row: 'a' rows get 10 minutes (12:00 and 12:03 make 12:00-12:13;
# 12:10 overlaps it and its 12:20 end touches the 12:20-12:30 session, so all
# merge into 12:00-12:30, and 12:14 joins), 'b' rows 1 minute, 'c' rows 0
# (no session: dropped)
run_mode complete "CASE k WHEN 'a' THEN INTERVAL '10' MINUTE WHEN 'b' THEN INTERVAL '1' MINUTE ELSE INTERVAL '0' MINUTE END" ||
	{ cat "$IT_TMP/complete.err" >&2; it_fail "per-row gap: sluice failed"; }
it_window_rows "$IT_TMP/complete.out" | awk '$1 == 2' >"$IT_TMP/gap.got"
cat >"$IT_TMP/gap.want" <<'EOF_W'
2 |{2024-01-01 12:00:00, 2024-01-01 12:30:00}|a|5|
2 |{2024-01-01 12:01:00, 2024-01-01 12:02:00}|b|1|
2 |{2024-01-01 12:40:00, 2024-01-01 12:41:00}|b|1|
EOF_W
it_same "$IT_TMP/gap.want" "$IT_TMP/gap.got" "per-row gap: the last batch"
it_log "session windows: complete, append, update refused, per-row gaps: ok"
exit 0
