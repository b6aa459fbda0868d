/*
 * sink_file.c — the "file" sink (Spark's FileStreamSink) and the "table"
 * sink (Spark's toTable, on the same machinery): each epoch's rows as CSV,
 * JSON or text files in a directory, published through a commit log
 * (commit_log.h) so that a reader sees a batch whole or not at all.
 *
 * One batch, on the control thread (sink.h), in order:
 *  1. stage: the rows are grouped by partition (partition_by: Hive-style
 *     directories "col=value/", Spark's layout; rows keep their order
 *     within a partition), and each group is encoded straight into one
 *     buffer that is written out in SINK_CHUNK pieces to a hidden temporary
 *     file (".part-....tmp": every reader skips names starting with '.'),
 *     fsync'ed, renamed to its final name and its directory fsync'ed;
 *  2. publish: the batch's entry (its files, sizes, rows, the run id and
 *     the epoch) is added to the commit log, atomically.
 * A crash between the two leaves data files that no log entry lists: they
 * are not part of the output (Spark's ManifestFileCommitProtocol leaves the
 * same orphans). A batch whose entry exists is never written again: write()
 * of an epoch whose log batch is committed does nothing (Spark's
 * FileStreamSink skips batchId <= latest).
 *
 * Batch numbers: the log numbers batches 0, 1, 2, ... over every run that
 * wrote the directory. A run maps its epoch e to log batch base + e, base
 * being the latest committed batch + 1 when the sink opens, so a new run
 * continues after the last batch of the one before, overwriting nothing and
 * skipping nothing. A query restarted from a checkpoint gets back the base
 * it ran with (sl_file_sink_set_batch_base, from the checkpoint's
 * metadata), so that its batch N maps to the same log batch: a batch the
 * log holds is not written again (the checkpoint then adopts it, see
 * control/checkpoint.h), and published() tells the checkpoint which.
 *
 * Row text is Spark's:
 *  - csv: univocity's CsvWriter with the settings Spark's CSVOptions gives
 *    it (sl_csv_put_value), values as CAST to STRING prints them, timestamps
 *    with timestamp_format (Spark 3's default yyyy-MM-dd'T'HH:mm:ss[.SSS][XXX]);
 *  - json: Jackson as Spark's JacksonGenerator drives it: no spaces, fields
 *    in column order, null fields left out (ignore_null_fields), doubles as
 *    Double.toString with NaN and the infinities as strings, windows as
 *    {"start":...,"end":...};
 *  - text: the one STRING column's bytes; a null is an empty line.
 * Partition columns are not in the files (their values are in the paths).
 *
 * Memory: the sink's buffers (file text, partition keys, the per-row
 * partition and order arrays) grow to the largest batch and are reused;
 * nothing is allocated per row.
 */
#include "sink_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "commit_log.h"
#include "parquet.h"
#include "s3.h"
#include "sink.h"
#include "source.h"

#define SINK_CHUNK ((size_t)1 << 20) /* bytes per write(2) */

/* ------------------------------------------------------------------ */
/* timestamp patterns                                                  */

enum ts_kind {
	TS_LIT,
	TS_ERA,
	TS_YEAR,
	TS_YEAR2,
	TS_MONTH,
	TS_MONTH_SHORT,
	TS_MONTH_FULL,
	TS_MONTH_NARROW,
	TS_DAY,
	TS_DOY,
	TS_DOW_SHORT,
	TS_DOW_FULL,
	TS_DOW_NARROW,
	TS_AMPM,
	TS_HOUR,       /* H: 0-23 */
	TS_HOUR_K24,   /* k: 1-24 */
	TS_HOUR_K12,   /* K: 0-11 */
	TS_HOUR_H12,   /* h: 1-12 */
	TS_MINUTE,
	TS_SECOND,
	TS_FRACTION,
	TS_ERA_FULL,
	TS_ERA_NARROW,
};

struct ts_tok {
	enum ts_kind kind;
	uint8_t width;
	uint32_t off, len; /* TS_LIT: text in lits */
};

struct sl_ts_pattern {
	struct ts_tok *toks;
	uint32_t n, cap;
	struct sl_strbuf lits;
};

void sl_ts_pattern_free(struct sl_ts_pattern *p)
{
	if (p == NULL)
		return;
	free(p->toks);
	sl_strbuf_free(&p->lits);
	free(p);
}

static int ts_push(struct sl_ts_pattern *p, enum ts_kind k, uint8_t width, const char *lit,
		   size_t litlen)
{
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 16;
		struct ts_tok *nv = realloc(p->toks, cap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		p->toks = nv;
		p->cap = cap;
	}
	struct ts_tok *t = &p->toks[p->n];
	*t = (struct ts_tok){.kind = k, .width = width};
	if (k == TS_LIT) {
		/* join with a literal just before */
		if (p->n > 0 && p->toks[p->n - 1].kind == TS_LIT &&
		    p->toks[p->n - 1].off + p->toks[p->n - 1].len == p->lits.len) {
			p->toks[p->n - 1].len += (uint32_t)litlen;
			return sl_strbuf_append(&p->lits, lit, litlen);
		}
		t->off = (uint32_t)p->lits.len;
		t->len = (uint32_t)litlen;
		if (sl_strbuf_append(&p->lits, lit, litlen) < 0)
			return -ENOMEM;
	}
	p->n++;
	return 0;
}

static const char ts_letters[] = "G y M L d D E a h H k K m s S X x Z z V";

struct sl_ts_pattern *sl_ts_pattern_compile(const char *pat, char *err, size_t errlen)
{
	struct sl_ts_pattern *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sl_strbuf_init(&p->lits);
	size_t n = strlen(pat);
	int rc = 0, depth = 0;
#define BAD(...)                                                                                \
	do {                                                                                    \
		snprintf(err, errlen, __VA_ARGS__);                                             \
		goto err;                                                                       \
	} while (0)
	for (size_t i = 0; i < n && rc == 0;) {
		char c = pat[i];
		if (c == '\'') {
			size_t j = i + 1;
			if (j < n && pat[j] == '\'') {
				rc = ts_push(p, TS_LIT, 0, "'", 1);
				i = j + 1;
				continue;
			}
			/* quoted text; '' inside is a quote */
			for (;;) {
				if (j >= n)
					BAD("the quoted text at character %zu is not closed", i + 1);
				if (pat[j] == '\'') {
					if (j + 1 < n && pat[j + 1] == '\'') {
						rc = ts_push(p, TS_LIT, 0, "'", 1);
						j += 2;
						continue;
					}
					break;
				}
				rc = ts_push(p, TS_LIT, 0, pat + j, 1);
				j++;
			}
			i = j + 1;
			continue;
		}
		if (c == '[' || c == ']') {
			depth += c == '[' ? 1 : -1;
			if (depth < 0)
				BAD("']' at character %zu closes no optional section", i + 1);
			i++; /* a UTC instant has every field: optional parts print */
			continue;
		}
		if (c == '{' || c == '}' || c == '#')
			BAD("'%c' (character %zu) is reserved in datetime patterns", c, i + 1);
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
			rc = ts_push(p, TS_LIT, 0, pat + i, 1);
			i++;
			continue;
		}
		size_t run = 1;
		while (i + run < n && pat[i + run] == c)
			run++;
		i += run;
#define TOO_MANY() BAD("too many pattern letters: %c (%zu)", c, run)
		switch (c) {
		case 'G':
			if (run > 5)
				TOO_MANY();
			rc = ts_push(p, run <= 3 ? TS_ERA : run == 4 ? TS_ERA_FULL : TS_ERA_NARROW, 0,
				     NULL, 0);
			break;
		case 'y':
			if (run > 10)
				TOO_MANY();
			rc = ts_push(p, run == 2 ? TS_YEAR2 : TS_YEAR, (uint8_t)run, NULL, 0);
			break;
		case 'M':
		case 'L':
			if (run > 5)
				TOO_MANY();
			rc = ts_push(p, run <= 2 ? TS_MONTH : run == 3 ? TS_MONTH_SHORT
							 : run == 4 ? TS_MONTH_FULL
								    : TS_MONTH_NARROW,
				     (uint8_t)run, NULL, 0);
			break;
		case 'd':
		case 'H':
		case 'k':
		case 'K':
		case 'h':
		case 'm':
		case 's':
			if (run > 2)
				TOO_MANY();
			rc = ts_push(p, c == 'd'   ? TS_DAY
					: c == 'H' ? TS_HOUR
					: c == 'k' ? TS_HOUR_K24
					: c == 'K' ? TS_HOUR_K12
					: c == 'h' ? TS_HOUR_H12
					: c == 'm' ? TS_MINUTE
						   : TS_SECOND,
				     (uint8_t)run, NULL, 0);
			break;
		case 'D':
			if (run > 3)
				TOO_MANY();
			rc = ts_push(p, TS_DOY, (uint8_t)run, NULL, 0);
			break;
		case 'E':
			if (run > 5)
				TOO_MANY();
			rc = ts_push(p, run <= 3 ? TS_DOW_SHORT : run == 4 ? TS_DOW_FULL : TS_DOW_NARROW,
				     0, NULL, 0);
			break;
		case 'a':
			if (run > 1)
				TOO_MANY();
			rc = ts_push(p, TS_AMPM, 0, NULL, 0);
			break;
		case 'S':
			if (run > 9)
				TOO_MANY();
			rc = ts_push(p, TS_FRACTION, (uint8_t)run, NULL, 0);
			break;
		/* zones: timestamps are UTC, so each prints a constant */
		case 'X':
			if (run > 5)
				TOO_MANY();
			rc = ts_push(p, TS_LIT, 0, "Z", 1);
			break;
		case 'x': {
			static const char *const x[] = {"+00", "+0000", "+00:00", "+0000", "+00:00"};
			if (run > 5)
				TOO_MANY();
			rc = ts_push(p, TS_LIT, 0, x[run - 1], strlen(x[run - 1]));
			break;
		}
		case 'Z': {
			static const char *const z[] = {"+0000", "+0000", "+0000", "GMT", "Z"};
			if (run > 5)
				TOO_MANY();
			rc = ts_push(p, TS_LIT, 0, z[run - 1], strlen(z[run - 1]));
			break;
		}
		case 'z':
			if (run > 4)
				TOO_MANY();
			rc = run < 4 ? ts_push(p, TS_LIT, 0, "UTC", 3)
				     : ts_push(p, TS_LIT, 0, "Coordinated Universal Time", 26);
			break;
		case 'V':
			if (run != 2)
				BAD("pattern letter V must be VV (the zone id)");
			rc = ts_push(p, TS_LIT, 0, "UTC", 3);
			break;
		case 'Y':
		case 'w':
		case 'W':
		case 'u':
		case 'e':
		case 'c':
			BAD("all week-based patterns are unsupported since Spark 3.0, detected: %c; "
			    "supported letters: %s",
			    c, ts_letters);
		default:
			BAD("pattern letter '%c' is not supported (supported: %s, 'quoted text', "
			    "[optional sections])",
			    c, ts_letters);
		}
#undef TOO_MANY
	}
	if (rc < 0)
		BAD("out of memory");
	if (depth != 0)
		BAD("an optional section '[' is not closed");
#undef BAD
	return p;
err:
	sl_ts_pattern_free(p);
	return NULL;
}

static const char *const month_full[] = {"January", "February", "March",     "April",
					 "May",     "June",     "July",      "August",
					 "September", "October", "November", "December"};
static const char *const dow_full[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
				       "Friday", "Saturday", "Sunday"};

