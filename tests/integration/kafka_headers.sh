#!/usr/bin/env bash
#
# kafka_headers — Spark's Kafka `headers` column (include_headers = true),
# run by the real binary against tools/kafka-mock, records produced by kcat
# with headers (-H; `-H name` alone is a header whose value is null):
#   - the eighth column `headers`, ARRAY<STRUCT<key: STRING, value: BINARY>>,
#     NULL for a record without headers (Spark's KafkaRecordToRowConverter),
#     printed to the console as Spark's show() prints it, size() of it
#     (-1 for NULL, as Spark);
#   - the column declared by name with Spark's type syntax, explode(headers)
#     AS h, h.key, CAST(h.value AS STRING) (NULL for a null value);
#   - a GROUP BY of h.key over the exploded headers (counts exact);
#   - the JSON file sink writes the column as Spark's to_json does (BINARY in
#     base64, a null value left out, a NULL column left out), and a restart
#     from its checkpoint writes only the record produced after;
#   - the kafka sink writes a `headers` column as the records' headers, read
#     back with kcat (-f '%h') and with the source itself;
#   - a record of 2500 headers (more elements than a record block holds)
#     arrives whole;
#   - refusals before anything runs (exit 2): the CSV sink of the column,
#     GROUP BY of the column or of a header, CAST of a header, min() of a
#     header, the kafka sink's `headers` of another type.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout grep python3

it_kafka_start h:1 out:1 many:1

# the records: v1 two headers (one with an empty value), v2 none, v3 two,
# v4 a header without value and one whose value holds '='
printf 'v1\n' | kcat -P -b "$KAFKA_BOOTSTRAP" -t h -H trace=ab -H empty= || it_fail "kcat could not produce"
printf 'v2\n' | kcat -P -b "$KAFKA_BOOTSTRAP" -t h || it_fail "kcat could not produce"
printf 'v3\n' | kcat -P -b "$KAFKA_BOOTSTRAP" -t h -H a=1 -H trace=xyz || it_fail "kcat could not produce"
printf 'v4\n' | kcat -P -b "$KAFKA_BOOTSTRAP" -t h -H novalue -H 'eq=a=b' || it_fail "kcat could not produce"

SRC="connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP', subscribe = 'h',
  starting_offsets = 'earliest', include_headers = true"

# run_sql NAME: run $IT_TMP/NAME.sql to its end, expect exit 0.
run_sql() {
	timeout 60 "$SLUICE" run "$IT_TMP/$1.sql" --no-socket >"$IT_TMP/$1.out" 2>"$IT_TMP/$1.err" ||
		{ cat "$IT_TMP/$1.err" >&2; it_fail "$1: sluice failed"; }
}

# --- the column as it is, to the console ------------------------------------
cat >"$IT_TMP/whole.sql" <<EOF
CREATE SOURCE k WITH ($SRC);
CREATE SINK o WITH (connector = 'console', trigger = 'available_now', truncate = false)
AS SELECT CAST(value AS STRING) AS v, headers, size(headers) AS n FROM k;
EOF
run_sql whole
it_console_rows "$IT_TMP/whole.out" >"$IT_TMP/whole.got"
cat >"$IT_TMP/whole.want" <<'EOF'
|v1|[{trace,[6162]},{empty,[]}]|2|
|v2|NULL|-1|
|v3|[{a,[31]},{trace,[78797A]}]|2|
|v4|[{novalue,NULL},{eq,[613D62]}]|2|
EOF
it_same "$IT_TMP/whole.want" "$IT_TMP/whole.got" "the headers column on the console"
grep -qF '[{trace, [61 62]}, {empty, []}]' "$IT_TMP/whole.out" ||
	{ cat "$IT_TMP/whole.out" >&2; it_fail "the headers are not printed as Spark's show() prints them"; }
it_log "headers on the console, NULL without headers, size(): ok"

# --- declared by name; explode, fields -----------------------------------------
cat >"$IT_TMP/fields.sql" <<EOF
CREATE SOURCE k (value STRING, headers ARRAY<STRUCT<key: STRING, value: BINARY>>) WITH ($SRC);
CREATE SINK o WITH (connector = 'console', trigger = 'available_now', truncate = false)
AS SELECT value AS v, h.key, CAST(h.value AS STRING) AS hv, h.value IS NULL AS novalue
   FROM (SELECT value, explode(headers) AS h FROM k);
