# tools/bench_kafka.sh — `tools/bench kafka`, sourced by tools/bench after
# its lock and build check (no DuckDB, no socket sender): the Kafka
# source's records/s per ingest core reading a pre-filled topic from the
# mock broker, against kcat reading the same topic in the same run.
#
# Use a release build: the default build/ is a debug build and says
# nothing about speed:
#   meson setup build-rel --buildtype=release && ninja -C build-rel
#   SLUICE=build-rel/sluice tools/bench kafka
# The broker is tools/kafka-mock (librdkafka 2.0.2's mock cluster, in one
# process on 127.0.0.1): $KAFKA_MOCK, by default the one next to the sluice
# binary, $(dirname $SLUICE)/tools/kafka-mock. kcat must be installed.
#
# Data (generated untimed into tools/.bench/kafka/, kept while the sizes
# and the seed stay the same; produced into the mock once per run of the
# script, untimed, with kcat -P, one partition at a time): --rows records
# (default 1 280 000) spread evenly over --partitions partitions (default
# 32) of the topic 'bench', each record's value a JSON object of ~100 bytes,
# the Yahoo Streaming Benchmark's event trimmed:
#   {"user_id":"732ee464","ad_id":"6e2a3a4d","event_type":"view","event_time":"2024-03-01 09:00:00.002"}
# The mock keeps only about the last 5 MB of each partition (docs/kafka.md):
# more than ~44 000 of these records a partition and the oldest are
# deleted. So the script refuses more than 40 000 a partition, and before
# measuring it asks the mock for every partition's low and high watermark
# (kcat -Q, offsets -2 and -1): each must still be 0 and rows/partitions.
#
# Measured, --runs times (default 3), the engines alternating in a
# rotating order, medians taken:
#   (a) sluice, format 'json' into the four columns, one ingest core
#       (--ingest-cores 0 --agg-cores 1):
#         SELECT count(*) AS n, max(event_time) AS last FROM k
#   (b) sluice, no format: Spark's value column, one ingest core, the
#       reader without a JSON parse:
#         SELECT count(*) AS n, sum(length(value)) AS bytes FROM k
#   (c) as (a) on two ingest cores (--ingest-cores 0,1 --agg-cores 1: on a
#       2-core machine the aggregator shares CPU 1 with the second one);
#   (d) kcat -C -b BS -t bench -o beginning -e -q >/dev/null (kcat's
#       default format: each value and a newline).
# sluice: connector 'kafka', starting_offsets 'earliest', trigger
# 'available_now', console sink (one row, one batch), --stats --no-socket;
# seconds = stat elapsed_s (the run loop: from before the first batch is
# planned to the end; the consumers are created before it, the partitions
# assigned and fetched inside it); every run is checked: rows_in = --rows,
# bytes_in = the values' bytes, no malformed rows, and the answer (count,
# max(event_time) or sum of lengths) the generator's. kcat: seconds = the
# wall clock around it (metadata and connection included; sluice's wall
# clock is in the table too); its record count is checked once, untimed,
# before the runs (kcat ... | wc -l).
# CPU s = the process's user + system time (bash `time`): for sluice its
# ingest and aggregator threads and librdkafka's own threads (a broker
# thread per broker that fetches and decodes record batches), for kcat its
# main thread and librdkafka's. Records per CPU second is the fairer
# per-core figure on a small machine, where librdkafka's fetch threads run
# beside the ingest core. Broker CPU s: what the mock (also on this
# machine) spent serving the run, from /proc/PID/stat.
# Results: tools/.bench/kafka.tsv (every run), kafka.md (the table, the
# runs). The table names the commit of the checkout's HEAD, or
# SLUICE_COMMIT for a build made elsewhere.
# Method and figures: docs/performance.md, "Kafka".

# shellcheck shell=bash

stat_of() { awk -v n="$2" '$1 == "stat" && $2 == n { v = $3 } END { print v }' "$1"; }

