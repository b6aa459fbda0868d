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
 * buffer trips ASan. Checked: a read returns at most the rows asked for;
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
