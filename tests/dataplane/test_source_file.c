/*
 * test_source_file.c — the file source: its pure parts (hidden names,
 * globs, max_file_age strings, the order files are taken in, the per-batch
 * limits, Spark's seen-files map and its age purge, how a file is cut into
 * parts, the part reader's line-boundary rule), option validation (every
 * message names the line and column, and says what to do), open()'s
 * refusals, and run() against a mocked engine: which files make which
 * epoch, on one core and on two.
 *
 * The engine's side of source.h (sl_ingest_*) is mocked: every core records
 * each committed row under the epoch it is filling; a mock control thread
 * cuts epoch E once rows arrived in it and every core has said E done
 * (sl_ingest_epoch_done, as the real engine does for marks_epoch_parts
 * sources), waits until every core has noticed the cut, then marks E
 * settled, and committed with it (an engine without a checkpoint); with
 * held_commits the test commits, after calling checkpoint() itself.
 *
 * A directory a sink wrote is read through its commit log: only committed
 * files, in log order, never a staged one or a stray; the source switches
 * to the log when a sink starts writing an empty directory it watches; the
 * table connector reads a table's commits and checks its columns.
 *
 * Checkpoints: checkpoint() and restore() called as the engine calls them
 * (the mock holds `committed` back, as an engine with a checkpoint does,
 * and the test commits): a restored source takes no file a committed
 * epoch took, a new one it does, from the log entries or from a compact
 * one alone; an uncommitted epoch is replayed with its own files first;
 * log mode resumes inside a sink's log batch; a checkpoint of another
 * source is refused; clean_source waits for the commit.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "commit_log.h"
#include "format.h"
#include "ingest.h"
#include "sink_file.h"
#include "source.h"
#include "spec_fixture.h"
#include "source_file.h"

extern const struct sl_source_ops sl_source_file_ops;
extern const struct sl_source_ops sl_source_table_ops;

#define MAX_CORES 4
#define MAX_ROWS 2000000

/* ------------------------------------------------------------------ */
/* mock engine and ingest cores                                        */

struct mock_engine;

struct sl_ingest {
	uint32_t idx;
	struct mock_engine *eng;
	struct sl_chunk batch;
	struct sl_vec col;
	struct sl_str strs[SL_INGEST_BATCH_ROWS];
	uint8_t nulls[SL_INGEST_BATCH_ROWS];
	struct sl_source_stats stats;
	int wake_fd;
	atomic_bool stop;
	_Atomic uint64_t epoch;        /* the epoch being filled */
	_Atomic uint64_t done_through; /* sl_ingest_epoch_done: epoch + 1 */
	_Atomic uint64_t trigger_acked; /* sl_ingest_trigger_ack */
	atomic_bool drained;
	char fail[1024];
	bool failed;
};

struct mock_row {
	uint64_t epoch;
	char *text;
};

struct mock_engine {
	uint32_t ncores;
	struct sl_ingest core[MAX_CORES];
	_Atomic uint64_t cut;     /* epochs below are cut */
	_Atomic uint64_t settled; /* epochs below are written */
	_Atomic uint64_t committed; /* epochs below are durable (= settled but with held_commits) */
	atomic_bool held_commits; /* a checkpointing engine: the test commits (commit_through) */
	_Atomic uint64_t trigger_ns; /* the last processing-time trigger */
	atomic_bool paused;       /* do not cut */
	atomic_bool quit;
	pthread_mutex_t mu;       /* guards rows, log */
	struct mock_row *rows;
	size_t nrows;
	uint64_t rows_in[64];     /* rows per epoch */
	char log[8192];
	size_t loglen;
	pthread_t tid;
};

int sl_ingest_poll(struct sl_ingest *in)
{
	if (atomic_load(&in->stop))
		return -ECANCELED;
	uint64_t cut = atomic_load(&in->eng->cut);
	if (cut > atomic_load(&in->epoch))
		atomic_store(&in->epoch, cut);
	return 0;
}

int sl_ingest_commit(struct sl_ingest *in)
{
	struct mock_engine *e = in->eng;
	uint64_t ep = atomic_load(&in->epoch);
	pthread_mutex_lock(&e->mu);
	for (uint32_t r = 0; r < in->batch.nrows; r++) {
		cr_assert(e->nrows < MAX_ROWS);
		const struct sl_str *v = &in->col.v.str[r];
		char *t = in->col.nulls[r] ? strdup("NULL") : strndup(v->ptr, v->len);
		cr_assert(t != NULL);
		e->rows[e->nrows++] = (struct mock_row){.epoch = ep, .text = t};
		if (ep < 64)
			e->rows_in[ep]++;
	}
	pthread_mutex_unlock(&e->mu);
	in->batch.nrows = 0;
	return sl_ingest_poll(in);
}

uint64_t sl_ingest_epoch(const struct sl_ingest *in)
{
	return atomic_load(&in->epoch);
}

void sl_ingest_epoch_done(struct sl_ingest *in, uint64_t epoch)
{
	atomic_store(&in->done_through, epoch + 1);
}

uint64_t sl_ingest_settled(const struct sl_ingest *in)
{
	return atomic_load(&in->eng->settled);
}

uint64_t sl_ingest_committed(const struct sl_ingest *in)
{
	return atomic_load(&in->eng->committed);
}

uint64_t sl_ingest_trigger_ns(const struct sl_ingest *in)
{
	return atomic_load(&in->eng->trigger_ns);
}

void sl_ingest_trigger_ack(struct sl_ingest *in, uint64_t trigger_ns)
{
	atomic_store(&in->trigger_acked, trigger_ns);
}

#include "mock_ingest.h"

void sl_ingest_log(struct sl_ingest *in, const char *fmt, ...)
{
	struct mock_engine *e = in->eng;
	pthread_mutex_lock(&e->mu);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->log + e->loglen, sizeof(e->log) - e->loglen, fmt, ap);
	va_end(ap);
	if (n > 0 && e->loglen + (size_t)n + 1 < sizeof(e->log)) {
		e->loglen += (size_t)n;
		e->log[e->loglen++] = '\n';
		e->log[e->loglen] = '\0';
	}
	pthread_mutex_unlock(&e->mu);
}

static void wake(struct sl_ingest *in)
{
	uint64_t one = 1;
	ssize_t r = write(in->wake_fd, &one, sizeof(one));
	(void)r;
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* The mock control thread: cut E once rows came in E and every core said
 * it done (or finished); once every core noticed, E is settled. */
static void *engine_thread(void *arg)
{
	struct mock_engine *e = arg;
	while (!atomic_load(&e->quit)) {
		uint64_t E = atomic_load(&e->cut);
		bool ready = !atomic_load(&e->paused);
		for (uint32_t i = 0; ready && i < e->ncores; i++)
			ready = atomic_load(&e->core[i].drained) ||
				atomic_load(&e->core[i].done_through) > E;
		pthread_mutex_lock(&e->mu);
		bool fresh = E < 64 && e->rows_in[E] > 0;
		pthread_mutex_unlock(&e->mu);
		if (!ready || !fresh) {
			nap_ms(1);
			continue;
		}
		atomic_store(&e->cut, E + 1);
		for (uint32_t i = 0; i < e->ncores; i++)
			wake(&e->core[i]);
		for (;;) {
			bool all = true;
			for (uint32_t i = 0; all && i < e->ncores; i++)
				all = atomic_load(&e->core[i].drained) ||
				      atomic_load(&e->core[i].epoch) > E;
			if (all || atomic_load(&e->quit))
				break;
			nap_ms(1);
		}
		if (!atomic_load(&e->held_commits))
			atomic_store(&e->committed, E + 1); /* no checkpoint: committed = settled */
		atomic_store(&e->settled, E + 1);
		for (uint32_t i = 0; i < e->ncores; i++)
			wake(&e->core[i]);
	}
	return NULL;
}

static void engine_init(struct mock_engine *e, uint32_t ncores)
{
	memset(e, 0, sizeof(*e));
	e->ncores = ncores;
	pthread_mutex_init(&e->mu, NULL);
	e->rows = calloc(MAX_ROWS, sizeof(*e->rows));
	cr_assert(e->rows != NULL);
	for (uint32_t i = 0; i < ncores; i++) {
		struct sl_ingest *in = &e->core[i];
		in->idx = i;
		in->eng = e;
		in->col.type = SL_TYPE_STRING;
		in->col.v.str = in->strs;
		in->col.nulls = in->nulls;
		in->batch.ncols = 1;
		in->batch.cols = &in->col;
		in->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		cr_assert(in->wake_fd >= 0);
	}
	cr_assert_eq(pthread_create(&e->tid, NULL, engine_thread, e), 0);
}

static void engine_fini(struct mock_engine *e)
{
	atomic_store(&e->quit, true);
	pthread_join(e->tid, NULL);
	for (uint32_t i = 0; i < e->ncores; i++)
		close(e->core[i].wake_fd);
	for (size_t i = 0; i < e->nrows; i++)
		free(e->rows[i].text);
	free(e->rows);
	pthread_mutex_destroy(&e->mu);
}

/* The rows of epoch E, sorted, joined with ' ' (ordering inside an epoch
 * across cores is free). */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *epoch_rows(struct mock_engine *e, uint64_t E)
{
	pthread_mutex_lock(&e->mu);
	char **v = calloc(e->nrows + 1, sizeof(*v));
	size_t n = 0, len = 1;
	for (size_t i = 0; i < e->nrows; i++)
		if (e->rows[i].epoch == E) {
			v[n++] = e->rows[i].text;
			len += strlen(e->rows[i].text) + 1;
		}
	pthread_mutex_unlock(&e->mu);
	qsort(v, n, sizeof(*v), cmp_str);
	char *out = calloc(len, 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, v[i]);
	}
	free(v);
	return out;
}

static void expect_epoch(struct mock_engine *e, uint64_t E, const char *want)
{
	char *got = epoch_rows(e, E);
	cr_expect_str_eq(got, want, "epoch %" PRIu64 ": got '%s', want '%s'", E, got, want);
	free(got);
}

/* ------------------------------------------------------------------ */
/* specs, files                                                        */

/* The file source's spec "s"; cols NULL: value STRING. */
static void make_spec(struct spec_buf *b, const char *cols, const char *const *kv)
{
	spec_fill(b, "s", "file", cols != NULL ? cols : "value STRING", kv);
}

