/*
 * recparse_json.c — one JSON object per line (JSON Lines), as Spark's JSON
 * source reads it with a given schema (JacksonParser, multiLine = false).
 * The JSON itself is simdjson's (json_simdjson.h), except for the common
 * line that json_flat reads on its own (one flat object of printable ASCII
 * without escapes: below) with the same result; the rules here are
 * Spark's:
 *
 *  - a line of only spaces, tabs, \r and \n: no record (Spark skips it);
 *  - anything but one valid JSON object: malformed, every column NULL;
 *  - top-level fields match columns by exact, case-sensitive name
 *    (StructType.getFieldIndex); fields no column names are checked and
 *    skipped; a name given twice: the last value wins; a column no field
 *    names, or a JSON null: NULL;
 *  - a column named "a.b" (dots) reads field b of the object in field a,
 *    at any depth (the walk enters objects that lead to such columns,
 *    sl_simdjson_enter); a parent missing, null or not an object: NULL, not
 *    malformed; a top-level field literally named "a.b" wins, before or
 *    after the nested one (p->jstate keeps what set each column);
 *  - a value that does not convert (below): that column NULL (or the value
 *    an earlier duplicate gave it), the record malformed, the other fields
 *    still read (Spark's partial results).
 *
 * Conversions (Spark's makeConverter):
 *   BOOLEAN    true, false
 *   INT        a number without fraction or exponent, in INT's range
 *   BIGINT     the same, in BIGINT's range
 *   DOUBLE     any number; with allow_non_numeric_numbers (default) the
 *              strings "NaN", "Infinity", "+Infinity", "+INF", "-Infinity",
 *              "-INF"
 *   STRING     a string (escapes undone); any other value as its JSON text,
 *              whitespace outside strings removed
 *   TIMESTAMP  a non-empty string, by CAST's rules or timestamp_format; an
 *              integer number: seconds since the epoch (times 10^6, which
 *              wraps on overflow as Spark's Long arithmetic does)
 *
 * Strings point into the line unless they held escapes (unescaped into the
 * scratch) or whitespace (a non-string value's text, compacted there).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json_simdjson.h"
#include "recparse_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define JFLAT_AVX2 1
#else
#define JFLAT_AVX2 0
#endif

_Static_assert(SL_RECPARSE_PADDING >= SL_SIMDJSON_PADDING,
	       "a padded line has the bytes simdjson reads in place");

enum {
	JF_OK = 0,
	JF_MISMATCH = 1, /* does not convert: the record is malformed */
};

static inline bool json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline uint64_t load64(const char *s)
{
	uint64_t v;
	memcpy(&v, s, sizeof(v));
	return v;
}

static inline uint32_t load32(const char *s)
{
	uint32_t v;
	memcpy(&v, s, sizeof(v));
	return v;
}

/* a[0..n) == b[0..n) for a key and a column name of the same length n:
 * names are short, so two overlapping word loads (no byte outside either)
 * replace memcmp's call for n up to 16. */
static inline bool name_eq(const char *a, const char *b, uint32_t n)
{
	if (n >= 8) {
		if (load64(a) != load64(b))
			return false;
		if (n <= 16)
			return load64(a + n - 8) == load64(b + n - 8);
		return memcmp(a + 8, b + 8, n - 8) == 0;
	}
	if (n >= 4)
		return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* The column a key names: its schema index, or -1. Keys tend to come in
 * the same order on every line, so the search starts after the last hit. */
static inline int find_col(struct sl_recparse *p, const char *k, uint32_t kl)
{
	uint32_t n = p->ndata;
	uint32_t h = p->hint < n ? p->hint : 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t d = h + i < n ? h + i : h + i - n;
		const struct rp_col *c = &p->cols[p->data[d]];
		if (c->name_len == kl && name_eq(c->name, k, kl)) {
			p->hint = d + 1;
			return (int)p->data[d];
		}
	}
	return -1;
}

