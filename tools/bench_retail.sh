# tools/bench_retail.sh — `tools/bench retail`, sourced by tools/bench after
# its set-up (lock, DuckDB install): the retail story's windowed state.
#
# The sales generator (docs/sql.md, connector 'sales') with 100 stores and
# 500,000 counters, its shop clock slowed (speed 0.9) so that one 15-minute
# window holds about 2 M sales: about 500 k (window, store, counter) groups
# per window, two windows alive while the watermark (10 minutes) trails, so
# about 1 M keys live. Each query runs --runs times (medians reported):
#   (t) tumbling window(ts, '15 minutes'), update mode;
#   (s) sliding window(ts, '15 minutes', '5 minutes'), update mode
#       (every row in 3 windows);
#   (c) the tumbling query in complete mode (nothing evicted);
# every one: sum(amount), count(*) per (window, store, counter), trigger
# '100 milliseconds', --until-drained, --ingest-cores 0 --agg-cores 1.
# The sales source computes each row as it goes (no pregeneration), so the
# figures include making the rows; (g) measures that alone: the same
# source into SELECT count(*).
# DuckDB (one thread) computes the same totals over the same rows written
# as CSV by `sluice gen-sales` (loaded untimed): a batch over everything,
# the baseline for rows/s per core.
# Per query: rows/s, rows/s per core, the peak of live groups, bytes of
# state per group (peak state memory / peak groups) and beyond the encoded
# key (35 bytes: window 17, store 9, counter 9), evicted groups and the
# nanoseconds per evicted group (stat evict_ns / evicted_rows).

stat_of() { awk -v n="$2" '$1 == "stat" && $2 == n { v = $3 } END { print v }' "$1"; }

RETAIL_SQL_OPTS="stores = 100, counters = 500000, seed = 1, speed = 0.9, late_share = 0.05, very_late_share = 0.005"
RETAIL_GEN_FLAGS=(--stores 100 --counters 500000 --seed 1 --speed 0.9 --late-share 0.05 --very-late-share 0.005)
RETAIL_KEY_BYTES=35
RETAIL_RESULTS=$BENCH/retail.tsv # name, run, seconds, rows_per_s, peak_rows, peak_mem, evicted, evict_ns, dropped
: >"$RETAIL_RESULTS"

# retail_sql MODE WINDOW-ARGS [SELECT]
retail_sql() {
	local mode=$1 wargs=$2 sel=${3:-}
	printf "CREATE SOURCE sales WITH (connector = 'sales', rows = %s, rows_per_second = 0, %s)\n  WATERMARK ts DELAY '10 minutes';\n" "$ROWS" "$RETAIL_SQL_OPTS"
	if [[ -n $sel ]]; then
		printf "CREATE SINK o WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')\nAS %s;\n" "$sel"
		return
	fi
	printf "CREATE SINK o WITH (connector = 'console', output_mode = '%s', trigger = '100 milliseconds', num_rows = 1)\nAS SELECT window(%s) AS w, store, counter, sum(amount) AS total, count(*) AS n\n   FROM sales GROUP BY window(%s), store, counter;\n" "$mode" "$wargs" "$wargs"
}

retail_run() { # NAME SQLFILE
	local name=$1 sql=$2 r
	for ((r = 1; r <= RUNS; r++)); do
		"$SLUICE" run "$sql" --stats --until-drained "${CORE_FLAGS[@]}" >"$BENCH/retail.out" 2>"$BENCH/retail.err" ||
			{ tail -n 20 "$BENCH/retail.err" >&2; die "sluice failed on $name"; }
		local s rps pr pm ev ens dr
		s=$(stat_of "$BENCH/retail.err" elapsed_s)
		rps=$(stat_of "$BENCH/retail.err" rows_per_s)
		pr=$(stat_of "$BENCH/retail.err" peak_state_rows)
		pm=$(stat_of "$BENCH/retail.err" peak_state_memory_bytes)
		ev=$(stat_of "$BENCH/retail.err" evicted_rows)
		ens=$(stat_of "$BENCH/retail.err" evict_ns)
		dr=$(stat_of "$BENCH/retail.err" rows_dropped_by_watermark)
		[[ $(stat_of "$BENCH/retail.err" rows_in) == "$ROWS" ]] || die "$name: sluice did not take all $ROWS rows"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$r" "$s" "$rps" "${pr:-0}" "${pm:-0}" "${ev:-0}" "${ens:-0}" "${dr:-0}" >>"$RETAIL_RESULTS"
		say "  run $r: $s s, peak $pr groups, $ev evicted, $dr late rows dropped"
	done
}

