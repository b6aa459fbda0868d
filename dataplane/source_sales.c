/*
 * source_sales.c — the "sales" source connector: the retail story's sale
 * records from a seed (see source_sales.h for what the rows are).
 *
 * Rows: row r's draws come from a counter-based hash of (seed, r), one
 * mix64 per draw, so any thread can make any row and no state carries from
 * one row to the next.
 *
 * Threads: ingest thread i of n takes rows i, i+n, i+2n, ... Paced runs
 * emit global row g at start + g / rows_per_second, as the generator
 * source does; a thread that is ahead of its schedule waits on the wake
 * eventfd, so that epoch cuts are never delayed.
 *
 * Schema: the columns are store INT, counter INT, amount DOUBLE,
 * ts TIMESTAMP, the connector's default schema (CREATE SOURCE without a
 * column list). A source may also declare them, in any order, or only some
 * of them (store and counter may be BIGINT); open() maps every declared
 * column to its field.
 *
 * Epochs: under trigger = 'available_now' the engine cuts this source
 * whenever rows arrived, as under the default trigger (paces_epochs): a
 * paced run shows batch after batch and the watermark moving, as a Spark
 * source that limits what one batch takes; the query ends after the last
 * row.
 *
 * Memory: open() allocates the shared state; run() allocates nothing.
 */
#include "source_sales.h"

#include "expr.h"
#include "source.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SALES_GOLDEN 0x9E3779B97F4A7C15ULL
#define SALES_MAX_LAG_US (7LL * 86400 * 1000000) /* late_max, very_late_min */
#define SALES_MAX_SPEED 1e6
#define SALES_MAX_RPS 1000000000000ULL

/* --- the rows --- */

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A uniform draw in [0, n) from 64 random bits. */
static inline uint64_t below(uint64_t h, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)h * n) >> 64);
}

/* Draw k of a row: independent 64-bit values for k = 1, 2, ... */
static inline uint64_t draw(uint64_t key, uint64_t k)
{
	return mix64(key ^ (k * 0xD1B54A32D192ED03ULL));
}

int64_t sl_sales_clock(const struct sl_sales_params *p, uint64_t r)
{
	uint64_t rps = p->rows_per_second ? p->rows_per_second : SL_SALES_CLOCK_RPS;
	unsigned __int128 off = (unsigned __int128)r * p->speed_micro / rps;
	/* saturate rather than wrap: only absurdly long runs get here */
	int64_t room = INT64_MAX - (p->clock_start_us > 0 ? p->clock_start_us : 0);
	if (off > (unsigned __int128)room)
		off = (unsigned __int128)room;
	return p->clock_start_us + (int64_t)off;
}

void sl_sales_row(const struct sl_sales_params *p, uint64_t r, struct sl_sale *out)
{
	const uint64_t key = mix64(mix64(p->seed) + r * SALES_GOLDEN);
	const uint64_t S = p->stores;

	/* store: uniform, or for a quarter of the sales the lower of two
	 * uniform picks: a mild skew towards the low store numbers */
	uint64_t s = below(draw(key, 1), S);
	uint64_t h = draw(key, 2);
	if ((h & 3) == 0) {
		uint64_t s2 = below(h, S);
		if (s2 < s)
			s = s2;
	}
	/* counter: counters c (0-based) with c % S == s belong to store s */
	uint64_t nc = (p->counters - s + S - 1) / S;
	uint64_t c = s + below(draw(key, 3), nc) * S;
	out->store = (int32_t)(s + 1);
	out->counter = (int32_t)(c + 1);

	/* amount: 0.50 + 199.50 * u^3 for u uniform in [0, 1), in cents */
	uint64_t x = draw(key, 4) >> 43; /* 21 bits: x^3 < 2^63 */
	uint64_t x3 = x * x * x;
	out->cents = SL_SALES_MIN_CENTS +
		     (int64_t)(((unsigned __int128)x3 * (SL_SALES_MAX_CENTS - SL_SALES_MIN_CENTS + 1)) >> 63);
	out->amount = (double)out->cents / 100.0;

	/* event time */
	out->clock = sl_sales_clock(p, r);
	double u = (double)(draw(key, 5) >> 11) * 0x1.0p-53;
	uint64_t lh = draw(key, 6);
	int64_t lag = 0;
	if (u < p->very_late_share) {
		out->lateness = SL_SALE_VERY_LATE;
		lag = p->very_late_min_us + (int64_t)below(lh, (uint64_t)p->very_late_min_us + 1);
	} else if (u < p->very_late_share + p->late_share) {
		out->lateness = SL_SALE_LATE;
		lag = 1 + (int64_t)below(lh, (uint64_t)p->late_max_us);
	} else {
		out->lateness = SL_SALE_ON_TIME;
	}
	out->ts = out->clock - lag;
}

