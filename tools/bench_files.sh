# tools/bench_files.sh — `tools/bench files`, sourced by tools/bench after
# its set-up (lock, DuckDB install): the file source's MB/s per ingest core
# for text, CSV and JSON, side by side with DuckDB reading the same files.
#
# Data (generated untimed into tools/.bench/files/, kept while --mb, the
# seed and the sluice version stay the same), about --mb MiB each:
#   text         `sluice gen-text` lines (8 words of 3 to 10 letters, ~54 bytes);
#   sales        `sluice gen-sales` CSV store,counter,amount,ts (INT, INT,
#                DOUBLE, TIMESTAMP; ~42 bytes a row, no header), the retail
#                story's rows;
#   events_json  JSON lines of the Yahoo Streaming Benchmark's event
#                (user_id, page_id, ad_id: UUIDs; ad_type, event_type,
#                event_time 'yyyy-MM-dd HH:mm:ss.SSS', ip_address; ~257 bytes);
#   events_csv   the very same records as CSV (~164 bytes a row; so smaller
#                than --mb);
#   sales_parquet the sales rows as one Parquet file written by DuckDB
#                (snappy, its default row groups; INT32, INT32, DOUBLE,
#                TIMESTAMP), repeated until the pages hold about
#                --parquet-mb MiB uncompressed (default --mb; the issue's
#                1 GB: --parquet-mb 1024): sluice's own Parquet reader
#                against DuckDB's;
#                its MB are the file's uncompressed page bytes (the
#                footer's total_uncompressed_size), one layout only (one
#                file, split across the ingest cores by row groups). Made
#                only when DuckDB is there.
# Each in two layouts with the same bytes: one file (the ingest cores split
# it by byte ranges, on line boundaries) and that file cut on line
# boundaries into --mb/4 files of ~4 MiB (below the 8 MiB split size: each
# file is one core's work item).
#
# The query reads every row and every column and keeps one row of state:
#   lines        SELECT count(*) (the text files: the reader alone)
#   text         SELECT count(*), sum(length(value))
#   sales        SELECT count(*), sum(store), sum(counter), sum(amount), max(ts)
#                (sales_parquet too)
#   events_*     SELECT count(*), sum(length(user_id) + ... + length(ip_address)),
#                max(event_time)
# sluice: connector 'file', trigger 'available_now', --stats; seconds =
# stat elapsed_s; on one ingest core (--ingest-cores 0 --agg-cores 1) and on
# two (--ingest-cores 0-1 --agg-cores 1: on a 2-core machine the aggregator
# shares CPU 1 with the second ingest core). DuckDB (one thread): the same
# aggregates over read_csv / read_json(format = 'newline_delimited') of the
# same file or glob, the schema given, in a fresh process per run; after one
# untimed SELECT * FROM reader LIMIT 1 (sluice's set-up is outside its
# elapsed_s too), the query is timed. The engines run
# alternately (per run: every data set and layout, sluice on one core, on
# two, DuckDB), the files warm in the page cache. Every run's answer is
# checked: all engines, both layouts, the same counts and sums (sum(amount)
# to 1e-9 relative: the order of additions differs) and the same max
# timestamp; and sluice's stat bytes_in must be the files' size.
# Results: tools/.bench/files.tsv (every run), files.md (the table, medians,
# the runs). The table names the commit of the checkout's HEAD, or
# SLUICE_COMMIT for a build made elsewhere (SLUICE=/elsewhere/sluice).
# Method and figures: docs/performance.md, "Files (text, CSV, JSON)".

# shellcheck shell=bash

stat_of() { awk -v n="$2" '$1 == "stat" && $2 == n { v = $3 } END { print v }' "$1"; }

FILES_DIR=$PWD/$BENCH/files
FILES_N=$((MB / 4))
((FILES_N >= 2)) || FILES_N=2
FILES_DATA=(lines text sales events_csv events_json)
((DUCKDB_OK)) && FILES_DATA+=(sales_parquet)
FILES_GEN=(text sales events_csv events_json)
# the files each data set reads: lines is the text with count(*) alone
declare -A FILES_BASE=([lines]=text [text]=text [sales]=sales [events_csv]=events_csv [events_json]=events_json
	[sales_parquet]=sales_parquet)
