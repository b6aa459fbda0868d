#!/usr/bin/env bash
#
# checkpoint — what a checkpoint promises, case by case (docs/checkpoints.md):
#   - a query stopped at the end of its input and started again when more
#     files came goes on from the next batch ("resuming from batch N"), and
#     its output equals one run over all the files;
#   - a restart with a changed grouping, aggregate list or source list is
#     refused, saying what changed; a changed trigger is accepted;
#   - another query's checkpoint, a checkpoint written by a newer format,
#     a directory that is not a checkpoint, one in use: refused;
#   - a corrupt newest commit: the restart falls back to the batch before
#     it, says so, and the output still equals the reference; a checkpoint
#     with nothing valid left is refused, naming the file;
#   - a full disk (an injected ENOSPC): the query stops with the file's
#     name, and once there is room again the restart resumes, exactly once;
#   - the rate source goes on with the next values after a kill -9, restarted
#     on two ingest cores instead of one (its offsets are per partition): every
#     value once.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout python3 cmp

mkdir -p "$IT_TMP/all" "$IT_TMP/in"
# 8 files of 40 rows, one batch each (max_files_per_trigger = 1); the last
# file's rows close the windows before it
python3 - "$IT_TMP/all" <<'EOF'
import os, random, sys, time
d = sys.argv[1]
r = random.Random(7)
t0 = 1_700_000_000
for f in range(8):
    rows = []
    for i in range(40):
        ms = (t0 + f * 30 + i) * 1000 - r.randrange(20000)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + ".%03d" % (ms % 1000)
        rows.append("k%d,%d,%s" % (r.randrange(3), r.randrange(100), stamp))
    p = os.path.join(d, "f%02d.csv" % f)
    with open(p, "w") as fh:
        fh.write("\n".join(rows) + "\n")
    os.utime(p, (t0 + f, t0 + f))
EOF

# sql NAME [GROUP-EXTRA] [TRIGGER]: a query over $IT_TMP/in into out-NAME, checkpoint ck-NAME
sql() {
	local name=$1 extra=${2:-} trig=${3:-available_now} sink=${4:-q}
	cat <<EOF
CREATE SOURCE ev (k STRING, v BIGINT, ts TIMESTAMP)
  WITH (connector = 'file', path = '$IT_TMP/in', format = 'csv', max_files_per_trigger = 1)
  WATERMARK ts DELAY '20 seconds';
CREATE SINK $sink
  WITH (connector = 'file', path = '$IT_TMP/out-$name', format = 'csv', output_mode = 'append',
        trigger = '$trig', checkpoint = '$IT_TMP/ck-$name')
AS SELECT w.start AS ws, k, n, s
   FROM (SELECT window(ts, '1 minute') AS w, k, count(*) AS n, sum(v) AS s
         FROM ev GROUP BY window(ts, '1 minute'), k$extra);
EOF
}

# run NAME WANT-EXIT [sql args...]: run the query; stderr in NAME.err
run() {
	local name=$1 want=$2 rc=0
	shift 2
	sql "$name" "$@" >"$IT_TMP/$name.sql"
	timeout 60 "$SLUICE" run "$IT_TMP/$name.sql" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err" || rc=$?
	if ((rc != want)); then
		cat "$IT_TMP/$name.err" >&2
		it_fail "$name: exit $rc, expected $want"
	fi
}

expect_err() { # NAME PATTERN WHAT
	grep -q -- "$2" "$IT_TMP/$1.err" || { cat "$IT_TMP/$1.err" >&2; it_fail "$3: no '$2' in the message"; }
}

# committed NAME: the sink's committed rows, sorted
committed() { it_sink_rows "$IT_TMP/out-$1" | sort; }

same_as_ref() { # NAME WHAT
	committed "$1" >"$IT_TMP/$1.rows"
	cmp -s "$IT_TMP/ref.rows" "$IT_TMP/$1.rows" ||
		{ diff "$IT_TMP/ref.rows" "$IT_TMP/$1.rows" | head >&2; it_fail "$2: output differs from one run over all files"; }
}

