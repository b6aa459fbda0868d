/*
 * test_batch.c — result batches: appends copy rows (strings and arrays
 * included) and survive growth, Spark's sort order key by key, stability,
 * truncate and clear.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"

static struct sl_column_def defs_all[] = {
	{ .name = "b", .type = SL_TYPE_BOOLEAN },
	{ .name = "i", .type = SL_TYPE_INT },
	{ .name = "l", .type = SL_TYPE_BIGINT },
	{ .name = "d", .type = SL_TYPE_DOUBLE },
	{ .name = "s", .type = SL_TYPE_STRING },
	{ .name = "t", .type = SL_TYPE_TIMESTAMP },
	{ .name = "a", .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_STRING },
	{ .name = "n", .type = SL_TYPE_NULL },
};
static const struct sl_schema schema_all = { 8, defs_all };

static struct sl_column_def defs_one_int[] = { { .name = "x", .type = SL_TYPE_BIGINT } };
static const struct sl_schema schema_int = { 1, defs_one_int };

static struct sl_column_def defs_is[] = {
	{ .name = "k", .type = SL_TYPE_BIGINT },
	{ .name = "s", .type = SL_TYPE_STRING },
};
static const struct sl_schema schema_is = { 2, defs_is };

Test(batch, create_destroy)
{
	struct sl_batch *b = sl_batch_create(&schema_all);
	cr_assert_not_null(b);
	cr_expect_eq(b->ncols, 8);
	cr_expect_eq(b->nrows, 0);
	cr_expect_eq(b->cols[6].type, SL_TYPE_ARRAY);
	cr_expect_eq(b->cols[6].elem_type, SL_TYPE_STRING);
	cr_expect_not_null(b->cols[6].elem);
	sl_batch_destroy(b);
	sl_batch_destroy(NULL);
}

Test(batch, create_refuses_nested_array_schema)
{
	struct sl_column_def d[] = { { .name = "a", .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_ARRAY } };
	struct sl_schema s = { 1, d };
	errno = 0;
	cr_expect_null(sl_batch_create(&s));
	cr_expect_eq(errno, EINVAL);
}

Test(batch, append_copies_every_type)
{
	struct sl_batch *b = sl_batch_create(&schema_all);
	cr_assert_not_null(b);

	char text[] = "hello";
	char w1[] = "x", w2[] = "yz";
	uint8_t bools[] = { 1, 0 };
	int64_t ints[] = { 7, -8 };
	int64_t longs[] = { INT64_MAX, INT64_MIN };
	double dbl[] = { 1.5, NAN };
	struct sl_str strs[] = { { text, 5 }, { NULL, 0 } };
	int64_t ts[] = { 1704103200000000, 0 };
	uint8_t snulls[] = { 0, 1 };
	struct sl_str elems[] = { { w1, 1 }, { "?", 1 }, { w2, 2 } };
	uint8_t enulls[] = { 0, 1, 0 };
	struct sl_vec ev = { .type = SL_TYPE_STRING, .nulls = enulls, .v.str = elems };
	struct sl_span spans[] = { { 0, 3 }, { 3, 0 } };
	struct sl_vec cols[8] = {
		{ .type = SL_TYPE_BOOLEAN, .v.b = bools },
		{ .type = SL_TYPE_INT, .v.i64 = ints },
		{ .type = SL_TYPE_BIGINT, .v.i64 = longs },
		{ .type = SL_TYPE_DOUBLE, .v.f64 = dbl },
		{ .type = SL_TYPE_STRING, .nulls = snulls, .v.str = strs },
		{ .type = SL_TYPE_TIMESTAMP, .v.i64 = ts },
		{ .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_STRING, .v.arr = spans, .elem = &ev },
		{ .type = SL_TYPE_NULL },
	};
	struct sl_chunk c = { .nrows = 2, .ncols = 8, .cols = cols };
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	/* the batch owns copies: scribbling on the source changes nothing */
	text[0] = 'J';
	w1[0] = 'Q';
	w2[1] = 'Q';
	cr_assert_eq(b->nrows, 2);

	const struct sl_vec *v = b->cols;
	cr_expect_eq(v[0].v.b[0], 1);
	cr_expect_eq(v[0].v.b[1], 0);
	cr_expect_eq(v[1].v.i64[1], -8);
	cr_expect_eq(v[2].v.i64[0], INT64_MAX);
	cr_expect_eq(v[2].v.i64[1], INT64_MIN);
	cr_expect_eq(v[3].v.f64[0], 1.5);
	cr_expect(isnan(v[3].v.f64[1]));
	cr_expect_eq(v[4].v.str[0].len, 5);
	cr_expect_eq(memcmp(v[4].v.str[0].ptr, "hello", 5), 0);
	cr_expect(!sl_vec_is_null(&v[4], 0));
	cr_expect(sl_vec_is_null(&v[4], 1));
	cr_expect(!sl_vec_is_null(&v[0], 1)); /* no nulls in the source: none here */
	cr_expect_eq(v[5].v.i64[0], 1704103200000000);
	struct sl_span sp = v[6].v.arr[0];
	cr_expect_eq(sp.len, 3);
	cr_expect_eq(memcmp(v[6].elem->v.str[sp.off].ptr, "x", 1), 0);
	cr_expect(sl_vec_is_null(v[6].elem, sp.off + 1));
	cr_expect_eq(memcmp(v[6].elem->v.str[sp.off + 2].ptr, "yz", 2), 0);
	cr_expect_eq(v[6].v.arr[1].len, 0);
	cr_expect(sl_vec_is_null(&v[7], 0));

	struct sl_chunk view;
	sl_batch_as_chunk(b, &view);
	cr_expect_eq(view.nrows, 2);
	cr_expect_eq(view.ncols, 8);
	cr_expect_eq(view.cols, b->cols);
	sl_batch_destroy(b);
}

