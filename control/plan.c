/*
 * plan.c — the planner: resolves names and types in a parsed script and
 * lowers each CREATE SINK into a struct sl_plan (plan_types.h); also
 * settings (SET), sources (CREATE SOURCE), static tables (CREATE TABLE) and
 * EXPLAIN text.
 *
 * Lowering, for one query (and recursively for derived tables):
 *   FROM source                 -> the plan's source; its schema is the first chunk
 *   FROM (query) alias          -> the inner query's ops, then the outer's
 *   FROM s JOIN t ON ... | USING -> SL_OP_JOIN_STATIC: t a static table (CREATE
 *                                  TABLE), keys the ON's equalities between the
 *                                  two sides, the rest a residual condition;
 *                                  the plan carries t's definition (tables[])
 *   LATERAL VIEW explode(e) t c -> SL_OP_EXPLODE (adds column c)
 *   WHERE e                     -> SL_OP_FILTER
 *   explode(e) in a select list -> SL_OP_EXPLODE, then the select list
 *   select list                 -> SL_OP_PROJECT in a derived table (unless it is
 *                                  the identity), plan.out at the top
 *   GROUP BY / aggregates       -> plan.keys and plan.aggs over the pipeline
 *                                  output; select list and HAVING rewritten over
 *                                  the aggregate chunk [keys..., aggs...]
 *   a query over an aggregated derived table
 *                               -> its WHERE joins HAVING and its select list is
 *                                  composed into plan.out (nothing runs after the
 *                                  aggregate but HAVING and the projection)
 *
 * Invariants of every tree this file hands out (what the evaluator trusts):
 *  - every node's type is resolved; arguments have the types expr.h lists for
 *    the function, through CAST nodes inserted here (Spark's implicit casts:
 *    INT < BIGINT < DOUBLE widening; a string compared with another type is
 *    cast to that type (PromoteStrings); a string in arithmetic is cast to
 *    DOUBLE; string functions cast their arguments to STRING; `/` works in
 *    DOUBLE);
 *  - a NULL literal that must have a type gets it directly (no CAST node);
 *  - LIKE, RLIKE and split patterns are STRING literals;
 *  - no tree is deeper than SL_SQL_MAX_DEPTH (sql_parse.h), so that the
 *    recursive walks after this one (EXPLAIN, prepare, evaluation on the
 *    cores, free) stay within a thread's stack;
 *  - a plan fits the engine's fixed arrays: at most SL_BLOCK_MAX_COLS source
 *    columns, group keys, aggregates and columns shipped per row.
 *
 * Output names follow Spark: the alias, else the column's name, else Spark's
 * pretty SQL text of the expression (sl_ast_pretty).
 *
 * Runs on the control thread at plan time; allocates freely.
 */
#include "plan.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "block.h"
#include "combiner.h"
#include "format.h"
#include "hll.h"
#include "pipeline.h"
#include "sink.h"
#include "source.h"
#include "sql_lex.h"
#include "sql_parse.h"
#include "static_table.h"

/* ------------------------------------------------------------- settings */

void sl_settings_default(struct sl_settings *s, unsigned ncpu)
{
	memset(s, 0, sizeof(*s));
	if (ncpu == 0)
		ncpu = 1;
	if (ncpu == 1) {
		s->n_ingest = 1;
		s->ingest_cores[0] = 0;
		s->n_agg = 1;
		s->agg_cores[0] = 0;
	} else {
		uint32_t ni = ncpu / 2;
		uint32_t na = ncpu - ni;
		if (ni > 64)
			ni = 64;
		if (na > 64)
			na = 64;
		s->n_ingest = ni;
		for (uint32_t i = 0; i < ni; i++)
			s->ingest_cores[i] = (int)i;
		s->n_agg = na;
		for (uint32_t i = 0; i < na; i++)
			s->agg_cores[i] = (int)(ncpu / 2 + i);
	}
	s->shards = 0;
	s->max_line_length = 1u << 20;
	s->ring_slots = 64;
	s->blocks_per_core = 0;
	s->combiner = true;
	s->min_deltas_for_snapshot = 10;
	s->min_batches_to_retain = 100;
}

/* Defaults for the CPUs this process may run on (taskset, cgroups): the
 * planner's layout for that many CPUs, mapped onto their real ids. */
void sl_settings_for_process(struct sl_settings *s)
{
	int allowed[CPU_SETSIZE];
	unsigned n = 0;
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				allowed[n++] = c;
	}
	if (n == 0) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		n = ncpu > 0 ? (unsigned)ncpu : 1;
		for (unsigned i = 0; i < n && i < CPU_SETSIZE; i++)
			allowed[i] = (int)i;
	}
	sl_settings_default(s, n);
	for (uint32_t i = 0; i < s->n_ingest; i++)
		if (s->ingest_cores[i] >= 0 && (unsigned)s->ingest_cores[i] < n)
			s->ingest_cores[i] = allowed[s->ingest_cores[i]];
	for (uint32_t i = 0; i < s->n_agg; i++)
		if (s->agg_cores[i] >= 0 && (unsigned)s->agg_cores[i] < n)
			s->agg_cores[i] = allowed[s->agg_cores[i]];
}

#define SL_MAX_CPU_ID 1023

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool parse_cpu_id(const char **sp, long *out)
{
	const char *s = skip_ws(*sp);
	if (*s < '0' || *s > '9')
		return false;
	long v = 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s - '0');
		if (v > SL_MAX_CPU_ID + 1)
			v = SL_MAX_CPU_ID + 1; /* saturate; reported below */
		s++;
	}
	*sp = skip_ws(s);
	*out = v;
	return true;
}

int sl_cpu_list_parse(const char *s, int *cpus, uint32_t max, uint32_t *n, char *msg,
		      size_t msglen)
{
	uint32_t count = 0;
	const char *p = s;
	for (;;) {
		long lo, hi;
		if (!parse_cpu_id(&p, &lo)) {
			snprintf(msg, msglen,
				 "a CPU list is CPU numbers and ranges such as '0', '0-3' or "
				 "'0,2,4-5', not '%s'",
				 s);
			return -EINVAL;
		}
		hi = lo;
		if (*p == '-') {
			p++;
			if (!parse_cpu_id(&p, &hi)) {
				snprintf(msg, msglen,
					 "a CPU list is CPU numbers and ranges such as '0', '0-3' "
					 "or '0,2,4-5', not '%s'",
					 s);
				return -EINVAL;
			}
		}
		if (lo > SL_MAX_CPU_ID || hi > SL_MAX_CPU_ID) {
			snprintf(msg, msglen, "CPU numbers go from 0 to %d, not '%s'", SL_MAX_CPU_ID, s);
			return -EINVAL;
		}
		if (hi < lo) {
			snprintf(msg, msglen, "CPU range %ld-%ld runs backwards", lo, hi);
			return -EINVAL;
		}
		/* a CPU listed again gets one more thread (e.g. '0,0' or
		 * '0-1,0-1': more threads than CPUs, for SMT or to try a wide
		 * topology on a small machine) */
		for (long c = lo; c <= hi; c++) {
			if (count == max) {
				snprintf(msg, msglen, "at most %u CPUs may be listed, '%s' has more", max, s);
				return -EINVAL;
			}
			cpus[count++] = (int)c;
		}
		if (*p == '\0')
			break;
		if (*p != ',') {
			snprintf(msg, msglen,
				 "a CPU list is CPU numbers and ranges such as '0', '0-3' or "
				 "'0,2,4-5', not '%s'",
				 s);
			return -EINVAL;
		}
		p++;
	}
	*n = count;
	return 0;
}

void sl_cpu_list_format(const int *cpus, uint32_t n, char *buf, size_t len)
{
	size_t used = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	for (uint32_t i = 0; i < n && used < len;) {
		uint32_t j = i;
		while (j + 1 < n && cpus[j] >= 0 && cpus[j + 1] == cpus[j] + 1)
			j++;
		int w;
		const char *sep = i ? "," : "";
		if (cpus[i] < 0)
			w = snprintf(buf + used, len - used, "%sunpinned", sep);
		else if (j == i)
			w = snprintf(buf + used, len - used, "%s%d", sep, cpus[i]);
		else
			w = snprintf(buf + used, len - used, "%s%d-%d", sep, cpus[i], cpus[j]);
		if (w < 0)
			return;
		used += (size_t)w;
		i = j + 1;
	}
}

/* -------------------------------------------------------- compiler state */

struct source_def {
	struct sl_source_spec spec; /* owned */
	uint32_t name_line, name_column;
};

struct sink_name {
	char name[SL_NAME_MAX];
	uint32_t line, column;
};

struct compiler {
	const char *text;
	struct sl_script *script;
	struct sl_settings settings; /* base + SETs so far */
	struct source_def *sources;
	uint32_t nsources;
	struct sink_name *sinks;
	uint32_t nsinks;
	struct source_def *tables; /* CREATE TABLE: spec.def is the table's */
	uint32_t ntables;
	struct sl_program *prog;
	char *err;
	size_t errlen;
	int rc; /* first error wins */
	uint32_t nodes; /* typed nodes built for the current statement */
};

/* Typed expression nodes one statement may build. Rewrites copy operands
 * (x BETWEEN a AND b uses x twice, x IN (a, b, c) three times, CASE x WHEN
 * once per arm), so nesting them grows the tree exponentially with the
 * text: without a bound, a few hundred bytes of SQL exhaust the memory
 * (bug nested_between_exponential_tree). An IN list of tens of thousands
 * of values stays well below. */
#define SL_PLAN_MAX_NODES (1u << 18)

__attribute__((format(printf, 4, 5))) static void *cerr(struct compiler *c, uint32_t line,
						       uint32_t column, const char *fmt, ...)
{
	if (c->rc != 0)
		return NULL;
	c->rc = -EINVAL;
	int n = snprintf(c->err, c->errlen, "line %u, column %u: ", line, column);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

static void *coom(struct compiler *c)
{
	if (c->rc == 0) {
		c->rc = -ENOMEM;
		snprintf(c->err, c->errlen, "out of memory while planning");
	}
	return NULL;
}

/* A message from elsewhere (a connector's validate) that already carries
 * its position. */
static void *cerr_raw(struct compiler *c, const char *msg)
{
	if (c->rc != 0)
		return NULL;
	c->rc = -EINVAL;
	if (c->err != msg)
		snprintf(c->err, c->errlen, "%s", msg);
	return NULL;
}

/* Copy a name into a fixed SL_NAME_MAX field, cut at a UTF-8 boundary. */
static void name_copy(char *dst, const char *src, size_t n)
{
	if (n > SL_NAME_MAX - 1) {
		n = SL_NAME_MAX - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Spark's pretty text of an AST into a fixed buffer (messages, names). */
static void pretty(const struct sl_ast *a, char *buf, size_t len)
{
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	if (sl_ast_pretty(a, &sb) == 0 && sb.ptr != NULL)
		snprintf(buf, len, "%.*s", (int)(sb.len > len ? len : sb.len), sb.ptr);
	else
		snprintf(buf, len, "?");
	sl_strbuf_free(&sb);
}

static void pretty_name(const struct sl_ast *a, char name[SL_NAME_MAX])
{
	/* Spark's TimeWindowing names its column `window` */
	if (a->kind == SL_AST_CALL && strcmp(a->name, "window") == 0) {
		name_copy(name, "window", 6);
		return;
	}
	if (a->kind == SL_AST_CALL && strcmp(a->name, "session_window") == 0) {
		name_copy(name, "session_window", 14);
		return;
	}
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	if (sl_ast_pretty(a, &sb) == 0 && sb.ptr != NULL)
		name_copy(name, sb.ptr, strnlen(sb.ptr, sb.len));
	else
		name[0] = '\0';
	sl_strbuf_free(&sb);
}

/* "ARRAY<STRING>" or the scalar type's name. */
static const char *type_text(enum sl_type t, enum sl_type elem, char *buf, size_t len)
{
	if (t == SL_TYPE_ARRAY) {
		snprintf(buf, len, "ARRAY<%s>", sl_type_name(elem));
		return buf;
	}
	return sl_type_name(t);
}

static const char *etype(const struct sl_expr *e, char *buf, size_t len)
{
	return type_text(e->type, e->elem_type, buf, len);
}

/* ------------------------------------------------------- schema/options */

static void schema_free(struct sl_schema *s)
{
	free(s->cols);
	s->cols = NULL;
	s->ncols = 0;
}

static int schema_copy(struct sl_schema *dst, const struct sl_schema *src)
{
	dst->ncols = src->ncols;
	dst->cols = NULL;
	if (src->ncols == 0)
		return 0;
	dst->cols = malloc(src->ncols * sizeof(*dst->cols));
	if (dst->cols == NULL) {
		dst->ncols = 0;
		return -ENOMEM;
	}
	memcpy(dst->cols, src->cols, src->ncols * sizeof(*dst->cols));
	return 0;
}

static void options_free(struct sl_options *o)
{
	for (uint32_t i = 0; i < o->n; i++) {
		free(o->v[i].key);
		free(o->v[i].value);
	}
	free(o->v);
	o->v = NULL;
	o->n = 0;
}

static int options_copy(struct sl_options *dst, const struct sl_options *src)
{
	dst->n = 0;
	dst->v = NULL;
	if (src->n == 0)
		return 0;
	dst->v = calloc(src->n, sizeof(*dst->v));
	if (dst->v == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < src->n; i++) {
		dst->v[i] = src->v[i];
		dst->v[i].key = strdup(src->v[i].key);
		dst->v[i].value = strdup(src->v[i].value);
		dst->n = i + 1;
		if (dst->v[i].key == NULL || dst->v[i].value == NULL)
			return -ENOMEM;
	}
	return 0;
}

static int options_add(struct sl_options *o, const struct sl_ast_option *a)
{
	struct sl_option *nv = realloc(o->v, (o->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	o->v = nv;
	struct sl_option *opt = &o->v[o->n];
	opt->key = strdup(a->key);
	opt->value = strdup(a->value);
	opt->line = a->line;
	opt->column = a->column;
	o->n++;
	if (opt->key == NULL || opt->value == NULL)
		return -ENOMEM;
	return 0;
}

/* The last occurrence of key in a statement's WITH list, as
 * sl_options_find does: later options override earlier ones. */
static const struct sl_ast_option *stmt_option(const struct sl_stmt *s, const char *key)
{
	for (uint32_t i = s->noptions; i-- > 0;)
		if (strcmp(s->options[i].key, key) == 0)
			return &s->options[i];
	return NULL;
}

/* ------------------------------------------------------------ typed trees */

static void x_free(struct sl_expr *e)
{
	if (e != NULL)
		sl_expr_free(e);
}

static struct sl_expr *x_alloc(struct compiler *c, enum sl_expr_kind kind, enum sl_type type,
			       uint32_t line, uint32_t column)
{
	if (++c->nodes > SL_PLAN_MAX_NODES)
		return cerr(c, line, column,
			    "the query is too large once its rewrites are expanded: more than %u "
			    "expression nodes (BETWEEN, IN and CASE x WHEN repeat their first "
			    "operand; nesting them multiplies it); simplify the expression",
			    SL_PLAN_MAX_NODES);
	struct sl_expr *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return coom(c);
	e->kind = kind;
	e->type = type;
	e->line = line;
	e->column = column;
	return e;
}

static struct sl_expr *x_lit(struct compiler *c, const struct sl_value *v, uint32_t line,
			     uint32_t column)
{
	struct sl_expr *e = x_alloc(c, SL_EXPR_LITERAL, v->type, line, column);
	if (e == NULL)
		return NULL;
	e->lit = *v;
	if (sl_type_is_bytes(v->type) && !v->is_null) {
		/* the tree owns its literal bytes (sl_expr_free frees them) */
		char *b = malloc(v->v.str.len + 1);
		if (b == NULL) {
			free(e);
			return coom(c);
		}
		memcpy(b, v->v.str.ptr, v->v.str.len);
		b[v->v.str.len] = '\0';
		e->lit.v.str.ptr = b;
	}
	return e;
}

static struct sl_expr *x_null(struct compiler *c, enum sl_type type, uint32_t line, uint32_t column)
{
	struct sl_value v = {.type = type, .is_null = true};
	struct sl_expr *e = x_lit(c, &v, line, column);
	if (e != NULL && type == SL_TYPE_ARRAY)
		e->elem_type = SL_TYPE_STRING;
	return e;
}

static struct sl_expr *x_col(struct compiler *c, uint32_t idx, enum sl_type type, enum sl_type elem,
			     uint32_t line, uint32_t column)
{
	struct sl_expr *e = x_alloc(c, SL_EXPR_COLUMN, type, line, column);
	if (e == NULL)
		return NULL;
	e->col = idx;
	e->elem_type = elem;
	return e;
}

/* A call node owning args[0..n); any NULL arg (an earlier error) or an
 * allocation failure frees them all. */
static struct sl_expr *x_call(struct compiler *c, enum sl_fn fn, enum sl_type type, uint32_t line,
			      uint32_t column, uint32_t n, struct sl_expr **args)
{
	bool ok = true;
	for (uint32_t i = 0; i < n; i++)
		ok = ok && args[i] != NULL;
	struct sl_expr *e = ok ? x_alloc(c, SL_EXPR_CALL, type, line, column) : NULL;
	struct sl_expr **v = e != NULL && n > 0 ? malloc(n * sizeof(*v)) : NULL;
	if (e == NULL || (n > 0 && v == NULL)) {
		if (e != NULL)
			coom(c);
		free(e);
		for (uint32_t i = 0; i < n; i++)
			x_free(args[i]);
		return NULL;
	}
	memcpy(v, args, n * sizeof(*v));
	e->fn = fn;
	e->nargs = n;
	e->args = v;
	return e;
}

static struct sl_expr *x_call1(struct compiler *c, enum sl_fn fn, enum sl_type type,
			       const struct sl_ast *at, struct sl_expr *a)
{
	struct sl_expr *args[1] = {a};
	return x_call(c, fn, type, at->line, at->column, 1, args);
}

static struct sl_expr *x_call2(struct compiler *c, enum sl_fn fn, enum sl_type type,
			       const struct sl_ast *at, struct sl_expr *a, struct sl_expr *b)
{
	struct sl_expr *args[2] = {a, b};
	return x_call(c, fn, type, at->line, at->column, 2, args);
}

static struct sl_expr *x_call3(struct compiler *c, enum sl_fn fn, enum sl_type type,
			       const struct sl_ast *at, struct sl_expr *a, struct sl_expr *b,
			       struct sl_expr *d)
{
	struct sl_expr *args[3] = {a, b, d};
	return x_call(c, fn, type, at->line, at->column, 3, args);
}

static struct sl_expr *x_copy(struct compiler *c, const struct sl_expr *e)
{
	struct sl_expr *d;
	if (e->kind == SL_EXPR_LITERAL) {
		d = x_lit(c, &e->lit, e->line, e->column);
		if (d != NULL)
			d->elem_type = e->elem_type;
		return d;
	}
	d = x_alloc(c, e->kind, e->type, e->line, e->column);
	if (d == NULL)
		return NULL;
	d->elem_type = e->elem_type;
	d->fn = e->fn;
	d->col = e->col;
	if (e->nargs > 0) {
		d->args = calloc(e->nargs, sizeof(*d->args));
		if (d->args == NULL) {
			free(d);
			return coom(c);
		}
		d->nargs = e->nargs;
		for (uint32_t i = 0; i < e->nargs; i++) {
			d->args[i] = x_copy(c, e->args[i]);
			if (d->args[i] == NULL) {
				sl_expr_free(d);
				return NULL;
			}
		}
	}
	return d;
}

/* A copy of e with every column i replaced by a copy of repl[i]: composes
 * a query over an aggregated derived table into the aggregate's chunk. */
static struct sl_expr *x_subst(struct compiler *c, const struct sl_expr *e,
			       struct sl_expr *const *repl)
{
	if (e->kind == SL_EXPR_COLUMN)
		return x_copy(c, repl[e->col]);
	if (e->kind == SL_EXPR_LITERAL)
		return x_copy(c, e);
	struct sl_expr **args = calloc(e->nargs ? e->nargs : 1, sizeof(*args));
	if (args == NULL)
		return coom(c);
	for (uint32_t i = 0; i < e->nargs; i++)
		args[i] = x_subst(c, e->args[i], repl);
	struct sl_expr *d = x_call(c, e->fn, e->type, e->line, e->column, e->nargs, args);
	if (d != NULL)
		d->elem_type = e->elem_type;
	free(args);
	return d;
}

static bool value_equal(const struct sl_value *a, const struct sl_value *b)
{
	if (a->type != b->type || a->is_null != b->is_null)
		return false;
	if (a->is_null)
		return true;
	switch (a->type) {
	case SL_TYPE_BOOLEAN: return a->v.b == b->v.b;
	case SL_TYPE_DOUBLE: return memcmp(&a->v.f64, &b->v.f64, sizeof(double)) == 0;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		return a->v.str.len == b->v.str.len &&
		       memcmp(a->v.str.ptr, b->v.str.ptr, a->v.str.len) == 0;
	case SL_TYPE_NULL: return true;
	default: return a->v.i64 == b->v.i64;
	}
}

/* Structural equality of typed trees (Spark's semanticEquals, minus
 * commutativity): how select items find their GROUP BY key. */
static bool x_equal(const struct sl_expr *a, const struct sl_expr *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->kind != b->kind || a->type != b->type || a->nargs != b->nargs)
		return false;
	if (a->type == SL_TYPE_ARRAY && a->elem_type != b->elem_type)
		return false;
	switch (a->kind) {
	case SL_EXPR_LITERAL: return value_equal(&a->lit, &b->lit);
	case SL_EXPR_COLUMN: return a->col == b->col;
	case SL_EXPR_CALL:
		if (a->fn != b->fn)
			return false;
		for (uint32_t i = 0; i < a->nargs; i++)
			if (!x_equal(a->args[i], b->args[i]))
				return false;
		return true;
	}
	return false;
}

static bool x_has_column(const struct sl_expr *e)
{
	if (e->kind == SL_EXPR_COLUMN)
		return true;
	for (uint32_t i = 0; i < e->nargs; i++)
		if (x_has_column(e->args[i]))
			return true;
	return false;
}

/* ------------------------------------------------------------------ types */

static bool is_scalar(enum sl_type t)
{
	return t != SL_TYPE_ARRAY && t != SL_TYPE_HEADER;
}

static enum sl_type wider_numeric(enum sl_type a, enum sl_type b)
{
	if (a == SL_TYPE_DOUBLE || b == SL_TYPE_DOUBLE)
		return SL_TYPE_DOUBLE;
	if (a == SL_TYPE_BIGINT || b == SL_TYPE_BIGINT)
		return SL_TYPE_BIGINT;
	return SL_TYPE_INT;
}

/* Spark's findWiderTypeForTwo with string promotion: the type that both
 * branches of IF/CASE/COALESCE/IN become. */
static bool wider_type(enum sl_type a, enum sl_type b, enum sl_type *out)
{
	if (a == b) {
		*out = a;
		return true;
	}
	if (a == SL_TYPE_NULL || b == SL_TYPE_NULL) {
		*out = a == SL_TYPE_NULL ? b : a;
		return true;
	}
	if (sl_type_is_numeric(a) && sl_type_is_numeric(b)) {
		*out = wider_numeric(a, b);
		return true;
	}
	/* Spark's stringPromotion leaves BINARY out: a binary mixes with
	 * nothing but a binary (and NULL) */
	if (a == SL_TYPE_BINARY || b == SL_TYPE_BINARY)
		return false;
	if ((a == SL_TYPE_STRING && is_scalar(b)) || (b == SL_TYPE_STRING && is_scalar(a))) {
		*out = SL_TYPE_STRING;
		return true;
	}
	return false;
}

/* Spark's findCommonTypeForBinaryComparison (non-ANSI): numbers widen; a
 * string meets any other scalar type as that type (a BINARY as BINARY: the
 * string's bytes). */
static bool cmp_type(enum sl_type a, enum sl_type b, enum sl_type *out)
{
	if (!is_scalar(a) || !is_scalar(b)) /* sluice compares no arrays or headers */
		return false;
	if (a == b) {
		*out = a;
		return true;
	}
	if (a == SL_TYPE_NULL || b == SL_TYPE_NULL) {
		*out = a == SL_TYPE_NULL ? b : a;
		return true;
	}
	if (sl_type_is_numeric(a) && sl_type_is_numeric(b)) {
		*out = wider_numeric(a, b);
		return true;
	}
	if (a == SL_TYPE_STRING) {
		*out = b;
		return true;
	}
	if (b == SL_TYPE_STRING) {
		*out = a;
		return true;
	}
	return false;
}

/* Convert a literal in place where the result is certain: numbers widen
 * exactly, and numbers and booleans print as Spark casts them to STRING.
 * Other casts (from strings, to timestamps) stay CAST nodes for the
 * evaluator. False when not folded (or on ENOMEM, with c->rc set). */
static bool fold_literal(struct compiler *c, struct sl_expr *e, enum sl_type t)
{
	struct sl_value *v = &e->lit;
	if (sl_type_is_integer(v->type) && (t == SL_TYPE_BIGINT || t == SL_TYPE_DOUBLE)) {
		if (t == SL_TYPE_DOUBLE)
			v->v.f64 = (double)v->v.i64;
	} else if (sl_type_is_bytes(v->type) && sl_type_is_bytes(t)) {
		/* STRING <-> BINARY: the same bytes (the tree owns them) */
	} else if (v->type == SL_TYPE_STRING || t != SL_TYPE_STRING ||
		   (!sl_type_is_numeric(v->type) && v->type != SL_TYPE_BOOLEAN)) {
		return false;
	} else {
		char buf[SL_FORMAT_MAX];
		if (v->type == SL_TYPE_BOOLEAN)
			snprintf(buf, sizeof(buf), "%s", v->v.b ? "true" : "false");
		else if (v->type == SL_TYPE_DOUBLE)
			sl_format_double(v->v.f64, buf, sizeof(buf));
		else
			sl_format_i64(v->v.i64, buf, sizeof(buf));
		char *s = strdup(buf);
		if (s == NULL) {
			coom(c);
			return false;
		}
		v->v.str.ptr = s;
		v->v.str.len = (uint32_t)strlen(s);
	}
	v->type = t;
	e->type = t;
	return true;
}

/* e as type t: unchanged, a typed NULL literal, or under a CAST node.
 * Frees e on failure. */
static struct sl_expr *to_type(struct compiler *c, struct sl_expr *e, enum sl_type t)
{
	if (e == NULL)
		return NULL;
	if (e->type == t)
		return e;
	if (e->type == SL_TYPE_NULL && e->kind != SL_EXPR_LITERAL) {
		/* always null and free of side effects: a typed NULL says it
		 * without asking the evaluator to cast a VOID vector */
		struct sl_expr *n = x_null(c, t, e->line, e->column);
		x_free(e);
		return n;
	}
	if (e->kind == SL_EXPR_LITERAL && e->lit.is_null) {
		e->type = t;
		e->lit.type = t;
		if (t == SL_TYPE_ARRAY)
			e->elem_type = SL_TYPE_STRING;
		return e;
	}
	if (e->kind == SL_EXPR_LITERAL && fold_literal(c, e, t))
		return e;
	if (c->rc != 0) {
		x_free(e);
		return NULL;
	}
	return x_call1(c, SL_FN_CAST, t, &(struct sl_ast){.line = e->line, .column = e->column}, e);
}

/* ------------------------------------------------------- scope (columns) */

struct pcol {
	char name[SL_NAME_MAX];
	char qual[SL_NAME_MAX]; /* "" when the column has no qualifier */
	enum sl_type type, elem_type;
	bool hidden; /* explode's output in a select list: not nameable */
	bool event_time; /* the source's WATERMARK column, or a bare copy of it */
	/* the other side's copy of a USING column (Spark's hidden output of
	 * a join): named only with its qualifier (t.k), and in t.*, not in * */
	bool qualified_only;
};

/* The columns a query's clauses see. When post_agg, the rows are a
 * finished aggregate: column i is agg_exprs[i] over the aggregate chunk. */
struct rel {
	uint32_t ncols;
	struct pcol *cols;
	bool post_agg;
	struct sl_expr **agg_exprs; /* post_agg: [ncols], owned */
};

static void rel_free(struct rel *r)
{
	if (r->agg_exprs != NULL)
		for (uint32_t i = 0; i < r->ncols; i++)
			x_free(r->agg_exprs[i]);
	free(r->agg_exprs);
	free(r->cols);
	memset(r, 0, sizeof(*r));
}

static struct pcol *rel_add(struct compiler *c, struct rel *r)
{
	struct pcol *nv = realloc(r->cols, (r->ncols + 1) * sizeof(*nv));
	if (nv == NULL)
		return coom(c);
	r->cols = nv;
	struct pcol *p = &r->cols[r->ncols++];
	memset(p, 0, sizeof(*p));
	return p;
}

static void schema_names(const struct sl_schema *sc, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < sc->ncols && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", sc->cols[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void rel_names(const struct rel *r, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < r->ncols && used < len; i++) {
		if (r->cols[i].hidden || r->cols[i].qualified_only)
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", r->cols[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* 0 and *idx, -ENOENT (unknown) or -EEXIST (ambiguous). */
static int rel_find(const struct rel *r, const char *qual, const char *name, uint32_t *idx)
{
	int found = 0;
	for (uint32_t i = 0; i < r->ncols; i++) {
		const struct pcol *p = &r->cols[i];
		if (p->hidden || strcasecmp(p->name, name) != 0)
			continue;
		if (qual != NULL ? strcasecmp(p->qual, qual) != 0 : p->qualified_only)
			continue;
		if (found++ == 0)
			*idx = i;
	}
	if (found == 0)
		return -ENOENT;
	return found == 1 ? 0 : -EEXIST;
}

static bool rel_has_qual(const struct rel *r, const char *qual)
{
	for (uint32_t i = 0; i < r->ncols; i++)
		if (strcasecmp(r->cols[i].qual, qual) == 0)
			return true;
	return false;
}

static int rel_to_schema(const struct rel *r, struct sl_schema *s)
{
	s->ncols = r->ncols;
	s->cols = r->ncols ? calloc(r->ncols, sizeof(*s->cols)) : NULL;
	if (r->ncols && s->cols == NULL) {
		s->ncols = 0;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < r->ncols; i++) {
		memcpy(s->cols[i].name, r->cols[i].name, SL_NAME_MAX);
		s->cols[i].type = r->cols[i].type;
		s->cols[i].elem_type = r->cols[i].elem_type;
	}
	return 0;
}

/* ---------------------------------------------------- expression building */

struct planner {
	struct compiler *c;
	struct sl_plan *plan;
	/* a sliding window() group key: the array expression that the
	 * pipeline explodes, and the key it became (select items that
	 * repeat the call resolve to that key) */
	struct sl_expr *sliding;
	uint32_t sliding_key;
	bool allow_sliding; /* while building GROUP BY and its select list */
	/* UNION ALL: the input being lowered (0: the plan's first; k: the
	 * plan's unions[k - 1], which sits in plan->input meanwhile), and for
	 * each union input k, the input whose operators it repeats from then
	 * on: twin_of[k - 1], from its operator twin_from[k - 1] */
	uint32_t cur;
	uint32_t *twin_of;
	uint32_t *twin_from;
};

enum bmode {
	MODE_PLAIN, /* over the scope's columns */
	MODE_AGG,   /* over the aggregate chunk: keys and aggregates only */
};

struct bctx {
	struct planner *pl;
	const struct rel *rel;
	enum bmode mode;
	const char *clause;        /* where we are, for "not allowed in ..." */
	bool in_agg;               /* inside an aggregate's argument */
	const struct sl_ast *item; /* the select item being built, if any */
	/* MODE_AGG, HAVING: select aliases resolve before input columns */
	uint32_t nalias;
	const char *const *alias_names;
	struct sl_expr *const *alias_exprs;
};

static struct sl_expr *build(struct bctx *b, const struct sl_ast *a);

static bool is_agg_name(const char *n)
{
	return strcmp(n, "count") == 0 || strcmp(n, "sum") == 0 || strcmp(n, "min") == 0 ||
	       strcmp(n, "max") == 0 || strcmp(n, "avg") == 0 || strcmp(n, "mean") == 0 ||
	       strcmp(n, "approx_count_distinct") == 0;
}

static bool is_gen_call(const struct sl_ast *a)
{
	return a->kind == SL_AST_CALL && strcmp(a->name, "explode") == 0;
}

static bool ast_contains_agg(const struct sl_ast *a)
{
	if (a->kind == SL_AST_CALL && is_agg_name(a->name))
		return true;
	for (uint32_t i = 0; i < a->nargs; i++)
		if (ast_contains_agg(a->args[i]))
			return true;
	return false;
}

static const struct sl_ast *ast_find_agg(const struct sl_ast *a)
{
	if (a->kind == SL_AST_CALL && is_agg_name(a->name))
		return a;
	for (uint32_t i = 0; i < a->nargs; i++) {
		const struct sl_ast *f = ast_find_agg(a->args[i]);
		if (f != NULL)
			return f;
	}
	return NULL;
}

static const struct sl_ast *ast_find_gen(const struct sl_ast *a)
{
	if (is_gen_call(a))
		return a;
	for (uint32_t i = 0; i < a->nargs; i++) {
		const struct sl_ast *f = ast_find_gen(a->args[i]);
		if (f != NULL)
			return f;
	}
	return NULL;
}

/* The functions sluice knows, for lookups and "did you mean". */
static const char *const known_fns[] = {
	"approx_count_distinct", "avg", "char_length", "character_length", "coalesce", "concat",
	"count", "explode",
	"if", "lcase", "length", "lower", "max", "mean", "min", "session_window", "size", "split",
	"substr", "substring", "sum", "to_timestamp", "trim", "ucase", "upper", "window",
};

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	size_t d[41][41];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t m = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < m)
				m = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < m)
				m = d[i - 1][j - 1] + cost;
			d[i][j] = m;
		}
	}
	return d[la][lb];
}

