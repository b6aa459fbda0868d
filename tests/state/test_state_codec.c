/*
 * test_state_codec.c — the state checkpoint's payloads (state/state_codec.h)
 * and the aggregator's side of them: every aggregate's state through its
 * portable form, the payload reader against truncated and garbage bytes,
 * the layout fingerprint, compaction, and aggregators restarted from the
 * deltas they handed over, which must go on exactly as one that never
 * stopped (time windows that the watermark evicts, sessions, plain groups).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "aggregator.h"
#include "batch.h"
#include "block.h"
#include "key.h"
#include "plan.h"
#include "ring.h"
#include "shard.h"
#include "sink.h"
#include "source.h"
#include "state_codec.h"

/* ------------------------------------------------------------ layouts */

static struct sl_expr arg_exprs[32];

static struct sl_agg_spec spec(uint32_t slot, enum sl_agg_fn fn, enum sl_type arg,
			       enum sl_type result)
{
	struct sl_agg_spec sp;
	memset(&sp, 0, sizeof(sp));
	sp.fn = fn;
	sp.type = result;
	if (fn != SL_AGG_COUNT_STAR) {
		memset(&arg_exprs[slot], 0, sizeof(arg_exprs[slot]));
		arg_exprs[slot].kind = SL_EXPR_COLUMN;
		arg_exprs[slot].type = arg;
		sp.arg = &arg_exprs[slot];
	}
	return sp;
}

/* Every aggregate kind, each over its own argument. */
#define NKINDS 19
static struct sl_agg_layout *every_kind(void)
{
	struct sl_agg_spec sp[NKINDS] = {
		spec(0, SL_AGG_COUNT_STAR, SL_TYPE_NULL, SL_TYPE_BIGINT),
		spec(1, SL_AGG_COUNT, SL_TYPE_STRING, SL_TYPE_BIGINT),
		spec(2, SL_AGG_SUM, SL_TYPE_BIGINT, SL_TYPE_BIGINT),
		spec(3, SL_AGG_SUM, SL_TYPE_DOUBLE, SL_TYPE_DOUBLE),
		spec(4, SL_AGG_AVG, SL_TYPE_BIGINT, SL_TYPE_DOUBLE),
		spec(5, SL_AGG_MIN, SL_TYPE_BIGINT, SL_TYPE_BIGINT),
		spec(6, SL_AGG_MAX, SL_TYPE_BIGINT, SL_TYPE_BIGINT),
		spec(7, SL_AGG_MIN, SL_TYPE_DOUBLE, SL_TYPE_DOUBLE),
		spec(8, SL_AGG_MAX, SL_TYPE_DOUBLE, SL_TYPE_DOUBLE),
		spec(9, SL_AGG_MIN, SL_TYPE_STRING, SL_TYPE_STRING),
		spec(10, SL_AGG_MAX, SL_TYPE_STRING, SL_TYPE_STRING),
		spec(11, SL_AGG_APPROX_COUNT_DISTINCT, SL_TYPE_STRING, SL_TYPE_BIGINT),
		spec(12, SL_AGG_MIN, SL_TYPE_BOOLEAN, SL_TYPE_BOOLEAN),
		spec(13, SL_AGG_MAX, SL_TYPE_TIMESTAMP, SL_TYPE_TIMESTAMP),
		spec(14, SL_AGG_MIN, SL_TYPE_NULL, SL_TYPE_NULL),
		spec(15, SL_AGG_MAX, SL_TYPE_STRING, SL_TYPE_STRING), /* never sees a value */
		spec(16, SL_AGG_APPROX_COUNT_DISTINCT, SL_TYPE_BIGINT, SL_TYPE_BIGINT),
		/* BINARY: stored as STRING is (the same bytes) */
		spec(17, SL_AGG_MAX, SL_TYPE_BINARY, SL_TYPE_BINARY),
		spec(18, SL_AGG_APPROX_COUNT_DISTINCT, SL_TYPE_BINARY, SL_TYPE_BIGINT),
	};
	sp[16].rsd = 0.01; /* another precision */
	struct sl_agg_layout *l = sl_agg_layout_create(sp, NKINDS);
	cr_assert_not_null(l);
	return l;
}

/* Aggregate j's result as text ("NULL" when null). */
static void result_text(const struct sl_agg_layout *l, const void *state, uint32_t j, char *out,
			size_t cap)
{
	uint8_t nul = 0;
	uint8_t b = 0;
	int64_t i = 0;
	double d = 0;
	struct sl_str s = {0};
	struct sl_vec v = {.type = l->slots[j].result_type, .nulls = &nul};
	switch (v.type) {
	case SL_TYPE_BOOLEAN:
		v.v.b = &b;
		break;
	case SL_TYPE_DOUBLE:
		v.v.f64 = &d;
		break;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		v.v.str = &s;
		break;
	default:
		v.v.i64 = &i;
		break;
	}
	cr_assert_eq(sl_agg_result(l, state, j, &v, 0), 0);
	if (v.type == SL_TYPE_NULL || nul) {
		snprintf(out, cap, "NULL");
		return;
	}
	switch (v.type) {
	case SL_TYPE_BOOLEAN:
		snprintf(out, cap, "%u", b);
		break;
	case SL_TYPE_DOUBLE:
		snprintf(out, cap, "%.17g", d);
		break;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY: {
		/* long strings: their length and a checksum of the bytes */
		uint64_t h = sl_key_hash(s.ptr, s.len);
		snprintf(out, cap, "%u:%016" PRIx64, s.len, h);
		break;
	}
	default:
		snprintf(out, cap, "%" PRId64, i);
		break;
	}
}

static void assert_same_results(const struct sl_agg_layout *l, const void *a, const void *b)
{
	for (uint32_t j = 0; j < l->naggs; j++) {
		char ta[128], tb[128];
		result_text(l, a, j, ta, sizeof(ta));
		result_text(l, b, j, tb, sizeof(tb));
		cr_assert_str_eq(ta, tb, "aggregate %u: %s != %s", j, ta, tb);
	}
}

/* Folds n rows into state: row i has string strs[i] (NULL: null), number
 * nums[i]. */
static void fold_rows(const struct sl_agg_layout *l, void *state, struct sl_shard *arena,
		      const char **strs, const uint32_t *lens, const int64_t *nums, uint32_t n)
{
	struct sl_vec args[NKINDS];
	struct sl_str sv[8];
	uint8_t snul[8] = {0}, nnul[8] = {0}, bv[8];
	int64_t iv[8];
	double dv[8];
	void *states[8];
	cr_assert(n <= 8);
	for (uint32_t i = 0; i < n; i++) {
		snul[i] = strs[i] == NULL;
		sv[i] = (struct sl_str){strs[i], strs[i] ? lens[i] : 0};
		iv[i] = nums[i];
		dv[i] = (double)nums[i] / 4.0;
		bv[i] = nums[i] & 1;
		states[i] = state;
	}
	for (uint32_t j = 0; j < NKINDS; j++) {
		enum sl_type t = l->slots[j].arg_type;
		args[j] = (struct sl_vec){.type = t, .nulls = nnul};
		switch (t) {
		case SL_TYPE_STRING:
		case SL_TYPE_BINARY:
			args[j].v.str = sv;
			args[j].nulls = snul;
			break;
		case SL_TYPE_DOUBLE:
			args[j].v.f64 = dv;
			break;
		case SL_TYPE_BOOLEAN:
			args[j].v.b = bv;
			break;
		default:
			args[j].v.i64 = iv;
			break;
		}
	}
	/* the never-seen max: every row null */
	static uint8_t all_null[8] = {1, 1, 1, 1, 1, 1, 1, 1};
	args[15].nulls = all_null;
	cr_assert_eq(sl_agg_update(l, states, n, args, arena), 0);
}

/* Encode state, decode it into a state of another arena, compare. */
static void roundtrip(const struct sl_agg_layout *l, const void *state)
{
	size_t n = sl_agg_state_encoded_size(l, state);
	uint8_t *buf = malloc(n + 1);
	cr_assert_eq(sl_agg_state_encode(l, state, buf), buf + n);
	struct sl_shard *other = sl_shard_create(l->state_size, 16);
	void *back = calloc(1, l->state_size + 8);
	size_t used = 0;
	cr_assert_eq(sl_agg_state_decode(l, buf, n, back, other, &used), 0);
	cr_assert_eq(used, n);
	assert_same_results(l, state, back);
	/* and its own encoding is the same bytes */
	cr_assert_eq(sl_agg_state_encoded_size(l, back), n);
	uint8_t *again = malloc(n + 1);
	sl_agg_state_encode(l, back, again);
	cr_assert_eq(memcmp(buf, again, n), 0);
	/* the encoding holds no pointer */
	for (uint32_t j = 0; j < l->naggs; j++)
		if (sl_type_is_bytes(l->slots[j].arg_type) &&
		    (l->slots[j].fn == SL_AGG_MIN || l->slots[j].fn == SL_AGG_MAX))
			for (uint32_t k = 0; k < 16; k++)
				cr_assert_eq(buf[l->slots[j].off + k], 0);
	sl_agg_release_state(l, back, other);
	free(back);
	free(buf);
	free(again);
	sl_shard_destroy(other);
}

