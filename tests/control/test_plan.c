/*
 * test_plan.c — the planner: the seed query's plan, Spark's implicit casts,
 * output names, aggregation rewriting, ORDER BY / LIMIT, SET, sink and
 * source options, every output-mode rule, semantic errors with their exact
 * "line L, column C: ..." messages, and EXPLAIN text.
 *
 * Connectors here are test fakes registered in the suite's init, so that
 * the planner is tested without the real ones. Trees are freed by the
 * evaluator's sl_expr_free (dataplane/expr.c), whose contract the planner
 * follows: it owns every node, argument array and STRING literal's bytes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "sink.h"
#include "source.h"

/* ------------------------------------------------------------- fixtures */

static int strict_validate(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	if (sl_options_find(&spec->options, "path") == NULL) {
		snprintf(err, errlen, "line %u, column %u: source '%s' needs a path", spec->line,
			 spec->column, spec->name);
		return -EINVAL;
	}
	return 0;
}

static int console_validate(const struct sl_sink_spec *spec, char *err, size_t errlen)
{
	if (spec->options.n > 0) {
		snprintf(err, errlen,
			 "line %u, column %u: unknown option '%s' for the console sink (options: "
			 "num_rows, truncate)",
			 spec->options.v[0].line, spec->options.v[0].column, spec->options.v[0].key);
		return -EINVAL;
	}
	return 0;
}

static const struct sl_source_ops fake_socket = {.name = "socket"};
static const struct sl_source_ops fake_strict = {.name = "strict", .validate = strict_validate};
static const struct sl_sink_ops fake_console = {.name = "console",
						.supports_append = true,
						.supports_update = true,
						.supports_complete = true,
						.validate = console_validate};
static const struct sl_sink_ops fake_file = {.name = "file", .supports_append = true};

static void register_fakes(void)
{
	sl_source_register(&fake_socket);
	sl_source_register(&fake_strict);
	sl_sink_register(&fake_console);
	sl_sink_register(&fake_file);
}

TestSuite(plan, .init = register_fakes);

static struct sl_settings two_cpus(void)
{
	struct sl_settings s;
	sl_settings_default(&s, 2);
	return s;
}

static struct sl_program *compile_ok(const char *text)
{
	struct sl_settings s = two_cpus();
	struct sl_program *p = NULL;
	char err[1024] = "";
	int rc = sl_sql_compile(text, &s, &p, err, sizeof(err));
	cr_assert_eq(rc, 0, "compile failed: %s\n%s", err, text);
	cr_assert(p != NULL);
	return p;
}

static void compile_err(const char *text, const char *want, const char *what)
{
	struct sl_settings s = two_cpus();
	struct sl_program *p = (struct sl_program *)1;
	char err[1024] = "";
	int rc = sl_sql_compile(text, &s, &p, err, sizeof(err));
	cr_expect_eq(rc, -EINVAL, "%s: expected an error\n%s", what, text);
	cr_expect(p == NULL, "%s: no program on error", what);
	cr_expect_str_eq(err, want, "%s\n%s\n got: %s\nwant: %s", what, text, err, want);
}

/* A typed tree as a compact string: #i columns, typed literals, fn(args). */
static const char *fn_name(enum sl_fn f)
{
	static const char *const names[SL_FN__COUNT] = {
		[SL_FN_AND] = "and",       [SL_FN_OR] = "or",         [SL_FN_NOT] = "not",
		[SL_FN_EQ] = "eq",         [SL_FN_NE] = "ne",         [SL_FN_LT] = "lt",
		[SL_FN_LE] = "le",         [SL_FN_GT] = "gt",         [SL_FN_GE] = "ge",
		[SL_FN_IS_NULL] = "is_null", [SL_FN_IS_NOT_NULL] = "is_not_null",
		[SL_FN_ADD] = "add",       [SL_FN_SUB] = "sub",       [SL_FN_MUL] = "mul",
		[SL_FN_DIV] = "div",       [SL_FN_MOD] = "mod",       [SL_FN_NEG] = "neg",
		[SL_FN_LIKE] = "like",     [SL_FN_RLIKE] = "rlike",   [SL_FN_LOWER] = "lower",
		[SL_FN_UPPER] = "upper",   [SL_FN_LENGTH] = "length", [SL_FN_SUBSTR] = "substr",
		[SL_FN_CONCAT] = "concat", [SL_FN_TRIM] = "trim",     [SL_FN_SPLIT] = "split",
		[SL_FN_SIZE] = "size",     [SL_FN_CAST] = "cast",     [SL_FN_COALESCE] = "coalesce",
		[SL_FN_IF] = "if",
	};
	return names[f];
}

static void dump_into(const struct sl_expr *e, char *buf, size_t len, size_t *used)
{
#define PUT(...)                                                                                   \
	do {                                                                                       \
		int n_ = snprintf(buf + *used, len - *used, __VA_ARGS__);                           \
		if (n_ > 0)                                                                        \
			*used += (size_t)n_ < len - *used ? (size_t)n_ : len - *used - 1;             \
	} while (0)
	switch (e->kind) {
	case SL_EXPR_COLUMN: PUT("#%u", e->col); return;
	case SL_EXPR_LITERAL:
		if (e->lit.is_null) {
			PUT("null:%s", sl_type_name(e->type));
			return;
		}
		switch (e->lit.type) {
		case SL_TYPE_INT: PUT("%lldi", (long long)e->lit.v.i64); return;
		case SL_TYPE_BIGINT: PUT("%lldL", (long long)e->lit.v.i64); return;
		case SL_TYPE_DOUBLE: PUT("%gd", e->lit.v.f64); return;
		case SL_TYPE_BOOLEAN: PUT("%s", e->lit.v.b ? "true" : "false"); return;
		case SL_TYPE_STRING: PUT("'%.*s'", (int)e->lit.v.str.len, e->lit.v.str.ptr); return;
		case SL_TYPE_BINARY:
			PUT("X'");
			for (uint32_t i = 0; i < e->lit.v.str.len; i++)
				PUT("%02X", (unsigned)(uint8_t)e->lit.v.str.ptr[i]);
			PUT("'");
			return;
		default: PUT("?lit"); return;
		}
	case SL_EXPR_CALL:
		if (e->fn == SL_FN_CAST)
			PUT("cast<%s>(", sl_type_name(e->type));
		else
			PUT("%s(", fn_name(e->fn));
		for (uint32_t i = 0; i < e->nargs; i++) {
			if (i)
				PUT(",");
			dump_into(e->args[i], buf, len, used);
		}
		PUT(")");
		return;
	}
#undef PUT
}

static const char *dump(const struct sl_expr *e, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	dump_into(e, buf, len, &used);
	return buf;
}

/* Every check that the evaluator relies on, over the whole tree. */
static void check_typed(const struct sl_expr *e)
{
	cr_assert(e->type != SL_TYPE__COUNT);
	for (uint32_t i = 0; i < e->nargs; i++)
		check_typed(e->args[i]);
	if (e->kind != SL_EXPR_CALL)
		return;
	switch (e->fn) {
	case SL_FN_EQ:
	case SL_FN_NE:
	case SL_FN_LT:
	case SL_FN_LE:
	case SL_FN_GT:
	case SL_FN_GE:
		cr_expect_eq(e->args[0]->type, e->args[1]->type, "comparison args share a type");
		cr_expect_eq(e->type, SL_TYPE_BOOLEAN);
		break;
	case SL_FN_ADD:
	case SL_FN_SUB:
	case SL_FN_MUL:
	case SL_FN_MOD:
		cr_expect_eq(e->args[0]->type, e->type);
		cr_expect_eq(e->args[1]->type, e->type);
		break;
	case SL_FN_DIV:
		cr_expect_eq(e->type, SL_TYPE_DOUBLE);
		cr_expect_eq(e->args[0]->type, SL_TYPE_DOUBLE);
		cr_expect_eq(e->args[1]->type, SL_TYPE_DOUBLE);
		break;
	case SL_FN_AND:
	case SL_FN_OR:
	case SL_FN_NOT:
	case SL_FN_IF:
		cr_expect_eq(e->args[0]->type, SL_TYPE_BOOLEAN);
		break;
	case SL_FN_LOWER:
	case SL_FN_UPPER:
	case SL_FN_TRIM:
	case SL_FN_LIKE:
	case SL_FN_RLIKE:
	case SL_FN_SPLIT:
		cr_expect_eq(e->args[0]->type, SL_TYPE_STRING);
		break;
	case SL_FN_LENGTH:
		cr_expect(sl_type_is_bytes(e->args[0]->type), "length takes STRING or BINARY");
		break;
	case SL_FN_CONCAT:
		for (uint32_t i = 0; i < e->nargs; i++)
			cr_expect_eq(e->args[i]->type, e->type, "concat's args are its type");
		cr_expect(sl_type_is_bytes(e->type));
		break;
	case SL_FN_SUBSTR:
		cr_expect_eq(e->args[0]->type, e->type, "substr keeps STRING or BINARY");
		cr_expect(sl_type_is_bytes(e->type));
		break;
	default: break;
	}
}

/* The schema's column names joined by '|'. */
static const char *names_of(const struct sl_schema *s, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < s->ncols; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? "|" : "", s->cols[i].name);
		used += (size_t)n;
	}
	return buf;
}

#define LINES "CREATE SOURCE lines (value STRING) WITH (connector = 'socket', host = 'localhost', port = 9994);\n"
#define NUMS "CREATE SOURCE nums (i INT, l BIGINT, d DOUBLE, s STRING, b BOOLEAN, ts TIMESTAMP) WITH (connector = 'socket', port = 1);\n"
#define WORDS "(SELECT explode(split(value, ' ')) AS word FROM lines)"

static const char seed_sql[] =
	"CREATE SOURCE lines (value STRING)\n"
	"  WITH (connector = 'socket', host = 'localhost', port = 9994);\n"
	"\n"
	"CREATE SINK word_counts\n"
	"  WITH (connector = 'console', output_mode = 'complete', trigger = '1 second')\n"
	"AS SELECT word, count(*) AS count\n"
	"   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)\n"
	"   GROUP BY word;\n";

/* ------------------------------------------------------------ the seed */

Test(plan, seed_word_count)
{
	char b[512];
	struct sl_program *prog = compile_ok(seed_sql);
	cr_assert_eq(prog->nplans, 1);
	cr_expect_eq(prog->nexplains, 0);
	const struct sl_plan *p = prog->plans[0];

	cr_expect_str_eq(p->source.name, "lines");
	cr_expect_str_eq(p->source.connector, "socket");
	cr_assert_eq(p->source.schema.ncols, 1);
	cr_expect_str_eq(p->source.schema.cols[0].name, "value");
	cr_expect_eq(p->source.schema.cols[0].type, SL_TYPE_STRING);
	cr_assert_eq(p->source.options.n, 2, "connector is not passed on");
	cr_expect_str_eq(p->source.options.v[0].key, "host");
	cr_expect_str_eq(p->source.options.v[0].value, "localhost");
	cr_expect_str_eq(p->source.options.v[1].key, "port");
	cr_expect_str_eq(p->source.options.v[1].value, "9994");
	cr_expect_eq(p->source.options.v[1].line, 2);
	cr_expect_eq(p->source.line, 1);

	cr_assert_eq(p->nops, 2);
	cr_expect_eq(p->ops[0].kind, SL_OP_EXPLODE);
	cr_expect_str_eq(dump(p->ops[0].gen, b, sizeof(b)), "split(#0,' ')");
	cr_expect_eq(p->ops[0].gen->type, SL_TYPE_ARRAY);
	cr_expect_eq(p->ops[0].gen->elem_type, SL_TYPE_STRING);
	cr_expect_str_eq(names_of(&p->ops[0].out, b, sizeof(b)), "value|word");
	cr_expect_eq(p->ops[0].out.cols[1].type, SL_TYPE_STRING);
	cr_expect_eq(p->ops[1].kind, SL_OP_PROJECT);
	cr_assert_eq(p->ops[1].nexprs, 1);
	cr_expect_str_eq(dump(p->ops[1].exprs[0], b, sizeof(b)), "#1");
	cr_expect_str_eq(names_of(&p->ops[1].out, b, sizeof(b)), "word");
	cr_expect_str_eq(names_of(&p->pipeline_out, b, sizeof(b)), "word");

	cr_expect(p->has_agg);
	cr_assert_eq(p->nkeys, 1);
	cr_expect_str_eq(dump(p->keys[0], b, sizeof(b)), "#0");
	cr_expect_str_eq(names_of(&p->key_schema, b, sizeof(b)), "word");
	cr_expect_eq(p->key_schema.cols[0].type, SL_TYPE_STRING);
	cr_assert_eq(p->naggs, 1);
	cr_expect_eq(p->aggs[0].fn, SL_AGG_COUNT_STAR);
	cr_expect(p->aggs[0].arg == NULL);
	cr_expect_eq(p->aggs[0].type, SL_TYPE_BIGINT);
	cr_expect_str_eq(p->aggs[0].name, "count(1)");
	cr_expect(p->having == NULL);
	cr_assert_eq(p->nout, 2);
	cr_expect_str_eq(dump(p->out[0], b, sizeof(b)), "#0");
	cr_expect_str_eq(dump(p->out[1], b, sizeof(b)), "#1");
	cr_expect_str_eq(names_of(&p->out_schema, b, sizeof(b)), "word|count");
	cr_expect_eq(p->out_schema.cols[0].type, SL_TYPE_STRING);
	cr_expect_eq(p->out_schema.cols[1].type, SL_TYPE_BIGINT);
	cr_expect_eq(p->norder, 0);
	cr_expect_eq(p->limit, -1);

	cr_expect_str_eq(p->sink.name, "word_counts");
	cr_expect_str_eq(p->sink.connector, "console");
	cr_expect_eq(p->sink.mode, SL_OUTPUT_COMPLETE);
	cr_expect_eq(p->sink.trigger, SL_TRIGGER_INTERVAL);
	cr_expect_eq(p->sink.trigger_interval_us, 1000000);
	cr_expect_eq(p->sink.num_rows, 20);
	cr_expect_eq(p->sink.truncate, 20);
	cr_expect_eq(p->sink.options.n, 0, "generic keys are not passed to the connector");
	cr_expect_eq(p->sink.line, 4);

	cr_expect_eq(p->settings.n_ingest, 1);
	cr_expect_eq(p->settings.ingest_cores[0], 0);
	cr_expect_eq(p->settings.n_agg, 1);
	cr_expect_eq(p->settings.agg_cores[0], 1);
	cr_expect_eq(p->settings.shards, 1, "shards 0 resolves to the number of agg cores");
	cr_expect_str_eq(p->text, seed_sql);
	sl_program_free(prog);
}

static const char seed_explain[] =
	"== Physical Plan ==\n"
	"Sink word_counts: console, output mode complete, trigger every 1 second, num_rows=20, "
	"truncate=20  [control thread]\n"
	"+- Project [word, count(1) AS count]  [agg core 1]\n"
	"   +- Aggregate keys=[word], functions=[count(1)], state: a hash table per shard, 1 shard  "
	"[agg core 1]\n"
	"      +- Exchange hashpartitioning(word, 1)  [ingest core 0 -> agg core 1]\n"
	"         +- PartialAggregate keys=[word], functions=[partial_count(1)]  [ingest core 0]\n"
	"            +- Project [word]  [ingest core 0]\n"
	"               +- Explode explode(split(value,  , -1)) AS word  [ingest core 0]\n"
	"                  +- Source lines: socket, host='localhost', port='9994', schema=(value "
	"STRING)  [ingest core 0]\n";

Test(plan, seed_explain_text)
{
	struct sl_program *prog = compile_ok(seed_sql);
	char *text = sl_plan_explain(prog->plans[0]);
	cr_assert(text != NULL);
	cr_expect_str_eq(text, seed_explain);
	free(text);
	sl_program_free(prog);
}

Test(plan, zero_interval_trigger_is_the_default_trigger_as_spark)
{
	struct sl_program *prog = compile_ok(
		LINES "CREATE SINK o WITH (connector = 'console', trigger = '0 seconds') AS SELECT value "
		      "FROM lines;");
	cr_expect_eq(prog->plans[0]->sink.trigger, SL_TRIGGER_DEFAULT);
	sl_program_free(prog);
}

Test(plan, set_combiner_false_ships_rows_and_explain_says_so)
{
	char sql[2048];
	snprintf(sql, sizeof(sql), "SET combiner = false;\n%s", seed_sql);
	struct sl_program *prog = compile_ok(sql);
	cr_expect_not(prog->plans[0]->settings.combiner);
	char *text = sl_plan_explain(prog->plans[0]);
	cr_assert(text != NULL);
	cr_expect_null(strstr(text, "PartialAggregate"));
	free(text);
	sl_program_free(prog);
}

Test(plan, explain_statement_gives_text_not_a_plan)
{
	char sql[2048];
	/* the same sink under EXPLAIN: text, no plan, and the sink name stays
	 * free for a real CREATE SINK */
	snprintf(sql, sizeof(sql), "%sEXPLAIN %s%s", LINES, strstr(seed_sql, "CREATE SINK"),
		 strstr(seed_sql, "CREATE SINK"));
	struct sl_program *prog = compile_ok(sql);
	cr_expect_eq(prog->nplans, 1);
	cr_assert_eq(prog->nexplains, 1);
	cr_expect_str_eq(prog->explains[0], seed_explain);
	sl_program_free(prog);
}

Test(plan, explain_with_settings_cores_and_shards)
{
	struct sl_program *prog = compile_ok(
		"SET ingest_cores = '0-1'; SET agg_cores = 2,4; SET shards = 8;\n" LINES
		"EXPLAIN CREATE SINK top WITH (connector = 'console', output_mode = 'complete', "
		"trigger = 'available_now', num_rows = 5, truncate = false)\n"
		"AS SELECT upper(word) AS w, count(*) AS n, sum(length(word)) FROM " WORDS "\n"
		"WHERE word <> '' GROUP BY upper(word) HAVING n > 1 ORDER BY n DESC LIMIT 3;\n"
		"EXPLAIN SELECT value, length(value) / 2 AS half FROM lines WHERE value LIKE 'a%' "
		"LIMIT 4;\n"
		"EXPLAIN SELECT count(*) FROM lines;");
	cr_assert_eq(prog->nexplains, 3);
	cr_expect_str_eq(
		prog->explains[0],
		"== Physical Plan ==\n"
		"Sink top: console, output mode complete, trigger available now, num_rows=5, truncate=0  "
		"[control thread]\n"
		"+- Limit 3  [control thread]\n"
		"   +- Sort [n DESC NULLS LAST]  [control thread]\n"
		"      +- Project [upper(word) AS w, count(1) AS n, sum(length(word))]  [agg cores 2,4]\n"
		"         +- Filter (count(1) > 1)  [agg cores 2,4]\n"
		"            +- Aggregate keys=[upper(word)], functions=[count(1), sum(length(word))], "
		"state: a hash table per shard, 8 shards  [agg cores 2,4]\n"
		"               +- Exchange hashpartitioning(upper(word), 8)  [ingest cores 0-1 -> agg "
		"cores 2,4]\n"
		"                  +- PartialAggregate keys=[upper(word)], functions=[partial_count(1), "
		"partial_sum(length(word))]  [ingest cores 0-1]\n"
		"                     +- Filter (NOT (word = ))  [ingest cores 0-1]\n"
		"                        +- Project [word]  [ingest cores 0-1]\n"
		"                           +- Explode explode(split(value,  , -1)) AS word  [ingest cores "
		"0-1]\n"
		"                              +- Source lines: socket, host='localhost', port='9994', "
		"schema=(value STRING)  [ingest cores 0-1]\n");
	cr_expect_str_eq(prog->explains[1],
			 "== Physical Plan ==\n"
			 "Sink: console, output mode append, trigger default (each batch when the "
			 "last is done), num_rows=20, truncate=20  [control thread]\n"
			 "+- Limit 4  [control thread]\n"
			 "   +- Project [value, (CAST(length(value) AS DOUBLE) / 2.0) AS half]  "
			 "[ingest cores 0-1]\n"
			 "      +- Filter value LIKE a%  [ingest cores 0-1]\n"
			 "         +- Source lines: socket, host='localhost', port='9994', "
			 "schema=(value STRING)  [ingest cores 0-1]\n");
	cr_expect_str_eq(prog->explains[2],
			 "== Physical Plan ==\n"
			 "Sink: console, output mode append, trigger default (each batch when the "
			 "last is done), num_rows=20, truncate=20  [control thread]\n"
			 "+- Aggregate keys=[], functions=[count(1)], state: a hash table per shard, "
			 "8 shards  [agg cores 2,4]\n"
			 "   +- Exchange SinglePartition  [ingest cores 0-1 -> agg cores 2,4]\n"
			 "      +- PartialAggregate keys=[], functions=[partial_count(1)]  [ingest cores "
			 "0-1]\n"
			 "         +- Source lines: socket, host='localhost', port='9994', schema=(value "
			 "STRING)  [ingest cores 0-1]\n");
	sl_program_free(prog);
}

