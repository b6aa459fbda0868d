/*
 * json.c — the control protocol's JSON parser and writer (see json.h).
 *
 * Parsing is recursive descent (the depth limit bounds the recursion at
 * SL_JSON_MAX_DEPTH frames) into three growable arrays:
 *
 *   stk    values whose container is still open: a container's node, then
 *          its children so far (an object's as name, value, name, ...)
 *   out    finished children blocks: when a container closes, its children
 *          move from stk to the end of out in one piece and the container
 *          records where (so sl_json_at is an index); the root comes last
 *   bytes  decoded strings and number texts, each followed by a NUL
 *
 * While parsing, a node refers to out and bytes by offset (both move as
 * they grow). At the end one block takes the document header, out and
 * bytes, and the offsets become pointers: a document is one allocation,
 * and parsing makes four, each grown by doubling (none per value).
 */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* flags of a node */
enum {
	F_TRUE = 1,   /* SL_JSON_BOOL: true */
	F_INT = 2,    /* SL_JSON_NUMBER: i holds the exact value */
	F_BIGINT = 4, /* SL_JSON_NUMBER: an integer out of int64's range */
};

struct sl_json {
	uint8_t kind;
	uint8_t flags;
	uint32_t len; /* string, number text: bytes; array: elements; object: members */
	union {
		size_t off;                  /* while parsing: into bytes, or into out */
		const char *s;               /* string, number text */
		const struct sl_json *kids;  /* array: len values; object: 2 * len, name then value */
	} p;
	int64_t i; /* number, when F_INT */
	double d;  /* number */
};

struct sl_json_doc {
	const struct sl_json *root;
	size_t nnodes;
	struct sl_json nodes[]; /* then the bytes */
};

struct parser {
	const uint8_t *p;
	size_t n;
	size_t pos;
	struct sl_json *stk, *out;
	size_t nstk, capstk, nout, capout;
	char *bytes;
	size_t nbytes, capbytes;
	uint32_t nvalues;
	uint32_t depth;
	char *err;
	size_t errlen;
};

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int fail(struct parser *ps, int rc, size_t at, const char *fmt, ...)
{
	if (ps->errlen > 0) {
		int k = snprintf(ps->err, ps->errlen, "byte %zu: ", at);
		if (k >= 0 && (size_t)k < ps->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(ps->err + k, ps->errlen - (size_t)k, fmt, ap);
			va_end(ap);
		}
	}
	return rc;
}

static int oom(struct parser *ps)
{
	return fail(ps, -ENOMEM, ps->pos, "out of memory");
}

/* ---- UTF-8 ---- */

enum u8_fault { U8_STRAY, U8_OVERLONG, U8_SURROGATE, U8_TOO_BIG, U8_NEVER, U8_SHORT };

/* The length (1-4) of the valid UTF-8 sequence at p (n > 0 bytes there), or
 * 0 with *sub the length of its maximal subpart (the bytes that begin a
 * valid sequence, at least 1: Unicode's unit of replacement) and *why. The
 * ranges are the Unicode standard's table 3-7. */
static size_t utf8_seq(const uint8_t *p, size_t n, size_t *sub, enum u8_fault *why)
{
	uint8_t c = p[0];
	if (c < 0x80)
		return 1;
	size_t need;
	uint8_t lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		if (c == 0xE0)
			lo = 0xA0; /* below: overlong */
		else if (c == 0xED)
			hi = 0x9F; /* above: surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		if (c == 0xF0)
			lo = 0x90; /* below: overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* above: past U+10FFFF */
	} else {
		*sub = 1;
		*why = c < 0xC0 ? U8_STRAY : c < 0xC2 ? U8_OVERLONG : c < 0xF8 ? U8_TOO_BIG : U8_NEVER;
		return 0;
	}
	for (size_t k = 1; k <= need; k++) {
		uint8_t b = k < n ? p[k] : 0;
		uint8_t l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
		if (k < n && b >= l && b <= h)
			continue;
		*sub = k;
		*why = U8_SHORT;
		if (k == 1 && k < n && b >= 0x80 && b <= 0xBF)
			*why = c == 0xED ? U8_SURROGATE : c == 0xF4 ? U8_TOO_BIG : U8_OVERLONG;
		return 0;
	}
	return need + 1;
}