/* Howard Hinnant's civil_from_days: days since 1970-01-01 to y, m, d. */
static void civil(int64_t z, int64_t *y, uint32_t *m, uint32_t *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	uint64_t doe = (uint64_t)(z - era * 146097);
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	*d = (uint32_t)(doy - (153 * mp + 2) / 5 + 1);
	*m = (uint32_t)(mp < 10 ? mp + 3 : mp - 9);
	*y = yy + (*m <= 2);
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int put_num(struct sl_strbuf *out, int64_t v, unsigned width, bool exceeds)
{
	char buf[32];
	bool neg = v < 0;
	uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	int len = snprintf(buf, sizeof(buf), "%0*" PRIu64, (int)width, u);
	int rc = 0;
	if (neg)
		rc = sl_strbuf_putc(out, '-');
	else if (exceeds && (unsigned)len > width)
		rc = sl_strbuf_putc(out, '+'); /* Java's SignStyle.EXCEEDS_PAD */
	return rc < 0 ? rc : sl_strbuf_append(out, buf, (size_t)len);
}

int sl_ts_pattern_format(const struct sl_ts_pattern *p, int64_t us, struct sl_strbuf *out)
{
	int64_t days = us / 86400000000LL;
	int64_t rem = us % 86400000000LL;
	if (rem < 0) {
		rem += 86400000000LL;
		days--;
	}
	int64_t y;
	uint32_t mon, d;
	civil(days, &y, &mon, &d);
	uint32_t hour = (uint32_t)(rem / 3600000000LL);
	uint32_t min = (uint32_t)(rem / 60000000LL % 60);
	uint32_t sec = (uint32_t)(rem / 1000000 % 60);
	uint32_t micro = (uint32_t)(rem % 1000000);
	int rc = 0;
	for (uint32_t i = 0; rc == 0 && i < p->n; i++) {
		const struct ts_tok *t = &p->toks[i];
		switch (t->kind) {
		case TS_LIT:
			rc = sl_strbuf_append(out, p->lits.ptr + t->off, t->len);
			break;
		case TS_ERA: rc = sl_strbuf_puts(out, y > 0 ? "AD" : "BC"); break;
		case TS_ERA_FULL:
			rc = sl_strbuf_puts(out, y > 0 ? "Anno Domini" : "Before Christ");
			break;
		case TS_ERA_NARROW: rc = sl_strbuf_puts(out, y > 0 ? "A" : "B"); break;
		case TS_YEAR:
			rc = put_num(out, y, t->width == 1 ? 1 : t->width, t->width >= 4);
			break;
		case TS_YEAR2: {
			int64_t r = y % 100;
			rc = put_num(out, r < 0 ? r + 100 : r, 2, false);
			break;
		}
		case TS_MONTH: rc = put_num(out, mon, t->width, false); break;
		case TS_MONTH_SHORT: rc = sl_strbuf_append(out, month_full[mon - 1], 3); break;
		case TS_MONTH_FULL: rc = sl_strbuf_puts(out, month_full[mon - 1]); break;
		case TS_MONTH_NARROW: rc = sl_strbuf_append(out, month_full[mon - 1], 1); break;
		case TS_DAY: rc = put_num(out, d, t->width, false); break;
		case TS_DOY: {
			static const uint16_t before[] = {0,   31,  59,  90,  120, 151,
							  181, 212, 243, 273, 304, 334};
			uint32_t doy = before[mon - 1] + d + (mon > 2 && leap(y));
			rc = put_num(out, doy, t->width, false);
			break;
		}
		case TS_DOW_SHORT:
		case TS_DOW_FULL:
		case TS_DOW_NARROW: {
			int64_t w = (days % 7 + 7 + 3) % 7; /* 1970-01-01 was a Thursday */
			const char *name = dow_full[w];
			rc = sl_strbuf_append(out, name, t->kind == TS_DOW_FULL ? strlen(name)
							 : t->kind == TS_DOW_SHORT ? 3
										   : 1);
			break;
		}
		case TS_AMPM: rc = sl_strbuf_puts(out, hour < 12 ? "AM" : "PM"); break;
		case TS_HOUR: rc = put_num(out, hour, t->width, false); break;
		case TS_HOUR_K24: rc = put_num(out, hour == 0 ? 24 : hour, t->width, false); break;
		case TS_HOUR_K12: rc = put_num(out, hour % 12, t->width, false); break;
		case TS_HOUR_H12:
			rc = put_num(out, hour % 12 == 0 ? 12 : hour % 12, t->width, false);
			break;
		case TS_MINUTE: rc = put_num(out, min, t->width, false); break;
		case TS_SECOND: rc = put_num(out, sec, t->width, false); break;
		case TS_FRACTION: {
			char f[16];
			snprintf(f, sizeof(f), "%06u000", micro); /* nanoseconds, cut */
			rc = sl_strbuf_append(out, f, t->width);
			break;
		}
		}
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* options                                                             */

/* sluice's name, Spark's, and which formats take it. */
enum { K_ANY = 15, K_CSV = 1, K_JSON = 2, K_TEXT = 4, K_CJ = 3, K_PARQUET = 8 };

static const struct fkey {
	const char *name, *spark;
	unsigned formats;
	bool table; /* also an option of the table sink */
} file_keys[] = {
	{"path", NULL, K_ANY, true},
	{"format", NULL, K_ANY, true},
	{"partition_by", "partitionBy", K_ANY, true},
	{"header", NULL, K_CSV, false},
	{"sep", "delimiter", K_CSV, false},
	{"quote", NULL, K_CSV, false},
	{"escape", NULL, K_CSV, false},
	{"char_to_escape_quote_escaping", "charToEscapeQuoteEscaping", K_CSV, false},
	{"null_value", "nullValue", K_CSV, false},
	{"empty_value", "emptyValue", K_CSV, false},
	{"quote_all", "quoteAll", K_CSV, false},
	{"escape_quotes", "escapeQuotes", K_CSV, false},
	{"ignore_leading_white_space", "ignoreLeadingWhiteSpace", K_CSV, false},
	{"ignore_trailing_white_space", "ignoreTrailingWhiteSpace", K_CSV, false},
	{"timestamp_format", "timestampFormat", K_CJ, false},
	{"ignore_null_fields", "ignoreNullFields", K_JSON, false},
	{"compression", "codec", K_ANY, false},
	{"parquet.row_group_size", "parquet.block.size", K_PARQUET, false},
};
#define NFILE_KEYS (sizeof(file_keys) / sizeof(file_keys[0]))

static unsigned format_bit(enum sl_file_format f)
{
	return f == SL_FILE_CSV ? K_CSV : f == SL_FILE_JSON ? K_JSON
	       : f == SL_FILE_PARQUET ? K_PARQUET : K_TEXT;
}

static const struct fkey *find_key(const char *k)
{
	for (size_t i = 0; i < NFILE_KEYS; i++)
		if (strcasecmp(k, file_keys[i].name) == 0 ||
		    (file_keys[i].spark != NULL && strcasecmp(k, file_keys[i].spark) == 0))
			return &file_keys[i];
	return NULL;
}

static void key_list(bool table, unsigned fmt, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < NFILE_KEYS && used < len; i++) {
		const struct fkey *k = &file_keys[i];
		if ((table && !k->table) || !(k->formats & fmt))
			continue;
		int w = k->spark != NULL ? snprintf(buf + used, len - used, "%s%s (%s)",
						    used ? ", " : "", k->name, k->spark)
					 : snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						    k->name);
		if (w > 0)
			used += (size_t)w;
	}
}

/* The option under either of its names (the last one written). */
static const struct sl_option *opt_get(const struct sl_options *opts, const struct fkey *k)
{
	const struct sl_option *found = NULL;
	for (uint32_t i = 0; i < opts->n; i++)
		if (find_key(opts->v[i].key) == k)
			found = &opts->v[i];
	return found;
}

static const struct fkey *key_named(const char *name)
{
	return find_key(name);
}

static int opt_bool(const struct sl_options *opts, const char *name, bool *out, char *err,
		    size_t errlen)
{
	const struct sl_option *o = opt_get(opts, key_named(name));
	if (o == NULL)
		return 0;
	if (strcasecmp(o->value, "true") == 0) {
		*out = true;
	} else if (strcasecmp(o->value, "false") == 0) {
		*out = false;
	} else {
		snprintf(err, errlen, "line %u, column %u: option '%s' must be true or false, not '%s'",
			 o->line, o->column, o->key, o->value);
		return -EINVAL;
	}
	return 0;
}

/* A one-character option ("\t" for a tab); -1 for "" when empty_ok. */
static int opt_char(const struct sl_options *opts, const char *name, bool empty_ok, int *out,
		    char *err, size_t errlen)
{
	const struct sl_option *o = opt_get(opts, key_named(name));
	if (o == NULL)
		return 0;
	const char *v = o->value;
	if (v[0] == '\0' && empty_ok) {
		*out = -1;
	} else if (strcmp(v, "\\t") == 0) {
		*out = '\t';
	} else if (v[0] != '\0' && v[1] == '\0' && (unsigned char)v[0] < 0x80 && v[0] != '\n' &&
		   v[0] != '\r') {
		*out = (unsigned char)v[0];
	} else {
		snprintf(err, errlen,
			 "line %u, column %u: option '%s' must be one ASCII character (or '\\t')%s, "
			 "not '%s'",
			 o->line, o->column, o->key, empty_ok ? ", or '' for none" : "", v);
		return -EINVAL;
	}
	return 0;
}

static int opt_string(const struct sl_options *opts, const char *name, char **out)
{
	const struct sl_option *o = opt_get(opts, key_named(name));
	if (o == NULL)
		return 0;
	char *s = strdup(o->value);
	if (s == NULL)
		return -ENOMEM;
	free(*out);
	*out = s;
	return 0;
}

void sl_file_opts_free(struct sl_file_opts *o)
{
	if (o == NULL)
		return;
	free(o->path);
	free(o->csv.null_value);
	free(o->csv.empty_value);
	sl_ts_pattern_free(o->ts);
	memset(o, 0, sizeof(*o));
}

static int parse_partition_by(const struct sl_option *o, struct sl_file_opts *fo, char *err,
			      size_t errlen)
{
	const char *p = o->value;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *e = p;
		while (*e != '\0' && *e != ',')
			e++;
		const char *t = e;
		while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		size_t n = (size_t)(t - p);
		if (n == 0 || n >= SL_NAME_MAX) {
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' must be column names separated by "
				 "commas, e.g. 'store, counter', not '%s'",
				 o->line, o->column, o->key, o->value);
			return -EINVAL;
		}
		if (fo->npart == SL_MAX_PART_COLS) {
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' names more than %d columns", o->line,
				 o->column, o->key, SL_MAX_PART_COLS);
			return -EINVAL;
		}
		memcpy(fo->part[fo->npart], p, n);
		fo->part[fo->npart][n] = '\0';
		for (uint32_t i = 0; i < fo->npart; i++) {
			if (strcasecmp(fo->part[i], fo->part[fo->npart]) == 0) {
				snprintf(err, errlen,
					 "line %u, column %u: option '%s' names column '%s' twice",
					 o->line, o->column, o->key, fo->part[fo->npart]);
				return -EINVAL;
			}
		}
		fo->npart++;
		p = *e == ',' ? e + 1 : e;
		if (*e == ',' && *p == '\0') {
			snprintf(err, errlen, "line %u, column %u: option '%s' ends with a comma",
				 o->line, o->column, o->key);
			return -EINVAL;
		}
	}
	return 0;
}

#define SINK_S3_PART ((uint64_t)8 << 20)     /* multipart parts, default */
#define SINK_S3_PART_MIN ((uint64_t)5 << 20) /* S3's least part size (but the last) */
static const char *const sink_s3_keys[] = {"s3.part_size", NULL};

