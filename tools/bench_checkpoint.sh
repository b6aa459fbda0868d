# tools/bench_checkpoint.sh — `tools/bench checkpoint`, sourced by tools/bench
# after its lock and build check (no DuckDB, no socket: the engine with
# checkpoints against itself without): what checkpointing costs and how
# fast a query comes back (docs/checkpoints.md, the checkpoint issue).
#
# The query throughout: the seed word count over the 'generator' source
# (words_per_line 8, seed 1), update mode, into the 'noop' sink, so that
# the engine is measured and not the printing:
#   SELECT word, count(*) FROM (SELECT explode(split(value, ' ')) ...) GROUP BY word
# sluice runs with --ingest-cores 0 --agg-cores 1 (CPU 0 for both on a
# 1-core machine), release build advised (SLUICE=build-release/sluice).
# Checkpoints go to tools/.bench/ckpt/ (the repository's disk).
#
#   (a) throughput: words = 1000000 (the state ends at exactly 1 M groups),
#       --rows lines (default 15 M: 10 to 20 s here), pregenerate = true,
#       trigger '1 second', --until-drained; checkpoint off against on (a
#       fresh directory every run), and on with no snapshot (SET
#       min_deltas_for_snapshot = 1000000: what the maintenance thread's
#       snapshot costs); the three alternate, in a rotating order.
#       rows/s = stat rows_per_s; on/off: the ratio of the medians, and the
#       median of each round's own ratio (the target: under 5% lost, ratio
#       >= 0.95); CPU s (user + system of the
#       process: a cross-check that the loaded machine hides less);
#       checkpoint bytes (stat checkpoint_bytes: payload queued), puts
#       (groups a delta wrote), bytes per batch and per changed key, what
#       the process caused to be written to the disk (getrusage ru_oublock
#       x 512: headers, snapshots and all), and the snapshots made.
#   (b) recovery, from process start to the first processed record: the
#       same query restarted with connector 'console' (sink options may
#       change on a restart, the sources and grouping may not) and the
#       generator at rows = 1, no trigger (a batch as soon as the row is
#       in), --until-drained. Timed by the script: from just before the
#       fork to the console's first "Batch:" line (the batch is printed
#       only once its checkpoint files are durable), and the whole process.
#       Beside it restore_s (stat: reading the checkpoint and loading the
#       state, part of the former). Three starts:
#         fresh   no checkpoint: the baseline;
#         1 file  1 M keys in one file: a checkpoint made once, before the
#                 rounds, by the query with trigger 'once' over 2 M lines
#                 (one batch, one delta of 1 M puts: what a snapshot of
#                 1 M keys costs to load);
#         as (a)  a copy of the checkpoint that the round's (a) run left:
#                 its newest snapshot (if the run reached batch 9) and
#                 every delta after it, about 1 M puts each; the table says
#                 how many records that is.
#       Every start gets a fresh copy (cp -a, so its files are in the page
#       cache, as after a crash but not after a reboot).
#   (c) bytes per batch against changed keys: the 1 M-key checkpoint of
#       (b) restarted with words = K for K in 1e3 .. 1e6 (the generator's
#       word i is the same for any vocabulary size: the K words are keys
#       already in the state, which stays at 1 M), rows_per_second = K,
#       rows = 5 K, trigger '1 second', noop sink: each batch changes
#       about all K keys (K = 1e6 is more lines a second than one ingest
#       core makes: there a batch is what the engine did in a second).
#       Measured, not assumed: changed keys per batch = checkpoint_puts /
#       batches; bytes per batch and per changed key.
# Before the table, a probe of the disk: an fsync'ed write of the median
# delta's size, and the publication of a small file (write, fsync, rename,
# fsync of the directory), three times each.
# Results: tools/.bench/checkpoint.tsv (every run), checkpoint.md (the
# tables, the runs). The header names the commit of the checkout's HEAD
# (+dirty when the working tree has changes), or SLUICE_COMMIT.
# Method and figures: docs/performance.md, "Checkpoints".

# shellcheck shell=bash