Test(batch, null_typed_source_column_is_all_null)
{
	struct sl_batch *b = sl_batch_create(&schema_is);
	int64_t k[] = { 1, 2 };
	struct sl_vec cols[] = { { .type = SL_TYPE_BIGINT, .v.i64 = k }, { .type = SL_TYPE_NULL } };
	struct sl_chunk c = { 2, 2, cols };
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	cr_expect(sl_vec_is_null(&b->cols[1], 0));
	cr_expect(sl_vec_is_null(&b->cols[1], 1));
	sl_batch_destroy(b);
}

Test(batch, append_refuses_other_shapes)
{
	struct sl_batch *b = sl_batch_create(&schema_is);
	int64_t k[] = { 1 };
	double d[] = { 1.0 };
	struct sl_vec wrong_type[] = { { .type = SL_TYPE_BIGINT, .v.i64 = k },
				       { .type = SL_TYPE_DOUBLE, .v.f64 = d } };
	struct sl_chunk c = { 1, 2, wrong_type };
	cr_expect_eq(sl_batch_append_chunk(b, &c), -EINVAL);
	c.ncols = 1;
	cr_expect_eq(sl_batch_append_chunk(b, &c), -EINVAL);
	cr_expect_eq(b->nrows, 0);
	struct sl_batch *other = sl_batch_create(&schema_int);
	cr_expect_eq(sl_batch_append_batch(b, other), -EINVAL);
	sl_batch_destroy(other);
	sl_batch_destroy(b);
}

Test(batch, large_appends_grow_and_keep_strings)
{
	struct sl_batch *b = sl_batch_create(&schema_is);
	cr_assert_not_null(b);
	enum { PER = 1000, ROUNDS = 1000 };
	static int64_t k[PER];
	static struct sl_str s[PER];
	static char text[PER][16];
	const char *first = NULL;
	for (uint32_t round = 0; round < ROUNDS; round++) {
		for (uint32_t i = 0; i < PER; i++) {
			uint32_t row = round * PER + i;
			k[i] = row;
			int n = snprintf(text[i], sizeof text[i], "w%u", row);
			s[i] = (struct sl_str){ text[i], (uint32_t)n };
		}
		struct sl_vec cols[] = { { .type = SL_TYPE_BIGINT, .v.i64 = k },
					 { .type = SL_TYPE_STRING, .v.str = s } };
		struct sl_chunk c = { PER, 2, cols };
		cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
		if (round == 0)
			first = b->cols[1].v.str[0].ptr;
		/* power-of-two growth */
		cr_assert_eq(b->cap & (b->cap - 1), 0);
		cr_assert_geq(b->cap, b->nrows);
	}
	cr_assert_eq(b->nrows, PER * ROUNDS);
	/* string bytes never moved while the columns grew */
	cr_expect_eq(b->cols[1].v.str[0].ptr, first);
	for (uint32_t row = 0; row < PER * ROUNDS; row += 997) {
		char want[16];
		int n = snprintf(want, sizeof want, "w%u", row);
		cr_assert_eq(b->cols[0].v.i64[row], row);
		cr_assert_eq(b->cols[1].v.str[row].len, (uint32_t)n);
		cr_assert_eq(memcmp(b->cols[1].v.str[row].ptr, want, (size_t)n), 0);
	}
	sl_batch_destroy(b);
}

