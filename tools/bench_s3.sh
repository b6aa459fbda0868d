# tools/bench_s3.sh — `tools/bench s3`, sourced by tools/bench after its
# set-up (lock, checks): the file source reading CSV objects from an S3
# server on loopback (s3rver, tools/.s3/, installed by tools/bootstrap)
# against reading the same files from local disk, in the same run.
#
# Data (generated untimed into tools/.bench/s3/, and uploaded untimed):
# `sluice gen-sales` CSV (store,counter,amount,ts; ~42 bytes a row, no
# header), about --mb MiB, in two layouts with the same bytes: one file
# (split by byte ranges across the ingest cores: ranged GETs on S3) and that
# file cut on line boundaries into ~4 MiB files (one work item each).
# Query: SELECT count(*), sum(store), sum(counter), sum(amount), max(ts),
# connector 'file', trigger 'available_now', --stats; seconds = stat
# elapsed_s (from the start of the first batch; the first listing is in the
# set-up). MB/s per ingest core = bytes_in / seconds / cores. On one ingest
# core (--ingest-cores 0 --agg-cores 1) and on two (--ingest-cores 0-1
# --agg-cores 1). Local and S3 runs alternate; every run's answer must be
# the same. s3rver (Node.js, one thread) runs on the same machine and
# competes for its CPUs: the S3 figures are a floor, not what a real S3
# endpoint over a network gives.
# Results: the table on stdout and tools/.bench/s3.md; every run in
# tools/.bench/s3.tsv. Figures: docs/performance.md, "Object storage".

# shellcheck shell=bash

s3_stat() { awk -v n="$2" '$1 == "stat" && $2 == n { v = $3 } END { print v }' "$1"; }

S3_BIN=tools/.s3/node_modules/.bin/s3rver
S3_TOOL=$(dirname "$SLUICE")/tools/sluice-s3
[[ -x $S3_BIN ]] || die "no s3rver in tools/.s3/ (tools/bootstrap installs it with npm)"
[[ -x $S3_TOOL ]] || die "no $S3_TOOL (ninja builds it)"
S3_DIR=$PWD/$BENCH/s3
S3_RESULTS=$BENCH/s3.tsv # layout, where, cores, run, seconds, bytes, answer
: >"$S3_RESULTS"

s3_stamp="s3 v1, $BYTES bytes, seed $SEED, $("$SLUICE" --version)"
if [[ $(cat "$S3_DIR/stamp" 2>/dev/null) != "$s3_stamp" ]]; then
	rm -rf "$S3_DIR"
	mkdir -p "$S3_DIR/one" "$S3_DIR/files"
	say "generating about $MB MiB of sales CSV in $S3_DIR (untimed)"
	"$SLUICE" gen-sales --rows $((BYTES * 10 / 425)) --stores 100 --counters 500000 --seed "$SEED" \
		--speed 0.9 --late-share 0.05 --very-late-share 0.005 >"$S3_DIR/one/sales.csv" || die "gen-sales failed"
	(cd "$S3_DIR/files" && split -C 4M -d -a 4 --additional-suffix=.csv ../one/sales.csv part-) ||
		die "splitting the file failed"
	echo "$s3_stamp" >"$S3_DIR/stamp"
fi
S3_BYTES=$(wc -c <"$S3_DIR/one/sales.csv")

# the server, on a free loopback port, over a fresh directory
S3_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -rf "$S3_DIR/server"
mkdir -p "$S3_DIR/server"
NODE_OPTIONS=--openssl-legacy-provider "$S3_BIN" -d "$S3_DIR/server" -a 127.0.0.1 -p "$S3_PORT" --silent --configure-bucket bench >/dev/null 2>&1 &
S3_PID=$!
trap 'kill "$S3_PID" 2>/dev/null' EXIT
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER SLUICE_S3_ENDPOINT=http://127.0.0.1:$S3_PORT SLUICE_S3_PATH_STYLE=true
for ((i = 0; i < 100; i++)); do
	"$S3_TOOL" ls s3://bench/ >/dev/null 2>&1 && break
	sleep 0.1
