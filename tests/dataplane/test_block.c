/* test_block.c — record block layout, row appends, heap limits. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "block.h"

Test(block, appends_rows_of_every_type_and_copies_strings)
{
	enum sl_type types[] = {SL_TYPE_STRING, SL_TYPE_BIGINT, SL_TYPE_DOUBLE, SL_TYPE_BOOLEAN};
	struct sl_block *b = sl_block_create(4, types, 16, 64);
	cr_assert_not_null(b);
	char word[] = "hello";
	struct sl_str s[2] = {{word, 5}, {NULL, 0}};
	int64_t i64[2] = {42, 7};
	double f64[2] = {1.5, 2.5};
	uint8_t bo[2] = {1, 0};
	uint8_t nulls[2] = {0, 1};
	struct sl_vec src[4] = {
		{.type = SL_TYPE_STRING, .nulls = nulls, .v.str = s},
		{.type = SL_TYPE_BIGINT, .v.i64 = i64},
		{.type = SL_TYPE_DOUBLE, .v.f64 = f64},
		{.type = SL_TYPE_BOOLEAN, .v.b = bo},
	};
	cr_assert_eq(sl_block_append_row(b, src, 0, 99), 0);
	cr_assert_eq(sl_block_append_row(b, src, 1, 98), 0);
	word[0] = 'j'; /* the block holds its own copy */
	cr_expect_eq(b->nrows, 2);
	cr_expect_eq(b->cols[0].v.str[0].len, 5);
	cr_expect_eq(memcmp(b->cols[0].v.str[0].ptr, "hello", 5), 0);
	cr_expect(sl_vec_is_null(&b->cols[0], 1));
	cr_expect_eq(b->cols[1].v.i64[1], 7);
	cr_expect_eq(b->cols[2].v.f64[0], 1.5);
	cr_expect_eq(b->cols[3].v.b[0], 1);
	cr_expect_eq(b->hash[0], 99);
	cr_expect_eq(b->hash[1], 98);
	sl_block_reset(b);
	cr_expect_eq(b->nrows, 0);
	cr_expect_eq(b->heap_used, 0);
	sl_block_destroy(b);
	sl_block_destroy(NULL);
}

Test(block, says_full_when_rows_or_heap_run_out)
{
	enum sl_type types[] = {SL_TYPE_STRING};
	struct sl_block *b = sl_block_create(1, types, SL_BLOCK_ROWS, 10);
	struct sl_str s = {"abcdef", 6};
	struct sl_vec src = {.type = SL_TYPE_STRING, .v.str = &s};
	cr_assert_eq(sl_block_append_row(b, &src, 0, 0), 0);
	cr_expect_eq(sl_block_append_row(b, &src, 0, 0), -ENOSPC, "heap has 4 bytes left");
	cr_expect_eq(b->nrows, 1, "a refused row leaves nothing behind");
	cr_expect_eq(sl_block_row_bytes(&src, 1, 0), 6);
	sl_block_destroy(b);

	enum sl_type it[] = {SL_TYPE_INT};
	b = sl_block_create(1, it, SL_BLOCK_ROWS, 0);
	int64_t v = 1;
	struct sl_vec iv = {.type = SL_TYPE_INT, .v.i64 = &v};
	for (int i = 0; i < SL_BLOCK_ROWS; i++)
		cr_assert_eq(sl_block_append_row(b, &iv, 0, 0), 0);
	cr_expect_eq(sl_block_append_row(b, &iv, 0, 0), -ENOSPC);
	sl_block_destroy(b);
}

Test(block, refuses_arrays_and_too_many_columns)
{
	enum sl_type types[SL_BLOCK_MAX_COLS + 1];
	for (int i = 0; i <= SL_BLOCK_MAX_COLS; i++)
		types[i] = SL_TYPE_INT;
	cr_expect_null(sl_block_create(SL_BLOCK_MAX_COLS + 1, types, 4, 0));
	enum sl_type arr[] = {SL_TYPE_ARRAY};
	cr_expect_null(sl_block_create(1, arr, 4, 0));
}

/* Two rows of ARRAY<HEADER> (one NULL) and ARRAY<STRING> (with a null
 * element): the elements and their bytes are the block's own copies. */