Test(state_codec, every_aggregate_kind_round_trips)
{
	struct sl_agg_layout *l = every_kind();
	struct sl_shard *arena = sl_shard_create(l->state_size, 16);
	void *state = calloc(1, l->state_size + 8);

	/* never seen: NULL min/max/sum/avg, zero counts, an empty sketch */
	roundtrip(l, state);

	/* short strings, an empty one, a 5 kB one (a size class) and a 3 MB
	 * one (a chunk of its own in the arena) */
	char *mid = malloc(5000), *big = malloc(3u << 20);
	for (size_t i = 0; i < 5000; i++)
		mid[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < (3u << 20); i++)
		big[i] = (char)(0x80 + i % 97); /* bytes above 0x7f, and NULs nowhere */
	const char *strs[6] = {"kiwi", "", NULL, mid, big, "zz"};
	const uint32_t lens[6] = {4, 0, 0, 5000, 3u << 20, 2};
	const int64_t nums[6] = {7, -3, 1000000000000, 5, -9, 0};
	fold_rows(l, state, arena, strs, lens, nums, 1);
	roundtrip(l, state);
	fold_rows(l, state, arena, strs, lens, nums, 6);
	roundtrip(l, state);
	char t[128];
	result_text(l, state, 9, t, sizeof(t)); /* min: the empty string */
	cr_assert_str_eq(t, "0:2d06800538d394c2");
	result_text(l, state, 15, t, sizeof(t));
	cr_assert_str_eq(t, "NULL");

	sl_agg_release_state(l, state, arena);
	free(state);
	free(mid);
	free(big);
	sl_shard_destroy(arena);
	sl_agg_layout_destroy(l);
}

Test(state_codec, a_cut_or_lying_state_is_refused_and_leaves_no_block)
{
	struct sl_agg_layout *l = every_kind();
	struct sl_shard *arena = sl_shard_create(l->state_size, 16);
	void *state = calloc(1, l->state_size + 8);
	const char *strs[2] = {"apple", "pear-pear-pear"};
	const uint32_t lens[2] = {5, 14};
	const int64_t nums[2] = {1, 2};
	fold_rows(l, state, arena, strs, lens, nums, 2);
	size_t n = sl_agg_state_encoded_size(l, state);
	uint8_t *buf = malloc(n);
	sl_agg_state_encode(l, state, buf);
	void *back = calloc(1, l->state_size + 8);
	uint8_t *zero = calloc(1, l->state_size + 8);
	for (size_t cut = 0; cut < n; cut++) {
		/* each cut copy on its own, so that ASan sees a read past it */
		uint8_t *c = malloc(cut ? cut : 1);
		memcpy(c, buf, cut);
		size_t used;
		cr_assert_eq(sl_agg_state_decode(l, c, cut, back, arena, &used), -EINVAL,
			     "cut at %zu of %zu", cut, n);
		cr_assert_eq(memcmp(back, zero, l->state_size), 0, "cut at %zu: not initial", cut);
		free(c);
	}
	/* a string length beyond the bytes there are */
	uint8_t *lie = malloc(n + 8);
	memcpy(lie, buf, n);
	lie[l->state_size] = 0x7f; /* min(string): 126 bytes, 5 there */
	size_t used;
	cr_assert_eq(sl_agg_state_decode(l, lie, n, back, arena, &used), -EINVAL);
	/* a varint that never ends */
	memset(lie + l->state_size, 0xff, n - l->state_size);
	cr_assert_eq(sl_agg_state_decode(l, lie, n, back, arena, &used), -EINVAL);
	cr_assert_eq(memcmp(back, zero, l->state_size), 0);
	free(lie);
	free(zero);
	free(back);
	free(buf);
	sl_agg_release_state(l, state, arena);
	free(state);
	sl_shard_destroy(arena);
	sl_agg_layout_destroy(l);
}

/* ------------------------------------------------------------ payloads */

static struct sl_blob make_payload(uint32_t fp, uint32_t flags, const char *recs)
{
	/* recs: "+key=value -key ..." */
	struct sl_state_writer w = {0};
	cr_assert_eq(sl_state_writer_begin(&w, fp, flags), 0);
	char *copy = strdup(recs), *save = NULL;
	for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (tok[0] == '-') {
			cr_assert_eq(sl_state_writer_remove(&w, tok + 1, (uint32_t)strlen(tok + 1)), 0);
		} else {
			char *eq = strchr(tok, '=');
			cr_assert_not_null(eq);
			uint32_t klen = (uint32_t)(eq - tok - 1);
			size_t vlen = strlen(eq + 1);
			uint8_t *p = sl_state_writer_put(&w, tok + 1, klen, vlen);
			cr_assert_not_null(p);
			memcpy(p, eq + 1, vlen);
		}
	}
	free(copy);
	void *buf;
	size_t len;
	sl_state_writer_finish(&w, &buf, &len);
	cr_assert_null(w.buf);
	sl_state_writer_free(&w);
	return (struct sl_blob){buf, len};
}

/* The records of a payload as "+key=value -key ...", and its flags. */
static char *payload_text(struct sl_blob p, uint32_t *flags)
{
	struct sl_state_reader r;
	struct sl_state_record rec;
	char err[256];
	cr_assert_eq(sl_state_reader_init(&r, p.p, p.len, err, sizeof(err)), 0, "%s", err);
	if (flags)
		*flags = r.flags;
	size_t cap = p.len * 2 + 16, n = 0;
	char *out = calloc(1, cap);
	int rc;
	while ((rc = sl_state_reader_next(&r, &rec, err, sizeof(err))) > 0) {
		n += (size_t)snprintf(out + n, cap - n, "%s%c%.*s", n ? " " : "",
				      rec.op == SL_STATE_PUT ? '+' : '-', (int)rec.klen, rec.key);
		if (rec.op == SL_STATE_PUT)
			n += (size_t)snprintf(out + n, cap - n, "=%.*s", (int)rec.vlen, rec.val);
	}
	cr_assert_eq(rc, 0, "%s", err);
	return out;
}

Test(state_codec, writer_and_reader_agree)
{
	struct sl_blob p = make_payload(0xabcd1234, 0, "+a=1 +bb=22 -c +=empty-key");
	uint32_t flags;
	char *t = payload_text(p, &flags);
	cr_assert_str_eq(t, "+a=1 +bb=22 -c +=empty-key");
	cr_assert_eq(flags, 0);
	struct sl_state_reader r;
	char err[256];
	cr_assert_eq(sl_state_reader_init(&r, p.p, p.len, err, sizeof(err)), 0);
	cr_assert_eq(r.fingerprint, 0xabcd1234);
	cr_assert_eq(r.nrecords, 4);
	cr_assert_eq(sl_state_check_fingerprint(&r, 0xabcd1234, err, sizeof(err)), 0);
	free(t);
	free((void *)p.p);

	/* a key of 300 bytes takes a two-byte varint */
	char key[301];
	memset(key, 'k', 300);
	key[300] = 0;
	char recs[400];
	snprintf(recs, sizeof(recs), "+%s=v", key);
	p = make_payload(1, SL_STATE_SNAPSHOT, recs);
	t = payload_text(p, &flags);
	cr_assert_str_eq(t, recs);
	cr_assert_eq(flags, SL_STATE_SNAPSHOT);
	free(t);
	free((void *)p.p);
}

Test(state_codec, writer_grows_and_reuses_its_size)
{
	struct sl_state_writer w = {0};
	uint8_t v[1000];
	memset(v, 7, sizeof(v));
	for (int round = 0; round < 2; round++) {
		cr_assert_eq(sl_state_writer_begin(&w, 5, 0), 0);
		if (round == 1)
			cr_assert_geq(w.cap, 100 * 1003); /* the last payload's size */
		for (int i = 0; i < 100; i++) {
			uint8_t *p = sl_state_writer_put(&w, &i, sizeof(i), sizeof(v));
			cr_assert_not_null(p);
			memcpy(p, v, sizeof(v));
		}
		cr_assert_eq(w.puts, 100);
		void *buf;
		size_t len;
		sl_state_writer_finish(&w, &buf, &len);
		struct sl_blob p = {buf, len};
		char *t = payload_text(p, NULL);
		free(t);
		free(buf);
	}
	sl_state_writer_free(&w);
}

