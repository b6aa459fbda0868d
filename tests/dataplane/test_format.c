/*
 * test_format.c — Spark's text for values: Java's Double.toString, Spark's
 * timestamp display, show() cells of every type, the string builder.
 *
 * The expected doubles are what java.lang.Double.toString prints on JDK 19+
 * (checked against JDK 25 for these and for 2 million random values).
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "format.h"

struct dcase {
	double v;
	const char *want;
};

static void check_doubles(const struct dcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char buf[SL_FORMAT_MAX];
		size_t len = sl_format_double(c[i].v, buf, sizeof buf);
		cr_expect_str_eq(buf, c[i].want, "case %zu: %.17g", i, c[i].v);
		cr_expect_eq(len, strlen(c[i].want), "case %zu length", i);
	}
}

Test(format, double_plain_range)
{
	static const struct dcase c[] = {
		{ 1.0, "1.0" },
		{ 0.1, "0.1" },
		{ 100.0, "100.0" },
		{ 123.456, "123.456" },
		{ 1234567.0, "1234567.0" },
		{ 9999999.0, "9999999.0" },
		{ 9999999.5, "9999999.5" },
		{ 0.001, "0.001" },
		{ 0.0015, "0.0015" },
		{ 0.5, "0.5" },
		{ -1.5, "-1.5" },
		{ 2.0 / 3.0, "0.6666666666666666" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 100.0 / 3.0, "33.333333333333336" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 4.35, "4.35" },
		{ 42.0, "42.0" },
		{ 1000000.0, "1000000.0" },
		{ 3.141592653589793, "3.141592653589793" },
	};
	check_doubles(c, sizeof c / sizeof c[0]);
}

Test(format, double_scientific_range)
{
	static const struct dcase c[] = {
		{ 1e7, "1.0E7" },
		{ 12345678.9, "1.23456789E7" },
		{ 1e-4, "1.0E-4" },
		{ 1.234e-5, "1.234E-5" },
		{ -2.5e-7, "-2.5E-7" },
		{ 1e21, "1.0E21" },
		{ 1e22, "1.0E22" },
		{ 1e23, "1.0E23" },
		{ 2e23, "2.0E23" },
		{ 0x1p60, "1.152921504606847E18" },
		{ 9223372036854775807.0, "9.223372036854776E18" },
		{ DBL_MAX, "1.7976931348623157E308" },
		{ -DBL_MAX, "-1.7976931348623157E308" },
		{ DBL_MIN, "2.2250738585072014E-308" },
		/* Double.MIN_VALUE: one digit would do ("5E-324") but Java takes the
		 * closest decimal of one or two digits */
		{ 4.9406564584124654e-324, "4.9E-324" },
		{ 2 * 4.9406564584124654e-324, "9.9E-324" },
		{ 3 * 4.9406564584124654e-324, "1.5E-323" },
		/* the largest double below 0.001 leaves the plain range */
		{ 0.00099999999999999980, "9.999999999999998E-4" },
	};
	check_doubles(c, sizeof c / sizeof c[0]);
}

Test(format, double_specials)
{
	static const struct dcase c[] = {
		{ 0.0, "0.0" },
		{ -0.0, "-0.0" },
		{ NAN, "NaN" },
		{ INFINITY, "Infinity" },
		{ -INFINITY, "-Infinity" },
	};
	check_doubles(c, sizeof c / sizeof c[0]);
}

Test(format, double_round_trips)
{
	/* every output parses back to the same double, across the exponent range */
	uint64_t x = 88172645463325252u;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double v;
		memcpy(&v, &x, sizeof v);
		if (!isfinite(v))
			continue;
		char buf[SL_FORMAT_MAX];
		sl_format_double(v, buf, sizeof buf);
		cr_assert_eq(strtod(buf, NULL), v, "%s does not round-trip", buf);
	}
}

