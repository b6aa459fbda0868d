#!/usr/bin/env bash
#
# output_modes — what each output mode prints, batch by batch, against a
# socket peer that the test controls (Spark's socket source: sluice is the
# client, the peer listens).
#
# The peer (python3) sends burst 1 in one write, waits until sluice has
# printed "Batch: 0", optionally stays idle for a while, sends burst 2 in one
# write, waits for "Batch: 1" and closes. A burst is a few short lines, so it
# arrives in one receive and lands in one epoch: Batch 0 is burst 1 and
# Batch 1 is burst 2, whatever the machine's load. With
# trigger = '200 milliseconds':
#   - complete: Batch 1 shows every word with its cumulative count;
#   - update: Batch 1 shows only the words of burst 2, with cumulative counts;
#   - append, no aggregation: each batch holds exactly its burst's rows that
#     pass the WHERE (compared sorted: the order within a batch is free);
#   - append with LIMIT 5 and bursts of 4 lines: 4 rows, then 1 row (Spark's
#     streaming limit counts across batches);
#   - complete with ORDER BY count DESC, word LIMIT 3: the top 3, in order;
#   - a trigger without new data prints no batch (peer idle ~1 s after
#     Batch 0: still only Batch 0), as Spark skips such batches;
#   - when the peer closes, the query keeps running (as Spark's does) and
#     prints nothing more; SIGINT then stops it with exit status 0.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require python3 awk sort

# The peer: listen on a free port of 127.0.0.1, write the port to a file,
# serve one connection as described above. Exit 0 when it got through.
cat >"$IT_TMP/peer.py" <<'PY'
import os, socket, sys, time

portfile, outfile, b1, b2, idle, idlefile = sys.argv[1:7]
idle = float(idle)

def log(msg):
    print("peer: " + msg, file=sys.stderr, flush=True)

def batches():
    try:
        with open(outfile, "r", errors="replace") as f:
            return [l.rstrip("\n") for l in f if l.startswith("Batch: ")]
    except FileNotFoundError:
        return []

