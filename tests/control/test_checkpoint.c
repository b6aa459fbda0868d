/*
 * test_checkpoint.c — a query's checkpoint directory driven through
 * control/checkpoint.h alone, without an engine: epochs written with
 * hand-made deltas and offsets, then the recovery that reopening finds,
 * for each combination of files (deltas only, a snapshot only, a snapshot
 * and deltas, a corrupt newest snapshot, commit or delta, nothing valid
 * left, an uncommitted batch replayed or adopted, retention), and every
 * refusal (a changed query, another query, a newer format, a directory
 * that is not a checkpoint, one in use). The payload parsers'
 * sl_ckpt_parse_payload is checked on what the checkpoint writes.
 * The payload encodings themselves are tests/state/test_state_codec.c's.
 *
 * The query is real SQL (a batches source that is never opened, a windowed
 * aggregation over 2 shards, the noop sink); its state is not: batch b's
 * delta in shard s puts the key "k<s>-<b>" with the value "v<b>" and
 * removes "k<s>-<b-2>", so that any payload says which batch it is (a
 * snapshot after batch b holds k<s>-<b-1> and k<s>-<b>). Recovery never
 * decodes values (the aggregator does), and compaction compares only
 * fingerprints, so one made-up fingerprint serves.
 *
 * Each test has its own temporary directory, removed by the suite's fini.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "ckpt_file.h"
#include "format.h"
#include "plan.h"
#include "sink.h"
#include "source.h"
#include "state_codec.h"

extern const struct sl_sink_ops sl_sink_noop_ops;

#define FINGERPRINT UINT32_C(0x5eed0001)
#define NSHARDS 2
#define WAIT_MS 5000

/* ------------------------------------------------------------- fixtures */

static char g_tmp[64];  /* the test's directory */
static char g_dir[128]; /* the checkpoint: g_tmp/ck */