static int utf8_fail(struct parser *ps, size_t at, enum u8_fault why)
{
	uint8_t c = ps->p[at];
	switch (why) {
	case U8_STRAY:
		return fail(ps, -EINVAL, at, "invalid UTF-8 in a string: continuation byte 0x%02X without a lead byte", c);
	case U8_OVERLONG:
		return fail(ps, -EINVAL, at, "invalid UTF-8 in a string: overlong encoding (lead byte 0x%02X)", c);
	case U8_SURROGATE:
		return fail(ps, -EINVAL, at,
			    "invalid UTF-8 in a string: an encoded surrogate (U+D800..U+DFFF) is not a character");
	case U8_TOO_BIG:
		return fail(ps, -EINVAL, at, "invalid UTF-8 in a string: a code point above U+10FFFF (lead byte 0x%02X)", c);
	case U8_NEVER:
		return fail(ps, -EINVAL, at, "invalid UTF-8 in a string: byte 0x%02X never appears in UTF-8", c);
	case U8_SHORT:
		break;
	}
	return fail(ps, -EINVAL, at, "invalid UTF-8 in a string: lead byte 0x%02X is not followed by the continuation bytes it needs", c);
}

/* ---- growable arrays ---- */

static int grow(void **v, size_t *cap, size_t need, size_t elem, size_t first)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : first;
	while (c < need)
		c *= 2;
	void *nv = realloc(*v, c * elem);
	if (nv == NULL)
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

static int put_bytes(struct parser *ps, const void *s, size_t n)
{
	if (grow((void **)&ps->bytes, &ps->capbytes, ps->nbytes + n, 1, 256) < 0)
		return oom(ps);
	if (n > 0)
		memcpy(ps->bytes + ps->nbytes, s, n);
	ps->nbytes += n;
	return 0;
}

/* A new node on stk for the value (or member name) at ps->pos; values are
 * counted against the limit. *v stays valid until the next push: strings
 * and numbers grow bytes only. */
static int push(struct parser *ps, enum sl_json_kind kind, bool is_value, struct sl_json **v)
{
	if (is_value && ps->nvalues == SL_JSON_MAX_VALUES)
		return fail(ps, -E2BIG, ps->pos, "more than %d values in the document", SL_JSON_MAX_VALUES);
	if (grow((void **)&ps->stk, &ps->capstk, ps->nstk + 1, sizeof(*ps->stk), 64) < 0)
		return oom(ps);
	if (is_value)
		ps->nvalues++;
	*v = &ps->stk[ps->nstk++];
	memset(*v, 0, sizeof(**v));
	(*v)->kind = (uint8_t)kind;
	return 0;
}