static void *unknown_function(struct bctx *b, const struct sl_ast *a)
{
	char near[256] = "", all[512] = "";
	size_t nu = 0, au = 0;
	for (size_t i = 0; i < sizeof(known_fns) / sizeof(known_fns[0]); i++) {
		int w = snprintf(all + au, sizeof(all) - au, "%s%s", au ? ", " : "", known_fns[i]);
		if (w > 0 && (size_t)w < sizeof(all) - au)
			au += (size_t)w;
		if (edit_distance(a->name, known_fns[i]) <= 2) {
			w = snprintf(near + nu, sizeof(near) - nu, "%s%s", nu ? ", " : "", known_fns[i]);
			if (w > 0 && (size_t)w < sizeof(near) - nu)
				nu += (size_t)w;
		}
	}
	if (nu > 0)
		return cerr(b->pl->c, a->line, a->column, "unknown function '%s'; did you mean %s?",
			    a->name, near);
	return cerr(b->pl->c, a->line, a->column, "unknown function '%s' (functions: %s)", a->name,
		    all);
}

static void *nargs_error(struct bctx *b, const struct sl_ast *a, const char *expect)
{
	return cerr(b->pl->c, a->line, a->column, "%s expects %s, got %u", a->name, expect, a->nargs);
}

/* Spark's AMBIGUOUS_REFERENCE: a name that more than one column of the
 * scope answers to (two sides of a join, two select items of a derived
 * table), with the candidates as `qualifier`.`name`. */
static void *ambiguous(struct compiler *c, const struct rel *r, const struct sl_ast *a)
{
	char cands[512];
	size_t used = 0;
	bool qualified = false;
	cands[0] = '\0';
	for (uint32_t i = 0; i < r->ncols && used < sizeof(cands); i++) {
		const struct pcol *p = &r->cols[i];
		if (p->hidden || strcasecmp(p->name, a->name) != 0 ||
		    (a->qualifier != NULL ? strcasecmp(p->qual, a->qualifier) != 0 : p->qualified_only))
			continue;
		int w = p->qual[0] != '\0'
				? snprintf(cands + used, sizeof(cands) - used, "%s`%s`.`%s`",
					   used ? ", " : "", p->qual, p->name)
				: snprintf(cands + used, sizeof(cands) - used, "%s`%s`",
					   used ? ", " : "", p->name);
		if (w < 0)
			break;
		used += (size_t)w;
		qualified = qualified || p->qual[0] != '\0';
	}
	char ref[2 * SL_NAME_MAX + 8];
	if (a->qualifier != NULL)
		snprintf(ref, sizeof(ref), "`%s`.`%s`", a->qualifier, a->name);
	else
		snprintf(ref, sizeof(ref), "`%s`", a->name);
	return cerr(c, a->line, a->column,
		    "[AMBIGUOUS_REFERENCE] Reference %s is ambiguous, could be: [%s]; %s", ref, cands,
		    qualified && a->qualifier == NULL
			    ? "qualify it with its table's name or alias (t.name)"
			    : "give the columns different names");
}

/* Column reference in MODE_PLAIN. */
static struct sl_expr *build_column(struct bctx *b, const struct sl_ast *a)
{
	struct compiler *c = b->pl->c;
	uint32_t idx = 0;
	if (a->bound) {
		idx = a->bound_index;
	} else {
		int rc = rel_find(b->rel, a->qualifier, a->name, &idx);
		if (rc == -EEXIST)
			return ambiguous(c, b->rel, a);
		if (rc == -ENOENT && a->qualifier != NULL &&
		    (strcasecmp(a->name, "start") == 0 || strcasecmp(a->name, "end") == 0)) {
			/* w.start, w.end: a field of a window column */
			enum sl_fn fn = strcasecmp(a->name, "end") == 0 ? SL_FN_WINDOW_END
									: SL_FN_WINDOW_START;
			if (rel_find(b->rel, NULL, a->qualifier, &idx) == 0 &&
				   b->rel->cols[idx].type == SL_TYPE_WINDOW) {
				return x_call1(c, fn, SL_TYPE_TIMESTAMP, a,
					       x_col(c, idx, SL_TYPE_WINDOW, SL_TYPE_NULL, a->line,
						     a->column));
			}
		}
		if (rc == -ENOENT && a->qualifier != NULL && !rel_has_qual(b->rel, a->qualifier) &&
		    rel_find(b->rel, NULL, a->qualifier, &idx) == 0 &&
		    b->rel->cols[idx].type == SL_TYPE_HEADER) {
			/* h.key, h.value: a field of a Kafka header */
			bool value = strcasecmp(a->name, "value") == 0;
			if (!value && strcasecmp(a->name, "key") != 0)
				return cerr(c, a->line, a->column,
					    "No such struct field %s in key, value: '%s' is a "
					    "Kafka header, STRUCT<key: STRING, value: BINARY>",
					    a->name, a->qualifier);
			return x_call1(c, value ? SL_FN_HEADER_VALUE : SL_FN_HEADER_KEY,
				       value ? SL_TYPE_BINARY : SL_TYPE_STRING, a,
				       x_col(c, idx, SL_TYPE_HEADER, SL_TYPE_NULL, a->line, a->column));
		}
		if (rc < 0) {
			char names[512];
			rel_names(b->rel, names, sizeof(names));
			if (a->qualifier != NULL && !rel_has_qual(b->rel, a->qualifier))
				return cerr(c, a->line, a->column,
					    "unknown table or alias '%s' in '%s.%s' (columns: %s)",
					    a->qualifier, a->qualifier, a->name, names);
			if (a->qualifier != NULL)
				return cerr(c, a->line, a->column,
					    "unknown column '%s.%s' (columns: %s)", a->qualifier,
					    a->name, names);
			return cerr(c, a->line, a->column, "unknown column '%s' (columns: %s)", a->name,
				    names);
		}
	}
	const struct pcol *p = &b->rel->cols[idx];
	return x_col(c, idx, p->type, p->elem_type, a->line, a->column);
}

/* An argument that must be BOOLEAN (AND, OR, NOT, IF, WHEN). */
static struct sl_expr *bool_arg(struct bctx *b, const struct sl_ast *at, const struct sl_ast *arg,
				uint32_t pos)
{
	struct sl_expr *e = build(b, arg);
	if (e == NULL)
		return NULL;
	if (e->type == SL_TYPE_BOOLEAN || e->type == SL_TYPE_NULL)
		return to_type(b->pl->c, e, SL_TYPE_BOOLEAN);
	char whole[200], part[200], tb[64];
	pretty(at, whole, sizeof(whole));
	pretty(arg, part, sizeof(part));
	cerr(b->pl->c, arg->line, arg->column,
	     "cannot resolve '%s' due to data type mismatch: argument %u requires BOOLEAN type, "
	     "however, '%s' is of %s type",
	     whole, pos, part, etype(e, tb, sizeof(tb)));
	x_free(e);
	return NULL;
}

/* An argument of a string function, as it is (not an ARRAY). */
static struct sl_expr *text_arg(struct bctx *b, const struct sl_ast *fn, const struct sl_ast *arg)
{
	struct sl_expr *e = build(b, arg);
	if (e == NULL)
		return NULL;
	if (!is_scalar(e->type)) {
		char tb[64];
		cerr(b->pl->c, arg->line, arg->column, "%s expects STRING arguments, got %s",
		     fn->kind == SL_AST_CALL ? fn->name : sl_ast_op_name(fn->op),
		     etype(e, tb, sizeof(tb)));
		x_free(e);
		return NULL;
	}
	return e;
}

/* An argument that a string function takes as STRING: scalars are cast
 * (a BINARY too, its bytes as they are: Spark's ImplicitTypeCasts casts
 * any atomic type to the STRING a function expects). */
static struct sl_expr *string_arg(struct bctx *b, const struct sl_ast *fn, const struct sl_ast *arg)
{
	return to_type(b->pl->c, text_arg(b, fn, arg), SL_TYPE_STRING);
}

/* concat(...) and ||: Spark's ConcatCoercion: binaries alone concatenate
 * to a BINARY; any other mix is cast to STRING. Frees args on failure. */
static struct sl_expr *build_concat(struct bctx *b, const struct sl_ast *a,
				    const struct sl_ast *const *argv, uint32_t n)
{
	struct compiler *c = b->pl->c;
	struct sl_expr **args = calloc(n ? n : 1, sizeof(*args));
	if (args == NULL)
		return coom(c);
	bool binary = true;
	for (uint32_t i = 0; i < n; i++) {
		args[i] = text_arg(b, a, argv[i]);
		if (args[i] == NULL)
			break;
		binary = binary && args[i]->type == SL_TYPE_BINARY;
	}
	const enum sl_type t = binary ? SL_TYPE_BINARY : SL_TYPE_STRING;
	for (uint32_t i = 0; i < n && args[i] != NULL; i++)
		args[i] = to_type(c, args[i], t);
	struct sl_expr *e = x_call(c, SL_FN_CONCAT, t, a->line, a->column, n, args);
	free(args);
	return e;
}

/* An INT argument (substr positions, split's limit). */
static struct sl_expr *int_arg(struct bctx *b, const struct sl_ast *fn, const struct sl_ast *arg)
{
	struct sl_expr *e = build(b, arg);
	if (e == NULL)
		return NULL;
	if (!sl_type_is_numeric(e->type) && e->type != SL_TYPE_STRING && e->type != SL_TYPE_NULL) {
		char tb[64];
		cerr(b->pl->c, arg->line, arg->column, "%s expects an INT argument here, got %s",
		     fn->name, etype(e, tb, sizeof(tb)));
		x_free(e);
		return NULL;
	}
	return to_type(b->pl->c, e, SL_TYPE_INT);
}

/* A constant string argument (LIKE/RLIKE patterns, split's regex). */
static struct sl_expr *pattern_arg(struct bctx *b, const char *what, const struct sl_ast *arg)
{
	if (arg->kind != SL_AST_LITERAL || arg->lit.type != SL_TYPE_STRING)
		return cerr(b->pl->c, arg->line, arg->column,
			    "the pattern of %s must be a constant string such as '\\\\s+'", what);
	return x_lit(b->pl->c, &arg->lit, arg->line, arg->column);
}

static void *type_mismatch(struct bctx *b, const struct sl_ast *a, const struct sl_expr *l,
			   const struct sl_expr *r)
{
	char whole[200], t1[64], t2[64];
	pretty(a, whole, sizeof(whole));
	if (!is_scalar(l->type) && l->type == r->type && l->elem_type == r->elem_type)
		return cerr(b->pl->c, a->line, a->column,
			    "cannot resolve '%s': sluice compares no %s values (Spark does); compare "
			    "their elements or fields (h.key, size(a))",
			    whole, etype(l, t1, sizeof(t1)));
	return cerr(b->pl->c, a->line, a->column,
		    "cannot resolve '%s' due to data type mismatch: the left and right operands of "
		    "the binary operator have incompatible types (%s and %s)",
		    whole, etype(l, t1, sizeof(t1)), etype(r, t2, sizeof(t2)));
}

static struct sl_expr *build_compare(struct bctx *b, const struct sl_ast *at, enum sl_fn fn,
				     struct sl_expr *l, struct sl_expr *r)
{
	struct compiler *c = b->pl->c;
	enum sl_type t;
	if (l == NULL || r == NULL) {
		x_free(l);
		x_free(r);
		return NULL;
	}
	if (!cmp_type(l->type, r->type, &t)) {
		type_mismatch(b, at, l, r);
		x_free(l);
		x_free(r);
		return NULL;
	}
	if (t == SL_TYPE_NULL)
		t = SL_TYPE_STRING; /* NULL = NULL: any one type gives null */
	l = to_type(c, l, t);
	r = to_type(c, r, t);
	return x_call2(c, fn, SL_TYPE_BOOLEAN, at, l, r);
}

static struct sl_expr *build_arith(struct bctx *b, const struct sl_ast *a, enum sl_fn fn)
{
	struct compiler *c = b->pl->c;
	struct sl_expr *l = build(b, a->args[0]);
	struct sl_expr *r = l ? build(b, a->args[1]) : NULL;
	if (l == NULL || r == NULL) {
		x_free(l);
		x_free(r);
		return NULL;
	}
	/* PromoteStrings: a string operand of arithmetic becomes DOUBLE; a
	 * NULL takes the other side's type */
	if (l->type == SL_TYPE_STRING)
		l = to_type(c, l, SL_TYPE_DOUBLE);
	if (r != NULL && r->type == SL_TYPE_STRING)
		r = to_type(c, r, SL_TYPE_DOUBLE);
	if (l == NULL || r == NULL) {
		x_free(l);
		x_free(r);
		return NULL;
	}
	if (l->type == SL_TYPE_NULL && r->type == SL_TYPE_NULL) {
		l = to_type(c, l, SL_TYPE_DOUBLE);
		r = to_type(c, r, SL_TYPE_DOUBLE);
	} else if (l->type == SL_TYPE_NULL) {
		l = to_type(c, l, r->type);
	} else if (r->type == SL_TYPE_NULL) {
		r = to_type(c, r, l->type);
	}
	if (l == NULL || r == NULL) {
		x_free(l);
		x_free(r);
		return NULL;
	}
	bool lt = l->type == SL_TYPE_TIMESTAMP, li = l->type == SL_TYPE_INTERVAL;
	bool rt = r->type == SL_TYPE_TIMESTAMP, ri = r->type == SL_TYPE_INTERVAL;
	if ((fn == SL_FN_ADD || fn == SL_FN_SUB) && (lt || li || rt || ri)) {
		/* Spark's datetime arithmetic: ts +/- interval is a timestamp,
		 * interval +/- interval an interval, ts - ts the interval
		 * between them */
		if (lt && ri)
			return x_call2(c, fn, SL_TYPE_TIMESTAMP, a, l, r);
		if (fn == SL_FN_ADD && li && rt)
			return x_call2(c, fn, SL_TYPE_TIMESTAMP, a, r, l);
		if (li && ri)
			return x_call2(c, fn, SL_TYPE_INTERVAL, a, l, r);
		if (fn == SL_FN_SUB && lt && rt)
			return x_call2(c, fn, SL_TYPE_INTERVAL, a, l, r);
	}
	if (!sl_type_is_numeric(l->type) || !sl_type_is_numeric(r->type)) {
		type_mismatch(b, a, l, r);
		x_free(l);
		x_free(r);
		return NULL;
	}
	enum sl_type t = fn == SL_FN_DIV ? SL_TYPE_DOUBLE : wider_numeric(l->type, r->type);
	l = to_type(c, l, t);
	r = to_type(c, r, t);
	return x_call2(c, fn, t, a, l, r);
}

static void *unify_error(struct bctx *b, const struct sl_ast *at, struct sl_expr *const *v,
			 uint32_t n)
{
	char whole[200], types[256];
	size_t used = 0;
	pretty(at, whole, sizeof(whole));
	types[0] = '\0';
	for (uint32_t k = 0; k < n && used < sizeof(types); k++) {
		char tb[64];
		int w = snprintf(types + used, sizeof(types) - used, "%s%s", k ? ", " : "",
				 etype(v[k], tb, sizeof(tb)));
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return cerr(b->pl->c, at->line, at->column,
		    "cannot resolve '%s' due to data type mismatch: the values must all have one "
		    "type, but they are %s",
		    whole, types);
}

/* Cast every expression of v[0..n) to the wider type of all of them. */
static bool unify(struct bctx *b, const struct sl_ast *at, struct sl_expr **v, uint32_t n,
		  enum sl_type *out)
{
	enum sl_type t = SL_TYPE_NULL;
	for (uint32_t i = 0; i < n; i++) {
		enum sl_type w;
		if (!wider_type(t, v[i]->type, &w)) {
			unify_error(b, at, v, n);
			return false;
		}
		t = w;
	}
	if (t == SL_TYPE_ARRAY) {
		/* the evaluator chooses between scalar values only */
		char whole[200];
		pretty(at, whole, sizeof(whole));
		cerr(b->pl->c, at->line, at->column,
		     "cannot resolve '%s': choosing between ARRAY values is not supported; explode "
		     "the arrays first",
		     whole);
		return false;
	}
	for (uint32_t i = 0; i < n; i++) {
		v[i] = to_type(b->pl->c, v[i], t);
		if (v[i] == NULL)
			return false;
	}
	*out = t;
	return true;
}

static void free_all(struct sl_expr **v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		x_free(v[i]);
		v[i] = NULL;
	}
}

static struct sl_expr *build_op(struct bctx *b, const struct sl_ast *a)
{
	struct compiler *c = b->pl->c;
	switch (a->op) {
	case SL_AOP_AND:
	case SL_AOP_OR: {
		struct sl_expr *l = bool_arg(b, a, a->args[0], 1);
		struct sl_expr *r = l ? bool_arg(b, a, a->args[1], 2) : NULL;
		return x_call2(c, a->op == SL_AOP_AND ? SL_FN_AND : SL_FN_OR, SL_TYPE_BOOLEAN, a, l,
			       r);
	}
	case SL_AOP_NOT:
		return x_call1(c, SL_FN_NOT, SL_TYPE_BOOLEAN, a, bool_arg(b, a, a->args[0], 1));
	case SL_AOP_EQ:
	case SL_AOP_NE:
	case SL_AOP_LT:
	case SL_AOP_LE:
	case SL_AOP_GT:
	case SL_AOP_GE: {
		static const enum sl_fn fns[] = {
			[SL_AOP_EQ] = SL_FN_EQ, [SL_AOP_NE] = SL_FN_NE, [SL_AOP_LT] = SL_FN_LT,
			[SL_AOP_LE] = SL_FN_LE, [SL_AOP_GT] = SL_FN_GT, [SL_AOP_GE] = SL_FN_GE,
		};
		struct sl_expr *l = build(b, a->args[0]);
		struct sl_expr *r = l ? build(b, a->args[1]) : NULL;
		return build_compare(b, a, fns[a->op], l, r);
	}
	case SL_AOP_ADD: return build_arith(b, a, SL_FN_ADD);
	case SL_AOP_SUB: return build_arith(b, a, SL_FN_SUB);
	case SL_AOP_MUL: return build_arith(b, a, SL_FN_MUL);
	case SL_AOP_DIV: return build_arith(b, a, SL_FN_DIV);
	case SL_AOP_MOD: return build_arith(b, a, SL_FN_MOD);
	case SL_AOP_NEG: {
		struct sl_expr *e = build(b, a->args[0]);
		if (e == NULL)
			return NULL;
		if (e->type == SL_TYPE_STRING || e->type == SL_TYPE_NULL)
			e = to_type(c, e, SL_TYPE_DOUBLE);
		if (e == NULL)
			return NULL;
		if (!sl_type_is_numeric(e->type) && e->type != SL_TYPE_INTERVAL) {
			char whole[200], tb[64];
			pretty(a, whole, sizeof(whole));
			cerr(c, a->line, a->column,
			     "cannot resolve '%s' due to data type mismatch: unary minus needs a "
			     "number, not %s",
			     whole, etype(e, tb, sizeof(tb)));
			x_free(e);
			return NULL;
		}
		return x_call1(c, SL_FN_NEG, e->type, a, e);
	}
	case SL_AOP_CONCAT:
		return build_concat(b, a, (const struct sl_ast *const *)a->args, 2);
	case SL_AOP_IS_NULL:
	case SL_AOP_IS_NOT_NULL:
		return x_call1(c, a->op == SL_AOP_IS_NULL ? SL_FN_IS_NULL : SL_FN_IS_NOT_NULL,
			       SL_TYPE_BOOLEAN, a, build(b, a->args[0]));
	case SL_AOP_LIKE:
	case SL_AOP_NOT_LIKE:
	case SL_AOP_RLIKE:
	case SL_AOP_NOT_RLIKE: {
		bool like = a->op == SL_AOP_LIKE || a->op == SL_AOP_NOT_LIKE;
		struct sl_expr *v = string_arg(b, a, a->args[0]);
		struct sl_expr *p = v ? pattern_arg(b, like ? "LIKE" : "RLIKE", a->args[1]) : NULL;
		struct sl_expr *e = x_call2(c, like ? SL_FN_LIKE : SL_FN_RLIKE, SL_TYPE_BOOLEAN, a, v, p);
		if (a->op == SL_AOP_NOT_LIKE || a->op == SL_AOP_NOT_RLIKE)
			e = e ? x_call1(c, SL_FN_NOT, SL_TYPE_BOOLEAN, a, e) : NULL;
		return e;
	}
	case SL_AOP_BETWEEN:
	case SL_AOP_NOT_BETWEEN: {
		/* v >= lo AND v <= hi, as Spark 3 rewrites it */
		struct sl_expr *v = build(b, a->args[0]);
		struct sl_expr *v2 = v ? x_copy(c, v) : NULL;
		struct sl_expr *lo = v2 ? build(b, a->args[1]) : NULL;
		struct sl_expr *hi = lo ? build(b, a->args[2]) : NULL;
		if (hi == NULL) {
			x_free(v);
			x_free(v2);
			x_free(lo);
			return NULL;
		}
		struct sl_expr *ge = build_compare(b, a, SL_FN_GE, v, lo);
		struct sl_expr *le = ge ? build_compare(b, a, SL_FN_LE, v2, hi) : (x_free(v2), x_free(hi), NULL);
		struct sl_expr *e = x_call2(c, SL_FN_AND, SL_TYPE_BOOLEAN, a, ge, le);
		if (a->op == SL_AOP_NOT_BETWEEN)
			e = e ? x_call1(c, SL_FN_NOT, SL_TYPE_BOOLEAN, a, e) : NULL;
		return e;
	}
	case SL_AOP_IN:
	case SL_AOP_NOT_IN: {
		/* v IN (x, y) is (v = x) OR (v = y): the same three-valued
		 * result, with one type for all as Spark's InConversion */
		uint32_t n = a->nargs;
		struct sl_expr **v = calloc(n, sizeof(*v));
		if (v == NULL)
			return coom(c);
		struct sl_expr *e = NULL;
		enum sl_type t;
		for (uint32_t i = 0; i < n; i++) {
			v[i] = build(b, a->args[i]);
			if (v[i] == NULL)
				goto in_out;
			if (!is_scalar(v[i]->type)) {
				char tb[64];
				cerr(c, a->args[i]->line, a->args[i]->column,
				     "IN compares scalar values, not %s", etype(v[i], tb, sizeof(tb)));
				goto in_out;
			}
		}
		if (!unify(b, a, v, n, &t))
			goto in_out;
		for (uint32_t i = 1; i < n; i++) {
			struct sl_expr *lhs = i + 1 < n ? x_copy(c, v[0]) : v[0];
			if (i + 1 == n)
				v[0] = NULL;
			v[i] = x_call2(c, SL_FN_EQ, SL_TYPE_BOOLEAN, a, lhs, v[i]);
			if (v[i] == NULL)
				goto in_out;
		}
		/* OR the comparisons v[1..n) pairwise, round after round: a
		 * balanced tree, as deep as log2 of the list (a list of
		 * thousands is fine) where a chain would be as deep as the list
		 * is long (bug in_list_chain_overflows_stack). OR is
		 * associative in three-valued logic, so the result is the
		 * same; up to three values the tree is the chain Spark shows. */
		for (uint32_t m = n - 1; m > 1;) {
			uint32_t k = 0;
			for (uint32_t i = 0; i < m; i += 2) {
				struct sl_expr *x = v[1 + i];
				v[1 + i] = NULL;
				if (i + 1 < m) {
					x = x_call2(c, SL_FN_OR, SL_TYPE_BOOLEAN, a, x, v[2 + i]);
					v[2 + i] = NULL;
					if (x == NULL)
						goto in_out;
				}
				v[1 + k++] = x;
			}
			m = k;
		}
		e = v[1];
		v[1] = NULL;
		if (a->op == SL_AOP_NOT_IN)
			e = x_call1(c, SL_FN_NOT, SL_TYPE_BOOLEAN, a, e);
		free_all(v, n);
		free(v);
		return e;
	in_out:
		x_free(e);
		free_all(v, n);
		free(v);
		return NULL;
	}
	}
	return cerr(c, a->line, a->column, "unsupported operator");
}

