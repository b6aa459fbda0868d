/*
 * packet.c — frames into UDP payloads, and binary records into rows
 * (packet.h). Every read is checked against the bytes there are.
 */
#include "packet.h"

#include <string.h>

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMP_ 1

static const char *const verdict_names[SL_PKT__COUNT] = {
	[SL_PKT_OK] = "datagrams",
	[SL_PKT_TRUNCATED] = "dropped_truncated",
	[SL_PKT_BAD_HEADER] = "dropped_bad_header",
	[SL_PKT_NOT_IP] = "dropped_not_ip",
	[SL_PKT_FRAGMENT] = "dropped_fragment",
	[SL_PKT_NOT_UDP] = "dropped_not_udp",
	[SL_PKT_OTHER_PORT] = "dropped_other_port",
	[SL_PKT_ARP] = "arp",
	[SL_PKT_ICMP_ECHO] = "icmp_echo",
};

const char *sl_pkt_verdict_name(enum sl_pkt_verdict v)
{
	return (unsigned)v < SL_PKT__COUNT ? verdict_names[v] : "unknown";
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static enum sl_pkt_verdict udp(const uint8_t *u, uint32_t avail, uint16_t port, struct sl_pkt *out)
{
	if (avail < 8)
		return SL_PKT_TRUNCATED;
	uint16_t ulen = be16(u + 4);
	if (ulen < 8 || ulen > avail)
		return SL_PKT_BAD_HEADER;
	if (be16(u + 2) != port)
		return SL_PKT_OTHER_PORT;
	out->payload = u + 8;
	out->len = ulen - 8u;
	return SL_PKT_OK;
}

enum sl_pkt_verdict sl_pkt_parse(const uint8_t *frame, uint32_t len, uint16_t port,
				 struct sl_pkt *out)
{
	memset(out, 0, sizeof(*out));
	if (len < ETH_HLEN)
		return SL_PKT_TRUNCATED;
	uint32_t off = 12;
	uint16_t type = be16(frame + off);
	for (int tags = 0; (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) && tags < 2; tags++) {
		if (len < off + 6)
			return SL_PKT_TRUNCATED;
		if (tags == 0)
			out->vlan = be16(frame + off + 2) & 0x0fff;
		off += 4;
		type = be16(frame + off);
	}
	off += 2;
	out->l3 = off;
	const uint8_t *ip = frame + off;
	uint32_t avail = len - off;
	if (type == ETHERTYPE_ARP)
		return SL_PKT_ARP;
	if (type == ETHERTYPE_IPV4) {
		if (avail < 20)
			return SL_PKT_TRUNCATED;
		if ((ip[0] >> 4) != 4)
			return SL_PKT_BAD_HEADER;
		uint32_t ihl = (ip[0] & 0x0fu) * 4u;
		uint16_t total = be16(ip + 2);
		if (ihl < 20 || total < ihl)
			return SL_PKT_BAD_HEADER;
		if (total > avail)
			return ihl > avail ? SL_PKT_TRUNCATED : SL_PKT_BAD_HEADER;
		out->ip_version = 4;
		uint16_t frag = be16(ip + 6);
		if ((frag & 0x2000) || (frag & 0x1fff))
			return SL_PKT_FRAGMENT;
		if (ip[9] == IPPROTO_ICMP_)
			return total - ihl >= 8 && ip[ihl] == 8 && ip[ihl + 1] == 0 ? SL_PKT_ICMP_ECHO
										 : SL_PKT_NOT_UDP;
		if (ip[9] != IPPROTO_UDP_)
			return SL_PKT_NOT_UDP;
		return udp(ip + ihl, total - ihl, port, out);
	}
	if (type == ETHERTYPE_IPV6) {
		if (avail < 40)
			return SL_PKT_TRUNCATED;
		if ((ip[0] >> 4) != 6)
			return SL_PKT_BAD_HEADER;
		uint32_t plen = be16(ip + 4);
		if (plen > avail - 40)
			return SL_PKT_BAD_HEADER;
		out->ip_version = 6;
		if (ip[6] != IPPROTO_UDP_)
			return SL_PKT_NOT_UDP;
		return udp(ip + 40, plen, port, out);
	}
	return SL_PKT_NOT_IP;
}

bool sl_binrec_type_ok(enum sl_type t)
{
	return t == SL_TYPE_BOOLEAN || t == SL_TYPE_INT || t == SL_TYPE_BIGINT ||
	       t == SL_TYPE_DOUBLE || t == SL_TYPE_TIMESTAMP || sl_type_is_bytes(t);
}

static inline uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

size_t sl_binrec_parse(const uint8_t *p, size_t n, struct sl_chunk *out, uint32_t row,
		       const char **why)
{
	uint32_t nb = (out->ncols + 7) / 8;
	*why = NULL;
	if (n < nb) {
		*why = "the record's null bitmap is cut short";
		return 0;
	}
	size_t at = nb;
	for (uint32_t k = 0; k < out->ncols; k++) {
		struct sl_vec *v = &out->cols[k];
		if (p[k / 8] & (1u << (k % 8))) {
			v->nulls[row] = 1;
			if (sl_type_is_bytes(v->type))
				v->v.str[row] = (struct sl_str){"", 0};
			else if (v->type != SL_TYPE_NULL)
				v->v.i64[row] = 0;
			continue;
		}
		v->nulls[row] = 0;
		size_t w;
		switch (v->type) {
		case SL_TYPE_BOOLEAN:
			w = 1;
			break;
		case SL_TYPE_INT:
			w = 4;
			break;
		case SL_TYPE_BIGINT:
		case SL_TYPE_DOUBLE:
		case SL_TYPE_TIMESTAMP:
			w = 8;
			break;
		case SL_TYPE_STRING:
		case SL_TYPE_BINARY:
			w = 2;
			break;
		default:
			*why = "a column type the binary format cannot carry";
			return 0;
		}
		if (n - at < w) {
			*why = "the record is cut short";
			return 0;
		}
		const uint8_t *f = p + at;
		at += w;
		switch (v->type) {
		case SL_TYPE_BOOLEAN:
			if (f[0] > 1) {
				*why = "a BOOLEAN byte that is neither 0 nor 1";
				return 0;
			}
			v->v.b[row] = f[0];
			break;
		case SL_TYPE_INT:
			v->v.i64[row] = (int32_t)(uint32_t)le(f, 4);
			break;
		case SL_TYPE_BIGINT:
		case SL_TYPE_TIMESTAMP:
			v->v.i64[row] = (int64_t)le(f, 8);
			break;
		case SL_TYPE_DOUBLE: {
			uint64_t bits = le(f, 8);
			memcpy(&v->v.f64[row], &bits, sizeof(double));
			break;
		}
		default: { /* STRING, BINARY */
			size_t sl = (size_t)le(f, 2);
			if (n - at < sl) {
				*why = "a STRING longer than the bytes left in the datagram";
				return 0;
			}
			v->v.str[row] = (struct sl_str){(const char *)p + at, (uint32_t)sl};
			at += sl;
			break;
		}
		}
	}
	return at;
}
