/*
 * ingest.c — the ingest core: runs a source, the query's stateless part,
 * and routes rows to their consumers in record blocks (see ingest.h).
 *
 * Everything in struct sl_ingest belongs to its ingest thread, except the
 * fields marked "shared", which the control thread reads. After start-up
 * nothing here allocates: the batch, the evaluation scratch, the blocks and
 * the scratch for keys were all made by sl_ingest_create() (the scratch
 * arena grows while the core warms up, then stays).
 *
 * Epoch cuts: the control thread raises ctl->cut and writes our eventfd.
 * Between two commits we compare our epoch with cut; for each epoch below
 * it we ship the open blocks and a barrier to every consumer. The rows of a
 * batch committed before we saw the cut belong to the old epoch.
 */
#include "ingest.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "expr.h"
#include "format.h"
#include "key.h"
#include "pipeline.h"

struct sl_ingest {
	/* read-only after create */
	struct sl_ingest_config cfg;
	const struct sl_plan *plan;
	uint32_t nshards;
	uint32_t ntypes;
	enum sl_type types[SL_BLOCK_MAX_COLS];
	enum sl_type elem_types[SL_BLOCK_MAX_COLS]; /* ARRAY columns' element types */
	uint32_t nelems;               /* elements a pool block holds (0: no ARRAY column) */
	uint32_t nargcols;             /* aggregates with an argument */
	int wake_fd;

	/* the source's batch */
	struct sl_chunk batch;
	struct sl_vec batch_cols[SL_BLOCK_MAX_COLS];
	void *batch_mem;

	struct sl_eval_ctx *ctx;

	/* blocks: the pool, the free stacks (rows; partial states), one open
	 * block of each kind per consumer */
	struct sl_block **pool;
	uint32_t npool;
	struct sl_block **free_stack;
	uint32_t nfree;
	struct sl_block **pfree_stack;
	uint32_t npfree;
	struct sl_block **open;
	struct sl_block **popen;

	/* pre-aggregation (NULL without) */
	struct sl_combiner *comb;
	uint32_t state_size;
	uint64_t folded;      /* rows folded since the last drain */
	uint64_t bypass_left; /* rows to ship uncombined: combining did not pay */

	uint64_t epoch; /* the epoch rows are ingested into now */
	uint64_t rows;  /* rows committed */
	uint64_t offset; /* the source's position after the rows committed (sl_ingest_set_offset) */
	/* WATERMARK: the source's event-time column (-1: none) and the
	 * largest event time seen so far, in milliseconds as Spark keeps it
	 * (INT64_MIN: none yet); every barrier carries it to the aggregators */
	int32_t wm_col;
	int64_t max_event_ms;
	uint32_t jump_warnings; /* event times that leapt ahead, logged */
	/* progress: the epoch's event times (ms; ep_n 0: none), the time
	 * spent waiting for a full ring (ns, from the start) */
	int64_t ep_min_ms, ep_max_ms;
	double ep_sum_ms;
	uint64_t ep_n;
	uint64_t stall_ns;
	struct sl_source_stats stats;
	const struct sl_input *input; /* the plan's input this core reads */

	/* shared: read by the control thread */
	alignas(SL_CACHE_LINE) _Atomic uint64_t pub_rows;
	_Atomic uint64_t done_through; /* sl_ingest_epoch_done: epoch + 1 */
	_Atomic uint64_t trigger_acked; /* sl_ingest_trigger_ack */
	_Atomic uint64_t rows_at_barrier;
	_Atomic uint64_t offset_at_barrier; /* UINT64_MAX: none set this run */
	/* progress at the last barrier (sl_ingest_progress) */
	_Atomic int64_t et_min_at_barrier, et_max_at_barrier;
	_Atomic uint64_t et_n_at_barrier, et_sum_at_barrier; /* sum: a double's bits */
	_Atomic uint64_t cpu_ns_at_barrier, stall_ns_at_barrier, malformed_at_barrier;
	_Atomic int drained;
	_Atomic int failed;
	char error[512];
};


uint32_t sl_ingest_block_types(const struct sl_plan *plan, enum sl_type *types,
			       enum sl_type *elem_types)
{
	uint32_t n = 0;
	for (uint32_t c = 0; c < SL_BLOCK_MAX_COLS; c++)
		elem_types[c] = SL_TYPE_NULL;
	if (plan->has_agg) {
		types[n++] = SL_TYPE_STRING; /* encoded key */
		for (uint32_t j = 0; j < plan->naggs; j++)
			if (plan->aggs[j].arg != NULL && n < SL_BLOCK_MAX_COLS)
				types[n++] = plan->aggs[j].arg->type;
	} else {
		for (uint32_t c = 0; c < plan->out_schema.ncols && n < SL_BLOCK_MAX_COLS; c++) {
			elem_types[n] = plan->out_schema.cols[c].elem_type;
			types[n++] = plan->out_schema.cols[c].type;
		}
	}
	return n;
}