stat_of() { awk -v n="$2" '$1 == "stat" && $2 == n { v = $3 } END { print v }' "$1"; }

# tools/bench sets CORE_FLAGS after its DuckDB set-up, which this bench skips
if (($(nproc) >= 2)); then
	CK_FLAGS=(--ingest-cores 0 --agg-cores 1)
else
	CK_FLAGS=(--ingest-cores 0 --agg-cores 0)
fi
# shellcheck disable=SC2153 # ROWS, ROWS_GIVEN, RUNS: set by tools/bench
((ROWS_GIVEN)) || ROWS=15000000
CK_WORDS=1000000
CK_PREP_ROWS=2000000 # 16 M words: every one of the 1 M words, for (b) and (c)
CK_KS=(1000 10000 100000 1000000)
CK_SECONDS=5 # (c): seconds of paced input per run
CK_DIR=$PWD/$BENCH/ckpt
CK_RESULTS=$BENCH/checkpoint.tsv # scenario, variant, run, then key=value fields
: >"$CK_RESULTS"
rm -rf "$CK_DIR"
mkdir -p "$CK_DIR"

# --- the runner ----------------------------------------------------------------
# ckpt_run.py OUT ERR FIRST CMD...: runs CMD, stdout to OUT, stderr to ERR;
# prints "wall_s cpu_s disk_bytes first_s": the wall time from just before
# the fork to the exit, user + system CPU, what it caused to be written to
# the disk (ru_oublock x 512), and with FIRST = 1 the time to its first
# "Batch:" line (- otherwise). Exits with CMD's status.
cat >"$BENCH/ckpt_run.py" <<'EOF'
import os, subprocess, sys, time
out, err, first, cmd = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
t_first = None
with open(out, "wb") as fo, open(err, "wb") as fe:
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE if first else fo, stderr=fe)
    if first:
        for line in p.stdout:  # the console flushes each batch
            if t_first is None and line.startswith(b"Batch: "):
                t_first = time.monotonic() - t0
            fo.write(line)
    _, status, ru = os.wait4(p.pid, 0)
    t1 = time.monotonic()
    p.returncode = os.waitstatus_to_exitcode(status)
print("%.6f %.6f %d %s" % (t1 - t0, ru.ru_utime + ru.ru_stime, ru.ru_oublock * 512,
                           "%.6f" % t_first if t_first is not None else "-"))
sys.exit(p.returncode)
EOF

# ckpt_layout DIR: what a restart of DIR loads, as "key=value ..." fields:
# the last commit, per shard the newest snapshot at or before it and the
# deltas after it, their records (the state codec's count, at byte 8 of
# the payload, after the 32-byte file header) and bytes
ckpt_layout() {
	python3 - "$1" <<'EOF'
import os, struct, sys
root = sys.argv[1]
c = max(int(n) for n in os.listdir(os.path.join(root, "commits")))
snap, deltas, records, nbytes = [], 0, 0, 0
for shard in sorted(os.listdir(os.path.join(root, "state"))):
    d = os.path.join(root, "state", shard)
    names = os.listdir(d)
    snaps = [int(n.split(".")[0]) for n in names if n.endswith(".snapshot") and int(n.split(".")[0]) <= c]
    s = max(snaps) if snaps else -1
    files = ([os.path.join(d, "%d.snapshot" % s)] if s >= 0 else []) + \
            [os.path.join(d, "%d.delta" % b) for b in range(s + 1, c + 1)]
    snap.append(str(s) if s >= 0 else "none")
    deltas += c - s
    for f in files:
        with open(f, "rb") as fh:
            fh.seek(40)
            records += struct.unpack("<Q", fh.read(8))[0]
        nbytes += os.path.getsize(f)
print("last_commit=%d snapshot=%s deltas=%d records=%d load_bytes=%d" % (c, ",".join(snap), deltas, records, nbytes))
EOF
}

