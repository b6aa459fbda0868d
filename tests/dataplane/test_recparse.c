/*
 * test_recparse.c — the record parsers of outside text (dataplane/recparse.h):
 * the text format; CSV's fields, quotes, escapes, separators, nulls,
 * header across inputs, comments, whitespace, limits and every type; JSON's
 * objects, every type's conversions, invalid JSON, duplicates and escapes;
 * the three modes and the corrupt-record column; FAILFAST's messages; the
 * lifetime of the scratch; and every refusal of sl_recparse_validate.
 *
 * Cases are tables where they can be: one schema, the options, the line,
 * what sl_recparse_line returns, each cell as text ("<null>" for NULL),
 * and whether the record counts as malformed.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "lines.h"
#include "recparse.h"
#include "recparse_int.h"

#define MAXC 32
#define MAXO 24
#define ROWS 160

struct fx {
	struct sl_source_spec spec;
	struct sl_column_def cols[MAXC];
	struct sl_option opts[MAXO];
	char keys[MAXO][64];
	char vals[MAXO][256];
	struct sl_chunk chunk;
	struct sl_vec vecs[MAXC];
	uint8_t nulls[MAXC][ROWS];
	int64_t i64[MAXC][ROWS];
	double f64[MAXC][ROWS];
	uint8_t b[MAXC][ROWS];
	struct sl_str str[MAXC][ROWS];
	struct sl_recparse *p;
	char err[1024];
	char cell[MAXC][512];
};

static enum sl_type type_of(const char *name)
{
	static const struct {
		const char *n;
		enum sl_type t;
	} types[] = {
		{"BOOLEAN", SL_TYPE_BOOLEAN}, {"INT", SL_TYPE_INT},
		{"BIGINT", SL_TYPE_BIGINT},   {"DOUBLE", SL_TYPE_DOUBLE},
		{"STRING", SL_TYPE_STRING},   {"TIMESTAMP", SL_TYPE_TIMESTAMP},
		{"ARRAY", SL_TYPE_ARRAY},     {"INTERVAL", SL_TYPE_INTERVAL},
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(name, types[i].n) == 0)
			return types[i].t;
	cr_assert_fail("unknown type %s", name);
	return SL_TYPE_NULL;
}

/* A spec: columns "a STRING, b INT", options as "key=value" strings. The
 * options sit on line 2, columns 10, 20, ...; CREATE SOURCE on line 1,
 * column 1. */
static struct fx *fx_spec(const char *cols, const char *const *opts)
{
	struct fx *f = calloc(1, sizeof(*f));
	cr_assert(f != NULL);
	snprintf(f->spec.name, sizeof(f->spec.name), "src");
	snprintf(f->spec.connector, sizeof(f->spec.connector), "file");
	f->spec.line = 1;
	f->spec.column = 1;
	f->spec.watermark_col = -1;
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", cols);
	uint32_t n = 0;
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char name[128], type[32];
		cr_assert(sscanf(tok, " %127s %31s", name, type) == 2, "bad column '%s'", tok);
		cr_assert(n < MAXC);
		snprintf(f->cols[n].name, SL_NAME_MAX, "%s", name);
		f->cols[n].type = type_of(type);
		if (f->cols[n].type == SL_TYPE_ARRAY)
			f->cols[n].elem_type = SL_TYPE_STRING;
		n++;
	}
	f->spec.schema.ncols = n;
	f->spec.schema.cols = f->cols;
	uint32_t k = 0;
	for (; opts != NULL && opts[k] != NULL; k++) {
		cr_assert(k < MAXO);
		const char *eq = strchr(opts[k], '=');
		cr_assert(eq != NULL, "bad option '%s'", opts[k]);
		snprintf(f->keys[k], sizeof(f->keys[k]), "%.*s", (int)(eq - opts[k]), opts[k]);
		snprintf(f->vals[k], sizeof(f->vals[k]), "%s", eq + 1);
		f->opts[k].key = f->keys[k];
		f->opts[k].value = f->vals[k];
		f->opts[k].line = 2;
		f->opts[k].column = 10 * (k + 1);
	}
	f->spec.options.n = k;
	f->spec.options.v = f->opts;
	/* the chunk */
	f->chunk.ncols = n;
	f->chunk.nrows = 0;
	f->chunk.cols = f->vecs;
	for (uint32_t c = 0; c < n; c++) {
		struct sl_vec *v = &f->vecs[c];
		v->type = f->cols[c].type;
		v->nulls = f->nulls[c];
		memset(f->nulls[c], 0xAA, ROWS);
		switch (v->type) {
		case SL_TYPE_BOOLEAN:
			v->v.b = f->b[c];
			break;
		case SL_TYPE_DOUBLE:
			v->v.f64 = f->f64[c];
			break;
		case SL_TYPE_STRING:
			v->v.str = f->str[c];
			break;
		default:
			v->v.i64 = f->i64[c];
			break;
		}
	}
	return f;
}

static struct fx *fx_new(enum sl_rec_format fmt, const char *cols, const char *const *opts)
{
	struct fx *f = fx_spec(cols, opts);
	int rc = sl_recparse_validate(&f->spec, fmt, f->err, sizeof(f->err));
	cr_assert_eq(rc, 0, "validate: %s", f->err);
	f->p = sl_recparse_create(&f->spec, fmt, f->err, sizeof(f->err));
	cr_assert(f->p != NULL, "create: %s", f->err);
	return f;
}

static void fx_free(struct fx *f)
{
	sl_recparse_destroy(f->p);
	free(f);
}

static int fx_line_n(struct fx *f, uint32_t row, const char *s, uint32_t n)
{
	f->err[0] = '\0';
	return sl_recparse_line(f->p, s, n, &f->chunk, row, f->err, sizeof(f->err));
}

static int fx_line(struct fx *f, const char *s)
{
	return fx_line_n(f, 0, s, (uint32_t)strlen(s));
}

/* Column c of row r as text. */
static const char *cell(struct fx *f, uint32_t c, uint32_t r)
{
	char *o = f->cell[c];
	const struct sl_vec *v = &f->vecs[c];
	cr_assert(v->nulls[r] == 0 || v->nulls[r] == 1, "column %u: null flag not set", c);
	if (v->nulls[r]) {
		snprintf(o, 512, "<null>");
		return o;
	}
	switch (v->type) {
	case SL_TYPE_STRING: {
		size_t w = 0;
		for (uint32_t i = 0; i < v->v.str[r].len && w + 4 < 512; i++) {
			char ch = v->v.str[r].ptr[i];
			if (ch == '\0') {
				o[w++] = '\\';
				o[w++] = '0';
			} else {
				o[w++] = ch;
			}
		}
		o[w] = '\0';
		break;
	}
	case SL_TYPE_DOUBLE: {
		double d = v->v.f64[r];
		if (isnan(d))
			snprintf(o, 512, "NaN");
		else if (isinf(d))
			snprintf(o, 512, d > 0 ? "Infinity" : "-Infinity");
		else
			snprintf(o, 512, "%.17g", d);
		break;
	}
	case SL_TYPE_BOOLEAN:
		cr_assert(v->v.b[r] <= 1);
		snprintf(o, 512, v->v.b[r] ? "true" : "false");
		break;
	default:
		snprintf(o, 512, "%lld", (long long)v->v.i64[r]);
		break;
	}
	return o;
}

/* Row r equals the cells given, one per column. */
static void expect_row(struct fx *f, uint32_t r, const char *const *cells, const char *what)
{
	for (uint32_t c = 0; c < f->chunk.ncols; c++) {
		cr_assert(cells[c] != NULL, "%s: no expected cell for column %u", what, c);
		cr_assert_str_eq(cell(f, c, r), cells[c], "%s: column %s is '%s', not '%s'", what,
				 f->cols[c].name, cell(f, c, r), cells[c]);
	}
}

static bool in_range(const char *p, const char *lo, size_t n)
{
	return p >= lo && p <= lo + n;
}

/* ------------------------------------------------------------------ */
/* formats and options                                                 */
/* ------------------------------------------------------------------ */

Test(recparse, format_names)
{
	enum sl_rec_format f;
	cr_assert_eq(sl_rec_format_parse("text", &f), 0);
	cr_assert_eq(f, SL_REC_TEXT);
	cr_assert_eq(sl_rec_format_parse("CSV", &f), 0);
	cr_assert_eq(f, SL_REC_CSV);
	cr_assert_eq(sl_rec_format_parse("Json", &f), 0);
	cr_assert_eq(f, SL_REC_JSON);
	cr_assert_eq(sl_rec_format_parse("parquet", &f), -EINVAL);
	cr_assert_eq(sl_rec_format_parse("", &f), -EINVAL);
}

Test(recparse, has_option_snake_and_camel)
{
	cr_assert(sl_recparse_has_option(SL_REC_CSV, "null_value"));
	cr_assert(sl_recparse_has_option(SL_REC_CSV, "nullvalue"));
	cr_assert(sl_recparse_has_option(SL_REC_CSV, "ignoreleadingwhitespace"));
	cr_assert(sl_recparse_has_option(SL_REC_CSV, "ignore_leading_white_space"));
	cr_assert(sl_recparse_has_option(SL_REC_JSON, "columnnameofcorruptrecord"));
	cr_assert(sl_recparse_has_option(SL_REC_JSON, "timestampformat"));
	cr_assert(sl_recparse_has_option(SL_REC_JSON, "allow_single_quotes"));
	/* another format's, so that validate can say whose */
	cr_assert(sl_recparse_has_option(SL_REC_JSON, "header"));
	cr_assert(sl_recparse_has_option(SL_REC_TEXT, "sep"));
	/* the source's */
	cr_assert_not(sl_recparse_has_option(SL_REC_CSV, "path"));
	cr_assert_not(sl_recparse_has_option(SL_REC_CSV, "max_files_per_trigger"));
	cr_assert_not(sl_recparse_has_option(SL_REC_CSV, "nullvalu"));
}

Test(recparse, option_names)
{
	char buf[1024];
	sl_recparse_option_names(SL_REC_CSV, buf, sizeof(buf));
	cr_assert(strstr(buf, "sep") != NULL && strstr(buf, "null_value") != NULL, "%s", buf);
	cr_assert(strstr(buf, "multi_line") != NULL, "%s", buf);
	sl_recparse_option_names(SL_REC_JSON, buf, sizeof(buf));
	cr_assert(strstr(buf, "allow_non_numeric_numbers") != NULL, "%s", buf);
	cr_assert(strstr(buf, "multi_line") == NULL, "%s", buf);
	cr_assert(strstr(buf, "sep") == NULL, "%s", buf);
	sl_recparse_option_names(SL_REC_TEXT, buf, sizeof(buf));
	cr_assert_str_eq(buf, "none");
	sl_recparse_option_names(SL_REC_CSV, buf, 8);
	cr_assert(strlen(buf) < 8);
}

struct bad_case {
	enum sl_rec_format fmt;
	const char *cols;
	const char *opts[4];
	const char *want; /* a part of the message */
};

static const struct bad_case bad_cases[] = {
	{SL_REC_CSV, "a INT", {"mode=lenient"}, "option 'mode' must be 'PERMISSIVE'"},
	{SL_REC_JSON, "a INT", {"mode="}, "option 'mode' must be"},
	{SL_REC_CSV, "a INT", {"sep="}, "option 'sep' must not be empty"},
	{SL_REC_CSV, "a INT", {"delimiter=\\"}, "a single backslash is not allowed"},
	{SL_REC_CSV, "a INT", {"sep=\\q"}, "unsupported escape '\\q'"},
	{SL_REC_CSV, "a INT", {"sep=aaaaaaaaaaaaaaaaaaaaa"}, "longer than 15 bytes"},
	{SL_REC_CSV, "a INT", {"quote=ab"}, "option 'quote' must be a single ASCII character"},
	{SL_REC_CSV, "a INT", {"escape=\xc3\xa9"}, "option 'escape' must be a single ASCII"},
	{SL_REC_CSV, "a INT", {"comment=##"}, "option 'comment' must be a single"},
	{SL_REC_CSV, "a INT", {"charToEscapeQuoteEscaping=xy"}, "must be a single ASCII"},
	{SL_REC_CSV, "a INT", {"max_columns=0"}, "option 'max_columns' must be a whole number"},
	{SL_REC_CSV, "a INT", {"maxColumns=ten"}, "must be a whole number from 1"},
	{SL_REC_CSV, "a INT", {"max_chars_per_column=0"}, "-1 (unlimited) or at least 1"},
	{SL_REC_CSV, "a INT", {"max_chars_per_column=-2"}, "whole number from -1"},
	{SL_REC_CSV, "a INT", {"header=yes"}, "option 'header' must be true or false"},
	{SL_REC_CSV, "a INT", {"ignoreLeadingWhiteSpace=1"}, "must be true or false"},
	{SL_REC_CSV, "a INT", {"sep=\"", "quote=\""}, "begins with the quote character"},
	{SL_REC_CSV, "a INT", {"unescaped_quote_handling=RAISE_ERROR"}, "only Spark's default"},
	{SL_REC_CSV, "a INT", {"multi_line=maybe"}, "multi_line"},
	{SL_REC_JSON, "a INT", {"multiLine=TRUE"}, "one object per line (JSON Lines)"},
	{SL_REC_CSV, "a INT", {"encoding=ISO-8859-1"}, "records are read as UTF-8"},
	{SL_REC_CSV, "a INT", {"inferSchema=true"}, "declares"},
	{SL_REC_CSV, "a INT", {"dateFormat=yyyy"}, "no DATE type"},
	{SL_REC_CSV, "a INT", {"quoteAll=true"}, "writer"},
	{SL_REC_CSV, "a INT", {"time_zone=Europe/Paris"}, "read as UTC"},
	{SL_REC_CSV, "a INT", {"line_sep=;"}, "lines end with"},
	{SL_REC_CSV, "a INT", {"samplingRatio=0.5"}, "schema inference"},
	{SL_REC_JSON, "a INT", {"allow_single_quotes=true"}, "strings take double quotes"},
	{SL_REC_JSON, "a INT", {"allowComments=true"}, "without comments"},
	{SL_REC_JSON, "a INT", {"allow_numeric_leading_zeros=true"}, "no leading zeros"},
	{SL_REC_JSON, "a INT", {"primitivesAsString=true"}, "schema inference"},
	{SL_REC_JSON, "a INT", {"allow_non_numeric_numbers=maybe"}, "must be true or false"},
	{SL_REC_JSON, "a INT", {"header=true"}, "option 'header' is an option of format csv; "
						"format 'json' does not take it"},
	{SL_REC_JSON, "a INT", {"sep=;"}, "format csv; format 'json'"},
	{SL_REC_CSV, "a INT", {"allowSingleQuotes=false"}, "format json; format 'csv'"},
	{SL_REC_TEXT, "value STRING", {"mode=FAILFAST"}, "format csv and json; format 'text'"},
	{SL_REC_TEXT, "value STRING", {"wholetext=true"}, "each line is one record"},
	{SL_REC_CSV, "a TIMESTAMP", {"timestamp_format="}, "must not be empty"},
	{SL_REC_CSV, "a TIMESTAMP", {"timestamp_format=yyyy-MM-dd[ HH:mm]"},
	 "optional sections"},
	{SL_REC_JSON, "a TIMESTAMP", {"timestampFormat=yyyy-MM-dd'T'HH:mm:ssXXX"},
	 "pattern letter 'X'"},
	{SL_REC_CSV, "a TIMESTAMP", {"timestamp_format=yyyy 'at"}, "is not closed"},
	{SL_REC_CSV, "a TIMESTAMP", {"timestamp_format=ss.SSSSSSS"}, "at most 6 S"},
	{SL_REC_CSV, "a TIMESTAMP", {"enable_date_time_parsing_fallback=perhaps"},
	 "true or false"},
	{SL_REC_CSV, "a INT", {"column_name_of_corrupt_record=bad"},
	 "names 'bad', but the source has no such column: add `bad STRING`"},
	{SL_REC_JSON, "a INT", {"columnNameOfCorruptRecord="}, "must name a STRING column"},
	{SL_REC_CSV, "a INT, _corrupt_record INT", {NULL}, "must be STRING, not INT"},
	{SL_REC_JSON, "a INT, bad BIGINT", {"column_name_of_corrupt_record=bad"},
	 "must be STRING, not BIGINT"},
	{SL_REC_TEXT, "a STRING, b STRING", {NULL}, "one STRING column"},
	{SL_REC_TEXT, "a INT", {NULL}, "one STRING column"},
	{SL_REC_CSV, "a ARRAY", {NULL}, "column 'a' is ARRAY"},
	{SL_REC_JSON, "a INT, b INTERVAL", {NULL}, "reads BOOLEAN, INT, BIGINT"},
};

Test(recparse, validate_refuses_with_place_and_advice)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct fx *f = fx_spec(c->cols, c->opts);
		int rc = sl_recparse_validate(&f->spec, c->fmt, f->err, sizeof(f->err));
		cr_assert_eq(rc, -EINVAL, "case %zu (%s) was accepted", i, c->want);
		cr_assert(strstr(f->err, c->want) != NULL, "case %zu: '%s' lacks '%s'", i, f->err,
			  c->want);
		cr_assert(strncmp(f->err, "line ", 5) == 0, "case %zu: '%s' has no place", i,
			  f->err);
		/* an option's own place when it is the option that is wrong */
		if (c->opts[0] != NULL && strstr(c->want, "column") == NULL &&
		    strstr(c->want, "STRING") == NULL)
			cr_assert(strncmp(f->err, "line 2, column ", 15) == 0,
				  "case %zu: '%s' is not at the option", i, f->err);
		/* create refuses the same */
		struct sl_recparse *p = sl_recparse_create(&f->spec, c->fmt, f->err, sizeof(f->err));
		cr_assert(p == NULL && errno == EINVAL, "case %zu: create accepted it", i);
		free(f);
	}
}

Test(recparse, validate_needs_columns_for_csv_and_json)
{
	struct fx *f = fx_spec("a INT", NULL);
	f->spec.schema.ncols = 0;
	cr_assert_eq(sl_recparse_validate(&f->spec, SL_REC_CSV, f->err, sizeof(f->err)), -EINVAL);
	cr_assert(strstr(f->err, "line 1, column 1: format 'csv' needs the source's columns") ==
			  f->err,
		  "%s", f->err);
	cr_assert_eq(sl_recparse_validate(&f->spec, SL_REC_JSON, f->err, sizeof(f->err)),
		     -EINVAL);
	/* text: the planner gives it (value STRING) */
	cr_assert_eq(sl_recparse_validate(&f->spec, SL_REC_TEXT, f->err, sizeof(f->err)), 0);
	free(f);
}

