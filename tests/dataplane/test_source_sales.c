/*
 * test_source_sales.c — the retail sales generator: sl_sales_row (a pure
 * function of the options: deterministic, within its ranges, the late
 * shares and lags it promises, timestamps on the shop clock), its CSV text,
 * its options (defaults and every message), and the "sales" connector on
 * mocked ingest threads (every thread takes its share; the rows are
 * sl_sales_row's; declared columns in any order; pacing).
 *
 * The engine's side of source.h (sl_ingest_*) is mocked here: a mock ingest
 * thread copies every committed row into memory.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "source.h"
#include "source_sales.h"

extern const struct sl_source_ops sl_source_sales_ops;

#define MIN_US (60LL * 1000000)
#define T_0900 (1709283600LL * 1000000) /* 2024-03-01 09:00:00 UTC */

static struct sl_sales_params defaults(void)
{
	struct sl_sales_params p;
	sl_sales_params_default(&p);
	return p;
}

/* ------------------------------------------------------------------ */
/* sl_sales_row                                                        */

static bool same_sale(const struct sl_sale *a, const struct sl_sale *b)
{
	return a->store == b->store && a->counter == b->counter && a->cents == b->cents &&
	       a->amount == b->amount && a->ts == b->ts && a->clock == b->clock &&
	       a->lateness == b->lateness;
}

Test(sales_row, defaults_are_the_documented_ones)
{
	struct sl_sales_params p = defaults();
	cr_assert_eq(p.stores, 20);
	cr_assert_eq(p.counters, 500);
	cr_assert_eq(p.rows_per_second, 2000);
	cr_assert_eq(p.rows, 0);
	cr_assert_eq(p.seed, 1);
	cr_assert_float_eq(p.late_share, 0.05, 1e-12);
	cr_assert_float_eq(p.very_late_share, 0.005, 1e-12);
	cr_assert_eq(p.late_max_us, 8 * MIN_US);
	cr_assert_eq(p.very_late_min_us, 20 * MIN_US);
	cr_assert_eq(p.clock_start_us, T_0900);
	cr_assert_eq(p.speed_micro, 60000000ULL);
}

Test(sales_row, deterministic_from_the_seed)
{
	struct sl_sales_params p = defaults(), q = defaults();
	q.seed = 2;
	uint64_t same = 0;
	for (uint64_t r = 0; r < 10000; r++) {
		struct sl_sale a, b, c;
		sl_sales_row(&p, r, &a);
		sl_sales_row(&p, r, &b);
		cr_assert(same_sale(&a, &b), "row %lu differs between two calls",
			  (unsigned long)r);
		sl_sales_row(&q, r, &c);
		same += a.store == c.store && a.counter == c.counter && a.cents == c.cents;
	}
	cr_assert_lt(same, 10, "seeds 1 and 2 agree on %lu of 10000 rows", (unsigned long)same);
}

Test(sales_row, rows_do_not_depend_on_the_total_or_the_pace_of_emission)
{
	/* rows and (for the clock) only rows_per_second's clock rate matter:
	 * rows = N gives the first N rows of the unbounded stream */
	struct sl_sales_params p = defaults(), q = defaults();
	q.rows = 777;
	for (uint64_t r = 0; r < 777; r++) {
		struct sl_sale a, b;
		sl_sales_row(&p, r, &a);
		sl_sales_row(&q, r, &b);
		cr_assert(same_sale(&a, &b), "row %lu", (unsigned long)r);
	}
}

Test(sales_row, ranges_are_respected)
{
	struct sl_sales_params p = defaults();
	p.stores = 7;
	p.counters = 40; /* 40 over 7: stores 1..5 have 6 counters, 6 and 7 have 5 */
	static uint32_t per_counter[41];
	for (uint64_t r = 0; r < 100000; r++) {
		struct sl_sale s;
		sl_sales_row(&p, r, &s);
		cr_assert(s.store >= 1 && s.store <= 7, "store %d", s.store);
		cr_assert(s.counter >= 1 && s.counter <= 40, "counter %d", s.counter);
		cr_assert_eq((s.counter - 1) % 7, s.store - 1, "counter %d is not store %d's",
			     s.counter, s.store);
		cr_assert(s.cents >= 50 && s.cents <= 20000, "cents %ld", (long)s.cents);
		cr_assert(s.amount == (double)s.cents / 100.0);
		cr_assert(s.ts <= s.clock);
		per_counter[s.counter]++;
	}
	for (int c = 1; c <= 40; c++)
		cr_assert_gt(per_counter[c], 1500, "counter %d has only %u sales", c, per_counter[c]);
}