static void suite_init(void)
{
	sl_sources_register_builtin();
	sl_sinks_register_builtin();
	snprintf(g_tmp, sizeof(g_tmp), "/tmp/sl-test-ckpt-XXXXXX");
	cr_assert(mkdtemp(g_tmp) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(g_dir, sizeof(g_dir), "%s/ck", g_tmp);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void suite_fini(void)
{
	if (g_tmp[0] != '\0')
		nftw(g_tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(checkpoint, .init = suite_init, .fini = suite_fini, .timeout = 30);

/* What a query's SQL may vary. */
struct qdef {
	const char *sink;    /* the sink's (and query's) name; "q" */
	const char *source;  /* "ev" */
	const char *keys;    /* grouping keys after the window: ", k" */
	const char *aggs;    /* "count(*) AS n, sum(v) AS s" */
	unsigned shards;     /* 0: NSHARDS */
	const char *set;     /* more SET statements */
	const char *options; /* more sink options: ", trigger = '1 second'" */
};

struct query {
	struct sl_program *prog;
	const struct sl_plan *plan;
	const struct sl_sink_ops *ops;
	struct sl_sink *sink;
};

static void query_open_with(struct query *q, struct qdef d, const struct sl_sink_ops *ops)
{
	char sql[4096];
	snprintf(sql, sizeof(sql),
		 "SET shards = %u;\n%s\n"
		 "CREATE SOURCE %s (k STRING, v BIGINT, ts TIMESTAMP)\n"
		 "  WITH (connector = 'batches', path = '%s/never-read.txt')\n"
		 "  WATERMARK ts DELAY '10 seconds';\n"
		 "CREATE SINK %s\n"
		 "  WITH (connector = 'noop', output_mode = 'update', checkpoint = '%s'%s)\n"
		 "AS SELECT window(ts, '1 minute') AS w%s, %s\n"
		 "   FROM %s GROUP BY window(ts, '1 minute')%s;\n",
		 d.shards ? d.shards : NSHARDS, d.set ? d.set : "", d.source ? d.source : "ev",
		 g_tmp, d.sink ? d.sink : "q", g_dir, d.options ? d.options : "",
		 d.keys ? d.keys : ", k", d.aggs ? d.aggs : "count(*) AS n, sum(v) AS s",
		 d.source ? d.source : "ev", d.keys ? d.keys : ", k");
	struct sl_settings s;
	sl_settings_default(&s, 2);
	char err[1024] = "";
	int rc = sl_sql_compile(sql, &s, &q->prog, err, sizeof(err));
	cr_assert_eq(rc, 0, "compile failed: %s\n%s", err, sql);
	cr_assert_eq(q->prog->nplans, 1);
	q->plan = q->prog->plans[0];
	q->ops = ops;
	q->sink = ops->open(&q->plan->sink, &q->plan->out_schema, NULL, err, sizeof(err));
	cr_assert(q->sink != NULL, "sink open: %s", err);
}

static void query_close(struct query *q)
{
	q->ops->close(q->sink);
	sl_program_free(q->prog);
}

/* One opening of the checkpoint, with its log in memory. */
struct run {
	struct query q;
	struct sl_ckpt *ck;
	FILE *log;
	char *logbuf;
	size_t loglen;
	char err[1024];
};

/* Opens the checkpoint for the query d: NULL (with r->err) on a refusal. */
static struct sl_ckpt *run_try_with(struct run *r, struct qdef d, const struct sl_sink_ops *ops)
{
	memset(r, 0, sizeof(*r));
	query_open_with(&r->q, d, ops);
	r->log = open_memstream(&r->logbuf, &r->loglen);
	cr_assert(r->log != NULL);
	r->ck = sl_ckpt_open(r->q.plan, ops, r->q.sink, r->log, r->err, sizeof(r->err));
	fflush(r->log);
	return r->ck;
}

static void run_open_with(struct run *r, struct qdef d, const struct sl_sink_ops *ops)
{
	cr_assert(run_try_with(r, d, ops) != NULL, "sl_ckpt_open: %s\nlog:\n%s", r->err,
		  r->logbuf);
}

static void run_open(struct run *r, struct qdef d)
{
	run_open_with(r, d, &sl_sink_noop_ops);
}

/* The log so far (the maintenance thread may write to it: read it when
 * that thread is idle, or after run_close). */
static const char *run_log(struct run *r)
{
	fflush(r->log);
	return r->logbuf ? r->logbuf : "";
}

static void run_close(struct run *r)
{
	sl_ckpt_close(r->ck);
	r->ck = NULL;
	fclose(r->log);
	r->log = NULL;
	free(r->logbuf);
	r->logbuf = NULL;
	query_close(&r->q);
}

/* --------------------------------------------------------------- epochs */

static struct sl_time_state time_of(uint64_t b)
{
	struct sl_time_state t;
	memset(&t, 0, sizeof(t));
	t.max_event_ms = 1000 * (int64_t)b + 1;
	t.max_event_in[0] = 1000 * (int64_t)b + 2;
	t.wm_in_ms[0] = 1000 * (int64_t)b - 10000;
	t.wm_in_set[0] = 1;
	t.wm_late_us = 7 * (int64_t)b;
	t.wm_evict_us = 11 * (int64_t)b;
	return t;
}

static void key_of(char *buf, size_t len, uint32_t s, uint64_t b)
{
	snprintf(buf, len, "k%u-%" PRIu64, s, b);
}

/* Queues batch b (its deltas, offsets and, when log, source 0's log entry)
 * and waits until it is durable. */
static void put_epoch_log(struct sl_ckpt *ck, uint64_t b, const char *log, bool compact)
{
	struct sl_state_delta d[NSHARDS];
	struct sl_state_delta *dp[NSHARDS];
	for (uint32_t s = 0; s < NSHARDS; s++) {
		struct sl_state_writer w = {0};
		char key[32], val[32];
		cr_assert_eq(sl_state_writer_begin(&w, FINGERPRINT, 0), 0);
		key_of(key, sizeof(key), s, b);
		snprintf(val, sizeof(val), "v%" PRIu64, b);
		uint8_t *v = sl_state_writer_put(&w, key, (uint32_t)strlen(key), strlen(val));
		cr_assert(v != NULL);
		memcpy(v, val, strlen(val));
		if (b >= 2) {
			key_of(key, sizeof(key), s, b - 2);
			cr_assert_eq(sl_state_writer_remove(&w, key, (uint32_t)strlen(key)), 0);
		}
		d[s] = (struct sl_state_delta){.shard = s, .puts = 1, .removes = b >= 2};
		sl_state_writer_finish(&w, &d[s].buf, &d[s].len);
		dp[s] = &d[s];
	}
	struct sl_time_state t = time_of(b);
	struct sl_strbuf off, lg;
	sl_strbuf_init(&off);
	sl_strbuf_init(&lg);
	char text[64];
	snprintf(text, sizeof(text), "off-%" PRIu64, b);
	cr_assert_eq(sl_strbuf_puts(&off, text), 0);
	if (log != NULL)
		cr_assert_eq(sl_strbuf_puts(&lg, log), 0);
	struct sl_ckpt_epoch ep = {
		.time = &t,
		.limit_left = 1000 - b,
		.deltas = dp,
		.ndeltas = NSHARDS,
	};
	ep.replayable[0] = true;
	ep.offset[0] = &off;
	ep.log[0] = &lg;
	ep.log_compact[0] = compact;
	char err[640];
	cr_assert_eq(sl_ckpt_epoch(ck, b, &ep, err, sizeof(err)), 0, "epoch %" PRIu64 ": %s", b,
		     err);
	for (uint32_t s = 0; s < NSHARDS; s++)
		cr_assert_null(d[s].buf, "sl_ckpt_epoch takes the deltas' buffers");
	sl_strbuf_free(&off);
	sl_strbuf_free(&lg);
	for (int i = 0; !sl_ckpt_durable(ck, b); i++) {
		cr_assert_eq(sl_ckpt_error(ck, err, sizeof(err)), 0, "%s", err);
		cr_assert_lt(i, WAIT_MS, "batch %" PRIu64 " is not durable after %d ms", b, WAIT_MS);
		usleep(1000);
	}
}

static void put_epoch(struct sl_ckpt *ck, uint64_t b)
{
	put_epoch_log(ck, b, NULL, false);
}

static void commit(struct sl_ckpt *ck, uint64_t b)
{
	char err[640];
	cr_assert_eq(sl_ckpt_commit(ck, b, 10 * b, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl_ckpt_drain(ck), 0);
	cr_assert_eq(sl_ckpt_committed(ck), (int64_t)b);
}

static void epochs(struct sl_ckpt *ck, uint64_t from, uint64_t to)
{
	for (uint64_t b = from; b <= to; b++) {
		put_epoch(ck, b);
		commit(ck, b);
	}
}

/* ---------------------------------------------------------------- files */

static void path_of(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", g_dir, rel);
}

static bool exists(const char *rel)
{
	char p[512];
	path_of(p, sizeof(p), rel);
	return access(p, F_OK) == 0;
}

/* Waits until rel exists (want) or is gone (!want). */
static void wait_for(const char *rel, bool want)
{
	for (int i = 0; exists(rel) != want; i++) {
		cr_assert_lt(i, WAIT_MS, "%s is %s after %d ms", rel, want ? "missing" : "still there",
			     WAIT_MS);
		usleep(1000);
	}
}

/* Waits for the snapshot of batch b in every shard. */
static void wait_snapshots(uint64_t b)
{
	char rel[64];
	for (uint32_t s = 0; s < NSHARDS; s++) {
		snprintf(rel, sizeof(rel), "state/%u/%" PRIu64 ".snapshot", s, b);
		wait_for(rel, true);
	}
}

static void read_whole(const char *rel, uint8_t **buf, size_t *len)
{
	char p[512];
	path_of(p, sizeof(p), rel);
	FILE *f = fopen(p, "rb");
	cr_assert(f != NULL, "%s: %s", p, strerror(errno));
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*buf = malloc(n > 0 ? (size_t)n : 1);
	cr_assert(*buf != NULL);
	cr_assert_eq(fread(*buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
}

static void write_whole(const char *rel, const void *buf, size_t len)
{
	char p[512];
	path_of(p, sizeof(p), rel);
	FILE *f = fopen(p, "wb");
	cr_assert(f != NULL, "%s: %s", p, strerror(errno));
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* Flips the last byte of rel (its payload's: the checksum no longer matches). */
static void corrupt(const char *rel)
{
	uint8_t *b;
	size_t n;
	read_whole(rel, &b, &n);
	cr_assert_gt(n, SL_CKPT_HEADER_SIZE);
	b[n - 1] ^= 0x5a;
	write_whole(rel, b, n);
	free(b);
}

static void cut_to(const char *rel, off_t len)
{
	char p[512];
	path_of(p, sizeof(p), rel);
	cr_assert_eq(truncate(p, len), 0, "%s: %s", p, strerror(errno));
}

/* The payload of a checkpoint file (malloc'ed *mem holds it). */
static void payload_of(const char *rel, enum sl_ckpt_kind kind, void **mem, const uint8_t **p,
		       uint64_t *n)
{
	int root = open(g_dir, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(root, 0);
	uint64_t epoch;
	char err[640];
	int rc = sl_ckpt_read(root, rel, kind, mem, p, n, &epoch, err, sizeof(err));
	close(root);
	cr_assert_eq(rc, 0, "%s", err);
}

/* ------------------------------------------------------------- recovery */

/* What a shard's payloads are, as "S3 D4 D5": S<b> a snapshot after batch
 * b, D<b> batch b's delta (from the keys they hold). */
static void describe(const struct sl_ckpt_recovery *rec, uint32_t s, char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (uint32_t i = 0; i < rec->shard[s].n; i++) {
		const struct sl_blob *b = &rec->shard[s].p[i];
		struct sl_state_reader r;
		struct sl_state_record rec1;
		char err[256];
		cr_assert_eq(sl_state_reader_init(&r, b->p, b->len, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(r.fingerprint, FINGERPRINT);
		int64_t newest = -1;
		int rc;
		while ((rc = sl_state_reader_next(&r, &rec1, err, sizeof(err))) > 0) {
			unsigned ks;
			uint64_t kb;
			char key[64];
			cr_assert_lt(rec1.klen, sizeof(key));
			memcpy(key, rec1.key, rec1.klen);
			key[rec1.klen] = '\0';
			cr_assert_eq(sscanf(key, "k%u-%" SCNu64, &ks, &kb), 2, "key '%s'", key);
			cr_assert_eq(ks, s, "shard %u holds key '%s'", s, key);
			if (rec1.op == SL_STATE_PUT && (int64_t)kb > newest)
				newest = (int64_t)kb;
		}
		cr_assert_eq(rc, 0, "%s", err);
		int n = snprintf(out + used, len - used, "%s%c%" PRId64, i ? " " : "",
				 (r.flags & SL_STATE_SNAPSHOT) ? 'S' : 'D', newest);
		cr_assert(n > 0 && (size_t)n < len - used);
		used += (size_t)n;
	}
}

static void expect_shards(const struct sl_ckpt_recovery *rec, const char *s0, const char *s1)
{
	char got[256];
	cr_assert_eq(rec->nshards, NSHARDS);
	describe(rec, 0, got, sizeof(got));
	cr_expect_str_eq(got, s0, "shard 0 loads [%s], expected [%s]", got, s0);
	describe(rec, 1, got, sizeof(got));
	cr_expect_str_eq(got, s1, "shard 1 loads [%s], expected [%s]", got, s1);
}

static bool blob_is(struct sl_blob b, const char *text)
{
	return b.p != NULL && b.len == strlen(text) && memcmp(b.p, text, b.len) == 0;
}

static const char *blob_text(struct sl_blob b)
{
	static char buf[128];
	if (b.p == NULL)
		return "(none)";
	snprintf(buf, sizeof(buf), "%.*s", (int)(b.len < 100 ? b.len : 100), (const char *)b.p);
	return buf;
}

/* What every recovery of batch c restores beside the shards. */
static void expect_batch(const struct sl_ckpt_recovery *rec, int64_t c)
{
	cr_assert_not(rec->fresh);
	cr_assert_eq(rec->last_commit, c);
	cr_assert_eq(rec->next_batch, (uint64_t)(c + 1));
	cr_assert(rec->have_time);
	struct sl_time_state t = time_of((uint64_t)c);
	cr_expect_eq(rec->time.max_event_ms, t.max_event_ms);
	cr_expect_eq(rec->time.max_event_in[0], t.max_event_in[0]);
	cr_expect_eq(rec->time.wm_in_ms[0], t.wm_in_ms[0]);
	cr_expect_eq(rec->time.wm_in_set[0], 1);
	cr_expect_eq(rec->time.wm_late_us, t.wm_late_us);
	cr_expect_eq(rec->time.wm_evict_us, t.wm_evict_us);
	cr_expect_eq(rec->limit_left, 1000 - (uint64_t)c);
	cr_assert(rec->has_offset[0]);
	cr_expect_eq(rec->src[0].epoch, (uint64_t)c);
	char want[32];
	snprintf(want, sizeof(want), "off-%" PRId64, c);
	cr_expect(blob_is(rec->src[0].offset, want), "offset [%s], expected [%s]",
		  blob_text(rec->src[0].offset), want);
}

static void expect_log(struct run *r, const char *text)
{
	const char *log = run_log(r);
	cr_expect(strstr(log, text) != NULL, "no '%s' in the log:\n%s", text, log);
}

static void expect_err(const struct run *r, const char *text)
{
	cr_expect(strstr(r->err, text) != NULL, "no '%s' in the error: %s", text, r->err);
}

/* ---------------------------------------------------------------- tests */

Test(checkpoint, new_directory_is_a_fresh_checkpoint)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	cr_expect(rec->fresh);
	cr_expect_eq(rec->last_commit, -1);
	cr_expect_eq(rec->next_batch, 0);
	cr_expect_eq(rec->limit_left, UINT64_MAX);
	cr_expect_eq(rec->nshards, NSHARDS);
	for (uint32_t s = 0; s < NSHARDS; s++)
		cr_expect_eq(rec->shard[s].n, 0);
	cr_expect_not(rec->has_offset[0]);
	expect_log(&r, "a new query 'q', id ");
	cr_expect_null(strstr(run_log(&r), "resuming"));
	const char *layout[] = {"metadata", "offsets", "commits", "sources/0", "state/0",
				"state/1", ".lock"};
	for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++)
		cr_expect(exists(layout[i]), "%s is missing", layout[i]);
	cr_expect_not(exists("state/2"));
	run_close(&r);
}

Test(checkpoint, reopened_without_batches_is_not_fresh_and_starts_at_zero)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	run_close(&r);
	run_open(&r, (struct qdef){0});
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	cr_expect_not(rec->fresh);
	cr_expect_eq(rec->last_commit, -1);
	cr_expect_eq(rec->next_batch, 0);
	cr_expect_eq(rec->shard[0].n, 0);
	cr_expect_eq(rec->shard[1].n, 0);
	expect_log(&r, "query 'q', id ");
	run_close(&r);
}

Test(checkpoint, deltas_only)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	epochs(r.ck, 0, 2);
	cr_expect_not(exists("state/0/2.snapshot"), "no snapshot before 10 deltas");
	run_close(&r);

	run_open(&r, (struct qdef){0});
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	expect_batch(rec, 2);
	expect_shards(rec, "D0 D1 D2", "D0 D1 D2");
	cr_expect_null(rec->src[0].replay.p, "nothing to replay");
	cr_expect_eq(rec->src[0].nlogs, 0);
	expect_log(&r, "resuming from batch 3 (the last committed batch is 2)");
	/* and it goes on: batch 3, then a restart resumes after it */
	epochs(r.ck, 3, 3);
	run_close(&r);
	run_open(&r, (struct qdef){0});
	expect_batch(sl_ckpt_recovery(r.ck), 3);
	expect_shards(sl_ckpt_recovery(r.ck), "D0 D1 D2 D3", "D0 D1 D2 D3");
	run_close(&r);
}

Test(checkpoint, snapshot_only)
{
	struct run r;
	struct qdef d = {.set = "SET min_deltas_for_snapshot = 1;"};
	run_open(&r, d);
	for (uint64_t b = 0; b <= 2; b++) {
		epochs(r.ck, b, b);
		wait_snapshots(b);
	}
	run_close(&r);

	run_open(&r, d);
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	expect_batch(rec, 2);
	expect_shards(rec, "S2", "S2");
	run_close(&r);
}

Test(checkpoint, snapshot_and_deltas)
{
	struct run r;
	struct qdef d = {.set = "SET min_deltas_for_snapshot = 3;"};
	run_open(&r, d);
	epochs(r.ck, 0, 2);
	wait_snapshots(2);
	epochs(r.ck, 3, 4);
	run_close(&r);
	cr_expect_not(exists("state/0/4.snapshot"));

	run_open(&r, d);
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	expect_batch(rec, 4);
	expect_shards(rec, "S2 D3 D4", "S2 D3 D4");
	run_close(&r);
}

Test(checkpoint, corrupt_newest_snapshot_falls_back_to_an_older_one)
{
	struct run r;
	struct qdef d = {.set = "SET min_deltas_for_snapshot = 2;"};
	run_open(&r, d);
	epochs(r.ck, 0, 1);
	wait_snapshots(1);
	epochs(r.ck, 2, 3);
	wait_snapshots(3);
	epochs(r.ck, 4, 4);
	run_close(&r);
	corrupt("state/0/3.snapshot");

	run_open(&r, d);
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	expect_batch(rec, 4);
	expect_shards(rec, "S1 D2 D3 D4", "S3 D4");
	expect_log(&r, "checkpoint file state/0/3.snapshot is corrupt");
	expect_log(&r, "using an older snapshot");
	expect_log(&r, "resuming from batch 5");
	run_close(&r);
}

Test(checkpoint, corrupt_newest_commit_falls_back_to_the_batch_before)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	epochs(r.ck, 0, 2);
	run_close(&r);
	corrupt("commits/2");

	run_open(&r, (struct qdef){0});
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	expect_batch(rec, 1);
	expect_shards(rec, "D0 D1", "D0 D1");
	/* batch 2's offsets are valid: the sources take the same input again */
	cr_expect(blob_is(rec->src[0].replay, "off-2"), "replay [%s]",
		  blob_text(rec->src[0].replay));
	expect_log(&r, "batch 2 cannot be recovered: checkpoint file commits/2 is corrupt");
	expect_log(&r, "falling back to the batch before it");
	expect_log(&r, "batch 2 was planned but not committed; it runs again");
	expect_log(&r, "resuming from batch 2 (the last committed batch is 1)");
	/* batch 2 written again: its files replace the old ones */
	epochs(r.ck, 2, 2);
	run_close(&r);
	run_open(&r, (struct qdef){0});
	expect_batch(sl_ckpt_recovery(r.ck), 2);
	expect_shards(sl_ckpt_recovery(r.ck), "D0 D1 D2", "D0 D1 D2");
	run_close(&r);
}

Test(checkpoint, truncated_delta_of_the_newest_commit_falls_back)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	epochs(r.ck, 0, 2);
	run_close(&r);
	cut_to("state/1/2.delta", 40);

	run_open(&r, (struct qdef){0});
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	expect_batch(rec, 1);
	expect_shards(rec, "D0 D1", "D0 D1");
	expect_log(&r, "batch 2 cannot be recovered: checkpoint file state/1/2.delta is corrupt");
	expect_log(&r, "(cut short)");
	run_close(&r);
}

Test(checkpoint, missing_offsets_of_the_newest_commit_falls_back)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	epochs(r.ck, 0, 2);
	run_close(&r);
	char p[512];
	path_of(p, sizeof(p), "offsets/2");
	cr_assert_eq(unlink(p), 0);

	run_open(&r, (struct qdef){0});
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	expect_batch(rec, 1);
	expect_shards(rec, "D0 D1", "D0 D1");
	cr_expect_null(rec->src[0].replay.p);
	expect_log(&r, "batch 2 cannot be recovered");
	run_close(&r);
}

Test(checkpoint, every_commit_corrupt_is_refused_naming_the_file)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	epochs(r.ck, 0, 1);
	run_close(&r);
	corrupt("commits/0");
	corrupt("commits/1");

	cr_assert_null(run_try_with(&r, (struct qdef){0}, &sl_sink_noop_ops));
	expect_err(&r, "has no batch left that can be recovered");
	expect_err(&r, "checkpoint file commits/0 is corrupt");
	expect_err(&r, "move the directory away to start the query anew");
	expect_log(&r, "batch 1 cannot be recovered: checkpoint file commits/1 is corrupt");
	cr_expect_null(strstr(run_log(&r), "resuming"));
	run_close(&r);
}

Test(checkpoint, uncommitted_batch_runs_again_from_its_offsets)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	epochs(r.ck, 0, 1);
	put_epoch(r.ck, 2); /* durable, and the sink published nothing */
	run_close(&r);

	run_open(&r, (struct qdef){0});
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	expect_batch(rec, 1);
	expect_shards(rec, "D0 D1", "D0 D1");
	cr_expect(blob_is(rec->src[0].replay, "off-2"), "replay [%s]",
		  blob_text(rec->src[0].replay));
	cr_expect_eq(rec->src[0].replay_log.len, 0);
	expect_log(&r, "batch 2 was planned but not committed; it runs again");
	cr_expect_not(exists("commits/2"));
	run_close(&r);
}

Test(checkpoint, uncommitted_first_batch_runs_again)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	put_epoch_log(r.ck, 0, "files-0", false);
	run_close(&r);

	run_open(&r, (struct qdef){0});
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	cr_expect_eq(rec->last_commit, -1);
	cr_expect_eq(rec->next_batch, 0);
	cr_expect_eq(rec->shard[0].n, 0);
	cr_expect_eq(rec->shard[1].n, 0);
	cr_expect(blob_is(rec->src[0].replay, "off-0"));
	cr_expect(blob_is(rec->src[0].replay_log, "files-0"), "replay log [%s]",
		  blob_text(rec->src[0].replay_log));
	run_close(&r);
}

/* A sink that says what it published, and numbers batches from a base. */
static int64_t g_published = -1;
static uint64_t g_base_set = UINT64_MAX;

static int64_t fake_published(const struct sl_sink *s)
{
	(void)s;
	return g_published;
}

static uint64_t fake_batch_base(const struct sl_sink *s)
{
	(void)s;
	return 7;
}

static void fake_set_batch_base(struct sl_sink *s, uint64_t base)
{
	(void)s;
	g_base_set = base;
}

static struct sl_sink_ops g_publishing;

static const struct sl_sink_ops *publishing_sink(void)
{
	g_publishing = sl_sink_noop_ops;
	g_publishing.published = fake_published;
	g_publishing.batch_base = fake_batch_base;
	g_publishing.set_batch_base = fake_set_batch_base;
	return &g_publishing;
}

Test(checkpoint, batch_the_sink_published_is_adopted)
{
	const struct sl_sink_ops *ops = publishing_sink();
	struct run r;
	run_open_with(&r, (struct qdef){0}, ops);
	cr_expect_eq(g_base_set, UINT64_MAX, "a new checkpoint records the sink's base");
	epochs(r.ck, 0, 1);
	put_epoch(r.ck, 2);
	put_epoch(r.ck, 3);
	run_close(&r);

	g_published = 2; /* the sink wrote batch 2, not 3 */
	run_open_with(&r, (struct qdef){0}, ops);
	cr_expect_eq(g_base_set, 7, "the restarted sink gets the base back");
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	expect_batch(rec, 2);
	expect_shards(rec, "D0 D1 D2", "D0 D1 D2");
	cr_expect(blob_is(rec->src[0].replay, "off-3"), "replay [%s]",
		  blob_text(rec->src[0].replay));
	expect_log(&r, "batch 2 was published by the sink before the stop; committed it now");
	expect_log(&r, "batch 3 was planned but not committed; it runs again");
	expect_log(&r, "resuming from batch 3 (the last committed batch is 2)");
	cr_expect(exists("commits/2"));
	cr_expect_not(exists("commits/3"));
	run_close(&r);

	void *mem;
	const uint8_t *p;
	uint64_t n;
	payload_of("commits/2", SL_CKPT_COMMIT, &mem, &p, &n);
	char err[256];
	cr_expect_eq(sl_ckpt_parse_payload(SL_CKPT_COMMIT, p, n, err, sizeof(err)), 0, "%s", err);
	free(mem);
}

/*
 * Regression (found by this test, fixed: try_batch stages its loads and
 * swaps them in only when the whole batch is good): when the sink has
 * published batch c+1 but one of its files cannot be read, recover() says
 * "it runs again" and keeps last_commit = c, but try_batch(c + 1) has
 * already replaced the shard loads of the shards before the one that
 * failed with c+1's chains: shard 0 loads batch 2's delta although the
 * query resumes at batch 2, so batch 2 is counted twice in shard 0.
 */
Test(checkpoint, adoption_failure_keeps_the_committed_state)
{
	const struct sl_sink_ops *ops = publishing_sink();
	struct run r;
	run_open_with(&r, (struct qdef){0}, ops);
	epochs(r.ck, 0, 1);
	put_epoch(r.ck, 2);
	run_close(&r);
	cut_to("state/1/2.delta", 40);

	g_published = 2;
	run_open_with(&r, (struct qdef){0}, ops);
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	expect_log(&r, "the sink published batch 2 but its checkpoint files cannot be read");
	expect_batch(rec, 1);
	expect_shards(rec, "D0 D1", "D0 D1");
	run_close(&r);
}

Test(checkpoint, retention_deletes_old_files_and_recovery_still_works)
{
	struct run r;
	struct qdef d = {.set = "SET min_deltas_for_snapshot = 2; SET min_batches_to_retain = 2;"};
	run_open(&r, d);
	for (uint64_t b = 0; b <= 7; b++) {
		char lg[32];
		snprintf(lg, sizeof(lg), "log-%" PRIu64, b);
		put_epoch_log(r.ck, b, lg, b == 4);
		commit(r.ck, b);
		if (b % 2 == 1)
			wait_snapshots(b);
	}
	/* after batch 7, batches 6 and 7 stay recoverable: from the snapshot
	 * at 5 and the deltas after it; the source log from its compact entry
	 * at 4 */
	wait_for("commits/5", false);
	wait_for("state/1/5.delta", false);
	wait_for("state/1/3.snapshot", false);
	run_close(&r);
	const char *gone[] = {"offsets/0",	  "offsets/5",	      "commits/0",
			      "commits/5",	  "state/0/1.snapshot", "state/0/3.snapshot",
			      "state/0/0.delta",  "state/0/5.delta",    "sources/0/0",
			      "sources/0/3"};
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		cr_expect_not(exists(gone[i]), "%s is still there", gone[i]);
	const char *kept[] = {"offsets/6",	   "offsets/7",		 "commits/6",
			      "commits/7",	   "state/0/5.snapshot", "state/0/7.snapshot",
			      "state/1/5.snapshot", "state/0/6.delta",	 "state/1/7.delta",
			      "sources/0/4",	   "sources/0/7"};
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		cr_expect(exists(kept[i]), "%s was deleted", kept[i]);

	run_open(&r, d);
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	expect_batch(rec, 7);
	expect_shards(rec, "S7", "S7");
	cr_assert_eq(rec->src[0].nlogs, 4, "log entries 4 (compact) to 7");
	cr_expect(blob_is(rec->src[0].logs[0], "log-4"), "[%s]", blob_text(rec->src[0].logs[0]));
	cr_expect(blob_is(rec->src[0].logs[3], "log-7"), "[%s]", blob_text(rec->src[0].logs[3]));
	run_close(&r);

	/* the oldest kept batch's snapshot is what a corrupt newest one leaves */
	corrupt("state/0/7.snapshot");
	run_open(&r, d);
	rec = sl_ckpt_recovery(r.ck);
	expect_batch(rec, 7);
	expect_shards(rec, "S5 D6 D7", "S7");
	run_close(&r);
}

Test(checkpoint, log_compaction_is_due_every_tenth_entry)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	for (uint64_t b = 0; b < 12; b++) {
		bool due = sl_ckpt_log_compact_due(r.ck, 0);
		cr_expect_eq(due, b == 9, "batch %" PRIu64 ": due %d", b, due);
		put_epoch_log(r.ck, b, "x", due);
		commit(r.ck, b);
	}
	run_close(&r);
	run_open(&r, (struct qdef){0});
	const struct sl_ckpt_recovery *rec = sl_ckpt_recovery(r.ck);
	cr_expect_eq(rec->src[0].nlogs, 3, "from the compact entry at 9: 9, 10, 11");
	run_close(&r);
}

/*
 * Regression (found by this test, fixed: the snapshots recovery used are the
 * ones known good, and maintenance starts from them; control/checkpoint.c
 * recover() and
 * make_snapshot()): after a restart whose newest snapshot was corrupt,
 * ck->snap[s] is still that snapshot's batch (recover() takes the newest
 * snapshot file at or before the commit, valid or not), so every later
 * make_snapshot() starts from the corrupt file and fails ("no snapshot of
 * shard 0 at batch N: checkpoint file state/0/3.snapshot is corrupt"), at
 * every commit, for good; and as retention runs only after a new snapshot,
 * nothing is ever deleted again: the checkpoint grows without bound.
 */
Test(checkpoint, snapshots_go_on_after_a_corrupt_snapshot)
{
	struct run r;
	struct qdef d = {.set = "SET min_deltas_for_snapshot = 2;"};
	run_open(&r, d);
	epochs(r.ck, 0, 1);
	wait_snapshots(1);
	epochs(r.ck, 2, 3);
	wait_snapshots(3);
	run_close(&r);
	corrupt("state/0/3.snapshot");

	run_open(&r, d);
	expect_shards(sl_ckpt_recovery(r.ck), "S1 D2 D3", "S3");
	epochs(r.ck, 4, 5);
	/* shard 1 gets its snapshot at 5 (two deltas after 3); shard 0, which
	 * goes on from its good snapshot at 1, at 4, or at 5 when maintenance
	 * comes to it after both commits (it snapshots the newest batch) */
	wait_for("state/1/5.snapshot", true);
	for (int i = 0; !exists("state/0/4.snapshot") && !exists("state/0/5.snapshot") && i < WAIT_MS;
	     i++)
		usleep(1000);
	bool made = exists("state/0/4.snapshot") || exists("state/0/5.snapshot");
	char *log = strdup(run_log(&r));
	run_close(&r);
	cr_expect(made, "shard 0 made no snapshot at batch 4 or 5 after its corrupt snapshot at 3; "
			"log:\n%s",
		  log);
	cr_expect(strstr(log, "no snapshot of shard") == NULL, "a snapshot failed:\n%s", log);
	free(log);
}

/*
 * Regression (fixed: retention's base is the newest snapshot known good),
 * the same root as the one above, worse: retention picked its
 * base per shard from the snapshot files' names alone (maintain(): the
 * newest snapshot at or before the oldest kept batch), so with the other
 * shard's snapshots keeping retention going, shard 0's corrupt snapshot at
 * 3 becomes its base: its valid snapshot at 1 and deltas 0-3 are deleted.
 * From then on no batch of shard 0 can be loaded, and the next restart is
 * refused ("has no batch left that can be recovered"): one corrupt file,
 * already found and said at the restart before, loses the checkpoint.
 */
Test(checkpoint, retention_after_a_corrupt_snapshot_keeps_the_checkpoint_recoverable)
{
	struct run r;
	struct qdef d = {.set = "SET min_deltas_for_snapshot = 2; SET min_batches_to_retain = 2;"};
	run_open(&r, d);
	epochs(r.ck, 0, 1);
	wait_snapshots(1);
	epochs(r.ck, 2, 3);
	wait_snapshots(3);
	run_close(&r);
	corrupt("state/0/3.snapshot");

	run_open(&r, d);
	for (uint64_t b = 4; b <= 7; b++) {
		epochs(r.ck, b, b);
		if (b % 2 == 1)
			wait_for(b == 5 ? "state/1/5.snapshot" : "state/1/7.snapshot", true);
	}
	wait_for("commits/5", false); /* retention after batch 7 ran */
	run_close(&r);

	struct sl_ckpt *ck = run_try_with(&r, d, &sl_sink_noop_ops);
	cr_expect(ck != NULL, "refused: %s\nlog:\n%s", r.err, run_log(&r));
	if (ck != NULL)
		cr_expect_eq(sl_ckpt_recovery(ck)->last_commit, 7);
	run_close(&r);
}

/*
 * Regression (fixed: try_batch checks the sources' log entries too):
 * docs/checkpoints.md says a corrupt newest file makes recovery fall back
 * to the batch before; a corrupt source log entry (sources/<k>/N) of the
 * newest commit instead makes sl_ckpt_open fail outright ("checkpoint
 * file sources/0/2 is corrupt"), although batch 1 is whole: try_batch()
 * checks the offsets and state files, and load_logs() runs after the
 * choice, with no way back.
 */
Test(checkpoint, corrupt_source_log_of_the_newest_commit_falls_back)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	for (uint64_t b = 0; b <= 2; b++) {
		put_epoch_log(r.ck, b, "files", b == 0);
		commit(r.ck, b);
	}
	run_close(&r);
	corrupt("sources/0/2");

	struct sl_ckpt *ck = run_try_with(&r, (struct qdef){0}, &sl_sink_noop_ops);
	cr_expect(ck != NULL, "refused: %s", r.err);
	if (ck != NULL)
		cr_expect_eq(sl_ckpt_recovery(ck)->last_commit, 1);
	run_close(&r);
}