/* A string value's text, escapes undone: into *s, *n. */
static int json_text(struct sl_recparse *p, const char *line, const char **s, uint32_t *n)
{
	uint32_t off, len;
	bool esc;
	int rc = sl_simdjson_string(p->json, &off, &len, &esc);
	if (rc != SL_SIMDJSON_OK)
		return rc;
	if (!esc) {
		*s = line + off;
		*n = len;
		return SL_SIMDJSON_OK;
	}
	char *b = rp_alloc(p, len);
	if (b == NULL)
		return SL_SIMDJSON_NOMEM;
	int64_t w = sl_simdjson_unescape(line + off, len, b);
	if (w < 0)
		return SL_SIMDJSON_INVALID; /* sl_simdjson_string has checked it */
	*s = b;
	*n = (uint32_t)w;
	return SL_SIMDJSON_OK;
}

/* The JSON text r[0..len) without whitespace outside strings, as Spark's
 * Jackson generator writes a value back. */
static int compact_text(struct sl_recparse *p, const char *r, uint32_t len, const char **s,
			uint32_t *n)
{
	bool in_str = false, ws = false;
	for (uint32_t i = 0; i < len && !ws; i++) {
		if (in_str) {
			if (r[i] == '\\')
				i++;
			else if (r[i] == '"')
				in_str = false;
		} else if (r[i] == '"') {
			in_str = true;
		} else {
			ws = json_ws(r[i]);
		}
	}
	if (!ws) {
		*s = r;
		*n = len;
		return SL_SIMDJSON_OK;
	}
	char *b = rp_alloc(p, len);
	if (b == NULL)
		return SL_SIMDJSON_NOMEM;
	uint32_t o = 0;
	in_str = false;
	for (uint32_t i = 0; i < len; i++) {
		char c = r[i];
		if (in_str) {
			b[o++] = c;
			if (c == '\\' && i + 1 < len)
				b[o++] = r[++i];
			else if (c == '"')
				in_str = false;
		} else if (!json_ws(c)) {
			b[o++] = c;
			in_str = c == '"';
		}
	}
	*s = b;
	*n = o;
	return SL_SIMDJSON_OK;
}

/* The current value's JSON text, compacted. */
static int json_compact(struct sl_recparse *p, const char *line, const char **s, uint32_t *n)
{
	uint32_t off, len;
	int rc = sl_simdjson_raw(p->json, &off, &len);
	if (rc != SL_SIMDJSON_OK)
		return rc;
	return compact_text(p, line + off, len, s, n);
}

static bool text_is(const char *s, uint32_t n, const char *w)
{
	size_t wn = strlen(w);
	return n == wn && memcmp(s, w, n) == 0;
}

/* The current field's value into column col of the row: JF_OK, JF_MISMATCH,
 * or SL_SIMDJSON_INVALID / SL_SIMDJSON_NOMEM. */
