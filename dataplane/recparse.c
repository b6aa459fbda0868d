/*
 * recparse.c — the record parsers' set-up and shared parts: the formats'
 * options (Spark's names, checked at plan time), the parser's life, the
 * text format, scratch memory, and what happens at the end of a record
 * (corrupt-record column, parse modes). The CSV and JSON line parsers are
 * recparse_csv.c and recparse_json.c; docs/formats.md is the user's view.
 *
 * Options: every option of Spark's text, CSV and JSON sources is known by
 * its snake_case name and by Spark's camelCase one (keys arrive lower
 * case, so `nullvalue` is `nullValue`). Each is either supported, or
 * refused with the reason (a write option, schema inference, a feature
 * simdjson does not have), or accepted only with the value that means what
 * sluice does anyway (multi_line = false, encoding = 'UTF-8'). Keys that
 * are no format's option belong to the source, which refuses the unknown
 * ones (sl_recparse_has_option tells them apart).
 */
#include "recparse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_simdjson.h"
#include "recparse_int.h"
#include "source.h"

/* ------------------------------------------------------------------ */
/* the options                                                         */
/* ------------------------------------------------------------------ */

#define F_TEXT (1u << SL_REC_TEXT)
#define F_CSV (1u << SL_REC_CSV)
#define F_JSON (1u << SL_REC_JSON)
#define F_CJ (F_CSV | F_JSON)

enum opt_id {
	O_MODE,
	O_CORRUPT,
	O_TS_FORMAT,
	O_TS_FALLBACK,
	O_SEP,
	O_DELIMITER,
	O_QUOTE,
	O_ESCAPE,
	O_ESCAPE_ESCAPE,
	O_COMMENT,
	O_HEADER,
	O_ENFORCE_SCHEMA,
	O_NULL_VALUE,
	O_EMPTY_VALUE,
	O_NAN_VALUE,
	O_POS_INF,
	O_NEG_INF,
	O_IGN_LEADING,
	O_IGN_TRAILING,
	O_MAX_COLUMNS,
	O_MAX_CHARS,
	O_UNESCAPED_QUOTE,
	O_NON_NUMERIC,
	O_MULTI_LINE,
	O_OTHER, /* refused, or accepted with one value only */
};

struct opt_def {
	const char *snake;
	const char *camel; /* Spark's spelling */
	unsigned formats;
	enum opt_id id;
	/* O_OTHER: why it is not supported, and the values ('|'-separated,
	 * any case) accepted because they mean what sluice does anyway */
	const char *why;
	const char *only;
};

