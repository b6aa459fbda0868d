/*
 * regex.c — Hyperscan pattern sets for RLIKE and the split kernel.
 *
 * Semantics and the points where sluice differs from java.util.regex are
 * written in regex.h. Invariants kept here:
 *  - A set or splitter is immutable once built; scanning touches only the
 *    caller's sl_eval_ctx (Hyperscan scratch, arena), so any number of cores
 *    may scan one database at once.
 *  - Split pieces always point into the row they come from.
 *  - Per row, the regex splitter records in best_to[from] the end of the
 *    longest match Hyperscan reported starting at `from` (0 = none: every
 *    match is at least one byte long, so an end is never 0). Hyperscan
 *    reports, for each end offset, only the leftmost start; a match that
 *    starts later and ends there is hidden. The selection loop notices when
 *    a reported match straddles the point where it resumes (the only way a
 *    hidden match can matter) and rescans from there.
 */
#include "regex.h"

#include <errno.h>
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- UTF-8 ---- */

bool sl_utf8_valid(const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0;

	while (i < len) {
		/* Eight ASCII bytes at a time: the common case for text. */
		if (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ull) == 0) {
				i += 8;
				continue;
			}
		}
		uint8_t b = s[i];
		if (b < 0x80) {
			i++;
			continue;
		}
		uint32_t n;
		uint8_t lo = 0x80, hi = 0xBF;
		if (b >= 0xC2 && b <= 0xDF) {
			n = 2;
		} else if (b >= 0xE0 && b <= 0xEF) {
			n = 3;
			if (b == 0xE0)
				lo = 0xA0;
			else if (b == 0xED)
				hi = 0x9F;
		} else if (b >= 0xF0 && b <= 0xF4) {
			n = 4;
			if (b == 0xF0)
				lo = 0x90;
			else if (b == 0xF4)
				hi = 0x8F;
		} else {
			return false;
		}
		if (len - i < n)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (uint32_t k = 2; k < n; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		i += n;
	}
	return true;
}

/* Hyperscan takes NUL-terminated patterns; a NUL inside one is refused. */
static char *pattern_cstr(const char *p, uint32_t len, char *msg, size_t msglen)
{
	if (memchr(p, '\0', len) != NULL) {
		snprintf(msg, msglen, "the pattern contains a NUL byte");
		errno = EINVAL;
		return NULL;
	}
	char *c = malloc((size_t)len + 1);
	if (c == NULL)
		return NULL;
	memcpy(c, p, len);
	c[len] = '\0';
	return c;
}

/* Hyperscan's message without its final full stop (ours follow it). */
static void copy_hs_message(const hs_compile_error_t *ce, char *msg, size_t msglen)
{
	const char *m = ce != NULL && ce->message != NULL ? ce->message : "unknown error";
	size_t n = strlen(m);
	if (n > 0 && m[n - 1] == '.')
		n--;
	snprintf(msg, msglen, "%.*s", (int)n, m);
}

static hs_scratch_t *scratch_for(struct sl_eval_ctx *ctx, const hs_database_t *a,
				 const hs_database_t *b)
{
	/* hs_alloc_scratch may move the scratch: take the pointer after both. */
	hs_scratch_t *s = NULL;
	if (a != NULL && (s = sl_eval_ctx_scratch(ctx, a)) == NULL)
		return NULL;
	if (b != NULL && (s = sl_eval_ctx_scratch(ctx, b)) == NULL)
		return NULL;
	return s;
}

void sl_regex_error(char *err, size_t errlen, uint32_t line, uint32_t column,
		    const struct sl_str *pattern, const char *why)
{
	snprintf(err, errlen,
		 "line %u, column %u: cannot compile regular expression '%.*s': %s; "
		 "sluice supports the regular expressions Hyperscan does "
		 "(no back-references or look-around)",
		 line, column, (int)pattern->len, pattern->ptr, why);
}

/* ---- RLIKE pattern sets ---- */

struct sl_regex_set {
	uint32_t refs;      /* set-up time only: nodes that hold it */
	uint32_t n;
	uint64_t full;      /* every pattern's bit */
	hs_database_t *utf8; /* NULL when a pattern is not valid UTF-8 */
	hs_database_t *bytes;
};