static int json_field(struct sl_recparse *p, uint32_t col, const char *line,
		      struct sl_chunk *out, uint32_t row)
{
	struct sl_simdjson *j = p->json;
	struct sl_vec *v = &out->cols[col];
	enum sl_simdjson_type t;
	int rc = sl_simdjson_type(j, &t);
	if (rc != SL_SIMDJSON_OK)
		return rc;
	if (t == SL_SIMDJSON_NULL) {
		/* the literal is checked when the next field is asked for */
		v->nulls[row] = 1;
		return JF_OK;
	}
	const char *s;
	uint32_t n;
	int64_t i;
	switch (p->cols[col].type) {
	case SL_TYPE_BOOLEAN: {
		if (t != SL_SIMDJSON_BOOLEAN)
			return JF_MISMATCH;
		bool b;
		if ((rc = sl_simdjson_bool(j, &b)) != SL_SIMDJSON_OK)
			return rc;
		v->v.b[row] = b;
		break;
	}
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
		if (t != SL_SIMDJSON_NUMBER)
			return JF_MISMATCH;
		if ((rc = sl_simdjson_int64(j, &i)) != SL_SIMDJSON_OK)
			return rc == SL_SIMDJSON_MISMATCH ? JF_MISMATCH : rc;
		if (p->cols[col].type == SL_TYPE_INT && (i < INT32_MIN || i > INT32_MAX))
			return JF_MISMATCH;
		v->v.i64[row] = i;
		break;
	case SL_TYPE_DOUBLE:
		if (t == SL_SIMDJSON_NUMBER) {
			if ((rc = sl_simdjson_double(j, &v->v.f64[row])) != SL_SIMDJSON_OK)
				return rc;
			break;
		}
		if (t != SL_SIMDJSON_STRING)
			return JF_MISMATCH;
		if ((rc = json_text(p, line, &s, &n)) != SL_SIMDJSON_OK)
			return rc;
		if (!p->allow_nonnum)
			return JF_MISMATCH;
		if (text_is(s, n, "NaN"))
			v->v.f64[row] = __builtin_nan("");
		else if (text_is(s, n, "Infinity") || text_is(s, n, "+Infinity") ||
			 text_is(s, n, "+INF"))
			v->v.f64[row] = __builtin_inf();
		else if (text_is(s, n, "-Infinity") || text_is(s, n, "-INF"))
			v->v.f64[row] = -__builtin_inf();
		else
			return JF_MISMATCH;
		break;
	case SL_TYPE_STRING:
		rc = t == SL_SIMDJSON_STRING ? json_text(p, line, &s, &n)
					 : json_compact(p, line, &s, &n);
		if (rc != SL_SIMDJSON_OK)
			return rc;
		v->v.str[row].ptr = s;
		v->v.str[row].len = n;
		break;
	case SL_TYPE_TIMESTAMP:
		if (t == SL_SIMDJSON_NUMBER) {
			if ((rc = sl_simdjson_int64(j, &i)) != SL_SIMDJSON_OK)
				return rc == SL_SIMDJSON_MISMATCH ? JF_MISMATCH : rc;
			v->v.i64[row] = (int64_t)((uint64_t)i * 1000000u);
			break;
		}
		if (t != SL_SIMDJSON_STRING)
			return JF_MISMATCH;
		if ((rc = json_text(p, line, &s, &n)) != SL_SIMDJSON_OK)
			return rc;
		if (n == 0 || !rp_text_timestamp_cached(p, s, n, &v->v.i64[row]))
			return JF_MISMATCH;
		break;
	default:
		return JF_MISMATCH;
	}
	v->nulls[row] = 0;
	return JF_OK;
}

/* Nested fields (columns named "a.b"): what a record did to each column,
 * in p->jstate, so that a top-level field literally named "a.b" wins over
 * field b of object a whatever their order (Spark, with its flat schema,
 * reads only the literal name). */
enum {
	JS_NESTED = 1,     /* set from a nested field */
	JS_LITERAL = 2,    /* set (or made NULL) from the literal top-level name */
	JS_NESTED_BAD = 4, /* a nested field did not convert */
};

struct jrec {
	const char *line;
	struct sl_chunk *out;
	uint32_t row;
	char *err;
	size_t errlen;
	bool bad;
};

/* The data column named pre[0..plen) + key exactly (a nested field), or -1. */
static int find_nested(const struct sl_recparse *p, const char *pre, uint32_t plen,
		       const char *k, uint32_t kl)
{
	for (uint32_t i = 0; i < p->ndata; i++) {
		const struct rp_col *c = &p->cols[p->data[i]];
		if (c->name_len == plen + kl && memcmp(c->name, pre, plen) == 0 &&
		    memcmp(c->name + plen, k, kl) == 0)
			return (int)p->data[i];
	}
	return -1;
}

/* A data column whose name begins with pre[0..plen) + key + ".": its name
 * (the prefix of the fields inside key's object), or NULL. */
