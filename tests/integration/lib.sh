# shellcheck shell=bash
#
# lib.sh — helpers shared by the integration tests (sourced, not run).
#
# Every test runs the real `sluice` binary against real peers on 127.0.0.1.
# Contract with meson (tests/integration/meson.build): SLUICE is the binary,
# SRCDIR the source tree; exit 0 = pass, 1 = fail, 77 = skipped (the reason
# is printed first). Invariants kept here:
#   - every process a test starts is registered with it_bg / it_track and is
#     killed by its pid when the test exits, however it exits;
#   - every temporary file lives under $IT_TMP, removed at exit;
#   - ports are chosen by the kernel (bind to port 0), never hard-coded, and
#     only the loopback address is used.

set -u
set -o pipefail

SLUICE=${SLUICE:-${SRCDIR:-.}/build/sluice}
SRCDIR=${SRCDIR:-.}
IT_NAME=$(basename "${0%.sh}")
IT_PIDS=()
IT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-it-${IT_NAME}.XXXXXX") || exit 1
export LC_ALL=C

it_log() { printf '%s: %s\n' "$IT_NAME" "$*" >&2; }

it_fail() {
	printf '%s: FAIL: %s\n' "$IT_NAME" "$*" >&2
	exit 1
}

it_skip() {
	printf '%s: SKIP: %s\n' "$IT_NAME" "$*" >&2
	exit 77
}

# Kill what we started (children of a background subshell first, so that a
# `cat` or `nc` inside it does not outlive it), then remove the temp dir.
it_cleanup() {
	local pid
	[[ -n ${IT_KEEP:-} ]] && it_log "keeping $IT_TMP"
	# bash reports each job it sees killed ("Killed  nc ..."): not news here.
	exec 2>/dev/null
	for pid in "${IT_PIDS[@]}"; do
		pkill -KILL -P "$pid"
		kill -KILL "$pid"
	done
	for pid in "${IT_PIDS[@]}"; do
		wait "$pid"
	done
	[[ -n ${IT_KEEP:-} ]] || rm -rf "$IT_TMP"
}
trap it_cleanup EXIT
trap 'exit 1' INT TERM HUP

it_track() { IT_PIDS+=("$1"); }

it_require() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || it_skip "'$c' is not installed (tools/bootstrap installs it)"
	done
}

it_require_sluice() {
	[[ -x $SLUICE ]] || it_skip "no sluice binary at '$SLUICE' (build it: tools/bootstrap)"
}

# A port on 127.0.0.1 that the kernel says is free right now.
it_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# /proc/net/tcp holds addresses as hex; state 0A is LISTEN, 01 ESTABLISHED.
it_port_in_state() {
	local port=$1 state=$2 hex
	hex=$(printf '%04X' "$port")
	awk -v p=":$hex" -v st="$state" '
		NR > 1 && $4 == st && (substr($2, length($2) - 4) == p || substr($3, length($3) - 4) == p) { f = 1 }
		END { exit !f }' /proc/net/tcp
}

# Wait (up to $2 seconds, default 10) until something listens on the port.
it_wait_listen() {
	local port=$1 limit=${2:-10} i
	for ((i = 0; i < limit * 20; i++)); do
		it_port_in_state "$port" 0A && return 0
		sleep 0.05
	done
	it_fail "nothing listens on 127.0.0.1:$port after ${limit}s"
}

# Wait until a connection to or from the port is established.
it_wait_established() {
	local port=$1 limit=${2:-10} i
	for ((i = 0; i < limit * 20; i++)); do
		it_port_in_state "$port" 01 && return 0
		sleep 0.05
	done
	it_fail "no connection on 127.0.0.1:$port after ${limit}s"
}