Test(sales_row, stores_are_mildly_skewed_amounts_skewed_to_small_sales)
{
	struct sl_sales_params p = defaults();
	static uint32_t per_store[21];
	static uint32_t hist[20001];
	double sum = 0;
	const uint64_t n = 100000;
	for (uint64_t r = 0; r < n; r++) {
		struct sl_sale s;
		sl_sales_row(&p, r, &s);
		per_store[s.store]++;
		hist[s.cents]++;
		sum += s.amount;
	}
	double ratio = (double)per_store[1] / per_store[20];
	cr_assert(ratio > 1.4 && ratio < 1.9, "store 1 / store 20 = %f", ratio);
	for (int st = 1; st <= 20; st++)
		cr_assert(per_store[st] > n / 20 / 2 && per_store[st] < n / 20 * 2, "store %d: %u", st,
			  per_store[st]);
	double mean = sum / (double)n;
	cr_assert(mean > 47 && mean < 53, "mean amount %f", mean);
	uint64_t below = 0;
	int median = 0;
	for (int c = 0; c <= 20000; c++) {
		below += hist[c];
		if (below >= n / 2) {
			median = c;
			break;
		}
	}
	cr_assert(median > 2300 && median < 2800, "median amount %d cents", median);
	cr_assert_gt(hist[50], 0, "no sale of 0.50");
	uint64_t top = 0;
	for (int c = 19000; c <= 20000; c++)
		top += hist[c];
	cr_assert_gt(top, 0, "no sale near 200.00");
}

struct share_case {
	double late, very_late;
	int64_t late_max, very_late_min;
};

static const struct share_case share_cases[] = {
	{0.05, 0.005, 8 * MIN_US, 20 * MIN_US},
	{0.30, 0.10, 1000000, 3600LL * 1000000},
	{0.0, 0.0, 1, 1},
	{0.0, 1.0, 1, 5 * MIN_US},
	{1.0, 0.0, 2, 1},
};

Test(sales_row, late_shares_and_lags_over_100k_rows)
{
	const uint64_t n = 100000;
	for (size_t k = 0; k < sizeof(share_cases) / sizeof(share_cases[0]); k++) {
		const struct share_case *sc = &share_cases[k];
		struct sl_sales_params p = defaults();
		p.seed = 11 + k;
		p.late_share = sc->late;
		p.very_late_share = sc->very_late;
		p.late_max_us = sc->late_max;
		p.very_late_min_us = sc->very_late_min;
		uint64_t late = 0, very = 0;
		int64_t max_late_lag = 0, min_very_lag = INT64_MAX, max_very_lag = 0;
		for (uint64_t r = 0; r < n; r++) {
			struct sl_sale s;
			sl_sales_row(&p, r, &s);
			int64_t lag = s.clock - s.ts;
			switch (s.lateness) {
			case SL_SALE_ON_TIME:
				cr_assert_eq(lag, 0, "case %zu: an on-time row lags %ld us", k, (long)lag);
				break;
			case SL_SALE_LATE:
				late++;
				cr_assert(lag >= 1 && lag <= sc->late_max,
					  "case %zu: late lag %ld outside [1, %ld]", k, (long)lag,
					  (long)sc->late_max);
				if (lag > max_late_lag)
					max_late_lag = lag;
				break;
			case SL_SALE_VERY_LATE:
				very++;
				cr_assert(lag >= sc->very_late_min && lag <= 2 * sc->very_late_min,
					  "case %zu: very late lag %ld outside [%ld, %ld]", k, (long)lag,
					  (long)sc->very_late_min, (long)(2 * sc->very_late_min));
				if (lag < min_very_lag)
					min_very_lag = lag;
				if (lag > max_very_lag)
					max_very_lag = lag;
				break;
			}
		}
		/* six standard deviations of a binomial, and never more than 0 when
		 * the share is 0 or less than n when it is 1 */
		double sd_l = sqrt(sc->late * (1 - sc->late) / n);
		double sd_v = sqrt(sc->very_late * (1 - sc->very_late) / n);
		cr_assert(fabs((double)late / n - sc->late) <= 6 * sd_l + 1e-12,
			  "case %zu: late share %f, want %f", k, (double)late / n, sc->late);
		cr_assert(fabs((double)very / n - sc->very_late) <= 6 * sd_v + 1e-12,
			  "case %zu: very late share %f, want %f", k, (double)very / n,
			  sc->very_late);
		/* the lags spread over their whole ranges */
		if (late > 1000 && sc->late_max > 1000)
			cr_assert_gt(max_late_lag, sc->late_max * 9 / 10, "case %zu", k);
		if (very > 1000 && sc->very_late_min > 1000) {
			cr_assert_lt(min_very_lag, sc->very_late_min * 11 / 10, "case %zu", k);
			cr_assert_gt(max_very_lag, sc->very_late_min * 19 / 10, "case %zu", k);
		}
	}
}

