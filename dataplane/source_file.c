/*
 * source_file.c — the "file" source connector: Spark's file stream source
 * (FileStreamSource). A query watches a directory (or the names matching a
 * glob in it); files moved into it are read, each exactly once, in
 * micro-batches of at most max_files_per_trigger files (or
 * max_bytes_per_trigger bytes), oldest first by modification time (newest
 * first with latest_first). Records are lines: text, CSV or JSON, parsed
 * straight into the ingest batch; or Parquet row groups (below).
 *
 * Who does what:
 *  - open() (control thread) checks the options again, resolves the
 *    directory, starts watching it (inotify: IN_MOVED_TO, IN_CLOSE_WRITE,
 *    IN_DELETE, IN_MOVED_FROM), lists it once, and makes every ingest
 *    thread's reader (line buffer + io_uring), parser and pin arena.
 *  - Ingest thread 0 is also the planner: it alone owns the candidates (files
 *    noticed, not yet taken), the seen-files map (Spark's SeenFilesMap, with
 *    its max_file_age purge) and the watch, and it alone puts files into the
 *    batch being read. The other threads only claim work items of that
 *    batch and read them.
 *  - A work item is a whole file, or one part of a large file (every part
 *    at least SL_FILE_SPLIT_MIN bytes, at most one part per ingest thread),
 *    read on line boundaries (source_file.h: a part reads the lines that
 *    begin in (start, end]), so that one big file keeps every core busy.
 *    CSV with header = true is never split: only the file's first line is
 *    its header; nor is CSV with multi_line = true, whose records (quoted
 *    fields holding line ends) are cut by the parser's scanner
 *    (sl_recparse_scan, through sl_file_reader_set_records), not at every
 *    '\n'.
 *
 * A batch (the files the source hands over as one epoch), as a state machine
 * of s->batch, kept by the planner under s->mu:
 *  - EMPTY: no files. As soon as candidates are known the planner takes
 *    them, in order, as many as the limits allow (the listing at planning
 *    time, as Spark's latestOffset takes it), and splits them into work
 *    items that any thread claims -> READING. Files noticed later wait for
 *    the next batch.
 *  - READING: the threads read the items and commit their rows, all into
 *    the epoch E that every ingest core of the source is filling (none can
 *    be cut: see below). When every item is read and committed:
 *     - if the files held rows, the planner announces it and every thread
 *       calls sl_ingest_epoch_done(E) (marks_epoch_parts) -> ANNOUNCED;
 *     - else there is no epoch to wait for -> DONE.
 *  - ANNOUNCED: the engine cuts E (it cuts an epoch only when every core
 *    of a pacing source has said it done) and writes it. Once E is
 *    finished and no batch without input is due after it
 *    (sl_ingest_settled() > E) -> DONE.
 *  - DONE: -> EMPTY. The batch's files are cleaned (clean_source) once E
 *    is durable in the checkpoint as well (sl_ingest_committed() > E; the
 *    engine keeps it equal to settled without one): until then they wait
 *    in the planner's clean queue, and a stop leaves them in place.
 * So a batch is exactly one epoch: no core says E done before the batch is
 * read whole, and the next batch is read only once E is finished (the
 * engine's trigger decides when E is cut: at once by default, at the next
 * interval with a processing-time trigger). A batch whose files hold no rows
 * makes no epoch, as the engine runs a batch only when rows arrived.
 *
 * Commits: a thread fills the ingest batch across the lines of its items
 * and commits when the batch is full, when it has no item left to claim,
 * and when a refill of its line buffer would invalidate rows still in the
 * batch that do not fit its pin arena (rows are pinned: their strings
 * copied into the arena, so that the buffer can be reused): a batch of
 * many small files is a few full commits, not one per file.
 *
 * Reading: each thread has one reader (source_file.h): reads of
 * SL_FILE_READ_CHUNK, SL_FILE_READS_IN_FLIGHT at a time through its own
 * io_uring, straight into its line splitter's buffer; lines are parsed in
 * place (text: the line is the value, handed over in bursts; csv, json:
 * through recparse.h). No system call per line, no allocation per row.
 *
 * Noticing files: inotify, and a full listing every SL_FILE_RELIST_MS (and
 * after an inotify queue overflow) as the fallback; an idle source sleeps
 * in poll() on its fds. Under trigger = 'available_now' the files present
 * at open() are the input (Spark's prepareForTriggerAvailableNow), taken
 * in as many batches as the limits need (under trigger = 'once' in one:
 * the limits do not apply); after the last is DONE every run() returns,
 * which ends the query.
 *
 * Locking: s->mu guards s->batch; it is taken once per work item claimed,
 * per stretch of items reported, and per planning step: never per line or
 * per read. The epochs noted per batch are atomics. Everything else of a
 * thread is its own (struct fthread).
 *
 * Memory: per ingest thread a line buffer of max_line_length + 1 +
 * SL_FILE_READ_CHUNK * SL_FILE_READS_IN_FLIGHT bytes, a pin arena of
 * FILE_ARENA bytes, a 64 KiB scratch; made in open(). The planner's
 * bookkeeping (names of files noticed and taken) grows with the directory.
 *
 * A sink's output (log mode): a directory with a `_sluice_log/` commit log
 * (commit_log.h; the file and table sinks write it) is read through the
 * log, as Spark's FileStreamSource reads a `_spark_metadata` directory: the
 * candidates are the files committed batches list, in log order (their t is
 * their position in the log, so the usual sort keeps it), each taken once
 * (no seen map, no age limit), never a file the log does not list. The log
 * is read at open, whenever inotify sees an entry renamed into it, and at
 * every relisting time. A source over a plain directory with no files yet
 * is undecided: the first files it notices make it plain, unless the
 * directory has a log by then (Spark looks for the metadata once more
 * before it takes files). Partition columns ("col=value/" directories)
 * get their values from the paths, the parser filling only the other
 * columns through a view of the batch's; so in log mode the parsers are
 * made once the layout is known (the table's metadata, or the first
 * committed file), before any file joins a batch.
 *
 * The table connector (sl_source_table_ops) is this source in log mode over
 * a table directory: its format and partition columns come from the
 * table's _sluice_table (table.h), its columns must be the table's, and a
 * table not written yet is waited for (its directory made and watched).
 *
 * Checkpoints (Spark's FileStreamSource offsets and its metadata log). The
 * file batches are numbered 0, 1, ... across restarts (b->id, Spark's batch
 * id). When a batch is handed over (announced, or DONE without rows) the
 * planner notes its files under s->mu (s->taken: key, modification time,
 * size, batch, the epoch of its rows); checkpoint(E), on the control
 * thread, moves those of epochs <= E into the log entry and into the
 * durable view (ck_*: the seen map a restart rebuilds, the batches
 * logged, the sink-log position), and writes the offset from that view.
 * Without checkpoints the planner drops the notes once their epoch is
 * committed (= settled), so nothing grows. restore(), before run():
 * rebuilds the seen map from the log (compact entry first), purges it
 * (max_file_age), drops taken files from the candidates, and sets the
 * batch counter; in log mode it reads the sink's log again from the
 * position the offset gives, skipping the files of that log batch taken
 * already. An epoch that ran but was not committed is replayed: its files
 * (those still there; a vanished one is counted in files_skipped) are the
 * first batch, whatever the limits or newer files, as Spark re-runs a
 * batch from its offset log. In log mode files are taken strictly in log
 * order (latest_first does not reorder them), so what has been taken is
 * always a prefix of the sink's log: (log batch, files of it taken).
 *
 * A checkpoint for an epoch that holds part of a batch only (the query
 * was stopped while the batch was read: what was read goes into the last
 * epoch) describes the whole batch in the offset and the log (so that an
 * engine may keep them as the epoch to replay) but returns -EAGAIN: that
 * epoch must not be committed; a restart reads the batch again whole.
 *
 * Offset (what a restart goes on from), little-endian:
 *
 *   0   u8   version, CK_VERSION (1)
 *   1   u8   connector: 'f' file, 't' table
 *   2   u8   how the directory is read: 0 not known yet (nothing taken),
 *            1 a plain directory, 2 through a sink's commit log
 *   3   u8   flags: bit 0 file_name_only
 *   4   u8   format: SL_REC_TEXT, _CSV, _JSON, 3 parquet (file); 0xff (table: its
 *            own)
 *   5   u64  file batches taken: the id of the next one
 *  13   u64  log mode: the sink's log batch to read from ...
 *  21   u64  ... and how many of its files were taken already
 *  29   u32  n, then n bytes: the directory, absolute
 *       u32  n, then n bytes: the pattern of the names (n = 0: none)
 *
 * Log entry (each checkpoint's; a compact one replaces all before it):
 *
 *   0   u8   version, CK_VERSION
 *   1   u8   'e': the files taken since the previous entry; 'c': compact,
 *            every file a restart needs (the durable seen map after its
 *            max_file_age purge; in log mode none: the offset says it
 *            all), and the files this checkpoint logs (so that a replay of
 *            its epoch finds them)
 *   2   u64  the source's identity: XXH3 of the offset's bytes 1, 3, 4
 *            and its two strings, so that a log of another source is
 *            refused
 *  10   u32  files, then per file, in the order taken:
 *       u64  the file batch that took it
 *       i64  its modification time, ms (log mode: 0)
 *       u64  its size, bytes (a file split over cores is one file)
 *       u64  log mode: the sink's log batch that lists it ...
 *       u64  ... and how many files of that log batch were taken through it
 *       u32  n, then n bytes: its key: the seen map's (absolute path, or
 *            name with file_name_only); log mode: its path in the directory
 *
 * Format parquet (parquet.h, take_parquet): a work item is a byte range
 * as for the other formats, but it reads the row groups whose middle byte
 * lies in [start, end) (Spark's and Hadoop's rule: each row group belongs
 * to exactly one part), decoding the source's columns by name straight into
 * the batch; the reader reads through a read_at callback (pread here), so
 * the planning, the replay log and the checkpoint are the other formats'.
 * Strings point into the reader's pages: they are pinned (release_lines)
 * before the reader loads another page or row group, as lines are before
 * the line buffer is refilled.
 *
 * Not yet: subdirectories of a plain directory (only its own files are
 * read), compressed files (text, CSV, JSON).
 */
#include "source_file.h"

#include "commit_log.h"
#include "expr.h"   /* sl_text_to_*: partition values */
#include "format.h" /* sl_strbuf: checkpoint offsets and logs */
#include "ingest.h" /* sl_ingest_epoch, _settled, _epoch_done: pacing epochs */
#include "lines.h"
#include "parquet.h"
#include "recparse.h"
#include "s3.h"
#include "source.h"
#include "table.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define FILE_DEFAULT_MAX_LINE ((uint64_t)1 << 20)
#define FILE_ARENA ((size_t)1 << 20)    /* pinned strings of one ingest batch */
#define FILE_LINES_BURST 256            /* lines taken at once for the parser */
#define FILE_WAIT_MS 1000               /* longest sleep; wake-ups come sooner */
#define READER_SCRATCH ((size_t)64 << 10)
#define READER_LOOKAHEAD ((uint64_t)64 << 10) /* read past a part's end for its '\n' */
#define READER_SPACE (SL_FILE_READ_CHUNK * SL_FILE_READS_IN_FLIGHT)
#define CK_VERSION 1                    /* of the checkpoint offset and log */
#define CK_NO_FORMAT 0xff               /* a table's: the table's own */
#define CK_FORMAT_PARQUET 3             /* the offset's format byte for parquet */
#define CLEAN_POLL_MS 20                /* files wait for a commit: look this often */

/* ------------------------------------------------------------------ */
/* names                                                               */

bool sl_file_name_hidden(const char *name)
{
	static const char copying[] = "._COPYING_";
	size_t n = strlen(name), c = sizeof(copying) - 1;
	return name[0] == '.' || name[0] == '_' ||
	       (n >= c && strcmp(name + n - c, copying) == 0);
}

bool sl_file_name_wanted(const char *pattern, const char *name)
{
	if (name[0] == '\0' || sl_file_name_hidden(name))
		return false;
	return pattern == NULL || fnmatch(pattern, name, 0) == 0;
}

static bool has_glob(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* max_file_age                                                        */

int sl_file_parse_age(const char *s, uint64_t *ms_out)
{
	/* Spark's JavaUtils time suffixes, as timeStringAsMs takes them */
	static const struct {
		const char *u;
		uint64_t mul, div;
	} sfx[] = {
		{"us", 1, 1000},     {"ms", 1, 1},         {"s", 1000, 1}, {"m", 60000, 1},
		{"min", 60000, 1},   {"h", 3600000, 1},    {"d", 86400000, 1},
	};
	const char *p = s;
	while (isspace((unsigned char)*p))
		p++;
	if (isdigit((unsigned char)*p)) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(p, &end, 10);
		if (errno != 0)
			return -EINVAL;
		const char *u = end;
		while (*u == ' ')
			u++;
		size_t ul = strlen(u);
		while (ul > 0 && isspace((unsigned char)u[ul - 1]))
			ul--;
		if (ul == 0) {
			*ms_out = n; /* a bare number is milliseconds, as in Spark */
			return 0;
		}
		for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
			if (strlen(sfx[i].u) == ul && strncasecmp(u, sfx[i].u, ul) == 0) {
				if (n > UINT64_MAX / sfx[i].mul)
					return -EINVAL;
				*ms_out = n * sfx[i].mul / sfx[i].div;
				return 0;
			}
	}
	uint64_t us;
	if (sl_parse_interval(s, &us) == 0) {
		*ms_out = us / 1000;
		return 0;
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* order and limits                                                    */

static int cand_cmp(const struct sl_file_cand *x, const struct sl_file_cand *y, bool newest)
{
	if (x->mtime_ns != y->mtime_ns)
		return (x->mtime_ns < y->mtime_ns) != newest ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cand_cmp_oldest(const void *a, const void *b)
{
	return cand_cmp(a, b, false);
}

static int cand_cmp_newest(const void *a, const void *b)
{
	return cand_cmp(a, b, true);
}

void sl_file_sort(struct sl_file_cand *v, size_t n, bool latest_first)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), latest_first ? cand_cmp_newest : cand_cmp_oldest);
}

size_t sl_file_take(const struct sl_file_cand *v, size_t n, uint64_t files, uint64_t bytes,
		    uint64_t max_files, uint64_t max_bytes, bool *full)
{
	size_t k = 0;
	*full = false;
	for (; k < n; k++) {
		if (max_files != 0 && files + k >= max_files) {
			*full = true;
			break;
		}
		/* Spark's takeFilesUntilMax: the first file always, then files
		 * while the total stays within the limit, stopping at the first
		 * that does not fit (no skipping ahead to a smaller one) */
		if (max_bytes != 0 && files + k > 0 &&
		    (bytes > max_bytes || v[k].size > max_bytes - bytes)) {
			*full = true;
			break;
		}
		bytes += v[k].size;
	}
	if (max_files != 0 && files + k >= max_files)
		*full = true;
	return k;
}

/* ------------------------------------------------------------------ */
/* a string-keyed hash map (names noticed; files taken)                */

struct fmap_slot {
	char *key; /* owned; NULL: empty; &fmap_tomb: deleted */
	uint64_t hash;
	uint64_t size;
	int64_t t;
	uint64_t aux; /* candidates in log mode: the sink's log batch; seen maps:
		       * the file batch that took the file */
};

struct fmap {
	struct fmap_slot *v;
	size_t cap;  /* a power of two, or 0 */
	size_t n;    /* live keys */
	size_t used; /* live keys and tombstones */
};

static char fmap_tomb;

static bool slot_live(const struct fmap_slot *sl)
{
	return sl->key != NULL && sl->key != &fmap_tomb;
}

static uint64_t hash_str(const char *k)
{
	return XXH3_64bits(k, strlen(k));
}

static struct fmap_slot *fmap_find(const struct fmap *m, const char *k)
{
	if (m->cap == 0)
		return NULL;
	uint64_t h = hash_str(k);
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct fmap_slot *sl = &m->v[i];
		if (sl->key == NULL)
			return NULL;
		if (sl->key != &fmap_tomb && sl->hash == h && strcmp(sl->key, k) == 0)
			return sl;
	}
}

static int fmap_rehash(struct fmap *m)
{
	size_t cap = 16;
	while (cap * 3 < (m->n + 1) * 8)
		cap *= 2;
	struct fmap_slot *v = calloc(cap, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		if (!slot_live(&m->v[i]))
			continue;
		size_t j = m->v[i].hash & (cap - 1);
		while (v[j].key != NULL)
			j = (j + 1) & (cap - 1);
		v[j] = m->v[i];
	}
	free(m->v);
	m->v = v;
	m->cap = cap;
	m->used = m->n;
	return 0;
}

/* The slot of key k, made (empty size and t) when it was not there. */
static struct fmap_slot *fmap_put(struct fmap *m, const char *k)
{
	struct fmap_slot *sl = fmap_find(m, k);
	if (sl != NULL)
		return sl;
	if ((m->used + 1) * 4 > m->cap * 3 && fmap_rehash(m) < 0)
		return NULL;
	char *key = strdup(k);
	if (key == NULL)
		return NULL;
	uint64_t h = hash_str(k);
	size_t i = h & (m->cap - 1);
	while (slot_live(&m->v[i]))
		i = (i + 1) & (m->cap - 1);
	if (m->v[i].key == NULL)
		m->used++;
	m->v[i] = (struct fmap_slot){.key = key, .hash = h};
	m->n++;
	return &m->v[i];
}

static void fmap_del(struct fmap *m, struct fmap_slot *sl)
{
	free(sl->key);
	sl->key = &fmap_tomb;
	m->n--;
}

static void fmap_free(struct fmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (slot_live(&m->v[i]))
			free(m->v[i].key);
	free(m->v);
	*m = (struct fmap){0};
}

/* ------------------------------------------------------------------ */
/* files taken: Spark's SeenFilesMap                                   */

struct sl_file_seen {
	struct fmap m; /* key -> t = modification time, ms */
	uint64_t max_age_ms;
	bool name_only;
	int64_t latest_ms; /* the newest file taken */
	int64_t purge_ms;  /* files older than this are not new (0 before any purge) */
};

static const char *seen_key(const struct sl_file_seen *s, const char *path)
{
	if (!s->name_only)
		return path;
	const char *slash = strrchr(path, '/');
	return slash != NULL ? slash + 1 : path;
}

struct sl_file_seen *sl_file_seen_create(uint64_t max_age_ms, bool name_only)
{
	struct sl_file_seen *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->max_age_ms = max_age_ms;
	s->name_only = name_only;
	return s;
}

void sl_file_seen_destroy(struct sl_file_seen *s)
{
	if (s == NULL)
		return;
	fmap_free(&s->m);
	free(s);
}

/* Remember a file with what a checkpoint's compact log says of it. */
static int seen_put(struct sl_file_seen *s, const char *path, int64_t mtime_ms, uint64_t size,
		    uint64_t batch)
{
	struct fmap_slot *sl = fmap_put(&s->m, seen_key(s, path));
	if (sl == NULL)
		return -ENOMEM;
	sl->t = mtime_ms;
	sl->size = size;
	sl->aux = batch;
	if (mtime_ms > s->latest_ms)
		s->latest_ms = mtime_ms;
	return 0;
}

int sl_file_seen_add(struct sl_file_seen *s, const char *path, int64_t mtime_ms)
{
	return seen_put(s, path, mtime_ms, 0, 0);
}

bool sl_file_seen_is_new(const struct sl_file_seen *s, const char *path, int64_t mtime_ms)
{
	return mtime_ms >= s->purge_ms && fmap_find(&s->m, seen_key(s, path)) == NULL;
}

size_t sl_file_seen_purge(struct sl_file_seen *s)
{
	/* latest_ms >= 0, so the difference cannot overflow */
	int64_t age = s->max_age_ms > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)s->max_age_ms;
	s->purge_ms = s->latest_ms - age;
	size_t gone = 0;
	for (size_t i = 0; i < s->m.cap; i++) {
		struct fmap_slot *sl = &s->m.v[i];
		if (slot_live(sl) && sl->t < s->purge_ms) {
			fmap_del(&s->m, sl);
			gone++;
		}
	}
	return gone;
}

size_t sl_file_seen_size(const struct sl_file_seen *s)
{
	return s->m.n;
}

/* ------------------------------------------------------------------ */
/* parts                                                               */

uint32_t sl_file_split_count(uint64_t size, uint32_t n_ingest, uint64_t min_part)
{
	if (n_ingest <= 1 || min_part == 0 || size / min_part < 2)
		return 1;
	uint64_t k = size / min_part;
	return k < n_ingest ? (uint32_t)k : n_ingest;
}

void sl_file_split_part(uint64_t size, uint32_t parts, uint32_t i, uint64_t *start,
			uint64_t *end)
{
	*start = (uint64_t)((unsigned __int128)size * i / parts);
	*end = (uint64_t)((unsigned __int128)size * (i + 1) / parts);
}

/* ------------------------------------------------------------------ */
/* the reader                                                          */

_Static_assert(SL_LINES_PADDING >= SL_RECPARSE_PADDING,
	       "the reader's lines have the bytes sl_recparse_line_padded reads");

struct sl_file_reader {
	struct sl_lines *lines; /* owned */
	struct io_uring ring;
	bool ring_ok;
	char *scratch;          /* READER_SCRATCH bytes, owned */
	struct sl_file_input in; /* where the bytes come from (fd, or read_at) */
	uint64_t size;          /* bytes of the file to consider */
	uint64_t end;           /* the part's end */
	uint64_t off;           /* file offset of the next byte to read */
	uint64_t stop;          /* once known: the part's bytes end here */
	uint64_t lookahead;
	bool stop_known;
	bool fed_eof;           /* the splitter has every byte of the part */
	bool done;              /* and every line has been taken */
	char *base_ptr;         /* buffer position of file offset base_off */
	uint64_t base_off;
	uint64_t bytes;
};

void sl_file_reader_set_records(struct sl_file_reader *r, sl_file_scan_fn *find, void *ctx)
{
	sl_lines_set_scanner(r->lines, find, ctx);
}

