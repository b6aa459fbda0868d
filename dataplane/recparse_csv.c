/*
 * recparse_csv.c — one CSV record per line, as Spark's CSV source reads it
 * (univocity's parser with the settings CSVOptions gives it, one line at a
 * time as with multiLine = false).
 *
 * A line:
 *  - blank (only bytes <= ' ', Java's trim) or, with `comment` set,
 *    starting with the comment character: no record (Spark filters them);
 *  - the first non-blank, non-comment line of an input when `header` is
 *    true: the header, no record;
 *  - else fields separated by `sep` (one or more bytes).
 *
 * A field:
 *  - leading bytes <= ' ' are skipped when ignore_leading_white_space;
 *  - unquoted (not starting with `quote`): the bytes up to the next sep,
 *    as they are (quotes and escapes inside are plain text), without
 *    trailing bytes <= ' ' when ignore_trailing_white_space;
 *  - quoted: from the quote to the next quote that is not doubled; inside,
 *    `""` and `<escape>"` are a quote, `<char_to_escape_quote_escaping>
 *    <escape>` an escape, anything else is itself (a lone escape too);
 *    whitespace may follow the closing quote before the sep. Other text
 *    after the closing quote makes the field the raw text from its opening
 *    quote to the next sep (univocity's STOP_AT_DELIMITER, Spark's
 *    default). No closing quote: the field is the rest of the line and the
 *    record is malformed. With multi_line, "\r\n" inside a quoted field is
 *    "\n" (univocity normalizes line ends within quotes).
 *
 * Values: an unquoted empty field is NULL; a quoted empty field ("") is
 * `empty_value`; then a field equal to `null_value` is NULL (with Spark's
 * defaults, "" for both, "" is NULL too). Otherwise CAST's conversion to
 * the column type (sl_text_to_*), DOUBLE first comparing with nan_value,
 * positive_inf and negative_inf; timestamp_format when set.
 *
 * Malformed (the mode applies): fewer or more fields than data columns
 * (missing ones NULL, extra ones dropped), a field that does not convert
 * (NULL; the other fields still convert), an unterminated quote, a field
 * over max_chars_per_column bytes, more than max_columns fields.
 *
 * With multi_line = true a record may hold line ends inside quoted fields:
 * sl_recparse_scan() (below) cuts the input into records by the same rules
 * of quotes and escapes, and a record is parsed here as a line is.
 *
 * Speed: a line without quotes (most) is split by one SIMD pass that marks
 * every separator (csv_sep_mask), and its plain fields are converted by
 * csv_fast_take with the parser's settings read once per line (the
 * compiler reloads them per field otherwise: stores into the row may alias
 * the parser); other lines go field by field, unquoted
 * fields found with memchr. Fields are converted in place; a quoted field
 * is copied (to the scratch) only when it holds an escape or a doubled
 * quote. Integers with readable bytes after them convert 8 digits at once
 * (rp_fast_integral_ahead): the fields before the line's end, and all of
 * a padded line's (sl_recparse_line_padded). The file source hands its
 * buffered bytes over whole (sl_recparse_burst_span, at the end of this
 * file): up to 128 lines cut at once in one pass over their bytes, then
 * converted a column at a time, four fields of a column at once where the
 * CPU has AVX2.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "recparse_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CSV_AVX2 1
#else
#define CSV_AVX2 0
#endif

struct csv_tok {
	const char *s;
	uint32_t n;
	bool quoted;       /* a quoted field: s..n is its text, escapes undone */
	bool unterminated; /* its quote is not closed */
};

static inline bool is_ws(char c)
{
	return (unsigned char)c <= ' ';
}

static inline bool sep_at(const struct sl_recparse *p, const char *s, const char *end)
{
	return (size_t)(end - s) >= p->sep_len && s[0] == p->sep[0] &&
	       (p->sep_len == 1 || memcmp(s, p->sep, p->sep_len) == 0);
}

/* The next separator at or after s, or end. */
static inline const char *find_sep(const struct sl_recparse *p, const char *s, const char *end)
{
	if (p->sep_len == 1) {
		const char *q = memchr(s, p->sep[0], (size_t)(end - s));
		return q != NULL ? q : end;
	}
	while ((size_t)(end - s) >= p->sep_len) {
		const char *q = memchr(s, p->sep[0], (size_t)(end - s) - p->sep_len + 1);
		if (q == NULL)
			return end;
		if (memcmp(q, p->sep, p->sep_len) == 0)
			return q;
		s = q + 1;
	}
	return end;
}

/* Unescaped text of a quoted field, built in the scratch once needed. */
struct qbuf {
	char *b;
	uint32_t n;
};

static int qbuf_add(struct sl_recparse *p, struct qbuf *q, const char *s, size_t n,
		    size_t bound, int extra)
{
	if (q->b == NULL && (q->b = rp_alloc(p, bound)) == NULL)
		return -ENOMEM;
	memcpy(q->b + q->n, s, n);
	q->n += (uint32_t)n;
	if (extra >= 0)
		q->b[q->n++] = (char)extra;
	return 0;
}

/* The quoted field whose quote is at s. */
static int csv_quoted(struct sl_recparse *p, const char *s, const char *end, const char **pos,
		      struct csv_tok *t)
{
	const int q = p->quote;
	const int e = p->escape != q ? p->escape : -1; /* escape == quote: "" only */
	const int ee = p->escape_escape;
	const char *open = s;
	/* the text is never longer than what follows the opening quote */
	const size_t bound = (size_t)(end - open) - 1;
	struct qbuf buf = {NULL, 0};
	const char *seg = s + 1; /* start of the text not yet copied */
	const char *k = seg;
	for (;;) {
		while (k < end && !p->special[(unsigned char)*k])
			k++;
		if (k >= end) {
			t->unterminated = true;
			*pos = end;
			if (buf.b == NULL) {
				t->s = seg;
				t->n = (uint32_t)(end - seg);
			} else {
				if (qbuf_add(p, &buf, seg, (size_t)(end - seg), bound, -1) < 0)
					return -ENOMEM;
				rp_alloc_trim(p, buf.b, bound, buf.n);
				t->s = buf.b;
				t->n = buf.n;
			}
			t->quoted = true;
			return 0;
		}
		const int c = (unsigned char)*k;
		const int next = k + 1 < end ? (unsigned char)k[1] : -1;
		if (c == q) {
			if (next == q) {
				/* a doubled quote: the text so far and one quote */
				if (qbuf_add(p, &buf, seg, (size_t)(k + 1 - seg), bound, -1) < 0)
					return -ENOMEM;
				k += 2;
				seg = k;
				continue;
			}
			const char *m = k + 1;
			while (m < end && is_ws(*m) && !sep_at(p, m, end))
				m++;
			if (m >= end || sep_at(p, m, end)) {
				*pos = m;
				if (buf.b == NULL) {
					t->s = seg;
					t->n = (uint32_t)(k - seg);
				} else {
					if (qbuf_add(p, &buf, seg, (size_t)(k - seg), bound, -1) < 0)
						return -ENOMEM;
					rp_alloc_trim(p, buf.b, bound, buf.n);
					t->s = buf.b;
					t->n = buf.n;
				}
				t->quoted = true;
				return 0;
			}
			/* text after the closing quote: the raw field, up to the
			 * separator (STOP_AT_DELIMITER) */
			if (buf.b != NULL)
				rp_alloc_trim(p, buf.b, bound, 0);
			const char *se = find_sep(p, k + 1, end);
			*pos = se;
			if (p->ignore_trailing)
				while (se > open && is_ws(se[-1]))
					se--;
			t->s = open;
			t->n = (uint32_t)(se - open);
			return 0;
		}
		if (c == e && (next == q || (ee == e && next == e))) {
			/* <escape>" is a quote; <escape><escape> an escape when the
			 * escape escapes itself */
			if (qbuf_add(p, &buf, seg, (size_t)(k - seg), bound, next) < 0)
				return -ENOMEM;
			k += 2;
			seg = k;
			continue;
		}
		if (c == ee && ee != e && e >= 0 && next == e) {
			if (qbuf_add(p, &buf, seg, (size_t)(k - seg), bound, e) < 0)
				return -ENOMEM;
			k += 2;
			seg = k;
			continue;
		}
		if (c == '\r' && next == '\n' && p->multi_line) {
			/* a line end inside the field: "\r\n" is "\n", as univocity
			 * normalizes line ends within quotes (Spark's default) */
			if (qbuf_add(p, &buf, seg, (size_t)(k - seg), bound, -1) < 0)
				return -ENOMEM;
			k++;
			seg = k;
			continue;
		}
		k++; /* a lone escape (or '\r') is itself */
	}
}

/* The field at *pos: sets *pos to the separator after it, or to end. */
static inline int csv_field(struct sl_recparse *p, const char *end, const char **pos,
			    struct csv_tok *t)
{
	const char *s = *pos;
	t->quoted = false;
	t->unterminated = false;
	if (p->ignore_leading)
		while (s < end && is_ws(*s) && !sep_at(p, s, end))
			s++;
	if (p->quote >= 0 && s < end && (unsigned char)*s == p->quote)
		return csv_quoted(p, s, end, pos, t);
	const char *e = find_sep(p, s, end);
	*pos = e;
	if (p->ignore_trailing)
		while (e > s && is_ws(e[-1]))
			e--;
	t->s = s;
	t->n = (uint32_t)(e - s);
	return 0;
}

/* A field against null_value, nan_value, positive_inf or negative_inf: the
 * length and the first byte first, so that most fields (an amount of the
 * same length as "-Inf") are told apart without a call to memcmp. */
static inline __attribute__((always_inline)) bool eq(const char *s, uint32_t n, const char *w,
						     uint32_t wn)
{
	return n == wn && (n == 0 || (s[0] == w[0] && memcmp(s + 1, w + 1, n - 1) == 0));
}

/* Field tok into column col of the row: false when it does not convert
 * (the value is then NULL). lim: bytes up to lim are readable from t->s on
 * (NULL: only t->s[0..t->n)), for the conversions that load 8 bytes at a
 * time. Forced inline: with two callers GCC made it a call per field,
 * which cost sales rows 5% more instructions and time (callgrind, bench). */