static void make_dir(char dir[64])
{
	snprintf(dir, 64, "/tmp/sl-test-file.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_tree(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* dir/name holding text, modified at `t` seconds after 2024-01-01. */
static void put_file(const char *dir, const char *name, const char *text, long t)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	struct timespec ts[2] = {{1704067200 + t, 0}, {1704067200 + t, 0}};
	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* ------------------------------------------------------------------ */
/* names, ages, order, limits                                          */

Test(source_file, hidden_names_as_spark_lists_them)
{
	cr_expect(sl_file_name_hidden(".x.csv"));
	cr_expect(sl_file_name_hidden("_SUCCESS"));
	cr_expect(sl_file_name_hidden("_temporary"));
	cr_expect(sl_file_name_hidden("part-0.csv._COPYING_"));
	cr_expect_not(sl_file_name_hidden("a.csv"));
	cr_expect_not(sl_file_name_hidden("a_b.csv"));
	cr_expect_not(sl_file_name_hidden("a.csv.tmp"));
}

Test(source_file, wanted_names_and_globs)
{
	cr_expect(sl_file_name_wanted(NULL, "a.txt"));
	cr_expect_not(sl_file_name_wanted(NULL, ".a.txt"));
	cr_expect(sl_file_name_wanted("*.csv", "sales-1.csv"));
	cr_expect_not(sl_file_name_wanted("*.csv", "sales-1.json"));
	cr_expect_not(sl_file_name_wanted("*.csv", "_x.csv"), "hidden even when it matches");
	cr_expect(sl_file_name_wanted("part-[0-9]?.txt", "part-07.txt"));
	cr_expect_not(sl_file_name_wanted("part-[0-9]?.txt", "part-x7.txt"));
}

Test(source_file, max_file_age_strings)
{
	static const struct {
		const char *s;
		uint64_t ms;
	} ok[] = {
		{"7d", 7ULL * 86400000}, {"12h", 43200000}, {"30m", 1800000}, {"30min", 1800000},
		{"10s", 10000},          {"500ms", 500},    {"1500us", 1},    {"250", 250},
		{"2 hours", 7200000},    {"1 week", 604800000}, {"10 seconds", 10000},
		{"interval 1 day", 86400000},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t ms = 0;
		cr_expect_eq(sl_file_parse_age(ok[i].s, &ms), 0, "'%s'", ok[i].s);
		cr_expect_eq(ms, ok[i].ms, "'%s': %" PRIu64, ok[i].s, ms);
	}
	const char *bad[] = {"", "soon", "-1d", "7 fortnights", "d7"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t ms;
		cr_expect_eq(sl_file_parse_age(bad[i], &ms), -EINVAL, "'%s'", bad[i]);
	}
}

Test(source_file, order_oldest_first_then_by_name)
{
	struct sl_file_cand v[] = {
		{"c", 1, 30}, {"b", 1, 10}, {"a", 1, 20}, {"d", 1, 10},
	};
	sl_file_sort(v, 4, false);
	cr_expect_str_eq(v[0].name, "b");
	cr_expect_str_eq(v[1].name, "d");
	cr_expect_str_eq(v[2].name, "a");
	cr_expect_str_eq(v[3].name, "c");
	sl_file_sort(v, 4, true);
	cr_expect_str_eq(v[0].name, "c");
	cr_expect_str_eq(v[1].name, "a");
	cr_expect_str_eq(v[2].name, "b");
	cr_expect_str_eq(v[3].name, "d");
}

Test(source_file, take_max_files)
{
	struct sl_file_cand v[5] = {{"a", 10, 1}, {"b", 10, 2}, {"c", 10, 3}, {"d", 10, 4}, {"e", 10, 5}};
	bool full;
	cr_expect_eq(sl_file_take(v, 5, 0, 0, 2, 0, &full), 2);
	cr_expect(full);
	cr_expect_eq(sl_file_take(v, 5, 0, 0, 0, 0, &full), 5, "no limit: everything");
	cr_expect_not(full);
	cr_expect_eq(sl_file_take(v, 1, 0, 0, 2, 0, &full), 1);
	cr_expect_not(full);
	cr_expect_eq(sl_file_take(v, 5, 1, 10, 2, 0, &full), 1, "a batch that holds one already");
	cr_expect(full);
}

Test(source_file, take_max_bytes_first_file_always)
{
	struct sl_file_cand v[4] = {{"a", 60, 1}, {"b", 40, 2}, {"c", 1, 3}, {"d", 1, 4}};
	bool full;
	cr_expect_eq(sl_file_take(v, 4, 0, 0, 0, 100, &full), 2, "60 + 40 = 100 fits");
	cr_expect(full);
	cr_expect_eq(sl_file_take(v, 4, 0, 0, 0, 50, &full), 1, "the first file even if larger");
	cr_expect(full);
	/* Spark's takeFilesUntilMax stops at the first file that does not
	 * fit: c and d would fit, but come after b */
	struct sl_file_cand w[3] = {{"a", 60, 1}, {"b", 50, 2}, {"c", 1, 3}};
	cr_expect_eq(sl_file_take(w, 3, 0, 0, 0, 100, &full), 1);
	cr_expect(full);
}

/* Spark's FileStreamOptions example: latest file 1000, max age 200: files
 * older than 800 are no longer new. Before any purge every file is new
 * ("for the first batch all files will be considered valid"). */
Test(source_file, seen_files_age_purge)
{
	struct sl_file_seen *s = sl_file_seen_create(200, false);
	cr_assert_not_null(s);
	cr_expect(sl_file_seen_is_new(s, "/d/old", 1));
	cr_expect_eq(sl_file_seen_add(s, "/d/a", 700), 0);
	cr_expect_eq(sl_file_seen_add(s, "/d/b", 1000), 0);
	cr_expect_not(sl_file_seen_is_new(s, "/d/a", 700), "taken");
	cr_expect(sl_file_seen_is_new(s, "/d/old", 1), "no purge yet");
	cr_expect_eq(sl_file_seen_purge(s), 1, "a (700) is older than 1000 - 200");
	cr_expect_eq(sl_file_seen_size(s), 1);
	cr_expect_not(sl_file_seen_is_new(s, "/d/old", 1));
	cr_expect_not(sl_file_seen_is_new(s, "/d/a", 700), "older than 800: never new again");
	cr_expect(sl_file_seen_is_new(s, "/d/c", 800));
	cr_expect(sl_file_seen_is_new(s, "/d/b2", 1000));
	cr_expect_not(sl_file_seen_is_new(s, "/d/b", 1000));
	sl_file_seen_destroy(s);

	s = sl_file_seen_create(UINT64_MAX, false); /* latest_first with a limit */
	cr_expect_eq(sl_file_seen_add(s, "/d/b", 1000000), 0);
	cr_expect_eq(sl_file_seen_purge(s), 0);
	cr_expect(sl_file_seen_is_new(s, "/d/ancient", 0));
	sl_file_seen_destroy(s);
}

Test(source_file, seen_files_by_name_only)
{
	struct sl_file_seen *s = sl_file_seen_create(SL_FILE_DEFAULT_MAX_AGE_MS, true);
	cr_expect_eq(sl_file_seen_add(s, "/in/a/dataset.txt", 5), 0);
	cr_expect_not(sl_file_seen_is_new(s, "/in/b/dataset.txt", 6));
	cr_expect(sl_file_seen_is_new(s, "/in/a/other.txt", 6));
	sl_file_seen_destroy(s);
	s = sl_file_seen_create(SL_FILE_DEFAULT_MAX_AGE_MS, false);
	cr_expect_eq(sl_file_seen_add(s, "/in/a/dataset.txt", 5), 0);
	cr_expect(sl_file_seen_is_new(s, "/in/b/dataset.txt", 6));
	sl_file_seen_destroy(s);
}

Test(source_file, seen_files_many)
{
	struct sl_file_seen *s = sl_file_seen_create(1000, false);
	char p[64];
	for (int i = 0; i < 5000; i++) {
		snprintf(p, sizeof(p), "/d/f%d", i);
		cr_assert_eq(sl_file_seen_add(s, p, i), 0);
	}
	cr_expect_eq(sl_file_seen_size(s), 5000);
	cr_expect_eq(sl_file_seen_purge(s), 3999, "older than 4999 - 1000");
	for (int i = 3999; i < 5000; i++) {
		snprintf(p, sizeof(p), "/d/f%d", i);
		cr_expect_not(sl_file_seen_is_new(s, p, i));
	}
	sl_file_seen_destroy(s);
}

Test(source_file, split_counts_and_parts)
{
	const uint64_t M = SL_FILE_SPLIT_MIN;
	cr_expect_eq(sl_file_split_count(100 * M, 1, M), 1, "one core: never split");
	cr_expect_eq(sl_file_split_count(2 * M - 1, 4, M), 1, "parts would be under the minimum");
	cr_expect_eq(sl_file_split_count(2 * M, 4, M), 2);
	cr_expect_eq(sl_file_split_count(3 * M + 5, 4, M), 3);
	cr_expect_eq(sl_file_split_count(100 * M, 4, M), 4, "at most one part per core");
	uint64_t prev = 0;
	for (uint32_t i = 0; i < 3; i++) {
		uint64_t s, e;
		sl_file_split_part(1000, 3, i, &s, &e);
		cr_expect_eq(s, prev);
		cr_expect(e > s);
		prev = e;
	}
	cr_expect_eq(prev, 1000);
}

/* ------------------------------------------------------------------ */
/* the part reader                                                     */

static int temp_file(const char *text, size_t n, char path[64])
{
	snprintf(path, 64, "/tmp/sl-test-file-r.XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	return fd;
}

/* Read part [start, end) of fd; the lines appended to out as "line\n". */
static void read_part(struct sl_file_reader *r, int fd, uint64_t size, uint64_t start,
		      uint64_t end, char *out, size_t cap)
{
	struct sl_str lines[7]; /* small bursts: more calls, more edges */
	cr_assert_eq(sl_file_reader_open(r, fd, size, start, end), 0);
	for (;;) {
		uint32_t k = sl_file_reader_lines(r, lines, 7);
		if (k > 0) {
			for (uint32_t i = 0; i < k; i++) {
				size_t used = strlen(out);
				cr_assert(used + lines[i].len + 2 < cap);
				memcpy(out + used, lines[i].ptr, lines[i].len);
				out[used + lines[i].len] = '\n';
				out[used + lines[i].len + 1] = '\0';
			}
			continue;
		}
		if (sl_file_reader_done(r))
			break;
		cr_assert(sl_file_reader_fill(r) >= 0);
	}
}

/* The lines of text as the splitter gives them: "\r\n" and a last line
 * without '\n' normalised. */
static void expected_lines(const char *text, char *out)
{
	out[0] = '\0';
	const char *p = text;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		size_t l = len;
		if (nl != NULL && l > 0 && p[l - 1] == '\r')
			l--;
		strncat(out, p, l);
		strcat(out, "\n");
		p += len + (nl != NULL);
	}
}

static const char *tricky =
	"first\n"
	"\n"
	"\n"
	"third with \r\n"
	"a somewhat longer line that crosses several cut points of the file\n"
	"x\n"
	"\n"
	"yy\r\n"
	"last without newline";

/* Every way of cutting the file in two and three parts reads every line
 * exactly once, in order (the Hadoop LineRecordReader rule). Only the
 * first part starts at 0 (parts are never empty at the front). */
static void every_cut_reads_each_line_once(bool uring)
{
	char path[64];
	size_t n = strlen(tricky);
	int fd = temp_file(tricky, n, path);
	struct sl_file_reader *r = sl_file_reader_create(1024, uring);
	cr_assert_not_null(r);
	char want[1024], got[1024];
	expected_lines(tricky, want);
	got[0] = '\0';
	read_part(r, fd, n, 0, n, got, sizeof(got));
	cr_expect_str_eq(got, want, "whole file");
	for (uint64_t a = 1; a <= n; a++) {
		got[0] = '\0';
		read_part(r, fd, n, 0, a, got, sizeof(got));
		read_part(r, fd, n, a, n, got, sizeof(got));
		cr_expect_str_eq(got, want, "cut at %" PRIu64, a);
		for (uint64_t b = a; b <= n; b += 3) {
			got[0] = '\0';
			read_part(r, fd, n, 0, a, got, sizeof(got));
			read_part(r, fd, n, a, b, got, sizeof(got));
			read_part(r, fd, n, b, n, got, sizeof(got));
			cr_expect_str_eq(got, want, "cuts at %" PRIu64 ", %" PRIu64, a, b);
		}
	}
	sl_file_reader_destroy(r);
	close(fd);
	unlink(path);
}

Test(source_file, parts_read_every_line_once_uring)
{
	every_cut_reads_each_line_once(true);
}

Test(source_file, parts_read_every_line_once_pread)
{
	every_cut_reads_each_line_once(false);
}

/* The rule by hand: a part reads the lines that begin in (start, end]. */
Test(source_file, part_boundaries_by_hand)
{
	const char *text = "aa\nbb\ncc\n"; /* lines begin at 0, 3, 6 */
	char path[64];
	int fd = temp_file(text, 9, path);
	struct sl_file_reader *r = sl_file_reader_create(64, true);
	char got[64];
	static const struct {
		uint64_t s, e;
		const char *want;
	} cases[] = {
		{0, 0, "aa\n"},     {0, 2, "aa\n"},    {0, 3, "aa\nbb\n"}, {1, 3, "bb\n"},
		{2, 3, "bb\n"},     {3, 3, ""},        {3, 4, ""},     {3, 6, "cc\n"},
		{6, 9, ""},         {5, 9, "cc\n"},    {0, 9, "aa\nbb\ncc\n"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got[0] = '\0';
		read_part(r, fd, 9, cases[i].s, cases[i].e, got, sizeof(got));
		cr_expect_str_eq(got, cases[i].want, "[%" PRIu64 ", %" PRIu64 ")", cases[i].s,
				 cases[i].e);
	}
	sl_file_reader_destroy(r);
	close(fd);
	unlink(path);
}

/* Large parts: several reads of SL_FILE_READ_CHUNK per fill, several
 * refills, parts cut mid-line; line count and sum of numbers exact. */
Test(source_file, big_file_parts_exact)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/sl-test-file-big.XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(dup(fd), "w");
	uint64_t nlines = 700000, sum = 0;
	for (uint64_t i = 0; i < nlines; i++) {
		fprintf(f, "%" PRIu64 " %.*s\n", i, (int)(i % 37), "abcdefghijklmnopqrstuvwxyz0123456789x");
		sum += i;
	}
	fclose(f);
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	uint64_t size = (uint64_t)st.st_size;
	struct sl_file_reader *r = sl_file_reader_create(1 << 20, true);
	for (uint32_t parts = 1; parts <= 5; parts += 2) {
		uint64_t count = 0, total = 0;
		for (uint32_t i = 0; i < parts; i++) {
			uint64_t s, e;
			sl_file_split_part(size, parts, i, &s, &e);
			cr_assert_eq(sl_file_reader_open(r, fd, size, s, e), 0);
			struct sl_str lines[512];
			for (;;) {
				uint32_t k = sl_file_reader_lines(r, lines, 512);
				for (uint32_t j = 0; j < k; j++) {
					count++;
					total += strtoull(lines[j].ptr, NULL, 10);
				}
				if (k > 0)
					continue;
				if (sl_file_reader_done(r))
					break;
				cr_assert(sl_file_reader_fill(r) >= 0);
			}
		}
		cr_expect_eq(count, nlines, "%u parts", parts);
		cr_expect_eq(total, sum, "%u parts", parts);
	}
	cr_expect_eq(sl_file_reader_bytes(r), 3 * size, "every byte handed over once per pass");
	sl_file_reader_destroy(r);
	close(fd);
	unlink(path);
}

/* A line over max_line is skipped and counted once, by the part that owns
 * it; the file offsets of lines are right. */
Test(source_file, over_long_lines_and_offsets)
{
	const char *text = "ok\nthis line is far too long\nfine\n";
	char path[64];
	size_t n = strlen(text);
	int fd = temp_file(text, n, path);
	struct sl_file_reader *r = sl_file_reader_create(8, true);
	uint64_t before = sl_file_reader_malformed(r);
	char got[128] = "";
	read_part(r, fd, n, 0, 5, got, sizeof(got));
	read_part(r, fd, n, 5, n, got, sizeof(got));
	cr_expect_str_eq(got, "ok\nfine\n");
	cr_expect_eq(sl_file_reader_malformed(r) - before, 1);
	/* offsets */
	cr_assert_eq(sl_file_reader_open(r, fd, n, 0, n), 0);
	struct sl_str l[4];
	cr_assert_eq(sl_file_reader_fill(r), 1);
	cr_assert_eq(sl_file_reader_lines(r, l, 4), 2);
	cr_expect_eq(sl_file_reader_offset_of(r, l[0].ptr), 0);
	cr_expect_eq(sl_file_reader_offset_of(r, l[1].ptr), 29);
	cr_expect_eq(sl_file_line_number(fd, 29), 3);
	cr_expect_eq(sl_file_line_number(fd, 0), 1);
	sl_file_reader_destroy(r);
	close(fd);
	unlink(path);
}

/* Bytes past the size listed are not read; a file that shrank gives what
 * is there. */
Test(source_file, listed_size_bounds_the_read)
{
	const char *text = "a\nb\nc\n";
	char path[64];
	int fd = temp_file(text, 6, path);
	struct sl_file_reader *r = sl_file_reader_create(64, true);
	char got[64] = "";
	read_part(r, fd, 4, 0, 4, got, sizeof(got));
	cr_expect_str_eq(got, "a\nb\n");
	got[0] = '\0';
	read_part(r, fd, 100, 0, 100, got, sizeof(got));
	cr_expect_str_eq(got, "a\nb\nc\n");
	sl_file_reader_destroy(r);
	close(fd);
	unlink(path);
}

/* ------------------------------------------------------------------ */
/* validate                                                            */

struct validate_case {
	const char *cols;
	const char *kv[8];
	const char *want; /* NULL: valid; else a part of the message */
};

static const struct validate_case validate_cases[] = {
	{NULL, {"path=in/"}, NULL},
	{NULL, {"path=in/*.txt", "maxFilesPerTrigger=3", "latestFirst=true"}, NULL},
	{NULL, {"path=in", "max_bytes_per_trigger=64M", "file_name_only=TRUE", "max_file_age=1h"}, NULL},
	{NULL, {"path=in", "clean_source=archive", "source_archive_dir=done"}, NULL},
	{NULL, {"path=in", "cleansource=DELETE"}, NULL},
	{"line STRING", {"path=in", "format=TEXT"}, NULL},
	{"a INT,b STRING", {"path=in", "format=csv", "header=true", "sep=;"}, NULL},
	{"a INT,b STRING", {"path=in", "format=json", "mode=FAILFAST"}, NULL},
	{NULL, {}, "line 1, column 1: file source 's' needs option 'path', the directory to read"},
	{NULL, {"path="}, "line 2, column 3: option 'path' is empty; name the directory to read"},
	{NULL, {"path=in*/x.txt"},
	 "line 2, column 3: option 'path' ('in*/x.txt') has a pattern in a directory name; a "
	 "pattern may match only file names"},
	{NULL, {"path=in", "format=avro"},
	 "line 2, column 13: option 'format' must be 'text', 'csv', 'json' or 'parquet', not 'avro'"},
	{"a INT,b STRING", {"path=in", "format=parquet", "mode=dropMalformed"}, NULL},
	{"a INT", {"path=in", "format=parquet", "mode=lenient"},
	 "option 'mode' must be 'PERMISSIVE', 'DROPMALFORMED' or 'FAILFAST', not 'lenient'"},
	{"a INT", {"path=in", "format=parquet", "sep=;"},
	 "unknown option 'sep' for connector 'file' with format 'parquet' (known options: path, "
	 "format,"},
	{NULL, {"path=in", "maxfiles=3"},
	 "line 2, column 13: unknown option 'maxfiles' for connector 'file' with format 'text' "
	 "(known options: path, format, max_files_per_trigger (maxFilesPerTrigger), "
	 "max_bytes_per_trigger (maxBytesPerTrigger), latest_first (latestFirst)"},
	{"a INT", {"path=in", "format=csv", "colour=red"},
	 "line 2, column 23: unknown option 'colour' for connector 'file' with format 'csv'"},
	{NULL, {"path=in", "max_files_per_trigger=0"},
	 "line 2, column 13: option 'max_files_per_trigger' must be a whole number of files from 1 "
	 "to 2147483647 (Spark: must be a positive integer), not '0'; leave it out for no limit"},
	{NULL, {"path=in", "maxFilesPerTrigger=-2"},
	 "line 2, column 13: option 'maxFilesPerTrigger' must be a whole number of files from 1"},
	{NULL, {"path=in", "max_files_per_trigger=many"}, "not 'many'"},
	{NULL, {"path=in", "max_bytes_per_trigger=0"},
	 "line 2, column 13: option 'max_bytes_per_trigger' must be a size of at least one byte, "
	 "such as 1048576, '64M' or '1 GiB', not '0'"},
	{NULL, {"path=in", "max_bytes_per_trigger=lots"}, "not 'lots'"},
	{NULL, {"path=in", "max_files_per_trigger=2", "maxbytespertrigger=1M"},
	 "line 2, column 23: options 'max_files_per_trigger' and 'maxBytesPerTrigger' cannot both "
	 "be set (as in Spark)"},
	{NULL, {"path=in", "max_files_per_trigger=2", "maxfilespertrigger=3"},
	 "line 2, column 23: options 'max_files_per_trigger' and 'maxFilesPerTrigger' are the same "
	 "setting (sluice's and Spark's name); set only one"},
	{NULL, {"path=in", "latest_first=yes"},
	 "line 2, column 13: option 'latest_first' must be true or false, not 'yes'"},
	{NULL, {"path=in", "filenameonly=1"},
	 "line 2, column 13: option 'fileNameOnly' must be true or false, not '1'"},
	{NULL, {"path=in", "max_file_age=a while"},
	 "line 2, column 13: option 'max_file_age' must be a duration such as '7d', '12h', '30 "
	 "minutes' or a number of milliseconds, not 'a while'"},
	{NULL, {"path=in", "clean_source=move"},
	 "line 2, column 13: option 'clean_source' must be 'off', 'delete' or 'archive', not 'move'"},
	{NULL, {"path=in", "clean_source=archive"},
	 "line 2, column 13: clean_source = 'archive' needs option 'source_archive_dir'"},
	{NULL, {"path=in", "source_archive_dir=done"},
	 "line 2, column 13: option 'source_archive_dir' applies only with clean_source = "
	 "'archive'"},
	{NULL, {"path=in", "clean_source=delete", "sourcearchivedir=done"},
	 "line 2, column 23: option 'sourceArchiveDir' applies only with clean_source = 'archive'"},
	{"a INT,b STRING", {"path=in"},
	 "line 1, column 1: file source 's' reads format 'text', whose records have one STRING "
	 "column (the line), not (a INT, b STRING)"},
	{NULL, {"path=in", "header=true"}, "header"},
};

Test(source_file, validate_messages)
{
	for (size_t i = 0; i < sizeof(validate_cases) / sizeof(validate_cases[0]); i++) {
		const struct validate_case *c = &validate_cases[i];
		struct spec_buf b;
		make_spec(&b, c->cols, c->kv);
		char err[1024] = "";
		int rc = sl_source_file_ops.validate(&b.spec, err, sizeof(err));
		if (c->want == NULL) {
			cr_expect_eq(rc, 0, "case %zu: %s", i, err);
		} else {
			cr_expect_eq(rc, -EINVAL, "case %zu: accepted", i);
			cr_expect(strstr(err, c->want) != NULL, "case %zu:\n got: %s\nwant: %s", i, err,
				  c->want);
		}
	}
}

/* ------------------------------------------------------------------ */
/* open                                                                */

Test(source_file, open_refuses_a_missing_directory)
{
	struct spec_buf b;
	const char *kv[] = {"path=/tmp/sl-test-file-no-such-dir/", NULL};
	make_spec(&b, NULL, kv);
	char err[512];
	cr_assert_null(sl_source_file_ops.open(&b.spec, NULL, 1, err, sizeof(err)));
	cr_expect(strstr(err, "cannot read directory '/tmp/sl-test-file-no-such-dir/': No such "
			      "file or directory; create it, or fix option 'path'") != NULL,
		  "%s", err);
}

Test(source_file, open_refuses_an_archive_inside_the_source)
{
	char dir[64], arch[128];
	make_dir(dir);
	snprintf(arch, sizeof(arch), "%s/done", dir);
	char p[128], a[160];
	snprintf(p, sizeof(p), "path=%s", dir);
	snprintf(a, sizeof(a), "source_archive_dir=%s", arch);
	const char *kv[] = {p, "clean_source=archive", a, NULL};
	struct spec_buf b;
	make_spec(&b, NULL, kv);
	char err[512];
	cr_assert_null(sl_source_file_ops.open(&b.spec, NULL, 1, err, sizeof(err)));
	cr_expect(strstr(err, "the directory the source reads or one inside it; archive to a "
			      "directory elsewhere") != NULL,
		  "%s", err);
	rm_tree(dir);
}

/* ------------------------------------------------------------------ */
/* run                                                                 */

struct run {
	const struct sl_source_ops *ops;
	struct mock_engine eng;
	struct spec_buf b;
	struct sl_source *src;
	pthread_t tid[MAX_CORES];
	int rc[MAX_CORES];
	uint32_t n;
	char opt[4][256];
};

struct run_arg {
	struct run *r;
	uint32_t idx;
};
static struct run_arg run_args[MAX_CORES];

static void *run_thread(void *arg)
{
	struct run_arg *a = arg;
	struct sl_ingest *in = &a->r->eng.core[a->idx];
	a->r->rc[a->idx] = a->r->ops->run(a->r->src, in, a->idx);
	atomic_store(&in->drained, true);
	return NULL;
}

/* Open the source on ncores over kv (NULL-terminated), with the mock
 * engine running; run_go starts its run()s. available_now makes run()
 * return after the files present now. */
static void run_open_ops(struct run *r, const struct sl_source_ops *ops, uint32_t ncores,
			 const char *const *kv, bool available_now, const struct sl_settings *set)
{
	memset(r, 0, sizeof(*r));
	r->ops = ops;
	r->n = ncores;
	engine_init(&r->eng, ncores);
	make_spec(&r->b, NULL, kv);
	char err[512] = "";
	cr_assert_eq(ops->validate(&r->b.spec, err, sizeof(err)), 0, "%s", err);
	r->b.spec.trigger = available_now ? SL_TRIGGER_AVAILABLE_NOW : SL_TRIGGER_DEFAULT;
	r->src = ops->open(&r->b.spec, set, ncores, err, sizeof(err));
	cr_assert_not_null(r->src, "%s", err);
}

static void run_go(struct run *r)
{
	for (uint32_t i = 0; i < r->n; i++) {
		run_args[i] = (struct run_arg){r, i};
		cr_assert_eq(pthread_create(&r->tid[i], NULL, run_thread, &run_args[i]), 0);
	}
}

static void run_start_ops(struct run *r, const struct sl_source_ops *ops, uint32_t ncores,
			  const char *const *kv, bool available_now, const struct sl_settings *set)
{
	run_open_ops(r, ops, ncores, kv, available_now, set);
	run_go(r);
}

static void run_start(struct run *r, uint32_t ncores, const char *const *kv, bool available_now,
		      const struct sl_settings *set)
{
	run_start_ops(r, &sl_source_file_ops, ncores, kv, available_now, set);
}

/* Wait (up to 20 s) until the source's threads returned by themselves. */
static void run_join(struct run *r)
{
	for (int t = 0; t < 20000; t++) {
		bool all = true;
		for (uint32_t i = 0; all && i < r->n; i++)
			all = atomic_load(&r->eng.core[i].drained);
		if (all)
			break;
		nap_ms(1);
	}
	for (uint32_t i = 0; i < r->n; i++)
		cr_assert(atomic_load(&r->eng.core[i].drained), "core %u still runs after 20 s", i);
	for (uint32_t i = 0; i < r->n; i++)
		pthread_join(r->tid[i], NULL);
}

/* Stop the source (the engine's stop), then join. */
static void run_stop(struct run *r)
{
	for (uint32_t i = 0; i < r->n; i++) {
		atomic_store(&r->eng.core[i].stop, true);
		wake(&r->eng.core[i]);
	}
	run_join(r);
}

static void run_fini(struct run *r)
{
	r->ops->close(r->src);
	engine_fini(&r->eng);
}

/* Wait (up to 20 s) for `want` epochs settled. */
static void wait_settled(struct run *r, uint64_t want)
{
	for (int t = 0; t < 20000 && atomic_load(&r->eng.settled) < want; t++)
		nap_ms(1);
	cr_assert(atomic_load(&r->eng.settled) >= want, "%" PRIu64 " epochs settled, want %" PRIu64,
		  atomic_load(&r->eng.settled), want);
}

Test(source_file, run_spreads_a_burst_over_batches_in_mtime_order)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "e.txt", "e1\n", 1);
	put_file(dir, "d.txt", "d1\nd2\n", 2);
	put_file(dir, "c.txt", "c1\n", 3);
	put_file(dir, "b.txt", "b1\nb2", 4);
	put_file(dir, "a.txt", "a1\n", 5);
	put_file(dir, ".hidden.txt", "h\n", 0);
	put_file(dir, "_SUCCESS", "h\n", 0);
	put_file(dir, "x.txt._COPYING_", "h\n", 0);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "max_files_per_trigger=2", NULL};
	run_start(&r, 1, kv, true, NULL);
	run_join(&r);
	cr_expect_eq(r.rc[0], 0);
	expect_epoch(&r.eng, 0, "d1 d2 e1");
	expect_epoch(&r.eng, 1, "b1 b2 c1");
	expect_epoch(&r.eng, 2, "a1");
	expect_epoch(&r.eng, 3, "");
	cr_expect_eq(r.eng.core[0].stats.bytes, 3 + 6 + 3 + 5 + 3);
	cr_expect_eq(atomic_load(&r.eng.settled), 3, "available_now waits for its last batch");
	run_fini(&r);
	rm_tree(dir);
}