# shellcheck disable=SC2153 # ROWS, ROWS_GIVEN, PARTITIONS, RUNS: set by tools/bench
((ROWS_GIVEN)) || ROWS=1280000
KF_P=$PARTITIONS
KF_MAX_PER_PART=40000 # 40 000 x ~115 bytes (value and batch overhead) = 4.6 MB < the mock's ~5 MB
((ROWS % KF_P == 0)) || die "--rows ($ROWS) must be a multiple of --partitions ($KF_P): every partition gets as many records"
KF_R=$((ROWS / KF_P))
((KF_R <= KF_MAX_PER_PART)) ||
	die "$KF_R records a partition: the mock keeps only about the last 5 MB of each partition (~44 000 of these records); use at most $KF_MAX_PER_PART a partition (--partitions $(((ROWS + KF_MAX_PER_PART - 1) / KF_MAX_PER_PART)) or more)"
KF_TOPIC=bench
KF_SEED=1

KAFKA_MOCK=${KAFKA_MOCK:-$(dirname "$SLUICE")/tools/kafka-mock}
[[ -x $KAFKA_MOCK ]] || die "no kafka-mock at '$KAFKA_MOCK' (ninja builds tools/kafka-mock next to sluice; or set KAFKA_MOCK)"
command -v kcat >/dev/null || die "kcat is needed (apt-get install kcat)"

KF_DIR=$PWD/$BENCH/kafka
KF_RESULTS=$BENCH/kafka.tsv # engine, cores, run, seconds, wall_s, cpu_s, broker_cpu_s, rows, bytes
: >"$KF_RESULTS"

# --- the data (untimed) ---------------------------------------------------------
kf_stamp="kafka v1, $KF_P partitions x $KF_R records, seed $KF_SEED"
if [[ $(cat "$KF_DIR/stamp" 2>/dev/null) != "$kf_stamp" ]]; then
	rm -rf "$KF_DIR"
	mkdir -p "$KF_DIR"
	say "generating $KF_P x $KF_R JSON records in $KF_DIR (untimed)"
	python3 - "$KF_DIR" "$KF_P" "$KF_R" "$KF_SEED" <<'EOF' || die "generating the records failed"
# The Yahoo Streaming Benchmark's event trimmed to ~100 bytes: short ids
# (8 hex digits), no page, ad type or address. One file a partition, one
# record a line; "expect" gets the answers: the values' bytes and the
# greatest event_time.
import random, sys
d, nparts, per, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
users = ['%08x' % rnd.getrandbits(32) for _ in range(100000)]
ads = ['%08x' % rnd.getrandbits(32) for _ in range(1000)]
event_types = ['view', 'click', 'purchase']
fmt = '{"user_id":"%s","ad_id":"%s","event_type":"%s","event_time":"%s"}'
ms = 0  # since 2024-03-01 09:00:00
nbytes, last = 0, ''
for p in range(nparts):
    out = []
    for _ in range(per):
        ms += rnd.randrange(0, 3)
        s, f = divmod(ms, 1000)
        m, s = divmod(s, 60)
        h, m = divmod(m, 60)
        day, h = divmod(9 + h, 24)
        t = '2024-03-%02d %02d:%02d:%02d.%03d' % (1 + day, h, m, s, f)
        v = fmt % (rnd.choice(users), rnd.choice(ads), rnd.choice(event_types), t)
        nbytes += len(v)
        last = max(last, t)
        out.append(v + '\n')
    with open('%s/part-%05d.json' % (d, p), 'w') as fo:
        fo.write(''.join(out))
with open(d + '/expect', 'w') as fo:
    fo.write('%d %s\n' % (nbytes, last))
EOF
	printf '%s\n' "$kf_stamp" >"$KF_DIR/stamp"
fi
read -r KF_BYTES KF_LAST_DAY KF_LAST_TIME <"$KF_DIR/expect"
KF_LAST="$KF_LAST_DAY $KF_LAST_TIME"
say "kafka: $ROWS records ($KF_P partitions x $KF_R), $KF_BYTES bytes of values (~$((KF_BYTES / ROWS)) a record)"

# --- the broker, filled (untimed) -------------------------------------------------
"$KAFKA_MOCK" "$KF_TOPIC:$KF_P" >"$BENCH/kafka-mock.out" 2>"$BENCH/kafka-mock.err" &
KF_MOCK_PID=$!
# shellcheck disable=SC2064 # the pid now
trap "kill $KF_MOCK_PID 2>/dev/null || true" EXIT
KF_BS=
for ((i = 0; i < 500; i++)); do
	KF_BS=$(sed -n 's/^bootstrap \([^ ]*\)$/\1/p' "$BENCH/kafka-mock.out")
	[[ -n $KF_BS ]] && break
	kill -0 "$KF_MOCK_PID" 2>/dev/null || break
	sleep 0.02