/* --- CSV --- */

static inline int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Howard Hinnant's civil_from_days: days since 1970-01-01 to y-m-d. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static inline char *put_digits(char *o, uint64_t v, unsigned width)
{
	char tmp[24];
	unsigned n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n < width)
		tmp[n++] = '0';
	while (n > 0)
		*o++ = tmp[--n];
	return o;
}

/* "YYYY-MM-DD HH:MM:SS.ffffff"; years outside 0..9999 with a sign and all
 * their digits. Returns the end. */
static char *put_ts(char *o, int64_t us)
{
	int64_t secs = floor_div(us, 1000000);
	int64_t frac = us - secs * 1000000;
	int64_t days = floor_div(secs, 86400);
	int64_t sod = secs - days * 86400;
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0) {
		*o++ = '-';
		o = put_digits(o, (uint64_t)-y, 4);
	} else {
		if (y > 9999)
			*o++ = '+';
		o = put_digits(o, (uint64_t)y, 4);
	}
	*o++ = '-';
	o = put_digits(o, m, 2);
	*o++ = '-';
	o = put_digits(o, d, 2);
	*o++ = ' ';
	o = put_digits(o, (uint64_t)(sod / 3600), 2);
	*o++ = ':';
	o = put_digits(o, (uint64_t)(sod / 60 % 60), 2);
	*o++ = ':';
	o = put_digits(o, (uint64_t)(sod % 60), 2);
	*o++ = '.';
	return put_digits(o, (uint64_t)frac, 6);
}

size_t sl_sales_csv(const struct sl_sale *s, char *buf)
{
	char *o = buf;
	o = put_digits(o, (uint64_t)s->store, 1);
	*o++ = ',';
	o = put_digits(o, (uint64_t)s->counter, 1);
	*o++ = ',';
	o = put_digits(o, (uint64_t)(s->cents / 100), 1);
	*o++ = '.';
	o = put_digits(o, (uint64_t)(s->cents % 100), 2);
	*o++ = ',';
	o = put_ts(o, s->ts);
	*o++ = '\n';
	return (size_t)(o - buf);
}

/* --- options --- */

void sl_sales_params_default(struct sl_sales_params *p)
{
	*p = (struct sl_sales_params){
		.stores = 20,
		.counters = 500,
		.rows_per_second = 2000,
		.rows = 0,
		.seed = 1,
		.late_share = 0.05,
		.very_late_share = 0.005,
		.late_max_us = 8LL * 60 * 1000000,
		.very_late_min_us = 20LL * 60 * 1000000,
		.clock_start_us = 1709283600LL * 1000000, /* 2024-03-01 09:00:00 UTC */
		.speed_micro = 60ULL * 1000000,
	};
}

static const char *const sales_keys[] = {
	"stores",     "counters",        "rows_per_second", "rows",        "seed",
	"late_share", "late_max",        "very_late_share", "very_late_min", "clock_start",
	"speed",
};
#define SALES_KNOWN                                                                      \
	"stores, counters, rows_per_second, rows, seed, late_share, late_max, "          \
	"very_late_share, very_late_min, clock_start, speed"

/* "line L, column C: option 'key' <message>" for a WITH option, "--key
 * <message>" for a command-line flag (line 0). Returns -EINVAL. */
