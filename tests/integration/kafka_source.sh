#!/usr/bin/env bash
#
# kafka_source — the kafka source (connector = 'kafka', Spark's Kafka
# source) run by the real binary against tools/kafka-mock, records
# produced by kcat (an independent Kafka client):
#   - word count over a topic of 4 partitions (Spark's columns, no format),
#     trigger available_now: the counts equal awk's over the same lines,
#     on one ingest core and on two;
#   - max_offsets_per_trigger: a running query's progress (sluicectl) shows
#     every batch at most the limit, the batches' ranges back to back
#     (startOffset = the previous endOffset), all records counted;
#   - a restart from the checkpoint reads only what came after;
#   - format = 'json' and 'csv' with the file source's modes: a malformed
#     value is a NULL field (PERMISSIVE), dropped and counted
#     (DROPMALFORMED), or stops the query naming topic, partition and
#     offset (FAILFAST); empty and 900 KB values;
#   - starting_offsets JSON, assign, subscribe_pattern (and a topic made
#     while the query runs that matches it); starting_timestamp (the mock
#     has no time index: its error, and strategy 'latest');
#   - commit_offsets_to_group: a kcat member of the group goes on after
#     the query's offsets;
#   - a topic written by sluice's own kafka sink (JSON) read back by the
#     source, sums exact;
#   - fail_on_data_loss: records deleted by the mock's retention (it keeps
#     about 5 MB a partition) before a restarted query read them: the
#     query stops naming the offsets (true), or skips them, says so and
#     reads the rest (false);
#   - a topic deleted and made again (the restarted query pointed at a
#     new cluster): offsets gone back, a partition gone, both ways;
#   - brokers down while the query runs (SIGUSR1 to the mock), up again:
#     nothing lost; SIGTERM while they are down stops the query within 15 s;
#     a broker that cannot be reached at start: a clear error within
#     kafka.socket.timeout.ms;
#   - bad options refused before anything runs (exit 2).

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout grep python3
CTL=${SLUICECTL:-$(dirname "$SLUICE")/sluicectl}
[[ -x $CTL ]] || it_skip "no sluicectl binary at $CTL"

it_kafka_start words:4 json:2 csv:1 pat-a:1 pat-b:2 other:1 lossy:1 live:2 again:2 grp:2 chain:3

# run_sql NAME [ARGS]: run $IT_TMP/NAME.sql to its end, expect exit 0.
run_sql() {
	local name=$1
	shift
	timeout 60 "$SLUICE" run "$IT_TMP/$name.sql" --no-socket "$@" >"$IT_TMP/$name.out" \
		2>"$IT_TMP/$name.err" || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice failed"; }
}

# table NAME: the rows of the last console table in NAME.out
table() { it_console_rows "$IT_TMP/$1.out"; }

# --- word count over 4 partitions ---------------------------------------
python3 - "$IT_TMP/words.txt" <<'EOF'
import random, sys
r = random.Random(7)
words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"]
with open(sys.argv[1], "w") as f:
    for i in range(3000):
        f.write(" ".join(r.choice(words) for _ in range(r.randrange(1, 9))) + "\n")
EOF
kcat -P -b "$KAFKA_BOOTSTRAP" -t words -l "$IT_TMP/words.txt" || it_fail "kcat could not produce"
tr ' ' '\n' <"$IT_TMP/words.txt" | sort | uniq -c | awk '{print "|" $2 "|" $1 "|"}' >"$IT_TMP/wc.want"
cat >"$IT_TMP/wc.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
  subscribe = 'words', starting_offsets = 'earliest');
CREATE SINK o WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now',
  num_rows = 100)
AS SELECT word, count(*) AS n FROM (SELECT explode(split(CAST(value AS STRING), ' ')) AS word FROM k)
   GROUP BY word ORDER BY word;
EOF
run_sql wc --stats
table wc >"$IT_TMP/wc.got"
it_same "$IT_TMP/wc.want" "$IT_TMP/wc.got" "word counts on one ingest core"
grep -q '^stat rows_in 3000$' "$IT_TMP/wc.err" || it_fail "rows_in is not 3000: $(grep rows_in "$IT_TMP/wc.err")"
run_sql wc --ingest-cores 0,1
table wc >"$IT_TMP/wc2.got"
it_same "$IT_TMP/wc.want" "$IT_TMP/wc2.got" "word counts on two ingest cores"