static size_t skip_ws(struct parser *ps)
{
	while (ps->pos < ps->n) {
		uint8_t c = ps->p[ps->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		ps->pos++;
	}
	return ps->pos;
}

/* "'x'" for a printable character, "byte 0xNN" otherwise, "the end of the
 * input" past it. */
static const char *describe(struct parser *ps, size_t at, char buf[16])
{
	if (at >= ps->n)
		return "the end of the input";
	uint8_t c = ps->p[at];
	if (c > 0x20 && c < 0x7F)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02X", c);
	return buf;
}

/* ---- strings ---- */

static int hex4(struct parser *ps, size_t at, uint32_t *cp)
{
	/* at is the backslash of "\uXXXX" */
	uint32_t v = 0;
	for (size_t k = 0; k < 4; k++) {
		size_t i = at + 2 + k;
		uint8_t c = i < ps->n ? ps->p[i] : 0;
		uint32_t d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return fail(ps, -EINVAL, at, "\\u must be followed by 4 hex digits");
		v = v << 4 | d;
	}
	*cp = v;
	return 0;
}

static int put_utf8(struct parser *ps, uint32_t cp)
{
	uint8_t b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xC0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xE0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xF0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
		b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		b[3] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return put_bytes(ps, b, n);
}

/* The string at ps->pos (its '"'), decoded into bytes with a NUL after it;
 * *off and *len say where. */
static int parse_string(struct parser *ps, size_t *off, uint32_t *len)
{
	const uint8_t *p = ps->p;
	size_t n = ps->n, start = ps->pos, i = start + 1;
	size_t first = ps->nbytes;
	int rc;
	for (;;) {
		size_t run = i;
		while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
			i++;
		if ((rc = put_bytes(ps, p + run, i - run)) < 0)
			return rc;
		if (i == n)
			return fail(ps, -EINVAL, n, "unterminated string (it starts at byte %zu)", start);
		uint8_t c = p[i];
		if (c == '"') {
			i++;
			break;
		}
		if (c < 0x20)
			return fail(ps, -EINVAL, i,
				    "raw control character 0x%02X in a string (escape it: \\u%04X)", c, c);
		if (c >= 0x80) {
			size_t sub;
			enum u8_fault why;
			size_t k = utf8_seq(p + i, n - i, &sub, &why);
			if (k == 0)
				return utf8_fail(ps, i, why);
			if ((rc = put_bytes(ps, p + i, k)) < 0)
				return rc;
			i += k;
			continue;
		}
		/* a backslash */
		if (i + 1 == n)
			return fail(ps, -EINVAL, n, "unterminated string (it starts at byte %zu)", start);
		char one;
		switch (p[i + 1]) {
		case '"': one = '"'; break;
		case '\\': one = '\\'; break;
		case '/': one = '/'; break;
		case 'b': one = '\b'; break;
		case 'f': one = '\f'; break;
		case 'n': one = '\n'; break;
		case 'r': one = '\r'; break;
		case 't': one = '\t'; break;
		case 'u': {
			uint32_t cp, lo;
			if ((rc = hex4(ps, i, &cp)) < 0)
				return rc;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return fail(ps, -EINVAL, i,
					    "lone surrogate \\u%04X: a low surrogate must follow a high one (\\uD800..\\uDBFF)", cp);
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (i + 7 < n && p[i + 6] == '\\' && p[i + 7] == 'u') {
					if ((rc = hex4(ps, i + 6, &lo)) < 0)
						return rc;
				} else {
					lo = 0;
				}
				if (lo < 0xDC00 || lo > 0xDFFF)
					return fail(ps, -EINVAL, i,
						    "lone surrogate \\u%04X: a high surrogate must be followed by a low one (\\uDC00..\\uDFFF)",
						    cp);
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			}
			if ((rc = put_utf8(ps, cp)) < 0)
				return rc;
			i += 6;
			continue;
		}
		default: {
			char d[16];
			return fail(ps, -EINVAL, i, "invalid escape: a backslash followed by %s",
				    describe(ps, i + 1, d));
		}
		}
		if ((rc = put_bytes(ps, &one, 1)) < 0)
			return rc;
		i += 2;
	}
	size_t dlen = ps->nbytes - first;
	if ((rc = put_bytes(ps, "", 1)) < 0)
		return rc;
	ps->pos = i;
	*off = first;
	*len = (uint32_t)dlen; /* at most SL_JSON_MAX_BYTES */
	return 0;
}

/* ---- numbers ---- */

static bool digit(struct parser *ps, size_t i)
{
	return i < ps->n && ps->p[i] >= '0' && ps->p[i] <= '9';
}

/* Whether int_digits.frac_digits * 10^exp is an integer, and which, exactly:
 * no rounding on the way, whatever the spelling. */
static void exact_int(struct sl_json *v, const uint8_t *ip, size_t ilen, const uint8_t *fp, size_t flen,
		      int64_t exp, bool neg)
{
	size_t nd = ilen + flen;
#define DIG(k) ((k) < ilen ? ip[(k)] : fp[(k) - ilen])
	size_t f = 0;
	while (f < nd && DIG(f) == '0')
		f++;
	if (f == nd) { /* zero, "-0" and "0e99" included */
		v->flags |= F_INT;
		v->i = 0;
		return;
	}
	size_t l = nd - 1;
	while (DIG(l) == '0')
		l--;
	/* value = digits f..l * 10^e */
	int64_t e = exp - (int64_t)flen + (int64_t)(nd - 1 - l);
	if (e < 0)
		return; /* a fraction: the last digit is not 0 */
	if ((int64_t)(l - f + 1) + e > 19) {
		v->flags |= F_BIGINT;
		return;
	}
	uint64_t mag = 0; /* < 10^19 < 2^64 */
	for (size_t k = f; k <= l; k++)
		mag = mag * 10 + (uint64_t)(DIG(k) - '0');
	for (int64_t k = 0; k < e; k++)
		mag *= 10;
#undef DIG
	if (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX) {
		v->flags |= F_BIGINT;
		return;
	}
	v->flags |= F_INT;
	v->i = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
}