say "retail: $ROWS sales, $RETAIL_SQL_OPTS; sluice ${CORE_FLAGS[*]}"
retail_sql update "ts, '15 minutes'" >"$BENCH/retail_t.sql"
retail_sql update "ts, '15 minutes', '5 minutes'" >"$BENCH/retail_s.sql"
retail_sql complete "ts, '15 minutes'" >"$BENCH/retail_c.sql"
retail_sql x x "SELECT count(*) AS n FROM sales" >"$BENCH/retail_g.sql"
say "(t) tumbling, update mode"
retail_run "sluice tumbling 15 min, update" "$BENCH/retail_t.sql"
say "(s) sliding 15 min every 5, update mode"
retail_run "sluice sliding 15/5 min, update" "$BENCH/retail_s.sql"
say "(c) tumbling, complete mode (no eviction)"
retail_run "sluice tumbling 15 min, complete" "$BENCH/retail_c.sql"
say "(g) the generator alone: count(*)"
retail_run "sluice sales source alone, count(*)" "$BENCH/retail_g.sql"

if ((DUCKDB_OK)); then
	say "writing $ROWS sales as CSV for DuckDB: $SLUICE gen-sales --rows $ROWS ${RETAIL_GEN_FLAGS[*]}"
	"$SLUICE" gen-sales --rows "$ROWS" "${RETAIL_GEN_FLAGS[@]}" >"$BENCH/sales.csv" || die "gen-sales failed"
	for w in "900" "900 300"; do
		name="DuckDB tumbling 15 min"
		[[ $w == "900 300" ]] && name="DuckDB sliding 15/5 min"
		say "($name) one thread"
		# shellcheck disable=SC2086 # $w is SIZE [SLIDE]
		node "$BENCH/bench_duckdb_sales.mjs" "$BENCH/sales.csv" "$RUNS" $w >"$BENCH/duckdb_sales.jsonl" ||
			die "the DuckDB run failed"
		python3 -c 'import json, sys
name, n = sys.argv[2], sys.argv[3]
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "run" in r:
        print("%s\t%d\t%.6f\t%.1f\t%d\t0\t0\t0\t0" % (name, r["run"] + 1, r["seconds"], float(n) / r["seconds"], r["groups"]))' \
			"$BENCH/duckdb_sales.jsonl" "$name" "$ROWS" >>"$RETAIL_RESULTS"
	done
fi

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
export RETAIL_HEADER="retail, $ROWS sales, median of $RUNS runs; $("$SLUICE" --version) at $commit; ${cpu:-unknown CPU}, $(nproc) cores; Linux $(uname -r)"
python3 - "$RETAIL_RESULTS" "$SLUICE_CORES" "$RETAIL_KEY_BYTES" "$BENCH/retail.md" <<'EOF'
import os, statistics, sys
path, cores, keyb, md = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
runs = {}
for line in open(path):
    f = line.rstrip("\n").split("\t")
    runs.setdefault(f[0], []).append([float(x) for x in f[2:]])
def med(rs, i): return statistics.median(r[i] for r in rs)
rows = []
for name, rs in runs.items():
    c = cores if name.startswith("sluice") else 1
    secs, rps = med(rs, 0), med(rs, 1)
    peak, mem, ev, ens, dr = med(rs, 2), med(rs, 3), med(rs, 4), med(rs, 5), med(rs, 6)
    bpk = mem / peak if peak and mem else None
    rows.append((name, c, secs, rps, rps / c, peak, bpk, ev, ens / ev if ev else None, dr))
hdr = ["query", "cores", "seconds", "rows/s", "rows/s/core", "peak groups", "bytes/group",
       "beyond key", "evicted", "ns/evicted", "late dropped"]
out = []
for r in rows:
    out.append([r[0], str(r[1]), "%.3f" % r[2], "%.2fM" % (r[3] / 1e6), "%.2fM" % (r[4] / 1e6),
                "%d" % r[5] if r[5] else "-", "%.0f" % r[6] if r[6] else "-",
                "%.0f" % (r[6] - keyb) if r[6] else "-", "%d" % r[7] if r[7] else "-",
                "%.0f" % r[8] if r[8] else "-", "%d" % r[9] if r[0].startswith("sluice") else "-"])
w = [max(len(h), *(len(o[i]) for o in out)) for i, h in enumerate(hdr)]
print(os.environ["RETAIL_HEADER"])
print("  ".join(h.ljust(w[i]) for i, h in enumerate(hdr)))
for o in out:
    print("  ".join(o[i].ljust(w[i]) if i == 0 else o[i].rjust(w[i]) for i in range(len(hdr))))
with open(md, "w") as f:
    f.write(os.environ["RETAIL_HEADER"] + "\n\n| " + " | ".join(hdr) + " |\n|" + "---|" + "---:|" * (len(hdr) - 1) + "\n")
    for o in out:
        f.write("| " + " | ".join(o) + " |\n")
EOF
say "Markdown table: $BENCH/retail.md"
