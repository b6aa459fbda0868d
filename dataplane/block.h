/*
 * block.h — record blocks: the fixed-size columnar batches that travel
 * through the rings from an ingest core to an aggregator core (or to the
 * control thread for queries without aggregation), and the epoch control
 * word the control thread uses to cut epochs.
 *
 * Ownership: every block belongs to the pool of the ingest core that made
 * it. The ingest core fills it and pushes it into a ring; the consumer reads
 * it and pushes it back through the matching return ring; the ingest core
 * takes it from there the next time it needs one. No block is allocated or
 * freed after start-up, except the rare oversized one (a row whose strings
 * do not fit an empty block's heap), which is malloc'd, flagged, and freed
 * by its consumer.
 *
 * Ring items (struct sl_ring_item) carry a tag:
 *   SL_MSG_DATA     ptr = the block
 *   SL_MSG_BARRIER  ptr = NULL, the epoch in the upper bits: every row of
 *                   that epoch from this producer came before it
 *   SL_MSG_END      ptr = NULL: the producer will send nothing more
 *
 * Block layout (one malloc per block, at pool creation):
 *   struct sl_block | hash[rows] | per column: values[rows] + nulls[rows]
 *   | per ARRAY column: element values[elems] + element nulls[elems] | heap
 * An ARRAY column's rows are spans into its own element vector (cols[c].elem
 * points at elem[c]), so a consumer reads the block as any chunk; the
 * element vectors of all ARRAY columns share one count (elems_used: a row
 * takes its elements of every ARRAY column at once), and the elements'
 * bytes (strings, a header's key and value) go to the heap.
 */
#ifndef SL_BLOCK_H
#define SL_BLOCK_H

#include <stdalign.h>
#include <stdatomic.h>

#include "ring.h"
#include "types.h"

#define SL_BLOCK_ROWS 1024
#define SL_BLOCK_MAX_COLS 32
#define SL_BLOCK_HEAP (64 * 1024)

enum sl_msg_kind {
	SL_MSG_DATA = 0,
	SL_MSG_BARRIER = 1,
	SL_MSG_END = 2,
};

static inline uint64_t sl_msg_tag(enum sl_msg_kind kind, uint64_t epoch)
{
	return (epoch << 2) | (uint64_t)kind;
}

static inline enum sl_msg_kind sl_msg_kind_of(uint64_t tag)
{
	return (enum sl_msg_kind)(tag & 3);
}

static inline uint64_t sl_msg_epoch(uint64_t tag)
{
	return tag >> 2;
}

struct sl_block {
	uint32_t nrows;
	uint32_t ncols;
	uint32_t heap_used;
	uint32_t heap_cap;
	bool oversized; /* malloc'd for one big row: the consumer frees it */
	bool partial;   /* [key, partial aggregate state] from a combiner */
	uint32_t elems_used; /* ARRAY columns: elements taken (of elems_cap each) */
	uint32_t elems_cap;
	bool has_arrays;     /* some column is an ARRAY */
	uint64_t *hash; /* per row: the group key's hash (aggregation only) */
	char *heap;
	struct sl_vec cols[SL_BLOCK_MAX_COLS];
	struct sl_vec elem[SL_BLOCK_MAX_COLS]; /* ARRAY columns: their elements */
};

/* Elements an ARRAY column of a pool's block holds (per block, all rows). */
#define SL_BLOCK_ELEMS (2 * SL_BLOCK_ROWS)

/* A block laid out for the given column types (all rows null-capable); no
 * ARRAY column (EINVAL). */
struct sl_block *sl_block_create(uint32_t ncols, const enum sl_type *types, uint32_t rows,
				 uint32_t heap_bytes);
/* The same with ARRAY columns: elem_types[c] is column c's element type
 * (a scalar type; read only where types[c] is ARRAY; elem_types may be NULL
 * when no column is), with room for `elems` elements. */
struct sl_block *sl_block_create_arrays(uint32_t ncols, const enum sl_type *types,
					const enum sl_type *elem_types, uint32_t rows,
					uint32_t elems, uint32_t heap_bytes);
void sl_block_destroy(struct sl_block *b);
static inline void sl_block_reset(struct sl_block *b)
{
	b->nrows = 0;
	b->heap_used = 0;
	b->elems_used = 0;
}
size_t sl_block_bytes(uint32_t ncols, const enum sl_type *types, uint32_t rows,
		      uint32_t heap_bytes);

/*
 * Append row `row` of the columns `src` to block b; strings are copied into
 * b's heap. Returns 0, or -ENOSPC when b is full (rows or heap): the caller
 * ships b and retries with an empty block; an empty block that still lacks
 * room means the row needs an oversized block (sl_block_row_bytes tells how
 * much heap).
 */
int sl_block_append_row(struct sl_block *b, const struct sl_vec *src, uint32_t row, uint64_t hash);
size_t sl_block_row_bytes(const struct sl_vec *src, uint32_t ncols, uint32_t row);
/* Elements the row's ARRAY columns hold together (what elems must be). */
size_t sl_block_row_elems(const struct sl_vec *src, uint32_t ncols, uint32_t row);

/* Shared between the control thread (writer) and the ingest threads (readers). */
struct sl_epoch_ctl {
	/* Epochs below `cut` are closed: an ingest core whose current epoch e
	 * is below it sends barrier(e) to every consumer and moves to e + 1. */
	alignas(SL_CACHE_LINE) _Atomic uint64_t cut;
	_Atomic int stop_sources; /* sources should return from run() */
	_Atomic int shutdown;     /* drained ingest cores send END and leave */
	_Atomic int abort;        /* a failure: every loop leaves at once */
	/* Epochs below `settled` are finished and written, and no epoch without
	 * input is due after them (the watermark moved: see the engine): a
	 * source that paces epochs (batches) waits for it between sections so
	 * that its sections and Spark's no-data batches come in a fixed order */
	_Atomic uint64_t settled;
	/* When the last processing-time trigger fired (CLOCK_MONOTONIC ns;
	 * 0: none yet): a source that plans at triggers (plans_at_triggers)
	 * takes what is there at that moment, as Spark plans a batch */
	_Atomic uint64_t trigger_ns;
	/* Epochs below `committed` are durable in the query's checkpoint
	 * (commits/N written), or, without a checkpoint, settled: a source
	 * deletes or archives what it read (clean_source) only then */
	_Atomic uint64_t committed;
	/* A restart whose last batch left a no-data batch due: the ingest
	 * cores start their sources only once `settled` reaches this, so that
	 * the no-data batch runs alone first, as it did before the stop */
	_Atomic uint64_t hold_until;
};

#endif
