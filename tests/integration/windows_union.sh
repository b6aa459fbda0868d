#!/usr/bin/env bash
#
# windows_union — two sources in one query (UNION ALL), each with its own
# WATERMARK, and Spark's spark.sql.streaming.multipleWatermarkPolicy:
#   source a: delay 10 minutes; source b: delay 5 minutes; 10-minute
#   tumbling windows counted per word; three sections each, which the
#   engine cuts together (a section of a and one of b make one batch).
# Worked out by hand with Spark 3.5's rules (WatermarkTracker: each
# source's watermark is its max event time - delay, 0 until it saw rows,
# never moving back; the query's is the min or the max of them; late rows
# against the previous batch's watermark):
#   batch 0  a 12:20 x, b 12:02 y           -> a 12:10, b 11:57
#            min: 11:57 (no-data batch 1)      max: 12:10 (no-data batch 1
#                                                evicts 12:00-12:10 y)
#   batch 2  a 12:05 x, b 12:09 y (window end 12:10)
#            min: both counted                 max: both late: a 1, b 1
#            -> b 12:04; min 12:04 (no-data 3) max stays 12:10
#   batch    a 12:31 x, b 12:12 y
#            min (batch 4): counted, then 12:07 (no-data 5)
#            max (batch 3): counted, then 12:21 (no-data 4 evicts
#                           12:10-12:20 y)
# Then the same union without aggregation (rows of both, the first input's
# INT widened to the second's BIGINT), and the errors a union can meet.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout

printf '%s\n' '2024-01-01 12:20:00,x' --- '2024-01-01 12:05:00,x' --- \
	'2024-01-01 12:31:00,x' >"$IT_TMP/a.txt"
printf '%s\n' '2024-01-01 12:02:00,y,1' --- '2024-01-01 12:09:00,y,2' --- \
	'2024-01-01 12:12:00,y,3' >"$IT_TMP/b.txt"

sources() {
	cat <<SQL
CREATE SOURCE a (ts TIMESTAMP, word STRING)
  WITH (connector = 'batches', path = '$IT_TMP/a.txt')
  WATERMARK ts DELAY '10 minutes';
CREATE SOURCE b (t TIMESTAMP, w STRING, n INT)
  WITH (connector = 'batches', path = '$IT_TMP/b.txt')
  WATERMARK t DELAY '5 minutes';
SQL
}

for policy in min max; do
	{
		echo "SET multiple_watermark_policy = '$policy';"
		sources
		cat <<'SQL'
CREATE SINK counts
  WITH (connector = 'console', output_mode = 'update', trigger = 'available_now', truncate = false)
AS SELECT window(ts, '10 minutes') AS window, word, count(*) AS count
   FROM (SELECT ts, word FROM a UNION ALL SELECT t, w FROM b)
   GROUP BY window(ts, '10 minutes'), word;
SQL
	} >"$IT_TMP/$policy.sql"
	timeout 60 "$SLUICE" run "$IT_TMP/$policy.sql" --stats >"$IT_TMP/$policy.out" \
		2>"$IT_TMP/$policy.err" ||
		{ cat "$IT_TMP/$policy.err" >&2; it_fail "$policy: sluice failed"; }
	it_window_rows "$IT_TMP/$policy.out" >"$IT_TMP/$policy.got"
	grep '^sluice: batch ' "$IT_TMP/$policy.err" >"$IT_TMP/$policy.progress"
done