static const struct opt_def opt_defs[] = {
	{"mode", "mode", F_CJ, O_MODE, NULL, NULL},
	{"column_name_of_corrupt_record", "columnNameOfCorruptRecord", F_CJ, O_CORRUPT, NULL, NULL},
	{"timestamp_format", "timestampFormat", F_CJ, O_TS_FORMAT, NULL, NULL},
	{"enable_date_time_parsing_fallback", "enableDateTimeParsingFallback", F_CJ, O_TS_FALLBACK,
	 NULL, NULL},
	{"sep", "sep", F_CSV, O_SEP, NULL, NULL},
	{"delimiter", "delimiter", F_CSV, O_DELIMITER, NULL, NULL},
	{"quote", "quote", F_CSV, O_QUOTE, NULL, NULL},
	{"escape", "escape", F_CSV, O_ESCAPE, NULL, NULL},
	{"char_to_escape_quote_escaping", "charToEscapeQuoteEscaping", F_CSV, O_ESCAPE_ESCAPE, NULL,
	 NULL},
	{"comment", "comment", F_CSV, O_COMMENT, NULL, NULL},
	{"header", "header", F_CSV, O_HEADER, NULL, NULL},
	{"enforce_schema", "enforceSchema", F_CSV, O_ENFORCE_SCHEMA, NULL, NULL},
	{"null_value", "nullValue", F_CSV, O_NULL_VALUE, NULL, NULL},
	{"empty_value", "emptyValue", F_CSV, O_EMPTY_VALUE, NULL, NULL},
	{"nan_value", "nanValue", F_CSV, O_NAN_VALUE, NULL, NULL},
	{"positive_inf", "positiveInf", F_CSV, O_POS_INF, NULL, NULL},
	{"negative_inf", "negativeInf", F_CSV, O_NEG_INF, NULL, NULL},
	{"ignore_leading_white_space", "ignoreLeadingWhiteSpace", F_CSV, O_IGN_LEADING, NULL,
	 NULL},
	{"ignore_trailing_white_space", "ignoreTrailingWhiteSpace", F_CSV, O_IGN_TRAILING, NULL,
	 NULL},
	{"max_columns", "maxColumns", F_CSV, O_MAX_COLUMNS, NULL, NULL},
	{"max_chars_per_column", "maxCharsPerColumn", F_CSV, O_MAX_CHARS, NULL, NULL},
	{"unescaped_quote_handling", "unescapedQuoteHandling", F_CSV, O_UNESCAPED_QUOTE, NULL,
	 NULL},
	{"allow_non_numeric_numbers", "allowNonNumericNumbers", F_JSON, O_NON_NUMERIC, NULL, NULL},

	/* Jackson's features: simdjson reads standard JSON only */
	{"allow_comments", "allowComments", F_JSON, O_OTHER,
	 "JSON records are standard JSON (simdjson), without comments", "false"},
	{"allow_unquoted_field_names", "allowUnquotedFieldNames", F_JSON, O_OTHER,
	 "JSON records are standard JSON (simdjson): field names are quoted", "false"},
	{"allow_single_quotes", "allowSingleQuotes", F_JSON, O_OTHER,
	 "JSON records are standard JSON (simdjson): strings take double quotes", "false"},
	{"allow_numeric_leading_zeros", "allowNumericLeadingZeros", F_JSON, O_OTHER,
	 "JSON records are standard JSON (simdjson): numbers have no leading zeros", "false"},
	{"allow_backslash_escaping_any_character", "allowBackslashEscapingAnyCharacter", F_JSON,
	 O_OTHER, "JSON records are standard JSON (simdjson): only JSON's escapes", "false"},
	{"allow_unquoted_control_chars", "allowUnquotedControlChars", F_JSON, O_OTHER,
	 "JSON records are standard JSON (simdjson): control characters in strings are escaped",
	 "false"},
	{"primitives_as_string", "primitivesAsString", F_JSON, O_OTHER,
	 "it is for schema inference; declare the columns' types instead", "false"},
	{"prefers_decimal", "prefersDecimal", F_JSON, O_OTHER,
	 "it is for schema inference; declare the columns' types instead", "false"},
	{"drop_field_if_all_null", "dropFieldIfAllNull", F_JSON, O_OTHER,
	 "it is for schema inference; declare the columns instead", "false"},
	{"ignore_null_fields", "ignoreNullFields", F_JSON, O_OTHER,
	 "it is an option of Spark's JSON writer", NULL},
	{"time_format", "timeFormat", F_JSON, O_OTHER, "sluice has no TIME type", NULL},

	/* the CSV ones */
	{"infer_schema", "inferSchema", F_CSV, O_OTHER,
	 "sluice reads the columns CREATE SOURCE declares; list them with their types", "false"},
	{"prefer_date", "preferDate", F_CSV, O_OTHER,
	 "it is for schema inference; declare the columns' types instead", NULL},
	{"quote_all", "quoteAll", F_CSV, O_OTHER, "it is an option of Spark's CSV writer", NULL},
	{"escape_quotes", "escapeQuotes", F_CSV, O_OTHER, "it is an option of Spark's CSV writer",
	 NULL},
	{"input_buffer_size", "inputBufferSize", F_CSV, O_OTHER,
	 "lines are buffered by the source (max_line_length)", NULL},

	/* both */
	{"multi_line", "multiLine", F_CJ, O_MULTI_LINE, NULL, NULL},
	{"encoding", "encoding", F_CJ, O_OTHER, "records are read as UTF-8", "utf-8|utf8"},
	{"charset", "charset", F_CJ, O_OTHER, "records are read as UTF-8", "utf-8|utf8"},
	{"line_sep", "lineSep", F_TEXT | F_CJ, O_OTHER,
	 "lines end with \\n or \\r\\n (the source splits them)", NULL},
	{"time_zone", "timeZone", F_CJ, O_OTHER, "timestamps are read as UTC",
	 "utc|gmt|z|+00:00|etc/utc"},
	{"locale", "locale", F_CJ, O_OTHER, "dates are read in Spark's default locale, en-US",
	 "en-us"},
	{"date_format", "dateFormat", F_CJ, O_OTHER,
	 "sluice has no DATE type; read dates as TIMESTAMP with timestamp_format", NULL},
	{"timestamp_ntz_format", "timestampNTZFormat", F_CJ, O_OTHER,
	 "sluice has no TIMESTAMP_NTZ type; TIMESTAMP columns use timestamp_format", NULL},
	{"sampling_ratio", "samplingRatio", F_CJ, O_OTHER,
	 "it is for schema inference; declare the columns' types instead", NULL},
	{"compression", "compression", F_TEXT | F_CJ, O_OTHER,
	 "it is an option of Spark's writers; the file source reads plain files", NULL},
	{"codec", "codec", F_CSV, O_OTHER,
	 "it is an option of Spark's writers; the file source reads plain files", NULL},

	/* text */
	{"whole_text", "wholetext", F_TEXT, O_OTHER,
	 "each line is one record; a whole file as one record is not supported", "false"},
};

