/*
 * table.c — a table's `_sluice_table` metadata and Hive-style partition
 * directories (see table.h).
 */
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commit_log.h"
#include "format.h"
#include "json_simdjson.h"
#include "s3.h"
#include "source.h"

#define META_VERSION "v1"
#define META_MAX_BYTES ((size_t)1 << 20)

const char *sl_file_format_name(enum sl_file_format f)
{
	switch (f) {
	case SL_FILE_CSV: return "csv";
	case SL_FILE_JSON: return "json";
	case SL_FILE_TEXT: return "text";
	case SL_FILE_PARQUET: return "parquet";
	}
	return "?";
}

int sl_file_format_parse(const char *s, enum sl_file_format *out)
{
	if (strcasecmp(s, "csv") == 0)
		*out = SL_FILE_CSV;
	else if (strcasecmp(s, "json") == 0)
		*out = SL_FILE_JSON;
	else if (strcasecmp(s, "text") == 0)
		*out = SL_FILE_TEXT;
	else if (strcasecmp(s, "parquet") == 0)
		*out = SL_FILE_PARQUET;
	else
		return -EINVAL;
	return 0;
}

void sl_table_meta_free(struct sl_table_meta *m)
{
	if (m == NULL)
		return;
	free(m->schema.cols);
	*m = (struct sl_table_meta){0};
}

/* The types a table holds, by the names sl_type_name gives them. */
static bool type_from_name(const char *s, size_t n, enum sl_type *out)
{
	static const enum sl_type kinds[] = {SL_TYPE_BOOLEAN, SL_TYPE_INT,    SL_TYPE_BIGINT,
					     SL_TYPE_DOUBLE,  SL_TYPE_STRING, SL_TYPE_TIMESTAMP,
					     SL_TYPE_BINARY /* format parquet only */};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *name = sl_type_name(kinds[i]);
		if (strlen(name) == n && strncasecmp(name, s, n) == 0) {
			*out = kinds[i];
			return true;
		}
	}
	return false;
}