Test(source_file, run_latest_first_and_glob)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "1.log", "one\n", 1);
	put_file(dir, "2.log", "two\n", 2);
	put_file(dir, "3.log", "three\n", 3);
	put_file(dir, "3.txt", "not me\n", 9);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s/*.log", dir);
	const char *kv[] = {p, "latestFirst=true", "maxFilesPerTrigger=1", NULL};
	run_start(&r, 1, kv, true, NULL);
	run_join(&r);
	expect_epoch(&r.eng, 0, "three");
	expect_epoch(&r.eng, 1, "two");
	expect_epoch(&r.eng, 2, "one");
	run_fini(&r);
	rm_tree(dir);
}

Test(source_file, run_max_bytes_per_trigger)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "a", "aaaaaaaaa\n", 1); /* 10 bytes */
	put_file(dir, "b", "bbbb\n", 2);      /* 5 */
	put_file(dir, "c", "cccc\n", 3);      /* 5 */
	put_file(dir, "d", "dddddddddddddddddddd\n", 4); /* 21: alone, over the limit */
	put_file(dir, "e", "e\n", 5);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "max_bytes_per_trigger=15", NULL};
	run_start(&r, 1, kv, true, NULL);
	run_join(&r);
	expect_epoch(&r.eng, 0, "aaaaaaaaa bbbb");
	expect_epoch(&r.eng, 1, "cccc");
	expect_epoch(&r.eng, 2, "dddddddddddddddddddd");
	expect_epoch(&r.eng, 3, "e");
	run_fini(&r);
	rm_tree(dir);
}

