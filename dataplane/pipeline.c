/*
 * pipeline.c — filter, project and explode over a chunk, and plan set-up.
 *
 * A run first works out, from the last op back to the first, which columns
 * each op's output must really have (a bitmask per op; columns from 64 on
 * are always treated as needed), then runs the ops forward, each making a
 * new chunk in the ctx arena:
 *  - FILTER evaluates its predicate (null counts as false) and gathers the
 *    kept rows of the needed columns; when every row is kept the input
 *    vectors pass through untouched.
 *  - PROJECT evaluates the needed expressions.
 *  - EXPLODE repeats the needed input columns once per element. Its element
 *    column is the array's own element vector when the rows' elements are
 *    laid out in row order (what split produces), a gather otherwise; for
 *    explode(split(x, pattern)) without a positive limit the split kernel
 *    writes the words straight into the output column (sl_split_chunk with
 *    parents, no spans, no array).
 *  - JOIN_STATIC encodes each row's probe keys (key.h, in bursts), looks
 *    them up in the table's index (static_table.h: read-only, shared by
 *    every core), lists the candidate pairs (input row, table row), keeps
 *    those the residual condition passes (evaluated once over a chunk of
 *    all candidates), then emits per input row, in input order, its
 *    matches in table order (or, as the join type says, one row with NULL
 *    table columns, the row alone, or nothing) by gathering the needed
 *    input and table columns. Everything comes from the ctx arena.
 */
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "regex.h"
#include "static_table.h"

typedef uint64_t colmask;

#define ALL_COLS (~(colmask)0)

static inline bool col_live(colmask m, uint32_t c)
{
	return c >= 64 || ((m >> c) & 1);
}

static void expr_refs(const struct sl_expr *e, colmask *m)
{
	if (e == NULL)
		return;
	if (e->kind == SL_EXPR_COLUMN && e->col < 64)
		*m |= (colmask)1 << e->col;
	for (uint32_t k = 0; k < e->nargs; k++)
		expr_refs(e->args[k], m);
}

/* The columns of op's input that it needs to produce the live part of its
 * output. */
static colmask op_needs(const struct sl_op *op, colmask live_out)
{
	colmask need = 0;
	switch (op->kind) {
	case SL_OP_FILTER:
		expr_refs(op->pred, &need);
		need |= live_out;
		break;
	case SL_OP_PROJECT:
		for (uint32_t j = 0; j < op->nexprs; j++)
			if (col_live(live_out, j))
				expr_refs(op->exprs[j], &need);
		break;
	case SL_OP_EXPLODE: {
		/* Without an output schema, every input column may be needed. */
		uint32_t n_in = op->out.ncols > 0 ? op->out.ncols - 1 : 64;
		colmask in_cols = n_in >= 64 ? ALL_COLS : ((colmask)1 << n_in) - 1;
		expr_refs(op->gen, &need);
		need |= live_out & in_cols;
		break;
	}
	case SL_OP_JOIN_STATIC: {
		const struct sl_join *j = op->join;
		if (j == NULL)
			return ALL_COLS;
		colmask in_cols = j->nin >= 64 ? ALL_COLS : ((colmask)1 << j->nin) - 1;
		colmask r = 0;
		for (uint32_t k = 0; k < j->nkeys; k++)
			expr_refs(j->probe[k], &need);
		/* the residual reads [input..., table...]: its input part */
		expr_refs(j->residual, &r);
		need |= r & in_cols;
		for (uint32_t o = 0; o < op->out.ncols; o++)
			if (col_live(live_out, o) && j->src[o] < j->nin && j->src[o] < 64)
				need |= (colmask)1 << j->src[o];
		break;
	}
	}
	return need;
}

/* ---- vectors ---- */


static void dead_vec(struct sl_vec *v)
{
	memset(v, 0, sizeof(*v));
	v->type = SL_TYPE_NULL;
}

/* out[i] = src[idx[i]] for i < n (idx may repeat rows: explode). */
static int gather(const struct sl_vec *src, const uint32_t *idx, uint32_t n,
		  struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	*out = *src; /* type, elem_type, elem (arrays keep their elements) */
	out->nulls = NULL;
	const size_t w = sl_type_width(src->type);
	if (w == 0)
		return 0;
	void *dst = sl_eval_ctx_alloc(ctx, w * n);
	if (dst == NULL)
		return -ENOMEM;
	out->v.b = dst;
	switch (w) {
	case 1:
		for (uint32_t i = 0; i < n; i++)
			out->v.b[i] = src->v.b[idx[i]];
		break;
	case 8:
		for (uint32_t i = 0; i < n; i++)
			out->v.i64[i] = src->v.i64[idx[i]];
		break;
	default:
		for (uint32_t i = 0; i < n; i++)
			memcpy((char *)dst + i * w, (const char *)(const void *)src->v.b + (size_t)idx[i] * w, w);
		break;
	}
	if (src->nulls != NULL) {
		out->nulls = sl_eval_ctx_alloc(ctx, n);
		if (out->nulls == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; i < n; i++)
			out->nulls[i] = src->nulls[idx[i]];
	}
	return 0;
}

