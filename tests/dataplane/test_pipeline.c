/*
 * test_pipeline.c — the stateless pipeline (filter, project, explode), the
 * fused explode(split()) word path, and plan preparation: RLIKE grouping
 * into shared pattern sets, errors, release.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "pipeline.h"
#include "regex.h"

#include "expr_fixture.h"

TestSuite(pipeline, .init = fixture_setup, .fini = fixture_teardown);




static struct sl_expr *split_of(uint32_t c, const char *pat)
{
	return call(SL_FN_SPLIT, SL_TYPE_ARRAY, 2, col(c, SL_TYPE_STRING), lit_str(pat));
}

static struct sl_expr *rlike(uint32_t c, const char *pat)
{
	return call(SL_FN_RLIKE, SL_TYPE_BOOLEAN, 2, col(c, SL_TYPE_STRING), lit_str(pat));
}

/* ---- ops ---- */

static struct sl_op op_filter(struct sl_expr *pred)
{
	return (struct sl_op){ .kind = SL_OP_FILTER, .pred = pred };
}

static struct sl_op op_explode(struct sl_expr *gen, uint32_t n_out_cols)
{
	return (struct sl_op){ .kind = SL_OP_EXPLODE, .gen = gen,
			       .out = { .ncols = n_out_cols, .cols = NULL } };
}

static struct sl_op op_project(uint32_t n, ...)
{
	struct sl_op op = { .kind = SL_OP_PROJECT, .nexprs = n };
	va_list ap;
	op.exprs = calloc(n, sizeof(*op.exprs));
	va_start(ap, n);
	for (uint32_t i = 0; i < n; i++)
		op.exprs[i] = va_arg(ap, struct sl_expr *);
	va_end(ap);
	return op;
}

static void ops_free(struct sl_op *ops, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		sl_expr_free(ops[k].pred);
		sl_expr_free(ops[k].gen);
		for (uint32_t j = 0; j < ops[k].nexprs; j++)
			sl_expr_free(ops[k].exprs[j]);
		free(ops[k].exprs);
	}
}

static void ops_prepare(struct sl_op *ops, uint32_t n)
{
	struct sl_plan plan = { .nops = n, .ops = ops };
	char err[512] = "";
	cr_assert_eq(sl_plan_prepare(&plan, err, sizeof(err)), 0, "%s", err);
}

/* ---- chunks ---- */

/* Column 0 STRING (NULL entries are null rows), column 1 BIGINT = row id. */
struct lines {
	uint32_t n;
	struct sl_str *s;
	uint8_t *nulls;
	int64_t *id;
	struct sl_vec v[2];
	struct sl_chunk c;
};

static void lines_init(struct lines *l, const char *const *rows, uint32_t n)
{
	l->n = n;
	l->s = calloc(n + 1, sizeof(*l->s));
	l->nulls = calloc(n + 1, 1);
	l->id = calloc(n + 1, sizeof(*l->id));
	for (uint32_t i = 0; i < n; i++) {
		l->nulls[i] = rows[i] == NULL;
		l->s[i] = rows[i] ? (struct sl_str){ rows[i], (uint32_t)strlen(rows[i]) }
				  : (struct sl_str){ NULL, 0 };
		l->id[i] = 100 + i;
	}
	l->v[0] = (struct sl_vec){ .type = SL_TYPE_STRING, .v.str = l->s, .nulls = l->nulls };
	l->v[1] = (struct sl_vec){ .type = SL_TYPE_BIGINT, .v.i64 = l->id };
	l->c = (struct sl_chunk){ n, 2, l->v };
}

static void lines_free(struct lines *l)
{
	free(l->s);
	free(l->nulls);
	free(l->id);
}

static bool str_eq(struct sl_str s, const char *want)
{
	return s.len == strlen(want) && (s.len == 0 || memcmp(s.ptr, want, s.len) == 0);
}

/* ---- filter and project ---- */

Test(pipeline, filter_drops_false_and_null_rows)
{
	static const char *const rows[] = { "apple", NULL, "banana", "cherry", "" };
	struct lines l;
	lines_init(&l, rows, 5);
	/* value LIKE '%an%' OR value = '' : true, null, true, false, true...
	 * with the null row dropped as false. */
	struct sl_op ops[1] = { op_filter(call(SL_FN_LIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING),
					       lit_str("%an%"))) };
	ops_prepare(ops, 1);
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(ops, 1, &l.c, ctx, &out), 0);
	cr_assert_eq(out.nrows, 1);
	cr_assert_eq(out.ncols, 2);
	cr_assert(str_eq(out.cols[0].v.str[0], "banana"));
	cr_assert_eq(out.cols[1].v.i64[0], 102, "the other columns follow their row");
	ops_free(ops, 1);
	lines_free(&l);
}

