/*
 * test_json.c — the control protocol's JSON codec (control/json.h): what
 * the parser accepts and how it reads it back, what it refuses and the
 * exact "byte B: ..." message, the limits at and one past each, numbers
 * (texts, exact integers, doubles), the accessors, and the writer (commas,
 * escaping, invalid UTF-8, doubles through strtod, misuse), with round
 * trips parse -> write -> parse.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static int parse_n(const char *s, size_t n, struct sl_json_doc **doc, char *err, size_t errlen)
{
	return sl_json_parse(s, n, doc, err, errlen);
}

/* The compact text of v (sl_jw_value), in a buffer the caller frees. */
static char *write_value(const struct sl_json *v, size_t *len)
{
	struct sl_strbuf sb;
	struct sl_jw w;
	sl_strbuf_init(&sb);
	sl_jw_init(&w, &sb);
	sl_jw_value(&w, v);
	cr_assert_eq(sl_jw_finish(&w), 0);
	*len = sb.len;
	return sb.ptr;
}

/* ---- accepted documents: the text, and what the writer makes of it ---- */

struct accept_case {
	const char *text;
	size_t len; /* 0: strlen */
	const char *written;
	size_t written_len; /* 0: strlen */
};

static const struct accept_case accept_cases[] = {
	{"[]", 0, "[]", 0},
	{"{}", 0, "{}", 0},
	{" \t\r\n[ \t\r\n] \t\r\n", 0, "[]", 0},
	{"[[]]", 0, "[[]]", 0},
	{"[{}]", 0, "[{}]", 0},
	/* RFC 8259: any value at the top, not only objects and arrays */
	{"\"a\"", 0, "\"a\"", 0},
	{"0", 0, "0", 0},
	{"-0", 0, "-0", 0},
	{"true", 0, "true", 0},
	{"false", 0, "false", 0},
	{"null", 0, "null", 0},
	{" 7 ", 0, "7", 0},
	/* numbers keep their text */
	{"[0e1,0E+1,1E-2,-1.5e+300,1.50,1e999,-1e-999]", 0, "[0e1,0E+1,1E-2,-1.5e+300,1.50,1e999,-1e-999]", 0},
	{"123456789012345678901234567890", 0, "123456789012345678901234567890", 0},
	{"[null , true,false ]", 0, "[null,true,false]", 0},
	{"{ \"a\" : 1 , \"b\" : [ 2 ] }", 0, "{\"a\":1,\"b\":[2]}", 0},
	/* duplicate names: kept, in order */
	{"{\"a\":1,\"a\":2}", 0, "{\"a\":1,\"a\":2}", 0},
	{"{\"\":0}", 0, "{\"\":0}", 0},
	/* escapes */
	{"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 0, "\"\\\"\\\\/\\b\\f\\n\\r\\t\"", 0},
	{"\"\\u0000\"", 0, "\"\\u0000\"", 0},
	{"\"a\\u0000b\"", 0, "\"a\\u0000b\"", 0},
	{"\"\\u001F\\u007f\"", 0, "\"\\u001f\x7f\"", 0},
	{"\"\\u00e9\\u00E9\"", 0, "\"\xc3\xa9\xc3\xa9\"", 0},
	{"\"\\u20AC\"", 0, "\"\xe2\x82\xac\"", 0},
	{"\"\\uD834\\uDD1E\"", 0, "\"\xf0\x9d\x84\x9e\"", 0},
	{"\"\\uDBFF\\uDFFF\"", 0, "\"\xf4\x8f\xbf\xbf\"", 0},
	{"\"\\uD800\\uDC00\"", 0, "\"\xf0\x90\x80\x80\"", 0},
	{"\"\\uFFFF\\uFFFE\"", 0, "\"\xef\xbf\xbf\xef\xbf\xbe\"", 0}, /* noncharacters are characters */
	{"\"\\u2028\\u2029\"", 0, "\"\xe2\x80\xa8\xe2\x80\xa9\"", 0},
	/* raw UTF-8 of every length, the edges of each range */
	{"\"\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"", 0,
	 "\"\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"", 0},
	/* input need not end with a NUL: only len bytes are read */
	{"[1,2]garbage", 5, "[1,2]", 0},
	/* a realistic request */
	{"{\"op\":\"submit\",\"id\":7,\"sql\":\"CREATE SOURCE s FROM rate;\\nSELECT * FROM s\"}", 0,
	 "{\"op\":\"submit\",\"id\":7,\"sql\":\"CREATE SOURCE s FROM rate;\\nSELECT * FROM s\"}", 0},
};

Test(json, accepted_documents_write_back_and_round_trip)
{
	char err[256];
	for (size_t c = 0; c < sizeof(accept_cases) / sizeof(accept_cases[0]); c++) {
		const struct accept_case *t = &accept_cases[c];
		size_t n = t->len ? t->len : strlen(t->text);
		struct sl_json_doc *doc = NULL, *again = NULL;
		int rc = parse_n(t->text, n, &doc, err, sizeof(err));
		cr_assert_eq(rc, 0, "case %zu (%s): rc %d: %s", c, t->text, rc, err);
		cr_assert_str_empty(err);
		size_t wn;
		char *w = write_value(sl_json_root(doc), &wn);
		size_t en = t->written_len ? t->written_len : strlen(t->written);
		cr_expect(wn == en && memcmp(w, t->written, en) == 0, "case %zu (%s): wrote %s, not %s", c,
			  t->text, w, t->written);
		rc = parse_n(w, wn, &again, err, sizeof(err));
		cr_assert_eq(rc, 0, "case %zu: what the writer wrote (%s) does not parse: %s", c, w, err);
		cr_expect(sl_json_equal(sl_json_root(doc), sl_json_root(again)), "case %zu: the tree changed", c);
		free(w);
		sl_json_free(again);
		sl_json_free(doc);
	}
}

/* ---- refused documents: return value and the exact message ---- */

struct refuse_case {
	const char *text;
	size_t len; /* 0: strlen */
	int rc;
	const char *err;
};

static const struct refuse_case refuse_cases[] = {
	/* structure */
	{"", 0, -EINVAL, "byte 0: expected a value, found the end of the input"},
	{" \n", 0, -EINVAL, "byte 2: expected a value, found the end of the input"},
	{"\xef\xbb\xbf{}", 0, -EINVAL,
	 "byte 0: a byte order mark (EF BB BF) before the value: JSON text must not start with one"},
	{"[1,]", 0, -EINVAL, "byte 3: expected a value after ',', found ']' (no trailing commas in JSON)"},
	{"[1 , ]", 0, -EINVAL, "byte 5: expected a value after ',', found ']' (no trailing commas in JSON)"},
	{"{\"a\":1,}", 0, -EINVAL,
	 "byte 7: expected a member name after ',', found '}' (no trailing commas in JSON)"},
	{"[,1]", 0, -EINVAL, "byte 1: expected a value, found ','"},
	{"[1 2]", 0, -EINVAL, "byte 3: expected ',' or ']' after an array element, found '2'"},
	{"[1", 0, -EINVAL, "byte 2: expected ',' or ']' after an array element, found the end of the input"},
	{"[", 0, -EINVAL, "byte 1: expected a value, found the end of the input"},
	{"{", 0, -EINVAL, "byte 1: expected a member name (a string) or '}', found the end of the input"},
	{"{\"op\":\"progress\" \"name\":\"q\"}", 0, -EINVAL,
	 "byte 17: expected ',' or '}' after an object member, found '\"'"},
	{"{\"a\" 1}", 0, -EINVAL, "byte 5: expected ':' after a member name, found '1'"},
	{"{\"a\":}", 0, -EINVAL, "byte 5: expected a value, found '}'"},
	{"{\"a\":", 0, -EINVAL, "byte 5: expected a value, found the end of the input"},
	{"{a:1}", 0, -EINVAL, "byte 1: expected a member name (a string) or '}', found 'a'"},
	{"{'a':1}", 0, -EINVAL, "byte 1: expected a member name (a string) or '}', found '''"},
	{"{\"a\":1,2:3}", 0, -EINVAL, "byte 7: expected a member name (a string) after ',', found '2'"},
	{"{1:1}", 0, -EINVAL, "byte 1: expected a member name (a string) or '}', found '1'"},
	{"[1]x", 0, -EINVAL, "byte 3: more after the value: a document is exactly one value"},
	{"[1] [2]", 0, -EINVAL, "byte 4: more after the value: a document is exactly one value"},
	{"{} {}", 0, -EINVAL, "byte 3: more after the value: a document is exactly one value"},
	{"[1]\0", 4, -EINVAL, "byte 3: more after the value: a document is exactly one value"},
	{"\0", 1, -EINVAL, "byte 0: expected a value, found byte 0x00"},
	{"[\f]", 0, -EINVAL, "byte 1: expected a value, found byte 0x0C"}, /* form feed is no whitespace */
	{"[\xc2\xa0]", 0, -EINVAL, "byte 1: expected a value, found byte 0xC2"}, /* nor NBSP */
	{"'a'", 0, -EINVAL, "byte 0: expected a value, found '''"},
	{"]", 0, -EINVAL, "byte 0: expected a value, found ']'"},
	/* literals */
	{"tru", 0, -EINVAL, "byte 0: invalid literal: the words of JSON are true, false and null"},
	{"[nul]", 0, -EINVAL, "byte 1: invalid literal: the words of JSON are true, false and null"},
	{"True", 0, -EINVAL, "byte 0: expected a value, found 'T'"},
	{"[truex]", 0, -EINVAL, "byte 5: expected ',' or ']' after an array element, found 'x'"},
	{"undefined", 0, -EINVAL, "byte 0: expected a value, found 'u'"},
	{"[Nul]", 0, -EINVAL, "byte 1: expected a value, found 'N'"},
	{"[Inf]", 0, -EINVAL, "byte 1: expected a value, found 'I'"},
	/* numbers */
	{"[01]", 0, -EINVAL, "byte 1: a number may not start with 0 and more digits (leading zeros)"},
	{"[-01]", 0, -EINVAL, "byte 2: a number may not start with 0 and more digits (leading zeros)"},
	{"[00]", 0, -EINVAL, "byte 1: a number may not start with 0 and more digits (leading zeros)"},
	{"[+1]", 0, -EINVAL, "byte 1: a number may not start with '+'"},
	{"[.5]", 0, -EINVAL, "byte 1: a number needs a digit before its '.' (0.5, not .5)"},
	{"[-.5]", 0, -EINVAL, "byte 2: expected a digit after '-', found '.'"},
	{"[1.]", 0, -EINVAL, "byte 3: expected a digit after the '.' of a number, found ']'"},
	{"[1.e1]", 0, -EINVAL, "byte 3: expected a digit after the '.' of a number, found 'e'"},
	{"[1e]", 0, -EINVAL, "byte 3: expected a digit in the exponent of a number, found ']'"},
	{"[1e+]", 0, -EINVAL, "byte 4: expected a digit in the exponent of a number, found ']'"},
	{"1E", 0, -EINVAL, "byte 2: expected a digit in the exponent of a number, found the end of the input"},
	{"[-]", 0, -EINVAL, "byte 2: expected a digit after '-', found ']'"},
	{"-", 0, -EINVAL, "byte 1: expected a digit after '-', found the end of the input"},
	{"[NaN]", 0, -EINVAL, "byte 1: NaN and Infinity are not JSON numbers (send null or a string)"},
	{"[Infinity]", 0, -EINVAL, "byte 1: NaN and Infinity are not JSON numbers (send null or a string)"},
	{"[-Infinity]", 0, -EINVAL, "byte 1: NaN and Infinity are not JSON numbers (send null or a string)"},
	{"[0x10]", 0, -EINVAL, "byte 2: expected ',' or ']' after an array element, found 'x'"},
	{"[1a]", 0, -EINVAL, "byte 2: expected ',' or ']' after an array element, found 'a'"},
	{"[1.5.2]", 0, -EINVAL, "byte 4: expected ',' or ']' after an array element, found '.'"},
	{"[1 000]", 0, -EINVAL, "byte 3: expected ',' or ']' after an array element, found '0'"},
	{"[\xef\xbc\x91]", 0, -EINVAL, "byte 1: expected a value, found byte 0xEF"}, /* fullwidth 1 */
	/* strings */
	{"\"abc", 0, -EINVAL, "byte 4: unterminated string (it starts at byte 0)"},
	{"[\"a\\", 0, -EINVAL, "byte 4: unterminated string (it starts at byte 1)"},
	{"[\"a\\\"]", 0, -EINVAL, "byte 6: unterminated string (it starts at byte 1)"},
	{"[\"a\tb\"]", 0, -EINVAL, "byte 3: raw control character 0x09 in a string (escape it: \\u0009)"},
	{"[\"a\nb\"]", 0, -EINVAL, "byte 3: raw control character 0x0A in a string (escape it: \\u000A)"},
	{"[\"a\0b\"]", 7, -EINVAL, "byte 3: raw control character 0x00 in a string (escape it: \\u0000)"},
	{"[\"\\x41\"]", 0, -EINVAL, "byte 2: invalid escape: a backslash followed by 'x'"},
	{"[\"\\a\"]", 0, -EINVAL, "byte 2: invalid escape: a backslash followed by 'a'"},
	{"[\"\\'\"]", 0, -EINVAL, "byte 2: invalid escape: a backslash followed by '''"},
	{"[\"\\\xc3\xa9\"]", 0, -EINVAL, "byte 2: invalid escape: a backslash followed by byte 0xC3"},
	{"[\"\\U0041\"]", 0, -EINVAL, "byte 2: invalid escape: a backslash followed by 'U'"},
	{"[\"\\u12\"]", 0, -EINVAL, "byte 2: \\u must be followed by 4 hex digits"},
	{"[\"\\u12G4\"]", 0, -EINVAL, "byte 2: \\u must be followed by 4 hex digits"},
	{"\"\\u004", 0, -EINVAL, "byte 1: \\u must be followed by 4 hex digits"},
	{"[\"\\uD800\"]", 0, -EINVAL,
	 "byte 2: lone surrogate \\uD800: a high surrogate must be followed by a low one (\\uDC00..\\uDFFF)"},
	{"[\"\\uDBFFx\"]", 0, -EINVAL,
	 "byte 2: lone surrogate \\uDBFF: a high surrogate must be followed by a low one (\\uDC00..\\uDFFF)"},
	{"[\"\\uD800\\u0041\"]", 0, -EINVAL,
	 "byte 2: lone surrogate \\uD800: a high surrogate must be followed by a low one (\\uDC00..\\uDFFF)"},
	{"[\"\\uD800\\uD800\"]", 0, -EINVAL,
	 "byte 2: lone surrogate \\uD800: a high surrogate must be followed by a low one (\\uDC00..\\uDFFF)"},
	{"[\"\\uD800\\n\"]", 0, -EINVAL,
	 "byte 2: lone surrogate \\uD800: a high surrogate must be followed by a low one (\\uDC00..\\uDFFF)"},
	{"[\"\\uD800\\u12\"]", 0, -EINVAL, "byte 8: \\u must be followed by 4 hex digits"},
	{"[\"\\uDC00\"]", 0, -EINVAL,
	 "byte 2: lone surrogate \\uDC00: a low surrogate must follow a high one (\\uD800..\\uDBFF)"},
	{"[\"\\uDFFF\\uD800\"]", 0, -EINVAL,
	 "byte 2: lone surrogate \\uDFFF: a low surrogate must follow a high one (\\uD800..\\uDBFF)"},
	/* invalid UTF-8 inside strings */
	{"[\"\x80\"]", 0, -EINVAL,
	 "byte 2: invalid UTF-8 in a string: continuation byte 0x80 without a lead byte"},
	{"[\"\xbf\"]", 0, -EINVAL,
	 "byte 2: invalid UTF-8 in a string: continuation byte 0xBF without a lead byte"},
	{"[\"\xc0\x80\"]", 0, -EINVAL, "byte 2: invalid UTF-8 in a string: overlong encoding (lead byte 0xC0)"},
	{"[\"\xc1\xbf\"]", 0, -EINVAL, "byte 2: invalid UTF-8 in a string: overlong encoding (lead byte 0xC1)"},
	{"[\"\xe0\x80\xaf\"]", 0, -EINVAL, "byte 2: invalid UTF-8 in a string: overlong encoding (lead byte 0xE0)"},
	{"[\"\xe0\x9f\xbf\"]", 0, -EINVAL, "byte 2: invalid UTF-8 in a string: overlong encoding (lead byte 0xE0)"},
	{"[\"\xf0\x80\x80\xaf\"]", 0, -EINVAL,
	 "byte 2: invalid UTF-8 in a string: overlong encoding (lead byte 0xF0)"},
	{"[\"\xf0\x8f\xbf\xbf\"]", 0, -EINVAL,
	 "byte 2: invalid UTF-8 in a string: overlong encoding (lead byte 0xF0)"},
	{"[\"\xed\xa0\x80\"]", 0, -EINVAL,
	 "byte 2: invalid UTF-8 in a string: an encoded surrogate (U+D800..U+DFFF) is not a character"},
	{"[\"\xed\xbf\xbf\"]", 0, -EINVAL,
	 "byte 2: invalid UTF-8 in a string: an encoded surrogate (U+D800..U+DFFF) is not a character"},
	{"[\"\xf4\x90\x80\x80\"]", 0, -EINVAL,
	 "byte 2: invalid UTF-8 in a string: a code point above U+10FFFF (lead byte 0xF4)"},
	{"[\"\xf5\x80\x80\x80\"]", 0, -EINVAL,
	 "byte 2: invalid UTF-8 in a string: a code point above U+10FFFF (lead byte 0xF5)"},
	{"[\"\xf8\x88\x80\x80\x80\"]", 0, -EINVAL,
	 "byte 2: invalid UTF-8 in a string: byte 0xF8 never appears in UTF-8"},
	{"[\"\xfe\"]", 0, -EINVAL, "byte 2: invalid UTF-8 in a string: byte 0xFE never appears in UTF-8"},
	{"[\"\xff\"]", 0, -EINVAL, "byte 2: invalid UTF-8 in a string: byte 0xFF never appears in UTF-8"},
	{"[\"a\xc3\"]", 0, -EINVAL,
	 "byte 3: invalid UTF-8 in a string: lead byte 0xC3 is not followed by the continuation bytes it needs"},
	{"[\"\xe2\x82\"]", 0, -EINVAL,
	 "byte 2: invalid UTF-8 in a string: lead byte 0xE2 is not followed by the continuation bytes it needs"},
	{"[\"\xf0\x9f\x98\"]", 0, -EINVAL,
	 "byte 2: invalid UTF-8 in a string: lead byte 0xF0 is not followed by the continuation bytes it needs"},
	{"[\"\xc3\xc3\xa9\"]", 0, -EINVAL,
	 "byte 2: invalid UTF-8 in a string: lead byte 0xC3 is not followed by the continuation bytes it needs"},
	{"\"\xe2\x82", 0, -EINVAL,
	 "byte 1: invalid UTF-8 in a string: lead byte 0xE2 is not followed by the continuation bytes it needs"},
	{"{\"\xff\":1}", 0, -EINVAL, "byte 2: invalid UTF-8 in a string: byte 0xFF never appears in UTF-8"},
};

Test(json, refused_documents_say_where_and_why)
{
	char err[256];
	for (size_t c = 0; c < sizeof(refuse_cases) / sizeof(refuse_cases[0]); c++) {
		const struct refuse_case *t = &refuse_cases[c];
		size_t n = t->len ? t->len : strlen(t->text);
		struct sl_json_doc *doc = (struct sl_json_doc *)&doc; /* must be set to NULL */
		int rc = parse_n(t->text, n, &doc, err, sizeof(err));
		cr_expect_eq(rc, t->rc, "case %zu (%s): rc %d, not %d (%s)", c, t->text, rc, t->rc, err);
		cr_expect_null(doc, "case %zu: *out not NULL on failure", c);
		cr_expect_str_eq(err, t->err, "case %zu (%s)", c, t->text);
	}
}

Test(json, error_message_is_cut_to_the_buffer)
{
	struct sl_json_doc *doc;
	char err[12];
	memset(err, 'x', sizeof(err));
	cr_assert_eq(sl_json_parse("[1 2]", 5, &doc, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "byte 3: exp");
	cr_assert_eq(sl_json_parse("[1 2]", 5, &doc, NULL, 0), -EINVAL);
	cr_assert_eq(sl_json_parse("[1,2]", 5, &doc, NULL, 0), 0);
	sl_json_free(doc);
	sl_json_free(NULL);
}

/* ---- limits ---- */

static char *nested(int depth, const char *inner)
{
	size_t il = strlen(inner);
	char *s = malloc(2 * (size_t)depth + il + 1);
	for (int i = 0; i < depth; i++)
		s[i] = '[';
	memcpy(s + depth, inner, il);
	for (int i = 0; i < depth; i++)
		s[depth + il + i] = ']';
	s[2 * depth + il] = '\0';
	return s;
}

Test(json, nesting_at_the_limit_and_one_past)
{
	char err[256];
	struct sl_json_doc *doc;
	char *s = nested(SL_JSON_MAX_DEPTH, "");
	cr_assert_eq(sl_json_parse(s, strlen(s), &doc, err, sizeof(err)), 0, "%s", err);
	const struct sl_json *v = sl_json_root(doc);
	for (int i = 1; i < SL_JSON_MAX_DEPTH; i++)
		v = sl_json_at(v, 0);
	cr_expect_eq(sl_json_kind(v), SL_JSON_ARRAY);
	cr_expect_eq(sl_json_len(v), 0);
	/* and the writer takes it back: its depth limit is the same */
	size_t wn;
	char *w = write_value(sl_json_root(doc), &wn);
	cr_expect_str_eq(w, s);
	free(w);
	sl_json_free(doc);
	free(s);

	s = nested(SL_JSON_MAX_DEPTH + 1, "");
	cr_assert_eq(sl_json_parse(s, strlen(s), &doc, err, sizeof(err)), -E2BIG);
	cr_expect_str_eq(err, "byte 64: arrays and objects nested more than 64 deep");
	free(s);

	/* objects count as well: 63 arrays and an object inside */
	s = nested(SL_JSON_MAX_DEPTH - 1, "{\"a\":{}}");
	cr_expect_eq(sl_json_parse(s, strlen(s), &doc, err, sizeof(err)), -E2BIG);
	cr_expect_str_eq(err, "byte 68: arrays and objects nested more than 64 deep");
	free(s);
	s = nested(SL_JSON_MAX_DEPTH - 1, "{\"a\":1}");
	cr_expect_eq(sl_json_parse(s, strlen(s), &doc, err, sizeof(err)), 0);
	sl_json_free(doc);
	free(s);
}

/* "[0,0,...]" with n zeros */
static char *zeros(size_t n, size_t *len)
{
	char *s = malloc(2 * n + 2);
	size_t k = 0;
	s[k++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			s[k++] = ',';
		s[k++] = '0';
	}
	s[k++] = ']';
	*len = k;
	return s;
}

Test(json, values_at_the_limit_and_one_past)
{
	char err[256];
	struct sl_json_doc *doc;
	size_t n;
	/* the array counts: 65535 elements and it make 65536 values */
	char *s = zeros(SL_JSON_MAX_VALUES - 1, &n);
	cr_assert_eq(sl_json_parse(s, n, &doc, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(sl_json_len(sl_json_root(doc)), SL_JSON_MAX_VALUES - 1);
	int64_t i = -1;
	cr_expect_eq(sl_json_int(sl_json_at(sl_json_root(doc), SL_JSON_MAX_VALUES - 2), &i), 0);
	cr_expect_eq(i, 0);
	sl_json_free(doc);
	free(s);

	s = zeros(SL_JSON_MAX_VALUES, &n);
	cr_assert_eq(sl_json_parse(s, n, &doc, err, sizeof(err)), -E2BIG);
	char want[128];
	/* the 65537th value is the last zero, at n - 2 */
	snprintf(want, sizeof(want), "byte %zu: more than 65536 values in the document", n - 2);
	cr_expect_str_eq(err, want);
	free(s);

	/* member names do not count */
	size_t members = SL_JSON_MAX_VALUES - 1;
	s = malloc(members * 6 + 2);
	n = 0;
	s[n++] = '{';
	for (size_t m = 0; m < members; m++) {
		if (m > 0)
			s[n++] = ',';
		memcpy(s + n, "\"\":0", 4);
		n += 4;
	}
	s[n++] = '}';
	cr_assert_eq(sl_json_parse(s, n, &doc, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(sl_json_len(sl_json_root(doc)), members);
	sl_json_free(doc);
	free(s);
}

Test(json, document_size_at_the_limit_and_one_past)
{
	char err[256];
	struct sl_json_doc *doc;
	size_t n = SL_JSON_MAX_BYTES;
	char *s = malloc(n + 1);
	s[0] = '"';
	memset(s + 1, 'a', n - 2);
	s[n - 1] = '"';
	cr_assert_eq(sl_json_parse(s, n, &doc, err, sizeof(err)), 0, "%s", err);
	size_t len;
	const char *str = sl_json_str(sl_json_root(doc), &len);
	cr_expect_eq(len, n - 2);
	cr_expect_eq(str[len], '\0');
	sl_json_free(doc);

	s[n - 1] = 'a';
	s[n] = '"';
	cr_assert_eq(sl_json_parse(s, n + 1, &doc, err, sizeof(err)), -E2BIG);
	cr_expect_str_eq(err, "byte 1048576: the document is 1048577 bytes, more than the limit of 1048576");
	cr_expect_null(doc);
	free(s);
}

/* ---- numbers ---- */

struct number_case {
	const char *text;
	int int_rc;
	int64_t i;
	double d;
};

static const struct number_case number_cases[] = {
	{"0", 0, 0, 0.0},
	{"-0", 0, 0, -0.0},
	{"7", 0, 7, 7.0},
	{"-7", 0, -7, -7.0},
	{"5.0", 0, 5, 5.0},
	{"5.000", 0, 5, 5.0},
	{"0.5e1", 0, 5, 5.0},
	{"1.5e1", 0, 15, 15.0},
	{"1.25e1", -EINVAL, 0, 12.5},
	{"100e-2", 0, 1, 1.0},
	{"123e-2", -EINVAL, 0, 1.23},
	{"1.5", -EINVAL, 0, 1.5},
	{"0.1", -EINVAL, 0, 0.1},
	{"1E3", 0, 1000, 1000.0},
	{"1e+3", 0, 1000, 1000.0},
	{"1e18", 0, 1000000000000000000, 1e18},
	{"1e19", -ERANGE, 0, 1e19},
	{"9223372036854775807", 0, INT64_MAX, 9223372036854775807.0},
	{"9223372036854775808", -ERANGE, 0, 9223372036854775808.0},
	{"-9223372036854775808", 0, INT64_MIN, -9223372036854775808.0},
	{"-9223372036854775809", -ERANGE, 0, -9223372036854775808.0},
	{"92233720368547758070e-1", 0, INT64_MAX, 9223372036854775807.0},
	{"0.00000000000000000000000001e26", 0, 1, 1.0},
	{"12345678901234567890123", -ERANGE, 0, 12345678901234567890123.0},
	{"0e99999999999999999999", 0, 0, 0.0},
	{"0.000e-99999999999999999999", 0, 0, 0.0},
	{"1e99999999999999999999", -ERANGE, 0, HUGE_VAL},
	/* past a double's range: accepted, the text kept, +-HUGE_VAL */
	{"1e999", -ERANGE, 0, HUGE_VAL},
	{"-1e999", -ERANGE, 0, -HUGE_VAL},
	{"1e-999", -EINVAL, 0, 0.0},
	{"-1e-999", -EINVAL, 0, -0.0},
	{"4.9e-324", -EINVAL, 0, 4.9e-324},
	{"1.7976931348623157e308", -ERANGE, 0, 1.7976931348623157e308},
};

Test(json, numbers_keep_their_text_an_exact_int64_and_a_double)
{
	char err[256];
	for (size_t c = 0; c < sizeof(number_cases) / sizeof(number_cases[0]); c++) {
		const struct number_case *t = &number_cases[c];
		struct sl_json_doc *doc;
		cr_assert_eq(sl_json_parse(t->text, strlen(t->text), &doc, err, sizeof(err)), 0, "%s: %s", t->text,
			     err);
		const struct sl_json *v = sl_json_root(doc);
		cr_expect_eq(sl_json_kind(v), SL_JSON_NUMBER);
		size_t len;
		cr_expect_str_eq(sl_json_num_text(v, &len), t->text);
		cr_expect_eq(len, strlen(t->text));
		int64_t i = 12345;
		int rc = sl_json_int(v, &i);
		cr_expect_eq(rc, t->int_rc, "%s: sl_json_int %d, not %d", t->text, rc, t->int_rc);
		cr_expect_eq(i, rc == 0 ? t->i : 12345, "%s: %" PRId64, t->text, i);
		double d = sl_json_num(v);
		cr_expect(memcmp(&d, &t->d, sizeof(d)) == 0, "%s: %.17g, not %.17g", t->text, d, t->d);
		sl_json_free(doc);
	}
}

/* ---- access ---- */

Test(json, accessors_on_a_request)
{
	static const char req[] = "{\"op\":\"progress\",\"id\":\"r-1\",\"name\":\"q\",\"last\":5,"
				  "\"all\":false,\"tags\":[\"a\",2,null],\"op\":\"second\",\"nul\":\"a\\u0000b\","
				  "\"\\u0000k\":1,\"nothing\":null}";
	char err[256];
	struct sl_json_doc *doc;
	cr_assert_eq(sl_json_parse(req, strlen(req), &doc, err, sizeof(err)), 0, "%s", err);
	const struct sl_json *r = sl_json_root(doc);
	cr_assert_eq(sl_json_kind(r), SL_JSON_OBJECT);
	cr_expect_eq(sl_json_len(r), 10);

	/* the first of duplicate names wins */
	const char *s;
	size_t len;
	cr_expect_eq(sl_json_get_str(r, "op", &s, &len), 0);
	cr_expect_str_eq(s, "progress");
	cr_expect_eq(len, 8);
	int64_t last = 0;
	cr_expect_eq(sl_json_get_int(r, "last", &last), 0);
	cr_expect_eq(last, 5);
	bool all = true;
	cr_expect_eq(sl_json_get_bool(r, "all", &all), 0);
	cr_expect_eq(all, false);

	/* missing, wrong kind, null */
	s = "untouched";
	cr_expect_eq(sl_json_get_str(r, "sql", &s, &len), -ENOENT);
	cr_expect_str_eq(s, "untouched");
	cr_expect_eq(sl_json_get_str(r, "last", &s, &len), -EINVAL);
	cr_expect_eq(sl_json_get_str(r, "nothing", &s, &len), -EINVAL);
	cr_expect_eq(sl_json_get_int(r, "op", &last), -EINVAL);
	cr_expect_eq(sl_json_get_bool(r, "last", &all), -EINVAL);
	cr_expect_eq(sl_json_get_int(NULL, "op", &last), -ENOENT);
	cr_expect_eq(sl_json_get_str(sl_json_get(r, "tags"), "op", &s, &len), -EINVAL);
	cr_expect_eq(sl_json_kind(sl_json_get(r, "nothing")), SL_JSON_NULL);

	/* a string holding a NUL: the length says so */
	cr_expect_eq(sl_json_get_str(r, "nul", &s, &len), 0);
	cr_expect_eq(len, 3);
	cr_expect(memcmp(s, "a\0b", 4) == 0);
	/* a name holding a NUL is not found by a C string, but iterates */
	cr_expect_null(sl_json_get(r, ""));
	const char *key;
	size_t keylen;
	const struct sl_json *v = sl_json_member(r, 8, &key, &keylen);
	cr_expect_eq(keylen, 2);
	cr_expect(memcmp(key, "\0k", 3) == 0);
	cr_expect_eq(sl_json_kind(v), SL_JSON_NUMBER);

	/* members in order */
	static const char *const names[] = {"op", "id", "name", "last", "all", "tags", "op", "nul"};
	for (size_t i = 0; i < 8; i++) {
		cr_expect_not_null(sl_json_member(r, i, &key, NULL));
		cr_expect_str_eq(key, names[i]);
	}
	cr_expect_null(sl_json_member(r, 10, &key, &keylen));
	cr_expect_null(sl_json_member(sl_json_get(r, "tags"), 0, &key, &keylen));
	cr_expect_str_eq(sl_json_str(sl_json_member(r, 6, NULL, NULL), NULL), "second");

	/* arrays */
	const struct sl_json *tags = sl_json_get(r, "tags");
	cr_expect_eq(sl_json_len(tags), 3);
	cr_expect_str_eq(sl_json_str(sl_json_at(tags, 0), NULL), "a");
	cr_expect_eq(sl_json_num(sl_json_at(tags, 1)), 2.0);
	cr_expect_eq(sl_json_kind(sl_json_at(tags, 2)), SL_JSON_NULL);
	cr_expect_null(sl_json_at(tags, 3));
	cr_expect_null(sl_json_at(r, 0)); /* an object is not an array */

	/* NULL chains */
	cr_expect_null(sl_json_get(sl_json_get(r, "missing"), "x"));
	cr_expect_eq(sl_json_len(NULL), 0);
	cr_expect_null(sl_json_str(NULL, &len));
	cr_expect_null(sl_json_num_text(NULL, &len));
	cr_expect_eq(sl_json_int(NULL, &last), -EINVAL);
	cr_expect(isnan(sl_json_num(NULL)));
	cr_expect(isnan(sl_json_num(sl_json_get(r, "op"))));
	cr_expect_eq(sl_json_bool(NULL, &all), -EINVAL);
	cr_expect_null(sl_json_str(sl_json_get(r, "last"), &len));
	cr_expect_eq(sl_json_len(sl_json_get(r, "op")), 0);
	sl_json_free(doc);
}

Test(json, equal_compares_kinds_strings_number_texts_and_order)
{
	static const char *const same[][2] = {
		{"{\"a\":[1,\"x\",null]}", " { \"a\" : [ 1 , \"\\u0078\" , null ] } "},
		{"\"\\/\"", "\"/\""},
		{"true", "true"},
	};
	static const char *const differ[][2] = {
		{"{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}"}, /* order matters */
		{"1.0", "1"},                            /* number texts */
		{"[1]", "[1,1]"},
		{"{\"a\":1}", "{\"b\":1}"},
		{"true", "false"},
		{"null", "false"},
		{"[]", "{}"},
		{"\"a\"", "\"a\\u0000\""},
	};
	char err[256];
	struct sl_json_doc *a, *b;
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(sl_json_parse(same[i][0], strlen(same[i][0]), &a, err, sizeof(err)), 0);
		cr_assert_eq(sl_json_parse(same[i][1], strlen(same[i][1]), &b, err, sizeof(err)), 0);
		cr_expect(sl_json_equal(sl_json_root(a), sl_json_root(b)), "%s vs %s", same[i][0], same[i][1]);
		sl_json_free(a);
		sl_json_free(b);
	}
	for (size_t i = 0; i < 8; i++) {
		cr_assert_eq(sl_json_parse(differ[i][0], strlen(differ[i][0]), &a, err, sizeof(err)), 0);
		cr_assert_eq(sl_json_parse(differ[i][1], strlen(differ[i][1]), &b, err, sizeof(err)), 0);
		cr_expect(!sl_json_equal(sl_json_root(a), sl_json_root(b)), "%s vs %s", differ[i][0], differ[i][1]);
		sl_json_free(a);
		sl_json_free(b);
	}
	cr_expect(sl_json_equal(NULL, NULL));
}

/* ---- the writer ---- */

Test(json, writer_places_commas_and_colons)
{
	struct sl_strbuf sb;
	struct sl_jw w;
	sl_strbuf_init(&sb);
	sl_jw_init(&w, &sb);
	sl_jw_obj_begin(&w);
	sl_jw_key(&w, "ok");
	sl_jw_bool(&w, true);
	sl_jw_key(&w, "id");
	sl_jw_int(&w, 7);
	sl_jw_key(&w, "queries");
	sl_jw_arr_begin(&w);
	sl_jw_obj_begin(&w);
	sl_jw_key(&w, "name");
	sl_jw_cstr(&w, "q");
	sl_jw_key(&w, "rows");
	sl_jw_uint(&w, UINT64_MAX);
	sl_jw_key(&w, "rate");
	sl_jw_double(&w, 0.5);
	sl_jw_obj_end(&w);
	sl_jw_obj_begin(&w);
	sl_jw_obj_end(&w);
	sl_jw_arr_begin(&w);
	sl_jw_arr_end(&w);
	sl_jw_null(&w);
	sl_jw_raw(&w, "{\"x\":[1]}", 9);
	sl_jw_int(&w, INT64_MIN);
	sl_jw_bool(&w, false);
	sl_jw_arr_end(&w);
	sl_jw_key(&w, "empty");
	sl_jw_str(&w, "", 0);
	sl_jw_obj_end(&w);
	cr_assert_eq(sl_jw_finish(&w), 0);
	cr_expect_str_eq(sb.ptr, "{\"ok\":true,\"id\":7,\"queries\":[{\"name\":\"q\",\"rows\":18446744073709551615,"
				 "\"rate\":0.5},{},[],null,{\"x\":[1]},-9223372036854775808,false],\"empty\":\"\"}");
	/* a scalar alone is a document too */
	sl_strbuf_reset(&sb);
	sl_jw_init(&w, &sb);
	sl_jw_int(&w, -1);
	cr_expect_eq(sl_jw_finish(&w), 0);
	cr_expect_str_eq(sb.ptr, "-1");
	/* the writer appends: the buffer is not reset */
	sl_jw_init(&w, &sb);
	sl_jw_arr_begin(&w);
	sl_jw_arr_end(&w);
	cr_expect_eq(sl_jw_finish(&w), 0);
	cr_expect_str_eq(sb.ptr, "-1[]");
	sl_strbuf_free(&sb);
}

/* Each misuse sets -EINVAL, after which nothing more is written. */
Test(json, writer_misuse_sticks)
{
	struct sl_strbuf sb;
	struct sl_jw w;
	sl_strbuf_init(&sb);

	/* a value where a member name is due */
	sl_jw_init(&w, &sb);
	sl_jw_obj_begin(&w);
	sl_jw_int(&w, 1);
	sl_jw_key(&w, "a");
	sl_jw_int(&w, 1);
	sl_jw_obj_end(&w);
	cr_expect_eq(sl_jw_finish(&w), -EINVAL);
	cr_expect_str_eq(sb.ptr, "{");

	/* a name in an array; a name at the top */
	sl_strbuf_reset(&sb);
	sl_jw_init(&w, &sb);
	sl_jw_arr_begin(&w);
	sl_jw_key(&w, "a");
	cr_expect_eq(sl_jw_finish(&w), -EINVAL);
	sl_jw_init(&w, &sb);
	sl_jw_key(&w, "a");
	cr_expect_eq(sl_jw_finish(&w), -EINVAL);

	/* two names in a row; a name without its value at the end */
	sl_jw_init(&w, &sb);
	sl_jw_obj_begin(&w);
	sl_jw_key(&w, "a");
	sl_jw_key(&w, "b");
	cr_expect_eq(sl_jw_finish(&w), -EINVAL);
	sl_jw_init(&w, &sb);
	sl_jw_obj_begin(&w);
	sl_jw_key(&w, "a");
	sl_jw_obj_end(&w);
	cr_expect_eq(sl_jw_finish(&w), -EINVAL);

	/* the wrong end, an end too many, nothing closed, nothing written */
	sl_jw_init(&w, &sb);
	sl_jw_obj_begin(&w);
	sl_jw_arr_end(&w);
	cr_expect_eq(sl_jw_finish(&w), -EINVAL);
	sl_jw_init(&w, &sb);
	sl_jw_arr_begin(&w);
	sl_jw_arr_end(&w);
	sl_jw_arr_end(&w);
	cr_expect_eq(sl_jw_finish(&w), -EINVAL);
	sl_jw_init(&w, &sb);
	sl_jw_arr_begin(&w);
	cr_expect_eq(sl_jw_finish(&w), -EINVAL);
	sl_jw_init(&w, &sb);
	cr_expect_eq(sl_jw_finish(&w), -EINVAL);

	/* a second top-level value */
	sl_strbuf_reset(&sb);
	sl_jw_init(&w, &sb);
	sl_jw_obj_begin(&w);
	sl_jw_obj_end(&w);
	sl_jw_obj_begin(&w);
	cr_expect_eq(sl_jw_finish(&w), -EINVAL);
	cr_expect_str_eq(sb.ptr, "{}");

	/* 64 levels are fine, 65 are not */
	sl_strbuf_reset(&sb);
	sl_jw_init(&w, &sb);
	for (int i = 0; i < SL_JW_MAX_DEPTH; i++)
		sl_jw_arr_begin(&w);
	for (int i = 0; i < SL_JW_MAX_DEPTH; i++)
		sl_jw_arr_end(&w);
	cr_expect_eq(sl_jw_finish(&w), 0);
	sl_jw_init(&w, &sb);
	for (int i = 0; i <= SL_JW_MAX_DEPTH; i++)
		sl_jw_arr_begin(&w);
	cr_expect_eq(sl_jw_finish(&w), -EINVAL);
	sl_strbuf_free(&sb);
}

struct escape_case {
	const char *in;
	size_t len; /* 0: strlen */
	const char *out;
};

static const struct escape_case escape_cases[] = {
	{"plain text", 0, "\"plain text\""},
	{"a\"b\\c/d", 0, "\"a\\\"b\\\\c/d\""},
	{"\b\f\n\r\t", 0, "\"\\b\\f\\n\\r\\t\""},
	{"\x01\x1f\x7f", 0, "\"\\u0001\\u001f\x7f\""},
	{"a\0b", 3, "\"a\\u0000b\""},
	/* valid UTF-8 stays as it is */
	{"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x80\xa8\xef\xbf\xbf", 0,
	 "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x80\xa8\xef\xbf\xbf\""},
	/* each maximal invalid sequence becomes one U+FFFD */
	{"\xff", 0, "\"\xef\xbf\xbd\""},
	{"a\x80z", 0, "\"a\xef\xbf\xbdz\""},
	{"\xe2\x82z", 0, "\"\xef\xbf\xbdz\""},       /* cut short: one */
	{"\xe2\x82", 0, "\"\xef\xbf\xbd\""},         /* cut short at the end */
	{"\xf0\x9f\x98", 0, "\"\xef\xbf\xbd\""},     /* cut short at the end */
	{"\xc0\x80", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\""}, /* overlong: two */
	{"\xed\xa0\x80", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* a surrogate: three */
	{"\xf4\x90\x80\x80", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
	{"\xc3\xc3\xa9", 0, "\"\xef\xbf\xbd\xc3\xa9\""},
	{"\xc3\n", 0, "\"\xef\xbf\xbd\\n\""},
};

Test(json, writer_escapes_strings_and_replaces_invalid_utf8)
{
	struct sl_strbuf sb;
	struct sl_jw w;
	char err[256];
	sl_strbuf_init(&sb);
	for (size_t c = 0; c < sizeof(escape_cases) / sizeof(escape_cases[0]); c++) {
		const struct escape_case *t = &escape_cases[c];
		size_t n = t->len ? t->len : strlen(t->in);
		sl_strbuf_reset(&sb);
		sl_jw_init(&w, &sb);
		sl_jw_str(&w, t->in, n);
		cr_assert_eq(sl_jw_finish(&w), 0);
		cr_expect_str_eq(sb.ptr, t->out, "case %zu", c);
		/* always valid JSON; a valid string reads back as itself */
		struct sl_json_doc *doc;
		cr_assert_eq(sl_json_parse(sb.ptr, sb.len, &doc, err, sizeof(err)), 0, "case %zu: %s", c, err);
		size_t len;
		const char *s = sl_json_str(sl_json_root(doc), &len);
		if (strstr(t->out, "\xef\xbf\xbd") == NULL)
			cr_expect(len == n && memcmp(s, t->in, n) == 0, "case %zu", c);
		sl_json_free(doc);
		/* names are escaped the same way */
		sl_strbuf_reset(&sb);
		sl_jw_init(&w, &sb);
		sl_jw_obj_begin(&w);
		sl_jw_key_n(&w, t->in, n);
		sl_jw_null(&w);
		sl_jw_obj_end(&w);
		cr_assert_eq(sl_jw_finish(&w), 0);
		cr_expect(strncmp(sb.ptr + 1, t->out, strlen(t->out)) == 0, "case %zu: %s", c, sb.ptr);
	}
	sl_strbuf_free(&sb);
}

Test(json, writer_doubles_are_short_and_null_when_not_finite)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{0.0, "0.0"},   {-0.0, "-0.0"}, {1.0, "1.0"},       {0.1, "0.1"},
		{0.5, "0.5"},   {1e7, "1.0E7"}, {1.234e-5, "1.234E-5"}, {4.9e-324, "4.9E-324"},
		{1.7976931348623157e308, "1.7976931348623157E308"}, {123456.789, "123456.789"},
		{NAN, "null"},  {HUGE_VAL, "null"}, {-HUGE_VAL, "null"},
	};
	struct sl_strbuf sb;
	struct sl_jw w;
	sl_strbuf_init(&sb);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		sl_strbuf_reset(&sb);
		sl_jw_init(&w, &sb);
		sl_jw_double(&w, cases[c].v);
		cr_assert_eq(sl_jw_finish(&w), 0);
		cr_expect_str_eq(sb.ptr, cases[c].text);
	}
	sl_strbuf_free(&sb);
}

static uint64_t rnd(uint64_t *s)
{
	/* splitmix64: a fixed seed, the same doubles every run */
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

Test(json, random_doubles_round_trip_through_strtod_and_the_parser)
{
	struct sl_strbuf sb;
	struct sl_jw w;
	char err[256];
	uint64_t seed = 20261130;
	sl_strbuf_init(&sb);
	for (int k = 0; k < 20000; k++) {
		uint64_t bits = rnd(&seed);
		double v;
		if (k % 4 == 1) /* ordinary magnitudes too, not only random exponents */
			v = (double)(int64_t)bits / (double)(1ull << (bits % 60));
		else if (k % 4 == 2)
			v = (double)(bits % 1000000) / 1000.0;
		else
			memcpy(&v, &bits, sizeof(v));
		sl_strbuf_reset(&sb);
		sl_jw_init(&w, &sb);
		sl_jw_double(&w, v);
		cr_assert_eq(sl_jw_finish(&w), 0);
		if (!isfinite(v)) {
			cr_expect_str_eq(sb.ptr, "null");
			continue;
		}
		double back = strtod(sb.ptr, NULL);
		cr_assert(memcmp(&back, &v, sizeof(v)) == 0, "%.17g wrote %s, read back %.17g", v, sb.ptr, back);
		struct sl_json_doc *doc;
		cr_assert_eq(sl_json_parse(sb.ptr, sb.len, &doc, err, sizeof(err)), 0, "%s: %s", sb.ptr, err);
		double parsed = sl_json_num(sl_json_root(doc));
		cr_assert(memcmp(&parsed, &v, sizeof(v)) == 0, "%s parsed as %.17g", sb.ptr, parsed);
		sl_json_free(doc);
	}
	sl_strbuf_free(&sb);
}

Test(json, random_int64s_round_trip)
{
	struct sl_strbuf sb;
	struct sl_jw w;
	char err[256];
	uint64_t seed = 7;
	sl_strbuf_init(&sb);
	for (int k = 0; k < 5000; k++) {
		int64_t v = (int64_t)(rnd(&seed) >> (k % 64));
		if (k % 2)
			v = -v;
		if (k == 0)
			v = INT64_MIN;
		sl_strbuf_reset(&sb);
		sl_jw_init(&w, &sb);
		sl_jw_int(&w, v);
		cr_assert_eq(sl_jw_finish(&w), 0);
		struct sl_json_doc *doc;
		cr_assert_eq(sl_json_parse(sb.ptr, sb.len, &doc, err, sizeof(err)), 0);
		int64_t back = 0;
		cr_assert_eq(sl_json_int(sl_json_root(doc), &back), 0);
		cr_assert_eq(back, v);
		sl_json_free(doc);
	}
	sl_strbuf_free(&sb);
}

/* Random documents from the writer (random bytes as strings and names,
 * valid or not, random numbers and nesting): each parses, and writing the
 * tree again gives the same text (invalid bytes were replaced the first
 * time, so the second write is a fixed point). */
static void random_value(struct sl_jw *w, uint64_t *seed, int depth)
{
	uint64_t r = rnd(seed);
	int kind = depth >= 6 ? (int)(r % 5) : (int)(r % 7);
	char s[24];
	size_t n = (r >> 8) % sizeof(s);
	for (size_t i = 0; i < n; i++) {
		uint64_t b = rnd(seed);
		/* mostly text, some control characters and high bytes */
		s[i] = (char)(b % 4 ? 'a' + b % 26 : b >> 8);
	}
	switch (kind) {
	case 0: sl_jw_null(w); break;
	case 1: sl_jw_bool(w, r & 1); break;
	case 2: sl_jw_int(w, (int64_t)rnd(seed)); break;
	case 3: {
		uint64_t bits = rnd(seed);
		double d;
		memcpy(&d, &bits, sizeof(d));
		sl_jw_double(w, d);
		break;
	}
	case 4: sl_jw_str(w, s, n); break;
	case 5:
		sl_jw_arr_begin(w);
		for (uint64_t i = 0; i < (r >> 16) % 5; i++)
			random_value(w, seed, depth + 1);
		sl_jw_arr_end(w);
		break;
	default:
		sl_jw_obj_begin(w);
		for (uint64_t i = 0; i < (r >> 16) % 5; i++) {
			sl_jw_key_n(w, s, i % 2 ? n : n / 2);
			random_value(w, seed, depth + 1);
		}
		sl_jw_obj_end(w);
		break;
	}
}

Test(json, random_writer_documents_parse_and_rewrite_the_same)
{
	struct sl_strbuf a, b;
	struct sl_jw w;
	char err[256];
	uint64_t seed = 42;
	sl_strbuf_init(&a);
	sl_strbuf_init(&b);
	for (int k = 0; k < 2000; k++) {
		sl_strbuf_reset(&a);
		sl_jw_init(&w, &a);
		random_value(&w, &seed, 0);
		cr_assert_eq(sl_jw_finish(&w), 0);
		struct sl_json_doc *doc;
		cr_assert_eq(sl_json_parse(a.ptr, a.len, &doc, err, sizeof(err)), 0, "%s: %s", a.ptr, err);
		sl_strbuf_reset(&b);
		sl_jw_init(&w, &b);
		sl_jw_value(&w, sl_json_root(doc));
		cr_assert_eq(sl_jw_finish(&w), 0);
		cr_assert(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0, "%s became %s", a.ptr, b.ptr);
		sl_json_free(doc);
	}
	sl_strbuf_free(&a);
	sl_strbuf_free(&b);
}

Test(json, writer_value_of_null_is_null_and_echoes_an_id)
{
	/* the daemon echoes a request's "id", whatever it is, with sl_jw_value */
	static const char req[] = "{\"op\":\"list\",\"id\":{\"n\":[1.50,\"x\"]}}";
	char err[256];
	struct sl_json_doc *doc;
	cr_assert_eq(sl_json_parse(req, strlen(req), &doc, err, sizeof(err)), 0);
	struct sl_strbuf sb;
	struct sl_jw w;
	sl_strbuf_init(&sb);
	sl_jw_init(&w, &sb);
	sl_jw_obj_begin(&w);
	sl_jw_key(&w, "ok");
	sl_jw_bool(&w, true);
	sl_jw_key(&w, "id");
	sl_jw_value(&w, sl_json_get(sl_json_root(doc), "id"));
	sl_jw_key(&w, "missing");
	sl_jw_value(&w, sl_json_get(sl_json_root(doc), "nope"));
	sl_jw_obj_end(&w);
	cr_assert_eq(sl_jw_finish(&w), 0);
	cr_expect_str_eq(sb.ptr, "{\"ok\":true,\"id\":{\"n\":[1.50,\"x\"]},\"missing\":null}");
	sl_strbuf_free(&sb);
	sl_json_free(doc);
}
