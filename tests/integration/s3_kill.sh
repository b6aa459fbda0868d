#!/usr/bin/env bash
#
# s3_kill — exactly once across kill -9 with the file source on an s3://
# path: checkpoint_kill's windowed aggregation (event-time windows, a
# watermark, late rows dropped) into a file sink with a checkpoint, its
# input CSV objects in s3rver on loopback, killed with SIGKILL at random
# moments (lib.sh it_kill_compare: by the checkpoint's progress) and
# started again each time. Whenever a run reaches the end of its input the
# sink's committed output must equal an uninterrupted run's, row for row:
# nothing lost, nothing doubled (the replay log of the objects taken makes
# a restarted query take exactly the objects of the epoch it replays).
#
#   KILLS (default 8); SEED (default: from the clock; printed);
#   FILES (default 30): input objects, taken two a batch

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout python3

KILLS=${KILLS:-8}
FILES=${FILES:-30}
SEED=${SEED:-$(date +%s%N | cut -c8-16)}
it_log "seed $SEED, $KILLS kills, $FILES objects (rerun: SEED=$SEED KILLS=$KILLS FILES=$FILES)"
it_s3_start bkt

# Input as checkpoint_kill's: FILES csv objects of 50 rows, event times
# moving forward about 20 s an object with up to 30 s of disorder, about 1
# row in 50 from 2 minutes back (late). Uploaded in name order, so that
# LastModified (then the name, for equal times) orders them as named.
mkdir -p "$IT_TMP/in"
python3 - "$IT_TMP/in" "$FILES" "$SEED" <<'PY'
import os, random, sys, time
d, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
t0 = 1_700_000_000
for f in range(n):
    rows = []
    for i in range(50):
        base = t0 + f * 20 + i * 0.4
        ts = base - 120 if r.random() < 0.02 else base - r.random() * 30
        key = "k%d" % r.randrange(7)
        ms = int(ts * 1000)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + ".%03d" % (ms % 1000)
        rows.append("%s,%d,%s" % (key, r.randrange(1000), stamp))
    with open(os.path.join(d, "part-%05d.csv" % f), "w") as fh:
        fh.write("\n".join(rows) + "\n")
PY
for f in "$IT_TMP"/in/part-*.csv; do
	it_s3 put "s3://bkt/in/$(basename "$f")" "$f" || it_fail "upload of $f failed"
done

# query NAME: a query over s3://bkt/in/ writing out-NAME/ with checkpoint ck-NAME/
query() {
	cat >"$IT_TMP/$1.sql" <<SQL
CREATE SOURCE ev (k STRING, v BIGINT, ts TIMESTAMP)
  WITH (connector = 'file', path = 's3://bkt/in/', format = 'csv', max_files_per_trigger = 2,
        s3.endpoint = '$S3_ENDPOINT', s3.path_style = true)
  WATERMARK ts DELAY '40 seconds';
CREATE SINK agg_$1
  WITH (connector = 'file', path = '$IT_TMP/out-$1', format = 'csv', output_mode = 'append',
        trigger = 'available_now', checkpoint = '$IT_TMP/ck-$1')
AS SELECT w.start AS ws, k, n, s
   FROM (SELECT window(ts, '1 minute') AS w, k, count(*) AS n, sum(v) AS s
         FROM ev GROUP BY window(ts, '1 minute'), k);
SQL
}

it_kill_compare