static struct sl_expr *build_case(struct bctx *b, const struct sl_ast *a)
{
	struct compiler *c = b->pl->c;
	uint32_t first = a->has_subject ? 1 : 0;
	uint32_t pairs = (a->nargs - first - (a->has_else ? 1 : 0)) / 2;
	uint32_t nval = pairs + 1;
	/* each arm nests one IF deeper (below): refuse before building a tree
	 * that even freeing would recurse too deep into */
	if (pairs >= SL_SQL_MAX_DEPTH)
		return cerr(c, a->line, a->column,
			    "CASE has %u WHEN arms; at most %d are supported (CASE runs as nested "
			    "IFs, one level per arm)",
			    pairs, SL_SQL_MAX_DEPTH - 1);
	struct sl_expr **conds = calloc(pairs, sizeof(*conds));
	struct sl_expr **vals = calloc(nval, sizeof(*vals));
	struct sl_expr *e = NULL;
	enum sl_type t;
	if (conds == NULL || vals == NULL) {
		coom(c);
		goto out;
	}
	for (uint32_t i = 0; i < pairs; i++) {
		const struct sl_ast *cond = a->args[first + 2 * i];
		if (a->has_subject) {
			/* CASE x WHEN v: the arm's test is x = v, as Spark builds it
			 * (x built once per arm; the node bound limits nesting) */
			struct sl_ast *pair[2] = {a->args[0], a->args[first + 2 * i]};
			const struct sl_ast eq = {.kind = SL_AST_OP, .op = SL_AOP_EQ,
						  .line = cond->line, .column = cond->column,
						  .nargs = 2, .args = pair};
			conds[i] = bool_arg(b, a, &eq, 2 * i + 1);
		} else {
			conds[i] = bool_arg(b, a, cond, 2 * i + 1);
		}
		if (conds[i] == NULL)
			goto out;
		vals[i] = build(b, a->args[first + 2 * i + 1]);
		if (vals[i] == NULL)
			goto out;
	}
	vals[pairs] = a->has_else ? build(b, a->args[a->nargs - 1])
				  : x_null(c, SL_TYPE_NULL, a->line, a->column);
	if (vals[pairs] == NULL)
		goto out;
	if (!unify(b, a, vals, nval, &t))
		goto out;
	/* CASE WHEN c1 THEN v1 WHEN c2 THEN v2 ELSE e END
	 *   = IF(c1, v1, IF(c2, v2, e)) */
	e = vals[pairs];
	vals[pairs] = NULL;
	for (uint32_t i = pairs; i-- > 0;) {
		enum sl_type et = e->type;
		e = x_call3(c, SL_FN_IF, et, a, conds[i], vals[i], e);
		conds[i] = vals[i] = NULL;
		if (e == NULL)
			goto out;
		if (et == SL_TYPE_ARRAY)
			e->elem_type = e->args[1]->elem_type;
	}
out:
	if (conds != NULL)
		free_all(conds, pairs);
	if (vals != NULL)
		free_all(vals, nval);
	free(conds);
	free(vals);
	return e;
}

/* Spark's Cast.canCast (non-ANSI) for the casts that involve BINARY: a
 * binary becomes a STRING (its bytes, not checked as UTF-8); a STRING
 * (its bytes) or an integer (its big-endian bytes: 4 for INT, 8 for
 * BIGINT) becomes a binary; nothing else. */
static bool binary_cast_ok(enum sl_type from, enum sl_type to)
{
	if (from == to || from == SL_TYPE_NULL)
		return true;
	if (from == SL_TYPE_BINARY)
		return to == SL_TYPE_STRING;
	if (to == SL_TYPE_BINARY)
		return from == SL_TYPE_STRING || sl_type_is_integer(from);
	return true;
}

static struct sl_expr *build_cast(struct bctx *b, const struct sl_ast *a)
{
	struct sl_expr *e = build(b, a->args[0]);
	if (e == NULL)
		return NULL;
	/* an array casts to nothing; an interval or a window only to STRING
	 * (their text, as Spark shows them) */
	if (e->type == SL_TYPE_HEADER) {
		/* Spark casts a struct to STRING; sluice takes its fields */
		cerr(b->pl->c, a->line, a->column,
		     "cannot cast %s to %s: sluice does not cast a header struct; take its fields, "
		     "h.key and CAST(h.value AS STRING)",
		     sl_type_name(e->type), sl_type_name(a->cast_type));
		x_free(e);
		return NULL;
	}
	if (e->type == SL_TYPE_ARRAY || !binary_cast_ok(e->type, a->cast_type) ||
	    ((e->type == SL_TYPE_INTERVAL || e->type == SL_TYPE_WINDOW) &&
	     a->cast_type != SL_TYPE_STRING && a->cast_type != e->type)) {
		char tb[64];
		const bool via_text = e->type == SL_TYPE_BINARY || a->cast_type == SL_TYPE_BINARY;
		cerr(b->pl->c, a->line, a->column, "cannot cast %s to %s%s", etype(e, tb, sizeof(tb)),
		     sl_type_name(a->cast_type),
		     via_text ? "; a BINARY casts only to and from STRING (and from INT or "
				"BIGINT): go through CAST(... AS STRING)"
			      : "");
		x_free(e);
		return NULL;
	}
	return to_type(b->pl->c, e, a->cast_type);
}

/* An aggregate where none may be (MODE_PLAIN): WHERE, GROUP BY, inside
 * another aggregate. */
static void *agg_not_allowed(struct bctx *b, const struct sl_ast *a)
{
	struct compiler *c = b->pl->c;
	char agg[200];
	pretty(a, agg, sizeof(agg));
	if (b->in_agg)
		return cerr(c, a->line, a->column,
			    "It is not allowed to use an aggregate function in the argument of another "
			    "aggregate function. Please use the inner aggregate function in a "
			    "sub-query.");
	if (b->clause != NULL && strcmp(b->clause, "WHERE") == 0)
		return cerr(c, a->line, a->column,
			    "Aggregate/Window/Generate expressions are not valid in where clause of the "
			    "query; found %s",
			    agg);
	return cerr(c, a->line, a->column, "aggregate functions are not allowed in %s, but found %s",
		    b->clause ? b->clause : "this place", agg);
}

/* Windows a row may fall in at most, for window(ts, size, slide): Spark
 * makes ceil(size / slide) copies of every row; beyond this bound a typo
 * ('1 day' sliding every '1 second') would multiply the input by 86400. */
#define SL_MAX_WINDOWS_PER_ROW 1024

/* A duration argument of window(): a string literal such as '10 minutes'. */
static bool window_duration(struct bctx *b, const struct sl_ast *fn, const struct sl_ast *arg,
			    const char *what, bool zero_ok, int64_t *us)
{
	struct compiler *c = b->pl->c;
	uint64_t v;
	char whole[200];
	if (arg->kind == SL_AST_LITERAL && arg->lit.type == SL_TYPE_INTERVAL && !arg->lit.is_null) {
		if (arg->lit.v.i64 < 0 || (arg->lit.v.i64 == 0 && !zero_ok) ||
		    arg->lit.v.i64 > INT64_MAX / 4) {
			cerr(c, arg->line, arg->column, "The %s (%s) must be greater than 0.", what,
			     arg->text);
			return false;
		}
		*us = arg->lit.v.i64;
		return true;
	}
	if (arg->kind != SL_AST_LITERAL || arg->lit.type != SL_TYPE_STRING || arg->lit.is_null) {
		pretty(fn, whole, sizeof(whole));
		cerr(c, arg->line, arg->column,
		     "the %s of '%s' must be a duration literal such as '10 minutes' or '1 hour'", what,
		     whole);
		return false;
	}
	char text[128];
	snprintf(text, sizeof(text), "%.*s", (int)arg->lit.v.str.len, arg->lit.v.str.ptr);
	if (sl_parse_interval(text, &v) < 0 || v > (uint64_t)INT64_MAX / 4) {
		cerr(c, arg->line, arg->column,
		     "'%s' is not a duration: write a number and a unit, such as '10 minutes', "
		     "'30 seconds' or '1 hour'",
		     text);
		return false;
	}
	if (v == 0 && !zero_ok) {
		cerr(c, arg->line, arg->column, "The %s (%s) must be greater than 0.", what, text);
		return false;
	}
	*us = (int64_t)v;
	return true;
}

/* The event-time argument (the first) of window() or session_window(). */
static struct sl_expr *timestamp_arg(struct bctx *b, const struct sl_ast *a)
{
	struct sl_expr *ts = build(b, a->args[0]);
	if (ts == NULL || ts->type == SL_TYPE_TIMESTAMP)
		return ts;
	char whole[200], tb[64];
	pretty(a, whole, sizeof(whole));
	cerr(b->pl->c, a->args[0]->line, a->args[0]->column,
	     "cannot resolve '%s' due to data type mismatch: argument 1 requires TIMESTAMP "
	     "type, however, it is of %s type; CAST it (CAST(x AS TIMESTAMP))",
	     whole, etype(ts, tb, sizeof(tb)));
	x_free(ts);
	return NULL;
}

/* window(ts, size[, slide[, start]]): Spark's time window. Tumbling
 * (slide = size) is a WINDOW value per row; sliding is the array of every
 * window holding ts, which only a GROUP BY key may use: the planner
 * explodes it there (lower_group_by), as Spark's Expand does. */
static struct sl_expr *build_window(struct bctx *b, const struct sl_ast *a)
{
	struct compiler *c = b->pl->c;
	if (a->nargs < 2 || a->nargs > 4)
		return nargs_error(b, a, "2 to 4 arguments");
	int64_t size, slide, start = 0;
	if (!window_duration(b, a, a->args[1], "window duration", false, &size))
		return NULL;
	slide = size;
	if (a->nargs >= 3 && !window_duration(b, a, a->args[2], "slide duration", false, &slide))
		return NULL;
	if (a->nargs >= 4 && !window_duration(b, a, a->args[3], "start time", true, &start))
		return NULL;
	if (slide > size)
		return cerr(c, a->args[2]->line, a->args[2]->column,
			    "The slide duration (%" PRId64 " microseconds) must be less than or "
			    "equal to the windowDuration (%" PRId64 " microseconds).",
			    slide, size);
	if (start >= slide)
		return cerr(c, a->args[3]->line, a->args[3]->column,
			    "The absolute value of start time (%" PRId64 " microseconds) must be "
			    "less than the slideDuration (%" PRId64 " microseconds).",
			    start, slide);
	if (size / slide + (size % slide != 0) > SL_MAX_WINDOWS_PER_ROW)
		return cerr(c, a->line, a->column,
			    "window duration / slide duration is %" PRId64 ": every row would "
			    "fall in that many windows; at most %d are supported",
			    size / slide + (size % slide != 0), SL_MAX_WINDOWS_PER_ROW);
	struct sl_expr *ts = timestamp_arg(b, a);
	if (ts == NULL)
		return NULL;
	struct sl_expr *args[4] = {ts, NULL, NULL, NULL};
	int64_t lits[3] = {size, slide, start};
	for (int k = 0; k < 3; k++) {
		struct sl_value v = {.type = SL_TYPE_BIGINT, .v.i64 = lits[k]};
		args[k + 1] = x_lit(c, &v, a->line, a->column);
	}
	bool sliding = slide != size;
	if (sliding && !b->pl->allow_sliding) {
		x_free(args[0]);
		x_free(args[1]);
		x_free(args[2]);
		x_free(args[3]);
		return cerr(c, a->line, a->column,
			    "a sliding window (slide shorter than the window) is only supported as "
			    "a GROUP BY key and in the select list of that aggregation");
	}
	struct sl_expr *e = x_call(c, sliding ? SL_FN_WINDOWS : SL_FN_WINDOW,
				   sliding ? SL_TYPE_ARRAY : SL_TYPE_WINDOW, a->line, a->column, 4, args);
	if (e != NULL && sliding)
		e->elem_type = SL_TYPE_WINDOW;
	return e;
}

/* session_window(ts, gap): gap a duration literal ('5 minutes') or an
 * INTERVAL per row (a CASE of INTERVAL literals, say). A GROUP BY key only. */
static struct sl_expr *build_session_window(struct bctx *b, const struct sl_ast *a)
{
	struct compiler *c = b->pl->c;
	if (a->nargs != 2)
		return nargs_error(b, a, "2 arguments");
	if (!b->pl->allow_sliding)
		return cerr(c, a->line, a->column,
			    "session_window is only supported as a GROUP BY key and in the select "
			    "list of that aggregation");
	struct sl_expr *gap = NULL;
	const struct sl_ast *ga = a->args[1];
	int64_t us;
	if (ga->kind == SL_AST_LITERAL && ga->lit.type == SL_TYPE_STRING) {
		if (!window_duration(b, a, ga, "gap duration", false, &us))
			return NULL;
		struct sl_value v = {.type = SL_TYPE_INTERVAL, .v.i64 = us};
		gap = x_lit(c, &v, ga->line, ga->column);
	} else {
		gap = build(b, ga);
		/* a string per row is read as a duration ('5 seconds'), as Spark */
		if (gap != NULL && (gap->type == SL_TYPE_NULL || gap->type == SL_TYPE_STRING))
			gap = to_type(c, gap, SL_TYPE_INTERVAL);
		if (gap != NULL && gap->type != SL_TYPE_INTERVAL) {
			char whole[200], tb[64];
			pretty(a, whole, sizeof(whole));
			cerr(c, ga->line, ga->column,
			     "cannot resolve '%s' due to data type mismatch: the gap must be a "
			     "duration literal such as '5 minutes' or an INTERVAL, not %s",
			     whole, etype(gap, tb, sizeof(tb)));
			x_free(gap);
			return NULL;
		}
	}
	if (gap == NULL)
		return NULL;
	struct sl_expr *ts = timestamp_arg(b, a);
	if (ts == NULL) {
		x_free(gap);
		return NULL;
	}
	return x_call2(c, SL_FN_SESSION, SL_TYPE_WINDOW, a, ts, gap);
}

static struct sl_expr *build_call(struct bctx *b, const struct sl_ast *a)
{
	struct compiler *c = b->pl->c;
	const char *n = a->name;
	if (is_agg_name(n))
		return agg_not_allowed(b, a);
	for (uint32_t i = 0; i < a->nargs; i++)
		if (a->args[i]->kind == SL_AST_STAR)
			return cerr(c, a->args[i]->line, a->args[i]->column,
				    "'*' is only allowed as count(*), not in %s(...)", n);
	if (a->distinct)
		return cerr(c, a->line, a->column, "DISTINCT is only meaningful in an aggregate, not in %s",
			    n);

	if (strcmp(n, "lower") == 0 || strcmp(n, "lcase") == 0 || strcmp(n, "upper") == 0 ||
	    strcmp(n, "ucase") == 0 || strcmp(n, "trim") == 0 || strcmp(n, "length") == 0 ||
	    strcmp(n, "char_length") == 0 || strcmp(n, "character_length") == 0) {
		if (a->nargs != 1)
			return nargs_error(b, a, "1 argument");
		enum sl_fn fn = SL_FN_LENGTH;
		enum sl_type t = SL_TYPE_INT;
		if (n[0] == 'l' && n[1] != 'e') {
			fn = SL_FN_LOWER; /* lower, lcase */
			t = SL_TYPE_STRING;
		} else if (n[0] == 'u') {
			fn = SL_FN_UPPER;
			t = SL_TYPE_STRING;
		} else if (n[0] == 't') {
			fn = SL_FN_TRIM;
			t = SL_TYPE_STRING;
		}
		struct sl_expr *s = text_arg(b, a, a->args[0]);
		/* length of a BINARY: its bytes (Spark's Length) */
		if (s != NULL && !(fn == SL_FN_LENGTH && s->type == SL_TYPE_BINARY))
			s = to_type(c, s, SL_TYPE_STRING);
		return x_call1(c, fn, t, a, s);
	}
	if (strcmp(n, "substr") == 0 || strcmp(n, "substring") == 0) {
		if (a->nargs != 2 && a->nargs != 3)
			return nargs_error(b, a, "2 or 3 arguments");
		struct sl_expr *args[3] = {NULL, NULL, NULL};
		/* a BINARY's substring is a BINARY, counted in bytes (Spark's
		 * Substring over ByteArray.subStringSQL) */
		args[0] = text_arg(b, a, a->args[0]);
		const enum sl_type t =
			args[0] != NULL && args[0]->type == SL_TYPE_BINARY ? SL_TYPE_BINARY : SL_TYPE_STRING;
		args[0] = to_type(c, args[0], t);
		for (uint32_t i = 1; i < a->nargs && args[i - 1] != NULL; i++)
			args[i] = int_arg(b, a, a->args[i]);
		return x_call(c, SL_FN_SUBSTR, t, a->line, a->column, a->nargs, args);
	}
	if (strcmp(n, "concat") == 0) {
		if (a->nargs < 1)
			return nargs_error(b, a, "at least 1 argument");
		return build_concat(b, a, (const struct sl_ast *const *)a->args, a->nargs);
	}
	if (strcmp(n, "window") == 0)
		return build_window(b, a);
	if (strcmp(n, "session_window") == 0)
		return build_session_window(b, a);
	if (strcmp(n, "to_timestamp") == 0) {
		/* to_timestamp(s) is CAST(s AS TIMESTAMP); with a pattern, the
		 * text must match it (NULL otherwise, as Spark non-ANSI) */
		if (a->nargs != 1 && a->nargs != 2)
			return nargs_error(b, a, "1 or 2 arguments");
		struct sl_expr *s0 = build(b, a->args[0]);
		if (s0 == NULL)
			return NULL;
		if (a->nargs == 1 || s0->type == SL_TYPE_TIMESTAMP) {
			/* a timestamp is taken as it is, pattern or not */
			return to_type(c, s0, SL_TYPE_TIMESTAMP);
		}
		const struct sl_ast *pa = a->args[1];
		if (pa->kind != SL_AST_LITERAL || pa->lit.type != SL_TYPE_STRING || pa->lit.is_null) {
			x_free(s0);
			return cerr(c, pa->line, pa->column,
				    "the pattern of to_timestamp must be a string literal such as "
				    "'yyyy-MM-dd HH:mm:ss'");
		}
		s0 = to_type(c, s0, SL_TYPE_STRING);
		struct sl_expr *pat = x_lit(c, &pa->lit, pa->line, pa->column);
		return x_call2(c, SL_FN_TO_TIMESTAMP, SL_TYPE_TIMESTAMP, a, s0, pat);
	}
	if (strcmp(n, "split") == 0) {
		if (a->nargs != 2 && a->nargs != 3)
			return nargs_error(b, a, "2 or 3 arguments");
		struct sl_expr *args[3] = {NULL, NULL, NULL};
		args[0] = string_arg(b, a, a->args[0]);
		if (args[0] != NULL)
			args[1] = pattern_arg(b, "split", a->args[1]);
		if (a->nargs == 3 && args[1] != NULL)
			args[2] = int_arg(b, a, a->args[2]);
		struct sl_expr *e = x_call(c, SL_FN_SPLIT, SL_TYPE_ARRAY, a->line, a->column, a->nargs,
					   args);
		if (e != NULL)
			e->elem_type = SL_TYPE_STRING;
		return e;
	}
	if (strcmp(n, "size") == 0) {
		if (a->nargs != 1)
			return nargs_error(b, a, "1 argument");
		struct sl_expr *e = build(b, a->args[0]);
		if (e == NULL)
			return NULL;
		if (e->type == SL_TYPE_NULL) {
			e = to_type(c, e, SL_TYPE_ARRAY);
		} else if (e->type != SL_TYPE_ARRAY) {
			char whole[200], tb[64];
			pretty(a, whole, sizeof(whole));
			cerr(c, a->line, a->column,
			     "cannot resolve '%s' due to data type mismatch: argument 1 requires an "
			     "ARRAY, however, it is of %s type",
			     whole, etype(e, tb, sizeof(tb)));
			x_free(e);
			return NULL;
		}
		return x_call1(c, SL_FN_SIZE, SL_TYPE_INT, a, e);
	}
	if (strcmp(n, "coalesce") == 0) {
		if (a->nargs < 1)
			return nargs_error(b, a, "at least 1 argument");
		struct sl_expr **args = calloc(a->nargs, sizeof(*args));
		if (args == NULL)
			return coom(c);
		struct sl_expr *e = NULL;
		enum sl_type t;
		uint32_t i;
		for (i = 0; i < a->nargs; i++) {
			args[i] = build(b, a->args[i]);
			if (args[i] == NULL)
				break;
		}
		if (i == a->nargs && unify(b, a, args, a->nargs, &t)) {
			e = x_call(c, SL_FN_COALESCE, t, a->line, a->column, a->nargs, args);
			if (e != NULL && t == SL_TYPE_ARRAY)
				e->elem_type = e->args[0]->elem_type;
		} else {
			free_all(args, a->nargs);
		}
		free(args);
		return e;
	}
	if (strcmp(n, "if") == 0) {
		if (a->nargs != 3)
			return nargs_error(b, a, "3 arguments");
		struct sl_expr *v[2] = {NULL, NULL};
		enum sl_type t;
		struct sl_expr *cond = bool_arg(b, a, a->args[0], 1);
		if (cond == NULL)
			return NULL;
		v[0] = build(b, a->args[1]);
		v[1] = v[0] ? build(b, a->args[2]) : NULL;
		if (v[1] == NULL || !unify(b, a, v, 2, &t)) {
			x_free(cond);
			free_all(v, 2);
			return NULL;
		}
		enum sl_type elem = v[0]->elem_type;
		struct sl_expr *e = x_call3(c, SL_FN_IF, t, a, cond, v[0], v[1]);
		if (e != NULL && t == SL_TYPE_ARRAY)
			e->elem_type = elem;
		return e;
	}
	if (is_gen_call(a)) {
		char gen[200];
		if (b->item != NULL) {
			char whole[200];
			pretty(b->item, whole, sizeof(whole));
			return cerr(c, a->line, a->column,
				    "Generators are not supported when it's nested in expressions, but "
				    "got: %s",
				    whole);
		}
		pretty(a, gen, sizeof(gen));
		return cerr(c, a->line, a->column,
			    "Generators are not supported outside the SELECT clause, but got: %s", gen);
	}
	return unknown_function(b, a);
}

/* MODE_PLAIN: the expression over the scope's columns. */
static struct sl_expr *build_node(struct bctx *b, const struct sl_ast *a)
{
	struct compiler *c = b->pl->c;
	switch (a->kind) {
	case SL_AST_LITERAL: return x_lit(c, &a->lit, a->line, a->column);
	case SL_AST_COLUMN: return build_column(b, a);
	case SL_AST_STAR:
		return cerr(c, a->line, a->column, "'*' is only allowed in a select list or count(*)");
	case SL_AST_OP: return build_op(b, a);
	case SL_AST_CALL: return build_call(b, a);
	case SL_AST_CAST: return build_cast(b, a);
	case SL_AST_CASE: return build_case(b, a);
	}
	return cerr(c, a->line, a->column, "unsupported expression");
}

static struct sl_expr *build_agg_call(struct bctx *b, const struct sl_ast *a);

static struct sl_expr *build(struct bctx *b, const struct sl_ast *a)
{
	if (b->pl->c->rc != 0)
		return NULL;
	if (b->mode == MODE_PLAIN)
		return build_node(b, a);

	/* MODE_AGG: over [keys..., aggs...] */
	struct compiler *c = b->pl->c;
	struct sl_plan *plan = b->pl->plan;
	if (a->kind == SL_AST_CALL && is_agg_name(a->name))
		return build_agg_call(b, a);
	if (a->kind == SL_AST_COLUMN && a->qualifier != NULL && !a->bound &&
	    (strcasecmp(a->name, "start") == 0 || strcasecmp(a->name, "end") == 0)) {
		/* window.start over the aggregate: a field of the window key */
		uint32_t idx;
		for (uint32_t i = 0; i < plan->nkeys; i++)
			if (plan->key_schema.cols[i].type == SL_TYPE_WINDOW &&
			    strcasecmp(plan->key_schema.cols[i].name, a->qualifier) == 0 &&
			    rel_find(b->rel, a->qualifier, a->name, &idx) == -ENOENT)
				return x_call1(c,
					       strcasecmp(a->name, "end") == 0 ? SL_FN_WINDOW_END
										 : SL_FN_WINDOW_START,
					       SL_TYPE_TIMESTAMP, a,
					       x_col(c, i, SL_TYPE_WINDOW, SL_TYPE_NULL, a->line,
						     a->column));
	}
	if (a->kind == SL_AST_COLUMN && a->qualifier == NULL && !a->bound) {
		for (uint32_t i = 0; i < b->nalias; i++)
			if (b->alias_names[i] != NULL && strcasecmp(b->alias_names[i], a->name) == 0)
				return x_copy(c, b->alias_exprs[i]);
	}
	if (!ast_contains_agg(a)) {
		/* the whole expression may be a group key; an inner node may
		 * name a select alias (HAVING), so for an interior node a
		 * failure here only means "not a key": the rewrite below
		 * reports the precise error */
		struct bctx pb = *b;
		pb.mode = MODE_PLAIN;
		bool leaf = a->nargs == 0;
		char save[1024];
		if (!leaf)
			snprintf(save, sizeof(save), "%s", c->err);
		struct sl_expr *t = build_node(&pb, a);
		if (t == NULL && (leaf || c->rc != -EINVAL))
			return NULL;
		if (t == NULL) {
			c->rc = 0;
			snprintf(c->err, c->errlen, "%s", save);
			return build_node(b, a);
		}
		if (b->pl->sliding != NULL && x_equal(t, b->pl->sliding)) {
			x_free(t);
			return x_col(c, b->pl->sliding_key, SL_TYPE_WINDOW, SL_TYPE_NULL, a->line,
				     a->column);
		}
		for (uint32_t i = 0; i < plan->nkeys; i++) {
			if (x_equal(t, plan->keys[i])) {
				x_free(t);
				return x_col(c, i, plan->keys[i]->type, plan->keys[i]->elem_type, a->line,
					     a->column);
			}
		}
		if (!x_has_column(t))
			return t; /* a constant */
		x_free(t);
		if (a->kind == SL_AST_COLUMN) {
			char name[200];
			pretty(a, name, sizeof(name));
			return cerr(c, a->line, a->column,
				    "expression '%s' is neither present in the group by, nor is it an "
				    "aggregate function. Add to group by or wrap in an aggregate "
				    "function",
				    name);
		}
	}
	/* the node over its children, each rewritten the same way */
	return build_node(b, a);
}

static struct sl_expr *build_agg_call(struct bctx *b, const struct sl_ast *a)
{
	struct compiler *c = b->pl->c;
	struct sl_plan *plan = b->pl->plan;
	if (b->in_agg)
		return cerr(c, a->line, a->column,
			    "It is not allowed to use an aggregate function in the argument of another "
			    "aggregate function. Please use the inner aggregate function in a "
			    "sub-query.");
	if (a->distinct)
		return cerr(c, a->line, a->column,
			    "Distinct aggregations are not supported on streaming DataFrames/Datasets. "
			    "Consider using approx_count_distinct() instead.");
	const char *n = a->name;
	bool approx = strcmp(n, "approx_count_distinct") == 0;
	if (approx ? a->nargs != 1 && a->nargs != 2 : a->nargs != 1)
		return nargs_error(b, a, approx ? "1 or 2 arguments" : "1 argument");
	struct sl_agg_spec spec;
	memset(&spec, 0, sizeof(spec));
	const struct sl_ast *arg = a->args[0];
	if (strcmp(n, "count") == 0) {
		spec.fn = SL_AGG_COUNT;
		spec.type = SL_TYPE_BIGINT;
		/* count(*) and count(<non-null literal>) count rows */
		if (arg->kind == SL_AST_STAR ||
		    (arg->kind == SL_AST_LITERAL && arg->lit.type != SL_TYPE_NULL))
			spec.fn = SL_AGG_COUNT_STAR;
	} else if (arg->kind == SL_AST_STAR) {
		return cerr(c, arg->line, arg->column, "'*' is only allowed as count(*), not in %s(...)",
			    n);
	} else if (strcmp(n, "sum") == 0) {
		spec.fn = SL_AGG_SUM;
	} else if (strcmp(n, "min") == 0) {
		spec.fn = SL_AGG_MIN;
	} else if (strcmp(n, "max") == 0) {
		spec.fn = SL_AGG_MAX;
	} else if (approx) {
		/* Spark's HyperLogLogPlusPlus: relativeSD a double literal, 0.05
		 * by default; its precision p = ceil(2 log2(1.106 / rsd)) */
		spec.fn = SL_AGG_APPROX_COUNT_DISTINCT;
		spec.type = SL_TYPE_BIGINT;
		spec.rsd = SL_HLL_RSD_DEFAULT;
		if (a->nargs == 2) {
			const struct sl_ast *r = a->args[1], *lit = r;
			/* Spark's grammar reads -0.1 as one (negative) literal */
			bool neg = r->kind == SL_AST_OP && r->op == SL_AOP_NEG && r->nargs == 1;
			if (neg)
				lit = r->args[0];
			if (lit->kind != SL_AST_LITERAL || lit->lit.type != SL_TYPE_DOUBLE)
				return cerr(c, r->line, r->column,
					    "The second argument should be a double literal.");
			spec.rsd = neg ? -lit->lit.v.f64 : lit->lit.v.f64;
			int p = sl_hll_precision(spec.rsd);
			if (p < SL_HLL_P_MIN)
				return cerr(c, r->line, r->column,
					    "HLL++ requires at least 4 bits for addressing. Use a "
					    "lower error, at most 39%%.");
			if (p > SL_HLL_P_MAX)
				return cerr(c, r->line, r->column,
					    "approx_count_distinct: a relative error of %g needs 2^%d "
					    "registers per group; sluice keeps at most 2^%d (%u bytes "
					    "per group): use an error of at least 0.0022",
					    spec.rsd, p, SL_HLL_P_MAX,
					    8 * sl_hll_words(SL_HLL_P_MAX));
		}
	} else {
		spec.fn = SL_AGG_AVG; /* avg, mean */
	}
	if (spec.fn != SL_AGG_COUNT_STAR) {
		const struct sl_ast *g = ast_find_gen(arg);
		if (g != NULL) {
			char gen[200];
			pretty(g, gen, sizeof(gen));
			return cerr(c, g->line, g->column,
				    "Generators are not supported inside an aggregate function, but "
				    "got: %s",
				    gen);
		}
		struct bctx ab = *b;
		ab.mode = MODE_PLAIN;
		ab.in_agg = true;
		ab.item = NULL;
		struct sl_expr *e = build_node(&ab, arg);
		if (e == NULL)
			return NULL;
		char tb[64];
		switch (spec.fn) {
		case SL_AGG_COUNT:
			if (e->type == SL_TYPE_NULL)
				e = to_type(c, e, SL_TYPE_INT);
			break;
		case SL_AGG_SUM:
		case SL_AGG_AVG:
			/* Spark casts a string to DOUBLE for sum and avg */
			if (e->type == SL_TYPE_STRING || e->type == SL_TYPE_NULL)
				e = to_type(c, e, SL_TYPE_DOUBLE);
			if (e != NULL && !sl_type_is_numeric(e->type)) {
				char whole[200];
				pretty(a, whole, sizeof(whole));
				cerr(c, a->line, a->column,
				     "cannot resolve '%s' due to data type mismatch: function %s "
				     "requires numeric types, not %s",
				     whole, n, etype(e, tb, sizeof(tb)));
				x_free(e);
				return NULL;
			}
			if (e != NULL)
				spec.type = spec.fn == SL_AGG_AVG || e->type == SL_TYPE_DOUBLE
						    ? SL_TYPE_DOUBLE
						    : SL_TYPE_BIGINT;
			break;
		case SL_AGG_APPROX_COUNT_DISTINCT:
			/* any type (an ARRAY is refused with the other aggregates'
			 * arrays); a bare NULL counts nothing */
			if (e->type == SL_TYPE_NULL)
				e = to_type(c, e, SL_TYPE_INT);
			break;
		default: /* min, max */
			if (e->type == SL_TYPE_NULL)
				e = to_type(c, e, SL_TYPE_INT);
			if (e != NULL && (e->type == SL_TYPE_ARRAY || e->type == SL_TYPE_WINDOW ||
					  e->type == SL_TYPE_HEADER)) {
				cerr(c, a->line, a->column, "%s of an %s is not supported", n,
				     etype(e, tb, sizeof(tb)));
				x_free(e);
				return NULL;
			}
			if (e != NULL)
				spec.type = e->type;
			break;
		}
		if (e == NULL)
			return NULL;
		spec.arg = e;
	}
	pretty_name(a, spec.name);
	/* the same aggregate twice is computed once */
	for (uint32_t j = 0; j < plan->naggs; j++) {
		if (plan->aggs[j].fn == spec.fn && plan->aggs[j].rsd == spec.rsd &&
		    x_equal(plan->aggs[j].arg, spec.arg)) {
			x_free(spec.arg);
			return x_col(c, plan->nkeys + j, plan->aggs[j].type, SL_TYPE_NULL, a->line,
				     a->column);
		}
	}
	struct sl_agg_spec *nv = realloc(plan->aggs, (plan->naggs + 1) * sizeof(*nv));
	if (nv == NULL) {
		x_free(spec.arg);
		return coom(c);
	}
	plan->aggs = nv;
	plan->aggs[plan->naggs++] = spec;
	return x_col(c, plan->nkeys + plan->naggs - 1, spec.type, SL_TYPE_NULL, a->line, a->column);
}