Test(state_codec, cut_and_garbage_payloads_are_refused_without_crashing)
{
	struct sl_blob p = make_payload(9, 0, "+alpha=one +beta=two -gamma +delta=");
	const uint8_t *full = p.p;
	char err[256];
	for (size_t cut = 0; cut < p.len; cut++) {
		uint8_t *c = malloc(cut ? cut : 1);
		memcpy(c, full, cut);
		struct sl_state_reader r;
		struct sl_state_record rec;
		int rc = sl_state_reader_init(&r, c, cut, err, sizeof(err));
		while (rc == 0 && (rc = sl_state_reader_next(&r, &rec, err, sizeof(err))) > 0)
			rc = 0;
		cr_assert_eq(rc, -EINVAL, "cut at %zu of %zu", cut, p.len);
		cr_assert(strstr(err, "malformed") != NULL, "%s", err);
		free(c);
	}
	/* a byte too many, a record count too many or too few, an unknown
	 * op, unknown flags */
	uint8_t *c = malloc(p.len + 1);
	struct sl_state_reader r;
	struct sl_state_record rec;
	int rc;
	memcpy(c, full, p.len);
	c[p.len] = 0;
	cr_assert_eq(sl_state_reader_init(&r, c, p.len + 1, err, sizeof(err)), 0);
	while ((rc = sl_state_reader_next(&r, &rec, err, sizeof(err))) > 0)
		;
	cr_assert_eq(rc, -EINVAL);
	cr_assert(strstr(err, "after the last") != NULL, "%s", err);
	for (int d = -1; d <= 1; d += 2) {
		memcpy(c, full, p.len);
		c[8] = (uint8_t)(c[8] + d);
		cr_assert_eq(sl_state_reader_init(&r, c, p.len, err, sizeof(err)), 0);
		while ((rc = sl_state_reader_next(&r, &rec, err, sizeof(err))) > 0)
			;
		cr_assert_eq(rc, -EINVAL, "count %+d", d);
	}
	memcpy(c, full, p.len);
	c[16] = 3;
	cr_assert_eq(sl_state_reader_init(&r, c, p.len, err, sizeof(err)), 0);
	cr_assert_eq(sl_state_reader_next(&r, &rec, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "at byte 16: unknown record kind 3") != NULL, "%s", err);
	memcpy(c, full, p.len);
	c[5] = 1;
	cr_assert_eq(sl_state_reader_init(&r, c, p.len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "unknown flags") != NULL, "%s", err);
	/* a record count beyond what the bytes can hold */
	memcpy(c, full, p.len);
	c[15] = 0x40;
	cr_assert_eq(sl_state_reader_init(&r, c, p.len, err, sizeof(err)), -EINVAL);
	free(c);

	/* random bytes after a valid header: never a crash, never a read past */
	srand(42);
	for (int round = 0; round < 20000; round++) {
		size_t n = 16 + (size_t)(rand() % 48);
		uint8_t *g = malloc(n);
		memcpy(g, full, 16);
		g[4] = g[5] = g[6] = g[7] = 0;
		g[8] = (uint8_t)(rand() % 8);
		memset(g + 9, 0, 7);
		for (size_t i = 16; i < n; i++)
			g[i] = (uint8_t)(rand() % 4 == 0 ? rand() % 3 : rand());
		rc = sl_state_reader_init(&r, g, n, err, sizeof(err));
		while (rc == 0 && (rc = sl_state_reader_next(&r, &rec, err, sizeof(err))) > 0) {
			cr_assert(rec.key >= g && rec.key + rec.klen <= g + n);
			if (rec.op == SL_STATE_PUT)
				cr_assert(rec.val >= g && rec.val + rec.vlen <= g + n);
			rc = 0;
		}
		cr_assert(rc == 0 || rc == -EINVAL);
		/* and compaction on the same bytes */
		struct sl_blob gp = {g, n};
		void *out = NULL;
		size_t outlen = 0;
		rc = sl_state_compact(&gp, 1, &out, &outlen, err, sizeof(err));
		cr_assert(rc == 0 || rc == -EINVAL);
		free(out);
		free(g);
	}
	free((void *)p.p);
}

Test(state_codec, fingerprint_follows_the_layout)
{
	struct sl_agg_spec a[2] = {spec(0, SL_AGG_COUNT_STAR, SL_TYPE_NULL, SL_TYPE_BIGINT),
				   spec(1, SL_AGG_SUM, SL_TYPE_BIGINT, SL_TYPE_BIGINT)};
	struct sl_agg_spec b[2] = {spec(2, SL_AGG_COUNT_STAR, SL_TYPE_NULL, SL_TYPE_BIGINT),
				   spec(3, SL_AGG_SUM, SL_TYPE_DOUBLE, SL_TYPE_DOUBLE)};
	struct sl_agg_spec c[2] = {spec(4, SL_AGG_COUNT_STAR, SL_TYPE_NULL, SL_TYPE_BIGINT),
				   spec(5, SL_AGG_APPROX_COUNT_DISTINCT, SL_TYPE_BIGINT,
					SL_TYPE_BIGINT)};
	struct sl_agg_spec d[2] = {c[0], c[1]};
	d[1].rsd = 0.02;
	struct sl_agg_layout *la = sl_agg_layout_create(a, 2), *la2 = sl_agg_layout_create(a, 2);
	struct sl_agg_layout *lb = sl_agg_layout_create(b, 2), *lc = sl_agg_layout_create(c, 2);
	struct sl_agg_layout *ld = sl_agg_layout_create(d, 2), *l1 = sl_agg_layout_create(a, 1);
	struct sl_column_def kc[2] = {{.type = SL_TYPE_STRING}, {.type = SL_TYPE_WINDOW}};
	struct sl_column_def kc2[2] = {{.type = SL_TYPE_BIGINT}, {.type = SL_TYPE_WINDOW}};
	struct sl_schema k1 = {1, kc}, k2 = {2, kc}, k3 = {2, kc2};
	uint32_t fa = sl_state_fingerprint(la, false, &k1);
	cr_assert_eq(fa, sl_state_fingerprint(la2, false, &k1));
	uint32_t others[] = {
		sl_state_fingerprint(lb, false, &k1), sl_state_fingerprint(lc, false, &k1),
		sl_state_fingerprint(ld, false, &k1), sl_state_fingerprint(l1, false, &k1),
		sl_state_fingerprint(la, true, &k1),  sl_state_fingerprint(la, false, &k2),
		sl_state_fingerprint(la, false, &k3), sl_state_fingerprint(la, false, NULL),
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		cr_assert_neq(others[i], fa, "case %zu", i);
		for (size_t j = 0; j < i; j++)
			cr_assert_neq(others[i], others[j], "cases %zu, %zu", i, j);
	}
	struct sl_blob p = make_payload(fa, 0, "+k=v");
	struct sl_state_reader r;
	char err[256];
	cr_assert_eq(sl_state_reader_init(&r, p.p, p.len, err, sizeof(err)), 0);
	cr_assert_eq(sl_state_check_fingerprint(&r, others[0], err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "other group keys or aggregates") != NULL, "%s", err);
	cr_assert(strstr(err, "new checkpoint location") != NULL, "%s", err);
	free((void *)p.p);
	sl_agg_layout_destroy(la);
	sl_agg_layout_destroy(la2);
	sl_agg_layout_destroy(lb);
	sl_agg_layout_destroy(lc);
	sl_agg_layout_destroy(ld);
	sl_agg_layout_destroy(l1);
}

/* ------------------------------------------------------------ compaction */

