/*
 * state_codec.h — the payload of the state checkpoint's files
 * (state/<shard>/N.delta and N.snapshot; the file header with its
 * checksums is state/ckpt_file.h's): what an epoch changed in one shard, or
 * a whole shard, as a list of records keyed by group key bytes
 * (dataplane/key.h).
 *
 * Payload (integers little-endian; varint = unsigned LEB128, at most 10
 * bytes, 7 bits a byte, low bits first):
 *
 *   offset  bytes  field
 *   0       4      layout fingerprint (sl_state_fingerprint): the query's
 *                  aggregates and keys; a payload of another fingerprint is
 *                  refused, never guessed at
 *   4       4      flags: bit 0 SL_STATE_SNAPSHOT (the shard's whole
 *                  state; otherwise one epoch's delta); other bits 0
 *   8       8      number of records
 *   16      ...    records, back to back, to the payload's last byte:
 *
 *   record  bytes  field
 *           1      op: 1 put (the group's state is now the value), 2 remove
 *                  (the group is gone)
 *           1..10  key length K (< 2^30)
 *           K      group key bytes, as the shard keys the group
 *           1..10  put only: value length V
 *           V      put only: the group's state, portable (below)
 *
 * Value of a put, time windows and plain groups: one aggregate state in
 * the form of sl_agg_state_encode (state/aggregate.h): the state's fixed
 * bytes with each MIN/MAX STRING's pointer, length and block size zeroed,
 * then for each such aggregate in order a varint: 0 when it holds no value
 * (NULL), else length + 1 followed by the string's bytes. Session plans
 * (the group key without its session window): a varint count of sessions
 * (>= 1), then per session, ascending and disjoint: int64 start, int64 end
 * (microseconds), and its aggregate state as above.
 *
 * The fixed bytes (integers, doubles, HyperLogLog words) are in the host's
 * byte order, which the fingerprint covers: a payload never crosses byte
 * orders unnoticed.
 *
 * A delta holds each key at most once; replaying payloads in order (a
 * snapshot, then the deltas after it), last writer wins, a remove drops the
 * key, and a remove of an absent key is no error. Every decoder here checks
 * every length against what is left and never reads past the payload: a
 * malformed one is -EINVAL with the byte offset in the message.
 */
#ifndef SL_STATE_CODEC_H
#define SL_STATE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_STATE_HEADER_SIZE 16
#define SL_STATE_SNAPSHOT UINT32_C(1) /* flags bit 0 */
#define SL_STATE_MAX_KEY ((UINT32_C(1) << 30) - 1)

enum sl_state_op {
	SL_STATE_PUT = 1,
	SL_STATE_REMOVE = 2,
};

struct sl_agg_layout;
struct sl_schema;
struct sl_blob; /* dataplane/source.h: {const void *p; size_t len} */

/* The fingerprint of a query's state layout: every aggregate's function,
 * argument and result types, offset and HyperLogLog precision, the state
 * size, whether it is a session plan, the key columns' types, the host's
 * byte order and this format's version. */
uint32_t sl_state_fingerprint(const struct sl_agg_layout *l, bool session,
			      const struct sl_schema *key_schema);

/* ---- varints (also the per-aggregate codec's, state/aggregate.c) ---- */

#define SL_VARINT_MAX 10

static inline uint32_t sl_varint_size(uint64_t v)
{
	uint32_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline uint8_t *sl_varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Reads a varint from p[0..end): the bytes it took (1..10), or 0 when it
 * runs past end or past 64 bits. */
static inline uint32_t sl_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < SL_VARINT_MAX && p + i < end; i++) {
		uint64_t b = p[i];
		if (i == SL_VARINT_MAX - 1 && b > 1)
			return 0; /* the tenth byte holds bit 63 only */
		v |= (b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return i + 1;
		}
	}
	return 0;
}

/* ---- writing ---- */

/* A payload being built: one growing buffer (doubling), handed over whole
 * by sl_state_writer_finish. Owned by one thread. */
struct sl_state_writer {
	uint8_t *buf;
	size_t len, cap;
	size_t hint;          /* the last payload's size: the next one's first capacity */
	uint64_t puts, removes;
};

/* Starts a payload (its header) in w, whose buffer is allocated here when
 * it has none. 0 or -ENOMEM. */
int sl_state_writer_begin(struct sl_state_writer *w, uint32_t fingerprint, uint32_t flags);
/* Appends a remove record. 0 or -ENOMEM (-E2BIG for a key over
 * SL_STATE_MAX_KEY). */
int sl_state_writer_remove(struct sl_state_writer *w, const void *key, uint32_t klen);
/* Appends a put record's key and value length: where its vlen value bytes
 * go (the caller writes exactly vlen), or NULL with errno ENOMEM / E2BIG. */
uint8_t *sl_state_writer_put(struct sl_state_writer *w, const void *key, uint32_t klen,
			     size_t vlen);
/* The finished payload (its record count written): *buf is malloc'ed and
 * the caller's; w is left without a buffer, ready for the next begin. */
void sl_state_writer_finish(struct sl_state_writer *w, void **buf, size_t *len);
/* Frees whatever w holds. */
void sl_state_writer_free(struct sl_state_writer *w);

/* ---- reading ---- */

struct sl_state_record {
	enum sl_state_op op;
	const uint8_t *key;
	uint32_t klen;
	const uint8_t *val; /* put: the value; remove: NULL */
	size_t vlen;
	size_t offset;      /* of the record in the payload (for messages) */
};

/* On the caller's stack; points into the payload, which must outlive it. */
struct sl_state_reader {
	const uint8_t *p;
	size_t len, pos;
	uint32_t fingerprint, flags;
	uint64_t nrecords, left;
};

/* Checks the header of payload[0..len). 0, or -EINVAL with the reason in
 * err (too short, unknown flags). The fingerprint is for the caller to
 * check (sl_state_check_fingerprint). */
int sl_state_reader_init(struct sl_state_reader *r, const void *payload, size_t len, char *err,
			 size_t errlen);
/* The next record: 1, 0 at the end (which must be the payload's end and
 * the header's count), or -EINVAL with "state payload is malformed at byte
 * B: ..." in err. */
int sl_state_reader_next(struct sl_state_reader *r, struct sl_state_record *rec, char *err,
			 size_t errlen);

/* 0 when the payload's fingerprint is `want`, else -EINVAL with a message
 * that says the query's state layout changed and what to do. */
int sl_state_check_fingerprint(const struct sl_state_reader *r, uint32_t want, char *err,
			       size_t errlen);

/* ---- compaction ---- */

/*
 * The snapshot that applying in[0..n) in order gives: in[0] may be a
 * snapshot, the others must be deltas; all of one fingerprint (n >= 1).
 * Works on the encoded bytes alone (values are opaque), so it runs on any
 * thread, without the shards: a hash table from key bytes to the latest
 * record, memory about one shard's. The output lists the live keys in the
 * order they first appeared. 0 with *out (malloc'ed) and *outlen; -EINVAL
 * with the reason in err; -ENOMEM.
 */
int sl_state_compact(const struct sl_blob *in, uint32_t n, void **out, size_t *outlen,
		     char *err, size_t errlen);

#endif
