/*
 * aggregator.c — the aggregator core's loop (see aggregator.h).
 *
 * Everything in struct sl_aggregator belongs to its thread; the control
 * thread only receives the struct sl_epoch_result each epoch produces and,
 * after joining the thread, may read the counters.
 *
 * Per epoch: blocks are folded into the shards' hash tables as they come;
 * at the epoch's end the rows of the output mode (every group for complete,
 * the groups the epoch touched for update) are decoded, run through HAVING
 * and the select list, and handed over as one batch. The result is built
 * with malloc (once per epoch, not per record).
 *
 * Checkpoints (cfg.deltas): at the epoch's end each local shard's delta is
 * encoded (state/state_codec.h) from what the epoch changed, never from the
 * whole state: a remove for every group eviction dropped (written as it
 * drops it), then a put for every group the epoch touched that still lives
 * (the shard's touched list: every fold path upserts through the shard, so
 * it holds rows, combiner partials and session folds alike). Session
 * groups that eviction shortened without dropping are put as eviction
 * leaves them; a stamp in their list keeps the touched pass from putting
 * them twice. A restart loads payloads with sl_aggregator_load, then
 * sl_aggregator_load_done rebuilds the eviction index from what is left.
 */
#include "aggregator.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregate.h"
#include "expr.h"
#include "key.h"
#include "pipeline.h"
#include "shard.h"
#include "state_codec.h"

/* A group's sessions (session_window), sorted by start; stored sessions
 * never overlap nor touch (a row that bridges them merged them). Each item
 * is [int64 start][int64 end][aggregate state], `stride` bytes. */
struct sess_list {
	uint32_t n, cap;
	uint32_t refs; /* eviction index entries that name this list */
	uint32_t stride;
	uint8_t *items;
	uint64_t delta_stamp; /* epoch + 1 whose delta has this group already */
};

/* The groups of one window end, in a shard. Time windows chain them
 * through the entries' links (sl_shard_link): head names the first, each
 * entry's link the next, 0 ends; no memory beyond the entries. Sessions,
 * whose group is named once per session end it had, keep the group's
 * state pointers in states[0..n). */
struct evict_bucket {
	int64_t end;
	uint32_t n, cap;
	uint32_t head;
	void **states;
};

/* A shard's groups by window end, ascending: the watermark evicts from the
 * front, so eviction costs what it evicts, never the size of the state. */
struct evict_index {
	uint32_t n, cap;
	struct evict_bucket *b;
};

struct sl_aggregator {
	struct sl_aggregator_config cfg;
	const struct sl_plan *plan;
	uint32_t nshards;
	struct sl_agg_layout *layout;

	uint32_t nlocal;            /* shards this core owns: idx, idx + n_agg, ... */
	struct sl_shard **shards;   /* [nlocal]; local index = shard / n_agg */

	uint64_t epoch;             /* the epoch being folded in */
	uint8_t *at_barrier;        /* [nin] ring i delivered barrier(epoch) */
	uint32_t nat_barrier;
	uint8_t *ended;             /* [nin] ring i delivered END */
	uint32_t nended;

	struct sl_eval_ctx *ctx;
	struct sl_op post[2];       /* HAVING, then the select list */
	uint32_t npost;
	struct sl_schema agg_schema; /* [keys..., aggs...] */

	/* event time: on when the window key is on the WATERMARK column and
	 * the mode is append or update (complete keeps every window) */
	bool evicting;
	int64_t max_event_ms;       /* largest event time the ingest cores saw */
	/* per input of the plan (a UNION ALL has several; ring i carries
	 * input i / per_input): its largest event time, and its watermark in
	 * Spark's milliseconds (set once its source has a WATERMARK and a
	 * batch has run: 0 until it has seen rows, as Spark's
	 * WatermarkTracker; never moves back) */
	uint32_t per_input;
	uint32_t cur_input;         /* the input of the block being folded */
	int64_t max_event_in[SL_PLAN_MAX_INPUTS];
	int64_t wm_in_ms[SL_PLAN_MAX_INPUTS];
	bool wm_in_set[SL_PLAN_MAX_INPUTS];
	uint64_t dropped_in[SL_PLAN_MAX_INPUTS]; /* this epoch */
	int64_t wm_late_us;         /* W_{e-1}: rows of windows ending at or before it are late */
	int64_t wm_evict_us;        /* W_e: windows ending at or before it are final */
	uint64_t dropped_late;      /* this epoch */
	uint64_t nsessions;         /* session plans: sessions held */
	uint64_t session_bytes;     /* and the memory of their lists */
	struct evict_index *evict;  /* [nlocal] */

	/* checkpoints */
	uint32_t fingerprint;       /* sl_state_fingerprint of this query */
	struct sl_state_writer *dw; /* [nlocal] each shard's delta (cfg.deltas) */
	/* payloads were loaded: the eviction index and the touched lists are
	 * rebuilt before the first epoch (sl_aggregator_load_done); until
	 * then a loaded entry's link holds its own ref */
	bool load_pending;
	bool load_closed;           /* load_done ran: no more loads */

	void **states;              /* [SL_BLOCK_ROWS] scratch */
	uint8_t *is_new;            /* [SL_BLOCK_ROWS] scratch */
	struct sl_vec *args;        /* [naggs] per block */

	/* shared: read by the control thread */
	_Atomic int failed;
	int error;                  /* -errno, valid once failed */
};

int sl_aggregator_error(const struct sl_aggregator *a)
{
	return atomic_load_explicit(&a->failed, memory_order_acquire) ? a->error : 0;
}

void sl_epoch_result_free(struct sl_epoch_result *r)
{
	if (r == NULL)
		return;
	sl_batch_destroy(r->rows);
	for (uint32_t i = 0; r->deltas != NULL && i < r->ndeltas; i++)
		free(r->deltas[i].buf);
	free(r->deltas);
	free(r);
}