struct sl_ingest *sl_ingest_create(const struct sl_ingest_config *cfg, char *err, size_t errlen)
{
	struct sl_ingest *in = aligned_alloc(SL_CACHE_LINE, (sizeof(*in) + SL_CACHE_LINE - 1) &
							      ~(size_t)(SL_CACHE_LINE - 1));
	if (in == NULL)
		goto err_alloc;
	memset(in, 0, sizeof(*in));
	in->cfg = *cfg;
	in->plan = cfg->plan;
	in->wake_fd = -1;
	in->nshards = cfg->plan->settings.shards;
	in->input = sl_plan_input(cfg->plan, cfg->input);
	in->wm_col = cfg->plan->has_agg ? in->input->source.watermark_col : -1;
	in->max_event_ms = INT64_MIN;
	in->offset = UINT64_MAX; /* no position set this run (source.h) */
	atomic_init(&in->offset_at_barrier, UINT64_MAX);

	const struct sl_plan *plan = cfg->plan;
	uint32_t want = plan->has_agg ? 1 : plan->out_schema.ncols;
	for (uint32_t j = 0; plan->has_agg && j < plan->naggs; j++)
		if (plan->aggs[j].arg != NULL)
			want++;
	if (want > SL_BLOCK_MAX_COLS || in->input->source.schema.ncols > SL_BLOCK_MAX_COLS) {
		snprintf(err, errlen, "the query has %u columns to ship per row; at most %d are supported",
			 want, SL_BLOCK_MAX_COLS);
		goto err_cfg;
	}
	in->ntypes = sl_ingest_block_types(plan, in->types, in->elem_types);
	in->nelems = 0;
	for (uint32_t c = 0; c < in->ntypes; c++)
		if (in->types[c] == SL_TYPE_ARRAY)
			in->nelems = SL_BLOCK_ELEMS;
	in->nargcols = plan->has_agg ? in->ntypes - 1 : 0;

	in->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (in->wake_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto err_cfg;
	}

	/* the source batch: the source schema's columns */
	const struct sl_schema *ss = &in->input->source.schema;
	size_t per_row = 0;
	for (uint32_t c = 0; c < ss->ncols; c++)
		per_row += sl_type_width(ss->cols[c].type) + 1;
	in->batch_mem = malloc(per_row * SL_INGEST_BATCH_ROWS + 64);
	if (in->batch_mem == NULL)
		goto err_nomem;
	char *p = in->batch_mem;
	for (uint32_t c = 0; c < ss->ncols; c++) {
		struct sl_vec *v = &in->batch_cols[c];
		v->type = ss->cols[c].type;
		v->elem_type = ss->cols[c].elem_type; /* ARRAY: the source sets elem (source.h) */
		v->v.i64 = (int64_t *)p;
		p += sl_type_width(v->type) * SL_INGEST_BATCH_ROWS;
		v->nulls = (uint8_t *)p;
		memset(v->nulls, 0, SL_INGEST_BATCH_ROWS);
		p += SL_INGEST_BATCH_ROWS;
	}
	in->batch.cols = in->batch_cols;
	in->batch.ncols = ss->ncols;
	in->batch.nrows = 0;

	in->ctx = sl_eval_ctx_create();
	if (in->ctx == NULL)
		goto err_nomem;