# --- the queries -------------------------------------------------------------------
# ck_sql SOURCE-OPTIONS SINK-OPTIONS
ck_sql() {
	printf "CREATE SOURCE lines\n  WITH (connector = 'generator', words_per_line = 8, seed = 1, %s);\n\n" "$1"
	printf "CREATE SINK word_counts\n  WITH (%s)\nAS SELECT word, count(*) AS count\n   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)\n   GROUP BY word;\n" "$2"
}
ck_sql "words = $CK_WORDS, rows = $ROWS, pregenerate = true" \
	"connector = 'noop', output_mode = 'update', trigger = '1 second'" >"$BENCH/ckpt_off.sql"
ck_sql "words = $CK_WORDS, rows = $ROWS, pregenerate = true" \
	"connector = 'noop', output_mode = 'update', trigger = '1 second', checkpoint = '$CK_DIR/a'" >"$BENCH/ckpt_on.sql"
{
	printf 'SET min_deltas_for_snapshot = 1000000;\n'
	sed "s|'$CK_DIR/a'|'$CK_DIR/a_nosnap'|" "$BENCH/ckpt_on.sql"
} >"$BENCH/ckpt_nosnap.sql"
ck_sql "words = $CK_WORDS, rows = $CK_PREP_ROWS, pregenerate = true" \
	"connector = 'noop', output_mode = 'update', trigger = 'once', checkpoint = '$CK_DIR/keys1m'" >"$BENCH/ckpt_prep.sql"
ck_sql "words = $CK_WORDS, rows = 1" \
	"connector = 'console', output_mode = 'update', num_rows = 3" >"$BENCH/ckpt_fresh.sql"
ck_sql "words = $CK_WORDS, rows = 1" \
	"connector = 'console', output_mode = 'update', num_rows = 3, checkpoint = '$CK_DIR/rec'" >"$BENCH/ckpt_rec.sql"
for k in "${CK_KS[@]}"; do
	ck_sql "words = $k, rows = $((CK_SECONDS * k)), rows_per_second = $k, pregenerate = true" \
		"connector = 'noop', output_mode = 'update', trigger = '1 second', checkpoint = '$CK_DIR/rec'" >"$BENCH/ckpt_k$k.sql"
done

# ck_one SCENARIO VARIANT RUN FIRST SQL: one timed run; appends its line to
# CK_RESULTS (the runner's figures and the stats)
ck_one() {
	local sc=$1 var=$2 run=$3 first=$4 sql=$5 o=$BENCH/ckpt.out e=$BENCH/ckpt.err t
	if ! t=$(python3 "$BENCH/ckpt_run.py" "$o" "$e" "$first" "$SLUICE" run "$sql" --stats --until-drained "${CK_FLAGS[@]}"); then
		tail -n 20 "$e" >&2
		die "sluice failed on $sc, $var, run $run: $SLUICE run $sql --stats --until-drained ${CK_FLAGS[*]}"
	fi
	local wall cpu disk fst
	read -r wall cpu disk fst <<<"$t"
	local line="$sc	$var	$run	wall=$wall cpu=$cpu disk=$disk first=$fst"
	for n in rows_in batches state_rows elapsed_s rows_per_s checkpoint_bytes checkpoint_puts checkpoint_removes restore_s peak_rss_kb; do
		line+=" $n=$(stat_of "$e" "$n")"
	done
	printf '%s\n' "$line" >>"$CK_RESULTS"
	CK_LAST=$line
}
ck_field() { tr ' \t' '\n' <<<"$CK_LAST" | sed -n "s/^$1=//p"; }
ck_copy() { # FROM: a fresh copy of a checkpoint at $CK_DIR/rec
	rm -rf "$CK_DIR/rec"
	cp -a "$1" "$CK_DIR/rec"
	rm -f "$CK_DIR/rec/.lock"
}

# --- the 1 M-key checkpoint of (b) and (c), made once ----------------------------
say "checkpoint: making $CK_DIR/keys1m: 1 M keys in one batch (trigger 'once', $CK_PREP_ROWS lines)"
ck_one prep once 1 0 "$BENCH/ckpt_prep.sql"
[[ $(ck_field state_rows) == "$CK_WORDS" ]] || die "the 'once' run holds $(ck_field state_rows) groups, not $CK_WORDS"
say "  $(ckpt_layout "$CK_DIR/keys1m")"

