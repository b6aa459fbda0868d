/*
 * test_parquet.c — the Parquet reader (dataplane/parquet.h, parquet_int.h):
 * the Thrift compact protocol, the RLE / bit-packing hybrid, DELTA_BINARY_PACKED
 * (the specification's own examples), the codecs, and one-column files built
 * here byte by byte for each encoding, page kind and type conversion; then
 * bad input: every truncation and every corrupted byte of a file, a
 * dictionary index out of range, an unsupported encoding and codec; a
 * column bound unread (no byte of it read, its corrupt chunk harmless);
 * the row-group skipping decision from Statistics per type and op.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <lz4.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "parquet.h"
#include "parquet_int.h"

/* ------------------------------------------------------------------ */
/* Thrift compact protocol                                             */

/* struct { 1: i32 -5, 20: i32 7 (long form), 21: true, 22: binary "abc",
 * 23: list<i32> [1, 2, 3], 24: struct { 1: i64 300 } } */
static const uint8_t tc_struct[] = {
	0x15, 0x09,                   /* field 1 (delta 1), i32, zigzag(-5) = 9 */
	0x05, 0x28, 0x0e,             /* field 20 long form: type i32, zigzag id 40, value 7 */
	0x11,                         /* field 21 (delta 1) true */
	0x18, 0x03, 'a', 'b', 'c',    /* field 22 binary */
	0x19, 0x35, 0x02, 0x04, 0x06, /* field 23 list of 3 i32: 1, 2, 3 */
	0x1c, 0x16, 0xd8, 0x04, 0x00, /* field 24 struct { 1: i64 300 } */
	0x00,
};

static int read_tc_struct(const uint8_t *p, size_t n, int64_t got[6])
{
	struct sl_tc r = {.p = p, .end = p + n};
	int16_t last = 0, id;
	uint8_t t;
	int rc;
	while ((rc = sl_tc_field(&r, &last, &id, &t)) == 1) {
		const uint8_t *b;
		uint32_t len;
		uint8_t et;
		switch (id) {
		case 1:
			if (sl_tc_int(&r, t, &got[0]) < 0)
				return -EINVAL;
			break;
		case 20:
			if (sl_tc_int(&r, t, &got[1]) < 0)
				return -EINVAL;
			break;
		case 21:
			got[2] = t == SL_TC_TRUE;
			break;
		case 22:
			if (sl_tc_binary(&r, t, &b, &len) < 0)
				return -EINVAL;
			got[3] = len == 3 && memcmp(b, "abc", 3) == 0;
			break;
		case 23:
			if (sl_tc_list(&r, t, &et, &len) < 0)
				return -EINVAL;
			got[4] = 0;
			for (uint32_t k = 0; k < len; k++) {
				int64_t v;
				if (sl_tc_int(&r, et, &v) < 0)
					return -EINVAL;
				got[4] = got[4] * 10 + v;
			}
			break;
		default:
			if (sl_tc_skip(&r, t) < 0)
				return -EINVAL;
			got[5] = id;
		}
	}
	return rc;
}

Test(parquet, thrift_reads_fields_of_every_kind)
{
	int64_t got[6] = {0};
	cr_assert_eq(read_tc_struct(tc_struct, sizeof(tc_struct), got), 0);
	cr_assert_eq(got[0], -5);
	cr_assert_eq(got[1], 7);
	cr_assert_eq(got[2], 1);
	cr_assert_eq(got[3], 1);
	cr_assert_eq(got[4], 123);
	cr_assert_eq(got[5], 24); /* the nested struct skipped whole */
}

Test(parquet, thrift_refuses_every_truncation)
{
	for (size_t n = 0; n < sizeof(tc_struct); n++) {
		uint8_t *p = malloc(n ? n : 1); /* exact size: ASan sees any overread */
		memcpy(p, tc_struct, n);
		int64_t got[6] = {0};
		cr_assert_lt(read_tc_struct(p, n, got), 0, "prefix of %zu bytes accepted", n);
		free(p);
	}
}

Test(parquet, thrift_limits_nesting)
{
	uint8_t deep[80];
	memset(deep, 0x1c, 40); /* 40 nested structs, field 1 each */
	memset(deep + 40, 0x00, 40);
	struct sl_tc r = {.p = deep, .end = deep + sizeof(deep)};
	cr_assert_lt(sl_tc_skip(&r, SL_TC_STRUCT), 0);
	/* a list claiming more elements than bytes left */
	const uint8_t big[] = {0xf5, 0xff, 0xff, 0xff, 0x0f};
	struct sl_tc r2 = {.p = big, .end = big + sizeof(big)};
	uint8_t et;
	uint32_t n;
	cr_assert_lt(sl_tc_list(&r2, SL_TC_LIST, &et, &n), 0);
}

Test(parquet, thrift_writer_round_trip)
{
	struct sl_tcw w;
	sl_tcw_init(&w);
	sl_tcw_i32(&w, 1, -5);
	sl_tcw_i32(&w, 20, 7);
	sl_tcw_bool(&w, 21, true);
	sl_tcw_binary(&w, 22, "abc", 3);
	sl_tcw_list(&w, 23, SL_TC_I32, 3);
	sl_tcw_list_i32(&w, 1);
	sl_tcw_list_i32(&w, 2);
	sl_tcw_list_i32(&w, 3);
	sl_tcw_struct(&w, 24);
	sl_tcw_i64(&w, 1, 300);
	sl_tcw_end(&w);
	sl_tcw_end(&w);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.len, sizeof(tc_struct));
	cr_assert_arr_eq(w.buf, tc_struct, sizeof(tc_struct));
	sl_tcw_free(&w);
}

/* ------------------------------------------------------------------ */
/* RLE / bit-packing hybrid, DELTA_BINARY_PACKED                        */

Test(parquet, rle_bit_packed_run_of_the_spec)
{
	/* the specification's example: 0..7 bit-packed with width 3 */
	const uint8_t p[] = {0x03, 0x88, 0xc6, 0xfa};
	uint32_t out[8];
	cr_assert_eq(sl_pq_rle_decode(p, sizeof(p), 3, out, 8), 0);
	for (uint32_t i = 0; i < 8; i++)
		cr_assert_eq(out[i], i);
}

Test(parquet, rle_repeated_runs)
{
	const uint8_t p[] = {0x0a, 0x05, 0x06, 0x2c, 0x01};
	uint32_t out[5];
	cr_assert_eq(sl_pq_rle_decode(p, 2, 3, out, 5), 0);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(out[i], 5);
	/* width 9: the value takes two bytes */
	cr_assert_eq(sl_pq_rle_decode(p + 2, 3, 9, out, 3), 0);
	cr_assert_eq(out[2], 300);
	/* a value wider than the width is corrupt */
	const uint8_t wide[] = {0x02, 0x09};
	cr_assert_lt(sl_pq_rle_decode(wide, 2, 3, out, 1), 0);
}

Test(parquet, rle_refuses_short_runs)
{
	const uint8_t two_groups[] = {0x05, 0x88, 0xc6, 0xfa}; /* 2 groups, bytes of one */
	uint32_t out[16];
	cr_assert_lt(sl_pq_rle_decode(two_groups, sizeof(two_groups), 3, out, 16), 0);
	const uint8_t p[] = {0x0a, 0x05};
	cr_assert_lt(sl_pq_rle_decode(p, sizeof(p), 3, out, 6), 0); /* 5 values, 6 wanted */
	cr_assert_lt(sl_pq_rle_decode(p, 1, 3, out, 1), 0);         /* value byte missing */
}

Test(parquet, delta_binary_packed_examples_of_the_spec)
{
	/* 1 2 3 4 5: deltas all 1, bit width 0 */
	const uint8_t a[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00};
	int64_t out[8];
	size_t used;
	cr_assert_eq(sl_pq_delta_decode(a, sizeof(a), out, 5, &used), 0);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(out[i], i + 1);
	cr_assert_eq(used, sizeof(a));
	/* 7 5 3 1 2 3 4 5: min delta -2, width 2 */
	uint8_t b[64] = {0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0x00, 0x00, 0x00, 0xc0, 0x3f};
	size_t blen = 10 + 8;
	const int64_t want[] = {7, 5, 3, 1, 2, 3, 4, 5};
	cr_assert_eq(sl_pq_delta_decode(b, blen, out, 8, &used), 0);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(out[i], want[i], "value %d: %ld", i, (long)out[i]);
	cr_assert_eq(used, blen);
	/* truncated miniblock */
	cr_assert_lt(sl_pq_delta_decode(b, blen - 1, out, 8, &used), 0);
	/* more values asked than the header has */
	cr_assert_lt(sl_pq_delta_decode(b, blen, out, 9, &used), 0);
}

/* ------------------------------------------------------------------ */
/* codecs                                                              */

Test(parquet, codecs_round_trip_and_refuse_wrong_sizes)
{
	uint8_t in[5000];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i % 13 == 0 ? i : 'a' + i % 3);
	const int codecs[] = {SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_ZSTD};
	for (size_t k = 0; k < 4; k++) {
		uint8_t *c = NULL;
		size_t cap = 0;
		long n = sl_pq_compress(codecs[k], in, sizeof(in), &c, &cap);
		cr_assert_gt(n, 0, "codec %d", codecs[k]);
		uint8_t out[5000];
		cr_assert_eq(sl_pq_decompress(codecs[k], c, (size_t)n, out, sizeof(out)), 0);
		cr_assert_arr_eq(out, in, sizeof(in));
		uint8_t small[4999];
		cr_assert_lt(sl_pq_decompress(codecs[k], c, (size_t)n, small, sizeof(small)), 0,
			     "codec %d accepted a wrong size", codecs[k]);
		if (n > 8)
			cr_assert_lt(sl_pq_decompress(codecs[k], c, (size_t)n / 2, out, sizeof(out)), 0);
		free(c);
	}
	char lz[LZ4_COMPRESSBOUND(5000)];
	int ln = LZ4_compress_default((const char *)in, lz, sizeof(in), sizeof(lz));
	uint8_t out[5000];
	cr_assert_eq(sl_pq_decompress(SL_PQ_LZ4_RAW, (uint8_t *)lz, (size_t)ln, out, sizeof(out)), 0);
	cr_assert_arr_eq(out, in, sizeof(in));
	cr_assert_eq(sl_pq_decompress(SL_PQ_LZO, (uint8_t *)lz, (size_t)ln, out, sizeof(out)), -ENOTSUP);
	cr_assert_eq(sl_pq_decompress(SL_PQ_BROTLI, (uint8_t *)lz, (size_t)ln, out, sizeof(out)),
		     -ENOTSUP);
}

/* ------------------------------------------------------------------ */
/* one-column files, built here                                        */