Test(pipeline, filter_keeping_every_row_passes_vectors_through)
{
	static const char *const rows[] = { "a", "b" };
	struct lines l;
	lines_init(&l, rows, 2);
	struct sl_op ops[1] = { op_filter(call(SL_FN_IS_NOT_NULL, SL_TYPE_BOOLEAN, 1,
					       col(0, SL_TYPE_STRING))) };
	ops_prepare(ops, 1);
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(ops, 1, &l.c, ctx, &out), 0);
	cr_assert_eq(out.nrows, 2);
	cr_assert_eq(out.cols[0].v.str, l.s, "no copy when nothing is filtered out");
	ops_free(ops, 1);

	/* a NULL predicate keeps nothing */
	ops[0] = op_filter(lit_null(SL_TYPE_BOOLEAN));
	cr_assert_eq(sl_pipeline_run(ops, 1, &l.c, ctx, &out), 0);
	cr_assert_eq(out.nrows, 0);
	ops_free(ops, 1);
	lines_free(&l);
}

Test(pipeline, no_ops_is_the_input)
{
	static const char *const rows[] = { "a" };
	struct lines l;
	lines_init(&l, rows, 1);
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(NULL, 0, &l.c, ctx, &out), 0);
	cr_assert_eq(out.cols, l.c.cols);
	cr_assert_eq(out.nrows, 1);
	lines_free(&l);
}

Test(pipeline, project_then_filter)
{
	static const char *const rows[] = { "Hello", "World", NULL };
	struct lines l;
	lines_init(&l, rows, 3);
	struct sl_op ops[2] = {
		op_project(2, call(SL_FN_LOWER, SL_TYPE_STRING, 1, col(0, SL_TYPE_STRING)),
			   call(SL_FN_LENGTH, SL_TYPE_INT, 1, col(0, SL_TYPE_STRING))),
		op_filter(call(SL_FN_EQ, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING), lit_str("world"))),
	};
	ops_prepare(ops, 2);
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(ops, 2, &l.c, ctx, &out), 0);
	cr_assert_eq(out.nrows, 1);
	cr_assert(str_eq(out.cols[0].v.str[0], "world"));
	cr_assert_eq(out.cols[1].v.i64[0], 5);
	ops_free(ops, 2);
	lines_free(&l);
}

Test(pipeline, columns_dead_downstream_are_not_computed)
{
	/* The second column of the first PROJECT is an RLIKE that was never
	 * prepared (evaluating it fails); nothing after reads it, so the run
	 * succeeds because it is never evaluated. */
	static const char *const rows[] = { "a" };
	struct lines l;
	lines_init(&l, rows, 1);
	struct sl_op ops[2] = {
		op_project(2, col(0, SL_TYPE_STRING), rlike(0, "a")),
		op_project(1, col(0, SL_TYPE_STRING)),
	};
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(ops, 2, &l.c, ctx, &out), 0);
	cr_assert(str_eq(out.cols[0].v.str[0], "a"));
	/* and a live one is computed: the same op last fails */
	cr_assert_eq(sl_pipeline_run(ops, 1, &l.c, ctx, &out), -EINVAL);
	ops_free(ops, 2);
	lines_free(&l);
}

Test(pipeline, empty_chunk)
{
	struct lines l;
	lines_init(&l, NULL, 0);
	struct sl_op ops[3] = { op_filter(rlike(0, "a")), op_explode(split_of(0, " "), 3),
				op_project(2, col(2, SL_TYPE_STRING), col(1, SL_TYPE_BIGINT)) };
	ops_prepare(ops, 3);
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(ops, 3, &l.c, ctx, &out), 0);
	cr_assert_eq(out.nrows, 0);
	cr_assert_eq(out.ncols, 2);
	ops_free(ops, 3);
	lines_free(&l);
}

