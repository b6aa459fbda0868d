#!/usr/bin/env bash
#
# checkpoint_kill — exactly once across kill -9 (docs/checkpoints.md): a
# file-source windowed aggregation (event-time windows, a watermark, rows
# late enough to be dropped) into a file sink, with a checkpoint, is
# killed with SIGKILL at random moments (by the checkpoint's progress: after
# a random number of commits, a few milliseconds on) and started again each
# time. Whenever a run reaches the end of its input (trigger available_now,
# a kill that came too late) the sink's committed output must equal an
# uninterrupted run's, row for row: nothing lost, nothing doubled, the same
# late rows dropped; while kills are left the query then starts over.
#
#   KILLS (default 20): kill points; SEED (default: from the clock; printed)
#   FILES (default 120): input files, taken two a batch
#
# The stress suite runs the same script with more kills and files
# (tests/integration/meson.build).

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout python3

KILLS=${KILLS:-20}
FILES=${FILES:-120}
SEED=${SEED:-$(date +%s%N | cut -c8-16)}
it_log "seed $SEED, $KILLS kills, $FILES files (rerun: SEED=$SEED KILLS=$KILLS FILES=$FILES)"

# Input: FILES csv files of 50 rows, event times moving forward about 20 s
# a file with up to 30 s of disorder, and about 1 row in 50 from 2 minutes
# back (late: dropped once the watermark has passed its window).
mkdir -p "$IT_TMP/in"
python3 - "$IT_TMP/in" "$FILES" "$SEED" <<'EOF'
import os, random, sys, time
d, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
t0 = 1_700_000_000
for f in range(n):
    rows = []
    for i in range(50):
        base = t0 + f * 20 + i * 0.4
        if r.random() < 0.02:
            ts = base - 120
        else:
            ts = base - r.random() * 30
        key = "k%d" % r.randrange(7)
        ms = int(ts * 1000)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + ".%03d" % (ms % 1000)
        rows.append("%s,%d,%s" % (key, r.randrange(1000), stamp))
    p = os.path.join(d, "part-%05d.csv" % f)
    with open(p + ".tmp", "w") as fh:
        fh.write("\n".join(rows) + "\n")
    os.rename(p + ".tmp", p)
    # modification times one second apart: the file source takes them in order
    os.utime(p, (t0 + f, t0 + f))
EOF

# query NAME: a query over in/ writing out-NAME/ with checkpoint ck-NAME/
query() {
	cat >"$IT_TMP/$1.sql" <<EOF
CREATE SOURCE ev (k STRING, v BIGINT, ts TIMESTAMP)
  WITH (connector = 'file', path = '$IT_TMP/in', format = 'csv', max_files_per_trigger = 2)
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
