/* test_key.c — group key encoding, hashing, shard routing and decoding. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "key.h"

#define NROWS 6

/* Builds a column of `type` with NROWS values; row 2 is null when
 * with_nulls. Storage is static per call slot. */
struct col_store {
	struct sl_vec v;
	uint8_t nulls[NROWS];
	uint8_t b[NROWS];
	int64_t i64[NROWS];
	double f64[NROWS];
	struct sl_str str[NROWS];
};

static const char long_str[300] = "long string whose length needs a two-byte varint";

static void make_col(struct col_store *c, enum sl_type type, bool with_nulls)
{
	static const char *const words[NROWS] = {"hello", "", "twelve bytes", "a\0b", "\xff\xfe", "z"};
	static const uint32_t lens[NROWS] = {5, 0, 12, 3, 2, 1};
	memset(c, 0, sizeof(*c));
	c->v.type = type;
	c->v.nulls = with_nulls ? c->nulls : NULL;
	for (uint32_t i = 0; i < NROWS; i++) {
		c->nulls[i] = with_nulls && i == 2;
		c->b[i] = i & 1;
		c->i64[i] = (int64_t)i * -123456789012345 + (type == SL_TYPE_INT ? 7 : 0);
		c->f64[i] = (double)i * 1.5 - 2.25;
		c->str[i].ptr = words[i];
		c->str[i].len = lens[i];
	}
	c->str[5].ptr = long_str;
	c->str[5].len = sizeof(long_str);
	switch (type) {
	case SL_TYPE_BOOLEAN:
		c->v.v.b = c->b;
		break;
	case SL_TYPE_INT:
		for (uint32_t i = 0; i < NROWS; i++)
			c->i64[i] = (int32_t)c->i64[i];
		c->v.v.i64 = c->i64;
		break;
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
		c->v.v.i64 = c->i64;
		break;
	case SL_TYPE_DOUBLE:
		c->v.v.f64 = c->f64;
		break;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		c->v.v.str = c->str;
		break;
	default:
		break;
	}
}

/* Output columns for decoding, with null maps. */
struct out_store {
	struct sl_vec v;
	uint8_t nulls[NROWS];
	uint8_t b[NROWS];
	int64_t i64[NROWS];
	double f64[NROWS];
	struct sl_str str[NROWS];
};

static void make_out(struct out_store *o, enum sl_type type)
{
	memset(o, 0, sizeof(*o));
	o->v.type = type;
	o->v.nulls = o->nulls;
	switch (type) {
	case SL_TYPE_BOOLEAN:
		o->v.v.b = o->b;
		break;
	case SL_TYPE_DOUBLE:
		o->v.v.f64 = o->f64;
		break;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		o->v.v.str = o->str;
		break;
	default:
		o->v.v.i64 = o->i64;
		break;
	}
}

static bool same_value(const struct sl_vec *a, const struct sl_vec *b, uint32_t row)
{
	bool an = sl_vec_is_null(a, row), bn = sl_vec_is_null(b, row);
	if (an || bn)
		return an == bn;
	switch (a->type) {
	case SL_TYPE_BOOLEAN:
		return (a->v.b[row] != 0) == (b->v.b[row] != 0);
	case SL_TYPE_DOUBLE:
		return memcmp(&a->v.f64[row], &b->v.f64[row], 8) == 0;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		return a->v.str[row].len == b->v.str[row].len &&
		       memcmp(a->v.str[row].ptr, b->v.str[row].ptr, a->v.str[row].len) == 0;
	default:
		return a->v.i64[row] == b->v.i64[row];
	}
}

static struct sl_column_def coldef(enum sl_type t)
{
	struct sl_column_def d;
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", sl_type_name(t));
	d.type = t;
	return d;
}