Test(pipeline, explode_without_an_output_schema_keeps_the_input_columns)
{
	/* op->out left empty: the row id must still follow each word. */
	static const char *const rows[] = { "a b", "c" };
	struct lines l;
	lines_init(&l, rows, 2);
	struct sl_op ops[2] = { op_explode(split_of(0, " "), 0),
				op_project(2, col(1, SL_TYPE_BIGINT), col(2, SL_TYPE_STRING)) };
	ops_prepare(ops, 2);
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(ops, 2, &l.c, ctx, &out), 0);
	cr_assert_eq(out.nrows, 3);
	static const int64_t want[3] = { 100, 100, 101 };
	for (uint32_t i = 0; i < 3; i++)
		cr_assert_eq(out.cols[0].v.i64[i], want[i]);
	ops_free(ops, 2);
	lines_free(&l);
}

/* ---- explode ---- */

Test(pipeline, explode_repeats_rows_and_drops_null_and_empty_arrays)
{
	/* A hand-built ARRAY<STRING> column whose rows' elements are out of
	 * order (so the element column is gathered): row 0 = [c, d], row 1 =
	 * null, row 2 = [], row 3 = [a, null, b]. */
	struct sl_str words[5] = { { "a", 1 }, { "", 0 }, { "b", 1 }, { "c", 1 }, { "d", 1 } };
	uint8_t wnull[5] = { 0, 1, 0, 0, 0 };
	struct sl_vec elem = { .type = SL_TYPE_STRING, .v.str = words, .nulls = wnull };
	struct sl_span spans[4] = { { 3, 2 }, { 0, 0 }, { 0, 0 }, { 0, 3 } };
	uint8_t anull[4] = { 0, 1, 0, 0 };
	int64_t ids[4] = { 10, 11, 12, 13 };
	struct sl_vec cols[2] = {
		{ .type = SL_TYPE_BIGINT, .v.i64 = ids },
		{ .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_STRING, .v.arr = spans, .nulls = anull,
		  .elem = &elem },
	};
	struct sl_chunk in = { 4, 2, cols };
	struct sl_op ops[1] = { op_explode(col(1, SL_TYPE_ARRAY), 3) };
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(ops, 1, &in, ctx, &out), 0);
	cr_assert_eq(out.nrows, 5);
	cr_assert_eq(out.ncols, 3);
	static const int64_t want_id[5] = { 10, 10, 13, 13, 13 };
	static const char *const want_w[5] = { "c", "d", "a", NULL, "b" };
	for (uint32_t i = 0; i < 5; i++) {
		cr_assert_eq(out.cols[0].v.i64[i], want_id[i], "row %u", i);
		if (want_w[i] == NULL)
			cr_assert(sl_vec_is_null(&out.cols[2], i), "element nulls are kept");
		else
			cr_assert(!sl_vec_is_null(&out.cols[2], i) &&
				  str_eq(out.cols[2].v.str[i], want_w[i]), "row %u", i);
	}
	ops_free(ops, 1);
}

Test(pipeline, explode_of_a_null_array_literal_gives_no_rows)
{
	static const char *const rows[] = { "a b" };
	struct lines l;
	lines_init(&l, rows, 1);
	struct sl_op ops[1] = { op_explode(lit_null(SL_TYPE_NULL), 3) };
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(ops, 1, &l.c, ctx, &out), 0);
	cr_assert_eq(out.nrows, 0);
	cr_assert_eq(out.ncols, 3);
	ops_free(ops, 1);
	lines_free(&l);
}

Test(pipeline, seed_word_count_pipeline)
{
	/* SELECT explode(split(value, ' ')) AS word FROM lines:
	 * EXPLODE then PROJECT [word]. */
	static const char *const rows[] = { "hello world", "hello", NULL, "", "a  b " };
	struct lines l;
	lines_init(&l, rows, 5);
	struct sl_op ops[2] = { op_explode(split_of(0, " "), 3),
				op_project(1, col(2, SL_TYPE_STRING)) };
	ops_prepare(ops, 2);
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(ops, 2, &l.c, ctx, &out), 0);
	static const char *const want[] = { "hello", "world", "hello", "", "a", "", "b", "" };
	cr_assert_eq(out.nrows, 8);
	cr_assert_eq(out.ncols, 1);
	for (uint32_t i = 0; i < 8; i++)
		cr_assert(str_eq(out.cols[0].v.str[i], want[i]), "word %u '%.*s'", i,
			  (int)out.cols[0].v.str[i].len, out.cols[0].v.str[i].ptr);
	/* zero copy: the words point into the lines */
	cr_assert_eq(out.cols[0].v.str[1].ptr, rows[0] + 6);
	ops_free(ops, 2);
	lines_free(&l);
}

/* ---- the fused word path equals the unfused one ---- */