/* max_file_age counts from the newest file taken, and only after the first
 * batch (Spark: "for the first batch all files will be considered valid"). */
Test(source_file, run_max_file_age)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "old", "old\n", 0);
	put_file(dir, "new", "new\n", 100);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "max_file_age=10s", NULL};
	run_start(&r, 1, kv, false, NULL);
	wait_settled(&r, 1);
	expect_epoch(&r.eng, 0, "new old");
	/* now the newest taken is at 100 s: a file of 50 s is too old, 95 s not */
	char tmp[128], to[128];
	snprintf(tmp, sizeof(tmp), "%s/.t", dir);
	put_file(dir, ".t", "stale\n", 50);
	snprintf(to, sizeof(to), "%s/stale", dir);
	cr_assert_eq(rename(tmp, to), 0);
	put_file(dir, ".t", "recent\n", 95);
	snprintf(to, sizeof(to), "%s/recent", dir);
	cr_assert_eq(rename(tmp, to), 0);
	wait_settled(&r, 2);
	nap_ms(100);
	run_stop(&r);
	expect_epoch(&r.eng, 1, "recent");
	expect_epoch(&r.eng, 2, "");
	run_fini(&r);
	rm_tree(dir);
}

/* Files moved in while the source runs are noticed (inotify) and read in
 * later batches; a file that vanishes before it is read is reported. */
Test(source_file, run_new_files_and_a_vanished_one)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "a", "a1\n", 1);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "max_files_per_trigger=1", NULL};
	run_start(&r, 1, kv, false, NULL);
	wait_settled(&r, 1);
	atomic_store(&r.eng.paused, true); /* hold the next batch at its cut */
	char tmp[128], to[128];
	snprintf(tmp, sizeof(tmp), "%s/.t", dir);
	put_file(dir, ".t", "b1\n", 2);
	snprintf(to, sizeof(to), "%s/b", dir);
	cr_assert_eq(rename(tmp, to), 0);
	/* b is read into epoch 1, which the paused engine does not cut */
	for (int t = 0; t < 20000 && r.eng.rows_in[1] == 0; t++)
		nap_ms(1);
	put_file(dir, ".t", "c1\n", 3);
	snprintf(to, sizeof(to), "%s/c", dir);
	cr_assert_eq(rename(tmp, to), 0);
	put_file(dir, ".t", "gone\n", 4);
	snprintf(to, sizeof(to), "%s/gone", dir);
	cr_assert_eq(rename(tmp, to), 0);
	nap_ms(500); /* noticed, not taken: the batch holds b alone */
	cr_assert_eq(unlink(to), 0);
	nap_ms(200);
	atomic_store(&r.eng.paused, false);
	wait_settled(&r, 3);
	nap_ms(100);
	run_stop(&r);
	cr_expect_eq(r.rc[0], 0);
	expect_epoch(&r.eng, 0, "a1");
	expect_epoch(&r.eng, 1, "b1");
	expect_epoch(&r.eng, 2, "c1");
	expect_epoch(&r.eng, 3, "");
	cr_expect(strstr(r.eng.log, "warning: file '") != NULL &&
			  strstr(r.eng.log, "/gone' vanished before it was read; skipped (1 file "
					    "skipped so far)") != NULL,
		  "log: %s", r.eng.log);
	cr_expect_eq(r.eng.core[0].stats.files_skipped, 1, "stat files_skipped");
	run_fini(&r);
	rm_tree(dir);
}