enum { PT_BOOLEAN, PT_INT32, PT_INT64, PT_INT96, PT_FLOAT, PT_DOUBLE, PT_BYTE_ARRAY, PT_FLBA };

struct col_spec {
	const char *name;
	int ptype;
	int rep;       /* 0 required, 1 optional */
	int conv;      /* ConvertedType, -1 none */
	int type_len;
	int scale, precision;
	int ts_unit;   /* LogicalType TIMESTAMP with this unit (1 ms, 2 us, 3 ns); 0 none */
};

struct page {
	int type;       /* 0 data v1, 2 dictionary, 3 data v2 */
	int enc;
	int32_t nvals;  /* rows (data), entries (dictionary) */
	const uint8_t *lv; /* definition levels, RLE hybrid (no length prefix) */
	size_t lvlen;
	const uint8_t *v;
	size_t vlen;
	int codec;      /* -1: the file's */
};

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(b, x, 4);
}

/* Statistics make_file writes into its column chunk when on, and
 * whether it writes FileMetaData.column_orders (TYPE_ORDER). */
struct stats_spec {
	bool on;
	bool has_nulls;
	int64_t nulls;
	const void *min, *max, *dmin, *dmax; /* NULL: not written */
	uint32_t min_len, max_len, dmin_len, dmax_len;
	bool type_order;
};
static struct stats_spec g_stats;

/* The file: PAR1, the pages, FileMetaData, its length, PAR1. */
static struct buf make_file(const struct col_spec *c, const struct page *pages, int np,
			    int64_t rows, int codec)
{
	struct buf f = {0};
	put(&f, "PAR1", 4);
	uint64_t dict_off = 0, data_off = 0;
	int64_t usum = 0, num_values = 0;
	for (int i = 0; i < np; i++) {
		const struct page *pg = &pages[i];
		int pc = pg->codec >= 0 ? pg->codec : codec;
		struct buf body = {0};
		struct buf raw = {0};
		if (pg->type == 0 && pg->lv != NULL) {
			put_u32(&raw, (uint32_t)pg->lvlen);
			put(&raw, pg->lv, pg->lvlen);
		}
		if (pg->type == 3 && pg->lv != NULL)
			put(&body, pg->lv, pg->lvlen); /* v2 levels: uncompressed */
		put(&raw, pg->v, pg->vlen);
		uint8_t *cz = NULL;
		size_t cap = 0;
		long cn = sl_pq_compress(pc, raw.p, raw.n, &cz, &cap);
		cr_assert_geq(cn, 0);
		put(&body, cz, (size_t)cn);
		free(cz);
		int32_t usize = (int32_t)(raw.n + (pg->type == 3 ? pg->lvlen : 0));
		struct sl_tcw w;
		sl_tcw_init(&w);
		sl_tcw_i32(&w, 1, pg->type);
		sl_tcw_i32(&w, 2, usize);
		sl_tcw_i32(&w, 3, (int32_t)body.n);
		if (pg->type == 0) {
			sl_tcw_struct(&w, 5);
			sl_tcw_i32(&w, 1, pg->nvals);
			sl_tcw_i32(&w, 2, pg->enc);
			sl_tcw_i32(&w, 3, 3);
			sl_tcw_i32(&w, 4, 3);
			sl_tcw_end(&w);
			num_values += pg->nvals;
		} else if (pg->type == 2) {
			sl_tcw_struct(&w, 7);
			sl_tcw_i32(&w, 1, pg->nvals);
			sl_tcw_i32(&w, 2, pg->enc);
			sl_tcw_end(&w);
		} else {
			sl_tcw_struct(&w, 8);
			sl_tcw_i32(&w, 1, pg->nvals);
			sl_tcw_i32(&w, 2, 0);
			sl_tcw_i32(&w, 3, pg->nvals);
			sl_tcw_i32(&w, 4, pg->enc);
			sl_tcw_i32(&w, 5, (int32_t)pg->lvlen);
			sl_tcw_i32(&w, 6, 0);
			sl_tcw_end(&w);
			num_values += pg->nvals;
		}
		sl_tcw_end(&w);
		if (pg->type == 2 && dict_off == 0)
			dict_off = f.n;
		if (pg->type != 2 && data_off == 0)
			data_off = f.n;
		usum += (int64_t)w.len + usize;
		put(&f, w.buf, w.len);
		put(&f, body.p, body.n);
		sl_tcw_free(&w);
		free(body.p);
		free(raw.p);
	}
	uint64_t chunk_len = f.n - (dict_off ? dict_off : data_off);
	struct sl_tcw w;
	sl_tcw_init(&w);
	sl_tcw_i32(&w, 1, 1);
	sl_tcw_list(&w, 2, SL_TC_STRUCT, 2);
	sl_tcw_list_struct(&w);
	sl_tcw_binary(&w, 4, "schema", 6);
	sl_tcw_i32(&w, 5, 1);
	sl_tcw_end(&w);
	sl_tcw_list_struct(&w);
	sl_tcw_i32(&w, 1, c->ptype);
	if (c->ptype == PT_FLBA)
		sl_tcw_i32(&w, 2, c->type_len);
	sl_tcw_i32(&w, 3, c->rep);
	sl_tcw_binary(&w, 4, c->name, (uint32_t)strlen(c->name));
	if (c->conv >= 0)
		sl_tcw_i32(&w, 6, c->conv);
	if (c->conv == 5) {
		sl_tcw_i32(&w, 7, c->scale);
		sl_tcw_i32(&w, 8, c->precision);
	}
	if (c->ts_unit) {
		sl_tcw_struct(&w, 10);   /* LogicalType */
		sl_tcw_struct(&w, 8);    /* TIMESTAMP */
		sl_tcw_bool(&w, 1, true);
		sl_tcw_struct(&w, 2);    /* TimeUnit */
		sl_tcw_struct(&w, (int16_t)c->ts_unit);
		sl_tcw_end(&w);
		sl_tcw_end(&w);
		sl_tcw_end(&w);
		sl_tcw_end(&w);
	}
	sl_tcw_end(&w);
	sl_tcw_i64(&w, 3, rows);
	sl_tcw_list(&w, 4, SL_TC_STRUCT, 1);
	sl_tcw_list_struct(&w);
	sl_tcw_list(&w, 1, SL_TC_STRUCT, 1);
	sl_tcw_list_struct(&w);
	sl_tcw_i64(&w, 2, (int64_t)(dict_off ? dict_off : data_off));
	sl_tcw_struct(&w, 3);
	sl_tcw_i32(&w, 1, c->ptype);
	sl_tcw_list(&w, 2, SL_TC_I32, 1);
	sl_tcw_list_i32(&w, 0);
	sl_tcw_list(&w, 3, SL_TC_BINARY, 1);
	sl_tcw_list_binary(&w, c->name, (uint32_t)strlen(c->name));
	sl_tcw_i32(&w, 4, codec);
	sl_tcw_i64(&w, 5, num_values);
	sl_tcw_i64(&w, 6, usum);
	sl_tcw_i64(&w, 7, (int64_t)chunk_len);
	sl_tcw_i64(&w, 9, (int64_t)data_off);
	if (dict_off)
		sl_tcw_i64(&w, 11, (int64_t)dict_off);
	if (g_stats.on) {
		sl_tcw_struct(&w, 12);
		if (g_stats.dmax != NULL)
			sl_tcw_binary(&w, 1, g_stats.dmax, g_stats.dmax_len);
		if (g_stats.dmin != NULL)
			sl_tcw_binary(&w, 2, g_stats.dmin, g_stats.dmin_len);
		if (g_stats.has_nulls)
			sl_tcw_i64(&w, 3, g_stats.nulls);
		if (g_stats.max != NULL)
			sl_tcw_binary(&w, 5, g_stats.max, g_stats.max_len);
		if (g_stats.min != NULL)
			sl_tcw_binary(&w, 6, g_stats.min, g_stats.min_len);
		sl_tcw_end(&w);
	}
	sl_tcw_end(&w);
	sl_tcw_end(&w);
	sl_tcw_i64(&w, 2, usum);
	sl_tcw_i64(&w, 3, rows);
	sl_tcw_end(&w);
	if (g_stats.type_order) {
		sl_tcw_list(&w, 7, SL_TC_STRUCT, 1);
		sl_tcw_list_struct(&w);
		sl_tcw_struct(&w, 1); /* TypeDefinedOrder {} */
		sl_tcw_end(&w);
		sl_tcw_end(&w);
	}
	sl_tcw_end(&w);
	cr_assert_eq(w.err, 0);
	put(&f, w.buf, w.len);
	put_u32(&f, (uint32_t)w.len);
	put(&f, "PAR1", 4);
	sl_tcw_free(&w);
	return f;
}

struct mem {
	const uint8_t *p;
	size_t n;
};

static int mem_read(void *ctx, void *buf, size_t n, uint64_t off)
{
	const struct mem *m = ctx;
	if (off > m->n || n > m->n - off)
		return -ENODATA;
	memcpy(buf, m->p + off, n);
	return 0;
}

#define MAXR 64

struct result {
	int rc;                /* 0, or the failing call's return */
	char err[512];
	uint32_t rows;
	uint8_t nulls[MAXR];
	union {
		int64_t i64[MAXR];
		double f64[MAXR];
		uint8_t b[MAXR];
		struct sl_str str[MAXR];
	} v;
};

/* Read column `name` of every row group as type t (in 5-row steps, so that
 * pages are crossed mid-read). */
static void read_col(const uint8_t *p, size_t n, const char *name, enum sl_type t,
		     struct result *res)
{
	memset(res, 0, sizeof(*res));
	struct mem m = {p, n};
	struct sl_pq_file *f = sl_pq_open(mem_read, &m, n, res->err, sizeof(res->err));
	if (f == NULL) {
		res->rc = -errno;
		return;
	}
	struct sl_pq_reader *r = sl_pq_reader_create(1);
	struct sl_vec col = {.type = t, .nulls = res->nulls};
	col.v.i64 = res->v.i64;
	struct sl_chunk out = {.ncols = 1, .cols = &col};
	const char *names[1] = {name};
	res->rc = sl_pq_reader_bind(r, f, names, &t, 1, res->err, sizeof(res->err));
	for (uint32_t g = 0; res->rc == 0 && g < sl_pq_row_groups(f); g++) {
		res->rc = sl_pq_reader_start(r, g, res->err, sizeof(res->err));
		int got;
		while (res->rc == 0 && res->rows < MAXR &&
		       (got = sl_pq_reader_read(r, &out, res->rows,
						MAXR - res->rows < 5 ? MAXR - res->rows : 5,
						res->err, sizeof(res->err))) != 0) {
			if (got < 0) {
				res->rc = got;
				break;
			}
			/* copy the bytes out: the next page replaces them */
			for (uint32_t i = res->rows; i < res->rows + (uint32_t)got; i++)
				if (sl_type_is_bytes(t) && !res->nulls[i]) {
					char *c = malloc(res->v.str[i].len + 1);
					memcpy(c, res->v.str[i].ptr, res->v.str[i].len);
					res->v.str[i].ptr = c;
				}
			res->rows += (uint32_t)got;
		}
	}
	if (res->rc != 0) /* what was copied goes */
		for (uint32_t i = 0; sl_type_is_bytes(t) && i < res->rows; i++)
			if (!res->nulls[i])
				free((void *)res->v.str[i].ptr);
	sl_pq_reader_destroy(r);
	sl_pq_close(f);
}

