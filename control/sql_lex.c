/*
 * sql_lex.c — lexer for sluice's SQL dialect (see sql_lex.h).
 *
 * Follows Spark SQL's lexical rules where the dialect overlaps: '...' and
 * "..." are both string literals, with backslash escapes (\n \t \r \b \0 \Z
 * \\ \' \" \uXXXX; \% and \_ stay escaped for LIKE; any other \c is c) and
 * doubled quotes; `...` quotes an identifier (`` inside for one back-quote);
 * -- comments run to the end of the line and bracketed (slash-star)
 * comments nest.
 * Numbers: 12 is an integer (L suffix: BIGINT), 1.5 and .5 are decimals,
 * an exponent or a D suffix makes a double.
 *
 * Runs on the control thread at plan time only; it allocates freely.
 */
#include "sql_lex.h"

#include "source.h" /* sl_option_is_secret */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"
struct lexer {
	const char *src;
	size_t pos;
	uint32_t line, column;
	struct sl_tokens *out;
	uint32_t cap;
	char *err;
	size_t errlen;
};

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_char(unsigned char c)
{
	return is_ident_start(c) || is_digit(c);
}

/* Advance one byte, keeping line and column (code points) current. */
static void advance(struct lexer *lx)
{
	unsigned char c = (unsigned char)lx->src[lx->pos];
	if (c == '\0')
		return;
	lx->pos++;
	if (c == '\n') {
		lx->line++;
		lx->column = 1;
	} else if ((c & 0xC0) != 0x80) {
		lx->column++;
	}
}

