/*
 * combiner.h — pre-aggregation on the ingest core (DESIGN.md section 4: "a
 * thread may pre-aggregate a block before sending").
 *
 * The ingest core folds its rows into a private hash table of partial
 * aggregate states and ships one partial state per group instead of one row
 * per input record: at every epoch cut, and whenever the table passes its
 * group limit. The aggregator merges partial states with sl_agg_merge. This
 * is what keeps skewed or repetitive keys (words) cheap: the rings carry
 * groups, not records.
 *
 * Used only when every aggregate's state is plain bytes (no string min/max,
 * whose state points into an arena): sl_combiner_ops.create returns NULL
 * otherwise and the ingest core ships rows.
 */
#ifndef SL_COMBINER_H
#define SL_COMBINER_H

#include "ingest.h"

extern const struct sl_combiner_ops sl_combiner_ops;

/* Whether the plan's aggregates can be pre-aggregated (plain-byte states). */
bool sl_combiner_applies(const struct sl_plan *plan);

#endif
