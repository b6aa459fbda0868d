/*
 * source_rate.c — the "rate" source connector: Spark's rate source
 * (RateStreamProvider), rows (timestamp TIMESTAMP, value BIGINT) with
 * value = 0, 1, 2, ... made at rows_per_second, after an optional ramp-up.
 *
 * Rows: row v has value v and the timestamp start + sl_rate_due_us(v)
 * (source_rate.h: Spark's valueAtSecond, rows spread evenly over their
 * second, whole milliseconds). start is the wall clock, truncated to
 * milliseconds as Spark's creationTimeMs, when open() runs: when the query
 * starts. A row is handed to the engine no earlier than its timestamp
 * (paced on CLOCK_MONOTONIC from the same instant), so that a trigger of
 * one second sees about rows_per_second rows a batch.
 *
 * Threads: value v belongs to partition v % num_partitions (Spark's
 * RateStreamMicroBatchPartitionReader); ingest thread i of n serves the
 * partitions i, i + n, i + 2n, ... and emits its values in increasing
 * order: for each block [b, b + num_partitions) of values, b + p for each
 * of its partitions p. A thread with no partition returns at once.
 *
 * End: never, as Spark's, unless option `rows` (sluice's own) is set: then
 * values stop at rows - 1 and run() returns, the end of the input. Under
 * trigger = 'available_now' an endless rate source is refused at plan time
 * (validate_sink); with `rows` the query ends after the last row.
 *
 * Memory: open() allocates the shared, read-only state; run() allocates
 * nothing. Waiting is on the ingest core's wake eventfd with a deadline,
 * so that a slow rate never delays an epoch cut.
 */
#include "source_rate.h"

#include "format.h"
#include "source.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* --- the formula (source_rate.h) --- */

typedef unsigned __int128 u128;