	if (cfg->combiner != NULL && plan->has_agg) {
		in->comb = cfg->combiner->create(plan); /* NULL: these aggregates ship as rows */
		if (in->comb != NULL)
			in->state_size = cfg->combiner->state_size(in->comb);
	}
	uint32_t nraw = cfg->blocks, npart = in->comb != NULL ? cfg->blocks : 0;
	in->npool = nraw + npart;
	in->pool = calloc(in->npool, sizeof(*in->pool));
	in->free_stack = calloc(nraw, sizeof(*in->free_stack));
	in->pfree_stack = calloc(npart ? npart : 1, sizeof(*in->pfree_stack));
	in->open = calloc(cfg->ndest, sizeof(*in->open));
	in->popen = calloc(cfg->ndest, sizeof(*in->popen));
	if (in->pool == NULL || in->free_stack == NULL || in->pfree_stack == NULL ||
	    in->open == NULL || in->popen == NULL)
		goto err_nomem;
	static const enum sl_type partial_types[2] = {SL_TYPE_STRING, SL_TYPE_STRING};
	for (uint32_t i = 0; i < in->npool; i++) {
		bool partial = i >= nraw;
		in->pool[i] = partial ? sl_block_create(2, partial_types, SL_BLOCK_ROWS, SL_BLOCK_HEAP)
				      : sl_block_create_arrays(in->ntypes, in->types, in->elem_types,
							       SL_BLOCK_ROWS, in->nelems, SL_BLOCK_HEAP);
		if (in->pool[i] == NULL)
			goto err_nomem;
		in->pool[i]->partial = partial;
		if (partial)
			in->pfree_stack[in->npfree++] = in->pool[i];
		else
			in->free_stack[in->nfree++] = in->pool[i];
	}
	return in;

err_nomem:
	snprintf(err, errlen, "out of memory setting up ingest core %u", cfg->idx);
err_cfg:
	sl_ingest_destroy(in);
	return NULL;
err_alloc:
	snprintf(err, errlen, "out of memory setting up ingest core %u", cfg->idx);
	return NULL;
}

void sl_ingest_destroy(struct sl_ingest *in)
{
	if (in == NULL)
		return;
	for (uint32_t i = 0; in->pool != NULL && i < in->npool; i++)
		sl_block_destroy(in->pool[i]);
	free(in->pool);
	free(in->free_stack);
	free(in->pfree_stack);
	free(in->open);
	free(in->popen);
	if (in->comb != NULL)
		in->cfg.combiner->destroy(in->comb);
	sl_eval_ctx_destroy(in->ctx);
	free(in->batch_mem);
	if (in->wake_fd >= 0)
		close(in->wake_fd);
	free(in);
}

/* --- waiting --- */

static bool aborted(const struct sl_ingest *in)
{
	return atomic_load_explicit(&in->cfg.ctl->abort, memory_order_relaxed) != 0;
}


/* --- blocks --- */

static void reclaim(struct sl_ingest *in)
{
	struct sl_ring_item items[32];
	for (uint32_t d = 0; d < in->cfg.ndest; d++) {
		uint32_t n;
		while ((n = sl_ring_pop_burst(in->cfg.ret[d], items, 32)) > 0)
			for (uint32_t i = 0; i < n; i++) {
				struct sl_block *b = items[i].ptr;
				sl_block_reset(b);
				if (b->partial)
					in->pfree_stack[in->npfree++] = b;
				else
					in->free_stack[in->nfree++] = b;
			}
	}
}

/* A free block of the kind asked; waits for one to come back
 * (backpressure). NULL on abort. */
static struct sl_block *take_block(struct sl_ingest *in, bool partial)
{
	uint32_t *n = partial ? &in->npfree : &in->nfree;
	unsigned spins = 0;
	while (*n == 0) {
		reclaim(in);
		if (*n > 0)
			break;
		if (aborted(in))
			return NULL;
		sl_backoff(&spins);
	}
	return partial ? in->pfree_stack[--*n] : in->free_stack[--*n];
}

/* Push one item to consumer d, waiting while its ring is full. */
static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int push(struct sl_ingest *in, uint32_t d, void *ptr, uint64_t tag)
{
	struct sl_ring_item item = {ptr, tag};
	if (sl_ring_push_burst(in->cfg.out[d], &item, 1) == 1)
		return 0;
	/* the ring is full: backpressure; how long it holds us is the stall
	 * time progress shows */
	unsigned spins = 0;
	uint64_t t0 = mono_ns();
	int rc = 0;
	while (sl_ring_push_burst(in->cfg.out[d], &item, 1) == 0) {
		if (aborted(in)) {
			rc = -ECANCELED;
			break;
		}
		sl_backoff(&spins);
	}
	in->stall_ns += mono_ns() - t0;
	return rc;
}

static int ship_one(struct sl_ingest *in, uint32_t d, struct sl_block **slot)
{
	struct sl_block *b = *slot;
	if (b == NULL || b->nrows == 0)
		return 0;
	*slot = NULL;
	return push(in, d, b, sl_msg_tag(SL_MSG_DATA, 0));
}

/* Ship consumer d's open blocks, rows and partial states. */
static int ship(struct sl_ingest *in, uint32_t d)
{
	int rc = ship_one(in, d, &in->open[d]);
	return rc < 0 ? rc : ship_one(in, d, &in->popen[d]);
}

