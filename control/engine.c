/*
 * engine.c — one query's cores and its micro-batch loop (see engine.h).
 *
 * Topology (DESIGN.md section 4), made once at start:
 *   ingest i --data[i][d]--> consumer d --ret[i][d]--> ingest i   (blocks come back)
 *   aggregator d --results[d]--> control                           (epoch results)
 * where the consumers are the aggregator cores, or the control thread alone
 * when the query has no aggregation.
 *
 * The control thread's loop is a small state machine:
 *   IDLE      no epoch being finished; at each trigger, if new rows arrived,
 *             cut the epoch (raise ctl.cut, wake the ingest cores) -> CUTTING
 *   CUTTING   wait for every consumer's part of the epoch; merge; order and
 *             limit; write the sink -> IDLE
 * Ingest goes on with the next epoch while one is being finished, so the
 * number of epochs in flight is at most two.
 *
 * Stopping: a stop request (signal) asks the sources to return; when every
 * ingest core has drained, a last epoch takes what they had, and then the
 * cores are shut down. available_now does the same once the sources have
 * reached the end of their input. A failure anywhere raises ctl.abort.
 */
#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "aggregator.h"
#include "batch.h"
#include "block.h"
#include "checkpoint.h"
#include "combiner.h"
#include "format.h"
#include "ingest.h"
#include "pipeline.h"
#include "plan.h"
#include "sink.h"
#include "source.h"

#define RESULT_SLOTS 8

struct engine {
	struct sl_plan *plan;
	const struct sl_engine_opts *opts;
	/* per input of the plan: its connector and its open source */
	uint32_t ninputs;
	const struct sl_source_ops *src_ops[SL_PLAN_MAX_INPUTS];
	struct sl_source *src[SL_PLAN_MAX_INPUTS];
	bool paced;  /* some input's source paces its epochs */
	bool marked; /* some input's source marks its epochs' parts done */
	const struct sl_sink_ops *sink_ops;
	struct sl_sink *sink;

	/* ingest threads: per_input for each input, thread i reading input
	 * i / per_input; consumers: the aggregators, or 1 (us) */
	uint32_t nin, per_input, ndest;
	bool stateless;
	struct sl_ring **data; /* [nin * ndest] */
	struct sl_ring **ret;  /* [nin * ndest] */
	struct sl_ring **results; /* [ndest] aggregation only */
	uint32_t *shard_dest;
	struct sl_ingest **ingest;
	struct sl_aggregator **agg;
	pthread_t *ingest_tid, *agg_tid;
	uint32_t ingest_started, agg_started;
	struct sl_epoch_ctl ctl;

	/* the epoch being finished */
	uint64_t epoch;          /* next epoch to cut */
	bool cutting;
	uint32_t ngot;           /* consumers whose part of the epoch arrived */
	uint8_t *got;            /* [nin] stateless: ring at barrier / [ndest] results in */
	uint8_t *ended;          /* [nin] stateless: END seen */
	struct sl_batch *pending; /* rows of the epoch being assembled */
	uint64_t rows_done;      /* source rows of every finished epoch */
	uint64_t limit_left;     /* append-mode LIMIT across batches */

	struct sl_engine_stats st;
	int64_t next_watermark_us; /* W of the next epoch, from the last results */
	uint64_t epoch_dropped;    /* late rows of the epoch being finished */
	uint64_t epoch_dropped_in[SL_PLAN_MAX_INPUTS]; /* of them, per input */
	bool no_data_due;          /* the watermark moved: run an epoch without input */

	/* checkpoint (NULL: none). Batch numbers are base + epoch: the
	 * ingest and aggregator cores count this run's epochs from 0. */
	struct sl_ckpt *ck;
	uint64_t base;
	bool queued;               /* the epoch being finished has its files queued */
	bool final;                /* it is the last (a stop, or the end of the input) */
	bool dropped;              /* a source could not describe it: not published */
	struct sl_time_state time; /* from the results of the epoch being finished */
	bool have_time;
	struct sl_state_delta *deltas; /* [ndeltas] taken from the results */
	uint32_t ndeltas, capdeltas;
	struct sl_strbuf ck_off[SL_PLAN_MAX_INPUTS], ck_log[SL_PLAN_MAX_INPUTS];

	/* progress (opts->progress): the batch's times (CLOCK_MONOTONIC s),
	 * and what the last batch ended with, per core and per input */
	struct sl_progress *prog;
	char query_id[40], run_id[40];
	double t_trigger, t_cut, t_complete, t_queued, t_durable, t_prev_trigger, t_prev_finish;
	bool trigger_set;
	uint64_t *prev_cpu;       /* [nin + ndest]: ingest cores, then aggregators */
	uint64_t *prev_stall;     /* [nin] */
	uint64_t *agg_cpu;        /* [ndest] from the results */
	uint64_t prev_malformed;
	uint64_t input_done[SL_PLAN_MAX_INPUTS]; /* rows per input through the last batch */
	/* progress: the sources' own offsets (progress_offsets) and counters
	 * (JSON object), per input */
	struct sl_strbuf prog_off[SL_PLAN_MAX_INPUTS][4];
	/* --stats: the sources' counters, taken before they close */
	struct sl_strbuf src_counters;
	uint64_t ep_updated, ep_evicted;
	char error[640];
	bool failed;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(long ns)
{
	struct timespec ts = {0, ns};
	nanosleep(&ts, NULL);
}

static void fail(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct engine *e, const char *fmt, ...)
{
	if (e->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->error, sizeof(e->error), fmt, ap);
	va_end(ap);
	e->failed = true;
	atomic_store(&e->ctl.abort, 1);
	atomic_store(&e->ctl.stop_sources, 1);
	for (uint32_t i = 0; i < e->ingest_started; i++)
		sl_ingest_wake(e->ingest[i]);
}

static uint32_t next_pow2(uint32_t v)
{
	uint32_t p = 2;
	while (p < v)
		p <<= 1;
	return p;
}

int sl_engine_check_cores(const struct sl_settings *s, char *err, size_t errlen)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0; /* cannot tell: pinning will say */
	char usable[256];
	int ids[CPU_SETSIZE];
	uint32_t n = 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			ids[n++] = c;
	sl_cpu_list_format(ids, n, usable, sizeof(usable));
	const struct {
		const char *what, *flag;
		uint32_t n;
		const int *cpus;
	} lists[] = {{"ingest_cores", "--ingest-cores", s->n_ingest, s->ingest_cores},
		     {"agg_cores", "--agg-cores", s->n_agg, s->agg_cores}};
	for (size_t l = 0; l < 2; l++)
		for (uint32_t i = 0; i < lists[l].n; i++) {
			int c = lists[l].cpus[i];
			if (c >= 0 && (c >= CPU_SETSIZE || !CPU_ISSET(c, &set))) {
				snprintf(err, errlen,
					 "%s names CPU %d, which this process cannot use (it may use CPU%s "
					 "%s); set %s to those, e.g. %s %d",
					 lists[l].what, c, n == 1 ? "" : "s", usable, lists[l].what,
					 lists[l].flag, ids[0]);
				return -EINVAL;
			}
		}
	return 0;
}

