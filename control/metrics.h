/*
 * metrics.h — the Prometheus text exposition format (version 0.0.4) of the
 * daemon's queries: counters and gauges per query and per core, each
 * family with its # HELP and # TYPE lines, label values escaped as the
 * format says (\\, \", \n). `sluicectl metrics` prints it; `sluiced
 * --metrics-listen` serves it at /metrics.
 */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "format.h"
#include "progress.h"

/* One query as the metrics see it: totals over its run, and its last
 * progress record (NULL before its first batch). */
struct sl_metrics_query {
	const char *name;
	const char *state;           /* active, stopping, stopped, failed */
	uint64_t batches;
	uint64_t input_rows, output_rows, late_rows, malformed_rows;
	uint64_t stall_ms_total;     /* ingest cores, summed */
	const struct sl_progress *last;
};

/* Appends the exposition of queries[0..n) to out. 0 or -ENOMEM. */
int sl_metrics_format(const struct sl_metrics_query *queries, uint32_t n, struct sl_strbuf *out);

#endif