static void free_strs(struct result *res, enum sl_type t)
{
	for (uint32_t i = 0; sl_type_is_bytes(t) && res->rc == 0 && i < res->rows; i++)
		if (!res->nulls[i])
			free((void *)res->v.str[i].ptr);
}

/* optional INT32, defs 1 0 1 1 0 (bit-packed width 1), PLAIN 10 20 30 */
static const uint8_t opt_lv[] = {0x03, 0x0d};
static const uint8_t opt_vals[] = {10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0};
static const struct col_spec opt_col = {"x", PT_INT32, 1, -1, 0, 0, 0, 0};

Test(parquet, optional_int32_plain_v1_every_codec)
{
	const int codecs[] = {SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_ZSTD};
	for (int k = 0; k < 4; k++) {
		struct page pg = {0, 0, 5, opt_lv, sizeof(opt_lv), opt_vals, sizeof(opt_vals), -1};
		struct buf f = make_file(&opt_col, &pg, 1, 5, codecs[k]);
		struct result r;
		read_col(f.p, f.n, "X", SL_TYPE_BIGINT, &r); /* names match in any case */
		cr_assert_eq(r.rc, 0, "%s", r.err);
		cr_assert_eq(r.rows, 5);
		const int nul[] = {0, 1, 0, 0, 1};
		const int64_t want[] = {10, 0, 20, 30, 0};
		for (int i = 0; i < 5; i++) {
			cr_assert_eq(r.nulls[i], nul[i]);
			if (!nul[i])
				cr_assert_eq(r.v.i64[i], want[i]);
		}
		free(f.p);
	}
}

Test(parquet, missing_column_is_null)
{
	struct page pg = {0, 0, 5, opt_lv, sizeof(opt_lv), opt_vals, sizeof(opt_vals), -1};
	struct buf f = make_file(&opt_col, &pg, 1, 5, SL_PQ_UNCOMPRESSED);
	struct result r;
	read_col(f.p, f.n, "y", SL_TYPE_STRING, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.rows, 5);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(r.nulls[i], 1);
	free(f.p);
}

Test(parquet, dictionary_strings_over_two_pages)
{
	const uint8_t dict[] = {5, 0, 0, 0, 'a', 'p', 'p', 'l', 'e', 4, 0, 0, 0, 'k', 'i', 'w', 'i'};
	const uint8_t idx1[] = {1, 0x03, 0x05}; /* width 1: 1 0 1 */
	const uint8_t idx2[] = {1, 0x04, 0x00, 0x02, 0x01}; /* RLE: 0 0, then 1 */
	struct col_spec c = {"fruit", PT_BYTE_ARRAY, 0, 0 /* UTF8 */, 0, 0, 0, 0};
	struct page pages[] = {
		{2, 0, 2, NULL, 0, dict, sizeof(dict), -1},
		{0, 8, 3, NULL, 0, idx1, sizeof(idx1), -1},
		{0, 2, 3, NULL, 0, idx2, sizeof(idx2), -1},
	};
	struct buf f = make_file(&c, pages, 3, 6, SL_PQ_SNAPPY);
	struct result r;
	read_col(f.p, f.n, "fruit", SL_TYPE_STRING, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.rows, 6);
	const char *want[] = {"kiwi", "apple", "kiwi", "apple", "apple", "kiwi"};
	for (int i = 0; i < 6; i++) {
		cr_assert_eq(r.v.str[i].len, strlen(want[i]));
		cr_assert_eq(memcmp(r.v.str[i].ptr, want[i], r.v.str[i].len), 0, "row %d", i);
	}
	free_strs(&r, SL_TYPE_STRING);
	free(f.p);
}

/* A DELTA_BINARY_PACKED encoding of v[0..n) (one block of 128, 4 miniblocks). */
static size_t delta_encode(const int64_t *v, uint32_t n, uint8_t *out)
{
	size_t k = 0;
	out[k++] = 0x80;
	out[k++] = 0x01;
	out[k++] = 0x04;
	uint64_t x = n;
	do {
		out[k] = x & 0x7f;
		x >>= 7;
		if (x)
			out[k] |= 0x80;
		k++;
	} while (x);
	uint64_t z = ((uint64_t)v[0] << 1) ^ (uint64_t)(v[0] >> 63);
	do {
		out[k] = z & 0x7f;
		z >>= 7;
		if (z)
			out[k] |= 0x80;
		k++;
	} while (z);
	for (uint32_t b = 1; b < n; b += 128) {
		uint32_t m = n - b < 128 ? n - b : 128;
		int64_t min = INT64_MAX;
		for (uint32_t i = 0; i < m; i++)
			if (v[b + i] - v[b + i - 1] < min)
				min = v[b + i] - v[b + i - 1];
		z = ((uint64_t)min << 1) ^ (uint64_t)(min >> 63);
		do {
			out[k] = z & 0x7f;
			z >>= 7;
			if (z)
				out[k] |= 0x80;
			k++;
		} while (z);
		size_t widths = k;
		k += 4;
		for (uint32_t mb = 0; mb < 4; mb++) {
			uint32_t lo = mb * 32;
			if (lo >= m) {
				out[widths + mb] = 0;
				continue;
			}
			uint64_t max = 0;
			for (uint32_t i = lo; i < lo + 32 && i < m; i++)
				if ((uint64_t)(v[b + i] - v[b + i - 1] - min) > max)
					max = (uint64_t)(v[b + i] - v[b + i - 1] - min);
			unsigned w = 0;
			while (w < 64 && (max >> w) != 0)
				w++;
			out[widths + mb] = (uint8_t)w;
			memset(out + k, 0, 4 * w);
			for (uint32_t i = lo; i < lo + 32 && i < m; i++) {
				uint64_t d = (uint64_t)(v[b + i] - v[b + i - 1] - min);
				for (unsigned bit = 0; bit < w; bit++)
					if ((d >> bit) & 1) {
						size_t at = (size_t)(i - lo) * w + bit;
						out[k + at / 8] |= (uint8_t)(1u << (at % 8));
					}
			}
			k += 4 * w;
		}
	}
	return k;
}

Test(parquet, delta_binary_packed_int64_v2_page_zstd)
{
	int64_t v[40];
	for (int i = 0; i < 40; i++)
		v[i] = (int64_t)i * i * 1000003 - 5000000000LL * (i % 3);
	uint8_t enc[2048];
	size_t n = delta_encode(v, 40, enc);
	struct col_spec c = {"big", PT_INT64, 0, -1, 0, 0, 0, 0};
	struct page pg = {3, 5, 40, NULL, 0, enc, n, -1};
	struct buf f = make_file(&c, &pg, 1, 40, SL_PQ_ZSTD);
	struct result r;
	read_col(f.p, f.n, "big", SL_TYPE_BIGINT, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.rows, 40);
	for (int i = 0; i < 40; i++)
		cr_assert_eq(r.v.i64[i], v[i], "row %d", i);
	free(f.p);
}

Test(parquet, delta_byte_array_strings)
{
	/* axis axle babble babyhood: prefixes 0 2 0 3, suffixes axis le babble yhood */
	const int64_t pre[] = {0, 2, 0, 3}, suf[] = {4, 2, 6, 5};
	uint8_t enc[512];
	size_t n = delta_encode(pre, 4, enc);
	n += delta_encode(suf, 4, enc + n);
	memcpy(enc + n, "axislebabbleyhood", 17);
	n += 17;
	struct col_spec c = {"w", PT_BYTE_ARRAY, 0, 0, 0, 0, 0, 0};
	struct page pg = {0, 7, 4, NULL, 0, enc, n, -1};
	struct buf f = make_file(&c, &pg, 1, 4, SL_PQ_UNCOMPRESSED);
	struct result r;
	read_col(f.p, f.n, "w", SL_TYPE_STRING, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	const char *want[] = {"axis", "axle", "babble", "babyhood"};
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(r.v.str[i].len, strlen(want[i]));
		cr_assert_eq(memcmp(r.v.str[i].ptr, want[i], r.v.str[i].len), 0, "row %d", i);
	}
	free_strs(&r, SL_TYPE_STRING);
	/* DELTA_LENGTH_BYTE_ARRAY of the suffixes alone */
	n = delta_encode(suf, 4, enc);
	memcpy(enc + n, "axislebabbleyhood", 17);
	n += 17;
	struct page pg2 = {0, 6, 4, NULL, 0, enc, n, -1};
	struct buf f2 = make_file(&c, &pg2, 1, 4, SL_PQ_UNCOMPRESSED);
	read_col(f2.p, f2.n, "w", SL_TYPE_BINARY, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.v.str[3].len, 5);
	cr_assert_eq(memcmp(r.v.str[3].ptr, "yhood", 5), 0);
	free_strs(&r, SL_TYPE_BINARY);
	/* a prefix longer than the value before it is corrupt */
	const int64_t bad[] = {0, 9, 0, 3};
	n = delta_encode(bad, 4, enc);
	n += delta_encode(suf, 4, enc + n);
	memcpy(enc + n, "axislebabbleyhood", 17);
	n += 17;
	struct page pg3 = {0, 7, 4, NULL, 0, enc, n, -1};
	struct buf f3 = make_file(&c, &pg3, 1, 4, SL_PQ_UNCOMPRESSED);
	read_col(f3.p, f3.n, "w", SL_TYPE_STRING, &r);
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert(strstr(r.err, "prefix is longer") != NULL, "%s", r.err);
	free(f.p);
	free(f2.p);
	free(f3.p);
}