static inline __attribute__((always_inline)) bool csv_convert(struct sl_recparse *p, uint32_t col,
							      const struct csv_tok *t,
							      const char *lim,
							      struct sl_chunk *out, uint32_t row)
{
	struct sl_vec *v = &out->cols[col];
	const char *s = t->s;
	uint32_t n = t->n;
	if (n == 0) {
		if (!t->quoted)
			goto null;
		s = p->empty_value;
		n = p->empty_len;
	}
	if (eq(s, n, p->null_value, p->null_len))
		goto null;
	bool ok;
	switch (p->cols[col].type) {
	case SL_TYPE_STRING:
		v->v.str[row].ptr = s;
		v->v.str[row].len = n;
		ok = true;
		break;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
		/* the sign and 8 digits readable: one load */
		ok = (lim != NULL && s == t->s && lim - s >= 9
			      ? rp_fast_integral_ahead(s, n, p->cols[col].type == SL_TYPE_INT,
						       &v->v.i64[row])
			      : rp_fast_integral(s, n, p->cols[col].type == SL_TYPE_INT,
						 &v->v.i64[row])) ||
		     sl_text_to_integral(s, n, p->cols[col].type == SL_TYPE_INT, &v->v.i64[row]);
		break;
	case SL_TYPE_DOUBLE:
		ok = true;
		if (eq(s, n, p->nan_value, p->nan_len))
			v->v.f64[row] = __builtin_nan("");
		else if (eq(s, n, p->neg_inf, p->neg_inf_len))
			v->v.f64[row] = -__builtin_inf();
		else if (eq(s, n, p->pos_inf, p->pos_inf_len))
			v->v.f64[row] = __builtin_inf();
		else
			ok = rp_fast_double(s, n, &v->v.f64[row]) ||
			     sl_text_to_double(s, n, &v->v.f64[row]);
		break;
	case SL_TYPE_BOOLEAN: {
		bool b = false;
		ok = sl_text_to_bool(s, n, &b);
		v->v.b[row] = b;
		break;
	}
	case SL_TYPE_TIMESTAMP:
		ok = rp_text_timestamp_cached(p, s, n, &v->v.i64[row]);
		break;
	default:
		ok = false;
		break;
	}
	if (!ok)
		goto fail;
	v->nulls[row] = 0;
	return true;
null:
	v->nulls[row] = 1;
	return true;
fail:
	v->nulls[row] = 1;
	return false;
}

/* "(a, b, c)" for messages, cut at about 100 bytes. */
static void column_list(const struct sl_recparse *p, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < p->ndata && o + 8 < len; i++) {
		const struct rp_col *c = &p->cols[p->data[i]];
		if (o > 100) {
			snprintf(buf + o, len - o, ", ...");
			return;
		}
		int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", c->name);
		if (w < 0)
			return;
		o += (size_t)w;
		if (o >= len)
			o = len - 1;
	}
}

static bool name_eq_ci(const char *s, uint32_t n, const char *name, uint32_t nlen)
{
	return n == nlen && strncasecmp(s, name, n) == 0;
}

/*
 * enforce_schema = false: the header's names must be the data columns',
 * in order, case-insensitively (Spark's CSVHeaderChecker with
 * spark.sql.caseSensitive off); a mismatch stops the query whatever the
 * mode, as in Spark.
 */
static int csv_check_header(struct sl_recparse *p, const char *line, uint32_t len, char *err,
			    size_t errlen)
{
	const char *end = line + len, *pos = line;
	uint32_t nf = 0;
	char cols[160], text[192];
	for (;;) {
		struct csv_tok t;
		if (csv_field(p, end, &pos, &t) < 0)
			return -ENOMEM;
		if (nf < p->ndata) {
			const struct rp_col *c = &p->cols[p->data[nf]];
			if (!name_eq_ci(t.s, t.n, c->name, c->name_len)) {
				rp_quote_text(text, sizeof(text), t.s, t.n, true);
				snprintf(err, errlen,
					 "the CSV header does not conform to the schema: header "
					 "field %u is %s where column '%s' is expected (enforce_schema "
					 "= false checks the header's names; fix the columns, or set "
					 "enforce_schema = true to ignore the header's names)",
					 nf + 1, text, c->name);
				return -EINVAL;
			}
		}
		nf++;
		if (pos >= end || nf > p->max_columns)
			break;
		pos += p->sep_len;
	}
	if (nf != p->ndata) {
		column_list(p, cols, sizeof(cols));
		snprintf(err, errlen,
			 "the CSV header has %u names, the schema %u columns (%s) (enforce_schema "
			 "= false checks the header; fix the columns, or set enforce_schema = "
			 "true to ignore the header's names)",
			 nf, p->ndata, cols);
		return -EINVAL;
	}
	return 0;
}

static int csv_too_many(const struct sl_recparse *p, char *err, size_t errlen)
{
	return rp_failfast(err, errlen, "the record has more than max_columns = %u fields",
			   p->max_columns);
}

/* Field nf of the record, t, into the row (or only checked, past the data
 * columns): sets *bad when it is malformed; 0, or FAILFAST's -EINVAL. */
static inline __attribute__((always_inline)) int csv_take(struct sl_recparse *p,
							   const struct csv_tok *t, const char *lim,
							   uint32_t nf, struct sl_chunk *out,
							   uint32_t row, bool *bad, char *err,
							   size_t errlen)
{
	if (t->unterminated) {
		if (p->mode == RP_FAILFAST)
			return rp_failfast(err, errlen,
					   "field %u: its quote is not closed before the end "
					   "of the line (a record spans one line)",
					   nf + 1);
		*bad = true;
	}
	if (p->max_chars >= 0 && t->n > (uint64_t)p->max_chars) {
		if (p->mode == RP_FAILFAST)
			return rp_failfast(err, errlen,
					   "field %u is %u bytes long, more than "
					   "max_chars_per_column = %lld",
					   nf + 1, t->n, (long long)p->max_chars);
		*bad = true;
		if (nf < p->ndata)
			rp_set_null(out, p->data[nf], row);
	} else if (nf < p->ndata && !csv_convert(p, p->data[nf], t, lim, out, row)) {
		const struct rp_col *c = &p->cols[p->data[nf]];
		if (p->mode == RP_FAILFAST) {
			char text[192];
			rp_quote_text(text, sizeof(text), t->s, t->n, true);
			return rp_failfast(err, errlen, "field %u (%s): %s is not %s %s", nf + 1,
					   c->name, text, c->type == SL_TYPE_INT ? "an" : "a",
					   sl_type_name(c->type));
		}
		*bad = true;
	}
	return 0;
}

/*
 * The fast split: a line without quotes, with a one-byte sep and neither
 * ignore_*_white_space, splits at every sep byte. One SIMD pass (16 bytes a
 * step) sets a bit per sep byte in seps[] and looks for the quote at the
 * same time; the fields then come from the bits. It replaces a memchr call
 * per field, which costs more than its scan on fields of a few bytes. Lines
 * over CSV_FAST_WORDS * 64 bytes, and lines with a quote, take csv_field's
 * way (the quote rules).
 */
#define CSV_FAST_WORDS 8

static inline bool csv_fast_ok(const struct sl_recparse *p, uint32_t len)
{
	return p->fast_paths && p->sep_len == 1 && !p->ignore_leading && !p->ignore_trailing &&
	       len <= CSV_FAST_WORDS * 64;
}

/* seps[] for s[0..n) (n >= 1; bits past n are 0): true, or false when the
 * line holds the quote byte. Reads no byte outside s[0..n). */
static bool csv_sep_mask(const struct sl_recparse *p, const char *s, uint32_t n, uint64_t *seps)
{
	const char sep = p->sep[0];
	const int quote = p->quote;
	uint64_t word = 0; /* seps[o / 64], stored once complete */
#if defined(__SSE2__)
	if (n >= 16) {
		const __m128i vs = _mm_set1_epi8(sep);
		/* no quote: compare with the sep again, which adds no bit */
		const __m128i vq = _mm_set1_epi8(quote >= 0 ? (char)quote : sep);
		uint32_t qs = 0;
		uint32_t o = 0;
		for (; o + 16 <= n; o += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + o));
			uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vs));
			qs |= (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq)) & ~m;
			word |= (uint64_t)m << (o % 64);
			if (o % 64 == 48) {
				seps[o / 64] = word;
				word = 0;
			}
		}
		if (o < n) {
			/* the last 16 bytes of the line, of which the last n - o
			 * are new; o % 64 <= 48 and n - o < 16: one word holds them */
			uint32_t r = 16 - (n - o);
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
			uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vs)) >> r;
			qs |= ((uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq)) >> r) & ~m;
			word |= (uint64_t)m << (o % 64);
		}
		if (o % 64 != 0 || o < n)
			seps[o / 64] = word;
		return qs == 0;
	}
#endif
	/* n < 16 (or no SSE2: any n) */
	for (uint32_t i = 0; i < n; i++) {
		if (s[i] == sep)
			word |= 1ull << (i % 64);
		else if ((unsigned char)s[i] == quote)
			return false;
		if (i % 64 == 63) {
			seps[i / 64] = word;
			word = 0;
		}
	}
	if (n % 64 != 0)
		seps[n / 64] = word;
	return true;
}

#if defined(__SSE2__)
/* csv_sep_mask for a padded line (n >= 1): 64 bytes a step, the last block
 * reaching into the padding (SL_RECPARSE_PADDING readable bytes after the
 * line), whose bits are dropped. */
static inline bool csv_sep_mask_padded(const struct sl_recparse *p, const char *s, uint32_t n,
				       uint64_t *seps)
{
	_Static_assert(SL_RECPARSE_PADDING >= 63, "a block may reach 63 bytes past the line");
	const __m128i vs = _mm_set1_epi8(p->sep[0]);
	/* no quote: compare with the sep again, which adds no bit */
	const __m128i vq = _mm_set1_epi8(p->quote >= 0 ? (char)p->quote : p->sep[0]);
	uint64_t qs = 0;
	for (uint32_t o = 0; o < n; o += 64) {
		const __m128i *x = (const __m128i *)(const void *)(s + o);
		__m128i v0 = _mm_loadu_si128(x), v1 = _mm_loadu_si128(x + 1),
			v2 = _mm_loadu_si128(x + 2), v3 = _mm_loadu_si128(x + 3);
		uint64_t m = (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v0, vs)) |
			     (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v1, vs)) << 16 |
			     (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v2, vs)) << 32 |
			     (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v3, vs)) << 48;
		uint64_t q = (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v0, vq)) |
			     (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v1, vq)) << 16 |
			     (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v2, vq)) << 32 |
			     (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v3, vq)) << 48;
		if (n - o < 64) {
			const uint64_t in = (1ull << (n - o)) - 1;
			m &= in;
			q &= in;
		}
		seps[o / 64] = m;
		qs |= q & ~m;
	}
	return qs == 0;
}
#endif

/* The fields of a line the fast split does not take, by csv_field's rules:
 * into the row, *nf counted, *bad set when malformed; 0, or <0 (FAILFAST's
 * -EINVAL, -ENOMEM). Out of line: rp_csv_line keeps the fast way small. */