/* --------------------------------------------------------- refusals */

/* Makes a checkpoint for the default query with one committed batch. */
static void make_default(void)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	epochs(r.ck, 0, 0);
	run_close(&r);
}

static void expect_refused(struct qdef d, const char *const want[])
{
	struct run r;
	cr_assert_null(run_try_with(&r, d, &sl_sink_noop_ops), "not refused");
	for (size_t i = 0; want[i] != NULL; i++)
		expect_err(&r, want[i]);
	run_close(&r);
	/* the refusal changed nothing: the query as it was still opens */
	run_open(&r, (struct qdef){0});
	expect_batch(sl_ckpt_recovery(r.ck), 0);
	run_close(&r);
}

Test(checkpoint, changed_grouping_is_refused)
{
	make_default();
	expect_refused((struct qdef){.keys = ", k, v"},
		       (const char *const[]){
			       "was written by query 'q' with different grouping (window included)",
			       "it had [window(ts, 60000000, 60000000, 0) STRUCT<start: TIMESTAMP, end: "
			       "TIMESTAMP>, k STRING]",
			       "this one has [window(ts, 60000000, 60000000, 0) STRUCT<start: "
			       "TIMESTAMP, end: TIMESTAMP>, k STRING, v BIGINT]",
			       "give it a new checkpoint directory", NULL});
}