/* Under a processing-time trigger the source takes files only when a
 * trigger fires, all those there then (Spark plans each batch at its
 * trigger): files that land between two triggers wait for the next one,
 * together, and a trigger that finds nothing is answered at once. */
Test(source_file, run_plans_at_processing_time_triggers)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "a", "a1\n", 1);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, NULL};
	memset(&r, 0, sizeof(r));
	r.ops = &sl_source_file_ops;
	r.n = 1;
	engine_init(&r.eng, 1);
	make_spec(&r.b, NULL, kv);
	char err[512] = "";
	cr_assert_eq(r.ops->validate(&r.b.spec, err, sizeof(err)), 0, "%s", err);
	r.b.spec.trigger = SL_TRIGGER_INTERVAL;
	r.src = r.ops->open(&r.b.spec, NULL, 1, err, sizeof(err));
	cr_assert_not_null(r.src, "%s", err);
	run_args[0] = (struct run_arg){&r, 0};
	cr_assert_eq(pthread_create(&r.tid[0], NULL, run_thread, &run_args[0]), 0);
	/* no trigger yet: a is noticed, not read */
	nap_ms(400);
	cr_expect_eq(r.eng.rows_in[0], 0, "a file was read before any trigger");
	atomic_store(&r.eng.trigger_ns, 100);
	wake(&r.eng.core[0]);
	wait_settled(&r, 1);
	for (int t = 0; t < 20000 && atomic_load(&r.eng.core[0].trigger_acked) < 100; t++)
		nap_ms(1);
	cr_expect_eq(atomic_load(&r.eng.core[0].trigger_acked), 100);
	/* two files between triggers: neither is read until the next one,
	 * then both in one batch */
	put_file(dir, "b", "b1\n", 2);
	nap_ms(300);
	put_file(dir, "c", "c1\n", 3);
	nap_ms(400);
	cr_expect_eq(r.eng.rows_in[1], 0, "a file was read between triggers");
	atomic_store(&r.eng.trigger_ns, 200);
	wake(&r.eng.core[0]);
	wait_settled(&r, 2);
	/* a trigger with nothing new is answered without a batch */
	atomic_store(&r.eng.trigger_ns, 300);
	wake(&r.eng.core[0]);
	for (int t = 0; t < 20000 && atomic_load(&r.eng.core[0].trigger_acked) < 300; t++)
		nap_ms(1);
	cr_expect_eq(atomic_load(&r.eng.core[0].trigger_acked), 300);
	run_stop(&r);
	cr_expect_eq(r.rc[0], 0);
	expect_epoch(&r.eng, 0, "a1");
	expect_epoch(&r.eng, 1, "b1 c1");
	expect_epoch(&r.eng, 2, "");
	run_fini(&r);
	rm_tree(dir);
}

/* Two cores: a file larger than two parts is read by both, every line
 * once, all in one epoch; small files are shared out too. */
Test(source_file, run_two_cores_split_a_big_file)
{
	char dir[64];
	make_dir(dir);
	char path[128];
	snprintf(path, sizeof(path), "%s/big", dir);
	FILE *f = fopen(path, "w");
	uint64_t n = 0, bytes = 0;
	while (bytes < 2 * SL_FILE_SPLIT_MIN + 12345) {
		int w = fprintf(f, "%" PRIu64 "\n", n++);
		bytes += (uint64_t)w;
	}
	fclose(f);
	put_file(dir, "small1", "s1\n", 0);
	put_file(dir, "small2", "s2\n", 0);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, NULL};
	run_start(&r, 2, kv, true, NULL);
	run_join(&r);
	cr_expect_eq(r.rc[0], 0);
	cr_expect_eq(r.rc[1], 0);
	cr_expect_eq(r.eng.nrows, n + 2);
	cr_expect_eq(r.eng.rows_in[0], n + 2, "one batch, one epoch");
	uint8_t *seen = calloc(n, 1);
	uint64_t dup = 0, bad = 0;
	for (size_t i = 0; i < r.eng.nrows; i++) {
		const char *t = r.eng.rows[i].text;
		if (t[0] == 's')
			continue;
		uint64_t v = strtoull(t, NULL, 10);
		if (v >= n)
			bad++;
		else if (seen[v]++)
			dup++;
	}
	cr_expect_eq(dup, 0);
	cr_expect_eq(bad, 0);
	cr_expect(r.eng.core[0].stats.rows > 0 && r.eng.core[1].stats.rows > 0,
		  "both cores read: %" PRIu64 ", %" PRIu64, r.eng.core[0].stats.rows,
		  r.eng.core[1].stats.rows);
	cr_expect_eq(r.eng.core[0].stats.bytes + r.eng.core[1].stats.bytes, bytes + 6);
	free(seen);
	run_fini(&r);
	rm_tree(dir);
}

/* CSV with multi_line: a file larger than a split's minimum is read whole
 * by one core, and records whose quoted fields hold line ends cross the
 * reads (1 MiB each, 4 in flight) each read once. */
Test(source_file, run_multi_line_csv_is_never_split)
{
	char dir[64];
	make_dir(dir);
	char path[128];
	snprintf(path, sizeof(path), "%s/big.csv", dir);
	FILE *f = fopen(path, "w");
	uint64_t n = 0, bytes = 0;
	while (bytes < 2 * SL_FILE_SPLIT_MIN + 12345) {
		/* lengths vary so that record ends fall everywhere in a read */
		int w = fprintf(f, "\"%" PRIu64 "\n%.*s\r\n\"\r\n", n, (int)(n % 97), tricky);
		n++;
		bytes += (uint64_t)w;
	}
	fclose(f);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "format=csv", "multi_line=true", NULL};
	run_start(&r, 2, kv, true, NULL);
	run_join(&r);
	cr_expect_eq(r.rc[0], 0);
	cr_expect_eq(r.rc[1], 0);
	cr_expect_eq(r.eng.nrows, n);
	uint8_t *seen = calloc(n, 1);
	uint64_t dup = 0, bad = 0;
	for (size_t i = 0; i < r.eng.nrows; i++) {
		const char *t = r.eng.rows[i].text;
		char *end, want[128];
		uint64_t v = strtoull(t, &end, 10);
		/* the text written, "\r\n" made "\n" (univocity's normalizing) */
		size_t w = 0, k = v % 97;
		for (size_t j = 0; j < k + 2; j++) {
			char ch = j < k ? tricky[j] : "\r\n"[j - k];
			char nx = j + 1 < k ? tricky[j + 1] : j + 1 < k + 2 ? "\r\n"[j + 1 - k] : 0;
			if (!(ch == '\r' && nx == '\n'))
				want[w++] = ch;
		}
		want[w] = '\0';
		if (v >= n || *end != '\n' || strcmp(end + 1, want) != 0)
			bad++;
		else if (seen[v]++)
			dup++;
	}
	cr_expect_eq(dup, 0);
	cr_expect_eq(bad, 0);
	cr_expect(r.eng.core[0].stats.rows == 0 || r.eng.core[1].stats.rows == 0,
		  "one core read the file: %" PRIu64 ", %" PRIu64, r.eng.core[0].stats.rows,
		  r.eng.core[1].stats.rows);
	cr_expect_eq(r.eng.core[0].stats.malformed + r.eng.core[1].stats.malformed, 0);
	free(seen);
	run_fini(&r);
	rm_tree(dir);
}

/* JSON lines are parsed in place in the reader's buffer
 * (sl_recparse_line_padded): lines across the ends of reads, "\r\n" and
 * "\n", records with a second '}' (what follows a line matters to
 * simdjson), and a last line without its '\n' read the same as copied. */
Test(source_file, run_json_in_place_across_reads)
{
	char dir[64];
	make_dir(dir);
	char path[128];
	snprintf(path, sizeof(path), "%s/big.json", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	uint64_t n = 0, bytes = 0, bad = 0;
	while (bytes < 3 * 256 * 1024 + 777) {
		int w;
		if (n % 41 == 7) {
			w = fprintf(f, "{\"value\":\"bad%" PRIu64 "\"}}\n", n);
			bad++;
		} else {
			/* lengths vary so that line ends fall everywhere in a read */
			w = fprintf(f, "{\"value\":\"%" PRIu64 "-%.*s\"}%s", n, (int)(n % 89),
				    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"
				    "mnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
				    n % 3 == 0 ? "\r\n" : "\n");
		}
		n++;
		bytes += (uint64_t)w;
	}
	fprintf(f, "{\"value\":\"last\"}");
	fclose(f);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "format=json", NULL};
	run_start(&r, 1, kv, true, NULL);
	run_join(&r);
	cr_expect_eq(r.rc[0], 0);
	cr_assert_eq(r.eng.nrows, n + 1);
	uint64_t wrong = 0, nulls = 0;
	for (uint64_t i = 0; i < n; i++) {
		const char *t = r.eng.rows[i].text;
		if (i % 41 == 7) {
			nulls += strcmp(t, "NULL") == 0;
			continue;
		}
		char *end;
		uint64_t v = strtoull(t, &end, 10);
		size_t k = strlen(end);
		if (v != i || *end != '-' || k != 1 + i % 89)
			wrong++;
	}
	cr_expect_eq(wrong, 0);
	cr_expect_eq(nulls, bad);
	cr_expect_str_eq(r.eng.rows[n].text, "last");
	cr_expect_eq(r.eng.core[0].stats.malformed, bad);
	run_fini(&r);
	rm_tree(dir);
}

/* CSV lines are cut and converted straight from the reader's buffer
 * (sl_recparse_burst_span), the lines it does not take line by line: a
 * file of two parts (two cores) over several reads, whose lines end with
 * "\n" and "\r\n" in runs and mixed, with quoted fields, '\r's inside
 * fields, blank lines, lines over max_line and a last line without its
 * '\n': every line's row once, as written. */