struct set_scan {
	uint64_t mask;
	uint64_t full;
};

static int set_on_match(unsigned int id, unsigned long long from,
			unsigned long long to, unsigned int flags, void *arg)
{
	(void)from;
	(void)to;
	(void)flags;
	struct set_scan *st = arg;
	st->mask |= 1ull << id;
	/* Every pattern has matched: nothing more to learn from this row. */
	return st->mask == st->full;
}

struct sl_regex_set *sl_regex_set_compile(const struct sl_str *patterns,
					  uint32_t n, uint32_t *bad,
					  char *msg, size_t msglen)
{
	struct sl_regex_set *set = NULL;
	char **cs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	hs_compile_error_t *ce = NULL;
	bool all_utf8 = true;

	if (n == 0 || n > SL_REGEX_SET_MAX) {
		errno = EINVAL;
		snprintf(msg, msglen, "a pattern set holds 1 to %d patterns", SL_REGEX_SET_MAX);
		return NULL;
	}
	set = calloc(1, sizeof(*set));
	cs = calloc(n, sizeof(*cs));
	flags = calloc(n, sizeof(*flags));
	ids = calloc(n, sizeof(*ids));
	if (set == NULL || cs == NULL || flags == NULL || ids == NULL)
		goto err_nomem;
	for (uint32_t i = 0; i < n; i++) {
		cs[i] = pattern_cstr(patterns[i].ptr, patterns[i].len, msg, msglen);
		if (cs[i] == NULL) {
			if (errno == EINVAL) {
				*bad = i;
				goto err_free;
			}
			goto err_nomem;
		}
		ids[i] = i;
		if (!sl_utf8_valid(patterns[i].ptr, patterns[i].len))
			all_utf8 = false;
	}
	if (all_utf8) {
		for (uint32_t i = 0; i < n; i++)
			flags[i] = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY | HS_FLAG_UTF8;
		if (hs_compile_multi((const char *const *)cs, flags, ids, n, HS_MODE_BLOCK,
				     NULL, &set->utf8, &ce) != HS_SUCCESS)
			goto err_hs;
	}
	for (uint32_t i = 0; i < n; i++)
		flags[i] = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
	if (hs_compile_multi((const char *const *)cs, flags, ids, n, HS_MODE_BLOCK,
			     NULL, &set->bytes, &ce) != HS_SUCCESS)
		goto err_hs;
	set->refs = 1;
	set->n = n;
	set->full = n == 64 ? ~0ull : (1ull << n) - 1;
	for (uint32_t i = 0; i < n; i++)
		free(cs[i]);
	free(cs);
	free(flags);
	free(ids);
	return set;

err_hs:
	*bad = ce != NULL && ce->expression >= 0 ? (uint32_t)ce->expression : 0;
	copy_hs_message(ce, msg, msglen);
	hs_free_compile_error(ce);
	errno = EINVAL;
	goto err_free;
err_nomem:
	errno = ENOMEM;
err_free:
	if (cs != NULL)
		for (uint32_t i = 0; i < n; i++)
			free(cs[i]);
	free(cs);
	free(flags);
	free(ids);
	if (set != NULL) {
		hs_free_database(set->utf8);
		hs_free_database(set->bytes);
	}
	free(set);
	return NULL;
}

void sl_regex_set_ref(struct sl_regex_set *set)
{
	set->refs++;
}

void sl_regex_set_unref(struct sl_regex_set *set)
{
	if (set == NULL || --set->refs > 0)
		return;
	hs_free_database(set->utf8);
	hs_free_database(set->bytes);
	free(set);
}

