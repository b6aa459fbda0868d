#!/usr/bin/env bash
#
# seed_interactive — the seed example the way a user runs it.
#
# `nc -lk` listens; sluice connects with trigger = '1 second' and complete
# output mode; lines are typed into nc over about three seconds. sluice must
# print at least two "Batch: N" tables whose counts grow (complete mode
# shows the running totals), end with the totals of everything typed, and
# exit 0 when stopped with Ctrl-C (SIGINT).

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require nc python3 awk timeout

port=$(it_free_port) || exit 1
mkfifo "$IT_TMP/typed"
nc -lk 127.0.0.1 "$port" <"$IT_TMP/typed" >/dev/null &
it_track $!
exec 4>"$IT_TMP/typed" # the "keyboard"; open until the test ends
it_wait_listen "$port"

it_wordcount_sql "host = '127.0.0.1', port = $port" "trigger = '1 second'" >"$IT_TMP/q.sql"
# A job started from a script ignores SIGINT unless it restores it: run it
# through a subshell that resets the trap, as an interactive shell would.
# No `timeout` wrapper: it would pass SIGINT on twice (to the child and to
# its process group). The waits below are bounded instead.
(
	trap - INT
	exec "$SLUICE" run "$IT_TMP/q.sql"
) >"$IT_TMP/out" 2>"$IT_TMP/err" &
spid=$!
it_track "$spid"
it_wait_established "$port"

typed=(
	"hello world"
	"hello sluice"
	"the quick brown fox"
	"hello world again"
)
for line in "${typed[@]}"; do
	printf '%s\n' "$line" >&4
	printf '%s\n' "$line" >>"$IT_TMP/typed.txt"
	sleep 1
done

# Wait (bounded) for a table with everything typed, then press Ctrl-C.
it_expected_counts "$IT_TMP/typed.txt" | sort >"$IT_TMP/want"
for ((i = 0; i < 100; i++)); do
	it_last_table "$IT_TMP/out" | sort >"$IT_TMP/got"
	cmp -s "$IT_TMP/want" "$IT_TMP/got" && break
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$spid" 2>/dev/null || { cat "$IT_TMP/err" >&2; it_fail "sluice stopped before Ctrl-C"; }
kill -INT "$spid"
for ((i = 0; i < 100; i++)); do
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$spid" 2>/dev/null && it_fail "sluice still runs 10 s after SIGINT"
wait "$spid"
rc=$?
((rc == 0)) || { cat "$IT_TMP/err" >&2; it_fail "sluice exited $rc after SIGINT (expected 0)"; }

it_same "$IT_TMP/want" "$IT_TMP/got" "the last table (cumulative counts of all typed lines)"

nb=$(it_count_batches "$IT_TMP/out")
((nb >= 2)) || it_fail "only $nb 'Batch: N' table(s) printed; lines typed over 4 s with a 1 s trigger make at least 2"

# Running totals: the count of "hello" never drops from one batch to the
# next, and rises at least once (it was typed at three different times).
awk -F'|' '
	/^Batch: [0-9]+$/ { b = $0; next }
	/^\|/ {
		w = $2; c = $3; gsub(/ /, "", w); gsub(/ /, "", c)
		if (w == "hello") {
			if (c + 0 < last) { print "hello went from " last " to " c " at " b; bad = 1 }
			if (c + 0 > last && last > 0) rose = 1
			last = c + 0
		}
	}
	END {
		if (!rose) print "the count of hello never rose between two batches"
		exit bad || !rose
	}' "$IT_TMP/out" || it_fail "the batches do not show running totals"

# The batch numbers count up from 0 without gaps, as Spark's do.
grep '^Batch: ' "$IT_TMP/out" | awk '$2 != NR - 1 { print "batch " NR " is numbered " $2; bad = 1 } END { exit bad }' ||
	it_fail "batch ids are not 0, 1, 2, ..."
it_log "$nb batches, final table right, SIGINT -> exit 0: ok"
exit 0