Test(source_file, run_csv_spans_across_reads)
{
	char dir[64];
	make_dir(dir);
	char path[128];
	snprintf(path, sizeof(path), "%s/big.csv", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	uint64_t n = 0, bytes = 0, longs = 0;
	while (bytes < 2 * SL_FILE_SPLIT_MIN + 54321) {
		const char *eol = (n / 1000) % 3 == 1 ? "\r\n" : (n / 1000) % 3 == 2 && n % 2 ? "\r\n" : "\n";
		int w;
		if (n % 211 == 5)
			w = fprintf(f, "\"%" PRIu64 "-q,\"\"x\"\"\"%s", n, eol); /* 5-q,"x" */
		else if (n % 307 == 9)
			w = fprintf(f, "%" PRIu64 "-a\rb%s", n, eol);
		else if (n % 401 == 11)
			w = fprintf(f, "\n%" PRIu64 "-after-blank%s", n, eol);
		else if (n % 503 == 13) {
			/* over max_line (200): dropped and counted */
			w = fprintf(f, "%0300" PRIu64 "%s", n, eol);
			longs++;
		} else
			w = fprintf(f, "%" PRIu64 "-%.*s%s", n, (int)(n % 61),
				    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789", eol);
		n++;
		bytes += (uint64_t)w;
	}
	fprintf(f, "%" PRIu64 "-last", n++);
	fclose(f);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "format=csv", NULL};
	struct sl_settings set = {.max_line_length = 200};
	run_start(&r, 2, kv, true, &set);
	run_join(&r);
	cr_expect_eq(r.rc[0], 0);
	cr_expect_eq(r.rc[1], 0);
	cr_assert_eq(r.eng.nrows, n - longs);
	cr_expect(r.eng.core[0].stats.rows > 0 && r.eng.core[1].stats.rows > 0,
		  "both cores read a part: %" PRIu64 ", %" PRIu64, r.eng.core[0].stats.rows,
		  r.eng.core[1].stats.rows);
	uint8_t *seen = calloc(n, 1);
	cr_assert_not_null(seen);
	uint64_t dup = 0, bad = 0;
	for (size_t i = 0; i < r.eng.nrows; i++) {
		const char *t = r.eng.rows[i].text;
		char *end, want[128];
		uint64_t v = strtoull(t, &end, 10);
		if (v >= n) {
			bad++;
			continue;
		}
		if (v == n - 1)
			snprintf(want, sizeof(want), "-last");
		else if (v % 211 == 5)
			snprintf(want, sizeof(want), "-q,\"x\"");
		else if (v % 307 == 9)
			snprintf(want, sizeof(want), "-a\rb");
		else if (v % 401 == 11)
			snprintf(want, sizeof(want), "-after-blank");
		else
			snprintf(want, sizeof(want), "-%.*s", (int)(v % 61),
				 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789");
		if (strcmp(end, want) != 0)
			bad++;
		else if (seen[v]++)
			dup++;
	}
	cr_expect_eq(dup, 0);
	cr_expect_eq(bad, 0);
	cr_expect_eq(r.eng.core[0].stats.malformed + r.eng.core[1].stats.malformed, longs);
	free(seen);
	run_fini(&r);
	rm_tree(dir);
}

Test(source_file, run_clean_source_delete_and_archive)
{
	char dir[64], arch[96];
	make_dir(dir);
	snprintf(arch, sizeof(arch), "%s.done", dir);
	put_file(dir, "a", "a\n", 1);
	put_file(dir, "b", "b\n", 2);
	put_file(dir, "empty", "", 3);
	struct run r;
	char p[128], a[160];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "clean_source=delete", "max_files_per_trigger=1", NULL};
	run_start(&r, 1, kv, true, NULL);
	run_join(&r);
	expect_epoch(&r.eng, 0, "a");
	expect_epoch(&r.eng, 1, "b");
	char f[256];
	snprintf(f, sizeof(f), "%s/a", dir);
	cr_expect_not(exists(f), "a deleted");
	snprintf(f, sizeof(f), "%s/empty", dir);
	cr_expect_not(exists(f), "an empty file is read (no rows) and deleted too");
	run_fini(&r);

	put_file(dir, "c", "c\n", 4);
	snprintf(a, sizeof(a), "source_archive_dir=%s", arch);
	const char *kv2[] = {p, "clean_source=archive", a, NULL};
	run_start(&r, 1, kv2, true, NULL);
	run_join(&r);
	expect_epoch(&r.eng, 0, "c");
	char *real = realpath(dir, NULL);
	snprintf(f, sizeof(f), "%s%s/c", arch, real);
	cr_expect(exists(f), "archived to %s", f);
	snprintf(f, sizeof(f), "%s/c", dir);
	cr_expect_not(exists(f));
	free(real);
	run_fini(&r);
	rm_tree(dir);
	rm_tree(arch);
}

/* trigger = 'once' (Spark's Trigger.Once): the files there at the start,
 * as one batch whatever the limits, then run() returns. */
Test(source_file, run_trigger_once_is_one_batch)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "a", "a1\n", 1);
	put_file(dir, "b", "b1\n", 2);
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "max_files_per_trigger=1", NULL};
	struct run r;
	memset(&r, 0, sizeof(r));
	r.ops = &sl_source_file_ops;
	r.n = 1;
	engine_init(&r.eng, 1);
	make_spec(&r.b, NULL, kv);
	r.b.spec.trigger = SL_TRIGGER_ONCE;
	char err[512] = "";
	r.src = r.ops->open(&r.b.spec, NULL, 1, err, sizeof(err));
	cr_assert_not_null(r.src, "%s", err);
	run_go(&r);
	run_join(&r);
	expect_epoch(&r.eng, 0, "a1 b1");
	cr_expect_eq(r.eng.nrows, 2);
	run_fini(&r);
	rm_tree(dir);
}

/* Under available_now an empty directory ends at once. */
Test(source_file, run_available_now_on_nothing)
{
	char dir[64];
	make_dir(dir);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, NULL};
	run_start(&r, 2, kv, true, NULL);
	run_join(&r);
	cr_expect_eq(r.eng.nrows, 0);
	run_fini(&r);
	rm_tree(dir);
}

/* Lines over max_line_length are counted as malformed. */
Test(source_file, run_counts_over_long_lines)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "a", "short\nthis one is too long\nok\n", 1);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, NULL};
	struct sl_settings set = {.max_line_length = 8};
	run_start(&r, 1, kv, true, &set);
	run_join(&r);
	expect_epoch(&r.eng, 0, "ok short");
	cr_expect_eq(r.eng.core[0].stats.malformed, 1);
	run_fini(&r);
	rm_tree(dir);
}

/* ------------------------------------------------------------------ */
/* a sink's output: the commit log decides                             */

static struct sl_column_def value_def[] = {{.name = "value", .type = SL_TYPE_STRING}};
static const struct sl_schema value_schema = {1, value_def};

/* A file or table sink writing one STRING column `value` as text. */
static struct sl_sink *text_sink(const char *dir, bool table)
{
	char p[256];
	snprintf(p, sizeof(p), "%s", dir);
	struct sl_option o[2] = {{.key = "path", .value = p, .line = 1, .column = 1},
				 {.key = "format", .value = "text", .line = 1, .column = 20}};
	struct sl_sink_spec spec = {.name = "w", .options = {2, o}, .line = 1, .column = 1};
	char err[1024] = "";
	struct sl_sink *s = sl_file_sink_open(&spec, &value_schema, table, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	return s;
}

/* Stage epoch's rows (space-separated words); publish unless told not to. */
static void sink_rows(struct sl_sink *s, uint64_t epoch, const char *words, bool publish)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", words);
	struct sl_str v[16];
	uint32_t n = 0;
	char *save = NULL;
	for (char *w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
		v[n++] = (struct sl_str){w, (uint32_t)strlen(w)};
	struct sl_vec col = {.type = SL_TYPE_STRING, .v.str = v};
	struct sl_batch *b = sl_batch_create(&value_schema);
	cr_assert_not_null(b);
	struct sl_chunk ch = {.nrows = n, .ncols = 1, .cols = &col};
	cr_assert_eq(sl_batch_append_chunk(b, &ch), 0);
	char err[1024] = "";
	cr_assert_eq(sl_file_sink_stage(s, epoch, b, err, sizeof(err)), 1, "%s", err);
	if (publish)
		cr_assert_eq(sl_file_sink_publish(s, err, sizeof(err)), 0, "%s", err);
	sl_batch_destroy(b);
}

Test(source_file, run_reads_only_what_the_commit_log_lists)
{
	char dir[64];
	make_dir(dir);
	struct sl_sink *s = text_sink(dir, false);
	sink_rows(s, 0, "a1 a2", true);
	sink_rows(s, 1, "b1", true);
	sink_rows(s, 2, "c1", false); /* staged, then the writer died */
	sl_file_sink_close(s);
	put_file(dir, "stray.txt", "x1\n", 1); /* in the directory, not in the log */
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "max_files_per_trigger=1", "clean_source=delete", NULL};
	run_start(&r, 1, kv, true, NULL);
	run_join(&r);
	cr_expect_eq(r.rc[0], 0, "%s", r.eng.core[0].fail);
	expect_epoch(&r.eng, 0, "a1 a2");
	expect_epoch(&r.eng, 1, "b1");
	cr_expect_eq(r.eng.nrows, 3, "only committed files are read");
	cr_expect(strstr(r.eng.log, "clean_source is ignored") != NULL, "%s", r.eng.log);
	char f[128];
	snprintf(f, sizeof(f), "%s/stray.txt", dir);
	cr_expect(exists(f), "nothing deleted in a sink's directory");
	run_fini(&r);
	rm_tree(dir);
}

Test(source_file, run_switches_to_the_log_when_a_sink_starts_writing)
{
	char dir[64];
	make_dir(dir);
	struct run r;
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, NULL};
	run_start(&r, 2, kv, false, NULL);
	struct sl_sink *s = text_sink(dir, false);
	sink_rows(s, 0, "p1 p2", true);
	wait_settled(&r, 1);
	expect_epoch(&r.eng, 0, "p1 p2");
	/* a staged batch stays unseen, even with its data file in place */
	sink_rows(s, 1, "q1", false);
	nap_ms(300);
	cr_expect_eq(r.eng.nrows, 2, "a staged file was read");
	char err[512] = "";
	cr_assert_eq(sl_file_sink_publish(s, err, sizeof(err)), 0, "%s", err);
	wait_settled(&r, 2);
	expect_epoch(&r.eng, 1, "q1");
	sl_file_sink_close(s);
	run_stop(&r);
	cr_expect_eq(r.rc[0], 0, "%s", r.eng.core[0].fail);
	run_fini(&r);
	rm_tree(dir);
}

Test(source_file, run_table_streams_its_commits)
{
	char dir[64], t[128];
	make_dir(dir);
	snprintf(t, sizeof(t), "%s/tbl", dir);
	/* a table not written yet: the source waits for it */
	struct run r;
	char p[160];
	snprintf(p, sizeof(p), "path=%s", t);
	const char *kv[] = {p, NULL};
	run_start_ops(&r, &sl_source_table_ops, 1, kv, false, NULL);
	struct sl_sink *s = text_sink(t, true);
	sink_rows(s, 0, "t1", true);
	sink_rows(s, 1, "t2 t3", true);
	wait_settled(&r, 1);
	for (int i = 0; i < 20000 && r.eng.nrows < 3; i++)
		nap_ms(1);
	cr_expect_eq(r.eng.nrows, 3, "%s", r.eng.core[0].fail);
	sl_file_sink_close(s);
	run_stop(&r);
	run_fini(&r);

	/* available_now over the table as it is */
	run_start_ops(&r, &sl_source_table_ops, 1, kv, true, NULL);
	run_join(&r);
	expect_epoch(&r.eng, 0, "t1 t2 t3");
	run_fini(&r);

	/* its columns are checked, its options are its own */
	struct spec_buf b;
	const char *bad[] = {p, "format=csv", NULL};
	make_spec(&b, NULL, bad);
	char err[1024] = "";
	cr_expect_eq(sl_source_table_ops.validate(&b.spec, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "line 2, column 13: unknown option 'format' for connector 'table' "
			      "(known options: path, max_files_per_trigger (maxFilesPerTrigger), "
			      "max_bytes_per_trigger (maxBytesPerTrigger), and the s3.* options with "
			      "an s3:// path)") != NULL,
		  "%s", err);
	make_spec(&b, "value INT", kv);
	cr_expect_eq(sl_source_table_ops.validate(&b.spec, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "line 1, column 1: source 's' declares the columns (value INT), but "
			      "table '") != NULL &&
			  strstr(err, "has (value STRING) in format text") != NULL,
		  "%s", err);
	rm_tree(dir);
}

/* ------------------------------------------------------------------ */
/* checkpoints                                                         */

/* What one checkpoint() wrote. */
struct ck_out {
	struct sl_strbuf off, log;
};

static void ck_free(struct ck_out *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sl_strbuf_free(&c[i].off);
		sl_strbuf_free(&c[i].log);
	}
}

/* checkpoint(E) of r's source into c, as the engine calls it once epoch E
 * is complete; then E is committed, as the engine does once the files are
 * durable. */
