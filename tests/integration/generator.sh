#!/usr/bin/env bash
#
# generator — the built-in generator source produces exactly the text that
# `sluice gen-text` prints for the same parameters (the benchmark relies on
# it to give DuckDB and awk the very bytes sluice counts in-process), with
# and without pregenerate.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk timeout

"$SLUICE" gen-text --words 500 --words-per-line 5 --rows 3000 --seed 9 >"$IT_TMP/text" ||
	it_fail "gen-text failed"
it_expected_counts "$IT_TMP/text" >"$IT_TMP/want"

for pre in false true; do
	cat >"$IT_TMP/q.sql" <<SQL
CREATE SOURCE lines
  WITH (connector = 'generator', words = 500, words_per_line = 5, rows = 3000,
        seed = 9, pregenerate = $pre);

CREATE SINK word_counts
  WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now',
        num_rows = 100000)
AS SELECT word, count(*) AS count
   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
   GROUP BY word
   ORDER BY word;
SQL
	timeout 60 "$SLUICE" run "$IT_TMP/q.sql" --stats >"$IT_TMP/out" 2>"$IT_TMP/err"
	rc=$?
	((rc == 0)) || { cat "$IT_TMP/err" >&2; it_fail "pregenerate = $pre: sluice exited $rc"; }
	it_last_table "$IT_TMP/out" >"$IT_TMP/got"
	it_same "$IT_TMP/want" "$IT_TMP/got" "pregenerate = $pre: the counts of the generator's text"
	[[ $(it_stat "$IT_TMP/err" rows_in) == 3000 ]] || it_fail "pregenerate = $pre: stat rows_in is not 3000"
	[[ $(it_stat "$IT_TMP/err" bytes_in) == "$(wc -c <"$IT_TMP/text")" ]] ||
		it_fail "pregenerate = $pre: stat bytes_in is not the size of gen-text's output"
	it_log "pregenerate = $pre: ok"
done
exit 0