#define N_OPT_DEFS (sizeof(opt_defs) / sizeof(opt_defs[0]))

static const char *const format_names[] = {"text", "csv", "json"};

static const struct opt_def *find_def(const char *key)
{
	for (size_t i = 0; i < N_OPT_DEFS; i++)
		if (strcasecmp(key, opt_defs[i].snake) == 0 ||
		    strcasecmp(key, opt_defs[i].camel) == 0)
			return &opt_defs[i];
	return NULL;
}

int sl_rec_format_parse(const char *name, enum sl_rec_format *out)
{
	for (int f = SL_REC_TEXT; f <= SL_REC_JSON; f++) {
		if (strcasecmp(name, format_names[f]) == 0) {
			*out = (enum sl_rec_format)f;
			return 0;
		}
	}
	return -EINVAL;
}

bool sl_recparse_has_option(enum sl_rec_format f, const char *key)
{
	(void)f;
	return find_def(key) != NULL;
}

void sl_recparse_option_names(enum sl_rec_format f, char *buf, size_t len)
{
	size_t used = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < N_OPT_DEFS; i++) {
		const struct opt_def *d = &opt_defs[i];
		if (!(d->formats & (1u << f)) || d->id == O_OTHER ||
		    (d->id == O_MULTI_LINE && f != SL_REC_CSV))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", d->snake);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (used == 0)
		snprintf(buf, len, "none");
}

/* ------------------------------------------------------------------ */
/* option values                                                       */
/* ------------------------------------------------------------------ */

#define OPT_ERR(o, ...)                                                                   \
	do {                                                                              \
		int n_ = snprintf(err, errlen, "line %u, column %u: ", (o)->line,          \
				  (o)->column);                                            \
		if (n_ >= 0 && (size_t)n_ < errlen)                                       \
			snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);            \
		return -EINVAL;                                                           \
	} while (0)

/* One value among '|'-separated ones, any case. */
static bool value_in(const char *v, const char *list)
{
	size_t vl = strlen(v);
	for (const char *p = list; *p != '\0';) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == vl && strncasecmp(v, p, n) == 0)
			return true;
		p += n + (bar ? 1 : 0);
	}
	return false;
}

/* Spark's sep: the characters of the value, with the escapes \t \r \b \f
 * \" \' \\ and the whole value \u0000 (CSVExprUtils.toDelimiterStr). */
static int parse_sep(const struct sl_option *o, char *out, uint32_t *n, char *err,
		     size_t errlen)
{
	const char *v = o->value;
	if (v[0] == '\0')
		OPT_ERR(o, "option '%s' must not be empty: Spark's default is ',' (e.g. sep = ';' or "
			   "sep = '\\t')",
			o->key);
	if (strcmp(v, "\\u0000") == 0) {
		out[0] = '\0';
		*n = 1;
		return 0;
	}
	uint32_t k = 0;
	for (size_t i = 0; v[i] != '\0';) {
		char c = v[i];
		if (c == '\\') {
			if (v[i + 1] == '\0')
				OPT_ERR(o,
					"option '%s': a single backslash is not allowed, as it begins an "
					"escape such as \\t; write two backslashes for a backslash",
					o->key);
			switch (v[i + 1]) {
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case '"': c = '"'; break;
			case '\'': c = '\''; break;
			case '\\': c = '\\'; break;
			default:
				OPT_ERR(o,
					"option '%s': unsupported escape '\\%c' (escapes: \\t \\r \\b \\f "
					"\\\" \\' \\\\, or the whole value \\u0000)",
					o->key, v[i + 1]);
			}
			i += 2;
		} else {
			i++;
		}
		if (c == '\n')
			OPT_ERR(o, "option '%s' cannot hold a line end: records are lines", o->key);
		if (k + 1 >= RP_SEP_MAX)
			OPT_ERR(o, "option '%s' is longer than %d bytes", o->key, RP_SEP_MAX - 1);
		out[k++] = c;
	}
	*n = k;
	return 0;
}

/* quote, escape, comment, char_to_escape_quote_escaping: one ASCII
 * character; empty means none (Spark's '\u0000'). */
