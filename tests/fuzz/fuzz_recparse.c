/*
 * fuzz_recparse.c — libFuzzer harness for the record parsers of outside
 * text (dataplane/recparse.h): text, CSV and JSON lines as a file or a
 * socket peer sends them.
 *
 * Input layout:
 *
 *     byte 0   format: byte % 3 (text, csv, json)
 *     byte 1   bits 0-1: mode (PERMISSIVE, DROPMALFORMED, FAILFAST, and 3 =
 *                        no mode option: PERMISSIVE)
 *              bit 2: a `_corrupt_record STRING` column at the end
 *              bit 3: header = true
 *              bit 4: sl_recparse_begin before every line
 *              bits 5-6: reset the scratch after every 1, 2, 4 lines, or
 *                        only at the end
 *              bit 7: csv: multi_line = true (records cut by
 *                     sl_recparse_scan, not at every '\n'); json: nested
 *                     column names ("a", "a.b", "a.b.c", "x.y", ...)
 *     byte 2   columns: 1 + byte % 6
 *     bytes 3-8  their types: byte % 6 (BOOLEAN, INT, BIGINT, DOUBLE,
 *                STRING, TIMESTAMP)
 *     byte 9   options that follow: byte % 6, each as
 *                byte  the key (an index into `keys`, Spark's and sluice's
 *                      spellings, valid or not for the format)
 *                byte  value length, % 24
 *                bytes the value (up to a NUL)
 *     rest     the lines, split at '\n' (the splitter's job: no '\n' in a
 *              line; '\r' and NUL bytes stay); with multi_line, the
 *              records sl_recparse_scan finds, one '\r' before their '\n'
 *              dropped (the splitter's job too)
 *
 * Checked, beyond no crash, leak or undefined behaviour:
 *  - the fast paths in front of CAST (recparse_int.h) give what CAST gives,
 *    on every piece of every line between , ; " and tabs; and the ones
 *    that read ahead (rp_fast_integral_ahead, rp_fast_double_ahead) what
 *    their loops give, the rest of the line after the piece;
 *  - validate and create agree; a refusal is "line L, column C: ...";
 *  - sl_recparse_line returns 1 or 0, -EINVAL only under FAILFAST (or a
 *    CSV header check), with a message; under PERMISSIVE a non-blank JSON
 *    or any text line gives a row;
 *  - every column of a row has its null flag set; BOOLEANs are 0 or 1,
 *    INTs in range; a string that points into the line stays inside it,
 *    any other is readable (ASan);
 *  - the corrupt-record column is the line exactly, and the malformed
 *    count grows by one exactly when it is set (PERMISSIVE) or a row is
 *    dropped (DROPMALFORMED, non-blank line);
 *  - every string handed out since the last reset still holds the same
 *    bytes when the next reset comes (the scratch is not reused early);
 *  - multi_line: sl_recparse_scan finds the same record ends however the
 *    input is cut (byte 8 % 7 + 1 bytes at a time against all at once),
 *    and each end is a '\n'.;
 *  - two more parsers of the same spec read every line too: one with the
 *    fast paths off (rp_set_fast_paths: the JSON flat walk, ...), one
 *    handed the line padded (sl_recparse_line_padded, the rest of the
 *    input after it, then zeros) with SSE2 scans only (rp_set_avx2, where
 *    the first has AVX2): the same return, message, malformed
 *    count and row (doubles bit for bit, strings byte for byte) as the
 *    first; and a fourth handed each padded line with its '\n' as a span
 *    (sl_recparse_burst_span) first, the per-line way when the span
 *    does not take it: a line it takes is a row the others make too,
 *    the same row;
 *  - CSV (not multi_line): its first ROWS lines handed to a parser the
 *    file source's way, spans of many lines (burst_pass), against the
 *    per-line way: the same returns, rows, malformed count and message;
 *  - every string of a row sl_recparse_line_ascii, or of a span
 *    sl_recparse_burst_ascii, calls ASCII is.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr.h"
#include "recparse.h"
#include "recparse_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "fuzz_recparse: check failed at line %d: %s\n",   \
				__LINE__, #cond);                                         \
			abort();                                                          \
		}                                                                         \
	} while (0)

#define MAXC 8
#define ROWS 64 /* rows kept; a burst pass reads up to this many lines */
#define MAXO 6
#define KEEP 2048