__attribute__((format(printf, 4, 5))) static int opt_err(const struct sl_option *o, char *err,
							   size_t errlen, const char *fmt, ...)
{
	int n;
	if (o->line != 0) {
		n = snprintf(err, errlen, "line %u, column %u: option '%s' ", o->line, o->column,
			     o->key);
	} else {
		char flag[64];
		size_t k = 0;
		for (; o->key[k] != '\0' && k + 1 < sizeof(flag); k++)
			flag[k] = o->key[k] == '_' ? '-' : o->key[k];
		flag[k] = '\0';
		n = snprintf(err, errlen, "--%s ", flag);
	}
	if (n >= 0 && (size_t)n < errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int opt_u64(const struct sl_option *o, uint64_t min, uint64_t max, uint64_t *out, char *err,
		   size_t errlen)
{
	const char *s = o->value;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < min || v > max)
		return opt_err(o, err, errlen,
			       "must be a whole number from %" PRIu64 " to %" PRIu64 ", not '%s'",
			       min, max, s);
	*out = v;
	return 0;
}

static int opt_share(const struct sl_option *o, double *out, char *err, size_t errlen)
{
	const char *s = o->value;
	char *end = NULL;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || !(v >= 0.0 && v <= 1.0))
		return opt_err(o, err, errlen,
			       "must be a share from 0 to 1 such as 0.05 (5%% of the rows), not '%s'",
			       s);
	*out = v;
	return 0;
}

static int opt_lag(const struct sl_option *o, int64_t *out, char *err, size_t errlen)
{
	uint64_t us;
	if (sl_parse_interval(o->value, &us) < 0 || us < 1 || us > (uint64_t)SALES_MAX_LAG_US)
		return opt_err(o, err, errlen,
			       "must be an interval from 1 microsecond to 7 days such as "
			       "'8 minutes', not '%s'",
			       o->value);
	*out = (int64_t)us;
	return 0;
}

/* The text as Spark's CAST(text AS TIMESTAMP) reads it; 0 or -EINVAL. */
static int parse_timestamp_text(const char *text, int64_t *out)
{
	struct sl_str str = {text, (uint32_t)strlen(text)};
	struct sl_vec in = {.type = SL_TYPE_STRING, .v.str = &str};
	struct sl_chunk chunk = {.nrows = 1, .ncols = 1, .cols = &in};
	struct sl_expr col = {.kind = SL_EXPR_COLUMN, .type = SL_TYPE_STRING, .col = 0};
	struct sl_expr *arg = &col;
	struct sl_expr cast = {.kind = SL_EXPR_CALL, .type = SL_TYPE_TIMESTAMP, .fn = SL_FN_CAST,
			       .nargs = 1, .args = &arg};
	struct sl_eval_ctx *ctx = sl_eval_ctx_create();
	if (ctx == NULL)
		return -ENOMEM;
	struct sl_vec res;
	int rc = sl_expr_eval(&cast, &chunk, ctx, &res);
	if (rc == 0 && (res.type != SL_TYPE_TIMESTAMP || sl_vec_is_null(&res, 0)))
		rc = -EINVAL;
	if (rc == 0)
		*out = res.v.i64[0];
	sl_eval_ctx_destroy(ctx);
	return rc;
}