static int parse_char(const struct sl_option *o, int *out, char *err, size_t errlen)
{
	const unsigned char *v = (const unsigned char *)o->value;
	if (v[0] == '\0') {
		*out = -1;
		return 0;
	}
	if (v[1] != '\0' || v[0] >= 0x80 || v[0] == '\n')
		OPT_ERR(o,
			"option '%s' must be a single ASCII character (or '' for none), not '%s'",
			o->key, o->value);
	*out = v[0];
	return 0;
}

static int parse_int_opt(const struct sl_option *o, int64_t min, int64_t max, int64_t *out,
			 char *err, size_t errlen)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(o->value, &end, 10);
	if (o->value[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		OPT_ERR(o, "option '%s' must be a whole number from %lld to %lld, not '%s'", o->key,
			(long long)min, (long long)max, o->value);
	*out = v;
	return 0;
}

/*
 * timestamp_format: what sl_text_to_timestamp_pattern reads (y M d H h m
 * s S a, 'quoted text', other characters as themselves). A pattern it would
 * never match is refused here rather than giving NULL for every record.
 */
static int check_pattern(const struct sl_option *o, char *err, size_t errlen)
{
	const char *p = o->value;
	size_t n = strlen(p);
	if (n == 0)
		OPT_ERR(o, "option '%s' must not be empty (e.g. 'yyyy-MM-dd HH:mm:ss')", o->key);
	for (size_t i = 0; i < n;) {
		char c = p[i];
		if (c == '\'') {
			size_t j = i + 1;
			if (j < n && p[j] == '\'') {
				i = j + 1;
				continue;
			}
			while (j < n && p[j] != '\'')
				j++;
			if (j >= n)
				OPT_ERR(o, "option '%s': the quoted text at character %zu is not closed",
					o->key, i + 1);
			i = j + 1;
			continue;
		}
		size_t run = 1;
		while (i + run < n && p[i + run] == c)
			run++;
		if (c == '[' || c == ']')
			OPT_ERR(o,
				"option '%s': optional sections [...] are not supported; give the "
				"exact pattern of the data (or leave the option out for CAST's forms)",
				o->key);
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			if (strchr("yMdHhmsSa", c) == NULL)
				OPT_ERR(o,
					"option '%s': pattern letter '%c' is not supported (supported: "
					"y M d H h m s S a, 'quoted text'; timestamps are UTC)",
					o->key, c);
			if (c == 'S' && run > 6)
				OPT_ERR(o,
					"option '%s': at most 6 S (microseconds), not %zu", o->key, run);
		}
		i += run;
	}
	return 0;
}

static int dup_opt(char **dst, uint32_t *len, const char *v)
{
	char *s = strdup(v);
	if (s == NULL)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	if (len != NULL)
		*len = (uint32_t)strlen(s);
	return 0;
}

static void free_opts(struct sl_recparse *p)
{
	free(p->ts_format);
	free(p->null_value);
	free(p->empty_value);
	free(p->nan_value);
	free(p->pos_inf);
	free(p->neg_inf);
	for (uint32_t i = 0; p->cols != NULL && i < p->ncols; i++)
		free(p->cols[i].name);
	free(p->cols);
	free(p->data);
	free(p->jstate);
	free(p->span_cut);
	p->jstate = NULL;
	p->span_cut = NULL;
	p->ts_format = p->null_value = p->empty_value = p->nan_value = p->pos_inf = p->neg_inf =
		NULL;
	p->cols = NULL;
	p->data = NULL;
}

static bool type_readable(enum sl_type t)
{
	return t == SL_TYPE_BOOLEAN || t == SL_TYPE_INT || t == SL_TYPE_BIGINT ||
	       t == SL_TYPE_DOUBLE || t == SL_TYPE_STRING || t == SL_TYPE_TIMESTAMP;
}

#define SPEC_ERR(...)                                                                     \
	do {                                                                              \
		int n_ = snprintf(err, errlen, "line %u, column %u: ", spec->line,         \
				  spec->column);                                           \
		if (n_ >= 0 && (size_t)n_ < errlen)                                       \
			snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);            \
		rc = -EINVAL;                                                             \
		goto err_free;                                                            \
	} while (0)

/*
 * Read spec's options and schema into p (zeroed by the caller): the one
 * place that checks them, for sl_recparse_validate() and create().
 */
static int configure(struct sl_recparse *p, const struct sl_source_spec *spec,
		     enum sl_rec_format f, char *err, size_t errlen)
{
	const struct sl_schema *sc = &spec->schema;
	const char *fname = format_names[f];
	int rc = 0;
	const struct sl_option *corrupt_opt = NULL;
	const char *corrupt_name = "_corrupt_record";

