/*
 * sql_parse.c — recursive-descent parser for sluice's SQL dialect.
 *
 * Grammar (docs/sql.md has the full EBNF): statements separated by ';'
 *   SET key = value
 *   CREATE SOURCE name [(col type, ...)] WITH (key = value, ...)
 *   CREATE TABLE name (col type, ...) WITH (key = value, ...)
 *   CREATE SINK name WITH (key = value, ...) AS query
 *   EXPLAIN CREATE SINK ... | EXPLAIN query
 * FROM takes an item and a chain of joins, as Spark SQL's relation:
 *   FROM item { [INNER | CROSS | LEFT [OUTER] | RIGHT [OUTER] | FULL [OUTER]
 *               | [LEFT] SEMI | [LEFT] ANTI] JOIN item [ON e | USING (c, ...)] }
 * (which joins a stream may take is the planner's business).
 * Expression precedence, loosest first, as Spark SQL's grammar:
 *   OR, AND, NOT, predicates (IS [NOT] NULL, [NOT] LIKE/RLIKE/REGEXP/
 *   BETWEEN/IN), comparisons, + - ||, * / %, unary - +, primaries.
 *
 * Keywords are recognised by position (sl_tok_is_kw); a short list of
 * reserved words may not be used as bare column names or implicit aliases,
 * which is what lets `SELECT a b FROM t` and `count(*) AS count` both work.
 *
 * The whole tree is allocated from the script's arena, so an error path
 * only has to destroy the arena.
 */
#include "sql_parse.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"
#include "plan_types.h"
#include "source.h" /* sl_parse_interval */
#include "sql_lex.h"

/* ---------------------------------------------------------------- arena */

#define ARENA_CHUNK (64u * 1024u)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct sl_ast_arena {
	struct arena_chunk *head;
};

struct sl_ast_arena *sl_ast_arena_create(void)
{
	return calloc(1, sizeof(struct sl_ast_arena));
}

void sl_ast_arena_destroy(struct sl_ast_arena *a)
{
	if (a == NULL)
		return;
	struct arena_chunk *c = a->head;
	while (c != NULL) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	free(a);
}

