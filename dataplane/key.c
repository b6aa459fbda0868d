/*
 * key.c — encoding, hashing and decoding of group keys (format in key.h).
 *
 * The burst encoder works a column at a time in three passes over the rows:
 * sizes, then values, then hashes, so the type switch runs once per column
 * and not once per row. The single STRING (or BINARY) column (the word
 * count's `word`) has its own loop that copies and hashes each key while it is in cache.
 */
#include "key.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

/* XXH3 inlined: for keys of a few bytes the call into libxxhash cost more
 * than the hash (with the short copy below, 80 M against 62 M single-STRING
 * keys per second on this machine). */
#define XXH_INLINE_ALL
#include <xxhash.h>

#define SL_KEY_NAN_BITS UINT64_C(0x7ff8000000000000)

static inline void put_le64(uint8_t *p, uint64_t v)
{
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, 8);
}

static inline uint64_t get_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Spark's NormalizeFloatingNumbers: -0.0 groups with 0.0, all NaNs together. */
static inline uint64_t canon_f64(double d)
{
	uint64_t bits;
	if (d != d)
		return SL_KEY_NAN_BITS;
	if (d == 0.0)
		return 0;
	memcpy(&bits, &d, 8);
	return bits;
}

static inline uint32_t varint_len(uint32_t v)
{
	uint32_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline uint8_t *put_varint(uint8_t *p, uint32_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Payload bytes (tag excluded) of a non-null value. */
static inline size_t value_len(const struct sl_vec *c, uint32_t row, bool last)
{
	switch (c->type) {
	case SL_TYPE_BOOLEAN:
		return 1;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
	case SL_TYPE_INTERVAL:
	case SL_TYPE_DOUBLE:
		return 8;
	case SL_TYPE_WINDOW:
		return 16;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY: {
		uint32_t len = c->v.str[row].len;
		return last ? len : varint_len(len) + (size_t)len;
	}
	default:
		return 0;
	}
}

/* Writes tag and payload of a non-null value; returns the end. */
static inline uint8_t *put_value(uint8_t *p, const struct sl_vec *c, uint32_t row, bool last)
{
	*p++ = (uint8_t)c->type;
	switch (c->type) {
	case SL_TYPE_BOOLEAN:
		*p++ = c->v.b[row] != 0;
		break;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
	case SL_TYPE_INTERVAL:
		put_le64(p, (uint64_t)c->v.i64[row]);
		p += 8;
		break;
	case SL_TYPE_DOUBLE:
		put_le64(p, canon_f64(c->v.f64[row]));
		p += 8;
		break;
	case SL_TYPE_WINDOW:
		put_le64(p, (uint64_t)c->v.win[row].start);
		put_le64(p + 8, (uint64_t)c->v.win[row].end);
		p += 16;
		break;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY: {
		const struct sl_str *s = &c->v.str[row];
		if (!last)
			p = put_varint(p, s->len);
		if (s->len)
			memcpy(p, s->ptr, s->len);
		p += s->len;
		break;
	}
	default:
		break;
	}
	return p;
}

size_t sl_key_encode(const struct sl_vec *cols, uint32_t ncols, uint32_t row, uint8_t *buf,
		     size_t cap)
{
	size_t need = 0;
	for (uint32_t c = 0; c < ncols; c++) {
		assert(sl_key_type_supported(cols[c].type));
		need += 1;
		if (!sl_vec_is_null(&cols[c], row))
			need += value_len(&cols[c], row, c + 1 == ncols);
	}
	if (need > cap || buf == NULL)
		return need;
	uint8_t *p = buf;
	for (uint32_t c = 0; c < ncols; c++) {
		if (sl_vec_is_null(&cols[c], row))
			*p++ = SL_KEY_TAG_NULL;
		else
			p = put_value(p, &cols[c], row, c + 1 == ncols);
	}
	assert((size_t)(p - buf) == need);
	return need;
}

uint64_t sl_key_hash(const void *k, size_t n)
{
	return XXH3_64bits(n ? k : "", n);
}

/* Copies n bytes with loads and stores that stay inside both ranges: short
 * keys are the common case and a call to memcpy costs more than the copy. */
static inline void copy_short(uint8_t *d, const char *s, uint32_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else if (n < 4) {
		for (uint32_t i = 0; i < n; i++)
			d[i] = (uint8_t)s[i];
	} else {
		memcpy(d, s, n);
	}
}

static uint32_t encode_one_string(const struct sl_vec *c, uint32_t first, uint32_t n,
				  uint8_t *buf, size_t cap, struct sl_str *keys,
				  uint64_t *hashes)
{
	const struct sl_str *s = c->v.str + first;
	const uint8_t *nulls = c->nulls ? c->nulls + first : NULL;
	const uint8_t tag = (uint8_t)c->type; /* STRING or BINARY */
	size_t off = 0;
	uint32_t i;
	for (i = 0; i < n; i++) {
		uint8_t *p = buf + off;
		size_t len;
		if (nulls && nulls[i]) {
			if (cap - off < 1)
				break;
			*p = SL_KEY_TAG_NULL;
			len = 1;
		} else {
			len = 1 + (size_t)s[i].len;
			if (cap - off < len)
				break;
			*p = tag;
			copy_short(p + 1, s[i].ptr, s[i].len);
		}
		keys[i].ptr = (const char *)p;
		keys[i].len = (uint32_t)len;
		off += len;
	}
	/* Hashed in a second pass: hashing each key right after copy_short's
	 * overlapping stores made XXH3's loads wait on store forwarding (35%
	 * of the hash's time in perf, the hash 17% of the word count). */
	for (uint32_t j = 0; j < i; j++)
		hashes[j] = XXH3_64bits(keys[j].ptr, keys[j].len);
	return i;
}

uint32_t sl_key_encode_burst(const struct sl_vec *cols, uint32_t ncols, uint32_t first,
			     uint32_t n, uint8_t *buf, size_t cap, struct sl_str *keys,
			     uint64_t *hashes)
{
	if (ncols == 1 && sl_type_is_bytes(cols[0].type))
		return encode_one_string(&cols[0], first, n, buf, cap, keys, hashes);

	/* Pass 1: each row's size, accumulated in keys[i].len. */
	for (uint32_t i = 0; i < n; i++)
		keys[i].len = ncols;
	for (uint32_t c = 0; c < ncols; c++) {
		const struct sl_vec *v = &cols[c];
		const uint8_t *nulls = v->nulls ? v->nulls + first : NULL;
		bool last = c + 1 == ncols;
		uint32_t fixed;
		assert(sl_key_type_supported(v->type));
		switch (v->type) {
		case SL_TYPE_NULL:
			continue;
		case SL_TYPE_STRING:
		case SL_TYPE_BINARY: {
			const struct sl_str *s = v->v.str + first;
			for (uint32_t i = 0; i < n; i++) {
				if (nulls && nulls[i])
					continue;
				keys[i].len += last ? s[i].len : varint_len(s[i].len) + s[i].len;
			}
			continue;
		}
		case SL_TYPE_BOOLEAN:
			fixed = 1;
			break;
		case SL_TYPE_WINDOW:
			fixed = 16;
			break;
		default:
			fixed = 8;
			break;
		}
		for (uint32_t i = 0; i < n; i++)
			keys[i].len += (nulls && nulls[i]) ? 0 : fixed;
	}

	/* Pass 2: place the keys; hashes[] holds each row's write offset until
	 * pass 4 overwrites it with the hash. */
	size_t off = 0;
	uint32_t m;
	for (m = 0; m < n; m++) {
		if (keys[m].len > cap - off)
			break;
		keys[m].ptr = (const char *)buf + off;
		hashes[m] = off;
		off += keys[m].len;
	}

	/* Pass 3: the values, a column at a time. */
	for (uint32_t c = 0; c < ncols; c++) {
		const struct sl_vec *v = &cols[c];
		const uint8_t *nulls = v->nulls ? v->nulls + first : NULL;
		bool last = c + 1 == ncols;
		switch (v->type) {
		case SL_TYPE_NULL:
			for (uint32_t i = 0; i < m; i++)
				buf[hashes[i]++] = SL_KEY_TAG_NULL;
			break;
		case SL_TYPE_BOOLEAN: {
			const uint8_t *b = v->v.b + first;
			for (uint32_t i = 0; i < m; i++) {
				uint8_t *p = buf + hashes[i];
				if (nulls && nulls[i]) {
					*p = SL_KEY_TAG_NULL;
					hashes[i] += 1;
				} else {
					p[0] = SL_TYPE_BOOLEAN;
					p[1] = b[i] != 0;
					hashes[i] += 2;
				}
			}
			break;
		}
		case SL_TYPE_INT:
		case SL_TYPE_BIGINT:
		case SL_TYPE_TIMESTAMP:
		case SL_TYPE_INTERVAL: {
			const int64_t *x = v->v.i64 + first;
			uint8_t tag = (uint8_t)v->type;
			for (uint32_t i = 0; i < m; i++) {
				uint8_t *p = buf + hashes[i];
				if (nulls && nulls[i]) {
					*p = SL_KEY_TAG_NULL;
					hashes[i] += 1;
				} else {
					p[0] = tag;
					put_le64(p + 1, (uint64_t)x[i]);
					hashes[i] += 9;
				}
			}
			break;
		}
		case SL_TYPE_DOUBLE: {
			const double *x = v->v.f64 + first;
			for (uint32_t i = 0; i < m; i++) {
				uint8_t *p = buf + hashes[i];
				if (nulls && nulls[i]) {
					*p = SL_KEY_TAG_NULL;
					hashes[i] += 1;
				} else {
					p[0] = SL_TYPE_DOUBLE;
					put_le64(p + 1, canon_f64(x[i]));
					hashes[i] += 9;
				}
			}
			break;
		}
		case SL_TYPE_WINDOW: {
			const struct sl_window *x = v->v.win + first;
			for (uint32_t i = 0; i < m; i++) {
				uint8_t *p = buf + hashes[i];
				if (nulls && nulls[i]) {
					*p = SL_KEY_TAG_NULL;
					hashes[i] += 1;
				} else {
					p[0] = SL_TYPE_WINDOW;
					put_le64(p + 1, (uint64_t)x[i].start);
					put_le64(p + 9, (uint64_t)x[i].end);
					hashes[i] += 17;
				}
			}
			break;
		}
		case SL_TYPE_STRING:
		case SL_TYPE_BINARY: {
			const struct sl_str *s = v->v.str + first;
			for (uint32_t i = 0; i < m; i++) {
				uint8_t *p = buf + hashes[i];
				if (nulls && nulls[i]) {
					*p = SL_KEY_TAG_NULL;
					hashes[i] += 1;
					continue;
				}
				uint8_t *q = p;
				*q++ = (uint8_t)v->type;
				if (!last)
					q = put_varint(q, s[i].len);
				copy_short(q, s[i].ptr, s[i].len);
				q += s[i].len;
				hashes[i] += (uint64_t)(q - p);
			}
			break;
		}
		default:
			break;
		}
	}

	/* Pass 4: hashes. */
	for (uint32_t i = 0; i < m; i++)
		hashes[i] = XXH3_64bits(keys[i].ptr, keys[i].len);
	return m;
}

static int get_varint(const uint8_t **pp, const uint8_t *end, uint32_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 35; shift += 7) {
		if (p == end)
			return -EINVAL;
		uint8_t b = *p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (v > UINT32_MAX)
				return -EINVAL;
			*out = (uint32_t)v;
			*pp = p;
			return 0;
		}
	}
	return -EINVAL;
}