	p->f = f;
	p->mode = RP_PERMISSIVE;
	p->corrupt = -1;
	p->sep[0] = ',';
	p->sep_len = 1;
	p->quote = '"';
	p->escape = '\\';
	p->escape_escape = -2; /* unset: decided below */
	p->comment = -1;
	p->enforce_schema = true;
	p->max_columns = 20480;
	p->max_chars = -1;
	p->allow_nonnum = true;
	if (dup_opt(&p->null_value, &p->null_len, "") < 0 ||
	    dup_opt(&p->empty_value, &p->empty_len, "") < 0 ||
	    dup_opt(&p->nan_value, &p->nan_len, "NaN") < 0 ||
	    dup_opt(&p->pos_inf, &p->pos_inf_len, "Inf") < 0 ||
	    dup_opt(&p->neg_inf, &p->neg_inf_len, "-Inf") < 0)
		goto err_nomem;

	for (uint32_t i = 0; i < spec->options.n; i++) {
		const struct sl_option *o = &spec->options.v[i];
		const struct opt_def *d = find_def(o->key);
		if (d == NULL)
			continue; /* the source's */
		if (!(d->formats & (1u << f))) {
			char fl[32] = "";
			for (int g = 0; g < 3; g++)
				if (d->formats & (1u << g)) {
					strcat(fl, fl[0] ? " and " : "");
					strcat(fl, format_names[g]);
				}
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' is an option of format %s; "
				 "format '%s' does not take it (remove it, or change format)",
				 o->line, o->column, o->key, fl, fname);
			rc = -EINVAL;
			goto err_free;
		}
		int64_t v;
		int r = 0;
		switch (d->id) {
		case O_MODE:
			if (strcasecmp(o->value, "permissive") == 0)
				p->mode = RP_PERMISSIVE;
			else if (strcasecmp(o->value, "dropmalformed") == 0)
				p->mode = RP_DROPMALFORMED;
			else if (strcasecmp(o->value, "failfast") == 0)
				p->mode = RP_FAILFAST;
			else {
				snprintf(err, errlen,
					 "line %u, column %u: option 'mode' must be 'PERMISSIVE', "
					 "'DROPMALFORMED' or 'FAILFAST', not '%s'",
					 o->line, o->column, o->value);
				rc = -EINVAL;
				goto err_free;
			}
			break;
		case O_CORRUPT:
			if (o->value[0] == '\0') {
				snprintf(err, errlen,
					 "line %u, column %u: option '%s' must name a STRING column "
					 "(Spark's default is '_corrupt_record')",
					 o->line, o->column, o->key);
				rc = -EINVAL;
				goto err_free;
			}
			corrupt_opt = o;
			corrupt_name = o->value;
			break;
		case O_TS_FORMAT:
			if ((r = check_pattern(o, err, errlen)) == 0)
				r = dup_opt(&p->ts_format, &p->ts_format_len, o->value);
			break;
		case O_TS_FALLBACK:
			r = sl_option_bool(o, &p->ts_fallback, err, errlen);
			break;
		case O_SEP:
		case O_DELIMITER:
			r = parse_sep(o, p->sep, &p->sep_len, err, errlen);
			break;
		case O_QUOTE:
			r = parse_char(o, &p->quote, err, errlen);
			break;
		case O_ESCAPE:
			r = parse_char(o, &p->escape, err, errlen);
			break;
		case O_ESCAPE_ESCAPE:
			r = parse_char(o, &p->escape_escape, err, errlen);
			break;
		case O_COMMENT:
			r = parse_char(o, &p->comment, err, errlen);
			break;
		case O_HEADER:
			r = sl_option_bool(o, &p->header, err, errlen);
			break;
		case O_ENFORCE_SCHEMA:
			r = sl_option_bool(o, &p->enforce_schema, err, errlen);
			break;
		case O_NULL_VALUE:
			r = dup_opt(&p->null_value, &p->null_len, o->value);
			break;
		case O_EMPTY_VALUE:
			r = dup_opt(&p->empty_value, &p->empty_len, o->value);
			break;
		case O_NAN_VALUE:
			r = dup_opt(&p->nan_value, &p->nan_len, o->value);
			break;
		case O_POS_INF:
			r = dup_opt(&p->pos_inf, &p->pos_inf_len, o->value);
			break;
		case O_NEG_INF:
			r = dup_opt(&p->neg_inf, &p->neg_inf_len, o->value);
			break;
		case O_IGN_LEADING:
			r = sl_option_bool(o, &p->ignore_leading, err, errlen);
			break;
		case O_IGN_TRAILING:
			r = sl_option_bool(o, &p->ignore_trailing, err, errlen);
			break;
		case O_MAX_COLUMNS:
			if ((r = parse_int_opt(o, 1, INT32_MAX, &v, err, errlen)) == 0)
				p->max_columns = (uint32_t)v;
			break;
		case O_MAX_CHARS:
			if ((r = parse_int_opt(o, -1, INT32_MAX, &v, err, errlen)) == 0) {
				if (v == 0) {
					snprintf(err, errlen,
						 "line %u, column %u: option '%s' must be -1 "
						 "(unlimited) or at least 1, not 0",
						 o->line, o->column, o->key);
					r = -EINVAL;
				}
				p->max_chars = v;
			}
			break;
		case O_UNESCAPED_QUOTE:
			if (strcasecmp(o->value, "stop_at_delimiter") != 0) {
				snprintf(err, errlen,
					 "line %u, column %u: option '%s': only Spark's default "
					 "'STOP_AT_DELIMITER' is supported, not '%s'",
					 o->line, o->column, o->key, o->value);
				r = -EINVAL;
			}
			break;
		case O_NON_NUMERIC:
			r = sl_option_bool(o, &p->allow_nonnum, err, errlen);
			break;
		case O_MULTI_LINE:
			r = sl_option_bool(o, &p->multi_line, err, errlen);
			if (r == 0 && p->multi_line && f == SL_REC_JSON) {
				snprintf(err, errlen,
					 "line %u, column %u: option '%s' = true (one JSON document "
					 "per file) is not supported: format 'json' reads one object "
					 "per line (JSON Lines); remove it, or use format 'csv', which "
					 "takes it",
					 o->line, o->column, o->key);
				r = -EINVAL;
			}
			break;
		case O_OTHER:
			if (d->only != NULL && value_in(o->value, d->only))
				break;
			if (d->only != NULL)
				snprintf(err, errlen,
					 "line %u, column %u: option '%s' = '%s' is not supported: "
					 "%s (only '%.*s' is accepted)",
					 o->line, o->column, o->key, o->value, d->why,
					 (int)strcspn(d->only, "|"), d->only);
			else
				snprintf(err, errlen,
					 "line %u, column %u: option '%s' is not supported: %s; "
					 "remove it",
					 o->line, o->column, o->key, d->why);
			r = -EINVAL;
			break;
		}
		if (r == -ENOMEM)
			goto err_nomem;
		if (r < 0) {
			rc = r;
			goto err_free;
		}
	}
	if (p->escape_escape == -2)
		p->escape_escape = p->escape != p->quote ? p->escape : -1;
	if (f == SL_REC_CSV && p->quote >= 0 && (int)(uint8_t)p->sep[0] == p->quote) {
		const struct sl_option *o = sl_options_find(&spec->options, "quote");
		if (o == NULL)
			o = sl_options_find(&spec->options, "sep");
		if (o == NULL)
			o = sl_options_find(&spec->options, "delimiter");
		snprintf(err, errlen,
			 "line %u, column %u: the separator begins with the quote character '%c'; "
			 "choose a different sep or quote",
			 o ? o->line : spec->line, o ? o->column : spec->column, p->quote);
		rc = -EINVAL;
		goto err_free;
	}

	/* the bytes that end a run of plain text inside a quoted field */
	if (p->quote >= 0)
		p->special[p->quote] = 1;
	if (p->escape >= 0)
		p->special[p->escape] = 1;
	if (p->escape_escape >= 0)
		p->special[p->escape_escape] = 1;
	if (p->multi_line)
		p->special['\r'] = 1; /* "\r\n" in a quoted field becomes "\n" */

	/* the schema */
	p->ncols = sc->ncols;
	if (sc->ncols > 0) {
		p->cols = calloc(sc->ncols, sizeof(*p->cols));
		p->data = calloc(sc->ncols, sizeof(*p->data));
		if (p->cols == NULL || p->data == NULL)
			goto err_nomem;
	}
	for (uint32_t c = 0; c < sc->ncols; c++) {
		p->cols[c].type = sc->cols[c].type;
		if (dup_opt(&p->cols[c].name, &p->cols[c].name_len, sc->cols[c].name) < 0)
			goto err_nomem;
	}
	if (f == SL_REC_TEXT) {
		if (sc->ncols > 1 || (sc->ncols == 1 && sc->cols[0].type != SL_TYPE_STRING))
			SPEC_ERR("format 'text' reads each line into one STRING column, as Spark's "
				 "text source: declare (value STRING), not %u column%s",
				 sc->ncols, sc->ncols == 1 ? " of another type" : "s");
		return 0;
	}
	if (sc->ncols == 0)
		SPEC_ERR("format '%s' needs the source's columns, e.g. CREATE SOURCE %s (id INT, "
			 "name STRING) WITH (...): sluice does not infer a schema",
			 fname, spec->name);
	for (uint32_t c = 0; c < sc->ncols; c++) {
		if (strcmp(sc->cols[c].name, corrupt_name) == 0) {
			if (sc->cols[c].type != SL_TYPE_STRING)
				SPEC_ERR("column '%s' holds malformed records (the corrupt-record "
					 "column) and must be STRING, not %s",
					 sc->cols[c].name, sl_type_name(sc->cols[c].type));
			p->corrupt = (int32_t)c;
			continue;
		}
		if (!type_readable(sc->cols[c].type))
			SPEC_ERR("column '%s' is %s: format '%s' reads BOOLEAN, INT, BIGINT, DOUBLE, "
				 "STRING and TIMESTAMP columns",
				 sc->cols[c].name, sl_type_name(sc->cols[c].type), fname);
		p->data[p->ndata++] = c;
		if (f == SL_REC_JSON && strchr(sc->cols[c].name, '.') != NULL)
			p->nested = true;
	}
	if (p->nested && (p->jstate = calloc(sc->ncols, 1)) == NULL)
		goto err_nomem;
	if (corrupt_opt != NULL && p->corrupt < 0) {
		snprintf(err, errlen,
			 "line %u, column %u: option '%s' names '%s', but the source has no such "
			 "column: add `%s STRING` to its columns to keep malformed records there",
			 corrupt_opt->line, corrupt_opt->column, corrupt_opt->key, corrupt_name,
			 corrupt_name);
		rc = -EINVAL;
		goto err_free;
	}
	return 0;