/* The rows [off, ...) of v, without copying. */
static void slice(const struct sl_vec *v, uint32_t off, struct sl_vec *out)
{
	*out = *v;
	const size_t w = sl_type_width(v->type);
	if (w > 0 && v->v.b != NULL)
		out->v.b = v->v.b + (size_t)off * w;
	if (v->nulls != NULL)
		out->nulls = v->nulls + off;
}

static int new_chunk(struct sl_eval_ctx *ctx, uint32_t ncols, uint32_t nrows,
		     struct sl_chunk *out)
{
	out->nrows = nrows;
	out->ncols = ncols;
	out->cols = sl_eval_ctx_alloc(ctx, (size_t)ncols * sizeof(*out->cols));
	return out->cols == NULL ? -ENOMEM : 0;
}

/* ---- ops ---- */

static int run_filter(const struct sl_op *op, colmask live_out, const struct sl_chunk *in,
		      struct sl_eval_ctx *ctx, struct sl_chunk *out)
{
	struct sl_vec p;
	int rc = sl_expr_eval(op->pred, in, ctx, &p);
	if (rc < 0)
		return rc;
	uint32_t *sel = sl_eval_ctx_alloc(ctx, (size_t)in->nrows * sizeof(*sel));
	if (sel == NULL)
		return -ENOMEM;
	uint32_t nsel = 0;
	if (p.type != SL_TYPE_NULL) {
		if (p.nulls == NULL) {
			for (uint32_t i = 0; i < in->nrows; i++) {
				sel[nsel] = i;
				nsel += p.v.b[i] != 0;
			}
		} else {
			for (uint32_t i = 0; i < in->nrows; i++) {
				sel[nsel] = i;
				nsel += p.v.b[i] != 0 && !p.nulls[i];
			}
		}
	}
	if ((rc = new_chunk(ctx, in->ncols, nsel, out)) < 0)
		return rc;
	for (uint32_t c = 0; c < in->ncols; c++) {
		if (nsel == in->nrows)
			out->cols[c] = in->cols[c];
		else if (!col_live(live_out, c))
			dead_vec(&out->cols[c]);
		else if ((rc = gather(&in->cols[c], sel, nsel, ctx, &out->cols[c])) < 0)
			return rc;
	}
	return 0;
}

static int run_project(const struct sl_op *op, colmask live_out, const struct sl_chunk *in,
		       struct sl_eval_ctx *ctx, struct sl_chunk *out)
{
	int rc = new_chunk(ctx, op->nexprs, in->nrows, out);
	if (rc < 0)
		return rc;
	for (uint32_t j = 0; j < op->nexprs; j++) {
		if (!col_live(live_out, j))
			dead_vec(&out->cols[j]);
		else if ((rc = sl_expr_eval(op->exprs[j], in, ctx, &out->cols[j])) < 0)
			return rc;
	}
	return 0;
}

/* explode(split(x, p)) without a positive limit: the split kernel writes
 * the words (pointing into x) straight into the output column. For a
 * literal p (the word count) that is memchr/SSE2 over the row. */
static bool fusable_split(const struct sl_expr *g)
{
	if (g->kind != SL_EXPR_CALL || g->fn != SL_FN_SPLIT || g->compiled == NULL)
		return false;
	if (g->nargs == 2)
		return true;
	const struct sl_expr *l = g->args[2];
	return g->nargs == 3 && l->kind == SL_EXPR_LITERAL && !l->lit.is_null &&
	       l->type != SL_TYPE_NULL && l->lit.v.i64 <= 0;
}

static int run_explode(const struct sl_op *op, colmask live_out, const struct sl_chunk *in,
		       struct sl_eval_ctx *ctx, struct sl_chunk *out)
{
	const uint32_t n_in = in->ncols;
	bool need_parents = false;
	for (uint32_t c = 0; c < n_in && !need_parents; c++)
		need_parents = col_live(live_out, c);

	struct sl_vec elem;
	const uint32_t *parents = NULL;
	uint32_t nout = 0;
	int rc;

