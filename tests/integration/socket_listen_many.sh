#!/usr/bin/env bash
#
# socket_listen_many — one listening socket source, four producers at once.
#
# sluice listens (listen = true, port = 0: the kernel picks the port, sluice
# prints it on stderr); four producers connect, and only when all four are
# connected does each send its own file and close. With trigger =
# 'available_now' sluice stops once its peers have closed. The final table
# must hold the word counts of the four files together: nothing lost,
# nothing counted twice, lines from different peers never spliced.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require python3 awk timeout

NPROD=4
for ((p = 0; p < NPROD; p++)); do
	# Distinct vocabularies overlap on purpose (w0..w399 in all files)
	# so that the shards must add up counts from different peers.
	it_gen_words $((5000 + 1000 * p)) $((400 + 300 * p)) $((11 + p)) |
		awk -v p="$p" '{ print $0 " p" p "_" (NR % 50) }' >"$IT_TMP/in$p.txt"
done

it_wordcount_sql "host = '127.0.0.1', listen = true, port = 0" \
	"trigger = 'available_now', num_rows = 100000" >"$IT_TMP/q.sql"
timeout 90 "$SLUICE" run "$IT_TMP/q.sql" --stats >"$IT_TMP/out" 2>"$IT_TMP/err" &
spid=$!
it_track "$spid"
port=$(it_wait_sluice_port "$spid" "$IT_TMP/err") || exit 1
it_log "sluice listens on port $port"

# Each producer: connect, say it is connected, wait for the others, send,
# close. bash's /dev/tcp keeps the test free of extra tools.
for ((p = 0; p < NPROD; p++)); do
	(
		exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
		: >"$IT_TMP/ready$p"
		for ((i = 0; i < 400; i++)); do
			[[ -e $IT_TMP/go ]] && break
			sleep 0.025
		done
		cat "$IT_TMP/in$p.txt" >&3
		exec 3>&-
	) &
	it_track $!
	prod[p]=$!
done
for ((i = 0; i < 400; i++)); do
	n=0
	for ((p = 0; p < NPROD; p++)); do [[ -e $IT_TMP/ready$p ]] && ((n++)); done
	((n == NPROD)) && break
	sleep 0.025
done
((n == NPROD)) || it_fail "only $n of $NPROD producers could connect"
: >"$IT_TMP/go"
for ((p = 0; p < NPROD; p++)); do
	wait "${prod[p]}" || it_fail "producer $p failed to send"
done

wait "$spid"
rc=$?
((rc == 0)) || { cat "$IT_TMP/err" >&2; it_fail "sluice exited $rc (expected 0 once all peers closed)"; }

it_expected_counts "$IT_TMP"/in*.txt >"$IT_TMP/want"
it_last_table "$IT_TMP/out" >"$IT_TMP/got"
it_same "$IT_TMP/want" "$IT_TMP/got" "the final word count table of $NPROD producers"

lines=$(cat "$IT_TMP"/in*.txt | awk 'END { print NR }')
[[ $(it_stat "$IT_TMP/err" rows_in) == "$lines" ]] ||
	it_fail "stat rows_in is $(it_stat "$IT_TMP/err" rows_in), the producers sent $lines lines"
it_log "$NPROD producers, $lines lines, $(wc -l <"$IT_TMP/want") distinct words: ok"
exit 0