declare -A FILES_EXT=([lines]=txt [text]=txt [sales]=csv [events_csv]=csv [events_json]=json [sales_parquet]=parquet)
FILES_RESULTS=$BENCH/files.tsv # data, input, engine, cores, run, seconds, wall_s, cpu_s, rows, bytes, answer
: >"$FILES_RESULTS"

# --- the data (untimed) ----------------------------------------------------
# shellcheck disable=SC2153 # BYTES, SEED, WORDS: set by tools/bench
files_stamp="files v1, $BYTES bytes, $FILES_N files, seed $SEED, $("$SLUICE" --version)"
if [[ $(cat "$FILES_DIR/stamp" 2>/dev/null) != "$files_stamp" ]]; then
	rm -rf "$FILES_DIR"
	mkdir -p "$FILES_DIR"
	say "generating about $MB MiB of each data set in $FILES_DIR (untimed)"
	"$SLUICE" gen-text --words "$WORDS" --words-per-line "$WORDS_PER_LINE" --bytes "$BYTES" --seed "$SEED" \
		>"$FILES_DIR/text.txt" || die "gen-text failed"
	# gen-sales rows are 42 to 43 bytes
	"$SLUICE" gen-sales --rows $((BYTES * 10 / 425)) --stores 100 --counters 500000 --seed "$SEED" \
		--speed 0.9 --late-share 0.05 --very-late-share 0.005 >"$FILES_DIR/sales.csv" || die "gen-sales failed"
	python3 - "$FILES_DIR/events_json.json" "$FILES_DIR/events_csv.csv" "$BYTES" "$SEED" <<'EOF' || die "generating the events failed"
# The Yahoo Streaming Benchmark's event, as JSON lines to about BYTES bytes,
# and the same records as CSV. event_time is a timestamp both engines read
# (YSB writes epoch milliseconds as a string: neither Spark nor DuckDB
# reads that as a TIMESTAMP).
import random, sys
jpath, cpath, nbytes, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
def uuid():
    h = '%032x' % rnd.getrandbits(128)
    return '%s-%s-%s-%s-%s' % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
users = [uuid() for _ in range(100000)]
pages = [uuid() for _ in range(100000)]
ads = [uuid() for _ in range(1000)]  # YSB: 100 campaigns of 10 ads
ad_types = ['banner', 'modal', 'sponsored-search', 'mail', 'mobile']
event_types = ['view', 'click', 'purchase']
ips = ['%d.%d.%d.%d' % (rnd.randrange(1, 224), rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255))
       for _ in range(5000)]
jf = '{"user_id":"%s","page_id":"%s","ad_id":"%s","ad_type":"%s","event_type":"%s","event_time":"%s","ip_address":"%s"}\n'
cf = '%s,%s,%s,%s,%s,%s,%s\n'
ms = 0  # since 2024-03-01 09:00:00
written = 0
with open(jpath, 'w') as jo, open(cpath, 'w') as co:
    while written < nbytes:
        jb, cb = [], []
        for _ in range(10000):
            ms += rnd.randrange(0, 3)
            s, f = divmod(ms, 1000)
            m, s = divmod(s, 60)
            h, m = divmod(m, 60)
            d, h = divmod(9 + h, 24)
            rec = (rnd.choice(users), rnd.choice(pages), rnd.choice(ads), rnd.choice(ad_types),
                   rnd.choice(event_types), '2024-03-%02d %02d:%02d:%02d.%03d' % (1 + d, h, m, s, f),
                   rnd.choice(ips))
            line = jf % rec
            jb.append(line)
            cb.append(cf % rec)
            written += len(line)
            if written >= nbytes:
                break
        jo.write(''.join(jb))
        co.write(''.join(cb))
EOF
	for d in "${FILES_GEN[@]}"; do
		mkdir -p "$FILES_DIR/$d"
		# FILES_N pieces, no line cut
		split -n "l/$FILES_N" -d -a 4 --additional-suffix=".${FILES_EXT[$d]}" \
			"$FILES_DIR/$d.${FILES_EXT[$d]}" "$FILES_DIR/$d/part-" || die "split failed"
	done
	printf '%s\n' "$files_stamp" >"$FILES_DIR/stamp"
