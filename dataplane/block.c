/* block.c — record block layout and row appends (see block.h). */
#include "block.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static bool elem_type_ok(enum sl_type t)
{
	return t != SL_TYPE_ARRAY && t != SL_TYPE_NULL && (unsigned)t < SL_TYPE__COUNT;
}

static size_t layout_bytes(uint32_t ncols, const enum sl_type *types,
			   const enum sl_type *elem_types, uint32_t rows, uint32_t elems,
			   uint32_t heap_bytes)
{
	size_t n = align8(sizeof(struct sl_block)) + align8((size_t)rows * sizeof(uint64_t));
	for (uint32_t c = 0; c < ncols; c++) {
		n += align8((size_t)rows * sl_type_width(types[c])) + align8(rows);
		if (types[c] == SL_TYPE_ARRAY)
			n += align8((size_t)elems * sl_type_width(elem_types[c])) + align8(elems);
	}
	return n + heap_bytes;
}

size_t sl_block_bytes(uint32_t ncols, const enum sl_type *types, uint32_t rows,
		      uint32_t heap_bytes)
{
	return layout_bytes(ncols, types, NULL, rows, 0, heap_bytes);
}

struct sl_block *sl_block_create_arrays(uint32_t ncols, const enum sl_type *types,
					const enum sl_type *elem_types, uint32_t rows,
					uint32_t elems, uint32_t heap_bytes)
{
	if (ncols > SL_BLOCK_MAX_COLS) {
		errno = EINVAL;
		return NULL;
	}
	for (uint32_t c = 0; c < ncols; c++)
		if (types[c] == SL_TYPE_ARRAY && (elem_types == NULL || !elem_type_ok(elem_types[c]))) {
			errno = EINVAL;
			return NULL;
		}
	size_t total = layout_bytes(ncols, types, elem_types, rows, elems, heap_bytes);
	char *mem = aligned_alloc(SL_CACHE_LINE, (total + SL_CACHE_LINE - 1) & ~(size_t)(SL_CACHE_LINE - 1));
	if (mem == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	struct sl_block *b = (struct sl_block *)mem;
	memset(b, 0, sizeof(*b));
	char *p = mem + align8(sizeof(*b));
	b->hash = (uint64_t *)p;
	p += align8((size_t)rows * sizeof(uint64_t));
	b->ncols = ncols;
	for (uint32_t c = 0; c < ncols; c++) {
		struct sl_vec *v = &b->cols[c];
		v->type = types[c];
		v->v.i64 = (int64_t *)p;
		p += align8((size_t)rows * sl_type_width(types[c]));
		v->nulls = (uint8_t *)p;
		p += align8(rows);
		if (types[c] != SL_TYPE_ARRAY)
			continue;
		struct sl_vec *e = &b->elem[c];
		e->type = elem_types[c];
		e->v.i64 = (int64_t *)p;
		p += align8((size_t)elems * sl_type_width(elem_types[c]));
		e->nulls = (uint8_t *)p;
		p += align8(elems);
		v->elem_type = elem_types[c];
		v->elem = e;
		b->has_arrays = true;
	}
	b->elems_cap = elems;
	b->heap = p;
	b->heap_cap = heap_bytes;
	return b;
}

struct sl_block *sl_block_create(uint32_t ncols, const enum sl_type *types, uint32_t rows,
				 uint32_t heap_bytes)
{
	return sl_block_create_arrays(ncols, types, NULL, rows, 0, heap_bytes);
}

void sl_block_destroy(struct sl_block *b)
{
	free(b);
}

/* Heap bytes value i of v takes in a block (v's type not ARRAY). */
static size_t value_bytes(const struct sl_vec *v, uint32_t i)
{
	if (sl_vec_is_null(v, i))
		return 0;
	if (sl_type_is_bytes(v->type))
		return v->v.str[i].len;
	if (v->type == SL_TYPE_HEADER)
		return (size_t)v->v.hdr[i].key.len + (v->v.hdr[i].value_null ? 0 : v->v.hdr[i].value.len);
	return 0;
}

size_t sl_block_row_bytes(const struct sl_vec *src, uint32_t ncols, uint32_t row)
{
	size_t n = 0;
	for (uint32_t c = 0; c < ncols; c++) {
		if (src[c].type != SL_TYPE_ARRAY) {
			n += value_bytes(&src[c], row);
			continue;
		}
		if (sl_vec_is_null(&src[c], row))
			continue;
		struct sl_span sp = src[c].v.arr[row];
		for (uint32_t k = 0; k < sp.len; k++)
			n += value_bytes(src[c].elem, sp.off + k);
	}
	return n;
}

size_t sl_block_row_elems(const struct sl_vec *src, uint32_t ncols, uint32_t row)
{
	size_t n = 0;
	for (uint32_t c = 0; c < ncols; c++)
		if (src[c].type == SL_TYPE_ARRAY && !sl_vec_is_null(&src[c], row))
			n += src[c].v.arr[row].len;
	return n;
}

static struct sl_str heap_copy(struct sl_block *b, struct sl_str str)
{
	char *dst = b->heap + b->heap_used;
	if (str.len)
		memcpy(dst, str.ptr, str.len);
	b->heap_used += str.len;
	return (struct sl_str){dst, str.len};
}

/* Copy non-null value si of s into slot di of d (same type, not ARRAY);
 * the heap has room. */
static void put_value(struct sl_block *b, struct sl_vec *d, uint32_t di, const struct sl_vec *s,
		      uint32_t si)
{
	switch (d->type) {
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		d->v.str[di] = heap_copy(b, s->v.str[si]);
		break;
	case SL_TYPE_HEADER: {
		struct sl_header h = s->v.hdr[si];
		h.key = heap_copy(b, h.key);
		h.value = h.value_null ? (struct sl_str){"", 0} : heap_copy(b, h.value);
		d->v.hdr[di] = h;
		break;
	}
	case SL_TYPE_BOOLEAN:
		d->v.b[di] = s->v.b[si];
		break;
	case SL_TYPE_DOUBLE:
		d->v.f64[di] = s->v.f64[si];
		break;
	case SL_TYPE_WINDOW:
		d->v.win[di] = s->v.win[si];
		break;
	case SL_TYPE_NULL:
		d->nulls[di] = 1;
		break;
	default:
		d->v.i64[di] = s->v.i64[si];
		break;
	}
}

int sl_block_append_row(struct sl_block *b, const struct sl_vec *src, uint32_t row, uint64_t hash)
{
	uint32_t r = b->nrows;
	if (r == SL_BLOCK_ROWS && !b->oversized)
		return -ENOSPC;
	if (b->oversized && r == 1)
		return -ENOSPC;
	size_t need = sl_block_row_bytes(src, b->ncols, row);
	if (need > b->heap_cap - b->heap_used)
		return -ENOSPC;
	if (b->has_arrays && sl_block_row_elems(src, b->ncols, row) > b->elems_cap - b->elems_used)
		return -ENOSPC;
	for (uint32_t c = 0; c < b->ncols; c++) {
		struct sl_vec *d = &b->cols[c];
		const struct sl_vec *s = &src[c];
		bool null = sl_vec_is_null(s, row);
		d->nulls[r] = null;
		if (null) {
			if (d->type == SL_TYPE_ARRAY)
				d->v.arr[r] = (struct sl_span){b->elems_used, 0};
			continue;
		}
		if (d->type != SL_TYPE_ARRAY) {
			put_value(b, d, r, s, row);
			continue;
		}
		struct sl_span sp = s->v.arr[row];
		struct sl_vec *e = d->elem;
		for (uint32_t k = 0; k < sp.len; k++) {
			uint32_t at = b->elems_used + k;
			bool en = sl_vec_is_null(s->elem, sp.off + k);
			e->nulls[at] = en;
			if (!en)
				put_value(b, e, at, s->elem, sp.off + k);
		}
		d->v.arr[r] = (struct sl_span){b->elems_used, sp.len};
		b->elems_used += sp.len;
	}
	b->hash[r] = hash;
	b->nrows = r + 1;
	return 0;
}