static int put_str(struct sl_strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = sl_strbuf_putc(sb, '"');
	for (; rc == 0 && *s; s++) {
		unsigned char c = (unsigned char)*s;
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

/* The file's text into sb. 0 or -ENOMEM. */
static int meta_encode(const struct sl_table_meta *m, const char *run, struct sl_strbuf *sb)
{
	char line[256];
	snprintf(line, sizeof(line),
		 META_VERSION "\n{\"format\":\"%s\",\"columns\":%" PRIu32
			      ",\"partition_columns\":%" PRIu32 ",\"run\":\"%s\"}\n",
		 sl_file_format_name(m->format), m->schema.ncols, m->npart, run);
	int rc = sl_strbuf_puts(sb, line);
	for (uint32_t i = 0; rc == 0 && i < m->schema.ncols; i++) {
		if ((rc = sl_strbuf_puts(sb, "{\"column\":")) == 0 &&
		    (rc = put_str(sb, m->schema.cols[i].name)) == 0 &&
		    (rc = sl_strbuf_puts(sb, ",\"type\":\"")) == 0 &&
		    (rc = sl_strbuf_puts(sb, sl_type_name(m->schema.cols[i].type))) == 0)
			rc = sl_strbuf_puts(sb, "\"}\n");
	}
	for (uint32_t i = 0; rc == 0 && i < m->npart; i++) {
		if ((rc = sl_strbuf_puts(sb, "{\"partition_by\":")) == 0 &&
		    (rc = put_str(sb, m->schema.cols[m->part[i]].name)) == 0)
			rc = sl_strbuf_puts(sb, "}\n");
	}
	return rc;
}

int sl_table_meta_write(int dirfd, const struct sl_table_meta *m, const char *run)
{
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	int rc = meta_encode(m, run, &sb);
	if (rc == 0)
		rc = sl_commit_write_atomic(dirfd, SL_TABLE_META, sb.ptr, sb.len);
	sl_strbuf_free(&sb);
	return rc;
}

int sl_table_meta_write_s3(struct sl_s3 *s3, const char *bucket, const char *prefix,
			   const struct sl_table_meta *m, const char *run, char *err, size_t errlen)
{
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	char key[1300];
	snprintf(key, sizeof(key), "%s" SL_TABLE_META, prefix);
	int rc = meta_encode(m, run, &sb);
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	else if ((rc = sl_s3_put(s3, bucket, key, sb.ptr, sb.len)) < 0)
		snprintf(err, errlen, "cannot write 's3://%s/%s': %s", bucket, key, sl_s3_error(s3));
	sl_strbuf_free(&sb);
	return rc;
}

/* One string field's text, unescaped into out (room for SL_NAME_MAX). */
static int get_name(struct sl_simdjson *j, const char *line, char *out)
{
	uint32_t off, len;
	bool esc;
	if (sl_simdjson_string(j, &off, &len, &esc) != SL_SIMDJSON_OK || len >= SL_NAME_MAX)
		return -1;
	int64_t n = len;
	if (esc)
		n = sl_simdjson_unescape(line + off, len, out);
	else
		memcpy(out, line + off, len);
	if (n < 0)
		return -1;
	out[n] = '\0';
	return 0;
}

/* Parse the file's text buf[0..n) (NUL at buf[n]) into m. 0 or -errno
 * with err. */
static int meta_parse(char *buf, size_t n, struct sl_table_meta *m, char *err, size_t errlen)
{
	*m = (struct sl_table_meta){0};
	struct sl_simdjson *j = sl_simdjson_create();
	int rc = 0;
	uint32_t lineno = 0;
	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
#define BAD(what)                                                                                 \
	do {                                                                                      \
		snprintf(err, errlen, "'" SL_TABLE_META "' is not valid (line %u: %s)", lineno, what); \
		rc = -EBADMSG;                                                                    \
		goto out;                                                                         \
	} while (0)
	char *p = buf, *end = buf + n;
	uint64_t ncols = 0, npart = 0;
	uint32_t seen_cols = 0, seen_part = 0;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		lineno++;
		if (nl == NULL)
			BAD("the file is cut short");
		uint32_t len = (uint32_t)(nl - p);
		if (lineno == 1) {
			if (len != strlen(META_VERSION) || memcmp(p, META_VERSION, len) != 0)
				BAD("the first line is not '" META_VERSION "': written by another "
				    "version, or not a table's metadata");
			p = nl + 1;
			continue;
		}
		if (sl_simdjson_open(j, p, len) != SL_SIMDJSON_OK)
			BAD("not a JSON object");
		const char *key;
		uint32_t klen;
		int jr;
		char name[SL_NAME_MAX] = "", type[SL_NAME_MAX] = "", fmt[SL_NAME_MAX] = "";
		bool is_col = false, is_part = false, is_head = false;
		while ((jr = sl_simdjson_next(j, &key, &klen)) == SL_SIMDJSON_OK) {
#define KEY(s) (klen == sizeof(s) - 1 && memcmp(key, s, klen) == 0)
			int64_t v;
			/* the header's fields on line 2 only: a later "columns"
			 * would not match the columns allocated there */
			if ((KEY("format") || KEY("columns") || KEY("partition_columns")) &&
			    lineno != 2)
				BAD("a header field after the header");
			if (KEY("format")) {
				is_head = true;
				if (get_name(j, p, fmt) < 0)
					BAD("bad format");
			} else if (KEY("columns")) {
				if (sl_simdjson_int64(j, &v) != SL_SIMDJSON_OK || v < 1 || v > 4096)
					BAD("bad column count");
				ncols = (uint64_t)v;
			} else if (KEY("partition_columns")) {
				if (sl_simdjson_int64(j, &v) != SL_SIMDJSON_OK || v < 0 || v > SL_MAX_PART_COLS)
					BAD("bad partition column count");
				npart = (uint64_t)v;
			} else if (KEY("column")) {
				is_col = true;
				if (get_name(j, p, name) < 0)
					BAD("bad column name");
			} else if (KEY("type")) {
				if (get_name(j, p, type) < 0)
					BAD("bad type");
			} else if (KEY("partition_by")) {
				is_part = true;
				if (get_name(j, p, name) < 0)
					BAD("bad partition column");
			}
#undef KEY
		}
		if (jr != SL_SIMDJSON_END || sl_simdjson_close(j) != SL_SIMDJSON_OK)
			BAD("not a JSON object");
		if (lineno == 2) {
			if (!is_head || ncols == 0 || sl_file_format_parse(fmt, &m->format) < 0)
				BAD("expected {\"format\":...,\"columns\":N,...}");
			m->schema.cols = calloc(ncols, sizeof(*m->schema.cols));
			if (m->schema.cols == NULL) {
				snprintf(err, errlen, "out of memory");
				rc = -ENOMEM;
				goto out;
			}
		} else if (is_col) {
			if (seen_cols == ncols)
				BAD("more columns than the header says");
			struct sl_column_def *c = &m->schema.cols[seen_cols++];
			snprintf(c->name, sizeof(c->name), "%s", name);
			if (!type_from_name(type, strlen(type), &c->type) ||
			    (c->type == SL_TYPE_BINARY && m->format != SL_FILE_PARQUET))
				BAD("a column's type is not one a table holds");
		} else if (is_part) {
			if (seen_part == npart || seen_cols != ncols)
				BAD("unexpected partition column");
			uint32_t k = 0;
			while (k < ncols && strcasecmp(m->schema.cols[k].name, name) != 0)
				k++;
			if (k == ncols)
				BAD("a partition column that is no column");
			m->part[seen_part++] = k;
		} else {
			BAD("unexpected line");
		}
		p = nl + 1;
	}
	m->schema.ncols = seen_cols;
	m->npart = seen_part;
	if (lineno < 2 || seen_cols != ncols || seen_part != npart)
		BAD("fewer columns than the header says");
#undef BAD
out:
	if (rc < 0)
		sl_table_meta_free(m);
	sl_simdjson_destroy(j);
	return rc;
}


int sl_table_meta_parse(const char *text, size_t n, struct sl_table_meta *m, char *err,
			size_t errlen)
{
	*m = (struct sl_table_meta){0};
	char *buf = malloc(n + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	int rc = meta_parse(buf, n, m, err, errlen);
	free(buf);
	return rc;
}

int sl_table_meta_read(int dirfd, struct sl_table_meta *m, char *err, size_t errlen)
{
	*m = (struct sl_table_meta){0};
	int fd = openat(dirfd, SL_TABLE_META, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e != ENOENT)
			snprintf(err, errlen, "cannot open '" SL_TABLE_META "': %s", strerror(e));
		return -e;
	}
	char *buf = malloc(META_MAX_BYTES + 1);
	int rc = 0;
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -ENOMEM;
	}
	size_t n = 0;
	for (;;) {
		ssize_t k = read(fd, buf + n, META_MAX_BYTES - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot read '" SL_TABLE_META "': %s", strerror(errno));
			break;
		}
		if (k == 0 || n + (size_t)k == META_MAX_BYTES)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (rc == 0) {
		buf[n] = '\0';
		rc = meta_parse(buf, n, m, err, errlen);
	}
	free(buf);
	return rc;
}

int sl_table_meta_read_s3(struct sl_s3 *s3, const char *bucket, const char *prefix,
			  struct sl_table_meta *m, char *err, size_t errlen)
{
	*m = (struct sl_table_meta){0};
	char key[1300];
	snprintf(key, sizeof(key), "%s" SL_TABLE_META, prefix);
	char *buf = malloc(META_MAX_BYTES + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ssize_t n = sl_s3_get_range(s3, bucket, key, buf, META_MAX_BYTES, 0);
	int rc;
	if (n < 0) {
		rc = (int)n;
		if (rc != -ENOENT)
			snprintf(err, errlen, "cannot read 's3://%s/%s': %s", bucket, key,
				 sl_s3_error(s3));
	} else {
		buf[n] = '\0';
		rc = meta_parse(buf, (size_t)n, m, err, errlen);
	}
	free(buf);
	return rc;
}

bool sl_table_meta_same(const struct sl_table_meta *a, const struct sl_table_meta *b)
{
	if (a->format != b->format || a->schema.ncols != b->schema.ncols || a->npart != b->npart)
		return false;
	for (uint32_t i = 0; i < a->schema.ncols; i++)
		if (a->schema.cols[i].type != b->schema.cols[i].type ||
		    strcasecmp(a->schema.cols[i].name, b->schema.cols[i].name) != 0)
			return false;
	for (uint32_t i = 0; i < a->npart; i++)
		if (a->part[i] != b->part[i])
			return false;
	return true;
}

void sl_table_meta_describe(const struct sl_table_meta *m, char *buf, size_t len)
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
	if (len > 0)
		buf[0] = '\0';
	ADD("(");
	for (uint32_t i = 0; i < m->schema.ncols; i++)
		ADD("%s%s %s", i ? ", " : "", m->schema.cols[i].name,
		    sl_type_name(m->schema.cols[i].type));
	ADD(") in format %s", sl_file_format_name(m->format));
	if (m->npart > 0) {
		ADD(", partitioned by (");
		for (uint32_t i = 0; i < m->npart; i++)
			ADD("%s%s", i ? ", " : "", m->schema.cols[m->part[i]].name);
		ADD(")");
	}
#undef ADD
}

/* A table on S3's metadata, for sl_table_schema_of: the source's s3.*
 * options make the client (the listing intervals are the source's own).
 * -EINVAL: a bad option or path, err the whole message. */
static int schema_of_s3(const struct sl_source_spec *spec, const char *url,
			struct sl_table_meta *m, char *err, size_t errlen)
{
	static const char *const own[] = {"s3.list_interval", "s3.full_list_interval", NULL};
	char bucket[128], prefix[1024];
	struct sl_s3_conf *c = malloc(sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = sl_s3_parse_url(url, bucket, sizeof(bucket), prefix, sizeof(prefix), err, errlen);
	if (rc == 0)
		rc = sl_s3_conf_parse(c, &spec->options, own, err, errlen);
	if (rc < 0) {
		free(c);
		return -EINVAL;
	}
	size_t pl = strlen(prefix);
	if (pl > 0 && prefix[pl - 1] != '/' && pl + 1 < sizeof(prefix)) {
		prefix[pl] = '/';
		prefix[pl + 1] = '\0';
	}
	struct sl_s3 *s3 = sl_s3_create(c);
	if (s3 == NULL) {
		free(c);
		snprintf(err, errlen, "cannot set up libcurl");
		return -ENOMEM;
	}
	rc = sl_table_meta_read_s3(s3, bucket, prefix, m, err, errlen);
	sl_s3_destroy(s3);
	free(c);
	return rc == -EINVAL ? -EBADMSG : rc;
}

int sl_table_schema_of(const struct sl_source_spec *spec, struct sl_schema *out, char *err,
		       size_t errlen)
{
	const struct sl_option *o = sl_options_find(&spec->options, "path");
	if (o == NULL || o->value[0] == '\0') {
		snprintf(err, errlen,
			 "line %u, column %u: table source '%s' needs option 'path', the table's "
			 "directory, e.g. path = 'tables/counter_totals'",
			 spec->line, spec->column, spec->name);
		return -EINVAL;
	}
	struct sl_table_meta m;
	char why[1024] = "";
	int rc;
	if (sl_s3_is_url(o->value)) {
		rc = schema_of_s3(spec, o->value, &m, why, sizeof(why));
		if (rc == -EINVAL) {
			snprintf(err, errlen, "%s", why); /* an option's own error */
			return rc;
		}
	} else {
		int dirfd = open(o->value, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		rc = dirfd < 0 ? -errno : sl_table_meta_read(dirfd, &m, why, sizeof(why));
		if (dirfd >= 0)
			close(dirfd);
	}
	if (rc == -ENOENT) {
		snprintf(err, errlen,
			 "line %u, column %u: table '%s' does not exist yet (no " SL_TABLE_META
			 " there), so source '%s' has no columns to take: run the query that writes "
			 "it first, or declare its columns, CREATE SOURCE %s (col TYPE, ...), and the "
			 "source waits for the table",
			 o->line, o->column, o->value, spec->name, spec->name);
		return -ENOENT;
	}
	if (rc < 0) {
		snprintf(err, errlen, "line %u, column %u: table '%s': %s", o->line, o->column,
			 o->value, why[0] ? why : strerror(-rc));
		return -EINVAL;
	}
	*out = m.schema; /* the columns move to the caller */
	return 0;
}

/* ------------------------------------------------------------------ */
/* partition directories                                               */

static bool needs_escaping(unsigned char c)
{
	switch (c) {
	case '"': case '#': case '%': case '\'': case '*': case '/': case ':': case '=':
	case '?': case '\\': case 0x7f: case '{': case '[': case ']': case '^':
		return true;
	default:
		return c < 0x20;
	}
}

int sl_part_escape(const char *s, size_t n, struct sl_strbuf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;
	size_t from = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!needs_escaping(c))
			continue;
		char e[3] = {'%', hex[c >> 4], hex[c & 15]};
		if ((rc = sl_strbuf_append(out, s + from, i - from)) == 0)
			rc = sl_strbuf_append(out, e, 3);
		from = i + 1;
	}
	return rc < 0 ? rc : sl_strbuf_append(out, s + from, n - from);
}

size_t sl_part_unescape(const char *s, size_t n, char *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (s[i] == '%' && i + 2 < n && (h = sl_hex_value(s[i + 1])) >= 0 &&
		    (l = sl_hex_value(s[i + 2])) >= 0) {
			out[k++] = (char)(h << 4 | l);
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	return k;
}

int sl_part_dir(const char *col, const struct sl_vec *v, uint32_t row, struct sl_strbuf *scratch,
		struct sl_strbuf *out)
{
	int rc = sl_part_escape(col, strlen(col), out);
	if (rc == 0)
		rc = sl_strbuf_putc(out, '=');
	if (rc < 0)
		return rc;
	const char *text;
	size_t len;
	if (sl_vec_is_null(v, row)) {
		len = 0;
		text = "";
	} else if (v->type == SL_TYPE_STRING) {
		text = v->v.str[row].ptr;
		len = v->v.str[row].len;
	} else {
		sl_strbuf_reset(scratch);
		if ((rc = sl_format_cell(v, row, scratch)) < 0)
			return rc;
		text = scratch->ptr;
		len = scratch->len;
	}
	if (len == 0)
		return sl_strbuf_puts(out, SL_PART_DEFAULT);
	return sl_part_escape(text, len, out);
}

bool sl_part_find(const char *p, const char *col, const char **val, size_t *len)
{
	bool found = false;
	size_t cl = strlen(col);
	for (;;) {
		const char *slash = strchr(p, '/');
		if (slash == NULL)
			break; /* the file's own name */
		const char *eq = memchr(p, '=', (size_t)(slash - p));
		if (eq != NULL && (size_t)(eq - p) <= 3 * cl) {
			char name[3 * SL_NAME_MAX];
			size_t nl = (size_t)(eq - p);
			if (nl < sizeof(name)) {
				nl = sl_part_unescape(p, nl, name);
				if (nl == cl && strncasecmp(name, col, cl) == 0) {
					*val = eq + 1;
					*len = (size_t)(slash - eq - 1);
					found = true;
				}
			}
		}
		p = slash + 1;
	}
	return found;
}
