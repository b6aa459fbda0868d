/*
 * source.h — how a source connector plugs into the ingest cores.
 *
 * A connector is one table of operations, registered by name. The engine
 * calls open() once on the control thread before the cores start, then
 * run() once on every ingest thread (index 0 .. n_ingest-1), concurrently;
 * each run() owns its part of the input (a connection, a set of files, a
 * generator's share) and returns when its part is finished or when
 * sl_ingest_should_stop() says so. close() runs on the control thread after
 * every run() has returned.
 *
 * Inside run(), a source parses records into the batch that
 * sl_ingest_batch() hands out (its columns are the source's schema, storage
 * for SL_INGEST_BATCH_ROWS rows) and calls sl_ingest_commit() when the batch
 * is full or when it has nothing more for now. Strings in the batch may point
 * into the source's own buffers: commit() copies what it keeps, so the
 * buffers may be reused as soon as commit() returns. An ARRAY column's
 * elements are the source's too: it points the column's `elem` at an
 * element vector of its own (the kafka source's headers), which commit()
 * reads and the source may refill after it.
 *
 * Epochs are cut between commits: commit() and poll() are where an ingest
 * core notices that the control thread asked for a cut and emits its
 * barriers. A source that waits for input must also wait on
 * sl_ingest_wake_fd() (an eventfd; readable when the control thread wants
 * attention) and call sl_ingest_poll() when it fires, so that a quiet input
 * never delays an epoch.
 */
#ifndef SL_SOURCE_H
#define SL_SOURCE_H

#include "plan_types.h"

#define SL_INGEST_BATCH_ROWS 1024

struct sl_ingest; /* one per ingest thread; opaque to sources */
struct sl_source; /* a connector's own state, shared by its run() calls */

/* Per-source counters, summed over ingest threads for --stats and progress.
 * Each ingest thread updates only its own copy. */
struct sl_source_stats {
	uint64_t rows;            /* records handed to the engine */
	uint64_t bytes;           /* bytes read from the input */
	uint64_t malformed;       /* records dropped as malformed (too long, unparsable) */
	uint64_t connections;     /* connections accepted or opened */
	uint64_t files_skipped;   /* file sources: files noticed, gone before read */
	uint64_t null_event_time; /* rows whose WATERMARK column is NULL: counted,
				   * in no window (filled by the ingest core) */
	/* the combiner (filled by the ingest core): rows folded into it, and
	 * the partial groups it shipped */
	uint64_t rows_combined;
	uint64_t partials_shipped;
};

/* Bytes someone else owns (checkpoint payloads handed to restore()). */
struct sl_blob {
	const void *p;
	size_t len;
};
struct sl_strbuf; /* format.h */

/* What a restart hands a replayable source (restore()). */
struct sl_source_restore {
	/* the last committed batch, in the checkpoint's numbering (the
	 * ingest cores number this run's epochs from 0 again) */
	uint64_t epoch;
	struct sl_blob offset;   /* what checkpoint() wrote for it */
	/* its log entries up to that epoch, oldest first: the newest compact
	 * one first (when there is one), then those after it */
	const struct sl_blob *logs;
	uint32_t nlogs;
	/* The epoch after it ran but was not committed, and no one saw its
	 * output: what checkpoint() wrote for it (replay.p NULL: nothing to
	 * replay) and its log entry (len 0: none). The source takes the same
	 * input again as its next epoch where it can (the same files), as
	 * Spark re-runs a batch from its offset log. */
	struct sl_blob replay;
	struct sl_blob replay_log;
};