Test(block, carries_arrays_of_headers_and_strings)
{
	enum sl_type types[] = {SL_TYPE_ARRAY, SL_TYPE_INT, SL_TYPE_ARRAY};
	enum sl_type elems[] = {SL_TYPE_HEADER, SL_TYPE_NULL, SL_TYPE_STRING};
	cr_expect_null(sl_block_create_arrays(3, types, NULL, 4, 8, 64), "element types needed");
	struct sl_block *b = sl_block_create_arrays(3, types, elems, 4, 6, 64);
	cr_assert_not_null(b);
	char key[] = "trace", val[] = "ab";
	struct sl_header h[3] = {
		{.key = {key, 5}, .value = {val, 2}},
		{.key = {"nv", 2}, .value_null = 1},
		{.key = {"x", 1}, .value = {"", 0}},
	};
	struct sl_vec hv = {.type = SL_TYPE_HEADER, .v.hdr = h};
	struct sl_span hs[2] = {{1, 2}, {0, 0}};
	uint8_t hn[2] = {0, 1};
	struct sl_str w[2] = {{"w", 1}, {NULL, 0}};
	uint8_t wn[2] = {0, 1};
	struct sl_vec wv = {.type = SL_TYPE_STRING, .nulls = wn, .v.str = w};
	struct sl_span ws[2] = {{0, 2}, {0, 2}};
	int64_t iv[2] = {1, 2};
	struct sl_vec src[3] = {
		{.type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_HEADER, .nulls = hn, .v.arr = hs, .elem = &hv},
		{.type = SL_TYPE_INT, .v.i64 = iv},
		{.type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_STRING, .v.arr = ws, .elem = &wv},
	};
	cr_expect_eq(sl_block_row_elems(src, 3, 0), 4);
	cr_expect_eq(sl_block_row_bytes(src, 3, 0), 2 + 1 + 1);
	cr_assert_eq(sl_block_append_row(b, src, 0, 0), 0);
	key[0] = 'X'; /* the block holds its own copy */
	cr_expect_eq(sl_block_append_row(b, src, 0, 0), -ENOSPC, "4 more elements do not fit 2");
	cr_assert_eq(sl_block_append_row(b, src, 1, 0), 0, "a NULL array and 2 strings: 2 elements");
	cr_expect_eq(b->nrows, 2);
	const struct sl_vec *c0 = &b->cols[0];
	cr_assert_eq(c0->elem, &b->elem[0]);
	cr_expect_eq(c0->elem_type, SL_TYPE_HEADER);
	cr_expect_eq(c0->v.arr[0].len, 2);
	const struct sl_header *g = &c0->elem->v.hdr[c0->v.arr[0].off];
	cr_expect_eq(g[0].key.len, 2);
	cr_expect_eq(memcmp(g[0].key.ptr, "nv", 2), 0);
	cr_expect(g[0].value_null);
	cr_expect_eq(memcmp(g[1].key.ptr, "x", 1), 0);
	cr_expect(!g[1].value_null);
	cr_expect_eq(g[1].value.len, 0);
	cr_expect(sl_vec_is_null(c0, 1));
	const struct sl_vec *c2 = &b->cols[2];
	cr_expect_eq(c2->v.arr[0].len, 2);
	cr_expect(!sl_vec_is_null(c2->elem, c2->v.arr[0].off));
	cr_expect(sl_vec_is_null(c2->elem, c2->v.arr[0].off + 1), "a null element stays null");
	cr_expect_eq(memcmp(c2->elem->v.str[c2->v.arr[1].off].ptr, "w", 1), 0);
	cr_expect_eq(b->elems_used, 6);
	sl_block_reset(b);
	cr_expect_eq(b->elems_used, 0);
	sl_block_destroy(b);

	/* the first header's bytes copied, not pointed at */
	b = sl_block_create_arrays(3, types, elems, 1, 4, 16);
	hs[0] = (struct sl_span){0, 1};
	ws[0] = (struct sl_span){0, 0};
	cr_assert_eq(sl_block_append_row(b, src, 0, 0), 0);
	cr_expect_eq(memcmp(b->cols[0].elem->v.hdr[0].key.ptr, "Xrace", 5), 0);
	cr_expect_neq(b->cols[0].elem->v.hdr[0].key.ptr, key);
	cr_expect_eq(memcmp(b->cols[0].elem->v.hdr[0].value.ptr, "ab", 2), 0);
	sl_block_destroy(b);
}

Test(block, message_tags_round_trip)
{
	uint64_t t = sl_msg_tag(SL_MSG_BARRIER, 123456789);
	cr_expect_eq(sl_msg_kind_of(t), SL_MSG_BARRIER);
	cr_expect_eq(sl_msg_epoch(t), 123456789);
	cr_expect_eq(sl_msg_kind_of(sl_msg_tag(SL_MSG_DATA, 0)), SL_MSG_DATA);
	cr_expect_eq(sl_msg_kind_of(sl_msg_tag(SL_MSG_END, 0)), SL_MSG_END);
}
