/*
 * test_source_rate.c — the rate source: Spark's valueAtSecond and the due
 * time (= timestamp offset) of every row, worked out by hand from
 * RateStreamProvider.valueAtSecond and RateStreamMicroBatchStream; its
 * options and schema as the planner sees them, with every message; the
 * check against available_now.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "sink.h"
#include "source.h"
#include "source_rate.h"

extern const struct sl_source_ops sl_source_rate_ops;
extern const struct sl_sink_ops sl_sink_console_ops;

/* ------------------------------------------------------------ formula */

Test(rate, value_at_second_is_sparks)
{
	/* Spark's own comment: rampUpTimeSeconds = 4, rowsPerSecond = 10,
	 * speedDeltaPerSecond = 2: end values 0 2 6 12 20 30 40 */
	static const uint64_t want[] = {0, 2, 6, 12, 20, 30, 40, 50};
	for (uint64_t s = 0; s < sizeof(want) / sizeof(want[0]); s++)
		cr_expect_eq(sl_rate_value_at_second(s, 10, 4), want[s], "s = %llu",
			     (unsigned long long)s);
	/* no ramp-up: rows_per_second a second */
	cr_expect_eq(sl_rate_value_at_second(0, 200, 0), 0);
	cr_expect_eq(sl_rate_value_at_second(3, 200, 0), 600);
	/* rps 7, ramp 2: delta = 7 / 3 = 2 (whole division); 0 2 6, then +7 */
	cr_expect_eq(sl_rate_value_at_second(1, 7, 2), 2);
	cr_expect_eq(sl_rate_value_at_second(2, 7, 2), 6);
	cr_expect_eq(sl_rate_value_at_second(3, 7, 2), 13);
	cr_expect_eq(sl_rate_value_at_second(4, 7, 2), 20);
	/* rps 2, ramp 5: delta = 2 / 6 = 0, no rows during the ramp-up */
	cr_expect_eq(sl_rate_value_at_second(5, 2, 5), 0);
	cr_expect_eq(sl_rate_value_at_second(6, 2, 5), 2);
	cr_expect_eq(sl_rate_value_at_second(7, 2, 5), 4);
}

struct due_case {
	uint64_t v, rps, ramp;
	uint64_t second;
	uint64_t due_ms;
};

/* second s's n rows: the i-th is due s * 1000 + round(i * 1000 / n) ms */
static const struct due_case due_cases[] = {
	/* no ramp-up: v * 1000 / rps ms */
	{0, 10, 0, 0, 0},
	{1, 10, 0, 0, 100},
	{9, 10, 0, 0, 900},
	{10, 10, 0, 1, 1000},
	{25, 10, 0, 2, 2500},
	{599, 200, 0, 2, 2995},
	{0, 1, 0, 0, 0},
	{1, 1, 0, 1, 1000},
	{86400, 1, 0, 86400, 86400000},
	/* thirds: 333.3 -> 333, 666.7 -> 667 */
	{1, 3, 0, 0, 333},
	{2, 3, 0, 0, 667},
	{4, 3, 0, 1, 1333},
	{5, 3, 0, 1, 1667},
	/* ties round up, as Java's Math.round: 62.5 -> 63, 0.5 -> 1, 1.5 -> 2 */
	{1, 16, 0, 0, 63},
	{1, 2000, 0, 0, 1},
	{3, 2000, 0, 0, 2},
	/* ... and the last row of a second may round onto the next: 999.5 */
	{1999, 2000, 0, 0, 1000},
	/* ramp 4, rps 10: seconds of 2, 4, 6, 8, 10, 10, ... rows */
	{0, 10, 4, 0, 0},
	{1, 10, 4, 0, 500},
	{2, 10, 4, 1, 1000},
	{3, 10, 4, 1, 1250},
	{4, 10, 4, 1, 1500},
	{5, 10, 4, 1, 1750},
	{6, 10, 4, 2, 2000},
	{7, 10, 4, 2, 2167},  /* 2000 + 166.7 */
	{9, 10, 4, 2, 2500},
	{11, 10, 4, 2, 2833}, /* 2000 + 833.3 */
	{12, 10, 4, 3, 3000},
	{13, 10, 4, 3, 3125},
	{19, 10, 4, 3, 3875},
	{20, 10, 4, 4, 4000},
	{29, 10, 4, 4, 4900},
	{30, 10, 4, 5, 5000},
	{35, 10, 4, 5, 5500},
	{40, 10, 4, 6, 6000},
	/* ramp 2, rps 7: seconds of 2, 4, 7, 7, ... rows */
	{1, 7, 2, 0, 500},
	{6, 7, 2, 2, 2000},
	{7, 7, 2, 2, 2143},   /* 2000 + 142.9 */
	{12, 7, 2, 2, 2857},  /* 2000 + 857.1 */
	{13, 7, 2, 3, 3000},
	/* ramp 5, rps 2: nothing for five seconds, then 2 a second */
	{0, 2, 5, 5, 5000},
	{1, 2, 5, 5, 5500},
	{2, 2, 5, 6, 6000},
	/* a huge rate: one second holds every row there can be */
	{INT64_MAX - 1, INT64_MAX, 0, 0, 1000},
	{1, INT64_MAX, 0, 0, 0},
};