# Spark's columns: key and value are BINARY, shown as their bytes
printf 'hi\n' | kcat -P -b "$KAFKA_BOOTSTRAP" -t other -p 0 -k ab
cat >"$IT_TMP/bin.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
  assign = '{"other":[0]}', starting_offsets = 'earliest');
CREATE SINK o WITH (connector = 'console', trigger = 'available_now', truncate = false)
AS SELECT key, value, CAST(value AS STRING) AS text, topic, partition, offset, timestampType FROM k;
EOF
run_sql bin
printf '%s\n' '|[6162]|[6869]|hi|other|0|0|0|' >"$IT_TMP/bin.want"
table bin >"$IT_TMP/bin.got"
it_same "$IT_TMP/bin.want" "$IT_TMP/bin.got" "Spark's Kafka columns, BINARY key and value"

# --- max_offsets_per_trigger, seen in progress ---------------------------
cat >"$IT_TMP/lim.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
  subscribe = 'words', starting_offsets = 'earliest', max_offsets_per_trigger = 700);
CREATE SINK lim WITH (connector = 'noop') AS SELECT value FROM k;
EOF
"$SLUICE" run "$IT_TMP/lim.sql" --socket "$IT_TMP/lim.sock" >"$IT_TMP/lim.out" 2>"$IT_TMP/lim.err" &
lim_pid=$!
it_track "$lim_pid"
for ((i = 0; i < 200; i++)); do
	"$CTL" --socket "$IT_TMP/lim.sock" progress lim --json --last 100 >"$IT_TMP/lim.json" 2>/dev/null &&
		python3 - "$IT_TMP/lim.json" <<'EOF' && break
import json, sys
ps = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if sum(p["numInputRows"] for p in ps) >= 3000 else 1)
EOF
	sleep 0.1
done
python3 - "$IT_TMP/lim.json" <<'EOF' || it_fail "max_offsets_per_trigger: see above"
import json, sys
ps = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ps = [p for p in ps if p["numInputRows"] > 0]
total = sum(p["numInputRows"] for p in ps)
assert total == 3000, "rows %d" % total
assert len(ps) >= 5, "only %d batches for 3000 records at 700 a batch" % len(ps)
prev = None
for p in ps:
    s = p["sources"][0]
    st, en = s["startOffset"]["words"], s["endOffset"]["words"]
    took = sum(en[k] - st.get(k, 0) for k in en)
    assert took == p["numInputRows"], (took, p["numInputRows"])
    assert took <= 700, "batch %d took %d offsets" % (p["batchId"], took)
    if prev is not None:
        assert st == prev, "batch %d starts at %s, not where the last ended (%s)" % (p["batchId"], st, prev)
    prev = en
    assert "latestOffset" in s
print("batches:", [p["numInputRows"] for p in ps])
EOF
kill "$lim_pid"

# --- a restart from the checkpoint --------------------------------------
cat >"$IT_TMP/ck.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
  subscribe = 'words', starting_offsets = 'earliest', max_offsets_per_trigger = 1000);
CREATE SINK o WITH (connector = 'file', path = '$IT_TMP/ck-out', format = 'csv',
  trigger = 'available_now', checkpoint = '$IT_TMP/ck')
AS SELECT partition, offset FROM k;
EOF
run_sql ck
kcat -P -b "$KAFKA_BOOTSTRAP" -t words -l "$IT_TMP/words.txt" || it_fail "kcat could not produce"
run_sql ck
grep -q 'resuming from batch' "$IT_TMP/ck.err" || it_fail "the second run did not resume"
it_sink_rows "$IT_TMP/ck-out" | sort >"$IT_TMP/ck.rows"
(($(wc -l <"$IT_TMP/ck.rows") == 6000)) || it_fail "restart: $(wc -l <"$IT_TMP/ck.rows") records, not 6000"
(($(uniq -d "$IT_TMP/ck.rows" | wc -l) == 0)) || it_fail "restart: records written twice"

