/*
 * static_table.h — the static tables of CREATE TABLE for stream-static
 * joins: a table's file(s) read once when a query starts, its rows kept as
 * typed columns, and hash indexes of those rows by join key that every
 * ingest core probes (Spark's broadcast hash join, the build side).
 *
 * Life: sl_plan_prepare() (pipeline.h) loads each table a plan joins and
 * builds one index per distinct (table, keys) on the control thread before
 * the cores start; from then on tables and indexes are read-only and shared
 * by every ingest core without locks; sl_plan_release() frees them after
 * the cores have stopped. Loading allocates freely; probing allocates
 * nothing.
 *
 * A table is `connector = 'file'` with `path` (a file, a directory whose
 * files are all read, in name order, or a glob(3) pattern of file names,
 * relative to the directory sluice runs in), `format` (text, csv, json;
 * default text) and the format's options (recparse.h, docs/formats.md):
 * the same parsers, modes and malformed-record rules as the file source.
 * Hidden files (names starting with '.' or '_') are skipped.
 *
 * Index: open addressing over the encoded keys (key.h: the encoding and
 * XXH3 hash GROUP BY uses), linear probing, at most half full. Each
 * distinct key holds the run of its rows' numbers in table order, so a key
 * that several rows share gives one match per row. A row whose key has a
 * NULL value is not indexed: a NULL key never matches (SQL equality), and
 * no probe key with a NULL value can equal an indexed key (the NULL tag
 * differs from every value's).
 */
#ifndef SL_STATIC_TABLE_H
#define SL_STATIC_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "plan_types.h"

/* The columns a table may have: what the record parsers read. */
bool sl_static_table_type_supported(enum sl_type t);

/*
 * Check a table's definition at plan time: connector 'file', a path, a
 * known format, only options of that format, a schema the format reads
 * (recparse's rules). The file is not looked at (it is read at start).
 * 0, or -EINVAL with "line L, column C: what is wrong; what to do" in err.
 */
int sl_static_table_validate(const struct sl_source_spec *def, char *err, size_t errlen);

/*
 * Read the table's file(s) into memory. NULL on failure, with errno set and
 * "line L, column C: table 'name': ..." (the CREATE TABLE's position) in
 * err: a path that names nothing (or a pattern that matches nothing), a
 * file that cannot be read, a malformed record under mode FAILFAST (with
 * its file and line), ENOMEM.
 */
struct sl_static_table *sl_static_table_load(const struct sl_source_spec *def, char *err,
					     size_t errlen);
void sl_static_table_destroy(struct sl_static_table *t);

uint32_t sl_static_table_nrows(const struct sl_static_table *t);
uint32_t sl_static_table_ncols(const struct sl_static_table *t);
/* def's columns, nrows values each; every vector has a null map (and a
 * non-NULL value array, even for no rows). Strings live in the table. */
const struct sl_vec *sl_static_table_cols(const struct sl_static_table *t);
/* Files read, and records malformed in them (kept with NULLs under
 * PERMISSIVE, dropped under DROPMALFORMED). */
uint32_t sl_static_table_nfiles(const struct sl_static_table *t);
uint64_t sl_static_table_malformed(const struct sl_static_table *t);

/*
 * An index of t's rows by the values of keys[0..nkeys) (prepared trees over
 * t's columns, of key types: sl_key_type_supported). The index refers to t,
 * which must outlive it. NULL with errno set and a message in err on
 * failure (ENOMEM; EINVAL when a key does not evaluate).
 */
struct sl_static_index *sl_static_index_build(const struct sl_static_table *t,
					      struct sl_expr *const *keys, uint32_t nkeys,
					      char *err, size_t errlen);
/* Indexes are shared by reference count: ref adds one, destroy drops one
 * and frees at zero. destroy(NULL) is a no-op. */
struct sl_static_index *sl_static_index_ref(struct sl_static_index *ix);
void sl_static_index_destroy(struct sl_static_index *ix);

const struct sl_static_table *sl_static_index_table(const struct sl_static_index *ix);
/* Distinct keys indexed (rows with a NULL key are not). */
uint32_t sl_static_index_nkeys(const struct sl_static_index *ix);

/*
 * The rows whose key encodes to k[0..n), hash h = sl_key_hash(k, n): their
 * number (0 when none) and, in *rows, their row numbers in table order.
 * Read-only; safe from any number of threads at once.
 */
uint32_t sl_static_index_find(const struct sl_static_index *ix, const void *k, uint32_t n,
			      uint64_t h, const uint32_t **rows);

#endif