# the reference: every file in one run
cp "$IT_TMP"/all/* "$IT_TMP/in/"
run ref 0
committed ref >"$IT_TMP/ref.rows"
[[ -s $IT_TMP/ref.rows ]] || it_fail "the reference run wrote nothing"
expect_err ref "a new query 'q'" "a new checkpoint"

# --- resume after more files came ---
rm -f "$IT_TMP"/in/*
cp "$IT_TMP"/all/f0[0-3].csv "$IT_TMP/in/"
run two 0
grep -q resuming "$IT_TMP/two.err" && it_fail "the first run of a new checkpoint says it resumes"
cp "$IT_TMP"/all/f0[4-7].csv "$IT_TMP/in/"
last=$(ls "$IT_TMP/ck-two/commits" | sort -n | tail -1)
run two 0
expect_err two "resuming from batch $((last + 1)) (the last committed batch is $last)" "a restart"
same_as_ref two "stop, more files, restart"
# a third start has nothing new: it resumes and runs no batch
last=$(ls "$IT_TMP/ck-two/commits" | sort -n | tail -1)
run two 0
expect_err two "resuming from batch $((last + 1))" "a restart with nothing new"
grep -q "^sluice: batch" "$IT_TMP/two.err" && it_fail "a restart with nothing new ran a batch"
same_as_ref two "a restart without new input"

# --- what a restart may and may not change ---
run two 1 ", v"
expect_err two "different grouping" "an added grouping column"
expect_err two "restore the query, or give it a new checkpoint directory" "the refusal's advice"
run two 0 "" once # a changed trigger is fine
expect_err two "resuming from batch $((last + 1))" "a restart with another trigger"
sed "s/count(\*) AS n/count(v) AS n/" "$IT_TMP/two.sql" >"$IT_TMP/agg.sql"
timeout 60 "$SLUICE" run "$IT_TMP/agg.sql" >/dev/null 2>"$IT_TMP/agg.err" && it_fail "a changed aggregate was accepted"
grep -q "different aggregates" "$IT_TMP/agg.err" || { cat "$IT_TMP/agg.err" >&2; it_fail "changed aggregate: message"; }
sql two "" available_now other >"$IT_TMP/other.sql"
timeout 60 "$SLUICE" run "$IT_TMP/other.sql" >/dev/null 2>"$IT_TMP/other.err" && it_fail "another query's checkpoint was accepted"
grep -q "belongs to query 'q'" "$IT_TMP/other.err" || { cat "$IT_TMP/other.err" >&2; it_fail "another query: message"; }
mkdir -p "$IT_TMP/ck-junk" && echo hello >"$IT_TMP/ck-junk/notes.txt"
run junk 1
expect_err junk "is not empty and has no metadata file" "a directory that is not a checkpoint"
grep -q "notes.txt" <(ls "$IT_TMP/ck-junk") || it_fail "a refused directory lost its files"

# a newer format: the metadata's version field set to 9, checksums made right
python3 - "$IT_TMP/ck-two/metadata" "$IT_TMP/ck-new" <<'EOF'
import os, shutil, struct, sys
def crc32c(b, crc=0):
    crc ^= 0xffffffff
    for x in b:
        crc ^= x
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xffffffff
src, dst = sys.argv[1], sys.argv[2]
shutil.copytree(os.path.dirname(src), dst)
h = bytearray(open(src, "rb").read())
h[4:6] = struct.pack("<H", 9)
h[28:32] = struct.pack("<I", crc32c(bytes(h[:28])))
open(os.path.join(dst, "metadata"), "wb").write(bytes(h))
EOF
sed "s#ck-two#ck-new#" "$IT_TMP/two.sql" >"$IT_TMP/new.sql"
timeout 60 "$SLUICE" run "$IT_TMP/new.sql" >/dev/null 2>"$IT_TMP/new.err" && it_fail "a newer format was accepted"
grep -q "newer sluice" "$IT_TMP/new.err" || { cat "$IT_TMP/new.err" >&2; it_fail "newer format: message"; }

# two processes on one checkpoint: the second is refused (a noop sink: no
# output directory whose own lock would answer first)
cat >"$IT_TMP/busy.sql" <<EOF
CREATE SOURCE ev (k STRING, v BIGINT, ts TIMESTAMP)
  WITH (connector = 'file', path = '$IT_TMP/in', format = 'csv')
  WATERMARK ts DELAY '20 seconds';
CREATE SINK q WITH (connector = 'noop', output_mode = 'update', trigger = '1 second',
                    checkpoint = '$IT_TMP/ck-busy')
AS SELECT k, count(*) AS n FROM ev GROUP BY k;
EOF
"$SLUICE" run "$IT_TMP/busy.sql" >/dev/null 2>"$IT_TMP/busy1.err" &
it_track $!
for _ in $(seq 100); do grep -q "a new query" "$IT_TMP/busy1.err" && break; sleep 0.05; done
timeout 60 "$SLUICE" run "$IT_TMP/busy.sql" >/dev/null 2>"$IT_TMP/busy2.err" && it_fail "a checkpoint in use was opened twice"
grep -q "in use by another running query" "$IT_TMP/busy2.err" || { cat "$IT_TMP/busy2.err" >&2; it_fail "in use: message"; }

# --- corrupt files ---
# the newest commit bit-flipped: fall back to the batch before, adopt the
# published one again, same output
cp -r "$IT_TMP/ck-two" "$IT_TMP/ck-flip" && cp -r "$IT_TMP/out-two" "$IT_TMP/out-flip"
last=$(ls "$IT_TMP/ck-flip/commits" | sort -n | tail -1)
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-1]^=0x10; open(p,"wb").write(b)' "$IT_TMP/ck-flip/commits/$last"
run flip 0
expect_err flip "batch $last cannot be recovered.*falling back" "a corrupt newest commit"
expect_err flip "commits/$last is corrupt" "the corrupt file named"
same_as_ref flip "after a corrupt commit"
# every commit cut short: nothing valid left, refused naming a file
cp -r "$IT_TMP/ck-two" "$IT_TMP/ck-cut" && cp -r "$IT_TMP/out-two" "$IT_TMP/out-cut"
for f in "$IT_TMP"/ck-cut/commits/*; do truncate -s 20 "$f"; done
run cut 1
expect_err cut "has no batch left that can be recovered" "nothing valid left"
expect_err cut "commits/[0-9]* is corrupt" "the refused file named"

# --- a full disk, then room again ---
rm -f "$IT_TMP"/in/*
cp "$IT_TMP"/all/* "$IT_TMP/in/"
sql full >"$IT_TMP/full.sql"
rc=0
SLUICE_FAULT_CKPT_ENOSPC_AFTER=6000 timeout 60 "$SLUICE" run "$IT_TMP/full.sql" >/dev/null 2>"$IT_TMP/full.err" || rc=$?
((rc == 1)) || { cat "$IT_TMP/full.err" >&2; it_fail "a full disk: exit $rc, expected 1"; }
expect_err full "No space left on device" "a full disk"
expect_err full "cannot write checkpoint file" "a full disk names the file"
expect_err full "the last committed batch is intact" "a full disk: what to do"
run full 0
expect_err full "resuming from batch" "the restart after a full disk"
same_as_ref full "after a full disk"

# --- the rate source: every value once across a kill -9 ---
cat >"$IT_TMP/rate.sql" <<EOF
CREATE SOURCE r WITH (connector = 'rate', rows_per_second = 2000, rows = 4000, num_partitions = 2);
CREATE SINK rq WITH (connector = 'file', path = '$IT_TMP/out-rate', format = 'csv',
  trigger = '200 milliseconds', checkpoint = '$IT_TMP/ck-rate')
AS SELECT value FROM r;
EOF
"$SLUICE" run --until-drained --ingest-cores 0 "$IT_TMP/rate.sql" >/dev/null 2>"$IT_TMP/rate1.err" &
pid=$!
it_track "$pid"
sleep 1
kill -KILL "$pid"
wait "$pid" 2>/dev/null
timeout 60 "$SLUICE" run --until-drained --ingest-cores 0,1 "$IT_TMP/rate.sql" >/dev/null 2>"$IT_TMP/rate.err" ||
	{ cat "$IT_TMP/rate.err" >&2; it_fail "the rate query's restart failed"; }
grep -q "resuming from batch" "$IT_TMP/rate.err" || { cat "$IT_TMP/rate.err" >&2; it_fail "the rate query did not resume"; }
committed rate | sort -n >"$IT_TMP/rate.rows"
seq 0 3999 >"$IT_TMP/rate.want"
cmp -s "$IT_TMP/rate.want" "$IT_TMP/rate.rows" ||
	{ diff "$IT_TMP/rate.want" "$IT_TMP/rate.rows" | head >&2; it_fail "rate: not every value exactly once"; }
# --- the console sink says it is at least once; batch numbers go on ---
cat >"$IT_TMP/console.sql" <<EOF
CREATE SOURCE ev (k STRING, v BIGINT, ts TIMESTAMP)
  WITH (connector = 'file', path = '$IT_TMP/in', format = 'csv', max_files_per_trigger = 4);
CREATE SINK c WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now',
                    checkpoint = '$IT_TMP/ck-console')
AS SELECT k, count(*) AS n FROM ev GROUP BY k ORDER BY k;
EOF
rm -f "$IT_TMP"/in/*
cp "$IT_TMP"/all/f0[0-3].csv "$IT_TMP/in/"
timeout 60 "$SLUICE" run "$IT_TMP/console.sql" >"$IT_TMP/console1.out" 2>"$IT_TMP/console.err" ||
	{ cat "$IT_TMP/console.err" >&2; it_fail "console query failed"; }
grep -q "sink 'c' (console) is at least once" "$IT_TMP/console.err" ||
	{ cat "$IT_TMP/console.err" >&2; it_fail "the console sink did not say it is at least once"; }
cp "$IT_TMP"/all/f0[4-7].csv "$IT_TMP/in/"
timeout 60 "$SLUICE" run "$IT_TMP/console.sql" >"$IT_TMP/console2.out" 2>"$IT_TMP/console.err" ||
	{ cat "$IT_TMP/console.err" >&2; it_fail "console query restart failed"; }
grep -q "^Batch: 0$" "$IT_TMP/console1.out" || it_fail "the first run did not print batch 0"
grep -q "^Batch: 1$" "$IT_TMP/console2.out" || { cat "$IT_TMP/console2.out" >&2; it_fail "the restart did not go on with batch 1"; }
# complete mode over the restored state: every row counted once
total=$(awk -F'|' '/^\| *k[0-9]/ {gsub(/ /, "", $3); n += $3} END {print n}' "$IT_TMP/console2.out")
((total == 320)) || { cat "$IT_TMP/console2.out" >&2; it_fail "complete mode after the restart counts $total rows, not 320"; }
it_log "ok"