Test(checkpoint, changed_aggregates_are_refused)
{
	make_default();
	expect_refused((struct qdef){.aggs = "count(*) AS n, sum(v) AS s, max(v) AS m"},
		       (const char *const[]){"with different aggregates",
					     "it had [count(1) BIGINT, sum(v) BIGINT]",
					     "this one has [count(1) BIGINT, sum(v) BIGINT, max(v) "
					     "BIGINT]",
					     NULL});
}

Test(checkpoint, changed_sources_are_refused)
{
	make_default();
	expect_refused((struct qdef){.source = "events"},
		       (const char *const[]){"with different sources", "it had [ev (batches)]",
					     "this one has [events (batches)]", NULL});
}

Test(checkpoint, changed_shard_count_is_refused)
{
	make_default();
	expect_refused((struct qdef){.shards = 3},
		       (const char *const[]){"with different shard count", "it had [2]",
					     "this one has [3]", NULL});
}

Test(checkpoint, another_querys_checkpoint_is_refused)
{
	make_default();
	expect_refused((struct qdef){.sink = "other"},
		       (const char *const[]){"belongs to query 'q' (id ", "not to 'other'",
					     "give this one its own directory", NULL});
}

Test(checkpoint, changed_trigger_and_rate_settings_are_accepted)
{
	make_default();
	struct run r;
	run_open(&r, (struct qdef){.options = ", trigger = '1 second'",
				   .set = "SET min_deltas_for_snapshot = 3;"});
	expect_batch(sl_ckpt_recovery(r.ck), 0);
	run_close(&r);
}

