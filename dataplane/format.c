/*
 * format.c — Spark's text for values (see format.h).
 *
 * Doubles: Java's Double.toString as specified since JDK 19 (JDK 17's older
 * algorithm differs on a few values, about 1 in 100,000 random doubles,
 * mostly subnormals: 2 * Double.MIN_VALUE is "1.0E-323" there and "9.9E-324"
 * here). Among the decimals that round to v it picks one of minimal length m
 * (when m == 1, any of length 1 or 2), the closest to v, ties to an even last
 * digit. We find it with the C library, whose printf and strtod are
 * correctly rounded:
 *  - "%.16e" gives v's 17 significant digits; re-rounding them to p digits
 *    gives the p-digit decimal nearest to v (ties to even), except at an
 *    exact half, where "%.{p-1}e" is asked instead;
 *  - a decimal rounds back to v when strtod (or, for short mantissas and
 *    small exponents, one exact multiply or divide) returns v.
 * The nearest p-digit decimal may miss v's rounding interval while the next
 * one on the other side of v hits it: at a power of two the interval below v
 * is half as wide as the one above. So a length p is tried with the nearest
 * decimal and then its neighbour across v; this finds a p-digit member of the
 * interval whenever one exists, so whether p works is monotonic in p and a
 * binary search over 1..17 finds m. Checked against JDK 25 on 2 million
 * values (random bit patterns, every power of two, short decimals).
 */
#include "format.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Copy text of length n into buf as snprintf would; returns n. */
static size_t emit(const char *text, size_t n, char *buf, size_t len)
{
	if (len > 0) {
		size_t k = n < len - 1 ? n : len - 1;
		memcpy(buf, text, k);
		buf[k] = '\0';
	}
	return n;
}

static uint64_t pow10_u64(int p)
{
	uint64_t r = 1;
	while (p-- > 0)
		r *= 10;
	return r;
}

/* mant * 10^(exp10 - p + 1) as a double, correctly rounded. */
static double decimal_value(uint64_t mant, int p, int exp10)
{
	/* Clinger's fast path: mant and 10^|k| are exact doubles, so one
	 * correctly rounded multiply or divide is the correctly rounded value */
	static const double exact_pow10[23] = {
		1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
	};
	int k = exp10 - p + 1;
	if (mant < (UINT64_C(1) << 53) && k >= -22 && k <= 22)
		return k >= 0 ? (double)mant * exact_pow10[k] : (double)mant / exact_pow10[-k];
	char s[48];
	snprintf(s, sizeof s, "%" PRIu64 "e%d", mant, k);
	return strtod(s, NULL);
}

/* v's 17 significant digits, correctly rounded, and its decimal exponent. */
struct digits17 {
	double v;
	uint64_t d17;
	int e17;
};

static void parse_e(const char *s, uint64_t *mant, int *exp10)
{
	uint64_t m = 0;
	const char *c = s;
	for (; *c != 'e'; c++)
		if (*c != '.')
			m = m * 10 + (uint64_t)(*c - '0');
	*mant = m;
	*exp10 = atoi(c + 1);
}

/* The p-digit decimal nearest to v, ties to even. Rounding the 17-digit
 * text again is exact unless its dropped tail is exactly one half (the true
 * tail may lie either side of it): then ask printf for p digits. */
static void nearest_digits(const struct digits17 *x, int p, uint64_t *mant, int *exp10)
{
	if (p == 17) {
		*mant = x->d17;
		*exp10 = x->e17;
		return;
	}
	uint64_t div = pow10_u64(17 - p);
	uint64_t q = x->d17 / div, r = x->d17 % div;
	if (r == div / 2) {
		char s[48];
		snprintf(s, sizeof s, "%.*e", p - 1, x->v);
		parse_e(s, mant, exp10);
		return;
	}
	int e = x->e17;
	if (r > div / 2 && ++q == pow10_u64(p)) {
		q = pow10_u64(p - 1);
		e++;
	}
	*mant = q;
	*exp10 = e;
}

/* A p-digit decimal (mant has exactly p digits, exp10 is the power of ten of
 * its first digit) that rounds to v > 0, the closest such; false if none. */