# --- json and csv values, the parse modes, empty and large values --------
printf '%s\n' '{"ad":"a1","n":1}' '{"ad":"a2","n":"x"}' 'not json' '{"ad":"a3","n":3}' \
	>"$IT_TMP/json.txt"
kcat -P -b "$KAFKA_BOOTSTRAP" -t json -p 0 -l "$IT_TMP/json.txt"
echo | kcat -P -b "$KAFKA_BOOTSTRAP" -t json -p 1 # an empty value: no record
json_q() {
	cat >"$IT_TMP/$1.sql" <<EOF
CREATE SOURCE j (ad STRING, n INT) WITH (connector = 'kafka',
  bootstrap_servers = '$KAFKA_BOOTSTRAP', subscribe = 'json', starting_offsets = 'earliest',
  format = 'json', mode = '$2');
CREATE SINK o WITH (connector = 'console', trigger = 'available_now')
AS SELECT ad, n FROM j;
EOF
}
json_q jperm PERMISSIVE
run_sql jperm --stats
printf '%s\n' '|NULL|NULL|' '|a1|1|' '|a2|NULL|' '|a3|3|' >"$IT_TMP/jperm.want"
table jperm | sort >"$IT_TMP/jperm.got"
it_same "$IT_TMP/jperm.want" "$IT_TMP/jperm.got" "json PERMISSIVE"
json_q jdrop DROPMALFORMED
run_sql jdrop --stats
printf '%s\n' '|a1|1|' '|a3|3|' >"$IT_TMP/jdrop.want"
table jdrop | sort >"$IT_TMP/jdrop.got"
it_same "$IT_TMP/jdrop.want" "$IT_TMP/jdrop.got" "json DROPMALFORMED"
grep -q '^stat rows_malformed 2$' "$IT_TMP/jdrop.err" ||
	it_fail "DROPMALFORMED: $(grep rows_malformed "$IT_TMP/jdrop.err")"
json_q jfail FAILFAST
timeout 60 "$SLUICE" run "$IT_TMP/jfail.sql" --no-socket >"$IT_TMP/jfail.out" 2>"$IT_TMP/jfail.err" &&
	it_fail "FAILFAST: the query did not stop"
grep -q "topic 'json' partition 0 offset 1: " "$IT_TMP/jfail.err" ||
	it_fail "FAILFAST: the error does not name the record: $(cat "$IT_TMP/jfail.err")"

# csv: an empty value is no record; a 900 KB value is one
python3 - "$IT_TMP/csv.txt" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("k1,5\n")
    f.write("k2,7\n")
    f.write("big," + "9" * 6 + "\n")
EOF
kcat -P -b "$KAFKA_BOOTSTRAP" -t csv -l "$IT_TMP/csv.txt"
echo | kcat -P -b "$KAFKA_BOOTSTRAP" -t csv # an empty value: no record
python3 -c 'print("huge," + "1" * 900000, end="")' >"$IT_TMP/huge.bin"
kcat -P -b "$KAFKA_BOOTSTRAP" -t csv -X message.max.bytes=2000000 "$IT_TMP/huge.bin" ||
	it_fail "kcat could not produce a 900 KB record"
cat >"$IT_TMP/csv.sql" <<EOF
CREATE SOURCE c (k STRING, v STRING) WITH (connector = 'kafka',
  bootstrap_servers = '$KAFKA_BOOTSTRAP', subscribe = 'csv', starting_offsets = 'earliest',
  format = 'csv');
CREATE SINK o WITH (connector = 'console', trigger = 'available_now')
AS SELECT k, length(v) AS len FROM c WHERE k IS NOT NULL;
EOF
run_sql csv
printf '%s\n' '|big|6|' '|huge|900000|' '|k1|1|' '|k2|1|' >"$IT_TMP/csv.want"
table csv | sort >"$IT_TMP/csv.got"
it_same "$IT_TMP/csv.want" "$IT_TMP/csv.got" "csv values, a 900 KB one among them"

# --- starting_offsets JSON, assign, subscribe_pattern --------------------
for t in pat-a pat-b other; do
	seq 1 10 | sed "s/^/$t-/" | kcat -P -b "$KAFKA_BOOTSTRAP" -t "$t" -p 0