fi
pq_stamp="parquet v1, $PARQUET_MB MiB, $files_stamp"
if ((DUCKDB_OK)) && [[ $(cat "$FILES_DIR/parquet.stamp" 2>/dev/null) != "$pq_stamp" ]]; then
	# about 7.5 bytes a row of uncompressed pages (DuckDB puts store and
	# amount in dictionaries)
	rows=$(wc -l <"$FILES_DIR/sales.csv")
	copies=$(((PARQUET_MB * 1048576 * 2 / 15 + rows - 1) / rows))
	((copies >= 1)) || copies=1
	say "writing the sales rows $copies times as Parquet with DuckDB (untimed)"
	node "$BENCH/bench_duckdb_files.mjs" to_parquet "$FILES_DIR/sales.csv" "$FILES_DIR/sales_parquet.parquet" "$copies" ||
		die "DuckDB could not write the Parquet file"
	printf '%s\n' "$pq_stamp" >"$FILES_DIR/parquet.stamp"
fi
FILES_UBYTES=0
if ((DUCKDB_OK)); then
	FILES_UBYTES=$(node "$BENCH/bench_duckdb_files.mjs" uncompressed "$FILES_DIR/sales_parquet.parquet") ||
		die "DuckDB could not read the Parquet file's metadata"
	say "sales_parquet: $FILES_UBYTES bytes of pages uncompressed"
fi
declare -A FILES_BYTES FILES_LINES
for d in "${FILES_DATA[@]}"; do
	f=$FILES_DIR/${FILES_BASE[$d]}.${FILES_EXT[$d]}
	FILES_BYTES[$d]=$(wc -c <"$f")
	FILES_LINES[$d]=$(wc -l <"$f")
	if [[ $d == sales_parquet ]]; then
		FILES_LINES[$d]=-
		say "$d: ${FILES_BYTES[$d]} bytes in one file"
	elif [[ $d == "${FILES_BASE[$d]}" ]]; then
		say "$d: ${FILES_BYTES[$d]} bytes, ${FILES_LINES[$d]} lines; one file, and $FILES_N files in $d/"
	fi
done

# --- the queries -------------------------------------------------------------
# files_sql DATA PATH: the sluice query over PATH (a file or a directory)
files_sql() {
	local d=$1 path=$2 cols fmt sel
	case $d in
	lines)
		cols="value STRING" fmt=text
		sel="count(*) AS n"
		;;
	text)
		cols="value STRING" fmt=text
		sel="count(*) AS n, sum(length(value)) AS chars"
		;;
	sales | sales_parquet)
		cols="store INT, counter INT, amount DOUBLE, ts TIMESTAMP" fmt=csv
		[[ $d == sales_parquet ]] && fmt=parquet
		sel="count(*) AS n, sum(store) AS stores, sum(counter) AS counters, sum(amount) AS amount, max(ts) AS last"
		;;
	events_csv | events_json)
		cols="user_id STRING, page_id STRING, ad_id STRING, ad_type STRING, event_type STRING, event_time TIMESTAMP, ip_address STRING"
		fmt=${d#events_}
		sel="count(*) AS n, sum(length(user_id) + length(page_id) + length(ad_id) + length(ad_type) + length(event_type) + length(ip_address)) AS chars, max(event_time) AS last"
		;;
	esac
	printf "CREATE SOURCE src (%s)\n  WITH (connector = 'file', path = '%s', format = '%s');\n" "$cols" "$path" "$fmt"
	printf "CREATE SINK o WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now', truncate = false)\nAS SELECT %s FROM src;\n" "$sel"
}

FILES_FLAGS1=("${CORE_FLAGS[@]}")
FILES_CORES1=1
FILES_FLAGS2=()
if (($(nproc) >= 2)); then
	FILES_FLAGS2=(--ingest-cores 0-1 --agg-cores 1)
fi