/* The query's id (the checkpoint's, the caller's, or new) and run id. */
static void make_ids(struct engine *e)
{
	if (e->opts->run_id != NULL)
		snprintf(e->run_id, sizeof(e->run_id), "%s", e->opts->run_id);
	else
		sl_random_hex(e->run_id);
	if (e->ck != NULL)
		snprintf(e->query_id, sizeof(e->query_id), "%s", sl_ckpt_query_id(e->ck));
	else if (e->opts->query_id != NULL)
		snprintf(e->query_id, sizeof(e->query_id), "%s", e->opts->query_id);
	else
		sl_random_hex(e->query_id);
}

/* A restart: load every shard's state and the watermarks (before the
 * aggregator threads start). */
static int restore_state(struct engine *e)
{
	const struct sl_ckpt_recovery *r = sl_ckpt_recovery(e->ck);
	char err[512];
	e->base = r->next_batch;
	for (uint32_t s = 0; !e->stateless && s < r->nshards; s++) {
		struct sl_aggregator *a = e->agg[e->shard_dest[s]];
		if (r->shard[s].n > 0 &&
		    sl_aggregator_load_chain(a, s, r->shard[s].p, r->shard[s].n, err, sizeof(err)) < 0) {
			fail(e, "checkpoint %s: shard %u: %s", e->plan->sink.checkpoint, s, err);
			return -EINVAL;
		}
	}
	for (uint32_t d = 0; !e->stateless && d < e->ndest; d++) {
		if (sl_aggregator_load_done(e->agg[d], err, sizeof(err)) < 0) {
			fail(e, "checkpoint %s: %s", e->plan->sink.checkpoint, err);
			return -EINVAL;
		}
		if (r->have_time)
			sl_aggregator_set_time(e->agg[d], &r->time);
	}
	if (r->have_time) {
		/* after batch N: W_N evicted in it, W_{N+1} next; a no-data batch
		 * is due when it moved, as it was when the batch was written */
		e->st.watermark_us = r->time.wm_late_us;
		e->next_watermark_us = r->time.wm_evict_us;
		e->no_data_due = sl_plan_evicts(e->plan) && e->next_watermark_us > e->st.watermark_us;
		if (e->no_data_due)
			atomic_store_explicit(&e->ctl.hold_until, 1, memory_order_relaxed);
	}
	return 0;
}

/* A restart: input k's source goes on after its committed offset. */
static int restore_source(struct engine *e, uint32_t k)
{
	const struct sl_ckpt_recovery *r = sl_ckpt_recovery(e->ck);
	const struct sl_source_spec *spec = &sl_plan_input(e->plan, k)->source;
	char err[512];
	if (r->fresh)
		return 0;
	if (e->src_ops[k]->restore == NULL) {
		fprintf(e->opts->log,
			"sluice: checkpoint: source '%s' (%s) cannot be replayed: it goes on with "
			"what arrives from now on\n",
			spec->name, spec->connector);
		return 0;
	}
	if (!r->has_offset[k] && r->src[k].replay.p == NULL)
		return 0; /* nothing committed yet: from the start */
	if (e->src_ops[k]->restore(e->src[k], &r->src[k], err, sizeof(err)) < 0) {
		fail(e, "checkpoint %s: source '%s': %s", e->plan->sink.checkpoint, spec->name, err);
		return -EINVAL;
	}
	return 0;
}