static int append(struct sl_ingest *in, uint32_t d, const struct sl_vec *cols, uint32_t row,
		  uint64_t hash)
{
	for (;;) {
		if (in->open[d] == NULL) {
			in->open[d] = take_block(in, false);
			if (in->open[d] == NULL)
				return -ECANCELED;
		}
		if (sl_block_append_row(in->open[d], cols, row, hash) == 0)
			return 0;
		if (in->open[d]->nrows > 0) {
			int rc = ship_one(in, d, &in->open[d]);
			if (rc < 0)
				return rc;
			continue;
		}
		/* an empty block is too small for this row: give it one of its own */
		size_t need = sl_block_row_bytes(cols, in->ntypes, row);
		size_t elems = sl_block_row_elems(cols, in->ntypes, row);
		struct sl_block *big =
			need > UINT32_MAX || elems > UINT32_MAX
				? NULL
				: sl_block_create_arrays(in->ntypes, in->types, in->elem_types, 1,
							 (uint32_t)elems, (uint32_t)need);
		if (big == NULL) {
			sl_ingest_fail(in, "out of memory for a row of %zu bytes", need);
			return -ENOMEM;
		}
		big->oversized = true;
		sl_block_append_row(big, cols, row, hash);
		return push(in, d, big, sl_msg_tag(SL_MSG_DATA, 0));
	}
}

/* --- partial states --- */

static uint32_t align8(uint32_t n)
{
	return (n + 7) & ~UINT32_C(7);
}

/* Put one group's partial state into b if it fits: the key, then the state
 * 8-byte aligned, so that the aggregator may read it in place. */
static bool put_partial(struct sl_ingest *in, struct sl_block *b, const uint8_t *key,
			uint32_t klen, uint64_t hash, const void *state)
{
	uint32_t at = align8(b->heap_used);
	size_t need = (size_t)align8(klen) + in->state_size;
	uint32_t rows = b->oversized ? 1 : SL_BLOCK_ROWS;
	if (b->nrows >= rows || at > b->heap_cap || need > b->heap_cap - at)
		return false;
	uint32_t r = b->nrows++;
	char *kp = b->heap + at;
	char *sp = b->heap + align8(at + klen);
	memcpy(kp, key, klen);
	memcpy(sp, state, in->state_size);
	b->heap_used = (uint32_t)(sp - b->heap) + in->state_size;
	b->cols[0].nulls[r] = 0;
	b->cols[0].v.str[r] = (struct sl_str){kp, klen};
	b->cols[1].nulls[r] = 0;
	b->cols[1].v.str[r] = (struct sl_str){sp, in->state_size};
	b->hash[r] = hash;
	return true;
}

/* Append one group's partial state to consumer d's open partial block. */
static int emit_partial(void *arg, const uint8_t *key, uint32_t klen, uint64_t hash,
			const void *state)
{
	struct sl_ingest *in = arg;
	uint32_t d = in->cfg.shard_dest[sl_key_shard(hash, in->nshards)];
	for (;;) {
		if (in->popen[d] == NULL && (in->popen[d] = take_block(in, true)) == NULL)
			return -ECANCELED;
		if (put_partial(in, in->popen[d], key, klen, hash, state)) {
			in->stats.partials_shipped++;
			return 0;
		}
		if (in->popen[d]->nrows > 0) {
			int rc = ship_one(in, d, &in->popen[d]);
			if (rc < 0)
				return rc;
			continue;
		}
		/* a key larger than an empty block's heap travels alone */
		static const enum sl_type types[2] = {SL_TYPE_STRING, SL_TYPE_STRING};
		struct sl_block *big = sl_block_create(2, types, 1, align8(klen) + in->state_size);
		if (big == NULL) {
			sl_ingest_fail(in, "out of memory for a group key of %u bytes", klen);
			return -ENOMEM;
		}
		big->partial = big->oversized = true;
		put_partial(in, big, key, klen, hash, state);
		in->stats.partials_shipped++;
		return push(in, d, big, sl_msg_tag(SL_MSG_DATA, 0));
	}
}

/* Whether combining paid since the last drain: with fewer than two rows a
 * group it did not, and the core ships plain rows for a while. */
static void judge_combiner(struct sl_ingest *in, uint64_t groups)
{
	if (groups * 2 > in->folded)
		in->bypass_left = 16 * (uint64_t)SL_COMBINER_MAX_GROUPS;
}

/* Ship every group the combiner holds. */
static int drain_combiner(struct sl_ingest *in)
{
	if (in->comb == NULL || in->cfg.combiner->groups(in->comb) == 0)
		return 0;
	in->folded = 0;
	return in->cfg.combiner->drain(in->comb, emit_partial, in);
}

/* --- epochs --- */