# the commit measured: taken before the runs (others may commit meanwhile)
if [[ -n ${SLUICE_COMMIT:-} ]]; then
	CK_COMMIT=$SLUICE_COMMIT
else
	CK_COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	# --no-optional-locks: a benchmark does not rewrite the index
	[[ -n $(git --no-optional-locks status --porcelain 2>/dev/null) ]] && CK_COMMIT+="+dirty"
fi
CK_LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "checkpoint: load average $CK_LOAD0 before the runs; sluice ${CK_FLAGS[*]}"
awk '{ exit !($1 > 1) }' /proc/loadavg &&
	say "warning: the load average is $CK_LOAD0: the machine is busy, the figures will say less"

for ((r = 1; r <= RUNS; r++)); do
	# (a): off and on alternate, which goes first alternates too
	case $((r % 3)) in
	1) order=(off on nosnap) ;;
	2) order=(on nosnap off) ;;
	0) order=(nosnap off on) ;;
	esac
	for v in "${order[@]}"; do
		case $v in # the on run's directory is kept for (b)
		on) rm -rf "$CK_DIR/a" ;;
		nosnap) rm -rf "$CK_DIR/a_nosnap" ;;
		esac
		ck_one a "$v" "$r" 0 "$BENCH/ckpt_$v.sql"
		[[ $(ck_field rows_in) == "$ROWS" ]] || die "(a) $v: sluice took $(ck_field rows_in) of $ROWS lines"
		[[ $(ck_field state_rows) == "$CK_WORDS" ]] ||
			die "(a) $v: the state holds $(ck_field state_rows) groups, not $CK_WORDS (more --rows?)"
		if [[ $v != off ]]; then
			d=$CK_DIR/a
			[[ $v == on ]] || d=$CK_DIR/a_nosnap
			lay=$(ckpt_layout "$d")
			nsnap=$(find "$d/state" -name '*.snapshot' | wc -l)
			sed -i "\$s/\$/ snapshots=$nsnap $lay/" "$CK_RESULTS"
		fi
		say "  run $r, (a) checkpoint $v: $(ck_field rows_per_s) rows/s, $(ck_field batches) batches, CPU $(ck_field cpu) s"
	done
	# (b): fresh, 1 file, as (a)
	ck_one b fresh "$r" 1 "$BENCH/ckpt_fresh.sql"
	say "  run $r, (b) fresh: first record at $(ck_field first) s"
	ck_copy "$CK_DIR/keys1m"
	lay=$(ckpt_layout "$CK_DIR/rec")
	ck_one b 1file "$r" 1 "$BENCH/ckpt_rec.sql"
	sed -i "\$s/\$/ $lay/" "$CK_RESULTS"
	[[ $(ck_field state_rows) == "$CK_WORDS" ]] || die "(b) 1 file: restored $(ck_field state_rows) groups, not $CK_WORDS"
	say "  run $r, (b) 1 M keys in 1 file: first record at $(ck_field first) s, restore_s $(ck_field restore_s)"
	ck_copy "$CK_DIR/a"
	lay=$(ckpt_layout "$CK_DIR/rec")
	ck_one b asa "$r" 1 "$BENCH/ckpt_rec.sql"
	sed -i "\$s/\$/ $lay/" "$CK_RESULTS"
	[[ $(ck_field state_rows) == "$CK_WORDS" ]] || die "(b) as (a): restored $(ck_field state_rows) groups, not $CK_WORDS"
	say "  run $r, (b) as (a) left it ($lay): first record at $(ck_field first) s, restore_s $(ck_field restore_s)"
	# (c): K changed keys a batch in a 1 M-key state
	for k in "${CK_KS[@]}"; do
		ck_copy "$CK_DIR/keys1m"
		ck_one c "$k" "$r" 0 "$BENCH/ckpt_k$k.sql"
		[[ $(ck_field state_rows) == "$CK_WORDS" ]] ||
			say "warning: (c) K = $k: the state holds $(ck_field state_rows) groups, not $CK_WORDS"
		say "  run $r, (c) K = $k: $(ck_field batches) batches, $(ck_field checkpoint_puts) puts, $(ck_field checkpoint_bytes) bytes"
	done
