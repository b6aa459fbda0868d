/*
 * checkpoint.c — a query's checkpoint directory (see checkpoint.h and
 * docs/checkpoints.md).
 *
 * Payloads (inside the checked files of state/ckpt_file.h), little-endian:
 *   metadata   text, one "key=value" a line (values escaped: \n, \\); the
 *              keys that make the fingerprint are compared on restart
 *   offsets/N  u32 version, u64 batch, u64 limit_left, u8 has_time,
 *              [time: i64 max_event_ms, u32 n, n x (i64 max_event_in,
 *              i64 wm_in_ms, u8 wm_in_set), i64 wm_late_us, i64 wm_evict_us],
 *              u32 ninputs, per input: u8 replayable, blob offset,
 *              u8 log (0 none, 1 entry, 2 compact)
 *   commits/N  u32 version, u64 batch, u64 output rows
 *   sources/<k>/N  u8 compact, then the source's bytes
 * where a blob is u64 length + bytes.
 *
 * Threads: everything but the maintenance thread runs on the control
 * thread. The maintenance thread reads and writes only snapshot files and
 * deletes old files; the control thread tells it the newest durable commit.
 */
#include "checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ckpt_file.h"
#include "plan.h"
#include "state_codec.h"
#include "types.h"

#define OFFSETS_VERSION 1
#define COMMIT_VERSION 1
#define LOG_COMPACT_INTERVAL 10 /* Spark's spark.sql.streaming.fileSource.log.compactInterval */
#define WRITER_DEPTH 64
#define COMMIT_GROUP (UINT64_C(1) << 63)

/* ------------------------------------------------------------------ */
/* bytes                                                               */

static int put_u8(struct sl_strbuf *b, uint8_t v)
{
	return sl_strbuf_append(b, (const char *)&v, 1);
}

