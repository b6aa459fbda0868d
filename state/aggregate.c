/*
 * aggregate.c — layouts, updates, merges and results of the aggregate
 * functions (state layout and semantics in aggregate.h).
 *
 * sl_agg_update runs one aggregate at a time over all rows, with the switch
 * on function and type outside the row loop. sl_agg_update_one, for rows
 * that all fold into one state (a global aggregate), reduces each column in
 * a local and touches the state once per aggregate; it keeps the order in
 * which sl_agg_update would fold them wherever the order shows (double
 * additions, which of two equal doubles min/max keep), so the two agree bit
 * for bit.
 */
#include "aggregate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hll.h"
#include "shard.h"
#include "state_codec.h"

/* A MIN/MAX of STRING's state. */
struct sl_agg_str {
	char *ptr;    /* arena block, or NULL */
	uint32_t len; /* of the value */
	uint32_t cap; /* usable bytes of the block; 0: no block */
};

_Static_assert(sizeof(struct sl_agg_str) == 16, "string state is 16 bytes");

/* Spark's result type of fn over arg, or SL_TYPE__COUNT when it has none. */
static enum sl_type result_type(enum sl_agg_fn fn, enum sl_type arg)
{
	/* arrays and Kafka headers are data, never state (the planner says so
	 * first: sl_plan_check_runnable) */
	if (fn != SL_AGG_COUNT_STAR && (arg == SL_TYPE_ARRAY || arg == SL_TYPE_HEADER))
		return SL_TYPE__COUNT;
	switch (fn) {
	case SL_AGG_COUNT_STAR:
	case SL_AGG_COUNT:
		return SL_TYPE_BIGINT;
	case SL_AGG_SUM:
		if (sl_type_is_integer(arg))
			return SL_TYPE_BIGINT;
		return arg == SL_TYPE_DOUBLE || arg == SL_TYPE_NULL ? SL_TYPE_DOUBLE : SL_TYPE__COUNT;
	case SL_AGG_AVG:
		return sl_type_is_numeric(arg) || arg == SL_TYPE_NULL ? SL_TYPE_DOUBLE
								       : SL_TYPE__COUNT;
	case SL_AGG_MIN:
	case SL_AGG_MAX:
		return arg == SL_TYPE_ARRAY || arg == SL_TYPE_HEADER || (unsigned)arg >= SL_TYPE__COUNT
			       ? SL_TYPE__COUNT
			       : arg;
	case SL_AGG_APPROX_COUNT_DISTINCT:
		/* Spark hashes arrays and structs too, but they never reach an
		 * aggregate here (sl_plan_check_runnable) */
		return arg == SL_TYPE_ARRAY || arg == SL_TYPE_HEADER || (unsigned)arg >= SL_TYPE__COUNT
			       ? SL_TYPE__COUNT
			       : SL_TYPE_BIGINT;
	}
	return SL_TYPE__COUNT;
}

static uint32_t value_size(const struct sl_agg_slot *sl)
{
	enum sl_type arg = sl->arg_type;
	switch (sl->fn) {
	case SL_AGG_AVG:
		return 16;
	case SL_AGG_APPROX_COUNT_DISTINCT:
		return 8 * sl_hll_words(sl->hll_p);
	case SL_AGG_MIN:
	case SL_AGG_MAX:
		if (arg == SL_TYPE_NULL)
			return 0;
		return sl_type_is_bytes(arg) ? 16 : 8;
	default:
		return 8;
	}
}

