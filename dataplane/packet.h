/*
 * packet.h — the frames the dpdk source takes off a NIC queue, and the
 * binary record layout its datagrams may carry. Pure functions over bytes
 * (no DPDK here), so that tests and fuzzers call them directly.
 *
 * A frame is read as Ethernet II, with at most two 802.1Q / 802.1ad tags,
 * then IPv4 (no options needed, options allowed; fragments refused) or
 * IPv6 (no extension headers: a next header other than UDP is "not UDP"),
 * then UDP to the port the source listens on. Nothing is copied: the
 * payload points into the frame. Lengths are checked against the frame
 * and against each other (IPv4 total length, IPv6 payload length, UDP
 * length); bytes after the IP packet (Ethernet padding) are ignored.
 * Checksums are not verified (NICs do, and a bad one is dropped there).
 */
#ifndef SL_PACKET_H
#define SL_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan_types.h"

/* What became of a frame: one counter each in the dpdk source. */
enum sl_pkt_verdict {
	SL_PKT_OK,          /* a UDP datagram to the port: payload set */
	SL_PKT_TRUNCATED,   /* shorter than its Ethernet, IP or UDP header says */
	SL_PKT_BAD_HEADER,  /* an IPv4 IHL below 5, a version that is not 4 or 6,
			     * an IP or UDP length that does not fit */
	SL_PKT_NOT_IP,      /* another ethertype (ARP unless answered, LLDP, ...) */
	SL_PKT_FRAGMENT,    /* an IPv4 fragment (more fragments, or an offset):
			     * not reassembled */
	SL_PKT_NOT_UDP,     /* IP, but not UDP (TCP, ICMP, IPv6 extension headers) */
	SL_PKT_OTHER_PORT,  /* UDP to another port */
	SL_PKT_ARP,         /* an ARP packet (the source may answer it) */
	SL_PKT_ICMP_ECHO,   /* an ICMPv4 echo request (the source may answer it) */
	SL_PKT__COUNT
};

/* The counter's name of a verdict ("dropped_truncated", ...). */
const char *sl_pkt_verdict_name(enum sl_pkt_verdict v);

struct sl_pkt {
	const uint8_t *payload; /* the UDP payload (OK) */
	uint32_t len;
	uint32_t l3;            /* offset of the IP (or ARP) header in the frame */
	uint8_t ip_version;     /* 4 or 6 (OK, ICMP_ECHO) */
	uint16_t vlan;          /* the outer VLAN id, 0 when untagged */
};

/* Classify frame[0..len) for UDP port `port`; fills out as the verdict says. */
enum sl_pkt_verdict sl_pkt_parse(const uint8_t *frame, uint32_t len, uint16_t port,
				 struct sl_pkt *out);

/*
 * The binary record layout (format = 'binary'): records back to back in a
 * datagram; each is a null bitmap of ceil(ncols / 8) bytes (bit i of byte
 * i / 8, least significant first, set: column i is NULL and takes no
 * bytes), then every non-null column in order, little-endian:
 *   BOOLEAN u8 (0 or 1), INT i32, BIGINT i64, DOUBLE IEEE-754 f64,
 *   TIMESTAMP i64 microseconds since 1970-01-01 UTC, STRING and BINARY
 *   u16 length then that many bytes.
 * Other column types cannot be declared with this format.
 */

/* Whether format 'binary' can carry a column of type t. */
bool sl_binrec_type_ok(enum sl_type t);

/* One record at p[0..n) into row `row` of out (the schema's columns, null
 * maps present; strings point into p). Returns the bytes it took (> 0), or
 * 0 when the bytes left do not hold a whole record (*why says what is
 * wrong: "a STRING of 300 bytes where 12 are left", ...). A BOOLEAN byte
 * other than 0 or 1 is malformed too. */
size_t sl_binrec_parse(const uint8_t *p, size_t n, struct sl_chunk *out, uint32_t row,
		       const char **why);

#endif
