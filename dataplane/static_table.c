/*
 * static_table.c — static tables for stream-static joins: loading a
 * table's files through the record parsers into typed columns, and the
 * hash indexes of its rows by join key (static_table.h has the contract).
 *
 * Memory of a loaded table, all owned by it:
 *   cols[c]      one vector per column, nulls and values grown by doubling
 *                while loading (nrows <= cap), never moved afterwards;
 *   strings      the bytes of every STRING value, in blocks of at least
 *                64 KiB that never move (vectors point into them).
 * Memory of an index:
 *   slots        open addressing table, 2^k entries of (hash, key id + 1);
 *                0 marks an empty slot; at most half full;
 *   recs         per distinct key: its bytes (an offset into `keys`), and
 *                the run rows[first .. first + count) of its rows;
 *   rows         row numbers grouped by key, in table order within a key.
 */
#include "static_table.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "key.h"
#include "recparse.h"
#include "source.h"
#include "source_file.h"

/* Rows parsed before they are copied into the table's columns. */
#define LOAD_BATCH 1024u
/* Rows whose keys one evaluation computes while an index is built. */
#define KEY_SLICE 1024u
#define STR_BLOCK ((size_t)64 * 1024)

struct str_block {
	struct str_block *next;
	size_t used, cap;
	char data[];
};

struct sl_static_table {
	uint32_t ncols;
	uint32_t nrows, cap;
	struct sl_vec *cols;
	struct str_block *strings;
	uint32_t nfiles;
	uint64_t malformed;
};

struct ix_slot {
	uint64_t hash;
	uint32_t id; /* key id + 1; 0: empty */
};

struct ix_rec {
	uint64_t key_off;
	uint32_t key_len;
	uint32_t first, count;
};

struct sl_static_index {
	const struct sl_static_table *t;
	uint32_t refs; /* touched on the control thread only (prepare, release) */
	uint32_t mask;
	struct ix_slot *slots;
	uint32_t nrecs, cap_recs;
	struct ix_rec *recs;
	uint8_t *keys;
	size_t keys_len, keys_cap;
	uint32_t *rows;
};

bool sl_static_table_type_supported(enum sl_type t)
{
	return t == SL_TYPE_BOOLEAN || t == SL_TYPE_INT || t == SL_TYPE_BIGINT ||
	       t == SL_TYPE_DOUBLE || t == SL_TYPE_STRING || t == SL_TYPE_TIMESTAMP;
}

/* "line L, column C: table 'name': ..." at the CREATE TABLE. */
__attribute__((format(printf, 4, 5))) static void terr(const struct sl_source_spec *def, char *err,
						       size_t errlen, const char *fmt, ...)
{
	int n = snprintf(err, errlen, "line %u, column %u: table '%s': ", def->line, def->column,
			 def->name);
	if (n >= 0 && (size_t)n < errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
}

/* ------------------------------------------------------------------ */
/* the definition                                                      */

static int table_format(const struct sl_source_spec *def, enum sl_rec_format *f, char *err,
			size_t errlen)
{
	const struct sl_option *o = sl_options_find(&def->options, "format");
	*f = SL_REC_TEXT;
	if (o != NULL && sl_rec_format_parse(o->value, f) < 0) {
		snprintf(err, errlen,
			 "line %u, column %u: option 'format' of table '%s' must be 'text', 'csv' or "
			 "'json', not '%s'",
			 o->line, o->column, def->name, o->value);
		return -EINVAL;
	}
	return 0;
}

int sl_static_table_validate(const struct sl_source_spec *def, char *err, size_t errlen)
{
	enum sl_rec_format f;
	if (table_format(def, &f, err, errlen) < 0)
		return -EINVAL;
	const struct sl_option *path = sl_options_find(&def->options, "path");
	if (path == NULL) {
		terr(def, err, errlen,
		     "a table needs a path: add path = '...' to WITH (...) (a file, a directory "
		     "whose files are all read, or a pattern such as 'tables/*.csv')");
		return -EINVAL;
	}
	if (path->value[0] == '\0') {
		snprintf(err, errlen, "line %u, column %u: option 'path' of table '%s' is empty",
			 path->line, path->column, def->name);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < def->options.n; i++) {
		const struct sl_option *o = &def->options.v[i];
		if (strcasecmp(o->key, "path") == 0 || strcasecmp(o->key, "format") == 0 ||
		    sl_recparse_has_option(f, o->key))
			continue;
		char fo[512];
		sl_recparse_option_names(f, fo, sizeof(fo));
		snprintf(err, errlen,
			 "line %u, column %u: unknown option '%s' for table '%s' (options: path, "
			 "format; options of format '%s': %s)",
			 o->line, o->column, o->key, def->name,
			 f == SL_REC_TEXT ? "text" : f == SL_REC_CSV ? "csv" : "json", fo);
		return -EINVAL;
	}
	return sl_recparse_validate(def, f, err, errlen);
}

/* ------------------------------------------------------------------ */
/* the table's memory                                                  */

static const char empty_str[1] = "";

static const char *str_copy(struct sl_static_table *t, const char *s, uint32_t n)
{
	if (n == 0)
		return empty_str;
	struct str_block *b = t->strings;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > STR_BLOCK ? n : STR_BLOCK;
		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = t->strings;
		t->strings = b;
	}
	char *p = b->data + b->used;
	memcpy(p, s, n);
	b->used += n;
	return p;
}