/* ------------------------------------------------------------- lowering */

static struct sl_op *add_op_to(struct compiler *c, struct sl_input *in, enum sl_op_kind kind)
{
	struct sl_op *nv = realloc(in->ops, (in->nops + 1) * sizeof(*nv));
	if (nv == NULL)
		return coom(c);
	in->ops = nv;
	struct sl_op *op = &in->ops[in->nops++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

/* An operator at the end of the input being lowered. */
static struct sl_op *add_op(struct planner *pl, enum sl_op_kind kind)
{
	return add_op_to(pl->c, &pl->plan->input, kind);
}

/* A select-list entry after `*` expansion. */
struct item {
	const struct sl_ast *ast;
	char name[SL_NAME_MAX];
	const char *alias;
	bool is_gen;
};

static int expand_items(struct planner *pl, const struct sl_query *q, const struct rel *rel,
			struct item **out, uint32_t *nout)
{
	struct compiler *c = pl->c;
	uint32_t n = 0, cap = q->nitems + rel->ncols * 2 + 4;
	struct item *v = calloc(cap, sizeof(*v));
	if (v == NULL) {
		coom(c);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < q->nitems; i++) {
		const struct sl_select_item *si = &q->items[i];
		const struct sl_ast *a = si->expr;
		if (a->kind == SL_AST_STAR) {
			if (a->qualifier != NULL && !rel_has_qual(rel, a->qualifier)) {
				char names[512];
				rel_names(rel, names, sizeof(names));
				cerr(c, a->line, a->column,
				     "unknown table or alias '%s' in '%s.*' (columns: %s)", a->qualifier,
				     a->qualifier, names);
				goto err;
			}
			for (uint32_t k = 0; k < rel->ncols; k++) {
				const struct pcol *p = &rel->cols[k];
				if (p->hidden || (a->qualifier && strcasecmp(p->qual, a->qualifier) != 0) ||
				    (a->qualifier == NULL && p->qualified_only))
					continue;
				if (n == cap) {
					cap *= 2;
					struct item *nv = realloc(v, cap * sizeof(*v));
					if (nv == NULL) {
						coom(c);
						goto err;
					}
					v = nv;
				}
				struct sl_ast *col = sl_ast_alloc(c->script->arena, sizeof(*col));
				if (col == NULL) {
					coom(c);
					goto err;
				}
				col->kind = SL_AST_COLUMN;
				col->line = a->line;
				col->column = a->column;
				col->name = p->name;
				col->bound = true;
				col->bound_index = k;
				memset(&v[n], 0, sizeof(v[n]));
				v[n].ast = col;
				memcpy(v[n].name, p->name, SL_NAME_MAX);
				n++;
			}
			continue;
		}
		if (n == cap) {
			cap *= 2;
			struct item *nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				coom(c);
				goto err;
			}
			v = nv;
		}
		struct item *it = &v[n++];
		memset(it, 0, sizeof(*it));
		it->ast = a;
		it->alias = si->alias;
		it->is_gen = is_gen_call(a);
		uint32_t idx;
		if (si->alias != NULL)
			name_copy(it->name, si->alias, strlen(si->alias));
		else if (it->is_gen)
			strcpy(it->name, "col"); /* Spark's default for explode */
		else if (a->kind == SL_AST_COLUMN && rel_find(rel, a->qualifier, a->name, &idx) == 0)
			memcpy(it->name, rel->cols[idx].name, SL_NAME_MAX);
		else
			pretty_name(a, it->name);
	}
	*out = v;
	*nout = n;
	return 0;
err:
	free(v);
	return c->rc;
}

static int lower_query(struct planner *pl, const struct sl_query *q, bool top, struct rel *out);
static int lower_union(struct planner *pl, const struct sl_query *q, struct rel *out);

static const struct source_def *find_source(const struct compiler *c, const char *name)
{
	for (uint32_t i = 0; i < c->nsources; i++)
		if (strcasecmp(c->sources[i].spec.name, name) == 0)
			return &c->sources[i];
	return NULL;
}

static const struct source_def *find_table(const struct compiler *c, const char *name)
{
	for (uint32_t i = 0; i < c->ntables; i++)
		if (strcasecmp(c->tables[i].spec.name, name) == 0)
			return &c->tables[i];
	return NULL;
}

/* "unknown source 'x' (sources: a, b; tables: t)" at f. */
static int unknown_item(struct compiler *c, const struct sl_from *f)
{
	char names[512], tables[512];
	size_t used = 0;
	names[0] = tables[0] = '\0';
	for (uint32_t i = 0; i < c->nsources && used < sizeof(names); i++) {
		int w = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
				 c->sources[i].spec.name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	used = 0;
	for (uint32_t i = 0; i < c->ntables && used < sizeof(tables); i++) {
		int w = snprintf(tables + used, sizeof(tables) - used, "%s%s", i ? ", " : "",
				 c->tables[i].spec.name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (c->nsources == 0 && c->ntables == 0)
		cerr(c, f->line, f->column,
		     "unknown source '%s' (no source is defined yet: CREATE SOURCE comes before the "
		     "query that reads it)",
		     f->source);
	else if (c->ntables == 0)
		cerr(c, f->line, f->column, "unknown source '%s' (sources: %s)", f->source, names);
	else
		cerr(c, f->line, f->column, "unknown source or table '%s' (sources: %s; tables: %s)",
		     f->source, c->nsources ? names : "none", tables);
	return c->rc;
}

/* A stream item of FROM or JOIN: a source, or a derived table (lowered
 * into the input's operators), as the scope rel. */
static int lower_item(struct planner *pl, const struct sl_from *f, struct rel *rel)
{
	struct compiler *c = pl->c;
	if (f->source != NULL) {
		const struct source_def *sd = find_source(c, f->source);
		if (sd == NULL)
			return unknown_item(c, f);
		/* the one source this input reads */
		struct sl_source_spec *dst = &pl->plan->source;
		*dst = sd->spec;
		dst->schema.cols = NULL;
		dst->options.v = NULL;
		dst->options.n = 0;
		if (schema_copy(&dst->schema, &sd->spec.schema) < 0 ||
		    options_copy(&dst->options, &sd->spec.options) < 0) {
			coom(c);
			return c->rc;
		}
		const char *qual = f->alias ? f->alias : sd->spec.name;
		for (uint32_t i = 0; i < sd->spec.schema.ncols; i++) {
			struct pcol *p = rel_add(c, rel);
			if (p == NULL)
				return c->rc;
			memcpy(p->name, sd->spec.schema.cols[i].name, SL_NAME_MAX);
			name_copy(p->qual, qual, strlen(qual));
			p->type = sd->spec.schema.cols[i].type;
			p->elem_type = sd->spec.schema.cols[i].elem_type;
			p->event_time = sd->spec.watermark_col == (int32_t)i;
		}
		return 0;
	}
	int rc = f->query->union_all != NULL ? lower_union(pl, f->query, rel)
					     : lower_query(pl, f->query, false, rel);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < rel->ncols; i++) {
		if (f->alias != NULL)
			name_copy(rel->cols[i].qual, f->alias, strlen(f->alias));
		else
			rel->cols[i].qual[0] = '\0';
	}
	return 0;
}

/* ------------------------------------------------------- stream-static joins */

static void free_exprs(struct sl_expr **v, uint32_t n);

static const char *join_words(enum sl_ast_join t)
{
	switch (t) {
	case SL_AJOIN_INNER: return "JOIN";
	case SL_AJOIN_CROSS: return "CROSS JOIN";
	case SL_AJOIN_LEFT: return "LEFT JOIN";
	case SL_AJOIN_RIGHT: return "RIGHT JOIN";
	case SL_AJOIN_FULL: return "FULL JOIN";
	case SL_AJOIN_LEFT_SEMI: return "LEFT SEMI JOIN";
	case SL_AJOIN_LEFT_ANTI: return "LEFT ANTI JOIN";
	}
	return "JOIN";
}

/*
 * Spark's UnsupportedOperationChecker for a stream joined with a static
 * table (its words, so that they can be searched), then how to write what
 * works. stream_left: the stream is the left side (written first).
 */
static int check_join_type(struct compiler *c, const struct sl_join_clause *j, bool stream_left)
{
	const char *msg = NULL, *fix = NULL;
	if (stream_left) {
		if (j->type == SL_AJOIN_RIGHT) {
			msg = "RightOuter join with a streaming DataFrame/Dataset on the left and a "
			      "static DataFrame/DataSet on the right not supported";
			fix = "a right join keeps every row of the static table, which a stream cannot "
			      "know to be unmatched; write the stream's LEFT JOIN (FROM stream LEFT JOIN "
			      "table) to keep every stream row";
		} else if (j->type == SL_AJOIN_FULL) {
			msg = "FullOuter joins with streaming DataFrames/Datasets on the left and a "
			      "static DataFrame/Dataset on the right is not supported";
			fix = "write LEFT JOIN to keep every stream row";
		}
	} else {
		if (j->type == SL_AJOIN_LEFT || j->type == SL_AJOIN_LEFT_SEMI) {
			msg = j->type == SL_AJOIN_LEFT
				      ? "LeftOuter join with a streaming DataFrame/Dataset on the right "
					"and a static DataFrame/Dataset on the left is not supported"
				      : "LeftSemi join with a streaming DataFrame/Dataset on the right "
					"and a static DataFrame/Dataset on the left is not supported";
			fix = "the static side's unmatched rows would depend on rows yet to come; put "
			      "the stream on the left (FROM stream LEFT JOIN table), or write RIGHT JOIN "
			      "to keep every stream row";
		} else if (j->type == SL_AJOIN_LEFT_ANTI) {
			msg = "LeftAnti joins with a streaming DataFrame/Dataset on the right are not "
			      "supported";
			fix = "put the stream on the left (FROM stream LEFT ANTI JOIN table)";
		} else if (j->type == SL_AJOIN_FULL) {
			msg = "FullOuter joins with streaming DataFrames/Datasets on the right and a "
			      "static DataFrame/Dataset on the left is not supported";
			fix = "write RIGHT JOIN (or FROM stream LEFT JOIN table) to keep every stream row";
		}
	}
	if (msg == NULL)
		return 0;
	return cerr(c, j->line, j->column, "%s; %s", msg, fix), c->rc;
}

/* Which sides e reads in the joined scope [left 0..nl, table nl..]: bit 1
 * the left (the stream), bit 2 the table. */
static unsigned x_sides(const struct sl_expr *e, uint32_t nl)
{
	if (e->kind == SL_EXPR_COLUMN)
		return e->col < nl ? 1u : 2u;
	unsigned m = 0;
	for (uint32_t i = 0; i < e->nargs; i++)
		m |= x_sides(e->args[i], nl);
	return m;
}

static void x_shift(struct sl_expr *e, uint32_t by)
{
	if (e->kind == SL_EXPR_COLUMN)
		e->col -= by;
	for (uint32_t i = 0; i < e->nargs; i++)
		x_shift(e->args[i], by);
}

/* Free a call node without its arguments (taken elsewhere). */
static void x_free_shell(struct sl_expr *e)
{
	free(e->args);
	free(e);
}

/* The conjuncts of e (AND taken apart, its nodes freed) appended to v. */
static int take_conjuncts(struct compiler *c, struct sl_expr *e, struct sl_expr ***v, uint32_t *n)
{
	if (e->kind == SL_EXPR_CALL && e->fn == SL_FN_AND && e->nargs == 2) {
		struct sl_expr *l = e->args[0], *r = e->args[1];
		x_free_shell(e);
		int rc = take_conjuncts(c, l, v, n);
		if (rc < 0) {
			x_free(r);
			return rc;
		}
		return take_conjuncts(c, r, v, n);
	}
	struct sl_expr **nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL) {
		x_free(e);
		return coom(c), -ENOMEM;
	}
	nv[(*n)++] = e;
	*v = nv;
	return 0;
}

static bool join_key_type(enum sl_type t)
{
	return t == SL_TYPE_BOOLEAN || t == SL_TYPE_INT || t == SL_TYPE_BIGINT ||
	       t == SL_TYPE_DOUBLE || t == SL_TYPE_STRING || t == SL_TYPE_TIMESTAMP ||
	       t == SL_TYPE_INTERVAL || t == SL_TYPE_BINARY;
}

static int add_join_key(struct compiler *c, struct sl_join *j, struct sl_expr *probe,
			struct sl_expr *build)
{
	struct sl_expr **p = realloc(j->probe, (j->nkeys + 1) * sizeof(*p));
	if (p != NULL)
		j->probe = p;
	struct sl_expr **b = realloc(j->build, (j->nkeys + 1) * sizeof(*b));
	if (b != NULL)
		j->build = b;
	if (p == NULL || b == NULL) {
		x_free(probe);
		x_free(build);
		return coom(c), -ENOMEM;
	}
	j->probe[j->nkeys] = probe;
	j->build[j->nkeys] = build;
	j->nkeys++;
	return 0;
}

/* ON cond: its equalities between an expression of the stream and one of
 * the table become the keys (as Spark's ExtractEquiJoinKeys), the rest the
 * residual condition, evaluated on each matching pair. */
static int join_on(struct planner *pl, const struct sl_join_clause *jc, const struct rel *scope,
		   uint32_t nl, struct sl_join *j)
{
	struct compiler *c = pl->c;
	const struct sl_ast *on = jc->on;
	const struct sl_ast *g = ast_find_gen(on);
	if (g != NULL) {
		char gen[200];
		pretty(g, gen, sizeof(gen));
		return cerr(c, g->line, g->column,
			    "Generators are not supported outside the SELECT clause, but got: %s", gen),
		       c->rc;
	}
	struct bctx b = {.pl = pl, .rel = scope, .mode = MODE_PLAIN, .clause = "a join condition"};
	struct sl_expr *e = build(&b, on);
	if (e != NULL && e->type == SL_TYPE_NULL)
		e = to_type(c, e, SL_TYPE_BOOLEAN);
	if (e == NULL)
		return c->rc;
	if (e->type != SL_TYPE_BOOLEAN) {
		char whole[200], tb[64];
		pretty(on, whole, sizeof(whole));
		cerr(c, on->line, on->column,
		     "join condition '%s' of type %s is not a boolean: ON needs a condition such as "
		     "s.k = t.k",
		     whole, etype(e, tb, sizeof(tb)));
		x_free(e);
		return c->rc;
	}
	struct sl_expr **conj = NULL, *residual = NULL;
	uint32_t n = 0;
	int rc = take_conjuncts(c, e, &conj, &n);
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		struct sl_expr *x = conj[i];
		conj[i] = NULL;
		if (x->kind == SL_EXPR_CALL && x->fn == SL_FN_EQ && x->nargs == 2 &&
		    join_key_type(x->args[0]->type)) {
			unsigned s0 = x_sides(x->args[0], nl), s1 = x_sides(x->args[1], nl);
			if ((s0 == 1 && s1 == 2) || (s0 == 2 && s1 == 1)) {
				struct sl_expr *probe = x->args[s0 == 1 ? 0 : 1];
				struct sl_expr *bld = x->args[s0 == 1 ? 1 : 0];
				x_free_shell(x);
				x_shift(bld, nl);
				rc = add_join_key(c, j, probe, bld);
				continue;
			}
		}
		if (residual == NULL) {
			residual = x;
		} else {
			residual = x_call2(c, SL_FN_AND, SL_TYPE_BOOLEAN, on, residual, x);
			if (residual == NULL)
				rc = c->rc;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		x_free(conj[i]);
	free(conj);
	j->residual = residual;
	return rc < 0 ? rc : c->rc;
}

/* Spark's left-side and right-side column lists: names sorted, quoted. */
static void using_names(const struct rel *r, uint32_t from, uint32_t to, char *buf, size_t len)
{
	const char **v = calloc(to - from + 1, sizeof(*v));
	size_t used = 0, n = 0;
	buf[0] = '\0';
	if (v == NULL)
		return;
	for (uint32_t i = from; i < to; i++)
		if (!r->cols[i].hidden && !r->cols[i].qualified_only)
			v[n++] = r->cols[i].name;
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && strcmp(v[k - 1], v[k]) > 0; k--) {
			const char *t = v[k - 1];
			v[k - 1] = v[k];
			v[k] = t;
		}
	for (size_t i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s`%s`", i ? ", " : "", v[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	free(v);
}

/* The first visible column of scope[from, to) named `name`, or -1. */
static int64_t using_find(const struct rel *r, uint32_t from, uint32_t to, const char *name)
{
	for (uint32_t i = from; i < to; i++)
		if (!r->cols[i].hidden && !r->cols[i].qualified_only &&
		    strcasecmp(r->cols[i].name, name) == 0)
			return i;
	return -1;
}

/* USING (cols): the key pairs, each column of both sides by name (Spark
 * takes the first of each side), compared as Spark's = compares them.
 * lcol[k], rcol[k]: the pair's scope columns, left and right as written. */
static int join_using(struct planner *pl, const struct sl_join_clause *jc, const struct rel *scope,
		      uint32_t nl, bool table_first, struct sl_join *j, uint32_t *lcol,
		      uint32_t *rcol)
{
	struct compiler *c = pl->c;
	/* the written sides in the scope [stream 0..nl, table nl..n] */
	uint32_t lfrom = table_first ? nl : 0, lto = table_first ? scope->ncols : nl;
	uint32_t rfrom = table_first ? 0 : nl, rto = table_first ? nl : scope->ncols;
	for (uint32_t k = 0; k < jc->nusing; k++) {
		const struct sl_using *u = &jc->using[k];
		int64_t li = using_find(scope, lfrom, lto, u->name);
		int64_t ri = using_find(scope, rfrom, rto, u->name);
		if (li < 0 || ri < 0) {
			char names[512];
			const char *side = li < 0 ? "left" : "right";
			using_names(scope, li < 0 ? lfrom : rfrom, li < 0 ? lto : rto, names,
				    sizeof(names));
			return cerr(c, u->line, u->column,
				    "[UNRESOLVED_USING_COLUMN_FOR_JOIN] USING column `%s` cannot be "
				    "resolved on the %s side of the join. The %s-side columns: [%s]",
				    u->name, side, side, names),
			       c->rc;
		}
		uint32_t si = (uint32_t)(table_first ? ri : li), ti = (uint32_t)(table_first ? li : ri);
		const struct pcol *sp = &scope->cols[si], *tp = &scope->cols[ti];
		enum sl_type t;
		if (!cmp_type(sp->type, tp->type, &t) || !join_key_type(t)) {
			char a[64], bb[64];
			return cerr(c, u->line, u->column,
				    "USING column `%s` cannot be a join key: it is %s on one side and "
				    "%s on the other, which do not compare",
				    u->name, type_text(sp->type, sp->elem_type, a, sizeof(a)),
				    type_text(tp->type, tp->elem_type, bb, sizeof(bb))),
			       c->rc;
		}
		struct sl_expr *probe = to_type(c, x_col(c, si, sp->type, sp->elem_type, u->line,
							  u->column), t);
		struct sl_expr *bld = probe != NULL ? to_type(c, x_col(c, ti - nl, tp->type,
								       tp->elem_type, u->line,
								       u->column), t)
						    : NULL;
		if (probe == NULL || bld == NULL) {
			x_free(probe);
			return c->rc != 0 ? c->rc : (coom(c), c->rc);
		}
		if (add_join_key(c, j, probe, bld) < 0)
			return c->rc;
		lcol[k] = (uint32_t)li;
		rcol[k] = (uint32_t)ri;
	}
	return 0;
}

/* The index of the plan's copy of table td, added on first use. */
static int plan_table(struct compiler *c, struct sl_plan *plan, const struct source_def *td,
		      uint32_t *idx)
{
	for (uint32_t i = 0; i < plan->ntables; i++) {
		if (strcasecmp(plan->tables[i].def.name, td->spec.name) == 0) {
			*idx = i;
			return 0;
		}
	}
	struct sl_table_spec *nv = realloc(plan->tables, (plan->ntables + 1) * sizeof(*nv));
	if (nv == NULL)
		return coom(c), c->rc;
	plan->tables = nv;
	struct sl_table_spec *t = &plan->tables[plan->ntables];
	memset(t, 0, sizeof(*t));
	t->def = td->spec;
	t->def.schema.cols = NULL;
	t->def.schema.ncols = 0;
	t->def.options.v = NULL;
	t->def.options.n = 0;
	plan->ntables++;
	if (schema_copy(&t->def.schema, &td->spec.schema) < 0 ||
	    options_copy(&t->def.options, &td->spec.options) < 0)
		return coom(c), c->rc;
	*idx = plan->ntables - 1;
	return 0;
}

static void join_free(struct sl_join *j)
{
	if (j == NULL)
		return;
	free_exprs(j->probe, j->nkeys);
	free_exprs(j->build, j->nkeys);
	x_free(j->residual);
	free(j->src);
	sl_static_index_destroy(j->index);
	free(j);
}

/*
 * The join jc of the stream (scope rel `left`, the input's columns so far)
 * with table td (written as titem): an SL_OP_JOIN_STATIC at the end of the
 * input, and *out
 * the scope after it. table_first: the table was written on the left
 * (FROM table JOIN stream). Output columns, as Spark's join output: left
 * then right as written; with USING, the keys first (from the left side,
 * or the right for RIGHT JOIN), then each side's other columns, and the
 * other side's keys last, named only with their qualifier.
 */
static int lower_join(struct planner *pl, const struct sl_join_clause *jc, struct rel *left,
		      const struct source_def *td, const struct sl_from *titem, bool table_first,
		      struct rel *out)
{
	struct compiler *c = pl->c;
	struct rel scope = {0};
	struct sl_join *j = NULL;
	uint32_t *lcol = NULL, *rcol = NULL;
	uint32_t *src = NULL;
	int rc;
	memset(out, 0, sizeof(*out));
	if (left->post_agg) {
		cerr(c, jc->line, jc->column,
		     "a join after an aggregation is not supported: join the stream with the table "
		     "first, then aggregate (the join runs on the ingest cores, before the "
		     "exchange)");
		goto err;
	}
	const uint32_t nl = left->ncols, nt = td->spec.schema.ncols;
	/* the scope of ON: [stream..., table...] */
	scope.cols = calloc(nl + nt ? nl + nt : 1, sizeof(*scope.cols));
	j = calloc(1, sizeof(*j));
	lcol = calloc(jc->nusing + 1, sizeof(*lcol));
	rcol = calloc(jc->nusing + 1, sizeof(*rcol));
	/* every column once, and each USING key twice (USING (k, k) names
	 * one column twice) */
	src = calloc(nl + nt + 2 * (size_t)jc->nusing + 1, sizeof(*src));
	if (scope.cols == NULL || j == NULL || lcol == NULL || rcol == NULL || src == NULL) {
		coom(c);
		goto err;
	}
	scope.ncols = nl + nt;
	memcpy(scope.cols, left->cols, nl * sizeof(*scope.cols));
	const char *qual = titem->alias ? titem->alias : td->spec.name;
	for (uint32_t i = 0; i < nt; i++) {
		struct pcol *p = &scope.cols[nl + i];
		memset(p, 0, sizeof(*p));
		memcpy(p->name, td->spec.schema.cols[i].name, SL_NAME_MAX);
		name_copy(p->qual, qual, strlen(qual));
		p->type = td->spec.schema.cols[i].type;
	}
	if (plan_table(c, pl->plan, td, &j->table) < 0)
		goto err;
	j->nin = nl;
	j->build_left = table_first;
	switch (jc->type) {
	case SL_AJOIN_LEFT: j->type = SL_JOIN_LEFT_OUTER; break;
	case SL_AJOIN_RIGHT: j->type = SL_JOIN_RIGHT_OUTER; break;
	case SL_AJOIN_LEFT_SEMI: j->type = SL_JOIN_LEFT_SEMI; break;
	case SL_AJOIN_LEFT_ANTI: j->type = SL_JOIN_LEFT_ANTI; break;
	default: j->type = SL_JOIN_INNER; break;
	}
	if (jc->has_using)
		rc = join_using(pl, jc, &scope, nl, table_first, j, lcol, rcol);
	else if (jc->on != NULL)
		rc = join_on(pl, jc, &scope, nl, j);
	else
		rc = 0;
	if (rc < 0)
		goto err;
	if (j->nkeys == 0) {
		if (jc->type == SL_AJOIN_CROSS || jc->on == NULL)
			cerr(c, jc->line, jc->column,
			     "%s without an equality condition is a cross join, which is not "
			     "supported: join the stream with table '%s' on equal keys (ON s.k = "
			     "%s.k, or USING (k))",
			     join_words(jc->type), td->spec.name, qual);
		else
			cerr(c, jc->on->line, jc->on->column,
			     "the join condition has no equality between a column of the stream and "
			     "a column of table '%s' (such as s.k = %s.k): sluice joins a stream with "
			     "a table on equal keys; conditions without one (a nested-loop join) are "
			     "not supported",
			     td->spec.name, qual);
		goto err;
	}

	/* the output columns, as scope columns (stream i, table nl + i) */
	uint32_t n = 0;
	bool semi = j->type == SL_JOIN_LEFT_SEMI || j->type == SL_JOIN_LEFT_ANTI;
	uint32_t lfrom = table_first ? nl : 0, lto = table_first ? nl + nt : nl;
	uint32_t rfrom = table_first ? 0 : nl, rto = table_first ? nl : nl + nt;
	if (jc->has_using) {
		const uint32_t *first = j->type == SL_JOIN_RIGHT_OUTER ? rcol : lcol;
		const uint32_t *other = j->type == SL_JOIN_RIGHT_OUTER ? lcol : rcol;
		for (uint32_t k = 0; k < jc->nusing; k++)
			src[n++] = first[k];
		for (uint32_t i = lfrom; i < lto; i++) {
			bool key = false;
			for (uint32_t k = 0; k < jc->nusing && !key; k++)
				key = lcol[k] == i;
			if (!key)
				src[n++] = i;
		}
		for (uint32_t i = rfrom; i < rto && !semi; i++) {
			bool key = false;
			for (uint32_t k = 0; k < jc->nusing && !key; k++)
				key = rcol[k] == i;
			if (!key)
				src[n++] = i;
		}
		for (uint32_t k = 0; k < jc->nusing && !semi; k++)
			src[n++] = other[k];
	} else {
		for (uint32_t i = lfrom; i < lto; i++)
			src[n++] = i;
		for (uint32_t i = rfrom; i < rto && !semi; i++)
			src[n++] = i;
	}
	out->cols = calloc(n ? n : 1, sizeof(*out->cols));
	if (out->cols == NULL) {
		coom(c);
		goto err;
	}
	out->ncols = n;
	for (uint32_t o = 0; o < n; o++) {
		out->cols[o] = scope.cols[src[o]];
		/* the other side's copies of the USING keys: t.k only */
		out->cols[o].qualified_only =
			scope.cols[src[o]].qualified_only || (jc->has_using && !semi && o >= n - jc->nusing);
		/* a table column carries no event time; a stream column keeps
		 * its own */
	}
	j->src = src;
	src = NULL;
	struct sl_op *op = add_op(pl, SL_OP_JOIN_STATIC);
	if (op == NULL)
		goto err;
	op->join = j;
	j = NULL;
	if (rel_to_schema(out, &op->out) < 0) {
		coom(c);
		goto err;
	}
	free(scope.cols);
	free(lcol);
	free(rcol);
	return 0;
err:
	rel_free(out);
	free(scope.cols);
	free(lcol);
	free(rcol);
	free(src);
	join_free(j);
	return c->rc != 0 ? c->rc : -EINVAL;
}

/*
 * FROM item [joins]. The stream is a source or a derived table; the other
 * items are static tables (CREATE TABLE), joined on the ingest cores in
 * the order written. A table may come first when the stream is the item
 * right after it (FROM table JOIN stream: inner or RIGHT JOIN, as Spark).
 */
static int lower_from(struct planner *pl, const struct sl_query *q, struct rel *rel)
{
	struct compiler *c = pl->c;
	const struct sl_from *f = &q->from;
	uint32_t k = 0;
	const struct source_def *td =
		f->source != NULL && find_source(c, f->source) == NULL ? find_table(c, f->source) : NULL;
	if (td != NULL) {
		if (q->njoins == 0)
			return cerr(c, f->line, f->column,
				    "table '%s' is static: a query reads a stream; join the table "
				    "with a source (FROM source JOIN %s ON ...)",
				    td->spec.name, td->spec.name),
			       c->rc;
		const struct sl_join_clause *jc = &q->joins[0];
		const struct sl_from *s = &jc->item;
		if (s->source != NULL && find_source(c, s->source) == NULL) {
			if (find_table(c, s->source) != NULL)
				return cerr(c, s->line, s->column,
					    "joining two static tables ('%s' and '%s') is not "
					    "supported: join each table with the stream (FROM stream "
					    "JOIN %s ON ... JOIN %s ON ...)",
					    td->spec.name, s->source, td->spec.name, s->source),
				       c->rc;
			return unknown_item(c, s);
		}
		if (check_join_type(c, jc, false) < 0)
			return c->rc;
		struct rel srel = {0};
		int rc = lower_item(pl, s, &srel);
		if (rc == 0)
			rc = lower_join(pl, jc, &srel, td, f, true, rel);
		rel_free(&srel);
		if (rc < 0)
			return rc;
		k = 1;
	} else {
		int rc = lower_item(pl, f, rel);
		if (rc < 0)
			return rc;
	}
	for (; k < q->njoins; k++) {
		const struct sl_join_clause *jc = &q->joins[k];
		const struct sl_from *it = &jc->item;
		if (it->query != NULL)
			return cerr(c, it->line, it->column,
				    "a derived table on the right of a join is not supported: join "
				    "the stream with a table by its name (JOIN t ON ...); joins of "
				    "two streams are not supported yet"),
			       c->rc;
		const struct source_def *t = find_source(c, it->source) == NULL
						     ? find_table(c, it->source)
						     : NULL;
		if (t == NULL) {
			if (find_source(c, it->source) != NULL)
				return cerr(c, it->line, it->column,
					    "joining two streams is not supported yet ('%s' is a "
					    "source): a stream-stream join keeps both sides' rows "
					    "as state, which sluice does not do yet; join a stream "
					    "with a static table (CREATE TABLE), or combine streams "
					    "with UNION ALL",
					    it->source),
				       c->rc;
			return unknown_item(c, it);
		}
		if (check_join_type(c, jc, true) < 0)
			return c->rc;
		struct rel joined;
		int rc = lower_join(pl, jc, rel, t, it, false, &joined);
		if (rc < 0)
			return rc;
		rel_free(rel);
		*rel = joined;
	}
	return 0;
}

static int lower_lateral(struct planner *pl, const struct sl_lateral *lv, struct rel *rel)
{
	struct compiler *c = pl->c;
	const struct sl_ast *g = lv->gen;
	if (!is_gen_call(g))
		return cerr(c, g->line, g->column,
			    "LATERAL VIEW takes explode(...), not %s(...)", g->name),
		       c->rc;
	if (rel->post_agg)
		return cerr(c, lv->line, lv->column,
			    "LATERAL VIEW over an aggregated derived table is not supported"),
		       c->rc;
	if (g->nargs != 1)
		return cerr(c, g->line, g->column, "explode expects 1 argument, got %u", g->nargs),
		       c->rc;
	struct bctx b = {.pl = pl, .rel = rel, .mode = MODE_PLAIN, .clause = "LATERAL VIEW"};
	struct sl_expr *e = build(&b, g->args[0]);
	if (e == NULL)
		return c->rc;
	if (e->type != SL_TYPE_ARRAY) {
		char whole[200], tb[64];
		pretty(g, whole, sizeof(whole));
		cerr(c, g->line, g->column,
		     "cannot resolve '%s' due to data type mismatch: input to function explode should "
		     "be array or map type, not %s",
		     whole, etype(e, tb, sizeof(tb)));
		x_free(e);
		return c->rc;
	}
	struct sl_op *op = add_op(pl, SL_OP_EXPLODE);
	if (op == NULL) {
		x_free(e);
		return c->rc;
	}
	op->gen = e;
	struct pcol *p = rel_add(c, rel);
	if (p == NULL)
		return c->rc;
	const char *name = lv->col ? lv->col : "col";
	name_copy(p->name, name, strlen(name));
	name_copy(p->qual, lv->table, strlen(lv->table));
	p->type = e->elem_type;
	p->elem_type = SL_TYPE_NULL;
	if (rel_to_schema(rel, &op->out) < 0)
		return coom(c), c->rc;
	return 0;
}

static int lower_where(struct planner *pl, const struct sl_query *q, struct rel *rel)
{
	struct compiler *c = pl->c;
	const struct sl_ast *w = q->where;
	const struct sl_ast *g = ast_find_gen(w);
	if (g != NULL) {
		char gen[200];
		pretty(g, gen, sizeof(gen));
		return cerr(c, g->line, g->column,
			    "Generators are not supported outside the SELECT clause, but got: %s", gen),
		       c->rc;
	}
	struct bctx b = {.pl = pl, .rel = rel, .mode = MODE_PLAIN, .clause = "WHERE"};
	struct sl_expr *e = build(&b, w);
	if (e == NULL)
		return c->rc;
	if (e->type == SL_TYPE_NULL)
		e = to_type(c, e, SL_TYPE_BOOLEAN);
	if (e != NULL && e->type != SL_TYPE_BOOLEAN) {
		char whole[200], tb[64];
		pretty(w, whole, sizeof(whole));
		cerr(c, w->line, w->column,
		     "filter expression '%s' of type %s is not a boolean: WHERE needs a condition",
		     whole, etype(e, tb, sizeof(tb)));
		x_free(e);
		return c->rc;
	}
	if (e == NULL)
		return c->rc;
	if (rel->post_agg) {
		/* over a finished aggregate: the condition joins HAVING */
		struct sl_expr *s = x_subst(c, e, rel->agg_exprs);
		x_free(e);
		if (s == NULL)
			return c->rc;
		struct sl_plan *plan = pl->plan;
		if (plan->having != NULL) {
			struct sl_ast at = {.line = w->line, .column = w->column};
			s = x_call2(c, SL_FN_AND, SL_TYPE_BOOLEAN, &at, plan->having, s);
			plan->having = NULL;
			if (s == NULL)
				return c->rc;
		}
		plan->having = s;
		return 0;
	}
	struct sl_op *op = add_op(pl, SL_OP_FILTER);
	if (op == NULL) {
		x_free(e);
		return c->rc;
	}
	op->pred = e;
	if (rel_to_schema(rel, &op->out) < 0)
		return coom(c), c->rc;
	return 0;
}

static bool query_has_agg(const struct sl_query *q)
{
	if (q->ngroup > 0 || q->having != NULL)
		return true;
	for (uint32_t i = 0; i < q->nitems; i++)
		if (ast_contains_agg(q->items[i].expr))
			return true;
	return false;
}

static int add_key(struct planner *pl, struct sl_expr *e, const char *name)
{
	struct sl_plan *plan = pl->plan;
	for (uint32_t i = 0; i < plan->nkeys; i++) {
		if (x_equal(plan->keys[i], e)) {
			x_free(e);
			return 0;
		}
	}
	struct sl_expr **nk = realloc(plan->keys, (plan->nkeys + 1) * sizeof(*nk));
	struct sl_column_def *nc =
		realloc(plan->key_schema.cols, (plan->key_schema.ncols + 1) * sizeof(*nc));
	if (nk != NULL)
		plan->keys = nk;
	if (nc != NULL)
		plan->key_schema.cols = nc;
	if (nk == NULL || nc == NULL) {
		x_free(e);
		coom(pl->c);
		return -ENOMEM;
	}
	plan->keys[plan->nkeys++] = e;
	struct sl_column_def *cd = &plan->key_schema.cols[plan->key_schema.ncols++];
	memset(cd, 0, sizeof(*cd));
	name_copy(cd->name, name, strlen(name));
	cd->type = e->type;
	cd->elem_type = e->elem_type;
	return 0;
}

static bool ordinal_of(const struct sl_ast *a, int64_t *k)
{
	if (a->kind != SL_AST_LITERAL || (a->lit.type != SL_TYPE_INT && a->lit.type != SL_TYPE_BIGINT))
		return false;
	*k = a->lit.v.i64;
	return true;
}

static int lower_group_by(struct planner *pl, const struct sl_query *q, struct rel *rel,
			  const struct item *items, uint32_t nitems)
{
	struct compiler *c = pl->c;
	for (uint32_t gi = 0; gi < q->ngroup; gi++) {
		const struct sl_ast *g = q->group[gi];
		const struct sl_ast *src = g;
		char name[SL_NAME_MAX];
		int64_t k;
		name[0] = '\0';
		uint32_t idx;
		if (ordinal_of(g, &k)) {
			/* GROUP BY 1: the first select item, as Spark's
			 * groupByOrdinal */
			if (k < 1 || k > (int64_t)nitems)
				return cerr(c, g->line, g->column,
					    "GROUP BY position %" PRId64
					    " is not in select list (valid range is [1, %u])",
					    k, nitems),
				       c->rc;
			src = items[k - 1].ast;
			if (ast_contains_agg(src))
				return cerr(c, g->line, g->column,
					    "GROUP BY position %" PRId64
					    " is an aggregate function, and aggregate functions are not "
					    "allowed in GROUP BY",
					    k),
				       c->rc;
			memcpy(name, items[k - 1].name, SL_NAME_MAX);
		} else if (g->kind == SL_AST_COLUMN && g->qualifier == NULL &&
			   rel_find(rel, NULL, g->name, &idx) == -ENOENT) {
			/* GROUP BY alias, when no input column has the name
			 * (Spark's groupByAliases) */
			for (uint32_t i = 0; i < nitems; i++) {
				if (items[i].alias != NULL && strcasecmp(items[i].alias, g->name) == 0) {
					src = items[i].ast;
					memcpy(name, items[i].name, SL_NAME_MAX);
					break;
				}
			}
		}
		if (is_gen_call(src) || ast_find_gen(src) != NULL) {
			const struct sl_ast *gen = ast_find_gen(src);
			char t[200];
			pretty(gen, t, sizeof(t));
			return cerr(c, g->line, g->column,
				    "Generators are not supported outside the SELECT clause, but got: "
				    "%s",
				    t),
			       c->rc;
		}
		const struct sl_ast *agg = ast_find_agg(src);
		if (agg != NULL) {
			char t[200];
			pretty(agg, t, sizeof(t));
			return cerr(c, g->line, g->column,
				    "aggregate functions are not allowed in GROUP BY, but found %s", t),
			       c->rc;
		}
		struct bctx b = {.pl = pl, .rel = rel, .mode = MODE_PLAIN, .clause = "GROUP BY"};
		pl->allow_sliding = true;
		struct sl_expr *e = build(&b, src);
		pl->allow_sliding = false;
		if (e == NULL)
			return c->rc;
		if (e->kind == SL_EXPR_CALL &&
		    (e->fn == SL_FN_WINDOW || e->fn == SL_FN_WINDOWS || e->fn == SL_FN_SESSION) &&
		    pl->plan->window_key >= 0) {
			x_free(e);
			return cerr(c, g->line, g->column,
				    "Multiple time/session window expressions would result in a "
				    "cartesian product of rows, therefore they are currently not "
				    "supported."),
			       c->rc;
		}
		if (e->kind == SL_EXPR_CALL && e->fn == SL_FN_WINDOWS) {
			/* sliding: every row once per window that holds it
			 * (Spark's Expand), the window a new column */
			struct sl_expr *keep = x_copy(c, e);
			struct sl_op *op = keep != NULL ? add_op(pl, SL_OP_EXPLODE) : NULL;
			if (op == NULL) {
				x_free(keep);
				x_free(e);
				return c->rc;
			}
			op->gen = e;
			struct pcol *p = rel_add(c, rel);
			if (p == NULL) {
				x_free(keep);
				return c->rc;
			}
			name_copy(p->name, "window", 6);
			p->type = SL_TYPE_WINDOW;
			p->elem_type = SL_TYPE_NULL;
			p->hidden = true; /* reached through the window() call only */
			if (rel_to_schema(rel, &op->out) < 0) {
				x_free(keep);
				return coom(c), c->rc;
			}
			e = x_col(c, rel->ncols - 1, SL_TYPE_WINDOW, SL_TYPE_NULL, g->line, g->column);
			if (e == NULL) {
				x_free(keep);
				return c->rc;
			}
			pl->sliding = keep;
			pl->sliding_key = pl->plan->nkeys;
		}
		if (e->kind == SL_EXPR_CALL && (e->fn == SL_FN_WINDOW || e->fn == SL_FN_SESSION)) {
			/* a row without event time is in no window: Spark's
			 * TimeWindowing filters it out (isnotnull(ts)); a
			 * session also needs a gap > 0 (SessionWindowing) */
			pl->plan->session = e->fn == SL_FN_SESSION;
			struct sl_expr *ts = x_copy(c, e->fn == SL_FN_SESSION ? e : e->args[0]);
			struct sl_expr *nn = ts != NULL ? x_call1(c, SL_FN_IS_NOT_NULL,
								   SL_TYPE_BOOLEAN, g, ts)
							: NULL;
			struct sl_op *op = nn != NULL ? add_op(pl, SL_OP_FILTER) : NULL;
			if (op == NULL || rel_to_schema(rel, &op->out) < 0) {
				x_free(nn);
				x_free(e);
				return c->rc != 0 ? c->rc : (coom(c), c->rc);
			}
			op->pred = nn;
		}
		if (e->type == SL_TYPE_WINDOW) {
			pl->plan->window_key = (int32_t)pl->plan->nkeys;
			/* the window's time column, before the explode of a
			 * sliding window */
			const struct sl_expr *w = pl->sliding != NULL &&
							  pl->sliding_key == pl->plan->nkeys
						  ? pl->sliding
						  : e;
			pl->plan->window_on_event_time =
				w->kind == SL_EXPR_CALL && w->args[0]->kind == SL_EXPR_COLUMN &&
				w->args[0]->col < rel->ncols && rel->cols[w->args[0]->col].event_time;
		}
		if (e->type == SL_TYPE_ARRAY || e->type == SL_TYPE_HEADER) {
			char whole[200], tb[64];
			pretty(src, whole, sizeof(whole));
			cerr(c, g->line, g->column,
			     "cannot group by '%s' of type %s: group keys must be scalar values; %s",
			     whole, etype(e, tb, sizeof(tb)),
			     e->type == SL_TYPE_ARRAY
				     ? "explode the array first"
				     : "sluice does not group by a header struct (Spark does): group "
				       "by its fields, h.key and h.value");
			x_free(e);
			return c->rc;
		}
		if (e->type == SL_TYPE_NULL)
			e = to_type(c, e, SL_TYPE_STRING);
		if (e == NULL)
			return c->rc;
		if (name[0] == '\0') {
			if (e->kind == SL_EXPR_COLUMN)
				memcpy(name, rel->cols[e->col].name, SL_NAME_MAX);
			else
				pretty_name(src, name);
		}
		if (add_key(pl, e, name) < 0)
			return c->rc;
	}
	struct sl_plan *plan = pl->plan;
	if (plan->session && plan->window_key >= 0 &&
	    (uint32_t)plan->window_key + 1 < plan->nkeys) {
		/* the session goes last: the other keys are a prefix of the
		 * encoded key that routes and groups on its own */
		uint32_t k = (uint32_t)plan->window_key;
		struct sl_expr *ke = plan->keys[k];
		struct sl_column_def kd = plan->key_schema.cols[k];
		memmove(&plan->keys[k], &plan->keys[k + 1], (plan->nkeys - k - 1) * sizeof(*plan->keys));
		memmove(&plan->key_schema.cols[k], &plan->key_schema.cols[k + 1],
			(plan->nkeys - k - 1) * sizeof(*plan->key_schema.cols));
		plan->keys[plan->nkeys - 1] = ke;
		plan->key_schema.cols[plan->nkeys - 1] = kd;
		plan->window_key = (int32_t)plan->nkeys - 1;
	}
	return 0;
}

static void set_out(struct sl_plan *plan, struct sl_expr **outs, const struct item *items,
		    uint32_t n, struct compiler *c)
{
	plan->out = outs;
	plan->nout = n;
	plan->out_schema.ncols = n;
	plan->out_schema.cols = n ? calloc(n, sizeof(*plan->out_schema.cols)) : NULL;
	if (n && plan->out_schema.cols == NULL) {
		plan->out_schema.ncols = 0;
		coom(c);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		memcpy(plan->out_schema.cols[i].name, items[i].name, SL_NAME_MAX);
		plan->out_schema.cols[i].type = outs[i]->type;
		plan->out_schema.cols[i].elem_type = outs[i]->elem_type;
	}
}

/* The result of a (derived) query as the scope of the query around it. */
static int result_rel(struct compiler *c, struct sl_expr **outs, const struct item *items,
		      uint32_t n, bool post_agg, const struct rel *in, struct rel *out)
{
	memset(out, 0, sizeof(*out));
	out->cols = n ? calloc(n, sizeof(*out->cols)) : NULL;
	if (n && out->cols == NULL) {
		coom(c);
		return c->rc;
	}
	out->ncols = n;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(out->cols[i].name, items[i].name, SL_NAME_MAX);
		out->cols[i].type = outs[i]->type;
		out->cols[i].elem_type = outs[i]->elem_type;
		/* the event time passes through a bare column reference */
		out->cols[i].event_time = !post_agg && outs[i]->kind == SL_EXPR_COLUMN &&
					  outs[i]->col < in->ncols && in->cols[outs[i]->col].event_time;
	}
	out->post_agg = post_agg;
	if (post_agg)
		out->agg_exprs = outs;
	return 0;
}

static void free_exprs(struct sl_expr **v, uint32_t n)
{
	if (v == NULL)
		return;
	for (uint32_t i = 0; i < n; i++)
		x_free(v[i]);
	free(v);
}

/* ORDER BY at the top: each key names an output column. */
static int lower_order(struct planner *pl, const struct sl_query *q, const struct rel *rel,
		       bool agg_here, const struct item *items, uint32_t nitems)
{
	struct compiler *c = pl->c;
	struct sl_plan *plan = pl->plan;
	plan->order = calloc(q->norder, sizeof(*plan->order));
	if (plan->order == NULL)
		return coom(c), c->rc;
	for (uint32_t oi = 0; oi < q->norder; oi++) {
		const struct sl_order_item *o = &q->order[oi];
		const struct sl_ast *a = o->expr;
		int64_t k;
		int found = -1;
		if (ordinal_of(a, &k)) {
			if (k < 1 || k > (int64_t)plan->nout)
				return cerr(c, a->line, a->column,
					    "ORDER BY position %" PRId64
					    " is not in select list (valid range is [1, %u])",
					    k, plan->nout),
				       c->rc;
			found = (int)(k - 1);
		} else if (a->kind == SL_AST_COLUMN && a->qualifier == NULL) {
			uint32_t matches = 0;
			for (uint32_t i = 0; i < nitems; i++) {
				if (strcasecmp(items[i].name, a->name) == 0) {
					if (matches++ == 0)
						found = (int)i;
				}
			}
			if (matches > 1)
				return cerr(c, a->line, a->column,
					    "ORDER BY '%s' is ambiguous: %u output columns have that name",
					    a->name, matches),
				       c->rc;
		}
		if (found < 0) {
			/* an expression equal to an output expression */
			uint32_t naggs = plan->naggs;
			struct bctx b = {.pl = pl, .rel = rel, .mode = agg_here ? MODE_AGG : MODE_PLAIN,
					 .clause = "ORDER BY"};
			char save[1024];
			snprintf(save, sizeof(save), "%s", c->err);
			struct sl_expr *e = build(&b, a);
			if (e != NULL && rel->post_agg) {
				struct sl_expr *s = x_subst(c, e, rel->agg_exprs);
				x_free(e);
				e = s;
			}
			for (uint32_t i = 0; e != NULL && i < plan->nout; i++) {
				if (x_equal(e, plan->out[i])) {
					found = (int)i;
					break;
				}
			}
			x_free(e);
			/* aggregates only the ORDER BY asked for are not kept */
			while (plan->naggs > naggs)
				x_free(plan->aggs[--plan->naggs].arg);
			if (c->rc == -EINVAL) {
				c->rc = 0;
				snprintf(c->err, c->errlen, "%s", save);
			}
			if (c->rc != 0)
				return c->rc;
		}
		if (found < 0) {
			char whole[200], names[512];
			size_t used = 0;
			pretty(a, whole, sizeof(whole));
			names[0] = '\0';
			for (uint32_t i = 0; i < nitems && used < sizeof(names); i++) {
				int w = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
						 items[i].name);
				if (w < 0)
					break;
				used += (size_t)w;
			}
			return cerr(c, a->line, a->column,
				    "ORDER BY must name an output column (by name, position or the same "
				    "expression): '%s' is not in the select list (columns: %s)",
				    whole, names),
			       c->rc;
		}
		plan->order[oi].col = (uint32_t)found;
		plan->order[oi].desc = o->desc;
		plan->order[oi].nulls_first = o->nulls_first;
		plan->norder = oi + 1;
	}
	return 0;
}

static int lower_query(struct planner *pl, const struct sl_query *q, bool top, struct rel *out)
{
	struct compiler *c = pl->c;
	struct sl_plan *plan = pl->plan;
	struct rel rel = {0};
	struct item *items = NULL;
	uint32_t nitems = 0;
	struct sl_expr **outs = NULL;
	bool agg_here = false;
	int rc;

	if (q->distinct) {
		cerr(c, q->distinct_line, q->distinct_column,
		     "SELECT DISTINCT is not supported; GROUP BY the columns instead");
		goto err;
	}
	if (!top && q->norder > 0) {
		cerr(c, q->order_line, q->order_column,
		     "Sorting is not supported on streaming DataFrames/Datasets, unless it is on "
		     "aggregated DataFrame/Dataset in Complete output mode");
		goto err;
	}
	if (!top && q->has_limit) {
		cerr(c, q->limit_line, q->limit_column,
		     "LIMIT is only supported on the outermost query");
		goto err;
	}
	if ((rc = lower_from(pl, q, &rel)) < 0)
		goto err;
	for (uint32_t i = 0; i < q->nlaterals; i++)
		if ((rc = lower_lateral(pl, &q->laterals[i], &rel)) < 0)
			goto err;
	if (q->where != NULL && (rc = lower_where(pl, q, &rel)) < 0)
		goto err;
	if (expand_items(pl, q, &rel, &items, &nitems) < 0)
		goto err;
	outs = calloc(nitems ? nitems : 1, sizeof(*outs));
	if (outs == NULL) {
		coom(c);
		goto err;
	}

	agg_here = query_has_agg(q);
	if (agg_here) {
		if (rel.post_agg || plan->has_agg) {
			uint32_t line = q->group_line, column = q->group_column;
			const struct sl_ast *agg = NULL;
			for (uint32_t i = 0; i < q->nitems && agg == NULL; i++)
				agg = ast_find_agg(q->items[i].expr);
			if (q->ngroup == 0 && agg != NULL) {
				line = agg->line;
				column = agg->column;
			} else if (q->ngroup == 0) {
				line = q->having_line;
				column = q->having_column;
			}
			cerr(c, line, column,
			     "Multiple streaming aggregations are not supported with streaming "
			     "DataFrames/Datasets");
			goto err;
		}
		for (uint32_t i = 0; i < nitems; i++) {
			if (items[i].is_gen) {
				cerr(c, items[i].ast->line, items[i].ast->column,
				     "explode in the select list of an aggregation is not supported: "
				     "explode in a derived table and aggregate over it, as in SELECT "
				     "word, count(*) FROM (SELECT explode(...) AS word FROM ...) GROUP "
				     "BY word");
				goto err;
			}
		}
		plan->has_agg = true;
		if (lower_group_by(pl, q, &rel, items, nitems) < 0)
			goto err;
		pl->allow_sliding = true; /* a select item that repeats the key */
		for (uint32_t i = 0; i < nitems; i++) {
			struct bctx b = {.pl = pl, .rel = &rel, .mode = MODE_AGG, .clause = "SELECT",
					 .item = items[i].ast};
			const struct sl_ast *g = ast_find_gen(items[i].ast);
			if (g != NULL) {
				char whole[200];
				pretty(items[i].ast, whole, sizeof(whole));
				cerr(c, g->line, g->column,
				     "Generators are not supported when it's nested in expressions, but "
				     "got: %s",
				     whole);
				goto err;
			}
			outs[i] = build(&b, items[i].ast);
			if (outs[i] == NULL)
				goto err;
		}
		pl->allow_sliding = false;
		if (q->having != NULL) {
			const char **an = calloc(nitems ? nitems : 1, sizeof(*an));
			if (an == NULL) {
				coom(c);
				goto err;
			}
			for (uint32_t i = 0; i < nitems; i++)
				an[i] = items[i].alias;
			struct bctx b = {.pl = pl, .rel = &rel, .mode = MODE_AGG, .clause = "HAVING",
					 .nalias = nitems, .alias_names = an, .alias_exprs = outs};
			const struct sl_ast *g = ast_find_gen(q->having);
			struct sl_expr *h = NULL;
			if (g != NULL) {
				char gen[200];
				pretty(g, gen, sizeof(gen));
				cerr(c, g->line, g->column,
				     "Generators are not supported outside the SELECT clause, but got: %s",
				     gen);
			} else {
				h = build(&b, q->having);
			}
			free(an);
			if (h != NULL && h->type == SL_TYPE_NULL)
				h = to_type(c, h, SL_TYPE_BOOLEAN);
			if (h != NULL && h->type != SL_TYPE_BOOLEAN) {
				char whole[200], tb[64];
				pretty(q->having, whole, sizeof(whole));
				cerr(c, q->having->line, q->having->column,
				     "HAVING condition '%s' of type %s is not a boolean", whole,
				     etype(h, tb, sizeof(tb)));
				x_free(h);
				h = NULL;
			}
			if (h == NULL)
				goto err;
			plan->having = h;
		}
	} else {
		/* stateless: at most one explode, at the top of an item */
		uint32_t ngen = 0;
		char gens[600];
		size_t used = 0;
		gens[0] = '\0';
		for (uint32_t i = 0; i < nitems; i++) {
			const struct sl_ast *a = items[i].ast;
			if (!items[i].is_gen) {
				const struct sl_ast *g = ast_find_gen(a);
				if (g != NULL) {
					char whole[200];
					pretty(a, whole, sizeof(whole));
					cerr(c, g->line, g->column,
					     "Generators are not supported when it's nested in "
					     "expressions, but got: %s",
					     whole);
					goto err;
				}
				continue;
			}
			char t[200];
			pretty(a, t, sizeof(t));
			int w = snprintf(gens + used, sizeof(gens) - used, "%s%s", ngen ? ", " : "", t);
			if (w > 0 && (size_t)w < sizeof(gens) - used)
				used += (size_t)w;
			ngen++;
		}
		if (ngen > 1) {
			cerr(c, q->line, q->column,
			     "Only one generator allowed per select clause but found %u: %s", ngen,
			     gens);
			goto err;
		}
		for (uint32_t i = 0; i < nitems; i++) {
			if (!items[i].is_gen)
				continue;
			const struct sl_ast *g = items[i].ast;
			if (rel.post_agg) {
				cerr(c, g->line, g->column,
				     "explode over an aggregated derived table is not supported");
				goto err;
			}
			if (g->nargs != 1) {
				cerr(c, g->line, g->column, "explode expects 1 argument, got %u",
				     g->nargs);
				goto err;
			}
			if (lower_lateral(pl,
					  &(struct sl_lateral){.gen = (struct sl_ast *)g, .table = "", .col = items[i].name,
							       .line = g->line, .column = g->column},
					  &rel) < 0)
				goto err;
			/* the exploded column is the select item; nothing else may
			 * name it */
			rel.cols[rel.ncols - 1].hidden = true;
			struct sl_ast *col = sl_ast_alloc(c->script->arena, sizeof(*col));
			if (col == NULL) {
				coom(c);
				goto err;
			}
			col->kind = SL_AST_COLUMN;
			col->line = g->line;
			col->column = g->column;
			col->name = "col";
			col->bound = true;
			col->bound_index = rel.ncols - 1;
			items[i].ast = col;
		}
		for (uint32_t i = 0; i < nitems; i++) {
			struct bctx b = {.pl = pl, .rel = &rel, .mode = MODE_PLAIN, .clause = "SELECT",
					 .item = items[i].ast};
			outs[i] = build(&b, items[i].ast);
			if (outs[i] == NULL)
				goto err;
			if (rel.post_agg) {
				struct sl_expr *s = x_subst(c, outs[i], rel.agg_exprs);
				x_free(outs[i]);
				outs[i] = s;
				if (s == NULL)
					goto err;
			}
		}
	}

	if (top) {
		set_out(plan, outs, items, nitems, c);
		outs = NULL;
		if (c->rc != 0)
			goto err;
		if (q->norder > 0 && lower_order(pl, q, &rel, agg_here, items, nitems) < 0)
			goto err;
		plan->limit = q->has_limit ? q->limit : -1;
		memset(out, 0, sizeof(*out));
	} else if (agg_here || rel.post_agg) {
		if (result_rel(c, outs, items, nitems, true, &rel, out) < 0)
			goto err;
		outs = NULL;
	} else {
		bool identity = nitems == rel.ncols;
		for (uint32_t i = 0; identity && i < nitems; i++)
			identity = outs[i]->kind == SL_EXPR_COLUMN && outs[i]->col == i &&
				   strcmp(items[i].name, rel.cols[i].name) == 0;
		if (result_rel(c, outs, items, nitems, false, &rel, out) < 0)
			goto err;
		if (identity) {
			free_exprs(outs, nitems);
		} else {
			struct sl_op *op = add_op(pl, SL_OP_PROJECT);
			if (op == NULL) {
				rel_free(out);
				goto err;
			}
			op->nexprs = nitems;
			op->exprs = outs;
			if (rel_to_schema(out, &op->out) < 0) {
				outs = NULL;
				rel_free(out);
				coom(c);
				goto err;
			}
		}
		outs = NULL;
	}
	free(items);
	rel_free(&rel);
	return 0;
err:
	free_exprs(outs, nitems);
	free(items);
	rel_free(&rel);
	return c->rc != 0 ? c->rc : -EINVAL;
}

/* ------------------------------------------------------------ UNION ALL */

static void op_free(struct sl_op *op)
{
	x_free(op->pred);
	x_free(op->gen);
	free_exprs(op->exprs, op->nexprs);
	join_free(op->join);
	schema_free(&op->out);
	memset(op, 0, sizeof(*op));
}

/* A deep copy of join s (not its index: a copy is not prepared). */
static struct sl_join *join_copy(struct compiler *c, const struct sl_join *s)
{
	struct sl_join *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return coom(c);
	*d = *s;
	d->index = NULL;
	d->probe = calloc(s->nkeys ? s->nkeys : 1, sizeof(*d->probe));
	d->build = calloc(s->nkeys ? s->nkeys : 1, sizeof(*d->build));
	d->residual = NULL;
	d->src = NULL;
	if (d->probe == NULL || d->build == NULL)
		goto err;
	for (uint32_t k = 0; k < s->nkeys; k++)
		if ((d->probe[k] = x_copy(c, s->probe[k])) == NULL ||
		    (d->build[k] = x_copy(c, s->build[k])) == NULL)
			goto err;
	if (s->residual != NULL && (d->residual = x_copy(c, s->residual)) == NULL)
		goto err;
	return d;
err:
	if (c->rc == 0)
		coom(c);
	join_free(d);
	return NULL;
}

static void input_free(struct sl_input *in)
{
	schema_free(&in->source.schema);
	options_free(&in->source.options);
	for (uint32_t i = 0; i < in->nops; i++)
		op_free(&in->ops[i]);
	free(in->ops);
	schema_free(&in->pipeline_out);
	memset(in, 0, sizeof(*in));
}

/* d = a deep copy of s; on failure d is empty and c->rc set. */
static int op_copy(struct compiler *c, struct sl_op *d, const struct sl_op *s)
{
	memset(d, 0, sizeof(*d));
	d->kind = s->kind;
	if ((s->pred != NULL && (d->pred = x_copy(c, s->pred)) == NULL) ||
	    (s->gen != NULL && (d->gen = x_copy(c, s->gen)) == NULL) ||
	    (s->join != NULL && (d->join = join_copy(c, s->join)) == NULL))
		goto err;
	if (s->join != NULL) {
		d->join->src = malloc((s->out.ncols ? s->out.ncols : 1) * sizeof(*d->join->src));
		if (d->join->src == NULL) {
			coom(c);
			goto err;
		}
		memcpy(d->join->src, s->join->src, s->out.ncols * sizeof(*d->join->src));
	}
	if (s->nexprs > 0) {
		d->exprs = calloc(s->nexprs, sizeof(*d->exprs));
		if (d->exprs == NULL) {
			coom(c);
			goto err;
		}
		d->nexprs = s->nexprs;
		for (uint32_t i = 0; i < s->nexprs; i++)
			if ((d->exprs[i] = x_copy(c, s->exprs[i])) == NULL)
				goto err;
	}
	if (schema_copy(&d->out, &s->out) < 0) {
		coom(c);
		goto err;
	}
	return 0;
err:
	op_free(d);
	return c->rc != 0 ? c->rc : -ENOMEM;
}

static const char *ordinal(uint32_t n)
{
	static const char *const w[] = {"first", "second", "third", "fourth", "fifth",
					"sixth", "seventh", "eighth", "ninth", "tenth"};
	return n >= 1 && n <= 10 ? w[n - 1] : "next";
}

/* Room for one more union input; its id (its index + 1). 0 on failure. */
static uint32_t reserve_union_input(struct planner *pl, const struct sl_query *at)
{
	struct compiler *c = pl->c;
	struct sl_plan *plan = pl->plan;
	if (sl_plan_ninputs(plan) >= SL_PLAN_MAX_INPUTS) {
		cerr(c, at->line, at->column, "a query reads at most %u inputs; this UNION ALL has more",
		     SL_PLAN_MAX_INPUTS);
		return 0;
	}
	uint32_t n = plan->nunions + 1;
	struct sl_input *nu = realloc(plan->unions, n * sizeof(*nu));
	if (nu == NULL)
		return coom(c), 0;
	plan->unions = nu;
	uint32_t *t1 = realloc(pl->twin_of, n * sizeof(*t1));
	if (t1 == NULL)
		return coom(c), 0;
	pl->twin_of = t1;
	uint32_t *t2 = realloc(pl->twin_from, n * sizeof(*t2));
	if (t2 == NULL)
		return coom(c), 0;
	pl->twin_from = t2;
	memset(&plan->unions[n - 1], 0, sizeof(plan->unions[n - 1]));
	pl->twin_of[n - 1] = UINT32_MAX;
	pl->twin_from[n - 1] = 0;
	plan->nunions = n;
	return n;
}

/*
 * q UNION ALL q2 ...: every query is an input of its own (its source and
 * stateless operators). Columns match by position and take the first
 * input's names; each column's type is the widest of the inputs' (Spark's
 * rules: numbers widen, anything with a STRING is a STRING), reached by a
 * cast projection at the end of the inputs that need it. The event-time
 * column is the first input's, as in Spark (the union's output attribute
 * carries the first child's watermark metadata). The operators that the
 * queries around the union add later run in every input: each input after
 * the first becomes a twin of the input being lowered (resolve_twins).
 */
static int lower_union(struct planner *pl, const struct sl_query *q, struct rel *out)
{
	struct compiler *c = pl->c;
	struct sl_plan *plan = pl->plan;
	uint32_t n = 0, k = 0;
	enum sl_type *first0 = NULL;
	for (const struct sl_query *b = q; b != NULL; b = b->union_all)
		n++;
	struct rel *rels = calloc(n, sizeof(*rels));
	uint32_t *ids = calloc(n, sizeof(*ids));
	if (rels == NULL || ids == NULL) {
		coom(c);
		goto err;
	}
	for (const struct sl_query *b = q; b != NULL; b = b->union_all, k++) {
		if (b->norder > 0 || b->has_limit) {
			cerr(c, b->norder > 0 ? b->order_line : b->limit_line,
			     b->norder > 0 ? b->order_column : b->limit_column,
			     "%s inside a UNION ALL is not supported: select from the union in a "
			     "derived table and put %s on that query",
			     b->norder > 0 ? "ORDER BY" : "LIMIT", b->norder > 0 ? "ORDER BY" : "LIMIT");
			goto err;
		}
		int rc;
		if (k == 0) {
			ids[0] = pl->cur;
			rc = lower_query(pl, b, false, &rels[0]);
		} else {
			uint32_t id = reserve_union_input(pl, b);
			if (id == 0)
				goto err;
			ids[k] = id;
			struct sl_input outer = plan->input;
			uint32_t outer_cur = pl->cur;
			memset(&plan->input, 0, sizeof(plan->input));
			pl->cur = id;
			rc = lower_query(pl, b, false, &rels[k]);
			/* kept in the plan even on failure: sl_plan_free frees it */
			plan->unions[id - 1] = plan->input;
			plan->input = outer;
			pl->cur = outer_cur;
		}
		if (rc < 0)
			goto err;
		if (rels[k].post_agg) {
			cerr(c, b->line, b->column,
			     "the %s input of a UNION ALL aggregates: an input of a union must be "
			     "stateless; aggregate over the union instead, as in SELECT ... FROM "
			     "(SELECT ... UNION ALL SELECT ...) GROUP BY ...",
			     ordinal(k + 1));
			goto err;
		}
		if (k > 0 && rels[k].ncols != rels[0].ncols) {
			cerr(c, b->line, b->column,
			     "UNION can only be performed on inputs with the same number of "
			     "columns, but the first input has %u columns and the %s input has %u "
			     "columns",
			     rels[0].ncols, ordinal(k + 1), rels[k].ncols);
			goto err;
		}
	}
	/* the union's types: the first input's columns, widened (first0
	 * keeps the first input's own types) */
	struct pcol *u = rels[0].cols;
	first0 = calloc(rels[0].ncols ? rels[0].ncols : 1, sizeof(*first0));
	if (first0 == NULL) {
		coom(c);
		goto err;
	}
	for (uint32_t i = 0; i < rels[0].ncols; i++)
		first0[i] = u[i].type;
	k = 1;
	for (const struct sl_query *b = q->union_all; b != NULL; b = b->union_all, k++) {
		for (uint32_t i = 0; i < rels[0].ncols; i++) {
			const struct pcol *p = &rels[k].cols[i];
			enum sl_type t;
			if (!wider_type(u[i].type, p->type, &t) ||
			    (t == SL_TYPE_ARRAY && u[i].elem_type != p->elem_type)) {
				char ta[64], tb[64];
				cerr(c, b->line, b->column,
				     "UNION can only be performed on inputs with compatible column "
				     "types: the %s column (%s) of the %s input is %s, which is not "
				     "compatible with %s at the same column of the first input",
				     ordinal(i + 1), p->name, ordinal(k + 1),
				     type_text(p->type, p->elem_type, tb, sizeof(tb)),
				     type_text(u[i].type, u[i].elem_type, ta, sizeof(ta)));
				goto err;
			}
			u[i].type = t;
			u[i].event_time = u[i].event_time && t == SL_TYPE_TIMESTAMP;
		}
	}
	/* a cast projection where an input's types are not the union's */
	for (k = 0; k < n; k++) {
		bool same = true;
		for (uint32_t i = 0; i < rels[0].ncols; i++)
			same = same && (k == 0 ? first0[i] : rels[k].cols[i].type) == u[i].type;
		if (same)
			continue;
		struct sl_input *in = k == 0 ? &plan->input : &plan->unions[ids[k] - 1];
		struct sl_op *op = add_op_to(c, in, SL_OP_PROJECT);
		if (op == NULL)
			goto err;
		op->exprs = calloc(rels[0].ncols ? rels[0].ncols : 1, sizeof(*op->exprs));
		if (op->exprs == NULL) {
			coom(c);
			goto err;
		}
		op->nexprs = rels[0].ncols;
		for (uint32_t i = 0; i < rels[0].ncols; i++) {
			const struct pcol *p = &rels[k].cols[i];
			enum sl_type from = k == 0 ? first0[i] : p->type;
			struct sl_expr *e = x_col(c, i, from, p->elem_type, q->union_line,
						  q->union_column);
			if (e != NULL && from != u[i].type)
				e = to_type(c, e, u[i].type);
			if (e == NULL)
				goto err;
			op->exprs[i] = e;
		}
		if (rel_to_schema(&rels[0], &op->out) < 0) {
			coom(c);
			goto err;
		}
	}
	/* from here on the inputs after the first repeat what the enclosing
	 * query does to the first */
	for (k = 1; k < n; k++) {
		pl->twin_of[ids[k] - 1] = pl->cur;
		pl->twin_from[ids[k] - 1] = plan->nops;
	}
	*out = rels[0];
	for (k = 1; k < n; k++)
		rel_free(&rels[k]);
	free(rels);
	free(ids);
	free(first0);
	return 0;
err:
	for (k = 0; rels != NULL && k < n; k++)
		rel_free(&rels[k]);
	free(rels);
	free(ids);
	free(first0);
	return c->rc != 0 ? c->rc : -EINVAL;
}

/* Every union input gets the operators its twin (lowered so far only into
 * the input it twins) added after the union; then each input's output
 * schema. Inputs twin only earlier ones, so one pass in order finishes. */
static int resolve_twins(struct planner *pl)
{
	struct compiler *c = pl->c;
	struct sl_plan *plan = pl->plan;
	for (uint32_t k = 1; k <= plan->nunions; k++) {
		uint32_t m = pl->twin_of[k - 1];
		if (m >= k)
			return cerr(c, 1, 1, "internal error: union input %u twins input %u", k, m), c->rc;
		const struct sl_input *src = m == 0 ? &plan->input : &plan->unions[m - 1];
		struct sl_input *dst = &plan->unions[k - 1];
		for (uint32_t i = pl->twin_from[k - 1]; i < src->nops; i++) {
			struct sl_op *op = add_op_to(c, dst, src->ops[i].kind);
			if (op == NULL || op_copy(c, op, &src->ops[i]) < 0)
				return c->rc != 0 ? c->rc : -ENOMEM;
		}
	}
	for (uint32_t k = 0; k < plan->nunions; k++) {
		struct sl_input *in = &plan->unions[k];
		const struct sl_schema *sc = in->nops ? &in->ops[in->nops - 1].out : &in->source.schema;
		if (schema_copy(&in->pipeline_out, sc) < 0)
			return coom(c), c->rc;
		/* one source, one input: two inputs would open it twice (two
		 * listeners on one port, one directory read twice) */
		for (uint32_t j = 0; j <= k; j++) {
			const struct sl_source_spec *o = &sl_plan_input(plan, j)->source;
			if (strcasecmp(o->name, in->source.name) == 0)
				return cerr(c, in->source.line, in->source.column,
					    "source '%s' is read by two inputs of one UNION ALL; each "
					    "input reads a source of its own (declare the source twice "
					    "under two names)",
					    in->source.name),
				       c->rc;
		}
	}
	return 0;
}

/* ----------------------------------------------------------- statements */

static int apply_set(struct compiler *c, const struct sl_stmt *s)
{
	struct sl_settings *st = &c->settings;
	const char *k = s->name;
	const char *v = s->value;
	struct sl_option opt = {.key = (char *)k, .value = (char *)v, .line = s->value_line,
				.column = s->value_column};
	uint64_t n;
	char msg[512];
	if (strcmp(k, "shards") == 0 || strcmp(k, "spark.sql.shuffle.partitions") == 0) {
		if (sl_option_u64(&opt, 1, 4096, &n, c->err, c->errlen) < 0)
			return cerr_raw(c, c->err), c->rc;
		st->shards = (uint32_t)n;
		return 0;
	}
	if (strcmp(k, "max_line_length") == 0) {
		if (sl_option_u64(&opt, 1, 1u << 30, &n, c->err, c->errlen) < 0)
			return cerr_raw(c, c->err), c->rc;
		st->max_line_length = n;
		return 0;
	}
	if (strcmp(k, "ring_slots") == 0) {
		if (sl_option_u64(&opt, 2, 65536, &n, c->err, c->errlen) < 0)
			return cerr_raw(c, c->err), c->rc;
		if ((n & (n - 1)) != 0)
			return cerr(c, s->value_line, s->value_column,
				    "ring_slots must be a power of two (2, 4, ..., 65536), not %s", v),
			       c->rc;
		st->ring_slots = (uint32_t)n;
		return 0;
	}
	if (strcmp(k, "combiner") == 0) {
		bool on;
		if (sl_option_bool(&opt, &on, c->err, c->errlen) < 0)
			return cerr_raw(c, c->err), c->rc;
		st->combiner = on;
		return 0;
	}
	if (strcmp(k, "min_deltas_for_snapshot") == 0 ||
	    strcmp(k, "spark.sql.streaming.statestore.mindeltasforsnapshot") == 0) {
		if (sl_option_u64(&opt, 1, 1000000, &n, c->err, c->errlen) < 0)
			return cerr_raw(c, c->err), c->rc;
		st->min_deltas_for_snapshot = (uint32_t)n;
		return 0;
	}
	if (strcmp(k, "min_batches_to_retain") == 0 ||
	    strcmp(k, "spark.sql.streaming.minbatchestoretain") == 0) {
		if (sl_option_u64(&opt, 1, 1000000000, &n, c->err, c->errlen) < 0)
			return cerr_raw(c, c->err), c->rc;
		st->min_batches_to_retain = (uint32_t)n;
		return 0;
	}
	if (strcmp(k, "multiple_watermark_policy") == 0 ||
	    strcmp(k, "spark.sql.streaming.multiplewatermarkpolicy") == 0) {
		if (strcasecmp(v, "min") == 0)
			st->wm_policy = SL_WM_POLICY_MIN;
		else if (strcasecmp(v, "max") == 0)
			st->wm_policy = SL_WM_POLICY_MAX;
		else
			return cerr(c, s->value_line, s->value_column,
				    "%s must be 'min' or 'max', not '%s'", k, v),
			       c->rc;
		return 0;
	}
	if (strcmp(k, "ingest_cores") == 0 || strcmp(k, "agg_cores") == 0) {
		bool ingest = k[0] == 'i';
		int cpus[64];
		uint32_t ncpu = 0;
		if (sl_cpu_list_parse(v, cpus, 64, &ncpu, msg, sizeof(msg)) < 0)
			return cerr(c, s->value_line, s->value_column, "%s: %s", k, msg), c->rc;
		if (ingest) {
			st->n_ingest = ncpu;
			memcpy(st->ingest_cores, cpus, ncpu * sizeof(int));
		} else {
			st->n_agg = ncpu;
			memcpy(st->agg_cores, cpus, ncpu * sizeof(int));
		}
		return 0;
	}
	return cerr(c, s->name_line, s->name_column,
		    "unknown setting '%s' (settings: shards, spark.sql.shuffle.partitions, "
		    "ingest_cores, agg_cores, max_line_length, ring_slots, combiner, "
		    "multiple_watermark_policy, min_deltas_for_snapshot, min_batches_to_retain)",
		    k),
	       c->rc;
}

/* The statement's WITH options but `connector`, for the connector to check. */
static int options_but_connector(struct compiler *c, const struct sl_stmt *s,
				 struct sl_options *out)
{
	for (uint32_t i = 0; i < s->noptions; i++)
		if (strcmp(s->options[i].key, "connector") != 0 &&
		    options_add(out, &s->options[i]) < 0)
			return coom(c), c->rc;
	return 0;
}

/* A source or table declared: into the compiler's list (v, n), which owns
 * it from then on; on failure it is freed. */
static int push_def(struct compiler *c, struct source_def **v, uint32_t *n,
		    struct source_def *d)
{
	struct source_def *nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL) {
		schema_free(&d->spec.schema);
		options_free(&d->spec.options);
		return coom(c), c->rc;
	}
	*v = nv;
	(*v)[(*n)++] = *d;
	return 0;
}