static const char *const keys[] = {
	"sep", "delimiter", "quote", "escape", "char_to_escape_quote_escaping", "comment",
	"header", "enforce_schema", "null_value", "nullvalue", "empty_value", "nan_value",
	"positive_inf", "negative_inf", "ignore_leading_white_space",
	"ignoretrailingwhitespace", "max_columns", "max_chars_per_column", "mode",
	"timestamp_format", "timestampformat", "enable_date_time_parsing_fallback",
	"allow_non_numeric_numbers", "column_name_of_corrupt_record", "multi_line", "encoding",
	"unescaped_quote_handling", "allow_single_quotes", "line_sep", "path",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const enum sl_type types[] = {SL_TYPE_BOOLEAN, SL_TYPE_INT,    SL_TYPE_BIGINT,
				     SL_TYPE_DOUBLE,  SL_TYPE_STRING, SL_TYPE_TIMESTAMP};

struct kept {
	const char *ptr;
	uint32_t len;
	uint32_t off; /* of its copy in `bytes` */
};

/* A row's storage: one per parser. */
struct rows {
	struct sl_chunk chunk;
	struct sl_vec vecs[MAXC + 1];
	uint8_t nulls[MAXC + 1][ROWS];
	int64_t i64[MAXC + 1][ROWS];
	double f64[MAXC + 1][ROWS];
	uint8_t b[MAXC + 1][ROWS];
	struct sl_str str[MAXC + 1][ROWS];
};

static void rows_init(struct rows *r, const struct sl_column_def *cols, uint32_t ncols)
{
	r->chunk.ncols = ncols;
	r->chunk.cols = r->vecs;
	for (uint32_t c = 0; c < ncols; c++) {
		struct sl_vec *v = &r->vecs[c];
		memset(v, 0, sizeof(*v));
		v->type = cols[c].type;
		v->nulls = r->nulls[c];
		switch (v->type) {
		case SL_TYPE_BOOLEAN: v->v.b = r->b[c]; break;
		case SL_TYPE_DOUBLE: v->v.f64 = r->f64[c]; break;
		case SL_TYPE_STRING: v->v.str = r->str[c]; break;
		default: v->v.i64 = r->i64[c]; break;
		}
	}
}

/* Row `row` of a and b: the same values. */
static void rows_same(const struct sl_chunk *a, const struct sl_chunk *b, uint32_t ncols,
		      uint32_t row)
{
	for (uint32_t c = 0; c < ncols; c++) {
		const struct sl_vec *x = &a->cols[c], *y = &b->cols[c];
		CHECK(x->nulls[row] == y->nulls[row]);
		if (x->nulls[row])
			continue;
		switch (x->type) {
		case SL_TYPE_BOOLEAN: CHECK(x->v.b[row] == y->v.b[row]); break;
		case SL_TYPE_DOUBLE:
			CHECK(memcmp(&x->v.f64[row], &y->v.f64[row], sizeof(double)) == 0);
			break;
		case SL_TYPE_STRING:
			CHECK(x->v.str[row].len == y->v.str[row].len);
			CHECK(x->v.str[row].len == 0 ||
			      memcmp(x->v.str[row].ptr, y->v.str[row].ptr, x->v.str[row].len) == 0);
			break;
		default: CHECK(x->v.i64[row] == y->v.i64[row]); break;
		}
	}
}

struct state {
	struct sl_column_def cols[MAXC + 1];
	struct sl_option opts[MAXO + 1];
	char keybuf[MAXO + 1][64];
	char valbuf[MAXO + 1][32];
	struct sl_source_spec spec;
	struct rows r; /* the first parser's rows */
	struct kept kept[KEEP];
	uint32_t nkept;
	char *bytes;
	size_t nbytes, capbytes;
	char sink[64];
};

static void verify_kept(struct state *s)
{
	for (uint32_t i = 0; i < s->nkept; i++)
		CHECK(memcmp(s->kept[i].ptr, s->bytes + s->kept[i].off, s->kept[i].len) == 0);
	s->nkept = 0;
	s->nbytes = 0;
}

static void keep(struct state *s, const char *p, uint32_t n)
{
	/* nothing to compare in an empty string (and no buffer yet to offset
	 * into on the first input) */
	if (s->nkept == KEEP || n == 0)
		return;
	if (s->nbytes + n > s->capbytes) {
		size_t cap = s->capbytes ? s->capbytes : 4096;
		while (cap < s->nbytes + n)
			cap *= 2;
		char *nb = realloc(s->bytes, cap);
		CHECK(nb != NULL);
		s->bytes = nb;
		s->capbytes = cap;
	}
	memcpy(s->bytes + s->nbytes, p, n);
	s->kept[s->nkept].ptr = p;
	s->kept[s->nkept].len = n;
	s->kept[s->nkept].off = (uint32_t)s->nbytes;
	s->nkept++;
	s->nbytes += n;
}

/* The parsers' fast paths give what CAST gives, on every piece of text. */
/* s[0..n) a piece of a line that ends at `end`. */
static void same_as_cast(const char *s, uint32_t n, const char *end)
{
	int64_t a = 0, b = 0;
	double x = 0, y = 0;
	for (int is_int = 0; is_int < 2; is_int++)
		if (rp_fast_integral(s, n, is_int, &a))
			CHECK(sl_text_to_integral(s, n, is_int, &b) && a == b);
	if (rp_fast_double(s, n, &x))
		CHECK(sl_text_to_double(s, n, &y) && memcmp(&x, &y, sizeof(x)) == 0);
	if (rp_fast_timestamp(s, n, &a))
		CHECK(sl_text_to_timestamp(s, n, &b) && a == b);

	/* the versions that read ahead (16 bytes, and 8 after a sign): the
	 * piece, the rest of its line, then zeros, in a buffer that ends
	 * there (ASan: no byte further is read) */
	char *t = malloc((size_t)n + 17);
	CHECK(t != NULL);
	const size_t more = (size_t)(end - (s + n)) < 17 ? (size_t)(end - (s + n)) : 17;
	memcpy(t, s, n);
	memcpy(t + n, s + n, more);
	memset(t + n + more, 0, 17 - more);
	for (int is_int = 0; is_int < 2; is_int++) {
		int ra = rp_fast_integral(t, n, is_int, &a);
		CHECK(rp_fast_integral_ahead(t, n, is_int, &b) == ra && (!ra || a == b));
	}
	int rx = rp_fast_double(t, n, &x);
	CHECK(rp_fast_double_ahead(t, n, &y) == rx && (!rx || memcmp(&x, &y, sizeof(x)) == 0));
	free(t);
}

static void pieces_same_as_cast(const char *l, uint32_t n)
{
	uint32_t start = 0;
	for (uint32_t i = 0; i <= n; i++) {
		if (i == n || l[i] == ',' || l[i] == '"' || l[i] == ';' || l[i] == '\t') {
			same_as_cast(l + start, i - start, l + n);
			start = i + 1;
		}
	}
}

static bool blank(enum sl_rec_format f, const char *l, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		if (f == SL_REC_JSON ? !(c == ' ' || c == '\t' || c == '\r' || c == '\n')
				     : c > ' ')
			return false;
	}
	return true;
}

