/*
 * fuzz_sql.c — libFuzzer harness for the SQL front end: lexer, parser and
 * planner (sl_sql_compile), then everything the engine does with a plan
 * before and after the cores start, on the control thread and without
 * threads:
 *
 *   - sl_plan_explain() of every plan;
 *   - sl_plan_prepare() (LIKE matchers, Hyperscan databases);
 *   - one chunk of source rows with awkward values (empty strings, invalid
 *     UTF-8, INT_MIN, NaN, NULLs) through the plan's stateless pipeline
 *     (sl_pipeline_run), as an ingest core runs it;
 *   - for an aggregation: the group keys and the aggregate arguments, each
 *     row's key encoded, decoded and encoded again (it must round-trip),
 *     then an aggregate chunk of those keys and made-up aggregate values
 *     through HAVING and the select list, as an aggregator core runs it;
 *   - without aggregation: the select list on the pipeline's output,
 *     shipped row by row through a record block (block.h), as an ingest
 *     core ships it to the control thread;
 *   - the result into a batch, sorted and cut as ORDER BY / LIMIT say, and
 *     written by the console sink (to /dev/null);
 *   - then every allocation freed (LeakSanitizer reports what is not).
 *
 * A kafka source's headers column (include_headers = true) gets rows of
 * Kafka headers: none (NULL), empty keys and values, null values, bytes
 * that are not UTF-8.
 *
 * Besides the built-in connectors, a source "typed" takes any column list
 * (BOOLEAN, INT, BIGINT, DOUBLE, STRING, TIMESTAMP) and a sink
 * "append_only" takes append mode only.
 *
 * The input is the SQL text (a NUL byte ends it, as it would end a C
 * string read from a file). Checks: an error is "line L, column C: ..."; a
 * plan that compiles also prepares (unless its regex is refused, with a
 * positioned message), evaluates without -EINVAL (which would be a planner
 * bug), and fits the engine's fixed column bound (SL_BLOCK_MAX_COLS).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "block.h"
#include "format.h"
#include "key.h"
#include "pipeline.h"
#include "plan.h"
#include "sink.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_sql: check failed at line %d: %s\n",     \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

#define ROWS 8

/* ------------------------------------------------------------ chunks */

static const char *const str_rows[ROWS] = {
	"hello world", "", "a,b;;c  d", "\xc3\x84\xc3\x96\xc3\xbc \xc3\x9f \xc7\x85 \xe2\x82\xac",
	"\xff\xfe\x80 bad \xe2\x82", "  -12.5e3 ", "2024-02-29 23:59:59.123456", NULL,
};
static const int64_t int_rows[ROWS] = { 0, 1, -1, INT32_MAX, INT32_MIN, 7, 42, 0 };
static const int64_t bigint_rows[ROWS] = { 0, 1, -1, INT64_MAX, INT64_MIN, INT32_MIN, 1000000, 0 };
static const int64_t ts_rows[ROWS] = {
	0, 1, -1, INT64_MAX, INT64_MIN, 1709251199123456, -62135596800000000, 0,
};

/* Kafka headers: row r holds r % 4 of them, from hdr_keys/hdr_vals
 * (NULL: a null value). */
static const char *const hdr_keys[] = { "trace", "", "\xff\xfe", "k" };
static const char *const hdr_vals[] = { "ab", NULL, "", "\x00\x01\xc3" };
static const uint32_t hdr_val_lens[] = { 2, 0, 0, 3 }; /* a NUL byte among them */

