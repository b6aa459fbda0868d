/*
 * expr_fixture.h — what the expression tests share: an evaluation context
 * made before each test and freed after it, and the two smallest
 * expression builders. Include after <criterion/criterion.h> and
 * "expr.h", then name the suite:
 *
 *     TestSuite(expr, .init = fixture_setup, .fini = fixture_teardown);
 */
#ifndef SL_TESTS_EXPR_FIXTURE_H
#define SL_TESTS_EXPR_FIXTURE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct sl_eval_ctx *ctx;

static inline void fixture_setup(void)
{
	ctx = sl_eval_ctx_create();
	cr_assert_not_null(ctx);
}

static inline void fixture_teardown(void)
{
	sl_eval_ctx_destroy(ctx);
}

static inline struct sl_expr *node(enum sl_expr_kind kind, enum sl_type type)
{
	struct sl_expr *e = calloc(1, sizeof(*e));
	cr_assert_not_null(e);
	e->kind = kind;
	e->type = type;
	return e;
}

static inline struct sl_expr *col(uint32_t c, enum sl_type t)
{
	struct sl_expr *e = node(SL_EXPR_COLUMN, t);
	e->col = c;
	if (t == SL_TYPE_ARRAY)
		e->elem_type = SL_TYPE_STRING; /* split's arrays */
	return e;
}

static inline struct sl_expr *lit_str_n(const char *s, uint32_t len)
{
	struct sl_expr *e = node(SL_EXPR_LITERAL, SL_TYPE_STRING);
	char *p = malloc(len + 1);
	cr_assert_not_null(p);
	memcpy(p, s, len);
	p[len] = '\0';
	e->lit.type = SL_TYPE_STRING;
	e->lit.v.str = (struct sl_str){ p, len };
	return e;
}

static inline struct sl_expr *lit_str(const char *s)
{
	return lit_str_n(s, (uint32_t)strlen(s));
}

static inline struct sl_expr *lit_null(enum sl_type t)
{
	struct sl_expr *e = node(SL_EXPR_LITERAL, t);
	e->lit.type = t;
	e->lit.is_null = true;
	return e;
}

/* fn(args...) of type t; an ARRAY result holds strings (split's) */
static inline struct sl_expr *call(enum sl_fn fn, enum sl_type t, uint32_t nargs, ...)
{
	struct sl_expr *e = node(SL_EXPR_CALL, t);
	va_list ap;
	e->fn = fn;
	e->nargs = nargs;
	e->args = calloc(nargs, sizeof(*e->args));
	cr_assert_not_null(e->args);
	va_start(ap, nargs);
	for (uint32_t i = 0; i < nargs; i++)
		e->args[i] = va_arg(ap, struct sl_expr *);
	va_end(ap);
	if (t == SL_TYPE_ARRAY)
		e->elem_type = SL_TYPE_STRING;
	return e;
}

#endif
