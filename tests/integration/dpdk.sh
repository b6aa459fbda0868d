#!/usr/bin/env bash
#
# dpdk — the dpdk source (docs/dpdk.md) on DPDK's virtual devices, fed by
# tools/sluice-gen:
#   - a pcap written by `sluice-gen --pcap-out` replayed through net_pcap
#     into the word count: the counts equal awk's over the records the
#     generator says it sent (--records-out), datagrams and rows as sent;
#   - the same with a VLAN tag and IPv6, and binary records (the YSB
#     template);
#   - a pcap with malformed frames among the good ones (truncated
#     Ethernet, IPv4 and UDP headers, a bad IHL, IP and UDP lengths that do
#     not fit, another port, a fragment, ARP, IPv6 carrying TCP): each kind
#     in its counter, the good records all counted;
#   - two captures as two RX queues read by two ingest cores;
#   - the counters in progress (sluicectl), a capture replayed without end;
#   - bad options refused before anything runs.
# The veth-pair test is dpdk_veth.sh (it needs root).
# Skips (77) when sluice was built without DPDK, or when DPDK's EAL cannot
# start for want of privileges.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout python3
GEN=${SLUICE_GEN:-$(dirname "$SLUICE")/tools/sluice-gen}
[[ -x $GEN ]] || it_skip "no sluice-gen binary at '$GEN' (ninja builds tools/sluice-gen)"

# replay NAME PCAP COLUMNS [OPTIONS] [QUERY]: run a query over the pcap
# through net_pcap to its end (idle_timeout), --stats in NAME.err
replay() {
	local name=$1 pcap=$2 cols=$3 opts=${4:-} query=${5:-"SELECT count(*) AS n FROM p"}
	cat >"$IT_TMP/$name.sql" <<EOF
CREATE SOURCE p $cols WITH (connector = 'dpdk', port = 'net_pcap0,rx_pcap=$pcap',
  idle_timeout = '1 second' $opts);
CREATE SINK o WITH (connector = 'console', output_mode = 'complete', num_rows = 1000) AS $query;
EOF
	local rc=0
	timeout 60 "$SLUICE" run "$IT_TMP/$name.sql" --no-socket --stats --until-drained \
		>"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err" || rc=$?
	if ((rc != 0)); then
		grep -q 'built without DPDK' "$IT_TMP/$name.err" && it_skip "sluice was built without DPDK"
		if grep -q "DPDK's EAL does not start" "$IT_TMP/$name.err" && ((EUID != 0)); then
			it_skip "DPDK's EAL does not start without root here: $(grep EAL "$IT_TMP/$name.err")"
		fi
		cat "$IT_TMP/$name.err" >&2
		it_fail "$name: sluice failed (exit $rc)"
	fi
}

table() { it_console_rows "$IT_TMP/$1.out"; }
expect_stat() { it_expect_stat "$IT_TMP/$1.err" "$2" "$3"; }

# --- word count from a replayed capture --------------------------------------
"$GEN" --pcap-out "$IT_TMP/words.pcap" --count 2000 --records-per-datagram 4 --seed 7 \
	--words 50 --records-out "$IT_TMP/words.txt" >"$IT_TMP/gen.out" || it_fail "sluice-gen failed"
replay wc "$IT_TMP/words.pcap" "" "" \
	"SELECT word, count(*) AS n FROM (SELECT explode(split(value, ' ')) AS word FROM p) GROUP BY word ORDER BY word"
tr ' ' '\n' <"$IT_TMP/words.txt" | sort | uniq -c | awk '{print "|" $2 "|" $1 "|"}' >"$IT_TMP/wc.want"
table wc >"$IT_TMP/wc.got"
it_same "$IT_TMP/wc.want" "$IT_TMP/wc.got" "word counts from the replayed capture"
expect_stat wc source.p.datagrams 2000
expect_stat wc rows_in "$(wc -l <"$IT_TMP/words.txt")"
sent_bytes=$(awk '/^sent / {for (i = 1; i < NF; i++) if ($i == "bytes") print $(i + 1)}' "$IT_TMP/gen.out")
expect_stat wc bytes_in "$sent_bytes"