static void fill_headers(struct sl_vec *v, struct sl_eval_ctx *ctx)
{
	struct sl_vec *e = sl_eval_ctx_alloc(ctx, sizeof(*e));
	CHECK(e != NULL);
	memset(e, 0, sizeof(*e));
	e->type = SL_TYPE_HEADER;
	uint32_t n = 0;
	for (uint32_t r = 0; r < ROWS; r++)
		n += r % 4;
	e->v.hdr = sl_eval_ctx_alloc(ctx, n * sizeof(struct sl_header));
	v->v.arr = sl_eval_ctx_alloc(ctx, ROWS * sizeof(struct sl_span));
	CHECK(e->v.hdr != NULL && v->v.arr != NULL);
	uint32_t k = 0;
	for (uint32_t r = 0; r < ROWS; r++) {
		v->v.arr[r] = (struct sl_span){ k, r % 4 };
		v->nulls[r] = v->nulls[r] || r % 4 == 0; /* no headers: NULL, as Spark */
		for (uint32_t i = 0; i < r % 4; i++, k++) {
			uint32_t vi = (r + 2 * i) % 4;
			const char *kk = hdr_keys[(r + i) % 4], *vv = hdr_vals[vi];
			e->v.hdr[k] = (struct sl_header){
				.key = { kk, (uint32_t)strlen(kk) },
				.value = { vv ? vv : "", hdr_val_lens[vi] },
				.value_null = vv == NULL,
			};
		}
	}
	v->elem_type = SL_TYPE_HEADER;
	v->elem = e;
}

/* A column of ROWS rows of type t; row ROWS - 1 is NULL. Storage from ctx. */
static void fill_column(struct sl_vec *v, enum sl_type t, enum sl_type elem,
			struct sl_eval_ctx *ctx)
{
	memset(v, 0, sizeof(*v));
	v->type = t;
	if (t == SL_TYPE_ARRAY && elem == SL_TYPE_HEADER) {
		v->nulls = sl_eval_ctx_alloc(ctx, ROWS);
		CHECK(v->nulls != NULL);
		memset(v->nulls, 0, ROWS);
		v->nulls[ROWS - 1] = 1;
		fill_headers(v, ctx);
		return;
	}
	if (t == SL_TYPE_NULL || t == SL_TYPE_ARRAY || (unsigned)t >= SL_TYPE__COUNT) {
		v->type = SL_TYPE_NULL;
		return;
	}
	v->nulls = sl_eval_ctx_alloc(ctx, ROWS);
	CHECK(v->nulls != NULL);
	memset(v->nulls, 0, ROWS);
	v->nulls[ROWS - 1] = 1;
	switch (t) {
	case SL_TYPE_BOOLEAN:
		v->v.b = sl_eval_ctx_alloc(ctx, ROWS);
		CHECK(v->v.b != NULL);
		for (uint32_t i = 0; i < ROWS; i++)
			v->v.b[i] = (uint8_t)(i & 1);
		break;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP: {
		const int64_t *src = t == SL_TYPE_INT ? int_rows : t == SL_TYPE_BIGINT ? bigint_rows
										      : ts_rows;
		v->v.i64 = sl_eval_ctx_alloc(ctx, ROWS * sizeof(int64_t));
		CHECK(v->v.i64 != NULL);
		memcpy(v->v.i64, src, ROWS * sizeof(int64_t));
		break;
	}
	case SL_TYPE_DOUBLE: {
		const double d[ROWS] = { 0.0, -0.0, NAN, INFINITY, -INFINITY, 1e308, 3.5, 0 };
		v->v.f64 = sl_eval_ctx_alloc(ctx, ROWS * sizeof(double));
		CHECK(v->v.f64 != NULL);
		memcpy(v->v.f64, d, sizeof(d));
		break;
	}
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY: /* the kafka source's key and value */
		v->v.str = sl_eval_ctx_alloc(ctx, ROWS * sizeof(struct sl_str));
		CHECK(v->v.str != NULL);
		for (uint32_t i = 0; i < ROWS; i++)
			v->v.str[i] = str_rows[i] ? (struct sl_str){ str_rows[i],
								     (uint32_t)strlen(str_rows[i]) }
						  : (struct sl_str){ NULL, 0 };
		break;
	default:
		break;
	}
}

