/*
 * test_sink_file.c — the file and table sinks (dataplane/sink_file.c), the
 * commit log (commit_log.c) and a table's metadata and partition paths
 * (table.c):
 *  - timestamp patterns as Java's DateTimeFormatter prints them (the
 *    expected strings were printed by JDK 17 with the same patterns, zone
 *    UTC);
 *  - CSV values cell by cell as univocity's CsvWriter writes them with
 *    Spark's settings: quoting, escapes, trimming, nulls, empty strings,
 *    the '#' of the first column, the options that change them;
 *  - JSON rows as Spark's JacksonGenerator writes them: every type, nulls
 *    left out, doubles as Double.toString, NaN as a string, escapes;
 *  - text rows; Spark's errors for schemas a format cannot write;
 *  - partition directories (escapePathName, __HIVE_DEFAULT_PARTITION__);
 *  - the commit protocol: a staged batch is invisible until its entry is
 *    published, a crash between the two leaves nothing a reader sees, a
 *    committed batch is not written again, a new run numbers on, one
 *    writer at a time, compaction every 10 batches with old entries
 *    deleted, a reader that misses a deleted entry finds it compacted;
 *  - the table's metadata: written once, a second writer with other
 *    columns refused.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "commit_log.h"
#include "sink.h"
#include "sink_file.h"
#include "table.h"

extern const struct sl_sink_ops sl_sink_file_ops;
extern const struct sl_sink_ops sl_sink_table_ops;

/* ------------------------------------------------------------------ */
/* helpers                                                             */

struct spec_buf {
	struct sl_sink_spec spec;
	struct sl_option opts[16];
	char kv[16][256];
};

/* A sink spec from "key=value" strings (NULL-terminated); keys lower
 * case, as the planner hands them over; option i at line 2, column 3+10i. */
static void make_spec(struct spec_buf *b, const char *const *kv)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->spec.name, sizeof(b->spec.name), "out");
	b->spec.line = 1;
	b->spec.column = 1;
	b->spec.mode = SL_OUTPUT_APPEND;
	for (uint32_t i = 0; kv != NULL && kv[i] != NULL; i++) {
		snprintf(b->kv[i], sizeof(b->kv[i]), "%s", kv[i]);
		char *eq = strchr(b->kv[i], '=');
		cr_assert_not_null(eq);
		*eq = '\0';
		for (char *p = b->kv[i]; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		b->opts[i] = (struct sl_option){.key = b->kv[i], .value = eq + 1, .line = 2,
						.column = 3 + 10 * i};
		b->spec.options.n = i + 1;
	}
	b->spec.options.v = b->opts;
}

static void make_dir(char *out)
{
	strcpy(out, "/tmp/sl-test-sink-XXXXXX");
	cr_assert_not_null(mkdtemp(out));
}

static void rm_tree(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = malloc(1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The names in dir (sorted, space separated). */
static void list_names(const char *dir, char *out, size_t len)
{
	struct dirent **v;
	int n = scandir(dir, &v, NULL, alphasort);
	cr_assert(n >= 0, "scandir %s", dir);
	out[0] = '\0';
	size_t used = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(v[i]->d_name, ".") != 0 && strcmp(v[i]->d_name, "..") != 0)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "",
						 v[i]->d_name);
		free(v[i]);
	}
	free(v);
}

static struct sl_str S(const char *s)
{
	return (struct sl_str){s, (uint32_t)strlen(s)};
}

/* The default options of a format, with more kv. */
static void opts_of(struct sl_file_opts *o, const char *format, const char *const *more)
{
	const char *kv[16] = {"path=/tmp/x", NULL};
	size_t n = 1;
	static char f[32];
	if (format != NULL) {
		snprintf(f, sizeof(f), "format=%s", format);
		kv[n++] = f;
	}
	for (size_t i = 0; more != NULL && more[i] != NULL; i++)
		kv[n++] = more[i];
	kv[n] = NULL;
	struct spec_buf b;
	make_spec(&b, kv);
	char err[512] = "";
	cr_assert_eq(sl_file_opts_parse(&b.spec, false, o, err, sizeof(err)), 0, "%s", err);
}

/* ------------------------------------------------------------------ */
/* timestamp patterns                                                  */

static void expect_ts(const char *pat, int64_t us, const char *want)
{
	char err[256] = "";
	struct sl_ts_pattern *p = sl_ts_pattern_compile(pat, err, sizeof(err));
	cr_assert_not_null(p, "%s: %s", pat, err);
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	cr_assert_eq(sl_ts_pattern_format(p, us, &sb), 0);
	cr_expect_str_eq(sb.ptr, want, "%s at %" PRId64, pat, us);
	sl_strbuf_free(&sb);
	sl_ts_pattern_free(p);
}

Test(sink_file, timestamps_as_java_prints_them)
{
	/* Spark 3's default for CSV and JSON: milliseconds, cut */
	expect_ts(SL_TS_PATTERN_SPARK, 0, "1970-01-01T00:00:00.000Z");
	expect_ts(SL_TS_PATTERN_SPARK, 1709283600123456, "2024-03-01T09:00:00.123Z");
	expect_ts(SL_TS_PATTERN_SPARK, -1, "1969-12-31T23:59:59.999Z");
	expect_ts(SL_TS_PATTERN_SPARK, 951782400000000, "2000-02-29T00:00:00.000Z");
	expect_ts(SL_TS_PATTERN_TABLE, 1709283600123456, "2024-03-01T09:00:00.123456Z");
	expect_ts("yy/M/d h:m:s a", 1709283600123456, "24/3/1 9:0:0 AM");
	expect_ts("EEE, dd MMM yyyy HH:mm:ss Z", 1709283600123456, "Fri, 01 Mar 2024 09:00:00 +0000");
	expect_ts("EEEE MMMM D DDD k K xx xxx X ZZZZ ZZZZZ z VV G", 0,
		  "Thursday January 1 001 24 0 +0000 +00:00 Z GMT Z UTC UTC AD");
	expect_ts("yyyy-MM-dd HH:mm:ss.SSSSSSSSS", 1709283600123456, "2024-03-01 09:00:00.123456000");
	expect_ts("''yyyy'' 'o''clock' y", 1709283600123456, "'2024' o'clock 2024");
	expect_ts(SL_TS_PATTERN_SPARK, 300000000000000000LL, "+11476-08-15T05:20:00.000Z");
	expect_ts(SL_TS_PATTERN_SPARK, 253402300799999999LL, "9999-12-31T23:59:59.999Z");
}