struct sl_file_reader *sl_file_reader_create(uint64_t max_line, bool use_uring)
{
	struct sl_file_reader *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->in.fd = -1;
	r->lines = sl_lines_create(max_line, READER_SPACE);
	r->scratch = malloc(READER_SCRATCH);
	if (r->lines == NULL || r->scratch == NULL) {
		sl_file_reader_destroy(r);
		errno = ENOMEM;
		return NULL;
	}
	if (use_uring)
		r->ring_ok = io_uring_queue_init(2 * SL_FILE_READS_IN_FLIGHT, &r->ring, 0) == 0;
	r->done = r->fed_eof = true;
	return r;
}

void sl_file_reader_destroy(struct sl_file_reader *r)
{
	if (r == NULL)
		return;
	if (r->ring_ok)
		io_uring_queue_exit(&r->ring);
	sl_lines_destroy(r->lines);
	free(r->scratch);
	free(r);
}

bool sl_file_reader_uses_uring(const struct sl_file_reader *r)
{
	return r->ring_ok;
}

/* Up to n bytes at off (fewer only at the end of the file); -errno. */
static ssize_t pread_full(int fd, char *p, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(fd, p + got, n - got, (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* pread_full on an input: its fd, or its read_at until n bytes or the end. */
static ssize_t input_read_full(const struct sl_file_input *in, char *p, size_t n, uint64_t off)
{
	if (in->read_at == NULL)
		return pread_full(in->fd, p, n, off);
	size_t got = 0;
	while (got < n) {
		ssize_t k = in->read_at(in->ctx, p + got, n - got, off + got);
		if (k < 0)
			return k;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* want bytes at off into p: SL_FILE_READS_IN_FLIGHT reads at once through
 * io_uring; a short read is finished with pread (rare: regular files come
 * back short only at their end). Returns the bytes read (fewer than want
 * only at the end of the file), or -errno. */
static ssize_t read_at(struct sl_file_reader *r, char *p, size_t want, uint64_t off)
{
	if (!r->ring_ok || r->in.read_at != NULL)
		return input_read_full(&r->in, p, want, off);
	uint32_t nreq = (uint32_t)((want + SL_FILE_READ_CHUNK - 1) / SL_FILE_READ_CHUNK);
	int32_t res[SL_FILE_READS_IN_FLIGHT];
	for (uint32_t i = 0; i < nreq; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
		size_t at = (size_t)i * SL_FILE_READ_CHUNK;
		size_t len = want - at < SL_FILE_READ_CHUNK ? want - at : SL_FILE_READ_CHUNK;
		io_uring_prep_read(sqe, r->in.fd, p + at, (unsigned)len, off + at);
		io_uring_sqe_set_data64(sqe, i);
		res[i] = 0;
	}
	int rc;
	do
		rc = io_uring_submit(&r->ring);
	while (rc == -EINTR);
	if (rc < 0)
		return rc;
	for (uint32_t got = 0; got < nreq;) {
		struct io_uring_cqe *cqe;
		rc = io_uring_wait_cqe(&r->ring, &cqe);
		if (rc == -EINTR)
			continue;
		if (rc < 0)
			return rc;
		uint64_t i = io_uring_cqe_get_data64(cqe);
		if (i < nreq)
			res[i] = cqe->res;
		io_uring_cqe_seen(&r->ring, cqe);
		got++;
	}
	size_t total = 0;
	for (uint32_t i = 0; i < nreq; i++) {
		size_t at = (size_t)i * SL_FILE_READ_CHUNK;
		size_t len = want - at < SL_FILE_READ_CHUNK ? want - at : SL_FILE_READ_CHUNK;
		int32_t g = res[i];
		if (g < 0 && g != -EAGAIN && g != -EINTR)
			return g;
		size_t have = g > 0 ? (size_t)g : 0;
		if (have < len) {
			ssize_t m = pread_full(r->in.fd, p + at + have, len - have, off + at + have);
			if (m < 0)
				return m;
			have += (size_t)m;
			if (have < len)
				return (ssize_t)(total + have); /* the end of the file */
		}
		total += len;
	}
	return (ssize_t)total;
}

/* The first '\n' at or after `from`: *at, or r->size when there is none. */
static int find_nl(struct sl_file_reader *r, uint64_t from, uint64_t *at)
{
	while (from < r->size) {
		size_t want = r->size - from < READER_SCRATCH ? (size_t)(r->size - from) : READER_SCRATCH;
		ssize_t n = input_read_full(&r->in, r->scratch, want, from);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		const char *q = memchr(r->scratch, '\n', (size_t)n);
		if (q != NULL) {
			*at = from + (uint64_t)(q - r->scratch);
			return 0;
		}
		from += (uint64_t)n;
	}
	*at = r->size;
	return 0;
}

static void reader_end(struct sl_file_reader *r)
{
	sl_lines_eof(r->lines);
	r->fed_eof = true;
}

int sl_file_reader_open(struct sl_file_reader *r, int fd, uint64_t size, uint64_t start,
			uint64_t end)
{
	struct sl_file_input in = {.fd = fd};
	return sl_file_reader_open_input(r, &in, size, start, end);
}

int sl_file_reader_open_input(struct sl_file_reader *r, const struct sl_file_input *in,
			      uint64_t size, uint64_t start, uint64_t end)
{
	sl_lines_reset(r->lines);
	r->in = *in;
	r->size = size;
	r->end = end < size ? end : size;
	r->stop = 0;
	r->stop_known = r->fed_eof = r->done = false;
	r->lookahead = READER_LOOKAHEAD;
	r->base_ptr = NULL;
	r->base_off = 0;
	uint64_t begin = 0;
	if (start > 0) {
		uint64_t nl = size;
		int rc = find_nl(r, start, &nl);
		if (rc < 0) {
			r->off = start;
			r->fed_eof = r->done = true;
			return rc;
		}
		begin = nl < size ? nl + 1 : size;
	}
	r->off = begin;
	if (begin > r->end || begin >= size) {
		/* no line begins in this part */
		reader_end(r);
		r->done = true;
		return 0;
	}
	if (r->end >= size) {
		r->stop = size;
		r->stop_known = true;
	}
	return 0;
}

uint32_t sl_file_reader_lines(struct sl_file_reader *r, struct sl_str *out, uint32_t max)
{
	if (r->done || max == 0)
		return 0;
	uint32_t k = sl_lines_next_burst(r->lines, out, max);
	if (k == 0 && r->fed_eof)
		r->done = true;
	return k;
}

bool sl_file_reader_lines_ascii(const struct sl_file_reader *r)
{
	return sl_lines_ascii(r->lines);
}

size_t sl_file_reader_peek(const struct sl_file_reader *r, const char **p, uint64_t *max_line)
{
	*max_line = sl_lines_max_line(r->lines);
	if (r->done) {
		*p = NULL;
		return 0;
	}
	return sl_lines_peek(r->lines, p);
}

void sl_file_reader_take(struct sl_file_reader *r, size_t n)
{
	sl_lines_take(r->lines, n);
}

bool sl_file_reader_done(const struct sl_file_reader *r)
{
	return r->done;
}

int sl_file_reader_fill(struct sl_file_reader *r)
{
	if (r->fed_eof)
		return 0;
	char *p;
	size_t room = sl_lines_space(r->lines, &p);
	r->base_ptr = p;
	r->base_off = r->off;
	uint64_t lim;
	if (r->stop_known) {
		lim = r->stop;
	} else if (r->off < r->end) {
		lim = r->end + r->lookahead < r->size ? r->end + r->lookahead : r->size;
	} else {
		/* past the end without its '\n' yet: a long last line */
		lim = r->off + r->lookahead < r->size ? r->off + r->lookahead : r->size;
		if (r->lookahead < READER_SPACE)
			r->lookahead *= 2;
	}
	size_t want = room < READER_SPACE ? room : READER_SPACE;
	if (lim - r->off < want)
		want = (size_t)(lim - r->off);
	if (want == 0) {
		reader_end(r);
		return 0;
	}
	ssize_t n = read_at(r, p, want, r->off);
	if (n < 0)
		return (int)n;
	bool short_read = (size_t)n < want;
	if (!r->stop_known && r->off + (uint64_t)n > r->end) {
		/* the part ends with the line that holds byte `end` */
		uint64_t from = r->end > r->off ? r->end : r->off;
		const char *q = memchr(p + (from - r->off), '\n', (size_t)(r->off + (uint64_t)n - from));
		if (q != NULL) {
			r->stop = r->off + (uint64_t)(q - p) + 1;
			r->stop_known = true;
			n = (ssize_t)(r->stop - r->off);
		}
	}
	if (short_read && (!r->stop_known || r->off + (uint64_t)n < r->stop)) {
		/* the file is shorter than when it was listed */
		r->stop = r->off + (uint64_t)n;
		r->stop_known = true;
	}
	sl_lines_produced(r->lines, (size_t)n);
	r->bytes += (uint64_t)n;
	r->off += (uint64_t)n;
	if ((r->stop_known && r->off >= r->stop) || r->off >= r->size)
		reader_end(r);
	return 1;
}

uint64_t sl_file_reader_offset_of(const struct sl_file_reader *r, const char *p)
{
	return r->base_off - (uint64_t)(r->base_ptr - p);
}

uint64_t sl_file_reader_offset(const struct sl_file_reader *r)
{
	return r->off;
}

uint64_t sl_file_reader_bytes(const struct sl_file_reader *r)
{
	return r->bytes;
}

uint64_t sl_file_reader_malformed(const struct sl_file_reader *r)
{
	return sl_lines_malformed(r->lines);
}

uint64_t sl_file_line_number(int fd, uint64_t offset)
{
	struct sl_file_input in = {.fd = fd};
	return sl_file_line_number_input(&in, offset);
}

uint64_t sl_file_line_number_input(const struct sl_file_input *in, uint64_t offset)
{
	char *buf = malloc(READER_SCRATCH);
	if (buf == NULL)
		return 0;
	uint64_t lines = 0, at = 0;
	while (at < offset) {
		size_t want = offset - at < READER_SCRATCH ? (size_t)(offset - at) : READER_SCRATCH;
		ssize_t n = input_read_full(in, buf, want, at);
		if (n <= 0) {
			free(buf);
			return 0;
		}
		for (const char *q = buf; (q = memchr(q, '\n', (size_t)(buf + n - q))) != NULL; q++)
			lines++;
		at += (uint64_t)n;
	}
	free(buf);
	return lines + 1;
}

/* ------------------------------------------------------------------ */
/* options                                                             */

enum clean_mode {
	CLEAN_OFF,
	CLEAN_DELETE,
	CLEAN_ARCHIVE,
};

struct file_params {
	const char *path;
	enum sl_rec_format format;
	const char *format_name; /* as written, or "text" */
	uint64_t max_files;      /* 0: no limit */
	uint64_t max_bytes;      /* 0: no limit */
	bool latest_first;
	bool name_only;
	uint64_t max_age_ms;     /* as set; UINT64_MAX once ignored */
	enum clean_mode clean;
	const char *archive;
	bool parser;             /* parse through recparse (csv, json; text with its options) */
	bool csv_header;
	bool multi_line;         /* csv records across lines: files never split */
	bool table;              /* connector 'table': the format comes from the table */
	bool parquet;            /* format 'parquet': parquet.h, not lines (take_parquet) */
	enum { PQ_PERMISSIVE, PQ_DROPMALFORMED, PQ_FAILFAST } pq_mode;
	/* path = 's3://bucket/prefix/': objects in a bucket (see "Object
	 * storage" below) */
	bool s3;
	struct sl_s3_conf s3conf; /* the clients' settings: credentials included */
	uint64_t s3_list_ms;      /* an incremental listing (start-after) this often */
	uint64_t s3_full_list_ms; /* a full listing this often */
};

/* The s3.* options the file source reads itself; the others are the
 * client's (s3.h). */
static const char *const s3_source_keys[] = {"s3.list_interval", "s3.full_list_interval", NULL};
#define S3_DEFAULT_LIST_MS 1000
#define S3_DEFAULT_FULL_LIST_MS 60000

/* sluice's name, Spark's (options arrive lower-cased, any spelling). */
static const struct {
	const char *name, *spark;
} file_keys[] = {
	{"path", NULL},
	{"format", NULL},
	{"max_files_per_trigger", "maxFilesPerTrigger"},
	{"max_bytes_per_trigger", "maxBytesPerTrigger"},
	{"latest_first", "latestFirst"},
	{"file_name_only", "fileNameOnly"},
	{"max_file_age", "maxFileAge"},
	{"clean_source", "cleanSource"},
	{"source_archive_dir", "sourceArchiveDir"},
};
#define NFILE_KEYS (sizeof(file_keys) / sizeof(file_keys[0]))

static bool is_file_key(const char *k)
{
	if (sl_s3_is_option(k))
		return true; /* checked by parse_s3_params */
	for (size_t i = 0; i < NFILE_KEYS; i++)
		if (strcasecmp(k, file_keys[i].name) == 0 ||
		    (file_keys[i].spark != NULL && strcasecmp(k, file_keys[i].spark) == 0))
			return true;
	return false;
}

static void known_keys_text(enum sl_rec_format f, const char *fname, char *buf, size_t len)
{
	size_t used = 0;
#define ADD(...)                                                                               \
	do {                                                                                   \
		if (used < len) {                                                              \
			int w_ = snprintf(buf + used, len - used, __VA_ARGS__);                \
			if (w_ > 0)                                                            \
				used += (size_t)w_;                                            \
		}                                                                              \
	} while (0)
	buf[0] = '\0';
	for (size_t i = 0; i < NFILE_KEYS; i++) {
		ADD("%s%s", i ? ", " : "", file_keys[i].name);
		if (file_keys[i].spark != NULL)
			ADD(" (%s)", file_keys[i].spark);
	}
	char fo[512];
	sl_recparse_option_names(f, fo, sizeof(fo));
	if (strcmp(fo, "none") == 0)
		ADD("; format '%s' takes no options of its own", fname);
	else
		ADD("; options of format '%s': %s", fname, fo);
#undef ADD
}

static int bool_option(const struct sl_options *opts, const char *name, const char *spark,
		       bool *out, char *err, size_t errlen)
{
	const struct sl_option *o;
	const char *k;
	if (sl_options_pick(opts, name, spark, &o, &k, err, errlen) < 0)
		return -EINVAL;
	if (o == NULL)
		return 0;
	if (strcasecmp(o->value, "true") == 0) {
		*out = true;
	} else if (strcasecmp(o->value, "false") == 0) {
		*out = false;
	} else {
		snprintf(err, errlen,
			 "line %u, column %u: option '%s' must be true or false, not '%s'", o->line,
			 o->column, k, o->value);
		return -EINVAL;
	}
	return 0;
}

static int check_schema_text(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	const struct sl_schema *sc = &spec->schema;
	if (sc->ncols == 1 && sc->cols[0].type == SL_TYPE_STRING)
		return 0;
	char decl[256];
	size_t used = 0;
	decl[0] = '\0';
	for (uint32_t i = 0; i < sc->ncols && used < sizeof(decl); i++) {
		int w = snprintf(decl + used, sizeof(decl) - used, "%s%s %s", i ? ", " : "",
				 sc->cols[i].name, sl_type_name(sc->cols[i].type));
		if (w < 0)
			break;
		used += (size_t)w;
	}
	snprintf(err, errlen,
		 "line %u, column %u: file source '%s' reads format 'text', whose records have one "
		 "STRING column (the line), not (%s); declare it as CREATE SOURCE %s (value STRING), "
		 "leave the columns out, or set format = 'csv' or 'json' for typed columns",
		 spec->line, spec->column, spec->name, decl, spec->name);
	return -EINVAL;
}

/* The table source's own options; the format and its options are the
 * table's. */
static int table_keys(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	static const char *const keys[] = {"path", "max_files_per_trigger", "maxFilesPerTrigger",
					   "max_bytes_per_trigger", "maxBytesPerTrigger"};
	for (uint32_t i = 0; i < spec->options.n; i++) {
		const struct sl_option *v = &spec->options.v[i];
		bool known = strcasecmp(v->key, "connector") == 0;
		for (size_t k = 0; !known && k < sizeof(keys) / sizeof(keys[0]); k++)
			known = strcasecmp(v->key, keys[k]) == 0;
		if (known || sl_s3_is_option(v->key))
			continue; /* s3.*: checked with the path */
		snprintf(err, errlen,
			 "line %u, column %u: unknown option '%s' for connector 'table' (known options: "
			 "path, max_files_per_trigger (maxFilesPerTrigger), max_bytes_per_trigger "
			 "(maxBytesPerTrigger), and the s3.* options with an s3:// path); a table's "
			 "format and columns are the table's own",
			 v->line, v->column, v->key);
		return -EINVAL;
	}
	return 0;
}

/* format = 'parquet': its one option of its own is `mode` (what a corrupt
 * file or page does, see take_parquet); the source's columns are read by
 * name, so any types are declared. 0, or -EINVAL with err. */
static int parquet_params(const struct sl_source_spec *spec, struct file_params *p, char *err,
			  size_t errlen)
{
	const struct sl_options *opts = &spec->options;
	p->parquet = true;
	p->format_name = "parquet";
	p->pq_mode = PQ_PERMISSIVE;
	for (uint32_t i = 0; i < opts->n; i++) {
		const struct sl_option *v = &opts->v[i];
		if (strcasecmp(v->key, "connector") == 0 || is_file_key(v->key))
			continue;
		if (strcasecmp(v->key, "mode") == 0) {
			if (strcasecmp(v->value, "permissive") == 0) {
				p->pq_mode = PQ_PERMISSIVE;
			} else if (strcasecmp(v->value, "dropmalformed") == 0) {
				p->pq_mode = PQ_DROPMALFORMED;
			} else if (strcasecmp(v->value, "failfast") == 0) {
				p->pq_mode = PQ_FAILFAST;
			} else {
				snprintf(err, errlen,
					 "line %u, column %u: option 'mode' must be 'PERMISSIVE', "
					 "'DROPMALFORMED' or 'FAILFAST', not '%s'",
					 v->line, v->column, v->value);
				return -EINVAL;
			}
			continue;
		}
		char known[1024];
		size_t used = 0;
		known[0] = '\0';
		for (size_t k = 0; k < NFILE_KEYS && used < sizeof(known); k++) {
			int w = snprintf(known + used, sizeof(known) - used, "%s, ", file_keys[k].name);
			if (w > 0)
				used += (size_t)w;
		}
		snprintf(err, errlen,
			 "line %u, column %u: unknown option '%s' for connector 'file' with format "
			 "'parquet' (known options: %smode)",
			 v->line, v->column, v->key, known);
		return -EINVAL;
	}
	if (spec->schema.ncols == 0) {
		snprintf(err, errlen,
			 "line %u, column %u: file source '%s' reads format 'parquet': declare the "
			 "columns to read, e.g. CREATE SOURCE %s (id BIGINT, name STRING) (nested "
			 "fields as \"a.b\")",
			 spec->line, spec->column, spec->name, spec->name);
		return -EINVAL;
	}
	return 0;
}

/* The s3.* options: only with an s3:// path, and then the client's
 * settings (credentials from the options or the environment), the listing
 * intervals, no pattern in the path. 0 or -EINVAL. */
static int parse_s3_params(const struct sl_source_spec *spec, struct file_params *p, char *err,
			   size_t errlen)
{
	const struct sl_options *opts = &spec->options;
	if (!p->s3) {
		for (uint32_t i = 0; i < opts->n; i++)
			if (sl_s3_is_option(opts->v[i].key)) {
				snprintf(err, errlen,
					 "line %u, column %u: option '%s' applies only to an s3:// path "
					 "(path = 's3://bucket/prefix/'); '%s' is a local directory",
					 opts->v[i].line, opts->v[i].column, opts->v[i].key, p->path);
				return -EINVAL;
			}
		return 0;
	}
	const struct sl_option *po = sl_options_find(opts, "path");
	char bucket[128], prefix[1024], why[512];
	if (sl_s3_parse_url(p->path, bucket, sizeof(bucket), prefix, sizeof(prefix), why,
			    sizeof(why)) < 0) {
		snprintf(err, errlen, "line %u, column %u: option 'path': %s", po->line, po->column,
			 why);
		return -EINVAL;
	}
	/* a pattern: in the last part only (a "directory"'s is refused with the
	 * local paths' check, a bucket's by sl_s3_parse_url); open_s3 splits it */
	p->s3_list_ms = S3_DEFAULT_LIST_MS;
	p->s3_full_list_ms = S3_DEFAULT_FULL_LIST_MS;
	for (uint32_t i = 0; s3_source_keys[i] != NULL; i++) {
		const struct sl_option *o = sl_options_find(opts, s3_source_keys[i]);
		uint64_t us;
		if (o == NULL)
			continue;
		if (sl_parse_interval(o->value, &us) < 0 || us < 10000) {
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' must be a duration of at least 10 ms, "
				 "such as '1 second' or '5 minutes', not '%s'",
				 o->line, o->column, o->key, o->value);
			return -EINVAL;
		}
		*(i == 0 ? &p->s3_list_ms : &p->s3_full_list_ms) = us / 1000;
	}
	return sl_s3_conf_parse(&p->s3conf, opts, s3_source_keys, err, errlen) < 0 ? -EINVAL : 0;
}

static int parse_params(const struct sl_source_spec *spec, bool table, struct file_params *p,
			char *err, size_t errlen)
{
	const struct sl_options *opts = &spec->options;
	*p = (struct file_params){.format = SL_REC_TEXT, .format_name = "text",
				  .max_age_ms = SL_FILE_DEFAULT_MAX_AGE_MS, .table = table};
	const struct sl_option *o;
	const char *k;
	bool format_opts = false;

	if (table) {
		if (table_keys(spec, err, errlen) < 0)
			return -EINVAL;
		p->format = SL_REC_JSON; /* until the table says */
		p->format_name = "json";
		goto path;
	}
	/* the format first: it decides which other keys are known */
	if ((o = sl_options_find(opts, "format")) != NULL) {
		p->format_name = o->value;
		if (strcasecmp(o->value, "text") == 0) {
			p->format = SL_REC_TEXT;
		} else if (strcasecmp(o->value, "csv") == 0 || strcasecmp(o->value, "json") == 0) {
			if (sl_rec_format_parse(o->value, &p->format) < 0) {
				snprintf(err, errlen,
					 "line %u, column %u: format '%s' cannot be read by this build "
					 "yet (its record parser, dataplane/recparse.c, does not take it); "
					 "use format = 'text'",
					 o->line, o->column, o->value);
				return -EINVAL;
			}
		} else if (strcasecmp(o->value, "parquet") == 0) {
			if (parquet_params(spec, p, err, errlen) < 0)
				return -EINVAL;
			goto path;
		} else {
			snprintf(err, errlen,
				 "line %u, column %u: option 'format' must be 'text', 'csv', 'json' or "
				 "'parquet', not '%s'",
				 o->line, o->column, o->value);
			return -EINVAL;
		}
	}
	for (uint32_t i = 0; i < opts->n; i++) {
		const struct sl_option *v = &opts->v[i];
		if (strcasecmp(v->key, "connector") == 0 || is_file_key(v->key))
			continue;
		if (sl_recparse_has_option(p->format, v->key)) {
			format_opts = true;
			continue;
		}
		char known[1024];
		known_keys_text(p->format, p->format_name, known, sizeof(known));
		snprintf(err, errlen,
			 "line %u, column %u: unknown option '%s' for connector 'file' with format "
			 "'%s' (known options: %s)",
			 v->line, v->column, v->key, p->format_name, known);
		return -EINVAL;
	}

path:
	o = sl_options_find(opts, "path");
	if (o == NULL && table) {
		snprintf(err, errlen,
			 "line %u, column %u: table source '%s' needs option 'path', the table's "
			 "directory, e.g. path = 'tables/counter_totals'",
			 spec->line, spec->column, spec->name);
		return -EINVAL;
	}
	if (o == NULL) {
		snprintf(err, errlen,
			 "line %u, column %u: file source '%s' needs option 'path', the directory "
			 "to read, e.g. path = 'incoming/' (or a pattern of file names in it, "
			 "e.g. path = 'incoming/*.csv')",
			 spec->line, spec->column, spec->name);
		return -EINVAL;
	}
	if (o->value[0] == '\0') {
		snprintf(err, errlen,
			 "line %u, column %u: option 'path' is empty; name the directory to read, "
			 "e.g. path = 'incoming/'",
			 o->line, o->column);
		return -EINVAL;
	}
	size_t plen = strlen(o->value);
	while (plen > 1 && o->value[plen - 1] == '/')
		plen--;
	const char *slash = memrchr(o->value, '/', plen);
	if (table && has_glob(o->value, plen)) {
		snprintf(err, errlen,
			 "line %u, column %u: option 'path' ('%s') of a table source is the table's "
			 "directory, not a pattern",
			 o->line, o->column, o->value);
		return -EINVAL;
	}
	if (slash != NULL && has_glob(o->value, (size_t)(slash - o->value))) {
		snprintf(err, errlen,
			 "line %u, column %u: option 'path' ('%s') has a pattern in a directory "
			 "name; a pattern may match only file names, in the path's last part "
			 "(e.g. 'incoming/*.csv')",
			 o->line, o->column, o->value);
		return -EINVAL;
	}
	p->path = o->value;
	p->s3 = sl_s3_is_url(p->path);
	if (parse_s3_params(spec, p, err, errlen) < 0)
		return -EINVAL;

	if (sl_options_pick(opts, "max_files_per_trigger", "maxFilesPerTrigger", &o, &k, err, errlen) < 0)
		return -EINVAL;
	const struct sl_option *files_opt = o;
	if (o != NULL && sl_option_u64(o, 1, INT32_MAX, &p->max_files, err, errlen) < 0) {
		snprintf(err, errlen,
			 "line %u, column %u: option '%s' must be a whole number of files from 1 to "
			 "%d (Spark: must be a positive integer), not '%s'; leave it out for no limit",
			 o->line, o->column, k, INT32_MAX, o->value);
		return -EINVAL;
	}
	const char *files_key = k;
	if (sl_options_pick(opts, "max_bytes_per_trigger", "maxBytesPerTrigger", &o, &k, err, errlen) < 0)
		return -EINVAL;
	if (o != NULL) {
		if (sl_parse_size(o->value, &p->max_bytes) < 0 || p->max_bytes == 0 ||
		    p->max_bytes > (uint64_t)INT64_MAX) {
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' must be a size of at least one byte, "
				 "such as 1048576, '64M' or '1 GiB', not '%s'; leave it out for no limit",
				 o->line, o->column, k, o->value);
			return -EINVAL;
		}
		if (files_opt != NULL) {
			const struct sl_option *later = files_opt > o ? files_opt : o;
			snprintf(err, errlen,
				 "line %u, column %u: options '%s' and '%s' cannot both be set (as in "
				 "Spark); keep the one that should limit a batch",
				 later->line, later->column, files_key, k);
			return -EINVAL;
		}
	}
	if (table) {
		p->max_age_ms = UINT64_MAX; /* every committed file is read, once */
		return 0;
	}
	if (bool_option(opts, "latest_first", "latestFirst", &p->latest_first, err, errlen) < 0 ||
	    bool_option(opts, "file_name_only", "fileNameOnly", &p->name_only, err, errlen) < 0)
		return -EINVAL;
	if (sl_options_pick(opts, "max_file_age", "maxFileAge", &o, &k, err, errlen) < 0)
		return -EINVAL;
	if (o != NULL && sl_file_parse_age(o->value, &p->max_age_ms) < 0) {
		snprintf(err, errlen,
			 "line %u, column %u: option '%s' must be a duration such as '7d', '12h', "
			 "'30 minutes' or a number of milliseconds, not '%s'",
			 o->line, o->column, k, o->value);
		return -EINVAL;
	}
	/* Spark: with latestFirst and a limit, old files would be skipped for
	 * good, so maxFileAge is ignored (SPARK-19813) */
	if (p->latest_first && (p->max_files != 0 || p->max_bytes != 0))
		p->max_age_ms = UINT64_MAX;
	if (sl_options_pick(opts, "clean_source", "cleanSource", &o, &k, err, errlen) < 0)
		return -EINVAL;
	const struct sl_option *clean_opt = o;
	if (o != NULL) {
		if (strcasecmp(o->value, "off") == 0) {
			p->clean = CLEAN_OFF;
		} else if (strcasecmp(o->value, "delete") == 0) {
			p->clean = CLEAN_DELETE;
		} else if (strcasecmp(o->value, "archive") == 0) {
			p->clean = CLEAN_ARCHIVE;
		} else {
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' must be 'off', 'delete' or 'archive', "
				 "not '%s'",
				 o->line, o->column, k, o->value);
			return -EINVAL;
		}
	}
	const char *clean_key = k;
	if (sl_options_pick(opts, "source_archive_dir", "sourceArchiveDir", &o, &k, err, errlen) < 0)
		return -EINVAL;
	if (p->clean == CLEAN_ARCHIVE && (o == NULL || o->value[0] == '\0')) {
		snprintf(err, errlen,
			 "line %u, column %u: clean_source = 'archive' needs option "
			 "'source_archive_dir', the directory that read files are moved to, e.g. "
			 "source_archive_dir = 'done/'",
			 clean_opt->line, clean_opt->column);
		return -EINVAL;
	}
	if (o != NULL && p->clean != CLEAN_ARCHIVE) {
		snprintf(err, errlen,
			 "line %u, column %u: option '%s' applies only with %s = 'archive'; set "
			 "that too, or leave '%s' out",
			 o->line, o->column, k, clean_opt != NULL ? clean_key : "clean_source", k);
		return -EINVAL;
	}
	p->archive = o != NULL ? o->value : NULL;
	if (p->archive != NULL && sl_s3_is_url(p->archive) != p->s3) {
		snprintf(err, errlen,
			 "line %u, column %u: option '%s' ('%s') must be %s, as the source reads %s",
			 o->line, o->column, k, p->archive,
			 p->s3 ? "an s3:// prefix (e.g. 's3://bucket/done/')" : "a local directory",
			 p->s3 ? "a bucket" : "a local directory");
		return -EINVAL;
	}
	if (p->parquet)
		return 0;

	p->parser = p->format != SL_REC_TEXT || format_opts;
	if (p->format == SL_REC_CSV && (o = sl_options_find(opts, "header")) != NULL)
		p->csv_header = strcasecmp(o->value, "true") == 0;
	if (p->format == SL_REC_CSV && ((o = sl_options_find(opts, "multi_line")) != NULL ||
					(o = sl_options_find(opts, "multiline")) != NULL))
		p->multi_line = strcasecmp(o->value, "true") == 0;

	if (p->format == SL_REC_TEXT && check_schema_text(spec, err, errlen) < 0)
		return -EINVAL;
	if (p->parser) {
		struct sl_option *fo = calloc(opts->n ? opts->n : 1, sizeof(*fo));
		if (fo == NULL) {
			snprintf(err, errlen, "out of memory checking the options of source '%s'",
				 spec->name);
			return -ENOMEM;
		}
		struct sl_source_spec fs;
		sl_recparse_format_spec(spec, p->format, is_file_key, fo, &fs);
		int rc = sl_recparse_validate(&fs, p->format, err, errlen);
		free(fo);
		if (rc < 0)
			return -EINVAL;
	}
	return 0;
}

static int file_validate(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	struct file_params p;
	return parse_params(spec, false, &p, err, errlen) < 0 ? -EINVAL : 0;
}

/* Whether the source's columns are the table's: the same names (in any
 * case), types and order. 0, or -EINVAL with err saying what differs. */
static int check_table_schema(const struct sl_source_spec *spec, const char *path,
			      const struct sl_table_meta *m, char *err, size_t errlen)
{
	const struct sl_schema *sc = &spec->schema;
	bool same = sc->ncols == m->schema.ncols;
	for (uint32_t i = 0; same && i < sc->ncols; i++)
		same = sc->cols[i].type == m->schema.cols[i].type &&
		       strcasecmp(sc->cols[i].name, m->schema.cols[i].name) == 0;
	if (same)
		return 0;
	char have[1024], decl[1024];
	sl_table_meta_describe(m, have, sizeof(have));
	size_t used = 0;
	decl[0] = '\0';
	for (uint32_t i = 0; i < sc->ncols && used < sizeof(decl); i++) {
		int w = snprintf(decl + used, sizeof(decl) - used, "%s%s %s", i ? ", " : "",
				 sc->cols[i].name, sl_type_name(sc->cols[i].type));
		if (w > 0)
			used += (size_t)w;
	}
	snprintf(err, errlen,
		 "line %u, column %u: source '%s' declares the columns (%s), but table '%s' has %s; "
		 "declare the table's columns in its order, or leave the column list out to take "
		 "them",
		 spec->line, spec->column, spec->name, decl, path, have);
	return -EINVAL;
}

static int table_validate(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	struct file_params p;
	if (parse_params(spec, true, &p, err, errlen) < 0)
		return -EINVAL;
	/* a table that exists already must have the declared columns; one that
	 * does not is waited for (and checked when it appears) */
	int dirfd = open(p.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return 0;
	struct sl_table_meta m;
	char why[512] = "";
	int rc = sl_table_meta_read(dirfd, &m, why, sizeof(why));
	close(dirfd);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		snprintf(err, errlen, "line %u, column %u: table '%s': %s", spec->line, spec->column,
			 p.path, why);
		return -EINVAL;
	}
	rc = check_table_schema(spec, p.path, &m, err, errlen);
	sl_table_meta_free(&m);
	return rc;
}

/* ------------------------------------------------------------------ */
/* shared state                                                        */

/* A file of the batch. */
struct ffile {
	char *path;       /* as shown to the user: directory as given + '/' + name; owned
			   * (NULL once handed to the clean queue) */
	char *key;        /* the checkpoint log's: the seen map's key (log mode: the
			   * path in the directory); owned */
	uint64_t size;
	int64_t mtime_ns;
	uint64_t lbatch;  /* log mode: the sink's log batch that lists it, and the */
	uint64_t lk;      /* files of that log batch taken through this one */
	bool warned;      /* its vanishing was reported */
	/* log mode with partition columns: their values, from the file's path
	 * ("store=7/part-..."); strings point into pstore; both owned */
	struct sl_value *pvals;
	char *pstore;
};

/* A work item: a file, or part [start, end) of one. */
struct fwork {
	uint32_t file;
	uint64_t start, end;
};

/* The batch being read (see the state machine at the top); under s->mu but
 * the epochs, which the committing threads note without it. */
struct fbatch {
	uint64_t id;
	struct ffile *files;
	uint32_t nfiles, fcap;
	uint64_t bytes;
	struct fwork *items;
	uint32_t nitems, icap;
	uint32_t next;  /* items claimed */
	uint32_t done;  /* items read and committed */
	bool announced; /* the threads were told to say the epoch done */
	uint8_t mode;   /* CK_MODE_*: how its files were found */
	_Atomic uint64_t last_epoch; /* the epoch that holds the batch's rows */
	atomic_bool had_rows;
};

/* A file of a batch handed over, not yet in a checkpoint's log (s->taken). */
struct ftaken {
	char *key;        /* owned */
	int64_t mtime_ms;
	uint64_t size;
	uint64_t batch;   /* the file batch that took it */
	uint64_t epoch;   /* its rows' epoch (a batch without rows: the epoch the
			   * planner was filling when it was DONE) */
	uint64_t lbatch, lk; /* log mode: as struct ffile */
	uint8_t mode;     /* CK_MODE_*: how the directory was read */
};

/* How a directory is read, as the offset records it. */
enum {
	CK_MODE_NONE = 0,  /* nothing taken yet */
	CK_MODE_PLAIN = 1,
	CK_MODE_LOG = 2,
};

/* A file of the batch to take again first (restore(): the epoch that ran
 * but was not committed). */
struct freplay {
	char *key;        /* as struct ftaken; owned */
	int64_t mtime_ms;
	uint64_t size;
};

/* A file read, to delete or archive once its epoch is committed. */
struct fclean {
	char *path;       /* owned */
	uint64_t epoch;
};

/* One ingest thread's own state: touched by that thread only (work_fd is
 * written by others to wake it). */
struct fthread {
	alignas(64) struct sl_source *s;
	uint32_t idx;
	struct sl_ingest *in;
	struct sl_chunk *batch;
	struct sl_source_stats *st;
	struct sl_file_reader *reader; /* owned */
	struct sl_recparse *parser;    /* owned; NULL: text straight from the lines */
	struct sl_pq_reader *pq;       /* format parquet: owned */
	struct sl_chunk view;          /* partition columns: the batch's data columns, */
	struct sl_vec *view_cols;      /* which the parser fills; owned */
	uint64_t seen_bytes, seen_malformed, seen_parse_malformed;
	char *arena;                   /* pinned strings, FILE_ARENA bytes, owned */
	size_t arena_used;
	uint32_t pinned;               /* rows [0, pinned) of the batch are pinned */
	bool ascii;                    /* every string of the batch's rows ASCII, as the
					* parser or the splitter saw (sl_recparse_burst_ascii,
					* sl_recparse_line_ascii, sl_file_reader_lines_ascii) */
	uint32_t unreported;           /* items read, reported once committed */
	uint64_t said;                 /* announcements answered (sl_ingest_epoch_done) */
	int work_fd;                   /* eventfd: work was added, or the source is finished */
	struct sl_str lines[FILE_LINES_BURST];
	uint32_t span_lines;           /* lines the per-line way takes after a span stops (take_parsed) */
	char err[512];
	struct sl_s3 *s3;              /* s3:// paths: this thread's client, owned */
	/* format parquet: row groups skipped by their statistics (written by
	 * this thread, read by the control thread's counters) */
	_Atomic uint64_t rg_skipped;
};

struct sl_source {
	char name[SL_NAME_MAX];
	struct file_params p;      /* strings below replace p's, which point into the spec */
	char *dir;                 /* the directory as given ("." when none); owned */
	char *absdir;              /* realpath of dir; owned */
	char *pattern;             /* glob(3) pattern of the names, or NULL; owned */
	char *archive;             /* absolute archive directory, or NULL; owned */
	bool available_now;
	/* processing-time trigger: a batch is planned only when a trigger
	 * has fired since the last planning (planned_ns: that trigger's time),
	 * as Spark takes the files there at the trigger; planner only */
	bool interval;
	uint64_t planned_ns;
	bool split_ok;
	uint64_t max_line;
	uint32_t n_ingest;
	struct sl_source_spec fspec; /* spec with the format's options only, for recparse */
	struct sl_option *fopts;   /* owned */

	/* the planner's (thread 0), and open()'s before it */
	struct sl_file_seen *seen;
	struct fmap cands;         /* name -> size, t = mtime_ns: noticed, not taken */
	int dir_fd;
	int inotify_fd;            /* -1: not watching */
	int inotify_errno;         /* why not, when it failed */
	bool relist_due;
	bool dir_warned;
	uint64_t next_list_ns;
	char *pathbuf;             /* PATH_MAX, for identities */

	/* A directory a sink wrote (it has _sluice_log/, or is a table): the
	 * files are those its commit log lists, in log order, and nothing else
	 * (Spark's MetadataLogFileIndex over _spark_metadata). The planner's,
	 * and open()'s before it. */
	enum { LOG_UNDECIDED, LOG_NO, LOG_YES } log_state;
	struct sl_commit_reader *log_reader; /* owned */
	uint64_t log_next;         /* the next log batch to read */
	int64_t log_seq;           /* files taken from the log so far: their order */
	int log_wd;                /* inotify watch of _sluice_log, or -1 */
	bool log_due;              /* the log changed: read it */
	bool clean_ignored;        /* clean_source is set but ignored: warn once */
	bool readers_ready;        /* log mode: partitions known, parsers made */
	bool have_meta;            /* table: its _sluice_table read and checked */
	struct sl_column_def *cols; /* the source's columns; owned */
	uint32_t ncols;
	/* the spec's: columns the query never reads and conjuncts its rows
	 * satisfy (format parquet: chunks not read, row groups skipped) */
	uint64_t unread_cols;
	uint32_t nfilters;
	struct sl_source_filter filters[SL_SOURCE_MAX_FILTERS];
	uint32_t npart;            /* partition columns: their values are in paths */
	uint32_t part_col[SL_MAX_PART_COLS];
	uint32_t ndata;            /* the others, read from the files */
	uint32_t *data_col;        /* owned */
	struct sl_column_def *data_cols; /* owned: fspec's schema when npart > 0 */

	/* clean_source: files of DONE batches whose epoch is not committed
	 * yet, oldest first (planner only) */
	struct fclean *clean_q;
	uint32_t nclean, clean_head, cleancap;
	/* log mode: the last file put into a batch leaves the sink's log here:
	 * lk files of log batch lbatch taken (planner only; restore sets it) */
	uint64_t lpos_batch, lpos_k;
	/* restore(): the batch to take again before anything new, and its id
	 * (planner only once run() started) */
	struct freplay *replay;
	uint32_t nreplay;
	bool replay_due;
	/* log mode, restore(): files of log batch skip_batch taken already */
	uint64_t skip_batch, skip_files;

	/* Checkpoints. taken: the files of batches handed over, not yet in a
	 * checkpoint's log, in the order taken; appended by the planner,
	 * taken off by checkpoint(); under mu. */
	struct ftaken *taken;
	uint32_t ntaken, takencap;
	/* What the checkpoints have logged (the durable view; checkpoint() and
	 * restore() on the control thread only): the seen map a restart
	 * rebuilds (plain mode), the batches taken, the sink-log position. */
	struct sl_file_seen *ck_seen;
	uint64_t ck_batches;
	uint64_t ck_lbatch, ck_lk;
	uint8_t ck_mode;
	/* the source's identity in the checkpoint (set by open()) */
	uint8_t ck_conn, ck_flags, ck_format;
	uint64_t ck_ident;

	_Atomic uint64_t vanished;
	atomic_bool finished;      /* available_now: every file is read, every batch DONE */
	_Atomic uint64_t announced; /* batches whose epoch the threads are to say done */
	_Atomic uint64_t announced_epoch; /* the epoch of the last one */

	pthread_mutex_t mu;
	bool mu_ok;
	struct fbatch batch;

	struct fthread *thr;       /* [n_ingest], owned */

	/* s3:// paths (p.s3): dir and absdir are "s3://bucket[/prefix]", the
	 * names of files the keys after the prefix. The planner's (and
	 * open()'s before it), but the strings, which are read-only. */
	char *bucket, *prefix;     /* prefix "" or ending in '/'; owned */
	char *list_prefix;         /* with a pattern: prefix + its literal start; owned */
	char *arch_bucket, *arch_prefix; /* clean_source = 'archive' */
	struct sl_s3 *s3;          /* the planner's client: listings, cleaning; owned */
	struct sl_s3_page page;    /* one listing page at a time */
	char *s3_after;            /* the largest key listed: start-after of the next listing */
	uint64_t next_full_ns;     /* a full listing is due then */
	bool s3_warned;            /* a failed listing was reported */
};

static void notify(struct sl_source *s, uint32_t idx)
{
	uint64_t one = 1;
	ssize_t r = write(s->thr[idx].work_fd, &one, sizeof(one));
	(void)r; /* a full counter still wakes the reader */
}

static void notify_workers(struct sl_source *s)
{
	for (uint32_t i = 1; i < s->n_ingest; i++)
		notify(s, i);
}

static void batch_reset(struct fbatch *b)
{
	for (uint32_t i = 0; i < b->nfiles; i++) {
		free(b->files[i].path);
		free(b->files[i].key);
		free(b->files[i].pvals);
		free(b->files[i].pstore);
	}
	b->nfiles = b->nitems = b->next = b->done = 0;
	b->bytes = 0;
	b->announced = false;
	atomic_store(&b->last_epoch, 0);
	atomic_store(&b->had_rows, false);
}

/* Rows of the batch were committed into epoch e (every core commits a
 * batch into the same epoch; the largest is kept all the same, so that
 * waiting for it to settle stays right whatever the engine did). */
static void batch_note_epoch(struct fbatch *b, uint64_t e)
{
	uint64_t v = atomic_load(&b->last_epoch);
	while (e > v && !atomic_compare_exchange_weak(&b->last_epoch, &v, e))
		;
	atomic_store(&b->had_rows, true); /* after the epochs: who sees it sees them */
}

/* ------------------------------------------------------------------ */
/* checkpoint encoding (the byte tables at the top)                    */

static int put_le(struct sl_strbuf *b, uint64_t v, unsigned bytes)
{
	char x[8];
	for (unsigned i = 0; i < bytes; i++)
		x[i] = (char)(uint8_t)(v >> (8 * i));
	return sl_strbuf_append(b, x, bytes);
}

static int put_str(struct sl_strbuf *b, const char *str)
{
	size_t n = str != NULL ? strlen(str) : 0;
	int rc = put_le(b, n, 4);
	return rc < 0 ? rc : sl_strbuf_append(b, str != NULL ? str : "", n);
}

static uint64_t ck_identity(uint8_t conn, uint8_t flags, uint8_t format, const char *dir,
			    const char *pattern)
{
	const uint8_t head[3] = {conn, flags, format};
	/* chained seeds: the strings' boundaries count */
	uint64_t h = XXH3_64bits(head, sizeof(head));
	h = XXH3_64bits_withSeed(dir, strlen(dir), h);
	return XXH3_64bits_withSeed(pattern != NULL ? pattern : "",
				    pattern != NULL ? strlen(pattern) : 0, h);
}

/* A cursor over bytes a restart hands back; `bad` once they end early. */
struct ckrd {
	const uint8_t *p;
	size_t n, at;
	bool bad;
};

static uint64_t get_le(struct ckrd *r, unsigned bytes)
{
	if (r->bad || r->n - r->at < bytes) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[r->at + i] << (8 * i);
	r->at += bytes;
	return v;
}

static const char *get_str(struct ckrd *r, uint32_t *len)
{
	uint64_t n = get_le(r, 4);
	if (r->bad || r->n - r->at < n) {
		r->bad = true;
		*len = 0;
		return "";
	}
	const char *p = (const char *)r->p + r->at;
	r->at += n;
	*len = (uint32_t)n;
	return p;
}

struct ck_offset {
	uint8_t conn, mode, flags, format;
	uint64_t batches;  /* the next file batch's id */
	uint64_t lbatch, lk; /* log mode: lk files of log batch lbatch taken */
	const char *dir, *pattern; /* not NUL-terminated */
	uint32_t dirlen, patlen;
};

static int write_offset(const struct sl_source *s, struct sl_strbuf *out, uint8_t mode,
			uint64_t batches, uint64_t lbatch, uint64_t lk)
{
	int rc = put_le(out, CK_VERSION, 1);
	if (rc == 0)
		rc = put_le(out, s->ck_conn, 1);
	if (rc == 0)
		rc = put_le(out, mode, 1);
	if (rc == 0)
		rc = put_le(out, s->ck_flags, 1);
	if (rc == 0)
		rc = put_le(out, s->ck_format, 1);
	if (rc == 0)
		rc = put_le(out, batches, 8);
	if (rc == 0)
		rc = put_le(out, lbatch, 8);
	if (rc == 0)
		rc = put_le(out, lk, 8);
	if (rc == 0)
		rc = put_str(out, s->absdir);
	if (rc == 0)
		rc = put_str(out, s->pattern);
	return rc;
}

static const char *conn_name(uint8_t c)
{
	return c == 't' ? "table" : c == 'f' ? "file" : "unknown";
}

static const char *format_name(uint8_t f)
{
	return f == SL_REC_TEXT ? "text" : f == SL_REC_CSV ? "csv" : f == SL_REC_JSON ? "json"
		: f == CK_FORMAT_PARQUET ? "parquet" : "unknown";
}

#define CK_REFUSE(...)                                                                         \
	do {                                                                                   \
		char why_[1536];                                                               \
		snprintf(why_, sizeof(why_), __VA_ARGS__);                                     \
		snprintf(err, errlen,                                                          \
			 "checkpoint source log for '%s' %s; use a new checkpoint directory",  \
			 s->name, why_);                                                       \
		return -EINVAL;                                                                \
	} while (0)

/* Read back an offset (`what`: "offset", "replayed offset") and check that
 * it is this source's. 0, or -EINVAL with err saying what differs. */
static int parse_offset(const struct sl_source *s, const struct sl_blob *b, const char *what,
			struct ck_offset *o, char *err, size_t errlen)
{
	struct ckrd r = {.p = b->p, .n = b->len};
	*o = (struct ck_offset){0};
	uint64_t version = get_le(&r, 1);
	if (!r.bad && version != CK_VERSION)
		CK_REFUSE("has its %s in format version %" PRIu64
			  " of the %s source, which this build does not read (it writes version %d)",
			  what, version, conn_name(s->ck_conn), CK_VERSION);
	o->conn = (uint8_t)get_le(&r, 1);
	o->mode = (uint8_t)get_le(&r, 1);
	o->flags = (uint8_t)get_le(&r, 1);
	o->format = (uint8_t)get_le(&r, 1);
	o->batches = get_le(&r, 8);
	o->lbatch = get_le(&r, 8);
	o->lk = get_le(&r, 8);
	o->dir = get_str(&r, &o->dirlen);
	o->pattern = get_str(&r, &o->patlen);
	if (r.bad || r.at != r.n || o->mode > CK_MODE_LOG)
		CK_REFUSE("has a damaged %s (%zu bytes)", what, b->len);
	if (o->conn != s->ck_conn)
		CK_REFUSE("was written by a %s source, but '%s' is now a %s source (option "
			  "'connector')",
			  conn_name(o->conn), s->name, conn_name(s->ck_conn));
	size_t pl = s->pattern != NULL ? strlen(s->pattern) : 0;
	if (o->dirlen != strlen(s->absdir) || memcmp(o->dir, s->absdir, o->dirlen) != 0 ||
	    o->patlen != pl || (pl > 0 && memcmp(o->pattern, s->pattern, pl) != 0))
		CK_REFUSE("is for '%.*s%s%.*s', but the source now reads '%s%s%s' (option 'path')",
			  (int)o->dirlen, o->dir, o->patlen > 0 ? "/" : "", (int)o->patlen,
			  o->pattern, s->absdir, pl > 0 ? "/" : "", pl > 0 ? s->pattern : "");
	if (o->format != s->ck_format)
		CK_REFUSE("was written for format '%s', but the source now reads format '%s' "
			  "(option 'format')",
			  format_name(o->format), format_name(s->ck_format));
	if (o->flags != s->ck_flags)
		CK_REFUSE("was written with file_name_only = %s, but it is now %s (the files "
			  "taken are known by another key)",
			  (o->flags & 1) ? "true" : "false", (s->ck_flags & 1) ? "true" : "false");
	return 0;
}

/* A file of a log entry; key is NUL-terminated. */
struct ck_file {
	uint64_t batch;
	int64_t mtime_ms;
	uint64_t size, lbatch, lk;
	const char *key;
};

typedef int (*ck_visit_fn)(struct sl_source *s, void *arg, const struct ck_file *f);

/* Read back a log entry (`what` and `idx` for messages), calling fn for
 * each of its files in order; *compact: whether it is a compact one. 0, or
 * -errno with err filled. */
static int parse_log(struct sl_source *s, const struct sl_blob *b, const char *what,
		     uint32_t idx, bool *compact, ck_visit_fn fn, void *arg, char *err,
		     size_t errlen)
{
	struct ckrd r = {.p = b->p, .n = b->len};
	uint64_t version = get_le(&r, 1);
	if (!r.bad && version != CK_VERSION)
		CK_REFUSE("has its %s %u in format version %" PRIu64
			  " of the %s source, which this build does not read (it writes version %d)",
			  what, idx, version, conn_name(s->ck_conn), CK_VERSION);
	uint64_t kind = get_le(&r, 1);
	uint64_t ident = get_le(&r, 8);
	uint64_t n = get_le(&r, 4);
	if (r.bad || (kind != 'e' && kind != 'c'))
		CK_REFUSE("has a damaged %s %u (%zu bytes)", what, idx, b->len);
	if (ident != s->ck_ident)
		CK_REFUSE("has its %s %u written for another source (another directory, "
			  "pattern, format or file_name_only than '%s' has now)",
			  what, idx, s->name);
	*compact = kind == 'c';
	char key[PATH_MAX + 1];
	for (uint64_t i = 0; i < n; i++) {
		struct ck_file f;
		f.batch = get_le(&r, 8);
		f.mtime_ms = (int64_t)get_le(&r, 8);
		f.size = get_le(&r, 8);
		f.lbatch = get_le(&r, 8);
		f.lk = get_le(&r, 8);
		uint32_t kl;
		const char *k = get_str(&r, &kl);
		if (r.bad || kl == 0 || kl > PATH_MAX)
			CK_REFUSE("has a damaged %s %u (file %" PRIu64 " of %" PRIu64 ")", what, idx,
				  i + 1, n);
		memcpy(key, k, kl);
		key[kl] = '\0';
		f.key = key;
		int rc = fn(s, arg, &f);
		if (rc < 0) {
			snprintf(err, errlen, "source '%s': out of memory restoring its checkpoint",
				 s->name);
			return rc;
		}
	}
	if (r.at != r.n)
		CK_REFUSE("has a damaged %s %u (%zu bytes after its files)", what, idx, r.n - r.at);
	return 0;
}

static int put_ck_file(struct sl_strbuf *out, const struct ftaken *f)
{
	int rc = put_le(out, f->batch, 8);
	if (rc == 0)
		rc = put_le(out, (uint64_t)f->mtime_ms, 8);
	if (rc == 0)
		rc = put_le(out, f->size, 8);
	if (rc == 0)
		rc = put_le(out, f->lbatch, 8);
	if (rc == 0)
		rc = put_le(out, f->lk, 8);
	if (rc == 0)
		rc = put_str(out, f->key);
	return rc;
}

static int put_log_head(const struct sl_source *s, struct sl_strbuf *out, char kind, uint64_t n)
{
	int rc = put_le(out, CK_VERSION, 1);
	if (rc == 0)
		rc = put_le(out, (uint8_t)kind, 1);
	if (rc == 0)
		rc = put_le(out, s->ck_ident, 8);
	if (rc == 0)
		rc = put_le(out, n, 4);
	return rc;
}

/* ------------------------------------------------------------------ */
/* open / close                                                        */

static void file_close(struct sl_source *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = 0; s->thr != NULL && i < s->n_ingest; i++) {
		struct fthread *t = &s->thr[i];
		sl_file_reader_destroy(t->reader);
		sl_recparse_destroy(t->parser);
		sl_pq_reader_destroy(t->pq);
		free(t->view_cols);
		free(t->arena);
		if (t->work_fd >= 0)
			close(t->work_fd);
	}
	if (s->mu_ok)
		pthread_mutex_destroy(&s->mu);
	batch_reset(&s->batch);
	free(s->batch.files);
	free(s->batch.items);
	fmap_free(&s->cands);
	sl_file_seen_destroy(s->seen);
	sl_file_seen_destroy(s->ck_seen);
	for (uint32_t i = s->clean_head; i < s->nclean; i++)
		free(s->clean_q[i].path); /* not committed: left in place */
	free(s->clean_q);
	for (uint32_t i = 0; i < s->nreplay; i++)
		free(s->replay[i].key);
	free(s->replay);
	for (uint32_t i = 0; i < s->ntaken; i++)
		free(s->taken[i].key);
	free(s->taken);
	sl_commit_reader_destroy(s->log_reader);
	free(s->cols);
	free(s->data_col);
	free(s->data_cols);
	if (s->inotify_fd >= 0)
		close(s->inotify_fd);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	free(s->pathbuf);
	free(s->fopts);
	free(s->dir);
	free(s->absdir);
	free(s->pattern);
	free(s->archive);
	for (uint32_t i = 0; s->thr != NULL && i < s->n_ingest; i++)
		sl_s3_destroy(s->thr[i].s3);
	sl_s3_destroy(s->s3);
	sl_s3_page_free(&s->page);
	free(s->bucket);
	free(s->prefix);
	free(s->list_prefix);
	free(s->arch_bucket);
	free(s->arch_prefix);
	free(s->s3_after);
	free(s->thr);
	free(s);
}

/* The identity of a file in the seen map: its absolute path (its name alone
 * with file_name_only, which the map takes care of). */
static const char *identity(struct sl_source *s, const char *name)
{
	snprintf(s->pathbuf, PATH_MAX, "%s/%s", strcmp(s->absdir, "/") == 0 ? "" : s->absdir, name);
	return s->pathbuf;
}

static int64_t mtime_ns_of(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int64_t ns_to_ms(int64_t ns)
{
	return ns / 1000000 - (ns % 1000000 < 0);
}

/* Note a name of the directory as a candidate when it is a new regular
 * file; 0 or -ENOMEM. */
static int cand_note(struct sl_source *s, struct fmap *into, const char *name)
{
	if (!sl_file_name_wanted(s->pattern, name))
		return 0;
	struct stat st;
	if (fstatat(s->dir_fd, name, &st, 0) != 0 || !S_ISREG(st.st_mode))
		return 0;
	int64_t t = mtime_ns_of(&st);
	if (!sl_file_seen_is_new(s->seen, identity(s, name), ns_to_ms(t)))
		return 0;
	struct fmap_slot *sl = fmap_put(into, name);
	if (sl == NULL)
		return -ENOMEM;
	sl->size = (uint64_t)st.st_size;
	sl->t = t;
	return 0;
}

/* List the directory: every wanted, new regular file. 0 or -errno. */
static int list_dir(struct sl_source *s, struct fmap *out)
{
	int fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		int e = errno;
		close(fd);
		return -e;
	}
	int rc = 0;
	struct dirent *ent;
	errno = 0;
	while ((ent = readdir(d)) != NULL) {
		if (ent->d_type != DT_REG && ent->d_type != DT_UNKNOWN && ent->d_type != DT_LNK)
			continue;
		if ((rc = cand_note(s, out, ent->d_name)) < 0)
			break;
	}
	if (rc == 0 && errno != 0)
		rc = -errno;
	closedir(d);
	return rc;
}

static uint64_t ms_to_ns(uint64_t ms)
{
	return ms * 1000000ULL;
}

/* ------------------------------------------------------------------ */
/* object storage (s3:// paths)                                        */

/*
 * A path 's3://bucket/prefix/' reads the objects whose keys are the prefix
 * and a name without '/' (ListObjectsV2 with delimiter '/', as a directory
 * is read without its subdirectories); a name is what a file's name is in
 * a directory: hidden names skipped, the seen map keyed by
 * "s3://bucket/prefix/name" (or the name with file_name_only), the order
 * by LastModified. What differs:
 *  - listing: no inotify; the planner lists every s3.list_interval, after
 *    the largest key listed so far (start-after: new objects whose keys
 *    sort after the others, as time-stamped names do, cost one request
 *    with no page to read), and lists the whole prefix every
 *    s3.full_list_interval (objects with smaller keys, objects gone).
 *    One page (up to 1000 keys) is held at a time; the candidates map is
 *    the only copy of what was listed;
 *  - reading: an item's bytes come through the reader's read_at from
 *    ranged GETs (s3_read_at) of up to the reader's buffer (4 MiB), by
 *    each ingest thread's own client: a large object split into parts is
 *    read by several cores at once, each its own byte range;
 *  - each work item starts with a HEAD: an object gone by then (404), or
 *    before its first byte was read, is counted in files_skipped and
 *    warned about, as a vanished file; gone later, or any other error
 *    after the client's retries, fails the query, so that part of an
 *    object never counts. The HEAD's size is what is read (the last part
 *    of a split object ends there): a server that listed an object while
 *    it was being written (s3rver does; S3 does not) still has it read
 *    whole;
 *  - a pattern in the path's last part ("s3://b/in/sales-*.csv"): the
 *    prefix is "in/", the names are matched as in a directory, and the
 *    listings ask for "in/sales-" only (list_prefix);
 *  - clean_source: DELETE, or COPY to the archive prefix then DELETE;
 *  - a prefix a sink wrote (an object under prefix/_sluice_log/, which the
 *    sink puts before its first data object) is read in log mode: the log's
 *    objects listed and its new entries fetched every s3.list_interval
 *    (commit_log.h, sl_commit_reader_read_s3), the data objects' keys the
 *    prefix and the paths the entries give; a table on S3 is the same,
 *    its metadata the object prefix/_sluice_table (sl_table_meta_read_s3).
 */

/* The key of a path as shown ("s3://bucket/prefix/name"). */
static const char *s3_key_of_path(const struct sl_source *s, const char *path)
{
	return path + 5 + strlen(s->bucket) + 1;
}

/* List the prefix after `after` (NULL: all of it), a page at a time:
 * every wanted, new object into out (size; t: LastModified, ns). *last
 * gets the largest key listed (owned) when there was one. 0, or -errno
 * with sl_s3_error(s->s3) (-ENOMEM: none). */
static int list_s3(struct sl_source *s, struct fmap *out, const char *after, char **last)
{
	char token[sizeof(s->page.next_token)] = "";
	size_t plen = strlen(s->prefix);
	do {
		int rc = sl_s3_list_page(s->s3, s->bucket, s->list_prefix ? s->list_prefix : s->prefix,
					 true, after, token, &s->page);
		if (rc < 0)
			return rc;
		for (uint32_t i = 0; i < s->page.n; i++) {
			const char *key = sl_s3_page_key(&s->page, i);
			if (strncmp(key, s->prefix, plen) != 0)
				continue;
			const char *name = key + plen;
			int64_t ms = s->page.v[i].mtime_ms;
			if (!sl_file_name_wanted(s->pattern, name) ||
			    !sl_file_seen_is_new(s->seen, identity(s, name), ms))
				continue;
			struct fmap_slot *sl = fmap_put(out, name);
			if (sl == NULL)
				return -ENOMEM;
			sl->size = s->page.v[i].size;
			sl->t = ms * 1000000;
		}
		if (s->page.n > 0) {
			/* keys come in order: the page's last is its largest */
			const char *k = sl_s3_page_key(&s->page, s->page.n - 1);
			if (*last == NULL || strcmp(k, *last) > 0) {
				char *d = strdup(k);
				if (d == NULL)
					return -ENOMEM;
				free(*last);
				*last = d;
			}
		}
		memcpy(token, s->page.next_token, sizeof(token));
	} while (s->page.truncated);
	return 0;
}

/* open(): the bucket and prefix, the archive prefix, the planner's client
 * and the first, full listing (which fails the open on a wrong credential
 * or a missing bucket). 0 or -errno with err. */
static int open_s3(struct sl_source *s, char *err, size_t errlen)
{
	char bucket[128], prefix[1024], why[512];
	if (sl_s3_parse_url(s->p.path, bucket, sizeof(bucket), prefix, sizeof(prefix), why,
			    sizeof(why)) < 0) {
		snprintf(err, errlen, "file source '%s': option 'path': %s", s->name, why);
		return -EINVAL;
	}
	size_t pl = strlen(prefix);
	if (has_glob(prefix, pl)) {
		/* "s3://bucket/in/" followed by the pattern "*.csv": the names
		 * under "in/" that match it (the path's check kept the pattern
		 * in the last part), listed from "in/" and the pattern's
		 * literal start */
		while (pl > 0 && prefix[pl - 1] == '/')
			prefix[--pl] = '\0';
		char *cut = strrchr(prefix, '/');
		const char *pat = cut != NULL ? cut + 1 : prefix;
		size_t lead = strcspn(pat, "*?[\\");
		s->pattern = strdup(pat);
		s->list_prefix = strndup(prefix, (size_t)(pat - prefix) + lead);
		if (s->pattern == NULL || s->list_prefix == NULL)
			goto err_nomem;
		if (cut != NULL)
			cut[1] = '\0';
		else
			prefix[0] = '\0';
		pl = strlen(prefix);
	}
	bool slash = pl > 0 && prefix[pl - 1] != '/';
	s->bucket = strdup(bucket);
	if (asprintf(&s->prefix, "%s%s", prefix, slash ? "/" : "") < 0)
		s->prefix = NULL;
	/* dir: the prefix as a directory, no trailing '/' */
	if (asprintf(&s->dir, "s3://%s%s%.*s", bucket, pl ? "/" : "",
		     (int)(pl && !slash ? pl - 1 : pl), prefix) < 0)
		s->dir = NULL;
	s->absdir = s->dir != NULL ? strdup(s->dir) : NULL;
	if (s->bucket == NULL || s->prefix == NULL || s->dir == NULL || s->absdir == NULL)
		goto err_nomem;
	if (s->p.archive != NULL) {
		if (sl_s3_parse_url(s->p.archive, bucket, sizeof(bucket), prefix, sizeof(prefix), why,
				    sizeof(why)) < 0) {
			snprintf(err, errlen, "file source '%s': option 'source_archive_dir': %s",
				 s->name, why);
			return -EINVAL;
		}
		pl = strlen(prefix);
		s->arch_bucket = strdup(bucket);
		if (asprintf(&s->arch_prefix, "%s%s", prefix, pl && prefix[pl - 1] != '/' ? "/" : "") < 0)
			s->arch_prefix = NULL;
		if (s->arch_bucket == NULL || s->arch_prefix == NULL)
			goto err_nomem;
		if (strcmp(s->arch_bucket, s->bucket) == 0 &&
		    strncmp(s->arch_prefix, s->prefix, strlen(s->prefix)) == 0) {
			snprintf(err, errlen,
				 "file source '%s': source_archive_dir '%s' is the prefix the source "
				 "reads ('%s/') or one inside it; archive to a prefix outside it, "
				 "e.g. in another bucket",
				 s->name, s->p.archive, s->dir);
			return -EINVAL;
		}
	}
	s->s3 = sl_s3_create(&s->p.s3conf);
	if (s->s3 == NULL)
		goto err_nomem;
	return 0;
err_nomem:
	snprintf(err, errlen, "file source '%s': out of memory", s->name);
	return -ENOMEM;
}

/* The first listing, in open(). */
static int first_list_s3(struct sl_source *s, char *err, size_t errlen)
{
	int rc = list_s3(s, &s->cands, NULL, &s->s3_after);
	if (rc < 0)
		snprintf(err, errlen, "file source '%s': cannot list '%s/': %s", s->name, s->dir,
			 rc == -ENOMEM ? "out of memory" : sl_s3_error(s->s3));
	uint64_t now = sl_source_now_ns();
	s->next_list_ns = now + ms_to_ns(s->p.s3_list_ms);
	s->next_full_ns = now + ms_to_ns(s->p.s3_full_list_ms);
	return rc;
}

/* Where path points the source: the directory and the names' pattern. */
static int resolve_path(struct sl_source *s, char *err, size_t errlen)
{
	const char *path = s->p.path;
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	const char *slash = memrchr(path, '/', n);
	const char *last = slash != NULL ? slash + 1 : path;
	size_t lastn = n - (size_t)(last - path);
	struct stat st;
	bool pat = has_glob(last, lastn);
	if (!pat) {
		char *whole = strndup(path, n);
		if (whole == NULL)
			goto err_nomem;
		int rc = stat(whole, &st);
		if (rc == 0 && S_ISDIR(st.st_mode)) {
			s->dir = whole;
			return 0;
		}
		free(whole);
		if (rc != 0) {
			snprintf(err, errlen,
				 "file source '%s': cannot read directory '%s': %s; create it, or fix "
				 "option 'path' (a relative path starts from the directory sluice runs "
				 "in)",
				 s->name, path, strerror(errno));
			return -ENOENT;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen,
				 "file source '%s': '%s' is neither a directory nor a file; point "
				 "option 'path' at the directory to read",
				 s->name, path);
			return -EINVAL;
		}
		/* a single file: its directory, with its name as the only name */
	}
	s->dir = slash == NULL ? strdup(".") : slash == path ? strdup("/")
							   : strndup(path, (size_t)(slash - path));
	s->pattern = strndup(last, lastn);
	if (s->dir == NULL || s->pattern == NULL)
		goto err_nomem;
	if (stat(s->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen,
			 "file source '%s': cannot read directory '%s' (of path '%s'): %s; create "
			 "it, or fix option 'path'",
			 s->name, s->dir, path, errno != 0 ? strerror(errno) : "not a directory");
		return -ENOENT;
	}
	return 0;
err_nomem:
	snprintf(err, errlen, "file source '%s': out of memory", s->name);
	return -ENOMEM;
}