def wait_for(header, limit=20.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if header in batches():
            return True
        time.sleep(0.02)
    log("no '%s' in sluice's output after %.0f s" % (header, limit))
    return False

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
srv.settimeout(20)
try:
    conn, _ = srv.accept()
except socket.timeout:
    log("sluice did not connect within 20 s")
    sys.exit(1)
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
with open(b1, "rb") as f:
    conn.sendall(f.read())
if not wait_for("Batch: 0"):
    sys.exit(1)
if idle > 0:
    time.sleep(idle)
    with open(idlefile, "w") as f:
        f.write("%d\n" % len(batches()))
with open(b2, "rb") as f:
    conn.sendall(f.read())
if not wait_for("Batch: 1"):
    sys.exit(1)
conn.close()
srv.close()
sys.exit(0)
PY

# The rows of the table under "Batch: $1" in file $2: one "cell<TAB>cell"
# line per row, padding removed. batch_header prints its header row.
batch_rows() {
	awk -v want="Batch: $1" -v hdr_only="${3:-0}" '
	/^Batch: [0-9]+$/ { inb = ($0 == want); hdr = 0; next }
	inb && /^\|/ {
		line = substr($0, 2, length($0) - 2)
		k = split(line, f, "|")
		out = ""
		for (i = 1; i <= k; i++) {
			gsub(/^ +| +$/, "", f[i])
			out = out (i > 1 ? "\t" : "") f[i]
		}
		if (!hdr) { hdr = 1; if (hdr_only) print out; next }
		if (!hdr_only) print out
	}' "$2"
}
batch_header() { batch_rows "$1" "$2" 1; }

# run_case NAME SQL_BODY IDLE: start the peer with $IT_TMP/NAME.b1 and
# NAME.b2, run sluice on a socket source connected to it with the sink
# clause SQL_BODY (everything after the source declaration), stop it with
# SIGINT after the peer closed. Leaves NAME.out / NAME.err.
run_case() {
	local name=$1 body=$2 idle=$3 port ppid spid rc i nb
	local out=$IT_TMP/$name.out err=$IT_TMP/$name.err
	: >"$out"
	python3 "$IT_TMP/peer.py" "$IT_TMP/$name.port" "$out" "$IT_TMP/$name.b1" \
		"$IT_TMP/$name.b2" "$idle" "$IT_TMP/$name.idle" 2>"$IT_TMP/$name.peer" &
	ppid=$!
	it_track "$ppid"
	for ((i = 0; i < 200; i++)); do
		[[ -s $IT_TMP/$name.port ]] && break
		sleep 0.05
	done
	port=$(cat "$IT_TMP/$name.port" 2>/dev/null) || it_fail "$name: the peer did not start"
	it_wait_listen "$port"

	cat >"$IT_TMP/$name.sql" <<EOF
CREATE SOURCE lines (value STRING)
  WITH (connector = 'socket', host = '127.0.0.1', port = $port);

$body
EOF
	# SIGINT must reach sluice: a background job of a script ignores it
	# unless the subshell restores it (see seed_interactive.sh).
	(
		trap - INT
		exec "$SLUICE" run "$IT_TMP/$name.sql"
	) >"$out" 2>"$err" &
	spid=$!
	it_track "$spid"

	# The peer finishes once sluice printed Batch 1 (bounded by its own
	# 20 s limits; this loop bounds it again).
	for ((i = 0; i < 600; i++)); do
		kill -0 "$ppid" 2>/dev/null || break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$spid" 2>/dev/null || {
		cat "$err" "$IT_TMP/$name.peer" >&2
		it_fail "$name: sluice exited before the test stopped it"
	}
	wait "$ppid"
	rc=$?
	((rc == 0)) || {
		cat "$IT_TMP/$name.peer" "$err" >&2
		cat "$out" >&2
		it_fail "$name: the peer did not see Batch 0 then Batch 1 (peer exit $rc)"
	}

	# The peer has closed. Let sluice notice (its side of the connection
	# leaves ESTABLISHED / CLOSE_WAIT once it read the end of input; bounded,
	# and not required), then give it some more time: it must still run, as
	# a Spark query with a processing-time trigger does.
	for ((i = 0; i < 100; i++)); do
		it_port_in_state "$port" 01 || it_port_in_state "$port" 08 || break
		sleep 0.05
	done
	sleep 0.6
	kill -0 "$spid" 2>/dev/null || {
		cat "$err" >&2
		it_fail "$name: sluice stopped when the peer closed (expected it to keep running until SIGINT)"
	}
	kill -INT "$spid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$spid" 2>/dev/null && it_fail "$name: sluice still runs 10 s after SIGINT"
	wait "$spid"
	rc=$?
	((rc == 0)) || { cat "$err" >&2; it_fail "$name: sluice exited $rc after SIGINT (expected 0)"; }

	# Nothing new arrived after burst 2: no batch after Batch 1, not even at
	# the stop.
	nb=$(it_count_batches "$out")
	((nb == 2)) || { cat "$out" >&2; it_fail "$name: $nb batches printed (expected exactly Batch 0 and Batch 1)"; }
	grep '^Batch: ' "$out" | awk '$2 != NR - 1 { bad = 1 } END { exit bad }' ||
		it_fail "$name: batch ids are not 0, 1"
	if [[ $idle != 0 ]]; then
		[[ $(cat "$IT_TMP/$name.idle") == 1 ]] ||
			it_fail "$name: $(cat "$IT_TMP/$name.idle") batches printed after ${idle} s without new data (expected only Batch 0: a trigger without new rows prints nothing)"
	fi
}

# expect_batch NAME N SORTED WANT...: the rows of Batch N of case NAME are
# the WANT lines ("cell<TAB>cell"), compared sorted when SORTED is 1.
expect_batch() {
	local name=$1 n=$2 sorted=$3
	shift 3
	if ((sorted)); then
		printf '%s\n' "$@" | sort >"$IT_TMP/$name.want$n"
		batch_rows "$n" "$IT_TMP/$name.out" | sort >"$IT_TMP/$name.got$n"
	else
		printf '%s\n' "$@" >"$IT_TMP/$name.want$n"
		batch_rows "$n" "$IT_TMP/$name.out" >"$IT_TMP/$name.got$n"
	fi
	it_same "$IT_TMP/$name.want$n" "$IT_TMP/$name.got$n" "$name: the rows of Batch $n"
}

expect_header() {
	local name=$1 n=$2 want=$3
	[[ $(batch_header "$n" "$IT_TMP/$name.out") == "$want" ]] ||
		it_fail "$name: Batch $n has the header '$(batch_header "$n" "$IT_TMP/$name.out")', expected '$want'"
}

T=$'\t'
wordcount_sink() { # $1 = output mode, $2 = ORDER BY / LIMIT clauses
	cat <<EOF
CREATE SINK counts
  WITH (connector = 'console', output_mode = '$1', trigger = '200 milliseconds')
AS SELECT word, count(*) AS count
   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
   GROUP BY word
   $2;
EOF
}

