/*
 * combiner.c — the ingest core's pre-aggregation table (see combiner.h).
 * Owned by one ingest thread; nothing here is shared.
 */
#include "combiner.h"

#include <errno.h>
#include <stdlib.h>

#include "aggregate.h"
#include "block.h"
#include "key.h"
#include "shard.h"

struct sl_combiner {
	struct sl_shard *table;
	struct sl_agg_layout *layout;
	bool global; /* no GROUP BY: every row's key is the empty key */
	void *states[SL_BLOCK_ROWS];
	uint8_t is_new[SL_BLOCK_ROWS];
};

bool sl_combiner_applies(const struct sl_plan *plan)
{
	if (!plan->has_agg || plan->session)
		return false; /* sessions merge on the aggregator, row by row */
	/* With a watermark, a late partial is dropped whole and counted as
	 * the rows its count(*) (plan->rows_agg) holds */
	if (sl_plan_evicts(plan) && plan->rows_agg < 0)
		return false;
	for (uint32_t j = 0; j < plan->naggs; j++) {
		const struct sl_agg_spec *a = &plan->aggs[j];
		if ((a->fn == SL_AGG_MIN || a->fn == SL_AGG_MAX) && a->arg != NULL &&
		    sl_type_is_bytes(a->arg->type))
			return false;
	}
	return true;
}

static struct sl_combiner *combiner_create(const struct sl_plan *plan)
{
	if (!sl_combiner_applies(plan))
		return NULL;
	struct sl_combiner *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->layout = sl_agg_layout_create(plan->aggs, plan->naggs);
	if (c->layout == NULL)
		goto err;
	c->global = plan->nkeys == 0;
	c->table = sl_shard_create(sl_agg_state_size(c->layout), 4096);
	if (c->table == NULL)
		goto err;
	return c;
err:
	sl_agg_layout_destroy(c->layout);
	free(c);
	return NULL;
}

static void combiner_destroy(struct sl_combiner *c)
{
	if (c == NULL)
		return;
	sl_shard_destroy(c->table);
	sl_agg_layout_destroy(c->layout);
	free(c);
}

static int combiner_add(struct sl_combiner *c, const struct sl_str *keys, const uint64_t *hashes,
			uint32_t n, const struct sl_vec *args)
{
	struct sl_vec part[SL_BLOCK_MAX_COLS];
	uint32_t naggs = c->layout->naggs;
	if (c->global) {
		/* one group: find it once, fold every row into it (a hash
		 * probe per row was a third of a text file's count(*) in
		 * tools/bench files), each column in one loop (the sales
		 * query's five aggregates: 64 instructions a row through
		 * sl_agg_update with the state repeated, 14 this way) */
		if (n == 0)
			return 0;
		bool is_new;
		void *st = sl_shard_upsert(c->table, hashes[0], keys[0].ptr, keys[0].len, &is_new);
		if (st == NULL)
			return -ENOMEM;
		return sl_agg_update_one(c->layout, st, n, args, c->table);
	}
	for (uint32_t first = 0; first < n;) {
		uint32_t m = n - first < SL_BLOCK_ROWS ? n - first : SL_BLOCK_ROWS;
		if (sl_shard_upsert_burst(c->table, hashes + first, keys + first, m, c->states,
					  c->is_new) < m)
			return -ENOMEM;
		for (uint32_t j = 0; j < naggs; j++)
			part[j] = sl_vec_slice(&args[j], first);
		int rc = sl_agg_update(c->layout, c->states, m, part, c->table);
		if (rc < 0)
			return rc;
		first += m;
	}
	return 0;
}

static uint64_t combiner_groups(const struct sl_combiner *c)
{
	return sl_shard_count(c->table);
}

static uint32_t combiner_state_size(const struct sl_combiner *c)
{
	return sl_agg_state_size(c->layout);
}

static int combiner_drain(struct sl_combiner *c, sl_combiner_emit_fn emit, void *arg)
{
	struct sl_shard_iter it;
	struct sl_shard_entry e;
	int rc = 0;
	sl_shard_iter_init(&it, c->table);
	while (rc == 0 && sl_shard_iter_next(&it, &e))
		rc = emit(arg, e.key, e.klen, sl_key_hash(e.key, e.klen), e.state);
	sl_shard_clear(c->table);
	return rc;
}

const struct sl_combiner_ops sl_combiner_ops = {
	.create = combiner_create,
	.add = combiner_add,
	.groups = combiner_groups,
	.state_size = combiner_state_size,
	.drain = combiner_drain,
	.destroy = combiner_destroy,
};