done
CK_LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the disk -----------------------------------------------------------------------
# the median delta of (a) written and fsync'ed; a small file published
probe=$(python3 - "$CK_RESULTS" "$CK_DIR" <<'EOF'
import os, statistics, sys, time
path, d = sys.argv[1], sys.argv[2]
per = []
for line in open(path):
    sc, var, run, kv = line.rstrip("\n").split("\t")
    f = dict(x.split("=", 1) for x in kv.split())
    if sc == "a" and var == "on":
        per.append(int(f["checkpoint_bytes"]) / int(f["batches"]))
size = int(statistics.median(per))
buf = os.urandom(1 << 20)
big, small = [], []
for i in range(3):
    p = os.path.join(d, "probe")
    t0 = time.monotonic()
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    left = size
    while left > 0:
        left -= os.write(fd, buf[:min(left, len(buf))])
    os.fsync(fd)
    os.close(fd)
    big.append(time.monotonic() - t0)
    os.unlink(p)
    t0 = time.monotonic()
    fd = os.open(p + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, buf[:64])
    os.fsync(fd)
    os.close(fd)
    os.rename(p + ".tmp", p)
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(dfd)
    os.close(dfd)
    small.append(time.monotonic() - t0)
    os.unlink(p)
print("disk\tprobe\t1\tbytes=%d big=%s small=%s" % (size, ",".join("%.6f" % x for x in big),
                                                   ",".join("%.6f" % x for x in small)))
EOF
) || die "the disk probe failed"
printf '%s\n' "$probe" >>"$CK_RESULTS"

# --- the tables ----------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
CK_HEADER="checkpoint, word count over 1 M distinct words, $ROWS lines in (a), median of $RUNS runs; \
$("$SLUICE" --version) at $CK_COMMIT; ${cpu:-unknown CPU}, $(nproc) cores; Linux $(uname -r); \
checkpoints on $(findmnt -n -o FSTYPE -T "$CK_DIR" 2>/dev/null || echo '?') $(findmnt -n -o SOURCE -T "$CK_DIR" 2>/dev/null || echo '?'); \
load average $CK_LOAD0 before, $CK_LOAD1 after"
export CK_HEADER
python3 - "$CK_RESULTS" "$BENCH/checkpoint.md" "${CK_KS[*]}" <<'EOF'
import os, statistics, sys
path, md, ks = sys.argv[1], sys.argv[2], sys.argv[3].split()
runs = {}
for line in open(path):
    sc, var, run, kv = line.rstrip("\n").split("\t")
    f = {}
    for x in kv.split():
        k, v = x.split("=", 1)
        try:
            f[k] = float(v)
        except ValueError:
            f[k] = v
    f["round"] = run
    runs.setdefault((sc, var), []).append(f)
def med(sc, var, k): return statistics.median(r[k] for r in runs[(sc, var)])
def each(sc, var, k, fmt): return " ".join(fmt % r[k] for r in runs[(sc, var)])
def table(hdr, out, nleft=1):
    w = [max(len(h), *(len(o[i]) for o in out)) for i, h in enumerate(hdr)]
    txt = "  ".join(h.ljust(w[i]) if i < nleft else h.rjust(w[i]) for i, h in enumerate(hdr)) + "\n"
    for o in out:
        txt += "  ".join(c.ljust(w[i]) if i < nleft else c.rjust(w[i]) for i, c in enumerate(o)) + "\n"
    mdt = "| " + " | ".join(hdr) + " |\n|" + "|".join("---" if i < nleft else "---:" for i in range(len(hdr))) + "|\n"
    for o in out:
        mdt += "| " + " | ".join(o) + " |\n"
    return txt, mdt
M = lambda x: "%.1f" % (x / 1e6)
txt, mdt = [os.environ["CK_HEADER"] + "\n"], [os.environ["CK_HEADER"] + "\n"]