/* --------------------------------------------------------- output names */

struct names_case {
	const char *sink_and_query; /* after the sources */
	const char *names;
};

static const struct names_case names_cases[] = {
	{"CREATE SINK o WITH (connector = 'console') AS SELECT value, lower(value), length(value) + 1, "
	 "value AS v, split(value, ' '), CAST(value AS INT) FROM lines",
	 "value|lower(value)|(length(value) + 1)|v|split(value,  , -1)|CAST(value AS INT)"},
	{"CREATE SINK o WITH (connector = 'console') AS SELECT VALUE, lines.value FROM lines",
	 "value|value"},
	{"CREATE SINK o WITH (connector = 'console') AS SELECT t.Value FROM lines AS t", "value"},
	{"CREATE SINK o WITH (connector = 'console') AS SELECT explode(split(value, ' ')) FROM lines",
	 "col"},
	{"CREATE SINK o WITH (connector = 'console') AS SELECT value, explode(split(value, ' ')) AS w "
	 "FROM lines",
	 "value|w"},
	{"CREATE SINK o WITH (connector = 'console') AS SELECT *, upper(value) FROM lines",
	 "value|upper(value)"},
	{"CREATE SINK o WITH (connector = 'console') AS SELECT 1 + 2, 'a', true, NULL, -i, i % 2 FROM "
	 "nums",
	 "(1 + 2)|a|true|NULL|(- i)|(i % 2)"},
	{"CREATE SINK o WITH (connector = 'console') AS SELECT s LIKE 'a%', s IS NULL, "
	 "if(b, 1, 2), coalesce(s, 'x'), i BETWEEN 1 AND 2, s || 'x' FROM nums",
	 "s LIKE a%|(s IS NULL)|(IF(b, 1, 2))|coalesce(s, x)|((i >= 1) AND (i <= 2))|concat(s, x)"},
	{"CREATE SINK o WITH (connector = 'console', output_mode = 'update') AS SELECT word, count(*), "
	 "count(1), count(word), sum(length(word)), avg(length(word)), mean(length(word)), "
	 "min(word), max(word) FROM " WORDS " GROUP BY word",
	 "word|count(1)|count(1)|count(word)|sum(length(word))|avg(length(word))|mean(length(word))|"
	 "min(word)|max(word)"},
	{"CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS SELECT count(*) AS "
	 "n, sum(l) / count(*) FROM nums",
	 "n|(sum(l) / count(1))"},
	{"CREATE SINK o WITH (connector = 'console') AS SELECT w FROM lines LATERAL VIEW "
	 "explode(split(value, ' ')) t AS w",
	 "w"},
	{"CREATE SINK o WITH (connector = 'console') AS SELECT * FROM lines LATERAL VIEW "
	 "explode(split(value, ' ')) t",
	 "value|col"},
	{"CREATE SINK o WITH (connector = 'console') AS SELECT CASE WHEN i > 0 THEN 'p' ELSE 'n' END, "
	 "substr(s, 2), upper(s) u FROM nums",
	 "CASE WHEN (i > 0) THEN p ELSE n END|substr(s, 2, 2147483647)|u"},
};

Test(plan, output_names_follow_spark)
{
	for (size_t i = 0; i < sizeof(names_cases) / sizeof(names_cases[0]); i++) {
		char sql[2048], b[1024];
		snprintf(sql, sizeof(sql), LINES NUMS "%s;", names_cases[i].sink_and_query);
		struct sl_program *prog = compile_ok(sql);
		cr_assert_eq(prog->nplans, 1);
		const struct sl_plan *p = prog->plans[0];
		cr_expect_str_eq(names_of(&p->out_schema, b, sizeof(b)), names_cases[i].names,
				 "case %zu", i);
		cr_expect_eq(p->nout, p->out_schema.ncols);
		for (uint32_t k = 0; k < p->nout; k++) {
			check_typed(p->out[k]);
			cr_expect_eq(p->out[k]->type, p->out_schema.cols[k].type, "case %zu col %u", i, k);
		}
		sl_program_free(prog);
	}
}

/* -------------------------------------------------------- implicit casts */

struct cast_case {
	const char *expr;
	const char *tree;
	enum sl_type type;
};

static const struct cast_case cast_cases[] = {
	{"i + l", "add(cast<BIGINT>(#0),#1)", SL_TYPE_BIGINT},
	{"i + d", "add(cast<DOUBLE>(#0),#2)", SL_TYPE_DOUBLE},
	{"i + 1", "add(#0,1i)", SL_TYPE_INT},
	{"l - 1", "sub(#1,1L)", SL_TYPE_BIGINT},
	{"1.5 * i", "mul(1.5d,cast<DOUBLE>(#0))", SL_TYPE_DOUBLE},
	{"d = 1", "eq(#2,1d)", SL_TYPE_BOOLEAN},
	{"i / 2", "div(cast<DOUBLE>(#0),2d)", SL_TYPE_DOUBLE},
	{"d / d", "div(#2,#2)", SL_TYPE_DOUBLE},
	{"i % 2", "mod(#0,2i)", SL_TYPE_INT},
	{"l % i", "mod(#1,cast<BIGINT>(#0))", SL_TYPE_BIGINT},
	{"s + 1", "add(cast<DOUBLE>(#3),1d)", SL_TYPE_DOUBLE},
	{"i + NULL", "add(#0,null:INT)", SL_TYPE_INT},
	{"-i", "neg(#0)", SL_TYPE_INT},
	{"-s", "neg(cast<DOUBLE>(#3))", SL_TYPE_DOUBLE},
	{"s = 1", "eq(cast<INT>(#3),1i)", SL_TYPE_BOOLEAN},
	{"s = l", "eq(cast<BIGINT>(#3),#1)", SL_TYPE_BOOLEAN},
	{"s < d", "lt(cast<DOUBLE>(#3),#2)", SL_TYPE_BOOLEAN},
	{"s = b", "eq(cast<BOOLEAN>(#3),#4)", SL_TYPE_BOOLEAN},
	{"ts > '2024-01-01'", "gt(#5,cast<TIMESTAMP>('2024-01-01'))", SL_TYPE_BOOLEAN},
	{"i = 1.5", "eq(cast<DOUBLE>(#0),1.5d)", SL_TYPE_BOOLEAN},
	{"i <= l", "le(cast<BIGINT>(#0),#1)", SL_TYPE_BOOLEAN},
	{"i = NULL", "eq(#0,null:INT)", SL_TYPE_BOOLEAN},
	{"s <> 'a'", "ne(#3,'a')", SL_TYPE_BOOLEAN},
	{"s != 'a'", "ne(#3,'a')", SL_TYPE_BOOLEAN},
	{"s == 'a'", "eq(#3,'a')", SL_TYPE_BOOLEAN},
	{"lower(i)", "lower(cast<STRING>(#0))", SL_TYPE_STRING},
	{"lcase(s)", "lower(#3)", SL_TYPE_STRING},
	{"ucase(s)", "upper(#3)", SL_TYPE_STRING},
	{"trim(s)", "trim(#3)", SL_TYPE_STRING},
	{"length(d)", "length(cast<STRING>(#2))", SL_TYPE_INT},
	{"char_length(s) + character_length(s)", "add(length(#3),length(#3))", SL_TYPE_INT},
	{"concat(s, i, 'x')", "concat(#3,cast<STRING>(#0),'x')", SL_TYPE_STRING},
	{"s || 1", "concat(#3,'1')", SL_TYPE_STRING},
	{"s || 1.5D", "concat(#3,'1.5')", SL_TYPE_STRING},
	{"concat(b, NULL)", "concat(cast<STRING>(#4),null:STRING)", SL_TYPE_STRING},
	{"substr(s, l, 2)", "substr(#3,cast<INT>(#1),2i)", SL_TYPE_STRING},
	{"substring(s, '2')", "substr(#3,cast<INT>('2'))", SL_TYPE_STRING},
	{"substr(s, 1.5)", "substr(#3,cast<INT>(1.5d))", SL_TYPE_STRING},
	{"split(s, ',')", "split(#3,',')", SL_TYPE_ARRAY},
	{"split(i, ',', 2L)", "split(cast<STRING>(#0),',',cast<INT>(2L))", SL_TYPE_ARRAY},
	{"size(split(s, ','))", "size(split(#3,','))", SL_TYPE_INT},
	{"size(NULL)", "size(null:ARRAY)", SL_TYPE_INT},
	{"coalesce(i, l, NULL)", "coalesce(cast<BIGINT>(#0),#1,null:BIGINT)", SL_TYPE_BIGINT},
	{"coalesce(i, s)", "coalesce(cast<STRING>(#0),#3)", SL_TYPE_STRING},
	{"coalesce(s)", "coalesce(#3)", SL_TYPE_STRING},
	{"if(b, i, d)", "if(#4,cast<DOUBLE>(#0),#2)", SL_TYPE_DOUBLE},
	{"if(NULL, 1, 2)", "if(null:BOOLEAN,1i,2i)", SL_TYPE_INT},
	{"if(b, 'x', NULL)", "if(#4,'x',null:STRING)", SL_TYPE_STRING},
	{"CASE WHEN b THEN 'x' WHEN i > 1 THEN 'y' END", "if(#4,'x',if(gt(#0,1i),'y',null:STRING))",
	 SL_TYPE_STRING},
	{"CASE i WHEN 1 THEN d ELSE 0 END", "if(eq(#0,1i),#2,0d)", SL_TYPE_DOUBLE},
	{"s LIKE 'a%'", "like(#3,'a%')", SL_TYPE_BOOLEAN},
	{"i LIKE '1%'", "like(cast<STRING>(#0),'1%')", SL_TYPE_BOOLEAN},
	{"s NOT LIKE 'a\\_b'", "not(like(#3,'a\\_b'))", SL_TYPE_BOOLEAN},
	{"s RLIKE '^x+'", "rlike(#3,'^x+')", SL_TYPE_BOOLEAN},
	{"s NOT REGEXP 'x'", "not(rlike(#3,'x'))", SL_TYPE_BOOLEAN},
	{"i BETWEEN 1 AND l", "and(ge(#0,1i),le(cast<BIGINT>(#0),#1))", SL_TYPE_BOOLEAN},
	{"i NOT BETWEEN 1 AND 2", "not(and(ge(#0,1i),le(#0,2i)))", SL_TYPE_BOOLEAN},
	{"i IN (1, 2L)", "or(eq(cast<BIGINT>(#0),1L),eq(cast<BIGINT>(#0),2L))", SL_TYPE_BOOLEAN},
	{"s IN ('a', 1)", "or(eq(#3,'a'),eq(#3,'1'))", SL_TYPE_BOOLEAN},
	{"i NOT IN (3)", "not(eq(#0,3i))", SL_TYPE_BOOLEAN},
	{"s IS NULL", "is_null(#3)", SL_TYPE_BOOLEAN},
	{"split(s, ' ') IS NOT NULL", "is_not_null(split(#3,' '))", SL_TYPE_BOOLEAN},
	{"NOT b AND i > 0 OR s <> 'a'", "or(and(not(#4),gt(#0,0i)),ne(#3,'a'))", SL_TYPE_BOOLEAN},
	{"b AND NULL", "and(#4,null:BOOLEAN)", SL_TYPE_BOOLEAN},
	{"CAST(s AS INT)", "cast<INT>(#3)", SL_TYPE_INT},
	{"CAST(i AS INT)", "#0", SL_TYPE_INT},
	{"CAST(1 AS STRING)", "'1'", SL_TYPE_STRING},
	{"CAST(true AS STRING)", "'true'", SL_TYPE_STRING},
	{"CAST(d AS TIMESTAMP)", "cast<TIMESTAMP>(#2)", SL_TYPE_TIMESTAMP},
	{"CAST(NULL AS DOUBLE)", "null:DOUBLE", SL_TYPE_DOUBLE},
	{"CAST('1' AS LONG)", "cast<BIGINT>('1')", SL_TYPE_BIGINT},
	{"2147483648 + i", "add(2147483648L,cast<BIGINT>(#0))", SL_TYPE_BIGINT},
	{"NULL = NULL", "eq(null:STRING,null:STRING)", SL_TYPE_BOOLEAN},
	{"coalesce(NULL, NULL) + 1", "add(null:INT,1i)", SL_TYPE_INT},
	{"NULL + NULL", "add(null:DOUBLE,null:DOUBLE)", SL_TYPE_DOUBLE},
};

Test(plan, implicit_casts_as_spark)
{
	for (size_t i = 0; i < sizeof(cast_cases) / sizeof(cast_cases[0]); i++) {
		char sql[1024], b[512];
		snprintf(sql, sizeof(sql),
			 NUMS "CREATE SINK o WITH (connector = 'console') AS SELECT %s FROM nums;",
			 cast_cases[i].expr);
		struct sl_program *prog = compile_ok(sql);
		const struct sl_plan *p = prog->plans[0];
		cr_assert_eq(p->nout, 1);
		check_typed(p->out[0]);
		cr_expect_str_eq(dump(p->out[0], b, sizeof(b)), cast_cases[i].tree, "case %zu: %s", i,
				 cast_cases[i].expr);
		cr_expect_eq(p->out[0]->type, cast_cases[i].type, "case %zu: %s", i, cast_cases[i].expr);
		cr_expect_eq(p->nops, 0, "a top-level select list is plan.out, not an op");
		sl_program_free(prog);
	}
}

/* --------------------------------------------------------- aggregation */

Test(plan, group_by_alias_ordinal_and_expression)
{
	static const char *const groups[] = {"lower(value)", "w", "1"};
	for (size_t i = 0; i < 3; i++) {
		char sql[1024], b[512];
		snprintf(sql, sizeof(sql),
			 LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'update') AS "
			       "SELECT lower(value) AS w, upper(lower(value)), count(*) FROM lines "
			       "GROUP BY %s;",
			 groups[i]);
		struct sl_program *prog = compile_ok(sql);
		const struct sl_plan *p = prog->plans[0];
		cr_assert_eq(p->nkeys, 1, "group %s", groups[i]);
		cr_expect_str_eq(dump(p->keys[0], b, sizeof(b)), "lower(#0)");
		cr_assert_eq(p->nout, 3);
		cr_expect_str_eq(dump(p->out[0], b, sizeof(b)), "#0", "the key is reused");
		cr_expect_str_eq(dump(p->out[1], b, sizeof(b)), "upper(#0)");
		cr_expect_str_eq(dump(p->out[2], b, sizeof(b)), "#1");
		cr_expect_str_eq(names_of(&p->out_schema, b, sizeof(b)),
				 "w|upper(lower(value))|count(1)");
		sl_program_free(prog);
	}
}

Test(plan, aggregates_types_dedupe_and_having)
{
	char b[512];
	struct sl_program *prog = compile_ok(
		NUMS "CREATE SINK o WITH (connector = 'console', output_mode = 'update') AS\n"
		     "SELECT s, count(*) AS n, count(1), sum(i), sum(d), sum(s), avg(i), min(s), max(ts), "
		     "count(l)\n"
		     "FROM nums GROUP BY s, s HAVING n > 1 AND max(l) < 10;");
	const struct sl_plan *p = prog->plans[0];
	cr_expect_eq(p->nkeys, 1, "a repeated key is one key");
	static const struct {
		enum sl_agg_fn fn;
		enum sl_type type;
		const char *arg;
		const char *name;
	} want[] = {
		{SL_AGG_COUNT_STAR, SL_TYPE_BIGINT, NULL, "count(1)"},
		{SL_AGG_SUM, SL_TYPE_BIGINT, "#0", "sum(i)"},
		{SL_AGG_SUM, SL_TYPE_DOUBLE, "#2", "sum(d)"},
		{SL_AGG_SUM, SL_TYPE_DOUBLE, "cast<DOUBLE>(#3)", "sum(s)"},
		{SL_AGG_AVG, SL_TYPE_DOUBLE, "#0", "avg(i)"},
		{SL_AGG_MIN, SL_TYPE_STRING, "#3", "min(s)"},
		{SL_AGG_MAX, SL_TYPE_TIMESTAMP, "#5", "max(ts)"},
		{SL_AGG_COUNT, SL_TYPE_BIGINT, "#1", "count(l)"},
		{SL_AGG_MAX, SL_TYPE_BIGINT, "#1", "max(l)"},
	};
	cr_assert_eq(p->naggs, sizeof(want) / sizeof(want[0]), "count(*) and count(1) are one");
	for (uint32_t i = 0; i < p->naggs; i++) {
		cr_expect_eq(p->aggs[i].fn, want[i].fn, "agg %u", i);
		cr_expect_eq(p->aggs[i].type, want[i].type, "agg %u", i);
		cr_expect_str_eq(p->aggs[i].name, want[i].name, "agg %u", i);
		if (want[i].arg == NULL)
			cr_expect(p->aggs[i].arg == NULL);
		else
			cr_expect_str_eq(dump(p->aggs[i].arg, b, sizeof(b)), want[i].arg, "agg %u", i);
	}
	cr_assert_eq(p->nout, 10);
	cr_expect_str_eq(dump(p->out[1], b, sizeof(b)), "#1");
	cr_expect_str_eq(dump(p->out[2], b, sizeof(b)), "#1");
	cr_expect_str_eq(dump(p->out[9], b, sizeof(b)), "#8");
	/* HAVING's n is the select alias; max(l) is computed only for HAVING */
	cr_expect_str_eq(dump(p->having, b, sizeof(b)), "and(gt(#1,1L),lt(#9,10L))");
	sl_program_free(prog);
}

Test(plan, global_aggregate_has_no_keys)
{
	struct sl_program *prog = compile_ok(
		LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS "
		      "SELECT count(*), max(length(value)) + 1 FROM lines;");
	const struct sl_plan *p = prog->plans[0];
	char b[256];
	cr_expect(p->has_agg);
	cr_expect_eq(p->nkeys, 0);
	cr_expect_eq(p->naggs, 2);
	cr_expect_str_eq(dump(p->out[1], b, sizeof(b)), "add(#1,1i)");
	sl_program_free(prog);
}

Test(plan, query_over_an_aggregated_derived_table_is_composed)
{
	char b[512];
	struct sl_program *prog = compile_ok(
		LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'update') AS\n"
		      "SELECT word, n * 2 AS n2 FROM (SELECT word, count(*) AS n FROM " WORDS
		      " GROUP BY word HAVING count(*) > 0) c WHERE c.n > 1;");
	const struct sl_plan *p = prog->plans[0];
	cr_expect(p->has_agg);
	cr_expect_eq(p->nops, 2);
	cr_assert_eq(p->nout, 2);
	cr_expect_str_eq(dump(p->out[0], b, sizeof(b)), "#0");
	cr_expect_str_eq(dump(p->out[1], b, sizeof(b)), "mul(#1,2L)");
	cr_expect_str_eq(dump(p->having, b, sizeof(b)), "and(gt(#1,0L),gt(#1,1L))");
	cr_expect_str_eq(names_of(&p->out_schema, b, sizeof(b)), "word|n2");
	sl_program_free(prog);
}

/* ------------------------------------------------------ stateless shapes */

