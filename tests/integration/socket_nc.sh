#!/usr/bin/env bash
#
# socket_nc — the seed word count against a real `nc -l` peer.
#
# netcat sends a file and shuts its side down (-N); sluice, connected as a
# client with trigger = 'available_now', must count every word of the file
# and exit 0. The final console table (complete mode, ORDER BY word) must
# equal the counts that awk computes on its own with Spark's split(' ')
# semantics. Cases: generated text; text whose split yields empty strings
# (double spaces, edge spaces, empty lines); a last line with no newline.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require nc python3 awk timeout

# run_case NAME FILE: serve FILE once with nc, count it with sluice.
run_case() {
	local name=$1 input=$2 port ncpid rc lines
	port=$(it_free_port) || exit 1
	nc -N -l 127.0.0.1 "$port" <"$input" >/dev/null &
	ncpid=$!
	it_track "$ncpid"
	it_wait_listen "$port"

	it_wordcount_sql "host = '127.0.0.1', port = $port" \
		"trigger = 'available_now', num_rows = 100000" >"$IT_TMP/$name.sql"
	timeout 60 "$SLUICE" run "$IT_TMP/$name.sql" --stats \
		>"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	rc=$?
	if ((rc != 0)); then
		cat "$IT_TMP/$name.err" >&2
		it_fail "$name: sluice exited $rc (expected 0 after the peer closed)"
	fi
	wait "$ncpid" 2>/dev/null

	it_expected_counts "$input" >"$IT_TMP/$name.want"
	it_last_table "$IT_TMP/$name.out" >"$IT_TMP/$name.got"
	# ORDER BY word: the table must already be in bytewise order, so it is
	# compared as printed, not re-sorted.
	it_same "$IT_TMP/$name.want" "$IT_TMP/$name.got" "$name: final word count table"

	lines=$(awk 'END { print NR }' "$input")
	[[ $(it_stat "$IT_TMP/$name.err" rows_in) == "$lines" ]] ||
		it_fail "$name: stat rows_in is $(it_stat "$IT_TMP/$name.err" rows_in), the input has $lines lines"
	[[ $(it_stat "$IT_TMP/$name.err" rows_malformed) == 0 ]] ||
		it_fail "$name: stat rows_malformed is not 0"
	[[ $(it_stat "$IT_TMP/$name.err" bytes_in) == "$(wc -c <"$input")" ]] ||
		it_fail "$name: stat bytes_in is not the file's size"
	it_log "$name: $lines lines, $(wc -l <"$IT_TMP/$name.want") distinct words: ok"
}

# 1. Generated text: 20000 lines, words drawn with a skew from 3000.
it_gen_words 20000 3000 >"$IT_TMP/words.txt"
run_case generated "$IT_TMP/words.txt"

# 2. Empty strings: "a  b" -> a, "", b; " a" and "a " -> one "" each; an
# empty line -> one "". Spark counts "" as a word like any other.
printf '%s\n' 'alpha  beta' ' alpha' 'beta ' '' 'gamma   gamma' '' '  ' 'alpha' >"$IT_TMP/empty.txt"
run_case empty_strings "$IT_TMP/empty.txt"
grep -q "$(printf '^\t')" "$IT_TMP/empty_strings.got" ||
	it_fail "empty_strings: no row for the empty word"

# 3. The last line has no newline: the peer's close ends it (Spark's
# socket source reads it as a line too).
printf 'one two\nthree one' >"$IT_TMP/nonl.txt"
run_case no_final_newline "$IT_TMP/nonl.txt"

exit 0
