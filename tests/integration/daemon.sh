#!/usr/bin/env bash
#
# daemon — sluiced and its control protocol (docs/control-protocol.md),
# spoken by a Python client on a temporary socket:
#   - submit a query reading a rate source with `rows` (a known count),
#     read progress while it runs, and check that numInputRows summed over
#     the batches equals the rows it read; list and status agree; stop
#     replies when the query has ended; metrics are Prometheus text;
#   - a query that fails (its input file unreadable) keeps its error and
#     the daemon and the other queries go on;
#   - bad input: malformed JSON, a non-object, a missing op, an unknown op,
#     an SQL error (with line and column), stop of an unknown query, a line
#     over 1 MiB (closed), a client that sends nothing, one that leaves
#     mid-request, 1000 clients at once: each its error, the daemon unharmed;
#   - a second daemon on the same socket is refused; a stale socket file
#     (a killed daemon's) is taken over;
#   - SIGTERM stops every query and the daemon cleanly; --log-format json
#     writes one object a line; SIGHUP reopens --log-file;
#   - as root: a connection from another uid is refused;
#   - sluicectl's commands, output and exit codes against the daemon, and
#     against a foreground `sluice run`, which opens the same socket.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require python3 timeout
SLUICED=${SLUICED:-$(dirname "$SLUICE")/sluiced}
[[ -x $SLUICED ]] || it_skip "no sluiced binary at '$SLUICED'"

SOCK=$IT_TMP/ctl.sock
# start_daemon: a new sluiced, once it says it listens (the socket file
# alone may be a killed one's)
start_daemon() {
	local before
	before=$(grep -c "listening on" "$IT_TMP/daemon.err" 2>/dev/null)
	"$SLUICED" --socket "$SOCK" "$@" >"$IT_TMP/daemon.out" 2>>"$IT_TMP/daemon.err" &
	DPID=$!
	it_track "$DPID"
	for _ in $(seq 100); do
		(($(grep -c "listening on" "$IT_TMP/daemon.err") > ${before:-0})) && return
		sleep 0.05
	done
	cat "$IT_TMP/daemon.err" >&2
	it_fail "sluiced did not start listening"
}
start_daemon

# ctl.py: requests as JSON lines on stdin, replies on stdout, one connection
cat >"$IT_TMP/ctl.py" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
for line in sys.stdin:
    f.write(line.encode()); f.flush()
    print(f.readline().decode().rstrip("\n"), flush=True)