static __attribute__((noinline)) int csv_fields(struct sl_recparse *p, const char *line,
						uint32_t len, struct sl_chunk *out, uint32_t row,
						uint32_t *nfp, bool *bad, char *err, size_t errlen)
{
	const char *end = line + len;
	uint32_t nf = 0;
	int rc;
	const char *pos = line;
	for (;;) {
		struct csv_tok t;
		if (nf >= p->max_columns) {
			if (p->mode == RP_FAILFAST)
				return csv_too_many(p, err, errlen);
			*bad = true;
			break;
		}
		if (csv_field(p, end, &pos, &t) < 0) {
			snprintf(err, errlen, "out of memory for the text of a quoted CSV field");
			return -ENOMEM;
		}
		if ((rc = csv_take(p, &t, NULL, nf, out, row, bad, err, errlen)) != 0)
			return rc;
		nf++;
		if (pos >= end)
			break;
		pos += p->sep_len;
	}
	*nfp = nf;
	return 0;
}

/*
 * A field of the fast split into data column nf's slot of the row: the
 * common cases (a column of the record, within max_chars, not empty, not
 * null_value, a STRING, an INT or BIGINT, a DOUBLE, a TIMESTAMP without
 * timestamp_format that the fast paths convert) here, with what the
 * parser says read once per line into `f`; false: ask csv_take. The same
 * answers as csv_convert (the tests compare the fast split with the
 * field-by-field way).
 */
struct csv_fast {
	const struct rp_col *cols;
	const uint32_t *data;
	uint32_t ndata;
	uint64_t max_chars; /* UINT64_MAX: unlimited */
	const char *null_value, *nan_value, *pos_inf, *neg_inf;
	uint32_t null_len, nan_len, pos_inf_len, neg_inf_len;
	bool ts_plain; /* no timestamp_format: rp_fast_timestamp_cached */
};

/* A field s[0..n) into row `row` of v, a column of type t: csv_fast_take
 * once the column is known (the spans call it with t a constant). The
 * value only: the caller clears the row's null flag (a span clears a
 * column's flags for its group at once). */
static inline __attribute__((always_inline)) bool csv_fast_value(struct sl_recparse *p,
								 const struct csv_fast *f,
								 enum sl_type t, const char *s,
								 uint32_t n, const char *lim,
								 struct sl_vec *v, uint32_t row)
{
	/* n - 1 >= max_chars: empty (wraps) or over max_chars_per_column */
	if ((uint64_t)n - 1 >= f->max_chars || eq(s, n, f->null_value, f->null_len))
		return false;
	switch (t) {
	case SL_TYPE_STRING:
		v->v.str[row].ptr = s;
		v->v.str[row].len = n;
		break;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
		if (lim - s < 9 || !rp_fast_integral_ahead(s, n, t == SL_TYPE_INT, &v->v.i64[row]))
			return false;
		break;
	case SL_TYPE_DOUBLE:
		if (eq(s, n, f->nan_value, f->nan_len) || eq(s, n, f->neg_inf, f->neg_inf_len) ||
		    eq(s, n, f->pos_inf, f->pos_inf_len) ||
		    !(lim - s >= 16 ? rp_fast_double_ahead(s, n, &v->v.f64[row])
				    : rp_fast_double(s, n, &v->v.f64[row])))
			return false;
		break;
	case SL_TYPE_TIMESTAMP:
		if (!f->ts_plain || !rp_fast_timestamp_cached(&p->ts_cache, s, n, &v->v.i64[row]))
			return false;
		break;
	default:
		return false;
	}
	return true;
}

static inline __attribute__((always_inline)) bool csv_fast_take(struct sl_recparse *p,
								const struct csv_fast *f,
								const char *s, uint32_t n,
								const char *lim, uint32_t nf,
								struct sl_chunk *out, uint32_t row)
{
	if (nf >= f->ndata)
		return false;
	const uint32_t col = f->data[nf];
	if (!csv_fast_value(p, f, f->cols[col].type, s, n, lim, &out->cols[col], row))
		return false;
	out->cols[col].nulls[row] = 0;
	return true;
}

/* What the fast split reads of the parser, once per line (or burst). */
static inline struct csv_fast csv_fast_init(const struct sl_recparse *p)
{
	return (struct csv_fast){
		p->cols,
		p->data,
		p->ndata,
		p->max_chars < 0 ? UINT64_MAX : (uint64_t)p->max_chars,
		p->null_value,
		p->nan_value,
		p->pos_inf,
		p->neg_inf,
		p->null_len,
		p->nan_len,
		p->pos_inf_len,
		p->neg_inf_len,
		p->ts_format == NULL,
	};
}

int rp_csv_line(struct sl_recparse *p, const char *line, uint32_t len, bool padded,
		struct sl_chunk *out, uint32_t row, char *err, size_t errlen)
{
	/* readable: the line, and the padding after it when there is one */
	const char *lim = line + len + (padded ? SL_RECPARSE_PADDING : 0);
	uint32_t i = 0;
	while (i < len && is_ws(line[i]))
		i++;
	if (i == len)
		return 0;
	if (p->want_header) {
		/* the first line that is neither blank nor a comment */
		if (p->comment >= 0 && (unsigned char)line[i] == p->comment)
			return 0;
		p->want_header = false;
		return p->enforce_schema ? 0 : csv_check_header(p, line, len, err, errlen);
	}
	if (p->comment >= 0 && (unsigned char)line[0] == p->comment)
		return 0;

	uint32_t nf = 0;
	bool bad = false;
	char cols[160];
	int rc;
	uint64_t seps[CSV_FAST_WORDS];
#if defined(__SSE2__)
	const bool split = csv_fast_ok(p, len) && (padded ? csv_sep_mask_padded(p, line, len, seps)
							   : csv_sep_mask(p, line, len, seps));
#else
	const bool split = csv_fast_ok(p, len) && csv_sep_mask(p, line, len, seps);
#endif
	if (split) {
		/* no quote in the line: each sep byte ends a field, the line's
		 * end the last one (what csv_field finds, without a memchr call
		 * per field) */
		const struct csv_fast f = csv_fast_init(p);
		uint32_t start = 0;
		for (uint32_t w = 0;; w++) {
			uint64_t m = w * 64 < len ? seps[w] : 0;
			for (;;) {
				uint32_t at = len;
				if (m != 0)
					at = w * 64 + (uint32_t)__builtin_ctzll(m);
				else if (w * 64 + 64 < len)
					break; /* the next word */
				if (nf >= p->max_columns) {
					if (p->mode == RP_FAILFAST)
						return csv_too_many(p, err, errlen);
					bad = true;
					goto fields_done;
				}
				if (!csv_fast_take(p, &f, line + start, at - start, lim, nf, out,
						   row)) {
					struct csv_tok t = {line + start, at - start, false, false};
					if ((rc = csv_take(p, &t, lim, nf, out, row, &bad, err,
							   errlen)) != 0)
						return rc;
				}
				nf++;
				if (at == len)
					goto fields_done;
				start = at + 1;
				m &= m - 1;
			}
		}
	}
	if ((rc = csv_fields(p, line, len, out, row, &nf, &bad, err, errlen)) != 0)
		return rc;
fields_done:
	if (nf != p->ndata) {
		for (uint32_t k = nf; k < p->ndata; k++)
			rp_set_null(out, p->data[k], row);
		if (p->mode == RP_FAILFAST) {
			column_list(p, cols, sizeof(cols));
			return rp_failfast(err, errlen,
					   "the record has %u field%s, the schema %u column%s (%s)", nf,
					   nf == 1 ? "" : "s", p->ndata, p->ndata == 1 ? "" : "s",
					   cols);
		}
		bad = true;
	}
	return rp_finish(p, line, len, out, row, bad);
}

/* sl_recparse_scan's states: where the byte to come stands. */
enum {
	SC_RECORD = 0, /* a record's first byte (a comment line?) */
	SC_FIELD,      /* a field's first byte (a quote opens it?) */
	SC_PLAIN,      /* inside an unquoted field, or after a closing quote */
	SC_QUOTED,     /* inside a quoted field */
	SC_QUOTE,      /* after a quote inside a quoted field: doubled or closing */
	SC_ESCAPE,     /* after the escape inside a quoted field */
	SC_ESC_ESC,    /* after char_to_escape_quote_escaping inside one */
	SC_COMMENT,    /* a comment line */
};

/* ------------------------------------------------------------------ */
/* spans of plain lines (sl_recparse_burst_span)                        */
/* ------------------------------------------------------------------ */

/* The most fields a span's line may have (more: the per-line way). */
#define CSV_BURST_FIELDS 32

bool sl_recparse_bursts(const struct sl_recparse *p)
{
#if defined(__SSE2__)
	const uint32_t nd = p->ndata;
	if (p->f != SL_REC_CSV || !csv_fast_ok(p, 0) || nd == 0 || nd > CSV_BURST_FIELDS ||
	    nd > p->max_columns)
		return false;
	for (uint32_t k = 0; k < nd; k++) {
		enum sl_type t = p->cols[p->data[k]].type;
		if (t == SL_TYPE_TIMESTAMP ? p->ts_format != NULL
					   : t != SL_TYPE_STRING && t != SL_TYPE_INT &&
						     t != SL_TYPE_BIGINT && t != SL_TYPE_DOUBLE)
			return false;
	}
	return true;
#else
	(void)p;
	return false;
#endif
}

bool sl_recparse_burst_ascii(const struct sl_recparse *p)
{
	return p->burst_ascii;
}

/*
 * A span is cut a group of lines at a time: its bytes scanned once, 64 at
 * a time, for '\n', the sep, the quote and '\r', and every sep and '\n'
 * written down in order (a "cut": the offset of the byte after it). A
 * line of nd fields is then nd cuts, the last after its '\n', so that in a
 * group of plain lines field k of line j runs from cut[j nd + k] to
 * cut[j nd + k + 1] - 1, with cut[0] = 0 the group's start: no per-line
 * table to build. A line with another number of fields is found by the
 * byte before its nd-th cut, which is not a '\n', or, where the lines
 * before it made up for it, by the count of '\n's up to there. The lines
 * are the splitter's too (lines.h): the bytes are read once, not once for
 * '\n' and again for the fields.
 */
#define SPAN_LINES 128   /* a group's lines, at most */
#define SPAN_BYTES 16384 /* the bytes scanned for them, at most (a multiple of 64) */
/* the cuts of SPAN_BYTES bytes, cut[0], and the spare stores of
 * span_flatten (8) and of the AVX-512 scan (16) */
#define SPAN_CUTS (1 + SPAN_BYTES + 16)

int rp_csv_span_alloc(struct sl_recparse *p)
{
	if (p->span_cut == NULL && (p->span_cut = malloc(SPAN_CUTS * sizeof(uint32_t))) == NULL)
		return -ENOMEM;
	return 0;
}