static int compile_source(struct compiler *c, const struct sl_stmt *s)
{
	const struct source_def *prev = find_source(c, s->name);
	if (prev != NULL)
		return cerr(c, s->name_line, s->name_column,
			    "source '%s' is already defined at line %u, column %u", s->name,
			    prev->name_line, prev->name_column),
		       c->rc;
	if ((prev = find_table(c, s->name)) != NULL)
		return cerr(c, s->name_line, s->name_column,
			    "'%s' is already defined as a table at line %u, column %u; sources and "
			    "tables share one set of names",
			    s->name, prev->name_line, prev->name_column),
		       c->rc;
	struct source_def sd;
	memset(&sd, 0, sizeof(sd));
	name_copy(sd.spec.name, s->name, strlen(s->name));
	sd.spec.line = s->line;
	sd.spec.column = s->column;
	sd.name_line = s->name_line;
	sd.name_column = s->name_column;
	/* without a column list: the connector's own columns, else value STRING */
	const struct sl_ast_option *dconn = s->has_columns ? NULL : stmt_option(s, "connector");
	const struct sl_source_ops *dops = dconn != NULL ? sl_source_lookup(dconn->value) : NULL;
	const struct sl_schema *dsc = dops != NULL ? dops->default_schema : NULL;
	struct sl_schema asked = {0};
	if (dops != NULL && dops->schema_of != NULL) {
		/* columns that depend on the options (a table's): ask the connector */
		struct sl_source_spec q = {.line = s->line, .column = s->column};
		name_copy(q.name, s->name, strlen(s->name));
		int qrc = 0;
		for (uint32_t i = 0; qrc == 0 && i < s->noptions; i++)
			if (strcmp(s->options[i].key, "connector") != 0)
				qrc = options_add(&q.options, &s->options[i]);
		if (qrc == 0)
			qrc = dops->schema_of(&q, &asked, c->err, c->errlen);
		else
			snprintf(c->err, c->errlen, "out of memory");
		options_free(&q.options);
		if (qrc < 0)
			return cerr_raw(c, c->err), c->rc;
		dsc = &asked;
	}
	uint32_t ncols = s->has_columns ? s->ncols : dsc != NULL ? dsc->ncols : 1;
	sd.spec.schema.cols = calloc(ncols, sizeof(*sd.spec.schema.cols));
	if (sd.spec.schema.cols == NULL) {
		free(asked.cols);
		return coom(c), c->rc;
	}
	sd.spec.schema.ncols = ncols;
	if (dsc != NULL) {
		memcpy(sd.spec.schema.cols, dsc->cols, ncols * sizeof(*dsc->cols));
		free(asked.cols);
	} else if (!s->has_columns) {
		strcpy(sd.spec.schema.cols[0].name, "value");
		sd.spec.schema.cols[0].type = SL_TYPE_STRING;
	}
	for (uint32_t i = 0; s->has_columns && i < s->ncols; i++) {
		for (uint32_t j = 0; j < i; j++) {
			if (strcasecmp(s->cols[j].name, s->cols[i].name) == 0) {
				cerr(c, s->cols[i].line, s->cols[i].column,
				     "column '%s' is defined twice in source '%s'", s->cols[i].name,
				     s->name);
				goto err;
			}
		}
		name_copy(sd.spec.schema.cols[i].name, s->cols[i].name, strlen(s->cols[i].name));
		sd.spec.schema.cols[i].type = s->cols[i].type;
		sd.spec.schema.cols[i].elem_type = s->cols[i].elem_type;
		const struct sl_ast_option *conn = stmt_option(s, "connector");
		if (s->cols[i].type == SL_TYPE_ARRAY &&
		    (conn == NULL || strcasecmp(conn->value, "kafka") != 0)) {
			char tb[64];
			cerr(c, s->cols[i].line, s->cols[i].column,
			     "column '%s' of source '%s' is %s: only the kafka source's headers column "
			     "(include_headers = true) is an array; declare a scalar type",
			     s->cols[i].name, s->name,
			     type_text(s->cols[i].type, s->cols[i].elem_type, tb, sizeof(tb)));
			goto err;
		}
	}
	sd.spec.watermark_col = -1;
	if (s->wm_col != NULL) {
		uint32_t k;
		for (k = 0; k < ncols; k++)
			if (strcasecmp(sd.spec.schema.cols[k].name, s->wm_col) == 0)
				break;
		if (k == ncols) {
			char cols[512];
			schema_names(&sd.spec.schema, cols, sizeof(cols));
			cerr(c, s->wm_line, s->wm_column,
			     "WATERMARK names column '%s', which source '%s' does not have (columns: "
			     "%s)",
			     s->wm_col, s->name, cols);
			goto err;
		}
		if (sd.spec.schema.cols[k].type != SL_TYPE_TIMESTAMP) {
			cerr(c, s->wm_line, s->wm_column,
			     "Event time must be defined on a window or a timestamp, but %s is of type "
			     "%s; declare it TIMESTAMP in the column list",
			     sd.spec.schema.cols[k].name, sl_type_name(sd.spec.schema.cols[k].type));
			goto err;
		}
		uint64_t us;
		if (sl_parse_interval(s->wm_delay, &us) < 0 || us > (uint64_t)INT64_MAX / 4) {
			cerr(c, s->wm_delay_line, s->wm_delay_column,
			     "'%s' is not a watermark delay: write a duration such as '10 minutes' "
			     "or INTERVAL '10' MINUTE",
			     s->wm_delay);
			goto err;
		}
		sd.spec.watermark_col = (int32_t)k;
		sd.spec.watermark_delay_us = (int64_t)us;
	}
	const struct sl_ast_option *conn = stmt_option(s, "connector");
	char names[512];
	sl_source_names(names, sizeof(names));
	if (conn == NULL) {
		cerr(c, s->with_line, s->with_column,
		     "source '%s' needs a connector: add connector = '...' to WITH (...) "
		     "(connectors: %s)",
		     s->name, names);
		goto err;
	}
	const struct sl_source_ops *ops = sl_source_lookup(conn->value);
	if (ops == NULL) {
		cerr(c, conn->value_line, conn->value_column,
		     "unknown source connector '%s' (connectors: %s)", conn->value, names);
		goto err;
	}
	name_copy(sd.spec.connector, ops->name, strlen(ops->name));
	if (options_but_connector(c, s, &sd.spec.options) < 0)
		goto err;
	if (ops->validate != NULL && ops->validate(&sd.spec, c->err, c->errlen) < 0) {
		cerr_raw(c, c->err);
		goto err;
	}
	return push_def(c, &c->sources, &c->nsources, &sd);
err:
	schema_free(&sd.spec.schema);
	options_free(&sd.spec.options);
	return c->rc;
}