static const char *find_parent(const struct sl_recparse *p, const char *pre, uint32_t plen,
			       const char *k, uint32_t kl)
{
	for (uint32_t i = 0; i < p->ndata; i++) {
		const struct rp_col *c = &p->cols[p->data[i]];
		if (c->name_len > plen + kl && c->name[plen + kl] == '.' &&
		    memcmp(c->name, pre, plen) == 0 && memcmp(c->name + plen, k, kl) == 0)
			return c->name;
	}
	return NULL;
}

static int json_mismatch(struct sl_recparse *p, struct jrec *r, int col, bool literal,
			 uint32_t toff, uint32_t tlen)
{
	const struct rp_col *c = &p->cols[col];
	if (p->mode == RP_FAILFAST) {
		char text[192];
		if (tlen > 0 && (r->line[toff] == '{' || r->line[toff] == '['))
			snprintf(text, sizeof(text), "a JSON %s",
				 r->line[toff] == '{' ? "object" : "array");
		else
			rp_quote_text(text, sizeof(text), r->line + toff, tlen, false);
		if (literal || !p->nested)
			return rp_failfast(r->err, r->errlen, "field '%s': %s is not %s %s",
					   c->name, text, c->type == SL_TYPE_INT ? "an" : "a",
					   sl_type_name(c->type));
		/* a literal "a.b" later in the record would still win */
		if (p->jdeferred_col < 0) {
			p->jdeferred_col = col;
			rp_failfast(p->jdeferred, sizeof(p->jdeferred),
				    "field '%s': %s is not %s %s", c->name, text,
				    c->type == SL_TYPE_INT ? "an" : "a", sl_type_name(c->type));
		}
	}
	if (p->nested) {
		if (literal)
			r->out->cols[col].nulls[r->row] = 1;
		else
			p->jstate[col] |= JS_NESTED_BAD;
	}
	if (literal || !p->nested)
		r->bad = true;
	return SL_SIMDJSON_OK;
}

/* The fields of the object being walked, whose columns are named
 * pre[0..plen) + the field's name (the record's own: plen 0). Returns
 * SL_SIMDJSON_END after the last, or an error (-EINVAL: FAILFAST). */