static const enum sl_type key_types[] = {
	SL_TYPE_BOOLEAN, SL_TYPE_INT,    SL_TYPE_BIGINT,
	SL_TYPE_DOUBLE,  SL_TYPE_STRING, SL_TYPE_TIMESTAMP, SL_TYPE_BINARY,
};
#define NTYPES (sizeof(key_types) / sizeof(key_types[0]))

Test(key, round_trip_every_type_with_and_without_nulls)
{
	for (uint32_t t = 0; t < NTYPES; t++) {
		for (int wn = 0; wn < 2; wn++) {
			struct col_store in;
			struct out_store out;
			struct sl_column_def d = coldef(key_types[t]);
			struct sl_schema schema = {1, &d};
			uint8_t buf[512];
			make_col(&in, key_types[t], wn);
			make_out(&out, key_types[t]);
			for (uint32_t r = 0; r < NROWS; r++) {
				size_t n = sl_key_encode(&in.v, 1, r, buf, sizeof(buf));
				cr_assert(n > 0 && n <= sizeof(buf));
				cr_assert_eq(sl_key_decode(buf, n, &schema, &out.v, r), 0,
					     "type %s row %u", sl_type_name(key_types[t]), r);
				cr_assert(same_value(&in.v, &out.v, r), "type %s row %u",
					  sl_type_name(key_types[t]), r);
			}
		}
	}
}

Test(key, null_is_the_tag_alone)
{
	struct col_store in;
	uint8_t buf[16];
	make_col(&in, SL_TYPE_BIGINT, true);
	cr_assert_eq(sl_key_encode(&in.v, 1, 2, buf, sizeof(buf)), 1);
	cr_assert_eq(buf[0], SL_KEY_TAG_NULL);
	/* a NULL-typed column (GROUP BY NULL) is always null */
	struct sl_vec nullcol = {.type = SL_TYPE_NULL};
	cr_assert_eq(sl_key_encode(&nullcol, 1, 0, buf, sizeof(buf)), 1);
	cr_assert_eq(buf[0], SL_KEY_TAG_NULL);
}

Test(key, documented_byte_layout)
{
	/* (STRING "ab", INT 258, NULL BIGINT, BOOLEAN true, STRING "cd") */
	struct sl_str s1 = {"ab", 2}, s2 = {"cd", 2};
	int64_t i = 258, z = 0;
	uint8_t t = 1, null1 = 1;
	struct sl_vec cols[5] = {
		{.type = SL_TYPE_STRING, .v.str = &s1},
		{.type = SL_TYPE_INT, .v.i64 = &i},
		{.type = SL_TYPE_BIGINT, .v.i64 = &z, .nulls = &null1},
		{.type = SL_TYPE_BOOLEAN, .v.b = &t},
		{.type = SL_TYPE_STRING, .v.str = &s2},
	};
	const uint8_t want[] = {SL_TYPE_STRING, 2, 'a', 'b', SL_TYPE_INT, 2, 1, 0, 0, 0, 0, 0, 0,
				SL_KEY_TAG_NULL, SL_TYPE_BOOLEAN, 1, SL_TYPE_STRING, 'c', 'd'};
	uint8_t buf[64];
	size_t n = sl_key_encode(cols, 5, 0, buf, sizeof(buf));
	cr_assert_eq(n, sizeof(want));
	cr_assert_arr_eq(buf, want, sizeof(want));
}

Test(key, encode_reports_size_without_writing_when_too_small)
{
	struct col_store in;
	uint8_t buf[4] = {0xaa, 0xaa, 0xaa, 0xaa};
	make_col(&in, SL_TYPE_STRING, false);
	size_t need = sl_key_encode(&in.v, 1, 0, buf, 3);
	cr_assert_eq(need, 6); /* tag + "hello" */
	cr_assert_eq(buf[0], 0xaa);
	cr_assert_eq(sl_key_encode(&in.v, 1, 0, NULL, 0), 6);
}

