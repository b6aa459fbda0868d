#!/usr/bin/env bash
#
# kafka_kill — exactly once across kill -9 with the kafka source
# (docs/kafka.md, docs/checkpoints.md): CSV records with event times on a
# topic of 4 partitions (tools/kafka-mock, produced by kcat), a windowed
# aggregation with a watermark (rows late enough to be dropped) into a file
# sink, max_offsets_per_trigger = 400 (many batches) and a checkpoint. The
# query is killed with SIGKILL at random moments and started again each
# time; whenever a run reaches the end of its input (trigger available_now,
# a kill that came too late) its output is compared, and while kills are
# left the query starts over from a new checkpoint.
# The sink's committed output must then equal an uninterrupted run's, row
# for row: nothing lost, nothing doubled, the same late rows dropped (the
# batches' offset ranges are the same in every run: a restart reads the
# uncommitted batch again with its planned ends).
#
#   KILLS (default 12): kill points; SEED (default: from the clock; printed)
#   ROWS (default 6000): records produced

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout python3

KILLS=${KILLS:-12}
ROWS=${ROWS:-6000}
SEED=${SEED:-$(date +%s%N | cut -c8-16)}
it_log "seed $SEED, $KILLS kills, $ROWS records (rerun: SEED=$SEED KILLS=$KILLS ROWS=$ROWS)"
it_kafka_start ev:4

# event times moving forward ~0.4 s a record with up to 30 s of disorder,
# about 1 record in 50 from 2 minutes back (late: dropped once the
# watermark has passed its window)
python3 - "$IT_TMP/ev.txt" "$ROWS" "$SEED" <<'EOF'
import random, sys, time
path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
t0 = 1_700_000_000
with open(path, "w") as f:
    for i in range(n):
        base = t0 + i * 0.4
        ts = base - 120 if r.random() < 0.02 else base - r.random() * 30
        ms = int(ts * 1000)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + ".%03d" % (ms % 1000)
        f.write("k%d,%d,%s\n" % (r.randrange(7), r.randrange(1000), stamp))
EOF
# keyed by line number: each partition holds its share in order
awk '{print NR "|" $0}' "$IT_TMP/ev.txt" | kcat -P -b "$KAFKA_BOOTSTRAP" -t ev -K '|' ||
	it_fail "kcat could not produce"

# query NAME: a query over topic ev writing out-NAME/ with checkpoint ck-NAME/
query() {
	cat >"$IT_TMP/$1.sql" <<EOF
CREATE SOURCE ev (k STRING, v BIGINT, ts TIMESTAMP)
  WITH (connector = 'kafka', bootstrap_servers = '$KAFKA_BOOTSTRAP', subscribe = 'ev',
        starting_offsets = 'earliest', max_offsets_per_trigger = 400, format = 'csv')
  WATERMARK ts DELAY '40 seconds';
CREATE SINK agg_$1
  WITH (connector = 'file', path = '$IT_TMP/out-$1', format = 'csv', output_mode = 'append',
        trigger = 'available_now', checkpoint = '$IT_TMP/ck-$1')
AS SELECT w.start AS ws, k, n, s
   FROM (SELECT window(ts, '1 minute') AS w, k, count(*) AS n, sum(v) AS s
         FROM ev GROUP BY window(ts, '1 minute'), k);
EOF
}

it_kill_compare