static int parse_number(struct parser *ps, struct sl_json *v)
{
	const uint8_t *p = ps->p;
	size_t s = ps->pos, i = s;
	bool neg = false;
	if (p[i] == '-') {
		neg = true;
		i++;
		if (ps->n - i >= 8 && memcmp(p + i, "Infinity", 8) == 0)
			return fail(ps, -EINVAL, s, "NaN and Infinity are not JSON numbers (send null or a string)");
		if (!digit(ps, i)) {
			char d[16];
			return fail(ps, -EINVAL, i, "expected a digit after '-', found %s", describe(ps, i, d));
		}
	}
	size_t istart = i;
	if (p[i] == '0') {
		i++;
		if (digit(ps, i))
			return fail(ps, -EINVAL, istart, "a number may not start with 0 and more digits (leading zeros)");
	} else {
		while (digit(ps, i))
			i++;
	}
	size_t iend = i, fstart = i, fend = i;
	if (i < ps->n && p[i] == '.') {
		i++;
		if (!digit(ps, i)) {
			char d[16];
			return fail(ps, -EINVAL, i, "expected a digit after the '.' of a number, found %s",
				    describe(ps, i, d));
		}
		fstart = i;
		while (digit(ps, i))
			i++;
		fend = i;
	}
	int64_t exp = 0;
	if (i < ps->n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < ps->n && (p[i] == '+' || p[i] == '-'))
			eneg = p[i++] == '-';
		if (!digit(ps, i)) {
			char d[16];
			return fail(ps, -EINVAL, i, "expected a digit in the exponent of a number, found %s",
				    describe(ps, i, d));
		}
		/* saturates: past 10^9 only whether it is huge matters */
		while (digit(ps, i)) {
			if (exp < 1000000000)
				exp = exp * 10 + (p[i] - '0');
			i++;
		}
		if (eneg)
			exp = -exp;
	}
	size_t off = ps->nbytes;
	int rc;
	if ((rc = put_bytes(ps, p + s, i - s)) < 0 || (rc = put_bytes(ps, "", 1)) < 0)
		return rc;
	v->p.off = off;
	v->len = (uint32_t)(i - s);
	/* the C locale's strtod: sluice never sets another LC_NUMERIC */
	v->d = strtod(ps->bytes + off, NULL);
	exact_int(v, p + istart, iend - istart, p + fstart, fend - fstart, exp, neg);
	ps->pos = i;
	return 0;
}

/* ---- values ---- */

static int parse_value(struct parser *ps);

/* Moves the children of the container at stk[mark] to out. */
static int close_container(struct parser *ps, size_t mark, size_t n)
{
	size_t nk = ps->nstk - mark - 1;
	if (grow((void **)&ps->out, &ps->capout, ps->nout + nk, sizeof(*ps->out), 64) < 0)
		return oom(ps);
	if (nk > 0)
		memcpy(ps->out + ps->nout, ps->stk + mark + 1, nk * sizeof(*ps->out));
	ps->stk[mark].p.off = ps->nout;
	ps->stk[mark].len = (uint32_t)n;
	ps->nout += nk;
	ps->nstk = mark + 1;
	ps->depth--;
	return 0;
}

static int open_container(struct parser *ps, enum sl_json_kind kind, size_t *mark)
{
	if (ps->depth == SL_JSON_MAX_DEPTH)
		return fail(ps, -E2BIG, ps->pos, "arrays and objects nested more than %d deep",
			    SL_JSON_MAX_DEPTH);
	*mark = ps->nstk;
	struct sl_json *v;
	int rc = push(ps, kind, true, &v);
	if (rc < 0)
		return rc;
	ps->depth++;
	ps->pos++;
	return 0;
}

static int parse_array(struct parser *ps)
{
	size_t mark, n = 0;
	int rc;
	char d[16];
	if ((rc = open_container(ps, SL_JSON_ARRAY, &mark)) < 0)
		return rc;
	if (skip_ws(ps) < ps->n && ps->p[ps->pos] == ']') {
		ps->pos++;
		return close_container(ps, mark, 0);
	}
	for (;;) {
		if ((rc = parse_value(ps)) < 0)
			return rc;
		n++;
		size_t at = skip_ws(ps);
		if (at < ps->n && ps->p[at] == ']') {
			ps->pos++;
			return close_container(ps, mark, n);
		}
		if (at == ps->n || ps->p[at] != ',')
			return fail(ps, -EINVAL, at, "expected ',' or ']' after an array element, found %s",
				    describe(ps, at, d));
		ps->pos++;
		at = skip_ws(ps);
		if (at < ps->n && ps->p[at] == ']')
			return fail(ps, -EINVAL, at, "expected a value after ',', found ']' (no trailing commas in JSON)");
	}
}