Test(plan, stateless_shapes)
{
	char b[512];
	struct sl_program *prog = compile_ok(
		LINES "CREATE SINK a WITH (connector = 'console') AS SELECT * FROM (SELECT * FROM lines);\n"
		      "CREATE SINK b WITH (connector = 'console') AS SELECT v FROM (SELECT value AS v "
		      "FROM lines);\n"
		      "CREATE SINK c WITH (connector = 'console') AS SELECT w FROM lines LATERAL VIEW "
		      "explode(split(value, ' ')) t AS w WHERE w <> '';\n"
		      "CREATE SINK d WITH (connector = 'console') AS SELECT explode(split(value, ' ')) "
		      "AS word FROM lines WHERE length(value) > 0;\n"
		      "CREATE SINK e WITH (connector = 'console') AS SELECT x.value FROM (SELECT value, "
		      "length(value) AS n FROM lines) x WHERE n > 2;");
	cr_assert_eq(prog->nplans, 5);
	const struct sl_plan *p = prog->plans[0];
	cr_expect_eq(p->nops, 0, "identity projects are skipped");
	cr_expect(!p->has_agg);
	cr_expect_str_eq(dump(p->out[0], b, sizeof(b)), "#0");

	p = prog->plans[1];
	cr_assert_eq(p->nops, 1, "a renaming project stays");
	cr_expect_eq(p->ops[0].kind, SL_OP_PROJECT);
	cr_expect_str_eq(names_of(&p->pipeline_out, b, sizeof(b)), "v");

	p = prog->plans[2];
	cr_assert_eq(p->nops, 2);
	cr_expect_eq(p->ops[0].kind, SL_OP_EXPLODE);
	cr_expect_eq(p->ops[1].kind, SL_OP_FILTER);
	cr_expect_str_eq(dump(p->ops[1].pred, b, sizeof(b)), "ne(#1,'')");
	cr_expect_str_eq(names_of(&p->ops[1].out, b, sizeof(b)), "value|w");
	cr_expect_str_eq(dump(p->out[0], b, sizeof(b)), "#1");

	p = prog->plans[3];
	cr_assert_eq(p->nops, 2, "WHERE runs before the select list's explode");
	cr_expect_eq(p->ops[0].kind, SL_OP_FILTER);
	cr_expect_eq(p->ops[1].kind, SL_OP_EXPLODE);
	cr_expect_str_eq(dump(p->out[0], b, sizeof(b)), "#1");
	cr_expect_str_eq(names_of(&p->out_schema, b, sizeof(b)), "word");

	p = prog->plans[4];
	cr_assert_eq(p->nops, 2);
	cr_expect_eq(p->ops[0].kind, SL_OP_PROJECT);
	cr_expect_eq(p->ops[1].kind, SL_OP_FILTER);
	cr_expect_str_eq(dump(p->ops[1].pred, b, sizeof(b)), "gt(#1,2i)");
	sl_program_free(prog);
}

Test(plan, order_by_keys)
{
	struct sl_program *prog = compile_ok(
		LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS\n"
		      "SELECT word, count(*) AS n FROM " WORDS " GROUP BY word\n"
		      "ORDER BY n DESC, 1, count(*) NULLS FIRST, WORD DESC NULLS FIRST LIMIT 7;\n"
		      "CREATE SINK p WITH (connector = 'console') AS SELECT value FROM lines LIMIT 0;");
	const struct sl_plan *p = prog->plans[0];
	cr_assert_eq(p->norder, 4);
	cr_expect(p->order[0].col == 1 && p->order[0].desc && !p->order[0].nulls_first);
	cr_expect(p->order[1].col == 0 && !p->order[1].desc && p->order[1].nulls_first);
	cr_expect(p->order[2].col == 1 && !p->order[2].desc && p->order[2].nulls_first);
	cr_expect(p->order[3].col == 0 && p->order[3].desc && p->order[3].nulls_first);
	cr_expect_eq(p->limit, 7);
	cr_expect_eq(p->naggs, 1, "ORDER BY adds no aggregates");
	cr_expect_eq(prog->plans[1]->limit, 0, "LIMIT in append mode without aggregation");
	cr_expect_eq(prog->plans[1]->norder, 0);
	sl_program_free(prog);
}

/* ------------------------------------------------- settings and options */

Test(plan, settings_default)
{
	struct sl_settings s;
	sl_settings_default(&s, 1);
	cr_expect(s.n_ingest == 1 && s.ingest_cores[0] == 0 && s.n_agg == 1 && s.agg_cores[0] == 0);
	cr_expect_eq(s.shards, 0);
	cr_expect_eq(s.max_line_length, 1u << 20);
	cr_expect_eq(s.ring_slots, 64);
	cr_expect(s.combiner);
	cr_expect_eq(s.blocks_per_core, 0);
	sl_settings_default(&s, 2);
	cr_expect(s.n_ingest == 1 && s.ingest_cores[0] == 0 && s.n_agg == 1 && s.agg_cores[0] == 1);
	sl_settings_default(&s, 3);
	cr_expect(s.n_ingest == 1 && s.n_agg == 2 && s.agg_cores[0] == 1 && s.agg_cores[1] == 2);
	sl_settings_default(&s, 8);
	cr_expect(s.n_ingest == 4 && s.ingest_cores[3] == 3 && s.n_agg == 4 && s.agg_cores[0] == 4);
	sl_settings_default(&s, 200);
	cr_expect(s.n_ingest == 64 && s.n_agg == 64 && s.agg_cores[0] == 100);
}

Test(plan, set_applies_to_following_sinks)
{
	struct sl_program *prog = compile_ok(
		"SET shards = 8;\n" LINES
		"CREATE SINK a WITH (connector = 'console') AS SELECT value FROM lines;\n"
		"SET spark.sql.shuffle.partitions = 3; SET ingest_cores = 0-1; SET agg_cores = '2,4-5';\n"
		"SET max_line_length = 4096; SET ring_slots = 1024;\n"
		"CREATE SINK b WITH (connector = 'console') AS SELECT value FROM lines;\n"
		"SET shards = '16';\n");
	cr_assert_eq(prog->nplans, 2);
	const struct sl_settings *a = &prog->plans[0]->settings;
	const struct sl_settings *b = &prog->plans[1]->settings;
	cr_expect_eq(a->shards, 8);
	cr_expect_eq(a->n_ingest, 1);
	cr_expect_eq(a->ring_slots, 64);
	cr_expect_eq(b->shards, 3);
	cr_expect(b->n_ingest == 2 && b->ingest_cores[0] == 0 && b->ingest_cores[1] == 1);
	cr_expect(b->n_agg == 3 && b->agg_cores[0] == 2 && b->agg_cores[1] == 4 && b->agg_cores[2] == 5);
	cr_expect_eq(b->max_line_length, 4096);
	cr_expect_eq(b->ring_slots, 1024);
	sl_program_free(prog);
}

Test(plan, shards_default_to_agg_cores)
{
	struct sl_settings s;
	sl_settings_default(&s, 8);
	struct sl_program *prog = NULL;
	char err[512];
	cr_assert_eq(sl_sql_compile(LINES "CREATE SINK a WITH (connector = 'console') AS SELECT value "
					  "FROM lines;",
				    &s, &prog, err, sizeof(err)),
		     0, "%s", err);
	cr_expect_eq(prog->plans[0]->settings.shards, 4);
	sl_program_free(prog);
}

Test(plan, sink_options)
{
	struct sl_program *prog = compile_ok(
		LINES "CREATE SINK a WITH (connector = 'console', trigger = 'availableNow', num_rows = 3, "
		      "truncate = 'false') AS SELECT value FROM lines;\n"
		      "CREATE SINK b WITH (connector = 'CONSOLE', trigger = 'once', truncate = 7) AS "
		      "SELECT value FROM lines;\n"
		      "CREATE SINK c WITH (connector = 'console', trigger = '100 ms', truncate = TRUE, "
		      "output_mode = 'UPDATE') AS SELECT value FROM lines;\n"
		      "CREATE SINK d WITH (connector = 'file', path = 'out/', format = csv) AS SELECT "
		      "value FROM lines;\n");
	cr_assert_eq(prog->nplans, 4);
	const struct sl_sink_spec *a = &prog->plans[0]->sink, *b = &prog->plans[1]->sink;
	const struct sl_sink_spec *c = &prog->plans[2]->sink, *d = &prog->plans[3]->sink;
	cr_expect_eq(a->trigger, SL_TRIGGER_AVAILABLE_NOW);
	cr_expect_eq(a->num_rows, 3);
	cr_expect_eq(a->truncate, 0);
	cr_expect_eq(a->mode, SL_OUTPUT_APPEND, "append is Spark's default");
	cr_expect_str_eq(b->connector, "console", "the registered name");
	cr_expect_eq(b->trigger, SL_TRIGGER_ONCE);
	cr_expect_eq(b->truncate, 7);
	cr_expect_eq(c->trigger, SL_TRIGGER_INTERVAL);
	cr_expect_eq(c->trigger_interval_us, 100000);
	cr_expect_eq(c->truncate, 20);
	cr_expect_eq(c->mode, SL_OUTPUT_UPDATE);
	cr_expect_eq(d->trigger, SL_TRIGGER_DEFAULT);
	cr_assert_eq(d->options.n, 2, "connector-specific keys only");
	cr_expect_str_eq(d->options.v[0].key, "path");
	cr_expect_str_eq(d->options.v[0].value, "out/");
	cr_expect_str_eq(d->options.v[1].value, "csv");
	sl_program_free(prog);
}

Test(plan, program_without_sinks)
{
	struct sl_program *prog = compile_ok("SET shards = 2;\n" LINES "-- nothing runs\n");
	cr_expect_eq(prog->nplans, 0);
	cr_expect_eq(prog->nexplains, 0);
	sl_program_free(prog);
	prog = compile_ok("");
	cr_expect_eq(prog->nplans, 0);
	sl_program_free(prog);
}

Test(plan, source_without_columns_has_value_string)
{
	struct sl_program *prog = compile_ok(
		"CREATE SOURCE raw WITH (connector = 'strict', path = '/tmp/x');\n"
		"CREATE SINK o WITH (connector = 'console') AS SELECT upper(value) FROM raw;");
	const struct sl_plan *p = prog->plans[0];
	cr_assert_eq(p->source.schema.ncols, 1);
	cr_expect_str_eq(p->source.schema.cols[0].name, "value");
	cr_expect_eq(p->source.schema.cols[0].type, SL_TYPE_STRING);
	cr_expect_str_eq(p->source.connector, "strict");
	sl_program_free(prog);
}

Test(plan, cpu_lists)
{
	static const struct {
		const char *in;
		const char *out;
	} ok[] = {
		{"0", "0"}, {"0-3", "0-3"}, {"0,2,4-5", "0,2,4-5"}, {" 1 , 3 - 4 ", "1,3-4"},
		{"7,6", "7,6"}, {"1023", "1023"}, {"1,1", "1,1"}, {"0-1,0-1", "0-1,0-1"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int cpus[64];
		uint32_t n = 0;
		char msg[256], back[256];
		cr_assert_eq(sl_cpu_list_parse(ok[i].in, cpus, 64, &n, msg, sizeof(msg)), 0, "%s: %s",
			     ok[i].in, msg);
		sl_cpu_list_format(cpus, n, back, sizeof(back));
		cr_expect_str_eq(back, ok[i].out);
	}
	static const struct {
		const char *in;
		uint32_t max;
		const char *msg;
	} bad[] = {
		{"", 64, "a CPU list is CPU numbers and ranges such as '0', '0-3' or '0,2,4-5', not ''"},
		{"a", 64, "a CPU list is CPU numbers and ranges such as '0', '0-3' or '0,2,4-5', not 'a'"},
		{"1,", 64, "a CPU list is CPU numbers and ranges such as '0', '0-3' or '0,2,4-5', not '1,'"},
		{"3-1", 64, "CPU range 3-1 runs backwards"},
		{"1024", 64, "CPU numbers go from 0 to 1023, not '1024'"},
		{"0-4", 4, "at most 4 CPUs may be listed, '0-4' has more"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int cpus[64];
		uint32_t n = 0;
		char msg[256] = "";
		cr_expect_eq(sl_cpu_list_parse(bad[i].in, cpus, bad[i].max, &n, msg, sizeof(msg)),
			     -EINVAL);
		cr_expect_str_eq(msg, bad[i].msg);
	}
	int unpinned[2] = {-1, 3};
	char out[64];
	sl_cpu_list_format(unpinned, 2, out, sizeof(out));
	cr_expect_str_eq(out, "unpinned,3");
}

/* -------------------------------------------------------------- errors */

struct err_case {
	const char *sql;
	const char *msg;
};

/* Expression errors: the select list starts at line 3, column 11. */
#define EXPR_PRE NUMS "CREATE SINK o WITH (connector = 'console')\nAS SELECT "

static const struct err_case expr_errors[] = {
	{EXPR_PRE "b + 1 FROM nums",
	 "line 3, column 13: cannot resolve '(b + 1)' due to data type mismatch: the left and right "
	 "operands of the binary operator have incompatible types (BOOLEAN and INT)"},
	{EXPR_PRE "ts - 1 FROM nums",
	 "line 3, column 14: cannot resolve '(ts - 1)' due to data type mismatch: the left and right "
	 "operands of the binary operator have incompatible types (TIMESTAMP and INT)"},
	{EXPR_PRE "b < i FROM nums",
	 "line 3, column 13: cannot resolve '(b < i)' due to data type mismatch: the left and right "
	 "operands of the binary operator have incompatible types (BOOLEAN and INT)"},
	{EXPR_PRE "split(s, ',') = s FROM nums",
	 "line 3, column 25: cannot resolve '(split(s, ,, -1) = s)' due to data type mismatch: the left "
	 "and right operands of the binary operator have incompatible types (ARRAY<STRING> and "
	 "STRING)"},
	{EXPR_PRE "i AND b FROM nums",
	 "line 3, column 11: cannot resolve '(i AND b)' due to data type mismatch: argument 1 requires "
	 "BOOLEAN type, however, 'i' is of INT type"},
	{EXPR_PRE "NOT s FROM nums",
	 "line 3, column 15: cannot resolve '(NOT s)' due to data type mismatch: argument 1 requires "
	 "BOOLEAN type, however, 's' is of STRING type"},
	{EXPR_PRE "-b FROM nums",
	 "line 3, column 11: cannot resolve '(- b)' due to data type mismatch: unary minus needs a "
	 "number, not BOOLEAN"},
	{EXPR_PRE "split(s) FROM nums", "line 3, column 11: split expects 2 or 3 arguments, got 1"},
	{EXPR_PRE "split(s, ',', 1, 2) FROM nums",
	 "line 3, column 11: split expects 2 or 3 arguments, got 4"},
	{EXPR_PRE "split(s, s) FROM nums",
	 "line 3, column 20: the pattern of split must be a constant string such as '\\\\s+'"},
	{EXPR_PRE "s RLIKE s FROM nums",
	 "line 3, column 19: the pattern of RLIKE must be a constant string such as '\\\\s+'"},
	{EXPR_PRE "s LIKE 1 FROM nums",
	 "line 3, column 18: the pattern of LIKE must be a constant string such as '\\\\s+'"},
	{EXPR_PRE "lower(s, s) FROM nums", "line 3, column 11: lower expects 1 argument, got 2"},
	{EXPR_PRE "if(b, 1) FROM nums", "line 3, column 11: if expects 3 arguments, got 2"},
	{EXPR_PRE "substr(s) FROM nums", "line 3, column 11: substr expects 2 or 3 arguments, got 1"},
	{EXPR_PRE "substr(s, b) FROM nums",
	 "line 3, column 21: substr expects an INT argument here, got BOOLEAN"},
	{EXPR_PRE "lowr(s) FROM nums", "line 3, column 11: unknown function 'lowr'; did you mean lower?"},
	{EXPR_PRE "frobnicate(s) FROM nums",
	 "line 3, column 11: unknown function 'frobnicate' (functions: approx_count_distinct, avg, "
	 "char_length, character_length, coalesce, concat, count, explode, if, lcase, length, lower, "
	 "max, mean, min, session_window, "
	 "size, split, substr, substring, sum, to_timestamp, trim, ucase, upper, window)"},
	{EXPR_PRE "wrd FROM nums",
	 "line 3, column 11: unknown column 'wrd' (columns: i, l, d, s, b, ts)"},
	{EXPR_PRE "x.i FROM nums",
	 "line 3, column 11: unknown table or alias 'x' in 'x.i' (columns: i, l, d, s, b, ts)"},
	{EXPR_PRE "nums.q FROM nums",
	 "line 3, column 11: unknown column 'nums.q' (columns: i, l, d, s, b, ts)"},
	{EXPR_PRE "nums.i FROM nums n",
	 "line 3, column 11: unknown table or alias 'nums' in 'nums.i' (columns: i, l, d, s, b, ts)"},
	{EXPR_PRE "x.* FROM nums",
	 "line 3, column 11: unknown table or alias 'x' in 'x.*' (columns: i, l, d, s, b, ts)"},
	{EXPR_PRE "size(s) FROM nums",
	 "line 3, column 11: cannot resolve 'size(s)' due to data type mismatch: argument 1 requires an "
	 "ARRAY, however, it is of STRING type"},
	{EXPR_PRE "lower(split(s, ',')) FROM nums",
	 "line 3, column 17: lower expects STRING arguments, got ARRAY<STRING>"},
	{EXPR_PRE "if(i, 1, 2) FROM nums",
	 "line 3, column 14: cannot resolve '(IF(i, 1, 2))' due to data type mismatch: argument 1 "
	 "requires BOOLEAN type, however, 'i' is of INT type"},
	{EXPR_PRE "coalesce(b, i) FROM nums",
	 "line 3, column 11: cannot resolve 'coalesce(b, i)' due to data type mismatch: the values must "
	 "all have one type, but they are BOOLEAN, INT"},
	{EXPR_PRE "CASE WHEN b THEN b ELSE 1 END FROM nums",
	 "line 3, column 11: cannot resolve 'CASE WHEN b THEN b ELSE 1 END' due to data type mismatch: "
	 "the values must all have one type, but they are BOOLEAN, INT"},
	{EXPR_PRE "if(b, split(s, ','), NULL) FROM nums",
	 "line 3, column 11: cannot resolve '(IF(b, split(s, ,, -1), NULL))': choosing between ARRAY "
	 "values is not supported; explode the arrays first"},
	{EXPR_PRE "coalesce(split(s, ','), split(s, ';')) FROM nums",
	 "line 3, column 11: cannot resolve 'coalesce(split(s, ,, -1), split(s, ;, -1))': choosing "
	 "between ARRAY values is not supported; explode the arrays first"},
	{EXPR_PRE "CAST(split(s, ',') AS STRING) FROM nums",
	 "line 3, column 11: cannot cast ARRAY<STRING> to STRING"},
	{EXPR_PRE "lower(*) FROM nums",
	 "line 3, column 17: '*' is only allowed as count(*), not in lower(...)"},
	{EXPR_PRE "i IN (split(s, ',')) FROM nums",
	 "line 3, column 17: IN compares scalar values, not ARRAY<STRING>"},
	{EXPR_PRE "explode(s) FROM nums",
	 "line 3, column 11: cannot resolve 'explode(s)' due to data type mismatch: input to function "
	 "explode should be array or map type, not STRING"},
	{EXPR_PRE "explode(s, s) FROM nums", "line 3, column 11: explode expects 1 argument, got 2"},
	{EXPR_PRE "lower(explode(split(s, ','))) FROM nums",
	 "line 3, column 17: Generators are not supported when it's nested in expressions, but got: "
	 "lower(explode(split(s, ,, -1)))"},
	{EXPR_PRE "explode(split(s, ',')), explode(split(s, ';')) FROM nums",
	 "line 3, column 4: Only one generator allowed per select clause but found 2: "
	 "explode(split(s, ,, -1)), explode(split(s, ;, -1))"},
	{EXPR_PRE "i FROM nums WHERE i",
	 "line 3, column 29: filter expression 'i' of type INT is not a boolean: WHERE needs a "
	 "condition"},
	{EXPR_PRE "i FROM nums WHERE count(*) > 1",
	 "line 3, column 29: Aggregate/Window/Generate expressions are not valid in where clause of "
	 "the query; found count(1)"},
	{EXPR_PRE "i FROM nums WHERE explode(split(s, ',')) = 'a'",
	 "line 3, column 29: Generators are not supported outside the SELECT clause, but got: "
	 "explode(split(s, ,, -1))"},
	{EXPR_PRE "i FROM nums LATERAL VIEW posexplode(s) t",
	 "line 3, column 36: LATERAL VIEW takes explode(...), not posexplode(...)"},
	{EXPR_PRE "i FROM nums LATERAL VIEW explode(s) t",
	 "line 3, column 36: cannot resolve 'explode(s)' due to data type mismatch: input to function "
	 "explode should be array or map type, not STRING"},
	{EXPR_PRE "DISTINCT i FROM nums",
	 "line 3, column 11: SELECT DISTINCT is not supported; GROUP BY the columns instead"},
	{EXPR_PRE "i FROM nosuch", "line 3, column 18: unknown source 'nosuch' (sources: nums)"},
	{EXPR_PRE "i FROM (SELECT i FROM nums ORDER BY i)",
	 "line 3, column 38: Sorting is not supported on streaming DataFrames/Datasets, unless it is "
	 "on aggregated DataFrame/Dataset in Complete output mode"},
	{EXPR_PRE "i FROM (SELECT i FROM nums LIMIT 1)",
	 "line 3, column 38: LIMIT is only supported on the outermost query"},
	{EXPR_PRE "v FROM (SELECT i AS v, i AS v FROM nums)",
	 "line 3, column 11: [AMBIGUOUS_REFERENCE] Reference `v` is ambiguous, could be: [`v`, "
	 "`v`]; give the columns different names"},
};

Test(plan, expression_errors)
{
	for (size_t i = 0; i < sizeof(expr_errors) / sizeof(expr_errors[0]); i++) {
		char what[32];
		snprintf(what, sizeof(what), "case %zu", i);
		compile_err(expr_errors[i].sql, expr_errors[i].msg, what);
	}
}

/* Aggregation errors: update mode, so that only the aggregation is wrong. */
#define AGG_PRE NUMS "CREATE SINK o WITH (connector = 'console', output_mode = 'update')\nAS SELECT "

static const struct err_case agg_errors[] = {
	{AGG_PRE "s, count(*) FROM nums GROUP BY i",
	 "line 3, column 11: expression 's' is neither present in the group by, nor is it an aggregate "
	 "function. Add to group by or wrap in an aggregate function"},
	{AGG_PRE "lower(s), count(*) FROM nums GROUP BY i",
	 "line 3, column 17: expression 's' is neither present in the group by, nor is it an "
	 "aggregate function. Add to group by or wrap in an aggregate function"},
	{AGG_PRE "*, count(*) FROM nums GROUP BY i",
	 "line 3, column 11: expression 'l' is neither present in the group by, nor is it an "
	 "aggregate function. Add to group by or wrap in an aggregate function"},
	{AGG_PRE "count(DISTINCT s) FROM nums",
	 "line 3, column 11: Distinct aggregations are not supported on streaming "
	 "DataFrames/Datasets. Consider using approx_count_distinct() instead."},
	{AGG_PRE "sum(count(*)) FROM nums",
	 "line 3, column 15: It is not allowed to use an aggregate function in the argument of another "
	 "aggregate function. Please use the inner aggregate function in a sub-query."},
	{AGG_PRE "sum(*) FROM nums", "line 3, column 15: '*' is only allowed as count(*), not in sum(...)"},
	{AGG_PRE "sum(b) FROM nums",
	 "line 3, column 11: cannot resolve 'sum(b)' due to data type mismatch: function sum requires "
	 "numeric types, not BOOLEAN"},
	{AGG_PRE "avg(ts) FROM nums",
	 "line 3, column 11: cannot resolve 'avg(ts)' due to data type mismatch: function avg requires "
	 "numeric types, not TIMESTAMP"},
	{AGG_PRE "max(split(s, ',')) FROM nums",
	 "line 3, column 11: max of an ARRAY<STRING> is not supported"},
	{AGG_PRE "count(i, l) FROM nums", "line 3, column 11: count expects 1 argument, got 2"},
	{AGG_PRE "count(*) FROM nums GROUP BY 3",
	 "line 3, column 39: GROUP BY position 3 is not in select list (valid range is [1, 1])"},
	{AGG_PRE "count(*) FROM nums GROUP BY 1",
	 "line 3, column 39: GROUP BY position 1 is an aggregate function, and aggregate functions are "
	 "not allowed in GROUP BY"},
	{AGG_PRE "i FROM nums GROUP BY count(*)",
	 "line 3, column 32: aggregate functions are not allowed in GROUP BY, but found count(1)"},
	{AGG_PRE "count(*) AS n FROM nums GROUP BY n",
	 "line 3, column 44: aggregate functions are not allowed in GROUP BY, but found count(1)"},
	{AGG_PRE "i FROM nums GROUP BY split(s, ',')",
	 "line 3, column 32: cannot group by 'split(s, ,, -1)' of type ARRAY<STRING>: group keys must "
	 "be scalar values; explode the array first"},
	{AGG_PRE "i, count(*) FROM nums GROUP BY i HAVING i",
	 "line 3, column 51: HAVING condition 'i' of type INT is not a boolean"},
	{AGG_PRE "i FROM nums GROUP BY i HAVING s = 'a'",
	 "line 3, column 41: expression 's' is neither present in the group by, nor is it an aggregate "
	 "function. Add to group by or wrap in an aggregate function"},
	{AGG_PRE "n FROM (SELECT i, count(*) AS n FROM nums GROUP BY i) GROUP BY n",
	 "line 3, column 65: Multiple streaming aggregations are not supported with streaming "
	 "DataFrames/Datasets"},
	{AGG_PRE "count(*) FROM (SELECT i, count(*) AS n FROM nums GROUP BY i)",
	 "line 3, column 11: Multiple streaming aggregations are not supported with streaming "
	 "DataFrames/Datasets"},
	{AGG_PRE "explode(split(s, ',')), count(*) FROM nums",
	 "line 3, column 11: explode in the select list of an aggregation is not supported: explode in "
	 "a derived table and aggregate over it, as in SELECT word, count(*) FROM (SELECT explode(...) "
	 "AS word FROM ...) GROUP BY word"},
	{AGG_PRE "sum(size(explode(split(s, ',')))) FROM nums",
	 "line 3, column 20: Generators are not supported when it's nested in expressions, but got: "
	 "sum(size(explode(split(s, ,, -1))))"},
	{AGG_PRE "x FROM (SELECT i AS x, count(*) AS n FROM nums GROUP BY i) LATERAL VIEW "
		 "explode(split('a', 'b')) t",
	 "line 3, column 70: LATERAL VIEW over an aggregated derived table is not supported"},
};

Test(plan, aggregation_errors)
{
	for (size_t i = 0; i < sizeof(agg_errors) / sizeof(agg_errors[0]); i++) {
		char what[32];
		snprintf(what, sizeof(what), "case %zu", i);
		compile_err(agg_errors[i].sql, agg_errors[i].msg, what);
	}
}

static const struct err_case order_errors[] = {
	{LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'complete')\n"
	       "AS SELECT word, count(*) AS n FROM " WORDS " GROUP BY word ORDER BY lower(word)",
	 "line 3, column 114: ORDER BY must name an output column (by name, position or the same "
	 "expression): 'lower(word)' is not in the select list (columns: word, n)"},
	{LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'complete')\n"
	       "AS SELECT word, count(*) AS n FROM " WORDS " GROUP BY word ORDER BY 5",
	 "line 3, column 114: ORDER BY position 5 is not in select list (valid range is [1, 2])"},
	{LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'complete')\n"
	       "AS SELECT word AS n, count(*) AS n FROM " WORDS " GROUP BY word ORDER BY n",
	 "line 3, column 119: ORDER BY 'n' is ambiguous: 2 output columns have that name"},
	{LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'complete')\n"
	       "AS SELECT word, count(*) AS n FROM " WORDS " GROUP BY word ORDER BY sum(length(word))",
	 "line 3, column 114: ORDER BY must name an output column (by name, position or the same "
	 "expression): 'sum(length(word))' is not in the select list (columns: word, n)"},
};