/* The archive directory, absolute, and not where the source reads. */
static int resolve_archive(struct sl_source *s, char *err, size_t errlen)
{
	const char *a = s->p.archive;
	char *abs = NULL;
	if (a[0] == '/') {
		abs = strdup(a);
	} else {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			snprintf(err, errlen, "file source '%s': cannot tell the current directory: %s",
				 s->name, strerror(errno));
			return -errno;
		}
		if (asprintf(&abs, "%s/%s", cwd, a) < 0)
			abs = NULL;
	}
	if (abs == NULL)
		goto err_nomem;
	char *real = realpath(abs, NULL); /* an archive that exists: its real path */
	if (real != NULL) {
		free(abs);
		abs = real;
	}
	size_t n = strlen(abs);
	while (n > 1 && abs[n - 1] == '/')
		abs[--n] = '\0';
	s->archive = abs;
	size_t dl = strlen(s->absdir);
	if (strcmp(abs, "/") == 0 || (strncmp(abs, s->absdir, dl) == 0 &&
				      (abs[dl] == '\0' || abs[dl] == '/' || dl == 1))) {
		snprintf(err, errlen,
			 "file source '%s': source_archive_dir '%s' is '%s', the directory the "
			 "source reads or one inside it; archive to a directory elsewhere, e.g. "
			 "'%s.done'",
			 s->name, a, abs, s->dir);
		return -EINVAL;
	}
	return 0;