static uint64_t touch_str(struct sl_str s)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < s.len; i++)
		sum += (uint8_t)s.ptr[i];
	return sum;
}

/* Read every value of a vector, so that ASan sees a dangling pointer. */
static uint64_t touch(const struct sl_vec *v, uint32_t nrows)
{
	uint64_t sum = 0;
	if (v->type == SL_TYPE_NULL)
		return 0;
	for (uint32_t r = 0; r < nrows; r++) {
		if (sl_vec_is_null(v, r))
			continue;
		switch (v->type) {
		case SL_TYPE_BOOLEAN:
			CHECK(v->v.b[r] <= 1);
			sum += v->v.b[r];
			break;
		case SL_TYPE_INT:
			CHECK(v->v.i64[r] >= INT32_MIN && v->v.i64[r] <= INT32_MAX);
			sum += (uint64_t)v->v.i64[r];
			break;
		case SL_TYPE_BIGINT:
		case SL_TYPE_TIMESTAMP:
			sum += (uint64_t)v->v.i64[r];
			break;
		case SL_TYPE_DOUBLE: {
			uint64_t bits;
			memcpy(&bits, &v->v.f64[r], sizeof(bits));
			sum += bits;
			break;
		}
		case SL_TYPE_STRING:
		case SL_TYPE_BINARY:
			for (uint32_t i = 0; i < v->v.str[r].len; i++)
				sum += (uint8_t)v->v.str[r].ptr[i];
			break;
		case SL_TYPE_HEADER:
			CHECK(v->v.hdr[r].value_null <= 1);
			sum += touch_str(v->v.hdr[r].key);
			if (!v->v.hdr[r].value_null)
				sum += touch_str(v->v.hdr[r].value);
			break;
		case SL_TYPE_ARRAY: {
			struct sl_span sp = v->v.arr[r];
			CHECK(v->elem != NULL);
			CHECK(v->elem->type == v->elem_type || v->elem->type == SL_TYPE_NULL);
			for (uint32_t i = 0; i < sp.len; i++) {
				const struct sl_vec *e = v->elem;
				uint32_t k = sp.off + i;
				if (sl_vec_is_null(e, k))
					continue;
				if (e->type == SL_TYPE_STRING)
					sum += touch_str(e->v.str[k]);
				else if (e->type == SL_TYPE_HEADER)
					sum += touch_str(e->v.hdr[k].key) +
					       (e->v.hdr[k].value_null ? 0 : touch_str(e->v.hdr[k].value));
			}
			break;
		}
		default:
			break;
		}
	}
	return sum;
}

static void check_vec(const struct sl_vec *v, const struct sl_expr *e, uint32_t nrows)
{
	CHECK(v->type == e->type || v->type == SL_TYPE_NULL);
	(void)touch(v, nrows);
}

/* ------------------------------------------------------------ keys */