struct sl_aggregator *sl_aggregator_create(const struct sl_aggregator_config *cfg, char *err,
					   size_t errlen)
{
	struct sl_aggregator *a = calloc(1, sizeof(*a));
	if (a == NULL)
		goto err_nomem;
	a->cfg = *cfg;
	/* keep our own copies of the ring lists: the caller's may be temporary */
	a->cfg.in = calloc(cfg->nin ? cfg->nin : 1, sizeof(*a->cfg.in));
	a->cfg.ret = calloc(cfg->nin ? cfg->nin : 1, sizeof(*a->cfg.ret));
	if (a->cfg.in == NULL || a->cfg.ret == NULL)
		goto err_nomem;
	memcpy(a->cfg.in, cfg->in, cfg->nin * sizeof(*a->cfg.in));
	memcpy(a->cfg.ret, cfg->ret, cfg->nin * sizeof(*a->cfg.ret));
	a->plan = cfg->plan;
	a->nshards = cfg->plan->settings.shards;
	const struct sl_plan *plan = cfg->plan;

	a->layout = sl_agg_layout_create(plan->aggs, plan->naggs);
	if (a->layout == NULL)
		goto err_nomem;
	for (uint32_t s = cfg->idx; s < a->nshards; s += cfg->n_agg)
		a->nlocal++;
	a->shards = calloc(a->nlocal ? a->nlocal : 1, sizeof(*a->shards));
	if (a->shards == NULL)
		goto err_nomem;
	for (uint32_t l = 0; l < a->nlocal; l++) {
		/* a session plan keeps, per group, a pointer to its sessions */
		a->shards[l] = sl_shard_create(cfg->plan->session ? sizeof(struct sess_list *)
								  : sl_agg_state_size(a->layout),
					       1024);
		if (a->shards[l] == NULL)
			goto err_nomem;
		sl_shard_begin_epoch(a->shards[l], 0);
	}
	a->at_barrier = calloc(cfg->nin, 1);
	a->ended = calloc(cfg->nin, 1);
	a->states = calloc(SL_BLOCK_ROWS, sizeof(*a->states));
	a->is_new = calloc(SL_BLOCK_ROWS, 1);
	a->args = calloc(plan->naggs ? plan->naggs : 1, sizeof(*a->args));
	a->ctx = sl_eval_ctx_create();
	if (a->at_barrier == NULL || a->ended == NULL || a->states == NULL || a->is_new == NULL ||
	    a->args == NULL || a->ctx == NULL)
		goto err_nomem;

	/* the aggregate chunk's schema: keys, then aggregates */
	a->agg_schema.ncols = plan->nkeys + plan->naggs;
	a->agg_schema.cols = calloc(a->agg_schema.ncols ? a->agg_schema.ncols : 1,
				    sizeof(*a->agg_schema.cols));
	if (a->agg_schema.cols == NULL)
		goto err_nomem;
	for (uint32_t k = 0; k < plan->nkeys; k++)
		a->agg_schema.cols[k] = plan->key_schema.cols[k];
	for (uint32_t j = 0; j < plan->naggs; j++) {
		struct sl_column_def *c = &a->agg_schema.cols[plan->nkeys + j];
		snprintf(c->name, sizeof(c->name), "%s", plan->aggs[j].name);
		c->type = plan->aggs[j].type;
	}
	a->evicting = sl_plan_evicts(plan);
	a->max_event_ms = INT64_MIN;
	a->per_input = cfg->nin / sl_plan_ninputs(plan);
	if (a->per_input == 0)
		a->per_input = 1;
	for (uint32_t k = 0; k < SL_PLAN_MAX_INPUTS; k++)
		a->max_event_in[k] = INT64_MIN;
	a->evict = calloc(a->nlocal ? a->nlocal : 1, sizeof(*a->evict));
	if (a->evict == NULL)
		goto err_nomem;
	a->fingerprint = sl_state_fingerprint(a->layout, plan->session, &plan->key_schema);
	if (cfg->deltas) {
		a->dw = calloc(a->nlocal ? a->nlocal : 1, sizeof(*a->dw));
		if (a->dw == NULL)
			goto err_nomem;
	}
	if (plan->having != NULL)
		a->post[a->npost++] = (struct sl_op){.kind = SL_OP_FILTER, .pred = plan->having};
	a->post[a->npost++] = (struct sl_op){
		.kind = SL_OP_PROJECT, .nexprs = plan->nout, .exprs = plan->out, .out = plan->out_schema};
	return a;

err_nomem:
	snprintf(err, errlen, "out of memory setting up aggregator core %u", cfg->idx);
	sl_aggregator_destroy(a);
	return NULL;
}

static void sess_list_free(struct sess_list *x)
{
	if (x != NULL)
		free(x->items);
	free(x);
}

void sl_aggregator_destroy(struct sl_aggregator *a)
{
	if (a == NULL)
		return;
	for (uint32_t l = 0; a->shards != NULL && l < a->nlocal; l++) {
		if (a->plan != NULL && a->plan->session && a->shards[l] != NULL) {
			struct sl_shard_iter it;
			struct sl_shard_entry ent;
			sl_shard_iter_init(&it, a->shards[l]);
			while (sl_shard_iter_next(&it, &ent))
				sess_list_free(*(struct sess_list **)ent.state);
		}
		sl_shard_destroy(a->shards[l]);
	}
	free(a->shards);
	for (uint32_t l = 0; a->evict != NULL && l < a->nlocal; l++) {
		for (uint32_t k = 0; k < a->evict[l].n; k++)
			free(a->evict[l].b[k].states);
		free(a->evict[l].b);
	}
	free(a->evict);
	for (uint32_t l = 0; a->dw != NULL && l < a->nlocal; l++)
		sl_state_writer_free(&a->dw[l]);
	free(a->dw);
	sl_agg_layout_destroy(a->layout);
	free(a->at_barrier);
	free(a->ended);
	free(a->states);
	free(a->is_new);
	free(a->args);
	free(a->agg_schema.cols);
	sl_eval_ctx_destroy(a->ctx);
	free(a->cfg.in);
	free(a->cfg.ret);
	free(a);
}

static bool aborted(const struct sl_aggregator *a)
{
	return atomic_load_explicit(&a->cfg.ctl->abort, memory_order_relaxed) != 0;
}


static struct sl_shard *shard_of(const struct sl_aggregator *a, uint64_t hash)
{
	return a->shards[sl_key_shard(hash, a->nshards) / a->cfg.n_agg];
}

/* The state of every row's group in a->states, made where missing: one
 * burst when this core owns a single shard, else row by row. */
