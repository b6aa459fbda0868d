/*
 * fuzz_ckpt_payload.c — libFuzzer harness for what a restart parses inside
 * checkpoint files whose checksums matched (fuzz_ckpt.c covers the header
 * and checksums): the offsets decoder and the metadata key lookups of
 * control/checkpoint.c (through sl_ckpt_parse_payload), the commit and
 * source log checks, and the state codec's checked reader and compaction
 * (state/state_codec.h) that load and snapshot a shard's deltas. A
 * checksum guards against a bit flip, not against a bug in the writer or
 * a file written by hand: these parsers must hold on any bytes.
 *
 * Input layout:
 *
 *     byte 0   bits 0-2: the kind (1 metadata, 2 offsets, 3 commit,
 *                        4 delta, 5 snapshot, 6 source log; 0 and 7 are
 *                        no kind, and must be refused)
 *              bit 3:    a 16-byte err buffer instead of 640 bytes
 *     rest     the payload, in an allocation of exactly its size
 *
 * Checked, beyond no crash, out-of-bounds read, leak or undefined
 * behaviour:
 *  - the result is 0 or -EINVAL (-EPROTONOSUPPORT: offsets of another
 *    version only), with a NUL-terminated message on a refusal;
 *  - a commit is accepted exactly when it is 20 bytes of version 1; a
 *    source log entry exactly when it is not empty;
 *  - delta and snapshot: sl_ckpt_parse_payload agrees with a direct run of
 *    the state reader; every record lies inside the payload, after the
 *    one before it; sl_state_compact of the payload alone succeeds exactly
 *    when the reader does, and its snapshot holds what a reference replay
 *    (last writer wins, a remove drops the key) keeps, in first-appearance
 *    order; compacting that snapshot again gives the same bytes; a
 *    snapshot is refused as a second payload, a delta accepted.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "ckpt_file.h"
#include "source.h"
#include "state_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_ckpt_payload: check failed at line %d: %s\n", \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* The reference replay: each key's latest record, in first-appearance order. */
struct ref_entry {
	const uint8_t *key, *val; /* val NULL: removed */
	uint32_t klen;
	size_t vlen;
};

static struct ref_entry *ref_find(struct ref_entry *e, uint32_t n, const uint8_t *key,
				  uint32_t klen)
{
	for (uint32_t i = 0; i < n; i++)
		if (e[i].klen == klen && (klen == 0 || memcmp(e[i].key, key, klen) == 0))
			return &e[i];
	return NULL;
}

/* Reads payload p[0..n) to its end: 0 with every record in ref (capacity
 * n / 2, which no valid payload exceeds), or the reader's error. */
static int read_all(const uint8_t *p, size_t n, struct ref_entry *ref, uint32_t *nref,
		    uint32_t *flags, char *err, size_t errlen)
{
	struct sl_state_reader r;
	struct sl_state_record rec;
	*nref = 0;
	int rc = sl_state_reader_init(&r, p, n, err, errlen);
	if (rc < 0)
		return rc;
	*flags = r.flags;
	size_t last = 0;
	uint64_t seen = 0;
	while ((rc = sl_state_reader_next(&r, &rec, err, errlen)) > 0) {
		CHECK(rec.op == SL_STATE_PUT || rec.op == SL_STATE_REMOVE);
		CHECK(rec.offset >= SL_STATE_HEADER_SIZE && rec.offset < n);
		CHECK(seen == 0 || rec.offset > last);
		last = rec.offset;
		CHECK(rec.key >= p && rec.key + rec.klen <= p + n);
		CHECK(rec.klen <= SL_STATE_MAX_KEY);
		if (rec.op == SL_STATE_PUT)
			CHECK(rec.val != NULL && rec.val >= rec.key + rec.klen &&
			      rec.val + rec.vlen <= p + n);
		else
			CHECK(rec.val == NULL && rec.vlen == 0);
		seen++;
		CHECK(seen <= r.nrecords);
		struct ref_entry *e = ref_find(ref, *nref, rec.key, rec.klen);
		if (e == NULL) {
			CHECK(*nref < n / 2);
			e = &ref[(*nref)++];
			e->key = rec.key;
			e->klen = rec.klen;
		}
		e->val = rec.val;
		e->vlen = rec.vlen;
	}
	if (rc == 0)
		CHECK(seen == r.nrecords);
	return rc;
}

