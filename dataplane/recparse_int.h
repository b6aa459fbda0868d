/*
 * recparse_int.h — what the record parsers share inside dataplane/:
 * recparse.c (options, set-up, text, rows and modes), recparse_csv.c and
 * recparse_json.c. Not for other modules: they use recparse.h.
 *
 * A parser is built once from a validated spec and then touched only by its
 * ingest thread. Per line it fills one row: every column's value and null
 * flag, the corrupt-record column last (rp_finish). Strings point into the
 * line, into the parser's options (empty_value), or into `scratch`, a list
 * of blocks that only grows while a core warms up and is rewound by
 * sl_recparse_reset().
 */
#ifndef SL_RECPARSE_INT_H
#define SL_RECPARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "recparse.h"

struct sl_simdjson;

enum rp_mode {
	RP_PERMISSIVE,
	RP_DROPMALFORMED,
	RP_FAILFAST,
};

struct rp_block {
	struct rp_block *next;
	size_t cap, used;
	char data[];
};

struct rp_col {
	char *name;
	uint32_t name_len;
	enum sl_type type;
};

#define RP_SEP_MAX 16

/* The last date a parser's fast path converted (rp_fast_timestamp_cached):
 * zeroed with the parser, then touched only by its ingest thread. */
struct rp_ts_cache {
	uint64_t date8; /* s[0..8) of the cached date; 0: none (s[4] is '-') */
	uint16_t date2; /* s[8..10) */
	int64_t days;   /* its day number since 1970-01-01 */
};

struct sl_recparse {
	enum sl_rec_format f;
	enum rp_mode mode;
	uint32_t ncols;
	struct rp_col *cols;
	int32_t corrupt; /* schema index of the corrupt-record column, or -1 */
	uint32_t ndata;  /* the other columns: the record's fields, in order */
	uint32_t *data;  /* their schema indices */

	/* timestamps: CAST's rules when ts_format is NULL */
	char *ts_format;
	uint32_t ts_format_len;
	bool ts_fallback; /* with ts_format: CAST's rules when the pattern fails */
	struct rp_ts_cache ts_cache; /* TIMESTAMP fields (csv, json): the last date read */

	/* csv */
	char sep[RP_SEP_MAX];
	uint32_t sep_len;
	int quote, escape, escape_escape, comment; /* a byte, or -1: none */
	bool header, enforce_schema, ignore_leading, ignore_trailing;
	char *null_value, *empty_value, *nan_value, *pos_inf, *neg_inf;
	uint32_t null_len, empty_len, nan_len, pos_inf_len, neg_inf_len;
	uint8_t special[256]; /* quote, escape and escape_escape: 1 */
	uint32_t max_columns;
	int64_t max_chars; /* -1: unlimited */
	bool multi_line;     /* records may span lines (sl_recparse_scan) */
	uint8_t scan_state;  /* sl_recparse_scan's place in the record */
	uint32_t scan_sep;   /* bytes of a multi-byte sep matched so far */

	/* json */
	struct sl_simdjson *json;
	bool allow_nonnum;
	uint32_t hint; /* the data column the next key is likely to name */
	bool nested;   /* a data column's name holds '.': nested fields */
	uint8_t *jstate; /* with nested, per column and record: JS_* bits */
	char jdeferred[256]; /* FAILFAST's message for the first nested mismatch */
	int32_t jdeferred_col; /* its column, or -1 */

	/* the fast paths that stand in for the general ones (the JSON flat
	 * walk, the CSV quote-free split): on unless a test turns them off
	 * (rp_set_fast_paths) to compare both ways */
	bool fast_paths;
	uint64_t fast_rows; /* lines the JSON flat walk took (for the tests) */
	uint64_t lane_fields; /* fields the CSV burst converted four at a time (for the tests) */
	bool burst_ascii;     /* sl_recparse_burst_ascii */
	bool avx2;          /* the CPU has AVX2 (json_flat's scan), unless a test says no */

	/* per input and line */
	bool want_header;
	uint64_t malformed;
	struct rp_block *blocks, *cur;
};