/* One group: its cuts, '\n's, and the first byte that makes its line
 * other than plain (a quote, a '\r' out of place), all offsets from the
 * group's start. */
struct span_group {
	uint32_t *cut; /* cut[0] = 0, then each sep's and '\n''s offset + 1 */
	uint32_t ncut;
	uint32_t nls;  /* '\n's in the blocks scanned */
	uint32_t bad;  /* UINT32_MAX: none seen */
	bool ascii;    /* no byte scanned is 0x80 or over */
	uint64_t nl[SPAN_BYTES / 64 + 1];  /* block b's '\n' bits */
	uint32_t nlc[SPAN_BYTES / 64 + 1]; /* '\n's before block b */
};

_Static_assert(SPAN_BYTES % 64 == 0, "a group's blocks end at SPAN_BYTES");
_Static_assert(SL_RECPARSE_PADDING >= 63, "a block may reach 63 bytes past the span");

/* bits's set bits' offsets + base into out[n..]: the new n. Four stores
 * whatever the count, eight above four (a store past the count writes
 * base + 63 where a later one goes, or into the spare room). */
static inline __attribute__((always_inline)) uint32_t span_flatten(uint32_t *out, uint32_t n,
								   uint32_t base, uint64_t bits)
{
	const uint32_t cnt = (uint32_t)__builtin_popcountll(bits);
	uint32_t *o = out + n;
	for (uint32_t i = 0; i < 4; i++) {
		o[i] = base + (uint32_t)__builtin_ctzll(bits | 1ull << 63);
		bits &= bits - 1;
	}
	if (cnt > 4) {
		for (uint32_t i = 4; i < 8; i++) {
			o[i] = base + (uint32_t)__builtin_ctzll(bits | 1ull << 63);
			bits &= bits - 1;
		}
		for (uint32_t i = 8; i < cnt; i++) {
			o[i] = base + (uint32_t)__builtin_ctzll(bits);
			bits &= bits - 1;
		}
	}
	return n + cnt;
}

#if CSV_AVX2
/* span_flatten with BMI's tzcnt and blsr (every CPU with AVX2 has them,
 * and rp_cpu_avx2 asks for both). */
__attribute__((target("avx2,bmi,bmi2"))) static inline __attribute__((always_inline)) uint32_t
span_flatten_bmi(uint32_t *out, uint32_t n, uint32_t base, uint64_t bits)
{
	const uint32_t cnt = (uint32_t)_mm_popcnt_u64(bits);
	uint32_t *o = out + n;
	o[0] = base + (uint32_t)_tzcnt_u64(bits);
	bits = _blsr_u64(bits);
	o[1] = base + (uint32_t)_tzcnt_u64(bits);
	bits = _blsr_u64(bits);
	o[2] = base + (uint32_t)_tzcnt_u64(bits);
	bits = _blsr_u64(bits);
	o[3] = base + (uint32_t)_tzcnt_u64(bits);
	if (cnt > 4) {
		bits = _blsr_u64(bits);
		o[4] = base + (uint32_t)_tzcnt_u64(bits);
		bits = _blsr_u64(bits);
		o[5] = base + (uint32_t)_tzcnt_u64(bits);
		bits = _blsr_u64(bits);
		o[6] = base + (uint32_t)_tzcnt_u64(bits);
		bits = _blsr_u64(bits);
		o[7] = base + (uint32_t)_tzcnt_u64(bits);
		for (uint32_t i = 8; i < cnt; i++) {
			bits = _blsr_u64(bits);
			o[i] = base + (uint32_t)_tzcnt_u64(bits);
		}
	}
	return n + cnt;
}
#endif

/* Block b of the group (the bits of its bytes; none past the span), its
 * cuts written down (span_flatten): its '\n's counted. bad: its bytes that
 * make their line other than plain. False: stop the scan here (a bad
 * byte, or want '\n's). */
static inline __attribute__((always_inline)) bool span_block(struct span_group *g, uint32_t b,
							     uint64_t nl, uint64_t bad,
							     uint32_t want, uint32_t *nls)
{
	g->nl[b] = nl;
	g->nlc[b] = *nls;
	*nls += (uint32_t)__builtin_popcountll(nl);
	if (bad != 0) {
		g->bad = b * 64 + (uint32_t)__builtin_ctzll(bad);
		return false;
	}
	return *nls < want;
}

/* A scan's start: no cut but cut[0], no '\n', no bad byte. The scan keeps
 * its counts in locals (cut[] may alias g's words) and hands them to
 * span_end. */
static inline void span_start(struct span_group *g)
{
	g->cut[0] = 0;
	g->bad = UINT32_MAX;
}

/* After the last block b: the counts. */
static inline void span_end(struct span_group *g, uint32_t b, uint32_t ncut, uint32_t nls)
{
	g->nl[b] = 0;
	g->nlc[b] = nls;
	g->ncut = ncut;
	g->nls = nls;
}

/* A block's bits with those past the span cleared (left: the span's bytes
 * from the block on), and the bits that make a line other than plain: the
 * quote's; a '\r' (crlf: a '\r' not right before a '\n', a '\n' without
 * one; carry the '\r' bit of the byte before the block). Without crlf the
 * caller may hand the quote's and the '\r''s bits ORed, cr 0. */
static inline uint64_t span_bad(uint64_t *nl, uint64_t *sep, uint64_t quote, uint64_t cr,
				size_t left, bool crlf, uint64_t *carry)
{
	if (left < 64) { /* the span's last block only */
		const uint64_t in = (1ull << left) - 1;
		*nl &= in, *sep &= in, quote &= in, cr &= in;
	}
	if (!crlf)
		return quote | cr;
	const uint64_t bad = quote | ((cr << 1 | *carry) ^ *nl);
	*carry = cr >> 63;
	return bad;
}

#if defined(__SSE2__)
/* The group at s (n bytes from there to the span's end, a block may read
 * into the padding after them), scanned 16 bytes a compare. */
static void span_scan_sse2(const struct sl_recparse *p, const char *s, size_t n, uint32_t want,
			   bool crlf, struct span_group *g)
{
	/* no quote: compare with '\r' again, which adds no bit */
	const __m128i vn = _mm_set1_epi8('\n'), vs = _mm_set1_epi8(p->sep[0]),
		      vq = _mm_set1_epi8(p->quote >= 0 ? (char)p->quote : '\r'),
		      vr = _mm_set1_epi8('\r');
	const uint64_t qkeep = p->quote >= 0 ? ~0ull : 0; /* no quote: its bits are '\r''s */
	__m128i any = _mm_setzero_si128();
	uint64_t carry = 0;
	uint32_t *const cut = g->cut, ncut = 1, nls = 0;
	span_start(g);
	const size_t lim = n < SPAN_BYTES ? n : SPAN_BYTES;
	uint32_t b = 0;
	for (size_t o = 0; o < lim; o += 64, b++) {
		const __m128i *x = (const __m128i *)(const void *)(s + o);
		uint64_t nl = 0, sep = 0, quote = 0, cr = 0;
		for (uint32_t i = 0; i < 4; i++) {
			const __m128i v = _mm_loadu_si128(x + i);
			any = _mm_or_si128(any, v);
			nl |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vn)) << 16 * i;
			sep |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vs)) << 16 * i;
			quote |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq)) << 16 * i;
			cr |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vr)) << 16 * i;
		}
		const uint64_t bad = span_bad(&nl, &sep, quote & qkeep, cr, n - o, crlf, &carry);
		ncut = span_flatten(cut, ncut, b * 64 + 1, nl | sep);
		if (!span_block(g, b, nl, bad, want, &nls)) {
			b++;
			break;
		}
	}
	span_end(g, b, ncut, nls);
	g->ascii = _mm_movemask_epi8(any) == 0;
}
#endif

#if CSV_AVX2
/* The same with 32-byte compares (the CPU has AVX2 and no test said
 * rp_set_avx2 false); lines ended by '\n' alone (crlf false: inlined with
 * it a constant) look for the quote and '\r' with one mask. */
__attribute__((target("avx2,bmi,bmi2"))) static inline uint64_t span_bits(__m256i v0, __m256i v1)
{
	return (uint64_t)(uint32_t)_mm256_movemask_epi8(v0) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(v1) << 32;
}

__attribute__((target("avx2,bmi,bmi2"))) static inline __attribute__((always_inline)) void
span_scan_avx2(const struct sl_recparse *p, const char *s, size_t n, uint32_t want, bool crlf,
	       struct span_group *g)
{
	const __m256i vn = _mm256_set1_epi8('\n'), vs = _mm256_set1_epi8(p->sep[0]),
		      vq = _mm256_set1_epi8(p->quote >= 0 ? (char)p->quote : '\r'),
		      vr = _mm256_set1_epi8('\r');
	const uint64_t qkeep = p->quote >= 0 ? ~0ull : 0; /* no quote: its bits are '\r''s */
	__m256i any = _mm256_setzero_si256();
	uint64_t carry = 0;
	uint32_t *const cut = g->cut, ncut = 1, nls = 0;
	span_start(g);
	const size_t lim = n < SPAN_BYTES ? n : SPAN_BYTES;
	uint32_t b = 0;
	for (size_t o = 0; o < lim; o += 64, b++) {
		const __m256i *x = (const __m256i *)(const void *)(s + o);
		const __m256i v0 = _mm256_loadu_si256(x), v1 = _mm256_loadu_si256(x + 1);
		any = _mm256_or_si256(any, _mm256_or_si256(v0, v1));
		uint64_t nl = span_bits(_mm256_cmpeq_epi8(v0, vn), _mm256_cmpeq_epi8(v1, vn)),
			 sep = span_bits(_mm256_cmpeq_epi8(v0, vs), _mm256_cmpeq_epi8(v1, vs)), quote, cr = 0;
		if (crlf) {
			quote = span_bits(_mm256_cmpeq_epi8(v0, vq), _mm256_cmpeq_epi8(v1, vq)) & qkeep;
			cr = span_bits(_mm256_cmpeq_epi8(v0, vr), _mm256_cmpeq_epi8(v1, vr));
		} else {
			quote = span_bits(_mm256_or_si256(_mm256_cmpeq_epi8(v0, vq), _mm256_cmpeq_epi8(v0, vr)),
					  _mm256_or_si256(_mm256_cmpeq_epi8(v1, vq), _mm256_cmpeq_epi8(v1, vr)));
		}
		const uint64_t bad = span_bad(&nl, &sep, quote, cr, n - o, crlf, &carry);
		ncut = span_flatten_bmi(cut, ncut, b * 64 + 1, nl | sep);
		if (!span_block(g, b, nl, bad, want, &nls)) {
			b++;
			break;
		}
	}
	span_end(g, b, ncut, nls);
	g->ascii = _mm256_movemask_epi8(any) == 0;
}

