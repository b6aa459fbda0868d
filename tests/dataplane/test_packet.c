/*
 * test_packet.c — frames into UDP payloads (packet.h: Ethernet, VLAN,
 * IPv4, IPv6, UDP, and every way a frame is refused, each with its
 * verdict) and the binary record layout of the dpdk source.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

/* A frame: Ethernet (vlan > 0: tagged), IPv4 or IPv6, UDP to dport. */
static uint32_t frame(uint8_t *f, int ipver, uint16_t vlan, uint8_t proto, uint16_t dport,
		      const char *payload)
{
	uint32_t n = 0, plen = (uint32_t)strlen(payload);
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	memcpy(f, macs, 12);
	n = 12;
	if (vlan) {
		f[n++] = 0x81;
		f[n++] = 0x00;
		f[n++] = (uint8_t)(vlan >> 8);
		f[n++] = (uint8_t)vlan;
	}
	f[n++] = ipver == 4 ? 0x08 : 0x86;
	f[n++] = ipver == 4 ? 0x00 : 0xdd;
	uint32_t ulen = 8 + plen;
	if (ipver == 4) {
		uint8_t ip[20] = {0x45, 0, (uint8_t)((20 + ulen) >> 8), (uint8_t)(20 + ulen), 0, 1,
				  0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
		memcpy(f + n, ip, 20);
		n += 20;
	} else {
		uint8_t ip[40] = {0x60, 0, 0, 0, (uint8_t)(ulen >> 8), (uint8_t)ulen, proto, 64};
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
		memcpy(f + n, ip, 40);
		n += 40;
	}
	uint8_t udp[8] = {0x9c, 0x40, (uint8_t)(dport >> 8), (uint8_t)dport,
			  (uint8_t)(ulen >> 8), (uint8_t)ulen, 0, 0};
	memcpy(f + n, udp, 8);
	n += 8;
	memcpy(f + n, payload, plen);
	return n + plen;
}

Test(packet, ipv4_ipv6_vlan_payloads)
{
	uint8_t f[256];
	struct sl_pkt pk;
	uint32_t n = frame(f, 4, 0, 17, 9994, "a b\nc\n");
	cr_assert_eq(sl_pkt_parse(f, n, 9994, &pk), SL_PKT_OK);
	cr_expect_eq(pk.len, 6);
	cr_expect(memcmp(pk.payload, "a b\nc\n", 6) == 0);
	cr_expect_eq(pk.ip_version, 4);
	/* Ethernet padding after the IP packet is not payload */
	n = frame(f, 4, 0, 17, 9994, "x");
	memset(f + n, 0, 20);
	cr_assert_eq(sl_pkt_parse(f, n + 20, 9994, &pk), SL_PKT_OK);
	cr_expect_eq(pk.len, 1);
	n = frame(f, 6, 0, 17, 9994, "six");
	cr_assert_eq(sl_pkt_parse(f, n, 9994, &pk), SL_PKT_OK);
	cr_expect_eq(pk.ip_version, 6);
	cr_expect_eq(pk.len, 3);
	n = frame(f, 4, 42, 17, 9994, "tag");
	cr_assert_eq(sl_pkt_parse(f, n, 9994, &pk), SL_PKT_OK);
	cr_expect_eq(pk.vlan, 42);
	cr_expect(memcmp(pk.payload, "tag", 3) == 0);
}

Test(packet, refusals_have_their_verdicts)
{
	uint8_t f[256];
	struct sl_pkt pk;
	uint32_t n = frame(f, 4, 0, 17, 9994, "abcdef");
	cr_expect_eq(sl_pkt_parse(f, 12, 9994, &pk), SL_PKT_TRUNCATED);
	cr_expect_eq(sl_pkt_parse(f, 14 + 10, 9994, &pk), SL_PKT_TRUNCATED);
	/* the IP packet says more bytes than the frame has */
	cr_expect_eq(sl_pkt_parse(f, n - 3, 9994, &pk), SL_PKT_BAD_HEADER);
	cr_expect_eq(sl_pkt_parse(f, n, 53, &pk), SL_PKT_OTHER_PORT);
	uint8_t g[256];
	memcpy(g, f, n);
	g[14] = 0x44; /* IHL 4 */
	cr_expect_eq(sl_pkt_parse(g, n, 9994, &pk), SL_PKT_BAD_HEADER);
	memcpy(g, f, n);
	g[14] = 0x55; /* version 5 */
	cr_expect_eq(sl_pkt_parse(g, n, 9994, &pk), SL_PKT_BAD_HEADER);
	memcpy(g, f, n);
	g[14 + 6] = 0x20; /* more fragments */
	cr_expect_eq(sl_pkt_parse(g, n, 9994, &pk), SL_PKT_FRAGMENT);
	memcpy(g, f, n);
	g[14 + 6] = 0x00;
	g[14 + 7] = 0x10; /* an offset */
	cr_expect_eq(sl_pkt_parse(g, n, 9994, &pk), SL_PKT_FRAGMENT);
	memcpy(g, f, n);
	g[14 + 20 + 4] = 0x00;
	g[14 + 20 + 5] = 0x40; /* UDP length 64 > what the IP packet holds */
	cr_expect_eq(sl_pkt_parse(g, n, 9994, &pk), SL_PKT_BAD_HEADER);
	memcpy(g, f, n);
	g[14 + 20 + 5] = 0x04; /* UDP length below its header */
	cr_expect_eq(sl_pkt_parse(g, n, 9994, &pk), SL_PKT_BAD_HEADER);
	/* an IP packet of 24 bytes: 4 of UDP */
	memcpy(g, f, n);
	g[14 + 2] = 0;
	g[14 + 3] = 24;
	cr_expect_eq(sl_pkt_parse(g, 14 + 24, 9994, &pk), SL_PKT_TRUNCATED);
	n = frame(f, 4, 0, 6, 9994, "tcp");
	cr_expect_eq(sl_pkt_parse(f, n, 9994, &pk), SL_PKT_NOT_UDP);
	n = frame(f, 6, 0, 6, 9994, "tcp");
	cr_expect_eq(sl_pkt_parse(f, n, 9994, &pk), SL_PKT_NOT_UDP);
	n = frame(f, 4, 0, 17, 9994, "x");
	f[12] = 0x88;
	f[13] = 0xcc; /* LLDP */
	cr_expect_eq(sl_pkt_parse(f, n, 9994, &pk), SL_PKT_NOT_IP);
	f[12] = 0x08;
	f[13] = 0x06;
	cr_expect_eq(sl_pkt_parse(f, n, 9994, &pk), SL_PKT_ARP);
	/* an ICMP echo request */
	n = frame(f, 4, 0, 1, 9994, "");
	f[14 + 20] = 8;
	f[14 + 20 + 1] = 0;
	cr_expect_eq(sl_pkt_parse(f, n, 9994, &pk), SL_PKT_ICMP_ECHO);
	cr_expect_str_eq(sl_pkt_verdict_name(SL_PKT_FRAGMENT), "dropped_fragment");
}

Test(packet, every_cut_of_a_frame_is_refused_not_read_past)
{
	uint8_t f[256];
	struct sl_pkt pk;
	uint32_t n = frame(f, 6, 7, 17, 9994, "payload bytes");
	for (uint32_t cut = 0; cut < n; cut++) {
		/* on the heap, exactly cut bytes: ASan sees any read past it */
		uint8_t *c = malloc(cut ? cut : 1);
		memcpy(c, f, cut);
		enum sl_pkt_verdict v = sl_pkt_parse(c, cut, 9994, &pk);
		cr_expect(v == SL_PKT_TRUNCATED || v == SL_PKT_BAD_HEADER, "cut %u: verdict %d", cut,
			  v);
		free(c);
	}
}

Test(packet, binary_records)
{
	struct sl_chunk c;
	/* two records: (-2, "hi", 1.5, true), (NULL, "", NULL, false) */
	uint8_t buf[64];
	size_t n = 0;
	double d = 1.5;
	uint64_t bits;
	memcpy(&bits, &d, 8);
	buf[n++] = 0;
	buf[n++] = 0xfe, buf[n++] = 0xff, buf[n++] = 0xff, buf[n++] = 0xff;
	buf[n++] = 2, buf[n++] = 0, buf[n++] = 'h', buf[n++] = 'i';
	for (int i = 0; i < 8; i++)
		buf[n++] = (uint8_t)(bits >> (8 * i));
	buf[n++] = 1;
	size_t first = n;
	buf[n++] = 0x05; /* a and c are NULL */
	buf[n++] = 0, buf[n++] = 0;
	buf[n++] = 0;
	/* room for two rows, null maps present */
	uint8_t nulls[4][2];
	int64_t ints[2];
	struct sl_str strs[2];
	double dbls[2];
	uint8_t bools[2];
	struct sl_vec v[4] = {{.type = SL_TYPE_INT, .nulls = nulls[0], .v.i64 = ints},
			      {.type = SL_TYPE_STRING, .nulls = nulls[1], .v.str = strs},
			      {.type = SL_TYPE_DOUBLE, .nulls = nulls[2], .v.f64 = dbls},
			      {.type = SL_TYPE_BOOLEAN, .nulls = nulls[3], .v.b = bools}};
	c = (struct sl_chunk){.nrows = 0, .ncols = 4, .cols = v};
	const char *why;
	cr_assert_eq(sl_binrec_parse(buf, n, &c, 0, &why), first);
	cr_expect_eq(ints[0], -2);
	cr_expect_eq(strs[0].len, 2);
	cr_expect(memcmp(strs[0].ptr, "hi", 2) == 0);
	cr_expect(dbls[0] == 1.5);
	cr_expect_eq(bools[0], 1);
	cr_assert_eq(sl_binrec_parse(buf + first, n - first, &c, 1, &why), n - first);
	cr_expect(nulls[0][1] && !nulls[1][1] && nulls[2][1] && !nulls[3][1]);
	cr_expect_eq(strs[1].len, 0);
	/* every cut of the first record is refused */
	for (size_t cut = 0; cut < first; cut++)
		cr_expect_eq(sl_binrec_parse(buf, cut, &c, 0, &why), 0, "cut %zu", cut);
	buf[first - 1] = 2; /* a BOOLEAN of 2 */
	cr_expect_eq(sl_binrec_parse(buf, first, &c, 0, &why), 0);
	cr_expect_str_eq(why, "a BOOLEAN byte that is neither 0 nor 1");
}
