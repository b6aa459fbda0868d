/*
 * test_source_options.c — the line sources: option validation of the socket
 * and generator connectors (every message), the generator's text, and the
 * socket source against real loopback peers.
 *
 * The engine's side of source.h (sl_ingest_*) is mocked here: a mock ingest
 * thread copies every committed row into memory, counts polls, keeps log
 * lines, and lets the test ask for a stop or pause commit() (rings full).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lines.h"
#include "source.h"
#include "spec_fixture.h"
#include "source_gen.h"

extern const struct sl_source_ops sl_source_socket_ops;
extern const struct sl_source_ops sl_source_gen_ops;

/* ------------------------------------------------------------------ */
/* mock ingest                                                         */

struct sl_ingest {
	uint32_t idx;
	struct sl_chunk batch;
	struct sl_vec col;
	struct sl_str strs[SL_INGEST_BATCH_ROWS];
	uint8_t nulls[SL_INGEST_BATCH_ROWS];
	struct sl_source_stats stats; /* the source thread's; read after it returns */
	int wake_fd;
	atomic_bool stop;
	atomic_bool paused;           /* commit() blocks while set: rings full */
	atomic_uint_fast64_t committed; /* rows committed so far */
	atomic_uint_fast64_t polls;
	atomic_uint_fast64_t commits;
	uint64_t committed_bytes;     /* line bytes + '\n' of committed rows */
	uint64_t max_unconsumed;      /* high-water of bytes read but not yet committed */
	pthread_mutex_t mu;           /* guards lines and log */
	size_t n, cap;
	char **lines;
	uint32_t *lens;
	char log[16384];
	size_t loglen;
	char fail[512];
	bool failed;
};

static void mock_init(struct sl_ingest *in, uint32_t idx)
{
	memset(in, 0, sizeof(*in));
	in->idx = idx;
	in->col.type = SL_TYPE_STRING;
	in->col.v.str = in->strs;
	in->col.nulls = in->nulls;
	in->batch.ncols = 1;
	in->batch.cols = &in->col;
	in->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cr_assert(in->wake_fd >= 0);
	pthread_mutex_init(&in->mu, NULL);
}

static void mock_fini(struct sl_ingest *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->lines[i]);
	free(in->lines);
	free(in->lens);
	close(in->wake_fd);
	pthread_mutex_destroy(&in->mu);
}