Test(rate, due_time_of_each_row)
{
	for (size_t k = 0; k < sizeof(due_cases) / sizeof(due_cases[0]); k++) {
		const struct due_case *c = &due_cases[k];
		cr_expect_eq(sl_rate_second_of(c->v, c->rps, c->ramp), c->second,
			     "v %llu rps %llu ramp %llu: second %llu, want %llu",
			     (unsigned long long)c->v, (unsigned long long)c->rps,
			     (unsigned long long)c->ramp,
			     (unsigned long long)sl_rate_second_of(c->v, c->rps, c->ramp),
			     (unsigned long long)c->second);
		cr_expect_eq(sl_rate_due_us(c->v, c->rps, c->ramp), c->due_ms * 1000,
			     "v %llu rps %llu ramp %llu: due %llu us, want %llu ms",
			     (unsigned long long)c->v, (unsigned long long)c->rps,
			     (unsigned long long)c->ramp,
			     (unsigned long long)sl_rate_due_us(c->v, c->rps, c->ramp),
			     (unsigned long long)c->due_ms);
	}
}

/* Without ramp-up Spark's timestamp is round(v * 1000 / rps) ms whatever
 * the batches; the per-second formula must agree for every row. */
Test(rate, no_ramp_up_is_v_times_ms_per_row)
{
	static const uint64_t rates[] = {1, 3, 7, 10, 16, 200, 999, 1000, 1024, 4096, 1000000};
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		uint64_t rps = rates[r];
		for (uint64_t v = 0; v < 5000; v++) {
			uint64_t want = (v * 2000 + rps) / (2 * rps); /* half up */
			uint64_t got = sl_rate_due_us(v, rps, 0);
			if (got != want * 1000) {
				cr_assert_fail("rps %llu v %llu: %llu us, want %llu ms", (unsigned long long)rps,
					(unsigned long long)v, (unsigned long long)got,
					(unsigned long long)want);
				return;
			}
		}
	}
}

/* Due times never go down, and every second holds value_at_second's rows. */
Test(rate, due_times_increase_through_the_ramp_up)
{
	static const uint64_t cfg[][2] = {{10, 4}, {7, 2}, {2, 5}, {1000, 3}, {5, 9}, {100, 0}};
	for (size_t k = 0; k < sizeof(cfg) / sizeof(cfg[0]); k++) {
		uint64_t rps = cfg[k][0], ramp = cfg[k][1], last = 0;
		for (uint64_t v = 0; v < 20000; v++) {
			uint64_t d = sl_rate_due_us(v, rps, ramp);
			cr_assert_geq(d, last, "rps %llu ramp %llu v %llu", (unsigned long long)rps,
				      (unsigned long long)ramp, (unsigned long long)v);
			uint64_t s = sl_rate_second_of(v, rps, ramp);
			cr_assert_leq(sl_rate_value_at_second(s, rps, ramp), v);
			cr_assert_gt(sl_rate_value_at_second(s + 1, rps, ramp), v);
			last = d;
		}
	}
}

/* ------------------------------------------------- options and schema */

static void register_rate(void)
{
	sl_source_register(&sl_source_rate_ops);
	sl_sink_register(&sl_sink_console_ops);
}

TestSuite(rate_sql, .init = register_rate);

static struct sl_program *compile(const char *text, char *err, size_t errlen, int *rc)
{
	struct sl_settings s;
	sl_settings_default(&s, 2);
	struct sl_program *p = NULL;
	err[0] = '\0';
	*rc = sl_sql_compile(text, &s, &p, err, errlen);
	return p;
}

#define SINK "\nCREATE SINK o WITH (connector = 'console') AS SELECT * FROM r"

