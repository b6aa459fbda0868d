/*
 * metrics.c — the Prometheus text exposition of the daemon's queries (see
 * metrics.h). Families in a fixed order, every sample of a family after its
 * HELP and TYPE lines, as the format requires.
 */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* A label value with \, " and newline escaped. */
static int put_label(struct sl_strbuf *o, const char *v)
{
	int rc = 0;
	for (const char *p = v; *p != '\0' && rc == 0; p++) {
		if (*p == '\\')
			rc = sl_strbuf_puts(o, "\\\\");
		else if (*p == '"')
			rc = sl_strbuf_puts(o, "\\\"");
		else if (*p == '\n')
			rc = sl_strbuf_puts(o, "\\n");
		else
			rc = sl_strbuf_putc(o, *p);
	}
	return rc;
}

static int family(struct sl_strbuf *o, const char *name, const char *type, const char *help)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	return sl_strbuf_puts(o, buf);
}

/* name{query="q"[,extra]} value */
static int sample(struct sl_strbuf *o, const char *name, const char *query, const char *extra,
		  double v)
{
	char num[64];
	if (isnan(v))
		snprintf(num, sizeof(num), "NaN");
	else if (v == floor(v) && fabs(v) < 9.007199254740992e15)
		snprintf(num, sizeof(num), "%.0f", v);
	else
		snprintf(num, sizeof(num), "%.17g", v);
	int rc = sl_strbuf_puts(o, name);
	rc |= sl_strbuf_puts(o, "{query=\"");
	rc |= put_label(o, query);
	rc |= sl_strbuf_putc(o, '"');
	if (extra != NULL) {
		rc |= sl_strbuf_putc(o, ',');
		rc |= sl_strbuf_puts(o, extra);
	}
	rc |= sl_strbuf_puts(o, "} ");
	rc |= sl_strbuf_puts(o, num);
	rc |= sl_strbuf_putc(o, '\n');
	return rc;
}

enum { F_COUNTER, F_GAUGE };

struct qfam {
	const char *name, *help;
	int type;
	/* the value of a query, or NAN to leave it out */
	double (*get)(const struct sl_metrics_query *q);
};

static double g_batches(const struct sl_metrics_query *q) { return (double)q->batches; }
static double g_in(const struct sl_metrics_query *q) { return (double)q->input_rows; }
static double g_out(const struct sl_metrics_query *q) { return (double)q->output_rows; }
static double g_late(const struct sl_metrics_query *q) { return (double)q->late_rows; }
static double g_bad(const struct sl_metrics_query *q) { return (double)q->malformed_rows; }
static double g_stall(const struct sl_metrics_query *q) { return (double)q->stall_ms_total / 1e3; }
static double g_in_rate(const struct sl_metrics_query *q)
{
	return q->last ? q->last->input_rows_per_second : NAN;
}
static double g_done_rate(const struct sl_metrics_query *q)
{
	return q->last ? q->last->processed_rows_per_second : NAN;
}
static double g_state(const struct sl_metrics_query *q)
{
	return q->last && q->last->has_state ? (double)q->last->state_rows_total : NAN;
}
static double g_mem(const struct sl_metrics_query *q)
{
	return q->last && q->last->has_state ? (double)q->last->state_memory_bytes : NAN;
}
static double g_wm(const struct sl_metrics_query *q)
{
	return q->last && q->last->has_watermark ? (double)q->last->watermark_us / 1e6 : NAN;
}
static double g_batch_s(const struct sl_metrics_query *q)
{
	return q->last ? (double)q->last->trigger_execution_ms / 1e3 : NAN;
}

static const struct qfam qfams[] = {
	{"sluice_query_batches_total", "Batches the query has finished.", F_COUNTER, g_batches},
	{"sluice_query_input_rows_total", "Rows the query's sources handed over.", F_COUNTER, g_in},
	{"sluice_query_output_rows_total", "Rows the query's sink was given.", F_COUNTER, g_out},
	{"sluice_query_late_rows_total", "Rows dropped as later than the watermark.", F_COUNTER,
	 g_late},
	{"sluice_query_malformed_rows_total", "Records the sources dropped as malformed.",
	 F_COUNTER, g_bad},
	{"sluice_query_stall_seconds_total",
	 "Time the ingest cores waited on full rings (backpressure).", F_COUNTER, g_stall},
	{"sluice_query_input_rows_per_second", "Input rate of the last batch.", F_GAUGE,
	 g_in_rate},
	{"sluice_query_processed_rows_per_second", "Processing rate of the last batch.", F_GAUGE,
	 g_done_rate},
	{"sluice_query_state_rows", "Groups held in the query's state.", F_GAUGE, g_state},
	{"sluice_query_state_memory_bytes", "Memory of the query's state.", F_GAUGE, g_mem},
	{"sluice_query_watermark_seconds", "The query's watermark, Unix seconds.", F_GAUGE, g_wm},
	{"sluice_query_last_batch_seconds", "How long the last batch took.", F_GAUGE, g_batch_s},
};

int sl_metrics_format(const struct sl_metrics_query *qs, uint32_t n, struct sl_strbuf *out)
{
	int rc = family(out, "sluice_queries", "gauge", "Queries the daemon knows, by state.");
	static const char *const states[] = {"active", "stopping", "stopped", "failed"};
	for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
		uint32_t k = 0;
		for (uint32_t i = 0; i < n; i++)
			k += strcmp(qs[i].state, states[s]) == 0;
		char line[96];
		snprintf(line, sizeof(line), "sluice_queries{state=\"%s\"} %u\n", states[s], k);
		rc |= sl_strbuf_puts(out, line);
	}
	for (size_t f = 0; f < sizeof(qfams) / sizeof(qfams[0]); f++) {
		rc |= family(out, qfams[f].name, qfams[f].type == F_COUNTER ? "counter" : "gauge",
			     qfams[f].help);
		for (uint32_t i = 0; i < n; i++) {
			double v = qfams[f].get(&qs[i]);
			if (!isnan(v))
				rc |= sample(out, qfams[f].name, qs[i].name, NULL, v);
		}
	}
	/* per core, from each query's last batch */
	static const struct {
		const char *name, *help;
	} cf[] = {
		{"sluice_core_busy_ratio", "CPU time over wall time of the core in the last batch."},
		{"sluice_core_ring_fill_ratio", "Blocks queued in an ingest core's rings over their room."},
		{"sluice_core_stall_seconds", "Time an ingest core waited on full rings in the last batch."},
	};
	for (size_t f = 0; f < sizeof(cf) / sizeof(cf[0]); f++) {
		rc |= family(out, cf[f].name, "gauge", cf[f].help);
		for (uint32_t i = 0; i < n; i++) {
			const struct sl_progress *p = qs[i].last;
			for (uint32_t c = 0; p != NULL && c < p->ncores; c++) {
				const struct sl_progress_core *k = &p->cores[c];
				if (f > 0 && k->role != 'i')
					continue;
				char extra[160];
				if (k->role == 'i')
					snprintf(extra, sizeof(extra),
						 "role=\"ingest\",input=\"%u\",index=\"%u\",cpu=\"%d\"",
						 k->input, k->idx, k->cpu);
				else
					snprintf(extra, sizeof(extra),
						 "role=\"aggregator\",index=\"%u\",cpu=\"%d\"", k->idx,
						 k->cpu);
				double v = f == 0 ? k->busy : f == 1 ? k->ring_fill : (double)k->stall_ms / 1e3;
				rc |= sample(out, cf[f].name, qs[i].name, extra, v);
			}
		}
	}
	return rc < 0 ? -ENOMEM : 0;
}