static uint64_t rng_state = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/* Random lines: words from a small vocabulary (some non-ASCII) separated
 * by runs of spaces or tabs, leading and trailing spaces, empty lines,
 * long lines (past the 16-byte SIMD blocks), and null rows. */
static char *random_text(uint32_t nrows, const char **rows)
{
	static const char *const vocab[] = { "a", "to", "the", "sluice", "héllo", "wörld",
					     "streaming", "x", "verylongwordthatcrossesblocks" };
	size_t cap = (size_t)nrows * 400, used = 0;
	char *buf = malloc(cap);
	for (uint32_t r = 0; r < nrows; r++) {
		if (rnd(20) == 0) {
			rows[r] = NULL;
			continue;
		}
		char *start = buf + used;
		uint32_t nw = rnd(4) == 0 ? rnd(3) : rnd(30);
		if (rnd(5) == 0)
			buf[used++] = ' ';
		for (uint32_t w = 0; w < nw; w++) {
			const char *word = vocab[rnd(sizeof(vocab) / sizeof(vocab[0]))];
			memcpy(buf + used, word, strlen(word));
			used += strlen(word);
			if (w + 1 < nw) {
				uint32_t k = rnd(6);
				buf[used++] = k == 5 ? '\t' : ' ';
				if (k == 4)
					buf[used++] = ' ';
			}
		}
		if (rnd(5) == 0)
			buf[used++] = ' ';
		buf[used++] = '\0';
		rows[r] = start;
	}
	return buf;
}

static void check_fused_equals_unfused(const char *pat)
{
	enum { NROWS = 700 };
	const char *rows[NROWS];
	for (int round = 0; round < 5; round++) {
		char *text = random_text(NROWS, rows);
		struct lines l;
		lines_init(&l, rows, NROWS);

		/* fused: EXPLODE(split(value, p)) -> [value, id, word] */
		struct sl_op fused[1] = { op_explode(split_of(0, pat), 3) };
		/* unfused: PROJECT [value, id, split(value, p)], EXPLODE(col 2) ->
		 * [value, id, arr, word] */
		struct sl_op unfused[2] = {
			op_project(3, col(0, SL_TYPE_STRING), col(1, SL_TYPE_BIGINT), split_of(0, pat)),
			op_explode(col(2, SL_TYPE_ARRAY), 4),
		};
		ops_prepare(fused, 1);
		ops_prepare(unfused, 2);
		struct sl_chunk a, b;
		cr_assert_eq(sl_pipeline_run(fused, 1, &l.c, ctx, &a), 0);
		cr_assert_eq(sl_pipeline_run(unfused, 2, &l.c, ctx, &b), 0);
		cr_assert_eq(a.nrows, b.nrows, "pattern '%s': %u vs %u words", pat, a.nrows, b.nrows);
		cr_assert_gt(a.nrows, (uint32_t)NROWS);
		for (uint32_t i = 0; i < a.nrows; i++) {
			struct sl_str x = a.cols[2].v.str[i], y = b.cols[3].v.str[i];
			cr_assert(x.ptr == y.ptr && x.len == y.len, "pattern '%s', word %u", pat, i);
			cr_assert_eq(a.cols[1].v.i64[i], b.cols[1].v.i64[i]);
			cr_assert_eq(a.cols[0].v.str[i].ptr, b.cols[0].v.str[i].ptr);
		}
		/* and the words are exactly the row split by hand (one byte) */
		if (strlen(pat) == 1) {
			uint32_t k = 0;
			for (uint32_t r = 0; r < NROWS; r++) {
				if (rows[r] == NULL)
					continue;
				const char *p = rows[r];
				for (;;) {
					const char *q = strchr(p, pat[0]);
					size_t len = q ? (size_t)(q - p) : strlen(p);
					cr_assert(k < a.nrows);
					cr_assert(a.cols[2].v.str[k].ptr == p && a.cols[2].v.str[k].len == len,
						  "pattern '%s' row %u word %u: got '%.*s' (+%ld) want '%.*s'",
						  pat, r, k, (int)a.cols[2].v.str[k].len,
						  a.cols[2].v.str[k].ptr, (long)(a.cols[2].v.str[k].ptr - p),
						  (int)len, p);
					cr_assert_eq(a.cols[1].v.i64[k], 100 + r);
					k++;
					if (q == NULL)
						break;
					p = q + 1;
				}
			}
			cr_assert_eq(k, a.nrows);
		}
		ops_free(fused, 1);
		ops_free(unfused, 2);
		lines_free(&l);
		free(text);
		sl_eval_ctx_reset(ctx);
	}
}