static int find_states(struct sl_aggregator *a, const struct sl_block *b)
{
	const struct sl_str *keys = b->cols[0].v.str;
	uint32_t n = b->nrows;
	if (a->nlocal == 1)
		return sl_shard_upsert_burst(a->shards[0], b->hash, keys, n, a->states, a->is_new) < n
			       ? -ENOMEM
			       : 0;
	for (uint32_t r = 0; r < n; r++) {
		bool is_new;
		a->states[r] = sl_shard_upsert(shard_of(a, b->hash[r]), b->hash[r], keys[r].ptr,
					       keys[r].len, &is_new);
		if (a->states[r] == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* Merge a block of partial states (from an ingest core's combiner). */
static int fold_partials(struct sl_aggregator *a, const struct sl_block *b)
{
	const struct sl_str *parts = b->cols[1].v.str;
	int rc = find_states(a, b);
	for (uint32_t r = 0; rc == 0 && r < b->nrows; r++)
		rc = sl_agg_merge(a->layout, a->states[r], parts[r].ptr,
				  a->nlocal == 1 ? a->shards[0] : shard_of(a, b->hash[r]));
	return rc;
}

/* The aggregate arguments of a row block: the columns after the key, one
 * per aggregate that takes one (count(*) takes none). */
static void block_args(struct sl_aggregator *a, const struct sl_block *b)
{
	const struct sl_plan *plan = a->plan;
	uint32_t col = 1;
	for (uint32_t j = 0; j < plan->naggs; j++)
		a->args[j] = plan->aggs[j].arg != NULL ? b->cols[col++]
						       : (struct sl_vec){.type = SL_TYPE_NULL};
}

/* The bucket of window end `end`, made when absent; NULL when out of
 * memory. */
static struct evict_bucket *evict_bucket_of(struct evict_index *x, int64_t end)
{
	uint32_t lo = 0, hi = x->n;
	while (lo < hi) { /* first bucket with b.end >= end */
		uint32_t mid = (lo + hi) / 2;
		if (x->b[mid].end < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == x->n || x->b[lo].end != end) {
		if (x->n == x->cap) {
			uint32_t cap = x->cap ? 2 * x->cap : 8;
			struct evict_bucket *nb = realloc(x->b, cap * sizeof(*nb));
			if (nb == NULL)
				return NULL;
			x->b = nb;
			x->cap = cap;
		}
		memmove(&x->b[lo + 1], &x->b[lo], (x->n - lo) * sizeof(*x->b));
		x->b[lo] = (struct evict_bucket){.end = end};
		x->n++;
	}
	return &x->b[lo];
}

/* Remember that a session group's state belongs to session end `end`. */
static int evict_index_add(struct evict_index *x, int64_t end, void *state)
{
	struct evict_bucket *bk = evict_bucket_of(x, end);
	if (bk == NULL)
		return -ENOMEM;
	if (bk->n == bk->cap) {
		uint32_t cap = bk->cap ? 2 * bk->cap : 16;
		void **ns = realloc(bk->states, cap * sizeof(*ns));
		if (ns == NULL)
			return -ENOMEM;
		bk->states = ns;
		bk->cap = cap;
	}
	bk->states[bk->n++] = state;
	return 0;
}

/* The window end of an encoded group key. */
static int key_window_end(const struct sl_aggregator *a, const struct sl_str *k, int64_t *end)
{
	return sl_key_window_end((const uint8_t *)k->ptr, k->len, &a->plan->key_schema,
				 (uint32_t)a->plan->window_key, end);
}

/* Fold one block when the watermark is in force: a row whose window ended
 * at or before the last epoch's watermark is late (Spark's
 * eventTimeWatermarkForLateEvents) and dropped before it touches state;
 * every new group joins the eviction index under its window end. */
static int fold_evicting(struct sl_aggregator *a, const struct sl_block *b)
{
	const struct sl_plan *plan = a->plan;
	const struct sl_str *keys = b->cols[0].v.str;
	bool partial = b->partial;
	if (!partial)
		block_args(a, b);
	for (uint32_t r = 0; r < b->nrows; r++) {
		int64_t end;
		int rc = key_window_end(a, &keys[r], &end);
		if (rc == -ENOENT)
			continue; /* a null window: a null event time, in no window */
		if (rc < 0)
			return rc;
		if (end <= a->wm_late_us) {
			if (partial) {
				/* a combiner's partial: as many rows as it counted */
				int64_t rows = 0;
				struct sl_vec one = {.type = SL_TYPE_BIGINT, .v.i64 = &rows};
				sl_agg_result(a->layout, b->cols[1].v.str[r].ptr,
					      (uint32_t)plan->rows_agg, &one, 0);
				a->dropped_late += (uint64_t)rows;
				a->dropped_in[a->cur_input] += (uint64_t)rows;
			} else {
				a->dropped_late++;
				a->dropped_in[a->cur_input]++;
			}
			continue;
		}
		uint32_t l = sl_key_shard(b->hash[r], a->nshards) / a->cfg.n_agg;
		struct sl_shard *sh = a->shards[l];
		bool is_new;
		uint32_t ref;
		void *st = sl_shard_upsert_ref(sh, b->hash[r], keys[r].ptr, keys[r].len, &is_new,
					       &ref);
		if (st == NULL)
			return -ENOMEM;
		if (is_new) {
			/* a new group joins its window end's chain */
			struct evict_bucket *bk = evict_bucket_of(&a->evict[l], end);
			if (bk == NULL)
				return -ENOMEM;
			*sl_shard_link(sh, st) = bk->head;
			bk->head = ref;
			bk->n++;
		}
		if (partial) {
			rc = sl_agg_merge(a->layout, st, b->cols[1].v.str[r].ptr, sh);
		} else {
			struct sl_vec row_args[SL_BLOCK_MAX_COLS];
			for (uint32_t j = 0; j < plan->naggs; j++)
				row_args[j] = sl_vec_slice(&a->args[j], r);
			rc = sl_agg_update(a->layout, &st, 1, row_args, sh);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static inline int64_t *sess_at(const struct sess_list *x, uint32_t i)
{
	return (int64_t *)(x->items + (size_t)i * x->stride);
}

/* A group's session list, made empty on its first use. NULL: ENOMEM. */
static struct sess_list *sess_list_of(struct sl_aggregator *a, struct sess_list **slot,
				      uint32_t ssize)
{
	struct sess_list *x = *slot;
	if (x == NULL) {
		x = calloc(1, sizeof(*x));
		if (x == NULL)
			return NULL;
		x->stride = (uint32_t)((16 + ssize + 7) & ~7u);
		a->session_bytes += sizeof(*x);
		*slot = x;
	}
	return x;
}

/* Room for one more session at position i (the later ones move up). */
static int sess_insert(struct sess_list *x, uint32_t i, uint64_t *bytes)
{
	if (x->n == x->cap) {
		uint32_t cap = x->cap ? 2 * x->cap : 2;
		uint8_t *ni = realloc(x->items, (size_t)cap * x->stride);
		if (ni == NULL)
			return -ENOMEM;
		*bytes += (uint64_t)(cap - x->cap) * x->stride;
		x->items = ni;
		x->cap = cap;
	}
	memmove(x->items + (size_t)(i + 1) * x->stride, x->items + (size_t)i * x->stride,
		(size_t)(x->n - i) * x->stride);
	x->n++;
	return 0;
}

/* Fold one block of a session_window plan: each row opens the session
 * [ts, ts + gap) in its group; the sessions it overlaps or touches merge
 * with it (Spark's MergingSessionsExec: the next session merges when its
 * start <= the current end), within the batch and with the state alike. A
 * row whose session ended at or before the last batch's watermark is late. */
static int fold_sessions(struct sl_aggregator *a, const struct sl_block *b)
{
	const struct sl_plan *plan = a->plan;
	const struct sl_str *keys = b->cols[0].v.str;
	block_args(a, b);
	const uint32_t ssize = sl_agg_state_size(a->layout);
	for (uint32_t r = 0; r < b->nrows; r++) {
		int64_t s, e;
		uint32_t plen = sl_key_session_split(keys[r].ptr, keys[r].len, &s, &e);
		/* Spark's SessionWindowStateStoreRestoreExec drops late rows in
		 * every output mode, complete included (time windows: not in
		 * complete) */
		if (plan->window_on_event_time && e <= a->wm_late_us) {
			a->dropped_late++;
			a->dropped_in[a->cur_input]++;
			continue;
		}
		uint32_t l = sl_key_shard(b->hash[r], a->nshards) / a->cfg.n_agg;
		struct sl_shard *sh = a->shards[l];
		bool is_new;
		struct sess_list **slot = sl_shard_upsert(sh, b->hash[r], keys[r].ptr, plen, &is_new);
		if (slot == NULL)
			return -ENOMEM;
		struct sess_list *x = sess_list_of(a, slot, ssize);
		if (x == NULL)
			return -ENOMEM;
		/* the stored sessions it overlaps or touches: [i, j) */
		uint32_t i = 0;
		while (i < x->n && sess_at(x, i)[1] < s)
			i++;
		uint32_t j = i;
		while (j < x->n && sess_at(x, j)[0] <= e)
			j++;
		int64_t *t;
		int64_t old_end = INT64_MIN;
		if (i == j) {
			if (sess_insert(x, i, &a->session_bytes) < 0)
				return -ENOMEM;
			t = sess_at(x, i);
			t[0] = s;
			t[1] = e;
			sl_agg_init_state(a->layout, t + 2);
			a->nsessions++;
		} else {
			t = sess_at(x, i);
			old_end = t[1];
			if (s < t[0])
				t[0] = s;
			int64_t last_end = sess_at(x, j - 1)[1];
			t[1] = last_end > e ? last_end : e;
			for (uint32_t k = i + 1; k < j; k++) {
				int rc = sl_agg_merge(a->layout, t + 2, sess_at(x, k) + 2, sh);
				sl_agg_release_state(a->layout, sess_at(x, k) + 2, sh);
				if (rc < 0)
					return rc;
			}
			if (j > i + 1) {
				memmove(x->items + (size_t)(i + 1) * x->stride,
					x->items + (size_t)j * x->stride, (size_t)(x->n - j) * x->stride);
				x->n -= j - i - 1;
				a->nsessions -= j - i - 1;
			}
		}
		struct sl_vec row_args[SL_BLOCK_MAX_COLS];
		for (uint32_t q = 0; q < plan->naggs; q++)
			row_args[q] = sl_vec_slice(&a->args[q], r);
		void *st = t + 2;
		int rc = sl_agg_update(a->layout, &st, 1, row_args, sh);
		if (rc < 0)
			return rc;
		if (a->evicting && t[1] != old_end) {
			/* the session's (new) end: the index finds the group there */
			if ((rc = evict_index_add(&a->evict[l], t[1], slot)) < 0)
				return rc;
			x->refs++;
		}
	}
	return 0;
}

/* Fold one block into the shards. */
static int fold(struct sl_aggregator *a, const struct sl_block *b)
{
	if (a->plan->session)
		return fold_sessions(a, b);
	if (a->evicting)
		return fold_evicting(a, b);
	if (b->partial)
		return fold_partials(a, b);
	const struct sl_plan *plan = a->plan;
	block_args(a, b);
	if (plan->nkeys == 0) {
		/* no GROUP BY: every row has the empty key and its hash
		 * (route_agg), so one state takes the whole block */
		if (b->nrows == 0)
			return 0;
		const struct sl_str *key = &b->cols[0].v.str[0];
		struct sl_shard *sh = shard_of(a, b->hash[0]);
		bool is_new;
		void *st = sl_shard_upsert(sh, b->hash[0], key->ptr, key->len, &is_new);
		if (st == NULL)
			return -ENOMEM;
		return sl_agg_update_one(a->layout, st, b->nrows, a->args, sh);
	}
	int rc = find_states(a, b);
	if (rc < 0)
		return rc;
	if (a->nlocal == 1)
		return sl_agg_update(a->layout, a->states, b->nrows, a->args, a->shards[0]);
	/* several shards on this core: each row's strings go to its own shard */
	for (uint32_t r = 0; rc == 0 && r < b->nrows; r++) {
		struct sl_vec row_args[SL_BLOCK_MAX_COLS];
		for (uint32_t j = 0; j < plan->naggs; j++)
			row_args[j] = sl_vec_slice(&a->args[j], r);
		rc = sl_agg_update(a->layout, &a->states[r], 1, row_args, shard_of(a, b->hash[r]));
	}
	return rc;
}

/* Output rows of a shard's entries, a chunk at a time, into the batch. */
struct emitter {
	struct sl_aggregator *a;
	struct sl_batch *out;
	struct sl_vec *cols; /* [nkeys + naggs], SL_BLOCK_ROWS rows each */
	uint32_t n;
	int rc;
};

static int emitter_flush(struct emitter *e)
{
	struct sl_aggregator *a = e->a;
	if (e->n == 0)
		return 0;
	struct sl_chunk in = {.nrows = e->n, .ncols = a->agg_schema.ncols, .cols = e->cols};
	struct sl_chunk res;
	int rc = sl_pipeline_run(a->post, a->npost, &in, a->ctx, &res);
	if (rc == 0)
		rc = sl_batch_append_chunk(e->out, &res);
	e->n = 0;
	return rc;
}

static int emitter_begin(struct emitter *e)
{
	struct sl_aggregator *a = e->a;
	uint32_t nc = a->agg_schema.ncols;
	sl_eval_ctx_reset(a->ctx);
	e->cols = sl_eval_ctx_alloc(a->ctx, (nc ? nc : 1) * sizeof(*e->cols));
	if (e->cols == NULL)
		return -ENOMEM;
	for (uint32_t c = 0; c < nc; c++) {
		struct sl_vec *v = &e->cols[c];
		memset(v, 0, sizeof(*v));
		v->type = a->agg_schema.cols[c].type;
		v->nulls = sl_eval_ctx_alloc(a->ctx, SL_BLOCK_ROWS);
		v->v.i64 = sl_eval_ctx_alloc(a->ctx, SL_BLOCK_ROWS * sizeof(struct sl_str));
		if (v->nulls == NULL || v->v.i64 == NULL)
			return -ENOMEM;
		memset(v->nulls, 0, SL_BLOCK_ROWS);
	}
	e->n = 0;
	return 0;
}

/* One group as an output row. detach: the group is freed before the
 * emitter flushes (eviction), so its key and string results are copied
 * into the context's arena first: a freed arena block's first bytes hold
 * the shard's free list, and a big one goes back to the allocator. */
static int emit_entry(struct emitter *e, const void *key, uint32_t klen, const void *state,
		      bool detach)
{
	struct sl_aggregator *a = e->a;
	const struct sl_plan *plan = a->plan;
	if (detach && klen > 0) {
		void *k = sl_eval_ctx_alloc(a->ctx, klen);
		if (k == NULL)
			return -ENOMEM;
		key = memcpy(k, key, klen);
	}
	int rc = sl_key_decode(key, klen, &plan->key_schema, e->cols, e->n);
	if (rc < 0)
		return rc;
	for (uint32_t j = 0; j < plan->naggs; j++) {
		struct sl_vec *out = &e->cols[plan->nkeys + j];
		sl_agg_result(a->layout, state, j, out, e->n);
		if (detach && sl_type_is_bytes(out->type) && !out->nulls[e->n] &&
		    out->v.str[e->n].len > 0) {
			struct sl_str *v = &out->v.str[e->n];
			char *c = sl_eval_ctx_alloc(a->ctx, v->len);
			if (c == NULL)
				return -ENOMEM;
			v->ptr = memcpy(c, v->ptr, v->len);
		}
	}
	if (++e->n == SL_BLOCK_ROWS) {
		rc = emitter_flush(e);
		if (rc == 0)
			rc = emitter_begin(e);
	}
	return rc;
}

/* One session as an output row: its group's key bytes and the session
 * window put back together (in the context's arena, which lives until the
 * emitter flushes: the decoded strings point into it). */
static int emit_session(struct emitter *e, const uint8_t *prefix, uint32_t plen,
			const int64_t *sess, bool detach)
{
	uint8_t *k = sl_eval_ctx_alloc(e->a->ctx, (size_t)plen + SL_KEY_WINDOW_BYTES);
	if (k == NULL)
		return -ENOMEM;
	if (plen)
		memcpy(k, prefix, plen);
	k[plen] = SL_TYPE_WINDOW;
	uint64_t s = (uint64_t)sess[0], en = (uint64_t)sess[1];
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	s = __builtin_bswap64(s);
	en = __builtin_bswap64(en);
#endif
	memcpy(k + plen + 1, &s, 8);
	memcpy(k + plen + 9, &en, 8);
	return emit_entry(e, k, plen + SL_KEY_WINDOW_BYTES, sess + 2, detach);
}

/* Complete mode: every session of every group. */
static int emit_all_sessions(struct sl_aggregator *a, struct emitter *e)
{
	int rc = 0;
	for (uint32_t l = 0; rc == 0 && l < a->nlocal; l++) {
		struct sl_shard_iter it;
		struct sl_shard_entry ent;
		sl_shard_iter_init(&it, a->shards[l]);
		while (rc == 0 && sl_shard_iter_next(&it, &ent)) {
			const struct sess_list *x = *(struct sess_list **)ent.state;
			for (uint32_t i = 0; rc == 0 && x != NULL && i < x->n; i++)
				rc = emit_session(e, ent.key, ent.klen, sess_at(x, i), false);
		}
	}
	return rc;
}

/* ---- deltas (checkpoints) ---- */

/* A shard smaller than this always writes deltas: its snapshot is the
 * maintenance thread's (cheap at that size), and small high-churn shards
 * do not fill the checkpoint with snapshots. */
#define SL_DUMP_MIN_GROUPS 4096

static inline void put_i64le(uint8_t *p, int64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)((uint64_t)v >> (8 * i));
}

static inline int64_t get_i64le(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return (int64_t)v;
}

/* A put of a time-window or plain group: its state, portable. */
static int delta_put_state(struct sl_aggregator *a, struct sl_state_writer *w,
			   const struct sl_shard_entry *ent)
{
	size_t vlen = sl_agg_state_encoded_size(a->layout, ent->state);
	uint8_t *p = sl_state_writer_put(w, ent->key, ent->klen, vlen);
	if (p == NULL)
		return -errno;
	sl_agg_state_encode(a->layout, ent->state, p);
	return 0;
}

/* A put of a session group: its sessions (at least one), portable. */
static int delta_put_sessions(struct sl_aggregator *a, struct sl_state_writer *w,
			      const struct sl_shard_entry *ent, const struct sess_list *x)
{
	size_t vlen = sl_varint_size(x->n);
	for (uint32_t i = 0; i < x->n; i++)
		vlen += 16 + sl_agg_state_encoded_size(a->layout, sess_at(x, i) + 2);
	uint8_t *p = sl_state_writer_put(w, ent->key, ent->klen, vlen);
	if (p == NULL)
		return -errno;
	p = sl_varint_put(p, x->n);
	for (uint32_t i = 0; i < x->n; i++) {
		const int64_t *t = sess_at(x, i);
		put_i64le(p, t[0]);
		put_i64le(p + 8, t[1]);
		p = sl_agg_state_encode(a->layout, t + 2, p + 16);
	}
	return 0;
}

/* A session group in this epoch's delta, as it stands: put while it has
 * sessions, removed once it has none (its entry may live on while the
 * eviction index still names it, but it holds nothing). Once an epoch. */
static int delta_session_group(struct sl_aggregator *a, struct sl_state_writer *w,
			       const struct sl_shard_entry *ent, struct sess_list *x)
{
	uint64_t stamp = a->epoch + 1;
	if (x != NULL && x->delta_stamp == stamp)
		return 0;
	if (x != NULL)
		x->delta_stamp = stamp;
	if (x == NULL || x->n == 0)
		return sl_state_writer_remove(w, ent->key, ent->klen);
	return delta_put_sessions(a, w, ent, x);
}

/* Every group the epoch touched that still lives, into each shard's
 * delta: costs what the epoch changed. */
/* Each shard's part of the checkpoint for the epoch: its delta (the
 * touched groups' puts after the removes eviction wrote), or, when the
 * epoch touched at least half of the shard's groups, the whole shard as a
 * snapshot instead: that costs at most twice the delta it replaces, and
 * saves the maintenance thread merging a delta as big as the state (and a
 * restart loading it). dump[l] says which each shard got. */
static int delta_touched(struct sl_aggregator *a, bool *dump)
{
	int rc = 0;
	for (uint32_t l = 0; rc == 0 && l < a->nlocal; l++) {
		struct sl_shard *sh = a->shards[l];
		uint64_t live = sl_shard_count(sh), touched = sl_shard_touched_count(sh);
		uint64_t least = a->cfg.dump_min_groups ? a->cfg.dump_min_groups : SL_DUMP_MIN_GROUPS;
		dump[l] = live >= least && touched * 2 >= live;
		struct sl_shard_iter it;
		struct sl_shard_entry ent;
		if (dump[l]) {
			rc = sl_state_writer_begin(&a->dw[l], a->fingerprint, SL_STATE_SNAPSHOT);
			sl_shard_iter_init(&it, sh);
		} else {
			sl_shard_touched_init(&it, sh);
		}
		while (rc == 0 &&
		       (dump[l] ? sl_shard_iter_next(&it, &ent) : sl_shard_touched_next(&it, &ent))) {
			if (a->plan->session)
				rc = delta_session_group(a, &a->dw[l], &ent,
							 *(struct sess_list **)ent.state);
			else
				rc = delta_put_state(a, &a->dw[l], &ent);
		}
	}
	return rc;
}

/* A time-window group the watermark finalised: emitted in append mode,
 * then freed (and, with deltas, a remove in w). */
static int evict_group(struct sl_aggregator *a, struct emitter *e, struct sl_shard *sh,
		       struct sl_state_writer *w, void *state, uint64_t *evicted)
{
	struct sl_shard_entry ent = sl_shard_entry_of(sh, state);
	int rc = 0;
	if (a->plan->sink.mode == SL_OUTPUT_APPEND)
		rc = emit_entry(e, ent.key, ent.klen, ent.state, true);
	if (rc == 0 && w != NULL)
		rc = sl_state_writer_remove(w, ent.key, ent.klen);
	sl_agg_release_state(a->layout, ent.state, sh);
	if (rc == 0)
		rc = sl_shard_remove(sh, sl_key_hash(ent.key, ent.klen), ent.key, ent.klen);
	(*evicted)++;
	return rc;
}

/* A group's sessions the watermark finalised (append mode: emitted, once)
 * are freed; the group goes too once it has no session and no index entry
 * names it. */
static int evict_sessions_of(struct sl_aggregator *a, struct emitter *e, struct sl_shard *sh,
			     struct sl_state_writer *w, struct sess_list **slot, uint64_t *evicted)
{
	struct sess_list *x = *slot;
	struct sl_shard_entry ent = sl_shard_entry_of(sh, slot);
	int rc = 0;
	uint32_t m = 0;
	while (rc == 0 && m < x->n && sess_at(x, m)[1] <= a->wm_evict_us) {
		rc = emit_session(e, ent.key, ent.klen, sess_at(x, m), true);
		sl_agg_release_state(a->layout, sess_at(x, m) + 2, sh);
		m++;
	}
	if (m > 0) {
		memmove(x->items, x->items + (size_t)m * x->stride, (size_t)(x->n - m) * x->stride);
		x->n -= m;
		a->nsessions -= m;
		*evicted += m;
		/* the group as eviction leaves it (sessions left, or none) */
		if (rc == 0 && w != NULL)
			rc = delta_session_group(a, w, &ent, x);
	}
	x->refs--;
	if (rc == 0 && x->n == 0 && x->refs == 0) {
		a->session_bytes -= sizeof(*x) + (uint64_t)x->cap * x->stride;
		sess_list_free(x);
		rc = sl_shard_remove(sh, sl_key_hash(ent.key, ent.klen), ent.key, ent.klen);
	}
	return rc;
}

/* Everything this epoch's watermark finalised, through the index by window
 * end: walks its front only, so it costs what it evicts, never the size
 * of the state. */
static int evict(struct sl_aggregator *a, struct emitter *e, uint64_t *evicted)
{
	int rc = 0;
	for (uint32_t l = 0; l < a->nlocal; l++) {
		struct evict_index *x = &a->evict[l];
		struct sl_shard *sh = a->shards[l];
		struct sl_state_writer *w = a->dw != NULL ? &a->dw[l] : NULL;
		uint32_t done = 0;
		while (rc == 0 && done < x->n && x->b[done].end <= a->wm_evict_us) {
			struct evict_bucket *bk = &x->b[done];
			for (uint32_t k = 0; rc == 0 && k < bk->n && a->plan->session; k++)
				rc = evict_sessions_of(a, e, sh, w, bk->states[k], evicted);
			for (uint32_t ref = bk->head; rc == 0 && ref != 0;) {
				void *st = sl_shard_state_at(sh, ref);
				ref = *sl_shard_link(sh, st);
				rc = evict_group(a, e, sh, w, st, evicted);
			}
			free(bk->states);
			done++;
		}
		if (done > 0) { /* (x->b is NULL while a shard has no bucket) */
			memmove(x->b, x->b + done, (x->n - done) * sizeof(*x->b));
			x->n -= done;
		}
	}
	return rc;
}

/*
 * Spark's WatermarkTracker.updateWatermark, after a batch: each input whose
 * source has a WATERMARK has its own watermark, max event time - delay,
 * that never moves back (0 while it has seen no rows); the query's is the
 * smallest of them (multiple_watermark_policy min, Spark's default: no
 * input's rows turn late early) or the largest (max), and it too only moves
 * forward. *next is the current W_e, moved to W_{e+1}. -1 when no input
 * has a WATERMARK.
 */
static int advance_watermarks(struct sl_aggregator *a, int64_t *next)
{
	const struct sl_plan *plan = a->plan;
	bool any = false;
	int64_t chosen = 0;
	for (uint32_t k = 0; k < sl_plan_ninputs(plan); k++) {
		const struct sl_source_spec *src = &sl_plan_input(plan, k)->source;
		if (src->watermark_col < 0)
			continue;
		int64_t mx = a->max_event_in[k];
		if (mx != INT64_MIN) {
			int64_t delay_ms = src->watermark_delay_us / 1000;
			int64_t cand = mx >= INT64_MIN + delay_ms ? mx - delay_ms : INT64_MIN;
			if (!a->wm_in_set[k] || cand > a->wm_in_ms[k])
				a->wm_in_ms[k] = cand;
			a->wm_in_set[k] = true;
		} else if (!a->wm_in_set[k]) {
			a->wm_in_ms[k] = 0;
			a->wm_in_set[k] = true;
		}
		int64_t w = a->wm_in_ms[k];
		if (!any || (plan->settings.wm_policy == SL_WM_POLICY_MAX ? w > chosen : w < chosen))
			chosen = w;
		any = true;
	}
	if (!any)
		return -1;
	if (chosen <= INT64_MAX / 1000 && chosen >= INT64_MIN / 1000 && chosen * 1000 > *next)
		*next = chosen * 1000;
	return 0;
}

/* The event-time bookkeeping as it stands (a checkpoint's offsets/N). */
static void fill_time(const struct sl_aggregator *a, struct sl_time_state *t)
{
	t->max_event_ms = a->max_event_ms;
	for (uint32_t k = 0; k < SL_PLAN_MAX_INPUTS; k++) {
		t->max_event_in[k] = a->max_event_in[k];
		t->wm_in_ms[k] = a->wm_in_ms[k];
		t->wm_in_set[k] = a->wm_in_set[k];
	}
	t->wm_late_us = a->wm_late_us;
	t->wm_evict_us = a->wm_evict_us;
}

void sl_aggregator_set_time(struct sl_aggregator *a, const struct sl_time_state *t)
{
	a->max_event_ms = t->max_event_ms;
	for (uint32_t k = 0; k < SL_PLAN_MAX_INPUTS; k++) {
		a->max_event_in[k] = t->max_event_in[k];
		a->wm_in_ms[k] = t->wm_in_ms[k];
		a->wm_in_set[k] = t->wm_in_set[k] != 0;
	}
	a->wm_late_us = t->wm_late_us;
	a->wm_evict_us = t->wm_evict_us;
}

static struct sl_epoch_result *finish_epoch(struct sl_aggregator *a)
{
	struct sl_epoch_result *res = calloc(1, sizeof(*res));
	if (res == NULL)
		return NULL;
	res->epoch = a->epoch;
	struct timespec cpu;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	res->cpu_ns = (uint64_t)cpu.tv_sec * 1000000000ull + (uint64_t)cpu.tv_nsec;
	res->rows = sl_batch_create(&a->plan->out_schema);
	if (res->rows == NULL) {
		free(res);
		return NULL;
	}
	bool all = a->plan->sink.mode == SL_OUTPUT_COMPLETE;
	/* append mode emits only what the watermark finalises (below) */
	bool changed = !(a->evicting && a->plan->sink.mode == SL_OUTPUT_APPEND) &&
		       !a->plan->session;
	struct emitter e = {.a = a, .out = res->rows};
	int rc = 0;
	for (uint32_t l = 0; rc == 0 && a->dw != NULL && l < a->nlocal; l++)
		rc = sl_state_writer_begin(&a->dw[l], a->fingerprint, 0);
	if (rc == 0)
		rc = emitter_begin(&e);
	if (rc == 0 && a->plan->session && all)
		rc = emit_all_sessions(a, &e);
	for (uint32_t l = 0; rc == 0 && changed && l < a->nlocal; l++) {
		struct sl_shard *sh = a->shards[l];
		struct sl_shard_iter it;
		struct sl_shard_entry ent;
		if (all)
			sl_shard_iter_init(&it, sh);
		else
			sl_shard_touched_init(&it, sh);
		while (rc == 0 && (all ? sl_shard_iter_next(&it, &ent) : sl_shard_touched_next(&it, &ent)))
			rc = emit_entry(&e, ent.key, ent.klen, ent.state, false);
	}
	if (rc == 0 && a->evicting && changed) {
		/* the rows just emitted point into states that eviction may free
		 * now: out before it */
		rc = emitter_flush(&e);
		if (rc == 0)
			rc = emitter_begin(&e);
	}
	if (rc == 0 && a->evicting) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = evict(a, &e, &res->evicted_rows);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		res->evict_ns = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL +
					   (t1.tv_nsec - t0.tv_nsec));
	}
	/* after eviction: what it dropped is in the deltas already, and the
	 * touched list no longer shows it */
	bool dump_stack[64];
	bool *dump = a->nlocal <= 64 ? dump_stack : calloc(a->nlocal, sizeof(*dump));
	if (dump == NULL)
		rc = -ENOMEM;
	else
		memset(dump, 0, (a->nlocal <= 64 ? 64 : a->nlocal) * sizeof(*dump));
	if (rc == 0 && a->dw != NULL)
		rc = delta_touched(a, dump);
	for (uint32_t l = 0; l < a->nlocal; l++) {
		struct sl_shard *sh = a->shards[l];
		res->updated_rows += sl_shard_touched_count(sh);
		res->state_rows += a->plan->session ? 0 : sl_shard_count(sh);
		res->memory_bytes += sl_shard_memory(sh);
		/* the eviction index: the bucket array and each bucket's states
		 * (sessions; time windows chain through the entries) */
		const struct evict_index *xi = &a->evict[l];
		res->memory_bytes += (uint64_t)xi->cap * sizeof(*xi->b);
		for (uint32_t k = 0; k < xi->n; k++)
			res->memory_bytes += (uint64_t)xi->b[k].cap * sizeof(void *);
	}
	if (a->plan->session) {
		res->state_rows = a->nsessions;
		res->memory_bytes += a->session_bytes;
	}
	if (rc == 0)
		rc = emitter_flush(&e);
	/* the watermark: W_{e+1} = max(W_e, max event time - delay), in
	 * Spark's milliseconds; this epoch's W_e becomes the next epoch's
	 * late-row threshold (IncrementalExecution: late events against the
	 * previous batch's watermark, eviction against the current one) */
	res->watermark_us = a->wm_evict_us;
	res->dropped_late = a->dropped_late;
	memcpy(res->dropped_in, a->dropped_in, sizeof(res->dropped_in));
	res->max_event_ms = a->max_event_ms;
	a->dropped_late = 0;
	memset(a->dropped_in, 0, sizeof(a->dropped_in));
	int64_t next = a->wm_evict_us;
	if (advance_watermarks(a, &next) < 0)
		next = a->wm_evict_us;
	res->next_watermark_us = next;
	a->wm_late_us = a->wm_evict_us;
	a->wm_evict_us = next;
	sl_eval_ctx_reset(a->ctx);
	fill_time(a, &res->time);
	if (a->dw != NULL && rc == 0) {
		res->deltas = calloc(a->nlocal ? a->nlocal : 1, sizeof(*res->deltas));
		if (res->deltas == NULL)
			rc = -ENOMEM;
	}
	for (uint32_t l = 0; a->dw != NULL && l < a->nlocal; l++) {
		if (rc < 0) {
			sl_state_writer_free(&a->dw[l]);
			continue;
		}
		struct sl_state_delta *d = &res->deltas[l];
		d->shard = a->cfg.idx + l * a->cfg.n_agg;
		d->snapshot = dump != NULL && dump[l];
		d->puts = a->dw[l].puts;
		d->removes = a->dw[l].removes;
		sl_state_writer_finish(&a->dw[l], &d->buf, &d->len);
		res->ndeltas = l + 1;
	}
	if (dump != dump_stack)
		free(dump);
	res->error = rc;
	a->epoch++;
	for (uint32_t l = 0; l < a->nlocal; l++)
		sl_shard_begin_epoch(a->shards[l], a->epoch);
	return res;
}

/* ---- restart: loading checkpointed state ---- */

/* Drops a loaded group: its arena blocks, its sessions, its entry. */
static void load_drop(struct sl_aggregator *a, struct sl_shard *sh, uint64_t hash,
		      const uint8_t *key, uint32_t klen, void *st)
{
	if (a->plan->session) {
		struct sess_list *x = *(struct sess_list **)st;
		if (x != NULL) {
			for (uint32_t i = 0; i < x->n; i++)
				sl_agg_release_state(a->layout, sess_at(x, i) + 2, sh);
			a->nsessions -= x->n;
			a->session_bytes -= sizeof(*x) + (uint64_t)x->cap * x->stride;
			sess_list_free(x);
		}
	} else {
		sl_agg_release_state(a->layout, st, sh);
	}
	sl_shard_remove(sh, hash, key, klen);
}

/* A session group's value (state_codec.h) into *slot, whose list (made
 * here when absent) is empty. 0 or -EINVAL with why, -ENOMEM. */
static int load_sessions(struct sl_aggregator *a, struct sl_shard *sh, struct sess_list **slot,
			 const uint8_t *v, size_t vlen, const char **why)
{
	const uint8_t *end = v + vlen;
	const uint32_t ssize = sl_agg_state_size(a->layout);
	uint64_t n;
	uint32_t k = sl_varint_get(v, end, &n);
	*why = "a session count runs past the value";
	if (k == 0)
		return -EINVAL;
	v += k;
	/* each session takes its bounds and at least its fixed state bytes */
	*why = "a session count that the value cannot hold";
	if (n == 0 || n > (uint64_t)(end - v) / (16 + ssize) || n > UINT32_MAX / 2)
		return -EINVAL;
	struct sess_list *x = sess_list_of(a, slot, ssize);
	if (x == NULL)
		return -ENOMEM;
	if (x->cap < n) {
		uint8_t *ni = realloc(x->items, (size_t)n * x->stride);
		if (ni == NULL)
			return -ENOMEM;
		a->session_bytes += (uint64_t)(n - x->cap) * x->stride;
		x->items = ni;
		x->cap = (uint32_t)n;
	}
	for (uint32_t i = 0; i < n; i++) {
		*why = "a session's bounds run past the value";
		if ((size_t)(end - v) < 16)
			return -EINVAL;
		int64_t *t = sess_at(x, i);
		t[0] = get_i64le(v);
		t[1] = get_i64le(v + 8);
		v += 16;
		*why = "sessions out of order or overlapping";
		if (t[0] > t[1] || (i > 0 && t[0] <= sess_at(x, i - 1)[1]))
			return -EINVAL;
		size_t used;
		int rc = sl_agg_state_decode(a->layout, v, (size_t)(end - v), t + 2, sh, &used);
		*why = "a session's aggregate state does not fit this query's";
		if (rc < 0)
			return rc;
		v += used;
		x->n++;
		a->nsessions++;
	}
	*why = "bytes after its last session";
	return v == end ? 0 : -EINVAL;
}

/* One payload into shard `shard`. With `tomb` (sl_aggregator_load_chain:
 * payloads newest first), a record whose key a newer payload decided (the
 * key is in the shard, or in tomb: removed) is skipped, and a remove puts
 * its key in tomb; without it, records apply in order. */
static int load_payload(struct sl_aggregator *a, uint32_t shard, const void *payload, size_t len,
			struct sl_shard *tomb, char *err, size_t errlen)
{
	struct sl_state_reader r;
	struct sl_state_record rec;
	char why[256];
	const char *what = NULL;
	int rc;

	if (a->load_closed) {
		snprintf(err, errlen,
			 "aggregator core %u: state can only be loaded before its first batch",
			 a->cfg.idx);
		return -EBUSY;
	}
	if (shard >= a->nshards || shard % a->cfg.n_agg != a->cfg.idx) {
		snprintf(err, errlen, "shard %u is not one of aggregator core %u's (%u shards)",
			 shard, a->cfg.idx, a->nshards);
		return -EINVAL;
	}
	uint32_t l = shard / a->cfg.n_agg;
	struct sl_shard *sh = a->shards[l];
	rc = sl_state_reader_init(&r, payload, len, why, sizeof(why));
	if (rc == 0)
		rc = sl_state_check_fingerprint(&r, a->fingerprint, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "shard %u: %s", shard, why);
		return rc;
	}
	a->load_pending = true;
	/* an empty shard about to take many groups (a snapshot, the first
	 * delta) is made at their size at once: growing it group by group,
	 * rehashing at every doubling, was most of a restart's time */
	if (sl_shard_count(sh) == 0 && r.nrecords > 1024 && r.nrecords <= UINT32_MAX / 2) {
		struct sl_shard *big = sl_shard_create(
			a->plan->session ? sizeof(struct sess_list *) : sl_agg_state_size(a->layout),
			(uint32_t)r.nrecords);
		if (big != NULL) {
			sl_shard_destroy(sh);
			sh = a->shards[l] = big;
			sl_shard_begin_epoch(sh, a->epoch);
		}
	}
	while ((rc = sl_state_reader_next(&r, &rec, why, sizeof(why))) > 0) {
		uint64_t hash = sl_key_hash(rec.key, rec.klen);
		what = NULL;
		if (sl_key_shard(hash, a->nshards) != shard) {
			snprintf(err, errlen,
				 "shard %u: the group at byte %zu of its state belongs to shard %u: "
				 "the checkpoint was written with another number of shards",
				 shard, rec.offset, sl_key_shard(hash, a->nshards));
			return -EINVAL;
		}
		if (tomb != NULL) {
			if (sl_shard_find(sh, hash, rec.key, rec.klen) != NULL ||
			    sl_shard_find(tomb, hash, rec.key, rec.klen) != NULL)
				continue; /* a newer payload decided this group */
			if (rec.op == SL_STATE_REMOVE) {
				bool fresh;
				if (sl_shard_upsert(tomb, hash, rec.key, rec.klen, &fresh) == NULL) {
					rc = -ENOMEM;
					goto err_record;
				}
				continue;
			}
		}
		if (rec.op == SL_STATE_REMOVE) {
			void *st = sl_shard_find(sh, hash, rec.key, rec.klen);
			if (st != NULL)
				load_drop(a, sh, hash, rec.key, rec.klen, st);
			continue;
		}
		int64_t end;
		if (a->evicting && !a->plan->session) {
			struct sl_str k = {(const char *)rec.key, rec.klen};
			if (key_window_end(a, &k, &end) < 0) {
				snprintf(err, errlen,
					 "shard %u: the group at byte %zu of its state has no window "
					 "end in its key",
					 shard, rec.offset);
				return -EINVAL;
			}
		}
		bool is_new;
		uint32_t ref;
		void *st = sl_shard_upsert_ref(sh, hash, rec.key, rec.klen, &is_new, &ref);
		if (st == NULL) {
			rc = errno == E2BIG ? -EINVAL : -ENOMEM;
			what = errno == E2BIG ? "a key too long" : NULL;
			goto err_record;
		}
		if (is_new)
			*sl_shard_link(sh, st) = ref; /* until load_done chains it */
		if (a->plan->session) {
			struct sess_list *x = *(struct sess_list **)st;
			if (x != NULL) {
				/* a later put replaces the group's sessions */
				for (uint32_t i = 0; i < x->n; i++)
					sl_agg_release_state(a->layout, sess_at(x, i) + 2, sh);
				a->nsessions -= x->n;
				x->n = 0;
			}
			rc = load_sessions(a, sh, st, rec.val, rec.vlen, &what);
		} else {
			size_t used = 0;
			if (!is_new)
				sl_agg_release_state(a->layout, st, sh);
			rc = sl_agg_state_decode(a->layout, rec.val, rec.vlen, st, sh, &used);
			what = "its aggregate state does not fit this query's";
			if (rc == 0 && used != rec.vlen) {
				what = "bytes after its aggregate state";
				rc = -EINVAL;
			}
		}
		if (rc < 0) {
			load_drop(a, sh, hash, rec.key, rec.klen, st);
			goto err_record;
		}
	}
	if (rc < 0) {
		snprintf(err, errlen, "shard %u: %s", shard, why);
		return rc;
	}
	return 0;

err_record:
	if (rc == -ENOMEM || what == NULL)
		snprintf(err, errlen, "shard %u: out of memory loading the group at byte %zu",
			 shard, rec.offset);
	else
		snprintf(err, errlen, "shard %u: state payload is malformed at byte %zu: %s", shard,
			 rec.offset, what);
	return rc;
}

int sl_aggregator_load(struct sl_aggregator *a, uint32_t shard, const void *payload, size_t len,
		       char *err, size_t errlen)
{
	return load_payload(a, shard, payload, len, NULL, err, errlen);
}

int sl_aggregator_load_chain(struct sl_aggregator *a, uint32_t shard, const struct sl_blob *p,
			     uint32_t n, char *err, size_t errlen)
{
	if (n == 1)
		return load_payload(a, shard, p[0].p, p[0].len, NULL, err, errlen);
	/* newest first: each group is decoded once, from the newest record
	 * that has it, not once per delta that changed it */
	struct sl_shard *tomb = sl_shard_create(0, 1024);
	if (tomb == NULL) {
		snprintf(err, errlen, "shard %u: out of memory", shard);
		return -ENOMEM;
	}
	int rc = 0;
	for (uint32_t i = n; rc == 0 && i-- > 0;)
		rc = load_payload(a, shard, p[i].p, p[i].len, tomb, err, errlen);
	sl_shard_destroy(tomb);
	return rc;
}

int sl_aggregator_load_done(struct sl_aggregator *a, char *err, size_t errlen)
{
	a->load_closed = true;
	if (!a->load_pending)
		return 0;
	a->load_pending = false;
	for (uint32_t l = 0; l < a->nlocal; l++) {
		struct sl_shard *sh = a->shards[l];
		/* the loads are no epoch's change: the first epoch starts clean */
		sl_shard_begin_epoch(sh, a->epoch);
		if (!a->evicting)
			continue;
		/* the eviction index, as folding builds it: a time-window group
		 * under its window's end, a session group once per session end */
		struct evict_index *x = &a->evict[l];
		struct sl_shard_iter it;
		struct sl_shard_entry ent;
		sl_shard_iter_init(&it, sh);
		while (sl_shard_iter_next(&it, &ent)) {
			if (a->plan->session) {
				struct sess_list *sl = *(struct sess_list **)ent.state;
				for (uint32_t i = 0; sl != NULL && i < sl->n; i++) {
					if (evict_index_add(x, sess_at(sl, i)[1], ent.state) < 0)
						goto err_nomem;
					sl->refs++;
				}
				continue;
			}
			int64_t end;
			struct sl_str k = {(const char *)ent.key, ent.klen};
			if (key_window_end(a, &k, &end) < 0)
				continue; /* checked at load: cannot happen */
			uint32_t *link = sl_shard_link(sh, ent.state);
			uint32_t ref = *link; /* the entry's own, stored at load */
			struct evict_bucket *bk = evict_bucket_of(x, end);
			if (bk == NULL)
				goto err_nomem;
			*link = bk->head;
			bk->head = ref;
			bk->n++;
		}
	}
	return 0;

err_nomem:
	snprintf(err, errlen, "aggregator core %u: out of memory indexing the loaded state",
		 a->cfg.idx);
	return -ENOMEM;
}

static int give_back(struct sl_aggregator *a, uint32_t i, struct sl_block *b)
{
	if (b->oversized) {
		sl_block_destroy(b);
		return 0;
	}
	struct sl_ring_item item = {b, 0};
	/* the return ring holds the producer's whole pool: it cannot be full */
	return sl_ring_push_burst(a->cfg.ret[i], &item, 1) == 1 ? 0 : -ENOSPC;
}

static int publish(struct sl_aggregator *a, struct sl_epoch_result *res)
{
	struct sl_ring_item item = {res, 0};
	unsigned spins = 0;
	while (sl_ring_push_burst(a->cfg.results, &item, 1) == 0) {
		if (aborted(a))
			return -ECANCELED;
		sl_backoff(&spins);
	}
	return 0;
}

void *sl_aggregator_thread(void *arg)
{
	struct sl_aggregator *a = arg;
	const struct sl_aggregator_config *cfg = &a->cfg;
	if (cfg->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cfg->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	char name[16];
	snprintf(name, sizeof(name), "sl-agg-%u", cfg->idx);
	pthread_setname_np(pthread_self(), name);

	if (a->load_pending || !a->load_closed) {
		/* the engine may leave this to the thread */
		char err[256];
		int rc = sl_aggregator_load_done(a, err, sizeof(err));
		if (rc < 0) {
			a->error = rc;
			atomic_store_explicit(&a->failed, 1, memory_order_release);
			return NULL;
		}
	}

	unsigned spins = 0;
	struct sl_ring_item items[16];
	while (!aborted(a)) {
		bool progress = false;
		for (uint32_t i = 0; i < cfg->nin; i++) {
			if (a->at_barrier[i] || a->ended[i])
				continue;
			uint32_t n = 0;
			/* take items up to (and including) the first barrier */
			while (n < 16 && sl_ring_pop_burst(cfg->in[i], &items[n], 1) == 1) {
				enum sl_msg_kind k = sl_msg_kind_of(items[n].tag);
				n++;
				if (k != SL_MSG_DATA)
					break;
			}
			for (uint32_t m = 0; m < n; m++) {
				progress = true;
				switch (sl_msg_kind_of(items[m].tag)) {
				case SL_MSG_DATA: {
					struct sl_block *b = items[m].ptr;
					a->cur_input = i / a->per_input;
					int rc = fold(a, b);
					if (give_back(a, i, b) < 0 || rc < 0) {
						a->error = rc < 0 ? rc : -ENOSPC;
						/* release: error is written before failed is seen */
						atomic_store_explicit(&a->failed, 1, memory_order_release);
						return NULL;
					}
					break;
				}
				case SL_MSG_BARRIER: {
					/* the ingest core's largest event time so far */
					int64_t mx = (int64_t)(intptr_t)items[m].ptr;
					if (mx > a->max_event_ms)
						a->max_event_ms = mx;
					if (mx > a->max_event_in[i / a->per_input])
						a->max_event_in[i / a->per_input] = mx;
					a->at_barrier[i] = 1;
					a->nat_barrier++;
					break;
				}
				case SL_MSG_END:
					a->ended[i] = 1;
					a->nended++;
					break;
				}
			}
		}
		if (a->nat_barrier > 0 && a->nat_barrier + a->nended == cfg->nin) {
			struct sl_epoch_result *res = finish_epoch(a);
			if (res == NULL || publish(a, res) < 0) {
				if (res == NULL) {
					a->error = -ENOMEM;
					atomic_store_explicit(&a->failed, 1, memory_order_release);
				}
				sl_epoch_result_free(res);
				return NULL;
			}
			memset(a->at_barrier, 0, cfg->nin);
			a->nat_barrier = 0;
			progress = true;
		}
		if (a->nended == cfg->nin)
			break;
		if (progress) {
			spins = 0;
		} else {
			/* idle: let a pending table growth advance */
			for (uint32_t l = 0; l < a->nlocal; l++)
				sl_shard_step(a->shards[l], 64);
			sl_backoff(&spins);
		}
	}
	return NULL;
}