# (a)
off = med("a", "off", "rows_per_s")
alabel = {"off": "off", "on": "on", "nosnap": "on, no snapshot"}
hdr = ["(a) checkpoint", "rows/s", "on/off", "words/s", "elapsed s", "batches", "CPU s", "CPU ns/row",
       "ckpt MB", "MB/batch", "puts/batch", "bytes/put", "disk MB", "snapshots"]
out = []
for v in ("off", "on", "nosnap"):
    rps = med("a", v, "rows_per_s")
    rs = runs[("a", v)]
    cpu_ns = statistics.median(r["cpu"] / r["rows_in"] * 1e9 for r in rs)
    if v != "off":
        cb = med("a", v, "checkpoint_bytes")
        per_b = statistics.median(r["checkpoint_bytes"] / r["batches"] for r in rs)
        puts_b = statistics.median(r["checkpoint_puts"] / r["batches"] for r in rs)
        bpp = statistics.median(r["checkpoint_bytes"] / r["checkpoint_puts"] for r in rs)
        ck = [M(cb), M(per_b), "%.0f" % puts_b, "%.1f" % bpp, M(med("a", v, "disk")),
              "%.0f" % med("a", v, "snapshots")]
    else:
        ck = ["-", "-", "-", "-", M(med("a", v, "disk")), "-"]
    out.append([alabel[v], "%.0f" % rps, "%.3f" % (rps / off), "%.2fM" % (8 * rps / 1e6), "%.2f" % med("a", v, "elapsed_s"),
                "%.0f" % med("a", v, "batches"), "%.2f" % med("a", v, "cpu"), "%.0f" % cpu_ns] + ck)
t, m = table(hdr, out)
ratio = med("a", "on", "rows_per_s") / off
def paired(v):  # each round's v against its off run: the median of those, and their range
    by = {r["round"]: r["rows_per_s"] for r in runs[("a", "off")]}
    x = [r["rows_per_s"] / by[r["round"]] for r in runs[("a", v)]]
    return "%.3f (%.3f to %.3f)" % (statistics.median(x), min(x), max(x))
cpu_ratio = statistics.median(r["cpu"] / r["rows_in"] for r in runs[("a", "on")]) / \
            statistics.median(r["cpu"] / r["rows_in"] for r in runs[("a", "off")])
verdict = ("(a) throughput with a checkpoint every 1 s batch: %.1f%% %s (target: under 5%% lost): %s; "
           "on/off each round, median: %s (no snapshot: %s); CPU per row on/off %.3fx") % (
    abs(1 - ratio) * 100, "lost" if ratio < 1 else "gained", "met" if ratio >= 0.95 else "NOT met",
    paired("on"), paired("nosnap"), cpu_ratio)
txt += [t, verdict + "\n"]
mdt += [m, "\n" + verdict + "\n"]

# (b)
fresh = med("b", "fresh", "first")
hdr = ["(b) start", "loads", "records", "MB", "restore_s", "first record s", "vs fresh", "process s", "state rows"]
out = []
label = {"fresh": "fresh (no checkpoint)", "1file": "1 M keys in 1 file", "asa": "as (a) left it"}
for v in ("fresh", "1file", "asa"):
    rs = runs[("b", v)]
    if v == "fresh":
        loads, rec, mb, rst = "-", "-", "-", "-"
    else:
        snaps = sorted({r["snapshot"] if r["snapshot"] == "none" else "%d" % r["snapshot"] for r in rs})
        dl = sorted({int(r["deltas"]) for r in rs})
        loads = "snapshot %s + %s deltas" % ("/".join(str(s) for s in snaps),
                                            "-".join(str(x) for x in (dl if len(dl) == 1 else (dl[0], dl[-1]))))
        if snaps == ["none"]:
            loads = "%s delta%s" % ("-".join(str(x) for x in (dl if len(dl) == 1 else (dl[0], dl[-1]))),
                                    "" if dl == [1] else "s")
        rec = "%.1fM" % (med("b", v, "records") / 1e6)
        mb = M(med("b", v, "load_bytes"))
        rst = "%.3f" % med("b", v, "restore_s")
    first = med("b", v, "first")
    out.append([label[v], loads, rec, mb, rst, "%.3f" % first, "%.2fx" % (first / fresh),
                "%.3f" % med("b", v, "wall"), "%.0f" % med("b", v, "state_rows")])