Test(pipeline, fused_word_path_equals_unfused_on_random_text)
{
	check_fused_equals_unfused(" ");
	check_fused_equals_unfused("\t");
	check_fused_equals_unfused("o ");
	check_fused_equals_unfused("\\s+");
	check_fused_equals_unfused("[ \t]");
	check_fused_equals_unfused("(?:\\s)+");
}

/* ---- RLIKE sets ---- */

Test(pipeline, rlikes_on_one_input_share_one_pattern_set)
{
	struct sl_op ops[2] = {
		op_filter(call(SL_FN_OR, SL_TYPE_BOOLEAN, 2, rlike(0, "^a"), rlike(0, "z$"))),
		op_project(3, rlike(0, "b"), rlike(0, "c"), rlike(1, "b")),
	};
	struct sl_plan plan = { .nops = 2, .ops = ops };
	char err[256];
	cr_assert_eq(sl_plan_prepare(&plan, err, sizeof(err)), 0, "%s", err);
	const struct sl_rlike *f0 = ops[0].pred->args[0]->compiled;
	const struct sl_rlike *f1 = ops[0].pred->args[1]->compiled;
	const struct sl_rlike *p0 = ops[1].exprs[0]->compiled;
	const struct sl_rlike *p1 = ops[1].exprs[1]->compiled;
	const struct sl_rlike *p2 = ops[1].exprs[2]->compiled;
	cr_assert(f0 && f1 && p0 && p1 && p2);
	cr_assert_eq(f0->set, f1->set, "one set for the filter's two RLIKEs on col 0");
	cr_assert_neq(f0->bit, f1->bit);
	cr_assert_eq(p0->set, p1->set);
	cr_assert_neq(p0->set, f0->set, "another op runs on another chunk");
	cr_assert_neq(p2->set, p0->set, "another input, another set");

	/* and the shared scan gives each node its own answer */
	static const char *const rows[] = { "abc", "xyz", "bcz", "q", NULL };
	struct lines l;
	lines_init(&l, rows, 5);
	struct sl_vec id_as_str = { .type = SL_TYPE_STRING, .v.str = l.s, .nulls = l.nulls };
	l.v[1] = id_as_str; /* col 1 = the same strings */
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(ops, 2, &l.c, ctx, &out), 0);
	cr_assert_eq(out.nrows, 3); /* abc (^a), xyz (z$), bcz (z$) */
	static const int want[3][3] = { { 1, 1, 1 }, { 0, 0, 0 }, { 1, 1, 1 } };
	for (uint32_t i = 0; i < 3; i++)
		for (uint32_t j = 0; j < 3; j++)
			cr_assert_eq(out.cols[j].v.b[i], want[i][j], "row %u col %u", i, j);

	sl_plan_release(&plan);
	cr_assert_null(ops[0].pred->args[0]->compiled);
	cr_assert_null(ops[1].exprs[2]->compiled);
	ops_free(ops, 2);
	lines_free(&l);
}

Test(pipeline, cached_matches_do_not_outlive_their_chunk)
{
	/* The same chunk struct, rewritten between two runs without a reset:
	 * the second run must scan the new strings. */
	static const char *const first[] = { "apple", "kiwi" };
	static const char *const second[] = { "kiwi", "avocado" };
	struct lines l;
	lines_init(&l, first, 2);
	struct sl_op ops[1] = { op_filter(rlike(0, "^a")) };
	ops_prepare(ops, 1);
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(ops, 1, &l.c, ctx, &out), 0);
	cr_assert_eq(out.nrows, 1);
	cr_assert(str_eq(out.cols[0].v.str[0], "apple"));
	for (uint32_t i = 0; i < 2; i++)
		l.s[i] = (struct sl_str){ second[i], (uint32_t)strlen(second[i]) };
	cr_assert_eq(sl_pipeline_run(ops, 1, &l.c, ctx, &out), 0);
	cr_assert_eq(out.nrows, 1);
	cr_assert(str_eq(out.cols[0].v.str[0], "avocado"));
	ops_free(ops, 1);
	lines_free(&l);
}