static int json_object(struct sl_recparse *p, struct jrec *r, const char *pre, uint32_t plen,
		       uint32_t depth)
{
	struct sl_simdjson *j = p->json;
	const char *key;
	uint32_t klen;
	int rc;
	while ((rc = sl_simdjson_next(j, &key, &klen)) == SL_SIMDJSON_OK) {
		const bool literal = plen == 0;
		int col = literal ? find_col(p, key, klen) : find_nested(p, pre, plen, key, klen);
		const char *sub = NULL;
		if (p->nested && depth < SL_SIMDJSON_MAX_ENTER)
			sub = find_parent(p, pre, plen, key, klen);
		if (col >= 0 && !literal && (p->jstate[col] & JS_LITERAL))
			col = -1; /* the literal name was there: it wins */
		if (col < 0 && sub == NULL)
			continue;
		uint32_t toff = 0, tlen = 0;
		if (p->mode == RP_FAILFAST || sub != NULL)
			sl_simdjson_token(j, &toff, &tlen);
		enum sl_simdjson_type t = SL_SIMDJSON_NULL;
		if (sub != NULL && (rc = sl_simdjson_type(j, &t)) != SL_SIMDJSON_OK)
			return rc;
		if (sub != NULL && t == SL_SIMDJSON_OBJECT) {
			uint32_t sublen = plen + klen + 1;
			if ((rc = sl_simdjson_enter(j)) != SL_SIMDJSON_OK)
				return rc;
			rc = json_object(p, r, sub, sublen, depth + 1);
			if (rc != SL_SIMDJSON_END)
				return rc;
			sl_simdjson_leave(j);
			if (col < 0)
				continue;
			/* the column named by the object's own name too */
			if (p->nested)
				p->jstate[col] |= literal ? JS_LITERAL : JS_NESTED;
			if (p->cols[col].type != SL_TYPE_STRING) {
				if ((rc = json_mismatch(p, r, col, literal, toff, tlen)) != SL_SIMDJSON_OK)
					return rc;
				continue;
			}
			const char *s;
			uint32_t n;
			uint32_t end = sl_simdjson_value_end(j, toff);
			if ((rc = compact_text(p, r->line + toff, end - toff, &s, &n)) != SL_SIMDJSON_OK)
				return rc;
			rp_set_str(r->out, (uint32_t)col, r->row, s, n);
			continue;
		}
		if (col < 0)
			continue; /* a parent that is no object: its fields are NULL */
		if (p->nested)
			p->jstate[col] |= literal ? JS_LITERAL : JS_NESTED;
		rc = json_field(p, (uint32_t)col, r->line, r->out, r->row);
		if (rc == JF_MISMATCH)
			rc = json_mismatch(p, r, col, literal, toff, tlen);
		if (rc != SL_SIMDJSON_OK)
			return rc;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* the flat fast path                                                  */
/* ------------------------------------------------------------------ */

/*
 * Most JSON lines are one flat object of printable ASCII: strings without
 * escapes, numbers, true, false, null. json_flat reads exactly those
 * itself, without simdjson: one SIMD pass marks every quote (and refuses a
 * byte below ' ' or above 0x7F, or a backslash), then a walk takes keys
 * and string values from the quote bits. It stands in for the general way
 * only where both give the same row: it gives up (returns 0, having
 * written nothing that the general way does not write again) on anything
 * else: another byte, a nested object or array, bad JSON, a value that
 * does not convert or that it does not convert itself (a number too long
 * for an exact conversion, an exponent, a non-string into a STRING, ...).
 * So every error, message and count comes from the general way. The unit
 * tests and the fuzz harness compare both ways line by line.
 */
#define JFLAT_WORDS 64 /* lines up to 4096 bytes */

#if JFLAT_AVX2
/* jflat_scan's whole 64-byte blocks with 32-byte compares, half the steps
 * of SSE2's (when the CPU has AVX2 and no test said rp_set_avx2 false):
 * returns how many bytes it scanned, *bad set when a byte rules the line
 * out. */
__attribute__((target("avx2"))) static uint32_t jflat_blocks_avx2(const char *s, uint32_t n,
								   uint64_t *quotes, bool *bad)
{
	const __m256i vq = _mm256_set1_epi8('"'), vb = _mm256_set1_epi8('\\'),
		      vc = _mm256_set1_epi8(' ');
	__m256i b = _mm256_setzero_si256();
	uint32_t o = 0;
	for (; o + 64 <= n; o += 64) {
		__m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)(s + o));
		__m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(s + o + 32));
		/* signed: bytes >= 0x80 are below ' ' too */
		b = _mm256_or_si256(b, _mm256_or_si256(_mm256_or_si256(_mm256_cmpgt_epi8(vc, v0),
								       _mm256_cmpeq_epi8(v0, vb)),
						       _mm256_or_si256(_mm256_cmpgt_epi8(vc, v1),
								       _mm256_cmpeq_epi8(v1, vb))));
		quotes[o / 64] =
			(uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, vq)) |
			(uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, vq)) << 32;
	}
	*bad = _mm256_movemask_epi8(b) != 0;
	return o;
}
#endif

/* quotes[] for s[0..n) (bits past n are 0): false when a byte rules the
 * line out. Reads no byte outside s[0..n). */