err_nomem:
	snprintf(err, errlen, "file source '%s': out of memory", s->name);
	return -ENOMEM;
}

/* mkdir -p: a table source over a table not written yet makes its
 * directory, to watch it. 0 or -errno. */
static int make_dirs(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return -errno;
		buf[i] = c;
	}
	return 0;
}

static size_t scan_records(void *parser, const char *b, size_t n)
{
	return sl_recparse_scan(parser, b, n);
}

/* CSV with multi_line: the parser's scanner cuts the records. */
static void use_parser_records(struct fthread *t)
{
	if (sl_recparse_multi_line(t->parser))
		sl_file_reader_set_records(t->reader, scan_records, t->parser);
}

/* Make the parsers (and the column split) once the files' layout is
 * known: in log mode, the partition columns, from the table's metadata or
 * from the first file's path ("store=7/part-..."). first_path NULL: no
 * partitions. Runs before any file of the layout joins a batch, so no
 * thread uses a parser meanwhile. 0, or -errno with err filled. */
static int make_readers(struct sl_source *s, const char *first_path, char *err, size_t errlen)
{
	if (!s->p.table) {
		/* Spark's partition discovery: the columns named by the
		 * directories of the first committed file */
		s->npart = 0;
		for (uint32_t k = 0; first_path != NULL && k < s->ncols; k++) {
			const char *v;
			size_t n;
			if (s->npart < SL_MAX_PART_COLS &&
			    sl_part_find(first_path, s->cols[k].name, &v, &n))
				s->part_col[s->npart++] = k;
		}
	}
	if (s->npart > 0 && !s->p.parquet)
		s->p.parser = true; /* text too: the line goes to its column, not column 0 */
	if (s->npart == s->ncols) {
		snprintf(err, errlen,
			 "source '%s': every column is a partition column of '%s'; declare the "
			 "columns of the files too",
			 s->name, s->dir);
		return -EINVAL;
	}
	free(s->data_col);
	free(s->data_cols);
	s->data_col = malloc(s->ncols * sizeof(*s->data_col));
	s->data_cols = malloc(s->ncols * sizeof(*s->data_cols));
	if (s->data_col == NULL || s->data_cols == NULL)
		goto err_nomem;
	s->ndata = 0;
	for (uint32_t k = 0; k < s->ncols; k++) {
		bool part = false;
		for (uint32_t i = 0; i < s->npart; i++)
			part = part || s->part_col[i] == k;
		if (part)
			continue;
		s->data_cols[s->ndata] = s->cols[k];
		s->data_col[s->ndata++] = k;
	}
	if (s->npart > 0) {
		s->fspec.schema.ncols = s->ndata;
		s->fspec.schema.cols = s->data_cols;
	}
	for (uint32_t i = 0; i < s->n_ingest; i++) {
		struct fthread *t = &s->thr[i];
		sl_recparse_destroy(t->parser);
		t->parser = NULL;
		free(t->view_cols);
		t->view_cols = NULL;
		if (s->p.parser) {
			t->parser = sl_recparse_create(&s->fspec, s->p.format, err, errlen);
			if (t->parser == NULL)
				return -EINVAL;
			use_parser_records(t);
		}
		if (s->npart > 0) {
			t->view_cols = calloc(s->ndata, sizeof(*t->view_cols));
			if (t->view_cols == NULL)
				goto err_nomem;
		}
	}
	s->readers_ready = true;
	return 0;
err_nomem:
	snprintf(err, errlen, "source '%s': out of memory setting up its readers", s->name);
	return -ENOMEM;
}

