#!/usr/bin/env bash
#
# backpressure — a producer much faster than the query must be held back by
# TCP flow control, not buffered in sluice's memory.
#
# A producer floods a listening socket source with ~2 GB of lines as fast as
# it can (it stops earlier at a deadline, so that the test stays under a
# minute on a slow build). The query does more than the seed (a second
# aggregate), and sluice is frozen twice for a second (SIGSTOP/SIGCONT) while
# the flood runs, so the producer certainly outruns it. Checks:
#   - the producer was blocked in send() (flow control reached it); the
#     test logs how long, and how full the socket was while sluice was frozen;
#   - sluice's peak RSS (stat peak_rss_kb and /proc VmHWM) stays under
#     BP_RSS_LIMIT_MB (512);
#   - every row sent is counted: rows_in and the final table match what the
#     producer says it sent.
# BP_MB (default 2048) and BP_SECONDS (default 30) bound the flood.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require python3 awk

BP_MB=${BP_MB:-2048}
BP_SECONDS=${BP_SECONDS:-30}
BP_RSS_LIMIT_MB=${BP_RSS_LIMIT_MB:-512}

cat >"$IT_TMP/q.sql" <<'EOF'
CREATE SOURCE lines (value STRING)
  WITH (connector = 'socket', host = '127.0.0.1', listen = true, port = 0);

CREATE SINK word_counts
  WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now',
        num_rows = 1000)
AS SELECT word, count(*) AS count, sum(length(word)) AS letters
   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
   GROUP BY word
   ORDER BY word;
EOF

# The producer: one block of 4096 lines (8 words from a vocabulary of 64,
# 2..5 letters each) sent again and again, whole blocks only, until BP_MB
# or the deadline. It writes how many blocks it sent, the longest time one
# send() was blocked, and the block's word counts.
cat >"$IT_TMP/producer.py" <<'EOF'
import collections, random, socket, sys, time
port, limit_mb, seconds, outdir = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
rnd = random.Random(5)
vocab = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 5))) + str(i)
         for i in range(64)]
lines = [" ".join(rnd.choice(vocab) for _ in range(8)) for _ in range(4096)]
block = ("\n".join(lines) + "\n").encode()
counts = collections.Counter(w for l in lines for w in l.split(" "))
s = socket.create_connection(("127.0.0.1", port))
limit = limit_mb << 20
deadline = time.monotonic() + seconds
sent = blocks = 0
worst = blocked = 0.0
start = time.monotonic()
while sent + len(block) <= limit and time.monotonic() < deadline:
    t = time.monotonic()
    s.sendall(block)
    dt = time.monotonic() - t
    worst = max(worst, dt)
    if dt > 0.001:  # one block takes ~0.1 ms when nothing holds it back
        blocked += dt
    sent += len(block)
    blocks += 1
s.close()
with open(outdir + "/sent", "w") as f:
    print(blocks, len(lines), sent, "%.3f" % worst, "%.1f" % blocked,
          "%.1f" % (time.monotonic() - start), file=f)
with open(outdir + "/block_counts", "w") as f:
    for w, c in counts.items():
        print(w, c, file=f)
EOF

"$SLUICE" run "$IT_TMP/q.sql" --stats >"$IT_TMP/out" 2>"$IT_TMP/err" &
spid=$!
it_track "$spid"
port=$(it_wait_sluice_port "$spid" "$IT_TMP/err") || exit 1

python3 "$IT_TMP/producer.py" "$port" "$BP_MB" "$BP_SECONDS" "$IT_TMP" &
ppid=$!
it_track "$ppid"
it_wait_established "$port"

# sluice's side of the connection: the kernel's receive queue (bytes that
# sluice has not read yet) is the rx_queue field of /proc/net/tcp.
rx_queue() {
	awk -v p=":$(printf '%04X' "$port")" '
		NR > 1 && $4 == "01" && substr($2, length($2) - 4) == p {
			split($5, q, ":"); v = 0; h = q[2]
			for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1
			if (v > m) m = v
		}
		END { print m + 0 }' /proc/net/tcp
}
hwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$spid/status" 2>/dev/null; }

peak_kb=0
t0=$SECONDS
for pause in 1 2; do
	sleep 1.5
	kill -0 "$ppid" 2>/dev/null || break
	kill -STOP "$spid"
	sleep 1
	q=$(rx_queue)
	kill -CONT "$spid"
	it_log "pause $pause: ${q} bytes waited in the socket while sluice was frozen"
done

# Let the flood finish; keep the highest VmHWM seen (it only grows).
while kill -0 "$ppid" 2>/dev/null; do
	h=$(hwm_kb)
	[[ -n $h ]] && ((h > peak_kb)) && peak_kb=$h
	((SECONDS - t0 > BP_SECONDS + 30)) && it_fail "the producer still runs after $((SECONDS - t0)) s"
	sleep 0.2
done
wait "$ppid" || it_fail "the producer failed"
read -r blocks lines_per_block bytes_sent worst_block blocked_s flood_s <"$IT_TMP/sent"
it_log "producer sent $bytes_sent bytes ($blocks blocks) in $flood_s s, held back by flow control for $blocked_s s of it (longest send: $worst_block s)"

# sluice drains what is queued and stops (available_now, the peer closed).
for ((i = 0; i < 600; i++)); do
	kill -0 "$spid" 2>/dev/null || break
	h=$(hwm_kb)
	[[ -n $h ]] && ((h > peak_kb)) && peak_kb=$h
	sleep 0.1
done
kill -0 "$spid" 2>/dev/null && it_fail "sluice has not finished 60 s after the producer closed"
wait "$spid"
rc=$?
((rc == 0)) || { cat "$IT_TMP/err" >&2; it_fail "sluice exited $rc"; }

stat_kb=$(it_stat "$IT_TMP/err" peak_rss_kb) || exit 1
((stat_kb > peak_kb)) && peak_kb=$stat_kb
it_log "peak RSS: $((peak_kb / 1024)) MB (stat peak_rss_kb $stat_kb)"

# Flow control did reach the producer: it was blocked in send() while sluice
# was frozen at least (a producer that never blocks was too slow to test
# anything). The peak RSS is the check that sluice itself buffers boundedly.
awk -v w="$worst_block" 'BEGIN { exit !(w >= 0.5) }' ||
	it_fail "the producer was never blocked for long (longest send ${worst_block} s): no backpressure was exercised"
((peak_kb < BP_RSS_LIMIT_MB * 1024)) ||
	it_fail "peak RSS $((peak_kb / 1024)) MB is over the ${BP_RSS_LIMIT_MB} MB bound after $bytes_sent bytes"

# Every row counted.
total_lines=$((blocks * lines_per_block))
[[ $(it_stat "$IT_TMP/err" rows_in) == "$total_lines" ]] ||
	it_fail "stat rows_in is $(it_stat "$IT_TMP/err" rows_in), the producer sent $total_lines lines"
awk -v b="$blocks" '{ printf "%s\t%d\t%d\n", $1, $2 * b, $2 * b * length($1) }' "$IT_TMP/block_counts" |
	sort >"$IT_TMP/want"
it_last_table "$IT_TMP/out" >"$IT_TMP/got"
it_same "$IT_TMP/want" "$IT_TMP/got" "the final table (word, count, letters)"
it_log "all $total_lines lines counted, RSS bounded: ok"
exit 0
