# tools/bench_dpdk.sh — `tools/bench dpdk`, sourced by tools/bench after its
# set-up (lock, build check): the dpdk source's packets and records per
# second per ingest core, on DPDK's net_pcap virtual device replaying a
# capture from memory (infinite_rx = 1: the PMD loads the pcap once, then
# hands out its frames again and again), so that what is measured is the
# source (rx_burst, the frame parser, the record parser, the commit into
# record blocks) and the query, not a disk or a wire.
#
# Use a release build:
#   meson setup build-rel --buildtype=release && ninja -C build-rel
#   SLUICE=build-rel/sluice tools/bench dpdk [--runs 3] [--seconds 5]
#
# Captures (tools/sluice-gen, seed 1, words template: lines of 8 words of
# 3 to 10 letters, ~54 bytes), in tools/.bench/dpdk/, 4000 datagrams each
# (net_pcap keeps a replayed capture in the queue's mbuf pool: 8191 mbufs):
#   small   1 record a datagram   (~55-byte UDP payload, frames ~97 bytes)
#   medium  4 records a datagram  (~220-byte payload)
#   large   25 records a datagram (~1380-byte payload, a full 1500 MTU)
# Queries, each run for --seconds (default 5) then stopped with SIGINT
# (stats printed at the stop; rows_in / elapsed_s):
#   count   SELECT count(*) FROM p              (the source alone; the
#           ingest core's combiner folds it)
#   keyed   SELECT value, count(*) GROUP BY value (every record's key
#           hashed, folded into the ingest core's combiner or routed to
#           the aggregator core's shards: 4000 distinct lines in the small
#           capture, 16,000 in the medium, 100,000 in the large)
#   words   the word count (split, explode, group by word)
# with the default trigger (batches back to back, Spark's default: each
# batch's complete-mode output of every group is part of the cost), and
# with trigger = '1 second':
#   keyed-1s   keyed, batches of a second
#   routed-1s  keyed, batches of a second, SET combiner = false: every
#              record parsed, its key hashed and the row shipped to the
#              aggregator core ("parsed and routed")
#   words-1s   the word count, batches of a second
# on one ingest core (--ingest-cores 0 --agg-cores 1). Medians of --runs.
# Results: the table on stdout and tools/.bench/dpdk.md.
# The target (docs/performance.md): 10 M records/s per ingest core parsed
# and routed; measured here on a virtual device, on a shared 2-core VM.

SECONDS_RUN=${DPDK_SECONDS:-5}
GEN=${SLUICE_GEN:-$builddir/tools/sluice-gen}
[[ -x $GEN ]] || die "no sluice-gen at $GEN (ninja -C $builddir builds it)"
D=$BENCH/dpdk
mkdir -p "$D"

make_pcap() { # NAME RECORDS_PER_DATAGRAM
	local f=$D/$1.pcap
	[[ -s $f ]] && return 0
	"$GEN" --pcap-out "$f" --count 4000 --records-per-datagram "$2" --seed 1 >"$D/$1.gen" ||
		die "sluice-gen failed for $1"
}
make_pcap small 1
make_pcap medium 4
make_pcap large 25

run_one() { # SIZE QUERY -> prints "rows seconds datagrams"
	local size=$1 q=$2 sql=$D/q.sql
	local body set="" trigger=""
	case $q in
	*-1s) trigger=", trigger = '1 second'" ;;
	esac
	case $q in
	routed-*) set="SET combiner = false;" ;;
	esac
	case $q in
	count) body="SELECT count(*) AS n FROM p" ;;
	keyed | keyed-1s | routed-1s) body="SELECT value, count(*) AS n FROM p GROUP BY value" ;;
	words | words-1s) body="SELECT word, count(*) AS n FROM (SELECT explode(split(value, ' ')) AS word FROM p) GROUP BY word" ;;
	esac
	cat >"$sql" <<EOF
$set
CREATE SOURCE p WITH (connector = 'dpdk', port = 'net_pcap0,rx_pcap=$D/$size.pcap,infinite_rx=1');
CREATE SINK o WITH (connector = 'noop', output_mode = 'complete'$trigger) AS $body;
EOF
	timeout -s INT "$SECONDS_RUN" "$SLUICE" run "$sql" --no-socket --stats --ingest-cores 0 --agg-cores 1 \
		>/dev/null 2>"$D/run.err" || true
	awk '$1 == "stat" && $2 == "rows_in" {r = $3} $1 == "stat" && $2 == "elapsed_s" {s = $3}
	     $1 == "stat" && $2 == "source.p.datagrams" {d = $3} END {print r, s, d}' "$D/run.err"
}

QUERIES="count keyed words keyed-1s routed-1s words-1s"
say "dpdk: $RUNS runs of ${SECONDS_RUN} s per size and query"
declare -A RPS PPS
for ((run = 1; run <= RUNS; run++)); do
	for size in small medium large; do
		for q in $QUERIES; do
			read -r rows secs dg < <(run_one "$size" "$q")
			[[ -n $rows && -n $secs && $secs != 0.000000 ]] ||
				die "no stats from the $size/$q run: $(tail -3 "$D/run.err")"
			RPS[$size.$q]+="$(awk -v r="$rows" -v s="$secs" 'BEGIN {printf "%.0f", r / s}') "
			PPS[$size.$q]+="$(awk -v r="$dg" -v s="$secs" 'BEGIN {printf "%.0f", r / s}') "
		done
	done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
{
	echo "dpdk source on net_pcap (infinite_rx), 1 ingest core, ${SECONDS_RUN} s runs, median of $RUNS; $(nproc) CPUs; $(uname -r)"
	echo
	echo "| datagrams | records a datagram | query | packets/s | records/s | records/s vs 10 M target |"
	echo "|---|---:|---|---:|---:|---:|"
	for size in small medium large; do
		case $size in small) k=1 ;; medium) k=4 ;; large) k=25 ;; esac
		for q in $QUERIES; do
			p=$(echo "${PPS[$size.$q]}" | median)
			r=$(echo "${RPS[$size.$q]}" | median)
			printf '| %s | %d | %s | %s | %s | %.2fx |\n' "$size" "$k" "$q" "$p" "$r" \
				"$(awk -v r="$r" 'BEGIN {print r / 10000000}')"
		done
	done
} | tee "$BENCH/dpdk.md"