done
((n_other = 10 + 1)) # the record of the BINARY check above
sub_q() {
	cat >"$IT_TMP/$1.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP', $2);
CREATE SINK o WITH (connector = 'console', trigger = 'available_now', output_mode = 'complete')
AS SELECT topic, count(*) AS n FROM k GROUP BY topic ORDER BY topic;
EOF
	run_sql "$1"
	table "$1" >"$IT_TMP/$1.got"
}
sub_q pat "subscribe_pattern = 'pat-.*', starting_offsets = 'earliest'"
printf '%s\n' '|pat-a|10|' '|pat-b|10|' >"$IT_TMP/pat.want"
it_same "$IT_TMP/pat.want" "$IT_TMP/pat.got" "subscribe_pattern"
sub_q asg "assign = '{\"pat-b\":[0],\"other\":[0]}', starting_offsets = '{\"pat-b\":{\"0\":4},\"other\":{\"0\":-2}}'"
printf '%s\n' "|other|$n_other|" '|pat-b|6|' >"$IT_TMP/asg.want"
it_same "$IT_TMP/asg.want" "$IT_TMP/asg.got" "assign with starting_offsets JSON"

# --- commit_offsets_to_group: kcat, as a member of the group, goes on after them
seq 1 100 | kcat -P -b "$KAFKA_BOOTSTRAP" -t grp
cat >"$IT_TMP/grp.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
  subscribe = 'grp', starting_offsets = 'earliest', commit_offsets_to_group = true,
  kafka.group.id = 'watchers');
CREATE SINK o WITH (connector = 'noop', trigger = 'available_now') AS SELECT value FROM k;
EOF
run_sql grp
seq 101 105 | kcat -P -b "$KAFKA_BOOTSTRAP" -t grp
timeout 20 kcat -b "$KAFKA_BOOTSTRAP" -G watchers -X auto.offset.reset=earliest -e -q grp |
	sort -n >"$IT_TMP/grp.got"
seq 101 105 >"$IT_TMP/grp.want"
it_same "$IT_TMP/grp.want" "$IT_TMP/grp.got" "what the group reads after the query's committed offsets"

# --- starting_timestamp: the mock keeps no time index (it answers -1 for
# every timestamp), so every partition has "no record at or after it"
cat >"$IT_TMP/ts.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
  subscribe = 'grp', starting_timestamp = 0);
CREATE SINK o WITH (connector = 'noop', trigger = 'available_now') AS SELECT value FROM k;
EOF
timeout 20 "$SLUICE" run "$IT_TMP/ts.sql" --no-socket >/dev/null 2>"$IT_TMP/ts.err" &&
	it_fail "starting_timestamp with no record after it: the query ran"
grep -q "topic 'grp' partition 0 has no record at or after timestamp 0" "$IT_TMP/ts.err" ||
	it_fail "starting_timestamp: $(cat "$IT_TMP/ts.err")"
sed -i "s/starting_timestamp = 0)/starting_timestamp = 0, starting_offsets_by_timestamp_strategy = 'latest')/" "$IT_TMP/ts.sql"
run_sql ts --stats
grep -q '^stat rows_in 0$' "$IT_TMP/ts.err" || it_fail "strategy latest read records: $(grep rows_in "$IT_TMP/ts.err")"

# --- a new topic that matches the pattern, while the query runs ------------
cat >"$IT_TMP/newt.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
  subscribe_pattern = 'fresh-.*', starting_offsets = 'earliest');
CREATE SINK o WITH (connector = 'console', output_mode = 'complete')
AS SELECT topic, count(*) AS n FROM k GROUP BY topic;
EOF
"$SLUICE" run "$IT_TMP/newt.sql" --no-socket >"$IT_TMP/newt.out" 2>"$IT_TMP/newt.err" &
newt_pid=$!
it_track "$newt_pid"
sleep 1
seq 1 30 | kcat -P -b "$KAFKA_BOOTSTRAP" -t fresh-one # the mock makes the topic (4 partitions)
it_wait_for 20 "grep -q '^|fresh-one| *30|' '$IT_TMP/newt.out'" ||
	it_fail "a new topic matching the pattern was not read: $(tail -5 "$IT_TMP/newt.out") $(cat "$IT_TMP/newt.err")"
