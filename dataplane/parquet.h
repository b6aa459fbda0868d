/*
 * parquet.h — reading Apache Parquet files into record chunks, without a
 * Parquet library (Debian 12 has none): the Thrift compact protocol of the
 * footer and page headers is parquet_thrift.c, the codecs parquet_codec.c
 * (snappy, zstd, gzip, lz4_raw through Debian's libraries), the file and
 * its pages parquet_read.c.
 *
 * A file is opened once (sl_pq_open: the footer, checked against the file's
 * size) and read through a caller's callback, never an fd, so that any
 * byte store (a local file, an object) can be read the same way. A reader
 * (sl_pq_reader) decodes the columns a query wants, row group by row group,
 * into the caller's struct sl_chunk columns, column by column.
 *
 * Strings: a STRING or BINARY value decoded by sl_pq_reader_read points into
 * the reader's page buffers. It stays valid until the reader loads another
 * page of that column or starts another row group: before each read, the
 * caller asks sl_pq_reader_will_load() and, when it is true, copies (pins)
 * or hands over the rows that hold strings.
 *
 * Errors: every function that can fail fills err with what is wrong and
 * where ("row group 2, column 'price', page 3 (byte offset 5120): ...");
 * nothing here reads outside the buffers it was given or made, whatever the
 * bytes of the file are.
 */
#ifndef SL_PARQUET_H
#define SL_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "expr.h"
#include "types.h"

/* Read n bytes at byte offset off into buf: 0, or -errno (-ENODATA: the
 * store holds fewer bytes). */
typedef int sl_pq_read_fn(void *ctx, void *buf, size_t n, uint64_t off);

struct sl_pq_file;
struct sl_pq_reader;

/* Open a file of `size` bytes: checks the magic at both ends, the footer's
 * length and every offset it gives against the size. NULL with err set
 * (errno EINVAL for a file that is not valid Parquet or uses what sluice
 * does not read, ENOMEM, or the read's error). */
struct sl_pq_file *sl_pq_open(sl_pq_read_fn *read_at, void *ctx, uint64_t size, char *err,
			      size_t errlen);
void sl_pq_close(struct sl_pq_file *f);

uint64_t sl_pq_num_rows(const struct sl_pq_file *f);
uint32_t sl_pq_row_groups(const struct sl_pq_file *f);
uint64_t sl_pq_row_group_rows(const struct sl_pq_file *f, uint32_t rg);
/* The byte in the middle of the row group's column chunks: the row group
 * belongs to the part of the file that holds it (Spark's and Hadoop's rule). */
uint64_t sl_pq_row_group_mid(const struct sl_pq_file *f, uint32_t rg);

/* The leaf columns, structs flattened to "a.b"; their natural sluice type
 * (SL_TYPE_NULL for a column sluice cannot read: a list or map, or a type it
 * does not take; sl_pq_reader_bind says why when one is asked for). */
uint32_t sl_pq_columns(const struct sl_pq_file *f);
const char *sl_pq_column_name(const struct sl_pq_file *f, uint32_t i);
enum sl_type sl_pq_column_type(const struct sl_pq_file *f, uint32_t i);

/* A reader of up to `ncols` columns; its buffers grow with the pages it
 * reads and are kept for the next file. NULL (ENOMEM). */
struct sl_pq_reader *sl_pq_reader_create(uint32_t ncols);
void sl_pq_reader_destroy(struct sl_pq_reader *r);

/* Read file f's columns names[i] (case-insensitive, "a.b" for a struct's
 * field) as types[i] into chunk column i. A name the file lacks is read as
 * all NULL; so is a NULL name, without a byte of the file read for it (a
 * column the query does not use). 0, or -EINVAL with err naming the column: a list or map, a type
 * that does not convert to types[i], a column sluice cannot read. */
int sl_pq_reader_bind(struct sl_pq_reader *r, const struct sl_pq_file *f, const char *const *names,
		      const enum sl_type *types, uint32_t n, char *err, size_t errlen);

/* A condition on a bound column (index col of sl_pq_reader_bind's names):
 * op SL_FN_EQ, _LT, _LE, _GT or _GE: `column op lit`, lit of the type
 * the comparison is made in (BOOLEAN, INT, BIGINT, TIMESTAMP, DOUBLE,
 * STRING or BINARY: the column's declared type, or DOUBLE or BIGINT for a
 * narrower integer column); SL_FN_IS_NULL, _IS_NOT_NULL (lit unused). */
struct sl_pq_pred {
	uint32_t col;
	enum sl_fn op;
	struct sl_value lit;
};

/* Whether row group rg of the bound file holds no row that satisfies all
 * of preds[0..n) (then it need not be read), by its column chunks'
 * statistics: a column all NULL (null_count) or missing fails every
 * comparison; IS NULL fails without nulls; a comparison fails when lit
 * lies outside the chunk's [min, max] on the wrong side. Only statistics
 * whose order is sluice's are used (parquet_read.c, stat_bound); false
 * whenever in doubt. */
bool sl_pq_reader_skips(const struct sl_pq_reader *r, uint32_t rg, const struct sl_pq_pred *preds,
			uint32_t n);

/* Start row group rg. 0, or -errno with err. */
int sl_pq_reader_start(struct sl_pq_reader *r, uint32_t rg, char *err, size_t errlen);

/* Whether the next sl_pq_reader_read loads a page (and so may invalidate
 * strings decoded before). */
bool sl_pq_reader_will_load(const struct sl_pq_reader *r);

/* Decode up to max rows of the row group into out->cols[0..n) at rows
 * [at, at + got). Returns the rows decoded (> 0), 0 at the end of the row
 * group, or -errno with err (-EINVAL: corrupt or unsupported data; the
 * reader is then unusable until the next sl_pq_reader_start). */
int sl_pq_reader_read(struct sl_pq_reader *r, struct sl_chunk *out, uint32_t at, uint32_t max,
		      char *err, size_t errlen);

/* --- writing (parquet_write.c) --- */

struct sl_pq_writer;

/* A column to write: its name and values (BOOLEAN, INT, BIGINT, DOUBLE,
 * STRING, BINARY or TIMESTAMP: sl_pq_writes_type). */
struct sl_pq_wcol {
	const char *name;
	const struct sl_vec *vec;
};

bool sl_pq_writes_type(enum sl_type t);
struct sl_pq_writer *sl_pq_writer_create(void);
void sl_pq_writer_destroy(struct sl_pq_writer *w);
/* One whole file of rows[0..nrows) of the columns, in row groups of about
 * row_group_bytes uncompressed, pages compressed with codec (0 none,
 * 1 snappy, 2 gzip, 6 zstd). *out, *outlen: the file's bytes, in the
 * writer's buffer until its next call. 0, or -ENOMEM, -ENOTSUP (a type
 * not written), -EINVAL (no columns). */
int sl_pq_write(struct sl_pq_writer *w, const struct sl_pq_wcol *cols, uint32_t ncols,
		const uint32_t *rows, uint32_t nrows, int codec, uint64_t row_group_bytes,
		const uint8_t **out, size_t *outlen);

/* The Parquet name of a codec (compression) number ("SNAPPY"). */
const char *sl_pq_codec_name(int codec);

#endif