Test(sales_row, timestamps_follow_the_simulated_clock)
{
	struct sl_sales_params p = defaults();
	/* 2000 rows a second at 60 simulated seconds a second: 30 ms a row */
	cr_assert_eq(sl_sales_clock(&p, 0), T_0900);
	cr_assert_eq(sl_sales_clock(&p, 1), T_0900 + 30000);
	cr_assert_eq(sl_sales_clock(&p, 2000), T_0900 + MIN_US);
	cr_assert_eq(sl_sales_clock(&p, 30000), T_0900 + 15 * MIN_US);
	/* as fast as possible: the clock still runs as at 2000 rows a second */
	struct sl_sales_params q = p;
	q.rows_per_second = 0;
	for (uint64_t r = 0; r < 5000; r += 7)
		cr_assert_eq(sl_sales_clock(&q, r), sl_sales_clock(&p, r));
	/* 3 rows a second, speed 1 (real time): floor(r / 3) seconds */
	q.rows_per_second = 3;
	q.speed_micro = 1000000;
	cr_assert_eq(sl_sales_clock(&q, 2), T_0900 + 666666);
	cr_assert_eq(sl_sales_clock(&q, 3), T_0900 + 1000000);
	/* the clock never goes back; on-time rows are on it */
	int64_t prev = INT64_MIN;
	for (uint64_t r = 0; r < 100000; r++) {
		struct sl_sale s;
		sl_sales_row(&p, r, &s);
		cr_assert_eq(s.clock, sl_sales_clock(&p, r));
		cr_assert_geq(s.clock, prev);
		prev = s.clock;
		if (s.lateness == SL_SALE_ON_TIME)
			cr_assert_eq(s.ts, s.clock);
	}
	/* a later clock_start moves every row by as much */
	q = p;
	q.clock_start_us += 3600LL * 1000000;
	for (uint64_t r = 0; r < 1000; r++) {
		struct sl_sale a, b;
		sl_sales_row(&p, r, &a);
		sl_sales_row(&q, r, &b);
		cr_assert_eq(b.ts - a.ts, 3600LL * 1000000);
	}
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */

static void assert_csv(const struct sl_sale *s, const char *want)
{
	char buf[SL_SALES_CSV_MAX + 1];
	size_t n = sl_sales_csv(s, buf);
	cr_assert_lt(n, (size_t)SL_SALES_CSV_MAX + 1);
	buf[n] = '\0';
	cr_assert_str_eq(buf, want);
}

Test(sales_csv, lines)
{
	struct sl_sale s = {.store = 3, .counter = 147, .cents = 1299, .ts = T_0900 + 30000};
	assert_csv(&s, "3,147,12.99,2024-03-01 09:00:00.030000\n");
	s = (struct sl_sale){.store = 20, .counter = 500, .cents = 20000, .ts = T_0900 - 1};
	assert_csv(&s, "20,500,200.00,2024-03-01 08:59:59.999999\n");
	s = (struct sl_sale){.store = 1, .counter = 1, .cents = 50, .ts = 0};
	assert_csv(&s, "1,1,0.50,1970-01-01 00:00:00.000000\n");
	s = (struct sl_sale){.store = 1, .counter = 21, .cents = 105, .ts = -1};
	assert_csv(&s, "1,21,1.05,1969-12-31 23:59:59.999999\n");
	s = (struct sl_sale){.store = 1000000, .counter = 100000000, .cents = 1000,
			     .ts = 951782400LL * 1000000 + 123456}; /* a leap day */
	assert_csv(&s, "1000000,100000000,10.00,2000-02-29 00:00:00.123456\n");
	s.ts = -30610224000LL * 1000000; /* the first four-digit year */
	assert_csv(&s, "1000000,100000000,10.00,1000-01-01 00:00:00.000000\n");
	s.ts = 253402300800LL * 1000000; /* the first five-digit one */
	assert_csv(&s, "1000000,100000000,10.00,+10000-01-01 00:00:00.000000\n");
	cr_assert_str_eq(SL_SALES_CSV_HEADER, "store,counter,amount,ts\n");
}

Test(sales_csv, text_reads_back_as_the_row)
{
	struct sl_sales_params p = defaults();
	for (uint64_t r = 0; r < 2000; r++) {
		struct sl_sale s;
		sl_sales_row(&p, r, &s);
		char buf[SL_SALES_CSV_MAX + 1];
		size_t n = sl_sales_csv(&s, buf);
		buf[n] = '\0';
		int store, counter, y, mo, d, h, mi, sec, frac;
		double amount;
		cr_assert_eq(sscanf(buf, "%d,%d,%lf,%d-%d-%d %d:%d:%d.%d", &store, &counter, &amount,
				    &y, &mo, &d, &h, &mi, &sec, &frac),
			     10, "%s", buf);
		cr_assert_eq(store, s.store);
		cr_assert_eq(counter, s.counter);
		cr_assert(amount == s.amount, "%s: %.17g != %.17g", buf, amount, s.amount);
		struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
				.tm_min = mi, .tm_sec = sec};
		cr_assert_eq((int64_t)timegm(&tm) * 1000000 + frac, s.ts, "%s", buf);
	}
}