/* Encode every row's key, decode it into cols, encode again: same bytes. */
static void keys_round_trip(const struct sl_plan *plan, const struct sl_vec *keys,
			    uint32_t nrows, struct sl_vec *decoded, struct sl_eval_ctx *ctx)
{
	uint32_t nk = plan->nkeys;
	CHECK(plan->key_schema.ncols == nk);
	for (uint32_t k = 0; k < nk; k++) {
		struct sl_vec *d = &decoded[k];
		memset(d, 0, sizeof(*d));
		d->type = plan->key_schema.cols[k].type;
		d->nulls = sl_eval_ctx_alloc(ctx, nrows ? nrows : 1);
		d->v.i64 = sl_eval_ctx_alloc(ctx, (nrows ? nrows : 1) * sizeof(struct sl_str));
		CHECK(d->nulls != NULL && d->v.i64 != NULL);
		memset(d->nulls, 1, nrows ? nrows : 1);
	}
	for (uint32_t r = 0; r < nrows; r++) {
		size_t need = sl_key_encode(keys, nk, r, NULL, 0);
		uint8_t *buf = sl_eval_ctx_alloc(ctx, need ? need : 1);
		CHECK(buf != NULL);
		CHECK(sl_key_encode(keys, nk, r, buf, need) == need);
		struct sl_str kstr;
		uint64_t hash;
		uint8_t *bbuf = sl_eval_ctx_alloc(ctx, need ? need : 1);
		CHECK(bbuf != NULL);
		CHECK(sl_key_encode_burst(keys, nk, r, 1, bbuf, need, &kstr, &hash) == 1);
		CHECK(kstr.len == need && memcmp(kstr.ptr, buf, need) == 0);
		CHECK(hash == sl_key_hash(buf, need));
		CHECK(sl_key_decode(buf, need, &plan->key_schema, decoded, r) == 0);
		uint8_t *again = sl_eval_ctx_alloc(ctx, need ? need : 1);
		CHECK(again != NULL);
		CHECK(sl_key_encode(decoded, nk, r, again, need) == need);
		CHECK(memcmp(again, buf, need) == 0);
	}
}

/* ------------------------------------------------------------ one plan */

static void run_post(const struct sl_plan *plan, const struct sl_chunk *in,
		     struct sl_eval_ctx *ctx, struct sl_batch *out)
{
	/* what the aggregator (or, without aggregation, the ingest core and
	 * the control thread) does: HAVING, then the select list */
	struct sl_op post[2];
	uint32_t npost = 0;
	if (plan->having != NULL)
		post[npost++] = (struct sl_op){ .kind = SL_OP_FILTER, .pred = plan->having };
	post[npost++] = (struct sl_op){ .kind = SL_OP_PROJECT, .nexprs = plan->nout,
					.exprs = plan->out, .out = plan->out_schema };
	struct sl_chunk res;
	int rc = sl_pipeline_run(post, npost, in, ctx, &res);
	CHECK(rc == 0);
	CHECK(res.ncols == plan->nout);
	for (uint32_t k = 0; k < res.ncols; k++)
		check_vec(&res.cols[k], plan->out[k], res.nrows);
	if (plan->has_agg) {
		CHECK(sl_batch_append_chunk(out, &res) == 0);
		return;
	}
	/* an ingest core ships the rows in record blocks (arrays included):
	 * one block that fits them all, then the control thread's append */
	enum sl_type types[SL_BLOCK_MAX_COLS], elems[SL_BLOCK_MAX_COLS];
	for (uint32_t k = 0; k < res.ncols; k++) {
		types[k] = plan->out_schema.cols[k].type;
		elems[k] = plan->out_schema.cols[k].elem_type;
		/* a NULL-typed vector ships as its column's type, all null */
		CHECK(res.cols[k].type == types[k] || res.cols[k].type == SL_TYPE_NULL);
	}
	size_t heap = 0, nelems = 0;
	for (uint32_t r = 0; r < res.nrows; r++) {
		heap += sl_block_row_bytes(res.cols, res.ncols, r);
		nelems += sl_block_row_elems(res.cols, res.ncols, r);
	}
	struct sl_block *blk = sl_block_create_arrays(res.ncols, types, elems, SL_BLOCK_ROWS,
						      (uint32_t)nelems, (uint32_t)heap);
	CHECK(blk != NULL);
	for (uint32_t r = 0; r <= res.nrows; r++) {
		if (r < res.nrows && sl_block_append_row(blk, res.cols, r, 0) == 0)
			continue;
		/* full (rows), or the end: the consumer takes the block */
		struct sl_chunk bc = { .nrows = blk->nrows, .ncols = blk->ncols, .cols = blk->cols };
		for (uint32_t k = 0; k < bc.ncols; k++)
			(void)touch(&bc.cols[k], bc.nrows);
		CHECK(sl_batch_append_chunk(out, &bc) == 0);
		if (r == res.nrows)
			break;
		CHECK(blk->nrows == SL_BLOCK_ROWS);
		sl_block_reset(blk);
		CHECK(sl_block_append_row(blk, res.cols, r, 0) == 0);
	}
	sl_block_destroy(blk);
}

