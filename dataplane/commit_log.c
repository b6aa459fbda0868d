/*
 * commit_log.c — the commit log of a sink's output directory (see
 * commit_log.h for the format and the invariants).
 *
 * Entries are small text files; each is read whole into one buffer and its
 * lines parsed with the JSON reader the record parsers use (json_simdjson.h),
 * one flat object per line. Listing the log directory (at most about 20
 * names) is how the latest batch is found, by the writer once at open and by
 * a reader at every poll.
 */
#include "commit_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "s3.h"
#include "json_simdjson.h"

#define LOG_VERSION "v1"
#define READ_RETRIES 4

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

void sl_commit_run_id(char out[SL_RUN_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[SL_RUN_ID_LEN / 2];
	size_t got = 0;
	while (got < sizeof(r)) {
		ssize_t k = getrandom(r + got, sizeof(r) - got, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	if (got < sizeof(r)) {
		/* no getrandom: time and pid still tell runs apart */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t a = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		uint64_t b = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^ a;
		memcpy(r, &a, 8);
		memcpy(r + 8, &b, 8);
	}
	for (size_t i = 0; i < sizeof(r); i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[SL_RUN_ID_LEN] = '\0';
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int sl_commit_write_atomic(int dirfd, const char *name, const void *buf, size_t len)
{
	char tmp[300];
	int w = snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	if (w < 0 || (size_t)w >= sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return -errno;
	int rc = write_all(fd, buf, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) != 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	/* the rename itself is durable only once the directory is */
	return fsync(dirfd) != 0 ? -errno : 0;
}

/* A log file name: "N" or "N.compact" with N decimal; false otherwise. */
static bool parse_name(const char *s, uint64_t *id, bool *compact)
{
	uint64_t v = 0;
	size_t i = 0;
	if (s[0] < '0' || s[0] > '9')
		return false;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i > 1 && s[0] == '0')
		return false; /* "007" is no name we write */
	if (s[i] == '\0')
		*compact = false;
	else if (strcmp(s + i, ".compact") == 0)
		*compact = true;
	else
		return false;
	*id = v;
	return true;
}

/* The names of a log directory. */
struct listing {
	uint64_t *plain, *compact;
	size_t nplain, ncompact, cap_plain, cap_compact;
	int64_t latest;
};

static void listing_free(struct listing *l)
{
	free(l->plain);
	free(l->compact);
	*l = (struct listing){.latest = -1};
}

static int push_id(uint64_t **v, size_t *n, size_t *cap, uint64_t id)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 32;
		uint64_t *nv = realloc(*v, c * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = id;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Where a log is: a directory's _sluice_log (logfd), or the objects under
 * "prefix/_sluice_log/" of an S3 bucket. */
struct log_store {
	int logfd;          /* -1 on S3 */
	struct sl_s3 *s3;   /* not owned */
	const char *bucket;
	char logp[1100];    /* S3: the log's key prefix, ending in '/' */
	bool any;           /* S3, after a listing: some object is under logp */
};

static int store_s3(struct log_store *st, struct sl_s3 *s3, const char *bucket, const char *prefix)
{
	*st = (struct log_store){.logfd = -1, .s3 = s3, .bucket = bucket};
	size_t n = strlen(prefix);
	int k = snprintf(st->logp, sizeof(st->logp), "%s%s" SL_COMMIT_LOG_DIR "/", prefix,
			 n > 0 && prefix[n - 1] != '/' ? "/" : "");
	return k < 0 || (size_t)k >= sizeof(st->logp) ? -ENAMETOOLONG : 0;
}

static void sort_listing(struct listing *l)
{
	if (l->nplain > 1)
		qsort(l->plain, l->nplain, sizeof(uint64_t), cmp_u64);
	if (l->ncompact > 1)
		qsort(l->compact, l->ncompact, sizeof(uint64_t), cmp_u64);
}

static int listing_add(struct listing *l, const char *name)
{
	uint64_t id;
	bool compact;
	if (!parse_name(name, &id, &compact))
		return 0;
	int rc = compact ? push_id(&l->compact, &l->ncompact, &l->cap_compact, id)
			 : push_id(&l->plain, &l->nplain, &l->cap_plain, id);
	if (rc == 0 && (int64_t)id > l->latest)
		l->latest = (int64_t)id;
	return rc;
}

/* S3: the log's objects, page by page (a compacted log is about 20). */
static int list_log_s3(struct log_store *st, struct listing *l)
{
	struct sl_s3_page page = {0};
	char token[sizeof(page.next_token)] = "";
	size_t pl = strlen(st->logp);
	int rc;
	st->any = false;
	do {
		rc = sl_s3_list_page(st->s3, st->bucket, st->logp, true, NULL, token, &page);
		for (uint32_t i = 0; rc == 0 && i < page.n; i++) {
			const char *key = sl_s3_page_key(&page, i);
			st->any = true;
			if (strncmp(key, st->logp, pl) == 0)
				rc = listing_add(l, key + pl);
		}
		memcpy(token, page.next_token, sizeof(token));
	} while (rc == 0 && page.truncated);
	sl_s3_page_free(&page);
	return rc;
}

/* List the log into l (sorted). 0 or -errno. */
static int list_log(struct log_store *st, struct listing *l)
{
	l->nplain = l->ncompact = 0;
	l->latest = -1;
	if (st->s3 != NULL) {
		int rc = list_log_s3(st, l);
		if (rc == 0)
			sort_listing(l);
		return rc;
	}
	int fd = openat(st->logfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
		if ((rc = listing_add(l, ent->d_name)) < 0)
			break;
	}
	if (rc == 0 && errno != 0)
		rc = -errno;
	closedir(d);
	if (rc == 0)
		sort_listing(l);
	return rc;
}

static bool has_id(const uint64_t *v, size_t n, uint64_t id)
{
	return n > 0 && bsearch(&id, v, n, sizeof(*v), cmp_u64) != NULL;
}

/* ------------------------------------------------------------------ */
/* writing entries                                                     */

static int put_json_str(struct sl_strbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = sl_strbuf_putc(sb, '"');
	for (size_t i = 0; rc == 0 && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			rc = sl_strbuf_append(sb, e, 2);
		} else if (c < 0x20) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			rc = sl_strbuf_append(sb, e, 6);
		} else {
			rc = sl_strbuf_putc(sb, (char)c);
		}
	}
	return rc < 0 ? rc : sl_strbuf_putc(sb, '"');
}

/* One batch's lines. */
static int put_batch(struct sl_strbuf *sb, const struct sl_commit_batch *b)
{
	char line[256];
	snprintf(line, sizeof(line),
		 "{\"batch\":%" PRIu64 ",\"run\":\"%s\",\"epoch\":%" PRIu64 ",\"files\":%" PRIu32
		 ",\"rows\":%" PRIu64 "}\n",
		 b->batch, b->run, b->epoch, b->nfiles, b->rows);
	int rc = sl_strbuf_puts(sb, line);
	for (uint32_t i = 0; rc == 0 && i < b->nfiles; i++) {
		const struct sl_commit_file *f = &b->files[i];
		if ((rc = sl_strbuf_puts(sb, "{\"path\":")) < 0 ||
		    (rc = put_json_str(sb, f->path, strlen(f->path))) < 0)
			break;
		snprintf(line, sizeof(line), ",\"size\":%" PRIu64 ",\"rows\":%" PRIu64 "}\n", f->size,
			 f->rows);
		rc = sl_strbuf_puts(sb, line);
	}
	return rc;
}

int sl_commit_encode_entry(const struct sl_commit_batch *b, struct sl_strbuf *out)
{
	sl_strbuf_reset(out);
	int rc = sl_strbuf_puts(out, "v1\n");
	return rc < 0 ? rc : put_batch(out, b);
}

/* ------------------------------------------------------------------ */
/* reading entries                                                     */

struct sl_commit_reader {
	struct sl_simdjson *json;
	char *buf; /* one log file */
	size_t cap;
	struct sl_commit_file *files;
	size_t *path_off; /* offsets into paths while a batch is parsed */
	uint32_t fcap;
	struct sl_strbuf paths;
	struct listing ls;
};

struct sl_commit_reader *sl_commit_reader_create(void)
{
	struct sl_commit_reader *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->ls.latest = -1;
	sl_strbuf_init(&r->paths);
	r->json = sl_simdjson_create();
	if (r->json == NULL) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void sl_commit_reader_destroy(struct sl_commit_reader *r)
{
	if (r == NULL)
		return;
	sl_simdjson_destroy(r->json);
	free(r->buf);
	free(r->files);
	free(r->path_off);
	sl_strbuf_free(&r->paths);
	listing_free(&r->ls);
	free(r);
}

static int grow_buf(struct sl_commit_reader *r, size_t want)
{
	if (want <= r->cap)
		return 0;
	char *nb = realloc(r->buf, want);
	if (nb == NULL)
		return -ENOMEM;
	r->buf = nb;
	r->cap = want;
	return 0;
}

/* S3: GETs of the object until it ends (an entry is small: usually one). */
static ssize_t slurp_s3(struct sl_commit_reader *r, struct log_store *st, const char *name)
{
	char key[1200];
	snprintf(key, sizeof(key), "%s%s", st->logp, name);
	size_t got = 0;
	for (;;) {
		if (grow_buf(r, got + 65536 + 1) < 0)
			return -ENOMEM;
		size_t want = r->cap - got - 1;
		ssize_t k = sl_s3_get_range(st->s3, st->bucket, key, r->buf + got, want, got);
		if (k < 0)
			return k;
		got += (size_t)k;
		if ((size_t)k < want)
			break;
		if (got > ((size_t)1 << 30))
			return -EFBIG; /* no entry we write is near that */
	}
	r->buf[got] = '\0';
	return (ssize_t)got;
}

/* Read the log's entry `name` whole into r->buf; its length, or -errno. */
static ssize_t slurp(struct sl_commit_reader *r, struct log_store *st, const char *name)
{
	if (st->s3 != NULL)
		return slurp_s3(r, st, name);
	int fd = openat(st->logfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st_;
	if (fstat(fd, &st_) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	size_t want = (size_t)st_.st_size;
	if (grow_buf(r, want + 1) < 0) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < want) {
		ssize_t k = read(fd, r->buf + got, want - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	r->buf[got] = '\0';
	return (ssize_t)got;
}

struct line_fields {
	bool has_batch, has_run, has_epoch, has_files, has_rows, has_path, has_size;
	uint64_t batch, epoch, files, rows, size;
	uint32_t run_off, run_len, path_off, path_len;
	bool path_escaped;
};

static int get_u64(struct sl_simdjson *j, uint64_t *out)
{
	int64_t v;
	if (sl_simdjson_int64(j, &v) != SL_SIMDJSON_OK || v < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* The known fields of one line; -1 when it is not a valid line of ours. */
static int parse_line(struct sl_simdjson *j, const char *line, uint32_t len, struct line_fields *f)
{
	*f = (struct line_fields){0};
	if (sl_simdjson_open(j, line, len) != SL_SIMDJSON_OK)
		return -1;
	const char *key;
	uint32_t klen;
	int rc;
	while ((rc = sl_simdjson_next(j, &key, &klen)) == SL_SIMDJSON_OK) {
		bool esc;
#define KEY(s) (klen == sizeof(s) - 1 && memcmp(key, s, klen) == 0)
		if (KEY("batch")) {
			if (get_u64(j, &f->batch) < 0)
				return -1;
			f->has_batch = true;
		} else if (KEY("epoch")) {
			if (get_u64(j, &f->epoch) < 0)
				return -1;
			f->has_epoch = true;
		} else if (KEY("files")) {
			if (get_u64(j, &f->files) < 0)
				return -1;
			f->has_files = true;
		} else if (KEY("rows")) {
			if (get_u64(j, &f->rows) < 0)
				return -1;
			f->has_rows = true;
		} else if (KEY("size")) {
			if (get_u64(j, &f->size) < 0)
				return -1;
			f->has_size = true;
		} else if (KEY("run")) {
			if (sl_simdjson_string(j, &f->run_off, &f->run_len, &esc) != SL_SIMDJSON_OK || esc)
				return -1;
			f->has_run = true;
		} else if (KEY("path")) {
			if (sl_simdjson_string(j, &f->path_off, &f->path_len, &f->path_escaped) !=
			    SL_SIMDJSON_OK)
				return -1;
			f->has_path = true;
		}
#undef KEY
		/* other fields: from a later minor version; skipped */
	}
	if (rc != SL_SIMDJSON_END || sl_simdjson_close(j) != SL_SIMDJSON_OK)
		return -1;
	return 0;
}

static bool safe_path(const char *p, size_t n)
{
	if (n == 0 || p[0] == '/' || memchr(p, '\0', n) != NULL)
		return false;
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && p[e] != '/')
			e++;
		if ((e - i == 2 && p[i] == '.' && p[i + 1] == '.') || e == i)
			return false;
		i = e + 1;
	}
	return true;
}

struct read_ctx {
	struct sl_commit_reader *r;
	uint64_t *next;
	uint64_t last;
	sl_commit_visit_fn fn;
	void *arg;
	char *err;
	size_t errlen;
	int visited;
};

/*
 * Parse log file `name` (already in r->buf, n bytes) that should hold
 * batches first_want.. (a plain entry: exactly `id`; a compaction: up to
 * `id`) and visit those in [*next, last]. 0 or <0.
 */
static int parse_file(struct read_ctx *c, const char *name, size_t n, uint64_t id, bool compact)
{
	struct sl_commit_reader *r = c->r;
	char *p = r->buf, *end = r->buf + n;
	char *nl = memchr(p, '\n', n);
	uint32_t lineno = 1;
#define CORRUPT(...)                                                                            \
	do {                                                                                       \
		char what_[256];                                                                   \
		snprintf(what_, sizeof(what_), __VA_ARGS__);                                       \
		snprintf(c->err, c->errlen, "commit log entry '" SL_COMMIT_LOG_DIR "/%s', line %u: %s", \
			 name, lineno, what_);                                                     \
		return -EBADMSG;                                                                   \
	} while (0)
	if (nl == NULL || (size_t)(nl - p) != strlen(LOG_VERSION) ||
	    memcmp(p, LOG_VERSION, strlen(LOG_VERSION)) != 0) {
		if (n > 1 && p[0] == 'v' && p[1] >= '2' && p[1] <= '9')
			CORRUPT("written by a newer sluice (version %.*s); this one reads " LOG_VERSION,
				(int)(nl != NULL ? nl - p : 2), p);
		CORRUPT("not a commit log entry (the first line is not '" LOG_VERSION "')");
	}
	p = nl + 1;
	bool have_prev = false;
	uint64_t prev = 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		lineno++;
		if (nl == NULL)
			CORRUPT("the last line has no line end: the entry is cut short");
		struct line_fields f;
		if (parse_line(r->json, p, (uint32_t)(nl - p), &f) < 0 || !f.has_batch ||
		    !f.has_run || !f.has_epoch || !f.has_files || f.run_len != SL_RUN_ID_LEN ||
		    f.files > UINT32_MAX)
			CORRUPT("expected a batch line {\"batch\":N,\"run\":...,\"epoch\":E,\"files\":K}");
		if (have_prev && f.batch != prev + 1)
			CORRUPT("batch %" PRIu64 " follows batch %" PRIu64, f.batch, prev);
		if (!compact && f.batch != id)
			CORRUPT("holds batch %" PRIu64 ", not %" PRIu64, f.batch, id);
		if (f.batch > id)
			CORRUPT("holds batch %" PRIu64 ", after the compaction's own %" PRIu64, f.batch,
				id);
		have_prev = true;
		prev = f.batch;
		struct sl_commit_batch b = {.batch = f.batch, .epoch = f.epoch, .rows = f.rows,
					    .nfiles = (uint32_t)f.files};
		memcpy(b.run, p + f.run_off, SL_RUN_ID_LEN);
		b.run[SL_RUN_ID_LEN] = '\0';
		if (b.nfiles > r->fcap) {
			struct sl_commit_file *nf = realloc(r->files, b.nfiles * sizeof(*nf));
			if (nf == NULL)
				return -ENOMEM;
			r->files = nf;
			size_t *no = realloc(r->path_off, b.nfiles * sizeof(*no));
			if (no == NULL)
				return -ENOMEM;
			r->path_off = no;
			r->fcap = b.nfiles;
		}
		sl_strbuf_reset(&r->paths);
		p = nl + 1;
		for (uint32_t k = 0; k < b.nfiles; k++) {
			if (p >= end)
				CORRUPT("batch %" PRIu64 " lists %u files, the entry ends after %u",
					b.batch, b.nfiles, k);
			nl = memchr(p, '\n', (size_t)(end - p));
			lineno++;
			if (nl == NULL)
				CORRUPT("the last line has no line end: the entry is cut short");
			if (parse_line(r->json, p, (uint32_t)(nl - p), &f) < 0 || !f.has_path ||
			    !f.has_size || f.has_batch)
				CORRUPT("expected file %u of batch %" PRIu64
					": {\"path\":...,\"size\":S,\"rows\":R}",
					k + 1, b.batch);
			size_t at = r->paths.len;
			if (sl_strbuf_reserve(&r->paths, f.path_len + 1) < 0)
				return -ENOMEM;
			char *dst = r->paths.ptr + at;
			int64_t plen = f.path_len;
			if (f.path_escaped)
				plen = sl_simdjson_unescape(p + f.path_off, f.path_len, dst);
			else
				memcpy(dst, p + f.path_off, f.path_len);
			if (plen < 0 || !safe_path(dst, (size_t)plen))
				CORRUPT("file %u of batch %" PRIu64 ": not a relative path inside the "
					"directory",
					k + 1, b.batch);
			dst[plen] = '\0';
			r->paths.len = at + (size_t)plen + 1;
			r->path_off[k] = at;
			r->files[k] = (struct sl_commit_file){.size = f.size, .rows = f.rows};
			p = nl + 1;
		}
		if (b.batch < *c->next || b.batch > c->last)
			continue;
		for (uint32_t k = 0; k < b.nfiles; k++)
			r->files[k].path = r->paths.ptr + r->path_off[k];
		b.files = r->files;
		int rc = c->fn(c->arg, &b);
		if (rc < 0)
			return rc;
		*c->next = b.batch + 1;
		c->visited++;
	}
	if (!have_prev)
		CORRUPT("holds no batch");
	if (prev != id)
		CORRUPT("ends with batch %" PRIu64 ", not %" PRIu64, prev, id);
#undef CORRUPT
	return 0;
}

int sl_commit_parse_entry(struct sl_commit_reader *r, const char *buf, size_t n, uint64_t id,
			  bool compact, uint64_t *next, uint64_t last, sl_commit_visit_fn fn,
			  void *arg, char *err, size_t errlen)
{
	if (grow_buf(r, n + 1) < 0)
		return -ENOMEM;
	memcpy(r->buf, buf, n);
	r->buf[n] = '\0';
	struct read_ctx c = {.r = r, .next = next, .last = last, .fn = fn, .arg = arg,
			     .err = err, .errlen = errlen};
	char name[40];
	snprintf(name, sizeof(name), "%" PRIu64 "%s", id, compact ? ".compact" : "");
	int rc = parse_file(&c, name, n, id, compact);
	return rc < 0 ? rc : c.visited;
}

/* The reader over a store; see sl_commit_reader_read. */
static int read_store(struct sl_commit_reader *r, struct log_store *st, uint64_t *next,
		      uint64_t last, sl_commit_visit_fn fn, void *arg, char *err, size_t errlen)
{
	struct read_ctx c = {.r = r, .next = next, .last = last, .fn = fn, .arg = arg,
			     .err = err, .errlen = errlen};
	if (errlen > 0)
		err[0] = '\0';
	int rc = list_log(st, &r->ls);
	if (rc == 0 && st->s3 != NULL && !st->any)
		return -ENOENT; /* no log at all */
	int retries = 0;
	while (rc == 0 && r->ls.latest >= 0 && *next <= (uint64_t)r->ls.latest && *next <= last) {
		uint64_t want = *next, id = 0;
		bool compact = false, found = false;
		/* a plain entry is the least to read; without one (a compaction
		 * batch, or deleted by a compaction), the largest compaction in
		 * [want, last] covers the most at once */
		if (has_id(r->ls.plain, r->ls.nplain, want)) {
			id = want;
			found = true;
		}
		for (size_t i = r->ls.ncompact; !found && i-- > 0;) {
			uint64_t cid = r->ls.compact[i];
			if (cid >= want && cid <= last) {
				id = cid;
				compact = found = true;
			}
		}
		if (!found) {
			/* deleted by a compaction since the listing: the first
			 * compaction after it holds it */
			for (size_t i = 0; i < r->ls.ncompact; i++) {
				if (r->ls.compact[i] >= want) {
					id = r->ls.compact[i];
					compact = found = true;
					break;
				}
			}
		}
		char name[40];
		snprintf(name, sizeof(name), "%" PRIu64 "%s", id, compact ? ".compact" : "");
		ssize_t n = found ? slurp(r, st, name) : -ENOENT;
		if (n == -ENOENT) {
			if (++retries > READ_RETRIES) {
				snprintf(err, errlen,
					 "the commit log '" SL_COMMIT_LOG_DIR "' misses batch %" PRIu64
					 " (its latest is %" PRId64 ")",
					 want, r->ls.latest);
				rc = -EBADMSG;
				break;
			}
			rc = list_log(st, &r->ls);
			continue;
		}
		if (n < 0) {
			snprintf(err, errlen, "cannot read '" SL_COMMIT_LOG_DIR "/%s': %s", name,
				 st->s3 != NULL && n != -ENOMEM ? sl_s3_error(st->s3) : strerror((int)-n));
			rc = (int)n;
			break;
		}
		rc = parse_file(&c, name, (size_t)n, id, compact);
		if (rc == 0 && *next == want) {
			snprintf(err, errlen,
				 "commit log entry '" SL_COMMIT_LOG_DIR "/%s' does not hold batch %" PRIu64,
				 name, want);
			rc = -EBADMSG;
		}
	}
	if (rc < 0 && rc != -ENOMEM && err[0] == '\0')
		snprintf(err, errlen, "cannot list the commit log '" SL_COMMIT_LOG_DIR "': %s",
			 st->s3 != NULL ? sl_s3_error(st->s3) : strerror(-rc));
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory reading the commit log");
	return rc < 0 ? rc : c.visited;
}

int sl_commit_reader_read(struct sl_commit_reader *r, int dirfd, uint64_t *next, uint64_t last,
			  sl_commit_visit_fn fn, void *arg, char *err, size_t errlen)
{
	struct log_store st = {.logfd = openat(dirfd, SL_COMMIT_LOG_DIR,
					       O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
	if (st.logfd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open the commit log '" SL_COMMIT_LOG_DIR "': %s",
			 strerror(e));
		return -e;
	}
	int rc = read_store(r, &st, next, last, fn, arg, err, errlen);
	close(st.logfd);
	return rc;
}

int sl_commit_reader_read_s3(struct sl_commit_reader *r, struct sl_s3 *s3, const char *bucket,
			     const char *prefix, uint64_t *next, uint64_t last,
			     sl_commit_visit_fn fn, void *arg, char *err, size_t errlen)
{
	struct log_store st;
	if (store_s3(&st, s3, bucket, prefix) < 0) {
		snprintf(err, errlen, "the prefix '%s' is too long for a commit log", prefix);
		return -ENAMETOOLONG;
	}
	return read_store(r, &st, next, last, fn, arg, err, errlen);
}

int sl_commit_log_exists_s3(struct sl_s3 *s3, const char *bucket, const char *prefix)
{
	struct log_store st;
	if (store_s3(&st, s3, bucket, prefix) < 0)
		return -ENAMETOOLONG;
	struct sl_s3_page page = {0};
	int rc = sl_s3_list_page(s3, bucket, st.logp, false, NULL, NULL, &page);
	bool any = rc == 0 && page.n > 0;
	sl_s3_page_free(&page);
	return rc < 0 ? rc : any;
}


bool sl_commit_log_exists(int dirfd)
{
	struct stat st;
	return fstatat(dirfd, SL_COMMIT_LOG_DIR, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* ------------------------------------------------------------------ */
/* the writer                                                          */

struct sl_commit_log {
	int dirfd;  /* the output directory; not owned; -1 on S3 */
	int logfd;  /* _sluice_log, flock'ed; -1 on S3 */
	struct log_store st; /* S3: the client (not owned), bucket, log prefix */
	char *bucket;        /* S3: owned */
	int64_t latest;
	char shown[512];
	struct sl_commit_reader *reader; /* for compactions */
	struct sl_strbuf out;
};

void sl_commit_log_close(struct sl_commit_log *log)
{
	if (log == NULL)
		return;
	if (log->logfd >= 0)
		close(log->logfd); /* drops the lock */
	sl_commit_reader_destroy(log->reader);
	sl_strbuf_free(&log->out);
	free(log->bucket);
	free(log);
}

/* Forget entries being written when an earlier writer stopped. */
static void remove_temps(int logfd)
{
	int fd = openat(logfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	struct dirent *ent;
	while ((ent = readdir(d)) != NULL) {
		size_t n = strlen(ent->d_name);
		if (n > 5 && ent->d_name[0] == '.' && strcmp(ent->d_name + n - 4, ".tmp") == 0)
			unlinkat(logfd, ent->d_name, 0);
	}
	closedir(d);
}

struct sl_commit_log *sl_commit_log_open(int dirfd, const char *shown_dir, char *err,
					  size_t errlen)
{
	struct sl_commit_log *log = calloc(1, sizeof(*log));
	if (log == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	log->dirfd = dirfd;
	log->logfd = -1;
	log->latest = -1;
	snprintf(log->shown, sizeof(log->shown), "%s", shown_dir);
	sl_strbuf_init(&log->out);
	if (mkdirat(dirfd, SL_COMMIT_LOG_DIR, 0777) == 0) {
		if (fsync(dirfd) != 0) {
			snprintf(err, errlen, "cannot sync directory '%s': %s", shown_dir,
				 strerror(errno));
			goto err_close;
		}
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot make the commit log '%s/" SL_COMMIT_LOG_DIR "': %s",
			 shown_dir, strerror(errno));
		goto err_close;
	}
	log->logfd = openat(dirfd, SL_COMMIT_LOG_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (log->logfd < 0) {
		snprintf(err, errlen, "cannot open the commit log '%s/" SL_COMMIT_LOG_DIR "': %s",
			 shown_dir, strerror(errno));
		goto err_close;
	}
	if (flock(log->logfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			snprintf(err, errlen,
				 "'%s' is being written by another query (it holds the lock of "
				 "'%s/" SL_COMMIT_LOG_DIR "'); one query at a time may write a "
				 "directory: write to another path",
				 shown_dir, shown_dir);
		else
			snprintf(err, errlen, "cannot lock '%s/" SL_COMMIT_LOG_DIR "': %s", shown_dir,
				 strerror(errno));
		goto err_close;
	}
	remove_temps(log->logfd);
	log->st = (struct log_store){.logfd = log->logfd};
	struct listing ls = {.latest = -1};
	int rc = list_log(&log->st, &ls);
	log->latest = ls.latest;
	listing_free(&ls);
	if (rc < 0) {
		snprintf(err, errlen, "cannot list '%s/" SL_COMMIT_LOG_DIR "': %s", shown_dir,
			 strerror(-rc));
		goto err_close;
	}
	log->reader = sl_commit_reader_create();
	if (log->reader == NULL) {
		snprintf(err, errlen, "out of memory");
		goto err_close;
	}
	return log;
err_close:
	sl_commit_log_close(log);
	return NULL;
}

struct sl_commit_log *sl_commit_log_open_s3(struct sl_s3 *s3, const char *bucket,
					     const char *prefix, const char *shown, char *err,
					     size_t errlen)
{
	struct sl_commit_log *log = calloc(1, sizeof(*log));
	if (log == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	log->dirfd = log->logfd = -1;
	log->latest = -1;
	snprintf(log->shown, sizeof(log->shown), "%s", shown);
	sl_strbuf_init(&log->out);
	log->bucket = strdup(bucket);
	log->reader = sl_commit_reader_create();
	if (log->bucket == NULL || log->reader == NULL) {
		snprintf(err, errlen, "out of memory");
		goto err_close;
	}
	if (store_s3(&log->st, s3, log->bucket, prefix) < 0) {
		snprintf(err, errlen, "the prefix of '%s' is too long for a commit log", shown);
		goto err_close;
	}
	struct listing ls = {.latest = -1};
	int rc = list_log(&log->st, &ls);
	log->latest = ls.latest;
	listing_free(&ls);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read the commit log of '%s': %s", shown,
			 rc == -ENOMEM ? "out of memory" : sl_s3_error(s3));
		goto err_close;
	}
	/* the log is there before the first data object, as a directory's
	 * _sluice_log/ is: a reader that finds objects under the prefix and no
	 * log reads them as plain objects */
	if (!log->st.any) {
		char key[1200];
		snprintf(key, sizeof(key), "%s" SL_COMMIT_LOG_MARKER, log->st.logp);
		if (sl_s3_put(s3, bucket, key, "", 0) < 0) {
			snprintf(err, errlen, "cannot write 's3://%s/%s': %s", bucket, key,
				 sl_s3_error(s3));
			goto err_close;
		}
	}
	return log;
err_close:
	sl_commit_log_close(log);
	return NULL;
}

int64_t sl_commit_log_latest(const struct sl_commit_log *log)
{
	return log->latest;
}

static int gather(void *arg, const struct sl_commit_batch *b)
{
	return put_batch(arg, b);
}

/* Remove entry `name` (best effort: a failure leaves an old entry that
 * the next compaction's expiry removes). */
static void remove_entry(struct sl_commit_log *log, const char *name)
{
	if (log->st.s3 == NULL) {
		unlinkat(log->logfd, name, 0);
		return;
	}
	char key[1200];
	snprintf(key, sizeof(key), "%s%s", log->st.logp, name);
	sl_s3_delete(log->st.s3, log->bucket, key);
}

/* Delete every entry of a batch below `below`. */
static void expire(struct sl_commit_log *log, uint64_t below)
{
	struct listing ls = {.latest = -1};
	if (list_log(&log->st, &ls) == 0) {
		char name[40];
		for (size_t i = 0; i < ls.nplain && ls.plain[i] < below; i++) {
			snprintf(name, sizeof(name), "%" PRIu64, ls.plain[i]);
			remove_entry(log, name);
		}
		for (size_t i = 0; i < ls.ncompact && ls.compact[i] < below; i++) {
			snprintf(name, sizeof(name), "%" PRIu64 ".compact", ls.compact[i]);
			remove_entry(log, name);
		}
	}
	listing_free(&ls);
}

int sl_commit_log_add(struct sl_commit_log *log, const struct sl_commit_batch *b, char *err,
		      size_t errlen)
{
	if ((int64_t)b->batch != log->latest + 1) {
		snprintf(err, errlen,
			 "commit log of '%s': batch %" PRIu64 " cannot follow batch %" PRId64
			 " (batches are committed in order, once)",
			 log->shown, b->batch, log->latest);
		return -EINVAL;
	}
	struct sl_strbuf *out = &log->out;
	sl_strbuf_reset(out);
	int rc = sl_strbuf_puts(out, LOG_VERSION "\n");
	bool compact = sl_commit_is_compaction(b->batch);
	if (rc == 0 && compact && b->batch > 0) {
		uint64_t next = 0;
		char rerr[512] = "";
		rc = read_store(log->reader, &log->st, &next, b->batch - 1, gather, out, rerr,
				sizeof(rerr));
		if (rc >= 0 && next != b->batch) {
			snprintf(rerr, sizeof(rerr), "batches %" PRIu64 "..%" PRIu64 " are missing",
				 next, b->batch - 1);
			rc = -EBADMSG;
		}
		if (rc < 0) {
			snprintf(err, errlen, "cannot compact the commit log of '%s' at batch %" PRIu64
					      ": %s",
				 log->shown, b->batch, rerr);
			return rc;
		}
		rc = 0;
	}
	if (rc == 0)
		rc = put_batch(out, b);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory writing the commit log of '%s'", log->shown);
		return rc;
	}
	char name[40];
	snprintf(name, sizeof(name), "%" PRIu64 "%s", b->batch, compact ? ".compact" : "");
	if (log->st.s3 != NULL) {
		/* an object appears whole or not at all */
		char key[1200];
		snprintf(key, sizeof(key), "%s%s", log->st.logp, name);
		rc = sl_s3_put(log->st.s3, log->bucket, key, out->ptr, out->len);
		if (rc < 0) {
			snprintf(err, errlen, "cannot write the commit log entry 's3://%s/%s': %s",
				 log->bucket, key, sl_s3_error(log->st.s3));
			return rc;
		}
	} else if ((rc = sl_commit_write_atomic(log->logfd, name, out->ptr, out->len)) < 0) {
		snprintf(err, errlen, "cannot write '%s/" SL_COMMIT_LOG_DIR "/%s': %s", log->shown,
			 name, strerror(-rc));
		return rc;
	}
	log->latest = (int64_t)b->batch;
	if (compact && b->batch >= SL_COMMIT_LOG_INTERVAL)
		expire(log, b->batch - SL_COMMIT_LOG_INTERVAL);
	return 0;
}