/* The file source's way with its buffered lines (take_parsed: the lines
 * that follow as one span, at most a number of rows the input picks, the
 * per-line way for the line it stops at, and so on) against the per-line
 * way, over the first ROWS lines of the input, a CSV file that is not
 * multi_line, cut as the splitter cuts it (one '\r' before a '\n' or at
 * the end removed): the same return for each line (a line a span takes is
 * a row), rows, malformed count and message. simd: the span scan's
 * compares (0 SSE2, 1 AVX2, 2 AVX-512; as wide as the CPU has at most).
 * Spans of one line (the fourth parser) never fill the groups of four
 * fields. */
static void burst_pass(const struct sl_source_spec *spec, const char *in, size_t n,
		       uint32_t ncols, const struct sl_column_def *cols, int simd)
{
	static char buf[(1 << 17) + SL_RECPARSE_PADDING];
	static struct rows r5, r6;
	struct sl_str lines[ROWS];
	size_t next[ROWS]; /* where the line after line i starts (n: none) */
	int rc6[ROWS];
	char err[1024], err5[1024] = "", err6[1024] = "";
	CHECK(n <= sizeof(buf) - SL_RECPARSE_PADDING);
	memcpy(buf, in, n);
	memset(buf + n, 0, SL_RECPARSE_PADDING); /* the last line's padding */
	uint32_t nl = 0;
	for (size_t start = 0; start <= n && nl < ROWS;) {
		const char *e = memchr(buf + start, '\n', n - start);
		size_t end = e ? (size_t)(e - buf) : n;
		const bool cr = end > start && buf[end - 1] == '\r';
		next[nl] = e ? end + 1 : n;
		lines[nl++] = (struct sl_str){buf + start, (uint32_t)(end - start - cr)};
		if (e == NULL)
			break;
		start = end + 1;
	}
	struct sl_recparse *p5 = sl_recparse_create(spec, SL_REC_CSV, err, sizeof(err));
	struct sl_recparse *p6 = sl_recparse_create(spec, SL_REC_CSV, err, sizeof(err));
	CHECK(p5 != NULL && p6 != NULL);
	rp_set_avx2(p5, simd >= 1 && rp_cpu_avx2());
	rp_set_avx512(p5, simd >= 2 && rp_cpu_avx512());
	rows_init(&r5, cols, ncols);
	rows_init(&r6, cols, ncols);
	uint32_t upto = nl; /* the per-line way's lines: up to its first error */
	for (uint32_t i = 0; i < nl; i++) {
		rc6[i] = sl_recparse_line_padded(p6, lines[i].ptr, lines[i].len, &r6.chunk, i, err6,
						 sizeof(err6));
		if (rc6[i] < 0) {
			upto = i + 1;
			break;
		}
	}
	for (uint32_t i = 0; i < upto;) {
		/* the span: lines i..upto - 1, at most max rows */
		const size_t from = (size_t)(lines[i].ptr - buf);
		const uint32_t max = 1 + (uint32_t)((i * 131 + n) % 97);
		size_t used = 0;
		uint32_t m = sl_recparse_bursts(p5)
				     ? sl_recparse_burst_span(p5, buf + from, next[upto - 1] - from,
							      UINT32_MAX, max, &r5.chunk, i, &used)
				     : 0;
		CHECK(m <= upto - i && m <= max);
		CHECK(m == 0 ? used == 0 : used == next[i + m - 1] - from);
		const bool ascii = m > 0 && sl_recparse_burst_ascii(p5);
		for (uint32_t t = i; t < i + m; t++) {
			CHECK(rc6[t] == 1);
			rows_same(&r5.chunk, &r6.chunk, ncols, t);
			/* sl_recparse_burst_ascii: every string the burst wrote ASCII */
			for (uint32_t c = 0; ascii && c < ncols; c++) {
				const struct sl_vec *v = &r5.chunk.cols[c];
				if (v->type != SL_TYPE_STRING || v->nulls[t])
					continue;
				for (uint32_t b = 0; b < v->v.str[t].len; b++)
					CHECK((unsigned char)v->v.str[t].ptr[b] < 0x80);
			}
		}
		i += m;
		if (i == upto)
			break;
		int rc = sl_recparse_line_padded(p5, lines[i].ptr, lines[i].len, &r5.chunk, i, err5,
						 sizeof(err5));
		CHECK(rc == rc6[i]);
		if (rc < 0) {
			CHECK(strcmp(err5, err6) == 0);
			break;
		}
		if (rc == 1)
			rows_same(&r5.chunk, &r6.chunk, ncols, i);
		i++;
	}
	CHECK(sl_recparse_malformed(p5) == sl_recparse_malformed(p6));
	sl_recparse_destroy(p5);
	sl_recparse_destroy(p6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 10)
		return 0;
	static struct state st;
	struct state *s = &st;
	memset(s->cols, 0, sizeof(s->cols));
	memset(&s->spec, 0, sizeof(s->spec));
	s->nkept = 0;
	s->nbytes = 0;

	enum sl_rec_format fmt = (enum sl_rec_format)(data[0] % 3);
	int mode = data[1] & 3;
	bool corrupt = (data[1] & 4) != 0;
	bool header = (data[1] & 8) != 0;
	bool begin_each = (data[1] & 16) != 0;
	uint32_t reset_every = (data[1] >> 5) & 3; /* 1, 2, 4 lines, or never */
	uint32_t ncols = 1 + data[2] % 6;
	bool bit7 = (data[1] & 128) != 0;
	bool multi = bit7 && fmt == SL_REC_CSV;
	bool nested = bit7 && fmt == SL_REC_JSON;
	static const char *const nested_names[] = {"a", "a.b", "a.b.c", "x.y", "a.c", "b"};
	if (fmt == SL_REC_TEXT) {
		ncols = 1;
		corrupt = false;
	}
	for (uint32_t c = 0; c < ncols; c++) {
		if (nested)
			snprintf(s->cols[c].name, SL_NAME_MAX, "%s", nested_names[c]);
		else
			snprintf(s->cols[c].name, SL_NAME_MAX, "c%u", c);
		s->cols[c].type = fmt == SL_REC_TEXT ? SL_TYPE_STRING : types[data[3 + c] % 6];
	}
	if (corrupt) {
		snprintf(s->cols[ncols].name, SL_NAME_MAX, "_corrupt_record");
		s->cols[ncols].type = SL_TYPE_STRING;
		ncols++;
	}
	size_t pos = 10;
	uint32_t nopts = 0;
	static const char *const modes[] = {"PERMISSIVE", "DROPMALFORMED", "FAILFAST"};
	if (mode < 3 && fmt != SL_REC_TEXT) {
		snprintf(s->keybuf[nopts], 64, "mode");
		snprintf(s->valbuf[nopts], 32, "%s", modes[mode]);
		nopts++;
	}
	if (multi) {
		snprintf(s->keybuf[nopts], 64, "multi_line");
		snprintf(s->valbuf[nopts], 32, "true");
		nopts++;
	}
	if (header && fmt == SL_REC_CSV) {
		snprintf(s->keybuf[nopts], 64, "header");
		snprintf(s->valbuf[nopts], 32, "true");
		nopts++;
	}
	for (uint32_t k = 0; k < (uint32_t)data[9] % 6 && nopts < MAXO + 1; k++) {
		if (pos + 2 > size)
			break;
		const char *key = keys[data[pos] % NKEYS];
		size_t vl = data[pos + 1] % 24;
		pos += 2;
		if (vl > size - pos)
			vl = size - pos;
		snprintf(s->keybuf[nopts], 64, "%s", key);
		memcpy(s->valbuf[nopts], data + pos, vl);
		s->valbuf[nopts][vl] = '\0';
		pos += vl;
		nopts++;
	}
	for (uint32_t k = 0; k < nopts; k++) {
		s->opts[k].key = s->keybuf[k];
		s->opts[k].value = s->valbuf[k];
		s->opts[k].line = 3;
		s->opts[k].column = 1 + k;
	}
	snprintf(s->spec.name, SL_NAME_MAX, "fz");
	s->spec.schema.ncols = ncols;
	s->spec.schema.cols = s->cols;
	s->spec.options.n = nopts;
	s->spec.options.v = s->opts;
	s->spec.line = 1;
	s->spec.column = 1;
	s->spec.watermark_col = -1;

	char err[1024];
	err[0] = '\0';
	int vrc = sl_recparse_validate(&s->spec, fmt, err, sizeof(err));
	struct sl_recparse *p = sl_recparse_create(&s->spec, fmt, err, sizeof(err));
	if (vrc != 0) {
		CHECK(vrc == -EINVAL);
		CHECK(strncmp(err, "line ", 5) == 0);
		CHECK(p == NULL);
		return 0;
	}
	CHECK(p != NULL);
	/* the same without the fast paths, and one fed padded lines */
	struct sl_recparse *p2 = sl_recparse_create(&s->spec, fmt, err, sizeof(err));
	struct sl_recparse *p3 = sl_recparse_create(&s->spec, fmt, err, sizeof(err));
	struct sl_recparse *p4 = sl_recparse_create(&s->spec, fmt, err, sizeof(err));
	CHECK(p2 != NULL && p3 != NULL && p4 != NULL);
	rp_set_fast_paths(p2, false);
	rp_set_avx2(p3, false); /* p: AVX2 where the CPU has it; p3: SSE2 */
	static struct rows r2, r3, r4;
	rows_init(&r2, s->cols, ncols);
	rows_init(&r3, s->cols, ncols);
	rows_init(&r4, s->cols, ncols);
	static char padbuf[(1 << 17) + SL_RECPARSE_PADDING];

	/* what the options finally say (the last one of a key wins) */
	const struct sl_option *mo = NULL;
	bool header_on = false, enforce_off = false;
	for (uint32_t k = 0; k < nopts; k++) {
		if (strcmp(s->opts[k].key, "mode") == 0)
			mo = &s->opts[k];
		if (strcmp(s->opts[k].key, "header") == 0)
			header_on = strcasecmp(s->opts[k].value, "true") == 0;
		if (strcmp(s->opts[k].key, "enforce_schema") == 0)
			enforce_off = strcasecmp(s->opts[k].value, "false") == 0;
	}
	int eff_mode = 0;
	if (mo != NULL)
		eff_mode = strcasecmp(mo->value, "dropmalformed") == 0 ? 1
			   : strcasecmp(mo->value, "failfast") == 0    ? 2
								       : 0;
	int32_t corrupt_col = corrupt ? (int32_t)ncols - 1 : -1;
	for (uint32_t k = 0; k < nopts; k++)
		if (strcmp(s->opts[k].key, "column_name_of_corrupt_record") == 0)
			corrupt_col = -2; /* named by the fuzzer: not tracked */

	rows_init(&s->r, s->cols, ncols);

	const char *in = (const char *)data + pos;
	size_t n = size - pos;
	/* multi_line: where the records end, found at once and then in small
	 * pieces, which must agree */
	static size_t ends[1 << 16];
	size_t nends = 0, next_end = 0;
	bool ml = sl_recparse_multi_line(p);
	CHECK(!ml || fmt == SL_REC_CSV);
	if (ml) {
		sl_recparse_begin(p);
		for (size_t at = 0; at < n;) {
			size_t k = sl_recparse_scan(p, in + at, n - at);
			if (k == n - at)
				break;
			CHECK(in[at + k] == '\n');
			CHECK(nends < sizeof(ends) / sizeof(ends[0]));
			ends[nends++] = at + k;
			at += k + 1;
		}
		sl_recparse_begin(p);
		size_t step = 1 + data[8] % 7, seen = 0;
		for (size_t at = 0; at < n;) {
			size_t piece = n - at < step ? n - at : step;
			size_t k = sl_recparse_scan(p, in + at, piece);
			if (k < piece) {
				CHECK(seen < nends && ends[seen] == at + k);
				seen++;
				at += k + 1;
			} else {
				at += piece;
			}
		}
		CHECK(seen == nends);
		sl_recparse_begin(p);
		sl_recparse_begin(p2);
		sl_recparse_begin(p3);
		sl_recparse_begin(p4);
	}
	size_t start = 0;
	uint32_t lineno = 0;
	uint64_t malformed = 0;
	while (start <= n) {
		const char *nl;
		if (ml)
			nl = next_end < nends ? in + ends[next_end++] : NULL;
		else
			nl = memchr(in + start, '\n', n - start);
		size_t end = nl ? (size_t)(nl - in) : n;
		const char *line = in + start;
		uint32_t len = (uint32_t)(end - start);
		if (ml && nl != NULL && len > 0 && line[len - 1] == '\r')
			len--;
		uint32_t row = lineno % ROWS;
		pieces_same_as_cast(line, len);
		if (begin_each) {
			sl_recparse_begin(p);
			sl_recparse_begin(p2);
			sl_recparse_begin(p3);
			sl_recparse_begin(p4);
		}
		for (uint32_t c = 0; c < ncols; c++)
			s->r.nulls[c][row] = 0xAA;
		err[0] = '\0';
		int rc = sl_recparse_line(p, line, len, &s->r.chunk, row, err, sizeof(err));
		const bool line_ascii = sl_recparse_line_ascii(p);
		{
			char err2[1024] = "", err3[1024] = "";
			int rc2 = sl_recparse_line(p2, line, len, &r2.chunk, row, err2, sizeof(err2));
			/* the padded line: what follows it in the input, then zeros */
			CHECK(len <= sizeof(padbuf) - SL_RECPARSE_PADDING);
			size_t after = n - start - len;
			if (after > SL_RECPARSE_PADDING)
				after = SL_RECPARSE_PADDING;
			memcpy(padbuf, line, len + after);
			memset(padbuf + len + after, 0, SL_RECPARSE_PADDING - after);
			int rc3 = sl_recparse_line_padded(p3, padbuf, len, &r3.chunk, row, err3,
							  sizeof(err3));
			CHECK(rc2 == rc && rc3 == rc);
			/* a span of one line, then the per-line way if it stops
			 * there (a line that ends with '\r' as the splitter would
			 * not hand it over: the span would take "\r\n" as its end) */
			char err4[1024] = "";
			static char span1[(1 << 17) + 1 + SL_RECPARSE_PADDING];
			memcpy(span1, line, len);
			span1[len] = '\n';
			memset(span1 + len + 1, 0, SL_RECPARSE_PADDING);
			size_t used4 = 0;
			int rc4 = sl_recparse_bursts(p4) && !(len > 0 && line[len - 1] == '\r')
					  ? (int)sl_recparse_burst_span(p4, span1, len + 1, UINT32_MAX, 1,
									&r4.chunk, row, &used4)
					  : 0;
			CHECK(used4 == (rc4 == 1 ? len + 1 : 0));
			if (rc4 == 1)
				CHECK(rc == 1);
			else
				rc4 = sl_recparse_line_padded(p4, padbuf, len, &r4.chunk, row, err4,
							      sizeof(err4));
			CHECK(rc4 == rc);
			CHECK(sl_recparse_malformed(p4) == sl_recparse_malformed(p));
			if (rc == -EINVAL)
				CHECK(strcmp(err4, err) == 0);
			if (rc == 1)
				rows_same(&r3.chunk, &r4.chunk, ncols, row);
			if (rc == -EINVAL) {
				CHECK(strcmp(err2, err) == 0 && strcmp(err3, err) == 0);
			}
			CHECK(sl_recparse_malformed(p2) == sl_recparse_malformed(p));
			CHECK(sl_recparse_malformed(p3) == sl_recparse_malformed(p));
			if (rc == 1) {
				rows_same(&s->r.chunk, &r2.chunk, ncols, row);
				rows_same(&r2.chunk, &r3.chunk, ncols, row);
			}
		}
		bool is_blank = fmt != SL_REC_TEXT && blank(fmt, line, len);
		uint64_t m = sl_recparse_malformed(p);
		CHECK(m >= malformed && m <= malformed + 1);
		if (rc == -EINVAL) {
			CHECK(err[0] != '\0');
			CHECK(eff_mode == 2 || (fmt == SL_REC_CSV && header_on && enforce_off));
			CHECK(m == malformed);
		} else {
			CHECK(rc == 0 || rc == 1);
		}
		if (is_blank)
			CHECK(rc == 0 && m == malformed);
		if (fmt == SL_REC_TEXT)
			CHECK(rc == 1);
		if (fmt == SL_REC_JSON && eff_mode == 0 && !is_blank)
			CHECK(rc == 1);
		if (rc == 0 && m > malformed)
			CHECK(eff_mode == 1);
		if (rc == 1) {
			for (uint32_t c = 0; c < ncols; c++) {
				const struct sl_vec *v = &s->r.vecs[c];
				CHECK(v->nulls[row] <= 1);
				if (v->nulls[row])
					continue;
				switch (v->type) {
				case SL_TYPE_BOOLEAN:
					CHECK(v->v.b[row] <= 1);
					break;
				case SL_TYPE_INT:
					CHECK(v->v.i64[row] >= INT32_MIN && v->v.i64[row] <= INT32_MAX);
					break;
				case SL_TYPE_STRING: {
					struct sl_str x = v->v.str[row];
					if (x.ptr >= line && x.ptr <= line + len)
						CHECK(x.len <= (size_t)(line + len - x.ptr));
					else if (x.len > 0)
						CHECK(x.ptr != NULL);
					/* sl_recparse_line_ascii: every string of the row ASCII */
					for (uint32_t k = 0; line_ascii && k < x.len; k++)
						CHECK((unsigned char)x.ptr[k] < 0x80);
					for (uint32_t k = 0; k < x.len; k++)
						s->sink[k % sizeof(s->sink)] ^= x.ptr[k];
					keep(s, x.ptr, x.len);
					break;
				}
				default:
					break;
				}
			}
			if (corrupt_col >= 0) {
				bool set = !s->r.nulls[corrupt_col][row];
				if (set)
					CHECK(s->r.str[corrupt_col][row].ptr == line &&
					      s->r.str[corrupt_col][row].len == len);
				CHECK(set == (m == malformed + 1));
			}
		}
		malformed = m;
		lineno++;
		if (reset_every < 3 && lineno % (1u << reset_every) == 0) {
			verify_kept(s);
			sl_recparse_reset(p);
			sl_recparse_reset(p2);
			sl_recparse_reset(p3);
			sl_recparse_reset(p4);
		} else if (s->nkept >= KEEP - MAXC) {
			verify_kept(s);
			sl_recparse_reset(p);
			sl_recparse_reset(p2);
			sl_recparse_reset(p3);
			sl_recparse_reset(p4);
		}
		if (nl == NULL)
			break;
		start = end + 1;
	}
	verify_kept(s);
	if (fmt == SL_REC_CSV && !ml)
		burst_pass(&s->spec, in, n, ncols, s->cols, data[size - 1] % 3);
	sl_recparse_reset(p);
	sl_recparse_destroy(p);
	sl_recparse_destroy(p2);
	sl_recparse_destroy(p3);
	sl_recparse_destroy(p4);
	return 0;
}