static inline uint64_t sat64(u128 x)
{
	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

static u128 value_at_second(uint64_t s, uint64_t rps, uint64_t ramp)
{
	u128 delta = rps / ((u128)ramp + 1);
	if (s <= ramp)
		return delta * s * ((u128)s + 1) / 2; /* s * (s + 1) is even: exact */
	return delta * ramp * ((u128)ramp + 1) / 2 + (u128)(s - ramp) * rps;
}

uint64_t sl_rate_value_at_second(uint64_t s, uint64_t rows_per_second, uint64_t ramp_up_s)
{
	if (rows_per_second == 0)
		return 0;
	return sat64(value_at_second(s, rows_per_second, ramp_up_s));
}

uint64_t sl_rate_second_of(uint64_t v, uint64_t rps, uint64_t ramp)
{
	if (rps == 0)
		return UINT64_MAX;
	/* value_at_second(ramp + v / rps + 1) > v: search [0, that) */
	u128 lo = 0, hi = (u128)ramp + v / rps + 1;
	while (hi - lo > 1) {
		u128 mid = lo + (hi - lo) / 2;
		if (value_at_second((uint64_t)mid, rps, ramp) <= v)
			lo = mid;
		else
			hi = mid;
	}
	return (uint64_t)lo;
}

/* Row v's due time in ms, given its second s and that second's rows
 * [first, end): s * 1000 + round(i * 1000 / n), half up. */
static inline u128 due_ms(uint64_t v, uint64_t s, u128 first, u128 end)
{
	u128 i = v - first, n = end - first;
	return (u128)s * 1000 + (i * 2000 + n) / (2 * n);
}

uint64_t sl_rate_due_us(uint64_t v, uint64_t rps, uint64_t ramp)
{
	if (rps == 0)
		return UINT64_MAX;
	uint64_t s = sl_rate_second_of(v, rps, ramp);
	return sat64(due_ms(v, s, value_at_second(s, rps, ramp),
			   value_at_second(s + 1, rps, ramp)) * 1000);
}

/* --- options --- */

#define RATE_KNOWN                                                                             \
	"rows_per_second (rowsPerSecond), ramp_up_time (rampUpTime), num_partitions "           \
	"(numPartitions), rows"
#define RATE_COLUMNS "(timestamp TIMESTAMP, value BIGINT)"

struct rate_params {
	uint64_t rows_per_second; /* > 0 (1) */
	uint64_t ramp_up_s;       /* whole seconds (0) */
	uint64_t partitions;      /* 0 = the number of ingest threads (0) */
	uint64_t rows;            /* 0 = endless (0) */
};

/* Spark's schema, also the source's when CREATE SOURCE has no column list. */
static struct sl_column_def rate_cols[] = {
	{.name = "timestamp", .type = SL_TYPE_TIMESTAMP},
	{.name = "value", .type = SL_TYPE_BIGINT},
};
static const struct sl_schema rate_schema = {.ncols = 2, .cols = rate_cols};

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static int parse_params(const struct sl_options *opts, struct rate_params *p, char *err,
			size_t errlen)
{
	static const char *const keys[] = {
		"connector",     "rows_per_second", "rowspersecond", "ramp_up_time",
		"rampuptime",    "num_partitions",  "numpartitions", "rows",
	};
	*p = (struct rate_params){.rows_per_second = 1};
	for (uint32_t i = 0; i < opts->n; i++) {
		const struct sl_option *o = &opts->v[i];
		bool known = false;
		for (size_t k = 0; !known && k < sizeof(keys) / sizeof(keys[0]); k++)
			known = strcasecmp(o->key, keys[k]) == 0;
		if (!known) {
			snprintf(err, errlen,
				 "line %u, column %u: unknown option '%s' for connector 'rate' (known "
				 "options: " RATE_KNOWN ")",
				 o->line, o->column, o->key);
			return -EINVAL;
		}
	}
	const struct sl_option *o;
	const char *k;
	if (sl_options_pick(opts, "rows_per_second", "rowsPerSecond", &o, &k, err, errlen) < 0)
		return -EINVAL;
	if (o != NULL && (sl_option_u64(o, 1, INT64_MAX, &p->rows_per_second, err, errlen) < 0)) {
		snprintf(err, errlen,
			 "line %u, column %u: option '%s' must be a whole number of rows greater "
			 "than 0 (Spark: rowsPerSecond must be positive), not '%s'",
			 o->line, o->column, k, o->value);
		return -EINVAL;
	}
	if (sl_options_pick(opts, "ramp_up_time", "rampUpTime", &o, &k, err, errlen) < 0)
		return -EINVAL;
	if (o != NULL) {
		/* Spark's JavaUtils.timeStringAsSec: a bare number is seconds,
		 * finer units are cut to whole seconds */
		uint64_t us = 0;
		int rc = 0;
		if (all_digits(o->value)) {
			errno = 0;
			unsigned long long n = strtoull(o->value, NULL, 10);
			if (errno != 0 || n > INT64_MAX)
				rc = -ERANGE;
			p->ramp_up_s = n;
		} else {
			rc = sl_parse_interval(o->value, &us);
			p->ramp_up_s = us / 1000000;
		}
		if (rc < 0) {
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' must be a duration such as '5 "
				 "seconds', '10s' or '2 minutes' (whole seconds; a bare number is "
				 "seconds), not '%s'",
				 o->line, o->column, k, o->value);
			return -EINVAL;
		}
		if (p->ramp_up_s > INT64_MAX / p->rows_per_second) {
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' is %" PRIu64 " seconds; at %" PRIu64
				 " rows per second the row numbers would overflow after %" PRIu64
				 " seconds (Spark's 'Integer overflow' check); make it shorter",
				 o->line, o->column, k, p->ramp_up_s, p->rows_per_second,
				 (uint64_t)INT64_MAX / p->rows_per_second);
			return -EINVAL;
		}
	}
	if (sl_options_pick(opts, "num_partitions", "numPartitions", &o, &k, err, errlen) < 0)
		return -EINVAL;
	if (o != NULL && sl_option_u64(o, 1, INT32_MAX, &p->partitions, err, errlen) < 0) {
		snprintf(err, errlen,
			 "line %u, column %u: option '%s' must be a whole number from 1 to %d "
			 "(Spark: numPartitions must be positive), not '%s'",
			 o->line, o->column, k, INT32_MAX, o->value);
		return -EINVAL;
	}
	if ((o = sl_options_find(opts, "rows")) != NULL &&
	    sl_option_u64(o, 1, INT64_MAX, &p->rows, err, errlen) < 0) {
		snprintf(err, errlen,
			 "line %u, column %u: option 'rows' must be a whole number from 1 to %" PRId64
			 " (the rows to make before the input ends; leave it out for an endless "
			 "stream), not '%s'",
			 o->line, o->column, INT64_MAX, o->value);
		return -EINVAL;
	}
	return 0;
}

