/* test_aggregate.c — state layouts and Spark's count, sum, avg, min, max. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "hll.h"
#include "shard.h"

#define MAXROWS 16

static struct sl_expr arg_exprs[8];

static struct sl_agg_spec spec(uint32_t slot, enum sl_agg_fn fn, enum sl_type arg,
			       enum sl_type result)
{
	struct sl_agg_spec sp;
	memset(&sp, 0, sizeof(sp));
	sp.fn = fn;
	sp.type = result;
	if (fn != SL_AGG_COUNT_STAR) {
		memset(&arg_exprs[slot], 0, sizeof(arg_exprs[slot]));
		arg_exprs[slot].kind = SL_EXPR_COLUMN;
		arg_exprs[slot].type = arg;
		sp.arg = &arg_exprs[slot];
	}
	return sp;
}

/* One aggregate over one argument vector, all rows into one state. */
struct one {
	struct sl_agg_layout *l;
	struct sl_shard *arena;
	void *state;
};

static struct one one_make(enum sl_agg_fn fn, enum sl_type arg, enum sl_type result)
{
	struct one o;
	struct sl_agg_spec sp = spec(0, fn, arg, result);
	o.l = sl_agg_layout_create(&sp, 1);
	cr_assert_not_null(o.l, "layout for fn %d arg %s", fn, sl_type_name(arg));
	o.arena = sl_shard_create(o.l->state_size, 16);
	o.state = calloc(1, o.l->state_size + 8);
	sl_agg_init_state(o.l, o.state);
	return o;
}

static void one_free(struct one *o)
{
	sl_agg_release_state(o->l, o->state, o->arena);
	free(o->state);
	sl_shard_destroy(o->arena);
	sl_agg_layout_destroy(o->l);
}

static void one_update(struct one *o, const struct sl_vec *arg, uint32_t n)
{
	void *states[MAXROWS];
	for (uint32_t i = 0; i < n; i++)
		states[i] = o->state;
	cr_assert_eq(sl_agg_update(o->l, states, n, arg, o->arena), 0);
}

/* The result as a value. */
static struct sl_value one_result(const struct one *o)
{
	struct sl_value v;
	uint8_t nul = 0xee;
	uint8_t b = 0;
	int64_t i = 0;
	double d = 0;
	struct sl_str s = {0};
	struct sl_vec out = {.type = o->l->slots[0].result_type, .nulls = &nul};
	memset(&v, 0, sizeof(v));
	v.type = out.type;
	switch (out.type) {
	case SL_TYPE_BOOLEAN:
		out.v.b = &b;
		break;
	case SL_TYPE_DOUBLE:
		out.v.f64 = &d;
		break;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		out.v.str = &s;
		break;
	default:
		out.v.i64 = &i;
		break;
	}
	cr_assert_eq(sl_agg_result(o->l, o->state, 0, &out, 0), 0);
	v.is_null = out.type == SL_TYPE_NULL || nul == 1;
	cr_assert(out.type == SL_TYPE_NULL || nul == 0 || nul == 1);
	v.v.b = b;
	if (out.type == SL_TYPE_DOUBLE)
		v.v.f64 = d;
	else if (sl_type_is_bytes(out.type))
		v.v.str = s;
	else if (out.type != SL_TYPE_BOOLEAN)
		v.v.i64 = i;
	return v;
}

Test(aggregate, layout_offsets_and_sizes)
{
	struct sl_agg_spec sp[6] = {
		spec(0, SL_AGG_COUNT_STAR, SL_TYPE_NULL, SL_TYPE_BIGINT),
		spec(1, SL_AGG_SUM, SL_TYPE_INT, SL_TYPE_BIGINT),
		spec(2, SL_AGG_AVG, SL_TYPE_DOUBLE, SL_TYPE_DOUBLE),
		spec(3, SL_AGG_MIN, SL_TYPE_STRING, SL_TYPE_STRING),
		spec(4, SL_AGG_MAX, SL_TYPE_TIMESTAMP, SL_TYPE_TIMESTAMP),
		spec(5, SL_AGG_COUNT, SL_TYPE_STRING, SL_TYPE_BIGINT),
	};
	struct sl_agg_layout *l = sl_agg_layout_create(sp, 6);
	cr_assert_not_null(l);
	/* 8 + 8 + 16 + 16 + 8 + 8, then one byte of seen bits (sum, min,
	 * max: bits 0, 1, 2 of byte 64) */
	const uint32_t offs[6] = {0, 8, 16, 32, 48, 56};
	for (int j = 0; j < 6; j++)
		cr_assert_eq(l->slots[j].off, offs[j], "agg %d", j);
	cr_assert_eq(l->slots[1].seen_bit, 64 * 8);
	cr_assert_eq(l->slots[3].seen_bit, 64 * 8 + 1);
	cr_assert_eq(l->slots[4].seen_bit, 64 * 8 + 2);
	cr_assert_eq(l->slots[0].seen_bit, UINT32_MAX);
	cr_assert_eq(l->state_size, 65);
	cr_assert_eq(sl_agg_state_size(l), 65);
	cr_assert_eq(l->slots[1].result_type, SL_TYPE_BIGINT);
	sl_agg_layout_destroy(l);
	sl_agg_layout_destroy(NULL);

	/* count(*) alone needs no seen bits */
	l = sl_agg_layout_create(sp, 1);
	cr_assert_eq(l->state_size, 8);
	sl_agg_layout_destroy(l);
	/* a global state with no aggregates is empty */
	l = sl_agg_layout_create(NULL, 0);
	cr_assert_not_null(l);
	cr_assert_eq(l->state_size, 0);
	sl_agg_layout_destroy(l);
}

Test(aggregate, layout_refuses_what_spark_refuses)
{
	const struct {
		enum sl_agg_fn fn;
		enum sl_type arg, result;
	} bad[] = {
		{SL_AGG_SUM, SL_TYPE_STRING, SL_TYPE_DOUBLE},
		{SL_AGG_SUM, SL_TYPE_BOOLEAN, SL_TYPE_BIGINT},
		{SL_AGG_AVG, SL_TYPE_TIMESTAMP, SL_TYPE_DOUBLE},
		{SL_AGG_MIN, SL_TYPE_ARRAY, SL_TYPE_ARRAY},
		{SL_AGG_MAX, SL_TYPE_HEADER, SL_TYPE_HEADER}, /* a Kafka header is never state */
		{SL_AGG_COUNT, SL_TYPE_HEADER, SL_TYPE_BIGINT},
		{SL_AGG_APPROX_COUNT_DISTINCT, SL_TYPE_HEADER, SL_TYPE_BIGINT},
		{SL_AGG_SUM, SL_TYPE_INT, SL_TYPE_INT},       /* Spark's sum(INT) is BIGINT */
		{SL_AGG_COUNT, SL_TYPE_INT, SL_TYPE_INT},     /* count is BIGINT */
		{SL_AGG_AVG, SL_TYPE_BIGINT, SL_TYPE_BIGINT}, /* avg is DOUBLE */
		{SL_AGG_MAX, SL_TYPE_INT, SL_TYPE_BIGINT},    /* max keeps its type */
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct sl_agg_spec sp = spec(0, bad[k].fn, bad[k].arg, bad[k].result);
		errno = 0;
		cr_assert_null(sl_agg_layout_create(&sp, 1), "case %zu", k);
		cr_assert_eq(errno, EINVAL);
	}
	struct sl_agg_spec noarg = spec(0, SL_AGG_SUM, SL_TYPE_INT, SL_TYPE_BIGINT);
	noarg.arg = NULL;
	cr_assert_null(sl_agg_layout_create(&noarg, 1));
}

Test(aggregate, count_star_counts_rows_and_count_counts_non_null)
{
	uint8_t nulls[5] = {0, 1, 0, 1, 1};
	int64_t x[5] = {1, 2, 3, 4, 5};
	struct sl_vec a = {.type = SL_TYPE_INT, .nulls = nulls, .v.i64 = x};
	struct one cs = one_make(SL_AGG_COUNT_STAR, SL_TYPE_NULL, SL_TYPE_BIGINT);
	struct one c = one_make(SL_AGG_COUNT, SL_TYPE_INT, SL_TYPE_BIGINT);
	/* a fresh state is 0, not NULL */
	struct sl_value v = one_result(&c);
	cr_assert(!v.is_null && v.v.i64 == 0);
	one_update(&cs, NULL, 5);
	one_update(&c, &a, 5);
	v = one_result(&cs);
	cr_assert(!v.is_null && v.v.i64 == 5);
	v = one_result(&c);
	cr_assert(!v.is_null && v.v.i64 == 2);
	/* count(NULL) stays 0 */
	struct one cn = one_make(SL_AGG_COUNT, SL_TYPE_NULL, SL_TYPE_BIGINT);
	struct sl_vec nv = {.type = SL_TYPE_NULL};
	one_update(&cn, &nv, 5);
	v = one_result(&cn);
	cr_assert(!v.is_null && v.v.i64 == 0);
	one_free(&cs);
	one_free(&c);
	one_free(&cn);
}