Test(key, negative_zero_and_nans_group_together)
{
	double vals[4] = {0.0, -0.0, NAN, -NAN};
	uint64_t bits = UINT64_C(0x7ff0000000000123); /* a signalling NaN payload */
	double other_nan;
	memcpy(&other_nan, &bits, 8);
	struct sl_vec v = {.type = SL_TYPE_DOUBLE, .v.f64 = vals};
	uint8_t k0[16], k1[16], k2[16], k3[16], k4[16];
	cr_assert_eq(sl_key_encode(&v, 1, 0, k0, 16), 9);
	cr_assert_eq(sl_key_encode(&v, 1, 1, k1, 16), 9);
	cr_assert_arr_eq(k0, k1, 9);
	cr_assert_eq(sl_key_hash(k0, 9), sl_key_hash(k1, 9));
	sl_key_encode(&v, 1, 2, k2, 16);
	sl_key_encode(&v, 1, 3, k3, 16);
	vals[3] = other_nan;
	sl_key_encode(&v, 1, 3, k4, 16);
	cr_assert_arr_eq(k2, k3, 9);
	cr_assert_arr_eq(k2, k4, 9);
	cr_assert_neq(memcmp(k0, k2, 9), 0);

	/* decoding gives +0.0 and a NaN */
	struct out_store o;
	struct sl_column_def d = coldef(SL_TYPE_DOUBLE);
	struct sl_schema schema = {1, &d};
	make_out(&o, SL_TYPE_DOUBLE);
	cr_assert_eq(sl_key_decode(k1, 9, &schema, &o.v, 0), 0);
	cr_assert(o.f64[0] == 0.0 && !signbit(o.f64[0]));
	cr_assert_eq(sl_key_decode(k4, 9, &schema, &o.v, 1), 0);
	cr_assert(isnan(o.f64[1]));
}

Test(key, multi_column_round_trip_and_hash)
{
	struct col_store in[NTYPES];
	struct out_store out[NTYPES];
	struct sl_vec cols[NTYPES + 1], outs[NTYPES + 1];
	struct sl_column_def defs[NTYPES + 1];
	/* every type twice over: each column, then a STRING last as well as
	 * in the middle */
	for (uint32_t t = 0; t < NTYPES; t++) {
		make_col(&in[t], key_types[t], t % 2 == 0);
		make_out(&out[t], key_types[t]);
		cols[t] = in[t].v;
		outs[t] = out[t].v;
		defs[t] = coldef(key_types[t]);
	}
	struct col_store last;
	struct out_store last_out;
	make_col(&last, SL_TYPE_STRING, true);
	make_out(&last_out, SL_TYPE_STRING);
	cols[NTYPES] = last.v;
	outs[NTYPES] = last_out.v;
	defs[NTYPES] = coldef(SL_TYPE_STRING);
	struct sl_schema schema = {NTYPES + 1, defs};

	uint8_t buf[2][1024];
	for (uint32_t r = 0; r < NROWS; r++) {
		size_t n = sl_key_encode(cols, NTYPES + 1, r, buf[0], sizeof(buf[0]));
		cr_assert_eq(sl_key_decode(buf[0], n, &schema, outs, r), 0, "row %u", r);
		for (uint32_t c = 0; c <= NTYPES; c++)
			cr_assert(same_value(&cols[c], &outs[c], r), "row %u col %u", r, c);
		/* the decoded row encodes to the same bytes and hash */
		size_t n2 = sl_key_encode(outs, NTYPES + 1, r, buf[1], sizeof(buf[1]));
		cr_assert_eq(n, n2);
		cr_assert_arr_eq(buf[0], buf[1], n);
		cr_assert_eq(sl_key_hash(buf[0], n), sl_key_hash(buf[1], n2));
	}
}

