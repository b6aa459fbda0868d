/*
 * progress.h — what a query reports after every batch: Spark's
 * StreamingQueryProgress (the same fields, the same names in its JSON), and
 * what only sluice knows (per core: how busy, how full its rings, how long
 * backpressure held it). Made by the engine on the control thread
 * (sl_engine_opts.progress), kept and served by the daemon (control/daemon.c).
 *
 * Durations (Spark's durationMs), in milliseconds:
 *   latestOffset      the trigger until the batch was cut (sources that
 *                     decide a batch's part had handed it over)
 *   addBatch          the cut until the sink had the batch (the cores'
 *                     barriers, the aggregators' results, the sink's write)
 *   walCommit         the batch's checkpoint files until they were durable
 *                     (0 without a checkpoint)
 *   commitOffsets     queuing commits/N (it becomes durable asynchronously)
 *   triggerExecution  the trigger until the batch was finished
 */
#ifndef SL_PROGRESS_H
#define SL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "format.h"
#include "plan_types.h"

#define SL_PROGRESS_MAX_CORES 160

struct sl_progress_core {
	char role;          /* 'i' ingest, 'a' aggregator */
	uint32_t idx;       /* among its role's cores (ingest: of its input) */
	uint32_t input;     /* ingest: the plan's input it reads */
	int cpu;            /* pinned to, -1: not pinned */
	double busy;        /* CPU time / wall time over the batch, 0..1 */
	double ring_fill;   /* ingest: blocks queued in its rings / their room */
	uint64_t stall_ms;  /* ingest: time this batch waiting on full rings */
};

struct sl_progress_source {
	char description[320];     /* connector[name]: e.g. file[/data/in] */
	uint64_t start_rows;       /* rows the source had handed over before the batch */
	uint64_t end_rows;         /* and after it */
	/* the source's own offsets as JSON (source.h progress_offsets), NULL
	 * or "": the rows above stand for them */
	const char *start_json, *end_json, *latest_json;
	/* the source's own counters (source.h counters), a JSON object; NULL:
	 * none */
	const char *counters_json;
	uint64_t num_input_rows;
	double input_rows_per_second;
	double processed_rows_per_second;
};

struct sl_progress {
	char id[40];               /* the query: stable across restarts with a checkpoint */
	char run_id[40];           /* this run */
	char name[SL_NAME_MAX];
	int64_t timestamp_us;      /* when the batch's trigger fired (wall clock) */
	uint64_t batch_id;
	uint64_t num_input_rows;
	double input_rows_per_second;
	double processed_rows_per_second;
	uint64_t latest_offset_ms, add_batch_ms, wal_commit_ms, commit_offsets_ms,
		trigger_execution_ms;
	bool has_event_time;       /* eventTime: the batch's rows had event times */
	int64_t et_min_us, et_max_us, et_avg_us;
	bool has_watermark;
	int64_t watermark_us;
	bool has_state;            /* stateOperators: the query aggregates */
	uint64_t state_rows_total, state_rows_updated, state_rows_removed,
		state_rows_dropped_by_watermark, state_memory_bytes;
	uint32_t shuffle_partitions;
	uint32_t nsources;
	struct sl_progress_source sources[SL_PLAN_MAX_INPUTS];
	char sink_description[320];
	uint64_t sink_output_rows;
	uint64_t rows_malformed;   /* this batch, all sources */
	uint32_t ncores;
	struct sl_progress_core cores[SL_PROGRESS_MAX_CORES];
};

/* Appends p as one line of JSON (no newline) with Spark's field names:
 * {"id":..., "runId":..., "name":..., "timestamp":"2024-...Z", "batchId":...,
 * "numInputRows":..., "inputRowsPerSecond":..., "processedRowsPerSecond":...,
 * "durationMs":{...}, "eventTime":{...}, "stateOperators":[...],
 * "sources":[...], "sink":{...}, "sluice":{"rowsMalformed":..., "cores":[...]}}.
 * 0 or -ENOMEM. */
int sl_progress_json(const struct sl_progress *p, struct sl_strbuf *out);

/* A copy of p that owns its strings (the sources' offsets JSON point into
 * the engine's buffers, which the next batch overwrites): one allocation,
 * freed with free(). NULL on ENOMEM. */
struct sl_progress *sl_progress_dup(const struct sl_progress *p);

#endif
