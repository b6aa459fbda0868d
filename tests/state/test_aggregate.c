/* test_aggregate.c — state layouts and Spark's count, sum, avg, min, max. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
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
	else if (out.type == SL_TYPE_STRING)
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
	/* 8 seen bits word, 8 + 8 + 16 + 16 + 8 + 8 */
	const uint32_t offs[6] = {8, 16, 24, 40, 56, 64};
	for (int j = 0; j < 6; j++)
		cr_assert_eq(l->slots[j].off, offs[j], "agg %d", j);
	cr_assert_eq(l->state_size, 72);
	cr_assert_eq(sl_agg_state_size(l), 72);
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