Test(key, string_boundaries_are_unambiguous)
{
	/* ("a", "bc") and ("ab", "c") must be different keys */
	struct sl_str a1[2] = {{"a", 1}, {"ab", 2}}, a2[2] = {{"bc", 2}, {"c", 1}};
	struct sl_vec cols[2] = {{.type = SL_TYPE_STRING, .v.str = a1},
				 {.type = SL_TYPE_STRING, .v.str = a2}};
	uint8_t k0[16], k1[16];
	size_t n0 = sl_key_encode(cols, 2, 0, k0, 16), n1 = sl_key_encode(cols, 2, 1, k1, 16);
	cr_assert(n0 != n1 || memcmp(k0, k1, n0) != 0);
	/* a null and an empty string differ */
	uint8_t nul = 1;
	struct sl_str e = {"", 0};
	struct sl_vec c1 = {.type = SL_TYPE_STRING, .v.str = &e};
	struct sl_vec c2 = {.type = SL_TYPE_STRING, .v.str = &e, .nulls = &nul};
	n0 = sl_key_encode(&c1, 1, 0, k0, 16);
	n1 = sl_key_encode(&c2, 1, 0, k1, 16);
	cr_assert(n0 != n1 || memcmp(k0, k1, n0) != 0);
}

Test(key, zero_columns_is_the_empty_key)
{
	uint8_t buf[8];
	struct sl_str keys[3];
	uint64_t hashes[3];
	struct sl_schema schema = {0, NULL};
	cr_assert_eq(sl_key_encode(NULL, 0, 0, buf, sizeof(buf)), 0);
	cr_assert_eq(sl_key_encode_burst(NULL, 0, 0, 3, buf, sizeof(buf), keys, hashes), 3);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(keys[i].len, 0);
		cr_assert_eq(hashes[i], sl_key_hash(NULL, 0));
	}
	cr_assert_eq(sl_key_decode(buf, 0, &schema, NULL, 0), 0);
}

/* The burst form gives exactly the single-row encoding and hash. */
static void check_burst(const struct sl_vec *cols, uint32_t ncols, uint32_t first, uint32_t n)
{
	uint8_t buf[4096], one[1024];
	struct sl_str keys[NROWS];
	uint64_t hashes[NROWS];
	cr_assert_eq(sl_key_encode_burst(cols, ncols, first, n, buf, sizeof(buf), keys, hashes), n);
	for (uint32_t i = 0; i < n; i++) {
		size_t len = sl_key_encode(cols, ncols, first + i, one, sizeof(one));
		cr_assert_eq(keys[i].len, len, "row %u", first + i);
		cr_assert_arr_eq(keys[i].ptr, one, len);
		cr_assert_eq(hashes[i], sl_key_hash(one, len));
	}
}

Test(key, burst_matches_single_rows)
{
	for (uint32_t t = 0; t < NTYPES; t++) {
		for (int wn = 0; wn < 2; wn++) {
			struct col_store c;
			make_col(&c, key_types[t], wn);
			check_burst(&c.v, 1, 0, NROWS);
			check_burst(&c.v, 1, 1, NROWS - 1);
		}
	}
	/* several columns, strings in the middle and last */
	struct col_store c[4];
	make_col(&c[0], SL_TYPE_STRING, true);
	make_col(&c[1], SL_TYPE_DOUBLE, false);
	make_col(&c[2], SL_TYPE_BOOLEAN, true);
	make_col(&c[3], SL_TYPE_STRING, false);
	struct sl_vec cols[5] = {c[0].v, c[1].v, c[2].v, c[3].v, {.type = SL_TYPE_NULL}};
	check_burst(cols, 4, 0, NROWS);
	check_burst(cols, 5, 2, NROWS - 2);
}

