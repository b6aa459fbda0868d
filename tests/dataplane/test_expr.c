/*
 * test_expr.c — the evaluator (dataplane/expr.c): the context's arena,
 * every sl_fn with Spark SQL's non-ANSI semantics and its null and edge
 * cases, CASTs between the scalar types, LIKE and RLIKE. Expected values
 * are Spark's (Java's where Spark calls into Java).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "regex.h"

#include "expr_fixture.h"

TestSuite(expr, .init = fixture_setup, .fini = fixture_teardown);


static struct sl_expr *lit_i64(enum sl_type t, int64_t v)
{
	struct sl_expr *e = node(SL_EXPR_LITERAL, t);
	e->lit.type = t;
	e->lit.v.i64 = v;
	return e;
}

static struct sl_expr *lit_f64(double v)
{
	struct sl_expr *e = node(SL_EXPR_LITERAL, SL_TYPE_DOUBLE);
	e->lit.type = SL_TYPE_DOUBLE;
	e->lit.v.f64 = v;
	return e;
}

static struct sl_expr *lit_bool(bool v)
{
	struct sl_expr *e = node(SL_EXPR_LITERAL, SL_TYPE_BOOLEAN);
	e->lit.type = SL_TYPE_BOOLEAN;
	e->lit.v.b = v;
	return e;
}



/* ---- chunk builders: up to 4 columns of up to 16 rows ---- */

#define MAXROWS 16

struct tcol {
	int64_t i64[MAXROWS];
	double f64[MAXROWS];
	uint8_t b[MAXROWS];
	struct sl_str s[MAXROWS];
	uint8_t nulls[MAXROWS];
};

struct tchunk {
	struct tcol c[4];
	struct sl_vec v[4];
	struct sl_chunk chunk;
};

static void tc_init(struct tchunk *t, uint32_t nrows, uint32_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->chunk = (struct sl_chunk){ nrows, ncols, t->v };
}

/* STRING column from C strings; NULL is a null row. */
static void tc_str(struct tchunk *t, uint32_t c, const char *const *rows)
{
	for (uint32_t i = 0; i < t->chunk.nrows; i++) {
		t->c[c].nulls[i] = rows[i] == NULL;
		t->c[c].s[i] = rows[i] ? (struct sl_str){ rows[i], (uint32_t)strlen(rows[i]) }
				       : (struct sl_str){ NULL, 0 };
	}
	t->v[c] = (struct sl_vec){ .type = SL_TYPE_STRING, .v.str = t->c[c].s, .nulls = t->c[c].nulls };
}

/* Integer-stored column; nullmask: 'x' marks a null row (or NULL). */
static void tc_i64(struct tchunk *t, uint32_t c, enum sl_type type, const int64_t *vals,
		   const char *nullmask)
{
	for (uint32_t i = 0; i < t->chunk.nrows; i++) {
		t->c[c].i64[i] = vals[i];
		t->c[c].nulls[i] = nullmask != NULL && nullmask[i] == 'x';
	}
	t->v[c] = (struct sl_vec){ .type = type, .v.i64 = t->c[c].i64,
				   .nulls = nullmask ? t->c[c].nulls : NULL };
}

static void tc_f64(struct tchunk *t, uint32_t c, const double *vals, const char *nullmask)
{
	for (uint32_t i = 0; i < t->chunk.nrows; i++) {
		t->c[c].f64[i] = vals[i];
		t->c[c].nulls[i] = nullmask != NULL && nullmask[i] == 'x';
	}
	t->v[c] = (struct sl_vec){ .type = SL_TYPE_DOUBLE, .v.f64 = t->c[c].f64,
				   .nulls = nullmask ? t->c[c].nulls : NULL };
}

/* BOOLEAN column from "tfn" characters (n = null). */
static void tc_bool(struct tchunk *t, uint32_t c, const char *tfn)
{
	bool any_null = false;
	for (uint32_t i = 0; i < t->chunk.nrows; i++) {
		t->c[c].b[i] = tfn[i] == 't';
		t->c[c].nulls[i] = tfn[i] == 'n';
		any_null |= tfn[i] == 'n';
	}
	t->v[c] = (struct sl_vec){ .type = SL_TYPE_BOOLEAN, .v.b = t->c[c].b,
				   .nulls = any_null ? t->c[c].nulls : NULL };
}

static struct sl_vec eval_ok(struct sl_expr *e, const struct sl_chunk *c)
{
	char err[256] = "";
	struct sl_vec out;
	cr_assert_eq(sl_expr_prepare(e, err, sizeof(err)), 0, "prepare: %s", err);
	int rc = sl_expr_eval(e, c, ctx, &out);
	cr_assert_eq(rc, 0, "eval returned %d", rc);
	return out;
}

/* A one-row chunk with nothing in it, for constant expressions. */
static struct sl_chunk one_row = { 1, 0, NULL };

static bool str_is(const struct sl_vec *v, uint32_t row, const char *want)
{
	if (want == NULL)
		return sl_vec_is_null(v, row);
	if (sl_vec_is_null(v, row))
		return false;
	const struct sl_str s = v->v.str[row];
	return s.len == strlen(want) && (s.len == 0 || memcmp(s.ptr, want, s.len) == 0);
}

#define NUL_ROW "\x01" /* marks "expect null" in string tables */

/* ---- the context ---- */

Test(expr, arena_is_aligned_and_reset_reuses_memory)
{
	void *a = sl_eval_ctx_alloc(ctx, 3);
	void *b = sl_eval_ctx_alloc(ctx, 5);
	cr_assert_eq((uintptr_t)a % 8, 0);
	cr_assert_eq((uintptr_t)b % 8, 0);
	cr_assert_neq(a, b);
	sl_eval_ctx_reset(ctx);
	cr_assert_eq(sl_eval_ctx_alloc(ctx, 3), a, "reset keeps and reuses the block");
}

Test(expr, arena_merges_blocks_after_warm_up)
{
	/* A round that needs 3 MiB takes several blocks; after a reset one
	 * block holds it all: the same allocations land at the same places
	 * in the next rounds (no more growing). */
	char *p[3];
	for (int i = 0; i < 3; i++) {
		p[i] = sl_eval_ctx_alloc(ctx, 1u << 20);
		cr_assert_not_null(p[i]);
		memset(p[i], i, 1u << 20);
	}
	sl_eval_ctx_reset(ctx);
	char *q[3];
	for (int i = 0; i < 3; i++)
		q[i] = sl_eval_ctx_alloc(ctx, 1u << 20);
	cr_assert_eq(q[1], q[0] + (1u << 20), "one block after the merge");
	cr_assert_eq(q[2], q[1] + (1u << 20));
	sl_eval_ctx_reset(ctx);
	cr_assert_eq(sl_eval_ctx_alloc(ctx, 1u << 20), q[0]);
}

Test(expr, arena_grows_the_newest_allocation_in_place)
{
	char *a = sl_eval_ctx_alloc(ctx, 64);
	memset(a, 7, 64);
	char *b = sl_eval_ctx_grow(ctx, a, 64, 4096);
	cr_assert_eq(a, b);
	char *c = sl_eval_ctx_alloc(ctx, 16);
	char *d = sl_eval_ctx_grow(ctx, b, 4096, 8192);
	cr_assert_neq(d, b, "not the newest: copied");
	cr_assert_eq(d[63], 7);
	(void)c;
}

/* ---- references and literals ---- */

Test(expr, column_reference_is_the_input_vector)
{
	struct tchunk t;
	const char *rows[2] = { "a", "b" };
	tc_init(&t, 2, 1);
	tc_str(&t, 0, rows);
	struct sl_expr *e = col(0, SL_TYPE_STRING);
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert_eq(v.v.str, t.c[0].s);
	cr_assert_eq(v.nulls, t.c[0].nulls);
	sl_expr_free(e);

	e = col(3, SL_TYPE_STRING);
	cr_assert_eq(sl_expr_eval(e, &t.chunk, ctx, &v), -EINVAL);
	sl_expr_free(e);
}

Test(expr, literals_fill_every_row)
{
	struct sl_chunk c = { 3, 0, NULL };
	struct sl_expr *e = lit_i64(SL_TYPE_BIGINT, 42);
	struct sl_vec v = eval_ok(e, &c);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(v.v.i64[i], 42);
	cr_assert_null(v.nulls);
	sl_expr_free(e);

	e = lit_str("hi");
	v = eval_ok(e, &c);
	for (uint32_t i = 0; i < 3; i++)
		cr_assert(str_is(&v, i, "hi"));
	sl_expr_free(e);

	e = lit_null(SL_TYPE_INT);
	v = eval_ok(e, &c);
	cr_assert_eq(v.type, SL_TYPE_INT);
	for (uint32_t i = 0; i < 3; i++)
		cr_assert(sl_vec_is_null(&v, i));
	sl_expr_free(e);
}

/* ---- logic ---- */

Test(expr, and_or_not_are_three_valued)
{
	/* rows: every pair of (a, b) in {t, f, null} */
	static const char a[] = "tttfffnnn", b[] = "tfntfntfn";
	static const char and_w[] = "tfnfffnfn", or_w[] = "ttttfntnn", not_a[] = "tttfffnnn";
	struct tchunk t;
	tc_init(&t, 9, 2);
	tc_bool(&t, 0, a);
	tc_bool(&t, 1, b);
	struct { enum sl_fn fn; const char *want; } cases[] = {
		{ SL_FN_AND, and_w }, { SL_FN_OR, or_w },
	};
	for (size_t k = 0; k < 2; k++) {
		struct sl_expr *e = call(cases[k].fn, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_BOOLEAN),
					 col(1, SL_TYPE_BOOLEAN));
		struct sl_vec v = eval_ok(e, &t.chunk);
		for (uint32_t i = 0; i < 9; i++) {
			char got = sl_vec_is_null(&v, i) ? 'n' : v.v.b[i] ? 't' : 'f';
			cr_assert_eq(got, cases[k].want[i], "%s(%c, %c) = %c, want %c",
				     k ? "OR" : "AND", a[i], b[i], got, cases[k].want[i]);
		}
		sl_expr_free(e);
	}
	struct sl_expr *e = call(SL_FN_NOT, SL_TYPE_BOOLEAN, 1, col(0, SL_TYPE_BOOLEAN));
	struct sl_vec v = eval_ok(e, &t.chunk);
	for (uint32_t i = 0; i < 9; i++) {
		char want = not_a[i] == 'n' ? 'n' : not_a[i] == 't' ? 'f' : 't';
		char got = sl_vec_is_null(&v, i) ? 'n' : v.v.b[i] ? 't' : 'f';
		cr_assert_eq(got, want);
	}
	sl_expr_free(e);

	/* a bare NULL literal operand: false AND NULL = false, true OR NULL = true */
	tc_init(&t, 2, 1);
	tc_bool(&t, 0, "tf");
	e = call(SL_FN_AND, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_BOOLEAN), lit_null(SL_TYPE_NULL));
	v = eval_ok(e, &t.chunk);
	cr_assert(sl_vec_is_null(&v, 0));
	cr_assert(!sl_vec_is_null(&v, 1) && !v.v.b[1]);
	sl_expr_free(e);
	e = call(SL_FN_OR, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_BOOLEAN), lit_null(SL_TYPE_NULL));
	v = eval_ok(e, &t.chunk);
	cr_assert(!sl_vec_is_null(&v, 0) && v.v.b[0]);
	cr_assert(sl_vec_is_null(&v, 1));
	sl_expr_free(e);
}