done
[[ -n $KF_BS ]] || { cat "$BENCH/kafka-mock.err" >&2; die "kafka-mock printed no bootstrap line within 10 s"; }
say "kafka-mock $KF_TOPIC:$KF_P at $KF_BS (pid $KF_MOCK_PID); producing with kcat -P (untimed)"
t0=$EPOCHREALTIME
for ((p = 0; p < KF_P; p++)); do
	kcat -P -b "$KF_BS" -t "$KF_TOPIC" -p "$p" <"$KF_DIR/$(printf 'part-%05d.json' "$p")" ||
		die "kcat could not produce partition $p"
done
say "produced in $(python3 -c "print('%.1f' % ($EPOCHREALTIME - $t0))") s"

# kf_watermarks OFFSET: "partition offset" lines of every partition, for
# OFFSET -2 (the low watermark: the first offset still kept) or -1 (high)
kf_watermarks() {
	local q=() p
	for ((p = 0; p < KF_P; p++)); do
		q+=(-t "$KF_TOPIC:$p:$1")
	done
	kcat -Q -b "$KF_BS" "${q[@]}" | sed -n "s/^$KF_TOPIC \[\([0-9]*\)\] offset \(-\{0,1\}[0-9]*\)$/\1 \2/p"
}
# kf_check_kept: every partition still starts at 0 and ends at KF_R
kf_check_kept() {
	local low high
	low=$(kf_watermarks -2 | awk -v n="$KF_P" '$2 == 0 { k++ } END { print k + 0 }')
	high=$(kf_watermarks -1 | awk -v n="$KF_P" -v r="$KF_R" '$2 == r { k++ } END { print k + 0 }')
	((low == KF_P)) || die "only $low of $KF_P partitions still start at offset 0: the mock deleted records (it keeps ~5 MB a partition); use more --partitions"
	((high == KF_P)) || die "only $high of $KF_P partitions end at offset $KF_R: the produce went wrong"
}
kf_check_kept
say "every partition holds offsets 0 to $KF_R (kcat -Q, low and high watermarks)"
n=$(timeout 120 kcat -C -b "$KF_BS" -t "$KF_TOPIC" -o beginning -e -q | wc -l)
[[ $n == "$ROWS" ]] || die "kcat read $n records, the topic holds $ROWS"

# --- the queries -------------------------------------------------------------------
kf_sql() {
	if [[ $1 == json ]]; then
		printf "CREATE SOURCE k (user_id STRING, ad_id STRING, event_type STRING, event_time TIMESTAMP)\n"
		printf "  WITH (connector = 'kafka', bootstrap_servers = '%s', subscribe = '%s', starting_offsets = 'earliest', format = 'json');\n" "$KF_BS" "$KF_TOPIC"
		printf "CREATE SINK o WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now', truncate = false)\nAS SELECT count(*) AS n, max(event_time) AS last FROM k;\n"
	else
		printf "CREATE SOURCE k (value STRING)\n"
		printf "  WITH (connector = 'kafka', bootstrap_servers = '%s', subscribe = '%s', starting_offsets = 'earliest');\n" "$KF_BS" "$KF_TOPIC"
		printf "CREATE SINK o WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now', truncate = false)\nAS SELECT count(*) AS n, sum(length(value)) AS bytes FROM k;\n"
	fi
}
kf_sql json >"$BENCH/kafka_json.sql"
kf_sql value >"$BENCH/kafka_value.sql"

# the mock's user + system CPU seconds so far
kf_mock_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' "/proc/$KF_MOCK_PID/stat"
}
kf_record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$KF_RESULTS"; }