/* The table's metadata, once it is there: check the columns, take the
 * format and the partition columns. 0 (maybe still without it), or
 * -errno with err filled. */
static int read_meta(struct sl_source *s, const struct sl_source_spec *spec, char *err,
		     size_t errlen)
{
	struct sl_table_meta m;
	char why[512] = "";
	int rc = s->p.s3 ? sl_table_meta_read_s3(s->s3, s->bucket, s->prefix, &m, why, sizeof(why))
			 : sl_table_meta_read(s->dir_fd, &m, why, sizeof(why));
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		snprintf(err, errlen, "table source '%s': table '%s': %s", s->name, s->dir, why);
		return rc;
	}
	if (spec != NULL) {
		rc = check_table_schema(spec, s->dir, &m, err, errlen);
	} else {
		/* no spec past open(): compare with the columns kept */
		struct sl_source_spec tmp = {.schema = {.ncols = s->ncols, .cols = s->cols}};
		snprintf(tmp.name, sizeof(tmp.name), "%s", s->name);
		rc = check_table_schema(&tmp, s->dir, &m, err, errlen);
	}
	if (rc == 0) {
		s->p.format = m.format == SL_FILE_CSV ? SL_REC_CSV
			      : m.format == SL_FILE_JSON ? SL_REC_JSON
							 : SL_REC_TEXT;
		s->p.parquet = m.format == SL_FILE_PARQUET;
		s->p.parser = !s->p.parquet;
		s->p.csv_header = false;
		s->npart = m.npart;
		memcpy(s->part_col, m.part, sizeof(s->part_col));
		s->have_meta = true;
	}
	sl_table_meta_free(&m);
	return rc;
}

/* Whether the directory or prefix has a sink's commit log (S3: an object
 * under prefix/_sluice_log/; a failed request counts as none, the listing
 * that follows reports it). */
static bool log_exists(struct sl_source *s)
{
	if (s->p.s3)
		return sl_commit_log_exists_s3(s->s3, s->bucket, s->prefix) > 0;
	return sl_commit_log_exists(s->dir_fd);
}

static void watch_log(struct sl_source *s)
{
	if (s->log_wd >= 0 || s->inotify_fd < 0 || !sl_commit_log_exists(s->dir_fd))
		return;
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/" SL_COMMIT_LOG_DIR, strcmp(s->absdir, "/") == 0 ? "" : s->absdir);
	s->log_wd = inotify_add_watch(s->inotify_fd, path, IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
}

struct log_visit {
	struct sl_source *s;
	char *err;
	size_t errlen;
	bool failed; /* the error is the visitor's own, complete */
};

/* Every file of a committed batch becomes a candidate, in log order. */
static int log_visit_files(struct log_visit *v, const struct sl_commit_batch *b);

static int log_visit(void *arg, const struct sl_commit_batch *b)
{
	struct log_visit *v = arg;
	int rc = log_visit_files(v, b);
	v->failed = rc < 0;
	return rc;
}

static int log_visit_files(struct log_visit *v, const struct sl_commit_batch *b)
{
	struct sl_source *s = v->s;
	for (uint32_t i = 0; i < b->nfiles; i++) {
		const char *path = b->files[i].path;
		/* the writer writes the metadata before its first commit, maybe
		 * just after poll_log looked for it */
		if (s->p.table && !s->have_meta) {
			int rc = read_meta(s, NULL, v->err, v->errlen);
			if (rc < 0)
				return rc;
		}
		if (s->p.table && !s->have_meta) {
			snprintf(v->err, v->errlen,
				 "table source '%s': '%s' has commits but no " SL_TABLE_META ": it is "
				 "a file sink's output, not a table; read it with connector = 'file'",
				 s->name, s->dir);
			return -EINVAL;
		}
		if (!s->readers_ready) {
			int rc = make_readers(s, path, v->err, v->errlen);
			if (rc < 0)
				return rc;
		}
		/* restored: the files of this log batch taken before the restart */
		if (b->batch == s->skip_batch && i < s->skip_files)
			continue;
		struct fmap_slot *sl = fmap_put(&s->cands, path);
		if (sl == NULL) {
			snprintf(v->err, v->errlen, "source '%s': out of memory reading the commit log",
				 s->name);
			return -ENOMEM;
		}
		sl->size = b->files[i].size;
		sl->t = ++s->log_seq;
		sl->aux = b->batch;
	}
	return 0;
}

/* S3: a request that still failed after the client's retries (the server
 * away, throttling, a timeout), as opposed to a log that is wrong or a
 * refusal (403, no bucket). */
static bool s3_transient(int rc)
{
	return rc == -EAGAIN || rc == -ETIMEDOUT || rc == -ECONNREFUSED || rc == -ECONNRESET ||
	       rc == -EIO;
}

/* Read the batches committed since the last read; their files become
 * candidates. 0, or -errno with err filled; on S3, -EAGAIN when a request
 * failed for good but may work later (what was read stays read: the next
 * poll goes on from there). */
static int poll_log(struct sl_source *s, char *err, size_t errlen)
{
	s->log_due = false;
	s->next_list_ns = sl_source_now_ns() +
			  ms_to_ns(s->p.s3 ? s->p.s3_list_ms : SL_FILE_RELIST_MS);
	watch_log(s);
	if (s->p.table && !s->have_meta) {
		int rc = read_meta(s, NULL, err, errlen);
		if (rc < 0)
			return s->p.s3 && s3_transient(rc) ? -EAGAIN : rc;
	}
	struct log_visit v = {.s = s, .err = err, .errlen = errlen};
	char why[2048] = "";
	v.err = why;
	v.errlen = sizeof(why);
	int rc = s->p.s3 ? sl_commit_reader_read_s3(s->log_reader, s->s3, s->bucket, s->prefix,
						    &s->log_next, UINT64_MAX, log_visit, &v, why,
						    sizeof(why))
			 : sl_commit_reader_read(s->log_reader, s->dir_fd, &s->log_next,
						 UINT64_MAX, log_visit, &v, why, sizeof(why));
	if (rc == -ENOENT)
		return 0; /* no log yet: a table not written yet */
	if (rc < 0) {
		if (v.failed)
			snprintf(err, errlen, "%s", why);
		else
			snprintf(err, errlen, "source '%s': reading the commit log of '%s': %s",
				 s->name, s->dir, why);
		return s->p.s3 && !v.failed && s3_transient(rc) ? -EAGAIN : rc;
	}
	return 0;
}

/* The directory turned out to be a sink's output: from now on only its
 * log counts. */
static void switch_to_log(struct sl_source *s)
{
	fmap_free(&s->cands);
	s->log_state = LOG_YES;
	s->readers_ready = false;
	s->log_due = true;
	s->clean_ignored = s->p.clean != CLEAN_OFF;
}

static struct sl_source *source_open(const struct sl_source_spec *spec,
				     const struct sl_settings *set, uint32_t n_ingest, bool table,
				     char *err, size_t errlen)
{
	const char *kind = table ? "table" : "file";
	struct sl_source *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "%s source '%s': out of memory", kind, spec->name);
		return NULL;
	}
	s->dir_fd = s->inotify_fd = s->log_wd = -1;
	snprintf(s->name, sizeof(s->name), "%s", spec->name);
	if (parse_params(spec, table, &s->p, err, errlen) < 0)
		goto err_close;
	s->n_ingest = n_ingest ? n_ingest : 1;
	/* Spark's prepareForTriggerAvailableNow: the files there now; under
	 * Trigger.Once all of them as one batch (the limits do not apply) */
	s->available_now = spec->trigger == SL_TRIGGER_AVAILABLE_NOW ||
			   spec->trigger == SL_TRIGGER_ONCE;
	if (spec->trigger == SL_TRIGGER_ONCE)
		s->p.max_files = s->p.max_bytes = 0;
	s->interval = spec->trigger == SL_TRIGGER_INTERVAL;
	s->max_line = set != NULL && set->max_line_length ? set->max_line_length
							   : FILE_DEFAULT_MAX_LINE;
	if (s->max_line > (uint64_t)UINT32_MAX - 1)
		s->max_line = (uint64_t)UINT32_MAX - 1;
	s->ncols = spec->schema.ncols;
	s->cols = malloc((s->ncols ? s->ncols : 1) * sizeof(*s->cols));
	s->pathbuf = malloc(PATH_MAX);
	s->log_reader = sl_commit_reader_create();
	if (s->cols == NULL || s->pathbuf == NULL || s->log_reader == NULL)
		goto err_nomem;
	memcpy(s->cols, spec->schema.cols, s->ncols * sizeof(*s->cols));
	s->unread_cols = spec->unread_cols;
	s->nfilters = spec->nfilters <= SL_SOURCE_MAX_FILTERS ? spec->nfilters : 0;
	memcpy(s->filters, spec->filters, s->nfilters * sizeof(*s->filters));
	if (table && !s->p.s3) {
		int rc = make_dirs(s->p.path);
		if (rc < 0) {
			snprintf(err, errlen,
				 "table source '%s': cannot make the table's directory '%s': %s; fix "
				 "option 'path'",
				 s->name, s->p.path, strerror(-rc));
			goto err_close;
		}
	}
	if (s->p.s3 ? open_s3(s, err, errlen) < 0 : resolve_path(s, err, errlen) < 0)
		goto err_close;
	if (!s->p.s3)
		s->absdir = realpath(s->dir, NULL);
	if (s->absdir == NULL) {
		snprintf(err, errlen, "%s source '%s': cannot resolve directory '%s': %s", kind,
			 s->name, s->dir, strerror(errno));
		goto err_close;
	}
	s->p.path = NULL; /* spec strings are not kept past open() */
	s->p.format_name = NULL;
	if (s->p.archive != NULL && !s->p.s3 && resolve_archive(s, err, errlen) < 0)
		goto err_close;
	s->p.archive = NULL;
	s->dir_fd = s->p.s3 ? -1 : open(s->absdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0 && !s->p.s3) {
		snprintf(err, errlen,
			 "%s source '%s': cannot open directory '%s': %s; make it readable by "
			 "sluice",
			 kind, s->name, s->dir, strerror(errno));
		goto err_close;
	}
	/* a sink's output is read through its commit log (Spark checks for
	 * _spark_metadata in a single path that is no pattern) */
	if (table)
		s->log_state = LOG_YES;
	else if (s->pattern != NULL)
		s->log_state = LOG_NO;
	else if (log_exists(s))
		s->log_state = LOG_YES;
	else
		s->log_state = s->available_now ? LOG_NO : LOG_UNDECIDED;
	s->clean_ignored = s->log_state == LOG_YES && s->p.clean != CLEAN_OFF;
	if (table && read_meta(s, spec, err, errlen) < 0)
		goto err_close;
	/* a CSV header is the file's first line only; a record across lines
	 * could begin anywhere before a part's start (Spark reads such a file
	 * whole too: its CSV source makes multiLine files unsplittable) */
	s->split_ok = !(s->p.format == SL_REC_CSV && (s->p.csv_header || s->p.multi_line));
	s->seen = sl_file_seen_create(s->p.max_age_ms, s->p.name_only);
	s->ck_seen = sl_file_seen_create(s->p.max_age_ms, s->p.name_only);
	if (s->seen == NULL || s->ck_seen == NULL)
		goto err_nomem;
	/* what the checkpoint knows the source by (restore() refuses another) */
	s->ck_conn = table ? 't' : 'f';
	s->ck_flags = s->p.name_only ? 1 : 0;
	s->ck_format = table ? CK_NO_FORMAT : s->p.parquet ? CK_FORMAT_PARQUET : (uint8_t)s->p.format;
	s->ck_ident = ck_identity(s->ck_conn, s->ck_flags, s->ck_format, s->absdir, s->pattern);

	/* watch first, then list, so that no file falls in between */
	if (!s->available_now && !s->p.s3) {
		s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (s->inotify_fd >= 0 &&
		    inotify_add_watch(s->inotify_fd, s->absdir,
				      IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM |
					      IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF |
					      IN_ONLYDIR) < 0) {
			s->inotify_errno = errno;
			close(s->inotify_fd);
			s->inotify_fd = -1;
		} else if (s->inotify_fd < 0) {
			s->inotify_errno = errno;
		}
	}
	struct sl_option *fo = calloc(spec->options.n ? spec->options.n : 1, sizeof(*fo));
	if (fo == NULL)
		goto err_nomem;
	s->fopts = fo;
	sl_recparse_format_spec(spec, s->p.format, is_file_key, s->fopts, &s->fspec);
	if (table)
		s->fspec.options.n = 0; /* the table's files take the readers' defaults */

	if (pthread_mutex_init(&s->mu, NULL) != 0)
		goto err_nomem;
	s->mu_ok = true;
	batch_reset(&s->batch);
	s->thr = aligned_alloc(64, ((sizeof(*s->thr) * s->n_ingest) + 63) & ~(size_t)63);
	if (s->thr == NULL)
		goto err_nomem;
	memset(s->thr, 0, sizeof(*s->thr) * s->n_ingest);
	for (uint32_t i = 0; i < s->n_ingest; i++)
		s->thr[i].work_fd = -1;
	for (uint32_t i = 0; i < s->n_ingest; i++) {
		struct fthread *t = &s->thr[i];
		t->s = s;
		t->idx = i;
		t->work_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		t->reader = sl_file_reader_create(s->max_line, !s->p.s3);
		t->arena = malloc(FILE_ARENA);
		if (s->p.s3)
			t->s3 = sl_s3_create(&s->p.s3conf);
		if (t->work_fd < 0 || t->reader == NULL || t->arena == NULL ||
		    (s->p.s3 && t->s3 == NULL))
			goto err_nomem;
		/* a table's format may be known only once it is written */
		if ((s->p.parquet || table) && (t->pq = sl_pq_reader_create(s->ncols)) == NULL)
			goto err_nomem;
		/* in log mode the parsers wait for the layout (make_readers) */
		if (s->p.parser && s->log_state != LOG_YES) {
			t->parser = sl_recparse_create(&s->fspec, s->p.format, err, errlen);
			if (t->parser == NULL)
				goto err_close;
			use_parser_records(t);
		}
	}
	if (s->p.s3 && s->log_state != LOG_YES) {
		if (first_list_s3(s, err, errlen) < 0)
			goto err_close;
		return s;
	}
	int rc = s->log_state == LOG_YES ? poll_log(s, err, errlen) : list_dir(s, &s->cands);
	if (rc < 0) {
		if (s->log_state != LOG_YES)
			snprintf(err, errlen, "file source '%s': cannot list directory '%s': %s",
				 s->name, s->dir, strerror(-rc));
		goto err_close;
	}
	if (!s->p.s3)
		s->next_list_ns = sl_source_now_ns() + ms_to_ns(SL_FILE_RELIST_MS);
	return s;

err_nomem:
	snprintf(err, errlen, "%s source '%s': out of memory setting up its readers", kind,
		 spec->name);
err_close:
	file_close(s);
	return NULL;
}

static struct sl_source *file_open(const struct sl_source_spec *spec, const struct sl_settings *set,
				   uint32_t n_ingest, char *err, size_t errlen)
{
	return source_open(spec, set, n_ingest, false, err, errlen);
}

static struct sl_source *table_open(const struct sl_source_spec *spec,
				    const struct sl_settings *set, uint32_t n_ingest, char *err,
				    size_t errlen)
{
	return source_open(spec, set, n_ingest, true, err, errlen);
}

/* ------------------------------------------------------------------ */
/* the planner (ingest thread 0)                                       */

static void warn_vanished(struct fthread *t, const char *path)
{
	uint64_t n = atomic_fetch_add(&t->s->vanished, 1) + 1;
	t->st->files_skipped++; /* stat files_skipped */
	sl_ingest_log(t->in,
		      "warning: file '%s' vanished before it was read; skipped (%" PRIu64
		      " file%s skipped so far); %s",
		      path, n, n == 1 ? "" : "s",
		      t->s->p.s3 ? "an object must stay under its prefix until sluice has read it"
				 : "a file must stay in the directory until sluice has read it");
}

static void shown_path(struct sl_source *s, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", s->dir, s->dir[strlen(s->dir) - 1] == '/' ? "" : "/", name);
}

