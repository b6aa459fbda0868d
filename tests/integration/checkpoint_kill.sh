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

# committed NAME: the sink's committed rows, sorted
committed() { it_sink_rows "$IT_TMP/out-$1" | sort; }

query ref
timeout 120 "$SLUICE" run --stats "$IT_TMP/ref.sql" >"$IT_TMP/ref.out" 2>"$IT_TMP/ref.err" ||
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
RANDOM=$((SEED % 32768))
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
