/*
 * sql_ast.h — the syntax tree of a sluice SQL script, as the parser
 * (sql_parse.c) builds it and the planner (plan.c) reads it.
 *
 * Ownership: every node, array and string of a script lives in the script's
 * arena (struct sl_ast_arena) and is freed at once by sl_script_free(); no
 * node is freed alone. The tree is untyped: names are not resolved and no
 * casts are inserted — that is the planner's work.
 *
 * Every node keeps the line and column (1-based) of the token that starts
 * it, or for an operator, of the operator itself, so that the planner can
 * point errors at what the user wrote.
 */
#ifndef SL_SQL_AST_H
#define SL_SQL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* Bump allocator for one script's tree. */
struct sl_ast_arena;

struct sl_ast_arena *sl_ast_arena_create(void);
void sl_ast_arena_destroy(struct sl_ast_arena *a);
/* Zeroed, 16-byte aligned memory; NULL on ENOMEM. */
void *sl_ast_alloc(struct sl_ast_arena *a, size_t n);
/* NUL-terminated copy of n bytes; NULL on ENOMEM. */
char *sl_ast_strndup(struct sl_ast_arena *a, const char *s, size_t n);

enum sl_ast_kind {
	SL_AST_LITERAL, /* lit (a STRING's bytes in the arena), text as written */
	SL_AST_COLUMN,  /* [qualifier.]name */
	SL_AST_STAR,    /* * or qualifier.* (select lists, count(*)) */
	SL_AST_OP,      /* op over args */
	SL_AST_CALL,    /* name(args); name in lower case */
	SL_AST_CAST,    /* CAST(args[0] AS cast_type) */
	SL_AST_CASE,    /* CASE WHEN args[0] THEN args[1] ... [ELSE args[n-1]] END;
			 * with has_subject, CASE args[0] WHEN args[1] THEN
			 * args[2] ...: each arm tests args[0] = value */
};

enum sl_ast_op {
	SL_AOP_AND,
	SL_AOP_OR,
	SL_AOP_NOT,
	SL_AOP_EQ,
	SL_AOP_NE,
	SL_AOP_LT,
	SL_AOP_LE,
	SL_AOP_GT,
	SL_AOP_GE,
	SL_AOP_ADD,
	SL_AOP_SUB,
	SL_AOP_MUL,
	SL_AOP_DIV,
	SL_AOP_MOD,
	SL_AOP_NEG,
	SL_AOP_CONCAT,      /* a || b */
	SL_AOP_IS_NULL,
	SL_AOP_IS_NOT_NULL,
	SL_AOP_LIKE,        /* args: value, pattern */
	SL_AOP_NOT_LIKE,
	SL_AOP_RLIKE,       /* RLIKE or REGEXP */
	SL_AOP_NOT_RLIKE,
	SL_AOP_BETWEEN,     /* args: value, low, high */
	SL_AOP_NOT_BETWEEN,
	SL_AOP_IN,          /* args: value, list... */
	SL_AOP_NOT_IN,
};

struct sl_ast {
	enum sl_ast_kind kind;
	uint32_t line, column;
	struct sl_value lit;   /* LITERAL */
	const char *text;      /* LITERAL: the token as written */
	enum sl_ast_op op;     /* OP */
	const char *name;      /* COLUMN, CALL */
	const char *qualifier; /* COLUMN, STAR: NULL when none */
	enum sl_type cast_type;/* CAST */
	bool distinct;         /* CALL: f(DISTINCT ...) */
	bool has_else;         /* CASE */
	bool has_subject;      /* CASE x WHEN ...: x is args[0], held once (the
				* planner builds x = v per arm; sharing x
				* between arms made the tree a DAG that every
				* walk over it visited exponentially often, bug
				* nested_case_subject_exponential_text) */
	bool bound;            /* COLUMN made by the planner (from a `*`): it
				* names scope column bound_index, not a name */
	uint32_t bound_index;
	uint32_t depth;        /* levels from this node down to its deepest
				* leaf (a leaf is 1); at most SL_SQL_MAX_DEPTH */
	uint32_t nargs;
	struct sl_ast **args;
};

struct sl_select_item {
	struct sl_ast *expr;
	const char *alias; /* NULL when none */
	uint32_t line, column;
};

/* LATERAL VIEW explode(gen) table [AS] col */
struct sl_lateral {
	struct sl_ast *gen;
	const char *table;
	const char *col; /* NULL: Spark's default name `col` */
	uint32_t line, column;
};

struct sl_query;

/* FROM source [AS alias] | FROM (query) [AS] alias; also the item of a
 * JOIN, where `source` may name a source or a table (CREATE TABLE): the
 * planner tells which. */