# --- VLAN and IPv6 ----------------------------------------------------------
"$GEN" --pcap-out "$IT_TMP/v6.pcap" --count 300 --records-per-datagram 2 --seed 8 --vlan 5 --ipv6 \
	--records-out "$IT_TMP/v6.txt" >/dev/null || it_fail "sluice-gen --vlan --ipv6 failed"
replay v6 "$IT_TMP/v6.pcap" ""
expect_stat v6 source.p.datagrams 300
expect_stat v6 rows_in "$(wc -l <"$IT_TMP/v6.txt")"

# --- binary records -----------------------------------------------------------
"$GEN" --pcap-out "$IT_TMP/ysb.pcap" --template ysb --format binary --records 1000 \
	--records-per-datagram 5 --seed 9 --records-out "$IT_TMP/ysb.csv" >/dev/null ||
	it_fail "sluice-gen --format binary failed"
replay bin "$IT_TMP/ysb.pcap" \
	"(user_id STRING, page_id STRING, ad_id STRING, ad_type STRING, event_type STRING, event_time TIMESTAMP, ip_address STRING)" \
	", format = 'binary'" \
	"SELECT event_type, count(*) AS n, sum(length(user_id) + length(ip_address)) AS len FROM p GROUP BY event_type ORDER BY event_type"
awk -F, '{n[$5]++; len[$5] += length($1) + length($7)} END {for (k in n) print "|" k "|" n[k] "|" len[k] "|"}' \
	"$IT_TMP/ysb.csv" | sort >"$IT_TMP/bin.want"
table bin >"$IT_TMP/bin.got"
it_same "$IT_TMP/bin.want" "$IT_TMP/bin.got" "binary YSB records by event type"
expect_stat bin rows_malformed 0

# --- malformed frames among good ones ------------------------------------------
kinds=trunc-eth,trunc-ip,bad-ihl,bad-iplen,trunc-udp,bad-udplen,other-port,fragment,arp,ipv6-other
"$GEN" --pcap-out "$IT_TMP/bad.pcap" --count 500 --seed 10 --malformed "$kinds" --malformed-every 10 \
	--records-out "$IT_TMP/bad.txt" >"$IT_TMP/bad.gen" || it_fail "sluice-gen --malformed failed"
m() { awk -v k="$1" '$1 == "malformed" && $2 == k {print $3}' "$IT_TMP/bad.gen"; }
replay bad "$IT_TMP/bad.pcap" ""
expect_stat bad source.p.datagrams 500
expect_stat bad rows_in "$(wc -l <"$IT_TMP/bad.txt")"
expect_stat bad source.p.dropped_truncated $(($(m trunc-eth) + $(m trunc-ip) + $(m trunc-udp)))
expect_stat bad source.p.dropped_bad_header $(($(m bad-ihl) + $(m bad-iplen) + $(m bad-udplen)))
expect_stat bad source.p.dropped_other_port "$(m other-port)"
expect_stat bad source.p.dropped_fragment "$(m fragment)"
expect_stat bad source.p.arp "$(m arp)"
expect_stat bad source.p.dropped_not_udp "$(m ipv6-other)"
(($(m arp) > 0)) || it_fail "sluice-gen wrote no malformed frames: $(cat "$IT_TMP/bad.gen")"

# --- two RX queues (two captures), two ingest cores ---------------------------
"$GEN" --pcap-out "$IT_TMP/q2.pcap" --count 700 --records-per-datagram 2 --seed 12 --words 30 \
	--records-out "$IT_TMP/q2.txt" >/dev/null || it_fail "sluice-gen failed"
cat "$IT_TMP/words.txt" "$IT_TMP/q2.txt" | tr ' ' '\n' | sort | uniq -c | awk '{print "|" $2 "|" $1 "|"}' >"$IT_TMP/q.want"
cat >"$IT_TMP/q.sql" <<EOF
CREATE SOURCE p WITH (connector = 'dpdk',
  port = 'net_pcap0,rx_pcap=$IT_TMP/words.pcap,rx_pcap=$IT_TMP/q2.pcap', idle_timeout = '1 second');