/* ---- comparison ---- */

static const enum sl_fn cmp_fns[6] = { SL_FN_EQ, SL_FN_NE, SL_FN_LT, SL_FN_LE, SL_FN_GT, SL_FN_GE };

/* want: for each row, six chars for EQ NE LT LE GT GE ('t', 'f', 'n'). */
static void check_compare(struct tchunk *t, enum sl_type type, const char *const *want)
{
	for (int f = 0; f < 6; f++) {
		struct sl_expr *e = call(cmp_fns[f], SL_TYPE_BOOLEAN, 2, col(0, type), col(1, type));
		struct sl_vec v = eval_ok(e, &t->chunk);
		for (uint32_t i = 0; i < t->chunk.nrows; i++) {
			char got = sl_vec_is_null(&v, i) ? 'n' : v.v.b[i] ? 't' : 'f';
			cr_assert_eq(got, want[i][f], "%s row %u op %d: got %c want %c",
				     sl_type_name(type), i, f, got, want[i][f]);
		}
		sl_expr_free(e);
	}
}

Test(expr, comparisons_of_integers_and_booleans)
{
	struct tchunk t;
	static const int64_t a[] = { 1, 2, 3, -5, 7 }, b[] = { 2, 2, 1, -5, 0 };
	static const char *const want[] = { "ftttff", "tfftft", "ftfftt", "tfftft", "nnnnnn" };
	tc_init(&t, 5, 2);
	tc_i64(&t, 0, SL_TYPE_BIGINT, a, "....x");
	tc_i64(&t, 1, SL_TYPE_BIGINT, b, NULL);
	check_compare(&t, SL_TYPE_BIGINT, want);

	static const char *const bwant[] = { "tfftft", "ftfftt", "ftttff", "nnnnnn" };
	tc_init(&t, 4, 2);
	tc_bool(&t, 0, "ttfn");
	tc_bool(&t, 1, "tftt");
	check_compare(&t, SL_TYPE_BOOLEAN, bwant);
}

Test(expr, comparisons_of_doubles_follow_spark_nan_rules)
{
	/* NaN = NaN, NaN > everything, -0.0 = 0.0 */
	struct tchunk t;
	static const double a[] = { NAN, NAN, 1.0, -0.0, 1.5, -INFINITY };
	static const double b[] = { NAN, INFINITY, NAN, 0.0, 2.5, -INFINITY };
	static const char *const want[] = { "tfftft", "ftfftt", "ftttff", "tfftft", "ftttff", "tfftft" };
	tc_init(&t, 6, 2);
	tc_f64(&t, 0, a, NULL);
	tc_f64(&t, 1, b, NULL);
	check_compare(&t, SL_TYPE_DOUBLE, want);
}

Test(expr, comparisons_of_strings_are_by_unsigned_bytes)
{
	struct tchunk t;
	static const char *const a[] = { "abc", "ab", "b", "é", "", NULL, "x" };
	static const char *const b[] = { "abc", "abc", "abc", "z", "", "a", NULL };
	static const char *const want[] = { "tfftft", "ftttff", "ftfftt", "ftfftt", "tfftft",
					    "nnnnnn", "nnnnnn" };
	tc_init(&t, 7, 2);
	tc_str(&t, 0, a);
	tc_str(&t, 1, b);
	check_compare(&t, SL_TYPE_STRING, want);
}

Test(expr, is_null_and_is_not_null_are_never_null)
{
	struct tchunk t;
	static const int64_t a[] = { 1, 0, 3 };
	tc_init(&t, 3, 1);
	tc_i64(&t, 0, SL_TYPE_INT, a, ".x.");
	struct sl_expr *e = call(SL_FN_IS_NULL, SL_TYPE_BOOLEAN, 1, col(0, SL_TYPE_INT));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert_null(v.nulls);
	cr_assert(!v.v.b[0] && v.v.b[1] && !v.v.b[2]);
	sl_expr_free(e);
	e = call(SL_FN_IS_NOT_NULL, SL_TYPE_BOOLEAN, 1, col(0, SL_TYPE_INT));
	v = eval_ok(e, &t.chunk);
	cr_assert(v.v.b[0] && !v.v.b[1] && v.v.b[2]);
	sl_expr_free(e);
	e = call(SL_FN_IS_NULL, SL_TYPE_BOOLEAN, 1, lit_null(SL_TYPE_NULL));
	v = eval_ok(e, &t.chunk);
	cr_assert(v.v.b[0] && v.v.b[1] && v.v.b[2]);
	sl_expr_free(e);
}

/* ---- arithmetic ---- */

struct arith_case {
	enum sl_fn fn;
	enum sl_type type;
	int64_t a, b;
	bool want_null;
	int64_t want;
};

static const struct arith_case int_cases[] = {
	{ SL_FN_ADD, SL_TYPE_INT, 2147483647, 1, false, -2147483648LL }, /* wraps at 32 bits */
	{ SL_FN_SUB, SL_TYPE_INT, -2147483648LL, 1, false, 2147483647 },
	{ SL_FN_MUL, SL_TYPE_INT, 65536, 65536, false, 0 },
	{ SL_FN_MUL, SL_TYPE_INT, -7, 6, false, -42 },
	{ SL_FN_ADD, SL_TYPE_BIGINT, INT64_MAX, 1, false, INT64_MIN },
	{ SL_FN_MUL, SL_TYPE_BIGINT, 3037000500LL, 3037000500LL, false, -9223372036709301616LL },
	{ SL_FN_ADD, SL_TYPE_BIGINT, 2147483647, 1, false, 2147483648LL },
	{ SL_FN_MOD, SL_TYPE_INT, 7, 3, false, 1 },
	{ SL_FN_MOD, SL_TYPE_INT, -7, 3, false, -1 }, /* sign of the dividend */
	{ SL_FN_MOD, SL_TYPE_INT, 7, -3, false, 1 },
	{ SL_FN_MOD, SL_TYPE_INT, 7, 0, true, 0 },    /* by zero: NULL */
	{ SL_FN_MOD, SL_TYPE_INT, -2147483648LL, -1, false, 0 },
	{ SL_FN_MOD, SL_TYPE_BIGINT, INT64_MIN, -1, false, 0 },
	{ SL_FN_MOD, SL_TYPE_BIGINT, 10, 0, true, 0 },
};

Test(expr, integer_arithmetic_wraps_and_mod_by_zero_is_null)
{
	for (size_t k = 0; k < sizeof(int_cases) / sizeof(int_cases[0]); k++) {
		const struct arith_case *c = &int_cases[k];
		struct sl_expr *e = call(c->fn, c->type, 2, lit_i64(c->type, c->a), lit_i64(c->type, c->b));
		struct sl_vec v = eval_ok(e, &one_row);
		cr_assert_eq(sl_vec_is_null(&v, 0), c->want_null, "case %zu", k);
		if (!c->want_null)
			cr_assert_eq(v.v.i64[0], c->want, "case %zu: %ld, want %ld", k,
				     (long)v.v.i64[0], (long)c->want);
		sl_expr_free(e);
	}
}

Test(expr, division_is_double_and_null_on_zero)
{
	struct tchunk t;
	static const double a[] = { 1, 7, 1, 0, -1, 5.5 };
	static const double b[] = { 2, 0, 3, 0, 0.0, 2 };
	tc_init(&t, 6, 2);
	tc_f64(&t, 0, a, NULL);
	tc_f64(&t, 1, b, ".....x");
	struct sl_expr *e = call(SL_FN_DIV, SL_TYPE_DOUBLE, 2, col(0, SL_TYPE_DOUBLE), col(1, SL_TYPE_DOUBLE));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert(!sl_vec_is_null(&v, 0) && v.v.f64[0] == 0.5);
	cr_assert(sl_vec_is_null(&v, 1));
	cr_assert(!sl_vec_is_null(&v, 2) && fabs(v.v.f64[2] - 1.0 / 3.0) < 1e-15);
	cr_assert(sl_vec_is_null(&v, 3));
	cr_assert(sl_vec_is_null(&v, 4));
	cr_assert(sl_vec_is_null(&v, 5));
	/* the inputs' nulls are not written */
	cr_assert_eq(t.c[1].nulls[1], 0);
	sl_expr_free(e);

	/* integer arguments divide as doubles */
	e = call(SL_FN_DIV, SL_TYPE_DOUBLE, 2, lit_i64(SL_TYPE_INT, 7), lit_i64(SL_TYPE_INT, 2));
	v = eval_ok(e, &one_row);
	cr_assert_eq(v.v.f64[0], 3.5);
	sl_expr_free(e);

	/* double remainder: fmod, by zero NULL */
	e = call(SL_FN_MOD, SL_TYPE_DOUBLE, 2, lit_f64(-7.5), lit_f64(2));
	v = eval_ok(e, &one_row);
	cr_assert_eq(v.v.f64[0], -1.5);
	sl_expr_free(e);
	e = call(SL_FN_MOD, SL_TYPE_DOUBLE, 2, lit_f64(1), lit_f64(0));
	v = eval_ok(e, &one_row);
	cr_assert(sl_vec_is_null(&v, 0));
	sl_expr_free(e);
}