Test(sink_file, timestamp_patterns_refused)
{
	static const struct {
		const char *pat, *want;
	} cases[] = {
		{"YYYY-MM-dd", "all week-based patterns are unsupported since Spark 3.0, detected: Y"},
		{"yyyy-qq", "pattern letter 'q' is not supported"},
		{"yyyy 'at", "the quoted text at character 6 is not closed"},
		{"HHH", "too many pattern letters: H (3)"},
		{"yyyy[MM", "an optional section '[' is not closed"},
		{"yyyy{", "reserved"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		cr_expect_null(sl_ts_pattern_compile(cases[i].pat, err, sizeof(err)), "%s", cases[i].pat);
		cr_expect(strstr(err, cases[i].want) != NULL, "%s:\n got: %s\nwant: %s", cases[i].pat,
			  err, cases[i].want);
	}
}

/* ------------------------------------------------------------------ */
/* CSV cells                                                           */

static void expect_csv(const struct sl_csv_opts *o, const char *in, bool first, const char *want)
{
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	cr_assert_eq(sl_csv_put_value(o, in, in ? strlen(in) : 0, first, &sb), 0);
	cr_expect_eq(sb.len, strlen(want), "[%s] -> [%.*s], want [%s]", in ? in : "(null)",
		     (int)sb.len, sb.ptr, want);
	cr_expect(sb.len == strlen(want) && memcmp(sb.ptr, want, sb.len) == 0,
		  "[%s] -> [%.*s], want [%s]", in ? in : "(null)", (int)sb.len, sb.ptr, want);
	sl_strbuf_free(&sb);
}

Test(sink_file, csv_cells_as_univocity_writes_them)
{
	struct sl_file_opts o;
	opts_of(&o, "csv", NULL);
	const struct sl_csv_opts *c = &o.csv;
	expect_csv(c, "abc", false, "abc");
	expect_csv(c, "a,b", false, "\"a,b\"");
	expect_csv(c, "a\"b", false, "\"a\\\"b\"");      /* the quote escaped by '\' */
	expect_csv(c, "\"q", false, "\"\\\"q\"");
	expect_csv(c, "a\nb", false, "\"a\nb\"");        /* a line end inside quotes */
	expect_csv(c, "a\rb", false, "\"a\rb\"");
	expect_csv(c, "a\\b", false, "a\\b");            /* a lone escape stays as it is */
	expect_csv(c, "a\\b,c", false, "\"a\\\\b,c\"");  /* ... and is escaped when quoted */
	expect_csv(c, "  a b  ", false, "a b");          /* Spark trims when writing */
	expect_csv(c, "a,b ", false, "\"a,b\"");
	expect_csv(c, NULL, false, "");                  /* null: nullValue "" */
	expect_csv(c, "", false, "\"\"");                /* empty: emptyValue "\"\"" */
	expect_csv(c, "   ", false, "\\\"\\\"");          /* all trimmed: univocity's path */
	expect_csv(c, "#x", true, "\"#x\"");             /* the comment character, first column */
	expect_csv(c, "#x", false, "#x");
	expect_csv(c, "x#", true, "x#");
	expect_csv(c, "1.0E7", false, "1.0E7");
	expect_csv(c, "héllo, wörld", false, "\"héllo, wörld\"");
	sl_file_opts_free(&o);

	const char *nv[] = {"nullvalue=NULL", "emptyvalue=EMPTY", NULL};
	opts_of(&o, "csv", nv);
	expect_csv(&o.csv, NULL, false, "NULL");
	expect_csv(&o.csv, "", false, "EMPTY");
	sl_file_opts_free(&o);

	const char *qa[] = {"quoteall=true", NULL};
	opts_of(&o, "csv", qa);
	expect_csv(&o.csv, "a", false, "\"a\"");
	expect_csv(&o.csv, NULL, false, "\"\"");
	expect_csv(&o.csv, "", false, "\"\"");
	sl_file_opts_free(&o);

	const char *eq[] = {"escapequotes=false", NULL};
	opts_of(&o, "csv", eq);
	expect_csv(&o.csv, "a\"b", false, "a\"b");      /* no longer a reason to quote */
	expect_csv(&o.csv, "a\"b,c", false, "\"a\\\"b,c\"");
	sl_file_opts_free(&o);

	const char *semi[] = {"sep=;", NULL};
	opts_of(&o, "csv", semi);
	expect_csv(&o.csv, "a,b", false, "a,b");
	expect_csv(&o.csv, "a;b", false, "\"a;b\"");
	sl_file_opts_free(&o);

	const char *tab[] = {"delimiter=\\t", NULL};
	opts_of(&o, "csv", tab);
	cr_expect_eq(o.csv.sep, '\t');
	sl_file_opts_free(&o);

	const char *rfc[] = {"escape=\"", NULL};        /* RFC 4180 doubling */
	opts_of(&o, "csv", rfc);
	expect_csv(&o.csv, "a\"b", false, "\"a\"\"b\"");
	expect_csv(&o.csv, "a\\b,c", false, "\"a\\b,c\"");
	sl_file_opts_free(&o);

	const char *keep[] = {"ignoreleadingwhitespace=false", "ignore_trailing_white_space=false",
			      NULL};
	opts_of(&o, "csv", keep);
	expect_csv(&o.csv, "  a  ", false, "  a  ");
	expect_csv(&o.csv, "   ", false, "   ");
	sl_file_opts_free(&o);

	const char *noq[] = {"quote=", NULL};
	opts_of(&o, "csv", noq);
	expect_csv(&o.csv, "a,b\"c", false, "a,b\"c");
	sl_file_opts_free(&o);
}

/* ------------------------------------------------------------------ */
/* rows                                                                */

static struct sl_column_def all_defs[] = {
	{.name = "b", .type = SL_TYPE_BOOLEAN},   {.name = "i", .type = SL_TYPE_INT},
	{.name = "l", .type = SL_TYPE_BIGINT},    {.name = "d", .type = SL_TYPE_DOUBLE},
	{.name = "s", .type = SL_TYPE_STRING},    {.name = "ts", .type = SL_TYPE_TIMESTAMP},
};
static const struct sl_schema all_schema = {6, all_defs};

/* Rows of every scalar type, the last all null. */
static struct sl_batch *all_batch(void)
{
	static uint8_t b[4] = {1, 0, 1, 0};
	static int64_t i[4] = {1, -7, 2147483647, 0};
	static int64_t l[4] = {9007199254740993LL, 0, -1, 0};
	static double d[4] = {1.0, 1e7, 0.0 / 0.0, 0};
	static struct sl_str s[4];
	static int64_t ts[4] = {1709283600123456LL, 0, -1, 0};
	static uint8_t nulls_last[4] = {0, 0, 0, 1};
	static uint8_t nulls_s[4] = {0, 0, 1, 1};
	s[0] = S("a\"b\\c\n\t\x01/é");
	s[1] = S("");
	struct sl_vec cols[6] = {
		{.type = SL_TYPE_BOOLEAN, .nulls = nulls_last, .v.b = b},
		{.type = SL_TYPE_INT, .nulls = nulls_last, .v.i64 = i},
		{.type = SL_TYPE_BIGINT, .nulls = nulls_last, .v.i64 = l},
		{.type = SL_TYPE_DOUBLE, .nulls = nulls_last, .v.f64 = d},
		{.type = SL_TYPE_STRING, .nulls = nulls_s, .v.str = s},
		{.type = SL_TYPE_TIMESTAMP, .nulls = nulls_last, .v.i64 = ts},
	};
	struct sl_batch *bt = sl_batch_create(&all_schema);
	cr_assert_not_null(bt);
	struct sl_chunk ch = {.nrows = 4, .ncols = 6, .cols = cols};
	cr_assert_eq(sl_batch_append_chunk(bt, &ch), 0);
	return bt;
}

static void rows_text(struct sl_file_enc *e, const struct sl_batch *bt, const struct sl_schema *sc,
		      char *out, size_t len)
{
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	cr_assert_eq(sl_file_enc_header(e, sc, &sb), 0);
	for (uint32_t r = 0; r < bt->nrows; r++)
		cr_assert(sl_file_enc_row(e, bt->cols, r, &sb) >= 0);
	snprintf(out, len, "%.*s", (int)sb.len, sb.ptr);
	sl_strbuf_free(&sb);
}

Test(sink_file, json_rows_as_spark_writes_them)
{
	struct sl_file_opts o;
	opts_of(&o, "json", NULL);
	struct sl_file_enc e;
	uint32_t part[SL_MAX_PART_COLS];
	char err[512] = "";
	cr_assert_eq(sl_file_enc_init(&e, &o, &all_schema, part, err, sizeof(err)), 0, "%s", err);
	struct sl_batch *bt = all_batch();
	char got[2048];
	rows_text(&e, bt, &all_schema, got, sizeof(got));
	cr_expect_str_eq(got,
			 "{\"b\":true,\"i\":1,\"l\":9007199254740993,\"d\":1.0,"
			 "\"s\":\"a\\\"b\\\\c\\n\\t\\u0001/é\",\"ts\":\"2024-03-01T09:00:00.123Z\"}\n"
			 "{\"b\":false,\"i\":-7,\"l\":0,\"d\":1.0E7,\"s\":\"\","
			 "\"ts\":\"1970-01-01T00:00:00.000Z\"}\n"
			 "{\"b\":true,\"i\":2147483647,\"l\":-1,\"d\":\"NaN\","
			 "\"ts\":\"1969-12-31T23:59:59.999Z\"}\n"
			 "{}\n");
	sl_file_enc_free(&e);
	sl_file_opts_free(&o);

	/* ignore_null_fields = false: nulls written as null */
	const char *keep[] = {"ignorenullfields=false", "timestamp_format=yyyy/MM/dd HH:mm", NULL};
	opts_of(&o, "json", keep);
	cr_assert_eq(sl_file_enc_init(&e, &o, &all_schema, part, err, sizeof(err)), 0, "%s", err);
	rows_text(&e, bt, &all_schema, got, sizeof(got));
	cr_expect(strstr(got, "{\"b\":null,\"i\":null,\"l\":null,\"d\":null,\"s\":null,\"ts\":null}\n") !=
			  NULL,
		  "%s", got);
	cr_expect(strstr(got, "\"ts\":\"2024/03/01 09:00\"") != NULL, "%s", got);
	sl_file_enc_free(&e);
	sl_file_opts_free(&o);
	sl_batch_destroy(bt);
}

Test(sink_file, json_windows_arrays_bad_utf8)
{
	static struct sl_column_def defs[] = {
		{.name = "w", .type = SL_TYPE_WINDOW},
		{.name = "a", .type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_STRING},
		{.name = "x", .type = SL_TYPE_DOUBLE},
		{.name = "s", .type = SL_TYPE_STRING},
	};
	static const struct sl_schema sc = {4, defs};
	struct sl_window w[1] = {{1709283600000000LL, 1709284500000000LL}};
	struct sl_str el[3] = {S("p"), S("q\"")};
	uint8_t el_nulls[3] = {0, 0, 1};
	struct sl_vec elem = {.type = SL_TYPE_STRING, .nulls = el_nulls, .v.str = el};
	struct sl_span sp[1] = {{0, 3}};
	double x[1] = {-0.0};
	struct sl_str s[1] = {{"ok\xff\xe2\x82", 5}};
	struct sl_vec cols[4] = {
		{.type = SL_TYPE_WINDOW, .v.win = w},
		{.type = SL_TYPE_ARRAY, .elem_type = SL_TYPE_STRING, .v.arr = sp, .elem = &elem},
		{.type = SL_TYPE_DOUBLE, .v.f64 = x},
		{.type = SL_TYPE_STRING, .v.str = s},
	};
	struct sl_file_opts o;
	opts_of(&o, "json", NULL);
	struct sl_file_enc e;
	uint32_t part[SL_MAX_PART_COLS];
	char err[512] = "";
	cr_assert_eq(sl_file_enc_init(&e, &o, &sc, part, err, sizeof(err)), 0, "%s", err);
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	cr_assert_eq(sl_file_enc_row(&e, cols, 0, &sb), 1);
	cr_expect_str_eq(sb.ptr, "{\"w\":{\"start\":\"2024-03-01T09:00:00.000Z\",\"end\":"
				 "\"2024-03-01T09:15:00.000Z\"},\"a\":[\"p\",\"q\\\"\",null],"
				 "\"x\":-0.0,\"s\":\"ok\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}\n");
	sl_strbuf_free(&sb);
	sl_file_enc_free(&e);
	sl_file_opts_free(&o);
}

Test(sink_file, json_binary_is_base64_as_jackson_writes_it)
{
	/* Spark's JacksonGenerator: writeBinary, standard base64 with padding */
	static struct sl_column_def defs[] = {{.name = "b", .type = SL_TYPE_BINARY}};
	static const struct sl_schema sc = {1, defs};
	struct sl_str v[6] = {{"hello", 5}, {"", 0}, {"\xff\x00", 2}, {"abc", 3}, {"a", 1}, {"x", 1}};
	uint8_t nulls[6] = {0, 0, 0, 0, 0, 1};
	struct sl_vec col = {.type = SL_TYPE_BINARY, .nulls = nulls, .v.str = v};
	static const char *const want[6] = {"{\"b\":\"aGVsbG8=\"}\n", "{\"b\":\"\"}\n",
					    "{\"b\":\"/wA=\"}\n",     "{\"b\":\"YWJj\"}\n",
					    "{\"b\":\"YQ==\"}\n",     "{}\n"};
	struct sl_file_opts o;
	opts_of(&o, "json", NULL);
	struct sl_file_enc e;
	uint32_t part[SL_MAX_PART_COLS];
	char err[512] = "";
	cr_assert_eq(sl_file_enc_init(&e, &o, &sc, part, err, sizeof(err)), 0, "%s", err);
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	for (uint32_t r = 0; r < 6; r++) {
		sl_strbuf_reset(&sb);
		cr_assert(sl_file_enc_row(&e, &col, r, &sb) >= 0);
		cr_expect_str_eq(sb.ptr, want[r], "row %u", r);
	}
	sl_strbuf_free(&sb);
	sl_file_enc_free(&e);
	sl_file_opts_free(&o);
}

Test(sink_file, csv_rows_header_and_doubles)
{
	const char *hdr[] = {"header=true", NULL};
	struct sl_file_opts o;
	opts_of(&o, "csv", hdr);
	struct sl_file_enc e;
	uint32_t part[SL_MAX_PART_COLS];
	char err[512] = "";
	cr_assert_eq(sl_file_enc_init(&e, &o, &all_schema, part, err, sizeof(err)), 0, "%s", err);
	struct sl_batch *bt = all_batch();
	char got[2048];
	rows_text(&e, bt, &all_schema, got, sizeof(got));
	cr_expect_str_eq(got, "b,i,l,d,s,ts\n"
			      "true,1,9007199254740993,1.0,\"a\\\"b\\\\c\n\t\x01/é\","
			      "2024-03-01T09:00:00.123Z\n"
			      "false,-7,0,1.0E7,\"\",1970-01-01T00:00:00.000Z\n"
			      "true,2147483647,-1,NaN,,1969-12-31T23:59:59.999Z\n"
			      ",,,,,\n");
	sl_file_enc_free(&e);
	sl_file_opts_free(&o);
	sl_batch_destroy(bt);
}

Test(sink_file, csv_row_that_renders_empty_is_skipped)
{
	/* univocity's skipEmptyLines: one null column gives no line at all */
	static struct sl_column_def defs[] = {{.name = "s", .type = SL_TYPE_STRING}};
	static const struct sl_schema sc = {1, defs};
	struct sl_str s[3] = {S("a"), S(""), S("b")};
	uint8_t nulls[3] = {0, 1, 0};
	struct sl_vec col = {.type = SL_TYPE_STRING, .nulls = nulls, .v.str = s};
	struct sl_file_opts o;
	opts_of(&o, "csv", NULL);
	struct sl_file_enc e;
	uint32_t part[SL_MAX_PART_COLS];
	char err[512] = "";
	cr_assert_eq(sl_file_enc_init(&e, &o, &sc, part, err, sizeof(err)), 0, "%s", err);
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	cr_expect_eq(sl_file_enc_row(&e, &col, 0, &sb), 1);
	cr_expect_eq(sl_file_enc_row(&e, &col, 1, &sb), 0);
	cr_expect_eq(sl_file_enc_row(&e, &col, 2, &sb), 1);
	cr_expect_str_eq(sb.ptr, "a\nb\n");
	sl_strbuf_free(&sb);
	sl_file_enc_free(&e);
	sl_file_opts_free(&o);

	/* text: a null is an empty line */
	opts_of(&o, "text", NULL);
	cr_assert_eq(sl_file_enc_init(&e, &o, &sc, part, err, sizeof(err)), 0, "%s", err);
	sl_strbuf_init(&sb);
	for (uint32_t r = 0; r < 3; r++)
		cr_expect_eq(sl_file_enc_row(&e, &col, r, &sb), 1);
	cr_expect_str_eq(sb.ptr, "a\n\nb\n");
	sl_strbuf_free(&sb);
	sl_file_enc_free(&e);
	sl_file_opts_free(&o);
}

Test(sink_file, schemas_a_format_cannot_write)
{
	static struct sl_column_def two[] = {{.name = "s", .type = SL_TYPE_STRING},
					     {.name = "n", .type = SL_TYPE_INT}};
	static struct sl_column_def win[] = {{.name = "w", .type = SL_TYPE_WINDOW},
					     {.name = "n", .type = SL_TYPE_INT}};
	static struct sl_column_def num[] = {{.name = "n", .type = SL_TYPE_INT}};
	static struct sl_column_def bin[] = {{.name = "k", .type = SL_TYPE_BINARY},
					     {.name = "n", .type = SL_TYPE_INT}};
	static const struct {
		const char *format, *part;
		struct sl_schema sc;
		const char *want;
	} cases[] = {
		{"text", NULL, {2, two},
		 "Text data source supports only a single column, and you have 2 columns."},
		{"text", NULL, {1, num},
		 "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The Text datasource doesn't support the "
		 "column `n` of the type \"INT\"."},
		{"csv", NULL, {2, win},
		 "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The CSV datasource doesn't support the "
		 "column `w` of the type \"STRUCT<start: TIMESTAMP, end: TIMESTAMP>\"."},
		{"json", "partition_by=x", {2, two},
		 "Partition column `x` not found in schema (s STRING, n INT)"},
		{"json", "partition_by=s, n", {2, two}, "Cannot use all columns for partition columns"},
		{"json", "partition_by=w", {2, win},
		 "Cannot use STRUCT<start: TIMESTAMP, end: TIMESTAMP> for partition column `w`"},
		{"text", "partition_by=n", {2, two}, NULL}, /* the file holds s alone */
		/* Spark's CSV and text sources do not take BinaryType */
		{"csv", NULL, {2, bin},
		 "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The CSV datasource doesn't support the "
		 "column `k` of the type \"BINARY\"."},
		{"text", "partition_by=n", {2, bin},
		 "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The Text datasource doesn't support the "
		 "column `k` of the type \"BINARY\"."},
		{"json", "partition_by=k", {2, bin},
		 "Cannot use BINARY for partition column `k`; partition by its text instead"},
		{"json", NULL, {2, bin}, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *more[] = {cases[i].part, NULL};
		struct sl_file_opts o;
		opts_of(&o, cases[i].format, more);
		struct sl_file_enc e;
		uint32_t part[SL_MAX_PART_COLS];
		char err[512] = "";
		int rc = sl_file_enc_init(&e, &o, &cases[i].sc, part, err, sizeof(err));
		if (cases[i].want == NULL) {
			cr_expect_eq(rc, 0, "case %zu: %s", i, err);
			sl_file_enc_free(&e);
		} else {
			cr_expect_eq(rc, -EINVAL, "case %zu accepted", i);
			cr_expect(strstr(err, cases[i].want) != NULL, "case %zu:\n got: %s\nwant: %s", i,
				  err, cases[i].want);
		}
		sl_file_opts_free(&o);
	}
}

Test(sink_file, options_checked_with_the_valid_ones_named)
{
	static const struct {
		bool table;
		const char *kv[6];
		const char *want; /* NULL: valid */
	} cases[] = {
		{false, {"path=o", "format=csv", "header=true", "nullvalue=-", "timestampformat=yyyy"},
		 NULL},
		{false, {"path=o", "format=json", "ignore_null_fields=false", "partitionby=a,b"}, NULL},
		{false, {"path=o", "format=text", "compression=none"}, NULL},
		{true, {"path=t"}, NULL},
		{true, {"path=t", "format=csv", "partition_by=store"}, NULL},
		{false, {"path=o"}, "line 1, column 1: file sink 'out' needs option 'format': 'csv', "
				    "'json', 'text' or 'parquet'"},
		{false, {"format=csv"}, "line 1, column 1: file sink 'out' needs option 'path'"},
		{false, {"path=o", "format=avro"},
		 "line 2, column 13: option 'format' of the file sink must be 'csv', 'json', 'text' or "
		 "'parquet', not 'avro'"},
		{false, {"path=o", "format=parquet"}, NULL},
		{true, {"path=t", "format=parquet", "partition_by=store"}, NULL},
		{false, {"path=o", "format=parquet", "codec=zstd", "parquet.row_group_size=1M"}, NULL},
		{false, {"path=o", "format=parquet", "compression=lz4"},
		 "option 'compression' of format parquet must be 'snappy' (the default), 'zstd', "
		 "'gzip' or 'none', not 'lz4'"},
		{false, {"path=o", "format=parquet", "parquet.row_group_size=0"},
		 "option 'parquet.row_group_size' must be a size of at least one byte"},
		{false, {"path=o", "format=parquet", "header=true"},
		 "option 'header' does not apply to format 'parquet'"},
		{false, {"path=o", "format=csv", "parquet.row_group_size=1M"},
		 "option 'parquet.row_group_size' does not apply to format 'csv'"},
		{false, {"path=o", "format=csv", "colour=red"},
		 "line 2, column 23: unknown option 'colour' for the file sink (options with this "
		 "format: path, format, partition_by (partitionBy), header, sep (delimiter), quote, "
		 "escape, char_to_escape_quote_escaping (charToEscapeQuoteEscaping), null_value "
		 "(nullValue)"},
		{false, {"path=o", "format=json", "header=true"},
		 "line 2, column 23: option 'header' does not apply to format 'json' (options of the "
		 "file sink with format 'json': path, format, partition_by (partitionBy), "
		 "timestamp_format (timestampFormat), ignore_null_fields (ignoreNullFields), "
		 "compression (codec))"},
		{false, {"path=o", "format=csv", "sep=ab"},
		 "line 2, column 23: option 'sep' must be one ASCII character"},
		{false, {"path=o", "format=csv", "header=yes"},
		 "line 2, column 23: option 'header' must be true or false, not 'yes'"},
		{false, {"path=o", "format=csv", "timestamp_format=YYYY"},
		 "line 2, column 23: option 'timestamp_format' ('YYYY'): all week-based patterns"},
		{false, {"path=o", "format=csv", "compression=gzip"},
		 "compressed output is not supported"},
		{false, {"path=o", "format=csv", "partition_by=a,,b"},
		 "option 'partition_by' must be column names separated by commas"},
		{false, {"path=o", "format=csv", "partition_by=a, A"},
		 "option 'partition_by' names column 'A' twice"},
		{true, {"path=t", "header=true"},
		 "line 2, column 13: unknown option 'header' for the table sink: a table keeps its own "
		 "format settings (options: path, format, partition_by (partitionBy))"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spec_buf b;
		make_spec(&b, cases[i].kv);
		char err[1024] = "";
		const struct sl_sink_ops *ops = cases[i].table ? &sl_sink_table_ops : &sl_sink_file_ops;
		int rc = ops->validate(&b.spec, err, sizeof(err));
		if (cases[i].want == NULL) {
			cr_expect_eq(rc, 0, "case %zu: %s", i, err);
		} else {
			cr_expect_eq(rc, -EINVAL, "case %zu accepted", i);
			cr_expect(strstr(err, cases[i].want) != NULL, "case %zu:\n got: %s\nwant: %s", i,
				  err, cases[i].want);
		}
	}
	cr_expect(sl_sink_file_ops.supports_append && !sl_sink_file_ops.supports_update &&
			  !sl_sink_file_ops.supports_complete,
		  "the file sink takes append mode only");
	cr_expect(sl_sink_table_ops.supports_append && !sl_sink_table_ops.supports_update &&
			  !sl_sink_table_ops.supports_complete,
		  "the table sink takes append mode only");
}

/* ------------------------------------------------------------------ */
/* partition directories                                               */

Test(sink_file, partition_directories_as_spark_names_them)
{
	struct sl_strbuf out, tmp;
	sl_strbuf_init(&out);
	sl_strbuf_init(&tmp);
	struct sl_str s[4] = {S("a/b:c d%#é"), S(""), S("x"), S("=")};
	uint8_t nulls[4] = {0, 0, 1, 0};
	struct sl_vec vs = {.type = SL_TYPE_STRING, .nulls = nulls, .v.str = s};
	cr_assert_eq(sl_part_dir("col", &vs, 0, &tmp, &out), 0);
	cr_expect_str_eq(out.ptr, "col=a%2Fb%3Ac d%25%23é");
	sl_strbuf_reset(&out);
	cr_assert_eq(sl_part_dir("col", &vs, 1, &tmp, &out), 0); /* empty: the default partition */
	cr_expect_str_eq(out.ptr, "col=" SL_PART_DEFAULT);
	sl_strbuf_reset(&out);
	cr_assert_eq(sl_part_dir("col", &vs, 2, &tmp, &out), 0); /* null */
	cr_expect_str_eq(out.ptr, "col=__HIVE_DEFAULT_PARTITION__");
	sl_strbuf_reset(&out);
	cr_assert_eq(sl_part_dir("a=b", &vs, 3, &tmp, &out), 0); /* the name is escaped too */
	cr_expect_str_eq(out.ptr, "a%3Db=%3D");

	int64_t ts[1] = {1709283600500000LL};
	struct sl_vec vt = {.type = SL_TYPE_TIMESTAMP, .v.i64 = ts};
	sl_strbuf_reset(&out);
	cr_assert_eq(sl_part_dir("ts", &vt, 0, &tmp, &out), 0); /* CAST(ts AS STRING) */
	cr_expect_str_eq(out.ptr, "ts=2024-03-01 09%3A00%3A00.5");
	double d[1] = {1e7};
	struct sl_vec vd = {.type = SL_TYPE_DOUBLE, .v.f64 = d};
	sl_strbuf_reset(&out);
	cr_assert_eq(sl_part_dir("d", &vd, 0, &tmp, &out), 0);
	cr_expect_str_eq(out.ptr, "d=1.0E7");

	/* every byte Spark escapes, and back */
	char all[128];
	for (int i = 0; i < 127; i++)
		all[i] = (char)(i + 1);
	sl_strbuf_reset(&out);
	cr_assert_eq(sl_part_escape(all, 127, &out), 0);
	for (size_t i = 0; i < out.len; i++) {
		unsigned char c = (unsigned char)out.ptr[i];
		cr_expect(c >= 0x20 && c != 0x7f && !strchr("\"#'*/:=?\\{[]^", c),
			  "byte 0x%02x left unescaped", c);
	}
	cr_expect(strstr(out.ptr, "%01%02") == out.ptr, "%s", out.ptr);
	char back[256];
	size_t n = sl_part_unescape(out.ptr, out.len, back);
	cr_expect(n == 127 && memcmp(back, all, 127) == 0, "unescape gives the bytes back");
	cr_expect_eq(sl_part_unescape("%zz%4", 5, back), 5, "bad escapes are kept");

	const char *v;
	size_t vl;
	cr_expect(sl_part_find("Store=7/k=a%2Fb/part-0.json", "store", &v, &vl));
	cr_expect(vl == 1 && v[0] == '7');
	cr_expect(sl_part_find("store=7/k=a%2Fb/part-0.json", "k", &v, &vl));
	cr_expect(vl == 5 && memcmp(v, "a%2Fb", 5) == 0);
	cr_expect(!sl_part_find("store=7/part-0.json", "part-0.json", &v, &vl));
	cr_expect(!sl_part_find("part=1.json", "part", &v, &vl), "the file name is no directory");
	sl_strbuf_free(&out);
	sl_strbuf_free(&tmp);
}

/* ------------------------------------------------------------------ */
/* the commit protocol                                                 */

static struct sl_column_def kv_defs[] = {
	{.name = "k", .type = SL_TYPE_STRING},
	{.name = "v", .type = SL_TYPE_BIGINT},
};
static const struct sl_schema kv_schema = {2, kv_defs};

/* n rows (k_i, base + i) with k cycling over nk keys. */
static struct sl_batch *kv_batch(uint32_t n, uint32_t nk, int64_t base)
{
	static char names[8][4] = {"a", "b", "c", "d", "e", "f", "g", "h"};
	struct sl_str k[64];
	int64_t v[64];
	cr_assert(n <= 64 && nk <= 8);
	for (uint32_t i = 0; i < n; i++) {
		k[i] = S(names[i % nk]);
		v[i] = base + (int64_t)i;
	}
	struct sl_vec cols[2] = {{.type = SL_TYPE_STRING, .v.str = k},
				 {.type = SL_TYPE_BIGINT, .v.i64 = v}};
	struct sl_batch *b = sl_batch_create(&kv_schema);
	cr_assert_not_null(b);
	struct sl_chunk ch = {.nrows = n, .ncols = 2, .cols = cols};
	cr_assert_eq(sl_batch_append_chunk(b, &ch), 0);
	return b;
}

static struct sl_sink *open_sink(const char *dir, const char *format, const char *part, bool table)
{
	char p[256], f[64], pb[128];
	snprintf(p, sizeof(p), "path=%s", dir);
	snprintf(f, sizeof(f), "format=%s", format);
	snprintf(pb, sizeof(pb), "partition_by=%s", part ? part : "");
	const char *kv[] = {p, f, part ? pb : NULL, NULL};
	struct spec_buf b;
	make_spec(&b, kv);
	char err[1024] = "";
	struct sl_sink *s = sl_file_sink_open(&b.spec, &kv_schema, table, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	return s;
}

static void write_epoch(struct sl_sink *s, uint64_t epoch, const struct sl_batch *b)
{
	char err[1024] = "";
	int rc = sl_file_sink_stage(s, epoch, b, err, sizeof(err));
	cr_assert_eq(rc, 1, "stage %" PRIu64 ": %d %s", epoch, rc, err);
	cr_assert_eq(sl_file_sink_publish(s, err, sizeof(err)), 0, "%s", err);
}

/* What a log reader sees: "batch:file,file;batch:..." and the run ids. */
struct seen {
	char text[8192];
	size_t len;
	char run[8][SL_RUN_ID_LEN + 1];
	uint32_t nbatches;
};

static int seen_visit(void *arg, const struct sl_commit_batch *b)
{
	struct seen *s = arg;
	if (s->nbatches < 8)
		memcpy(s->run[s->nbatches], b->run, SL_RUN_ID_LEN + 1);
	s->nbatches++;
	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s%" PRIu64 "/%" PRIu64
				   ":%u", s->len ? ";" : "", b->batch, b->epoch, b->nfiles);
	return 0;
}

static int read_log_to(const char *dir, uint64_t from, uint64_t last, struct seen *out)
{
	memset(out, 0, sizeof(*out));
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert(fd >= 0);
	struct sl_commit_reader *r = sl_commit_reader_create();
	char err[512] = "";
	uint64_t next = from;
	int rc = sl_commit_reader_read(r, fd, &next, last, seen_visit, out, err, sizeof(err));
	cr_assert(rc >= 0, "%s", err);
	sl_commit_reader_destroy(r);
	close(fd);
	return rc;
}

static int read_log(const char *dir, uint64_t from, struct seen *out)
{
	return read_log_to(dir, from, UINT64_MAX, out);
}

/* The contents of every file the log lists, in log order. */
struct content {
	const char *dir;
	char text[8192];
	size_t len;
};

static int content_visit(void *arg, const struct sl_commit_batch *b)
{
	struct content *c = arg;
	for (uint32_t i = 0; i < b->nfiles; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", c->dir, b->files[i].path);
		char *t = slurp(path);
		cr_assert_not_null(t, "%s listed but missing", path);
		c->len += (size_t)snprintf(c->text + c->len, sizeof(c->text) - c->len, "[%s]%s",
					   b->files[i].path, t);
		free(t);
	}
	return 0;
}

static void read_contents(const char *dir, struct content *c)
{
	memset(c, 0, sizeof(*c));
	c->dir = dir;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	struct sl_commit_reader *r = sl_commit_reader_create();
	char err[512] = "";
	uint64_t next = 0;
	cr_assert(sl_commit_reader_read(r, fd, &next, UINT64_MAX, content_visit, c, err,
					sizeof(err)) >= 0,
		  "%s", err);
	sl_commit_reader_destroy(r);
	close(fd);
}

Test(sink_file, staged_batch_is_invisible_until_published)
{
	char dir[64];
	make_dir(dir);
	struct sl_sink *s = open_sink(dir, "json", NULL, false);
	struct sl_batch *b = kv_batch(3, 3, 0);
	char err[1024] = "";
	cr_assert_eq(sl_file_sink_stage(s, 0, b, err, sizeof(err)), 1, "%s", err);
	/* the data file is in place, under its final name, no temporary left */
	char names[1024];
	list_names(dir, names, sizeof(names));
	cr_expect(strncmp(names, "_sluice_log part-00000-", 23) == 0 && strstr(names, ".tmp") == NULL,
		  "%s", names);
	struct seen seen;
	cr_expect_eq(read_log(dir, 0, &seen), 0, "nothing is committed before publish");
	cr_assert_eq(sl_file_sink_publish(s, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(read_log(dir, 0, &seen), 1);
	cr_expect_str_eq(seen.text, "0/0:1");
	struct content c;
	read_contents(dir, &c);
	cr_expect(strstr(c.text, "]{\"k\":\"a\",\"v\":0}\n{\"k\":\"b\",\"v\":1}\n{\"k\":\"c\",\"v\":2}\n") !=
			  NULL,
		  "%s", c.text);
	sl_file_sink_close(s);
	sl_batch_destroy(b);
	rm_tree(dir);
}

Test(sink_file, a_crash_between_data_and_log_leaves_nothing_visible)
{
	char dir[64];
	make_dir(dir);
	struct sl_sink *s = open_sink(dir, "csv", "k", false);
	struct sl_batch *b0 = kv_batch(4, 2, 0), *b1 = kv_batch(4, 2, 100);
	write_epoch(s, 0, b0);
	char err[1024] = "";
	/* epoch 1: the data files are written and renamed in, and then the
	 * process dies before the log entry */
	cr_assert_eq(sl_file_sink_stage(s, 1, b1, err, sizeof(err)), 1, "%s", err);
	sl_file_sink_close(s);

	struct content c;
	read_contents(dir, &c);
	/* a file's first value follows its "[path]"; "100" alone could be in a
	 * random run id */
	cr_expect(strstr(c.text, "]10") == NULL, "a reader sees the crashed batch:\n%s", c.text);
	cr_expect(strstr(c.text, "[k=a/part-00000-") != NULL && strstr(c.text, "]0\n2\n") != NULL,
		  "%s", c.text);
	/* the orphans are on disk, but no log entry lists them */
	char names[1024], sub[300];
	snprintf(sub, sizeof(sub), "%s/k=a", dir);
	list_names(sub, names, sizeof(names));
	cr_expect(strchr(names, ' ') != NULL, "two files in k=a: %s", names);

	/* the next run starts after the last committed batch: batch 1 again,
	 * with its own run id and files */
	s = open_sink(dir, "csv", "k", false);
	cr_expect_eq(sl_file_sink_batch_base(s), 1);
	write_epoch(s, 0, b1);
	sl_file_sink_close(s);
	struct seen seen;
	cr_expect_eq(read_log(dir, 0, &seen), 2);
	cr_expect_str_eq(seen.text, "0/0:2;1/0:2");
	cr_expect(strcmp(seen.run[0], seen.run[1]) != 0, "each run has its own id");
	read_contents(dir, &c);
	cr_expect(strstr(c.text, "]100\n102\n") != NULL && strstr(c.text, "]101\n103\n") != NULL,
		  "%s", c.text);
	sl_batch_destroy(b0);
	sl_batch_destroy(b1);
	rm_tree(dir);
}

Test(sink_file, committed_batch_is_not_written_again)
{
	char dir[64];
	make_dir(dir);
	struct sl_sink *s = open_sink(dir, "json", NULL, false);
	struct sl_batch *b = kv_batch(2, 2, 0);
	write_epoch(s, 0, b);
	write_epoch(s, 1, b);
	char before[1024], after[1024];
	list_names(dir, before, sizeof(before));
	/* a restart from a checkpoint replays epoch 1 with the same base */
	sl_file_sink_set_batch_base(s, 0);
	char err[1024] = "";
	cr_expect_eq(sl_file_sink_stage(s, 1, b, err, sizeof(err)), 0,
		     "a committed batch is skipped, as Spark's FileStreamSink skips it");
	cr_expect_eq(sl_file_sink_stage(s, 0, b, err, sizeof(err)), 0);
	list_names(dir, after, sizeof(after));
	cr_expect_str_eq(after, before, "nothing written for a replayed batch");
	/* the engine's write() does the same */
	cr_expect_eq(sl_sink_file_ops.write(s, 1, b), 0);
	list_names(dir, after, sizeof(after));
	cr_expect_str_eq(after, before);
	/* a gap is refused */
	cr_expect_eq(sl_file_sink_stage(s, 5, b, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "would leave a gap after the latest committed batch 1") != NULL, "%s",
		  err);
	write_epoch(s, 2, b);
	sl_file_sink_close(s);
	struct seen seen;
	cr_expect_eq(read_log(dir, 0, &seen), 3);
	cr_expect_str_eq(seen.text, "0/0:1;1/1:1;2/2:1");
	sl_batch_destroy(b);
	rm_tree(dir);
}

Test(sink_file, one_writer_at_a_time)
{
	char dir[64];
	make_dir(dir);
	struct sl_sink *s = open_sink(dir, "json", NULL, false);
	char p[256];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, "format=json", NULL};
	struct spec_buf b;
	make_spec(&b, kv);
	char err[1024] = "";
	cr_expect_null(sl_file_sink_open(&b.spec, &kv_schema, false, err, sizeof(err)));
	cr_expect(strstr(err, "is being written by another query") != NULL, "%s", err);
	sl_file_sink_close(s);
	s = sl_file_sink_open(&b.spec, &kv_schema, false, err, sizeof(err));
	cr_expect_not_null(s, "free again once closed: %s", err);
	sl_file_sink_close(s);
	rm_tree(dir);
}

Test(sink_file, log_compacts_every_ten_batches)
{
	char dir[64], logdir[128], names[2048];
	make_dir(dir);
	snprintf(logdir, sizeof(logdir), "%s/_sluice_log", dir);
	struct sl_sink *s = open_sink(dir, "json", NULL, false);
	struct sl_batch *b = kv_batch(1, 1, 0), *empty = kv_batch(0, 1, 0);
	for (uint64_t e = 0; e < 10; e++)
		write_epoch(s, e, e == 4 ? empty : b);
	list_names(logdir, names, sizeof(names));
	cr_expect_str_eq(names, "0 1 2 3 4 5 6 7 8 9.compact");
	char path[256];
	snprintf(path, sizeof(path), "%s/9.compact", logdir);
	char *t = slurp(path);
	cr_assert_not_null(t);
	cr_expect(strncmp(t, "v1\n{\"batch\":0,", 14) == 0, "%s", t);
	cr_expect(strstr(t, "{\"batch\":4,") != NULL && strstr(t, "\"files\":0,\"rows\":0}") != NULL,
		  "an empty batch has its entry, without files: %s", t);
	free(t);
	for (uint64_t e = 10; e < 25; e++)
		write_epoch(s, e, b);
	list_names(logdir, names, sizeof(names));
	/* 19.compact: the plain entries before 9 are gone */
	cr_expect_str_eq(names, "10 11 12 13 14 15 16 17 18 19.compact 20 21 22 23 24 9.compact");
	for (uint64_t e = 25; e < 30; e++)
		write_epoch(s, e, b);
	list_names(logdir, names, sizeof(names));
	cr_expect_str_eq(names, "19.compact 20 21 22 23 24 25 26 27 28 29.compact");
	sl_file_sink_close(s);

	struct seen seen;
	cr_expect_eq(read_log(dir, 0, &seen), 30, "every batch, from the compactions");
	cr_expect(strncmp(seen.text, "0/0:1;1/1:1;2/2:1;3/3:1;4/4:0;5/5:1", 35) == 0, "%s", seen.text);
	cr_expect(strstr(seen.text, ";28/28:1;29/29:1") != NULL, "%s", seen.text);
	cr_expect_eq(read_log(dir, 23, &seen), 7);
	cr_expect(strncmp(seen.text, "23/23:1;24/24:1", 15) == 0, "%s", seen.text);

	/* a reader up to 22 reads the plain entries; one that misses 21
	 * (deleted by a compaction since it listed) reads it from the first
	 * compaction after it */
	cr_expect_eq(read_log_to(dir, 20, 22, &seen), 3);
	cr_expect_str_eq(seen.text, "20/20:1;21/21:1;22/22:1");
	snprintf(path, sizeof(path), "%s/21", logdir);
	cr_assert_eq(unlink(path), 0);
	cr_expect_eq(read_log_to(dir, 20, 22, &seen), 3);
	cr_expect_str_eq(seen.text, "20/20:1;21/21:1;22/22:1");
	sl_batch_destroy(b);
	sl_batch_destroy(empty);
	rm_tree(dir);
}

Test(sink_file, corrupt_log_entries_are_named)
{
	char dir[64], path[256];
	make_dir(dir);
	struct sl_sink *s = open_sink(dir, "json", NULL, false);
	struct sl_batch *b = kv_batch(1, 1, 0);
	write_epoch(s, 0, b);
	sl_file_sink_close(s);
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"v7\n", "written by a newer sluice (version v7)"},
		{"hello\n", "not a commit log entry"},
		{"v1\n{\"batch\":1,\"run\":\"00000000000000000000000000000000\",\"epoch\":0,"
		 "\"files\":2}\n{\"path\":\"a.json\",\"size\":1}\n",
		 "batch 1 lists 2 files, the entry ends after 1"},
		{"v1\n{\"batch\":1,\"run\":\"00000000000000000000000000000000\",\"epoch\":0,"
		 "\"files\":1}\n{\"path\":\"../x\",\"size\":1}\n",
		 "not a relative path inside the directory"},
		{"v1\n{\"batch\":2,\"run\":\"00000000000000000000000000000000\",\"epoch\":0,"
		 "\"files\":0}\n",
		 "holds batch 2, not 1"},
		{"v1\n{\"batch\":1,\"run\":\"00000000000000000000000000000000\",\"epoch\":0,"
		 "\"files\":0}",
		 "the last line has no line end"},
	};
	snprintf(path, sizeof(path), "%s/_sluice_log/1", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FILE *f = fopen(path, "w");
		fputs(cases[i].text, f);
		fclose(f);
		int fd = open(dir, O_RDONLY | O_DIRECTORY);
		struct sl_commit_reader *r = sl_commit_reader_create();
		char err[512] = "";
		uint64_t next = 0;
		struct seen seen = {0};
		int rc = sl_commit_reader_read(r, fd, &next, UINT64_MAX, seen_visit, &seen, err,
					       sizeof(err));
		cr_expect(rc < 0, "case %zu read", i);
		cr_expect_eq(next, 1, "case %zu: batch 0 read before", i);
		cr_expect(strstr(err, "'_sluice_log/1'") != NULL && strstr(err, cases[i].want) != NULL,
			  "case %zu:\n got: %s\nwant: %s", i, err, cases[i].want);
		sl_commit_reader_destroy(r);
		close(fd);
	}
	sl_batch_destroy(b);
	rm_tree(dir);
}

/* ------------------------------------------------------------------ */
/* tables                                                              */

Test(sink_file, table_metadata_written_once_and_enforced)
{
	char dir[64], sub[128];
	make_dir(dir);
	snprintf(sub, sizeof(sub), "%s/t", dir);
	struct sl_sink *s = open_sink(sub, "json", "k", true);
	struct sl_batch *b = kv_batch(2, 2, 0);
	write_epoch(s, 0, b);
	sl_file_sink_close(s);
	char path[256];
	snprintf(path, sizeof(path), "%s/" SL_TABLE_META, sub);
	char *t = slurp(path);
	cr_assert_not_null(t);
	cr_expect(strncmp(t, "v1\n{\"format\":\"json\",\"columns\":2,\"partition_columns\":1,",
			  strlen("v1\n{\"format\":\"json\",\"columns\":2,\"partition_columns\":1,")) == 0,
		  "%s", t);
	cr_expect(strstr(t, "\n{\"column\":\"k\",\"type\":\"STRING\"}\n{\"column\":\"v\",\"type\":"
			    "\"BIGINT\"}\n{\"partition_by\":\"k\"}\n") != NULL,
		  "%s", t);
	free(t);
	/* the table's timestamps keep microseconds; its files are json */
	struct content c;
	read_contents(sub, &c);
	cr_expect(strstr(c.text, "[k=a/part-00000-") != NULL && strstr(c.text, "]{\"v\":0}\n") != NULL,
		  "%s", c.text);

	/* the same writer again: accepted, batches numbered on */
	s = open_sink(sub, "json", "k", true);
	cr_expect_eq(sl_file_sink_batch_base(s), 1);
	sl_file_sink_close(s);

	/* another schema: refused, saying both */
	static struct sl_column_def other[] = {{.name = "k", .type = SL_TYPE_STRING},
					       {.name = "v", .type = SL_TYPE_DOUBLE}};
	static const struct sl_schema other_schema = {2, other};
	char p[256];
	snprintf(p, sizeof(p), "path=%s", sub);
	const char *kv[] = {p, "partition_by=k", NULL};
	struct spec_buf sb;
	make_spec(&sb, kv);
	char err[2048] = "";
	cr_expect_null(sl_file_sink_open(&sb.spec, &other_schema, true, err, sizeof(err)));
	cr_expect(strstr(err, "table sink 'out': table '") != NULL &&
			  strstr(err, "has the columns (k STRING, v BIGINT) in format json, partitioned "
				      "by (k), and this query writes (k STRING, v DOUBLE) in format json, "
				      "partitioned by (k): a table keeps the schema it was created with") !=
				  NULL,
		  "%s", err);
	/* other partition columns, or another format: refused as well */
	const char *kv2[] = {p, "format=csv", "partition_by=k", NULL};
	make_spec(&sb, kv2);
	cr_expect_null(sl_file_sink_open(&sb.spec, &kv_schema, true, err, sizeof(err)));
	cr_expect(strstr(err, "in format csv") != NULL, "%s", err);
	/* the file sink does not write into a table */
	const char *kv3[] = {p, "format=json", NULL};
	make_spec(&sb, kv3);
	cr_expect_null(sl_file_sink_open(&sb.spec, &kv_schema, false, err, sizeof(err)));
	cr_expect(strstr(err, "is a table (it has _sluice_table); write it with connector = 'table'") !=
			  NULL,
		  "%s", err);

	/* the planner's question: the table's columns */
	struct sl_source_spec src = {.name = "t", .line = 3, .column = 1};
	struct sl_option o = {.key = "path", .value = sub, .line = 3, .column = 20};
	src.options = (struct sl_options){1, &o};
	struct sl_schema got = {0};
	cr_assert_eq(sl_table_schema_of(&src, &got, err, sizeof(err)), 0, "%s", err);
	cr_expect(got.ncols == 2 && strcmp(got.cols[0].name, "k") == 0 &&
		  got.cols[1].type == SL_TYPE_BIGINT);
	free(got.cols);
	o.value = dir;
	cr_expect_eq(sl_table_schema_of(&src, &got, err, sizeof(err)), -ENOENT);
	cr_expect(strstr(err, "line 3, column 20: table '") != NULL &&
			  strstr(err, "does not exist yet (no _sluice_table there), so source 't' has "
				      "no columns to take") != NULL,
		  "%s", err);
	sl_batch_destroy(b);
	rm_tree(dir);
}

Test(sink_file, table_sink_refuses_a_file_sinks_output)
{
	char dir[64];
	make_dir(dir);
	struct sl_sink *s = open_sink(dir, "json", NULL, false);
	struct sl_batch *b = kv_batch(1, 1, 0);
	write_epoch(s, 0, b);
	sl_file_sink_close(s);
	char p[256];
	snprintf(p, sizeof(p), "path=%s", dir);
	const char *kv[] = {p, NULL};
	struct spec_buf sb;
	make_spec(&sb, kv);
	char err[1024] = "";
	cr_expect_null(sl_file_sink_open(&sb.spec, &kv_schema, true, err, sizeof(err)));
	cr_expect(strstr(err, "holds a file sink's output (a commit log without _sluice_table), not "
			      "a table") != NULL,
		  "%s", err);
	sl_batch_destroy(b);
	rm_tree(dir);
}

Test(sink_file, table_columns_a_table_cannot_hold)
{
	static struct sl_column_def defs[] = {{.name = "w", .type = SL_TYPE_WINDOW},
					      {.name = "n", .type = SL_TYPE_BIGINT}};
	static const struct sl_schema sc = {2, defs};
	char dir[64];
	make_dir(dir);
	char p[256];
	snprintf(p, sizeof(p), "path=%s/t", dir);
	const char *kv[] = {p, NULL};
	struct spec_buf sb;
	make_spec(&sb, kv);
	char err[1024] = "";
	cr_expect_null(sl_file_sink_open(&sb.spec, &sc, true, err, sizeof(err)));
	cr_expect(strstr(err, "table sink 'out': table sink: column `w` is a STRUCT<start: TIMESTAMP, "
			      "end: TIMESTAMP>; a table holds BOOLEAN, INT, BIGINT, DOUBLE, STRING and "
			      "TIMESTAMP columns (and BINARY in format parquet) (select w.start AS "
			      "window_start") != NULL,
		  "%s", err);
	rm_tree(dir);
}

/* Found by the commitlog fuzz harness: a "columns" field on a column's
 * line changed the column count after line 2 had allocated the columns,
 * and the next column line wrote past them (ASan: heap-buffer-overflow). */
Test(sink_file, table_meta_columns_after_header_is_refused)
{
	static const char text[] =
		"v1\n"
		"{\"format\":\"json\",\"columns\":1,\"partition_columns\":0,\"run\":\"x\"}\n"
		"{\"column\":\"a\",\"type\":\"INT\",\"columns\":3}\n"
		"{\"column\":\"b\",\"type\":\"INT\"}\n"
		"{\"column\":\"c\",\"type\":\"INT\"}\n";
	struct sl_table_meta m;
	char err[256] = "";
	cr_expect_eq(sl_table_meta_parse(text, sizeof(text) - 1, &m, err, sizeof(err)), -EBADMSG);
	cr_expect(strstr(err, "line 3: a header field after the header") != NULL, "%s", err);
	/* well-formed metadata still parses */
	static const char ok[] =
		"v1\n"
		"{\"format\":\"json\",\"columns\":2,\"partition_columns\":0,\"run\":\"x\"}\n"
		"{\"column\":\"a\",\"type\":\"INT\"}\n"
		"{\"column\":\"b\",\"type\":\"STRING\"}\n";
	cr_assert_eq(sl_table_meta_parse(ok, sizeof(ok) - 1, &m, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(m.schema.ncols, 2);
	cr_expect_str_eq(m.schema.cols[1].name, "b");
	sl_table_meta_free(&m);
}