	if (fusable_split(op->gen)) {
		struct sl_vec sv;
		struct sl_split_out so;
		if ((rc = sl_expr_eval(op->gen->args[0], in, ctx, &sv)) < 0)
			return rc;
		rc = sl_split_chunk(op->gen->compiled, ctx, &sv, in->nrows, NULL, -1, false,
				    need_parents, &so);
		if (rc < 0)
			return rc;
		memset(&elem, 0, sizeof(elem));
		elem.type = SL_TYPE_STRING;
		elem.v.str = so.words;
		nout = so.nwords;
		parents = so.parents;
		goto assemble;
	}

	struct sl_vec g;
	if ((rc = sl_expr_eval(op->gen, in, ctx, &g)) < 0)
		return rc;
	if (g.type == SL_TYPE_NULL) {
		dead_vec(&elem);
		elem.type = op->out.cols != NULL && op->out.ncols > n_in ? op->out.cols[n_in].type
									    : SL_TYPE_NULL;
		if (elem.type != SL_TYPE_NULL && sl_type_width(elem.type) > 0) {
			/* Zero rows of the element type. */
			elem.v.b = sl_eval_ctx_alloc(ctx, 0);
		}
		goto assemble;
	}
	if (g.type != SL_TYPE_ARRAY || g.elem == NULL)
		return -EINVAL;

	/* Rows' elements in row order, back to back: the element column is
	 * then a slice of the array's element vector. */
	bool dense = true;
	uint32_t first = 0, expect = 0;
	bool seen = false;
	for (uint32_t r = 0; r < in->nrows; r++) {
		if ((g.nulls != NULL && g.nulls[r]) || g.v.arr[r].len == 0)
			continue;
		if (!seen) {
			first = expect = g.v.arr[r].off;
			seen = true;
		}
		if (g.v.arr[r].off != expect)
			dense = false;
		expect = g.v.arr[r].off + g.v.arr[r].len;
		nout += g.v.arr[r].len;
	}
	uint32_t *par = NULL, *idx = NULL;
	if (need_parents) {
		par = sl_eval_ctx_alloc(ctx, (size_t)nout * sizeof(*par));
		if (par == NULL)
			return -ENOMEM;
	}
	if (!dense) {
		idx = sl_eval_ctx_alloc(ctx, (size_t)nout * sizeof(*idx));
		if (idx == NULL)
			return -ENOMEM;
	}
	if (par != NULL || idx != NULL) {
		uint32_t k = 0;
		for (uint32_t r = 0; r < in->nrows; r++) {
			if (g.nulls != NULL && g.nulls[r])
				continue;
			const struct sl_span sp = g.v.arr[r];
			for (uint32_t j = 0; j < sp.len; j++, k++) {
				if (par != NULL)
					par[k] = r;
				if (idx != NULL)
					idx[k] = sp.off + j;
			}
		}
	}
	parents = par;
	if (dense)
		slice(g.elem, first, &elem);
	else if ((rc = gather(g.elem, idx, nout, ctx, &elem)) < 0)
		return rc;

assemble:
	if ((rc = new_chunk(ctx, n_in + 1, nout, out)) < 0)
		return rc;
	for (uint32_t c = 0; c < n_in; c++) {
		if (!col_live(live_out, c))
			dead_vec(&out->cols[c]);
		else if ((rc = gather(&in->cols[c], parents, nout, ctx, &out->cols[c])) < 0)
			return rc;
	}
	out->cols[n_in] = elem;
	return 0;
}

/* ---- join with a static table ---- */

#define JOIN_NONE UINT32_MAX

/* gather() where idx[i] == JOIN_NONE gives a NULL (a row without a match);
 * the output always has a null map. */
static int gather_or_null(const struct sl_vec *src, const uint32_t *idx, uint32_t n,
			  struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	*out = *src;
	out->nulls = sl_eval_ctx_alloc(ctx, n);
	if (out->nulls == NULL)
		return -ENOMEM;
	const size_t w = sl_type_width(src->type);
	if (w == 0) {
		memset(out->nulls, 1, n);
		return 0;
	}
	char *dst = sl_eval_ctx_alloc(ctx, w * n);
	if (dst == NULL)
		return -ENOMEM;
	out->v.b = (uint8_t *)dst;
	const char *from = (const char *)(const void *)src->v.b;
	for (uint32_t i = 0; i < n; i++) {
		if (idx[i] == JOIN_NONE) {
			out->nulls[i] = 1;
			memset(dst + (size_t)i * w, 0, w);
			continue;
		}
		out->nulls[i] = src->nulls != NULL ? src->nulls[idx[i]] : 0;
		memcpy(dst + (size_t)i * w, from + (size_t)idx[i] * w, w);
	}
	return 0;
}

