#!/usr/bin/env bash
#
# sluice_gen — tools/sluice-gen, the packet generator (docs/sluice-gen.md).
#
# The pcap output is parsed here with Python's struct, frame by frame:
# Ethernet (and 802.1Q), IPv4 (header checksum) or IPv6, UDP (length and
# checksum), and the payloads must be the records of --records-out, joined,
# with --records-per-datagram and --max-payload honoured. Binary records are
# decoded per the table of docs/sluice-gen.md and compared with the CSV of
# --records-out. Also: the same seed gives the same bytes (another seed
# other bytes); the words and retail templates are `sluice gen-text` and
# `sluice gen-sales`; --malformed's frames are classified and counted as
# printed; the payloads through --udp, --tcp-connect and --tcp-listen are
# those of the pcap; sluice's socket source counts what --tcp-listen sends;
# DPDK's net_pcap writes the same frames (skipped without DPDK or EAL);
# bad arguments exit 2 with a message.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require python3 timeout awk cmp
GEN=${SLUICE_GEN:-${SRCDIR:-.}/build/tools/sluice-gen}
[[ -x $GEN ]] || it_skip "no sluice-gen binary at '$GEN' (build it: ninja -C build)"

# --- the checker: check.py pcap PCAP RECORDS_OUT [options] ---------------
cat >"$IT_TMP/check.py" <<'EOF'
import struct, sys, datetime

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s

def frames(path):
    b = open(path, 'rb').read()
    magic, vmaj, vmin, _, _, snap, link = struct.unpack('<IHHiIII', b[:24])
    # DPDK's net_pcap writes the nanosecond variant (0xa1b23c4d); sluice-gen microseconds
    assert magic == 0xa1b2c3d4 or (magic == 0xa1b23c4d and path.endswith('dpdk.pcap')), 'magic %x' % magic
    assert (vmaj, vmin) == (2, 4) and snap == 65535 and link == 1, (vmaj, vmin, snap, link)
    o, out = 24, []
    while o < len(b):
        sec, usec, incl, orig = struct.unpack('<IIII', b[o:o + 16])
        assert incl == orig and o + 16 + incl <= len(b), 'frame header at %d' % o
        out.append((sec * 1000000 + usec, b[o + 16:o + 16 + incl]))
        o += 16 + incl
    return out

def classify(f, port):
    """('good', payload) or (bad kind, None), checking every header."""
    if len(f) < 14:
        return 'trunc-eth', None
    et, l2 = struct.unpack('!H', f[12:14])[0], 14
    vlan = None
    if et == 0x8100:
        vlan = struct.unpack('!H', f[14:16])[0] & 0xfff
        et, l2 = struct.unpack('!H', f[16:18])[0], 18
    assert f[0:6] == bytes.fromhex('020000000002') or et == 0x0806, 'dst mac'
    assert f[6:12] == bytes.fromhex('020000000001'), 'src mac'
    if et == 0x0806:
        return 'arp', None
    if et == 0x0800:
        ip = f[l2:]
        if len(ip) < 20:
            return 'trunc-ip', None
        ihl = (ip[0] & 15) * 4
        if ip[0] >> 4 != 4 or ihl < 20:
            return 'bad-ihl', None
        assert csum(ip[:ihl]) == 0xffff, 'IPv4 header checksum'
        tot = struct.unpack('!H', ip[2:4])[0]
        if tot > len(ip):
            return 'bad-iplen', None
        assert tot == len(ip), 'IPv4 total length %d, %d bytes' % (tot, len(ip))
        flags = struct.unpack('!H', ip[6:8])[0]
        if flags & 0x2000 or flags & 0x1fff:
            return 'fragment', None
        assert flags == 0x4000 and ip[8] == 64 and ip[9] == 17, 'DF, TTL, proto'
        assert ip[12:16] == bytes([10, 0, 0, 1]) and ip[16:20] == bytes([10, 0, 0, 2])
        pseudo = ip[12:20] + struct.pack('!BBH', 0, 17, tot - ihl)
        l4 = ip[ihl:tot]
    elif et == 0x86dd:
        ip = f[l2:]
        plen, nh = struct.unpack('!HB', ip[4:7])
        assert ip[0] >> 4 == 6 and plen == len(ip) - 40, 'IPv6 payload length'
        if nh != 17:
            return 'ipv6-other', None
        assert ip[8:24] == bytes.fromhex('fd000000000000000000000000000001')
        pseudo = ip[8:40] + struct.pack('!IxxxB', plen, 17)
        l4 = ip[40:]
    else:
        raise AssertionError('ethertype %x' % et)
    if len(l4) < 8:
        return 'trunc-udp', None
    sp, dp, ulen, uc = struct.unpack('!HHHH', l4[:8])
    if ulen > len(l4):
        return 'bad-udplen', None
    assert ulen == len(l4), 'UDP length'
    assert uc != 0 and csum(pseudo + l4) == 0xffff, 'UDP checksum'
    if dp != port:
        assert dp == 9, 'dst port %d' % dp
        return 'other-port', None
    return 'good', (vlan, et, sp, l4[8:])