static inline bool jflat_scan(const char *s, uint32_t n, uint64_t *quotes, bool avx2)
{
	uint32_t o = 0;
#if JFLAT_AVX2
	if (avx2) {
		bool bad;
		o = jflat_blocks_avx2(s, n, quotes, &bad);
		if (bad)
			return false;
	}
#else
	(void)avx2;
#endif
#if defined(__SSE2__)
	const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\'), vc = _mm_set1_epi8(' ');
	__m128i bad = _mm_setzero_si128();
	/* signed compares: bytes >= 0x80 are below ' ' too */
#define JFLAT_BAD(v) _mm_or_si128(_mm_cmplt_epi8((v), vc), _mm_cmpeq_epi8((v), vb))
#define JFLAT_Q(v) ((uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8((v), vq)))
	for (; o + 64 <= n; o += 64) {
		const __m128i *x = (const __m128i *)(const void *)(s + o);
		__m128i v0 = _mm_loadu_si128(x), v1 = _mm_loadu_si128(x + 1),
			v2 = _mm_loadu_si128(x + 2), v3 = _mm_loadu_si128(x + 3);
		bad = _mm_or_si128(_mm_or_si128(bad, _mm_or_si128(JFLAT_BAD(v0), JFLAT_BAD(v1))),
				   _mm_or_si128(JFLAT_BAD(v2), JFLAT_BAD(v3)));
		quotes[o / 64] = JFLAT_Q(v0) | JFLAT_Q(v1) << 16 | JFLAT_Q(v2) << 32 | JFLAT_Q(v3) << 48;
	}
	if (n >= 16 && o < n) {
		/* 16 bytes at a time, the last block ending at n (overlapping
		 * bytes already seen: their bits are set again, the same) */
		uint64_t word = 0;
		for (uint32_t b = o; b < n; b += 16) {
			uint32_t at = b + 16 <= n ? b : n - 16; /* at >= o - 15 */
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + at));
			bad = _mm_or_si128(bad, JFLAT_BAD(v));
			word |= at >= o ? JFLAT_Q(v) << (at - o) : JFLAT_Q(v) >> (o - at);
		}
		quotes[o / 64] = word;
		o = n;
	}
#undef JFLAT_BAD
#undef JFLAT_Q
	if (_mm_movemask_epi8(bad) != 0)
		return false;
#endif
	/* what is left: under 16 bytes, or any length without SSE2 (o % 64 is 0) */
	uint64_t word = 0;
	for (uint32_t i = o; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < ' ' || c >= 0x80 || c == '\\')
			return false;
		if (c == '"')
			word |= 1ull << (i % 64);
		if (i % 64 == 63 || i == n - 1) {
			quotes[i / 64] = word;
			word = 0;
		}
	}
	return true;
}

/* The quotes of a line in order: every quote opens or closes a string (the
 * line has no backslash), so the walk takes them one by one. */
struct jflat_q {
	const uint64_t *words;
	uint64_t m; /* the bits of word w not taken yet */
	uint32_t w, nw;
};

/* The next quote's position, or UINT32_MAX when there is none. */
static inline uint32_t jflat_next(struct jflat_q *q)
{
	while (q->m == 0) {
		if (++q->w >= q->nw)
			return UINT32_MAX;
		q->m = q->words[q->w];
	}
	uint32_t at = q->w * 64 + (uint32_t)__builtin_ctzll(q->m);
	q->m &= q->m - 1;
	return at;
}

/* The column a key names, trying the one after the last hit first (keys
 * come in the same order on every line): find_col's answer. */
static inline int jflat_col(struct sl_recparse *p, const char *k, uint32_t kl)
{
	uint32_t d = p->hint;
	if (d < p->ndata) {
		const struct rp_col *c = &p->cols[p->data[d]];
		if (c->name_len == kl && name_eq(c->name, k, kl)) {
			p->hint = d + 1;
			return (int)p->data[d];
		}
	}
	return find_col(p, k, kl);
}

/*
 * The flat object line[0..len) (len > 0, not blank) into the row: 1, or 0
 * to leave the line to the general way.
 *
 * The line must end with '}' and spaces: that '}' (at `last`) stops every
 * scan for spaces and digits below, so they need no bounds checks; a
 * string's closing quote is found before it, or the line is refused.
 */
