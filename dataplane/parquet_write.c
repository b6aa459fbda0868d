/*
 * parquet_write.c — writing one Parquet file from rows of sluice columns
 * (parquet.h: sl_pq_write), for the file and table sinks.
 *
 * What is written (readable by any Parquet reader; checked against DuckDB
 * by tests/integration/parquet_sink.sh):
 *  - every column OPTIONAL (definition levels, RLE runs, width 1), flat;
 *  - types: BOOLEAN -> BOOLEAN; INT -> INT32; BIGINT -> INT64; DOUBLE ->
 *    DOUBLE; STRING -> BYTE_ARRAY STRING (UTF8); BINARY -> BYTE_ARRAY;
 *    TIMESTAMP -> INT64 TIMESTAMP(MICROS, isAdjustedToUTC = true), as
 *    Spark writes with outputTimestampType = TIMESTAMP_MICROS;
 *  - values PLAIN in data pages v1 of at most PAGE_ROWS rows, each page
 *    compressed with the codec (UNCOMPRESSED, SNAPPY, GZIP, ZSTD);
 *  - row groups of about row_group_bytes of uncompressed values (at least
 *    one row each);
 *  - per column chunk: num_values, sizes, offsets, and Statistics:
 *    null_count, and min_value / max_value in the type's order (signed
 *    integers, doubles without NaN with a zero min written -0.0 and a zero
 *    max +0.0 as the format asks, false < true, strings and binaries by
 *    unsigned bytes; none when every value is NULL or NaN, nor for a
 *    string chunk whose min or max is over STAT_MAX_BYTES bytes);
 *  - per file: the schema, num_rows, created_by "sluice <version>", and
 *    column_orders (TYPE_ORDER for every column: what lets a reader trust
 *    min_value / max_value).
 * The whole file is built in the writer's buffer (a sink writes it out,
 * then fsyncs); the buffers are kept for the next file.
 */
#include "parquet.h"
#include "parquet_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_config.h"

#define PAGE_ROWS 20000
/* A string chunk's min and max are written up to this many bytes each
 * (longer: no min / max, rather than a truncated bound). */
#define STAT_MAX_BYTES 64

/* A column chunk's statistics while it is written. */
struct wstats {
	uint64_t nulls;
	bool has; /* min, max of the values so far (NaNs left out) */
	union wv {
		int64_t i;
		double d;
		struct sl_str s;
	} min, max;
};

struct sl_pq_writer {
	struct sl_tcw out;   /* the file */
	struct sl_tcw page;  /* one page's levels and values, uncompressed */
	struct sl_tcw hdr;   /* a page header */
	uint8_t *z;          /* a page compressed */
	size_t zcap;
	/* per row group, per column: where its chunk is and how big */
	struct wchunk {
		uint64_t off;
		uint64_t usize, csize;
		uint64_t nvals;
		struct wstats st;
	} *chunks;
	size_t chunks_cap;
	struct wrg {
		uint64_t rows, bytes;
	} *rgs;
	size_t rgs_cap;
};

struct sl_pq_writer *sl_pq_writer_create(void)
{
	struct sl_pq_writer *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	sl_tcw_init(&w->out);
	sl_tcw_init(&w->page);
	sl_tcw_init(&w->hdr);
	return w;
}

void sl_pq_writer_destroy(struct sl_pq_writer *w)
{
	if (w == NULL)
		return;
	sl_tcw_free(&w->out);
	sl_tcw_free(&w->page);
	sl_tcw_free(&w->hdr);
	free(w->z);
	free(w->chunks);
	free(w->rgs);
	free(w);
}

bool sl_pq_writes_type(enum sl_type t)
{
	return t == SL_TYPE_BOOLEAN || t == SL_TYPE_INT || t == SL_TYPE_BIGINT ||
	       t == SL_TYPE_DOUBLE || t == SL_TYPE_STRING || t == SL_TYPE_BINARY ||
	       t == SL_TYPE_TIMESTAMP;
}