__attribute__((format(printf, 4, 5))) static int lex_error(struct lexer *lx, uint32_t line,
							   uint32_t column, const char *fmt, ...)
{
	int n = snprintf(lx->err, lx->errlen, "line %u, column %u: ", line, column);
	if (n >= 0 && (size_t)n < lx->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static struct sl_token *push(struct lexer *lx, enum sl_tok kind, size_t start, uint32_t line,
			     uint32_t column)
{
	struct sl_tokens *t = lx->out;
	if (t->n == lx->cap) {
		uint32_t ncap = lx->cap ? lx->cap * 2 : 64;
		struct sl_token *nv = realloc(t->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		t->v = nv;
		lx->cap = ncap;
	}
	struct sl_token *tok = &t->v[t->n++];
	memset(tok, 0, sizeof(*tok));
	tok->kind = kind;
	tok->line = line;
	tok->column = column;
	tok->offset = (uint32_t)start;
	tok->len = (uint32_t)(lx->pos - start);
	return tok;
}

static int set_text(struct sl_token *tok, const char *s, size_t n)
{
	tok->text = malloc(n + 1);
	if (tok->text == NULL)
		return -ENOMEM;
	memcpy(tok->text, s, n);
	tok->text[n] = '\0';
	tok->text_len = (uint32_t)n;
	return 0;
}

static int skip_space_and_comments(struct lexer *lx)
{
	for (;;) {
		char c = lx->src[lx->pos];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			advance(lx);
		} else if (c == '-' && lx->src[lx->pos + 1] == '-') {
			while (lx->src[lx->pos] != '\0' && lx->src[lx->pos] != '\n')
				advance(lx);
		} else if (c == '/' && lx->src[lx->pos + 1] == '*') {
			uint32_t line = lx->line, column = lx->column;
			int depth = 0;
			do {
				if (lx->src[lx->pos] == '\0')
					return lex_error(lx, line, column,
							 "unterminated comment: '/*' is never closed "
							 "by '*/'");
				if (lx->src[lx->pos] == '/' && lx->src[lx->pos + 1] == '*') {
					depth++;
					advance(lx);
					advance(lx);
				} else if (lx->src[lx->pos] == '*' && lx->src[lx->pos + 1] == '/') {
					depth--;
					advance(lx);
					advance(lx);
				} else {
					advance(lx);
				}
			} while (depth > 0);
		} else {
			return 0;
		}
	}
}

static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	out[0] = (char)(0xE0 | (cp >> 12));
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

/* Bytes from s (just after an opening quote) up to the closing quote, or
 * to the end of the text when there is none: backslash escapes and doubled
 * quotes skipped as lex_string and lex_qident read them (with_escapes
 * false for back-quotes, which know no escapes). The decoded value is never
 * longer, so it sizes the buffer: sizing it by the rest of the text made
 * every literal keep a copy-sized buffer, O(n^2) memory and time for a
 * script of many literals (bug string_literal_buffer_sized_by_rest_of_text). */
static size_t quoted_span(const char *s, char quote, bool with_escapes)
{
	size_t i = 0;
	for (;;) {
		if (s[i] == '\0')
			return i;
		if (with_escapes && s[i] == '\\') {
			if (s[i + 1] == '\0')
				return i + 1;
			i += 2;
		} else if (s[i] == quote) {
			if (s[i + 1] != quote)
				return i;
			i += 2;
		} else {
			i++;
		}
	}
}

/* A quoted string: the decoded bytes never outgrow the source text. */
static int lex_string(struct lexer *lx)
{
	size_t start = lx->pos;
	uint32_t line = lx->line, column = lx->column;
	char quote = lx->src[lx->pos];
	advance(lx);
	size_t cap = quoted_span(lx->src + lx->pos, quote, true) + 1;
	char *buf = malloc(cap);
	size_t n = 0;
	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		char c = lx->src[lx->pos];
		if (c == '\0') {
			free(buf);
			return lex_error(lx, line, column,
					 "unterminated string literal: the %c that starts here is never "
					 "closed",
					 quote);
		}
		if (c == quote) {
			advance(lx);
			if (lx->src[lx->pos] == quote) { /* doubled quote */
				buf[n++] = quote;
				advance(lx);
				continue;
			}
			break;
		}
		if (c == '\\') {
			advance(lx);
			char e = lx->src[lx->pos];
			if (e == '\0')
				continue; /* reported as unterminated above */
			advance(lx);
			switch (e) {
			case 'n': buf[n++] = '\n'; break;
			case 't': buf[n++] = '\t'; break;
			case 'r': buf[n++] = '\r'; break;
			case 'b': buf[n++] = '\b'; break;
			case '0': buf[n++] = '\0'; break;
			case 'Z': buf[n++] = '\x1A'; break;
			case '%':
			case '_':
				/* kept escaped so that LIKE sees a literal % or _ */
				buf[n++] = '\\';
				buf[n++] = e;
				break;
			case 'u': {
				uint32_t cp = 0;
				int i;
				for (i = 0; i < 4; i++) {
					int h = sl_hex_value(lx->src[lx->pos]);
					if (h < 0)
						break;
					cp = cp * 16 + (uint32_t)h;
					advance(lx);
				}
				if (i == 4) {
					n += utf8_encode(cp, buf + n);
				} else {
					free(buf);
					return lex_error(lx, lx->line, lx->column,
							 "\\u in a string literal needs four hex "
							 "digits");
				}
				break;
			}
			default: buf[n++] = e; break;
			}
			continue;
		}
		buf[n++] = c;
		advance(lx);
	}
	struct sl_token *tok = push(lx, SL_TOK_STRING, start, line, column);
	if (tok == NULL) {
		free(buf);
		return -ENOMEM;
	}
	buf[n] = '\0';
	tok->text = buf;
	tok->text_len = (uint32_t)n;
	return 0;
}

static int lex_qident(struct lexer *lx)
{
	size_t start = lx->pos;
	uint32_t line = lx->line, column = lx->column;
	advance(lx);
	size_t cap = quoted_span(lx->src + lx->pos, '`', false) + 1;
	char *buf = malloc(cap);
	size_t n = 0;
	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		char c = lx->src[lx->pos];
		if (c == '\0') {
			free(buf);
			return lex_error(lx, line, column,
					 "unterminated quoted identifier: the ` that starts here is "
					 "never closed");
		}
		advance(lx);
		if (c == '`') {
			if (lx->src[lx->pos] == '`') {
				buf[n++] = '`';
				advance(lx);
				continue;
			}
			break;
		}
		buf[n++] = c;
	}
	if (n == 0) {
		free(buf);
		return lex_error(lx, line, column, "empty quoted identifier ``");
	}
	struct sl_token *tok = push(lx, SL_TOK_QIDENT, start, line, column);
	if (tok == NULL) {
		free(buf);
		return -ENOMEM;
	}
	buf[n] = '\0';
	tok->text = buf;
	tok->text_len = (uint32_t)n;
	return 0;
}