cat >"$IT_TMP/min.want" <<'EOF_W'
0 |{2024-01-01 12:00:00, 2024-01-01 12:10:00}|y|1|
0 |{2024-01-01 12:20:00, 2024-01-01 12:30:00}|x|1|
1 -
2 |{2024-01-01 12:00:00, 2024-01-01 12:10:00}|x|1|
2 |{2024-01-01 12:00:00, 2024-01-01 12:10:00}|y|2|
3 -
4 |{2024-01-01 12:10:00, 2024-01-01 12:20:00}|y|1|
4 |{2024-01-01 12:30:00, 2024-01-01 12:40:00}|x|1|
5 -
EOF_W
cat >"$IT_TMP/min.progress.want" <<'EOF_W'
sluice: batch 0: watermark 1970-01-01 00:00:00, 0 rows dropped as late (a 0, b 0), 2 state rows
sluice: batch 1: watermark 2024-01-01 11:57:00, 0 rows dropped as late (a 0, b 0), 2 state rows
sluice: batch 2: watermark 2024-01-01 11:57:00, 0 rows dropped as late (a 0, b 0), 3 state rows
sluice: batch 3: watermark 2024-01-01 12:04:00, 0 rows dropped as late (a 0, b 0), 3 state rows
sluice: batch 4: watermark 2024-01-01 12:04:00, 0 rows dropped as late (a 0, b 0), 5 state rows
sluice: batch 5: watermark 2024-01-01 12:07:00, 0 rows dropped as late (a 0, b 0), 5 state rows
EOF_W
cat >"$IT_TMP/max.want" <<'EOF_W'
0 |{2024-01-01 12:00:00, 2024-01-01 12:10:00}|y|1|
0 |{2024-01-01 12:20:00, 2024-01-01 12:30:00}|x|1|
1 -
2 -
3 |{2024-01-01 12:10:00, 2024-01-01 12:20:00}|y|1|
3 |{2024-01-01 12:30:00, 2024-01-01 12:40:00}|x|1|
4 -
EOF_W
cat >"$IT_TMP/max.progress.want" <<'EOF_W'
sluice: batch 0: watermark 1970-01-01 00:00:00, 0 rows dropped as late (a 0, b 0), 2 state rows
sluice: batch 1: watermark 2024-01-01 12:10:00, 0 rows dropped as late (a 0, b 0), 1 state rows
sluice: batch 2: watermark 2024-01-01 12:10:00, 2 rows dropped as late (a 1, b 1), 1 state rows
sluice: batch 3: watermark 2024-01-01 12:10:00, 0 rows dropped as late (a 0, b 0), 3 state rows
sluice: batch 4: watermark 2024-01-01 12:21:00, 0 rows dropped as late (a 0, b 0), 2 state rows
EOF_W
for policy in min max; do
	it_same "$IT_TMP/$policy.want" "$IT_TMP/$policy.got" "policy $policy: every batch"
	it_same "$IT_TMP/$policy.progress.want" "$IT_TMP/$policy.progress" \
		"policy $policy: the watermark and the late rows per source"
	[[ $(it_stat "$IT_TMP/$policy.err" source.a.rows_in) == 3 &&
		$(it_stat "$IT_TMP/$policy.err" source.b.rows_in) == 3 ]] ||
		it_fail "policy $policy: stat source.a/b.rows_in are not 3 and 3"
done
grep -qF "sluice: query 'counts' started: sources 'a' (batches) + 'b' (batches), " \
	"$IT_TMP/max.err" || it_fail "the start line does not name both sources"
[[ $(it_stat "$IT_TMP/max.err" source.a.rows_dropped_by_watermark) == 1 &&
	$(it_stat "$IT_TMP/max.err" source.b.rows_dropped_by_watermark) == 1 &&
	$(it_stat "$IT_TMP/max.err" rows_dropped_by_watermark) == 2 ]] ||
	it_fail "policy max: the late rows per source are not 1 and 1"
# Spark's configuration name works too, and the default is min
sed "s/SET multiple_watermark_policy = 'min';/SET spark.sql.streaming.multipleWatermarkPolicy = 'MAX';/" \
	"$IT_TMP/min.sql" >"$IT_TMP/spark_name.sql"
timeout 60 "$SLUICE" run "$IT_TMP/spark_name.sql" >"$IT_TMP/spark_name.out" 2>"$IT_TMP/spark_name.err" ||
	it_fail "spark.sql.streaming.multipleWatermarkPolicy: sluice failed"
grep '^sluice: batch ' "$IT_TMP/spark_name.err" | diff -q - "$IT_TMP/max.progress.want" >/dev/null ||
	it_fail "SET spark.sql.streaming.multipleWatermarkPolicy = 'MAX' is not the max policy"
