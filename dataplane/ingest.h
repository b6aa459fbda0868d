/*
 * ingest.h — an ingest core, as the engine (control/engine.c) sets it up and
 * watches it. Sources see only the calls in source.h.
 *
 * An ingest core runs its source's run(), then keeps answering epoch cuts
 * (with empty epochs) until the engine shuts down, then sends END to every
 * consumer. It routes the rows of each committed batch:
 *   - aggregation: keys encoded and hashed, rows to the aggregator that owns
 *     the key's shard, as [key bytes, agg args...] with the hash per row;
 *   - no aggregation: the query's output columns, to the control thread.
 */
#ifndef SL_INGEST_H
#define SL_INGEST_H

#include "block.h"
#include "plan_types.h"
#include "source.h"

/*
 * A combiner pre-aggregates rows on the ingest core; the state layer
 * implements it (state/combiner.c) and the engine installs it, so that this
 * layer needs no state/ header. Partial states ship in "partial" blocks of
 * two columns, [key bytes, state bytes (8-byte aligned)], that aggregators
 * merge.
 */
struct sl_combiner;
typedef int (*sl_combiner_emit_fn)(void *arg, const uint8_t *key, uint32_t klen, uint64_t hash,
				   const void *state);
struct sl_combiner_ops {
	/* NULL when the plan's aggregates cannot be combined */
	struct sl_combiner *(*create)(const struct sl_plan *plan);
	/* fold n rows; args[j] is aggregate j's argument (type NULL for count(*)) */
	int (*add)(struct sl_combiner *c, const struct sl_str *keys, const uint64_t *hashes,
		   uint32_t n, const struct sl_vec *args);
	uint64_t (*groups)(const struct sl_combiner *c);
	uint32_t (*state_size)(const struct sl_combiner *c);
	/* emit every group's partial state, then forget them all */
	int (*drain)(struct sl_combiner *c, sl_combiner_emit_fn emit, void *arg);
	void (*destroy)(struct sl_combiner *c);
};

/* A combiner ships its groups when it holds this many. */
#define SL_COMBINER_MAX_GROUPS (1u << 18)
/* Groups an epoch's combiner must hold before its rows a group are judged. */
#define SL_COMBINER_JUDGE_GROUPS 4096u

struct sl_ingest_config {
	const struct sl_plan *plan;
	uint32_t input;              /* the plan's input this core reads (sl_plan_input) */
	uint32_t idx;                /* among that input's cores: what run() gets */
	int cpu;                     /* -1: not pinned */
	uint32_t ndest;              /* consumers: aggregators, or 1 (the control thread) */
	struct sl_ring **out;        /* [ndest] this core -> consumer d */
	struct sl_ring **ret;        /* [ndest] consumer d -> this core, blocks coming back */
	const uint32_t *shard_dest;  /* [plan->settings.shards] consumer owning each shard; NULL without aggregation */
	uint32_t blocks;             /* blocks in this core's pool */
	struct sl_epoch_ctl *ctl;
	const struct sl_source_ops *ops;
	struct sl_source *src;
	const struct sl_combiner_ops *combiner; /* NULL: ship rows */
};

/* The column types of the blocks an ingest core ships for this plan, and
 * the element types of its ARRAY columns (SL_TYPE_NULL for the others);
 * both arrays hold SL_BLOCK_MAX_COLS. */
uint32_t sl_ingest_block_types(const struct sl_plan *plan, enum sl_type *types,
			       enum sl_type *elem_types);

struct sl_ingest *sl_ingest_create(const struct sl_ingest_config *cfg, char *err, size_t errlen);
void sl_ingest_destroy(struct sl_ingest *in);
/* The thread body; returns NULL. */
void *sl_ingest_thread(void *in);
/* Wake the core (after a cut, a stop or shutdown). Any thread. */
void sl_ingest_wake(struct sl_ingest *in);

/* Read by the control thread. */
uint64_t sl_ingest_rows_published(const struct sl_ingest *in); /* source rows committed so far */
/* Rows committed before the last barrier this core sent: after epoch e is
 * complete everywhere, the rows of epochs 0..e. */
uint64_t sl_ingest_rows_at_barrier(const struct sl_ingest *in);
/* The source's position (sl_ingest_set_offset) at the last barrier this
 * core sent: after epoch e is complete everywhere, where e left the input. */
uint64_t sl_ingest_offset_at_barrier(const struct sl_ingest *in);

/* What progress reports of a core, as it stood at its last barrier (read
 * by the control thread once the epoch is complete): the epoch's event
 * times (et_n 0: none), the thread's CPU time and its time waiting on full
 * rings (both from the start), and how full its rings are now. */
struct sl_ingest_progress {
	uint64_t et_n;
	int64_t et_min_ms, et_max_ms;
	double et_sum_ms;
	uint64_t cpu_ns, stall_ns;
	uint64_t malformed;        /* records its source dropped as malformed, from the start */
	uint32_t queued, capacity; /* blocks in its outgoing rings, and room */
};
void sl_ingest_progress(const struct sl_ingest *in, struct sl_ingest_progress *p);
bool sl_ingest_drained(const struct sl_ingest *in);    /* run() has returned */
bool sl_ingest_failed(const struct sl_ingest *in);
const char *sl_ingest_error(const struct sl_ingest *in); /* valid once failed */
/* Counters; exact once the thread has been joined. */
void sl_ingest_read_stats(const struct sl_ingest *in, struct sl_source_stats *out);

/* The epoch this core is filling now: rows committed from here on belong to
 * it; it moves on when the core notices a cut (in sl_ingest_commit() or
 * sl_ingest_poll()). For run() on this core's own thread, e.g. a source that
 * waits until the epoch holding its rows has been cut (source_batches.c). */
uint64_t sl_ingest_epoch(const struct sl_ingest *in);

/* Epochs finished with no epoch without input due after them
 * (sl_epoch_ctl.settled); for sources that pace their epochs. */
uint64_t sl_ingest_settled(const struct sl_ingest *in);

/* Epochs below this are durable in the checkpoint (sl_epoch_ctl.committed;
 * without a checkpoint it follows settled). */
uint64_t sl_ingest_committed(const struct sl_ingest *in);

/* A source that marks its epochs' parts (marks_epoch_parts, source.h) says
 * that it has committed everything it
 * will put in `epoch` (the sl_ingest_epoch its rows went into; a commit may
 * move the core on to the next epoch before it returns): the engine
 * cuts an epoch only when every core of every such source has said so for
 * it or has finished, so that the inputs of a UNION ALL hand over their
 * next part together, as Spark plans each batch's offsets for all sources
 * at once. Other sources never need to call it. */
void sl_ingest_epoch_done(struct sl_ingest *in, uint64_t epoch);
/* The epoch last said done, plus one (0: none). Read by the control thread. */
uint64_t sl_ingest_done_through(const struct sl_ingest *in);

/* Processing-time triggers, for a source that plans at them
 * (plans_at_triggers, source.h): when the last one fired (sl_epoch_ctl
 * .trigger_ns), and the source's word that it has handed over everything
 * it planned at that trigger (committed, and said done with
 * sl_ingest_epoch_done when it had rows), or that it had nothing then. The
 * engine cuts the trigger's epoch once every such source has said so. */
uint64_t sl_ingest_trigger_ns(const struct sl_ingest *in);
void sl_ingest_trigger_ack(struct sl_ingest *in, uint64_t trigger_ns);
uint64_t sl_ingest_trigger_acked(const struct sl_ingest *in);

#endif