EOF
req() { printf '%s\n' "$@" | timeout 30 python3 "$IT_TMP/ctl.py" "$SOCK"; }
# field REPLY EXPR: a Python expression over the reply r
field() { python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# --- a query end to end ---
sql="CREATE SOURCE r WITH (connector = 'rate', rows_per_second = 4000, rows = 12000);
CREATE SINK counted WITH (connector = 'noop', output_mode = 'update', trigger = '200 milliseconds')
AS SELECT value % 10 AS k, count(*) AS n FROM r GROUP BY value % 10;"
sub=$(req "$(python3 -c 'import json,sys; print(json.dumps({"op":"submit","id":1,"sql":sys.argv[1]}))' "$sql")")
[[ $(field "$sub" 'r["ok"] and r["id"] == 1 and r["queries"][0]["name"]') == counted ]] ||
	it_fail "submit: $sub"
sleep 1
mid=$(req '{"op":"progress","name":"counted","last":100}')
[[ $(field "$mid" 'len(r["progress"]) > 0') == True ]] || it_fail "no progress while the query runs: $mid"
p0=$(field "$mid" 'r["progress"][-1]')
for key in id runId name timestamp batchId numInputRows inputRowsPerSecond processedRowsPerSecond \
	durationMs stateOperators sources sink sluice; do
	[[ $(field "$mid" "'$key' in r['progress'][-1]") == True ]] || it_fail "progress lacks $key: $p0"
done
[[ $(field "$mid" 'r["progress"][-1]["stateOperators"][0]["numShufflePartitions"] >= 1') == True ]] ||
	it_fail "stateOperators: $p0"
[[ $(field "$mid" 'all(c["role"] in ("ingest","aggregator") for c in r["progress"][-1]["sluice"]["cores"])') == True ]] ||
	it_fail "cores: $p0"
# its source ends after 12000 rows (3 s); the query waits for more, as
# Spark's does: stop it once everything is in
for _ in $(seq 100); do
	st=$(req '{"op":"status","name":"counted"}')
	[[ $(field "$st" 'r["query"]["rowsIn"]') == 12000 ]] && break
	sleep 0.1
done
stp=$(req '{"op":"stop","name":"counted"}')
[[ $(field "$stp" 'r["query"]["state"]') == stopped ]] || it_fail "stop counted: $stp"
all=$(req '{"op":"progress","name":"counted","last":100}')
sum=$(field "$all" 'sum(p["numInputRows"] for p in r["progress"])')
n=$(field "$all" 'len(r["progress"])')
((n < 100)) || it_fail "more than 100 batches: the sum below would miss some"
((sum == 12000)) || it_fail "numInputRows over the batches sums to $sum, not 12000"
lst=$(req '{"op":"list"}')
[[ $(field "$lst" '[q["name"] for q in r["queries"]]') == "['counted']" ]] || it_fail "list: $lst"
[[ $(field "$lst" 'r["queries"][0]["rowsIn"]') == 12000 ]] || it_fail "list rowsIn: $lst"
met=$(req '{"op":"metrics"}')
field "$met" 'r["text"]' >"$IT_TMP/metrics.txt"
grep -q '^# TYPE sluice_query_input_rows_total counter$' "$IT_TMP/metrics.txt" || it_fail "metrics: no TYPE line"
grep -q '^sluice_query_input_rows_total{query="counted"} 12000$' "$IT_TMP/metrics.txt" ||
	{ cat "$IT_TMP/metrics.txt" >&2; it_fail "metrics: input rows"; }

# --- stop replies once the query has ended ---
sql2="CREATE SOURCE r2 WITH (connector = 'rate', rows_per_second = 1000);
CREATE SINK endless WITH (connector = 'noop', output_mode = 'update', trigger = '100 milliseconds')
AS SELECT count(*) AS n FROM r2;"
sub=$(req "$(python3 -c 'import json,sys; print(json.dumps({"op":"submit","sql":sys.argv[1]}))' "$sql2")")
[[ $(field "$sub" 'r["ok"]') == True ]] || it_fail "submit endless: $sub"
dup=$(req "$(python3 -c 'import json,sys; print(json.dumps({"op":"submit","sql":sys.argv[1]}))' "$sql2")")
[[ $(field "$dup" 'r["error"]["code"]') == duplicate_query ]] || it_fail "a second submit of a running name: $dup"
sleep 0.5
stp=$(req '{"op":"stop","name":"endless","id":"s"}')
[[ $(field "$stp" 'r["id"] == "s" and r["query"]["state"]') == stopped ]] || it_fail "stop: $stp"

# --- a failing query keeps its error; the daemon goes on ---
mkdir -p "$IT_TMP/in"
sql3="CREATE SOURCE f (v STRING) WITH (connector = 'batches', path = '$IT_TMP/no-such-file.txt');
CREATE SINK broken WITH (connector = 'noop') AS SELECT v FROM f;"
sub=$(req "$(python3 -c 'import json,sys; print(json.dumps({"op":"submit","sql":sys.argv[1]}))' "$sql3")")
for _ in $(seq 50); do
	st=$(req '{"op":"status","name":"broken"}')
	[[ $(field "$st" 'r.get("query",{}).get("state")') == failed ]] && break
	[[ $(field "$st" 'r["ok"]') == False ]] && break
	sleep 0.1
done
if [[ $(field "$sub" 'r["ok"]') == True ]]; then
	[[ $(field "$st" 'r["query"]["state"]') == failed ]] || it_fail "the broken query did not fail: $st"
	[[ $(field "$st" '"no-such-file" in (r["query"]["error"] or "")') == True ]] ||
		it_fail "the failure does not name the input: $st"
else
	[[ $(field "$sub" '"no-such-file" in r["error"]["message"]') == True ]] ||
		it_fail "the refused query does not name the input: $sub"
fi

# --- bad input ---
out=$(req 'not json' '[1,2]' '{"id":3}' '{"op":"frobnicate","id":4}' '{"op":"stop","name":"ghost"}' \
	'{"op":"submit","sql":"CREATE SINK x WITH (connector = '"'"'console'"'"') AS SELEC 1"}' '{"op":"list","id":9}')
codes=$(python3 -c 'import json,sys; print(" ".join(json.loads(l).get("error",{}).get("code","ok") for l in sys.stdin))' <<<"$out")
[[ $codes == "bad_json bad_request bad_request unknown_op unknown_query sql_error ok" ]] ||
	it_fail "bad requests gave: $codes ($out)"
echo "$out" | sed -n 6p | grep -q '"line":1' || it_fail "an SQL error without line and column: $(echo "$out" | sed -n 6p)"
echo "$out" | sed -n 4p | grep -q '"id":4' || it_fail "the unknown op's id was not echoed"
python3 - "$SOCK" <<'EOF' || it_fail "the protocol's limits"
import socket, sys, threading
path = sys.argv[1]
# a line over 1 MiB: request_too_large, then closed
s = socket.socket(socket.AF_UNIX); s.connect(path)
try:
    s.sendall(b'{"op":"list","pad":"' + b"x" * (3 << 20) + b'"}\n')
except OSError:
    pass
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
assert b"request_too_large" in data, data[:200]
# idle clients and one leaving mid-request, while 1000 others ask
idle = socket.socket(socket.AF_UNIX); idle.connect(path)
half = socket.socket(socket.AF_UNIX); half.connect(path); half.sendall(b'{"op":"li'); half.close()
ok = []
def one():
    c = socket.socket(socket.AF_UNIX); c.connect(path)
    c.sendall(b'{"op":"list"}\n')
    f = c.makefile("rb")
    ok.append(b'"ok":true' in f.readline())
    c.close()
ts = [threading.Thread(target=one) for _ in range(1000)]
for t in ts: t.start()
for t in ts: t.join()
assert len(ok) == 1000 and all(ok), (len(ok), ok.count(False))
idle.close()
EOF
lst=$(req '{"op":"list"}')
[[ $(field "$lst" 'r["ok"]') == True ]] || it_fail "the daemon was harmed: $lst"

# --- sluicectl: the same through the command line ---
CTL=${SLUICECTL:-$(dirname "$SLUICE")/sluicectl}
[[ -x $CTL ]] || it_fail "no sluicectl binary at $CTL"
ctl() { timeout 60 "$CTL" --socket "$SOCK" "$@"; }
cat >"$IT_TMP/wc.sql" <<EOF
CREATE SOURCE lines WITH (connector = 'generator', words = 50, rows_per_second = 2000);
CREATE SINK wc WITH (connector = 'noop', output_mode = 'complete', trigger = '200 milliseconds')
AS SELECT word, count(*) AS n FROM (SELECT explode(split(value, ' ')) AS word FROM lines) GROUP BY word;
EOF
ctl submit "$IT_TMP/wc.sql" >"$IT_TMP/ctl.out" || it_fail "sluicectl submit: $(cat "$IT_TMP/ctl.out")"
grep -q '^wc  *started  *id ' "$IT_TMP/ctl.out" || it_fail "sluicectl submit printed: $(cat "$IT_TMP/ctl.out")"
sleep 1
ctl list >"$IT_TMP/ctl.out" || it_fail "sluicectl list failed"
head -1 "$IT_TMP/ctl.out" | grep -q '^NAME  *STATE  *BATCH  *IN ROWS/S  *DONE ROWS/S  *LATE  *WATERMARK  *STATE ROWS' ||
	it_fail "sluicectl list header: $(head -1 "$IT_TMP/ctl.out")"
grep -q '^wc  *active ' "$IT_TMP/ctl.out" || it_fail "sluicectl list: $(cat "$IT_TMP/ctl.out")"
ctl progress wc --json --last 3 >"$IT_TMP/ctl.out" || it_fail "sluicectl progress --json failed"
python3 -c 'import json,sys; ps=[json.loads(l) for l in open(sys.argv[1])]; assert ps and all(p["name"]=="wc" and "batchId" in p for p in ps)' "$IT_TMP/ctl.out" ||
	it_fail "sluicectl progress --json: $(head -c 300 "$IT_TMP/ctl.out")"
ctl status wc >"$IT_TMP/ctl.out" || it_fail "sluicectl status failed"
grep -qi 'state.*active' "$IT_TMP/ctl.out" || it_fail "sluicectl status: $(cat "$IT_TMP/ctl.out")"
ctl top --once >"$IT_TMP/ctl.out" || it_fail "sluicectl top --once failed"
grep -q 'wc' "$IT_TMP/ctl.out" || it_fail "sluicectl top --once shows no query"
ctl metrics >"$IT_TMP/ctl.out" || it_fail "sluicectl metrics failed"
grep -q '^sluice_query_batches_total{query="wc"} [1-9]' "$IT_TMP/ctl.out" ||
	it_fail "sluicectl metrics: $(grep wc "$IT_TMP/ctl.out" | head -3)"
ctl explain "$IT_TMP/wc.sql" >"$IT_TMP/ctl.out" || it_fail "sluicectl explain failed"
grep -q 'Physical Plan' "$IT_TMP/ctl.out" || it_fail "sluicectl explain: $(head -3 "$IT_TMP/ctl.out")"
ctl stop wc >"$IT_TMP/ctl.out" || it_fail "sluicectl stop failed"
grep -q 'wc stopped' "$IT_TMP/ctl.out" || it_fail "sluicectl stop printed: $(cat "$IT_TMP/ctl.out")"
rc=0
ctl stop ghost 2>"$IT_TMP/ctl.err" || rc=$?
((rc == 1)) || it_fail "sluicectl stop of an unknown query exited $rc, not 1"
grep -q "no query named 'ghost'" "$IT_TMP/ctl.err" || it_fail "unknown query: $(cat "$IT_TMP/ctl.err")"
printf 'CREATE SINK x WITH (connector = %s) AS SELEC 1;\n' "'noop'" >"$IT_TMP/bad.sql"
rc=0
ctl submit "$IT_TMP/bad.sql" 2>"$IT_TMP/ctl.err" || rc=$?
((rc == 1)) || it_fail "sluicectl submit of bad SQL exited $rc, not 1"
grep -q "bad.sql:1:[0-9]*: " "$IT_TMP/ctl.err" || it_fail "bad SQL: $(cat "$IT_TMP/ctl.err")"
rc=0
timeout 10 "$CTL" --socket "$IT_TMP/nobody.sock" list 2>"$IT_TMP/ctl.err" || rc=$?
((rc == 3)) || it_fail "sluicectl without a daemon exited $rc, not 3"
grep -q "$IT_TMP/nobody.sock" "$IT_TMP/ctl.err" || it_fail "unreachable: the socket path is not named"
rc=0
ctl frobnicate 2>/dev/null || rc=$?
((rc == 2)) || it_fail "sluicectl with an unknown command exited $rc, not 2"

# --- sluice run opens the same socket: sluicectl reaches a foreground query ---
cat >"$IT_TMP/fg.sql" <<EOF
CREATE SOURCE r3 WITH (connector = 'rate', rows_per_second = 500);
CREATE SINK fg WITH (connector = 'noop', output_mode = 'update', trigger = '100 milliseconds')
AS SELECT count(*) AS n FROM r3;
EOF
"$SLUICE" run --socket "$IT_TMP/run.sock" "$IT_TMP/fg.sql" >"$IT_TMP/fg.out" 2>"$IT_TMP/fg.err" &
fgpid=$!
it_track "$fgpid"
for _ in $(seq 100); do grep -q "control socket" "$IT_TMP/fg.err" && break; sleep 0.05; done
grep -q "^sluice: control socket $IT_TMP/run.sock (sluicectl --socket $IT_TMP/run.sock list)$" "$IT_TMP/fg.err" ||
	it_fail "sluice run did not print its control socket: $(cat "$IT_TMP/fg.err")"
sleep 0.5
timeout 30 "$CTL" --socket "$IT_TMP/run.sock" list >"$IT_TMP/ctl.out" || it_fail "sluicectl list on a sluice run failed"
grep -q '^fg  *active ' "$IT_TMP/ctl.out" || it_fail "sluicectl list on sluice run: $(cat "$IT_TMP/ctl.out")"
timeout 30 "$CTL" --socket "$IT_TMP/run.sock" stop fg >"$IT_TMP/ctl.out" || it_fail "sluicectl stop on sluice run failed"
rc=0
timeout 20 tail --pid="$fgpid" -f /dev/null || it_fail "sluice run did not end once its query was stopped"
wait "$fgpid" || rc=$?
((rc == 0)) || it_fail "sluice run exited $rc after its query was stopped: $(cat "$IT_TMP/fg.err")"
[[ -e $IT_TMP/run.sock ]] && it_fail "sluice run left its socket behind"

# --- logs: --log-format json, --log-file reopened on SIGHUP ---
"$SLUICED" --socket "$IT_TMP/log.sock" --log-format json --log-file "$IT_TMP/d.log" &
lpid=$!
it_track "$lpid"
for _ in $(seq 100); do grep -q "listening" "$IT_TMP/d.log" 2>/dev/null && break; sleep 0.05; done
python3 - "$IT_TMP/d.log" <<'EOF' || it_fail "--log-format json: $(head -3 "$IT_TMP/d.log")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines and all({"time", "level", "msg"} <= set(l) for l in lines), lines
assert any("listening on" in l["msg"] for l in lines), lines
EOF
mv "$IT_TMP/d.log" "$IT_TMP/d.log.1"
kill -HUP "$lpid"
for _ in $(seq 100); do [[ -s $IT_TMP/d.log ]] && break; sleep 0.05; done
grep -q '"msg":"log reopened"' "$IT_TMP/d.log" || it_fail "SIGHUP did not reopen the log file"
kill -TERM "$lpid"
wait "$lpid" || it_fail "the json-logging daemon did not stop cleanly"
grep -q '"msg":"sluiced stopped"' "$IT_TMP/d.log" || it_fail "no 'stopped' line in the reopened log"

# --- a second daemon on the same socket is refused ---
rc=0
timeout 10 "$SLUICED" --socket "$SOCK" 2>"$IT_TMP/second.err" || rc=$?
((rc == 1)) || it_fail "a second daemon on the socket exited $rc"
grep -q "another sluiced is running on $SOCK" "$IT_TMP/second.err" || { cat "$IT_TMP/second.err" >&2; it_fail "second daemon: message"; }
[[ $(field "$(req '{"op":"list"}')" 'r["ok"]') == True ]] || it_fail "the first daemon was harmed by the second"

# --- SIGTERM: clean stop ---
kill -TERM "$DPID"
timeout 20 tail --pid="$DPID" -f /dev/null || it_fail "sluiced did not stop on SIGTERM"
wait "$DPID" || it_fail "sluiced exited non-zero on SIGTERM"
[[ -e $SOCK ]] && it_fail "the socket file stayed after a clean stop"

# --- a stale socket (a killed daemon's) is taken over ---
start_daemon
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null || true
[[ -S $SOCK ]] || it_fail "no stale socket left to test with"
start_daemon --metrics-listen 127.0.0.1:0
grep -q "taking over the stale socket" "$IT_TMP/daemon.err" || it_fail "no word of the stale socket"
[[ $(field "$(req '{"op":"list"}')" 'r["ok"]') == True ]] || it_fail "the new daemon does not answer"
# --metrics-listen: the same text over HTTP, at the port the log names
url=$(sed -n 's#.*metrics at \(http://[0-9.:]*/metrics\).*#\1#p' "$IT_TMP/daemon.err" | tail -1)
[[ -n $url ]] || it_fail "the log does not say where the metrics are"
python3 - "$url" <<'EOF' || it_fail "GET $url"
import sys, urllib.request, urllib.error
r = urllib.request.urlopen(sys.argv[1], timeout=10)
assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
body = r.read().decode()
assert "# TYPE sluice_queries gauge" in body, body[:300]
try:
    urllib.request.urlopen(sys.argv[1].replace("/metrics", "/other"), timeout=10)
    raise SystemExit("a path other than /metrics answered 200")
except urllib.error.HTTPError as e:
    assert e.code == 404
EOF

# --- another uid is refused (root only: it can switch uid) ---
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null && [[ -x /usr/bin/python3 ]]; then
	chmod 0755 "$IT_TMP" "$(dirname "$SOCK")"
	chmod 0666 "$SOCK" # the mode lets it in: the uid check must refuse it
	# the daemon answers a refused peer at once and closes: read, do not send
	cat >"$IT_TMP/peek.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
print(s.makefile("rb").readline().decode().rstrip())
EOF
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 "$IT_TMP/peek.py" "$SOCK" 2>&1)
	[[ $out == *'"code":"refused"'* ]] || it_fail "another uid was not refused: $out"
else
	it_log "not root (or no setpriv): the other-uid check is not run"
fi
it_log "ok"