Test(format, double_truncated_buffer_reports_needed_length)
{
	char buf[5];
	size_t n = sl_format_double(0.30000000000000004, buf, sizeof buf);
	cr_expect_eq(n, strlen("0.30000000000000004"));
	cr_expect_str_eq(buf, "0.30");
	cr_expect_eq(sl_format_double(1.0, NULL, 0), 3);
}

struct tcase {
	int64_t us;
	const char *want;
};

Test(format, timestamps)
{
	static const struct tcase c[] = {
		{ 0, "1970-01-01 00:00:00" },
		{ 1704103200000000, "2024-01-01 10:00:00" },
		{ 1704103200500000, "2024-01-01 10:00:00.5" },
		{ 1704103200123456, "2024-01-01 10:00:00.123456" },
		{ 1704103200120000, "2024-01-01 10:00:00.12" },
		{ 1704103200000001, "2024-01-01 10:00:00.000001" },
		{ -1, "1969-12-31 23:59:59.999999" },
		{ -1000000, "1969-12-31 23:59:59" },
		{ -86400000000, "1969-12-31 00:00:00" },
		{ 951782400000000, "2000-02-29 00:00:00" },
		{ 253402300799000000, "9999-12-31 23:59:59" },
		{ 253402300800000000, "+10000-01-01 00:00:00" },
		{ -62135596800000000, "0001-01-01 00:00:00" },
		{ -62167219200000000, "0000-01-01 00:00:00" },
		{ -62198755200000000, "-0001-01-01 00:00:00" },
		{ INT64_MAX, "+294247-01-10 04:00:54.775807" },
		{ INT64_MIN, "-290308-12-21 19:59:05.224192" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		char buf[SL_FORMAT_MAX];
		size_t n = sl_format_timestamp(c[i].us, buf, sizeof buf);
		cr_expect_str_eq(buf, c[i].want, "case %zu", i);
		cr_expect_eq(n, strlen(c[i].want));
	}
}

Test(format, integers)
{
	char buf[SL_FORMAT_MAX];
	cr_expect_eq(sl_format_i64(INT64_MIN, buf, sizeof buf), 20);
	cr_expect_str_eq(buf, "-9223372036854775808");
	sl_format_i64(0, buf, sizeof buf);
	cr_expect_str_eq(buf, "0");
}

Test(format, strbuf_grows_and_keeps_bytes)
{
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(sl_strbuf_append(&sb, "ab\0c", 4), 0);
	cr_expect_eq(sb.len, 4000);
	cr_expect_eq(memcmp(sb.ptr + 3996, "ab\0c", 4), 0);
	cr_expect_eq(sb.ptr[sb.len], '\0');
	cr_assert_eq(sl_strbuf_fill(&sb, '-', 3), 0);
	cr_expect_eq(memcmp(sb.ptr + 4000, "---", 3), 0);
	sl_strbuf_reset(&sb);
	cr_expect_eq(sb.len, 0);
	cr_assert_eq(sl_strbuf_puts(&sb, "x"), 0);
	cr_assert_eq(sl_strbuf_putc(&sb, 'y'), 0);
	cr_expect_str_eq(sb.ptr, "xy");
	sl_strbuf_free(&sb);
	cr_expect_null(sb.ptr);
	sl_strbuf_free(&sb); /* twice is harmless */
}

static const char *cell(const struct sl_vec *v, uint32_t row, struct sl_strbuf *sb)
{
	sl_strbuf_reset(sb);
	cr_assert_eq(sl_format_cell(v, row, sb), 0);
	return sb->ptr;
}

Test(format, cells_of_scalar_types)
{
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);

	uint8_t bools[] = { 1, 0, 1 };
	uint8_t bnull[] = { 0, 0, 1 };
	struct sl_vec vb = { .type = SL_TYPE_BOOLEAN, .nulls = bnull, .v.b = bools };
	cr_expect_str_eq(cell(&vb, 0, &sb), "true");
	cr_expect_str_eq(cell(&vb, 1, &sb), "false");
	cr_expect_str_eq(cell(&vb, 2, &sb), "NULL");

	int64_t ints[] = { -7, 2147483647 };
	struct sl_vec vi = { .type = SL_TYPE_INT, .v.i64 = ints };
	cr_expect_str_eq(cell(&vi, 0, &sb), "-7");
	cr_expect_str_eq(cell(&vi, 1, &sb), "2147483647");
	struct sl_vec vl = { .type = SL_TYPE_BIGINT, .v.i64 = ints };
	cr_expect_str_eq(cell(&vl, 0, &sb), "-7");

	double dbl[] = { 2.0, 1e7, NAN };
	struct sl_vec vd = { .type = SL_TYPE_DOUBLE, .v.f64 = dbl };
	cr_expect_str_eq(cell(&vd, 0, &sb), "2.0");
	cr_expect_str_eq(cell(&vd, 1, &sb), "1.0E7");
	cr_expect_str_eq(cell(&vd, 2, &sb), "NaN");

	struct sl_str strs[] = { { "hello", 5 }, { "", 0 }, { "a\0b", 3 } };
	struct sl_vec vs = { .type = SL_TYPE_STRING, .v.str = strs };
	cr_expect_str_eq(cell(&vs, 0, &sb), "hello");
	cr_expect_str_eq(cell(&vs, 1, &sb), "");
	sl_strbuf_reset(&sb);
	sl_format_cell(&vs, 2, &sb);
	cr_expect_eq(sb.len, 3);
	cr_expect_eq(memcmp(sb.ptr, "a\0b", 3), 0);

	/* Spark's show() of a binary: uppercase hex bytes in brackets */
	struct sl_str bins[] = { { "hello", 5 }, { "", 0 }, { "\x00\xff\x0a", 3 } };
	struct sl_vec vbin = { .type = SL_TYPE_BINARY, .v.str = bins };
	cr_expect_str_eq(cell(&vbin, 0, &sb), "[68 65 6C 6C 6F]");
	cr_expect_str_eq(cell(&vbin, 1, &sb), "[]");
	cr_expect_str_eq(cell(&vbin, 2, &sb), "[00 FF 0A]");

	int64_t ts[] = { 1704103200500000 };
	struct sl_vec vt = { .type = SL_TYPE_TIMESTAMP, .v.i64 = ts };
	cr_expect_str_eq(cell(&vt, 0, &sb), "2024-01-01 10:00:00.5");

	struct sl_vec vn = { .type = SL_TYPE_NULL };
	cr_expect_str_eq(cell(&vn, 0, &sb), "NULL");

	/* cells append: the caller resets */
	sl_strbuf_reset(&sb);
	sl_format_cell(&vi, 0, &sb);
	sl_format_cell(&vd, 0, &sb);
	cr_expect_str_eq(sb.ptr, "-72.0");
	sl_strbuf_free(&sb);
}