int sl_regex_set_match(const struct sl_regex_set *set, struct sl_eval_ctx *ctx,
		       const struct sl_vec *strs, uint32_t nrows, uint64_t *masks)
{
	if (strs->type == SL_TYPE_NULL)
		return 0;
	hs_scratch_t *scratch = scratch_for(ctx, set->utf8, set->bytes);
	if (scratch == NULL)
		return -ENOMEM;
	for (uint32_t r = 0; r < nrows; r++) {
		if (strs->nulls != NULL && strs->nulls[r])
			continue;
		const struct sl_str *s = &strs->v.str[r];
		const char *p = s->len > 0 ? s->ptr : "";
		const hs_database_t *db = set->utf8 != NULL && sl_utf8_valid(p, s->len)
						  ? set->utf8 : set->bytes;
		struct set_scan st = { 0, set->full };
		hs_error_t rc = hs_scan(db, p, s->len, 0, scratch, set_on_match, &st);
		if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED)
			return rc == HS_NOMEM ? -ENOMEM : -EIO;
		masks[r] = st.mask;
	}
	return 0;
}

/* ---- split ---- */

enum split_kind {
	SPLIT_EMPTY,   /* the empty pattern: characters */
	SPLIT_BYTE,    /* a one-byte literal */
	SPLIT_LITERAL, /* a longer literal */
	SPLIT_CLASS,   /* one ASCII character class, optionally with + */
	SPLIT_REGEX,
};

struct sl_splitter {
	enum split_kind kind;
	char *lit; /* the literal, unquoted (SPLIT_BYTE, SPLIT_LITERAL) */
	uint32_t litlen;
	bool plus;         /* SPLIT_CLASS: runs of the class, not single bytes */
	uint8_t set[256];  /* SPLIT_CLASS: the bytes of the class */
	hs_database_t *utf8; /* SPLIT_REGEX; NULL when the pattern is not UTF-8 */
	hs_database_t *bytes;
};