static int lex_number(struct lexer *lx)
{
	size_t start = lx->pos;
	uint32_t line = lx->line, column = lx->column;
	const char *s = lx->src;
	bool frac = false, expo = false;
	while (is_digit((unsigned char)s[lx->pos]))
		advance(lx);
	if (s[lx->pos] == '.' && is_digit((unsigned char)s[lx->pos + 1])) {
		frac = true;
		advance(lx);
		while (is_digit((unsigned char)s[lx->pos]))
			advance(lx);
	} else if (s[lx->pos] == '.' && lx->pos > start) {
		/* "1." is a decimal too, as in Spark */
		frac = true;
		advance(lx);
	}
	if ((s[lx->pos] == 'e' || s[lx->pos] == 'E') &&
	    (is_digit((unsigned char)s[lx->pos + 1]) ||
	     ((s[lx->pos + 1] == '+' || s[lx->pos + 1] == '-') &&
	      is_digit((unsigned char)s[lx->pos + 2])))) {
		expo = true;
		advance(lx);
		if (s[lx->pos] == '+' || s[lx->pos] == '-')
			advance(lx);
		while (is_digit((unsigned char)s[lx->pos]))
			advance(lx);
	}
	size_t num_end = lx->pos;
	bool suffix_l = false, suffix_d = false;
	char c = s[lx->pos];
	if ((c == 'L' || c == 'l') && !frac && !expo && !is_ident_char((unsigned char)s[lx->pos + 1])) {
		suffix_l = true;
		advance(lx);
	} else if ((c == 'D' || c == 'd') && !is_ident_char((unsigned char)s[lx->pos + 1])) {
		suffix_d = true;
		advance(lx);
	}
	if (is_ident_char((unsigned char)s[lx->pos])) {
		size_t e = lx->pos;
		while (is_ident_char((unsigned char)s[e]))
			e++;
		return lex_error(lx, line, column, "invalid number '%.*s'", (int)(e - start),
				 s + start);
	}
	bool decimal = frac || expo || suffix_d;
	struct sl_token *tok = push(lx, decimal ? SL_TOK_DECIMAL : SL_TOK_INTEGER, start, line, column);
	if (tok == NULL || set_text(tok, s + start, lx->pos - start) < 0)
		return -ENOMEM;
	if (decimal) {
		char tmp[128];
		size_t n = num_end - start;
		if (n >= sizeof(tmp))
			n = sizeof(tmp) - 1;
		memcpy(tmp, s + start, n);
		tmp[n] = '\0';
		tok->dval = strtod(tmp, NULL);
		tok->is_double = expo || suffix_d;
	} else {
		uint64_t v = 0;
		for (size_t i = start; i < num_end; i++) {
			uint64_t d = (uint64_t)(s[i] - '0');
			if (v > (UINT64_MAX - d) / 10) {
				tok->overflow = true;
				break;
			}
			v = v * 10 + d;
		}
		tok->ival = v;
		tok->is_long = suffix_l;
	}
	return 0;
}

struct punct {
	const char *text;
	enum sl_tok kind;
};

/* Longest first, so that "<=" wins over "<". */
static const struct punct puncts[] = {
	{"||", SL_TOK_CONCAT}, {"==", SL_TOK_EQ}, {"<>", SL_TOK_NE}, {"!=", SL_TOK_NE},
	{"<=", SL_TOK_LE},     {">=", SL_TOK_GE}, {"(", SL_TOK_LPAREN}, {")", SL_TOK_RPAREN},
	{",", SL_TOK_COMMA},   {";", SL_TOK_SEMI}, {".", SL_TOK_DOT},    {"*", SL_TOK_STAR},
	{"+", SL_TOK_PLUS},    {"-", SL_TOK_MINUS}, {"/", SL_TOK_SLASH}, {"%", SL_TOK_PERCENT},
	{"=", SL_TOK_EQ},      {"<", SL_TOK_LT},   {">", SL_TOK_GT},    {":", SL_TOK_COLON},
};

static int lex_one(struct lexer *lx)
{
	const char *s = lx->src;
	unsigned char c = (unsigned char)s[lx->pos];
	size_t start = lx->pos;
	uint32_t line = lx->line, column = lx->column;

	if (c == '\'' || c == '"')
		return lex_string(lx);
	if (c == '`')
		return lex_qident(lx);
	if (is_digit(c) || (c == '.' && is_digit((unsigned char)s[lx->pos + 1])))
		return lex_number(lx);
	if (is_ident_start(c)) {
		while (is_ident_char((unsigned char)s[lx->pos]))
			advance(lx);
		struct sl_token *tok = push(lx, SL_TOK_IDENT, start, line, column);
		if (tok == NULL || set_text(tok, s + start, lx->pos - start) < 0)
			return -ENOMEM;
		return 0;
	}
	for (size_t i = 0; i < sizeof(puncts) / sizeof(puncts[0]); i++) {
		size_t n = strlen(puncts[i].text);
		if (strncmp(s + lx->pos, puncts[i].text, n) == 0) {
			for (size_t k = 0; k < n; k++)
				advance(lx);
			struct sl_token *tok = push(lx, puncts[i].kind, start, line, column);
			if (tok == NULL || set_text(tok, s + start, n) < 0)
				return -ENOMEM;
			return 0;
		}
	}
	if (c >= 0x21 && c < 0x7F)
		return lex_error(lx, line, column, "unexpected character '%c'", c);
	return lex_error(lx, line, column, "unexpected character 0x%02X", c);
}