static int json_flat(struct sl_recparse *p, const char *line, uint32_t len,
		     struct sl_chunk *out, uint32_t row)
{
	static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
	uint64_t quotes[JFLAT_WORDS];
	if (len > JFLAT_WORDS * 64)
		return 0;
	uint32_t last = len - 1;
	while (last > 0 && line[last] == ' ')
		last--;
	if (line[last] != '}' || !jflat_scan(line, last, quotes, p->avx2))
		return 0;
	uint32_t i = 0;
	while (line[i] == ' ')
		i++;
	if (line[i] != '{' || i == last)
		return 0;
	i++;
	while (line[i] == ' ')
		i++;
	if (i == last)
		return 1; /* {} */
	struct jflat_q q = {quotes, quotes[0], 0, (last + 63) / 64};
	for (;;) {
		/* i < last; the quotes before i are taken */
		if (line[i] != '"' || jflat_next(&q) != i)
			return 0;
		uint32_t ke = jflat_next(&q);
		if (ke >= last)
			return 0;
		const char *key = line + i + 1;
		uint32_t klen = ke - i - 1;
		i = ke + 1;
		while (line[i] == ' ')
			i++;
		if (line[i] != ':')
			return 0;
		i++;
		while (line[i] == ' ')
			i++;
		if (i >= last)
			return 0;
		int col = jflat_col(p, key, klen);
		const char c = line[i];
		if (c == '"') {
			if (jflat_next(&q) != i)
				return 0;
			uint32_t ve = jflat_next(&q);
			if (ve >= last)
				return 0;
			if (col >= 0) {
				struct sl_vec *v = &out->cols[col];
				const char *s = line + i + 1;
				uint32_t n = ve - i - 1;
				switch (p->cols[col].type) {
				case SL_TYPE_STRING:
					v->v.str[row].ptr = s;
					v->v.str[row].len = n;
					break;
				case SL_TYPE_TIMESTAMP:
					if (n == 0 || !rp_text_timestamp_cached(p, s, n, &v->v.i64[row]))
						return 0;
					break;
				default:
					return 0;
				}
				v->nulls[row] = 0;
			}
			i = ve + 1;
		} else if (c == '-' || (unsigned)(c - '0') <= 9) {
			/* -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?; the digits in m (wraps
			 * past 19 digits: then unused) */
			bool neg = c == '-', exp = false;
			uint64_t m = 0;
			uint32_t d0, f0;
			i += neg;
			if ((unsigned)(line[i] - '0') > 9)
				return 0;
			d0 = i;
			if (line[i] == '0')
				i++;
			else
				for (; (unsigned)(line[i] - '0') <= 9; i++)
					m = m * 10 + (uint64_t)(line[i] - '0');
			uint32_t digits = i - d0, frac = 0;
			if (line[i] == '.') {
				f0 = ++i;
				for (; (unsigned)(line[i] - '0') <= 9; i++)
					m = m * 10 + (uint64_t)(line[i] - '0');
				frac = i - f0;
				if (frac == 0)
					return 0;
				digits += frac;
			}
			if (line[i] == 'e' || line[i] == 'E') {
				i++;
				if (line[i] == '+' || line[i] == '-')
					i++;
				uint32_t e0 = i;
				while ((unsigned)(line[i] - '0') <= 9)
					i++;
				if (i == e0)
					return 0;
				exp = true;
			}
			if (col >= 0) {
				struct sl_vec *v = &out->cols[col];
				enum sl_type type = p->cols[col].type;
				if ((type == SL_TYPE_INT || type == SL_TYPE_BIGINT) && frac == 0 &&
				    !exp && digits <= 18 && !(neg && m == 0)) {
					/* (-0 left to simdjson) */
					int64_t r = neg ? -(int64_t)m : (int64_t)m;
					if (type == SL_TYPE_INT && (r < INT32_MIN || r > INT32_MAX))
						return 0;
					v->v.i64[row] = r;
				} else if (type == SL_TYPE_DOUBLE && !exp && digits <= 15) {
					/* an exact integer below 2^53 and an exact power
					 * of ten: one correctly rounded division */
					double d = (double)m / p10[frac];
					v->v.f64[row] = neg ? -d : d;
				} else {
					return 0;
				}
				v->nulls[row] = 0;
			}
		} else if (c == 'n' && last - i >= 4 && memcmp(line + i, "null", 4) == 0) {
			i += 4;
			if (col >= 0)
				out->cols[col].nulls[row] = 1;
		} else if ((c == 't' && last - i >= 4 && memcmp(line + i, "true", 4) == 0) ||
			   (c == 'f' && last - i >= 5 && memcmp(line + i, "false", 5) == 0)) {
			i += c == 't' ? 4 : 5;
			if (col >= 0) {
				struct sl_vec *v = &out->cols[col];
				if (p->cols[col].type != SL_TYPE_BOOLEAN)
					return 0;
				v->v.b[row] = c == 't';
				v->nulls[row] = 0;
			}
		} else {
			return 0;
		}
		/* a value ends at a space, ',' or '}' (i <= last) */
		while (line[i] == ' ')
			i++;
		if (line[i] == ',') {
			i++;
			while (line[i] == ' ')
				i++;
			if (i >= last)
				return 0;
			continue;
		}
		return line[i] == '}' && i == last;
	}
}