def ts_text(us, digits):
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=us)
    return t.strftime('%Y-%m-%d %H:%M:%S.%f')[:20 + digits]

# Binary records: null bitmap, then each non-null column (docs/sluice-gen.md).
COLS = {'words': 'S', 'retail': 'IIDT', 'ysb': 'SSSSSTS'}

def decode(payload, types, tdigits):
    o, rows = 0, []
    while o < len(payload):
        nb = (len(types) + 7) // 8
        bm = payload[o:o + nb]
        o += nb
        row = []
        for i, t in enumerate(types):
            if bm[i // 8] >> (i % 8) & 1:
                row.append('')
                continue
            if t == 'S':
                n = struct.unpack('<H', payload[o:o + 2])[0]
                row.append(payload[o + 2:o + 2 + n].decode())
                o += 2 + n
            elif t == 'I':
                row.append(str(struct.unpack('<i', payload[o:o + 4])[0]))
                o += 4
            elif t == 'D':
                row.append('%.2f' % struct.unpack('<d', payload[o:o + 8])[0])
                o += 8
            elif t == 'T':
                row.append(ts_text(struct.unpack('<q', payload[o:o + 8])[0], tdigits))
                o += 8
        rows.append(','.join(row) + '\n')
    return rows

def main():
    cmd = sys.argv[1]
    if cmd == 'payloads':  # the good payloads of a pcap, length-prefixed
        out = open(sys.argv[3], 'wb')
        for _, f in frames(sys.argv[2]):
            k, g = classify(f, 9994)
            if k == 'good':
                out.write(struct.pack('<I', len(g[3])) + g[3])
        return
    if cmd == 'frames':  # the raw frames of a pcap, length-prefixed
        out = open(sys.argv[3], 'wb')
        for _, f in frames(sys.argv[2]):
            out.write(struct.pack('<I', len(f)) + f)
        return
    pcap, recs = sys.argv[2], open(sys.argv[3], 'rb').read()
    opts = dict(a.split('=', 1) for a in sys.argv[4:])
    rpd, maxp = int(opts.get('rpd', 1)), int(opts.get('max', 1472))
    tmpl, binary = opts.get('template', 'words'), opts.get('binary') == '1'
    step = int(opts.get('step_us', 1))
    fr = frames(pcap)
    counts, payloads, n = {}, [], 0
    for i, (ts, f) in enumerate(fr):
        k, g = classify(f, 9994)
        counts[k] = counts.get(k, 0) + 1
        if k != 'good':
            continue
        vlan, et, sp, p = g
        assert str(vlan) == opts.get('vlan', 'None'), 'vlan %s' % vlan
        assert et == (0x86dd if opts.get('ipv6') == '1' else 0x0800), 'ethertype'
        assert sp == 40000 + n % 1000, 'src port %d of datagram %d' % (sp, n)
        if step:
            assert ts == 1709283600 * 1000000 + n * step, 'timestamp of datagram %d: %d' % (n, ts)
        assert 0 < len(p) <= maxp, 'payload of %d bytes' % len(p)
        n += 1
        payloads.append(p)
    # the records: every datagram but the last holds rpd records, or as many as fit
    if binary:
        rows = []
        for p in payloads:
            r = decode(p, COLS[tmpl], 6 if tmpl == 'retail' else 3)
            assert 1 <= len(r) <= rpd, '%d records in a datagram' % len(r)
            rows += r
        assert ''.join(rows).encode() == recs, 'decoded binary records differ from --records-out'
    else:
        for j, p in enumerate(payloads):
            assert p.endswith(b'\n'), 'payload %d does not end with a newline' % j
            k = p.count(b'\n')
            assert 1 <= k <= rpd, '%d records in a datagram' % k
            if j + 1 < len(payloads) and k < rpd:
                nxt = payloads[j + 1].split(b'\n', 1)[0] + b'\n'
                assert len(p) + len(nxt) > maxp, 'datagram %d could have held one more record' % j
        assert b''.join(payloads) == recs, 'payloads differ from --records-out'
    for k in sorted(counts):
        print(k, counts[k])

try:
    main()
except AssertionError as e:
    print('check.py:', e, file=sys.stderr)
    sys.exit(1)
EOF
chk() { python3 "$IT_TMP/check.py" "$@"; }

# gen NAME ARGS...: run sluice-gen, stdout to NAME.out; fails on exit != 0.
gen() {
	local name=$1
	shift
	timeout 20 "$GEN" "$@" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err" ||
		{ cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice-gen $* exited $?"; }
	grep -Eq '^sent packets [0-9]+ records [0-9]+ bytes [0-9]+ seconds [0-9.]+ pps [0-9]+ rps [0-9]+ mbps [0-9.]+( frames_bytes [0-9]+)?$' \
		"$IT_TMP/$name.out" || { cat "$IT_TMP/$name.out" >&2; it_fail "$name: no report line"; }
}
field() { awk -v k="$2" '$1 == "sent" { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' "$IT_TMP/$1.out"; }

# pcap_case NAME CHECK_OPTS -- GEN_ARGS: a pcap run, checked frame by frame.
pcap_case() {
	local name=$1 copts=() got
	shift
	while [[ $1 != -- ]]; do copts+=("$1"); shift; done
	shift
	gen "$name" --pcap-out "$IT_TMP/$name.pcap" --records-out "$IT_TMP/$name.rec" "$@"
	got=$(chk check "$IT_TMP/$name.pcap" "$IT_TMP/$name.rec" "${copts[@]}") ||
		it_fail "$name: the pcap is wrong (above)"
	[[ $got == *"good $(field "$name" packets)"* ]] ||
		it_fail "$name: the report says $(field "$name" packets) packets, the pcap has: $got"
	[[ $(field "$name" records) == "$(wc -l <"$IT_TMP/$name.rec")" ]] ||
		it_fail "$name: the report's records are not the lines of --records-out"
	it_log "$name: ok ($(field "$name" packets) frames, $(field "$name" records) records)"
}

# 1. Words, 3 records a datagram; the text is `sluice gen-text`'s.
pcap_case words rpd=3 -- --count 40 --records-per-datagram 3 --seed 5
[[ $(field words records) == 120 ]] || it_fail "words: 40 datagrams of 3 records are not 120 records"
if [[ -x ${SLUICE:-} ]]; then
	"$SLUICE" gen-text --rows 120 --seed 5 >"$IT_TMP/gentext" || it_fail "sluice gen-text failed"
	it_same "$IT_TMP/gentext" "$IT_TMP/words.rec" "words: the records against sluice gen-text"
fi
[[ $(field words bytes) == "$(wc -c <"$IT_TMP/words.rec")" ]] || it_fail "words: bytes is not the payload bytes"

# 2. Determinism: the same seed the same bytes; another seed other bytes.
gen again --pcap-out "$IT_TMP/again.pcap" --count 40 --records-per-datagram 3 --seed 5
cmp -s "$IT_TMP/words.pcap" "$IT_TMP/again.pcap" || it_fail "seed 5 twice: the pcaps differ"
gen other --pcap-out "$IT_TMP/other.pcap" --count 40 --records-per-datagram 3 --seed 6
cmp -s "$IT_TMP/words.pcap" "$IT_TMP/other.pcap" && it_fail "seeds 5 and 6 gave the same pcap"
it_log "determinism: ok"

# 3. Retail CSV, counted in records, paced timestamps (--pps 1000: 1 ms apart);
# the rows are `sluice gen-sales`'s.
pcap_case retail rpd=4 step_us=1000 -- --template retail --records 101 --records-per-datagram 4 --pps 1000 --seed 3
[[ $(field retail packets) == 26 ]] || it_fail "retail: 101 records by 4 are not 26 datagrams"
if [[ -x ${SLUICE:-} ]]; then
	"$SLUICE" gen-sales --rows 101 --seed 3 >"$IT_TMP/gensales" || it_fail "sluice gen-sales failed"
	it_same "$IT_TMP/gensales" "$IT_TMP/retail.rec" "retail: the records against sluice gen-sales"
fi

# 4. YSB JSON over IPv6 with a VLAN tag: 8 asked, 5 fit in 1452 bytes.
pcap_case ysb_v6 rpd=8 max=1452 ipv6=1 vlan=42 template=ysb -- --template ysb --count 30 --records-per-datagram 8 --ipv6 --vlan 42
grep -q '"event_time":"2024-03-01 09:00:00.[0-9]*","ip_address":"' "$IT_TMP/ysb_v6.rec" ||
	it_fail "ysb: no event_time / ip_address fields"
# a small --max-payload: fewer records, never a split one
pcap_case words_cap rpd=50 max=300 -- --count 20 --records-per-datagram 50 --max-payload 300

# 5. Binary records of each template, decoded against --records-out's CSV.
pcap_case bin_words rpd=4 binary=1 template=words -- --format binary --count 20 --records-per-datagram 4
pcap_case bin_retail rpd=10 binary=1 template=retail -- --template retail --format binary --count 20 --records-per-datagram 10
pcap_case bin_ysb rpd=6 binary=1 template=ysb -- --template ysb --format binary --records 50 --records-per-datagram 6
# the same records as the CSV template's
gen csv_retail --pcap-out "$IT_TMP/csv_retail.pcap" --records-out "$IT_TMP/csv_retail.rec" --template retail --count 200
it_same "$IT_TMP/csv_retail.rec" "$IT_TMP/bin_retail.rec" "binary retail: --records-out against the CSV template's"

# 6. --malformed: every kind after every 5th good frame, counted as printed.
kinds=trunc-eth,trunc-ip,bad-ihl,bad-iplen,trunc-udp,bad-udplen,other-port,fragment,arp,ipv6-other
gen bad --pcap-out "$IT_TMP/bad.pcap" --records-out "$IT_TMP/bad.rec" --count 23 --records-per-datagram 2 \
	--malformed "$kinds" --malformed-every 5
got=$(chk check "$IT_TMP/bad.pcap" "$IT_TMP/bad.rec" rpd=2 step_us=0) || it_fail "malformed: the pcap is wrong"
want=$( (echo good 23; grep '^malformed ' "$IT_TMP/bad.out" | awk '{ print $2, $3 }') | sort)
[[ $got == "$want" ]] || it_fail "malformed: the pcap has
$got
the report says
$want"
[[ $(grep -c '^malformed [a-z0-9-]* 4$' "$IT_TMP/bad.out") == 10 ]] || it_fail "malformed: not 4 of each of 10 kinds"
it_log "malformed: ok (4 of each of 10 kinds among 23 good frames)"

# The payloads a pcap carries, to compare with the socket outputs.
chk payloads "$IT_TMP/bin_ysb.pcap" "$IT_TMP/bin_ysb.want" || it_fail "payloads"

# 7. --udp to a Python receiver: the datagrams are the pcap's.
cat >"$IT_TMP/udp_rx.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(('127.0.0.1', 0))
open(sys.argv[1] + '.port', 'w').write('%d\n' % s.getsockname()[1])
s.settimeout(10)
with open(sys.argv[1], 'wb') as out:
    for _ in range(int(sys.argv[2])):
        d = s.recv(65536)
        out.write(struct.pack('<I', len(d)) + d)
EOF
python3 "$IT_TMP/udp_rx.py" "$IT_TMP/udp.got" 9 &
rxpid=$!
it_track "$rxpid"
for ((i = 0; i < 200; i++)); do [[ -s $IT_TMP/udp.got.port ]] && break; sleep 0.05; done
gen udp --udp "127.0.0.1:$(cat "$IT_TMP/udp.got.port")" --template ysb --format binary --records 50 \
	--records-per-datagram 6 --pps 2000
wait "$rxpid" || it_fail "udp: the receiver did not get 9 datagrams"
cmp -s "$IT_TMP/bin_ysb.want" "$IT_TMP/udp.got" || it_fail "udp: the datagrams differ from the pcap's payloads"
it_log "udp: ok"

# 8. TCP: connect to a Python server, and listen for a Python client.
cat >"$IT_TMP/tcp.py" <<'EOF'
import socket, sys, time
mode, path = sys.argv[1], sys.argv[2]
if mode == 'server':
    ls = socket.socket()
    ls.bind(('127.0.0.1', 0))
    ls.listen(1)
    open(path + '.port', 'w').write('%d\n' % ls.getsockname()[1])
    ls.settimeout(10)
    c, _ = ls.accept()
else:
    c = socket.create_connection(('127.0.0.1', int(sys.argv[3])), timeout=10)
c.settimeout(10)
with open(path, 'wb') as out:
    while True:
        d = c.recv(65536)
        if not d:
            break
        out.write(d)
EOF
python3 "$IT_TMP/tcp.py" server "$IT_TMP/tcpc.got" &
srvpid=$!
it_track "$srvpid"
for ((i = 0; i < 200; i++)); do [[ -s $IT_TMP/tcpc.got.port ]] && break; sleep 0.05; done
gen tcpc --tcp-connect "127.0.0.1:$(cat "$IT_TMP/tcpc.got.port")" --template ysb --count 30 --records-per-datagram 8 \
	--records-out "$IT_TMP/tcpc.rec"
wait "$srvpid" || it_fail "tcp-connect: the server failed"
it_same "$IT_TMP/tcpc.rec" "$IT_TMP/tcpc.got" "tcp-connect: the stream against --records-out"
head -c "$(wc -c <"$IT_TMP/tcpc.rec")" "$IT_TMP/ysb_v6.rec" | cmp -s - "$IT_TMP/tcpc.rec" ||
	it_fail "tcp-connect: the records are not the pcap's (same seed)"

timeout 20 "$GEN" --tcp-listen 127.0.0.1:0 --records 5000 --words 300 --seed 11 --records-per-datagram 20 \
	--records-out "$IT_TMP/tcpl.rec" >"$IT_TMP/tcpl.out" 2>"$IT_TMP/tcpl.err" &
genpid=$!
it_track "$genpid"
port=
for ((i = 0; i < 200; i++)); do
	port=$(sed -n 's/^sluice-gen: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$IT_TMP/tcpl.err" 2>/dev/null)
	[[ -n $port ]] && break
	sleep 0.05
done
[[ -n $port ]] || { cat "$IT_TMP/tcpl.err" >&2; it_fail "tcp-listen: no 'listening on' line"; }
python3 "$IT_TMP/tcp.py" client "$IT_TMP/tcpl.got" "$port" || it_fail "tcp-listen: the client failed"
wait "$genpid" || it_fail "tcp-listen: sluice-gen failed"
it_same "$IT_TMP/tcpl.rec" "$IT_TMP/tcpl.got" "tcp-listen: the stream against --records-out"
it_log "tcp: ok"

# 9. sluice's socket source counts the words that --tcp-listen sends, as awk
# counts --records-out.
if [[ -x ${SLUICE:-} ]]; then
	timeout 30 "$GEN" --tcp-listen 127.0.0.1:0 --records 20000 --words 500 --seed 12 --records-per-datagram 16 \
		--records-out "$IT_TMP/e2e.rec" >"$IT_TMP/e2e.gen" 2>"$IT_TMP/e2e.generr" &
	genpid=$!
	it_track "$genpid"
	port=
	for ((i = 0; i < 200; i++)); do
		port=$(sed -n 's/^sluice-gen: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$IT_TMP/e2e.generr" 2>/dev/null)
		[[ -n $port ]] && break
		sleep 0.05
	done
	[[ -n $port ]] || it_fail "e2e: sluice-gen did not listen"
	it_wordcount_sql "host = '127.0.0.1', port = $port" \
		"trigger = 'available_now', num_rows = 100000" >"$IT_TMP/e2e.sql"
	timeout 30 "$SLUICE" run "$IT_TMP/e2e.sql" --stats >"$IT_TMP/e2e.out" 2>"$IT_TMP/e2e.err" ||
		{ cat "$IT_TMP/e2e.err" >&2; it_fail "e2e: sluice failed"; }
	wait "$genpid" || it_fail "e2e: sluice-gen failed"
	it_expected_counts "$IT_TMP/e2e.rec" >"$IT_TMP/e2e.want"
	it_last_table "$IT_TMP/e2e.out" >"$IT_TMP/e2e.got"
	it_same "$IT_TMP/e2e.want" "$IT_TMP/e2e.got" "e2e: sluice's word counts of sluice-gen's stream"
	it_log "e2e: sluice counted the 20000 lines sluice-gen sent: ok"
fi

# 10. --progress: a report line a second on stderr.
gen progress --udp 127.0.0.1:9 --duration 2.3 --pps 500 --progress
n=$(grep -Ec '^sent packets [0-9]+ records [0-9]+ bytes [0-9]+ seconds [0-9.]+ pps [0-9]+ rps [0-9]+ mbps [0-9.]+$' "$IT_TMP/progress.err")
((n == 2)) || { cat "$IT_TMP/progress.err" >&2; it_fail "progress: $n report lines in 2.3 s, not 2"; }
p=$(field progress packets)
((p >= 1100 && p <= 1150)) || it_fail "progress: $p datagrams in 2.3 s at 500 a second"
it_log "progress and pacing: ok ($p datagrams in 2.3 s at --pps 500)"

# 11. DPDK: net_pcap's tx_pcap gets the frames of --pcap-out.
eal="--no-huge --no-pci -l 0 --no-shconf --file-prefix sluice-gen-it-$$ --log-level=lib.eal:error"
eal+=" --vdev net_pcap0,tx_pcap=$IT_TMP/dpdk.pcap"
if timeout 30 "$GEN" --dpdk 0 --eal "$eal" --count 200 --records-per-datagram 3 --malformed arp,fragment \
	>"$IT_TMP/dpdk.out" 2>"$IT_TMP/dpdk.err"; then
	gen dpdk_ref --pcap-out "$IT_TMP/dpdk_ref.pcap" --count 200 --records-per-datagram 3 --malformed arp,fragment
	chk frames "$IT_TMP/dpdk.pcap" "$IT_TMP/dpdk.got" || it_fail "dpdk: reading net_pcap's pcap"
	chk frames "$IT_TMP/dpdk_ref.pcap" "$IT_TMP/dpdk.want" || it_fail "dpdk: reading the --pcap-out pcap"
	cmp -s "$IT_TMP/dpdk.want" "$IT_TMP/dpdk.got" || it_fail "dpdk: net_pcap's frames differ from --pcap-out's"
	grep -q '^sent packets 200 records 600 .* frames_bytes [0-9]*$' "$IT_TMP/dpdk.out" || it_fail "dpdk: report"
	it_log "dpdk: ok (240 frames through net_pcap)"
elif grep -q 'built without DPDK' "$IT_TMP/dpdk.err"; then
	it_log "dpdk: SKIPPED, sluice-gen was built without DPDK"
elif [[ $(id -u) != 0 ]] && grep -q 'rte_eal_init failed' "$IT_TMP/dpdk.err"; then
	it_log "dpdk: SKIPPED, EAL did not start as a non-root user: $(tail -n 1 "$IT_TMP/dpdk.err")"
else
	cat "$IT_TMP/dpdk.err" >&2
	it_fail "dpdk: sluice-gen --dpdk failed"
fi

# 12. Bad arguments: exit 2 and say what to do.
bad_case() {
	local want=$1 rc
	shift
	timeout 10 "$GEN" "$@" >"$IT_TMP/badarg.out" 2>"$IT_TMP/badarg.err"
	rc=$?
	((rc == 2)) || it_fail "sluice-gen $*: exit $rc, not 2"
	grep -qF -- "$want" "$IT_TMP/badarg.err" ||
		it_fail "sluice-gen $*: the message '$(cat "$IT_TMP/badarg.err")' does not say '$want'"
}
P=$IT_TMP/x.pcap
bad_case 'no output' --count 1
bad_case 'exactly one of --count N' --pcap-out "$P"
bad_case 'choose one output' --pcap-out "$P" --udp 127.0.0.1:1 --count 1
bad_case 'instead of --duration' --pcap-out "$P" --duration 1
bad_case 'more than one amount' --pcap-out "$P" --count 1 --records 1
bad_case 'give one rate' --udp 127.0.0.1:1 --count 1 --pps 1 --rps 1
bad_case 'template words is text or binary' --pcap-out "$P" --count 1 --format json
bad_case 'binary records have no line ends' --tcp-connect 127.0.0.1:1 --count 1 --format binary
bad_case "--vlan '5000'" --pcap-out "$P" --count 1 --vlan 5000
bad_case "unknown kind 'bogus'" --pcap-out "$P" --count 1 --malformed arp,bogus
bad_case 'goes with --pcap-out or --dpdk' --udp 127.0.0.1:1 --count 1 --malformed arp
bad_case 'is an IPv6 address: add --ipv6' --pcap-out "$P" --count 1 --src-ip fd00::9
bad_case "unknown option '--bogus'" --pcap-out "$P" --count 1 --bogus 1
bad_case 'give HOST:PORT' --udp localhost --count 1
bad_case "--count '-3'" --pcap-out "$P" --count -3
bad_case 'goes with --template retail' --pcap-out "$P" --count 1 --stores 3
bad_case 'more than --max-payload 20' --pcap-out "$P" --count 1 --max-payload 20
it_log "bad arguments: ok"

# 13. tshark, where installed, reads the pcap as UDP.
if command -v tshark >/dev/null 2>&1; then
	n=$(tshark -r "$IT_TMP/ysb_v6.pcap" -Y 'udp.port == 9994 && vlan.id == 42' 2>/dev/null | wc -l)
	[[ $n == "$(field ysb_v6 packets)" ]] || it_fail "tshark: $n UDP frames, not $(field ysb_v6 packets)"
	it_log "tshark: ok"
fi
exit 0
