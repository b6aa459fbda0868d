#!/usr/bin/env bash
#
# kafka_sink — the kafka sink (connector = 'kafka', Spark's Kafka sink) run
# by the real binary against tools/kafka-mock, from a scripted `batches`
# source with trigger available_now, read back with kcat:
#   - append mode, Spark's layout: key and value columns, a null value is
#     a tombstone (length -1), an empty string stays empty (length 0), a
#     null key is no key; every record exactly once, in order;
#   - update mode, format = 'json', key = 'word': a word count's changed
#     rows as JSON objects keyed by the word (null fields left out);
#   - complete mode: each batch's whole result again;
#   - a `topic` column routes rows to two topics, a `partition` column
#     picks the partition; the topic option wins over the column;
#   - bad queries refused before anything runs (exit 2, the option or
#     column named): no bootstrap_servers, no value column, an INT value,
#     an extra column, an unknown option, a property librdkafka refuses
#     (name or value);
#   - a partition the topic lacks, a null topic: the query stops (exit 1)
#     with the sink's line;
#   - brokers down (SIGUSR1 to the mock), message.timeout.ms = 2000: the
#     query stops (exit 1) with the sink's line naming the topic and
#     librdkafka's reason, the checkpoint has no commits/0; brokers up
#     again, the same checkpoint: batch 0 runs again and is delivered.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout grep

it_kafka_start plain:1 words:1 whole:1 red:1 blue:2 down:1

# run_sql NAME: run $IT_TMP/NAME.sql to its end, expect exit 0.
run_sql() {
	timeout 50 "$SLUICE" run "$IT_TMP/$1.sql" >"$IT_TMP/$1.out" 2>"$IT_TMP/$1.err" ||
		{ cat "$IT_TMP/$1.err" >&2; it_fail "$1: sluice failed"; }
}

# expect_records CASE TOPIC FORMAT WANT...: TOPIC holds exactly the WANT
# lines (in order), as kcat prints them with FORMAT.
expect_records() {
	local name=$1 topic=$2 fmt=$3
	shift 3
	printf '%s\n' "$@" >"$IT_TMP/$name.want"
	it_kafka_consume "$topic" "$fmt" >"$IT_TMP/$name.got"
	it_same "$IT_TMP/$name.want" "$IT_TMP/$name.got" "$name: the records of topic '$topic'"
}

# --- append, Spark's layout ---------------------------------------------
cat >"$IT_TMP/kv.txt" <<'EOF'
a|one
b|
e|-
|no key
---
c|three
EOF
cat >"$IT_TMP/append.sql" <<EOF
CREATE SOURCE s (k STRING, v STRING)
  WITH (connector = 'batches', path = '$IT_TMP/kv.txt', delimiter = '|');
CREATE SINK out WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
                      topic = 'plain', trigger = 'available_now')
AS SELECT k AS key, if(v = '-', '', v) AS value FROM s;
EOF
run_sql append
# key length, key, value length, value
expect_records append plain '%K|%k|%S|%s\n' \
	'1|a|3|one' '1|b|-1|' '1|e|0|' '-1||6|no key' '1|c|5|three'

# --- BINARY key and value (Spark takes a string or a binary) ---------------
cat >"$IT_TMP/binary.sql" <<EOF
CREATE SOURCE s (k BINARY, v BINARY)
  WITH (connector = 'batches', path = '$IT_TMP/kv.txt', delimiter = '|');
CREATE SINK out WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
                      topic = 'bin', trigger = 'available_now')
AS SELECT k AS key, concat(v, X'21') AS value FROM s WHERE v IS NOT NULL;
EOF
run_sql binary
# records of different keys may land in different partitions: compare sorted
it_kafka_consume bin '%K|%k|%S|%s\n' | sort >"$IT_TMP/binary.got"
printf '%s\n' '1|a|4|one!' '1|e|2|-!' '-1||7|no key!' '1|c|6|three!' | sort >"$IT_TMP/binary.want"
it_same "$IT_TMP/binary.want" "$IT_TMP/binary.got" "binary: the records of topic 'bin'"

# --- update, json, an aggregation ------------------------------------------
cat >"$IT_TMP/words.txt" <<'EOF'
apple
pear
apple
---
pear
fig
EOF
cat >"$IT_TMP/update.sql" <<EOF
CREATE SOURCE s (word STRING)
  WITH (connector = 'batches', path = '$IT_TMP/words.txt');