/* ------------------------------------------------------------------ */
/* options                                                             */

struct spec_buf {
	struct sl_source_spec spec;
	struct sl_option opts[16];
	char keys[16][32];
	char vals[16][64];
	struct sl_column_def cols[6];
};

/* A spec from "name TYPE,..." (NULL: the default columns) and "key=value"
 * strings; option i sits at line 2, column 10 * i + 3; the spec at line 1,
 * column 1. line0 puts every option at line 0 (command-line flags). */
static void make_spec(struct spec_buf *b, const char *cols, const char *const *kv, bool line0)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->spec.name, sizeof(b->spec.name), "sales");
	snprintf(b->spec.connector, sizeof(b->spec.connector), "sales");
	b->spec.line = 1;
	b->spec.column = 1;
	b->spec.watermark_col = -1;
	if (cols == NULL) {
		cr_assert_not_null(sl_source_sales_ops.default_schema);
		b->spec.schema.ncols = sl_source_sales_ops.default_schema->ncols;
		memcpy(b->cols, sl_source_sales_ops.default_schema->cols,
		       b->spec.schema.ncols * sizeof(b->cols[0]));
	} else {
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "%s", cols);
		char *save = NULL;
		for (char *c = strtok_r(tmp, ",", &save); c != NULL; c = strtok_r(NULL, ",", &save)) {
			struct sl_column_def *d = &b->cols[b->spec.schema.ncols++];
			char type[32];
			cr_assert_eq(sscanf(c, "%127s %31s", d->name, type), 2);
			d->type = strcmp(type, "STRING") == 0 ? SL_TYPE_STRING
				  : strcmp(type, "INT") == 0  ? SL_TYPE_INT
				  : strcmp(type, "BIGINT") == 0 ? SL_TYPE_BIGINT
				  : strcmp(type, "DOUBLE") == 0 ? SL_TYPE_DOUBLE
								: SL_TYPE_TIMESTAMP;
		}
	}
	b->spec.schema.cols = b->cols;
	for (uint32_t i = 0; kv != NULL && kv[i] != NULL; i++) {
		const char *eq = strchr(kv[i], '=');
		cr_assert(eq != NULL);
		snprintf(b->keys[i], sizeof(b->keys[i]), "%.*s", (int)(eq - kv[i]), kv[i]);
		snprintf(b->vals[i], sizeof(b->vals[i]), "%s", eq + 1);
		b->opts[i] = (struct sl_option){.key = b->keys[i], .value = b->vals[i],
						.line = line0 ? 0 : 2, .column = line0 ? 0 : 10 * i + 3};
		b->spec.options.n++;
	}
	b->spec.options.v = b->opts;
}

Test(sales_options, default_schema_is_the_retail_columns)
{
	const struct sl_schema *sc = sl_source_sales_ops.default_schema;
	cr_assert_not_null(sc);
	cr_assert_eq(sc->ncols, 4);
	cr_assert_str_eq(sc->cols[0].name, "store");
	cr_assert_eq(sc->cols[0].type, SL_TYPE_INT);
	cr_assert_str_eq(sc->cols[1].name, "counter");
	cr_assert_eq(sc->cols[1].type, SL_TYPE_INT);
	cr_assert_str_eq(sc->cols[2].name, "amount");
	cr_assert_eq(sc->cols[2].type, SL_TYPE_DOUBLE);
	cr_assert_str_eq(sc->cols[3].name, "ts");
	cr_assert_eq(sc->cols[3].type, SL_TYPE_TIMESTAMP);
}