static bool is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * The literal a pattern stands for, written to out (len bytes of room), or
 * -1 when it holds a regex construct. Java reads `\` before a
 * non-alphanumeric character as that character, and \Q...\E as quoted
 * text (to the end when \E is missing).
 */
static int64_t unquote_literal(const char *p, uint32_t len, char *out)
{
	static const char meta[] = ".$|()[]{}^?*+";
	uint32_t n = 0;

	for (uint32_t i = 0; i < len;) {
		uint8_t c = (uint8_t)p[i];
		if (c == '\\') {
			if (i + 1 >= len)
				return -1;
			uint8_t d = (uint8_t)p[i + 1];
			if (d == 'Q') {
				uint32_t j = i + 2;
				while (j < len && !(p[j] == '\\' && j + 1 < len && p[j + 1] == 'E'))
					out[n++] = p[j++];
				i = j < len ? j + 2 : len;
				continue;
			}
			if (is_alnum(d))
				return -1;
			out[n++] = (char)d;
			i += 2;
			continue;
		}
		if (c != '\0' && memchr(meta, c, sizeof(meta) - 1) != NULL)
			return -1;
		out[n++] = (char)c;
		i++;
	}
	return n;
}

static void set_chars(uint8_t *set, const char *chars)
{
	for (; *chars != '\0'; chars++)
		set[(uint8_t)*chars] = 1;
}

/*
 * One member of a character class at p[*i]: a plain ASCII character, an
 * escaped non-alphanumeric one, a control escape (\t \n \r \f \e \a)
 * -- *out is then its byte -- or \s \d \w, added to set (*out = -1).
 * False for anything else (non-ASCII, \S, \p{..}, \x.., metacharacters
 * outside a class; '[' and '&&' inside one, which Java reads as union and
 * intersection).
 */
static bool class_member(const char *p, uint32_t len, uint32_t *i, bool in_class,
			 uint8_t *set, int *out)
{
	static const char meta[] = ".$|()[]{}^?*+";
	uint8_t c = (uint8_t)p[*i];

	if (c >= 0x80)
		return false;
	if (c != '\\') {
		bool special = in_class ? c == '[' || c == '&'
					: c == '\0' || memchr(meta, c, sizeof(meta) - 1) != NULL;
		if (special)
			return false;
		*out = c;
		(*i)++;
		return true;
	}
	if (*i + 1 >= len)
		return false;
	uint8_t d = (uint8_t)p[*i + 1];
	*i += 2;
	*out = -1;
	switch (d) {
	case 's':
		set_chars(set, " \t\n\x0B\f\r"); /* Java's \s */
		return true;
	case 'd':
		set_chars(set, "0123456789");
		return true;
	case 'w':
		set_chars(set, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		return true;
	case 't':
		*out = '\t';
		return true;
	case 'n':
		*out = '\n';
		return true;
	case 'r':
		*out = '\r';
		return true;
	case 'f':
		*out = '\f';
		return true;
	case 'e':
		*out = 0x1B;
		return true;
	case 'a':
		*out = 0x07;
		return true;
	default:
		if (d >= 0x80 || is_alnum(d))
			return false;
		*out = d;
		return true;
	}
}

/*
 * A pattern that is one character class of ASCII characters, alone or
 * with '+': `\s+`, `[,;]`, `[ \t]+`, `\t`, `\d+`. Splitting on it needs
 * no regex engine: a byte table, and for '+' the longest run, which is
 * what both Java's greedy '+' and leftmost-longest pick.
 */
static bool parse_class(const char *p, uint32_t len, uint8_t *set, bool *plus)
{
	uint32_t i = 0;
	int c;

	memset(set, 0, 256);
	if (len == 0)
		return false;
	if (p[0] == '[') {
		i = 1;
		if (i < len && (p[i] == '^' || p[i] == ']'))
			return false; /* negated or empty-looking: leave to Hyperscan */
		while (i < len && p[i] != ']') {
			if (!class_member(p, len, &i, true, set, &c))
				return false;
			if (c < 0)
				continue;
			if (i + 1 < len && p[i] == '-' && p[i + 1] != ']') {
				int hi;
				i++;
				if (!class_member(p, len, &i, true, set, &hi) || hi < c)
					return false;
				for (int k = c; k <= hi; k++)
					set[k] = 1;
			} else {
				set[c] = 1;
			}
		}
		if (i >= len)
			return false;
		i++;
	} else {
		if (!class_member(p, len, &i, false, set, &c))
			return false;
		if (c >= 0)
			set[c] = 1;
	}
	*plus = i < len && p[i] == '+';
	if (*plus)
		i++;
	return i == len;
}

struct sl_splitter *sl_splitter_create(const char *pattern, uint32_t len,
				       char *msg, size_t msglen)
{
	struct sl_splitter *sp = calloc(1, sizeof(*sp));
	char *cs = NULL;
	hs_compile_error_t *ce = NULL;
	hs_expr_info_t *info = NULL;

	if (sp == NULL)
		return NULL;
	if (len == 0) {
		sp->kind = SPLIT_EMPTY;
		return sp;
	}
	sp->lit = malloc(len);
	if (sp->lit == NULL)
		goto err_nomem;
	int64_t n = unquote_literal(pattern, len, sp->lit);
	if (n > 0) {
		sp->litlen = (uint32_t)n;
		sp->kind = n == 1 ? SPLIT_BYTE : SPLIT_LITERAL;
		return sp;
	}
	free(sp->lit);
	sp->lit = NULL;
	if (parse_class(pattern, len, sp->set, &sp->plus)) {
		sp->kind = SPLIT_CLASS;
		return sp;
	}
	sp->kind = SPLIT_REGEX;

	cs = pattern_cstr(pattern, len, msg, msglen);
	if (cs == NULL) {
		if (errno == EINVAL)
			goto err_free;
		goto err_nomem;
	}
	bool utf8 = sl_utf8_valid(pattern, len);
	unsigned base = utf8 ? HS_FLAG_UTF8 : 0;
	if (hs_expression_info(cs, base | HS_FLAG_ALLOWEMPTY, &info, &ce) != HS_SUCCESS)
		goto err_hs;
	if (info->min_width == 0) {
		snprintf(msg, msglen,
			 "it can match the empty string, and Hyperscan cannot report where "
			 "such a match starts (split needs a pattern whose matches are at "
			 "least one character long: '+' rather than '*', no bare '^', '$' or '\\b')");
		errno = EINVAL;
		goto err_free;
	}
	if (utf8 && hs_compile(cs, HS_FLAG_SOM_LEFTMOST | HS_FLAG_UTF8, HS_MODE_BLOCK,
			       NULL, &sp->utf8, &ce) != HS_SUCCESS)
		goto err_hs;
	if (hs_compile(cs, HS_FLAG_SOM_LEFTMOST, HS_MODE_BLOCK, NULL, &sp->bytes,
		       &ce) != HS_SUCCESS)
		goto err_hs;
	free(info);
	free(cs);
	return sp;

err_hs:
	copy_hs_message(ce, msg, msglen);
	hs_free_compile_error(ce);
	errno = EINVAL;
	goto err_free;
err_nomem:
	errno = ENOMEM;
err_free:
	free(info);
	free(cs);
	sl_splitter_destroy(sp);
	return NULL;
}

void sl_splitter_destroy(struct sl_splitter *sp)
{
	if (sp == NULL)
		return;
	hs_free_database(sp->utf8);
	hs_free_database(sp->bytes);
	free(sp->lit);
	free(sp);
}

bool sl_splitter_literal(const struct sl_splitter *sp, const char **delim,
			 uint32_t *len)
{
	switch (sp->kind) {
	case SPLIT_EMPTY:
		*delim = "";
		*len = 0;
		return true;
	case SPLIT_BYTE:
	case SPLIT_LITERAL:
		*delim = sp->lit;
		*len = sp->litlen;
		return true;
	case SPLIT_CLASS:
	case SPLIT_REGEX:
		break;
	}
	return false;
}

static inline void put(struct sl_str *w, uint32_t *n, const char *p, size_t len)
{
	w[*n].ptr = p;
	w[*n].len = (uint32_t)len;
	(*n)++;
}

/*
 * The hot loop of the word count: split on one byte with no limit. SSE2
 * (baseline on x86-64) compares 16 bytes at once and walks the hit bits;
 * the last <16 bytes go one by one so that nothing past the row is read.
 */
static uint32_t split_byte_all(const char *s, uint32_t len, char c, struct sl_str *w)
{
	const char *ws = s, *p = s, *end = s + len;
	uint32_t n = 0;

#if defined(__SSE2__)
	const __m128i needle = _mm_set1_epi8(c);
	while (end - p >= 16) {
		__m128i blk = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(blk, needle));
		while (m != 0) {
			const char *hit = p + __builtin_ctz(m);
			put(w, &n, ws, (size_t)(hit - ws));
			ws = hit + 1;
			m &= m - 1;
		}
		p += 16;
	}
#endif
	for (; p < end; p++) {
		if (*p == c) {
			put(w, &n, ws, (size_t)(p - ws));
			ws = p + 1;
		}
	}
	put(w, &n, ws, (size_t)(end - ws));
	return n;
}

/* A literal delimiter with Java's limit rules (limit <= 0: none). */
static uint32_t split_literal(const char *s, uint32_t len, const char *d, uint32_t dl,
			      int64_t limit, struct sl_str *w)
{
	uint32_t n = 0, index = 0;

	for (;;) {
		if (limit > 0 && (int64_t)n == limit - 1)
			break;
		const char *q = dl == 1 ? memchr(s + index, (unsigned char)d[0], len - index)
					: memmem(s + index, len - index, d, dl);
		if (q == NULL)
			break;
		uint32_t at = (uint32_t)(q - s);
		put(w, &n, s + index, at - index);
		index = at + dl;
	}
	put(w, &n, s + index, len - index);
	return n;
}

/* A one-character class (runs of it with '+'), Java's limit rules. */
static uint32_t split_class(const char *s, uint32_t len, const uint8_t *set, bool plus,
			    int64_t limit, struct sl_str *w)
{
	const uint8_t *u = (const uint8_t *)s;
	uint32_t n = 0, index = 0, i = 0;

	while (i < len) {
		if (!set[u[i]]) {
			i++;
			continue;
		}
		if (limit > 0 && (int64_t)n == limit - 1)
			break;
		uint32_t j = i + 1;
		if (plus)
			while (j < len && set[u[j]])
				j++;
		put(w, &n, s + index, i - index);
		index = i = j;
	}
	put(w, &n, s + index, len - index);
	return n;
}

/* The empty pattern, as Spark's UTF8String.split special case. */
static uint32_t split_chars(const char *s, uint32_t len, int64_t limit, struct sl_str *w)
{
	uint32_t n = 0;

	if (len == 0) {
		put(w, &n, s, 0);
		return n;
	}
	uint32_t nchars = 0;
	for (uint32_t i = 0; i < len; i += sl_utf8_len((uint8_t)s[i]))
		nchars++;
	uint32_t lim = limit <= 0 || limit > nchars ? nchars : (uint32_t)limit;
	uint32_t i = 0;
	while (n + 1 < lim) {
		uint32_t cl = sl_utf8_len((uint8_t)s[i]);
		if (cl > len - i)
			cl = len - i;
		put(w, &n, s + i, cl);
		i += cl;
	}
	put(w, &n, s + i, len - i);
	return n;
}

struct split_scan {
	uint32_t *best_to;
	uint32_t base;
};

static int split_on_match(unsigned int id, unsigned long long from,
			  unsigned long long to, unsigned int flags, void *arg)
{
	(void)id;
	(void)flags;
	struct split_scan *st = arg;
	/* Reports come in order of end offset: a later one is longer. */
	st->best_to[st->base + from] = st->base + (uint32_t)to;
	return 0;
}

static int scan_from(const hs_database_t *db, hs_scratch_t *scratch, const char *s,
		     uint32_t len, uint32_t from, uint32_t *best_to)
{
	struct split_scan st = { best_to, from };

	memset(best_to + from, 0, (size_t)(len - from + 1) * sizeof(*best_to));
	hs_error_t rc = hs_scan(db, len > from ? s + from : "", len - from, 0, scratch,
				split_on_match, &st);
	if (rc != HS_SUCCESS)
		return rc == HS_NOMEM ? -ENOMEM : -EIO;
	return 0;
}

/* One row through Hyperscan; best_to has room for len + 1 entries. */
static int64_t split_regex(const struct sl_splitter *sp, hs_scratch_t *scratch,
			   uint32_t *best_to, const char *s, uint32_t len, int64_t limit,
			   struct sl_str *w)
{
	const hs_database_t *db = sp->utf8 != NULL && sl_utf8_valid(s, len) ? sp->utf8
									: sp->bytes;
	uint32_t n = 0, index = 0, p = 0, scanned = 0, maxto = 0;
	int rc;

	if ((rc = scan_from(db, scratch, s, len, 0, best_to)) < 0)
		return rc;
	for (;;) {
		/* maxto: the furthest end of the matches starting before p. */
		for (; scanned < p; scanned++)
			if (best_to[scanned] > maxto)
				maxto = best_to[scanned];
		if (maxto > p) {
			/* A reported match straddles p and may hide one that
			 * starts at or after p: look again from p. */
			if ((rc = scan_from(db, scratch, s, len, p, best_to)) < 0)
				return rc;
			maxto = 0;
		}
		uint32_t st = p;
		while (st < len && best_to[st] == 0)
			st++;
		if (st >= len)
			break;
		/* Java: the match that would make the limit'th piece ends the
		 * loop; that piece is the rest of the row. */
		if (limit > 0 && (int64_t)n == limit - 1)
			break;
		put(w, &n, s + index, st - index);
		index = best_to[st];
		scanned = st;
		p = index;
	}
	/* Also the whole row when nothing matched (index is still 0). */
	put(w, &n, s + index, len - index);
	return n;
}

int sl_split_chunk(const struct sl_splitter *sp, struct sl_eval_ctx *ctx,
		   const struct sl_vec *strs, uint32_t nrows,
		   const struct sl_vec *limits, int64_t limit,
		   bool want_spans, bool want_parents, struct sl_split_out *out)
{
	const bool none = strs->type == SL_TYPE_NULL;
	uint64_t total = 0, active = 0;
	uint32_t maxlen = 0;

	memset(out, 0, sizeof(*out));
	for (uint32_t r = 0; r < nrows && !none; r++) {
		if ((strs->nulls != NULL && strs->nulls[r]) ||
		    (limits != NULL && sl_vec_is_null(limits, r)))
			continue;
		uint32_t l = strs->v.str[r].len;
		total += l;
		active++;
		if (l > maxlen)
			maxlen = l;
	}
	/* Pieces per row are at most len + 1; start at a quarter of that
	 * (words of three letters and a delimiter) and grow per row if not. */
	uint64_t cap = total / 4 + active + 16;
	if (cap > total + active + 1)
		cap = total + active + 1;
	if (cap > UINT32_MAX)
		return -E2BIG;
	out->words = sl_eval_ctx_alloc(ctx, cap * sizeof(*out->words));
	if (out->words == NULL)
		return -ENOMEM;
	if (want_parents) {
		out->parents = sl_eval_ctx_alloc(ctx, cap * sizeof(*out->parents));
		if (out->parents == NULL)
			return -ENOMEM;
	}
	if (want_spans) {
		out->spans = sl_eval_ctx_alloc(ctx, (size_t)nrows * sizeof(*out->spans));
		if (out->spans == NULL)
			return -ENOMEM;
	}
	hs_scratch_t *scratch = NULL;
	uint32_t *best_to = NULL;
	if (sp->kind == SPLIT_REGEX && active > 0) {
		scratch = scratch_for(ctx, sp->utf8, sp->bytes);
		best_to = sl_eval_ctx_alloc(ctx, ((size_t)maxlen + 1) * sizeof(*best_to));
		if (scratch == NULL || best_to == NULL)
			return -ENOMEM;
	}

	uint32_t n = 0;
	for (uint32_t r = 0; r < nrows; r++) {
		if (none || (strs->nulls != NULL && strs->nulls[r]) ||
		    (limits != NULL && sl_vec_is_null(limits, r))) {
			if (want_spans)
				out->spans[r] = (struct sl_span){ n, 0 };
			continue;
		}
		const struct sl_str *row = &strs->v.str[r];
		const char *s = row->ptr != NULL ? row->ptr : "";
		uint32_t len = row->len;
		int64_t lim = limits != NULL ? limits->v.i64[r] : limit;
		if ((uint64_t)n + len + 1 > cap) {
			uint64_t ncap = cap * 2 > (uint64_t)n + len + 1 ? cap * 2
								      : (uint64_t)n + len + 1;
			if (ncap > UINT32_MAX)
				return -E2BIG;
			void *nw = sl_eval_ctx_grow(ctx, out->words, cap * sizeof(*out->words),
						    ncap * sizeof(*out->words));
			if (nw == NULL)
				return -ENOMEM;
			out->words = nw;
			if (want_parents) {
				void *np = sl_eval_ctx_grow(ctx, out->parents,
							    cap * sizeof(*out->parents),
							    ncap * sizeof(*out->parents));
				if (np == NULL)
					return -ENOMEM;
				out->parents = np;
			}
			cap = ncap;
		}
		struct sl_str *w = out->words + n;
		int64_t k;
		switch (sp->kind) {
		case SPLIT_BYTE:
			k = lim <= 0 ? split_byte_all(s, len, sp->lit[0], w)
				     : split_literal(s, len, sp->lit, 1, lim, w);
			break;
		case SPLIT_LITERAL:
			k = split_literal(s, len, sp->lit, sp->litlen, lim, w);
			break;
		case SPLIT_EMPTY:
			k = split_chars(s, len, lim, w);
			break;
		case SPLIT_CLASS:
			k = split_class(s, len, sp->set, sp->plus, lim, w);
			break;
		case SPLIT_REGEX:
		default:
			k = split_regex(sp, scratch, best_to, s, len, lim, w);
			if (k < 0)
				return (int)k;
			break;
		}
		if (want_parents)
			for (int64_t i = 0; i < k; i++)
				out->parents[n + i] = r;
		if (want_spans)
			out->spans[r] = (struct sl_span){ n, (uint32_t)k };
		n += (uint32_t)k;
	}
	out->nwords = n;
	return 0;
}
