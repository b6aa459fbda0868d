/*
 * expr.c — vectorised evaluation of expression trees (expr.h) with Spark
 * SQL's non-ANSI semantics, and the per-thread evaluation context.
 *
 * Evaluation is a loop per node over every row of the chunk: a CALL first
 * evaluates its arguments into whole vectors, then runs one tight loop.
 * There is no row-at-a-time tree walk.
 *
 * Invariants:
 *  - Vectors an evaluation returns live in the ctx arena until the next
 *    sl_eval_ctx_reset(), or point at the input: a column reference is the
 *    input's own vector, and TRIM, SUBSTR, split pieces and LOWER/UPPER of
 *    strings that need no change point into the input's bytes. Inputs are
 *    never written.
 *  - A vector's nulls array is never written once it has been handed out;
 *    results that change nullness get a fresh array.
 *  - The arena grows only while a core warms up: a reset after a round
 *    that needed several blocks merges them into one block of the total
 *    size, so steady state is a single block and reset is O(1).
 *  - Hyperscan scratch: one per context, grown by hs_alloc_scratch the
 *    first time each database is seen (a context serves the plans of one
 *    query; destroy it with the query, as a database freed and another
 *    allocated at the same address would not be seen as new).
 *
 * Text functions and where they stop short of Java:
 *  - LENGTH, SUBSTR and LIKE's `_` step characters as Spark's UTF8String
 *    does (by the first byte's length; a stray byte counts as one).
 *  - LOWER/UPPER map ASCII and every character of U+0080..U+07FF (Latin-1,
 *    Latin Extended-A/B, IPA, Greek, Cyrillic, Armenian) as Java's
 *    String.toLowerCase/toUpperCase(Locale.ROOT) do, including the
 *    one-to-many mappings (ß -> SS, İ -> i̇, ŉ, ǰ, ΐ, ΰ, և); characters of
 *    three or four bytes pass unchanged, and Greek capital sigma always
 *    lowers to σ (Java picks ς at the end of a word).
 *  - Invalid UTF-8 passes through as bytes (Spark would show U+FFFD).
 */
#include "expr.h"

#include <errno.h>
#include <hs/hs.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "format.h"
#include "regex.h"
#include "source.h" /* sl_parse_interval */

/* ------------------------------------------------------------------ */
/* per-thread context                                                 */
/* ------------------------------------------------------------------ */

#define ARENA_BLOCK ((size_t)1 << 20)
#define ARENA_ALIGN ((size_t)16)
#define MATCH_CACHE 8

/* 32 bytes, so that the data after it is 16-byte aligned like malloc's. */
struct arena_block {
	struct arena_block *next;
	size_t cap;
	size_t used;
	size_t pad;
};

/* RLIKE masks of one pattern set over one chunk (see eval_rlike). */
struct match_cache_entry {
	const struct sl_regex_set *set;
	const struct sl_chunk *in;
	const struct sl_vec *cols;
	uint32_t nrows;
	uint64_t gen;
	const uint64_t *masks;
	uint8_t *nulls;
	bool all_null;
};

/* Owned by one thread; nothing in it is shared. */
struct sl_eval_ctx {
	struct arena_block *head;
	struct arena_block *cur; /* the block allocations come from */
	size_t total;            /* capacity of every block */
	void *last;              /* newest allocation (for in-place growth) */
	uint64_t gen;            /* bumped per chunk: keys the match cache */
	hs_scratch_t *scratch;
	const hs_database_t **seen; /* databases the scratch was grown for */
	uint32_t nseen, capseen;
	struct match_cache_entry cache[MATCH_CACHE];
	uint32_t cache_next;
};

static inline unsigned char *block_data(struct arena_block *b)
{
	return (unsigned char *)(b + 1);
}

static struct arena_block *block_new(size_t cap)
{
	struct arena_block *b = malloc(sizeof(*b) + cap);
	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->cap = cap;
	b->used = 0;
	return b;
}

struct sl_eval_ctx *sl_eval_ctx_create(void)
{
	struct sl_eval_ctx *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->head = block_new(ARENA_BLOCK);
	if (ctx->head == NULL) {
		free(ctx);
		errno = ENOMEM;
		return NULL;
	}
	ctx->cur = ctx->head;
	ctx->total = ARENA_BLOCK;
	ctx->gen = 1;
	return ctx;
}