Test(batch, long_string_larger_than_a_chunk)
{
	struct sl_batch *b = sl_batch_create(&schema_is);
	size_t n = 300 * 1024;
	char *big = malloc(n);
	memset(big, 'z', n);
	int64_t k[] = { 1 };
	struct sl_str s[] = { { big, (uint32_t)n } };
	struct sl_vec cols[] = { { .type = SL_TYPE_BIGINT, .v.i64 = k },
				 { .type = SL_TYPE_STRING, .v.str = s } };
	struct sl_chunk c = { 1, 2, cols };
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	big[0] = 'a';
	cr_expect_eq(b->cols[1].v.str[1].len, n);
	cr_expect_eq(b->cols[1].v.str[1].ptr[0], 'z');
	cr_expect_eq(b->cols[1].v.str[0].ptr[n - 1], 'z');
	free(big);
	sl_batch_destroy(b);
}

static struct sl_batch *int_batch(const int64_t *vals, const uint8_t *nulls, uint32_t n)
{
	struct sl_batch *b = sl_batch_create(&schema_int);
	struct sl_vec col = { .type = SL_TYPE_BIGINT, .nulls = (uint8_t *)nulls,
			      .v.i64 = (int64_t *)vals };
	struct sl_chunk c = { n, 1, &col };
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	return b;
}

Test(batch, append_batch_and_self_append)
{
	int64_t v[] = { 1, 2, 3 };
	struct sl_batch *a = int_batch(v, NULL, 3);
	struct sl_batch *b = int_batch(v, NULL, 1);
	cr_assert_eq(sl_batch_append_batch(b, a), 0);
	cr_assert_eq(b->nrows, 4);
	/* doubling itself repeatedly crosses several growths */
	for (int i = 0; i < 6; i++)
		cr_assert_eq(sl_batch_append_batch(b, b), 0);
	cr_assert_eq(b->nrows, 4 * 64);
	static const int64_t pattern[] = { 1, 1, 2, 3 };
	for (uint32_t r = 0; r < b->nrows; r++)
		cr_assert_eq(b->cols[0].v.i64[r], pattern[r % 4]);
	sl_batch_destroy(a);
	sl_batch_destroy(b);
}

/* ---- sorting ---- */

static void expect_ints(const struct sl_batch *b, const char *want)
{
	char got[256] = "";
	size_t used = 0;
	for (uint32_t r = 0; r < b->nrows; r++) {
		if (sl_vec_is_null(&b->cols[0], r))
			used += (size_t)snprintf(got + used, sizeof got - used, "%sN", r ? "," : "");
		else
			used += (size_t)snprintf(got + used, sizeof got - used, "%s%lld", r ? "," : "",
						 (long long)b->cols[0].v.i64[r]);
	}
	cr_expect_str_eq(got, want);
}

struct sort_case {
	bool desc, nulls_first;
	const char *want;
};