/* Room for at least `want` rows in every column. */
static int grow_cols(struct sl_static_table *t, uint32_t want)
{
	if (want <= t->cap)
		return 0;
	uint64_t cap = t->cap ? (uint64_t)t->cap * 2 : 64;
	while (cap < want)
		cap *= 2;
	if (cap > UINT32_MAX)
		return -E2BIG;
	for (uint32_t c = 0; c < t->ncols; c++) {
		struct sl_vec *v = &t->cols[c];
		uint8_t *nulls = realloc(v->nulls, (size_t)cap);
		if (nulls == NULL)
			return -ENOMEM;
		v->nulls = nulls;
		size_t w = sl_type_width(v->type);
		void *vals = realloc(v->v.b, (size_t)cap * (w ? w : 1));
		if (vals == NULL)
			return -ENOMEM;
		v->v.b = vals;
	}
	t->cap = (uint32_t)cap;
	return 0;
}

void sl_static_table_destroy(struct sl_static_table *t)
{
	if (t == NULL)
		return;
	for (uint32_t c = 0; t->cols != NULL && c < t->ncols; c++) {
		free(t->cols[c].nulls);
		free(t->cols[c].v.b);
	}
	free(t->cols);
	for (struct str_block *b = t->strings, *next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(t);
}

uint32_t sl_static_table_nrows(const struct sl_static_table *t)
{
	return t->nrows;
}

uint32_t sl_static_table_ncols(const struct sl_static_table *t)
{
	return t->ncols;
}

const struct sl_vec *sl_static_table_cols(const struct sl_static_table *t)
{
	return t->cols;
}

uint32_t sl_static_table_nfiles(const struct sl_static_table *t)
{
	return t->nfiles;
}

uint64_t sl_static_table_malformed(const struct sl_static_table *t)
{
	return t->malformed;
}

/* ------------------------------------------------------------------ */
/* the files                                                           */

struct file_list {
	char **v;
	size_t n, cap;
};

static void files_free(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int files_add(struct file_list *l, const char *dir, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	size_t n = (dir ? strlen(dir) + 1 : 0) + strlen(name) + 1;
	char *p = malloc(n);
	if (p == NULL)
		return -ENOMEM;
	if (dir != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	else
		snprintf(p, n, "%s", name);
	l->v[l->n++] = p;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s != NULL ? s + 1 : p;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The files path names: itself, a directory's visible regular files, or
 * a pattern's matches; in name order. */
static int list_files(const struct sl_source_spec *def, const char *path, struct file_list *out,
		      char *err, size_t errlen)
{
	const char *hint = "the table is read when the query starts, relative to the directory "
			   "sluice runs in: check `path` in its CREATE TABLE";
	struct stat st;
	int rc = 0;
	if (has_glob(path) && stat(path, &st) < 0) {
		glob_t g;
		int grc = glob(path, 0, NULL, &g);
		if (grc != 0 && grc != GLOB_NOMATCH) {
			terr(def, err, errlen, "cannot list the files of '%s' (%s); %s", path,
			     grc == GLOB_NOSPACE ? "out of memory" : "a directory could not be read",
			     hint);
			globfree(&g);
			return grc == GLOB_NOSPACE ? -ENOMEM : -EIO;
		}
		for (size_t i = 0; grc == 0 && i < g.gl_pathc && rc == 0; i++) {
			const char *p = g.gl_pathv[i];
			if (sl_file_name_hidden(base_name(p)) || stat(p, &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			rc = files_add(out, NULL, p);
		}
		globfree(&g);
		if (rc < 0) {
			terr(def, err, errlen, "out of memory listing its files");
			return rc;
		}
		if (out->n == 0) {
			terr(def, err, errlen, "no file matches '%s'; %s", path, hint);
			return -ENOENT;
		}
		return 0;
	}
	if (stat(path, &st) < 0) {
		int e = errno;
		terr(def, err, errlen, "cannot read '%s': %s; %s", path, strerror(e), hint);
		return -e;
	}
	if (S_ISREG(st.st_mode)) {
		rc = files_add(out, NULL, path);
	} else if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		if (d == NULL) {
			int e = errno;
			terr(def, err, errlen, "cannot read the directory '%s': %s; %s", path,
			     strerror(e), hint);
			return -e;
		}
		struct dirent *de;
		size_t dn = strlen(path);
		bool slash = dn > 0 && path[dn - 1] == '/';
		while (rc == 0 && (de = readdir(d)) != NULL) {
			if (sl_file_name_hidden(de->d_name))
				continue;
			char full[4096];
			snprintf(full, sizeof(full), "%s%s%s", path, slash ? "" : "/", de->d_name);
			if (stat(full, &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			rc = files_add(out, NULL, full);
		}
		closedir(d);
		if (rc == 0 && out->n > 1)
			qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	} else {
		terr(def, err, errlen, "'%s' is not a regular file or a directory; %s", path, hint);
		return -EINVAL;
	}
	if (rc < 0)
		terr(def, err, errlen, "out of memory listing its files");
	return rc;
}

/* The whole file; *buf malloc'd. */
static int read_file(const struct sl_source_spec *def, const char *path, char **buf, size_t *len,
		     char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		terr(def, err, errlen, "cannot open '%s': %s; check that the file exists and may be "
				       "read by the user sluice runs as",
		     path, strerror(e));
		return -e;
	}
	struct stat st;
	size_t cap = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
	size_t n = 0;
	char *p = malloc(cap);
	int rc = 0;
	while (p != NULL) {
		if (n == cap) {
			char *q = cap < SIZE_MAX / 2 ? realloc(p, cap * 2) : NULL;
			if (q == NULL) {
				free(p);
				p = NULL;
				break;
			}
			p = q;
			cap *= 2;
		}
		ssize_t r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			terr(def, err, errlen, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (p == NULL) {
		terr(def, err, errlen, "out of memory reading '%s'", path);
		return -ENOMEM;
	}
	if (rc < 0) {
		free(p);
		return rc;
	}
	*buf = p;
	*len = n;
	return 0;
}

/* The parser's rows [0, nb) into the table; strings copied. */
static int append_rows(struct sl_static_table *t, const struct sl_chunk *b, uint32_t nb)
{
	if ((uint64_t)t->nrows + nb > UINT32_MAX - 1)
		return -E2BIG;
	int rc = grow_cols(t, t->nrows + nb);
	if (rc < 0)
		return rc;
	for (uint32_t c = 0; c < t->ncols; c++) {
		const struct sl_vec *s = &b->cols[c];
		struct sl_vec *d = &t->cols[c];
		size_t w = sl_type_width(d->type);
		for (uint32_t r = 0; r < nb; r++) {
			uint32_t at = t->nrows + r;
			d->nulls[at] = s->nulls[r] != 0;
			if (s->nulls[r])
				continue;
			if (d->type == SL_TYPE_STRING) {
				struct sl_str v = s->v.str[r];
				const char *p = str_copy(t, v.ptr, v.len);
				if (p == NULL)
					return -ENOMEM;
				d->v.str[at] = (struct sl_str){p, v.len};
			} else {
				memcpy(d->v.b + (size_t)at * w, s->v.b + (size_t)r * w, w);
			}
		}
	}
	t->nrows += nb;
	return 0;
}

/* The parser's batch: the schema's columns, LOAD_BATCH rows, null maps. */
static int batch_create(const struct sl_schema *sc, struct sl_chunk *b)
{
	b->nrows = 0;
	b->ncols = sc->ncols;
	b->cols = calloc(sc->ncols ? sc->ncols : 1, sizeof(*b->cols));
	if (b->cols == NULL)
		return -ENOMEM;
	for (uint32_t c = 0; c < sc->ncols; c++) {
		struct sl_vec *v = &b->cols[c];
		v->type = sc->cols[c].type;
		size_t w = sl_type_width(v->type);
		v->nulls = calloc(LOAD_BATCH, 1);
		v->v.b = calloc(LOAD_BATCH, w ? w : 1);
		if (v->nulls == NULL || v->v.b == NULL)
			return -ENOMEM;
	}
	return 0;
}

static void batch_free(struct sl_chunk *b)
{
	for (uint32_t c = 0; b->cols != NULL && c < b->ncols; c++) {
		free(b->cols[c].nulls);
		free(b->cols[c].v.b);
	}
	free(b->cols);
	b->cols = NULL;
}

/* One file's records into t. */
static int load_file(struct sl_static_table *t, const struct sl_source_spec *def,
		     struct sl_recparse *p, struct sl_chunk *batch, const char *path, char *err,
		     size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = read_file(def, path, &buf, &len, err, errlen);
	if (rc < 0)
		return rc;
	sl_recparse_begin(p);
	uint32_t nb = 0;
	uint64_t lineno = 0;
	for (size_t off = 0; off < len;) {
		const char *line = buf + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - line) : len - off;
		off += n + (nl != NULL);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > UINT32_MAX - 1) {
			terr(def, err, errlen, "file '%s', line %llu: a line of more than 4 GiB", path,
			     (unsigned long long)lineno);
			rc = -EFBIG;
			break;
		}
		for (uint32_t c = 0; c < batch->ncols; c++)
			batch->cols[c].nulls[nb] = 0;
		char why[512];
		int r = sl_recparse_line(p, line, (uint32_t)n, batch, nb, why, sizeof(why));
		if (r < 0) {
			if (r == -ENOMEM)
				terr(def, err, errlen, "out of memory parsing '%s'", path);
			else
				terr(def, err, errlen, "file '%s', line %llu: %s", path,
				     (unsigned long long)lineno, why);
			rc = r;
			break;
		}
		nb += (uint32_t)r;
		if (nb == LOAD_BATCH) {
			if ((rc = append_rows(t, batch, nb)) < 0)
				break;
			nb = 0;
			sl_recparse_reset(p);
		}
	}
	if (rc == 0 && nb > 0)
		rc = append_rows(t, batch, nb);
	sl_recparse_reset(p);
	if (rc == -ENOMEM)
		terr(def, err, errlen, "out of memory loading '%s'", path);
	else if (rc == -E2BIG)
		terr(def, err, errlen, "more than %u rows: too large for a static table",
		     UINT32_MAX - 1);
	free(buf);
	return rc;
}

struct sl_static_table *sl_static_table_load(const struct sl_source_spec *def, char *err,
					     size_t errlen)
{
	struct file_list files = {0};
	struct sl_chunk batch = {0};
	struct sl_recparse *p = NULL;
	enum sl_rec_format f;
	int rc = -ENOMEM;
	err[0] = '\0';
	struct sl_static_table *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		terr(def, err, errlen, "out of memory");
		goto err;
	}
	t->ncols = def->schema.ncols;
	t->cols = calloc(t->ncols ? t->ncols : 1, sizeof(*t->cols));
	if (t->cols == NULL) {
		terr(def, err, errlen, "out of memory");
		goto err;
	}
	for (uint32_t c = 0; c < t->ncols; c++)
		t->cols[c].type = def->schema.cols[c].type;
	if ((rc = grow_cols(t, 1)) < 0) {
		terr(def, err, errlen, "out of memory");
		goto err;
	}
	if ((rc = table_format(def, &f, err, errlen)) < 0)
		goto err;
	const struct sl_option *path = sl_options_find(&def->options, "path");
	if (path == NULL) {
		terr(def, err, errlen, "a table needs a path");
		rc = -EINVAL;
		goto err;
	}
	if ((rc = list_files(def, path->value, &files, err, errlen)) < 0)
		goto err;
	char why[512];
	p = sl_recparse_create(def, f, why, sizeof(why));
	if (p == NULL) {
		rc = -errno;
		/* why already carries the option's position */
		snprintf(err, errlen, "%s", why);
		goto err;
	}
	if ((rc = batch_create(&def->schema, &batch)) < 0) {
		terr(def, err, errlen, "out of memory");
		goto err;
	}
	for (size_t i = 0; i < files.n; i++) {
		if ((rc = load_file(t, def, p, &batch, files.v[i], err, errlen)) < 0)
			goto err;
		t->nfiles++;
	}
	t->malformed = sl_recparse_malformed(p);
	sl_recparse_destroy(p);
	batch_free(&batch);
	files_free(&files);
	return t;
err:
	sl_recparse_destroy(p);
	batch_free(&batch);
	files_free(&files);
	sl_static_table_destroy(t);
	errno = rc < 0 ? -rc : ENOMEM;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the index                                                           */

static int ix_grow_slots(struct sl_static_index *ix)
{
	uint32_t cap = (ix->mask + 1) * 2;
	if (cap == 0)
		return -E2BIG;
	struct ix_slot *s = calloc(cap, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i <= ix->mask; i++) {
		const struct ix_slot *o = &ix->slots[i];
		if (o->id == 0)
			continue;
		uint32_t j = (uint32_t)o->hash & (cap - 1);
		while (s[j].id != 0)
			j = (j + 1) & (cap - 1);
		s[j] = *o;
	}
	free(ix->slots);
	ix->slots = s;
	ix->mask = cap - 1;
	return 0;
}

/* The id of key k (new or known); -errno. */
static int64_t ix_intern(struct sl_static_index *ix, const uint8_t *k, uint32_t n, uint64_t h)
{
	uint32_t i = (uint32_t)h & ix->mask;
	for (;; i = (i + 1) & ix->mask) {
		const struct ix_slot *s = &ix->slots[i];
		if (s->id == 0)
			break;
		const struct ix_rec *r = &ix->recs[s->id - 1];
		if (s->hash == h && r->key_len == n && memcmp(ix->keys + r->key_off, k, n) == 0)
			return s->id - 1;
	}
	if (ix->nrecs == ix->cap_recs) {
		uint32_t cap = ix->cap_recs ? ix->cap_recs * 2 : 64;
		struct ix_rec *v = realloc(ix->recs, (size_t)cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		ix->recs = v;
		ix->cap_recs = cap;
	}
	if (ix->keys_cap - ix->keys_len < n) {
		size_t cap = ix->keys_cap ? ix->keys_cap * 2 : 4096;
		while (cap - ix->keys_len < n)
			cap *= 2;
		uint8_t *v = realloc(ix->keys, cap);
		if (v == NULL)
			return -ENOMEM;
		ix->keys = v;
		ix->keys_cap = cap;
	}
	memcpy(ix->keys + ix->keys_len, k, n);
	ix->recs[ix->nrecs] = (struct ix_rec){.key_off = ix->keys_len, .key_len = n};
	ix->keys_len += n;
	ix->slots[i] = (struct ix_slot){.hash = h, .id = ix->nrecs + 1};
	ix->nrecs++;
	if ((uint64_t)ix->nrecs * 2 > (uint64_t)ix->mask + 1) {
		int rc = ix_grow_slots(ix);
		if (rc < 0)
			return rc;
	}
	return ix->nrecs - 1;
}

struct sl_static_index *sl_static_index_build(const struct sl_static_table *t,
					      struct sl_expr *const *keys, uint32_t nkeys,
					      char *err, size_t errlen)
{
	struct sl_eval_ctx *ctx = sl_eval_ctx_create();
	struct sl_static_index *ix = calloc(1, sizeof(*ix));
	uint32_t *row_key = calloc(t->nrows ? t->nrows : 1, sizeof(*row_key));
	struct sl_vec *kv = calloc(nkeys ? nkeys : 1, sizeof(*kv));
	struct sl_vec *cols = calloc(t->ncols ? t->ncols : 1, sizeof(*cols));
	uint8_t *buf = NULL;
	size_t bufcap = 0;
	int rc = -ENOMEM;
	if (ctx == NULL || ix == NULL || row_key == NULL || kv == NULL || cols == NULL)
		goto err;
	ix->t = t;
	ix->refs = 1;
	ix->mask = 15;
	ix->slots = calloc(ix->mask + 1, sizeof(*ix->slots));
	if (ix->slots == NULL)
		goto err;
	for (uint32_t first = 0; first < t->nrows; first += KEY_SLICE) {
		uint32_t n = t->nrows - first < KEY_SLICE ? t->nrows - first : KEY_SLICE;
		for (uint32_t c = 0; c < t->ncols; c++)
			cols[c] = sl_vec_slice(&t->cols[c], first);
		struct sl_chunk slice = {.nrows = n, .ncols = t->ncols, .cols = cols};
		sl_eval_ctx_reset(ctx);
		for (uint32_t k = 0; k < nkeys; k++) {
			if ((rc = sl_expr_eval(keys[k], &slice, ctx, &kv[k])) < 0) {
				if (rc != -ENOMEM)
					snprintf(err, errlen,
						 "line %u, column %u: the join key cannot be computed "
						 "over the table's rows (%s)",
						 keys[k]->line, keys[k]->column, strerror(-rc));
				goto err;
			}
		}
		for (uint32_t r = 0; r < n; r++) {
			bool null = false;
			for (uint32_t k = 0; k < nkeys && !null; k++)
				null = sl_vec_is_null(&kv[k], r);
			if (null) {
				row_key[first + r] = UINT32_MAX;
				continue;
			}
			size_t need = sl_key_encode(kv, nkeys, r, NULL, 0);
			if (need > UINT32_MAX) {
				rc = -E2BIG;
				goto err;
			}
			if (need > bufcap) {
				uint8_t *nbuf = realloc(buf, need);
				if (nbuf == NULL) {
					rc = -ENOMEM;
					goto err;
				}
				buf = nbuf;
				bufcap = need;
			}
			sl_key_encode(kv, nkeys, r, buf, bufcap);
			int64_t id = ix_intern(ix, buf, (uint32_t)need, sl_key_hash(buf, need));
			if (id < 0) {
				rc = (int)id;
				goto err;
			}
			ix->recs[id].count++;
			row_key[first + r] = (uint32_t)id;
		}
	}
	/* the rows of each key, back to back, in table order */
	uint32_t total = 0;
	for (uint32_t i = 0; i < ix->nrecs; i++) {
		ix->recs[i].first = total;
		total += ix->recs[i].count;
		ix->recs[i].count = 0;
	}
	ix->rows = malloc((total ? total : 1) * sizeof(*ix->rows));
	if (ix->rows == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	for (uint32_t r = 0; r < t->nrows; r++) {
		if (row_key[r] == UINT32_MAX)
			continue;
		struct ix_rec *rec = &ix->recs[row_key[r]];
		ix->rows[rec->first + rec->count++] = r;
	}
	free(buf);
	free(cols);
	free(kv);
	free(row_key);
	sl_eval_ctx_destroy(ctx);
	return ix;
err:
	if (rc == -ENOMEM || rc == -E2BIG)
		snprintf(err, errlen, "out of memory indexing a static table by its join keys");
	free(buf);
	free(cols);
	free(kv);
	free(row_key);
	if (ctx != NULL)
		sl_eval_ctx_destroy(ctx);
	if (ix != NULL)
		ix->refs = 1;
	sl_static_index_destroy(ix);
	errno = rc < 0 ? -rc : ENOMEM;
	return NULL;
}

struct sl_static_index *sl_static_index_ref(struct sl_static_index *ix)
{
	ix->refs++;
	return ix;
}

void sl_static_index_destroy(struct sl_static_index *ix)
{
	if (ix == NULL || --ix->refs > 0)
		return;
	free(ix->slots);
	free(ix->recs);
	free(ix->keys);
	free(ix->rows);
	free(ix);
}

const struct sl_static_table *sl_static_index_table(const struct sl_static_index *ix)
{
	return ix->t;
}

uint32_t sl_static_index_nkeys(const struct sl_static_index *ix)
{
	return ix->nrecs;
}

uint32_t sl_static_index_find(const struct sl_static_index *ix, const void *k, uint32_t n,
			      uint64_t h, const uint32_t **rows)
{
	for (uint32_t i = (uint32_t)h & ix->mask;; i = (i + 1) & ix->mask) {
		const struct ix_slot *s = &ix->slots[i];
		if (s->id == 0)
			return 0;
		if (s->hash != h)
			continue;
		const struct ix_rec *r = &ix->recs[s->id - 1];
		if (r->key_len == n && memcmp(ix->keys + r->key_off, k, n) == 0) {
			*rows = ix->rows + r->first;
			return r->count;
		}
	}
}
