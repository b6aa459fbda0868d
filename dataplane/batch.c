/*
 * batch.c — growable result batches (see batch.h).
 *
 * Layout and invariants:
 *  - Every typed column owns a value array and a nulls array of b->cap rows
 *    (nulls is never NULL for a typed column, so consumers can always index
 *    it); a NULL-typed column owns nothing. Capacity grows to powers of two.
 *  - An ARRAY column's spans index its element vector, which the batch owns
 *    too and grows on its own (struct elem_store). Elements are appended in
 *    row order and never rewritten, so sorting only permutes spans.
 *  - String bytes live in the arena: a list of chunks that are never
 *    reallocated, so an sl_str handed out stays valid until clear or
 *    destroy, however much the batch grows afterwards.
 *  - An append either adds all its rows or none (nrows is set last); space
 *    taken in the arena by a failed append is only reclaimed by clear.
 */
#include "batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_MIN_CHUNK (64u * 1024)
#define ARENA_MAX_CHUNK (16u * 1024 * 1024)
#define MIN_ROWS 16u

struct arena_chunk {
	struct arena_chunk *next;
	size_t cap, used;
	char data[];
};

/* The element storage of one ARRAY column. */
struct elem_store {
	struct sl_vec vec; /* the element vector cols[i].elem points at */
	uint32_t n, cap;   /* elements used by committed rows; room */
	uint32_t staged;   /* n once the append in progress commits */
};

/* A batch's private storage (named by batch.h). */
struct sl_batch_arena {
	struct arena_chunk *chunks; /* the chunk being filled first */
	struct elem_store *elems;   /* one per column; used by ARRAY columns */
};

/* ---- string arena ---- */

static char *arena_alloc(struct sl_batch_arena *a, size_t n)
{
	struct arena_chunk *c = a->chunks;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = c ? c->cap * 2 : ARENA_MIN_CHUNK;
		if (cap > ARENA_MAX_CHUNK)
			cap = ARENA_MAX_CHUNK;
		if (cap < n)
			cap = n;
		struct arena_chunk *nc = malloc(sizeof(*nc) + cap);
		if (nc == NULL)
			return NULL;
		nc->cap = cap;
		nc->used = 0;
		nc->next = c;
		a->chunks = nc;
		c = nc;
	}
	char *p = c->data + c->used;
	c->used += n;
	return p;
}

/* Keep the largest chunk for the next epoch, free the others. */
static void arena_reset(struct sl_batch_arena *a)
{
	struct arena_chunk *keep = NULL;
	for (struct arena_chunk *c = a->chunks, *next; c != NULL; c = next) {
		next = c->next;
		if (keep == NULL || c->cap > keep->cap) {
			free(keep);
			keep = c;
		} else {
			free(c);
		}
	}
	if (keep != NULL) {
		keep->used = 0;
		keep->next = NULL;
	}
	a->chunks = keep;
}

/* ---- vector storage ---- */


/* Which member of v.* holds the values; vectors of one class can be copied
 * into each other (an INT chunk column into a BIGINT batch column). */
static int storage_class(enum sl_type t)
{
	return t == SL_TYPE_INT || t == SL_TYPE_TIMESTAMP ? (int)SL_TYPE_BIGINT : (int)t;
}

static void *vec_values(const struct sl_vec *v)
{
	return v->v.b; /* every member of the union is a pointer to the storage */
}

static void vec_set_values(struct sl_vec *v, void *p)
{
	v->v.b = p;
}

/* Grow v's value and null arrays to cap rows (contents kept). */
static int vec_grow(struct sl_vec *v, uint32_t cap)
{
	size_t sz = sl_type_width(v->type);
	if (sz == 0)
		return 0;
	void *vals = realloc(vec_values(v), (size_t)cap * sz);
	if (vals == NULL)
		return -ENOMEM;
	vec_set_values(v, vals);
	uint8_t *nulls = realloc(v->nulls, cap);
	if (nulls == NULL)
		return -ENOMEM;
	v->nulls = nulls;
	return 0;
}

static void vec_free(struct sl_vec *v)
{
	free(vec_values(v));
	free(v->nulls);
	vec_set_values(v, NULL);
	v->nulls = NULL;
}