/* s3.* options: with an s3:// path only (and a file sink), checked as the
 * client takes them (credentials included). 0 or -EINVAL. */
static int sink_s3_opts(const struct sl_sink_spec *spec, bool table, struct sl_file_opts *o,
			char *err, size_t errlen)
{
	const struct sl_options *opts = &spec->options;
	o->s3 = sl_s3_is_url(o->path);
	if (!o->s3) {
		for (uint32_t i = 0; i < opts->n; i++)
			if (sl_s3_is_option(opts->v[i].key)) {
				snprintf(err, errlen,
					 "line %u, column %u: option '%s' applies only to an s3:// path "
					 "(path = 's3://bucket/prefix/')",
					 opts->v[i].line, opts->v[i].column, opts->v[i].key);
				return -EINVAL;
			}
		return 0;
	}
	const struct sl_option *po = sl_options_find(opts, "path");
	(void)table; /* a table on S3 is the same objects and _sluice_table */
	char bucket[128], prefix[1024], why[512];
	if (sl_s3_parse_url(o->path, bucket, sizeof(bucket), prefix, sizeof(prefix), why,
			    sizeof(why)) < 0) {
		snprintf(err, errlen, "line %u, column %u: option 'path': %s", po->line, po->column,
			 why);
		return -EINVAL;
	}
	o->s3_part_size = SINK_S3_PART;
	const struct sl_option *ps = sl_options_find(opts, "s3.part_size");
	if (ps != NULL && (sl_parse_size(ps->value, &o->s3_part_size) < 0 ||
			   o->s3_part_size < SINK_S3_PART_MIN ||
			   o->s3_part_size > ((uint64_t)5 << 30))) {
		snprintf(err, errlen,
			 "line %u, column %u: option 's3.part_size' must be a size from 5M to 5G (S3's "
			 "limits for a multipart upload's parts), such as '16M', not '%s'",
			 ps->line, ps->column, ps->value);
		return -EINVAL;
	}
	struct sl_s3_conf *c = malloc(sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = sl_s3_conf_parse(c, opts, sink_s3_keys, err, errlen);
	free(c);
	return rc < 0 ? -EINVAL : 0;
}

int sl_file_opts_parse(const struct sl_sink_spec *spec, bool table, struct sl_file_opts *o,
		       char *err, size_t errlen)
{
	const struct sl_options *opts = &spec->options;
	const char *kind = table ? "table" : "file";
	memset(o, 0, sizeof(*o));
	o->table = table;
	o->format = table ? SL_FILE_JSON : SL_FILE_CSV;
	o->csv = (struct sl_csv_opts){.sep = ',', .quote = '"', .escape = '\\',
				      .escape_quotes = true, .trim_leading = !table,
				      .trim_trailing = !table};
	o->ignore_null_fields = true;
	const char *fmt_name = table ? "json" : NULL;
	const struct sl_option *fo = sl_options_find(opts, "format");
	if (fo != NULL) {
		if (sl_file_format_parse(fo->value, &o->format) < 0) {
			snprintf(err, errlen,
				 "line %u, column %u: option 'format' of the %s sink must be 'csv', "
				 "'json', 'text' or 'parquet', not '%s'",
				 fo->line, fo->column, kind, fo->value);
			goto err;
		}
		fmt_name = sl_file_format_name(o->format);
	} else if (!table) {
		snprintf(err, errlen,
			 "line %u, column %u: file sink '%s' needs option 'format': 'csv', 'json', "
			 "'text' or 'parquet'",
			 spec->line, spec->column, spec->name);
		goto err;
	}
	unsigned fbit = format_bit(o->format);
	for (uint32_t i = 0; i < opts->n; i++) {
		const struct sl_option *v = &opts->v[i];
		const struct fkey *k = find_key(v->key);
		if (k != NULL && (!table || k->table) && (k->formats & fbit))
			continue;
		if (sl_s3_is_option(v->key))
			continue; /* checked with the path below */
		char known[1024];
		key_list(table, fbit, known, sizeof(known));
		if (k != NULL && (!table || k->table))
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' does not apply to format '%s' (options "
				 "of the %s sink with format '%s': %s)",
				 v->line, v->column, v->key, fmt_name, kind, fmt_name, known);
		else
			snprintf(err, errlen,
				 "line %u, column %u: unknown option '%s' for the %s sink%s (options%s: "
				 "%s)",
				 v->line, v->column, v->key, kind,
				 table ? ": a table keeps its own format settings" : "",
				 table ? "" : " with this format", known);
		goto err;
	}
	const struct sl_option *po = sl_options_find(opts, "path");
	if (po == NULL || po->value[0] == '\0') {
		snprintf(err, errlen,
			 "line %u, column %u: %s sink '%s' needs option 'path', the directory to "
			 "write, e.g. path = '%s'",
			 po ? po->line : spec->line, po ? po->column : spec->column, kind, spec->name,
			 table ? "tables/totals" : "out/");
		goto err;
	}
	o->path = strdup(po->value);
	if (o->path == NULL)
		goto err_nomem;
	if (sink_s3_opts(spec, table, o, err, errlen) < 0)
		goto err;
	const struct sl_option *pb = opt_get(opts, key_named("partition_by"));
	if (pb != NULL && parse_partition_by(pb, o, err, errlen) < 0)
		goto err;
	const struct sl_option *co = opt_get(opts, key_named("compression"));
	o->pq_codec = 1; /* SNAPPY: Spark's default for Parquet */
	o->pq_row_group = (uint64_t)128 << 20;
	if (o->format == SL_FILE_PARQUET) {
		if (co == NULL || strcasecmp(co->value, "snappy") == 0) {
			o->pq_codec = 1;
		} else if (strcasecmp(co->value, "none") == 0 ||
			   strcasecmp(co->value, "uncompressed") == 0) {
			o->pq_codec = 0;
		} else if (strcasecmp(co->value, "gzip") == 0) {
			o->pq_codec = 2;
		} else if (strcasecmp(co->value, "zstd") == 0) {
			o->pq_codec = 6;
		} else {
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' of format parquet must be 'snappy' "
				 "(the default), 'zstd', 'gzip' or 'none', not '%s'",
				 co->line, co->column, co->key, co->value);
			goto err;
		}
		const struct sl_option *rg = opt_get(opts, key_named("parquet.row_group_size"));
		if (rg != NULL && (sl_parse_size(rg->value, &o->pq_row_group) < 0 ||
				   o->pq_row_group == 0)) {
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' must be a size of at least one "
				 "byte, such as '128M' or 1048576, not '%s'",
				 rg->line, rg->column, rg->key, rg->value);
			goto err;
		}
		co = NULL;
	}
	if (co != NULL && strcasecmp(co->value, "none") != 0 &&
	    strcasecmp(co->value, "uncompressed") != 0) {
		snprintf(err, errlen,
			 "line %u, column %u: option '%s' = '%s': compressed output is not supported; "
			 "leave it out, or set 'none'",
			 co->line, co->column, co->key, co->value);
		goto err;
	}
	if (o->format == SL_FILE_CSV) {
		struct sl_csv_opts *c = &o->csv;
		int sep = c->sep, q = c->quote, e = c->escape, ee = -2;
		if (opt_char(opts, "sep", false, &sep, err, errlen) < 0 ||
		    opt_char(opts, "quote", true, &q, err, errlen) < 0 ||
		    opt_char(opts, "escape", false, &e, err, errlen) < 0 ||
		    opt_char(opts, "char_to_escape_quote_escaping", false, &ee, err, errlen) < 0 ||
		    opt_bool(opts, "header", &c->header, err, errlen) < 0 ||
		    opt_bool(opts, "quote_all", &c->quote_all, err, errlen) < 0 ||
		    opt_bool(opts, "escape_quotes", &c->escape_quotes, err, errlen) < 0 ||
		    opt_bool(opts, "ignore_leading_white_space", &c->trim_leading, err, errlen) < 0 ||
		    opt_bool(opts, "ignore_trailing_white_space", &c->trim_trailing, err, errlen) < 0)
			goto err;
		c->sep = (char)sep;
		c->quote = q;
		c->escape = e;
		/* univocity: by default the escape escapes itself when it is not
		 * the quote (Spark: "escape or \0") */
		c->escape_escape = ee != -2 ? ee : (e != q ? e : -1);
		if (c->quote >= 0 && c->quote == c->sep) {
			const struct sl_option *x = opt_get(opts, key_named("quote"));
			if (x == NULL)
				x = opt_get(opts, key_named("sep"));
			snprintf(err, errlen,
				 "line %u, column %u: the separator and the quote are the same "
				 "character '%c'",
				 x->line, x->column, c->sep);
			goto err;
		}
		c->null_value = strdup("");
		c->empty_value = strdup("\"\""); /* Spark's emptyValueInWrite */
		if (c->null_value == NULL || c->empty_value == NULL ||
		    opt_string(opts, "null_value", &c->null_value) < 0 ||
		    opt_string(opts, "empty_value", &c->empty_value) < 0)
			goto err_nomem;
	} else if (o->format == SL_FILE_JSON) {
		if (opt_bool(opts, "ignore_null_fields", &o->ignore_null_fields, err, errlen) < 0)
			goto err;
	}
	if (o->format != SL_FILE_TEXT && o->format != SL_FILE_PARQUET) {
		const struct sl_option *t = opt_get(opts, key_named("timestamp_format"));
		const char *pat = t != NULL ? t->value : table ? SL_TS_PATTERN_TABLE
							     : SL_TS_PATTERN_SPARK;
		char why[256];
		o->ts = sl_ts_pattern_compile(pat, why, sizeof(why));
		if (o->ts == NULL) {
			snprintf(err, errlen, "line %u, column %u: option '%s' ('%s'): %s",
				 t ? t->line : spec->line, t ? t->column : spec->column,
				 t ? t->key : "timestamp_format", pat, why);
			goto err;
		}
	}
	return 0;
err_nomem:
	snprintf(err, errlen, "out of memory reading the options of sink '%s'", spec->name);
err:
	sl_file_opts_free(o);
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* text of values                                                      */

/* The length of the valid UTF-8 sequence at p (n > 0 bytes left), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, v = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, v = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, v = c & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[k] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return len;
}

static bool utf8_valid(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_seq(p + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* Bytes that are not UTF-8 become U+FFFD (one each), as Java's String of
 * them does (Spark's UTF8String.toString before Jackson or univocity). */