grep -v '^SET' "$IT_TMP/min.sql" >"$IT_TMP/default.sql"
timeout 60 "$SLUICE" run "$IT_TMP/default.sql" >"$IT_TMP/default.out" 2>"$IT_TMP/default.err" ||
	it_fail "default policy: sluice failed"
grep '^sluice: batch ' "$IT_TMP/default.err" | diff -q - "$IT_TMP/min.progress.want" >/dev/null ||
	it_fail "the default policy is not min"
it_log "min and max policies: every batch, watermarks and late rows per source as Spark 3.5: ok"

# --- a stateless union: both inputs' rows, types widened ------------------
{
	sources
	cat <<'SQL'
CREATE SINK rows
  WITH (connector = 'console', output_mode = 'append', trigger = 'available_now', truncate = false)
AS SELECT word, length(word) AS n FROM a WHERE word = 'x'
   UNION ALL SELECT upper(w), CAST(n AS BIGINT) FROM b WHERE n >= 2;
SQL
} >"$IT_TMP/stateless.sql"
timeout 60 "$SLUICE" run "$IT_TMP/stateless.sql" >"$IT_TMP/stateless.out" 2>"$IT_TMP/stateless.err" ||
	{ cat "$IT_TMP/stateless.err" >&2; it_fail "stateless union: sluice failed"; }
grep '^|' "$IT_TMP/stateless.out" | grep -v '^|word' | sort >"$IT_TMP/stateless.got"
printf '%s\n' '|Y   |2  |' '|Y   |3  |' '|x   |1  |' '|x   |1  |' '|x   |1  |' |
	sort >"$IT_TMP/stateless.want"
it_same "$IT_TMP/stateless.want" "$IT_TMP/stateless.got" "stateless union: every row of both inputs"

# --- errors, each before anything starts ----------------------------------
check_error() { # name, query, what the message must say
	{
		sources
		printf 'CREATE SINK s WITH (connector = %s) AS %s;\n' "'console'" "$2"
	} >"$IT_TMP/$1.sql"
	local rc=0
	timeout 20 "$SLUICE" run "$IT_TMP/$1.sql" >/dev/null 2>"$IT_TMP/$1.err" || rc=$?
	((rc == 2)) || it_fail "$1: exit status $rc, not 2"
	grep -qF -- "$3" "$IT_TMP/$1.err" ||
		{ cat "$IT_TMP/$1.err" >&2; it_fail "$1: the message does not say '$3'"; }
}
check_error columns "SELECT ts, word FROM a UNION ALL SELECT t, w, n FROM b" \
	"the first input has 2 columns and the second input has 3 columns"
check_error types "SELECT ts FROM a UNION ALL SELECT n FROM b" \
	"the first column (n) of the second input is INT, which is not compatible with TIMESTAMP"
check_error distinct "SELECT word FROM a UNION SELECT w FROM b" \
	"write UNION ALL"
check_error agg "SELECT word FROM a UNION ALL SELECT w FROM b GROUP BY w" \
	"the second input of a UNION ALL aggregates"
check_error order "SELECT word FROM a UNION ALL SELECT w FROM b ORDER BY w" \
	"ORDER BY inside a UNION ALL is not supported"
check_error twice "SELECT word FROM a UNION ALL SELECT word FROM a" \
	"source 'a' is read by two inputs of one UNION ALL"
{
	sources
	echo "SET multiple_watermark_policy = 'median';"
} >"$IT_TMP/policy.sql"
rc=0
timeout 20 "$SLUICE" run "$IT_TMP/policy.sql" >/dev/null 2>"$IT_TMP/policy.err" || rc=$?
((rc == 2)) && grep -qF "multiple_watermark_policy must be 'min' or 'max', not 'median'" "$IT_TMP/policy.err" ||
	it_fail "a bad policy is not refused with a clear message"
it_log "stateless union and the union errors: ok"
exit 0