/* Each input row's matches in the index: cnt[r] rows from hit[r]. */
static int probe_rows(const struct sl_join *j, const struct sl_chunk *in,
		      struct sl_eval_ctx *ctx, uint32_t *cnt, const uint32_t **hit, uint64_t *total)
{
	const uint32_t n = in->nrows;
	struct sl_vec *kv = sl_eval_ctx_alloc(ctx, (size_t)j->nkeys * sizeof(*kv));
	struct sl_str *keys = sl_eval_ctx_alloc(ctx, (size_t)n * sizeof(*keys));
	uint64_t *hashes = sl_eval_ctx_alloc(ctx, (size_t)n * sizeof(*hashes));
	size_t cap = 16384;
	uint8_t *buf = sl_eval_ctx_alloc(ctx, cap);
	if (kv == NULL || keys == NULL || hashes == NULL || buf == NULL)
		return -ENOMEM;
	for (uint32_t k = 0; k < j->nkeys; k++) {
		int rc = sl_expr_eval(j->probe[k], in, ctx, &kv[k]);
		if (rc < 0)
			return rc;
	}
	*total = 0;
	for (uint32_t first = 0; first < n;) {
		/* a key with a NULL value carries the NULL tag, which no key
		 * in the index has: it finds nothing, as SQL's = says */
		uint32_t done = sl_key_encode_burst(kv, j->nkeys, first, n - first, buf, cap,
						    keys + first, hashes + first);
		if (done == 0) {
			/* one key larger than the buffer: a buffer of its size */
			cap = sl_key_encode(kv, j->nkeys, first, NULL, 0);
			buf = sl_eval_ctx_alloc(ctx, cap);
			if (buf == NULL)
				return -ENOMEM;
			continue;
		}
		for (uint32_t r = first; r < first + done; r++) {
			cnt[r] = sl_static_index_find(j->index, keys[r].ptr, keys[r].len, hashes[r],
						      &hit[r]);
			*total += cnt[r];
		}
		first += done;
	}
	return 0;
}

/* Which candidate pairs (pin[i], ptab[i]) the residual condition keeps:
 * pass[i], evaluated over a chunk of the pairs' [input..., table...]
 * columns (only those the condition reads are gathered). */
static int residual_pass(const struct sl_join *j, const struct sl_chunk *in,
			 const struct sl_vec *tcols, uint32_t tncols, const uint32_t *pin,
			 const uint32_t *ptab, uint32_t npairs, struct sl_eval_ctx *ctx,
			 uint8_t *pass)
{
	struct sl_chunk cand;
	int rc = new_chunk(ctx, j->nin + tncols, npairs, &cand);
	if (rc < 0)
		return rc;
	colmask refs = 0;
	expr_refs(j->residual, &refs);
	for (uint32_t c = 0; c < j->nin + tncols; c++) {
		if (!col_live(refs, c))
			dead_vec(&cand.cols[c]);
		else if (c < j->nin)
			rc = gather(&in->cols[c], pin, npairs, ctx, &cand.cols[c]);
		else
			rc = gather(&tcols[c - j->nin], ptab, npairs, ctx, &cand.cols[c]);
		if (rc < 0)
			return rc;
	}
	struct sl_vec p;
	if ((rc = sl_expr_eval(j->residual, &cand, ctx, &p)) < 0)
		return rc;
	for (uint32_t i = 0; i < npairs; i++)
		pass[i] = p.type != SL_TYPE_NULL && p.v.b[i] != 0 && !(p.nulls && p.nulls[i]);
	return 0;
}

static int run_join(const struct sl_op *op, colmask live_out, const struct sl_chunk *in,
		    struct sl_eval_ctx *ctx, struct sl_chunk *out)
{
	const struct sl_join *j = op->join;
	if (j == NULL || j->index == NULL || in->ncols != j->nin)
		return -EINVAL; /* not prepared, or a planner bug */
	const struct sl_static_table *t = sl_static_index_table(j->index);
	const struct sl_vec *tcols = sl_static_table_cols(t);
	const uint32_t tncols = sl_static_table_ncols(t);
	const uint32_t n = in->nrows;
	const bool keep_pairs = j->type == SL_JOIN_INNER || j->type == SL_JOIN_LEFT_OUTER ||
				j->type == SL_JOIN_RIGHT_OUTER;
	const bool outer = j->type == SL_JOIN_LEFT_OUTER || j->type == SL_JOIN_RIGHT_OUTER;