struct sl_from {
	const char *source;     /* NULL for a derived table */
	struct sl_query *query; /* derived table */
	const char *alias;      /* NULL when none */
	uint32_t line, column;
};

/* The join types of Spark SQL's grammar, as written. */
enum sl_ast_join {
	SL_AJOIN_INNER,      /* JOIN, INNER JOIN */
	SL_AJOIN_CROSS,      /* CROSS JOIN */
	SL_AJOIN_LEFT,       /* LEFT [OUTER] JOIN */
	SL_AJOIN_RIGHT,      /* RIGHT [OUTER] JOIN */
	SL_AJOIN_FULL,       /* FULL [OUTER] JOIN */
	SL_AJOIN_LEFT_SEMI,  /* [LEFT] SEMI JOIN */
	SL_AJOIN_LEFT_ANTI,  /* [LEFT] ANTI JOIN */
};

/* A column of USING (...). */
struct sl_using {
	const char *name;
	uint32_t line, column;
};

/* ... type JOIN item [ON cond | USING (cols)], after the FROM item and the
 * joins before it (left-deep, as Spark reads a chain). */
struct sl_join_clause {
	enum sl_ast_join type;
	struct sl_from item;
	struct sl_ast *on;      /* NULL when none */
	bool has_using;
	uint32_t nusing;
	struct sl_using *using;
	uint32_t line, column;  /* of the join's first word */
};

struct sl_order_item {
	struct sl_ast *expr;
	bool desc;
	bool nulls_first;
	uint32_t line, column;
};

struct sl_query {
	uint32_t line, column; /* of SELECT */
	bool distinct;
	uint32_t distinct_line, distinct_column;
	uint32_t nitems;
	struct sl_select_item *items;
	struct sl_from from;
	uint32_t njoins;
	struct sl_join_clause *joins;
	uint32_t nlaterals;
	struct sl_lateral *laterals;
	struct sl_ast *where;
	uint32_t ngroup;
	struct sl_ast **group;
	uint32_t group_line, group_column;
	struct sl_ast *having;
	uint32_t having_line, having_column;
	uint32_t norder;
	struct sl_order_item *order;
	uint32_t order_line, order_column;
	bool has_limit;
	int64_t limit;
	uint32_t limit_line, limit_column;
	/* q UNION ALL next: the next input's query (NULL: none), and where
	 * UNION was written */
	struct sl_query *union_all;
	uint32_t union_line, union_column;
};

/* key = value in WITH (...); value as written, quotes removed. */
struct sl_ast_option {
	const char *key; /* lower case */
	const char *value;
	uint32_t line, column;         /* of the key */
	uint32_t value_line, value_column;
};

struct sl_ast_coldef {
	const char *name;
	enum sl_type type;
	enum sl_type elem_type; /* ARRAY<...>: the element type (only in CREATE SOURCE) */
	uint32_t line, column;
};

enum sl_stmt_kind {
	SL_STMT_SET,
	SL_STMT_CREATE_SOURCE,
	SL_STMT_CREATE_SINK,
	SL_STMT_CREATE_TABLE, /* a static table: columns, WITH options */
	SL_STMT_SELECT, /* only as EXPLAIN SELECT ... */
};

struct sl_stmt {
	enum sl_stmt_kind kind;
	bool explain;
	uint32_t line, column; /* of the statement's first word */
	const char *name;      /* SET key (lower case), source, sink or table name */
	uint32_t name_line, name_column;
	const char *value;     /* SET value, as written, quotes removed */
	uint32_t value_line, value_column;
	bool has_columns;      /* CREATE SOURCE with a column list; CREATE TABLE always */
	uint32_t ncols;
	struct sl_ast_coldef *cols;
	uint32_t noptions;
	struct sl_ast_option *options;
	uint32_t with_line, with_column;
	/* CREATE SOURCE ... WATERMARK col DELAY 'interval' (NULL: none); the
	 * delay as text ("10 minutes"; INTERVAL '10' MINUTE reads "10 minute") */
	const char *wm_col;
	uint32_t wm_line, wm_column;
	const char *wm_delay;
	uint32_t wm_delay_line, wm_delay_column;
	struct sl_query *query; /* CREATE SINK ... AS query, EXPLAIN SELECT */
	uint32_t start, end;    /* byte range of the statement in the text */
};

/* A parsed script. Owned by the caller; free with sl_script_free. */
struct sl_script {
	struct sl_ast_arena *arena;
	uint32_t nstmts;
	struct sl_stmt **stmts;
};

#endif