Test(rate_sql, default_schema_is_timestamp_value)
{
	char err[1024];
	int rc;
	struct sl_program *p =
		compile("CREATE SOURCE r WITH (connector = 'rate');" SINK, err, sizeof(err), &rc);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(p->nplans, 1);
	const struct sl_schema *sc = &p->plans[0]->source.schema;
	cr_assert_eq(sc->ncols, 2);
	cr_expect_str_eq(sc->cols[0].name, "timestamp");
	cr_expect_eq(sc->cols[0].type, SL_TYPE_TIMESTAMP);
	cr_expect_str_eq(sc->cols[1].name, "value");
	cr_expect_eq(sc->cols[1].type, SL_TYPE_BIGINT);
	cr_expect_eq(p->plans[0]->out_schema.ncols, 2);
	sl_program_free(p);
}

Test(rate_sql, watermark_on_the_default_schema)
{
	char err[1024];
	int rc;
	struct sl_program *p = compile(
		"CREATE SOURCE r WITH (connector = 'rate', rows_per_second = 100)\n"
		"  WATERMARK timestamp DELAY '1 second';\n"
		"CREATE SINK o WITH (connector = 'console', output_mode = 'append')\n"
		"AS SELECT window(timestamp, '1 second') AS w, count(*) AS n FROM r\n"
		"   GROUP BY window(timestamp, '1 second')",
		err, sizeof(err), &rc);
	cr_assert_eq(rc, 0, "%s", err);
	cr_expect_eq(p->plans[0]->source.watermark_col, 0);
	cr_expect_eq(p->plans[0]->source.watermark_delay_us, 1000000);
	cr_expect(p->plans[0]->window_on_event_time);
	sl_program_free(p);
}

Test(rate_sql, accepted_options)
{
	static const char *const ok[] = {
		"CREATE SOURCE r WITH (connector = 'rate', rows_per_second = 5, ramp_up_time = "
		"'5 seconds', num_partitions = 3, rows = 10);",
		/* Spark's names, any case (the parser lower-cases keys) */
		"CREATE SOURCE r WITH (connector = 'rate', rowsPerSecond = 5, rampUpTime = '10s', "
		"numPartitions = 4);",
		"CREATE SOURCE r WITH (connector = 'RATE', ROWSPERSECOND = 5, RampUpTime = '2 minutes');",
		/* a bare number of seconds, as JavaUtils.timeStringAsSec; finer units are cut */
		"CREATE SOURCE r WITH (connector = 'rate', ramp_up_time = '5');",
		"CREATE SOURCE r WITH (connector = 'rate', ramp_up_time = '1500 ms');",
		"CREATE SOURCE r WITH (connector = 'rate', ramp_up_time = '0 seconds');",
		/* exactly Spark's columns */
		"CREATE SOURCE r (timestamp TIMESTAMP, value BIGINT) WITH (connector = 'rate');",
		"CREATE SOURCE r (Timestamp TIMESTAMP, VALUE BIGINT) WITH (connector = 'rate');",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char err[1024];
		int rc;
		struct sl_program *p = compile(ok[i], err, sizeof(err), &rc);
		cr_expect_eq(rc, 0, "%s\n%s", ok[i], err);
		sl_program_free(p);
	}
}