	uint32_t *cnt = sl_eval_ctx_alloc(ctx, (size_t)n * sizeof(*cnt));
	const uint32_t **hit = sl_eval_ctx_alloc(ctx, (size_t)n * sizeof(*hit));
	if (cnt == NULL || hit == NULL)
		return -ENOMEM;
	uint64_t total;
	int rc = probe_rows(j, in, ctx, cnt, hit, &total);
	if (rc < 0)
		return rc;
	if (total + n > UINT32_MAX)
		return -E2BIG; /* rows of one chunk are counted in 32 bits */

	/* the candidates, and the residual's verdict on each */
	const uint32_t npairs = (uint32_t)total;
	uint8_t *pass = NULL;
	uint32_t *ptab = NULL;
	if (j->residual != NULL || keep_pairs) {
		ptab = sl_eval_ctx_alloc(ctx, (size_t)npairs * sizeof(*ptab));
		if (ptab == NULL)
			return -ENOMEM;
		for (uint32_t r = 0, k = 0; r < n; r++)
			for (uint32_t q = 0; q < cnt[r]; q++)
				ptab[k++] = hit[r][q];
	}
	if (j->residual != NULL && npairs > 0) {
		uint32_t *pin = sl_eval_ctx_alloc(ctx, (size_t)npairs * sizeof(*pin));
		pass = sl_eval_ctx_alloc(ctx, npairs);
		if (pin == NULL || pass == NULL)
			return -ENOMEM;
		for (uint32_t r = 0, k = 0; r < n; r++)
			for (uint32_t q = 0; q < cnt[r]; q++)
				pin[k++] = r;
		if ((rc = residual_pass(j, in, tcols, tncols, pin, ptab, npairs, ctx, pass)) < 0)
			return rc;
	}

	/* the output rows: (input row, table row or JOIN_NONE) */
	const uint32_t cap = keep_pairs ? npairs + (outer ? n : 0) : n;
	uint32_t *oin = sl_eval_ctx_alloc(ctx, (size_t)cap * sizeof(*oin));
	uint32_t *otab = keep_pairs ? sl_eval_ctx_alloc(ctx, (size_t)cap * sizeof(*otab)) : NULL;
	if (oin == NULL || (keep_pairs && otab == NULL))
		return -ENOMEM;
	uint32_t m = 0;
	bool identity = true; /* input row r is output row r */
	for (uint32_t r = 0, k = 0; r < n; r++) {
		uint32_t hits = 0;
		for (uint32_t q = 0; q < cnt[r]; q++, k++) {
			if (pass != NULL && !pass[k])
				continue;
			hits++;
			if (keep_pairs) {
				identity = identity && m == r;
				oin[m] = r;
				otab[m++] = ptab[k];
			}
		}
		if ((outer && hits == 0) || (j->type == SL_JOIN_LEFT_SEMI && hits > 0) ||
		    (j->type == SL_JOIN_LEFT_ANTI && hits == 0)) {
			identity = identity && m == r;
			oin[m] = r;
			if (otab != NULL)
				otab[m] = JOIN_NONE;
			m++;
		}
	}
	identity = identity && m == n;

	if ((rc = new_chunk(ctx, op->out.ncols, m, out)) < 0)
		return rc;
	for (uint32_t o = 0; o < op->out.ncols; o++) {
		const uint32_t s = j->src[o];
		if (!col_live(live_out, o))
			dead_vec(&out->cols[o]);
		else if (s < j->nin && identity)
			out->cols[o] = in->cols[s];
		else if (s < j->nin)
			rc = gather(&in->cols[s], oin, m, ctx, &out->cols[o]);
		else if (otab != NULL && s - j->nin < tncols)
			rc = gather_or_null(&tcols[s - j->nin], otab, m, ctx, &out->cols[o]);
		else
			rc = -EINVAL; /* a table column in a semi or anti join's output */
		if (rc < 0)
			return rc;
	}
	return 0;
}

uint64_t sl_pipeline_needs(const struct sl_op *ops, uint32_t nops, uint64_t live_out)
{
	colmask m = live_out;
	for (uint32_t k = nops; k-- > 0;)
		m = op_needs(&ops[k], m);
	return m;
}

int sl_pipeline_run(const struct sl_op *ops, uint32_t nops, const struct sl_chunk *in,
		    struct sl_eval_ctx *ctx, struct sl_chunk *out)
{
	sl_eval_ctx_new_chunk(ctx);
	if (nops == 0) {
		*out = *in;
		return 0;
	}
	colmask *live = sl_eval_ctx_alloc(ctx, (size_t)nops * sizeof(*live));
	struct sl_chunk *chunks = sl_eval_ctx_alloc(ctx, (size_t)nops * sizeof(*chunks));
	if (live == NULL || chunks == NULL)
		return -ENOMEM;
	live[nops - 1] = ALL_COLS;
	for (uint32_t k = nops - 1; k > 0; k--)
		live[k - 1] = op_needs(&ops[k], live[k]);