int sl_key_decode(const uint8_t *k, size_t n, const struct sl_schema *key_schema,
		  struct sl_vec *cols, uint32_t row)
{
	const uint8_t *p = k, *end = k + n;
	for (uint32_t c = 0; c < key_schema->ncols; c++) {
		enum sl_type t = key_schema->cols[c].type;
		struct sl_vec *v = &cols[c];
		bool last = c + 1 == key_schema->ncols;
		if (p == end)
			return -EINVAL;
		uint8_t tag = *p++;
		if (tag == SL_KEY_TAG_NULL) {
			if (v->nulls == NULL && t != SL_TYPE_NULL)
				return -EINVAL;
			if (v->nulls)
				v->nulls[row] = 1;
			continue;
		}
		if (tag != (uint8_t)t || !sl_key_type_supported(t) || t == SL_TYPE_NULL)
			return -EINVAL;
		if (v->nulls)
			v->nulls[row] = 0;
		switch (t) {
		case SL_TYPE_BOOLEAN:
			if (end - p < 1 || *p > 1)
				return -EINVAL;
			v->v.b[row] = *p++;
			break;
		case SL_TYPE_INT:
		case SL_TYPE_BIGINT:
		case SL_TYPE_TIMESTAMP:
		case SL_TYPE_INTERVAL:
			if (end - p < 8)
				return -EINVAL;
			v->v.i64[row] = (int64_t)get_le64(p);
			p += 8;
			break;
		case SL_TYPE_WINDOW:
			if (end - p < 16)
				return -EINVAL;
			v->v.win[row].start = (int64_t)get_le64(p);
			v->v.win[row].end = (int64_t)get_le64(p + 8);
			p += 16;
			break;
		case SL_TYPE_DOUBLE: {
			if (end - p < 8)
				return -EINVAL;
			uint64_t bits = get_le64(p);
			memcpy(&v->v.f64[row], &bits, 8);
			p += 8;
			break;
		}
		case SL_TYPE_STRING:
		case SL_TYPE_BINARY: {
			uint32_t len;
			if (last) {
				if ((size_t)(end - p) > UINT32_MAX)
					return -EINVAL;
				len = (uint32_t)(end - p);
			} else if (get_varint(&p, end, &len) < 0) {
				return -EINVAL;
			}
			if ((size_t)(end - p) < len)
				return -EINVAL;
			v->v.str[row].ptr = (const char *)p;
			v->v.str[row].len = len;
			p += len;
			break;
		}
		default:
			return -EINVAL;
		}
	}
	return p == end ? 0 : -EINVAL;
}