static void schema_text(const struct sl_schema *sc, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (uint32_t c = 0; c < sc->ncols && used < len; c++) {
		int w = snprintf(buf + used, len - used, "%s%s %s", c ? ", " : "", sc->cols[c].name,
				 sl_type_name(sc->cols[c].type));
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static int rate_validate(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	const struct sl_schema *sc = &spec->schema;
	bool same = sc->ncols == rate_schema.ncols;
	for (uint32_t c = 0; same && c < sc->ncols; c++)
		same = strcasecmp(sc->cols[c].name, rate_schema.cols[c].name) == 0 &&
		       sc->cols[c].type == rate_schema.cols[c].type;
	if (!same) {
		char got[256];
		schema_text(sc, got, sizeof(got));
		snprintf(err, errlen,
			 "line %u, column %u: source '%s': the rate connector makes the columns "
			 RATE_COLUMNS ", as Spark's rate source, not (%s); leave the column list "
			 "out or write exactly " RATE_COLUMNS,
			 spec->line, spec->column, spec->name, got);
		return -EINVAL;
	}
	struct rate_params p;
	return parse_params(&spec->options, &p, err, errlen);
}

static int rate_validate_sink(const struct sl_source_spec *src, const struct sl_sink_spec *sink,
			      char *err, size_t errlen)
{
	if ((sink->trigger != SL_TRIGGER_AVAILABLE_NOW && sink->trigger != SL_TRIGGER_ONCE) ||
	    sl_options_find(&src->options, "rows") != NULL)
		return 0;
	snprintf(err, errlen,
		 "line %u, column %u: query '%s' reads the rate source '%s' with trigger = "
		 "'%s', but a rate source never runs out of rows, so the query would "
		 "never end (Spark falls back to one batch, empty on a new query); use a "
		 "processing-time trigger such as trigger = '1 second', or set rows = N on the "
		 "source to end after N rows",
		 sink->line, sink->column, sink->name, src->name,
		 sink->trigger == SL_TRIGGER_ONCE ? "once" : "available_now");
	return -EINVAL;
}

/* --- the connector --- */

/* Shared by the run() calls; written only in open(). */
struct sl_source {
	char name[SL_NAME_MAX];
	struct rate_params p;
	uint64_t end;        /* values [0, end); UINT64_MAX: endless */
	uint32_t n_ingest;
	uint64_t partitions;
	int64_t start_us;    /* wall clock at the start, whole ms, in us */
	uint64_t start_ns;   /* CLOCK_MONOTONIC at the same instant */
	/* a restart (restore()): each partition's next value when the
	 * checkpoint was written; NULL: from the start */
	uint64_t *was_next; /* [partitions] */
	uint64_t was_min_block, was_max_block;
};


static struct sl_source *rate_open(const struct sl_source_spec *spec,
				   const struct sl_settings *set, uint32_t n_ingest, char *err,
				   size_t errlen)
{
	(void)set;
	if (rate_validate(spec, err, errlen) < 0)
		return NULL;
	struct sl_source *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "rate source '%s': out of memory", spec->name);
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", spec->name);
	parse_params(&spec->options, &s->p, err, errlen);
	s->end = s->p.rows ? s->p.rows : UINT64_MAX;
	s->n_ingest = n_ingest ? n_ingest : 1;
	s->partitions = s->p.partitions ? s->p.partitions : s->n_ingest;
	/* the start, as Spark's creationTimeMs: the wall clock in whole ms;
	 * pacing runs on the monotonic clock read at the same moment, so a
	 * row is never out before its timestamp (start_us <= the real start) */
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	s->start_ns = sl_source_now_ns();
	s->start_us = ((int64_t)rt.tv_sec * 1000 + rt.tv_nsec / 1000000) * 1000;
	return s;
}

static void rate_close(struct sl_source *s)
{
	free(s->was_next);
	free(s);
}

/* --- checkpoints ---
 * The offset: u64 version 2, u64 start_us (the first run's creation time:
 * a restarted stream keeps its timestamps), u64 partitions np, then each
 * partition's next value (every value of partition q below it was made).
 * Per partition, not per thread, so that a restart with another number of
 * ingest cores goes on exactly: thread i serves the partitions q with
 * q % n == i, and its position (sl_ingest_set_offset) is its next value v:
 * of its partitions, those at or after v's in v's block are next in that
 * block, the others in the block after. */

#define RATE_CKPT_MAX_PARTITIONS 65536

static uint64_t part_next(uint64_t v, uint64_t q, uint64_t np)
{
	uint64_t block = v - v % np;
	return q >= v % np ? block + q : block + np + q;
}

static int rate_checkpoint(struct sl_source *s, uint64_t epoch, const uint64_t *core_pos,
			   uint32_t ncores, bool compact, struct sl_strbuf *offset,
			   struct sl_strbuf *log, char *err, size_t errlen)
{
	(void)epoch, (void)compact, (void)log;
	const uint64_t np = s->partitions;
	if (np > RATE_CKPT_MAX_PARTITIONS) {
		snprintf(err, errlen,
			 "rate source '%s' has %" PRIu64 " partitions; with a checkpoint it may have "
			 "at most %d (num_partitions)",
			 s->name, np, RATE_CKPT_MAX_PARTITIONS);
		return -EINVAL;
	}
	int rc = sl_strbuf_put_u64(offset, 2);
	rc |= sl_strbuf_put_u64(offset, (uint64_t)s->start_us);
	rc |= sl_strbuf_put_u64(offset, np);
	for (uint64_t q = 0; q < np; q++) {
		uint64_t t = q % s->n_ingest;
		uint64_t next = 0;
		if (t < ncores && core_pos[t] != UINT64_MAX)
			next = part_next(core_pos[t], q, np);
		/* a thread may skip past values made before the restart */
		if (s->was_next != NULL && s->was_next[q] > next)
			next = s->was_next[q];
		if (next < q)
			next = q;
		rc |= sl_strbuf_put_u64(offset, next);
	}
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Whether value v was made before the restart. */
static bool rate_was_made(const struct sl_source *s, uint64_t v)
{
	return v < s->was_next[v % s->partitions];
}

static int rate_restore(struct sl_source *s, const struct sl_source_restore *r, char *err,
			size_t errlen)
{
	if (r->offset.p == NULL)
		return 0;
	const uint8_t *p = r->offset.p, *end = p + r->offset.len;
	uint64_t ver = 0, start = 0, np = 0;
	if (!sl_get_u64(&p, end, &ver) || ver != 2 || !sl_get_u64(&p, end, &start) ||
	    !sl_get_u64(&p, end, &np) || np == 0 || np > RATE_CKPT_MAX_PARTITIONS ||
	    (uint64_t)(end - p) != np * 8) {
		snprintf(err, errlen,
			 "the checkpoint's offset of rate source '%s' does not parse; give the "
			 "query a new checkpoint directory",
			 s->name);
		return -EINVAL;
	}
	if (np != s->partitions) {
		snprintf(err, errlen,
			 "rate source '%s' had %" PRIu64 " partitions when the checkpoint was written "
			 "and has %" PRIu64 " now (num_partitions, or the ingest cores when it is "
			 "not set); a restart keeps them: set num_partitions = %" PRIu64,
			 s->name, np, s->partitions, np);
		return -EINVAL;
	}
	s->was_next = malloc(np * sizeof(*s->was_next));
	if (s->was_next == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->was_min_block = UINT64_MAX;
	s->was_max_block = 0;
	for (uint64_t q = 0; q < np; q++) {
		sl_get_u64(&p, end, &s->was_next[q]);
		uint64_t b = s->was_next[q] - s->was_next[q] % np;
		if (b < s->was_min_block)
			s->was_min_block = b;
		if (b > s->was_max_block)
			s->was_max_block = b;
	}
	/* the stream goes on as if it had never stopped: its timestamps from
	 * the first start, and rows due since then due at once */
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	int64_t now_us = (int64_t)rt.tv_sec * 1000000 + rt.tv_nsec / 1000;
	uint64_t now_ns = sl_source_now_ns();
	int64_t since = now_us - (int64_t)start;
	s->start_us = (int64_t)start;
	s->start_ns = since > 0 && (uint64_t)since * 1000 < now_ns ? now_ns - (uint64_t)since * 1000
								  : 0;
	return 0;
}

/* Where a thread stands in the stream: the second of its next value and
 * that second's rows [first, end), so that the due time of increasing
 * values costs a division, not a search. */
struct rate_cursor {
	uint64_t s;
	u128 first, end;
};

static void cursor_seek(struct rate_cursor *c, const struct sl_source *s, uint64_t v)
{
	c->s = sl_rate_second_of(v, s->p.rows_per_second, s->p.ramp_up_s);
	c->first = value_at_second(c->s, s->p.rows_per_second, s->p.ramp_up_s);
	c->end = value_at_second(c->s + 1, s->p.rows_per_second, s->p.ramp_up_s);
}

/* Row v's due time in us after the start; v never goes down. */
static inline uint64_t cursor_due_us(struct rate_cursor *c, const struct sl_source *s, uint64_t v)
{
	if (v >= c->end)
		cursor_seek(c, s, v); /* once a second, or a jump over empty seconds */
	u128 n = c->end - c->first;
	if (n <= UINT32_MAX && c->s < ((uint64_t)1 << 40)) {
		/* the same in 64 bits (no 128-bit division): i < n < 2^32 */
		uint64_t i = v - (uint64_t)c->first, n64 = (uint64_t)n;
		return (c->s * 1000 + (i * 2000 + n64) / (2 * n64)) * 1000;
	}
	return sat64(due_ms(v, c->s, c->first, c->end) * 1000);
}

/* CLOCK_MONOTONIC ns of a due time (saturating: a row centuries away) */
static inline uint64_t deadline_ns(const struct sl_source *s, uint64_t due_us)
{
	return sat64((u128)due_us * 1000 + s->start_ns);
}

static int rate_run(struct sl_source *s, struct sl_ingest *in, uint32_t idx)
{
	struct sl_chunk *batch = sl_ingest_batch(in);
	struct sl_source_stats *st = sl_ingest_stats(in);
	if (batch->ncols != 2 || batch->cols[0].type != SL_TYPE_TIMESTAMP ||
	    batch->cols[1].type != SL_TYPE_BIGINT) {
		sl_ingest_fail(in, "rate source '%s': the source needs the schema " RATE_COLUMNS,
			       s->name);
		return -EINVAL;
	}
	const uint64_t n = s->n_ingest, np = s->partitions;
	if (idx >= n || idx >= np)
		return 0; /* no partition is ours */
	struct sl_vec *ts = &batch->cols[0], *val = &batch->cols[1];
	/* our values: block + p for every block = 0, np, 2np, ... and each of
	 * our partitions p = idx, idx + n, ... < np, in that order */
	uint64_t block = 0, p = idx;
	/* a restart: from the oldest block any thread had not finished,
	 * skipping what was made before (until the newest such block) */
	bool skipping = s->was_next != NULL;
	if (skipping)
		block = s->was_min_block;
	uint64_t v = block + p;
	struct rate_cursor cur;
	cursor_seek(&cur, s, v);
	while (v < s->end) {
		uint64_t now_us = (sl_source_now_ns() - s->start_ns) / 1000;
		uint32_t row = batch->nrows;
		uint64_t due = 0;
		while (row < SL_INGEST_BATCH_ROWS && v < s->end) {
			if (skipping) {
				if (block > s->was_max_block) {
					skipping = false;
				} else if (rate_was_made(s, v)) {
					p += n;
					if (p >= np) {
						p = idx;
						block += np;
					}
					v = block + p;
					continue;
				}
			}
			due = cursor_due_us(&cur, s, v);
			if (due > now_us)
				break;
			ts->v.i64[row] = s->start_us + (int64_t)due;
			val->v.i64[row] = (int64_t)v;
			if (ts->nulls != NULL)
				ts->nulls[row] = 0;
			if (val->nulls != NULL)
				val->nulls[row] = 0;
			row++;
			p += n;
			if (p >= np) {
				p = idx;
				block += np;
			}
			v = block + p;
		}
		st->rows += row - batch->nrows;
		batch->nrows = row;
		sl_ingest_set_offset(in, v); /* our next value: where a restart goes on */
		if (row > 0 && sl_ingest_commit(in) == -ECANCELED)
			return 0;
		if (v < s->end && due > now_us && sl_source_wait_until(in, deadline_ns(s, due)) < 0)
			return 0;
	}
	return 0;
}

const struct sl_source_ops sl_source_rate_ops = {
	.name = "rate",
	.validate = rate_validate,
	.open = rate_open,
	.run = rate_run,
	.close = rate_close,
	.default_schema = &rate_schema,
	.validate_sink = rate_validate_sink,
	.checkpoint = rate_checkpoint,
	.restore = rate_restore,
};