static int parse_object(struct parser *ps)
{
	size_t mark, n = 0;
	int rc;
	char d[16];
	if ((rc = open_container(ps, SL_JSON_OBJECT, &mark)) < 0)
		return rc;
	size_t at = skip_ws(ps);
	if (at < ps->n && ps->p[at] == '}') {
		ps->pos++;
		return close_container(ps, mark, 0);
	}
	for (;;) {
		if (at == ps->n || ps->p[at] != '"') {
			if (n > 0 && at < ps->n && ps->p[at] == '}')
				return fail(ps, -EINVAL, at,
					    "expected a member name after ',', found '}' (no trailing commas in JSON)");
			return fail(ps, -EINVAL, at, "expected a member name (a string) %s, found %s",
				    n > 0 ? "after ','" : "or '}'", describe(ps, at, d));
		}
		struct sl_json *k;
		if ((rc = push(ps, SL_JSON_STRING, false, &k)) < 0 ||
		    (rc = parse_string(ps, &k->p.off, &k->len)) < 0)
			return rc;
		at = skip_ws(ps);
		if (at == ps->n || ps->p[at] != ':')
			return fail(ps, -EINVAL, at, "expected ':' after a member name, found %s", describe(ps, at, d));
		ps->pos++;
		skip_ws(ps);
		if ((rc = parse_value(ps)) < 0)
			return rc;
		n++;
		at = skip_ws(ps);
		if (at < ps->n && ps->p[at] == '}') {
			ps->pos++;
			return close_container(ps, mark, n);
		}
		if (at == ps->n || ps->p[at] != ',')
			return fail(ps, -EINVAL, at, "expected ',' or '}' after an object member, found %s",
				    describe(ps, at, d));
		ps->pos++;
		at = skip_ws(ps);
	}
}

static bool word(struct parser *ps, const char *w, size_t n)
{
	return ps->n - ps->pos >= n && memcmp(ps->p + ps->pos, w, n) == 0;
}

/* The value at ps->pos (whitespace skipped already) as one node on stk. */
static int parse_value(struct parser *ps)
{
	char d[16];
	if (ps->pos == ps->n)
		return fail(ps, -EINVAL, ps->pos, "expected a value, found the end of the input");
	uint8_t c = ps->p[ps->pos];
	if (c == '{')
		return parse_object(ps);
	if (c == '[')
		return parse_array(ps);
	struct sl_json *v;
	int rc;
	switch (c) {
	case '"':
		if ((rc = push(ps, SL_JSON_STRING, true, &v)) < 0)
			return rc;
		return parse_string(ps, &v->p.off, &v->len);
	case 't':
	case 'f':
	case 'n': {
		size_t len = c == 'f' ? 5 : 4;
		if (!word(ps, c == 't' ? "true" : c == 'f' ? "false" : "null", len))
			return fail(ps, -EINVAL, ps->pos, "invalid literal: the words of JSON are true, false and null");
		if ((rc = push(ps, c == 'n' ? SL_JSON_NULL : SL_JSON_BOOL, true, &v)) < 0)
			return rc;
		if (c == 't')
			v->flags = F_TRUE;
		ps->pos += len;
		return 0;
	}
	case '+':
		return fail(ps, -EINVAL, ps->pos, "a number may not start with '+'");
	case '.':
		return fail(ps, -EINVAL, ps->pos, "a number needs a digit before its '.' (0.5, not .5)");
	case 'N':
	case 'I':
		if (word(ps, "NaN", 3) || word(ps, "Infinity", 8))
			return fail(ps, -EINVAL, ps->pos, "NaN and Infinity are not JSON numbers (send null or a string)");
		break;
	default:
		if (c == '-' || (c >= '0' && c <= '9')) {
			if ((rc = push(ps, SL_JSON_NUMBER, true, &v)) < 0)
				return rc;
			return parse_number(ps, v);
		}
		break;
	}
	return fail(ps, -EINVAL, ps->pos, "expected a value, found %s", describe(ps, ps->pos, d));
}

