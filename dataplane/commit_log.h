/*
 * commit_log.h — the commit log of a directory that the file and table sinks
 * write (dataplane/sink_file.c), read by the file and table sources
 * (dataplane/source_file.c): which data files exist, batch by batch, as
 * Spark's FileStreamSinkLog (`_spark_metadata`) records them. A data file
 * that no committed batch lists does not exist for a reader, so a reader
 * never sees part of a batch, nor the leftovers of a batch that failed.
 *
 * On disk, under the output directory:
 *
 *   _sluice_log/N           batch N's entry
 *   _sluice_log/N.compact   every batch from 0 through N, written instead
 *                           of the plain entry N when (N + 1) % 10 == 0
 *                           (Spark's CompactibleFileStreamLog, interval 10)
 *   _sluice_log/.N.tmp      an entry being written (hidden; never read)
 *
 * On S3 the same names are objects under "prefix/_sluice_log/" (a PUT is
 * whole or not at all: no temporary names), and the empty object
 * "_writer" marks a sink's output before its first entry.
 *
 * Every file is UTF-8 text, lines ending in '\n':
 *
 *   line 1     v1
 *   then, per batch it holds, in batch order:
 *              {"batch":N,"run":"<32 hex>","epoch":E,"files":K,"rows":R}
 *              K lines, one per data file of the batch:
 *              {"path":"<relative to the output directory>","size":S,"rows":R}
 *
 * `run` is the id of the run that wrote the batch (random, one per sink
 * opened), `epoch` the engine's epoch of that run. A batch may list no file
 * (an epoch without rows). Paths never start with '/' and never hold a
 * ".." part.
 *
 * Invariants the writer keeps:
 *  - an entry is written whole or not at all: temporary name, write, fsync,
 *    rename, fsync of the directory; a reader that lists N reads all of it;
 *  - batches are numbered 0, 1, 2, ... without gaps; a batch is added only
 *    as latest + 1, so an existing entry is never replaced;
 *  - one writer at a time: the writer holds an exclusive flock(2) on the
 *    _sluice_log directory while it is open (on S3 no lock: see
 *    sl_commit_log_open_s3);
 *  - after writing compaction C, entries of batches below C - 10 are
 *    deleted (the previous compaction and what follows it stay, so that a
 *    reader one interval behind still finds its plain entries): the log
 *    holds at most 20 files, however long the query runs.
 *
 * A reader that misses a plain entry (deleted by a compaction since it
 * listed the directory) reads the first compaction at or after it, which
 * holds it, as Spark's CompactibleFileStreamLog.allFiles does.
 *
 * All of it runs on the control thread (the sink) or on the file source's
 * planner thread; nothing here is on a per-row path.
 */
#ifndef SL_COMMIT_LOG_H
#define SL_COMMIT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_COMMIT_LOG_DIR "_sluice_log"
#define SL_COMMIT_LOG_INTERVAL 10
#define SL_RUN_ID_LEN 32

struct sl_commit_file {
	const char *path; /* relative to the output directory */
	uint64_t size;    /* bytes */
	uint64_t rows;
};

struct sl_commit_batch {
	uint64_t batch;
	char run[SL_RUN_ID_LEN + 1];
	uint64_t epoch;
	uint64_t rows;
	uint32_t nfiles;
	const struct sl_commit_file *files;
};

/* Whether batch id b is written as a compaction. */
static inline bool sl_commit_is_compaction(uint64_t b)
{
	return (b + 1) % SL_COMMIT_LOG_INTERVAL == 0;
}

/* A new run id: 32 lower-case hex digits of getrandom(2), NUL-terminated. */
void sl_commit_run_id(char out[SL_RUN_ID_LEN + 1]);

/*
 * Write buf[0..len) as dirfd/name, whole or not at all: into ".name.tmp",
 * fsync, rename over name, fsync the directory. 0 or -errno.
 */
int sl_commit_write_atomic(int dirfd, const char *name, const void *buf, size_t len);

/* --- the writer (the sink; control thread) --- */

struct sl_commit_log;
struct sl_s3;

/*
 * Open the log of the output directory dirfd (made when missing) for
 * writing: takes the writer's lock and finds the latest batch. NULL with
 * err filled ("... is written by another query", I/O errors).
 */
struct sl_commit_log *sl_commit_log_open(int dirfd, const char *shown_dir, char *err,
					  size_t errlen);