int sl_sales_params_parse(const struct sl_options *opts, struct sl_sales_params *p, char *err,
			  size_t errlen)
{
	sl_sales_params_default(p);
	for (uint32_t i = 0; i < opts->n; i++) {
		const struct sl_option *o = &opts->v[i];
		bool known = strcasecmp(o->key, "connector") == 0;
		for (size_t k = 0; !known && k < sizeof(sales_keys) / sizeof(sales_keys[0]); k++)
			known = strcasecmp(o->key, sales_keys[k]) == 0;
		if (!known) {
			snprintf(err, errlen,
				 "line %u, column %u: unknown option '%s' for connector 'sales' "
				 "(known options: " SALES_KNOWN ")",
				 o->line, o->column, o->key);
			return -EINVAL;
		}
	}
	const struct sl_option *o, *o_stores, *o_counters;
	uint64_t v;
	if ((o_stores = sl_options_find(opts, "stores")) != NULL) {
		if (opt_u64(o_stores, 1, SL_SALES_MAX_STORES, &v, err, errlen) < 0)
			return -EINVAL;
		p->stores = (uint32_t)v;
	}
	if ((o_counters = sl_options_find(opts, "counters")) != NULL) {
		if (opt_u64(o_counters, 1, SL_SALES_MAX_COUNTERS, &v, err, errlen) < 0)
			return -EINVAL;
		p->counters = (uint32_t)v;
	}
	if (p->counters < p->stores) {
		o = o_counters != NULL ? o_counters : o_stores;
		return opt_err(o, err, errlen,
			       "asks for %u counters over %u stores; every store needs a counter: "
			       "set counters to at least stores",
			       p->counters, p->stores);
	}
	if ((o = sl_options_find(opts, "rows_per_second")) != NULL &&
	    opt_u64(o, 0, SALES_MAX_RPS, &p->rows_per_second, err, errlen) < 0)
		return -EINVAL;
	if ((o = sl_options_find(opts, "rows")) != NULL &&
	    opt_u64(o, 0, UINT64_MAX / 2, &p->rows, err, errlen) < 0)
		return -EINVAL;
	if ((o = sl_options_find(opts, "seed")) != NULL &&
	    opt_u64(o, 0, UINT64_MAX, &p->seed, err, errlen) < 0)
		return -EINVAL;
	if ((o = sl_options_find(opts, "late_share")) != NULL &&
	    opt_share(o, &p->late_share, err, errlen) < 0)
		return -EINVAL;
	const struct sl_option *o_vls = sl_options_find(opts, "very_late_share");
	if (o_vls != NULL && opt_share(o_vls, &p->very_late_share, err, errlen) < 0)
		return -EINVAL;
	if (p->late_share + p->very_late_share > 1.0) {
		o = o_vls != NULL ? o_vls : sl_options_find(opts, "late_share");
		return opt_err(o, err, errlen,
			       "makes late_share + very_late_share = %g; the two shares are parts "
			       "of all rows and add up to at most 1",
			       p->late_share + p->very_late_share);
	}
	if ((o = sl_options_find(opts, "late_max")) != NULL &&
	    opt_lag(o, &p->late_max_us, err, errlen) < 0)
		return -EINVAL;
	if ((o = sl_options_find(opts, "very_late_min")) != NULL &&
	    opt_lag(o, &p->very_late_min_us, err, errlen) < 0)
		return -EINVAL;
	if ((o = sl_options_find(opts, "clock_start")) != NULL) {
		int64_t t;
		/* years 1000..8999: the CSV's four-digit years, with room to run */
		if (parse_timestamp_text(o->value, &t) < 0 || t < -30610224000LL * 1000000 ||
		    t >= 221845392000LL * 1000000)
			return opt_err(o, err, errlen,
				       "must be a timestamp from year 1000 to 8999 such as "
				       "'2024-03-01 09:00:00' (UTC), not '%s'",
				       o->value);
		p->clock_start_us = t;
	}
	if ((o = sl_options_find(opts, "speed")) != NULL) {
		char *end = NULL;
		double sp = strtod(o->value, &end);
		if (end == o->value || *end != '\0' || !(sp * 1e6 >= 1.0 && sp <= SALES_MAX_SPEED))
			return opt_err(o, err, errlen,
				       "must be the simulated seconds per real second, a number "
				       "from 0.000001 to 1000000 such as 60 (a minute a second), "
				       "not '%s'",
				       o->value);
		p->speed_micro = (uint64_t)llround(sp * 1e6);
	}
	return 0;
}

/* --- the connector --- */

enum sales_field { F_STORE, F_COUNTER, F_AMOUNT, F_TS, F_COUNT };

static const struct {
	const char *name;
	enum sl_type type, alt; /* alt: also accepted */
} sales_cols[F_COUNT] = {
	[F_STORE] = {"store", SL_TYPE_INT, SL_TYPE_BIGINT},
	[F_COUNTER] = {"counter", SL_TYPE_INT, SL_TYPE_BIGINT},
	[F_AMOUNT] = {"amount", SL_TYPE_DOUBLE, SL_TYPE_DOUBLE},
	[F_TS] = {"ts", SL_TYPE_TIMESTAMP, SL_TYPE_TIMESTAMP},
};

