/*
 * sluice_gen_frames.c — sluice-gen's frames: Ethernet II (optionally with
 * an 802.1Q tag), IPv4 or IPv6, UDP around a payload of records; the bad
 * frames of --malformed; and the classic libpcap file they are written to.
 *
 * Good frame (all fields big-endian, docs/sluice-gen.md):
 *   dst MAC 6 | src MAC 6 | [0x8100 | TCI 2] | ethertype 2 (0x0800 / 0x86DD)
 *   IPv4: 0x45 | TOS 0 | total length | ID = datagram index | DF, offset 0 |
 *         TTL 64 | proto 17 | header checksum | src | dst
 *   IPv6: 0x60000000 | payload length | next header 17 | hop limit 64 |
 *         src | dst
 *   UDP:  src port | dst port | length | checksum (always computed; 0xFFFF
 *         where the sum is 0)
 * Frames are not padded to Ethernet's 60-byte minimum: a NIC pads on the
 * wire, and a receiver must go by the IP lengths, not the frame length.
 */
#include "sluice_gen.h"

#include <errno.h>
#include <string.h>

const char *const sg_bad_names[SG_BAD_KINDS] = {
	"trunc-eth", "trunc-ip", "bad-ihl",  "bad-iplen", "trunc-udp",
	"bad-udplen", "other-port", "fragment", "arp",      "ipv6-other",
};

static inline void put16(uint8_t *o, uint16_t v)
{
	o[0] = (uint8_t)(v >> 8);
	o[1] = (uint8_t)v;
}

/* The Internet checksum's one's-complement sum (RFC 1071), not folded. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len >= 2; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Ethernet header (+ tag) with the ethertype; returns its length. */
static size_t put_eth(const struct sg_net *n, const uint8_t dst[6], uint16_t type, uint8_t *o)
{
	memcpy(o, dst, 6);
	memcpy(o + 6, n->src_mac, 6);
	size_t off = 12;
	if (n->vlan >= 0) {
		put16(o + off, 0x8100);
		put16(o + off + 2, (uint16_t)n->vlan);
		off += 4;
	}
	put16(o + off, type);
	return off + 2;
}

/* IPv4 header for `l4_len` bytes of protocol `proto`; flags_frag is the
 * 16-bit flags + fragment offset field. */
static void put_ip4(const struct sg_net *n, uint64_t index, uint8_t proto, size_t l4_len,
		    uint16_t flags_frag, uint8_t *o)
{
	o[0] = 0x45;
	o[1] = 0;
	put16(o + 2, (uint16_t)(20 + l4_len));
	put16(o + 4, (uint16_t)index);
	put16(o + 6, flags_frag);
	o[8] = 64;
	o[9] = proto;
	put16(o + 10, 0);
	memcpy(o + 12, n->src_ip4, 4);
	memcpy(o + 16, n->dst_ip4, 4);
	put16(o + 10, fold(sum16(o, 20, 0)));
}

static void put_ip6(const struct sg_net *n, uint8_t next, size_t l4_len, uint8_t *o)
{
	o[0] = 0x60;
	o[1] = o[2] = o[3] = 0;
	put16(o + 4, (uint16_t)l4_len);
	o[6] = next;
	o[7] = 64;
	memcpy(o + 8, n->src_ip6, 16);
	memcpy(o + 24, n->dst_ip6, 16);
}

/* UDP header + payload at o (the payload already there, at o + 8), with
 * the checksum over the pseudo-header of the IP version. */
static void put_udp(const struct sg_net *n, bool ipv6, uint16_t sport, uint16_t dport, size_t len,
		    uint8_t *o)
{
	size_t ulen = 8 + len;
	put16(o, sport);
	put16(o + 2, dport);
	put16(o + 4, (uint16_t)ulen);
	put16(o + 6, 0);
	uint32_t sum;
	if (ipv6) {
		sum = sum16(n->src_ip6, 16, 0);
		sum = sum16(n->dst_ip6, 16, sum);
		sum += (uint32_t)(ulen >> 16) + (uint32_t)(ulen & 0xFFFF) + 17;
	} else {
		sum = sum16(n->src_ip4, 4, 0);
		sum = sum16(n->dst_ip4, 4, sum);
		sum += 17 + (uint32_t)ulen;
	}
	uint16_t c = fold(sum16(o, ulen, sum));
	put16(o + 6, c == 0 ? 0xFFFF : c);
}