int sl_json_parse(const char *text, size_t len, struct sl_json_doc **out, char *err, size_t errlen)
{
	struct parser ps = {.p = (const uint8_t *)text, .n = len, .err = err, .errlen = errlen};
	int rc;
	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (len > SL_JSON_MAX_BYTES)
		return fail(&ps, -E2BIG, SL_JSON_MAX_BYTES, "the document is %zu bytes, more than the limit of %zu",
			    len, SL_JSON_MAX_BYTES);
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		rc = fail(&ps, -EINVAL, 0, "a byte order mark (EF BB BF) before the value: JSON text must not start with one");
		goto err_parse;
	}
	skip_ws(&ps);
	if ((rc = parse_value(&ps)) < 0)
		goto err_parse;
	if (skip_ws(&ps) < len) {
		rc = fail(&ps, -EINVAL, ps.pos, "more after the value: a document is exactly one value");
		goto err_parse;
	}
	/* the root (stk's only node now) goes last in out */
	if (grow((void **)&ps.out, &ps.capout, ps.nout + 1, sizeof(*ps.out), 64) < 0) {
		rc = oom(&ps);
		goto err_parse;
	}
	ps.out[ps.nout++] = ps.stk[0];

	size_t nodes = ps.nout * sizeof(struct sl_json);
	struct sl_json_doc *doc = malloc(sizeof(*doc) + nodes + ps.nbytes);
	if (doc == NULL) {
		rc = oom(&ps);
		goto err_parse;
	}
	memcpy(doc->nodes, ps.out, nodes);
	char *bytes = (char *)doc->nodes + nodes;
	if (ps.nbytes > 0)
		memcpy(bytes, ps.bytes, ps.nbytes);
	for (size_t k = 0; k < ps.nout; k++) {
		struct sl_json *v = &doc->nodes[k];
		if (v->kind == SL_JSON_STRING || v->kind == SL_JSON_NUMBER)
			v->p.s = bytes + v->p.off;
		else if (v->kind == SL_JSON_ARRAY || v->kind == SL_JSON_OBJECT)
			v->p.kids = doc->nodes + v->p.off;
	}
	doc->nnodes = ps.nout;
	doc->root = &doc->nodes[ps.nout - 1];
	*out = doc;
	rc = 0;
err_parse:
	free(ps.stk);
	free(ps.out);
	free(ps.bytes);
	return rc;
}

void sl_json_free(struct sl_json_doc *doc)
{
	free(doc);
}

/* ---- access ---- */

const struct sl_json *sl_json_root(const struct sl_json_doc *doc)
{
	return doc->root;
}

enum sl_json_kind sl_json_kind(const struct sl_json *v)
{
	return (enum sl_json_kind)v->kind;
}

size_t sl_json_len(const struct sl_json *v)
{
	if (v == NULL || (v->kind != SL_JSON_ARRAY && v->kind != SL_JSON_OBJECT))
		return 0;
	return v->len;
}

const struct sl_json *sl_json_at(const struct sl_json *arr, size_t i)
{
	if (arr == NULL || arr->kind != SL_JSON_ARRAY || i >= arr->len)
		return NULL;
	return &arr->p.kids[i];
}

const struct sl_json *sl_json_member(const struct sl_json *obj, size_t i, const char **key, size_t *keylen)
{
	if (obj == NULL || obj->kind != SL_JSON_OBJECT || i >= obj->len)
		return NULL;
	const struct sl_json *k = &obj->p.kids[2 * i];
	if (key != NULL)
		*key = k->p.s;
	if (keylen != NULL)
		*keylen = k->len;
	return k + 1;
}

const struct sl_json *sl_json_get(const struct sl_json *obj, const char *key)
{
	if (obj == NULL || obj->kind != SL_JSON_OBJECT)
		return NULL;
	size_t n = strlen(key);
	for (uint32_t i = 0; i < obj->len; i++) {
		const struct sl_json *k = &obj->p.kids[2 * i];
		if (k->len == n && memcmp(k->p.s, key, n) == 0)
			return k + 1;
	}
	return NULL;
}

const char *sl_json_str(const struct sl_json *v, size_t *len)
{
	if (v == NULL || v->kind != SL_JSON_STRING)
		return NULL;
	if (len != NULL)
		*len = v->len;
	return v->p.s;
}

const char *sl_json_num_text(const struct sl_json *v, size_t *len)
{
	if (v == NULL || v->kind != SL_JSON_NUMBER)
		return NULL;
	if (len != NULL)
		*len = v->len;
	return v->p.s;
}

int sl_json_int(const struct sl_json *v, int64_t *out)
{
	if (v == NULL || v->kind != SL_JSON_NUMBER)
		return -EINVAL;
	if (v->flags & F_BIGINT)
		return -ERANGE;
	if (!(v->flags & F_INT))
		return -EINVAL;
	*out = v->i;
	return 0;
}

double sl_json_num(const struct sl_json *v)
{
	if (v == NULL || v->kind != SL_JSON_NUMBER)
		return NAN;
	return v->d;
}

int sl_json_bool(const struct sl_json *v, bool *out)
{
	if (v == NULL || v->kind != SL_JSON_BOOL)
		return -EINVAL;
	*out = (v->flags & F_TRUE) != 0;
	return 0;
}

