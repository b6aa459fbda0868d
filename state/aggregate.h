/*
 * aggregate.h — the aggregate functions of a query (count, sum, avg, min,
 * max, approx_count_distinct) over per-group states that live in shard
 * entries (state/shard.h).
 *
 * A layout, made once per query from the plan's sl_agg_spec list and then
 * read-only (shared by every aggregator core), places each aggregate's
 * partial state at a fixed offset of the group's state. The all-zero state
 * is every aggregate's initial state, so a shard's freshly zeroed entry
 * needs no further set-up.
 *
 * State layout (a state starts 8-byte aligned; every value's offset is a
 * multiple of 8; the size is not rounded up, so that a shard puts the key
 * right after the seen bits):
 *
 *   offset  bytes  field
 *   for each aggregate in order:
 *           8      COUNT_STAR, COUNT: int64 count
 *           8      SUM of INT/BIGINT: int64 (wraps as Spark's non-ANSI mode);
 *                  SUM of DOUBLE or NULL: double
 *           16     AVG: double sum, int64 count of non-null inputs
 *           8      MIN/MAX of BOOLEAN, INT, BIGINT, TIMESTAMP: int64;
 *                  of DOUBLE: double
 *           16     MIN/MAX of STRING: pointer into the shard's arena, uint32
 *                  length, uint32 block size (0: no block)
 *           0      MIN/MAX of NULL (always NULL)
 *           8*W'   APPROX_COUNT_DISTINCT: HyperLogLog++ registers, Spark's
 *                  layout (state/hll.h): W' = 2^p / 10 + 1 words, p from
 *                  the spec's rsd (416 bytes at the default rsd 0.05)
 *   then    B      "seen" bits, one per SUM/MIN/MAX: a non-null input arrived
 *                  (B = ceil(number of such aggregates / 8) bytes)
 *
 * Semantics (Spark SQL, non-ANSI): count(*) counts rows, count(x) non-null
 * x; sum of INT/BIGINT is BIGINT, of DOUBLE is DOUBLE, NULL when no non-null
 * input; avg is DOUBLE (inputs as doubles), NULL when none; min/max order
 * booleans false < true, doubles with NaN above everything and -0.0 equal
 * to 0.0, strings by unsigned bytes then length; NULL when no input.
 * approx_count_distinct(x[, rsd]) is BIGINT, never NULL (0 without input),
 * Spark's HyperLogLog++ estimate of the distinct non-null x (state/hll.h);
 * it takes every type but ARRAY; its merge is register-wise max, so
 * partial states from combiners merge into exactly the sketch of the union.
 */
#ifndef SL_AGGREGATE_H
#define SL_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "plan_types.h"

struct sl_shard;

/* One aggregate's place in the state. */
struct sl_agg_slot {
	enum sl_agg_fn fn;
	enum sl_type arg_type;    /* SL_TYPE_NULL for count(*) */
	enum sl_type result_type; /* Spark's, checked against the spec's */
	uint32_t off;             /* bytes from the start of the state */
	uint32_t seen_bit;        /* SUM/MIN/MAX: its seen bit, counted from the
				   * state's first byte */
	uint32_t hll_p;           /* APPROX_COUNT_DISTINCT: precision, 2^p registers */
};

/* Made by sl_agg_layout_create, owned by whoever made it; read-only after. */
struct sl_agg_layout {
	uint32_t naggs;
	uint32_t state_size; /* bytes (not rounded up to 8) */
	struct sl_agg_slot *slots;
};

/* The layout for aggs[0..naggs) (each spec's arg->type is its argument
 * type; arg is NULL for count(*)). NULL + errno: EINVAL when an argument
 * type does not fit the function (sum of STRING, min of ARRAY, ...), the
 * spec's result type is not Spark's, or an approx_count_distinct rsd gives
 * a precision outside SL_HLL_P_MIN..SL_HLL_P_MAX; ENOMEM. */