/* A candidate left before it was taken: tell, and forget it. */
static void cand_vanished(struct fthread *t, struct fmap_slot *sl)
{
	struct sl_source *s = t->s;
	char path[PATH_MAX + 256];
	shown_path(s, sl->key, path, sizeof(path));
	if (sl_file_seen_is_new(s->seen, identity(s, sl->key), ns_to_ms(sl->t)))
		warn_vanished(t, path);
	fmap_del(&s->cands, sl);
}

/* Candidates the fresh listing does not hold have vanished; fresh
 * becomes the candidates. */
static void take_listing(struct fthread *t, struct fmap *fresh)
{
	struct sl_source *s = t->s;
	for (size_t i = 0; i < s->cands.cap; i++) {
		struct fmap_slot *sl = &s->cands.v[i];
		if (slot_live(sl) && fmap_find(fresh, sl->key) == NULL)
			cand_vanished(t, sl);
	}
	fmap_free(&s->cands);
	s->cands = *fresh;
}

/* s3://: an incremental listing (after the largest key so far) into the
 * candidates, or, every s3.full_list_interval, a full one that replaces
 * them. A failed listing is reported once and tried again. */
static void relist_s3(struct fthread *t)
{
	struct sl_source *s = t->s;
	uint64_t now = sl_source_now_ns();
	bool full = s->relist_due || now >= s->next_full_ns;
	s->next_list_ns = now + ms_to_ns(s->p.s3_list_ms);
	s->relist_due = false;
	struct fmap fresh = {0};
	char *last = NULL;
	int rc = full ? list_s3(s, &fresh, NULL, &last)
		      : list_s3(s, &s->cands, s->s3_after, &last);
	if (rc < 0) {
		fmap_free(&fresh);
		free(last);
		if (!s->s3_warned)
			sl_ingest_log(t->in,
				      "warning: file source '%s': cannot list '%s/': %s; trying again "
				      "every %" PRIu64 " ms",
				      s->name, s->dir, rc == -ENOMEM ? "out of memory" : sl_s3_error(s->s3),
				      s->p.s3_list_ms);
		s->s3_warned = true;
		return;
	}
	s->s3_warned = false;
	if (last != NULL) {
		free(s->s3_after);
		s->s3_after = last;
	}
	if (full) {
		s->next_full_ns = now + ms_to_ns(s->p.s3_full_list_ms);
		take_listing(t, &fresh);
	}
}

static void relist(struct fthread *t)
{
	struct sl_source *s = t->s;
	if (s->p.s3) {
		relist_s3(t);
		return;
	}
	struct fmap fresh = {0};
	int rc = list_dir(s, &fresh);
	s->next_list_ns = sl_source_now_ns() + ms_to_ns(SL_FILE_RELIST_MS);
	s->relist_due = false;
	if (rc < 0) {
		fmap_free(&fresh);
		if (!s->dir_warned)
			sl_ingest_log(t->in,
				      "warning: cannot list directory '%s': %s; trying again every "
				      "%u ms",
				      s->dir, strerror(-rc), SL_FILE_RELIST_MS);
		s->dir_warned = true;
		return;
	}
	s->dir_warned = false;
	take_listing(t, &fresh);
}

static void read_events(struct fthread *t)
{
	struct sl_source *s = t->s;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(s->inotify_fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				s->relist_due = s->log_due = true;
				continue;
			}
			if (s->log_wd >= 0 && ev->wd == s->log_wd) {
				/* an entry renamed into the commit log */
				if (ev->mask & IN_IGNORED)
					s->log_wd = -1; /* the log went away */
				else
					s->log_due = true;
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				sl_ingest_log(t->in,
					      "warning: directory '%s' was removed or moved; new "
					      "files there are no longer noticed at once (listing "
					      "it every %u ms)",
					      s->dir, SL_FILE_RELIST_MS);
				close(s->inotify_fd);
				s->inotify_fd = -1;
				return;
			}
			if (ev->len == 0 || ev->name[0] == '\0')
				continue;
			if (strcmp(ev->name, SL_COMMIT_LOG_DIR) == 0) {
				s->log_due = true; /* a sink started writing here */
				continue;
			}
			if (s->log_state == LOG_YES)
				continue; /* only the log says which files exist */
			if (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) {
				if (cand_note(s, &s->cands, ev->name) < 0)
					s->relist_due = true; /* out of memory: try again later */
			} else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
				struct fmap_slot *sl = fmap_find(&s->cands, ev->name);
				if (sl != NULL)
					cand_vanished(t, sl);
			}
		}
	}
}

/* The partition columns' values of the file at relative path `name`
 * (Spark's partition discovery: "col=value" directories, escaped as
 * escapePathName, __HIVE_DEFAULT_PARTITION__ for null), converted to the
 * columns' types as CAST does (NULL when they do not convert, or when the
 * path has no such directory). 0 or -ENOMEM. */
static int part_values(struct sl_source *s, const char *name, struct sl_value **out,
		       char **store_out)
{
	size_t nl = strlen(name);
	struct sl_value *pv = calloc(s->npart, sizeof(*pv));
	char *store = malloc(nl + 1);
	if (pv == NULL || store == NULL) {
		free(pv);
		free(store);
		return -ENOMEM;
	}
	size_t used = 0;
	for (uint32_t k = 0; k < s->npart; k++) {
		const struct sl_column_def *col = &s->cols[s->part_col[k]];
		const char *raw;
		size_t rl;
		pv[k].type = col->type;
		pv[k].is_null = true;
		if (!sl_part_find(name, col->name, &raw, &rl))
			continue;
		char *u = store + used;
		size_t ul = sl_part_unescape(raw, rl, u);
		used += ul;
		if (ul == sizeof(SL_PART_DEFAULT) - 1 && memcmp(u, SL_PART_DEFAULT, ul) == 0)
			continue;
		bool ok = false, b = false;
		switch (col->type) {
		case SL_TYPE_STRING:
			pv[k].v.str = (struct sl_str){.ptr = u, .len = (uint32_t)ul};
			ok = true;
			break;
		case SL_TYPE_INT:
		case SL_TYPE_BIGINT:
			ok = sl_text_to_integral(u, (uint32_t)ul, col->type == SL_TYPE_INT,
						 &pv[k].v.i64);
			break;
		case SL_TYPE_TIMESTAMP:
			ok = sl_text_to_timestamp(u, (uint32_t)ul, &pv[k].v.i64);
			break;
		case SL_TYPE_DOUBLE:
			ok = sl_text_to_double(u, (uint32_t)ul, &pv[k].v.f64);
			break;
		case SL_TYPE_BOOLEAN:
			ok = sl_text_to_bool(u, (uint32_t)ul, &b);
			pv[k].v.b = b;
			break;
		default:
			break;
		}
		pv[k].is_null = !ok;
	}
	*out = pv;
	*store_out = store;
	return 0;
}

/* Add candidate c to the batch (log mode: listed by the sink's log batch
 * lbatch; files come in log order). 0 or -ENOMEM. */
