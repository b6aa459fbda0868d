/*
 * test_sql_lex.c — the SQL lexer: token kinds, decoded text, positions
 * (1-based lines, columns in characters), comments, escapes, and the exact
 * messages of lexical errors.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sql_lex.h"

struct tok_case {
	const char *src;
	const char *expect; /* "KIND:text@line:col KIND:text@line:col ..." */
};

static const char *kind_short(enum sl_tok k)
{
	switch (k) {
	case SL_TOK_EOF: return "EOF";
	case SL_TOK_IDENT: return "ID";
	case SL_TOK_QIDENT: return "QID";
	case SL_TOK_STRING: return "STR";
	case SL_TOK_INTEGER: return "INT";
	case SL_TOK_DECIMAL: return "DEC";
	default: return "P";
	}
}

/* Every token as KIND:text@line:col, space separated, EOF left out. */
static void render(const struct sl_tokens *t, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < t->n && t->v[i].kind != SL_TOK_EOF; i++) {
		int n = snprintf(buf + used, len - used, "%s%s:%s@%u:%u", i ? " " : "",
				 kind_short(t->v[i].kind), t->v[i].text, t->v[i].line, t->v[i].column);
		used += (size_t)n;
	}
}

static const struct tok_case tok_cases[] = {
	{"SELECT a, b FROM t;", "ID:SELECT@1:1 ID:a@1:8 P:,@1:9 ID:b@1:11 ID:FROM@1:13 ID:t@1:18 P:;@1:19"},
	{"a<=b<>c!=d==e||f>=g<h>i", "ID:a@1:1 P:<=@1:2 ID:b@1:4 P:<>@1:5 ID:c@1:7 P:!=@1:8 ID:d@1:10 "
				    "P:==@1:11 ID:e@1:13 P:||@1:14 ID:f@1:16 P:>=@1:17 ID:g@1:19 "
				    "P:<@1:20 ID:h@1:21 P:>@1:22 ID:i@1:23"},
	{"x -- comment\n  y", "ID:x@1:1 ID:y@2:3"},
	{"x /* multi\nline */ y", "ID:x@1:1 ID:y@2:9"},
	{"x /* outer /* nested */ still comment */ y", "ID:x@1:1 ID:y@1:42"},
	{"`my col` `a``b`", "QID:my col@1:1 QID:a`b@1:10"},
	{"'it''s' \"say \"\"hi\"\"\"", "STR:it's@1:1 STR:say \"hi\"@1:9"},
	{"'a\\tb' 'c\\\\d' 'e\\'f' \"g\\\"h\"", "STR:a\tb@1:1 STR:c\\d@1:8 STR:e'f@1:15 STR:g\"h@1:22"},
	{"'\\%\\_' '\\q' '\\u00e9'", "STR:\\%\\_@1:1 STR:q@1:8 STR:\xc3\xa9@1:13"},
	{"12 12L 1.5 .5 1e3 2D 1.", "INT:12@1:1 INT:12L@1:4 DEC:1.5@1:8 DEC:.5@1:12 DEC:1e3@1:15 "
				   "DEC:2D@1:19 DEC:1.@1:22"},
	{"t.col t.*", "ID:t@1:1 P:.@1:2 ID:col@1:3 ID:t@1:7 P:.@1:8 P:*@1:9"},
	/* columns count characters, not bytes */
	{"'\xc3\xa9\xc3\xa9' x", "STR:\xc3\xa9\xc3\xa9@1:1 ID:x@1:6"},
	{"-1 - 2", "P:-@1:1 INT:1@1:2 P:-@1:4 INT:2@1:6"},
	{"", ""},
	{"  -- only a comment", ""},
};

Test(sql_lex, tokens_text_and_positions)
{
	for (size_t i = 0; i < sizeof(tok_cases) / sizeof(tok_cases[0]); i++) {
		struct sl_tokens t;
		char err[256], got[1024];
		int rc = sl_sql_lex(tok_cases[i].src, &t, err, sizeof(err));
		cr_assert_eq(rc, 0, "case %zu: %s", i, err);
		cr_assert_eq(t.v[t.n - 1].kind, SL_TOK_EOF, "case %zu ends with EOF", i);
		render(&t, got, sizeof(got));
		cr_expect_str_eq(got, tok_cases[i].expect, "case %zu: %s", i, tok_cases[i].src);
		sl_tokens_free(&t);
	}
}