bool sl_json_equal(const struct sl_json *a, const struct sl_json *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->kind != b->kind)
		return false;
	switch ((enum sl_json_kind)a->kind) {
	case SL_JSON_NULL:
		return true;
	case SL_JSON_BOOL:
		return a->flags == b->flags;
	case SL_JSON_NUMBER:
	case SL_JSON_STRING:
		return a->len == b->len && memcmp(a->p.s, b->p.s, a->len) == 0;
	case SL_JSON_ARRAY:
	case SL_JSON_OBJECT: {
		if (a->len != b->len)
			return false;
		size_t n = a->kind == SL_JSON_OBJECT ? 2 * (size_t)a->len : a->len;
		for (size_t i = 0; i < n; i++)
			if (!sl_json_equal(&a->p.kids[i], &b->p.kids[i]))
				return false;
		return true;
	}
	}
	return false;
}

static int get_member(const struct sl_json *obj, const char *key, const struct sl_json **v)
{
	if (obj == NULL)
		return -ENOENT;
	if (obj->kind != SL_JSON_OBJECT)
		return -EINVAL;
	*v = sl_json_get(obj, key);
	return *v == NULL ? -ENOENT : 0;
}

int sl_json_get_str(const struct sl_json *obj, const char *key, const char **s, size_t *len)
{
	const struct sl_json *v;
	int rc = get_member(obj, key, &v);
	if (rc < 0)
		return rc;
	if (v->kind != SL_JSON_STRING)
		return -EINVAL;
	*s = sl_json_str(v, len);
	return 0;
}

int sl_json_get_int(const struct sl_json *obj, const char *key, int64_t *out)
{
	const struct sl_json *v;
	int rc = get_member(obj, key, &v);
	return rc < 0 ? rc : sl_json_int(v, out);
}

int sl_json_get_bool(const struct sl_json *obj, const char *key, bool *out)
{
	const struct sl_json *v;
	int rc = get_member(obj, key, &v);
	return rc < 0 ? rc : sl_json_bool(v, out);
}

/* ---- writer ---- */

enum { JW_OBJECT = 1, JW_FIRST = 2, JW_NAMED = 4 };

static void put(struct sl_jw *w, const char *s, size_t n)
{
	if (w->err == 0 && sl_strbuf_append(w->out, s, n) < 0)
		w->err = -ENOMEM;
}

void sl_jw_init(struct sl_jw *w, struct sl_strbuf *out)
{
	w->out = out;
	w->err = 0;
	w->done = false;
	w->depth = 0;
}

/* Where a value may go, the comma before it; false after an error or when
 * no value may go here. */
static bool value_begins(struct sl_jw *w)
{
	if (w->err != 0)
		return false;
	if (w->depth == 0) {
		if (w->done)
			w->err = -EINVAL; /* one value per document */
		return w->err == 0;
	}
	uint8_t *top = &w->open[w->depth - 1];
	if (*top & JW_OBJECT) {
		if (!(*top & JW_NAMED)) {
			w->err = -EINVAL; /* a member's name comes first */
			return false;
		}
		*top &= (uint8_t)~JW_NAMED;
		return true;
	}
	if (!(*top & JW_FIRST))
		put(w, ",", 1);
	*top &= (uint8_t)~JW_FIRST;
	return w->err == 0;
}

static void value_ends(struct sl_jw *w)
{
	if (w->depth == 0)
		w->done = true;
}

static void scalar(struct sl_jw *w, const char *s, size_t n)
{
	if (!value_begins(w))
		return;
	put(w, s, n);
	value_ends(w);
}

static void begin(struct sl_jw *w, uint8_t kind, char c)
{
	if (!value_begins(w))
		return;
	if (w->depth == SL_JW_MAX_DEPTH) {
		w->err = -EINVAL;
		return;
	}
	put(w, &c, 1);
	w->open[w->depth++] = kind | JW_FIRST;
}

static void end(struct sl_jw *w, uint8_t kind, char c)
{
	if (w->err != 0)
		return;
	if (w->depth == 0 || (w->open[w->depth - 1] & (JW_OBJECT | JW_NAMED)) != kind) {
		w->err = -EINVAL; /* not open, the other kind, or a name without its value */
		return;
	}
	put(w, &c, 1);
	w->depth--;
	value_ends(w);
}

void sl_jw_obj_begin(struct sl_jw *w)
{
	begin(w, JW_OBJECT, '{');
}

void sl_jw_obj_end(struct sl_jw *w)
{
	end(w, JW_OBJECT, '}');
}

