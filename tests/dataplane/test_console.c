/*
 * test_console.c — the console sink prints Spark's ConsoleSink output byte
 * for byte: banner, showString's table (widths, alignment, truncation,
 * escapes, East Asian widths), the "only showing" footer, println's blank
 * line; and its option checks.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "sink.h"

extern const struct sl_sink_ops sl_sink_console_ops;

#define BANNER "-------------------------------------------\n"

/* One console sink writing to a memory stream. */
struct console {
	FILE *f;
	char *buf;
	size_t len;
	struct sl_sink *sink;
};

static void console_open(struct console *c, const struct sl_schema *schema, uint32_t num_rows,
			 uint32_t truncate)
{
	struct sl_sink_spec spec = { .name = "out", .connector = "console", .mode = SL_OUTPUT_COMPLETE,
				     .num_rows = num_rows, .truncate = truncate };
	char err[256] = "";
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	cr_assert_not_null(c->f);
	c->sink = sl_sink_console_ops.open(&spec, schema, c->f, err, sizeof err);
	cr_assert_not_null(c->sink, "open: %s", err);
}

static void console_done(struct console *c)
{
	sl_sink_console_ops.close(c->sink);
	fclose(c->f);
	free(c->buf);
}

/* Write one batch and compare everything printed so far. */
static void expect_write(struct console *c, uint64_t id, const struct sl_batch *b, const char *want)
{
	cr_assert_eq(sl_sink_console_ops.write(c->sink, id, b), 0);
	/* no fflush here: the sink must have flushed the stream itself */
	cr_expect_eq(c->len, strlen(want), "length %zu, want %zu:\n%.*s", c->len, strlen(want),
		     (int)c->len, c->buf);
	cr_expect_str_eq(c->buf, want);
}

static struct sl_batch *make_batch(const struct sl_schema *s, struct sl_vec *cols, uint32_t nrows)
{
	struct sl_batch *b = sl_batch_create(s);
	cr_assert_not_null(b);
	struct sl_chunk ch = { .nrows = nrows, .ncols = s->ncols, .cols = cols };
	cr_assert_eq(sl_batch_append_chunk(b, &ch), 0);
	return b;
}

static struct sl_column_def wc_defs[] = {
	{ .name = "word", .type = SL_TYPE_STRING },
	{ .name = "count", .type = SL_TYPE_BIGINT },
};
static const struct sl_schema wc_schema = { 2, wc_defs };

static struct sl_batch *wc_batch(const char *const *words, const int64_t *counts, uint32_t n)
{
	struct sl_str s[16];
	int64_t k[16];
	for (uint32_t i = 0; i < n; i++) {
		s[i] = (struct sl_str){ words[i], (uint32_t)strlen(words[i]) };
		k[i] = counts[i];
	}
	struct sl_vec cols[] = { { .type = SL_TYPE_STRING, .v.str = s },
				 { .type = SL_TYPE_BIGINT, .v.i64 = k } };
	return make_batch(&wc_schema, cols, n);
}

Test(console, seed_word_count)
{
	static const char *const w[] = { "hello", "world" };
	static const int64_t n[] = { 2, 1 };
	struct sl_batch *b = wc_batch(w, n, 2);
	struct console c;
	console_open(&c, &wc_schema, 20, 20);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+-----+-----+\n"
		     "| word|count|\n"
		     "+-----+-----+\n"
		     "|hello|    2|\n"
		     "|world|    1|\n"
		     "+-----+-----+\n"
		     "\n");
	console_done(&c);
	sl_batch_destroy(b);
}

Test(console, batches_follow_each_other)
{
	static const char *const w1[] = { "a" };
	static const int64_t n1[] = { 1 };
	static const char *const w2[] = { "a", "b" };
	static const int64_t n2[] = { 2, 1 };
	struct sl_batch *b1 = wc_batch(w1, n1, 1), *b2 = wc_batch(w2, n2, 2);
	struct console c;
	console_open(&c, &wc_schema, 20, 20);
	const char *first = BANNER
		"Batch: 0\n"
		BANNER
		"+----+-----+\n"
		"|word|count|\n"
		"+----+-----+\n"
		"|   a|    1|\n"
		"+----+-----+\n"
		"\n";
	expect_write(&c, 0, b1, first);
	char want[1024];
	snprintf(want, sizeof want,
		 "%s" BANNER
		 "Batch: 1\n"
		 BANNER
		 "+----+-----+\n"
		 "|word|count|\n"
		 "+----+-----+\n"
		 "|   a|    2|\n"
		 "|   b|    1|\n"
		 "+----+-----+\n"
		 "\n",
		 first);
	expect_write(&c, 1, b2, want);
	console_done(&c);
	sl_batch_destroy(b1);
	sl_batch_destroy(b2);
}