Test(recparse, validate_accepts_what_it_supports)
{
	static const char *const csv_opts[] = {
		"sep=\\t", "quote='", "escape=\\", "charToEscapeQuoteEscaping=#", "comment=#",
		"header=TRUE", "enforceSchema=false", "nullValue=NA", "emptyValue=E",
		"nanValue=nan", "positiveInf=+inf", "negativeInf=-inf",
		"ignore_leading_white_space=true", "ignoreTrailingWhiteSpace=false",
		"max_columns=10", "maxCharsPerColumn=-1", "mode=dropmalformed",
		"unescapedQuoteHandling=stop_at_delimiter", "multiLine=false", "encoding=UTF-8",
		"charset=utf8", "inferSchema=false", "timeZone=UTC", NULL};
	struct fx *f = fx_new(SL_REC_CSV, "a INT, b STRING", csv_opts);
	fx_free(f);
	static const char *const json_opts[] = {
		"mode=FailFast", "timestamp_format=yyyy-MM-dd HH:mm:ss.SSS",
		"enableDateTimeParsingFallback=true", "allow_non_numeric_numbers=false",
		"allowComments=false", "allow_single_quotes=FALSE", "allowUnquotedFieldNames=false",
		"allow_numeric_leading_zeros=false", "allowBackslashEscapingAnyCharacter=false",
		"allow_unquoted_control_chars=false", "locale=en-US", "multi_line=false",
		"primitives_as_string=false", "column_name_of_corrupt_record=bad", NULL};
	f = fx_new(SL_REC_JSON, "a INT, bad STRING", json_opts);
	fx_free(f);
	/* the source's own options pass through untouched */
	static const char *const src_opts[] = {"path=/in", "format=csv", "connector=file",
					       NULL};
	f = fx_new(SL_REC_CSV, "a INT", src_opts);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* text                                                                */
/* ------------------------------------------------------------------ */

Test(recparse, text_line_is_the_value)
{
	struct fx *f = fx_new(SL_REC_TEXT, "value STRING", NULL);
	const char line[] = "hello, \"world\"";
	cr_assert_eq(fx_line(f, line), 1);
	cr_assert_str_eq(cell(f, 0, 0), line);
	cr_assert(f->str[0][0].ptr == line, "not zero-copy");
	/* an empty line is a row, as Spark's text source gives "" */
	cr_assert_eq(fx_line(f, ""), 1);
	cr_assert_str_eq(cell(f, 0, 0), "");
	const char nul[] = {'a', '\0', 'b'};
	cr_assert_eq(fx_line_n(f, 1, nul, 3), 1);
	cr_assert_str_eq(cell(f, 0, 1), "a\\0b");
	cr_assert_eq(sl_recparse_malformed(f->p), 0);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */
/* ------------------------------------------------------------------ */

struct row_case {
	const char *opts[6];
	const char *line;
	int rc;
	const char *cells[5];
	bool bad;
};

static void run_cases(enum sl_rec_format fmt, const char *cols, const struct row_case *cases,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct row_case *c = &cases[i];
		struct fx *f = fx_new(fmt, cols, c->opts);
		char what[600];
		snprintf(what, sizeof(what), "case %zu [%s]", i, c->line);
		int rc = fx_line(f, c->line);
		cr_assert_eq(rc, c->rc, "%s: returned %d (%s)", what, rc, f->err);
		if (rc == 1)
			expect_row(f, 0, c->cells, what);
		cr_assert_eq(sl_recparse_malformed(f->p), c->bad ? 1 : 0, "%s: malformed %llu",
			     what, (unsigned long long)sl_recparse_malformed(f->p));
		fx_free(f);
	}
}

static const struct row_case csv_cases[] = {
	/* plain fields */
	{{NULL}, "x,1,2.5", 1, {"x", "1", "2.5"}, false},
	{{NULL}, "x,-7,-0.25e1", 1, {"x", "-7", "-2.5"}, false},
	{{NULL}, "x,,", 1, {"x", "<null>", "<null>"}, false},
	{{NULL}, ",1,1", 1, {"<null>", "1", "1"}, false},
	{{NULL}, "a\"b,1,1", 1, {"a\"b", "1", "1"}, false},
	{{NULL}, "a\\\"b,1,1", 1, {"a\\\"b", "1", "1"}, false},
	{{NULL}, " x ,1,1", 1, {" x ", "1", "1"}, false},
	/* quotes */
	{{NULL}, "\"x,y\",2,3", 1, {"x,y", "2", "3"}, false},
	{{NULL}, "\"a\"\"b\",1,1", 1, {"a\"b", "1", "1"}, false},
	{{NULL}, "\"a\\\"b\",1,1", 1, {"a\"b", "1", "1"}, false},
	{{NULL}, "\"a\\\\b\",1,1", 1, {"a\\b", "1", "1"}, false},
	{{NULL}, "\"a\\\\\",1,1", 1, {"a\\", "1", "1"}, false},
	{{NULL}, "\"a\\b\",1,1", 1, {"a\\b", "1", "1"}, false},
	{{NULL}, "\"\"\"\",1,1", 1, {"\"", "1", "1"}, false},
	{{NULL}, "\"ab\"  ,1,1", 1, {"ab", "1", "1"}, false},
	{{NULL}, "\" a b \",1,1", 1, {" a b ", "1", "1"}, false},
	{{NULL}, "\"ab\"c,1,1", 1, {"\"ab\"c", "1", "1"}, false},
	{{NULL}, "\"ab\" c,1,1", 1, {"\"ab\" c", "1", "1"}, false},
	{{NULL}, " \"ab\",1,1", 1, {" \"ab\"", "1", "1"}, false},
	{{NULL}, "x,\"1\",\"2\"", 1, {"x", "1", "2"}, false},
	{{NULL}, "\"x\n\",1,1", 1, {"x\n", "1", "1"}, false},
	/* "" is NULL with Spark's defaults (nullValue = emptyValue = "") */
	{{NULL}, "\"\",1,1", 1, {"<null>", "1", "1"}, false},
	{{"null_value=NA"}, "\"\",1,1", 1, {"", "1", "1"}, false},
	{{"nullValue=NA"}, "NA,NA,1", 1, {"<null>", "<null>", "1"}, false},
	{{"nullvalue=NA"}, "\"NA\",1,1", 1, {"<null>", "1", "1"}, false},
	{{"null_value=NA"}, ",1,1", 1, {"<null>", "1", "1"}, false},
	{{"null_value=NA", "empty_value=E"}, "\"\",1,1", 1, {"E", "1", "1"}, false},
	{{"empty_value=NA", "null_value=NA"}, "\"\",1,1", 1, {"<null>", "1", "1"}, false},
	/* unterminated quote: the rest of the line, malformed */
	{{NULL}, "\"x,1,2", 1, {"x,1,2", "<null>", "<null>"}, true},
	{{NULL}, "x,1,\"2", 1, {"x", "1", "2"}, true},
	{{NULL}, "x,1,\"2\\\"", 1, {"x", "1", "<null>"}, true},
	/* field counts */
	{{NULL}, "x,1", 1, {"x", "1", "<null>"}, true},
	{{NULL}, "x", 1, {"x", "<null>", "<null>"}, true},
	{{NULL}, "x,1,2,3", 1, {"x", "1", "2"}, true},
	{{NULL}, "x,1,2,", 1, {"x", "1", "2"}, true},
	/* conversions as CAST */
	{{NULL}, "x,abc,2", 1, {"x", "<null>", "2"}, true},
	{{NULL}, "x,2147483648,2", 1, {"x", "<null>", "2"}, true},
	{{NULL}, "x,1.9,2", 1, {"x", "1", "2"}, false},
	{{NULL}, "x, 12 ,2", 1, {"x", "12", "2"}, false},
	{{NULL}, "x,1,abc", 1, {"x", "1", "<null>"}, true},
	{{NULL}, "x,1,NaN", 1, {"x", "1", "NaN"}, false},
	{{NULL}, "x,1,Inf", 1, {"x", "1", "Infinity"}, false},
	{{NULL}, "x,1,-Inf", 1, {"x", "1", "-Infinity"}, false},
	{{NULL}, "x,1,Infinity", 1, {"x", "1", "Infinity"}, false},
	{{NULL}, "x,1,1e999", 1, {"x", "1", "Infinity"}, false},
	{{"nan_value=n/a", "positive_inf=HUGE", "negative_inf=TINY"}, "x,1,n/a", 1,
	 {"x", "1", "NaN"}, false},
	{{"nanValue=n/a", "positiveInf=HUGE", "negativeInf=TINY"}, "x,1,HUGE", 1,
	 {"x", "1", "Infinity"}, false},
	{{"nan_value=n/a", "positive_inf=HUGE", "negative_inf=TINY"}, "x,1,TINY", 1,
	 {"x", "1", "-Infinity"}, false},
	/* separators */
	{{"sep=;"}, "x;1;2", 1, {"x", "1", "2"}, false},
	{{"delimiter=;"}, "x,y;1;2", 1, {"x,y", "1", "2"}, false},
	{{"sep=\\t"}, "x\t1\t2", 1, {"x", "1", "2"}, false},
	{{"sep=\t"}, "x\t1\t2", 1, {"x", "1", "2"}, false},
	{{"sep=||"}, "x||1||2", 1, {"x", "1", "2"}, false},
	{{"sep=||"}, "x|y||1||2", 1, {"x|y", "1", "2"}, false},
	{{"sep=||"}, "\"x||y\"||1||2", 1, {"x||y", "1", "2"}, false},
	{{"sep=ab"}, "xaab1ab2", 1, {"xa", "1", "2"}, false},
	{{"sep=\\\\"}, "x\\1\\2", 1, {"x", "1", "2"}, false},
	/* quote and escape choices */
	{{"quote='"}, "'x,y',1,1", 1, {"x,y", "1", "1"}, false},
	{{"quote='"}, "\"x,y\",1,1", 1, {"\"x", "<null>", "1"}, true},
	{{"quote="}, "\"x\",1,1", 1, {"\"x\"", "1", "1"}, false},
	{{"escape=\""}, "\"a\"\"b\",1,1", 1, {"a\"b", "1", "1"}, false},
	{{"escape=\""}, "\"a\\\"b\",1,1", 1, {"\"a\\\"b\"", "1", "1"}, false},
	{{"escape="}, "\"a\\\\b\",1,1", 1, {"a\\\\b", "1", "1"}, false},
	{{"charToEscapeQuoteEscaping=#"}, "\"a#\\\",1,1", 1, {"a\\", "1", "1"}, false},
	{{"char_to_escape_quote_escaping=#"}, "\"a\\\\\",1,1", 1, {"a\\\",1,1", "<null>",
								   "<null>"},
	 true},
	/* whitespace */
	{{"ignore_leading_white_space=true"}, "  x,  1,\t2", 1, {"x", "1", "2"}, false},
	{{"ignore_trailing_white_space=true"}, "x  ,1 ,2\t", 1, {"x", "1", "2"}, false},
	{{"ignoreLeadingWhiteSpace=true", "ignoreTrailingWhiteSpace=true"}, "  \"a b\" , 1 , 2 ",
	 1, {"a b", "1", "2"}, false},
	{{"ignore_leading_white_space=true"}, " ,1,2", 1, {"<null>", "1", "2"}, false},
	{{"ignore_leading_white_space=true", "sep=\\t"}, "x\t\t2", 1, {"x", "<null>", "2"},
	 false},
	/* blank and comment lines */
	{{NULL}, "", 0, {NULL}, false},
	{{NULL}, "   \t ", 0, {NULL}, false},
	{{"comment=#"}, "#x,1,2", 0, {NULL}, false},
	{{"comment=#"}, " #x,1,2", 1, {" #x", "1", "2"}, false},
	{{NULL}, "#x,1,2", 1, {"#x", "1", "2"}, false},
	/* limits */
	{{"max_chars_per_column=3"}, "abc,1,2", 1, {"abc", "1", "2"}, false},
	{{"max_chars_per_column=3"}, "abcd,1,2", 1, {"<null>", "1", "2"}, true},
	{{"maxCharsPerColumn=3"}, "\"a\"\"\",1,2", 1, {"a\"", "1", "2"}, false},
	{{"max_columns=3"}, "x,1,2", 1, {"x", "1", "2"}, false},
	{{"max_columns=2"}, "x,1,2", 1, {"x", "1", "<null>"}, true},
	/* DROPMALFORMED */
	{{"mode=DROPMALFORMED"}, "x,1,2", 1, {"x", "1", "2"}, false},
	{{"mode=DROPMALFORMED"}, "x,y,2", 0, {NULL}, true},
	{{"mode=dropmalformed"}, "x,1", 0, {NULL}, true},
	{{"mode=DROPMALFORMED"}, "\"x,1,2", 0, {NULL}, true},
};

Test(recparse, csv_table)
{
	run_cases(SL_REC_CSV, "a STRING, b INT, c DOUBLE", csv_cases,
		  sizeof(csv_cases) / sizeof(csv_cases[0]));
}

static const struct row_case csv_type_cases[] = {
	{{NULL}, "true,1,9223372036854775807,2024-01-02 03:04:05", 1,
	 {"true", "1", "9223372036854775807", "1704164645000000"}, false},
	{{NULL}, "FALSE,-1,-9223372036854775808,2024-01-02T03:04:05.123456Z", 1,
	 {"false", "-1", "-9223372036854775808", "1704164645123456"}, false},
	/* CAST's booleans */
	{{NULL}, "yes,0,0,1970-01-01", 1, {"true", "0", "0", "0"}, false},
	{{NULL}, "0,0,0,1970", 1, {"false", "0", "0", "0"}, false},
	{{NULL}, "maybe,0,0,1970", 1, {"<null>", "0", "0", "0"}, true},
	{{NULL}, "t,0,9223372036854775808,1970", 1, {"true", "0", "<null>", "0"}, true},
	{{NULL}, "t,0,0,yesterday", 1, {"true", "0", "0", "<null>"}, true},
	{{NULL}, "t,0,0,2024-01-02 03:04:05+01:00", 1, {"true", "0", "0", "1704161045000000"},
	 false},
	/* timestamp_format */
	{{"timestamp_format=dd/MM/yyyy HH:mm"}, "t,0,0,02/01/2024 03:04", 1,
	 {"true", "0", "0", "1704164640000000"}, false},
	{{"timestampFormat=dd/MM/yyyy HH:mm"}, "t,0,0,2024-01-02 03:04:00", 1,
	 {"true", "0", "0", "<null>"}, true},
	{{"timestamp_format=dd/MM/yyyy HH:mm", "enable_date_time_parsing_fallback=true"},
	 "t,0,0,2024-01-02 03:04:00", 1, {"true", "0", "0", "1704164640000000"}, false},
	{{"timestamp_format=yyyy-MM-dd'T'HH:mm:ss.SSS"}, "t,0,0,2024-01-02T03:04:05.250", 1,
	 {"true", "0", "0", "1704164645250000"}, false},
};

Test(recparse, csv_types)
{
	run_cases(SL_REC_CSV, "a BOOLEAN, b INT, c BIGINT, d TIMESTAMP", csv_type_cases,
		  sizeof(csv_type_cases) / sizeof(csv_type_cases[0]));
}

Test(recparse, csv_zero_copy_and_scratch)
{
	struct fx *f = fx_new(SL_REC_CSV, "a STRING, b STRING, c STRING", NULL);
	const char line[] = "plain,\"quoted\",\"esc\"\"aped\"";
	cr_assert_eq(fx_line(f, line), 1);
	cr_assert(in_range(f->str[0][0].ptr, line, sizeof(line)), "unquoted field copied");
	cr_assert(in_range(f->str[1][0].ptr, line, sizeof(line)), "quoted field copied");
	cr_assert_not(in_range(f->str[2][0].ptr, line, sizeof(line)), "escapes not undone");
	cr_assert_str_eq(cell(f, 2, 0), "esc\"aped");
	fx_free(f);
}

/* Strings in the scratch stay put until reset, however many rows (more
 * than one block of scratch), and reset reuses the memory. */
Test(recparse, csv_scratch_lives_until_reset)
{
	struct fx *f = fx_new(SL_REC_CSV, "a STRING", NULL);
	enum { N = 3000 };
	static struct sl_str keep[N];
	char line[128], want[128];
	for (int i = 0; i < N; i++) {
		snprintf(line, sizeof(line), "\"row %d says \"\"hello\"\" to the scratch %*d\"", i,
			 i % 40, 7);
		cr_assert_eq(fx_line(f, line), 1);
		keep[i] = f->str[0][0];
		cr_assert_not(in_range(keep[i].ptr, line, sizeof(line)));
		memset(line, 'X', sizeof(line)); /* the line is gone */
	}
	for (int i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "row %d says \"hello\" to the scratch %*d", i, i % 40,
			 7);
		cr_assert_eq(keep[i].len, strlen(want), "row %d", i);
		cr_assert(memcmp(keep[i].ptr, want, keep[i].len) == 0, "row %d overwritten", i);
	}
	const char *first = keep[0].ptr;
	sl_recparse_reset(f->p);
	cr_assert_eq(fx_line(f, "\"again \"\"\""), 1);
	cr_assert(f->str[0][0].ptr == first, "reset does not reuse the scratch");
	cr_assert_str_eq(cell(f, 0, 0), "again \"");
	fx_free(f);
}

Test(recparse, csv_long_quoted_field_larger_than_a_block)
{
	struct fx *f = fx_new(SL_REC_CSV, "a STRING, b INT", NULL);
	size_t n = 200000;
	char *line = malloc(n + 16);
	cr_assert(line != NULL);
	line[0] = '"';
	for (size_t i = 1; i < n; i++)
		line[i] = (i % 1000 == 0) ? '\\' : 'a';
	memcpy(line + n, "\\\"\",5", 6);
	cr_assert_eq(fx_line_n(f, 0, line, (uint32_t)(n + 5)), 1, "%s", f->err);
	cr_assert_eq(f->i64[1][0], 5);
	cr_assert_eq(f->str[0][0].len, n - 1 + 1);
	cr_assert_eq(f->str[0][0].ptr[f->str[0][0].len - 1], '"');
	free(line);
	fx_free(f);
}

/* Each escaped quoted field takes the scratch it needs, not the rest of
 * the line: a long line of them stays linear in time and memory. */
Test(recparse, csv_many_escaped_fields_in_one_line)
{
	struct fx *f = fx_new(SL_REC_CSV, "a STRING, b STRING", NULL);
	enum { FIELDS = 60000 };
	char *line = malloc(FIELDS * 7 + 1);
	cr_assert(line != NULL);
	size_t n = 0;
	for (int i = 0; i < FIELDS; i++) {
		memcpy(line + n, "\"a\"\"b\",", 7);
		n += 7;
	}
	n--; /* no separator after the last */
	for (int rep = 0; rep < 3; rep++) {
		cr_assert_eq(fx_line_n(f, 0, line, (uint32_t)n), 1);
		cr_assert_str_eq(cell(f, 0, 0), "a\"b");
		cr_assert_str_eq(cell(f, 1, 0), "a\"b");
		sl_recparse_reset(f->p);
	}
	cr_assert_eq(sl_recparse_malformed(f->p), 3, "60000 fields for 2 columns");
	free(line);
	fx_free(f);
}

Test(recparse, csv_header_skipped_per_input)
{
	static const char *const opts[] = {"header=true", "comment=#", NULL};
	struct fx *f = fx_new(SL_REC_CSV, "a STRING, b INT", opts);
	/* the first input needs no begin() */
	cr_assert_eq(fx_line(f, ""), 0);
	cr_assert_eq(fx_line(f, "  # a comment before the header"), 0);
	cr_assert_eq(fx_line(f, "a,b"), 0);
	cr_assert_eq(fx_line(f, "x,1"), 1);
	cr_assert_str_eq(cell(f, 0, 0), "x");
	cr_assert_eq(fx_line(f, "a,b"), 1, "only the first line is the header");
	sl_recparse_begin(f->p);
	cr_assert_eq(fx_line(f, "whatever,header"), 0);
	cr_assert_eq(fx_line(f, "y,2"), 1);
	cr_assert_eq(f->i64[1][0], 2);
	/* an input that ends before its header leaves the next input's first
	 * line a header after begin() */
	sl_recparse_begin(f->p);
	sl_recparse_begin(f->p);
	cr_assert_eq(fx_line(f, "h1,h2"), 0);
	cr_assert_eq(fx_line(f, "z,3"), 1);
	cr_assert_eq(sl_recparse_malformed(f->p), 1, "'a,b' as a record is malformed");
	fx_free(f);

	/* header = false: every line is a record, begin() or not */
	f = fx_new(SL_REC_CSV, "a STRING, b INT", NULL);
	sl_recparse_begin(f->p);
	cr_assert_eq(fx_line(f, "a,1"), 1);
	fx_free(f);
}

Test(recparse, csv_header_checked_when_schema_not_enforced)
{
	static const char *const opts[] = {"header=true", "enforce_schema=false",
					   "mode=PERMISSIVE", NULL};
	struct fx *f = fx_new(SL_REC_CSV, "a STRING, _corrupt_record STRING, Bee INT", opts);
	cr_assert_eq(fx_line(f, "A,\"bee\""), 0, "%s", f->err);
	cr_assert_eq(fx_line(f, "x,1"), 1);
	sl_recparse_begin(f->p);
	cr_assert_eq(fx_line(f, "a,c"), -EINVAL);
	cr_assert(strstr(f->err, "header field 2 is 'c' where column 'Bee' is expected") != NULL,
		  "%s", f->err);
	cr_assert(strstr(f->err, "enforce_schema = true") != NULL, "%s", f->err);
	sl_recparse_begin(f->p);
	cr_assert_eq(fx_line(f, "a,bee,c"), -EINVAL);
	cr_assert(strstr(f->err, "the CSV header has 3 names, the schema 2 columns (a, Bee)") !=
			  NULL,
		  "%s", f->err);
	fx_free(f);
}

Test(recparse, csv_corrupt_record_column)
{
	struct fx *f = fx_new(SL_REC_CSV, "a STRING, _corrupt_record STRING, b INT", NULL);
	const char good[] = "x,1";
	cr_assert_eq(fx_line(f, good), 1);
	const char *const want_good[] = {"x", "<null>", "1"};
	expect_row(f, 0, want_good, "good");
	const char bad[] = "x,y";
	cr_assert_eq(fx_line(f, bad), 1);
	const char *const want_bad[] = {"x", "x,y", "<null>"};
	expect_row(f, 0, want_bad, "bad");
	cr_assert(f->str[1][0].ptr == bad, "the corrupt record is not the line");
	/* the corrupt column is not a field: three fields are too many */
	cr_assert_eq(fx_line(f, "x,1,z"), 1);
	const char *const want_more[] = {"x", "x,1,z", "1"};
	expect_row(f, 0, want_more, "more");
	cr_assert_eq(sl_recparse_malformed(f->p), 2);
	fx_free(f);

	static const char *const opts[] = {"columnNameOfCorruptRecord=raw", NULL};
	f = fx_new(SL_REC_CSV, "a INT, raw STRING, _corrupt_record STRING", opts);
	cr_assert_eq(fx_line(f, "oops,x"), 1);
	const char *const want_named[] = {"<null>", "oops,x", "x"};
	expect_row(f, 0, want_named, "named");
	fx_free(f);
}

