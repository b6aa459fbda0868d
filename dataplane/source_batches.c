/*
 * source_batches.c — the "batches" source connector: scripted micro-batches
 * for tests (Spark's MemoryStream), so that a test knows exactly which rows
 * each epoch holds.
 *
 * The file (option path) is text; a line that is exactly "---" (a '\r'
 * before its '\n' is ignored, as everywhere) ends a section, and every
 * section is one epoch, in order. Lines after the last "---" are a last
 * section. Every other line is a row:
 *  - with one column, the whole line is its field; with more, the line is
 *    split at every `delimiter` byte (default ','; no quoting) and must have
 *    exactly one field per column;
 *  - an empty field, or the text "null", is NULL; any other field becomes
 *    its column's type as Spark's CAST from STRING does (the engine's own
 *    CAST, dataplane/expr.c): a BINARY column holds the field's bytes;
 *  - a line with the wrong number of fields, a field that does not convert,
 *    or a line longer than max_line_length is malformed: counted in the
 *    source's stats and skipped.
 *
 * Epochs: ingest thread 0 reads the file (the others return at once). It
 * converts a section into the batch, commits it in one sl_ingest_commit()
 * (so that a cut noticed inside commit() cannot split it: a section holds
 * at most SL_INGEST_BATCH_ROWS rows, which open() checks), and before it
 * commits the next section's rows it waits, on the wake eventfd, until this
 * core has cut the epoch that holds the previous ones. The engine cuts only
 * when rows arrived, so a section without rows (empty, or every row
 * malformed) makes no epoch: it is skipped. After the last section run()
 * returns: the end of input.
 *
 * Memory: open() reads the whole file and indexes its sections; rows'
 * strings point into that copy. Thread 0's scratch (fields, the CAST
 * expressions, an evaluation context) is made in open() too; run()
 * allocates nothing but what the evaluation arena grows to for the largest
 * section.
 */
#include "block.h"
#include "format.h"
#include "ingest.h" /* sl_ingest_epoch(): the one call beyond source.h */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define BATCHES_KNOWN "path, delimiter"
#define BATCHES_SEPARATOR "---"
#define BATCHES_DEFAULT_MAX_LINE ((uint64_t)1 << 20)
/* The wake eventfd fires for every cut and stop; the timeout only bounds
 * the harm of a wake-up that never comes. */
#define BATCHES_WAIT_MS 200

/* One section of the file. */
struct batches_section {
	size_t begin, end; /* its rows: whole lines, [begin, end) of the text */
	size_t bytes;      /* its bytes in the file, its "---" line included */
	uint64_t line;     /* its first line, 1-based */
	uint64_t rows;     /* row lines */
};

/* Shared by the run() calls; written only in open(). Only thread 0 reads
 * the file, so the scratch below is thread 0's. */
struct sl_source {
	char name[SL_NAME_MAX];
	char *path;            /* owned */
	char delim;
	uint64_t max_line;
	uint32_t ncols;
	char *text;            /* the whole file, owned */
	size_t len;
	struct batches_section *sec; /* owned */
	uint64_t nsec;
	/* thread 0's scratch */
	struct sl_str *field;  /* [ncols][SL_INGEST_BATCH_ROWS], owned */
	uint8_t *null;         /* [ncols][SL_INGEST_BATCH_ROWS], owned */
	struct sl_vec *fcol;   /* [ncols] STRING vectors over field and null, owned */
	struct sl_expr *colref;  /* [ncols] column c of the fields, owned */
	struct sl_expr **arg;    /* [ncols] &colref[c], owned */
	struct sl_expr *cast;    /* [ncols] CAST(colref[c] AS the column's type), owned */
	struct sl_vec *conv;   /* [ncols] a section's converted columns, owned */
	struct sl_eval_ctx *ctx;
	uint64_t first; /* the first section to read (a restart: after the committed ones) */
};

/* --- options --- */

static bool type_supported(enum sl_type t)
{
	switch (t) {
	case SL_TYPE_BOOLEAN:
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_DOUBLE:
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
	case SL_TYPE_TIMESTAMP:
		return true;
	default:
		return false;
	}
}