Test(expr, double_arithmetic_negation_and_null_propagation)
{
	struct tchunk t;
	static const double a[] = { 1.5, 2, 3 };
	static const double b[] = { 2.25, 4, 0 };
	tc_init(&t, 3, 2);
	tc_f64(&t, 0, a, NULL);
	tc_f64(&t, 1, b, "..x");
	struct { enum sl_fn fn; double want0, want1; } cases[] = {
		{ SL_FN_ADD, 3.75, 6 }, { SL_FN_SUB, -0.75, -2 }, { SL_FN_MUL, 3.375, 8 },
	};
	for (size_t k = 0; k < 3; k++) {
		struct sl_expr *e = call(cases[k].fn, SL_TYPE_DOUBLE, 2, col(0, SL_TYPE_DOUBLE),
					 col(1, SL_TYPE_DOUBLE));
		struct sl_vec v = eval_ok(e, &t.chunk);
		cr_assert_eq(v.v.f64[0], cases[k].want0);
		cr_assert_eq(v.v.f64[1], cases[k].want1);
		cr_assert(sl_vec_is_null(&v, 2));
		sl_expr_free(e);
	}
	struct sl_expr *e = call(SL_FN_NEG, SL_TYPE_DOUBLE, 1, col(1, SL_TYPE_DOUBLE));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert_eq(v.v.f64[0], -2.25);
	cr_assert(sl_vec_is_null(&v, 2));
	sl_expr_free(e);

	e = call(SL_FN_NEG, SL_TYPE_INT, 1, lit_i64(SL_TYPE_INT, -2147483648LL));
	v = eval_ok(e, &one_row);
	cr_assert_eq(v.v.i64[0], -2147483648LL, "negating INT_MIN wraps to itself");
	sl_expr_free(e);

	e = call(SL_FN_ADD, SL_TYPE_INT, 2, lit_i64(SL_TYPE_INT, 1), lit_null(SL_TYPE_NULL));
	v = eval_ok(e, &one_row);
	cr_assert(sl_vec_is_null(&v, 0));
	sl_expr_free(e);
}

/* ---- LIKE ---- */

struct like_case {
	const char *pattern, *input;
	bool want;
};

static const struct like_case like_cases[] = {
	{ "abc", "abc", true }, { "abc", "abcd", false }, { "abc", "ab", false },
	{ "a%", "abc", true }, { "a%", "a", true }, { "a%", "ba", false },
	{ "%c", "abc", true }, { "%c", "cb", false },
	{ "%b%", "abc", true }, { "%x%", "abc", false },
	{ "a_c", "abc", true }, { "a_c", "ac", false }, { "a_c", "abbc", false },
	{ "a_c", "aéc", true }, /* `_` is one character, not one byte */
	{ "_", "é", true }, { "__", "é", false },
	{ "%", "", true }, { "", "", true }, { "", "a", false }, { "_", "", false },
	{ "a%b%c", "aXbYc", true }, { "a%b%c", "abc", true }, { "a%b%c", "acb", false },
	{ "a%a", "a", false }, { "a%a", "aa", true }, { "%a%a%", "banana", true },
	{ "%ana", "banana", true }, { "b%na", "banana", true }, { "%nab", "banana", false },
	{ "%%", "x", true }, { "_%_", "ab", true }, { "_%_", "a", false },
	{ "100\\%", "100%", true }, { "100\\%", "1000", false },
	{ "a\\_b", "a_b", true }, { "a\\_b", "axb", false }, { "a\\\\b", "a\\b", true },
	{ "%\\%%", "50% off", true }, { "%\\%%", "50 off", false },
	{ "%b_", "abc", true }, { "%b_", "abcbd", true }, { "%b_", "abcd", false },
	{ "A%", "abc", false }, /* case sensitive */
	{ "a\nb", "a\nb", true }, { "a_b", "a\nb", true }, /* `_` matches a newline (DOTALL) */
};

Test(expr, like_matches_as_spark)
{
	for (size_t k = 0; k < sizeof(like_cases) / sizeof(like_cases[0]); k++) {
		const struct like_case *c = &like_cases[k];
		struct tchunk t;
		const char *rows[1] = { c->input };
		tc_init(&t, 1, 1);
		tc_str(&t, 0, rows);
		struct sl_expr *e = call(SL_FN_LIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING),
					 lit_str(c->pattern));
		struct sl_vec v = eval_ok(e, &t.chunk);
		cr_assert_eq(v.v.b[0] != 0, c->want, "'%s' LIKE '%s' = %d", c->input, c->pattern,
			     v.v.b[0]);
		sl_expr_free(e);
	}
}

Test(expr, like_on_empty_strings_without_bytes)
{
	/* an empty string may come with a NULL pointer */
	struct sl_str s[1] = { { NULL, 0 } };
	struct sl_vec v = { .type = SL_TYPE_STRING, .v.str = s };
	struct sl_chunk c = { 1, 1, &v };
	static const struct like_case cases[] = {
		{ "%a%", "", false }, { "%", "", true }, { "a", "", false }, { "%%", "", true },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct sl_expr *e = call(SL_FN_LIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING),
					 lit_str(cases[k].pattern));
		struct sl_vec out = eval_ok(e, &c);
		cr_assert_eq(out.v.b[0] != 0, cases[k].want, "'' LIKE '%s'", cases[k].pattern);
		sl_expr_free(e);
	}
}

Test(expr, like_nulls_and_bad_patterns)
{
	struct tchunk t;
	const char *rows[2] = { "abc", NULL };
	tc_init(&t, 2, 1);
	tc_str(&t, 0, rows);
	struct sl_expr *e = call(SL_FN_LIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING), lit_str("a%"));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert(!sl_vec_is_null(&v, 0) && v.v.b[0]);
	cr_assert(sl_vec_is_null(&v, 1));
	sl_expr_free(e);

	e = call(SL_FN_LIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING), lit_null(SL_TYPE_STRING));
	v = eval_ok(e, &t.chunk);
	cr_assert(sl_vec_is_null(&v, 0) && sl_vec_is_null(&v, 1));
	sl_expr_free(e);

	static const struct { const char *pat, *msg; } bad[] = {
		{ "a\\", "line 2, column 9: the pattern 'a\\' is invalid, it is not allowed to end with the escape character" },
		{ "a\\b", "line 2, column 9: the pattern 'a\\b' is invalid, the escape character is not allowed to precede 'b'" },
	};
	for (size_t k = 0; k < 2; k++) {
		char err[256] = "";
		e = call(SL_FN_LIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING), lit_str(bad[k].pat));
		e->args[1]->line = 2;
		e->args[1]->column = 9;
		cr_assert_eq(sl_expr_prepare(e, err, sizeof(err)), -EINVAL);
		cr_assert_str_eq(err, bad[k].msg);
		sl_expr_free(e);
	}

	/* a pattern that is not a constant */
	char err[256] = "";
	e = call(SL_FN_LIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING), col(0, SL_TYPE_STRING));
	e->line = 3;
	e->column = 4;
	cr_assert_eq(sl_expr_prepare(e, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "line 3, column 4: the pattern of LIKE must be a constant string");
	sl_expr_free(e);
}

/* ---- RLIKE ---- */

struct rlike_case {
	const char *pattern, *input;
	bool want;
};

static const struct rlike_case rlike_cases[] = {
	{ "b", "abc", true },    /* find(): anywhere */
	{ "^b", "abc", false }, { "^a", "abc", true }, { "c$", "abc", true },
	{ "^abc$", "abc", true }, { "x", "abc", false },
	{ "a.c", "aéc", true },  /* `.` is a character, not a byte */
	{ "^.$", "é", true },
	{ "[éè]", "père", true },
	{ "\\d+", "ab12", true }, { "\\d+", "abc", false },
	{ "x*", "", true },      /* can match the empty string: always found */
	{ "", "abc", true },
	{ "(?i)HELLO", "say hello", true },
	{ "a|b", "xxb", true },
	{ "b", "a\xff" "b", true }, /* invalid UTF-8 row: byte-mode database */
};

Test(expr, rlike_is_java_find)
{
	for (size_t k = 0; k < sizeof(rlike_cases) / sizeof(rlike_cases[0]); k++) {
		const struct rlike_case *c = &rlike_cases[k];
		struct tchunk t;
		const char *rows[1] = { c->input };
		tc_init(&t, 1, 1);
		tc_str(&t, 0, rows);
		struct sl_expr *e = call(SL_FN_RLIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING),
					 lit_str(c->pattern));
		struct sl_vec v = eval_ok(e, &t.chunk);
		cr_assert_eq(v.v.b[0] != 0, c->want, "'%s' RLIKE '%s'", c->input, c->pattern);
		sl_expr_free(e);
		sl_eval_ctx_reset(ctx);
	}
}

Test(expr, rlike_nulls_and_bad_patterns)
{
	struct tchunk t;
	const char *rows[2] = { NULL, "abc" };
	tc_init(&t, 2, 1);
	tc_str(&t, 0, rows);
	struct sl_expr *e = call(SL_FN_RLIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING), lit_str("c"));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert(sl_vec_is_null(&v, 0));
	cr_assert(!sl_vec_is_null(&v, 1) && v.v.b[1]);
	sl_expr_free(e);

	char err[512] = "";
	e = call(SL_FN_RLIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING), lit_str("(a)\\1"));
	e->args[1]->line = 4;
	e->args[1]->column = 17;
	cr_assert_eq(sl_expr_prepare(e, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "line 4, column 17: cannot compile regular expression '(a)\\1': "
			      "Back-references are unsupported; sluice supports the regular "
			      "expressions Hyperscan does (no back-references or look-around)");
	sl_expr_free(e);

	e = call(SL_FN_RLIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING), lit_str("(?<=a)b"));
	cr_assert_eq(sl_expr_prepare(e, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "cannot compile regular expression '(?<=a)b': ") != NULL, "%s", err);
	sl_expr_free(e);

	/* not prepared: refused, not a crash */
	e = call(SL_FN_RLIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING), lit_str("a"));
	cr_assert_eq(sl_expr_eval(e, &t.chunk, ctx, &v), -EINVAL);
	sl_expr_free(e);
}