static int setup(struct engine *e)
{
	struct sl_plan *plan = e->plan;
	const struct sl_settings *set = &plan->settings;
	char err[512];

	e->ninputs = sl_plan_ninputs(plan);
	for (uint32_t k = 0; k < e->ninputs; k++) {
		const char *name = sl_plan_input(plan, k)->source.connector;
		e->src_ops[k] = sl_source_lookup(name);
		if (e->src_ops[k] == NULL) {
			fail(e, "connector '%s' is not built in", name);
			return -ENOENT;
		}
		e->paced |= e->src_ops[k]->paces_epochs;
		e->marked |= e->src_ops[k]->marks_epoch_parts;
	}
	e->sink_ops = sl_sink_lookup(plan->sink.connector);
	if (e->sink_ops == NULL) {
		fail(e, "connector '%s' is not built in", plan->sink.connector);
		return -ENOENT;
	}
	if (sl_engine_check_cores(&plan->settings, err, sizeof(err)) < 0) {
		fail(e, "%s", err);
		return -EINVAL;
	}
	if (sl_plan_check_runnable(plan, err, sizeof(err)) < 0) {
		fail(e, "%s", err);
		return -EINVAL;
	}
	if (sl_plan_prepare(plan, err, sizeof(err)) < 0) {
		fail(e, "%s", err);
		return -EINVAL;
	}

	e->stateless = !plan->has_agg;
	e->per_input = set->n_ingest ? set->n_ingest : 1;
	e->nin = e->per_input * e->ninputs;
	e->ndest = e->stateless ? 1 : (set->n_agg ? set->n_agg : 1);
	uint32_t slots = set->ring_slots ? next_pow2(set->ring_slots) : 32;
	/* every consumer may hold a full ring, and each has an open block */
	uint32_t blocks = set->blocks_per_core ? set->blocks_per_core : e->ndest * (slots + 2) + 2;
	/* an ingest core's pool is `blocks` row blocks plus as many partial
	 * blocks when it combines: the return ring must hold them all (it was
	 * sized for the row blocks alone, and a busy ingest core that left its
	 * returned blocks unclaimed overflowed it: "aggregator core stopped:
	 * No space left on device" in tools/bench retail) */
	uint32_t ret_slots = next_pow2(2 * blocks + 1);
	uint32_t links = e->nin * e->ndest;

	e->data = calloc(links, sizeof(*e->data));
	e->ret = calloc(links, sizeof(*e->ret));
	e->ingest = calloc(e->nin, sizeof(*e->ingest));
	e->ingest_tid = calloc(e->nin, sizeof(*e->ingest_tid));
	e->got = calloc(e->nin > e->ndest ? e->nin : e->ndest, 1);
	e->ended = calloc(e->nin, 1);
	if (!e->data || !e->ret || !e->ingest || !e->ingest_tid || !e->got || !e->ended)
		goto err_nomem;
	for (uint32_t l = 0; l < links; l++) {
		e->data[l] = sl_ring_create(slots);
		e->ret[l] = sl_ring_create(ret_slots);
		if (e->data[l] == NULL || e->ret[l] == NULL)
			goto err_nomem;
	}
	if (!e->stateless) {
		uint32_t shards = set->shards ? set->shards : e->ndest;
		plan->settings.shards = shards;
		e->results = calloc(e->ndest, sizeof(*e->results));
		e->agg = calloc(e->ndest, sizeof(*e->agg));
		e->agg_tid = calloc(e->ndest, sizeof(*e->agg_tid));
		e->shard_dest = calloc(shards, sizeof(*e->shard_dest));
		if (!e->results || !e->agg || !e->agg_tid || !e->shard_dest)
			goto err_nomem;
		for (uint32_t s = 0; s < shards; s++)
			e->shard_dest[s] = s % e->ndest;
		for (uint32_t d = 0; d < e->ndest; d++) {
			e->results[d] = sl_ring_create(RESULT_SLOTS);
			if (e->results[d] == NULL)
				goto err_nomem;
			struct sl_ring **in = calloc(e->nin, sizeof(*in));
			struct sl_ring **back = calloc(e->nin, sizeof(*back));
			if (in == NULL || back == NULL) {
				free(in);
				free(back);
				goto err_nomem;
			}
			for (uint32_t i = 0; i < e->nin; i++) {
				in[i] = e->data[i * e->ndest + d];
				back[i] = e->ret[i * e->ndest + d];
			}
			struct sl_aggregator_config ac = {
				.plan = plan, .idx = d, .n_agg = e->ndest,
				.cpu = d < set->n_agg ? set->agg_cores[d] : -1,
				.nin = e->nin, .in = in, .ret = back, .results = e->results[d],
				.ctl = &e->ctl, .deltas = plan->sink.checkpoint[0] != '\0'};
			e->agg[d] = sl_aggregator_create(&ac, err, sizeof(err));
			free(in);
			free(back);
			if (e->agg[d] == NULL) {
				fail(e, "%s", err);
				return -ENOMEM;
			}
		}
	} else {
		e->pending = sl_batch_create(&plan->out_schema);
		if (e->pending == NULL)
			goto err_nomem;
	}

	e->sink = e->sink_ops->open(&plan->sink, &plan->out_schema, e->opts->out, err, sizeof(err));
	if (e->sink == NULL) {
		fail(e, "%s", err);
		return -EINVAL;
	}
	if (plan->sink.checkpoint[0] != '\0') {
		double t_restore = now_s();
		e->ck = sl_ckpt_open(plan, e->sink_ops, e->sink, e->opts->log, err, sizeof(err));
		if (e->ck == NULL) {
			fail(e, "%s", err);
			return -EINVAL;
		}
		if (restore_state(e) < 0)
			return -EINVAL;
		e->st.restore_s = now_s() - t_restore;
		if (!e->sink_ops->exactly_once)
			fprintf(e->opts->log,
				"sluice: checkpoint: sink '%s' (%s) is at least once: a batch that runs "
				"again after a crash is written again\n",
				plan->sink.name, plan->sink.connector);
	}
	for (uint32_t k = 0; k < e->ninputs; k++) {
		e->src[k] = e->src_ops[k]->open(&sl_plan_input(plan, k)->source, set, e->per_input,
						err, sizeof(err));
		if (e->src[k] == NULL) {
			fail(e, "%s", err);
			return -EIO;
		}
		if (e->ck != NULL && restore_source(e, k) < 0)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < e->nin; i++) {
		uint32_t k = i / e->per_input, j = i % e->per_input;
		struct sl_ingest_config ic = {
			.plan = plan, .input = k, .idx = j,
			.cpu = j < set->n_ingest ? set->ingest_cores[j] : -1,
			.ndest = e->ndest, .out = &e->data[i * e->ndest], .ret = &e->ret[i * e->ndest],
			.shard_dest = e->shard_dest, .blocks = blocks, .ctl = &e->ctl,
			.ops = e->src_ops[k], .src = e->src[k],
			.combiner = set->combiner ? &sl_combiner_ops : NULL};
		e->ingest[i] = sl_ingest_create(&ic, err, sizeof(err));
		if (e->ingest[i] == NULL) {
			fail(e, "%s", err);
			return -ENOMEM;
		}
	}
	if (e->opts->progress != NULL) {
		e->prog = calloc(1, sizeof(*e->prog));
		e->prev_cpu = calloc(e->nin + e->ndest, sizeof(*e->prev_cpu));
		e->prev_stall = calloc(e->nin, sizeof(*e->prev_stall));
		e->agg_cpu = calloc(e->ndest, sizeof(*e->agg_cpu));
		if (e->prog == NULL || e->prev_cpu == NULL || e->prev_stall == NULL ||
		    e->agg_cpu == NULL)
			goto err_nomem;
	}
	make_ids(e);
	e->limit_left = plan->limit >= 0 ? (uint64_t)plan->limit : UINT64_MAX;
	if (e->ck != NULL && !sl_ckpt_recovery(e->ck)->fresh && plan->limit >= 0 &&
	    plan->sink.mode != SL_OUTPUT_COMPLETE &&
	    sl_ckpt_recovery(e->ck)->limit_left < e->limit_left)
		e->limit_left = sl_ckpt_recovery(e->ck)->limit_left;
	return 0;

err_nomem:
	fail(e, "out of memory setting up the query's cores and rings");
	return -ENOMEM;
}

static int start_threads(struct engine *e)
{
	for (uint32_t d = 0; !e->stateless && d < e->ndest; d++) {
		int rc = pthread_create(&e->agg_tid[d], NULL, sl_aggregator_thread, e->agg[d]);
		if (rc != 0) {
			fail(e, "cannot start aggregator thread %u: %s", d, strerror(rc));
			return -rc;
		}
		e->agg_started++;
	}
	for (uint32_t i = 0; i < e->nin; i++) {
		int rc = pthread_create(&e->ingest_tid[i], NULL, sl_ingest_thread, e->ingest[i]);
		if (rc != 0) {
			fail(e, "cannot start ingest thread %u: %s", i, strerror(rc));
			return -rc;
		}
		e->ingest_started++;
	}
	return 0;
}

static uint64_t rows_published(struct engine *e)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < e->nin; i++)
		n += sl_ingest_rows_published(e->ingest[i]);
	return n;
}

/* Every core of a source that marks its epochs' parts has handed over all
 * of the epoch being filled, or has finished (sl_ingest_epoch_done). */
static bool paced_ready(struct engine *e)
{
	uint64_t trig = atomic_load_explicit(&e->ctl.trigger_ns, memory_order_relaxed);
	for (uint32_t i = 0; e->marked && i < e->nin; i++) {
		const struct sl_source_ops *ops = e->src_ops[i / e->per_input];
		if (!ops->marks_epoch_parts || sl_ingest_drained(e->ingest[i]))
			continue;
		/* under a processing-time trigger, a source that plans at
		 * triggers answers the last one for all its cores through its
		 * first one (it had nothing then, or has handed over what it
		 * planned); else its cores must have handed over this epoch's
		 * part (planned at an earlier trigger, while the last batch
		 * still ran) */
		if (trig != 0 && ops->plans_at_triggers) {
			uint32_t first = i - i % e->per_input;
			if (sl_ingest_trigger_acked(e->ingest[first]) >= trig)
				continue;
		}
		if (sl_ingest_done_through(e->ingest[i]) <= e->epoch)
			return false;
	}
	return true;
}

static bool all_drained(struct engine *e)
{
	for (uint32_t i = 0; i < e->nin; i++)
		if (!sl_ingest_drained(e->ingest[i]))
			return false;
	return true;
}

static void check_failures(struct engine *e)
{
	for (uint32_t i = 0; i < e->nin; i++)
		if (sl_ingest_failed(e->ingest[i])) {
			fail(e, "source '%s' (ingest core %u): %s",
			     sl_plan_input(e->plan, i / e->per_input)->source.name, i % e->per_input,
			     sl_ingest_error(e->ingest[i]));
			return;
		}
	for (uint32_t d = 0; !e->stateless && d < e->ndest; d++) {
		int err = sl_aggregator_error(e->agg[d]);
		if (err < 0) {
			fail(e, "aggregator core %u stopped in batch %" PRIu64 ": %s", d, e->epoch,
			     strerror(-err));
			return;
		}
	}
}

