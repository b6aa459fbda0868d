/*
 * test_source_batches.c — the "batches" test source: option validation
 * (every message), the file's sections and rows (delimiters, NULL, CAST
 * from STRING, malformed rows), open()'s refusals, and that a section is
 * one commit that waits for the cut of the one before.
 *
 * The engine's side of source.h (sl_ingest_*) is mocked: a commit records
 * its rows as text under the mock's epoch; a poll moves the epoch up to the
 * mock's cut, which the test raises (or every commit does, with auto_cut).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "source.h"
#include "spec_fixture.h"

extern const struct sl_source_ops sl_source_batches_ops;

#define MAX_COLS 6

/* ------------------------------------------------------------------ */
/* mock ingest                                                         */

struct sl_ingest {
	uint32_t idx;
	struct sl_chunk batch;
	struct sl_vec cols[MAX_COLS];
	struct sl_str store[MAX_COLS][SL_INGEST_BATCH_ROWS]; /* widest value: 16 bytes */
	uint8_t nulls[MAX_COLS][SL_INGEST_BATCH_ROWS];
	struct sl_source_stats stats;
	int wake_fd;
	atomic_bool stop;
	atomic_bool auto_cut;
	_Atomic uint64_t cut;   /* epochs below it are cut */
	_Atomic uint64_t epoch; /* the epoch being filled */
	_Atomic uint32_t commits;
	_Atomic uint64_t done_through; /* sl_ingest_epoch_done: epoch + 1 */
	_Atomic uint32_t dones;
	pthread_mutex_t mu;     /* guards out */
	char out[16384];        /* per commit: "E<epoch>:" then rows "v|v|v;" and '\n' */
	size_t outlen;
	char fail[512];
	bool failed;
};

static void mock_init(struct sl_ingest *in, const struct sl_schema *sc)
{
	memset(in, 0, sizeof(*in));
	cr_assert(sc->ncols <= MAX_COLS);
	for (uint32_t c = 0; c < sc->ncols; c++) {
		in->cols[c].type = sc->cols[c].type;
		in->cols[c].v.str = in->store[c];
		in->cols[c].nulls = in->nulls[c];
	}
	in->batch.ncols = sc->ncols;
	in->batch.cols = in->cols;
	in->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cr_assert(in->wake_fd >= 0);
	atomic_store(&in->auto_cut, true);
	pthread_mutex_init(&in->mu, NULL);
}

static void mock_fini(struct sl_ingest *in)
{
	close(in->wake_fd);
	pthread_mutex_destroy(&in->mu);
}

