/*
 * sluice_gen.h — the parts of tools/sluice-gen (the packet generator,
 * docs/sluice-gen.md) that its files share: the record templates
 * (sluice_gen_records.c), the frames and the pcap writer
 * (sluice_gen_frames.c) and the DPDK output (sluice_gen_dpdk.c).
 *
 * Everything here runs on the generator's one thread.
 * The sg_ prefix marks names local to this tool (it links dataplane/ but
 * is no part of it).
 */
#ifndef SL_SLUICE_GEN_H
#define SL_SLUICE_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "source_gen.h"
#include "source_sales.h"

/* --- records --- */

enum sg_template { SG_WORDS, SG_RETAIL, SG_YSB };
enum sg_format { SG_TEXT, SG_CSV, SG_JSON, SG_BINARY };

/* Longest record any template makes in any format, '\n' included: a words
 * line of SL_GEN_MAX_WORDS_PER_LINE words of SL_GEN_WORD_MAX letters. */
#define SG_RECORD_MAX ((size_t)SL_GEN_MAX_WORDS_PER_LINE * (SL_GEN_WORD_MAX + 1) + 16)

/* The record generator: record r is a pure function of the options and r
 * (ysb's event time adds up the steps of the records before it, so records
 * are made in order, each once). Owned by main; not thread-safe. */
struct sg_records {
	enum sg_template tmpl;
	enum sg_format format;
	uint64_t seed;
	/* words */
	uint64_t words;
	uint32_t words_per_line;
	char (*vocab)[SL_GEN_WORD_MAX + 1]; /* owned: letters, then the length */
	/* retail */
	struct sl_sales_params sales;
	/* ysb */
	int64_t ysb_ms; /* event time of the last record made, ms since the start */
	uint64_t next;  /* the record the next sg_records_next() makes */
};

/* 0, or -ENOMEM building the vocabulary. */
int sg_records_init(struct sg_records *g);
void sg_records_free(struct sg_records *g);
/* The natural format of a template (text, csv, json). */
enum sg_format sg_template_format(enum sg_template t);
const char *sg_template_name(enum sg_template t);
const char *sg_format_name(enum sg_format f);
/* Makes the next record: its payload bytes (text formats with their '\n')
 * into wire, and its text form (the line --records-out writes, '\n'
 * included: the record itself for text formats, the columns as CSV for
 * binary) into text. Both buffers hold SG_RECORD_MAX bytes. Returns the
 * wire length; *text_len gets the text length. */
size_t sg_records_next(struct sg_records *g, uint8_t *wire, char *text, size_t *text_len);

/* --- frames --- */

/* The addresses and ports of the frames (Ethernet, IPv4 or IPv6, UDP). */
struct sg_net {
	uint8_t dst_mac[6], src_mac[6];
	int vlan;       /* -1: no 802.1Q tag, else the VLAN ID 0..4095 */
	bool ipv6;
	uint8_t src_ip4[4], dst_ip4[4];
	uint8_t src_ip6[16], dst_ip6[16];
	int src_port;   /* -1: 40000 + datagram index % 1000 */
	uint16_t dst_port;
};

/* Ethernet (+ 802.1Q) + IPv6 + UDP headers at most. */
#define SG_HDR_MAX (14 + 4 + 40 + 8)
/* A frame holds at most 65535 bytes of IP packet. */
#define SG_FRAME_MAX (SG_HDR_MAX + 65535)

/* Writes the frame of datagram `index` with the payload into frame (which
 * has SG_HDR_MAX + len bytes); returns the frame length. */
size_t sg_frame_build(const struct sg_net *n, uint64_t index, const uint8_t *payload, size_t len,
		      uint8_t *frame);

/* The kinds of bad frame --malformed adds (docs/sluice-gen.md). */
enum sg_bad {
	SG_BAD_TRUNC_ETH,
	SG_BAD_TRUNC_IP,
	SG_BAD_IHL,
	SG_BAD_IPLEN,
	SG_BAD_TRUNC_UDP,
	SG_BAD_UDPLEN,
	SG_BAD_OTHER_PORT,
	SG_BAD_FRAGMENT,
	SG_BAD_ARP,
	SG_BAD_IPV6_OTHER,
	SG_BAD_KINDS
};
extern const char *const sg_bad_names[SG_BAD_KINDS];
/* The bad frame of a kind into frame (SG_HDR_MAX + len + 64 bytes), built
 * around the last good datagram's payload where the kind carries one;
 * returns its length. */
size_t sg_frame_bad(const struct sg_net *n, enum sg_bad kind, uint64_t index,
		    const uint8_t *payload, size_t len, uint8_t *frame);

/* The classic libpcap file: 0, or -errno. */
int sg_pcap_header(FILE *f);
int sg_pcap_frame(FILE *f, uint64_t ts_ns, const uint8_t *frame, size_t len);

/* --- DPDK --- */

struct sg_dpdk;
/* EAL up with the arguments of --eal (split at blanks), the port (a number
 * or a device name) started with one TX queue for frames up to max_frame
 * bytes, its MTU raised to mtu (IP packet bytes) where that is over 1500.
 * NULL with the reason in err. */
struct sg_dpdk *sg_dpdk_open(const char *port, const char *eal_args, size_t max_frame, size_t mtu,
			     char *err, size_t errlen);
/* Queues one frame; sends a burst when 32 are queued. 0 or -errno (with the
 * reason in err). */
int sg_dpdk_send(struct sg_dpdk *d, const uint8_t *frame, size_t len, char *err, size_t errlen);
/* Sends what is queued, retrying until the port took all of it. */
int sg_dpdk_flush(struct sg_dpdk *d, char *err, size_t errlen);
/* Flushes, stops and closes the port, and cleans up EAL. NULL is a no-op. */
void sg_dpdk_close(struct sg_dpdk *d);

#endif