void sl_jw_arr_begin(struct sl_jw *w)
{
	begin(w, 0, '[');
}

void sl_jw_arr_end(struct sl_jw *w)
{
	end(w, 0, ']');
}

static void escaped(struct sl_jw *w, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = (const uint8_t *)str;
	size_t run = 0, i = 0;
	put(w, "\"", 1);
	while (i < len) {
		uint8_t c = s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t sub;
			enum u8_fault why;
			size_t k = utf8_seq(s + i, len - i, &sub, &why);
			if (k > 0) {
				i += k;
				continue;
			}
			put(w, str + run, i - run);
			put(w, "\xEF\xBF\xBD", 3); /* U+FFFD */
			i += sub;
			run = i;
			continue;
		}
		put(w, str + run, i - run);
		char e[6] = {'\\', 0};
		size_t en = 2;
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		default:
			memcpy(e + 1, "u00", 3);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			en = 6;
			break;
		}
		put(w, e, en);
		i++;
		run = i;
	}
	put(w, str + run, i - run);
	put(w, "\"", 1);
}

void sl_jw_key_n(struct sl_jw *w, const char *name, size_t len)
{
	if (w->err != 0)
		return;
	uint8_t *top = w->depth > 0 ? &w->open[w->depth - 1] : NULL;
	if (top == NULL || !(*top & JW_OBJECT) || (*top & JW_NAMED)) {
		w->err = -EINVAL; /* not in an object, or a name is waiting for its value */
		return;
	}
	if (!(*top & JW_FIRST))
		put(w, ",", 1);
	*top = (uint8_t)((*top & ~JW_FIRST) | JW_NAMED);
	escaped(w, name, len);
	put(w, ":", 1);
}

void sl_jw_key(struct sl_jw *w, const char *name)
{
	sl_jw_key_n(w, name, strlen(name));
}

void sl_jw_str(struct sl_jw *w, const char *s, size_t len)
{
	if (!value_begins(w))
		return;
	escaped(w, s, len);
	value_ends(w);
}

void sl_jw_cstr(struct sl_jw *w, const char *s)
{
	sl_jw_str(w, s, strlen(s));
}

void sl_jw_int(struct sl_jw *w, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);
	scalar(w, b, (size_t)n);
}

void sl_jw_uint(struct sl_jw *w, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);
	scalar(w, b, (size_t)n);
}

void sl_jw_double(struct sl_jw *w, double v)
{
	if (!isfinite(v)) {
		scalar(w, "null", 4);
		return;
	}
	char b[SL_FORMAT_MAX];
	size_t n = sl_format_double(v, b, sizeof(b));
	scalar(w, b, n);
}

void sl_jw_bool(struct sl_jw *w, bool v)
{
	scalar(w, v ? "true" : "false", v ? 4 : 5);
}

void sl_jw_null(struct sl_jw *w)
{
	scalar(w, "null", 4);
}

void sl_jw_raw(struct sl_jw *w, const char *json, size_t len)
{
	scalar(w, json, len);
}

void sl_jw_value(struct sl_jw *w, const struct sl_json *v)
{
	if (v == NULL) {
		sl_jw_null(w);
		return;
	}
	switch ((enum sl_json_kind)v->kind) {
	case SL_JSON_NULL:
		sl_jw_null(w);
		return;
	case SL_JSON_BOOL:
		sl_jw_bool(w, (v->flags & F_TRUE) != 0);
		return;
	case SL_JSON_NUMBER:
		sl_jw_raw(w, v->p.s, v->len);
		return;
	case SL_JSON_STRING:
		sl_jw_str(w, v->p.s, v->len);
		return;
	case SL_JSON_ARRAY:
		sl_jw_arr_begin(w);
		for (uint32_t i = 0; i < v->len && w->err == 0; i++)
			sl_jw_value(w, &v->p.kids[i]);
		sl_jw_arr_end(w);
		return;
	case SL_JSON_OBJECT:
		sl_jw_obj_begin(w);
		for (uint32_t i = 0; i < v->len && w->err == 0; i++) {
			sl_jw_key_n(w, v->p.kids[2 * i].p.s, v->p.kids[2 * i].len);
			sl_jw_value(w, &v->p.kids[2 * i + 1]);
		}
		sl_jw_obj_end(w);
		return;
	}
}

int sl_jw_finish(const struct sl_jw *w)
{
	if (w->err != 0)
		return w->err;
	return w->depth == 0 && w->done ? 0 : -EINVAL;
}