Test(sales_options, every_option_parsed)
{
	struct spec_buf b;
	const char *kv[] = {"connector=sales",       "stores=3",
			    "counters=9",            "rows_per_second=0",
			    "rows=100",              "seed=42",
			    "late_share=0.25",       "late_max=30 seconds",
			    "very_late_share=0.125", "very_late_min=1 hour",
			    "clock_start=2024-12-31 23:00:00", "speed=0.5",
			    NULL};
	make_spec(&b, NULL, kv, false);
	struct sl_sales_params p;
	char err[512] = "";
	cr_assert_eq(sl_sales_params_parse(&b.spec.options, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p.stores, 3);
	cr_assert_eq(p.counters, 9);
	cr_assert_eq(p.rows_per_second, 0);
	cr_assert_eq(p.rows, 100);
	cr_assert_eq(p.seed, 42);
	cr_assert(p.late_share == 0.25 && p.very_late_share == 0.125);
	cr_assert_eq(p.late_max_us, 30000000);
	cr_assert_eq(p.very_late_min_us, 3600LL * 1000000);
	cr_assert_eq(p.clock_start_us, 1735686000LL * 1000000);
	cr_assert_eq(p.speed_micro, 500000);
}

struct opt_case {
	const char *cols; /* NULL: the default columns */
	const char *kv[6];
	bool line0;
	const char *want; /* NULL: valid */
};

static const struct opt_case opt_cases[] = {
	{NULL, {"stores=1", "counters=1"}, false, NULL},
	{"ts TIMESTAMP,store BIGINT", {NULL}, false, NULL},
	{"AMOUNT DOUBLE", {"late_share=1", "very_late_share=0"}, false, NULL},
	{NULL, {"clock_start=2024-03-01T09:00:00Z", "speed=1e3"}, false, NULL},
	{NULL, {"stors=3"}, false,
	 "line 2, column 3: unknown option 'stors' for connector 'sales' (known options: stores, "
	 "counters, rows_per_second, rows, seed, late_share, late_max, very_late_share, "
	 "very_late_min, clock_start, speed)"},
	{NULL, {"stores=0"}, false,
	 "line 2, column 3: option 'stores' must be a whole number from 1 to 1000000, not '0'"},
	{NULL, {"stores=-1"}, false,
	 "line 2, column 3: option 'stores' must be a whole number from 1 to 1000000, not '-1'"},
	{NULL, {"stores=30"}, false, NULL},
	{NULL, {"stores=600"}, false,
	 "line 2, column 3: option 'stores' asks for 500 counters over 600 stores; every store "
	 "needs a counter: set counters to at least stores"},
	{NULL, {"stores=6", "counters=5"}, false,
	 "line 2, column 13: option 'counters' asks for 5 counters over 6 stores; every store needs "
	 "a counter: set counters to at least stores"},
	{NULL, {"late_share=0.5x"}, false,
	 "line 2, column 3: option 'late_share' must be a share from 0 to 1 such as 0.05 (5% of the "
	 "rows), not '0.5x'"},
	{NULL, {"very_late_share=1.5"}, false,
	 "line 2, column 3: option 'very_late_share' must be a share from 0 to 1 such as 0.05 (5% "
	 "of the rows), not '1.5'"},
	{NULL, {"late_share=0.7", "very_late_share=0.4"}, false,
	 "line 2, column 13: option 'very_late_share' makes late_share + very_late_share = 1.1; the "
	 "two shares are parts of all rows and add up to at most 1"},
	{NULL, {"late_share=0.999"}, false,
	 "line 2, column 3: option 'late_share' makes late_share + very_late_share = 1.004; the two "
	 "shares are parts of all rows and add up to at most 1"},
	{NULL, {"late_max=8"}, false,
	 "line 2, column 3: option 'late_max' must be an interval from 1 microsecond to 7 days "
	 "such as '8 minutes', not '8'"},
	{NULL, {"very_late_min=8 days"}, false,
	 "line 2, column 3: option 'very_late_min' must be an interval from 1 microsecond to 7 days "
	 "such as '8 minutes', not '8 days'"},
	{NULL, {"clock_start=today"}, false,
	 "line 2, column 3: option 'clock_start' must be a timestamp from year 1000 to 8999 such as "
	 "'2024-03-01 09:00:00' (UTC), not 'today'"},
	{NULL, {"clock_start=9999-01-01"}, false,
	 "line 2, column 3: option 'clock_start' must be a timestamp from year 1000 to 8999 such as "
	 "'2024-03-01 09:00:00' (UTC), not '9999-01-01'"},
	{NULL, {"speed=0"}, false,
	 "line 2, column 3: option 'speed' must be the simulated seconds per real second, a number "
	 "from 0.000001 to 1000000 such as 60 (a minute a second), not '0'"},
	{NULL, {"rows_per_second=fast"}, false,
	 "line 2, column 3: option 'rows_per_second' must be a whole number from 0 to "
	 "1000000000000, not 'fast'"},
	/* command-line flags: named as flags */
	{NULL, {"late_share=2"}, true,
	 "--late-share must be a share from 0 to 1 such as 0.05 (5% of the rows), not '2'"},
	{NULL, {"stores=6", "counters=5"}, true,
	 "--counters asks for 5 counters over 6 stores; every store needs a counter: set counters "
	 "to at least stores"},
	/* the schema */
	{"value STRING", {NULL}, false,
	 "line 1, column 1: the sales connector makes the columns (store INT, counter INT, amount "
	 "DOUBLE, ts TIMESTAMP), not (value STRING); leave out the column list, or declare them: "
	 "CREATE SOURCE sales (store INT, counter INT, amount DOUBLE, ts TIMESTAMP) WITH (connector "
	 "= 'sales', ...)"},
	{"store INT,till INT", {NULL}, false,
	 "line 1, column 1: source 'sales' declares column 'till', which the sales connector does "
	 "not make (its columns: (store INT, counter INT, amount DOUBLE, ts TIMESTAMP))"},
	{"store INT,amount INT", {NULL}, false,
	 "line 1, column 1: column 'amount' of source 'sales' is INT; the sales connector makes it "
	 "DOUBLE (store INT, counter INT, amount DOUBLE, ts TIMESTAMP)"},
	{"ts STRING", {NULL}, false,
	 "line 1, column 1: column 'ts' of source 'sales' is STRING; the sales connector makes it "
	 "TIMESTAMP (store INT, counter INT, amount DOUBLE, ts TIMESTAMP)"},
	{"store INT,counter INT,amount DOUBLE,ts TIMESTAMP,x INT", {NULL}, false,
	 "line 1, column 1: source 'sales' declares 5 columns; the sales connector makes at most "
	 "the four of (store INT, counter INT, amount DOUBLE, ts TIMESTAMP)"},
};

Test(sales_options, validate_table)
{
	for (size_t i = 0; i < sizeof(opt_cases) / sizeof(opt_cases[0]); i++) {
		const struct opt_case *t = &opt_cases[i];
		struct spec_buf b;
		make_spec(&b, t->cols, t->kv, t->line0);
		char err[1024] = "";
		int rc;
		if (t->line0) {
			struct sl_sales_params p;
			rc = sl_sales_params_parse(&b.spec.options, &p, err, sizeof(err));
		} else {
			rc = sl_source_sales_ops.validate(&b.spec, err, sizeof(err));
		}
		if (t->want == NULL) {
			cr_assert_eq(rc, 0, "case %zu: %s", i, err);
		} else {
			cr_assert_eq(rc, -EINVAL, "case %zu: accepted, want '%s'", i, t->want);
			cr_assert_str_eq(err, t->want, "case %zu", i);
		}
		/* open() checks as much */
		if (!t->line0) {
			char oerr[1024] = "";
			struct sl_source *s = sl_source_sales_ops.open(&b.spec, NULL, 2, oerr, sizeof(oerr));
			cr_assert_eq(s == NULL, t->want != NULL, "case %zu: open: %s", i, oerr);
			if (s != NULL)
				sl_source_sales_ops.close(s);
			else
				cr_assert_str_eq(oerr, t->want, "case %zu: open", i);
		}
	}
}

/* ------------------------------------------------------------------ */
/* the connector on mocked ingest threads                              */

#define MOCK_COLS 4

struct sl_ingest {
	uint32_t idx;
	struct sl_chunk batch;
	struct sl_vec cols[MOCK_COLS];
	int64_t i64[MOCK_COLS][SL_INGEST_BATCH_ROWS];
	double f64[MOCK_COLS][SL_INGEST_BATCH_ROWS];
	uint8_t nulls[MOCK_COLS][SL_INGEST_BATCH_ROWS];
	struct sl_source_stats stats;
	int wake_fd;
	atomic_bool stop;
	uint64_t commits;
	/* committed rows, column by column (doubles as their bits) */
	size_t n, cap;
	int64_t *rows; /* [cap][MOCK_COLS] */
	char fail[512];
	bool failed;
};

static void mock_init(struct sl_ingest *in, uint32_t idx, const struct sl_schema *sc)
{
	memset(in, 0, sizeof(*in));
	in->idx = idx;
	in->batch.ncols = sc->ncols;
	in->batch.cols = in->cols;
	for (uint32_t c = 0; c < sc->ncols; c++) {
		in->cols[c].type = sc->cols[c].type;
		in->cols[c].nulls = in->nulls[c];
		if (sc->cols[c].type == SL_TYPE_DOUBLE)
			in->cols[c].v.f64 = in->f64[c];
		else
			in->cols[c].v.i64 = in->i64[c];
		memset(in->nulls[c], 1, SL_INGEST_BATCH_ROWS);
	}
	in->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cr_assert(in->wake_fd >= 0);
}

static void mock_fini(struct sl_ingest *in)
{
	free(in->rows);
	close(in->wake_fd);
}

#include "mock_ingest.h"

int sl_ingest_commit(struct sl_ingest *in)
{
	for (uint32_t r = 0; r < in->batch.nrows; r++) {
		if (in->n == in->cap) {
			in->cap = in->cap ? in->cap * 2 : 4096;
			in->rows = realloc(in->rows, in->cap * MOCK_COLS * sizeof(int64_t));
			cr_assert_not_null(in->rows);
		}
		for (uint32_t c = 0; c < in->batch.ncols; c++) {
			cr_assert_eq(in->nulls[c][r], 0, "row %u of column %u left NULL", r, c);
			int64_t v;
			if (in->cols[c].type == SL_TYPE_DOUBLE)
				memcpy(&v, &in->f64[c][r], sizeof(v));
			else
				v = in->i64[c][r];
			in->rows[in->n * MOCK_COLS + c] = v;
			in->nulls[c][r] = 1; /* the source must set it again */
		}
		in->n++;
	}
	in->commits++;
	in->batch.nrows = 0;
	return atomic_load(&in->stop) ? -ECANCELED : 0;
}

int sl_ingest_poll(struct sl_ingest *in)
{
	return atomic_load(&in->stop) ? -ECANCELED : 0;
}

void sl_ingest_log(struct sl_ingest *in, const char *fmt, ...)
{
	(void)in;
	(void)fmt;
}

struct runner {
	struct sl_source *src;
	struct sl_ingest *in;
	int rc;
	pthread_t tid;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;
	r->rc = sl_source_sales_ops.run(r->src, r->in, r->in->idx);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run the connector on n mocked threads to the end of its rows; each
 * thread's rows must be the global rows idx, idx + n, ... in order, with
 * the values of sl_sales_row in the declared columns. Returns the seconds
 * it took. */
static double run_and_check(const char *cols, const char *const *kv, uint32_t nthreads,
			    uint64_t want_rows)
{
	struct spec_buf b;
	make_spec(&b, cols, kv, false);
	char err[512] = "";
	struct sl_source *src = sl_source_sales_ops.open(&b.spec, NULL, nthreads, err, sizeof(err));
	cr_assert_not_null(src, "%s", err);
	struct sl_sales_params p;
	cr_assert_eq(sl_sales_params_parse(&b.spec.options, &p, err, sizeof(err)), 0);
	struct sl_ingest *in = calloc(nthreads, sizeof(*in));
	struct runner *rn = calloc(nthreads, sizeof(*rn));
	cr_assert(in != NULL && rn != NULL);
	double t0 = now_s();
	for (uint32_t i = 0; i < nthreads; i++) {
		mock_init(&in[i], i, &b.spec.schema);
		rn[i] = (struct runner){.src = src, .in = &in[i]};
		cr_assert_eq(pthread_create(&rn[i].tid, NULL, run_thread, &rn[i]), 0);
	}
	uint64_t total = 0, bytes = 0;
	for (uint32_t i = 0; i < nthreads; i++) {
		pthread_join(rn[i].tid, NULL);
		cr_assert_eq(rn[i].rc, 0, "thread %u: %s", i, in[i].fail);
		total += in[i].n;
		cr_assert_eq(in[i].stats.rows, in[i].n);
		bytes += in[i].stats.bytes;
	}
	double took = now_s() - t0;
	cr_assert_eq(total, want_rows);
	uint64_t want_bytes = 0;
	for (uint32_t i = 0; i < nthreads; i++) {
		for (size_t k = 0; k < in[i].n; k++) {
			uint64_t g = i + k * nthreads;
			struct sl_sale s;
			sl_sales_row(&p, g, &s);
			char line[SL_SALES_CSV_MAX];
			want_bytes += sl_sales_csv(&s, line);
			for (uint32_t c = 0; c < b.spec.schema.ncols; c++) {
				const char *name = b.spec.schema.cols[c].name;
				int64_t got = in[i].rows[k * MOCK_COLS + c], want;
				if (strcasecmp(name, "store") == 0)
					want = s.store;
				else if (strcasecmp(name, "counter") == 0)
					want = s.counter;
				else if (strcasecmp(name, "ts") == 0)
					want = s.ts;
				else
					memcpy(&want, &s.amount, sizeof(want));
				cr_assert_eq(got, want, "thread %u row %zu (global %lu) column %s", i, k,
					     (unsigned long)g, name);
			}
		}
		mock_fini(&in[i]);
	}
	/* bytes: the rows as gen-sales prints them */
	cr_assert_eq(bytes, want_bytes);
	sl_source_sales_ops.close(src);
	free(in);
	free(rn);
	return took;
}

Test(sales_source, threads_take_their_share_of_sl_sales_row)
{
	const char *kv[] = {"rows=5003", "rows_per_second=0", "seed=3", NULL};
	run_and_check(NULL, kv, 1, 5003);
	run_and_check(NULL, kv, 3, 5003);
	run_and_check(NULL, kv, 8, 5003);
}

Test(sales_source, declared_columns_in_any_order)
{
	const char *kv[] = {"rows=3000", "rows_per_second=0", "stores=4", "counters=4", NULL};
	run_and_check("ts TIMESTAMP,amount DOUBLE,counter BIGINT,store INT", kv, 2, 3000);
	run_and_check("amount DOUBLE", kv, 2, 3000);
}

Test(sales_source, rows_per_second_paces_the_rows)
{
	/* 300 rows at 1000 a second: about 0.3 s whatever the thread count */
	const char *kv[] = {"rows=300", "rows_per_second=1000", NULL};
	double t1 = run_and_check(NULL, kv, 1, 300);
	double t3 = run_and_check(NULL, kv, 3, 300);
	cr_assert(t1 > 0.25 && t1 < 2.0, "1 thread: %f s", t1);
	cr_assert(t3 > 0.25 && t3 < 2.0, "3 threads: %f s", t3);
}

Test(sales_source, unbounded_runs_until_stopped)
{
	struct spec_buf b;
	const char *kv[] = {"rows_per_second=100000", NULL};
	make_spec(&b, NULL, kv, false);
	char err[512] = "";
	struct sl_source *src = sl_source_sales_ops.open(&b.spec, NULL, 2, err, sizeof(err));
	cr_assert_not_null(src, "%s", err);
	struct sl_ingest in[2];
	struct runner rn[2];
	for (uint32_t i = 0; i < 2; i++) {
		mock_init(&in[i], i, &b.spec.schema);
		rn[i] = (struct runner){.src = src, .in = &in[i]};
		cr_assert_eq(pthread_create(&rn[i].tid, NULL, run_thread, &rn[i]), 0);
	}
	usleep(200000);
	for (uint32_t i = 0; i < 2; i++) {
		atomic_store(&in[i].stop, true);
		uint64_t one = 1;
		cr_assert_eq(write(in[i].wake_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	}
	for (uint32_t i = 0; i < 2; i++) {
		pthread_join(rn[i].tid, NULL);
		cr_assert_eq(rn[i].rc, 0);
		/* 0.2 s at 100000 a second over two threads: about 10000 each */
		cr_assert(in[i].n > 2000 && in[i].n < 30000, "thread %u: %zu rows", i, in[i].n);
		/* paced commits gather about 10 ms of rows, not one row each */
		cr_assert_lt(in[i].commits, in[i].n / 50, "thread %u: %lu commits for %zu rows", i,
			     (unsigned long)in[i].commits, in[i].n);
		mock_fini(&in[i]);
	}
	sl_source_sales_ops.close(src);
}