static char *compact_text(const char *const *payloads, const uint32_t *flags, uint32_t n)
{
	struct sl_blob in[8];
	for (uint32_t i = 0; i < n; i++)
		in[i] = make_payload(77, flags ? flags[i] : 0, payloads[i]);
	void *out;
	size_t outlen;
	char err[256];
	int rc = sl_state_compact(in, n, &out, &outlen, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	struct sl_blob o = {out, outlen};
	uint32_t of;
	char *t = payload_text(o, &of);
	cr_assert_eq(of, SL_STATE_SNAPSHOT);
	struct sl_state_reader r;
	cr_assert_eq(sl_state_reader_init(&r, out, outlen, err, sizeof(err)), 0);
	cr_assert_eq(r.fingerprint, 77);
	for (uint32_t i = 0; i < n; i++)
		free((void *)in[i].p);
	free(out);
	return t;
}

Test(state_codec, compaction_last_writer_wins_and_removes_drop)
{
	const struct {
		const char *in[4];
		uint32_t n;
		const char *want;
	} cases[] = {
		{{"+a=1", "+a=2"}, 2, "+a=2"},
		{{"+a=1 +b=1", "-a"}, 2, "+b=1"},
		{{"-a", "+a=3"}, 2, "+a=3"},
		{{"+a=1", "-a", "+a=4"}, 3, "+a=4"},
		{{"+a=1 +b=2 +c=3", "+b=20 -c", "+d=4 -a", "+c=30"}, 4, "+b=20 +c=30 +d=4"},
		{{"+a=1", "-a"}, 2, ""},
		{{"", ""}, 2, ""},
		{{"+=global"}, 1, "+=global"},
		{{"+x=", "+y=1"}, 2, "+x= +y=1"},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char *t = compact_text(cases[k].in, NULL, cases[k].n);
		cr_assert_str_eq(t, cases[k].want, "case %zu: %s", k, t);
		free(t);
	}
	/* a snapshot, then deltas */
	const char *in[3] = {"+a=1 +b=2 +c=3", "-b +e=5", "+a=9"};
	const uint32_t fl[3] = {SL_STATE_SNAPSHOT, 0, 0};
	char *t = compact_text(in, fl, 3);
	cr_assert_str_eq(t, "+a=9 +c=3 +e=5");
	free(t);
}

Test(state_codec, compaction_of_many_keys)
{
	/* enough keys to grow the table several times */
	struct sl_state_writer w = {0};
	struct sl_blob in[2];
	for (int d = 0; d < 2; d++) {
		cr_assert_eq(sl_state_writer_begin(&w, 3, 0), 0);
		for (uint32_t i = 0; i < 20000; i++) {
			if (d == 1 && i % 3 == 0) {
				cr_assert_eq(sl_state_writer_remove(&w, &i, sizeof(i)), 0);
				continue;
			}
			uint32_t v = i * 10 + (uint32_t)d;
			uint8_t *p = sl_state_writer_put(&w, &i, sizeof(i), sizeof(v));
			memcpy(p, &v, sizeof(v));
		}
		void *b;
		size_t len;
		sl_state_writer_finish(&w, &b, &len);
		in[d] = (struct sl_blob){b, len};
	}
	sl_state_writer_free(&w);
	void *out;
	size_t outlen;
	char err[256];
	cr_assert_eq(sl_state_compact(in, 2, &out, &outlen, err, sizeof(err)), 0, "%s", err);
	struct sl_state_reader r;
	struct sl_state_record rec;
	cr_assert_eq(sl_state_reader_init(&r, out, outlen, err, sizeof(err)), 0);
	uint32_t want = 0, seen = 0;
	while (sl_state_reader_next(&r, &rec, err, sizeof(err)) > 0) {
		while (want % 3 == 0)
			want++;
		uint32_t k, v;
		cr_assert_eq(rec.klen, 4);
		memcpy(&k, rec.key, 4);
		memcpy(&v, rec.val, 4);
		cr_assert_eq(k, want, "order of first appearance");
		cr_assert_eq(v, k * 10 + 1);
		want++;
		seen++;
	}
	cr_assert_eq(seen, 20000 - 6667);
	free(out);
	free((void *)in[0].p);
	free((void *)in[1].p);
}

Test(state_codec, compaction_refuses_mixed_layouts_and_late_snapshots)
{
	struct sl_blob in[2] = {make_payload(1, SL_STATE_SNAPSHOT, "+a=1"),
					 make_payload(2, 0, "+b=1")};
	void *out = (void *)1;
	size_t outlen;
	char err[256];
	cr_assert_eq(sl_state_compact(in, 2, &out, &outlen, err, sizeof(err)), -EINVAL);
	cr_assert_null(out);
	cr_assert(strstr(err, "payload 2 of 2") != NULL, "%s", err);
	cr_assert(strstr(err, "state layout 00000002 differs") != NULL, "%s", err);
	free((void *)in[1].p);
	in[1] = make_payload(1, SL_STATE_SNAPSHOT, "+b=1");
	cr_assert_eq(sl_state_compact(in, 2, &out, &outlen, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "snapshot can only be the first") != NULL, "%s", err);
	cr_assert_eq(sl_state_compact(in, 0, &out, &outlen, err, sizeof(err)), -EINVAL);
	free((void *)in[0].p);
	free((void *)in[1].p);
}

/* ------------------------------------------------------------ aggregators */

static const struct sl_source_ops fake_socket = {.name = "socket"};
static const struct sl_sink_ops fake_console = {.name = "console",
						.supports_append = true,
						.supports_update = true,
						.supports_complete = true};

static void register_fakes(void)
{
	sl_source_register(&fake_socket);
	sl_sink_register(&fake_console);
}

TestSuite(state_restart, .init = register_fakes);

#define MIN_US ((int64_t)60 * 1000000)

/* One input row: a key, a number, a string (NULL: null), an event time. */
struct row {
	const char *k;
	int64_t v;
	const char *s;
	int64_t ts_us;
};

/* An epoch: its rows and the largest event time the ingest core saw. */
struct epoch {
	const struct row *rows;
	uint32_t n;
	int64_t max_event_ms;
};

/* An aggregator core on its thread, fed one ring. */
struct harness {
	struct sl_program *prog;
	const struct sl_plan *plan;
	struct sl_ring *in, *ret, *results;
	struct sl_epoch_ctl *ctl;
	struct sl_aggregator *a;
	pthread_t tid;
	bool running;
	int64_t win_us; /* window size (tumbling) or session gap */
	uint64_t epoch;
	/* ship each row as an ingest core's combiner would: its key and the
	 * partial state of that row alone (plain-byte states only) */
	struct sl_agg_layout *partial;
};

/* the aggregators' dump_min_groups (0: their default) */
static uint32_t g_dump_min;

static void h_create(struct harness *h, const char *sql, uint32_t shards, int64_t win_us,
		     bool deltas)
{
	memset(h, 0, sizeof(*h));
	struct sl_settings s;
	sl_settings_default(&s, 2);
	s.shards = shards;
	char err[1024] = "";
	cr_assert_eq(sl_sql_compile(sql, &s, &h->prog, err, sizeof(err)), 0, "%s", err);
	h->plan = h->prog->plans[0];
	cr_assert_eq(h->plan->settings.shards, shards);
	h->in = sl_ring_create(64);
	h->ret = sl_ring_create(64);
	h->results = sl_ring_create(64);
	h->ctl = aligned_alloc(SL_CACHE_LINE, sizeof(*h->ctl));
	memset(h->ctl, 0, sizeof(*h->ctl));
	h->win_us = win_us;
	struct sl_aggregator_config cfg = {
		.plan = h->plan,
		.idx = 0,
		.n_agg = 1,
		.cpu = -1,
		.nin = 1,
		.in = &h->in,
		.ret = &h->ret,
		.results = h->results,
		.ctl = h->ctl,
		.deltas = deltas,
		.dump_min_groups = g_dump_min,
	};
	h->a = sl_aggregator_create(&cfg, err, sizeof(err));
	cr_assert_not_null(h->a, "%s", err);
}

static void h_partial(struct harness *h)
{
	h->partial = sl_agg_layout_create(h->plan->aggs, h->plan->naggs);
	cr_assert_not_null(h->partial);
}

static void h_start(struct harness *h)
{
	cr_assert_eq(pthread_create(&h->tid, NULL, sl_aggregator_thread, h->a), 0);
	h->running = true;
}

static void h_destroy(struct harness *h)
{
	if (h->running) {
		struct sl_ring_item end = {NULL, sl_msg_tag(SL_MSG_END, 0)};
		cr_assert_eq(sl_ring_push_burst(h->in, &end, 1), 1);
		pthread_join(h->tid, NULL);
	}
	cr_assert_eq(sl_aggregator_error(h->a), 0);
	sl_aggregator_destroy(h->a);
	sl_ring_destroy(h->in);
	sl_ring_destroy(h->ret);
	sl_ring_destroy(h->results);
	free(h->ctl);
	sl_agg_layout_destroy(h->partial);
	sl_program_free(h->prog);
}

/* The key and argument columns of rows, as an ingest core routes them. */
static struct sl_block *h_block(const struct harness *h, const struct row *rows, uint32_t n)
{
	const struct sl_plan *plan = h->plan;
	enum sl_type types[SL_BLOCK_MAX_COLS] = {SL_TYPE_STRING};
	uint32_t ncols = 1;
	for (uint32_t j = 0; j < plan->naggs; j++)
		if (plan->aggs[j].arg != NULL)
			types[ncols++] = plan->aggs[j].arg->type;
	size_t heap = 4096;
	for (uint32_t r = 0; r < n; r++)
		heap += 64 + strlen(rows[r].k) + (rows[r].s ? strlen(rows[r].s) : 0) +
			(h->partial ? h->partial->state_size + 8 : 0);
	static const enum sl_type partial_types[2] = {SL_TYPE_STRING, SL_TYPE_STRING};
	struct sl_block *b = h->partial ? sl_block_create(2, partial_types, n ? n : 1, (uint32_t)heap)
					: sl_block_create(ncols, types, n ? n : 1, (uint32_t)heap);
	cr_assert_not_null(b);
	b->partial = h->partial != NULL;
	for (uint32_t r = 0; r < n; r++) {
		/* the key columns, encoded */
		struct sl_vec kc[8];
		struct sl_str ks;
		struct sl_window win;
		cr_assert(plan->nkeys <= 8);
		for (uint32_t k = 0; k < plan->nkeys; k++) {
			enum sl_type t = plan->key_schema.cols[k].type;
			kc[k] = (struct sl_vec){.type = t};
			if (t == SL_TYPE_STRING) {
				ks = (struct sl_str){rows[r].k, (uint32_t)strlen(rows[r].k)};
				kc[k].v.str = &ks;
			} else if (t == SL_TYPE_WINDOW) {
				int64_t ts = rows[r].ts_us;
				if (plan->session)
					win = (struct sl_window){ts, ts + h->win_us};
				else
					win = (struct sl_window){ts - ts % h->win_us,
								 ts - ts % h->win_us + h->win_us};
				kc[k].v.win = &win;
			} else {
				cr_assert_fail("key type %d", t);
			}
		}
		uint8_t key[512];
		size_t klen = sl_key_encode(kc, plan->nkeys, 0, key, sizeof(key));
		cr_assert(klen <= sizeof(key));
		uint64_t hash = sl_key_hash(key, klen);
		if (plan->session) {
			int64_t s, e;
			hash = sl_key_hash(key, sl_key_session_split(key, (uint32_t)klen, &s, &e));
		}
		/* the row: key, then each argument */
		struct sl_vec src[SL_BLOCK_MAX_COLS];
		struct sl_str kstr = {(const char *)key, (uint32_t)klen}, sv;
		int64_t iv;
		double dv;
		uint8_t snull = rows[r].s == NULL;
		src[0] = (struct sl_vec){.type = SL_TYPE_STRING, .v.str = &kstr};
		for (uint32_t c = 1; c < ncols; c++) {
			src[c] = (struct sl_vec){.type = types[c]};
			switch (types[c]) {
			case SL_TYPE_STRING:
				sv = (struct sl_str){rows[r].s, snull ? 0 : (uint32_t)strlen(rows[r].s)};
				src[c].v.str = &sv;
				src[c].nulls = &snull;
				break;
			case SL_TYPE_DOUBLE:
				dv = (double)rows[r].v / 2;
				src[c].v.f64 = &dv;
				break;
			case SL_TYPE_TIMESTAMP:
				src[c].v.i64 = (int64_t *)&rows[r].ts_us;
				break;
			default:
				iv = rows[r].v;
				src[c].v.i64 = &iv;
				break;
			}
		}
		if (h->partial == NULL) {
			cr_assert_eq(sl_block_append_row(b, src, 0, hash), 0);
			continue;
		}
		/* the row's partial state, laid out as the ingest core does:
		 * the key, then the state 8-byte aligned */
		struct sl_vec args[SL_BLOCK_MAX_COLS];
		for (uint32_t j = 0, c = 1; j < plan->naggs; j++)
			args[j] = plan->aggs[j].arg != NULL ? src[c++]
							    : (struct sl_vec){.type = SL_TYPE_NULL};
		uint32_t ss = h->partial->state_size;
		uint32_t at = (b->heap_used + 7) & ~7u;
		char *kp = b->heap + at, *sp = b->heap + ((at + (uint32_t)klen + 7) & ~7u);
		memcpy(kp, key, klen);
		void *st = sp;
		sl_agg_init_state(h->partial, st);
		cr_assert_eq(sl_agg_update(h->partial, &st, 1, args, NULL), 0);
		b->heap_used = (uint32_t)(sp - b->heap) + ss;
		uint32_t r2 = b->nrows++;
		b->cols[0].nulls[r2] = b->cols[1].nulls[r2] = 0;
		b->cols[0].v.str[r2] = (struct sl_str){kp, (uint32_t)klen};
		b->cols[1].v.str[r2] = (struct sl_str){sp, ss};
		b->hash[r2] = hash;
	}
	return b;
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A batch's rows as sorted text, one a line. */
static char *batch_text(const struct sl_batch *b)
{
	char **lines = calloc(b->nrows ? b->nrows : 1, sizeof(*lines));
	size_t total = 1;
	for (uint32_t r = 0; r < b->nrows; r++) {
		char line[1024];
		size_t n = 0;
		for (uint32_t c = 0; c < b->ncols; c++) {
			const struct sl_vec *v = &b->cols[c];
			if (c)
				n += (size_t)snprintf(line + n, sizeof(line) - n, " | ");
			if (sl_vec_is_null(v, r)) {
				n += (size_t)snprintf(line + n, sizeof(line) - n, "NULL");
				continue;
			}
			switch (v->type) {
			case SL_TYPE_STRING:
				n += (size_t)snprintf(line + n, sizeof(line) - n, "%.*s",
						      (int)v->v.str[r].len, v->v.str[r].ptr);
				break;
			case SL_TYPE_DOUBLE:
				n += (size_t)snprintf(line + n, sizeof(line) - n, "%.17g", v->v.f64[r]);
				break;
			case SL_TYPE_WINDOW:
				n += (size_t)snprintf(line + n, sizeof(line) - n, "[%" PRId64 ",%" PRId64 ")",
						      v->v.win[r].start / MIN_US,
						      v->v.win[r].end / MIN_US);
				break;
			case SL_TYPE_BOOLEAN:
				n += (size_t)snprintf(line + n, sizeof(line) - n, "%u", v->v.b[r]);
				break;
			default:
				n += (size_t)snprintf(line + n, sizeof(line) - n, "%" PRId64, v->v.i64[r]);
				break;
			}
		}
		lines[r] = strdup(line);
		total += n + 1;
	}
	qsort(lines, b->nrows, sizeof(*lines), cmp_lines);
	char *out = calloc(1, total);
	for (uint32_t r = 0; r < b->nrows; r++) {
		strcat(out, lines[r]);
		strcat(out, "\n");
		free(lines[r]);
	}
	free(lines);
	return out;
}

/* A payload's records as sorted lines "+key-hex value-hex" / "-key-hex"
 * (a delta's order is not part of its meaning). */
static char *payload_sorted(const void *buf, size_t len)
{
	struct sl_state_reader r;
	struct sl_state_record rec;
	char err[256];
	cr_assert_eq(sl_state_reader_init(&r, buf, len, err, sizeof(err)), 0, "%s", err);
	char **lines = calloc(r.nrecords + 1, sizeof(*lines));
	uint64_t n = 0;
	size_t total = 1;
	int rc;
	while ((rc = sl_state_reader_next(&r, &rec, err, sizeof(err))) > 0) {
		size_t cap = 4 + 2 * (rec.klen + rec.vlen), k = 0;
		char *line = malloc(cap);
		line[k++] = rec.op == SL_STATE_PUT ? '+' : '-';
		for (uint32_t i = 0; i < rec.klen; i++)
			k += (size_t)sprintf(line + k, "%02x", rec.key[i]);
		if (rec.op == SL_STATE_PUT) {
			line[k++] = ' ';
			for (size_t i = 0; i < rec.vlen; i++)
				k += (size_t)sprintf(line + k, "%02x", rec.val[i]);
		}
		line[k] = 0;
		lines[n++] = line;
		total += k + 1;
	}
	cr_assert_eq(rc, 0, "%s", err);
	qsort(lines, n, sizeof(*lines), cmp_lines);
	char *out = calloc(1, total);
	for (uint64_t i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
		free(lines[i]);
	}
	free(lines);
	return out;
}

/* Runs one epoch: its rows in one block, then the barrier; the result. */
static struct sl_epoch_result *h_epoch(struct harness *h, const struct epoch *ep)
{
	struct sl_block *b = NULL;
	struct sl_ring_item it;
	if (ep->n > 0) {
		b = h_block(h, ep->rows, ep->n);
		it = (struct sl_ring_item){b, sl_msg_tag(SL_MSG_DATA, 0)};
		cr_assert_eq(sl_ring_push_burst(h->in, &it, 1), 1);
	}
	it = (struct sl_ring_item){(void *)(intptr_t)ep->max_event_ms,
				   sl_msg_tag(SL_MSG_BARRIER, h->epoch)};
	cr_assert_eq(sl_ring_push_burst(h->in, &it, 1), 1);
	unsigned spins = 0;
	while (sl_ring_pop_burst(h->results, &it, 1) == 0) {
		cr_assert_eq(sl_aggregator_error(h->a), 0, "the aggregator failed");
		sl_backoff(&spins);
	}
	if (b != NULL) {
		/* folded before the barrier: back already */
		struct sl_ring_item back;
		cr_assert_eq(sl_ring_pop_burst(h->ret, &back, 1), 1);
		cr_assert_eq(back.ptr, b);
		sl_block_destroy(b);
	}
	h->epoch++;
	struct sl_epoch_result *res = it.ptr;
	cr_assert_eq(res->error, 0, "epoch %" PRIu64 ": %s", h->epoch - 1, strerror(-res->error));
	return res;
}

#define MAX_EPOCHS 12
#define MAX_SHARDS 8

/* What an uninterrupted run handed over, epoch by epoch. */
struct run {
	char *out[MAX_EPOCHS];
	char *delta[MAX_EPOCHS][MAX_SHARDS]; /* sorted records */
	struct sl_blob raw[MAX_EPOCHS][MAX_SHARDS];
	struct sl_time_state time[MAX_EPOCHS];
	uint64_t state_rows[MAX_EPOCHS], evicted[MAX_EPOCHS], dropped[MAX_EPOCHS];
	int64_t wm[MAX_EPOCHS], next_wm[MAX_EPOCHS];
};

static void record(struct run *rn, uint32_t e, struct sl_epoch_result *res, uint32_t shards,
		   bool deltas)
{
	rn->out[e] = batch_text(res->rows);
	rn->time[e] = res->time;
	rn->state_rows[e] = res->state_rows;
	rn->evicted[e] = res->evicted_rows;
	rn->dropped[e] = res->dropped_late;
	rn->wm[e] = res->watermark_us;
	rn->next_wm[e] = res->next_watermark_us;
	if (!deltas) {
		cr_assert_eq(res->ndeltas, 0);
		cr_assert_null(res->deltas);
		return;
	}
	cr_assert_eq(res->ndeltas, shards);
	for (uint32_t l = 0; l < shards; l++) {
		struct sl_state_delta *d = &res->deltas[l];
		cr_assert_eq(d->shard, l);
		rn->delta[e][l] = payload_sorted(d->buf, d->len);
		struct sl_state_reader r;
		char err[256];
		cr_assert_eq(sl_state_reader_init(&r, d->buf, d->len, err, sizeof(err)), 0);
		cr_assert_eq(r.nrecords, d->puts + d->removes);
		cr_assert_eq(r.flags, d->snapshot ? SL_STATE_SNAPSHOT : 0,
			     "the payload's flags say what the result says it is");
		rn->raw[e][l] = (struct sl_blob){d->buf, d->len};
		d->buf = NULL; /* ours now */
	}
}

static void run_free(struct run *rn, uint32_t n, uint32_t shards)
{
	for (uint32_t e = 0; e < n; e++) {
		free(rn->out[e]);
		for (uint32_t l = 0; l < shards; l++) {
			free(rn->delta[e][l]);
			free((void *)rn->raw[e][l].p);
		}
	}
}

/* check_restarts' harnesses ship partial states (a combiner's) */
static bool use_partials;

static void run_all(struct run *rn, const char *sql, uint32_t shards, int64_t win_us,
		    const struct epoch *eps, uint32_t n, bool deltas)
{
	struct harness h;
	memset(rn, 0, sizeof(*rn));
	h_create(&h, sql, shards, win_us, deltas);
	if (use_partials)
		h_partial(&h);
	h_start(&h);
	for (uint32_t e = 0; e < n; e++) {
		struct sl_epoch_result *res = h_epoch(&h, &eps[e]);
		record(rn, e, res, shards, deltas);
		sl_epoch_result_free(res);
	}
	h_destroy(&h);
}

/*
 * The scenario, run three ways: without deltas, with deltas, and for every
 * epoch R restarted from the deltas of epochs 0..R-1 (odd R: compacted
 * into one snapshot per shard; even R: the deltas one after the other,
 * which makes a later delta remove groups an earlier one put). Each
 * restarted run must produce, from epoch R on, the rows, counts,
 * watermarks and deltas of the run that never stopped.
 */
/* What a scenario went through, so that a test can say it covered what it
 * meant to. */
struct summary {
	uint64_t evicted, dropped, puts, removes;
};

/* Where shard l's chain for a restart at R starts: its newest whole-shard
 * snapshot before R (a high-churn epoch's), or epoch 0. */
static uint32_t chain_start(const struct sl_blob raw[][MAX_SHARDS], uint32_t R, uint32_t l)
{
	for (uint32_t e = R; e-- > 0;) {
		const uint8_t *p = raw[e][l].p;
		if (raw[e][l].len >= 8 && (p[4] & 1))
			return e;
	}
	return 0;
}

static struct summary check_restarts(const char *sql, uint32_t shards, int64_t win_us,
				     const struct epoch *eps, uint32_t n)
{
	struct run plain, full;
	struct summary sum = {0};
	cr_assert(n <= MAX_EPOCHS && shards <= MAX_SHARDS);
	run_all(&plain, sql, shards, win_us, eps, n, false);
	run_all(&full, sql, shards, win_us, eps, n, true);
	if (getenv("SL_TEST_SHOW"))
		for (uint32_t e = 0; e < n; e++) {
			fprintf(stderr, "epoch %u (groups %" PRIu64 ", evicted %" PRIu64
					", dropped %" PRIu64 ", wm %" PRId64 "):\n%s",
				e, full.state_rows[e], full.evicted[e], full.dropped[e],
				full.wm[e] / MIN_US, full.out[e]);
			for (uint32_t l = 0; l < shards; l++)
				fprintf(stderr, " shard %u delta:\n%s", l, full.delta[e][l]);
		}
	for (uint32_t e = 0; e < n; e++) {
		cr_assert_str_eq(plain.out[e], full.out[e], "epoch %u: deltas changed the rows\n%s\n!=\n%s",
				 e, plain.out[e], full.out[e]);
		cr_assert_eq(memcmp(&plain.time[e], &full.time[e], sizeof(plain.time[e])), 0);
	}
	for (uint32_t R = 1; R < n; R++) {
		struct harness h;
		char err[512];
		h_create(&h, sql, shards, win_us, true);
		if (use_partials)
			h_partial(&h);
		for (uint32_t l = 0; l < shards; l++) {
			uint32_t from = chain_start(full.raw, R, l);
			if (R % 2 == 1) {
				struct sl_blob in[MAX_EPOCHS];
				for (uint32_t e = from; e < R; e++)
					in[e - from] = full.raw[e][l];
				void *snap;
				size_t len;
				cr_assert_eq(sl_state_compact(in, R - from, &snap, &len, err, sizeof(err)),
					     0, "%s", err);
				cr_assert_eq(sl_aggregator_load(h.a, l, snap, len, err, sizeof(err)), 0,
					     "restart at %u, shard %u: %s", R, l, err);
				free(snap);
			} else if (R % 4 == 0) {
				/* the engine's way: the chain, read newest first */
				struct sl_blob in[MAX_EPOCHS];
				for (uint32_t e = from; e < R; e++)
					in[e - from] = full.raw[e][l];
				cr_assert_eq(sl_aggregator_load_chain(h.a, l, in, R - from, err,
								      sizeof(err)),
					     0, "restart at %u, shard %u (chain): %s", R, l, err);
			} else {
				for (uint32_t e = from; e < R; e++)
					cr_assert_eq(sl_aggregator_load(h.a, l, full.raw[e][l].p,
									full.raw[e][l].len, err,
									sizeof(err)),
						     0, "restart at %u, shard %u, delta %u: %s", R, l, e,
						     err);
			}
		}
		sl_aggregator_set_time(h.a, &full.time[R - 1]);
		if (R % 3 != 0) /* else the thread does it */
			cr_assert_eq(sl_aggregator_load_done(h.a, err, sizeof(err)), 0, "%s", err);
		h.epoch = R;
		h_start(&h);
		for (uint32_t e = R; e < n; e++) {
			struct sl_epoch_result *res = h_epoch(&h, &eps[e]);
			char *out = batch_text(res->rows);
			cr_assert_str_eq(out, full.out[e], "restart at %u, epoch %u: rows\n%s\n!=\n%s",
					 R, e, out, full.out[e]);
			cr_assert_eq(res->state_rows, full.state_rows[e],
				     "restart at %u, epoch %u: %" PRIu64 " groups, not %" PRIu64, R, e,
				     res->state_rows, full.state_rows[e]);
			cr_assert_eq(res->evicted_rows, full.evicted[e], "restart at %u, epoch %u", R,
				     e);
			cr_assert_eq(res->dropped_late, full.dropped[e], "restart at %u, epoch %u", R,
				     e);
			cr_assert_eq(res->watermark_us, full.wm[e]);
			cr_assert_eq(res->next_watermark_us, full.next_wm[e]);
			cr_assert_eq(memcmp(&res->time, &full.time[e], sizeof(res->time)), 0);
			cr_assert_eq(res->ndeltas, shards);
			for (uint32_t l = 0; l < shards; l++) {
				char *d = payload_sorted(res->deltas[l].buf, res->deltas[l].len);
				cr_assert_str_eq(d, full.delta[e][l],
						 "restart at %u, epoch %u, shard %u: delta\n%s\n!=\n%s", R,
						 e, l, d, full.delta[e][l]);
				free(d);
			}
			free(out);
			sl_epoch_result_free(res); /* frees the deltas' buffers */
		}
		h_destroy(&h);
	}
	for (uint32_t e = 0; e < n; e++) {
		sum.evicted += full.evicted[e];
		sum.dropped += full.dropped[e];
		for (uint32_t l = 0; l < shards; l++)
			for (const char *c = full.delta[e][l]; *c; c = strchr(c, '\n') + 1) {
				sum.puts += *c == '+';
				sum.removes += *c == '-';
			}
	}
	run_free(&plain, n, shards);
	run_free(&full, n, shards);
	return sum;
}

#define EV_SOURCE                                                                         \
	"CREATE SOURCE ev (ts TIMESTAMP, k STRING, v BIGINT, s STRING) "                  \
	"WITH (connector = 'socket', port = 1)"
#define EV_SOURCE_WM EV_SOURCE " WATERMARK ts DELAY '5 minutes'"

#define T(m) ((int64_t)(m) * MIN_US)

/* plain groups: every aggregate kind, strings long and NULL */
static const struct row plain0[] = {
	{"a", 1, "x", 0}, {"b", 2, NULL, 0}, {"a", 3, "yy", 0}, {"c", -4, "", 0}, {"d", 5, NULL, 0},
};
static const struct row plain1[] = {
	{"a", 10, "a-much-longer-string-than-the-others-so-far-0123456789", 0},
	{"e", 7, "e", 0},
	{"b", 8, "bee", 0},
};
static const struct row plain3[] = {
	{"c", 1, "zzz", 0}, {"f", 2, NULL, 0}, {"a", -100, "0", 0}, {"e", 7, "e", 0},
};
static const struct epoch plain_eps[] = {
	{plain0, 5, INT64_MIN}, {plain1, 3, INT64_MIN}, {NULL, 0, INT64_MIN},
	{plain3, 4, INT64_MIN}, {plain1, 2, INT64_MIN},
};

#define PLAIN_SELECT                                                                     \
	"SELECT k, count(*) AS n, count(s) AS ns, sum(v) AS sv, sum(CAST(v AS DOUBLE)) AS sd, " \
	"avg(v) AS av, min(v) AS mn, max(s) AS mx, min(s) AS ms, "                        \
	"approx_count_distinct(s) AS d FROM ev GROUP BY k"

Test(state_restart, plain_groups_update_mode)
{
	const char *sql = EV_SOURCE ";\nCREATE SINK o WITH (connector = 'console', output_mode = "
			  "'update') AS " PLAIN_SELECT ";";
	check_restarts(sql, 1, 0, plain_eps, 5);
	check_restarts(sql, 4, 0, plain_eps, 5);
}

Test(state_restart, plain_groups_complete_mode)
{
	const char *sql = EV_SOURCE ";\nCREATE SINK o WITH (connector = 'console', output_mode = "
			  "'complete') AS " PLAIN_SELECT ";";
	check_restarts(sql, 3, 0, plain_eps, 5);
}

/* A high-churn epoch (it touched at least half of a shard's groups, here
 * from one group up) hands over the whole shard as a snapshot instead of a
 * delta; restarts from the chains that start at those snapshots give the
 * same results as the run that never stopped. */
Test(state_restart, whole_shard_snapshots_at_high_churn)
{
	const char *sql = EV_SOURCE ";\nCREATE SINK o WITH (connector = 'console', output_mode = "
			  "'update') AS " PLAIN_SELECT ";";
	g_dump_min = 1;
	check_restarts(sql, 2, 0, plain_eps, 5);
	struct run full;
	run_all(&full, sql, 1, 0, plain_eps, 5, true);
	uint32_t snaps = 0, deltas = 0;
	for (uint32_t e = 0; e < 5; e++) {
		const uint8_t *p = full.raw[e][0].p;
		if (p[4] & 1)
			snaps++;
		else
			deltas++;
	}
	run_free(&full, 5, 1);
	g_dump_min = 0;
	cr_expect(snaps > 0, "no epoch wrote its shard whole");
	cr_expect(deltas > 0, "every epoch wrote its shard whole (epoch 2 touches nothing)");
}

Test(state_restart, global_aggregate)
{
	const char *sql = EV_SOURCE ";\nCREATE SINK o WITH (connector = 'console', output_mode = "
			  "'complete') AS SELECT count(*) AS n, max(s) AS m FROM ev;";
	check_restarts(sql, 2, 0, plain_eps, 5);
}

/* tumbling 10-minute windows, watermark 5 minutes behind: windows close
 * over the epochs, some rows come late, some groups are evicted in the
 * epoch after a delta put them */
static const struct row win0[] = {
	{"a", 1, "p", T(1)}, {"b", 1, "q", T(2)}, {"a", 1, "r", T(12)}, {"c", 1, NULL, T(3)},
};
static const struct row win1[] = {
	{"a", 1, "s", T(14)}, {"b", 1, "t", T(25)}, {"d", 1, "u", T(5)},
};
static const struct row win2[] = {
	{"a", 1, "late", T(4)}, {"c", 1, "v", T(31)}, {"b", 1, "w", T(26)},
};
static const struct row win4[] = {
	{"e", 1, "x", T(44)}, {"b", 1, "t2", T(22)}, {"a", 1, "late", T(8)}, {"a", 1, "y", T(47)},
};
static const struct row win6[] = {{"f", 1, "z", T(80)}, {"c", 1, "late", T(33)}};
static const struct epoch win_eps[] = {
	{win0, 4, T(12) / 1000}, {win1, 3, T(25) / 1000}, {win2, 3, T(31) / 1000},
	{NULL, 0, T(31) / 1000}, {win4, 4, T(47) / 1000}, {NULL, 0, T(47) / 1000},
	{win6, 2, T(80) / 1000}, {NULL, 0, T(80) / 1000},
};

#define WIN_SELECT                                                                       \
	"SELECT window(ts, '10 minutes') AS w, k, count(*) AS n, max(s) AS m, sum(v) AS sv "  \
	"FROM ev GROUP BY window(ts, '10 minutes'), k"

Test(state_restart, windows_append_mode_evict_after_restart)
{
	const char *sql = EV_SOURCE_WM ";\nCREATE SINK o WITH (connector = 'console', "
				       "output_mode = 'append') AS " WIN_SELECT ";";
	struct summary sm = check_restarts(sql, 1, T(10), win_eps, 8);
	cr_assert(sm.evicted == 9 && sm.dropped == 2 && sm.removes == 9, "%" PRIu64 " %" PRIu64
		  " %" PRIu64, sm.evicted, sm.dropped, sm.removes);
	check_restarts(sql, 4, T(10), win_eps, 8);
}

Test(state_restart, windows_update_mode)
{
	const char *sql = EV_SOURCE_WM ";\nCREATE SINK o WITH (connector = 'console', "
				       "output_mode = 'update') AS " WIN_SELECT ";";
	check_restarts(sql, 2, T(10), win_eps, 8);
}

/* sessions with a 5-minute gap: sessions that later rows bridge, groups
 * with several sessions of which the watermark closes some */
static const struct row ses0[] = {
	{"a", 1, "p", T(0)}, {"a", 2, "q", T(3)}, {"b", 3, NULL, T(1)}, {"a", 4, "r", T(20)},
	{"c", 5, "s", T(2)},
};
static const struct row ses1[] = {
	{"a", 1, "t", T(10)}, /* a new session [10,15) between [0,8) and [20,25) */
	{"a", 1, "u", T(7)},  /* [7,12) bridges [0,8) and [10,15) */
	{"b", 1, "v", T(30)}, {"d", 1, "w", T(31)},
};
static const struct row ses2[] = {
	{"a", 1, "late", T(1)}, {"b", 1, "x", T(33)}, {"c", 1, "y", T(40)},
};
static const struct row ses4[] = {{"a", 1, "z", T(60)}, {"e", 1, "e", T(62)}};
static const struct epoch ses_eps[] = {
	{ses0, 5, T(20) / 1000}, {ses1, 4, T(31) / 1000}, {ses2, 3, T(40) / 1000},
	{NULL, 0, T(40) / 1000}, {ses4, 2, T(62) / 1000}, {NULL, 0, T(62) / 1000},
	{NULL, 0, T(90) / 1000},
};

#define SES_SELECT                                                                       \
	"SELECT session_window(ts, '5 minutes') AS w, k, count(*) AS n, sum(v) AS sv, "      \
	"min(s) AS m FROM ev GROUP BY k, session_window(ts, '5 minutes')"

Test(state_restart, sessions_append_mode)
{
	const char *sql = EV_SOURCE_WM ";\nCREATE SINK o WITH (connector = 'console', "
				       "output_mode = 'append') AS " SES_SELECT ";";
	struct summary sm = check_restarts(sql, 1, T(5), ses_eps, 7);
	cr_assert(sm.evicted == 7 && sm.dropped == 1 && sm.removes == 5, "%" PRIu64 " %" PRIu64
		  " %" PRIu64, sm.evicted, sm.dropped, sm.removes);
	check_restarts(sql, 3, T(5), ses_eps, 7);
}

Test(state_restart, sessions_complete_mode)
{
	/* (Spark refuses update mode for sessions) */
	const char *sql = EV_SOURCE_WM ";\nCREATE SINK o WITH (connector = 'console', "
				       "output_mode = 'complete') AS " SES_SELECT ";";
	check_restarts(sql, 2, T(5), ses_eps, 7);
}

Test(state_restart, a_snapshot_loads_into_the_shard)
{
	/* the payload of one epoch, loaded: the shard holds its groups and a
	 * complete-mode epoch without rows shows them all */
	const char *sql = EV_SOURCE ";\nCREATE SINK o WITH (connector = 'console', output_mode = "
			  "'complete') AS SELECT k, count(*) AS n, max(s) AS m FROM ev GROUP BY k;";
	struct run full;
	run_all(&full, sql, 1, 0, plain_eps, 1, true);
	struct harness h;
	char err[512];
	h_create(&h, sql, 1, 0, false);
	cr_assert_eq(sl_aggregator_load(h.a, 0, full.raw[0][0].p, full.raw[0][0].len, err,
					sizeof(err)),
		     0, "%s", err);
	h_start(&h);
	struct epoch none = {NULL, 0, INT64_MIN};
	struct sl_epoch_result *res = h_epoch(&h, &none);
	char *out = batch_text(res->rows);
	cr_assert_str_eq(out, "a | 2 | yy\nb | 1 | NULL\nc | 1 | \nd | 1 | NULL\n");
	cr_assert_str_eq(out, full.out[0]);
	cr_assert_eq(res->state_rows, 4);
	cr_assert_eq(res->updated_rows, 0, "loading is no epoch's change");
	free(out);
	sl_epoch_result_free(res);
	/* a load after the first epoch is refused */
	cr_assert_eq(sl_aggregator_load(h.a, 0, full.raw[0][0].p, full.raw[0][0].len, err,
					sizeof(err)),
		     -EBUSY);
	h_destroy(&h);
	run_free(&full, 1, 1);
}

Test(state_restart, another_query_shape_or_shard_is_refused)
{
	const char *sql = EV_SOURCE ";\nCREATE SINK o WITH (connector = 'console', output_mode = "
			  "'complete') AS SELECT k, count(*) AS n FROM ev GROUP BY k;";
	const char *other = EV_SOURCE ";\nCREATE SINK o WITH (connector = 'console', output_mode = "
			    "'complete') AS SELECT k, sum(v) AS n FROM ev GROUP BY k;";
	struct run full;
	run_all(&full, sql, 2, 0, plain_eps, 1, true);
	struct harness h;
	char err[512];
	h_create(&h, other, 2, 0, true);
	cr_assert_eq(sl_aggregator_load(h.a, 0, full.raw[0][0].p, full.raw[0][0].len, err,
					sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "shard 0: the checkpointed state was written by a query with "
			      "other group keys or aggregates") != NULL,
		  "%s", err);
	h_destroy(&h);

	h_create(&h, sql, 2, 0, true);
	/* shard 1's payload as shard 0's: its keys route elsewhere */
	const struct sl_blob *p1 = &full.raw[0][1];
	cr_assert_eq(sl_aggregator_load(h.a, 0, p1->p, p1->len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "belongs to shard 1") != NULL, "%s", err);
	cr_assert_eq(sl_aggregator_load(h.a, 2, p1->p, p1->len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "shard 2 is not one of aggregator core 0's") != NULL, "%s", err);
	h_destroy(&h);
	run_free(&full, 1, 2);
}

Test(state_restart, corrupt_values_are_refused_without_crashing)
{
	const char *sql = EV_SOURCE_WM ";\nCREATE SINK o WITH (connector = 'console', "
				       "output_mode = 'append') AS " SES_SELECT ";";
	struct run full;
	run_all(&full, sql, 1, T(5), ses_eps, 2, true);
	const struct sl_blob *p = &full.raw[1][0];
	/* every single-byte change past the header: refused or loaded, never
	 * a crash, a leak or a read out of bounds (ASan builds check that) */
	uint8_t *c = malloc(p->len);
	for (size_t i = SL_STATE_HEADER_SIZE; i < p->len; i++) {
		for (int flip = 0; flip < 3; flip++) {
			struct harness h;
			char err[512];
			h_create(&h, sql, 1, T(5), true);
			memcpy(c, p->p, p->len);
			c[i] = flip == 0 ? (uint8_t)(c[i] ^ 0x80) : flip == 1 ? 0 : 0xff;
			int rc = sl_aggregator_load(h.a, 0, c, p->len, err, sizeof(err));
			cr_assert(rc == 0 || rc == -EINVAL, "byte %zu: %d %s", i, rc, err);
			if (rc == 0)
				cr_assert_eq(sl_aggregator_load_done(h.a, err, sizeof(err)), 0);
			h_destroy(&h);
		}
	}
	free(c);
	run_free(&full, 2, 1);
}

/* The bug: a group the watermark evicted was emitted, then its arena
 * blocks freed before the emitter flushed, so a MIN/MAX STRING result
 * read freed memory: its first 8 bytes became the shard's free list (or,
 * over 1 MiB, the block went back to the allocator). Append mode emits
 * evicted groups; update mode emits touched groups, then evicts them. */
Test(state_restart, evicted_string_results_survive_their_release)
{
	static char big[(1u << 20) + 100];
	memset(big, 'B', sizeof(big) - 1);
	const struct row r0[] = {
		{"a", 1, "a-string-longer-than-8-bytes", T(1)},
		{"b", 1, big, T(2)},
	};
	/* epoch 2's rows are folded (not late: W_1 is still 0) and evicted in
	 * the same epoch (W_2 is 95 minutes) */
	const struct row r2[] = {{"a", 1, "a", T(3)}, {"b", 1, "B", T(4)}};
	const struct epoch eps[] = {{r0, 2, T(1) / 1000}, {NULL, 0, T(100) / 1000},
				    {r2, 2, T(100) / 1000}};
	const char *modes[2] = {"append", "update"};
	for (int m = 0; m < 2; m++) {
		char sql[1024];
		snprintf(sql, sizeof(sql),
			 EV_SOURCE_WM ";\nCREATE SINK o WITH (connector = 'console', output_mode = "
				      "'%s') AS SELECT window(ts, '10 minutes') AS w, k, max(s) AS m "
				      "FROM ev GROUP BY window(ts, '10 minutes'), k;",
			 modes[m]);
		struct harness h;
		h_create(&h, sql, 1, T(10), m == 1);
		h_start(&h);
		for (uint32_t e = 0; e < 3; e++) {
			struct sl_epoch_result *res = h_epoch(&h, &eps[e]);
			bool rows = m == 0 ? e == 2 : e != 1;
			cr_assert_eq(res->rows->nrows, rows ? 2 : 0, "%s, epoch %u", modes[m], e);
			for (uint32_t r = 0; r < res->rows->nrows; r++) {
				const struct sl_str *k = &res->rows->cols[1].v.str[r];
				const struct sl_str *v = &res->rows->cols[2].v.str[r];
				const char *want = k->ptr[0] == 'a' ? r0[0].s : big;
				cr_assert_eq(v->len, strlen(want), "%s", modes[m]);
				cr_assert_eq(memcmp(v->ptr, want, v->len), 0, "%s: %.12s", modes[m],
					     v->ptr);
			}
			cr_assert_eq(res->evicted_rows, e == 2 ? 2 : 0);
			sl_epoch_result_free(res);
		}
		h_destroy(&h);
	}
}

/* The combiner's path: partial states merged into the groups (and, under a
 * watermark, late partials dropped) are in the deltas as rows are. */
Test(state_restart, combiner_partials)
{
	use_partials = true;
	const char *sql = EV_SOURCE ";\nCREATE SINK o WITH (connector = 'console', output_mode = "
			  "'update') AS SELECT k, count(*) AS n, sum(v) AS sv, avg(v) AS av, "
			  "max(v) AS mx, approx_count_distinct(s) AS d FROM ev GROUP BY k;";
	check_restarts(sql, 2, 0, plain_eps, 5);
	sql = EV_SOURCE_WM ";\nCREATE SINK o WITH (connector = 'console', output_mode = "
			   "'append') AS SELECT window(ts, '10 minutes') AS w, k, count(*) AS n, "
			   "sum(v) AS sv, min(v) AS mn FROM ev GROUP BY window(ts, '10 minutes'), k;";
	struct summary sm = check_restarts(sql, 3, T(10), win_eps, 8);
	cr_assert(sm.evicted == 9 && sm.dropped == 2 && sm.removes == 9);
	use_partials = false;
}