/*
 * Fast paths in front of CAST's conversions (dataplane/expr.h sl_text_to_*)
 * for the plain forms most data has. Each returns 1 with *out set to
 * exactly what CAST gives (the unit tests and the fuzz harness compare them
 * on every input), or 0: not that form, ask CAST.
 */

/* [+-]digits, at most 18 digits, within INT's range when is_int. */
static inline int rp_fast_integral(const char *s, uint32_t n, bool is_int, int64_t *out)
{
	uint32_t i = 0;
	bool neg = false;
	if (n == 0 || n > 19)
		return 0;
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n || n - i > 18)
		return 0;
	uint64_t v = 0;
	for (; i < n; i++) {
		unsigned d = (unsigned)((unsigned char)s[i] - '0');
		if (d > 9)
			return 0;
		v = v * 10 + d;
	}
	int64_t r = neg ? -(int64_t)v : (int64_t)v;
	if (is_int && (r < INT32_MIN || r > INT32_MAX))
		return 0;
	*out = r;
	return 1;
}

/*
 * rp_fast_integral for a text with 8 readable bytes after its sign (the
 * bytes past n may be anything): up to 8 digits are checked and converted
 * at once (one 8-byte load, no loop whose length varies from row to row);
 * longer texts take the loop. The same answers as rp_fast_integral.
 */