/* ---- string functions ---- */

struct str_case {
	enum sl_fn fn;
	const char *in, *want; /* NULL in: a null row; want NULL: expect null */
};

static const struct str_case unary_cases[] = {
	{ SL_FN_LOWER, "Hello World", "hello world" },
	{ SL_FN_LOWER, "ÀÉÎÕÜ Ÿ", "àéîõü ÿ" },
	{ SL_FN_LOWER, "ΑΒΓ ДЖЯ ԱԲ", "αβγ джя աբ" },
	{ SL_FN_LOWER, "İ", "i\xCC\x87" },
	{ SL_FN_LOWER, "ǅ", "ǆ" },
	{ SL_FN_LOWER, "€X", "€x" }, /* three-byte characters pass unchanged */
	{ SL_FN_LOWER, "", "" },
	{ SL_FN_LOWER, NULL, NULL },
	{ SL_FN_UPPER, "Hello World", "HELLO WORLD" },
	{ SL_FN_UPPER, "àéîõü ÿ", "ÀÉÎÕÜ Ÿ" },
	{ SL_FN_UPPER, "straße", "STRASSE" },
	{ SL_FN_UPPER, "\xC2\xB5", "\xCE\x9C" },  /* micro sign -> Greek capital mu */
	{ SL_FN_UPPER, "ı", "I" },
	{ SL_FN_UPPER, "\xC5\x89", "\xCA\xBC" "N" },
	{ SL_FN_UPPER, "\xCE\x90", "\xCE\x99\xCC\x88\xCC\x81" },
	{ SL_FN_UPPER, "αβγ джя աբ", "ΑΒΓ ДЖЯ ԱԲ" },
	{ SL_FN_UPPER, "\xC9\x90", "\xE2\xB1\xAF" }, /* a two-byte letter whose capital takes three */
	{ SL_FN_UPPER, "a\xff" "b", "A\xff" "B" },
	{ SL_FN_TRIM, "  a b  ", "a b" },
	{ SL_FN_TRIM, "\ta\t", "\ta\t" }, /* only spaces */
	{ SL_FN_TRIM, "    ", "" },
	{ SL_FN_TRIM, "", "" },
	{ SL_FN_TRIM, NULL, NULL },
};

Test(expr, lower_upper_trim)
{
	for (size_t k = 0; k < sizeof(unary_cases) / sizeof(unary_cases[0]); k++) {
		const struct str_case *c = &unary_cases[k];
		struct tchunk t;
		const char *rows[1] = { c->in };
		tc_init(&t, 1, 1);
		tc_str(&t, 0, rows);
		struct sl_expr *e = call(c->fn, SL_TYPE_STRING, 1, col(0, SL_TYPE_STRING));
		struct sl_vec v = eval_ok(e, &t.chunk);
		cr_assert(str_is(&v, 0, c->want), "case %zu: '%s' -> '%.*s', want '%s'", k,
			  c->in ? c->in : "NULL", (int)v.v.str[0].len, v.v.str[0].ptr,
			  c->want ? c->want : "NULL");
		sl_expr_free(e);
	}
}

Test(expr, unchanged_strings_are_not_copied)
{
	struct tchunk t;
	const char *rows[2] = { "already lower", "  pad  " };
	tc_init(&t, 2, 1);
	tc_str(&t, 0, rows);
	struct sl_expr *e = call(SL_FN_LOWER, SL_TYPE_STRING, 1, col(0, SL_TYPE_STRING));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert_eq(v.v.str[0].ptr, rows[0]);
	sl_expr_free(e);
	e = call(SL_FN_TRIM, SL_TYPE_STRING, 1, col(0, SL_TYPE_STRING));
	v = eval_ok(e, &t.chunk);
	cr_assert_eq(v.v.str[1].ptr, rows[1] + 2);
	sl_expr_free(e);
}

/* Spark's UTF8String.numChars, byte by byte: a character is as long as its
 * first byte says (sl_utf8_len), whatever follows. */
static int64_t ref_num_chars(const uint8_t *u, uint32_t len)
{
	int64_t c = 0;
	for (uint32_t i = 0; i < len; i += sl_utf8_len(u[i]))
		c++;
	return c;
}

/* length() against the byte-by-byte count on random strings of 0 to 99
 * bytes: all ASCII (the fast path: whole words, the last one overlapping),
 * and with one or a few bytes over 0x7F at any place (lead bytes of 2 to 4,
 * stray continuation bytes, 0xF5 and over), so every word and the
 * overlapping tail are checked for them. */
Test(expr, length_same_as_byte_by_byte_count)
{
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	uint8_t buf[MAXROWS][128];
	for (int round = 0; round < 4000; round++) {
		struct tchunk t;
		tc_init(&t, MAXROWS, 1);
		for (uint32_t r = 0; r < MAXROWS; r++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			uint32_t len = (uint32_t)(seed >> 33) % 100;
			for (uint32_t i = 0; i < len; i++) {
				seed = seed * 6364136223846793005ull + 1442695040888963407ull;
				buf[r][i] = (uint8_t)(' ' + (seed >> 40) % 95);
			}
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			uint32_t high = round % 3 == 0 ? 0 : 1 + (uint32_t)(seed >> 60) % 3;
			for (uint32_t h = 0; h < high && len > 0; h++) {
				seed = seed * 6364136223846793005ull + 1442695040888963407ull;
				buf[r][(seed >> 33) % len] = (uint8_t)(0x80 + (seed >> 20) % 128);
			}
			t.c[0].s[r] = (struct sl_str){ (const char *)buf[r], len };
			t.c[0].nulls[r] = 0;
		}
		t.v[0] = (struct sl_vec){ .type = SL_TYPE_STRING, .v.str = t.c[0].s, .nulls = t.c[0].nulls };
		struct sl_expr *e = call(SL_FN_LENGTH, SL_TYPE_INT, 1, col(0, SL_TYPE_STRING));
		struct sl_vec v = eval_ok(e, &t.chunk);
		for (uint32_t r = 0; r < MAXROWS; r++)
			cr_assert_eq(v.v.i64[r],
				     ref_num_chars((const uint8_t *)t.c[0].s[r].ptr, t.c[0].s[r].len),
				     "round %d row %u (%u bytes)", round, r, t.c[0].s[r].len);
		sl_expr_free(e);
	}
}

Test(expr, length_counts_characters)
{
	static const struct { const char *in; int64_t want; } cases[] = {
		{ "hello", 5 }, { "", 0 }, { "héllo", 5 }, { "日本", 2 }, { "😀x", 2 },
		{ "a much longer ascii string", 26 }, { "\x80\x80", 2 },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct tchunk t;
		const char *rows[1] = { cases[k].in };
		tc_init(&t, 1, 1);
		tc_str(&t, 0, rows);
		struct sl_expr *e = call(SL_FN_LENGTH, SL_TYPE_INT, 1, col(0, SL_TYPE_STRING));
		struct sl_vec v = eval_ok(e, &t.chunk);
		cr_assert_eq(v.v.i64[0], cases[k].want, "length('%s')", cases[k].in);
		sl_expr_free(e);
	}
	struct tchunk t;
	const char *rows[1] = { NULL };
	tc_init(&t, 1, 1);
	tc_str(&t, 0, rows);
	struct sl_expr *e = call(SL_FN_LENGTH, SL_TYPE_INT, 1, col(0, SL_TYPE_STRING));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert(sl_vec_is_null(&v, 0));
	sl_expr_free(e);
}

Test(expr, length_trusts_the_ascii_mark_only_of_its_own_vector)
{
	/* sl_vec.ascii: a vector whose maker says every string is ASCII
	 * (ascii == v.str) has length() its byte length, without looking; a
	 * mark of another array (a slice's, stale memory) says nothing and
	 * the characters are counted. The mark is a promise: here a maker
	 * that breaks it gets bytes, which shows the mark is what is read. */
	struct tchunk t;
	const char *rows[3] = { "héllo", "ascii", NULL };
	tc_init(&t, 3, 1);
	tc_str(&t, 0, rows);
	struct sl_expr *e = call(SL_FN_LENGTH, SL_TYPE_INT, 1, col(0, SL_TYPE_STRING));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert_eq(v.v.i64[0], 5);
	t.v[0].ascii = t.v[0].v.str + 1; /* not this vector's array */
	v = eval_ok(e, &t.chunk);
	cr_assert_eq(v.v.i64[0], 5);
	cr_assert_eq(v.v.i64[1], 5);
	t.v[0].ascii = t.v[0].v.str;
	v = eval_ok(e, &t.chunk);
	cr_assert_eq(v.v.i64[0], 6, "the mark is not read");
	cr_assert_eq(v.v.i64[1], 5);
	cr_assert(sl_vec_is_null(&v, 2));
	sl_expr_free(e);
}

struct substr_case {
	const char *in;
	int64_t pos;
	bool has_len;
	int64_t len;
	const char *want;
};

static const struct substr_case substr_cases[] = {
	/* Spark's documented examples */
	{ "Spark SQL", 5, false, 0, "k SQL" },
	{ "Spark SQL", -3, false, 0, "SQL" },
	{ "Spark SQL", 5, true, 1, "k" },
	/* pos 0 is 1; negative from the end; out of range */
	{ "abc", 0, true, 2, "ab" },
	{ "abc", 1, true, 2, "ab" },
	{ "abc", -1, true, 5, "c" },
	{ "abc", -5, true, 3, "a" },
	{ "abc", -5, true, 2, "" },
	{ "abc", 4, false, 0, "" },
	{ "abc", 2, true, 0, "" },
	{ "abc", 2, true, -1, "" },
	{ "abc", 2, true, 2147483647, "bc" },
	{ "héllo", 2, true, 3, "éll" },
	{ "日本語", -2, false, 0, "本語" },
	{ "", 1, false, 0, "" },
};