static bool find_digits(const struct digits17 *x, int p, uint64_t *mant, int *exp10)
{
	uint64_t m;
	int e;
	nearest_digits(x, p, &m, &e);
	double back = decimal_value(m, p, e);
	if (back == x->v)
		goto found;
	/* the neighbour across v, on the p-digit grid */
	if (back < x->v) {
		m++;
		if (m == pow10_u64(p)) {
			m = pow10_u64(p - 1);
			e++;
		}
	} else {
		if (m == pow10_u64(p - 1)) {
			m = pow10_u64(p) - 1;
			e--;
		} else {
			m--;
		}
	}
	if (decimal_value(m, p, e) != x->v)
		return false;
found:
	*mant = m;
	*exp10 = e;
	return true;
}

/* Java's digits of v > 0: digits[0..n) with no trailing zeros (n >= 1);
 * v = d0.d1d2... * 10^exp10. Returns n. */
static int java_digits(double v, char digits[20], int *exp10)
{
	struct digits17 x = { .v = v };
	char s[48];
	snprintf(s, sizeof s, "%.16e", v);
	parse_e(s, &x.d17, &x.e17);

	uint64_t mant = 0;
	int e = 0;
	int lo = 1, hi = 17; /* 17 significant digits always round-trip */
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (find_digits(&x, mid, &mant, &e))
			hi = mid;
		else
			lo = mid + 1;
	}
	/* Java: when one digit suffices, the closest of length 1 or 2 wins */
	int p = lo == 1 ? 2 : lo;
	if (!find_digits(&x, p, &mant, &e)) {
		/* unreachable: a shorter decimal in the interval is also a p-digit one */
		p = 17;
		find_digits(&x, p, &mant, &e);
	}
	char tmp[24];
	snprintf(tmp, sizeof tmp, "%0*" PRIu64, p, mant);
	int n = p;
	while (n > 1 && tmp[n - 1] == '0')
		n--;
	memcpy(digits, tmp, (size_t)n);
	*exp10 = e;
	return n;
}

size_t sl_format_double(double v, char *buf, size_t len)
{
	if (isnan(v))
		return emit("NaN", 3, buf, len);
	if (isinf(v))
		return v > 0 ? emit("Infinity", 8, buf, len) : emit("-Infinity", 9, buf, len);
	if (v == 0)
		return signbit(v) ? emit("-0.0", 4, buf, len) : emit("0.0", 3, buf, len);

	char out[SL_FORMAT_MAX];
	size_t n = 0;
	if (v < 0) {
		out[n++] = '-';
		v = -v;
	}
	char d[20];
	int e;
	int nd = java_digits(v, d, &e);
	if (e >= -3 && e < 7) {
		if (e >= 0) {
			/* integer part: digits 0..e, zeros where the digits run out */
			for (int i = 0; i <= e; i++)
				out[n++] = i < nd ? d[i] : '0';
			out[n++] = '.';
			if (nd > e + 1) {
				for (int i = e + 1; i < nd; i++)
					out[n++] = d[i];
			} else {
				out[n++] = '0';
			}
		} else {
			out[n++] = '0';
			out[n++] = '.';
			for (int i = 0; i < -e - 1; i++)
				out[n++] = '0';
			for (int i = 0; i < nd; i++)
				out[n++] = d[i];
		}
	} else {
		out[n++] = d[0];
		out[n++] = '.';
		if (nd > 1) {
			for (int i = 1; i < nd; i++)
				out[n++] = d[i];
		} else {
			out[n++] = '0';
		}
		n += (size_t)snprintf(out + n, sizeof out - n, "E%d", e);
	}
	return emit(out, n, buf, len);
}

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
 * civil_from_days), exact over the whole int64 microsecond range. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

size_t sl_format_timestamp(int64_t us, char *buf, size_t len)
{
	const int64_t per_day = INT64_C(86400000000);
	int64_t days = us / per_day;
	int64_t rem = us % per_day;
	if (rem < 0) {
		rem += per_day;
		days--;
	}
	int64_t y;
	unsigned mo, d;
	civil_from_days(days, &y, &mo, &d);
	unsigned secs = (unsigned)(rem / 1000000);
	unsigned frac = (unsigned)(rem % 1000000);

	char out[SL_FORMAT_MAX];
	int n;
	/* java.time's year: four digits, a sign when negative, "+" past 9999 */
	if (y < 0)
		n = snprintf(out, sizeof out, "-%04" PRId64, -y);
	else if (y > 9999)
		n = snprintf(out, sizeof out, "+%" PRId64, y);
	else
		n = snprintf(out, sizeof out, "%04" PRId64, y);
	n += snprintf(out + n, sizeof out - (size_t)n, "-%02u-%02u %02u:%02u:%02u", mo, d,
		      secs / 3600, secs / 60 % 60, secs % 60);
	if (frac != 0) {
		char f[8];
		snprintf(f, sizeof f, "%06u", frac);
		int fl = 6;
		while (f[fl - 1] == '0')
			fl--;
		out[n++] = '.';
		memcpy(out + n, f, (size_t)fl);
		n += fl;
	}
	return emit(out, (size_t)n, buf, len);
}