CREATE SINK out WITH (connector = 'kafka', kafka.bootstrap.servers = '$KAFKA_BOOTSTRAP',
                      topic = 'words', format = 'json', key = 'word',
                      output_mode = 'update', trigger = 'available_now')
AS SELECT word, count(*) AS n, max(if(word = 'fig', NULL, 1.5)) AS x FROM s GROUP BY word;
EOF
run_sql update
# the rows of a batch come in no set order: compare them sorted
it_kafka_consume words '%k\t%s\n' | sort >"$IT_TMP/update.got"
sort >"$IT_TMP/update.want" <<'EOF'
apple	{"word":"apple","n":2,"x":1.5}
pear	{"word":"pear","n":1,"x":1.5}
pear	{"word":"pear","n":2,"x":1.5}
fig	{"word":"fig","n":1}
EOF
it_same "$IT_TMP/update.want" "$IT_TMP/update.got" "update: the records of topic 'words'"

# --- complete --------------------------------------------------------------
cat >"$IT_TMP/complete.sql" <<EOF
CREATE SOURCE s (word STRING)
  WITH (connector = 'batches', path = '$IT_TMP/words.txt');
CREATE SINK out WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
                      topic = 'whole', output_mode = 'complete', trigger = 'available_now')
AS SELECT word AS key, CAST(count(*) AS STRING) AS value FROM s GROUP BY word ORDER BY word;
EOF
run_sql complete
expect_records complete whole '%k=%s\n' 'apple=2' 'pear=1' 'apple=2' 'fig=1' 'pear=2'

# --- routing: a topic column, a partition column ----------------------------
cat >"$IT_TMP/route.txt" <<'EOF'
red|r1|
blue|b1|1
red|r2|
blue|b2|0
---
blue|b3|1
EOF
cat >"$IT_TMP/route.sql" <<EOF
CREATE SOURCE s (t STRING, v STRING, p INT)
  WITH (connector = 'batches', path = '$IT_TMP/route.txt', delimiter = '|');
CREATE SINK out WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
                      trigger = 'available_now')
AS SELECT t AS topic, v AS value, p AS partition FROM s;
EOF
run_sql route
expect_records route_red red '%p %s\n' '0 r1' '0 r2'
it_kafka_consume blue '%p %s\n' | sort >"$IT_TMP/blue.got"
printf '%s\n' '0 b2' '1 b1' '1 b3' >"$IT_TMP/blue.want"
it_same "$IT_TMP/blue.want" "$IT_TMP/blue.got" "route: the records of topic 'blue'"

# the option wins over the column (Spark's rule)
sed "s/trigger = 'available_now')/topic = 'red', trigger = 'available_now')/; s/, p AS partition//" \
	"$IT_TMP/route.sql" >"$IT_TMP/route_opt.sql"
run_sql route_opt
expect_records route_opt red '%s\n' r1 r2 r1 b1 r2 b2 b3

# --- bad queries: refused at plan time, nothing produced ---------------------
# bad CASE WITH-OPTIONS SELECT-LIST WANT: exit 2, WANT in the message.
bad() {
	local name=$1 opts=$2 cols=$3 want=$4 rc
	cat >"$IT_TMP/$name.sql" <<EOF
CREATE SOURCE s (k STRING, v STRING)
  WITH (connector = 'batches', path = '$IT_TMP/kv.txt', delimiter = '|');
CREATE SINK out WITH (connector = 'kafka', trigger = 'available_now'$opts)
AS SELECT $cols FROM s;
EOF
	timeout 20 "$SLUICE" run "$IT_TMP/$name.sql" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	rc=$?
	((rc == 2)) || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice exited $rc (expected 2)"; }
	grep -qF -- "$want" "$IT_TMP/$name.err" ||
		{ cat "$IT_TMP/$name.err" >&2; it_fail "$name: the message does not say '$want'"; }
	grep -q "started" "$IT_TMP/$name.err" && it_fail "$name: the query started"
}
B=", bootstrap_servers = '$KAFKA_BOOTSTRAP', topic = 'plain'"
bad no_bootstrap ", topic = 'plain'" "v AS value" "needs option 'bootstrap_servers'"
bad no_value "$B" "v AS val" "Required attribute 'value' not found"
bad int_value "$B" "length(v) AS value" "value attribute type must be a string or binary, and \`value\` is INT; use CAST(... AS STRING) AS value"
bad int_key "$B" "v AS value, length(k) AS key" "use CAST(... AS STRING) AS key"
bad extra_column "$B" "v AS value, k" "column \`k\` is not one the kafka sink writes"
bad no_topic ", bootstrap_servers = '$KAFKA_BOOTSTRAP'" "v AS value" "topic option required when no 'topic' attribute is present"
bad unknown_option "$B, partitions = 3" "v AS value" "unknown option 'partitions' for the kafka sink"
bad bad_property "$B, kafka.no.such.thing = 1" "v AS value" "option 'kafka.no.such.thing' of kafka sink 'out': librdkafka refuses 'no.such.thing' = '1': No such configuration property"
bad bad_value "$B, kafka.acks = 'sometimes'" "v AS value" "option 'kafka.acks' of kafka sink 'out': librdkafka refuses 'acks' = 'sometimes'"
bad bad_format "$B, format = 'avro'" "v AS value" "option 'format' of the kafka sink must be 'json'"
bad json_key "$B, format = 'json', key = 'nope'" "v AS value" "option 'key' names column \`nope\`"
n=$(it_kafka_consume plain '%s\n' | wc -l)
((n == 5)) || it_fail "bad queries: topic 'plain' holds $n records (expected the 5 of the append case)"