Test(key, burst_stops_when_the_buffer_is_full)
{
	for (int single = 0; single < 2; single++) {
		struct col_store c[2];
		make_col(&c[0], SL_TYPE_STRING, false);
		make_col(&c[1], SL_TYPE_BIGINT, false);
		struct sl_vec cols[2] = {c[0].v, c[1].v};
		uint32_t ncols = single ? 1 : 2;
		size_t l0 = sl_key_encode(cols, ncols, 0, NULL, 0);
		size_t l1 = sl_key_encode(cols, ncols, 1, NULL, 0);
		size_t l2 = sl_key_encode(cols, ncols, 2, NULL, 0);
		uint8_t buf[1024];
		struct sl_str keys[NROWS];
		uint64_t hashes[NROWS];
		/* room for rows 0 and 1 and part of row 2 */
		uint32_t got = sl_key_encode_burst(cols, ncols, 0, NROWS, buf, l0 + l1 + l2 - 1, keys,
						   hashes);
		cr_assert_eq(got, 2, "single=%d", single);
		cr_assert_eq(keys[1].len, l1);
		cr_assert_eq(hashes[1], sl_key_hash(keys[1].ptr, l1));
		/* the caller goes on from row 2 */
		got = sl_key_encode_burst(cols, ncols, 2, NROWS - 2, buf, sizeof(buf), keys, hashes);
		cr_assert_eq(got, NROWS - 2);
		uint8_t one[512];
		size_t n = sl_key_encode(cols, ncols, 5, one, sizeof(one));
		cr_assert_eq(keys[3].len, n);
		cr_assert_arr_eq(keys[3].ptr, one, n);
		/* a first row that cannot fit at all */
		cr_assert_eq(sl_key_encode_burst(cols, ncols, 0, NROWS, buf, l0 - 1, keys, hashes), 0);
	}
}

Test(key, equal_keys_from_different_vectors_hash_equal)
{
	char a[] = "word", b[] = "xword";
	struct sl_str s1 = {a, 4}, s2 = {b + 1, 4};
	struct sl_vec c1 = {.type = SL_TYPE_STRING, .v.str = &s1};
	struct sl_vec c2 = {.type = SL_TYPE_STRING, .v.str = &s2};
	uint8_t buf1[16], buf2[16];
	struct sl_str k1, k2;
	uint64_t h1, h2;
	sl_key_encode_burst(&c1, 1, 0, 1, buf1, sizeof(buf1), &k1, &h1);
	sl_key_encode_burst(&c2, 1, 0, 1, buf2, sizeof(buf2), &k2, &h2);
	cr_assert_eq(h1, h2);
	cr_assert_neq(k1.ptr, k2.ptr);
	s2.len = 3;
	sl_key_encode_burst(&c2, 1, 0, 1, buf2, sizeof(buf2), &k2, &h2);
	cr_assert_neq(h1, h2);
}

Test(key, shard_uses_high_bits_and_covers_every_shard)
{
	uint32_t hits[7] = {0};
	for (uint32_t i = 0; i < 7000; i++) {
		uint8_t k[4];
		memcpy(k, &i, 4);
		uint64_t h = sl_key_hash(k, 4);
		uint32_t s = sl_key_shard(h, 7);
		cr_assert_lt(s, 7);
		/* the low 32 bits, which the shard table indexes with, do not matter */
		cr_assert_eq(sl_key_shard((h & ~UINT64_C(0xffffffff)) | (h * 31 & 0xffffffff), 7), s);
		hits[s]++;
	}
	for (int s = 0; s < 7; s++)
		cr_assert(hits[s] > 800 && hits[s] < 1200, "shard %d got %u", s, hits[s]);
	cr_assert_eq(sl_key_shard(UINT64_MAX, 1), 0);
	cr_assert_eq(sl_key_shard(UINT64_MAX, 16), 15);
	cr_assert_eq(sl_key_shard(0, 16), 0);
	cr_assert_eq(sl_key_shard(UINT64_C(0x8000000000000000), 2), 1);
}