static void mock_stop(struct sl_ingest *in)
{
	atomic_store(&in->stop, true);
	uint64_t one = 1;
	cr_assert_eq(write(in->wake_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
}

static size_t mock_count(struct sl_ingest *in)
{
	return (size_t)atomic_load(&in->committed);
}

static bool mock_log_has(struct sl_ingest *in, const char *s)
{
	pthread_mutex_lock(&in->mu);
	bool r = strstr(in->log, s) != NULL;
	pthread_mutex_unlock(&in->mu);
	return r;
}

#include "mock_ingest.h"

int sl_ingest_commit(struct sl_ingest *in)
{
	uint64_t unconsumed = in->stats.bytes - in->committed_bytes;
	if (unconsumed > in->max_unconsumed)
		in->max_unconsumed = unconsumed;
	pthread_mutex_lock(&in->mu);
	for (uint32_t r = 0; r < in->batch.nrows; r++) {
		cr_assert_eq(in->nulls[r], 0);
		if (in->n == in->cap) {
			in->cap = in->cap ? in->cap * 2 : 1024;
			in->lines = realloc(in->lines, in->cap * sizeof(*in->lines));
			in->lens = realloc(in->lens, in->cap * sizeof(*in->lens));
			cr_assert(in->lines != NULL && in->lens != NULL);
		}
		struct sl_str s = in->strs[r];
		in->lines[in->n] = malloc(s.len + 1);
		memcpy(in->lines[in->n], s.ptr, s.len);
		in->lines[in->n][s.len] = '\0';
		in->lens[in->n] = s.len;
		in->n++;
		in->committed_bytes += s.len + 1;
	}
	pthread_mutex_unlock(&in->mu);
	atomic_fetch_add(&in->committed, in->batch.nrows);
	atomic_fetch_add(&in->commits, 1);
	in->batch.nrows = 0;
	while (atomic_load(&in->paused) && !atomic_load(&in->stop))
		usleep(1000);
	return atomic_load(&in->stop) ? -ECANCELED : 0;
}

int sl_ingest_poll(struct sl_ingest *in)
{
	atomic_fetch_add(&in->polls, 1);
	return atomic_load(&in->stop) ? -ECANCELED : 0;
}

void sl_ingest_log(struct sl_ingest *in, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&in->mu);
	va_start(ap, fmt);
	int n = vsnprintf(in->log + in->loglen, sizeof(in->log) - in->loglen, fmt, ap);
	va_end(ap);
	if (n > 0 && in->loglen + (size_t)n + 1 < sizeof(in->log)) {
		in->loglen += (size_t)n;
		in->log[in->loglen++] = '\n';
		in->log[in->loglen] = '\0';
	}
	pthread_mutex_unlock(&in->mu);
}

/* ------------------------------------------------------------------ */
/* specs                                                               */

/* A source spec built from "key=value" strings; option i sits at line 2,
 * column 10 * i + 3. The spec itself is at line 1, column 1. */
static void make_spec(struct spec_buf *b, const char *connector, const char *cols,
		      const char *const *kv)
{
	spec_fill(b, "lines", connector, cols, kv);
}

struct validate_case {
	const char *connector;
	const char *cols;
	const char *kv[8];
	const char *want; /* NULL: valid */
};

static const struct validate_case validate_cases[] = {
	/* socket: valid */
	{"socket", "value STRING", {"port=9994"}, NULL},
	{"socket", NULL, {"connector=socket", "host=localhost", "port=9994"}, NULL},
	{"socket", "VALUE STRING", {"host=::1", "port=1", "reconnect=true"}, NULL},
	{"socket", NULL, {"port=0", "listen=true"}, NULL},
	{"socket", NULL, {"listen=TRUE", "port=65535", "reconnect=false"}, NULL},
	/* socket: errors */
	{"socket", NULL, {"port=9994", "prot=1"},
	 "line 2, column 13: unknown option 'prot' for connector 'socket' (known options: host, "
	 "port, listen, reconnect)"},
	{"socket", NULL, {"host=localhost"},
	 "line 1, column 1: socket source 'lines' needs option 'port', e.g. port = 9994"},
	{"socket", NULL, {"port=70000"},
	 "line 2, column 3: option 'port' must be a whole number from 0 to 65535, not '70000'"},
	{"socket", NULL, {"port=99x"},
	 "line 2, column 3: option 'port' must be a whole number from 0 to 65535, not '99x'"},
	{"socket", NULL, {"port=-1"},
	 "line 2, column 3: option 'port' must be a whole number from 0 to 65535, not '-1'"},
	{"socket", NULL, {"port=0"},
	 "line 2, column 3: port = 0 (any free port) needs listen = true; to connect, name the "
	 "server's port, from 1 to 65535"},
	{"socket", NULL, {"port=1", "listen=yes"},
	 "line 2, column 13: option 'listen' must be true or false, not 'yes'"},
	{"socket", NULL, {"port=1", "reconnect=1"},
	 "line 2, column 13: option 'reconnect' must be true or false, not '1'"},
	{"socket", NULL, {"port=1", "listen=true", "reconnect=true"},
	 "line 2, column 23: option 'reconnect' applies only when listen = false; a listening "
	 "source waits for its producers anyway"},
	{"socket", NULL, {"host=", "port=1"},
	 "line 2, column 3: option 'host' must be a host name such as 'localhost' or an address "
	 "such as '127.0.0.1' or '::1', not ''"},
	{"socket", "value INT", {"port=1"},
	 "line 1, column 1: source 'lines' (connector 'socket') has the fixed schema (value "
	 "STRING), not (value INT); declare it as CREATE SOURCE lines (value STRING) or leave the "
	 "columns out"},
	{"socket", "value STRING,ts TIMESTAMP", {"port=1"},
	 "line 1, column 1: source 'lines' (connector 'socket') has the fixed schema (value "
	 "STRING), not (value STRING, ts TIMESTAMP); declare it as CREATE SOURCE lines (value "
	 "STRING) or leave the columns out"},
	{"socket", "line STRING", {"port=1"},
	 "line 1, column 1: source 'lines' (connector 'socket') has the fixed schema (value "
	 "STRING), not (line STRING); declare it as CREATE SOURCE lines (value STRING) or leave "
	 "the columns out"},
	/* generator: valid */
	{"generator", NULL, {NULL}, NULL},
	{"generator", "value STRING",
	 {"connector=generator", "words=40", "words_per_line=8", "rows_per_second=20"}, NULL},
	{"generator", NULL, {"rows=1000", "seed=7", "pregenerate=true"}, NULL},
	{"generator", NULL, {"bytes=100M", "pregenerate=true"}, NULL},
	{"generator", NULL, {"bytes=1 GiB"}, NULL},
	/* generator: errors */
	{"generator", NULL, {"rows=1", "wrods=3"},
	 "line 2, column 13: unknown option 'wrods' for connector 'generator' (known options: "
	 "words, words_per_line, rows_per_second, rows, bytes, seed, pregenerate)"},
	{"generator", NULL, {"words=0"},
	 "line 2, column 3: option 'words' must be a whole number from 1 to 16777216, not '0'"},
	{"generator", NULL, {"words=16777217"},
	 "line 2, column 3: option 'words' must be a whole number from 1 to 16777216, not "
	 "'16777217'"},
	{"generator", NULL, {"words_per_line=0"},
	 "line 2, column 3: option 'words_per_line' must be a whole number from 1 to 1000, not "
	 "'0'"},
	{"generator", NULL, {"rows_per_second=fast"},
	 "line 2, column 3: option 'rows_per_second' must be a whole number from 0 to "
	 "1000000000000, not 'fast'"},
	{"generator", NULL, {"rows=ten"},
	 "line 2, column 3: option 'rows' must be a whole number from 0 to 9223372036854775807, "
	 "not 'ten'"},
	{"generator", NULL, {"seed=-3"},
	 "line 2, column 3: option 'seed' must be a whole number from 0 to 18446744073709551615, "
	 "not '-3'"},
	{"generator", NULL, {"pregenerate=on"},
	 "line 2, column 3: option 'pregenerate' must be true or false, not 'on'"},
	{"generator", NULL, {"bytes=10X"},
	 "line 2, column 3: option 'bytes' must be a size from 1 to 1024T such as '100M' or '1G' "
	 "(K, M, G, T are powers of 1024), not '10X'"},
	{"generator", NULL, {"bytes=0"},
	 "line 2, column 3: option 'bytes' must be a size from 1 to 1024T such as '100M' or '1G' "
	 "(K, M, G, T are powers of 1024), not '0'"},
	{"generator", NULL, {"rows=10", "bytes=1M"},
	 "line 2, column 13: set either 'rows' or 'bytes', not both"},
	{"generator", NULL, {"words=5", "pregenerate=true"},
	 "line 2, column 13: pregenerate = true needs a bounded text; set 'rows' or 'bytes' too"},
	{"generator", "value INT", {NULL},
	 "line 1, column 1: source 'lines' (connector 'generator') has the fixed schema (value "
	 "STRING), not (value INT); declare it as CREATE SOURCE lines (value STRING) or leave the "
	 "columns out"},
};

Test(source_options, validate_table)
{
	for (size_t i = 0; i < sizeof(validate_cases) / sizeof(validate_cases[0]); i++) {
		const struct validate_case *tc = &validate_cases[i];
		struct spec_buf b;
		make_spec(&b, tc->connector, tc->cols, tc->kv);
		const struct sl_source_ops *ops = strcmp(tc->connector, "socket") == 0
							  ? &sl_source_socket_ops
							  : &sl_source_gen_ops;
		char err[512] = "";
		int rc = ops->validate(&b.spec, err, sizeof(err));
		if (tc->want == NULL) {
			cr_assert_eq(rc, 0, "case %zu: unexpected error: %s", i, err);
		} else {
			cr_assert_eq(rc, -EINVAL, "case %zu: accepted, want: %s", i, tc->want);
			cr_assert_str_eq(err, tc->want, "case %zu", i);
		}
	}
}

Test(source_options, open_validates_too)
{
	struct spec_buf b;
	const char *kv[] = {"port=0", NULL};
	make_spec(&b, "socket", NULL, kv);
	char err[512] = "";
	cr_assert_null(sl_source_socket_ops.open(&b.spec, NULL, 1, err, sizeof(err)));
	cr_assert(strstr(err, "needs listen = true") != NULL, "%s", err);
	const char *gkv[] = {"words=0", NULL};
	make_spec(&b, "generator", NULL, gkv);
	cr_assert_null(sl_source_gen_ops.open(&b.spec, NULL, 1, err, sizeof(err)));
	cr_assert(strstr(err, "option 'words'") != NULL, "%s", err);
}

/* ------------------------------------------------------------------ */
/* running sources                                                     */

struct runner {
	const struct sl_source_ops *ops;
	struct sl_source *src;
	struct sl_ingest in;
	uint32_t idx;
	int rc;
	pthread_t tid;
	atomic_bool done;
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	r->rc = r->ops->run(r->src, &r->in, r->idx);
	atomic_store(&r->done, true);
	return NULL;
}

static void runner_start(struct runner *r, const struct sl_source_ops *ops, struct sl_source *src,
			 uint32_t idx)
{
	r->ops = ops;
	r->src = src;
	r->idx = idx;
	r->rc = -1;
	atomic_store(&r->done, false);
	mock_init(&r->in, idx);
	cr_assert_eq(pthread_create(&r->tid, NULL, runner_main, r), 0);
}

static void runner_join(struct runner *r)
{
	pthread_join(r->tid, NULL);
	cr_assert(!r->in.failed, "run failed: %s", r->in.fail);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait up to ms for cond(arg); true if it held. */
static bool wait_for(bool (*cond)(void *), void *arg, uint64_t ms)
{
	uint64_t end = now_ms() + ms;
	while (now_ms() < end) {
		if (cond(arg))
			return true;
		usleep(2000);
	}
	return cond(arg);
}

static bool runner_is_done(void *arg)
{
	return atomic_load(&((struct runner *)arg)->done);
}

/* ------------------------------------------------------------------ */
/* generator                                                           */

static struct sl_source *gen_open(const char *const *kv, uint32_t n)
{
	struct spec_buf b;
	make_spec(&b, "generator", NULL, kv);
	char err[512] = "";
	struct sl_source *s = sl_source_gen_ops.open(&b.spec, NULL, n, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	return s;
}

/* Run every thread of a generator to its end; returns the runners. */
static struct runner *gen_run_all(struct sl_source *s, uint32_t n)
{
	struct runner *r = calloc(n, sizeof(*r));
	for (uint32_t i = 0; i < n; i++)
		runner_start(&r[i], &sl_source_gen_ops, s, i);
	for (uint32_t i = 0; i < n; i++) {
		runner_join(&r[i]);
		cr_assert_eq(r[i].rc, 0);
	}
	return r;
}

static void runners_free(struct runner *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		mock_fini(&r[i].in);
	free(r);
}

/* The text in line order: interleaved (line g from thread g % n) or, for
 * pregenerated text, thread ranges one after the other. */
static char *gen_text(struct runner *r, uint32_t n, bool interleaved, size_t *len)
{
	size_t total = 0, lines = 0;
	for (uint32_t i = 0; i < n; i++) {
		lines += r[i].in.n;
		for (size_t k = 0; k < r[i].in.n; k++)
			total += r[i].in.lens[k] + 1;
	}
	char *t = malloc(total + 1);
	size_t off = 0;
	for (size_t g = 0; g < lines; g++) {
		uint32_t th;
		size_t k;
		if (interleaved) {
			th = (uint32_t)(g % n);
			k = g / n;
		} else {
			size_t before = 0;
			th = 0;
			while (g - before >= r[th].in.n)
				before += r[th++].in.n;
			k = g - before;
		}
		cr_assert_lt(k, r[th].in.n);
		memcpy(t + off, r[th].in.lines[k], r[th].in.lens[k]);
		off += r[th].in.lens[k];
		t[off++] = '\n';
	}
	t[off] = '\0';
	*len = off;
	return t;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(generator, vocabulary_words_are_distinct_lowercase_3_to_10_letters)
{
	/* the first 14000 words, and windows around the points where the
	 * shortest possible length grows (26^3, 26^4, 26^5) and at the top */
	static const uint64_t starts[] = {0, 17576 - 3000, 456976 - 3000, 11881376 - 3000,
					  SL_GEN_MAX_WORDS - 6000};
	static const uint64_t counts[] = {14000, 6000, 6000, 6000, 6000};
	size_t total = 0;
	for (size_t s = 0; s < 5; s++)
		total += counts[s];
	char **w = malloc(total * sizeof(*w));
	size_t n = 0;
	unsigned by_len[SL_GEN_WORD_MAX + 1] = {0};
	for (size_t s = 0; s < 5; s++)
		for (uint64_t i = starts[s]; i < starts[s] + counts[s]; i++) {
			char buf[SL_GEN_WORD_MAX + 1];
			uint32_t len = sl_gen_word(i, buf);
			cr_assert(len >= 3 && len <= SL_GEN_WORD_MAX, "word %llu: length %u",
				  (unsigned long long)i, len);
			for (uint32_t k = 0; k < len; k++)
				cr_assert(buf[k] >= 'a' && buf[k] <= 'z');
			buf[len] = '\0';
			by_len[len]++;
			w[n++] = strdup(buf);
		}
	qsort(w, n, sizeof(*w), cmp_str);
	for (size_t i = 1; i < n; i++)
		cr_assert_str_neq(w[i - 1], w[i], "duplicate word '%s'", w[i]);
	for (uint32_t l = 3; l <= SL_GEN_WORD_MAX; l++)
		cr_assert_gt(by_len[l], 0, "no word of %u letters", l);
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
	/* a fixed function of the index: the same word every time */
	char a[SL_GEN_WORD_MAX], b[SL_GEN_WORD_MAX];
	uint32_t la = sl_gen_word(12345, a), lb = sl_gen_word(12345, b);
	cr_assert(la == lb && memcmp(a, b, la) == 0);
}

Test(generator, lines_have_words_per_line_vocabulary_words)
{
	const char *kv[] = {"words=50", "words_per_line=5", "rows=4000", NULL};
	struct sl_source *s = gen_open(kv, 1);
	struct runner *r = gen_run_all(s, 1);
	cr_assert_eq(r[0].in.n, 4000);
	char vocab[50][SL_GEN_WORD_MAX + 1];
	for (uint64_t i = 0; i < 50; i++)
		vocab[i][sl_gen_word(i, vocab[i])] = '\0';
	unsigned used[50] = {0};
	uint64_t bytes = 0;
	for (size_t k = 0; k < r[0].in.n; k++) {
		char *save = NULL, *line = r[0].in.lines[k];
		bytes += r[0].in.lens[k] + 1;
		cr_assert(line[0] != ' ' && strstr(line, "  ") == NULL &&
				  line[r[0].in.lens[k] - 1] != ' ',
			  "words must be separated by single spaces: '%s'", line);
		int words = 0;
		for (char *t = strtok_r(line, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
			int found = -1;
			for (int i = 0; i < 50 && found < 0; i++)
				if (strcmp(vocab[i], t) == 0)
					found = i;
			cr_assert_geq(found, 0, "'%s' is not in the vocabulary", t);
			used[found]++;
			words++;
		}
		cr_assert_eq(words, 5);
	}
	for (int i = 0; i < 50; i++)
		cr_assert_gt(used[i], 200, "word %d drawn %u times of 20000", i, used[i]);
	cr_assert_eq(r[0].in.stats.rows, 4000);
	cr_assert_eq(r[0].in.stats.bytes, bytes);
	runners_free(r, 1);
	sl_source_gen_ops.close(s);
}

Test(generator, deterministic_from_the_seed)
{
	const char *kv1[] = {"rows=3000", "seed=42", NULL};
	const char *kv2[] = {"rows=3000", "seed=43", NULL};
	size_t la, lb, lc;
	struct sl_source *s = gen_open(kv1, 1);
	struct runner *r = gen_run_all(s, 1);
	char *a = gen_text(r, 1, true, &la);
	runners_free(r, 1);
	sl_source_gen_ops.close(s);
	s = gen_open(kv1, 1);
	r = gen_run_all(s, 1);
	char *b = gen_text(r, 1, true, &lb);
	runners_free(r, 1);
	sl_source_gen_ops.close(s);
	s = gen_open(kv2, 1);
	r = gen_run_all(s, 1);
	char *c = gen_text(r, 1, true, &lc);
	runners_free(r, 1);
	sl_source_gen_ops.close(s);
	cr_assert(la == lb && memcmp(a, b, la) == 0, "same seed, different text");
	cr_assert(la != lc || memcmp(a, c, la) != 0, "another seed, same text");
	free(a);
	free(b);
	free(c);
}

static char *write_text(const struct sl_gen_params *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	cr_assert_not_null(f);
	cr_assert_eq(sl_gen_write_text(p, f), 0);
	fclose(f);
	return buf;
}

struct equal_case {
	const char *kv[6];
	uint32_t threads;
};

static const struct equal_case equal_cases[] = {
	{{"rows=5000", "seed=9", NULL}, 1},
	{{"rows=5000", "seed=9", NULL}, 3},
	{{"rows=5001", "words=7", "words_per_line=3", NULL}, 4},
	{{"rows=5000", "seed=9", "pregenerate=true", NULL}, 3},
	{{"bytes=300K", "words=100000", NULL}, 2},
	{{"bytes=300K", "words=100000", "pregenerate=true", NULL}, 2},
	{{"rows=2", "pregenerate=true", NULL}, 4},
};

Test(generator, equals_sl_gen_write_text)
{
	for (size_t i = 0; i < sizeof(equal_cases) / sizeof(equal_cases[0]); i++) {
		const struct equal_case *tc = &equal_cases[i];
		struct spec_buf b;
		make_spec(&b, "generator", NULL, tc->kv);
		struct sl_gen_params p;
		char err[512];
		cr_assert_eq(sl_gen_params_parse(&b.spec.options, &p, err, sizeof(err)), 0, "%s", err);
		size_t lf, lr;
		char *file = write_text(&p, &lf);
		struct sl_source *s = gen_open(tc->kv, tc->threads);
		struct runner *r = gen_run_all(s, tc->threads);
		char *run = gen_text(r, tc->threads, !p.pregenerate, &lr);
		cr_assert_eq(lr, lf, "case %zu: %zu bytes from the source, %zu in the file", i, lr, lf);
		cr_assert(memcmp(run, file, lf) == 0, "case %zu: texts differ", i);
		uint64_t rows = 0;
		for (uint32_t t = 0; t < tc->threads; t++)
			rows += r[t].in.stats.rows;
		cr_assert_eq(rows, sl_gen_total_rows(&p), "case %zu", i);
		if (p.bytes) {
			/* stops at the first line end at or past the size */
			size_t last = lf - 1;
			while (last > 0 && file[last - 1] != '\n')
				last--;
			cr_assert_geq(lf, p.bytes, "case %zu", i);
			cr_assert_lt(last, p.bytes, "case %zu", i);
		} else {
			cr_assert_eq(rows, p.rows);
		}
		free(file);
		free(run);
		runners_free(r, tc->threads);
		sl_source_gen_ops.close(s);
	}
}

Test(generator, write_text_refuses_an_unbounded_text)
{
	struct sl_gen_params p;
	sl_gen_params_default(&p);
	cr_assert_eq(sl_gen_write_text(&p, stdout), -EINVAL);
	cr_assert_eq(sl_gen_total_rows(&p), 0);
}

Test(generator, rows_per_second_paces_the_lines)
{
	const char *kv[] = {"rows=30", "rows_per_second=200", NULL};
	struct sl_source *s = gen_open(kv, 2);
	uint64_t t0 = now_ms();
	struct runner *r = gen_run_all(s, 2);
	uint64_t took = now_ms() - t0;
	/* line 29 is due 145 ms after the start */
	cr_assert_geq(took, 135, "30 rows at 200/s took %llu ms", (unsigned long long)took);
	cr_assert_lt(took, 2000);
	cr_assert_eq(r[0].in.n + r[1].in.n, 30);
	cr_assert_geq(atomic_load(&r[0].in.commits), 5, "paced lines are committed as they come");
	runners_free(r, 2);
	sl_source_gen_ops.close(s);
}

Test(generator, unbounded_runs_until_stopped)
{
	const char *kv[] = {"words=10", NULL};
	struct sl_source *s = gen_open(kv, 1);
	struct runner r;
	runner_start(&r, &sl_source_gen_ops, s, 0);
	usleep(50000);
	cr_assert(!atomic_load(&r.done));
	mock_stop(&r.in);
	cr_assert(wait_for(runner_is_done, &r, 2000));
	runner_join(&r);
	cr_assert_eq(r.rc, 0);
	cr_assert_gt(r.in.n, 1000);
	mock_fini(&r.in);
	sl_source_gen_ops.close(s);
}

Test(generator, paced_wait_notices_cuts_and_stop)
{
	const char *kv[] = {"rows_per_second=1", NULL};
	struct sl_source *s = gen_open(kv, 1);
	struct runner r;
	runner_start(&r, &sl_source_gen_ops, s, 0);
	usleep(100000);
	uint64_t one = 1;
	cr_assert_eq(write(r.in.wake_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	usleep(100000);
	cr_assert_geq(atomic_load(&r.in.polls), 1, "a cut while waiting is handled at once");
	uint64_t t0 = now_ms();
	mock_stop(&r.in);
	cr_assert(wait_for(runner_is_done, &r, 1000));
	cr_assert_lt(now_ms() - t0, 500);
	runner_join(&r);
	cr_assert_eq(r.in.n, 1, "one line is due at once, the next after a second");
	mock_fini(&r.in);
	sl_source_gen_ops.close(s);
}

/* ------------------------------------------------------------------ */
/* socket                                                              */

/* A listening socket on 127.0.0.1 and its port. */
static int test_listen(uint16_t port, uint16_t *port_out)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(fd, 64), 0);
	socklen_t l = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &l);
	if (port_out)
		*port_out = ntohs(a.sin_port);
	return fd;
}

/* A port nothing listens on (right now). */
static uint16_t free_port(void)
{
	uint16_t p;
	int fd = test_listen(0, &p);
	close(fd);
	return p;
}

static int test_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "connect: %s",
		     strerror(errno));
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		cr_assert(w > 0, "send: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static struct sl_source *sock_open(const char *const *kv, uint32_t n, uint64_t max_line, char *err,
				   size_t errlen)
{
	struct spec_buf b;
	make_spec(&b, "socket", "value STRING", kv);
	struct sl_settings set;
	memset(&set, 0, sizeof(set));
	set.max_line_length = max_line;
	return sl_source_socket_ops.open(&b.spec, &set, n, err, errlen);
}

static void expect_mock_lines(struct sl_ingest *in, const char *const *want, size_t n)
{
	cr_assert_eq(in->n, n, "got %zu lines, want %zu", in->n, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(in->lines[i], want[i], "line %zu", i);
}

Test(socket, client_reads_lines_until_the_peer_closes)
{
	uint16_t port;
	int lfd = test_listen(0, &port);
	char p[16];
	snprintf(p, sizeof(p), "port=%u", port);
	const char *kv[] = {"host=127.0.0.1", p, NULL};
	char err[512] = "";
	struct sl_source *s = sock_open(kv, 2, 0, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	int peer = accept(lfd, NULL, NULL); /* open() has connected already */
	cr_assert(peer >= 0);

	struct runner other;
	mock_init(&other.in, 1);
	cr_assert_eq(sl_source_socket_ops.run(s, &other.in, 1), 0, "thread 1 has nothing to read");
	cr_assert_eq(other.in.n, 0);

	struct runner r;
	runner_start(&r, &sl_source_socket_ops, s, 0);
	static const char *const pieces[] = {"hello wor", "ld\r\nsec", "ond\n\n", "x\0y\n", "last"};
	static const size_t plen[] = {9, 7, 5, 4, 4};
	for (int i = 0; i < 5; i++) {
		send_all(peer, pieces[i], plen[i]);
		usleep(20000);
	}
	/* the cut eventfd is watched while waiting for data */
	uint64_t one = 1;
	cr_assert_eq(write(r.in.wake_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	usleep(50000);
	cr_assert_geq(atomic_load(&r.in.polls), 1);
	cr_assert(!atomic_load(&r.done));
	close(peer);
	cr_assert(wait_for(runner_is_done, &r, 3000), "peer close ends the input");
	runner_join(&r);
	cr_assert_eq(r.rc, 0);
	const char *want[] = {"hello world", "second", "", "x", "last"};
	cr_assert_eq(r.in.n, 5);
	for (int i = 0; i < 5; i++)
		if (i != 3)
			cr_assert_str_eq(r.in.lines[i], want[i]);
	cr_assert_eq(r.in.lens[3], 3);
	cr_assert(memcmp(r.in.lines[3], "x\0y", 3) == 0);
	cr_assert_eq(r.in.stats.rows, 5);
	cr_assert_eq(r.in.stats.bytes, 29);
	cr_assert_eq(r.in.stats.connections, 1);
	mock_fini(&r.in);
	mock_fini(&other.in);
	sl_source_socket_ops.close(s);
	close(lfd);
}

Test(socket, client_resolves_localhost)
{
	uint16_t port;
	int lfd = test_listen(0, &port);
	char p[16];
	snprintf(p, sizeof(p), "port=%u", port);
	const char *kv[] = {p, NULL}; /* host defaults to localhost */
	char err[512] = "";
	struct sl_source *s = sock_open(kv, 1, 0, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	int peer = accept(lfd, NULL, NULL);
	send_all(peer, "a b\n", 4);
	close(peer);
	struct runner r;
	runner_start(&r, &sl_source_socket_ops, s, 0);
	runner_join(&r);
	const char *want[] = {"a b"};
	expect_mock_lines(&r.in, want, 1);
	mock_fini(&r.in);
	sl_source_socket_ops.close(s);
	close(lfd);
}

Test(socket, connection_refused_is_reported_by_open)
{
	uint16_t port = free_port();
	char p[16], want[512];
	snprintf(p, sizeof(p), "port=%u", port);
	const char *kv[] = {"host=127.0.0.1", p, NULL};
	char err[512] = "";
	cr_assert_null(sock_open(kv, 1, 0, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "socket source 'lines': cannot connect to 127.0.0.1:%u (127.0.0.1): Connection "
		 "refused; is a server listening there? Start one with `nc -lk %u`, or set "
		 "reconnect = true to wait for it",
		 port, port);
	cr_assert_str_eq(err, want);

	const char *kv2[] = {p, NULL};
	cr_assert_null(sock_open(kv2, 1, 0, err, sizeof(err)));
	snprintf(want, sizeof(want), "socket source 'lines': cannot connect to localhost:%u (", port);
	cr_assert(strncmp(err, want, strlen(want)) == 0, "%s", err);
	snprintf(want, sizeof(want),
		 "): Connection refused; is a server listening there? Start one with `nc -lk %u`, "
		 "or set reconnect = true to wait for it",
		 port);
	cr_assert(strstr(err, want) != NULL, "%s", err);
}

Test(socket, unknown_host_is_reported_by_open)
{
	const char *kv[] = {"host=no-such-host.invalid", "port=9994", NULL};
	char err[512] = "";
	cr_assert_null(sock_open(kv, 1, 0, err, sizeof(err)));
	const char *want = "socket source 'lines': cannot resolve host 'no-such-host.invalid': ";
	cr_assert(strncmp(err, want, strlen(want)) == 0, "%s", err);
}

struct reconnect_ctx {
	struct runner *r;
	size_t want;
};

static bool has_rows(void *arg)
{
	struct reconnect_ctx *c = arg;
	return mock_count(&c->r->in) >= c->want;
}

Test(socket, reconnect_waits_for_the_server_and_comes_back_after_close)
{
	uint16_t port = free_port();
	char p[16];
	snprintf(p, sizeof(p), "port=%u", port);
	const char *kv[] = {"host=127.0.0.1", p, "reconnect=true", NULL};
	char err[512] = "";
	struct sl_source *s = sock_open(kv, 1, 0, err, sizeof(err));
	cr_assert_not_null(s, "refusal is not an error with reconnect: %s", err);
	struct runner r;
	runner_start(&r, &sl_source_socket_ops, s, 0);
	usleep(350000); /* attempts at 0, 100 and 300 ms */
	int lfd = test_listen(port, NULL);
	int peer = accept(lfd, NULL, NULL);
	cr_assert(peer >= 0);
	send_all(peer, "a\nb", 3);
	close(peer);
	peer = accept(lfd, NULL, NULL); /* it reconnects after the close */
	cr_assert(peer >= 0);
	send_all(peer, "c\n", 2);
	struct reconnect_ctx c = {&r, 3};
	cr_assert(wait_for(has_rows, &c, 3000));
	close(peer);
	close(lfd);
	mock_stop(&r.in);
	cr_assert(wait_for(runner_is_done, &r, 3000));
	runner_join(&r);
	cr_assert_eq(r.rc, 0);
	const char *want[] = {"a", "b", "c"};
	expect_mock_lines(&r.in, want, 3);
	cr_assert_eq(r.in.stats.connections, 2);
	char line[256];
	snprintf(line, sizeof(line),
		 "cannot connect to 127.0.0.1:%u (127.0.0.1): Connection refused; retrying in 100 ms",
		 port);
	cr_assert(mock_log_has(&r.in, line), "log:\n%s", r.in.log);
	cr_assert(mock_log_has(&r.in, "Connection refused; retrying in 200 ms"), "log:\n%s", r.in.log);
	cr_assert(mock_log_has(&r.in, "closed by the server; reconnecting"), "log:\n%s", r.in.log);
	snprintf(line, sizeof(line), "connected to 127.0.0.1:%u (127.0.0.1)", port);
	cr_assert(mock_log_has(&r.in, line), "log:\n%s", r.in.log);
	mock_fini(&r.in);
	sl_source_socket_ops.close(s);
}

Test(socket, stop_while_idle_returns_promptly)
{
	uint16_t port;
	int lfd = test_listen(0, &port);
	char p[16];
	snprintf(p, sizeof(p), "port=%u", port);
	const char *kv[] = {"host=127.0.0.1", p, NULL};
	char err[512] = "";
	struct sl_source *s = sock_open(kv, 1, 0, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	int peer = accept(lfd, NULL, NULL);
	struct runner r;
	runner_start(&r, &sl_source_socket_ops, s, 0);
	usleep(100000);
	cr_assert(!atomic_load(&r.done));
	uint64_t t0 = now_ms();
	mock_stop(&r.in);
	cr_assert(wait_for(runner_is_done, &r, 2000));
	cr_assert_lt(now_ms() - t0, 500);
	runner_join(&r);
	cr_assert_eq(r.rc, 0);
	mock_fini(&r.in);
	sl_source_socket_ops.close(s);
	close(peer);
	close(lfd);
}

/* Open a listen-mode source on an ephemeral port; the port comes from the
 * "listening on" line open() writes to stderr. */
static struct sl_source *listen_open(uint32_t n, uint64_t max_line, uint16_t *port)
{
	const char *kv[] = {"host=127.0.0.1", "port=0", "listen=true", NULL};
	char err[512] = "";
	fflush(stderr);
	int saved = dup(2);
	FILE *cap = tmpfile();
	cr_assert_not_null(cap);
	dup2(fileno(cap), 2);
	struct sl_source *s = sock_open(kv, n, max_line, err, sizeof(err));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	cr_assert_not_null(s, "%s", err);
	char text[512] = "";
	rewind(cap);
	size_t got = fread(text, 1, sizeof(text) - 1, cap);
	text[got] = '\0';
	fclose(cap);
	unsigned pnum = 0;
	const char *at = strstr(text, "socket source 'lines': listening on 127.0.0.1:");
	cr_assert_not_null(at, "stderr: %s", text);
	cr_assert_eq(sscanf(strrchr(at, ':') + 1, "%u", &pnum), 1);
	cr_assert(pnum > 0 && pnum < 65536);
	*port = (uint16_t)pnum;
	return s;
}

struct producer {
	uint16_t port;
	int id;
	int nlines;
	pthread_barrier_t *connected;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	int fd = test_connect(p->port);
	pthread_barrier_wait(p->connected);
	char *buf = malloc((size_t)p->nlines * 32);
	size_t n = 0;
	for (int i = 0; i < p->nlines; i++)
		n += (size_t)sprintf(buf + n, "p%d-%d\n", p->id, i);
	/* writes of uneven sizes, so lines straddle receives */
	size_t off = 0;
	unsigned step = 1 + (unsigned)p->id * 97;
	while (off < n) {
		size_t k = n - off < step ? n - off : step;
		send_all(fd, buf + off, k);
		off += k;
		step = step * 7 % 4093 + 1;
	}
	close(fd);
	free(buf);
	return NULL;
}

Test(socket, listen_mode_takes_every_line_from_many_producers_once)
{
	enum { THREADS = 3, PRODUCERS = 8, LINES = 5000 };
	uint16_t port;
	struct sl_source *s = listen_open(THREADS, 0, &port);
	struct runner r[THREADS];
	for (uint32_t i = 0; i < THREADS; i++)
		runner_start(&r[i], &sl_source_socket_ops, s, i);
	pthread_barrier_t connected;
	pthread_barrier_init(&connected, NULL, PRODUCERS);
	struct producer prod[PRODUCERS];
	pthread_t tid[PRODUCERS];
	for (int i = 0; i < PRODUCERS; i++) {
		prod[i] = (struct producer){port, i, LINES, &connected};
		pthread_create(&tid[i], NULL, producer_main, &prod[i]);
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(tid[i], NULL);
	/* finished once every accepted connection has closed */
	for (uint32_t i = 0; i < THREADS; i++) {
		cr_assert(wait_for(runner_is_done, &r[i], 10000), "thread %u did not finish", i);
		runner_join(&r[i]);
		cr_assert_eq(r[i].rc, 0);
	}
	static unsigned seen[PRODUCERS][LINES];
	uint64_t conns = 0, rows = 0;
	for (uint32_t t = 0; t < THREADS; t++) {
		conns += r[t].in.stats.connections;
		rows += r[t].in.stats.rows;
		int next[PRODUCERS];
		for (int i = 0; i < PRODUCERS; i++)
			next[i] = -1;
		for (size_t k = 0; k < r[t].in.n; k++) {
			int pid, line;
			cr_assert_eq(sscanf(r[t].in.lines[k], "p%d-%d", &pid, &line), 2, "'%s'",
				     r[t].in.lines[k]);
			cr_assert(pid >= 0 && pid < PRODUCERS && line >= 0 && line < LINES);
			seen[pid][line]++;
			/* one producer's lines stay in order */
			cr_assert_gt(line, next[pid]);
			next[pid] = line;
		}
	}
	for (int i = 0; i < PRODUCERS; i++)
		for (int k = 0; k < LINES; k++)
			cr_assert_eq(seen[i][k], 1, "producer %d line %d seen %u times", i, k,
				     seen[i][k]);
	cr_assert_eq(conns, PRODUCERS);
	cr_assert_eq(rows, (uint64_t)PRODUCERS * LINES);
	for (uint32_t i = 0; i < THREADS; i++)
		mock_fini(&r[i].in);
	pthread_barrier_destroy(&connected);
	sl_source_socket_ops.close(s);
}

Test(socket, listen_mode_counts_and_skips_over_long_lines)
{
	uint16_t port;
	struct sl_source *s = listen_open(1, 16, &port);
	struct runner r;
	runner_start(&r, &sl_source_socket_ops, s, 0);
	int fd = test_connect(port);
	char big[100000];
	memset(big, 'x', sizeof(big));
	send_all(fd, "short\n", 6);
	send_all(fd, big, sizeof(big));
	send_all(fd, "\nexactly sixteen!\nseventeen chars!!\nok", 38);
	close(fd);
	cr_assert(wait_for(runner_is_done, &r, 5000));
	runner_join(&r);
	const char *want[] = {"short", "exactly sixteen!", "ok"};
	expect_mock_lines(&r.in, want, 3);
	cr_assert_eq(r.in.stats.malformed, 2);
	cr_assert_eq(r.in.stats.bytes, 6 + sizeof(big) + 38);
	mock_fini(&r.in);
	sl_source_socket_ops.close(s);
}

Test(socket, listen_address_in_use_is_reported_by_open)
{
	uint16_t port;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); /* no SO_REUSEPORT */
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(lfd, 4), 0);
	socklen_t l = sizeof(a);
	getsockname(lfd, (struct sockaddr *)&a, &l);
	port = ntohs(a.sin_port);
	char p[16], want[512], err[512] = "";
	snprintf(p, sizeof(p), "port=%u", port);
	const char *kv[] = {"host=127.0.0.1", p, "listen=true", NULL};
	cr_assert_null(sock_open(kv, 2, 0, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "socket source 'lines': cannot listen on 127.0.0.1:%u: Address already in use; is "
		 "another program using that port? Choose another port, or port = 0 for any free one",
		 port);
	cr_assert_str_eq(err, want);
	close(lfd);
}

/* A producer that sends numbered 91-byte lines without blocking. */
struct filler {
	char buf[91 * 64];
	size_t off, n;
	uint64_t sent, lines;
};

/* Send until the connection refuses more (EAGAIN) for 300 ms straight;
 * false if 1 GiB went through without that happening. */
static bool fill_until_blocked(int fd, struct filler *f)
{
	uint64_t blocked_since = 0;
	while (f->sent < ((uint64_t)1 << 30)) {
		if (f->off == f->n) {
			f->off = f->n = 0;
			for (int i = 0; i < 64; i++)
				f->n += (size_t)sprintf(f->buf + f->n, "%090llu\n",
							(unsigned long long)f->lines++);
		}
		ssize_t w = send(fd, f->buf + f->off, f->n - f->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			f->off += (size_t)w;
			f->sent += (uint64_t)w;
			blocked_since = 0;
			continue;
		}
		cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "send: %s", strerror(errno));
		if (blocked_since == 0)
			blocked_since = now_ms();
		else if (now_ms() - blocked_since > 300)
			return true;
		usleep(5000);
	}
	return false;
}

Test(socket, blocked_commit_stops_receives_and_bounds_memory)
{
	const uint64_t max_line = 1024;
	uint16_t port;
	struct sl_source *s = listen_open(1, max_line, &port);
	struct runner r;
	runner_start(&r, &sl_source_socket_ops, s, 0);
	int fd = test_connect(port);
	atomic_store(&r.in.paused, true); /* the rings are full from now on */
	static struct filler f;
	bool blocked = fill_until_blocked(fd, &f);
	cr_assert(blocked, "the producer was never slowed down (sent %llu bytes)",
		  (unsigned long long)f.sent);
	uint64_t during = atomic_load(&r.in.commits);
	usleep(100000);
	cr_assert_eq(atomic_load(&r.in.commits), during, "commit() is blocked");
	atomic_store(&r.in.paused, false);
	send_all(fd, f.buf + f.off, f.n - f.off);
	f.sent += f.n - f.off;
	close(fd);
	cr_assert(wait_for(runner_is_done, &r, 10000));
	runner_join(&r);
	cr_assert_eq(r.rc, 0);
	/* everything arrives, in order, once the rings drain */
	cr_assert_eq(r.in.n, f.lines);
	for (size_t k = 0; k < r.in.n; k += 997)
		cr_assert_eq(strtoull(r.in.lines[k], NULL, 10), k);
	cr_assert_eq(r.in.stats.bytes, f.sent);
	/* what was read but not yet committed never exceeded the line buffer:
	 * the rest of what the producer sent waited in the kernel */
	cr_assert_leq(r.in.max_unconsumed, sl_lines_buffer_bytes(max_line, SL_LINES_DEFAULT_SPACE),
		      "%llu bytes read ahead", (unsigned long long)r.in.max_unconsumed);
	cr_assert_gt(f.sent, r.in.max_unconsumed);
	mock_fini(&r.in);
	sl_source_socket_ops.close(s);
}

Test(source_options, sizes_are_powers_of_1024_everywhere)
{
	static const struct {
		const char *text;
		uint64_t want;
	} good[] = {
		{"0", 0}, {"512", 512}, {"1K", 1024}, {"1 KiB", 1024}, {"100M", 100ULL << 20},
		{"100mb", 100ULL << 20}, {"2G", 2ULL << 30}, {"1T", 1ULL << 40}, {"7B", 7},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t v = 1;
		cr_expect_eq(sl_parse_size(good[i].text, &v), 0, "%s", good[i].text);
		cr_expect_eq(v, good[i].want, "%s", good[i].text);
	}
	static const char *const bad[] = {"", "M", "-1", "1X", "1.5G", "99999999999999999999", "20000000T"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v;
		cr_expect_eq(sl_parse_size(bad[i], &v), -EINVAL, "'%s' must be refused", bad[i]);
	}
}

Test(source_options, intervals_as_spark_writes_them)
{
	static const struct {
		const char *text;
		uint64_t want_us;
	} good[] = {
		{"1 second", 1000000},       {"100 milliseconds", 100000}, {"10 minutes", 600000000},
		{"2 hours", 7200000000ULL},  {"1 day", 86400000000ULL},   {"500 ms", 500000},
		{"interval 10 minutes", 600000000}, {"1 minute 30 seconds", 90000000},
		{"0 seconds", 0},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t v = 1;
		cr_expect_eq(sl_parse_interval(good[i].text, &v), 0, "%s", good[i].text);
		cr_expect_eq(v, good[i].want_us, "%s", good[i].text);
	}
	static const char *const bad[] = {"", "second", "10", "10 parsecs", "-1 second"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v;
		cr_expect_neq(sl_parse_interval(bad[i], &v), 0, "'%s' must be refused", bad[i]);
	}
}
