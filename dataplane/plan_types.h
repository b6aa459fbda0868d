/*
 * plan_types.h — the physical plan of one streaming query, as the planner
 * (control/plan.c) hands it to the cores. Read-only once the query starts;
 * shared by every thread.
 *
 * Data flow of a plan:
 *
 *   source chunk (schema = source columns)
 *     -> ops[0] -> ops[1] -> ...            stateless, on ingest cores (joins
 *                                           with static tables included)
 *     -> if has_agg:  keys[] and aggs[].arg evaluated on the pipeline output,
 *                     routed by key hash to the shard's aggregator core;
 *                     the aggregate chunk is [keys..., aggs...]
 *        else:        the pipeline output itself
 *     -> having (on the aggregate chunk, aggregates only)
 *     -> out[] projected                    the sink's columns
 *     -> order[] / limit                    (complete mode on the control thread)
 *     -> sink
 *
 * Column references in each expression index the chunk the expression runs
 * on: ops[i] on the output of ops[i-1]; keys and agg args on the pipeline
 * output; having and out on the aggregate chunk (or the pipeline output when
 * there is no aggregation).
 */
#ifndef SL_PLAN_TYPES_H
#define SL_PLAN_TYPES_H

#include <stddef.h>

#include "expr.h"

#define SL_NAME_MAX 128

/* key = value options of WITH (...), in the order written. */
struct sl_option {
	char *key;   /* lower case */
	char *value; /* as written, quotes removed */
	uint32_t line, column;
};

struct sl_options {
	uint32_t n;
	struct sl_option *v;
};

struct sl_column_def {
	char name[SL_NAME_MAX];
	enum sl_type type;
	enum sl_type elem_type;
};

struct sl_schema {
	uint32_t ncols;
	struct sl_column_def *cols;
};

enum sl_op_kind {
	SL_OP_FILTER,  /* keep rows where pred is true (null = false) */
	SL_OP_PROJECT, /* output columns = exprs[] */
	SL_OP_EXPLODE, /* output = input columns + one column: each element of
			* gen (an ARRAY) on its own row, the input row repeated;
			* rows whose array is null or empty vanish (explode,
			* not explode_outer) */
	SL_OP_JOIN_STATIC, /* join: each row with the rows of a static table
			    * whose keys equal its own (struct sl_join) */
};

/* Spark's join types that a stream may meet a static table with (the
 * stream is the side whose rows are kept where a type keeps rows). */
enum sl_join_type {
	SL_JOIN_INNER,       /* the matches only */
	SL_JOIN_LEFT_OUTER,  /* stream LEFT JOIN table: every stream row; NULL
			      * table columns where none matches */
	SL_JOIN_RIGHT_OUTER, /* table RIGHT JOIN stream: the same, with the
			      * table's columns first */
	SL_JOIN_LEFT_SEMI,   /* the stream rows that have a match, once each */
	SL_JOIN_LEFT_ANTI,   /* the stream rows that have none */
};

struct sl_static_table; /* a loaded table's rows (static_table.h) */
struct sl_static_index; /* a loaded table's rows by join key (static_table.h) */

/*
 * SL_OP_JOIN_STATIC: a hash join of the op's input (the stream) with a
 * static table, on the ingest cores (Spark's BroadcastHashJoin). Owned by
 * its op. Row r of the input matches table row t when every probe[k] of r
 * equals build[k] of t (both sides have one type per key; a NULL key
 * never matches) and residual, over the pair, is true. Then:
 *   INNER          one output row per match;
 *   LEFT/RIGHT     the same, or one row with NULL table columns for an
 *   OUTER          input row without a match;
 *   LEFT SEMI/ANTI the input row once if it has a match / has none.
 * Output column j is, from src[j] = i: input column i when i < nin, else
 * table column i - nin (for a USING join the keys come first, Spark's
 * order; a table column is NULL on an unmatched row).
 */
struct sl_join {
	uint32_t table;          /* the plan's tables[table] */
	enum sl_join_type type;
	bool build_left;         /* the table was written first (EXPLAIN's BuildLeft) */
	uint32_t nkeys;          /* >= 1 */
	struct sl_expr **probe;  /* [nkeys] over the op's input */
	struct sl_expr **build;  /* [nkeys] over the table's columns */
	struct sl_expr *residual;/* over [input columns..., table columns...]; NULL: none */
	uint32_t nin;            /* columns of the op's input */
	uint32_t *src;           /* [out.ncols] */
	/* sl_plan_prepare: the table's rows by the build keys (shared by the
	 * ops that join one table on the same keys); NULL before */
	struct sl_static_index *index;
};

struct sl_op {
	enum sl_op_kind kind;
	struct sl_expr *pred;   /* FILTER */
	uint32_t nexprs;        /* PROJECT */
	struct sl_expr **exprs; /* PROJECT */
	struct sl_expr *gen;    /* EXPLODE */
	struct sl_join *join;   /* JOIN_STATIC */
	struct sl_schema out;   /* the schema after this op */
};

