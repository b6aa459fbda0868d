/*
 * expr.h — typed expression trees and their vectorised evaluation over chunks.
 *
 * The planner (control/) builds trees whose types are already resolved and
 * whose arguments already have the types the operator needs (it inserts CAST
 * nodes: both sides of a comparison or arithmetic have the same type, string
 * functions get STRING, ...). The evaluator trusts those types.
 *
 * Ownership: a tree is built once per query by the planner and then read-only
 * and shared by every core. Anything compiled from it (regex databases,
 * LIKE matchers) is made by sl_expr_prepare() before the cores start and is
 * also read-only; per-core mutable state (Hyperscan scratch, result vectors)
 * lives in struct sl_eval_ctx, one per thread.
 *
 * Semantics are Spark SQL's (non-ANSI mode): NULL in, NULL out for
 * functions and arithmetic; AND/OR three-valued; integer division by zero and
 * modulo by zero give NULL; INT arithmetic wraps at 32 bits, BIGINT at 64.
 */
#ifndef SL_EXPR_H
#define SL_EXPR_H

#include "types.h"

enum sl_expr_kind {
	SL_EXPR_LITERAL,  /* lit */
	SL_EXPR_COLUMN,   /* column index `col` of the input chunk */
	SL_EXPR_CALL,     /* fn(args...) */
};

enum sl_fn {
	/* logic: args BOOLEAN */
	SL_FN_AND,
	SL_FN_OR,
	SL_FN_NOT,
	/* comparison: two args of one type, result BOOLEAN */
	SL_FN_EQ,
	SL_FN_NE,
	SL_FN_LT,
	SL_FN_LE,
	SL_FN_GT,
	SL_FN_GE,
	SL_FN_IS_NULL,     /* one arg of any type, never null */
	SL_FN_IS_NOT_NULL, /* one arg of any type, never null */
	/* arithmetic: two args of one numeric type, result that type
	 * (DIV always DOUBLE, as Spark's `/`) */
	SL_FN_ADD,
	SL_FN_SUB,
	SL_FN_MUL,
	SL_FN_DIV,
	SL_FN_MOD,
	SL_FN_NEG,
	/* strings */
	SL_FN_LIKE,    /* (STRING, STRING literal pattern) -> BOOLEAN */
	SL_FN_RLIKE,   /* (STRING, STRING literal regex) -> BOOLEAN, Java find() */
	SL_FN_LOWER,   /* STRING -> STRING */
	SL_FN_UPPER,   /* STRING -> STRING */
	SL_FN_LENGTH,  /* STRING -> INT, in characters (UTF-8 code points) */
	SL_FN_SUBSTR,  /* (STRING, INT pos[, INT len]) -> STRING, 1-based */
	SL_FN_CONCAT,  /* (STRING, ...) -> STRING */
	SL_FN_TRIM,    /* STRING -> STRING, spaces */
	SL_FN_SPLIT,   /* (STRING, STRING regex[, INT limit]) -> ARRAY<STRING> */
	SL_FN_SIZE,    /* ARRAY -> INT; size(NULL) = -1 as Spark */
	SL_FN_CAST,    /* one arg; the node's type is the target type */
	SL_FN_COALESCE,/* args of one type */
	SL_FN_IF,      /* (BOOLEAN, T, T) -> T */
	/* Spark's time windows (TimeWindowing), args (TIMESTAMP ts, BIGINT
	 * size_us, BIGINT slide_us, BIGINT start_us), the last three literals:
	 * the window [s, s + size) with s = the last start <= ts, starts
	 * being start_us + k * slide_us; null when ts is null. */
	SL_FN_WINDOW,       /* -> WINDOW (tumbling: slide == size) */
	SL_FN_WINDOWS,      /* -> ARRAY<WINDOW>: every window that holds ts
			     * (sliding), latest start first, as Spark's
			     * Expand + filter; null when ts is null */
	SL_FN_WINDOW_START, /* WINDOW -> TIMESTAMP (w.start) */
	SL_FN_WINDOW_END,   /* WINDOW -> TIMESTAMP (w.end) */
	SL_FN_SESSION,      /* (TIMESTAMP ts, BIGINT or INTERVAL gap) -> WINDOW
			     * [ts, ts + gap): the session a row opens
			     * (session_window); NULL when ts or gap is NULL
			     * or gap <= 0, as Spark drops such rows */
	SL_FN_TO_TIMESTAMP, /* (STRING, STRING literal pattern) -> TIMESTAMP: Spark's
			     * datetime pattern (y M d H h m s S a, 'quoted'
			     * text); NULL when the text does not match */
	SL_FN_HEADER_KEY,   /* HEADER -> STRING (h.key) */
	SL_FN_HEADER_VALUE, /* HEADER -> BINARY (h.value; null where the header's is) */
	SL_FN__COUNT
};