/* CREATE TABLE name (cols) WITH (connector = 'file', path = ..., format =
 * ..., the format's options): checked now, read when a query that joins
 * it starts (static_table.h). */
static int compile_table(struct compiler *c, const struct sl_stmt *s)
{
	const struct source_def *prev = find_table(c, s->name);
	if (prev != NULL)
		return cerr(c, s->name_line, s->name_column,
			    "table '%s' is already defined at line %u, column %u", s->name,
			    prev->name_line, prev->name_column),
		       c->rc;
	if ((prev = find_source(c, s->name)) != NULL)
		return cerr(c, s->name_line, s->name_column,
			    "'%s' is already defined as a source at line %u, column %u; sources and "
			    "tables share one set of names",
			    s->name, prev->name_line, prev->name_column),
		       c->rc;
	if (s->ncols > SL_BLOCK_MAX_COLS)
		return cerr(c, s->line, s->column, "table '%s' has %u columns; at most %u are supported",
			    s->name, s->ncols, SL_BLOCK_MAX_COLS),
		       c->rc;
	struct source_def td;
	memset(&td, 0, sizeof(td));
	name_copy(td.spec.name, s->name, strlen(s->name));
	td.spec.line = s->line;
	td.spec.column = s->column;
	td.spec.watermark_col = -1;
	td.name_line = s->name_line;
	td.name_column = s->name_column;
	td.spec.schema.cols = calloc(s->ncols ? s->ncols : 1, sizeof(*td.spec.schema.cols));
	if (td.spec.schema.cols == NULL)
		return coom(c), c->rc;
	td.spec.schema.ncols = s->ncols;
	for (uint32_t i = 0; i < s->ncols; i++) {
		for (uint32_t j = 0; j < i; j++) {
			if (strcasecmp(s->cols[j].name, s->cols[i].name) == 0) {
				cerr(c, s->cols[i].line, s->cols[i].column,
				     "column '%s' is defined twice in table '%s'", s->cols[i].name,
				     s->name);
				goto err;
			}
		}
		if (!sl_static_table_type_supported(s->cols[i].type)) {
			cerr(c, s->cols[i].line, s->cols[i].column,
			     "column '%s' of table '%s' is %s: a table's columns are BOOLEAN, INT, "
			     "BIGINT, DOUBLE, STRING or TIMESTAMP",
			     s->cols[i].name, s->name, sl_type_name(s->cols[i].type));
			goto err;
		}
		name_copy(td.spec.schema.cols[i].name, s->cols[i].name, strlen(s->cols[i].name));
		td.spec.schema.cols[i].type = s->cols[i].type;
	}
	const struct sl_ast_option *conn = stmt_option(s, "connector");
	if (conn == NULL) {
		cerr(c, s->with_line, s->with_column,
		     "table '%s' needs a connector: add connector = 'file' to WITH (...) (a static "
		     "table is read from files)",
		     s->name);
		goto err;
	}
	if (strcasecmp(conn->value, "file") != 0) {
		cerr(c, conn->value_line, conn->value_column,
		     "unknown table connector '%s': a static table is read from files (connector = "
		     "'file')",
		     conn->value);
		goto err;
	}
	strcpy(td.spec.connector, "file");
	if (options_but_connector(c, s, &td.spec.options) < 0)
		goto err;
	if (sl_static_table_validate(&td.spec, c->err, c->errlen) < 0) {
		cerr_raw(c, c->err);
		goto err;
	}
	return push_def(c, &c->tables, &c->ntables, &td);
err:
	schema_free(&td.spec.schema);
	options_free(&td.spec.options);
	return c->rc;
}

static const char *mode_word(enum sl_output_mode m)
{
	switch (m) {
	case SL_OUTPUT_APPEND: return "Append";
	case SL_OUTPUT_UPDATE: return "Update";
	case SL_OUTPUT_COMPLETE: return "Complete";
	}
	return "?";
}

/* The generic sink keys: connector, output_mode, trigger, num_rows,
 * truncate; the rest go to spec.options for the connector. */
