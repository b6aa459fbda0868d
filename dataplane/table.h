/*
 * table.h — what the file and table sinks and sources share about a
 * directory of data files: the `_sluice_table` metadata file of a table,
 * and Hive-style partition directories (`store=7/counter=12/part-...`).
 *
 * A table is a directory written by the table sink: data files (json by
 * default, csv or text), a commit log (commit_log.h) and, written once by
 * its first writer before its first commit, `_sluice_table`:
 *
 *   line 1   v1
 *   line 2   {"format":"json","columns":N,"partition_columns":P,"run":"<id>"}
 *   N lines  {"column":"<name>","type":"<INT|BIGINT|DOUBLE|STRING|TIMESTAMP|BOOLEAN>"}
 *   P lines  {"partition_by":"<name>"}          (in partition_by order)
 *
 * The columns are the writer query's output columns, in order, partition
 * columns included; data files hold the other columns (Spark leaves
 * partition columns out of the files: their values are in the paths).
 */
#ifndef SL_TABLE_H
#define SL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "plan_types.h"

#define SL_TABLE_META "_sluice_table"
/* Spark's ExternalCatalogUtils.DEFAULT_PARTITION_NAME: a null or empty
 * partition value. */
#define SL_PART_DEFAULT "__HIVE_DEFAULT_PARTITION__"
#define SL_MAX_PART_COLS 16

enum sl_file_format {
	SL_FILE_CSV,
	SL_FILE_JSON,
	SL_FILE_TEXT,
	SL_FILE_PARQUET,
};

/* "csv", "json", "text", "parquet". */
const char *sl_file_format_name(enum sl_file_format f);
/* Any case; 0 or -EINVAL. */
int sl_file_format_parse(const char *s, enum sl_file_format *out);

struct sl_table_meta {
	enum sl_file_format format;
	struct sl_schema schema;        /* cols owned (malloc) */
	uint32_t npart;
	uint32_t part[SL_MAX_PART_COLS]; /* schema indices, partition_by order */
};

void sl_table_meta_free(struct sl_table_meta *m);
/* Read dirfd/_sluice_table. 0; -ENOENT when there is none; another -errno
 * with err filled (corrupt, unreadable). */
int sl_table_meta_read(int dirfd, struct sl_table_meta *m, char *err, size_t errlen);
/* Write it (whole or not at all). 0 or -errno. */
int sl_table_meta_write(int dirfd, const struct sl_table_meta *m, const char *run);
/* The file's bytes text[0..n) into m (what the readers do once they have
 * them; for the fuzz harness). 0, or -EBADMSG / -ENOMEM with err. */
int sl_table_meta_parse(const char *text, size_t n, struct sl_table_meta *m, char *err,
			size_t errlen);
/* The same for a table on S3: the object prefix + "_sluice_table" (prefix
 * "" or ending in '/'), with the caller's client. err filled on every
 * error but -ENOENT (read: no such object). */
struct sl_s3;
int sl_table_meta_read_s3(struct sl_s3 *s3, const char *bucket, const char *prefix,
			  struct sl_table_meta *m, char *err, size_t errlen);
int sl_table_meta_write_s3(struct sl_s3 *s3, const char *bucket, const char *prefix,
			   const struct sl_table_meta *m, const char *run, char *err, size_t errlen);
/* Same columns (names case-insensitively, types exactly, in order), format
 * and partition columns. */
bool sl_table_meta_same(const struct sl_table_meta *a, const struct sl_table_meta *b);
/* "(store INT, total DOUBLE) in format json, partitioned by (store)". */
void sl_table_meta_describe(const struct sl_table_meta *m, char *buf, size_t len);
/* The table's columns for a table source without a column list (the
 * planner's sl_source_ops.schema_of): the table at spec's `path` must
 * exist. 0 or -EINVAL / -ENOENT with err filled. */
int sl_table_schema_of(const struct sl_source_spec *spec, struct sl_schema *out, char *err,
		       size_t errlen);

/* --- partition directories --- */

/* Append s[0..n) escaped as Spark's ExternalCatalogUtils.escapePathName:
 * the bytes 0x01-0x1F, " # % ' * / : = ? \ 0x7F { [ ] ^ become %XX
 * (upper-case hex); NUL too (Spark leaves it, no file system takes it).
 * 0 or -ENOMEM. */
int sl_part_escape(const char *s, size_t n, struct sl_strbuf *out);
/* Undo it into out (room for n bytes): each %XX with two hex digits is
 * that byte. Returns the length. */
size_t sl_part_unescape(const char *s, size_t n, char *out);
/* Append the directory of one partition value, "col=value": the value as
 * CAST(v AS STRING) gives it, escaped; a null or empty value is
 * __HIVE_DEFAULT_PARTITION__ (Spark's getPartitionDirStr). 0 or -ENOMEM. */
int sl_part_dir(const char *col, const struct sl_vec *v, uint32_t row, struct sl_strbuf *scratch,
		struct sl_strbuf *out);
/* The raw (still escaped) value of partition column `col` in relative path
 * p: the last directory part "col=..." (name compared case-insensitively
 * after unescaping). false when p has none. */
bool sl_part_find(const char *p, const char *col, const char **val, size_t *len);

#endif