static void ck_take(struct run *r, uint64_t E, bool compact, struct ck_out *c)
{
	sl_strbuf_init(&c->off);
	sl_strbuf_init(&c->log);
	char err[512] = "";
	cr_assert_eq(r->ops->checkpoint(r->src, E, NULL, 0, compact, &c->off, &c->log, err,
					sizeof(err)),
		     0, "epoch %" PRIu64 ": %s", E, err);
	cr_assert(c->off.len > 0);
	if (atomic_load(&r->eng.committed) < E + 1)
		atomic_store(&r->eng.committed, E + 1);
	for (uint32_t i = 0; i < r->n; i++)
		wake(&r->eng.core[i]);
}

static struct sl_blob blob_of(const struct sl_strbuf *b)
{
	return (struct sl_blob){b->ptr, b->len};
}

static uint64_t le64(const char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)(uint8_t)p[i] << (8 * i);
	return v;
}

/* A log entry: 'e' or 'c', its number of files, its first file's batch. */
static void log_head(const struct sl_strbuf *b, char *kind, uint32_t *nfiles, uint64_t *batch)
{
	cr_assert_geq(b->len, 14);
	cr_expect_eq((uint8_t)b->ptr[0], 1, "version byte");
	*kind = b->ptr[1];
	*nfiles = (uint32_t)(le64(b->ptr + 10) & 0xffffffffu);
	*batch = b->len >= 22 ? le64(b->ptr + 14) : UINT64_MAX;
}

/* Open the source over kv, restore it (restore must succeed), run it to
 * its end (available_now), committing nothing (the test may checkpoint). */
static void run_restored(struct run *r, const struct sl_source_ops *ops, const char *const *kv,
			 const struct sl_source_restore *rs)
{
	run_open_ops(r, ops, 1, kv, true, NULL);
	atomic_store(&r->eng.held_commits, true);
	char err[1024] = "";
	cr_assert_eq(ops->restore(r->src, rs, err, sizeof(err)), 0, "%s", err);
	run_go(r);
	run_join(r);
	cr_expect_eq(r->rc[0], 0, "%s", r->eng.core[0].fail);
}

/* Two batches, a checkpoint after each: a fresh source restored from the
 * log entries and the last offset takes neither file again, and takes a
 * new one, as batch 2; an epoch without a file batch logs nothing and
 * keeps the offset. */
Test(source_file, checkpoint_restore_takes_each_file_once)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "a", "a1\n", 1);
	put_file(dir, "b", "b1\n", 2);
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "max_files_per_trigger=1", NULL};
	struct run r;
	run_open_ops(&r, &sl_source_file_ops, 1, kv, true, NULL);
	atomic_store(&r.eng.held_commits, true);
	run_go(&r);
	run_join(&r);
	expect_epoch(&r.eng, 0, "a1");
	expect_epoch(&r.eng, 1, "b1");
	struct ck_out c[3];
	ck_take(&r, 0, false, &c[0]);
	ck_take(&r, 1, false, &c[1]);
	ck_take(&r, 2, false, &c[2]);
	char kind;
	uint32_t nf;
	uint64_t batch;
	log_head(&c[0].log, &kind, &nf, &batch);
	cr_expect(kind == 'e' && nf == 1 && batch == 0, "%c %u %" PRIu64, kind, nf, batch);
	log_head(&c[1].log, &kind, &nf, &batch);
	cr_expect(kind == 'e' && nf == 1 && batch == 1, "%c %u %" PRIu64, kind, nf, batch);
	cr_expect_eq(c[2].log.len, 0, "an epoch without a file batch logs nothing");
	cr_expect(c[2].off.len == c[1].off.len && memcmp(c[2].off.ptr, c[1].off.ptr, c[1].off.len) == 0,
		  "an epoch without a file batch keeps the offset");
	run_fini(&r);

	put_file(dir, "c", "c1\n", 3);
	struct sl_blob logs[2] = {blob_of(&c[0].log), blob_of(&c[1].log)};
	struct sl_source_restore rs = {.epoch = 1, .offset = blob_of(&c[1].off), .logs = logs,
				       .nlogs = 2};
	run_restored(&r, &sl_source_file_ops, kv, &rs);
	expect_epoch(&r.eng, 0, "c1");
	cr_expect_eq(r.eng.nrows, 1, "a taken file was taken again");
	struct ck_out d;
	ck_take(&r, 0, false, &d);
	log_head(&d.log, &kind, &nf, &batch);
	cr_expect(nf == 1 && batch == 2, "the batch count goes on: %u files, batch %" PRIu64, nf,
		  batch);
	run_fini(&r);
	ck_free(c, 3);
	ck_free(&d, 1);
	rm_tree(dir);
}

/* A compact entry alone restores what the entries before it did, and
 * holds only what max_file_age keeps (Spark's compacted file-source log). */
Test(source_file, checkpoint_compact_alone_restores_the_same)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "a", "a1\n", 0);
	put_file(dir, "b", "b1\n", 100);
	put_file(dir, "c", "c1\n", 105);
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "max_files_per_trigger=1", "max_file_age=10s", NULL};
	struct run r;
	run_open_ops(&r, &sl_source_file_ops, 1, kv, true, NULL);
	atomic_store(&r.eng.held_commits, true);
	run_go(&r);
	run_join(&r);
	expect_epoch(&r.eng, 0, "a1");
	expect_epoch(&r.eng, 1, "b1");
	expect_epoch(&r.eng, 2, "c1");
	struct ck_out c[3];
	ck_take(&r, 0, false, &c[0]);
	ck_take(&r, 1, false, &c[1]);
	ck_take(&r, 2, true, &c[2]);
	char kind;
	uint32_t nf;
	uint64_t batch;
	log_head(&c[2].log, &kind, &nf, &batch);
	cr_expect_eq(kind, 'c');
	cr_expect_eq(nf, 2, "a (0 s) is older than the newest (105 s) minus 10 s: purged");
	run_fini(&r);

	put_file(dir, "d", "d1\n", 50);   /* too old: never new */
	put_file(dir, "e", "e1\n", 200);
	struct sl_blob logs[1] = {blob_of(&c[2].log)};
	struct sl_source_restore rs = {.epoch = 2, .offset = blob_of(&c[2].off), .logs = logs,
				       .nlogs = 1};
	run_restored(&r, &sl_source_file_ops, kv, &rs);
	expect_epoch(&r.eng, 0, "e1");
	cr_expect_eq(r.eng.nrows, 1);
	run_fini(&r);

	/* the entries before a compact one count no more */
	struct sl_blob more[3] = {blob_of(&c[0].log), blob_of(&c[2].log), blob_of(&c[1].log)};
	rs.logs = more;
	rs.nlogs = 3;
	run_restored(&r, &sl_source_file_ops, kv, &rs);
	expect_epoch(&r.eng, 0, "e1");
	cr_expect_eq(r.eng.nrows, 1);
	run_fini(&r);
	ck_free(c, 3);
	rm_tree(dir);
}

/* The epoch after the committed one ran, uncommitted: the restored source
 * takes its files again as its first batch, before a newer file that
 * latest_first would take first; also from a compact entry; a file gone
 * since is skipped and counted. */
Test(source_file, checkpoint_replays_the_uncommitted_batch_first)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "a", "a1\n", 1);
	put_file(dir, "b", "b1\nb2\n", 2);
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "max_files_per_trigger=1", NULL};
	struct run r;
	run_open_ops(&r, &sl_source_file_ops, 1, kv, true, NULL);
	atomic_store(&r.eng.held_commits, true);
	run_go(&r);
	run_join(&r);
	struct ck_out c[2], cc;
	ck_take(&r, 0, false, &c[0]);
	ck_take(&r, 1, false, &c[1]); /* written, never committed */
	run_fini(&r);
	run_open_ops(&r, &sl_source_file_ops, 1, kv, true, NULL);
	atomic_store(&r.eng.held_commits, true);
	run_go(&r);
	run_join(&r);
	ck_take(&r, 0, false, &cc);
	ck_free(&cc, 1);
	ck_take(&r, 1, true, &cc); /* the same, compact */
	run_fini(&r);

	put_file(dir, "c", "c1\n", 3);
	put_file(dir, "d", "d1\n", 0);
	const char *newest[] = {p, "max_files_per_trigger=1", "latest_first=true", NULL};
	struct sl_blob logs[1] = {blob_of(&c[0].log)};
	struct sl_source_restore rs = {.epoch = 0, .offset = blob_of(&c[0].off), .logs = logs,
				       .nlogs = 1, .replay = blob_of(&c[1].off),
				       .replay_log = blob_of(&c[1].log)};
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			rs.replay_log = blob_of(&cc.log);
		run_restored(&r, &sl_source_file_ops, newest, &rs);
		expect_epoch(&r.eng, 0, "b1 b2");
		expect_epoch(&r.eng, 1, "c1");
		expect_epoch(&r.eng, 2, "d1");
		cr_expect_eq(r.eng.nrows, 4, "pass %d", pass);
		cr_expect_eq(r.eng.core[0].stats.files_skipped, 0);
		/* the replayed batch keeps its id */
		struct ck_out d;
		ck_take(&r, 0, false, &d);
		char kind;
		uint32_t nf;
		uint64_t batch;
		log_head(&d.log, &kind, &nf, &batch);
		cr_expect(nf == 1 && batch == 1, "%u files, batch %" PRIu64, nf, batch);
		ck_free(&d, 1);
		run_fini(&r);
	}

	/* b is gone: counted, warned about, and the next batch is new files */
	char f[128];
	snprintf(f, sizeof(f), "%s/b", dir);
	cr_assert_eq(unlink(f), 0);
	rs.replay_log = blob_of(&c[1].log);
	run_restored(&r, &sl_source_file_ops, newest, &rs);
	expect_epoch(&r.eng, 0, "c1");
	expect_epoch(&r.eng, 1, "d1");
	cr_expect_eq(r.eng.core[0].stats.files_skipped, 1);
	cr_expect(strstr(r.eng.log, "/b' vanished before it was read") != NULL, "%s", r.eng.log);
	run_fini(&r);
	ck_free(c, 2);
	ck_free(&cc, 1);
	rm_tree(dir);
}

/* Commit batch `batch` of dir's log listing the given files. */
static void log_commit(const char *dir, uint64_t batch, const char *const *files)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(dfd >= 0);
	char err[512] = "";
	struct sl_commit_log *log = sl_commit_log_open(dfd, dir, err, sizeof(err));
	cr_assert_not_null(log, "%s", err);
	struct sl_commit_file v[8];
	uint32_t n = 0;
	for (; files[n] != NULL; n++)
		v[n] = (struct sl_commit_file){.path = files[n], .size = 3, .rows = 1};
	struct sl_commit_batch b = {.batch = batch, .epoch = batch, .rows = n, .nfiles = n,
				    .files = v};
	sl_commit_run_id(b.run);
	cr_assert_eq(sl_commit_log_add(log, &b, err, sizeof(err)), 0, "%s", err);
	sl_commit_log_close(log);
	close(dfd);
}

/* Log mode: the offset says how far into a sink's log batch the source
 * got, so a restart takes the rest of that batch, then what follows;
 * an uncommitted epoch's files come again first. */