struct failfast_case {
	const char *opts[4];
	const char *line;
	const char *want;
};

static const struct failfast_case csv_failfast[] = {
	{{NULL}, "x,abc,2", "field 2 (b): 'abc' is not an INT"},
	{{NULL}, "x,1,zz", "field 3 (c): 'zz' is not a DOUBLE"},
	{{NULL}, "x,1", "the record has 2 fields, the schema 3 columns (a, b, c)"},
	{{NULL}, "x", "the record has 1 field, the schema 3 columns"},
	{{NULL}, "x,1,2,3", "the record has 4 fields"},
	{{NULL}, "x,\"1,2", "field 2: its quote is not closed"},
	{{"max_chars_per_column=2"}, "x,123,2", "field 2 is 3 bytes long, more than "
						  "max_chars_per_column = 2"},
	{{"max_columns=2"}, "x,1,2", "more than max_columns = 2 fields"},
	{{NULL}, "x,\x01\x7f\\,1", "field 2 (b): '\\x01\\x7f\\x5c' is not an INT"},
	{{NULL}, "x,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,1",
	 "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'... is not an INT"},
};

Test(recparse, csv_failfast_messages)
{
	for (size_t i = 0; i < sizeof(csv_failfast) / sizeof(csv_failfast[0]); i++) {
		const struct failfast_case *c = &csv_failfast[i];
		const char *opts[6] = {"mode=FAILFAST"};
		for (int k = 0; k < 4 && c->opts[k] != NULL; k++)
			opts[k + 1] = c->opts[k];
		struct fx *f = fx_new(SL_REC_CSV, "a STRING, b INT, c DOUBLE", opts);
		cr_assert_eq(fx_line(f, c->line), -EINVAL, "case %zu", i);
		cr_assert(strstr(f->err, c->want) != NULL, "case %zu: '%s' lacks '%s'", i, f->err,
			  c->want);
		cr_assert(strstr(f->err, "mode = 'PERMISSIVE'") != NULL, "case %zu: no advice: %s",
			  i, f->err);
		cr_assert_eq(sl_recparse_malformed(f->p), 0);
		/* good records still pass */
		if (c->opts[0] == NULL)
			cr_assert_eq(fx_line(f, "x,12,2"), 1);
		fx_free(f);
	}
}

/* ------------------------------------------------------------------ */
/* CSV records across lines (multi_line = true)                         */
/* ------------------------------------------------------------------ */

static size_t scan_cb(void *ctx, const char *s, size_t n)
{
	return sl_recparse_scan(ctx, s, n);
}

/* Cut `in` into records through a line splitter with the parser's scanner,
 * fed `step` bytes at a time; the records joined by '|' into out. */
static void ml_records(struct fx *f, const char *in, size_t step, uint64_t max_line, char *out,
		       size_t outlen, uint64_t *malformed)
{
	struct sl_lines *l = sl_lines_create(max_line, 64);
	cr_assert(l != NULL);
	sl_lines_set_scanner(l, scan_cb, f->p);
	sl_recparse_begin(f->p);
	size_t w = 0, len = strlen(in), at = 0, nrec = 0;
	out[0] = '\0';
	for (;;) {
		struct sl_str r[8];
		uint32_t k;
		while ((k = sl_lines_next_burst(l, r, 8)) > 0)
			for (uint32_t i = 0; i < k; i++)
				w += (size_t)snprintf(out + w, outlen - w, "%s%.*s",
						      nrec++ ? "|" : "", (int)r[i].len, r[i].ptr);
		if (at == len) {
			sl_lines_eof(l);
			while ((k = sl_lines_next_burst(l, r, 8)) > 0)
				for (uint32_t i = 0; i < k; i++)
					w += (size_t)snprintf(out + w, outlen - w, "%s%.*s",
							      nrec++ ? "|" : "", (int)r[i].len,
							      r[i].ptr);
			break;
		}
		size_t n = len - at < step ? len - at : step;
		at += sl_lines_feed(l, in + at, n);
	}
	*malformed = sl_lines_malformed(l);
	sl_lines_destroy(l);
}

static const struct {
	const char *opts[3];
	const char *in;
	const char *records; /* '|' between records */
	uint64_t malformed;
} ml_cases[] = {
	{{NULL}, "a,1\nb,2\n", "a,1|b,2", 0},
	{{NULL}, "\"x\ny\",1\nb,2", "\"x\ny\",1|b,2", 0},
	{{NULL}, "\"x\r\ny\",1\r\nb,2\r\n", "\"x\r\ny\",1|b,2", 0},
	/* a doubled quote and an escaped quote do not close the field */
	{{NULL}, "\"a\"\"\n\",1\n\"b\\\"\n\",2\n", "\"a\"\"\n\",1|\"b\\\"\n\",2", 0},
	/* an escaped escape does not hide the closing quote */
	{{NULL}, "\"a\\\\\",1\nb,2\n", "\"a\\\\\",1|b,2", 0},
	/* a quote inside an unquoted field is text: the line ends the record */
	{{NULL}, "a\"b,1\nc,2\n", "a\"b,1|c,2", 0},
	/* text after a closing quote runs to the separator */
	{{NULL}, "\"a\"x\"\n,1\n", "\"a\"x\"|,1", 0},
	/* a quoted field later in the record */
	{{NULL}, "1,\"p\n\nq\"\n2,\"\"\n", "1,\"p\n\nq\"|2,\"\"", 0},
	/* blank lines are records the parser skips */
	{{NULL}, "\n\na,1\n", "||a,1", 0},
	/* a comment line's quote opens nothing */
	{{"comment=#"}, "#\"c\na,1\n", "#\"c|a,1", 0},
	/* unterminated quote at the end: the rest is the last record */
	{{NULL}, "a,1\n\"b\n,2\n", "a,1|\"b\n,2\n", 0},
	/* another separator and quote */
	{{"sep=;", "quote='"}, "'a;\n';1\n\"b;2\n", "'a;\n';1|\"b;2", 0},
	{{"sep=||"}, "\"a||\n\"||1\nb||2\n", "\"a||\n\"||1|b||2", 0},
	/* leading whitespace before the quote */
	{{"ignore_leading_white_space=true"}, "  \"a\n\",1\n", "  \"a\n\",1", 0},
	{{NULL}, " \"a\n\",1\n", " \"a|\",1\n", 0},
};

Test(recparse, csv_multi_line_records_any_cut)
{
	for (size_t i = 0; i < sizeof(ml_cases) / sizeof(ml_cases[0]); i++) {
		const char *opts[5] = {"multi_line=true", NULL};
		for (int k = 0; ml_cases[i].opts[k] != NULL; k++)
			opts[k + 1] = ml_cases[i].opts[k];
		struct fx *f = fx_new(SL_REC_CSV, "a STRING, b INT", opts);
		cr_assert(sl_recparse_multi_line(f->p));
		size_t len = strlen(ml_cases[i].in);
		for (size_t step = 1; step <= len; step++) {
			char got[512];
			uint64_t bad;
			ml_records(f, ml_cases[i].in, step, 1024, got, sizeof(got), &bad);
			cr_assert_str_eq(got, ml_cases[i].records, "case %zu, reads of %zu", i, step);
			cr_assert_eq(bad, ml_cases[i].malformed, "case %zu", i);
		}
		fx_free(f);
	}
}

Test(recparse, csv_multi_line_parse_and_bound)
{
	static const char *const opts[] = {"multi_line=true", NULL};
	struct fx *f = fx_new(SL_REC_CSV, "a STRING, b INT", opts);
	/* the parser reads a record with line ends as it reads a line */
	cr_assert_eq(fx_line(f, "\"x\r\ny\"\"\r\r\n\",7"), 1, "%s", f->err);
	/* "\r\n" inside quotes is "\n" (univocity's normalized line ends) */
	cr_assert_str_eq(cell(f, 0, 0), "x\ny\"\r\n");
	cr_assert_str_eq(cell(f, 1, 0), "7");
	/* max_line bounds a record: a long one is malformed, the next read */
	char in[400], got[512];
	snprintf(in, sizeof(in), "\"%0200d\n\",1\nz,2\n\"open\n", 0);
	uint64_t bad;
	for (size_t step = 1; step < 64; step += 7) {
		ml_records(f, in, step, 100, got, sizeof(got), &bad);
		cr_assert_str_eq(got, "z,2|\"open\n", "reads of %zu", step);
		cr_assert_eq(bad, 1);
	}
	/* an unterminated quote over the bound: counted once, nothing after */
	snprintf(in, sizeof(in), "a,1\n\"%0200d\nb,2\n", 0);
	ml_records(f, in, 13, 100, got, sizeof(got), &bad);
	cr_assert_str_eq(got, "a,1");
	cr_assert_eq(bad, 1);
	/* the unterminated record itself is malformed for the parser */
	cr_assert_eq(fx_line(f, "\"open\n"), 1);
	cr_assert_eq(sl_recparse_malformed(f->p), 1);
	fx_free(f);
}

Test(recparse, csv_rows_in_place_and_nul_bytes)
{
	struct fx *f = fx_new(SL_REC_CSV, "a STRING, b INT", NULL);
	const char l0[] = {'a', '\0', 'b', ',', '1'};
	const char l1[] = {'"', 'q', '\0', '"', ',', '2'};
	cr_assert_eq(fx_line_n(f, 0, l0, sizeof(l0)), 1);
	cr_assert_eq(fx_line_n(f, 3, l1, sizeof(l1)), 1);
	cr_assert_str_eq(cell(f, 0, 0), "a\\0b");
	cr_assert_str_eq(cell(f, 0, 3), "q\\0");
	cr_assert_eq(f->i64[1][0], 1);
	cr_assert_eq(f->i64[1][3], 2);
	/* the separator may be NUL (Spark's '\u0000') */
	fx_free(f);
	static const char *const opts[] = {"sep=\\u0000", NULL};
	f = fx_new(SL_REC_CSV, "a STRING, b INT", opts);
	const char l2[] = {'x', ',', 'y', '\0', '7'};
	cr_assert_eq(fx_line_n(f, 0, l2, sizeof(l2)), 1);
	cr_assert_str_eq(cell(f, 0, 0), "x,y");
	cr_assert_eq(f->i64[1][0], 7);
	fx_free(f);
}