Test(expr, substr_as_spark)
{
	for (size_t k = 0; k < sizeof(substr_cases) / sizeof(substr_cases[0]); k++) {
		const struct substr_case *c = &substr_cases[k];
		struct tchunk t;
		const char *rows[1] = { c->in };
		tc_init(&t, 1, 1);
		tc_str(&t, 0, rows);
		struct sl_expr *e = c->has_len
			? call(SL_FN_SUBSTR, SL_TYPE_STRING, 3, col(0, SL_TYPE_STRING),
			       lit_i64(SL_TYPE_INT, c->pos), lit_i64(SL_TYPE_INT, c->len))
			: call(SL_FN_SUBSTR, SL_TYPE_STRING, 2, col(0, SL_TYPE_STRING),
			       lit_i64(SL_TYPE_INT, c->pos));
		struct sl_vec v = eval_ok(e, &t.chunk);
		cr_assert(str_is(&v, 0, c->want), "substr('%s', %ld, %ld) = '%.*s', want '%s'", c->in,
			  (long)c->pos, (long)c->len, (int)v.v.str[0].len, v.v.str[0].ptr, c->want);
		sl_expr_free(e);
	}
	/* null position -> null */
	struct tchunk t;
	const char *rows[1] = { "abc" };
	tc_init(&t, 1, 1);
	tc_str(&t, 0, rows);
	struct sl_expr *e = call(SL_FN_SUBSTR, SL_TYPE_STRING, 3, col(0, SL_TYPE_STRING),
				 lit_i64(SL_TYPE_INT, 1), lit_null(SL_TYPE_INT));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert(sl_vec_is_null(&v, 0));
	sl_expr_free(e);
}

Test(expr, concat_and_its_nulls)
{
	struct tchunk t;
	const char *a[3] = { "ab", "", NULL }, *b[3] = { "cd", "x", "y" };
	tc_init(&t, 3, 2);
	tc_str(&t, 0, a);
	tc_str(&t, 1, b);
	struct sl_expr *e = call(SL_FN_CONCAT, SL_TYPE_STRING, 3, col(0, SL_TYPE_STRING),
				 lit_str("-"), col(1, SL_TYPE_STRING));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert(str_is(&v, 0, "ab-cd"));
	cr_assert(str_is(&v, 1, "-x"));
	cr_assert(str_is(&v, 2, NULL));
	sl_expr_free(e);
}

Test(expr, size_of_arrays_and_of_null)
{
	struct sl_str words[3] = { { "a", 1 }, { "b", 1 }, { "c", 1 } };
	struct sl_vec elem = { .type = SL_TYPE_STRING, .v.str = words };
	struct sl_span spans[3] = { { 0, 2 }, { 2, 0 }, { 2, 1 } };
	uint8_t nulls[3] = { 0, 0, 1 };
	struct sl_vec arr = { .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_STRING, .v.arr = spans,
			      .nulls = nulls, .elem = &elem };
	struct sl_chunk c = { 3, 1, &arr };
	struct sl_expr *e = call(SL_FN_SIZE, SL_TYPE_INT, 1, col(0, SL_TYPE_ARRAY));
	struct sl_vec v = eval_ok(e, &c);
	cr_assert_eq(v.v.i64[0], 2);
	cr_assert_eq(v.v.i64[1], 0);
	cr_assert_eq(v.v.i64[2], -1, "size(NULL) = -1");
	cr_assert(!sl_vec_is_null(&v, 2));
	sl_expr_free(e);
}

/* ---- CAST ---- */

struct cast_str_case {
	enum sl_type to;
	const char *in;
	bool want_null;
	int64_t want_i;   /* INT, BIGINT, TIMESTAMP, BOOLEAN */
	double want_d;    /* DOUBLE */
};