done
say "uploading to s3rver on 127.0.0.1:$S3_PORT (untimed)"
"$S3_TOOL" put s3://bench/one/sales.csv "$S3_DIR/one/sales.csv" || die "upload failed"
for f in "$S3_DIR"/files/*.csv; do
	"$S3_TOOL" put "s3://bench/files/$(basename "$f")" "$f" || die "upload of $f failed"
done

s3_sql() {
	local path=$1 extra=$2
	printf "CREATE SOURCE src (store INT, counter INT, amount DOUBLE, ts TIMESTAMP)\n  WITH (connector = 'file', path = '%s', format = 'csv'%s);\n" "$path" "$extra"
	printf "CREATE SINK o WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now', truncate = false)\nAS SELECT count(*) AS n, sum(store) AS stores, sum(counter) AS counters, sum(amount) AS amount, max(ts) AS last FROM src;\n"
}

# s3_run LAYOUT WHERE CORES RUN: one timed run; prints MB/s per core
s3_run() {
	local layout=$1 where=$2 cores=$3 run=$4 sql=$BENCH/s3.sql o=$BENCH/s3.out e=$BENCH/s3.err flags
	if [[ $where == local ]]; then
		s3_sql "$S3_DIR/$layout" "" >"$sql"
	else
		s3_sql "s3://bench/$layout/" ", s3.endpoint = 'http://127.0.0.1:$S3_PORT', s3.path_style = true" >"$sql"
	fi
	if ((cores == 1)); then flags=(--ingest-cores 0 --agg-cores 1); else flags=(--ingest-cores 0-1 --agg-cores 1); fi
	"$SLUICE" run --no-socket "$sql" --stats "${flags[@]}" >"$o" 2>"$e" || { tail -n 20 "$e" >&2; die "sluice failed ($layout, $where, $cores cores)"; }
	local s bytes answer
	s=$(s3_stat "$e" elapsed_s)
	bytes=$(s3_stat "$e" bytes_in)
	[[ $bytes == "$S3_BYTES" ]] || die "$layout ($where): sluice read $bytes bytes, the data is $S3_BYTES"
	answer=$(awk -F'|' '/^\|/ { if (h++) { s = ""; for (i = 2; i < NF; i++) { c = $i; gsub(/^ +| +$/, "", c); s = s (i > 2 ? ";" : "") c } print s } }' "$o" | tail -n 1)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$layout" "$where" "$cores" "$run" "$s" "$bytes" "$answer" >>"$S3_RESULTS"
}

S3_CORES=(1)
(($(nproc) >= 2)) && S3_CORES=(1 2)
for ((run = 1; run <= RUNS; run++)); do
	for layout in one files; do
		for cores in "${S3_CORES[@]}"; do
			for where in local s3; do
				s3_run "$layout" "$where" "$cores" "$run"
			done
		done
	done
	say "run $run of $RUNS done"
done

python3 - "$S3_RESULTS" "$BENCH/s3.md" "$S3_BYTES" "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
out, nbytes, commit = sys.argv[2], int(sys.argv[3]), sys.argv[4]
# the same counts, sums and max everywhere; sum(amount) to 1e-9 relative
# (the order of the additions differs with the cores and the parts)
def key(a):
    f = a.split(";")
    return (f[0], f[1], f[2], f[4])
first = rows[0][6].split(";")
for r in rows:
    f = r[6].split(";")
    if key(r[6]) != key(rows[0][6]) or abs(float(f[3]) - float(first[3])) > 1e-9 * abs(float(first[3])):
        sys.exit("bench: error: the runs disagree: %s against %s" % (r[6], rows[0][6]))
lines = ["tools/bench s3 (commit %s): %.1f MiB of sales CSV, medians of %d runs" %
         (commit, nbytes / 1048576, len({r[3] for r in rows})), "",
         "| layout | ingest cores | local disk MB/s per core | s3rver MB/s per core | s3 / local |",
         "|---|---|---|---|---|"]
for layout in ("one", "files"):
    for cores in sorted({int(r[2]) for r in rows}):
        med = {}
        for where in ("local", "s3"):
            secs = [float(r[4]) for r in rows if r[0] == layout and r[1] == where and int(r[2]) == cores]
            med[where] = nbytes / 1e6 / statistics.median(secs) / cores
        lines.append("| %s | %d | %.0f | %.0f | %.2f |" % (
            "one file" if layout == "one" else "~4 MiB files", cores, med["local"], med["s3"],
            med["s3"] / med["local"]))
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
print(text)
PY