# kf_sluice ENGINE CORES RUN SQL EXPECT FLAGS...: one timed sluice run, its
# answer checked against EXPECT (the console row's cells joined by ';');
# prints its seconds
kf_sluice() {
	local eng=$1 cores=$2 run=$3 sql=$4 expect=$5 o=$BENCH/kafka.out e=$BENCH/kafka.err t=$BENCH/kafka.time
	shift 5
	local TIMEFORMAT='%3R %3U %3S' c0 c1 s rows bytes wall user sys answer
	c0=$(kf_mock_cpu)
	if ! { time "$SLUICE" run "$sql" --stats --no-socket "$@" >"$o" 2>"$e"; } 2>"$t"; then
		tail -n 20 "$e" >&2
		die "sluice failed on $eng ($*)"
	fi
	c1=$(kf_mock_cpu)
	s=$(stat_of "$e" elapsed_s)
	rows=$(stat_of "$e" rows_in)
	bytes=$(stat_of "$e" bytes_in)
	read -r wall user sys <"$t"
	[[ $rows == "$ROWS" ]] || die "$eng: sluice read $rows records, the topic holds $ROWS"
	[[ $bytes == "$KF_BYTES" ]] || die "$eng: sluice read $bytes bytes, the values hold $KF_BYTES"
	[[ $(stat_of "$e" rows_malformed) == 0 ]] || die "$eng: sluice found malformed records"
	answer=$(awk -F'|' '/^\|/ { if (h++) { s = ""; for (i = 2; i < NF; i++) { c = $i; gsub(/^ +| +$/, "", c); s = s (i > 2 ? ";" : "") c } print s } }' "$o" | tail -n 1)
	[[ $answer == "$expect" ]] || die "$eng: sluice answered '$answer', the records give '$expect'"
	kf_record "$eng" "$cores" "$run" "$s" "$wall" "$(python3 -c "print('%.3f' % ($user + $sys))")" \
		"$(python3 -c "print('%.3f' % ($c1 - $c0))")" "$rows" "$bytes"
	printf '%s' "$s"
}

# kf_kcat RUN: one timed kcat run; prints its seconds
kf_kcat() {
	local t=$BENCH/kafka.time TIMEFORMAT='%3R %3U %3S' c0 c1 wall user sys
	c0=$(kf_mock_cpu)
	{ time kcat -C -b "$KF_BS" -t "$KF_TOPIC" -o beginning -e -q >/dev/null; } 2>"$t" ||
		die "kcat -C failed"
	c1=$(kf_mock_cpu)
	read -r wall user sys <"$t"
	kf_record "kcat -C" 1 "$1" "$wall" "$wall" "$(python3 -c "print('%.3f' % ($user + $sys))")" \
		"$(python3 -c "print('%.3f' % ($c1 - $c0))")" "$ROWS" "$KF_BYTES"
	printf '%s' "$wall"
}

# --- the runs ------------------------------------------------------------------------
if (($(nproc) >= 2)); then
	KF_FLAGS1=(--ingest-cores 0 --agg-cores 1)
	KF_FLAGS2=(--ingest-cores '0,1' --agg-cores 1)
else
	KF_FLAGS1=(--ingest-cores 0 --agg-cores 0)
	KF_FLAGS2=()