static const struct cast_str_case cast_from_string_cases[] = {
	{ SL_TYPE_INT, "42", false, 42, 0 },
	{ SL_TYPE_INT, "  -17 ", false, -17, 0 },
	{ SL_TYPE_INT, "\t+5\n", false, 5, 0 },
	{ SL_TYPE_INT, "1.9", false, 1, 0 },   /* a fraction is dropped */
	{ SL_TYPE_INT, "-1.9", false, -1, 0 },
	{ SL_TYPE_INT, "1.x", true, 0, 0 },
	{ SL_TYPE_INT, "2147483647", false, 2147483647, 0 },
	{ SL_TYPE_INT, "-2147483648", false, -2147483648LL, 0 },
	{ SL_TYPE_INT, "2147483648", true, 0, 0 },
	{ SL_TYPE_INT, "abc", true, 0, 0 },
	{ SL_TYPE_INT, "", true, 0, 0 },
	{ SL_TYPE_INT, "-", true, 0, 0 },
	{ SL_TYPE_INT, "1 2", true, 0, 0 },
	{ SL_TYPE_INT, "1e3", true, 0, 0 },
	{ SL_TYPE_BIGINT, "9223372036854775807", false, INT64_MAX, 0 },
	{ SL_TYPE_BIGINT, "-9223372036854775808", false, INT64_MIN, 0 },
	{ SL_TYPE_BIGINT, "9223372036854775808", true, 0, 0 },
	{ SL_TYPE_BIGINT, " 3000000000 ", false, 3000000000LL, 0 },
	{ SL_TYPE_DOUBLE, "1.5", false, 0, 1.5 },
	{ SL_TYPE_DOUBLE, " 1e3 ", false, 0, 1000 },
	{ SL_TYPE_DOUBLE, "-.25", false, 0, -0.25 },
	{ SL_TYPE_DOUBLE, "1.", false, 0, 1 },
	{ SL_TYPE_DOUBLE, "2d", false, 0, 2 },
	{ SL_TYPE_DOUBLE, "0x1p3", false, 0, 8 },
	{ SL_TYPE_DOUBLE, "Infinity", false, 0, INFINITY },
	{ SL_TYPE_DOUBLE, "-Infinity", false, 0, -INFINITY },
	{ SL_TYPE_DOUBLE, "inf", false, 0, INFINITY },
	{ SL_TYPE_DOUBLE, "-INF", false, 0, -INFINITY },
	{ SL_TYPE_DOUBLE, "+infinity", false, 0, INFINITY },
	{ SL_TYPE_DOUBLE, "1e400", false, 0, INFINITY },
	{ SL_TYPE_DOUBLE, "abc", true, 0, 0 },
	{ SL_TYPE_DOUBLE, "1e", true, 0, 0 },
	{ SL_TYPE_DOUBLE, ".", true, 0, 0 },
	{ SL_TYPE_DOUBLE, "1,5", true, 0, 0 },
	{ SL_TYPE_BOOLEAN, "true", false, 1, 0 },
	{ SL_TYPE_BOOLEAN, "TRUE", false, 1, 0 },
	{ SL_TYPE_BOOLEAN, " t ", false, 1, 0 },
	{ SL_TYPE_BOOLEAN, "Yes", false, 1, 0 },
	{ SL_TYPE_BOOLEAN, "y", false, 1, 0 },
	{ SL_TYPE_BOOLEAN, "1", false, 1, 0 },
	{ SL_TYPE_BOOLEAN, "false", false, 0, 0 },
	{ SL_TYPE_BOOLEAN, "F", false, 0, 0 },
	{ SL_TYPE_BOOLEAN, "no", false, 0, 0 },
	{ SL_TYPE_BOOLEAN, "N", false, 0, 0 },
	{ SL_TYPE_BOOLEAN, "0", false, 0, 0 },
	{ SL_TYPE_BOOLEAN, "maybe", true, 0, 0 },
	{ SL_TYPE_BOOLEAN, "2", true, 0, 0 },
	{ SL_TYPE_BOOLEAN, "", true, 0, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-01-01 10:00:00", false, 1704103200000000LL, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-01-01T10:00:00.5", false, 1704103200500000LL, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-01-01 10:00:00.1234567", false, 1704103200123456LL, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-01-01", false, 1704067200000000LL, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-1-2 3:4:5", false, 1704164645000000LL, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-01", false, 1704067200000000LL, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-01-01 10:00", false, 1704103200000000LL, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-01-01 10:00:00Z", false, 1704103200000000LL, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-01-01 10:00:00 UTC", false, 1704103200000000LL, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-01-01T10:00:00+01:00", false, 1704099600000000LL, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-01-01T10:00:00-0130", false, 1704108600000000LL, 0 },
	{ SL_TYPE_TIMESTAMP, "1969-12-31 23:59:59.999999", false, -1, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-02-30", true, 0, 0 },
	{ SL_TYPE_TIMESTAMP, "2023-02-29", true, 0, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-02-29", false, 1709164800000000LL, 0 },
	{ SL_TYPE_TIMESTAMP, "2024-01-01 24:00:00", true, 0, 0 },
	{ SL_TYPE_TIMESTAMP, "not a time", true, 0, 0 },
	{ SL_TYPE_TIMESTAMP, "24-01-01", true, 0, 0 },
};

Test(expr, cast_from_string)
{
	for (size_t k = 0; k < sizeof(cast_from_string_cases) / sizeof(cast_from_string_cases[0]); k++) {
		const struct cast_str_case *c = &cast_from_string_cases[k];
		struct tchunk t;
		const char *rows[1] = { c->in };
		tc_init(&t, 1, 1);
		tc_str(&t, 0, rows);
		struct sl_expr *e = call(SL_FN_CAST, c->to, 1, col(0, SL_TYPE_STRING));
		struct sl_vec v = eval_ok(e, &t.chunk);
		cr_assert_eq(v.type, c->to);
		cr_assert_eq(sl_vec_is_null(&v, 0), c->want_null, "cast('%s' as %s): null %d", c->in,
			     sl_type_name(c->to), sl_vec_is_null(&v, 0));
		if (!c->want_null) {
			if (c->to == SL_TYPE_DOUBLE)
				cr_assert(v.v.f64[0] == c->want_d, "cast('%s' as DOUBLE) = %g", c->in,
					  v.v.f64[0]);
			else if (c->to == SL_TYPE_BOOLEAN)
				cr_assert_eq(v.v.b[0], c->want_i, "cast('%s' as BOOLEAN)", c->in);
			else
				cr_assert_eq(v.v.i64[0], c->want_i, "cast('%s' as %s) = %ld", c->in,
					     sl_type_name(c->to), (long)v.v.i64[0]);
		}
		sl_expr_free(e);
	}
	/* NaN has no equality: checked apart */
	struct tchunk t;
	const char *rows[2] = { "NaN", " nan " };
	tc_init(&t, 2, 1);
	tc_str(&t, 0, rows);
	struct sl_expr *e = call(SL_FN_CAST, SL_TYPE_DOUBLE, 1, col(0, SL_TYPE_STRING));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert(isnan(v.v.f64[0]) && isnan(v.v.f64[1]));
	sl_expr_free(e);
}

struct cast_to_str_case {
	enum sl_type from;
	int64_t i;
	double d;
	const char *want;
};

static const struct cast_to_str_case cast_to_string_cases[] = {
	{ SL_TYPE_INT, -42, 0, "-42" },
	{ SL_TYPE_BIGINT, INT64_MIN, 0, "-9223372036854775808" },
	{ SL_TYPE_BOOLEAN, 1, 0, "true" },
	{ SL_TYPE_BOOLEAN, 0, 0, "false" },
	{ SL_TYPE_DOUBLE, 0, 1.0, "1.0" },
	{ SL_TYPE_DOUBLE, 0, 0.1, "0.1" },
	{ SL_TYPE_DOUBLE, 0, 1e7, "1.0E7" },
	{ SL_TYPE_DOUBLE, 0, 1234567.0, "1234567.0" },
	{ SL_TYPE_DOUBLE, 0, -0.0, "-0.0" },
	{ SL_TYPE_DOUBLE, 0, 1.234e-5, "1.234E-5" },
	{ SL_TYPE_DOUBLE, 0, NAN, "NaN" },
	{ SL_TYPE_DOUBLE, 0, -INFINITY, "-Infinity" },
	{ SL_TYPE_TIMESTAMP, 1704103200000000LL, 0, "2024-01-01 10:00:00" },
	{ SL_TYPE_TIMESTAMP, 1704103200500000LL, 0, "2024-01-01 10:00:00.5" },
};

Test(expr, cast_to_string)
{
	for (size_t k = 0; k < sizeof(cast_to_string_cases) / sizeof(cast_to_string_cases[0]); k++) {
		const struct cast_to_str_case *c = &cast_to_string_cases[k];
		struct sl_expr *arg = c->from == SL_TYPE_DOUBLE ? lit_f64(c->d)
				    : c->from == SL_TYPE_BOOLEAN ? lit_bool(c->i != 0)
								 : lit_i64(c->from, c->i);
		struct sl_expr *e = call(SL_FN_CAST, SL_TYPE_STRING, 1, arg);
		struct sl_vec v = eval_ok(e, &one_row);
		cr_assert(str_is(&v, 0, c->want), "case %zu: '%.*s', want '%s'", k,
			  (int)v.v.str[0].len, v.v.str[0].ptr, c->want);
		sl_expr_free(e);
	}
}

struct cast_num_case {
	enum sl_type from, to;
	int64_t i;
	double d;
	bool want_null;
	int64_t want_i;
	double want_d;
};

static const struct cast_num_case cast_num_cases[] = {
	{ SL_TYPE_DOUBLE, SL_TYPE_INT, 0, 3.99, false, 3, 0 },      /* truncates */
	{ SL_TYPE_DOUBLE, SL_TYPE_INT, 0, -3.99, false, -3, 0 },
	{ SL_TYPE_DOUBLE, SL_TYPE_INT, 0, 1e10, false, 2147483647, 0 }, /* saturates (Java) */
	{ SL_TYPE_DOUBLE, SL_TYPE_INT, 0, -1e10, false, -2147483648LL, 0 },
	{ SL_TYPE_DOUBLE, SL_TYPE_INT, 0, NAN, false, 0, 0 },
	{ SL_TYPE_DOUBLE, SL_TYPE_BIGINT, 0, 1e19, false, INT64_MAX, 0 },
	{ SL_TYPE_DOUBLE, SL_TYPE_BIGINT, 0, -2.5, false, -2, 0 },
	{ SL_TYPE_BIGINT, SL_TYPE_INT, 4294967297LL, 0, false, 1, 0 }, /* wraps */
	{ SL_TYPE_BIGINT, SL_TYPE_INT, 2147483648LL, 0, false, -2147483648LL, 0 },
	{ SL_TYPE_INT, SL_TYPE_BIGINT, -5, 0, false, -5, 0 },
	{ SL_TYPE_INT, SL_TYPE_DOUBLE, 7, 0, false, 0, 7.0 },
	{ SL_TYPE_BOOLEAN, SL_TYPE_INT, 1, 0, false, 1, 0 },
	{ SL_TYPE_BOOLEAN, SL_TYPE_DOUBLE, 1, 0, false, 0, 1.0 },
	{ SL_TYPE_INT, SL_TYPE_BOOLEAN, 5, 0, false, 1, 0 },
	{ SL_TYPE_BIGINT, SL_TYPE_BOOLEAN, 0, 0, false, 0, 0 },
	{ SL_TYPE_DOUBLE, SL_TYPE_BOOLEAN, 0, 0.5, false, 1, 0 },
	{ SL_TYPE_DOUBLE, SL_TYPE_BOOLEAN, 0, 0.0, false, 0, 0 },
	/* TIMESTAMP <-> numbers: seconds */
	{ SL_TYPE_TIMESTAMP, SL_TYPE_BIGINT, 1500000, 0, false, 1, 0 },
	{ SL_TYPE_TIMESTAMP, SL_TYPE_BIGINT, -1500000, 0, false, -2, 0 }, /* floor */
	{ SL_TYPE_TIMESTAMP, SL_TYPE_INT, 1704103200000000LL, 0, false, 1704103200, 0 },
	{ SL_TYPE_TIMESTAMP, SL_TYPE_DOUBLE, 1500000, 0, false, 0, 1.5 },
	{ SL_TYPE_BIGINT, SL_TYPE_TIMESTAMP, 1704103200, 0, false, 1704103200000000LL, 0 },
	{ SL_TYPE_INT, SL_TYPE_TIMESTAMP, -1, 0, false, -1000000, 0 },
	{ SL_TYPE_BIGINT, SL_TYPE_TIMESTAMP, INT64_MAX / 10, 0, false, INT64_MAX, 0 }, /* saturates */
	{ SL_TYPE_DOUBLE, SL_TYPE_TIMESTAMP, 0, 1.5, false, 1500000, 0 },
	{ SL_TYPE_DOUBLE, SL_TYPE_TIMESTAMP, 0, NAN, true, 0, 0 },
	{ SL_TYPE_DOUBLE, SL_TYPE_TIMESTAMP, 0, INFINITY, true, 0, 0 },
	{ SL_TYPE_BOOLEAN, SL_TYPE_TIMESTAMP, 1, 0, false, 1, 0 },
};

Test(expr, cast_between_numbers_booleans_and_timestamps)
{
	for (size_t k = 0; k < sizeof(cast_num_cases) / sizeof(cast_num_cases[0]); k++) {
		const struct cast_num_case *c = &cast_num_cases[k];
		struct sl_expr *arg = c->from == SL_TYPE_DOUBLE ? lit_f64(c->d)
				    : c->from == SL_TYPE_BOOLEAN ? lit_bool(c->i != 0)
								 : lit_i64(c->from, c->i);
		struct sl_expr *e = call(SL_FN_CAST, c->to, 1, arg);
		struct sl_vec v = eval_ok(e, &one_row);
		cr_assert_eq(v.type, c->to);
		cr_assert_eq(sl_vec_is_null(&v, 0), c->want_null, "case %zu null", k);
		if (c->want_null)
			goto next;
		switch (c->to) {
		case SL_TYPE_DOUBLE:
			cr_assert(v.v.f64[0] == c->want_d, "case %zu: %g", k, v.v.f64[0]);
			break;
		case SL_TYPE_BOOLEAN:
			cr_assert_eq(v.v.b[0], c->want_i, "case %zu", k);
			break;
		default:
			cr_assert_eq(v.v.i64[0], c->want_i, "case %zu: %ld want %ld", k,
				     (long)v.v.i64[0], (long)c->want_i);
			break;
		}
next:
		sl_expr_free(e);
	}
}

Test(expr, cast_of_null_and_of_nulls)
{
	struct sl_expr *e = call(SL_FN_CAST, SL_TYPE_INT, 1, lit_null(SL_TYPE_NULL));
	struct sl_vec v = eval_ok(e, &one_row);
	cr_assert_eq(v.type, SL_TYPE_INT);
	cr_assert(sl_vec_is_null(&v, 0));
	sl_expr_free(e);

	struct tchunk t;
	static const int64_t a[] = { 1, 2 };
	tc_init(&t, 2, 1);
	tc_i64(&t, 0, SL_TYPE_BIGINT, a, "x.");
	e = call(SL_FN_CAST, SL_TYPE_STRING, 1, col(0, SL_TYPE_BIGINT));
	v = eval_ok(e, &t.chunk);
	cr_assert(sl_vec_is_null(&v, 0));
	cr_assert(str_is(&v, 1, "2"));
	sl_expr_free(e);
}

/* ---- COALESCE, IF ---- */

Test(expr, coalesce_takes_the_first_non_null)
{
	struct tchunk t;
	static const int64_t a[] = { 1, 0, 0 }, b[] = { 10, 20, 0 };
	tc_init(&t, 3, 2);
	tc_i64(&t, 0, SL_TYPE_INT, a, ".xx");
	tc_i64(&t, 1, SL_TYPE_INT, b, "..x");
	struct sl_expr *e = call(SL_FN_COALESCE, SL_TYPE_INT, 3, col(0, SL_TYPE_INT),
				 lit_null(SL_TYPE_NULL), col(1, SL_TYPE_INT));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert_eq(v.v.i64[0], 1);
	cr_assert_eq(v.v.i64[1], 20);
	cr_assert(sl_vec_is_null(&v, 2));
	sl_expr_free(e);

	const char *s0[3] = { NULL, "x", NULL };
	tc_init(&t, 3, 1);
	tc_str(&t, 0, s0);
	e = call(SL_FN_COALESCE, SL_TYPE_STRING, 2, col(0, SL_TYPE_STRING), lit_str("dflt"));
	v = eval_ok(e, &t.chunk);
	cr_assert(str_is(&v, 0, "dflt") && str_is(&v, 1, "x") && str_is(&v, 2, "dflt"));
	sl_expr_free(e);
}

Test(expr, if_takes_else_on_false_and_null)
{
	struct tchunk t;
	const char *a[3] = { "A", "A", NULL }, *b[3] = { "B", "B", "B" };
	tc_init(&t, 3, 3);
	tc_bool(&t, 0, "tfn");
	tc_str(&t, 1, a);
	tc_str(&t, 2, b);
	struct sl_expr *e = call(SL_FN_IF, SL_TYPE_STRING, 3, col(0, SL_TYPE_BOOLEAN),
				 col(1, SL_TYPE_STRING), col(2, SL_TYPE_STRING));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert(str_is(&v, 0, "A"));
	cr_assert(str_is(&v, 1, "B"));
	cr_assert(str_is(&v, 2, "B"));
	sl_expr_free(e);

	tc_bool(&t, 0, "ttt");
	e = call(SL_FN_IF, SL_TYPE_STRING, 3, col(0, SL_TYPE_BOOLEAN), col(1, SL_TYPE_STRING),
		 lit_null(SL_TYPE_NULL));
	v = eval_ok(e, &t.chunk);
	cr_assert(str_is(&v, 0, "A") && str_is(&v, 2, NULL));
	sl_expr_free(e);
}

/* ---- nested trees evaluate node by node ---- */

Test(expr, nested_tree)
{
	/* upper(substr(concat(a, '!'), 2)) = 'BC!' when length(a) > 2 */
	struct tchunk t;
	const char *a[3] = { "abc", "xy", NULL };
	tc_init(&t, 3, 1);
	tc_str(&t, 0, a);
	struct sl_expr *val = call(SL_FN_UPPER, SL_TYPE_STRING, 1,
				   call(SL_FN_SUBSTR, SL_TYPE_STRING, 2,
					call(SL_FN_CONCAT, SL_TYPE_STRING, 2, col(0, SL_TYPE_STRING),
					     lit_str("!")),
					lit_i64(SL_TYPE_INT, 2)));
	struct sl_expr *e = call(SL_FN_IF, SL_TYPE_STRING, 3,
				 call(SL_FN_GT, SL_TYPE_BOOLEAN, 2,
				      call(SL_FN_LENGTH, SL_TYPE_INT, 1, col(0, SL_TYPE_STRING)),
				      lit_i64(SL_TYPE_INT, 2)),
				 val, lit_str("short"));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert(str_is(&v, 0, "BC!"));
	cr_assert(str_is(&v, 1, "short"));
	cr_assert(str_is(&v, 2, "short"));
	sl_expr_free(e);
}

/* ---- event time: window(), windows(), w.start/w.end, to_timestamp, intervals ---- */

#define MIN_US 60000000LL

static struct sl_expr *window_call(enum sl_fn fn, int64_t size, int64_t slide, int64_t start)
{
	struct sl_expr *e = call(fn, fn == SL_FN_WINDOWS ? SL_TYPE_ARRAY : SL_TYPE_WINDOW, 4,
				 col(0, SL_TYPE_TIMESTAMP), lit_i64(SL_TYPE_BIGINT, size),
				 lit_i64(SL_TYPE_BIGINT, slide), lit_i64(SL_TYPE_BIGINT, start));
	if (fn == SL_FN_WINDOWS)
		e->elem_type = SL_TYPE_WINDOW;
	return e;
}

Test(expr, tumbling_window_as_spark_including_before_1970_and_boundaries)
{
	/* Spark's TimeWindowing: start = ts - ((ts - offset) mod size), the
	 * remainder taken non-negative; a boundary belongs to the window it starts */
	const int64_t ts[] = {0, 14 * MIN_US + 59999999, 15 * MIN_US, -1, -15 * MIN_US, 7 * MIN_US};
	struct tchunk t;
	tc_init(&t, 6, 1);
	tc_i64(&t, 0, SL_TYPE_TIMESTAMP, ts, ".....x");
	struct sl_expr *e = window_call(SL_FN_WINDOW, 15 * MIN_US, 15 * MIN_US, 0);
	struct sl_vec v = eval_ok(e, &t.chunk);
	const int64_t want[] = {0, 0, 15 * MIN_US, -15 * MIN_US, -15 * MIN_US};
	for (int i = 0; i < 5; i++) {
		cr_expect(!sl_vec_is_null(&v, i));
		cr_expect_eq(v.v.win[i].start, want[i], "row %d", i);
		cr_expect_eq(v.v.win[i].end, want[i] + 15 * MIN_US, "row %d", i);
	}
	cr_expect(sl_vec_is_null(&v, 5), "a null time is in no window");
	sl_expr_free(e);

	/* a start offset: windows begin at 5 past */
	e = window_call(SL_FN_WINDOW, 15 * MIN_US, 15 * MIN_US, 5 * MIN_US);
	v = eval_ok(e, &t.chunk);
	cr_expect_eq(v.v.win[0].start, -10 * MIN_US);
	cr_expect_eq(v.v.win[2].start, 5 * MIN_US);
	sl_expr_free(e);

	/* fields */
	e = call(SL_FN_WINDOW_END, SL_TYPE_TIMESTAMP, 1,
		 window_call(SL_FN_WINDOW, 15 * MIN_US, 15 * MIN_US, 0));
	v = eval_ok(e, &t.chunk);
	cr_expect_eq(v.v.i64[2], 30 * MIN_US);
	cr_expect(sl_vec_is_null(&v, 5));
	sl_expr_free(e);
}

Test(expr, sliding_windows_are_every_window_holding_the_row)
{
	/* 10-minute windows every 5: 12:07 is in [12:05, 12:15) and [12:00,
	 * 12:10), latest start first; with size 10 and slide 3 (not a
	 * multiple) only the candidates that hold the time stay */
	const int64_t ts[] = {727 * MIN_US, 725 * MIN_US, 0};
	struct tchunk t;
	tc_init(&t, 3, 1);
	tc_i64(&t, 0, SL_TYPE_TIMESTAMP, ts, "..x");
	struct sl_expr *e = window_call(SL_FN_WINDOWS, 10 * MIN_US, 5 * MIN_US, 0);
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert_eq(v.v.arr[0].len, 2);
	cr_expect_eq(v.elem->v.win[v.v.arr[0].off].start, 725 * MIN_US);
	cr_expect_eq(v.elem->v.win[v.v.arr[0].off + 1].start, 720 * MIN_US);
	cr_assert_eq(v.v.arr[1].len, 2, "12:05 starts one window and is inside the one before");
	cr_expect_eq(v.elem->v.win[v.v.arr[1].off].start, 725 * MIN_US);
	cr_expect_eq(v.elem->v.win[v.v.arr[1].off + 1].start, 720 * MIN_US);
	cr_expect(sl_vec_is_null(&v, 2));
	sl_expr_free(e);

	e = window_call(SL_FN_WINDOWS, 10 * MIN_US, 3 * MIN_US, 0);
	v = eval_ok(e, &t.chunk);
	/* 12:07 = minute 727; starts 726, 723, 720, 717(out: ends 727, excl.) */
	cr_assert_eq(v.v.arr[0].len, 3);
	cr_expect_eq(v.elem->v.win[v.v.arr[0].off].start, 726 * MIN_US);
	cr_expect_eq(v.elem->v.win[v.v.arr[0].off + 2].start, 720 * MIN_US);
	sl_expr_free(e);
}

Test(expr, interval_arithmetic_on_timestamps)
{
	const int64_t ts[] = {1000, -5};
	struct tchunk t;
	tc_init(&t, 2, 1);
	tc_i64(&t, 0, SL_TYPE_TIMESTAMP, ts, NULL);
	struct sl_expr *e = call(SL_FN_ADD, SL_TYPE_TIMESTAMP, 2, col(0, SL_TYPE_TIMESTAMP),
				 lit_i64(SL_TYPE_INTERVAL, 10 * MIN_US));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_expect_eq(v.v.i64[0], 1000 + 10 * MIN_US);
	cr_expect_eq(v.v.i64[1], -5 + 10 * MIN_US);
	sl_expr_free(e);
	e = call(SL_FN_SUB, SL_TYPE_INTERVAL, 2, col(0, SL_TYPE_TIMESTAMP),
		 col(0, SL_TYPE_TIMESTAMP));
	v = eval_ok(e, &t.chunk);
	cr_expect_eq(v.v.i64[1], 0);
	sl_expr_free(e);
	e = call(SL_FN_NEG, SL_TYPE_INTERVAL, 1, lit_i64(SL_TYPE_INTERVAL, 90000000));
	v = eval_ok(e, &one_row);
	cr_expect_eq(v.v.i64[0], -90000000);
	sl_expr_free(e);
}

Test(expr, to_timestamp_with_spark_patterns)
{
	static const struct {
		const char *in, *pattern;
		int64_t want; /* INT64_MIN: NULL */
	} cases[] = {
		{"2024-03-01 09:15:00", "yyyy-MM-dd HH:mm:ss", 1709284500000000LL},
		{"01/03/2024 9:15:00 AM", "dd/MM/yyyy h:mm:ss a", 1709284500000000LL},
		{"01/03/2024 9:15:00 PM", "dd/MM/yyyy h:mm:ss a", 1709284500000000LL + 43200000000LL},
		{"2024-03-01T09:15:00.25", "yyyy-MM-dd'T'HH:mm:ss.SS", 1709284500250000LL},
		{"20240301", "yyyyMMdd", 1709251200000000LL},
		{"24-03-01", "yy-MM-dd", 1709251200000000LL},
		{"2024-02-30 00:00:00", "yyyy-MM-dd HH:mm:ss", INT64_MIN},
		{"2023-02-29", "yyyy-MM-dd", INT64_MIN},
		{"2024-03-01 09:15", "yyyy-MM-dd HH:mm:ss", INT64_MIN},
		{"2024-03-01 09:15:00 extra", "yyyy-MM-dd HH:mm:ss", INT64_MIN},
		{"2024-03-01", "yyyy-MM-dd EEE", INT64_MIN},
		{"13:00 PM", "h:mm a", INT64_MIN},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const char *rows[1] = {cases[k].in};
		struct tchunk t;
		tc_init(&t, 1, 1);
		tc_str(&t, 0, rows);
		struct sl_expr *e = call(SL_FN_TO_TIMESTAMP, SL_TYPE_TIMESTAMP, 2,
					 col(0, SL_TYPE_STRING), lit_str(cases[k].pattern));
		struct sl_vec v = eval_ok(e, &t.chunk);
		if (cases[k].want == INT64_MIN)
			cr_expect(sl_vec_is_null(&v, 0), "%s / %s: expected NULL", cases[k].in,
				  cases[k].pattern);
		else
			cr_expect(!sl_vec_is_null(&v, 0) && v.v.i64[0] == cases[k].want,
				  "%s / %s: got %lld", cases[k].in, cases[k].pattern,
				  (long long)v.v.i64[0]);
		sl_expr_free(e);
	}
}

Test(expr, intervals_and_windows_cast_to_their_text)
{
	struct sl_expr *e = call(SL_FN_CAST, SL_TYPE_STRING, 1, lit_i64(SL_TYPE_INTERVAL, 5400000000LL));
	struct sl_vec v = eval_ok(e, &one_row);
	cr_expect(str_is(&v, 0, "INTERVAL '0 01:30:00' DAY TO SECOND"));
	sl_expr_free(e);
	const int64_t ts[] = {727 * MIN_US};
	struct tchunk t;
	tc_init(&t, 1, 1);
	tc_i64(&t, 0, SL_TYPE_TIMESTAMP, ts, NULL);
	e = call(SL_FN_CAST, SL_TYPE_STRING, 1, window_call(SL_FN_WINDOW, 5 * MIN_US, 5 * MIN_US, 0));
	v = eval_ok(e, &t.chunk);
	cr_expect(str_is(&v, 0, "{1970-01-01 12:05:00, 1970-01-01 12:10:00}"));
	sl_expr_free(e);
}

Test(expr, session_of_a_row_is_ts_to_ts_plus_gap_and_null_without_a_positive_gap)
{
	const int64_t ts[] = {1000, 2000, 3000, 4000};
	const int64_t gaps[] = {500, 0, -1, 7};
	struct tchunk t;
	tc_init(&t, 4, 2);
	tc_i64(&t, 0, SL_TYPE_TIMESTAMP, ts, "...x");
	tc_i64(&t, 1, SL_TYPE_INTERVAL, gaps, NULL);
	struct sl_expr *e = call(SL_FN_SESSION, SL_TYPE_WINDOW, 2, col(0, SL_TYPE_TIMESTAMP),
				 col(1, SL_TYPE_INTERVAL));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_expect(!sl_vec_is_null(&v, 0));
	cr_expect_eq(v.v.win[0].start, 1000);
	cr_expect_eq(v.v.win[0].end, 1500);
	cr_expect(sl_vec_is_null(&v, 1), "a zero gap: no session");
	cr_expect(sl_vec_is_null(&v, 2), "a negative gap: no session");
	cr_expect(sl_vec_is_null(&v, 3), "a NULL time: no session");
	sl_expr_free(e);
}

/* ---- BINARY ---- */

/* A BINARY column from byte strings (with their lengths); NULL is a null row. */
static void tc_bin(struct tchunk *t, uint32_t c, const char *const *rows, const uint32_t *lens)
{
	tc_str(t, c, rows);
	for (uint32_t i = 0; i < t->chunk.nrows; i++)
		if (rows[i] != NULL)
			t->c[c].s[i].len = lens[i];
	t->v[c].type = SL_TYPE_BINARY;
}

Test(expr, comparisons_of_binaries_are_by_unsigned_bytes)
{
	/* Spark's ByteArray.compareBinary: unsigned bytes, then the shorter
	 * first; a NUL byte is a byte like any other */
	struct tchunk t;
	static const char *const a[] = { "ab\0c", "ab", "\x80", "\x7f", "", NULL };
	static const char *const b[] = { "ab\0c", "ab\0", "\x7f", "\x80", "", "a" };
	static const uint32_t al[] = { 4, 2, 1, 1, 0, 0 }, bl[] = { 4, 3, 1, 1, 0, 1 };
	static const char *const want[] = { "tfftft", "ftttff", "ftfftt", "ftttff", "tfftft",
					    "nnnnnn" };
	tc_init(&t, 6, 2);
	tc_bin(&t, 0, a, al);
	tc_bin(&t, 1, b, bl);
	check_compare(&t, SL_TYPE_BINARY, want);
}

Test(expr, binary_casts_length_and_null_checks)
{
	struct tchunk t;
	static const char *const rows[] = { "h\xc3\xa9llo", "", NULL, "\xff\x00" };
	static const uint32_t lens[] = { 6, 0, 0, 2 };
	tc_init(&t, 4, 1);
	tc_bin(&t, 0, rows, lens);

	/* CAST(b AS STRING): the same bytes, not checked as UTF-8 */
	struct sl_expr *e = call(SL_FN_CAST, SL_TYPE_STRING, 1, col(0, SL_TYPE_BINARY));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_expect_eq(v.type, SL_TYPE_STRING);
	cr_expect(str_is(&v, 0, "h\xc3\xa9llo"));
	cr_expect(str_is(&v, 1, ""));
	cr_expect(sl_vec_is_null(&v, 2));
	cr_expect(v.v.str[3].len == 2 && memcmp(v.v.str[3].ptr, "\xff\x00", 2) == 0);
	sl_expr_free(e);

	/* CAST(CAST(b AS STRING) AS BINARY) gives the bytes back */
	e = call(SL_FN_CAST, SL_TYPE_BINARY, 1,
		 call(SL_FN_CAST, SL_TYPE_STRING, 1, col(0, SL_TYPE_BINARY)));
	v = eval_ok(e, &t.chunk);
	cr_expect_eq(v.type, SL_TYPE_BINARY);
	cr_expect(v.v.str[3].len == 2 && memcmp(v.v.str[3].ptr, "\xff\x00", 2) == 0);
	sl_expr_free(e);

	/* length(b): bytes, not characters (é is 2) */
	e = call(SL_FN_LENGTH, SL_TYPE_INT, 1, col(0, SL_TYPE_BINARY));
	v = eval_ok(e, &t.chunk);
	cr_expect_eq(v.v.i64[0], 6);
	cr_expect_eq(v.v.i64[1], 0);
	cr_expect(sl_vec_is_null(&v, 2));
	cr_expect_eq(v.v.i64[3], 2);
	sl_expr_free(e);

	/* the same bytes as a STRING count characters */
	e = call(SL_FN_LENGTH, SL_TYPE_INT, 1,
		 call(SL_FN_CAST, SL_TYPE_STRING, 1, col(0, SL_TYPE_BINARY)));
	v = eval_ok(e, &t.chunk);
	cr_expect_eq(v.v.i64[0], 5);
	sl_expr_free(e);

	e = call(SL_FN_IS_NULL, SL_TYPE_BOOLEAN, 1, col(0, SL_TYPE_BINARY));
	v = eval_ok(e, &t.chunk);
	cr_expect(v.nulls == NULL || (!v.nulls[0] && !v.nulls[2]));
	cr_expect(!v.v.b[0] && !v.v.b[1] && v.v.b[2] && !v.v.b[3]);
	sl_expr_free(e);
}

Test(expr, cast_integers_to_binary_is_big_endian)
{
	/* Spark: CAST(1 AS BINARY) is [00 00 00 01]; a BIGINT gives 8 bytes */
	struct tchunk t;
	static const int64_t iv[] = { 1, -2, 0x01020304, 0 };
	tc_init(&t, 4, 1);
	tc_i64(&t, 0, SL_TYPE_INT, iv, "...x");
	struct sl_expr *e = call(SL_FN_CAST, SL_TYPE_BINARY, 1, col(0, SL_TYPE_INT));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_assert_eq(v.type, SL_TYPE_BINARY);
	cr_expect(v.v.str[0].len == 4 && memcmp(v.v.str[0].ptr, "\0\0\0\x01", 4) == 0);
	cr_expect(v.v.str[1].len == 4 && memcmp(v.v.str[1].ptr, "\xff\xff\xff\xfe", 4) == 0);
	cr_expect(v.v.str[2].len == 4 && memcmp(v.v.str[2].ptr, "\x01\x02\x03\x04", 4) == 0);
	cr_expect(sl_vec_is_null(&v, 3));
	sl_expr_free(e);

	tc_i64(&t, 0, SL_TYPE_BIGINT, iv, NULL);
	e = call(SL_FN_CAST, SL_TYPE_BINARY, 1, col(0, SL_TYPE_BIGINT));
	v = eval_ok(e, &t.chunk);
	cr_expect(v.v.str[2].len == 8 &&
		  memcmp(v.v.str[2].ptr, "\0\0\0\0\x01\x02\x03\x04", 8) == 0);
	sl_expr_free(e);
}

Test(expr, binary_substr_and_concat_count_bytes)
{
	struct tchunk t;
	static const char *const rows[] = { "h\xc3\xa9llo", "ab", NULL };
	static const uint32_t lens[] = { 6, 2, 0 };
	tc_init(&t, 3, 1);
	tc_bin(&t, 0, rows, lens);
	/* substr(b, 2, 2): bytes 2..3, through the middle of é */
	struct sl_expr *e = call(SL_FN_SUBSTR, SL_TYPE_BINARY, 3, col(0, SL_TYPE_BINARY),
				 lit_i64(SL_TYPE_INT, 2), lit_i64(SL_TYPE_INT, 2));
	struct sl_vec v = eval_ok(e, &t.chunk);
	cr_expect_eq(v.type, SL_TYPE_BINARY);
	cr_expect(str_is(&v, 0, "\xc3\xa9"));
	cr_expect(str_is(&v, 1, "b"));
	cr_expect(sl_vec_is_null(&v, 2));
	sl_expr_free(e);
	/* substr(b, -2): the last two bytes */
	e = call(SL_FN_SUBSTR, SL_TYPE_BINARY, 2, col(0, SL_TYPE_BINARY), lit_i64(SL_TYPE_INT, -2));
	v = eval_ok(e, &t.chunk);
	cr_expect(str_is(&v, 0, "lo"));
	cr_expect(str_is(&v, 1, "ab"));
	sl_expr_free(e);
	/* concat of binaries is a binary */
	e = call(SL_FN_CONCAT, SL_TYPE_BINARY, 2, col(0, SL_TYPE_BINARY), col(0, SL_TYPE_BINARY));
	v = eval_ok(e, &t.chunk);
	cr_expect_eq(v.type, SL_TYPE_BINARY);
	cr_expect(str_is(&v, 1, "abab"));
	cr_expect(sl_vec_is_null(&v, 2));
	sl_expr_free(e);
}