struct sl_source_ops {
	const char *name;
	/* Check options and schema at plan time, before anything starts; on
	 * error write "line L, column C: what is wrong; what to do" to err and
	 * return -EINVAL. May be NULL. */
	int (*validate)(const struct sl_source_spec *spec, char *err, size_t errlen);
	/* Set up shared state for n_ingest threads (e.g. open a listening
	 * socket, connect). Returns NULL and fills err on failure. */
	struct sl_source *(*open)(const struct sl_source_spec *spec, const struct sl_settings *set,
				  uint32_t n_ingest, char *err, size_t errlen);
	/* Ingest thread idx's loop: returns 0 when its part of the input is
	 * finished (EOF) or a stop was asked, -errno on a fatal error (with
	 * the message set by sl_ingest_fail()). */
	int (*run)(struct sl_source *src, struct sl_ingest *in, uint32_t idx);
	void (*close)(struct sl_source *src);
	/* run() decides where epochs end: it commits an epoch's rows and
	 * waits for their cut before it goes on (the batches test source).
	 * Under trigger = 'available_now' the engine then cuts whenever rows
	 * arrived, as the default trigger does, instead of once at the end of
	 * input (Spark's AvailableNow runs several batches for a source that
	 * limits what one batch takes). */
	bool paces_epochs;
	/* run() says when it has committed all of an epoch's part
	 * (sl_ingest_epoch_done, ingest.h), and the engine cuts an epoch only
	 * once every core of such a source has said so or finished: the
	 * inputs of a UNION ALL then hand over their parts together (the
	 * batches source's sections, a file source's files per trigger). */
	bool marks_epoch_parts;
	/* Under a processing-time trigger, run() plans what a batch takes
	 * only when a trigger fires (sl_ingest_trigger_ns, ingest.h), and
	 * acknowledges each trigger once it has handed over what it planned
	 * then, or found nothing (sl_ingest_trigger_ack): the engine cuts the
	 * trigger's epoch when every such source has. Spark takes, at each
	 * trigger, what is there at that moment (the file source's files). */
	bool plans_at_triggers;
	/* The source's columns when CREATE SOURCE has no column list (the
	 * planner copies them); NULL: one column value STRING. */
	const struct sl_schema *default_schema;
	/* The source's columns when CREATE SOURCE has no column list and they
	 * depend on the options (a table's, read from the table): fills out
	 * (cols malloc'ed; the planner frees them) or returns -errno with
	 * "line L, column C: ..." in err. spec has the name, place and options,
	 * no schema. Asked before default_schema. May be NULL. */
	int (*schema_of)(const struct sl_source_spec *spec, struct sl_schema *out, char *err,
			 size_t errlen);
	/* Check the source against a query that reads it (its trigger, its
	 * output mode) at plan time, as validate() does; sink's line and
	 * column locate the error. May be NULL. */
	int (*validate_sink)(const struct sl_source_spec *src, const struct sl_sink_spec *sink,
			     char *err, size_t errlen);

	/* --- checkpoints (docs/checkpoints.md); both NULL: the source
	 * cannot be replayed, and a query restarted from its checkpoint reads
	 * it from wherever it is then (a socket: what arrives) --- */
	/* After epoch `epoch` (as the ingest cores number it, sl_ingest_epoch:
	 * from 0 in every run) is complete, on the control thread, before
	 * the sink sees it and before the cores go past the epoch after it:
	 * append to `offset` what a restart needs to go on after the epoch
	 * (the rate source's next values, the last batch of files taken), and
	 * to `log` what the epoch took that every later restart needs (the
	 * file source's names of the files it took: kept in sources/<input>/,
	 * compacted), or nothing. core_pos[0..ncores): each of the source's
	 * cores' position at its barrier for the epoch (sl_ingest_set_offset;
	 * UINT64_MAX for a core that has set none in this run: it is where
	 * restore() put it).
	 * compact: append to `log` the whole log a restart needs instead (it
	 * replaces every entry before it: Spark's compact files). 0, or -errno
	 * with the reason in err. */
	int (*checkpoint)(struct sl_source *src, uint64_t epoch, const uint64_t *core_pos,
			  uint32_t ncores, bool compact, struct sl_strbuf *offset,
			  struct sl_strbuf *log, char *err, size_t errlen);
	/* After open(), before any run(), on the control thread: go on after
	 * the last committed epoch (struct sl_source_restore). 0, or -errno
	 * with a message in err that says what does not fit (the query's
	 * options changed in a way the offsets cannot follow). */
	int (*restore)(struct sl_source *src, const struct sl_source_restore *r, char *err,
		       size_t errlen);

	/* Progress (Spark's sources[].startOffset, endOffset, latestOffset),
	 * on the control thread once epoch `epoch` is complete: append to
	 * start and end a JSON value of where the source stood before and
	 * after the epoch, and to latest the newest input it knew of when it
	 * planned it (the kafka source: {"topic":{"0":123}}); leave them empty
	 * when the epoch took nothing of this source. NULL (or empty): progress
	 * shows the rows handed over, {"rows": N}. */
	void (*progress_offsets)(struct sl_source *src, uint64_t epoch, struct sl_strbuf *start,
				 struct sl_strbuf *end, struct sl_strbuf *latest);

	/* The source's own counters beyond struct sl_source_stats (the dpdk
	 * source's drops by reason, its NIC's imissed), as totals from the
	 * start: emit(arg, name, value) for each, names [a-z0-9_]. On the
	 * control thread, for progress (sources[].counters) and --stats
	 * (stat source.NAME.COUNTER), the last time before close(). May be
	 * NULL. */
	void (*counters)(struct sl_source *src,
			 void (*emit)(void *arg, const char *name, uint64_t value), void *arg);
};