__attribute__((target("avx2,bmi,bmi2"))) static void
span_scan_avx2_lf(const struct sl_recparse *p, const char *s, size_t n, uint32_t want,
		  struct span_group *g)
{
	span_scan_avx2(p, s, n, want, false, g);
}

__attribute__((target("avx2,bmi,bmi2"))) static void
span_scan_avx2_crlf(const struct sl_recparse *p, const char *s, size_t n, uint32_t want,
		    struct span_group *g)
{
	span_scan_avx2(p, s, n, want, true, g);
}
#endif

#if CSV_AVX2
/*
 * The same with 64-byte compares into mask registers (the CPU has
 * AVX-512 F, BW and VBMI2, and no test said rp_set_avx512 false): a
 * block's cuts are its byte numbers compressed (vpcompressb) to the
 * front of a vector, widened and stored 16 at a time, instead of one
 * tzcnt and store per cut.
 */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi2,bmi,bmi2,popcnt"))) static inline
	__attribute__((always_inline)) void
	span_scan_avx512(const struct sl_recparse *p, const char *s, size_t n, uint32_t want,
			 bool crlf, struct span_group *g)
{
	static const uint8_t iota[64] = {
		0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
		22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
		44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
	const __m512i vn = _mm512_set1_epi8('\n'), vs = _mm512_set1_epi8(p->sep[0]),
		      vq = _mm512_set1_epi8(p->quote >= 0 ? (char)p->quote : '\r'),
		      vr = _mm512_set1_epi8('\r'), bytes = _mm512_loadu_si512(iota);
	const uint64_t qkeep = p->quote >= 0 ? ~0ull : 0; /* no quote: its bits are '\r''s */
	uint64_t high = 0, carry = 0;
	uint32_t *const cut = g->cut, ncut = 1, nls = 0;
	span_start(g);
	const size_t lim = n < SPAN_BYTES ? n : SPAN_BYTES;
	uint32_t b = 0;
	for (size_t o = 0; o < lim; o += 64, b++) {
		const __m512i v = _mm512_loadu_si512(s + o);
		high |= _mm512_movepi8_mask(v);
		uint64_t nl = _mm512_cmpeq_epi8_mask(v, vn), sep = _mm512_cmpeq_epi8_mask(v, vs),
			 quote = _mm512_cmpeq_epi8_mask(v, vq), cr = _mm512_cmpeq_epi8_mask(v, vr);
		/* without crlf the quote's and the '\r''s bits ORed */
		const uint64_t bad = crlf ? span_bad(&nl, &sep, quote & qkeep, cr, n - o, true, &carry)
					  : span_bad(&nl, &sep, quote | cr, 0, n - o, false, &carry);
		const uint64_t ev = nl | sep;
		const uint32_t cnt = (uint32_t)_mm_popcnt_u64(ev);
		const __m512i base = _mm512_set1_epi32((int)(b * 64 + 1));
		/* 16 byte numbers a store, the next 16 rotated to the front */
		__m512i at = _mm512_maskz_compress_epi8(ev, bytes);
		for (uint32_t i = 0; i < cnt; i += 16) {
			_mm512_storeu_si512(cut + ncut + i,
					    _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_castsi512_si128(at)),
							     base));
			at = _mm512_alignr_epi32(at, at, 4);
		}
		ncut += cnt;
		if (!span_block(g, b, nl, bad, want, &nls)) {
			b++;
			break;
		}
	}
	span_end(g, b, ncut, nls);
	/* the padding past the span may say so wrongly, never the other way */
	g->ascii = high == 0;
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi2,bmi,bmi2,popcnt"))) static void
span_scan_avx512_lf(const struct sl_recparse *p, const char *s, size_t n, uint32_t want,
		    struct span_group *g)
{
	span_scan_avx512(p, s, n, want, false, g);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi2,bmi,bmi2,popcnt"))) static void
span_scan_avx512_crlf(const struct sl_recparse *p, const char *s, size_t n, uint32_t want,
		      struct span_group *g)
{
	span_scan_avx512(p, s, n, want, true, g);
}
#endif

/* The '\n's of the group's bytes [0, x) (x within the blocks scanned). */
static inline uint32_t span_nls(const struct span_group *g, uint32_t x)
{
	const uint32_t b = x / 64, r = x % 64;
	return g->nlc[b] + (r ? (uint32_t)__builtin_popcountll(g->nl[b] << (64 - r)) : 0);
}

/* How many leading lines of the scanned group (at most want) are plain:
 * nd fields, ended before its bad byte, not blank, not a comment, not
 * begun by white space (what rp_csv_line looks at first), within
 * max_line ('\r' not counted). s: the group's start. */
static uint32_t span_check(const struct sl_recparse *p, const char *s, const struct span_group *g,
			   uint32_t nd, uint32_t want, uint32_t crlf, uint64_t max_line)
{
	uint32_t m = g->nls < want ? g->nls : want;
	if (m > (g->ncut - 1) / nd)
		m = (g->ncut - 1) / nd; /* the cuts read below were written */
	const int comment = p->comment;
	const bool any_len = max_line >= SPAN_BYTES; /* no group's line is longer */
	const uint32_t *last = g->cut + nd;
	uint32_t start = 0, j;
	for (j = 0; j < m; j++, last += nd) {
		/* a line of nd - 1 seps: its nd-th cut follows its '\n' */
		const uint32_t end = *last;
		const int c = (unsigned char)s[start];
		if (s[end - 1] != '\n' || is_ws((char)c) || c == comment)
			break;
		if (!any_len && end - 1 - crlf - start > max_line)
			break;
		start = end;
	}
	/* the lines that end before the bad byte (they come first) */
	while (j > 0 && g->cut[j * nd] > g->bad)
		j--;
	/* and no '\n' among the other cuts: as many '\n's before the last
	 * line's end as lines (rare: else the first line with fewer) */
	if (j > 0 && span_nls(g, g->cut[j * nd]) != j) {
		uint32_t k = 0;
		while (span_nls(g, g->cut[(k + 1) * nd]) == k + 1)
			k++;
		j = k;
	}
	return j;
}

/* Where a converter finds a group's fields (struct span_group's cuts):
 * offsets from base; trim 1 for lines that end with "\r\n" (the last
 * field ends before the '\r'). */
struct span_cuts {
	const char *base;
	const uint32_t *cut;
	uint32_t nd;
	uint32_t trim;
};

/* Bytes to take off field k's end besides its sep or '\n'. */
static inline uint32_t span_trim(const struct span_cuts *c, uint32_t k)
{
	return 1 + (k + 1 == c->nd ? c->trim : 0);
}

/* Column k's vector from row `row` on, its first m null flags cleared
 * (not null, all at once: a row past a field that stops the column is
 * written again, whole, by the per-line way or the next burst). A copy
 * that no store into the rows can alias: its arrays stay in registers. */
static inline __attribute__((always_inline)) struct sl_vec burst_vec(const struct sl_vec *v,
								     enum sl_type t, uint32_t row,
								     uint32_t m)
{
	struct sl_vec vc = *v;
	vc.nulls += row;
	if (t == SL_TYPE_STRING)
		vc.v.str += row;
	else if (t == SL_TYPE_DOUBLE)
		vc.v.f64 += row;
	else
		vc.v.i64 += row;
	memset(vc.nulls, 0, m);
	return vc;
}

/* Column k's fields of lines [from, to), of type t, one at a time into
 * vc (burst_vec's): the first line whose field is not taken, or `to`. */
static inline __attribute__((always_inline)) uint32_t
burst_fields(struct sl_recparse *p, const struct csv_fast *fc, enum sl_type t,
	     const struct span_cuts *c, uint32_t k, struct sl_vec *vc, uint32_t from, uint32_t to)
{
	const uint32_t nd = c->nd, tk = span_trim(c, k);
	for (uint32_t j = from; j < to; j++) {
		const uint32_t *q = c->cut + j * nd + k;
		const char *s = c->base + q[0];
		/* a span has SL_RECPARSE_PADDING readable bytes after it, so
		 * at least that many follow any field's start */
		if (!csv_fast_value(p, fc, t, s, q[1] - q[0] - tk, s + SL_RECPARSE_PADDING, vc, j))
			return j;
	}
	return to;
}

/* Column k of lines [0, m), of type t, converted into rows row..: how many
 * leading lines it took (a field it does not take stops it). Inlined with
 * t a constant, so that csv_fast_value's switch folds away. */
static inline __attribute__((always_inline)) uint32_t
burst_loop(struct sl_recparse *p, const struct csv_fast *f, enum sl_type t,
	   const struct span_cuts *c, uint32_t m, uint32_t k, struct sl_vec *v, uint32_t row)
{
	/* the parser's settings in a copy, as the column's vector */
	const struct csv_fast fc = *f;
	struct sl_vec vc = burst_vec(v, t, row, m);
	return burst_fields(p, &fc, t, c, k, &vc, 0, m);
}

#if CSV_AVX2
/*
 * Four fields at a time (AVX2): a column's fields of four lines, one in
 * each 64-bit lane of a vector, checked and converted at once when all
 * four are of the plain form a function below takes; a group with another
 * field goes one field at a time (burst_fields), and the first field that
 * does not convert stops the column there. Each lane is read with 8-byte
 * loads from its field's start (a padded line has SL_RECPARSE_PADDING
 * bytes after it) and compared as rp_fast_* compare, so the values are
 * theirs exactly. Scalar, an INT field cost about 60 instructions of a
 * sales row, a DOUBLE about 95 and a TIMESTAMP about 110; a group of four
 * costs about as much as one of them did.
 */

/* r, once the lanes taken so far are counted (a local count: stores into
 * the rows may alias the parser's). */
static inline uint32_t lanes_counted(struct sl_recparse *p, uint64_t lanes, uint32_t r)
{
	p->lane_fields += lanes;
	return r;
}

/* Lines j..j+3's field k: its cut and the next, lane r (line j + r):
 * the field's start in the low half, its end + 1 (+ 1 more before a
 * '\r' that ends a line) in the high. */
__attribute__((target("avx2"))) static inline __m256i lanes_cuts(const struct span_cuts *c,
								 uint32_t j, uint32_t k)
{
	const uint32_t nd = c->nd;
	const uint32_t *q = c->cut + j * nd + k;
	long long w[4];
	for (uint32_t r = 0; r < 4; r++)
		memcpy(&w[r], q + r * nd, 8);
	return _mm256_set_epi64x(w[3], w[2], w[1], w[0]);
}

/* lanes_cuts' field starts (offsets from c->base). */
__attribute__((target("avx2"))) static inline __m256i lanes_start(__m256i w)
{
	return _mm256_and_si256(w, _mm256_set1_epi64x(0xFFFFFFFF));
}

/* lanes_cuts' field lengths (field k's). */
__attribute__((target("avx2"))) static inline __m256i lanes_len(const struct span_cuts *c,
								 uint32_t k, __m256i w)
{
	return _mm256_sub_epi64(_mm256_sub_epi64(_mm256_srli_epi64(w, 32), lanes_start(w)),
				_mm256_set1_epi64x(span_trim(c, k)));
}

/* Lines j..j+3's field k: where each starts (s) and its length (the lanes
 * of the result). */
__attribute__((target("avx2"))) static inline __m256i lanes_fields(const struct span_cuts *c,
								   uint32_t j, uint32_t k,
								   const char **s)
{
	const uint32_t *q = c->cut + j * c->nd + k;
	for (uint32_t r = 0; r < 4; r++)
		s[r] = c->base + q[r * c->nd];
	return lanes_len(c, k, lanes_cuts(c, j, k));
}

/* The 8 bytes at s[r] + off, lane r. */
__attribute__((target("avx2"))) static inline __m256i lanes_load(const char *const *s, uint32_t off)
{
	return _mm256_set_epi64x((long long)rp_load64(s[3] + off), (long long)rp_load64(s[2] + off),
				 (long long)rp_load64(s[1] + off), (long long)rp_load64(s[0] + off));
}

/* A lane's first n bytes (n <= 8) moved to its top, '0's below them: a
 * number's digits then end the lane. n = 0 leaves all '0's (the callers
 * refuse that length). */
__attribute__((target("avx2"))) static inline __m256i lanes_top(__m256i w, __m256i n)
{
	const __m256i v64 = _mm256_set1_epi64x(64);
	const __m256i sh = _mm256_sub_epi64(v64, _mm256_slli_epi64(n, 3));
	return _mm256_or_si256(_mm256_sllv_epi64(w, sh),
			       _mm256_srlv_epi64(_mm256_set1_epi8('0'), _mm256_sub_epi64(v64, sh)));
}

/* 0xFF in each byte that is '0'..'9': its high nibble 3, and still 3 after
 * adding 6 (bytewise: no carry into the next byte). */
__attribute__((target("avx2"))) static inline __m256i lanes_digits(__m256i w)
{
	const __m256i c0 = _mm256_set1_epi8('0'), chi = _mm256_set1_epi8((char)0xF0);
	return _mm256_and_si256(
		_mm256_cmpeq_epi8(_mm256_and_si256(w, chi), c0),
		_mm256_cmpeq_epi8(_mm256_and_si256(_mm256_add_epi8(w, _mm256_set1_epi8(6)), chi), c0));
}

/* Each lane's 8 digit bytes as a number (the first byte the most
 * significant): digit pairs times (10, 1), pairs of pairs times (100, 1),
 * the two halves times (10000, 1). */
__attribute__((target("avx2"))) static inline __m256i lanes_value8(__m256i w)
{
	__m256i q = _mm256_maddubs_epi16(_mm256_sub_epi8(w, _mm256_set1_epi8('0')),
					 _mm256_set1_epi16(0x010A));
	q = _mm256_madd_epi16(q, _mm256_set1_epi32(0x00010064));
	return _mm256_add_epi64(_mm256_mul_epu32(q, _mm256_set1_epi64x(10000)),
				_mm256_srli_epi64(q, 32));
}

/* True when every byte of every lane of ok is 0xFF. */
__attribute__((target("avx2"))) static inline bool lanes_all(__m256i ok)
{
	return _mm256_movemask_epi8(ok) == -1;
}

/* STRING: 1 byte or more, within max_chars_per_column, not null_value's
 * length: the field as it is, its start and length written for four
 * rows at once. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) uint32_t
burst_strs_avx2(struct sl_recparse *p, const struct csv_fast *f, const struct span_cuts *cuts,
		uint32_t m, uint32_t k, struct sl_vec *v, uint32_t row)
{
	uint64_t lanes = 0; /* fields taken four at a time (p->lane_fields) */
	/* the cuts' place in a copy: kept in registers across the stores */
	const struct span_cuts cc = *cuts, *c = &cc;
	_Static_assert(sizeof(struct sl_str) == 16 && offsetof(struct sl_str, len) == 8,
		       "a string is its pointer, then its length in the next 8 bytes");
	const struct csv_fast fc = *f;
	struct sl_vec vc = burst_vec(v, SL_TYPE_STRING, row, m);
	const int64_t lmax = fc.max_chars < INT64_MAX ? (int64_t)fc.max_chars : INT64_MAX - 1;
	const __m256i vmax = _mm256_set1_epi64x(lmax + 1), vzero = _mm256_setzero_si256(),
		      vnull = _mm256_set1_epi64x(fc.null_len),
		      base = _mm256_set1_epi64x((long long)(uintptr_t)c->base);
	uint32_t j = 0;
	for (; j + 4 <= m; j += 4) {
		const __m256i w = lanes_cuts(c, j, k);
		const __m256i n = lanes_len(c, k, w);
		const __m256i ok = _mm256_andnot_si256(
			_mm256_cmpeq_epi64(n, vnull),
			_mm256_and_si256(_mm256_cmpgt_epi64(n, vzero), _mm256_cmpgt_epi64(vmax, n)));
		if (lanes_all(ok)) {
			const __m256i st = _mm256_add_epi64(base, lanes_start(w));
			/* (s0 n0 s2 n2), (s1 n1 s3 n3): rows j, j+1 and j+2, j+3 */
			const __m256i lo = _mm256_unpacklo_epi64(st, n), hi = _mm256_unpackhi_epi64(st, n);
			__m256i *out = (__m256i *)(void *)(vc.v.str + j);
			_mm256_storeu_si256(out, _mm256_permute2x128_si256(lo, hi, 0x20));
			_mm256_storeu_si256(out + 1, _mm256_permute2x128_si256(lo, hi, 0x31));
			lanes += 4;
			continue;
		}
		const uint32_t r = burst_fields(p, &fc, SL_TYPE_STRING, c, k, &vc, j, j + 4);
		if (r < j + 4)
			return lanes_counted(p, lanes, r);
	}
	return lanes_counted(p, lanes, burst_fields(p, &fc, SL_TYPE_STRING, c, k, &vc, j, m));
}