grep -q "new partitions\?, read from their earliest offsets" "$IT_TMP/newt.err" ||
	it_fail "the new partitions were not announced: $(cat "$IT_TMP/newt.err")"
kill "$newt_pid"

# --- sluice's own sink writes a topic, sluice's source reads it -----------------
cat >"$IT_TMP/chain_w.sql" <<EOF
CREATE SOURCE r WITH (connector = 'rate', rows_per_second = 100000, rows = 5000, num_partitions = 2);
CREATE SINK w WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP', topic = 'chain',
  format = 'json', trigger = 'available_now')
AS SELECT value AS v, value % 7 AS k FROM r;
EOF
run_sql chain_w
cat >"$IT_TMP/chain_r.sql" <<EOF
CREATE SOURCE c (v BIGINT, k BIGINT) WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
  subscribe = 'chain', starting_offsets = 'earliest', format = 'json');
CREATE SINK o WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT k, count(*) AS n, sum(v) AS s FROM c GROUP BY k ORDER BY k;
EOF
run_sql chain_r
python3 -c '
for k in range(7):
    vs = [v for v in range(5000) if v % 7 == k]
    print("|%d|%d|%d|" % (k, len(vs), sum(vs)))' >"$IT_TMP/chain.want"
table chain_r >"$IT_TMP/chain.got"
it_same "$IT_TMP/chain.want" "$IT_TMP/chain.got" "what sluice's kafka sink wrote, read by its kafka source"

# --- fail_on_data_loss ---------------------------------------------------
seq 1 100 | kcat -P -b "$KAFKA_BOOTSTRAP" -t lossy
loss_q() {
	cat >"$IT_TMP/$1.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
  subscribe = 'lossy', starting_offsets = 'earliest', fail_on_data_loss = $2);
CREATE SINK o WITH (connector = 'file', path = '$IT_TMP/$1-out', format = 'csv',
  trigger = 'available_now', checkpoint = '$IT_TMP/$1-ck')
AS SELECT offset FROM k;
EOF
}
loss_q lt true
loss_q lf false
run_sql lt
run_sql lf
# 8 MB more: the mock keeps about 5 MB a partition, so offsets 100.. go
python3 -c 'import sys; [print("x" * 1000) for _ in range(8000)]' >"$IT_TMP/lossy.txt"
kcat -P -b "$KAFKA_BOOTSTRAP" -t lossy -l "$IT_TMP/lossy.txt"
lo=$(kcat -Q -b "$KAFKA_BOOTSTRAP" -t lossy:0:-2 | awk '{print $NF}')
((lo > 100)) || it_fail "the mock kept every record (earliest offset $lo): no data loss to test"
timeout 60 "$SLUICE" run "$IT_TMP/lt.sql" --no-socket >"$IT_TMP/lt.out" 2>"$IT_TMP/lt.err" &&
	it_fail "fail_on_data_loss = true: the query did not stop"
grep -q "topic 'lossy' partition 0: offsets 100 to $((lo - 1)) were deleted before they were read" \
	"$IT_TMP/lt.err" || it_fail "fail_on_data_loss = true: $(cat "$IT_TMP/lt.err")"
run_sql lf --stats
grep -q "offsets 100 to $((lo - 1)) were deleted before they were read; skipped" "$IT_TMP/lf.err" ||
	it_fail "fail_on_data_loss = false: no warning: $(cat "$IT_TMP/lf.err")"
n=$(it_sink_rows "$IT_TMP/lf-out" | wc -l)
((n == 100 + 8100 - lo)) || it_fail "fail_on_data_loss = false: $n records, not $((100 + 8100 - lo))"

# a topic deleted and made again (here: the query restarted against a new
# cluster whose 'again' has fewer records and one partition less): the
# offsets went back and partition 1 is gone
seq 1 100 | kcat -P -b "$KAFKA_BOOTSTRAP" -t again -p 0
seq 1 50 | kcat -P -b "$KAFKA_BOOTSTRAP" -t again -p 1
again_q() {
	cat >"$IT_TMP/$1.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
  subscribe = 'again', starting_offsets = 'earliest', fail_on_data_loss = $2);