static uint32_t grown_cap(uint32_t cap, uint64_t need)
{
	uint64_t c = cap ? cap : MIN_ROWS;
	while (c < need)
		c *= 2;
	return c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

static int elems_reserve(struct elem_store *es, uint64_t need)
{
	if (need <= es->cap)
		return 0;
	if (need > UINT32_MAX)
		return -ENOMEM;
	uint32_t cap = grown_cap(es->cap, need);
	int rc = vec_grow(&es->vec, cap);
	if (rc < 0)
		return rc;
	es->cap = cap;
	return 0;
}

static int rows_reserve(struct sl_batch *b, uint64_t need)
{
	if (need <= b->cap)
		return 0;
	if (need > UINT32_MAX)
		return -ENOMEM;
	uint32_t cap = grown_cap(b->cap, need);
	for (uint32_t i = 0; i < b->ncols; i++) {
		int rc = vec_grow(&b->cols[i], cap);
		if (rc < 0)
			return rc; /* columns already grown keep their larger arrays */
	}
	b->cap = cap;
	return 0;
}

/* ---- create / destroy ---- */

static bool scalar_type(enum sl_type t)
{
	return t != SL_TYPE_ARRAY && (unsigned)t < SL_TYPE__COUNT;
}

struct sl_batch *sl_batch_create(const struct sl_schema *schema)
{
	struct sl_batch *b = calloc(1, sizeof(*b));
	if (b == NULL)
		goto err_batch;
	b->arena = calloc(1, sizeof(*b->arena));
	if (b->arena == NULL)
		goto err_arena;
	b->ncols = schema->ncols;
	if (b->ncols > 0) {
		b->cols = calloc(b->ncols, sizeof(*b->cols));
		b->arena->elems = calloc(b->ncols, sizeof(*b->arena->elems));
		if (b->cols == NULL || b->arena->elems == NULL)
			goto err_cols;
	}
	for (uint32_t i = 0; i < b->ncols; i++) {
		const struct sl_column_def *d = &schema->cols[i];
		if ((unsigned)d->type >= SL_TYPE__COUNT ||
		    (d->type == SL_TYPE_ARRAY && !scalar_type(d->elem_type))) {
			errno = EINVAL;
			goto err_inval;
		}
		b->cols[i].type = d->type;
		if (d->type == SL_TYPE_ARRAY) {
			b->cols[i].elem_type = d->elem_type;
			b->arena->elems[i].vec.type = d->elem_type;
			b->cols[i].elem = &b->arena->elems[i].vec;
		}
	}
	if (rows_reserve(b, MIN_ROWS) < 0)
		goto err_cols;
	return b;

err_cols:
	errno = ENOMEM;
err_inval:
	sl_batch_destroy(b);
	return NULL;
err_arena:
	free(b);
err_batch:
	errno = ENOMEM;
	return NULL;
}

void sl_batch_destroy(struct sl_batch *b)
{
	if (b == NULL)
		return;
	for (uint32_t i = 0; b->cols != NULL && i < b->ncols; i++)
		vec_free(&b->cols[i]);
	if (b->arena != NULL) {
		for (uint32_t i = 0; b->arena->elems != NULL && i < b->ncols; i++)
			vec_free(&b->arena->elems[i].vec);
		arena_reset(b->arena);
		free(b->arena->chunks);
		free(b->arena->elems);
		free(b->arena);
	}
	free(b->cols);
	free(b);
}

void sl_batch_clear(struct sl_batch *b)
{
	b->nrows = 0;
	for (uint32_t i = 0; i < b->ncols; i++)
		b->arena->elems[i].n = 0;
	arena_reset(b->arena);
}

/* ---- append ---- */

static struct sl_str zero_str(void)
{
	return (struct sl_str){ .ptr = "", .len = 0 };
}

/* Copy string s into the arena, as *out. */
static int copy_str(struct sl_batch_arena *a, struct sl_str *out, struct sl_str s)
{
	if (s.len == 0) {
		*out = zero_str();
		return 0;
	}
	char *p = arena_alloc(a, s.len);
	if (p == NULL)
		return -ENOMEM;
	memcpy(p, s.ptr, s.len);
	*out = (struct sl_str){ .ptr = p, .len = s.len };
	return 0;
}

/* Copy value src[si] into dst[di]; both non-null and of one storage class. */
static int copy_value(struct sl_batch_arena *a, struct sl_vec *dst, uint32_t di,
		      const struct sl_vec *src, uint32_t si)
{
	switch (dst->type) {
	case SL_TYPE_BOOLEAN:
		dst->v.b[di] = src->v.b[si] != 0;
		return 0;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
	case SL_TYPE_INTERVAL:
		dst->v.i64[di] = src->v.i64[si];
		return 0;
	case SL_TYPE_DOUBLE:
		dst->v.f64[di] = src->v.f64[si];
		return 0;
	case SL_TYPE_WINDOW:
		dst->v.win[di] = src->v.win[si];
		return 0;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		return copy_str(a, &dst->v.str[di], src->v.str[si]);
	case SL_TYPE_HEADER: {
		struct sl_header h = src->v.hdr[si];
		int rc = copy_str(a, &h.key, h.key);
		if (rc == 0 && !h.value_null)
			rc = copy_str(a, &h.value, h.value);
		if (h.value_null)
			h.value = zero_str();
		dst->v.hdr[di] = h;
		return rc;
	}
	case SL_TYPE_ARRAY:
	case SL_TYPE_NULL:
	case SL_TYPE__COUNT:
		break;
	}
	return 0;
}

static void clear_value(struct sl_vec *dst, uint32_t di)
{
	switch (dst->type) {
	case SL_TYPE_BOOLEAN:
		dst->v.b[di] = 0;
		break;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
	case SL_TYPE_INTERVAL:
		dst->v.i64[di] = 0;
		break;
	case SL_TYPE_DOUBLE:
		dst->v.f64[di] = 0;
		break;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		dst->v.str[di] = zero_str();
		break;
	case SL_TYPE_ARRAY:
		dst->v.arr[di] = (struct sl_span){ 0, 0 };
		break;
	case SL_TYPE_WINDOW:
		dst->v.win[di] = (struct sl_window){ 0, 0 };
		break;
	case SL_TYPE_HEADER:
		dst->v.hdr[di] = (struct sl_header){ zero_str(), zero_str(), 1 };
		break;
	case SL_TYPE_NULL:
	case SL_TYPE__COUNT:
		break;
	}
}

/* Copy one (possibly null) slot; a NULL-typed source is null everywhere. */
static int copy_slot(struct sl_batch_arena *a, struct sl_vec *dst, uint32_t di,
		     const struct sl_vec *src, uint32_t si)
{
	if (dst->type == SL_TYPE_NULL)
		return 0;
	if (sl_vec_is_null(src, si)) {
		dst->nulls[di] = 1;
		clear_value(dst, di);
		return 0;
	}
	dst->nulls[di] = 0;
	return copy_value(a, dst, di, src, si);
}

static bool compatible(const struct sl_vec *dst, const struct sl_vec *src)
{
	if (dst->type == SL_TYPE_NULL || src->type == SL_TYPE_NULL)
		return true;
	if (storage_class(dst->type) != storage_class(src->type))
		return false;
	if (dst->type == SL_TYPE_ARRAY)
		return src->elem != NULL &&
		       (dst->elem_type == SL_TYPE_NULL || src->elem->type == SL_TYPE_NULL ||
			storage_class(dst->elem_type) == storage_class(src->elem->type));
	return true;
}

/* Elements that rows [0, n) of an ARRAY source hold. */
static uint64_t count_elems(const struct sl_vec *src, uint32_t n)
{
	uint64_t total = 0;
	if (src->type != SL_TYPE_ARRAY)
		return 0;
	for (uint32_t r = 0; r < n; r++)
		if (!sl_vec_is_null(src, r))
			total += src->v.arr[r].len;
	return total;
}

/* Reserve rows and elements for appending n rows of cols. */
static int reserve_for(struct sl_batch *b, const struct sl_vec *cols, uint32_t n)
{
	int rc = rows_reserve(b, (uint64_t)b->nrows + n);
	for (uint32_t c = 0; rc == 0 && c < b->ncols; c++) {
		if (b->cols[c].type != SL_TYPE_ARRAY)
			continue;
		struct elem_store *es = &b->arena->elems[c];
		rc = elems_reserve(es, es->n + count_elems(&cols[c], n));
	}
	return rc;
}

/* Append n rows of cols; room is already reserved. */
static int append_rows(struct sl_batch *b, const struct sl_vec *cols, uint32_t n)
{
	uint32_t base = b->nrows;

	for (uint32_t c = 0; c < b->ncols; c++) {
		struct sl_vec *dst = &b->cols[c];
		const struct sl_vec *src = &cols[c];
		if (dst->type != SL_TYPE_ARRAY || src->type != SL_TYPE_ARRAY) {
			for (uint32_t r = 0; r < n; r++) {
				int rc = copy_slot(b->arena, dst, base + r, src, r);
				if (rc < 0)
					return rc;
			}
			continue;
		}
		struct elem_store *es = &b->arena->elems[c];
		uint32_t en = es->n;
		for (uint32_t r = 0; r < n; r++) {
			if (sl_vec_is_null(src, r)) {
				dst->nulls[base + r] = 1;
				dst->v.arr[base + r] = (struct sl_span){ en, 0 };
				continue;
			}
			struct sl_span sp = src->v.arr[r];
			dst->nulls[base + r] = 0;
			dst->v.arr[base + r] = (struct sl_span){ en, sp.len };
			for (uint32_t k = 0; k < sp.len; k++) {
				int rc = copy_slot(b->arena, &es->vec, en + k, src->elem, sp.off + k);
				if (rc < 0)
					return rc;
			}
			en += sp.len;
		}
		es->staged = en;
	}
	/* commit: every copy succeeded */
	for (uint32_t c = 0; c < b->ncols; c++)
		if (b->cols[c].type == SL_TYPE_ARRAY && cols[c].type == SL_TYPE_ARRAY)
			b->arena->elems[c].n = b->arena->elems[c].staged;
	b->nrows = base + n;
	return 0;
}

int sl_batch_append_chunk(struct sl_batch *b, const struct sl_chunk *c)
{
	if (c->ncols != b->ncols)
		return -EINVAL;
	for (uint32_t i = 0; i < b->ncols; i++)
		if (!compatible(&b->cols[i], &c->cols[i]))
			return -EINVAL;
	if (c->nrows == 0)
		return 0;
	int rc = reserve_for(b, c->cols, c->nrows);
	if (rc < 0)
		return rc;
	return append_rows(b, c->cols, c->nrows);
}

int sl_batch_append_batch(struct sl_batch *b, const struct sl_batch *src)
{
	if (src->ncols != b->ncols)
		return -EINVAL;
	for (uint32_t i = 0; i < b->ncols; i++)
		if (!compatible(&b->cols[i], &src->cols[i]))
			return -EINVAL;
	uint32_t n = src->nrows;
	if (n == 0)
		return 0;
	/* reserve first: when src is b, growing moves src's arrays */
	int rc = reserve_for(b, src->cols, n);
	if (rc < 0)
		return rc;
	return append_rows(b, src->cols, n);
}

void sl_batch_as_chunk(const struct sl_batch *b, struct sl_chunk *out)
{
	out->nrows = b->nrows;
	out->ncols = b->ncols;
	out->cols = b->cols;
}

/* ---- sort ---- */

/* Spark's double ordering: -0.0 == 0.0, NaN == NaN and above everything. */
static int cmp_double(double x, double y)
{
	if (x == y)
		return 0;
	bool xn = x != x, yn = y != y;
	if (xn || yn)
		return xn && yn ? 0 : xn ? 1 : -1;
	return x < y ? -1 : 1;
}

/* Unsigned bytes, then the shorter first (UTF8String.compareTo). */
static int cmp_str(struct sl_str x, struct sl_str y)
{
	uint32_t n = x.len < y.len ? x.len : y.len;
	int c = n ? memcmp(x.ptr, y.ptr, n) : 0;
	if (c != 0)
		return c < 0 ? -1 : 1;
	return (x.len > y.len) - (x.len < y.len);
}

/* Two non-null values of v, ascending. */
static int cmp_values(const struct sl_vec *v, uint32_t a, uint32_t b)
{
	switch (v->type) {
	case SL_TYPE_BOOLEAN:
		return (int)(v->v.b[a] != 0) - (int)(v->v.b[b] != 0);
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
	case SL_TYPE_INTERVAL:
		return (v->v.i64[a] > v->v.i64[b]) - (v->v.i64[a] < v->v.i64[b]);
	case SL_TYPE_DOUBLE:
		return cmp_double(v->v.f64[a], v->v.f64[b]);
	case SL_TYPE_WINDOW: {
		/* a struct orders field by field */
		struct sl_window x = v->v.win[a], y = v->v.win[b];
		if (x.start != y.start)
			return x.start < y.start ? -1 : 1;
		return (x.end > y.end) - (x.end < y.end);
	}
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		return cmp_str(v->v.str[a], v->v.str[b]);
	case SL_TYPE_HEADER: {
		/* a struct orders field by field; a null value below any value */
		struct sl_header x = v->v.hdr[a], y = v->v.hdr[b];
		int c = cmp_str(x.key, y.key);
		if (c != 0 || (x.value_null && y.value_null))
			return c;
		if (x.value_null || y.value_null)
			return x.value_null ? -1 : 1;
		return cmp_str(x.value, y.value);
	}
	case SL_TYPE_ARRAY: {
		/* Spark's ArrayType ordering: element by element, a null element
		 * below any value, then the shorter first */
		struct sl_span x = v->v.arr[a], y = v->v.arr[b];
		uint32_t n = x.len < y.len ? x.len : y.len;
		for (uint32_t i = 0; i < n; i++) {
			bool xn = sl_vec_is_null(v->elem, x.off + i);
			bool yn = sl_vec_is_null(v->elem, y.off + i);
			if (xn && yn)
				continue;
			if (xn || yn)
				return xn ? -1 : 1;
			int c = cmp_values(v->elem, x.off + i, y.off + i);
			if (c != 0)
				return c;
		}
		return (x.len > y.len) - (x.len < y.len);
	}
	case SL_TYPE_NULL:
	case SL_TYPE__COUNT:
		break;
	}
	return 0;
}

static int cmp_rows(const struct sl_batch *b, const struct sl_order_key *keys, uint32_t nkeys,
		    uint32_t ra, uint32_t rb)
{
	for (uint32_t k = 0; k < nkeys; k++) {
		const struct sl_vec *v = &b->cols[keys[k].col];
		bool na = sl_vec_is_null(v, ra), nb = sl_vec_is_null(v, rb);
		if (na && nb)
			continue;
		if (na || nb) /* nulls go where the key says, whatever the direction */
			return na == keys[k].nulls_first ? -1 : 1;
		int c = cmp_values(v, ra, rb);
		if (c != 0)
			return keys[k].desc ? -c : c;
	}
	return 0;
}

/* Bottom-up merge sort of row indices; stable (ties keep the left run first). */
static void sort_perm(const struct sl_batch *b, const struct sl_order_key *keys, uint32_t nkeys,
		      uint32_t *perm, uint32_t *tmp, uint32_t n)
{
	uint32_t *src = perm, *dst = tmp;
	for (uint64_t width = 1; width < n; width *= 2) {
		for (uint64_t lo = 0; lo < n; lo += 2 * width) {
			uint64_t mid = lo + width < n ? lo + width : n;
			uint64_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			uint64_t i = lo, j = mid, o = lo;
			while (i < mid && j < hi)
				dst[o++] = cmp_rows(b, keys, nkeys, src[j], src[i]) < 0 ? src[j++]
											 : src[i++];
			while (i < mid)
				dst[o++] = src[i++];
			while (j < hi)
				dst[o++] = src[j++];
		}
		uint32_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != perm)
		memcpy(perm, src, (size_t)n * sizeof(*perm));
}

/* Reorder v's rows [0, n) as perm says, through scratch. */
static void permute_vec(struct sl_vec *v, const uint32_t *perm, uint32_t n, void *scratch)
{
	size_t sz = sl_type_width(v->type);
	if (sz == 0)
		return;
	char *vals = vec_values(v);
	char *s = scratch;
	for (uint32_t i = 0; i < n; i++)
		memcpy(s + (size_t)i * sz, vals + (size_t)perm[i] * sz, sz);
	memcpy(vals, s, (size_t)n * sz);
	uint8_t *ns = scratch;
	for (uint32_t i = 0; i < n; i++)
		ns[i] = v->nulls[perm[i]];
	memcpy(v->nulls, ns, n);
}

int sl_batch_sort(struct sl_batch *b, const struct sl_order_key *keys, uint32_t nkeys)
{
	for (uint32_t k = 0; k < nkeys; k++)
		if (keys[k].col >= b->ncols)
			return -EINVAL;
	uint32_t n = b->nrows;
	if (n < 2 || nkeys == 0)
		return 0;
	uint32_t *perm = malloc((size_t)n * 2 * sizeof(*perm));
	void *scratch = malloc((size_t)n * SL_TYPE_MAX_WIDTH);
	if (perm == NULL || scratch == NULL) {
		free(perm);
		free(scratch);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	sort_perm(b, keys, nkeys, perm, perm + n, n);
	for (uint32_t c = 0; c < b->ncols; c++)
		permute_vec(&b->cols[c], perm, n, scratch);
	free(perm);
	free(scratch);
	return 0;
}

void sl_batch_truncate(struct sl_batch *b, uint32_t n)
{
	if (n < b->nrows)
		b->nrows = n;
}
