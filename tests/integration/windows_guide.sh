#!/usr/bin/env bash
#
# windows_guide — the Structured Streaming Programming Guide's example of
# late data and watermarking ("Handling Late Data and Watermarking"): word
# counts in 10-minute windows sliding every 5 minutes, watermark 10 minutes,
# the guide's records arriving in the guide's four triggers. Every batch of
# update and append mode is written out below as Spark 3.5 computes it
# (late rows are filtered against the previous batch's watermark, windows
# evicted against the current one; a no-data batch follows each batch that
# moved the watermark):
#   - (12:08, dog) arriving with (12:15, cat) is late but inside the
#     watermark (12:04): counted, window 12:00-12:10 dog = 2;
#   - (12:04, donkey) arrives after the watermark reached 12:11: both its
#     windows end by 12:11, so both rows are dropped and counted as late;
#   - append mode emits window 12:00-12:10 once, when the watermark passes
#     12:10 (the no-data batch 5), and nothing else: later windows are open.
# Also checks the per-batch progress line (watermark, rows dropped) and the
# final stats.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout

cat >"$IT_TMP/words.txt" <<'EOF_IN'
2024-01-01 12:07:00,dog
2024-01-01 12:08:00,owl
---
2024-01-01 12:14:00,dog
2024-01-01 12:09:00,cat
---
2024-01-01 12:15:00,cat
2024-01-01 12:08:00,dog
2024-01-01 12:13:00,owl
2024-01-01 12:21:00,owl
---
2024-01-01 12:04:00,donkey
2024-01-01 12:17:00,owl
EOF_IN


for mode in update append; do
	cat >"$IT_TMP/q.sql" <<SQL
CREATE SOURCE words (ts TIMESTAMP, word STRING)
  WITH (connector = 'batches', path = '$IT_TMP/words.txt')
  WATERMARK ts DELAY '10 minutes';
CREATE SINK counts
  WITH (connector = 'console', output_mode = '$mode', trigger = 'available_now', truncate = false)
AS SELECT window(ts, '10 minutes', '5 minutes') AS window, word, count(*) AS count
   FROM words
   GROUP BY window(ts, '10 minutes', '5 minutes'), word;
SQL
	timeout 60 "$SLUICE" run "$IT_TMP/q.sql" --stats >"$IT_TMP/$mode.out" 2>"$IT_TMP/$mode.err" ||
		{ cat "$IT_TMP/$mode.err" >&2; it_fail "$mode: sluice failed"; }
	it_window_rows "$IT_TMP/$mode.out" >"$IT_TMP/$mode.got"
done

cat >"$IT_TMP/update.want" <<'EOF_W'
0 |{2024-01-01 12:00:00, 2024-01-01 12:10:00}|dog|1|
0 |{2024-01-01 12:00:00, 2024-01-01 12:10:00}|owl|1|
0 |{2024-01-01 12:05:00, 2024-01-01 12:15:00}|dog|1|
0 |{2024-01-01 12:05:00, 2024-01-01 12:15:00}|owl|1|
1 -
2 |{2024-01-01 12:00:00, 2024-01-01 12:10:00}|cat|1|
2 |{2024-01-01 12:05:00, 2024-01-01 12:15:00}|cat|1|
2 |{2024-01-01 12:05:00, 2024-01-01 12:15:00}|dog|2|
2 |{2024-01-01 12:10:00, 2024-01-01 12:20:00}|dog|1|
3 -
4 |{2024-01-01 12:00:00, 2024-01-01 12:10:00}|dog|2|
4 |{2024-01-01 12:05:00, 2024-01-01 12:15:00}|dog|3|
4 |{2024-01-01 12:05:00, 2024-01-01 12:15:00}|owl|2|
4 |{2024-01-01 12:10:00, 2024-01-01 12:20:00}|cat|1|
4 |{2024-01-01 12:10:00, 2024-01-01 12:20:00}|owl|1|
4 |{2024-01-01 12:15:00, 2024-01-01 12:25:00}|cat|1|
4 |{2024-01-01 12:15:00, 2024-01-01 12:25:00}|owl|1|
4 |{2024-01-01 12:20:00, 2024-01-01 12:30:00}|owl|1|
5 -
6 |{2024-01-01 12:10:00, 2024-01-01 12:20:00}|owl|2|
6 |{2024-01-01 12:15:00, 2024-01-01 12:25:00}|owl|2|
EOF_W
cat >"$IT_TMP/append.want" <<'EOF_W'
0 -
1 -
2 -
3 -
4 -
5 |{2024-01-01 12:00:00, 2024-01-01 12:10:00}|cat|1|
5 |{2024-01-01 12:00:00, 2024-01-01 12:10:00}|dog|2|
5 |{2024-01-01 12:00:00, 2024-01-01 12:10:00}|owl|1|
6 -
EOF_W
for mode in update append; do
	it_same "$IT_TMP/$mode.want" "$IT_TMP/$mode.got" "$mode mode: every batch of the guide's example"
done

# The progress lines: the watermark of each batch and the late rows.
cat >"$IT_TMP/progress.want" <<'EOF_W'
sluice: batch 0: watermark 1970-01-01 00:00:00, 0 rows dropped as late, 4 state rows
sluice: batch 1: watermark 2024-01-01 11:58:00, 0 rows dropped as late, 4 state rows
sluice: batch 2: watermark 2024-01-01 11:58:00, 0 rows dropped as late, 7 state rows
sluice: batch 3: watermark 2024-01-01 12:04:00, 0 rows dropped as late, 7 state rows
sluice: batch 4: watermark 2024-01-01 12:04:00, 0 rows dropped as late, 12 state rows
sluice: batch 5: watermark 2024-01-01 12:11:00, 0 rows dropped as late, 9 state rows
sluice: batch 6: watermark 2024-01-01 12:11:00, 2 rows dropped as late, 9 state rows
EOF_W
for mode in update append; do
	grep '^sluice: batch ' "$IT_TMP/$mode.err" >"$IT_TMP/$mode.progress"
	it_same "$IT_TMP/progress.want" "$IT_TMP/$mode.progress" "$mode mode: the progress lines"
	[[ $(it_stat "$IT_TMP/$mode.err" rows_dropped_by_watermark) == 2 ]] ||
		it_fail "$mode: stat rows_dropped_by_watermark is not 2"
	[[ $(it_stat "$IT_TMP/$mode.err" no_data_batches) == 3 ]] ||
		it_fail "$mode: stat no_data_batches is not 3"
	[[ $(it_stat "$IT_TMP/$mode.err" evicted_rows) == 3 ]] ||
		it_fail "$mode: stat evicted_rows is not 3"
done
it_log "update and append: every batch, the watermark and the late rows as Spark 3.5: ok"
exit 0
