/*
 * parquet_thrift.c — the Thrift compact protocol, reader and writer, as
 * much of it as Parquet's metadata needs (parquet_int.h has the byte
 * layout). Written here rather than taken from libthrift: Debian's
 * libthrift is C++ with generated code, and Parquet needs a few hundred
 * lines of it. The reader never reads past `end` and limits nesting to
 * SL_TC_MAX_DEPTH, whatever the bytes are.
 */
#include "parquet_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int varint(struct sl_tc *r, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			return -EINVAL;
		uint8_t b = *r->p++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return -EINVAL;
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int sl_tc_field(struct sl_tc *r, int16_t *last, int16_t *id, uint8_t *type)
{
	if (r->p >= r->end)
		return -EINVAL;
	uint8_t b = *r->p++;
	*type = b & 0x0f;
	if (*type == SL_TC_STOP)
		return 0;
	if (*type > SL_TC_STRUCT)
		return -EINVAL;
	unsigned delta = b >> 4;
	if (delta != 0) {
		*id = (int16_t)(*last + (int16_t)delta);
	} else {
		uint64_t v;
		if (varint(r, &v) < 0)
			return -EINVAL;
		*id = (int16_t)unzigzag(v);
	}
	*last = *id;
	return 1;
}

int sl_tc_int(struct sl_tc *r, uint8_t type, int64_t *v)
{
	if (type == SL_TC_I8) {
		if (r->p >= r->end)
			return -EINVAL;
		*v = (int8_t)*r->p++;
		return 0;
	}
	if (type != SL_TC_I16 && type != SL_TC_I32 && type != SL_TC_I64)
		return -EINVAL;
	uint64_t u;
	if (varint(r, &u) < 0)
		return -EINVAL;
	*v = unzigzag(u);
	return 0;
}

int sl_tc_double(struct sl_tc *r, uint8_t type, double *v)
{
	if (type != SL_TC_DOUBLE || r->end - r->p < 8)
		return -EINVAL;
	memcpy(v, r->p, 8); /* little-endian on the machines sluice runs on */
	r->p += 8;
	return 0;
}

int sl_tc_binary(struct sl_tc *r, uint8_t type, const uint8_t **p, uint32_t *n)
{
	uint64_t len;
	if (type != SL_TC_BINARY || varint(r, &len) < 0 || len > (uint64_t)(r->end - r->p))
		return -EINVAL;
	*p = r->p;
	*n = (uint32_t)len;
	r->p += len;
	return 0;
}

int sl_tc_list(struct sl_tc *r, uint8_t type, uint8_t *etype, uint32_t *n)
{
	if ((type != SL_TC_LIST && type != SL_TC_SET) || r->p >= r->end)
		return -EINVAL;
	uint8_t b = *r->p++;
	uint64_t size = b >> 4;
	*etype = b & 0x0f;
	if (size == 15 && varint(r, &size) < 0)
		return -EINVAL;
	if (*etype == SL_TC_STOP || *etype > SL_TC_STRUCT)
		return -EINVAL;
	if (size > (uint64_t)(r->end - r->p)) /* every element takes a byte at least */
		return -EINVAL;
	*n = (uint32_t)size;
	return 0;
}

int sl_tc_struct_begin(struct sl_tc *r, uint8_t type)
{
	if (type != SL_TC_STRUCT || r->depth >= SL_TC_MAX_DEPTH)
		return -EINVAL;
	r->depth++;
	return 0;
}

void sl_tc_struct_end(struct sl_tc *r)
{
	r->depth--;
}

