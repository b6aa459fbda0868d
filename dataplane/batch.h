/*
 * batch.h — a growable, self-contained table of rows: an epoch's result on
 * its way from the aggregator cores (or the stateless pipeline) to a sink.
 *
 * Owns its vectors and a string arena; strings appended are copied in.
 * Grows with malloc: it is built once per epoch per core, not per record.
 * Owned by one thread at a time (built by a core, handed through a ring to
 * the control thread, freed there).
 */
#ifndef SL_BATCH_H
#define SL_BATCH_H

#include "plan_types.h"

struct sl_batch {
	uint32_t nrows;
	uint32_t ncols;
	uint32_t cap; /* rows of storage in every column */
	struct sl_vec *cols;
	/* internals: string arena */
	struct sl_batch_arena *arena;
};

/* A batch whose columns have the schema's types. NULL + errno on failure. */
struct sl_batch *sl_batch_create(const struct sl_schema *schema);
void sl_batch_destroy(struct sl_batch *b);
void sl_batch_clear(struct sl_batch *b);
/* Append every row of c (same column count and types); 0 or -ENOMEM. */
int sl_batch_append_chunk(struct sl_batch *b, const struct sl_chunk *c);
/* Append every row of another batch; 0 or -ENOMEM. */
int sl_batch_append_batch(struct sl_batch *b, const struct sl_batch *src);
/* The batch as a chunk view (valid until the batch changes). */
void sl_batch_as_chunk(const struct sl_batch *b, struct sl_chunk *out);
/* Sort rows by keys, Spark's ordering: nulls as the key says, NaN greater
 * than any other double, strings by unsigned bytes; stable. */
int sl_batch_sort(struct sl_batch *b, const struct sl_order_key *keys, uint32_t nkeys);
/* Keep the first n rows. */
void sl_batch_truncate(struct sl_batch *b, uint32_t n);

#endif