	const struct sl_chunk *cur = in;
	for (uint32_t k = 0; k < nops; k++) {
		int rc;
		switch (ops[k].kind) {
		case SL_OP_FILTER:
			rc = run_filter(&ops[k], live[k], cur, ctx, &chunks[k]);
			break;
		case SL_OP_PROJECT:
			rc = run_project(&ops[k], live[k], cur, ctx, &chunks[k]);
			break;
		case SL_OP_EXPLODE:
			rc = run_explode(&ops[k], live[k], cur, ctx, &chunks[k]);
			break;
		case SL_OP_JOIN_STATIC:
			rc = run_join(&ops[k], live[k], cur, ctx, &chunks[k]);
			break;
		default:
			rc = -EINVAL;
			break;
		}
		if (rc < 0)
			return rc;
		cur = &chunks[k];
	}
	*out = *cur;
	return 0;
}

/* ---- plan set-up ---- */

static bool expr_equal(const struct sl_expr *a, const struct sl_expr *b)
{
	if (a == b)
		return true;
	if (a == NULL || b == NULL || a->kind != b->kind || a->type != b->type ||
	    a->elem_type != b->elem_type)
		return false;
	switch (a->kind) {
	case SL_EXPR_COLUMN:
		return a->col == b->col;
	case SL_EXPR_LITERAL:
		if (a->lit.is_null || b->lit.is_null)
			return a->lit.is_null == b->lit.is_null;
		if (a->lit.type != b->lit.type)
			return false;
		switch (a->lit.type) {
		case SL_TYPE_BOOLEAN:
			return a->lit.v.b == b->lit.v.b;
		case SL_TYPE_DOUBLE:
			return memcmp(&a->lit.v.f64, &b->lit.v.f64, sizeof(double)) == 0;
		case SL_TYPE_STRING:
		case SL_TYPE_BINARY:
			return a->lit.v.str.len == b->lit.v.str.len &&
			       (a->lit.v.str.len == 0 ||
				memcmp(a->lit.v.str.ptr, b->lit.v.str.ptr, a->lit.v.str.len) == 0);
		case SL_TYPE_NULL:
			return true;
		default:
			return a->lit.v.i64 == b->lit.v.i64;
		}
	case SL_EXPR_CALL:
		if (a->fn != b->fn || a->nargs != b->nargs)
			return false;
		for (uint32_t k = 0; k < a->nargs; k++)
			if (!expr_equal(a->args[k], b->args[k]))
				return false;
		return true;
	}
	return false;
}

/* The RLIKE nodes of the roots that run on one chunk. */
struct rlike_list {
	struct sl_expr **v;
	uint32_t n, cap;
};

static int collect_rlikes(struct sl_expr *e, struct rlike_list *l)
{
	if (e == NULL)
		return 0;
	for (uint32_t k = 0; k < e->nargs; k++) {
		int rc = collect_rlikes(e->args[k], l);
		if (rc < 0)
			return rc;
	}
	if (e->kind != SL_EXPR_CALL || e->fn != SL_FN_RLIKE || e->compiled != NULL ||
	    e->nargs != 2)
		return 0;
	const struct sl_expr *p = e->args[1];
	if (p->kind != SL_EXPR_LITERAL || p->type != SL_TYPE_STRING || p->lit.is_null)
		return 0; /* left to sl_expr_prepare (NULL result or its error) */
	for (uint32_t i = 0; i < l->n; i++)
		if (l->v[i] == e)
			return 0; /* a node shared between two roots */
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 16;
		struct sl_expr **v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = e;
	return 0;
}

/* Compile the RLIKEs of one chunk's roots, one set per input expression
 * (at most SL_REGEX_SET_MAX patterns a set). */
