#!/usr/bin/env bash
#
# approx_distinct — approx_count_distinct (Spark's HyperLogLog++) over the
# generator's words: the estimate of all 5000 words is within 5% at the
# default rsd (0.05) and within 3% at rsd 0.01, and per group within three
# times the rsd of what awk counts exactly; and the answer is the same
# number whatever the topology (with the ingest-side combiner, without it,
# with two ingest cores and two shards), because merging partial sketches
# (register-wise max) gives exactly the sketch of the union.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout

"$SLUICE" gen-text --words 5000 --words-per-line 8 --rows 20000 --seed 3 >"$IT_TMP/text" ||
	it_fail "gen-text failed"
exact=$(awk '{ for (i = 1; i <= NF; i++) seen[$i] = 1 } END { print length(seen) }' "$IT_TMP/text")
# per word length: the exact number of distinct words
awk '{ for (i = 1; i <= NF; i++) if (!($i in seen)) { seen[$i] = 1; n[length($i)]++ } }
END { for (l in n) print l, n[l] }' "$IT_TMP/text" | sort -n >"$IT_TMP/want_groups"

# |got - want| <= tol * want, or within 1 for tiny counts
within() {
	awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN {
		d = g - w; if (d < 0) d = -d
		exit !(d <= t * w || d <= 1)
	}'
}

run_case() {
	local name=$1 settings=$2 flags=$3
	cat >"$IT_TMP/q.$name.sql" <<SQL
$settings
CREATE SOURCE lines
  WITH (connector = 'generator', words = 5000, words_per_line = 8, rows = 20000, seed = 3);

CREATE SINK total
  WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT approx_count_distinct(word), approx_count_distinct(word, 0.01) AS precise
   FROM (SELECT explode(split(value, ' ')) AS word FROM lines);

CREATE SINK per_length
  WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now',
        num_rows = 1000)
AS SELECT length(word) AS len, approx_count_distinct(word) AS words
   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
   GROUP BY length(word)
   ORDER BY len;
SQL
	# shellcheck disable=SC2086
	timeout 60 "$SLUICE" run "$IT_TMP/q.$name.sql" --stats $flags >"$IT_TMP/out.$name" 2>"$IT_TMP/err.$name"
	local rc=$?
	((rc == 0)) || { cat "$IT_TMP/err.$name" >&2; it_fail "$name: sluice exited $rc"; }
	grep -q '^|approx_count_distinct(word)|precise|$' "$IT_TMP/out.$name" ||
		it_fail "$name: the column is not named approx_count_distinct(word), as in Spark"

	# the two tables, each printed once (complete mode, one batch)
	awk -F'|' '/^\|approx_count_distinct/ { t = 1; next } t && /^\|/ { print $2 + 0, $3 + 0; t = 0 }' \
		"$IT_TMP/out.$name" >"$IT_TMP/total.$name"
	awk -F'|' '/^\|len\|words\|$/ { t = 1; next } t && /^\|/ { print $2 + 0, $3 + 0 }
		t && /^\+/ && seen++ { t = 0 }' "$IT_TMP/out.$name" >"$IT_TMP/groups.$name"

	local est precise
	read -r est precise <"$IT_TMP/total.$name"
	[[ -n $est && -n $precise ]] || { cat "$IT_TMP/out.$name" >&2; it_fail "$name: no result row"; }
	within "$est" "$exact" 0.05 ||
		it_fail "$name: approx_count_distinct(word) = $est, not within 5% of $exact"
	within "$precise" "$exact" 0.03 ||
		it_fail "$name: approx_count_distinct(word, 0.01) = $precise, not within 3% of $exact"

	[[ $(wc -l <"$IT_TMP/groups.$name") == $(wc -l <"$IT_TMP/want_groups") ]] || {
		cat "$IT_TMP/out.$name" >&2
		it_fail "$name: $(wc -l <"$IT_TMP/groups.$name") length groups, awk has $(wc -l <"$IT_TMP/want_groups")"
	}
	local len got wlen want
	while read -r len got <&3 && read -r wlen want <&4; do
		[[ $len == "$wlen" ]] || it_fail "$name: group $len where awk has $wlen"
		within "$got" "$want" 0.15 ||
			it_fail "$name: length $len: $got distinct words, awk counts $want (over 3 x rsd)"
	done 3<"$IT_TMP/groups.$name" 4<"$IT_TMP/want_groups"
	[[ $(it_stat "$IT_TMP/err.$name" rows_in) == 20000 ]] || it_fail "$name: stat rows_in is not 20000"
	it_log "$name: $est (rsd 0.05), $precise (rsd 0.01), exact $exact; $(wc -l <"$IT_TMP/groups.$name") groups ok"
}

run_case combiner "" ""
run_case no_combiner "SET combiner = false;" ""
run_case two_ingest_cores "" "--ingest-cores 0,1 --agg-cores 1 --shards 2"

# one sketch whatever the topology: the same numbers, group for group
for name in no_combiner two_ingest_cores; do
	it_same "$IT_TMP/total.combiner" "$IT_TMP/total.$name" "$name: the same estimates as with the combiner"
	it_same "$IT_TMP/groups.combiner" "$IT_TMP/groups.$name" "$name: the same per-group estimates"
done
exit 0