void *sl_ast_alloc(struct sl_ast_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct arena_chunk *c = a->head;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *sl_ast_strndup(struct sl_ast_arena *a, const char *s, size_t n)
{
	char *p = sl_ast_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* --------------------------------------------------------------- parser */

struct parser {
	const char *src;
	struct sl_tokens toks;
	uint32_t i;
	struct sl_ast_arena *arena;
	char *err;
	size_t errlen;
	int rc;           /* first error: -EINVAL or -ENOMEM */
	uint32_t nesting; /* recursive descents entered and not yet left */
};

/* Words that end an expression or a clause, so they may not stand as a bare
 * column name or an implicit alias (AS lets any word be an alias). */
static const char *const reserved[] = {
	"ALL",    "AND",     "AS",     "BETWEEN", "BY",      "CASE",   "CAST",  "CREATE",
	"CROSS",  "DISTINCT", "ELSE",  "END",     "EXCEPT",  "EXPLAIN", "FALSE", "FROM",
	"FULL",   "GROUP",   "HAVING", "IN",      "INNER",   "INTERSECT", "IS", "JOIN",
	"LATERAL", "LEFT",   "LIKE",   "LIMIT",   "NOT",     "NULL",   "ON",    "OR",
	"ORDER",  "REGEXP",  "RIGHT",  "RLIKE",   "SELECT",  "THEN",   "TRUE",  "UNION",
	"WHEN",   "WHERE",   "WITH",
};

static bool is_reserved(const struct sl_token *t)
{
	if (t->kind != SL_TOK_IDENT)
		return false;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(t->text, reserved[i]) == 0)
			return true;
	return false;
}

static const struct sl_token *peek(const struct parser *p)
{
	return &p->toks.v[p->i];
}

static const struct sl_token *peek_at(const struct parser *p, uint32_t k)
{
	uint32_t j = p->i + k;
	if (j >= p->toks.n)
		j = p->toks.n - 1;
	return &p->toks.v[j];
}

static const struct sl_token *next(struct parser *p)
{
	const struct sl_token *t = &p->toks.v[p->i];
	if (t->kind != SL_TOK_EOF)
		p->i++;
	return t;
}

static bool at_kw(const struct parser *p, const char *kw)
{
	return sl_tok_is_kw(peek(p), kw);
}

static bool accept_kw(struct parser *p, const char *kw)
{
	if (!at_kw(p, kw))
		return false;
	p->i++;
	return true;
}

static bool accept(struct parser *p, enum sl_tok kind)
{
	if (peek(p)->kind != kind)
		return false;
	next(p);
	return true;
}

__attribute__((format(printf, 3, 4))) static void *perr(struct parser *p, const struct sl_token *at,
						       const char *fmt, ...)
{
	if (p->rc != 0)
		return NULL;
	p->rc = -EINVAL;
	int n = snprintf(p->err, p->errlen, "line %u, column %u: ", at->line, at->column);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

static void *oom(struct parser *p)
{
	if (p->rc == 0) {
		p->rc = -ENOMEM;
		snprintf(p->err, p->errlen, "out of memory while parsing");
	}
	return NULL;
}

/* How the token reads in "found ..." (source text, cut to 40 bytes). */
static const char *found(const struct parser *p, const struct sl_token *t, char *buf, size_t len)
{
	if (t->kind == SL_TOK_EOF)
		return "end of input";
	uint32_t n = t->len > 40 ? 40 : t->len;
	snprintf(buf, len, "'%.*s%s'", (int)n, p->src + t->offset, t->len > 40 ? "..." : "");
	return buf;
}

static void *expected(struct parser *p, const char *what)
{
	char buf[64];
	const struct sl_token *t = peek(p);
	return perr(p, t, "expected %s, found %s", what, found(p, t, buf, sizeof(buf)));
}

static bool expect(struct parser *p, enum sl_tok kind, const char *what)
{
	if (accept(p, kind))
		return true;
	expected(p, what);
	return false;
}

static bool expect_kw(struct parser *p, const char *kw, const char *what)
{
	if (accept_kw(p, kw))
		return true;
	expected(p, what);
	return false;
}

static void *palloc(struct parser *p, size_t n)
{
	void *v = sl_ast_alloc(p->arena, n);
	if (v == NULL)
		return oom(p);
	return v;
}

static char *pstrdup(struct parser *p, const char *s, size_t n)
{
	char *v = sl_ast_strndup(p->arena, s, n);
	if (v == NULL)
		return oom(p);
	return v;
}

static char *lower_dup(struct parser *p, const char *s)
{
	char *v = pstrdup(p, s, strlen(s));
	if (v == NULL)
		return NULL;
	for (char *c = v; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return v;
}

/* A growable array of pointers or structs in the arena (doubling, old
 * copies stay in the arena until the script is freed: trees are small). */
static void *grow(struct parser *p, void *arr, uint32_t n, uint32_t *cap, size_t elem)
{
	if (n < *cap)
		return arr;
	uint32_t ncap = *cap ? *cap * 2 : 4;
	void *nv = palloc(p, ncap * elem);
	if (nv == NULL)
		return NULL;
	if (n > 0)
		memcpy(nv, arr, n * elem);
	*cap = ncap;
	return nv;
}

/* An identifier (bare or back-quoted) as a name; reserved words refused
 * unless allow_reserved. */
static const char *parse_name(struct parser *p, const char *what, bool allow_reserved,
			      uint32_t *line, uint32_t *column)
{
	const struct sl_token *t = peek(p);
	if ((t->kind != SL_TOK_IDENT && t->kind != SL_TOK_QIDENT) ||
	    (!allow_reserved && is_reserved(t)))
		return expected(p, what);
	if (t->text_len >= SL_NAME_MAX)
		return perr(p, t, "name '%.20s...' is too long (at most %d bytes)", t->text,
			    SL_NAME_MAX - 1);
	if (t->kind == SL_TOK_QIDENT && memchr(t->text, '\0', t->text_len) != NULL)
		return perr(p, t, "a name may not contain a NUL byte");
	if (line != NULL) {
		*line = t->line;
		*column = t->column;
	}
	next(p);
	return pstrdup(p, t->text, t->text_len);
}

/* ----------------------------------------------------------- expressions */

static struct sl_ast *parse_expr(struct parser *p);

/* Nesting bounds (SL_SQL_MAX_DEPTH). Two things are bounded: how deep the
 * descent recurses (parentheses, NOT NOT ..., - - ..., derived tables,
 * none of which need to build a deeper tree), and how deep the tree is
 * (a + b + c + ... parses in a loop but builds a left-deep tree that every
 * later stage recurses into). */
static void *too_deep(struct parser *p, uint32_t line, uint32_t column)
{
	const struct sl_token at = {.line = line, .column = column};
	return perr(p, &at,
		    "the statement nests more than %d levels deep (operators, function calls, "
		    "parentheses or derived tables); write a long chain of OR as IN (...), or "
		    "split the expression up",
		    SL_SQL_MAX_DEPTH);
}

/* Enter one more level of the descent; false (error set) past the bound.
 * Each successful nest() is matched by unnest() on the way out; after an
 * error the count no longer matters, as parsing stops. */
static bool nest(struct parser *p)
{
	if (p->nesting >= SL_SQL_MAX_DEPTH) {
		too_deep(p, peek(p)->line, peek(p)->column);
		return false;
	}
	p->nesting++;
	return true;
}

static void unnest(struct parser *p)
{
	p->nesting--;
}

/* Set e->depth from its arguments (all set); NULL (error set) past the
 * bound. Every node with arguments goes through here once they are in. */
static struct sl_ast *deepen(struct parser *p, struct sl_ast *e)
{
	if (e == NULL)
		return NULL;
	uint32_t d = 0;
	for (uint32_t i = 0; i < e->nargs; i++)
		if (e->args[i] != NULL && e->args[i]->depth > d)
			d = e->args[i]->depth;
	e->depth = d + 1;
	if (e->depth > SL_SQL_MAX_DEPTH)
		return too_deep(p, e->line, e->column);
	return e;
}

static struct sl_ast *new_node(struct parser *p, enum sl_ast_kind kind, const struct sl_token *at)
{
	struct sl_ast *e = palloc(p, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->kind = kind;
	e->line = at->line;
	e->column = at->column;
	e->depth = 1;
	return e;
}

static struct sl_ast *new_op(struct parser *p, enum sl_ast_op op, const struct sl_token *at,
			     uint32_t nargs, struct sl_ast *a, struct sl_ast *b, struct sl_ast *c)
{
	struct sl_ast *e = new_node(p, SL_AST_OP, at);
	if (e == NULL)
		return NULL;
	e->op = op;
	e->nargs = nargs;
	e->args = palloc(p, 3 * sizeof(*e->args));
	if (e->args == NULL)
		return NULL;
	e->args[0] = a;
	e->args[1] = b;
	e->args[2] = c;
	return deepen(p, e);
}

static bool parse_type(struct parser *p, enum sl_type *out)
{
	static const struct {
		const char *name;
		enum sl_type type;
	} types[] = {
		{"BOOLEAN", SL_TYPE_BOOLEAN}, {"BOOL", SL_TYPE_BOOLEAN},   {"INT", SL_TYPE_INT},
		{"INTEGER", SL_TYPE_INT},     {"BIGINT", SL_TYPE_BIGINT},  {"LONG", SL_TYPE_BIGINT},
		{"DOUBLE", SL_TYPE_DOUBLE},   {"FLOAT", SL_TYPE_DOUBLE},   {"STRING", SL_TYPE_STRING},
		{"VARCHAR", SL_TYPE_STRING},  {"TEXT", SL_TYPE_STRING},    {"TIMESTAMP", SL_TYPE_TIMESTAMP},
		{"BINARY", SL_TYPE_BINARY},
	};
	const struct sl_token *t = peek(p);
	if (t->kind != SL_TOK_IDENT) {
		expected(p, "a type (BOOLEAN, INT, BIGINT, DOUBLE, STRING, BINARY or TIMESTAMP)");
		return false;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcasecmp(t->text, types[i].name) == 0) {
			next(p);
			*out = types[i].type;
			/* VARCHAR(n): the length is accepted and ignored, as
			 * Spark reads VARCHAR as STRING */
			if (strcasecmp(types[i].name, "VARCHAR") == 0 && peek(p)->kind == SL_TOK_LPAREN &&
			    peek_at(p, 1)->kind == SL_TOK_INTEGER && peek_at(p, 2)->kind == SL_TOK_RPAREN)
				p->i += 3;
			return true;
		}
	}
	perr(p, t, "unknown type '%s' (types: BOOLEAN, INT, BIGINT, DOUBLE, STRING, TIMESTAMP)",
	     t->text);
	return false;
}

/* One field of STRUCT<name: type, ...>: the name, an optional ':', the
 * type's name (a scalar). */
static bool parse_struct_field(struct parser *p, const char **name, enum sl_type *type)
{
	*name = parse_name(p, "a field name in STRUCT<...>", false, NULL, NULL);
	if (*name == NULL)
		return false;
	accept(p, SL_TOK_COLON);
	return parse_type(p, type);
}

/* A column's type in CREATE SOURCE: a scalar type, or ARRAY<elem> with a
 * scalar element or the one STRUCT sluice has, Spark's Kafka header
 * STRUCT<key: STRING, value: BINARY> (the kafka source's headers column). */
static bool parse_column_type(struct parser *p, enum sl_type *type, enum sl_type *elem)
{
	*elem = SL_TYPE_NULL;
	const struct sl_token *t = peek(p);
	if (t->kind == SL_TOK_IDENT && strcasecmp(t->text, "STRUCT") == 0) {
		perr(p, t, "sluice has one STRUCT type, the Kafka header, and only as the "
			   "element of the headers column: ARRAY<STRUCT<key: STRING, value: "
			   "BINARY>>");
		return false;
	}
	if (t->kind != SL_TOK_IDENT || strcasecmp(t->text, "ARRAY") != 0 ||
	    peek_at(p, 1)->kind != SL_TOK_LT)
		return parse_type(p, type);
	next(p);
	next(p);
	*type = SL_TYPE_ARRAY;
	const struct sl_token *st = peek(p);
	if (st->kind == SL_TOK_IDENT && strcasecmp(st->text, "STRUCT") == 0) {
		next(p);
		if (!expect(p, SL_TOK_LT, "'<' after STRUCT"))
			return false;
		const char *k, *v;
		enum sl_type kt, vt;
		if (!parse_struct_field(p, &k, &kt) ||
		    !expect(p, SL_TOK_COMMA, "',' between the fields of STRUCT<...>") ||
		    !parse_struct_field(p, &v, &vt))
			return false;
		if (strcasecmp(k, "key") != 0 || kt != SL_TYPE_STRING || strcasecmp(v, "value") != 0 ||
		    vt != SL_TYPE_BINARY) {
			perr(p, st, "sluice's only STRUCT type is Spark's Kafka header, STRUCT<key: "
				    "STRING, value: BINARY>, not STRUCT<%s: %s, %s: %s>",
			     k, sl_type_name(kt), v, sl_type_name(vt));
			return false;
		}
		if (peek(p)->kind == SL_TOK_COMMA) {
			perr(p, peek(p), "sluice's only STRUCT type is Spark's Kafka header, "
					 "STRUCT<key: STRING, value: BINARY>, with two fields");
			return false;
		}
		if (!expect(p, SL_TOK_GT, "'>' after the fields of STRUCT<...>"))
			return false;
		*elem = SL_TYPE_HEADER;
	} else if (!parse_type(p, elem)) {
		return false;
	}
	return expect(p, SL_TOK_GT, "'>' after the element type of ARRAY<...>");
}

/* Integer literal value and type, Spark's way: INT when it fits, else
 * BIGINT, else DOUBLE (Spark makes a DECIMAL; sluice has no DECIMAL). */
static struct sl_ast *int_literal(struct parser *p, const struct sl_token *t, bool negative,
				  const struct sl_token *at)
{
	struct sl_ast *e = new_node(p, SL_AST_LITERAL, at);
	if (e == NULL)
		return NULL;
	uint64_t mag = t->ival;
	if (t->is_long) {
		if (t->overflow || mag > (negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
			return perr(p, at, "number %s%s is out of range for BIGINT", negative ? "-" : "",
				    t->text);
		e->lit.type = SL_TYPE_BIGINT;
	} else if (!t->overflow && mag <= (negative ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX)) {
		e->lit.type = SL_TYPE_INT;
	} else if (!t->overflow &&
		   mag <= (negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
		e->lit.type = SL_TYPE_BIGINT;
	} else {
		e->lit.type = SL_TYPE_DOUBLE;
		e->lit.v.f64 = strtod(t->text, NULL) * (negative ? -1.0 : 1.0);
	}
	if (e->lit.type != SL_TYPE_DOUBLE)
		e->lit.v.i64 = negative ? (int64_t)(0 - mag) : (int64_t)mag;
	char buf[80];
	snprintf(buf, sizeof(buf), "%s%s", negative ? "-" : "", t->text);
	e->text = pstrdup(p, buf, strlen(buf));
	return e->text ? e : NULL;
}

static struct sl_ast *dec_literal(struct parser *p, const struct sl_token *t, bool negative,
				  const struct sl_token *at)
{
	struct sl_ast *e = new_node(p, SL_AST_LITERAL, at);
	if (e == NULL)
		return NULL;
	e->lit.type = SL_TYPE_DOUBLE;
	e->lit.v.f64 = negative ? -t->dval : t->dval;
	char buf[160];
	snprintf(buf, sizeof(buf), "%s%s", negative ? "-" : "", t->text);
	e->text = pstrdup(p, buf, strlen(buf));
	return e->text ? e : NULL;
}

/* One or more adjacent string tokens (Spark concatenates 'a' 'b'). */
static struct sl_ast *string_literal(struct parser *p)
{
	const struct sl_token *first = peek(p);
	size_t total = 0;
	for (uint32_t k = 0; peek_at(p, k)->kind == SL_TOK_STRING; k++)
		total += peek_at(p, k)->text_len;
	struct sl_ast *e = new_node(p, SL_AST_LITERAL, first);
	if (e == NULL)
		return NULL;
	char *buf = palloc(p, total + 1);
	if (buf == NULL)
		return NULL;
	size_t n = 0;
	while (peek(p)->kind == SL_TOK_STRING) {
		const struct sl_token *t = next(p);
		memcpy(buf + n, t->text, t->text_len);
		n += t->text_len;
	}
	e->lit.type = SL_TYPE_STRING;
	e->lit.v.str.ptr = buf;
	e->lit.v.str.len = (uint32_t)n;
	e->text = buf;
	return e;
}

static struct sl_ast *parse_primary(struct parser *p);

/* X'68656C6C6F': a BINARY literal, two hex digits a byte (an odd count
 * gets a leading 0, as Spark's parser pads it). The X and the quote touch. */
static struct sl_ast *binary_literal(struct parser *p)
{
	const struct sl_token *x = next(p);
	const struct sl_token *t = next(p);
	struct sl_ast *e = new_node(p, SL_AST_LITERAL, x);
	if (e == NULL)
		return NULL;
	const uint32_t digits = t->text_len, odd = digits % 2;
	char *buf = palloc(p, (digits + 1) / 2 + 1);
	char *text = palloc(p, digits + 4);
	if (buf == NULL || text == NULL)
		return NULL;
	for (uint32_t i = 0; i < digits; i++) {
		if (sl_hex_value(t->text[i]) < 0)
			return perr(p, t,
				    "the binary literal X'%s' holds '%c', which is not a hex digit: "
				    "write two hex digits (0-9, A-F) per byte",
				    t->text, t->text[i]);
	}
	for (uint32_t i = 0, o = 0; i < digits; o++) {
		int hi = 0;
		if (!(odd && o == 0))
			hi = sl_hex_value(t->text[i++]);
		buf[o] = (char)(hi << 4 | sl_hex_value(t->text[i++]));
	}
	snprintf(text, digits + 4, "X'%s'", t->text);
	e->lit.type = SL_TYPE_BINARY;
	e->lit.v.str.ptr = buf;
	e->lit.v.str.len = (digits + 1) / 2;
	e->text = text;
	return e;
}

/* INTERVAL '10 minutes', INTERVAL '10' MINUTE, INTERVAL 10 MINUTES: a
 * day-time interval literal in microseconds. */
static struct sl_ast *parse_interval_literal(struct parser *p, const struct sl_token *at)
{
	next(p); /* INTERVAL */
	const struct sl_token *v = peek(p);
	next(p);
	char text[160];
	const struct sl_token *unit = peek(p);
	bool has_unit = unit->kind == SL_TOK_IDENT && !is_reserved(unit);
	if (v->kind == SL_TOK_INTEGER && !has_unit)
		return expected(p, "a unit after the INTERVAL number, such as MINUTE or HOURS");
	if (has_unit) {
		next(p);
		snprintf(text, sizeof(text), "%.*s %s", (int)(v->kind == SL_TOK_STRING ? v->text_len
										       : strlen(v->text)),
			 v->text, unit->text);
	} else {
		snprintf(text, sizeof(text), "%.*s", (int)v->text_len, v->text);
	}
	uint64_t us;
	if (sl_parse_interval(text, &us) < 0 || us > (uint64_t)INT64_MAX) {
		perr(p, v,
		     "'%s' is not an interval: write INTERVAL '10' MINUTE or INTERVAL '1 hour' "
		     "(units: microsecond .. day, singular or plural)",
		     text);
		return NULL;
	}
	struct sl_ast *e = new_node(p, SL_AST_LITERAL, at);
	if (e == NULL)
		return NULL;
	e->lit.type = SL_TYPE_INTERVAL;
	e->lit.v.i64 = (int64_t)us;
	/* as written, for column names: INTERVAL '10' MINUTE, INTERVAL '1 hour' */
	size_t n = strlen(text) + sizeof("INTERVAL '' ");
	char *buf = sl_ast_alloc(p->arena, n);
	if (buf == NULL)
		return oom(p);
	if (has_unit) {
		int w = snprintf(buf, n, "INTERVAL '%.*s' ",
				 (int)(v->kind == SL_TOK_STRING ? v->text_len : strlen(v->text)),
				 v->text);
		for (const char *u = unit->text; w > 0 && (size_t)w + 1 < n && *u; u++)
			buf[w++] = (char)toupper((unsigned char)*u);
		buf[w > 0 && (size_t)w < n ? (size_t)w : n - 1] = '\0';
	} else {
		snprintf(buf, n, "INTERVAL '%s'", text);
	}
	e->text = buf;
	return e;
}

static struct sl_ast *parse_case(struct parser *p, const struct sl_token *at)
{
	struct sl_ast *e = new_node(p, SL_AST_CASE, at);
	if (e == NULL)
		return NULL;
	uint32_t cap = 0;
	if (!at_kw(p, "WHEN")) {
		/* CASE x WHEN v THEN r ...: x once, as args[0] */
		struct sl_ast *subject = parse_expr(p);
		if (subject == NULL)
			return NULL;
		e->args = grow(p, e->args, e->nargs, &cap, sizeof(*e->args));
		if (e->args == NULL)
			return NULL;
		e->args[e->nargs++] = subject;
		e->has_subject = true;
	}
	while (at_kw(p, "WHEN")) {
		next(p);
		for (int k = 0; k < 2; k++) {
			if (k == 1 && !expect_kw(p, "THEN", "THEN"))
				return NULL;
			struct sl_ast *x = parse_expr(p);
			if (x == NULL)
				return NULL;
			e->args = grow(p, e->args, e->nargs, &cap, sizeof(*e->args));
			if (e->args == NULL)
				return NULL;
			e->args[e->nargs++] = x;
		}
	}
	if (e->nargs == (e->has_subject ? 1u : 0u))
		return expected(p, "WHEN");
	if (accept_kw(p, "ELSE")) {
		struct sl_ast *val = parse_expr(p);
		if (val == NULL)
			return NULL;
		e->args = grow(p, e->args, e->nargs, &cap, sizeof(*e->args));
		if (e->args == NULL)
			return NULL;
		e->args[e->nargs++] = val;
		e->has_else = true;
	}
	if (!expect_kw(p, "END", "WHEN, ELSE or END"))
		return NULL;
	return deepen(p, e);
}

static struct sl_ast *parse_call(struct parser *p, const struct sl_token *name)
{
	struct sl_ast *e = new_node(p, SL_AST_CALL, name);
	if (e == NULL)
		return NULL;
	e->name = lower_dup(p, name->text);
	if (e->name == NULL)
		return NULL;
	next(p); /* the name */
	next(p); /* ( */
	if (accept_kw(p, "DISTINCT"))
		e->distinct = true;
	else
		accept_kw(p, "ALL");
	uint32_t cap = 0;
	if (peek(p)->kind == SL_TOK_STAR && peek_at(p, 1)->kind == SL_TOK_RPAREN) {
		struct sl_ast *star = new_node(p, SL_AST_STAR, peek(p));
		if (star == NULL)
			return NULL;
		next(p);
		e->args = grow(p, e->args, 0, &cap, sizeof(*e->args));
		if (e->args == NULL)
			return NULL;
		e->args[e->nargs++] = star;
	} else if (peek(p)->kind != SL_TOK_RPAREN) {
		do {
			struct sl_ast *a = parse_expr(p);
			if (a == NULL)
				return NULL;
			e->args = grow(p, e->args, e->nargs, &cap, sizeof(*e->args));
			if (e->args == NULL)
				return NULL;
			e->args[e->nargs++] = a;
		} while (accept(p, SL_TOK_COMMA));
	}
	if (!expect(p, SL_TOK_RPAREN, "',' or ')'"))
		return NULL;
	return deepen(p, e);
}

static struct sl_ast *parse_primary(struct parser *p)
{
	const struct sl_token *t = peek(p);
	switch (t->kind) {
	case SL_TOK_STRING:
		return string_literal(p);
	case SL_TOK_INTEGER:
		next(p);
		return int_literal(p, t, false, t);
	case SL_TOK_DECIMAL:
		next(p);
		return dec_literal(p, t, false, t);
	case SL_TOK_LPAREN: {
		next(p);
		if (at_kw(p, "SELECT"))
			return perr(p, peek(p), "subqueries in expressions are not supported");
		struct sl_ast *e = parse_expr(p);
		if (e == NULL)
			return NULL;
		if (!expect(p, SL_TOK_RPAREN, "')'"))
			return NULL;
		return e;
	}
	case SL_TOK_QIDENT:
	case SL_TOK_IDENT:
		break;
	default:
		return expected(p, "an expression");
	}
	if (t->kind == SL_TOK_IDENT) {
		if (sl_tok_is_kw(t, "TRUE") || sl_tok_is_kw(t, "FALSE")) {
			struct sl_ast *e = new_node(p, SL_AST_LITERAL, t);
			if (e == NULL)
				return NULL;
			next(p);
			e->lit.type = SL_TYPE_BOOLEAN;
			e->lit.v.b = sl_tok_is_kw(t, "TRUE");
			e->text = e->lit.v.b ? "true" : "false";
			return e;
		}
		if ((strcmp(t->text, "X") == 0 || strcmp(t->text, "x") == 0) &&
		    peek_at(p, 1)->kind == SL_TOK_STRING &&
		    peek_at(p, 1)->offset == t->offset + t->len)
			return binary_literal(p);
		if (sl_tok_is_kw(t, "NULL")) {
			struct sl_ast *e = new_node(p, SL_AST_LITERAL, t);
			if (e == NULL)
				return NULL;
			next(p);
			e->lit.type = SL_TYPE_NULL;
			e->lit.is_null = true;
			e->text = "NULL";
			return e;
		}
		if (sl_tok_is_kw(t, "CASE")) {
			next(p);
			return parse_case(p, t);
		}
		if (sl_tok_is_kw(t, "INTERVAL") &&
		    (peek_at(p, 1)->kind == SL_TOK_STRING || peek_at(p, 1)->kind == SL_TOK_INTEGER))
			return parse_interval_literal(p, t);
		if (sl_tok_is_kw(t, "TIMESTAMP") && peek_at(p, 1)->kind == SL_TOK_STRING) {
			/* TIMESTAMP '2024-01-01 12:00:00': the cast of the text */
			struct sl_ast *e = new_node(p, SL_AST_CAST, t);
			if (e == NULL)
				return NULL;
			next(p);
			e->args = palloc(p, sizeof(*e->args));
			if (e->args == NULL)
				return NULL;
			e->args[0] = parse_primary(p);
			if (e->args[0] == NULL)
				return NULL;
			e->nargs = 1;
			e->cast_type = SL_TYPE_TIMESTAMP;
			return deepen(p, e);
		}
		if (sl_tok_is_kw(t, "CAST") && peek_at(p, 1)->kind == SL_TOK_LPAREN) {
			struct sl_ast *e = new_node(p, SL_AST_CAST, t);
			if (e == NULL)
				return NULL;
			next(p);
			next(p);
			e->args = palloc(p, sizeof(*e->args));
			if (e->args == NULL)
				return NULL;
			e->args[0] = parse_expr(p);
			if (e->args[0] == NULL)
				return NULL;
			e->nargs = 1;
			if (!expect_kw(p, "AS", "AS"))
				return NULL;
			if (!parse_type(p, &e->cast_type))
				return NULL;
			if (!expect(p, SL_TOK_RPAREN, "')'"))
				return NULL;
			return deepen(p, e);
		}
		if (peek_at(p, 1)->kind == SL_TOK_LPAREN && !is_reserved(t))
			return parse_call(p, t);
		if (is_reserved(t))
			return expected(p, "an expression");
	}
	/* column, qualifier.column or qualifier.* */
	uint32_t line, column;
	const char *first = parse_name(p, "a column name", false, &line, &column);
	if (first == NULL)
		return NULL;
	if (peek(p)->kind == SL_TOK_DOT) {
		next(p);
		if (peek(p)->kind == SL_TOK_STAR) {
			struct sl_ast *e = new_node(p, SL_AST_STAR, t);
			if (e == NULL)
				return NULL;
			next(p);
			e->qualifier = first;
			return e;
		}
		const char *second = parse_name(p, "a column name after '.'", true, NULL, NULL);
		if (second == NULL)
			return NULL;
		struct sl_ast *e = new_node(p, SL_AST_COLUMN, t);
		if (e == NULL)
			return NULL;
		e->qualifier = first;
		e->name = second;
		return e;
	}
	struct sl_ast *e = new_node(p, SL_AST_COLUMN, t);
	if (e == NULL)
		return NULL;
	e->name = first;
	return e;
}

static struct sl_ast *parse_unary(struct parser *p)
{
	const struct sl_token *t = peek(p);
	if (t->kind == SL_TOK_MINUS) {
		next(p);
		const struct sl_token *n = peek(p);
		/* -5 is one literal, as Spark's `number: MINUS? INTEGER_VALUE` */
		if (n->kind == SL_TOK_INTEGER) {
			next(p);
			return int_literal(p, n, true, t);
		}
		if (n->kind == SL_TOK_DECIMAL) {
			next(p);
			return dec_literal(p, n, true, t);
		}
		if (!nest(p))
			return NULL;
		struct sl_ast *a = parse_unary(p);
		unnest(p);
		if (a == NULL)
			return NULL;
		return new_op(p, SL_AOP_NEG, t, 1, a, NULL, NULL);
	}
	if (t->kind == SL_TOK_PLUS) {
		next(p);
		if (!nest(p))
			return NULL;
		struct sl_ast *a = parse_unary(p); /* Spark drops a unary plus from names too */
		unnest(p);
		return a;
	}
	return parse_primary(p);
}

static struct sl_ast *parse_mul(struct parser *p)
{
	struct sl_ast *l = parse_unary(p);
	while (l != NULL) {
		const struct sl_token *t = peek(p);
		enum sl_ast_op op;
		if (t->kind == SL_TOK_STAR)
			op = SL_AOP_MUL;
		else if (t->kind == SL_TOK_SLASH)
			op = SL_AOP_DIV;
		else if (t->kind == SL_TOK_PERCENT)
			op = SL_AOP_MOD;
		else
			break;
		next(p);
		struct sl_ast *r = parse_unary(p);
		if (r == NULL)
			return NULL;
		l = new_op(p, op, t, 2, l, r, NULL);
	}
	return l;
}

static struct sl_ast *parse_add(struct parser *p)
{
	struct sl_ast *l = parse_mul(p);
	while (l != NULL) {
		const struct sl_token *t = peek(p);
		enum sl_ast_op op;
		if (t->kind == SL_TOK_PLUS)
			op = SL_AOP_ADD;
		else if (t->kind == SL_TOK_MINUS)
			op = SL_AOP_SUB;
		else if (t->kind == SL_TOK_CONCAT)
			op = SL_AOP_CONCAT;
		else
			break;
		next(p);
		struct sl_ast *r = parse_mul(p);
		if (r == NULL)
			return NULL;
		l = new_op(p, op, t, 2, l, r, NULL);
	}
	return l;
}

static struct sl_ast *parse_cmp(struct parser *p)
{
	struct sl_ast *l = parse_add(p);
	while (l != NULL) {
		const struct sl_token *t = peek(p);
		enum sl_ast_op op;
		switch (t->kind) {
		case SL_TOK_EQ: op = SL_AOP_EQ; break;
		case SL_TOK_NE: op = SL_AOP_NE; break;
		case SL_TOK_LT: op = SL_AOP_LT; break;
		case SL_TOK_LE: op = SL_AOP_LE; break;
		case SL_TOK_GT: op = SL_AOP_GT; break;
		case SL_TOK_GE: op = SL_AOP_GE; break;
		default: return l;
		}
		next(p);
		struct sl_ast *r = parse_add(p);
		if (r == NULL)
			return NULL;
		l = new_op(p, op, t, 2, l, r, NULL);
	}
	return l;
}

static struct sl_ast *parse_predicate(struct parser *p)
{
	struct sl_ast *l = parse_cmp(p);
	if (l == NULL)
		return NULL;
	const struct sl_token *t = peek(p);
	if (sl_tok_is_kw(t, "IS")) {
		next(p);
		bool neg = accept_kw(p, "NOT");
		if (!expect_kw(p, "NULL", neg ? "NULL after IS NOT" : "NULL or NOT after IS"))
			return NULL;
		return new_op(p, neg ? SL_AOP_IS_NOT_NULL : SL_AOP_IS_NULL, t, 1, l, NULL, NULL);
	}
	bool neg = false;
	if (sl_tok_is_kw(t, "NOT")) {
		const struct sl_token *n = peek_at(p, 1);
		if (!sl_tok_is_kw(n, "LIKE") && !sl_tok_is_kw(n, "RLIKE") && !sl_tok_is_kw(n, "REGEXP") &&
		    !sl_tok_is_kw(n, "BETWEEN") && !sl_tok_is_kw(n, "IN"))
			return l;
		next(p);
		neg = true;
		t = peek(p);
	}
	if (sl_tok_is_kw(t, "LIKE") || sl_tok_is_kw(t, "RLIKE") || sl_tok_is_kw(t, "REGEXP")) {
		next(p);
		bool like = sl_tok_is_kw(t, "LIKE");
		if (like && at_kw(p, "ANY"))
			return perr(p, peek(p), "LIKE ANY is not supported");
		struct sl_ast *r = parse_cmp(p);
		if (r == NULL)
			return NULL;
		if (at_kw(p, "ESCAPE"))
			return perr(p, peek(p),
				    "LIKE ... ESCAPE is not supported; the escape character is "
				    "backslash");
		enum sl_ast_op op = like ? (neg ? SL_AOP_NOT_LIKE : SL_AOP_LIKE)
					 : (neg ? SL_AOP_NOT_RLIKE : SL_AOP_RLIKE);
		return new_op(p, op, t, 2, l, r, NULL);
	}
	if (sl_tok_is_kw(t, "BETWEEN")) {
		next(p);
		struct sl_ast *lo = parse_cmp(p);
		if (lo == NULL)
			return NULL;
		if (!expect_kw(p, "AND", "AND in BETWEEN ... AND ..."))
			return NULL;
		struct sl_ast *hi = parse_cmp(p);
		if (hi == NULL)
			return NULL;
		return new_op(p, neg ? SL_AOP_NOT_BETWEEN : SL_AOP_BETWEEN, t, 3, l, lo, hi);
	}
	if (sl_tok_is_kw(t, "IN")) {
		next(p);
		if (!expect(p, SL_TOK_LPAREN, "'(' after IN"))
			return NULL;
		if (at_kw(p, "SELECT"))
			return perr(p, peek(p), "IN (subquery) is not supported");
		struct sl_ast *e = new_node(p, SL_AST_OP, t);
		if (e == NULL)
			return NULL;
		e->op = neg ? SL_AOP_NOT_IN : SL_AOP_IN;
		uint32_t cap = 0;
		e->args = grow(p, NULL, 0, &cap, sizeof(*e->args));
		if (e->args == NULL)
			return NULL;
		e->args[e->nargs++] = l;
		do {
			struct sl_ast *a = parse_expr(p);
			if (a == NULL)
				return NULL;
			e->args = grow(p, e->args, e->nargs, &cap, sizeof(*e->args));
			if (e->args == NULL)
				return NULL;
			e->args[e->nargs++] = a;
		} while (accept(p, SL_TOK_COMMA));
		if (!expect(p, SL_TOK_RPAREN, "',' or ')'"))
			return NULL;
		return deepen(p, e);
	}
	return l;
}

static struct sl_ast *parse_not(struct parser *p)
{
	const struct sl_token *t = peek(p);
	if (sl_tok_is_kw(t, "NOT")) {
		next(p);
		if (!nest(p))
			return NULL;
		struct sl_ast *a = parse_not(p);
		unnest(p);
		if (a == NULL)
			return NULL;
		return new_op(p, SL_AOP_NOT, t, 1, a, NULL, NULL);
	}
	return parse_predicate(p);
}

static struct sl_ast *parse_and(struct parser *p)
{
	struct sl_ast *l = parse_not(p);
	while (l != NULL && at_kw(p, "AND")) {
		const struct sl_token *t = next(p);
		struct sl_ast *r = parse_not(p);
		if (r == NULL)
			return NULL;
		l = new_op(p, SL_AOP_AND, t, 2, l, r, NULL);
	}
	return l;
}

static struct sl_ast *parse_expr(struct parser *p)
{
	if (!nest(p))
		return NULL;
	struct sl_ast *l = parse_and(p);
	while (l != NULL && at_kw(p, "OR")) {
		const struct sl_token *t = next(p);
		struct sl_ast *r = parse_and(p);
		if (r == NULL)
			return NULL;
		l = new_op(p, SL_AOP_OR, t, 2, l, r, NULL);
	}
	unnest(p);
	return l;
}

/* --------------------------------------------------------------- queries */

static struct sl_query *parse_query(struct parser *p);

/* [AS] alias; an implicit alias must be an unreserved word. */
static bool parse_alias(struct parser *p, const char **alias, bool required, const char *what)
{
	if (accept_kw(p, "AS")) {
		*alias = parse_name(p, what, true, NULL, NULL);
		return *alias != NULL;
	}
	const struct sl_token *t = peek(p);
	if ((t->kind == SL_TOK_IDENT && !is_reserved(t)) || t->kind == SL_TOK_QIDENT) {
		*alias = parse_name(p, what, true, NULL, NULL);
		return *alias != NULL;
	}
	if (required) {
		expected(p, what);
		return false;
	}
	*alias = NULL;
	return true;
}

/* Words that may not be the implicit alias of a FROM or JOIN item, as
 * Spark's strictNonReserved keywords: they continue the join chain. */
static bool is_join_word(const struct sl_token *t)
{
	return sl_tok_is_kw(t, "NATURAL") || sl_tok_is_kw(t, "SEMI") || sl_tok_is_kw(t, "ANTI") ||
	       sl_tok_is_kw(t, "USING");
}

/* name [[AS] alias] | (query) [[AS] alias]: a FROM or JOIN item. */
static bool parse_relation(struct parser *p, struct sl_from *f, const char *what)
{
	const struct sl_token *t = peek(p);
	f->line = t->line;
	f->column = t->column;
	if (t->kind == SL_TOK_LPAREN) {
		next(p);
		if (!at_kw(p, "SELECT")) {
			expected(p, "SELECT in a derived table");
			return false;
		}
		f->query = parse_query(p);
		if (f->query == NULL)
			return false;
		if (!expect(p, SL_TOK_RPAREN, "')' after the derived table"))
			return false;
		if (is_join_word(peek(p)))
			return true;
		return parse_alias(p, &f->alias, false, "an alias for the derived table");
	}
	f->source = parse_name(p, what, false, NULL, NULL);
	if (f->source == NULL)
		return false;
	if (is_join_word(peek(p)))
		return true;
	return parse_alias(p, &f->alias, false, "an alias after AS");
}

/* The join type at the parser's position, words consumed up to JOIN;
 * false (and nothing consumed) when no join starts here. */
static bool parse_join_type(struct parser *p, enum sl_ast_join *type)
{
	const struct sl_token *t = peek(p);
	uint32_t words = 0;
	if (sl_tok_is_kw(t, "JOIN")) {
		*type = SL_AJOIN_INNER;
	} else if (sl_tok_is_kw(t, "INNER") || sl_tok_is_kw(t, "CROSS")) {
		*type = sl_tok_is_kw(t, "INNER") ? SL_AJOIN_INNER : SL_AJOIN_CROSS;
		words = 1;
	} else if (sl_tok_is_kw(t, "SEMI") || sl_tok_is_kw(t, "ANTI")) {
		*type = sl_tok_is_kw(t, "SEMI") ? SL_AJOIN_LEFT_SEMI : SL_AJOIN_LEFT_ANTI;
		words = 1;
	} else if (sl_tok_is_kw(t, "LEFT") || sl_tok_is_kw(t, "RIGHT") || sl_tok_is_kw(t, "FULL")) {
		const struct sl_token *u = peek_at(p, 1);
		*type = sl_tok_is_kw(t, "LEFT") ? SL_AJOIN_LEFT
			: sl_tok_is_kw(t, "RIGHT") ? SL_AJOIN_RIGHT : SL_AJOIN_FULL;
		words = 1;
		if (sl_tok_is_kw(u, "OUTER")) {
			words = 2;
		} else if (*type == SL_AJOIN_LEFT && (sl_tok_is_kw(u, "SEMI") || sl_tok_is_kw(u, "ANTI"))) {
			*type = sl_tok_is_kw(u, "SEMI") ? SL_AJOIN_LEFT_SEMI : SL_AJOIN_LEFT_ANTI;
			words = 2;
		}
	} else {
		return false;
	}
	p->i += words;
	return true;
}

static bool parse_joins(struct parser *p, struct sl_query *q)
{
	uint32_t cap = 0;
	for (;;) {
		const struct sl_token *t = peek(p);
		if (t->kind == SL_TOK_COMMA) {
			perr(p, t, "a comma between FROM items is a cross join, which is not supported: "
				   "join a stream with a table on equal keys (FROM s JOIN t ON s.k = "
				   "t.k)");
			return false;
		}
		if (sl_tok_is_kw(t, "NATURAL")) {
			perr(p, t, "NATURAL JOIN is not supported: name the columns, as in JOIN t USING "
				   "(k)");
			return false;
		}
		enum sl_ast_join type;
		if (!parse_join_type(p, &type))
			return true;
		if (!expect_kw(p, "JOIN", "JOIN"))
			return false;
		q->joins = grow(p, q->joins, q->njoins, &cap, sizeof(*q->joins));
		if (q->joins == NULL)
			return false;
		struct sl_join_clause *j = &q->joins[q->njoins++];
		memset(j, 0, sizeof(*j));
		j->type = type;
		j->line = t->line;
		j->column = t->column;
		if (!parse_relation(p, &j->item, "a table or source name after JOIN"))
			return false;
		if (accept_kw(p, "ON")) {
			j->on = parse_expr(p);
			if (j->on == NULL)
				return false;
		} else if (accept_kw(p, "USING")) {
			j->has_using = true;
			if (!expect(p, SL_TOK_LPAREN, "'(' and column names after USING"))
				return false;
			uint32_t ucap = 0;
			do {
				j->using = grow(p, j->using, j->nusing, &ucap, sizeof(*j->using));
				if (j->using == NULL)
					return false;
				struct sl_using *u = &j->using[j->nusing++];
				u->name = parse_name(p, "a column name in USING (...)", true, &u->line,
						     &u->column);
				if (u->name == NULL)
					return false;
			} while (accept(p, SL_TOK_COMMA));
			if (!expect(p, SL_TOK_RPAREN, "',' or ')' in USING (...)"))
				return false;
		}
	}
}

static bool parse_from(struct parser *p, struct sl_query *q)
{
	if (!parse_relation(p, &q->from, "a source name after FROM"))
		return false;
	if (!parse_joins(p, q))
		return false;
	uint32_t cap = 0;
	while (at_kw(p, "LATERAL")) {
		const struct sl_token *lv = next(p);
		if (!expect_kw(p, "VIEW", "VIEW after LATERAL"))
			return false;
		if (at_kw(p, "OUTER")) {
			perr(p, peek(p), "LATERAL VIEW OUTER is not supported");
			return false;
		}
		q->laterals = grow(p, q->laterals, q->nlaterals, &cap, sizeof(*q->laterals));
		if (q->laterals == NULL)
			return false;
		struct sl_lateral *l = &q->laterals[q->nlaterals++];
		l->line = lv->line;
		l->column = lv->column;
		const struct sl_token *f = peek(p);
		if (f->kind != SL_TOK_IDENT || peek_at(p, 1)->kind != SL_TOK_LPAREN) {
			expected(p, "a generator such as explode(...) after LATERAL VIEW");
			return false;
		}
		l->gen = parse_call(p, f);
		if (l->gen == NULL)
			return false;
		l->table = parse_name(p, "a table alias after the generator", false, NULL, NULL);
		if (l->table == NULL)
			return false;
		if (!parse_alias(p, &l->col, false, "a column name after AS"))
			return false;
		if (peek(p)->kind == SL_TOK_COMMA) {
			perr(p, peek(p), "explode gives one column; name only one after AS");
			return false;
		}
	}
	return true;
}

static bool parse_expr_list(struct parser *p, struct sl_ast ***out, uint32_t *n)
{
	uint32_t cap = 0;
	do {
		struct sl_ast *e = parse_expr(p);
		if (e == NULL)
			return false;
		*out = grow(p, *out, *n, &cap, sizeof(**out));
		if (*out == NULL)
			return false;
		(*out)[(*n)++] = e;
	} while (accept(p, SL_TOK_COMMA));
	return true;
}

static struct sl_query *parse_query_body(struct parser *p);

/* A query, one level deeper (derived tables nest queries): SELECT ...
 * { UNION ALL SELECT ... }. */
static struct sl_query *parse_query(struct parser *p)
{
	if (!nest(p))
		return NULL;
	struct sl_query *q = parse_query_body(p);
	for (struct sl_query *last = q; last != NULL && at_kw(p, "UNION");) {
		const struct sl_token *u = next(p);
		if (!accept_kw(p, "ALL")) {
			perr(p, u,
			     "UNION %sremoves duplicate rows, which a stream cannot do without "
			     "keeping every row; write UNION ALL, and GROUP BY the columns to "
			     "count duplicates",
			     at_kw(p, "DISTINCT") ? "DISTINCT " : "");
			q = NULL;
			break;
		}
		struct sl_query *nq = parse_query_body(p);
		if (nq == NULL) {
			q = NULL;
			break;
		}
		last->union_all = nq;
		last->union_line = u->line;
		last->union_column = u->column;
		last = nq;
	}
	unnest(p);
	return q;
}

static struct sl_query *parse_query_body(struct parser *p)
{
	const struct sl_token *sel = peek(p);
	if (!expect_kw(p, "SELECT", "SELECT"))
		return NULL;
	struct sl_query *q = palloc(p, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->line = sel->line;
	q->column = sel->column;
	q->limit = -1;
	if (at_kw(p, "DISTINCT")) {
		q->distinct = true;
		q->distinct_line = peek(p)->line;
		q->distinct_column = peek(p)->column;
		next(p);
	} else {
		accept_kw(p, "ALL");
	}
	uint32_t cap = 0;
	do {
		q->items = grow(p, q->items, q->nitems, &cap, sizeof(*q->items));
		if (q->items == NULL)
			return NULL;
		struct sl_select_item *it = &q->items[q->nitems++];
		const struct sl_token *t = peek(p);
		it->line = t->line;
		it->column = t->column;
		if (t->kind == SL_TOK_STAR) {
			it->expr = new_node(p, SL_AST_STAR, t);
			if (it->expr == NULL)
				return NULL;
			next(p);
			continue;
		}
		it->expr = parse_expr(p);
		if (it->expr == NULL)
			return NULL;
		if (it->expr->kind == SL_AST_STAR)
			continue;
		if (!parse_alias(p, &it->alias, false, "an alias after AS"))
			return NULL;
	} while (accept(p, SL_TOK_COMMA));

	if (!expect_kw(p, "FROM", "',' or FROM"))
		return NULL;
	if (!parse_from(p, q))
		return NULL;
	if (accept_kw(p, "WHERE")) {
		q->where = parse_expr(p);
		if (q->where == NULL)
			return NULL;
	}
	if (at_kw(p, "GROUP")) {
		q->group_line = peek(p)->line;
		q->group_column = peek(p)->column;
		next(p);
		if (!expect_kw(p, "BY", "BY after GROUP"))
			return NULL;
		if (!parse_expr_list(p, &q->group, &q->ngroup))
			return NULL;
	}
	if (at_kw(p, "HAVING")) {
		q->having_line = peek(p)->line;
		q->having_column = peek(p)->column;
		next(p);
		q->having = parse_expr(p);
		if (q->having == NULL)
			return NULL;
	}
	if (at_kw(p, "ORDER")) {
		q->order_line = peek(p)->line;
		q->order_column = peek(p)->column;
		next(p);
		if (!expect_kw(p, "BY", "BY after ORDER"))
			return NULL;
		cap = 0;
		do {
			q->order = grow(p, q->order, q->norder, &cap, sizeof(*q->order));
			if (q->order == NULL)
				return NULL;
			struct sl_order_item *o = &q->order[q->norder++];
			o->line = peek(p)->line;
			o->column = peek(p)->column;
			o->expr = parse_expr(p);
			if (o->expr == NULL)
				return NULL;
			if (accept_kw(p, "DESC"))
				o->desc = true;
			else
				accept_kw(p, "ASC");
			o->nulls_first = !o->desc;
			if (accept_kw(p, "NULLS")) {
				if (accept_kw(p, "FIRST")) {
					o->nulls_first = true;
				} else if (accept_kw(p, "LAST")) {
					o->nulls_first = false;
				} else {
					expected(p, "FIRST or LAST after NULLS");
					return NULL;
				}
			}
		} while (accept(p, SL_TOK_COMMA));
	}
	if (at_kw(p, "LIMIT")) {
		const struct sl_token *lt = next(p);
		q->limit_line = lt->line;
		q->limit_column = lt->column;
		q->has_limit = true;
		const struct sl_token *n = peek(p);
		if (n->kind == SL_TOK_MINUS && peek_at(p, 1)->kind == SL_TOK_INTEGER) {
			perr(p, n, "The limit expression must be equal to or greater than 0, but got -%s",
			     peek_at(p, 1)->text);
			return NULL;
		}
		if (n->kind != SL_TOK_INTEGER || n->is_long || n->overflow || n->ival > INT32_MAX) {
			if (n->kind == SL_TOK_INTEGER)
				perr(p, n, "LIMIT must be at most %d, not %s", INT32_MAX, n->text);
			else
				expected(p, "a whole number after LIMIT");
			return NULL;
		}
		next(p);
		q->limit = (int64_t)n->ival;
	}
	return q;
}

/* ------------------------------------------------------------ statements */

/* Dotted key (kafka.bootstrap.servers) or a quoted string; lower-cased. */
static const char *parse_key(struct parser *p, const char *what, uint32_t *line, uint32_t *column)
{
	const struct sl_token *t = peek(p);
	*line = t->line;
	*column = t->column;
	if (t->kind == SL_TOK_STRING) {
		next(p);
		if (t->text_len == 0 || memchr(t->text, '\0', t->text_len) != NULL)
			return perr(p, t, "an option name may not be empty or hold a NUL byte");
		return lower_dup(p, t->text);
	}
	if (t->kind != SL_TOK_IDENT && t->kind != SL_TOK_QIDENT)
		return expected(p, what);
	char buf[512];
	size_t n = 0;
	for (;;) {
		const struct sl_token *w = peek(p);
		if (w->kind != SL_TOK_IDENT && w->kind != SL_TOK_QIDENT)
			return expected(p, "a name after '.'");
		if (n + w->text_len + 2 >= sizeof(buf))
			return perr(p, t, "option name is too long");
		memcpy(buf + n, w->text, w->text_len);
		n += w->text_len;
		next(p);
		if (peek(p)->kind != SL_TOK_DOT)
			break;
		next(p);
		buf[n++] = '.';
	}
	buf[n] = '\0';
	return lower_dup(p, buf);
}

/* An option value: string, [-]number, true/false or a word; as text. */
static const char *parse_option_value(struct parser *p, uint32_t *line, uint32_t *column)
{
	const struct sl_token *t = peek(p);
	*line = t->line;
	*column = t->column;
	if (t->kind == SL_TOK_STRING) {
		struct sl_ast *s = string_literal(p);
		if (s == NULL)
			return NULL;
		if (memchr(s->lit.v.str.ptr, '\0', s->lit.v.str.len) != NULL)
			return perr(p, t, "an option value may not hold a NUL byte");
		return s->lit.v.str.ptr;
	}
	if (t->kind == SL_TOK_MINUS &&
	    (peek_at(p, 1)->kind == SL_TOK_INTEGER || peek_at(p, 1)->kind == SL_TOK_DECIMAL)) {
		next(p);
		const struct sl_token *n = next(p);
		char buf[160];
		snprintf(buf, sizeof(buf), "-%s", n->text);
		return pstrdup(p, buf, strlen(buf));
	}
	if (t->kind == SL_TOK_INTEGER || t->kind == SL_TOK_DECIMAL || t->kind == SL_TOK_IDENT ||
	    t->kind == SL_TOK_QIDENT) {
		next(p);
		return pstrdup(p, t->text, t->text_len);
	}
	return expected(p, "an option value (a string, number, true/false or a word)");
}

static bool parse_with(struct parser *p, struct sl_stmt *s)
{
	const struct sl_token *w = peek(p);
	if (!expect_kw(p, "WITH", "WITH (connector = ..., ...)"))
		return false;
	s->with_line = w->line;
	s->with_column = w->column;
	if (!expect(p, SL_TOK_LPAREN, "'(' after WITH"))
		return false;
	uint32_t cap = 0;
	if (peek(p)->kind == SL_TOK_RPAREN) {
		next(p);
		return true;
	}
	do {
		s->options = grow(p, s->options, s->noptions, &cap, sizeof(*s->options));
		if (s->options == NULL)
			return false;
		struct sl_ast_option *o = &s->options[s->noptions++];
		o->key = parse_key(p, "an option name", &o->line, &o->column);
		if (o->key == NULL)
			return false;
		if (!expect(p, SL_TOK_EQ, "'=' after the option name"))
			return false;
		o->value = parse_option_value(p, &o->value_line, &o->value_column);
		if (o->value == NULL)
			return false;
	} while (accept(p, SL_TOK_COMMA));
	return expect(p, SL_TOK_RPAREN, "',' or ')' in WITH (...)");
}

static bool parse_set(struct parser *p, struct sl_stmt *s)
{
	s->kind = SL_STMT_SET;
	s->name = parse_key(p, "a setting name after SET", &s->name_line, &s->name_column);
	if (s->name == NULL)
		return false;
	if (!expect(p, SL_TOK_EQ, "'=' after the setting name"))
		return false;
	const struct sl_token *first = peek(p);
	s->value_line = first->line;
	s->value_column = first->column;
	if (first->kind == SL_TOK_SEMI || first->kind == SL_TOK_EOF) {
		expected(p, "a value after '='");
		return false;
	}
	if (first->kind == SL_TOK_STRING && (peek_at(p, 1)->kind == SL_TOK_SEMI ||
					     peek_at(p, 1)->kind == SL_TOK_EOF)) {
		next(p);
		s->value = pstrdup(p, first->text, first->text_len);
		return s->value != NULL;
	}
	/* anything else up to ';' as written, so that 0-3 and 0,2,4-5 need
	 * no quotes */
	const struct sl_token *last = first;
	while (peek(p)->kind != SL_TOK_SEMI && peek(p)->kind != SL_TOK_EOF)
		last = next(p);
	s->value = pstrdup(p, p->src + first->offset, last->offset + last->len - first->offset);
	return s->value != NULL;
}

/* A duration: 'n unit' (a string), INTERVAL 'n unit', or INTERVAL 'n'
 * UNIT (Spark's forms); returns the text "n unit" for sl_parse_interval. */
static const char *parse_duration(struct parser *p, uint32_t *line, uint32_t *column)
{
	const struct sl_token *t = peek(p);
	*line = t->line;
	*column = t->column;
	bool interval = accept_kw(p, "INTERVAL");
	t = peek(p);
	if (t->kind != SL_TOK_STRING)
		return expected(p, interval ? "a quoted duration after INTERVAL, such as "
					      "INTERVAL '10' MINUTE"
					    : "a duration such as '10 minutes'");
	next(p);
	const struct sl_token *unit = peek(p);
	if (interval && unit->kind == SL_TOK_IDENT && !at_kw(p, "AS")) {
		/* INTERVAL '10' MINUTE */
		next(p);
		size_t n = t->text_len + 1 + strlen(unit->text) + 1;
		char *buf = sl_ast_alloc(p->arena, n);
		if (buf == NULL)
			return oom(p);
		snprintf(buf, n, "%.*s %s", (int)t->text_len, t->text, unit->text);
		return buf;
	}
	return sl_ast_strndup(p->arena, t->text, t->text_len);
}

static bool parse_create(struct parser *p, struct sl_stmt *s, const struct sl_token *create)
{
	const struct sl_token *what = peek(p);
	bool table = sl_tok_is_kw(what, "TABLE");
	bool source = sl_tok_is_kw(what, "SOURCE");
	if (!source && !table && !sl_tok_is_kw(what, "SINK")) {
		char buf[64];
		perr(p, what, "expected SOURCE, SINK or TABLE after CREATE, found %s",
		     found(p, what, buf, sizeof(buf)));
		return false;
	}
	next(p);
	s->kind = source ? SL_STMT_CREATE_SOURCE : table ? SL_STMT_CREATE_TABLE : SL_STMT_CREATE_SINK;
	s->line = create->line;
	s->column = create->column;
	s->name = parse_name(p, source ? "a source name" : table ? "a table name" : "a sink name", false,
			     &s->name_line, &s->name_column);
	if (s->name == NULL)
		return false;
	if (table && peek(p)->kind != SL_TOK_LPAREN) {
		expected(p, "the table's columns, as in CREATE TABLE t (k STRING, v INT) WITH (...) "
			    "(sluice does not infer them)");
		return false;
	}
	if ((source || table) && peek(p)->kind == SL_TOK_LPAREN) {
		next(p);
		s->has_columns = true;
		uint32_t cap = 0;
		do {
			s->cols = grow(p, s->cols, s->ncols, &cap, sizeof(*s->cols));
			if (s->cols == NULL)
				return false;
			struct sl_ast_coldef *c = &s->cols[s->ncols++];
			c->name = parse_name(p, "a column name", false, &c->line, &c->column);
			if (c->name == NULL)
				return false;
			c->elem_type = SL_TYPE_NULL;
			if (!(table ? parse_type(p, &c->type)
				    : parse_column_type(p, &c->type, &c->elem_type)))
				return false;
		} while (accept(p, SL_TOK_COMMA));
		if (!expect(p, SL_TOK_RPAREN, "',' or ')' after the column"))
			return false;
	}
	if (!parse_with(p, s))
		return false;
	if (table) {
		if (at_kw(p, "WATERMARK")) {
			perr(p, peek(p), "a static table has no event time: WATERMARK belongs to CREATE "
					 "SOURCE");
			return false;
		}
		return true;
	}
	if (source) {
		if (accept_kw(p, "WATERMARK")) {
			s->wm_col = parse_name(p, "the event-time column after WATERMARK", false,
					       &s->wm_line, &s->wm_column);
			if (s->wm_col == NULL)
				return false;
			if (!expect_kw(p, "DELAY", "DELAY 'interval' after the WATERMARK column"))
				return false;
			s->wm_delay = parse_duration(p, &s->wm_delay_line, &s->wm_delay_column);
			return s->wm_delay != NULL;
		}
		return true;
	}
	if (!expect_kw(p, "AS", "AS SELECT ... after the sink's WITH (...)"))
		return false;
	s->query = parse_query(p);
	return s->query != NULL;
}

static struct sl_stmt *parse_stmt(struct parser *p)
{
	struct sl_stmt *s = palloc(p, sizeof(*s));
	if (s == NULL)
		return NULL;
	const struct sl_token *t = peek(p);
	s->line = t->line;
	s->column = t->column;
	s->start = t->offset;
	bool ok;
	if (sl_tok_is_kw(t, "SET")) {
		next(p);
		ok = parse_set(p, s);
	} else if (sl_tok_is_kw(t, "CREATE")) {
		next(p);
		ok = parse_create(p, s, t);
	} else if (sl_tok_is_kw(t, "EXPLAIN")) {
		next(p);
		s->explain = true;
		const struct sl_token *c = peek(p);
		if (sl_tok_is_kw(c, "CREATE")) {
			next(p);
			ok = parse_create(p, s, c);
			if (ok && s->kind != SL_STMT_CREATE_SINK) {
				perr(p, c, "EXPLAIN takes CREATE SINK ... or SELECT ...");
				ok = false;
			}
		} else if (sl_tok_is_kw(c, "SELECT")) {
			s->kind = SL_STMT_SELECT;
			s->query = parse_query(p);
			ok = s->query != NULL;
		} else {
			expected(p, "CREATE SINK or SELECT after EXPLAIN");
			ok = false;
		}
	} else if (sl_tok_is_kw(t, "SELECT")) {
		perr(p, t, "a query needs a sink: write CREATE SINK name WITH (connector = "
			   "'console') AS SELECT ..., or EXPLAIN SELECT ...");
		ok = false;
	} else {
		expected(p, "SET, CREATE or EXPLAIN");
		ok = false;
	}
	if (!ok)
		return NULL;
	const struct sl_token *last = &p->toks.v[p->i > 0 ? p->i - 1 : 0];
	s->end = last->offset + last->len;
	if (peek(p)->kind != SL_TOK_SEMI && peek(p)->kind != SL_TOK_EOF)
		return expected(p, "';' after the statement");
	return s;
}

int sl_sql_parse(const char *text, struct sl_script **out, char *err, size_t errlen)
{
	struct parser p = {.src = text, .err = err, .errlen = errlen};
	struct sl_script *script = NULL;
	int rc = sl_sql_lex(text, &p.toks, err, errlen);
	if (rc < 0)
		return rc;
	p.arena = sl_ast_arena_create();
	if (p.arena == NULL)
		goto err_oom;
	script = sl_ast_alloc(p.arena, sizeof(*script));
	if (script == NULL)
		goto err_oom;
	script->arena = p.arena;
	uint32_t cap = 0;
	for (;;) {
		while (accept(&p, SL_TOK_SEMI))
			;
		if (peek(&p)->kind == SL_TOK_EOF)
			break;
		struct sl_stmt *s = parse_stmt(&p);
		if (s == NULL)
			goto err;
		script->stmts = grow(&p, script->stmts, script->nstmts, &cap, sizeof(*script->stmts));
		if (script->stmts == NULL)
			goto err;
		script->stmts[script->nstmts++] = s;
	}
	sl_tokens_free(&p.toks);
	*out = script;
	return 0;
err_oom:
	oom(&p);
err:
	sl_tokens_free(&p.toks);
	sl_ast_arena_destroy(p.arena);
	return p.rc != 0 ? p.rc : -ENOMEM;
}

void sl_script_free(struct sl_script *s)
{
	if (s == NULL)
		return;
	/* the script itself lives in its arena */
	sl_ast_arena_destroy(s->arena);
}

/* ---------------------------------------------------------- pretty text */

const char *sl_ast_op_name(enum sl_ast_op op)
{
	switch (op) {
	case SL_AOP_AND: return "AND";
	case SL_AOP_OR: return "OR";
	case SL_AOP_NOT: return "NOT";
	case SL_AOP_EQ: return "=";
	case SL_AOP_NE: return "<>";
	case SL_AOP_LT: return "<";
	case SL_AOP_LE: return "<=";
	case SL_AOP_GT: return ">";
	case SL_AOP_GE: return ">=";
	case SL_AOP_ADD: return "+";
	case SL_AOP_SUB: return "-";
	case SL_AOP_MUL: return "*";
	case SL_AOP_DIV: return "/";
	case SL_AOP_MOD: return "%";
	case SL_AOP_NEG: return "-";
	case SL_AOP_CONCAT: return "||";
	case SL_AOP_IS_NULL: return "IS NULL";
	case SL_AOP_IS_NOT_NULL: return "IS NOT NULL";
	case SL_AOP_LIKE: return "LIKE";
	case SL_AOP_NOT_LIKE: return "NOT LIKE";
	case SL_AOP_RLIKE: return "RLIKE";
	case SL_AOP_NOT_RLIKE: return "NOT RLIKE";
	case SL_AOP_BETWEEN: return "BETWEEN";
	case SL_AOP_NOT_BETWEEN: return "NOT BETWEEN";
	case SL_AOP_IN: return "IN";
	case SL_AOP_NOT_IN: return "NOT IN";
	}
	return "?";
}

/* Spark prints a decimal literal through java.math.BigDecimal.toString:
 * as written, without leading zeros or a bare trailing point (".5" is
 * "0.5", "1." is "1"). A double (exponent or D suffix) prints as Java's
 * Double.toString. */
static int pretty_number(const struct sl_ast *e, struct sl_strbuf *out)
{
	const char *t = e->text;
	bool exp_or_d = strpbrk(t, "eEdD") != NULL;
	if (e->lit.type == SL_TYPE_DOUBLE && exp_or_d) {
		char buf[SL_FORMAT_MAX];
		sl_format_double(e->lit.v.f64, buf, sizeof(buf));
		return sl_strbuf_puts(out, buf);
	}
	if (e->lit.type != SL_TYPE_DOUBLE) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRId64, e->lit.v.i64);
		return sl_strbuf_puts(out, buf);
	}
	int rc = 0;
	if (*t == '-') {
		rc = sl_strbuf_putc(out, '-');
		t++;
	}
	while (t[0] == '0' && t[1] >= '0' && t[1] <= '9')
		t++;
	if (*t == '.')
		rc |= sl_strbuf_putc(out, '0');
	size_t n = strlen(t);
	if (n > 0 && t[n - 1] == '.')
		n--;
	rc |= sl_strbuf_append(out, t, n);
	return rc;
}

static int pretty_args(const struct sl_ast *e, uint32_t from, struct sl_strbuf *out)
{
	int rc = 0;
	for (uint32_t i = from; i < e->nargs; i++) {
		if (i > from)
			rc |= sl_strbuf_puts(out, ", ");
		rc |= sl_ast_pretty(e->args[i], out);
	}
	return rc;
}

static int pretty_binary(const struct sl_ast *a, const char *op, const struct sl_ast *b,
			 struct sl_strbuf *out)
{
	int rc = sl_strbuf_putc(out, '(');
	rc |= sl_ast_pretty(a, out);
	rc |= sl_strbuf_putc(out, ' ');
	rc |= sl_strbuf_puts(out, op);
	rc |= sl_strbuf_putc(out, ' ');
	rc |= sl_ast_pretty(b, out);
	rc |= sl_strbuf_putc(out, ')');
	return rc;
}

static int pretty_op(const struct sl_ast *e, struct sl_strbuf *out)
{
	int rc = 0;
	switch (e->op) {
	case SL_AOP_NOT:
		rc |= sl_strbuf_puts(out, "(NOT ");
		rc |= sl_ast_pretty(e->args[0], out);
		return rc | sl_strbuf_putc(out, ')');
	case SL_AOP_NEG:
		rc |= sl_strbuf_puts(out, "(- ");
		rc |= sl_ast_pretty(e->args[0], out);
		return rc | sl_strbuf_putc(out, ')');
	case SL_AOP_NE:
		/* Spark parses a <> b as NOT(a = b) */
		rc |= sl_strbuf_puts(out, "(NOT ");
		rc |= pretty_binary(e->args[0], "=", e->args[1], out);
		return rc | sl_strbuf_putc(out, ')');
	case SL_AOP_CONCAT:
		rc |= sl_strbuf_puts(out, "concat(");
		rc |= pretty_args(e, 0, out);
		return rc | sl_strbuf_putc(out, ')');
	case SL_AOP_IS_NULL:
	case SL_AOP_IS_NOT_NULL:
		rc |= sl_strbuf_putc(out, '(');
		rc |= sl_ast_pretty(e->args[0], out);
		rc |= sl_strbuf_puts(out, e->op == SL_AOP_IS_NULL ? " IS NULL)" : " IS NOT NULL)");
		return rc;
	case SL_AOP_LIKE:
	case SL_AOP_RLIKE:
	case SL_AOP_NOT_LIKE:
	case SL_AOP_NOT_RLIKE: {
		bool neg = e->op == SL_AOP_NOT_LIKE || e->op == SL_AOP_NOT_RLIKE;
		bool like = e->op == SL_AOP_LIKE || e->op == SL_AOP_NOT_LIKE;
		/* Spark's Like.sql is infix, RLike.sql is a call */
		if (neg)
			rc |= sl_strbuf_puts(out, "(NOT ");
		if (like) {
			rc |= sl_ast_pretty(e->args[0], out);
			rc |= sl_strbuf_puts(out, " LIKE ");
			rc |= sl_ast_pretty(e->args[1], out);
		} else {
			rc |= sl_strbuf_puts(out, "RLIKE(");
			rc |= pretty_args(e, 0, out);
			rc |= sl_strbuf_putc(out, ')');
		}
		if (neg)
			rc |= sl_strbuf_putc(out, ')');
		return rc;
	}
	case SL_AOP_BETWEEN:
	case SL_AOP_NOT_BETWEEN:
		/* Spark 3 rewrites BETWEEN while parsing: a >= lo AND a <= hi */
		if (e->op == SL_AOP_NOT_BETWEEN)
			rc |= sl_strbuf_puts(out, "(NOT ");
		rc |= sl_strbuf_putc(out, '(');
		rc |= pretty_binary(e->args[0], ">=", e->args[1], out);
		rc |= sl_strbuf_puts(out, " AND ");
		rc |= pretty_binary(e->args[0], "<=", e->args[2], out);
		rc |= sl_strbuf_putc(out, ')');
		if (e->op == SL_AOP_NOT_BETWEEN)
			rc |= sl_strbuf_putc(out, ')');
		return rc;
	case SL_AOP_IN:
	case SL_AOP_NOT_IN:
		if (e->op == SL_AOP_NOT_IN)
			rc |= sl_strbuf_puts(out, "(NOT ");
		rc |= sl_strbuf_putc(out, '(');
		rc |= sl_ast_pretty(e->args[0], out);
		rc |= sl_strbuf_puts(out, " IN (");
		rc |= pretty_args(e, 1, out);
		rc |= sl_strbuf_puts(out, "))");
		if (e->op == SL_AOP_NOT_IN)
			rc |= sl_strbuf_putc(out, ')');
		return rc;
	default:
		return pretty_binary(e->args[0], sl_ast_op_name(e->op), e->args[1], out);
	}
}

int sl_ast_pretty(const struct sl_ast *e, struct sl_strbuf *out)
{
	int rc = 0;
	/* past SL_AST_PRETTY_MAX bytes the rest is left out: this also bounds
	 * the work on nested CASE x WHEN, whose arms all repeat x (bug
	 * nested_case_subject_exponential_text) */
	if (out->len >= SL_AST_PRETTY_MAX)
		return 0;
	switch (e->kind) {
	case SL_AST_LITERAL:
		switch (e->lit.type) {
		case SL_TYPE_NULL: return sl_strbuf_puts(out, "NULL");
		case SL_TYPE_BOOLEAN: return sl_strbuf_puts(out, e->lit.v.b ? "true" : "false");
		case SL_TYPE_STRING:
			/* Spark names a column after a string literal's bare text */
			return sl_strbuf_append(out, e->lit.v.str.ptr, e->lit.v.str.len);
		case SL_TYPE_INTERVAL:
		case SL_TYPE_BINARY: return sl_strbuf_puts(out, e->text);
		default: return pretty_number(e, out);
		}
	case SL_AST_COLUMN:
		return sl_strbuf_puts(out, e->name);
	case SL_AST_STAR:
		if (e->qualifier != NULL) {
			rc |= sl_strbuf_puts(out, e->qualifier);
			rc |= sl_strbuf_putc(out, '.');
		}
		return rc | sl_strbuf_putc(out, '*');
	case SL_AST_OP:
		return pretty_op(e, out);
	case SL_AST_CAST:
		rc |= sl_strbuf_puts(out, "CAST(");
		rc |= sl_ast_pretty(e->args[0], out);
		rc |= sl_strbuf_puts(out, " AS ");
		rc |= sl_strbuf_puts(out, sl_type_name(e->cast_type));
		return rc | sl_strbuf_putc(out, ')');
	case SL_AST_CASE: {
		/* CASE x WHEN v is Spark's CASE WHEN (x = v) */
		rc |= sl_strbuf_puts(out, "CASE");
		uint32_t first = e->has_subject ? 1 : 0;
		uint32_t pairs = (e->nargs - first - (e->has_else ? 1 : 0)) / 2;
		for (uint32_t i = 0; i < pairs; i++) {
			struct sl_ast *cond = e->args[first + 2 * i];
			rc |= sl_strbuf_puts(out, " WHEN ");
			if (e->has_subject) {
				struct sl_ast *pair[2] = {e->args[0], cond};
				const struct sl_ast eq = {.kind = SL_AST_OP, .op = SL_AOP_EQ,
							  .line = cond->line, .column = cond->column,
							  .nargs = 2, .args = pair};
				rc |= pretty_op(&eq, out);
			} else {
				rc |= sl_ast_pretty(cond, out);
			}
			rc |= sl_strbuf_puts(out, " THEN ");
			rc |= sl_ast_pretty(e->args[first + 2 * i + 1], out);
		}
		if (e->has_else) {
			rc |= sl_strbuf_puts(out, " ELSE ");
			rc |= sl_ast_pretty(e->args[e->nargs - 1], out);
		}
		return rc | sl_strbuf_puts(out, " END");
	}
	case SL_AST_CALL:
		break;
	}
	/* calls */
	if (strcmp(e->name, "count") == 0 && e->nargs == 1 && e->args[0]->kind == SL_AST_STAR)
		return sl_strbuf_puts(out, "count(1)");
	if (strcmp(e->name, "if") == 0) {
		rc |= sl_strbuf_puts(out, "(IF(");
		rc |= pretty_args(e, 0, out);
		return rc | sl_strbuf_puts(out, "))");
	}
	rc |= sl_strbuf_puts(out, e->name);
	rc |= sl_strbuf_putc(out, '(');
	if (e->distinct)
		rc |= sl_strbuf_puts(out, "DISTINCT ");
	/* Spark's HyperLogLogPlusPlus has one child: its relativeSD is no
	 * argument and stays out of the name */
	if (strcmp(e->name, "approx_count_distinct") == 0 && e->nargs == 2)
		rc |= sl_ast_pretty(e->args[0], out);
	else
		rc |= pretty_args(e, 0, out);
	/* Spark's constructors fill in the defaults, and names show them */
	if (strcmp(e->name, "split") == 0 && e->nargs == 2)
		rc |= sl_strbuf_puts(out, ", -1");
	if ((strcmp(e->name, "substr") == 0 || strcmp(e->name, "substring") == 0) && e->nargs == 2)
		rc |= sl_strbuf_puts(out, ", 2147483647");
	return rc | sl_strbuf_putc(out, ')');
}
