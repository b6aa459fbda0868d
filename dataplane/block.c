/* block.c — record block layout and row appends (see block.h). */
#include "block.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

size_t sl_block_bytes(uint32_t ncols, const enum sl_type *types, uint32_t rows,
		      uint32_t heap_bytes)
{
	size_t n = align8(sizeof(struct sl_block)) + align8((size_t)rows * sizeof(uint64_t));
	for (uint32_t c = 0; c < ncols; c++)
		n += align8((size_t)rows * sl_type_width(types[c])) + align8(rows);
	return n + heap_bytes;
}

struct sl_block *sl_block_create(uint32_t ncols, const enum sl_type *types, uint32_t rows,
				 uint32_t heap_bytes)
{
	if (ncols > SL_BLOCK_MAX_COLS) {
		errno = EINVAL;
		return NULL;
	}
	for (uint32_t c = 0; c < ncols; c++)
		if (types[c] == SL_TYPE_ARRAY) { /* arrays never cross a ring */
			errno = EINVAL;
			return NULL;
		}
	size_t total = sl_block_bytes(ncols, types, rows, heap_bytes);
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
	}
	b->heap = p;
	b->heap_cap = heap_bytes;
	return b;
}

void sl_block_destroy(struct sl_block *b)
{
	free(b);
}

size_t sl_block_row_bytes(const struct sl_vec *src, uint32_t ncols, uint32_t row)
{
	size_t n = 0;
	for (uint32_t c = 0; c < ncols; c++)
		if (sl_type_is_bytes(src[c].type) && !sl_vec_is_null(&src[c], row))
			n += src[c].v.str[row].len;
	return n;
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
	for (uint32_t c = 0; c < b->ncols; c++) {
		struct sl_vec *d = &b->cols[c];
		const struct sl_vec *s = &src[c];
		bool null = sl_vec_is_null(s, row);
		d->nulls[r] = null;
		if (null)
			continue;
		switch (d->type) {
		case SL_TYPE_STRING:
		case SL_TYPE_BINARY: {
			struct sl_str str = s->v.str[row];
			char *dst = b->heap + b->heap_used;
			if (str.len)
				memcpy(dst, str.ptr, str.len);
			b->heap_used += str.len;
			d->v.str[r] = (struct sl_str){dst, str.len};
			break;
		}
		case SL_TYPE_BOOLEAN:
			d->v.b[r] = s->v.b[row];
			break;
		case SL_TYPE_DOUBLE:
			d->v.f64[r] = s->v.f64[row];
			break;
		case SL_TYPE_WINDOW:
			d->v.win[r] = s->v.win[row];
			break;
		case SL_TYPE_NULL:
			d->nulls[r] = 1;
			break;
		default:
			d->v.i64[r] = s->v.i64[row];
			break;
		}
	}
	b->hash[r] = hash;
	b->nrows = r + 1;
	return 0;
}