static int group_rlikes(struct sl_expr *const *roots, uint32_t nroots, char *err,
			size_t errlen)
{
	struct rlike_list l = { 0 };
	struct sl_expr **members = NULL;
	struct sl_str *pats = NULL;
	int rc = 0;

	for (uint32_t i = 0; i < nroots; i++)
		if ((rc = collect_rlikes(roots[i], &l)) < 0)
			goto out;
	if (l.n == 0)
		goto out;
	members = malloc(l.n * sizeof(*members));
	pats = malloc(l.n * sizeof(*pats));
	if (members == NULL || pats == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < l.n; i++) {
		if (l.v[i]->compiled != NULL)
			continue; /* already in an earlier set */
		uint32_t m = 0;
		for (uint32_t j = i; j < l.n && m < SL_REGEX_SET_MAX; j++) {
			if (l.v[j]->compiled == NULL &&
			    expr_equal(l.v[j]->args[0], l.v[i]->args[0])) {
				members[m] = l.v[j];
				pats[m] = l.v[j]->args[1]->lit.v.str;
				m++;
			}
		}
		char why[512];
		uint32_t bad = 0;
		struct sl_regex_set *set = sl_regex_set_compile(pats, m, &bad, why, sizeof(why));
		if (set == NULL) {
			if (errno != EINVAL) {
				rc = -ENOMEM;
				goto out;
			}
			const struct sl_expr *b = members[bad < m ? bad : 0];
			const struct sl_expr *at = b->args[1]->line != 0 ? b->args[1] : b;
			sl_regex_error(err, errlen, at->line, at->column, &pats[bad < m ? bad : 0], why);
			rc = -EINVAL;
			goto out;
		}
		for (uint32_t k = 0; k < m; k++) {
			struct sl_rlike *rl = malloc(sizeof(*rl));
			if (rl == NULL) {
				sl_regex_set_unref(set);
				rc = -ENOMEM;
				goto out;
			}
			sl_regex_set_ref(set);
			rl->set = set;
			rl->bit = k;
			members[k]->compiled = rl;
		}
		sl_regex_set_unref(set); /* the members hold it now */
	}
out:
	free(members);
	free(pats);
	free(l.v);
	return rc;
}

/* Calls fn on each group of roots that run on one chunk. */
static int for_each_chunk_roots(struct sl_plan *plan,
				int (*fn)(struct sl_expr *const *roots, uint32_t n,
					  char *err, size_t errlen),
				char *err, size_t errlen)
{
	struct sl_expr **roots;
	uint32_t cap = 8 + plan->nkeys + plan->naggs + plan->nout;
	for (uint32_t i = 0; i < sl_plan_ninputs(plan); i++) {
		const struct sl_input *in = sl_plan_input(plan, i);
		for (uint32_t k = 0; k < in->nops; k++)
			if (in->ops[k].nexprs + 2 > cap)
				cap = in->ops[k].nexprs + 2;
	}
	for (uint32_t i = 0; i < sl_plan_ninputs(plan); i++) {
		const struct sl_input *in = sl_plan_input(plan, i);
		for (uint32_t k = 0; k < in->nops; k++)
			if (in->ops[k].join != NULL && in->ops[k].join->nkeys + 2 > cap)
				cap = in->ops[k].join->nkeys + 2;
	}
	roots = malloc(cap * sizeof(*roots));
	if (roots == NULL)
		return -ENOMEM;
	int rc = 0;
	for (uint32_t i = 0; i < sl_plan_ninputs(plan) && rc == 0; i++) {
		const struct sl_input *in = sl_plan_input(plan, i);
		for (uint32_t k = 0; k < in->nops && rc == 0; k++) {
			const struct sl_op *op = &in->ops[k];
			const struct sl_join *jn = op->join;
			uint32_t n = 0;
			if (op->pred != NULL)
				roots[n++] = op->pred;
			if (op->gen != NULL)
				roots[n++] = op->gen;
			for (uint32_t j = 0; j < op->nexprs; j++)
				roots[n++] = op->exprs[j];
			for (uint32_t j = 0; jn != NULL && j < jn->nkeys; j++)
				roots[n++] = jn->probe[j];
			rc = fn(roots, n, err, errlen);
			if (jn == NULL || rc < 0)
				continue;
			/* a join's other chunks: the table's rows (the build
			 * keys) and the candidate pairs (the residual) */
			rc = fn(jn->build, jn->nkeys, err, errlen);
			if (rc == 0 && jn->residual != NULL)
				rc = fn((struct sl_expr *const *)&jn->residual, 1, err, errlen);
		}
	}
	if (rc == 0) {
		/* The pipeline output: keys and aggregate arguments, or, with
		 * no aggregation, having and out. */
		uint32_t n = 0;
		for (uint32_t j = 0; j < plan->nkeys; j++)
			roots[n++] = plan->keys[j];
		for (uint32_t j = 0; j < plan->naggs; j++)
			if (plan->aggs[j].arg != NULL)
				roots[n++] = plan->aggs[j].arg;
		if (!plan->has_agg) {
			if (plan->having != NULL)
				roots[n++] = plan->having;
			for (uint32_t j = 0; j < plan->nout; j++)
				roots[n++] = plan->out[j];
		}
		rc = fn(roots, n, err, errlen);
	}
	if (rc == 0 && plan->has_agg) {
		uint32_t n = 0;
		if (plan->having != NULL)
			roots[n++] = plan->having;
		for (uint32_t j = 0; j < plan->nout; j++)
			roots[n++] = plan->out[j];
		rc = fn(roots, n, err, errlen);
	}
	free(roots);
	return rc;
}