Test(key, decode_rejects_malformed_keys)
{
	struct out_store o[2];
	struct sl_column_def d[2] = {coldef(SL_TYPE_STRING), coldef(SL_TYPE_BIGINT)};
	struct sl_schema schema = {2, d};
	make_out(&o[0], SL_TYPE_STRING);
	make_out(&o[1], SL_TYPE_BIGINT);
	struct sl_vec outs[2] = {o[0].v, o[1].v};
	const uint8_t good[] = {SL_TYPE_STRING, 1, 'a', SL_TYPE_BIGINT, 1, 0, 0, 0, 0, 0, 0, 0};
	cr_assert_eq(sl_key_decode(good, sizeof(good), &schema, outs, 0), 0);
	cr_assert_eq(outs[1].v.i64[0], 1);
	/* truncated anywhere */
	for (size_t n = 0; n < sizeof(good); n++)
		cr_assert_eq(sl_key_decode(good, n, &schema, outs, 0), -EINVAL, "n=%zu", n);
	/* trailing bytes */
	uint8_t longer[sizeof(good) + 1];
	memcpy(longer, good, sizeof(good));
	longer[sizeof(good)] = 0;
	cr_assert_eq(sl_key_decode(longer, sizeof(longer), &schema, outs, 0), -EINVAL);
	/* a tag of another type */
	uint8_t wrong[sizeof(good)];
	memcpy(wrong, good, sizeof(good));
	wrong[3] = SL_TYPE_INT;
	cr_assert_eq(sl_key_decode(wrong, sizeof(wrong), &schema, outs, 0), -EINVAL);
	/* a string length past the end */
	memcpy(wrong, good, sizeof(good));
	wrong[1] = 100;
	cr_assert_eq(sl_key_decode(wrong, sizeof(wrong), &schema, outs, 0), -EINVAL);
	/* a null where the caller gave no null map */
	const uint8_t nullkey[] = {SL_KEY_TAG_NULL, SL_KEY_TAG_NULL};
	outs[0].nulls = NULL;
	cr_assert_eq(sl_key_decode(nullkey, 2, &schema, outs, 0), -EINVAL);
	outs[0].nulls = o[0].nulls;
	cr_assert_eq(sl_key_decode(nullkey, 2, &schema, outs, 3), 0);
	cr_assert(o[0].nulls[3] && o[1].nulls[3]);
}

Test(key, array_columns_cannot_be_keys)
{
	cr_assert_not(sl_key_type_supported(SL_TYPE_ARRAY));
	cr_assert_not(sl_key_type_supported(SL_TYPE_HEADER));
	for (uint32_t t = 0; t < NTYPES; t++)
		cr_assert(sl_key_type_supported(key_types[t]));
	cr_assert(sl_key_type_supported(SL_TYPE_NULL));
}

/* A stored key (a state checkpoint) whose tag is a Kafka header's is
 * damaged, never read as one: headers are data, not state. */
Test(key, decode_refuses_a_header_tag)
{
	struct out_store o;
	make_out(&o, SL_TYPE_STRING);
	o.v.type = SL_TYPE_HEADER;
	struct sl_column_def d[1] = {coldef(SL_TYPE_HEADER)};
	struct sl_schema schema = {1, d};
	const uint8_t k[] = {SL_TYPE_HEADER, 'a', 'b'};
	cr_assert_eq(sl_key_decode(k, sizeof(k), &schema, &o.v, 0), -EINVAL);
}

