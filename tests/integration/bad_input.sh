#!/usr/bin/env bash
#
# bad_input — malformed input never stops the engine.
#
# With `SET max_line_length = 1024;` a line longer than 1024 bytes (the
# newline not counted) is dropped and counted in stat rows_malformed; the
# lines around it, one of exactly 1024 bytes included, are counted as usual,
# and nothing of the long line leaks into the next one. NUL bytes and bytes
# that are not valid UTF-8 are data like any other: they pass through to
# the output unchanged.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require nc python3 awk timeout

MAX=1024
in=$IT_TMP/in.txt
# long_line BYTES WORD: a line of exactly BYTES bytes made of WORD and spaces.
long_line() { awk -v n="$1" -v w="$2" 'BEGIN { s = w; while (length(s) < n) s = s " " w; print substr(s, 1, n) }'; }
{
	printf 'alpha beta gamma\n'
	long_line $((MAX + 1)) longa      # one byte too long: malformed
	printf 'alpha delta\n'
	long_line 100000 longb            # far too long, spans many reads: malformed
	printf 'beta beta\n'
	long_line "$MAX" fits              # exactly the limit: counted
	printf 'nul\0inside alpha\n'       # a NUL byte inside a word
	printf '\xff\xfe bad\xc3\x28utf8 \xe2\x82 alpha\n' # invalid UTF-8 sequences
	printf 'caf\xc3\xa9 na\xc3\xafve alpha\n'          # valid UTF-8, two-byte
	printf 'omega\n'
} >"$in"

port=$(it_free_port) || exit 1
nc -N -l 127.0.0.1 "$port" <"$in" >/dev/null &
it_track $!
it_wait_listen "$port"
{
	printf 'SET max_line_length = %d;\n\n' "$MAX"
	it_wordcount_sql "host = '127.0.0.1', port = $port" "trigger = 'available_now', num_rows = 1000"
} >"$IT_TMP/q.sql"
timeout 60 "$SLUICE" run "$IT_TMP/q.sql" --stats >"$IT_TMP/out" 2>"$IT_TMP/err"
rc=$?
((rc == 0)) || { cat "$IT_TMP/err" >&2; it_fail "sluice exited $rc on malformed input (expected 0)"; }

# What must be counted: every line of at most MAX bytes.
awk -v m="$MAX" 'length($0) <= m' "$in" >"$IT_TMP/kept.txt"
it_expected_counts "$IT_TMP/kept.txt" | sort >"$IT_TMP/want"
# NUL sorts before TAB, so the table's ORDER BY order is not `sort`'s line
# order here: compare as sets.
it_last_table "$IT_TMP/out" | sort >"$IT_TMP/got"
it_same "$IT_TMP/want" "$IT_TMP/got" "the word counts around malformed lines"

grep -qa 'longa\|longb' "$IT_TMP/out" && it_fail "words of a dropped long line reached the output"
has_bytes() { python3 -c 'import sys; sys.exit(bytes.fromhex(sys.argv[2]) not in open(sys.argv[1], "rb").read())' "$@"; }
has_bytes "$IT_TMP/out" "$(printf 'nul' | od -An -tx1 | tr -d ' \n')00$(printf 'inside' | od -An -tx1 | tr -d ' \n')" ||
	it_fail "the word with a NUL byte (nul 00 inside) did not pass through unchanged"
has_bytes "$IT_TMP/out" fffe || it_fail "the bytes ff fe did not pass through unchanged"
has_bytes "$IT_TMP/out" 626164c32875746638 || it_fail "the bytes c3 28 (in bad..utf8) did not pass through unchanged"
has_bytes "$IT_TMP/out" 636166c3a9 || it_fail "valid UTF-8 (caf\xc3\xa9) did not pass through unchanged"

malformed=$(it_stat "$IT_TMP/err" rows_malformed) || exit 1
[[ $malformed == 2 ]] || it_fail "stat rows_malformed is $malformed, expected 2 (the lines of $((MAX + 1)) and 100000 bytes)"
rows=$(it_stat "$IT_TMP/err" rows_in) || exit 1
kept=$(awk 'END { print NR }' "$IT_TMP/kept.txt")
[[ $rows == "$kept" ]] || it_fail "stat rows_in is $rows, expected the $kept lines that fit"
it_log "$kept lines counted, $malformed malformed, NUL and invalid UTF-8 passed through: ok"
exit 0