Test(plan, order_by_errors)
{
	for (size_t i = 0; i < sizeof(order_errors) / sizeof(order_errors[0]); i++) {
		char what[32];
		snprintf(what, sizeof(what), "case %zu", i);
		compile_err(order_errors[i].sql, order_errors[i].msg, what);
	}
}

/* Every output-mode rule, with Spark's words. */
static const struct err_case mode_errors[] = {
	{LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'complete')\n"
	       "AS SELECT value FROM lines",
	 "line 2, column 58: Complete output mode not supported when there are no streaming "
	 "aggregations on streaming DataFrames/Datasets"},
	{LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'append')\n"
	       "AS SELECT value, count(*) FROM lines GROUP BY value",
	 "line 2, column 58: Append output mode not supported when there are streaming aggregations on "
	 "streaming DataFrames/DataSets without watermark"},
	{LINES "\nCREATE SINK o WITH (connector = 'console')\n"
	       "AS SELECT count(*) FROM lines",
	 "line 3, column 1: Append output mode not supported when there are streaming aggregations on "
	 "streaming DataFrames/DataSets without watermark"},
	{LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'update')\n"
	       "AS SELECT value, count(*) AS n FROM lines GROUP BY value ORDER BY n",
	 "line 3, column 58: Sorting is not supported on streaming DataFrames/Datasets, unless it is on "
	 "aggregated DataFrame/Dataset in Complete output mode"},
	{LINES "CREATE SINK o WITH (connector = 'console')\n"
	       "AS SELECT value FROM lines ORDER BY value",
	 "line 3, column 28: Sorting is not supported on streaming DataFrames/Datasets, unless it is on "
	 "aggregated DataFrame/Dataset in Complete output mode"},
	{LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'update')\n"
	       "AS SELECT value, count(*) AS n FROM lines GROUP BY value LIMIT 5",
	 "line 3, column 58: Limits are not supported on streaming DataFrames/Datasets in Update "
	 "output mode"},
	{LINES "CREATE SINK o WITH (connector = 'file', output_mode = 'update')\n"
	       "AS SELECT value, count(*) FROM lines GROUP BY value",
	 "line 2, column 55: Data source file does not support Update output mode"},
	{LINES "CREATE SINK o WITH (connector = 'file', output_mode = 'Complete')\n"
	       "AS SELECT value, count(*) FROM lines GROUP BY value",
	 "line 2, column 55: Data source file does not support Complete output mode"},
	{LINES "CREATE SINK o WITH (connector = 'console', output_mode = 'sometimes')\n"
	       "AS SELECT value FROM lines",
	 "line 2, column 58: Unknown output mode sometimes. Accepted output modes are 'append', "
	 "'complete', 'update'"},
};

Test(plan, output_mode_rules)
{
	for (size_t i = 0; i < sizeof(mode_errors) / sizeof(mode_errors[0]); i++) {
		char what[32];
		snprintf(what, sizeof(what), "case %zu", i);
		compile_err(mode_errors[i].sql, mode_errors[i].msg, what);
	}
	/* and what the rules allow */
	struct sl_program *prog = compile_ok(
		LINES "CREATE SINK a WITH (connector = 'console', output_mode = 'complete') AS SELECT "
		      "value, count(*) AS n FROM lines GROUP BY value ORDER BY n DESC LIMIT 3;\n"
		      "CREATE SINK b WITH (connector = 'console', output_mode = 'update') AS SELECT "
		      "value, count(*) FROM lines GROUP BY value;\n"
		      "CREATE SINK c WITH (connector = 'file') AS SELECT value FROM lines LIMIT 10;\n"
		      "EXPLAIN SELECT value, count(*) FROM lines GROUP BY value ORDER BY 2;");
	cr_expect_eq(prog->nplans, 3);
	cr_expect_eq(prog->nexplains, 1, "EXPLAIN SELECT shows the plan whatever the mode rules");
	sl_program_free(prog);
}

static const struct err_case stmt_errors[] = {
	{"SET shard = 4", "line 1, column 5: unknown setting 'shard' (settings: shards, "
			  "spark.sql.shuffle.partitions, ingest_cores, agg_cores, max_line_length, "
			  "ring_slots, combiner, multiple_watermark_policy, min_deltas_for_snapshot, "
			  "min_batches_to_retain)"},
	{"SET shards = 0", "line 1, column 14: option 'shards' must be a whole number from 1 to 4096, "
			   "not '0'"},
	{"SET spark.sql.shuffle.partitions = 5000",
	 "line 1, column 36: option 'spark.sql.shuffle.partitions' must be a whole number from 1 to "
	 "4096, not '5000'"},
	{"SET ring_slots = 100", "line 1, column 18: ring_slots must be a power of two (2, 4, ..., "
				 "65536), not 100"},
	{"SET ring_slots = 1", "line 1, column 18: option 'ring_slots' must be a whole number from 2 to "
			       "65536, not '1'"},
	{"SET max_line_length = 2000000000",
	 "line 1, column 23: option 'max_line_length' must be a whole number from 1 to 1073741824, not "
	 "'2000000000'"},
	{"SET ingest_cores = 3-1", "line 1, column 20: ingest_cores: CPU range 3-1 runs backwards"},
	{"SET agg_cores = 'x'", "line 1, column 17: agg_cores: a CPU list is CPU numbers and ranges such "
				"as '0', '0-3' or '0,2,4-5', not 'x'"},
	{"CREATE SOURCE s WITH (host = 'a')",
	 "line 1, column 17: source 's' needs a connector: add connector = '...' to WITH (...) "
	 "(connectors: socket, strict)"},
	{"CREATE SOURCE s WITH (connector = 'sockt')",
	 "line 1, column 35: unknown source connector 'sockt' (connectors: socket, strict)"},
	{"CREATE SOURCE s (a INT, A STRING) WITH (connector = 'socket')",
	 "line 1, column 25: column 'A' is defined twice in source 's'"},
	{"CREATE SOURCE s WITH (connector = 'strict')", "line 1, column 1: source 's' needs a path"},
	{LINES "CREATE SOURCE Lines WITH (connector = 'socket')",
	 "line 2, column 15: source 'Lines' is already defined at line 1, column 15"},
	{LINES "CREATE SINK o WITH (output_mode = 'update') AS SELECT value FROM lines",
	 "line 2, column 15: sink 'o' needs a connector: add connector = '...' to WITH (...) "
	 "(connectors: console, file)"},
	{LINES "CREATE SINK o WITH (connector = 'kafka') AS SELECT value FROM lines",
	 "line 2, column 33: unknown sink connector 'kafka' (connectors: console, file)"},
	{LINES "CREATE SINK o WITH (connector = 'console', colour = 'red') AS SELECT value FROM lines",
	 "line 2, column 44: unknown option 'colour' for the console sink (options: num_rows, "
	 "truncate)"},
	{LINES "CREATE SINK o WITH (connector = 'console') AS SELECT value FROM lines;\n"
	       "CREATE SINK O WITH (connector = 'console') AS SELECT value FROM lines",
	 "line 3, column 13: sink 'O' is already defined at line 2, column 13"},
	{LINES "CREATE SINK o WITH (connector = 'console', trigger = 'soon') AS SELECT value FROM lines",
	 "line 2, column 54: trigger must be an interval such as '1 second' or '500 "
	 "milliseconds', 'available_now' or 'once', not 'soon'"},
	{LINES "CREATE SINK o WITH (connector = 'console', trigger = '-1 seconds') AS SELECT value FROM "
	       "lines",
	 "line 2, column 54: trigger must be an interval such as '1 second' or '500 "
	 "milliseconds', 'available_now' or 'once', not '-1 seconds'"},
	{LINES "CREATE SINK o WITH (connector = 'console', num_rows = 0) AS SELECT value FROM lines",
	 "line 2, column 55: option 'num_rows' must be a whole number from 1 to 2147483647, not '0'"},
	{LINES "CREATE SINK o WITH (connector = 'console', truncate = 'maybe') AS SELECT value FROM "
	       "lines",
	 "line 2, column 55: option 'truncate' must be true, false or a whole number of characters, "
	 "not 'maybe'"},
	{"CREATE SINK o WITH (connector = 'console') AS SELECT value FROM lines;\n" LINES,
	 "line 1, column 65: unknown source 'lines' (no source is defined yet: CREATE SOURCE comes "
	 "before the query that reads it)"},
};

Test(plan, statement_errors)
{
	for (size_t i = 0; i < sizeof(stmt_errors) / sizeof(stmt_errors[0]); i++) {
		char what[32];
		snprintf(what, sizeof(what), "case %zu", i);
		compile_err(stmt_errors[i].sql, stmt_errors[i].msg, what);
	}
}

Test(plan, syntax_errors_come_through)
{
	compile_err("CREATE SORCE x WITH (connector = 'socket')",
		    "line 1, column 8: expected SOURCE, SINK or TABLE after CREATE, found 'SORCE'",
		    "parse error");
	compile_err(LINES "\n\nCREATE SINK o WITH (connector = 'console') AS SELECT wrd FROM lines",
		    "line 4, column 54: unknown column 'wrd' (columns: value)", "the DESIGN example");
}

Test(plan, expr_text_of_every_function)
{
	struct sl_program *prog = compile_ok(
		NUMS "EXPLAIN SELECT trim(s), size(split(s, ',', 2)), coalesce(i, 1), if(b, s, 'x'), "
		     "substr(s, 1, 2), s RLIKE 'a', s IS NOT NULL, -d, i <> 1, l * 2, i - 1 FROM nums "
		     "WHERE s IS NULL OR NOT b;");
	cr_assert_eq(prog->nexplains, 1);
	cr_expect_str_eq(prog->explains[0],
			 "== Physical Plan ==\n"
			 "Sink: console, output mode append, trigger default (each batch when the "
			 "last is done), num_rows=20, truncate=20  [control thread]\n"
			 "+- Project [trim(s), size(split(s, ,, 2)), coalesce(i, 1), (IF(b, s, x)), "
			 "substr(s, 1, 2), RLIKE(s, a), (s IS NOT NULL), (- d), (NOT (i = 1)), (l * 2), "
			 "(i - 1)]  [ingest core 0]\n"
			 "   +- Filter ((s IS NULL) OR (NOT b))  [ingest core 0]\n"
			 "      +- Source nums: socket, port='1', schema=(i INT, l BIGINT, d DOUBLE, "
			 "s STRING, b BOOLEAN, ts TIMESTAMP)  [ingest core 0]\n");
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	struct sl_expr col = {.kind = SL_EXPR_COLUMN, .type = SL_TYPE_INT, .col = 9};
	cr_expect_eq(sl_expr_text(&col, NULL, &sb), 0);
	cr_expect_str_eq(sb.ptr, "#9", "a column outside the schema");
	sl_strbuf_free(&sb);
	sl_program_free(prog);
}

/* ---- event time: window(), WATERMARK ---- */

#define SALES_WM                                                                            \
	"CREATE SOURCE sales (store INT, amount DOUBLE, ts TIMESTAMP, t2 TIMESTAMP, s STRING) " \
	"WITH (connector = 'socket', port = 1) WATERMARK ts DELAY '10 minutes';\n"