static void put_u32(struct sl_tcw *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	sl_tcw_raw(b, x, 4);
}

/* Bytes one value takes uncompressed (for the row group size). */
static uint64_t value_bytes(const struct sl_vec *v, uint32_t row)
{
	if (sl_vec_is_null(v, row))
		return 0;
	switch (v->type) {
	case SL_TYPE_BOOLEAN:
		return 1;
	case SL_TYPE_INT:
		return 4;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		return 4 + (uint64_t)v->v.str[row].len;
	default:
		return 8;
	}
}

static int ptype_of(enum sl_type t)
{
	switch (t) {
	case SL_TYPE_BOOLEAN: return 0;
	case SL_TYPE_INT: return 1;
	case SL_TYPE_DOUBLE: return 5;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY: return 6;
	default: return 2; /* BIGINT, TIMESTAMP */
	}
}

/* a - b in unsigned byte order, a shorter prefix first. */
static int str_cmp(struct sl_str a, struct sl_str b)
{
	uint32_t m = a.len < b.len ? a.len : b.len;
	int c = m > 0 ? memcmp(a.ptr, b.ptr, m) : 0;
	return c != 0 ? c : (a.len > b.len) - (a.len < b.len);
}

/* Row r's value (not NULL) into the chunk's min and max. */
static inline void stats_add(struct wstats *st, const struct sl_vec *v, uint32_t r)
{
	switch (v->type) {
	case SL_TYPE_DOUBLE: {
		double d = v->v.f64[r];
		if (d != d)
			return; /* NaN: left out, as the format asks */
		if (!st->has || d < st->min.d)
			st->min.d = d;
		if (!st->has || d > st->max.d)
			st->max.d = d;
		break;
	}
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY: {
		struct sl_str x = v->v.str[r];
		if (!st->has || str_cmp(x, st->min.s) < 0)
			st->min.s = x;
		if (!st->has || str_cmp(x, st->max.s) > 0)
			st->max.s = x;
		break;
	}
	case SL_TYPE_BOOLEAN: {
		int64_t b = v->v.b[r] != 0;
		if (!st->has || b < st->min.i)
			st->min.i = b;
		if (!st->has || b > st->max.i)
			st->max.i = b;
		break;
	}
	default: {
		int64_t i = v->v.i64[r];
		if (!st->has || i < st->min.i)
			st->min.i = i;
		if (!st->has || i > st->max.i)
			st->max.i = i;
		break;
	}
	}
	st->has = true;
}

/* One bound as PLAIN bytes into b (at least 8 bytes); its length, or -1
 * when it is not written (a string over STAT_MAX_BYTES). */
static int stat_bytes(enum sl_type t, const union wv *x, bool is_max, uint8_t *b,
		      const uint8_t **out)
{
	*out = b;
	switch (t) {
	case SL_TYPE_BOOLEAN:
		b[0] = (uint8_t)x->i;
		return 1;
	case SL_TYPE_INT: {
		uint32_t u = (uint32_t)(int32_t)x->i;
		for (int k = 0; k < 4; k++)
			b[k] = (uint8_t)(u >> (8 * k));
		return 4;
	}
	case SL_TYPE_DOUBLE: {
		/* a zero bound: -0.0 as the min, +0.0 as the max, whichever
		 * zero the values held (readers compare -0.0 == +0.0) */
		double d = x->d == 0 ? (is_max ? 0.0 : -0.0) : x->d;
		memcpy(b, &d, 8);
		return 8;
	}
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		if (x->s.len > STAT_MAX_BYTES)
			return -1;
		*out = (const uint8_t *)x->s.ptr;
		return (int)x->s.len;
	default: {
		uint64_t u = (uint64_t)x->i;
		for (int k = 0; k < 8; k++)
			b[k] = (uint8_t)(u >> (8 * k));
		return 8;
	}
	}
}

