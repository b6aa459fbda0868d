/*
 * key.h — group keys as bytes: the canonical encoding of a row's GROUP BY
 * values, its hash, and the shard the hash routes it to.
 *
 * An ingest core encodes each row's key once, hashes the bytes once with
 * XXH3-64, routes the row by the hash's high 32 bits, and the aggregator that
 * owns the shard finds the group by (hash, bytes). Equal keys (Spark's
 * grouping equality) encode to equal bytes; different keys to different
 * bytes. The encoding is also what the state checkpoint stores.
 *
 * Encoding, column after column (little-endian integers):
 *
 *   field        bytes   when
 *   tag          1       always: 0 = NULL, otherwise the column's enum sl_type
 *   value        8       INT, BIGINT, TIMESTAMP: int64
 *   value        8       DOUBLE: IEEE bits, -0.0 written as 0.0 and every NaN
 *                        as 0x7ff8000000000000 (Spark normalises both before
 *                        grouping)
 *   value        1       BOOLEAN: 0 or 1
 *   length       1..5    STRING, BINARY not in the last column: LEB128 varint
 *   bytes        length  STRING, BINARY; the last column's bytes run to the
 *                        end of the key, so they carry no length
 *
 * A NULL value has the tag only. Zero key columns (a global aggregate)
 * encode to the empty key. ARRAY and HEADER columns cannot be keys: the
 * planner refuses them (sl_key_type_supported), and a stored key that has
 * their tag is refused as damaged.
 *
 * Nothing here allocates; the burst form is the ingest hot path.
 */
#ifndef SL_KEY_H
#define SL_KEY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plan_types.h"

/* Tag byte of a NULL key value. */
#define SL_KEY_TAG_NULL 0

/* Whether a column of this type may be a group key. */
static inline bool sl_key_type_supported(enum sl_type t)
{
	return t != SL_TYPE_ARRAY && t != SL_TYPE_HEADER && (unsigned)t < SL_TYPE__COUNT;
}

/* Encode row `row` of cols[0..ncols) into buf. Returns the bytes the key
 * needs; writes only when that is <= cap (buf may be NULL with cap 0 to ask
 * the size). */
size_t sl_key_encode(const struct sl_vec *cols, uint32_t ncols, uint32_t row, uint8_t *buf,
		     size_t cap);

/* Encode and hash rows first .. first+n-1 of cols[0..ncols) back to back
 * into buf[0..cap): keys[i] is row first+i's key (pointing into buf) and
 * hashes[i] its sl_key_hash. Returns how many rows were done: fewer than n
 * when buf is full, and the caller passes the rest again once it has room
 * (0 means row `first` alone needs more than cap: see sl_key_encode).
 * The key columns are looked at once per column, not once per row. */
uint32_t sl_key_encode_burst(const struct sl_vec *cols, uint32_t ncols, uint32_t first,
			     uint32_t n, uint8_t *buf, size_t cap, struct sl_str *keys,
			     uint64_t *hashes);

/* XXH3-64 of the key bytes. */
uint64_t sl_key_hash(const void *k, size_t n);

/* The shard of a key hash among nshards (> 0). Multiply-shift on the high
 * 32 bits: no division, and independent of the low bits that the shard's
 * hash table indexes with. */
static inline uint32_t sl_key_shard(uint64_t hash, uint32_t nshards)
{
	return (uint32_t)(((hash >> 32) * (uint64_t)nshards) >> 32);
}

/* Decode key k[0..n) into row `row` of cols[0..key_schema->ncols), whose
 * storage the caller owns and whose types are the schema's. A NULL value
 * sets cols[i].nulls[row] (which must then be non-NULL); a non-null value
 * clears it when the vector has a null map. Decoded strings point into k.
 * Returns 0, or -EINVAL when k is not a key of this schema. */
int sl_key_decode(const uint8_t *k, size_t n, const struct sl_schema *key_schema,
		  struct sl_vec *cols, uint32_t row);

/* Bytes of a non-NULL WINDOW as the last key column: its tag, start, end. */
#define SL_KEY_WINDOW_BYTES 17

/* A key whose last column is a non-NULL session window: the bytes of the
 * other keys (which route and group it), and the session's bounds. */
static inline uint32_t sl_key_session_split(const void *key, uint32_t len, int64_t *start,
					    int64_t *end)
{
	const uint8_t *w = (const uint8_t *)key + len - SL_KEY_WINDOW_BYTES;
	uint64_t s, e;
	memcpy(&s, w + 1, 8);
	memcpy(&e, w + 9, 8);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	s = __builtin_bswap64(s);
	e = __builtin_bswap64(e);
#endif
	*start = (int64_t)s;
	*end = (int64_t)e;
	return len - SL_KEY_WINDOW_BYTES;
}

/* The end of the WINDOW value in key column col of an encoded key (for
 * watermark eviction). 0; -ENOENT when that value is NULL; -EINVAL when
 * the key is malformed or column col is not a WINDOW. */
int sl_key_window_end(const uint8_t *k, size_t n, const struct sl_schema *key_schema,
		      uint32_t col, int64_t *end_out);

#endif