Test(format, cells_of_arrays)
{
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);

	struct sl_str words[] = { { "a", 1 }, { "b", 1 }, { "?", 1 }, { "c", 1 } };
	uint8_t wnull[] = { 0, 0, 1, 0 };
	struct sl_vec elems = { .type = SL_TYPE_STRING, .nulls = wnull, .v.str = words };
	struct sl_span spans[] = { { 0, 3 }, { 3, 1 }, { 0, 0 }, { 0, 0 } };
	uint8_t anull[] = { 0, 0, 0, 1 };
	struct sl_vec arr = { .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_STRING, .nulls = anull,
			      .v.arr = spans, .elem = &elems };
	cr_expect_str_eq(cell(&arr, 0, &sb), "[a, b, NULL]");
	cr_expect_str_eq(cell(&arr, 1, &sb), "[c]");
	cr_expect_str_eq(cell(&arr, 2, &sb), "[]");
	cr_expect_str_eq(cell(&arr, 3, &sb), "NULL");

	double d[] = { 1.0, 0.5 };
	struct sl_vec de = { .type = SL_TYPE_DOUBLE, .v.f64 = d };
	struct sl_span ds[] = { { 0, 2 } };
	struct sl_vec darr = { .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_DOUBLE, .v.arr = ds,
			       .elem = &de };
	cr_expect_str_eq(cell(&darr, 0, &sb), "[1.0, 0.5]");

	/* an array of arrays */
	struct sl_span outer[] = { { 0, 2 } };
	struct sl_vec nested = { .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_ARRAY, .v.arr = outer,
				 .elem = &arr };
	cr_expect_str_eq(cell(&nested, 0, &sb), "[[a, b, NULL], [c]]");
	sl_strbuf_free(&sb);
}