CREATE SINK o WITH (connector = 'file', path = '$IT_TMP/$1-out', format = 'csv',
  trigger = 'available_now', checkpoint = '$IT_TMP/$1-ck')
AS SELECT partition, offset FROM k;
EOF
}
again_q at true
again_q af false
run_sql at
run_sql af
first_bootstrap=$KAFKA_BOOTSTRAP
first_pid=$KAFKA_MOCK_PID
first_err=$KAFKA_MOCK_ERR
it_kafka_start again:1
seq 1 10 | kcat -P -b "$KAFKA_BOOTSTRAP" -t again -p 0
again_q at true
again_q af false
timeout 60 "$SLUICE" run "$IT_TMP/at.sql" --no-socket >"$IT_TMP/at.out" 2>"$IT_TMP/at.err" &&
	it_fail "a recreated topic, fail_on_data_loss = true: the query did not stop"
grep -Eq "topic 'again' partition (0: its newest offset is 10, below 100|1 is gone)" "$IT_TMP/at.err" ||
	it_fail "a recreated topic, fail_on_data_loss = true: $(cat "$IT_TMP/at.err")"
run_sql af
grep -q "topic 'again' partition 0: its offsets went back" "$IT_TMP/af.err" ||
	it_fail "a recreated topic, fail_on_data_loss = false: no warning: $(cat "$IT_TMP/af.err")"
grep -q "topic 'again' partition 1 is gone" "$IT_TMP/af.err" ||
	it_fail "a gone partition, fail_on_data_loss = false: no warning: $(cat "$IT_TMP/af.err")"
# 150 records from the first cluster, then the new one's 10 from offset 0
n=$(it_sink_rows "$IT_TMP/af-out" | wc -l)
((n == 160)) || it_fail "a recreated topic, fail_on_data_loss = false: $n records, not 160"
KAFKA_BOOTSTRAP=$first_bootstrap
KAFKA_MOCK_PID=$first_pid
KAFKA_MOCK_ERR=$first_err

# --- brokers down while the query runs, up again ---------------------------
cat >"$IT_TMP/live.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
  subscribe = 'live', starting_offsets = 'earliest');
CREATE SINK live WITH (connector = 'console', output_mode = 'complete')
AS SELECT count(*) AS n FROM k;
EOF
"$SLUICE" run "$IT_TMP/live.sql" --no-socket >"$IT_TMP/live.out" 2>"$IT_TMP/live.err" &
live_pid=$!
it_track "$live_pid"
seq 1 500 | kcat -P -b "$KAFKA_BOOTSTRAP" -t live
it_wait_for 20 "grep -q '^| *500|' '$IT_TMP/live.out'" || it_fail "live: 500 not counted"
it_kafka_down
sleep 2
it_kafka_up
seq 1 700 | kcat -P -b "$KAFKA_BOOTSTRAP" -t live
it_wait_for 30 "grep -q '^| *1200|' '$IT_TMP/live.out'" ||
	it_fail "live: after the brokers came back, 1200 not counted: $(tail -5 "$IT_TMP/live.out")"
kill "$live_pid"

# a stop while the brokers are down: SIGTERM ends the query within 15 s,
# status 0 (the planner's requests wait at most 2 s each, then ask again;
# they used to wait the whole 30 s socket timeout, and the stop with them)
"$SLUICE" run "$IT_TMP/live.sql" --no-socket >"$IT_TMP/down.out" 2>"$IT_TMP/down.err" &
down_pid=$!
it_track "$down_pid"
it_wait_for 20 "grep -q '^| *1200|' '$IT_TMP/down.out'" || it_fail "down: 1200 not counted"
it_kafka_down
sleep 3
kill -TERM "$down_pid"
for ((i = 0; i < 300; i++)); do
	kill -0 "$down_pid" 2>/dev/null || break
	sleep 0.05
done
kill -0 "$down_pid" 2>/dev/null && it_fail "down: sluice still runs 15 s after SIGTERM with the brokers down"
wait "$down_pid" || it_fail "down: sluice exited $? after SIGTERM (expected 0)"
it_kafka_up
it_log "a stop while the brokers are down: within 15 s: ok"