enum sl_agg_fn {
	SL_AGG_COUNT_STAR,
	SL_AGG_COUNT,  /* non-null values of arg */
	SL_AGG_SUM,    /* INT/BIGINT -> BIGINT, DOUBLE -> DOUBLE; null when no non-null value */
	SL_AGG_MIN,
	SL_AGG_MAX,
	SL_AGG_AVG,    /* -> DOUBLE */
	SL_AGG_APPROX_COUNT_DISTINCT, /* HyperLogLog++ of non-null arg -> BIGINT (state/hll.h) */
};

struct sl_agg_spec {
	enum sl_agg_fn fn;
	struct sl_expr *arg; /* NULL for count(*) */
	enum sl_type type;   /* result type */
	char name[SL_NAME_MAX];
	/* APPROX_COUNT_DISTINCT: Spark's relativeSD; 0 means its default 0.05 */
	double rsd;
};

enum sl_output_mode {
	SL_OUTPUT_APPEND,
	SL_OUTPUT_UPDATE,
	SL_OUTPUT_COMPLETE,
};

enum sl_trigger_kind {
	SL_TRIGGER_DEFAULT,       /* next epoch as soon as the last is done */
	SL_TRIGGER_INTERVAL,      /* every interval_us */
	SL_TRIGGER_AVAILABLE_NOW, /* what is there, then stop */
	SL_TRIGGER_ONCE,          /* what is there, as one epoch, then stop */
};

struct sl_order_key {
	uint32_t col;     /* index into out[] */
	bool desc;
	bool nulls_first; /* Spark: ASC -> NULLS FIRST, DESC -> NULLS LAST */
};

/* A conjunct of a query's WHERE, `column op literal`, handed to its source
 * (struct sl_source_spec.filters). op: SL_FN_EQ, _LT, _LE, _GT, _GE (the
 * literal of the column's type: never NULL, a STRING or BINARY literal's
 * bytes in str[0..len), lit.v.str unused as the spec is copied by value),
 * or SL_FN_IS_NULL, _IS_NOT_NULL (no literal). */
#define SL_SOURCE_MAX_FILTERS 16
#define SL_SOURCE_FILTER_STR 64
struct sl_source_filter {
	uint32_t col;
	enum sl_fn op;
	struct sl_value lit;
	uint32_t len;
	char str[SL_SOURCE_FILTER_STR];
};

struct sl_source_spec {
	char name[SL_NAME_MAX];
	char connector[SL_NAME_MAX];
	struct sl_schema schema;
	struct sl_options options;
	/* WATERMARK col DELAY 'interval': the event-time column (a TIMESTAMP
	 * of schema) and the delay; watermark_col < 0 when there is none */
	int32_t watermark_col;
	int64_t watermark_delay_us;
	/* the trigger of the query that reads the source (a plan's copy; the
	 * planner sets it from the sink): a source that reads what is there
	 * and ends under available_now needs it at open() */
	enum sl_trigger_kind trigger;
	uint32_t line, column; /* of CREATE SOURCE */
	/* Set by the planner once the query is lowered (0 and none in a spec
	 * it did not make): what a source may leave out of its reads.
	 * unread_cols: the columns of schema that no part of the query reads
	 * (bit i: column i; columns from 64 on are always read); a source may
	 * leave them NULL in its chunks (the Parquet reader does not read
	 * their column chunks). filters: conjuncts of the query's WHERE that
	 * every row reaching the sink satisfies, over this source's own
	 * columns; a source may skip rows it can prove fail one of them (the
	 * Parquet reader skips row groups by their statistics), never more. */
	uint64_t unread_cols;
	uint32_t nfilters;
	struct sl_source_filter filters[SL_SOURCE_MAX_FILTERS];
};

/*
 * A static table of CREATE TABLE, as a plan carries it: the definition
 * (a source spec: name, connector 'file', columns, the WITH options: path,
 * format and the format's options; watermark_col -1; the line and column
 * of CREATE TABLE) and, once sl_plan_prepare has loaded it at query start,
 * its rows. Read-only from then until sl_plan_release.
 */
struct sl_table_spec {
	struct sl_source_spec def;
	struct sl_static_table *data; /* NULL until loaded */
};

struct sl_sink_spec {
	char name[SL_NAME_MAX];
	char connector[SL_NAME_MAX];
	enum sl_output_mode mode;
	enum sl_trigger_kind trigger;
	uint64_t trigger_interval_us;
	uint32_t num_rows; /* console: rows shown, default 20 */
	uint32_t truncate; /* console: 0 = off, default 20 */
	/* checkpoint = 'dir' (Spark's checkpointLocation): the directory,
	 * or "" for none; its line and column for messages */
	char checkpoint[4096];
	uint32_t checkpoint_line, checkpoint_column;
	struct sl_options options;
	uint32_t line, column;
};

/* How the watermarks of several inputs combine (Spark's
 * spark.sql.streaming.multipleWatermarkPolicy). */
enum sl_watermark_policy {
	SL_WM_POLICY_MIN, /* the slowest input's: nothing of any input is late early */
	SL_WM_POLICY_MAX, /* the fastest input's: state kept shortest */
};

