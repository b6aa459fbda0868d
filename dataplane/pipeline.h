/*
 * pipeline.h — the stateless part of a plan (filter, project, explode, joins
 * with static tables) run over one chunk on an ingest core, and the set-up
 * that compiles a plan's patterns and loads its static tables before the
 * cores start.
 *
 * Invariants:
 *  - The output chunk, its column array and every vector the ops make live
 *    in ctx until sl_eval_ctx_reset(); they also point into the input (a
 *    column passed through is the input's vector, exploded words point
 *    into the input's strings), so the input must stay alive and unchanged
 *    as long as the output is used.
 *  - No malloc and no lock per chunk once ctx has warmed up: everything
 *    comes from the ctx arena.
 *  - Columns that no later op and not the output read are not computed:
 *    an op's output column that is dead downstream has type SL_TYPE_NULL
 *    (every row null, no storage). The final output is always complete.
 *  - explode(split(x, p)) with no positive limit is fused: the words go
 *    straight into the output column, no array is built. With a literal p
 *    (the word count's ' ') that is an SSE2 scan of each row.
 */
#ifndef SL_PIPELINE_H
#define SL_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "plan_types.h"

/*
 * Run ops[0..nops) over in; out gets the last op's chunk (in itself, as a
 * shallow copy, when nops is 0). Also starts a new chunk generation in ctx
 * (cached RLIKE masks of the previous chunk are forgotten). 0 or -errno:
 * -ENOMEM when the arena cannot grow, -EINVAL for a plan the evaluator
 * does not support (a bug in the planner).
 */
int sl_pipeline_run(const struct sl_op *ops, uint32_t nops, const struct sl_chunk *in,
		    struct sl_eval_ctx *ctx, struct sl_chunk *out);

/*
 * The columns of the input of ops[0..nops) that running them reads to make
 * the columns live_out of the last op's output (bit i: column i; columns
 * from 64 on are always read): the same liveness sl_pipeline_run works out.
 * With nops 0, live_out itself.
 */
uint64_t sl_pipeline_needs(const struct sl_op *ops, uint32_t nops, uint64_t live_out);

/*
 * Prepare every expression of the plan (ops, keys, aggregate arguments,
 * having, out) before the cores start. RLIKEs that run on the same chunk
 * and test the same input expression are compiled into one Hyperscan
 * database and matched in one pass per row (up to 64 patterns a set).
 * Then load the static tables the plan's joins read (plan->tables, each
 * once) and index them by the joins' keys (one index per table and keys,
 * shared by the inputs of a UNION ALL): static_table.h. 0, or -errno with
 * "line L, column C: ..." in err (-EINVAL: a bad pattern, a table file
 * that is missing, unreadable or malformed under FAILFAST); on failure
 * nothing stays prepared or loaded.
 */
int sl_plan_prepare(struct sl_plan *plan, char *err, size_t errlen);

/* Free what sl_plan_prepare made, tables and indexes included (sl_plan_free
 * does it too); the plan can be prepared again. */
void sl_plan_release(struct sl_plan *plan);

#endif