int sl_tc_skip(struct sl_tc *r, uint8_t type)
{
	int64_t i;
	double d;
	const uint8_t *p;
	uint32_t n;
	switch (type) {
	case SL_TC_TRUE:
	case SL_TC_FALSE:
		return 0;
	case SL_TC_I8:
	case SL_TC_I16:
	case SL_TC_I32:
	case SL_TC_I64:
		return sl_tc_int(r, type, &i);
	case SL_TC_DOUBLE:
		return sl_tc_double(r, type, &d);
	case SL_TC_BINARY:
		return sl_tc_binary(r, type, &p, &n);
	case SL_TC_LIST:
	case SL_TC_SET: {
		uint8_t et;
		if (sl_tc_list(r, type, &et, &n) < 0 || r->depth >= SL_TC_MAX_DEPTH)
			return -EINVAL;
		r->depth++;
		for (uint32_t k = 0; k < n; k++) {
			int rc = (et == SL_TC_TRUE || et == SL_TC_FALSE)
					 ? (r->p < r->end ? (r->p++, 0) : -EINVAL)
					 : sl_tc_skip(r, et);
			if (rc < 0)
				return rc;
		}
		r->depth--;
		return 0;
	}
	case SL_TC_MAP: {
		uint64_t size;
		if (varint(r, &size) < 0 || r->depth >= SL_TC_MAX_DEPTH)
			return -EINVAL;
		if (size == 0)
			return 0;
		if (r->p >= r->end || size > (uint64_t)(r->end - r->p))
			return -EINVAL;
		uint8_t kv = *r->p++;
		uint8_t kt = kv >> 4, vt = kv & 0x0f;
		r->depth++;
		for (uint64_t k = 0; k < size; k++) {
			for (int j = 0; j < 2; j++) {
				uint8_t t = j == 0 ? kt : vt;
				int rc = (t == SL_TC_TRUE || t == SL_TC_FALSE)
						 ? (r->p < r->end ? (r->p++, 0) : -EINVAL)
						 : sl_tc_skip(r, t);
				if (rc < 0)
					return rc;
			}
		}
		r->depth--;
		return 0;
	}
	case SL_TC_STRUCT: {
		if (sl_tc_struct_begin(r, type) < 0)
			return -EINVAL;
		int16_t last = 0, id;
		uint8_t ft;
		int rc;
		while ((rc = sl_tc_field(r, &last, &id, &ft)) == 1)
			if (sl_tc_skip(r, ft) < 0)
				return -EINVAL;
		if (rc < 0)
			return rc;
		sl_tc_struct_end(r);
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/* ------------------------------------------------------------------ */
/* writer                                                              */

void sl_tcw_init(struct sl_tcw *w)
{
	memset(w, 0, sizeof(*w));
}

void sl_tcw_free(struct sl_tcw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void sl_tcw_raw(struct sl_tcw *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *nb = realloc(w->buf, cap);
		if (nb == NULL) {
			w->err = -ENOMEM;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	if (n > 0)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put_byte(struct sl_tcw *w, uint8_t b)
{
	sl_tcw_raw(w, &b, 1);
}

void sl_tcw_uvarint(struct sl_tcw *w, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;
	do {
		b[n] = v & 0x7f;
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	sl_tcw_raw(w, b, n);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

void sl_tcw_field(struct sl_tcw *w, int16_t id, uint8_t type)
{
	int16_t *last = &w->last[w->depth];
	int delta = id - *last;
	if (delta > 0 && delta <= 15) {
		put_byte(w, (uint8_t)(delta << 4 | type));
	} else {
		put_byte(w, type);
		sl_tcw_uvarint(w, zigzag(id));
	}
	*last = id;
}

void sl_tcw_i32(struct sl_tcw *w, int16_t id, int32_t v)
{
	sl_tcw_field(w, id, SL_TC_I32);
	sl_tcw_uvarint(w, zigzag(v));
}

void sl_tcw_i64(struct sl_tcw *w, int16_t id, int64_t v)
{
	sl_tcw_field(w, id, SL_TC_I64);
	sl_tcw_uvarint(w, zigzag(v));
}

void sl_tcw_bool(struct sl_tcw *w, int16_t id, bool v)
{
	sl_tcw_field(w, id, v ? SL_TC_TRUE : SL_TC_FALSE);
}

void sl_tcw_binary(struct sl_tcw *w, int16_t id, const void *p, uint32_t n)
{
	sl_tcw_field(w, id, SL_TC_BINARY);
	sl_tcw_list_binary(w, p, n);
}

void sl_tcw_list(struct sl_tcw *w, int16_t id, uint8_t etype, uint32_t n)
{
	sl_tcw_field(w, id, SL_TC_LIST);
	if (n < 15) {
		put_byte(w, (uint8_t)(n << 4 | etype));
	} else {
		put_byte(w, (uint8_t)(0xf0 | etype));
		sl_tcw_uvarint(w, n);
	}
}

void sl_tcw_list_i32(struct sl_tcw *w, int32_t v)
{
	sl_tcw_uvarint(w, zigzag(v));
}

void sl_tcw_list_binary(struct sl_tcw *w, const void *p, uint32_t n)
{
	sl_tcw_uvarint(w, n);
	sl_tcw_raw(w, p, n);
}

static void push(struct sl_tcw *w)
{
	if (w->depth + 1 >= SL_TC_MAX_DEPTH) {
		w->err = -EINVAL;
		return;
	}
	w->last[++w->depth] = 0;
}

void sl_tcw_struct(struct sl_tcw *w, int16_t id)
{
	sl_tcw_field(w, id, SL_TC_STRUCT);
	push(w);
}

void sl_tcw_list_struct(struct sl_tcw *w)
{
	push(w);
}

void sl_tcw_end(struct sl_tcw *w)
{
	put_byte(w, SL_TC_STOP);
	if (w->depth > 0)
		w->depth--;
}