Test(plan, windows_and_watermark)
{
	/* tumbling: the key is window(), rows without event time filtered
	 * first; the watermark column and delay reach the plan */
	struct sl_program *p = compile_ok(
		SALES_WM "CREATE SINK o WITH (connector = 'console', output_mode = 'append') AS\n"
			 "SELECT window(ts, '15 minutes') AS w, store, sum(amount) AS total\n"
			 "FROM sales GROUP BY window(ts, '15 minutes'), store");
	const struct sl_plan *pl = p->plans[0];
	cr_expect_eq(pl->source.watermark_col, 2);
	cr_expect_eq(pl->source.watermark_delay_us, 600000000LL);
	cr_expect_eq(pl->window_key, 0);
	cr_expect(pl->window_on_event_time);
	cr_expect_eq(pl->key_schema.cols[0].type, SL_TYPE_WINDOW);
	cr_assert_eq(pl->nops, 1);
	cr_expect_eq(pl->ops[0].kind, SL_OP_FILTER);
	cr_expect_eq(pl->ops[0].pred->fn, SL_FN_IS_NOT_NULL);
	cr_expect_str_eq(pl->out_schema.cols[0].name, "w");
	cr_expect_eq(pl->out_schema.cols[0].type, SL_TYPE_WINDOW);
	sl_program_free(p);

	/* sliding: exploded into a window column, which the select item that
	 * repeats the call and window.start / window.end resolve to; Spark
	 * names the column `window` */
	p = compile_ok(SALES_WM
		       "CREATE SINK o WITH (connector = 'console', output_mode = 'update') AS\n"
		       "SELECT window(ts, '10 minutes', '5 minutes'), window.start, window.end, "
		       "count(*) FROM sales GROUP BY window(ts, '10 minutes', '5 minutes')");
	pl = p->plans[0];
	cr_assert_eq(pl->nops, 1);
	cr_expect_eq(pl->ops[0].kind, SL_OP_EXPLODE);
	cr_expect_eq(pl->ops[0].gen->fn, SL_FN_WINDOWS);
	cr_expect(pl->window_on_event_time);
	cr_expect_str_eq(pl->out_schema.cols[0].name, "window");
	cr_expect_eq(pl->out_schema.cols[1].type, SL_TYPE_TIMESTAMP);
	cr_expect_eq(pl->out[1]->fn, SL_FN_WINDOW_START);
	cr_expect_eq(pl->out[2]->fn, SL_FN_WINDOW_END);
	sl_program_free(p);

	/* the event time passes through a derived table's bare column */
	p = compile_ok(SALES_WM
		       "CREATE SINK o WITH (connector = 'console', output_mode = 'append') AS\n"
		       "SELECT window(t, '1 hour') AS w, count(*) FROM (SELECT ts AS t, store FROM "
		       "sales) GROUP BY window(t, '1 hour')");
	cr_expect(p->plans[0]->window_on_event_time);
	sl_program_free(p);

	/* a window on another column is no watermark: complete mode only */
	p = compile_ok(SALES_WM
		       "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS\n"
		       "SELECT window(t2, '1 hour') AS w, count(*) FROM sales GROUP BY window(t2, '1 "
		       "hour')");
	cr_expect_not(p->plans[0]->window_on_event_time);
	cr_expect_eq(p->plans[0]->source.watermark_col, 2);
	sl_program_free(p);

	/* INTERVAL forms of the delay */
	p = compile_ok("CREATE SOURCE s (ts TIMESTAMP) WITH (connector = 'socket', port = 1) "
		       "WATERMARK ts DELAY INTERVAL '90' SECOND;\n"
		       "CREATE SINK o WITH (connector = 'console', output_mode = 'append') AS "
		       "SELECT window(ts, '1 minute') AS w, count(*) FROM s GROUP BY 1");
	cr_expect_eq(p->plans[0]->source.watermark_delay_us, 90000000LL);
	sl_program_free(p);
}