/* Ship the open blocks and a barrier to every consumer for each epoch below cut. */
static int close_epochs(struct sl_ingest *in, uint64_t cut)
{
	if (in->epoch < cut) {
		/* an epoch's combiner is judged as a full one is */
		if (in->comb != NULL && in->bypass_left == 0) {
			uint64_t groups = in->cfg.combiner->groups(in->comb);
			if (groups >= SL_COMBINER_JUDGE_GROUPS)
				judge_combiner(in, groups);
		}
		int rc = drain_combiner(in);
		if (rc < 0)
			return rc;
	}
	while (in->epoch < cut) {
		for (uint32_t d = 0; d < in->cfg.ndest; d++) {
			int rc = ship(in, d);
			if (rc == 0)
				rc = push(in, d, (void *)(intptr_t)in->max_event_ms,
					  sl_msg_tag(SL_MSG_BARRIER, in->epoch));
			if (rc < 0)
				return rc;
		}
		/* progress of the epoch: its event times, our CPU and stall time */
		struct timespec cpu;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
		uint64_t sum_bits;
		memcpy(&sum_bits, &in->ep_sum_ms, sizeof(sum_bits));
		atomic_store_explicit(&in->et_min_at_barrier, in->ep_min_ms, memory_order_relaxed);
		atomic_store_explicit(&in->et_max_at_barrier, in->ep_max_ms, memory_order_relaxed);
		atomic_store_explicit(&in->et_n_at_barrier, in->ep_n, memory_order_relaxed);
		atomic_store_explicit(&in->et_sum_at_barrier, sum_bits, memory_order_relaxed);
		atomic_store_explicit(&in->cpu_ns_at_barrier,
				      (uint64_t)cpu.tv_sec * 1000000000ull + (uint64_t)cpu.tv_nsec,
				      memory_order_relaxed);
		atomic_store_explicit(&in->stall_ns_at_barrier, in->stall_ns, memory_order_relaxed);
		atomic_store_explicit(&in->malformed_at_barrier, in->stats.malformed,
				      memory_order_relaxed);
		in->ep_n = 0;
		in->ep_sum_ms = 0;
		/* release: pairs with the control thread's acquire after the epoch completes */
		atomic_store_explicit(&in->offset_at_barrier, in->offset, memory_order_relaxed);
		atomic_store_explicit(&in->rows_at_barrier, in->rows, memory_order_release);
		in->epoch++;
	}
	return 0;
}

int sl_ingest_poll(struct sl_ingest *in)
{
	struct sl_epoch_ctl *ctl = in->cfg.ctl;
	if (aborted(in))
		return -ECANCELED;
	/* acquire: pairs with the control thread's release store of cut */
	int rc = close_epochs(in, atomic_load_explicit(&ctl->cut, memory_order_acquire));
	if (rc < 0)
		return rc;
	if (atomic_load_explicit(&ctl->stop_sources, memory_order_relaxed))
		return -ECANCELED;
	return 0;
}

/* --- routing --- */

