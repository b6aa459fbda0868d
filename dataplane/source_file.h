/*
 * source_file.h — the pure parts of the file source (dataplane/source_file.c),
 * exposed for its unit tests: which names count, the order files are taken
 * in, the per-batch limits, Spark's seen-files map with its age limit, how a
 * large file is cut into parts, and the reader that reads one part on line
 * boundaries.
 *
 * Nothing here touches an ingest core; the connector itself is
 * sl_source_file_ops (registered in connectors.c).
 */
#ifndef SL_SOURCE_FILE_H
#define SL_SOURCE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "types.h"

/* One read request; SL_FILE_READS_IN_FLIGHT of them fill the line buffer. */
#define SL_FILE_READ_CHUNK ((size_t)1 << 20)
#define SL_FILE_READS_IN_FLIGHT 4
/* A file is cut into parts only when each part gets at least this much. */
#define SL_FILE_SPLIT_MIN ((uint64_t)4 << 20)
/* The full listing that backs up inotify runs at least this often. */
#define SL_FILE_RELIST_MS 2000
/* Spark's maxFileAge default: 7 days. */
#define SL_FILE_DEFAULT_MAX_AGE_MS ((uint64_t)7 * 24 * 3600 * 1000)

/* --- names --- */

/* Hidden: starts with '.' or '_', or ends with "._COPYING_" (a Hadoop copy
 * in progress), as Spark's file listing skips them. */
bool sl_file_name_hidden(const char *name);
/* Whether a directory entry is read: not hidden, and matching the glob(3)
 * pattern of the path's last part when there is one (NULL: every name). */
bool sl_file_name_wanted(const char *pattern, const char *name);

/* --- options --- */

/* max_file_age: Spark's time strings ("7d", "12h", "30m", "10s", "500ms";
 * a bare number is milliseconds) or sluice's intervals ("2 hours",
 * "1 week"). 0 or -EINVAL. */
int sl_file_parse_age(const char *s, uint64_t *ms_out);

/* --- order and limits --- */

/* A file the source knows and has not taken. */
struct sl_file_cand {
	const char *name;
	uint64_t size;
	int64_t mtime_ns;
};

/* Oldest first by modification time (newest first with latest_first);
 * files with the same time in name order, so that the order is fixed. */
void sl_file_sort(struct sl_file_cand *v, size_t n, bool latest_first);

/* How many of the sorted v[0..n) a batch that holds `files` files of
 * `bytes` bytes may still take: at most max_files files in all, and files
 * while the bytes stay within max_bytes, a batch's first file always (so
 * that a file larger than the limit is still read, alone, as Spark's
 * maxBytesPerTrigger does); 0 means no limit. *full says whether the limit
 * stopped the taking (the batch takes nothing more). */
size_t sl_file_take(const struct sl_file_cand *v, size_t n, uint64_t files, uint64_t bytes,
		    uint64_t max_files, uint64_t max_bytes, bool *full);

/* --- files already taken (Spark's SeenFilesMap) --- */

struct sl_file_seen;

/* max_age_ms: UINT64_MAX for no limit; name_only: a file is known by the
 * part of its path after the last '/' (file_name_only). NULL on ENOMEM. */
struct sl_file_seen *sl_file_seen_create(uint64_t max_age_ms, bool name_only);
void sl_file_seen_destroy(struct sl_file_seen *s);
/* Remember a taken file and its modification time (ms). 0 or -ENOMEM. */
int sl_file_seen_add(struct sl_file_seen *s, const char *path, int64_t mtime_ms);
/* New: not taken before, and not older than the newest file taken minus
 * the age limit as of the last purge (before any purge: every file). */
bool sl_file_seen_is_new(const struct sl_file_seen *s, const char *path, int64_t mtime_ms);
/* Move the age limit up to the newest file taken minus max_age, and forget
 * the files older than it (they can never be new again). Returns how many
 * were forgotten. */
size_t sl_file_seen_purge(struct sl_file_seen *s);
size_t sl_file_seen_size(const struct sl_file_seen *s);

/* --- parts of a file --- */

/* Into how many parts a file of `size` bytes is read by n_ingest cores:
 * 1 unless every part gets at least min_part bytes; at most n_ingest. */
uint32_t sl_file_split_count(uint64_t size, uint32_t n_ingest, uint64_t min_part);
/* Part i of `parts`: bytes [start, end), the parts covering [0, size). */
void sl_file_split_part(uint64_t size, uint32_t parts, uint32_t i, uint64_t *start,
			uint64_t *end);