static void check_state(const uint8_t *p, size_t n, int parsed, char *err, size_t errlen)
{
	struct ref_entry *ref = malloc((n / 2 + 1) * sizeof(*ref));
	CHECK(ref != NULL);
	uint32_t nref = 0, flags = 0;
	int rc = read_all(p, n, ref, &nref, &flags, err, errlen);
	CHECK(rc == 0 || rc == -EINVAL);
	CHECK(rc == parsed);

	struct sl_blob in[2] = {{p, n}, {p, n}};
	void *out = NULL;
	size_t outlen = 0;
	int crc = sl_state_compact(in, 1, &out, &outlen, err, errlen);
	CHECK(crc == 0 || crc == -EINVAL || crc == -ENOMEM);
	if (crc == -ENOMEM)
		goto out;
	CHECK((crc == 0) == (rc == 0));
	if (crc < 0) {
		CHECK(out == NULL);
		CHECK(memchr(err, '\0', errlen) != NULL);
		goto out;
	}
	/* the snapshot: the live keys of the replay, in first-appearance order */
	{
		struct sl_state_reader r;
		struct sl_state_record rec;
		CHECK(sl_state_reader_init(&r, out, outlen, err, errlen) == 0);
		CHECK(r.flags == SL_STATE_SNAPSHOT);
		CHECK(r.fingerprint == (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 |
						  (uint32_t)p[3] << 24));
		uint32_t k = 0;
		int nrc;
		while ((nrc = sl_state_reader_next(&r, &rec, err, errlen)) > 0) {
			while (k < nref && ref[k].val == NULL)
				k++;
			CHECK(k < nref);
			CHECK(rec.op == SL_STATE_PUT);
			CHECK(rec.klen == ref[k].klen &&
			      (rec.klen == 0 || memcmp(rec.key, ref[k].key, rec.klen) == 0));
			CHECK(rec.vlen == ref[k].vlen &&
			      (rec.vlen == 0 || memcmp(rec.val, ref[k].val, rec.vlen) == 0));
			k++;
		}
		CHECK(nrc == 0);
		while (k < nref && ref[k].val == NULL)
			k++;
		CHECK(k == nref);
	}
	/* compacting a snapshot again changes nothing */
	{
		struct sl_blob again = {out, outlen};
		void *out2 = NULL;
		size_t outlen2 = 0;
		int rc2 = sl_state_compact(&again, 1, &out2, &outlen2, err, errlen);
		CHECK(rc2 == 0 || rc2 == -ENOMEM);
		if (rc2 == 0)
			CHECK(outlen2 == outlen && memcmp(out2, out, outlen) == 0);
		free(out2);
	}
	/* the payload again after itself: a delta may follow, a snapshot not */
	{
		void *out3 = NULL;
		size_t outlen3 = 0;
		int rc3 = sl_state_compact(in, 2, &out3, &outlen3, err, errlen);
		if (rc3 != -ENOMEM)
			CHECK((rc3 == 0) == !(flags & SL_STATE_SNAPSHOT));
		if (rc3 == 0) /* applying a delta twice is applying it once */
			CHECK(outlen3 == outlen && memcmp(out3, out, outlen) == 0);
		free(out3);
	}
out:
	free(out);
	free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	int kind = ctl & 7;
	size_t n = size - 1;
	/* an allocation of exactly the payload's size: a read past it trips ASan */
	uint8_t *p = malloc(n ? n : 1);
	CHECK(p != NULL);
	if (n)
		memcpy(p, data + 1, n);
	size_t errlen = (ctl & 8) ? 16 : 640;
	char *err = malloc(errlen);
	CHECK(err != NULL);
	memset(err, 'x', errlen);

	int rc = sl_ckpt_parse_payload((enum sl_ckpt_kind)kind, p, n, err, errlen);
	CHECK(rc == 0 || rc == -EINVAL || (rc == -EPROTONOSUPPORT && kind == SL_CKPT_OFFSETS));
	if (rc != 0)
		CHECK(memchr(err, '\0', errlen) != NULL);
	switch (kind) {
	case SL_CKPT_COMMIT:
		CHECK((rc == 0) == (n == 20 && p[0] == 1 && p[1] == 0 && p[2] == 0 && p[3] == 0));
		break;
	case SL_CKPT_SOURCE_LOG:
		CHECK((rc == 0) == (n >= 1));
		break;
	case SL_CKPT_DELTA:
	case SL_CKPT_SNAPSHOT:
		check_state(p, n, rc, err, errlen);
		break;
	case SL_CKPT_METADATA:
	case SL_CKPT_OFFSETS:
		break;
	default:
		CHECK(rc == -EINVAL);
	}
	free(err);
	free(p);
	return 0;
}