# --- failures while running: the query stops, exit 1, the sink says why ----
# fails CASE SQL-FILE LINE: exit 1 and exactly LINE on stderr.
fails() {
	local name=$1 rc
	timeout 50 "$SLUICE" run "$2" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	rc=$?
	((rc == 1)) || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice exited $rc (expected 1)"; }
	grep -qxF "$3" "$IT_TMP/$name.err" || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: no line '$3'"; }
}
sed "s/p AS partition/if(t = 'blue', 5, p) AS partition/" "$IT_TMP/route.sql" >"$IT_TMP/no_partition.sql"
fails no_partition "$IT_TMP/no_partition.sql" \
	"sluice: kafka sink 'out': batch 0: delivery to topic blue [partition 5] failed: Local: Unknown partition; the batch is not committed"
sed "s/t AS topic/if(v = 'r2', NULL, t) AS topic/" "$IT_TMP/route.sql" >"$IT_TMP/null_topic.sql"
fails null_topic "$IT_TMP/null_topic.sql" \
	"sluice: kafka sink 'out': batch 0: null topic present in the data (row 3); use the topic option for setting a default topic; the batch is not committed"

# --- delivery failure: brokers down, the batch not committed ----------------
cat >"$IT_TMP/down.sql" <<EOF
CREATE SOURCE s (k STRING, v STRING)
  WITH (connector = 'batches', path = '$IT_TMP/kv.txt', delimiter = '|');
CREATE SINK out WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP',
                      topic = 'down', kafka.message.timeout.ms = 2000,
                      checkpoint = '$IT_TMP/chk', trigger = 'available_now')
AS SELECT k AS key, v AS value FROM s;
EOF
it_kafka_down
timeout 50 "$SLUICE" run "$IT_TMP/down.sql" >"$IT_TMP/down.out" 2>"$IT_TMP/down.err"
rc=$?
((rc == 1)) || { cat "$IT_TMP/down.err" >&2; it_fail "down: sluice exited $rc (expected 1)"; }
want="sluice: kafka sink 'out': batch 0: delivery to topic down failed: Local: Message timed out; the batch is not committed"
grep -qxF "$want" "$IT_TMP/down.err" || { cat "$IT_TMP/down.err" >&2; it_fail "down: no line '$want'"; }
[[ -d $IT_TMP/chk/commits ]] || it_fail "down: no checkpoint was written at $IT_TMP/chk"
[[ -z $(ls "$IT_TMP/chk/commits") ]] || it_fail "down: the checkpoint committed $(ls "$IT_TMP/chk/commits")"
it_kafka_up
run_sql down
[[ -e $IT_TMP/chk/commits/0 && -e $IT_TMP/chk/commits/1 ]] ||
	it_fail "down: after the brokers came back, commits are '$(ls "$IT_TMP/chk/commits")' (expected 0 and 1)"
expect_records down down '%k|%s\n' 'a|one' 'b|' 'e|-' '|no key' 'c|three'
exit 0