static const struct {
	const char *sql, *want;
} bad[] = {
	{"CREATE SOURCE r WITH (connector = 'rate', rows_per_second = 0);",
	 "line 1, column 43: option 'rows_per_second' must be a whole number of rows greater than "
	 "0 (Spark: rowsPerSecond must be positive), not '0'"},
	{"CREATE SOURCE r WITH (connector = 'rate', rowsPerSecond = -5);",
	 "line 1, column 43: option 'rowsPerSecond' must be a whole number of rows greater than 0 "
	 "(Spark: rowsPerSecond must be positive), not '-5'"},
	{"CREATE SOURCE r WITH (connector = 'rate',\n  ramp_up_time = 'soon');",
	 "line 2, column 3: option 'ramp_up_time' must be a duration such as '5 seconds', '10s' "
	 "or '2 minutes' (whole seconds; a bare number is seconds), not 'soon'"},
	{"CREATE SOURCE r WITH (connector = 'rate', rampUpTime = '-5 seconds');",
	 "line 1, column 43: option 'rampUpTime' must be a duration such as '5 seconds', '10s' or "
	 "'2 minutes' (whole seconds; a bare number is seconds), not '-5 seconds'"},
	{"CREATE SOURCE r WITH (connector = 'rate', rows_per_second = 1000000000000,\n"
	 "  ramp_up_time = '100000000');",
	 "line 2, column 3: option 'ramp_up_time' is 100000000 seconds; at 1000000000000 rows per "
	 "second the row numbers would overflow after 9223372 seconds (Spark's 'Integer overflow' "
	 "check); make it shorter"},
	{"CREATE SOURCE r WITH (connector = 'rate', num_partitions = 0);",
	 "line 1, column 43: option 'num_partitions' must be a whole number from 1 to 2147483647 "
	 "(Spark: numPartitions must be positive), not '0'"},
	{"CREATE SOURCE r WITH (connector = 'rate', rows = 0);",
	 "line 1, column 43: option 'rows' must be a whole number from 1 to 9223372036854775807 "
	 "(the rows to make before the input ends; leave it out for an endless stream), not '0'"},
	{"CREATE SOURCE r WITH (connector = 'rate', rowsPerSecond = 5, rows_per_second = 3);",
	 "line 1, column 62: options 'rows_per_second' and 'rowsPerSecond' are the same setting "
	 "(sluice's and Spark's name); set only one"},
	{"CREATE SOURCE r WITH (connector = 'rate', speed = 3);",
	 "line 1, column 43: unknown option 'speed' for connector 'rate' (known options: "
	 "rows_per_second (rowsPerSecond), ramp_up_time (rampUpTime), num_partitions "
	 "(numPartitions), rows)"},
	{"CREATE SOURCE r (value STRING) WITH (connector = 'rate');",
	 "line 1, column 1: source 'r': the rate connector makes the columns (timestamp TIMESTAMP, "
	 "value BIGINT), as Spark's rate source, not (value STRING); leave the column list out or "
	 "write exactly (timestamp TIMESTAMP, value BIGINT)"},
	{"\n  CREATE SOURCE r (value BIGINT, timestamp TIMESTAMP) WITH (connector = 'rate');",
	 "line 2, column 3: source 'r': the rate connector makes the columns (timestamp TIMESTAMP, "
	 "value BIGINT), as Spark's rate source, not (value BIGINT, timestamp TIMESTAMP); leave the "
	 "column list out or write exactly (timestamp TIMESTAMP, value BIGINT)"},
	{"CREATE SOURCE r (timestamp TIMESTAMP, value INT) WITH (connector = 'rate');",
	 "line 1, column 1: source 'r': the rate connector makes the columns (timestamp TIMESTAMP, "
	 "value BIGINT), as Spark's rate source, not (timestamp TIMESTAMP, value INT); leave the "
	 "column list out or write exactly (timestamp TIMESTAMP, value BIGINT)"},
};

Test(rate_sql, refused_options_and_schemas)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[1024];
		int rc;
		struct sl_program *p = compile(bad[i].sql, err, sizeof(err), &rc);
		cr_expect_eq(rc, -EINVAL, "%s: expected an error", bad[i].sql);
		cr_expect(p == NULL);
		cr_expect_str_eq(err, bad[i].want, "%s\n got: %s\nwant: %s", bad[i].sql, err,
				 bad[i].want);
	}
}

/* available_now over an endless rate source would never end: refused, and
 * allowed once `rows` bounds it. */
Test(rate_sql, available_now_needs_rows)
{
	struct sl_option rows = {.key = "rows", .value = "10", .line = 1, .column = 40};
	struct sl_source_spec src = {.name = "r", .connector = "rate"};
	struct sl_sink_spec sink = {.name = "o", .connector = "console", .line = 3, .column = 1,
				    .trigger = SL_TRIGGER_AVAILABLE_NOW};
	char err[1024] = "";
	cr_assert(sl_source_rate_ops.validate_sink != NULL);
	cr_expect_eq(sl_source_rate_ops.validate_sink(&src, &sink, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err,
			 "line 3, column 1: query 'o' reads the rate source 'r' with trigger = "
			 "'available_now', but a rate source never runs out of rows, so the query "
			 "would never end (Spark falls back to one batch, empty on a new query); use a "
			 "processing-time trigger such as trigger = '1 second', or set rows = N on the "
			 "source to end after N rows");
	src.options = (struct sl_options){.n = 1, .v = &rows};
	cr_expect_eq(sl_source_rate_ops.validate_sink(&src, &sink, err, sizeof(err)), 0);
	src.options = (struct sl_options){0};
	sink.trigger = SL_TRIGGER_INTERVAL;
	cr_expect_eq(sl_source_rate_ops.validate_sink(&src, &sink, err, sizeof(err)), 0);
	sink.trigger = SL_TRIGGER_DEFAULT;
	cr_expect_eq(sl_source_rate_ops.validate_sink(&src, &sink, err, sizeof(err)), 0);
}