static int utf8_clean(const char *s, size_t n, struct sl_strbuf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n;) {
		size_t k = utf8_seq(p + i, n - i);
		if (k > 0) {
			rc = sl_strbuf_append(out, s + i, k);
			i += k;
		} else {
			rc = sl_strbuf_append(out, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	return rc;
}

/* The text of a non-null scalar (CAST to STRING; timestamps with the
 * pattern), into out; strings are not copied: *s points at them. */
static int value_text(const struct sl_file_opts *o, const struct sl_vec *v, uint32_t row,
		      struct sl_strbuf *tmp, const char **s, size_t *n)
{
	int rc = 0;
	sl_strbuf_reset(tmp);
	switch (v->type) {
	case SL_TYPE_STRING: {
		const struct sl_str *x = &v->v.str[row];
		if (utf8_valid((const unsigned char *)x->ptr, x->len)) {
			*s = x->ptr;
			*n = x->len;
			return 0;
		}
		rc = utf8_clean(x->ptr, x->len, tmp);
		break;
	}
	case SL_TYPE_TIMESTAMP:
		rc = sl_ts_pattern_format(o->ts, v->v.i64[row], tmp);
		break;
	default:
		rc = sl_format_cell(v, row, tmp);
		break;
	}
	*s = tmp->ptr;
	*n = tmp->len;
	return rc;
}

/* ------------------------------------------------------------------ */
/* CSV: univocity's CsvWriter                                          */

/* What univocity trims: 0 < c <= ' ' (whitespaceRangeStart '\0'). */
static bool csv_ws(unsigned char c)
{
	return c > 0 && c <= ' ';
}

struct csv_val {
	const struct sl_csv_opts *o;
	const char *e;
	size_t len;
	struct sl_strbuf *buf; /* the value's text */
	size_t ws;             /* trailing whitespace to drop */
	int rc;
};

/* Quoting triggers besides the separator: line ends, and the quote when
 * escape_quotes (univocity's quotationTriggers with Spark's settings). */
static bool csv_trigger(const struct sl_csv_opts *o, unsigned char c)
{
	return c == '\n' || c == '\r' || (o->escape_quotes && o->quote >= 0 && c == o->quote);
}

static void csv_put(struct csv_val *v, const char *p, size_t n)
{
	if (v->rc == 0 && n > 0)
		v->rc = sl_strbuf_append(v->buf, p, n);
}

static void csv_update_ws(struct csv_val *v)
{
	v->ws = 0;
	for (size_t i = v->buf->len; i > 0 && csv_ws((unsigned char)v->buf->ptr[i - 1]); i--)
		v->ws++;
}

/* CsvWriter.quoteElement: whether a separator or trigger is at or after i. */
static bool csv_needs_quotes(const struct csv_val *v, size_t i)
{
	for (; i < v->len; i++) {
		unsigned char c = (unsigned char)v->e[i];
		if (c == (unsigned char)v->o->sep || csv_trigger(v->o, c))
			return true;
	}
	return false;
}

/* CsvWriter.appendQuoted from `start`. */
static void csv_append_quoted(struct csv_val *v, size_t start)
{
	const struct sl_csv_opts *o = v->o;
	size_t i = start;
	unsigned char ch = 0;
	for (; i < v->len; i++) {
		ch = (unsigned char)v->e[i];
		if ((int)ch == o->quote || ch == '\n' || (int)ch == o->escape) {
			csv_put(v, v->e + start, i - start);
			start = i + 1;
			char esc;
			if ((int)ch == o->quote) {
				esc = (char)o->escape;
				csv_put(v, &esc, 1);
			} else if ((int)ch == o->escape && o->escape_escape >= 0) {
				esc = (char)o->escape_escape;
				csv_put(v, &esc, 1);
			}
			csv_put(v, (const char *)&ch, 1);
		}
	}
	csv_put(v, v->e + start, i - start);
	if (o->trim_trailing && csv_ws(ch))
		csv_update_ws(v);
}

/* CsvWriter.append: the value's text into v->buf; returns whether it is
 * to be quoted. */
static bool csv_append(struct csv_val *v, bool first, bool quoted, bool null_or_empty)
{
	const struct sl_csv_opts *o = v->o;
	const char *e = v->e;
	size_t len = v->len, start = 0;
	if (o->trim_leading)
		while (start < len && csv_ws((unsigned char)e[start]))
			start++;
	/* univocity's comment character is '#' unless set (Spark sets none) */
	if (start < len && ((int)(unsigned char)e[start] == o->quote || (first && e[0] == '#')))
		quoted = true;
	if (quoted) {
		if (null_or_empty && len >= 2 && (int)(unsigned char)e[0] == o->quote &&
		    (int)(unsigned char)e[len - 1] == o->quote) {
			csv_put(v, e, len); /* a null or empty value already quoted */
			return false;
		}
		csv_append_quoted(v, start);
		return true;
	}
	size_t i = start;
	unsigned char ch = 0;
	for (; i < len; i++) {
		ch = (unsigned char)e[i];
		bool is_q = (int)ch == o->quote, is_e = (int)ch == o->escape;
		if (!(is_q || ch == (unsigned char)o->sep || is_e || csv_trigger(o, ch)))
			continue;
		csv_put(v, e + start, i - start);
		if (is_q || is_e) {
			if (csv_needs_quotes(v, i)) {
				csv_append_quoted(v, i);
				return true;
			}
			csv_put(v, e + i, len - i);
			if (o->trim_trailing && csv_ws((unsigned char)e[len - 1]))
				csv_update_ws(v);
			return quoted;
		}
		csv_append_quoted(v, i);
		return true;
	}
	csv_put(v, e + start, i - start);
	if (o->trim_trailing && csv_ws(ch))
		csv_update_ws(v);
	return quoted;
}

static int csv_value(const struct sl_csv_opts *o, const char *s, size_t n, bool first,
		     struct sl_strbuf *scratch, struct sl_strbuf *out)
{
	bool null_or_empty = s == NULL || n == 0;
	const char *e = s == NULL ? o->null_value : n == 0 ? o->empty_value : s;
	size_t len = s == NULL ? strlen(o->null_value) : n == 0 ? strlen(o->empty_value) : n;
	sl_strbuf_reset(scratch);
	if (o->quote < 0) {
		/* quote = '': never quoted (univocity would write NUL quotes) */
		size_t a = 0, b = len;
		while (o->trim_leading && a < b && csv_ws((unsigned char)e[a]))
			a++;
		while (o->trim_trailing && b > a && csv_ws((unsigned char)e[b - 1]))
			b--;
		return sl_strbuf_append(out, e + a, b - a);
	}
	struct csv_val v = {.o = o, .e = e, .len = len, .buf = scratch};
	bool quoted = csv_append(&v, first, o->quote_all, null_or_empty);
	if (v.rc == 0 && scratch->len == 0 && !null_or_empty) {
		/* all of it was whitespace, trimmed away: the empty value */
		v.e = o->empty_value;
		v.len = strlen(o->empty_value);
		csv_append(&v, first, quoted, false);
	}
	if (v.rc < 0)
		return v.rc;
	size_t keep = scratch->len - v.ws;
	int rc = 0;
	char q = (char)o->quote;
	if (quoted)
		rc = sl_strbuf_putc(out, q);
	if (rc == 0)
		rc = sl_strbuf_append(out, scratch->ptr, keep);
	if (rc == 0 && quoted)
		rc = sl_strbuf_putc(out, q);
	return rc;
}

int sl_csv_put_value(const struct sl_csv_opts *o, const char *s, size_t n, bool first,
		     struct sl_strbuf *out)
{
	struct sl_strbuf scratch;
	sl_strbuf_init(&scratch);
	int rc = csv_value(o, s, n, first, &scratch, out);
	sl_strbuf_free(&scratch);
	return rc;
}

/* ------------------------------------------------------------------ */
/* JSON: Jackson as Spark's JacksonGenerator uses it                   */

static int json_str(struct sl_strbuf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = sl_strbuf_reserve(out, n + 2);
	if (rc < 0)
		return rc;
	out->ptr[out->len++] = '"';
	size_t from = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc = sl_strbuf_append(out, s + from, i - from);
		from = i + 1;
		char e[6] = {'\\', 0, 0, 0, 0, 0};
		size_t el = 2;
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		default:
			e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
			el = 6;
			break;
		}
		if (rc == 0)
			rc = sl_strbuf_append(out, e, el);
	}
	if (rc == 0)
		rc = sl_strbuf_append(out, s + from, n - from);
	return rc < 0 ? rc : sl_strbuf_putc(out, '"');
}

/* A BINARY value as Jackson's writeBinary writes it (Spark's
 * JacksonGenerator): a JSON string of standard base64 with '=' padding,
 * no line breaks (Base64Variants.MIME_NO_LINEFEEDS). */
static int json_base64(struct sl_strbuf *out, const struct sl_str *b)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *u = (const uint8_t *)b->ptr;
	int rc = sl_strbuf_reserve(out, ((size_t)b->len + 2) / 3 * 4 + 2);
	if (rc < 0)
		return rc;
	char *p = out->ptr + out->len;
	*p++ = '"';
	uint32_t i = 0;
	for (; i + 3 <= b->len; i += 3) {
		const uint32_t w = (uint32_t)u[i] << 16 | (uint32_t)u[i + 1] << 8 | u[i + 2];
		*p++ = abc[w >> 18];
		*p++ = abc[(w >> 12) & 63];
		*p++ = abc[(w >> 6) & 63];
		*p++ = abc[w & 63];
	}
	if (i < b->len) {
		const uint32_t w = (uint32_t)u[i] << 16 | (i + 1 < b->len ? (uint32_t)u[i + 1] << 8 : 0);
		*p++ = abc[w >> 18];
		*p++ = abc[(w >> 12) & 63];
		*p++ = i + 1 < b->len ? abc[(w >> 6) & 63] : '=';
		*p++ = '=';
	}
	*p++ = '"';
	out->len = (size_t)(p - out->ptr);
	out->ptr[out->len] = '\0';
	return 0;
}

/* One non-null JSON value. */
static int json_value(struct sl_file_enc *e, const struct sl_vec *v, uint32_t row,
		      struct sl_strbuf *out)
{
	char buf[SL_FORMAT_MAX];
	size_t n;
	int rc;
	switch (v->type) {
	case SL_TYPE_BOOLEAN:
		return sl_strbuf_puts(out, v->v.b[row] ? "true" : "false");
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
		n = sl_format_i64(v->v.i64[row], buf, sizeof(buf));
		return sl_strbuf_append(out, buf, n);
	case SL_TYPE_DOUBLE: {
		double d = v->v.f64[row];
		n = sl_format_double(d, buf, sizeof(buf));
		if (d != d || d == 1.0 / 0.0 || d == -1.0 / 0.0)
			return json_str(out, buf, n); /* QUOTE_NON_NUMERIC_NUMBERS */
		return sl_strbuf_append(out, buf, n);
	}
	case SL_TYPE_BINARY:
		return json_base64(out, &v->v.str[row]);
	case SL_TYPE_HEADER: {
		/* a Kafka header as Spark's to_json writes the struct: a null
		 * value left out (ignoreNullFields) */
		const struct sl_header *h = &v->v.hdr[row];
		if ((rc = sl_strbuf_puts(out, "{\"key\":")) < 0 ||
		    (rc = json_str(out, h->key.ptr, h->key.len)) < 0)
			return rc;
		if (!h->value_null && ((rc = sl_strbuf_puts(out, ",\"value\":")) < 0 ||
				       (rc = json_base64(out, &h->value)) < 0))
			return rc;
		return sl_strbuf_putc(out, '}');
	}
	case SL_TYPE_WINDOW: {
		const struct sl_window *w = &v->v.win[row];
		sl_strbuf_reset(&e->tmp);
		if ((rc = sl_ts_pattern_format(e->o->ts, w->start, &e->tmp)) < 0 ||
		    (rc = sl_strbuf_puts(out, "{\"start\":")) < 0 ||
		    (rc = json_str(out, e->tmp.ptr, e->tmp.len)) < 0)
			return rc;
		sl_strbuf_reset(&e->tmp);
		if ((rc = sl_ts_pattern_format(e->o->ts, w->end, &e->tmp)) < 0 ||
		    (rc = sl_strbuf_puts(out, ",\"end\":")) < 0 ||
		    (rc = json_str(out, e->tmp.ptr, e->tmp.len)) < 0)
			return rc;
		return sl_strbuf_putc(out, '}');
	}
	case SL_TYPE_ARRAY: {
		const struct sl_span *sp = &v->v.arr[row];
		if ((rc = sl_strbuf_putc(out, '[')) < 0)
			return rc;
		for (uint32_t k = 0; k < sp->len; k++) {
			if (k > 0 && (rc = sl_strbuf_putc(out, ',')) < 0)
				return rc;
			uint32_t at = sp->off + k;
			rc = sl_vec_is_null(v->elem, at) ? sl_strbuf_puts(out, "null")
							 : json_value(e, v->elem, at, out);
			if (rc < 0)
				return rc;
		}
		return sl_strbuf_putc(out, ']');
	}
	default: {
		const char *s;
		size_t len;
		if ((rc = value_text(e->o, v, row, &e->cell, &s, &len)) < 0)
			return rc;
		return json_str(out, s, len);
	}
	}
}

