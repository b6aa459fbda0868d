/*
 * aggregator.h — an aggregator core: owns a set of shards (shard s belongs
 * to aggregator s % n_agg), consumes the record blocks every ingest core
 * routes to it, and at each epoch's end hands the control thread the rows
 * the output mode asks for.
 *
 * Barrier alignment: when barrier(e) arrives on the ring from ingest core i,
 * the aggregator stops reading that ring until barrier(e) has arrived from
 * every ingest core; then epoch e is complete in its shards, it emits e's
 * result and reads on. Rings whose barrier has not come yet are read all
 * along, which keeps every ingest core moving (no deadlock: an ingest core
 * only waits for blocks that a ring not yet at its barrier will give back).
 */
#ifndef SL_AGGREGATOR_H
#define SL_AGGREGATOR_H

#include "batch.h"
#include "block.h"
#include "plan_types.h"
#include "source.h" /* struct sl_blob */

/* Event time as a checkpoint keeps it (offsets/N): where the aggregators'
 * watermark bookkeeping stands after an epoch, so that a restart goes on
 * with the same watermarks (every aggregator computes the same). */
struct sl_time_state {
	int64_t max_event_ms;                      /* INT64_MIN: none */
	int64_t max_event_in[SL_PLAN_MAX_INPUTS];  /* per input; INT64_MIN: none */
	int64_t wm_in_ms[SL_PLAN_MAX_INPUTS];
	uint8_t wm_in_set[SL_PLAN_MAX_INPUTS];
	int64_t wm_late_us;   /* rows of windows ending at or before it are late */
	int64_t wm_evict_us;  /* windows ending at or before it are final */
};

/* What an epoch changed in one shard, encoded (state/state_codec.h): the
 * groups it put (new or changed, with their state) and those it removed. */
struct sl_state_delta {
	uint32_t shard;
	void *buf;      /* malloc'ed; whoever takes it sets buf NULL */
	size_t len;
	uint64_t puts, removes;
	bool snapshot;  /* the whole shard (written as N.snapshot), not a delta */
};

/* One epoch's output from one aggregator; freed by the control thread. */
struct sl_epoch_result {
	uint64_t epoch;
	struct sl_batch *rows;    /* the output mode's rows, projected to the sink's columns */
	uint64_t state_rows;      /* groups held after the epoch */
	uint64_t updated_rows;    /* groups the epoch changed */
	uint64_t memory_bytes;    /* state memory */
	/* event time (queries whose window is on a WATERMARK column) */
	int64_t watermark_us;     /* evicted up to this in this epoch (W_e) */
	int64_t next_watermark_us;/* W_{e+1}, from the event times up to this epoch */
	int64_t max_event_ms;     /* largest event time so far (INT64_MIN: none) */
	uint64_t dropped_late;    /* rows dropped as later than the watermark */
	uint64_t dropped_in[SL_PLAN_MAX_INPUTS]; /* of them, per input of the plan */
	uint64_t evicted_rows;    /* groups whose window the watermark closed */
	uint64_t evict_ns;        /* time spent evicting them (emitting included) */
	int error;                /* 0, or -errno: the epoch could not be finished */
	uint64_t cpu_ns;          /* the core's CPU time from its start (progress) */
	/* checkpointing (sl_aggregator_config.deltas): the event-time
	 * bookkeeping after the epoch, and one delta per shard this core owns */
	struct sl_time_state time;
	uint32_t ndeltas;
	struct sl_state_delta *deltas;
};

void sl_epoch_result_free(struct sl_epoch_result *r);

struct sl_aggregator_config {
	const struct sl_plan *plan;
	uint32_t idx;
	uint32_t n_agg;
	int cpu;
	uint32_t nin;              /* ingest cores */
	struct sl_ring **in;       /* [nin] ingest i -> this core */
	struct sl_ring **ret;      /* [nin] this core -> ingest i (blocks back) */
	struct sl_ring *results;   /* this core -> control thread: struct sl_epoch_result * */
	struct sl_epoch_ctl *ctl;  /* abort flag */
	bool deltas;               /* hand over each epoch's state deltas (checkpoint) */
	/* a shard of at least this many groups (0: 4096) whose epoch touched
	 * half of them hands over a snapshot of itself instead of a delta */
	uint32_t dump_min_groups;
};

struct sl_aggregator *sl_aggregator_create(const struct sl_aggregator_config *cfg, char *err,
					   size_t errlen);
void sl_aggregator_destroy(struct sl_aggregator *a);
/* Restart from a checkpoint, before the thread starts: apply one payload
 * (a snapshot, then the deltas after it, in order; state/state_codec.h) to
 * shard `shard` (one this core owns), rebuilding what the state keeps
 * beside the groups (the eviction index). 0, or -errno with "what is
 * wrong" in err (a payload that does not fit this query's aggregates). */
int sl_aggregator_load(struct sl_aggregator *a, uint32_t shard, const void *payload, size_t len,
		       char *err, size_t errlen);
/* Restart: after the last sl_aggregator_load of every shard of this core
 * and before the thread starts, rebuild what the loads leave to be
 * rebuilt: the eviction index by window end (only the groups left after
 * every payload; none that a later delta removed) and a clean touched list
 * (loading is no epoch's change). The thread calls it itself when the
 * engine did not; no load is taken after it. 0, or -ENOMEM with err. */
int sl_aggregator_load_done(struct sl_aggregator *a, char *err, size_t errlen);
/* Restart: the event-time bookkeeping of the last committed epoch. */
void sl_aggregator_set_time(struct sl_aggregator *a, const struct sl_time_state *t);
/* sl_aggregator_load of a whole chain p[0..n) (a snapshot, then the deltas
 * after it, oldest first), read newest first so that each group is decoded
 * once: the state is the same as loading them in order, at the cost of the
 * groups alive, not of every delta's records. */
int sl_aggregator_load_chain(struct sl_aggregator *a, uint32_t shard, const struct sl_blob *p,
			     uint32_t n, char *err, size_t errlen);
void *sl_aggregator_thread(void *a);
/* 0 while the core is well; -errno once it has stopped on a failure (it
 * could not fold a block or build a result). Read by the control thread. */
int sl_aggregator_error(const struct sl_aggregator *a);

#endif