void sl_eval_ctx_destroy(struct sl_eval_ctx *ctx)
{
	if (ctx == NULL)
		return;
	for (struct arena_block *b = ctx->head, *next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	hs_free_scratch(ctx->scratch);
	free(ctx->seen);
	free(ctx);
}

void sl_eval_ctx_reset(struct sl_eval_ctx *ctx)
{
	ctx->gen++;
	if (ctx->head->next != NULL) {
		/* Warm-up: this round needed more than one block. One block of
		 * the total size serves the next rounds without growing. */
		struct arena_block *merged = block_new(ctx->total);
		struct arena_block *keep = merged != NULL ? NULL : ctx->head;
		for (struct arena_block *b = ctx->head, *next; b != NULL; b = next) {
			next = b->next;
			if (b != keep)
				free(b);
		}
		ctx->head = merged != NULL ? merged : keep;
		ctx->head->next = NULL;
		ctx->total = ctx->head->cap;
	}
	ctx->head->used = 0;
	ctx->cur = ctx->head;
	ctx->last = NULL;
}

void sl_eval_ctx_new_chunk(struct sl_eval_ctx *ctx)
{
	ctx->gen++;
}

void *sl_eval_ctx_alloc(struct sl_eval_ctx *ctx, size_t n)
{
	if (n > SIZE_MAX / 4)
		return NULL;
	n = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	struct arena_block *b = ctx->cur;
	if (b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		struct arena_block *nb = block_new(cap);
		if (nb == NULL)
			return NULL;
		b->next = nb;
		ctx->cur = nb;
		ctx->total += cap;
		b = nb;
	}
	void *p = block_data(b) + b->used;
	b->used += n;
	ctx->last = p;
	return p;
}

void *sl_eval_ctx_grow(struct sl_eval_ctx *ctx, void *p, size_t old_n, size_t new_n)
{
	if (new_n > SIZE_MAX / 4)
		return NULL;
	size_t old_r = (old_n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	size_t new_r = (new_n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	struct arena_block *b = ctx->cur;
	if (p != NULL && p == ctx->last &&
	    (unsigned char *)p + old_r == block_data(b) + b->used &&
	    (new_r <= old_r || new_r - old_r <= b->cap - b->used)) {
		b->used = b->used - old_r + new_r;
		return p;
	}
	void *q = sl_eval_ctx_alloc(ctx, new_n);
	if (q == NULL)
		return NULL;
	if (p != NULL)
		memcpy(q, p, old_n < new_n ? old_n : new_n);
	return q;
}

struct hs_scratch *sl_eval_ctx_scratch(struct sl_eval_ctx *ctx,
				       const struct hs_database *db)
{
	for (uint32_t i = 0; i < ctx->nseen; i++)
		if (ctx->seen[i] == db)
			return ctx->scratch;
	if (ctx->nseen == ctx->capseen) {
		uint32_t cap = ctx->capseen ? ctx->capseen * 2 : 8;
		const hs_database_t **s = realloc(ctx->seen, cap * sizeof(*s));
		if (s == NULL)
			return NULL;
		ctx->seen = s;
		ctx->capseen = cap;
	}
	if (hs_alloc_scratch(db, &ctx->scratch) != HS_SUCCESS)
		return NULL;
	ctx->seen[ctx->nseen++] = db;
	return ctx->scratch;
}

/* ------------------------------------------------------------------ */
/* vectors                                                            */
/* ------------------------------------------------------------------ */


static inline void *vec_data(const struct sl_vec *v)
{
	return (void *)v->v.b;
}

static uint8_t *alloc_nulls(struct sl_eval_ctx *ctx, uint32_t n, int fill)
{
	uint8_t *nl = sl_eval_ctx_alloc(ctx, n);
	if (nl != NULL)
		memset(nl, fill, n);
	return nl;
}

/* Storage for n values of type t (left uninitialised), no nulls. */
static int vec_alloc(struct sl_eval_ctx *ctx, struct sl_vec *out, enum sl_type t,
		     uint32_t n)
{
	memset(out, 0, sizeof(*out));
	out->type = t;
	size_t w = sl_type_width(t);
	if (w > 0) {
		void *p = sl_eval_ctx_alloc(ctx, w * n);
		if (p == NULL)
			return -ENOMEM;
		out->v.b = p;
	}
	return 0;
}

/* Every row null, of type t (storage allocated, so it can be read). */
static int vec_all_null(struct sl_eval_ctx *ctx, struct sl_vec *out, enum sl_type t,
			enum sl_type elem_type, uint32_t n)
{
	if (t == SL_TYPE_NULL) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	int rc = vec_alloc(ctx, out, t, n);
	if (rc < 0)
		return rc;
	memset(vec_data(out), 0, sl_type_width(t) * n);
	out->nulls = alloc_nulls(ctx, n, 1);
	if (out->nulls == NULL)
		return -ENOMEM;
	if (t == SL_TYPE_ARRAY) {
		out->elem_type = elem_type;
		out->elem = sl_eval_ctx_alloc(ctx, sizeof(*out->elem));
		if (out->elem == NULL)
			return -ENOMEM;
		memset(out->elem, 0, sizeof(*out->elem));
		out->elem->type = elem_type;
	}
	return 0;
}

/* The union of the nulls of a and b (NULL when neither has any). */
static int merge_nulls(struct sl_eval_ctx *ctx, const struct sl_vec *a,
		       const struct sl_vec *b, uint32_t n, uint8_t **out)
{
	const uint8_t *na = a != NULL ? a->nulls : NULL;
	const uint8_t *nb = b != NULL ? b->nulls : NULL;

	if (na == NULL && nb == NULL) {
		*out = NULL;
		return 0;
	}
	if (na == NULL || nb == NULL) {
		*out = (uint8_t *)(na != NULL ? na : nb); /* shared, never written */
		return 0;
	}
	uint8_t *nl = sl_eval_ctx_alloc(ctx, n);
	if (nl == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		nl[i] = na[i] | nb[i];
	*out = nl;
	return 0;
}

/* A writable copy of v's nulls (all zero when it has none). */
static uint8_t *own_nulls(struct sl_eval_ctx *ctx, const uint8_t *src, uint32_t n)
{
	uint8_t *nl = sl_eval_ctx_alloc(ctx, n);
	if (nl == NULL)
		return NULL;
	if (src != NULL)
		memcpy(nl, src, n);
	else
		memset(nl, 0, n);
	return nl;
}

static inline bool is_null_at(const struct sl_vec *v, uint32_t i)
{
	return v->nulls != NULL && v->nulls[i];
}

/* ------------------------------------------------------------------ */
/* literals                                                           */
/* ------------------------------------------------------------------ */

static int eval_literal(const struct sl_expr *e, uint32_t n, struct sl_eval_ctx *ctx,
			struct sl_vec *out)
{
	const struct sl_value *lit = &e->lit;
	if (e->type == SL_TYPE_NULL || lit->is_null || lit->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, e->type, e->elem_type, n);
	int rc = vec_alloc(ctx, out, e->type, n);
	if (rc < 0)
		return rc;
	switch (e->type) {
	case SL_TYPE_BOOLEAN:
		memset(out->v.b, lit->v.b ? 1 : 0, n);
		break;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
	case SL_TYPE_INTERVAL: {
		int64_t x = lit->type == SL_TYPE_DOUBLE ? (int64_t)lit->v.f64 : lit->v.i64;
		for (uint32_t i = 0; i < n; i++)
			out->v.i64[i] = x;
		break;
	}
	case SL_TYPE_DOUBLE: {
		double x = lit->type == SL_TYPE_DOUBLE ? lit->v.f64 : (double)lit->v.i64;
		for (uint32_t i = 0; i < n; i++)
			out->v.f64[i] = x;
		break;
	}
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		for (uint32_t i = 0; i < n; i++)
			out->v.str[i] = lit->v.str;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* logic and comparison                                               */
/* ------------------------------------------------------------------ */

/* Three-valued AND / OR: false AND null = false, true OR null = true. */
static int eval_and_or(bool is_and, const struct sl_vec *a, const struct sl_vec *b,
		       uint32_t n, struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	const bool a_all_null = a->type == SL_TYPE_NULL, b_all_null = b->type == SL_TYPE_NULL;
	int rc = vec_alloc(ctx, out, SL_TYPE_BOOLEAN, n);
	if (rc < 0)
		return rc;
	if (!a_all_null && !b_all_null && a->nulls == NULL && b->nulls == NULL) {
		if (is_and)
			for (uint32_t i = 0; i < n; i++)
				out->v.b[i] = a->v.b[i] & b->v.b[i];
		else
			for (uint32_t i = 0; i < n; i++)
				out->v.b[i] = a->v.b[i] | b->v.b[i];
		return 0;
	}
	out->nulls = sl_eval_ctx_alloc(ctx, n);
	if (out->nulls == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		bool an = a_all_null || is_null_at(a, i);
		bool bn = b_all_null || is_null_at(b, i);
		bool av = !an && a->v.b[i], bv = !bn && b->v.b[i];
		/* The deciding value: false for AND, true for OR. */
		bool decided = is_and ? (!an && !av) || (!bn && !bv) : av || bv;
		out->nulls[i] = !decided && (an || bn);
		out->v.b[i] = is_and ? !decided : decided;
	}
	return 0;
}

/* Spark orders doubles with NaN = NaN and NaN above everything; -0 = 0. */
static inline int cmp_double(double x, double y)
{
	if (x < y)
		return -1;
	if (x > y)
		return 1;
	if (x == y)
		return 0;
	bool xn = isnan(x), yn = isnan(y);
	return xn && yn ? 0 : xn ? 1 : -1;
}

static inline int cmp_str(const struct sl_str *x, const struct sl_str *y)
{
	uint32_t m = x->len < y->len ? x->len : y->len;
	int c = m > 0 ? memcmp(x->ptr, y->ptr, m) : 0;
	if (c != 0)
		return c < 0 ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
}

static inline uint8_t cmp_result(enum sl_fn fn, int c)
{
	switch (fn) {
	case SL_FN_EQ:
		return c == 0;
	case SL_FN_NE:
		return c != 0;
	case SL_FN_LT:
		return c < 0;
	case SL_FN_LE:
		return c <= 0;
	case SL_FN_GT:
		return c > 0;
	default:
		return c >= 0;
	}
}

#define CMP_LOOP(EXPR)                                                         \
	do {                                                                   \
		switch (fn) {                                                  \
		case SL_FN_EQ:                                                 \
			for (uint32_t i = 0; i < n; i++)                       \
				o[i] = (EXPR) == 0;                            \
			break;                                                 \
		case SL_FN_NE:                                                 \
			for (uint32_t i = 0; i < n; i++)                       \
				o[i] = (EXPR) != 0;                            \
			break;                                                 \
		default:                                                       \
			for (uint32_t i = 0; i < n; i++)                       \
				o[i] = cmp_result(fn, (EXPR));                 \
			break;                                                 \
		}                                                              \
	} while (0)

static int eval_compare(enum sl_fn fn, const struct sl_vec *a, const struct sl_vec *b,
			uint32_t n, struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	if (a->type == SL_TYPE_NULL || b->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, SL_TYPE_BOOLEAN, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, SL_TYPE_BOOLEAN, n);
	if (rc < 0 || (rc = merge_nulls(ctx, a, b, n, &out->nulls)) < 0)
		return rc;
	uint8_t *o = out->v.b;
	const uint8_t *nl = out->nulls;
	switch (a->type) {
	case SL_TYPE_BOOLEAN: {
		const uint8_t *x = a->v.b, *y = b->v.b;
		CMP_LOOP((int)(x[i] != 0) - (int)(y[i] != 0));
		break;
	}
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
	case SL_TYPE_INTERVAL: {
		const int64_t *x = a->v.i64, *y = b->v.i64;
		CMP_LOOP((x[i] > y[i]) - (x[i] < y[i]));
		break;
	}
	case SL_TYPE_DOUBLE: {
		const double *x = a->v.f64, *y = b->v.f64;
		CMP_LOOP(cmp_double(x[i], y[i]));
		break;
	}
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY: {
		/* Null rows hold garbage pointers: never compare them. Both
		 * order by unsigned bytes, the shorter first (Spark's
		 * UTF8String.compareTo and ByteArray.compareBinary). */
		const struct sl_str *x = a->v.str, *y = b->v.str;
		CMP_LOOP((nl != NULL && nl[i]) ? 0 : cmp_str(&x[i], &y[i]));
		break;
	}
	default:
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* arithmetic                                                         */
/* ------------------------------------------------------------------ */

/* INT wraps at 32 bits, BIGINT at 64, as Java's int and long. */
static inline int64_t wrap32(int64_t x)
{
	return (int64_t)(int32_t)(uint32_t)(uint64_t)x;
}

static inline int64_t wrap64(uint64_t x)
{
	return (int64_t)x;
}

static int as_double(const struct sl_vec *a, uint32_t n, struct sl_eval_ctx *ctx,
		     const double **out)
{
	if (a->type == SL_TYPE_DOUBLE) {
		*out = a->v.f64;
		return 0;
	}
	double *d = sl_eval_ctx_alloc(ctx, (size_t)n * sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		d[i] = (double)a->v.i64[i];
	*out = d;
	return 0;
}

static int eval_arith(enum sl_fn fn, enum sl_type t, const struct sl_vec *a,
		      const struct sl_vec *b, uint32_t n, struct sl_eval_ctx *ctx,
		      struct sl_vec *out)
{
	if (a->type == SL_TYPE_NULL || b->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, t, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, t, n);
	if (rc < 0 || (rc = merge_nulls(ctx, a, b, n, &out->nulls)) < 0)
		return rc;

	if (fn == SL_FN_DIV || fn == SL_FN_MOD) {
		/* Spark (non-ANSI): a zero divisor gives NULL, for every type. */
		uint8_t *nl = own_nulls(ctx, out->nulls, n);
		if (nl == NULL)
			return -ENOMEM;
		out->nulls = nl;
		if (fn == SL_FN_DIV || t == SL_TYPE_DOUBLE) {
			const double *x, *y;
			if ((rc = as_double(a, n, ctx, &x)) < 0 || (rc = as_double(b, n, ctx, &y)) < 0)
				return rc;
			double *o = out->v.f64;
			if (t != SL_TYPE_DOUBLE)
				return -EINVAL;
			for (uint32_t i = 0; i < n; i++) {
				bool zero = y[i] == 0.0;
				nl[i] |= zero;
				o[i] = zero ? 0.0 : fn == SL_FN_DIV ? x[i] / y[i] : fmod(x[i], y[i]);
			}
			return 0;
		}
		const int64_t *x = a->v.i64, *y = b->v.i64;
		int64_t *o = out->v.i64;
		for (uint32_t i = 0; i < n; i++) {
			bool zero = y[i] == 0;
			nl[i] |= zero;
			/* x % -1 is 0; in C, INT64_MIN % -1 would trap. */
			int64_t r = zero || y[i] == -1 ? 0 : x[i] % y[i];
			o[i] = t == SL_TYPE_INT ? wrap32(r) : r;
		}
		return 0;
	}

	switch (t) {
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP: /* + or - an INTERVAL (the planner's rules) */
	case SL_TYPE_INTERVAL: {
		const int64_t *x = a->v.i64, *y = b->v.i64;
		int64_t *o = out->v.i64;
		const bool w32 = t == SL_TYPE_INT;
		switch (fn) {
		case SL_FN_ADD:
			for (uint32_t i = 0; i < n; i++) {
				int64_t r = wrap64((uint64_t)x[i] + (uint64_t)y[i]);
				o[i] = w32 ? wrap32(r) : r;
			}
			break;
		case SL_FN_SUB:
			for (uint32_t i = 0; i < n; i++) {
				int64_t r = wrap64((uint64_t)x[i] - (uint64_t)y[i]);
				o[i] = w32 ? wrap32(r) : r;
			}
			break;
		case SL_FN_MUL:
			for (uint32_t i = 0; i < n; i++) {
				int64_t r = wrap64((uint64_t)x[i] * (uint64_t)y[i]);
				o[i] = w32 ? wrap32(r) : r;
			}
			break;
		default:
			return -EINVAL;
		}
		break;
	}
	case SL_TYPE_DOUBLE: {
		const double *x, *y;
		if ((rc = as_double(a, n, ctx, &x)) < 0 || (rc = as_double(b, n, ctx, &y)) < 0)
			return rc;
		double *o = out->v.f64;
		switch (fn) {
		case SL_FN_ADD:
			for (uint32_t i = 0; i < n; i++)
				o[i] = x[i] + y[i];
			break;
		case SL_FN_SUB:
			for (uint32_t i = 0; i < n; i++)
				o[i] = x[i] - y[i];
			break;
		case SL_FN_MUL:
			for (uint32_t i = 0; i < n; i++)
				o[i] = x[i] * y[i];
			break;
		default:
			return -EINVAL;
		}
		break;
	}
	default:
		return -EINVAL;
	}
	return 0;
}

static int eval_neg(enum sl_type t, const struct sl_vec *a, uint32_t n,
		    struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	if (a->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, t, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, t, n);
	if (rc < 0)
		return rc;
	out->nulls = a->nulls;
	switch (t) {
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_INTERVAL:
		for (uint32_t i = 0; i < n; i++) {
			int64_t r = wrap64(0 - (uint64_t)a->v.i64[i]);
			out->v.i64[i] = t == SL_TYPE_INT ? wrap32(r) : r;
		}
		return 0;
	case SL_TYPE_DOUBLE:
		for (uint32_t i = 0; i < n; i++)
			out->v.f64[i] = -a->v.f64[i];
		return 0;
	default:
		return -EINVAL;
	}
}

/* ------------------------------------------------------------------ */
/* LIKE                                                               */
/* ------------------------------------------------------------------ */

/*
 * A LIKE pattern, compiled: tokens are literal runs (len > 0, bytes in
 * pat) or `_` (len 0: one character); `%` splits the token list into
 * segments. The first segment is anchored at the start, the last at the
 * end, and those in between are found leftmost, which is optimal because
 * a `%` separates each from the next.
 */
struct like_tok {
	uint32_t off, len;
};

struct like_seg {
	uint32_t first, ntok; /* tokens[first .. first + ntok) */
};

struct sl_like {
	char *pat;
	struct like_tok *tok;
	struct like_seg *seg;
	uint32_t nseg;
};

static void like_free(struct sl_like *lk)
{
	if (lk == NULL)
		return;
	free(lk->pat);
	free(lk->tok);
	free(lk->seg);
	free(lk);
}

static struct sl_like *like_compile(const char *p, uint32_t len, char *why, size_t whylen)
{
	struct sl_like *lk = calloc(1, sizeof(*lk));
	if (lk == NULL)
		return NULL;
	lk->pat = malloc((size_t)len + 1);
	lk->tok = calloc((size_t)len + 1, sizeof(*lk->tok));
	lk->seg = calloc((size_t)len + 2, sizeof(*lk->seg));
	if (lk->pat == NULL || lk->tok == NULL || lk->seg == NULL)
		goto err_nomem;

	uint32_t npat = 0, ntok = 0;
	lk->seg[0].first = 0;
	lk->nseg = 1;
	for (uint32_t i = 0; i < len; i++) {
		char c = p[i];
		if (c == '\\') {
			if (i + 1 >= len) {
				snprintf(why, whylen, "it is not allowed to end with the escape character");
				goto err_inval;
			}
			c = p[++i];
			if (c != '_' && c != '%' && c != '\\') {
				snprintf(why, whylen,
					 "the escape character is not allowed to precede '%c'", c);
				goto err_inval;
			}
		} else if (c == '_') {
			lk->tok[ntok++] = (struct like_tok){ 0, 0 };
			continue;
		} else if (c == '%') {
			lk->seg[lk->nseg - 1].ntok = ntok - lk->seg[lk->nseg - 1].first;
			lk->seg[lk->nseg++].first = ntok;
			continue;
		}
		/* A literal byte: extend the current run or start one. */
		if (ntok > lk->seg[lk->nseg - 1].first && lk->tok[ntok - 1].len > 0 &&
		    lk->tok[ntok - 1].off + lk->tok[ntok - 1].len == npat)
			lk->tok[ntok - 1].len++;
		else
			lk->tok[ntok++] = (struct like_tok){ npat, 1 };
		lk->pat[npat++] = c;
	}
	lk->seg[lk->nseg - 1].ntok = ntok - lk->seg[lk->nseg - 1].first;
	return lk;

err_inval:
	like_free(lk);
	errno = EINVAL;
	return NULL;
err_nomem:
	like_free(lk);
	errno = ENOMEM;
	return NULL;
}

/* Match a segment forward from i, not past lim: its end, or -1. */
static int64_t seg_fwd(const struct sl_like *lk, const struct like_seg *sg,
		       const char *s, uint32_t i, uint32_t lim)
{
	for (uint32_t k = 0; k < sg->ntok; k++) {
		const struct like_tok *t = &lk->tok[sg->first + k];
		if (t->len == 0) {
			if (i >= lim)
				return -1;
			uint32_t cl = sl_utf8_len((uint8_t)s[i]);
			i = cl > lim - i ? lim : i + cl;
		} else {
			if (lim - i < t->len || memcmp(s + i, lk->pat + t->off, t->len) != 0)
				return -1;
			i += t->len;
		}
	}
	return i;
}

/* Match a segment backward so that it ends at end, not before lo: its
 * start, or -1. */
static int64_t seg_bwd(const struct sl_like *lk, const struct like_seg *sg,
		       const char *s, uint32_t lo, uint32_t end)
{
	uint32_t i = end;
	for (uint32_t k = sg->ntok; k-- > 0;) {
		const struct like_tok *t = &lk->tok[sg->first + k];
		if (t->len == 0) {
			if (i <= lo)
				return -1;
			i--;
			for (int steps = 0; steps < 3 && i > lo && ((uint8_t)s[i] & 0xC0) == 0x80; steps++)
				i--;
		} else {
			if (i - lo < t->len || memcmp(s + i - t->len, lk->pat + t->off, t->len) != 0)
				return -1;
			i -= t->len;
		}
	}
	return i;
}

/* The leftmost match of a floating segment within [pos, lim): its end. */
static int64_t seg_find(const struct sl_like *lk, const struct like_seg *sg,
			const char *s, uint32_t pos, uint32_t lim)
{
	const struct like_tok *t0 = &lk->tok[sg->first];
	while (pos <= lim) {
		if (t0->len > 0) {
			const char *hit = memmem(s + pos, lim - pos, lk->pat + t0->off, t0->len);
			if (hit == NULL)
				return -1;
			pos = (uint32_t)(hit - s);
		}
		int64_t e = seg_fwd(lk, sg, s, pos, lim);
		if (e >= 0)
			return e;
		if (pos >= lim)
			return -1;
		pos += t0->len > 0 ? 1 : sl_utf8_len((uint8_t)s[pos]);
	}
	return -1;
}

static bool like_match(const struct sl_like *lk, const char *s, uint32_t len)
{
	if (lk->nseg == 1)
		return seg_fwd(lk, &lk->seg[0], s, 0, len) == (int64_t)len;
	int64_t lo = seg_fwd(lk, &lk->seg[0], s, 0, len);
	if (lo < 0)
		return false;
	int64_t hi = seg_bwd(lk, &lk->seg[lk->nseg - 1], s, (uint32_t)lo, len);
	if (hi < 0)
		return false;
	uint32_t pos = (uint32_t)lo;
	for (uint32_t k = 1; k + 1 < lk->nseg; k++) {
		if (lk->seg[k].ntok == 0)
			continue;
		int64_t e = seg_find(lk, &lk->seg[k], s, pos, (uint32_t)hi);
		if (e < 0)
			return false;
		pos = (uint32_t)e;
	}
	return true;
}

static int eval_like(const struct sl_expr *e, const struct sl_vec *a, uint32_t n,
		     struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	const struct sl_like *lk = e->compiled;
	if (lk == NULL || a->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, SL_TYPE_BOOLEAN, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, SL_TYPE_BOOLEAN, n);
	if (rc < 0)
		return rc;
	out->nulls = a->nulls;
	for (uint32_t i = 0; i < n; i++) {
		if (is_null_at(a, i)) {
			out->v.b[i] = 0;
			continue;
		}
		const struct sl_str s = a->v.str[i];
		out->v.b[i] = like_match(lk, s.ptr != NULL ? s.ptr : "", s.len);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* RLIKE                                                              */
/* ------------------------------------------------------------------ */

/*
 * Every RLIKE node of a set tests the same input (sl_plan_prepare groups
 * them so), so the first node evaluated on a chunk scans each row once
 * with the whole set and caches the per-row masks; the others read their
 * bit. The cache is keyed by the chunk and the context's chunk
 * generation (bumped by reset and by sl_pipeline_run).
 */
static int eval_rlike(const struct sl_expr *e, const struct sl_chunk *in,
		      struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	const struct sl_rlike *rl = e->compiled;
	const uint32_t n = in->nrows;
	const struct match_cache_entry *hit = NULL;

	if (rl == NULL) {
		if (e->nargs == 2 && e->args[1]->kind == SL_EXPR_LITERAL &&
		    (e->args[1]->lit.is_null || e->args[1]->type == SL_TYPE_NULL))
			return vec_all_null(ctx, out, SL_TYPE_BOOLEAN, SL_TYPE_NULL, n);
		return -EINVAL; /* not prepared */
	}
	for (uint32_t k = 0; k < MATCH_CACHE; k++) {
		const struct match_cache_entry *c = &ctx->cache[k];
		if (c->set == rl->set && c->in == in && c->cols == in->cols &&
		    c->nrows == n && c->gen == ctx->gen) {
			hit = c;
			break;
		}
	}
	if (hit == NULL) {
		struct sl_vec sv;
		int rc = sl_expr_eval(e->args[0], in, ctx, &sv);
		if (rc < 0)
			return rc;
		uint64_t *masks = sl_eval_ctx_alloc(ctx, (size_t)n * sizeof(*masks));
		if (masks == NULL)
			return -ENOMEM;
		memset(masks, 0, (size_t)n * sizeof(*masks));
		if (sv.type != SL_TYPE_NULL &&
		    (rc = sl_regex_set_match(rl->set, ctx, &sv, n, masks)) < 0)
			return rc;
		struct match_cache_entry *c = &ctx->cache[ctx->cache_next];
		ctx->cache_next = (ctx->cache_next + 1) % MATCH_CACHE;
		*c = (struct match_cache_entry){
			.set = rl->set, .in = in, .cols = in->cols, .nrows = n,
			.gen = ctx->gen, .masks = masks, .nulls = sv.nulls,
			.all_null = sv.type == SL_TYPE_NULL,
		};
		hit = c;
	}
	if (hit->all_null)
		return vec_all_null(ctx, out, SL_TYPE_BOOLEAN, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, SL_TYPE_BOOLEAN, n);
	if (rc < 0)
		return rc;
	out->nulls = hit->nulls;
	for (uint32_t i = 0; i < n; i++)
		out->v.b[i] = (uint8_t)((hit->masks[i] >> rl->bit) & 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* LOWER / UPPER                                                      */
/* ------------------------------------------------------------------ */

/* Java's one-to-one case mappings for U+0080..U+07FF, as runs: cp in
 * [lo, hi] with (cp - lo) % stride == 0 maps to cp + delta. Generated from
 * Character/String case mapping (Locale.ROOT, Java 17). */
struct case_run {
	uint16_t lo, hi;
	uint8_t stride;
	int32_t delta;
};

static const struct case_run lower_runs[] = {
	{0x00C0, 0x00D6, 1, 32}, {0x00D8, 0x00DE, 1, 32}, {0x0100, 0x012E, 2, 1},
	{0x0132, 0x0136, 2, 1}, {0x0139, 0x0147, 2, 1}, {0x014A, 0x0176, 2, 1},
	{0x0178, 0x0178, 1, -121}, {0x0179, 0x017D, 2, 1}, {0x0181, 0x0181, 1, 210},
	{0x0182, 0x0184, 2, 1}, {0x0186, 0x0186, 1, 206}, {0x0187, 0x0187, 1, 1},
	{0x0189, 0x018A, 1, 205}, {0x018B, 0x018B, 1, 1}, {0x018E, 0x018E, 1, 79},
	{0x018F, 0x018F, 1, 202}, {0x0190, 0x0190, 1, 203}, {0x0191, 0x0191, 1, 1},
	{0x0193, 0x0193, 1, 205}, {0x0194, 0x0194, 1, 207}, {0x0196, 0x0196, 1, 211},
	{0x0197, 0x0197, 1, 209}, {0x0198, 0x0198, 1, 1}, {0x019C, 0x019C, 1, 211},
	{0x019D, 0x019D, 1, 213}, {0x019F, 0x019F, 1, 214}, {0x01A0, 0x01A4, 2, 1},
	{0x01A6, 0x01A6, 1, 218}, {0x01A7, 0x01A7, 1, 1}, {0x01A9, 0x01A9, 1, 218},
	{0x01AC, 0x01AC, 1, 1}, {0x01AE, 0x01AE, 1, 218}, {0x01AF, 0x01AF, 1, 1},
	{0x01B1, 0x01B2, 1, 217}, {0x01B3, 0x01B5, 2, 1}, {0x01B7, 0x01B7, 1, 219},
	{0x01B8, 0x01B8, 1, 1}, {0x01BC, 0x01BC, 1, 1}, {0x01C4, 0x01C4, 1, 2},
	{0x01C5, 0x01C5, 1, 1}, {0x01C7, 0x01C7, 1, 2}, {0x01C8, 0x01C8, 1, 1},
	{0x01CA, 0x01CA, 1, 2}, {0x01CB, 0x01DB, 2, 1}, {0x01DE, 0x01EE, 2, 1},
	{0x01F1, 0x01F1, 1, 2}, {0x01F2, 0x01F4, 2, 1}, {0x01F6, 0x01F6, 1, -97},
	{0x01F7, 0x01F7, 1, -56}, {0x01F8, 0x021E, 2, 1}, {0x0220, 0x0220, 1, -130},
	{0x0222, 0x0232, 2, 1}, {0x023A, 0x023A, 1, 10795}, {0x023B, 0x023B, 1, 1},
	{0x023D, 0x023D, 1, -163}, {0x023E, 0x023E, 1, 10792}, {0x0241, 0x0241, 1, 1},
	{0x0243, 0x0243, 1, -195}, {0x0244, 0x0244, 1, 69}, {0x0245, 0x0245, 1, 71},
	{0x0246, 0x024E, 2, 1}, {0x0370, 0x0372, 2, 1}, {0x0376, 0x0376, 1, 1},
	{0x037F, 0x037F, 1, 116}, {0x0386, 0x0386, 1, 38}, {0x0388, 0x038A, 1, 37},
	{0x038C, 0x038C, 1, 64}, {0x038E, 0x038F, 1, 63}, {0x0391, 0x03A1, 1, 32},
	{0x03A3, 0x03AB, 1, 32}, {0x03CF, 0x03CF, 1, 8}, {0x03D8, 0x03EE, 2, 1},
	{0x03F4, 0x03F4, 1, -60}, {0x03F7, 0x03F7, 1, 1}, {0x03F9, 0x03F9, 1, -7},
	{0x03FA, 0x03FA, 1, 1}, {0x03FD, 0x03FF, 1, -130}, {0x0400, 0x040F, 1, 80},
	{0x0410, 0x042F, 1, 32}, {0x0460, 0x0480, 2, 1}, {0x048A, 0x04BE, 2, 1},
	{0x04C0, 0x04C0, 1, 15}, {0x04C1, 0x04CD, 2, 1}, {0x04D0, 0x052E, 2, 1},
	{0x0531, 0x0556, 1, 48},
};

static const struct case_run upper_runs[] = {
	{0x00B5, 0x00B5, 1, 743}, {0x00E0, 0x00F6, 1, -32}, {0x00F8, 0x00FE, 1, -32},
	{0x00FF, 0x00FF, 1, 121}, {0x0101, 0x012F, 2, -1}, {0x0131, 0x0131, 1, -232},
	{0x0133, 0x0137, 2, -1}, {0x013A, 0x0148, 2, -1}, {0x014B, 0x0177, 2, -1},
	{0x017A, 0x017E, 2, -1}, {0x017F, 0x017F, 1, -300}, {0x0180, 0x0180, 1, 195},
	{0x0183, 0x0185, 2, -1}, {0x0188, 0x0188, 1, -1}, {0x018C, 0x018C, 1, -1},
	{0x0192, 0x0192, 1, -1}, {0x0195, 0x0195, 1, 97}, {0x0199, 0x0199, 1, -1},
	{0x019A, 0x019A, 1, 163}, {0x019E, 0x019E, 1, 130}, {0x01A1, 0x01A5, 2, -1},
	{0x01A8, 0x01A8, 1, -1}, {0x01AD, 0x01AD, 1, -1}, {0x01B0, 0x01B0, 1, -1},
	{0x01B4, 0x01B6, 2, -1}, {0x01B9, 0x01B9, 1, -1}, {0x01BD, 0x01BD, 1, -1},
	{0x01BF, 0x01BF, 1, 56}, {0x01C5, 0x01C5, 1, -1}, {0x01C6, 0x01C6, 1, -2},
	{0x01C8, 0x01C8, 1, -1}, {0x01C9, 0x01C9, 1, -2}, {0x01CB, 0x01CB, 1, -1},
	{0x01CC, 0x01CC, 1, -2}, {0x01CE, 0x01DC, 2, -1}, {0x01DD, 0x01DD, 1, -79},
	{0x01DF, 0x01EF, 2, -1}, {0x01F2, 0x01F2, 1, -1}, {0x01F3, 0x01F3, 1, -2},
	{0x01F5, 0x01F5, 1, -1}, {0x01F9, 0x021F, 2, -1}, {0x0223, 0x0233, 2, -1},
	{0x023C, 0x023C, 1, -1}, {0x023F, 0x0240, 1, 10815}, {0x0242, 0x0242, 1, -1},
	{0x0247, 0x024F, 2, -1}, {0x0250, 0x0250, 1, 10783}, {0x0251, 0x0251, 1, 10780},
	{0x0252, 0x0252, 1, 10782}, {0x0253, 0x0253, 1, -210}, {0x0254, 0x0254, 1, -206},
	{0x0256, 0x0257, 1, -205}, {0x0259, 0x0259, 1, -202}, {0x025B, 0x025B, 1, -203},
	{0x025C, 0x025C, 1, 42319}, {0x0260, 0x0260, 1, -205}, {0x0261, 0x0261, 1, 42315},
	{0x0263, 0x0263, 1, -207}, {0x0265, 0x0265, 1, 42280}, {0x0266, 0x0266, 1, 42308},
	{0x0268, 0x0268, 1, -209}, {0x0269, 0x0269, 1, -211}, {0x026A, 0x026A, 1, 42308},
	{0x026B, 0x026B, 1, 10743}, {0x026C, 0x026C, 1, 42305}, {0x026F, 0x026F, 1, -211},
	{0x0271, 0x0271, 1, 10749}, {0x0272, 0x0272, 1, -213}, {0x0275, 0x0275, 1, -214},
	{0x027D, 0x027D, 1, 10727}, {0x0280, 0x0280, 1, -218}, {0x0282, 0x0282, 1, 42307},
	{0x0283, 0x0283, 1, -218}, {0x0287, 0x0287, 1, 42282}, {0x0288, 0x0288, 1, -218},
	{0x0289, 0x0289, 1, -69}, {0x028A, 0x028B, 1, -217}, {0x028C, 0x028C, 1, -71},
	{0x0292, 0x0292, 1, -219}, {0x029D, 0x029D, 1, 42261}, {0x029E, 0x029E, 1, 42258},
	{0x0345, 0x0345, 1, 84}, {0x0371, 0x0373, 2, -1}, {0x0377, 0x0377, 1, -1},
	{0x037B, 0x037D, 1, 130}, {0x03AC, 0x03AC, 1, -38}, {0x03AD, 0x03AF, 1, -37},
	{0x03B1, 0x03C1, 1, -32}, {0x03C2, 0x03C2, 1, -31}, {0x03C3, 0x03CB, 1, -32},
	{0x03CC, 0x03CC, 1, -64}, {0x03CD, 0x03CE, 1, -63}, {0x03D0, 0x03D0, 1, -62},
	{0x03D1, 0x03D1, 1, -57}, {0x03D5, 0x03D5, 1, -47}, {0x03D6, 0x03D6, 1, -54},
	{0x03D7, 0x03D7, 1, -8}, {0x03D9, 0x03EF, 2, -1}, {0x03F0, 0x03F0, 1, -86},
	{0x03F1, 0x03F1, 1, -80}, {0x03F2, 0x03F2, 1, 7}, {0x03F3, 0x03F3, 1, -116},
	{0x03F5, 0x03F5, 1, -96}, {0x03F8, 0x03F8, 1, -1}, {0x03FB, 0x03FB, 1, -1},
	{0x0430, 0x044F, 1, -32}, {0x0450, 0x045F, 1, -80}, {0x0461, 0x0481, 2, -1},
	{0x048B, 0x04BF, 2, -1}, {0x04C2, 0x04CE, 2, -1}, {0x04CF, 0x04CF, 1, -15},
	{0x04D1, 0x052F, 2, -1}, {0x0561, 0x0586, 1, -48},
};

/* Mappings to more than one character (Java's SpecialCasing). */
static const char *case_special(uint32_t cp, bool upper)
{
	if (!upper)
		return cp == 0x0130 ? "i\xCC\x87" : NULL;
	switch (cp) {
	case 0x00DF:
		return "SS";
	case 0x0149:
		return "\xCA\xBC" "N";
	case 0x01F0:
		return "J\xCC\x8C";
	case 0x0390:
		return "\xCE\x99\xCC\x88\xCC\x81";
	case 0x03B0:
		return "\xCE\xA5\xCC\x88\xCC\x81";
	case 0x0587:
		return "\xD4\xB5\xD5\x92";
	default:
		return NULL;
	}
}

static uint32_t case_map_cp(uint32_t cp, bool upper)
{
	const struct case_run *runs = upper ? upper_runs : lower_runs;
	size_t lo = 0, hi = upper ? sizeof(upper_runs) / sizeof(upper_runs[0])
				  : sizeof(lower_runs) / sizeof(lower_runs[0]);
	/* The last run starting at or before cp. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (runs[mid].lo <= cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return cp;
	const struct case_run *r = &runs[lo - 1];
	if (cp > r->hi || (cp - r->lo) % r->stride != 0)
		return cp;
	return (uint32_t)((int32_t)cp + r->delta);
}

static uint32_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	o[0] = (char)(0xE0 | (cp >> 12));
	o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

/* Case-map s into o (room for 3 * len bytes); the length written. */
static uint32_t case_map(const char *s, uint32_t len, bool upper, char *o)
{
	const uint8_t *u = (const uint8_t *)s;
	uint32_t n = 0;
	for (uint32_t i = 0; i < len;) {
		uint8_t b = u[i];
		if (b < 0x80) {
			if (upper)
				o[n++] = (char)(b >= 'a' && b <= 'z' ? b - 32 : b);
			else
				o[n++] = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
			i++;
			continue;
		}
		if (b >= 0xC2 && b <= 0xDF && i + 1 < len && (u[i + 1] & 0xC0) == 0x80) {
			uint32_t cp = ((uint32_t)(b & 0x1F) << 6) | (u[i + 1] & 0x3F);
			const char *sp = case_special(cp, upper);
			if (sp != NULL) {
				size_t l = strlen(sp);
				memcpy(o + n, sp, l);
				n += (uint32_t)l;
			} else {
				n += put_utf8(o + n, case_map_cp(cp, upper));
			}
			i += 2;
			continue;
		}
		o[n++] = (char)b; /* 3- and 4-byte characters, stray bytes */
		i++;
	}
	return n;
}

/* Whether case mapping could change s: ASCII letters of the other case,
 * or any non-ASCII byte (checked precisely by case_map). */
static bool case_may_change(const char *s, uint32_t len, bool upper)
{
	const uint8_t *u = (const uint8_t *)s;
	const uint8_t lo = upper ? 'a' : 'A';
	for (uint32_t i = 0; i < len; i++)
		if (u[i] >= 0x80 || (uint8_t)(u[i] - lo) < 26)
			return true;
	return false;
}

static int eval_case(bool upper, const struct sl_vec *a, uint32_t n,
		     struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	if (a->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, SL_TYPE_STRING, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, SL_TYPE_STRING, n);
	if (rc < 0)
		return rc;
	out->nulls = a->nulls;
	for (uint32_t i = 0; i < n; i++) {
		if (is_null_at(a, i))
			continue;
		const struct sl_str *s = &a->v.str[i];
		if (!case_may_change(s->ptr, s->len, upper)) {
			out->v.str[i] = *s;
			continue;
		}
		size_t room = (size_t)s->len * 3;
		char *o = sl_eval_ctx_alloc(ctx, room);
		if (o == NULL)
			return -ENOMEM;
		uint32_t l = case_map(s->ptr, s->len, upper, o);
		/* Give back what the mapping did not use. */
		sl_eval_ctx_grow(ctx, o, room, l);
		out->v.str[i] = (struct sl_str){ o, l };
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* LENGTH, SUBSTR, CONCAT, TRIM                                       */
/* ------------------------------------------------------------------ */

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t w;
	memcpy(&w, p, 4);
	return w;
}

static uint32_t num_chars_walk(const uint8_t *u, uint32_t len);

/* Characters as Spark's UTF8String.numChars counts them. An all-ASCII
 * string (most are) is one character a byte: its 8-byte words ORed
 * together, the last one overlapping the one before, and one test, inline
 * and without a branch per word; anything else walks the characters. */
static inline __attribute__((always_inline)) uint32_t num_chars(const char *s, uint32_t len)
{
	const uint8_t *u = (const uint8_t *)s;
#if defined(__SSE2__)
	if (len >= 16) {
		/* 16 bytes a load: a 36-byte id is three loads, not five */
		__m128i any = _mm_loadu_si128((const __m128i *)(const void *)(u + len - 16));
		for (uint32_t j = 0; j + 16 <= len; j += 16)
			any = _mm_or_si128(any, _mm_loadu_si128((const __m128i *)(const void *)(u + j)));
		if (_mm_movemask_epi8(any) == 0)
			return len;
		return num_chars_walk(u, len);
	}
#endif
	if (len >= 8) {
		uint64_t any = load64(u + len - 8);
		for (uint32_t j = 0; j + 8 <= len; j += 8)
			any |= load64(u + j);
		if ((any & 0x8080808080808080ull) == 0)
			return len;
	} else if (len >= 4) {
		if (((load32(u) | load32(u + len - 4)) & 0x80808080u) == 0)
			return len;
	}
	return num_chars_walk(u, len);
}

static __attribute__((noinline)) uint32_t num_chars_walk(const uint8_t *u, uint32_t len)
{
	uint32_t c = 0, i = 0;
	while (i < len) {
		/* eight bytes at a time, and an ASCII tail at once: ASCII is one
		 * character a byte (tools/bench files: short words spent most
		 * of length() going through their tail byte by byte) */
		if (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, u + i, 8);
			if ((w & 0x8080808080808080ull) == 0) {
				i += 8;
				c += 8;
				continue;
			}
		} else {
			uint8_t any = 0;
			for (uint32_t j = i; j < len; j++)
				any |= u[j];
			if ((any & 0x80) == 0)
				return c + (len - i);
		}
		i += sl_utf8_len(u[i]);
		c++;
	}
	return c;
}

static int eval_length(const struct sl_vec *a, uint32_t n, struct sl_eval_ctx *ctx,
		       struct sl_vec *out)
{
	if (a->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, SL_TYPE_INT, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, SL_TYPE_INT, n);
	if (rc < 0)
		return rc;
	out->nulls = a->nulls;
	if (a->type == SL_TYPE_BINARY) {
		/* a binary's length is its bytes */
		for (uint32_t i = 0; i < n; i++)
			out->v.i64[i] = is_null_at(a, i) ? 0 : a->v.str[i].len;
		return 0;
	}
	if (a->ascii != NULL && a->ascii == a->v.str) {
		/* every string ASCII (sl_vec.ascii): a character a byte */
		for (uint32_t i = 0; i < n; i++)
			out->v.i64[i] = is_null_at(a, i) ? 0 : a->v.str[i].len;
		return 0;
	}
	for (uint32_t i = 0; i < n; i++)
		out->v.i64[i] = is_null_at(a, i) ? 0 : num_chars(a->v.str[i].ptr, a->v.str[i].len);
	return 0;
}

/* Spark's UTF8String.substringSQL(pos, len): 1-based, 0 is 1, negative
 * counts from the end; the result points into s. With bytes, a BINARY's
 * ByteArray.subStringSQL: the same, counted in bytes. */
static struct sl_str substr_sql(struct sl_str s, int64_t pos, int64_t length, bool bytes)
{
	const uint8_t *u = (const uint8_t *)s.ptr;
	int64_t start;
	if (pos > 0)
		start = pos - 1;
	else if (pos < 0)
		start = (int64_t)(bytes ? s.len : num_chars(s.ptr, s.len)) + pos;
	else
		start = 0;
	int64_t end = start + length;
	if (end > INT32_MAX)
		end = INT32_MAX;
	if (end < INT32_MIN)
		end = INT32_MIN;
	struct sl_str r = { s.ptr, 0 };
	if (end <= start || start >= (int64_t)s.len)
		return r;
	if (bytes) {
		int64_t b = start < 0 ? 0 : start, e = end < (int64_t)s.len ? end : (int64_t)s.len;
		if (e > b) {
			r.ptr = s.ptr + b;
			r.len = (uint32_t)(e - b);
		}
		return r;
	}
	uint32_t i = 0;
	int64_t c = 0;
	while (i < s.len && c < start) {
		i += sl_utf8_len(u[i]);
		c++;
	}
	uint32_t j = i < s.len ? i : s.len;
	while (i < s.len && c < end) {
		i += sl_utf8_len(u[i]);
		c++;
	}
	if (i > s.len)
		i = s.len;
	if (i > j) {
		r.ptr = s.ptr + j;
		r.len = i - j;
	}
	return r;
}

static int eval_substr(const struct sl_vec *a, const struct sl_vec *pos,
		       const struct sl_vec *len, uint32_t n, struct sl_eval_ctx *ctx,
		       struct sl_vec *out)
{
	const enum sl_type t = a->type == SL_TYPE_BINARY ? SL_TYPE_BINARY : SL_TYPE_STRING;
	if (a->type == SL_TYPE_NULL || pos->type == SL_TYPE_NULL ||
	    (len != NULL && len->type == SL_TYPE_NULL))
		return vec_all_null(ctx, out, t, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, t, n);
	if (rc < 0 || (rc = merge_nulls(ctx, a, pos, n, &out->nulls)) < 0)
		return rc;
	if (len != NULL) {
		struct sl_vec tmp = { .nulls = out->nulls };
		if ((rc = merge_nulls(ctx, &tmp, len, n, &out->nulls)) < 0)
			return rc;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (is_null_at(out, i))
			continue;
		int64_t l = len != NULL ? len->v.i64[i] : INT32_MAX;
		out->v.str[i] = substr_sql(a->v.str[i], pos->v.i64[i], l, t == SL_TYPE_BINARY);
	}
	return 0;
}

/* t: STRING, or BINARY when every argument is one (the planner's rule). */
static int eval_concat(enum sl_type t, const struct sl_vec *args, uint32_t nargs, uint32_t n,
		       struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	if (!sl_type_is_bytes(t))
		return -EINVAL;
	for (uint32_t k = 0; k < nargs; k++)
		if (args[k].type == SL_TYPE_NULL)
			return vec_all_null(ctx, out, t, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, t, n);
	if (rc < 0)
		return rc;
	out->nulls = NULL;
	for (uint32_t k = 0; k < nargs; k++) {
		struct sl_vec tmp = { .nulls = out->nulls };
		if ((rc = merge_nulls(ctx, &tmp, &args[k], n, &out->nulls)) < 0)
			return rc;
	}
	size_t total = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (is_null_at(out, i))
			continue;
		for (uint32_t k = 0; k < nargs; k++)
			total += args[k].v.str[i].len;
	}
	char *buf = sl_eval_ctx_alloc(ctx, total);
	if (buf == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		if (is_null_at(out, i))
			continue;
		char *start = buf;
		for (uint32_t k = 0; k < nargs; k++) {
			const struct sl_str *s = &args[k].v.str[i];
			if (s->len > 0)
				memcpy(buf, s->ptr, s->len);
			buf += s->len;
		}
		out->v.str[i] = (struct sl_str){ start, (uint32_t)(buf - start) };
	}
	return 0;
}

/* Spark's trim(): ASCII spaces only, from both ends; points into s. */
static int eval_trim(const struct sl_vec *a, uint32_t n, struct sl_eval_ctx *ctx,
		     struct sl_vec *out)
{
	if (a->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, SL_TYPE_STRING, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, SL_TYPE_STRING, n);
	if (rc < 0)
		return rc;
	out->nulls = a->nulls;
	for (uint32_t i = 0; i < n; i++) {
		if (is_null_at(a, i))
			continue;
		struct sl_str s = a->v.str[i];
		if (s.len == 0) {
			out->v.str[i] = s;
			continue;
		}
		uint32_t b = 0, e = s.len;
		while (b < e && s.ptr[b] == ' ')
			b++;
		while (e > b && s.ptr[e - 1] == ' ')
			e--;
		out->v.str[i] = (struct sl_str){ s.ptr + b, e - b };
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* SPLIT, SIZE                                                        */
/* ------------------------------------------------------------------ */

static int eval_split(const struct sl_expr *e, const struct sl_chunk *in,
		      struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	const struct sl_splitter *sp = e->compiled;
	const uint32_t n = in->nrows;
	struct sl_vec sv, lv;
	const struct sl_vec *limits = NULL;
	int64_t limit = -1;
	int rc;

	if (sp == NULL) {
		if (e->args[1]->kind == SL_EXPR_LITERAL &&
		    (e->args[1]->lit.is_null || e->args[1]->type == SL_TYPE_NULL))
			return vec_all_null(ctx, out, SL_TYPE_ARRAY, SL_TYPE_STRING, n);
		return -EINVAL; /* not prepared */
	}
	if ((rc = sl_expr_eval(e->args[0], in, ctx, &sv)) < 0)
		return rc;
	if (e->nargs >= 3) {
		const struct sl_expr *l = e->args[2];
		if (l->kind == SL_EXPR_LITERAL && !l->lit.is_null && l->type != SL_TYPE_NULL) {
			limit = l->lit.v.i64;
		} else {
			if ((rc = sl_expr_eval(l, in, ctx, &lv)) < 0)
				return rc;
			limits = &lv;
		}
	}
	if (sv.type == SL_TYPE_NULL || (limits != NULL && limits->type == SL_TYPE_NULL))
		return vec_all_null(ctx, out, SL_TYPE_ARRAY, SL_TYPE_STRING, n);

	struct sl_split_out so;
	if ((rc = sl_split_chunk(sp, ctx, &sv, n, limits, limit, true, false, &so)) < 0)
		return rc;
	struct sl_vec *elem = sl_eval_ctx_alloc(ctx, sizeof(*elem));
	if (elem == NULL)
		return -ENOMEM;
	memset(elem, 0, sizeof(*elem));
	elem->type = SL_TYPE_STRING;
	elem->v.str = so.words;
	memset(out, 0, sizeof(*out));
	out->type = SL_TYPE_ARRAY;
	out->elem_type = SL_TYPE_STRING;
	out->v.arr = so.spans;
	out->elem = elem;
	return merge_nulls(ctx, &sv, limits, n, &out->nulls);
}

static int eval_size(const struct sl_vec *a, uint32_t n, struct sl_eval_ctx *ctx,
		     struct sl_vec *out)
{
	int rc = vec_alloc(ctx, out, SL_TYPE_INT, n);
	if (rc < 0)
		return rc;
	/* size(NULL) = -1 (spark.sql.legacy.sizeOfNull, non-ANSI). */
	for (uint32_t i = 0; i < n; i++)
		out->v.i64[i] = a->type == SL_TYPE_NULL || is_null_at(a, i)
					? -1 : (int64_t)a->v.arr[i].len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* CAST                                                               */
/* ------------------------------------------------------------------ */

/* Spark trims Character.isWhitespace || isISOControl before parsing
 * numbers and booleans: for bytes, everything up to space, and DEL. */
static inline bool ws_or_ctrl(uint8_t b)
{
	return b <= 0x20 || b == 0x7F;
}

/*
 * UTF8String.toLong / toInt (allowDecimal): optional sign, digits, and an
 * optional fraction of digits that is dropped; overflow fails. The result
 * is accumulated negatively as Spark does, so that MIN parses.
 */
static bool parse_integral(const char *str, uint32_t len, bool is_int, int64_t *out)
{
	const uint8_t *s = (const uint8_t *)str;
	uint32_t off = 0, end;
	while (off < len && ws_or_ctrl(s[off]))
		off++;
	if (off == len)
		return false;
	end = len - 1;
	while (end > off && ws_or_ctrl(s[end]))
		end--;
	bool neg = s[off] == '-';
	if (neg || s[off] == '+') {
		if (end == off)
			return false;
		off++;
	}
	const int64_t min = is_int ? INT32_MIN : INT64_MIN;
	const int64_t stop = min / 10;
	int64_t r = 0;
	while (off <= end) {
		uint8_t b = s[off++];
		if (b == '.')
			break;
		if (b < '0' || b > '9')
			return false;
		if (r < stop)
			return false;
		int64_t t;
		if (__builtin_mul_overflow(r, (int64_t)10, &t) ||
		    __builtin_sub_overflow(t, (int64_t)(b - '0'), &t) || t < min)
			return false;
		r = t;
	}
	while (off <= end) {
		if (s[off] < '0' || s[off] > '9')
			return false;
		off++;
	}
	if (!neg) {
		if (r == min)
			return false;
		r = -r;
	}
	*out = r;
	return true;
}

static bool lower_eq(const char *s, uint32_t len, const char *word)
{
	size_t wl = strlen(word);
	if (len != wl)
		return false;
	for (uint32_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != word[i])
			return false;
	}
	return true;
}

/* Spark's StringUtils.isTrueString / isFalseString after trimming. */
static bool parse_bool(const char *s, uint32_t len, bool *out)
{
	static const char *const yes[] = { "t", "true", "y", "yes", "1" };
	static const char *const no[] = { "f", "false", "n", "no", "0" };
	uint32_t b = 0, e = len;
	while (b < e && ws_or_ctrl((uint8_t)s[b]))
		b++;
	while (e > b && ws_or_ctrl((uint8_t)s[e - 1]))
		e--;
	for (size_t k = 0; k < 5; k++) {
		if (lower_eq(s + b, e - b, yes[k])) {
			*out = true;
			return true;
		}
		if (lower_eq(s + b, e - b, no[k])) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(uint8_t c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Java's Double.parseDouble grammar (after String.trim): sign, "NaN",
 * "Infinity", decimal digits with an optional point and exponent, or a
 * hexadecimal significand with a binary exponent, and an optional f/F/d/D
 * suffix. Returns the length without the suffix, or 0 when invalid.
 */
static uint32_t java_double_syntax(const uint8_t *s, uint32_t len)
{
	uint32_t i = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (len - i == 3 && memcmp(s + i, "NaN", 3) == 0)
		return len;
	if (len - i == 8 && memcmp(s + i, "Infinity", 8) == 0)
		return len;
	uint32_t digits = 0;
	if (len - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		i += 2;
		for (; i < len && is_xdigit(s[i]); i++)
			digits++;
		if (i < len && s[i] == '.')
			for (i++; i < len && is_xdigit(s[i]); i++)
				digits++;
		if (digits == 0 || i >= len || (s[i] != 'p' && s[i] != 'P'))
			return 0;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		uint32_t ed = 0;
		for (; i < len && is_digit(s[i]); i++)
			ed++;
		if (ed == 0)
			return 0;
	} else {
		for (; i < len && is_digit(s[i]); i++)
			digits++;
		if (i < len && s[i] == '.')
			for (i++; i < len && is_digit(s[i]); i++)
				digits++;
		if (digits == 0)
			return 0;
		if (i < len && (s[i] == 'e' || s[i] == 'E')) {
			i++;
			if (i < len && (s[i] == '+' || s[i] == '-'))
				i++;
			uint32_t ed = 0;
			for (; i < len && is_digit(s[i]); i++)
				ed++;
			if (ed == 0)
				return 0;
		}
	}
	uint32_t body = i;
	if (i < len && (s[i] == 'f' || s[i] == 'F' || s[i] == 'd' || s[i] == 'D'))
		i++;
	return i == len ? body : 0;
}

/* CAST(string AS DOUBLE), non-ANSI: Double.parseDouble, then Spark's
 * special literals (inf, +inf, infinity, -inf, -infinity, nan in any
 * case). strtod reads the C locale's '.', which sluice never changes. */
/* ctx NULL: a number longer than 127 bytes is copied to the heap. */
static bool parse_double(struct sl_eval_ctx *ctx, const char *str, uint32_t len, double *out)
{
	const uint8_t *s = (const uint8_t *)str;
	uint32_t b = 0, e = len;
	while (b < e && s[b] <= ' ')
		b++;
	while (e > b && s[e - 1] <= ' ')
		e--;
	const uint8_t *t = s + b;
	uint32_t tl = e - b;
	uint32_t body = java_double_syntax(t, tl);
	if (body > 0) {
		uint32_t sign = (t[0] == '+' || t[0] == '-') ? 1 : 0;
		if (body - sign == 3 && t[sign] == 'N') {
			*out = NAN;
			return true;
		}
		if (body - sign == 8 && t[sign] == 'I') {
			*out = t[0] == '-' ? -INFINITY : INFINITY;
			return true;
		}
		char small[128];
		char *heap = NULL;
		char *buf = small;
		if (body >= sizeof(small))
			buf = ctx != NULL ? sl_eval_ctx_alloc(ctx, (size_t)body + 1)
					  : (heap = malloc((size_t)body + 1));
		if (buf == NULL)
			return false;
		memcpy(buf, t, body);
		buf[body] = '\0';
		*out = strtod(buf, NULL);
		free(heap);
		return true;
	}
	static const struct {
		const char *word;
		double v;
	} special[] = {
		{ "inf", INFINITY }, { "+inf", INFINITY }, { "infinity", INFINITY },
		{ "+infinity", INFINITY }, { "-inf", -INFINITY }, { "-infinity", -INFINITY },
		{ "nan", NAN },
	};
	for (size_t k = 0; k < sizeof(special) / sizeof(special[0]); k++) {
		if (lower_eq((const char *)t, tl, special[k].word)) {
			*out = special[k].v;
			return true;
		}
	}
	return false;
}

static int64_t days_from_civil(int64_t y, uint32_t m, uint32_t d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const uint32_t yoe = (uint32_t)(y - era * 400);
	const uint32_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static uint32_t days_in_month(int64_t y, uint32_t m)
{
	static const uint8_t dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

/* Digits at s[*i..], between min and max of them; -1 when not. */
static int64_t take_digits(const uint8_t *s, uint32_t len, uint32_t *i, uint32_t min,
			   uint32_t max)
{
	int64_t v = 0;
	uint32_t k = 0;
	while (*i < len && is_digit(s[*i]) && k < max) {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	if (k < min || (*i < len && is_digit(s[*i])))
		return -1;
	return v;
}

/*
 * CAST(string AS TIMESTAMP) in UTC, Spark's stringToTimestamp forms:
 * [+-]yyyy[yy][-[m]m[-[d]d]] then optionally ' ' or 'T' and
 * [h]h:[m]m[:[s]s[.fraction]] and a zone: Z, UTC, GMT, UT, +h, +hh:mm,
 * +hhmm (optionally after UTC/GMT/UT), with or without a space before it.
 * Fractions beyond microseconds are truncated. Named regions
 * (Europe/Paris) and time-only strings (which Spark dates today) give NULL.
 */
static bool parse_timestamp(const char *str, uint32_t len, int64_t *out)
{
	const uint8_t *s = (const uint8_t *)str;
	uint32_t b = 0, e = len;
	while (b < e && ws_or_ctrl(s[b]))
		b++;
	while (e > b && ws_or_ctrl(s[e - 1]))
		e--;
	s += b;
	len = e - b;

	uint32_t i = 0;
	int64_t sign = 1;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		sign = s[i++] == '-' ? -1 : 1;
	int64_t year = take_digits(s, len, &i, 4, 6);
	if (year < 0)
		return false;
	year *= sign;
	int64_t mon = 1, day = 1, hh = 0, mi = 0, ss = 0, us = 0, zone = 0;
	if (i < len && s[i] == '-') {
		i++;
		if ((mon = take_digits(s, len, &i, 1, 2)) < 0)
			return false;
		if (i < len && s[i] == '-') {
			i++;
			if ((day = take_digits(s, len, &i, 1, 2)) < 0)
				return false;
		}
	}
	if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, (uint32_t)mon))
		return false;
	if (i < len && (s[i] == ' ' || s[i] == 'T')) {
		i++;
		if (i < len) {
			if ((hh = take_digits(s, len, &i, 1, 2)) < 0 || i >= len || s[i] != ':')
				return false;
			i++;
			if ((mi = take_digits(s, len, &i, 1, 2)) < 0)
				return false;
			if (i < len && s[i] == ':') {
				i++;
				if ((ss = take_digits(s, len, &i, 1, 2)) < 0)
					return false;
				if (i < len && s[i] == '.') {
					i++;
					uint32_t k = 0;
					while (i < len && is_digit(s[i])) {
						if (k < 6)
							us = us * 10 + (s[i] - '0');
						k++;
						i++;
					}
					for (; k < 6; k++)
						us *= 10;
				}
			}
			if (hh > 23 || mi > 59 || ss > 59)
				return false;
		}
	}
	if (i < len) {
		if (s[i] == ' ')
			i++;
		if (len - i == 1 && s[i] == 'Z') {
			i++;
		} else {
			if (len - i >= 3 && (memcmp(s + i, "UTC", 3) == 0 || memcmp(s + i, "GMT", 3) == 0))
				i += 3;
			else if (len - i >= 2 && memcmp(s + i, "UT", 2) == 0)
				i += 2;
			if (i < len) {
				if (s[i] != '+' && s[i] != '-')
					return false;
				int64_t zs = s[i++] == '-' ? -1 : 1;
				int64_t zh, zm = 0;
				uint32_t nd = 0;
				while (i + nd < len && is_digit(s[i + nd]))
					nd++;
				if (nd == 4) { /* +hhmm */
					zh = (s[i] - '0') * 10 + (s[i + 1] - '0');
					zm = (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
					i += 4;
				} else {   /* +h, +hh, +hh:mm */
					if ((zh = take_digits(s, len, &i, 1, 2)) < 0)
						return false;
					if (i < len && s[i] == ':') {
						i++;
						if ((zm = take_digits(s, len, &i, 2, 2)) < 0)
							return false;
					}
				}
				if (zh > 18 || zm > 59)
					return false;
				zone = zs * (zh * 3600 + zm * 60);
			}
		}
		if (i != len)
			return false;
	}
	int64_t days = days_from_civil(year, (uint32_t)mon, (uint32_t)day);
	int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - zone;
	int64_t r;
	if (__builtin_mul_overflow(secs, (int64_t)1000000, &r) ||
	    __builtin_add_overflow(r, us, &r))
		return false;
	*out = r;
	return true;
}

static inline int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Java's (long) d and (int) d: NaN -> 0, saturating at the bounds. */
static inline int64_t d2l(double d)
{
	if (isnan(d))
		return 0;
	if (d >= 9223372036854775808.0)
		return INT64_MAX;
	if (d < -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)d;
}

static inline int64_t d2i(double d)
{
	if (isnan(d))
		return 0;
	if (d >= 2147483647.0)
		return INT32_MAX;
	if (d <= -2147483648.0)
		return INT32_MIN;
	return (int64_t)d;
}

/* TimeUnit.SECONDS.toMicros: saturating. */
static inline int64_t secs_to_micros(int64_t s)
{
	int64_t r;
	if (__builtin_mul_overflow(s, (int64_t)1000000, &r))
		return s < 0 ? INT64_MIN : INT64_MAX;
	return r;
}

static int cast_to_string(const struct sl_vec *a, uint32_t n, struct sl_eval_ctx *ctx,
			  struct sl_vec *out)
{
	int rc = vec_alloc(ctx, out, SL_TYPE_STRING, n);
	if (rc < 0)
		return rc;
	out->nulls = a->nulls;
	if (a->type == SL_TYPE_BOOLEAN) {
		for (uint32_t i = 0; i < n; i++)
			out->v.str[i] = a->v.b[i] ? (struct sl_str){ "true", 4 }
						  : (struct sl_str){ "false", 5 };
		return 0;
	}
	/* a window is two timestamps, braces and a comma */
	const size_t room = a->type == SL_TYPE_WINDOW ? 2 * SL_FORMAT_MAX + 4 : SL_FORMAT_MAX;
	char *buf = sl_eval_ctx_alloc(ctx, (size_t)n * room);
	if (buf == NULL)
		return -ENOMEM;
	char *p = buf;
	for (uint32_t i = 0; i < n; i++) {
		if (is_null_at(a, i))
			continue;
		size_t l;
		if (a->type == SL_TYPE_WINDOW) {
			p[0] = '{';
			l = 1 + sl_format_timestamp(a->v.win[i].start, p + 1, SL_FORMAT_MAX);
			p[l++] = ',';
			p[l++] = ' ';
			l += sl_format_timestamp(a->v.win[i].end, p + l, SL_FORMAT_MAX);
			p[l++] = '}';
			out->v.str[i] = (struct sl_str){ p, (uint32_t)l };
			p += l;
			continue;
		}
		switch (a->type) {
		case SL_TYPE_INT:
		case SL_TYPE_BIGINT:
			l = sl_format_i64(a->v.i64[i], p, SL_FORMAT_MAX);
			break;
		case SL_TYPE_DOUBLE:
			l = sl_format_double(a->v.f64[i], p, SL_FORMAT_MAX);
			break;
		case SL_TYPE_TIMESTAMP:
			l = sl_format_timestamp(a->v.i64[i], p, SL_FORMAT_MAX);
			break;
		case SL_TYPE_INTERVAL:
			l = sl_format_interval(a->v.i64[i], p, SL_FORMAT_MAX);
			break;
		default:
			return -EINVAL;
		}
		if (l >= SL_FORMAT_MAX)
			l = SL_FORMAT_MAX - 1;
		out->v.str[i] = (struct sl_str){ p, (uint32_t)l };
		p += l;
	}
	return 0;
}

/* Spark's cast of an integer to BINARY: its big-endian bytes, 4 for an
 * INT, 8 for a BIGINT (Cast.castToBinary: Ints.toByteArray, Longs). */
static int cast_int_to_binary(const struct sl_vec *a, uint32_t n, struct sl_eval_ctx *ctx,
			      struct sl_vec *out)
{
	int rc = vec_alloc(ctx, out, SL_TYPE_BINARY, n);
	if (rc < 0)
		return rc;
	out->nulls = a->nulls;
	const uint32_t w = a->type == SL_TYPE_INT ? 4 : 8;
	char *buf = sl_eval_ctx_alloc(ctx, (size_t)n * w);
	if (buf == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const uint64_t v = (uint64_t)a->v.i64[i];
		char *p = buf + (size_t)i * w;
		for (uint32_t k = 0; k < w; k++)
			p[k] = (char)(uint8_t)(v >> (8 * (w - 1 - k)));
		out->v.str[i] = (struct sl_str){ p, w };
	}
	return 0;
}

static int cast_from_string(enum sl_type to, const struct sl_vec *a, uint32_t n,
			    struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	int rc = vec_alloc(ctx, out, to, n);
	if (rc < 0)
		return rc;
	uint8_t *nl = own_nulls(ctx, a->nulls, n);
	if (nl == NULL)
		return -ENOMEM;
	out->nulls = nl;
	for (uint32_t i = 0; i < n; i++) {
		if (nl[i])
			continue;
		const struct sl_str *s = &a->v.str[i];
		bool ok;
		switch (to) {
		case SL_TYPE_BOOLEAN: {
			bool v = false;
			ok = parse_bool(s->ptr, s->len, &v);
			out->v.b[i] = v;
			break;
		}
		case SL_TYPE_INT:
		case SL_TYPE_BIGINT:
			ok = parse_integral(s->ptr, s->len, to == SL_TYPE_INT, &out->v.i64[i]);
			break;
		case SL_TYPE_DOUBLE:
			ok = parse_double(ctx, s->ptr, s->len, &out->v.f64[i]);
			break;
		case SL_TYPE_TIMESTAMP:
			ok = parse_timestamp(s->ptr, s->len, &out->v.i64[i]);
			break;
		case SL_TYPE_INTERVAL: {
			/* '10 minutes', '500 ms' (a session gap per row) */
			char text[96];
			uint64_t us = 0;
			ok = s->len < sizeof(text);
			if (ok) {
				memcpy(text, s->ptr, s->len);
				text[s->len] = '\0';
				ok = sl_parse_interval(text, &us) == 0 && us <= (uint64_t)INT64_MAX;
			}
			out->v.i64[i] = (int64_t)us;
			break;
		}
		default:
			return -EINVAL;
		}
		nl[i] = !ok;
	}
	return 0;
}

static int eval_cast(const struct sl_expr *e, const struct sl_vec *a, uint32_t n,
		     struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	const enum sl_type from = a->type, to = e->type;
	int rc;

	if (from == to && to != SL_TYPE_ARRAY) {
		*out = *a;
		return 0;
	}
	if (from == SL_TYPE_NULL)
		return vec_all_null(ctx, out, to, e->elem_type, n);
	if (sl_type_is_bytes(from) && sl_type_is_bytes(to)) {
		/* STRING <-> BINARY: the same bytes (Spark does not check that a
		 * binary is UTF-8 when it makes a string of it) */
		*out = *a;
		out->type = to;
		return 0;
	}
	if (to == SL_TYPE_BINARY)
		return sl_type_is_integer(from) ? cast_int_to_binary(a, n, ctx, out) : -EINVAL;
	if (from == SL_TYPE_BINARY)
		return -EINVAL; /* the planner casts a binary only to STRING */
	if (to == SL_TYPE_STRING)
		return cast_to_string(a, n, ctx, out);
	if (from == SL_TYPE_STRING)
		return cast_from_string(to, a, n, ctx, out);
	if (from == SL_TYPE_ARRAY || to == SL_TYPE_ARRAY || to == SL_TYPE_NULL)
		return -EINVAL;
	if ((rc = vec_alloc(ctx, out, to, n)) < 0)
		return rc;
	out->nulls = a->nulls;

	switch (to) {
	case SL_TYPE_BOOLEAN:
		for (uint32_t i = 0; i < n; i++)
			out->v.b[i] = from == SL_TYPE_DOUBLE ? a->v.f64[i] != 0.0
							     : a->v.i64[i] != 0;
		return 0;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT: {
		const bool w32 = to == SL_TYPE_INT;
		for (uint32_t i = 0; i < n; i++) {
			int64_t v;
			switch (from) {
			case SL_TYPE_BOOLEAN:
				v = a->v.b[i] != 0;
				break;
			case SL_TYPE_DOUBLE:
				v = w32 ? d2i(a->v.f64[i]) : d2l(a->v.f64[i]);
				break;
			case SL_TYPE_TIMESTAMP:
				v = floor_div(a->v.i64[i], 1000000);
				break;
			default:
				v = a->v.i64[i];
				break;
			}
			out->v.i64[i] = w32 ? wrap32(v) : v;
		}
		return 0;
	}
	case SL_TYPE_DOUBLE:
		for (uint32_t i = 0; i < n; i++) {
			switch (from) {
			case SL_TYPE_BOOLEAN:
				out->v.f64[i] = a->v.b[i] ? 1.0 : 0.0;
				break;
			case SL_TYPE_TIMESTAMP:
				out->v.f64[i] = (double)a->v.i64[i] / 1e6;
				break;
			default:
				out->v.f64[i] = (double)a->v.i64[i];
				break;
			}
		}
		return 0;
	case SL_TYPE_TIMESTAMP: {
		uint8_t *nl = NULL;
		for (uint32_t i = 0; i < n; i++) {
			switch (from) {
			case SL_TYPE_BOOLEAN:
				/* Spark: true is 1 microsecond. */
				out->v.i64[i] = a->v.b[i] ? 1 : 0;
				break;
			case SL_TYPE_DOUBLE: {
				double d = a->v.f64[i];
				if (isnan(d) || isinf(d)) {
					if (nl == NULL) {
						nl = own_nulls(ctx, a->nulls, n);
						if (nl == NULL)
							return -ENOMEM;
						out->nulls = nl;
					}
					nl[i] = 1;
					out->v.i64[i] = 0;
				} else {
					out->v.i64[i] = d2l(d * 1e6);
				}
				break;
			}
			default:
				out->v.i64[i] = secs_to_micros(a->v.i64[i]);
				break;
			}
		}
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/* ------------------------------------------------------------------ */
/* COALESCE, IF                                                       */
/* ------------------------------------------------------------------ */

static inline void copy_value(struct sl_vec *out, uint32_t i, const struct sl_vec *src,
			      size_t w)
{
	memcpy((char *)vec_data(out) + (size_t)i * w, (const char *)vec_data(src) + (size_t)i * w, w);
}

static int eval_coalesce(enum sl_type t, const struct sl_vec *args, uint32_t nargs,
			 uint32_t n, struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	if (t == SL_TYPE_NULL || t == SL_TYPE_ARRAY) {
		if (t == SL_TYPE_NULL)
			return vec_all_null(ctx, out, t, SL_TYPE_NULL, n);
		return -EINVAL; /* arrays of different element vectors cannot mix */
	}
	int rc = vec_alloc(ctx, out, t, n);
	if (rc < 0)
		return rc;
	uint8_t *nl = alloc_nulls(ctx, n, 1);
	if (nl == NULL)
		return -ENOMEM;
	out->nulls = nl;
	const size_t w = sl_type_width(t);
	memset(vec_data(out), 0, w * n);
	for (uint32_t k = 0; k < nargs; k++) {
		const struct sl_vec *a = &args[k];
		if (a->type == SL_TYPE_NULL)
			continue;
		if (a->type != t)
			return -EINVAL;
		for (uint32_t i = 0; i < n; i++) {
			if (nl[i] && !is_null_at(a, i)) {
				copy_value(out, i, a, w);
				nl[i] = 0;
			}
		}
	}
	return 0;
}

/* IF(c, a, b): a where c is true, b where c is false or null. */
static int eval_if(enum sl_type t, const struct sl_vec *c, const struct sl_vec *a,
		   const struct sl_vec *b, uint32_t n, struct sl_eval_ctx *ctx,
		   struct sl_vec *out)
{
	if (t == SL_TYPE_NULL)
		return vec_all_null(ctx, out, t, SL_TYPE_NULL, n);
	if (t == SL_TYPE_ARRAY)
		return -EINVAL;
	if ((a->type != t && a->type != SL_TYPE_NULL) || (b->type != t && b->type != SL_TYPE_NULL))
		return -EINVAL;
	int rc = vec_alloc(ctx, out, t, n);
	if (rc < 0)
		return rc;
	uint8_t *nl = alloc_nulls(ctx, n, 0);
	if (nl == NULL)
		return -ENOMEM;
	out->nulls = nl;
	const size_t w = sl_type_width(t);
	const bool c_null = c->type == SL_TYPE_NULL;
	for (uint32_t i = 0; i < n; i++) {
		bool take_a = !c_null && !is_null_at(c, i) && c->v.b[i];
		const struct sl_vec *src = take_a ? a : b;
		if (src->type == SL_TYPE_NULL || is_null_at(src, i)) {
			nl[i] = 1;
			memset((char *)vec_data(out) + (size_t)i * w, 0, w);
		} else {
			copy_value(out, i, src, w);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* dispatch                                                           */
/* ------------------------------------------------------------------ */

static int eval_is_null(bool want_null, const struct sl_vec *a, uint32_t n,
			struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	int rc = vec_alloc(ctx, out, SL_TYPE_BOOLEAN, n);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		bool isn = a->type == SL_TYPE_NULL || is_null_at(a, i);
		out->v.b[i] = isn == want_null;
	}
	return 0;
}

static int eval_not(const struct sl_vec *a, uint32_t n, struct sl_eval_ctx *ctx,
		    struct sl_vec *out)
{
	if (a->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, SL_TYPE_BOOLEAN, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, SL_TYPE_BOOLEAN, n);
	if (rc < 0)
		return rc;
	out->nulls = a->nulls;
	for (uint32_t i = 0; i < n; i++)
		out->v.b[i] = !a->v.b[i];
	return 0;
}

#define MAX_STACK_ARGS 8

/* ------------------------------------------------------------------ */
/* to_timestamp(s, pattern)                                           */
/* ------------------------------------------------------------------ */

/* Digits of a numeric field: at least `min`, at most `max` (Java's
 * DateTimeFormatter reads a run of the pattern letter's width, more for a
 * lone letter). */
static bool pat_digits(const char *s, uint32_t len, uint32_t *i, uint32_t min, uint32_t max,
			int64_t *out)
{
	uint32_t k = 0;
	int64_t v = 0;
	while (*i + k < len && k < max && s[*i + k] >= '0' && s[*i + k] <= '9') {
		v = v * 10 + (s[*i + k] - '0');
		k++;
	}
	if (k < min)
		return false;
	*i += k;
	*out = v;
	return true;
}

/* Parse str against a Spark datetime pattern (UTC): y (year), M (month
 * number), d, H (0-23), h (1-12) with a (AM/PM), m, s, S (fraction, up to
 * 6 digits), quoted 'text', and any other non-letter as itself. Fields
 * left out default to 1970-01-01 00:00:00. False when it does not match
 * the whole text. */
static bool parse_with_pattern(const char *str, uint32_t len, const char *pat, uint32_t plen,
			       int64_t *out)
{
	int64_t year = 1970, mon = 1, day = 1, hour = 0, min = 0, sec = 0, frac = 0;
	bool pm = false, has_ampm = false, h12 = false;
	uint32_t i = 0, p = 0;
	while (p < plen) {
		char c = pat[p];
		if (c == '\'') {
			/* quoted text; '' is a quote */
			p++;
			if (p < plen && pat[p] == '\'') {
				if (i >= len || str[i] != '\'')
					return false;
				i++;
				p++;
				continue;
			}
			while (p < plen && pat[p] != '\'') {
				if (i >= len || str[i] != pat[p])
					return false;
				i++;
				p++;
			}
			p++;
			continue;
		}
		uint32_t run = 1;
		while (p + run < plen && pat[p + run] == c)
			run++;
		p += run;
		int64_t v = 0;
		switch (c) {
		case 'y': {
			/* Java's adjacent value parsing: a year right before
			 * another number field (yyyyMMdd) takes just its width */
			bool adjacent = p < plen && strchr("MdHhmsS", pat[p]) != NULL;
			uint32_t most = run == 2 ? 2 : adjacent ? run : 9;
			if (!pat_digits(str, len, &i, run == 2 ? 2 : run, most, &v))
				return false;
			year = run == 2 ? 2000 + v : v;
			break;
		}
		case 'M':
		case 'd':
		case 'H':
		case 'h':
		case 'm':
		case 's':
			if (!pat_digits(str, len, &i, run, run > 2 ? run : 2, &v))
				return false;
			if (c == 'M')
				mon = v;
			else if (c == 'd')
				day = v;
			else if (c == 'H')
				hour = v;
			else if (c == 'h') {
				hour = v;
				h12 = true;
			} else if (c == 'm')
				min = v;
			else
				sec = v;
			break;
		case 'S': {
			uint32_t before = i;
			if (!pat_digits(str, len, &i, run, run, &v) || run > 6)
				return false;
			for (uint32_t k = i - before; k < 6; k++)
				v *= 10;
			frac = v;
			break;
		}
		case 'a':
			if (i + 2 > len)
				return false;
			if ((str[i] == 'A' || str[i] == 'a') && (str[i + 1] == 'M' || str[i + 1] == 'm'))
				pm = false;
			else if ((str[i] == 'P' || str[i] == 'p') && (str[i + 1] == 'M' || str[i + 1] == 'm'))
				pm = true;
			else
				return false;
			has_ampm = true;
			i += 2;
			break;
		default:
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
				return false; /* a letter this parser does not know */
			for (uint32_t k = 0; k < run; k++) {
				if (i >= len || str[i] != c)
					return false;
				i++;
			}
			break;
		}
	}
	if (i != len)
		return false;
	if (h12) {
		if (hour < 1 || hour > 12)
			return false;
		hour = hour % 12 + (has_ampm && pm ? 12 : 0);
	}
	static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] || hour > 23 || min > 59 ||
	    sec > 59 || year > 294000)
		return false;
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (mon == 2 && day == 29 && !leap)
		return false;
	int64_t days = days_from_civil(year, (uint32_t)mon, (uint32_t)day);
	*out = ((days * 24 + hour) * 60 + min) * 60000000LL + sec * 1000000LL + frac;
	return true;
}

static int eval_to_timestamp(const struct sl_expr *e, const struct sl_vec *a, uint32_t n,
			     struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	const struct sl_expr *pe = e->args[1];
	if (pe->kind != SL_EXPR_LITERAL)
		return -EINVAL;
	if (a->type == SL_TYPE_NULL || pe->lit.is_null)
		return vec_all_null(ctx, out, SL_TYPE_TIMESTAMP, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, SL_TYPE_TIMESTAMP, n);
	if (rc < 0)
		return rc;
	uint8_t *nl = alloc_nulls(ctx, n, 0);
	if (nl == NULL)
		return -ENOMEM;
	out->nulls = nl;
	const struct sl_str pat = pe->lit.v.str;
	for (uint32_t i = 0; i < n; i++) {
		if (is_null_at(a, i) ||
		    !parse_with_pattern(a->v.str[i].ptr, a->v.str[i].len, pat.ptr, pat.len,
					&out->v.i64[i])) {
			nl[i] = 1;
			out->v.i64[i] = 0;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* time windows                                                       */
/* ------------------------------------------------------------------ */

/* The latest window start <= ts (Spark's TimeWindowing: remainder taken
 * so that it is never negative, also for times before 1970). */
/* Long arithmetic as the JVM does it: wrapping, never undefined. */
static inline int64_t wadd(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

static inline int64_t wsub(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

static inline int64_t window_last_start(int64_t ts, int64_t slide, int64_t start)
{
	int64_t r = wsub(ts, start) % slide;
	if (r < 0)
		r += slide;
	return wsub(ts, r);
}

static bool window_params(const struct sl_expr *e, int64_t *size, int64_t *slide,
			  int64_t *start)
{
	for (uint32_t k = 1; k < 4; k++)
		if (e->args[k]->kind != SL_EXPR_LITERAL || e->args[k]->lit.is_null)
			return false;
	*size = e->args[1]->lit.v.i64;
	*slide = e->args[2]->lit.v.i64;
	*start = e->args[3]->lit.v.i64;
	return *size > 0 && *slide > 0;
}

static int eval_window(const struct sl_expr *e, const struct sl_vec *ts, uint32_t n,
		       struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	int64_t size, slide, start;
	if (!window_params(e, &size, &slide, &start))
		return -EINVAL;
	if (ts->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, SL_TYPE_WINDOW, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, SL_TYPE_WINDOW, n);
	if (rc < 0)
		return rc;
	out->nulls = ts->nulls; /* shared, never written */
	for (uint32_t i = 0; i < n; i++) {
		int64_t s = window_last_start(ts->v.i64[i], slide, start);
		out->v.win[i] = (struct sl_window){s, wadd(s, size)};
	}
	return 0;
}

static int eval_windows(const struct sl_expr *e, const struct sl_vec *ts, uint32_t n,
			struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	int64_t size, slide, start;
	if (!window_params(e, &size, &slide, &start))
		return -EINVAL;
	if (ts->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, SL_TYPE_ARRAY, SL_TYPE_WINDOW, n);
	/* ceil(size / slide) candidates per row, as Spark's Expand makes */
	uint64_t per = (uint64_t)(size / slide) + (size % slide != 0);
	struct sl_vec *elem = sl_eval_ctx_alloc(ctx, sizeof(*elem));
	if (elem == NULL)
		return -ENOMEM;
	int rc = vec_alloc(ctx, elem, SL_TYPE_WINDOW, (uint32_t)(per * n));
	if (rc < 0)
		return rc;
	if ((rc = vec_alloc(ctx, out, SL_TYPE_ARRAY, n)) < 0)
		return rc;
	out->elem_type = SL_TYPE_WINDOW;
	out->elem = elem;
	out->nulls = ts->nulls; /* shared, never written */
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		out->v.arr[i].off = k;
		if (ts->nulls == NULL || !ts->nulls[i]) {
			int64_t t = ts->v.i64[i];
			int64_t last = window_last_start(t, slide, start);
			for (uint64_t j = 0; j < per; j++) {
				int64_t s = wsub(last, (int64_t)((uint64_t)j * (uint64_t)slide));
				int64_t end = wadd(s, size);
				/* Spark keeps the candidates that hold ts */
				if (t >= s && t < end)
					elem->v.win[k++] = (struct sl_window){s, end};
			}
		}
		out->v.arr[i].len = k - out->v.arr[i].off;
	}
	return 0;
}

static int eval_session(const struct sl_vec *ts, const struct sl_vec *gap, uint32_t n,
			struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	if (ts->type == SL_TYPE_NULL || gap->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, SL_TYPE_WINDOW, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, SL_TYPE_WINDOW, n);
	if (rc < 0)
		return rc;
	uint8_t *nl = alloc_nulls(ctx, n, 0);
	if (nl == NULL)
		return -ENOMEM;
	out->nulls = nl;
	for (uint32_t i = 0; i < n; i++) {
		if (is_null_at(ts, i) || is_null_at(gap, i) || gap->v.i64[i] <= 0) {
			nl[i] = 1;
			out->v.win[i] = (struct sl_window){0, 0};
			continue;
		}
		out->v.win[i] = (struct sl_window){ts->v.i64[i], wadd(ts->v.i64[i], gap->v.i64[i])};
	}
	return 0;
}

static int eval_window_field(bool end, const struct sl_vec *w, uint32_t n,
			     struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	if (w->type == SL_TYPE_NULL)
		return vec_all_null(ctx, out, SL_TYPE_TIMESTAMP, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, SL_TYPE_TIMESTAMP, n);
	if (rc < 0)
		return rc;
	out->nulls = w->nulls;
	for (uint32_t i = 0; i < n; i++)
		out->v.i64[i] = end ? w->v.win[i].end : w->v.win[i].start;
	return 0;
}

/* h.key, h.value of a HEADER vector. */
static int eval_header_field(bool value, const struct sl_vec *h, uint32_t n,
			     struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	enum sl_type t = value ? SL_TYPE_BINARY : SL_TYPE_STRING;
	if (h->type != SL_TYPE_HEADER)
		return vec_all_null(ctx, out, t, SL_TYPE_NULL, n);
	int rc = vec_alloc(ctx, out, t, n);
	if (rc < 0)
		return rc;
	if (!value) {
		out->nulls = h->nulls;
		for (uint32_t i = 0; i < n; i++)
			out->v.str[i] = h->v.hdr[i].key;
		return 0;
	}
	uint8_t *nl = alloc_nulls(ctx, n, 0);
	if (nl == NULL)
		return -ENOMEM;
	out->nulls = nl;
	for (uint32_t i = 0; i < n; i++) {
		nl[i] = is_null_at(h, i) || h->v.hdr[i].value_null;
		out->v.str[i] = nl[i] ? (struct sl_str){"", 0} : h->v.hdr[i].value;
	}
	return 0;
}

static int eval_call(const struct sl_expr *e, const struct sl_chunk *in,
		     struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	const uint32_t n = in->nrows;
	struct sl_vec stack_args[MAX_STACK_ARGS];
	struct sl_vec *args = stack_args;
	int rc;

	/* These evaluate (some of) their arguments themselves. */
	if (e->fn == SL_FN_RLIKE)
		return e->nargs == 2 ? eval_rlike(e, in, ctx, out) : -EINVAL;
	if (e->fn == SL_FN_SPLIT)
		return e->nargs == 2 || e->nargs == 3 ? eval_split(e, in, ctx, out) : -EINVAL;

	if (e->nargs > MAX_STACK_ARGS) {
		args = sl_eval_ctx_alloc(ctx, (size_t)e->nargs * sizeof(*args));
		if (args == NULL)
			return -ENOMEM;
	}
	for (uint32_t k = 0; k < e->nargs; k++)
		if ((rc = sl_expr_eval(e->args[k], in, ctx, &args[k])) < 0)
			return rc;

	const uint32_t na = e->nargs;
	switch (e->fn) {
	case SL_FN_AND:
	case SL_FN_OR:
		return na == 2 ? eval_and_or(e->fn == SL_FN_AND, &args[0], &args[1], n, ctx, out)
			       : -EINVAL;
	case SL_FN_NOT:
		return na == 1 ? eval_not(&args[0], n, ctx, out) : -EINVAL;
	case SL_FN_EQ:
	case SL_FN_NE:
	case SL_FN_LT:
	case SL_FN_LE:
	case SL_FN_GT:
	case SL_FN_GE:
		return na == 2 ? eval_compare(e->fn, &args[0], &args[1], n, ctx, out) : -EINVAL;
	case SL_FN_IS_NULL:
	case SL_FN_IS_NOT_NULL:
		return na == 1 ? eval_is_null(e->fn == SL_FN_IS_NULL, &args[0], n, ctx, out)
			       : -EINVAL;
	case SL_FN_ADD:
	case SL_FN_SUB:
	case SL_FN_MUL:
	case SL_FN_DIV:
	case SL_FN_MOD:
		return na == 2 ? eval_arith(e->fn, e->type, &args[0], &args[1], n, ctx, out)
			       : -EINVAL;
	case SL_FN_NEG:
		return na == 1 ? eval_neg(e->type, &args[0], n, ctx, out) : -EINVAL;
	case SL_FN_LIKE:
		return na == 2 ? eval_like(e, &args[0], n, ctx, out) : -EINVAL;
	case SL_FN_LOWER:
	case SL_FN_UPPER:
		return na == 1 ? eval_case(e->fn == SL_FN_UPPER, &args[0], n, ctx, out) : -EINVAL;
	case SL_FN_LENGTH:
		return na == 1 ? eval_length(&args[0], n, ctx, out) : -EINVAL;
	case SL_FN_SUBSTR:
		return na == 2 || na == 3
			       ? eval_substr(&args[0], &args[1], na == 3 ? &args[2] : NULL, n, ctx, out)
			       : -EINVAL;
	case SL_FN_CONCAT:
		return eval_concat(e->type, args, na, n, ctx, out);
	case SL_FN_TRIM:
		return na == 1 ? eval_trim(&args[0], n, ctx, out) : -EINVAL;
	case SL_FN_SIZE:
		return na == 1 ? eval_size(&args[0], n, ctx, out) : -EINVAL;
	case SL_FN_CAST:
		return na == 1 ? eval_cast(e, &args[0], n, ctx, out) : -EINVAL;
	case SL_FN_COALESCE:
		return na >= 1 ? eval_coalesce(e->type, args, na, n, ctx, out) : -EINVAL;
	case SL_FN_IF:
		return na == 3 ? eval_if(e->type, &args[0], &args[1], &args[2], n, ctx, out)
			       : -EINVAL;
	case SL_FN_WINDOW:
		return na == 4 ? eval_window(e, &args[0], n, ctx, out) : -EINVAL;
	case SL_FN_TO_TIMESTAMP:
		return na == 2 ? eval_to_timestamp(e, &args[0], n, ctx, out) : -EINVAL;
	case SL_FN_SESSION:
		return na == 2 ? eval_session(&args[0], &args[1], n, ctx, out) : -EINVAL;
	case SL_FN_WINDOWS:
		return na == 4 ? eval_windows(e, &args[0], n, ctx, out) : -EINVAL;
	case SL_FN_HEADER_KEY:
	case SL_FN_HEADER_VALUE:
		return na == 1 ? eval_header_field(e->fn == SL_FN_HEADER_VALUE, &args[0], n, ctx, out)
			       : -EINVAL;
	case SL_FN_WINDOW_START:
	case SL_FN_WINDOW_END:
		return na == 1 ? eval_window_field(e->fn == SL_FN_WINDOW_END, &args[0], n, ctx, out)
			       : -EINVAL;
	case SL_FN_RLIKE:
	case SL_FN_SPLIT:
	case SL_FN__COUNT:
		break;
	}
	return -EINVAL;
}

int sl_expr_eval(const struct sl_expr *e, const struct sl_chunk *in,
		 struct sl_eval_ctx *ctx, struct sl_vec *out)
{
	switch (e->kind) {
	case SL_EXPR_LITERAL:
		return eval_literal(e, in->nrows, ctx, out);
	case SL_EXPR_COLUMN:
		if (e->col >= in->ncols)
			return -EINVAL;
		*out = in->cols[e->col];
		return 0;
	case SL_EXPR_CALL:
		return eval_call(e, in, ctx, out);
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* prepare, release, free                                             */
/* ------------------------------------------------------------------ */

static const char *fn_name(enum sl_fn fn)
{
	switch (fn) {
	case SL_FN_LIKE:
		return "LIKE";
	case SL_FN_RLIKE:
		return "RLIKE";
	default:
		return "split";
	}
}

/* The pattern argument: a STRING literal, or NULL (in *is_null) for a
 * NULL literal; -EINVAL with a message for anything else. */
static int pattern_arg(const struct sl_expr *e, const struct sl_expr **pat, bool *is_null,
		       char *err, size_t errlen)
{
	const struct sl_expr *p = e->nargs >= 2 ? e->args[1] : NULL;
	if (p == NULL || p->kind != SL_EXPR_LITERAL ||
	    (p->type != SL_TYPE_STRING && p->type != SL_TYPE_NULL)) {
		const struct sl_expr *at = p != NULL && p->line != 0 ? p : e;
		snprintf(err, errlen, "line %u, column %u: the pattern of %s must be a constant string",
			 at->line, at->column, fn_name(e->fn));
		return -EINVAL;
	}
	*pat = p;
	*is_null = p->lit.is_null || p->type == SL_TYPE_NULL || p->lit.type == SL_TYPE_NULL;
	return 0;
}

int sl_expr_prepare(struct sl_expr *e, char *err, size_t errlen)
{
	int rc;
	if (e == NULL)
		return 0;
	for (uint32_t k = 0; k < e->nargs; k++)
		if ((rc = sl_expr_prepare(e->args[k], err, errlen)) < 0)
			return rc;
	if (e->kind != SL_EXPR_CALL || e->compiled != NULL)
		return 0;
	if (e->fn != SL_FN_LIKE && e->fn != SL_FN_RLIKE && e->fn != SL_FN_SPLIT)
		return 0;

	const struct sl_expr *p;
	bool is_null;
	if ((rc = pattern_arg(e, &p, &is_null, err, errlen)) < 0)
		return rc;
	if (is_null)
		return 0; /* the result is NULL on every row */
	const struct sl_str pat = p->lit.v.str;
	const uint32_t line = p->line != 0 ? p->line : e->line;
	const uint32_t column = p->line != 0 ? p->column : e->column;
	char why[512];
	why[0] = '\0';

	switch (e->fn) {
	case SL_FN_LIKE: {
		struct sl_like *lk = like_compile(pat.ptr, pat.len, why, sizeof(why));
		if (lk == NULL) {
			if (errno != EINVAL)
				return -ENOMEM;
			snprintf(err, errlen, "line %u, column %u: the pattern '%.*s' is invalid, %s",
				 line, column, (int)pat.len, pat.ptr, why);
			return -EINVAL;
		}
		e->compiled = lk;
		return 0;
	}
	case SL_FN_RLIKE: {
		uint32_t bad = 0;
		struct sl_regex_set *set = sl_regex_set_compile(&pat, 1, &bad, why, sizeof(why));
		if (set == NULL) {
			if (errno != EINVAL)
				return -ENOMEM;
			sl_regex_error(err, errlen, line, column, &pat, why);
			return -EINVAL;
		}
		struct sl_rlike *rl = malloc(sizeof(*rl));
		if (rl == NULL) {
			sl_regex_set_unref(set);
			return -ENOMEM;
		}
		rl->set = set;
		rl->bit = 0;
		e->compiled = rl;
		return 0;
	}
	default: {
		struct sl_splitter *sp = sl_splitter_create(pat.ptr, pat.len, why, sizeof(why));
		if (sp == NULL) {
			if (errno != EINVAL)
				return -ENOMEM;
			sl_regex_error(err, errlen, line, column, &pat, why);
			return -EINVAL;
		}
		e->compiled = sp;
		return 0;
	}
	}
}

void sl_expr_release(struct sl_expr *e)
{
	if (e == NULL)
		return;
	for (uint32_t k = 0; k < e->nargs; k++)
		sl_expr_release(e->args[k]);
	if (e->kind != SL_EXPR_CALL || e->compiled == NULL)
		return;
	switch (e->fn) {
	case SL_FN_LIKE:
		like_free(e->compiled);
		break;
	case SL_FN_RLIKE: {
		struct sl_rlike *rl = e->compiled;
		sl_regex_set_unref(rl->set);
		free(rl);
		break;
	}
	case SL_FN_SPLIT:
		sl_splitter_destroy(e->compiled);
		break;
	default:
		break;
	}
	e->compiled = NULL;
}

void sl_expr_free(struct sl_expr *e)
{
	if (e == NULL)
		return;
	sl_expr_release(e);
	for (uint32_t k = 0; k < e->nargs; k++)
		sl_expr_free(e->args[k]);
	free(e->args);
	if (e->kind == SL_EXPR_LITERAL && sl_type_is_bytes(e->lit.type) && !e->lit.is_null)
		free((void *)e->lit.v.str.ptr);
	free(e);
}

/* ---- the CAST conversions, for parsers of outside text ---- */

bool sl_text_to_bool(const char *s, uint32_t len, bool *out)
{
	return parse_bool(s, len, out);
}

bool sl_text_to_integral(const char *s, uint32_t len, bool is_int, int64_t *out)
{
	return parse_integral(s, len, is_int, out);
}

bool sl_text_to_double(const char *s, uint32_t len, double *out)
{
	return parse_double(NULL, s, len, out);
}

bool sl_text_to_timestamp(const char *s, uint32_t len, int64_t *out)
{
	return parse_timestamp(s, len, out);
}

bool sl_text_to_timestamp_pattern(const char *s, uint32_t len, const char *pat, uint32_t plen,
				  int64_t *out)
{
	return parse_with_pattern(s, len, pat, plen, out);
}
