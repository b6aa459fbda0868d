/*
 * engine.h — runs one streaming query: starts its ingest and aggregator
 * cores, drives the micro-batch loop on the calling (control) thread, writes
 * each epoch to the sink, and stops cleanly.
 */
#ifndef SL_ENGINE_H
#define SL_ENGINE_H

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>

#include "plan_types.h"
#include "progress.h"

struct sl_engine_opts {
	FILE *out;              /* where the sink writes (console) */
	FILE *log;              /* messages and --stats */
	bool stats;             /* print "stat NAME VALUE" lines at the end */
	/* Raised (by a signal handler or another thread) to ask for a clean
	 * stop: sources stop, the last epoch is finished and written. Raised
	 * a second time (value >= 2): leave at once. May be NULL. */
	volatile sig_atomic_t *stop;
	/* Stop cleanly once every source has ended (and the batches it made
	 * due, no-data batches included, are written), with any trigger. */
	bool until_drained;
	/* Called on the control thread after every batch with its progress
	 * (control/progress.h); the record is valid during the call. May be
	 * NULL. */
	void (*progress)(void *arg, const struct sl_progress *p);
	void *progress_arg;
	/* The query's run id (32 hex digits) and, without a checkpoint, its
	 * id; NULL: made up at start. With a checkpoint the id is the
	 * checkpoint's. */
	const char *run_id, *query_id;
};

/* What a finished run counted, summed over cores. */
struct sl_engine_stats {
	uint64_t rows_in;
	uint64_t bytes_in;
	uint64_t rows_malformed;
	uint64_t connections;
	uint64_t files_skipped; /* file sources: files gone before they were read */
	uint64_t batches;
	uint64_t output_rows;
	uint64_t state_rows;
	uint64_t state_memory;
	/* the largest state any batch ended with, and its memory then */
	uint64_t peak_state_rows;
	uint64_t peak_state_memory;
	/* event time: the watermark in force at the last batch (W_e,
	 * microseconds; 0 until it moves), rows dropped as later than it,
	 * groups evicted as final, batches run without input to let the
	 * watermark close windows */
	int64_t watermark_us;
	uint64_t rows_dropped_by_watermark;
	uint64_t rows_null_event_time; /* in no window: their event time is NULL */
	uint64_t rows_combined, partials_shipped; /* the ingest cores' combiners */
	uint64_t evicted_rows;
	uint64_t evict_ns; /* summed over aggregator cores */
	uint64_t no_data_batches;
	/* per input of the plan (sl_plan_input): rows read, and rows of it
	 * dropped as late (a UNION ALL has several) */
	uint64_t input_rows[SL_PLAN_MAX_INPUTS];
	uint64_t input_dropped[SL_PLAN_MAX_INPUTS];
	/* checkpoints: payload bytes queued for the batches' files, the
	 * groups their deltas put and removed, and how long the restart took
	 * to read the checkpoint and load the state (seconds) */
	uint64_t checkpoint_bytes;
	uint64_t checkpoint_puts, checkpoint_removes;
	double restore_s;
	double elapsed_s;
};

/* Whether the cores the settings name exist for this process; -EINVAL with
 * what to use instead in err. sl_engine_run checks it too; a caller checks
 * first to refuse a query before starting anything. */
int sl_engine_check_cores(const struct sl_settings *s, char *err, size_t errlen);

/* Runs the query to its end. Returns the process exit status: 0 for a clean
 * stop, 1 when the query failed at run time (the reason is printed on
 * opts->log as "sluice: error: query 'NAME': ..."). */
int sl_engine_run(struct sl_plan *plan, const struct sl_engine_opts *opts,
		  struct sl_engine_stats *stats_out);

#endif
