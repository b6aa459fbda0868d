/*
 * fuzz_ckpt.c — libFuzzer harness for the checkpoint file decoder
 * (state/ckpt_file.h): what a restart reads back from a disk that may hold
 * cut short, overwritten or foreign files.
 *
 * Input layout:
 *
 *     byte 0   bit 0: set the header's payload length to the image's
 *                     (when the image has a whole header)
 *              bit 1: set the payload checksum to the payload's
 *              bit 2: set the header checksum to bytes 0..27's
 *                     (the three in this order, so that random bytes also
 *                     reach the checks behind the checksums)
 *              bit 3: a 16-byte err buffer instead of 512 bytes
 *     rest     the file image, decoded once for every kind
 *
 * Checked, beyond no crash, out-of-bounds read, leak or undefined
 * behaviour:
 *  - the result is 0, -EINVAL, -EPROTONOSUPPORT or -EBADMSG; a refusal
 *    says "checkpoint file NAME ..." in a NUL-terminated err;
 *  - corrupt and newer-format refusals do not depend on the kind asked
 *    for; at most one kind accepts an image, and then every other kind
 *    gets -EBADMSG;
 *  - an accepted image is exactly header + payload: the payload starts at
 *    byte 32, the length and epoch are the header's, and encoding the
 *    header again gives the same 32 bytes;
 *  - with all three fixes, an image with the magic and format 1 is
 *    accepted for its kind (when it is one of the six).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_ckpt: check failed at line %d: %s\n",    \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	size_t n = size - 1;
	/* an allocation of exactly the image's size: a read past it trips ASan */
	uint8_t *img = malloc(n ? n : 1);
	CHECK(img != NULL);
	if (n)
		memcpy(img, data + 1, n);
	const size_t H = SL_CKPT_HEADER_SIZE;
	if (n >= H) {
		if (ctl & 1)
			put_le(img + 16, n - H, 8);
		if (ctl & 2)
			put_le(img + 24, sl_crc32c(0, img + H, (size_t)(n - H)), 4);
		if (ctl & 4)
			put_le(img + 28, sl_crc32c(0, img, 28), 4);
	}
	size_t errlen = (ctl & 8) ? 16 : 512;
	char *err = malloc(errlen);
	CHECK(err != NULL);

	int first = 1; /* the result for kind 1 */
	int accepted = 0, accepted_kind = 0;
	for (int k = SL_CKPT_METADATA; k <= SL_CKPT_SOURCE_LOG; k++) {
		const uint8_t *payload = NULL;
		uint64_t len = 0, epoch = 0;
		memset(err, 'x', errlen);
		int rc = sl_ckpt_decode(img, n, (enum sl_ckpt_kind)k, "fz", &payload, &len, &epoch,
					err, errlen);
		CHECK(rc == 0 || rc == -EINVAL || rc == -EPROTONOSUPPORT || rc == -EBADMSG);
		if (k == SL_CKPT_METADATA)
			first = rc;
		if (rc != 0) {
			CHECK(memchr(err, '\0', errlen) != NULL);
			CHECK(strncmp(err, "checkpoint file fz ", errlen - 1 < 19 ? errlen - 1 : 19) ==
			      0);
		}
		/* corrupt or newer: whatever kind was asked for */
		if (first == -EINVAL || first == -EPROTONOSUPPORT)
			CHECK(rc == first);
		else
			CHECK(rc == 0 || rc == -EBADMSG);
		if (rc == 0) {
			accepted++;
			accepted_kind = k;
			CHECK(n >= H);
			CHECK(payload == img + H);
			CHECK(len == n - H);
			CHECK(epoch == le(img + 8, 8));
			CHECK(le(img + 6, 2) == (uint64_t)k);
			uint8_t again[SL_CKPT_HEADER_SIZE];
			sl_ckpt_header_encode(again, (enum sl_ckpt_kind)k, epoch, payload, len);
			CHECK(memcmp(again, img, H) == 0);
		}
	}
	CHECK(accepted <= 1);
	if (first == 0 || first == -EBADMSG) {
		/* valid, of some kind: the header says which */
		uint64_t kind = le(img + 6, 2);
		if (kind >= SL_CKPT_METADATA && kind <= SL_CKPT_SOURCE_LOG)
			CHECK(accepted == 1 && (uint64_t)accepted_kind == kind);
		else
			CHECK(accepted == 0);
	}
	if ((ctl & 7) == 7 && n >= H && memcmp(img, "SLCK", 4) == 0 && le(img + 4, 2) == 1) {
		uint64_t kind = le(img + 6, 2);
		if (kind >= SL_CKPT_METADATA && kind <= SL_CKPT_SOURCE_LOG)
			CHECK(accepted == 1);
		else
			CHECK(accepted == 0 && first == -EBADMSG);
	}
	free(err);
	free(img);
	return 0;
}
