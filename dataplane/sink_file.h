/*
 * sink_file.h — the parts of the file and table sinks (dataplane/sink_file.c)
 * that their unit tests drive one by one: the options, the timestamp
 * patterns, the CSV, JSON and text writers of one row, and the two steps
 * of writing a batch (stage the data files, then publish them in the commit
 * log), so that a test can stop between the two as a crash would.
 *
 * The connectors themselves are sl_sink_file_ops and sl_sink_table_ops
 * (registered in connectors.c); the engine calls write(), which is stage
 * then publish.
 */
#ifndef SL_SINK_FILE_H
#define SL_SINK_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "format.h"
#include "plan_types.h"
#include "table.h"

/* --- timestamp patterns (Java's DateTimeFormatter, for formatting) --- */

struct sl_ts_pattern;

/* Spark's default for writing CSV and JSON (non-legacy, Spark 3.x). */
#define SL_TS_PATTERN_SPARK "yyyy-MM-dd'T'HH:mm:ss[.SSS][XXX]"
/* A table's: microseconds kept, so that what is read back is what was
 * written. */
#define SL_TS_PATTERN_TABLE "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"

/* Letters: G y u M L d D E a h H k K m s S X x Z z V, 'quoted text' ('' is
 * a quote), [optional sections] (always printed: a UTC instant has every
 * field), other characters as themselves. NULL with err filled (which
 * letter, why) or errno ENOMEM. */
struct sl_ts_pattern *sl_ts_pattern_compile(const char *pat, char *err, size_t errlen);
void sl_ts_pattern_free(struct sl_ts_pattern *p);
/* Append timestamp `us` (microseconds since the epoch, UTC) as the
 * pattern prints it. 0 or -ENOMEM. */
int sl_ts_pattern_format(const struct sl_ts_pattern *p, int64_t us, struct sl_strbuf *out);

/* --- options --- */

struct sl_csv_opts {
	char sep;               /* one ASCII character */
	int quote;              /* a byte, or -1: values are never quoted */
	int escape;             /* a byte */
	int escape_escape;      /* a byte, or -1 (univocity's '\0') */
	bool header;
	bool quote_all, escape_quotes;
	bool trim_leading, trim_trailing;
	char *null_value;       /* owned */
	char *empty_value;      /* owned; what an empty string is written as */
};

struct sl_file_opts {
	enum sl_file_format format;
	char *path;             /* owned */
	bool table;             /* connector 'table' */
	uint32_t npart;
	char part[SL_MAX_PART_COLS][SL_NAME_MAX]; /* partition_by, in order */
	struct sl_csv_opts csv;
	struct sl_ts_pattern *ts; /* owned */
	bool ignore_null_fields;  /* json */
	int pq_codec;             /* parquet: the pages' codec (parquet_int.h numbers) */
	uint64_t pq_row_group;    /* parquet: row group size, uncompressed bytes */
	bool s3;                  /* path = 's3://bucket/prefix/' */
	uint64_t s3_part_size;    /* s3.part_size: multipart upload parts */
};

/* Parse and check the sink's options (spec->options: the connector's own;
 * keys lower case, snake_case or Spark's camelCase), table = connector
 * 'table'. 0, or -EINVAL with "line L, column C: ..." in err. */
int sl_file_opts_parse(const struct sl_sink_spec *spec, bool table, struct sl_file_opts *o,
		       char *err, size_t errlen);
void sl_file_opts_free(struct sl_file_opts *o);

/* --- one row --- */

/* Writes rows of a schema in the options' format. The data columns are the
 * schema's but the partition columns. */
struct sl_file_enc {
	const struct sl_file_opts *o;
	uint32_t ncols;         /* data columns */
	uint32_t *cols;         /* their indices in the schema */
	struct sl_strbuf keys;  /* json: "\"name\":" of each data column, back to back */
	uint32_t *key_off;      /* [ncols + 1] offsets into keys */
	struct sl_strbuf cell, tmp; /* scratch */
};

/* Check the schema against the format and options (Spark's errors: a text
 * sink takes one STRING column, CSV no struct or array, partition columns
 * exist and are not all the columns) and set e up. 0, or -EINVAL with err
 * filled. */
int sl_file_enc_init(struct sl_file_enc *e, const struct sl_file_opts *o,
		     const struct sl_schema *schema, uint32_t *part_idx, char *err, size_t errlen);
void sl_file_enc_free(struct sl_file_enc *e);
/* csv with header: the header line; otherwise nothing. 0 or -ENOMEM. */
int sl_file_enc_header(struct sl_file_enc *e, const struct sl_schema *schema,
		       struct sl_strbuf *out);
/* Row `row` of cols (the schema's columns) and its line end. A CSV row
 * whose text is empty is left out, as univocity's writer (skipEmptyLines)
 * does: 1 when a line was written, 0 when not, -ENOMEM. */
int sl_file_enc_row(struct sl_file_enc *e, const struct sl_vec *cols, uint32_t row,
		    struct sl_strbuf *out);
/* One CSV value as univocity's CsvWriter writes it (s NULL: a null),
 * without separator; first: the row's first value. 0 or -ENOMEM. */
int sl_csv_put_value(const struct sl_csv_opts *o, const char *s, size_t n, bool first,
		     struct sl_strbuf *out);

/* --- the sink, step by step --- */

struct sl_sink;

/* What write() does, in two steps. open: the output directory made, the
 * commit log opened (and locked), the table's metadata checked or
 * written; the batch base is the latest committed batch + 1. */
struct sl_sink *sl_file_sink_open(const struct sl_sink_spec *spec, const struct sl_schema *schema,
				  bool table, char *err, size_t errlen);
void sl_file_sink_close(struct sl_sink *s);
/* The log batch of the engine's epoch 0 (CHECKPOINT SEAM: a restart from a
 * checkpoint sets the base it recorded, so that epoch N maps to the log
 * batch it had and a replayed epoch is skipped). */
uint64_t sl_file_sink_batch_base(const struct sl_sink *s);
void sl_file_sink_set_batch_base(struct sl_sink *s, uint64_t base);
/* Step 1: write epoch's rows as data files under hidden temporary names,
 * fsync them, rename them into place, fsync their directories. Nothing is
 * visible to a reader of the log yet. 1 when staged, 0 when the epoch's
 * batch is committed already (nothing written), -errno (err filled). */
int sl_file_sink_stage(struct sl_sink *s, uint64_t epoch, const struct sl_batch *rows,
		       char *err, size_t errlen);
/* Step 2: commit the staged files as the batch's log entry. 0 or -errno. */
int sl_file_sink_publish(struct sl_sink *s, char *err, size_t errlen);

#endif