Test(recparse, csv_corrupt_column_only)
{
	/* no data fields: every record with a field is malformed, no crash */
	struct fx *f = fx_new(SL_REC_CSV, "_corrupt_record STRING", NULL);
	cr_assert_eq(fx_line(f, "a,b"), 1);
	cr_assert_str_eq(cell(f, 0, 0), "a,b");
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

#define JSON_COLS "a STRING, b INT, c DOUBLE, d BOOLEAN, e TIMESTAMP"

static const struct row_case json_cases[] = {
	{{NULL}, "{\"a\":\"x\",\"b\":1,\"c\":2.5,\"d\":true,\"e\":\"2024-01-02 03:04:05\"}", 1,
	 {"x", "1", "2.5", "true", "1704164645000000"}, false},
	{{NULL}, "  { \"e\" : 1700000000 , \"d\" : false , \"c\" : -1 , \"b\" : -2147483648 } ", 1,
	 {"<null>", "-2147483648", "-1", "false", "1700000000000000"}, false},
	{{NULL}, "{}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":null}", 1,
	 {"<null>", "<null>", "<null>", "<null>", "<null>"}, false},
	/* extra fields are skipped, names are case-sensitive */
	{{NULL}, "{\"A\":\"no\",\"z\":{\"q\":[1,{\"r\":null}]},\"a\":\"yes\",\"B\":5}", 1,
	 {"yes", "<null>", "<null>", "<null>", "<null>"}, false},
	/* the last duplicate wins */
	{{NULL}, "{\"b\":1,\"b\":2}", 1, {"<null>", "2", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{\"b\":1,\"b\":null}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"b\":1,\"b\":\"x\"}", 1, {"<null>", "1", "<null>", "<null>", "<null>"}, true},
	/* blank lines */
	{{NULL}, "", 0, {NULL}, false},
	{{NULL}, " \t\r ", 0, {NULL}, false},
	/* INT */
	{{NULL}, "{\"b\":1.5,\"a\":\"kept\"}", 1, {"kept", "<null>", "<null>", "<null>", "<null>"},
	 true},
	{{NULL}, "{\"b\":1.0}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"b\":1e2}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"b\":\"12\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"b\":2147483648}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"},
	 true},
	{{NULL}, "{\"b\":true}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"b\":-0}", 1, {"<null>", "0", "<null>", "<null>", "<null>"}, false},
	/* DOUBLE */
	{{NULL}, "{\"c\":3}", 1, {"<null>", "<null>", "3", "<null>", "<null>"}, false},
	{{NULL}, "{\"c\":-1.25E+2}", 1, {"<null>", "<null>", "-125", "<null>", "<null>"}, false},
	{{NULL}, "{\"c\":1e999}", 1, {"<null>", "<null>", "Infinity", "<null>", "<null>"}, false},
	{{NULL}, "{\"c\":123456789012345678901234567890}", 1,
	 {"<null>", "<null>", "1.2345678901234568e+29", "<null>", "<null>"}, false},
	{{NULL}, "{\"c\":\"NaN\"}", 1, {"<null>", "<null>", "NaN", "<null>", "<null>"}, false},
	{{NULL}, "{\"c\":\"Infinity\"}", 1, {"<null>", "<null>", "Infinity", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"c\":\"+INF\"}", 1, {"<null>", "<null>", "Infinity", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"c\":\"-INF\"}", 1, {"<null>", "<null>", "-Infinity", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"c\":\"-Infinity\"}", 1,
	 {"<null>", "<null>", "-Infinity", "<null>", "<null>"}, false},
	{{NULL}, "{\"c\":\"\\u004eaN\"}", 1, {"<null>", "<null>", "NaN", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"c\":\"nan\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"c\":\"1.5\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"c\":\"\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{"allow_non_numeric_numbers=false"}, "{\"c\":\"NaN\"}", 1,
	 {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	/* BOOLEAN */
	{{NULL}, "{\"d\":\"true\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"d\":1}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	/* STRING: escapes undone; other values as their JSON text */
	{{NULL}, "{\"a\":\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}", 1,
	 {"q\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80", "<null>", "<null>", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"a\":\"lone \\ud800 surrogate\"}", 1,
	 {"lone ? surrogate", "<null>", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{\"a\":\"\"}", 1, {"", "<null>", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{\"a\":12}", 1, {"12", "<null>", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{\"a\":-1.50e3 }", 1, {"-1.50e3", "<null>", "<null>", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"a\":true}", 1, {"true", "<null>", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{\"a\": { \"x\" : [1, 2, \"a b\" ] , \"y\":{}} }", 1,
	 {"{\"x\":[1,2,\"a b\"],\"y\":{}}", "<null>", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{\"a\":[\"\\\" ]\"]}", 1, {"[\"\\\" ]\"]", "<null>", "<null>", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"\\u0061\":\"escaped key\"}", 1,
	 {"escaped key", "<null>", "<null>", "<null>", "<null>"}, false},
	/* TIMESTAMP */
	{{NULL}, "{\"e\":\"2024-01-02T03:04:05.5Z\"}", 1,
	 {"<null>", "<null>", "<null>", "<null>", "1704164645500000"}, false},
	{{NULL}, "{\"e\":-1}", 1, {"<null>", "<null>", "<null>", "<null>", "-1000000"}, false},
	{{NULL}, "{\"e\":1.5}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"e\":\"\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"e\":\"soon\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"e\":true}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{"timestamp_format=dd.MM.yyyy"}, "{\"e\":\"02.01.2024\"}", 1,
	 {"<null>", "<null>", "<null>", "<null>", "1704153600000000"}, false},
	{{"timestamp_format=dd.MM.yyyy"}, "{\"e\":\"2024-01-02\"}", 1,
	 {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{"timestamp_format=dd.MM.yyyy", "enable_date_time_parsing_fallback=true"},
	 "{\"e\":\"2024-01-02\"}", 1, {"<null>", "<null>", "<null>", "<null>", "1704153600000000"},
	 false},
	/* not one valid object: every column NULL */
	{{NULL}, "[{\"a\":\"x\"}]", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "\"a\"", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "12", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "null", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\":\"x\"} {\"b\":2}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"},
	 true},
	{{NULL}, "{\"a\":\"x\"}x", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\":\"x\"}}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\":\"x\",}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\":\"x\"", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\" \"x\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{'a':'x'}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{a:1}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\":\"x\",\"z\":tru}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"},
	 true},
	{{NULL}, "{\"a\":\"x\",\"z\":[1,nul]}", 1,
	 {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\":\"x\",\"z\":01}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"},
	 true},
	{{NULL}, "{\"a\":\"x\",\"z\":1.}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"},
	 true},
	{{NULL}, "{\"a\":\"x\",\"z\":\"\\q\"}", 1,
	 {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\":\"\\u12\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\":\"x\",\"z\":NaN}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"},
	 true},
	{{NULL}, "{\"a\":\"x\"} // note", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"},
	 true},
	{{NULL}, "{\"a\":\"\xff\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\":\"tab\there\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"},
	 true},
	/* DROPMALFORMED */
	{{"mode=DROPMALFORMED"}, "{\"b\":\"x\"}", 0, {NULL}, true},
	{{"mode=DROPMALFORMED"}, "{\"b\":", 0, {NULL}, true},
	{{"mode=DROPMALFORMED"}, "{\"b\":3}", 1, {"<null>", "3", "<null>", "<null>", "<null>"},
	 false},
};

Test(recparse, json_table)
{
	run_cases(SL_REC_JSON, JSON_COLS, json_cases, sizeof(json_cases) / sizeof(json_cases[0]));
}

/* Nested fields: a column named "a.b" reads field b of object a. */
#define NESTED_COLS "a.b STRING, a.c.d INT, x.y DOUBLE, a STRING"

static const struct row_case json_nested_cases[] = {
	{{NULL}, "{\"a\":{\"b\":\"v\",\"c\":{\"d\":7}},\"x\":{\"y\":1.5}}", 1,
	 {"v", "7", "1.5", "{\"b\":\"v\",\"c\":{\"d\":7}}"}, false},
	/* any order, other fields skipped (and still checked) */
	{{NULL}, "{\"x\":{\"z\":[1,{}],\"y\":2},\"q\":1,\"a\":{\"c\":{\"e\":0,\"d\":-1}}}", 1,
	 {"<null>", "-1", "2", "{\"c\":{\"e\":0,\"d\":-1}}"}, false},
	/* a missing parent, a parent that is no object, a null parent: NULL */
	{{NULL}, "{}", 1, {"<null>", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{\"a\":5,\"x\":[1]}", 1, {"<null>", "<null>", "<null>", "5"}, false},
	{{NULL}, "{\"a\":null,\"x\":\"y\"}", 1, {"<null>", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{\"a\":{\"c\":3}}", 1, {"<null>", "<null>", "<null>", "{\"c\":3}"}, false},
	/* a value that does not convert: NULL, malformed */
	{{NULL}, "{\"a\":{\"c\":{\"d\":\"s\"}}}", 1,
	 {"<null>", "<null>", "<null>", "{\"c\":{\"d\":\"s\"}}"}, true},
	{{"mode=DROPMALFORMED"}, "{\"a\":{\"c\":{\"d\":1.5}}}", 0, {NULL}, true},
	/* an object as a nested STRING: its JSON text */
	{{NULL}, "{\"a\":{\"b\":{ \"k\" : [ 1 ] }}}", 1,
	 {"{\"k\":[1]}", "<null>", "<null>", "{\"b\":{\"k\":[1]}}"}, false},
	/* the literal top-level name wins over the nested field, in any order */
	{{NULL}, "{\"a.b\":\"lit\",\"a\":{\"b\":\"nest\"}}", 1,
	 {"lit", "<null>", "<null>", "{\"b\":\"nest\"}"}, false},
	{{NULL}, "{\"a\":{\"b\":\"nest\"},\"a.b\":\"lit\"}", 1,
	 {"lit", "<null>", "<null>", "{\"b\":\"nest\"}"}, false},
	{{NULL}, "{\"a\":{\"b\":\"nest\"},\"a.b\":null}", 1,
	 {"<null>", "<null>", "<null>", "{\"b\":\"nest\"}"}, false},
	/* ... and a nested value that does not convert is then no matter */
	{{NULL}, "{\"a\":{\"c\":{\"d\":true}},\"a.c.d\":4}", 1,
	 {"<null>", "4", "<null>", "{\"c\":{\"d\":true}}"}, false},
	{{NULL}, "{\"a.c.d\":4,\"a\":{\"c\":{\"d\":true}}}", 1,
	 {"<null>", "4", "<null>", "{\"c\":{\"d\":true}}"}, false},
	{{NULL}, "{\"a\":{\"c\":{\"d\":1}},\"a.c.d\":\"no\"}", 1,
	 {"<null>", "<null>", "<null>", "{\"c\":{\"d\":1}}"}, true},
	/* a dotted key inside an object */
	{{NULL}, "{\"a\":{\"c.d\":9}}", 1, {"<null>", "9", "<null>", "{\"c.d\":9}"}, false},
	/* invalid JSON inside an entered object: the whole record */
	{{NULL}, "{\"a\":{\"b\":\"v\",\"z\":tru},\"x\":{\"y\":1}}", 1,
	 {"<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\":{\"b\":\"v\"", 1, {"<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\":{\"b\":\"v\"}} x", 1, {"<null>", "<null>", "<null>", "<null>"}, true},
};

Test(recparse, json_nested_fields)
{
	run_cases(SL_REC_JSON, NESTED_COLS, json_nested_cases,
		  sizeof(json_nested_cases) / sizeof(json_nested_cases[0]));
}

Test(recparse, json_nested_failfast)
{
	static const char *const opts[] = {"mode=FAILFAST", NULL};
	struct fx *f = fx_new(SL_REC_JSON, NESTED_COLS, opts);
	cr_assert_eq(fx_line(f, "{\"a\":{\"c\":{\"d\":\"s\"}}}"), -EINVAL);
	cr_assert(strstr(f->err, "field 'a.c.d': \"s\" is not an INT") != NULL, "%s", f->err);
	/* the literal wins: no failure */
	cr_assert_eq(fx_line(f, "{\"a\":{\"c\":{\"d\":\"s\"}},\"a.c.d\":2}"), 1, "%s", f->err);
	cr_assert_str_eq(cell(f, 1, 0), "2");
	cr_assert_eq(fx_line(f, "{\"x\":{\"y\":\"s\"}}"), -EINVAL);
	cr_assert(strstr(f->err, "field 'x.y'") != NULL, "%s", f->err);
	fx_free(f);
}

Test(recparse, json_nested_deep_path)
{
	/* a path as deep as objects may be entered */
	char cols[256], line[1024];
	size_t w = 0;
	for (int i = 0; i < 40; i++)
		w += (size_t)snprintf(cols + w, sizeof(cols) - w, "%sk", i ? "." : "");
	snprintf(cols + w, sizeof(cols) - w, " INT");
	w = 0;
	for (int i = 0; i < 39; i++)
		w += (size_t)snprintf(line + w, sizeof(line) - w, "{\"k\":");
	w += (size_t)snprintf(line + w, sizeof(line) - w, "{\"k\":42");
	for (int i = 0; i < 40; i++)
		w += (size_t)snprintf(line + w, sizeof(line) - w, "}");
	struct fx *f = fx_new(SL_REC_JSON, cols, NULL);
	cr_assert_eq(fx_line(f, line), 1, "%s", f->err);
	cr_assert_str_eq(cell(f, 0, 0), "42");
	fx_free(f);
}

Test(recparse, json_bigint)
{
	struct fx *f = fx_new(SL_REC_JSON, "n BIGINT", NULL);
	cr_assert_eq(fx_line(f, "{\"n\":-9223372036854775808}"), 1);
	cr_assert_str_eq(cell(f, 0, 0), "-9223372036854775808");
	cr_assert_eq(fx_line(f, "{\"n\":9223372036854775807}"), 1);
	cr_assert_str_eq(cell(f, 0, 0), "9223372036854775807");
	cr_assert_eq(fx_line(f, "{\"n\":9223372036854775808}"), 1);
	cr_assert_str_eq(cell(f, 0, 0), "<null>");
	cr_assert_eq(sl_recparse_malformed(f->p), 1);
	fx_free(f);
}

Test(recparse, json_zero_copy_and_scratch)
{
	struct fx *f = fx_new(SL_REC_JSON, "a STRING, b STRING, c STRING", NULL);
	const char line[] = "{\"a\":\"plain\",\"b\":\"esc\\\"aped\",\"c\":[1, 2]}";
	cr_assert_eq(fx_line(f, line), 1);
	cr_assert(in_range(f->str[0][0].ptr, line, sizeof(line)), "plain string copied");
	cr_assert_not(in_range(f->str[1][0].ptr, line, sizeof(line)));
	cr_assert_not(in_range(f->str[2][0].ptr, line, sizeof(line)));
	cr_assert_str_eq(cell(f, 1, 0), "esc\"aped");
	cr_assert_str_eq(cell(f, 2, 0), "[1,2]");
	const char compact[] = "{\"c\":{\"x\":1}}";
	cr_assert_eq(fx_line(f, compact), 1);
	cr_assert(in_range(f->str[2][0].ptr, compact, sizeof(compact)), "compact text copied");
	cr_assert_str_eq(cell(f, 2, 0), "{\"x\":1}");
	fx_free(f);
}

Test(recparse, json_scratch_lives_until_reset)
{
	struct fx *f = fx_new(SL_REC_JSON, "a STRING", NULL);
	enum { N = 4000 };
	static struct sl_str keep[N];
	char line[128], want[128];
	for (int i = 0; i < N; i++) {
		snprintf(line, sizeof(line), "{\"a\":\"row %d\\tsays \\\"hi\\\" %*d\"}", i, i % 40,
			 7);
		cr_assert_eq(fx_line(f, line), 1, "%s", f->err);
		keep[i] = f->str[0][0];
		memset(line, 'X', sizeof(line));
	}
	for (int i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "row %d\tsays \"hi\" %*d", i, i % 40, 7);
		cr_assert_eq(keep[i].len, strlen(want), "row %d", i);
		cr_assert(memcmp(keep[i].ptr, want, keep[i].len) == 0, "row %d overwritten", i);
	}
	sl_recparse_reset(f->p);
	cr_assert_eq(fx_line(f, "{\"a\":\"\\n\"}"), 1);
	cr_assert(f->str[0][0].ptr == keep[0].ptr, "reset does not reuse the scratch");
	fx_free(f);
}

Test(recparse, json_keys_in_any_order_across_lines)
{
	struct fx *f = fx_new(SL_REC_JSON, "a INT, b INT, c INT", NULL);
	const char *lines[] = {"{\"a\":1,\"b\":2,\"c\":3}", "{\"c\":3,\"b\":2,\"a\":1}",
			       "{\"b\":2,\"x\":0,\"c\":3,\"a\":1}", "{\"c\":3,\"a\":1,\"b\":2}"};
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(fx_line_n(f, (uint32_t)i, lines[i], (uint32_t)strlen(lines[i])), 1);
		cr_assert_str_eq(cell(f, 0, (uint32_t)i), "1");
		cr_assert_str_eq(cell(f, 1, (uint32_t)i), "2");
		cr_assert_str_eq(cell(f, 2, (uint32_t)i), "3");
	}
	fx_free(f);
}

Test(recparse, json_corrupt_record_column)
{
	struct fx *f = fx_new(SL_REC_JSON, "a INT, _corrupt_record STRING", NULL);
	const char bad[] = "{\"a\":\"x\"}";
	cr_assert_eq(fx_line(f, bad), 1);
	cr_assert_str_eq(cell(f, 0, 0), "<null>");
	cr_assert(f->str[1][0].ptr == bad && f->str[1][0].len == strlen(bad));
	const char broken[] = "{\"a\":1";
	cr_assert_eq(fx_line(f, broken), 1);
	cr_assert_str_eq(cell(f, 0, 0), "<null>");
	cr_assert_str_eq(cell(f, 1, 0), broken);
	/* a field of the corrupt column's name is no data */
	cr_assert_eq(fx_line(f, "{\"a\":1,\"_corrupt_record\":\"zz\"}"), 1);
	cr_assert_str_eq(cell(f, 0, 0), "1");
	cr_assert_str_eq(cell(f, 1, 0), "<null>");
	cr_assert_eq(sl_recparse_malformed(f->p), 2);
	fx_free(f);
}

Test(recparse, json_invalid_record_nulls_earlier_fields)
{
	/* the JSON breaks after a field was filled: no partial result */
	struct fx *f = fx_new(SL_REC_JSON, "a INT, b INT", NULL);
	cr_assert_eq(fx_line(f, "{\"a\":1,\"b\":2,"), 1);
	cr_assert_str_eq(cell(f, 0, 0), "<null>");
	cr_assert_str_eq(cell(f, 1, 0), "<null>");
	cr_assert_eq(fx_line(f, "{\"a\":1,\"b\":2,\"c\":[1,2}"), 1);
	cr_assert_str_eq(cell(f, 0, 0), "<null>");
	fx_free(f);
}

Test(recparse, json_deep_nesting_and_long_lines)
{
	struct fx *f = fx_new(SL_REC_JSON, "a INT, z STRING", NULL);
	size_t depth = 5000, n = 0;
	char *line = malloc(2 * depth + 64);
	cr_assert(line != NULL);
	n += (size_t)sprintf(line, "{\"a\":1,\"y\":");
	for (size_t i = 0; i < depth; i++)
		line[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		line[n++] = ']';
	line[n++] = '}';
	cr_assert_eq(fx_line_n(f, 0, line, (uint32_t)n), 1);
	cr_assert_str_eq(cell(f, 0, 0), "<null>", "deeper than simdjson allows is malformed");
	/* a 1 MB string value, then a short line with the grown buffers */
	size_t big = 1 << 20;
	char *l2 = malloc(big + 32);
	cr_assert(l2 != NULL);
	size_t m = (size_t)sprintf(l2, "{\"z\":\"");
	memset(l2 + m, 'q', big);
	m += big;
	m += (size_t)sprintf(l2 + m, "\",\"a\":7}");
	cr_assert_eq(fx_line_n(f, 1, l2, (uint32_t)m), 1);
	cr_assert_eq(f->str[1][1].len, big);
	cr_assert_eq(f->i64[0][1], 7);
	cr_assert_eq(fx_line(f, "{\"a\":8}"), 1);
	cr_assert_eq(f->i64[0][0], 8);
	free(line);
	free(l2);
	fx_free(f);
}

static const struct failfast_case json_failfast[] = {
	{{NULL}, "{\"b\":1.5}", "field 'b': 1.5 is not an INT"},
	{{NULL}, "{\"c\":\"x1\"}", "field 'c': \"x1\" is not a DOUBLE"},
	{{NULL}, "{\"d\":{\"x\":1}}", "field 'd': a JSON object is not a BOOLEAN"},
	{{NULL}, "{\"e\":[1]}", "field 'e': a JSON array is not a TIMESTAMP"},
	{{NULL}, "[1]", "a JSON array, not an object"},
	{{NULL}, "{\"a\":}", "not valid JSON"},
	{{NULL}, "{\"a\":\"x\",\"q\":tru}", "not valid JSON near byte 14: invalid literal"},
	{{NULL}, "{\"a\":\"x\"} 1", "not valid JSON"},
	{{NULL}, "{\"a\":\"x\"} {}", "not valid JSON near byte 11: text after the end of the "
				    "object"},
};

Test(recparse, json_failfast_messages)
{
	for (size_t i = 0; i < sizeof(json_failfast) / sizeof(json_failfast[0]); i++) {
		const struct failfast_case *c = &json_failfast[i];
		static const char *const opts[] = {"mode=FAILFAST", NULL};
		struct fx *f = fx_new(SL_REC_JSON, JSON_COLS, opts);
		cr_assert_eq(fx_line(f, c->line), -EINVAL, "case %zu", i);
		cr_assert(strstr(f->err, c->want) != NULL, "case %zu: '%s' lacks '%s'", i, f->err,
			  c->want);
		cr_assert(strstr(f->err, "'DROPMALFORMED' skips") != NULL, "case %zu: %s", i,
			  f->err);
		cr_assert_eq(fx_line(f, "{\"b\":1}"), 1);
		fx_free(f);
	}
}

Test(recparse, modes_count_malformed)
{
	static const char *const drop[] = {"mode=DROPMALFORMED", NULL};
	struct fx *f = fx_new(SL_REC_CSV, "a INT", drop);
	int kept = 0;
	const char *lines[] = {"1", "x", "2", "", "3,4", "5"};
	for (size_t i = 0; i < 6; i++)
		kept += fx_line(f, lines[i]);
	cr_assert_eq(kept, 3);
	cr_assert_eq(sl_recparse_malformed(f->p), 2);
	fx_free(f);

	f = fx_new(SL_REC_JSON, "a INT", NULL);
	kept = 0;
	const char *jl[] = {"{\"a\":1}", "{\"a\":\"x\"}", "nope", "   ", "{\"a\":2}"};
	for (size_t i = 0; i < 5; i++)
		kept += fx_line(f, jl[i]);
	cr_assert_eq(kept, 4);
	cr_assert_eq(sl_recparse_malformed(f->p), 2);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* the fast paths give exactly what CAST gives                         */
/* ------------------------------------------------------------------ */

static void same_as_cast(const char *s, uint32_t n)
{
	int64_t a, b;
	double x, y;
	for (int is_int = 0; is_int < 2; is_int++) {
		if (rp_fast_integral(s, n, is_int, &a)) {
			cr_assert(sl_text_to_integral(s, n, is_int, &b), "'%.*s': CAST refuses it",
				  (int)n, s);
			cr_assert_eq(a, b, "'%.*s': %lld, CAST %lld", (int)n, s, (long long)a,
				     (long long)b);
		}
	}
	if (rp_fast_double(s, n, &x)) {
		cr_assert(sl_text_to_double(s, n, &y), "'%.*s': CAST refuses it", (int)n, s);
		cr_assert(memcmp(&x, &y, sizeof(x)) == 0, "'%.*s': %.17g, CAST %.17g", (int)n, s, x,
			  y);
	}
	if (rp_fast_timestamp(s, n, &a)) {
		cr_assert(sl_text_to_timestamp(s, n, &b), "'%.*s': CAST refuses it", (int)n, s);
		cr_assert_eq(a, b, "'%.*s': %lld, CAST %lld", (int)n, s, (long long)a, (long long)b);
	}
}

Test(recparse, fast_paths_equal_cast)
{
	static const char *const cases[] = {
		"0", "-0", "+0", "7", "-7", "+7", "2147483647", "2147483648", "-2147483648",
		"-2147483649", "999999999999999999", "-999999999999999999", "1234567890123456789",
		"", "-", "+", "1a", " 1", "1 ", "1.5", "0.1", "-0.0", "123456789012345",
		"1234567890.12345", "12345678901234.5", "0.000000000000001", "9007199254740993",
		"1.", ".5", "1e5", "00012.50", "2024-01-02 03:04:05", "2024-01-02T03:04:05",
		"2024-01-02 03:04:05.1", "2024-01-02 03:04:05.123456", "2024-01-02 03:04:05.",
		"2024-02-29 00:00:00", "2023-02-29 00:00:00", "2024-13-01 00:00:00",
		"2024-01-32 00:00:00", "2024-01-01 24:00:00", "2024-01-01 23:60:00",
		"2024-01-01 23:59:60", "0000-01-01 00:00:00", "9999-12-31 23:59:59.999999",
		"1969-12-31 23:59:59.5", "2024-1-02 03:04:05", "2024-01-02 03:04:05Z",
		"2100-02-29 00:00:00", "2000-02-29 12:00:00"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same_as_cast(cases[i], (uint32_t)strlen(cases[i]));
	/* and random ones */
	uint64_t r = 0x9E3779B97F4A7C15ull;
	char buf[40];
	for (int k = 0; k < 200000; k++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		int len;
		switch (k % 3) {
		case 0:
			len = snprintf(buf, sizeof(buf), "%s%llu", (r & 1) ? "-" : "",
				       (unsigned long long)(r >> (r % 50 + 1)));
			break;
		case 1:
			len = snprintf(buf, sizeof(buf), "%s%llu.%0*llu", (r & 1) ? "-" : "",
				       (unsigned long long)((r >> 20) % 100000000),
				       (int)(r % 9 + 1), (unsigned long long)((r >> 3) % 10000000));
			break;
		default:
			len = snprintf(buf, sizeof(buf), "%04llu-%02llu-%02llu %02llu:%02llu:%02llu.%llu",
				       (unsigned long long)(r % 10000), (unsigned long long)(r >> 8) % 14,
				       (unsigned long long)(r >> 12) % 32, (unsigned long long)(r >> 17) % 25,
				       (unsigned long long)(r >> 22) % 61, (unsigned long long)(r >> 28) % 61,
				       (unsigned long long)(r >> 34) % 1000000);
			break;
		}
		same_as_cast(buf, (uint32_t)len);
		if (len > 19)
			same_as_cast(buf, 19);
	}
}

/* rp_fast_integral_ahead (8 digits at a time, bytes after the text
 * readable) answers as rp_fast_integral does, whatever follows the text:
 * every length to 20, a bad byte in each position, signs, and the INT
 * range. */
static void ahead_same(const char *s, uint32_t n)
{
	static const char *const after[] = {"", "0000000000000000", "9999999999999999",
					    ",,,,,,,,,,,,,,,,", "\xff\x80/:;\n\r\t\0abcdefghi"};
	char buf[64];
	cr_assert(n + 17 <= sizeof(buf));
	for (size_t k = 0; k < sizeof(after) / sizeof(after[0]); k++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, s, n);
		memcpy(buf + n, after[k], strlen(after[k]));
		for (int is_int = 0; is_int < 2; is_int++) {
			int64_t a = 11, b = 11;
			int ra = rp_fast_integral(buf, n, is_int, &a);
			int rb = rp_fast_integral_ahead(buf, n, is_int, &b);
			cr_assert_eq(rb, ra, "'%.*s' (after %zu, is_int %d): %d, loop %d", (int)n, s,
				     k, is_int, rb, ra);
			cr_assert_eq(b, a, "'%.*s': %lld, loop %lld", (int)n, s, (long long)b,
				     (long long)a);
		}
	}
}

Test(recparse, fast_integral_ahead_same_as_loop)
{
	static const char *const cases[] = {
		"0", "-0", "+0", "7", "-7", "+7", "12", "99999999", "-99999999", "+99999999",
		"100000000", "2147483647", "2147483648", "-2147483648", "-2147483649", "00000001",
		"-00000001", "0000000000000000012", "", "-", "+", "--1", "+-1", "1-", "1+", "1 ",
		" 1", "1.5", "1e5", "123456789012345678", "1234567890123456789", "12345678901234567890"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ahead_same(cases[i], (uint32_t)strlen(cases[i]));
	/* each length, each position holding each kind of byte */
	static const char bytes[] = {'0', '9', '/', ':', 'a', ' ', '.', '-', '+', '\0', '\x80',
				     '\xff', '\x39' + 6, '\x30' - 16};
	char t[24];
	for (uint32_t n = 1; n <= 20; n++) {
		for (uint32_t at = 0; at < n; at++) {
			for (size_t b = 0; b < sizeof(bytes); b++) {
				for (uint32_t i = 0; i < n; i++)
					t[i] = (char)('1' + (i * 7 + n) % 9);
				t[at] = bytes[b];
				ahead_same(t, n);
			}
		}
	}
}

/* rp_fast_double_ahead (16 bytes at a time, bytes after the text readable)
 * answers as rp_fast_double does, bit for bit, whatever follows the text;
 * and what it accepts, CAST gives the same double for. */
static void double_ahead_same(const char *s, uint32_t n)
{
	static const char after[][24] = {"", "0000000000000000", "9999999999999999",
					 "................", ",,,,,,,,,,,,,,,,",
					 "\xff\x80/:;\n\r\t\0-+e.9abcdefghi"};
	char buf[64];
	cr_assert(n + sizeof(after[0]) <= sizeof(buf));
	for (size_t k = 0; k < sizeof(after) / sizeof(after[0]); k++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, s, n);
		memcpy(buf + n, after[k], sizeof(after[k]));
		double a = 11, b = 11, c = 0;
		int ra = rp_fast_double(buf, n, &a);
		int rb = rp_fast_double_ahead(buf, n, &b);
		cr_assert_eq(rb, ra, "'%.*s' (after %zu): %d, loop %d", (int)n, s, k, rb, ra);
		cr_assert(memcmp(&a, &b, sizeof(a)) == 0, "'%.*s' (after %zu): %.17g, loop %.17g",
			  (int)n, s, k, b, a);
		if (rb) {
			cr_assert(sl_text_to_double(buf, n, &c), "'%.*s': CAST refuses it", (int)n,
				  s);
			cr_assert(memcmp(&b, &c, sizeof(b)) == 0, "'%.*s': %.17g, CAST %.17g",
				  (int)n, s, b, c);
		}
	}
}

Test(recparse, fast_double_ahead_same_as_loop)
{
	static const char *const cases[] = {
		/* fast_paths_equal_cast's */
		"0", "-0", "+0", "7", "-7", "+7", "2147483647", "2147483648", "-2147483648",
		"-2147483649", "999999999999999999", "-999999999999999999", "1234567890123456789",
		"", "-", "+", "1a", " 1", "1 ", "1.5", "0.1", "-0.0", "123456789012345",
		"1234567890.12345", "12345678901234.5", "0.000000000000001", "9007199254740993",
		"1.", ".5", "1e5", "00012.50",
		/* dots, signs, 15 and 16 significant digits, leading zeros */
		"21.35", "8.97", "-21.35", "+21.35", "1..5", "1.5.", ".", "-.", "-.5", "+.5", "-5.",
		"1.2.3", "--1", "+-1", "-+1", "1-", "1+", "-1.-5", "0.0", "-0", "+0.0",
		"123456789012345.", "12345678.1234567", "1234567.12345678", "-1234567.12345678",
		"+1234567.12345678", "1234567.123456789", "123456789012345", "1234567890123456",
		"-123456789012345", "+123456789012345", "-1234567890123456", ".123456789012345",
		"0.12345678901234", "0.123456789012345", "0.1234567890123456", "-0.12345678901234",
		"000000000000001", "0000000000000001", "-000000000000001", "0000000000000.1",
		"000000000000000.1", "00000000000000.01", "9999999999999.99", "999999999999999",
		"-999999999999.999", "0.000000000000001", "1.000000000000001", "17976931348623157",
		"4.9406564584124654", "9007199254740992", "900719925474099.2",
		"0.30000000000000004", "1e5", "1E5", "1.5e3", "inf", "nan", "0x10", " 1.5", "1.5 ",
		"1,5", "1/5", "1:5"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		double_ahead_same(cases[i], (uint32_t)strlen(cases[i]));
	/* each length, each position holding each kind of byte */
	static const char bytes[] = {'0', '9', '.', '-', '+', 'e', 'E', ' ', ',', '\0',
				     '\x80', '\xff', '/', ':', '\x39' + 6, '\x30' - 16};
	char t[24];
	for (uint32_t n = 1; n <= 20; n++) {
		for (uint32_t at = 0; at < n; at++) {
			for (size_t b = 0; b < sizeof(bytes); b++) {
				for (uint32_t i = 0; i < n; i++)
					t[i] = (char)('1' + (i * 7 + n) % 9);
				t[at] = bytes[b];
				double_ahead_same(t, n);
				/* and with a dot elsewhere, and a sign in front */
				for (uint32_t dot = 0; dot < n; dot++) {
					if (dot == at)
						continue;
					char u[24];
					memcpy(u, t, n);
					u[dot] = '.';
					double_ahead_same(u, n);
					u[0] = at == 0 ? u[0] : '-';
					double_ahead_same(u, n);
				}
			}
		}
	}
	/* random numbers of 1 to 17 digits, the dot anywhere */
	uint64_t r = 0x2545F4914F6CDD1Dull;
	for (int k = 0; k < 200000; k++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		uint32_t nd = 1 + (uint32_t)(r % 17), n = 0;
		if (r >> 60 < 3)
			t[n++] = r >> 60 == 0 ? '-' : '+';
		uint32_t dot = (uint32_t)(r >> 8) % (nd + 2);
		for (uint32_t i = 0; i < nd; i++) {
			if (i == dot)
				t[n++] = '.';
			t[n++] = (char)('0' + (r >> (16 + 2 * i % 40)) % 10);
		}
		if ((r >> 56 & 7) == 0) /* many leading zeros */
			for (uint32_t i = r >> 60 < 3; i < n && i < 12 && t[i] != '.'; i++)
				t[i] = '0';
		double_ahead_same(t, n);
	}
}

/* What rp_fast_timestamp takes, byte by byte: yyyy-MM-dd HH:mm:ss[.S{1,6}]
 * (' ' or 'T'), a real date, hours to 23, minutes and seconds to 59. */
static bool ts_plain(const char *s, uint32_t n)
{
	static const char pat[] = "dddd-dd-dd?dd:dd:dd.dddddd";
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (n < 19 || n > 26 || n == 20)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		const char c = s[i];
		if (pat[i] == 'd' ? c < '0' || c > '9'
				  : pat[i] == '?' ? c != ' ' && c != 'T' : c != pat[i])
			return false;
	}
#define TWO(i) ((s[i] - '0') * 10 + (s[(i) + 1] - '0'))
	const int y = TWO(0) * 100 + TWO(2), mo = TWO(5), d = TWO(8);
	const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > (mo == 2 && leap ? 29 : mdays[mo - 1]))
		return false;
	return TWO(11) <= 23 && TWO(14) <= 59 && TWO(17) <= 59;
#undef TWO
}

/* s[0..n): taken exactly when ts_plain says so, with CAST's value, whether
 * the cache holds another date, this one, or there is none. */
static void ts_same_as_plain(const char *s, uint32_t n, const char *time)
{
	const bool want = ts_plain(s, n);
	int64_t cast = 0, w;
	if (want)
		cr_assert(sl_text_to_timestamp(s, n, &cast), "'%.*s': CAST refuses it", (int)n, s);
	struct rp_ts_cache other = {0}, same = {0};
	cr_assert(rp_fast_timestamp_cached(&other, "1999-09-09 00:00:00", 19, &w));
	char t[19]; /* this text's date, a good time */
	memcpy(t, s, 10);
	memcpy(t + 10, time, 9);
	(void)rp_fast_timestamp_cached(&same, t, 19, &w);
	struct rp_ts_cache *caches[] = {NULL, &other, &same};
	for (int k = 0; k < 3; k++) {
		int64_t v = 12345;
		const int r = rp_fast_timestamp_cached(caches[k], s, n, &v);
		cr_assert_eq(r, want, "'%.*s' (cache %d): %d, not %d", (int)n, s, k, r, want);
		cr_assert_eq(v, want ? cast : 12345, "'%.*s' (cache %d): %lld, CAST %lld", (int)n,
			     s, k, (long long)v, (long long)cast);
	}
}

/* Every byte value in every place of timestamps of each length. Catches a
 * separator or digit check that lets a neighbouring byte through (';' for
 * ':', ':' for a digit), which the table above may not try. */
Test(recparse, fast_timestamp_each_byte_in_each_place)
{
	static const char *const base[] = {"2024-02-29 23:59:58.123456",
					   "1999-12-31T19:49:39.000001"};
	char s[32];
	for (size_t bi = 0; bi < sizeof(base) / sizeof(base[0]); bi++) {
		for (uint32_t n = 19; n <= 26; n++) {
			for (uint32_t at = 0; n != 20 && at < n; at++) {
				for (int b = 0; b < 256; b++) {
					memcpy(s, base[bi], n);
					s[at] = (char)b;
					ts_same_as_plain(s, n, base[bi] + 10);
				}
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* the timestamp fast path: SWAR digits and the per-parser date cache   */
/* ------------------------------------------------------------------ */

/* Accepted with exactly this value, or refused (ok = false): by
 * rp_fast_timestamp, and by rp_fast_timestamp_cached whether the cache
 * holds another date (miss) or this one (hit). */
static const struct {
	const char *s;
	bool ok;
	int64_t us;
} ts_cases[] = {
	{"1970-01-01 00:00:00", true, 0},
	{"1970-01-01T00:00:00", true, 0},
	{"1969-12-31 23:59:59", true, -1000000},
	{"1969-12-31 23:59:59.000001", true, -999999},
	{"1969-12-31 00:00:00.5", true, -86399500000},
	{"2024-02-29 23:59:59.999999", true, 1709251199999999},
	{"2000-02-29 12:00:00", true, 951825600000000},
	{"1600-02-29 00:00:00", true, -11670998400000000},
	{"9999-12-31 23:59:59.999999", true, 253402300799999999},
	{"0001-01-01 00:00:00", true, -62135596800000000},
	/* fractions of 1 to 6 digits */
	{"2024-03-01 09:00:00.1", true, 1709283600100000},
	{"2024-03-01 09:00:00.12", true, 1709283600120000},
	{"2024-03-01 09:00:00.123", true, 1709283600123000},
	{"2024-03-01 09:00:00.1234", true, 1709283600123400},
	{"2024-03-01 09:00:00.12345", true, 1709283600123450},
	{"2024-03-01 09:00:00.123456", true, 1709283600123456},
	{"2024-03-01 09:00:00.000000", true, 1709283600000000},
	/* refused: CAST decides (it may accept some of them) */
	{"2023-02-29 00:00:00", false, 0},
	{"1900-02-29 00:00:00", false, 0},
	{"2100-02-29 00:00:00", false, 0},
	{"2024-04-31 00:00:00", false, 0},
	{"2024-00-10 00:00:00", false, 0},
	{"2024-13-10 00:00:00", false, 0},
	{"2024-01-00 00:00:00", false, 0},
	{"2024-01-01 24:00:00", false, 0},
	{"2024-01-01 23:60:00", false, 0},
	{"2024-01-01 23:59:60", false, 0},
	{"2024-03-01 09:00:00.", false, 0},
	{"2024-03-01 09:00:00.1234567", false, 0},
	{"2024-03-01 09:00:00,123", false, 0},
	{"2024-03-01 09:00:00.12a", false, 0},
	{"2024-03-01 09:00:00.12 ", false, 0},
	{"2024-03-01 09:00:00Z", false, 0},
	{"2024-03-01 09:00", false, 0},
	{"2024-03-01  9:00:00", false, 0},
	{"2024-3-01 09:00:00.0", false, 0},
	{"+2024-03-01 09:00:00", false, 0},
	{"2024/03/01 09:00:00", false, 0},
	{"2024-03-01t09:00:00", false, 0},
	{"2024-03-01 09-00-00", false, 0},
};

static void expect_ts(const char *s, uint32_t n, bool ok, int64_t want, const char *what)
{
	struct rp_ts_cache other = {0}, same = {0};
	int64_t v, w;
	/* fill the caches: one with another date, one with this text's date */
	cr_assert(rp_fast_timestamp_cached(&other, "1999-09-09 00:00:00", 19, &w));
	cr_assert_eq(other.days, 10843);
	if (n >= 10) {
		char t[32];
		memcpy(t, s, 10);
		memcpy(t + 10, " 00:00:00", 9);
		(void)rp_fast_timestamp_cached(&same, t, 19, &w);
	}
	struct rp_ts_cache *caches[] = {NULL, &other, &same};
	for (int k = 0; k < 3; k++) {
		v = 12345;
		int r = rp_fast_timestamp_cached(caches[k], s, n, &v);
		cr_assert_eq(r, ok, "%s '%.*s' (cache %d): %d, not %d", what, (int)n, s, k, r, ok);
		if (ok)
			cr_assert_eq(v, want, "%s '%.*s' (cache %d): %lld, not %lld", what, (int)n, s,
				     k, (long long)v, (long long)want);
		else
			cr_assert_eq(v, 12345, "%s '%.*s': *out written on a refusal", what, (int)n,
				     s);
	}
	cr_assert_eq(rp_fast_timestamp(s, n, &v), ok);
	if (ok) {
		cr_assert(sl_text_to_timestamp(s, n, &w), "'%.*s': CAST refuses it", (int)n, s);
		cr_assert_eq(v, w, "'%.*s': %lld, CAST %lld", (int)n, s, (long long)v,
			     (long long)w);
	}
}

Test(recparse, fast_timestamp_table)
{
	for (size_t i = 0; i < sizeof(ts_cases) / sizeof(ts_cases[0]); i++)
		expect_ts(ts_cases[i].s, (uint32_t)strlen(ts_cases[i].s), ts_cases[i].ok,
			  ts_cases[i].us, "table");
}

/* One wrong byte anywhere in the text is refused, whether its date is in
 * the cache or not: '/' and ':' just below and above the digits, a letter,
 * NUL, 0xFF, '0' with the high bit set. */
Test(recparse, fast_timestamp_bad_byte_in_each_position)
{
	static const char good[] = "2024-02-29 23:59:58.123456";
	static const char bad[] = {'/', ':', 'a', '\0', (char)0xFF, (char)0xB0, '-', '.', ' '};
	for (uint32_t n = 19; n <= 26; n++) {
		if (n == 20)
			continue;
		char s[32];
		memcpy(s, good, n);
		int64_t want;
		cr_assert(rp_fast_timestamp(s, n, &want));
		expect_ts(s, n, true, want, "good");
		for (uint32_t i = 0; i < n; i++) {
			for (size_t b = 0; b < sizeof(bad); b++) {
				if (bad[b] == good[i] || (i == 10 && bad[b] == ' '))
					continue;
				memcpy(s, good, n);
				s[i] = bad[b];
				expect_ts(s, n, false, 0, "bad byte");
			}
		}
	}
}

/* The cache: runs of one date, a new date, back again; a zeroed cache
 * never matches a text whose first 10 bytes are NUL. */
Test(recparse, fast_timestamp_cache_hit_and_miss)
{
	static const char *const seq[] = {
		"2024-03-01 09:00:00.5", "2024-03-01 23:59:59", "2024-03-01 00:00:00.000001",
		"2024-03-02 00:00:00", "2024-03-01 12:00:00", "1969-12-31 23:59:59.999999",
		"1969-12-31 00:00:00", "2024-13-01 00:00:00", "2024-03-01 12:00:00",
		"2024-03-01 12:00:60",
	};
	struct rp_ts_cache c = {0};
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		int64_t a = 0, b = 0;
		uint32_t n = (uint32_t)strlen(seq[i]);
		int ra = rp_fast_timestamp_cached(&c, seq[i], n, &a);
		int rb = rp_fast_timestamp(seq[i], n, &b);
		cr_assert_eq(ra, rb, "'%s': %d with the cache, %d without", seq[i], ra, rb);
		cr_assert_eq(a, b, "'%s': %lld with the cache, %lld without", seq[i],
			     (long long)a, (long long)b);
	}
	struct rp_ts_cache z = {0};
	static const char nul[19] = {[10] = ' ', '0', '0', ':', '0', '0', ':', '0', '0'};
	int64_t v;
	cr_assert_not(rp_fast_timestamp_cached(&z, nul, 19, &v));
}

/* Through a CSV parser: rows of one day, then another, then a refused
 * date whose time is fine, then the first day again. */
Test(recparse, csv_timestamps_share_the_date_cache)
{
	static const char *const opts[] = {NULL};
	struct fx *f = fx_new(SL_REC_CSV, "a INT, t TIMESTAMP", opts);
	static const struct {
		const char *line;
		const char *t;
		bool bad;
	} rows[] = {
		{"1,2024-03-01 09:00:00.1", "1709283600100000", false},
		{"2,2024-03-01 09:00:01", "1709283601000000", false},
		{"3,2024-03-02 00:00:00", "1709337600000000", false},
		{"4,2024-02-30 00:00:00", "<null>", true},
		{"5,2024-03-01 09:00:00.123456", "1709283600123456", false},
		{"6,1970-01-01T00:00:00", "0", false},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t before = sl_recparse_malformed(f->p);
		cr_assert_eq(fx_line(f, rows[i].line), 1, "'%s': %s", rows[i].line, f->err);
		cr_assert_str_eq(cell(f, 1, 0), rows[i].t, "'%s': %s", rows[i].line, cell(f, 1, 0));
		cr_assert_eq(sl_recparse_malformed(f->p) - before, rows[i].bad ? 1u : 0u, "'%s'",
			     rows[i].line);
	}
	fx_free(f);
}

Test(recparse, destroy_null_is_a_noop)
{
	sl_recparse_destroy(NULL);
}

/* ------------------------------------------------------------------ */
/* JSON: where keys and strings end (read from simdjson's tokens) and */
/* whole-name key matching                                            */
/* ------------------------------------------------------------------ */

static const struct row_case json_token_cases[] = {
	/* whitespace between a key, its colon and its value, and after a string */
	{{NULL}, "{\"a\" :\"x\" ,\"b\": 1}", 1, {"x", "1", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{ \"a\"\t:\r\"x y\"\n}", 1, {"x y", "<null>", "<null>", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"a\"  :  \"\"  }", 1, {"", "<null>", "<null>", "<null>", "<null>"}, false},
	/* a string that ends in an escaped backslash or an escaped quote */
	{{NULL}, "{\"a\":\"ends with \\\\\"}", 1,
	 {"ends with \\", "<null>", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{\"a\":\"q\\\"\" , \"b\":2}", 1, {"q\"", "2", "<null>", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"a\":\"\\\"\",\"b\":2}", 1, {"\"", "2", "<null>", "<null>", "<null>"}, false},
	/* keys: empty, with an escaped quote or backslash at the end, with spaces */
	{{NULL}, "{\"\":\"empty key\",\"a\":\"v\"}", 1, {"v", "<null>", "<null>", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"\" : 1 ,\"a\" : \"v\"}", 1, {"v", "<null>", "<null>", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"a\\\"\":\"k\", \"a\":\"y\"}", 1, {"y", "<null>", "<null>", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"a\\\\\" :\"k\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{\"a \":\"k\",\" a\":\"k\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"},
	 false},
	{{NULL}, "{\"\\u0062\" : 3}", 1, {"<null>", "3", "<null>", "<null>", "<null>"}, false},
	/* skipped values walked with the same rules */
	{{NULL}, "{\"z\":[\"x\" , \"y\\\\\" ,{\"k\\\\\" :\"v\" }],\"a\":\"w\"}", 1,
	 {"w", "<null>", "<null>", "<null>", "<null>"}, false},
	{{NULL}, "{\"a\":{ \"k\\\"\" : \"v\\\\\" } }", 1,
	 {"{\"k\\\"\":\"v\\\\\"}", "<null>", "<null>", "<null>", "<null>"}, false},
	/* invalid: two strings, a string and a word, a key without a colon,
	 * bad escapes in keys and strings followed by whitespace */
	{{NULL}, "{\"a\":\"x\"\"y\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\":\"x\"y}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\"\"x\"}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"a\\q\":1}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"b\":1, \"a\\q\" : 1}", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"},
	 true},
	{{NULL}, "{\"a\":\"\\q\" }", 1, {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"z\":[\"\\q\" ],\"a\":\"w\"}", 1,
	 {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{NULL}, "{\"z\":{\"\\q\" : 1},\"a\":\"w\"}", 1,
	 {"<null>", "<null>", "<null>", "<null>", "<null>"}, true},
	{{"mode=DROPMALFORMED"}, "{\"a\" : \"\\x\" }", 0, {NULL}, true},
};

Test(recparse, json_key_and_string_ends_from_tokens)
{
	run_cases(SL_REC_JSON, JSON_COLS, json_token_cases,
		  sizeof(json_token_cases) / sizeof(json_token_cases[0]));
}

/* Key lookup compares whole names, whatever their length (the word loads
 * cover 1-3, 4-7, 8-16 and longer names differently). */
Test(recparse, json_keys_match_whole_names)
{
	static const char *const names[] = {"k",        "ab",        "abcd",
					    "abcdefg",  "abcdefgh",  "abcdefghi",
					    "abcdefghijklmnop", "abcdefghijklmnopq", "abcdefghijklmnopqrstuvwxyz0"};
	enum { NN = sizeof(names) / sizeof(names[0]) };
	char cols[512] = "";
	for (size_t i = 0; i < NN; i++)
		snprintf(cols + strlen(cols), sizeof(cols) - strlen(cols), "%s%s INT",
			 i ? ", " : "", names[i]);
	struct fx *f = fx_new(SL_REC_JSON, cols, NULL);
	char line[256], key[64];
	for (size_t i = 0; i < NN; i++) {
		size_t n = strlen(names[i]);
		snprintf(line, sizeof(line), "{\"%s\":%zu}", names[i], i + 1);
		cr_assert_eq(fx_line(f, line), 1, "%s", f->err);
		for (size_t c = 0; c < NN; c++)
			cr_assert_eq(f->nulls[c][0], c != i, "%s: column %s", line, names[c]);
		cr_assert_eq(f->i64[i][0], (int64_t)(i + 1));
		/* one byte changed anywhere (first, middle, last): no column */
		size_t at[] = {0, n / 2, n - 1};
		for (size_t a = 0; a < 3; a++) {
			snprintf(key, sizeof(key), "%s", names[i]);
			key[at[a]] = 'Z';
			snprintf(line, sizeof(line), "{\"%s\":1}", key);
			cr_assert_eq(fx_line(f, line), 1, "%s", f->err);
			for (size_t c = 0; c < NN; c++)
				cr_assert_eq(f->nulls[c][0], 1, "%s set column %s", line, names[c]);
		}
		/* one byte longer: no column */
		snprintf(line, sizeof(line), "{\"%s_\":1}", names[i]);
		cr_assert_eq(fx_line(f, line), 1, "%s", f->err);
		for (size_t c = 0; c < NN; c++)
			cr_assert_eq(f->nulls[c][0], 1, "%s set column %s", line, names[c]);
	}
	/* every name on one line, in reverse order, then forward */
	size_t m = 0;
	for (size_t i = NN; i-- > 0;)
		m += (size_t)snprintf(line + m, sizeof(line) - m, "%s\"%s\":%zu", m ? "," : "{",
				      names[i], i + 1);
	snprintf(line + m, sizeof(line) - m, "}");
	cr_assert_eq(fx_line(f, line), 1, "%s", f->err);
	for (size_t c = 0; c < NN; c++)
		cr_assert_eq(f->i64[c][0], (int64_t)(c + 1), "%s: column %s", line, names[c]);
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* sl_recparse_line_padded: the same answers as sl_recparse_line,      */
/* whatever the bytes after the line                                   */
/* ------------------------------------------------------------------ */

/* Every column of row 0 of a and b, as text, and the error: equal. */
static void expect_same_row(struct fx *a, struct fx *b, const char *what)
{
	for (uint32_t c = 0; c < a->chunk.ncols; c++) {
		char x[512];
		snprintf(x, sizeof(x), "%s", cell(a, c, 0));
		cr_assert_str_eq(x, cell(b, c, 0), "%s: column %s is '%s' padded, '%s' not", what,
				 a->cols[c].name, cell(b, c, 0), x);
	}
}

/* The bytes a padded line may be followed by: its line end (in place), the
 * next line, a '}' (which makes simdjson check the brackets), zeros,
 * garbage, a quote and a separator (CSV). */
static const char *const trailers[] = {
	"\n{\"a\":\"next\",\"b\":2}\n",
	"\r\n",
	"\n}}}}",
	"}\n",
	"}}\"\\",
	"",
	"\xff\xfe 1e999 true",
	"\n\"x\",1,2",
	",,,\"",
};

static void padded_same(enum sl_rec_format fmt, const char *cols, const char *const *opts,
			const char *line, size_t n)
{
	for (size_t t = 0; t < sizeof(trailers) / sizeof(trailers[0]); t++) {
		/* the line at the end of its buffer's data, then the trailer, then
		 * the padding: a heap block of exactly that size (ASan sees a
		 * read past it) */
		size_t tl = strlen(trailers[t]);
		char *buf = malloc(n + tl + SL_RECPARSE_PADDING);
		cr_assert(buf != NULL);
		memcpy(buf, line, n);
		memcpy(buf + n, trailers[t], tl);
		memset(buf + n + tl, t % 2 ? 'x' : '\0', SL_RECPARSE_PADDING);
		struct fx *a = fx_new(fmt, cols, opts), *b = fx_new(fmt, cols, opts);
		char what[700];
		snprintf(what, sizeof(what), "[%.*s] + trailer %zu", (int)n, line, t);
		int ra = fx_line_n(a, 0, line, (uint32_t)n);
		b->err[0] = '\0';
		int rb = sl_recparse_line_padded(b->p, buf, (uint32_t)n, &b->chunk, 0, b->err,
						 sizeof(b->err));
		cr_assert_eq(rb, ra, "%s: %d padded, %d not (%s)", what, rb, ra, b->err);
		cr_assert_str_eq(b->err, a->err, "%s", what);
		cr_assert_eq(sl_recparse_malformed(b->p), sl_recparse_malformed(a->p), "%s", what);
		if (ra == 1)
			expect_same_row(a, b, what);
		fx_free(a);
		fx_free(b);
		free(buf);
	}
}

static void padded_same_cases(enum sl_rec_format fmt, const char *cols,
			      const struct row_case *cases, size_t n)
{
	static const char *const modes[] = {NULL, "mode=FAILFAST", "mode=DROPMALFORMED"};
	for (size_t i = 0; i < n; i++) {
		for (size_t m = 0; m < 3; m++) {
			const char *opts[8] = {NULL};
			size_t k = 0;
			for (; k < 6 && cases[i].opts[k] != NULL; k++)
				opts[k] = cases[i].opts[k];
			if (modes[m] != NULL && k == 0)
				opts[k++] = modes[m];
			padded_same(fmt, cols, opts, cases[i].line, strlen(cases[i].line));
		}
	}
}

Test(recparse, json_padded_in_place_same_as_copied)
{
	padded_same_cases(SL_REC_JSON, JSON_COLS, json_cases,
			  sizeof(json_cases) / sizeof(json_cases[0]));
	padded_same_cases(SL_REC_JSON, JSON_COLS, json_token_cases,
			  sizeof(json_token_cases) / sizeof(json_token_cases[0]));
	padded_same_cases(SL_REC_JSON, NESTED_COLS, json_nested_cases,
			  sizeof(json_nested_cases) / sizeof(json_nested_cases[0]));
	/* records whose end decides: cut short, a second '}', text after it,
	 * an atom or a number last (simdjson reads past those) */
	static const char *const lines[] = {
		"{\"a\":\"x\"}}", "{\"a\":\"x\"} }", "{\"a\":\"x\"}{}", "{\"a\":\"x\"", "{\"b\":1",
		"{\"b\":12", "{\"d\":true", "{\"d\":tru", "{\"d\":t}", "{\"b\":1}", "{\"c\":1e999}",
		"{\"c\":-1e-999}", "{\"d\":null}", "{\"d\":nul}", "{\"a\":{}}", "{\"a\":[1,{}]}}",
		"{}", "{", "}", "", " ", "[1]", "\"s\"", "12", "{\"a\":\"\\u00e9\"}",
		"{\"a\":\"x\"}   ", "{\"e\":\"2024-03-01 09:00:00.123\"}",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		static const char *const modes[][2] = {{NULL}, {"mode=FAILFAST"},
							  {"mode=DROPMALFORMED"}};
		for (size_t m = 0; m < 3; m++)
			padded_same(SL_REC_JSON, JSON_COLS, modes[m], lines[i], strlen(lines[i]));
	}
}

Test(recparse, csv_and_text_padded_same)
{
	padded_same_cases(SL_REC_CSV, "a STRING, b INT, c DOUBLE", csv_cases,
			  sizeof(csv_cases) / sizeof(csv_cases[0]));
	padded_same(SL_REC_TEXT, "value STRING", NULL, "a,b", 3);
	padded_same(SL_REC_TEXT, "value STRING", NULL, "", 0);
}

/* ------------------------------------------------------------------ */
/* CSV: the fast split (lines without quotes, bits per separator) and  */
/* the field-by-field one give the same rows                           */
/* ------------------------------------------------------------------ */

/* Whitespace-free lines split the same with ignore_leading_white_space and
 * ignore_trailing_white_space on, which take the field-by-field way: so the
 * two parsers below must agree on every line. Lengths cross the 16-byte
 * blocks, the 64-bit words and the fast split's 512-byte limit; separators
 * come first, last, doubled, and in the line's last, overlapping block. */
static void csv_split_same(const char *sep_opt, char sep, const char *const *extra)
{
	const char *cols = "a STRING, b INT, c DOUBLE, d STRING";
	const char *fast_opts[8] = {sep_opt}, *slow_opts[8] = {sep_opt,
								"ignore_leading_white_space=true",
								"ignore_trailing_white_space=true"};
	size_t nf = 1, ns = 3;
	for (size_t k = 0; extra != NULL && extra[k] != NULL; k++) {
		fast_opts[nf++] = extra[k];
		slow_opts[ns++] = extra[k];
	}
	struct fx *fast = fx_new(SL_REC_CSV, cols, fast_opts);
	struct fx *slow = fx_new(SL_REC_CSV, cols, slow_opts);
	/* the fast split of padded lines (64-byte blocks into the padding,
	 * which holds separators and quotes here) */
	struct fx *pad = fx_new(SL_REC_CSV, cols, fast_opts);
	static char padded[700 + SL_RECPARSE_PADDING];
	const char alphabet[] = {'a', '1', '7', '.', '-', 'Z', sep, sep, sep, '"'};
	uint64_t x = 88172645463325252ull;
	static char line[700];
	static const uint32_t lens[] = {1,  2,  15, 16, 17,  31,  32,  33,  47,  48,  49,  63, 64,
					65, 79, 80, 127, 128, 129, 255, 256, 511, 512, 513, 600};
	for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		for (int rep = 0; rep < 60; rep++) {
			uint32_t n = lens[li];
			/* mostly no quote (the fast way); some lines with one */
			size_t na = rep % 6 == 5 ? sizeof(alphabet) : sizeof(alphabet) - 1;
			for (uint32_t i = 0; i < n; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				/* long runs without a separator, sometimes */
				line[i] = alphabet[(x >> 20) % (rep % 3 == 0 ? 6 : na)];
				if (rep % 3 == 0 && (x >> 40) % 8 == 0)
					line[i] = sep;
			}
			if (rep % 4 == 1)
				line[n - 1] = sep; /* an empty last field */
			if (rep % 4 == 2)
				line[0] = sep;
			if (line[0] == '"')
				line[0] = 'a';
			/* blank lines are no records either way; keep one byte > ' ' */
			if ((unsigned char)line[0] <= ' ')
				line[0] = '1';
			char what[64];
			snprintf(what, sizeof(what), "length %u, line %d", n, rep);
			int ra = fx_line_n(fast, 0, line, n);
			int rb = fx_line_n(slow, 0, line, n);
			cr_assert_eq(ra, rb, "%s: %d and %d (%s | %s)", what, ra, rb, fast->err,
				     slow->err);
			cr_assert_str_eq(fast->err, slow->err, "%s", what);
			cr_assert_eq(sl_recparse_malformed(fast->p), sl_recparse_malformed(slow->p),
				     "%s", what);
			if (ra == 1)
				expect_same_row(slow, fast, what);
			memcpy(padded, line, n);
			for (uint32_t i = 0; i < SL_RECPARSE_PADDING; i++)
				padded[n + i] = i % 3 == 0 ? '"' : i % 3 == 1 ? sep : '7';
			pad->err[0] = '\0';
			int rc = sl_recparse_line_padded(pad->p, padded, n, &pad->chunk, 0, pad->err,
							 sizeof(pad->err));
			cr_assert_eq(rc, rb, "%s padded: %d and %d (%s | %s)", what, rc, rb, pad->err,
				     slow->err);
			cr_assert_str_eq(pad->err, slow->err, "%s padded", what);
			cr_assert_eq(sl_recparse_malformed(pad->p), sl_recparse_malformed(slow->p),
				     "%s padded", what);
			if (rc == 1)
				expect_same_row(slow, pad, what);
		}
	}
	fx_free(fast);
	fx_free(slow);
	fx_free(pad);
}

Test(recparse, csv_fast_split_same_as_field_by_field)
{
	csv_split_same("sep=,", ',', NULL);
	csv_split_same("sep=;", ';', (const char *const[]){"mode=FAILFAST", NULL});
	csv_split_same("sep=,", ',', (const char *const[]){"mode=DROPMALFORMED", NULL});
	csv_split_same("sep=,", ',', (const char *const[]){"max_columns=3", NULL});
	csv_split_same("sep=,", ',',
		       (const char *const[]){"max_columns=5", "mode=FAILFAST", NULL});
	csv_split_same("sep=,", ',', (const char *const[]){"max_chars_per_column=9", NULL});
	csv_split_same("sep=,", ',', (const char *const[]){"quote=", NULL});
	/* the NUL separator: zero bytes are data for neither */
	csv_split_same("sep=\\u0000", '\0', NULL);
	/* null_value and the DOUBLE spellings that fields of the alphabet
	 * match (csv_fast_take compares them as csv_convert does) */
	csv_split_same("sep=,", ',', (const char *const[]){"null_value=1", NULL});
	csv_split_same("sep=,", ',',
		       (const char *const[]){"nan_value=-", "positive_inf=7", "negative_inf=a1",
					     "mode=FAILFAST", NULL});
	csv_split_same("sep=,", ',', (const char *const[]){"empty_value=Z", "null_value=Z", NULL});
}

/* The fast split reads no byte outside the line: a line at the very end of
 * a heap block (ASan) and fields in its last, overlapping 16 bytes. */
Test(recparse, csv_fast_split_reads_only_the_line)
{
	struct fx *f = fx_new(SL_REC_CSV, "a STRING, b INT, c DOUBLE", NULL);
	static const char *const lines[] = {"x,1,2", "abcdefghijklmnopq,1,2.5",
					    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ,7,8",
					    "abcdefghijklmnop,1234567,9"};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t n = strlen(lines[i]);
		char *b = malloc(n);
		cr_assert(b != NULL);
		memcpy(b, lines[i], n);
		cr_assert_eq(fx_line_n(f, 0, b, (uint32_t)n), 1, "%s: %s", lines[i], f->err);
		cr_assert_eq(sl_recparse_malformed(f->p), 0, "%s", lines[i]);
		free(b);
	}
	fx_free(f);
}

/* ------------------------------------------------------------------ */
/* JSON: the flat walk (json_flat) and simdjson's give the same rows   */
/* ------------------------------------------------------------------ */

/* line through a parser with the fast paths and one without: the same
 * return, message, count and row. Returns whether the fast one took the
 * line by the JSON flat walk. */
static bool fast_same(enum sl_rec_format fmt, const char *cols, const char *const *opts,
		      const char *line, size_t n)
{
	struct fx *a = fx_new(fmt, cols, opts), *b = fx_new(fmt, cols, opts),
		  *c = fx_new(fmt, cols, opts);
	rp_set_fast_paths(b->p, false);
	rp_set_avx2(c->p, false); /* the SSE2 scans, also where the CPU has AVX2 */
	char what[700];
	snprintf(what, sizeof(what), "[%.*s]", (int)(n < 600 ? n : 600), line);
	/* the line at the very end of a heap block: ASan sees a read past it */
	char *buf = malloc(n > 0 ? n : 1);
	cr_assert(buf != NULL);
	memcpy(buf, line, n);
	int ra = fx_line_n(a, 0, buf, (uint32_t)n);
	int rb = fx_line_n(b, 0, buf, (uint32_t)n);
	int rc = fx_line_n(c, 0, buf, (uint32_t)n);
	cr_assert_eq(ra, rb, "%s: %d fast, %d general (%s | %s)", what, ra, rb, a->err, b->err);
	cr_assert_eq(rc, rb, "%s: %d fast (SSE2), %d general (%s | %s)", what, rc, rb, c->err,
		     b->err);
	cr_assert_str_eq(a->err, b->err, "%s", what);
	cr_assert_str_eq(c->err, b->err, "%s", what);
	cr_assert_eq(sl_recparse_malformed(a->p), sl_recparse_malformed(b->p), "%s", what);
	cr_assert_eq(sl_recparse_malformed(c->p), sl_recparse_malformed(b->p), "%s", what);
	if (ra == 1) {
		expect_same_row(b, a, what);
		expect_same_row(b, c, what);
	}
	cr_assert_eq(b->p->fast_rows, 0);
	cr_assert_eq(c->p->fast_rows, a->p->fast_rows, "%s", what);
	bool took = a->p->fast_rows > 0;
	free(buf);
	fx_free(a);
	fx_free(b);
	fx_free(c);
	return took;
}

static bool json_flat_same(const char *cols, const char *const *opts, const char *line,
			   size_t n)
{
	return fast_same(SL_REC_JSON, cols, opts, line, n);
}

static void json_flat_same_modes(const char *cols, const char *line)
{
	static const char *const modes[][2] = {{NULL}, {"mode=FAILFAST"}, {"mode=DROPMALFORMED"}};
	for (size_t m = 0; m < 3; m++)
		json_flat_same(cols, modes[m], line, strlen(line));
}

Test(recparse, json_flat_same_as_general_on_the_tables)
{
	const struct {
		const struct row_case *c;
		size_t n;
	} tables[] = {
		{json_cases, sizeof(json_cases) / sizeof(json_cases[0])},
		{json_token_cases, sizeof(json_token_cases) / sizeof(json_token_cases[0])},
	};
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (size_t i = 0; i < tables[t].n; i++) {
			const char *opts[8] = {NULL};
			for (size_t k = 0; k < 6 && tables[t].c[i].opts[k] != NULL; k++)
				opts[k] = tables[t].c[i].opts[k];
			json_flat_same(JSON_COLS, opts, tables[t].c[i].line,
				       strlen(tables[t].c[i].line));
			json_flat_same_modes(JSON_COLS, tables[t].c[i].line);
		}
}

/* Where the flat walk hands over: each line is valid or nearly so, and the
 * walk either reads it the same or leaves it to simdjson. */
Test(recparse, json_flat_edges)
{
	static const struct {
		const char *line;
		bool flat; /* the walk takes it (with JSON_COLS, PERMISSIVE) */
	} cases[] = {
		{"{\"a\":\"x\",\"b\":1,\"c\":1.5,\"d\":true,\"e\":\"2024-03-01 09:00:00.123\"}", true},
		{"  { \"a\" : \"x\" , \"b\" : -7 , \"d\" : false }  ", true},
		{"{}", true},
		{" {} ", true},
		{"{\"zz\":1,\"a\":\"\"}", true},
		{"{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":null}", true},
		{"{\"a\":\"x\",\"a\":null}", true},
		{"{\"a\":\"x\",\"a\":\"y\"}", true},
		{"{\"b\":1,\"b\":\"s\"}", false},
		{"{\"b\":2147483647}", true},
		{"{\"b\":2147483648}", false},
		{"{\"b\":-2147483648}", true},
		{"{\"b\":-2147483649}", false},
		{"{\"b\":-0}", false},
		{"{\"b\":0}", true},
		{"{\"b\":007}", false},
		{"{\"b\":1.0}", false},
		{"{\"b\":1e2}", false},
		{"{\"c\":0.1}", true},
		{"{\"c\":-0.0}", true},
		{"{\"c\":-0}", true},
		{"{\"c\":123456789012345}", true},
		{"{\"c\":1234567890123456}", false},
		{"{\"c\":12345678.9012345}", true},
		{"{\"c\":12345678.90123456}", false},
		{"{\"c\":0.000000000000001}", false},
		{"{\"c\":9007199254740993}", false},
		{"{\"c\":1e5}", false},
		{"{\"c\":1E+5}", false},
		{"{\"c\":1.}", false},
		{"{\"c\":.5}", false},
		{"{\"c\":-}", false},
		{"{\"c\":--1}", false},
		{"{\"c\":1-}", false},
		{"{\"c\":\"NaN\"}", false},
		{"{\"zz\":1e400,\"a\":\"x\"}", true},
		{"{\"zz\":12345678901234567890123,\"a\":\"x\"}", true},
		{"{\"zz\":1.5e}", false},
		{"{\"zz\":[1],\"a\":\"x\"}", false},
		{"{\"zz\":{},\"a\":\"x\"}", false},
		{"{\"d\":true }", true},
		{"{\"d\":truex}", false},
		{"{\"d\":tru}", false},
		{"{\"d\":nul}", false},
		{"{\"d\":fals}", false},
		{"{\"d\":null", false},
		{"{\"d\":1}", false},
		{"{\"a\":1}", false},
		{"{\"a\":true}", false},
		{"{\"e\":\"\"}", false},
		{"{\"e\":\"2024-02-29 23:59:59.999999\"}", true},
		{"{\"e\":\"2023-02-29 00:00:00\"}", false},
		{"{\"e\":\"2024-03-01T09:00:00Z\"}", true},
		{"{\"e\":\"2024-03-01\"}", true},
		{"{\"e\":\"soon\"}", false},
		{"{\"e\":5}", false},
		{"{\"a\":\"x\"}}", false},
		{"{\"a\":\"x\"} }", false},
		{"{\"a\":\"x\"}x", false},
		{"x{\"a\":\"x\"}", false},
		{"{\"a\":\"x\",}", false},
		{"{,\"a\":\"x\"}", false},
		{"{\"a\":\"x\" \"b\":1}", false},
		{"{\"a\" \"x\"}", false},
		{"{\"a\":}", false},
		{"{\"a\"}", false},
		{"{\"a\":\"x}", false},
		{"{\"a:\"x\"}", false},
		{"{\"a\":\"x\\\"y\"}", false},
		{"{\"a\":\"caf\xc3\xa9\"}", false},
		{"{\"a\":\"tab\there\"}", false},
		{"{\t\"a\":\"x\"}", false},
		{"{\"a\":\"x\"}\r", false},
		{"{\"a\":\"\x7f\"}", true},
		{"{", false},
		{"}", false},
		{"{}}", false},
		{"{{}", false},
		{"[]", false},
		{"\"a\"", false},
		{"nul", false},
		{"{\"\":1}", true},
		{"{\"a.b\":\"x\"}", true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool took = json_flat_same(JSON_COLS, NULL, cases[i].line, strlen(cases[i].line));
		cr_assert_eq(took, cases[i].flat, "[%s]: the flat walk %s it", cases[i].line,
			     took ? "took" : "left");
		json_flat_same_modes(JSON_COLS, cases[i].line);
	}
	/* quotes and lines across the 16-byte blocks and 64-bit words of the
	 * scan, up to its 4096-byte limit and past it */
	static char line[5000];
	static const uint32_t lens[] = {0, 1, 5, 6, 7, 8, 9, 20, 40, 41, 42, 50, 51, 52, 53, 54,
					55, 56, 57, 58, 59, 60, 100, 113, 114, 115, 116, 117, 118,
					119, 120, 121, 122, 200, 4070, 4080, 4096, 4200};
	for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		uint32_t k = lens[li];
		/* {"a":"<k letters>","zz":"<k % 97 letters>","b":12} */
		char *p = line;
		p += snprintf(p, 64, "{\"a\":\"");
		for (uint32_t i = 0; i < k; i++)
			*p++ = (char)('a' + i % 26);
		p += snprintf(p, 64, "\",\"zz\":\"");
		for (uint32_t i = 0; i < k % 97; i++)
			*p++ = (char)('A' + i % 26);
		p += snprintf(p, 64, "\",\"b\":12}");
		size_t len = (size_t)(p - line);
		bool took = json_flat_same(JSON_COLS, NULL, line, len);
		cr_assert_eq(took, len <= 4096, "length %zu", len);
		/* the same cut short at every place near its end */
		for (size_t cut = len > 12 ? len - 12 : 0; cut < len; cut++)
			json_flat_same(JSON_COLS, NULL, line, cut);
	}
}

/* A byte that rules the flat walk out (a control byte, a backslash, a
 * non-ASCII byte) at every place of a string in lines up to 300 bytes: in
 * each 16- and 32-byte part of the scan's 64-byte blocks and in the tail.
 * The walk leaves every such line to simdjson, with the same result. */
Test(recparse, json_flat_refuses_bad_bytes_anywhere)
{
	static const char bad[] = {'\t', '\\', '\x01', '\x1f', '\xc3', '\xff', '\x80'};
	char line[400];
	for (uint32_t len = 20; len <= 300; len += 47) {
		/* {"a":"xxxx...","b":1} of len bytes */
		uint32_t k = len - 14;
		int n = snprintf(line, sizeof(line), "{\"a\":\"%.*s\",\"b\":1}", (int)k,
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		cr_assert_eq((uint32_t)n, len);
		cr_assert(json_flat_same(JSON_COLS, NULL, line, (size_t)n), "%s", line);
		for (uint32_t at = 6; at < 6 + k; at++)
			for (size_t b = 0; b < sizeof(bad); b++) {
				char save = line[at];
				line[at] = bad[b];
				cr_assert(!json_flat_same(JSON_COLS, NULL, line, (size_t)n),
					  "byte 0x%02x at %u of %u: the flat walk took it",
					  (unsigned char)bad[b], at, len);
				line[at] = save;
			}
	}
}

/* Random lines from JSON's pieces: both ways agree on every one. */
Test(recparse, json_flat_random_same_as_general)
{
	static const char *const pieces[] = {
		"{", "}", "\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\"", "\"zz\"", ":", ",", " ",
		"\"x\"", "\"\"", "1", "-", "0", "12", "-3", ".", "5", "e", "E+", "2147483648",
		"true", "false", "null", "nul", "[", "]", "\"2024-03-01 09:00:00.5\"",
		"\"2024-02-30 00:00:00\"", "\\", "\"\\n\"", "\xc3\xa9", "\t", "1.25", "1e3",
	};
	const size_t np = sizeof(pieces) / sizeof(pieces[0]);
	uint64_t x = 0x9E3779B97F4A7C15ull;
	char line[600];
	for (int rep = 0; rep < 20000; rep++) {
		size_t n = 0;
		/* mostly the shape of a record, with a random piece now and then */
		int fields = 1 + rep % 5;
		line[n++] = '{';
		for (int f = 0; f < fields && n < 500; f++) {
			for (int part = 0; part < 4; part++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				const char *pc;
				if ((x >> 50) % 6 == 0)
					pc = pieces[(x >> 20) % np];
				else if (part == 0)
					pc = pieces[2 + (x >> 24) % 6];
				else if (part == 1)
					pc = ":";
				else if (part == 2)
					pc = pieces[11 + (x >> 28) % (np - 11)];
				else
					pc = f + 1 < fields ? "," : "}";
				size_t pl = strlen(pc);
				memcpy(line + n, pc, pl);
				n += pl;
			}
		}
		json_flat_same(JSON_COLS, NULL, line, n);
		if (rep % 10 == 0)
			json_flat_same(JSON_COLS, (const char *const[]){"mode=FAILFAST", NULL}, line,
				       n);
	}
}

/* CSV: the fast split's own conversions (csv_fast_take) against the
 * field-by-field way, on TIMESTAMP columns with and without
 * timestamp_format, and at the edges of the conversions' fast paths. */
Test(recparse, csv_fast_take_same_as_field_by_field)
{
	static const char *const lines[] = {
		"1,2024-03-01 09:00:00.000450,21.35",
		"1,2024-03-01 09:00:00,-0.5",
		"1,2024-03-01T09:00:00.123456789,1e5",
		"-2147483648,2024-02-29 23:59:59.9,0.1",
		"2147483648,2023-02-29 00:00:00,123456789012345",
		"+7,2024-03-01,1234567890123456",
		"12345678,01.03.2024,NaN",
		"123456789,2024-03-01 25:00:00,Inf",
		"0x1,,-Inf",
		",2024-03-01 09:00:00.5,",
		"1 ,2024-03-01 09:00:00 , 2.5",
		"1,2024-03-01 09:00:00.1234567,2.50000000000000000001",
		"99999999999999999999,soon,.5",
		"1,2,3,4",
		"1",
	};
	static const char *const opts[][4] = {
		{NULL},
		{"mode=FAILFAST", NULL},
		{"mode=DROPMALFORMED", NULL},
		{"timestamp_format=dd.MM.yyyy", NULL},
		{"timestamp_format=dd.MM.yyyy", "enable_date_time_parsing_fallback=true", NULL},
		{"max_chars_per_column=10", NULL},
		{"null_value=1", "nan_value=0.1", NULL},
	};
	for (size_t o = 0; o < sizeof(opts) / sizeof(opts[0]); o++)
		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			fast_same(SL_REC_CSV, "a INT, t TIMESTAMP, d DOUBLE", opts[o], lines[i],
				  strlen(lines[i]));
			fast_same(SL_REC_CSV, "a BIGINT, t TIMESTAMP, d DOUBLE", opts[o], lines[i],
				  strlen(lines[i]));
		}
}

/* ------------------------------------------------------------------ */
/* spans of plain CSV lines (sl_recparse_burst_span)                   */

/* The lines as the file source's splitter holds them: back to back with
 * their '\n' ("\r\n" with crlf), then the trailer and SL_RECPARSE_PADDING
 * bytes more. A line that ends with '\r' itself keeps it in the bytes and
 * loses it in lines[] (the splitter removes one '\r' before a '\n'). */
struct burst_in {
	char *buf;
	struct sl_str lines[ROWS];
	uint32_t n;
	size_t len; /* the lines' bytes, the trailer not counted */
};

static void burst_in_make_eol(struct burst_in *in, const char *const *lines, uint32_t n,
			      const char *trailer, bool crlf)
{
	size_t total = SL_RECPARSE_PADDING + strlen(trailer) + 1;
	for (uint32_t i = 0; i < n; i++)
		total += strlen(lines[i]) + 2;
	in->buf = malloc(total);
	cr_assert(in->buf != NULL);
	memset(in->buf, ',', total);
	size_t o = 0;
	for (uint32_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);
		memcpy(in->buf + o, lines[i], l);
		if (crlf)
			in->buf[o + l++] = '\r';
		const bool cr = l > 0 && in->buf[o + l - 1] == '\r';
		in->lines[i] = (struct sl_str){in->buf + o, (uint32_t)(cr ? l - 1 : l)};
		o += l;
		in->buf[o++] = '\n';
	}
	in->len = o;
	memcpy(in->buf + o, trailer, strlen(trailer));
	in->n = n;
}

static void burst_in_make(struct burst_in *in, const char *const *lines, uint32_t n,
			  const char *trailer)
{
	burst_in_make_eol(in, lines, n, trailer, false);
}

/* What the file source does with its buffered lines (take_parsed): a span
 * from the next line to the last first when use_burst (at most a few rows
 * now and then, as a batch's room allows), the per-line way for the line
 * it stops at. Returns the rows; *err the first error (the run stops
 * there). */
static uint32_t burst_run(struct fx *f, const struct burst_in *in, bool use_burst, uint32_t *taken,
			  int *err_rc)
{
	uint32_t rows = 0;
	*taken = 0;
	*err_rc = 0;
	for (uint32_t i = 0; i < in->n; i++) {
		while (use_burst && sl_recparse_bursts(f->p) && i < in->n) {
			const char *s = in->lines[i].ptr;
			const uint32_t max = i % 3 == 1 ? 1 + i % 5 : ROWS;
			size_t used = 7;
			uint32_t m = sl_recparse_burst_span(f->p, s, in->len - (size_t)(s - in->buf),
							    UINT32_MAX, max, &f->chunk, rows, &used);
			cr_assert_leq(m, max);
			/* the bytes of the m lines, up to the next one */
			cr_assert_eq(used, i + m < in->n ? (size_t)(in->lines[i + m].ptr - s)
							 : in->len - (size_t)(s - in->buf));
			rows += m;
			*taken += m;
			i += m;
			if (m < max)
				break;
		}
		if (i == in->n)
			break;
		f->err[0] = '\0';
		int rc = sl_recparse_line_padded(f->p, in->lines[i].ptr, in->lines[i].len, &f->chunk,
						 rows, f->err, sizeof(f->err));
		if (rc == 1)
			rows++;
		else if (rc < 0) {
			*err_rc = rc;
			break;
		}
	}
	return rows;
}

/* The spans and the per-line way give the same rows, counts and errors;
 * returns the lines the spans took. simd: the span scan with 16-byte (0),
 * 32-byte (1) or 64-byte (2, AVX-512) compares; crlf: every line ended by
 * "\r\n". */
static uint32_t burst_same_scan(const char *cols, const char *const *opts,
				const char *const *lines, uint32_t n, const char *trailer, int simd,
				bool crlf)
{
	struct fx *a = fx_new(SL_REC_CSV, cols, opts), *b = fx_new(SL_REC_CSV, cols, opts);
	rp_set_avx2(a->p, simd >= 1);
	rp_set_avx512(a->p, simd >= 2);
	struct burst_in in;
	burst_in_make_eol(&in, lines, n, trailer, crlf);
	uint32_t ta, tb;
	int ea, eb;
	uint32_t ra = burst_run(a, &in, true, &ta, &ea);
	uint32_t rb = burst_run(b, &in, false, &tb, &eb);
	cr_assert_eq(ra, rb, "%u rows with bursts, %u without (first line '%s')", ra, rb, lines[0]);
	cr_assert_eq(ea, eb);
	cr_assert_str_eq(a->err, b->err);
	cr_assert_eq(sl_recparse_malformed(a->p), sl_recparse_malformed(b->p));
	for (uint32_t r = 0; r < ra; r++)
		for (uint32_t c = 0; c < a->chunk.ncols; c++) {
			char x[512];
			snprintf(x, sizeof(x), "%s", cell(a, c, r));
			cr_assert_str_eq(x, cell(b, c, r), "row %u column %s: '%s' with bursts, '%s' without",
					 r, a->cols[c].name, x, cell(b, c, r));
		}
	free(in.buf);
	fx_free(a);
	fx_free(b);
	return ta;
}

/* burst_same_scan with each scan the CPU has, lines ended by '\n' and by
 * "\r\n": all take the same lines. */
static uint32_t burst_same(const char *cols, const char *const *opts, const char *const *lines,
			   uint32_t n, const char *trailer)
{
	uint32_t t = burst_same_scan(cols, opts, lines, n, trailer, 0, false);
	cr_assert_eq(burst_same_scan(cols, opts, lines, n, trailer, 0, true), t,
		     "the spans took other lines ended by \"\\r\\n\"");
	const int simd = rp_cpu_avx512() ? 2 : rp_cpu_avx2() ? 1 : 0;
	for (int w = 1; w <= simd; w++) {
		cr_assert_eq(burst_same_scan(cols, opts, lines, n, trailer, w, false), t,
			     "the %s scan took other lines than SSE2's", w == 1 ? "AVX2" : "AVX-512");
		cr_assert_eq(burst_same_scan(cols, opts, lines, n, trailer, w, true), t,
			     "the %s scan took other lines ended by \"\\r\\n\"",
			     w == 1 ? "AVX2" : "AVX-512");
	}
	return t;
}

Test(recparse, csv_burst_same_as_line_by_line)
{
	static const char *const lines[] = {
		"9,61609,21.35,2024-03-01 09:00:00.000450,abc",
		"26,284626,8.97,2024-03-01 09:00:00.000900,d",
		"-2147483648,0,-0.5,2024-02-29 23:59:59.9,x y",
		"2147483648,1,1,2024-03-01,big int",         /* INT out of range */
		"1,2,3,2024-03-01 09:00:00,\"quoted\"",      /* a quote */
		"1,2,3,2024-03-01 09:00:00",                 /* a field short */
		"1,2,3,2024-03-01 09:00:00,e,extra",         /* a field more */
		"1,,3,2024-03-01 09:00:00,e",                /* an empty field */
		" 1,2,3,2024-03-01 09:00:00,e",              /* leading space */
		"",                                          /* blank */
		"   ",                                       /* white space only */
		"#1,2,3,2024-03-01 09:00:00,e",              /* a comment with comment = '#' */
		"1,2,NaN,2024-03-01 09:00:00,e",
		"1,2,Inf,2024-03-01 09:00:00,e",
		"1,2,1e5,2024-03-01 09:00:00,e",             /* not the fast DOUBLE */
		"1,2,3,01.03.2024,e",                        /* a timestamp_format date */
		"1,2,3,2024-03-01 25:00:00,e",               /* a bad hour */
		"0x1,2,3,2024-03-01 09:00:00,e",
		"1,2,3,2024-03-01 09:00:00,NULL",
		"1,2,3,2024-03-01 09:00:00,longer than ten bytes",
		"7,8,9.5,2024-03-01 09:00:00.5,last",
	};
	static const char *const opts[][4] = {
		{NULL},
		{"mode=DROPMALFORMED", NULL},
		{"mode=FAILFAST", NULL},
		{"comment=#", NULL},
		{"null_value=NULL", NULL},
		{"nan_value=3", "positiveInf=9.5", NULL},
		{"max_chars_per_column=10", NULL},
		{"timestamp_format=dd.MM.yyyy", NULL},
		{"quote=", NULL},
		{"header=true", NULL},
		{"ignore_leading_white_space=true", NULL},
	};
	const uint32_t n = sizeof(lines) / sizeof(lines[0]);
	const char *const schemas[] = {
		"a INT, b BIGINT, d DOUBLE, t TIMESTAMP, s STRING",
		"a INT, b BIGINT, d DOUBLE, t TIMESTAMP, s STRING, _corrupt_record STRING",
		"a STRING, b STRING, d STRING, t STRING, s STRING",
		"a INT, b BIGINT, d DOUBLE, t TIMESTAMP, s BOOLEAN", /* not served */
		"s STRING", /* blank lines and white space */
	};
	uint32_t took = 0;
	for (size_t s = 0; s < sizeof(schemas) / sizeof(schemas[0]); s++)
		for (size_t o = 0; o < sizeof(opts) / sizeof(opts[0]); o++)
			for (uint32_t first = 0; first < n; first++) {
				/* every line first, so that the burst starts (and stops) everywhere */
				const char *rot[sizeof(lines) / sizeof(lines[0])];
				for (uint32_t i = 0; i < n; i++)
					rot[i] = lines[(first + i) % n];
				uint32_t t = burst_same(schemas[s], opts[o], rot, n, "\n\"x\",,,\n");
				if (s == 3 || strstr(opts[o][0] ? opts[o][0] : "", "ignore") != NULL ||
				    (s != 2 && s != 4 &&
				     strstr(opts[o][0] ? opts[o][0] : "", "timestamp_format") != NULL))
					cr_assert_eq(t, 0u, "schema %zu, option %zu: the burst took lines", s, o);
				took += t;
			}
	cr_assert_gt(took, 1000u, "the burst took only %u lines", took);
	/* a plain run: every line (after the header) taken by the burst */
	static const char *const plain[] = {"a,b,d,t,s", "1,2,3.5,2024-03-01 09:00:00,x",
					    "4,5,6.25,2024-03-01 09:00:01.25,yy",
					    "7,8,9,2024-03-02 00:00:00,zzz"};
	static const char *const hdr[] = {"header=true", NULL};
	cr_assert_eq(burst_same("a INT, b BIGINT, d DOUBLE, t TIMESTAMP, s STRING", hdr, plain, 4, ""),
		     3u);
}

/* burst_same over lines[9 f ..] for f = 0..7, so that the burst's groups
 * of four start at every place, under each of the nopts option sets: how
 * many lines the bursts took. */
static uint32_t burst_same_shifted(const char *cols, const char *const (*opts)[3], size_t nopts,
				   const char *const *lines)
{
	uint32_t took = 0;
	for (size_t o = 0; o < nopts; o++)
		for (uint32_t first = 0; first < 8; first++)
			took += burst_same(cols, opts[o], lines + first * 9, ROWS - first * 9, "");
	return took;
}

Test(recparse, csv_burst_integers_four_at_a_time)
{
	/* INT and BIGINT columns, converted four fields at a time where the
	 * CPU has AVX2: plain fields of every length, and at each place of
	 * a group of four a field the group does not take (a sign, too many
	 * digits, a byte that is not a digit, null_value's length, over
	 * max_chars_per_column, empty) */
	static const char *const odd[] = {"",       "-5",     "+5",       "123456789", "99999999",
					  "00000000", "1a",     "a1",       "/1",        ":1",
					  "1 ",     "2147483648", "-2147483648", "12345678901234567890",
					  "0x10",   "1.0",    "NULL",     "7",         "12345678",
					  "\x80" "1", "1\xff"};
	const uint32_t nodd = sizeof(odd) / sizeof(odd[0]);
	static char text[ROWS][80];
	const char *lines[ROWS];
	uint64_t x = 11;
	for (uint32_t r = 0; r < ROWS; r++) {
		char a[32], b[32];
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		/* 1 to 8 digits, leading zeros too */
		snprintf(a, sizeof(a), "%0*llu", (int)(1 + x % 8), (unsigned long long)(x >> 8) % 100000000ull);
		a[1 + x % 8] = '\0';
		snprintf(b, sizeof(b), "%llu", (unsigned long long)(x >> 20) % 1000000ull);
		if (r % 5 == (r / 20) % 5) /* a lane of each place, now and then */
			snprintf(a, sizeof(a), "%s", odd[(r / 5) % nodd]);
		if (r % 7 == 3)
			snprintf(b, sizeof(b), "%s", odd[(r / 7 + 3) % nodd]);
		snprintf(text[r], sizeof(text[r]), "%s,%s,%u", a, b, r);
		lines[r] = text[r];
	}
	static const char *const opts[][3] = {
		{NULL},
		{"null_value=7", NULL},
		{"null_value=12345678", NULL},
		{"max_chars_per_column=3", NULL},
		{"max_chars_per_column=8", NULL},
		{"mode=DROPMALFORMED", NULL},
	};
	uint32_t took = burst_same_shifted("a INT, b BIGINT, c INT", opts, sizeof(opts) / sizeof(opts[0]), lines);
	cr_assert_gt(took, 1000u, "the burst took only %u lines", took);
}

Test(recparse, csv_burst_doubles_four_at_a_time)
{
	/* a DOUBLE column, converted four fields at a time where the CPU has
	 * AVX2: digits with and without a '.' at every place of 1 to 8 bytes,
	 * and at each place of a group of four a field the group does not
	 * take (a sign, no digit before or after the '.', two of them, over 8
	 * bytes, a byte that is not a digit, the special values and their
	 * lengths, over max_chars_per_column, empty) */
	static const char *const odd[] = {
		"-1.5",   "+1",      ".5",       "5.",        "1..2",     "1.2.3",    "123456.78",
		"12345678", "1.234567", "0.0",     "00.10",     "1e5",      "NaN",      "Inf",
		"-Inf",   "1 5",     "1/5",      "1:5",       "1*5",      "1-5",      "\x80" "1",
		"",       "3",       "9.5",      "1.5",       ".",        "..",       "0",
		"99999999", "0.000001", "1234.5678", "7.0"};
	const uint32_t nodd = sizeof(odd) / sizeof(odd[0]);
	static char text[ROWS][80];
	const char *lines[ROWS];
	static const char *const opts[][3] = {
		{NULL},
		{"nan_value=3", "positiveInf=9.5", NULL},
		{"null_value=1.5", NULL},
		{"max_chars_per_column=4", NULL},
		{"mode=DROPMALFORMED", NULL},
	};
	uint32_t took = 0;
	for (uint32_t round = 0; round < 3; round++) {
		uint64_t x = 3 + round;
		for (uint32_t r = 0; r < ROWS; r++) {
			char d[32];
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint32_t id = 1 + (uint32_t)(x % 5), fd = (uint32_t)(x >> 5) % 4;
			snprintf(d, sizeof(d), "%0*llu", (int)id, (unsigned long long)(x >> 10) % 100000ull);
			d[id] = '\0';
			if (fd > 0)
				snprintf(d + id, sizeof(d) - id, ".%0*llu", (int)fd,
					 (unsigned long long)(x >> 30) % 1000ull);
			d[id + (fd ? 1 + fd : 0)] = '\0';
			if (r % 13 == (r / 26) % 13)
				snprintf(d, sizeof(d), "%s", odd[(r / 13 + round * 13) % nodd]);
			snprintf(text[r], sizeof(text[r]), "%u,%s,x", r, d);
			lines[r] = text[r];
		}
		took += burst_same_shifted("a INT, d DOUBLE, s STRING", opts, sizeof(opts) / sizeof(opts[0]), lines);
	}
	cr_assert_gt(took, 5000u, "the burst took only %u lines", took);
}

Test(recparse, csv_burst_timestamps_four_at_a_time)
{
	/* a TIMESTAMP column, converted four fields at a time where the CPU
	 * has AVX2 while the date stays the one the parser cached: every
	 * fraction length, 'T', and at each place of a group of four a field
	 * the group does not take (another date, a bad digit or separator
	 * in each position, a time out of range, lengths 18, 20 and 27,
	 * null_value's length, over max_chars_per_column) */
	static const char *const odd[] = {
		"2024-03-02 09:00:00",        "1969-12-31 23:59:59.999999", "2024-02-29 12:00:00.5",
		"2024-03-01 24:00:00",        "2024-03-01 23:60:00",        "2024-03-01 23:59:60",
		"2023-03-01 09:00:00",        "2024-04-01 09:00:00.25",     "2024-03-01 09:00:00x123",
		"2024-03-01 09:00:00.1-3",    "2024-03-01 09:00:00.12/",    "2024-03-01 09:0*:00",
		"2024-03-01 09:0:00",         "2024-03-01 09:00:00.",       "2024-03-01 09:00:00.1234567",
		"2024-03-01 09:00:0",         "2024-03-01 09-00:00",        "2024-03-01 09:00-00",
		"2024-03-01_09:00:00",        "2024-03-01 09:00:00,5",      "2024-03-01 09:00:00.12a",
		"2024-03-01 09:00:00.a12",    "2024-03-01 0a:00:00",        "2024-03-01 09:00:0\x80",
		"2024-03-01 9:00:00.1",       "2024-03-01",                 "",
		"2024-03-01 09:00:00Z",       "2024-03-01 19:59:59.9",      "2024-03-01 20:00:00.000001"};
	const uint32_t nodd = sizeof(odd) / sizeof(odd[0]);
	static char text[ROWS][80];
	const char *lines[ROWS];
	static const char *const opts[][3] = {
		{NULL},
		{"null_value=2024-03-01 00:00:00", NULL},
		{"max_chars_per_column=19", NULL},
		{"max_chars_per_column=23", NULL},
		{"mode=DROPMALFORMED", NULL},
	};
	uint32_t took = 0;
	/* one odd field in 13 lines (a refused field ends the burst: fewer
	 * of them leave it groups of four to convert), each odd field in
	 * turn over the rounds */
	for (uint32_t round = 0; round < 3; round++) {
		uint64_t x = 5 + round;
		for (uint32_t r = 0; r < ROWS; r++) {
			char t[64];
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint32_t fd = (uint32_t)(x % 7); /* 0: none, else 1..6 fraction digits */
			/* hours and minutes in runs, as files have them (a
			 * group of four with the same minute, 10 to 59 too) */
			int len = snprintf(t, sizeof(t), "2024-03-01%c%02u:%02u:%02u", x & 64 ? 'T' : ' ',
					   (r / 32 + round * 7) % 24, (r / 4 + round * 13) % 60,
					   (unsigned)(x >> 24) % 60);
			if (fd > 0)
				snprintf(t + len, sizeof(t) - (size_t)len, ".%0*u", (int)fd,
					 (unsigned)((x >> 32) % 1000000) % (fd == 6 ? 1000000u : 100000u));
			t[len + (fd ? 1 + fd : 0)] = '\0';
			if (r % 13 == (r / 26) % 13)
				snprintf(t, sizeof(t), "%s", odd[(r / 13 + round * 13) % nodd]);
			snprintf(text[r], sizeof(text[r]), "%u,%s,x", r, t);
			lines[r] = text[r];
		}
		took += burst_same_shifted("a INT, t TIMESTAMP, s STRING", opts, sizeof(opts) / sizeof(opts[0]), lines);
	}
	cr_assert_gt(took, 5000u, "the burst took only %u lines", took);
}

Test(recparse, csv_burst_strings_four_at_a_time)
{
	/* STRING columns, four fields at a time where the CPU has AVX2: any
	 * length, and at each place of a group of four a field the group
	 * does not take (empty: NULL; null_value; over max_chars_per_column;
	 * a quote, which ends the burst) */
	static const char *const odd[] = {"", "NULL", "NULL!", "0123456789", "0123456789a", "\"q\"",
					  " x", "x ", "\x80\xff"};
	const uint32_t nodd = sizeof(odd) / sizeof(odd[0]);
	static char text[ROWS][96];
	const char *lines[ROWS];
	static const char *const opts[][3] = {
		{NULL},
		{"null_value=NULL", NULL},
		{"max_chars_per_column=10", NULL},
		{"mode=DROPMALFORMED", NULL},
	};
	uint32_t took = 0;
	for (uint32_t round = 0; round < 2; round++) {
		uint64_t x = 9 + round;
		for (uint32_t r = 0; r < ROWS; r++) {
			char a[40], b[40];
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			snprintf(a, sizeof(a), "%.*s", (int)(1 + x % 30), "abcdefghijklmnopqrstuvwxyz0123456789");
			snprintf(b, sizeof(b), "%.*s", (int)(1 + (x >> 8) % 12), "NULLNULLNULLNULL");
			if (r % 13 == (r / 26) % 13)
				snprintf(a, sizeof(a), "%s", odd[(r / 13 + round * 5) % nodd]);
			if (r % 11 == 4)
				snprintf(b, sizeof(b), "%s", odd[(r / 11) % nodd]);
			snprintf(text[r], sizeof(text[r]), "%u,%s,%s", r, a, b);
			lines[r] = text[r];
		}
		took += burst_same_shifted("i INT, a STRING, b STRING", opts, sizeof(opts) / sizeof(opts[0]), lines);
	}
	cr_assert_gt(took, 2000u, "the burst took only %u lines", took);
}

Test(recparse, csv_span_lines_of_other_field_counts)
{
	/* lines of 1 to 4 one-digit fields where the span wants 2 or 3: a
	 * line with a field fewer followed by lines that make up for it puts
	 * a '\n' where the line's last cut should be ("1\n2\n" read as one
	 * line "1,2" without the count of '\n's); every line must be the
	 * per-line way's, which refuses or pads it */
	static char text[ROWS][16];
	const char *lines[ROWS];
	static const char *const opts[][3] = {{NULL}, {"mode=DROPMALFORMED", NULL}};
	uint32_t took = 0;
	for (uint32_t round = 0; round < 4; round++) {
		uint64_t x = 21 + round;
		for (uint32_t r = 0; r < ROWS; r++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* runs of lines of the wanted count, then a few of any */
			const uint32_t nf = (r / 8) % 3 == 0 ? 1 + (uint32_t)(x % 4) : 2 + round % 2;
			int o = 0;
			for (uint32_t k = 0; k < nf; k++)
				o += snprintf(text[r] + o, sizeof(text[r]) - (size_t)o, "%s%u", k ? "," : "",
					      (unsigned)(x >> (8 + 4 * k)) % 10);
			lines[r] = text[r];
		}
		const char *cols = round % 2 ? "a INT, b INT, c INT" : "a INT, b STRING";
		took += burst_same_shifted(cols, opts, sizeof(opts) / sizeof(opts[0]), lines);
	}
	cr_assert_gt(took, 2000u, "the spans took only %u lines", took);
}

Test(recparse, csv_span_lines_ended_each_way)
{
	/* lines ended by '\n' and by "\r\n" in one file, in runs and mixed,
	 * and '\r's elsewhere in a line: the span takes a line ended the way
	 * the lines before it were (it turns when a group's first line ends
	 * the other way), and leaves the rest to the per-line way, which
	 * removes one '\r' before the '\n' and keeps any other */
	static char text[ROWS][32];
	const char *lines[ROWS];
	static const char *const opts[][3] = {{NULL}, {"mode=DROPMALFORMED", NULL}};
	uint32_t took = 0;
	for (uint32_t round = 0; round < 3; round++) {
		uint64_t x = 31 + round;
		for (uint32_t r = 0; r < ROWS; r++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* "\r\n" in runs of 10 lines (round 0), every other
			 * line (round 1), now and then (round 2) */
			const bool cr = round == 0 ? (r / 10) % 2 == 1 : round == 1 ? r % 2 : x % 9 == 0;
			const char *odd = x % 31 == 0 ? "\r" : x % 37 == 0 ? "a\rb" : x % 41 == 0 ? "\r\r" : "s";
			snprintf(text[r], sizeof(text[r]), "%u,%u,%s%s", r, (unsigned)(x >> 8) % 1000, odd,
				 cr ? "\r" : "");
			lines[r] = text[r];
		}
		/* the lines' own ends (burst_same would add a '\r' to each) */
		for (size_t o = 0; o < sizeof(opts) / sizeof(opts[0]); o++)
			for (uint32_t first = 0; first < 8; first++) {
				const uint32_t t = burst_same_scan("a INT, b INT, s STRING", opts[o],
								   lines + first * 9, ROWS - first * 9,
								   "", 0, false);
				const int simd = rp_cpu_avx512() ? 2 : rp_cpu_avx2() ? 1 : 0;
				for (int w = 1; w <= simd; w++)
					cr_assert_eq(burst_same_scan("a INT, b INT, s STRING", opts[o],
								     lines + first * 9,
								     ROWS - first * 9, "", w, false),
						     t);
				took += t;
			}
	}
	cr_assert_gt(took, 1500u, "the spans took only %u lines", took);
}

Test(recparse, csv_span_takes_only_whole_lines)
{
	/* a span's unfinished last line, a line over max_line and a line of
	 * more than a group's bytes are left to the splitter; max bounds
	 * the rows; *used always ends just after a '\n' */
	struct fx *f = fx_new(SL_REC_CSV, "a INT, s STRING", NULL);
	char buf[64 + 20000 + SL_RECPARSE_PADDING];
	memset(buf, 'x', sizeof(buf));
	const char *head = "1,ab\n2,cde\n3,f";
	memcpy(buf, head, strlen(head));
	size_t used = 99;
	cr_assert_eq(sl_recparse_burst_span(f->p, buf, strlen(head), UINT32_MAX, 10, &f->chunk, 0, &used),
		     2u);
	cr_assert_eq(used, 11u);
	cr_assert_str_eq(cell(f, 1, 1), "cde");
	/* max: one row */
	cr_assert_eq(sl_recparse_burst_span(f->p, buf, strlen(head), UINT32_MAX, 1, &f->chunk, 0, &used),
		     1u);
	cr_assert_eq(used, 5u);
	/* max_line 3: "1,ab" is 4 bytes, the span stops before it */
	cr_assert_eq(sl_recparse_burst_span(f->p, buf, strlen(head), 3, 10, &f->chunk, 0, &used), 0u);
	cr_assert_eq(used, 0u);
	/* max_line 4, "\r\n": the '\r' is not counted */
	memcpy(buf, "1,ab\r\n2,c\r\n", 11);
	cr_assert_eq(sl_recparse_burst_span(f->p, buf, 11, 4, 10, &f->chunk, 0, &used), 2u);
	cr_assert_eq(used, 11u);
	cr_assert_str_eq(cell(f, 1, 0), "ab");
	/* a line longer than a group scans (16 KiB): the per-line way's */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "5,", 2);
	buf[20000] = '\n';
	memcpy(buf + 20001, "6,y\n", 4);
	cr_assert_eq(sl_recparse_burst_span(f->p, buf, 20005, UINT32_MAX, 10, &f->chunk, 0, &used), 0u);
	cr_assert_eq(sl_recparse_burst_span(f->p, buf + 20001, 4, UINT32_MAX, 10, &f->chunk, 0, &used),
		     1u);
	/* a header still to come: none */
	struct fx *h = fx_new(SL_REC_CSV, "a INT, s STRING", (const char *const[]){"header=true", NULL});
	cr_assert_eq(sl_recparse_burst_span(h->p, buf + 20001, 4, UINT32_MAX, 10, &h->chunk, 0, &used),
		     0u);
	cr_assert_eq(used, 0u);
	fx_free(h);
	fx_free(f);
}

Test(recparse, csv_burst_lanes_take_plain_columns)
{
	/* plain sales rows and a name: with AVX2 the INT, BIGINT, DOUBLE,
	 * TIMESTAMP and STRING columns go four fields at a time, all but the first group of
	 * timestamps (which caches the date); without it (or with rp_set_avx2 false) none do. A lane
	 * check that refuses plain fields (a wrong constant) only makes the
	 * burst slower, which no comparison of rows would see. */
	static char text[ROWS][80];
	const char *lines[ROWS];
	for (uint32_t r = 0; r < ROWS; r++) {
		snprintf(text[r], sizeof(text[r]), "%u,%u,%u.%02u,2024-03-01 %s:%02u:%02u.%0*u,%.*s",
			 r % 100, r * 7919 % 500000, r * 37 % 1000, r % 100, r % 3 ? "09" : "13",
			 r / 4 % 60, r % 60, (int)(1 + r % 6), r % 10, (int)(1 + r % 20),
			 "counter-and-store-x");
		lines[r] = text[r];
	}
	for (int avx2 = 0; avx2 < 2; avx2++) {
		if (avx2 && !rp_cpu_avx2())
			continue;
		struct fx *f =
			fx_new(SL_REC_CSV, "a INT, b BIGINT, d DOUBLE, t TIMESTAMP, s STRING", NULL);
		rp_set_avx2(f->p, avx2 != 0);
		struct burst_in in;
		burst_in_make(&in, lines, ROWS, "");
		uint32_t taken;
		int rc;
		cr_assert_eq(burst_run(f, &in, true, &taken, &rc), ROWS);
		cr_assert_eq(taken, ROWS);
		/* groups of 128 and 32 lines: whole groups of four; every
		 * field but the first four timestamps */
		_Static_assert(ROWS % 64 % 4 == 0, "whole groups");
		if (avx2)
			cr_assert_eq(f->p->lane_fields, 5 * ROWS - 4, "%llu fields four at a time",
				     (unsigned long long)f->p->lane_fields);
		else
			cr_assert_eq(f->p->lane_fields, 0);
		free(in.buf);
		fx_free(f);
	}
}

Test(recparse, csv_burst_says_when_its_lines_are_ascii)
{
	/* sl_recparse_burst_ascii after each span: true when every byte of
	 * the lines it took is below 0x80, false when a byte of 0x80 or over
	 * is in any of them, anywhere (both scans look) */
	static char text[ROWS][96];
	const char *lines[ROWS];
	for (uint32_t r = 0; r < 100; r++) {
		snprintf(text[r], sizeof(text[r]), "%u,name-%u-%.*s,2.5", r, r * 7, (int)(r % 70),
			 "0123456789012345678901234567890123456789012345678901234567890123456789");
		lines[r] = text[r];
	}
	for (int simd = 0; simd < 3; simd++) {
		if ((simd == 1 && !rp_cpu_avx2()) || (simd == 2 && !rp_cpu_avx512()))
			continue;
		for (int bad = -1; bad < 100; bad += 7) {
			/* line `bad` gets a byte 0x80 or over at a place of its own */
			char keep[96];
			if (bad >= 0) {
				memcpy(keep, text[bad], sizeof(keep));
				size_t at = 3 + (size_t)bad % (strlen(text[bad]) - 3);
				if (text[bad][at] == ',')
					at++;
				text[bad][at] = (char)(0x80 + bad);
			}
			struct fx *f = fx_new(SL_REC_CSV, "i INT, s STRING, d DOUBLE", NULL);
			rp_set_avx2(f->p, simd >= 1);
			rp_set_avx512(f->p, simd >= 2);
			struct burst_in in;
			burst_in_make(&in, lines, 100, "");
			size_t used;
			uint32_t m = sl_recparse_burst_span(f->p, in.buf, in.len, UINT32_MAX, 100,
							    &f->chunk, 0, &used);
			cr_assert_eq(m, 100u);
			cr_assert_eq(used, in.len);
			cr_assert_eq(sl_recparse_burst_ascii(f->p), bad < 0,
				     "scan %d, a high byte in line %d", simd, bad);
			free(in.buf);
			fx_free(f);
			if (bad >= 0)
				memcpy(text[bad], keep, sizeof(keep));
		}
	}
}

Test(recparse, line_ascii_only_where_the_json_walk_looked)
{
	/* sl_recparse_line_ascii after each line: true for a JSON line the
	 * flat walk took (printable ASCII, no escape), false for one with a
	 * byte of 0x80 or over, an escape (which may make one), a nested
	 * value, or any CSV or text line (the per-line way does not look) */
	static const struct {
		enum sl_rec_format f;
		const char *line;
		bool ascii;
	} cases[] = {
		{SL_REC_JSON, "{\"s\": \"abc\", \"n\": 1}", true},
		{SL_REC_JSON, "{\"s\": \"ab\xc3\xa9\", \"n\": 1}", false},
		{SL_REC_JSON, "{\"s\": \"ab\\u00e9\", \"n\": 1}", false},
		{SL_REC_JSON, "{\"s\": {\"x\": 1}, \"n\": 1}", false},
		{SL_REC_JSON, "{\"s\": \"abc\", \"n\": 1}", true},
		{SL_REC_CSV, "abc,1", false},
		{SL_REC_TEXT, "abc", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = fx_new(cases[i].f, cases[i].f == SL_REC_TEXT ? "value STRING" : "s STRING, n INT",
				      NULL);
		int rc = sl_recparse_line(f->p, cases[i].line, (uint32_t)strlen(cases[i].line), &f->chunk,
					  0, f->err, sizeof(f->err));
		cr_assert_eq(rc, 1, "case %zu: %s", i, f->err);
		cr_assert_eq(sl_recparse_line_ascii(f->p), cases[i].ascii, "case %zu: '%s'", i,
			     cases[i].line);
		fx_free(f);
	}
}

Test(recparse, csv_burst_lines_over_one_block_and_many_fields)
{
	/* 30 fields, lines of 60 to 600 bytes: separators in several 64-byte blocks */
	char cols[1024] = "";
	for (int k = 0; k < 30; k++)
		snprintf(cols + strlen(cols), sizeof(cols) - strlen(cols), "%sc%d %s", k ? ", " : "", k,
			 k % 3 == 0 ? "INT" : k % 3 == 1 ? "STRING" : "DOUBLE");
	static char text[ROWS][700];
	const char *lines[ROWS];
	uint64_t x = 7;
	for (uint32_t r = 0; r < 40; r++) {
		size_t o = 0;
		for (int k = 0; k < 30; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			if (k)
				text[r][o++] = ',';
			if (k % 3 == 0)
				o += (size_t)snprintf(text[r] + o, 700 - o, "%d", (int)(x % 100000));
			else if (k % 3 == 1)
				for (uint32_t j = 0; j < 1 + x % (r % 5 == 0 ? 30 : 3); j++)
					text[r][o++] = (char)('a' + (x >> (j % 50)) % 26);
			else
				o += (size_t)snprintf(text[r] + o, 700 - o, "%u.%02u", (unsigned)(x % 1000),
						      (unsigned)(x >> 20) % 100);
		}
		text[r][o] = '\0';
		lines[r] = text[r];
	}
	/* CSV_FAST_WORDS * 64 bytes at most: longer lines take the per-line way */
	uint32_t t = burst_same(cols, NULL, lines, 40, "");
	cr_assert_gt(t, 20u);
	for (uint32_t r = 0; r < 40; r++)
		cr_assert_lt(strlen(lines[r]), 700u);
}

Test(recparse, csv_burst_across_its_64_line_parts)
{
	/* 150 lines, converted 64 at a time: one line the burst does not
	 * take at each place around the parts' edges, and none */
	static char text[150][64];
	const char *lines[150];
	static const uint32_t bad_at[] = {0, 1, 62, 63, 64, 65, 100, 127, 128, 129, 149, 150};
	for (size_t b = 0; b < sizeof(bad_at) / sizeof(bad_at[0]); b++) {
		for (uint32_t r = 0; r < 150; r++) {
			if (r == bad_at[b])
				snprintf(text[r], sizeof(text[r]), "%u,\"q\",1.5,2024-03-01 09:00:00", r);
			else
				snprintf(text[r], sizeof(text[r]), "%u,w%u,%u.25,2024-03-01 09:%02u:00", r,
					 r * 7, r, r % 60);
			lines[r] = text[r];
		}
		uint32_t t = burst_same("a INT, s STRING, d DOUBLE, t TIMESTAMP", NULL, lines, 150, "");
		cr_assert_eq(t, bad_at[b] < 150 ? 149u : 150u, "bad line %u: the burst took %u",
			     bad_at[b], t);
	}
}