int rp_json_line(struct sl_recparse *p, const char *line, uint32_t len, bool padded,
		 struct sl_chunk *out, uint32_t row, char *err, size_t errlen)
{
	struct sl_simdjson *j = p->json;
	uint32_t k = 0;
	while (k < len && json_ws(line[k]))
		k++;
	if (k == len)
		return 0;
	rp_null_data(p, out, row);
	p->hint = 0;
	if (p->nested) {
		memset(p->jstate, 0, p->ncols);
		p->jdeferred_col = -1;
	}
	if (p->fast_paths && !p->nested) {
		if (json_flat(p, line, len, out, row)) {
			p->fast_rows++;
			p->line_ascii = true; /* printable ASCII, no escape: its strings too */
			return rp_finish(p, line, len, out, row, false);
		}
		rp_null_data(p, out, row); /* what it wrote, the general way writes again */
		p->hint = 0;
	}
	struct jrec r = {line, out, row, err, errlen, false};
	int rc = padded ? sl_simdjson_open_padded(j, line, len) : sl_simdjson_open(j, line, len);
	if (rc == SL_SIMDJSON_OK)
		rc = json_object(p, &r, "", 0, 0);
	if (rc == -EINVAL)
		return rc; /* FAILFAST: err is set */
	if (rc == SL_SIMDJSON_END)
		rc = sl_simdjson_close(j);
	if (rc == SL_SIMDJSON_NOMEM) {
		snprintf(err, errlen, "out of memory while parsing a JSON record of %u bytes", len);
		return -ENOMEM;
	}
	if (rc != SL_SIMDJSON_OK) {
		if (p->mode == RP_FAILFAST)
			return rp_failfast(err, errlen, "%s", sl_simdjson_error(j));
		/* no partial results for a record that is not JSON (Spark) */
		rp_null_data(p, out, row);
		r.bad = true;
	} else if (p->nested) {
		/* nested mismatches count unless the literal name won */
		for (uint32_t i = 0; i < p->ndata; i++) {
			uint32_t c = p->data[i];
			if ((p->jstate[c] & (JS_NESTED_BAD | JS_LITERAL)) != JS_NESTED_BAD)
				continue;
			if (p->mode != RP_FAILFAST) {
				r.bad = true;
				continue;
			}
			if ((int32_t)c == p->jdeferred_col) {
				snprintf(err, errlen, "%s", p->jdeferred);
				return -EINVAL;
			}
			return rp_failfast(err, errlen, "field '%s': a value that is not %s %s",
					   p->cols[c].name,
					   p->cols[c].type == SL_TYPE_INT ? "an" : "a",
					   sl_type_name(p->cols[c].type));
		}
	}
	return rp_finish(p, line, len, out, row, r.bad);
}
