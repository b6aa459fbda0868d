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

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

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
	uint32_t *span_cut;   /* sl_recparse_burst_span's cuts (allocated at its first call) */
	bool span_crlf;       /* its lines end with "\r\n" (as the last group's first did) */
	bool line_ascii;      /* sl_recparse_line_ascii */
	bool avx2;          /* the CPU has AVX2 (json_flat's scan), unless a test says no */
	bool avx512;        /* and AVX-512 F, BW, VL and VBMI2 (the CSV span scan), unless a test says no */

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

/* 8 bytes at s, byte i of the word s[i] (the SWAR code below reads so). */
static inline uint64_t rp_load64(const char *s)
{
	uint64_t v;
	memcpy(&v, s, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

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

/* The number that 8 digit values make, the first in byte 0 (the highest
 * digit) and the last in byte 7: pairs, then the pairs of bytes 0 and 4
 * and of 2 and 6 multiplied into place and added. */
static inline uint64_t rp_swar_value8(uint64_t v)
{
	v = v * 10 + (v >> 8); /* pairs */
	return (((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
		(((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >>
	       32;
}

/*
 * The value of the n (1 to 8) digits at s, with s[0..8) readable (the bytes
 * past n may be anything), or false: one of them is not '0'..'9'. One load:
 * the digit values moved to the high bytes (zeros below them, leading zeros
 * of the number) and checked at once.
 */
static inline bool rp_swar_digits8(const char *s, uint32_t n, uint64_t *out)
{
	/* (64 - 8n) & 63, 0 for 8 digits: a byte below '0' past n borrows
	 * only from the bytes above it, and they are shifted out */
	uint64_t v = (rp_load64(s) - 0x3030303030303030ull) << ((0u - 8 * n) & 63);
	/* each byte 0..9: neither its top bit set nor set by adding 0x76
	 * (the lowest byte that is not a digit is flagged exactly: nothing
	 * below it carries) */
	if (((v + 0x7676767676767676ull) | v) & 0x8080808080808080ull)
		return false;
	*out = rp_swar_value8(v);
	return true;
}

/*
 * rp_fast_integral for a text with 8 readable bytes after its sign (the
 * bytes past n may be anything): up to 8 digits are checked and converted
 * at once (one 8-byte load, no loop whose length varies from row to row);
 * longer texts take the loop. The same answers as rp_fast_integral. Up to 8
 * digits are below 10^8, inside INT's range, so there is nothing to check:
 * the unsigned case (most fields) costs one branch on the first byte.
 */
static inline int rp_fast_integral_ahead(const char *s, uint32_t n, bool is_int, int64_t *out)
{
	uint64_t v;
	if (n - 1 < 8 && s[0] >= '0') {
		if (!rp_swar_digits8(s, n, &v))
			return 0;
		*out = (int64_t)v;
		return 1;
	}
	if (n - 2 < 8 && (s[0] == '-' || s[0] == '+')) {
		if (!rp_swar_digits8(s + 1, n - 1, &v))
			return 0;
		*out = s[0] == '-' ? -(int64_t)v : (int64_t)v;
		return 1;
	}
	return rp_fast_integral(s, n, is_int, out);
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

/*
 * rp_fast_double for a text with s[0..16) readable (the bytes past n may be
 * anything): the same answers, bit for bit, without a loop per byte.
 *
 * Up to 8 bytes after the sign (most numbers) take one 8-byte load
 * (rp_double8); longer texts up to 16 bytes one 16-byte load (SSE2,
 * rp_double16); the rest, and 16 digits with no dot, take rp_fast_double.
 * Both check every byte at once: past the sign, all are digits but for at
 * most one '.' with a digit on each side. Then the digits before the dot
 * move up one byte, onto it, so that all of them stand in a row, and the
 * row is converted as one number.
 */

/* [digits][.digits] in s[0..n), n 1 to 8, s[0] >= '0' (not the dot),
 * s[0..8) readable. */
static inline __attribute__((always_inline)) int rp_double8(const char *s, uint32_t n, bool neg,
							     double *out)
{
	/* by the dot's byte k in the word (the text's last byte is byte 7):
	 * the bytes up to k, and 10^(7 - k) */
	static const uint64_t upto[] = {0xFFull, 0xFFFFull, 0xFFFFFFull, 0xFFFFFFFFull,
					0xFFFFFFFFFFull, 0xFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFull};
	static const double p10[] = {1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1};
	/* digit values, the last at byte 7; XOR, not a subtraction, so that
	 * the dot ('.' ^ '0' = 0x1E) borrows nothing from the byte above */
	uint64_t x = (rp_load64(s) ^ 0x3030303030303030ull) << ((0u - 8 * n) & 63);
	/* bytes over 9, exact up to and including the lowest of them (nothing
	 * below it carries), and above it too when it is the dot (0x1E + 0x76
	 * carries nothing either) */
	const uint64_t f = ((x + 0x7676767676767676ull) | x) & 0x8080808080808080ull;
	double v;
	if (f == 0) {
		v = (double)rp_swar_value8(x);
	} else {
		/* one non-digit, not the last byte (nor the first: s[0] is
		 * not the dot), and it is the dot */
		const uint32_t k = (uint32_t)__builtin_ctzll(f) / 8;
		if ((f & ((f - 1) | 0x8000000000000000ull)) != 0 || s[k + n - 8] != '.')
			return 0;
		/* the bytes up to the dot one byte up: a 0 moves in below; at
		 * most 7 digits are exact, and so is the power of ten, so the
		 * one division is rp_fast_double's */
		x ^= (x ^ (x << 8)) & upto[k];
		v = (double)rp_swar_value8(x) / p10[k];
	}
	*out = neg ? -v : v;
	return 1;
}

#if defined(__SSE2__) && defined(__x86_64__)
/* 0xFF in bytes 0..k-1 (k 0 to 16), 0 above: one load from a window. */
static inline __m128i rp_bytes_below(uint32_t k)
{
	static const uint8_t ones[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
					 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
	return _mm_loadu_si128((const __m128i *)(const void *)(ones + 16 - k));
}

/*
 * [digits][.digits] in s[st..n) after a sign (st 1) or none (st 0), n 1 to
 * 16, s[0..16) readable. The 16 digits in a row are converted as one number
 * M (pairs, fours, eights); the units digit then stands at byte p, the
 * dot's place (or n without one), so M = m * 10^(15 - p - frac) and
 * M / 10^(15 - p) is m / 10^frac: the same quotient of exact operands (byte
 * 0 is never a digit after the move, so M < 10^15 < 2^53), hence the same
 * correctly rounded double.
 */
static inline __attribute__((always_inline)) int rp_double16(const char *s, uint32_t n,
							      uint32_t st, bool neg, double *out)
{
	/* 10^(15 - p) */
	static const double p10r[] = {1e15, 1e14, 1e13, 1e12, 1e11, 1e10, 1e9, 1e8,
				      1e7,  1e6,  1e5,  1e4,  1e3,  1e2,  1e1, 1e0};
	const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
	const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	const __m128i dig =
		_mm_cmpeq_epi8(_mm_subs_epu8(d, _mm_set1_epi8(9)), _mm_setzero_si128());
	/* the non-digits of s[st..n) */
	const uint32_t nd = ~(uint32_t)_mm_movemask_epi8(dig) & ((1u << n) - 1) & ~st;
	if (nd & (nd - 1))
		return 0;
	const uint32_t p = (uint32_t)__builtin_ctz(nd | 1u << n); /* the dot, or n */
	if (p < n) {
		if (s[p] != '.' || p == st || p + 1 == n)
			return 0;
	} else if (n == st) {
		return 0; /* the sign alone */
	} else if (n == 16) {
		return rp_fast_double(s, n, out); /* 15 digits after a sign, or 16 */
	}
	const __m128i keep = _mm_and_si128(_mm_and_si128(d, dig), rp_bytes_below(n));
	const __m128i lo = _mm_and_si128(keep, rp_bytes_below(p));
	__m128i y = _mm_or_si128(_mm_slli_si128(lo, 1), _mm_xor_si128(keep, lo));
	/* 16-bit lanes: pairs (byte 2i is the higher digit), then 32-bit
	 * lanes of 4 digits, then 64-bit lanes of 8, then both */
	y = _mm_add_epi16(
		_mm_mullo_epi16(_mm_and_si128(y, _mm_set1_epi16(0xFF)), _mm_set1_epi16(10)),
		_mm_srli_epi16(y, 8));
	y = _mm_madd_epi16(y, _mm_set1_epi32(100 + (1 << 16)));
	y = _mm_add_epi64(_mm_mul_epu32(y, _mm_set1_epi32(10000)), _mm_srli_epi64(y, 32));
	y = _mm_add_epi64(_mm_mul_epu32(y, _mm_set1_epi32(100000000)), _mm_srli_si128(y, 8));
	const double v = (double)_mm_cvtsi128_si64(y) / p10r[p];
	*out = neg ? -v : v;
	return 1;
}
#endif

/* rp_fast_double_ahead's rarer texts: not inlined, so that the common
 * ones inline into the CSV burst's loop whole. */
static __attribute__((noinline, unused)) int rp_fast_double_rest(const char *s, uint32_t n,
								 double *out)
{
#if defined(__SSE2__) && defined(__x86_64__)
	if (n - 1 < 16) {
		if (s[0] >= '0')
			return rp_double16(s, n, 0, false, out);
		if (s[0] == '-' || s[0] == '+')
			return rp_double16(s, n, 1, s[0] == '-', out);
		return 0;
	}
#endif
	return rp_fast_double(s, n, out);
}

static inline int rp_fast_double_ahead(const char *s, uint32_t n, double *out)
{
	if (n - 1 < 8 && s[0] >= '0')
		return rp_double8(s, n, false, out);
	if (n - 2 < 8 && (s[0] == '-' || s[0] == '+') && s[1] >= '0')
		return rp_double8(s + 1, n - 1, s[0] == '-', out);
	return rp_fast_double_rest(s, n, out);
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
	/* "yyyy-MM-" and "dd" */
	const uint64_t ddig = 0x00FFFF00FFFFFFFFull, dsep = 0x2D00002D00000000ull;
	static const uint8_t dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (n < 19 || n > 26 || n == 20 || (s[10] != ' ' && s[10] != 'T'))
		return 0;
	/* "HH:mm:ss" at s + 11 (s[10] is ' ' or 'T'), XORed with "00:00:00":
	 * digit values, and 0 for the colons; adding 0x76 to a digit byte
	 * and 0x7F to a colon's sets the top bit of one that is over 9, or
	 * not 0 (exact for the lowest bad byte: nothing below it carries) */
	uint64_t t = rp_load64(s + 11) ^ 0x30303A30303A3030ull;
	if (((t + 0x76767F76767F7676ull) | t) & 0x8080808080808080ull)
		return 0;
	t = rp_swar_pairs(t);
	/* hours in byte 0, minutes in byte 3, seconds in byte 6, each 0..99
	 * and the bytes between them too: adding 128 - 24, 128 - 60 and
	 * 128 - 60 sets a top bit where one is over 23, 59 or 59, and
	 * carries into no other byte */
	if ((t + 0x0044000044000068ull) & 0x0080000080000080ull)
		return 0;
	const int64_t sec = (int64_t)((t & 0xFF) * 3600 + (t >> 24 & 0xFF) * 60 + (t >> 48 & 0xFF));
	int64_t us = 0;
	if (n > 19) {
		/* the 8 bytes that end the text, XORed with '0's and moved
		 * down so that they stand as s[18..26) would: the seconds'
		 * last digit (checked above, cleared), the dot (0x1E, made 0),
		 * then the 1 to 6 digits, and zeros for those missing; read
		 * as 6 digits, the microseconds */
		uint64_t f = (((rp_load64(s + n - 8) ^ 0x3030303030303030ull) >> (8 * (26 - n))) ^
			      ('.' ^ '0') << 8) &
			     ~0xFFull;
		if (((f + 0x7676767676767F00ull) | f) & 0x8080808080808080ull)
			return 0;
		us = (int64_t)rp_swar_value8(f);
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
	*out = ((days * 86400 + sec) * 1000000) + us;
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

/* The cuts sl_recparse_burst_span writes (p->span_cut): 0, or -ENOMEM. */
int rp_csv_span_alloc(struct sl_recparse *p);

/* Whether the CPU has AVX2, and BMI1 and BMI2 with it (the CSV span scan
 * uses tzcnt and blsr beside its 32-byte compares). */
static inline bool rp_cpu_avx2(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
	       __builtin_cpu_supports("bmi2");
#else
	return false;
#endif
}

/* Whether the CPU has AVX2 (rp_cpu_avx2) and AVX-512 F, BW, VL and VBMI2
 * (the CSV span scan's 64-byte compares and vpcompressb). */
static inline bool rp_cpu_avx512(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	return rp_cpu_avx2() && __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
	       __builtin_cpu_supports("avx512vbmi2");
#else
	return false;
#endif
}

/* Tests only: the SIMD width of the fast paths' scans: false keeps them to
 * SSE2, true to AVX2 (the default is the widest the CPU has: rp_cpu_avx2,
 * rp_cpu_avx512). */
static inline void rp_set_avx2(struct sl_recparse *p, bool on)
{
	p->avx2 = on;
	p->avx512 = false;
}

/* Tests only: AVX-512 for the CSV span scan (on: AVX2 as well). */
static inline void rp_set_avx512(struct sl_recparse *p, bool on)
{
	p->avx512 = on;
	p->avx2 = p->avx2 || on;
}

/* padded: line[len..len + SL_RECPARSE_PADDING) is readable. */
int rp_csv_line(struct sl_recparse *p, const char *line, uint32_t len, bool padded,
		struct sl_chunk *out, uint32_t row, char *err, size_t errlen);
int rp_json_line(struct sl_recparse *p, const char *line, uint32_t len, bool padded,
		 struct sl_chunk *out, uint32_t row, char *err, size_t errlen);

#endif