static int put_u32(struct sl_strbuf *b, uint32_t v)
{
	uint8_t x[4];
	for (int i = 0; i < 4; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	return sl_strbuf_append(b, (const char *)x, 4);
}

static int put_u64(struct sl_strbuf *b, uint64_t v)
{
	uint8_t x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	return sl_strbuf_append(b, (const char *)x, 8);
}

static int put_blob(struct sl_strbuf *b, const void *p, size_t n)
{
	int rc = put_u64(b, n);
	return rc < 0 ? rc : sl_strbuf_append(b, p, n);
}

struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t get_n(struct rd *r, int n)
{
	if (r->bad || r->end - r->p < n) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static struct sl_blob get_blob(struct rd *r)
{
	uint64_t n = get_n(r, 8);
	if (r->bad || (uint64_t)(r->end - r->p) < n) {
		r->bad = true;
		return (struct sl_blob){NULL, 0};
	}
	struct sl_blob b = {r->p, n};
	r->p += n;
	return b;
}

/* ------------------------------------------------------------------ */
/* the checkpoint                                                      */

struct maint {
	pthread_t tid;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int64_t want;   /* newest durable commit to maintain up to */
	int64_t done;   /* maintained up to */
	bool quit;
};

struct sl_ckpt {
	const struct sl_plan *plan;
	char path[4096];
	int root;
	int lock_fd;
	uint32_t ninputs, nshards;
	uint32_t min_deltas, retain;
	struct sl_ckpt_writer *w;
	struct sl_ckpt_recovery rec;
	void **mem; /* file images the recovery's blobs point into */
	uint32_t nmem, capmem;
	/* per input: log entries since the last compact one */
	uint32_t since_compact[SL_PLAN_MAX_INPUTS];
	/* commits queued, oldest first, not yet durable */
	uint64_t commits[64];
	uint32_t ncommits;
	int64_t committed;
	/* per shard: the newest snapshot known good (-1: none), and every
	 * snapshot known good, ascending: recovery read it, or maintenance
	 * wrote it. Snapshots and retention start only from these, never from
	 * a file that is merely there (it may be corrupt). */
	int64_t *snap;
	struct known_snaps {
		int64_t *v;
		uint32_t n, cap;
	} *known;
	/* per shard: the newest snapshot an aggregator wrote in place of a
	 * delta (-1: none), under m.mu: maintenance adopts it once committed */
	int64_t *batch_snap;
	struct maint m;
	char error[640];
	int err;
	FILE *log;
	char id[40]; /* the query's id, from the metadata */
};

static int snap_known(struct sl_ckpt *ck, uint32_t s, int64_t b)
{
	struct known_snaps *k = &ck->known[s];
	if (k->n > 0 && k->v[k->n - 1] >= b)
		return 0;
	if (k->n == k->cap) {
		uint32_t cap = k->cap ? 2 * k->cap : 8;
		int64_t *v = realloc(k->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = b;
	return 0;
}

static int keep_mem(struct sl_ckpt *ck, void *p)
{
	if (ck->nmem == ck->capmem) {
		uint32_t cap = ck->capmem ? 2 * ck->capmem : 64;
		void **n = realloc(ck->mem, cap * sizeof(*n));
		if (n == NULL) {
			free(p);
			return -ENOMEM;
		}
		ck->mem = n;
		ck->capmem = cap;
	}
	ck->mem[ck->nmem++] = p;
	return 0;
}

/* ------------------------------------------------------------------ */
/* metadata and the fingerprint                                        */

static int meta_put(struct sl_strbuf *b, const char *key, const char *val)
{
	int rc = sl_strbuf_puts(b, key);
	rc |= sl_strbuf_putc(b, '=');
	for (const char *p = val; *p && rc == 0; p++) {
		if (*p == '\n')
			rc = sl_strbuf_puts(b, "\\n");
		else if (*p == '\\')
			rc = sl_strbuf_puts(b, "\\\\");
		else
			rc = sl_strbuf_putc(b, *p);
	}
	return rc | sl_strbuf_putc(b, '\n');
}

/* The value of `key` in a metadata payload, unescaped into out. */
static bool meta_get(const uint8_t *p, size_t n, const char *key, struct sl_strbuf *out)
{
	size_t kl = strlen(key);
	size_t i = 0;
	sl_strbuf_reset(out);
	while (i < n) {
		size_t e = i;
		while (e < n && p[e] != '\n')
			e++;
		if (e - i > kl && memcmp(p + i, key, kl) == 0 && p[i + kl] == '=') {
			/* out->ptr is a string even for an empty value: callers
			 * read it so (an empty buffer's ptr is NULL) */
			if (sl_strbuf_append(out, "", 0) < 0)
				return false;
			for (size_t j = i + kl + 1; j < e; j++) {
				char c = (char)p[j];
				if (c == '\\' && j + 1 < e) {
					j++;
					c = p[j] == 'n' ? '\n' : (char)p[j];
				}
				if (sl_strbuf_putc(out, c) < 0)
					return false;
			}
			return true;
		}
		i = e + 1;
	}
	return false;
}

/* What a restart may not change (Spark's rules for stateful queries):
 * the sources, the grouping (window included), the aggregates, the shard
 * count. Each as one line of text, for messages that say what changed. */
enum { FP_SOURCES, FP_GROUPING, FP_AGGREGATES, FP_SHARDS, FP_N };
static const char *const fp_key[FP_N] = {"sources", "grouping", "aggregates", "shards"};
static const char *const fp_what[FP_N] = {"sources", "grouping (window included)",
					  "aggregates", "shard count"};

static int fingerprint(const struct sl_plan *plan, struct sl_strbuf fp[FP_N])
{
	int rc = 0;
	char num[32];
	for (uint32_t k = 0; k < sl_plan_ninputs(plan); k++) {
		const struct sl_source_spec *s = &sl_plan_input(plan, k)->source;
		if (k)
			rc |= sl_strbuf_puts(&fp[FP_SOURCES], ", ");
		rc |= sl_strbuf_puts(&fp[FP_SOURCES], s->name);
		rc |= sl_strbuf_puts(&fp[FP_SOURCES], " (");
		rc |= sl_strbuf_puts(&fp[FP_SOURCES], s->connector);
		rc |= sl_strbuf_puts(&fp[FP_SOURCES], ")");
	}
	for (uint32_t i = 0; plan->has_agg && i < plan->nkeys; i++) {
		if (i)
			rc |= sl_strbuf_puts(&fp[FP_GROUPING], ", ");
		rc |= sl_expr_text(plan->keys[i], &plan->pipeline_out, &fp[FP_GROUPING]);
		rc |= sl_strbuf_puts(&fp[FP_GROUPING], " ");
		rc |= sl_strbuf_puts(&fp[FP_GROUPING], sl_type_name(plan->keys[i]->type));
	}
	if (plan->has_agg && plan->nkeys == 0)
		rc |= sl_strbuf_puts(&fp[FP_GROUPING], "(none: one global group)");
	if (!plan->has_agg)
		rc |= sl_strbuf_puts(&fp[FP_GROUPING], "(no aggregation)");
	for (uint32_t j = 0; plan->has_agg && j < plan->naggs; j++) {
		if (j)
			rc |= sl_strbuf_puts(&fp[FP_AGGREGATES], ", ");
		rc |= sl_strbuf_puts(&fp[FP_AGGREGATES], plan->aggs[j].name);
		rc |= sl_strbuf_puts(&fp[FP_AGGREGATES], " ");
		rc |= sl_strbuf_puts(&fp[FP_AGGREGATES], sl_type_name(plan->aggs[j].type));
	}
	if (!plan->has_agg || plan->naggs == 0)
		rc |= sl_strbuf_puts(&fp[FP_AGGREGATES], "(none)");
	snprintf(num, sizeof(num), "%u", plan->has_agg ? plan->settings.shards : 0);
	rc |= sl_strbuf_puts(&fp[FP_SHARDS], num);
	return rc < 0 ? -ENOMEM : 0;
}

/* ------------------------------------------------------------------ */
/* directories                                                         */

static int mkdir_at(int dirfd, const char *rel)
{
	if (mkdirat(dirfd, rel, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int mkdir_p(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -errno;
			buf[i] = c;
		}
	}
	return 0;
}

/* The batch numbers of the files in dirfd/rel named "N" + suffix, sorted
 * ascending. */
static int list_batches(int dirfd, const char *rel, const char *suffix, int64_t **out,
			uint32_t *nout)
{
	*out = NULL;
	*nout = 0;
	int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -errno;
	}
	size_t sl = strlen(suffix);
	uint32_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		size_t k = 0;
		uint64_t v = 0;
		while (nm[k] >= '0' && nm[k] <= '9' && k < 19)
			v = v * 10 + (uint64_t)(nm[k++] - '0');
		if (k == 0 || strcmp(nm + k, suffix) != 0 || strlen(nm) != k + sl)
			continue;
		if (*nout == cap) {
			cap = cap ? 2 * cap : 64;
			int64_t *n = realloc(*out, cap * sizeof(*n));
			if (n == NULL) {
				closedir(d);
				return -ENOMEM;
			}
			*out = n;
		}
		(*out)[(*nout)++] = (int64_t)v;
	}
	closedir(d);
	for (uint32_t i = 1; i < *nout; i++) { /* insertion sort: lists are short */
		int64_t x = (*out)[i];
		uint32_t j = i;
		while (j > 0 && (*out)[j - 1] > x) {
			(*out)[j] = (*out)[j - 1];
			j--;
		}
		(*out)[j] = x;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* reading one epoch back                                              */

struct offsets {
	uint64_t batch, limit_left;
	bool has_time;
	struct sl_time_state time;
	uint32_t ninputs;
	bool replayable[SL_PLAN_MAX_INPUTS];
	struct sl_blob offset[SL_PLAN_MAX_INPUTS];
	uint8_t log[SL_PLAN_MAX_INPUTS];
};

static int decode_offsets(const uint8_t *p, uint64_t n, const char *name, struct offsets *o,
			  char *err, size_t errlen)
{
	struct rd r = {p, p + n, false};
	memset(o, 0, sizeof(*o));
	uint32_t v = (uint32_t)get_n(&r, 4);
	if (!r.bad && v != OFFSETS_VERSION) {
		snprintf(err, errlen, "checkpoint file %s holds offsets of version %u (this sluice reads %d)",
			 name, v, OFFSETS_VERSION);
		return -EPROTONOSUPPORT;
	}
	o->batch = get_n(&r, 8);
	o->limit_left = get_n(&r, 8);
	o->has_time = get_n(&r, 1) != 0;
	if (o->has_time) {
		o->time.max_event_ms = (int64_t)get_n(&r, 8);
		uint32_t k = (uint32_t)get_n(&r, 4);
		if (k > SL_PLAN_MAX_INPUTS)
			r.bad = true;
		for (uint32_t i = 0; i < k && !r.bad; i++) {
			o->time.max_event_in[i] = (int64_t)get_n(&r, 8);
			o->time.wm_in_ms[i] = (int64_t)get_n(&r, 8);
			o->time.wm_in_set[i] = (uint8_t)get_n(&r, 1);
		}
		o->time.wm_late_us = (int64_t)get_n(&r, 8);
		o->time.wm_evict_us = (int64_t)get_n(&r, 8);
	}
	o->ninputs = (uint32_t)get_n(&r, 4);
	if (o->ninputs > SL_PLAN_MAX_INPUTS)
		r.bad = true;
	for (uint32_t k = 0; k < o->ninputs && !r.bad; k++) {
		o->replayable[k] = get_n(&r, 1) != 0;
		o->offset[k] = get_blob(&r);
		o->log[k] = (uint8_t)get_n(&r, 1);
	}
	if (r.bad || r.p != r.end) {
		snprintf(err, errlen,
			 "checkpoint file %s is corrupt: its offsets do not parse (its checksum "
			 "matched, so it was written so: a bug, please report it)",
			 name);
		return -EINVAL;
	}
	return 0;
}

static int read_file(struct sl_ckpt *ck, const char *rel, enum sl_ckpt_kind kind,
		     const uint8_t **p, uint64_t *n, char *err, size_t errlen)
{
	void *mem = NULL;
	uint64_t epoch;
	int rc = sl_ckpt_read(ck->root, rel, kind, &mem, p, n, &epoch, err, errlen);
	if (rc < 0) {
		free(mem);
		return rc;
	}
	return keep_mem(ck, mem);
}

static int load_logs(struct sl_ckpt *ck, uint32_t k, int64_t c, struct sl_source_restore *r,
		     char *err, size_t errlen);

/* Whether batch c can be recovered: its commit, its offsets, every shard's
 * snapshot-and-deltas chain, its sources' log entries. On success fills o,
 * the shard loads, each shard's snapshot in use (ck->snap) and the sources'
 * logs; on failure changes none of them. */
static int try_batch(struct sl_ckpt *ck, int64_t c, bool need_commit, struct offsets *o,
		     char *err, size_t errlen)
{
	char rel[128];
	const uint8_t *p;
	uint64_t n;
	int rc;
	if (need_commit) {
		snprintf(rel, sizeof(rel), "commits/%" PRId64, c);
		if ((rc = read_file(ck, rel, SL_CKPT_COMMIT, &p, &n, err, errlen)) < 0)
			return rc;
		struct rd r = {p, p + n, false};
		uint32_t v = (uint32_t)get_n(&r, 4);
		uint64_t b = get_n(&r, 8);
		get_n(&r, 8);
		if (r.bad || r.p != r.end || v != COMMIT_VERSION || b != (uint64_t)c) {
			snprintf(err, errlen,
				 "checkpoint file %s is corrupt: it is not the commit of batch %" PRId64,
				 rel, c);
			return -EINVAL;
		}
	}
	snprintf(rel, sizeof(rel), "offsets/%" PRId64, c);
	if ((rc = read_file(ck, rel, SL_CKPT_OFFSETS, &p, &n, err, errlen)) < 0)
		return rc;
	if ((rc = decode_offsets(p, n, rel, o, err, errlen)) < 0)
		return rc;
	if (o->batch != (uint64_t)c || o->ninputs != ck->ninputs) {
		snprintf(err, errlen, "checkpoint file %s is corrupt: it describes batch %" PRIu64
			 " of %u inputs", rel, o->batch, o->ninputs);
		return -EINVAL;
	}
	uint32_t ns = ck->nshards;
	struct sl_ckpt_shard_load *L = calloc(ns ? ns : 1, sizeof(*L));
	int64_t *from = calloc(ns ? ns : 1, sizeof(*from));
	rc = L == NULL || from == NULL ? -ENOMEM : 0;
	for (uint32_t s = 0; rc == 0 && s < ns; s++) {
		char dir[64];
		snprintf(dir, sizeof(dir), "state/%u", s);
		int64_t *snaps;
		uint32_t nsnaps;
		if ((rc = list_batches(ck->root, dir, ".snapshot", &snaps, &nsnaps)) < 0) {
			snprintf(err, errlen, "cannot list %.300s/%s: %s", ck->path, dir, strerror(-rc));
			break;
		}
		/* the newest valid snapshot at or before c (-1: from nothing) */
		from[s] = -1;
		for (uint32_t i = nsnaps; i-- > 0;) {
			if (snaps[i] > c)
				continue;
			snprintf(rel, sizeof(rel), "%s/%" PRId64 ".snapshot", dir, snaps[i]);
			char why[512];
			if (read_file(ck, rel, SL_CKPT_SNAPSHOT, &p, &n, why, sizeof(why)) == 0) {
				from[s] = snaps[i];
				break;
			}
			fprintf(ck->log,
				"sluice: checkpoint: %s; using an older snapshot, or the deltas "
				"alone\n",
				why);
		}
		free(snaps);
		uint32_t cap = 0;
		if (from[s] >= 0) {
			cap = 16;
			if ((L[s].p = malloc(cap * sizeof(*L[s].p))) == NULL) {
				rc = -ENOMEM;
				break;
			}
			L[s].p[L[s].n++] = (struct sl_blob){p, n};
		}
		for (int64_t b = from[s] + 1; rc == 0 && b <= c; b++) {
			snprintf(rel, sizeof(rel), "%s/%" PRId64 ".delta", dir, b);
			if ((rc = read_file(ck, rel, SL_CKPT_DELTA, &p, &n, err, errlen)) < 0)
				break;
			if (L[s].n == cap) { /* grown as files are found: no guess from c */
				cap = cap ? 2 * cap : 16;
				struct sl_blob *g = realloc(L[s].p, cap * sizeof(*g));
				if (g == NULL) {
					rc = -ENOMEM;
					break;
				}
				L[s].p = g;
			}
			L[s].p[L[s].n++] = (struct sl_blob){p, n};
		}
	}
	struct sl_source_restore lg[SL_PLAN_MAX_INPUTS];
	memset(lg, 0, sizeof(lg));
	for (uint32_t k = 0; rc == 0 && k < ck->ninputs; k++)
		if (o->replayable[k])
			rc = load_logs(ck, k, c, &lg[k], err, errlen);
	if (rc == 0) {
		for (uint32_t k = 0; k < ck->ninputs; k++) {
			ck->rec.src[k].logs = lg[k].logs;
			ck->rec.src[k].nlogs = lg[k].nlogs;
		}
		for (uint32_t s = 0; s < ns; s++) {
			free(ck->rec.shard[s].p);
			ck->rec.shard[s] = L[s];
			ck->snap[s] = from[s];
		}
	} else {
		for (uint32_t s = 0; L != NULL && s < ns; s++)
			free(L[s].p);
	}
	free(L);
	free(from);
	return rc;
}

/* Input k's log entries up to batch c (the newest compact one first). */
static int load_logs(struct sl_ckpt *ck, uint32_t k, int64_t c, struct sl_source_restore *r,
		     char *err, size_t errlen)
{
	char dir[64], rel[128];
	snprintf(dir, sizeof(dir), "sources/%u", k);
	int64_t *ns;
	uint32_t nn;
	int rc = list_batches(ck->root, dir, "", &ns, &nn);
	if (rc < 0) {
		snprintf(err, errlen, "cannot list %.300s/%s: %s", ck->path, dir, strerror(-rc));
		return rc;
	}
	struct sl_blob *logs = calloc(nn + 1, sizeof(*logs));
	if (logs == NULL) {
		free(ns);
		return -ENOMEM;
	}
	if ((rc = keep_mem(ck, logs)) < 0) {
		free(ns);
		return rc;
	}
	/* from the newest at or before c back to the first compact one */
	uint32_t first = nn, last = nn;
	for (uint32_t i = nn; i-- > 0;) {
		if (ns[i] > c)
			continue;
		if (last == nn)
			last = i;
		snprintf(rel, sizeof(rel), "%s/%" PRId64, dir, ns[i]);
		const uint8_t *p;
		uint64_t n;
		if ((rc = read_file(ck, rel, SL_CKPT_SOURCE_LOG, &p, &n, err, errlen)) < 0)
			goto out;
		if (n < 1) {
			snprintf(err, errlen, "checkpoint file %s is corrupt: empty", rel);
			rc = -EINVAL;
			goto out;
		}
		logs[i] = (struct sl_blob){p + 1, n - 1};
		first = i;
		if (p[0] == 1)
			break;
	}
	r->logs = first < nn ? &logs[first] : logs;
	r->nlogs = first < nn ? last - first + 1 : 0;
	rc = 0;
out:
	free(ns);
	return rc;
}

/* Input k's log entry of batch b (the batch to replay), when it has one:
 * 0 with *out set or left empty (none: the batch took no files), or -errno
 * with err for one that cannot be read. */
static int load_replay_log(struct sl_ckpt *ck, uint32_t k, int64_t b, struct sl_blob *out,
			   char *err, size_t errlen)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "sources/%u/%" PRId64, k, b);
	const uint8_t *p;
	uint64_t n;
	int rc = read_file(ck, rel, SL_CKPT_SOURCE_LOG, &p, &n, err, errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc == 0 && n >= 1)
		*out = (struct sl_blob){p + 1, n - 1};
	return rc;
}

/* ------------------------------------------------------------------ */
/* the maintenance thread: snapshots and retention                      */

static void unlink_batches_below(int root, const char *dir, const char *suffix, int64_t below)
{
	int64_t *ns;
	uint32_t nn;
	if (list_batches(root, dir, suffix, &ns, &nn) < 0)
		return;
	char rel[128];
	for (uint32_t i = 0; i < nn && ns[i] < below; i++) {
		snprintf(rel, sizeof(rel), "%s/%" PRId64 "%s", dir, ns[i], suffix);
		unlinkat(root, rel, 0);
	}
	free(ns);
}

/* A snapshot of shard s at batch c from the newest snapshot before it and
 * the deltas after that (files only). */
static int make_snapshot(struct sl_ckpt *ck, uint32_t s, int64_t c, char *err, size_t errlen)
{
	int64_t from = ck->snap[s];
	uint32_t n = 0;
	struct sl_blob *in = calloc((size_t)(c - from) + 1, sizeof(*in));
	void **mem = calloc((size_t)(c - from) + 1, sizeof(*mem));
	int rc = in == NULL || mem == NULL ? -ENOMEM : 0;
	char rel[128];
	for (int64_t b = from; rc == 0 && b <= c; b++) {
		if (b < 0)
			continue;
		bool snap = b == from;
		snprintf(rel, sizeof(rel), "state/%u/%" PRId64 ".%s", s, b, snap ? "snapshot" : "delta");
		const uint8_t *p;
		uint64_t len, ep;
		rc = sl_ckpt_read(ck->root, rel, snap ? SL_CKPT_SNAPSHOT : SL_CKPT_DELTA, &mem[n], &p,
				  &len, &ep, err, errlen);
		if (rc == -ENOENT && !snap) {
			/* the batch wrote the shard whole (a high-churn batch):
			 * the merge starts again from it */
			free(mem[n]);
			mem[n] = NULL;
			snprintf(rel, sizeof(rel), "state/%u/%" PRId64 ".snapshot", s, b);
			rc = sl_ckpt_read(ck->root, rel, SL_CKPT_SNAPSHOT, &mem[n], &p, &len, &ep, err,
					  errlen);
			if (rc == 0) {
				for (uint32_t i = 0; i < n; i++)
					free(mem[i]);
				mem[0] = mem[n];
				n = 0;
			}
		}
		in[n++] = (struct sl_blob){p, len};
	}
	void *out = NULL;
	size_t outlen = 0;
	if (rc == 0)
		rc = sl_state_compact(in, n, &out, &outlen, err, errlen);
	if (rc == 0) {
		snprintf(rel, sizeof(rel), "state/%u/%" PRId64 ".snapshot", s, c);
		rc = sl_ckpt_write_sync(ck->root, rel, SL_CKPT_SNAPSHOT, (uint64_t)c, out, outlen, err,
					errlen);
	}
	free(out);
	for (uint32_t i = 0; mem != NULL && i < n; i++)
		free(mem[i]);
	free(mem);
	free(in);
	return rc;
}

static void maintain(struct sl_ckpt *ck, int64_t c)
{
	char err[512], dir[64];
	bool any_snapshot = false;
	for (uint32_t s = 0; s < ck->nshards; s++) {
		/* a snapshot a batch wrote whole (a high-churn shard), durable
		 * now that a later commit is */
		pthread_mutex_lock(&ck->m.mu);
		int64_t bs = ck->batch_snap[s];
		pthread_mutex_unlock(&ck->m.mu);
		if (bs >= 0 && bs <= c && bs > ck->snap[s]) {
			ck->snap[s] = bs;
			snap_known(ck, s, bs);
			any_snapshot = true;
		}
		if (c - ck->snap[s] < (int64_t)ck->min_deltas)
			continue;
		int rc = make_snapshot(ck, s, c, err, sizeof(err));
		if (rc < 0) {
			/* the deltas still recover the state: say so and go on */
			fprintf(ck->log, "sluice: checkpoint: no snapshot of shard %u at batch %" PRId64
				": %s\n", s, c, err);
			continue;
		}
		ck->snap[s] = c;
		snap_known(ck, s, c); /* without room, retention keeps more: fine */
		any_snapshot = true;
	}
	if (!any_snapshot && ck->nshards > 0)
		return;
	if (ck->nshards == 0 && c % (int64_t)ck->min_deltas != 0)
		return;
	/* retention: every batch from keep on stays recoverable */
	int64_t keep = c - (int64_t)ck->retain + 1;
	if (keep <= 0)
		return;
	unlink_batches_below(ck->root, "offsets", "", keep);
	unlink_batches_below(ck->root, "commits", "", keep);
	for (uint32_t s = 0; s < ck->nshards; s++) {
		/* the newest snapshot known good at or before keep: what a
		 * recovery of any kept batch may start from */
		struct known_snaps *k = &ck->known[s];
		uint32_t i = 0;
		while (i < k->n && k->v[i] <= keep)
			i++;
		if (i == 0)
			continue;
		int64_t base = k->v[i - 1];
		snprintf(dir, sizeof(dir), "state/%u", s);
		unlink_batches_below(ck->root, dir, ".snapshot", base);
		unlink_batches_below(ck->root, dir, ".delta", base + 1);
		memmove(k->v, k->v + i - 1, (k->n - (i - 1)) * sizeof(*k->v));
		k->n -= i - 1;
	}
	for (uint32_t k = 0; k < ck->ninputs; k++) {
		/* the newest compact entry at or before keep, and what follows */
		snprintf(dir, sizeof(dir), "sources/%u", k);
		int64_t *ns;
		uint32_t nn;
		if (list_batches(ck->root, dir, "", &ns, &nn) < 0)
			continue;
		int64_t base = -1;
		for (uint32_t i = nn; i-- > 0 && base < 0;) {
			if (ns[i] > keep)
				continue;
			char rel[128];
			snprintf(rel, sizeof(rel), "%s/%" PRId64, dir, ns[i]);
			void *mem = NULL;
			const uint8_t *p;
			uint64_t n, ep;
			if (sl_ckpt_read(ck->root, rel, SL_CKPT_SOURCE_LOG, &mem, &p, &n, &ep, err,
					 sizeof(err)) == 0 &&
			    n >= 1 && p[0] == 1)
				base = ns[i];
			free(mem);
		}
		free(ns);
		if (base >= 0)
			unlink_batches_below(ck->root, dir, "", base);
	}
}

static void *maint_thread(void *arg)
{
	struct sl_ckpt *ck = arg;
	pthread_setname_np(pthread_self(), "sl-ckpt-maint");
	/* snapshots are the checkpoint's background work: they run when the
	 * query's pinned cores leave a CPU idle, never in their way (merging
	 * ten deltas of a million groups takes seconds of CPU) */
	struct sched_param sp = {0};
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	pthread_mutex_lock(&ck->m.mu);
	for (;;) {
		while (!ck->m.quit && ck->m.want <= ck->m.done)
			pthread_cond_wait(&ck->m.cv, &ck->m.mu);
		if (ck->m.quit)
			break;
		int64_t c = ck->m.want;
		pthread_mutex_unlock(&ck->m.mu);
		maintain(ck, c);
		pthread_mutex_lock(&ck->m.mu);
		ck->m.done = c;
	}
	pthread_mutex_unlock(&ck->m.mu);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* open and recover                                                     */

static int write_metadata(struct sl_ckpt *ck, const struct sl_strbuf fp[FP_N], uint64_t sink_base,
			  char *err, size_t errlen)
{
	const struct sl_plan *plan = ck->plan;
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	char id[33], num[64];
	sl_random_hex(id);
	snprintf(ck->id, sizeof(ck->id), "%s", id);
	int rc = meta_put(&b, "format", "1");
	rc |= meta_put(&b, "id", id);
	rc |= meta_put(&b, "query", plan->sink.name);
	snprintf(num, sizeof(num), "%lld", (long long)time(NULL));
	rc |= meta_put(&b, "created", num);
	for (int i = 0; i < FP_N; i++)
		rc |= meta_put(&b, fp_key[i], fp[i].ptr ? fp[i].ptr : "");
	snprintf(num, sizeof(num), "%" PRIu64, sink_base);
	rc |= meta_put(&b, "sink_base", num);
	rc |= meta_put(&b, "text", plan->text ? plan->text : "");
	if (rc < 0) {
		sl_strbuf_free(&b);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = sl_ckpt_write_sync(ck->root, "metadata", SL_CKPT_METADATA, 0, b.ptr, b.len, err, errlen);
	sl_strbuf_free(&b);
	if (rc == 0)
		fprintf(ck->log, "sluice: checkpoint %s: a new query '%s', id %s\n", ck->path,
			plan->sink.name, id);
	return rc;
}

static int make_layout(struct sl_ckpt *ck, char *err, size_t errlen)
{
	char rel[64];
	int rc = mkdir_at(ck->root, "offsets");
	rc = rc ? rc : mkdir_at(ck->root, "commits");
	rc = rc ? rc : mkdir_at(ck->root, "sources");
	rc = rc ? rc : mkdir_at(ck->root, "state");
	for (uint32_t k = 0; rc == 0 && k < ck->ninputs; k++) {
		snprintf(rel, sizeof(rel), "sources/%u", k);
		rc = mkdir_at(ck->root, rel);
	}
	for (uint32_t s = 0; rc == 0 && s < ck->nshards; s++) {
		snprintf(rel, sizeof(rel), "state/%u", s);
		rc = mkdir_at(ck->root, rel);
	}
	if (rc < 0)
		snprintf(err, errlen, "cannot make the checkpoint's directories in %s: %s", ck->path,
			 strerror(-rc));
	return rc;
}

/* Checks an existing metadata file against the query; sets *sink_base. */
static int check_metadata(struct sl_ckpt *ck, const uint8_t *p, uint64_t n,
			  const struct sl_strbuf fp[FP_N], uint64_t *sink_base, char *err,
			  size_t errlen)
{
	struct sl_strbuf v;
	sl_strbuf_init(&v);
	int rc = 0;
	if (!meta_get(p, n, "query", &v) || !meta_get(p, n, "id", &v)) {
		snprintf(err, errlen, "checkpoint file %s/metadata is corrupt: no query id", ck->path);
		rc = -EINVAL;
		goto out;
	}
	char id[64];
	snprintf(id, sizeof(id), "%s", v.ptr);
	snprintf(ck->id, sizeof(ck->id), "%s", v.ptr);
	meta_get(p, n, "query", &v);
	if (strcmp(v.ptr, ck->plan->sink.name) != 0) {
		snprintf(err, errlen,
			 "checkpoint %s belongs to query '%s' (id %s), not to '%s': two queries "
			 "cannot share a checkpoint; give this one its own directory",
			 ck->path, v.ptr, id, ck->plan->sink.name);
		rc = -EEXIST;
		goto out;
	}
	for (int i = 0; i < FP_N; i++) {
		if (!meta_get(p, n, fp_key[i], &v))
			sl_strbuf_reset(&v);
		const char *now = fp[i].ptr ? fp[i].ptr : "";
		if (strcmp(v.ptr ? v.ptr : "", now) != 0) {
			snprintf(err, errlen,
				 "checkpoint %s was written by query '%s' with different %s: it "
				 "had [%s], this one has [%s]; a restart keeps the sources, grouping, "
				 "aggregates and shard count (rate limits, triggers and sink options "
				 "may change): restore the query, or give it a new checkpoint "
				 "directory",
				 ck->path, ck->plan->sink.name, fp_what[i], v.ptr ? v.ptr : "", now);
			rc = -EINVAL;
			goto out;
		}
	}
	*sink_base = 0;
	if (meta_get(p, n, "sink_base", &v))
		*sink_base = strtoull(v.ptr, NULL, 10);
	fprintf(ck->log, "sluice: checkpoint %s: query '%s', id %s\n", ck->path,
		ck->plan->sink.name, id);
out:
	sl_strbuf_free(&v);
	return rc;
}

static void restore_offsets(struct sl_ckpt *ck, const struct offsets *o)
{
	struct sl_ckpt_recovery *r = &ck->rec;
	r->have_time = o->has_time;
	r->time = o->time;
	r->limit_left = o->limit_left;
	for (uint32_t k = 0; k < ck->ninputs; k++) {
		r->has_offset[k] = o->replayable[k];
		r->src[k].epoch = o->batch;
		r->src[k].offset = o->offset[k];
	}
}

static int recover(struct sl_ckpt *ck, const struct sl_sink_ops *sink_ops, struct sl_sink *sink,
		   char *err, size_t errlen)
{
	struct sl_ckpt_recovery *r = &ck->rec;
	int64_t *commits;
	uint32_t ncommits;
	int rc = list_batches(ck->root, "commits", "", &commits, &ncommits);
	if (rc < 0) {
		snprintf(err, errlen, "cannot list %s/commits: %s", ck->path, strerror(-rc));
		return rc;
	}
	struct offsets o;
	int64_t c = -1;
	char why[640] = "";
	for (uint32_t i = ncommits; i-- > 0;) {
		rc = try_batch(ck, commits[i], true, &o, why, sizeof(why));
		if (rc == 0) {
			c = commits[i];
			break;
		}
		if (rc == -ENOMEM) {
			snprintf(err, errlen, "out of memory reading the checkpoint");
			free(commits);
			return rc;
		}
		fprintf(ck->log, "sluice: checkpoint: batch %" PRId64 " cannot be recovered: %s%s\n",
			commits[i], why, i > 0 ? "; falling back to the batch before it" : "");
	}
	if (c < 0 && ncommits > 0) {
		snprintf(err, errlen,
			 "checkpoint %s has no batch left that can be recovered (the oldest "
			 "commit's problem: %s); move the directory away to start the query anew",
			 ck->path, why);
		free(commits);
		return -EINVAL;
	}
	free(commits);
	if (c >= 0)
		restore_offsets(ck, &o);
	/* epochs after c with offsets and no commit: adopt those the sink
	 * has published (their state was durable before it wrote them) */
	int64_t published = sink_ops->published ? sink_ops->published(sink) : -1;
	for (;;) {
		char rel[64];
		snprintf(rel, sizeof(rel), "offsets/%" PRId64, c + 1);
		if (faccessat(ck->root, rel, F_OK, 0) != 0)
			break;
		if (published < c + 1) {
			/* run it again: its sources take the same input */
			const uint8_t *p;
			uint64_t n;
			struct offsets nx;
			if (read_file(ck, rel, SL_CKPT_OFFSETS, &p, &n, why, sizeof(why)) < 0 ||
			    decode_offsets(p, n, rel, &nx, why, sizeof(why)) < 0 ||
			    nx.ninputs != ck->ninputs) {
				fprintf(ck->log, "sluice: checkpoint: %s; batch %" PRId64
					" runs again from its sources' committed offsets\n",
					why, c + 1);
				break;
			}
			for (uint32_t k = 0; k < ck->ninputs; k++)
				if (nx.replayable[k])
					r->src[k].replay = nx.offset[k];
			fprintf(ck->log, "sluice: checkpoint: batch %" PRId64
				" was planned but not committed; it runs again\n", c + 1);
			break;
		}
		struct offsets nx;
		rc = try_batch(ck, c + 1, false, &nx, why, sizeof(why));
		if (rc < 0) {
			fprintf(ck->log,
				"sluice: checkpoint: the sink published batch %" PRId64
				" but its checkpoint files cannot be read (%s); it runs again, and "
				"the sink keeps what it published\n",
				c + 1, why);
			break;
		}
		c++;
		o = nx;
		restore_offsets(ck, &o);
		snprintf(rel, sizeof(rel), "commits/%" PRId64, c);
		struct sl_strbuf b;
		sl_strbuf_init(&b);
		int prc = put_u32(&b, COMMIT_VERSION) | put_u64(&b, (uint64_t)c) | put_u64(&b, 0);
		rc = prc < 0 ? -ENOMEM
			     : sl_ckpt_write_sync(ck->root, rel, SL_CKPT_COMMIT, (uint64_t)c, b.ptr,
						  b.len, err, errlen);
		sl_strbuf_free(&b);
		if (rc < 0)
			return rc;
		fprintf(ck->log, "sluice: checkpoint: batch %" PRId64
			" was published by the sink before the stop; committed it now\n", c);
	}
	if (c < 0) {
		/* nothing committed: every shard starts empty */
		for (uint32_t s = 0; s < ck->nshards; s++)
			r->shard[s].n = 0;
	}
	r->last_commit = c;
	r->next_batch = (uint64_t)(c + 1);
	for (uint32_t k = 0; k < ck->ninputs; k++) {
		if (!r->has_offset[k])
			r->src[k].offset = (struct sl_blob){NULL, 0};
		if (r->src[k].replay.p == NULL)
			continue;
		/* the replayed batch's log entry (its files): without it the
		 * batch is planned afresh, which is fine as no one saw it */
		char why2[512];
		if (load_replay_log(ck, k, c + 1, &r->src[k].replay_log, why2, sizeof(why2)) < 0) {
			fprintf(ck->log, "sluice: checkpoint: %s; batch %" PRId64
				" is planned afresh\n", why2, c + 1);
			r->src[k].replay = (struct sl_blob){NULL, 0};
		}
	}
	/* the snapshots recovery used are the ones known good: new snapshots
	 * and retention start from them (ck->snap, set by try_batch) */
	for (uint32_t s = 0; s < ck->nshards; s++)
		if (ck->snap[s] >= 0 && snap_known(ck, s, ck->snap[s]) < 0)
			return -ENOMEM;
	if (c >= 0)
		fprintf(ck->log, "sluice: checkpoint %s: resuming from batch %" PRId64
			" (the last committed batch is %" PRId64 ")\n",
			ck->path, c + 1, c);
	return 0;
}

struct sl_ckpt *sl_ckpt_open(const struct sl_plan *plan, const struct sl_sink_ops *sink_ops,
			     struct sl_sink *sink, FILE *log, char *err, size_t errlen)
{
	struct sl_ckpt *ck = calloc(1, sizeof(*ck));
	struct sl_strbuf fp[FP_N];
	for (int i = 0; i < FP_N; i++)
		sl_strbuf_init(&fp[i]);
	if (ck == NULL)
		goto err_nomem;
	ck->plan = plan;
	ck->log = log;
	ck->root = -1;
	ck->lock_fd = -1;
	ck->committed = -1;
	ck->ninputs = sl_plan_ninputs(plan);
	ck->nshards = plan->has_agg ? plan->settings.shards : 0;
	ck->min_deltas = plan->settings.min_deltas_for_snapshot ? plan->settings.min_deltas_for_snapshot : 10;
	ck->retain = plan->settings.min_batches_to_retain ? plan->settings.min_batches_to_retain : 100;
	snprintf(ck->path, sizeof(ck->path), "%s", plan->sink.checkpoint);
	ck->rec.nshards = ck->nshards;
	ck->rec.shard = calloc(ck->nshards ? ck->nshards : 1, sizeof(*ck->rec.shard));
	ck->snap = calloc(ck->nshards ? ck->nshards : 1, sizeof(*ck->snap));
	ck->known = calloc(ck->nshards ? ck->nshards : 1, sizeof(*ck->known));
	ck->batch_snap = calloc(ck->nshards ? ck->nshards : 1, sizeof(*ck->batch_snap));
	if (ck->rec.shard == NULL || ck->snap == NULL || ck->known == NULL || ck->batch_snap == NULL)
		goto err_nomem;
	for (uint32_t s = 0; s < ck->nshards; s++)
		ck->batch_snap[s] = -1;
	for (uint32_t s = 0; s < ck->nshards; s++)
		ck->snap[s] = -1;
	if (fingerprint(plan, fp) < 0)
		goto err_nomem;

	int rc = mkdir_p(ck->path);
	if (rc < 0) {
		snprintf(err, errlen, "cannot make checkpoint directory %s: %s", ck->path, strerror(-rc));
		goto err;
	}
	ck->root = open(ck->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ck->root < 0) {
		snprintf(err, errlen, "cannot open checkpoint directory %s: %s", ck->path,
			 strerror(errno));
		goto err;
	}
	ck->lock_fd = openat(ck->root, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (ck->lock_fd < 0 || flock(ck->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen,
			 "checkpoint %s is in use by another running query (or cannot be locked: "
			 "%s); stop that one first, or give this query its own directory",
			 ck->path, strerror(errno));
		goto err;
	}

	const uint8_t *p;
	uint64_t n;
	char why[640];
	rc = read_file(ck, "metadata", SL_CKPT_METADATA, &p, &n, why, sizeof(why));
	uint64_t sink_base = 0;
	if (rc == -ENOENT) {
		/* a new checkpoint, in an empty directory only */
		DIR *d = opendir(ck->path);
		struct dirent *de;
		bool empty = true;
		while (d != NULL && (de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
			    strcmp(de->d_name, ".lock") != 0 && strcmp(de->d_name, ".metadata.tmp") != 0)
				empty = false;
		if (d != NULL)
			closedir(d);
		if (!empty) {
			snprintf(err, errlen,
				 "checkpoint directory %s is not empty and has no metadata file: it "
				 "is not a sluice checkpoint (or its metadata was deleted); give the "
				 "query an empty or new directory",
				 ck->path);
			goto err;
		}
		sink_base = sink_ops->batch_base ? sink_ops->batch_base(sink) : 0;
		/* metadata first: a start killed before the layout is made
		 * finds it, and makes the layout then */
		if (write_metadata(ck, fp, sink_base, err, errlen) < 0 ||
		    make_layout(ck, err, errlen) < 0)
			goto err;
		ck->rec.fresh = true;
		ck->rec.last_commit = -1;
		ck->rec.limit_left = UINT64_MAX;
	} else if (rc < 0) {
		snprintf(err, errlen, "%s", why);
		goto err;
	} else {
		if (check_metadata(ck, p, n, fp, &sink_base, err, errlen) < 0)
			goto err;
		if (sink_ops->set_batch_base)
			sink_ops->set_batch_base(sink, sink_base);
		if (make_layout(ck, err, errlen) < 0)
			goto err;
		ck->rec.limit_left = UINT64_MAX;
		if (recover(ck, sink_ops, sink, err, errlen) < 0)
			goto err;
	}
	for (int i = 0; i < FP_N; i++)
		sl_strbuf_free(&fp[i]);
	ck->committed = ck->rec.last_commit;

	ck->w = sl_ckpt_writer_create(ck->root, WRITER_DEPTH, err, errlen);
	if (ck->w == NULL)
		goto err;
	if (sl_ckpt_writer_sync(ck->w))
		fprintf(log, "sluice: checkpoint: io_uring is not available here; checkpoint files "
			     "are written synchronously\n");
	pthread_mutex_init(&ck->m.mu, NULL);
	pthread_cond_init(&ck->m.cv, NULL);
	ck->m.want = ck->m.done = ck->rec.last_commit;
	if ((rc = pthread_create(&ck->m.tid, NULL, maint_thread, ck)) != 0) {
		snprintf(err, errlen, "cannot start the checkpoint maintenance thread: %s",
			 strerror(rc));
		goto err;
	}
	ck->m.started = true;
	return ck;

err_nomem:
	snprintf(err, errlen, "out of memory opening the checkpoint");
err:
	for (int i = 0; i < FP_N; i++)
		sl_strbuf_free(&fp[i]);
	sl_ckpt_close(ck);
	return NULL;
}

const struct sl_ckpt_recovery *sl_ckpt_recovery(const struct sl_ckpt *ck)
{
	return &ck->rec;
}

const char *sl_ckpt_query_id(const struct sl_ckpt *ck)
{
	return ck->id;
}

void sl_ckpt_close(struct sl_ckpt *ck)
{
	if (ck == NULL)
		return;
	if (ck->w != NULL)
		sl_ckpt_writer_destroy(ck->w);
	if (ck->m.started) {
		pthread_mutex_lock(&ck->m.mu);
		ck->m.quit = true;
		pthread_cond_signal(&ck->m.cv);
		pthread_mutex_unlock(&ck->m.mu);
		pthread_join(ck->m.tid, NULL);
		pthread_mutex_destroy(&ck->m.mu);
		pthread_cond_destroy(&ck->m.cv);
	}
	for (uint32_t s = 0; ck->rec.shard != NULL && s < ck->nshards; s++)
		free(ck->rec.shard[s].p);
	free(ck->rec.shard);
	for (uint32_t i = 0; i < ck->nmem; i++)
		free(ck->mem[i]);
	free(ck->mem);
	free(ck->snap);
	for (uint32_t s = 0; ck->known != NULL && s < ck->nshards; s++)
		free(ck->known[s].v);
	free(ck->known);
	free(ck->batch_snap);
	if (ck->lock_fd >= 0)
		close(ck->lock_fd); /* releases the lock */
	if (ck->root >= 0)
		close(ck->root);
	free(ck);
}

/* ------------------------------------------------------------------ */
/* epochs                                                              */

bool sl_ckpt_log_compact_due(const struct sl_ckpt *ck, uint32_t k)
{
	return ck->since_compact[k] + 1 >= LOG_COMPACT_INTERVAL;
}

static int failed(struct sl_ckpt *ck, int rc, char *err, size_t errlen)
{
	if (ck->err == 0) {
		ck->err = rc;
		if (sl_ckpt_writer_error(ck->w, ck->error, sizeof(ck->error)) == 0)
			snprintf(ck->error, sizeof(ck->error), "checkpoint %.300s: %s", ck->path,
				 strerror(-rc));
	}
	snprintf(err, errlen, "%s", ck->error);
	return rc;
}

static int queue(struct sl_ckpt *ck, const char *rel, enum sl_ckpt_kind kind, uint64_t batch,
		 const void *p, size_t n, uint64_t group, char *err, size_t errlen)
{
	void *copy = malloc(n ? n : 1);
	if (copy == NULL)
		return failed(ck, -ENOMEM, err, errlen);
	if (n)
		memcpy(copy, p, n);
	int rc = sl_ckpt_writer_put(ck->w, rel, kind, batch, copy, n, group);
	return rc < 0 ? failed(ck, rc, err, errlen) : 0;
}

int sl_ckpt_epoch(struct sl_ckpt *ck, uint64_t batch, const struct sl_ckpt_epoch *ep, char *err,
		  size_t errlen)
{
	if (ck->err)
		return failed(ck, ck->err, err, errlen);
	char rel[128];
	int rc = 0;
	/* the state deltas: their buffers go to the writer as they are */
	for (uint32_t i = 0; i < ep->ndeltas; i++) {
		struct sl_state_delta *d = ep->deltas[i];
		snprintf(rel, sizeof(rel), "state/%u/%" PRIu64 ".%s", d->shard, batch,
			 d->snapshot ? "snapshot" : "delta");
		if (d->snapshot && d->shard < ck->nshards) {
			pthread_mutex_lock(&ck->m.mu);
			ck->batch_snap[d->shard] = (int64_t)batch;
			pthread_mutex_unlock(&ck->m.mu);
		}
		void *buf = d->buf;
		d->buf = NULL;
		if (buf == NULL && (buf = malloc(1)) == NULL)
			return failed(ck, -ENOMEM, err, errlen);
		rc = sl_ckpt_writer_put(ck->w, rel, d->snapshot ? SL_CKPT_SNAPSHOT : SL_CKPT_DELTA,
					batch, buf, d->len, batch);
		if (rc < 0)
			return failed(ck, rc, err, errlen);
	}
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	for (uint32_t k = 0; k < ck->ninputs && rc == 0; k++) {
		const struct sl_strbuf *lg = ep->log[k];
		if (lg == NULL || lg->len == 0)
			continue;
		sl_strbuf_reset(&b);
		rc = put_u8(&b, ep->log_compact[k] ? 1 : 0);
		rc = rc ? rc : sl_strbuf_append(&b, lg->ptr, lg->len);
		snprintf(rel, sizeof(rel), "sources/%u/%" PRIu64, k, batch);
		if (rc == 0)
			rc = queue(ck, rel, SL_CKPT_SOURCE_LOG, batch, b.ptr, b.len, batch, err, errlen);
		ck->since_compact[k] = ep->log_compact[k] ? 0 : ck->since_compact[k] + 1;
	}
	if (rc == 0) {
		sl_strbuf_reset(&b);
		rc = put_u32(&b, OFFSETS_VERSION);
		rc |= put_u64(&b, batch);
		rc |= put_u64(&b, ep->limit_left);
		rc |= put_u8(&b, ep->time != NULL);
		if (ep->time != NULL) {
			const struct sl_time_state *t = ep->time;
			rc |= put_u64(&b, (uint64_t)t->max_event_ms);
			rc |= put_u32(&b, ck->ninputs);
			for (uint32_t k = 0; k < ck->ninputs; k++) {
				rc |= put_u64(&b, (uint64_t)t->max_event_in[k]);
				rc |= put_u64(&b, (uint64_t)t->wm_in_ms[k]);
				rc |= put_u8(&b, t->wm_in_set[k]);
			}
			rc |= put_u64(&b, (uint64_t)t->wm_late_us);
			rc |= put_u64(&b, (uint64_t)t->wm_evict_us);
		}
		rc |= put_u32(&b, ck->ninputs);
		for (uint32_t k = 0; k < ck->ninputs; k++) {
			const struct sl_strbuf *off = ep->offset[k];
			const struct sl_strbuf *lg = ep->log[k];
			rc |= put_u8(&b, ep->replayable[k]);
			rc |= put_blob(&b, off != NULL ? off->ptr : "", off != NULL ? off->len : 0);
			rc |= put_u8(&b, lg == NULL || lg->len == 0 ? 0 : ep->log_compact[k] ? 2 : 1);
		}
		snprintf(rel, sizeof(rel), "offsets/%" PRIu64, batch);
		rc = rc < 0 ? failed(ck, -ENOMEM, err, errlen)
			    : queue(ck, rel, SL_CKPT_OFFSETS, batch, b.ptr, b.len, batch, err, errlen);
	}
	sl_strbuf_free(&b);
	return rc;
}

bool sl_ckpt_durable(struct sl_ckpt *ck, uint64_t batch)
{
	int rc = sl_ckpt_writer_poll(ck->w);
	if (rc < 0) {
		char err[8];
		failed(ck, rc, err, sizeof(err));
		return false;
	}
	return sl_ckpt_writer_pending(ck->w, batch) == 0;
}

int sl_ckpt_commit(struct sl_ckpt *ck, uint64_t batch, uint64_t output_rows, char *err,
		   size_t errlen)
{
	if (ck->err)
		return failed(ck, ck->err, err, errlen);
	if (ck->ncommits == sizeof(ck->commits) / sizeof(ck->commits[0])) {
		/* as many commits in flight as we track: wait for the oldest */
		int rc = sl_ckpt_writer_drain(ck->w);
		if (rc < 0)
			return failed(ck, rc, err, errlen);
		sl_ckpt_committed(ck);
	}
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	int rc = put_u32(&b, COMMIT_VERSION) | put_u64(&b, batch) | put_u64(&b, output_rows);
	char rel[64];
	snprintf(rel, sizeof(rel), "commits/%" PRIu64, batch);
	rc = rc < 0 ? failed(ck, -ENOMEM, err, errlen)
		    : queue(ck, rel, SL_CKPT_COMMIT, batch, b.ptr, b.len, COMMIT_GROUP | batch, err,
			    errlen);
	sl_strbuf_free(&b);
	if (rc == 0)
		ck->commits[ck->ncommits++] = batch;
	return rc;
}

int64_t sl_ckpt_committed(struct sl_ckpt *ck)
{
	int rc = sl_ckpt_writer_poll(ck->w);
	if (rc < 0) {
		char err[8];
		failed(ck, rc, err, sizeof(err));
		return ck->committed;
	}
	/* commits become durable in any order; the newest of an unbroken run
	 * from the oldest is what counts */
	uint32_t k = 0;
	while (k < ck->ncommits && sl_ckpt_writer_pending(ck->w, COMMIT_GROUP | ck->commits[k]) == 0)
		k++;
	if (k > 0) {
		ck->committed = (int64_t)ck->commits[k - 1];
		memmove(ck->commits, ck->commits + k, (ck->ncommits - k) * sizeof(ck->commits[0]));
		ck->ncommits -= k;
		pthread_mutex_lock(&ck->m.mu);
		ck->m.want = ck->committed;
		pthread_cond_signal(&ck->m.cv);
		pthread_mutex_unlock(&ck->m.mu);
	}
	return ck->committed;
}

int sl_ckpt_error(const struct sl_ckpt *ck, char *err, size_t errlen)
{
	if (ck->err)
		snprintf(err, errlen, "%s", ck->error);
	return ck->err;
}

int sl_ckpt_drain(struct sl_ckpt *ck)
{
	int rc = sl_ckpt_writer_drain(ck->w);
	if (rc < 0) {
		char err[8];
		return failed(ck, rc, err, sizeof(err));
	}
	sl_ckpt_committed(ck);
	return 0;
}

/* ------------------------------------------------------------------ */
/* payload checks, for the fuzz harness and the tests                   */

/* Every key write_metadata writes. */
static const char *const meta_keys[] = {"format",     "id",     "query",     "created",
					"sources",    "grouping", "aggregates", "shards",
					"sink_base",  "text"};

int sl_ckpt_parse_payload(enum sl_ckpt_kind kind, const uint8_t *p, size_t n, char *err,
			  size_t errlen)
{
	switch (kind) {
	case SL_CKPT_METADATA: {
		/* as check_metadata reads it: every key looked up, each value
		 * read as a C string (which sluice never writes a NUL into);
		 * the query's name and id are needed */
		struct sl_strbuf v;
		sl_strbuf_init(&v);
		int rc = 0;
		for (size_t i = 0; i < sizeof(meta_keys) / sizeof(meta_keys[0]) && rc == 0; i++) {
			bool found = meta_get(p, n, meta_keys[i], &v);
			if (found && strlen(v.ptr) != v.len) {
				snprintf(err, errlen,
					 "checkpoint metadata is corrupt: the value of %s holds a NUL "
					 "byte",
					 meta_keys[i]);
				rc = -EINVAL;
			} else if (!found && (strcmp(meta_keys[i], "query") == 0 ||
					      strcmp(meta_keys[i], "id") == 0)) {
				snprintf(err, errlen, "checkpoint metadata is corrupt: no query id");
				rc = -EINVAL;
			}
		}
		sl_strbuf_free(&v);
		return rc;
	}
	case SL_CKPT_OFFSETS: {
		struct offsets o;
		return decode_offsets(p, n, "offsets", &o, err, errlen);
	}
	case SL_CKPT_COMMIT: {
		struct rd r = {p, p + n, false};
		uint32_t v = (uint32_t)get_n(&r, 4);
		get_n(&r, 8); /* batch */
		get_n(&r, 8); /* rows the sink was given */
		if (r.bad || r.p != r.end || v != COMMIT_VERSION) {
			snprintf(err, errlen,
				 "checkpoint commit is corrupt: %zu bytes, version %u (a commit is "
				 "20 bytes, version %d)",
				 n, v, COMMIT_VERSION);
			return -EINVAL;
		}
		return 0;
	}
	case SL_CKPT_DELTA:
	case SL_CKPT_SNAPSHOT: {
		/* as the aggregator loads it (the fingerprint aside) */
		struct sl_state_reader r;
		struct sl_state_record rec;
		int rc = sl_state_reader_init(&r, p, n, err, errlen);
		while (rc == 0 && (rc = sl_state_reader_next(&r, &rec, err, errlen)) > 0)
			rc = 0;
		return rc;
	}
	case SL_CKPT_SOURCE_LOG:
		if (n < 1) {
			snprintf(err, errlen, "checkpoint source log entry is corrupt: empty");
			return -EINVAL;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown checkpoint file kind %d", (int)kind);
	return -EINVAL;
}
