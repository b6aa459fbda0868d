/*
 * sql_parse.h — parse a sluice SQL script into the syntax tree of sql_ast.h.
 *
 * Syntax only: names are not resolved and types not checked (plan.c does
 * that), so a parsed script may still be refused by the planner. Every error
 * is "line L, column C: message" pointing at the offending token.
 */
#ifndef SL_SQL_PARSE_H
#define SL_SQL_PARSE_H

#include <stddef.h>

#include "format.h"
#include "sql_ast.h"

/* The deepest nesting the parser accepts: expression trees (operators,
 * function arguments, CASE, parentheses, NOT and signs) and derived tables
 * at most this many levels deep. The planner, EXPLAIN and the evaluator on
 * the cores walk the trees recursively on ordinary thread stacks; this
 * bound keeps those walks far from the end of the stack (a 1000-level
 * tree takes well under half of an 8 MiB stack, even under ASan). SQLite's
 * SQLITE_MAX_EXPR_DEPTH is the same number. */
#define SL_SQL_MAX_DEPTH 1000

/* Parse all statements of text. 0 with *out set (free with
 * sl_script_free), -EINVAL with the message in err, or -ENOMEM. */
int sl_sql_parse(const char *text, struct sl_script **out, char *err, size_t errlen);
void sl_script_free(struct sl_script *s);

/* Spark's pretty SQL text of an expression, the text Spark uses to name an
 * unaliased column: `count(1)` for count(*), `(a + b)`, `lower(word)`,
 * `split(value,  , -1)` (string literals bare, split's default limit and
 * substr's default length spelled out). Appended to out; 0 or -ENOMEM.
 * Only names (127 bytes) and messages use it: once out holds
 * SL_AST_PRETTY_MAX bytes, the rest of the text is left out. */
#define SL_AST_PRETTY_MAX 4096
int sl_ast_pretty(const struct sl_ast *e, struct sl_strbuf *out);

/* Canonical upper-case name of an operator ("AND", "=", "LIKE"). */
const char *sl_ast_op_name(enum sl_ast_op op);

#endif