fi
KF_ENGINES=(json1 value1 kcat)
((${#KF_FLAGS2[@]})) && KF_ENGINES=(json1 value1 json2 kcat)
KF_COMMIT=${SLUICE_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
KF_LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "kafka: load average $KF_LOAD0 before the runs"
awk '{ exit !($1 > 1) }' /proc/loadavg &&
	say "warning: the load average is $KF_LOAD0: the machine is busy, the figures will say less"
for ((r = 1; r <= RUNS; r++)); do
	line="run $r:"
	ne=${#KF_ENGINES[@]}
	for ((j = 0; j < ne; j++)); do
		eng=${KF_ENGINES[(j + r - 1) % ne]} # a rotating order: no engine always first
		case $eng in
		json1) s=$(kf_sluice "sluice, json" 1 "$r" "$BENCH/kafka_json.sql" "$ROWS;$KF_LAST" "${KF_FLAGS1[@]}") ;;
		value1) s=$(kf_sluice "sluice, value (no format)" 1 "$r" "$BENCH/kafka_value.sql" "$ROWS;$KF_BYTES" "${KF_FLAGS1[@]}") ;;
		json2) s=$(kf_sluice "sluice, json" 2 "$r" "$BENCH/kafka_json.sql" "$ROWS;$KF_LAST" "${KF_FLAGS2[@]}") ;;
		kcat) s=$(kf_kcat "$r") ;;
		esac
		line+=" $eng $s s,"
	done
	say "  ${line%,}"
done
kf_check_kept # nothing deleted meanwhile (the mock deletes only on produce)
KF_LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
kill "$KF_MOCK_PID" 2>/dev/null || true

# --- the table --------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
KF_HEADER="kafka, $ROWS records of ~$((KF_BYTES / ROWS)) bytes ($KF_P partitions x $KF_R) from kafka-mock; $(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\) .*librdkafka \([^ ]*\) .*/kcat \1, librdkafka \2/p' | head -n 1); \
median of $RUNS runs; $("$SLUICE" --version) at $KF_COMMIT; ${cpu:-unknown CPU}, $(nproc) cores; Linux $(uname -r); \
load average $KF_LOAD0 before, $KF_LOAD1 after"
export KF_HEADER
python3 - "$KF_RESULTS" "$BENCH/kafka.md" <<'EOF'
import os, statistics, sys
path, md = sys.argv[1], sys.argv[2]
runs, order = {}, []
for line in open(path):
    eng, cores, run, s, wall, cpu, bcpu, rows, nbytes = line.rstrip("\n").split("\t")
    key = (eng, int(cores))
    if key not in runs:
        runs[key] = []
        order.append(key)
    runs[key].append((float(s), float(wall), float(cpu), float(bcpu), int(rows), int(nbytes)))
rows = []
for key in order:
    eng, cores = key
    rs = runs[key]
    med = [statistics.median(r[i] for r in rs) for i in range(4)]
    n, nbytes = rs[0][4], rs[0][5]
    rows.append(dict(eng=eng, cores=cores, secs=med[0], wall=med[1], cpu=med[2], bcpu=med[3],
                     rps=n / med[0], per=n / med[0] / cores, mbs=nbytes / med[0] / 1e6,
                     rpcpu=n / med[2], all=" ".join("%.3f" % r[0] for r in rs)))
kc = next((r for r in rows if r["eng"].startswith("kcat")), None)
def engine(r):
    if r["eng"].startswith("kcat"):
        return r["eng"]
    return "%s, %d ingest core%s" % (r["eng"], r["cores"], "s" if r["cores"] > 1 else "")
hdr = ["engine", "cores", "seconds", "records/s", "records/s/core", "MB/s", "vs kcat /core",
       "wall s", "CPU s", "records per CPU s", "broker CPU s"]
out = []
for r in rows:
    out.append([engine(r), str(r["cores"]), "%.3f" % r["secs"], "%.2fM" % (r["rps"] / 1e6),
                "%.2fM" % (r["per"] / 1e6), "%.0f" % r["mbs"],
                "%.2fx" % (r["per"] / kc["per"]) if kc else "n/a",
                "%.3f" % r["wall"], "%.3f" % r["cpu"], "%.2fM" % (r["rpcpu"] / 1e6), "%.3f" % r["bcpu"]])
w = [max(len(h), *(len(o[i]) for o in out)) for i, h in enumerate(hdr)]
print(os.environ["KF_HEADER"])
print("  ".join(h.ljust(w[i]) if i == 0 else h.rjust(w[i]) for i, h in enumerate(hdr)))
for o in out:
    print("  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(o)))
note = ("seconds: sluice's stat elapsed_s, kcat's wall clock; wall s: the process's wall clock; "
        "cores: sluice's ingest cores (its aggregator on CPU 1 as well), kcat's one consumer thread; "
        "CPU s: the process's user + system time, librdkafka's threads included; "
        "MB = 10^6 bytes of record values; broker CPU s: kafka-mock's during the run")
print(note)
with open(md, "w") as f:
    f.write(os.environ["KF_HEADER"] + "\n\n")
    f.write("| " + " | ".join(hdr) + " |\n|" + "|".join("---" if i == 0 else "---:" for i in range(len(hdr))) + "|\n")
    for o in out:
        f.write("| " + " | ".join(o) + " |\n")
    f.write("\n" + note + ".\n\nThe runs (seconds):\n\n")
    for r in rows:
        f.write("- %s: %s\n" % (engine(r), r["all"]))
EOF
say "Markdown table: $BENCH/kafka.md"