/* Kafka headers as Spark 3.5's show() prints array<struct<key: string,
 * value: binary>>: "[{trace, [61 62]}, {nv, NULL}]". */
Test(format, cells_of_headers)
{
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	struct sl_header h[] = {
		{.key = {"trace", 5}, .value = {"ab", 2}},
		{.key = {"nv", 2}, .value_null = 1},
		{.key = {"", 0}, .value = {"", 0}},
	};
	struct sl_vec hv = {.type = SL_TYPE_HEADER, .v.hdr = h};
	cr_expect_str_eq(cell(&hv, 0, &sb), "{trace, [61 62]}");
	cr_expect_str_eq(cell(&hv, 1, &sb), "{nv, NULL}");
	cr_expect_str_eq(cell(&hv, 2, &sb), "{, []}");
	struct sl_span sp[] = {{0, 2}, {2, 1}, {0, 0}};
	uint8_t an[] = {0, 0, 1};
	struct sl_vec arr = {.type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_HEADER, .nulls = an,
			     .v.arr = sp, .elem = &hv};
	cr_expect_str_eq(cell(&arr, 0, &sb), "[{trace, [61 62]}, {nv, NULL}]");
	cr_expect_str_eq(cell(&arr, 1, &sb), "[{, []}]");
	cr_expect_str_eq(cell(&arr, 2, &sb), "NULL");
	cr_expect_str_eq(sl_type_name(SL_TYPE_HEADER), "STRUCT<key: STRING, value: BINARY>");
	sl_strbuf_free(&sb);
}

Test(format, intervals_and_windows_as_spark_shows_them)
{
	static const struct {
		int64_t us;
		const char *want;
	} c[] = {
		{600000000LL, "INTERVAL '0 00:10:00' DAY TO SECOND"},
		{-90000000LL, "INTERVAL '-0 00:01:30' DAY TO SECOND"},
		{90061500000LL, "INTERVAL '1 01:01:01.5' DAY TO SECOND"},
		{1LL, "INTERVAL '0 00:00:00.000001' DAY TO SECOND"},
		{0, "INTERVAL '0 00:00:00' DAY TO SECOND"},
		{INT64_MIN, "INTERVAL '-106751991 04:00:54.775808' DAY TO SECOND"},
		{INT64_MAX, "INTERVAL '106751991 04:00:54.775807' DAY TO SECOND"},
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		char buf[SL_FORMAT_MAX];
		size_t n = sl_format_interval(c[i].us, buf, sizeof buf);
		cr_expect_str_eq(buf, c[i].want, "case %zu", i);
		cr_expect_eq(n, strlen(c[i].want));
		cr_expect(n < SL_FORMAT_MAX, "case %zu fits SL_FORMAT_MAX", i);
	}
	/* a window is a struct: {start, end} */
	struct sl_window w[1] = {{1704110400000000LL, 1704111300000000LL}};
	struct sl_vec v = {.type = SL_TYPE_WINDOW, .v.win = w};
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	cr_assert_eq(sl_format_cell(&v, 0, &sb), 0);
	cr_expect_eq(sb.len, strlen("{2024-01-01 12:00:00, 2024-01-01 12:15:00}"));
	cr_expect(memcmp(sb.ptr, "{2024-01-01 12:00:00, 2024-01-01 12:15:00}", sb.len) == 0);
	sl_strbuf_free(&sb);
}