Test(aggregate, sum_of_integers_is_bigint_and_null_without_input)
{
	uint8_t nulls[4] = {0, 1, 0, 0};
	int64_t x[4] = {2147483647, 99, 2147483647, -5};
	struct sl_vec a = {.type = SL_TYPE_INT, .nulls = nulls, .v.i64 = x};
	struct one s = one_make(SL_AGG_SUM, SL_TYPE_INT, SL_TYPE_BIGINT);
	cr_assert(one_result(&s).is_null);
	/* only nulls: still NULL */
	uint8_t all[2] = {1, 1};
	struct sl_vec an = {.type = SL_TYPE_INT, .nulls = all, .v.i64 = x};
	one_update(&s, &an, 2);
	cr_assert(one_result(&s).is_null);
	/* INT inputs do not wrap at 32 bits: the sum is BIGINT */
	one_update(&s, &a, 4);
	struct sl_value v = one_result(&s);
	cr_assert_not(v.is_null);
	cr_assert_eq(v.v.i64, INT64_C(4294967289));
	one_free(&s);
}

Test(aggregate, bigint_sum_wraps_on_overflow)
{
	int64_t x[3] = {INT64_MAX, 1, 10};
	struct sl_vec a = {.type = SL_TYPE_BIGINT, .v.i64 = x};
	struct one s = one_make(SL_AGG_SUM, SL_TYPE_BIGINT, SL_TYPE_BIGINT);
	one_update(&s, &a, 2);
	cr_assert_eq(one_result(&s).v.i64, INT64_MIN);
	one_update(&s, &a, 3);
	cr_assert_eq(one_result(&s).v.i64, (int64_t)((uint64_t)INT64_MAX * 2 + 11 + 1));
	int64_t y[2] = {INT64_MIN, -1};
	struct sl_vec b = {.type = SL_TYPE_BIGINT, .v.i64 = y};
	struct one t = one_make(SL_AGG_SUM, SL_TYPE_BIGINT, SL_TYPE_BIGINT);
	one_update(&t, &b, 2);
	cr_assert_eq(one_result(&t).v.i64, INT64_MAX);
	one_free(&s);
	one_free(&t);
}

Test(aggregate, sum_of_doubles_and_of_null)
{
	double x[4] = {0.5, 1e308, 1e308, -2.0};
	uint8_t nulls[4] = {0, 1, 1, 0};
	struct sl_vec a = {.type = SL_TYPE_DOUBLE, .nulls = nulls, .v.f64 = x};
	struct one s = one_make(SL_AGG_SUM, SL_TYPE_DOUBLE, SL_TYPE_DOUBLE);
	one_update(&s, &a, 4);
	struct sl_value v = one_result(&s);
	cr_assert(!v.is_null && v.v.f64 == -1.5);
	/* overflow to infinity, as Java doubles */
	a.nulls = NULL;
	one_update(&s, &a, 3);
	cr_assert(isinf(one_result(&s).v.f64));
	/* sum(NULL) is a DOUBLE NULL */
	struct one n = one_make(SL_AGG_SUM, SL_TYPE_NULL, SL_TYPE_DOUBLE);
	struct sl_vec nv = {.type = SL_TYPE_NULL};
	one_update(&n, &nv, 3);
	cr_assert(one_result(&n).is_null);
	one_free(&s);
	one_free(&n);
}

Test(aggregate, avg_of_integers_and_doubles)
{
	int64_t x[4] = {1, 2, 4, 100};
	uint8_t nulls[4] = {0, 0, 0, 1};
	struct sl_vec a = {.type = SL_TYPE_INT, .nulls = nulls, .v.i64 = x};
	struct one s = one_make(SL_AGG_AVG, SL_TYPE_INT, SL_TYPE_DOUBLE);
	cr_assert(one_result(&s).is_null);
	one_update(&s, &a, 4);
	struct sl_value v = one_result(&s);
	cr_assert(!v.is_null);
	cr_assert_float_eq(v.v.f64, 7.0 / 3.0, 1e-15);

	/* BIGINT inputs are summed as doubles: no wrap */
	int64_t big[2] = {INT64_MAX, INT64_MAX};
	struct sl_vec b = {.type = SL_TYPE_BIGINT, .v.i64 = big};
	struct one t = one_make(SL_AGG_AVG, SL_TYPE_BIGINT, SL_TYPE_DOUBLE);
	one_update(&t, &b, 2);
	cr_assert_float_eq(one_result(&t).v.f64, 9.223372036854775807e18, 1e4);

	double d[3] = {1.5, NAN, 2.5};
	struct sl_vec c = {.type = SL_TYPE_DOUBLE, .v.f64 = d};
	struct one u = one_make(SL_AGG_AVG, SL_TYPE_DOUBLE, SL_TYPE_DOUBLE);
	one_update(&u, &c, 1);
	cr_assert_eq(one_result(&u).v.f64, 1.5);
	one_update(&u, &c, 3);
	cr_assert(isnan(one_result(&u).v.f64));

	/* avg of only nulls is NULL */
	uint8_t all[2] = {1, 1};
	struct sl_vec an = {.type = SL_TYPE_INT, .nulls = all, .v.i64 = x};
	struct one w = one_make(SL_AGG_AVG, SL_TYPE_INT, SL_TYPE_DOUBLE);
	one_update(&w, &an, 2);
	cr_assert(one_result(&w).is_null);
	one_free(&s);
	one_free(&t);
	one_free(&u);
	one_free(&w);
}

/* min and max over every scalar type, table-driven: values, null rows,
 * expected min and max by row index. */
Test(aggregate, min_and_max_of_every_type)
{
	uint8_t bools[4] = {1, 0, 1, 1};
	int64_t ints[5] = {5, -3, 7, 9, -100};
	int64_t bigs[4] = {INT64_MIN, 0, INT64_MAX, 3};
	int64_t tss[3] = {1700000000000000, -1, 1600000000000000};
	double dbls[5] = {-0.5, NAN, 3.25, -7.0, 1e300};
	struct sl_str strs[6] = {{"b", 1}, {"\xff", 1}, {"ab", 2}, {"a", 1}, {"", 0}, {"zz", 2}};
	uint8_t n4[4] = {0, 0, 0, 1};
	uint8_t n5[5] = {0, 0, 0, 0, 1};
	uint8_t n6[6] = {0, 0, 0, 0, 0, 1};
	const struct {
		enum sl_type type;
		struct sl_vec v;
		uint32_t n;
		uint32_t min_row, max_row;
	} cases[] = {
		{SL_TYPE_BOOLEAN, {.type = SL_TYPE_BOOLEAN, .v.b = bools}, 4, 1, 0},
		{SL_TYPE_INT, {.type = SL_TYPE_INT, .v.i64 = ints, .nulls = n5}, 5, 1, 3},
		{SL_TYPE_BIGINT, {.type = SL_TYPE_BIGINT, .v.i64 = bigs}, 4, 0, 2},
		{SL_TYPE_TIMESTAMP, {.type = SL_TYPE_TIMESTAMP, .v.i64 = tss}, 3, 1, 0},
		/* NaN is greater than every other double */
		{SL_TYPE_DOUBLE, {.type = SL_TYPE_DOUBLE, .v.f64 = dbls, .nulls = n5}, 5, 3, 1},
		/* unsigned bytes: "\xff" sorts last; "" first; "a" < "ab" */
		{SL_TYPE_STRING, {.type = SL_TYPE_STRING, .v.str = strs, .nulls = n6}, 6, 4, 1},
		/* BINARY as Spark orders it: unsigned bytes too */
		{SL_TYPE_BINARY, {.type = SL_TYPE_BINARY, .v.str = strs, .nulls = n6}, 6, 4, 1},
		{SL_TYPE_BOOLEAN, {.type = SL_TYPE_BOOLEAN, .v.b = bools, .nulls = n4}, 3, 1, 0},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		for (int is_max = 0; is_max < 2; is_max++) {
			struct one o = one_make(is_max ? SL_AGG_MAX : SL_AGG_MIN, cases[k].type,
						cases[k].type);
			cr_assert(one_result(&o).is_null);
			one_update(&o, &cases[k].v, cases[k].n);
			struct sl_value v = one_result(&o);
			uint32_t r = is_max ? cases[k].max_row : cases[k].min_row;
			cr_assert_not(v.is_null, "case %zu", k);
			switch (cases[k].type) {
			case SL_TYPE_BOOLEAN:
				cr_assert_eq(v.v.b, cases[k].v.v.b[r], "case %zu max %d", k, is_max);
				break;
			case SL_TYPE_DOUBLE:
				cr_assert_eq(memcmp(&v.v.f64, &cases[k].v.v.f64[r], 8), 0,
					     "case %zu max %d: %g", k, is_max, v.v.f64);
				break;
			case SL_TYPE_STRING:
			case SL_TYPE_BINARY:
				cr_assert_eq(v.v.str.len, cases[k].v.v.str[r].len);
				cr_assert_arr_eq(v.v.str.ptr, cases[k].v.v.str[r].ptr, v.v.str.len);
				break;
			default:
				cr_assert_eq(v.v.i64, cases[k].v.v.i64[r], "case %zu max %d", k, is_max);
				break;
			}
			one_free(&o);
		}
	}
}