/* ------------------------------------------------------------------ */
/* rows                                                                */

/* Spark's SQL name of a type, as its errors print it. */
static void type_text(const struct sl_column_def *c, char *buf, size_t len)
{
	if (c->type == SL_TYPE_WINDOW)
		snprintf(buf, len, "STRUCT<start: TIMESTAMP, end: TIMESTAMP>");
	else if (c->type == SL_TYPE_ARRAY)
		snprintf(buf, len, "ARRAY<%s>", sl_type_name(c->elem_type));
	else if (c->type == SL_TYPE_NULL)
		snprintf(buf, len, "VOID");
	else
		snprintf(buf, len, "%s", sl_type_name(c->type));
}

static void schema_text(const struct sl_schema *s, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < s->ncols && used < len; i++) {
		char t[64];
		type_text(&s->cols[i], t, sizeof(t));
		int w = snprintf(buf + used, len - used, "%s%s %s", i ? ", " : "", s->cols[i].name, t);
		if (w > 0)
			used += (size_t)w;
	}
}

void sl_file_enc_free(struct sl_file_enc *e)
{
	if (e == NULL)
		return;
	free(e->cols);
	free(e->key_off);
	sl_strbuf_free(&e->keys);
	sl_strbuf_free(&e->cell);
	sl_strbuf_free(&e->tmp);
	memset(e, 0, sizeof(*e));
}

int sl_file_enc_init(struct sl_file_enc *e, const struct sl_file_opts *o,
		     const struct sl_schema *schema, uint32_t *part_idx, char *err, size_t errlen)
{
	memset(e, 0, sizeof(*e));
	e->o = o;
	sl_strbuf_init(&e->keys);
	sl_strbuf_init(&e->cell);
	sl_strbuf_init(&e->tmp);
	const char *fmt = o->format == SL_FILE_CSV ? "CSV" : o->format == SL_FILE_JSON ? "JSON"
			  : o->format == SL_FILE_PARQUET ? "Parquet" : "Text";
	char cols[1024], t[64];
	bool is_part[4096] = {false};
	if (schema->ncols > 4096)
		goto err_nomem;
	for (uint32_t i = 0; i < o->npart; i++) {
		uint32_t k = 0;
		while (k < schema->ncols && strcasecmp(schema->cols[k].name, o->part[i]) != 0)
			k++;
		if (k == schema->ncols) {
			schema_text(schema, cols, sizeof(cols));
			snprintf(err, errlen,
				 "Partition column `%s` not found in schema (%s); partition_by names "
				 "the query's output columns",
				 o->part[i], cols);
			goto err;
		}
		const struct sl_column_def *c = &schema->cols[k];
		if (c->type == SL_TYPE_WINDOW || c->type == SL_TYPE_ARRAY ||
		    c->type == SL_TYPE_HEADER || c->type == SL_TYPE_BINARY) {
			/* BINARY: its directory name would be the show() text of
			 * the bytes; a CAST says which text is meant */
			type_text(c, t, sizeof(t));
			snprintf(err, errlen, "Cannot use %s for partition column `%s`%s", t, c->name,
				 c->type == SL_TYPE_WINDOW ? "; partition by its start instead "
							     "(SELECT w.start AS window_start, ...)"
				 : c->type == SL_TYPE_BINARY
					 ? "; partition by its text instead (SELECT CAST(b AS "
					   "STRING) AS b, ...)"
					 : "");
			goto err;
		}
		part_idx[i] = k;
		is_part[k] = true;
	}
	if (o->npart > 0 && o->npart == schema->ncols) {
		snprintf(err, errlen, "Cannot use all columns for partition columns");
		goto err;
	}
	e->cols = malloc((schema->ncols ? schema->ncols : 1) * sizeof(*e->cols));
	e->key_off = malloc((schema->ncols + 1) * sizeof(*e->key_off));
	if (e->cols == NULL || e->key_off == NULL)
		goto err_nomem;
	for (uint32_t k = 0; k < schema->ncols; k++)
		if (!is_part[k])
			e->cols[e->ncols++] = k;
	if (o->format == SL_FILE_TEXT && e->ncols != 1) {
		snprintf(err, errlen,
			 "Text data source supports only a single column, and you have %u columns.",
			 e->ncols);
		goto err;
	}
	for (uint32_t j = 0; j < e->ncols; j++) {
		const struct sl_column_def *c = &schema->cols[e->cols[j]];
		/* BINARY: Spark's CSV and text sources refuse it; a table is
		 * read back by the CSV/JSON parsers, which read no BINARY */
		bool bad = (o->format == SL_FILE_TEXT && c->type != SL_TYPE_STRING) ||
			   (o->format == SL_FILE_CSV &&
			    (c->type == SL_TYPE_WINDOW || c->type == SL_TYPE_ARRAY ||
			     c->type == SL_TYPE_HEADER || c->type == SL_TYPE_BINARY)) ||
			   (o->format == SL_FILE_PARQUET && !sl_pq_writes_type(c->type)) ||
			   (o->table && (c->type == SL_TYPE_WINDOW || c->type == SL_TYPE_ARRAY ||
					 c->type == SL_TYPE_HEADER ||
					 c->type == SL_TYPE_INTERVAL || c->type == SL_TYPE_NULL ||
					 (c->type == SL_TYPE_BINARY &&
					  o->format != SL_FILE_PARQUET)));
		if (bad) {
			type_text(c, t, sizeof(t));
			if (o->table)
				snprintf(err, errlen,
					 "table sink: column `%s` is a %s; a table holds BOOLEAN, INT, "
					 "BIGINT, DOUBLE, STRING and TIMESTAMP columns (and BINARY in "
					 "format parquet)%s",
					 c->name, t,
					 c->type == SL_TYPE_WINDOW
						 ? " (select w.start AS window_start, w.end AS "
						   "window_end instead)"
					 : c->type == SL_TYPE_BINARY
						 ? " (select CAST(b AS STRING) AS b instead)"
						 : "");
			else
				snprintf(err, errlen,
					 "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The %s datasource "
					 "doesn't support the column `%s` of the type \"%s\".%s",
					 fmt, c->name, t,
					 o->format == SL_FILE_PARQUET && c->type == SL_TYPE_WINDOW
						 ? " (sluice writes no structs to Parquet yet: select "
						   "w.start AS window_start, w.end AS window_end)"
						 : "");
			goto err;
		}
	}
	for (uint32_t k = 0; k < schema->ncols && o->table; k++) {
		if (is_part[k] && schema->cols[k].type == SL_TYPE_INTERVAL) {
			snprintf(err, errlen, "table sink: partition column `%s` is an INTERVAL",
				 schema->cols[k].name);
			goto err;
		}
	}
	/* json keys, escaped once */
	for (uint32_t j = 0; j < e->ncols; j++) {
		const char *name = schema->cols[e->cols[j]].name;
		e->key_off[j] = (uint32_t)e->keys.len;
		if ((j > 0 && sl_strbuf_putc(&e->keys, ',') < 0) ||
		    json_str(&e->keys, name, strlen(name)) < 0 || sl_strbuf_putc(&e->keys, ':') < 0)
			goto err_nomem;
	}
	e->key_off[e->ncols] = (uint32_t)e->keys.len;
	return 0;
err_nomem:
	snprintf(err, errlen, "out of memory");
err:
	sl_file_enc_free(e);
	return -EINVAL;
}

int sl_file_enc_header(struct sl_file_enc *e, const struct sl_schema *schema,
		       struct sl_strbuf *out)
{
	if (e->o->format != SL_FILE_CSV || !e->o->csv.header)
		return 0;
	size_t mark = out->len;
	int rc = 0;
	for (uint32_t j = 0; rc == 0 && j < e->ncols; j++) {
		const char *name = schema->cols[e->cols[j]].name;
		if (j > 0)
			rc = sl_strbuf_putc(out, e->o->csv.sep);
		if (rc == 0)
			rc = csv_value(&e->o->csv, name, strlen(name), j == 0, &e->tmp, out);
	}
	if (rc == 0 && out->len > mark)
		rc = sl_strbuf_putc(out, '\n');
	return rc;
}

int sl_file_enc_row(struct sl_file_enc *e, const struct sl_vec *cols, uint32_t row,
		    struct sl_strbuf *out)
{
	const struct sl_file_opts *o = e->o;
	int rc = 0;
	switch (o->format) {
	case SL_FILE_PARQUET: /* whole files: write_parquet */
		return -EINVAL;
	case SL_FILE_TEXT: {
		/* the bytes as they are: Spark's text writer copies the
		 * UTF8String, no Java String in between */
		const struct sl_vec *v = &cols[e->cols[0]];
		if (!sl_vec_is_null(v, row))
			rc = sl_strbuf_append(out, v->v.str[row].ptr, v->v.str[row].len);
		break;
	}
	case SL_FILE_JSON: {
		rc = sl_strbuf_putc(out, '{');
		bool any = false;
		for (uint32_t j = 0; rc == 0 && j < e->ncols; j++) {
			const struct sl_vec *v = &cols[e->cols[j]];
			bool null = sl_vec_is_null(v, row);
			if (null && o->ignore_null_fields)
				continue;
			/* the key with its leading comma, or without it */
			uint32_t a = e->key_off[j] + (j > 0 && !any), b = e->key_off[j + 1];
			rc = sl_strbuf_append(out, e->keys.ptr + a, b - a);
			if (rc == 0)
				rc = null ? sl_strbuf_puts(out, "null") : json_value(e, v, row, out);
			any = true;
		}
		if (rc == 0)
			rc = sl_strbuf_putc(out, '}');
		break;
	}
	case SL_FILE_CSV: {
		size_t mark = out->len;
		for (uint32_t j = 0; rc == 0 && j < e->ncols; j++) {
			const struct sl_vec *v = &cols[e->cols[j]];
			if (j > 0)
				rc = sl_strbuf_putc(out, o->csv.sep);
			if (rc < 0)
				break;
			if (sl_vec_is_null(v, row)) {
				rc = csv_value(&o->csv, NULL, 0, j == 0, &e->tmp, out);
			} else {
				const char *s;
				size_t n;
				if ((rc = value_text(o, v, row, &e->cell, &s, &n)) == 0)
					rc = csv_value(&o->csv, s, n, j == 0, &e->tmp, out);
			}
		}
		if (rc == 0 && out->len == mark)
			return 0; /* univocity's skipEmptyLines */
		break;
	}
	}
	if (rc == 0)
		rc = sl_strbuf_putc(out, '\n');
	return rc < 0 ? rc : 1;
}

/* ------------------------------------------------------------------ */
/* the sink                                                            */

struct spart {
	size_t key_off, key_len; /* its directory, in s->keys */
	uint32_t count, next;    /* rows; fill position in s->order */
};

struct sfile {
	size_t path_off; /* in s->paths */
	uint64_t size, rows;
};

/* Owned by the control thread. */
struct sl_sink {
	char name[SL_NAME_MAX];
	struct sl_file_opts o;
	struct sl_file_enc enc;
	struct sl_schema schema; /* cols owned */
	uint32_t part_idx[SL_MAX_PART_COLS];
	int dirfd;
	struct sl_commit_log *log;
	char run[SL_RUN_ID_LEN + 1];
	uint64_t base;