int sl_key_window_end(const uint8_t *k, size_t n, const struct sl_schema *key_schema,
		      uint32_t col, int64_t *end_out)
{
	const uint8_t *p = k, *end = k + n;
	for (uint32_t c = 0; c <= col && c < key_schema->ncols; c++) {
		enum sl_type t = key_schema->cols[c].type;
		bool last = c + 1 == key_schema->ncols;
		if (p == end)
			return -EINVAL;
		uint8_t tag = *p++;
		if (tag == SL_KEY_TAG_NULL) {
			if (c == col)
				return -ENOENT;
			continue;
		}
		size_t len;
		switch (t) {
		case SL_TYPE_BOOLEAN:
			len = 1;
			break;
		case SL_TYPE_WINDOW:
			len = 16;
			break;
		case SL_TYPE_STRING:
		case SL_TYPE_BINARY: {
			uint32_t sl;
			if (last)
				return -EINVAL; /* col comes after it: cannot be */
			if (get_varint(&p, end, &sl) < 0)
				return -EINVAL;
			len = sl;
			break;
		}
		default:
			len = 8;
			break;
		}
		if ((size_t)(end - p) < len)
			return -EINVAL;
		if (c == col) {
			if (t != SL_TYPE_WINDOW)
				return -EINVAL;
			*end_out = (int64_t)get_le64(p + 8);
			return 0;
		}
		p += len;
	}
	return -EINVAL;
}