Test(checkpoint, newer_format_is_refused)
{
	make_default();
	uint8_t *b;
	size_t n;
	read_whole("metadata", &b, &n);
	/* format 2, with a header checksum that matches it */
	uint8_t h[SL_CKPT_HEADER_SIZE];
	sl_ckpt_header_encode(h, SL_CKPT_METADATA, 0, b + SL_CKPT_HEADER_SIZE,
			      n - SL_CKPT_HEADER_SIZE);
	cr_assert_eq(memcmp(h, b, SL_CKPT_HEADER_SIZE), 0, "the header encodes as written");
	h[4] = 2;
	h[5] = 0;
	uint32_t crc = sl_crc32c(0, h, 28);
	for (int i = 0; i < 4; i++)
		h[28 + i] = (uint8_t)(crc >> (8 * i));
	memcpy(b, h, sizeof(h));
	write_whole("metadata", b, n);
	free(b);

	struct run r;
	cr_assert_null(run_try_with(&r, (struct qdef){0}, &sl_sink_noop_ops));
	expect_err(&r, "checkpoint file metadata was written by a newer sluice (format 2; this "
		       "one reads up to 1)");
	run_close(&r);
}

Test(checkpoint, non_empty_directory_without_metadata_is_refused)
{
	char p[512];
	cr_assert_eq(mkdir(g_dir, 0755), 0);
	path_of(p, sizeof(p), "notes.txt");
	FILE *f = fopen(p, "w");
	cr_assert(f != NULL);
	fputs("not a checkpoint\n", f);
	fclose(f);

	struct run r;
	cr_assert_null(run_try_with(&r, (struct qdef){0}, &sl_sink_noop_ops));
	expect_err(&r, "is not empty and has no metadata file: it is not a sluice checkpoint");
	run_close(&r);
	cr_expect_not(exists("metadata"), "nothing written into it");
	cr_expect_not(exists("offsets"));
}