/* Registry: connectors register at start-up; lookup by name. */
void sl_source_register(const struct sl_source_ops *ops);
const struct sl_source_ops *sl_source_lookup(const char *name);
/* Names of every registered connector, comma separated, for error messages. */
void sl_source_names(char *buf, size_t len);
/* Called once by the engine; registers the built-in connectors. */
void sl_sources_register_builtin(void);

/* --- what run() may call on its ingest thread --- */

/* The batch to fill: schema columns with room for SL_INGEST_BATCH_ROWS rows,
 * nrows as filled so far. */
struct sl_chunk *sl_ingest_batch(struct sl_ingest *in);
/* Run the query's stateless part on the batch and route the rows; the batch
 * is empty again afterwards. May block while rings are full (backpressure).
 * Returns 0, or -ECANCELED when the engine is stopping (run() should return). */
int sl_ingest_commit(struct sl_ingest *in);
/* Handle a pending epoch cut or stop. Returns 0, or -ECANCELED as above. */
int sl_ingest_poll(struct sl_ingest *in);
/* A replayable source's position on this core (what checkpoint() reads
 * back, per core): set it before each sl_ingest_commit() to where the input
 * stands after the rows of that commit; the core keeps the one in force at
 * each barrier. Sources that track their epochs themselves need not. */
void sl_ingest_set_offset(struct sl_ingest *in, uint64_t pos);
bool sl_ingest_should_stop(const struct sl_ingest *in);
int sl_ingest_wake_fd(const struct sl_ingest *in);
/* Consume the eventfd's counter after it fired (then call sl_ingest_poll). */
void sl_ingest_wake_ack(struct sl_ingest *in);
struct sl_source_stats *sl_ingest_stats(struct sl_ingest *in);
uint32_t sl_ingest_index(const struct sl_ingest *in);
/* Record why run() fails; the engine prints it and exits 1. */
void sl_ingest_fail(struct sl_ingest *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Say something to the user on stderr (connection events, retries). */
void sl_ingest_log(struct sl_ingest *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Options helpers for connectors (case-insensitive keys). */
const struct sl_option *sl_options_find(const struct sl_options *o, const char *key);
/* Whether an option's value is a secret (its key's last part is secret_key,
 * session_token or password: s3.secret_key, kafka.sasl.password): never
 * printed; EXPLAIN and the query texts kept star it out. */
bool sl_option_is_secret(const char *key);
/* An option with two spellings, sluice's and Spark's (`max_offsets_per_trigger`
 * and `maxOffsetsPerTrigger`; spark NULL: one): *out the one given (NULL:
 * neither), *shown its name as written in messages. Both given: -EINVAL,
 * "line L, column C: options 'a' and 'b' are the same setting ..." in err. */
int sl_options_pick(const struct sl_options *opts, const char *name, const char *spark,
		    const struct sl_option **out, const char **shown, char *err, size_t errlen);
/* Parse helpers: 0 or -EINVAL with "line L, column C: ..." in err. */
int sl_option_bool(const struct sl_option *opt, bool *out, char *err, size_t errlen);
int sl_option_u64(const struct sl_option *opt, uint64_t min, uint64_t max, uint64_t *out,
		  char *err, size_t errlen);
/* Interval strings as Spark writes them: "1 second", "100 milliseconds",
 * "10 minutes", "2 hours", "1 day", "500 ms"; also "interval 10 minutes". */
int sl_parse_interval(const char *s, uint64_t *us_out);
/* Sizes: a whole number, optional spaces, optional unit B, K, M, G, T
 * (powers of 1024, with or without a trailing B or iB): "100M", "1 GiB".
 * 0 or -EINVAL. */
int sl_parse_size(const char *s, uint64_t *out);

/* --- pacing, for sources that hand rows over at a rate --- */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t sl_source_now_ns(void);
/* When row g of a run that started at `start_ns` is due at `rps` rows a second. */
static inline uint64_t sl_source_due_ns(uint64_t start_ns, uint64_t g, uint64_t rps)
{
	return start_ns + (uint64_t)((unsigned __int128)g * 1000000000ULL / rps);
}
/* Sleep until `until_ns` (CLOCK_MONOTONIC), answering the engine's cuts
 * meanwhile (sl_ingest_wake_fd, sl_ingest_poll) so that a waiting source
 * never delays an epoch. 0, or -ECANCELED when the engine is stopping. */
int sl_source_wait_until(struct sl_ingest *in, uint64_t until_ns);

#endif