Test(source_file, checkpoint_log_mode_resumes_inside_a_log_batch)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "p0.txt", "x0\n", 1);
	put_file(dir, "p1.txt", "x1\n", 2);
	put_file(dir, "p2.txt", "x2\n", 3);
	const char *b0[] = {"p0.txt", "p1.txt", NULL}, *b1[] = {"p2.txt", NULL};
	log_commit(dir, 0, b0);
	log_commit(dir, 1, b1);
	char p[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "max_files_per_trigger=1", NULL};
	struct run r;
	run_open_ops(&r, &sl_source_file_ops, 1, kv, true, NULL);
	atomic_store(&r.eng.held_commits, true);
	run_go(&r);
	run_join(&r);
	expect_epoch(&r.eng, 0, "x0");
	expect_epoch(&r.eng, 1, "x1");
	expect_epoch(&r.eng, 2, "x2");
	struct ck_out c[2];
	ck_take(&r, 0, false, &c[0]); /* one file of log batch 0 taken */
	ck_take(&r, 1, false, &c[1]);
	run_fini(&r);

	put_file(dir, "p3.txt", "x3\n", 0);
	const char *b2[] = {"p3.txt", NULL};
	log_commit(dir, 2, b2);
	struct sl_blob logs[1] = {blob_of(&c[0].log)};
	struct sl_source_restore rs = {.epoch = 0, .offset = blob_of(&c[0].off), .logs = logs,
				       .nlogs = 1};
	run_restored(&r, &sl_source_file_ops, kv, &rs);
	expect_epoch(&r.eng, 0, "x1");
	expect_epoch(&r.eng, 1, "x2");
	expect_epoch(&r.eng, 2, "x3");
	cr_expect_eq(r.eng.nrows, 3);
	run_fini(&r);

	/* replayed: x1 again first, in one batch with no limit to split */
	const char *all[] = {p, NULL};
	rs.replay = blob_of(&c[1].off);
	rs.replay_log = blob_of(&c[1].log);
	run_restored(&r, &sl_source_file_ops, all, &rs);
	expect_epoch(&r.eng, 0, "x1");
	expect_epoch(&r.eng, 1, "x2 x3");
	run_fini(&r);
	ck_free(c, 2);
	rm_tree(dir);
}

/* The table connector: a restart reads the commits after the last one
 * consumed. */
Test(source_file, checkpoint_table_resumes_after_its_commits)
{
	char dir[64], t[128];
	make_dir(dir);
	snprintf(t, sizeof(t), "%s/tbl", dir);
	struct sl_sink *s = text_sink(t, true);
	sink_rows(s, 0, "t1", true);
	sink_rows(s, 1, "t2 t3", true);
	char p[160];
	snprintf(p, sizeof(p), "path=%s", t);
	const char *kv[] = {p, "max_files_per_trigger=1", NULL};
	struct run r;
	run_open_ops(&r, &sl_source_table_ops, 1, kv, true, NULL);
	atomic_store(&r.eng.held_commits, true);
	run_go(&r);
	run_join(&r);
	expect_epoch(&r.eng, 0, "t1");
	struct ck_out c;
	ck_take(&r, 0, false, &c);
	run_fini(&r);
	sink_rows(s, 2, "t4", true);
	sl_file_sink_close(s);
	struct sl_blob logs[1] = {blob_of(&c.log)};
	struct sl_source_restore rs = {.epoch = 0, .offset = blob_of(&c.off), .logs = logs,
				       .nlogs = 1};
	run_restored(&r, &sl_source_table_ops, kv, &rs);
	expect_epoch(&r.eng, 0, "t2 t3");
	expect_epoch(&r.eng, 1, "t4");
	cr_expect_eq(r.eng.nrows, 3);
	run_fini(&r);

	/* a file source's checkpoint is not a table's */
	const char *fkv[] = {p, NULL};
	run_open_ops(&r, &sl_source_file_ops, 1, fkv, true, NULL);
	char err[1024] = "";
	cr_expect_eq(sl_source_file_ops.restore(r.src, &rs, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "checkpoint source log for 's' was written by a table source, but "
			      "'s' is now a file source (option 'connector'); use a new checkpoint "
			      "directory") != NULL,
		  "%s", err);
	run_go(&r);
	run_stop(&r);
	run_fini(&r);
	ck_free(&c, 1);
	rm_tree(dir);
}

/* restore() refuses what another source, or another version, wrote. */
Test(source_file, checkpoint_of_another_source_is_refused)
{
	char dir[64], other[64];
	make_dir(dir);
	make_dir(other);
	put_file(dir, "a", "a1\n", 1);
	char p[128], q[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	snprintf(q, sizeof(q), "path=%s", other);
	const char *kv[] = {p, NULL};
	struct run r;
	run_open_ops(&r, &sl_source_file_ops, 1, kv, true, NULL);
	atomic_store(&r.eng.held_commits, true);
	run_go(&r);
	run_join(&r);
	struct ck_out c;
	ck_take(&r, 0, false, &c);
	run_fini(&r);
	struct sl_blob logs[1] = {blob_of(&c.log)};
	struct sl_source_restore rs = {.epoch = 0, .offset = blob_of(&c.off), .logs = logs,
				       .nlogs = 1};
	static const struct {
		int which; /* 0 another directory, 1 another format, 2 version, 3 log identity,
			    * 4 cut short */
		const char *want;
	} cases[] = {
		{0, "' is for '"},
		{1, "was written for format 'text', but the source now reads format 'csv' (option "
		    "'format'); use a new checkpoint directory"},
		{2, "has its offset in format version 9 of the file source, which this build does "
		    "not read (it writes version 1); use a new checkpoint directory"},
		{3, "has its log entry 0 written for another source"},
		{4, "has a damaged offset"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *csv[] = {p, "format=csv", NULL};
		const char *oth[] = {q, NULL};
		struct sl_strbuf off, log;
		sl_strbuf_init(&off);
		sl_strbuf_init(&log);
		cr_assert_eq(sl_strbuf_append(&off, c.off.ptr, c.off.len), 0);
		cr_assert_eq(sl_strbuf_append(&log, c.log.ptr, c.log.len), 0);
		if (cases[i].which == 2)
			off.ptr[0] = 9;
		if (cases[i].which == 3)
			log.ptr[5] ^= 1;
		if (cases[i].which == 4)
			off.len -= 3;
		struct sl_blob l[1] = {blob_of(&log)};
		struct sl_source_restore bad = rs;
		bad.offset = blob_of(&off);
		bad.logs = l;
		run_open_ops(&r, &sl_source_file_ops, 1,
			     cases[i].which == 0 ? oth : cases[i].which == 1 ? csv : kv, true, NULL);
		char err[1024] = "";
		cr_expect_eq(sl_source_file_ops.restore(r.src, &bad, err, sizeof(err)), -EINVAL,
			     "case %zu", i);
		cr_expect(strstr(err, "checkpoint source log for 's' ") == err &&
				  strstr(err, cases[i].want) != NULL &&
				  strstr(err, "; use a new checkpoint directory") != NULL,
			  "case %zu: %s", i, err);
		run_go(&r);
		run_stop(&r);
		run_fini(&r);
		sl_strbuf_free(&off);
		sl_strbuf_free(&log);
	}
	ck_free(&c, 1);
	rm_tree(dir);
	rm_tree(other);
}

/* clean_source deletes a batch's files only once its epoch is committed
 * (durable in the checkpoint), not when it is written; under
 * available_now the query ends only once they are cleaned. */
Test(source_file, checkpoint_clean_source_waits_for_the_commit)
{
	char dir[64];
	make_dir(dir);
	put_file(dir, "a", "a1\n", 1);
	char p[128], f[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	snprintf(f, sizeof(f), "%s/a", dir);
	const char *kv[] = {p, "clean_source=delete", NULL};
	struct run r;
	run_open_ops(&r, &sl_source_file_ops, 1, kv, true, NULL);
	atomic_store(&r.eng.held_commits, true);
	run_go(&r);
	wait_settled(&r, 1);
	nap_ms(200);
	cr_expect(exists(f), "deleted before its epoch was committed");
	cr_expect_not(atomic_load(&r.eng.core[0].drained), "ended with a file not cleaned");
	struct ck_out c;
	ck_take(&r, 0, false, &c);
	run_join(&r);
	cr_expect_not(exists(f), "not deleted once committed");
	expect_epoch(&r.eng, 0, "a1");
	run_fini(&r);
	ck_free(&c, 1);
	rm_tree(dir);
}

/* An input read through read_at (as S3 objects are) gives the same lines
 * as the file itself, for every split into parts, with reads that come
 * back short (a callback may return fewer bytes than asked) and an error
 * that reaches fill() as -errno. */
struct mem_input {
	const char *p;
	size_t n;
	size_t max_read; /* at most this much per call */
	uint64_t fail_at; /* a read at or past this offset fails (UINT64_MAX: never) */
	uint32_t calls;
};

static ssize_t mem_read_at(void *ctx, void *buf, size_t n, uint64_t off)
{
	struct mem_input *m = ctx;
	m->calls++;
	if (off >= m->fail_at)
		return -EIO;
	if (off >= m->n)
		return 0;
	size_t k = m->n - off < n ? m->n - (size_t)off : n;
	if (k > m->max_read)
		k = m->max_read;
	memcpy(buf, m->p + off, k);
	return (ssize_t)k;
}

Test(source_file, read_at_input_same_lines_as_fd)
{
	char text[20000];
	size_t n = 0;
	for (int i = 0; n < sizeof(text) - 64; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "line %d %.*s\n", i, i % 23,
				      "abcdefghijklmnopqrstuvwxyz");
	char path[64];
	int fd = temp_file(text, n, path);
	struct sl_file_reader *r = sl_file_reader_create(1 << 16, true);
	struct mem_input m = {.p = text, .n = n, .max_read = 777, .fail_at = UINT64_MAX};
	struct sl_file_input in = {.fd = -1, .read_at = mem_read_at, .ctx = &m};
	for (uint32_t parts = 1; parts <= 4; parts++) {
		static char want[40000], got[40000];
		want[0] = got[0] = '\0';
		for (uint32_t i = 0; i < parts; i++) {
			uint64_t s, e;
			sl_file_split_part(n, parts, i, &s, &e);
			read_part(r, fd, n, s, e, want, sizeof(want));
			struct sl_str lines[7];
			cr_assert_eq(sl_file_reader_open_input(r, &in, n, s, e), 0);
			for (;;) {
				uint32_t k = sl_file_reader_lines(r, lines, 7);
				for (uint32_t j = 0; j < k; j++) {
					size_t used = strlen(got);
					memcpy(got + used, lines[j].ptr, lines[j].len);
					got[used + lines[j].len] = '\n';
					got[used + lines[j].len + 1] = '\0';
				}
				if (k > 0)
					continue;
				if (sl_file_reader_done(r))
					break;
				cr_assert(sl_file_reader_fill(r) >= 0);
			}
		}
		cr_expect_str_eq(got, want, "%u parts", parts);
	}
	cr_expect_gt(m.calls, n / 777);
	cr_expect_eq(sl_file_line_number_input(&in, 0), 1);
	/* a failing input: fill() says so */
	m.fail_at = 5000;
	cr_assert_eq(sl_file_reader_open_input(r, &in, n, 0, n), 0);
	int rc = 0;
	struct sl_str l[64];
	while (rc >= 0 && !sl_file_reader_done(r)) {
		while (sl_file_reader_lines(r, l, 64) > 0)
			;
		rc = sl_file_reader_fill(r);
		if (rc == 0)
			break;
	}
	cr_expect_eq(rc, -EIO);
	sl_file_reader_destroy(r);
	close(fd);
	unlink(path);
}