/* ColumnMetaData.statistics (field 12). */
static void write_stats(struct sl_tcw *o, enum sl_type t, const struct wstats *st)
{
	sl_tcw_struct(o, 12);
	sl_tcw_i64(o, 3, (int64_t)st->nulls);
	if (st->has) {
		uint8_t bmin[8], bmax[8];
		const uint8_t *pmin, *pmax;
		int nmin = stat_bytes(t, &st->min, false, bmin, &pmin);
		int nmax = stat_bytes(t, &st->max, true, bmax, &pmax);
		if (nmin >= 0 && nmax >= 0) {
			sl_tcw_binary(o, 5, pmax, (uint32_t)nmax);
			sl_tcw_binary(o, 6, pmin, (uint32_t)nmin);
		}
	}
	sl_tcw_end(o);
}

/* One data page of rows[from, to) of column v into w->out. */
static int write_page(struct sl_pq_writer *w, const struct sl_vec *v, const uint32_t *rows,
		      uint32_t from, uint32_t to, int codec, struct wchunk *ch)
{
	struct sl_tcw *p = &w->page;
	p->len = 0;
	/* definition levels: runs of equal levels, RLE, width 1 */
	put_u32(p, 0);
	size_t lv_start = p->len;
	uint32_t i = from;
	while (i < to) {
		bool null = sl_vec_is_null(v, rows[i]);
		uint32_t j = i + 1;
		while (j < to && sl_vec_is_null(v, rows[j]) == null)
			j++;
		sl_tcw_uvarint(p, (uint64_t)(j - i) << 1);
		if (null)
			ch->st.nulls += j - i;
		uint8_t lvl = null ? 0 : 1;
		sl_tcw_raw(p, &lvl, 1);
		i = j;
	}
	uint32_t lv_len = (uint32_t)(p->len - lv_start);
	if (p->buf != NULL) {
		p->buf[lv_start - 4] = (uint8_t)lv_len;
		p->buf[lv_start - 3] = (uint8_t)(lv_len >> 8);
		p->buf[lv_start - 2] = (uint8_t)(lv_len >> 16);
		p->buf[lv_start - 1] = (uint8_t)(lv_len >> 24);
	}
	/* values, PLAIN */
	uint8_t bits = 0;
	unsigned nb = 0;
	for (i = from; i < to; i++) {
		uint32_t r = rows[i];
		if (sl_vec_is_null(v, r))
			continue;
		stats_add(&ch->st, v, r);
		switch (v->type) {
		case SL_TYPE_BOOLEAN:
			if (v->v.b[r])
				bits |= (uint8_t)(1u << nb);
			if (++nb == 8) {
				sl_tcw_raw(p, &bits, 1);
				bits = 0;
				nb = 0;
			}
			break;
		case SL_TYPE_INT:
			put_u32(p, (uint32_t)(int32_t)v->v.i64[r]);
			break;
		case SL_TYPE_DOUBLE:
			sl_tcw_raw(p, &v->v.f64[r], 8);
			break;
		case SL_TYPE_STRING:
		case SL_TYPE_BINARY:
			put_u32(p, v->v.str[r].len);
			sl_tcw_raw(p, v->v.str[r].ptr, v->v.str[r].len);
			break;
		default:
			sl_tcw_raw(p, &v->v.i64[r], 8);
			break;
		}
	}
	if (nb > 0)
		sl_tcw_raw(p, &bits, 1);
	if (p->err)
		return p->err;
	if (p->len > INT32_MAX)
		return -EFBIG;
	long zn = sl_pq_compress(codec, p->buf, p->len, &w->z, &w->zcap);
	if (zn < 0)
		return (int)zn;
	struct sl_tcw *h = &w->hdr;
	h->len = 0;
	h->depth = 0;
	h->last[0] = 0;
	sl_tcw_i32(h, 1, 0); /* DATA_PAGE */
	sl_tcw_i32(h, 2, (int32_t)p->len);
	sl_tcw_i32(h, 3, (int32_t)zn);
	sl_tcw_struct(h, 5);
	sl_tcw_i32(h, 1, (int32_t)(to - from));
	sl_tcw_i32(h, 2, 0); /* PLAIN */
	sl_tcw_i32(h, 3, 3); /* RLE */
	sl_tcw_i32(h, 4, 3);
	sl_tcw_end(h);
	sl_tcw_end(h);
	if (h->err)
		return h->err;
	sl_tcw_raw(&w->out, h->buf, h->len);
	sl_tcw_raw(&w->out, w->z, (size_t)zn);
	ch->usize += h->len + p->len;
	ch->csize += h->len + (uint64_t)zn;
	ch->nvals += to - from;
	return w->out.err;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (*cap >= need)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
	while (c < need)
		c *= 2;
	void *np = realloc(*p, c * size);
	if (np == NULL)
		return -ENOMEM;
	*p = np;
	*cap = c;
	return 0;
}