Test(aggregate, min_max_of_only_nulls_or_null_type_is_null)
{
	uint8_t all[3] = {1, 1, 1};
	int64_t x[3] = {1, 2, 3};
	struct sl_vec a = {.type = SL_TYPE_BIGINT, .nulls = all, .v.i64 = x};
	struct one o = one_make(SL_AGG_MAX, SL_TYPE_BIGINT, SL_TYPE_BIGINT);
	one_update(&o, &a, 3);
	cr_assert(one_result(&o).is_null);
	struct one n = one_make(SL_AGG_MIN, SL_TYPE_NULL, SL_TYPE_NULL);
	struct sl_vec nv = {.type = SL_TYPE_NULL};
	one_update(&n, &nv, 3);
	cr_assert(one_result(&n).is_null);
	one_free(&o);
	one_free(&n);
}

Test(aggregate, negative_zero_and_zero_are_equal_in_min_max)
{
	/* Spark compares -0.0 == 0.0: the first one seen stays */
	double d[2] = {-0.0, 0.0};
	struct sl_vec a = {.type = SL_TYPE_DOUBLE, .v.f64 = d};
	struct one o = one_make(SL_AGG_MAX, SL_TYPE_DOUBLE, SL_TYPE_DOUBLE);
	one_update(&o, &a, 2);
	cr_assert(signbit(one_result(&o).v.f64));
	/* and a NaN min is kept only when all inputs are NaN */
	double n[2] = {NAN, NAN};
	struct sl_vec b = {.type = SL_TYPE_DOUBLE, .v.f64 = n};
	struct one m = one_make(SL_AGG_MIN, SL_TYPE_DOUBLE, SL_TYPE_DOUBLE);
	one_update(&m, &b, 2);
	cr_assert(isnan(one_result(&m).v.f64));
	one_update(&m, &a, 1);
	cr_assert_eq(one_result(&m).v.f64, 0.0);
	one_free(&o);
	one_free(&m);
}

Test(aggregate, string_min_max_is_copied_into_the_arena)
{
	char buf[64];
	struct sl_str s = {buf, 0};
	struct sl_vec a = {.type = SL_TYPE_STRING, .v.str = &s};
	struct one o = one_make(SL_AGG_MIN, SL_TYPE_STRING, SL_TYPE_STRING);
	strcpy(buf, "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmm");
	s.len = (uint32_t)strlen(buf);
	one_update(&o, &a, 1);
	size_t mem = sl_shard_memory(o.arena);
	/* the input buffer is reused by the next block of records */
	memset(buf, 'z', sizeof(buf));
	struct sl_value v = one_result(&o);
	cr_assert_eq(v.v.str.len, 30);
	cr_assert_arr_eq(v.v.str.ptr, "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmm", 30);
	cr_assert(v.v.str.ptr < buf || v.v.str.ptr >= buf + sizeof(buf));
	/* a shorter new minimum reuses the block: no more memory */
	strcpy(buf, "abc");
	s.len = 3;
	one_update(&o, &a, 1);
	v = one_result(&o);
	cr_assert_eq(v.v.str.len, 3);
	cr_assert_arr_eq(v.v.str.ptr, "abc", 3);
	cr_assert_eq(sl_shard_memory(o.arena), mem);
	/* a value that outgrows its block frees it for other groups: 100
	 * groups each see maxima of 8, 16, ..., 1024 bytes (about 66 KB of
	 * blocks per group if none were given back) */
	struct one m = one_make(SL_AGG_MAX, SL_TYPE_STRING, SL_TYPE_STRING);
	static char big[1024];
	struct sl_str bs = {big, 0};
	struct sl_vec ba = {.type = SL_TYPE_STRING, .v.str = &bs};
	void *groups[100];
	memset(big, 'q', sizeof(big));
	for (int g = 0; g < 100; g++) {
		groups[g] = calloc(1, m.l->state_size);
		for (uint32_t len = 8; len <= sizeof(big); len += 8) {
			bs.len = len;
			cr_assert_eq(sl_agg_update(m.l, &groups[g], 1, &ba, m.arena), 0);
		}
	}
	cr_assert_lt(sl_shard_memory(m.arena), (size_t)1 << 20);
	for (int g = 0; g < 100; g++) {
		struct sl_str r;
		uint8_t rn = 1;
		struct sl_vec out = {.type = SL_TYPE_STRING, .v.str = &r, .nulls = &rn};
		cr_assert_eq(sl_agg_result(m.l, groups[g], 0, &out, 0), 0);
		cr_assert(rn == 0 && r.len == sizeof(big));
		sl_agg_release_state(m.l, groups[g], m.arena);
		free(groups[g]);
	}
	/* an empty string is a value, not NULL */
	struct one e = one_make(SL_AGG_MIN, SL_TYPE_STRING, SL_TYPE_STRING);
	bs.len = 0;
	one_update(&e, &ba, 1);
	v = one_result(&e);
	cr_assert_not(v.is_null);
	cr_assert_eq(v.v.str.len, 0);
	cr_assert_not_null(v.v.str.ptr);
	one_free(&o);
	one_free(&m);
	one_free(&e);
}

Test(aggregate, string_min_needs_an_arena)
{
	struct sl_agg_spec sp = spec(0, SL_AGG_MIN, SL_TYPE_STRING, SL_TYPE_STRING);
	struct sl_agg_layout *l = sl_agg_layout_create(&sp, 1);
	void *st = calloc(1, l->state_size);
	void *states[1] = {st};
	struct sl_str s = {"x", 1};
	struct sl_vec a = {.type = SL_TYPE_STRING, .v.str = &s};
	cr_assert_eq(sl_agg_update(l, states, 1, &a, NULL), -EINVAL);
	free(st);
	sl_agg_layout_destroy(l);
}

Test(aggregate, vectorised_update_over_many_states)
{
	/* groups g = i % 3 for rows of (count(*), sum(x), max(s)) */
	struct sl_agg_spec sp[3] = {
		spec(0, SL_AGG_COUNT_STAR, SL_TYPE_NULL, SL_TYPE_BIGINT),
		spec(1, SL_AGG_SUM, SL_TYPE_BIGINT, SL_TYPE_BIGINT),
		spec(2, SL_AGG_MAX, SL_TYPE_STRING, SL_TYPE_STRING),
	};
	struct sl_agg_layout *l = sl_agg_layout_create(sp, 3);
	struct sl_shard *sh = sl_shard_create(l->state_size, 4);
	void *g[3], *states[MAXROWS];
	int64_t x[MAXROWS];
	struct sl_str s[MAXROWS];
	char words[MAXROWS][4];
	for (uint32_t k = 0; k < 3; k++) {
		bool nw;
		g[k] = sl_shard_upsert(sh, k, &k, sizeof(k), &nw);
	}
	for (uint32_t i = 0; i < MAXROWS; i++) {
		states[i] = g[i % 3];
		x[i] = i;
		words[i][0] = (char)('a' + (i * 7) % 16);
		s[i].ptr = words[i];
		s[i].len = 1;
	}
	struct sl_vec args[3] = {{.type = SL_TYPE_NULL},
				 {.type = SL_TYPE_BIGINT, .v.i64 = x},
				 {.type = SL_TYPE_STRING, .v.str = s}};
	cr_assert_eq(sl_agg_update(l, states, MAXROWS, args, sh), 0);
	for (uint32_t k = 0; k < 3; k++) {
		int64_t cnt = 0, sum = 0;
		char mx = 0;
		for (uint32_t i = k; i < MAXROWS; i += 3) {
			cnt++;
			sum += i;
			if (words[i][0] > mx)
				mx = words[i][0];
		}
		int64_t ov;
		struct sl_str os;
		struct sl_vec out = {.type = SL_TYPE_BIGINT, .v.i64 = &ov};
		cr_assert_eq(sl_agg_result(l, g[k], 0, &out, 0), 0);
		cr_assert_eq(ov, cnt);
		cr_assert_eq(sl_agg_result(l, g[k], 1, &out, 0), 0);
		cr_assert_eq(ov, sum);
		struct sl_vec sout = {.type = SL_TYPE_STRING, .v.str = &os};
		cr_assert_eq(sl_agg_result(l, g[k], 2, &sout, 0), 0);
		cr_assert_eq(os.len, 1);
		cr_assert_eq(os.ptr[0], mx);
	}
	sl_shard_destroy(sh);
	sl_agg_layout_destroy(l);
}

Test(aggregate, null_result_needs_a_null_map)
{
	struct one o = one_make(SL_AGG_SUM, SL_TYPE_BIGINT, SL_TYPE_BIGINT);
	int64_t v = 0;
	struct sl_vec out = {.type = SL_TYPE_BIGINT, .v.i64 = &v};
	cr_assert_eq(sl_agg_result(o.l, o.state, 0, &out, 0), -EINVAL);
	one_free(&o);
}