EOF
run_sql fields
it_console_rows "$IT_TMP/fields.out" >"$IT_TMP/fields.got"
cat >"$IT_TMP/fields.want" <<'EOF'
|v1|trace|ab|false|
|v1|empty||false|
|v3|a|1|false|
|v3|trace|xyz|false|
|v4|novalue|NULL|true|
|v4|eq|a=b|false|
EOF
it_same "$IT_TMP/fields.want" "$IT_TMP/fields.got" "explode(headers) and h.key, h.value"
it_log "declared column, explode, h.key, CAST(h.value AS STRING): ok"

# --- grouped by a header's key ------------------------------------------------------
cat >"$IT_TMP/group.sql" <<EOF
CREATE SOURCE k WITH ($SRC);
CREATE SINK o WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT h.key AS name, count(*) AS n FROM (SELECT explode(headers) AS h FROM k)
   GROUP BY h.key ORDER BY name;
EOF
run_sql group
it_console_rows "$IT_TMP/group.out" >"$IT_TMP/group.got"
printf '|a|1|\n|empty|1|\n|eq|1|\n|novalue|1|\n|trace|2|\n' >"$IT_TMP/group.want"
it_same "$IT_TMP/group.want" "$IT_TMP/group.got" "counts by header key"
it_log "GROUP BY h.key: ok"

# --- the JSON file sink ---------------------------------------------------------
cat >"$IT_TMP/json.sql" <<EOF
CREATE SOURCE k WITH ($SRC);
CREATE SINK o WITH (connector = 'file', format = 'json', path = '$IT_TMP/json-out',
  checkpoint_location = '$IT_TMP/json-ck', trigger = 'available_now')
AS SELECT CAST(value AS STRING) AS v, headers FROM k;
EOF
run_sql json
cat "$IT_TMP"/json-out/part-* | sort >"$IT_TMP/json.got"
cat >"$IT_TMP/json.want" <<'EOF'
{"v":"v1","headers":[{"key":"trace","value":"YWI="},{"key":"empty","value":""}]}
{"v":"v2"}
{"v":"v3","headers":[{"key":"a","value":"MQ=="},{"key":"trace","value":"eHl6"}]}
{"v":"v4","headers":[{"key":"novalue"},{"key":"eq","value":"YT1i"}]}
EOF
it_same "$IT_TMP/json.want" "$IT_TMP/json.got" "the headers column as JSON"
it_log "JSON file sink: ok"

# --- the kafka sink writes the headers, read back by kcat and the source -------------
cat >"$IT_TMP/sink.sql" <<EOF
CREATE SOURCE k WITH ($SRC);
CREATE SINK o WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP', topic = 'out',
  checkpoint_location = '$IT_TMP/sink-ck', trigger = 'available_now')
AS SELECT value, headers FROM k;
EOF
run_sql sink
timeout 20 kcat -C -b "$KAFKA_BOOTSTRAP" -t out -o beginning -e -q -f '%s [%h]\n' >"$IT_TMP/kcat.got" ||
	it_fail "kcat could not read topic out back"
cat >"$IT_TMP/kcat.want" <<'EOF'
v1 [trace=ab,empty=]
v2 []
v3 [a=1,trace=xyz]
v4 [novalue=NULL,eq=a=b]
EOF
it_same "$IT_TMP/kcat.want" "$IT_TMP/kcat.got" "the kafka sink's records' headers (kcat)"
sed "s/subscribe = 'h'/subscribe = 'out'/" "$IT_TMP/whole.sql" >"$IT_TMP/back.sql"
run_sql back
it_console_rows "$IT_TMP/back.out" >"$IT_TMP/back.got"
it_same "$IT_TMP/whole.want" "$IT_TMP/back.got" "the kafka sink's records' headers (the source)"
it_log "kafka sink writes the headers column: ok"

# --- a restart of the JSON query from its checkpoint reads only the record
# after (headers are data: nothing of them is in the checkpoint) ----------------
printf 'v5\n' | kcat -P -b "$KAFKA_BOOTSTRAP" -t h -H late=z || it_fail "kcat could not produce"
run_sql json
echo '{"v":"v5","headers":[{"key":"late","value":"eg=="}]}' >>"$IT_TMP/json.want"
cat "$IT_TMP"/json-out/part-* | sort >"$IT_TMP/json.got"
it_same "$IT_TMP/json.want" "$IT_TMP/json.got" "the headers column as JSON after a restart"
it_log "a restart from the checkpoint: ok"