/*
 * The reader of one part [start, end) of a file, on line boundaries (the
 * rule of Hadoop's LineRecordReader): a part that starts at 0 begins there;
 * any other part begins after the first '\n' at or after `start`; a part
 * reads every line that begins at or before `end`, finishing the last one
 * past `end`. So the lines beginning in (start, end] are this part's (and
 * those in [0, end] for the first part), and the parts of a file together
 * read each of its lines exactly once.
 *
 * Reads are large (SL_FILE_READ_CHUNK, SL_FILE_READS_IN_FLIGHT at once,
 * through io_uring when it is there) straight into a line splitter
 * (lines.h), which hands out lines as views into its buffer:
 *
 *     sl_file_reader_open(r, fd, size, start, end);
 *     for (;;) {
 *             k = sl_file_reader_lines(r, out, max);   complete lines now
 *             if (k > 0) { use out[0..k); continue; }
 *             if (sl_file_reader_done(r)) break;
 *             ... stop using the lines handed out so far ...
 *             sl_file_reader_fill(r);                   reuses the buffer
 *     }
 *
 * Lines stay valid until the next fill() or open(). Bytes past `size` (the
 * size when the file was listed) are never read.
 */
struct sl_file_reader;

/*
 * Where a reader's bytes come from, pread-like: a local file (fd, read
 * through the reader's io_uring when it has one), or anything else through
 * read_at(ctx, buf, n, off), which returns the bytes read (fewer than n only
 * at the end; 0 past it) or -errno: an S3 object read by ranged GETs
 * (source_file.c), or any other store. read_at NULL: fd.
 */
typedef ssize_t sl_file_read_at_fn(void *ctx, void *buf, size_t n, uint64_t off);
struct sl_file_input {
	int fd;
	sl_file_read_at_fn *read_at;
	void *ctx;
};

struct sl_file_reader *sl_file_reader_create(uint64_t max_line, bool use_uring);
void sl_file_reader_destroy(struct sl_file_reader *r);
/* Whether reads go through io_uring (false: pread, when io_uring could not
 * be set up). */
bool sl_file_reader_uses_uring(const struct sl_file_reader *r);
/* Records cut by find(ctx, ...) instead of at every '\n' (lines.h
 * sl_lines_set_scanner): CSV with multi_line = true, whose files are read
 * whole (one part). NULL: lines. */
typedef size_t sl_file_scan_fn(void *ctx, const char *s, size_t n);
void sl_file_reader_set_records(struct sl_file_reader *r, sl_file_scan_fn *find, void *ctx);
/* Start on part [start, end) of the open file fd of `size` bytes. 0, or
 * -errno when the first line boundary could not be read. */
int sl_file_reader_open(struct sl_file_reader *r, int fd, uint64_t size, uint64_t start,
			uint64_t end);
/* The same on any input (copied; its ctx must live until the next open). */
int sl_file_reader_open_input(struct sl_file_reader *r, const struct sl_file_input *in,
			      uint64_t size, uint64_t start, uint64_t end);
/* Up to max complete lines; SL_LINES_PADDING bytes after each are
 * readable (sl_recparse_line_padded may take them). */
uint32_t sl_file_reader_lines(struct sl_file_reader *r, struct sl_str *out, uint32_t max);
/* Whether the last sl_file_reader_lines call's lines are all ASCII, as
 * the splitter's scan saw (sl_lines_ascii; false: unknown). */
bool sl_file_reader_lines_ascii(const struct sl_file_reader *r);
/* The part's bytes buffered from the next line on, for a caller that cuts
 * them itself (lines.h sl_lines_peek: *max_line the longest line the
 * reader takes), and the first n of them taken as lines (sl_lines_take). */
size_t sl_file_reader_peek(const struct sl_file_reader *r, const char **p, uint64_t *max_line);
void sl_file_reader_take(struct sl_file_reader *r, size_t n);
bool sl_file_reader_done(const struct sl_file_reader *r);
/* Read the next bytes of the part. 1 when bytes came, 0 at the part's end,
 * -errno on a read error (sl_file_reader_offset() says where). */
int sl_file_reader_fill(struct sl_file_reader *r);
/* The file offset of a byte of a line handed out since the last fill(). */
uint64_t sl_file_reader_offset_of(const struct sl_file_reader *r, const char *p);
/* Where the next read starts. */
uint64_t sl_file_reader_offset(const struct sl_file_reader *r);
/* Bytes handed to the line splitter since create; lines longer than
 * max_line skipped since create. */
uint64_t sl_file_reader_bytes(const struct sl_file_reader *r);
uint64_t sl_file_reader_malformed(const struct sl_file_reader *r);

/* The 1-based line number of the line that begins at byte `offset` of fd
 * (counting '\n' before it; for error messages). 0 when it cannot be read. */
uint64_t sl_file_line_number(int fd, uint64_t offset);
uint64_t sl_file_line_number_input(const struct sl_file_input *in, uint64_t offset);

#endif