Test(console, empty_result_prints_header_and_borders)
{
	struct sl_batch *b = sl_batch_create(&wc_schema);
	struct console c;
	console_open(&c, &wc_schema, 20, 20);
	expect_write(&c, 3, b,
		     BANNER
		     "Batch: 3\n"
		     BANNER
		     "+----+-----+\n"
		     "|word|count|\n"
		     "+----+-----+\n"
		     "+----+-----+\n"
		     "\n");
	console_done(&c);
	sl_batch_destroy(b);
}

static struct sl_column_def long_defs[] = {
	{ .name = "value", .type = SL_TYPE_STRING },
	{ .name = "a_very_long_column_name_indeed", .type = SL_TYPE_BIGINT },
};
static const struct sl_schema long_schema = { 2, long_defs };

static struct sl_batch *long_batch(void)
{
	struct sl_str s[] = { { "abcdefghijklmnopqrstuvwxyz", 26 },
			      { "exactly_twenty_chars", 20 },
			      { "hi", 2 } };
	int64_t k[] = { 1, 2, 3 };
	struct sl_vec cols[] = { { .type = SL_TYPE_STRING, .v.str = s },
				 { .type = SL_TYPE_BIGINT, .v.i64 = k } };
	return make_batch(&long_schema, cols, 3);
}

Test(console, long_cells_truncated_header_kept)
{
	struct sl_batch *b = long_batch();
	struct console c;
	console_open(&c, &long_schema, 20, 20);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+--------------------+------------------------------+\n"
		     "|               value|a_very_long_column_name_indeed|\n"
		     "+--------------------+------------------------------+\n"
		     "|abcdefghijklmnopq...|                             1|\n"
		     "|exactly_twenty_chars|                             2|\n"
		     "|                  hi|                             3|\n"
		     "+--------------------+------------------------------+\n"
		     "\n");
	console_done(&c);
	sl_batch_destroy(b);
}

Test(console, truncate_off_left_aligns_and_keeps_everything)
{
	struct sl_batch *b = long_batch();
	struct console c;
	console_open(&c, &long_schema, 20, 0);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+--------------------------+------------------------------+\n"
		     "|value                     |a_very_long_column_name_indeed|\n"
		     "+--------------------------+------------------------------+\n"
		     "|abcdefghijklmnopqrstuvwxyz|1                             |\n"
		     "|exactly_twenty_chars      |2                             |\n"
		     "|hi                        |3                             |\n"
		     "+--------------------------+------------------------------+\n"
		     "\n");
	console_done(&c);
	sl_batch_destroy(b);
}

Test(console, other_truncate_widths)
{
	struct sl_batch *b = long_batch();
	struct console c;
	/* truncate = 8: 5 characters and "..." */
	console_open(&c, &long_schema, 20, 8);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+--------+------------------------------+\n"
		     "|   value|a_very_long_column_name_indeed|\n"
		     "+--------+------------------------------+\n"
		     "|abcde...|                             1|\n"
		     "|exact...|                             2|\n"
		     "|      hi|                             3|\n"
		     "+--------+------------------------------+\n"
		     "\n");
	console_done(&c);

	/* truncate < 4: cut without an ellipsis */
	console_open(&c, &long_schema, 20, 2);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+-----+------------------------------+\n"
		     "|value|a_very_long_column_name_indeed|\n"
		     "+-----+------------------------------+\n"
		     "|   ab|                             1|\n"
		     "|   ex|                             2|\n"
		     "|   hi|                             3|\n"
		     "+-----+------------------------------+\n"
		     "\n");
	console_done(&c);
	sl_batch_destroy(b);
}