Test(pipeline, more_than_64_rlikes_on_one_input_use_several_sets)
{
	enum { N = 70 };
	struct sl_op op = { .kind = SL_OP_PROJECT, .nexprs = N };
	op.exprs = calloc(N, sizeof(*op.exprs));
	char pat[16];
	for (int i = 0; i < N; i++) {
		snprintf(pat, sizeof(pat), "w%d$", i);
		op.exprs[i] = rlike(0, pat);
	}
	ops_prepare(&op, 1);
	const struct sl_rlike *a = op.exprs[0]->compiled, *b = op.exprs[69]->compiled;
	cr_assert_neq(a->set, b->set);
	static const char *const rows[] = { "w69", "w3", "w0" };
	struct lines l;
	lines_init(&l, rows, 3);
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(&op, 1, &l.c, ctx, &out), 0);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(out.cols[i].v.b[0], i == 69);
		cr_assert_eq(out.cols[i].v.b[1], i == 3);
		cr_assert_eq(out.cols[i].v.b[2], i == 0);
	}
	ops_free(&op, 1);
	lines_free(&l);
}

/* ---- plan preparation ---- */

Test(pipeline, plan_prepare_covers_keys_aggregates_having_and_out)
{
	struct sl_op ops[1] = { op_explode(split_of(0, "\\s+"), 3) };
	struct sl_expr *key = call(SL_FN_LOWER, SL_TYPE_STRING, 1, col(2, SL_TYPE_STRING));
	struct sl_expr *keys[1] = { key };
	struct sl_agg_spec aggs[1] = { { .fn = SL_AGG_COUNT,
					 .arg = call(SL_FN_LIKE, SL_TYPE_BOOLEAN, 2,
						     col(2, SL_TYPE_STRING), lit_str("a%")) } };
	struct sl_expr *having = rlike(0, "^h");
	struct sl_expr *outs[2] = { col(0, SL_TYPE_STRING), rlike(0, "o") };
	struct sl_plan plan = { .nops = 1, .ops = ops, .has_agg = true, .nkeys = 1, .keys = keys,
				.naggs = 1, .aggs = aggs, .having = having, .nout = 2, .out = outs };
	char err[256];
	cr_assert_eq(sl_plan_prepare(&plan, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(ops[0].gen->compiled);
	cr_assert_not_null(aggs[0].arg->compiled);
	cr_assert_not_null(having->compiled);
	cr_assert_not_null(outs[1]->compiled);
	/* having and out run on the aggregate chunk: one set for both */
	cr_assert_eq(((struct sl_rlike *)having->compiled)->set,
		     ((struct sl_rlike *)outs[1]->compiled)->set);
	sl_plan_release(&plan);
	cr_assert_null(ops[0].gen->compiled);
	cr_assert_null(aggs[0].arg->compiled);
	cr_assert_null(having->compiled);
	/* prepared again after a release */
	cr_assert_eq(sl_plan_prepare(&plan, err, sizeof(err)), 0, "%s", err);
	ops_free(ops, 1);
	sl_expr_free(key);
	sl_expr_free(aggs[0].arg);
	sl_expr_free(having);
	sl_expr_free(outs[0]);
	sl_expr_free(outs[1]);
}

Test(pipeline, plan_prepare_reports_a_bad_regex_and_leaves_nothing_prepared)
{
	struct sl_op ops[2] = {
		op_filter(call(SL_FN_LIKE, SL_TYPE_BOOLEAN, 2, col(0, SL_TYPE_STRING), lit_str("a%"))),
		op_project(2, rlike(0, "ok"), rlike(0, "(x)\\1")),
	};
	ops[1].exprs[1]->args[1]->line = 3;
	ops[1].exprs[1]->args[1]->column = 30;
	struct sl_plan plan = { .nops = 2, .ops = ops };
	char err[512] = "";
	cr_assert_eq(sl_plan_prepare(&plan, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "line 3, column 30: cannot compile regular expression '(x)\\1': "
			      "Back-references are unsupported; sluice supports the regular "
			      "expressions Hyperscan does (no back-references or look-around)");
	cr_assert_null(ops[0].pred->compiled);
	cr_assert_null(ops[1].exprs[0]->compiled);

	/* a split pattern Hyperscan refuses, in the same format */
	ops_free(ops, 2);
	ops[0] = op_explode(split_of(0, "(?<=a)b"), 3);
	ops[0].gen->args[1]->line = 1;
	ops[0].gen->args[1]->column = 40;
	plan = (struct sl_plan){ .nops = 1, .ops = ops };
	cr_assert_eq(sl_plan_prepare(&plan, err, sizeof(err)), -EINVAL);
	cr_assert(strncmp(err, "line 1, column 40: cannot compile regular expression '(?<=a)b': ",
			  62) == 0, "%s", err);
	ops_free(ops, 1);
}