CREATE SINK o WITH (connector = 'console', output_mode = 'complete', num_rows = 1000)
AS SELECT word, count(*) AS n FROM (SELECT explode(split(value, ' ')) AS word FROM p) GROUP BY word ORDER BY word;
EOF
timeout 60 "$SLUICE" run "$IT_TMP/q.sql" --no-socket --stats --until-drained --ingest-cores 0,1 \
	>"$IT_TMP/q.out" 2>"$IT_TMP/q.err" || { cat "$IT_TMP/q.err" >&2; it_fail "two queues: sluice failed"; }
table q >"$IT_TMP/q.got"
it_same "$IT_TMP/q.want" "$IT_TMP/q.got" "word counts from two RX queues on two ingest cores"
expect_stat q source.p.datagrams 2700
grep -q 'RX queue' "$IT_TMP/q.err" && it_fail "two queues: a core was left idle: $(grep 'RX queue' "$IT_TMP/q.err")"

# --- the counters in progress (sluicectl), a capture replayed without end -----
CTL=${SLUICECTL:-$(dirname "$SLUICE")/sluicectl}
if [[ -x $CTL ]]; then
	cat >"$IT_TMP/live.sql" <<EOF
CREATE SOURCE p WITH (connector = 'dpdk', port = 'net_pcap0,rx_pcap=$IT_TMP/bad.pcap,infinite_rx=1');
CREATE SINK live WITH (connector = 'noop') AS SELECT value FROM p;
EOF
	"$SLUICE" run "$IT_TMP/live.sql" --socket "$IT_TMP/live.sock" >/dev/null 2>"$IT_TMP/live.err" &
	live_pid=$!
	it_track "$live_pid"
	ok=0
	for ((i = 0; i < 100; i++)); do
		if "$CTL" --socket "$IT_TMP/live.sock" progress live --json >"$IT_TMP/live.json" 2>/dev/null &&
			python3 - "$IT_TMP/live.json" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
if not lines:
    sys.exit(1)  # no batch yet
p = json.loads(lines[-1])
c = p["sources"][0]["counters"]
assert c["datagrams"] > 0 and c["dropped_fragment"] > 0 and "nic_imissed" in c, c
EOF
		then
			ok=1
			break
		fi
		sleep 0.1
	done
	kill "$live_pid"
	((ok)) || it_fail "progress shows no dpdk counters: $(cat "$IT_TMP/live.json" "$IT_TMP/live.err")"
fi

# --- bad options -----------------------------------------------------------------
bad() {
	local what=$1 opts=$2 want=$3 cols=${4:-}
	cat >"$IT_TMP/badopt.sql" <<EOF
CREATE SOURCE p $cols WITH (connector = 'dpdk' $opts);
CREATE SINK o WITH (connector = 'console') AS SELECT * FROM p;
EOF
	local rc=0
	timeout 30 "$SLUICE" run "$IT_TMP/badopt.sql" --no-socket >/dev/null 2>"$IT_TMP/badopt.err" || rc=$?
	((rc != 0)) || it_fail "$what: the query ran"
	grep -qF -- "$want" "$IT_TMP/badopt.err" || it_fail "$what: the message lacks '$want': $(cat "$IT_TMP/badopt.err")"
}
bad "no port" "" "needs option 'port'"
bad "udp_port" ", port = 'net_null0', udp_port = 70000" "option 'udp_port' must be a whole number from 1 to 65535"
bad "ip" ", port = 'net_null0', ip = '10.0.0'" "option 'ip' must be an IPv4 address"
bad "unknown option" ", port = 'net_null0', speed = 10" "unknown option 'speed' for connector 'dpdk'"
bad "a csv option with binary" ", port = 'net_null0', format = 'binary', header = true" "unknown option 'header' for connector 'dpdk'" "(a STRING)"
bad "format" ", port = 'net_null0', format = 'xml'" "option 'format' must be 'text', 'csv', 'json' or 'binary'"
bad "no such pcap" ", port = 'net_pcap0,rx_pcap=$IT_TMP/none.pcap'" "the virtual device 'net_pcap0,rx_pcap=$IT_TMP/none.pcap' does not start"
bad "no such NIC" ", port = '0000:99:00.0', eal = '--no-huge --no-pci --no-shconf -m 256 -l 0'" \
	"no DPDK port '0000:99:00.0'"

it_log "ok"