static inline int rp_fast_integral_ahead(const char *s, uint32_t n, bool is_int, int64_t *out)
{
	if (n == 0)
		return 0;
	uint32_t i = s[0] == '-' || s[0] == '+';
	uint32_t d = n - i;
	if (d == 0 || d > 8)
		return rp_fast_integral(s, n, is_int, out);
	uint64_t v;
	memcpy(&v, s + i, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	/* the d digits to the high bytes, '0' below them */
	v = (v << (8 * (8 - d))) | (0x3030303030303030ull & ~(~0ull << (8 * (8 - d))));
	if ((v & 0xF0F0F0F0F0F0F0F0ull) != 0x3030303030303030ull ||
	    ((v + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) != 0x3030303030303030ull)
		return 0;
	v -= 0x3030303030303030ull;
	v = v * 10 + (v >> 8); /* pairs */
	v = (((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
	     (((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >>
	    32;
	int64_t r = s[0] == '-' ? -(int64_t)v : (int64_t)v;
	if (is_int && (r < INT32_MIN || r > INT32_MAX))
		return 0;
	*out = r;
	return 1;
}

/* [+-]digits[.digits] with at most 15 digits in all: the digits make an
 * exact integer below 2^53 and the power of ten is exact, so one division
 * is correctly rounded, as Java's (and strtod's) parsing is. */
static inline int rp_fast_double(const char *s, uint32_t n, double *out)
{
	static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
	uint32_t i = 0, digits = 0, frac = 0;
	bool neg = false;
	if (n == 0 || n > 18)
		return 0;
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		i = 1;
	}
	uint64_t m = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
		m = m * 10 + (uint64_t)(s[i] - '0');
	if (digits == 0)
		return 0;
	if (i < n) {
		if (s[i] != '.')
			return 0;
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, frac++)
			m = m * 10 + (uint64_t)(s[i] - '0');
		if (frac == 0 || i != n)
			return 0;
	}
	if (digits + frac > 15)
		return 0;
	double d = (double)m / p10[frac];
	*out = neg ? -d : d;
	return 1;
}

static inline int64_t rp_days_from_civil(int64_t y, uint32_t m, uint32_t d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const uint32_t yoe = (uint32_t)(y - era * 400);
	const uint32_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/*
 * Timestamps, yyyy-MM-dd HH:mm:ss[.S{1,6}] (' ' or 'T', no zone: UTC), read
 * with 8-byte loads (SWAR): a mask checks the separators and that every
 * digit byte is '0'..'9' at once, then digit pairs are multiplied and added.
 * Little-endian loads: byte i of a word is s[i].
 *
 * Most files hold runs of rows from the same day, so a parser keeps the last
 * date it converted (struct rp_ts_cache): when the 10 date bytes equal it,
 * its day number is reused and the date is neither checked nor converted
 * again (it was, when it was cached). Only the time is.
 */

static inline uint64_t rp_load64(const char *s)
{
	uint64_t v;
	memcpy(&v, s, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint16_t rp_load16(const char *s)
{
	return (uint16_t)((unsigned char)s[0] | (unsigned)(unsigned char)s[1] << 8);
}

/* True when every byte of v where `digits` is 0xFF is '0'..'9' and every
 * other byte equals that byte of `sep` (0 where `digits` is 0xFF). */
static inline bool rp_swar_match(uint64_t v, uint64_t digits, uint64_t sep)
{
	const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull, z = 0x3030303030303030ull;
	/* digit bytes 0x30..0x3F, the others exactly `sep` */
	if ((v & ((hi & digits) | ~digits)) != ((z & digits) | sep))
		return false;
	/* no carry between bytes: all are <= 0x3F or a known separator < 0xFA */
	return ((v + (0x0606060606060606ull & digits)) & hi & digits) == (z & digits);
}

/* The value of each pair of digit bytes i, i+1 at byte i (d: digit values). */
static inline uint64_t rp_swar_pairs(uint64_t d)
{
	return d * 10 + (d >> 8);
}

/* yyyy-MM-dd HH:mm:ss[.S{1,6}], with ' ' or 'T', no zone (UTC); c: the
 * parser's cache, or NULL. */
static inline int rp_fast_timestamp_cached(struct rp_ts_cache *c, const char *s, uint32_t n,
					   int64_t *out)
{
	/* "HH:mm:ss" at s + 11, s[10] is ' ' or 'T' */
	const uint64_t tdig = 0xFFFF00FFFF00FFFFull, tsep = 0x00003A00003A0000ull;
	/* "yyyy-MM-" and "dd" */
	const uint64_t ddig = 0x00FFFF00FFFFFFFFull, dsep = 0x2D00002D00000000ull;
	static const uint8_t dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (n < 19 || n > 26 || n == 20 || (s[10] != ' ' && s[10] != 'T'))
		return 0;
	uint64_t t = rp_load64(s + 11);
	if (!rp_swar_match(t, tdig, tsep))
		return 0;
	t = rp_swar_pairs(t - ((0x3030303030303030ull & tdig) | tsep));
	uint32_t h = (uint32_t)(t & 0xFF), mi = (uint32_t)(t >> 24 & 0xFF),
		 se = (uint32_t)(t >> 48 & 0xFF);
	if (h > 23 || mi > 59 || se > 59)
		return 0;
	int64_t us = 0;
	if (n > 19) {
		/* the 8 bytes that end the text, shifted so that the 1 to 6
		 * fraction digits start at byte 2; bytes 0, 1 and the missing
		 * digits are made '0': "00ffffff" */
		uint32_t r = 26 - n;
		uint64_t f = rp_load64(s + n - 8) >> (8 * r);
		f = (f & ~0xFFFFull) | 0x3030 | (0x3030303030303030ull & ~(~0ull >> (8 * r)));
		if (s[19] != '.' || !rp_swar_match(f, ~0ull, 0))
			return 0;
		f -= 0x3030303030303030ull;
		f = rp_swar_pairs(f) & 0x00FF00FF00FF00FFull; /* 4 pairs, 0..99 */
		f = (f * (1 + (100ull << 16))) >> 16 & 0x0000FFFF0000FFFFull; /* 2 quads */
		us = (int64_t)((f & 0xFFFF) * 10000 + (f >> 32));
	}
	uint64_t d8 = rp_load64(s);
	uint16_t d2 = rp_load16(s + 8);
	int64_t days;
	if (c != NULL && d8 == c->date8 && d2 == c->date2 && c->date8 != 0) {
		days = c->days;
	} else {
		if (!rp_swar_match(d8, ddig, dsep) || (unsigned)(s[8] - '0') > 9 ||
		    (unsigned)(s[9] - '0') > 9)
			return 0;
		uint64_t p = rp_swar_pairs(d8 - ((0x3030303030303030ull & ddig) | dsep));
		uint32_t y = (uint32_t)(p & 0xFF) * 100 + (uint32_t)(p >> 16 & 0xFF),
			 mo = (uint32_t)(p >> 40 & 0xFF),
			 d = (uint32_t)(s[8] - '0') * 10 + (uint32_t)(s[9] - '0');
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		if (mo < 1 || mo > 12 || d < 1 || d > (mo == 2 && leap ? 29u : dm[mo - 1]))
			return 0;
		days = rp_days_from_civil(y, mo, d);
		if (c != NULL) {
			c->date8 = d8;
			c->date2 = d2;
			c->days = days;
		}
	}
	*out = ((days * 86400 + h * 3600 + mi * 60 + se) * 1000000) + us;
	return 1;
}

/* The same without a cache. */
static inline int rp_fast_timestamp(const char *s, uint32_t n, int64_t *out)
{
	return rp_fast_timestamp_cached(NULL, s, n, out);
}

/* Scratch memory until sl_recparse_reset(); NULL when out of memory. */
char *rp_alloc(struct sl_recparse *p, size_t n);
/* Give back the end of the last allocation, r[0..n) of which `used` bytes
 * are kept (an upper bound was asked for). */
void rp_alloc_trim(struct sl_recparse *p, char *r, size_t n, size_t used);

/* CAST(text AS TIMESTAMP), or timestamp_format's pattern. */
bool rp_text_timestamp(const struct sl_recparse *p, const char *s, uint32_t n, int64_t *out);

/* The same, with the parser's date cache (p->ts_cache): for the fields of
 * records, on the parser's own thread. */
static inline bool rp_text_timestamp_cached(struct sl_recparse *p, const char *s, uint32_t n,
					    int64_t *out)
{
	if (p->ts_format == NULL)
		return rp_fast_timestamp_cached(&p->ts_cache, s, n, out) ||
		       sl_text_to_timestamp(s, n, out);
	return rp_text_timestamp(p, s, n, out);
}

/* One row's value slots. */
static inline void rp_set_null(struct sl_chunk *out, uint32_t col, uint32_t row)
{
	out->cols[col].nulls[row] = 1;
}

static inline void rp_set_str(struct sl_chunk *out, uint32_t col, uint32_t row, const char *s,
			      uint32_t n)
{
	out->cols[col].nulls[row] = 0;
	out->cols[col].v.str[row].ptr = s;
	out->cols[col].v.str[row].len = n;
}

/* Every data column of the row NULL (a record that could not be parsed). */
void rp_null_data(const struct sl_recparse *p, struct sl_chunk *out, uint32_t row);

/*
 * The end of a record: `bad` says whether it was malformed. Fills the
 * corrupt-record column and applies the mode: returns 1 (row kept), 0
 * (dropped, DROPMALFORMED). FAILFAST never gets here with bad set: the
 * parsers stop at the first problem with rp_failfast().
 */
int rp_finish(struct sl_recparse *p, const char *line, uint32_t len, struct sl_chunk *out,
	      uint32_t row, bool bad);

/* FAILFAST's error: "what" then the advice on modes; returns -EINVAL. */
int rp_failfast(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A field's text for a message: at most 40 bytes, in single quotes when
 * `quotes`, non-printable bytes as \xNN, "..." when cut. */
void rp_quote_text(char *buf, size_t len, const char *s, uint32_t n, bool quotes);

/* Tests only: turn the fast paths off (false) or on (true, the default),
 * to check that both ways give the same rows, counts and messages. */
static inline void rp_set_fast_paths(struct sl_recparse *p, bool on)
{
	p->fast_paths = on;
}

/* Tests only: the SIMD width of the fast paths' scans: false keeps them to
 * SSE2 (the default is AVX2 where the CPU has it). */
static inline void rp_set_avx2(struct sl_recparse *p, bool on)
{
	p->avx2 = on;
}

/* padded: line[len..len + SL_RECPARSE_PADDING) is readable. */
int rp_csv_line(struct sl_recparse *p, const char *line, uint32_t len, bool padded,
		struct sl_chunk *out, uint32_t row, char *err, size_t errlen);
int rp_json_line(struct sl_recparse *p, const char *line, uint32_t len, bool padded,
		 struct sl_chunk *out, uint32_t row, char *err, size_t errlen);

#endif
