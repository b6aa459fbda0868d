#!/usr/bin/env bash
#
# kafka_txn — the kafka source over partitions that hold transaction
# markers (control records, written by tests/integration/kafka_marker.py as
# a broker writes them when a transactional producer commits): a marker
# takes an offset that no consumer sees as a record, so a partition's end
# lies past its last record. Records produced by kcat around the markers:
#   - trigger available_now reads every record and ends (a batch whose end
#     falls right after a marker is read whole: it used to wait forever for
#     the marker's offset);
#   - max_offsets_per_trigger = 2: batches whose ends fall on and after
#     markers in the middle of the partitions: at most 2 records a batch,
#     every record once;
#   - a restart from the checkpoint after more records and markers reads
#     only the new records, and again ends.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require python3 timeout
it_kafka_start tx:2

MARKER=$SRCDIR/tests/integration/kafka_marker.py
# put PARTITION VALUE...: records, one a value, to the partition
put() {
	local p=$1
	shift
	printf '%s\n' "$@" | kcat -P -b "$KAFKA_BOOTSTRAP" -t tx -p "$p" || it_fail "kcat could not produce to tx/$p"
}
# marker PARTITION: a commit marker at the partition's end
marker() {
	python3 "$MARKER" "$KAFKA_BOOTSTRAP" tx "$1" commit >/dev/null || it_fail "no marker in tx/$1"
}

# partition 0: 1 2 3 M 4 5 M M; partition 1: M 10 20 M 30 M
put 0 1 2 3
marker 0
put 0 4 5
marker 0
marker 0
marker 1
put 1 10 20
marker 1
put 1 30
marker 1

# run_sql NAME [SINK OPTIONS]: count and sum of the values to the console;
# exit 0 within 30 s.
run_sql() {
	local name=$1 rc
	cat >"$IT_TMP/$name.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP', subscribe = 'tx',
  starting_offsets = 'earliest' ${2:-});
CREATE SINK o WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now',
  checkpoint = '$IT_TMP/ck-$name')
AS SELECT count(*) AS n, sum(CAST(CAST(value AS STRING) AS BIGINT)) AS s FROM k;
EOF
	timeout 30 "$SLUICE" run --no-socket "$IT_TMP/$name.sql" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	rc=$?
	((rc == 124)) && { cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice still ran after 30 s (available_now must end)"; }
	((rc == 0)) || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice exited $rc"; }
}

run_sql all
[[ $(it_console_rows "$IT_TMP/all.out") == "|8|75|" ]] ||
	it_fail "all: the last table is $(it_console_rows "$IT_TMP/all.out"), wanted |8|75| (8 records, sum 75)"
it_log "available_now over partitions ending in markers: 8 records, ends: ok"

# max_offsets_per_trigger = 2, the values themselves (no aggregation): a
# batch holds at most 2 records, every value once (a planned batch that
# holds only markers has no rows and runs with the next one)
cat >"$IT_TMP/small.sql" <<EOF
CREATE SOURCE k WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP', subscribe = 'tx',
  starting_offsets = 'earliest', max_offsets_per_trigger = 2);
CREATE SINK o WITH (connector = 'console', trigger = 'available_now')
AS SELECT CAST(value AS STRING) AS v FROM k;
EOF
timeout 30 "$SLUICE" run --no-socket "$IT_TMP/small.sql" >"$IT_TMP/small.out" 2>"$IT_TMP/small.err" ||
	{ cat "$IT_TMP/small.err" >&2; it_fail "small: sluice failed or still ran after 30 s"; }
batches=$(it_count_batches "$IT_TMP/small.out")
for ((b = 0; b < batches; b++)); do
	n=$(it_batch_rows "$b" "$IT_TMP/small.out" | wc -l)
	((n <= 2)) || it_fail "small: Batch $b holds $n records (max_offsets_per_trigger = 2)"
	it_batch_rows "$b" "$IT_TMP/small.out"
done | sort -n >"$IT_TMP/small.got"
printf '%s\n' 1 2 3 4 5 10 20 30 | sort -n >"$IT_TMP/small.want"
it_same "$IT_TMP/small.want" "$IT_TMP/small.got" "small: the values of every batch"
((batches >= 4)) || it_fail "small: $batches batches for 8 records at 2 a batch"
it_log "max_offsets_per_trigger = 2: $batches batches of at most 2 records, every record once: ok"

# more records and markers; the restarted query reads only those
put 0 100
marker 0
put 1 200 300
marker 1
run_sql all
[[ $(it_console_rows "$IT_TMP/all.out") == "|11|675|" ]] ||
	it_fail "restart: the last table is $(it_console_rows "$IT_TMP/all.out"), wanted |11|675|"
[[ $(it_count_batches "$IT_TMP/all.out") == 1 ]] ||
	it_fail "restart: $(it_count_batches "$IT_TMP/all.out") batches, wanted 1 (the new records only)"
it_log "a restart reads only the new records and ends: ok"
it_log "ok"