#define SALES_SCHEMA "(store INT, counter INT, amount DOUBLE, ts TIMESTAMP)"

/* The columns of a source declared without a column list (the planner
 * copies them). */
static struct sl_column_def sales_default_cols[F_COUNT] = {
	{.name = "store", .type = SL_TYPE_INT},
	{.name = "counter", .type = SL_TYPE_INT},
	{.name = "amount", .type = SL_TYPE_DOUBLE},
	{.name = "ts", .type = SL_TYPE_TIMESTAMP},
};
static const struct sl_schema sales_default_schema = {.ncols = F_COUNT,
						      .cols = sales_default_cols};

/* Shared by the run() calls; written only in open(). */
struct sl_source {
	char name[SL_NAME_MAX];
	struct sl_sales_params p;
	uint32_t n_ingest;
	uint32_t ncols;
	uint8_t field[F_COUNT]; /* schema column c holds field[c] */
};

/* Every column is one of the four, with its type; fills field[] when not
 * NULL. */
static int check_schema(const struct sl_source_spec *spec, uint8_t *field, char *err, size_t errlen)
{
	const struct sl_schema *sc = &spec->schema;
	if (sc->ncols == 1 && strcmp(sc->cols[0].name, "value") == 0 &&
	    sc->cols[0].type == SL_TYPE_STRING) {
		snprintf(err, errlen,
			 "line %u, column %u: the sales connector makes the columns " SALES_SCHEMA
			 ", not (value STRING); leave out the column list, or declare them: "
			 "CREATE SOURCE %s " SALES_SCHEMA " WITH (connector = 'sales', ...)",
			 spec->line, spec->column, spec->name);
		return -EINVAL;
	}
	if (sc->ncols > F_COUNT) {
		snprintf(err, errlen,
			 "line %u, column %u: source '%s' declares %u columns; the sales connector "
			 "makes at most the four of " SALES_SCHEMA,
			 spec->line, spec->column, spec->name, sc->ncols);
		return -EINVAL;
	}
	for (uint32_t c = 0; c < sc->ncols; c++) {
		uint32_t f;
		for (f = 0; f < F_COUNT; f++)
			if (strcasecmp(sc->cols[c].name, sales_cols[f].name) == 0)
				break;
		if (f == F_COUNT) {
			snprintf(err, errlen,
				 "line %u, column %u: source '%s' declares column '%s', which the "
				 "sales connector does not make (its columns: " SALES_SCHEMA ")",
				 spec->line, spec->column, spec->name, sc->cols[c].name);
			return -EINVAL;
		}
		enum sl_type t = sc->cols[c].type;
		if (t != sales_cols[f].type && t != sales_cols[f].alt) {
			snprintf(err, errlen,
				 "line %u, column %u: column '%s' of source '%s' is %s; the sales "
				 "connector makes it %s " SALES_SCHEMA,
				 spec->line, spec->column, sc->cols[c].name, spec->name,
				 sl_type_name(t), sl_type_name(sales_cols[f].type));
			return -EINVAL;
		}
		if (field != NULL)
			field[c] = (uint8_t)f;
	}
	return 0;
}

static int sales_validate(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	struct sl_sales_params p;
	if (check_schema(spec, NULL, err, errlen) < 0)
		return -EINVAL;
	return sl_sales_params_parse(&spec->options, &p, err, errlen);
}

static void sales_close(struct sl_source *s)
{
	free(s);
}

static struct sl_source *sales_open(const struct sl_source_spec *spec,
				    const struct sl_settings *set, uint32_t n_ingest, char *err,
				    size_t errlen)
{
	(void)set;
	struct sl_source *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "sales source '%s': out of memory", spec->name);
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", spec->name);
	if (check_schema(spec, s->field, err, errlen) < 0 ||
	    sl_sales_params_parse(&spec->options, &s->p, err, errlen) < 0) {
		sales_close(s);
		return NULL;
	}
	s->ncols = spec->schema.ncols;
	s->n_ingest = n_ingest ? n_ingest : 1;
	return s;
}




/* The length of the row's CSV line without writing it: the bytes a row
 * stands for in the stats, as `sluice gen-sales` prints it. */