static void cut(struct engine *e)
{
	if (e->no_data_due && rows_published(e) <= e->rows_done)
		e->st.no_data_batches++;
	e->t_cut = now_s();
	if (!e->trigger_set)
		e->t_trigger = e->t_cut;
	e->trigger_set = false;
	/* release: everything about epoch e is settled before cores see the cut */
	atomic_store_explicit(&e->ctl.cut, e->epoch + 1, memory_order_release);
	for (uint32_t i = 0; i < e->nin; i++)
		sl_ingest_wake(e->ingest[i]);
	e->cutting = true;
	e->ngot = 0;
	memset(e->got, 0, e->nin > e->ndest ? e->nin : e->ndest);
}

/* Stateless queries: take rows from the ingest cores into the pending batch,
 * each ring up to its barrier for the epoch being cut. */
static bool pump_rows(struct engine *e)
{
	bool progress = false;
	struct sl_ring_item it;
	for (uint32_t i = 0; i < e->nin; i++) {
		if (e->got[i] || e->ended[i])
			continue;
		struct sl_ring *r = e->data[i];
		for (int k = 0; k < 64 && sl_ring_pop_burst(r, &it, 1) == 1; k++) {
			progress = true;
			enum sl_msg_kind kind = sl_msg_kind_of(it.tag);
			if (kind == SL_MSG_BARRIER) {
				e->got[i] = 1;
				e->ngot++;
				break;
			}
			if (kind == SL_MSG_END) {
				e->ended[i] = 1;
				break;
			}
			struct sl_block *b = it.ptr;
			struct sl_chunk c = {.nrows = b->nrows, .ncols = b->ncols, .cols = b->cols};
			if (sl_batch_append_chunk(e->pending, &c) < 0)
				fail(e, "out of memory collecting the rows of batch %" PRIu64, e->epoch);
			if (b->oversized) {
				sl_block_destroy(b);
			} else {
				struct sl_ring_item back = {b, 0};
				sl_ring_push_burst(e->ret[i], &back, 1);
			}
		}
	}
	return progress;
}