static void run_plan(struct sl_plan *plan)
{
	/* what sl_ingest_create and the aggregator rely on */
	CHECK(plan->nout == plan->out_schema.ncols);
	CHECK(plan->source.schema.ncols <= SL_BLOCK_MAX_COLS);
	CHECK(plan->has_agg || plan->nout <= SL_BLOCK_MAX_COLS);
	CHECK(plan->nkeys <= SL_BLOCK_MAX_COLS);
	CHECK(plan->naggs <= SL_BLOCK_MAX_COLS);
	uint32_t shipped = plan->has_agg ? 1 : plan->nout;
	for (uint32_t j = 0; plan->has_agg && j < plan->naggs; j++)
		shipped += plan->aggs[j].arg != NULL;
	CHECK(shipped <= SL_BLOCK_MAX_COLS);
	CHECK(plan->settings.shards > 0);

	struct sl_eval_ctx *ctx = sl_eval_ctx_create();
	CHECK(ctx != NULL);
	struct sl_batch *batch = sl_batch_create(&plan->out_schema);
	CHECK(batch != NULL);

	const struct sl_schema *ss = &plan->source.schema;
	struct sl_vec *src_cols = sl_eval_ctx_alloc(ctx, (ss->ncols + 1) * sizeof(struct sl_vec));
	CHECK(src_cols != NULL);
	for (uint32_t c = 0; c < ss->ncols; c++)
		fill_column(&src_cols[c], ss->cols[c].type, ss->cols[c].elem_type, ctx);
	struct sl_chunk src = { .nrows = ROWS, .ncols = ss->ncols, .cols = src_cols };

	struct sl_chunk piped;
	int rc = sl_pipeline_run(plan->ops, plan->nops, &src, ctx, &piped);
	CHECK(rc == 0);
	CHECK(piped.ncols == plan->pipeline_out.ncols);
	for (uint32_t c = 0; c < piped.ncols; c++)
		(void)touch(&piped.cols[c], piped.nrows);

	if (plan->has_agg) {
		uint32_t n = piped.nrows;
		struct sl_vec keys[SL_BLOCK_MAX_COLS];
		for (uint32_t k = 0; k < plan->nkeys; k++) {
			CHECK(sl_expr_eval(plan->keys[k], &piped, ctx, &keys[k]) == 0);
			check_vec(&keys[k], plan->keys[k], n);
			CHECK(sl_key_type_supported(keys[k].type));
		}
		for (uint32_t j = 0; j < plan->naggs; j++) {
			if (plan->aggs[j].arg == NULL)
				continue;
			struct sl_vec arg;
			CHECK(sl_expr_eval(plan->aggs[j].arg, &piped, ctx, &arg) == 0);
			check_vec(&arg, plan->aggs[j].arg, n);
		}
		/* the aggregate chunk: decoded keys, then made-up aggregate
		 * values of each aggregate's type (one group per input row) */
		struct sl_vec agg_cols[2 * SL_BLOCK_MAX_COLS]; /* nkeys + naggs */
		keys_round_trip(plan, keys, n, agg_cols, ctx);
		struct sl_eval_ctx *vals = sl_eval_ctx_create();
		CHECK(vals != NULL);
		uint32_t rows = n < ROWS ? n : ROWS;
		for (uint32_t j = 0; j < plan->naggs; j++)
			fill_column(&agg_cols[plan->nkeys + j], plan->aggs[j].type, SL_TYPE_NULL,
				    vals);
		struct sl_chunk aggc = { .nrows = rows, .ncols = plan->nkeys + plan->naggs,
					 .cols = agg_cols };
		if (plan->nkeys == 0)
			aggc.nrows = 1; /* a global aggregate: one group */
		run_post(plan, &aggc, ctx, batch);
		sl_eval_ctx_destroy(vals);
	} else {
		CHECK(plan->having == NULL);
		run_post(plan, &piped, ctx, batch);
	}

	/* the control thread: ORDER BY, LIMIT, the sink */
	if (plan->norder > 0) {
		for (uint32_t k = 0; k < plan->norder; k++)
			CHECK(plan->order[k].col < plan->nout);
		CHECK(sl_batch_sort(batch, plan->order, plan->norder) == 0);
	}
	if (plan->limit >= 0 && (uint64_t)plan->limit < batch->nrows)
		sl_batch_truncate(batch, (uint32_t)plan->limit);

	const struct sl_sink_ops *sops = sl_sink_lookup(plan->sink.connector);
	CHECK(sops != NULL);
	FILE *devnull = fopen("/dev/null", "w");
	CHECK(devnull != NULL);
	char err[512];
	struct sl_sink *sink = NULL;
	if (sops->open != NULL)
		sink = sops->open(&plan->sink, &plan->out_schema, devnull, err, sizeof(err));
	if (sink != NULL) {
		CHECK(sops->write(sink, 1, batch) == 0);
		sops->close(sink);
	}
	fclose(devnull);

	sl_batch_destroy(batch);
	sl_eval_ctx_destroy(ctx);
}