size_t sl_format_i64(int64_t v, char *buf, size_t len)
{
	char out[SL_FORMAT_MAX];
	int n = snprintf(out, sizeof out, "%" PRId64, v);
	return emit(out, (size_t)n, buf, len);
}

void sl_random_hex(char out[33])
{
	uint8_t b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
		for (int i = 0; i < 16; i++)
			b[i] = (uint8_t)(x >> (8 * (i % 8))) ^ (uint8_t)(i * 37);
	}
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

void sl_format_iso_ms(int64_t us, char *buf, size_t len)
{
	int64_t ms = us / 1000 - (us % 1000 < 0);
	time_t s = (time_t)(ms / 1000 - (ms % 1000 < 0));
	int frac = (int)(ms - (int64_t)s * 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

int sl_strbuf_put_u64(struct sl_strbuf *sb, uint64_t v)
{
	char x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (char)(uint8_t)(v >> (8 * i));
	return sl_strbuf_append(sb, x, 8);
}

bool sl_get_u64(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	if (end - *p < 8)
		return false;
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x |= (uint64_t)(*p)[i] << (8 * i);
	*p += 8;
	*v = x;
	return true;
}

void sl_strbuf_init(struct sl_strbuf *sb)
{
	sb->ptr = NULL;
	sb->len = 0;
	sb->cap = 0;
}

void sl_strbuf_free(struct sl_strbuf *sb)
{
	free(sb->ptr);
	sl_strbuf_init(sb);
}

void sl_strbuf_reset(struct sl_strbuf *sb)
{
	sb->len = 0;
	if (sb->cap > 0)
		sb->ptr[0] = '\0';
}

int sl_strbuf_reserve(struct sl_strbuf *sb, size_t extra)
{
	if (extra > SIZE_MAX - sb->len - 1)
		return -ENOMEM;
	size_t need = sb->len + extra + 1;
	if (need <= sb->cap)
		return 0;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = realloc(sb->ptr, cap);
	if (p == NULL)
		return -ENOMEM;
	sb->ptr = p;
	sb->cap = cap;
	return 0;
}

int sl_strbuf_append(struct sl_strbuf *sb, const char *s, size_t n)
{
	int rc = sl_strbuf_reserve(sb, n);
	if (rc < 0)
		return rc;
	if (n > 0)
		memcpy(sb->ptr + sb->len, s, n);
	sb->len += n;
	sb->ptr[sb->len] = '\0';
	return 0;
}

int sl_strbuf_puts(struct sl_strbuf *sb, const char *s)
{
	return sl_strbuf_append(sb, s, strlen(s));
}

int sl_strbuf_putc(struct sl_strbuf *sb, char c)
{
	return sl_strbuf_append(sb, &c, 1);
}

int sl_strbuf_fill(struct sl_strbuf *sb, char c, size_t n)
{
	int rc = sl_strbuf_reserve(sb, n);
	if (rc < 0)
		return rc;
	memset(sb->ptr + sb->len, c, n);
	sb->len += n;
	sb->ptr[sb->len] = '\0';
	return 0;
}

/* Spark prints a null, at the top or inside an array, as "NULL" since 3.5
 * (SPARK-43063, ToPrettyString; 3.0-3.4 printed "null"): sluice follows the
 * Spark users have now. */
static const char null_text[] = "NULL";

/* Spark's show() of a binary: "[68 65 6C 6C 6F]", "[]" when empty. */
static int put_binary(struct sl_strbuf *out, struct sl_str b)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = sl_strbuf_reserve(out, (size_t)b.len * 3 + 2);
	if (rc < 0)
		return rc;
	char *p = out->ptr + out->len;
	*p++ = '[';
	for (uint32_t i = 0; i < b.len; i++) {
		const uint8_t x = (uint8_t)b.ptr[i];
		if (i > 0)
			*p++ = ' ';
		*p++ = hex[x >> 4];
		*p++ = hex[x & 15];
	}
	*p++ = ']';
	out->len = (size_t)(p - out->ptr);
	out->ptr[out->len] = '\0';
	return 0;
}

int sl_format_cell(const struct sl_vec *v, uint32_t row, struct sl_strbuf *out)
{
	char tmp[SL_FORMAT_MAX];
	size_t n;

	if (sl_vec_is_null(v, row))
		return sl_strbuf_append(out, null_text, sizeof null_text - 1);
	switch (v->type) {
	case SL_TYPE_BOOLEAN:
		return v->v.b[row] ? sl_strbuf_append(out, "true", 4)
				   : sl_strbuf_append(out, "false", 5);
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
		n = sl_format_i64(v->v.i64[row], tmp, sizeof tmp);
		return sl_strbuf_append(out, tmp, n);
	case SL_TYPE_DOUBLE:
		n = sl_format_double(v->v.f64[row], tmp, sizeof tmp);
		return sl_strbuf_append(out, tmp, n);
	case SL_TYPE_TIMESTAMP:
		n = sl_format_timestamp(v->v.i64[row], tmp, sizeof tmp);
		return sl_strbuf_append(out, tmp, n);
	case SL_TYPE_INTERVAL:
		n = sl_format_interval(v->v.i64[row], tmp, sizeof tmp);
		return sl_strbuf_append(out, tmp, n);
	case SL_TYPE_STRING:
		return sl_strbuf_append(out, v->v.str[row].ptr, v->v.str[row].len);
	case SL_TYPE_BINARY:
		return put_binary(out, v->v.str[row]);
	case SL_TYPE_HEADER: {
		/* a struct as Spark 3.5 shows it: "{trace, [61 62]}", a null
		 * field as NULL */
		const struct sl_header *h = &v->v.hdr[row];
		int rc = sl_strbuf_putc(out, '{');
		if (rc == 0)
			rc = sl_strbuf_append(out, h->key.ptr, h->key.len);
		if (rc == 0)
			rc = sl_strbuf_append(out, ", ", 2);
		if (rc == 0)
			rc = h->value_null ? sl_strbuf_append(out, null_text, sizeof null_text - 1)
					   : put_binary(out, h->value);
		return rc < 0 ? rc : sl_strbuf_putc(out, '}');
	}
	case SL_TYPE_WINDOW: {
		/* Spark 3.x shows a struct as "{start, end}" */
		int rc = sl_strbuf_putc(out, '{');
		n = sl_format_timestamp(v->v.win[row].start, tmp, sizeof tmp);
		if (rc == 0)
			rc = sl_strbuf_append(out, tmp, n);
		if (rc == 0)
			rc = sl_strbuf_append(out, ", ", 2);
		n = sl_format_timestamp(v->v.win[row].end, tmp, sizeof tmp);
		if (rc == 0)
			rc = sl_strbuf_append(out, tmp, n);
		return rc < 0 ? rc : sl_strbuf_putc(out, '}');
	}
	case SL_TYPE_ARRAY: {
		/* Spark's cast of an array to string: "[a, b, null]" */
		const struct sl_span sp = v->v.arr[row];
		int rc = sl_strbuf_putc(out, '[');
		for (uint32_t i = 0; rc == 0 && i < sp.len; i++) {
			if (i > 0)
				rc = sl_strbuf_append(out, ", ", 2);
			if (rc == 0)
				rc = sl_format_cell(v->elem, sp.off + i, out);
		}
		return rc < 0 ? rc : sl_strbuf_putc(out, ']');
	}
	case SL_TYPE_NULL:
	case SL_TYPE__COUNT:
		break;
	}
	return sl_strbuf_append(out, null_text, sizeof null_text - 1);
}

size_t sl_format_interval(int64_t us, char *buf, size_t len)
{
	/* Spark's day-time interval text: INTERVAL '-1 02:03:04.5' DAY TO SECOND */
	uint64_t a = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
	uint64_t frac = a % 1000000, secs = a / 1000000;
	char f[16] = "";
	if (frac != 0) {
		snprintf(f, sizeof(f), ".%06" PRIu64, frac);
		for (size_t i = strlen(f); i > 1 && f[i - 1] == '0'; i--)
			f[i - 1] = '\0';
	}
	int n = snprintf(buf, len, "INTERVAL '%s%" PRIu64 " %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64
			 "%s' DAY TO SECOND",
			 us < 0 ? "-" : "", secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60, f);
	return n < 0 ? 0 : (size_t)n;
}