Test(parquet, byte_stream_split_doubles_and_floats)
{
	const double d[] = {1.5, -2.25, 1e300};
	uint8_t enc[24];
	for (int i = 0; i < 3; i++) {
		uint8_t b[8];
		memcpy(b, &d[i], 8);
		for (int k = 0; k < 8; k++)
			enc[k * 3 + i] = b[k];
	}
	struct col_spec c = {"d", PT_DOUBLE, 0, -1, 0, 0, 0, 0};
	struct page pg = {0, 9, 3, NULL, 0, enc, sizeof(enc), -1};
	struct buf f = make_file(&c, &pg, 1, 3, SL_PQ_UNCOMPRESSED);
	struct result r;
	read_col(f.p, f.n, "d", SL_TYPE_DOUBLE, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(r.v.f64[i], d[i]);
	free(f.p);
	const float fl[] = {0.1f, -3.5f};
	uint8_t fenc[8];
	for (int i = 0; i < 2; i++) {
		uint8_t b[4];
		memcpy(b, &fl[i], 4);
		for (int k = 0; k < 4; k++)
			fenc[k * 2 + i] = b[k];
	}
	struct col_spec fc = {"f", PT_FLOAT, 0, -1, 0, 0, 0, 0};
	struct page fpg = {0, 9, 2, NULL, 0, fenc, sizeof(fenc), -1};
	f = make_file(&fc, &fpg, 1, 2, SL_PQ_UNCOMPRESSED);
	read_col(f.p, f.n, "f", SL_TYPE_DOUBLE, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.v.f64[0], (double)0.1f);
	cr_assert_eq(r.v.f64[1], -3.5);
	free(f.p);
}

Test(parquet, boolean_rle_v2_and_plain_v1)
{
	/* RLE: 4-byte length, run of three 1s, run of one 0 */
	const uint8_t rle[] = {4, 0, 0, 0, 0x06, 0x01, 0x02, 0x00};
	struct col_spec c = {"ok", PT_BOOLEAN, 0, -1, 0, 0, 0, 0};
	struct page pg = {3, 3, 4, NULL, 0, rle, sizeof(rle), -1};
	struct buf f = make_file(&c, &pg, 1, 4, SL_PQ_SNAPPY);
	struct result r;
	read_col(f.p, f.n, "ok", SL_TYPE_BOOLEAN, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.rows, 4);
	cr_assert(r.v.b[0] && r.v.b[1] && r.v.b[2] && !r.v.b[3]);
	free(f.p);
	const uint8_t plain[] = {0x05}; /* 1 0 1 */
	struct page pg2 = {0, 0, 3, NULL, 0, plain, sizeof(plain), -1};
	f = make_file(&c, &pg2, 1, 3, SL_PQ_UNCOMPRESSED);
	read_col(f.p, f.n, "ok", SL_TYPE_BOOLEAN, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert(r.v.b[0] && !r.v.b[1] && r.v.b[2]);
	free(f.p);
}

#define DAY_US 86400000000LL

Test(parquet, timestamps_int96_nanos_millis_and_dates)
{
	/* INT96: 2024-01-01 12:00:00.000001 UTC = Julian day 2460311 */
	uint8_t i96[24];
	int64_t nanos = 43200000001000LL;
	uint32_t jd = 2460311;
	memcpy(i96, &nanos, 8);
	memcpy(i96 + 8, &jd, 4);
	int64_t neg = -1500; /* 1969-12-31 23:59:59.9999985: a day before, nanoseconds */
	uint32_t jd0 = 2440588;
	memcpy(i96 + 12, &neg, 8);
	memcpy(i96 + 20, &jd0, 4);
	struct col_spec c = {"t", PT_INT96, 0, -1, 0, 0, 0, 0};
	struct page pg = {0, 0, 2, NULL, 0, i96, sizeof(i96), -1};
	struct buf f = make_file(&c, &pg, 1, 2, SL_PQ_UNCOMPRESSED);
	struct result r;
	read_col(f.p, f.n, "t", SL_TYPE_TIMESTAMP, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.v.i64[0], 19723 * DAY_US + 43200000001LL);
	cr_assert_eq(r.v.i64[1], -2); /* rounded down */
	free(f.p);

	int64_t ns[] = {-1, 1999, 1704110400123456789LL};
	struct col_spec cn = {"t", PT_INT64, 0, -1, 0, 0, 0, 3};
	struct page pgn = {0, 0, 3, NULL, 0, (const uint8_t *)ns, sizeof(ns), -1};
	f = make_file(&cn, &pgn, 1, 3, SL_PQ_UNCOMPRESSED);
	read_col(f.p, f.n, "t", SL_TYPE_TIMESTAMP, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.v.i64[0], -1);
	cr_assert_eq(r.v.i64[1], 1);
	cr_assert_eq(r.v.i64[2], 1704110400123456LL);
	free(f.p);

	int64_t ms[] = {1704067200123LL};
	struct col_spec cm = {"t", PT_INT64, 0, 9 /* TIMESTAMP_MILLIS */, 0, 0, 0, 0};
	struct page pgm = {0, 0, 1, NULL, 0, (const uint8_t *)ms, sizeof(ms), -1};
	f = make_file(&cm, &pgm, 1, 1, SL_PQ_UNCOMPRESSED);
	read_col(f.p, f.n, "t", SL_TYPE_TIMESTAMP, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.v.i64[0], 1704067200123000LL);
	free(f.p);

	int32_t days[] = {19723, -1};
	struct col_spec cd = {"d", PT_INT32, 0, 6 /* DATE */, 0, 0, 0, 0};
	struct page pgd = {0, 0, 2, NULL, 0, (const uint8_t *)days, sizeof(days), -1};
	f = make_file(&cd, &pgd, 1, 2, SL_PQ_UNCOMPRESSED);
	read_col(f.p, f.n, "d", SL_TYPE_TIMESTAMP, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.v.i64[0], 19723 * DAY_US);
	cr_assert_eq(r.v.i64[1], -DAY_US);
	/* a DATE is no INT */
	read_col(f.p, f.n, "d", SL_TYPE_INT, &r);
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert(strstr(r.err, "column 'd' is TIMESTAMP in the file (Parquet INT32), which does "
				"not convert to INT; declare it TIMESTAMP") != NULL, "%s", r.err);
	free(f.p);
}

Test(parquet, decimals_to_double)
{
	const uint8_t fl[] = {0xff, 0xff, 0x85, 0x00, 0x30, 0x39}; /* -123, 12345 */
	struct col_spec c = {"p", PT_FLBA, 0, 5, 3, 2, 6, 0};
	struct page pg = {0, 0, 2, NULL, 0, fl, sizeof(fl), -1};
	struct buf f = make_file(&c, &pg, 1, 2, SL_PQ_UNCOMPRESSED);
	struct result r;
	read_col(f.p, f.n, "p", SL_TYPE_DOUBLE, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.v.f64[0], -1.23);
	cr_assert_eq(r.v.f64[1], 123.45);
	free(f.p);
	int32_t i[] = {-5, 125};
	struct col_spec ci = {"p", PT_INT32, 0, 5, 0, 1, 4, 0};
	struct page pgi = {0, 0, 2, NULL, 0, (const uint8_t *)i, sizeof(i), -1};
	f = make_file(&ci, &pgi, 1, 2, SL_PQ_UNCOMPRESSED);
	read_col(f.p, f.n, "p", SL_TYPE_DOUBLE, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.v.f64[0], -0.5);
	cr_assert_eq(r.v.f64[1], 12.5);
	free(f.p);
}

/* ------------------------------------------------------------------ */
/* bad input                                                           */

Test(parquet, every_truncation_and_every_corrupt_byte_fails_cleanly)
{
	const uint8_t dict[] = {5, 0, 0, 0, 'a', 'p', 'p', 'l', 'e', 4, 0, 0, 0, 'k', 'i', 'w', 'i'};
	const uint8_t idx[] = {1, 0x03, 0x05};
	const uint8_t lv[] = {0x06, 0x01};
	struct col_spec c = {"fruit", PT_BYTE_ARRAY, 1, 0, 0, 0, 0, 0};
	struct page pages[] = {
		{2, 0, 2, NULL, 0, dict, sizeof(dict), -1},
		{0, 8, 3, lv, sizeof(lv), idx, sizeof(idx), -1},
	};
	struct buf f = make_file(&c, pages, 2, 3, SL_PQ_SNAPPY);
	struct result r;
	read_col(f.p, f.n, "fruit", SL_TYPE_STRING, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.rows, 3);
	free_strs(&r, SL_TYPE_STRING);
	for (size_t n = 0; n < f.n; n++) {
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, f.p, n);
		read_col(p, n, "fruit", SL_TYPE_STRING, &r);
		cr_assert_neq(r.rc, 0, "a prefix of %zu bytes read", n);
		cr_assert(r.err[0] != '\0');
		free(p);
	}
	for (size_t at = 0; at < f.n; at++)
		for (int x = 0; x < 3; x++) {
			static const uint8_t vals[] = {0x00, 0xff, 0x80};
			uint8_t *p = malloc(f.n);
			memcpy(p, f.p, f.n);
			if (p[at] == vals[x]) {
				free(p);
				continue;
			}
			p[at] = vals[x];
			read_col(p, f.n, "fruit", SL_TYPE_STRING, &r); /* ASan: no overread */
			if (r.rc != 0)
				cr_assert(r.err[0] != '\0', "byte %zu = %02x: no message", at, vals[x]);
			else
				free_strs(&r, SL_TYPE_STRING);
			free(p);
		}
	free(f.p);
}

Test(parquet, messages_name_column_row_group_and_page)
{
	const uint8_t dict[] = {1, 0, 0, 0, 'a'};
	const uint8_t idx[] = {2, 0x02, 0x02}; /* width 2: index 2 of a 1-entry dictionary */
	struct col_spec c = {"k", PT_BYTE_ARRAY, 0, 0, 0, 0, 0, 0};
	struct page pages[] = {
		{2, 0, 1, NULL, 0, dict, sizeof(dict), -1},
		{0, 8, 1, NULL, 0, idx, sizeof(idx), -1},
	};
	struct buf f = make_file(&c, pages, 2, 1, SL_PQ_UNCOMPRESSED);
	struct result r;
	read_col(f.p, f.n, "k", SL_TYPE_STRING, &r);
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert(strstr(r.err, "row group 0, column 'k', page 1 (byte offset ") != NULL, "%s", r.err);
	cr_assert(strstr(r.err, "dictionary index 2 is beyond the dictionary's 1 values") != NULL,
		  "%s", r.err);
	free(f.p);

	struct page gv = {0, 1 /* GROUP_VAR_INT */, 1, NULL, 0, opt_vals, 4, -1};
	struct col_spec ci = {"n", PT_INT32, 0, -1, 0, 0, 0, 0};
	f = make_file(&ci, &gv, 1, 1, SL_PQ_UNCOMPRESSED);
	read_col(f.p, f.n, "n", SL_TYPE_INT, &r);
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert(strstr(r.err, "row group 0, column 'n', page 0 (byte offset 4): encoding "
				"GROUP_VAR_INT (1) is not supported") != NULL, "%s", r.err);
	free(f.p);

	/* LZO: the page is stored uncompressed, the chunk says LZO */
	struct page lzo = {0, 0, 1, NULL, 0, opt_vals, 4, SL_PQ_UNCOMPRESSED};
	f = make_file(&ci, &lzo, 1, 1, SL_PQ_LZO);
	read_col(f.p, f.n, "n", SL_TYPE_INT, &r);
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert(strstr(r.err, "column 'n', page 0 (byte offset 4): compression LZO is not "
				"supported") != NULL, "%s", r.err);
	free(f.p);

	/* more rows claimed than the pages hold */
	struct page one = {0, 0, 1, NULL, 0, opt_vals, 4, -1};
	f = make_file(&ci, &one, 1, 2, SL_PQ_UNCOMPRESSED);
	read_col(f.p, f.n, "n", SL_TYPE_INT, &r);
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert(strstr(r.err, "the column chunk ends before its row group's 2 rows") != NULL,
		  "%s", r.err);
	free(f.p);
}

Test(parquet, file_level_errors)
{
	struct page pg = {0, 0, 5, opt_lv, sizeof(opt_lv), opt_vals, sizeof(opt_vals), -1};
	struct buf f = make_file(&opt_col, &pg, 1, 5, SL_PQ_UNCOMPRESSED);
	struct result r;
	f.p[0] = 'X';
	read_col(f.p, f.n, "x", SL_TYPE_INT, &r);
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert(strstr(r.err, "does not begin with the magic bytes PAR1") != NULL, "%s", r.err);
	f.p[0] = 'P';
	f.p[f.n - 5] = 0x7f; /* footer length */
	read_col(f.p, f.n, "x", SL_TYPE_INT, &r);
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert(strstr(r.err, "its footer length") != NULL, "%s", r.err);
	free(f.p);
	read_col((const uint8_t *)"PAR1PAR1", 8, "x", SL_TYPE_INT, &r);
	cr_assert(strstr(r.err, "fewer than the 12 of an empty one") != NULL, "%s", r.err);
}

Test(parquet, groups_are_named_in_refusals)
{
	/* schema: root { optional group tags (LIST) { repeated group list { optional int32
	 * element } }, optional group s { required int32 a } } */
	struct sl_tcw w;
	sl_tcw_init(&w);
	sl_tcw_i32(&w, 1, 1);
	sl_tcw_list(&w, 2, SL_TC_STRUCT, 6);
	const struct {
		const char *name;
		int type, rep, nch, conv;
	} el[] = {{"schema", -1, 0, 2, -1}, {"tags", -1, 1, 1, 3}, {"list", -1, 2, 1, -1},
		  {"element", 1, 1, 0, -1}, {"s", -1, 1, 1, -1}, {"a", 1, 0, 0, -1}};
	for (int i = 0; i < 6; i++) {
		sl_tcw_list_struct(&w);
		if (el[i].type >= 0)
			sl_tcw_i32(&w, 1, el[i].type);
		sl_tcw_i32(&w, 3, el[i].rep);
		sl_tcw_binary(&w, 4, el[i].name, (uint32_t)strlen(el[i].name));
		if (el[i].nch)
			sl_tcw_i32(&w, 5, el[i].nch);
		if (el[i].conv >= 0)
			sl_tcw_i32(&w, 6, el[i].conv);
		sl_tcw_end(&w);
	}
	sl_tcw_i64(&w, 3, 0);
	sl_tcw_list(&w, 4, SL_TC_STRUCT, 0);
	sl_tcw_end(&w);
	struct buf f = {0};
	put(&f, "PAR1", 4);
	put(&f, w.buf, w.len);
	put_u32(&f, (uint32_t)w.len);
	put(&f, "PAR1", 4);
	sl_tcw_free(&w);
	struct mem m = {f.p, f.n};
	char err[512];
	struct sl_pq_file *pf = sl_pq_open(mem_read, &m, f.n, err, sizeof(err));
	cr_assert_not_null(pf, "%s", err);
	cr_assert_eq(sl_pq_columns(pf), 2);
	cr_assert_str_eq(sl_pq_column_name(pf, 0), "tags.list.element");
	cr_assert_eq(sl_pq_column_type(pf, 0), SL_TYPE_NULL);
	cr_assert_str_eq(sl_pq_column_name(pf, 1), "s.a");
	cr_assert_eq(sl_pq_column_type(pf, 1), SL_TYPE_INT);
	struct sl_pq_reader *r = sl_pq_reader_create(1);
	const char *n1[] = {"tags"};
	enum sl_type t = SL_TYPE_BIGINT;
	cr_assert_eq(sl_pq_reader_bind(r, pf, n1, &t, 1, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "column 'tags' is a list in the file") != NULL, "%s", err);
	const char *n2[] = {"s"};
	cr_assert_eq(sl_pq_reader_bind(r, pf, n2, &t, 1, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "column 's' is a struct in the file; sluice reads its fields as "
			      "columns named 's.<field>'") != NULL, "%s", err);
	const char *n3[] = {"s.a"};
	cr_assert_eq(sl_pq_reader_bind(r, pf, n3, &t, 1, err, sizeof(err)), 0, "%s", err);
	sl_pq_reader_destroy(r);
	sl_pq_close(pf);
	free(f.p);
}

/* ------------------------------------------------------------------ */
/* writer                                                              */

Test(parquet, writer_round_trip_through_the_reader)
{
	enum { N = 50 };
	uint8_t nb[N], ni[N], ns[N];
	uint8_t b[N];
	int64_t i[N], ts[N];
	double d[N];
	struct sl_str s[N];
	char text[N][16];
	for (int k = 0; k < N; k++) {
		nb[k] = k % 7 == 0;
		ni[k] = k % 5 == 0;
		ns[k] = k % 3 == 0;
		b[k] = k % 2;
		i[k] = (int64_t)k * 1000003 - 20000000;
		ts[k] = -5000000 + (int64_t)k * 123456789;
		d[k] = k / 3.0;
		snprintf(text[k], sizeof(text[k]), "v%d%s", k, k % 4 ? "é" : "");
		s[k] = (struct sl_str){text[k], (uint32_t)strlen(text[k])};
	}
	struct sl_vec vb = {.type = SL_TYPE_BOOLEAN, .nulls = nb}, vi = {.type = SL_TYPE_INT, .nulls = ni},
		      vl = {.type = SL_TYPE_BIGINT}, vd = {.type = SL_TYPE_DOUBLE},
		      vs = {.type = SL_TYPE_STRING, .nulls = ns}, vt = {.type = SL_TYPE_TIMESTAMP};
	vb.v.b = b;
	vi.v.i64 = i;
	vl.v.i64 = i;
	vd.v.f64 = d;
	vs.v.str = s;
	vt.v.i64 = ts;
	struct sl_pq_wcol cols[] = {{"b", &vb}, {"i", &vi}, {"l", &vl}, {"d", &vd}, {"s", &vs}, {"t", &vt}};
	uint32_t rows[N];
	for (int k = 0; k < N; k++)
		rows[k] = (uint32_t)(N - 1 - k); /* in another order than stored */
	struct sl_pq_writer *w = sl_pq_writer_create();
	const int codecs[] = {SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_ZSTD};
	for (int c = 0; c < 4; c++) {
		const uint8_t *file;
		size_t n;
		cr_assert_eq(sl_pq_write(w, cols, 6, rows, N, codecs[c], 100, &file, &n), 0);
		struct mem m = {file, n};
		char err[256];
		struct sl_pq_file *f = sl_pq_open(mem_read, &m, n, err, sizeof(err));
		cr_assert_not_null(f, "%s", err);
		cr_assert_eq(sl_pq_num_rows(f), N);
		cr_assert_gt(sl_pq_row_groups(f), 5, "row groups of about 100 bytes");
		cr_assert_eq(sl_pq_column_type(f, 4), SL_TYPE_STRING);
		cr_assert_eq(sl_pq_column_type(f, 5), SL_TYPE_TIMESTAMP);
		for (int col = 0; col < 6; col++) {
			struct result r;
			read_col(file, n, cols[col].name, cols[col].vec->type, &r);
			cr_assert_eq(r.rc, 0, "%s", r.err);
			cr_assert_eq(r.rows, N);
			for (int k = 0; k < N; k++) {
				uint32_t src = rows[k];
				const struct sl_vec *v = cols[col].vec;
				cr_assert_eq(r.nulls[k], sl_vec_is_null(v, src), "col %d row %d", col, k);
				if (r.nulls[k])
					continue;
				switch (v->type) {
				case SL_TYPE_BOOLEAN: cr_assert_eq(r.v.b[k], b[src]); break;
				case SL_TYPE_DOUBLE: cr_assert_eq(r.v.f64[k], d[src]); break;
				case SL_TYPE_STRING:
					cr_assert_eq(r.v.str[k].len, s[src].len);
					cr_assert_eq(memcmp(r.v.str[k].ptr, s[src].ptr, s[src].len), 0);
					break;
				default: cr_assert_eq(r.v.i64[k], v->v.i64[src]); break;
				}
			}
			free_strs(&r, cols[col].vec->type);
		}
		sl_pq_close(f);
	}
	struct sl_vec vw = {.type = SL_TYPE_WINDOW};
	struct sl_pq_wcol bad[] = {{"w", &vw}};
	const uint8_t *file;
	size_t n;
	cr_assert_eq(sl_pq_write(w, bad, 1, rows, N, 0, 100, &file, &n), -ENOTSUP);
	sl_pq_writer_destroy(w);
}

/* ------------------------------------------------------------------ */
/* column pruning: a column bound with a NULL name is never read        */

/* mem_read that also counts the bytes asked for */
struct counted {
	struct mem m;
	uint64_t bytes;
};

static int counted_read(void *ctx, void *buf, size_t n, uint64_t off)
{
	struct counted *c = ctx;
	c->bytes += n;
	return mem_read(&c->m, buf, n, off);
}

/* Read columns names[0..2) of the file (one row group or more) as BIGINT
 * and STRING; the rows' ids must be 0..N-1. The bytes read come back. */
static int read_two(const uint8_t *p, size_t n, const char *const names[2], uint32_t want,
		    uint64_t *bytes, char *err, size_t errlen)
{
	struct counted c = {{p, n}, 0};
	struct sl_pq_file *f = sl_pq_open(counted_read, &c, n, err, errlen);
	if (f == NULL)
		return -errno;
	struct sl_pq_reader *r = sl_pq_reader_create(2);
	enum sl_type types[2] = {SL_TYPE_BIGINT, SL_TYPE_STRING};
	static uint8_t nulls[2][4096];
	static int64_t ids[4096];
	static struct sl_str strs[4096];
	struct sl_vec cols[2] = {{.type = SL_TYPE_BIGINT, .nulls = nulls[0]},
				 {.type = SL_TYPE_STRING, .nulls = nulls[1]}};
	cols[0].v.i64 = ids;
	cols[1].v.str = strs;
	struct sl_chunk out = {.ncols = 2, .cols = cols};
	uint32_t rows = 0;
	int rc = sl_pq_reader_bind(r, f, names, types, 2, err, errlen);
	for (uint32_t g = 0; rc == 0 && g < sl_pq_row_groups(f); g++) {
		rc = sl_pq_reader_start(r, g, err, errlen);
		int got;
		while (rc == 0 && (got = sl_pq_reader_read(r, &out, rows, 4096 - rows, err, errlen)) != 0) {
			if (got < 0) {
				rc = got;
				break;
			}
			for (uint32_t k = rows; k < rows + (uint32_t)got; k++) {
				cr_assert_eq(ids[k], k);
				cr_assert_eq(nulls[1][k], names[1] == NULL, "row %u", k);
			}
			rows += (uint32_t)got;
		}
	}
	if (rc == 0)
		cr_assert_eq(rows, want);
	*bytes = c.bytes;
	sl_pq_reader_destroy(r);
	sl_pq_close(f);
	return rc;
}

Test(parquet, unread_column_is_null_and_its_chunks_are_not_read)
{
	enum { N = 2000 };
	static int64_t id[N];
	static struct sl_str s[N];
	static char text[N][201];
	for (int k = 0; k < N; k++) {
		id[k] = k;
		for (int j = 0; j < 200; j++) /* not compressible, not a dictionary */
			text[k][j] = (char)('a' + (k * 7919 + j * 104729) % 26);
		s[k] = (struct sl_str){text[k], 200};
	}
	struct sl_vec vi = {.type = SL_TYPE_BIGINT}, vs = {.type = SL_TYPE_STRING};
	vi.v.i64 = id;
	vs.v.str = s;
	struct sl_pq_wcol cols[] = {{"id", &vi}, {"s", &vs}};
	static uint32_t rows[N];
	for (int k = 0; k < N; k++)
		rows[k] = (uint32_t)k;
	struct sl_pq_writer *w = sl_pq_writer_create();
	const uint8_t *file;
	size_t n;
	/* one row group: s's chunk is the last before the footer */
	cr_assert_eq(sl_pq_write(w, cols, 2, rows, N, SL_PQ_UNCOMPRESSED, 1u << 30, &file, &n), 0);
	cr_assert_gt(n, (size_t)N * 200);
	char err[256];
	uint64_t all, pruned;
	const char *both[2] = {"id", "s"}, *id_only[2] = {"id", NULL};
	cr_assert_eq(read_two(file, n, both, N, &all, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(read_two(file, n, id_only, N, &pruned, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(all, (uint64_t)N * 200, "s's values were read");
	cr_assert_lt(pruned, (uint64_t)N * 200 / 10, "%llu bytes read for id alone",
		     (unsigned long long)pruned);

	/* s's chunk made garbage: reading it fails, reading id alone does not */
	uint8_t *bad = malloc(n);
	memcpy(bad, file, n);
	uint32_t flen = (uint32_t)bad[n - 8] | (uint32_t)bad[n - 7] << 8 |
			(uint32_t)bad[n - 6] << 16 | (uint32_t)bad[n - 5] << 24;
	size_t chunk_end = n - 8 - flen;
	memset(bad + chunk_end - (size_t)N * 100, 0xff, (size_t)N * 100);
	cr_assert_lt(read_two(bad, n, both, N, &all, err, sizeof(err)), 0);
	cr_assert_eq(read_two(bad, n, id_only, N, &pruned, err, sizeof(err)), 0, "%s", err);
	free(bad);

	/* a column the reader would refuse is not looked at when not read */
	struct sl_vec vd = {.type = SL_TYPE_DOUBLE};
	static double dv[N];
	vd.v.f64 = dv;
	struct sl_pq_wcol cols2[] = {{"id", &vi}, {"s", &vd}}; /* s a DOUBLE: not a STRING */
	cr_assert_eq(sl_pq_write(w, cols2, 2, rows, N, SL_PQ_SNAPPY, 1u << 30, &file, &n), 0);
	cr_assert_lt(read_two(file, n, both, N, &all, err, sizeof(err)), 0);
	cr_assert(strstr(err, "column 's' is DOUBLE") != NULL, "%s", err);
	cr_assert_eq(read_two(file, n, id_only, N, &pruned, err, sizeof(err)), 0, "%s", err);
	sl_pq_writer_destroy(w);
}

/* ------------------------------------------------------------------ */
/* row groups skipped by their statistics                              */

/* Whether the reader skips the (one) row group of a file of column c
 * with statistics st, for `name op lit` read as type t. */
static bool skips(const struct col_spec *c, struct stats_spec st, const char *name, enum sl_type t,
		  enum sl_fn op, struct sl_value lit)
{
	g_stats = st;
	g_stats.on = true;
	struct page pg = {0, 0, 5, opt_lv, sizeof(opt_lv), opt_vals, sizeof(opt_vals), -1};
	struct buf f = make_file(c, &pg, 1, 5, SL_PQ_UNCOMPRESSED);
	g_stats = (struct stats_spec){0};
	struct mem m = {f.p, f.n};
	char err[256];
	struct sl_pq_file *pf = sl_pq_open(mem_read, &m, f.n, err, sizeof(err));
	cr_assert_not_null(pf, "%s", err);
	struct sl_pq_reader *r = sl_pq_reader_create(1);
	const char *names[1] = {name};
	cr_assert_eq(sl_pq_reader_bind(r, pf, names, &t, 1, err, sizeof(err)), 0, "%s", err);
	struct sl_pq_pred p = {.col = 0, .op = op, .lit = lit};
	bool got = sl_pq_reader_skips(r, 0, &p, 1);
	sl_pq_reader_destroy(r);
	sl_pq_close(pf);
	free(f.p);
	return got;
}

static struct sl_value ival(enum sl_type t, int64_t v)
{
	struct sl_value x = {.type = t};
	x.v.i64 = v;
	return x;
}

static struct sl_value dval(double v)
{
	struct sl_value x = {.type = SL_TYPE_DOUBLE};
	x.v.f64 = v;
	return x;
}

static struct sl_value sval(const char *s)
{
	struct sl_value x = {.type = SL_TYPE_STRING};
	x.v.str = (struct sl_str){s, (uint32_t)strlen(s)};
	return x;
}

static const uint8_t le10[4] = {10, 0, 0, 0}, le30[4] = {30, 0, 0, 0};

struct int_case {
	enum sl_fn op;
	int64_t lit;
	bool skip;
};

Test(parquet, stats_int32_every_op)
{
	/* values in [10, 30], 2 nulls of 5 rows */
	struct stats_spec st = {.has_nulls = true, .nulls = 2, .min = le10, .min_len = 4, .max = le30,
				.max_len = 4, .type_order = true};
	const struct int_case cases[] = {
		{SL_FN_EQ, 5, true},   {SL_FN_EQ, 10, false}, {SL_FN_EQ, 20, false},
		{SL_FN_EQ, 30, false}, {SL_FN_EQ, 31, true},  {SL_FN_LT, 10, true},
		{SL_FN_LT, 11, false}, {SL_FN_LE, 9, true},   {SL_FN_LE, 10, false},
		{SL_FN_GT, 30, true},  {SL_FN_GT, 29, false}, {SL_FN_GE, 31, true},
		{SL_FN_GE, 30, false}, {SL_FN_IS_NULL, 0, false}, {SL_FN_IS_NOT_NULL, 0, false},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct int_case *c = &cases[k];
		cr_assert_eq(skips(&opt_col, st, "x", SL_TYPE_INT, c->op, ival(SL_TYPE_INT, c->lit)),
			     c->skip, "case %zu", k);
		/* declared BIGINT, compared as BIGINT: the same */
		cr_assert_eq(skips(&opt_col, st, "x", SL_TYPE_BIGINT, c->op,
				   ival(SL_TYPE_BIGINT, c->lit)),
			     c->skip, "case %zu as BIGINT", k);
	}
	/* an INT column compared as DOUBLE (CAST(x AS DOUBLE) > 29.5) */
	cr_assert(skips(&opt_col, st, "x", SL_TYPE_INT, SL_FN_GT, dval(30.0)));
	cr_assert_not(skips(&opt_col, st, "x", SL_TYPE_INT, SL_FN_GT, dval(29.5)));
	cr_assert(skips(&opt_col, st, "x", SL_TYPE_INT, SL_FN_LT, dval(10.0)));
	cr_assert_not(skips(&opt_col, st, "x", SL_TYPE_INT, SL_FN_EQ, dval(NAN)));
	/* the deprecated min / max: used for a signed integer */
	struct stats_spec dep = {.dmin = le10, .dmin_len = 4, .dmax = le30, .dmax_len = 4};
	cr_assert(skips(&opt_col, dep, "x", SL_TYPE_INT, SL_FN_GT, ival(SL_TYPE_INT, 30)));
	cr_assert(skips(&opt_col, dep, "x", SL_TYPE_INT, SL_FN_LT, ival(SL_TYPE_INT, 10)));
	/* min_value / max_value without column_orders: undefined, not used */
	struct stats_spec no_order = st;
	no_order.type_order = false;
	cr_assert_not(skips(&opt_col, no_order, "x", SL_TYPE_INT, SL_FN_GT, ival(SL_TYPE_INT, 30)));
	/* no statistics: nothing skipped */
	cr_assert_not(skips(&opt_col, (struct stats_spec){0}, "x", SL_TYPE_INT, SL_FN_EQ,
			    ival(SL_TYPE_INT, 1000)));
	/* a length that is not INT32's: not used */
	struct stats_spec bad = st;
	bad.min_len = 3;
	cr_assert_not(skips(&opt_col, bad, "x", SL_TYPE_INT, SL_FN_LT, ival(SL_TYPE_INT, 10)));
	/* UINT_32 and UINT_8 (unsigned order): never */
	struct col_spec u32 = opt_col, u8 = opt_col;
	u32.conv = 13;
	u8.conv = 11;
	cr_assert_not(skips(&u32, st, "x", SL_TYPE_BIGINT, SL_FN_GT, ival(SL_TYPE_BIGINT, 30)));
	cr_assert_not(skips(&u8, st, "x", SL_TYPE_INT, SL_FN_GT, ival(SL_TYPE_INT, 30)));
	/* DECIMAL(9, 1) on INT32: never */
	struct col_spec dec = opt_col;
	dec.conv = 5;
	dec.scale = 1;
	dec.precision = 9;
	cr_assert_not(skips(&dec, st, "x", SL_TYPE_DOUBLE, SL_FN_GT, dval(1000.0)));
}

Test(parquet, stats_nulls_and_missing_columns)
{
	/* every row null */
	struct stats_spec all = {.has_nulls = true, .nulls = 5, .type_order = true};
	cr_assert(skips(&opt_col, all, "x", SL_TYPE_INT, SL_FN_EQ, ival(SL_TYPE_INT, 5)));
	cr_assert(skips(&opt_col, all, "x", SL_TYPE_INT, SL_FN_GE, ival(SL_TYPE_INT, 5)));
	cr_assert(skips(&opt_col, all, "x", SL_TYPE_INT, SL_FN_IS_NOT_NULL, ival(SL_TYPE_INT, 0)));
	cr_assert_not(skips(&opt_col, all, "x", SL_TYPE_INT, SL_FN_IS_NULL, ival(SL_TYPE_INT, 0)));
	/* no nulls */
	struct stats_spec none = {.has_nulls = true, .nulls = 0};
	cr_assert(skips(&opt_col, none, "x", SL_TYPE_INT, SL_FN_IS_NULL, ival(SL_TYPE_INT, 0)));
	cr_assert_not(skips(&opt_col, none, "x", SL_TYPE_INT, SL_FN_IS_NOT_NULL, ival(SL_TYPE_INT, 0)));
	cr_assert_not(skips(&opt_col, none, "x", SL_TYPE_INT, SL_FN_EQ, ival(SL_TYPE_INT, 5)));
	/* null count unknown */
	cr_assert_not(skips(&opt_col, (struct stats_spec){0}, "x", SL_TYPE_INT, SL_FN_IS_NULL,
			    ival(SL_TYPE_INT, 0)));
	/* a column the file lacks is NULL in every row */
	cr_assert(skips(&opt_col, none, "y", SL_TYPE_INT, SL_FN_EQ, ival(SL_TYPE_INT, 5)));
	cr_assert(skips(&opt_col, none, "y", SL_TYPE_INT, SL_FN_IS_NOT_NULL, ival(SL_TYPE_INT, 0)));
	cr_assert_not(skips(&opt_col, none, "y", SL_TYPE_INT, SL_FN_IS_NULL, ival(SL_TYPE_INT, 0)));
}

Test(parquet, stats_strings_in_unsigned_byte_order)
{
	const struct col_spec str = {"s", PT_BYTE_ARRAY, 1, 0, 0, 0, 0, 0}; /* UTF8 */
	struct stats_spec st = {.min = "b", .min_len = 1, .max = "d", .max_len = 1,
				.type_order = true};
	cr_assert(skips(&str, st, "s", SL_TYPE_STRING, SL_FN_EQ, sval("a")));
	cr_assert_not(skips(&str, st, "s", SL_TYPE_STRING, SL_FN_EQ, sval("c")));
	cr_assert_not(skips(&str, st, "s", SL_TYPE_STRING, SL_FN_EQ, sval("d")));
	cr_assert(skips(&str, st, "s", SL_TYPE_STRING, SL_FN_EQ, sval("da"))); /* "d" < "da" */
	cr_assert(skips(&str, st, "s", SL_TYPE_STRING, SL_FN_GT, sval("d")));
	cr_assert_not(skips(&str, st, "s", SL_TYPE_STRING, SL_FN_GE, sval("d")));
	cr_assert(skips(&str, st, "s", SL_TYPE_STRING, SL_FN_LT, sval("b")));
	cr_assert_not(skips(&str, st, "s", SL_TYPE_STRING, SL_FN_LE, sval("b")));
	cr_assert(skips(&str, st, "s", SL_TYPE_STRING, SL_FN_LT, sval("")));
	/* a truncated min ("bb" of "bbz...") is still a lower bound */
	struct stats_spec pre = {.min = "bb", .min_len = 2, .type_order = true};
	cr_assert(skips(&str, pre, "s", SL_TYPE_STRING, SL_FN_EQ, sval("b")));
	cr_assert_not(skips(&str, pre, "s", SL_TYPE_STRING, SL_FN_EQ, sval("bbz")));
	/* unsigned bytes: é (0xc3 0xa9) sorts after z, as sluice compares */
	struct stats_spec utf = {.min = "a", .min_len = 1, .max = "\xc3\xa9", .max_len = 2,
				 .type_order = true};
	cr_assert_not(skips(&str, utf, "s", SL_TYPE_STRING, SL_FN_GT, sval("z")));
	cr_assert(skips(&str, utf, "s", SL_TYPE_STRING, SL_FN_GT, sval("\xc3\xa9")));
	/* the deprecated min / max of a BYTE_ARRAY (signed order in old
	 * writers): never */
	struct stats_spec dep = {.dmin = "b", .dmin_len = 1, .dmax = "d", .dmax_len = 1,
				 .type_order = true};
	cr_assert_not(skips(&str, dep, "s", SL_TYPE_STRING, SL_FN_EQ, sval("a")));
	/* a BINARY column read as BINARY: the same order */
	const struct col_spec bin = {"s", PT_BYTE_ARRAY, 1, -1, 0, 0, 0, 0};
	struct sl_value lb = sval("a");
	lb.type = SL_TYPE_BINARY;
	cr_assert(skips(&bin, st, "s", SL_TYPE_BINARY, SL_FN_EQ, lb));
}

Test(parquet, stats_doubles_floats_and_nan)
{
	const struct col_spec dbl = {"d", PT_DOUBLE, 1, -1, 0, 0, 0, 0};
	const struct col_spec flt = {"d", PT_FLOAT, 1, -1, 0, 0, 0, 0};
	double one = 1.0, two = 2.0, nan = NAN;
	float f15 = 1.5f, f25 = 2.5f;
	struct stats_spec st = {.min = &one, .min_len = 8, .max = &two, .max_len = 8,
				.type_order = true};
	cr_assert(skips(&dbl, st, "d", SL_TYPE_DOUBLE, SL_FN_LT, dval(1.0)));
	cr_assert_not(skips(&dbl, st, "d", SL_TYPE_DOUBLE, SL_FN_LE, dval(1.0)));
	cr_assert(skips(&dbl, st, "d", SL_TYPE_DOUBLE, SL_FN_EQ, dval(3.0)));
	cr_assert(skips(&dbl, st, "d", SL_TYPE_DOUBLE, SL_FN_EQ, dval(0.5)));
	cr_assert_not(skips(&dbl, st, "d", SL_TYPE_DOUBLE, SL_FN_EQ, dval(1.5)));
	/* NaN rows are > every number in Spark and are not in max: > and >=
	 * never skip a DOUBLE column, a NaN literal never skips */
	cr_assert_not(skips(&dbl, st, "d", SL_TYPE_DOUBLE, SL_FN_GT, dval(5.0)));
	cr_assert_not(skips(&dbl, st, "d", SL_TYPE_DOUBLE, SL_FN_GE, dval(5.0)));
	cr_assert_not(skips(&dbl, st, "d", SL_TYPE_DOUBLE, SL_FN_EQ, dval(NAN)));
	cr_assert_not(skips(&dbl, st, "d", SL_TYPE_DOUBLE, SL_FN_LT, dval(NAN)));
	/* a NaN bound is no bound */
	struct stats_spec nanmin = {.min = &nan, .min_len = 8, .max = &two, .max_len = 8,
				    .type_order = true};
	cr_assert_not(skips(&dbl, nanmin, "d", SL_TYPE_DOUBLE, SL_FN_LT, dval(0.0)));
	cr_assert(skips(&dbl, nanmin, "d", SL_TYPE_DOUBLE, SL_FN_EQ, dval(3.0)));
	/* -0.0 = 0.0, as Spark compares */
	double mz = -0.0, pz = 0.0;
	struct stats_spec zero = {.min = &mz, .min_len = 8, .max = &pz, .max_len = 8,
				  .type_order = true};
	cr_assert_not(skips(&dbl, zero, "d", SL_TYPE_DOUBLE, SL_FN_EQ, dval(0.0)));
	cr_assert_not(skips(&dbl, zero, "d", SL_TYPE_DOUBLE, SL_FN_EQ, dval(-0.0)));
	/* a FLOAT: 4-byte bounds, widened exactly */
	struct stats_spec fs = {.min = &f15, .min_len = 4, .max = &f25, .max_len = 4,
				.type_order = true};
	cr_assert(skips(&flt, fs, "d", SL_TYPE_DOUBLE, SL_FN_LT, dval(1.5)));
	cr_assert_not(skips(&flt, fs, "d", SL_TYPE_DOUBLE, SL_FN_LE, dval(1.5)));
	cr_assert(skips(&flt, fs, "d", SL_TYPE_DOUBLE, SL_FN_EQ, dval(2.75)));
	/* a DOUBLE's 8 bytes on a FLOAT column: not FLOAT's, not used */
	cr_assert_not(skips(&flt, st, "d", SL_TYPE_DOUBLE, SL_FN_EQ, dval(3.0)));
}

Test(parquet, stats_timestamps_dates_booleans_and_int96)
{
	const struct col_spec ms = {"t", PT_INT64, 1, -1, 0, 0, 0, 1};
	const struct col_spec ns = {"t", PT_INT64, 1, -1, 0, 0, 0, 3};
	int64_t lo_ms = 1000, hi_ms = 5000, lo_ns = 1500, hi_ns = 9999;
	struct stats_spec st = {.min = &lo_ms, .min_len = 8, .max = &hi_ms, .max_len = 8,
				.type_order = true};
	cr_assert(skips(&ms, st, "t", SL_TYPE_TIMESTAMP, SL_FN_LT, ival(SL_TYPE_TIMESTAMP, 1000000)));
	cr_assert_not(skips(&ms, st, "t", SL_TYPE_TIMESTAMP, SL_FN_LT,
			    ival(SL_TYPE_TIMESTAMP, 1000001)));
	cr_assert(skips(&ms, st, "t", SL_TYPE_TIMESTAMP, SL_FN_GT, ival(SL_TYPE_TIMESTAMP, 5000000)));
	/* nanoseconds round down to microseconds as the values do: 1500 ns
	 * is 1 us, 9999 ns is 9 us */
	struct stats_spec sn = {.min = &lo_ns, .min_len = 8, .max = &hi_ns, .max_len = 8,
				.type_order = true};
	cr_assert(skips(&ns, sn, "t", SL_TYPE_TIMESTAMP, SL_FN_LT, ival(SL_TYPE_TIMESTAMP, 1)));
	cr_assert_not(skips(&ns, sn, "t", SL_TYPE_TIMESTAMP, SL_FN_LT, ival(SL_TYPE_TIMESTAMP, 2)));
	cr_assert(skips(&ns, sn, "t", SL_TYPE_TIMESTAMP, SL_FN_GT, ival(SL_TYPE_TIMESTAMP, 9)));
	cr_assert_not(skips(&ns, sn, "t", SL_TYPE_TIMESTAMP, SL_FN_GE, ival(SL_TYPE_TIMESTAMP, 9)));
	/* millis so large that microseconds would wrap: not used */
	int64_t huge = INT64_MAX / 10;
	struct stats_spec wrap = {.min = &lo_ms, .min_len = 8, .max = &huge, .max_len = 8,
				  .type_order = true};
	cr_assert_not(skips(&ms, wrap, "t", SL_TYPE_TIMESTAMP, SL_FN_GT, ival(SL_TYPE_TIMESTAMP, 0)));
	/* DATE: days to midnight UTC */
	const struct col_spec date = {"t", PT_INT32, 1, 6, 0, 0, 0, 0};
	const uint8_t d1[4] = {1, 0, 0, 0}, d2[4] = {2, 0, 0, 0};
	struct stats_spec sd = {.min = d1, .min_len = 4, .max = d2, .max_len = 4, .type_order = true};
	cr_assert(skips(&date, sd, "t", SL_TYPE_TIMESTAMP, SL_FN_LT, ival(SL_TYPE_TIMESTAMP, 86400000000LL)));
	cr_assert_not(skips(&date, sd, "t", SL_TYPE_TIMESTAMP, SL_FN_EQ,
			    ival(SL_TYPE_TIMESTAMP, 2 * 86400000000LL)));
	cr_assert(skips(&date, sd, "t", SL_TYPE_TIMESTAMP, SL_FN_EQ,
			ival(SL_TYPE_TIMESTAMP, 2 * 86400000000LL + 1)));
	/* INT96: never by min / max (its bytes do not sort as times) */
	const struct col_spec i96 = {"t", PT_INT96, 1, -1, 0, 0, 0, 0};
	uint8_t z12[12] = {0};
	struct stats_spec s96 = {.min = z12, .min_len = 12, .max = z12, .max_len = 12,
				 .dmin = z12, .dmin_len = 12, .dmax = z12, .dmax_len = 12,
				 .type_order = true};
	cr_assert_not(skips(&i96, s96, "t", SL_TYPE_TIMESTAMP, SL_FN_GT, ival(SL_TYPE_TIMESTAMP, 0)));
	/* BOOLEAN */
	const struct col_spec bc = {"b", PT_BOOLEAN, 1, -1, 0, 0, 0, 0};
	const uint8_t f0 = 0;
	struct stats_spec sb = {.min = &f0, .min_len = 1, .max = &f0, .max_len = 1, .type_order = true};
	struct sl_value t = {.type = SL_TYPE_BOOLEAN}, f = {.type = SL_TYPE_BOOLEAN};
	t.v.b = true;
	cr_assert(skips(&bc, sb, "b", SL_TYPE_BOOLEAN, SL_FN_EQ, t));
	cr_assert_not(skips(&bc, sb, "b", SL_TYPE_BOOLEAN, SL_FN_EQ, f));
}

/* ------------------------------------------------------------------ */
/* the writer's statistics, as the reader uses them                    */

/* Whether the reader skips the one row group of a file sl_pq_write makes
 * of column v (rows 0..n), for `c op lit`. */
static bool written_skips(const struct sl_vec *v, uint32_t n, enum sl_fn op, struct sl_value lit)
{
	uint32_t rows[64];
	cr_assert_leq(n, 64u);
	for (uint32_t k = 0; k < n; k++)
		rows[k] = k;
	struct sl_pq_wcol col = {"c", v};
	struct sl_pq_writer *w = sl_pq_writer_create();
	const uint8_t *file;
	size_t len;
	cr_assert_eq(sl_pq_write(w, &col, 1, rows, n, SL_PQ_SNAPPY, 1u << 30, &file, &len), 0);
	struct mem m = {file, len};
	char err[256];
	struct sl_pq_file *pf = sl_pq_open(mem_read, &m, len, err, sizeof(err));
	cr_assert_not_null(pf, "%s", err);
	cr_assert_eq(sl_pq_row_groups(pf), 1);
	struct sl_pq_reader *r = sl_pq_reader_create(1);
	const char *names[1] = {"c"};
	enum sl_type t = v->type;
	cr_assert_eq(sl_pq_reader_bind(r, pf, names, &t, 1, err, sizeof(err)), 0, "%s", err);
	struct sl_pq_pred p = {.col = 0, .op = op, .lit = lit};
	bool got = sl_pq_reader_skips(r, 0, &p, 1);
	sl_pq_reader_destroy(r);
	sl_pq_close(pf);
	sl_pq_writer_destroy(w);
	return got;
}

Test(parquet, written_statistics_let_the_reader_skip)
{
	/* INT 5..20 with a NULL: min 5, max 20, null_count 1 */
	int64_t iv[17];
	uint8_t in[17] = {0};
	for (int k = 0; k < 16; k++)
		iv[k] = 20 - k;
	in[16] = 1;
	struct sl_vec vi = {.type = SL_TYPE_INT, .nulls = in};
	vi.v.i64 = iv;
	cr_assert(written_skips(&vi, 17, SL_FN_LT, ival(SL_TYPE_INT, 5)));
	cr_assert_not(written_skips(&vi, 17, SL_FN_LT, ival(SL_TYPE_INT, 6)));
	cr_assert(written_skips(&vi, 17, SL_FN_GT, ival(SL_TYPE_INT, 20)));
	cr_assert_not(written_skips(&vi, 17, SL_FN_GE, ival(SL_TYPE_INT, 20)));
	cr_assert(written_skips(&vi, 17, SL_FN_EQ, ival(SL_TYPE_INT, 21)));
	cr_assert(written_skips(&vi, 17, SL_FN_EQ, ival(SL_TYPE_INT, -1)));
	cr_assert_not(written_skips(&vi, 17, SL_FN_EQ, ival(SL_TYPE_INT, 12)));
	cr_assert_not(written_skips(&vi, 17, SL_FN_IS_NULL, ival(SL_TYPE_INT, 0)));
	cr_assert(written_skips(&vi, 16, SL_FN_IS_NULL, ival(SL_TYPE_INT, 0)), "no NULL: null_count 0");
	/* every value NULL: no min or max, but IS NOT NULL and comparisons skip */
	uint8_t all[3] = {1, 1, 1};
	struct sl_vec vn = {.type = SL_TYPE_BIGINT, .nulls = all};
	vn.v.i64 = iv;
	cr_assert(written_skips(&vn, 3, SL_FN_IS_NOT_NULL, ival(SL_TYPE_BIGINT, 0)));
	cr_assert(written_skips(&vn, 3, SL_FN_EQ, ival(SL_TYPE_BIGINT, 20)));

	/* BIGINT and TIMESTAMP over 32 bits, negative */
	int64_t lv[3] = {-5000000000LL, 7000000000LL, 0};
	struct sl_vec vl = {.type = SL_TYPE_BIGINT}, vt = {.type = SL_TYPE_TIMESTAMP};
	vl.v.i64 = vt.v.i64 = lv;
	cr_assert(written_skips(&vl, 3, SL_FN_LT, ival(SL_TYPE_BIGINT, -5000000000LL)));
	cr_assert_not(written_skips(&vl, 3, SL_FN_LE, ival(SL_TYPE_BIGINT, -5000000000LL)));
	cr_assert(written_skips(&vl, 3, SL_FN_GT, ival(SL_TYPE_BIGINT, 7000000000LL)));
	cr_assert(written_skips(&vt, 3, SL_FN_GT, ival(SL_TYPE_TIMESTAMP, 7000000000LL)));
	cr_assert_not(written_skips(&vt, 3, SL_FN_GT, ival(SL_TYPE_TIMESTAMP, 6999999999LL)));

	/* DOUBLE: NaN left out of min and max; a zero min written -0.0 */
	double dv[3] = {0.0, 1.5, __builtin_nan("")};
	struct sl_vec vd = {.type = SL_TYPE_DOUBLE};
	vd.v.f64 = dv;
	cr_assert(written_skips(&vd, 3, SL_FN_LT, dval(0.0)));
	cr_assert(written_skips(&vd, 3, SL_FN_LT, dval(-0.0)));
	cr_assert_not(written_skips(&vd, 3, SL_FN_LE, dval(0.0)));
	cr_assert(written_skips(&vd, 3, SL_FN_EQ, dval(2.0)), "NaN is not 2: the max 1.5 decides");
	cr_assert_not(written_skips(&vd, 3, SL_FN_GT, dval(1.5)), "NaN > 1.5 in Spark's order");
	double nan2[2] = {__builtin_nan(""), __builtin_nan("")};
	vd.v.f64 = nan2;
	cr_assert_not(written_skips(&vd, 2, SL_FN_EQ, dval(1.0)), "only NaN: no min or max");

	/* BOOLEAN */
	uint8_t bv[2] = {1, 1};
	struct sl_vec vb = {.type = SL_TYPE_BOOLEAN};
	vb.v.b = bv;
	struct sl_value f = {.type = SL_TYPE_BOOLEAN};
	f.v.b = false;
	cr_assert(written_skips(&vb, 2, SL_FN_EQ, f));
	bv[1] = 0;
	cr_assert_not(written_skips(&vb, 2, SL_FN_EQ, f));

	/* STRING in unsigned byte order: "é" (0xC3 0xA9) is above "z" */
	struct sl_str sv[3] = {{"b", 1}, {"\xc3\xa9", 2}, {"a", 1}};
	struct sl_vec vs = {.type = SL_TYPE_STRING};
	vs.v.str = sv;
	cr_assert(written_skips(&vs, 3, SL_FN_LT, sval("a")));
	cr_assert(written_skips(&vs, 3, SL_FN_EQ, sval("0")));
	cr_assert_not(written_skips(&vs, 3, SL_FN_GT, sval("z")));
	cr_assert(written_skips(&vs, 3, SL_FN_GT, sval("\xc3\xa9")));
	/* a string over 64 bytes: no min or max (null_count still) */
	char long65[65]; /* "bcd...": above "b", 65 bytes */
	for (int k = 0; k < 65; k++)
		long65[k] = (char)('b' + k % 25);
	struct sl_str lsv[2] = {{"b", 1}, {long65, 65}};
	vs.v.str = lsv;
	cr_assert_not(written_skips(&vs, 2, SL_FN_EQ, sval("a")));
	cr_assert(written_skips(&vs, 2, SL_FN_IS_NULL, sval("a")));
	lsv[1].len = 64;
	cr_assert(written_skips(&vs, 2, SL_FN_EQ, sval("a")), "64 bytes are written");
}