/* INT or BIGINT: 1 to 8 digits, no sign, not null_value's length, within
 * max_chars_per_column (8 digits always fit an INT). */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) uint32_t
burst_ints_avx2(struct sl_recparse *p, const struct csv_fast *f, enum sl_type t,
		const struct span_cuts *cuts, uint32_t m, uint32_t k, struct sl_vec *v, uint32_t row)
{
	uint64_t lanes = 0; /* fields taken four at a time (p->lane_fields) */
	/* the cuts' place in a copy: kept in registers across the stores */
	const struct span_cuts cc = *cuts, *c = &cc;
	const struct csv_fast fc = *f;
	struct sl_vec vc = burst_vec(v, t, row, m);
	/* the plain lengths: 1 to lmax, and not null_value's */
	const int64_t lmax = fc.max_chars < 8 ? (int64_t)fc.max_chars : 8;
	const __m256i vmax = _mm256_set1_epi64x(lmax + 1), vzero = _mm256_setzero_si256(),
		      vnull = _mm256_set1_epi64x(fc.null_len);
	uint32_t j = 0;
	for (; j + 4 <= m; j += 4) {
		const char *s[4];
		const __m256i n = lanes_fields(c, j, k, s);
		const __m256i w = lanes_top(lanes_load(s, 0), n);
		const __m256i ok = _mm256_and_si256(
			_mm256_andnot_si256(_mm256_cmpeq_epi64(n, vnull),
					    _mm256_and_si256(_mm256_cmpgt_epi64(n, vzero),
							     _mm256_cmpgt_epi64(vmax, n))),
			lanes_digits(w));
		if (lanes_all(ok)) {
			_mm256_storeu_si256((__m256i *)(void *)(vc.v.i64 + j), lanes_value8(w));
			lanes += 4;
			continue;
		}
		const uint32_t r = burst_fields(p, &fc, t, c, k, &vc, j, j + 4);
		if (r < j + 4)
			return lanes_counted(p, lanes, r);
	}
	return lanes_counted(p, lanes, burst_fields(p, &fc, t, c, k, &vc, j, m));
}

/* w[0..n) as text a plain DOUBLE lane could hold (digits and '.'): its
 * length; else 0 (no plain field can equal it). For null_value, nan_value
 * and the infinities, which a plain field must be told apart from. */
static uint32_t digits_len(const char *w, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!(w[i] == '.' || (w[i] >= '0' && w[i] <= '9')))
			return 0;
	return n;
}

/*
 * DOUBLE: 1 to 8 bytes of digits with at most one '.', which has a digit
 * before and after it; no sign; within max_chars_per_column; not of the
 * length of null_value, nan_value or an infinity that is itself digits and
 * '.'. rp_fast_double's value: the digits m over 10^frac, correctly rounded
 * by one division. With the '.' read as a '0', a lane's 8 digits are V =
 * I * 10^(frac + 1) + F (I the integer part, F the fraction's digits):
 * V + 9 F = 10 m, and (V + 9 F) / 10^(frac + 1) is the same quotient,
 * rounded the same. 10^frac is read the same way, from a '1' where the '.'
 * is.
 */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) uint32_t