# files_sluice DATA INPUT SQL CORES RUN FLAGS...: one timed sluice run
files_sluice() {
	local d=$1 input=$2 sql=$3 cores=$4 run=$5 o=$BENCH/files.out e=$BENCH/files.err t=$BENCH/files.time
	shift 5
	local TIMEFORMAT='%3R %3U %3S'
	if ! { time "$SLUICE" run "$sql" --stats "$@" >"$o" 2>"$e"; } 2>"$t"; then
		tail -n 20 "$e" >&2
		die "sluice failed on $d ($input, $*)"
	fi
	local s rows bytes wall user sys answer
	s=$(stat_of "$e" elapsed_s)
	rows=$(stat_of "$e" rows_in)
	bytes=$(stat_of "$e" bytes_in)
	read -r wall user sys <"$t"
	[[ $bytes == "${FILES_BYTES[$d]}" ]] || die "$d ($input): sluice read $bytes bytes, the files hold ${FILES_BYTES[$d]}"
	[[ $(stat_of "$e" rows_malformed) == 0 ]] || die "$d ($input): sluice found malformed rows"
	# the console table's one data row, its cells joined by ';'
	answer=$(awk -F'|' '/^\|/ { if (h++) { s = ""; for (i = 2; i < NF; i++) { c = $i; gsub(/^ +| +$/, "", c); s = s (i > 2 ? ";" : "") c } print s } }' "$o" | tail -n 1)
	[[ $d == sales_parquet ]] && bytes=$FILES_UBYTES # MB/s of uncompressed pages
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$d" "$input" "sluice" "$cores" "$run" "$s" "$wall" \
		"$(python3 -c "print('%.3f' % ($user + $sys))")" "$rows" "$bytes" "$answer" >>"$FILES_RESULTS"
	printf '%s' "$s"
}

# files_duckdb DATA INPUT PATH RUN: one timed DuckDB run (a fresh process);
# prints its seconds
files_duckdb() {
	local d=$1 input=$2 path=$3 run=$4
	node "$BENCH/bench_duckdb_files.mjs" "$d" "$path" 1 >"$BENCH/duckdb_files.jsonl" ||
		die "the DuckDB run failed on $d ($input)"
		local nbytes=${FILES_BYTES[$d]}
	[[ $d == sales_parquet ]] && nbytes=$FILES_UBYTES
	python3 - "$BENCH/duckdb_files.jsonl" "$d" "$input" "$run" "$nbytes" "$FILES_RESULTS" <<'EOF'
import json, sys
path, d, inp, run, nbytes, results = sys.argv[1:]
lines = [json.loads(l) for l in open(path)]
h, r = lines[0], lines[1]
assert h["threads"] == 1, h
with open(results, "a") as f:
    f.write("\t".join([d, inp, "DuckDB " + h["duckdb"], "1", run, "%.6f" % r["seconds"], "",
                       "%.3f" % r["cpu_s"], str(r["rows"]), nbytes, ";".join(r["answer"])]) + "\n")
print("%.6f" % r["seconds"])
EOF
}