static int batches_validate(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	const struct sl_options *opts = &spec->options;
	for (uint32_t i = 0; i < opts->n; i++) {
		const char *k = opts->v[i].key;
		if (strcasecmp(k, "path") != 0 && strcasecmp(k, "delimiter") != 0 &&
		    strcasecmp(k, "connector") != 0) {
			snprintf(err, errlen,
				 "line %u, column %u: unknown option '%s' for connector 'batches' "
				 "(known options: " BATCHES_KNOWN ")",
				 opts->v[i].line, opts->v[i].column, k);
			return -EINVAL;
		}
	}
	const struct sl_schema *sc = &spec->schema;
	if (sc->ncols > SL_BLOCK_MAX_COLS) {
		snprintf(err, errlen,
			 "line %u, column %u: source '%s' has %u columns; the batches connector "
			 "reads at most %d",
			 spec->line, spec->column, spec->name, sc->ncols, SL_BLOCK_MAX_COLS);
		return -EINVAL;
	}
	for (uint32_t c = 0; c < sc->ncols; c++) {
		if (!type_supported(sc->cols[c].type)) {
			snprintf(err, errlen,
				 "line %u, column %u: column '%s' of source '%s' is %s; the batches "
				 "connector reads BOOLEAN, INT, BIGINT, DOUBLE, STRING, BINARY and "
				 "TIMESTAMP",
				 spec->line, spec->column, sc->cols[c].name, spec->name,
				 sl_type_name(sc->cols[c].type));
			return -EINVAL;
		}
	}
	const struct sl_option *o = sl_options_find(opts, "path");
	if (o == NULL) {
		snprintf(err, errlen,
			 "line %u, column %u: batches source '%s' needs option 'path', the file of "
			 "sections, e.g. path = 'batches.txt'",
			 spec->line, spec->column, spec->name);
		return -EINVAL;
	}
	if (o->value[0] == '\0') {
		snprintf(err, errlen,
			 "line %u, column %u: option 'path' is empty; name the file of sections, "
			 "e.g. path = 'batches.txt'",
			 o->line, o->column);
		return -EINVAL;
	}
	if ((o = sl_options_find(opts, "delimiter")) != NULL &&
	    (strlen(o->value) != 1 || o->value[0] == '\n' || o->value[0] == '\r')) {
		snprintf(err, errlen,
			 "line %u, column %u: option 'delimiter' must be one character other than "
			 "a line end, such as ',', ';' or '\\t', not '%s'",
			 o->line, o->column, o->value);
		return -EINVAL;
	}
	return 0;
}

/* --- open / close --- */

static void batches_close(struct sl_source *s)
{
	if (s == NULL)
		return;
	sl_eval_ctx_destroy(s->ctx);
	free(s->conv);
	free(s->cast);
	free(s->arg);
	free(s->colref);
	free(s->fcol);
	free(s->null);
	free(s->field);
	free(s->sec);
	free(s->text);
	free(s->path);
	free(s);
}