Test(checkpoint, directory_in_use_is_refused)
{
	struct run a, b;
	run_open(&a, (struct qdef){0});
	/* flock locks belong to the open file description: a second open in
	 * the same process conflicts as another process would */
	cr_assert_null(run_try_with(&b, (struct qdef){0}, &sl_sink_noop_ops));
	expect_err(&b, "is in use by another running query");
	expect_err(&b, "stop that one first, or give this query its own directory");
	run_close(&b);
	run_close(&a);
	/* closed: free again */
	run_open(&b, (struct qdef){0});
	run_close(&b);
}

/*
 * Metadata whose query and id are present but empty (a hand-edited file;
 * sluice never writes one): meta_get() found the value but left the buffer
 * unallocated, and check_metadata() passed its NULL pointer to strcmp.
 * Now refused as another query's checkpoint.
 */
Test(checkpoint, metadata_with_empty_query_and_id_is_refused_not_crashed)
{
	cr_assert_eq(mkdir(g_dir, 0755), 0);
	int root = open(g_dir, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(root, 0);
	char err[640];
	const char text[] = "query=\nid=\n";
	cr_assert_eq(sl_ckpt_write_sync(root, "metadata", SL_CKPT_METADATA, 0, text,
					sizeof(text) - 1, err, sizeof(err)),
		     0, "%s", err);
	close(root);

	struct run r;
	cr_assert_null(run_try_with(&r, (struct qdef){0}, &sl_sink_noop_ops));
	expect_err(&r, "belongs to query '' (id ), not to 'q'");
	run_close(&r);
}

/* ------------------------------------------------------- payload parsers */

Test(checkpoint, parse_payload_accepts_every_file_the_checkpoint_writes)
{
	struct run r;
	struct qdef d = {.set = "SET min_deltas_for_snapshot = 2;"};
	run_open(&r, d);
	put_epoch_log(r.ck, 0, "entry", true);
	commit(r.ck, 0);
	epochs(r.ck, 1, 1);
	wait_snapshots(1);
	run_close(&r);
	struct {
		const char *rel;
		enum sl_ckpt_kind kind;
	} files[] = {
		{"metadata", SL_CKPT_METADATA},		{"offsets/1", SL_CKPT_OFFSETS},
		{"commits/1", SL_CKPT_COMMIT},		{"state/0/1.delta", SL_CKPT_DELTA},
		{"state/1/1.snapshot", SL_CKPT_SNAPSHOT}, {"sources/0/0", SL_CKPT_SOURCE_LOG},
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		void *mem;
		const uint8_t *p;
		uint64_t n;
		char err[640] = "";
		payload_of(files[i].rel, files[i].kind, &mem, &p, &n);
		cr_expect_eq(sl_ckpt_parse_payload(files[i].kind, p, n, err, sizeof(err)), 0,
			     "%s: %s", files[i].rel, err);
		free(mem);
	}
}

/* Every proper prefix of a valid payload is refused (the formats have no
 * optional tail), and so is the payload with a byte more. */
static void expect_exact(enum sl_ckpt_kind kind, const uint8_t *p, size_t n)
{
	char err[640];
	uint8_t *copy = malloc(n + 1);
	cr_assert(copy != NULL);
	memcpy(copy, p, n);
	for (size_t k = 0; k < n; k++) {
		/* an allocation of exactly k bytes: a read past it trips ASan */
		uint8_t *cut = malloc(k ? k : 1);
		cr_assert(cut != NULL);
		memcpy(cut, p, k);
		cr_expect_lt(sl_ckpt_parse_payload(kind, cut, k, err, sizeof(err)), 0,
			     "kind %d: a prefix of %zu of %zu bytes was accepted", kind, k, n);
		free(cut);
	}
	copy[n] = 0;
	cr_expect_lt(sl_ckpt_parse_payload(kind, copy, n + 1, err, sizeof(err)), 0,
		     "kind %d: a trailing byte was accepted", kind);
	free(copy);
}

Test(checkpoint, parse_payload_refuses_cut_or_extended_payloads)
{
	struct run r;
	run_open(&r, (struct qdef){0});
	epochs(r.ck, 0, 0);
	run_close(&r);
	const char *rel[] = {"offsets/0", "commits/0", "state/0/0.delta"};
	enum sl_ckpt_kind kind[] = {SL_CKPT_OFFSETS, SL_CKPT_COMMIT, SL_CKPT_DELTA};
	for (int i = 0; i < 3; i++) {
		void *mem;
		const uint8_t *p;
		uint64_t n;
		payload_of(rel[i], kind[i], &mem, &p, &n);
		expect_exact(kind[i], p, n);
		free(mem);
	}
}

Test(checkpoint, parse_payload_metadata_needs_query_and_id)
{
	char err[256];
	const char ok[] = "format=1\nid=ab\\\\c\nquery=q\\nx\n";
	const char no_id[] = "format=1\nquery=q\n";
	const char no_query[] = "id=1\nqueryx=q\n";
	const char empty[] = "query=\nid=";
	cr_expect_eq(sl_ckpt_parse_payload(SL_CKPT_METADATA, (const uint8_t *)ok, sizeof(ok) - 1,
					   err, sizeof(err)),
		     0, "%s", err);
	cr_expect_eq(sl_ckpt_parse_payload(SL_CKPT_METADATA, (const uint8_t *)no_id,
					   sizeof(no_id) - 1, err, sizeof(err)),
		     -EINVAL);
	cr_expect_eq(sl_ckpt_parse_payload(SL_CKPT_METADATA, (const uint8_t *)no_query,
					   sizeof(no_query) - 1, err, sizeof(err)),
		     -EINVAL);
	cr_expect_eq(sl_ckpt_parse_payload(SL_CKPT_METADATA, (const uint8_t *)empty,
					   sizeof(empty) - 1, err, sizeof(err)),
		     0, "%s", err);
	cr_expect_eq(sl_ckpt_parse_payload(SL_CKPT_METADATA, NULL, 0, err, sizeof(err)), -EINVAL);
	const char nul[] = "query=q\0x\nid=1\n";
	cr_expect_eq(sl_ckpt_parse_payload(SL_CKPT_METADATA, (const uint8_t *)nul, sizeof(nul) - 1,
					   err, sizeof(err)),
		     -EINVAL);
	cr_expect(strstr(err, "the value of query holds a NUL byte") != NULL, "%s", err);
}

Test(checkpoint, parse_payload_offsets_of_another_version)
{
	uint8_t p[4] = {2, 0, 0, 0};
	char err[256];
	cr_expect_eq(sl_ckpt_parse_payload(SL_CKPT_OFFSETS, p, sizeof(p), err, sizeof(err)),
		     -EPROTONOSUPPORT);
	cr_expect(strstr(err, "holds offsets of version 2") != NULL, "%s", err);
}
