/*
 * test_source_kafka.c — the kafka source's pure parts: the JSON of its
 * options (assign, starting_offsets), Spark's rate limit (with the cap
 * sluice adds) and its checkpoint offset's bytes. The source against a
 * broker is tests/integration/kafka_source.sh and kafka_kill.sh.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "source_kafka.h"

/* ------------------------------------------------------------ JSON */

Test(kafka_json, assign)
{
	struct sl_kafka_tpo *v = NULL;
	uint32_t n = 0;
	char err[256];
	const char *s = " {\"a\" : [0, 1 ], \"b.c-d\":[7],\"e\":[]} ";
	cr_assert_eq(sl_kafka_json_parse(s, strlen(s), true, &v, &n, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(v[0].topic, "a");
	cr_expect_eq(v[0].partition, 0);
	cr_expect_eq(v[1].partition, 1);
	cr_expect_str_eq(v[2].topic, "b.c-d");
	cr_expect_eq(v[2].partition, 7);
	sl_kafka_tpo_free(v, n);
}

Test(kafka_json, offsets)
{
	struct sl_kafka_tpo *v = NULL;
	uint32_t n = 0;
	char err[256];
	const char *s = "{\"t\\u0041\":{\"0\":23,\"1\":-2,\"2\":-1},\"u\":{\"10\":9223372036854775807}}";
	cr_assert_eq(sl_kafka_json_parse(s, strlen(s), false, &v, &n, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(n, 4);
	cr_expect_str_eq(v[0].topic, "tA");
	cr_expect_eq(v[0].value, 23);
	cr_expect_eq(v[1].value, -2);
	cr_expect_eq(v[2].partition, 2);
	cr_expect_eq(v[2].value, -1);
	cr_expect_str_eq(v[3].topic, "u");
	cr_expect_eq(v[3].partition, 10);
	cr_expect_eq(v[3].value, INT64_MAX);
	sl_kafka_tpo_free(v, n);
}

Test(kafka_json, refusals_say_where)
{
	static const struct {
		bool assign;
		const char *in, *want;
	} cases[] = {
		{true, "", "at byte 1: expected a JSON object"},
		{true, "[0]", "at byte 1: expected a JSON object"},
		{true, "{\"a\":[0,]}", "at byte 9: expected a whole number"},
		{true, "{\"a\":[0,0]}", "a partition named twice"},
		{true, "{\"a\":[0],\"a\":[1]}", "a topic named twice"},
		{true, "{\"a\":[-1]}", "out of range"},
		{true, "{\"a\":[2147483648]}", "out of range"},
		{true, "{\"a\":[1.5]}", "not a fraction or exponent"},
		{true, "{\"a\":[01]}", "leading zero"},
		{true, "{\"\":[1]}", "a topic name is empty"},
		{true, "{\"a\":[1]} x", "something follows the JSON object"},
		{true, "{\"a\":{\"0\":1}}", "expected an array of partitions"},
		{true, "{\"a\\u0000\":[1]}", "a NUL character"},
		{true, "{\"a\\q\":[1]}", "an unknown escape"},
		{true, "{\"a", "the string does not end"},
		{true, "{a:[1]}", "expected a string in double quotes"},
		{false, "{\"a\":[1]}", "expected an object of partitions"},
		{false, "{\"a\":{\"x\":1}}", "a partition must be a whole number"},
		{false, "{\"a\":{\"-1\":1}}", "a partition must be a whole number"},
		{false, "{\"a\":{\"0\":1,\"0\":2}}", "a partition named twice"},
		{false, "{\"a\":{\"0\":9223372036854775808}}", "a number too large"},
		{false, "{\"a\":{\"0\":1}", "expected ',' or '}'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_kafka_tpo *v = (void *)1;
		uint32_t n = 99;
		char err[256] = "";
		int rc = sl_kafka_json_parse(cases[i].in, strlen(cases[i].in), cases[i].assign, &v, &n,
					     err, sizeof(err));
		cr_expect_eq(rc, -EINVAL, "'%s' accepted", cases[i].in);
		cr_expect(strstr(err, cases[i].want) != NULL, "'%s': '%s' lacks '%s'", cases[i].in,
			  err, cases[i].want);
	}
}

/* ------------------------------------------------------------ rate limit */

static int64_t took(const int64_t *from, const int64_t *end, uint32_t n)
{
	int64_t t = 0;
	for (uint32_t i = 0; i < n; i++)
		t += end[i] - from[i];
	return t;
}

Test(kafka_rate, shares_by_backlog_as_spark)
{
	/* Spark's rateLimit: 1000 over backlogs 600/300/100 -> 600/300/100 of
	 * 1000 = the whole; 500 -> 300/150/50 */
	int64_t from[3] = {0, 10, 20}, until[3] = {600, 310, 120}, end[3];
	sl_kafka_rate_limit(1000, from, until, end, 3);
	cr_expect_eq(end[0], 600);
	cr_expect_eq(end[1], 310);
	cr_expect_eq(end[2], 120);
	sl_kafka_rate_limit(500, from, until, end, 3);
	cr_expect_eq(end[0], 300);
	cr_expect_eq(end[1], 160);
	cr_expect_eq(end[2], 70);
	/* floor: 100 over 3 equal backlogs is 33 each */
	int64_t f2[3] = {0, 0, 0}, u2[3] = {50, 50, 50};
	sl_kafka_rate_limit(100, f2, u2, end, 3);
	cr_expect_eq(end[0], 33);
	cr_expect_eq(took(f2, end, 3), 99);
}

Test(kafka_rate, small_partitions_get_one_and_the_cap_holds)
{
	/* shares below one record round up (Spark), which would take 703 of
	 * 700: sluice takes the 3 back from the largest share */
	int64_t from[4] = {0, 0, 0, 0}, until[4] = {100000, 1, 1, 1}, end[4];
	sl_kafka_rate_limit(700, from, until, end, 4);
	cr_expect_eq(end[1], 1);
	cr_expect_eq(end[2], 1);
	cr_expect_eq(end[3], 1);
	cr_expect_eq(took(from, end, 4), 700);
	/* a limit below the partitions with records: some get none, never more */
	int64_t f2[5] = {0}, u2[5] = {10, 10, 10, 10, 10}, e2[5];
	sl_kafka_rate_limit(2, f2, u2, e2, 5);
	cr_expect_eq(took(f2, e2, 5), 2);
	for (int i = 0; i < 5; i++)
		cr_expect(e2[i] >= f2[i] && e2[i] <= u2[i]);
}

Test(kafka_rate, nothing_new_and_never_past_until)
{
	int64_t from[2] = {5, 7}, until[2] = {5, 7}, end[2];
	sl_kafka_rate_limit(10, from, until, end, 2);
	cr_expect_eq(end[0], 5);
	cr_expect_eq(end[1], 7);
	int64_t f2[2] = {0, INT64_MAX - 10}, u2[2] = {3, INT64_MAX};
	sl_kafka_rate_limit(UINT64_C(1) << 62, f2, u2, end, 2);
	cr_expect_eq(end[0], 3);
	cr_expect_eq(end[1], INT64_MAX);
}

/* ------------------------------------------------------------ offset */

Test(kafka_offset, round_trip_and_refusals)
{
	struct sl_kafka_offset_entry in[2] = {
		{.topic = "clicks", .tlen = 6, .partition = 0, .next = 42},
		{.topic = "views", .tlen = 5, .partition = 2147483647, .next = INT64_MAX},
	};
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	cr_assert_eq(sl_kafka_offset_put(&b, 17, in, 2), 0);
	uint64_t batches = 0;
	struct sl_kafka_offset_entry *v = NULL;
	uint32_t n = 0;
	cr_assert_eq(sl_kafka_offset_parse(b.ptr, b.len, &batches, &v, &n), 0);
	cr_expect_eq(batches, 17);
	cr_assert_eq(n, 2);
	for (uint32_t i = 0; i < 2; i++) {
		cr_expect_eq(v[i].tlen, in[i].tlen);
		cr_expect(memcmp(v[i].topic, in[i].topic, in[i].tlen) == 0);
		cr_expect_eq(v[i].partition, in[i].partition);
		cr_expect_eq(v[i].next, in[i].next);
	}
	free(v);
	/* every cut is refused, and so are a changed version and trailing bytes */
	for (size_t cut = 0; cut < b.len; cut++)
		cr_expect_eq(sl_kafka_offset_parse(b.ptr, cut, &batches, &v, &n), -EINVAL,
			     "cut at %zu", cut);
	b.ptr[0] = 2;
	cr_expect_eq(sl_kafka_offset_parse(b.ptr, b.len, &batches, &v, &n), -EINVAL);
	b.ptr[0] = 1;
	sl_strbuf_putc(&b, 0);
	cr_expect_eq(sl_kafka_offset_parse(b.ptr, b.len, &batches, &v, &n), -EINVAL);
	sl_strbuf_free(&b);
}

/* ------------------------------------------------------------ headers */

#include "source.h"

/* A kafka source spec with the options given as key, value pairs. */
static struct sl_source_spec kspec(struct sl_option *o, uint32_t n, struct sl_column_def *cols,
				   uint32_t ncols)
{
	struct sl_source_spec s;
	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "k");
	snprintf(s.connector, sizeof(s.connector), "kafka");
	s.options = (struct sl_options){n, o};
	s.schema = (struct sl_schema){ncols, cols};
	s.watermark_col = -1;
	s.line = s.column = 1;
	return s;
}

#define KOPT(k, v) {.key = (char *)(k), .value = (char *)(v), .line = 1, .column = 1}

/* include_headers = true: Spark's eighth column, headers
 * ARRAY<STRUCT<key: STRING, value: BINARY>>; without it, seven. */
Test(kafka_headers, schema_has_headers_only_when_asked)
{
	sl_sources_register_builtin();
	const struct sl_source_ops *ops = sl_source_lookup("kafka");
	cr_assert_not_null(ops);
	cr_assert_not_null(ops->schema_of);
	struct sl_option o[] = {KOPT("bootstrap_servers", "localhost:1"), KOPT("subscribe", "t"),
				KOPT("include_headers", "true")};
	char err[512] = "";
	struct sl_schema out = {0};
	struct sl_source_spec s = kspec(o, 3, NULL, 0);
	cr_assert_eq(ops->schema_of(&s, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(out.ncols, 8);
	cr_expect_str_eq(out.cols[7].name, "headers");
	cr_expect_eq(out.cols[7].type, SL_TYPE_ARRAY);
	cr_expect_eq(out.cols[7].elem_type, SL_TYPE_HEADER);
	free(out.cols);
	s = kspec(o, 2, NULL, 0);
	cr_assert_eq(ops->schema_of(&s, &out, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(out.ncols, 7);
	free(out.cols);
	/* the declared column is checked */
	struct sl_column_def ok[] = {{.name = "headers", .type = SL_TYPE_ARRAY,
				      .elem_type = SL_TYPE_HEADER}};
	s = kspec(o, 3, ok, 1);
	cr_expect_eq(ops->validate(&s, err, sizeof(err)), 0, "%s", err);
	s = kspec(o, 2, ok, 1);
	cr_expect_eq(ops->validate(&s, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "which Kafka's rows have only with include_headers = true") != NULL,
		  "%s", err);
	struct sl_column_def bad[] = {{.name = "headers", .type = SL_TYPE_ARRAY,
				       .elem_type = SL_TYPE_STRING}};
	s = kspec(o, 3, bad, 1);
	cr_expect_eq(ops->validate(&s, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "line 1, column 1: kafka source 'k': column 'headers' is "
			      "ARRAY<STRUCT<key: STRING, value: BINARY>> in Kafka's rows, not "
			      "ARRAY<STRING>; declare it so");
	struct sl_option f[] = {KOPT("bootstrap_servers", "localhost:1"), KOPT("subscribe", "t"),
				KOPT("include_headers", "true"), KOPT("format", "json")};
	struct sl_column_def a[] = {{.name = "a", .type = SL_TYPE_STRING}};
	s = kspec(f, 4, a, 1);
	cr_expect_eq(ops->validate(&s, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "adds Kafka's headers column to Kafka's own rows") != NULL, "%s", err);
}