void sl_commit_log_close(struct sl_commit_log *log);
/*
 * The same on S3: the log of s3://bucket/prefix (prefix "" or ending in
 * '/'), written with client s3 (not owned; the caller's thread's). No
 * lock (S3 has none: one writer per prefix is the caller's rule); an entry
 * is one PUT, whole or not at all; a compaction is written every
 * SL_COMMIT_LOG_INTERVAL batches as in a directory and the expired entries
 * DELETEd, so the log holds about 20 objects however long the query runs.
 * A prefix without a log gets the marker SL_COMMIT_LOG_MARKER first.
 * shown names the output in messages. NULL with err filled.
 */
struct sl_commit_log *sl_commit_log_open_s3(struct sl_s3 *s3, const char *bucket,
					     const char *prefix, const char *shown, char *err,
					     size_t errlen);
/* The latest committed batch, or -1 when the log is empty. */
int64_t sl_commit_log_latest(const struct sl_commit_log *log);
/* Commit batch b (b->batch must be latest + 1): its entry, or its
 * compaction with every earlier batch; then the expired entries go.
 * 0, or -errno with err filled. */
int sl_commit_log_add(struct sl_commit_log *log, const struct sl_commit_batch *b, char *err,
		      size_t errlen);

/* A plain entry of batch b (the bytes of _sluice_log/N, format above)
 * into out, for a log kept elsewhere (the file sink on S3). 0 or -ENOMEM. */
struct sl_strbuf;
int sl_commit_encode_entry(const struct sl_commit_batch *b, struct sl_strbuf *out);

/* --- readers --- */

/* Whether dirfd has a _sluice_log directory. */
bool sl_commit_log_exists(int dirfd);

/* Called once per batch read, in batch order; b and its strings are valid
 * during the call. Returns 0 to go on, <0 to stop (returned by the read). */
typedef int (*sl_commit_visit_fn)(void *arg, const struct sl_commit_batch *b);

struct sl_commit_reader;

struct sl_commit_reader *sl_commit_reader_create(void);
void sl_commit_reader_destroy(struct sl_commit_reader *r);

/*
 * Visit the committed batches of dirfd's log from *next through `last`
 * (inclusive; UINT64_MAX: every batch there is), in order, and move *next
 * past the last one visited. Returns how many batches were visited, or
 * -errno with err filled (a corrupt entry, a missing batch, an I/O error);
 * -ENOENT when there is no log at all. What the visitor returns when < 0 is
 * returned as it is, *next then pointing at that batch.
 */
int sl_commit_reader_read(struct sl_commit_reader *r, int dirfd, uint64_t *next, uint64_t last,
			  sl_commit_visit_fn fn, void *arg, char *err, size_t errlen);

/* One entry's bytes buf[0..n) as the reader parses entry `id` (a
 * compaction when compact), visiting its batches in [*next, last]: how
 * many were visited, or <0 with err (-EBADMSG: not a valid entry). For the
 * fuzz harness and the tests; the reader above reads entries this way. */
int sl_commit_parse_entry(struct sl_commit_reader *r, const char *buf, size_t n, uint64_t id,
			  bool compact, uint64_t *next, uint64_t last, sl_commit_visit_fn fn,
			  void *arg, char *err, size_t errlen);

/*
 * The same over object storage: the log of s3://bucket/prefix ("prefix/"
 * + SL_COMMIT_LOG_DIR "/N" objects, the same format; prefix "" or ending
 * in '/'), listed and read with client s3 (the caller's thread's). -ENOENT
 * when no object is under the log's prefix.
 */
struct sl_s3;
int sl_commit_reader_read_s3(struct sl_commit_reader *r, struct sl_s3 *s3, const char *bucket,
			     const char *prefix, uint64_t *next, uint64_t last,
			     sl_commit_visit_fn fn, void *arg, char *err, size_t errlen);
/* Whether s3://bucket/prefix has a commit log (any object under its log's
 * prefix: the sink puts a marker there before its first data object).
 * 1, 0, or -errno with sl_s3_error(s3). */
int sl_commit_log_exists_s3(struct sl_s3 *s3, const char *bucket, const char *prefix);
/* The marker's name in the log (no entry's name: readers skip it). */
#define SL_COMMIT_LOG_MARKER "_writer"

#endif