Test(console, num_rows_cut_with_footer)
{
	static const char *const w[] = { "a", "b", "a_much_longer_word" };
	static const int64_t n[] = { 3, 2, 1 };
	struct sl_batch *b = wc_batch(w, n, 3);
	struct console c;
	/* rows not shown do not widen the columns */
	console_open(&c, &wc_schema, 2, 20);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+----+-----+\n"
		     "|word|count|\n"
		     "+----+-----+\n"
		     "|   a|    3|\n"
		     "|   b|    2|\n"
		     "+----+-----+\n"
		     "only showing top 2 rows\n"
		     "\n");
	console_done(&c);

	console_open(&c, &wc_schema, 1, 20);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+----+-----+\n"
		     "|word|count|\n"
		     "+----+-----+\n"
		     "|   a|    3|\n"
		     "+----+-----+\n"
		     "only showing top 1 row\n"
		     "\n");
	console_done(&c);

	/* exactly num_rows rows: nothing was left out, no footer */
	console_open(&c, &wc_schema, 3, 20);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+------------------+-----+\n"
		     "|              word|count|\n"
		     "+------------------+-----+\n"
		     "|                 a|    3|\n"
		     "|                 b|    2|\n"
		     "|a_much_longer_word|    1|\n"
		     "+------------------+-----+\n"
		     "\n");
	console_done(&c);

	/* num_rows = 0: no rows, and the footer says so */
	console_open(&c, &wc_schema, 0, 20);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+----+-----+\n"
		     "|word|count|\n"
		     "+----+-----+\n"
		     "+----+-----+\n"
		     "only showing top 0 rows\n"
		     "\n");
	console_done(&c);
	sl_batch_destroy(b);
}

Test(console, nulls_print_as_null)
{
	struct sl_column_def d[] = { { .name = "s", .type = SL_TYPE_STRING },
				     { .name = "n", .type = SL_TYPE_BIGINT } };
	struct sl_schema schema = { 2, d };
	struct sl_str s[] = { { "x", 1 }, { NULL, 0 } };
	uint8_t sn[] = { 0, 1 };
	int64_t k[] = { 0, 5 };
	uint8_t kn[] = { 1, 0 };
	struct sl_vec cols[] = { { .type = SL_TYPE_STRING, .nulls = sn, .v.str = s },
				 { .type = SL_TYPE_BIGINT, .nulls = kn, .v.i64 = k } };
	struct sl_batch *b = make_batch(&schema, cols, 2);
	struct console c;
	console_open(&c, &schema, 20, 20);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+----+----+\n"
		     "|   s|   n|\n"
		     "+----+----+\n"
		     "|   x|NULL|\n"
		     "|NULL|   5|\n"
		     "+----+----+\n"
		     "\n");
	console_done(&c);
	sl_batch_destroy(b);
}

Test(console, every_type_in_cells)
{
	struct sl_column_def d[] = {
		{ .name = "b", .type = SL_TYPE_BOOLEAN },
		{ .name = "i", .type = SL_TYPE_INT },
		{ .name = "d", .type = SL_TYPE_DOUBLE },
		{ .name = "t", .type = SL_TYPE_TIMESTAMP },
		{ .name = "a", .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_STRING },
	};
	struct sl_schema schema = { 5, d };
	uint8_t bv[] = { 1, 0 };
	int64_t iv[] = { 42, -1 };
	double dv[] = { 0.1, 1e7 };
	int64_t tv[] = { 1704103200500000, 1704103200000000 };
	struct sl_str ev[] = { { "x", 1 }, { "", 0 } };
	uint8_t en[] = { 0, 1 };
	struct sl_vec elems = { .type = SL_TYPE_STRING, .nulls = en, .v.str = ev };
	struct sl_span sp[] = { { 0, 2 }, { 2, 0 } };
	struct sl_vec cols[] = {
		{ .type = SL_TYPE_BOOLEAN, .v.b = bv },
		{ .type = SL_TYPE_INT, .v.i64 = iv },
		{ .type = SL_TYPE_DOUBLE, .v.f64 = dv },
		{ .type = SL_TYPE_TIMESTAMP, .v.i64 = tv },
		{ .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_STRING, .v.arr = sp, .elem = &elems },
	};
	struct sl_batch *b = make_batch(&schema, cols, 2);
	struct console c;
	console_open(&c, &schema, 20, 20);
	/* the 21-character timestamp is truncated like any other cell */
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+-----+---+-----+--------------------+---------+\n"
		     "|    b|  i|    d|                   t|        a|\n"
		     "+-----+---+-----+--------------------+---------+\n"
		     "| true| 42|  0.1|2024-01-01 10:00:...|[x, NULL]|\n"
		     "|false| -1|1.0E7| 2024-01-01 10:00:00|       []|\n"
		     "+-----+---+-----+--------------------+---------+\n"
		     "\n");
	console_done(&c);
	sl_batch_destroy(b);
}