# Wait for `sluice` (pid $1) to say on stderr (file $2) which port its
# listening socket source got; prints the port.
it_wait_sluice_port() {
	local pid=$1 errf=$2 limit=${3:-10} i port
	for ((i = 0; i < limit * 50; i++)); do
		port=$(sed -n "s/^\(sluice: \)\{0,1\}socket source '[^']*': listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\2/p" "$errf" 2>/dev/null | head -n 1)
		if [[ -n $port ]]; then
			printf '%s\n' "$port"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || { cat "$errf" >&2; it_fail "sluice exited before it listened"; }
		sleep 0.02
	done
	cat "$errf" >&2
	it_fail "sluice did not print its listening port within ${limit}s"
}

# The value of "stat NAME VALUE" in a --stats stderr file.
it_stat() {
	awk -v n="$2" '$1 == "stat" && $2 == n { v = $3 } END { if (v == "") exit 1; print v }' "$1" ||
		it_fail "no 'stat $2' line in sluice's stderr"
}

# Word counts with Spark's split(value, ' ') semantics: a Java regex split
# with limit -1, so "a  b" gives a, "", b; a leading or trailing space gives
# an empty string; an empty line gives one empty string. Output: one
# "word<TAB>count" line per word, sorted bytewise (ORDER BY word).
it_expected_counts() {
	awk '{
		n = split($0, t, / /)
		if ($0 == "") { n = 1; t[1] = "" }
		for (i = 1; i <= n; i++) c[t[i]]++
	}
	END { for (w in c) printf "%s\t%d\n", w, c[w] }' "$@" | sort
}

# The rows of the last table that the console sink printed (the one after
# the last "Batch: N" header), one "cell<TAB>cell..." line per row, cells
# with their padding removed. Spark pads cells on the left (truncate on) or
# on the right (truncate off); words never hold '|' or edge spaces here.
it_last_table() {
	awk '
	/^Batch: [0-9]+$/ { n = 0; hdr = 0; next }
	/^\|/ {
		if (!hdr) { hdr = 1; next }
		line = substr($0, 2, length($0) - 2)
		k = split(line, f, "|")
		out = ""
		for (i = 1; i <= k; i++) {
			gsub(/^ +| +$/, "", f[i])
			out = out (i > 1 ? "\t" : "") f[i]
		}
		rows[++n] = out
	}
	END { for (i = 1; i <= n; i++) print rows[i] }' "$@"
}

# How many "Batch: N" headers a console output has.
it_count_batches() { grep -c '^Batch: [0-9][0-9]*$' "$1"; }

# Compare two files; on a difference show the first lines of the diff.
it_same() {
	local want=$1 got=$2 what=$3
	if ! cmp -s "$want" "$got"; then
		diff "$want" "$got" | head -n 20 | cat -v >&2
		it_fail "$what differs from the expected ($(wc -l <"$want") expected lines, $(wc -l <"$got") got)"
	fi
}

# The seed query over a socket source; $1 = the source's WITH options,
# $2 = extra sink options.
it_wordcount_sql() {
	cat <<EOF
CREATE SOURCE lines (value STRING)
  WITH (connector = 'socket', $1);

CREATE SINK word_counts
  WITH (connector = 'console', output_mode = 'complete', $2)
AS SELECT word, count(*) AS count
   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
   GROUP BY word
   ORDER BY word;
EOF
}

# Deterministic text without empty words: $1 lines of 1..8 words drawn from
# $2 distinct words (seeded, so a failure can be replayed).
it_gen_words() {
	awk -v lines="$1" -v nwords="$2" -v seed="${3:-7}" 'BEGIN {
		srand(seed)
		for (l = 0; l < lines; l++) {
			k = 1 + int(rand() * 8)
			s = ""
			for (j = 0; j < k; j++) s = s (j ? " " : "") "w" int(rand() * rand() * nwords)
			print s
		}
	}'
}