/* Merging partial states gives what one state over all rows gives. */
Test(aggregate, merge_equals_one_pass)
{
	struct sl_agg_spec sp[7] = {
		spec(0, SL_AGG_COUNT_STAR, SL_TYPE_NULL, SL_TYPE_BIGINT),
		spec(1, SL_AGG_COUNT, SL_TYPE_BIGINT, SL_TYPE_BIGINT),
		spec(2, SL_AGG_SUM, SL_TYPE_BIGINT, SL_TYPE_BIGINT),
		spec(3, SL_AGG_AVG, SL_TYPE_BIGINT, SL_TYPE_DOUBLE),
		spec(4, SL_AGG_MIN, SL_TYPE_STRING, SL_TYPE_STRING),
		spec(5, SL_AGG_MAX, SL_TYPE_DOUBLE, SL_TYPE_DOUBLE),
		spec(6, SL_AGG_SUM, SL_TYPE_DOUBLE, SL_TYPE_DOUBLE),
	};
	struct sl_agg_layout *l = sl_agg_layout_create(sp, 7);
	struct sl_shard *arena = sl_shard_create(l->state_size, 4);
	struct sl_shard *arena2 = sl_shard_create(l->state_size, 4);
	enum { N = 12 };
	int64_t x[N];
	double d[N];
	uint8_t xn[N], dn[N];
	struct sl_str s[N];
	char w[N][8];
	for (uint32_t i = 0; i < N; i++) {
		x[i] = INT64_MAX / 3 + i; /* the sum wraps */
		xn[i] = i % 4 == 1;
		d[i] = (double)((i * 5) % 7) - 3.0;
		dn[i] = i < 5; /* the first part sees no double */
		snprintf(w[i], sizeof(w[i]), "w%02u", (i * 7) % 12);
		s[i].ptr = w[i];
		s[i].len = 3;
	}
	struct sl_vec args[7] = {
		{.type = SL_TYPE_NULL},
		{.type = SL_TYPE_BIGINT, .v.i64 = x, .nulls = xn},
		{.type = SL_TYPE_BIGINT, .v.i64 = x, .nulls = xn},
		{.type = SL_TYPE_BIGINT, .v.i64 = x, .nulls = xn},
		{.type = SL_TYPE_STRING, .v.str = s},
		{.type = SL_TYPE_DOUBLE, .v.f64 = d, .nulls = dn},
		{.type = SL_TYPE_DOUBLE, .v.f64 = d, .nulls = dn},
	};
	void *all = calloc(1, l->state_size), *p1 = calloc(1, l->state_size);
	void *p2 = calloc(1, l->state_size), *empty = calloc(1, l->state_size);
	void *st[N];
	for (uint32_t i = 0; i < N; i++)
		st[i] = all;
	cr_assert_eq(sl_agg_update(l, st, N, args, arena), 0);
	/* rows 0..5 into p1 (in arena2, another core's), 6..11 into p2 */
	for (uint32_t i = 0; i < N; i++)
		st[i] = i < 6 ? p1 : p2;
	cr_assert_eq(sl_agg_update(l, st, 6, args, arena2), 0);
	struct sl_vec args2[7];
	for (int j = 0; j < 7; j++) {
		args2[j] = args[j];
		if (args2[j].type == SL_TYPE_BIGINT) {
			args2[j].v.i64 += 6;
			args2[j].nulls += 6;
		} else if (args2[j].type == SL_TYPE_DOUBLE) {
			args2[j].v.f64 += 6;
			args2[j].nulls += 6;
		} else if (args2[j].type == SL_TYPE_STRING) {
			args2[j].v.str += 6;
		}
	}
	cr_assert_eq(sl_agg_update(l, st + 6, 6, args2, arena), 0);
	/* merge p1 into an empty state, then p2 into that, then an empty one */
	void *m = calloc(1, l->state_size);
	cr_assert_eq(sl_agg_merge(l, m, p1, arena), 0);
	cr_assert_eq(sl_agg_merge(l, m, p2, arena), 0);
	cr_assert_eq(sl_agg_merge(l, m, empty, arena), 0);
	/* p1's strings may go away: m holds copies */
	sl_agg_release_state(l, p1, arena2);
	sl_shard_destroy(arena2);

	for (uint32_t j = 0; j < 7; j++) {
		uint8_t n1 = 7, n2 = 9;
		int64_t i1 = 0, i2 = 0;
		double d1 = 0, d2 = 0;
		struct sl_str s1 = {0}, s2 = {0};
		struct sl_vec o1 = {.type = l->slots[j].result_type, .nulls = &n1};
		struct sl_vec o2 = {.type = l->slots[j].result_type, .nulls = &n2};
		if (o1.type == SL_TYPE_DOUBLE) {
			o1.v.f64 = &d1;
			o2.v.f64 = &d2;
		} else if (o1.type == SL_TYPE_STRING) {
			o1.v.str = &s1;
			o2.v.str = &s2;
		} else {
			o1.v.i64 = &i1;
			o2.v.i64 = &i2;
		}
		cr_assert_eq(sl_agg_result(l, all, j, &o1, 0), 0);
		cr_assert_eq(sl_agg_result(l, m, j, &o2, 0), 0);
		cr_assert_eq(n1, 0, "agg %u", j);
		cr_assert_eq(n2, 0, "agg %u", j);
		cr_assert_eq(i1, i2, "agg %u", j);
		cr_assert_float_eq(d1, d2, 1e-9, "agg %u", j);
		cr_assert_eq(s1.len, s2.len);
		if (s1.len)
			cr_assert_arr_eq(s1.ptr, s2.ptr, s1.len);
	}
	/* the partial that saw no double leaves the merged double aggregates
	 * to the other one: max(d over rows 6..11) */
	double want = -1e300;
	for (uint32_t i = 6; i < N; i++)
		want = d[i] > want ? d[i] : want;
	double got;
	uint8_t gn;
	struct sl_vec o = {.type = SL_TYPE_DOUBLE, .v.f64 = &got, .nulls = &gn};
	sl_agg_result(l, m, 5, &o, 0);
	cr_assert_eq(got, want);

	sl_agg_release_state(l, all, arena);
	sl_agg_release_state(l, p2, arena);
	sl_agg_release_state(l, m, arena);
	free(all);
	free(p1);
	free(p2);
	free(m);
	free(empty);
	sl_shard_destroy(arena);
	sl_agg_layout_destroy(l);
}

Test(aggregate, release_frees_string_blocks_and_resets)
{
	struct sl_agg_spec sp = spec(0, SL_AGG_MAX, SL_TYPE_STRING, SL_TYPE_STRING);
	struct sl_agg_layout *l = sl_agg_layout_create(&sp, 1);
	struct sl_shard *arena = sl_shard_create(l->state_size, 4);
	void *st = calloc(1, l->state_size);
	void *states[1] = {st};
	static char big[3000];
	struct sl_str s = {big, sizeof(big)};
	struct sl_vec a = {.type = SL_TYPE_STRING, .v.str = &s};
	memset(big, 'r', sizeof(big));
	size_t mem = 0;
	for (int round = 0; round < 50; round++) {
		cr_assert_eq(sl_agg_update(l, states, 1, &a, arena), 0);
		sl_agg_release_state(l, st, arena);
		if (round == 0)
			mem = sl_shard_memory(arena);
		cr_assert_eq(sl_shard_memory(arena), mem);
	}
	/* released means initial: the result is NULL again */
	uint8_t n = 0;
	struct sl_str out;
	struct sl_vec o = {.type = SL_TYPE_STRING, .v.str = &out, .nulls = &n};
	cr_assert_eq(sl_agg_result(l, st, 0, &o, 0), 0);
	cr_assert_eq(n, 1);
	free(st);
	sl_shard_destroy(arena);
	sl_agg_layout_destroy(l);
}

/* ---- approx_count_distinct: Spark's HyperLogLog++ ----
 *
 * Expected estimates are Spark's where Spark publishes one (PySpark's
 * documentation: spark.range(100000) gives 95546 at the default rsd and
 * 102065 at rsd 0.1); the others come from an independent re-implementation
 * of Spark's HyperLogLogPlusPlusHelper and XXH64.java (written in Python
 * from Spark's source, checked against Spark's XXH64Suite vectors and the
 * two documented results). Every estimate is also checked against the
 * accuracy Spark promises. */

/* One approx_count_distinct over values of one type. */
struct hll {
	struct sl_agg_layout *l;
	uint8_t *state;
};

static struct hll hll_make(enum sl_type arg, double rsd)
{
	struct hll h;
	struct sl_agg_spec sp = spec(0, SL_AGG_APPROX_COUNT_DISTINCT, arg, SL_TYPE_BIGINT);
	sp.rsd = rsd;
	h.l = sl_agg_layout_create(&sp, 1);
	cr_assert_not_null(h.l, "layout for rsd %g", rsd);
	h.state = calloc(1, h.l->state_size);
	return h;
}

static void hll_free(struct hll *h)
{
	free(h->state);
	sl_agg_layout_destroy(h->l);
}

/* Folds a vector of n rows (any n) into state. */
static void hll_update(const struct hll *h, void *state, const struct sl_vec *v, uint32_t n)
{
	enum { CHUNK = 512 };
	void *states[CHUNK];
	for (uint32_t i = 0; i < CHUNK; i++)
		states[i] = state;
	for (uint32_t first = 0; first < n; first += CHUNK) {
		uint32_t m = n - first < CHUNK ? n - first : CHUNK;
		struct sl_vec part = sl_vec_slice(v, first);
		cr_assert_eq(sl_agg_update(h->l, states, m, &part, NULL), 0);
	}
}

