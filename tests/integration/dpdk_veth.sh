#!/usr/bin/env bash
#
# dpdk_veth — the dpdk source on a real link: a veth pair, one end in a
# network namespace made (and removed) by the test. sluice reads the other
# end through DPDK's net_af_packet and, with ip = '10.99.7.2', answers ARP
# (the namespace's kernel must learn the MAC before it sends) and ping (a
# raw ICMP socket in the namespace); sluice-gen sends the word-count text
# through the kernel's UDP socket from the namespace. The counts equal
# awk's over what sluice-gen sent. Skips (77) without root, iproute2, or
# DPDK in the build.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout python3 ip
GEN=${SLUICE_GEN:-$(dirname "$SLUICE")/tools/sluice-gen}
[[ -x $GEN ]] || it_skip "no sluice-gen binary at '$GEN' (ninja builds tools/sluice-gen)"
((EUID == 0)) || it_skip "a network namespace and a veth pair need root"

table() { it_console_rows "$IT_TMP/$1.out"; }
expect_stat() { it_expect_stat "$IT_TMP/$1.err" "$2" "$3"; }

ns=slt$$
va=sla$$
vb=slb$$
cleanup_ns() {
	ip link del "$va" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}
trap 'cleanup_ns; it_cleanup' EXIT
# root without CAP_NET_ADMIN (a container) cannot make them: skip, saying so
ip netns add "$ns" 2>"$IT_TMP/netns.err" ||
	it_skip "cannot make a network namespace (CAP_NET_ADMIN?): $(cat "$IT_TMP/netns.err")"
ip link add "$va" type veth peer name "$vb" 2>"$IT_TMP/netns.err" ||
	it_skip "cannot make a veth pair (CAP_NET_ADMIN?): $(cat "$IT_TMP/netns.err")"
ip link set "$vb" netns "$ns" &&
	ip netns exec "$ns" ip addr add 10.99.7.1/24 dev "$vb" && ip netns exec "$ns" ip link set "$vb" up &&
	ip link set "$va" up || it_fail "cannot make the veth pair and namespace"
cat >"$IT_TMP/veth.sql" <<EOF
CREATE SOURCE p WITH (connector = 'dpdk', port = 'net_af_packet0,iface=$va', ip = '10.99.7.2',
  idle_timeout = '3 seconds');
CREATE SINK o WITH (connector = 'console', output_mode = 'complete')
AS SELECT word, count(*) AS n FROM (SELECT explode(split(value, ' ')) AS word FROM p) GROUP BY word ORDER BY word;
EOF
timeout 60 "$SLUICE" run "$IT_TMP/veth.sql" --no-socket --stats --until-drained >"$IT_TMP/veth.out" 2>"$IT_TMP/veth.err" &
sl_pid=$!
it_track "$sl_pid"
sleep 1.5
# ping through the namespace (a raw ICMP socket: no ping binary needed)
ip netns exec "$ns" python3 - >"$IT_TMP/ping.out" 2>&1 <<'EOF'
import socket, struct
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16)
    return ~((s & 0xffff) + (s >> 16)) & 0xffff
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
r.settimeout(3)
p = struct.pack("!BBHHH", 8, 0, 0, 7, 1) + b"sluice!!"
p = p[:2] + struct.pack("!H", csum(p)) + p[4:]
r.sendto(p, ("10.99.7.2", 0))
while True:
    d, a = r.recvfrom(256)
    if d[20] == 0:
        print("reply", a[0], d[28:].decode())
        break
EOF
grep -q 'reply 10.99.7.2 sluice!!' "$IT_TMP/ping.out" || it_fail "no ICMP echo reply from the dpdk port: $(cat "$IT_TMP/ping.out")"
ip netns exec "$ns" "$GEN" --udp 10.99.7.2:9994 --count 500 --pps 20000 --records-per-datagram 3 --seed 11 --words 20 \
	--records-out "$IT_TMP/veth.txt" >/dev/null || it_fail "sluice-gen --udp from the namespace failed"
rc=0
wait "$sl_pid" || rc=$?
if ((rc != 0)); then
	grep -q 'built without DPDK' "$IT_TMP/veth.err" && it_skip "sluice was built without DPDK"
	cat "$IT_TMP/veth.err" >&2
	it_fail "the veth query failed"
fi
tr ' ' '\n' <"$IT_TMP/veth.txt" | sort | uniq -c | awk '{print "|" $2 "|" $1 "|"}' >"$IT_TMP/veth.want"
table veth >"$IT_TMP/veth.got"
it_same "$IT_TMP/veth.want" "$IT_TMP/veth.got" "word counts through the veth pair"
expect_stat veth source.p.datagrams 500
(($(it_stat "$IT_TMP/veth.err" source.p.arp_replies) >= 1)) || it_fail "no ARP reply sent"
expect_stat veth source.p.icmp_replies 1
it_log "ok"
