/*
 * fuzz_parquet.c — libFuzzer harness for the Parquet reader
 * (dataplane/parquet.h): the footer's Thrift compact protocol, the schema,
 * the page headers, the codecs and every value and level decoder.
 *
 * Input: the bytes of a Parquet file (the seeds are small files DuckDB
 * wrote: every type, codec, dictionary and plain pages, v1 and v2 pages).
 * The file is opened through a read callback over the input; every
 * readable column (at most 32) is bound with its natural type and every
 * row group read, 256 rows at a time, up to 200000 rows in all. Every
 * string read is hashed byte by byte, so that a value pointing outside a
 * buffer trips ASan. Before each row group, its statistics are asked
 * (sl_pq_reader_skips) for every op on every bound column, the literal
 * of the column's type taken from the input's first bytes (strings are
 * compared byte by byte, so a bound pointing outside the footer trips
 * ASan). Checked: a read returns at most the rows asked for;
 * sl_pq_open and sl_pq_reader_* fail with a message, never crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_parquet: check failed at line %d: %s\n", \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

#define ROWS 256
#define MAX_COLS 32

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

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sl_pq_reader *r;
	static uint8_t nulls[MAX_COLS][ROWS];
	static int64_t vals[MAX_COLS][ROWS * 2]; /* room for struct sl_str too */
	if (r == NULL && (r = sl_pq_reader_create(MAX_COLS)) == NULL)
		abort();
	struct mem m = {data, size};
	char err[512];
	err[0] = '\0';
	struct sl_pq_file *f = sl_pq_open(mem_read, &m, size, err, sizeof(err));
	if (f == NULL) {
		CHECK(err[0] != '\0');
		return 0;
	}
	const char *names[MAX_COLS];
	enum sl_type types[MAX_COLS];
	struct sl_vec cols[MAX_COLS];
	uint32_t n = 0;
	for (uint32_t i = 0; i < sl_pq_columns(f) && n < MAX_COLS; i++) {
		enum sl_type t = sl_pq_column_type(f, i);
		if (t == SL_TYPE_NULL)
			continue;
		names[n] = sl_pq_column_name(f, i);
		types[n] = t;
		cols[n] = (struct sl_vec){.type = t, .nulls = nulls[n]};
		cols[n].v.i64 = vals[n];
		n++;
	}
	/* a column the file lacks reads as NULL */
	names[n] = "no such column";
	types[n] = SL_TYPE_BIGINT;
	cols[n] = (struct sl_vec){.type = SL_TYPE_BIGINT, .nulls = nulls[n]};
	cols[n].v.i64 = vals[n];
	if (n < MAX_COLS)
		n++;
	struct sl_chunk out = {.ncols = n, .cols = cols};
	uint64_t budget = 200000, h = 0;
	if (sl_pq_reader_bind(r, f, names, types, n, err, sizeof(err)) == 0) {
		/* every op on every column, the literal from the input's bytes */
		static const enum sl_fn ops[] = {SL_FN_EQ, SL_FN_LT, SL_FN_LE, SL_FN_GT, SL_FN_GE,
						 SL_FN_IS_NULL, SL_FN_IS_NOT_NULL};
		struct sl_pq_pred preds[MAX_COLS * 7];
		uint32_t np = 0;
		int64_t iv = 0;
		double dv;
		memcpy(&iv, data, size < 8 ? size : 8);
		memcpy(&dv, &iv, 8);
		for (uint32_t c = 0; c < n; c++)
			for (int o = 0; o < 7; o++) {
				struct sl_pq_pred *p = &preds[np++];
				*p = (struct sl_pq_pred){.col = c, .op = ops[o]};
				p->lit.type = types[c];
				if (sl_type_is_bytes(types[c]))
					p->lit.v.str = (struct sl_str){(const char *)data,
								       size < 16 ? (uint32_t)size : 16};
				else if (types[c] == SL_TYPE_DOUBLE)
					p->lit.v.f64 = dv;
				else if (types[c] == SL_TYPE_BOOLEAN)
					p->lit.v.b = iv & 1;
				else
					p->lit.v.i64 = iv;
			}
		for (uint32_t g = 0; g < sl_pq_row_groups(f); g++)
			for (uint32_t k = 0; k < np; k++)
				h += sl_pq_reader_skips(r, g, &preds[k], 1);
		for (uint32_t g = 0; g < sl_pq_row_groups(f) && budget > 0; g++) {
			if (sl_pq_reader_start(r, g, err, sizeof(err)) < 0)
				break;
			int got;
			while (budget > 0 && (got = sl_pq_reader_read(r, &out, 0, ROWS, err,
								      sizeof(err))) > 0) {
				CHECK(got <= ROWS);
				budget -= (uint64_t)got < budget ? (uint64_t)got : budget;
				for (uint32_t c = 0; c < n; c++) {
					if (!sl_type_is_bytes(types[c]))
						continue;
					for (int k = 0; k < got; k++) {
						if (cols[c].nulls[k])
							continue;
						const struct sl_str *s = &cols[c].v.str[k];
						for (uint32_t b = 0; b < s->len; b++)
							h = h * 31 + (uint8_t)s->ptr[b];
					}
				}
			}
		}
	}
	sl_pq_close(f);
	sink = h; /* keeps the hashing from being optimized out */
	return 0;
}