# --- a record with more headers than a record block holds elements (2048):
# it crosses the ring in an oversized block of its own, whole -----------------
hargs=()
for ((i = 0; i < 2500; i++)); do hargs+=(-H "k$i=v$i"); done
printf 'big\n' | kcat -P -b "$KAFKA_BOOTSTRAP" -t many "${hargs[@]}" || it_fail "kcat could not produce"
printf 'small\n' | kcat -P -b "$KAFKA_BOOTSTRAP" -t many -H only=1 || it_fail "kcat could not produce"
cat >"$IT_TMP/many.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP', subscribe = 'many',
  starting_offsets = 'earliest', include_headers = true);
CREATE SINK o WITH (connector = 'file', format = 'json', path = '$IT_TMP/many-out',
  checkpoint_location = '$IT_TMP/many-ck', trigger = 'available_now')
AS SELECT CAST(value AS STRING) AS v, headers FROM k;
EOF
run_sql many
python3 - "$IT_TMP"/many-out/part-* <<'EOF' || it_fail "the record of 2500 headers did not arrive whole"
import base64, json, sys
rows = {}
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)
        rows[r["v"]] = r["headers"]
big = rows["big"]
assert len(big) == 2500, len(big)
for i, h in enumerate(big):
    assert h["key"] == "k%d" % i and base64.b64decode(h["value"]) == b"v%d" % i, (i, h)
assert rows["small"] == [{"key": "only", "value": "MQ=="}], rows["small"]
EOF
it_log "2500 headers in one record (an oversized block): ok"

# --- refusals ---------------------------------------------------------------------
# bad WHAT SINK_OPTIONS SELECT WANT: exit 2 before anything runs, WANT said.
bad() {
	local what=$1 sink=$2 sel=$3 want=$4
	cat >"$IT_TMP/bad.sql" <<EOF
CREATE SOURCE k WITH ($SRC);
CREATE SINK o WITH ($sink) AS $sel;
EOF
	local rc=0
	timeout 20 "$SLUICE" run "$IT_TMP/bad.sql" --no-socket >/dev/null 2>"$IT_TMP/bad.err" || rc=$?
	((rc == 2)) || it_fail "$what: exit $rc, not 2: $(cat "$IT_TMP/bad.err")"
	grep -qF -- "$want" "$IT_TMP/bad.err" || it_fail "$what: the message lacks '$want': $(cat "$IT_TMP/bad.err")"
}
CON="connector = 'console'"
bad "CSV sink" "connector = 'file', format = 'csv', path = '$IT_TMP/csv-out', checkpoint_location = '$IT_TMP/csv-ck'" \
	"SELECT headers FROM k" \
	"The CSV datasource doesn't support the column \`headers\` of the type \"ARRAY<STRUCT<key: STRING, value: BINARY>>\""
bad "GROUP BY headers" "$CON, output_mode = 'complete'" "SELECT headers, count(*) FROM k GROUP BY headers" \
	"cannot group by 'headers' of type ARRAY<STRUCT<key: STRING, value: BINARY>>"
bad "GROUP BY a header" "$CON, output_mode = 'complete'" \
	"SELECT h, count(*) FROM (SELECT explode(headers) AS h FROM k) GROUP BY h" \
	"sluice does not group by a header struct (Spark does): group by its fields"
bad "CAST of a header" "$CON" "SELECT CAST(h AS STRING) FROM (SELECT explode(headers) AS h FROM k)" \
	"cannot cast STRUCT<key: STRING, value: BINARY> to STRING"
bad "min of a header" "$CON, output_mode = 'complete'" "SELECT min(h) FROM (SELECT explode(headers) AS h FROM k)" \
	"min of an STRUCT<key: STRING, value: BINARY> is not supported"
bad "kafka sink headers of another type" \
	"connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP', topic = 'out'" \
	"SELECT value, split(CAST(value AS STRING), ',') AS headers FROM k" \
	"headers attribute type must be ARRAY<STRUCT<key: STRING, value: BINARY>>, and \`headers\` is ARRAY<STRING>"
it_log "refusals: ok"
exit 0
