/*
 * plan.h — compile a sluice SQL script into physical plans (plan_types.h)
 * and describe a plan as EXPLAIN text.
 *
 * Runs on the control thread before anything starts. Everything a compiled
 * plan holds (expression trees, schemas, options, text) is malloc'd and
 * owned by the plan; sl_plan_free() releases it (sl_expr_free for trees).
 *
 * Errors reach the user as "line L, column C: message" (1-based, pointing at
 * what was written), in Spark's words where Spark has a message.
 */
#ifndef SL_PLAN_H
#define SL_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "plan_types.h"

/* What a script compiles to, in statement order. Owned by the caller. */
struct sl_program {
	uint32_t nplans;
	struct sl_plan **plans;  /* one per CREATE SINK */
	uint32_t nexplains;
	char **explains;         /* one per EXPLAIN statement */
};

/* Defaults for a machine with ncpu CPUs: ncpu 1 puts ingest and
 * aggregation on core 0; otherwise the first half (at least core 0) ingests
 * and the rest aggregates (at most 64 each). shards 0 (= n_agg),
 * max_line_length 1 MiB, ring_slots 64, blocks_per_core 0 (engine decides), combiner on. */
void sl_settings_default(struct sl_settings *s, unsigned ncpu);
/* sl_settings_default for the CPUs this process may run on (taskset,
 * cgroups), mapped onto their real ids. */
void sl_settings_for_process(struct sl_settings *s);

/* Compile text. Each plan gets a copy of base changed by the SET statements
 * before it, its shards resolved (0 -> n_agg), and a copy of the whole text.
 * Returns 0 with *out set, -EINVAL with "line L, column C: ..." in err, or
 * -ENOMEM. Connectors are looked up in the source and sink registries, so
 * register them first. */
int sl_sql_compile(const char *text, const struct sl_settings *base, struct sl_program **out,
		   char *err, size_t errlen);
void sl_program_free(struct sl_program *p);
void sl_plan_free(struct sl_plan *p);

/* The plan as Spark-like "== Physical Plan ==" text, bottom-up from the
 * source, each stage with where it runs. malloc'd; NULL on ENOMEM. */
char *sl_plan_explain(const struct sl_plan *p);

/* Text of a typed expression over a chunk with schema `in` (column names),
 * as EXPLAIN shows it: `split(value,  , -1)`, `(CAST(n AS DOUBLE) / 2.0)`.
 * Appended to out; 0 or -ENOMEM. */
int sl_expr_text(const struct sl_expr *e, const struct sl_schema *in, struct sl_strbuf *out);

/* CPU lists as SET ingest_cores takes them: "0", "0-3", "0,2,4-5" (ids
 * 0..1023, at most max entries, no repeats). 0, or -EINVAL with the reason
 * (no position) in msg. */
int sl_cpu_list_parse(const char *s, int *cpus, uint32_t max, uint32_t *n, char *msg,
		      size_t msglen);
/* The inverse, ranges folded: "0-3,6"; "unpinned" for -1 entries. */
void sl_cpu_list_format(const int *cpus, uint32_t n, char *buf, size_t len);

/* What the planner accepts but the engine cannot run yet (an ARRAY leaving
 * the ingest cores): -EINVAL with "line L, column C: ..." in err, else 0.
 * `sluice run` checks it before anything starts. */
int sl_plan_check_runnable(const struct sl_plan *plan, char *err, size_t errlen);

#endif