	/* a batch's scratch, reused */
	struct sl_strbuf buf;     /* the text of the file being written */
	struct sl_strbuf keys;    /* partition directories */
	struct sl_strbuf key, scratch;
	uint32_t *pid, *order;    /* [rows_cap] */
	uint32_t rows_cap;
	struct spart *parts;
	uint32_t nparts, parts_cap;
	uint32_t *ptab;           /* part index + 1 by key hash; 0 empty */
	uint32_t ptab_cap;        /* a power of two */

	/* the staged batch */
	bool staged;
	uint64_t staged_batch, staged_epoch, staged_rows;
	struct sfile *files;
	uint32_t nfiles, files_cap;
	struct sl_strbuf paths;
	struct sl_commit_file *cfiles;

	struct sl_pq_writer *pq;  /* format parquet; owned */
	struct sl_pq_wcol *pq_cols; /* [enc.ncols]; owned */
	/* s3:// paths (o.s3): the objects and the commit log under the prefix
	 * (see "Object storage" below); dirfd is unused, log is on S3 */
	struct sl_s3_conf *s3conf;  /* owned */
	struct sl_s3 *s3;           /* owned */
	char *bucket, *prefix;      /* prefix "" or ending in '/'; owned */
};

void sl_file_sink_close(struct sl_sink *s)
{
	if (s == NULL)
		return;
	sl_commit_log_close(s->log);
	if (s->dirfd >= 0)
		close(s->dirfd);
	sl_file_enc_free(&s->enc);
	sl_file_opts_free(&s->o);
	sl_pq_writer_destroy(s->pq);
	free(s->pq_cols);
	free(s->schema.cols);
	sl_strbuf_free(&s->buf);
	sl_strbuf_free(&s->keys);
	sl_strbuf_free(&s->key);
	sl_strbuf_free(&s->scratch);
	sl_strbuf_free(&s->paths);
	free(s->pid);
	free(s->order);
	free(s->parts);
	free(s->ptab);
	free(s->files);
	free(s->cfiles);
	sl_s3_destroy(s->s3);
	free(s->s3conf);
	free(s->bucket);
	free(s->prefix);
	free(s);
}

/* mkdir -p of path (relative to dirfd, or to the working directory when
 * dirfd is AT_FDCWD); each directory made has its parent fsync'ed. */