struct sl_agg_layout *sl_agg_layout_create(const struct sl_agg_spec *aggs, uint32_t naggs)
{
	struct sl_agg_layout *l = calloc(1, sizeof(*l));
	uint32_t nseen = 0, off;
	if (l == NULL)
		goto err;
	l->naggs = naggs;
	l->slots = calloc(naggs ? naggs : 1, sizeof(*l->slots));
	if (l->slots == NULL)
		goto err_layout;
	for (uint32_t j = 0; j < naggs; j++) {
		struct sl_agg_slot *sl = &l->slots[j];
		sl->fn = aggs[j].fn;
		if (sl->fn == SL_AGG_COUNT_STAR)
			sl->arg_type = SL_TYPE_NULL;
		else if (aggs[j].arg != NULL)
			sl->arg_type = aggs[j].arg->type;
		else
			goto err_inval;
		sl->result_type = result_type(sl->fn, sl->arg_type);
		if (sl->result_type == SL_TYPE__COUNT || sl->result_type != aggs[j].type)
			goto err_inval;
		if (sl->fn == SL_AGG_SUM || sl->fn == SL_AGG_MIN || sl->fn == SL_AGG_MAX)
			sl->seen_bit = nseen++;
		else
			sl->seen_bit = UINT32_MAX;
		if (sl->fn == SL_AGG_APPROX_COUNT_DISTINCT) {
			int p = sl_hll_precision(aggs[j].rsd == 0.0 ? SL_HLL_RSD_DEFAULT
								    : aggs[j].rsd);
			if (p < SL_HLL_P_MIN || p > SL_HLL_P_MAX)
				goto err_inval;
			sl->hll_p = (uint32_t)p;
		}
	}
	off = 0;
	for (uint32_t j = 0; j < naggs; j++) {
		l->slots[j].off = off;
		off += value_size(&l->slots[j]);
	}
	/* the seen bits last, a byte per 8: a shard keeps the key right after
	 * them, so a state with one sum costs 1 byte of flags, not 8 */
	for (uint32_t j = 0; j < naggs; j++)
		if (l->slots[j].seen_bit != UINT32_MAX)
			l->slots[j].seen_bit += off * 8;
	l->state_size = off + (nseen + 7) / 8;
	return l;

err_inval:
	free(l->slots);
	free(l);
	errno = EINVAL;
	return NULL;
err_layout:
	free(l);
err:
	errno = ENOMEM;
	return NULL;
}

void sl_agg_layout_destroy(struct sl_agg_layout *l)
{
	if (l == NULL)
		return;
	free(l->slots);
	free(l);
}

void sl_agg_init_state(const struct sl_agg_layout *l, void *state)
{
	memset(state, 0, l->state_size);
}

/* ---- state access ---- */

static inline void *at(void *state, uint32_t off)
{
	return (uint8_t *)state + off;
}

static inline const void *cat(const void *state, uint32_t off)
{
	return (const uint8_t *)state + off;
}

/* bit: counted from the state's first byte */
static inline bool seen(const void *state, uint32_t bit)
{
	return (((const uint8_t *)state)[bit >> 3] >> (bit & 7)) & 1;
}

static inline void set_seen(void *state, uint32_t bit)
{
	((uint8_t *)state)[bit >> 3] |= (uint8_t)(1u << (bit & 7));
}

/* Spark's double ordering: NaN above everything, -0.0 == 0.0. */
static inline bool dbl_less(double a, double b)
{
	if (a != a)
		return false;
	if (b != b)
		return true;
	return a < b;
}