static int route_agg(struct sl_ingest *in, const struct sl_chunk *c)
{
	const struct sl_plan *plan = in->plan;
	uint32_t n = c->nrows;
	struct sl_vec cols[SL_BLOCK_MAX_COLS];
	struct sl_vec keys[SL_BLOCK_MAX_COLS];

	for (uint32_t k = 0; k < plan->nkeys; k++) {
		int rc = sl_expr_eval(plan->keys[k], c, in->ctx, &keys[k]);
		if (rc < 0)
			return rc;
	}
	struct sl_vec args[SL_BLOCK_MAX_COLS]; /* per aggregate; type NULL for count(*) */
	uint32_t a = 1;
	for (uint32_t j = 0; j < plan->naggs; j++) {
		args[j] = (struct sl_vec){.type = SL_TYPE_NULL};
		if (plan->aggs[j].arg == NULL)
			continue;
		int rc = sl_expr_eval(plan->aggs[j].arg, c, in->ctx, &args[j]);
		if (rc < 0)
			return rc;
		cols[a++] = args[j];
	}

	/* encode and hash every row's key, into scratch that grows if needed */
	struct sl_str *kstr = sl_eval_ctx_alloc(in->ctx, (size_t)n * sizeof(*kstr));
	uint64_t *hash = sl_eval_ctx_alloc(in->ctx, (size_t)n * sizeof(*hash));
	if (kstr == NULL || hash == NULL)
		return -ENOMEM;
	if (plan->nkeys == 0) {
		/* no GROUP BY: every row has the empty key */
		static const char empty[1];
		uint64_t h = sl_key_hash(empty, 0);
		for (uint32_t r = 0; r < n; r++) {
			kstr[r] = (struct sl_str){empty, 0};
			hash[r] = h;
		}
	}
	for (uint32_t done = plan->nkeys == 0 ? n : 0; done < n;) {
		size_t cap = (size_t)(n - done) * 32 + 256;
		uint8_t *buf = sl_eval_ctx_alloc(in->ctx, cap);
		if (buf == NULL)
			return -ENOMEM;
		uint32_t k = sl_key_encode_burst(keys, plan->nkeys, done, n - done, buf, cap,
						 kstr + done, hash + done);
		if (k == 0) {
			/* one key larger than the scratch: give it exactly what it needs */
			size_t need = sl_key_encode(keys, plan->nkeys, done, NULL, 0);
			buf = sl_eval_ctx_alloc(in->ctx, need);
			if (buf == NULL)
				return -ENOMEM;
			k = sl_key_encode_burst(keys, plan->nkeys, done, 1, buf, need, kstr + done,
						hash + done);
			if (k == 0)
				return -EINVAL;
		}
		done += k;
	}
	cols[0] = (struct sl_vec){.type = SL_TYPE_STRING, .v.str = kstr};
	if (plan->session) {
		/* a session key routes by the other keys alone: every session
		 * of a group meets the others on one shard */
		for (uint32_t r = 0; r < n; r++) {
			int64_t s, e;
			hash[r] = sl_key_hash(kstr[r].ptr,
					      sl_key_session_split(kstr[r].ptr, kstr[r].len, &s, &e));
		}
	}

	if (in->comb != NULL && in->bypass_left == 0) {
		const struct sl_combiner_ops *ops = in->cfg.combiner;
		int rc = ops->add(in->comb, kstr, hash, n, args);
		if (rc < 0)
			return rc;
		in->folded += n;
		in->stats.rows_combined += n;
		uint64_t groups = ops->groups(in->comb);
		if (groups >= SL_COMBINER_MAX_GROUPS) {
			judge_combiner(in, groups);
			rc = drain_combiner(in);
		}
		return rc;
	}
	in->bypass_left = in->bypass_left > n ? in->bypass_left - n : 0;

	for (uint32_t r = 0; r < n; r++) {
		uint32_t d = in->cfg.shard_dest[sl_key_shard(hash[r], in->nshards)];
		int rc = append(in, d, cols, r, hash[r]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int route_rows(struct sl_ingest *in, const struct sl_chunk *c)
{
	const struct sl_plan *plan = in->plan;
	struct sl_vec cols[SL_BLOCK_MAX_COLS];
	for (uint32_t k = 0; k < plan->nout; k++) {
		int rc = sl_expr_eval(plan->out[k], c, in->ctx, &cols[k]);
		if (rc < 0)
			return rc;
	}
	for (uint32_t r = 0; r < c->nrows; r++) {
		int rc = append(in, 0, cols, r, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* An event time this far ahead of the largest before it is logged. */
#define SL_WATERMARK_JUMP_MS (86400LL * 1000)
#define SL_WATERMARK_JUMP_WARNINGS 10

/* Spark's EventTimeWatermarkExec: the largest event time of the rows that
 * reach it (nulls skipped), in milliseconds (Math.floorDiv). */
static void observe_event_times(struct sl_ingest *in)
{
	const struct sl_vec *v = &in->batch.cols[in->wm_col];
	int64_t mx = in->max_event_ms;
	for (uint32_t r = 0; r < in->batch.nrows; r++) {
		if (v->nulls != NULL && v->nulls[r]) {
			in->stats.null_event_time++;
			continue;
		}
		int64_t us = v->v.i64[r];
		int64_t ms = us / 1000 - (us % 1000 < 0);
		if (in->ep_n == 0 || ms < in->ep_min_ms)
			in->ep_min_ms = ms;
		if (in->ep_n == 0 || ms > in->ep_max_ms)
			in->ep_max_ms = ms;
		in->ep_sum_ms += (double)ms;
		in->ep_n++;
		if (ms <= mx)
			continue;
		if (mx != INT64_MIN && ms - mx > SL_WATERMARK_JUMP_MS) {
			/* Spark's semantics stand (the watermark follows), but
			 * nobody should lose a day of rows without being told */
			if (in->jump_warnings < SL_WATERMARK_JUMP_WARNINGS) {
				char was[40], now[40];
				sl_format_timestamp(mx * 1000, was, sizeof(was));
				sl_format_timestamp(us, now, sizeof(now));
				sl_ingest_log(in,
					      "warning: row %" PRIu64 " (counting from 0 on ingest core %u) has event time "
					      "%s, more than a day after the latest before it (%s): the "
					      "watermark jumps with it, and rows older than it minus the "
					      "delay will be dropped as late%s",
					      in->rows + r, in->cfg.idx, now, was,
					      in->jump_warnings + 1 == SL_WATERMARK_JUMP_WARNINGS
						      ? " (further jumps on this core are not logged)"
						      : "");
			}
			in->jump_warnings++;
		}
		mx = ms;
	}
	in->max_event_ms = mx;
}

int sl_ingest_commit(struct sl_ingest *in)
{
	uint32_t n = in->batch.nrows;
	if (n > 0) {
		struct sl_chunk out;
		if (in->wm_col >= 0)
			observe_event_times(in);
		int rc = sl_pipeline_run(in->input->ops, in->input->nops, &in->batch, in->ctx, &out);
		if (rc == 0 && out.nrows > 0)
			rc = in->plan->has_agg ? route_agg(in, &out) : route_rows(in, &out);
		sl_eval_ctx_reset(in->ctx);
		in->batch.nrows = 0;
		in->rows += n;
		/* release: the rows' blocks are on their way before we say so */
		atomic_store_explicit(&in->pub_rows, in->rows, memory_order_release);
		if (rc == -ECANCELED)
			return rc;
		if (rc < 0) {
			if (!atomic_load(&in->failed))
				sl_ingest_fail(in, "evaluating the query failed: %s", strerror(-rc));
			return rc;
		}
	}
	return sl_ingest_poll(in);
}

/* --- the thread --- */

static void drain_wake(struct sl_ingest *in)
{
	uint64_t v;
	ssize_t r = read(in->wake_fd, &v, sizeof(v));
	(void)r; /* EAGAIN when nothing was pending: fine */
}

void *sl_ingest_thread(void *arg)
{
	struct sl_ingest *in = arg;
	if (in->cfg.cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(in->cfg.cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	char name[16];
	snprintf(name, sizeof(name), "sl-in%u-%u", in->cfg.input, in->cfg.idx);
	pthread_setname_np(pthread_self(), name);

	/* a restart with a no-data batch due: it runs first, alone */
	struct sl_epoch_ctl *hc = in->cfg.ctl;
	while (!aborted(in) &&
	       atomic_load_explicit(&hc->settled, memory_order_acquire) <
		       atomic_load_explicit(&hc->hold_until, memory_order_relaxed)) {
		if (close_epochs(in, atomic_load_explicit(&hc->cut, memory_order_acquire)) < 0)
			break;
		struct pollfd pfd = {.fd = in->wake_fd, .events = POLLIN};
		poll(&pfd, 1, 50);
		drain_wake(in);
	}
	int rc = aborted(in) ? -ECANCELED : in->cfg.ops->run(in->cfg.src, in, in->cfg.idx);
	if (rc < 0 && rc != -ECANCELED && !atomic_load(&in->failed))
		sl_ingest_fail(in, "source stopped: %s", strerror(-rc));
	atomic_store_explicit(&in->drained, 1, memory_order_release);

	/* Input is over: answer cuts with empty epochs until shutdown. */
	struct sl_epoch_ctl *ctl = in->cfg.ctl;
	while (!aborted(in)) {
		/* acquire: see every cut the control thread made before shutdown */
		int down = atomic_load_explicit(&ctl->shutdown, memory_order_acquire);
		if (close_epochs(in, atomic_load_explicit(&ctl->cut, memory_order_acquire)) < 0)
			break;
		if (down)
			break;
		struct pollfd pfd = {.fd = in->wake_fd, .events = POLLIN};
		poll(&pfd, 1, 50);
		drain_wake(in);
	}
	if (!aborted(in))
		for (uint32_t d = 0; d < in->cfg.ndest; d++)
			if (ship(in, d) < 0 || push(in, d, NULL, sl_msg_tag(SL_MSG_END, 0)) < 0)
				break;
	return NULL;
}

void sl_ingest_wake(struct sl_ingest *in)
{
	uint64_t one = 1;
	ssize_t r = write(in->wake_fd, &one, sizeof(one));
	(void)r; /* a full counter still wakes the reader */
}

/* --- what sources call --- */

void sl_ingest_set_offset(struct sl_ingest *in, uint64_t pos)
{
	in->offset = pos;
}

void sl_ingest_progress(const struct sl_ingest *in, struct sl_ingest_progress *p)
{
	p->et_n = atomic_load_explicit(&in->et_n_at_barrier, memory_order_acquire);
	p->et_min_ms = atomic_load_explicit(&in->et_min_at_barrier, memory_order_relaxed);
	p->et_max_ms = atomic_load_explicit(&in->et_max_at_barrier, memory_order_relaxed);
	uint64_t bits = atomic_load_explicit(&in->et_sum_at_barrier, memory_order_relaxed);
	memcpy(&p->et_sum_ms, &bits, sizeof(bits));
	p->cpu_ns = atomic_load_explicit(&in->cpu_ns_at_barrier, memory_order_relaxed);
	p->stall_ns = atomic_load_explicit(&in->stall_ns_at_barrier, memory_order_relaxed);
	p->malformed = atomic_load_explicit(&in->malformed_at_barrier, memory_order_relaxed);
	p->queued = 0;
	p->capacity = 0;
	for (uint32_t d = 0; d < in->cfg.ndest; d++) {
		p->queued += sl_ring_count(in->cfg.out[d]);
		p->capacity += sl_ring_capacity(in->cfg.out[d]);
	}
}

uint64_t sl_ingest_offset_at_barrier(const struct sl_ingest *in)
{
	return atomic_load_explicit(&in->offset_at_barrier, memory_order_acquire);
}

struct sl_chunk *sl_ingest_batch(struct sl_ingest *in)
{
	return &in->batch;
}

bool sl_ingest_should_stop(const struct sl_ingest *in)
{
	return aborted(in) || atomic_load_explicit(&in->cfg.ctl->stop_sources, memory_order_relaxed);
}

int sl_ingest_wake_fd(const struct sl_ingest *in)
{
	return in->wake_fd;
}

void sl_ingest_wake_ack(struct sl_ingest *in)
{
	drain_wake(in);
}

struct sl_source_stats *sl_ingest_stats(struct sl_ingest *in)
{
	return &in->stats;
}

uint32_t sl_ingest_index(const struct sl_ingest *in)
{
	return in->cfg.idx;
}

void sl_ingest_fail(struct sl_ingest *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(in->error, sizeof(in->error), fmt, ap);
	va_end(ap);
	/* release: the message is written before anyone sees failed */
	atomic_store_explicit(&in->failed, 1, memory_order_release);
}

void sl_ingest_log(struct sl_ingest *in, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sluice: source '%s': %s\n", in->input->source.name, msg);
}

/* --- what the control thread reads --- */

uint64_t sl_ingest_rows_published(const struct sl_ingest *in)
{
	return atomic_load_explicit(&in->pub_rows, memory_order_acquire);
}

uint64_t sl_ingest_rows_at_barrier(const struct sl_ingest *in)
{
	return atomic_load_explicit(&in->rows_at_barrier, memory_order_acquire);
}

bool sl_ingest_drained(const struct sl_ingest *in)
{
	return atomic_load_explicit(&in->drained, memory_order_acquire) != 0;
}

bool sl_ingest_failed(const struct sl_ingest *in)
{
	return atomic_load_explicit(&in->failed, memory_order_acquire) != 0;
}

const char *sl_ingest_error(const struct sl_ingest *in)
{
	return in->error;
}

void sl_ingest_read_stats(const struct sl_ingest *in, struct sl_source_stats *out)
{
	*out = in->stats;
	out->rows = in->rows;
}

uint64_t sl_ingest_epoch(const struct sl_ingest *in)
{
	return in->epoch; /* written only by this core's thread, the caller */
}

void sl_ingest_epoch_done(struct sl_ingest *in, uint64_t epoch)
{
	/* release: the rows committed before are published first */
	if (epoch + 1 > atomic_load_explicit(&in->done_through, memory_order_relaxed))
		atomic_store_explicit(&in->done_through, epoch + 1, memory_order_release);
}

uint64_t sl_ingest_done_through(const struct sl_ingest *in)
{
	return atomic_load_explicit(&in->done_through, memory_order_acquire);
}

uint64_t sl_ingest_trigger_ns(const struct sl_ingest *in)
{
	return atomic_load_explicit(&in->cfg.ctl->trigger_ns, memory_order_acquire);
}

void sl_ingest_trigger_ack(struct sl_ingest *in, uint64_t trigger_ns)
{
	/* release: the rows committed before are published first */
	atomic_store_explicit(&in->trigger_acked, trigger_ns, memory_order_release);
}

uint64_t sl_ingest_trigger_acked(const struct sl_ingest *in)
{
	return atomic_load_explicit(&in->trigger_acked, memory_order_acquire);
}

uint64_t sl_ingest_settled(const struct sl_ingest *in)
{
	/* acquire: pairs with the control thread's release after a batch */
	return atomic_load_explicit(&in->cfg.ctl->settled, memory_order_acquire);
}

uint64_t sl_ingest_committed(const struct sl_ingest *in)
{
	return atomic_load_explicit(&in->cfg.ctl->committed, memory_order_acquire);
}