# Word-count bursts: burst 1 apple 3, banana 2, cherry 1, fig 1;
# burst 2 banana 1, date 3, elder 1.
printf '%s\n' 'apple banana apple' 'cherry banana' 'apple fig' >"$IT_TMP/words.b1"
printf '%s\n' 'banana date' 'date date elder' >"$IT_TMP/words.b2"

# 1. complete: Batch 1 holds every word, with the running totals. The peer
# stays idle 1 s (five triggers) between the bursts.
for f in b1 b2; do cp "$IT_TMP/words.$f" "$IT_TMP/complete.$f"; done
run_case complete "$(wordcount_sink complete '')" 1
expect_header complete 0 "word${T}count"
expect_batch complete 0 1 "apple${T}3" "banana${T}2" "cherry${T}1" "fig${T}1"
expect_batch complete 1 1 "apple${T}3" "banana${T}3" "cherry${T}1" "fig${T}1" "date${T}3" "elder${T}1"
it_log "complete: cumulative counts, no batch while idle, runs on after the peer closed, SIGINT -> 0: ok"

# 2. update: Batch 1 holds only the words burst 2 touched, with their
# cumulative counts (apple, cherry and fig must not appear).
for f in b1 b2; do cp "$IT_TMP/words.$f" "$IT_TMP/update.$f"; done
run_case update "$(wordcount_sink update '')" 0
expect_batch update 0 1 "apple${T}3" "banana${T}2" "cherry${T}1" "fig${T}1"
expect_batch update 1 1 "banana${T}3" "date${T}3" "elder${T}1"
it_log "update: only the groups each batch changed: ok"

# 3. complete with ORDER BY count DESC, word LIMIT 3: the top 3 of the
# running totals, in that order (ties broken by word).
for f in b1 b2; do cp "$IT_TMP/words.$f" "$IT_TMP/top3.$f"; done
run_case top3 "$(wordcount_sink complete 'ORDER BY count DESC, word LIMIT 3')" 0
expect_batch top3 0 0 "apple${T}3" "banana${T}2" "cherry${T}1"
expect_batch top3 1 0 "apple${T}3" "banana${T}3" "date${T}3"
it_log "complete + ORDER BY count DESC, word LIMIT 3: ok"

# 4. append without aggregation: each batch is exactly its burst's lines
# that pass the filter, projected. Idle 1 s between the bursts here too
# (the stateless path cuts epochs its own way).
printf '%s\n' 'hi' 'hello' 'abc' 'abcd' 'sluice streams' >"$IT_TMP/append.b1"
printf '%s\n' 'four' 'no' 'spark 3.5' 'xyz' 'Ünïcode' >"$IT_TMP/append.b2"
run_case append "CREATE SINK projected
  WITH (connector = 'console', output_mode = 'append', trigger = '200 milliseconds')
AS SELECT upper(value) AS v, length(value) AS n FROM lines WHERE length(value) > 3;" 1
expect_header append 0 "v${T}n"
expect_batch append 0 1 "HELLO${T}5" "ABCD${T}4" "SLUICE STREAMS${T}14"
expect_batch append 1 1 "FOUR${T}4" "SPARK 3.5${T}9" "ÜNÏCODE${T}7"
it_log "append without aggregation: each batch is its own burst's rows: ok"

# 5. append with LIMIT 5 and bursts of 4 lines: Spark's streaming limit
# counts the rows already emitted, so Batch 0 has 4 rows and Batch 1 the
# 1 row that is left (any one of burst 2's).
printf '%s\n' 'l1' 'l2' 'l3' 'l4' >"$IT_TMP/limit.b1"
printf '%s\n' 'm1' 'm2' 'm3' 'm4' >"$IT_TMP/limit.b2"
run_case limit "CREATE SINK limited
  WITH (connector = 'console', output_mode = 'append', trigger = '200 milliseconds')
AS SELECT value FROM lines LIMIT 5;" 0
expect_batch limit 0 1 l1 l2 l3 l4
batch_rows 1 "$IT_TMP/limit.out" >"$IT_TMP/limit.got1"
[[ $(wc -l <"$IT_TMP/limit.got1") == 1 ]] ||
	it_fail "limit: Batch 1 has $(wc -l <"$IT_TMP/limit.got1") rows (expected 1: LIMIT 5 minus the 4 rows of Batch 0)"
grep -qx 'm[1-4]' "$IT_TMP/limit.got1" ||
	it_fail "limit: Batch 1's row '$(cat "$IT_TMP/limit.got1")' is not a line of burst 2"
it_log "append + LIMIT 5: 4 rows then 1 row: ok"
exit 0