# The rows of every console batch whose first column is a window
# ({start, end}), as "B |row|" lines sorted within each batch; a batch with
# no such row is "B -". For comparing windowed batches whatever the order
# update and append mode print them in.
it_window_rows() {
	awk '/^Batch: / { b = $2; seen[b] = 0; order[++n] = b; next }
	     /^\|\{/ { gsub(/ *\| */, "|"); rows[b] = rows[b] b " " $0 "\n"; seen[b]++ }
	     END { for (i = 1; i <= n; i++) { b = order[i]
	             if (seen[b] == 0) print b " -"; else printf "%s", rows[b] } }' "$1" |
		LC_ALL=C sort -k1,1n -k2
}

# it_batch_rows N OUT: the rows of the table under "Batch: N" in the console
# output OUT, one "cell<TAB>cell" line per row, padding removed, sorted (an
# output mode's order is free).
it_batch_rows() {
	awk -v want="Batch: $1" '
	/^Batch: [0-9]+$/ { inb = ($0 == want); hdr = 0; next }
	inb && /^\|/ {
		if (!hdr) { hdr = 1; next }
		line = substr($0, 2, length($0) - 2)
		k = split(line, f, "|")
		out = ""
		for (i = 1; i <= k; i++) {
			gsub(/^ +| +$/, "", f[i])
			out = out (i > 1 ? "\t" : "") f[i]
		}
		print out
	}' "$2" | sort
}

# it_expect_batch CASE OUT N WANT...: Batch N of OUT holds exactly the WANT
# rows ("cell<TAB>cell").
it_expect_batch() {
	local name=$1 out=$2 n=$3
	shift 3
	printf '%s\n' "$@" | sort >"$IT_TMP/want"
	it_batch_rows "$n" "$out" >"$IT_TMP/got"
	it_same "$IT_TMP/want" "$IT_TMP/got" "$name: the rows of Batch $n"
}

# it_sink_rows DIR: the rows of every data file a file or table sink's
# commit log lists (plain entries and compactions, each batch once), in
# batch order
it_sink_rows() {
	python3 - "$1" <<'PY'
import json, os, re, sys
d = sys.argv[1]
logd = os.path.join(d, "_sluice_log")
batches = {}
for name in os.listdir(logd):
    if not re.fullmatch(r"[0-9]+(\.compact)?", name):
        continue
    cur = None
    for line in open(os.path.join(logd, name)).read().splitlines()[1:]:
        e = json.loads(line)
        if "batch" in e:
            cur = batches.setdefault(e["batch"], [])
            cur.clear()
        else:
            cur.append(e["path"])
for b in sorted(batches):
    for p in batches[b]:
        sys.stdout.write(open(os.path.join(d, p)).read())
PY
}

# ---- Kafka: tools/kafka-mock, librdkafka's mock cluster (docs/kafka.md) ----

# it_kafka_start [--brokers N] TOPIC:PARTITIONS[:REPLICATION]...
# Starts a mock Kafka cluster on 127.0.0.1 ($KAFKA_MOCK, which meson sets;
# default build/tools/kafka-mock) with N brokers (default 1) and the topics
# given, killed when the test exits. Waits (10 s at most) for its bootstrap
# line, then sets and exports:
#   KAFKA_BOOTSTRAP   host:port[,host:port...], for bootstrap_servers and kcat -b
#   KAFKA_MOCK_PID    its pid (SIGUSR1: brokers down, SIGUSR2: up; see
#                     it_kafka_down / it_kafka_up)
#   KAFKA_MOCK_ERR    the file its stderr goes to
# Skips the test (77) when kcat or the kafka-mock binary is missing; fails
# it when the mock refuses its arguments or does not start. Call it
# directly, not in $(...): it sets variables of the calling shell. A second
# call starts a second cluster, and the variables then name that one.
it_kafka_start() {
	local out err i line
	it_require kcat
	KAFKA_MOCK=${KAFKA_MOCK:-$SRCDIR/build/tools/kafka-mock}
	[[ -x $KAFKA_MOCK ]] || it_skip "no kafka-mock binary at '$KAFKA_MOCK' (ninja builds tools/kafka-mock)"
	out=$(mktemp "$IT_TMP/kafka-mock.out.XXXXXX") || it_fail "mktemp failed"
	err=${out/.out./.err.}
	"$KAFKA_MOCK" "$@" >"$out" 2>"$err" &
	KAFKA_MOCK_PID=$!
	it_track "$KAFKA_MOCK_PID"
	for ((i = 0; i < 500; i++)); do
		line=$(sed -n 's/^bootstrap \([^ ]*\)$/\1/p' "$out")
		[[ -n $line ]] && break
		if ! kill -0 "$KAFKA_MOCK_PID" 2>/dev/null; then
			cat "$err" >&2
			it_fail "kafka-mock $* exited before it printed its bootstrap line"
		fi
		sleep 0.02
	done
	[[ -n $line ]] || { cat "$err" >&2; it_fail "kafka-mock $* printed no bootstrap line within 10 s"; }
	KAFKA_BOOTSTRAP=$line
	KAFKA_MOCK_ERR=$err
	export KAFKA_BOOTSTRAP KAFKA_MOCK_PID KAFKA_MOCK_ERR
}

# it_kafka_down / it_kafka_up: every broker of the last cluster started
# goes down (connections dropped, new ones refused) or up again; each
# returns once the mock has said it did (5 s at most).
it_kafka_down() { _it_kafka_signal USR1 'every broker is down'; }
it_kafka_up() { _it_kafka_signal USR2 'every broker is up again'; }

_it_kafka_signal() {
	local sig=$1 what=$2 before i
	before=$(grep -c "$what" "$KAFKA_MOCK_ERR")
	kill -"$sig" "$KAFKA_MOCK_PID" || it_fail "kafka-mock (pid $KAFKA_MOCK_PID) is not running"
	for ((i = 0; i < 250; i++)); do
		(($(grep -c "$what" "$KAFKA_MOCK_ERR") > before)) && return 0
		sleep 0.02
	done
	it_fail "kafka-mock did not say '$what' within 5 s of SIG$sig"
}

# it_kafka_consume TOPIC [FORMAT]: every record of TOPIC from its first
# offset to its end, one kcat FORMAT line each (default '%k\t%s\n': key,
# tab, value; a null prints as empty, %S and %K print the lengths, -1 for
# a null). Partitions are read one after another, in no set order: sort
# when the topic has more than one.
it_kafka_consume() {
	timeout 20 kcat -C -b "$KAFKA_BOOTSTRAP" -t "$1" -o beginning -e -q -f "${2:-%k\t%s\n}" ||
		it_fail "kcat could not read topic '$1' from $KAFKA_BOOTSTRAP"
}

# it_console_rows FILE: the rows of the last console table (Batch: N) in
# FILE, "|a|b|" a row, spaces removed, the header and borders left out.
it_console_rows() {
	awk '/^Batch: /{n = 0; plus = 0} /^\+/{plus++; next}
	     /^\|/ && plus == 2 {gsub(/ /, ""); rows[n++] = $0}
	     END {for (i = 0; i < n; i++) print rows[i]}' "$1"
}

# it_expect_stat FILE KEY WANT: fail unless stat KEY is WANT (it_stat).
it_expect_stat() {
	local got
	got=$(it_stat "$1" "$2")
	[[ $got == "$3" ]] || it_fail "$(basename "$1"): $2 is '$got', not $3"
}

# it_wait_for SECONDS CMD: until CMD succeeds (every 0.1 s); 1 when it never does.
it_wait_for() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		eval "$2" && return 0
		sleep 0.1
	done
	return 1
}