/* Folds the BIGINTs from, from + 1, ..., to - 1. */
static void hll_range(const struct hll *h, void *state, int64_t from, int64_t to)
{
	enum { BATCH = 4096 };
	static int64_t v[BATCH];
	for (int64_t first = from; first < to; first += BATCH) {
		uint32_t n = to - first < BATCH ? (uint32_t)(to - first) : BATCH;
		for (uint32_t i = 0; i < n; i++)
			v[i] = first + i;
		struct sl_vec vec = {.type = SL_TYPE_BIGINT, .v.i64 = v};
		hll_update(h, state, &vec, n);
	}
}

static int64_t hll_result(const struct hll *h, const void *state)
{
	int64_t r = -1;
	uint8_t nul = 0xee;
	struct sl_vec out = {.type = SL_TYPE_BIGINT, .v.i64 = &r, .nulls = &nul};
	cr_assert_eq(sl_agg_result(h->l, state, 0, &out, 0), 0);
	cr_assert_eq(nul, 0, "approx_count_distinct is never NULL");
	/* without a null map too */
	int64_t r2 = -1;
	struct sl_vec out2 = {.type = SL_TYPE_BIGINT, .v.i64 = &r2};
	cr_assert_eq(sl_agg_result(h->l, state, 0, &out2, 0), 0);
	cr_assert_eq(r, r2);
	return r;
}

/* approx_count_distinct of the BIGINTs 0 .. n - 1. */
static int64_t hll_of_range(double rsd, int64_t n)
{
	struct hll h = hll_make(SL_TYPE_BIGINT, rsd);
	hll_range(&h, h.state, 0, n);
	int64_t r = hll_result(&h, h.state);
	hll_free(&h);
	return r;
}

/* Spark's XXH64Suite: its buffer and known answers (seeds 0 and PRIME). */
Test(aggregate, hll_hashes_are_sparks_xxh64)
{
	const uint64_t prime = 2654435761u;
	uint8_t buf[101];
	uint64_t s = prime;
	for (int i = 0; i < 101; i++) {
		buf[i] = (uint8_t)(s >> 24);
		s *= s;
	}
	const int32_t test_int = 0x4B1FFF9E;
	const int64_t test_long = (int64_t)UINT64_C(0xDD2F535E4B1FFF9E);
	cr_expect_eq(sl_hll_hash_int(test_int, 0), UINT64_C(0x9256E58AA397AEF1));
	cr_expect_eq(sl_hll_hash_int(test_int, prime), UINT64_C(0x09D5FFDFB928AB4B));
	cr_expect_eq(sl_hll_hash_long(test_long, 0), UINT64_C(0xF74CB1451B32B8CF));
	cr_expect_eq(sl_hll_hash_long(test_long, prime), UINT64_C(0x9C44B77FBCC302C5));
	const struct {
		size_t len;
		uint64_t seed0, seed_prime;
	} bytes[] = {
		{0, UINT64_C(0xEF46DB3751D8E999), UINT64_C(0xAC75FDA2929B17EF)},
		{1, UINT64_C(0x4FCE394CC88952D8), UINT64_C(0x739840CB819FA723)},
		{4, UINT64_C(0x9256E58AA397AEF1), UINT64_C(0x09D5FFDFB928AB4B)},
		{8, UINT64_C(0xF74CB1451B32B8CF), UINT64_C(0x9C44B77FBCC302C5)},
		{14, UINT64_C(0xCFFA8DB881BC3A3D), UINT64_C(0x5B9611585EFCC9CB)},
		{101, UINT64_C(0x0EAB543384F878AD), UINT64_C(0xCAA65939306F1E21)},
	};
	for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
		cr_expect_eq(sl_hll_hash_bytes(buf, bytes[i].len, 0), bytes[i].seed0, "len %zu",
			     bytes[i].len);
		cr_expect_eq(sl_hll_hash_bytes(buf, bytes[i].len, prime), bytes[i].seed_prime,
			     "len %zu", bytes[i].len);
	}
	/* hashInt / hashLong are XXH64 of 4 / 8 little-endian bytes */
	for (int64_t v = -3; v < 1000; v += 7) {
		int32_t i32 = (int32_t)v;
		uint8_t le[8];
		for (int k = 0; k < 8; k++)
			le[k] = (uint8_t)((uint64_t)v >> (8 * k));
		cr_expect_eq(sl_hll_hash_int(i32, 42), sl_hll_hash_bytes(le, 4, 42));
		cr_expect_eq(sl_hll_hash_long(v, 42), sl_hll_hash_bytes(le, 8, 42));
	}
	/* -0.0 is 0.0 and every NaN is Java's NaN */
	cr_expect_eq(sl_hll_hash_double(-0.0, 42), sl_hll_hash_long(0, 42));
	cr_expect_eq(sl_hll_hash_double(0.0, 42), sl_hll_hash_long(0, 42));
	cr_expect_eq(sl_hll_hash_double(-NAN, 42), sl_hll_hash_double(NAN, 42));
	cr_expect_eq(sl_hll_hash_double(NAN, 42),
		     sl_hll_hash_long((int64_t)UINT64_C(0x7ff8000000000000), 42));
	cr_expect_eq(sl_hll_hash_double(1.5, 42),
		     sl_hll_hash_long((int64_t)UINT64_C(0x3ff8000000000000), 42));
}

/* raw[i] - bias[i] is the true cardinality the paper measured raw[i] at: a
 * grid (hll_data.c). A mistyped digit in either table breaks it. */
Test(aggregate, hll_bias_tables_match_the_papers_grid)
{
	const uint32_t lengths[] = {79,  159, 200, 200, 200, 201, 200, 201,
				    201, 200, 201, 201, 200, 201, 200};
	for (unsigned p = SL_HLL_P_MIN; p <= SL_HLL_P_MAX; p++) {
		const struct sl_hll_bias_table *t = &sl_hll_bias_tables[p - SL_HLL_P_MIN];
		cr_assert_eq(t->n, lengths[p - SL_HLL_P_MIN], "p %u", p);
		float step = (float)((5.0 * (double)(1u << p) - 1.0) / 200.0), acc = 1.0f;
		for (uint32_t i = 0; i < t->n; i++) {
			double want = p < 6 ? (double)(i + 1) : floor((double)acc);
			double got = t->raw[i] - t->bias[i];
			cr_assert(fabs(got - want) < 1e-6 * want, "p %u entry %u: raw - bias = %.9g, not %g",
				  p, i, got, want);
			acc = acc + step;
		}
	}
	const double thresholds[] = {10,   20,    40,    80,    220,    400,    900,   1800,
				     3100, 6500, 15500, 20000, 50000, 120000, 350000};
	for (unsigned i = 0; i < 15; i++)
		cr_expect_eq(sl_hll_thresholds[i], thresholds[i]);
}