# a broker that cannot be reached at start
port=$(it_free_port)
cat >"$IT_TMP/dead.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '127.0.0.1:$port',
  subscribe = 'x', kafka.socket.timeout.ms = 1500);
CREATE SINK o WITH (connector = 'console') AS SELECT value FROM k;
EOF
timeout 20 "$SLUICE" run "$IT_TMP/dead.sql" --no-socket >/dev/null 2>"$IT_TMP/dead.err" &&
	it_fail "an unreachable broker: the query ran"
grep -q "cannot read the cluster's metadata from '127.0.0.1:$port' within 1500 ms" "$IT_TMP/dead.err" ||
	it_fail "an unreachable broker: $(cat "$IT_TMP/dead.err")"

# --- bad options: refused before anything runs ----------------------------
bad() {
	local what=$1 opts=$2 want=$3 cols=${4:-}
	cat >"$IT_TMP/bad.sql" <<EOF
CREATE SOURCE k $cols WITH (connector = 'kafka', $opts);
CREATE SINK o WITH (connector = 'console') AS SELECT * FROM k;
EOF
	local rc=0
	timeout 20 "$SLUICE" run "$IT_TMP/bad.sql" --no-socket >/dev/null 2>"$IT_TMP/bad.err" || rc=$?
	((rc == 2)) || it_fail "$what: exit $rc, not 2: $(cat "$IT_TMP/bad.err")"
	grep -qF -- "$want" "$IT_TMP/bad.err" || it_fail "$what: the message lacks '$want': $(cat "$IT_TMP/bad.err")"
}
B="bootstrap_servers = '$KAFKA_BOOTSTRAP'"
bad "no bootstrap" "subscribe = 'x'" "needs option 'bootstrap_servers'"
bad "no subscription" "$B" "needs exactly one of 'subscribe'"
bad "two subscriptions" "$B, subscribe = 'x', assign = '{\"x\":[0]}'" "it has more than one"
bad "bad assign" "$B, assign = '{\"x\":[0,]}'" "option 'assign' is not valid JSON"
bad "bad pattern" "$B, subscribe_pattern = 'a(('" "option 'subscribe_pattern'"
bad "bad starting_offsets" "$B, subscribe = 'x', starting_offsets = 'first'" "must be 'earliest', 'latest' or JSON"
bad "bad limit" "$B, subscribe = 'x', max_offsets_per_trigger = 0" "max_offsets_per_trigger"
bad "min over max" "$B, subscribe = 'x', max_offsets_per_trigger = 5, min_offsets_per_trigger = 9" "a batch could never take enough"
bad "auto.offset.reset" "$B, subscribe = 'x', kafka.auto.offset.reset = 'earliest'" "set the source option 'starting_offsets' instead"
bad "librdkafka refuses" "$B, subscribe = 'x', kafka.fetch.wait.max.ms = 'soon'" "librdkafka refuses"
bad "unknown option" "$B, subscribe = 'x', topic = 'y'" "unknown option 'topic' for connector 'kafka'"
bad "headers with a format" "$B, subscribe = 'x', include_headers = true, format = 'json'" "adds Kafka's headers column to Kafka's own rows" "(a STRING)"
bad "headers without include_headers" "$B, subscribe = 'x'" "only with include_headers = true" "(headers ARRAY<STRUCT<key: STRING, value: BINARY>>)"
bad "headers of another type" "$B, subscribe = 'x', include_headers = true" "column 'headers' is ARRAY<STRUCT<key: STRING, value: BINARY>> in Kafka's rows, not ARRAY<STRING>" "(headers ARRAY<STRING>)"
bad "a column not Kafka's" "$B, subscribe = 'x'" "its columns are Kafka's" "(ad STRING)"
bad "a Kafka column's type" "$B, subscribe = 'x'" "is BIGINT in Kafka's rows" "(offset INT)"
bad "value's type" "$B, subscribe = 'x'" "is BINARY in Kafka's rows, not INT; declare it BINARY or STRING" "(value INT)"
bad "format without columns" "$B, subscribe = 'x', format = 'json'" "declare the columns"
bad "a format option without format" "$B, subscribe = 'x', header = true" "has no format"
it_log "ok"