Test(plan, window_and_watermark_errors)
{
	static const struct {
		const char *sql;
		const char *want;
	} cases[] = {
		{SALES_WM "CREATE SINK o WITH (connector = 'console', output_mode = 'append') AS "
			  "SELECT window(t2, '1 hour') AS w, count(*) FROM sales GROUP BY 1",
		 "line 2, column 58: Append output mode not supported when there are streaming "
		 "aggregations on streaming DataFrames/DataSets without watermark"},
		{SALES_WM "CREATE SINK o WITH (connector = 'console') AS SELECT window(ts, s) FROM "
			  "sales",
		 "line 2, column 65: the window duration of 'window(ts, s)' must be a duration "
		 "literal such as '10 minutes' or '1 hour'"},
		{SALES_WM "CREATE SINK o WITH (connector = 'console') AS SELECT window(ts, '10 "
			  "parsecs') FROM sales",
		 "line 2, column 65: '10 parsecs' is not a duration: write a number and a unit, "
		 "such as '10 minutes', '30 seconds' or '1 hour'"},
		{SALES_WM "CREATE SINK o WITH (connector = 'console') AS SELECT window(ts, '0 "
			  "seconds') FROM sales",
		 "line 2, column 65: The window duration (0 seconds) must be greater than 0."},
		{SALES_WM "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS "
			  "SELECT count(*) FROM sales GROUP BY window(ts, '5 minutes', '10 minutes')",
		 "line 2, column 133: The slide duration (600000000 microseconds) must be less "
		 "than or equal to the windowDuration (300000000 microseconds)."},
		{SALES_WM "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS "
			  "SELECT count(*) FROM sales GROUP BY window(ts, '1 day', '1 second')",
		 "line 2, column 109: window duration / slide duration is 86400: every row would "
		 "fall in that many windows; at most 1024 are supported"},
		{SALES_WM "CREATE SINK o WITH (connector = 'console') AS SELECT window(s, '1 hour') "
			  "FROM sales",
		 "line 2, column 61: cannot resolve 'window(s, 1 hour)' due to data type mismatch: "
		 "argument 1 requires TIMESTAMP type, however, it is of STRING type; CAST it "
		 "(CAST(x AS TIMESTAMP))"},
		{SALES_WM "CREATE SINK o WITH (connector = 'console') AS SELECT window(ts, '10 "
			  "minutes', '5 minutes') FROM sales",
		 "line 2, column 54: a sliding window (slide shorter than the window) is only "
		 "supported as a GROUP BY key and in the select list of that aggregation"},
		{SALES_WM "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS "
			  "SELECT count(*) FROM sales GROUP BY window(ts, '1 hour'), window(t2, '1 "
			  "hour')",
		 "line 2, column 131: Multiple time/session window expressions would result in a "
		 "cartesian product of rows, therefore they are currently not supported."},
		{"CREATE SOURCE s (ts TIMESTAMP) WITH (connector = 'socket', port = 1) WATERMARK "
		 "tx DELAY '1 minute'",
		 "line 1, column 80: WATERMARK names column 'tx', which source 's' does not have "
		 "(columns: ts)"},
		{"CREATE SOURCE s (ts STRING) WITH (connector = 'socket', port = 1) WATERMARK ts "
		 "DELAY '1 minute'",
		 "line 1, column 77: Event time must be defined on a window or a timestamp, but ts "
		 "is of type STRING; declare it TIMESTAMP in the column list"},
		{"CREATE SOURCE s (ts TIMESTAMP) WITH (connector = 'socket', port = 1) WATERMARK "
		 "ts DELAY 'soon'",
		 "line 1, column 89: 'soon' is not a watermark delay: write a duration such as '10 "
		 "minutes' or INTERVAL '10' MINUTE"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		compile_err(cases[i].sql, cases[i].want, "window/watermark error");
}

Test(plan, timestamp_and_interval_types)
{
	struct sl_program *p = compile_ok(
		SALES_WM "CREATE SINK o WITH (connector = 'console') AS\n"
			 "SELECT ts + INTERVAL '10' MINUTE AS a, INTERVAL '1 hour' + ts AS b, ts - t2 AS "
			 "c, -INTERVAL 90 SECONDS AS d, TIMESTAMP '2024-01-01 00:00:00' AS e, "
			 "to_timestamp(s, 'yyyy-MM-dd') AS f, to_timestamp(s) AS g, "
			 "window(ts, INTERVAL '15' MINUTE) AS w, ts - INTERVAL '1 day' FROM sales");
	const struct sl_plan *pl = p->plans[0];
	const enum sl_type want[] = {SL_TYPE_TIMESTAMP, SL_TYPE_TIMESTAMP, SL_TYPE_INTERVAL,
				     SL_TYPE_INTERVAL,  SL_TYPE_TIMESTAMP, SL_TYPE_TIMESTAMP,
				     SL_TYPE_TIMESTAMP, SL_TYPE_WINDOW,    SL_TYPE_TIMESTAMP};
	cr_assert_eq(pl->out_schema.ncols, 9);
	for (uint32_t i = 0; i < 9; i++)
		cr_expect_eq(pl->out_schema.cols[i].type, want[i], "column %u", i);
	cr_expect_str_eq(pl->out_schema.cols[8].name, "(ts - INTERVAL '1 day')");
	cr_expect_eq(pl->out[5]->fn, SL_FN_TO_TIMESTAMP);
	cr_expect_eq(pl->out[6]->fn, SL_FN_CAST);
	sl_program_free(p);

	compile_err(SALES_WM "CREATE SINK o WITH (connector = 'console') AS SELECT ts + 1 FROM sales",
		    "line 2, column 57: cannot resolve '(ts + 1)' due to data type mismatch: the left "
		    "and right operands of the binary operator have incompatible types (TIMESTAMP and "
		    "INT)",
		    "timestamp + number");
	compile_err(SALES_WM "CREATE SINK o WITH (connector = 'console') AS SELECT INTERVAL '3 parsecs' "
			     "FROM sales",
		    "line 2, column 63: '3 parsecs' is not an interval: write INTERVAL '10' MINUTE or "
		    "INTERVAL '1 hour' (units: microsecond .. day, singular or plural)",
		    "bad interval");
	compile_err(SALES_WM "CREATE SINK o WITH (connector = 'console') AS SELECT to_timestamp(s, s) "
			     "FROM sales",
		    "line 2, column 70: the pattern of to_timestamp must be a string literal such as "
		    "'yyyy-MM-dd HH:mm:ss'",
		    "to_timestamp pattern");
}

/* approx_count_distinct(x[, rsd]): Spark's HyperLogLogPlusPlus. Its name
 * leaves out the rsd (Spark's expression has one child); rsd is a double
 * literal whose precision ceil(2 log2(1.106 / rsd)) is at least 4 (Spark's
 * require) and at most 18 (sluice's bound on a group's memory). */
Test(plan, approx_count_distinct)
{
	struct sl_program *prog = compile_ok(
		NUMS "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS\n"
		     "SELECT approx_count_distinct(s), approx_count_distinct(s, 0.01) AS a1, "
		     "approx_count_distinct(s, 0.05), approx_count_distinct(d, 1e-2), "
		     "approx_count_distinct(NULL), count(*) FROM nums");
	const struct sl_plan *p = prog->plans[0];
	cr_assert_eq(p->naggs, 5, "approx_count_distinct(s, 0.05) is approx_count_distinct(s)");
	static const struct {
		const char *name;
		double rsd;
	} want[] = {
		{"approx_count_distinct(s)", 0.05},  {"approx_count_distinct(s)", 0.01},
		{"approx_count_distinct(d)", 0.01},  {"approx_count_distinct(NULL)", 0.05},
	};
	for (uint32_t i = 0; i < 4; i++) {
		cr_expect_eq(p->aggs[i].fn, SL_AGG_APPROX_COUNT_DISTINCT, "agg %u", i);
		cr_expect_eq(p->aggs[i].type, SL_TYPE_BIGINT, "agg %u", i);
		cr_expect_str_eq(p->aggs[i].name, want[i].name, "agg %u", i);
		cr_expect_eq(p->aggs[i].rsd, want[i].rsd, "agg %u", i);
	}
	cr_expect_eq(p->aggs[3].arg->type, SL_TYPE_INT, "a bare NULL is an INT that is always null");
	cr_assert_eq(p->out_schema.ncols, 6);
	const char *names[] = {"approx_count_distinct(s)", "a1", "approx_count_distinct(s)",
			       "approx_count_distinct(d)", "approx_count_distinct(NULL)", "count(1)"};
	for (uint32_t i = 0; i < 6; i++) {
		cr_expect_str_eq(p->out_schema.cols[i].name, names[i], "column %u", i);
		cr_expect_eq(p->out_schema.cols[i].type, SL_TYPE_BIGINT, "column %u", i);
	}
	sl_program_free(prog);

#define ACD_PRE NUMS "CREATE SINK o WITH (connector = 'console', output_mode = 'complete')\nAS SELECT "
	static const struct err_case errors[] = {
		{ACD_PRE "approx_count_distinct(s, 0.5) FROM nums",
		 "line 3, column 36: HLL++ requires at least 4 bits for addressing. Use a lower error, "
		 "at most 39%."},
		{ACD_PRE "approx_count_distinct(s, -0.01) FROM nums",
		 "line 3, column 36: HLL++ requires at least 4 bits for addressing. Use a lower error, "
		 "at most 39%."},
		{ACD_PRE "approx_count_distinct(s, 1) FROM nums",
		 "line 3, column 36: The second argument should be a double literal."},
		{ACD_PRE "approx_count_distinct(s, d) FROM nums",
		 "line 3, column 36: The second argument should be a double literal."},
		{ACD_PRE "approx_count_distinct(s, 0.001) FROM nums",
		 "line 3, column 36: approx_count_distinct: a relative error of 0.001 needs 2^21 "
		 "registers per group; sluice keeps at most 2^18 (209720 bytes per group): use an "
		 "error of at least 0.0022"},
		{ACD_PRE "approx_count_distinct() FROM nums",
		 "line 3, column 11: approx_count_distinct expects 1 or 2 arguments, got 0"},
		{ACD_PRE "approx_count_distinct(s, 0.1, 2) FROM nums",
		 "line 3, column 11: approx_count_distinct expects 1 or 2 arguments, got 3"},
		{ACD_PRE "approx_count_distinct(*) FROM nums",
		 "line 3, column 33: '*' is only allowed as count(*), not in approx_count_distinct(...)"},
		{ACD_PRE "approx_count_distinct(DISTINCT s) FROM nums",
		 "line 3, column 11: Distinct aggregations are not supported on streaming "
		 "DataFrames/Datasets. Consider using approx_count_distinct() instead."},
		{ACD_PRE "count(DISTINCT s) FROM nums",
		 "line 3, column 11: Distinct aggregations are not supported on streaming "
		 "DataFrames/Datasets. Consider using approx_count_distinct() instead."},
		{ACD_PRE "approx_count_distinct(approx_count_distinct(s)) FROM nums",
		 "line 3, column 33: It is not allowed to use an aggregate function in the argument of "
		 "another aggregate function. Please use the inner aggregate function in a sub-query."},
	};
#undef ACD_PRE
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		compile_err(errors[i].sql, errors[i].msg, "approx_count_distinct error");
}

Test(plan, interval_and_window_casts_and_aggregates)
{
	struct sl_program *p = compile_ok(
		SALES_WM "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS\n"
			 "SELECT store, max(ts - t2) AS gap, min(INTERVAL '1' HOUR), "
			 "CAST(min(ts - t2) AS STRING) AS s FROM sales GROUP BY store");
	const struct sl_plan *pl = p->plans[0];
	cr_expect_eq(pl->out_schema.cols[1].type, SL_TYPE_INTERVAL);
	cr_expect_eq(pl->out_schema.cols[3].type, SL_TYPE_STRING);
	sl_program_free(p);
	compile_err(SALES_WM "CREATE SINK o WITH (connector = 'console') AS SELECT CAST(INTERVAL '1' "
			     "HOUR AS INT) FROM sales",
		    "line 2, column 54: cannot cast INTERVAL DAY TO SECOND to INT", "interval to int");
	compile_err(SALES_WM "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS "
			     "SELECT store, min(window(ts, '5 minutes')) FROM sales GROUP BY store",
		    "line 2, column 87: min of an STRUCT<start: TIMESTAMP, end: TIMESTAMP> is not "
		    "supported",
		    "min of a window");
}

Test(plan, session_window_plans)
{
	/* the session key goes last whatever the GROUP BY order; no combiner */
	struct sl_program *p = compile_ok(
		SALES_WM "CREATE SINK o WITH (connector = 'console', output_mode = 'append') AS\n"
			 "SELECT session_window(ts, '5 minutes'), store, count(*) FROM sales\n"
			 "GROUP BY session_window(ts, '5 minutes'), store");
	const struct sl_plan *pl = p->plans[0];
	cr_expect(pl->session);
	cr_expect(pl->window_on_event_time);
	cr_assert_eq(pl->nkeys, 2);
	cr_expect_eq(pl->window_key, 1);
	cr_expect_eq(pl->key_schema.cols[1].type, SL_TYPE_WINDOW);
	cr_expect_eq(pl->key_schema.cols[0].type, SL_TYPE_INT);
	cr_expect_str_eq(pl->out_schema.cols[0].name, "session_window");
	cr_expect_eq(pl->out_schema.cols[0].type, SL_TYPE_WINDOW);
	cr_expect_eq(pl->out_schema.cols[1].type, SL_TYPE_INT);
	sl_program_free(p);

	compile_err(SALES_WM "CREATE SINK o WITH (connector = 'console') AS SELECT session_window(ts, "
			     "'5 minutes') FROM sales",
		    "line 2, column 54: session_window is only supported as a GROUP BY key and in the "
		    "select list of that aggregation",
		    "session outside GROUP BY");
	compile_err(SALES_WM "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS "
			     "SELECT count(*) FROM sales GROUP BY session_window(ts, store)",
		    "line 2, column 128: cannot resolve 'session_window(ts, store)' due to data type "
		    "mismatch: the gap must be a duration literal such as '5 minutes' or an INTERVAL, "
		    "not INT",
		    "session gap of a number");
	compile_err(SALES_WM "CREATE SINK o WITH (connector = 'console', output_mode = 'update') AS "
			     "SELECT store, count(*) FROM sales GROUP BY store, session_window(ts, '1 "
			     "minute')",
		    "line 2, column 58: Update output mode not supported for session window on "
		    "streaming DataFrames/DataSets",
		    "session in update mode");
}

Test(plan, session_window_needs_another_key)
{
	compile_err(SALES_WM "CREATE SINK o WITH (connector = 'console', output_mode = 'append') AS "
			     "SELECT count(*) FROM sales GROUP BY session_window(ts, '1 minute')",
		    "line 2, column 98: Global aggregation with session window in streaming query is "
		    "not supported.",
		    "a session without other keys");
}

/* UNION ALL: each query an input of its own; columns by position, named as
 * the first input's, types widened; what the enclosing query does runs in
 * every input; the event time is the first input's column. */
Test(plan, union_all_inputs)
{
	static const char src[] =
		"CREATE SOURCE a (ts TIMESTAMP, word STRING, n INT) WITH (connector = 'socket', "
		"port = 1) WATERMARK ts DELAY '10 minutes';\n"
		"CREATE SOURCE b (t TIMESTAMP, w STRING, m BIGINT) WITH (connector = 'socket', "
		"port = 2) WATERMARK t DELAY '5 minutes';\n"
		"CREATE SOURCE c (v STRING) WITH (connector = 'socket', port = 3);\n";
	char sql[2048];
	snprintf(sql, sizeof(sql),
		 "%sSET multiple_watermark_policy = 'max';\n"
		 "CREATE SINK o WITH (connector = 'console', output_mode = 'append') AS\n"
		 "SELECT window(ts, '10 minutes') AS win, word, sum(n) AS s FROM (\n"
		 "  SELECT ts, word, n FROM a UNION ALL SELECT t, w, m FROM b WHERE m > 0)\n"
		 "WHERE word <> 'x' GROUP BY window(ts, '10 minutes'), word",
		 src);
	struct sl_program *p = compile_ok(sql);
	const struct sl_plan *pl = p->plans[0];
	cr_assert_eq(sl_plan_ninputs(pl), 2);
	cr_expect_eq(pl->settings.wm_policy, SL_WM_POLICY_MAX);
	cr_expect_str_eq(sl_plan_input(pl, 0)->source.name, "a");
	cr_expect_str_eq(sl_plan_input(pl, 1)->source.name, "b");
	cr_expect_eq(sl_plan_input(pl, 1)->source.watermark_col, 0);
	cr_expect_eq(sl_plan_input(pl, 1)->source.watermark_delay_us, 300000000LL);
	cr_expect(pl->window_on_event_time);
	/* a: n widened to BIGINT (a cast projection), then the outer WHERE
	 * and the window's null filter */
	const struct sl_input *a = sl_plan_input(pl, 0), *b = sl_plan_input(pl, 1);
	cr_assert_eq(a->nops, 3);
	cr_expect_eq(a->ops[0].kind, SL_OP_PROJECT);
	cr_expect_eq(a->ops[0].exprs[2]->fn, SL_FN_CAST);
	cr_expect_eq(a->ops[0].exprs[2]->type, SL_TYPE_BIGINT);
	cr_expect_str_eq(a->ops[0].out.cols[2].name, "n");
	cr_expect_eq(a->ops[1].kind, SL_OP_FILTER);
	cr_expect_eq(a->ops[2].kind, SL_OP_FILTER);
	/* b: its own WHERE, no cast, then copies of the same two filters */
	cr_assert_eq(b->nops, 3);
	cr_expect_eq(b->ops[0].kind, SL_OP_FILTER);
	cr_expect_eq(b->ops[1].kind, SL_OP_FILTER);
	cr_expect_eq(b->ops[2].kind, SL_OP_FILTER);
	cr_expect_neq(b->ops[1].pred, a->ops[1].pred, "copies, not shared trees");
	cr_expect_eq(b->pipeline_out.ncols, 3);
	cr_expect_eq(b->pipeline_out.cols[2].type, SL_TYPE_BIGINT);
	cr_expect_eq(a->pipeline_out.cols[2].type, SL_TYPE_BIGINT);
	cr_expect_eq(pl->aggs[0].type, SL_TYPE_BIGINT);
	sl_program_free(p);

	/* a sink's query may be a union itself; nested unions flatten into
	 * inputs; INT and STRING widen to STRING; a source without a
	 * WATERMARK is an input like any other */
	snprintf(sql, sizeof(sql),
		 "%sCREATE SINK o WITH (connector = 'console') AS\n"
		 "SELECT word, n FROM a UNION ALL SELECT v, v FROM c UNION ALL\n"
		 "SELECT x, y FROM (SELECT w AS x, 7 AS y FROM b UNION ALL SELECT v, v FROM c2)",
		 src);
	char *two = strstr(sql, "CREATE SINK");
	char full[2400];
	snprintf(full, sizeof(full), "%.*sCREATE SOURCE c2 (v STRING) WITH (connector = 'socket', "
		 "port = 4);\n%s", (int)(two - sql), sql, two);
	p = compile_ok(full);
	pl = p->plans[0];
	cr_assert_eq(sl_plan_ninputs(pl), 4);
	cr_expect_str_eq(sl_plan_input(pl, 3)->source.name, "c2");
	for (uint32_t k = 0; k < 4; k++) {
		const struct sl_input *in = sl_plan_input(pl, k);
		cr_expect_eq(in->pipeline_out.ncols, 2, "input %u", k);
		cr_expect_eq(in->pipeline_out.cols[1].type, SL_TYPE_STRING, "input %u", k);
	}
	cr_expect_str_eq(pl->out_schema.cols[0].name, "word");
	cr_expect_str_eq(pl->out_schema.cols[1].name, "n");
	cr_expect_eq(pl->out_schema.cols[1].type, SL_TYPE_STRING);
	char *text = sl_plan_explain(pl);
	cr_assert_not_null(text);
	cr_expect(strstr(text, "+- Union") != NULL, "%s", text);
	cr_expect(strstr(text, "Source c2: socket") != NULL, "%s", text);
	free(text);
	sl_program_free(p);

	/* Spark's configuration name, any case; min is the default */
	p = compile_ok("SET spark.sql.streaming.multipleWatermarkPolicy = 'Max'; CREATE SOURCE s "
		       "(value STRING) WITH (connector = 'socket', port = 1); CREATE SINK o WITH "
		       "(connector = 'console') AS SELECT value FROM s");
	cr_expect_eq(p->plans[0]->settings.wm_policy, SL_WM_POLICY_MAX);
	sl_program_free(p);
	p = compile_ok("CREATE SOURCE s (value STRING) WITH (connector = 'socket', port = 1); "
		       "CREATE SINK o WITH (connector = 'console') AS SELECT value FROM s");
	cr_expect_eq(p->plans[0]->settings.wm_policy, SL_WM_POLICY_MIN);
	cr_expect_eq(sl_plan_ninputs(p->plans[0]), 1);
	sl_program_free(p);
}

Test(plan, union_all_errors)
{
	static const char src[] =
		"CREATE SOURCE a (ts TIMESTAMP, word STRING, n INT) WITH (connector = 'socket', "
		"port = 1);\n"
		"CREATE SOURCE b (t TIMESTAMP, w STRING, m BIGINT) WITH (connector = 'socket', "
		"port = 2);\n";
	static const struct {
		const char *query, *want;
	} cases[] = {
		{"SELECT ts, word FROM a UNION ALL SELECT t FROM b",
		 "line 3, column 80: UNION can only be performed on inputs with the same number of "
		 "columns, but the first input has 2 columns and the second input has 1 columns"},
		{"SELECT ts FROM a UNION ALL SELECT m FROM b",
		 "line 3, column 74: UNION can only be performed on inputs with compatible column "
		 "types: the first column (m) of the second input is BIGINT, which is not "
		 "compatible with TIMESTAMP at the same column of the first input"},
		{"SELECT word FROM a UNION SELECT w FROM b",
		 "line 3, column 66: UNION removes duplicate rows, which a stream cannot do without "
		 "keeping every row; write UNION ALL, and GROUP BY the columns to count duplicates"},
		{"SELECT word FROM a UNION DISTINCT SELECT w FROM b",
		 "line 3, column 66: UNION DISTINCT removes duplicate rows, which a stream cannot do "
		 "without keeping every row; write UNION ALL, and GROUP BY the columns to count "
		 "duplicates"},
		{"SELECT word FROM a UNION ALL SELECT w FROM b GROUP BY w",
		 "line 3, column 76: the second input of a UNION ALL aggregates: an input of a "
		 "union must be stateless; aggregate over the union instead, as in SELECT ... FROM "
		 "(SELECT ... UNION ALL SELECT ...) GROUP BY ..."},
		{"SELECT word FROM a LIMIT 3 UNION ALL SELECT w FROM b",
		 "line 3, column 66: LIMIT inside a UNION ALL is not supported: select from the "
		 "union in a derived table and put LIMIT on that query"},
		{"SELECT word FROM a UNION ALL SELECT word FROM a",
		 "line 1, column 1: source 'a' is read by two inputs of one UNION ALL; each input "
		 "reads a source of its own (declare the source twice under two names)"},
		{"SELECT word FROM a UNION ALL SELECT w FROM nope",
		 "line 3, column 90: unknown source 'nope' (sources: a, b)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char sql[1024];
		snprintf(sql, sizeof(sql), "%sCREATE SINK o WITH (connector = 'console') AS %s", src,
			 cases[i].query);
		compile_err(sql, cases[i].want, cases[i].query);
	}
	compile_err("SET multiple_watermark_policy = 'median'",
		    "line 1, column 33: multiple_watermark_policy must be 'min' or 'max', not "
		    "'median'",
		    "bad policy");
	/* more inputs than the engine takes */
	char sql[4096];
	size_t used = 0;
	for (int i = 0; i <= SL_PLAN_MAX_INPUTS; i++)
		used += (size_t)snprintf(sql + used, sizeof(sql) - used,
					 "CREATE SOURCE s%d (v STRING) WITH (connector = 'socket', "
					 "port = %d);\n",
					 i, i + 1);
	used += (size_t)snprintf(sql + used, sizeof(sql) - used,
				 "CREATE SINK o WITH (connector = 'console') AS SELECT v FROM s0");
	for (int i = 1; i <= SL_PLAN_MAX_INPUTS; i++)
		used += (size_t)snprintf(sql + used, sizeof(sql) - used, " UNION ALL SELECT v FROM s%d",
					 i);
	struct sl_settings s = two_cpus();
	struct sl_program *p = NULL;
	char err[1024] = "";
	cr_expect_eq(sl_sql_compile(sql, &s, &p, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "a query reads at most 16 inputs") != NULL, "%s", err);
}

/* ------------------------------------------------ stream-static joins */

#define EVENTS                                                                                     \
	"CREATE SOURCE events (ts TIMESTAMP, ad_id STRING, event_type STRING, n INT) WITH "        \
	"(connector = 'socket', port = 1) WATERMARK ts DELAY '10 seconds';\n"
#define CAMPAIGNS                                                                                  \
	"CREATE TABLE campaigns (ad_id STRING, campaign_id STRING, weight BIGINT) WITH "           \
	"(connector = 'file', path = 'ads.csv', format = 'csv', header = true);\n"

/* The query's plan, compiled after EVENTS and CAMPAIGNS (lines 1 and 2;
 * the sink on line 3). */
static struct sl_program *join_ok(const char *query)
{
	char sql[2048];
	snprintf(sql, sizeof(sql),
		 EVENTS CAMPAIGNS "CREATE SINK o WITH (connector = 'console', output_mode = "
				  "'update') AS %s",
		 query);
	return compile_ok(sql);
}

static const struct sl_op *only_join(const struct sl_plan *p)
{
	for (uint32_t i = 0; i < p->nops; i++)
		if (p->ops[i].kind == SL_OP_JOIN_STATIC)
			return &p->ops[i];
	cr_assert_fail("no join in the plan");
	return NULL;
}

static const char *srcs_of(const struct sl_op *op, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < op->out.ncols; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u", i ? "," : "",
					 op->join->src[i]);
	return buf;
}

Test(plan, join_yahoo_streaming_benchmark_plan)
{
	char b[512];
	struct sl_program *prog = join_ok(
		"SELECT window(ts, '10 seconds') AS w, campaign_id, count(*) AS n FROM events e JOIN "
		"campaigns c ON e.ad_id = c.ad_id WHERE event_type = 'view' GROUP BY 1, 2");
	const struct sl_plan *p = prog->plans[0];
	cr_assert_eq(p->ntables, 1);
	const struct sl_table_spec *t = &p->tables[0];
	cr_expect_str_eq(t->def.name, "campaigns");
	cr_expect_str_eq(t->def.connector, "file");
	cr_expect_eq(t->def.line, 2);
	cr_expect_eq(t->def.watermark_col, -1);
	cr_expect(t->data == NULL, "loaded at start, not by the planner");
	cr_assert_eq(t->def.options.n, 3, "connector is not passed on");
	cr_expect_str_eq(t->def.options.v[0].key, "path");
	cr_expect_str_eq(t->def.options.v[0].value, "ads.csv");
	cr_expect_str_eq(names_of(&t->def.schema, b, sizeof(b)), "ad_id|campaign_id|weight");
	cr_expect_eq(t->def.schema.cols[2].type, SL_TYPE_BIGINT);

	cr_assert_eq(p->nops, 3);
	const struct sl_op *op = &p->ops[0];
	cr_assert_eq(op->kind, SL_OP_JOIN_STATIC);
	const struct sl_join *j = op->join;
	cr_expect_eq(j->table, 0);
	cr_expect_eq(j->type, SL_JOIN_INNER);
	cr_expect(!j->build_left);
	cr_assert_eq(j->nkeys, 1);
	cr_expect_str_eq(dump(j->probe[0], b, sizeof(b)), "#1");
	cr_expect_str_eq(dump(j->build[0], b, sizeof(b)), "#0");
	cr_expect(j->residual == NULL);
	cr_expect_eq(j->nin, 4);
	cr_expect(j->index == NULL);
	cr_expect_str_eq(srcs_of(op, b, sizeof(b)), "0,1,2,3,4,5,6");
	cr_expect_str_eq(names_of(&op->out, b, sizeof(b)),
			 "ts|ad_id|event_type|n|ad_id|campaign_id|weight");
	cr_expect_eq(op->out.cols[6].type, SL_TYPE_BIGINT);
	cr_expect_eq(p->ops[1].kind, SL_OP_FILTER, "WHERE after the join");
	cr_expect_str_eq(dump(p->ops[1].pred, b, sizeof(b)), "eq(#2,'view')");
	cr_expect_eq(p->ops[2].kind, SL_OP_FILTER, "the window's null filter");
	cr_expect(p->window_on_event_time, "the stream's watermark column stays its event time");
	cr_expect_str_eq(names_of(&p->key_schema, b, sizeof(b)), "w|campaign_id");
	cr_expect_str_eq(dump(p->keys[1], b, sizeof(b)), "#5");
	cr_expect_str_eq(names_of(&p->out_schema, b, sizeof(b)), "w|campaign_id|n");

	char *text = sl_plan_explain(p);
	cr_assert_not_null(text);
	static const char want[] =
		"== Physical Plan ==\n"
		"Sink o: console, output mode update, trigger default (each batch when the last is "
		"done), num_rows=20, truncate=20  [control thread]\n"
		"+- Project [w, campaign_id, count(1) AS n]  [agg core 1]\n"
		"   +- Aggregate keys=[window(ts, 10000000, 10000000, 0) AS w, campaign_id], "
		"functions=[count(1)], state: a hash table per shard, 1 shard  [agg core 1]\n"
		"      +- Exchange hashpartitioning(w, campaign_id, 1)  [ingest core 0 -> agg core 1]\n"
		"         +- PartialAggregate keys=[window(ts, 10000000, 10000000, 0) AS w, "
		"campaign_id], functions=[partial_count(1)]  [ingest core 0]\n"
		"            +- Filter (ts IS NOT NULL)  [ingest core 0]\n"
		"               +- Filter (event_type = view)  [ingest core 0]\n"
		"                  +- BroadcastHashJoin [ad_id], [ad_id], Inner, BuildRight, table "
		"campaigns (file 'ads.csv', format csv)  [ingest core 0]\n"
		"                     +- Source events: socket, port='1', schema=(ts TIMESTAMP, ad_id "
		"STRING, event_type STRING, n INT)  [ingest core 0]\n";
	cr_expect_str_eq(text, want, "got:\n%s", text);
	free(text);
	sl_program_free(prog);
}

Test(plan, join_keys_types_and_residual)
{
	char b[512];
	/* keys unified by Spark's comparison rules: INT meets BIGINT as BIGINT,
	 * a STRING meets a BIGINT as BIGINT; either order; several keys; the
	 * other conjuncts (one side only, both sides, not =) are the residual */
	struct sl_program *prog = join_ok(
		"SELECT * FROM events e JOIN campaigns c ON c.weight = e.n AND e.ad_id = "
		"c.weight AND c.campaign_id <> 'x' AND e.n < c.weight AND e.event_type = 'view'");
	const struct sl_join *j = only_join(prog->plans[0])->join;
	cr_assert_eq(j->nkeys, 2);
	cr_expect_str_eq(dump(j->probe[0], b, sizeof(b)), "cast<BIGINT>(#3)");
	cr_expect_str_eq(dump(j->build[0], b, sizeof(b)), "#2");
	cr_expect_str_eq(dump(j->probe[1], b, sizeof(b)), "cast<BIGINT>(#1)");
	cr_expect_str_eq(dump(j->build[1], b, sizeof(b)), "#2");
	cr_assert(j->residual != NULL);
	cr_expect_str_eq(dump(j->residual, b, sizeof(b)),
			 "and(and(ne(#5,'x'),lt(cast<BIGINT>(#3),#6)),eq(#2,'view'))");
	check_typed(j->residual);
	char *text = sl_plan_explain(prog->plans[0]);
	cr_expect(strstr(text, "BroadcastHashJoin [CAST(n AS BIGINT), CAST(ad_id AS BIGINT)], "
			       "[weight, weight], Inner, BuildRight, (((NOT (campaign_id = x)) AND "
			       "(CAST(n AS BIGINT) < weight)) AND (event_type = view)), table "
			       "campaigns") != NULL,
		  "%s", text);
	free(text);
	sl_program_free(prog);

	/* an expression of each side may be a key */
	prog = join_ok("SELECT e.ad_id FROM events e JOIN campaigns c ON lower(e.ad_id) = "
		       "upper(c.ad_id)");
	j = only_join(prog->plans[0])->join;
	cr_assert_eq(j->nkeys, 1);
	cr_expect_str_eq(dump(j->probe[0], b, sizeof(b)), "lower(#1)");
	cr_expect_str_eq(dump(j->build[0], b, sizeof(b)), "upper(#0)");
	sl_program_free(prog);
}

Test(plan, join_types_and_output_columns)
{
	char b[512];
	struct {
		const char *query;
		enum sl_join_type type;
		bool build_left;
		const char *srcs, *names, *out;
	} cases[] = {
		/* ON: left's columns, then right's, as written */
		{"SELECT * FROM events LEFT JOIN campaigns ON events.ad_id = campaigns.ad_id",
		 SL_JOIN_LEFT_OUTER, false, "0,1,2,3,4,5,6",
		 "ts|ad_id|event_type|n|ad_id|campaign_id|weight",
		 "ts|ad_id|event_type|n|ad_id|campaign_id|weight"},
		{"SELECT * FROM events e LEFT OUTER JOIN campaigns c ON e.ad_id = c.ad_id",
		 SL_JOIN_LEFT_OUTER, false, "0,1,2,3,4,5,6", NULL, NULL},
		{"SELECT * FROM campaigns c JOIN events e ON e.ad_id = c.ad_id", SL_JOIN_INNER, true,
		 "4,5,6,0,1,2,3", "ad_id|campaign_id|weight|ts|ad_id|event_type|n", NULL},
		{"SELECT * FROM campaigns c RIGHT OUTER JOIN events e ON e.ad_id = c.ad_id",
		 SL_JOIN_RIGHT_OUTER, true, "4,5,6,0,1,2,3", NULL, NULL},
		/* USING: the keys (the left's; the right's for RIGHT JOIN),
		 * each side's others, and the other side's keys hidden */
		{"SELECT * FROM events e JOIN campaigns c USING (ad_id)", SL_JOIN_INNER, false,
		 "1,0,2,3,5,6,4", "ad_id|ts|event_type|n|campaign_id|weight|ad_id",
		 "ad_id|ts|event_type|n|campaign_id|weight"},
		{"SELECT * FROM events e LEFT JOIN campaigns c USING (ad_id)", SL_JOIN_LEFT_OUTER,
		 false, "1,0,2,3,5,6,4", NULL, "ad_id|ts|event_type|n|campaign_id|weight"},
		{"SELECT * FROM campaigns c JOIN events e USING (ad_id)", SL_JOIN_INNER, true,
		 "4,5,6,0,2,3,1", "ad_id|campaign_id|weight|ts|event_type|n|ad_id",
		 "ad_id|campaign_id|weight|ts|event_type|n"},
		{"SELECT * FROM campaigns c RIGHT JOIN events e USING (ad_id)", SL_JOIN_RIGHT_OUTER,
		 true, "1,5,6,0,2,3,4", "ad_id|campaign_id|weight|ts|event_type|n|ad_id", NULL},
		{"SELECT * FROM events e JOIN campaigns c USING (AD_ID, ad_id)", SL_JOIN_INNER, false,
		 "1,1,0,2,3,5,6,4,4", NULL, NULL},
		/* more keys than columns: bug using_keys_overflow_output_columns */
		{"SELECT ts FROM events e JOIN campaigns c USING (ad_id, ad_id, ad_id, ad_id, ad_id, "
		 "ad_id, ad_id, ad_id, ad_id, ad_id, ad_id)",
		 SL_JOIN_INNER, false, "1,1,1,1,1,1,1,1,1,1,1,0,2,3,5,6,4,4,4,4,4,4,4,4,4,4,4", NULL,
		 "ts"},
		/* semi and anti joins: the stream's columns */
		{"SELECT * FROM events e LEFT SEMI JOIN campaigns c ON e.ad_id = c.ad_id",
		 SL_JOIN_LEFT_SEMI, false, "0,1,2,3", "ts|ad_id|event_type|n", NULL},
		{"SELECT * FROM events e SEMI JOIN campaigns c USING (ad_id)", SL_JOIN_LEFT_SEMI,
		 false, "1,0,2,3", "ad_id|ts|event_type|n", NULL},
		{"SELECT * FROM events e LEFT ANTI JOIN campaigns c USING (ad_id)", SL_JOIN_LEFT_ANTI,
		 false, "1,0,2,3", NULL, NULL},
		/* qualified references, the hidden key, qualified stars */
		{"SELECT e.ad_id, c.ad_id AS cad, ad_id AS k, c.* FROM events e JOIN campaigns c "
		 "USING (ad_id)",
		 SL_JOIN_INNER, false, NULL, NULL, "ad_id|cad|k|campaign_id|weight|ad_id"},
		{"SELECT events.ts, campaigns.campaign_id FROM events JOIN campaigns USING (ad_id)",
		 SL_JOIN_INNER, false, NULL, NULL, "ts|campaign_id"},
		/* a cross join with an equality is an inner join */
		{"SELECT ts FROM events e CROSS JOIN campaigns c ON e.ad_id = c.ad_id", SL_JOIN_INNER,
		 false, NULL, NULL, "ts"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_program *prog = join_ok(cases[i].query);
		const struct sl_plan *p = prog->plans[0];
		const struct sl_op *op = only_join(p);
		cr_expect_eq(op->join->type, cases[i].type, "%s", cases[i].query);
		cr_expect_eq(op->join->build_left, cases[i].build_left, "%s", cases[i].query);
		if (cases[i].srcs != NULL)
			cr_expect_str_eq(srcs_of(op, b, sizeof(b)), cases[i].srcs, "%s", cases[i].query);
		if (cases[i].names != NULL)
			cr_expect_str_eq(names_of(&op->out, b, sizeof(b)), cases[i].names, "%s",
					 cases[i].query);
		if (cases[i].out != NULL)
			cr_expect_str_eq(names_of(&p->out_schema, b, sizeof(b)), cases[i].out, "%s",
					 cases[i].query);
		sl_program_free(prog);
	}

	/* which column the qualified names reach: c.ad_id is the table's key */
	struct sl_program *prog = join_ok("SELECT e.ad_id, c.ad_id, ad_id FROM events e LEFT JOIN "
					  "campaigns c USING (ad_id)");
	const struct sl_plan *p = prog->plans[0];
	cr_assert_eq(p->nops, 1);
	cr_assert_eq(p->nout, 3);
	cr_expect_str_eq(dump(p->out[0], b, sizeof(b)), "#0");
	cr_expect_str_eq(dump(p->out[1], b, sizeof(b)), "#6");
	cr_expect_str_eq(dump(p->out[2], b, sizeof(b)), "#0");
	sl_program_free(prog);
}

Test(plan, join_chains_unions_and_derived_tables)
{
	char b[512];
	static const char more[] =
		EVENTS CAMPAIGNS
		"CREATE TABLE names (campaign_id STRING, name STRING) WITH (connector = 'file', path "
		"= 'names.json', format = 'json');\n"
		"CREATE SOURCE clicks (t TIMESTAMP, ad STRING) WITH (connector = 'socket', port = 2) "
		"WATERMARK t DELAY '1 minute';\n";
	char sql[2048];
	/* a chain: each join one op, the second's keys over the first's output */
	snprintf(sql, sizeof(sql),
		 "%sCREATE SINK o WITH (connector = 'console') AS SELECT e.ad_id, nm.name FROM "
		 "events e JOIN campaigns c ON e.ad_id = c.ad_id LEFT JOIN names nm ON "
		 "c.campaign_id = nm.campaign_id",
		 more);
	struct sl_program *prog = compile_ok(sql);
	const struct sl_plan *p = prog->plans[0];
	cr_assert_eq(p->ntables, 2);
	cr_assert_eq(p->nops, 2);
	cr_expect_eq(p->ops[0].join->table, 0);
	cr_expect_eq(p->ops[1].kind, SL_OP_JOIN_STATIC);
	cr_expect_eq(p->ops[1].join->table, 1);
	cr_expect_eq(p->ops[1].join->type, SL_JOIN_LEFT_OUTER);
	cr_expect_eq(p->ops[1].join->nin, 7);
	cr_expect_str_eq(dump(p->ops[1].join->probe[0], b, sizeof(b)), "#5");
	cr_expect_str_eq(names_of(&p->out_schema, b, sizeof(b)), "ad_id|name");
	sl_program_free(prog);

	/* a join in each input of a UNION ALL: one table, each input its own
	 * join; a join over a union: repeated in every input */
	snprintf(sql, sizeof(sql),
		 "%sCREATE SINK o WITH (connector = 'console', output_mode = 'update') AS SELECT "
		 "campaign_id, count(*) FROM (SELECT ad_id, campaign_id FROM events JOIN campaigns "
		 "USING (ad_id) UNION ALL SELECT ad, campaign_id FROM clicks k JOIN campaigns c ON "
		 "k.ad = c.ad_id) GROUP BY campaign_id",
		 more);
	prog = compile_ok(sql);
	p = prog->plans[0];
	cr_assert_eq(sl_plan_ninputs(p), 2);
	cr_expect_eq(p->ntables, 1, "one table, read once");
	cr_expect_eq(sl_plan_input(p, 0)->ops[0].kind, SL_OP_JOIN_STATIC);
	cr_expect_eq(sl_plan_input(p, 1)->ops[0].kind, SL_OP_JOIN_STATIC);
	cr_expect_eq(sl_plan_input(p, 1)->ops[0].join->table, 0);
	sl_program_free(prog);

	snprintf(sql, sizeof(sql),
		 "%sCREATE SINK o WITH (connector = 'console', output_mode = 'append') AS SELECT "
		 "window(ts, '1 minute') AS w, name, count(*) FROM (SELECT ts, ad_id FROM events "
		 "UNION ALL SELECT t, ad FROM clicks) u JOIN campaigns c USING (ad_id) JOIN names "
		 "USING (campaign_id) GROUP BY 1, 2",
		 more);
	prog = compile_ok(sql);
	p = prog->plans[0];
	cr_expect(p->window_on_event_time, "u.ts keeps the first input's event time");
	for (uint32_t k = 0; k < 2; k++) {
		const struct sl_input *in = sl_plan_input(p, k);
		uint32_t joins = 0;
		for (uint32_t i = 0; i < in->nops; i++)
			joins += in->ops[i].kind == SL_OP_JOIN_STATIC;
		cr_expect_eq(joins, 2, "input %u has both joins", k);
	}
	cr_expect_neq(sl_plan_input(p, 1)->ops[1].join, sl_plan_input(p, 0)->ops[1].join,
		      "copies, not shared");
	char *text = sl_plan_explain(p);
	cr_expect(strstr(text, "BroadcastHashJoin [campaign_id], [campaign_id], Inner, BuildRight, "
			       "table names (file 'names.json', format json)") != NULL,
		  "%s", text);
	free(text);
	sl_program_free(prog);

	/* the stream may be a derived table; the table may come first */
	snprintf(sql, sizeof(sql),
		 "%sCREATE SINK o WITH (connector = 'console') AS SELECT c.campaign_id, x.k FROM "
		 "campaigns c RIGHT JOIN (SELECT upper(ad_id) AS k FROM events WHERE n > 0) x ON "
		 "x.k = c.ad_id",
		 more);
	prog = compile_ok(sql);
	p = prog->plans[0];
	cr_assert_eq(p->nops, 3);
	cr_expect_eq(p->ops[0].kind, SL_OP_FILTER);
	cr_expect_eq(p->ops[1].kind, SL_OP_PROJECT);
	cr_expect_eq(p->ops[2].join->type, SL_JOIN_RIGHT_OUTER);
	cr_expect_str_eq(names_of(&p->ops[2].out, b, sizeof(b)), "ad_id|campaign_id|weight|k");
	sl_program_free(prog);
}

Test(plan, join_errors)
{
	static const struct {
		const char *query, *want;
	} cases[] = {
		{"SELECT ad_id FROM events e JOIN campaigns c ON e.ad_id = c.ad_id",
		 "line 3, column 78: [AMBIGUOUS_REFERENCE] Reference `ad_id` is ambiguous, could be: "
		 "[`e`.`ad_id`, `c`.`ad_id`]; qualify it with its table's name or alias (t.name)"},
		{"SELECT * FROM events e JOIN campaigns c ON ad_id = c.ad_id",
		 "line 3, column 114: [AMBIGUOUS_REFERENCE] Reference `ad_id` is ambiguous, could be: "
		 "[`e`.`ad_id`, `c`.`ad_id`]; qualify it with its table's name or alias (t.name)"},
		{"SELECT * FROM events e JOIN events f ON e.ad_id = f.ad_id",
		 "line 3, column 99: joining two streams is not supported yet ('events' is a "
		 "source): a stream-stream join keeps both sides' rows as state, which sluice does "
		 "not do yet; join a stream with a static table (CREATE TABLE), or combine streams "
		 "with UNION ALL"},
		{"SELECT * FROM campaigns c LEFT JOIN events e ON e.ad_id = c.ad_id",
		 "line 3, column 97: LeftOuter join with a streaming DataFrame/Dataset on the right "
		 "and a static DataFrame/Dataset on the left is not supported; the static side's "
		 "unmatched rows would depend on rows yet to come; put the stream on the left (FROM "
		 "stream LEFT JOIN table), or write RIGHT JOIN to keep every stream row"},
		{"SELECT * FROM campaigns c LEFT SEMI JOIN events e ON e.ad_id = c.ad_id",
		 "line 3, column 97: LeftSemi join with a streaming DataFrame/Dataset on the right "
		 "and a static DataFrame/Dataset on the left is not supported; the static side's "
		 "unmatched rows would depend on rows yet to come; put the stream on the left (FROM "
		 "stream LEFT JOIN table), or write RIGHT JOIN to keep every stream row"},
		{"SELECT * FROM campaigns c ANTI JOIN events e USING (ad_id)",
		 "line 3, column 97: LeftAnti joins with a streaming DataFrame/Dataset on the right "
		 "are not supported; put the stream on the left (FROM stream LEFT ANTI JOIN table)"},
		{"SELECT * FROM campaigns c FULL OUTER JOIN events e USING (ad_id)",
		 "line 3, column 97: FullOuter joins with streaming DataFrames/Datasets on the right "
		 "and a static DataFrame/Dataset on the left is not supported; write RIGHT JOIN (or "
		 "FROM stream LEFT JOIN table) to keep every stream row"},
		{"SELECT * FROM events e RIGHT JOIN campaigns c USING (ad_id)",
		 "line 3, column 94: RightOuter join with a streaming DataFrame/Dataset on the left "
		 "and a static DataFrame/DataSet on the right not supported; a right join keeps every "
		 "row of the static table, which a stream cannot know to be unmatched; write the "
		 "stream's LEFT JOIN (FROM stream LEFT JOIN table) to keep every stream row"},
		{"SELECT * FROM events e FULL JOIN campaigns c USING (ad_id)",
		 "line 3, column 94: FullOuter joins with streaming DataFrames/Datasets on the left "
		 "and a static DataFrame/Dataset on the right is not supported; write LEFT JOIN to "
		 "keep every stream row"},
		{"SELECT * FROM events e JOIN campaigns c ON e.n < c.weight",
		 "line 3, column 118: the join condition has no equality between a column of the "
		 "stream and a column of table 'campaigns' (such as s.k = c.k): sluice joins a stream "
		 "with a table on equal keys; conditions without one (a nested-loop join) are not "
		 "supported"},
		{"SELECT * FROM events e JOIN campaigns c ON e.ad_id = 'a' AND c.ad_id = 'a'",
		 "line 3, column 128: the join condition has no equality between a column of the "
		 "stream and a column of table 'campaigns' (such as s.k = c.k): sluice joins a stream "
		 "with a table on equal keys; conditions without one (a nested-loop join) are not "
		 "supported"},
		{"SELECT * FROM events e CROSS JOIN campaigns c",
		 "line 3, column 94: CROSS JOIN without an equality condition is a cross join, which "
		 "is not supported: join the stream with table 'campaigns' on equal keys (ON s.k = "
		 "c.k, or USING (k))"},
		{"SELECT * FROM events LEFT JOIN campaigns",
		 "line 3, column 92: LEFT JOIN without an equality condition is a cross join, which "
		 "is not supported: join the stream with table 'campaigns' on equal keys (ON s.k = "
		 "campaigns.k, or USING (k))"},
		{"SELECT * FROM events e JOIN campaigns c USING (nope)",
		 "line 3, column 118: [UNRESOLVED_USING_COLUMN_FOR_JOIN] USING column `nope` cannot be "
		 "resolved on the left side of the join. The left-side columns: [`ad_id`, "
		 "`event_type`, `n`, `ts`]"},
		{"SELECT * FROM events e JOIN campaigns c USING (event_type)",
		 "line 3, column 118: [UNRESOLVED_USING_COLUMN_FOR_JOIN] USING column `event_type` "
		 "cannot be resolved on the right side of the join. The right-side columns: "
		 "[`ad_id`, `campaign_id`, `weight`]"},
		{"SELECT * FROM events e JOIN campaigns c ON e.ad_id = c.ad_id JOIN campaigns d USING "
		 "(ts)",
		 "line 3, column 156: [UNRESOLVED_USING_COLUMN_FOR_JOIN] USING column `ts` cannot be "
		 "resolved on the right side of the join. The right-side columns: [`ad_id`, "
		 "`campaign_id`, `weight`]"},
		{"SELECT * FROM campaigns",
		 "line 3, column 85: table 'campaigns' is static: a query reads a stream; join the "
		 "table with a source (FROM source JOIN campaigns ON ...)"},
		{"SELECT * FROM (SELECT * FROM campaigns) x JOIN events USING (ad_id)",
		 "line 3, column 100: table 'campaigns' is static: a query reads a stream; join the "
		 "table with a source (FROM source JOIN campaigns ON ...)"},
		{"SELECT * FROM campaigns c JOIN campaigns d USING (ad_id)",
		 "line 3, column 102: joining two static tables ('campaigns' and 'campaigns') is not "
		 "supported: join each table with the stream (FROM stream JOIN campaigns ON ... JOIN "
		 "campaigns ON ...)"},
		{"SELECT * FROM events e JOIN (SELECT * FROM events) x USING (ad_id)",
		 "line 3, column 99: a derived table on the right of a join is not supported: join "
		 "the stream with a table by its name (JOIN t ON ...); joins of two streams are not "
		 "supported yet"},
		{"SELECT * FROM events e JOIN nope c USING (ad_id)",
		 "line 3, column 99: unknown source or table 'nope' (sources: events; tables: "
		 "campaigns)"},
		{"SELECT * FROM (SELECT ad_id, count(*) AS k FROM events GROUP BY ad_id) a JOIN "
		 "campaigns USING (ad_id)",
		 "line 3, column 144: a join after an aggregation is not supported: join the stream "
		 "with the table first, then aggregate (the join runs on the ingest cores, before the "
		 "exchange)"},
		{"SELECT * FROM events e JOIN campaigns c ON e.n",
		 "line 3, column 114: join condition 'n' of type INT is not a boolean: ON needs a "
		 "condition such as s.k = t.k"},
		{"SELECT * FROM events e JOIN campaigns c ON e.ad_id = c.ad_id AND count(*) > 1",
		 "line 3, column 136: aggregate functions are not allowed in a join condition, but "
		 "found count(1)"},
		{"SELECT * FROM events e JOIN campaigns c ON e.ad_id = explode(split(c.ad_id, ','))",
		 "line 3, column 124: Generators are not supported outside the SELECT clause, but "
		 "got: explode(split(ad_id, ,, -1))"},
		{"SELECT * FROM events e JOIN campaigns c ON e.ts = c.weight",
		 "line 3, column 119: cannot resolve '(ts = weight)' due to data type mismatch: "
		 "the left and right operands of the binary operator have incompatible types "
		 "(TIMESTAMP and BIGINT)"},
		{"SELECT * FROM events e JOIN campaigns c USING (ad_id) WHERE ts > c.ts",
		 "line 3, column 136: unknown column 'c.ts' (columns: ad_id, ts, event_type, n, "
		 "campaign_id, weight)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char sql[1024];
		snprintf(sql, sizeof(sql),
			 EVENTS CAMPAIGNS "CREATE SINK o WITH (connector = 'console', output_mode = "
					  "'update') AS %s",
			 cases[i].query);
		compile_err(sql, cases[i].want, cases[i].query);
	}
}

Test(plan, create_table_errors)
{
	static const struct {
		const char *sql, *want;
	} cases[] = {
		{EVENTS "CREATE TABLE events (a STRING) WITH (connector = 'file', path = 'x')",
		 "line 2, column 14: 'events' is already defined as a source at line 1, column 15; "
		 "sources and tables share one set of names"},
		{CAMPAIGNS "CREATE SOURCE campaigns (a STRING) WITH (connector = 'socket', port = 1)",
		 "line 2, column 15: 'campaigns' is already defined as a table at line 1, column 14; "
		 "sources and tables share one set of names"},
		{CAMPAIGNS "CREATE TABLE Campaigns (a STRING) WITH (connector = 'file', path = 'x')",
		 "line 2, column 14: table 'Campaigns' is already defined at line 1, column 14"},
		{"CREATE TABLE t (a STRING, A INT) WITH (connector = 'file', path = 'x')",
		 "line 1, column 27: column 'A' is defined twice in table 't'"},
		{"CREATE TABLE t (a STRING) WITH (path = 'x')",
		 "line 1, column 27: table 't' needs a connector: add connector = 'file' to WITH (...) "
		 "(a static table is read from files)"},
		{"CREATE TABLE t (a STRING) WITH (connector = 'kafka', path = 'x')",
		 "line 1, column 45: unknown table connector 'kafka': a static table is read from "
		 "files (connector = 'file')"},
		{"CREATE TABLE t (a STRING) WITH (connector = 'file')",
		 "line 1, column 1: table 't': a table needs a path: add path = '...' to WITH (...) (a "
		 "file, a directory whose files are all read, or a pattern such as 'tables/*.csv')"},
		{"CREATE TABLE t (a STRING) WITH (connector = 'file', path = '')",
		 "line 1, column 53: option 'path' of table 't' is empty"},
		{"CREATE TABLE t (a STRING) WITH (connector = 'file', path = 'x', format = 'parquet')",
		 "line 1, column 65: option 'format' of table 't' must be 'text', 'csv' or 'json', not "
		 "'parquet'"},
		{"CREATE TABLE t (a STRING) WITH (connector = 'file', path = 'x', max_files_per_trigger "
		 "= 1)",
		 "line 1, column 65: unknown option 'max_files_per_trigger' for table 't' (options: "
		 "path, format; options of format 'text': none)"},
		{"CREATE TABLE t (a STRING, b INT) WITH (connector = 'file', path = 'x')",
		 "line 1, column 1: format 'text' reads each line into one STRING column, as Spark's "
		 "text source: declare (value STRING), not 2 columns"},
		{"CREATE TABLE t (a STRING) WITH (connector = 'file', path = 'x', format = 'json', "
		 "header = true)",
		 "line 1, column 82: option 'header' is an option of format csv; format 'json' does "
		 "not take it (remove it, or change format)"},
		{"CREATE TABLE t (a STRING) WITH (connector = 'file', path = 'x', format = 'csv', mode "
		 "= 'lenient')",
		 "line 1, column 81: option 'mode' must be 'PERMISSIVE', 'DROPMALFORMED' or "
		 "'FAILFAST', not 'lenient'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		compile_err(cases[i].sql, cases[i].want, cases[i].sql);
	/* EXPLAIN takes no CREATE TABLE */
	compile_err("EXPLAIN CREATE TABLE t (a STRING) WITH (connector = 'file', path = 'x')",
		    "line 1, column 9: EXPLAIN takes CREATE SINK ... or SELECT ...", "explain table");
}

/* -------------------------------------------------------------- BINARY */

#define BINS                                                                                       \
	"CREATE SOURCE bins (x BINARY, s STRING, i INT, l BIGINT, d DOUBLE) WITH (connector = "     \
	"'socket', port = 1);\n"
/* the select list starts at line 3, column 11 */
#define BIN_PRE BINS "CREATE SINK o WITH (connector = 'console')\nAS SELECT "

static const struct cast_case binary_cases[] = {
	{"CAST(x AS STRING)", "cast<STRING>(#0)", SL_TYPE_STRING},
	{"CAST(s AS BINARY)", "cast<BINARY>(#1)", SL_TYPE_BINARY},
	{"CAST('hi' AS BINARY)", "X'6869'", SL_TYPE_BINARY},
	{"CAST(X'6869' AS STRING)", "'hi'", SL_TYPE_STRING},
	{"CAST(i AS BINARY)", "cast<BINARY>(#2)", SL_TYPE_BINARY},
	{"CAST(l AS BINARY)", "cast<BINARY>(#3)", SL_TYPE_BINARY},
	{"X'123'", "X'0123'", SL_TYPE_BINARY},
	{"x'00fF'", "X'00FF'", SL_TYPE_BINARY},
	{"X''", "X''", SL_TYPE_BINARY},
	/* a string compared with a binary is cast to BINARY (Spark's
	 * findCommonTypeForBinaryComparison) */
	{"x = 'hi'", "eq(#0,X'6869')", SL_TYPE_BOOLEAN},
	{"s <> x", "ne(cast<BINARY>(#1),#0)", SL_TYPE_BOOLEAN},
	{"x < X'00FF'", "lt(#0,X'00FF')", SL_TYPE_BOOLEAN},
	{"x >= x", "ge(#0,#0)", SL_TYPE_BOOLEAN},
	{"x IS NULL", "is_null(#0)", SL_TYPE_BOOLEAN},
	{"x IN (X'01', X'02')", "or(eq(#0,X'01'),eq(#0,X'02'))", SL_TYPE_BOOLEAN},
	{"length(x)", "length(#0)", SL_TYPE_INT},
	{"char_length(x)", "length(#0)", SL_TYPE_INT},
	/* string functions cast a binary to STRING (Spark's ImplicitTypeCasts) */
	{"upper(x)", "upper(cast<STRING>(#0))", SL_TYPE_STRING},
	{"x LIKE 'a%'", "like(cast<STRING>(#0),'a%')", SL_TYPE_BOOLEAN},
	/* concat of binaries alone is a BINARY, any other mix a STRING */
	{"concat(x, X'21')", "concat(#0,X'21')", SL_TYPE_BINARY},
	{"x || x", "concat(#0,#0)", SL_TYPE_BINARY},
	{"x || s", "concat(cast<STRING>(#0),#1)", SL_TYPE_STRING},
	{"substr(x, 2, 3)", "substr(#0,2i,3i)", SL_TYPE_BINARY},
	{"coalesce(x, X'01')", "coalesce(#0,X'01')", SL_TYPE_BINARY},
	{"if(i > 0, x, NULL)", "if(gt(#2,0i),#0,null:BINARY)", SL_TYPE_BINARY},
	{"CASE WHEN i > 0 THEN x END", "if(gt(#2,0i),#0,null:BINARY)", SL_TYPE_BINARY},
};

Test(plan, binary_types_as_spark)
{
	for (size_t i = 0; i < sizeof(binary_cases) / sizeof(binary_cases[0]); i++) {
		char sql[1024], b[512];
		snprintf(sql, sizeof(sql), BINS "CREATE SINK o WITH (connector = 'console') AS SELECT %s "
						"FROM bins;",
			 binary_cases[i].expr);
		struct sl_program *prog = compile_ok(sql);
		const struct sl_plan *p = prog->plans[0];
		cr_assert_eq(p->nout, 1);
		check_typed(p->out[0]);
		cr_expect_str_eq(dump(p->out[0], b, sizeof(b)), binary_cases[i].tree, "case %zu: %s", i,
				 binary_cases[i].expr);
		cr_expect_eq(p->out[0]->type, binary_cases[i].type, "case %zu: %s", i,
			     binary_cases[i].expr);
		sl_program_free(prog);
	}
}

static const struct err_case binary_errors[] = {
	{BIN_PRE "CAST(x AS INT) FROM bins",
	 "line 3, column 11: cannot cast BINARY to INT; a BINARY casts only to and from STRING (and "
	 "from INT or BIGINT): go through CAST(... AS STRING)"},
	{BIN_PRE "CAST(d AS BINARY) FROM bins",
	 "line 3, column 11: cannot cast DOUBLE to BINARY; a BINARY casts only to and from STRING "
	 "(and from INT or BIGINT): go through CAST(... AS STRING)"},
	{BIN_PRE "CAST(x AS TIMESTAMP) FROM bins",
	 "line 3, column 11: cannot cast BINARY to TIMESTAMP; a BINARY casts only to and from STRING "
	 "(and from INT or BIGINT): go through CAST(... AS STRING)"},
	{BIN_PRE "x + 1 FROM bins",
	 "line 3, column 13: cannot resolve '(x + 1)' due to data type mismatch: the left and right "
	 "operands of the binary operator have incompatible types (BINARY and INT)"},
	{BIN_PRE "-x FROM bins",
	 "line 3, column 11: cannot resolve '(- x)' due to data type mismatch: unary minus needs a "
	 "number, not BINARY"},
	{BIN_PRE "x = 1 FROM bins",
	 "line 3, column 13: cannot resolve '(x = 1)' due to data type mismatch: the left and right "
	 "operands of the binary operator have incompatible types (BINARY and INT)"},
	/* Spark's stringPromotion leaves BINARY out */
	{BIN_PRE "coalesce(x, s) FROM bins",
	 "line 3, column 11: cannot resolve 'coalesce(x, s)' due to data type mismatch: the values "
	 "must all have one type, but they are BINARY, STRING"},
	{BIN_PRE "x IN (X'01', 'a') FROM bins",
	 "line 3, column 13: cannot resolve '(x IN (X'01', a))' due to data type mismatch: the values "
	 "must all have one type, but they are BINARY, BINARY, STRING"},
	{BIN_PRE "X'4G' FROM bins",
	 "line 3, column 12: the binary literal X'4G' holds 'G', which is not a hex digit: write two "
	 "hex digits (0-9, A-F) per byte"},
	{BINS "CREATE SINK o WITH (connector = 'console', output_mode = 'update')\nAS SELECT sum(x) "
	      "FROM bins",
	 "line 3, column 11: cannot resolve 'sum(x)' due to data type mismatch: function sum "
	 "requires numeric types, not BINARY"},
	{BINS "CREATE SINK o WITH (connector = 'console', output_mode = 'update')\nAS SELECT avg(x) "
	      "FROM bins",
	 "line 3, column 11: cannot resolve 'avg(x)' due to data type mismatch: function avg "
	 "requires numeric types, not BINARY"},
	{"CREATE TABLE t (k BINARY) WITH (connector = 'file', path = '/nonexistent', format = "
	 "'json');\n",
	 "line 1, column 17: column 'k' of table 't' is BINARY: a table's columns are BOOLEAN, INT, "
	 "BIGINT, DOUBLE, STRING or TIMESTAMP"},
};

Test(plan, binary_errors)
{
	for (size_t i = 0; i < sizeof(binary_errors) / sizeof(binary_errors[0]); i++) {
		char what[32];
		snprintf(what, sizeof(what), "case %zu", i);
		compile_err(binary_errors[i].sql, binary_errors[i].msg, what);
	}
}

Test(plan, binary_group_keys_and_min_max)
{
	struct sl_program *prog = compile_ok(
		BINS "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS SELECT x, "
		     "min(x), max(x), count(x), approx_count_distinct(x) FROM bins GROUP BY x;");
	const struct sl_plan *p = prog->plans[0];
	cr_assert_eq(p->nkeys, 1);
	cr_expect_eq(p->keys[0]->type, SL_TYPE_BINARY);
	cr_assert_eq(p->naggs, 4);
	cr_expect_eq(p->aggs[0].type, SL_TYPE_BINARY, "min of a BINARY is one");
	cr_expect_eq(p->aggs[1].type, SL_TYPE_BINARY, "max of a BINARY is one");
	cr_expect_eq(p->aggs[2].type, SL_TYPE_BIGINT);
	cr_expect_eq(p->aggs[3].type, SL_TYPE_BIGINT);
	cr_expect_eq(p->out_schema.cols[0].type, SL_TYPE_BINARY);
	cr_expect_eq(p->out_schema.cols[1].type, SL_TYPE_BINARY);
	sl_program_free(prog);
}

/* ------------------------------------------------- Kafka headers */

static const struct sl_source_ops fake_kafka = {.name = "kafka"};

#define KAFKA_H                                                                                    \
	"CREATE SOURCE k (value BINARY, headers ARRAY<STRUCT<key: STRING, value: BINARY>>)\n"     \
	"  WITH (connector = 'kafka');\n"

/* The headers column (ARRAY<STRUCT<key: STRING, value: BINARY>>) as Spark
 * types it: explode gives the struct, h.key a STRING, h.value a BINARY,
 * size an INT; the whole column may be output (record blocks carry it). */
Test(plan, kafka_headers_resolve_as_spark)
{
	sl_source_register(&fake_kafka);
	struct sl_program *p =
		compile_ok(KAFKA_H "CREATE SINK o WITH (connector = 'console') AS\n"
				   "SELECT h, h.key, h.value, CAST(h.value AS STRING) AS v, size(headers) "
				   "FROM (SELECT headers, explode(headers) AS h FROM k)");
	const struct sl_plan *pl = p->plans[0];
	cr_assert_eq(pl->out_schema.ncols, 5);
	cr_expect_eq(pl->out_schema.cols[0].type, SL_TYPE_HEADER);
	cr_expect_str_eq(pl->out_schema.cols[1].name, "key");
	cr_expect_eq(pl->out_schema.cols[1].type, SL_TYPE_STRING);
	cr_expect_eq(pl->out[1]->fn, SL_FN_HEADER_KEY);
	cr_expect_str_eq(pl->out_schema.cols[2].name, "value");
	cr_expect_eq(pl->out_schema.cols[2].type, SL_TYPE_BINARY);
	cr_expect_eq(pl->out[2]->fn, SL_FN_HEADER_VALUE);
	cr_expect_eq(pl->out_schema.cols[3].type, SL_TYPE_STRING);
	cr_expect_eq(pl->out_schema.cols[4].type, SL_TYPE_INT);
	char err[512] = "";
	cr_expect_eq(sl_plan_check_runnable(pl, err, sizeof(err)), 0, "%s", err);
	sl_program_free(p);

	p = compile_ok(KAFKA_H "CREATE SINK o WITH (connector = 'console') AS SELECT headers FROM k");
	pl = p->plans[0];
	cr_expect_eq(pl->out_schema.cols[0].type, SL_TYPE_ARRAY);
	cr_expect_eq(pl->out_schema.cols[0].elem_type, SL_TYPE_HEADER);
	cr_expect_eq(sl_plan_check_runnable(pl, err, sizeof(err)), 0, "%s", err);
	sl_program_free(p);

	/* count(h) plans, but no aggregate state holds a struct */
	p = compile_ok(KAFKA_H "CREATE SINK o WITH (connector = 'console', output_mode = "
			       "'complete') AS SELECT count(h) FROM (SELECT explode(headers) AS h "
			       "FROM k)");
	cr_expect_eq(sl_plan_check_runnable(p->plans[0], err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "line 3, column 86: aggregate 'count(h)' takes a STRUCT<key: STRING, "
			      "value: BINARY>: sluice cannot aggregate structs yet; aggregate one of "
			      "its fields (h.key)");
	sl_program_free(p);
}

Test(plan, kafka_headers_refusals)
{
	sl_source_register(&fake_kafka);
#define EXPLODED "FROM (SELECT explode(headers) AS h FROM k)"
	static const struct {
		const char *sql, *want;
	} c[] = {
		{KAFKA_H "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS\n"
			 "SELECT headers, count(*) FROM k GROUP BY headers",
		 "line 4, column 42: cannot group by 'headers' of type ARRAY<STRUCT<key: STRING, value: "
		 "BINARY>>: group keys must be scalar values; explode the array first"},
		{KAFKA_H "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS\n"
			 "SELECT h, count(*) " EXPLODED " GROUP BY h",
		 "line 4, column 72: cannot group by 'h' of type STRUCT<key: STRING, value: BINARY>: "
		 "group keys must be scalar values; sluice does not group by a header struct (Spark "
		 "does): group by its fields, h.key and h.value"},
		{KAFKA_H "CREATE SINK o WITH (connector = 'console') AS\n"
			 "SELECT CAST(h AS STRING) " EXPLODED,
		 "line 4, column 8: cannot cast STRUCT<key: STRING, value: BINARY> to STRING: sluice "
		 "does not cast a header struct; take its fields, h.key and CAST(h.value AS STRING)"},
		{KAFKA_H "CREATE SINK o WITH (connector = 'console') AS\n"
			 "SELECT h " EXPLODED " WHERE h = h",
		 "line 4, column 61: cannot resolve '(h = h)': sluice compares no STRUCT<key: STRING, "
		 "value: BINARY> values (Spark does); compare their elements or fields (h.key, "
		 "size(a))"},
		{KAFKA_H "CREATE SINK o WITH (connector = 'console') AS\n"
			 "SELECT upper(h) " EXPLODED,
		 "line 4, column 14: upper expects STRING arguments, got STRUCT<key: STRING, value: "
		 "BINARY>"},
		{KAFKA_H "CREATE SINK o WITH (connector = 'console', output_mode = 'complete') AS\n"
			 "SELECT max(h) " EXPLODED,
		 "line 4, column 8: max of an STRUCT<key: STRING, value: BINARY> is not supported"},
		{KAFKA_H "CREATE SINK o WITH (connector = 'console') AS\n"
			 "SELECT h.size " EXPLODED,
		 "line 4, column 8: No such struct field size in key, value: 'h' is a Kafka header, "
		 "STRUCT<key: STRING, value: BINARY>"},
		{"CREATE SOURCE s (a ARRAY<STRING>) WITH (connector = 'socket');\n"
		 "CREATE SINK o WITH (connector = 'console') AS SELECT a FROM s",
		 "line 1, column 18: column 'a' of source 's' is ARRAY<STRING>: only the kafka "
		 "source's headers column (include_headers = true) is an array; declare a scalar "
		 "type"},
		{"CREATE SOURCE s (a STRUCT<key: STRING, value: BINARY>) WITH (connector = 'kafka')",
		 "line 1, column 20: sluice has one STRUCT type, the Kafka header, and only as the "
		 "element of the headers column: ARRAY<STRUCT<key: STRING, value: BINARY>>"},
		{"CREATE SOURCE s (a ARRAY<STRUCT<k: STRING, value: BINARY>>) WITH (connector = "
		 "'kafka')",
		 "line 1, column 26: sluice's only STRUCT type is Spark's Kafka header, STRUCT<key: "
		 "STRING, value: BINARY>, not STRUCT<k: STRING, value: BINARY>"},
		{"CREATE SOURCE s (a ARRAY<STRUCT<key: STRING, value: BINARY, x INT>>) WITH "
		 "(connector = 'kafka')",
		 "line 1, column 59: sluice's only STRUCT type is Spark's Kafka header, STRUCT<key: "
		 "STRING, value: BINARY>, with two fields"},
		{"CREATE SOURCE s (a ARRAY<STRING) WITH (connector = 'kafka')",
		 "line 1, column 32: expected '>' after the element type of ARRAY<...>, found ')'"},
	};
#undef EXPLODED
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		compile_err(c[i].sql, c[i].want, "a headers refusal");
}

/* ---- what a source may skip: unread columns, the WHERE's conjuncts ---- */

/* The source filters of the first input as "col op literal; ..." */
static void filters_text(const struct sl_source_spec *src, char *buf, size_t n)
{
	size_t at = 0;
	buf[0] = '\0';
	for (uint32_t k = 0; k < src->nfilters && at < n; k++) {
		const struct sl_source_filter *f = &src->filters[k];
		char lit[80] = "";
		if (f->op != SL_FN_IS_NULL && f->op != SL_FN_IS_NOT_NULL) {
			switch (f->lit.type) {
			case SL_TYPE_DOUBLE: snprintf(lit, sizeof(lit), " %g", f->lit.v.f64); break;
			case SL_TYPE_STRING:
			case SL_TYPE_BINARY: snprintf(lit, sizeof(lit), " '%.*s'", (int)f->len, f->str); break;
			case SL_TYPE_BOOLEAN: snprintf(lit, sizeof(lit), " %d", f->lit.v.b); break;
			default: snprintf(lit, sizeof(lit), " %lld", (long long)f->lit.v.i64); break;
			}
			snprintf(lit + strlen(lit), sizeof(lit) - strlen(lit), ":%s",
				 sl_type_name(f->lit.type));
		}
		at += (size_t)snprintf(buf + at, n - at, "%s#%u %s%s", k ? "; " : "", f->col,
				       fn_name(f->op), lit);
	}
}

struct push_case {
	const char *query; /* over NUMS: i INT, l BIGINT, d DOUBLE, s STRING, b BOOLEAN, ts TIMESTAMP */
	uint64_t unread;
	const char *filters;
};

Test(plan, sources_learn_unread_columns_and_where_conjuncts)
{
	const struct push_case cases[] = {
		{"SELECT i FROM nums WHERE l >= 5 AND 7 > l AND s = 'x'", 0x34,
		 "#1 ge 5:BIGINT; #1 lt 7:BIGINT; #3 eq 'x':STRING"},
		{"SELECT * FROM nums WHERE l BETWEEN -3 AND 2 * 5", 0,
		 "#1 ge -3:BIGINT; #1 le 10:BIGINT"},
		/* renamed by a derived table; an OR is no conjunct */
		{"SELECT k FROM (SELECT l AS k, s AS v FROM nums) q WHERE k < 100 AND (v = 'a' OR k = 3)",
		 0x35, "#1 lt 100:BIGINT"},
		{"SELECT l FROM nums WHERE i IS NULL AND ts > '2024-01-01' AND s IS NOT NULL", 0x14,
		 "#0 is_null; #5 gt 1704067200000000:TIMESTAMP; #3 is_not_null"},
		/* an INT compared as DOUBLE and as BIGINT; not: IN, <>, NOT, a
		 * function of the column, column op column, a NULL literal */
		{"SELECT b FROM nums WHERE i > 2.5 AND i < 3000000000 AND i IN (1, 2) AND l <> 1 "
		 "AND NOT (l = 2) AND l + 1 > 3 AND d = d AND l = CAST('x' AS BIGINT)",
		 0x28, "#0 gt 2.5:DOUBLE; #0 lt 3000000000:BIGINT"},
		/* a column made by a projection is not the source's */
		{"SELECT k FROM (SELECT l + 1 AS k, s FROM nums) q WHERE k = 5 AND s >= 'm'", 0x35,
		 "#3 ge 'm':STRING"},
		/* through an explode: the input's columns pass */
		{"SELECT w FROM (SELECT explode(split(s, ' ')) AS w, l FROM nums) q WHERE l = 1 AND w = 'a'",
		 0x35, "#1 eq 1:BIGINT"},
		{"SELECT 1 AS one FROM nums", 0x3f, ""},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char text[1024];
		snprintf(text, sizeof(text), NUMS "CREATE SINK o WITH (connector = 'console') AS %s;",
			 cases[k].query);
		struct sl_program *prog = compile_ok(text);
		const struct sl_source_spec *src = &prog->plans[0]->source;
		char got[1024];
		filters_text(src, got, sizeof(got));
		cr_expect_eq(src->unread_cols, cases[k].unread, "%s: unread 0x%llx", cases[k].query,
			     (unsigned long long)src->unread_cols);
		cr_expect_str_eq(got, cases[k].filters, "%s", cases[k].query);
		sl_program_free(prog);
	}
	/* a WATERMARK: its column is read, and no conjunct is handed over
	 * (rows the WHERE drops still move the watermark) */
	struct sl_program *prog = compile_ok(
		SALES_WM "CREATE SINK o WITH (connector = 'console', output_mode = 'update') AS "
			 "SELECT store, count(*) AS n FROM sales WHERE store = 3 GROUP BY store;");
	const struct sl_source_spec *src = &prog->plans[0]->source;
	cr_expect_eq(src->unread_cols, 0x1a, "unread 0x%llx", (unsigned long long)src->unread_cols);
	cr_expect_eq(src->nfilters, 0);
	sl_program_free(prog);
}
