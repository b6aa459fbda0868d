/*
 * checkpoint.h — one query's checkpoint directory (checkpoint = 'dir',
 * Spark's checkpointLocation): the protocol of DESIGN.md section 6 on top
 * of the files of state/ckpt_file.h. docs/checkpoints.md has the layout,
 * the bytes, and what survives which failure.
 *
 *   metadata                   the query: id, name, its fingerprint (what a
 *                              restart may not change), the sink's base
 *   offsets/N                  epoch N's end: each source's offset, the
 *                              watermark bookkeeping after N
 *   commits/N                  epoch N is complete: state durable, sink published
 *   sources/<input>/N[.compact] what a source's epoch N took (the file
 *                              source's files), every 10th one compact
 *   state/<shard>/N.delta      what epoch N changed in the shard
 *   state/<shard>/N.snapshot   the shard after epoch N, whole
 *
 * An epoch, on the control thread (control/engine.c):
 *   1. its results are in: sl_ckpt_epoch() queues offsets/N, the sources'
 *      log entries and the state deltas (through io_uring, asynchronously);
 *   2. once sl_ckpt_durable(N), the sink publishes N;
 *   3. sl_ckpt_commit(N) queues commits/N; sl_ckpt_committed() says when
 *      it is durable (sources may then clean what N read).
 * A maintenance thread turns deltas into snapshots every
 * min_deltas_for_snapshot batches and deletes what min_batches_to_retain no
 * longer needs, from the files alone: it never touches the live state.
 *
 * Recovery (sl_ckpt_open): the newest commit whose files are all valid (an
 * older one, said so, when the newest files are corrupt or cut short);
 * an epoch after it with offsets and no commit is adopted when the sink
 * has published it (its state was durable before the sink wrote), and is
 * otherwise handed to its sources to run again.
 */
#ifndef SL_CHECKPOINT_H
#define SL_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregator.h"
#include "ckpt_file.h" /* enum sl_ckpt_kind */
#include "format.h"
#include "plan_types.h"
#include "sink.h"
#include "source.h"

struct sl_ckpt;

/* What a restart loads; made by sl_ckpt_open, freed with the checkpoint. */
struct sl_ckpt_recovery {
	bool fresh;             /* a new checkpoint: nothing to load */
	int64_t last_commit;    /* -1: none */
	uint64_t next_batch;    /* the batch this run starts with */
	bool have_time;         /* time holds the aggregators' event time */
	struct sl_time_state time;
	uint64_t limit_left;    /* append-mode LIMIT: rows still to write */
	/* per input of the plan: whether its source left an offset (it is
	 * replayable), and what its restore() gets */
	bool has_offset[SL_PLAN_MAX_INPUTS];
	struct sl_source_restore src[SL_PLAN_MAX_INPUTS];
	/* per shard: the payloads to load, in order (a snapshot, then deltas) */
	uint32_t nshards;
	struct sl_ckpt_shard_load {
		struct sl_blob *p;
		uint32_t n;
	} *shard;
};

/* Opens (or makes) the checkpoint of `plan` (plan->sink.checkpoint) and
 * works out where the query goes on. The sink must be open: its batch base
 * is set from the checkpoint (or recorded in a new one), and what it has
 * published decides whether an uncommitted epoch is adopted. Says what it
 * found on `log` ("resuming from batch N"). NULL with err on a refusal:
 * another query's checkpoint, a changed query, a newer format, nothing
 * valid left, a directory in use by another process. */
struct sl_ckpt *sl_ckpt_open(const struct sl_plan *plan, const struct sl_sink_ops *sink_ops,
			     struct sl_sink *sink, FILE *log, char *err, size_t errlen);
const struct sl_ckpt_recovery *sl_ckpt_recovery(const struct sl_ckpt *ck);
/* The query's id (32 hex digits), kept in the metadata for its life. */
const char *sl_ckpt_query_id(const struct sl_ckpt *ck);
/* Waits for the files in flight and the maintenance thread; frees. */
void sl_ckpt_close(struct sl_ckpt *ck);

/* Whether input k's next log entry should be a compact one. */
bool sl_ckpt_log_compact_due(const struct sl_ckpt *ck, uint32_t k);

/* Epoch `batch` is complete. */
struct sl_ckpt_epoch {
	const struct sl_time_state *time; /* NULL: no aggregation */
	uint64_t limit_left;
	/* per input: replayable (offset[k] holds its offset), and its log entry
	 * (empty: none), compact or not */
	bool replayable[SL_PLAN_MAX_INPUTS];
	const struct sl_strbuf *offset[SL_PLAN_MAX_INPUTS];
	const struct sl_strbuf *log[SL_PLAN_MAX_INPUTS];
	bool log_compact[SL_PLAN_MAX_INPUTS];
	/* every shard's delta (their buffers are taken: set NULL) */
	struct sl_state_delta **deltas;
	uint32_t ndeltas;
};
/* Queues the epoch's files. 0, or -errno with err. */
int sl_ckpt_epoch(struct sl_ckpt *ck, uint64_t batch, const struct sl_ckpt_epoch *ep, char *err,
		  size_t errlen);
/* Whether every file sl_ckpt_epoch queued for `batch` is durable (reaps
 * completions; false on a failure too: see sl_ckpt_error). */
bool sl_ckpt_durable(struct sl_ckpt *ck, uint64_t batch);
/* The sink has published `batch`: queue commits/batch. 0 or -errno. */
int sl_ckpt_commit(struct sl_ckpt *ck, uint64_t batch, uint64_t output_rows, char *err,
		   size_t errlen);
/* The newest batch whose commit is durable (-1: none this run). Reaps. */
int64_t sl_ckpt_committed(struct sl_ckpt *ck);
/* The first failure of a write: -errno and a message naming the file. */
int sl_ckpt_error(const struct sl_ckpt *ck, char *err, size_t errlen);
/* Waits until everything queued is durable (a clean stop). */
int sl_ckpt_drain(struct sl_ckpt *ck);

/* Checks a payload of `kind` (the bytes after a file's header) with the
 * parsers recovery uses: offsets decoded, every metadata key looked up
 * (query and id needed, no value with a NUL byte), a commit's 20 bytes, a
 * delta's or snapshot's records read to the end (state/state_codec.h), a
 * source log entry's compact byte. 0, or -EINVAL with the reason in err
 * (-EPROTONOSUPPORT for offsets of another version). For the fuzz harness
 * and the tests. */
int sl_ckpt_parse_payload(enum sl_ckpt_kind kind, const uint8_t *p, size_t n, char *err,
			  size_t errlen);

#endif