# --- the runs --------------------------------------------------------------------
for d in "${FILES_DATA[@]}"; do
	b=${FILES_BASE[$d]}
	files_sql "$d" "$FILES_DIR/$b.${FILES_EXT[$d]}" >"$BENCH/files_${d}_one.sql"
	files_sql "$d" "$FILES_DIR/$b" >"$BENCH/files_${d}_many.sql"
	cat "$FILES_DIR/$b.${FILES_EXT[$d]}" >/dev/null # into the page cache
	[[ -d $FILES_DIR/$b ]] && cat "$FILES_DIR/$b"/* >/dev/null
done
# the commit measured: taken before the runs (others may commit meanwhile);
# SLUICE_COMMIT names it for a build made elsewhere (SLUICE=/tmp/b/sluice)
FILES_COMMIT=${SLUICE_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
FILES_LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "files: load average $FILES_LOAD0 before the runs; sluice ${FILES_FLAGS1[*]}${FILES_FLAGS2[*]:+ and ${FILES_FLAGS2[*]}}"
awk '{ exit !($1 > 1) }' /proc/loadavg &&
	say "warning: the load average is $FILES_LOAD0: the machine is busy, the figures will say less"
for ((r = 1; r <= RUNS; r++)); do
	for d in "${FILES_DATA[@]}"; do
		for layout in one many; do
			[[ $d == sales_parquet && $layout == many ]] && continue
			if [[ $layout == one ]]; then
				input="1 file" dpath=$FILES_DIR/${FILES_BASE[$d]}.${FILES_EXT[$d]}
			else
				input="$FILES_N files" dpath="$FILES_DIR/${FILES_BASE[$d]}/*.${FILES_EXT[$d]}"
			fi
			sql=$BENCH/files_${d}_$layout.sql
			s1=$(files_sluice "$d" "$input" "$sql" "$FILES_CORES1" "$r" "${FILES_FLAGS1[@]}")
			s2=-
			((${#FILES_FLAGS2[@]})) && s2=$(files_sluice "$d" "$input" "$sql" 2 "$r" "${FILES_FLAGS2[@]}")
			s3=-
			((DUCKDB_OK)) && s3=$(files_duckdb "$d" "$input" "$dpath" "$r")
			say "  run $r, $d, $input: sluice 1 ingest core $s1 s, 2 ingest cores $s2 s, DuckDB $s3 s"
		done
	done
done
FILES_LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the table ----------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
FILES_HEADER="files, about $MB MiB per data set, median of $RUNS runs; $("$SLUICE" --version) at $FILES_COMMIT; \
${cpu:-unknown CPU}, $(nproc) cores; Linux $(uname -r); load average $FILES_LOAD0 before, $FILES_LOAD1 after"
export FILES_HEADER
python3 - "$FILES_RESULTS" "$BENCH/files.md" <<'EOF'
import datetime, os, statistics, sys
path, md = sys.argv[1], sys.argv[2]
# the aggregates' kinds, in the query's order: i exact integer, f double, t timestamp
kinds = {"lines": "i", "text": "ii", "sales": "iiift", "events_csv": "iit", "events_json": "iit",
         "sales_parquet": "iiift"}
label = {"lines": "text, count(*)", "text": "text, + sum(length)", "sales": "CSV sales",
         "events_csv": "CSV events", "events_json": "JSON events",
         "sales_parquet": "Parquet sales (MB uncompressed)"}
target = {"lines": 2000, "text": 2000, "sales": 1000, "events_csv": 1000, "events_json": 800,
          "sales_parquet": 1000}  # MB/s per ingest core

def norm(d, answer):
    out = []
    for k, v in zip(kinds[d], answer.split(";")):
        if k == "i":
            out.append(int(v))
        elif k == "f":
            out.append(float(v))
        elif v.lstrip("-").isdigit():  # DuckDB: epoch_us
            out.append(int(v))
        else:  # sluice: 'yyyy-MM-dd HH:mm:ss[.ffffff]', UTC
            date, _, frac = v.partition(".")
            t = datetime.datetime.strptime(date, "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc)
            out.append(int(t.timestamp()) * 1000000 + int((frac + "000000")[:6]))
    return out

def same(a, b):
    return len(a) == len(b) and all(
        abs(x - y) <= 1e-9 * max(abs(x), abs(y)) if isinstance(x, float) else x == y for x, y in zip(a, b))

runs, order, bad = {}, [], []
ref = {}
for line in open(path):
    d, inp, eng, cores, run, s, wall, cpu, rows, nbytes, answer = line.rstrip("\n").split("\t")
    key = (d, inp, eng, int(cores))
    if key not in runs:
        runs[key] = []
        order.append(key)
    runs[key].append((float(s), float(cpu) if cpu else None, int(rows), int(nbytes), float(s)))
    a = norm(d, answer)
    if int(rows) != a[0]:
        bad.append("%s, %s, %s: rows_in %s but count(*) %s" % (d, inp, eng, rows, a[0]))
    if d not in ref:
        ref[d] = (a, "%s, %s, %s cores" % (inp, eng, cores))
    elif not same(a, ref[d][0]):
        bad.append("%s: %s found %s; %s found %s" % (d, ref[d][1], ref[d][0], "%s, %s, %s cores" % (inp, eng, cores), a))

rows = []
for key in order:
    d, inp, eng, cores = key
    rs = runs[key]
    secs = statistics.median(r[0] for r in rs)
    cpus = [r[1] for r in rs if r[1] is not None]
    n, nbytes = rs[0][2], rs[0][3]
    mbs = nbytes / secs / 1e6
    rows.append(dict(d=d, inp=inp, eng=eng, cores=cores, secs=secs, mbs=mbs, per=mbs / cores,
                     rps=n / secs, cpu=statistics.median(cpus) if cpus else None,
                     mbcpu=nbytes / statistics.median(cpus) / 1e6 if cpus else None,
                     all=" ".join("%.3f" % r[0] for r in rs)))
def engine(r):
    if r["eng"] != "sluice":
        return r["eng"]
    return "sluice, %d ingest core%s" % (r["cores"], "s" if r["cores"] > 1 else "")
duck = {(r["d"], r["inp"]): r for r in rows if r["eng"].startswith("DuckDB")}
hdr = ["data", "input", "engine", "cores", "seconds", "MB/s", "MB/s/core", "rows/s", "vs DuckDB /core",
       "CPU s", "MB per CPU s", "target /core"]
out = []
for r in rows:
    dk = duck.get((r["d"], r["inp"]))
    sl = r["eng"] == "sluice"
    tgt = ""
    if sl:
        tgt = "%d: %s" % (target[r["d"]], "met" if r["per"] >= target[r["d"]] else "not met")
    out.append([label[r["d"]], r["inp"], engine(r),
                str(r["cores"]), "%.3f" % r["secs"], "%.0f" % r["mbs"], "%.0f" % r["per"], "%.2fM" % (r["rps"] / 1e6),
                "%.2fx" % (r["per"] / dk["per"]) if dk else "n/a",
                "%.3f" % r["cpu"] if r["cpu"] is not None else "-",
                "%.0f" % r["mbcpu"] if r["mbcpu"] is not None else "-", tgt])
w = [max(len(h), *(len(o[i]) for o in out)) for i, h in enumerate(hdr)]
print(os.environ["FILES_HEADER"])
print("  ".join(h.ljust(w[i]) if i < 3 else h.rjust(w[i]) for i, h in enumerate(hdr)))
for o in out:
    print("  ".join(c.ljust(w[i]) if i < 3 else c.rjust(w[i]) for i, c in enumerate(o)))
with open(md, "w") as f:
    f.write(os.environ["FILES_HEADER"] + "\n\n")
    f.write("| " + " | ".join(hdr) + " |\n|" + "|".join("---" if i < 3 else "---:" for i in range(len(hdr))) + "|\n")
    for o in out:
        f.write("| " + " | ".join(o) + " |\n")
    f.write("\nThe runs (seconds):\n\n")
    for r in rows:
        f.write("- %s, %s, %s: %s\n" % (label[r["d"]], r["inp"], engine(r), r["all"]))
if bad:
    print("MISMATCH: " + "; ".join(bad), file=sys.stderr)
    sys.exit(1)
print("all engines agree on every run, both layouts: %s; MB = 10^6 bytes of file; cores: ingest cores "
      "(sluice; its aggregator has CPU 1 too) or threads (DuckDB); CPU s: the process's user + system time"
      % "; ".join("%s %s" % (d, ref[d][0]) for d in ref))
EOF
say "Markdown table: $BENCH/files.md"

# --- the CSV parser alone ----------------------------------------------------------
# tools/csv-parse-bench (built next to sluice) over the first 64 MiB of the
# two CSV files, 15 passes a scan: the parse without reading, query or
# engine, appended to files.md (docs/performance.md says why: this VM runs
# at two speeds, and the best pass is the fast one).
FILES_PARSE=$(dirname "$SLUICE")/tools/csv-parse-bench
if [[ -x $FILES_PARSE ]]; then
	{
		printf '\nThe CSV parser alone (`%s FILE COLUMNS 64 15`: spans, the per-line way where one stops; MB/s of the first 64 MiB):\n\n' \
			"tools/csv-parse-bench"
		printf '| data | scan | best MB/s | median MB/s | rows |\n|---|---|---:|---:|---:|\n'
		for d in sales events_csv; do
			case $d in
			sales) cols="store INT, counter INT, amount DOUBLE, ts TIMESTAMP" ;;
			events_csv) cols="user_id STRING, page_id STRING, ad_id STRING, ad_type STRING, event_type STRING, event_time TIMESTAMP, ip_address STRING" ;;
			esac
			"$FILES_PARSE" "$FILES_DIR/$d.csv" "$cols" 64 15 |
				awk -v d="$d" '{ printf "| %s | %s | %s | %s | %s |\n", d, $1, $2, $5, $7 }' ||
				die "csv-parse-bench failed on $d.csv"
		done
	} >>"$BENCH/files.md"
	sed -n '/^The CSV parser alone/,$p' "$BENCH/files.md"
else
	say "no $FILES_PARSE: the CSV parser alone is not measured (build it: ninja -C $(dirname "$SLUICE") tools/csv-parse-bench)"
fi