static uint16_t src_port(const struct sg_net *n, uint64_t index)
{
	return n->src_port >= 0 ? (uint16_t)n->src_port : (uint16_t)(40000 + index % 1000);
}

/* A whole UDP frame of the given IP version to dport; flags_frag for IPv4. */
static size_t udp_frame(const struct sg_net *n, bool ipv6, uint64_t index, uint16_t dport,
			uint16_t flags_frag, const uint8_t *payload, size_t len, uint8_t *frame)
{
	size_t l2 = put_eth(n, n->dst_mac, ipv6 ? 0x86DD : 0x0800, frame);
	size_t l3 = ipv6 ? 40 : 20;
	uint8_t *udp = frame + l2 + l3;
	memmove(udp + 8, payload, len);
	put_udp(n, ipv6, src_port(n, index), dport, len, udp);
	if (ipv6)
		put_ip6(n, 17, 8 + len, frame + l2);
	else
		put_ip4(n, index, 17, 8 + len, flags_frag, frame + l2);
	return l2 + l3 + 8 + len;
}

size_t sg_frame_build(const struct sg_net *n, uint64_t index, const uint8_t *payload, size_t len,
		      uint8_t *frame)
{
	return udp_frame(n, n->ipv6, index, n->dst_port, 0x4000 /* DF */, payload, len, frame);
}