# it_kill_compare: exactly once across kill -9, for a query written by the
# caller's `query NAME` (its sink writes $IT_TMP/out-NAME with checkpoint
# $IT_TMP/ck-NAME, trigger available_now, late rows dropped by a
# watermark). An uninterrupted run (ref) is the reference; then the query
# (kill) is killed with SIGKILL KILLS times at random moments, by the
# checkpoint's progress (a random number of commits, then a few ms), and
# started again each time. Whenever a run reaches the end of its input its
# committed output must equal the reference's row for row (nothing lost,
# nothing doubled); while kills are left the query then starts over from a
# new checkpoint. Uses KILLS and SEED.
it_kill_compare() {
	local kills runs resumed cycles pid rc target batches dups
	# committed NAME: the sink's committed rows, sorted
	committed() { it_sink_rows "$IT_TMP/out-$1" | sort; }

	query ref
	timeout 120 "$SLUICE" run --no-socket --stats "$IT_TMP/ref.sql" >"$IT_TMP/ref.out" 2>"$IT_TMP/ref.err" ||
		{ cat "$IT_TMP/ref.err" >&2; it_fail "the uninterrupted run failed"; }
	committed ref >"$IT_TMP/ref.rows"
	[[ -s $IT_TMP/ref.rows ]] || it_fail "the uninterrupted run wrote nothing"
	grep -q 'resuming' "$IT_TMP/ref.err" && it_fail "a new checkpoint says it resumes"
	# how many batches a whole run commits: kill points are spread over them
	commits() { find "$IT_TMP/ck-kill/commits" -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l; }
	batches=$(find "$IT_TMP/ck-ref/commits" -maxdepth 1 -name '[0-9]*' | wc -l)
	((batches >= 5)) || it_fail "the uninterrupted run committed $batches batches; the test needs several"
	grep -q '^stat rows_dropped_by_watermark [1-9]' "$IT_TMP/ref.err" ||
		it_fail "the input was meant to have late rows; the uninterrupted run dropped none"

	query kill
	rm -rf "$IT_TMP/out-kill" "$IT_TMP/ck-kill"
	RANDOM=$((10#$SEED % 32768))
	kills=0 runs=0 resumed=0 cycles=0
	: >"$IT_TMP/kill.log"
	# the output of a run that reached the end of the input, against the reference
	check_output() {
		committed kill >"$IT_TMP/kill.rows"
		if ! cmp -s "$IT_TMP/ref.rows" "$IT_TMP/kill.rows"; then
			diff "$IT_TMP/ref.rows" "$IT_TMP/kill.rows" | head -20 >&2
			it_fail "the killed-and-restarted query's output differs from an uninterrupted run's (seed $SEED, after $kills kills; IT_KEEP=1 keeps $IT_TMP)"
		fi
		dups=$(cut -d, -f1,2 "$IT_TMP/kill.rows" | sort | uniq -d | wc -l)
		((dups == 0)) || it_fail "$dups windows were written twice (seed $SEED)"
	}
	while :; do
		runs=$((runs + 1))
		"$SLUICE" run --no-socket --stats "$IT_TMP/kill.sql" >>"$IT_TMP/kill.out" 2>"$IT_TMP/kill.err" &
		pid=$!
		it_track "$pid"
		if ((kills < KILLS)); then
			# a random moment of a run, by its progress rather than the clock
			# (the machine's load varies): once the checkpoint holds a
			# random number of commits, a random few milliseconds on:
			# mid-batch, a checkpoint write, between the sink's write and
			# the commit; now and then at start-up
			target=$((RANDOM % (batches + 1)))
			while kill -0 "$pid" 2>/dev/null && (($(commits) < target)); do
				sleep 0.005
			done
			sleep "0.0$((RANDOM % 40 + 10))"
			if kill -KILL "$pid" 2>/dev/null; then
				wait "$pid" 2>/dev/null
				kills=$((kills + 1))
				cat "$IT_TMP/kill.err" >>"$IT_TMP/kill.log"
				grep -q 'resuming from batch' "$IT_TMP/kill.err" && resumed=$((resumed + 1))
				continue
			fi
		fi
		rc=0
		timeout 120 tail --pid="$pid" -f /dev/null || it_fail "run $runs did not end"
		wait "$pid" || rc=$?
		cat "$IT_TMP/kill.err" >>"$IT_TMP/kill.log"
		if ((rc != 0)); then
			cat "$IT_TMP/kill.err" >&2
			it_fail "run $runs after $kills kills exited $rc (seed $SEED)"
		fi
		# the run reached the end of the input (a kill came too late)
		check_output
		cycles=$((cycles + 1))
		((kills >= KILLS)) && break
		# kills left: start over with a new checkpoint and output
		rm -rf "$IT_TMP/out-kill" "$IT_TMP/ck-kill"
	done
	it_log "$runs runs, $kills killed, $resumed of them had resumed from a checkpoint, $cycles complete outputs compared"
	((resumed > 0)) || it_fail "no killed run ever resumed: the kills all came before the first commit (seed $SEED)"
	it_log "ok: $(wc -l <"$IT_TMP/ref.rows") rows, equal to the uninterrupted run's"
}

# ---- S3: s3rver (npm, tools/.s3/, installed by tools/bootstrap) ----

# it_s3_start BUCKET...: starts s3rver on a free loopback port over a fresh
# directory under $IT_TMP, with the buckets made, and exports what the
# tools and sluice need:
#   S3_PORT, S3_ENDPOINT   http://127.0.0.1:PORT
#   S3_PID, S3_DIR
#   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY   s3rver's own (S3RVER)
#   SLUICE_S3_ENDPOINT, SLUICE_S3_PATH_STYLE    for tools/sluice-s3
# Skips (77) when node or s3rver is not installed; fails when it does not
# listen. s3rver checks the access key id but not SigV4 signatures (the
# unit tests check those against AWS's examples).
it_s3_start() {
	local bin=$SRCDIR/tools/.s3/node_modules/.bin/s3rver args=() more=() b
	it_require node
	[[ -x $bin ]] || it_skip "s3rver is not installed in tools/.s3/ (tools/bootstrap installs it with npm)"
	SLUICE_S3=${SLUICE_S3:-$(dirname "$SLUICE")/tools/sluice-s3}
	[[ -x $SLUICE_S3 ]] || it_skip "no sluice-s3 binary at '$SLUICE_S3' (ninja builds tools/sluice-s3)"
	S3_PORT=$(it_free_port)
	S3_DIR=$IT_TMP/s3rver
	mkdir -p "$S3_DIR"
	for b in "$@"; do args+=(--configure-bucket "$b"); done
	# IT_S3RVER_OPTS: more s3rver options (e.g. --service-endpoint localhost,
	# for virtual-hosted requests to BUCKET.s3.localhost)
	read -r -a more <<<"${IT_S3RVER_OPTS:-}"
	args+=("${more[@]}")
	# s3rver makes ListObjectsV2 continuation tokens with DES, which
	# OpenSSL 3 (node 17 and later) keeps in its legacy provider
	NODE_OPTIONS=--openssl-legacy-provider \
		"$bin" -d "$S3_DIR" -a 127.0.0.1 -p "$S3_PORT" --silent "${args[@]}" >"$IT_TMP/s3rver.log" 2>&1 &
	S3_PID=$!
	it_track "$S3_PID"
	it_wait_listen "$S3_PORT" 30
	export S3_PORT S3_PID S3_DIR SLUICE_S3
	export S3_ENDPOINT=http://127.0.0.1:$S3_PORT
	export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
	unset AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION
	export SLUICE_S3_ENDPOINT=$S3_ENDPOINT SLUICE_S3_PATH_STYLE=true
}

# it_s3 ARGS...: tools/sluice-s3 against the test's server.
it_s3() { "$SLUICE_S3" "$@"; }

# it_s3_proxy MODE...: tests/integration/s3_proxy.mjs in front of s3rver
# (faults: see its header); exports PROXY_PORT, PROXY_ENDPOINT, PROXY_LOG
# (one line per fault it injected).
it_s3_proxy() {
	PROXY_PORT=$(it_free_port)
	PROXY_LOG=$(mktemp "$IT_TMP/proxy.log.XXXXXX")
	node "$SRCDIR/tests/integration/s3_proxy.mjs" "$PROXY_PORT" "$S3_PORT" "$@" >"$PROXY_LOG" 2>&1 &
	PROXY_PID=$!
	it_track "$PROXY_PID"
	it_wait_listen "$PROXY_PORT" 20
	export PROXY_PORT PROXY_LOG PROXY_PID PROXY_ENDPOINT=http://127.0.0.1:$PROXY_PORT
}