/* The whole file into s->text; 0 or -errno. */
static int read_all(struct sl_source *s)
{
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = 0;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto out;
	}
	size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	s->text = malloc(cap);
	if (s->text == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (s->len == cap) { /* the file grew, or is a pipe */
			char *t = realloc(s->text, cap * 2);
			if (t == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			s->text = t;
			cap *= 2;
		}
		ssize_t n = read(fd, s->text + s->len, cap - s->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		s->len += (size_t)n;
	}
out:
	close(fd);
	return rc;
}

static int add_section(struct sl_source *s, uint64_t *cap, const struct batches_section *sec)
{
	if (s->nsec == *cap) {
		uint64_t ncap = *cap ? *cap * 2 : 16;
		struct batches_section *n = realloc(s->sec, ncap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		s->sec = n;
		*cap = ncap;
	}
	s->sec[s->nsec++] = *sec;
	return 0;
}

/* Index the sections; refuses one that cannot be a single commit. */
static int index_sections(struct sl_source *s, char *err, size_t errlen)
{
	uint64_t cap = 0, lineno = 0;
	struct batches_section cur = {.begin = 0, .line = 1};
	size_t off = 0;
	while (off < s->len) {
		const char *nl = memchr(s->text + off, '\n', s->len - off);
		size_t eol = nl != NULL ? (size_t)(nl - s->text) : s->len;
		size_t next = nl != NULL ? eol + 1 : s->len;
		size_t cl = eol;
		if (nl != NULL && cl > off && s->text[cl - 1] == '\r')
			cl--;
		lineno++;
		bool sep = cl - off == strlen(BATCHES_SEPARATOR) &&
			   memcmp(s->text + off, BATCHES_SEPARATOR, cl - off) == 0;
		if (!sep) {
			cur.rows++;
			cur.end = next;
		} else {
			if (cur.rows == 0)
				cur.end = cur.begin;
			cur.bytes = next - cur.begin;
			if (cur.rows > SL_INGEST_BATCH_ROWS)
				goto err_big;
			if (add_section(s, &cap, &cur) < 0)
				goto err_nomem;
			cur = (struct batches_section){.begin = next, .line = lineno + 1};
		}
		off = next;
	}
	if (cur.rows > 0) { /* the last section, without a "---" after it */
		cur.bytes = s->len - cur.begin;
		if (cur.rows > SL_INGEST_BATCH_ROWS)
			goto err_big;
		if (add_section(s, &cap, &cur) < 0)
			goto err_nomem;
	}
	return 0;

err_big:
	snprintf(err, errlen,
		 "batches source '%s': %s: the section starting at line %" PRIu64 " has %" PRIu64
		 " rows; at most %d fit in one micro-batch (one commit of an ingest core); "
		 "split it with a line '" BATCHES_SEPARATOR "'",
		 s->name, s->path, cur.line, cur.rows, SL_INGEST_BATCH_ROWS);
	return -EINVAL;
err_nomem:
	snprintf(err, errlen, "batches source '%s': %s: out of memory indexing its sections",
		 s->name, s->path);
	return -ENOMEM;
}

/* Thread 0's scratch: the fields of one section, column by column, and a
 * CAST from STRING for every column. */
static int make_scratch(struct sl_source *s, const struct sl_schema *sc)
{
	uint32_t n = s->ncols;
	s->field = calloc((size_t)n * SL_INGEST_BATCH_ROWS, sizeof(*s->field));
	s->null = calloc((size_t)n * SL_INGEST_BATCH_ROWS, sizeof(*s->null));
	s->fcol = calloc(n, sizeof(*s->fcol));
	s->colref = calloc(n, sizeof(*s->colref));
	s->arg = calloc(n, sizeof(*s->arg));
	s->cast = calloc(n, sizeof(*s->cast));
	s->conv = calloc(n, sizeof(*s->conv));
	s->ctx = sl_eval_ctx_create();
	if (s->field == NULL || s->null == NULL || s->fcol == NULL || s->colref == NULL ||
	    s->arg == NULL || s->cast == NULL || s->conv == NULL || s->ctx == NULL)
		return -ENOMEM;
	for (uint32_t c = 0; c < n; c++) {
		s->fcol[c] = (struct sl_vec){.type = SL_TYPE_STRING,
					     .nulls = s->null + (size_t)c * SL_INGEST_BATCH_ROWS,
					     .v.str = s->field + (size_t)c * SL_INGEST_BATCH_ROWS};
		s->colref[c] = (struct sl_expr){.kind = SL_EXPR_COLUMN, .type = SL_TYPE_STRING,
						.col = c};
		s->arg[c] = &s->colref[c];
		s->cast[c] = (struct sl_expr){.kind = SL_EXPR_CALL, .type = sc->cols[c].type,
					      .fn = SL_FN_CAST, .nargs = 1, .args = &s->arg[c]};
	}
	return 0;
}

static struct sl_source *batches_open(const struct sl_source_spec *spec,
				      const struct sl_settings *set, uint32_t n_ingest, char *err,
				      size_t errlen)
{
	(void)n_ingest;
	if (batches_validate(spec, err, errlen) < 0)
		return NULL;
	struct sl_source *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "batches source '%s': out of memory", spec->name);
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", spec->name);
	s->ncols = spec->schema.ncols;
	s->delim = ',';
	const struct sl_option *o = sl_options_find(&spec->options, "delimiter");
	if (o != NULL)
		s->delim = o->value[0];
	s->max_line = set != NULL && set->max_line_length ? set->max_line_length
							   : BATCHES_DEFAULT_MAX_LINE;
	if (s->max_line > (uint64_t)UINT32_MAX - 1)
		s->max_line = (uint64_t)UINT32_MAX - 1;
	s->path = strdup(sl_options_find(&spec->options, "path")->value);
	if (s->path == NULL || make_scratch(s, &spec->schema) < 0) {
		snprintf(err, errlen, "batches source '%s': out of memory", spec->name);
		goto err_close;
	}
	int rc = read_all(s);
	if (rc < 0) {
		snprintf(err, errlen,
			 "batches source '%s': cannot read '%s': %s; check option 'path' (a "
			 "relative path starts from the directory sluice runs in)",
			 s->name, s->path, strerror(-rc));
		goto err_close;
	}
	if (index_sections(s, err, errlen) < 0)
		goto err_close;
	return s;

err_close:
	batches_close(s);
	return NULL;
}

/* --- run --- */

static inline bool field_is_null(const char *p, size_t len)
{
	return len == 0 || (len == 4 && memcmp(p, "null", 4) == 0);
}

/* Split one line into row r of the field columns; false when it has the
 * wrong number of fields. */
static bool split_line(struct sl_source *s, const char *p, size_t len, uint32_t r)
{
	const char *end = p + len;
	for (uint32_t c = 0; c < s->ncols; c++) {
		const char *q = end;
		if (c + 1 < s->ncols) {
			q = memchr(p, s->delim, (size_t)(end - p));
			if (q == NULL)
				return false; /* too few fields */
		} else if (s->ncols > 1 && memchr(p, s->delim, (size_t)(end - p)) != NULL) {
			return false;         /* too many fields */
		}
		size_t fl = (size_t)(q - p);
		size_t at = (size_t)c * SL_INGEST_BATCH_ROWS + r;
		s->field[at] = (struct sl_str){p, (uint32_t)fl};
		s->null[at] = field_is_null(p, fl);
		p = q + 1;
	}
	return true;
}

static void put_value(struct sl_vec *dst, uint32_t row, const struct sl_vec *src, uint32_t r)
{
	bool null = src->nulls != NULL && src->nulls[r];
	if (dst->nulls != NULL)
		dst->nulls[row] = null;
	if (null)
		return;
	switch (dst->type) {
	case SL_TYPE_BOOLEAN:
		dst->v.b[row] = src->v.b[r];
		break;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
		dst->v.i64[row] = src->v.i64[r];
		break;
	case SL_TYPE_DOUBLE:
		dst->v.f64[row] = src->v.f64[r];
		break;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		dst->v.str[row] = src->v.str[r];
		break;
	default: /* refused by validate() */
		break;
	}
}

/* Section sec's rows into the batch (empty before); bad rows are counted
 * in st. 0 or -errno. */
static int fill(struct sl_source *s, const struct batches_section *sec, struct sl_chunk *batch,
		struct sl_source_stats *st)
{
	uint32_t n = 0;
	size_t off = sec->begin;
	sl_eval_ctx_reset(s->ctx); /* the last section's values are in the batch by value */
	while (off < sec->end) {
		const char *line = s->text + off;
		const char *nl = memchr(line, '\n', sec->end - off);
		size_t len = nl != NULL ? (size_t)(nl - line) : sec->end - off;
		off += len + (nl != NULL);
		if (nl != NULL && len > 0 && line[len - 1] == '\r')
			len--;
		if (len > s->max_line || !split_line(s, line, len, n))
			st->malformed++;
		else
			n++;
	}
	struct sl_chunk fields = {.nrows = n, .ncols = s->ncols, .cols = s->fcol};
	for (uint32_t c = 0; c < s->ncols; c++) {
		if (sl_type_is_bytes(batch->cols[c].type) || n == 0) {
			s->conv[c] = s->fcol[c];
			continue;
		}
		int rc = sl_expr_eval(&s->cast[c], &fields, s->ctx, &s->conv[c]);
		if (rc < 0)
			return rc;
	}
	uint32_t row = 0;
	for (uint32_t r = 0; r < n; r++) {
		bool ok = true;
		/* CAST gives NULL for text it cannot convert; a field that
		 * was not NULL must not come out as one */
		for (uint32_t c = 0; c < s->ncols && ok; c++)
			ok = s->null[(size_t)c * SL_INGEST_BATCH_ROWS + r] || s->conv[c].nulls == NULL ||
			     !s->conv[c].nulls[r];
		if (!ok) {
			st->malformed++;
			continue;
		}
		for (uint32_t c = 0; c < s->ncols; c++)
			put_value(&batch->cols[c], row, &s->conv[c], r);
		row++;
	}
	batch->nrows = row;
	st->rows += row;
	st->bytes += sec->bytes;
	return 0;
}

/* Wait until this core has cut epoch `held`, so that what is committed
 * next lands in a later epoch. 0, or <0 when the engine is stopping. */
static int wait_cut(struct sl_ingest *in, uint64_t held)
{
	struct pollfd pfd = {.fd = sl_ingest_wake_fd(in), .events = POLLIN};
	for (;;) {
		int rc = sl_ingest_poll(in);
		if (rc < 0)
			return rc;
		/* the epoch of the last section is written, and so is any
		 * batch without input that it made due */
		if (sl_ingest_epoch(in) > held && sl_ingest_settled(in) > held)
			return 0;
		if (poll(&pfd, 1, BATCHES_WAIT_MS) > 0)
			sl_ingest_wake_ack(in);
	}
}

static int batches_run(struct sl_source *s, struct sl_ingest *in, uint32_t idx)
{
	struct sl_chunk *batch = sl_ingest_batch(in);
	struct sl_source_stats *st = sl_ingest_stats(in);
	if (idx != 0)
		return 0; /* one reader keeps the sections in order */
	if (batch->ncols != s->ncols) {
		sl_ingest_fail(in, "batches source '%s': the batch has %u columns, the source %u",
			       s->name, batch->ncols, s->ncols);
		return -EINVAL;
	}
	bool waiting = false; /* rows were committed into epoch `held` */
	uint64_t held = 0;
	for (uint64_t k = s->first; k < s->nsec; k++) {
		if (sl_ingest_should_stop(in))
			return 0;
		int rc = fill(s, &s->sec[k], batch, st);
		if (rc < 0) {
			sl_ingest_fail(in, "batches source '%s': %s: converting the section at line "
				       "%" PRIu64 " failed: %s",
				       s->name, s->path, s->sec[k].line, strerror(-rc));
			return rc;
		}
		if (batch->nrows == 0)
			continue; /* no rows, no epoch: the engine cuts only when rows came */
		/* nothing polls between the wait and the commit, so these rows
		 * land in the epoch right after the last section's */
		if (waiting && wait_cut(in, held) < 0)
			break;
		held = sl_ingest_epoch(in);
		waiting = true;
		sl_ingest_set_offset(in, k + 1); /* a restart reads on from section k + 1 */
		if (sl_ingest_commit(in) < 0)
			break;
		/* this section is the epoch's whole part from this source */
		sl_ingest_epoch_done(in, held);
	}
	batch->nrows = 0;
	return 0;
}

/* Checkpoints: the offset is the number of sections taken (thread 0's
 * position), as 8 bytes; a replayed epoch is the same section again. */
static int batches_checkpoint(struct sl_source *s, uint64_t epoch, const uint64_t *core_pos,
			      uint32_t ncores, bool compact, struct sl_strbuf *offset,
			      struct sl_strbuf *log, char *err, size_t errlen)
{
	(void)epoch, (void)compact, (void)log;
	/* a core that committed nothing this run is where restore() put it */
	uint64_t k = ncores == 0 || core_pos[0] == UINT64_MAX ? s->first : core_pos[0];
	if (sl_strbuf_put_u64(offset, k) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int batches_restore(struct sl_source *s, const struct sl_source_restore *r, char *err,
			   size_t errlen)
{
	const uint8_t *p = r->offset.p, *end = p + r->offset.len;
	uint64_t k = 0;
	if (r->offset.p != NULL && (!sl_get_u64(&p, end, &k) || p != end || k > s->nsec)) {
		snprintf(err, errlen,
			 "the checkpoint says %" PRIu64 " sections of %s were taken, and it has %" PRIu64
			 "; a restart needs the same file",
			 k, s->path, s->nsec);
		return -EINVAL;
	}
	s->first = k;
	return 0;
}

const struct sl_source_ops sl_source_batches_ops = {
	.checkpoint = batches_checkpoint,
	.restore = batches_restore,
	.name = "batches",
	.validate = batches_validate,
	.open = batches_open,
	.run = batches_run,
	.close = batches_close,
	.paces_epochs = true,
	.marks_epoch_parts = true,
};