static int batch_add_file(struct sl_source *s, const struct sl_file_cand *c, uint64_t lbatch)
{
	struct fbatch *b = &s->batch;
	if (b->nfiles == b->fcap) {
		uint32_t cap = b->fcap ? b->fcap * 2 : 16;
		struct ffile *v = realloc(b->files, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		b->files = v;
		b->fcap = cap;
	}
	uint32_t parts = s->split_ok ? sl_file_split_count(c->size, s->n_ingest, SL_FILE_SPLIT_MIN) : 1;
	if (b->nitems + parts > b->icap) {
		uint32_t cap = b->icap ? b->icap : 16;
		while (cap < b->nitems + parts)
			cap *= 2;
		struct fwork *v = realloc(b->items, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		b->items = v;
		b->icap = cap;
	}
	char path[PATH_MAX + 256];
	shown_path(s, c->name, path, sizeof(path));
	char *dup = strdup(path);
	bool log = s->log_state == LOG_YES;
	char *key = strdup(log ? c->name : seen_key(s->seen, identity(s, c->name)));
	if (dup == NULL || key == NULL) {
		free(dup);
		free(key);
		return -ENOMEM;
	}
	struct sl_value *pvals = NULL;
	char *pstore = NULL;
	if (s->npart > 0 && part_values(s, c->name, &pvals, &pstore) < 0) {
		free(dup);
		free(key);
		return -ENOMEM;
	}
	b->mode = log ? CK_MODE_LOG : CK_MODE_PLAIN;
	if (log) {
		/* taken in log order: what is taken is a prefix of the log */
		if (lbatch == s->lpos_batch) {
			s->lpos_k++;
		} else {
			s->lpos_batch = lbatch;
			s->lpos_k = 1;
		}
	}
	uint32_t f = b->nfiles++;
	b->files[f] = (struct ffile){.path = dup, .key = key, .size = c->size,
				     .mtime_ns = c->mtime_ns, .lbatch = log ? lbatch : 0,
				     .lk = log ? s->lpos_k : 0, .pvals = pvals, .pstore = pstore};
	b->bytes += c->size;
	for (uint32_t i = 0; i < parts; i++) {
		struct fwork *w = &b->items[b->nitems++];
		w->file = f;
		sl_file_split_part(c->size, parts, i, &w->start, &w->end);
	}
	return 0;
}

/* The first batch after a restore that replays an epoch: exactly the
 * files it took (s->replay), whatever the limits and the newer files, as
 * Spark re-runs a batch from its offset log; a file gone since is skipped
 * and counted (s->mu held). Returns how many files were added, or
 * -ENOMEM. */
static int fill_replay(struct fthread *t)
{
	struct sl_source *s = t->s;
	bool log = s->log_state == LOG_YES;
	struct sl_file_cand *v = malloc((s->nreplay ? s->nreplay : 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	char path[PATH_MAX + 256];
	size_t n = 0;
	for (uint32_t i = 0; i < s->nreplay; i++) {
		const struct freplay *f = &s->replay[i];
		if (log) {
			/* the log lists it still: it is a candidate again */
			struct fmap_slot *sl = fmap_find(&s->cands, f->key);
			if (sl != NULL) {
				v[n++] = (struct sl_file_cand){.name = sl->key, .size = sl->size,
							       .mtime_ns = sl->t};
				continue;
			}
		} else {
			/* a plain directory's own file: its name is the key's last part */
			const char *slash = strrchr(f->key, '/');
			const char *name = slash != NULL ? slash + 1 : f->key;
			struct stat st;
			/* s3://: no request here (under s->mu); reading a gone
			 * object counts it as vanished */
			if (s->p.s3 || (fstatat(s->dir_fd, name, &st, 0) == 0 && S_ISREG(st.st_mode))) {
				v[n++] = (struct sl_file_cand){.name = name, .size = f->size,
							       .mtime_ns = f->mtime_ms * 1000000};
				continue;
			}
		}
		const char *slash = strrchr(f->key, '/');
		shown_path(s, log || slash == NULL ? f->key : slash + 1, path, sizeof(path));
		warn_vanished(t, path);
	}
	if (log)
		sl_file_sort(v, n, false); /* log order */
	int rc = 0;
	size_t added = 0;
	for (; added < n; added++) {
		struct fmap_slot *cs = fmap_find(&s->cands, v[added].name);
		if ((rc = batch_add_file(s, &v[added], cs != NULL ? cs->aux : 0)) < 0 ||
		    (!log && (rc = sl_file_seen_add(s->seen, identity(s, v[added].name),
						    ns_to_ms(v[added].mtime_ns))) < 0))
			break;
		if (cs != NULL)
			fmap_del(&s->cands, cs); /* v[added].name was its key */
	}
	if (added > 0 && !log)
		sl_file_seen_purge(s->seen);
	free(v);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < s->nreplay; i++)
		free(s->replay[i].key);
	free(s->replay);
	s->replay = NULL;
	s->nreplay = 0;
	s->replay_due = false;
	return (int)added;
}

/* Put candidates into the empty batch, in order, while the limits allow
 * (s->mu held). Returns how many files were added, or -ENOMEM. */
static int fill_batch(struct fthread *t)
{
	struct sl_source *s = t->s;
	struct fbatch *b = &s->batch;
	if (s->replay_due) {
		int rc = fill_replay(t);
		if (rc != 0)
			return rc;
	}
	if (s->cands.n == 0)
		return 0;
	struct sl_file_cand *v = malloc(s->cands.n * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < s->cands.cap; i++) {
		struct fmap_slot *sl = &s->cands.v[i];
		if (!slot_live(sl))
			continue;
		if (s->log_state != LOG_YES &&
		    !sl_file_seen_is_new(s->seen, identity(s, sl->key), ns_to_ms(sl->t))) {
			fmap_del(&s->cands, sl); /* older than max_file_age allows, or taken */
			continue;
		}
		v[n++] = (struct sl_file_cand){.name = sl->key, .size = sl->size, .mtime_ns = sl->t};
	}
	/* in log mode the log's order, always: what is taken stays a prefix
	 * of the log, which is what a checkpoint's offset records */
	sl_file_sort(v, n, s->p.latest_first && s->log_state != LOG_YES);
	bool full; /* nothing joins a batch after its planning anyway */
	size_t k = sl_file_take(v, n, b->nfiles, b->bytes, s->p.max_files, s->p.max_bytes, &full);
	int rc = 0;
	size_t added = 0;
	for (; added < k; added++) {
		/* in log mode the log's order takes each file once. The file
		 * joins batch b->id; the checkpoint logs it once the batch is
		 * handed over (note_taken) */
		struct fmap_slot *cs = fmap_find(&s->cands, v[added].name);
		if ((rc = batch_add_file(s, &v[added], cs->aux)) < 0 ||
		    (s->log_state != LOG_YES &&
		     (rc = sl_file_seen_add(s->seen, identity(s, v[added].name),
					    ns_to_ms(v[added].mtime_ns))) < 0))
			break;
		fmap_del(&s->cands, cs);
	}
	if (added > 0 && s->log_state != LOG_YES)
		sl_file_seen_purge(s->seen);
	free(v);
	return rc < 0 ? rc : (int)added;
}

/* s3://: DELETE the object, or COPY it under the archive prefix (its
 * name kept) and then DELETE it. Failures are warnings: the object stays. */
static void clean_object(struct fthread *t, const char *path)
{
	struct sl_source *s = t->s;
	const char *key = s3_key_of_path(s, path);
	if (s->p.clean == CLEAN_ARCHIVE) {
		char to[2048];
		const char *name = key + strlen(s->prefix);
		snprintf(to, sizeof(to), "%s%s", s->arch_prefix, name);
		if (sl_s3_copy(s->s3, s->bucket, key, s->arch_bucket, to) < 0) {
			sl_ingest_log(t->in,
				      "warning: clean_source = 'archive': cannot copy '%s' to "
				      "'s3://%s/%s': %s; left in place",
				      path, s->arch_bucket, to, sl_s3_error(s->s3));
			return;
		}
	}
	if (sl_s3_delete(s->s3, s->bucket, key) < 0)
		sl_ingest_log(t->in, "warning: clean_source = '%s': cannot delete '%s': %s; left in place",
			      s->p.clean == CLEAN_ARCHIVE ? "archive" : "delete", path,
			      sl_s3_error(s->s3));
}

static void clean_file(struct fthread *t, const char *path)
{
	struct sl_source *s = t->s;
	if (s->p.s3) {
		clean_object(t, path);
		return;
	}
	if (s->p.clean == CLEAN_DELETE) {
		if (unlink(path) != 0)
			sl_ingest_log(t->in,
				      "warning: clean_source = 'delete': cannot delete '%s': %s; "
				      "left in place",
				      path, strerror(errno));
		return;
	}
	/* archive: the file's absolute path under the archive directory, as
	 * Spark's SourceFileArchiver moves /a/b/x.csv to <archive>/a/b/x.csv */
	const char *name = strrchr(path, '/');
	name = name != NULL ? name + 1 : path;
	char to[2 * PATH_MAX];
	const char *abs = strcmp(s->absdir, "/") == 0 ? "" : s->absdir;
	int w = snprintf(to, sizeof(to), "%s%s/%s", s->archive, abs, name);
	if (w < 0 || (size_t)w >= sizeof(to)) {
		sl_ingest_log(t->in, "warning: clean_source = 'archive': the archive path of '%s' is "
				     "too long; left in place", path);
		return;
	}
	/* make the directories on the way */
	char *slash = strrchr(to, '/');
	*slash = '\0';
	for (char *q = to + 1; ; q++) {
		if (*q == '/' || *q == '\0') {
			char c = *q;
			*q = '\0';
			if (mkdir(to, 0777) != 0 && errno != EEXIST) {
				sl_ingest_log(t->in,
					      "warning: clean_source = 'archive': cannot make directory "
					      "'%s': %s; '%s' left in place",
					      to, strerror(errno), path);
				return;
			}
			*q = c;
			if (c == '\0')
				break;
		}
	}
	*slash = '/';
	if (rename(path, to) != 0)
		sl_ingest_log(t->in,
			      "warning: clean_source = 'archive': cannot move '%s' to '%s': %s%s; "
			      "left in place",
			      path, to, strerror(errno),
			      errno == EXDEV ? " (the archive must be on the same file system)" : "");
}

/* Clean the queued files whose epoch is committed now (planner). */
static void clean_committed(struct fthread *t)
{
	struct sl_source *s = t->s;
	if (s->clean_head == s->nclean)
		return;
	uint64_t committed = sl_ingest_committed(t->in);
	while (s->clean_head < s->nclean && s->clean_q[s->clean_head].epoch < committed) {
		struct fclean *c = &s->clean_q[s->clean_head++];
		clean_file(t, c->path);
		free(c->path);
	}
	if (s->clean_head == s->nclean)
		s->clean_head = s->nclean = 0;
}

/* Clean file f of the DONE batch once epoch e is durable: now, or later
 * from the queue. A batch without rows (e = UINT64_MAX) added nothing to
 * any epoch: its files go at once. */
static void clean_later(struct fthread *t, struct ffile *f, uint64_t e)
{
	struct sl_source *s = t->s;
	if (e == UINT64_MAX || (s->clean_head == s->nclean && sl_ingest_committed(t->in) > e)) {
		clean_file(t, f->path);
		return;
	}
	if (s->nclean == s->cleancap) {
		uint32_t cap = s->cleancap ? s->cleancap * 2 : 16;
		struct fclean *v = realloc(s->clean_q, cap * sizeof(*v));
		if (v == NULL) {
			sl_ingest_log(t->in,
				      "warning: clean_source: out of memory queueing '%s' until its "
				      "batch is committed; left in place",
				      f->path);
			return;
		}
		s->clean_q = v;
		s->cleancap = cap;
	}
	s->clean_q[s->nclean++] = (struct fclean){.path = f->path, .epoch = e};
	f->path = NULL; /* the queue's now; fclaims are gone with the batch */
}

/* The batch is DONE: clean its files (once committed); the batch is EMPTY
 * again. */
static void finish_batch(struct fthread *t)
{
	struct sl_source *s = t->s;
	struct fbatch *b = &s->batch;
	/* every item is read and reported, so no other thread looks at the
	 * batch until it has items again */
	if (s->p.clean != CLEAN_OFF && s->log_state != LOG_YES) {
		uint64_t e = atomic_load(&b->had_rows) ? atomic_load(&b->last_epoch) : UINT64_MAX;
		for (uint32_t i = 0; i < b->nfiles; i++)
			clean_later(t, &b->files[i], e);
	}
	pthread_mutex_lock(&s->mu);
	batch_reset(b);
	b->id++;
	pthread_mutex_unlock(&s->mu);
}

/* The batch is handed over (announced, or DONE without rows; its rows in
 * `epoch`): note its files for the checkpoint's log, their keys moving
 * from the batch (s->mu held). 0 or -ENOMEM. */
static int note_taken(struct sl_source *s, struct fbatch *b, uint64_t epoch)
{
	if (s->ntaken + b->nfiles > s->takencap) {
		uint32_t cap = s->takencap ? s->takencap : 16;
		while (cap < s->ntaken + b->nfiles)
			cap *= 2;
		struct ftaken *v = realloc(s->taken, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		s->taken = v;
		s->takencap = cap;
	}
	uint8_t mode = s->log_state == LOG_YES ? CK_MODE_LOG : CK_MODE_PLAIN;
	for (uint32_t i = 0; i < b->nfiles; i++) {
		struct ffile *f = &b->files[i];
		s->taken[s->ntaken++] = (struct ftaken){
			.key = f->key, .mtime_ms = mode == CK_MODE_LOG ? 0 : ns_to_ms(f->mtime_ns),
			.size = f->size, .batch = b->id, .epoch = epoch, .lbatch = f->lbatch,
			.lk = f->lk, .mode = mode};
		f->key = NULL;
	}
	return 0;
}

/* Forget the notes of committed epochs: a checkpoint has logged them
 * (it runs before the commit), or there is none (s->mu held). */
static void prune_taken(struct sl_source *s, uint64_t committed)
{
	uint32_t k = 0;
	while (k < s->ntaken && s->taken[k].epoch < committed)
		free(s->taken[k++].key);
	if (k == 0)
		return;
	memmove(s->taken, s->taken + k, (s->ntaken - k) * sizeof(*s->taken));
	s->ntaken -= k;
}

/* Answer an announcement: the batch is read whole, its epoch is done. */
static void say_done(struct fthread *t)
{
	/* acquire: the epoch is stored before the count */
	uint64_t a = atomic_load_explicit(&t->s->announced, memory_order_acquire);
	if (a > t->said) {
		sl_ingest_epoch_done(t->in, atomic_load(&t->s->announced_epoch));
		t->said = a;
	}
}

/* One planning step: notice files, move the batch along. <0: fatal. */
static int plan_step(struct fthread *t)
{
	struct sl_source *s = t->s;
	struct fbatch *b = &s->batch;
	if (!s->available_now) {
		if (s->inotify_fd >= 0)
			read_events(t);
		bool due = sl_source_now_ns() >= s->next_list_ns;
		if (s->log_state != LOG_YES && (s->relist_due || due))
			relist(t);
		/* Spark's FileStreamSource: undecided until files show up, then
		 * a look for the sink's log once more before taking them */
		if (s->log_state == LOG_UNDECIDED && (s->cands.n > 0 || s->log_due)) {
			if (log_exists(s))
				switch_to_log(s);
			else if (s->cands.n > 0)
				s->log_state = LOG_NO;
			s->log_due = s->log_state == LOG_YES;
		}
		if (s->log_state == LOG_YES && (s->log_due || due)) {
			char err[2048];
			int rc = poll_log(s, err, sizeof(err));
			if (rc == -EAGAIN && s->p.s3) {
				/* as a failed listing: said once, tried again */
				if (!s->s3_warned)
					sl_ingest_log(t->in,
						      "warning: %s; trying again every %" PRIu64 " ms",
						      err, s->p.s3_list_ms);
				s->s3_warned = true;
			} else if (rc < 0) {
				sl_ingest_fail(t->in, "%s", err);
				return -EIO;
			} else {
				s->s3_warned = false;
			}
		}
	}
	if (s->clean_ignored) {
		s->clean_ignored = false;
		sl_ingest_log(t->in,
			      "warning: source '%s': clean_source is ignored: '%s' is written by a "
			      "sink, whose commit log still lists the files it reads",
			      s->name, s->dir);
	}
	clean_committed(t);
	int added = 0, noted = 0;
	bool done = false, announce = false, ack = false;
	uint64_t trig = s->interval ? sl_ingest_trigger_ns(t->in) : 0;
	pthread_mutex_lock(&s->mu);
	if (s->ntaken > 0)
		prune_taken(s, sl_ingest_committed(t->in));
	if (b->nfiles == 0 && (!s->interval || trig > s->planned_ns)) {
		if ((added = fill_batch(t)) < 0) {
			pthread_mutex_unlock(&s->mu);
			sl_ingest_fail(t->in, "file source '%s': out of memory planning a batch",
				       s->name);
			return -ENOMEM;
		}
		if (s->interval) {
			s->planned_ns = trig;
			ack = b->nfiles == 0; /* nothing there at this trigger */
		}
	}
	if (b->nfiles > 0 && b->next == b->nitems && b->done == b->nitems) {
		if (!atomic_load(&b->had_rows)) {
			done = true; /* its files held no rows: there is no epoch to wait for */
			ack = s->interval;
			/* logged by the checkpoint of the epoch being filled, or
			 * an earlier one */
			noted = note_taken(s, b, sl_ingest_epoch(t->in));
		} else if (!b->announced) {
			b->announced = announce = true;
			ack = s->interval;
			noted = note_taken(s, b, atomic_load(&b->last_epoch));
		} else if (sl_ingest_settled(t->in) > atomic_load(&b->last_epoch)) {
			done = true;
		}
	}
	pthread_mutex_unlock(&s->mu);
	if (noted < 0) {
		sl_ingest_fail(t->in, "file source '%s': out of memory noting a batch's files",
			       s->name);
		return -ENOMEM;
	}
	if (announce) {
		atomic_store(&s->announced_epoch, atomic_load(&b->last_epoch));
		/* release: the epoch is there before anyone sees the count */
		atomic_fetch_add_explicit(&s->announced, 1, memory_order_release);
		say_done(t);
	}
	/* the trigger answered: what it planned is handed over, or nothing was
	 * there (after say_done: the engine may cut at once) */
	if (ack)
		sl_ingest_trigger_ack(t->in, s->planned_ns);
	if (added > 0 || announce)
		notify_workers(s);
	/* under available_now the query ends once every file read is cleaned:
	 * a batch's files wait for its commit */
	bool rest = s->cands.n == 0 && !s->replay_due;
	if (done) {
		finish_batch(t);
		if (s->available_now && rest && s->clean_head == s->nclean) {
			atomic_store(&s->finished, true);
			notify_workers(s);
		}
	} else if (s->available_now && b->nfiles == 0 && rest && s->clean_head == s->nclean) {
		atomic_store(&s->finished, true); /* nothing (more) to read */
		notify_workers(s);
	}
	return done ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* reading (every ingest thread)                                       */

struct fclaim {
	const char *path; /* s->batch.files[file].path: freed only once the batch is DONE */
	uint32_t file;
	uint64_t size, start, end;
	const struct sl_value *pvals; /* the file's partition values, as long as path */
};

static bool claim(struct fthread *t, struct fclaim *c)
{
	struct sl_source *s = t->s;
	struct fbatch *b = &s->batch;
	bool ok = false;
	pthread_mutex_lock(&s->mu);
	if (b->next < b->nitems) {
		const struct fwork *w = &b->items[b->next++];
		const struct ffile *f = &b->files[w->file];
		*c = (struct fclaim){.path = f->path, .file = w->file, .size = f->size,
				     .start = w->start, .end = w->end, .pvals = f->pvals};
		ok = true;
	}
	pthread_mutex_unlock(&s->mu);
	return ok;
}

static void count_malformed(struct fthread *t)
{
	uint64_t m = sl_file_reader_malformed(t->reader);
	t->st->malformed += m - t->seen_malformed;
	t->seen_malformed = m;
	if (t->parser != NULL) {
		m = sl_recparse_malformed(t->parser);
		t->st->malformed += m - t->seen_parse_malformed;
		t->seen_parse_malformed = m;
	}
}

/* The batch's data STRING columns: all ASCII (sl_vec.ascii) when `on`,
 * else unknown. */
static void mark_ascii(struct fthread *t, bool on)
{
	const struct sl_source *s = t->s;
	struct sl_chunk *c = t->batch;
	/* without partition columns every column is a data column (and
	 * data_col may not be made) */
	const uint32_t n = s->npart > 0 ? s->ndata : s->ncols;
	for (uint32_t k = 0; k < n; k++) {
		struct sl_vec *v = &c->cols[s->npart > 0 ? s->data_col[k] : k];
		if (v->type == SL_TYPE_STRING)
			v->ascii = on ? v->v.str : NULL;
	}
}

/* Hand the batch to the engine. 0, or -ECANCELED when it is stopping. */
static int commit(struct fthread *t)
{
	struct sl_chunk *c = t->batch;
	if (c->nrows == 0)
		return 0;
	batch_note_epoch(&t->s->batch, sl_ingest_epoch(t->in)); /* the rows' epoch */
	t->st->rows += c->nrows;
	/* length() counts the characters of ASCII strings by their bytes */
	mark_ascii(t, t->ascii);
	int rc = sl_ingest_commit(t->in);
	mark_ascii(t, false);
	t->ascii = false;
	t->arena_used = 0;
	t->pinned = 0;
	if (t->parser != NULL)
		sl_recparse_reset(t->parser);
	count_malformed(t);
	return rc;
}

/* Copy the strings of the rows not yet pinned into the arena, so that the
 * line buffer may be reused; false when they do not fit. */
static bool pin(struct fthread *t)
{
	struct sl_chunk *c = t->batch;
	uint32_t from = t->pinned, to = c->nrows;
	if (from >= to)
		return true;
	size_t need = 0;
	for (uint32_t k = 0; k < c->ncols; k++) {
		const struct sl_vec *v = &c->cols[k];
		if (!sl_type_is_bytes(v->type))
			continue;
		for (uint32_t r = from; r < to; r++)
			if (!v->nulls[r])
				need += v->v.str[r].len;
	}
	if (need > FILE_ARENA - t->arena_used)
		return false;
	for (uint32_t k = 0; k < c->ncols; k++) {
		struct sl_vec *v = &c->cols[k];
		if (!sl_type_is_bytes(v->type))
			continue;
		for (uint32_t r = from; r < to; r++) {
			if (v->nulls[r] || v->v.str[r].len == 0)
				continue;
			char *dst = t->arena + t->arena_used;
			memcpy(dst, v->v.str[r].ptr, v->v.str[r].len);
			v->v.str[r].ptr = dst;
			t->arena_used += v->v.str[r].len;
		}
	}
	t->pinned = to;
	return true;
}

/* The line buffer is about to be reused: no row may point into it. */
static int release_lines(struct fthread *t)
{
	return pin(t) ? 0 : commit(t);
}

/* Report the items read since the last report (their rows are committed). */
static void report(struct fthread *t)
{
	struct sl_source *s = t->s;
	if (t->unreported == 0)
		return;
	pthread_mutex_lock(&s->mu);
	struct fbatch *b = &s->batch;
	b->done += t->unreported;
	bool all = b->done == b->nitems && b->next == b->nitems;
	pthread_mutex_unlock(&s->mu);
	t->unreported = 0;
	if (all && t->idx != 0)
		notify(s, 0);
}

static void file_gone(struct fthread *t, const struct fclaim *c)
{
	struct sl_source *s = t->s;
	pthread_mutex_lock(&s->mu);
	bool first = !s->batch.files[c->file].warned;
	s->batch.files[c->file].warned = true;
	pthread_mutex_unlock(&s->mu);
	if (first) /* once per file, whichever of its parts found it gone */
		warn_vanished(t, c->path);
}

/* Text: lines straight into the value column, in bursts. */
static int take_text(struct fthread *t)
{
	struct sl_chunk *c = t->batch;
	struct sl_vec *col = &c->cols[0];
	for (;;) {
		uint32_t at = c->nrows;
		uint32_t k = sl_file_reader_lines(t->reader, &col->v.str[at], SL_INGEST_BATCH_ROWS - at);
		if (k == 0)
			return 0;
		/* ASCII while every call's lines were (length() by bytes) */
		t->ascii = (at == 0 || t->ascii) && sl_file_reader_lines_ascii(t->reader);
		memset(col->nulls + at, 0, k);
		c->nrows = at + k;
		if (c->nrows == SL_INGEST_BATCH_ROWS) {
			int rc = commit(t);
			if (rc < 0)
				return rc;
		}
	}
}

/* Row `row` of the batch's partition columns: the file's values. */
static void put_parts(struct fthread *t, const struct fclaim *cl, uint32_t row)
{
	const struct sl_source *s = t->s;
	for (uint32_t k = 0; k < s->npart; k++) {
		struct sl_vec *v = &t->batch->cols[s->part_col[k]];
		const struct sl_value *pv = &cl->pvals[k];
		v->nulls[row] = pv->is_null;
		if (pv->is_null)
			continue;
		switch (v->type) {
		case SL_TYPE_STRING: v->v.str[row] = pv->v.str; break;
		case SL_TYPE_DOUBLE: v->v.f64[row] = pv->v.f64; break;
		case SL_TYPE_BOOLEAN: v->v.b[row] = pv->v.b; break;
		default: v->v.i64[row] = pv->v.i64; break;
		}
	}
}

/* csv, json (and text with format options): each line through recparse. */
static int take_parsed(struct fthread *t, const struct fclaim *cl, const struct sl_file_input *in)
{
	struct sl_chunk *c = t->batch;
	struct sl_chunk *into = c;
	if (t->s->npart > 0) {
		/* the parser fills the data columns, in the batch's storage */
		for (uint32_t k = 0; k < t->s->ndata; k++)
			t->view_cols[k] = c->cols[t->s->data_col[k]];
		t->view = (struct sl_chunk){.ncols = t->s->ndata, .cols = t->view_cols};
		into = &t->view;
	}
	const bool burst = sl_recparse_bursts(t->parser);
	for (;;) {
		/* plain CSV lines straight from the reader's bytes, cut and
		 * converted by the parser (spans), as long as it takes some */
		while (burst) {
			const char *s;
			uint64_t max_line;
			size_t n = sl_file_reader_peek(t->reader, &s, &max_line), used;
			if (c->nrows == 0)
				t->ascii = true; /* until a row says otherwise */
			uint32_t m = sl_recparse_burst_span(t->parser, s, n, max_line,
							    SL_INGEST_BATCH_ROWS - c->nrows, into,
							    c->nrows, &used);
			if (m == 0)
				break;
			sl_file_reader_take(t->reader, used);
			t->span_lines = 1;
			t->ascii = t->ascii && sl_recparse_burst_ascii(t->parser);
			for (uint32_t j = 0; t->s->npart > 0 && j < m; j++)
				put_parts(t, cl, c->nrows + j);
			c->nrows += m;
			if (c->nrows == SL_INGEST_BATCH_ROWS) {
				int rc = commit(t);
				if (rc < 0)
					return rc;
			}
		}
		/* the line a span stops at the per-line way; when spans keep
		 * stopping at their first line (quotes everywhere, say), twice
		 * as many lines each time before the next span is tried */
		uint32_t want = FILE_LINES_BURST;
		if (burst) {
			want = t->span_lines > 0 ? t->span_lines : 1;
			t->span_lines = want < FILE_LINES_BURST ? 2 * want : FILE_LINES_BURST;
		}
		uint32_t k = sl_file_reader_lines(t->reader, t->lines, want);
		if (k == 0)
			return 0;
		for (uint32_t i = 0; i < k; i++) {
			if (c->nrows == 0)
				t->ascii = true; /* until a row says otherwise */
			/* the splitter's lines have SL_LINES_PADDING readable bytes after
			 * them: JSON is parsed in place */
			int rc = sl_recparse_line_padded(t->parser, t->lines[i].ptr,
							 t->lines[i].len, into, c->nrows, t->err,
							 sizeof(t->err));
			if (rc == 1) {
				/* the per-line way looks only in the JSON flat walk */
				t->ascii = t->ascii && sl_recparse_line_ascii(t->parser);
				if (t->s->npart > 0)
					put_parts(t, cl, c->nrows);
				if (++c->nrows == SL_INGEST_BATCH_ROWS && (rc = commit(t)) < 0)
					return rc;
				continue;
			}
			if (rc == 0)
				continue;
			if (rc == -ENOMEM) {
				sl_ingest_fail(t->in, "file source '%s': out of memory parsing '%s'",
					       t->s->name, cl->path);
				return rc;
			}
			uint64_t off = sl_file_reader_offset_of(t->reader, t->lines[i].ptr);
			uint64_t line = sl_file_line_number_input(in, off);
			char where[64] = "";
			if (line > 0)
				snprintf(where, sizeof(where), "line %" PRIu64 ", ", line);
			sl_ingest_fail(t->in, "file source '%s': file '%s', %sbyte offset %" PRIu64 ": %s",
				       t->s->name, cl->path, where, off, t->err);
			return -EINVAL;
		}
		count_malformed(t);
	}
}

/* An object being read: a local file (fd), or an S3 object read by ranged
 * GETs of this thread's client. The reader reads it through `in`. */
struct fobj {
	struct sl_file_input in;
	int fd;
	struct sl_s3 *s3;
	const char *bucket;
	const char *key;
	int io_err; /* format parquet: a read that failed (not a short one), -errno */
};

static ssize_t s3_read_at(void *ctx, void *buf, size_t n, uint64_t off)
{
	const struct fobj *o = ctx;
	return sl_s3_get_range(o->s3, o->bucket, o->key, buf, n, off);
}

/* Open the item's object; *size is the bytes to read (a local file that
 * shrank since it was listed: what is there; an S3 object: its size now,
 * so that an object listed while it was being written, by a server that
 * shows it before it is whole, is read whole), *end the part's end (the
 * last part of an object ends at *size). 0; 1 when it is gone (reported,
 * counted); -errno on a fatal error (reported). */
static int obj_open(struct fthread *t, const struct fclaim *c, struct fobj *o, uint64_t *size,
		    uint64_t *end)
{
	struct sl_source *s = t->s;
	*o = (struct fobj){.fd = -1};
	*size = c->size;
	*end = c->end;
	if (s->p.s3) {
		o->s3 = t->s3;
		o->bucket = s->bucket;
		o->key = s3_key_of_path(s, c->path);
		o->in = (struct sl_file_input){.fd = -1, .read_at = s3_read_at, .ctx = o};
		int rc = sl_s3_head(o->s3, o->bucket, o->key, size, NULL);
		if (rc == -ENOENT) {
			file_gone(t, c);
			return 1;
		}
		if (rc < 0) {
			sl_ingest_fail(t->in,
				       "file source '%s': cannot read '%s': %s; the query stops: check "
				       "the S3 endpoint and the object, then start the query again (it "
				       "goes on from its checkpoint)",
				       s->name, c->path, sl_s3_error(o->s3));
			return rc;
		}
		if (c->end >= c->size)
			*end = *size;
		return 0;
	}
	o->fd = open(c->path, O_RDONLY | O_CLOEXEC);
	if (o->fd < 0) {
		int e = errno;
		if (e == ENOENT) {
			file_gone(t, c);
			return 1;
		}
		sl_ingest_fail(t->in,
			       "file source '%s': cannot open '%s': %s; make it readable by sluice, "
			       "or move it out of '%s'",
			       s->name, c->path, strerror(e), s->dir);
		return -e;
	}
	struct stat st;
	if (fstat(o->fd, &st) == 0 && (uint64_t)st.st_size < *size)
		*size = (uint64_t)st.st_size; /* it shrank: read what is there */
	o->in = (struct sl_file_input){.fd = o->fd};
	return 0;
}

static void obj_close(struct fobj *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
}

/* Why a read of o failed, for a message. */
static const char *obj_error(const struct fobj *o, int rc)
{
	return o->s3 != NULL && rc != -ENOMEM ? sl_s3_error(o->s3) : strerror(-rc);
}

/* ------------------------------------------------------------------ */
/* format parquet (parquet.h)                                          */

/* The reader's callback: bytes [off, off + n) of the object, whole (a
 * local file through its fd, an S3 object by a ranged GET). */
static int pq_read_obj(void *ctx, void *buf, size_t n, uint64_t off)
{
	struct fobj *o = ctx;
	ssize_t r = o->s3 != NULL ? s3_read_at(o, buf, n, off) : pread_full(o->fd, buf, n, off);
	if (r < 0) {
		o->io_err = (int)r;
		return (int)r;
	}
	return (size_t)r == n ? 0 : -ENODATA;
}

/* A file or page that cannot be read. FAILFAST: the query stops. Otherwise
 * (PERMISSIVE, DROPMALFORMED: Parquet has no malformed rows to keep, so
 * both drop) the rest of the part is skipped: its rows not read yet are
 * counted as malformed and a warning names the file and what is wrong; the
 * rows read before stay. A read that failed (o->io_err: the disk, the
 * network, S3) stops the query in every mode, as for the other formats. */
static int pq_bad(struct fthread *t, const struct fclaim *c, const struct fobj *o, uint64_t lost,
		  const char *what)
{
	struct sl_source *s = t->s;
	if (o->io_err != 0) {
		/* the object could not be read, which says nothing of its rows:
		 * stop, as the other formats do, rather than skip them */
		sl_ingest_fail(t->in,
			       "file source '%s': reading '%s' failed: %s; the query stops, as a file "
			       "is read whole: %s, then start the query again (it goes on from its "
			       "checkpoint)",
			       s->name, c->path, obj_error(o, o->io_err),
			       o->s3 != NULL ? "check the S3 endpoint and the object"
					     : "check the disk and the file");
		return o->io_err == -ENOMEM ? -ENOMEM : -EIO;
	}
	if (s->p.pq_mode == PQ_FAILFAST) {
		sl_ingest_fail(t->in,
			       "file source '%s': parquet file '%s': %s (mode FAILFAST stops the "
			       "query; with mode PERMISSIVE or DROPMALFORMED the rest of the file is "
			       "skipped and counted)",
			       s->name, c->path, what);
		return -EINVAL;
	}
	sl_ingest_log(t->in,
		      "warning: file source '%s': parquet file '%s': %s; skipping %s (%" PRIu64
		      " rows, counted as malformed)",
		      s->name, c->path, what, c->start == 0 && c->end >= c->size ? "the rest of the file"
										 : "the rest of this part of the file",
		      lost);
	t->st->malformed += lost;
	return 0;
}

/* format parquet: the row groups whose middle byte lies in the part
 * [start, end) (Spark's rule: every row group is read by exactly one part),
 * the source's columns decoded straight into the batch (its data columns
 * through the view when there are partition columns). */
static int take_parquet(struct fthread *t, const struct fclaim *c, struct fobj *o, uint64_t size,
			uint64_t end)
{
	struct sl_source *s = t->s;
	char err[512];
	struct sl_pq_file *f = sl_pq_open(pq_read_obj, o, size, err, sizeof(err));
	if (f == NULL) {
		if (errno == ENOMEM) {
			sl_ingest_fail(t->in, "file source '%s': out of memory reading '%s'", s->name,
				       c->path);
			return -ENOMEM;
		}
		/* every part finds it: the first says so */
		if (o->io_err == -ENOENT) {
			file_gone(t, c); /* gone before any of its rows was read */
			return 0;
		}
		return c->start == 0 || o->io_err != 0 ? pq_bad(t, c, o, 0, err) : 0;
	}
	const char *names[SL_BLOCK_MAX_COLS];
	enum sl_type types[SL_BLOCK_MAX_COLS];
	uint32_t n = s->npart > 0 ? s->ndata : s->ncols;
	const struct sl_column_def *defs = s->npart > 0 ? s->data_cols : s->cols;
	for (uint32_t k = 0; k < n && k < SL_BLOCK_MAX_COLS; k++) {
		uint32_t col = s->npart > 0 ? s->data_col[k] : k;
		/* a column the query never reads stays NULL, its chunks unread */
		bool unread = col < 64 && ((s->unread_cols >> col) & 1);
		names[k] = unread ? NULL : defs[k].name;
		types[k] = defs[k].type;
	}
	int rc = 0;
	if (n > SL_BLOCK_MAX_COLS ||
	    sl_pq_reader_bind(t->pq, f, names, types, n, err, sizeof(err)) < 0) {
		if (n > SL_BLOCK_MAX_COLS)
			snprintf(err, sizeof(err), "more than %d columns", SL_BLOCK_MAX_COLS);
		sl_ingest_fail(t->in,
			       "file source '%s': parquet file '%s': %s (the source's columns are "
			       "read by name, as Spark reads Parquet with a given schema)",
			       s->name, c->path, err);
		sl_pq_close(f);
		return -EINVAL;
	}
	/* the query's conjuncts on columns read from the file (a partition
	 * column's values are not in it) */
	struct sl_pq_pred preds[SL_SOURCE_MAX_FILTERS];
	uint32_t npreds = 0;
	for (uint32_t k = 0; k < s->nfilters; k++) {
		const struct sl_source_filter *sf = &s->filters[k];
		uint32_t at = sf->col;
		if (s->npart > 0) {
			for (at = 0; at < s->ndata && s->data_col[at] != sf->col; at++)
				;
		}
		if (at >= n)
			continue;
		preds[npreds] = (struct sl_pq_pred){.col = at, .op = sf->op, .lit = sf->lit};
		if (sl_type_is_bytes(sf->lit.type))
			preds[npreds].lit.v.str = (struct sl_str){sf->str, sf->len};
		npreds++;
	}
	struct sl_chunk *b = t->batch;
	struct sl_chunk *into = b;
	uint32_t ngroups = sl_pq_row_groups(f);
	for (uint32_t g = 0; g < ngroups && rc == 0; g++) {
		uint64_t mid = sl_pq_row_group_mid(f, g);
		if (mid < c->start || mid >= end)
			continue;
		if (npreds > 0 && sl_pq_reader_skips(t->pq, g, preds, npreds)) {
			/* no row of it passes the WHERE: not read, not malformed */
			atomic_fetch_add_explicit(&t->rg_skipped, 1, memory_order_relaxed);
			continue;
		}
		if (sl_ingest_should_stop(t->in)) {
			rc = -ECANCELED;
			break;
		}
		/* the row group's buffers replace the last one's: no row may
		 * point into them */
		if ((rc = release_lines(t)) < 0)
			break;
		if (sl_pq_reader_start(t->pq, g, err, sizeof(err)) < 0) {
			rc = pq_bad(t, c, o, sl_pq_row_group_rows(f, g), err);
			break;
		}
		uint64_t done = 0;
		for (;;) {
			if (sl_pq_reader_will_load(t->pq) && (rc = release_lines(t)) < 0)
				break;
			if (s->npart > 0) {
				for (uint32_t k = 0; k < s->ndata; k++)
					t->view_cols[k] = b->cols[s->data_col[k]];
				t->view = (struct sl_chunk){.ncols = s->ndata, .cols = t->view_cols};
				into = &t->view;
			}
			int got = sl_pq_reader_read(t->pq, into, b->nrows, SL_INGEST_BATCH_ROWS - b->nrows,
						    err, sizeof(err));
			if (got == 0)
				break;
			if (got < 0) {
				if (got == -ENOMEM) {
					sl_ingest_fail(t->in, "file source '%s': parquet file '%s': %s",
						       s->name, c->path, err);
					rc = -ENOMEM;
					break;
				}
				uint64_t lost = sl_pq_row_group_rows(f, g) - done;
				for (uint32_t h = g + 1; h < ngroups; h++) {
					uint64_t m = sl_pq_row_group_mid(f, h);
					if (m >= c->start && m < end)
						lost += sl_pq_row_group_rows(f, h);
				}
				rc = pq_bad(t, c, o, lost, err);
				if (rc == 0)
					rc = 1; /* the part ends here */
				break;
			}
			for (uint32_t r = 0; s->npart > 0 && r < (uint32_t)got; r++)
				put_parts(t, c, b->nrows + r);
			b->nrows += (uint32_t)got;
			done += (uint64_t)got;
			if (b->nrows == SL_INGEST_BATCH_ROWS && (rc = commit(t)) < 0)
				break;
		}
	}
	if (rc == 1)
		rc = 0;
	t->st->bytes += end - c->start;
	/* rows of the batch may point into the reader's pages: they stay
	 * valid until its next file (read_item pins them first) */
	sl_pq_close(f);
	return rc;
}

/* Read one work item into the batch. 0; -ECANCELED when the engine stops;
 * another -errno on a fatal error (reported). */
static int read_item(struct fthread *t, const struct fclaim *c)
{
	struct sl_source *s = t->s;
	int rc = release_lines(t); /* open() below reuses the line buffer */
	if (rc < 0)
		return rc;
	struct fobj o;
	uint64_t size, end;
	rc = obj_open(t, c, &o, &size, &end);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if (s->p.parquet) {
		rc = take_parquet(t, c, &o, size, end);
		obj_close(&o);
		return rc;
	}
	uint64_t bytes0 = sl_file_reader_bytes(t->reader);
	rc = sl_file_reader_open_input(t->reader, &o.in, size, c->start, end);
	if (rc == -ENOENT && o.s3 != NULL) {
		/* gone before any of its bytes was read */
		file_gone(t, c);
		return 0;
	}
	if (rc < 0) {
		/* the first line boundary of the part could not be read */
		sl_ingest_fail(t->in,
			       "file source '%s': reading '%s' failed at byte offset %" PRIu64 ": %s",
			       s->name, c->path, c->start, obj_error(&o, rc));
		obj_close(&o);
		return rc;
	}
	if (t->parser != NULL && c->start == 0)
		sl_recparse_begin(t->parser);
	for (;;) {
		/* errors below are reported where they happen */
		rc = t->parser != NULL ? take_parsed(t, c, &o.in) : take_text(t);
		if (rc < 0 || sl_file_reader_done(t->reader))
			break;
		if (sl_ingest_should_stop(t->in)) {
			rc = -ECANCELED;
			break;
		}
		if ((rc = release_lines(t)) < 0)
			break;
		rc = sl_file_reader_fill(t->reader);
		uint64_t bytes = sl_file_reader_bytes(t->reader);
		t->st->bytes += bytes - t->seen_bytes;
		t->seen_bytes = bytes;
		if (rc == -ENOENT && o.s3 != NULL && bytes == bytes0) {
			file_gone(t, c); /* gone before any of its bytes was read */
			rc = 0;
			break;
		}
		if (rc < 0) {
			sl_ingest_fail(t->in,
				       "file source '%s': reading '%s' failed at byte offset %" PRIu64
				       ": %s; the query stops, as a file is read whole: %s, then start "
				       "the query again (it goes on from its checkpoint)",
				       s->name, c->path, sl_file_reader_offset(t->reader),
				       obj_error(&o, rc),
				       o.s3 != NULL ? "check the S3 endpoint and the object"
						    : "check the disk and the file");
			break;
		}
		rc = 0;
	}
	count_malformed(t);
	obj_close(&o);
	return rc;
}

/* Wait for the engine or for work; 0, or -ECANCELED when it stops. */
static int wait_event(struct fthread *t, int timeout_ms)
{
	struct sl_source *s = t->s;
	struct pollfd pfd[3] = {
		{.fd = sl_ingest_wake_fd(t->in), .events = POLLIN},
		{.fd = t->work_fd, .events = POLLIN},
		{.fd = t->idx == 0 ? s->inotify_fd : -1, .events = POLLIN},
	};
	if (poll(pfd, 3, timeout_ms) > 0) {
		if (pfd[0].revents & POLLIN)
			sl_ingest_wake_ack(t->in);
		if (pfd[1].revents & POLLIN) {
			uint64_t v;
			ssize_t r = read(t->work_fd, &v, sizeof(v));
			(void)r;
		}
	}
	return sl_ingest_poll(t->in);
}

static int planner_timeout(const struct sl_source *s)
{
	if (s->clean_head < s->nclean)
		return CLEAN_POLL_MS; /* the engine need not wake sources when it commits */
	if (s->available_now)
		return FILE_WAIT_MS;
	uint64_t now = sl_source_now_ns();
	if (now >= s->next_list_ns)
		return 0;
	uint64_t ms = (s->next_list_ns - now) / 1000000 + 1;
	return ms < FILE_WAIT_MS ? (int)ms : FILE_WAIT_MS;
}

static int file_run(struct sl_source *s, struct sl_ingest *in, uint32_t idx)
{
	if (idx >= s->n_ingest)
		return 0;
	struct fthread *t = &s->thr[idx];
	t->in = in;
	t->batch = sl_ingest_batch(in);
	t->st = sl_ingest_stats(in);
	if (idx == 0 && s->inotify_fd < 0 && !s->available_now && s->inotify_errno != 0 && !s->p.s3)
		sl_ingest_log(in,
			      "warning: cannot watch directory '%s' for new files (inotify: %s); "
			      "listing it every %u ms instead",
			      s->dir, strerror(s->inotify_errno), SL_FILE_RELIST_MS);
	if (idx == 0 && !sl_file_reader_uses_uring(t->reader) && !s->p.s3)
		sl_ingest_log(in, "note: io_uring is not available; reading files with pread");
	int rc = 0;
	for (;;) {
		if (sl_ingest_should_stop(in))
			break;
		if (idx == 0) {
			int prc = plan_step(t);
			if (prc < 0) {
				rc = prc;
				break;
			}
			if (prc > 0)
				continue; /* a batch is DONE: plan the next at once */
		}
		say_done(t);
		struct fclaim c;
		if (claim(t, &c)) {
			t->unreported++;
			rc = read_item(t, &c);
			if (rc < 0)
				break;
			continue;
		}
		/* nothing to claim: hand over what was read, then wait */
		if ((rc = commit(t)) < 0)
			break;
		report(t);
		if (atomic_load(&s->finished))
			break;
		if (idx == 0) {
			/* the last report (maybe ours) may have completed the batch */
			pthread_mutex_lock(&s->mu);
			bool again = s->batch.nfiles > 0 && s->batch.done == s->batch.nitems &&
				     s->batch.next == s->batch.nitems && !s->batch.announced;
			pthread_mutex_unlock(&s->mu);
			if (again)
				continue;
		}
		if ((rc = wait_event(t, idx == 0 ? planner_timeout(s) : FILE_WAIT_MS)) < 0)
			break;
	}
	if (rc == -ECANCELED)
		rc = 0;
	if (rc == 0 && commit(t) == 0) /* on a stop too: what was read goes into the last epoch */
		report(t);
	if (idx == 0)
		notify_workers(s); /* finished or failing: let them see it */
	return rc;
}

/* ------------------------------------------------------------------ */
/* checkpoint and restore (control thread)                             */

static void free_taken(struct ftaken *v, uint32_t n)
{
	for (uint32_t i = 0; v != NULL && i < n; i++)
		free(v[i].key);
	free(v);
}

/* A copy of what epochs <= epoch handed over and no checkpoint logged yet,
 * and of the batch in flight when it put rows into them (a stop): *partial.
 * s->mu held. NULL on ENOMEM. */
static struct ftaken *copy_taken(struct sl_source *s, uint64_t epoch, uint32_t *n, bool *partial)
{
	uint32_t k = 0;
	while (k < s->ntaken && s->taken[k].epoch <= epoch)
		k++;
	const struct fbatch *b = &s->batch;
	*partial = b->nfiles > 0 && !b->announced && atomic_load(&b->had_rows) &&
		   atomic_load(&b->last_epoch) <= epoch;
	uint32_t m = k + (*partial ? b->nfiles : 0);
	struct ftaken *v = calloc(m ? m : 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (uint32_t i = 0; i < m; i++) {
		if (i < k) {
			v[i] = s->taken[i];
		} else {
			const struct ffile *f = &b->files[i - k];
			v[i] = (struct ftaken){
				.key = f->key, .size = f->size, .batch = b->id, .epoch = epoch,
				.mtime_ms = b->mode == CK_MODE_LOG ? 0 : ns_to_ms(f->mtime_ns),
				.lbatch = f->lbatch, .lk = f->lk, .mode = b->mode};
		}
		/* keys copied: the planner may drop its notes meanwhile */
		v[i].key = strdup(v[i].key);
		if (v[i].key == NULL) {
			free_taken(v, i);
			return NULL;
		}
	}
	*n = m;
	return v;
}

/* The whole log a restart needs: the durable seen map (plain mode), and
 * the files this checkpoint logs (so that a replay of this epoch finds
 * them, in log mode too, where the offset alone says where to go on). */
static int write_compact(struct sl_source *s, struct sl_strbuf *log, const struct ftaken *now,
			 uint32_t n)
{
	const struct fmap *m = &s->ck_seen->m;
	uint64_t count = m->n;
	for (uint32_t i = 0; i < n; i++)
		count += now[i].mode != CK_MODE_PLAIN ||
			 fmap_find(m, seen_key(s->ck_seen, now[i].key)) == NULL;
	int rc = put_log_head(s, log, 'c', count);
	for (size_t i = 0; rc == 0 && i < m->cap; i++) {
		const struct fmap_slot *sl = &m->v[i];
		if (!slot_live(sl))
			continue;
		struct ftaken f = {.key = sl->key, .mtime_ms = sl->t, .size = sl->size,
				   .batch = sl->aux};
		rc = put_ck_file(log, &f);
	}
	for (uint32_t i = 0; rc == 0 && i < n; i++)
		if (now[i].mode != CK_MODE_PLAIN ||
		    fmap_find(m, seen_key(s->ck_seen, now[i].key)) == NULL)
			rc = put_ck_file(log, &now[i]); /* purged at once: too old to count */
	return rc;
}

static int file_checkpoint(struct sl_source *s, uint64_t epoch, const uint64_t *core_pos,
			   uint32_t ncores, bool compact, struct sl_strbuf *offset,
			   struct sl_strbuf *log, char *err, size_t errlen)
{
	(void)core_pos; /* the source knows its batches' epochs itself */
	(void)ncores;
	uint32_t n = 0;
	bool partial = false;
	pthread_mutex_lock(&s->mu);
	struct ftaken *now = copy_taken(s, epoch, &n, &partial);
	uint64_t partial_id = s->batch.id;
	pthread_mutex_unlock(&s->mu);
	if (now == NULL)
		goto err_nomem;
	/* the durable view moves on by what this epoch handed over */
	bool plain = false;
	for (uint32_t i = 0; i < n; i++) {
		const struct ftaken *f = &now[i];
		if (f->mode == CK_MODE_PLAIN) {
			if (seen_put(s->ck_seen, f->key, f->mtime_ms, f->size, f->batch) < 0)
				goto err_free;
			plain = true;
		}
		if (f->batch + 1 > s->ck_batches)
			s->ck_batches = f->batch + 1;
		s->ck_mode = f->mode;
		if (f->mode == CK_MODE_LOG) {
			s->ck_lbatch = f->lbatch;
			s->ck_lk = f->lk;
		}
	}
	if (plain)
		sl_file_seen_purge(s->ck_seen);
	int rc = 0;
	if (compact) {
		rc = write_compact(s, log, now, n);
	} else if (n > 0) {
		rc = put_log_head(s, log, 'e', n);
		for (uint32_t i = 0; rc == 0 && i < n; i++)
			rc = put_ck_file(log, &now[i]);
	}
	if (rc == 0)
		rc = write_offset(s, offset, s->ck_mode, s->ck_batches, s->ck_lbatch, s->ck_lk);
	if (rc < 0)
		goto err_free;
	free_taken(now, n);
	/* logged: drop the notes (none of a later epoch can come before them) */
	pthread_mutex_lock(&s->mu);
	uint32_t k = 0;
	while (k < s->ntaken && s->taken[k].epoch <= epoch)
		free(s->taken[k++].key);
	if (k > 0) {
		memmove(s->taken, s->taken + k, (s->ntaken - k) * sizeof(*s->taken));
		s->ntaken -= k;
	}
	pthread_mutex_unlock(&s->mu);
	if (partial) {
		snprintf(err, errlen,
			 "file source '%s': epoch %" PRIu64 " holds only part of file batch %" PRIu64
			 " (the query stopped while reading it), so it must not be committed; a "
			 "restart reads the whole batch again",
			 s->name, epoch, partial_id);
		return -EAGAIN;
	}
	return 0;
err_free:
	free_taken(now, n);
err_nomem:
	snprintf(err, errlen, "file source '%s': out of memory writing its checkpoint", s->name);
	return -ENOMEM;
}

/* How the checkpoint read the directory; the source reads it so too. */
static int adopt_mode(struct sl_source *s, uint8_t mode, char *err, size_t errlen)
{
	if (mode == CK_MODE_PLAIN && s->log_state == LOG_YES)
		CK_REFUSE("read '%s' as a plain directory, but it now has a sink's commit log "
			  "(" SL_COMMIT_LOG_DIR "/), which decides its files",
			  s->dir);
	if (mode == CK_MODE_PLAIN)
		s->log_state = LOG_NO;
	if (mode == CK_MODE_LOG && s->log_state != LOG_YES)
		CK_REFUSE("read '%s' through a sink's commit log, which is gone (no " SL_COMMIT_LOG_DIR
			  "/ there now)",
			  s->dir);
	return 0;
}

struct restore_ctx {
	bool plain;          /* restore the seen maps */
	uint64_t from_batch; /* replay: files of batches from this one */
	uint64_t max_batch;
	uint32_t cap;
};

static int restore_file(struct sl_source *s, void *arg, const struct ck_file *f)
{
	const struct restore_ctx *c = arg;
	if (!c->plain)
		return 0; /* log mode: the offset says where to go on */
	int rc = sl_file_seen_add(s->seen, f->key, f->mtime_ms);
	return rc < 0 ? rc : seen_put(s->ck_seen, f->key, f->mtime_ms, f->size, f->batch);
}

static int replay_file(struct sl_source *s, void *arg, const struct ck_file *f)
{
	struct restore_ctx *c = arg;
	if (f->batch < c->from_batch)
		return 0; /* committed (a compact entry holds those too) */
	if (s->nreplay == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 16;
		struct freplay *v = realloc(s->replay, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		s->replay = v;
		c->cap = cap;
	}
	char *key = strdup(f->key);
	if (key == NULL)
		return -ENOMEM;
	s->replay[s->nreplay++] = (struct freplay){.key = key, .mtime_ms = f->mtime_ms,
						   .size = f->size};
	if (f->batch > c->max_batch)
		c->max_batch = f->batch;
	return 0;
}

static int file_restore(struct sl_source *s, const struct sl_source_restore *r, char *err,
			size_t errlen)
{
	struct ck_offset o = {0};
	int rc;
	if (r->offset.len > 0) {
		if ((rc = parse_offset(s, &r->offset, "offset", &o, err, errlen)) < 0 ||
		    (rc = adopt_mode(s, o.mode, err, errlen)) < 0)
			return rc;
	} else if (r->nlogs > 0) {
		CK_REFUSE("has %u log entr%s but no offset", r->nlogs, r->nlogs == 1 ? "y" : "ies");
	}
	/* the seen map: every file a committed epoch took; an entry that is
	 * compact replaces what came before it */
	struct restore_ctx c = {.plain = o.mode == CK_MODE_PLAIN};
	for (uint32_t i = 0; i < r->nlogs; i++) {
		const struct sl_blob *b = &r->logs[i];
		if (i > 0 && b->len > 1 && ((const uint8_t *)b->p)[1] == 'c') {
			sl_file_seen_destroy(s->seen);
			sl_file_seen_destroy(s->ck_seen);
			s->seen = sl_file_seen_create(s->p.max_age_ms, s->p.name_only);
			s->ck_seen = sl_file_seen_create(s->p.max_age_ms, s->p.name_only);
			if (s->seen == NULL || s->ck_seen == NULL)
				goto err_nomem;
		}
		bool compact;
		if ((rc = parse_log(s, b, "log entry", i, &compact, restore_file, &c, err,
				    errlen)) < 0)
			return rc;
	}
	if (c.plain) {
		/* Spark's SeenFilesMap after its restart: files older than the
		 * newest taken minus max_file_age are not new anyway */
		sl_file_seen_purge(s->seen);
		sl_file_seen_purge(s->ck_seen);
		for (size_t i = 0; i < s->cands.cap; i++) {
			struct fmap_slot *sl = &s->cands.v[i];
			if (slot_live(sl) &&
			    !sl_file_seen_is_new(s->seen, identity(s, sl->key), ns_to_ms(sl->t)))
				fmap_del(&s->cands, sl);
		}
	}
	s->batch.id = s->ck_batches = o.batches;
	s->ck_mode = o.mode;
	s->ck_lbatch = s->lpos_batch = o.lbatch;
	s->ck_lk = s->lpos_k = o.lk;
	if (o.mode == CK_MODE_LOG) {
		if ((o.lbatch > 0 || o.lk > 0) && !log_exists(s))
			CK_REFUSE("read the commit log of '%s' up to its batch %" PRIu64
				  ", but there is no " SL_COMMIT_LOG_DIR "/ there now",
				  s->dir, o.lbatch);
		/* read the sink's log again from where the checkpoint left it */
		fmap_free(&s->cands);
		s->log_seq = 0;
		s->log_next = s->skip_batch = o.lbatch;
		s->skip_files = o.lk;
		if ((rc = poll_log(s, err, errlen)) < 0)
			return rc;
	}
	if (r->replay.p == NULL)
		return 0;
	/* the epoch after it ran, uncommitted: its files are the first batch */
	struct ck_offset ro;
	if (r->replay.len > 0 && ((rc = parse_offset(s, &r->replay, "replayed offset", &ro, err,
						      errlen)) < 0 ||
				  (rc = adopt_mode(s, ro.mode, err, errlen)) < 0))
		return rc;
	if (r->replay_log.len == 0)
		return 0;
	struct restore_ctx rc_ = {.from_batch = o.batches, .max_batch = o.batches};
	bool compact;
	if ((rc = parse_log(s, &r->replay_log, "replayed log entry", 0, &compact, replay_file, &rc_,
			    err, errlen)) < 0)
		return rc;
	if (s->nreplay > 0) {
		s->replay_due = true;
		s->batch.id = rc_.max_batch;
	}
	return 0;
err_nomem:
	snprintf(err, errlen, "source '%s': out of memory restoring its checkpoint", s->name);
	return -ENOMEM;
}

/* Counters beyond struct sl_source_stats: format parquet's row groups
 * skipped by their statistics (stat source.NAME.row_groups_skipped). */
static void file_counters(struct sl_source *s, void (*emit)(void *arg, const char *name,
							    uint64_t v),
			  void *arg)
{
	if (!s->p.parquet)
		return;
	uint64_t skipped = 0;
	for (uint32_t i = 0; s->thr != NULL && i < s->n_ingest; i++)
		skipped += atomic_load_explicit(&s->thr[i].rg_skipped, memory_order_relaxed);
	emit(arg, "row_groups_skipped", skipped);
}

const struct sl_source_ops sl_source_file_ops = {
	.name = "file",
	.validate = file_validate,
	.open = file_open,
	.run = file_run,
	.close = file_close,
	.paces_epochs = true,
	.marks_epoch_parts = true,
	.plans_at_triggers = true,
	.checkpoint = file_checkpoint,
	.restore = file_restore,
	.counters = file_counters,
};

/* A table (Spark's readStream.table): the file source in log mode, its
 * format and columns the table's. */
const struct sl_source_ops sl_source_table_ops = {
	.name = "table",
	.validate = table_validate,
	.open = table_open,
	.run = file_run,
	.close = file_close,
	.paces_epochs = true,
	.marks_epoch_parts = true,
	.plans_at_triggers = true,
	.schema_of = sl_table_schema_of,
	.checkpoint = file_checkpoint,
	.restore = file_restore,
	.counters = file_counters,
};