int sl_sql_lex(const char *src, struct sl_tokens *out, char *err, size_t errlen)
{
	struct lexer lx = {
		.src = src, .pos = 0, .line = 1, .column = 1, .out = out, .err = err, .errlen = errlen,
	};
	int rc;
	out->n = 0;
	out->v = NULL;
	for (;;) {
		rc = skip_space_and_comments(&lx);
		if (rc < 0)
			goto err;
		if (src[lx.pos] == '\0')
			break;
		rc = lex_one(&lx);
		if (rc < 0)
			goto err;
	}
	struct sl_token *eof = push(&lx, SL_TOK_EOF, lx.pos, lx.line, lx.column);
	if (eof == NULL || set_text(eof, "", 0) < 0) {
		rc = -ENOMEM;
		goto err;
	}
	return 0;
err:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory while reading the SQL text");
	sl_tokens_free(out);
	return rc;
}

void sl_tokens_free(struct sl_tokens *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

const char *sl_tok_kind_name(enum sl_tok kind)
{
	static const char *const names[SL_TOK__COUNT] = {
		[SL_TOK_EOF] = "end of input",   [SL_TOK_IDENT] = "identifier",
		[SL_TOK_QIDENT] = "identifier",  [SL_TOK_STRING] = "string",
		[SL_TOK_INTEGER] = "integer",    [SL_TOK_DECIMAL] = "number",
		[SL_TOK_LPAREN] = "'('",         [SL_TOK_RPAREN] = "')'",
		[SL_TOK_COMMA] = "','",          [SL_TOK_SEMI] = "';'",
		[SL_TOK_DOT] = "'.'",            [SL_TOK_STAR] = "'*'",
		[SL_TOK_PLUS] = "'+'",           [SL_TOK_MINUS] = "'-'",
		[SL_TOK_SLASH] = "'/'",          [SL_TOK_PERCENT] = "'%'",
		[SL_TOK_CONCAT] = "'||'",        [SL_TOK_EQ] = "'='",
		[SL_TOK_NE] = "'<>'",            [SL_TOK_LT] = "'<'",
		[SL_TOK_LE] = "'<='",            [SL_TOK_GT] = "'>'",
		[SL_TOK_GE] = "'>='",            [SL_TOK_COLON] = "':'",
	};
	if ((unsigned)kind >= SL_TOK__COUNT)
		return "?";
	return names[kind];
}

bool sl_tok_is_kw(const struct sl_token *t, const char *kw)
{
	return t->kind == SL_TOK_IDENT && strcasecmp(t->text, kw) == 0;
}

/* ------------------------------------------------------------------ */
/* secrets in the query text                                           */

/* Whether an option key's last part names a secret. */
static bool secret_key_part(const struct sl_token *t)
{
	return (t->kind == SL_TOK_IDENT || t->kind == SL_TOK_QIDENT) &&
	       strlen(t->text) == t->text_len && sl_option_is_secret(t->text);
}

char *sl_sql_redact_secrets(const char *src)
{
	struct sl_tokens toks = {0};
	char err[8];
	size_t n = strlen(src);
	char *out = malloc(n + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, src, n + 1);
	if (sl_sql_lex(src, &toks, err, sizeof(err)) < 0)
		return out; /* such a query is refused anyway; it holds no option */
	/* key = 'value' where the key's last part names a secret: the value's
	 * bytes between its quotes become '*' (the text keeps its length, so
	 * that line and column numbers of messages stay right) */
	for (uint32_t i = 0; i + 2 < toks.n; i++) {
		const struct sl_token *k = &toks.v[i], *eq = &toks.v[i + 1], *v = &toks.v[i + 2];
		if (!secret_key_part(k) || eq->kind != SL_TOK_EQ || v->kind != SL_TOK_STRING ||
		    v->len < 2)
			continue;
		for (uint32_t b = v->offset + 1; b + 1 < v->offset + v->len; b++)
			if (out[b] != '\n')
				out[b] = '*';
	}
	sl_tokens_free(&toks);
	return out;
}