/* Engine settings: SET statements, then command-line flags over them. */
struct sl_settings {
	uint32_t n_ingest;
	int ingest_cores[64]; /* cpu ids; -1 = not pinned */
	uint32_t n_agg;
	int agg_cores[64];
	uint32_t shards;          /* 0 = n_agg */
	uint64_t max_line_length; /* bytes, default 1 MiB */
	uint32_t ring_slots;      /* per ingest->aggregator ring, power of two */
	uint32_t blocks_per_core; /* record blocks in each ingest core's pool */
	bool combiner;            /* pre-aggregate on the ingest cores (default true) */
	enum sl_watermark_policy wm_policy; /* several inputs with a WATERMARK */
	/* checkpoints: a shard's snapshot every this many deltas (Spark's
	 * stateStore.minDeltasForSnapshot, 10); batches kept recoverable
	 * (spark.sql.streaming.minBatchesToRetain, 100) */
	uint32_t min_deltas_for_snapshot;
	uint32_t min_batches_to_retain;
};

/* Inputs one query reads (a UNION ALL of up to this many queries). */
#define SL_PLAN_MAX_INPUTS 16

/* One input of a query: a source and the stateless operators that bring
 * its rows to the columns the query's keys, aggregates and outputs read
 * (pipeline_out, the same in every input of a plan). */
struct sl_input {
	struct sl_source_spec source;
	uint32_t nops;
	struct sl_op *ops;
	struct sl_schema pipeline_out; /* schema after the last op */
};

struct sl_plan {
	/* The first input, also reachable as plan->source, plan->ops, ... (the
	 * two members of the union are the same four fields). A UNION ALL
	 * adds the others in unions[0..nunions): each reads its own source
	 * into the same pipeline_out columns. */
	union {
		struct sl_input input;
		struct {
			struct sl_source_spec source;
			uint32_t nops;
			struct sl_op *ops;
			struct sl_schema pipeline_out; /* schema after the last op */
		};
	};
	uint32_t nunions;
	struct sl_input *unions;
	/* the static tables the inputs' joins read (struct sl_join.table) */
	uint32_t ntables;
	struct sl_table_spec *tables;

	bool has_agg;
	int32_t window_key; /* the key that is a window(), or -1 */
	/* window_key is a session_window(): it is the last key, the other
	 * keys alone route and group (the hash skips the session), and the
	 * aggregator keeps each group's sessions, merging them as rows bridge
	 * them */
	bool session;
	/* window_key is a window over the source's WATERMARK column: state is
	 * evicted and append mode emits as the watermark passes window ends */
	bool window_on_event_time;
	/* when window_on_event_time (append, update): the aggregate that counts
	 * a group's rows (count(*), added hidden when the query has none), so
	 * that a late partial aggregate from an ingest core's combiner is
	 * counted as the rows it holds; -1 otherwise */
	int32_t rows_agg;
	uint32_t nkeys;
	struct sl_expr **keys;
	struct sl_schema key_schema;
	uint32_t naggs;
	struct sl_agg_spec *aggs;

	struct sl_expr *having; /* NULL: none */
	uint32_t nout;
	struct sl_expr **out;
	struct sl_schema out_schema; /* the sink's columns */

	uint32_t norder;
	struct sl_order_key *order;
	int64_t limit; /* -1: none */

	struct sl_sink_spec sink;
	struct sl_settings settings;
	char *text; /* the statements this plan came from */
};

_Static_assert(offsetof(struct sl_plan, source) == offsetof(struct sl_plan, input.source) &&
		       offsetof(struct sl_plan, nops) == offsetof(struct sl_plan, input.nops) &&
		       offsetof(struct sl_plan, ops) == offsetof(struct sl_plan, input.ops) &&
		       offsetof(struct sl_plan, pipeline_out) ==
			       offsetof(struct sl_plan, input.pipeline_out),
	       "plan->source, ops, ... are plan->input's fields");

/* Inputs of a plan: 1 + the UNION ALL inputs after the first. */
static inline uint32_t sl_plan_ninputs(const struct sl_plan *plan)
{
	return 1 + plan->nunions;
}

/* Input k < sl_plan_ninputs(plan). */
static inline const struct sl_input *sl_plan_input(const struct sl_plan *plan, uint32_t k)
{
	return k == 0 ? &plan->input : &plan->unions[k - 1];
}

/* Whether any input has a WATERMARK (its source's watermark_col >= 0). */
static inline bool sl_plan_has_watermark(const struct sl_plan *plan)
{
	for (uint32_t k = 0; k < sl_plan_ninputs(plan); k++)
		if (sl_plan_input(plan, k)->source.watermark_col >= 0)
			return true;
	return false;
}

/* Windows on the WATERMARK column in append or update mode: finished windows
 * are evicted (and late rows dropped), and a batch without input runs when
 * the watermark moves. Complete mode keeps every window. */
static inline bool sl_plan_evicts(const struct sl_plan *plan)
{
	return plan->has_agg && plan->window_on_event_time && plan->window_key >= 0 &&
	       plan->sink.mode != SL_OUTPUT_COMPLETE;
}

#endif
