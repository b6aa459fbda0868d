#!/usr/bin/env bash
#
# aggregates — count, sum, min, max and avg per group give the numbers awk
# computes independently from the same text, whatever the topology: with
# the ingest-side combiner and without it, with more groups than a combiner
# holds (so it ships early and then bypasses itself), with several shards
# per aggregator core, and with two ingest cores.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout

# 300 000 distinct words, 40 000 lines of 8: most groups are seen once,
# which makes the combiner pass its group limit and stop paying.
"$SLUICE" gen-text --words 300000 --words-per-line 8 --rows 40000 --seed 5 >"$IT_TMP/text" ||
	it_fail "gen-text failed"

awk '{
	for (i = 1; i <= NF; i++) {
		w = $i; l = length(w)
		c[w]++; s[w] += l
		if (!(w in mn) || l < mn[w]) mn[w] = l
		if (!(w in mx) || l > mx[w]) mx[w] = l
	}
}
END { for (w in c) printf "%s\t%d\t%d\t%d\t%d\t%.1f\n", w, c[w], s[w], mn[w], mx[w], s[w] / c[w] }' \
	"$IT_TMP/text" | LC_ALL=C sort >"$IT_TMP/want"

run_case() {
	local name=$1 settings=$2 flags=$3
	cat >"$IT_TMP/q.sql" <<SQL
$settings
CREATE SOURCE lines
  WITH (connector = 'generator', words = 300000, words_per_line = 8, rows = 40000, seed = 5);

CREATE SINK stats
  WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now',
        num_rows = 1000000)
AS SELECT word, count(*) AS n, sum(length(word)) AS total, min(length(word)) AS lo,
          max(length(word)) AS hi, avg(length(word)) AS mean
   FROM lines LATERAL VIEW explode(split(value, ' ')) t AS word
   GROUP BY word
   ORDER BY word;
SQL
	# shellcheck disable=SC2086
	timeout 120 "$SLUICE" run "$IT_TMP/q.sql" --stats $flags >"$IT_TMP/out.$name" 2>"$IT_TMP/err.$name"
	local rc=$?
	((rc == 0)) || { cat "$IT_TMP/err.$name" >&2; it_fail "$name: sluice exited $rc"; }
	it_last_table "$IT_TMP/out.$name" >"$IT_TMP/got.$name"
	it_same "$IT_TMP/want" "$IT_TMP/got.$name" "$name: the aggregates"
	[[ $(it_stat "$IT_TMP/err.$name" rows_in) == 40000 ]] || it_fail "$name: stat rows_in is not 40000"
	it_log "$name: ok"
}

run_case combiner "" ""
run_case no_combiner "SET combiner = false;" ""
run_case three_shards_one_core "SET shards = 3;" ""
run_case two_ingest_cores "" "--ingest-cores 0,1 --agg-cores 1 --shards 2"
exit 0