Test(aggregate, hll_precision_and_state_size_follow_rsd)
{
	const struct {
		double rsd;
		int p;
	} cases[] = {{0.05, 9},  {0.01, 14}, {0.1, 7}, {0.39, 4}, {0.4, 3},
		     {0.0022, 18}, {0.002, 19}, {1.0, 1}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(sl_hll_precision(cases[i].rsd), cases[i].p, "rsd %g", cases[i].rsd);
	cr_expect_eq(sl_hll_precision(-1.0), 0, "NaN is 0, as Scala's toInt");
	cr_expect_eq(sl_hll_precision(0.0), INT32_MAX);

	/* Spark's buffer: 2^p / 10 + 1 longs */
	struct hll h = hll_make(SL_TYPE_STRING, 0.05);
	cr_expect_eq(h.l->state_size, 416);
	cr_expect_eq(h.l->slots[0].hll_p, 9);
	cr_expect_eq(h.l->slots[0].result_type, SL_TYPE_BIGINT);
	hll_free(&h);
	h = hll_make(SL_TYPE_STRING, 0.0); /* 0: Spark's default */
	cr_expect_eq(h.l->state_size, 416);
	hll_free(&h);
	h = hll_make(SL_TYPE_STRING, 0.01);
	cr_expect_eq(h.l->state_size, 13112);
	hll_free(&h);
	h = hll_make(SL_TYPE_STRING, 0.0022);
	cr_expect_eq(h.l->state_size, 209720);
	hll_free(&h);

	/* refused: p < 4 (Spark's require), p > 18 (sluice's bound), an ARRAY,
	 * a result type that is not BIGINT */
	const double bad_rsd[] = {0.4, 0.002, -0.1, NAN};
	for (size_t i = 0; i < sizeof(bad_rsd) / sizeof(bad_rsd[0]); i++) {
		struct sl_agg_spec sp =
			spec(0, SL_AGG_APPROX_COUNT_DISTINCT, SL_TYPE_BIGINT, SL_TYPE_BIGINT);
		sp.rsd = bad_rsd[i];
		errno = 0;
		cr_expect_null(sl_agg_layout_create(&sp, 1), "rsd %g", bad_rsd[i]);
		cr_expect_eq(errno, EINVAL);
	}
	struct sl_agg_spec sp = spec(0, SL_AGG_APPROX_COUNT_DISTINCT, SL_TYPE_ARRAY, SL_TYPE_BIGINT);
	cr_expect_null(sl_agg_layout_create(&sp, 1));
	sp = spec(0, SL_AGG_APPROX_COUNT_DISTINCT, SL_TYPE_STRING, SL_TYPE_INT);
	cr_expect_null(sl_agg_layout_create(&sp, 1));

	/* in a layout with others: offsets stay multiples of 8 */
	struct sl_agg_spec sps[3] = {
		spec(0, SL_AGG_COUNT_STAR, SL_TYPE_NULL, SL_TYPE_BIGINT),
		spec(1, SL_AGG_APPROX_COUNT_DISTINCT, SL_TYPE_INT, SL_TYPE_BIGINT),
		spec(2, SL_AGG_SUM, SL_TYPE_INT, SL_TYPE_BIGINT),
	};
	struct sl_agg_layout *l = sl_agg_layout_create(sps, 3);
	cr_assert_not_null(l);
	cr_expect_eq(l->slots[0].off, 0);
	cr_expect_eq(l->slots[1].off, 8);
	cr_expect_eq(l->slots[2].off, 8 + 416);
	cr_expect_eq(l->state_size, 8 + 416 + 8 + 1);
	sl_agg_layout_destroy(l);
}

/* Small sets: linear counting, exact or within a value of the truth. */
Test(aggregate, hll_small_cardinalities)
{
	cr_expect_eq(hll_of_range(0.05, 0), 0);
	cr_expect_eq(hll_of_range(0.05, 1), 1);
	cr_expect_eq(hll_of_range(0.05, 10), 10);
	cr_expect_eq(hll_of_range(0.05, 100), 103);
	cr_expect_eq(hll_of_range(0.01, 10), 10);
	cr_expect_eq(hll_of_range(0.01, 100), 100);
	cr_expect_eq(hll_of_range(0.39, 50), 50); /* p 4, 16 registers */
	/* the bias-corrected range, p 9: 2.5m < E < 5m */
	cr_expect_eq(hll_of_range(0.05, 1500), 1400);
	cr_expect_eq(hll_of_range(0.05, 2000), 1947);

	/* INT hashes as 4 bytes: another sketch than BIGINT's */
	struct hll h = hll_make(SL_TYPE_INT, 0.05);
	int64_t v[100];
	for (int i = 0; i < 100; i++)
		v[i] = i;
	struct sl_vec vec = {.type = SL_TYPE_INT, .v.i64 = v};
	hll_update(&h, h.state, &vec, 100);
	cr_expect_eq(hll_result(&h, h.state), 99);
	hll_free(&h);

	/* no input at all, or only NULL-typed input: 0, not NULL */
	h = hll_make(SL_TYPE_NULL, 0.05);
	struct sl_vec nulls = {.type = SL_TYPE_NULL};
	hll_update(&h, h.state, &nulls, 10);
	cr_expect_eq(hll_result(&h, h.state), 0);
	hll_free(&h);
}

/* PySpark's documentation: spark.range(100000).agg(approx_count_distinct("id"),
 * approx_count_distinct("id", 0.1)) shows 95546 and 102065. */
Test(aggregate, hll_gives_sparks_documented_results)
{
	cr_expect_eq(hll_of_range(0.05, 100000), 95546);
	cr_expect_eq(hll_of_range(0.1, 100000), 102065);
}

Test(aggregate, hll_large_cardinalities_within_three_rsd)
{
	const struct {
		double rsd;
		int64_t n, want;
	} cases[] = {
		{0.05, 100000, 95546},   {0.05, 1000000, 925738},
		{0.01, 100000, 100425},  {0.01, 1000000, 996123},
		{0.01, 20000, 19867},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got = hll_of_range(cases[i].rsd, cases[i].n);
		cr_expect_eq(got, cases[i].want, "rsd %g, %" PRId64 " values", cases[i].rsd,
			     cases[i].n);
		double err = fabs((double)got - (double)cases[i].n) / (double)cases[i].n;
		cr_expect(err <= 3 * cases[i].rsd, "rsd %g, %" PRId64 " values: %" PRId64
			  " is off by %.1f%%", cases[i].rsd, cases[i].n, got, 100 * err);
	}
}

Test(aggregate, hll_duplicates_and_nulls_change_nothing)
{
	struct hll h = hll_make(SL_TYPE_BIGINT, 0.05);
	uint8_t *once = calloc(1, h.l->state_size);
	hll_range(&h, once, 0, 3000);

	/* every value five times, with NULL rows between, in another order */
	enum { N = 3000 * 5 * 2 };
	int64_t *v = malloc(N * sizeof(*v));
	uint8_t *nl = malloc(N);
	for (uint32_t i = 0; i < N; i++) {
		nl[i] = i % 2;
		v[i] = nl[i] ? -(int64_t)i - 1 : (int64_t)((i / 2 * 7919) % 3000);
	}
	struct sl_vec vec = {.type = SL_TYPE_BIGINT, .v.i64 = v, .nulls = nl};
	hll_update(&h, h.state, &vec, N);
	cr_expect_eq(memcmp(h.state, once, h.l->state_size), 0, "the same registers");
	cr_expect_eq(hll_result(&h, h.state), hll_result(&h, once));

	/* all rows NULL: nothing */
	memset(nl, 1, N);
	memset(h.state, 0, h.l->state_size);
	hll_update(&h, h.state, &vec, N);
	cr_expect_eq(hll_result(&h, h.state), 0);

	free(v);
	free(nl);
	free(once);
	hll_free(&h);
}

/* Partial states (combiners, shards) merge into the sketch of the union. */
Test(aggregate, hll_merge_of_partials_is_the_union)
{
	const double rsds[] = {0.05, 0.01, 0.39};
	for (size_t k = 0; k < 3; k++) {
		struct hll h = hll_make(SL_TYPE_BIGINT, rsds[k]);
		size_t sz = h.l->state_size;
		uint8_t *a = calloc(1, sz), *b = calloc(1, sz), *all = calloc(1, sz);
		uint8_t *empty = calloc(1, sz), *ba = calloc(1, sz);
		hll_range(&h, a, 0, 30000);    /* overlapping parts */
		hll_range(&h, b, 20000, 50000);
		hll_range(&h, all, 0, 50000);
		memcpy(ba, b, sz);
		cr_assert_eq(sl_agg_merge(h.l, a, b, NULL), 0);
		cr_expect_eq(memcmp(a, all, sz), 0, "rsd %g: merged = one pass", rsds[k]);
		cr_assert_eq(sl_agg_merge(h.l, ba, all, NULL), 0);
		cr_expect_eq(memcmp(ba, all, sz), 0, "rsd %g: merge is commutative", rsds[k]);
		cr_assert_eq(sl_agg_merge(h.l, a, empty, NULL), 0);
		cr_expect_eq(memcmp(a, all, sz), 0, "rsd %g: an empty partial changes nothing",
			     rsds[k]);
		cr_assert_eq(sl_agg_merge(h.l, empty, all, NULL), 0);
		cr_expect_eq(memcmp(empty, all, sz), 0, "rsd %g: into an empty state", rsds[k]);
		cr_expect_eq(hll_result(&h, a), hll_result(&h, all));
		free(a);
		free(b);
		free(all);
		free(empty);
		free(ba);
		hll_free(&h);
	}
}

/* Each type hashed as Spark hashes it. */
Test(aggregate, hll_hashes_each_type_as_spark)
{
	enum { N = 1000 };
	/* STRING: 'w0' .. 'w999' */
	static char buf[N][8];
	static struct sl_str str[N];
	for (int i = 0; i < N; i++) {
		int len = snprintf(buf[i], sizeof(buf[i]), "w%d", i);
		str[i] = (struct sl_str){buf[i], (uint32_t)len};
	}
	struct hll h = hll_make(SL_TYPE_STRING, 0.05);
	struct sl_vec sv = {.type = SL_TYPE_STRING, .v.str = str};
	hll_update(&h, h.state, &sv, N);
	cr_expect_eq(hll_result(&h, h.state), 977);
	hll_free(&h);

	/* DOUBLE: 0.0, 0.5, 1.0, ... ; -0.0 is the same value as 0.0 */
	static double d[N + 2];
	for (int i = 0; i < N; i++)
		d[i] = 0.5 * i;
	d[N] = -0.0;
	d[N + 1] = 0.0;
	h = hll_make(SL_TYPE_DOUBLE, 0.05);
	struct sl_vec dv = {.type = SL_TYPE_DOUBLE, .v.f64 = d};
	hll_update(&h, h.state, &dv, N + 2);
	cr_expect_eq(hll_result(&h, h.state), 963);
	/* NaNs of any sign or payload count once */
	uint8_t *before = malloc(h.l->state_size);
	double nan1 = NAN, nan2 = -NAN;
	uint64_t bits = UINT64_C(0x7ff0000000000001);
	double nan3;
	memcpy(&nan3, &bits, sizeof(nan3));
	double nans[1] = {nan1};
	struct sl_vec nv = {.type = SL_TYPE_DOUBLE, .v.f64 = nans};
	hll_update(&h, h.state, &nv, 1);
	memcpy(before, h.state, h.l->state_size);
	nans[0] = nan2;
	hll_update(&h, h.state, &nv, 1);
	nans[0] = nan3;
	hll_update(&h, h.state, &nv, 1);
	cr_expect_eq(memcmp(before, h.state, h.l->state_size), 0);
	free(before);
	hll_free(&h);

	/* BOOLEAN: hashInt(1) / hashInt(0), as the INTs 1 and 0 */
	struct hll hb = hll_make(SL_TYPE_BOOLEAN, 0.05), hi = hll_make(SL_TYPE_INT, 0.05);
	uint8_t b[3] = {1, 0, 1};
	int64_t i01[2] = {1, 0};
	struct sl_vec bv = {.type = SL_TYPE_BOOLEAN, .v.b = b};
	struct sl_vec iv = {.type = SL_TYPE_INT, .v.i64 = i01};
	hll_update(&hb, hb.state, &bv, 3);
	hll_update(&hi, hi.state, &iv, 2);
	cr_expect_eq(memcmp(hb.state, hi.state, hb.l->state_size), 0);
	cr_expect_eq(hll_result(&hb, hb.state), 2);
	hll_free(&hb);
	hll_free(&hi);

	/* TIMESTAMP and INTERVAL hash as BIGINT */
	const enum sl_type longs[] = {SL_TYPE_TIMESTAMP, SL_TYPE_INTERVAL};
	for (int k = 0; k < 2; k++) {
		struct hll ht = hll_make(longs[k], 0.05), hl = hll_make(SL_TYPE_BIGINT, 0.05);
		int64_t t[3] = {1700000000000000, -5, 0};
		struct sl_vec tv = {.type = longs[k], .v.i64 = t};
		struct sl_vec lv = {.type = SL_TYPE_BIGINT, .v.i64 = t};
		hll_update(&ht, ht.state, &tv, 3);
		hll_update(&hl, hl.state, &lv, 3);
		cr_expect_eq(memcmp(ht.state, hl.state, ht.l->state_size), 0);
		hll_free(&ht);
		hll_free(&hl);
	}

	/* WINDOW: a struct, its fields chained through the seed */
	static struct sl_window w[300];
	for (int i = 0; i < 300; i++)
		w[i] = (struct sl_window){(int64_t)i * 60000000, (int64_t)i * 60000000 + 60000000};
	h = hll_make(SL_TYPE_WINDOW, 0.05);
	struct sl_vec wv = {.type = SL_TYPE_WINDOW, .v.win = w};
	hll_update(&h, h.state, &wv, 300);
	cr_expect_eq(hll_result(&h, h.state), 305);
	hll_free(&h);
}

/* Release: nothing to free, the state is initial again. */
Test(aggregate, hll_release_resets)
{
	struct hll h = hll_make(SL_TYPE_BIGINT, 0.05);
	hll_range(&h, h.state, 0, 100);
	sl_agg_release_state(h.l, h.state, NULL);
	cr_expect_eq(hll_result(&h, h.state), 0);
	hll_free(&h);
}

/* ---- sl_agg_update_one against sl_agg_update with one state repeated ---- */

#define ONE_MAXN 1000
#define ONE_MAXAGGS 80

/* Null maps of a case: none (NULL), a map with no null, some rows null
 * (marked 1, sometimes another non-zero byte), every row null. */
enum one_nulls { NULLS_NONE, NULLS_ZERO_MAP, NULLS_SOME, NULLS_ALL, NULLS__COUNT };

/* One argument column, every type's array at once. */
struct one_col {
	struct sl_vec v;
	uint8_t nulls[ONE_MAXN];
	int64_t i64[ONE_MAXN];
	double f64[ONE_MAXN];
	uint8_t b[ONE_MAXN];
	struct sl_str str[ONE_MAXN];
	struct sl_window win[ONE_MAXN];
};

static uint64_t one_rnd(uint64_t *s)
{
	/* splitmix64: a fixed sequence per seed, so a failure reruns alike */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double dbl_bits(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

/* Few distinct values, so that ties are common: -0.0 and 0.0, NaNs whose
 * payloads tell which one a min/max kept, sums whose rounding depends on
 * the order of the additions, strings that are prefixes of each other. */
static double one_dbl(uint64_t *s)
{
	const double pool[] = {0.0,     -0.0,      1.0,   -1.0,    0.1,     3.5,
			       1e16,    -1e16,     1e308, -1e308,  5e-324,  INFINITY,
			       -INFINITY};
	uint64_t r = one_rnd(s) % 20;
	if (r < sizeof(pool) / sizeof(pool[0]))
		return pool[r];
	switch (r) {
	case 13:
		return dbl_bits(0x7ff8000000000001ull); /* NaN, payload 1 */
	case 14:
		return dbl_bits(0xfff8000000000002ull); /* -NaN, payload 2 */
	case 15:
		return dbl_bits(0x7ff8000000000003ull);
	default:
		return (double)(int64_t)(one_rnd(s) % 2001 - 1000) / 8.0;
	}
}

static int64_t one_i64(uint64_t *s, bool is_int)
{
	uint64_t r = one_rnd(s);
	switch (r % 8) {
	case 0:
		return is_int ? INT32_MAX : INT64_MAX;
	case 1:
		return is_int ? INT32_MIN : INT64_MIN;
	case 2:
		return 0;
	case 3:
		return -1;
	case 4:
		return is_int ? (int32_t)(r >> 32) : (int64_t)(r >> 3) * ((r & 4) ? -1 : 1);
	default:
		return (int64_t)((r >> 8) % 7) - 3;
	}
}

static struct sl_str one_str(uint64_t *s)
{
	static const char *pool[] = {"", "a", "ab", "abc", "abcd", "b", "\xff", "\x80z",
				     "abcdefghijklmnopqrstuvwxyz0123456789",
				     "abcdefghijklmnopqrstuvwxyz0123456788",
				     "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"};
	static const char nul[2] = {'a', '\0'}; /* "a" with a zero byte after it */
	uint64_t r = one_rnd(s) % 12;
	if (r == 11)
		return (struct sl_str){nul, 2};
	return (struct sl_str){pool[r], (uint32_t)strlen(pool[r])};
}

static void one_fill(struct one_col *c, enum sl_type t, uint32_t n, enum one_nulls nm,
		     uint64_t *s)
{
	memset(&c->v, 0, sizeof(c->v));
	c->v.type = t;
	c->v.nulls = nm == NULLS_NONE ? NULL : c->nulls;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t r = one_rnd(s);
		c->nulls[i] = nm == NULLS_ALL ? (r % 3 ? 1 : 0xff)
			      : nm == NULLS_SOME && r % 3 == 0 ? (r & 8 ? 1 : 2)
							       : 0;
		c->i64[i] = one_i64(s, t == SL_TYPE_INT);
		c->f64[i] = one_dbl(s);
		c->b[i] = (uint8_t)(r >> 8) % 4 == 3 ? 0xff : (uint8_t)((r >> 8) % 3);
		c->str[i] = one_str(s);
		c->win[i] = (struct sl_window){c->i64[i], (int64_t)((uint64_t)c->i64[i] + 60)};
	}
	switch (t) {
	case SL_TYPE_NULL:
		c->v.nulls = NULL;
		break;
	case SL_TYPE_BOOLEAN:
		c->v.v.b = c->b;
		break;
	case SL_TYPE_DOUBLE:
		c->v.v.f64 = c->f64;
		break;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		c->v.v.str = c->str;
		break;
	case SL_TYPE_WINDOW:
		c->v.v.win = c->win;
		break;
	default:
		c->v.v.i64 = c->i64;
		break;
	}
}

/* Spark's result type of fn over arg, found by asking the layout; false
 * when the pair has none (sum of STRING, ...). */
static bool one_result_type(enum sl_agg_fn fn, enum sl_type arg, enum sl_type *res)
{
	for (int t = 0; t < SL_TYPE__COUNT; t++) {
		struct sl_agg_spec sp = spec(0, fn, arg, (enum sl_type)t);
		struct sl_agg_layout *l = sl_agg_layout_create(&sp, 1);
		if (l != NULL) {
			sl_agg_layout_destroy(l);
			*res = (enum sl_type)t;
			return true;
		}
	}
	return false;
}

static bool one_is_str_slot(const struct sl_agg_slot *sl)
{
	return (sl->fn == SL_AGG_MIN || sl->fn == SL_AGG_MAX) && sl_type_is_bytes(sl->arg_type);
}

/* The two states agree: every byte but a string min/max's pointer and block
 * size (the one-state update copies only the final winner, so its block
 * may be smaller), and every result, doubles by their bits. */
static void one_expect_same(const struct sl_agg_layout *l, const void *one, const void *rep,
			    const char *what)
{
	static uint8_t a[16384], b[16384];
	cr_assert_leq(l->state_size, sizeof(a));
	memcpy(a, one, l->state_size);
	memcpy(b, rep, l->state_size);
	for (uint32_t j = 0; j < l->naggs; j++) {
		if (!one_is_str_slot(&l->slots[j]))
			continue;
		/* the length stays: bytes 8..12 */
		memset(a + l->slots[j].off, 0, 8);
		memset(b + l->slots[j].off, 0, 8);
		memset(a + l->slots[j].off + 12, 0, 4);
		memset(b + l->slots[j].off + 12, 0, 4);
	}
	for (uint32_t k = 0; k < l->state_size; k++)
		cr_assert_eq(a[k], b[k], "%s: state byte %u: %#x, not %#x", what, k, a[k], b[k]);
	for (uint32_t j = 0; j < l->naggs; j++) {
		union {
			int64_t i;
			double d;
			uint8_t b;
			struct sl_str s;
		} va, vb;
		uint8_t na = 7, nb = 7;
		memset(&va, 0, sizeof(va));
		memset(&vb, 0, sizeof(vb));
		enum sl_type rt = l->slots[j].result_type;
		struct sl_vec oa = {.type = rt, .nulls = &na, .v.b = (uint8_t *)&va};
		struct sl_vec ob = {.type = rt, .nulls = &nb, .v.b = (uint8_t *)&vb};
		int ra = sl_agg_result(l, one, j, &oa, 0);
		int rb = sl_agg_result(l, rep, j, &ob, 0);
		cr_assert_eq(ra, rb, "%s: aggregate %u result rc", what, j);
		cr_assert_eq(na, nb, "%s: aggregate %u null flag %u, not %u", what, j, na, nb);
		if (na == 1 || ra < 0)
			continue;
		if (sl_type_is_bytes(oa.type)) {
			cr_assert_eq(va.s.len, vb.s.len, "%s: aggregate %u length", what, j);
			cr_assert_eq(memcmp(va.s.ptr, vb.s.ptr, va.s.len), 0, "%s: aggregate %u",
				     what, j);
		} else {
			cr_assert_eq(memcmp(&va, &vb, sizeof(va.i)), 0,
				     "%s: aggregate %u value %#" PRIx64 ", not %#" PRIx64, what, j,
				     (uint64_t)va.i, (uint64_t)vb.i);
		}
	}
}

/* How the no-arena cases ended: both ways, or the data missed a case. */
static int one_no_arena_ok, one_no_arena_einval;

/* One case: both states start alike (initial, or warmed with the same rows
 * through sl_agg_update), then take the same n rows, one through
 * sl_agg_update_one and one through sl_agg_update with the state repeated. */
static void one_case(const struct sl_agg_layout *l, struct one_col *cols, uint32_t n,
		     enum one_nulls nm, bool warm, bool no_arena, uint64_t seed, const char *name)
{
	static void *rep[ONE_MAXN];
	char what[256];
	snprintf(what, sizeof(what), "%s, n %u, nulls %d, %s, %s, seed %" PRIu64, name, n, nm,
		 warm ? "warm state" : "initial state", no_arena ? "no arena" : "arena", seed);
	struct sl_shard *arena = sl_shard_create(l->state_size, 16);
	void *one = calloc(1, l->state_size + 8), *st = calloc(1, l->state_size + 8);
	struct sl_vec args[ONE_MAXAGGS];
	uint64_t s = seed;
	cr_assert(arena && one && st);
	if (warm) {
		uint32_t w = 1 + (uint32_t)(one_rnd(&s) % 40);
		for (uint32_t j = 0; j < l->naggs; j++) {
			one_fill(&cols[j], l->slots[j].arg_type, w, NULLS_SOME, &s);
			args[j] = cols[j].v;
		}
		for (uint32_t i = 0; i < w; i++)
			rep[i] = one;
		int ra = sl_agg_update(l, rep, w, args, arena);
		for (uint32_t i = 0; i < w; i++)
			rep[i] = st;
		int rb = sl_agg_update(l, rep, w, args, arena);
		cr_assert_eq(ra, rb, "%s: warm-up", what);
	}
	for (uint32_t j = 0; j < l->naggs; j++) {
		one_fill(&cols[j], l->slots[j].arg_type, n, nm, &s);
		args[j] = cols[j].v;
	}
	for (uint32_t i = 0; i < n; i++)
		rep[i] = st;
	int ra = sl_agg_update_one(l, one, n, args, no_arena ? NULL : arena);
	int rb = sl_agg_update(l, rep, n, args, no_arena ? NULL : arena);
	cr_assert_eq(ra, rb, "%s: rc %d, not %d", what, ra, rb);
	if (no_arena && ra == 0)
		one_no_arena_ok++;
	else if (no_arena && ra == -EINVAL)
		one_no_arena_einval++;
	one_expect_same(l, one, st, what);
	sl_agg_release_state(l, one, arena);
	sl_agg_release_state(l, st, arena);
	free(one);
	free(st);
	sl_shard_destroy(arena);
}

static const enum sl_agg_fn one_fns[] = {SL_AGG_COUNT_STAR, SL_AGG_COUNT, SL_AGG_SUM, SL_AGG_AVG,
					 SL_AGG_MIN, SL_AGG_MAX, SL_AGG_APPROX_COUNT_DISTINCT};
static const enum sl_type one_types[] = {SL_TYPE_NULL,   SL_TYPE_BOOLEAN,   SL_TYPE_INT,
					 SL_TYPE_BIGINT, SL_TYPE_DOUBLE,    SL_TYPE_STRING,
					 SL_TYPE_BINARY, SL_TYPE_TIMESTAMP, SL_TYPE_INTERVAL,
					 SL_TYPE_WINDOW};
static const uint32_t one_ns[] = {0, 1, 3, ONE_MAXN};
static const char *const one_fn_names[] = {
	[SL_AGG_COUNT_STAR] = "count*", [SL_AGG_COUNT] = "count", [SL_AGG_SUM] = "sum",
	[SL_AGG_MIN] = "min",		[SL_AGG_MAX] = "max",	  [SL_AGG_AVG] = "avg",
	[SL_AGG_APPROX_COUNT_DISTINCT] = "approx_count_distinct"};

/* Every case of one layout: null maps x row counts x start states x arena. */
static void one_cases(const struct sl_agg_layout *l, struct one_col *cols, const char *name,
		      uint64_t *seed)
{
	bool strings = false;
	for (uint32_t j = 0; j < l->naggs; j++)
		strings |= one_is_str_slot(&l->slots[j]);
	for (int nm = 0; nm < NULLS__COUNT; nm++)
		for (size_t k = 0; k < sizeof(one_ns) / sizeof(one_ns[0]); k++)
			for (int warm = 0; warm < 2; warm++)
				for (int no_arena = 0; no_arena <= (int)strings; no_arena++)
					for (int rep = 0; rep < 3; rep++)
						one_case(l, cols, one_ns[k], (enum one_nulls)nm,
							 warm, no_arena, (*seed)++, name);
}

Test(aggregate, update_one_equals_update_with_the_state_repeated)
{
	struct one_col *cols = calloc(ONE_MAXAGGS, sizeof(*cols));
	struct sl_agg_spec all[ONE_MAXAGGS];
	uint32_t nall = 0;
	uint64_t seed = 1;
	int tried = 0;
	cr_assert_not_null(cols);
	/* each function over each type alone */
	for (size_t f = 0; f < sizeof(one_fns) / sizeof(one_fns[0]); f++) {
		for (size_t t = 0; t < sizeof(one_types) / sizeof(one_types[0]); t++) {
			enum sl_agg_fn fn = one_fns[f];
			enum sl_type arg = one_types[t], res;
			if (fn == SL_AGG_COUNT_STAR && arg != SL_TYPE_NULL)
				continue;
			if (!one_result_type(fn, arg, &res))
				continue;
			struct sl_agg_spec sp = spec(0, fn, arg, res);
			struct sl_agg_layout *l = sl_agg_layout_create(&sp, 1);
			char name[64];
			snprintf(name, sizeof(name), "%s(%s)", one_fn_names[fn], sl_type_name(arg));
			one_cases(l, cols, name, &seed);
			sl_agg_layout_destroy(l);
			tried++;
			/* min/max of WINDOW has a layout but no update: both
			 * refuse it (-EINVAL), and it would stop the rest */
			if ((fn == SL_AGG_MIN || fn == SL_AGG_MAX) && arg == SL_TYPE_WINDOW)
				continue;
			cr_assert_lt(nall, ONE_MAXAGGS - 1);
			all[nall] = spec(nall % 8, fn, arg, res);
			/* spec() points at arg_exprs[slot]: give each its own */
			static struct sl_expr exprs[ONE_MAXAGGS];
			if (all[nall].arg != NULL) {
				exprs[nall] = *all[nall].arg;
				all[nall].arg = &exprs[nall];
			}
			nall++;
		}
	}
	/* every pair that has a result type was tried: count(*), then count,
	 * min, max and approx_count_distinct of the 10 types, sum and avg of
	 * INT, BIGINT, DOUBLE and NULL */
	cr_assert_eq(tried, 1 + 4 * 10 + 2 * 4, "%d pairs", tried);
	/* all of them in one state: offsets, seen bits sharing bytes */
	struct sl_agg_layout *l = sl_agg_layout_create(all, nall);
	cr_assert_not_null(l);
	one_cases(l, cols, "every aggregate in one state", &seed);
	sl_agg_layout_destroy(l);
	free(cols);
	/* a string min/max without an arena fits its block or fails alike */
	cr_assert(one_no_arena_ok > 0 && one_no_arena_einval > 0, "%d ok, %d -EINVAL",
		  one_no_arena_ok, one_no_arena_einval);
}
