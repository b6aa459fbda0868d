/*
 * fuzz_packet.c — libFuzzer harness for the dpdk source's readers of
 * outside bytes (dataplane/packet.h): frames off the wire into UDP
 * payloads, and the binary record layout.
 *
 * Input: bytes 0-1 the UDP port to listen on, byte 2 a schema for the
 * binary records (each 3 bits of it one of six column types, up to 4
 * columns... as below), the rest a frame.
 *
 * Checked, beyond no crash, out-of-bounds read or undefined behaviour:
 *  - a verdict of the enum, with a name; OK only for a frame that holds
 *    an IPv4 or IPv6 UDP header to the port, its payload inside the frame;
 *  - the payload read as binary records, record after record: each takes
 *    at least the null bitmap and at most the bytes left, a STRING lies
 *    inside them, a BOOLEAN is 0 or 1; a refusal says why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_packet: %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

#define ROWS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint16_t port = (uint16_t)(data[0] << 8 | data[1]);
	uint8_t sch = data[2];
	const uint8_t *f = data + 3;
	uint32_t n = (uint32_t)(size - 3);
	/* the frame alone on the heap: ASan sees a read past it */
	uint8_t *frame = malloc(n ? n : 1);
	memcpy(frame, f, n);
	struct sl_pkt pk;
	enum sl_pkt_verdict v = sl_pkt_parse(frame, n, port, &pk);
	CHECK((unsigned)v < SL_PKT__COUNT);
	CHECK(strcmp(sl_pkt_verdict_name(v), "unknown") != 0);
	if (v == SL_PKT_OK) {
		CHECK(pk.ip_version == 4 || pk.ip_version == 6);
		CHECK(pk.payload >= frame + 14 + 20 + 8 && pk.payload + pk.len <= frame + n);
		CHECK(pk.payload[-6] == (uint8_t)(port >> 8) && pk.payload[-5] == (uint8_t)port);
	}
	/* binary records over the payload (or the whole frame) */
	static const enum sl_type types[6] = {SL_TYPE_BOOLEAN, SL_TYPE_INT,	 SL_TYPE_BIGINT,
					      SL_TYPE_DOUBLE,  SL_TYPE_TIMESTAMP, SL_TYPE_STRING};
	uint32_t ncols = 1 + (sch & 3);
	uint8_t nulls[4][ROWS];
	int64_t i64[4][ROWS];
	struct sl_str str[4][ROWS];
	struct sl_vec vec[4];
	for (uint32_t k = 0; k < ncols; k++) {
		enum sl_type t = types[((sch >> 2) + k * 3) % 6];
		vec[k] = (struct sl_vec){.type = t, .nulls = nulls[k]};
		if (t == SL_TYPE_STRING)
			vec[k].v.str = str[k];
		else if (t == SL_TYPE_BOOLEAN)
			vec[k].v.b = (uint8_t *)i64[k];
		else if (t == SL_TYPE_DOUBLE)
			vec[k].v.f64 = (double *)i64[k];
		else
			vec[k].v.i64 = i64[k];
	}
	struct sl_chunk c = {.nrows = 0, .ncols = ncols, .cols = vec};
	const uint8_t *p = v == SL_PKT_OK ? pk.payload : frame;
	size_t left = v == SL_PKT_OK ? pk.len : n;
	for (uint32_t row = 0; row < ROWS && left > 0; row++) {
		const char *why = "unset";
		size_t used = sl_binrec_parse(p, left, &c, row, &why);
		if (used == 0) {
			CHECK(why != NULL && why[0] != '\0');
			break;
		}
		CHECK(why == NULL);
		CHECK(used >= (ncols + 7) / 8 && used <= left);
		for (uint32_t k = 0; k < ncols; k++) {
			if (nulls[k][row])
				continue;
			if (vec[k].type == SL_TYPE_STRING)
				CHECK((const uint8_t *)str[k][row].ptr >= p &&
				      (const uint8_t *)str[k][row].ptr + str[k][row].len <= p + used);
			if (vec[k].type == SL_TYPE_BOOLEAN)
				CHECK(vec[k].v.b[row] <= 1);
		}
		p += used;
		left -= used;
	}
	free(frame);
	return 0;
}