/* ------------------------------------------------------------ entry */

/* The built-in sources have the fixed schema (value STRING); this one takes
 * any column list, as the file and Kafka sources will, so that typed
 * columns reach the planner and the evaluator. A sink that takes append
 * only, as the file sink will, exercises the output-mode checks. Neither
 * opens anything. */
static const struct sl_source_ops typed_source = { .name = "typed" };
static const struct sl_sink_ops append_only_sink = { .name = "append_only",
						     .supports_append = true };

static bool positioned(const char *err)
{
	unsigned line, column;
	return sscanf(err, "line %u, column %u: ", &line, &column) == 2 && line > 0 && column > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool registered;
	if (!registered) {
		sl_sources_register_builtin();
		sl_sinks_register_builtin();
		sl_source_register(&typed_source);
		sl_sink_register(&append_only_sink);
		registered = true;
	}

	char *text = malloc(size + 1);
	CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';

	struct sl_settings base;
	sl_settings_default(&base, 2);
	struct sl_program *prog = NULL;
	char err[1024];
	int rc = sl_sql_compile(text, &base, &prog, err, sizeof(err));
	if (rc < 0) {
		CHECK(rc == -EINVAL);
		CHECK(prog == NULL);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		if (!positioned(err)) {
			fprintf(stderr, "fuzz_sql: error without a position: %s\n", err);
			abort();
		}
		free(text);
		return 0;
	}
	CHECK(prog != NULL);
	for (uint32_t i = 0; i < prog->nexplains; i++)
		CHECK(prog->explains[i] != NULL);

	for (uint32_t i = 0; i < prog->nplans; i++) {
		struct sl_plan *plan = prog->plans[i];
		char *explain = sl_plan_explain(plan);
		CHECK(explain != NULL);
		free(explain);
		char perr[1024];
		rc = sl_plan_prepare(plan, perr, sizeof(perr));
		if (rc < 0) {
			/* a pattern Hyperscan refuses is a user error at start-up */
			CHECK(rc == -EINVAL);
			if (!positioned(perr)) {
				fprintf(stderr, "fuzz_sql: prepare error without a position: %s\n", perr);
				abort();
			}
			continue;
		}
		run_plan(plan);
		/* prepared twice after a release, as a restarted query would be */
		sl_plan_release(plan);
		rc = sl_plan_prepare(plan, perr, sizeof(perr));
		CHECK(rc == 0);
	}
	sl_program_free(prog);
	free(text);
	return 0;
}