burst_doubles_avx2(struct sl_recparse *p, const struct csv_fast *f, const struct span_cuts *cuts,
		   uint32_t m, uint32_t k, struct sl_vec *v, uint32_t row)
{
	uint64_t lanes = 0; /* fields taken four at a time (p->lane_fields) */
	/* the cuts' place in a copy: kept in registers across the stores */
	const struct span_cuts cc = *cuts, *c = &cc;
	const struct csv_fast fc = *f;
	struct sl_vec vc = burst_vec(v, SL_TYPE_DOUBLE, row, m);
	const int64_t lmax = fc.max_chars < 8 ? (int64_t)fc.max_chars : 8;
	const __m256i vmax = _mm256_set1_epi64x(lmax + 1), vzero = _mm256_setzero_si256(),
		      x1 = _mm256_set1_epi64x(digits_len(fc.null_value, fc.null_len)),
		      x2 = _mm256_set1_epi64x(digits_len(fc.nan_value, fc.nan_len)),
		      x3 = _mm256_set1_epi64x(digits_len(fc.pos_inf, fc.pos_inf_len)),
		      x4 = _mm256_set1_epi64x(digits_len(fc.neg_inf, fc.neg_inf_len)),
		      one = _mm256_set1_epi64x(1), c0 = _mm256_set1_epi8('0'),
		      cdot = _mm256_set1_epi8('.'), b1 = _mm256_set1_epi8(1),
		      top = _mm256_set1_epi64x((long long)0xFF00000000000000ull),
		      /* 2^52's bits: an integer below 2^52 ORed in is a double
		       * 2^52 above its value */
		      magic = _mm256_set1_epi64x(0x4330000000000000ll);
	const __m256d dmagic = _mm256_castsi256_pd(magic), d10 = _mm256_set1_pd(10.0),
		      d1 = _mm256_set1_pd(1.0);
	uint32_t j = 0;
	for (; j + 4 <= m; j += 4) {
		const char *s[4];
		const __m256i n = lanes_fields(c, j, k, s);
		const __m256i w = lanes_top(lanes_load(s, 0), n);
		/* the '.': d its byte (0xFF), dots one bit a '.' */
		const __m256i d = _mm256_cmpeq_epi8(w, cdot);
		const __m256i dots = _mm256_and_si256(d, b1);
		/* lengths 1..lmax, none of the special values' */
		__m256i ok = _mm256_and_si256(_mm256_cmpgt_epi64(n, vzero), _mm256_cmpgt_epi64(vmax, n));
		ok = _mm256_andnot_si256(
			_mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi64(n, x1), _mm256_cmpeq_epi64(n, x2)),
					_mm256_or_si256(_mm256_cmpeq_epi64(n, x3), _mm256_cmpeq_epi64(n, x4))),
			ok);
		/* at most one '.', not the last byte, not the text's first
		 * (at byte 8 - n: 0xFF shifted as lanes_top shifts) */
		ok = _mm256_and_si256(
			ok, _mm256_cmpeq_epi64(_mm256_and_si256(dots, _mm256_sub_epi64(dots, one)), vzero));
		ok = _mm256_and_si256(ok, _mm256_cmpeq_epi64(_mm256_and_si256(d, top), vzero));
		const __m256i first = _mm256_sllv_epi64(
			_mm256_set1_epi64x(0xFF), _mm256_sub_epi64(_mm256_set1_epi64x(64), _mm256_slli_epi64(n, 3)));
		ok = _mm256_and_si256(ok, _mm256_cmpeq_epi64(_mm256_and_si256(d, first), vzero));
		/* every other byte a digit, the '.' read as '0' */
		const __m256i wd = _mm256_blendv_epi8(w, c0, d);
		ok = _mm256_and_si256(ok, lanes_digits(wd));
		if (lanes_all(ok)) {
			/* the bytes past the '.' (none without one): d | (L - 1),
			 * L d's lowest bit, covers the '.' and all below it */
			const __m256i low = _mm256_and_si256(d, _mm256_sub_epi64(vzero, d));
			const __m256i upto = _mm256_or_si256(d, _mm256_sub_epi64(low, one));
			const __m256i fw = _mm256_or_si256(_mm256_andnot_si256(upto, wd),
							   _mm256_and_si256(upto, c0));
			const __m256i vv = lanes_value8(wd), fv = lanes_value8(fw),
				      pv = lanes_value8(_mm256_add_epi8(c0, dots)); /* 10^frac */
			/* V + 9 F and 10 * 10^frac (1 without a '.'), both below
			 * 2^52: exact doubles */
			const __m256i num = _mm256_add_epi64(vv, _mm256_add_epi64(_mm256_slli_epi64(fv, 3), fv));
			const __m256d nd = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(num, magic)),
							 dmagic);
			__m256d den = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(pv, magic)), dmagic);
			den = _mm256_blendv_pd(_mm256_mul_pd(den, d10), d1,
					       _mm256_castsi256_pd(_mm256_cmpeq_epi64(dots, vzero)));
			_mm256_storeu_pd(vc.v.f64 + j, _mm256_div_pd(nd, den));
			lanes += 4;
			continue;
		}
		const uint32_t r = burst_fields(p, &fc, SL_TYPE_DOUBLE, c, k, &vc, j, j + 4);
		if (r < j + 4)
			return lanes_counted(p, lanes, r);
	}
	return lanes_counted(p, lanes, burst_fields(p, &fc, SL_TYPE_DOUBLE, c, k, &vc, j, m));
}

/*
 * TIMESTAMP (no timestamp_format) of the date in the parser's cache
 * (rp_fast_timestamp_cached's hit): 19 or 21 to 26 bytes, not null_value's
 * length, within max_chars_per_column; the date's 10 bytes equal to the
 * cached ones, then ' ' or 'T'; "HH:mm:ss" digits and colons with HH <= 23,
 * mm and ss <= 59; with a fraction, '.' and 1 to 6 digits. The same checks
 * and arithmetic as rp_fast_timestamp_cached: "HH:mm:ss" less its '0's and
 * ':'s is (H H 0 m m 0 s s), whose bytes times (10 1 0 10 1 0 10 1), in
 * pairs, are (HH, 10 m, m, ss) and those times (3600, 60, 60, 1) add up to
 * the second of the day; the fraction is shifted into place as the scalar
 * way does and read as an 8-digit number of microseconds. A group with
 * another field (a new date, most often) goes one field at a time, which
 * fills the cache for the next.
 */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) uint32_t
burst_ts_avx2(struct sl_recparse *p, const struct csv_fast *f, const struct span_cuts *cuts,
	      uint32_t m, uint32_t k, struct sl_vec *v, uint32_t row)
{
	uint64_t lanes = 0; /* fields taken four at a time (p->lane_fields) */
	/* the cuts' place in a copy: kept in registers across the stores */
	const struct span_cuts cc = *cuts, *c = &cc;
	const struct csv_fast fc = *f;
	struct sl_vec vc = burst_vec(v, SL_TYPE_TIMESTAMP, row, m);
	const int64_t lmax = fc.max_chars < 26 ? (int64_t)fc.max_chars : 26;
	/* "HH:mm:ss": digit bytes and ':' bytes (rp_fast_timestamp_cached's) */
	const uint64_t tdig = 0xFFFF00FFFF00FFFFull, tsep = 0x00003A00003A0000ull,
		       z = 0x3030303030303030ull, hi = 0xF0F0F0F0F0F0F0F0ull;
	const __m256i vmax = _mm256_set1_epi64x(lmax + 1), v18 = _mm256_set1_epi64x(18),
		      v19 = _mm256_set1_epi64x(19), v20 = _mm256_set1_epi64x(20),
		      v26 = _mm256_set1_epi64x(26), vnull = _mm256_set1_epi64x(fc.null_len),
		      v64 = _mm256_set1_epi64x(64), ones = _mm256_set1_epi64x(-1),
		      tkeep = _mm256_set1_epi64x((long long)((hi & tdig) | ~tdig)),
		      tform = _mm256_set1_epi64x((long long)((z & tdig) | tsep)),
		      tsix = _mm256_set1_epi64x((long long)(0x0606060606060606ull & tdig)),
		      thi = _mm256_set1_epi64x((long long)(hi & tdig)),
		      tz = _mm256_set1_epi64x((long long)(z & tdig)),
		      c0 = _mm256_set1_epi8('0'), lo16 = _mm256_set1_epi64x(0xFFFF),
		      fill16 = _mm256_set1_epi64x(0x3030), dot = _mm256_set1_epi64x('.' << 8),
		      dotmask = _mm256_set1_epi64x(0xFF00), d3 = _mm256_set1_epi64x(0xFFFFFF),
		      w1e6 = _mm256_set1_epi64x(1000000),
		      /* (H H 0 m m 0 s s) times these bytes, pairs added: (HH, 10 m, m, ss) */
		      wt = _mm256_set1_epi64x((long long)0x010A00010A00010Aull),
		      /* those pairs' weights and limits */
		      wsod = _mm256_set1_epi64x((long long)(3600ull | 60ull << 16 | 60ull << 32 |
							    1ull << 48)),
		      tlim = _mm256_set1_epi64x((long long)(23ull | 50ull << 16 | 9ull << 32 |
							    59ull << 48));
	__m256i date8, date_sp, date_t, base;
	for (uint32_t j = 0;; j += 4) {
		/* the cached date (again after a group one field at a time,
		 * which may have cached another) */
		date8 = _mm256_set1_epi64x((long long)p->ts_cache.date8);
		date_sp = _mm256_set1_epi64x((long long)(p->ts_cache.date2 | (uint64_t)' ' << 16));
		date_t = _mm256_set1_epi64x((long long)(p->ts_cache.date2 | (uint64_t)'T' << 16));
		base = _mm256_set1_epi64x(p->ts_cache.days * 86400 * 1000000);
		for (; j + 4 <= m; j += 4) {
			const char *s[4];
			const __m256i vn = lanes_fields(c, j, k, s);
			/* the date and the byte after it; "HH:mm:ss"; the 8
			 * bytes that end the text (a text under 19 bytes is
			 * refused: any 8 of the line) */
			const __m256i a = lanes_load(s, 0),
				      b = _mm256_and_si256(lanes_load(s, 8), d3),
				      t = lanes_load(s, 11);
			int64_t n[4];
			_mm256_storeu_si256((__m256i *)(void *)n, vn);
			const char *const e[4] = {s[0] + (n[0] < 19 ? 11 : n[0] - 8),
						  s[1] + (n[1] < 19 ? 11 : n[1] - 8),
						  s[2] + (n[2] < 19 ? 11 : n[2] - 8),
						  s[3] + (n[3] < 19 ? 11 : n[3] - 8)};
			__m256i fr = lanes_load(e, 0);
			/* lengths: 19 or 21..26, within max_chars, not null_value's */
			__m256i ok = _mm256_and_si256(
				_mm256_and_si256(_mm256_cmpgt_epi64(vn, v18), _mm256_cmpgt_epi64(vmax, vn)),
				_mm256_andnot_si256(_mm256_or_si256(_mm256_cmpeq_epi64(vn, v20),
								    _mm256_cmpeq_epi64(vn, vnull)),
						    ones));
			/* the cached date, then ' ' or 'T' */
			ok = _mm256_and_si256(ok, _mm256_cmpeq_epi64(a, date8));
			ok = _mm256_and_si256(ok, _mm256_or_si256(_mm256_cmpeq_epi64(b, date_sp),
								  _mm256_cmpeq_epi64(b, date_t)));
			/* "HH:mm:ss" */
			ok = _mm256_and_si256(ok, _mm256_cmpeq_epi64(_mm256_and_si256(t, tkeep), tform));
			ok = _mm256_and_si256(
				ok, _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_add_epi8(t, tsix), thi), tz));
			const __m256i tp = _mm256_maddubs_epi16(_mm256_sub_epi8(t, tform), wt);
			ok = _mm256_andnot_si256(_mm256_cmpgt_epi16(tp, tlim), ok);
			/* the fraction: byte i is s[18 + i] once shifted by
			 * 26 - n bytes; s[19] the '.' when n > 19; bytes 0, 1
			 * and those past the text made '0' */
			const __m256i r8 = _mm256_slli_epi64(_mm256_sub_epi64(v26, vn), 3);
			fr = _mm256_srlv_epi64(fr, r8);
			ok = _mm256_and_si256(
				ok, _mm256_or_si256(_mm256_cmpeq_epi64(vn, v19),
						    _mm256_cmpeq_epi64(_mm256_and_si256(fr, dotmask), dot)));
			fr = _mm256_or_si256(
				_mm256_or_si256(_mm256_andnot_si256(lo16, fr), fill16),
				_mm256_and_si256(c0, _mm256_sllv_epi64(ones, _mm256_sub_epi64(v64, r8))));
			ok = _mm256_and_si256(ok, lanes_digits(fr));
			if (!lanes_all(ok))
				break;
			__m256i sod = _mm256_madd_epi16(tp, wsod);
			sod = _mm256_add_epi32(sod, _mm256_srli_epi64(sod, 32));
			const __m256i ts = _mm256_add_epi64(_mm256_add_epi64(base, lanes_value8(fr)),
							    _mm256_mul_epu32(sod, w1e6));
			_mm256_storeu_si256((__m256i *)(void *)(vc.v.i64 + j), ts);
			lanes += 4;
		}
		if (j + 4 > m)
			return lanes_counted(p, lanes, burst_fields(p, &fc, SL_TYPE_TIMESTAMP, c, k, &vc, j, m));
		const uint32_t r =
			burst_fields(p, &fc, SL_TYPE_TIMESTAMP, c, k, &vc, j, j + 4);
		if (r < j + 4)
			return lanes_counted(p, lanes, r);
	}
}
#endif