static int sink_options(struct compiler *c, const struct sl_stmt *s, struct sl_sink_spec *spec,
			const struct sl_sink_ops **ops_out)
{
	char names[512];
	sl_sink_names(names, sizeof(names));
	const struct sl_ast_option *conn = stmt_option(s, "connector");
	if (conn == NULL)
		return cerr(c, s->with_line, s->with_column,
			    "sink '%s' needs a connector: add connector = '...' to WITH (...) "
			    "(connectors: %s)",
			    s->name, names),
		       c->rc;
	const struct sl_sink_ops *ops = sl_sink_lookup(conn->value);
	if (ops == NULL)
		return cerr(c, conn->value_line, conn->value_column,
			    "unknown sink connector '%s' (connectors: %s)", conn->value, names),
		       c->rc;
	*ops_out = ops;
	name_copy(spec->connector, ops->name, strlen(ops->name));

	const struct sl_ast_option *o = stmt_option(s, "output_mode");
	spec->mode = SL_OUTPUT_APPEND; /* Spark's default */
	if (o != NULL) {
		if (strcasecmp(o->value, "append") == 0)
			spec->mode = SL_OUTPUT_APPEND;
		else if (strcasecmp(o->value, "update") == 0)
			spec->mode = SL_OUTPUT_UPDATE;
		else if (strcasecmp(o->value, "complete") == 0)
			spec->mode = SL_OUTPUT_COMPLETE;
		else
			return cerr(c, o->value_line, o->value_column,
				    "Unknown output mode %s. Accepted output modes are 'append', "
				    "'complete', 'update'",
				    o->value),
			       c->rc;
	}
	o = stmt_option(s, "trigger");
	spec->trigger = SL_TRIGGER_DEFAULT;
	if (o != NULL) {
		uint64_t us = 0;
		if (strcasecmp(o->value, "available_now") == 0 ||
		    strcasecmp(o->value, "availableNow") == 0) {
			spec->trigger = SL_TRIGGER_AVAILABLE_NOW;
		} else if (strcasecmp(o->value, "once") == 0) {
			spec->trigger = SL_TRIGGER_ONCE;
		} else if (sl_parse_interval(o->value, &us) == 0) {
			/* Spark: ProcessingTime(0) runs batches as fast as possible,
			 * which is the default trigger */
			spec->trigger = us > 0 ? SL_TRIGGER_INTERVAL : SL_TRIGGER_DEFAULT;
			spec->trigger_interval_us = us;
		} else {
			return cerr(c, o->value_line, o->value_column,
				    "trigger must be an interval such as '1 second' or '500 "
				    "milliseconds', 'available_now' or 'once', not '%s'",
				    o->value),
			       c->rc;
		}
	}
	spec->num_rows = 20;
	o = stmt_option(s, "num_rows");
	if (o != NULL) {
		struct sl_option opt = {.key = (char *)o->key, .value = (char *)o->value,
					.line = o->value_line, .column = o->value_column};
		uint64_t n;
		if (sl_option_u64(&opt, 1, INT32_MAX, &n, c->err, c->errlen) < 0)
			return cerr_raw(c, c->err), c->rc;
		spec->num_rows = (uint32_t)n;
	}
	spec->truncate = 20;
	o = stmt_option(s, "truncate");
	if (o != NULL) {
		if (strcasecmp(o->value, "true") == 0) {
			spec->truncate = 20;
		} else if (strcasecmp(o->value, "false") == 0) {
			spec->truncate = 0;
		} else {
			struct sl_option opt = {.key = (char *)o->key, .value = (char *)o->value,
						.line = o->value_line, .column = o->value_column};
			uint64_t n;
			if (sl_option_u64(&opt, 0, INT32_MAX, &n, c->err, c->errlen) < 0) {
				cerr(c, o->value_line, o->value_column,
				     "option 'truncate' must be true, false or a whole number of "
				     "characters, not '%s'",
				     o->value);
				return c->rc;
			}
			spec->truncate = (uint32_t)n;
		}
	}
	/* checkpoint = 'dir', or Spark's checkpointLocation (lower-cased) */
	const struct sl_ast_option *ck = stmt_option(s, "checkpoint");
	const struct sl_ast_option *ck2 = stmt_option(s, "checkpointlocation");
	const struct sl_ast_option *ck3 = stmt_option(s, "checkpoint_location");
	if ((ck != NULL) + (ck2 != NULL) + (ck3 != NULL) > 1) {
		const struct sl_ast_option *x = ck2 != NULL && ck != NULL ? ck2 : ck3;
		return cerr(c, x->line, x->column,
			    "sink '%s' names its checkpoint twice: keep one of checkpoint, "
			    "checkpoint_location and checkpointLocation",
			    s->name),
		       c->rc;
	}
	if (ck == NULL)
		ck = ck2 != NULL ? ck2 : ck3;
	if (ck != NULL) {
		size_t n = strlen(ck->value);
		if (n == 0 || n >= sizeof(spec->checkpoint))
			return cerr(c, ck->value_line, ck->value_column,
				    "checkpoint must name a directory (at most %zu bytes), not '%s'",
				    sizeof(spec->checkpoint) - 1, ck->value),
			       c->rc;
		memcpy(spec->checkpoint, ck->value, n + 1);
		spec->checkpoint_line = ck->value_line;
		spec->checkpoint_column = ck->value_column;
	}
	static const char *const generic[] = {"connector",	    "output_mode",
					      "trigger",	    "num_rows",
					      "truncate",	    "checkpoint",
					      "checkpointlocation", "checkpoint_location"};
	for (uint32_t i = 0; i < s->noptions; i++) {
		bool skip = false;
		for (size_t k = 0; k < sizeof(generic) / sizeof(generic[0]); k++)
			skip = skip || strcmp(s->options[i].key, generic[k]) == 0;
		if (!skip && options_add(&spec->options, &s->options[i]) < 0)
			return coom(c), c->rc;
	}
	return 0;
}

static bool sink_supports(const struct sl_sink_ops *ops, enum sl_output_mode m)
{
	switch (m) {
	case SL_OUTPUT_APPEND: return ops->supports_append;
	case SL_OUTPUT_UPDATE: return ops->supports_update;
	case SL_OUTPUT_COMPLETE: return ops->supports_complete;
	}
	return false;
}

/* Spark's UnsupportedOperationChecker, for what sluice can express. */
static int check_modes(struct compiler *c, const struct sl_stmt *s, const struct sl_plan *plan,
		       const struct sl_sink_ops *ops)
{
	const struct sl_ast_option *o = stmt_option(s, "output_mode");
	uint32_t line = o ? o->value_line : s->line, column = o ? o->value_column : s->column;
	const struct sl_query *q = s->query;
	enum sl_output_mode m = plan->sink.mode;
	if (!plan->has_agg && m == SL_OUTPUT_COMPLETE)
		return cerr(c, line, column,
			    "Complete output mode not supported when there are no streaming "
			    "aggregations on streaming DataFrames/Datasets"),
		       c->rc;
	if (plan->session && plan->nkeys == 1)
		return cerr(c, q->group_line ? q->group_line : q->line,
			    q->group_line ? q->group_column : q->column,
			    "Global aggregation with session window in streaming query is not "
			    "supported."),
		       c->rc;
	if (plan->session && m == SL_OUTPUT_UPDATE)
		return cerr(c, line, column,
			    "Update output mode not supported for session window on streaming "
			    "DataFrames/DataSets"),
		       c->rc;
	if (plan->has_agg && m == SL_OUTPUT_APPEND && !plan->window_on_event_time)
		return cerr(c, line, column,
			    "Append output mode not supported when there are streaming aggregations "
			    "on streaming DataFrames/DataSets without watermark"),
		       c->rc;
	if (plan->norder > 0 && !(plan->has_agg && m == SL_OUTPUT_COMPLETE))
		return cerr(c, q->order_line, q->order_column,
			    "Sorting is not supported on streaming DataFrames/Datasets, unless it is "
			    "on aggregated DataFrame/Dataset in Complete output mode"),
		       c->rc;
	if (plan->limit >= 0 && m == SL_OUTPUT_UPDATE)
		return cerr(c, q->limit_line, q->limit_column,
			    "Limits are not supported on streaming DataFrames/Datasets in Update "
			    "output mode"),
		       c->rc;
	if (!sink_supports(ops, m))
		return cerr(c, line, column, "Data source %s does not support %s output mode",
			    ops->name, mode_word(m)),
		       c->rc;
	return 0;
}

/* The count(*) that tells how many rows a group (or a partial aggregate)
 * holds: the query's own, or a hidden one after the others (the select list
 * never names it). */
static int add_rows_agg(struct compiler *c, struct sl_plan *plan)
{
	for (uint32_t j = 0; j < plan->naggs; j++) {
		if (plan->aggs[j].fn == SL_AGG_COUNT_STAR) {
			plan->rows_agg = (int32_t)j;
			return 0;
		}
	}
	struct sl_agg_spec *nv = realloc(plan->aggs, (plan->naggs + 1) * sizeof(*nv));
	if (nv == NULL)
		return coom(c), -ENOMEM;
	plan->aggs = nv;
	plan->aggs[plan->naggs] = (struct sl_agg_spec){.fn = SL_AGG_COUNT_STAR,
						       .type = SL_TYPE_BIGINT};
	name_copy(plan->aggs[plan->naggs].name, "__rows", 6);
	plan->rows_agg = (int32_t)plan->naggs++;
	return 0;
}

static int schema_of_last_op(struct sl_plan *plan)
{
	const struct sl_schema *s = plan->nops ? &plan->ops[plan->nops - 1].out : &plan->source.schema;
	return schema_copy(&plan->pipeline_out, s);
}

/* Levels of e, counted no further than limit + 1: the walk is never
 * deeper than the bound it checks. */
static uint32_t x_depth(const struct sl_expr *e, uint32_t limit)
{
	if (e == NULL)
		return 0;
	if (limit == 0)
		return 1;
	uint32_t d = 0;
	for (uint32_t i = 0; i < e->nargs && d < limit; i++) {
		uint32_t k = x_depth(e->args[i], limit - 1);
		if (k > d)
			d = k;
	}
	return d + 1;
}

static int check_depth(struct compiler *c, const struct sl_expr *e)
{
	if (e == NULL || x_depth(e, SL_SQL_MAX_DEPTH) <= SL_SQL_MAX_DEPTH)
		return 0;
	return cerr(c, e->line, e->column,
		    "the expression is nested too deeply: more than %d levels once implicit "
		    "casts and rewrites (BETWEEN, IN, CASE, <>) are in; split it up",
		    SL_SQL_MAX_DEPTH),
	       c->rc;
}

/* ------------------------------------------- what the sources may skip */

static void refs_of(const struct sl_expr *e, uint64_t *m)
{
	if (e == NULL)
		return;
	if (e->kind == SL_EXPR_COLUMN && e->col < 64)
		*m |= (uint64_t)1 << e->col;
	for (uint32_t k = 0; k < e->nargs; k++)
		refs_of(e->args[k], m);
}

/* Each input's source learns which of its columns the query never reads
 * (struct sl_source_spec.unread_cols): what reads the pipeline's output
 * (the keys and aggregate arguments, or the output columns), back through
 * the input's operators (sl_pipeline_needs, the liveness the cores use),
 * and the WATERMARK column. */
static void plan_source_reads(struct sl_plan *plan)
{
	uint64_t live_out = 0;
	if (plan->has_agg) {
		for (uint32_t k = 0; k < plan->nkeys; k++)
			refs_of(plan->keys[k], &live_out);
		for (uint32_t j = 0; j < plan->naggs; j++)
			refs_of(plan->aggs[j].arg, &live_out);
	} else {
		for (uint32_t k = 0; k < plan->nout; k++)
			refs_of(plan->out[k], &live_out);
		refs_of(plan->having, &live_out);
	}
	for (uint32_t k = 0; k < sl_plan_ninputs(plan); k++) {
		struct sl_input *in = k == 0 ? &plan->input : &plan->unions[k - 1];
		struct sl_source_spec *src = &in->source;
		uint64_t used = sl_pipeline_needs(in->ops, in->nops, live_out);
		if (src->watermark_col >= 0 && src->watermark_col < 64)
			used |= (uint64_t)1 << src->watermark_col;
		uint32_t n = src->schema.ncols < 64 ? src->schema.ncols : 64;
		uint64_t all = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
		src->unread_cols = all & ~used;
	}
}

/* An expression of literals alone that the evaluator folds exactly as it
 * would on a row: the literal side of a comparison (`'2024-01-01'` cast
 * to TIMESTAMP, `-5`, `10 * 60`). */
static bool literal_only(const struct sl_expr *e, int depth)
{
	if (e == NULL || depth > 16)
		return false;
	if (e->kind == SL_EXPR_LITERAL)
		return true;
	if (e->kind != SL_EXPR_CALL)
		return false;
	switch (e->fn) {
	case SL_FN_CAST:
	case SL_FN_NEG:
	case SL_FN_ADD:
	case SL_FN_SUB:
	case SL_FN_MUL:
	case SL_FN_DIV:
	case SL_FN_MOD:
		break;
	default:
		return false;
	}
	for (uint32_t k = 0; k < e->nargs; k++)
		if (!literal_only(e->args[k], depth + 1))
			return false;
	return true;
}

/* The source column that column `col` of ops[k]'s input is (every op
 * passes some of its input's columns through unchanged: a filter all, a
 * projection those it names bare, an explode and a join the input's), or
 * -1 when it is made by an op. */
static int64_t column_at_source(const struct sl_input *in, uint32_t k, uint32_t col)
{
	while (k-- > 0) {
		const struct sl_op *op = &in->ops[k];
		switch (op->kind) {
		case SL_OP_FILTER:
			break;
		case SL_OP_PROJECT:
			if (col >= op->nexprs || op->exprs[col]->kind != SL_EXPR_COLUMN)
				return -1;
			col = op->exprs[col]->col;
			break;
		case SL_OP_EXPLODE:
			if (op->out.ncols == 0 || col >= op->out.ncols - 1)
				return -1;
			break;
		case SL_OP_JOIN_STATIC:
			if (op->join == NULL || col >= op->out.ncols || op->join->src[col] >= op->join->nin)
				return -1;
			col = op->join->src[col];
			break;
		default:
			return -1;
		}
	}
	return col;
}

/* The column side of a comparison: a column, or one widened the way the
 * comparison's type needs (INT to BIGINT or DOUBLE, BIGINT to DOUBLE,
 * STRING and BINARY to each other: monotone casts, so a bound of the
 * column's values is one of the cast's). -1 when it is something else. */
static int64_t column_side(const struct sl_input *in, uint32_t k, const struct sl_expr *e)
{
	if (e->kind == SL_EXPR_CALL && e->fn == SL_FN_CAST && e->nargs == 1 &&
	    e->args[0]->kind == SL_EXPR_COLUMN) {
		enum sl_type from = e->args[0]->type, to = e->type;
		bool widen = (from == SL_TYPE_INT && (to == SL_TYPE_BIGINT || to == SL_TYPE_DOUBLE)) ||
			     (from == SL_TYPE_BIGINT && to == SL_TYPE_DOUBLE) ||
			     (sl_type_is_bytes(from) && sl_type_is_bytes(to));
		if (!widen)
			return -1;
		e = e->args[0];
	}
	if (e->kind != SL_EXPR_COLUMN)
		return -1;
	return column_at_source(in, k, e->col);
}

static enum sl_fn flip_compare(enum sl_fn fn)
{
	switch (fn) {
	case SL_FN_LT: return SL_FN_GT;
	case SL_FN_LE: return SL_FN_GE;
	case SL_FN_GT: return SL_FN_LT;
	case SL_FN_GE: return SL_FN_LE;
	default: return fn;
	}
}

/* Conjunct e of the filter ops[k] (over ops[k]'s input), as a source
 * filter when it is `column op literal`, `literal op column`, `column IS
 * [NOT] NULL`; AND's arguments are conjuncts too. */
static void add_filters(struct sl_input *in, uint32_t k, const struct sl_expr *e,
			struct sl_eval_ctx *ctx, int depth)
{
	struct sl_source_spec *src = &in->source;
	if (e == NULL || e->kind != SL_EXPR_CALL || depth > 64 ||
	    src->nfilters >= SL_SOURCE_MAX_FILTERS)
		return;
	if (e->fn == SL_FN_AND) {
		for (uint32_t j = 0; j < e->nargs; j++)
			add_filters(in, k, e->args[j], ctx, depth + 1);
		return;
	}
	struct sl_source_filter f = {0};
	if ((e->fn == SL_FN_IS_NULL || e->fn == SL_FN_IS_NOT_NULL) && e->nargs == 1 &&
	    e->args[0]->kind == SL_EXPR_COLUMN) {
		int64_t col = column_at_source(in, k, e->args[0]->col);
		if (col < 0)
			return;
		f.col = (uint32_t)col;
		f.op = e->fn;
		src->filters[src->nfilters++] = f;
		return;
	}
	if ((e->fn != SL_FN_EQ && e->fn != SL_FN_LT && e->fn != SL_FN_LE && e->fn != SL_FN_GT &&
	     e->fn != SL_FN_GE) ||
	    e->nargs != 2)
		return;
	const struct sl_expr *colx = e->args[0], *litx = e->args[1];
	f.op = e->fn;
	if (literal_only(colx, 0)) {
		colx = e->args[1];
		litx = e->args[0];
		f.op = flip_compare(e->fn);
	}
	int64_t col = column_side(in, k, colx);
	if (col < 0 || !literal_only(litx, 0))
		return;
	enum sl_type t = litx->type;
	if (t != SL_TYPE_BOOLEAN && t != SL_TYPE_INT && t != SL_TYPE_BIGINT &&
	    t != SL_TYPE_TIMESTAMP && t != SL_TYPE_DOUBLE && !sl_type_is_bytes(t))
		return;
	/* the literal side evaluated as the cores would (one row, no columns) */
	struct sl_chunk none = {.nrows = 1};
	struct sl_vec v;
	sl_eval_ctx_reset(ctx);
	if (sl_expr_eval(litx, &none, ctx, &v) < 0 || v.type != t || sl_vec_is_null(&v, 0))
		return;
	f.col = (uint32_t)col;
	f.lit.type = t;
	switch (t) {
	case SL_TYPE_BOOLEAN:
		f.lit.v.b = v.v.b[0] != 0;
		break;
	case SL_TYPE_DOUBLE:
		f.lit.v.f64 = v.v.f64[0];
		break;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		if (v.v.str[0].len > sizeof(f.str))
			return;
		f.len = v.v.str[0].len;
		if (f.len > 0)
			memcpy(f.str, v.v.str[0].ptr, f.len);
		break;
	default:
		f.lit.v.i64 = v.v.i64[0];
		break;
	}
	src->filters[src->nfilters++] = f;
}

/* Each input's source learns the conjuncts of its WHERE on its own
 * columns (struct sl_source_spec.filters): those of every filter op,
 * mapped back through the ops before it to the source's columns. Not for
 * a source with a WATERMARK: its event times are observed on every row
 * the source reads, before the WHERE, so rows the WHERE drops still move
 * the watermark (engine) and must be read. */
static int plan_source_filters(struct sl_plan *plan)
{
	struct sl_eval_ctx *ctx = sl_eval_ctx_create();
	if (ctx == NULL)
		return -ENOMEM;
	for (uint32_t k = 0; k < sl_plan_ninputs(plan); k++) {
		struct sl_input *in = k == 0 ? &plan->input : &plan->unions[k - 1];
		in->source.nfilters = 0;
		if (in->source.watermark_col >= 0)
			continue;
		for (uint32_t i = 0; i < in->nops; i++)
			if (in->ops[i].kind == SL_OP_FILTER)
				add_filters(in, i, in->ops[i].pred, ctx, 0);
	}
	sl_eval_ctx_destroy(ctx);
	return 0;
}

/* The plan against the bounds every later stage relies on (see the top of
 * this file). The parser bounds the syntax tree; rewrites may deepen it,
 * so the typed trees are measured again. The column bounds are the
 * engine's fixed arrays: an ingest core keeps the group keys, the
 * aggregate arguments and the shipped columns in arrays of
 * SL_BLOCK_MAX_COLS vectors (bug group_keys_overflow_ingest_arrays). */
static int check_plan_bounds(struct compiler *c, const struct sl_stmt *s,
			     const struct sl_plan *plan)
{
	int rc = 0;
	for (uint32_t k = 0; rc == 0 && k < sl_plan_ninputs(plan); k++) {
		const struct sl_input *in = sl_plan_input(plan, k);
		for (uint32_t i = 0; rc == 0 && i < in->nops; i++) {
			const struct sl_op *op = &in->ops[i];
			rc = check_depth(c, op->pred);
			if (rc == 0)
				rc = check_depth(c, op->gen);
			for (uint32_t j = 0; rc == 0 && j < op->nexprs; j++)
				rc = check_depth(c, op->exprs[j]);
			for (uint32_t j = 0; rc == 0 && op->join != NULL && j < op->join->nkeys; j++) {
				rc = check_depth(c, op->join->probe[j]);
				if (rc == 0)
					rc = check_depth(c, op->join->build[j]);
			}
			if (rc == 0 && op->join != NULL)
				rc = check_depth(c, op->join->residual);
		}
	}
	for (uint32_t k = 0; rc == 0 && k < plan->nkeys; k++)
		rc = check_depth(c, plan->keys[k]);
	for (uint32_t j = 0; rc == 0 && j < plan->naggs; j++)
		rc = check_depth(c, plan->aggs[j].arg);
	if (rc == 0)
		rc = check_depth(c, plan->having);
	for (uint32_t k = 0; rc == 0 && k < plan->nout; k++)
		rc = check_depth(c, plan->out[k]);
	if (rc != 0)
		return rc;

	const struct sl_query *q = s->query;
	const uint32_t max = SL_BLOCK_MAX_COLS;
	for (uint32_t k = 0; k < sl_plan_ninputs(plan); k++) {
		const struct sl_source_spec *src = &sl_plan_input(plan, k)->source;
		if (src->schema.ncols > max)
			return cerr(c, src->line, src->column,
				    "source '%s' has %u columns; at most %u are supported",
				    src->name, src->schema.ncols, max),
			       c->rc;
	}
	if (plan->nkeys > max)
		return cerr(c, q->group_line ? q->group_line : q->line,
			    q->group_line ? q->group_column : q->column,
			    "the query groups by %u keys; at most %u are supported", plan->nkeys,
			    max),
		       c->rc;
	if (plan->naggs > max)
		return cerr(c, q->line, q->column,
			    "the query computes %u aggregates; at most %u are supported",
			    plan->naggs, max),
		       c->rc;
	uint32_t shipped = plan->has_agg ? 1 : plan->nout;
	for (uint32_t j = 0; plan->has_agg && j < plan->naggs; j++)
		shipped += plan->aggs[j].arg != NULL;
	if (shipped > max)
		return cerr(c, q->line, q->column,
			    plan->has_agg
				    ? "the query's aggregates take %u arguments; at most %u are "
				      "supported"
				    : "the query selects %u columns; at most %u are supported",
			    plan->has_agg ? shipped - 1 : shipped, plan->has_agg ? max - 1 : max),
		       c->rc;
	return 0;
}

