#!/usr/bin/env bash
#
# triggers — what each trigger does with a finite generator source.
#
#   - trigger = 'available_now': exactly one batch with the full counts,
#     then sluice exits 0 by itself (Spark's Trigger.Once / AvailableNow on
#     one small source);
#   - no trigger (Spark's default, a batch as soon as the last is done):
#     one or more batches, the last with the full counts of the generator's
#     text (the same as `sluice gen-text` + awk), no batch once nothing new
#     arrives, and the query keeps running until SIGINT, then exits 0;
#   - trigger = 'soon' (and '5 parsecs') is refused before
#     anything starts: exit 2 and a "line L, column C" message pointing at
#     the value.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk timeout sort

ROWS=200000
"$SLUICE" gen-text --words 400 --words-per-line 4 --rows "$ROWS" --seed 5 >"$IT_TMP/text" ||
	it_fail "gen-text failed"
it_expected_counts "$IT_TMP/text" >"$IT_TMP/want"

# $1 = the sink's extra options (trigger), $2 = the source's extra options.
query() {
	cat <<EOF
CREATE SOURCE lines
  WITH (connector = 'generator', words = 400, words_per_line = 4, rows = $ROWS,
        seed = 5 $2);

CREATE SINK word_counts
  WITH (connector = 'console', output_mode = 'complete', num_rows = 100000
        $1)
AS SELECT word, count(*) AS count
   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
   GROUP BY word
   ORDER BY word;
EOF
}

# 1. available_now: one batch, full counts, exit 0 without a signal.
query ", trigger = 'available_now'" "" >"$IT_TMP/an.sql"
timeout 60 "$SLUICE" run "$IT_TMP/an.sql" --stats >"$IT_TMP/an.out" 2>"$IT_TMP/an.err"
rc=$?
((rc == 124)) && it_fail "available_now: sluice still ran after 60 s (it must stop once the source is exhausted)"
((rc == 0)) || { cat "$IT_TMP/an.err" >&2; it_fail "available_now: sluice exited $rc (expected 0)"; }
nb=$(it_count_batches "$IT_TMP/an.out")
((nb == 1)) || it_fail "available_now: $nb batches printed (expected exactly 1)"
grep -qx 'Batch: 0' "$IT_TMP/an.out" || it_fail "available_now: the batch is not 'Batch: 0'"
it_last_table "$IT_TMP/an.out" >"$IT_TMP/an.got"
it_same "$IT_TMP/want" "$IT_TMP/an.got" "available_now: the counts of the generator's text"
[[ $(it_stat "$IT_TMP/an.err" batches) == 1 ]] || it_fail "available_now: stat batches is not 1"
[[ $(it_stat "$IT_TMP/an.err" rows_in) == "$ROWS" ]] || it_fail "available_now: stat rows_in is not $ROWS"
it_log "available_now: one batch with the full counts, exit 0: ok"

# 2. The default trigger, as fast as the generator goes (rows_per_second =
# 0): batches until the input is counted, then nothing, then SIGINT.
query "" ", rows_per_second = 0" >"$IT_TMP/def.sql"
(
	trap - INT
	exec "$SLUICE" run "$IT_TMP/def.sql"
) >"$IT_TMP/def.out" 2>"$IT_TMP/def.err" &
spid=$!
it_track "$spid"
full=0
for ((i = 0; i < 400; i++)); do
	kill -0 "$spid" 2>/dev/null || break
	it_last_table "$IT_TMP/def.out" >"$IT_TMP/def.got"
	if cmp -s "$IT_TMP/want" "$IT_TMP/def.got"; then
		full=1
		break
	fi
	sleep 0.05