static inline int str_cmp(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	uint32_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0; /* memcmp compares unsigned bytes */
	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Keeps a copy of v[0..len) in the string state, reusing its block when the
 * value fits. */
static int str_set(struct sl_agg_str *st, const char *v, uint32_t len, struct sl_shard *arena)
{
	if (len > st->cap) {
		if (arena == NULL)
			return -EINVAL;
		char *p = sl_shard_alloc(arena, len);
		if (p == NULL)
			return -ENOMEM;
		if (st->cap)
			sl_shard_free(arena, st->ptr, st->cap);
		st->ptr = p;
		st->cap = (uint32_t)sl_shard_alloc_usable(len);
	}
	if (len)
		memcpy(st->ptr, v, len);
	st->len = len;
	return 0;
}

/* ---- update ---- */

static int update_minmax(const struct sl_agg_slot *sl, void **states, uint32_t n,
			 const struct sl_vec *a, struct sl_shard *arena)
{
	const uint8_t *nulls = a->nulls;
	bool is_min = sl->fn == SL_AGG_MIN;
	uint32_t off = sl->off, bit = sl->seen_bit;

	switch (sl->arg_type) {
	case SL_TYPE_NULL:
		return 0;
	case SL_TYPE_BOOLEAN:
		for (uint32_t i = 0; i < n; i++) {
			if (nulls && nulls[i])
				continue;
			int64_t *v = at(states[i], off), x = a->v.b[i] != 0;
			if (!seen(states[i], bit) || (is_min ? x < *v : x > *v)) {
				*v = x;
				set_seen(states[i], bit);
			}
		}
		return 0;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
	case SL_TYPE_INTERVAL:
		for (uint32_t i = 0; i < n; i++) {
			if (nulls && nulls[i])
				continue;
			int64_t *v = at(states[i], off), x = a->v.i64[i];
			if (!seen(states[i], bit) || (is_min ? x < *v : x > *v)) {
				*v = x;
				set_seen(states[i], bit);
			}
		}
		return 0;
	case SL_TYPE_DOUBLE:
		for (uint32_t i = 0; i < n; i++) {
			if (nulls && nulls[i])
				continue;
			double *v = at(states[i], off), x = a->v.f64[i];
			if (!seen(states[i], bit) || (is_min ? dbl_less(x, *v) : dbl_less(*v, x))) {
				*v = x;
				set_seen(states[i], bit);
			}
		}
		return 0;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY: /* Spark orders both by unsigned bytes */
		for (uint32_t i = 0; i < n; i++) {
			if (nulls && nulls[i])
				continue;
			struct sl_agg_str *v = at(states[i], off);
			const struct sl_str *x = &a->v.str[i];
			if (seen(states[i], bit)) {
				int c = str_cmp(x->ptr, x->len, v->ptr, v->len);
				if (is_min ? c >= 0 : c <= 0)
					continue;
			}
			int rc = str_set(v, x->ptr, x->len, arena);
			if (rc < 0)
				return rc;
			set_seen(states[i], bit);
		}
		return 0;
	default:
		return -EINVAL;
	}
}

/* Each non-null value's Spark hash into its state's registers. */
#define HLL_ADD_EACH(hash_of_row_i)                                                         \
	do {                                                                                \
		for (uint32_t i = 0; i < n; i++) {                                          \
			if (nulls && nulls[i])                                              \
				continue;                                                   \
			sl_hll_add(at(states[i], off), p, (hash_of_row_i));                \
		}                                                                           \
	} while (0)

static int update_hll(const struct sl_agg_slot *sl, void **states, uint32_t n,
		      const struct sl_vec *a)
{
	const uint8_t *nulls = a->nulls;
	const unsigned p = sl->hll_p;
	const uint32_t off = sl->off;
	const uint64_t seed = SL_HLL_SEED;

	switch (sl->arg_type) {
	case SL_TYPE_NULL:
		return 0;
	case SL_TYPE_BOOLEAN:
		HLL_ADD_EACH(sl_hll_hash_int(a->v.b[i] != 0, seed));
		return 0;
	case SL_TYPE_INT:
		HLL_ADD_EACH(sl_hll_hash_int((int32_t)a->v.i64[i], seed));
		return 0;
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
	case SL_TYPE_INTERVAL:
		HLL_ADD_EACH(sl_hll_hash_long(a->v.i64[i], seed));
		return 0;
	case SL_TYPE_DOUBLE:
		HLL_ADD_EACH(sl_hll_hash_double(a->v.f64[i], seed));
		return 0;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY: /* Spark's XxHash64 hashes both by their bytes */
		HLL_ADD_EACH(sl_hll_hash_bytes(a->v.str[i].ptr, a->v.str[i].len, seed));
		return 0;
	case SL_TYPE_WINDOW:
		/* a struct: each field's hash seeds the next (Spark's hash of a row) */
		HLL_ADD_EACH(sl_hll_hash_long(a->v.win[i].end,
					      sl_hll_hash_long(a->v.win[i].start, seed)));
		return 0;
	default:
		return -EINVAL;
	}
}

#undef HLL_ADD_EACH

int sl_agg_update(const struct sl_agg_layout *l, void **states, uint32_t n,
		  const struct sl_vec *args, struct sl_shard *arena_owner)
{
	for (uint32_t j = 0; j < l->naggs; j++) {
		const struct sl_agg_slot *sl = &l->slots[j];
		const struct sl_vec *a = sl->fn == SL_AGG_COUNT_STAR ? NULL : &args[j];
		const uint8_t *nulls = a ? a->nulls : NULL;
		uint32_t off = sl->off, bit = sl->seen_bit;

		if (a != NULL && a->type == SL_TYPE_NULL && sl->fn != SL_AGG_COUNT_STAR)
			continue; /* every input null: nothing changes */
		switch (sl->fn) {
		case SL_AGG_COUNT_STAR:
			for (uint32_t i = 0; i < n; i++)
				(*(int64_t *)at(states[i], off))++;
			break;
		case SL_AGG_COUNT:
			for (uint32_t i = 0; i < n; i++)
				*(int64_t *)at(states[i], off) += !(nulls && nulls[i]);
			break;
		case SL_AGG_SUM:
			if (sl->result_type == SL_TYPE_BIGINT) {
				for (uint32_t i = 0; i < n; i++) {
					if (nulls && nulls[i])
						continue;
					uint64_t *v = at(states[i], off);
					*v += (uint64_t)a->v.i64[i]; /* wraps, as non-ANSI Spark */
					set_seen(states[i], bit);
				}
			} else {
				for (uint32_t i = 0; i < n; i++) {
					if (nulls && nulls[i])
						continue;
					*(double *)at(states[i], off) += a->v.f64[i];
					set_seen(states[i], bit);
				}
			}
			break;
		case SL_AGG_AVG: {
			bool dbl = a->type == SL_TYPE_DOUBLE;
			for (uint32_t i = 0; i < n; i++) {
				if (nulls && nulls[i])
					continue;
				double *sum = at(states[i], off);
				int64_t *cnt = at(states[i], off + 8);
				*sum += dbl ? a->v.f64[i] : (double)a->v.i64[i];
				(*cnt)++;
			}
			break;
		}
		case SL_AGG_MIN:
		case SL_AGG_MAX: {
			int rc = update_minmax(sl, states, n, a, arena_owner);
			if (rc < 0)
				return rc;
			break;
		}
		case SL_AGG_APPROX_COUNT_DISTINCT: {
			int rc = update_hll(sl, states, n, a);
			if (rc < 0)
				return rc;
			break;
		}
		}
	}
	return 0;
}

/* ---- update of one state ---- */

/* Whether a null map marks any row null (any byte but 0 does). An OR over
 * the bytes, which the compiler does 16 at a time: most maps have no null,
 * and counting them cost a CSV column 1.2 instructions a row. */
static bool any_null(const uint8_t *nulls, uint32_t n)
{
	uint8_t any = 0;
	for (uint32_t i = 0; i < n; i++)
		any |= nulls[i];
	return any != 0;
}

/* Rows that are not null in a null map. */
static uint32_t count_non_null(const uint8_t *nulls, uint32_t n)
{
	uint32_t c = 0;
	for (uint32_t i = 0; i < n; i++)
		c += nulls[i] == 0;
	return c;
}

/* The first row from i on that is not null; n when none is. */
static uint32_t next_non_null(const uint8_t *nulls, uint32_t i, uint32_t n)
{
	if (nulls != NULL)
		while (i < n && nulls[i])
			i++;
	return i;
}

/* Runs the statements for each row i in [from, n) that is not null. The
 * caller sets nulls to NULL when no row is null, so the common loop tests
 * nothing per row. */
#define EACH_ROW(from, ...)                                                                 \
	do {                                                                                \
		if (nulls == NULL) {                                                        \
			for (uint32_t i = (from); i < n; i++) {                             \
				__VA_ARGS__                                                 \
			}                                                                   \
		} else {                                                                    \
			for (uint32_t i = (from); i < n; i++) {                             \
				if (nulls[i])                                               \
					continue;                                           \
				__VA_ARGS__                                                 \
			}                                                                   \
		}                                                                           \
	} while (0)

/* Integer-like min/max: the best value over the state's (when seen) and the
 * rows', written back once. Equal integers cannot be told apart, so only
 * the value matters. */
static void minmax_one_i64(const struct sl_agg_slot *sl, void *state, uint32_t n,
			   const uint8_t *nulls, const int64_t *x, const uint8_t *b)
{
	int64_t *v = at(state, sl->off), best;
	uint32_t from = 0;
	if (seen(state, sl->seen_bit)) {
		best = *v;
	} else {
		from = next_non_null(nulls, 0, n);
		if (from == n)
			return;
		best = b ? b[from] != 0 : x[from];
		from++;
	}
	/* booleans compare as 0 and 1, as in sl_agg_update */
	if (b != NULL && sl->fn == SL_AGG_MIN)
		EACH_ROW(from, int64_t y = b[i] != 0; best = y < best ? y : best;);
	else if (b != NULL)
		EACH_ROW(from, int64_t y = b[i] != 0; best = y > best ? y : best;);
	else if (sl->fn == SL_AGG_MIN)
		EACH_ROW(from, best = x[i] < best ? x[i] : best;);
	else
		EACH_ROW(from, best = x[i] > best ? x[i] : best;);
	*v = best;
	set_seen(state, sl->seen_bit);
}

/* Double min/max: the same dbl_less tests in the same row order as
 * sl_agg_update, so the same one of equal values (-0.0 and 0.0, NaNs of
 * different payloads) wins: the first. */
static void minmax_one_f64(const struct sl_agg_slot *sl, void *state, uint32_t n,
			   const uint8_t *nulls, const double *x)
{
	double *v = at(state, sl->off), best;
	uint32_t from = 0;
	if (seen(state, sl->seen_bit)) {
		best = *v;
	} else {
		from = next_non_null(nulls, 0, n);
		if (from == n)
			return;
		best = x[from++];
	}
	if (sl->fn == SL_AGG_MIN)
		EACH_ROW(from, best = dbl_less(x[i], best) ? x[i] : best;);
	else
		EACH_ROW(from, best = dbl_less(best, x[i]) ? x[i] : best;);
	*v = best;
	set_seen(state, sl->seen_bit);
}

/* String min/max: the winner is found by pointer and copied into the
 * state's block once, not at every row that beat the one before. */
static int minmax_one_str(const struct sl_agg_slot *sl, void *state, uint32_t n,
			  const uint8_t *nulls, const struct sl_str *x, struct sl_shard *arena)
{
	struct sl_agg_str *v = at(state, sl->off);
	bool is_min = sl->fn == SL_AGG_MIN, have = seen(state, sl->seen_bit);
	const char *wp = v->ptr;
	uint32_t wlen = v->len;
	bool won = false; /* a row beat the state */
	int rc = 0;
	for (uint32_t i = next_non_null(nulls, 0, n); i < n; i = next_non_null(nulls, i + 1, n)) {
		if (have) {
			int c = str_cmp(x[i].ptr, x[i].len, wp, wlen);
			if (is_min ? c >= 0 : c <= 0)
				continue;
		}
		/* without an arena sl_agg_update fails at the first winner
		 * that outgrows the block, keeping the winner before it: so
		 * does this (the block does not grow without an arena) */
		if (arena == NULL && x[i].len > v->cap) {
			rc = -EINVAL;
			break;
		}
		wp = x[i].ptr;
		wlen = x[i].len;
		have = won = true;
	}
	if (won) {
		int src = str_set(v, wp, wlen, arena);
		if (src < 0)
			return src;
		set_seen(state, sl->seen_bit);
	}
	return rc;
}

static int update_one_hll(const struct sl_agg_slot *sl, void *state, uint32_t n,
			  const uint8_t *nulls, const struct sl_vec *a)
{
	uint64_t *regs = at(state, sl->off);
	const unsigned p = sl->hll_p;
	const uint64_t seed = SL_HLL_SEED;

	switch (sl->arg_type) {
	case SL_TYPE_NULL:
		return 0;
	case SL_TYPE_BOOLEAN:
		EACH_ROW(0, sl_hll_add(regs, p, sl_hll_hash_int(a->v.b[i] != 0, seed)););
		return 0;
	case SL_TYPE_INT:
		EACH_ROW(0, sl_hll_add(regs, p, sl_hll_hash_int((int32_t)a->v.i64[i], seed)););
		return 0;
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
	case SL_TYPE_INTERVAL:
		EACH_ROW(0, sl_hll_add(regs, p, sl_hll_hash_long(a->v.i64[i], seed)););
		return 0;
	case SL_TYPE_DOUBLE:
		EACH_ROW(0, sl_hll_add(regs, p, sl_hll_hash_double(a->v.f64[i], seed)););
		return 0;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		EACH_ROW(0, sl_hll_add(regs, p,
				       sl_hll_hash_bytes(a->v.str[i].ptr, a->v.str[i].len, seed)););
		return 0;
	case SL_TYPE_WINDOW:
		/* a struct: each field's hash seeds the next (Spark's hash of a row) */
		EACH_ROW(0, uint64_t h = sl_hll_hash_long(a->v.win[i].start, seed);
			 sl_hll_add(regs, p, sl_hll_hash_long(a->v.win[i].end, h)););
		return 0;
	default:
		return -EINVAL;
	}
}

int sl_agg_update_one(const struct sl_agg_layout *l, void *state, uint32_t n,
		      const struct sl_vec *args, struct sl_shard *arena_owner)
{
	for (uint32_t j = 0; j < l->naggs; j++) {
		const struct sl_agg_slot *sl = &l->slots[j];
		uint32_t off = sl->off, bit = sl->seen_bit;

		if (sl->fn == SL_AGG_COUNT_STAR) {
			*(int64_t *)at(state, off) += n;
			continue;
		}
		const struct sl_vec *a = &args[j];
		if (a->type == SL_TYPE_NULL)
			continue; /* every input null: nothing changes */
		/* a look at the null map instead of a test per row and
		 * aggregate; a map without a null is dropped */
		const uint8_t *nulls = a->nulls;
		uint32_t nn = n;
		if (nulls != NULL && !any_null(nulls, n))
			nulls = NULL;
		if (nulls != NULL)
			nn = count_non_null(nulls, n);
		switch (sl->fn) {
		case SL_AGG_COUNT_STAR:
			break;
		case SL_AGG_COUNT:
			*(int64_t *)at(state, off) += nn;
			break;
		case SL_AGG_SUM:
			if (nn == 0)
				break;
			if (sl->result_type == SL_TYPE_BIGINT) {
				/* wraps, so any order of additions gives the same */
				const int64_t *x = a->v.i64;
				uint64_t s = 0;
				EACH_ROW(0, s += (uint64_t)x[i];);
				*(uint64_t *)at(state, off) += s;
			} else {
				/* row by row onto the state's sum, as sl_agg_update
				 * adds them: rounding depends on the order */
				const double *x = a->v.f64;
				double s = *(double *)at(state, off);
				EACH_ROW(0, s += x[i];);
				*(double *)at(state, off) = s;
			}
			set_seen(state, bit);
			break;
		case SL_AGG_AVG: {
			if (nn == 0)
				break;
			double s = *(double *)at(state, off);
			if (a->type == SL_TYPE_DOUBLE) {
				const double *x = a->v.f64;
				EACH_ROW(0, s += x[i];);
			} else {
				const int64_t *x = a->v.i64;
				EACH_ROW(0, s += (double)x[i];);
			}
			*(double *)at(state, off) = s;
			*(int64_t *)at(state, off + 8) += nn;
			break;
		}
		case SL_AGG_MIN:
		case SL_AGG_MAX:
			switch (sl->arg_type) {
			case SL_TYPE_NULL:
				break;
			case SL_TYPE_BOOLEAN:
				minmax_one_i64(sl, state, n, nulls, NULL, a->v.b);
				break;
			case SL_TYPE_INT:
			case SL_TYPE_BIGINT:
			case SL_TYPE_TIMESTAMP:
			case SL_TYPE_INTERVAL:
				minmax_one_i64(sl, state, n, nulls, a->v.i64, NULL);
				break;
			case SL_TYPE_DOUBLE:
				minmax_one_f64(sl, state, n, nulls, a->v.f64);
				break;
			case SL_TYPE_STRING:
			case SL_TYPE_BINARY: {
				int rc = minmax_one_str(sl, state, n, nulls, a->v.str, arena_owner);
				if (rc < 0)
					return rc;
				break;
			}
			default:
				return -EINVAL;
			}
			break;
		case SL_AGG_APPROX_COUNT_DISTINCT: {
			int rc = update_one_hll(sl, state, n, nulls, a);
			if (rc < 0)
				return rc;
			break;
		}
		}
	}
	return 0;
}

#undef EACH_ROW

/* ---- merge ---- */

int sl_agg_merge(const struct sl_agg_layout *l, void *dst, const void *src,
		 struct sl_shard *arena_owner)
{
	for (uint32_t j = 0; j < l->naggs; j++) {
		const struct sl_agg_slot *sl = &l->slots[j];
		uint32_t off = sl->off, bit = sl->seen_bit;
		switch (sl->fn) {
		case SL_AGG_COUNT_STAR:
		case SL_AGG_COUNT:
			*(int64_t *)at(dst, off) += *(const int64_t *)cat(src, off);
			break;
		case SL_AGG_SUM:
			if (!seen(src, bit))
				break;
			if (sl->result_type == SL_TYPE_BIGINT)
				*(uint64_t *)at(dst, off) += *(const uint64_t *)cat(src, off);
			else
				*(double *)at(dst, off) += *(const double *)cat(src, off);
			set_seen(dst, bit);
			break;
		case SL_AGG_AVG:
			*(double *)at(dst, off) += *(const double *)cat(src, off);
			*(int64_t *)at(dst, off + 8) += *(const int64_t *)cat(src, off + 8);
			break;
		case SL_AGG_MIN:
		case SL_AGG_MAX: {
			bool is_min = sl->fn == SL_AGG_MIN, take;
			if (sl->arg_type == SL_TYPE_NULL || !seen(src, bit))
				break;
			take = !seen(dst, bit);
			if (sl_type_is_bytes(sl->arg_type)) {
				struct sl_agg_str *d = at(dst, off);
				const struct sl_agg_str *s = cat(src, off);
				if (!take) {
					int c = str_cmp(s->ptr, s->len, d->ptr, d->len);
					take = is_min ? c < 0 : c > 0;
				}
				if (take) {
					int rc = str_set(d, s->ptr, s->len, arena_owner);
					if (rc < 0)
						return rc;
				}
			} else if (sl->arg_type == SL_TYPE_DOUBLE) {
				double *d = at(dst, off), s = *(const double *)cat(src, off);
				take = take || (is_min ? dbl_less(s, *d) : dbl_less(*d, s));
				if (take)
					*d = s;
			} else {
				int64_t *d = at(dst, off), s = *(const int64_t *)cat(src, off);
				take = take || (is_min ? s < *d : s > *d);
				if (take)
					*d = s;
			}
			set_seen(dst, bit);
			break;
		}
		case SL_AGG_APPROX_COUNT_DISTINCT:
			sl_hll_merge(at(dst, off), cat(src, off), sl->hll_p);
			break;
		}
	}
	return 0;
}

/* ---- results ---- */

int sl_agg_result(const struct sl_agg_layout *l, const void *state, uint32_t j,
		  struct sl_vec *out, uint32_t row)
{
	const struct sl_agg_slot *sl = &l->slots[j];
	uint32_t off = sl->off;
	bool is_null;

	switch (sl->fn) {
	case SL_AGG_COUNT_STAR:
	case SL_AGG_COUNT:
	case SL_AGG_APPROX_COUNT_DISTINCT:
		is_null = false;
		break;
	case SL_AGG_AVG:
		is_null = *(const int64_t *)cat(state, off + 8) == 0;
		break;
	default:
		is_null = !seen(state, sl->seen_bit);
		break;
	}
	if (is_null) {
		if (sl->result_type == SL_TYPE_NULL)
			return 0; /* a NULL-typed vector is null everywhere */
		if (out->nulls == NULL)
			return -EINVAL;
		out->nulls[row] = 1;
		return 0;
	}
	if (out->nulls)
		out->nulls[row] = 0;

	switch (sl->fn) {
	case SL_AGG_COUNT_STAR:
	case SL_AGG_COUNT:
		out->v.i64[row] = *(const int64_t *)cat(state, off);
		return 0;
	case SL_AGG_AVG:
		out->v.f64[row] = *(const double *)cat(state, off) /
				  (double)*(const int64_t *)cat(state, off + 8);
		return 0;
	case SL_AGG_APPROX_COUNT_DISTINCT:
		out->v.i64[row] = sl_hll_estimate(cat(state, off), sl->hll_p);
		return 0;
	default:
		break;
	}
	switch (sl->result_type) {
	case SL_TYPE_BOOLEAN:
		out->v.b[row] = (uint8_t)*(const int64_t *)cat(state, off);
		return 0;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
	case SL_TYPE_INTERVAL:
		out->v.i64[row] = *(const int64_t *)cat(state, off);
		return 0;
	case SL_TYPE_DOUBLE:
		out->v.f64[row] = *(const double *)cat(state, off);
		return 0;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY: {
		const struct sl_agg_str *s = cat(state, off);
		out->v.str[row].ptr = s->ptr ? s->ptr : "";
		out->v.str[row].len = s->len;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

void sl_agg_release_state(const struct sl_agg_layout *l, void *state,
			  struct sl_shard *arena_owner)
{
	for (uint32_t j = 0; j < l->naggs; j++) {
		const struct sl_agg_slot *sl = &l->slots[j];
		if ((sl->fn == SL_AGG_MIN || sl->fn == SL_AGG_MAX) &&
		    sl_type_is_bytes(sl->arg_type)) {
			struct sl_agg_str *s = at(state, sl->off);
			if (s->cap)
				sl_shard_free(arena_owner, s->ptr, s->cap);
		}
	}
	memset(state, 0, l->state_size);
}

/* ---- portable form (checkpoints) ---- */

static inline bool is_str_slot(const struct sl_agg_slot *sl)
{
	return (sl->fn == SL_AGG_MIN || sl->fn == SL_AGG_MAX) && sl_type_is_bytes(sl->arg_type);
}

size_t sl_agg_state_encoded_size(const struct sl_agg_layout *l, const void *state)
{
	size_t n = l->state_size;
	for (uint32_t j = 0; j < l->naggs; j++) {
		const struct sl_agg_slot *sl = &l->slots[j];
		if (!is_str_slot(sl))
			continue;
		if (!seen(state, sl->seen_bit)) {
			n += 1;
			continue;
		}
		const struct sl_agg_str *s = cat(state, sl->off);
		n += sl_varint_size((uint64_t)s->len + 1) + s->len;
	}
	return n;
}

uint8_t *sl_agg_state_encode(const struct sl_agg_layout *l, const void *state, uint8_t *out)
{
	memcpy(out, state, l->state_size);
	uint8_t *p = out + l->state_size;
	for (uint32_t j = 0; j < l->naggs; j++) {
		const struct sl_agg_slot *sl = &l->slots[j];
		if (!is_str_slot(sl))
			continue;
		memset(out + sl->off, 0, sizeof(struct sl_agg_str));
		if (!seen(state, sl->seen_bit)) {
			*p++ = 0;
			continue;
		}
		const struct sl_agg_str *s = cat(state, sl->off);
		p = sl_varint_put(p, (uint64_t)s->len + 1);
		if (s->len)
			memcpy(p, s->ptr, s->len);
		p += s->len;
	}
	return p;
}

int sl_agg_state_decode(const struct sl_agg_layout *l, const uint8_t *in, size_t n, void *state,
			struct sl_shard *arena_owner, size_t *used)
{
	const uint8_t *end = in + n, *p = in + l->state_size;
	int rc = -EINVAL;
	if (n < l->state_size)
		return -EINVAL;
	memcpy(state, in, l->state_size);
	/* no pointer from the bytes survives, whatever they held */
	for (uint32_t j = 0; j < l->naggs; j++)
		if (is_str_slot(&l->slots[j]))
			memset(at(state, l->slots[j].off), 0, sizeof(struct sl_agg_str));
	for (uint32_t j = 0; j < l->naggs; j++) {
		const struct sl_agg_slot *sl = &l->slots[j];
		if (!is_str_slot(sl))
			continue;
		uint64_t m;
		uint32_t k = sl_varint_get(p, end, &m);
		if (k == 0)
			goto err_release;
		p += k;
		if (m == 0) {
			/* no value: the seen bit says so too */
			((uint8_t *)state)[sl->seen_bit >> 3] &= (uint8_t)~(1u << (sl->seen_bit & 7));
			continue;
		}
		m--;
		if (m > (uint64_t)(end - p) || m > UINT32_MAX - 8)
			goto err_release;
		rc = str_set(at(state, sl->off), (const char *)p, (uint32_t)m, arena_owner);
		if (rc < 0)
			goto err_release;
		rc = -EINVAL; /* what fails next is the bytes */
		set_seen(state, sl->seen_bit);
		p += m;
	}
	*used = (size_t)(p - in);
	return 0;

err_release:
	sl_agg_release_state(l, state, arena_owner);
	return rc;
}