Test(batch, sort_integers_with_nulls_each_way)
{
	static const int64_t v[] = { 3, 0, -5, 0, 10, 0 };
	static const uint8_t n[] = { 0, 1, 0, 0, 0, 1 };
	static const struct sort_case c[] = {
		{ false, true, "N,N,-5,0,3,10" }, /* ASC (NULLS FIRST) */
		{ false, false, "-5,0,3,10,N,N" },
		{ true, false, "10,3,0,-5,N,N" }, /* DESC (NULLS LAST) */
		{ true, true, "N,N,10,3,0,-5" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct sl_batch *b = int_batch(v, n, 6);
		struct sl_order_key k = { .col = 0, .desc = c[i].desc, .nulls_first = c[i].nulls_first };
		cr_assert_eq(sl_batch_sort(b, &k, 1), 0);
		expect_ints(b, c[i].want);
		sl_batch_destroy(b);
	}
}

Test(batch, sort_doubles_nan_above_everything)
{
	struct sl_column_def d[] = { { .name = "d", .type = SL_TYPE_DOUBLE },
				     { .name = "i", .type = SL_TYPE_BIGINT } };
	struct sl_schema s = { 2, d };
	double dv[] = { NAN, INFINITY, -INFINITY, 1.0, NAN, -0.0, 0.0, -1.0 };
	int64_t iv[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	struct sl_vec cols[] = { { .type = SL_TYPE_DOUBLE, .v.f64 = dv },
				 { .type = SL_TYPE_BIGINT, .v.i64 = iv } };
	struct sl_chunk c = { 8, 2, cols };

	struct sl_batch *b = sl_batch_create(&s);
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	struct sl_order_key asc = { 0, false, true };
	cr_assert_eq(sl_batch_sort(b, &asc, 1), 0);
	/* -0.0 and 0.0 are equal: they keep their input order (5 then 6) */
	static const int64_t want_asc[] = { 2, 7, 5, 6, 3, 1, 0, 4 };
	for (int r = 0; r < 8; r++)
		cr_expect_eq(b->cols[1].v.i64[r], want_asc[r], "asc row %d", r);

	sl_batch_clear(b);
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	struct sl_order_key desc = { 0, true, false };
	cr_assert_eq(sl_batch_sort(b, &desc, 1), 0);
	static const int64_t want_desc[] = { 0, 4, 1, 3, 5, 6, 7, 2 };
	for (int r = 0; r < 8; r++)
		cr_expect_eq(b->cols[1].v.i64[r], want_desc[r], "desc row %d", r);
	sl_batch_destroy(b);
}

Test(batch, sort_strings_unsigned_bytewise)
{
	struct sl_batch *b = sl_batch_create(&schema_is);
	int64_t k[] = { 0, 1, 2, 3, 4, 5, 6 };
	struct sl_str s[] = {
		{ "b", 1 }, { "\xc3\xa9", 2 }, { "ab", 2 }, { "a", 1 }, { "", 0 }, { "Z", 1 }, { "a\0", 2 },
	};
	struct sl_vec cols[] = { { .type = SL_TYPE_BIGINT, .v.i64 = k },
				 { .type = SL_TYPE_STRING, .v.str = s } };
	struct sl_chunk c = { 7, 2, cols };
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	struct sl_order_key key = { 1, false, true };
	cr_assert_eq(sl_batch_sort(b, &key, 1), 0);
	/* "" < "Z" < "a" < "a\0" < "ab" < "b" < "é" (0xC3 above ASCII) */
	static const int64_t want[] = { 4, 5, 3, 6, 2, 0, 1 };
	for (int r = 0; r < 7; r++)
		cr_expect_eq(b->cols[0].v.i64[r], want[r], "row %d", r);
	/* the strings moved with their rows */
	cr_expect_eq(b->cols[1].v.str[6].len, 2);
	cr_expect_eq(memcmp(b->cols[1].v.str[6].ptr, "\xc3\xa9", 2), 0);
	sl_batch_destroy(b);
}

Test(batch, sort_booleans_false_first)
{
	struct sl_column_def d[] = { { .name = "b", .type = SL_TYPE_BOOLEAN },
				     { .name = "i", .type = SL_TYPE_BIGINT } };
	struct sl_schema s = { 2, d };
	uint8_t bv[] = { 1, 0, 1, 0 };
	int64_t iv[] = { 0, 1, 2, 3 };
	struct sl_vec cols[] = { { .type = SL_TYPE_BOOLEAN, .v.b = bv },
				 { .type = SL_TYPE_BIGINT, .v.i64 = iv } };
	struct sl_chunk c = { 4, 2, cols };
	struct sl_batch *b = sl_batch_create(&s);
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	struct sl_order_key key = { 0, false, true };
	cr_assert_eq(sl_batch_sort(b, &key, 1), 0);
	static const int64_t want[] = { 1, 3, 0, 2 };
	for (int r = 0; r < 4; r++) {
		cr_expect_eq(b->cols[1].v.i64[r], want[r]);
		cr_expect_eq(b->cols[0].v.b[r], r >= 2);
	}
	sl_batch_destroy(b);
}

Test(batch, sort_is_stable_and_multi_key)
{
	/* (k, tag): sort by k only; equal keys keep their input order */
	enum { N = 2000 };
	static int64_t k[N];
	static struct sl_str s[N];
	static char tags[N][8];
	for (int i = 0; i < N; i++) {
		k[i] = (i * 7919) % 5;
		int n = snprintf(tags[i], sizeof tags[i], "%05d", i);
		s[i] = (struct sl_str){ tags[i], (uint32_t)n };
	}
	struct sl_vec cols[] = { { .type = SL_TYPE_BIGINT, .v.i64 = k },
				 { .type = SL_TYPE_STRING, .v.str = s } };
	struct sl_chunk c = { N, 2, cols };
	struct sl_batch *b = sl_batch_create(&schema_is);
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	struct sl_order_key key = { 0, true, false };
	cr_assert_eq(sl_batch_sort(b, &key, 1), 0);
	for (uint32_t r = 1; r < N; r++) {
		int64_t a = b->cols[0].v.i64[r - 1], z = b->cols[0].v.i64[r];
		cr_assert_geq(a, z);
		if (a == z)
			cr_assert_lt(memcmp(b->cols[1].v.str[r - 1].ptr, b->cols[1].v.str[r].ptr, 5), 0,
				     "row %u not stable", r);
	}

	/* two keys: k ASC, then tag DESC */
	struct sl_order_key keys[] = { { 0, false, true }, { 1, true, false } };
	cr_assert_eq(sl_batch_sort(b, keys, 2), 0);
	for (uint32_t r = 1; r < N; r++) {
		int64_t a = b->cols[0].v.i64[r - 1], z = b->cols[0].v.i64[r];
		cr_assert_leq(a, z);
		if (a == z)
			cr_assert_gt(memcmp(b->cols[1].v.str[r - 1].ptr, b->cols[1].v.str[r].ptr, 5), 0);
	}
	sl_batch_destroy(b);
}

Test(batch, sort_arrays_elementwise)
{
	struct sl_column_def d[] = { { .name = "a", .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_BIGINT },
				     { .name = "i", .type = SL_TYPE_BIGINT } };
	struct sl_schema s = { 2, d };
	/* rows: [2], [1, 5], [1], [null, 9], [1, 4], [] */
	int64_t ev[] = { 2, 1, 5, 1, 0, 9, 1, 4 };
	uint8_t en[] = { 0, 0, 0, 0, 1, 0, 0, 0 };
	struct sl_vec elems = { .type = SL_TYPE_BIGINT, .nulls = en, .v.i64 = ev };
	struct sl_span sp[] = { { 0, 1 }, { 1, 2 }, { 3, 1 }, { 4, 2 }, { 6, 2 }, { 8, 0 } };
	int64_t iv[] = { 0, 1, 2, 3, 4, 5 };
	struct sl_vec cols[] = {
		{ .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_BIGINT, .v.arr = sp, .elem = &elems },
		{ .type = SL_TYPE_BIGINT, .v.i64 = iv },
	};
	struct sl_chunk c = { 6, 2, cols };
	struct sl_batch *b = sl_batch_create(&s);
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	struct sl_order_key key = { 0, false, true };
	cr_assert_eq(sl_batch_sort(b, &key, 1), 0);
	/* [] < [null, 9] < [1] < [1, 4] < [1, 5] < [2] */
	static const int64_t want[] = { 5, 3, 2, 4, 1, 0 };
	for (int r = 0; r < 6; r++)
		cr_expect_eq(b->cols[1].v.i64[r], want[r], "row %d", r);
	/* the spans moved with their rows */
	struct sl_span last = b->cols[0].v.arr[5];
	cr_expect_eq(last.len, 1);
	cr_expect_eq(b->cols[0].elem->v.i64[last.off], 2);
	sl_batch_destroy(b);
}

/* ARRAY<HEADER> rows appended (the keys and values copied), then sorted
 * by a HEADER column: by key, then a null value first, then the value. */
Test(batch, headers_copy_and_sort_field_by_field)
{
	struct sl_column_def d[] = {
		{ .name = "hs", .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_HEADER },
		{ .name = "h", .type = SL_TYPE_HEADER },
		{ .name = "i", .type = SL_TYPE_BIGINT },
	};
	struct sl_schema s = { 3, d };
	char kb[] = "b";
	struct sl_header h[] = {
		{ .key = { kb, 1 }, .value = { "2", 1 } },
		{ .key = { "a", 1 }, .value = { "9", 1 } },
		{ .key = { "b", 1 }, .value_null = 1 },
		{ .key = { "b", 1 }, .value = { "1", 1 } },
	};
	struct sl_vec hv = { .type = SL_TYPE_HEADER, .v.hdr = h };
	struct sl_span sp[] = { { 0, 2 }, { 2, 2 }, { 0, 0 }, { 0, 0 } };
	uint8_t an[] = { 0, 0, 1, 0 };
	int64_t iv[] = { 0, 1, 2, 3 };
	struct sl_vec cols[] = {
		{ .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_HEADER, .nulls = an, .v.arr = sp,
		  .elem = &hv },
		{ .type = SL_TYPE_HEADER, .v.hdr = h },
		{ .type = SL_TYPE_BIGINT, .v.i64 = iv },
	};
	struct sl_chunk c = { 4, 3, cols };
	struct sl_batch *b = sl_batch_create(&s);
	cr_assert_not_null(b);
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	kb[0] = 'z'; /* the batch holds its own copy */
	cr_expect_eq(b->cols[0].v.arr[1].len, 2);
	const struct sl_header *g = &b->cols[0].elem->v.hdr[b->cols[0].v.arr[0].off];
	cr_expect_eq(g[0].key.ptr[0], 'b');
	cr_expect(g[1].value.ptr[0] == '9' && !g[1].value_null);
	cr_expect(b->cols[0].elem->v.hdr[b->cols[0].v.arr[1].off].value_null);
	cr_expect(sl_vec_is_null(&b->cols[0], 2));
	struct sl_order_key key = { 1, false, true };
	cr_assert_eq(sl_batch_sort(b, &key, 1), 0);
	/* {a, 9} < {b, NULL} < {b, 1} < {b, 2} */
	static const int64_t want[] = { 1, 2, 3, 0 };
	for (int r = 0; r < 4; r++)
		cr_expect_eq(b->cols[2].v.i64[r], want[r], "row %d", r);
	cr_expect_eq(b->cols[1].v.hdr[3].value.ptr[0], '2', "the 40-byte values moved whole");
	sl_batch_destroy(b);
}

Test(batch, sort_refuses_bad_key)
{
	int64_t v[] = { 2, 1 };
	struct sl_batch *b = int_batch(v, NULL, 2);
	struct sl_order_key k = { 3, false, true };
	cr_expect_eq(sl_batch_sort(b, &k, 1), -EINVAL);
	expect_ints(b, "2,1");
	sl_batch_destroy(b);
}

Test(batch, truncate_and_clear)
{
	int64_t v[] = { 5, 4, 3, 2, 1 };
	struct sl_batch *b = int_batch(v, NULL, 5);
	sl_batch_truncate(b, 9);
	cr_expect_eq(b->nrows, 5);
	sl_batch_truncate(b, 2);
	expect_ints(b, "5,4");
	sl_batch_truncate(b, 0);
	cr_expect_eq(b->nrows, 0);

	sl_batch_clear(b);
	struct sl_vec col = { .type = SL_TYPE_BIGINT, .v.i64 = v };
	struct sl_chunk c = { 3, 1, &col };
	cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
	expect_ints(b, "5,4,3");
	sl_batch_destroy(b);
}

Test(batch, clear_reuses_string_storage)
{
	struct sl_batch *b = sl_batch_create(&schema_is);
	int64_t k[] = { 1 };
	struct sl_str s[] = { { "abc", 3 } };
	struct sl_vec cols[] = { { .type = SL_TYPE_BIGINT, .v.i64 = k },
				 { .type = SL_TYPE_STRING, .v.str = s } };
	struct sl_chunk c = { 1, 2, cols };
	for (int epoch = 0; epoch < 3; epoch++) {
		sl_batch_clear(b);
		cr_assert_eq(sl_batch_append_chunk(b, &c), 0);
		cr_expect_eq(b->nrows, 1);
		cr_expect_eq(memcmp(b->cols[1].v.str[0].ptr, "abc", 3), 0);
	}
	sl_batch_destroy(b);
}