static int push_ptr(void ***arr, uint32_t *n, void *p)
{
	void **nv = realloc(*arr, (*n + 1) * sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	nv[(*n)++] = p;
	*arr = nv;
	return 0;
}

static int compile_query_stmt(struct compiler *c, const struct sl_stmt *s)
{
	bool explain_select = s->kind == SL_STMT_SELECT;
	if (!explain_select && !s->explain) {
		for (uint32_t i = 0; i < c->nsinks; i++)
			if (strcasecmp(c->sinks[i].name, s->name) == 0)
				return cerr(c, s->name_line, s->name_column,
					    "sink '%s' is already defined at line %u, column %u",
					    s->name, c->sinks[i].line, c->sinks[i].column),
				       c->rc;
	}
	struct sl_plan *plan = calloc(1, sizeof(*plan));
	if (plan == NULL)
		return coom(c), c->rc;
	plan->limit = -1;
	plan->window_key = -1;
	plan->rows_agg = -1;
	c->nodes = 0;
	struct planner pl = {.c = c, .plan = plan};
	const struct sl_sink_ops *ops = NULL;
	struct sl_sink_spec *spec = &plan->sink;
	spec->line = s->line;
	spec->column = s->column;
	if (explain_select) {
		/* as if sunk to the console in append mode; the output-mode
		 * rules are not checked, EXPLAIN only shows the plan */
		strcpy(spec->connector, "console");
		spec->mode = SL_OUTPUT_APPEND;
		spec->trigger = SL_TRIGGER_DEFAULT;
		spec->num_rows = 20;
		spec->truncate = 20;
	} else {
		name_copy(spec->name, s->name, strlen(s->name));
		if (sink_options(c, s, spec, &ops) < 0)
			goto err;
	}
	struct rel top = {0};
	const struct sl_query *q = s->query;
	struct sl_query *wrap = NULL;
	if (q->union_all != NULL) {
		/* SELECT ... UNION ALL SELECT ... as a sink's query: SELECT *
		 * FROM (that) */
		wrap = sl_ast_alloc(c->script->arena, sizeof(*wrap));
		struct sl_select_item *star = sl_ast_alloc(c->script->arena, sizeof(*star));
		struct sl_ast *st = sl_ast_alloc(c->script->arena, sizeof(*st));
		if (wrap == NULL || star == NULL || st == NULL) {
			coom(c);
			goto err;
		}
		st->kind = SL_AST_STAR;
		st->line = star->line = wrap->line = wrap->from.line = q->line;
		st->column = star->column = wrap->column = wrap->from.column = q->column;
		star->expr = st;
		wrap->nitems = 1;
		wrap->items = star;
		wrap->from.query = (struct sl_query *)q;
		wrap->limit = -1;
		q = wrap;
	}
	int lrc = lower_query(&pl, q, true, &top);
	x_free(pl.sliding);
	pl.sliding = NULL;
	if (lrc == 0)
		lrc = resolve_twins(&pl);
	for (uint32_t k = 0; lrc == 0 && k < sl_plan_ninputs(plan); k++)
		(k == 0 ? &plan->input : &plan->unions[k - 1])->source.trigger = spec->trigger;
	free(pl.twin_of);
	free(pl.twin_from);
	if (lrc < 0)
		goto err;
	if (sl_plan_evicts(plan) && add_rows_agg(c, plan) < 0)
		goto err;
	if (schema_of_last_op(plan) < 0) {
		coom(c);
		goto err;
	}
	/* every input hands the keys and aggregates the same columns */
	for (uint32_t k = 0; k < plan->nunions; k++) {
		const struct sl_schema *o = &plan->unions[k].pipeline_out;
		bool same = o->ncols == plan->pipeline_out.ncols;
		for (uint32_t i = 0; same && i < o->ncols; i++)
			same = o->cols[i].type == plan->pipeline_out.cols[i].type;
		if (!same) {
			cerr(c, s->line, s->column,
			     "internal error: input %u of the UNION ALL does not end in the first "
			     "input's column types",
			     k + 2);
			goto err;
		}
	}
	if (check_plan_bounds(c, s, plan) < 0)
		goto err;
	plan_source_reads(plan);
	if (plan_source_filters(plan) < 0) {
		coom(c);
		goto err;
	}
	plan->settings = c->settings;
	if (plan->settings.shards == 0)
		plan->settings.shards = plan->settings.n_agg;
	plan->text = sl_sql_redact_secrets(c->text); /* kept and shown: no secrets */
	if (plan->text == NULL) {
		coom(c);
		goto err;
	}
	if (!explain_select) {
		if (check_modes(c, s, plan, ops) < 0)
			goto err;
		if (ops->validate != NULL && ops->validate(spec, c->err, c->errlen) < 0) {
			cerr_raw(c, c->err);
			goto err;
		}
		if (ops->validate_schema != NULL &&
		    ops->validate_schema(spec, &plan->out_schema, c->err, c->errlen) < 0) {
			cerr_raw(c, c->err);
			goto err;
		}
		for (uint32_t k = 0; k < sl_plan_ninputs(plan); k++) {
			const struct sl_source_spec *src = &sl_plan_input(plan, k)->source;
			const struct sl_source_ops *sops = sl_source_lookup(src->connector);
			if (sops != NULL && sops->validate_sink != NULL &&
			    sops->validate_sink(src, spec, c->err, c->errlen) < 0) {
				cerr_raw(c, c->err);
				goto err;
			}
		}
	}
	if (s->explain) {
		char *text = sl_plan_explain(plan);
		if (text == NULL || push_ptr((void ***)&c->prog->explains, &c->prog->nexplains, text) < 0) {
			free(text);
			coom(c);
			goto err;
		}
		sl_plan_free(plan);
		return 0;
	}
	struct sink_name *nv = realloc(c->sinks, (c->nsinks + 1) * sizeof(*nv));
	if (nv == NULL) {
		coom(c);
		goto err;
	}
	c->sinks = nv;
	name_copy(c->sinks[c->nsinks].name, s->name, strlen(s->name));
	c->sinks[c->nsinks].line = s->name_line;
	c->sinks[c->nsinks].column = s->name_column;
	c->nsinks++;
	if (push_ptr((void ***)&c->prog->plans, &c->prog->nplans, plan) < 0) {
		coom(c);
		goto err;
	}
	return 0;
err:
	sl_plan_free(plan);
	return c->rc != 0 ? c->rc : -EINVAL;
}

int sl_sql_compile(const char *text, const struct sl_settings *base, struct sl_program **out,
		   char *err, size_t errlen)
{
	char scratch[1024];
	if (err == NULL || errlen == 0) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	struct compiler c = {.text = text, .settings = *base, .err = err, .errlen = errlen};
	int rc;
	err[0] = '\0';
	*out = NULL;
	rc = sl_sql_parse(text, &c.script, err, errlen);
	if (rc < 0)
		return rc;
	c.prog = calloc(1, sizeof(*c.prog));
	if (c.prog == NULL) {
		coom(&c);
		goto done;
	}
	for (uint32_t i = 0; i < c.script->nstmts && c.rc == 0; i++) {
		const struct sl_stmt *s = c.script->stmts[i];
		switch (s->kind) {
		case SL_STMT_SET: apply_set(&c, s); break;
		case SL_STMT_CREATE_SOURCE: compile_source(&c, s); break;
		case SL_STMT_CREATE_TABLE: compile_table(&c, s); break;
		case SL_STMT_CREATE_SINK:
		case SL_STMT_SELECT: compile_query_stmt(&c, s); break;
		}
	}
done:
	for (uint32_t i = 0; i < c.nsources; i++) {
		schema_free(&c.sources[i].spec.schema);
		options_free(&c.sources[i].spec.options);
	}
	free(c.sources);
	for (uint32_t i = 0; i < c.ntables; i++) {
		schema_free(&c.tables[i].spec.schema);
		options_free(&c.tables[i].spec.options);
	}
	free(c.tables);
	free(c.sinks);
	sl_script_free(c.script);
	if (c.rc != 0) {
		sl_program_free(c.prog);
		return c.rc;
	}
	*out = c.prog;
	return 0;
}

void sl_program_free(struct sl_program *p)
{
	if (p == NULL)
		return;
	for (uint32_t i = 0; i < p->nplans; i++)
		sl_plan_free(p->plans[i]);
	free(p->plans);
	for (uint32_t i = 0; i < p->nexplains; i++)
		free(p->explains[i]);
	free(p->explains);
	free(p);
}

void sl_plan_free(struct sl_plan *p)
{
	if (p == NULL)
		return;
	input_free(&p->input);
	for (uint32_t k = 0; k < p->nunions; k++)
		input_free(&p->unions[k]);
	free(p->unions);
	/* after the inputs: their joins' indexes refer to the tables' rows */
	for (uint32_t t = 0; t < p->ntables; t++) {
		schema_free(&p->tables[t].def.schema);
		options_free(&p->tables[t].def.options);
		sl_static_table_destroy(p->tables[t].data);
	}
	free(p->tables);
	free_exprs(p->keys, p->nkeys);
	schema_free(&p->key_schema);
	for (uint32_t i = 0; i < p->naggs; i++)
		x_free(p->aggs[i].arg);
	free(p->aggs);
	x_free(p->having);
	free_exprs(p->out, p->nout);
	schema_free(&p->out_schema);
	free(p->order);
	options_free(&p->sink.options);
	free(p->text);
	free(p);
}

/* ---------------------------------------------------------------- EXPLAIN */

static int text_args(const struct sl_expr *e, uint32_t from, const struct sl_schema *in,
		     struct sl_strbuf *out)
{
	int rc = 0;
	for (uint32_t i = from; i < e->nargs; i++) {
		if (i > from)
			rc |= sl_strbuf_puts(out, ", ");
		rc |= sl_expr_text(e->args[i], in, out);
	}
	return rc;
}

static int text_binary(const struct sl_expr *e, const char *op, const struct sl_schema *in,
		       struct sl_strbuf *out)
{
	int rc = sl_strbuf_putc(out, '(');
	rc |= sl_expr_text(e->args[0], in, out);
	rc |= sl_strbuf_putc(out, ' ');
	rc |= sl_strbuf_puts(out, op);
	rc |= sl_strbuf_putc(out, ' ');
	rc |= sl_expr_text(e->args[1], in, out);
	return rc | sl_strbuf_putc(out, ')');
}

static int text_fn(const struct sl_expr *e, const char *name, const struct sl_schema *in,
		   struct sl_strbuf *out)
{
	int rc = sl_strbuf_puts(out, name);
	rc |= sl_strbuf_putc(out, '(');
	rc |= text_args(e, 0, in, out);
	if (e->fn == SL_FN_SPLIT && e->nargs == 2)
		rc |= sl_strbuf_puts(out, ", -1");
	return rc | sl_strbuf_putc(out, ')');
}

int sl_expr_text(const struct sl_expr *e, const struct sl_schema *in, struct sl_strbuf *out)
{
	char buf[SL_FORMAT_MAX];
	int rc = 0;
	switch (e->kind) {
	case SL_EXPR_LITERAL:
		if (e->lit.is_null)
			return sl_strbuf_puts(out, "NULL");
		switch (e->lit.type) {
		case SL_TYPE_BOOLEAN: return sl_strbuf_puts(out, e->lit.v.b ? "true" : "false");
		case SL_TYPE_STRING: return sl_strbuf_append(out, e->lit.v.str.ptr, e->lit.v.str.len);
		case SL_TYPE_BINARY: {
			/* Spark's SQL text of a binary literal: X'68656C6C6F' */
			static const char hex[] = "0123456789ABCDEF";
			rc = sl_strbuf_puts(out, "X'");
			for (uint32_t i = 0; rc == 0 && i < e->lit.v.str.len; i++) {
				const uint8_t x = (uint8_t)e->lit.v.str.ptr[i];
				rc = sl_strbuf_putc(out, hex[x >> 4]);
				if (rc == 0)
					rc = sl_strbuf_putc(out, hex[x & 15]);
			}
			return rc < 0 ? rc : sl_strbuf_putc(out, '\'');
		}
		case SL_TYPE_DOUBLE:
			sl_format_double(e->lit.v.f64, buf, sizeof(buf));
			return sl_strbuf_puts(out, buf);
		default:
			sl_format_i64(e->lit.v.i64, buf, sizeof(buf));
			return sl_strbuf_puts(out, buf);
		}
	case SL_EXPR_COLUMN:
		if (in != NULL && e->col < in->ncols)
			return sl_strbuf_puts(out, in->cols[e->col].name);
		snprintf(buf, sizeof(buf), "#%u", e->col);
		return sl_strbuf_puts(out, buf);
	case SL_EXPR_CALL:
		break;
	}
	switch (e->fn) {
	case SL_FN_AND: return text_binary(e, "AND", in, out);
	case SL_FN_OR: return text_binary(e, "OR", in, out);
	case SL_FN_EQ: return text_binary(e, "=", in, out);
	case SL_FN_LT: return text_binary(e, "<", in, out);
	case SL_FN_LE: return text_binary(e, "<=", in, out);
	case SL_FN_GT: return text_binary(e, ">", in, out);
	case SL_FN_GE: return text_binary(e, ">=", in, out);
	case SL_FN_ADD: return text_binary(e, "+", in, out);
	case SL_FN_SUB: return text_binary(e, "-", in, out);
	case SL_FN_MUL: return text_binary(e, "*", in, out);
	case SL_FN_DIV: return text_binary(e, "/", in, out);
	case SL_FN_MOD: return text_binary(e, "%", in, out);
	case SL_FN_NE:
		rc |= sl_strbuf_puts(out, "(NOT ");
		rc |= text_binary(e, "=", in, out);
		return rc | sl_strbuf_putc(out, ')');
	case SL_FN_NOT:
		rc |= sl_strbuf_puts(out, "(NOT ");
		rc |= sl_expr_text(e->args[0], in, out);
		return rc | sl_strbuf_putc(out, ')');
	case SL_FN_NEG:
		rc |= sl_strbuf_puts(out, "(- ");
		rc |= sl_expr_text(e->args[0], in, out);
		return rc | sl_strbuf_putc(out, ')');
	case SL_FN_IS_NULL:
	case SL_FN_IS_NOT_NULL:
		rc |= sl_strbuf_putc(out, '(');
		rc |= sl_expr_text(e->args[0], in, out);
		return rc | sl_strbuf_puts(out, e->fn == SL_FN_IS_NULL ? " IS NULL)" : " IS NOT NULL)");
	case SL_FN_LIKE:
		rc |= sl_expr_text(e->args[0], in, out);
		rc |= sl_strbuf_puts(out, " LIKE ");
		return rc | sl_expr_text(e->args[1], in, out);
	case SL_FN_RLIKE: return text_fn(e, "RLIKE", in, out);
	case SL_FN_LOWER: return text_fn(e, "lower", in, out);
	case SL_FN_UPPER: return text_fn(e, "upper", in, out);
	case SL_FN_LENGTH: return text_fn(e, "length", in, out);
	case SL_FN_SUBSTR: return text_fn(e, "substr", in, out);
	case SL_FN_CONCAT: return text_fn(e, "concat", in, out);
	case SL_FN_TRIM: return text_fn(e, "trim", in, out);
	case SL_FN_SPLIT: return text_fn(e, "split", in, out);
	case SL_FN_SIZE: return text_fn(e, "size", in, out);
	case SL_FN_COALESCE: return text_fn(e, "coalesce", in, out);
	case SL_FN_CAST:
		rc |= sl_strbuf_puts(out, "CAST(");
		rc |= sl_expr_text(e->args[0], in, out);
		rc |= sl_strbuf_puts(out, " AS ");
		rc |= sl_strbuf_puts(out, sl_type_name(e->type));
		return rc | sl_strbuf_putc(out, ')');
	case SL_FN_IF:
		rc |= sl_strbuf_puts(out, "(IF(");
		rc |= text_args(e, 0, in, out);
		return rc | sl_strbuf_puts(out, "))");
	case SL_FN_WINDOW: return text_fn(e, "window", in, out);
	case SL_FN_TO_TIMESTAMP: return text_fn(e, "to_timestamp", in, out);
	case SL_FN_SESSION: return text_fn(e, "session_window", in, out);
	case SL_FN_WINDOWS: return text_fn(e, "windows", in, out);
	case SL_FN_WINDOW_START:
	case SL_FN_WINDOW_END:
		rc |= sl_expr_text(e->args[0], in, out);
		return rc | sl_strbuf_puts(out, e->fn == SL_FN_WINDOW_END ? ".end" : ".start");
	case SL_FN_HEADER_KEY:
	case SL_FN_HEADER_VALUE:
		rc |= sl_expr_text(e->args[0], in, out);
		return rc | sl_strbuf_puts(out, e->fn == SL_FN_HEADER_VALUE ? ".value" : ".key");
	case SL_FN__COUNT: break;
	}
	return sl_strbuf_puts(out, "?");
}

static void interval_text(uint64_t us, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t us;
	} units[] = {
		{"day", 86400000000ULL}, {"hour", 3600000000ULL}, {"minute", 60000000ULL},
		{"second", 1000000ULL},  {"millisecond", 1000ULL}, {"microsecond", 1ULL},
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (us % units[i].us == 0) {
			uint64_t n = us / units[i].us;
			snprintf(buf, len, "%" PRIu64 " %s%s", n, units[i].unit, n == 1 ? "" : "s");
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64 " microseconds", us);
}

/* "ingest core 0", "agg cores 1-3" */
static void cores_text(const char *what, const int *cpus, uint32_t n, char *buf, size_t len)
{
	char list[256];
	sl_cpu_list_format(cpus, n, list, sizeof(list));
	snprintf(buf, len, "%s core%s %s", what, n == 1 ? "" : "s", list);
}

struct explain {
	struct sl_strbuf sb;
	uint32_t depth;
	int rc;
};

/* Start the next line of the tree, one level deeper than the last. */
static void ex_line(struct explain *x)
{
	if (x->depth > 0) {
		x->rc |= sl_strbuf_fill(&x->sb, ' ', (x->depth - 1) * 3);
		x->rc |= sl_strbuf_puts(&x->sb, "+- ");
	}
	x->depth++;
}

static void ex_puts(struct explain *x, const char *s)
{
	x->rc |= sl_strbuf_puts(&x->sb, s);
}

static void ex_expr(struct explain *x, const struct sl_expr *e, const struct sl_schema *in)
{
	x->rc |= sl_expr_text(e, in, &x->sb);
}

/* e, then " AS name" when the name is not what the expression reads as. */
static void ex_named(struct explain *x, const struct sl_expr *e, const struct sl_schema *in,
		     const char *name)
{
	struct sl_strbuf t;
	sl_strbuf_init(&t);
	x->rc |= sl_expr_text(e, in, &t);
	x->rc |= sl_strbuf_append(&x->sb, t.ptr ? t.ptr : "", t.len);
	if (t.ptr == NULL || strlen(name) != t.len || memcmp(name, t.ptr, t.len) != 0) {
		ex_puts(x, " AS ");
		ex_puts(x, name);
	}
	sl_strbuf_free(&t);
}

static void ex_where(struct explain *x, const char *where)
{
	ex_puts(x, "  [");
	ex_puts(x, where);
	ex_puts(x, "]\n");
}

static bool out_is_identity(const struct sl_plan *p, const struct sl_schema *in)
{
	if (p->nout != in->ncols)
		return false;
	for (uint32_t i = 0; i < p->nout; i++)
		if (p->out[i]->kind != SL_EXPR_COLUMN || p->out[i]->col != i ||
		    strcmp(p->out_schema.cols[i].name, in->cols[i].name) != 0)
			return false;
	return true;
}

static const char *join_type_name(enum sl_join_type t)
{
	switch (t) {
	case SL_JOIN_INNER: return "Inner";
	case SL_JOIN_LEFT_OUTER: return "LeftOuter";
	case SL_JOIN_RIGHT_OUTER: return "RightOuter";
	case SL_JOIN_LEFT_SEMI: return "LeftSemi";
	case SL_JOIN_LEFT_ANTI: return "LeftAnti";
	}
	return "?";
}

static void ex_keys(struct explain *x, struct sl_expr *const *keys, uint32_t n,
		    const struct sl_schema *in)
{
	ex_puts(x, "[");
	for (uint32_t k = 0; k < n; k++) {
		if (k)
			ex_puts(x, ", ");
		ex_expr(x, keys[k], in);
	}
	ex_puts(x, "]");
}

/* BroadcastHashJoin [left keys], [right keys], Type, BuildRight|BuildLeft[,
 * residual], table name (file 'path', format f[, N rows]) */
static void ex_join(struct explain *x, const struct sl_plan *p, const struct sl_op *op,
		    const struct sl_schema *in)
{
	const struct sl_join *j = op->join;
	const struct sl_table_spec *t = j->table < p->ntables ? &p->tables[j->table] : NULL;
	const struct sl_schema *ts = t != NULL ? &t->def.schema : NULL;
	char buf[700];
	ex_puts(x, "BroadcastHashJoin ");
	if (j->build_left) {
		ex_keys(x, j->build, j->nkeys, ts);
		ex_puts(x, ", ");
		ex_keys(x, j->probe, j->nkeys, in);
	} else {
		ex_keys(x, j->probe, j->nkeys, in);
		ex_puts(x, ", ");
		ex_keys(x, j->build, j->nkeys, ts);
	}
	ex_puts(x, ", ");
	ex_puts(x, join_type_name(j->type));
	ex_puts(x, j->build_left ? ", BuildLeft" : ", BuildRight");
	if (j->residual != NULL) {
		/* over [input..., table...] */
		struct sl_schema both = {0};
		uint32_t nt = ts != NULL ? ts->ncols : 0;
		both.cols = calloc(j->nin + nt + 1, sizeof(*both.cols));
		if (both.cols != NULL) {
			both.ncols = j->nin + nt;
			for (uint32_t i = 0; i < j->nin && i < in->ncols; i++)
				both.cols[i] = in->cols[i];
			for (uint32_t i = 0; i < nt; i++)
				both.cols[j->nin + i] = ts->cols[i];
		}
		ex_puts(x, ", ");
		ex_expr(x, j->residual, both.cols != NULL ? &both : NULL);
		free(both.cols);
	}
	if (t == NULL)
		return;
	const struct sl_option *path = sl_options_find(&t->def.options, "path");
	const struct sl_option *fmt = sl_options_find(&t->def.options, "format");
	snprintf(buf, sizeof(buf), ", table %s (file '%s', format %s", t->def.name,
		 path != NULL ? path->value : "", fmt != NULL ? fmt->value : "text");
	ex_puts(x, buf);
	if (t->data != NULL) {
		uint32_t rows = sl_static_table_nrows(t->data);
		snprintf(buf, sizeof(buf), ", %u row%s", rows, rows == 1 ? "" : "s");
		ex_puts(x, buf);
	}
	ex_puts(x, ")");
}

/* A source whose reads the planner's hints narrow: the file source
 * reading format parquet (unread_cols, filters). */
static bool reads_parquet(const struct sl_source_spec *src)
{
	if (strcasecmp(src->connector, "file") != 0)
		return false;
	for (uint32_t i = 0; i < src->options.n; i++)
		if (strcmp(src->options.v[i].key, "format") == 0)
			return strcasecmp(src->options.v[i].value, "parquet") == 0;
	return false;
}

/* ", ReadSchema=(a, b), PushedFilters=[a >= 5, b IS NULL]" (Spark's
 * FileScan shows the two): what a parquet source reads. */
static void ex_source_reads(struct explain *x, const struct sl_source_spec *src)
{
	char buf[SL_NAME_MAX + SL_SOURCE_FILTER_STR + 64];
	ex_puts(x, ", ReadSchema=(");
	bool first = true;
	for (uint32_t i = 0; i < src->schema.ncols; i++) {
		if (i < 64 && ((src->unread_cols >> i) & 1))
			continue;
		ex_puts(x, first ? "" : ", ");
		ex_puts(x, src->schema.cols[i].name);
		first = false;
	}
	ex_puts(x, "), PushedFilters=[");
	for (uint32_t k = 0; k < src->nfilters; k++) {
		const struct sl_source_filter *f = &src->filters[k];
		const char *name = f->col < src->schema.ncols ? src->schema.cols[f->col].name : "?";
		static const char *const ops[] = {[SL_FN_EQ] = "=", [SL_FN_LT] = "<",
						  [SL_FN_LE] = "<=", [SL_FN_GT] = ">",
						  [SL_FN_GE] = ">="};
		char lit[SL_SOURCE_FILTER_STR + 8];
		if (f->op == SL_FN_IS_NULL || f->op == SL_FN_IS_NOT_NULL) {
			snprintf(buf, sizeof(buf), "%s%s %s", k ? ", " : "", name,
				 f->op == SL_FN_IS_NULL ? "IS NULL" : "IS NOT NULL");
			ex_puts(x, buf);
			continue;
		}
		switch (f->lit.type) {
		case SL_TYPE_BOOLEAN:
			snprintf(lit, sizeof(lit), "%s", f->lit.v.b ? "true" : "false");
			break;
		case SL_TYPE_DOUBLE:
			sl_format_double(f->lit.v.f64, lit, sizeof(lit));
			break;
		case SL_TYPE_TIMESTAMP:
			lit[0] = '\'';
			sl_format_timestamp(f->lit.v.i64, lit + 1, sizeof(lit) - 2);
			strcat(lit, "'");
			break;
		case SL_TYPE_STRING:
		case SL_TYPE_BINARY:
			snprintf(lit, sizeof(lit), "'%.*s'", (int)f->len, f->str);
			break;
		default:
			snprintf(lit, sizeof(lit), "%" PRId64, f->lit.v.i64);
			break;
		}
		snprintf(buf, sizeof(buf), "%s%s %s %s", k ? ", " : "", name,
			 f->op <= SL_FN_GE && ops[f->op] != NULL ? ops[f->op] : "?", lit);
		ex_puts(x, buf);
	}
	ex_puts(x, "]");
}

/* An input's operators, last first, then its source. */
static void ex_input(struct explain *x, const struct sl_plan *p, const struct sl_input *inp,
		     const char *ingest)
{
	char buf[700];
	for (uint32_t i = inp->nops; i-- > 0;) {
		const struct sl_op *op = &inp->ops[i];
		const struct sl_schema *in = i ? &inp->ops[i - 1].out : &inp->source.schema;
		ex_line(x);
		switch (op->kind) {
		case SL_OP_FILTER:
			ex_puts(x, "Filter ");
			ex_expr(x, op->pred, in);
			break;
		case SL_OP_PROJECT:
			ex_puts(x, "Project [");
			for (uint32_t k = 0; k < op->nexprs; k++) {
				if (k)
					ex_puts(x, ", ");
				ex_named(x, op->exprs[k], in, op->out.cols[k].name);
			}
			ex_puts(x, "]");
			break;
		case SL_OP_EXPLODE:
			ex_puts(x, "Explode explode(");
			ex_expr(x, op->gen, in);
			ex_puts(x, ") AS ");
			ex_puts(x, op->out.cols[op->out.ncols - 1].name);
			break;
		case SL_OP_JOIN_STATIC:
			ex_join(x, p, op, in);
			break;
		}
		ex_where(x, ingest);
	}
	ex_line(x);
	ex_puts(x, "Source ");
	ex_puts(x, inp->source.name);
	ex_puts(x, ": ");
	ex_puts(x, inp->source.connector);
	for (uint32_t i = 0; i < inp->source.options.n; i++) {
		snprintf(buf, sizeof(buf), ", %s='%s'", inp->source.options.v[i].key,
			 sl_option_is_secret(inp->source.options.v[i].key) ? "*****"
								    : inp->source.options.v[i].value);
		ex_puts(x, buf);
	}
	ex_puts(x, ", schema=(");
	for (uint32_t i = 0; i < inp->source.schema.ncols; i++) {
		char tb[64];
		const struct sl_column_def *sc = &inp->source.schema.cols[i];
		snprintf(buf, sizeof(buf), "%s%s %s", i ? ", " : "", sc->name,
			 type_text(sc->type, sc->elem_type, tb, sizeof(tb)));
		ex_puts(x, buf);
	}
	ex_puts(x, ")");
	if (reads_parquet(&inp->source))
		ex_source_reads(x, &inp->source);
	ex_where(x, ingest);
}

char *sl_plan_explain(const struct sl_plan *p)
{
	struct explain x = {.depth = 0};
	sl_strbuf_init(&x.sb);
	char ingest[300], agg[300], buf[700];
	cores_text("ingest", p->settings.ingest_cores, p->settings.n_ingest, ingest, sizeof(ingest));
	cores_text("agg", p->settings.agg_cores, p->settings.n_agg, agg, sizeof(agg));
	uint32_t shards = p->settings.shards ? p->settings.shards : p->settings.n_agg;

	/* the schema of the aggregate chunk: [keys..., aggs...] */
	struct sl_schema aggs_in = {0};
	if (p->has_agg) {
		aggs_in.ncols = p->nkeys + p->naggs;
		aggs_in.cols = calloc(aggs_in.ncols ? aggs_in.ncols : 1, sizeof(*aggs_in.cols));
		if (aggs_in.cols == NULL)
			return NULL;
		for (uint32_t i = 0; i < p->nkeys; i++)
			aggs_in.cols[i] = p->key_schema.cols[i];
		for (uint32_t i = 0; i < p->naggs; i++) {
			memcpy(aggs_in.cols[p->nkeys + i].name, p->aggs[i].name, SL_NAME_MAX);
			aggs_in.cols[p->nkeys + i].type = p->aggs[i].type;
		}
	}
	const struct sl_schema *out_in = p->has_agg ? &aggs_in : &p->pipeline_out;

	ex_puts(&x, "== Physical Plan ==\n");
	/* sink */
	ex_line(&x);
	ex_puts(&x, "Sink");
	if (p->sink.name[0] != '\0') {
		ex_puts(&x, " ");
		ex_puts(&x, p->sink.name);
	}
	ex_puts(&x, ": ");
	ex_puts(&x, p->sink.connector);
	ex_puts(&x, ", output mode ");
	ex_puts(&x, p->sink.mode == SL_OUTPUT_APPEND   ? "append"
		    : p->sink.mode == SL_OUTPUT_UPDATE ? "update"
						       : "complete");
	switch (p->sink.trigger) {
	case SL_TRIGGER_DEFAULT: ex_puts(&x, ", trigger default (each batch when the last is done)"); break;
	case SL_TRIGGER_AVAILABLE_NOW: ex_puts(&x, ", trigger available now"); break;
	case SL_TRIGGER_ONCE: ex_puts(&x, ", trigger once (what is there, one batch)"); break;
	case SL_TRIGGER_INTERVAL:
		interval_text(p->sink.trigger_interval_us, buf, sizeof(buf));
		ex_puts(&x, ", trigger every ");
		ex_puts(&x, buf);
		break;
	}
	if (strcasecmp(p->sink.connector, "console") == 0) {
		snprintf(buf, sizeof(buf), ", num_rows=%u, truncate=%u", p->sink.num_rows,
			 p->sink.truncate);
		ex_puts(&x, buf);
	}
	for (uint32_t i = 0; i < p->sink.options.n; i++) {
		snprintf(buf, sizeof(buf), ", %s='%s'", p->sink.options.v[i].key,
			 sl_option_is_secret(p->sink.options.v[i].key) ? "*****"
								    : p->sink.options.v[i].value);
		ex_puts(&x, buf);
	}
	ex_where(&x, "control thread");

	if (p->limit >= 0) {
		ex_line(&x);
		snprintf(buf, sizeof(buf), "Limit %" PRId64, p->limit);
		ex_puts(&x, buf);
		ex_where(&x, "control thread");
	}
	if (p->norder > 0) {
		ex_line(&x);
		ex_puts(&x, "Sort [");
		for (uint32_t i = 0; i < p->norder; i++) {
			const struct sl_order_key *k = &p->order[i];
			snprintf(buf, sizeof(buf), "%s%s %s NULLS %s", i ? ", " : "",
				 p->out_schema.cols[k->col].name, k->desc ? "DESC" : "ASC",
				 k->nulls_first ? "FIRST" : "LAST");
			ex_puts(&x, buf);
		}
		ex_puts(&x, "]");
		ex_where(&x, "control thread");
	}
	if (!out_is_identity(p, out_in)) {
		ex_line(&x);
		ex_puts(&x, "Project [");
		for (uint32_t i = 0; i < p->nout; i++) {
			if (i)
				ex_puts(&x, ", ");
			ex_named(&x, p->out[i], out_in, p->out_schema.cols[i].name);
		}
		ex_puts(&x, "]");
		ex_where(&x, p->has_agg ? agg : ingest);
	}
	if (p->having != NULL) {
		ex_line(&x);
		ex_puts(&x, "Filter ");
		ex_expr(&x, p->having, out_in);
		ex_where(&x, agg);
	}
	if (p->has_agg) {
		ex_line(&x);
		ex_puts(&x, "Aggregate keys=[");
		for (uint32_t i = 0; i < p->nkeys; i++) {
			if (i)
				ex_puts(&x, ", ");
			ex_named(&x, p->keys[i], &p->pipeline_out, p->key_schema.cols[i].name);
		}
		ex_puts(&x, "], functions=[");
		for (uint32_t i = 0; i < p->naggs; i++) {
			if (i)
				ex_puts(&x, ", ");
			ex_puts(&x, p->aggs[i].name);
		}
		snprintf(buf, sizeof(buf), "], state: a hash table per shard, %u shard%s", shards,
			 shards == 1 ? "" : "s");
		ex_puts(&x, buf);
		ex_where(&x, agg);

		ex_line(&x);
		if (p->nkeys == 0) {
			ex_puts(&x, "Exchange SinglePartition");
		} else {
			ex_puts(&x, "Exchange hashpartitioning(");
			for (uint32_t i = 0; i < p->nkeys; i++) {
				ex_puts(&x, p->key_schema.cols[i].name);
				ex_puts(&x, ", ");
			}
			snprintf(buf, sizeof(buf), "%u)", shards);
			ex_puts(&x, buf);
		}
		snprintf(buf, sizeof(buf), "%s -> %s", ingest, agg);
		ex_where(&x, buf);

		if (p->settings.combiner && sl_combiner_applies(p)) {
			ex_line(&x);
			ex_puts(&x, "PartialAggregate keys=[");
			for (uint32_t i = 0; i < p->nkeys; i++) {
				if (i)
					ex_puts(&x, ", ");
				ex_named(&x, p->keys[i], &p->pipeline_out, p->key_schema.cols[i].name);
			}
			ex_puts(&x, "], functions=[");
			for (uint32_t i = 0; i < p->naggs; i++) {
				if (i)
					ex_puts(&x, ", ");
				ex_puts(&x, "partial_");
				ex_puts(&x, p->aggs[i].name);
			}
			ex_puts(&x, "]");
			ex_where(&x, ingest);
		}
	}
	if (p->nunions == 0) {
		ex_input(&x, p, &p->input, ingest);
	} else {
		ex_line(&x);
		ex_puts(&x, "Union");
		ex_where(&x, ingest);
		uint32_t depth = x.depth;
		for (uint32_t k = 0; k < sl_plan_ninputs(p); k++) {
			x.depth = depth;
			ex_input(&x, p, sl_plan_input(p, k), ingest);
		}
	}

	free(aggs_in.cols);
	if (x.rc != 0 || x.sb.ptr == NULL) {
		sl_strbuf_free(&x.sb);
		return NULL;
	}
	return x.sb.ptr; /* the strbuf's NUL-terminated memory is the result */
}

int sl_plan_check_runnable(const struct sl_plan *plan, char *err, size_t errlen)
{
	/* record blocks carry arrays of scalars (block.h) and headers, but
	 * aggregate states hold scalars only */
	for (uint32_t j = 0; plan->has_agg && j < plan->naggs; j++)
		if (plan->aggs[j].arg != NULL && !is_scalar(plan->aggs[j].arg->type)) {
			bool arr = plan->aggs[j].arg->type == SL_TYPE_ARRAY;
			snprintf(err, errlen,
				 "line %u, column %u: aggregate '%s' takes %s: sluice cannot "
				 "aggregate %s yet; %s",
				 plan->aggs[j].arg->line, plan->aggs[j].arg->column, plan->aggs[j].name,
				 arr ? "an ARRAY" : "a STRUCT<key: STRING, value: BINARY>",
				 arr ? "arrays" : "structs",
				 arr ? "explode it first" : "aggregate one of its fields (h.key)");
			return -EINVAL;
		}
	return 0;
}