done
kill -0 "$spid" 2>/dev/null || {
	cat "$IT_TMP/def.err" >&2
	it_fail "default trigger: sluice stopped by itself (expected it to run until SIGINT, as Spark's default trigger does)"
}
((full)) || it_same "$IT_TMP/want" "$IT_TMP/def.got" "default trigger: the last table after 20 s"
nb=$(it_count_batches "$IT_TMP/def.out")
# Nothing new arrives any more: the query idles (no batch) but keeps running.
sleep 1
kill -0 "$spid" 2>/dev/null || it_fail "default trigger: sluice stopped by itself after the generator ended"
kill -INT "$spid"
for ((i = 0; i < 100; i++)); do
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$spid" 2>/dev/null && it_fail "default trigger: sluice still runs 10 s after SIGINT"
wait "$spid"
rc=$?
((rc == 0)) || { cat "$IT_TMP/def.err" >&2; it_fail "default trigger: sluice exited $rc after SIGINT (expected 0)"; }
nb2=$(it_count_batches "$IT_TMP/def.out")
((nb2 == nb)) ||
	it_fail "default trigger: $((nb2 - nb)) batch(es) printed after the full counts, without new data (expected none)"
grep '^Batch: ' "$IT_TMP/def.out" | awk '$2 != NR - 1 { bad = 1 } END { exit bad }' ||
	it_fail "default trigger: batch ids are not 0, 1, 2, ..."
it_log "default trigger: $nb batch(es), the last with the full counts, idle until SIGINT -> 0: ok"

# 3. A trigger that is no interval is refused before anything starts: exit
# 2, no output, and the error names the line and column of the value. (A
# zero interval is Spark's ProcessingTime(0): the default trigger.)
for bad in 'soon' '5 parsecs'; do
	query ",
        trigger = '$bad'" "" >"$IT_TMP/zero.sql"
	# the value's position: line and 1-based column of its opening quote
	want_pos=$(awk -v v="'$bad'" 'i = index($0, v) { print "line " NR ", column " i; exit }' "$IT_TMP/zero.sql")
	timeout 20 "$SLUICE" run "$IT_TMP/zero.sql" >"$IT_TMP/zero.out" 2>"$IT_TMP/zero.err"
	rc=$?
	((rc == 2)) || { cat "$IT_TMP/zero.err" >&2; it_fail "trigger = '$bad': sluice exited $rc (expected 2: refused before starting)"; }
	[[ -s $IT_TMP/zero.out ]] && it_fail "trigger = '$bad': sluice printed on stdout although it refused the query"
	grep -q "zero.sql: $want_pos: .*trigger" "$IT_TMP/zero.err" || {
		cat "$IT_TMP/zero.err" >&2
		it_fail "trigger = '$bad': the error does not read 'zero.sql: $want_pos: ... trigger ...'"
	}
done
it_log "trigger = 'soon' / '5 parsecs': refused with exit 2 at the value's line and column: ok"

# 4. --until-drained: an interval trigger over a paced source that ends
# (generator, 3000 rows at 10000 rows/s: about 0.3 s): several batches, then
# a clean stop (exit 0) once the source has ended, with the full counts in
# the last batch.
"$SLUICE" gen-text --words 50 --words-per-line 4 --rows 3000 --seed 5 >"$IT_TMP/ud.txt" ||
	it_fail "gen-text failed"
it_expected_counts "$IT_TMP/ud.txt" >"$IT_TMP/ud.want"
cat >"$IT_TMP/ud.sql" <<'SQL'
CREATE SOURCE lines
  WITH (connector = 'generator', words = 50, words_per_line = 4, rows = 3000, seed = 5,
        rows_per_second = 10000);
CREATE SINK c WITH (connector = 'console', output_mode = 'complete', trigger = '50 milliseconds',
                    num_rows = 1000)
AS SELECT word, count(*) AS count FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
   GROUP BY word ORDER BY word;
SQL
rc=0
timeout 30 "$SLUICE" run "$IT_TMP/ud.sql" --until-drained >"$IT_TMP/ud.out" 2>"$IT_TMP/ud.err" || rc=$?
((rc == 0)) || { cat "$IT_TMP/ud.err" >&2; it_fail "--until-drained: sluice exited $rc (expected 0)"; }
nb=$(it_count_batches "$IT_TMP/ud.out")
((nb >= 2)) || it_fail "--until-drained: $nb batch(es); a 0.3 s input with a 50 ms trigger makes several"
it_last_table "$IT_TMP/ud.out" >"$IT_TMP/ud.got"
it_same "$IT_TMP/ud.want" "$IT_TMP/ud.got" "--until-drained: the last batch's counts"
it_log "--until-drained: $nb batches, then a clean stop with the full counts: ok"
exit 0