Test(console, full_width_characters_count_two)
{
	static const char *const w[] = { "日本語", "a", "한국" };
	static const int64_t n[] = { 1, 22, 3 };
	struct sl_batch *b = wc_batch(w, n, 3);
	struct console c;
	console_open(&c, &wc_schema, 20, 20);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+------+-----+\n"
		     "|  word|count|\n"
		     "+------+-----+\n"
		     "|日本語|    1|\n"
		     "|     a|   22|\n"
		     "|  한국|    3|\n"
		     "+------+-----+\n"
		     "\n");
	console_done(&c);

	/* left-aligned too, and truncation counts characters, not widths */
	console_open(&c, &wc_schema, 20, 0);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+------+-----+\n"
		     "|word  |count|\n"
		     "+------+-----+\n"
		     "|日本語|1    |\n"
		     "|a     |22   |\n"
		     "|한국  |3    |\n"
		     "+------+-----+\n"
		     "\n");
	console_done(&c);
	sl_batch_destroy(b);

	static const char *const w2[] = { "日本語日本語", "é" };
	b = wc_batch(w2, n, 2);
	console_open(&c, &wc_schema, 20, 5);
	/* 6 characters > 5: two characters (4 columns) and "..." */
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+-------+-----+\n"
		     "|   word|count|\n"
		     "+-------+-----+\n"
		     "|日本...|    1|\n"
		     "|      é|   22|\n"
		     "+-------+-----+\n"
		     "\n");
	console_done(&c);
	sl_batch_destroy(b);
}

Test(console, characters_beyond_the_bmp_count_as_java_chars)
{
	/* U+1F600 is two UTF-16 units in Java: width 2; cutting through it
	 * leaves a lone surrogate that Java prints as '?' */
	static const char *const w[] = { "\xf0\x9f\x98\x80", "a\xf0\x9f\x98\x80" "bcd" };
	static const int64_t n[] = { 1, 2 };
	struct sl_batch *b = wc_batch(w, n, 2);
	struct console c;
	console_open(&c, &wc_schema, 20, 5);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+-----+-----+\n"
		     "| word|count|\n"
		     "+-----+-----+\n"
		     "|   \xf0\x9f\x98\x80|    1|\n"
		     "|a?...|    2|\n"
		     "+-----+-----+\n"
		     "\n");
	console_done(&c);
	sl_batch_destroy(b);
}

Test(console, meta_characters_escaped_before_truncation)
{
	struct sl_column_def d[] = { { .name = "x\ty", .type = SL_TYPE_STRING } };
	struct sl_schema schema = { 1, d };
	struct sl_str s[] = { { "a\tb\nc", 5 }, { "\n\n\n\n\n\n\n\n\n\n\n", 11 }, { "\r\f\b\v\a", 5 } };
	struct sl_vec cols[] = { { .type = SL_TYPE_STRING, .v.str = s } };
	struct sl_batch *b = make_batch(&schema, cols, 3);
	struct console c;
	console_open(&c, &schema, 20, 20);
	expect_write(&c, 0, b,
		     BANNER
		     "Batch: 0\n"
		     BANNER
		     "+--------------------+\n"
		     "|                x\\ty|\n"
		     "+--------------------+\n"
		     "|             a\\tb\\nc|\n"
		     "|\\n\\n\\n\\n\\n\\n\\n\\n\\...|\n"
		     "|          \\r\\f\\b\\v\\a|\n"
		     "+--------------------+\n"
		     "\n");
	console_done(&c);
	sl_batch_destroy(b);
}