int sl_pq_write(struct sl_pq_writer *w, const struct sl_pq_wcol *cols, uint32_t ncols,
		const uint32_t *rows, uint32_t nrows, int codec, uint64_t row_group_bytes,
		const uint8_t **out, size_t *outlen)
{
	struct sl_tcw *o = &w->out;
	o->len = 0;
	o->err = 0;
	o->depth = 0;
	o->last[0] = 0;
	w->page.err = w->hdr.err = 0;
	if (ncols == 0)
		return -EINVAL;
	for (uint32_t c = 0; c < ncols; c++)
		if (!sl_pq_writes_type(cols[c].vec->type))
			return -ENOTSUP;
	sl_tcw_raw(o, "PAR1", 4);
	uint32_t nrg = 0;
	uint32_t at = 0;
	while (at < nrows || (nrows == 0 && nrg == 0)) {
		/* the row group: rows until about row_group_bytes */
		uint32_t end = at;
		uint64_t bytes = 0;
		while (end < nrows && (end == at || bytes < row_group_bytes)) {
			for (uint32_t c = 0; c < ncols; c++)
				bytes += value_bytes(cols[c].vec, rows[end]);
			end++;
		}
		if (grow((void **)&w->rgs, &w->rgs_cap, nrg + 1, sizeof(*w->rgs)) < 0 ||
		    grow((void **)&w->chunks, &w->chunks_cap, (size_t)(nrg + 1) * ncols,
			 sizeof(*w->chunks)) < 0)
			return -ENOMEM;
		w->rgs[nrg] = (struct wrg){.rows = end - at, .bytes = bytes};
		for (uint32_t c = 0; c < ncols; c++) {
			struct wchunk *ch = &w->chunks[(size_t)nrg * ncols + c];
			*ch = (struct wchunk){.off = o->len};
			for (uint32_t p = at; p < end || (p == at && end == at); p += PAGE_ROWS) {
				uint32_t pe = end - p < PAGE_ROWS ? end : p + PAGE_ROWS;
				int rc = write_page(w, cols[c].vec, rows, p, pe, codec, ch);
				if (rc < 0)
					return rc;
				if (end == at)
					break;
			}
		}
		nrg++;
		at = end;
	}
	/* FileMetaData */
	size_t foot = o->len;
	sl_tcw_i32(o, 1, 1);
	sl_tcw_list(o, 2, SL_TC_STRUCT, ncols + 1);
	sl_tcw_list_struct(o);
	sl_tcw_binary(o, 4, "spark_schema", 12);
	sl_tcw_i32(o, 5, (int32_t)ncols);
	sl_tcw_end(o);
	for (uint32_t c = 0; c < ncols; c++) {
		enum sl_type t = cols[c].vec->type;
		sl_tcw_list_struct(o);
		sl_tcw_i32(o, 1, ptype_of(t));
		sl_tcw_i32(o, 3, 1); /* OPTIONAL */
		sl_tcw_binary(o, 4, cols[c].name, (uint32_t)strlen(cols[c].name));
		if (t == SL_TYPE_STRING) {
			sl_tcw_i32(o, 6, 0); /* UTF8 */
			sl_tcw_struct(o, 10);
			sl_tcw_struct(o, 1); /* STRING */
			sl_tcw_end(o);
			sl_tcw_end(o);
		} else if (t == SL_TYPE_TIMESTAMP) {
			sl_tcw_i32(o, 6, 10); /* TIMESTAMP_MICROS */
			sl_tcw_struct(o, 10);
			sl_tcw_struct(o, 8); /* TIMESTAMP */
			sl_tcw_bool(o, 1, true);
			sl_tcw_struct(o, 2);
			sl_tcw_struct(o, 2); /* MICROS */
			sl_tcw_end(o);
			sl_tcw_end(o);
			sl_tcw_end(o);
			sl_tcw_end(o);
		}
		sl_tcw_end(o);
	}
	sl_tcw_i64(o, 3, nrows);
	sl_tcw_list(o, 4, SL_TC_STRUCT, nrg);
	for (uint32_t g = 0; g < nrg; g++) {
		sl_tcw_list_struct(o);
		sl_tcw_list(o, 1, SL_TC_STRUCT, ncols);
		uint64_t total = 0, ctotal = 0;
		for (uint32_t c = 0; c < ncols; c++) {
			const struct wchunk *ch = &w->chunks[(size_t)g * ncols + c];
			total += ch->usize;
			ctotal += ch->csize;
			sl_tcw_list_struct(o);
			sl_tcw_i64(o, 2, (int64_t)ch->off);
			sl_tcw_struct(o, 3);
			sl_tcw_i32(o, 1, ptype_of(cols[c].vec->type));
			sl_tcw_list(o, 2, SL_TC_I32, 2);
			sl_tcw_list_i32(o, 0); /* PLAIN */
			sl_tcw_list_i32(o, 3); /* RLE (levels) */
			sl_tcw_list(o, 3, SL_TC_BINARY, 1);
			sl_tcw_list_binary(o, cols[c].name, (uint32_t)strlen(cols[c].name));
			sl_tcw_i32(o, 4, codec);
			sl_tcw_i64(o, 5, (int64_t)ch->nvals);
			sl_tcw_i64(o, 6, (int64_t)ch->usize);
			sl_tcw_i64(o, 7, (int64_t)ch->csize);
			sl_tcw_i64(o, 9, (int64_t)ch->off);
			write_stats(o, cols[c].vec->type, &ch->st);
			sl_tcw_end(o);
			sl_tcw_end(o);
		}
		sl_tcw_i64(o, 2, (int64_t)total);
		sl_tcw_i64(o, 3, (int64_t)w->rgs[g].rows);
		sl_tcw_i64(o, 5, (int64_t)w->chunks[(size_t)g * ncols].off);
		sl_tcw_i64(o, 6, (int64_t)ctotal);
		sl_tcw_end(o);
	}
	static const char created[] = "sluice version " SL_VERSION;
	sl_tcw_binary(o, 6, created, sizeof(created) - 1);
	/* column_orders: every column in its type's order (TypeDefinedOrder) */
	sl_tcw_list(o, 7, SL_TC_STRUCT, ncols);
	for (uint32_t c = 0; c < ncols; c++) {
		sl_tcw_list_struct(o);
		sl_tcw_struct(o, 1);
		sl_tcw_end(o);
		sl_tcw_end(o);
	}
	sl_tcw_end(o);
	size_t flen = o->len - foot;
	put_u32(o, (uint32_t)flen);
	sl_tcw_raw(o, "PAR1", 4);
	if (o->err)
		return o->err;
	*out = o->buf;
	*outlen = o->len;
	return 0;
}