static inline size_t csv_len(const struct sl_sale *sale)
{
	/* four-digit years: years 1000..9999 */
	static const int64_t y1000 = -30610224000LL * 1000000, y10000 = 253402300800LL * 1000000;
	if (sale->ts < y1000 || sale->ts >= y10000) {
		char buf[SL_SALES_CSV_MAX];
		return sl_sales_csv(sale, buf);
	}
	size_t n = 1 + 1 + 3 + 1 + 26 + 1; /* ',' ',' '.dd' ',' ts '\n' */
	for (uint64_t v = (uint64_t)sale->store; v >= 10; v /= 10)
		n++;
	for (uint64_t v = (uint64_t)sale->counter; v >= 10; v /= 10)
		n++;
	for (uint64_t v = (uint64_t)(sale->cents / 100); v >= 10; v /= 10)
		n++;
	return n + 3; /* the first digit of each number */
}

static int sales_run(struct sl_source *s, struct sl_ingest *in, uint32_t idx)
{
	struct sl_chunk *batch = sl_ingest_batch(in);
	struct sl_source_stats *st = sl_ingest_stats(in);
	if (batch->ncols != s->ncols) {
		sl_ingest_fail(in, "sales source '%s': the batch has %u columns, the source %u",
			       s->name, batch->ncols, s->ncols);
		return -EINVAL;
	}
	if (idx >= s->n_ingest)
		return 0;
	const uint64_t n = s->n_ingest, rps = s->p.rows_per_second;
	const uint64_t last = s->p.rows ? s->p.rows : UINT64_MAX;
	const uint64_t start = sl_source_now_ns();
	/* a paced thread wakes when about 10 ms of its rows are due, not for
	 * every row: fewer wake-ups, and fewer tiny batches under the default
	 * trigger */
	uint64_t wake_rows = rps / n / 100;
	wake_rows = wake_rows < 1 ? 1 : wake_rows > SL_INGEST_BATCH_ROWS ? SL_INGEST_BATCH_ROWS : wake_rows;
	uint64_t g = idx;  /* next global row: this thread's are idx, idx + n, ... */
	uint64_t mine = 0; /* rows this thread has emitted */
	while (g < last) {
		uint32_t row = batch->nrows;
		uint64_t now = rps ? sl_source_now_ns() : 0;
		uint64_t bytes = 0;
		while (row < SL_INGEST_BATCH_ROWS && g < last) {
			/* this thread's mine-th row is global row mine*n + idx */
			if (rps && sl_source_due_ns(start, mine * n + idx, rps) > now)
				break;
			struct sl_sale sale;
			sl_sales_row(&s->p, g, &sale);
			for (uint32_t c = 0; c < s->ncols; c++) {
				struct sl_vec *col = &batch->cols[c];
				switch ((enum sales_field)s->field[c]) {
				case F_STORE:
					col->v.i64[row] = sale.store;
					break;
				case F_COUNTER:
					col->v.i64[row] = sale.counter;
					break;
				case F_AMOUNT:
					col->v.f64[row] = sale.amount;
					break;
				case F_TS:
				default:
					col->v.i64[row] = sale.ts;
					break;
				}
				if (col->nulls != NULL)
					col->nulls[row] = 0;
			}
			bytes += csv_len(&sale);
			row++;
			g += n;
			mine++;
		}
		st->rows += row - batch->nrows;
		st->bytes += bytes;
		batch->nrows = row;
		if (row > 0 && sl_ingest_commit(in) == -ECANCELED)
			return 0;
		if (g < last && rps) {
			uint64_t left = (last - 1 - g) / n + 1; /* this thread's rows to come */
			uint64_t k = left < wake_rows ? left : wake_rows;
			if (sl_source_wait_until(in, sl_source_due_ns(start, (mine + k - 1) * n + idx, rps)) < 0)
				return 0;
		}
	}
	return 0;
}

const struct sl_source_ops sl_source_sales_ops = {
	.name = "sales",
	.validate = sales_validate,
	.open = sales_open,
	.run = sales_run,
	.close = sales_close,
	/* under available_now: a batch whenever rows arrived (see the top) */
	.paces_epochs = true,
	.default_schema = &sales_default_schema,
};