struct sl_agg_layout *sl_agg_layout_create(const struct sl_agg_spec *aggs, uint32_t naggs);
void sl_agg_layout_destroy(struct sl_agg_layout *l);

/* Bytes of one group's state: the shard's state_size. */
static inline uint32_t sl_agg_state_size(const struct sl_agg_layout *l)
{
	return l->state_size;
}

/* Sets a state to the initial state (all zero bytes). */
void sl_agg_init_state(const struct sl_agg_layout *l, void *state);

/* Folds row i of the argument vectors into states[i], for i < n; args[j] is
 * aggregate j's argument (not read for count(*)). The same state may appear
 * in several rows. String min/max copy a new value into arena_owner's arena
 * (sl_shard_alloc) and free the block they replace. 0, or -ENOMEM (rows up
 * to the failing one are folded), or -EINVAL when a string must be kept and
 * arena_owner is NULL. */
int sl_agg_update(const struct sl_agg_layout *l, void **states, uint32_t n,
		  const struct sl_vec *args, struct sl_shard *arena_owner);

/* Folds the n rows of the argument vectors into the one state every row
 * belongs to (a global aggregate): what sl_agg_update gives with states[i]
 * == state for every i, bit for bit (doubles are added row by row in the
 * same order; of equal min/max values the first stays), and the same
 * -EINVAL when a string must be kept and arena_owner is NULL. It differs
 * only in work: each aggregate's column is reduced in a local and the state
 * written once, a string min/max copies just the final winner (so its
 * block may be smaller than sl_agg_update's), and on -ENOMEM for that copy
 * the string's state is left as it was before the call. */
int sl_agg_update_one(const struct sl_agg_layout *l, void *state, uint32_t n,
		      const struct sl_vec *args, struct sl_shard *arena_owner);

/* Folds the partial state src into dst (same layout); strings are copied
 * into arena_owner's arena. 0, -ENOMEM or -EINVAL as sl_agg_update. */
int sl_agg_merge(const struct sl_agg_layout *l, void *dst, const void *src,
		 struct sl_shard *arena_owner);

/* Writes aggregate j's final value into row `row` of out (whose type is
 * slots[j].result_type). A NULL result sets out->nulls[row], which must
 * then exist (-EINVAL otherwise); a value clears it when there is a null
 * map. A string result points into the state's arena block: valid until the
 * state next changes. */
int sl_agg_result(const struct sl_agg_layout *l, const void *state, uint32_t j,
		  struct sl_vec *out, uint32_t row);

/* Frees the arena blocks a state holds (before its entry is removed); the
 * state is left initial. */
void sl_agg_release_state(const struct sl_agg_layout *l, void *state,
			  struct sl_shard *arena_owner);

/*
 * A state in portable form, for the checkpoint (state/state_codec.h): the
 * state_size fixed bytes with every MIN/MAX STRING's 16 bytes zeroed, then
 * per MIN/MAX STRING aggregate in order a LEB128 varint, 0 when it holds no
 * value (its seen bit is clear), else length + 1, then the string's bytes.
 * Everything else (counts, sums, doubles, HyperLogLog words, seen bits) is
 * the fixed bytes as they are, in the host's byte order.
 */
/* Bytes sl_agg_state_encode writes for state. */
size_t sl_agg_state_encoded_size(const struct sl_agg_layout *l, const void *state);
/* Writes state's portable form at out (sl_agg_state_encoded_size bytes);
 * returns the byte after it. */
uint8_t *sl_agg_state_encode(const struct sl_agg_layout *l, const void *state, uint8_t *out);
/* Reads one portable state from in[0..n) into state, which must hold no
 * arena block (initial, or released): strings are copied into
 * arena_owner's arena. 0 with *used the bytes it took; -EINVAL when in is
 * not a state of this layout (too short, a string length past the end), or
 * -ENOMEM; on failure state is left initial, holding no block. */
int sl_agg_state_decode(const struct sl_agg_layout *l, const uint8_t *in, size_t n, void *state,
			struct sl_shard *arena_owner, size_t *used);

#endif