static int prepare_roots(struct sl_expr *const *roots, uint32_t n, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < n; i++) {
		int rc = sl_expr_prepare(roots[i], err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Input k of the plan, writable (sl_plan_input's is not). */
static struct sl_input *input_at(struct sl_plan *plan, uint32_t k)
{
	return k == 0 ? &plan->input : &plan->unions[k - 1];
}

static bool keys_equal(const struct sl_join *a, const struct sl_join *b)
{
	if (a->table != b->table || a->nkeys != b->nkeys)
		return false;
	for (uint32_t k = 0; k < a->nkeys; k++)
		if (!expr_equal(a->build[k], b->build[k]))
			return false;
	return true;
}

/* The index of join j (op k of input i): one already built for the same
 * table and keys (a UNION ALL repeats a join in every input), or a new
 * one. */
static int index_join(struct sl_plan *plan, uint32_t i, uint32_t k, struct sl_join *j, char *err,
		      size_t errlen)
{
	for (uint32_t pi = 0; pi <= i; pi++) {
		const struct sl_input *p = sl_plan_input(plan, pi);
		for (uint32_t pk = 0; pk < (pi == i ? k : p->nops); pk++) {
			const struct sl_join *o = p->ops[pk].join;
			if (o != NULL && o->index != NULL && keys_equal(o, j)) {
				j->index = sl_static_index_ref(o->index);
				return 0;
			}
		}
	}
	if (j->table >= plan->ntables)
		return -EINVAL;
	struct sl_table_spec *ts = &plan->tables[j->table];
	if (ts->data == NULL) {
		ts->data = sl_static_table_load(&ts->def, err, errlen);
		if (ts->data == NULL)
			return errno == ENOMEM ? -ENOMEM : -EINVAL;
	}
	j->index = sl_static_index_build(ts->data, j->build, j->nkeys, err, errlen);
	if (j->index == NULL)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	return 0;
}

/* Load the tables the joins read and index them by the joins' keys. */
static int prepare_joins(struct sl_plan *plan, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < sl_plan_ninputs(plan); i++) {
		struct sl_input *in = input_at(plan, i);
		for (uint32_t k = 0; k < in->nops; k++) {
			struct sl_join *j = in->ops[k].join;
			if (j == NULL || j->index != NULL)
				continue;
			int rc = index_join(plan, i, k, j, err, errlen);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int sl_plan_prepare(struct sl_plan *plan, char *err, size_t errlen)
{
	int rc = for_each_chunk_roots(plan, group_rlikes, err, errlen);
	if (rc == 0)
		rc = for_each_chunk_roots(plan, prepare_roots, err, errlen);
	if (rc < 0 && rc == -ENOMEM)
		snprintf(err, errlen, "out of memory preparing the query's expressions");
	if (rc == 0 && (rc = prepare_joins(plan, err, errlen)) == -ENOMEM)
		snprintf(err, errlen, "out of memory loading the query's static tables");
	if (rc < 0)
		sl_plan_release(plan);
	return rc;
}

void sl_plan_release(struct sl_plan *plan)
{
	if (plan == NULL)
		return;
	for (uint32_t i = 0; i < sl_plan_ninputs(plan); i++) {
		struct sl_input *in = input_at(plan, i);
		for (uint32_t k = 0; k < in->nops; k++) {
			sl_expr_release(in->ops[k].pred);
			sl_expr_release(in->ops[k].gen);
			for (uint32_t j = 0; j < in->ops[k].nexprs; j++)
				sl_expr_release(in->ops[k].exprs[j]);
			struct sl_join *jn = in->ops[k].join;
			if (jn == NULL)
				continue;
			for (uint32_t j = 0; j < jn->nkeys; j++) {
				sl_expr_release(jn->probe[j]);
				sl_expr_release(jn->build[j]);
			}
			sl_expr_release(jn->residual);
			sl_static_index_destroy(jn->index);
			jn->index = NULL;
		}
	}
	for (uint32_t t = 0; t < plan->ntables; t++) {
		sl_static_table_destroy(plan->tables[t].data);
		plan->tables[t].data = NULL;
	}
	for (uint32_t j = 0; j < plan->nkeys; j++)
		sl_expr_release(plan->keys[j]);
	for (uint32_t j = 0; j < plan->naggs; j++)
		sl_expr_release(plan->aggs[j].arg);
	sl_expr_release(plan->having);
	for (uint32_t j = 0; j < plan->nout; j++)
		sl_expr_release(plan->out[j]);
}