#if CSV_AVX2
/* Column k converted four fields at a time (AVX2), one loop per type:
 * inlined into a function for AVX2 alone and into one that may use the 32
 * vector registers of AVX-512 VL (fewer constants spilled). */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) uint32_t
burst_column_lanes(struct sl_recparse *p, const struct csv_fast *f, const struct span_cuts *c,
		   uint32_t m, uint32_t k, struct sl_vec *v, enum sl_type t, uint32_t row)
{
	switch (t) {
	case SL_TYPE_STRING:
		return burst_strs_avx2(p, f, c, m, k, v, row);
	case SL_TYPE_INT:
		return burst_ints_avx2(p, f, SL_TYPE_INT, c, m, k, v, row);
	case SL_TYPE_BIGINT:
		return burst_ints_avx2(p, f, SL_TYPE_BIGINT, c, m, k, v, row);
	case SL_TYPE_DOUBLE:
		return burst_doubles_avx2(p, f, c, m, k, v, row);
	default: /* TIMESTAMP without timestamp_format: sl_recparse_bursts */
		return burst_ts_avx2(p, f, c, m, k, v, row);
	}
}

__attribute__((target("avx2"))) static uint32_t burst_column_avx2(struct sl_recparse *p,
								  const struct csv_fast *f,
								  const struct span_cuts *c,
								  uint32_t m, uint32_t k,
								  struct sl_vec *v, enum sl_type t,
								  uint32_t row)
{
	return burst_column_lanes(p, f, c, m, k, v, t, row);
}

__attribute__((target("avx2,avx512f,avx512vl,avx512bw,avx512dq"))) static uint32_t
burst_column_avx512(struct sl_recparse *p, const struct csv_fast *f, const struct span_cuts *c,
		    uint32_t m, uint32_t k, struct sl_vec *v, enum sl_type t, uint32_t row)
{
	return burst_column_lanes(p, f, c, m, k, v, t, row);
}
#endif

/* Column k converted: four fields at a time where the CPU has AVX2, else
 * one at a time (one loop per type). */
static uint32_t burst_column(struct sl_recparse *p, const struct csv_fast *f,
			     const struct span_cuts *c, uint32_t m, uint32_t k, struct sl_vec *v,
			     enum sl_type t, uint32_t row)
{
#if CSV_AVX2
	if (p->avx512)
		return burst_column_avx512(p, f, c, m, k, v, t, row);
	if (p->avx2)
		return burst_column_avx2(p, f, c, m, k, v, t, row);
#endif
	switch (t) {
	case SL_TYPE_STRING:
		return burst_loop(p, f, SL_TYPE_STRING, c, m, k, v, row);
	case SL_TYPE_INT:
		return burst_loop(p, f, SL_TYPE_INT, c, m, k, v, row);
	case SL_TYPE_BIGINT:
		return burst_loop(p, f, SL_TYPE_BIGINT, c, m, k, v, row);
	case SL_TYPE_DOUBLE:
		return burst_loop(p, f, SL_TYPE_DOUBLE, c, m, k, v, row);
	default: /* TIMESTAMP without timestamp_format: sl_recparse_bursts */
		return burst_loop(p, f, SL_TYPE_TIMESTAMP, c, m, k, v, row);
	}
}

#if defined(__SSE2__)
/* The group at s (n bytes to the span's end) scanned, crlf or not: how
 * many of its leading lines are plain (span_check). */
static uint32_t span_group(struct sl_recparse *p, const char *s, size_t n, uint32_t want,
			   bool crlf, uint64_t max_line, struct span_group *g)
{
#if CSV_AVX2
	if (p->avx512 && crlf)
		span_scan_avx512_crlf(p, s, n, want, g);
	else if (p->avx512)
		span_scan_avx512_lf(p, s, n, want, g);
	else if (p->avx2 && crlf)
		span_scan_avx2_crlf(p, s, n, want, g);
	else if (p->avx2)
		span_scan_avx2_lf(p, s, n, want, g);
	else
		span_scan_sse2(p, s, n, want, crlf, g);
#else
	span_scan_sse2(p, s, n, want, crlf, g);
#endif
	return span_check(p, s, g, p->ndata, want, crlf, max_line);
}
#endif

uint32_t sl_recparse_burst_span(struct sl_recparse *p, const char *s, size_t n, uint64_t max_line,
				uint32_t max, struct sl_chunk *out, uint32_t row, size_t *used)
{
	*used = 0;
	p->burst_ascii = false;
#if defined(__SSE2__)
	if (p->want_header || max == 0 || !sl_recparse_bursts(p) ||
	    (p->multi_line && p->scan_state != SC_RECORD))
		return 0;
	if (p->span_cut == NULL)
		return 0; /* not made by sl_recparse_create (fast paths off then) */
	const uint32_t nd = p->ndata;
	const struct csv_fast f = csv_fast_init(p);
	struct span_group g;
	g.cut = p->span_cut;
	bool ascii = true; /* every group's bytes */
	size_t at = 0;
	uint32_t done = 0;
	while (done < max && at < n) {
		const uint32_t want = max - done < SPAN_LINES ? max - done : SPAN_LINES;
		bool crlf = p->span_crlf;
		uint32_t m = span_group(p, s + at, n - at, want, crlf, max_line, &g);
		if (m == 0 && g.nls > 0) {
			/* the first line ends with "\r\n" where the last ended
			 * with '\n' alone, or the other way round: again, the
			 * other way (the file's lines end as its first did) */
			const char *e = memchr(s + at, '\n', n - at);
			if ((e > s + at && e[-1] == '\r') != crlf) {
				crlf = p->span_crlf = !crlf;
				m = span_group(p, s + at, n - at, want, crlf, max_line, &g);
			}
		}
		const uint32_t cut = m;
		const struct span_cuts c = {s + at, g.cut, nd, crlf};
		for (uint32_t k = 0; k < nd && m > 0; k++) {
			const uint32_t col = p->data[k];
			m = burst_column(p, &f, &c, m, k, &out->cols[col], p->cols[col].type,
					 row + done);
		}
		if (m == 0)
			break;
		for (uint32_t j = 0; p->corrupt >= 0 && j < m; j++)
			rp_set_null(out, (uint32_t)p->corrupt, row + done + j);
		ascii = ascii && g.ascii;
		done += m;
		at += g.cut[m * nd];
		if (m < cut)
			break;
	}
	p->burst_ascii = done > 0 && ascii;
	*used = at;
	return done;
#else
	(void)p, (void)s, (void)n, (void)max_line, (void)max, (void)out, (void)row;
	return 0;
#endif
}

/* ------------------------------------------------------------------ */
/* records across lines (multi_line = true)                            */
/* ------------------------------------------------------------------ */


/* Whether byte c ends a separator (multi-byte ones matched as they come). */
static inline bool scan_sep(struct sl_recparse *p, unsigned char c)
{
	if (p->sep_len == 1)
		return c == (unsigned char)p->sep[0];
	if (c == (unsigned char)p->sep[p->scan_sep]) {
		if (++p->scan_sep == p->sep_len) {
			p->scan_sep = 0;
			return true;
		}
		return false;
	}
	p->scan_sep = c == (unsigned char)p->sep[0] ? 1 : 0;
	return false;
}

size_t sl_recparse_scan(struct sl_recparse *p, const char *s, size_t n)
{
	const int q = p->quote;
	const int e = p->escape != q ? p->escape : -1; /* as csv_quoted */
	const int ee = p->escape_escape;
	uint8_t st = p->scan_state;
	for (size_t i = 0; i < n; i++) {
		const int c = (unsigned char)s[i];
	again:
		switch (st) {
		case SC_RECORD:
			if (c == p->comment) {
				st = SC_COMMENT;
				break;
			}
			/* fall through */
		case SC_FIELD:
			if (c == '\n')
				goto end;
			if (c == q) {
				p->scan_sep = 0;
				st = SC_QUOTED;
				break;
			}
			if (p->ignore_leading && c <= ' ' && p->sep_len == 1 &&
			    c != (unsigned char)p->sep[0]) {
				st = SC_FIELD;
				break;
			}
			st = SC_PLAIN;
			goto again;
		case SC_PLAIN:
			if (c == '\n')
				goto end;
			if (scan_sep(p, (unsigned char)c))
				st = SC_FIELD;
			break;
		case SC_QUOTED:
			if (c == q)
				st = SC_QUOTE;
			else if (c == e)
				st = SC_ESCAPE;
			else if (c == ee && ee != e && e >= 0)
				st = SC_ESC_ESC;
			break;
		case SC_QUOTE:
			if (c == q) {
				st = SC_QUOTED; /* a doubled quote */
				break;
			}
			st = SC_PLAIN; /* closed: up to the separator */
			goto again;
		case SC_ESCAPE:
			st = SC_QUOTED;
			if (c == q || (ee == e && c == e))
				break; /* <escape>" or <escape><escape>: taken */
			goto again; /* a lone escape is itself */
		case SC_ESC_ESC:
			st = SC_QUOTED;
			if (c == e)
				break;
			goto again;
		case SC_COMMENT:
			if (c == '\n')
				goto end;
			break;
		}
		continue;
	end:
		p->scan_state = SC_RECORD;
		p->scan_sep = 0;
		return i;
	}
	p->scan_state = st;
	return n;
}