static int mkdirs(int dirfd, const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		if (mkdirat(dirfd, buf, 0777) == 0) {
			/* the new entry is durable once its parent is */
			char *slash = strrchr(buf, '/');
			int pfd;
			if (slash == NULL || slash == buf) {
				pfd = slash == buf ? open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
						   : openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			} else {
				*slash = '\0';
				pfd = openat(dirfd, buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				*slash = '/';
			}
			if (pfd >= 0) {
				fsync(pfd);
				close(pfd);
			}
		} else if (errno != EEXIST) {
			return -errno;
		}
		buf[i] = c;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* object storage (s3:// paths)                                        */

/*
 * path = 's3://bucket/prefix/': the same layout as a directory, as
 * objects: data objects "prefix/[col=value/]part-NNNNN-BATCH.ext" and the
 * commit log "prefix/_sluice_log/N" (commit_log.h, sl_commit_log_open_s3:
 * the directory's entries and compactions, as objects). An object appears whole
 * or not at all (a PUT, or a multipart upload's completion), so:
 *  1. stage: each partition's file is encoded into the sink's buffer and
 *     uploaded: one PUT, or, once it outgrows s3.part_size, a multipart
 *     upload of s3.part_size parts (memory: one part at a time);
 *  2. publish: PUT of _sluice_log/N (or N.compact), the batch's commit.
 * A reader that goes by the log never sees a partial batch. Data object
 * names hold the batch number, not the run: a batch staged again after a
 * crash (its log entry never written) uploads the same names and replaces
 * the orphans of the failed attempt rather than adding to them; a batch
 * the log holds is never staged again (as for a directory).
 * One writer per prefix: S3 has no lock; a second query writing the same
 * prefix is not detected. At open, a prefix with no log gets the empty
 * marker _sluice_log/_writer first (sl_commit_log_open_s3), as a directory
 * gets _sluice_log/. A table sink then reads or writes the table's metadata object,
 * prefix/_sluice_table (s3_table_meta), before its first commit.
 */

static int sink_open_s3(struct sl_sink *s, const struct sl_sink_spec *spec, const char *kind,
			char *err, size_t errlen)
{
	char bucket[128], prefix[1024], why[1024];
	if (sl_s3_parse_url(s->o.path, bucket, sizeof(bucket), prefix, sizeof(prefix), why,
			    sizeof(why)) < 0) {
		snprintf(err, errlen, "%s sink '%s': %s", kind, s->name, why);
		return -EINVAL;
	}
	size_t pl = strlen(prefix);
	s->bucket = strdup(bucket);
	if (asprintf(&s->prefix, "%s%s", prefix, pl && prefix[pl - 1] != '/' ? "/" : "") < 0)
		s->prefix = NULL;
	s->s3conf = malloc(sizeof(*s->s3conf));
	if (s->bucket == NULL || s->prefix == NULL || s->s3conf == NULL) {
		snprintf(err, errlen, "%s sink '%s': out of memory", kind, s->name);
		return -ENOMEM;
	}
	if (sl_s3_conf_parse(s->s3conf, &spec->options, sink_s3_keys, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s sink '%s': %s", kind, s->name, why);
		return -EINVAL;
	}
	s->s3 = sl_s3_create(s->s3conf);
	if (s->s3 == NULL) {
		snprintf(err, errlen, "%s sink '%s': cannot set up libcurl", kind, s->name);
		return -ENOMEM;
	}
	s->log = sl_commit_log_open_s3(s->s3, s->bucket, s->prefix, s->o.path, why, sizeof(why));
	if (s->log == NULL) {
		snprintf(err, errlen, "%s sink '%s': %s", kind, s->name, why);
		return -EIO;
	}
	return 0;
}

/* One part of a multipart upload (begun with the first part): data[0, n).
 * 0 or -errno. */
static int s3_part(struct sl_sink *s, const char *key, char *id, size_t idlen,
		   char (**etags)[SL_S3_ETAG_MAX], const char ***tp, uint32_t *nparts,
		   uint32_t *cap, const void *data, size_t n)
{
	int rc;
	if (*nparts == 0 && (rc = sl_s3_mpu_begin(s->s3, s->bucket, key, id, idlen)) < 0)
		return rc;
	if (*nparts == *cap) {
		uint32_t c2 = *cap ? *cap * 2 : 8;
		void *e2 = realloc(*etags, c2 * sizeof(**etags));
		if (e2 == NULL)
			return -ENOMEM;
		*etags = e2;
		void *t2 = realloc(*tp, c2 * sizeof(**tp));
		if (t2 == NULL)
			return -ENOMEM;
		*tp = t2;
		*cap = c2;
	}
	rc = sl_s3_mpu_part(s->s3, s->bucket, key, id, *nparts + 1, data, n, (*etags)[*nparts],
			    SL_S3_ETAG_MAX);
	if (rc < 0)
		return rc;
	(*nparts)++;
	return 0;
}

/* Upload partition p's rows as one object: a PUT, or a multipart upload
 * once the text (or the Parquet file, built whole in memory first) outgrows
 * s3.part_size (aborted on a failure). The key is prefix + final (relative
 * path). Returns the bytes and rows in *size, *nrows; 0 or -errno with
 * err. */
static int write_part_s3(struct sl_sink *s, const struct sl_batch *rows, const struct spart *pt,
			 const char *final, uint64_t *size, uint64_t *nrows, char *err,
			 size_t errlen)
{
	char key[5500], id[SL_S3_UPLOAD_ID_MAX] = "";
	snprintf(key, sizeof(key), "%s%s", s->prefix, final);
	char (*etags)[SL_S3_ETAG_MAX] = NULL;
	const char **tp = NULL;
	uint32_t nparts = 0, cap = 0;
	*size = *nrows = 0;
	sl_strbuf_reset(&s->buf);
	int rc = 0;
	if (s->o.format == SL_FILE_PARQUET) {
		for (uint32_t j = 0; j < s->enc.ncols; j++)
			s->pq_cols[j] = (struct sl_pq_wcol){.name = s->schema.cols[s->enc.cols[j]].name,
							    .vec = &rows->cols[s->enc.cols[j]]};
		const uint8_t *fb = NULL;
		size_t fn = 0;
		rc = sl_pq_write(s->pq, s->pq_cols, s->enc.ncols, s->order + pt->next, pt->count,
				 s->o.pq_codec, s->o.pq_row_group, &fb, &fn);
		if (rc < 0) {
			snprintf(err, errlen, "cannot make the Parquet file 's3://%s/%s': %s",
				 s->bucket, key, strerror(-rc));
			return rc;
		}
		*size = fn;
		*nrows = pt->count;
		if (fn <= s->o.s3_part_size) {
			rc = sl_s3_put(s->s3, s->bucket, key, fb, fn);
			goto done;
		}
		for (size_t at = 0; rc >= 0 && at < fn; at += s->o.s3_part_size) {
			size_t n = fn - at < s->o.s3_part_size ? fn - at : s->o.s3_part_size;
			rc = s3_part(s, key, id, sizeof(id), &etags, &tp, &nparts, &cap, fb + at, n);
		}
		goto complete;
	}
	rc = sl_file_enc_header(&s->enc, &s->schema, &s->buf);
	for (uint32_t k = 0; rc >= 0 && k <= pt->count; k++) {
		if (k < pt->count) {
			rc = sl_file_enc_row(&s->enc, rows->cols, s->order[pt->next + k], &s->buf);
			if (rc > 0)
				(*nrows)++;
			if (rc < 0 || s->buf.len < s->o.s3_part_size)
				continue;
		} else if (nparts == 0 || s->buf.len == 0) {
			break; /* small: one PUT below; or nothing left for a last part */
		}
		/* a part: the buffer, whole */
		if ((rc = s3_part(s, key, id, sizeof(id), &etags, &tp, &nparts, &cap, s->buf.ptr,
				  s->buf.len)) < 0)
			break;
		*size += s->buf.len;
		sl_strbuf_reset(&s->buf);
		if (k == pt->count)
			break;
	}
	if (rc >= 0 && nparts == 0) {
		rc = sl_s3_put(s->s3, s->bucket, key, s->buf.ptr, s->buf.len);
		*size = s->buf.len;
		goto done;
	}
complete:
	if (rc >= 0) {
		for (uint32_t i = 0; i < nparts; i++)
			tp[i] = etags[i];
		rc = sl_s3_mpu_complete(s->s3, s->bucket, key, id, tp, nparts);
	}
done:
	if (rc < 0) {
		snprintf(err, errlen, "cannot write 's3://%s/%s': %s", s->bucket, key,
			 rc == -ENOMEM ? "out of memory" : sl_s3_error(s->s3));
		if (id[0] != '\0')
			sl_s3_mpu_abort(s->s3, s->bucket, key, id);
	}
	free(etags);
	free(tp);
	return rc < 0 ? rc : 0;
}

/* A table's metadata (have, freed here) against what this sink writes:
 * 0, or -EINVAL with err when the schema differs. */
static int table_meta_check(const char *sink, const char *path, struct sl_table_meta *have,
			    const struct sl_table_meta *want, char *err, size_t errlen)
{
	bool same = sl_table_meta_same(have, want);
	if (!same) {
		char a[1024], b[1024];
		sl_table_meta_describe(have, a, sizeof(a));
		sl_table_meta_describe(want, b, sizeof(b));
		snprintf(err, errlen,
			 "table sink '%s': table '%s' has the columns %s, and this query writes %s: a "
			 "table keeps the schema it was created with; write the same columns (names, "
			 "types, order, format, partition_by), or write another table",
			 sink, path, a, b);
	}
	sl_table_meta_free(have);
	return same ? 0 : -EINVAL;
}

/* The prefix's _sluice_table, as for a directory: a file sink refuses a
 * table; a table sink checks the columns of a table there, or writes its
 * metadata before its first commit (refusing a file sink's output). No
 * lock: one writer per prefix. 0 or -errno with err. */
static int s3_table_meta(struct sl_sink *s, bool table, char *err, size_t errlen)
{
	const char *kind = table ? "table" : "file";
	struct sl_table_meta have;
	char why[1024] = "";
	int rc = sl_table_meta_read_s3(s->s3, s->bucket, s->prefix, &have, why, sizeof(why));
	if (rc == 0 && !table) {
		sl_table_meta_free(&have);
		snprintf(err, errlen,
			 "file sink '%s': '%s' is a table (it has " SL_TABLE_META "); write it with "
			 "connector = 'table', or write the objects elsewhere",
			 s->name, s->o.path);
		return -EINVAL;
	}
	if (rc < 0 && rc != -ENOENT) {
		snprintf(err, errlen, "%s sink '%s': table '%s': %s", kind, s->name, s->o.path, why);
		return rc;
	}
	if (!table)
		return 0;
	struct sl_table_meta want = {.format = s->o.format, .schema = s->schema,
				     .npart = s->o.npart};
	memcpy(want.part, s->part_idx, sizeof(want.part));
	if (rc == 0)
		return table_meta_check(s->name, s->o.path, &have, &want, err, errlen);
	if (sl_commit_log_latest(s->log) >= 0) {
		snprintf(err, errlen,
			 "table sink '%s': '%s' holds a file sink's output (a commit log without "
			 SL_TABLE_META "), not a table; write the table elsewhere",
			 s->name, s->o.path);
		return -EINVAL;
	}
	if ((rc = sl_table_meta_write_s3(s->s3, s->bucket, s->prefix, &want, s->run, why,
					 sizeof(why))) < 0) {
		snprintf(err, errlen, "table sink '%s': %s", s->name, why);
		return rc;
	}
	return 0;
}

static int64_t sink_latest(const struct sl_sink *s)
{
	return sl_commit_log_latest(s->log);
}

static struct sl_sink *sink_open(const struct sl_sink_spec *spec, const struct sl_schema *schema,
				 bool table, char *err, size_t errlen)
{
	const char *kind = table ? "table" : "file";
	struct sl_sink *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "%s sink '%s': out of memory", kind, spec->name);
		return NULL;
	}
	s->dirfd = -1;
	snprintf(s->name, sizeof(s->name), "%s", spec->name);
	sl_strbuf_init(&s->buf);
	sl_strbuf_init(&s->keys);
	sl_strbuf_init(&s->key);
	sl_strbuf_init(&s->scratch);
	sl_strbuf_init(&s->paths);
	char why[1024];
	if (sl_file_opts_parse(spec, table, &s->o, why, sizeof(why)) < 0 ||
	    sl_file_enc_init(&s->enc, &s->o, schema, s->part_idx, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s sink '%s': %s", kind, spec->name, why);
		goto err_close;
	}
	s->schema.ncols = schema->ncols;
	s->schema.cols = malloc((schema->ncols ? schema->ncols : 1) * sizeof(*s->schema.cols));
	if (s->schema.cols == NULL)
		goto err_nomem;
	memcpy(s->schema.cols, schema->cols, schema->ncols * sizeof(*s->schema.cols));
	if (s->o.format == SL_FILE_PARQUET) {
		s->pq = sl_pq_writer_create();
		s->pq_cols = calloc(s->enc.ncols ? s->enc.ncols : 1, sizeof(*s->pq_cols));
		if (s->pq == NULL || s->pq_cols == NULL)
			goto err_nomem;
	}

	const char *path = s->o.path;
	if (s->o.s3) {
		if (sink_open_s3(s, spec, kind, err, errlen) < 0)
			goto err_close;
		sl_commit_run_id(s->run);
		if (s3_table_meta(s, table, err, errlen) < 0)
			goto err_close;
		s->base = (uint64_t)(sl_commit_log_latest(s->log) + 1);
		return s;
	}
	int rc = mkdirs(AT_FDCWD, path);
	if (rc < 0) {
		snprintf(err, errlen,
			 "%s sink '%s': cannot make directory '%s': %s; fix option 'path' (a relative "
			 "path starts from the directory sluice runs in)",
			 kind, spec->name, path, strerror(-rc));
		goto err_close;
	}
	s->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		snprintf(err, errlen, "%s sink '%s': cannot open directory '%s': %s", kind, spec->name,
			 path, strerror(errno));
		goto err_close;
	}
	struct sl_table_meta have;
	rc = sl_table_meta_read(s->dirfd, &have, why, sizeof(why));
	if (rc == 0)
		sl_table_meta_free(&have);
	if (!table && rc != -ENOENT) {
		snprintf(err, errlen,
			 "file sink '%s': '%s' is a table (it has " SL_TABLE_META "); write it with "
			 "connector = 'table', or write the files elsewhere",
			 spec->name, path);
		goto err_close;
	}
	s->log = sl_commit_log_open(s->dirfd, path, why, sizeof(why));
	if (s->log == NULL) {
		snprintf(err, errlen, "%s sink '%s': %s", kind, spec->name, why);
		goto err_close;
	}
	sl_commit_run_id(s->run);
	if (table) {
		/* under the log's lock: no other writer between read and write */
		struct sl_table_meta want = {.format = s->o.format, .schema = s->schema,
					     .npart = s->o.npart};
		memcpy(want.part, s->part_idx, sizeof(want.part));
		rc = sl_table_meta_read(s->dirfd, &have, why, sizeof(why));
		if (rc == 0) {
			if (table_meta_check(spec->name, path, &have, &want, err, errlen) < 0)
				goto err_close;
		} else if (rc != -ENOENT) {
			snprintf(err, errlen, "table sink '%s': table '%s': %s", spec->name, path, why);
			goto err_close;
		} else if (sl_commit_log_latest(s->log) >= 0) {
			snprintf(err, errlen,
				 "table sink '%s': '%s' holds a file sink's output (a commit log without "
				 SL_TABLE_META "), not a table; write the table elsewhere",
				 spec->name, path);
			goto err_close;
		} else if ((rc = sl_table_meta_write(s->dirfd, &want, s->run)) < 0) {
			snprintf(err, errlen, "table sink '%s': cannot write '%s/" SL_TABLE_META "': %s",
				 spec->name, path, strerror(-rc));
			goto err_close;
		}
	}
	/* with a checkpoint, the engine sets the base recorded there
	 * (sl_file_sink_set_batch_base) */
	s->base = (uint64_t)(sl_commit_log_latest(s->log) + 1);
	return s;
err_nomem:
	snprintf(err, errlen, "%s sink '%s': out of memory", kind, spec->name);
err_close:
	sl_file_sink_close(s);
	return NULL;
}

struct sl_sink *sl_file_sink_open(const struct sl_sink_spec *spec, const struct sl_schema *schema,
				  bool table, char *err, size_t errlen)
{
	return sink_open(spec, schema, table, err, errlen);
}

uint64_t sl_file_sink_batch_base(const struct sl_sink *s)
{
	return s->base;
}

void sl_file_sink_set_batch_base(struct sl_sink *s, uint64_t base)
{
	s->base = base;
}

static int grow_rows(struct sl_sink *s, uint32_t n)
{
	if (n <= s->rows_cap)
		return 0;
	uint32_t cap = s->rows_cap ? s->rows_cap : 1024;
	while (cap < n)
		cap *= 2;
	uint32_t *a = realloc(s->pid, cap * sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	s->pid = a;
	uint32_t *b = realloc(s->order, cap * sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	s->order = b;
	s->rows_cap = cap;
	return 0;
}

static int ptab_grow(struct sl_sink *s)
{
	uint32_t cap = s->ptab_cap ? s->ptab_cap * 2 : 64;
	uint32_t *t = calloc(cap, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (uint32_t p = 0; p < s->nparts; p++) {
		uint64_t h = XXH3_64bits(s->keys.ptr + s->parts[p].key_off, s->parts[p].key_len);
		uint32_t i = (uint32_t)h & (cap - 1);
		while (t[i] != 0)
			i = (i + 1) & (cap - 1);
		t[i] = p + 1;
	}
	free(s->ptab);
	s->ptab = t;
	s->ptab_cap = cap;
	return 0;
}

/* The partition of the key in s->key (made when new). */
static int part_of(struct sl_sink *s, uint32_t *out)
{
	if ((s->nparts + 1) * 2 > s->ptab_cap && ptab_grow(s) < 0)
		return -ENOMEM;
	uint64_t h = XXH3_64bits(s->key.ptr, s->key.len);
	uint32_t i = (uint32_t)h & (s->ptab_cap - 1);
	for (; s->ptab[i] != 0; i = (i + 1) & (s->ptab_cap - 1)) {
		const struct spart *p = &s->parts[s->ptab[i] - 1];
		if (p->key_len == s->key.len && memcmp(s->keys.ptr + p->key_off, s->key.ptr,
						       s->key.len) == 0) {
			*out = s->ptab[i] - 1;
			return 0;
		}
	}
	if (s->nparts == s->parts_cap) {
		uint32_t cap = s->parts_cap ? s->parts_cap * 2 : 16;
		struct spart *nv = realloc(s->parts, cap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		s->parts = nv;
		s->parts_cap = cap;
	}
	struct spart *p = &s->parts[s->nparts];
	p->key_off = s->keys.len;
	p->key_len = s->key.len;
	p->count = 0;
	if (sl_strbuf_append(&s->keys, s->key.ptr, s->key.len) < 0)
		return -ENOMEM;
	s->ptab[i] = ++s->nparts;
	*out = s->nparts - 1;
	return 0;
}

/* Group the rows by partition: s->parts in order of first appearance,
 * s->order the rows of each, in batch order. */
static int partition_rows(struct sl_sink *s, const struct sl_batch *rows)
{
	s->nparts = 0;
	sl_strbuf_reset(&s->keys);
	if (s->ptab_cap > 0)
		memset(s->ptab, 0, s->ptab_cap * sizeof(*s->ptab));
	if (grow_rows(s, rows->nrows) < 0)
		return -ENOMEM;
	for (uint32_t r = 0; r < rows->nrows; r++) {
		sl_strbuf_reset(&s->key);
		for (uint32_t i = 0; i < s->o.npart; i++) {
			uint32_t c = s->part_idx[i];
			if ((i > 0 && sl_strbuf_putc(&s->key, '/') < 0) ||
			    sl_part_dir(s->schema.cols[c].name, &rows->cols[c], r, &s->scratch,
					&s->key) < 0)
				return -ENOMEM;
		}
		uint32_t p = 0;
		if (s->o.npart > 0 && part_of(s, &p) < 0)
			return -ENOMEM;
		if (s->o.npart == 0 && s->nparts == 0) {
			if (s->parts_cap == 0) {
				s->parts = calloc(16, sizeof(*s->parts));
				if (s->parts == NULL)
					return -ENOMEM;
				s->parts_cap = 16;
			}
			s->parts[0] = (struct spart){0};
			s->nparts = 1;
		}
		s->pid[r] = p;
		s->parts[p].count++;
	}
	uint32_t at = 0;
	for (uint32_t p = 0; p < s->nparts; p++) {
		s->parts[p].next = at;
		at += s->parts[p].count;
	}
	for (uint32_t r = 0; r < rows->nrows; r++)
		s->order[s->parts[s->pid[r]].next++] = r;
	for (uint32_t p = 0; p < s->nparts; p++)
		s->parts[p].next -= s->parts[p].count; /* back to its first row */
	return 0;
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

static const char *file_ext(enum sl_file_format f)
{
	return f == SL_FILE_CSV ? "csv" : f == SL_FILE_JSON ? "json"
	       : f == SL_FILE_PARQUET ? "parquet" : "txt";
}

static int fsync_dir(int dirfd, const char *rel)
{
	int fd = rel[0] != '\0' ? openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
				: openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) != 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* Write partition p's rows as one file: temporary name, fsync, rename. */
static int write_part(struct sl_sink *s, const struct sl_batch *rows, uint32_t p, uint64_t batch,
		      uint32_t index, char *err, size_t errlen)
{
	const struct spart *pt = &s->parts[p];
	char dir[4096], name[256], tmp[300], final[4400], tmpath[4400];
	if (pt->key_len >= sizeof(dir)) {
		snprintf(err, errlen, "a partition directory is longer than %zu bytes", sizeof(dir));
		return -ENAMETOOLONG;
	}
	if (pt->key_len > 0)
		memcpy(dir, s->keys.ptr + pt->key_off, pt->key_len);
	dir[pt->key_len] = '\0';
	if (s->o.s3) /* no run: a batch staged again replaces its objects */
		snprintf(name, sizeof(name), "part-%05u-%06" PRIu64 ".%s", index, batch,
			 file_ext(s->o.format));
	else
		snprintf(name, sizeof(name), "part-%05u-%s-%" PRIu64 ".%s", index, s->run, batch,
			 file_ext(s->o.format));
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	const char *sep = dir[0] != '\0' ? "/" : "";
	snprintf(final, sizeof(final), "%s%s%s", dir, sep, name);
	snprintf(tmpath, sizeof(tmpath), "%s%s%s", dir, sep, tmp);
	int rc = 0;
	uint64_t size = 0, nrows = 0;
	if (s->o.s3) {
		if ((rc = write_part_s3(s, rows, pt, final, &size, &nrows, err, errlen)) < 0)
			return rc;
		goto noted;
	}
	if (dir[0] != '\0' && (rc = mkdirs(s->dirfd, dir)) < 0) {
		snprintf(err, errlen, "cannot make directory '%s/%s': %s", s->o.path, dir,
			 strerror(-rc));
		return rc;
	}
	int fd = openat(s->dirfd, tmpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create '%s/%s': %s", s->o.path, tmpath, strerror(-rc));
		return rc;
	}
	sl_strbuf_reset(&s->buf);
	if (s->o.format == SL_FILE_PARQUET) {
		/* one whole file: the data columns, in row groups */
		for (uint32_t j = 0; j < s->enc.ncols; j++)
			s->pq_cols[j] = (struct sl_pq_wcol){.name = s->schema.cols[s->enc.cols[j]].name,
							    .vec = &rows->cols[s->enc.cols[j]]};
		const uint8_t *fb;
		size_t fn;
		rc = sl_pq_write(s->pq, s->pq_cols, s->enc.ncols, s->order + pt->next, pt->count,
				 s->o.pq_codec, s->o.pq_row_group, &fb, &fn);
		if (rc >= 0)
			rc = write_all(fd, (const char *)fb, fn);
		size = fn;
		nrows = pt->count;
	} else {
		rc = sl_file_enc_header(&s->enc, &s->schema, &s->buf);
	}
	for (uint32_t k = 0; rc >= 0 && s->o.format != SL_FILE_PARQUET && k < pt->count; k++) {
		rc = sl_file_enc_row(&s->enc, rows->cols, s->order[pt->next + k], &s->buf);
		if (rc > 0)
			nrows++;
		if (rc >= 0 && s->buf.len >= SINK_CHUNK) {
			rc = write_all(fd, s->buf.ptr, s->buf.len);
			size += s->buf.len;
			sl_strbuf_reset(&s->buf);
		}
	}
	if (rc >= 0 && s->buf.len > 0) {
		rc = write_all(fd, s->buf.ptr, s->buf.len);
		size += s->buf.len;
	}
	if (rc >= 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc >= 0)
		rc = -errno;
	if (rc >= 0 && renameat(s->dirfd, tmpath, s->dirfd, final) != 0)
		rc = -errno;
	if (rc >= 0)
		rc = fsync_dir(s->dirfd, dir);
	if (rc < 0) {
		unlinkat(s->dirfd, tmpath, 0);
		snprintf(err, errlen, "cannot write '%s/%s': %s", s->o.path, final,
			 rc == -ENOMEM ? "out of memory" : strerror(-rc));
		return rc;
	}
noted:
	if (s->nfiles == s->files_cap) {
		uint32_t cap = s->files_cap ? s->files_cap * 2 : 16;
		struct sfile *nv = realloc(s->files, cap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		s->files = nv;
		s->files_cap = cap;
	}
	s->files[s->nfiles++] = (struct sfile){.path_off = s->paths.len, .size = size,
					       .rows = nrows};
	return sl_strbuf_append(&s->paths, final, strlen(final) + 1);
}

int sl_file_sink_stage(struct sl_sink *s, uint64_t epoch, const struct sl_batch *rows, char *err,
		       size_t errlen)
{
	uint64_t batch = s->base + epoch;
	int64_t latest = sink_latest(s);
	s->staged = false;
	if ((int64_t)batch <= latest)
		return 0; /* committed already: Spark's "Skipping already committed batch" */
	if ((int64_t)batch != latest + 1) {
		snprintf(err, errlen,
			 "epoch %" PRIu64 " is log batch %" PRIu64 ", which would leave a gap after the "
			 "latest committed batch %" PRId64,
			 epoch, batch, latest);
		return -EINVAL;
	}
	if (rows->ncols != s->schema.ncols) {
		snprintf(err, errlen, "a batch of %u columns for a sink of %u", rows->ncols,
			 s->schema.ncols);
		return -EINVAL;
	}
	s->nfiles = 0;
	sl_strbuf_reset(&s->paths);
	int rc = partition_rows(s, rows);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory grouping batch %" PRIu64, batch);
		return rc;
	}
	for (uint32_t p = 0; p < s->nparts; p++)
		if ((rc = write_part(s, rows, p, batch, p, err, errlen)) < 0)
			return rc;
	s->staged = true;
	s->staged_batch = batch;
	s->staged_epoch = epoch;
	s->staged_rows = rows->nrows;
	return 1;
}

int sl_file_sink_publish(struct sl_sink *s, char *err, size_t errlen)
{
	if (!s->staged) {
		snprintf(err, errlen, "no batch is staged");
		return -EINVAL;
	}
	struct sl_commit_file *cf = realloc(s->cfiles, (s->nfiles ? s->nfiles : 1) * sizeof(*cf));
	if (cf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->cfiles = cf;
	uint64_t rows = 0;
	for (uint32_t i = 0; i < s->nfiles; i++) {
		cf[i] = (struct sl_commit_file){.path = s->paths.ptr + s->files[i].path_off,
						.size = s->files[i].size, .rows = s->files[i].rows};
		rows += s->files[i].rows;
	}
	struct sl_commit_batch b = {.batch = s->staged_batch, .epoch = s->staged_epoch,
				    .rows = rows, .nfiles = s->nfiles, .files = cf};
	memcpy(b.run, s->run, sizeof(b.run));
	int rc = sl_commit_log_add(s->log, &b, err, errlen);
	if (rc == 0)
		s->staged = false;
	return rc;
}

/* ------------------------------------------------------------------ */
/* the connectors                                                      */

static int file_validate(const struct sl_sink_spec *spec, char *err, size_t errlen)
{
	struct sl_file_opts o;
	if (sl_file_opts_parse(spec, false, &o, err, errlen) < 0)
		return -EINVAL;
	sl_file_opts_free(&o);
	return 0;
}

static int table_validate(const struct sl_sink_spec *spec, char *err, size_t errlen)
{
	struct sl_file_opts o;
	if (sl_file_opts_parse(spec, true, &o, err, errlen) < 0)
		return -EINVAL;
	sl_file_opts_free(&o);
	return 0;
}

/* What open() would refuse about the query's columns, before anything
 * starts: the encoder's checks on a scratch encoder. */
static int schema_check(const struct sl_sink_spec *spec, const struct sl_schema *schema,
			bool table, char *err, size_t errlen)
{
	struct sl_file_opts o;
	struct sl_file_enc enc;
	uint32_t part_idx[SL_MAX_PART_COLS];
	char why[1024];
	int rc = sl_file_opts_parse(spec, table, &o, err, errlen);
	if (rc == 0) {
		rc = sl_file_enc_init(&enc, &o, schema, part_idx, why, sizeof(why));
		if (rc < 0)
			snprintf(err, errlen, "line %u, column %u: %s sink '%s': %s", spec->line,
				 spec->column, table ? "table" : "file", spec->name, why);
		else
			sl_file_enc_free(&enc);
		sl_file_opts_free(&o);
	}
	return rc < 0 ? -EINVAL : 0;
}

static int file_validate_schema(const struct sl_sink_spec *spec, const struct sl_schema *schema,
				char *err, size_t errlen)
{
	return schema_check(spec, schema, false, err, errlen);
}

static int table_validate_schema(const struct sl_sink_spec *spec, const struct sl_schema *schema,
				 char *err, size_t errlen)
{
	return schema_check(spec, schema, true, err, errlen);
}

static struct sl_sink *file_open(const struct sl_sink_spec *spec, const struct sl_schema *schema,
				 FILE *out, char *err, size_t errlen)
{
	(void)out;
	return sink_open(spec, schema, false, err, errlen);
}

static struct sl_sink *table_open(const struct sl_sink_spec *spec, const struct sl_schema *schema,
				  FILE *out, char *err, size_t errlen)
{
	(void)out;
	return sink_open(spec, schema, true, err, errlen);
}

static int sink_write(struct sl_sink *s, uint64_t epoch, const struct sl_batch *rows)
{
	char err[1024] = "";
	int rc = sl_file_sink_stage(s, epoch, rows, err, sizeof(err));
	if (rc > 0)
		rc = sl_file_sink_publish(s, err, sizeof(err));
	else if (rc == 0)
		fprintf(stderr,
			"sluice: %s sink '%s': batch %" PRIu64 " is committed already; skipped\n",
			s->o.table ? "table" : "file", s->name, s->base + epoch);
	if (rc < 0) {
		/* the engine says which batch failed; this says why */
		fprintf(stderr, "sluice: %s sink '%s': %s\n", s->o.table ? "table" : "file", s->name,
			err);
		return rc;
	}
	return 0;
}

static int64_t sink_published(const struct sl_sink *s)
{
	int64_t latest = sink_latest(s);
	return latest < (int64_t)s->base ? -1 : latest - (int64_t)s->base;
}

const struct sl_sink_ops sl_sink_file_ops = {
	.name = "file",
	.supports_append = true,
	.validate = file_validate,
	.validate_schema = file_validate_schema,
	.open = file_open,
	.write = sink_write,
	.close = sl_file_sink_close,
	.exactly_once = true,
	.batch_base = sl_file_sink_batch_base,
	.set_batch_base = sl_file_sink_set_batch_base,
	.published = sink_published,
};

const struct sl_sink_ops sl_sink_table_ops = {
	.name = "table",
	.supports_append = true,
	.validate = table_validate,
	.validate_schema = table_validate_schema,
	.open = table_open,
	.write = sink_write,
	.close = sl_file_sink_close,
	.exactly_once = true,
	.batch_base = sl_file_sink_batch_base,
	.set_batch_base = sl_file_sink_set_batch_base,
	.published = sink_published,
};