size_t sg_frame_bad(const struct sg_net *n, enum sg_bad kind, uint64_t index,
		    const uint8_t *payload, size_t len, uint8_t *frame)
{
	size_t l2, flen;
	switch (kind) {
	case SG_BAD_TRUNC_ETH: /* the two MACs and nothing else */
		memcpy(frame, n->dst_mac, 6);
		memcpy(frame + 6, n->src_mac, 6);
		return 12;
	case SG_BAD_TRUNC_IP: /* half an IPv4 header */
		udp_frame(n, false, index, n->dst_port, 0x4000, payload, len, frame);
		return put_eth(n, n->dst_mac, 0x0800, frame) + 10;
	case SG_BAD_IHL: /* IHL 4, checksum made over those 16 bytes */
		flen = udp_frame(n, false, index, n->dst_port, 0x4000, payload, len, frame);
		l2 = put_eth(n, n->dst_mac, 0x0800, frame);
		frame[l2] = 0x44;
		put16(frame + l2 + 10, 0);
		put16(frame + l2 + 10, fold(sum16(frame + l2, 16, 0)));
		return flen;
	case SG_BAD_IPLEN: /* total length 100 bytes past the frame */
		flen = udp_frame(n, false, index, n->dst_port, 0x4000, payload, len, frame);
		l2 = put_eth(n, n->dst_mac, 0x0800, frame);
		put16(frame + l2 + 2, (uint16_t)(20 + 8 + len + 100));
		put16(frame + l2 + 10, 0);
		put16(frame + l2 + 10, fold(sum16(frame + l2, 20, 0)));
		return flen;
	case SG_BAD_TRUNC_UDP: { /* a valid IP header around 4 bytes of UDP header */
		l2 = put_eth(n, n->dst_mac, n->ipv6 ? 0x86DD : 0x0800, frame);
		size_t l3 = n->ipv6 ? 40 : 20;
		uint8_t *udp = frame + l2 + l3;
		put16(udp, src_port(n, index));
		put16(udp + 2, n->dst_port);
		if (n->ipv6)
			put_ip6(n, 17, 4, frame + l2);
		else
			put_ip4(n, index, 17, 4, 0x4000, frame + l2);
		return l2 + l3 + 4;
	}
	case SG_BAD_UDPLEN: { /* UDP length 50 bytes past the IP payload */
		flen = udp_frame(n, n->ipv6, index, n->dst_port, 0x4000, payload, len, frame);
		l2 = put_eth(n, n->dst_mac, n->ipv6 ? 0x86DD : 0x0800, frame);
		put16(frame + l2 + (n->ipv6 ? 40 : 20) + 4, (uint16_t)(8 + len + 50));
		return flen;
	}
	case SG_BAD_OTHER_PORT: /* the last good payload, to the discard port */
		return udp_frame(n, n->ipv6, index, 9, 0x4000, payload, len, frame);
	case SG_BAD_FRAGMENT: /* first fragment: MF set, offset 0 */
		return udp_frame(n, false, index, n->dst_port, 0x2000, payload, len, frame);
	case SG_BAD_ARP: { /* who-has dst-ip, tell src-ip */
		static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
		l2 = put_eth(n, bcast, 0x0806, frame);
		uint8_t *a = frame + l2;
		put16(a, 1);
		put16(a + 2, 0x0800);
		a[4] = 6;
		a[5] = 4;
		put16(a + 6, 1);
		memcpy(a + 8, n->src_mac, 6);
		memcpy(a + 14, n->src_ip4, 4);
		memset(a + 18, 0, 6);
		memcpy(a + 24, n->dst_ip4, 4);
		return l2 + 28;
	}
	case SG_BAD_IPV6_OTHER: { /* IPv6 carrying a TCP SYN to the UDP port */
		l2 = put_eth(n, n->dst_mac, 0x86DD, frame);
		put_ip6(n, 6, 20, frame + l2);
		uint8_t *t = frame + l2 + 40;
		memset(t, 0, 20);
		put16(t, src_port(n, index));
		put16(t + 2, n->dst_port);
		t[12] = 5 << 4; /* data offset: 5 words */
		t[13] = 0x02;   /* SYN */
		put16(t + 14, 65535);
		uint32_t sum = sum16(n->src_ip6, 16, 0);
		sum = sum16(n->dst_ip6, 16, sum);
		sum += 20 + 6;
		put16(t + 16, fold(sum16(t, 20, sum)));
		return l2 + 40 + 20;
	}
	case SG_BAD_KINDS:
		break;
	}
	return 0;
}

/* --- pcap (classic libpcap format, host byte order as libpcap writes) ---
 *   file: magic 0xa1b2c3d4 u32 | 2 u16 | 4 u16 | thiszone 0 i32 | sigfigs 0 u32 |
 *         snaplen 65535 u32 | linktype 1 (Ethernet) u32
 *   each frame: ts_sec u32 | ts_usec u32 | incl_len u32 | orig_len u32 | bytes
 * All little-endian here: the tool writes the same bytes on every host. */

static void le32(uint8_t *o, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		o[i] = (uint8_t)(v >> (8 * i));
}

int sg_pcap_header(FILE *f)
{
	uint8_t h[24];
	le32(h, 0xa1b2c3d4);
	h[4] = 2, h[5] = 0, h[6] = 4, h[7] = 0;
	le32(h + 8, 0);
	le32(h + 12, 0);
	le32(h + 16, 65535);
	le32(h + 20, 1);
	return fwrite(h, 1, sizeof(h), f) == sizeof(h) ? 0 : -errno;
}

int sg_pcap_frame(FILE *f, uint64_t ts_ns, const uint8_t *frame, size_t len)
{
	uint8_t h[16];
	le32(h, (uint32_t)(ts_ns / 1000000000));
	le32(h + 4, (uint32_t)(ts_ns % 1000000000 / 1000));
	le32(h + 8, (uint32_t)len);
	le32(h + 12, (uint32_t)len);
	if (fwrite(h, 1, sizeof(h), f) != sizeof(h) || fwrite(frame, 1, len, f) != len)
		return -errno;
	return 0;
}
