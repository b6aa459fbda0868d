/*
 * sql_lex.h — the tokens of sluice's SQL dialect.
 *
 * The lexer turns the whole text into an array of tokens before parsing, so
 * that the parser can look ahead freely and every token keeps its position
 * for error messages.
 *
 * Invariants:
 *  - line and column are 1-based; a column counts characters (UTF-8 code
 *    points), not bytes, so that it matches what an editor shows.
 *  - Keywords are not token kinds: they lex as SL_TOK_IDENT and the parser
 *    recognises them case-insensitively where it expects one, which keeps
 *    words such as `count`, `source` or `value` usable as names.
 *  - text is NUL-terminated and owned by the token array. For SL_TOK_STRING
 *    it is the decoded value (escapes applied, '' and "" undoubled) and may
 *    hold NUL bytes, so text_len is authoritative; for SL_TOK_QIDENT it is the
 *    name without back-quotes; for every other kind it is the source text.
 *  - The array always ends with one SL_TOK_EOF token.
 */
#ifndef SL_SQL_LEX_H
#define SL_SQL_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sl_tok {
	SL_TOK_EOF = 0,
	SL_TOK_IDENT,   /* word or keyword: letters, digits, '_' */
	SL_TOK_QIDENT,  /* `back-quoted` identifier */
	SL_TOK_STRING,  /* '...' or "..." */
	SL_TOK_INTEGER, /* 123, 123L (ival; is_long for the L suffix) */
	SL_TOK_DECIMAL, /* 1.5, .5, 1e3, 1.5D, 2D (dval; an exponent or D suffix sets is_double) */
	SL_TOK_LPAREN,
	SL_TOK_RPAREN,
	SL_TOK_COMMA,
	SL_TOK_SEMI,
	SL_TOK_DOT,
	SL_TOK_STAR,
	SL_TOK_PLUS,
	SL_TOK_MINUS,
	SL_TOK_SLASH,
	SL_TOK_PERCENT,
	SL_TOK_CONCAT, /* || */
	SL_TOK_EQ,     /* = or == */
	SL_TOK_NE,     /* <> or != */
	SL_TOK_LT,
	SL_TOK_LE,
	SL_TOK_GT,
	SL_TOK_GE,
	SL_TOK_COLON, /* in STRUCT<name: type> */
	SL_TOK__COUNT
};

struct sl_token {
	enum sl_tok kind;
	uint32_t line, column; /* of the first character */
	uint32_t offset, len;  /* byte range in the source text */
	char *text;            /* see the header comment */
	uint32_t text_len;
	uint64_t ival;         /* INTEGER: magnitude; overflow when > UINT64_MAX */
	bool overflow;         /* INTEGER: too large even for 64 bits */
	bool is_long;          /* INTEGER: L suffix */
	bool is_double;        /* DECIMAL: exponent or D suffix */
	double dval;           /* DECIMAL */
};

/* Owned by the caller; free with sl_tokens_free. */
struct sl_tokens {
	uint32_t n;
	struct sl_token *v;
};

/* Lex all of src (NUL-terminated). 0, -EINVAL with "line L, column C: ..."
 * in err, or -ENOMEM. On failure *out is empty. */
int sl_sql_lex(const char *src, struct sl_tokens *out, char *err, size_t errlen);
void sl_tokens_free(struct sl_tokens *t);

/* A copy of src (malloc'd; NULL on ENOMEM) in which the values of options
 * whose key ends in secret_key, session_token or password (s3.secret_key,
 * kafka.sasl.password, ...) are starred out, so that query texts shown
 * (sluicectl status, the checkpoint's metadata) never hold a secret. */
char *sl_sql_redact_secrets(const char *src);

/* How a token kind reads in "expected ..." messages: "','", "identifier". */
const char *sl_tok_kind_name(enum sl_tok kind);

/* True when t is an unquoted word equal to kw, ignoring case. */
bool sl_tok_is_kw(const struct sl_token *t, const char *kw);

#endif