/* Checkpoint: keep the result's state deltas for the epoch's files. */
static int take_deltas(struct engine *e, struct sl_epoch_result *res)
{
	if (e->ndeltas + res->ndeltas > e->capdeltas) {
		uint32_t cap = e->capdeltas ? e->capdeltas : 8;
		while (cap < e->ndeltas + res->ndeltas)
			cap *= 2;
		struct sl_state_delta *n = realloc(e->deltas, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		e->deltas = n;
		e->capdeltas = cap;
	}
	for (uint32_t i = 0; i < res->ndeltas; i++) {
		e->deltas[e->ndeltas++] = res->deltas[i];
		res->deltas[i].buf = NULL;
	}
	return 0;
}

/* A checkpoint write failed (a full disk): the query stops; what the last
 * commit holds is intact. */
static void ckpt_failed(struct engine *e, const char *err)
{
	fail(e, "%s; the last committed batch is intact: free the space (or fix the cause) and "
		"start the query again to resume",
	     err);
}

/* Checkpoint: the epoch's results are in; queue its files (offsets,
 * sources' logs, state deltas). The sink writes it once they are durable. */
static void queue_checkpoint(struct engine *e)
{
	struct sl_ckpt_epoch ep = {.time = e->stateless ? NULL : &e->time,
				   .limit_left = e->limit_left};
	struct sl_state_delta *dp[256];
	struct sl_state_delta **dv = e->ndeltas <= 256 ? dp : calloc(e->ndeltas, sizeof(*dv));
	char err[640];
	if (dv == NULL) {
		fail(e, "out of memory writing the checkpoint of batch %" PRIu64, e->base + e->epoch);
		return;
	}
	for (uint32_t i = 0; i < e->ndeltas; i++) {
		dv[i] = &e->deltas[i];
		e->st.checkpoint_bytes += e->deltas[i].len;
		e->st.checkpoint_puts += e->deltas[i].puts;
		e->st.checkpoint_removes += e->deltas[i].removes;
	}
	ep.deltas = dv;
	ep.ndeltas = e->ndeltas;
	for (uint32_t k = 0; k < e->ninputs; k++) {
		const struct sl_source_ops *ops = e->src_ops[k];
		sl_strbuf_reset(&e->ck_off[k]);
		sl_strbuf_reset(&e->ck_log[k]);
		ep.offset[k] = &e->ck_off[k];
		ep.log[k] = &e->ck_log[k];
		if (ops->checkpoint == NULL)
			continue;
		uint64_t pos[64];
		uint32_t n = e->per_input < 64 ? e->per_input : 64;
		for (uint32_t j = 0; j < n; j++)
			pos[j] = sl_ingest_offset_at_barrier(e->ingest[k * e->per_input + j]);
		ep.replayable[k] = true;
		ep.log_compact[k] = sl_ckpt_log_compact_due(e->ck, k);
		int rc = ops->checkpoint(e->src[k], e->epoch, pos, n, ep.log_compact[k],
					 &e->ck_off[k], &e->ck_log[k], err, sizeof(err));
		if (rc == -EAGAIN && e->final) {
			/* a stop cut the source's part of the batch short (a file
			 * batch half read): the batch is neither published nor
			 * committed, and the next start runs it again whole */
			fprintf(e->opts->log,
				"sluice: batch %" PRIu64 " was cut short by the stop (source '%s': %s); "
				"it is not written, and runs again whole at the next start\n",
				e->base + e->epoch, sl_plan_input(e->plan, k)->source.name, err);
			e->dropped = true;
			goto out;
		}
		if (rc < 0) {
			fail(e, "source '%s' could not say where batch %" PRIu64 " ended: %s",
			     sl_plan_input(e->plan, k)->source.name, e->base + e->epoch, err);
			goto out;
		}
	}
	for (uint32_t k = 0; k < e->ninputs; k++)
		e->st.checkpoint_bytes += e->ck_off[k].len + e->ck_log[k].len;
	if (sl_ckpt_epoch(e->ck, e->base + e->epoch, &ep, err, sizeof(err)) < 0)
		ckpt_failed(e, err);
out:
	for (uint32_t i = 0; i < e->ndeltas; i++)
		free(e->deltas[i].buf);
	e->ndeltas = 0;
	if (dv != dp)
		free(dv);
	e->queued = true;
}

/* Aggregation: collect each aggregator's result for the epoch being cut. */
static bool pump_results(struct engine *e)
{
	bool progress = false;
	for (uint32_t d = 0; d < e->ndest; d++) {
		struct sl_ring_item it;
		if (e->got[d] || sl_ring_pop_burst(e->results[d], &it, 1) == 0)
			continue;
		progress = true;
		struct sl_epoch_result *res = it.ptr;
		if (res->error < 0) {
			fail(e, "aggregator core %u could not finish batch %" PRIu64 ": %s", d,
			     e->epoch, strerror(-res->error));
		} else if (e->pending == NULL) {
			e->pending = res->rows;
			res->rows = NULL;
		} else if (sl_batch_append_batch(e->pending, res->rows) < 0) {
			fail(e, "out of memory merging the results of batch %" PRIu64, e->epoch);
		}
		if (d == 0) {
			e->st.state_rows = 0;
			e->st.state_memory = 0;
		}
		e->st.state_rows += res->state_rows;
		e->st.state_memory += res->memory_bytes;
		/* every aggregator computes the same watermark from the same
		 * barriers; the dropped and evicted counts are per core */
		e->st.watermark_us = res->watermark_us;
		e->next_watermark_us = res->next_watermark_us;
		e->epoch_dropped += res->dropped_late;
		e->st.rows_dropped_by_watermark += res->dropped_late;
		for (uint32_t k = 0; k < e->ninputs; k++) {
			e->epoch_dropped_in[k] += res->dropped_in[k];
			e->st.input_dropped[k] += res->dropped_in[k];
		}
		e->st.evicted_rows += res->evicted_rows;
		e->st.evict_ns += res->evict_ns;
		e->ep_updated += res->updated_rows;
		e->ep_evicted += res->evicted_rows;
		if (e->agg_cpu != NULL)
			e->agg_cpu[d] = res->cpu_ns;
		e->time = res->time;
		e->have_time = true;
		if (e->ck != NULL && take_deltas(e, res) < 0)
			fail(e, "out of memory keeping the state deltas of batch %" PRIu64,
			     e->base + e->epoch);
		sl_epoch_result_free(res);
		e->got[d] = 1;
		e->ngot++;
	}
	return progress;
}

static bool epoch_complete(struct engine *e)
{
	if (e->stateless) {
		uint32_t done = 0;
		for (uint32_t i = 0; i < e->nin; i++)
			done += e->got[i] || e->ended[i];
		return done == e->nin;
	}
	return e->ngot == e->ndest;
}

static uint64_t ms_of(double s)
{
	return s > 0 ? (uint64_t)(s * 1000.0 + 0.5) : 0;
}

static void source_description(const struct sl_source_spec *src, char *buf, size_t len)
{
	const struct sl_option *path = sl_options_find(&src->options, "path");
	if (path != NULL)
		snprintf(buf, len, "%s[%s]", src->connector, path->value);
	else
		snprintf(buf, len, "%s[%s]", src->connector, src->name);
}

struct counters_json {
	struct sl_strbuf *out;
	bool failed, more;
};

static void counter_json(void *arg, const char *name, uint64_t v)
{
	struct counters_json *c = arg;
	char line[160];
	snprintf(line, sizeof(line), "%s\"%s\":%" PRIu64, c->more ? "," : "", name, v);
	c->failed |= sl_strbuf_puts(c->out, line) < 0;
	c->more = true;
}

struct counters_text {
	struct sl_strbuf *out;
	const char *source;
};

static void counter_text(void *arg, const char *name, uint64_t v)
{
	struct counters_text *c = arg;
	char line[SL_NAME_MAX + 160];
	snprintf(line, sizeof(line), "stat source.%s.%s %" PRIu64 "\n", c->source, name, v);
	sl_strbuf_puts(c->out, line);
}

/* The batch's progress record, to opts->progress. */
static void emit_progress(struct engine *e, uint64_t batch, uint64_t out_rows, double t_commit)
{
	struct sl_progress *p = e->prog;
	const struct sl_plan *plan = e->plan;
	double now = now_s();
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", e->query_id);
	snprintf(p->run_id, sizeof(p->run_id), "%s", e->run_id);
	snprintf(p->name, sizeof(p->name), "%s", plan->sink.name);
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	int64_t wall_us = (int64_t)wall.tv_sec * 1000000 + wall.tv_nsec / 1000;
	p->timestamp_us = wall_us - (int64_t)((now - e->t_trigger) * 1e6);
	p->batch_id = batch;
	double since_prev = e->t_prev_trigger > 0 ? e->t_trigger - e->t_prev_trigger : 0;
	double exec = now - e->t_trigger;
	p->latest_offset_ms = ms_of(e->t_cut - e->t_trigger);
	p->wal_commit_ms = e->ck != NULL ? ms_of(e->t_durable - e->t_queued) : 0;
	p->add_batch_ms = ms_of(now - e->t_cut - (e->t_durable - e->t_queued) - t_commit);
	p->commit_offsets_ms = ms_of(t_commit);
	p->trigger_execution_ms = ms_of(exec);
	/* per input: the rows its cores had committed at their barriers */
	p->nsources = e->ninputs;
	uint64_t total = 0;
	for (uint32_t k = 0; k < e->ninputs; k++) {
		uint64_t through = 0;
		for (uint32_t j = 0; j < e->per_input; j++)
			through += sl_ingest_rows_at_barrier(e->ingest[k * e->per_input + j]);
		struct sl_progress_source *ps = &p->sources[k];
		source_description(&sl_plan_input(plan, k)->source, ps->description,
				   sizeof(ps->description));
		ps->start_rows = e->input_done[k];
		ps->end_rows = through;
		if (e->src_ops[k]->counters != NULL) {
			struct sl_strbuf *o = &e->prog_off[k][3];
			sl_strbuf_reset(o);
			struct counters_json cj = {.out = o};
			sl_strbuf_putc(o, '{');
			e->src_ops[k]->counters(e->src[k], counter_json, &cj);
			if (sl_strbuf_puts(o, "}") == 0 && sl_strbuf_putc(o, '\0') == 0 && !cj.failed)
				ps->counters_json = o->ptr;
		}
		if (e->src_ops[k]->progress_offsets != NULL) {
			struct sl_strbuf *o = e->prog_off[k];
			for (int j = 0; j < 3; j++)
				sl_strbuf_reset(&o[j]);
			e->src_ops[k]->progress_offsets(e->src[k], e->epoch, &o[0], &o[1], &o[2]);
			/* each a string once appended to (an empty buffer's ptr is NULL) */
			bool ok = true;
			for (int j = 0; j < 3; j++)
				ok &= o[j].len == 0 || sl_strbuf_putc(&o[j], '\0') == 0;
			if (ok) {
				ps->start_json = o[0].len ? o[0].ptr : NULL;
				ps->end_json = o[1].len ? o[1].ptr : NULL;
				ps->latest_json = o[2].len ? o[2].ptr : NULL;
			}
		}
		ps->num_input_rows = through - e->input_done[k];
		ps->input_rows_per_second = since_prev > 0 ? (double)ps->num_input_rows / since_prev : 0;
		ps->processed_rows_per_second = exec > 0 ? (double)ps->num_input_rows / exec : 0;
		total += ps->num_input_rows;
		e->input_done[k] = through;
	}
	p->num_input_rows = total;
	p->input_rows_per_second = since_prev > 0 ? (double)total / since_prev : 0;
	p->processed_rows_per_second = exec > 0 ? (double)total / exec : 0;
	/* event time over the batch's rows, and the watermark */
	uint64_t et_n = 0, malformed = 0;
	double et_sum = 0;
	int64_t et_min = INT64_MAX, et_max = INT64_MIN;
	double wall_s = e->t_prev_finish > 0 ? now - e->t_prev_finish : now - e->t_trigger;
	for (uint32_t i = 0; i < e->nin && p->ncores < SL_PROGRESS_MAX_CORES; i++) {
		struct sl_ingest_progress ip;
		sl_ingest_progress(e->ingest[i], &ip);
		if (ip.et_n > 0) {
			et_n += ip.et_n;
			et_sum += ip.et_sum_ms;
			et_min = ip.et_min_ms < et_min ? ip.et_min_ms : et_min;
			et_max = ip.et_max_ms > et_max ? ip.et_max_ms : et_max;
		}
		malformed += ip.malformed;
		uint32_t j = i % e->per_input;
		struct sl_progress_core *c = &p->cores[p->ncores++];
		c->role = 'i';
		c->idx = j;
		c->input = i / e->per_input;
		c->cpu = j < plan->settings.n_ingest ? plan->settings.ingest_cores[j] : -1;
		c->busy = wall_s > 0 ? (double)(ip.cpu_ns - e->prev_cpu[i]) / 1e9 / wall_s : 0;
		if (c->busy > 1)
			c->busy = 1;
		c->ring_fill = ip.capacity ? (double)ip.queued / ip.capacity : 0;
		c->stall_ms = (ip.stall_ns - e->prev_stall[i]) / 1000000;
		e->prev_cpu[i] = ip.cpu_ns;
		e->prev_stall[i] = ip.stall_ns;
	}
	for (uint32_t d = 0; !e->stateless && d < e->ndest && p->ncores < SL_PROGRESS_MAX_CORES; d++) {
		struct sl_progress_core *c = &p->cores[p->ncores++];
		c->role = 'a';
		c->idx = d;
		c->cpu = d < plan->settings.n_agg ? plan->settings.agg_cores[d] : -1;
		uint64_t cpu = e->agg_cpu[d], *prev = &e->prev_cpu[e->nin + d];
		c->busy = wall_s > 0 && cpu >= *prev ? (double)(cpu - *prev) / 1e9 / wall_s : 0;
		if (c->busy > 1)
			c->busy = 1;
		*prev = cpu;
	}
	p->rows_malformed = malformed - e->prev_malformed;
	e->prev_malformed = malformed;
	if (et_n > 0) {
		p->has_event_time = true;
		p->et_min_us = et_min * 1000;
		p->et_max_us = et_max * 1000;
		p->et_avg_us = (int64_t)(et_sum / (double)et_n) * 1000;
	}
	if (sl_plan_has_watermark(plan) && plan->has_agg) {
		p->has_watermark = true;
		p->watermark_us = e->st.watermark_us;
	}
	if (plan->has_agg) {
		p->has_state = true;
		p->state_rows_total = e->st.state_rows;
		p->state_rows_updated = e->ep_updated;
		p->state_rows_removed = e->ep_evicted;
		p->state_rows_dropped_by_watermark = e->epoch_dropped;
		p->state_memory_bytes = e->st.state_memory;
		p->shuffle_partitions = plan->settings.shards;
	}
	snprintf(p->sink_description, sizeof(p->sink_description), "%s[%s]", plan->sink.connector,
		 plan->sink.name);
	p->sink_output_rows = out_rows;
	e->opts->progress(e->opts->progress_arg, p);
	e->ep_updated = e->ep_evicted = 0;
	e->t_prev_trigger = e->t_trigger;
	e->t_prev_finish = now;
}

static void finish_epoch(struct engine *e)
{
	struct sl_plan *plan = e->plan;
	struct sl_batch *b = e->pending;
	if (b == NULL) {
		b = sl_batch_create(&plan->out_schema);
		if (b == NULL) {
			fail(e, "out of memory");
			return;
		}
	}
	if (plan->norder > 0 && sl_batch_sort(b, plan->order, plan->norder) < 0) {
		fail(e, "out of memory sorting batch %" PRIu64, e->epoch);
		return;
	}
	if (plan->limit >= 0) {
		if (plan->sink.mode == SL_OUTPUT_COMPLETE) {
			if (b->nrows > (uint64_t)plan->limit)
				sl_batch_truncate(b, (uint32_t)plan->limit);
		} else {
			if (b->nrows > e->limit_left)
				sl_batch_truncate(b, (uint32_t)e->limit_left);
			e->limit_left -= b->nrows;
		}
	}
	uint64_t batch = e->base + e->epoch;
	int rc = e->sink_ops->write(e->sink, batch, b);
	if (rc < 0)
		fail(e, "sink '%s' could not write batch %" PRIu64 ": %s", plan->sink.name, batch,
		     strerror(-rc));
	char err[640];
	double t_sink = now_s();
	if (rc == 0 && e->ck != NULL && sl_ckpt_commit(e->ck, batch, b->nrows, err, sizeof(err)) < 0)
		ckpt_failed(e, err);
	double t_commit = now_s() - t_sink;
	e->st.batches++;
	e->st.output_rows += b->nrows;
	if (e->st.state_rows > e->st.peak_state_rows) {
		e->st.peak_state_rows = e->st.state_rows;
		e->st.peak_state_memory = e->st.state_memory;
	}
	if (sl_plan_has_watermark(e->plan) && e->plan->has_agg) {
		/* one line per batch: where event time stands (Spark's
		 * progress: eventTime.watermark, numRowsDroppedByWatermark),
		 * with a UNION ALL's late rows per source */
		char wm[64], per[512] = "";
		size_t used = 0;
		sl_format_timestamp(e->st.watermark_us, wm, sizeof(wm));
		for (uint32_t k = 0; e->ninputs > 1 && k < e->ninputs && used < sizeof(per); k++) {
			int w = snprintf(per + used, sizeof(per) - used, "%s%s %" PRIu64,
					 k ? ", " : " (", sl_plan_input(e->plan, k)->source.name,
					 e->epoch_dropped_in[k]);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		if (e->ninputs > 1 && used + 2 <= sizeof(per))
			strcat(per, ")");
		fprintf(e->opts->log,
			"sluice: batch %" PRIu64 ": watermark %s, %" PRIu64
			" rows dropped as late%s, %" PRIu64 " state rows\n",
			batch, wm, e->epoch_dropped, per, e->st.state_rows);
		fflush(e->opts->log);
	}
	if (e->prog != NULL)
		emit_progress(e, batch, b->nrows, t_commit);
	e->epoch_dropped = 0;
	memset(e->epoch_dropped_in, 0, sizeof(e->epoch_dropped_in));
	/* Spark's no-data batch: when the watermark moved, one more batch runs
	 * even without input so that append mode emits (and both modes evict)
	 * the windows it closed */
	e->no_data_due = sl_plan_evicts(e->plan) && e->next_watermark_us > e->st.watermark_us;
	if (e->stateless) {
		sl_batch_clear(b);
		/* take the next epoch's rows at once: a source may have to read
		 * more of them than the rings hold before it can say its batch
		 * is ready to be cut (available_now), so waiting for the cut
		 * to empty the rings would stall it for good */
		e->ngot = 0;
		memset(e->got, 0, e->nin);
	} else {
		sl_batch_destroy(b);
		e->pending = NULL;
	}
	uint64_t through = 0;
	for (uint32_t i = 0; i < e->nin; i++)
		through += sl_ingest_rows_at_barrier(e->ingest[i]);
	e->rows_done = through;
	e->epoch++;
	e->cutting = false;
	e->queued = false;
	if (!e->no_data_due) {
		/* release: the batch is written before a pacing source sees it */
		atomic_store_explicit(&e->ctl.settled, e->epoch, memory_order_release);
		if (e->ck == NULL)
			atomic_store_explicit(&e->ctl.committed, e->epoch, memory_order_release);
		for (uint32_t i = 0; i < e->nin; i++)
			sl_ingest_wake(e->ingest[i]);
	}
}

static void shutdown_cores(struct engine *e)
{
	/* release: the last cut is visible before shutdown */
	atomic_store_explicit(&e->ctl.shutdown, 1, memory_order_release);
	atomic_store(&e->ctl.stop_sources, 1);
	for (uint32_t i = 0; i < e->ingest_started; i++)
		sl_ingest_wake(e->ingest[i]);
	if (e->stateless && !e->failed) {
		/* take what is left until every ingest core has said END */
		unsigned ended;
		do {
			memset(e->got, 0, e->nin);
			pump_rows(e);
			ended = 0;
			for (uint32_t i = 0; i < e->nin; i++)
				ended += e->ended[i];
			if (ended < e->ingest_started)
				nap(50000);
		} while (ended < e->ingest_started);
	}
	for (uint32_t i = 0; i < e->ingest_started; i++)
		pthread_join(e->ingest_tid[i], NULL);
	for (uint32_t d = 0; d < e->agg_started; d++)
		pthread_join(e->agg_tid[d], NULL);
	for (uint32_t d = 0; e->results != NULL && d < e->ndest; d++) {
		struct sl_ring_item it;
		while (e->results[d] != NULL && sl_ring_pop_burst(e->results[d], &it, 1) == 1)
			sl_epoch_result_free(it.ptr);
	}
}

/* Checkpoint: tell the cores which epochs are durable; stop on a failed
 * write. Whether anything moved. */
static bool track_commits(struct engine *e)
{
	char err[640];
	if (sl_ckpt_error(e->ck, err, sizeof(err)) < 0) {
		ckpt_failed(e, err);
		return false;
	}
	int64_t c = sl_ckpt_committed(e->ck);
	uint64_t through = c >= (int64_t)e->base ? (uint64_t)c - e->base + 1 : 0;
	if (through > atomic_load_explicit(&e->ctl.committed, memory_order_relaxed)) {
		/* release: pairs with the sources' acquire (sl_ingest_committed) */
		atomic_store_explicit(&e->ctl.committed, through, memory_order_release);
		for (uint32_t i = 0; e->marked && i < e->nin; i++)
			sl_ingest_wake(e->ingest[i]);
		return true;
	}
	return false;
}

static void run_loop(struct engine *e)
{
	const struct sl_sink_spec *sink = &e->plan->sink;
	volatile sig_atomic_t *stop = e->opts->stop;
	double t0 = now_s();
	double next_trigger = t0;
	double interval = (double)sink->trigger_interval_us / 1e6;
	/* once: what is there as one batch (the sources ignore their limits),
	 * then stop, as available_now does */
	bool to_end = sink->trigger == SL_TRIGGER_AVAILABLE_NOW || sink->trigger == SL_TRIGGER_ONCE;
	bool stopping = false, final = false;
	bool pending = false; /* a processing-time trigger fired, its epoch not yet cut */

	while (!e->failed) {
		bool progress = false;
		if (e->stateless)
			progress |= pump_rows(e);
		if (e->ck != NULL)
			progress |= track_commits(e);
		if (e->cutting) {
			if (!e->stateless)
				progress |= pump_results(e);
			bool ready = !e->failed && epoch_complete(e);
			if (ready && e->ck != NULL) {
				/* the sink writes the batch once its checkpoint
				 * files are durable */
				if (!e->queued) {
					e->final = final;
					e->t_complete = now_s();
					queue_checkpoint(e);
					e->t_queued = now_s();
					progress = true;
				}
				if (e->dropped)
					break; /* the last batch, not to be written */
				ready = !e->failed && sl_ckpt_durable(e->ck, e->base + e->epoch);
				if (ready)
					e->t_durable = now_s();
			} else if (ready) {
				e->t_complete = e->t_queued = e->t_durable = now_s();
			}
			if (ready) {
				finish_epoch(e);
				progress = true;
				if (final && !e->no_data_due)
					break;
			}
		}
		check_failures(e);
		if (e->failed)
			break;
		if (stop != NULL && *stop >= 2) {
			fail(e, "stopped at once by a second interrupt");
			break;
		}
		if (!stopping && stop != NULL && *stop) {
			stopping = true;
			atomic_store(&e->ctl.stop_sources, 1);
			for (uint32_t i = 0; i < e->nin; i++)
				sl_ingest_wake(e->ingest[i]);
		}
		if (!e->cutting) {
			bool drained = all_drained(e);
			bool fresh = rows_published(e) > e->rows_done;
			bool at_end = stopping ? drained
					       : ((to_end || e->opts->until_drained) && drained);
			double now = now_s();
			if (at_end) {
				if (!fresh && !e->no_data_due)
					break;
				final = true;
				cut(e);
			} else if (stopping || (to_end && !e->paced)) {
				/* wait for the end of the input (a source that paces
				 * its epochs is cut whenever rows came, below) */
			} else if (sink->trigger == SL_TRIGGER_INTERVAL) {
				if (now >= next_trigger) {
					/* tell the sources that plan at triggers (release:
					 * the batches before are written) */
					atomic_store_explicit(&e->ctl.trigger_ns, sl_source_now_ns(),
							      memory_order_release);
					for (uint32_t i = 0; e->marked && i < e->nin; i++)
						sl_ingest_wake(e->ingest[i]);
					pending = true;
					if (!e->trigger_set) {
						e->t_trigger = now;
						e->trigger_set = true;
					}
					/* the next multiple of the interval, as Spark's ProcessingTime */
					double k = (double)(uint64_t)((now - t0) / interval) + 1;
					next_trigger = t0 + k * interval;
				}
				/* the trigger's epoch is cut once the sources that
				 * decide its parts have handed them over */
				if (pending && e->no_data_due) {
					cut(e);
					pending = false;
				} else if (pending && paced_ready(e)) {
					if (fresh)
						cut(e);
					pending = false;
				}
			} else if ((fresh && paced_ready(e)) || e->no_data_due) {
				cut(e);
			}
			progress |= e->cutting;
		}
		if (!progress)
			nap(e->cutting ? 20000 : 100000);
	}
	e->st.elapsed_s = now_s() - t0;
}

static void print_stats(struct engine *e)
{
	FILE *f = e->opts->log;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	const struct sl_engine_stats *s = &e->st;
	fprintf(f, "stat query %s\n", e->plan->sink.name);
	fprintf(f, "stat rows_in %" PRIu64 "\n", s->rows_in);
	fprintf(f, "stat bytes_in %" PRIu64 "\n", s->bytes_in);
	fprintf(f, "stat rows_malformed %" PRIu64 "\n", s->rows_malformed);
	fprintf(f, "stat connections %" PRIu64 "\n", s->connections);
	fprintf(f, "stat files_skipped %" PRIu64 "\n", s->files_skipped);
	fprintf(f, "stat batches %" PRIu64 "\n", s->batches);
	fprintf(f, "stat output_rows %" PRIu64 "\n", s->output_rows);
	fprintf(f, "stat state_rows %" PRIu64 "\n", s->state_rows);
	fprintf(f, "stat state_memory_bytes %" PRIu64 "\n", s->state_memory);
	fprintf(f, "stat peak_state_rows %" PRIu64 "\n", s->peak_state_rows);
	fprintf(f, "stat peak_state_memory_bytes %" PRIu64 "\n", s->peak_state_memory);
	if (e->plan->has_agg) {
		fprintf(f, "stat rows_combined %" PRIu64 "\n", s->rows_combined);
		fprintf(f, "stat partials_shipped %" PRIu64 "\n", s->partials_shipped);
	}
	if (sl_plan_ninputs(e->plan) > 1) {
		for (uint32_t k = 0; k < sl_plan_ninputs(e->plan); k++)
			fprintf(f, "stat source.%s.rows_in %" PRIu64 "\n",
				sl_plan_input(e->plan, k)->source.name, s->input_rows[k]);
	}
	if (sl_plan_has_watermark(e->plan) && e->plan->has_agg) {
		for (uint32_t k = 0; sl_plan_ninputs(e->plan) > 1 && k < sl_plan_ninputs(e->plan); k++)
			fprintf(f, "stat source.%s.rows_dropped_by_watermark %" PRIu64 "\n",
				sl_plan_input(e->plan, k)->source.name, s->input_dropped[k]);
		fprintf(f, "stat watermark_us %" PRId64 "\n", s->watermark_us);
		fprintf(f, "stat rows_dropped_by_watermark %" PRIu64 "\n",
			s->rows_dropped_by_watermark);
		fprintf(f, "stat rows_null_event_time %" PRIu64 "\n", s->rows_null_event_time);
		fprintf(f, "stat evicted_rows %" PRIu64 "\n", s->evicted_rows);
		fprintf(f, "stat evict_ns %" PRIu64 "\n", s->evict_ns);
		fprintf(f, "stat no_data_batches %" PRIu64 "\n", s->no_data_batches);
	}
	if (e->plan->sink.checkpoint[0] != '\0') {
		fprintf(f, "stat checkpoint_bytes %" PRIu64 "\n", s->checkpoint_bytes);
		fprintf(f, "stat checkpoint_puts %" PRIu64 "\n", s->checkpoint_puts);
		fprintf(f, "stat checkpoint_removes %" PRIu64 "\n", s->checkpoint_removes);
		fprintf(f, "stat restore_s %.6f\n", s->restore_s);
	}
	if (e->src_counters.len > 0)
		fwrite(e->src_counters.ptr, 1, e->src_counters.len, f);
	fprintf(f, "stat elapsed_s %.6f\n", s->elapsed_s);
	fprintf(f, "stat rows_per_s %.1f\n", s->elapsed_s > 0 ? (double)s->rows_in / s->elapsed_s : 0.0);
	fprintf(f, "stat peak_rss_kb %ld\n", ru.ru_maxrss);
	fflush(f);
}

static void teardown(struct engine *e)
{
	uint32_t links = e->nin * e->ndest;
	for (uint32_t i = 0; e->ingest != NULL && i < e->nin; i++) {
		if (e->ingest[i] == NULL)
			continue;
		struct sl_source_stats s;
		sl_ingest_read_stats(e->ingest[i], &s);
		e->st.rows_in += s.rows;
		e->st.input_rows[i / e->per_input] += s.rows;
		e->st.bytes_in += s.bytes;
		e->st.rows_malformed += s.malformed;
		e->st.rows_null_event_time += s.null_event_time;
		e->st.rows_combined += s.rows_combined;
		e->st.partials_shipped += s.partials_shipped;
		e->st.connections += s.connections;
		e->st.files_skipped += s.files_skipped;
	}
	/* blocks still in rings: the pools own them, except oversized ones */
	for (uint32_t l = 0; e->data != NULL && l < links; l++) {
		struct sl_ring_item it;
		while (e->data[l] != NULL && sl_ring_pop_burst(e->data[l], &it, 1) == 1)
			if (sl_msg_kind_of(it.tag) == SL_MSG_DATA && ((struct sl_block *)it.ptr)->oversized)
				sl_block_destroy(it.ptr);
	}
	for (uint32_t i = 0; e->ingest != NULL && i < e->nin; i++)
		sl_ingest_destroy(e->ingest[i]);
	for (uint32_t d = 0; e->agg != NULL && d < e->ndest; d++)
		sl_aggregator_destroy(e->agg[d]);
	for (uint32_t k = 0; k < e->ninputs; k++) {
		if (e->src[k] == NULL)
			continue;
		if (e->src_ops[k]->counters != NULL) {
			struct counters_text ct = {.out = &e->src_counters,
						   .source = sl_plan_input(e->plan, k)->source.name};
			e->src_ops[k]->counters(e->src[k], counter_text, &ct);
		}
		e->src_ops[k]->close(e->src[k]);
	}
	if (e->ck != NULL) {
		if (!e->failed && sl_ckpt_drain(e->ck) < 0) {
			char err[640];
			sl_ckpt_error(e->ck, err, sizeof(err));
			fail(e, "%s", err);
		}
		sl_ckpt_close(e->ck);
	}
	for (uint32_t k = 0; k < SL_PLAN_MAX_INPUTS; k++) {
		sl_strbuf_free(&e->ck_off[k]);
		sl_strbuf_free(&e->ck_log[k]);
	}
	for (uint32_t i = 0; i < e->ndeltas; i++)
		free(e->deltas[i].buf);
	free(e->deltas);
	free(e->prog);
	for (uint32_t k = 0; k < SL_PLAN_MAX_INPUTS; k++)
		for (int j = 0; j < 4; j++)
			sl_strbuf_free(&e->prog_off[k][j]);
	free(e->prev_cpu);
	free(e->prev_stall);
	free(e->agg_cpu);
	if (e->sink != NULL)
		e->sink_ops->close(e->sink);
	for (uint32_t l = 0; l < links; l++) {
		if (e->data != NULL)
			sl_ring_destroy(e->data[l]);
		if (e->ret != NULL)
			sl_ring_destroy(e->ret[l]);
	}
	for (uint32_t d = 0; e->results != NULL && d < e->ndest; d++)
		sl_ring_destroy(e->results[d]);
	sl_batch_destroy(e->pending);
	free(e->data);
	free(e->ret);
	free(e->results);
	free(e->shard_dest);
	free(e->ingest);
	free(e->agg);
	free(e->ingest_tid);
	free(e->agg_tid);
	free(e->got);
	free(e->ended);
	sl_plan_release(e->plan);
}

int sl_engine_run(struct sl_plan *plan, const struct sl_engine_opts *opts,
		  struct sl_engine_stats *stats_out)
{
	struct engine e = {.plan = plan, .opts = opts};
	atomic_init(&e.ctl.cut, 0);
	atomic_init(&e.ctl.stop_sources, 0);
	atomic_init(&e.ctl.shutdown, 0);
	atomic_init(&e.ctl.abort, 0);
	atomic_init(&e.ctl.settled, 0);
	atomic_init(&e.ctl.committed, 0);
	atomic_init(&e.ctl.hold_until, 0);

	if (setup(&e) == 0 && start_threads(&e) == 0)
		run_loop(&e);
	shutdown_cores(&e);
	teardown(&e);
	if (opts->stats)
		print_stats(&e);
	sl_strbuf_free(&e.src_counters);
	if (stats_out != NULL)
		*stats_out = e.st;
	if (e.failed) {
		fprintf(opts->log, "sluice: error: query '%s': %s\n", plan->sink.name, e.error);
		fflush(opts->log);
		return 1;
	}
	return 0;
}