struct sl_expr {
	enum sl_expr_kind kind;
	enum sl_type type;       /* result type, resolved by the planner */
	enum sl_type elem_type;  /* when type == ARRAY */
	enum sl_fn fn;           /* CALL */
	uint32_t col;            /* COLUMN */
	struct sl_value lit;     /* LITERAL; a STRING literal's bytes are owned by the tree */
	uint32_t nargs;
	struct sl_expr **args;
	uint32_t line, column;   /* where it was written, for run-time errors */
	void *compiled;          /* set by sl_expr_prepare: regex, LIKE matcher; read-only after */
};

/* Per-thread evaluation context. Scratch memory is a bump arena that the
 * caller resets between chunks; it grows only while a core warms up. */
struct sl_eval_ctx;

struct sl_eval_ctx *sl_eval_ctx_create(void);
void sl_eval_ctx_destroy(struct sl_eval_ctx *ctx);
/* Forget every vector and string handed out since the last reset. */
void sl_eval_ctx_reset(struct sl_eval_ctx *ctx);
/* Scratch memory that lives until the next reset (8-byte aligned). */
void *sl_eval_ctx_alloc(struct sl_eval_ctx *ctx, size_t n);

/* Compile what the tree needs (regexes, LIKE patterns) once, before the
 * cores start. Returns 0 or -errno; on a bad pattern, -EINVAL with a message
 * naming line, column and the pattern written to err. */
int sl_expr_prepare(struct sl_expr *e, char *err, size_t errlen);
void sl_expr_release(struct sl_expr *e); /* frees what prepare made */
void sl_expr_free(struct sl_expr *e);    /* frees the tree, release included */

/* Evaluate e over every row of in; out's storage comes from ctx. */
int sl_expr_eval(const struct sl_expr *e, const struct sl_chunk *in,
		 struct sl_eval_ctx *ctx, struct sl_vec *out);

/* The string conversions of CAST (Spark, non-ANSI), for the parsers of
 * outside text (CSV, JSON): true and *out set, or false where CAST gives
 * NULL. Thread-safe; no allocation except a double of over 127 bytes. */
bool sl_text_to_bool(const char *s, uint32_t len, bool *out);
/* is_int: the INT range, else BIGINT's; a fraction is dropped ("1.9" -> 1). */
bool sl_text_to_integral(const char *s, uint32_t len, bool is_int, int64_t *out);
bool sl_text_to_double(const char *s, uint32_t len, double *out);
/* CAST(s AS TIMESTAMP), UTC. */
bool sl_text_to_timestamp(const char *s, uint32_t len, int64_t *out);
/* to_timestamp(s, pattern) with a Spark datetime pattern (y M d H h m s S
 * a, 'quoted' text), UTC; false when the text does not match it whole. */
bool sl_text_to_timestamp_pattern(const char *s, uint32_t len, const char *pat, uint32_t plen,
				  int64_t *out);

#endif