static void mock_wake(struct sl_ingest *in)
{
	uint64_t one = 1;
	cr_assert_eq(write(in->wake_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
}

static void out_add(struct sl_ingest *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(in->out + in->outlen, sizeof(in->out) - in->outlen, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && in->outlen + (size_t)n < sizeof(in->out));
	in->outlen += (size_t)n;
}

int sl_ingest_poll(struct sl_ingest *in)
{
	if (atomic_load(&in->stop))
		return -ECANCELED;
	uint64_t cut = atomic_load(&in->cut);
	if (cut > atomic_load(&in->epoch))
		atomic_store(&in->epoch, cut);
	return 0;
}

int sl_ingest_commit(struct sl_ingest *in)
{
	pthread_mutex_lock(&in->mu);
	out_add(in, "E%" PRIu64 ":", atomic_load(&in->epoch));
	for (uint32_t r = 0; r < in->batch.nrows; r++) {
		for (uint32_t c = 0; c < in->batch.ncols; c++) {
			const struct sl_vec *v = &in->cols[c];
			const char *sep = c + 1 < in->batch.ncols ? "|" : ";";
			if (v->nulls[r]) {
				out_add(in, "NULL%s", sep);
				continue;
			}
			switch (v->type) {
			case SL_TYPE_BOOLEAN:
				out_add(in, "%s%s", v->v.b[r] ? "true" : "false", sep);
				break;
			case SL_TYPE_DOUBLE:
				out_add(in, "%g%s", v->v.f64[r], sep);
				break;
			case SL_TYPE_STRING:
				out_add(in, "%.*s%s", (int)v->v.str[r].len, v->v.str[r].ptr, sep);
				break;
			default:
				out_add(in, "%" PRId64 "%s", v->v.i64[r], sep);
				break;
			}
		}
	}
	out_add(in, "\n");
	pthread_mutex_unlock(&in->mu);
	in->batch.nrows = 0;
	atomic_fetch_add(&in->commits, 1);
	if (atomic_load(&in->auto_cut)) /* the engine cuts as soon as rows came */
		atomic_store(&in->cut, atomic_load(&in->epoch) + 1);
	return sl_ingest_poll(in);
}

uint64_t sl_ingest_epoch(const struct sl_ingest *in)
{
	return atomic_load(&in->epoch);
}

/* A section is the epoch's whole part: said done after its commit, for the
 * epoch the rows went into, once per section. */
void sl_ingest_epoch_done(struct sl_ingest *in, uint64_t epoch)
{
	atomic_store(&in->done_through, epoch + 1);
	atomic_fetch_add(&in->dones, 1);
}

/* the mock engine writes a batch as soon as it cuts it, and never has a
 * batch without input due */
uint64_t sl_ingest_settled(const struct sl_ingest *in)
{
	return atomic_load(&in->epoch);
}

#include "mock_ingest.h"

void sl_ingest_log(struct sl_ingest *in, const char *fmt, ...)
{
	(void)in;
	(void)fmt;
}

/* ------------------------------------------------------------------ */
/* specs and files                                                     */

/* The batches source's spec "s"; cols NULL: value STRING, as the planner
 * gives a source without a column list. */
static void make_spec(struct spec_buf *b, const char *cols, const char *const *kv)
{
	spec_fill(b, "s", "batches", cols != NULL ? cols : "value STRING", kv);
}

/* A temporary file holding text; its path into path[64]. */
static void write_file(char path[64], const char *text)
{
	snprintf(path, 64, "/tmp/sl-test-batches.XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	size_t n = strlen(text);
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* validate                                                            */

struct validate_case {
	const char *cols;
	const char *kv[6];
	const char *want; /* NULL: valid */
};

static const struct validate_case validate_cases[] = {
	{NULL, {"path=b.txt"}, NULL},
	{"ts TIMESTAMP,word STRING,n INT", {"path=b.txt", "delimiter=;"}, NULL},
	{"a BOOLEAN,b BIGINT,c DOUBLE", {"path=b.txt", "delimiter=\t"}, NULL},
	{NULL, {"connector=batches", "path=b.txt"}, NULL},
	{NULL, {}, "line 1, column 1: batches source 's' needs option 'path', the file of "
		   "sections, e.g. path = 'batches.txt'"},
	{NULL, {"path="}, "line 2, column 3: option 'path' is empty; name the file of sections, "
			  "e.g. path = 'batches.txt'"},
	{NULL, {"path=b.txt", "delimiter=::"},
	 "line 2, column 13: option 'delimiter' must be one character other than a line end, "
	 "such as ',', ';' or '\\t', not '::'"},
	{NULL, {"path=b.txt", "delimiter="},
	 "line 2, column 13: option 'delimiter' must be one character other than a line end, "
	 "such as ',', ';' or '\\t', not ''"},
	{NULL, {"path=b.txt", "delimiter=\n"},
	 "line 2, column 13: option 'delimiter' must be one character other than a line end, "
	 "such as ',', ';' or '\\t', not '\n'"},
	{NULL, {"path=b.txt", "format=csv"},
	 "line 2, column 13: unknown option 'format' for connector 'batches' (known options: "
	 "path, delimiter)"},
	{"a ARRAY", {"path=b.txt"},
	 "line 1, column 1: column 'a' of source 's' is ARRAY; the batches connector reads "
	 "BOOLEAN, INT, BIGINT, DOUBLE, STRING, BINARY and TIMESTAMP"},
};

Test(source_batches, validate_messages)
{
	for (size_t i = 0; i < sizeof(validate_cases) / sizeof(validate_cases[0]); i++) {
		const struct validate_case *vc = &validate_cases[i];
		struct spec_buf b;
		make_spec(&b, vc->cols, vc->kv);
		char err[512] = "";
		int rc = sl_source_batches_ops.validate(&b.spec, err, sizeof(err));
		if (vc->want == NULL) {
			cr_expect_eq(rc, 0, "case %zu: %s", i, err);
		} else {
			cr_expect_eq(rc, -EINVAL, "case %zu", i);
			cr_expect_str_eq(err, vc->want, "case %zu", i);
		}
	}
}

/* ------------------------------------------------------------------ */
/* running                                                             */

struct runner {
	struct sl_ingest in;
	struct sl_source *src;
	uint32_t idx;
	int rc;
	char path[64];
};

/* Open the source on text (options besides path in kv); NULL and err. */
static struct sl_source *open_on(struct runner *r, struct spec_buf *b, const char *cols,
				 const char *text, const char *const *kv,
				 const struct sl_settings *set, char *err, size_t errlen)
{
	write_file(r->path, text);
	const char *opts[8] = {NULL};
	char popt[80];
	snprintf(popt, sizeof(popt), "path=%s", r->path);
	opts[0] = popt;
	for (uint32_t i = 0; kv != NULL && kv[i] != NULL && i < 6; i++)
		opts[i + 1] = kv[i];
	make_spec(b, cols, opts);
	cr_assert_eq(sl_source_batches_ops.validate(&b->spec, err, errlen), 0, "%s", err);
	mock_init(&r->in, &b->spec.schema);
	return sl_source_batches_ops.open(&b->spec, set, 1, err, errlen);
}

static void *run_thread(void *arg)
{
	struct runner *r = arg;
	r->rc = sl_source_batches_ops.run(r->src, &r->in, r->idx);
	return NULL;
}

/* Run to the end with a cut after every commit; the commits' text. */
static const char *run_all(struct runner *r, const char *cols, const char *text,
			   const char *const *kv, const struct sl_settings *set)
{
	struct spec_buf b;
	char err[512] = "";
	r->src = open_on(r, &b, cols, text, kv, set, err, sizeof(err));
	cr_assert(r->src != NULL, "%s", err);
	r->rc = sl_source_batches_ops.run(r->src, &r->in, 0);
	cr_assert_eq(r->rc, 0);
	cr_assert(!r->in.failed, "%s", r->in.fail);
	sl_source_batches_ops.close(r->src);
	unlink(r->path);
	return r->in.out;
}

Test(source_batches, sections_are_commits_in_order)
{
	static const char text[] =
		"2024-01-01 12:00:00,a,1\n"     /* line 1 */
		"2024-01-01T12:05:30.5Z,b,-2\r\n"
		"---\n"
		"---\r\n"                        /* an empty section: no commit */
		"2024-01-01 12:06:00,c,x\n"      /* INT does not convert */
		"noon,c,3\n"                     /* TIMESTAMP does not convert */
		"2024-01-01 12:07:00,c\n"        /* a field short */
		"2024-01-01 12:07:00,c,1,2\n"    /* a field too many */
		"---\n"                          /* every row bad: no commit */
		",null,\n"                       /* every field NULL */
		"2024-01-01 12:08:00, d ,2147483647\n"
		"2024-01-01 12:09:00,e,2147483648\n" /* INT overflows */
		"---\n"
		"2024-01-01 12:10:00,f, 7 "; /* a last section without '---' or '\n' */
	struct runner r;
	const char *out = run_all(&r, "ts TIMESTAMP,word STRING,n INT", text, NULL, NULL);
	cr_expect_str_eq(out,
			 "E0:1704110400000000|a|1;1704110730500000|b|-2;\n"
			 "E1:NULL|NULL|NULL;1704110880000000| d |2147483647;\n"
			 "E2:1704111000000000|f|7;\n");
	cr_expect_eq(r.in.stats.rows, 5);
	cr_expect_eq(r.in.stats.malformed, 5);
	cr_expect_eq(r.in.stats.bytes, strlen(text));
	/* each commit was said done, the last for epoch 2 (a union's engine
	 * waits for that before it cuts) */
	cr_expect_eq(atomic_load(&r.in.dones), 3);
	cr_expect_eq(atomic_load(&r.in.done_through), 3);
	mock_fini(&r.in);
}

Test(source_batches, delimiter_and_types)
{
	static const char text[] = "true;1e3;-9000000000\n"
				   "no;NaN;7.9\n"
				   "maybe;1;1\n"; /* not a BOOLEAN */
	static const char *const kv[] = {"delimiter=;", NULL};
	struct runner r;
	const char *out = run_all(&r, "b BOOLEAN,d DOUBLE,l BIGINT", text, kv, NULL);
	cr_expect_str_eq(out, "E0:true|1000|-9000000000;false|nan|7;\n");
	cr_expect_eq(r.in.stats.malformed, 1);
	mock_fini(&r.in);
}

Test(source_batches, one_column_is_the_whole_line)
{
	/* without a column list: the line as it is, commas included; an
	 * empty line or "null" is NULL; a line over max_line_length is bad */
	static const char text[] = "a,b, c\n\nnull\nNULL\n0123456789abcdef\n";
	struct sl_settings set = {.max_line_length = 10};
	struct runner r;
	const char *out = run_all(&r, NULL, text, NULL, &set);
	cr_expect_str_eq(out, "E0:a,b, c;NULL;NULL;NULL;\n");
	cr_expect_eq(r.in.stats.malformed, 1);
	mock_fini(&r.in);
}

Test(source_batches, empty_file_is_no_epoch)
{
	struct runner r;
	cr_expect_str_eq(run_all(&r, NULL, "", NULL, NULL), "");
	mock_fini(&r.in);
	cr_expect_str_eq(run_all(&r, NULL, "---\n---\n", NULL, NULL), "");
	cr_expect_eq(r.in.stats.bytes, 8);
	mock_fini(&r.in);
}

static void wait_commits(struct sl_ingest *in, uint32_t n)
{
	for (int i = 0; i < 2000 && atomic_load(&in->commits) < n; i++)
		usleep(1000);
	cr_assert_eq(atomic_load(&in->commits), n);
}

Test(source_batches, waits_for_the_cut_before_the_next_section)
{
	struct runner r;
	struct spec_buf b;
	char err[512] = "";
	r.src = open_on(&r, &b, NULL, "a\n---\nb\n---\nc\n", NULL, NULL, err, sizeof(err));
	cr_assert(r.src != NULL, "%s", err);
	atomic_store(&r.in.auto_cut, false);
	r.idx = 0;
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, run_thread, &r), 0);
	wait_commits(&r.in, 1);
	usleep(100000); /* no cut yet: section 2 must wait */
	cr_expect_eq(atomic_load(&r.in.commits), 1);
	atomic_store(&r.in.cut, 1);
	mock_wake(&r.in);
	wait_commits(&r.in, 2);
	usleep(50000);
	cr_expect_eq(atomic_load(&r.in.commits), 2);
	/* a stop while waiting: run() returns without section 3 */
	atomic_store(&r.in.stop, true);
	mock_wake(&r.in);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_expect_eq(r.rc, 0);
	cr_expect_eq(atomic_load(&r.in.commits), 2);
	cr_expect_str_eq(r.in.out, "E0:a;\nE1:b;\n");
	sl_source_batches_ops.close(r.src);
	unlink(r.path);
	mock_fini(&r.in);
}

Test(source_batches, other_threads_return_at_once)
{
	struct runner r;
	struct spec_buf b;
	char err[512] = "";
	r.src = open_on(&r, &b, NULL, "a\n", NULL, NULL, err, sizeof(err));
	cr_assert(r.src != NULL, "%s", err);
	cr_expect_eq(sl_source_batches_ops.run(r.src, &r.in, 1), 0);
	cr_expect_eq(atomic_load(&r.in.commits), 0);
	sl_source_batches_ops.close(r.src);
	unlink(r.path);
	mock_fini(&r.in);
}

/* ------------------------------------------------------------------ */
/* open() refusals                                                     */

Test(source_batches, refuses_a_section_over_one_batch)
{
	size_t cap = 8 * 2048;
	char *text = malloc(cap);
	cr_assert(text != NULL);
	size_t n = (size_t)snprintf(text, cap, "a\n---\n");
	for (int i = 0; i < SL_INGEST_BATCH_ROWS; i++)
		n += (size_t)snprintf(text + n, cap - n, "w%d\n", i);
	/* 1024 rows fit */
	struct runner r;
	struct spec_buf b;
	char err[512] = "";
	r.src = open_on(&r, &b, NULL, text, NULL, NULL, err, sizeof(err));
	cr_expect(r.src != NULL, "%s", err);
	sl_source_batches_ops.close(r.src);
	unlink(r.path);
	mock_fini(&r.in);
	/* 1025 do not */
	snprintf(text + n, cap - n, "one more\n---\nb\n");
	r.src = open_on(&r, &b, NULL, text, NULL, NULL, err, sizeof(err));
	cr_expect(r.src == NULL);
	char want[512];
	snprintf(want, sizeof(want),
		 "batches source 's': %s: the section starting at line 3 has 1025 rows; at most "
		 "1024 fit in one micro-batch (one commit of an ingest core); split it with a "
		 "line '---'",
		 r.path);
	cr_expect_str_eq(err, want);
	unlink(r.path);
	mock_fini(&r.in);
	free(text);
}

Test(source_batches, refuses_a_missing_file)
{
	struct spec_buf b;
	static const char *const kv[] = {"path=/nonexistent/batches.txt", NULL};
	make_spec(&b, NULL, kv);
	char err[512] = "";
	cr_assert_eq(sl_source_batches_ops.validate(&b.spec, err, sizeof(err)), 0);
	cr_expect(sl_source_batches_ops.open(&b.spec, NULL, 1, err, sizeof(err)) == NULL);
	cr_expect_str_eq(err, "batches source 's': cannot read '/nonexistent/batches.txt': No such "
			      "file or directory; check option 'path' (a relative path starts from "
			      "the directory sluice runs in)");
}