err_nomem:
	snprintf(err, errlen, "out of memory while setting up the %s parser", fname);
	rc = -ENOMEM;
err_free:
	free_opts(p);
	return rc;
}

int sl_recparse_validate(const struct sl_source_spec *spec, enum sl_rec_format f, char *err,
			 size_t errlen)
{
	struct sl_recparse tmp;
	memset(&tmp, 0, sizeof(tmp));
	int rc = configure(&tmp, spec, f, err, errlen);
	if (rc == 0)
		free_opts(&tmp);
	return rc;
}

/* ------------------------------------------------------------------ */
/* life                                                                */
/* ------------------------------------------------------------------ */

struct sl_recparse *sl_recparse_create(const struct sl_source_spec *spec, enum sl_rec_format f,
				       char *err, size_t errlen)
{
	struct sl_recparse *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory while setting up the %s parser",
			 format_names[f]);
		errno = ENOMEM;
		return NULL;
	}
	int rc = configure(p, spec, f, err, errlen);
	if (rc < 0) {
		free(p);
		errno = -rc;
		return NULL;
	}
	if (f == SL_REC_JSON && (p->json = sl_simdjson_create()) == NULL) {
		snprintf(err, errlen, "out of memory while setting up the json parser");
		free_opts(p);
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->want_header = p->header;
	p->fast_paths = true;
#if defined(__x86_64__) && defined(__GNUC__)
	p->avx2 = rp_cpu_avx2();
	p->avx512 = rp_cpu_avx512();
#endif
	if (sl_recparse_bursts(p) && rp_csv_span_alloc(p) < 0) {
		/* the spans' cuts: allocated here, not on the hot path */
		snprintf(err, errlen, "out of memory while setting up the csv parser");
		free_opts(p);
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void sl_recparse_destroy(struct sl_recparse *p)
{
	if (p == NULL)
		return;
	sl_simdjson_destroy(p->json);
	for (struct rp_block *b = p->blocks, *next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free_opts(p);
	free(p);
}

void sl_recparse_begin(struct sl_recparse *p)
{
	p->want_header = p->header;
	p->scan_state = 0;
	p->scan_sep = 0;
}

bool sl_recparse_multi_line(const struct sl_recparse *p)
{
	return p->multi_line;
}

void sl_recparse_reset(struct sl_recparse *p)
{
	for (struct rp_block *b = p->blocks; b != NULL; b = b->next)
		b->used = 0;
	p->cur = p->blocks;
}

uint64_t sl_recparse_malformed(const struct sl_recparse *p)
{
	return p->malformed;
}

#define RP_BLOCK_MIN ((size_t)64 * 1024)

char *rp_alloc(struct sl_recparse *p, size_t n)
{
	struct rp_block *b = p->cur;
	while (b != NULL && b->cap - b->used < n)
		b = b->next;
	if (b == NULL) {
		size_t cap = n > RP_BLOCK_MIN ? n : RP_BLOCK_MIN;
		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->cap = cap;
		b->used = 0;
		/* after the block in use, so that rewinding reuses it */
		if (p->cur == NULL) {
			b->next = p->blocks;
			p->blocks = b;
		} else {
			b->next = p->cur->next;
			p->cur->next = b;
		}
	}
	p->cur = b;
	char *r = b->data + b->used;
	b->used += n;
	return r;
}

void rp_alloc_trim(struct sl_recparse *p, char *r, size_t n, size_t used)
{
	struct rp_block *b = p->cur;
	if (b != NULL && r + n == b->data + b->used)
		b->used -= n - used;
}

/* ------------------------------------------------------------------ */
/* records                                                             */
/* ------------------------------------------------------------------ */

bool rp_text_timestamp(const struct sl_recparse *p, const char *s, uint32_t n, int64_t *out)
{
	if (p->ts_format == NULL)
		return rp_fast_timestamp(s, n, out) || sl_text_to_timestamp(s, n, out);
	if (sl_text_to_timestamp_pattern(s, n, p->ts_format, p->ts_format_len, out))
		return true;
	return p->ts_fallback && sl_text_to_timestamp(s, n, out);
}

void rp_null_data(const struct sl_recparse *p, struct sl_chunk *out, uint32_t row)
{
	for (uint32_t i = 0; i < p->ndata; i++)
		out->cols[p->data[i]].nulls[row] = 1;
}

int rp_finish(struct sl_recparse *p, const char *line, uint32_t len, struct sl_chunk *out,
	      uint32_t row, bool bad)
{
	if (!bad) {
		if (p->corrupt >= 0)
			rp_set_null(out, (uint32_t)p->corrupt, row);
		return 1;
	}
	p->malformed++;
	if (p->mode == RP_DROPMALFORMED)
		return 0;
	if (p->corrupt >= 0)
		rp_set_str(out, (uint32_t)p->corrupt, row, line, len);
	return 1;
}

int rp_failfast(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n,
			 " (mode FAILFAST stops at the first malformed record; mode = "
			 "'PERMISSIVE' keeps such records with NULLs, 'DROPMALFORMED' skips and "
			 "counts them)");
	return -EINVAL;
}

void rp_quote_text(char *buf, size_t len, const char *s, uint32_t n, bool quotes)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (len < 8) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	if (quotes)
		buf[o++] = '\'';
	uint32_t i = 0;
	for (; i < n && i < 40 && o + 8 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	if (quotes)
		buf[o++] = '\'';
	if (i < n) {
		buf[o++] = '.';
		buf[o++] = '.';
		buf[o++] = '.';
	}
	buf[o] = '\0';
}

static inline int parse_line(struct sl_recparse *p, const char *line, uint32_t len, bool padded,
			     struct sl_chunk *out, uint32_t row, char *err, size_t errlen)
{
	p->line_ascii = false; /* unless the JSON flat walk takes the line */
	switch (p->f) {
	case SL_REC_TEXT:
		if (out->ncols > 0)
			rp_set_str(out, 0, row, line, len);
		return 1;
	case SL_REC_CSV:
		return rp_csv_line(p, line, len, padded, out, row, err, errlen);
	case SL_REC_JSON:
		return rp_json_line(p, line, len, padded, out, row, err, errlen);
	}
	snprintf(err, errlen, "unknown record format %d", (int)p->f);
	return -EINVAL;
}

void sl_recparse_format_spec(const struct sl_source_spec *spec, enum sl_rec_format f,
			     bool (*own)(const char *key), struct sl_option *opts,
			     struct sl_source_spec *out)
{
	*out = *spec;
	out->options.n = 0;
	out->options.v = opts;
	for (uint32_t i = 0; i < spec->options.n; i++)
		if (!own(spec->options.v[i].key) && sl_recparse_has_option(f, spec->options.v[i].key))
			opts[out->options.n++] = spec->options.v[i];
}

bool sl_recparse_line_ascii(const struct sl_recparse *p)
{
	return p->line_ascii;
}

int sl_recparse_line(struct sl_recparse *p, const char *line, uint32_t len, struct sl_chunk *out,
		     uint32_t row, char *err, size_t errlen)
{
	return parse_line(p, line, len, false, out, row, err, errlen);
}

int sl_recparse_line_padded(struct sl_recparse *p, const char *line, uint32_t len,
			    struct sl_chunk *out, uint32_t row, char *err, size_t errlen)
{
	return parse_line(p, line, len, true, out, row, err, errlen);
}