Test(sql_lex, number_values)
{
	struct sl_tokens t;
	char err[256];
	cr_assert_eq(sl_sql_lex("2147483648 9L 18446744073709551616 2.5e-1 7D", &t, err, sizeof(err)), 0);
	cr_expect_eq(t.v[0].ival, 2147483648ULL);
	cr_expect(!t.v[0].is_long && !t.v[0].overflow);
	cr_expect(t.v[1].is_long);
	cr_expect_eq(t.v[1].ival, 9);
	cr_expect(t.v[2].overflow, "beyond 64 bits is flagged");
	cr_expect_eq(t.v[3].kind, SL_TOK_DECIMAL);
	cr_expect_float_eq(t.v[3].dval, 0.25, 1e-12);
	cr_expect(t.v[3].is_double);
	cr_expect(t.v[4].is_double);
	cr_expect_float_eq(t.v[4].dval, 7.0, 1e-12);
	sl_tokens_free(&t);
}

Test(sql_lex, string_with_nul_keeps_length)
{
	struct sl_tokens t;
	char err[256];
	cr_assert_eq(sl_sql_lex("'a\\0b'", &t, err, sizeof(err)), 0);
	cr_expect_eq(t.v[0].text_len, 3);
	cr_expect_eq(memcmp(t.v[0].text, "a\0b", 3), 0);
	sl_tokens_free(&t);
}

Test(sql_lex, keywords_are_identifiers)
{
	struct sl_tokens t;
	char err[256];
	cr_assert_eq(sl_sql_lex("select `select`", &t, err, sizeof(err)), 0);
	cr_expect(sl_tok_is_kw(&t.v[0], "SELECT"), "case-insensitive keyword");
	cr_expect(!sl_tok_is_kw(&t.v[1], "SELECT"), "a quoted name is never a keyword");
	sl_tokens_free(&t);
}

struct err_case {
	const char *src;
	const char *msg;
};

static const struct err_case err_cases[] = {
	{"SELECT 'abc", "line 1, column 8: unterminated string literal: the ' that starts here is "
			"never closed"},
	{"x\n  \"abc", "line 2, column 3: unterminated string literal: the \" that starts here is "
		       "never closed"},
	{"a /* b", "line 1, column 3: unterminated comment: '/*' is never closed by '*/'"},
	{"a /* /* b */", "line 1, column 3: unterminated comment: '/*' is never closed by '*/'"},
	{"`abc", "line 1, column 1: unterminated quoted identifier: the ` that starts here is never "
		 "closed"},
	{"``", "line 1, column 1: empty quoted identifier ``"},
	{"a # b", "line 1, column 3: unexpected character '#'"},
	{"x\n\n   12abc", "line 3, column 4: invalid number '12abc'"},
	{"'\\u12'", "line 1, column 6: \\u in a string literal needs four hex digits"},
	{"a ? b", "line 1, column 3: unexpected character '?'"},
};

Test(sql_lex, errors_name_line_and_column)
{
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		struct sl_tokens t;
		char err[256] = "";
		int rc = sl_sql_lex(err_cases[i].src, &t, err, sizeof(err));
		cr_expect_eq(rc, -EINVAL, "case %zu", i);
		cr_expect_str_eq(err, err_cases[i].msg, "case %zu", i);
		cr_expect_eq(t.n, 0, "nothing left to free on error");
	}
}

Test(sql_lex, kind_names)
{
	cr_expect_str_eq(sl_tok_kind_name(SL_TOK_COMMA), "','");
	cr_expect_str_eq(sl_tok_kind_name(SL_TOK_EOF), "end of input");
	cr_expect_str_eq(sl_tok_kind_name(SL_TOK_IDENT), "identifier");
}

/* Secrets in options are starred out of the text that is kept and shown;
 * everything else, and the text's length, stays. */
Test(sql_lex, redact_secrets)
{
	const char *src = "CREATE SOURCE s WITH (connector = 'file', path = 's3://b/p/',\n"
			  "  s3.access_key = 'AKID', S3.SECRET_KEY = 'wJal''rX', s3.session_token=\"tok\",\n"
			  "  kafka.sasl.password = 'pw', note = 'secret_key = ''x''');";
	char *r = sl_sql_redact_secrets(src);
	cr_assert_not_null(r);
	cr_expect_eq(strlen(r), strlen(src));
	cr_expect(strstr(r, "wJal") == NULL, "%s", r);
	cr_expect(strstr(r, "rX") == NULL, "%s", r);
	cr_expect(strstr(r, "tok\"") == NULL, "%s", r);
	cr_expect(strstr(r, "'pw'") == NULL, "%s", r);
	cr_expect(strstr(r, "S3.SECRET_KEY = '********'") != NULL, "%s", r);
	cr_expect(strstr(r, "s3.access_key = 'AKID'") != NULL, "%s", r);
	cr_expect(strstr(r, "path = 's3://b/p/'") != NULL, "%s", r);
	cr_expect(strstr(r, "note = 'secret_key = ''x'''") != NULL, "%s", r);
	free(r);
	/* a text that does not lex is kept as it is */
	r = sl_sql_redact_secrets("SELECT 'unterminated");
	cr_expect_str_eq(r, "SELECT 'unterminated");
	free(r);
}