Test(console, write_refuses_other_column_count)
{
	struct sl_column_def d[] = { { .name = "x", .type = SL_TYPE_BIGINT } };
	struct sl_schema one = { 1, d };
	struct sl_batch *b = sl_batch_create(&one);
	struct console c;
	console_open(&c, &wc_schema, 20, 20);
	cr_expect_eq(sl_sink_console_ops.write(c.sink, 0, b), -EINVAL);
	console_done(&c);
	sl_batch_destroy(b);
}

Test(console, ops_and_registry)
{
	cr_expect_str_eq(sl_sink_console_ops.name, "console");
	cr_expect(sl_sink_console_ops.supports_append);
	cr_expect(sl_sink_console_ops.supports_update);
	cr_expect(sl_sink_console_ops.supports_complete);
	sl_sink_register(&sl_sink_console_ops);
	cr_expect_eq(sl_sink_lookup("console"), &sl_sink_console_ops);
	sl_sink_console_ops.close(NULL);
}

Test(console, validate_refuses_unknown_options)
{
	struct sl_option opts[] = {
		{ .key = "num_rows", .value = "5", .line = 2, .column = 3 },
		{ .key = "path", .value = "/tmp/x", .line = 3, .column = 9 },
	};
	struct sl_sink_spec spec = { .connector = "console", .num_rows = 20, .truncate = 20 };
	char err[256] = "";
	cr_expect_eq(sl_sink_console_ops.validate(&spec, err, sizeof err), 0);
	spec.options = (struct sl_options){ 1, opts };
	cr_expect_eq(sl_sink_console_ops.validate(&spec, err, sizeof err), 0);
	spec.options = (struct sl_options){ 2, opts };
	cr_expect_eq(sl_sink_console_ops.validate(&spec, err, sizeof err), -EINVAL);
	cr_expect_str_eq(err, "line 3, column 9: unknown option 'path' for the console sink "
			      "(options: num_rows, truncate)");
}

/* --- the noop sink (Spark's format("noop")), beside the console --- */

extern const struct sl_sink_ops sl_sink_noop_ops;

Test(noop, takes_every_mode_and_writes_nothing)
{
	cr_expect(sl_sink_noop_ops.supports_append && sl_sink_noop_ops.supports_update &&
		  sl_sink_noop_ops.supports_complete);
	struct sl_column_def col = {.name = "word", .type = SL_TYPE_STRING};
	struct sl_schema schema = {.ncols = 1, .cols = &col};
	struct sl_sink_spec spec = {.name = "out", .connector = "noop", .mode = SL_OUTPUT_UPDATE};
	char err[256] = "";
	cr_assert_eq(sl_sink_noop_ops.validate(&spec, err, sizeof err), 0, "%s", err);
	struct console c;
	c.buf = NULL;
	c.len = 0;
	c.f = open_memstream(&c.buf, &c.len);
	struct sl_sink *s = sl_sink_noop_ops.open(&spec, &schema, c.f, err, sizeof err);
	cr_assert_not_null(s, "%s", err);
	struct sl_batch *b = sl_batch_create(&schema);
	cr_assert_not_null(b);
	cr_expect_eq(sl_sink_noop_ops.write(s, 0, b), 0);
	sl_batch_destroy(b);
	sl_sink_noop_ops.close(s);
	fclose(c.f);
	cr_expect_eq(c.len, 0, "the noop sink wrote %zu bytes", c.len);
	free(c.buf);
}

Test(noop, refuses_options)
{
	struct sl_option opt = {.key = "path", .value = "/tmp/x", .line = 3, .column = 9};
	struct sl_sink_spec spec = {.name = "out", .connector = "noop",
				    .options = {.n = 1, .v = &opt}};
	char err[256] = "";
	cr_assert_eq(sl_sink_noop_ops.validate(&spec, err, sizeof err), -EINVAL);
	cr_expect(strstr(err, "line 3, column 9: unknown option 'path' for the noop sink") != NULL,
		  "%s", err);
}