t, m = table(hdr, out, 2)
one = med("b", "1file", "first")
verdict = "(b) first record after recovering 1 M keys from one file: %.3f s (target: under 0.5 s): %s" % (
    one, "met" if one < 0.5 else "NOT met")
asa = med("b", "asa", "first")
verdict += "; from what (a) left: %.3f s: %s" % (asa, "met" if asa < 0.5 else "NOT met")
txt += [t, verdict + "\n"]
mdt += ["\n", m, "\n" + verdict + "\n"]

# (c)
hdr = ["(c) K words", "batches", "changed keys/batch", "ckpt bytes/batch", "bytes/changed key",
       "disk bytes/batch", "restore_s", "state rows"]
out = []
for k in ks:
    rs = runs[("c", k)]
    out.append([k, "%.0f" % med("c", k, "batches"),
                "%.0f" % statistics.median(r["checkpoint_puts"] / r["batches"] for r in rs),
                "%.0f" % statistics.median(r["checkpoint_bytes"] / r["batches"] for r in rs),
                "%.1f" % statistics.median(r["checkpoint_bytes"] / r["checkpoint_puts"] for r in rs),
                "%.0f" % statistics.median(r["disk"] / r["batches"] for r in rs),
                "%.3f" % med("c", k, "restore_s"), "%.0f" % med("c", k, "state_rows")])
t, m = table(hdr, out)
txt += [t]
mdt += ["\n", m]

# the disk
d = runs[("disk", "probe")][0]
big = [float(x) for x in d["big"].split(",")]
small = [float(x) for x in d["small"].split(",")]
dline = "disk: %.1f MB written and fsync'ed: median %.1f ms (%.0f MB/s); a 64-byte file published (write, fsync, rename, fsync of the directory): median %.2f ms" % (
    d["bytes"] / 1e6, statistics.median(big) * 1e3, d["bytes"] / statistics.median(big) / 1e6, statistics.median(small) * 1e3)
txt += [dline + "\n"]
mdt += ["\n" + dline + "\n"]

# the runs
mdt.append("\nThe runs:\n\n")
for k, fmt in (("rows_per_s", "%.0f"), ("cpu", "%.2f"), ("batches", "%.0f"), ("snapshots", "%.0f")):
    mdt.append("- (a) %s, %s\n" % ("CPU s" if k == "cpu" else k, "; ".join(
        "%s: %s" % (alabel[v], each("a", v, k, fmt)) for v in ("off", "on", "nosnap") if k in runs[("a", v)][0])))
for v in ("fresh", "1file", "asa"):
    mdt.append("- (b) %s, first record s: %s%s\n" % (label[v], each("b", v, "first", "%.3f"),
               "" if v == "fresh" else "; restore_s: " + each("b", v, "restore_s", "%.3f")))
mdt.append("- (b) as (a) left it, loaded: %s\n" % "; ".join(
    "snapshot %s + %d deltas, %.1f M records" % (r["snapshot"] if r["snapshot"] == "none" else "%d" % r["snapshot"], r["deltas"], r["records"] / 1e6) for r in runs[("b", "asa")]))
for k in ks:
    mdt.append("- (c) K = %s, bytes/batch: %s\n" % (k, " ".join(
        "%.0f" % (r["checkpoint_bytes"] / r["batches"]) for r in runs[("c", k)])))
mdt.append("- disk probe, s: %s (big); %s (small)\n" % (d["big"].replace(",", " "), d["small"].replace(",", " ")))
sys.stdout.write("".join(txt))
with open(md, "w") as f:
    f.write("".join(mdt))
EOF
rm -rf "$CK_DIR/rec"
say "Markdown tables: $BENCH/checkpoint.md; every run: $CK_RESULTS"