Test(key, window_values_round_trip_and_their_end_is_found_in_any_column)
{
	/* keys (store INT, w WINDOW, s STRING) and (w WINDOW) */
	int64_t stores[2] = {7, -1};
	struct sl_window wins[2] = {{0, 900000000}, {-900000000, 0}};
	struct sl_str strs[2] = {{"abc", 3}, {"", 0}};
	uint8_t wnull[2] = {0, 1};
	struct sl_vec cols[3] = {
		{.type = SL_TYPE_INT, .v.i64 = stores},
		{.type = SL_TYPE_WINDOW, .v.win = wins},
		{.type = SL_TYPE_STRING, .v.str = strs},
	};
	struct sl_column_def defs[3] = {{.type = SL_TYPE_INT},
					{.type = SL_TYPE_WINDOW},
					{.type = SL_TYPE_STRING}};
	struct sl_schema sch = {3, defs};
	uint8_t buf[256];
	size_t n = sl_key_encode(cols, 3, 0, buf, sizeof(buf));
	cr_assert(n > 0 && n <= sizeof(buf));
	cr_expect_eq(n, (1 + 8) + (1 + 16) + (1 + 3));
	int64_t end = 0;
	cr_expect_eq(sl_key_window_end(buf, n, &sch, 1, &end), 0);
	cr_expect_eq(end, 900000000);
	cr_expect_eq(sl_key_window_end(buf, n, &sch, 0, &end), -EINVAL, "column 0 is no window");
	cr_expect_eq(sl_key_window_end(buf, n - 4, &sch, 1, &end), 0,
		     "the window is read before the cut");
	cr_expect_eq(sl_key_window_end(buf, 10, &sch, 1, &end), -EINVAL, "cut inside the window");

	/* decode gives the window back */
	struct sl_window wout[1];
	int64_t iout[1];
	struct sl_str sout[1];
	uint8_t nl[3][1] = {{0}, {0}, {0}};
	struct sl_vec out[3] = {
		{.type = SL_TYPE_INT, .v.i64 = iout, .nulls = nl[0]},
		{.type = SL_TYPE_WINDOW, .v.win = wout, .nulls = nl[1]},
		{.type = SL_TYPE_STRING, .v.str = sout, .nulls = nl[2]},
	};
	cr_assert_eq(sl_key_decode(buf, n, &sch, out, 0), 0);
	cr_expect_eq(wout[0].start, 0);
	cr_expect_eq(wout[0].end, 900000000);

	/* a NULL window: -ENOENT, and the burst form hashes like the row form */
	cols[1].nulls = wnull;
	n = sl_key_encode(cols, 3, 1, buf, sizeof(buf));
	cr_expect_eq(sl_key_window_end(buf, n, &sch, 1, &end), -ENOENT);
	struct sl_str keys[2];
	uint64_t hashes[2];
	uint8_t bbuf[512];
	cr_assert_eq(sl_key_encode_burst(cols, 3, 0, 2, bbuf, sizeof(bbuf), keys, hashes), 2);
	cr_expect_eq(keys[1].len, n);
	cr_expect(memcmp(keys[1].ptr, buf, n) == 0);
	cr_expect_eq(hashes[1], sl_key_hash(buf, n));
}

Test(key, binary_keys_are_their_bytes_under_their_own_tag)
{
	/* a BINARY encodes as a STRING does, tagged BINARY; alone (the single
	 * column loop of the burst) and not last (with a length) */
	struct sl_str v = {"a\0b", 3};
	struct sl_vec b = {.type = SL_TYPE_BINARY, .v.str = &v};
	struct sl_vec two[2] = {b, b};
	uint8_t k[16], k2[16];
	struct sl_str keys[1];
	uint64_t h[1];
	cr_assert_eq(sl_key_encode(&b, 1, 0, k, sizeof(k)), 4);
	const uint8_t want[4] = {SL_TYPE_BINARY, 'a', 0, 'b'};
	cr_assert_arr_eq(k, want, 4);
	cr_assert_eq(sl_key_encode_burst(&b, 1, 0, 1, k2, sizeof(k2), keys, h), 1);
	cr_assert_eq(keys[0].len, 4);
	cr_assert_arr_eq(keys[0].ptr, want, 4);
	cr_assert_eq(sl_key_encode(two, 2, 0, k, sizeof(k)), 9);
	const uint8_t want2[9] = {SL_TYPE_BINARY, 3, 'a', 0, 'b', SL_TYPE_BINARY, 'a', 0, 'b'};
	cr_assert_arr_eq(k, want2, 9);
}
