/*
 * test_sql_parse.c — the parser: statement shapes, WITH options, SET
 * values, query clauses, operator precedence (through Spark's pretty text,
 * which is also how unaliased columns are named), and the exact messages of
 * syntax errors.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sql_parse.h"

static struct sl_script *parse_ok(const char *text)
{
	struct sl_script *s = NULL;
	char err[512] = "";
	int rc = sl_sql_parse(text, &s, err, sizeof(err));
	cr_assert_eq(rc, 0, "parse failed: %s\n%s", err, text);
	return s;
}

/* Spark's pretty text of the first select item of EXPLAIN SELECT <e> FROM t. */
static void pretty_of(const char *expr, char *out, size_t len)
{
	char text[1024];
	snprintf(text, sizeof(text), "EXPLAIN SELECT %s FROM t", expr);
	struct sl_script *s = parse_ok(text);
	struct sl_strbuf sb;
	sl_strbuf_init(&sb);
	cr_assert_eq(sl_ast_pretty(s->stmts[0]->query->items[0].expr, &sb), 0);
	snprintf(out, len, "%.*s", (int)sb.len, sb.ptr);
	sl_strbuf_free(&sb);
	sl_script_free(s);
}

struct pretty_case {
	const char *expr;
	const char *pretty;
};

static const struct pretty_case pretty_cases[] = {
	{"a + b * c", "(a + (b * c))"},
	{"(a + b) * c", "((a + b) * c)"},
	{"a - b - c", "((a - b) - c)"},
	{"a / b % c", "((a / b) % c)"},
	{"a OR b AND NOT c = d", "(a OR (b AND (NOT (c = d))))"},
	{"NOT a AND b", "((NOT a) AND b)"},
	{"a = 1 OR b < 2", "((a = 1) OR (b < 2))"},
	{"a + 1 > b * 2", "((a + 1) > (b * 2))"},
	{"-x", "(- x)"},
	{"-1", "-1"},
	{"1 - -2", "(1 - -2)"},
	{"+x", "x"},
	{"- 1.50", "-1.50"},
	{".5", "0.5"},
	{"007", "7"},
	{"1.", "1"},
	{"1e3", "1000.0"},
	{"2D", "2.0"},
	{"12L", "12"},
	{"2147483648", "2147483648"},
	{"a || b || c", "concat(concat(a, b), c)"},
	{"a || b = c", "(concat(a, b) = c)"},
	{"x IS NULL", "(x IS NULL)"},
	{"x IS NOT NULL", "(x IS NOT NULL)"},
	{"x LIKE 'a%'", "x LIKE a%"},
	{"x NOT LIKE 'a%'", "(NOT x LIKE a%)"},
	{"x RLIKE '^a'", "RLIKE(x, ^a)"},
	{"x REGEXP 'b+'", "RLIKE(x, b+)"},
	{"x NOT RLIKE 'b'", "(NOT RLIKE(x, b))"},
	{"x BETWEEN 1 AND 3", "((x >= 1) AND (x <= 3))"},
	{"x NOT BETWEEN 1 AND 3", "(NOT ((x >= 1) AND (x <= 3)))"},
	{"x IN (1, 2)", "(x IN (1, 2))"},
	{"x NOT IN ('a')", "(NOT (x IN (a)))"},
	{"a <> b", "(NOT (a = b))"},
	{"a != b", "(NOT (a = b))"},
	{"a == b", "(a = b)"},
	{"a >= b", "(a >= b)"},
	{"count(*)", "count(1)"},
	{"COUNT(1)", "count(1)"},
	{"count(x)", "count(x)"},
	{"count(DISTINCT x)", "count(DISTINCT x)"},
	{"Sum(amount)", "sum(amount)"},
	{"avg(x)", "avg(x)"},
	{"mean(x)", "mean(x)"},
	{"split(value, ' ')", "split(value,  , -1)"},
	{"split(value, ',', 2)", "split(value, ,, 2)"},
	{"substr(s, 2)", "substr(s, 2, 2147483647)"},
	{"substring(s, 2, 3)", "substring(s, 2, 3)"},
	{"LCASE(x)", "lcase(x)"},
	{"lower(word)", "lower(word)"},
	{"if(a, 1, 2)", "(IF(a, 1, 2))"},
	{"coalesce(a, NULL)", "coalesce(a, NULL)"},
	{"CASE WHEN a THEN 1 ELSE 2 END", "CASE WHEN a THEN 1 ELSE 2 END"},
	{"CASE WHEN a > 1 THEN 'x' WHEN b THEN 'y' END", "CASE WHEN (a > 1) THEN x WHEN b THEN y END"},
	{"CASE x WHEN 1 THEN 'a' END", "CASE WHEN (x = 1) THEN a END"},
	{"CAST(x AS bigint)", "CAST(x AS BIGINT)"},
	{"cast(x as varchar(10))", "CAST(x AS STRING)"},
	{"t.x", "x"},
	{"`odd name`", "odd name"},
	{"'a' 'b'", "ab"},
	{"TRUE AND NULL", "(true AND NULL)"},
	{"explode(split(value, ' '))", "explode(split(value,  , -1))"},
};

Test(sql_parse, precedence_and_spark_names)
{
	for (size_t i = 0; i < sizeof(pretty_cases) / sizeof(pretty_cases[0]); i++) {
		char got[512];
		pretty_of(pretty_cases[i].expr, got, sizeof(got));
		cr_expect_str_eq(got, pretty_cases[i].pretty, "case %zu: %s", i, pretty_cases[i].expr);
	}
}

Test(sql_parse, literal_types)
{
	struct sl_script *s = parse_ok("EXPLAIN SELECT 1, 2147483647, 2147483648, -2147483648, "
				       "9223372036854775807, 99999999999999999999, 1.5, 'x', true, "
				       "NULL, 3L FROM t");
	const struct sl_query *q = s->stmts[0]->query;
	static const enum sl_type want[] = {SL_TYPE_INT,    SL_TYPE_INT,    SL_TYPE_BIGINT,
					    SL_TYPE_INT,    SL_TYPE_BIGINT, SL_TYPE_DOUBLE,
					    SL_TYPE_DOUBLE, SL_TYPE_STRING, SL_TYPE_BOOLEAN,
					    SL_TYPE_NULL,   SL_TYPE_BIGINT};
	cr_assert_eq(q->nitems, sizeof(want) / sizeof(want[0]));
	for (uint32_t i = 0; i < q->nitems; i++) {
		cr_expect_eq(q->items[i].expr->kind, SL_AST_LITERAL, "item %u", i);
		cr_expect_eq(q->items[i].expr->lit.type, want[i], "item %u", i);
	}
	cr_expect_eq(q->items[3].expr->lit.v.i64, INT32_MIN);
	cr_expect_eq(q->items[4].expr->lit.v.i64, INT64_MAX);
	cr_expect(q->items[9].expr->lit.is_null);
	sl_script_free(s);
}

Test(sql_parse, seed_statements)
{
	struct sl_script *s = parse_ok(
		"CREATE SOURCE lines (value STRING)\n"
		"  WITH (connector = 'socket', host = 'localhost', port = 9994);\n"
		"\n"
		"CREATE SINK word_counts\n"
		"  WITH (connector = 'console', output_mode = 'complete', trigger = '1 second')\n"
		"AS SELECT word, count(*) AS count\n"
		"   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)\n"
		"   GROUP BY word;\n");
	cr_assert_eq(s->nstmts, 2);
	const struct sl_stmt *src = s->stmts[0];
	cr_expect_eq(src->kind, SL_STMT_CREATE_SOURCE);
	cr_expect_str_eq(src->name, "lines");
	cr_expect(src->has_columns);
	cr_assert_eq(src->ncols, 1);
	cr_expect_str_eq(src->cols[0].name, "value");
	cr_expect_eq(src->cols[0].type, SL_TYPE_STRING);
	cr_assert_eq(src->noptions, 3);
	cr_expect_str_eq(src->options[0].key, "connector");
	cr_expect_str_eq(src->options[0].value, "socket");
	cr_expect_str_eq(src->options[2].key, "port");
	cr_expect_str_eq(src->options[2].value, "9994");
	cr_expect_eq(src->options[2].line, 2);
	cr_expect_eq(src->options[2].column, 51);
	cr_expect_eq(src->options[2].value_column, 58);

	const struct sl_stmt *snk = s->stmts[1];
	cr_expect_eq(snk->kind, SL_STMT_CREATE_SINK);
	cr_expect(!snk->explain);
	cr_expect_str_eq(snk->name, "word_counts");
	cr_expect_eq(snk->line, 4);
	cr_assert_eq(snk->noptions, 3);
	cr_expect_str_eq(snk->options[2].value, "1 second");
	const struct sl_query *q = snk->query;
	cr_assert_eq(q->nitems, 2);
	cr_expect_str_eq(q->items[1].alias, "count");
	cr_expect_eq(q->items[1].expr->kind, SL_AST_CALL);
	cr_expect_str_eq(q->items[1].expr->name, "count");
	cr_expect_eq(q->items[1].expr->args[0]->kind, SL_AST_STAR);
	cr_expect(q->from.source == NULL);
	cr_assert(q->from.query != NULL);
	cr_expect(q->from.alias == NULL);
	cr_expect_str_eq(q->from.query->from.source, "lines");
	cr_expect_str_eq(q->from.query->items[0].alias, "word");
	cr_assert_eq(q->ngroup, 1);
	cr_expect_str_eq(q->group[0]->name, "word");
	cr_expect_eq(q->group_line, 8);
	cr_expect_eq(q->group_column, 4);
	sl_script_free(s);
}

Test(sql_parse, options_keys_and_values)
{
	struct sl_script *s = parse_ok("CREATE SOURCE k WITH (Connector = kafka, kafka.Bootstrap.servers = "
				       "'h:9092', 'quoted key' = \"v\", n = -5, f = 1.5, b = TRUE)");
	const struct sl_stmt *st = s->stmts[0];
	cr_expect(!st->has_columns);
	cr_assert_eq(st->noptions, 6);
	static const char *const keys[] = {"connector", "kafka.bootstrap.servers", "quoted key", "n",
					   "f", "b"};
	static const char *const vals[] = {"kafka", "h:9092", "v", "-5", "1.5", "TRUE"};
	for (int i = 0; i < 6; i++) {
		cr_expect_str_eq(st->options[i].key, keys[i]);
		cr_expect_str_eq(st->options[i].value, vals[i]);
	}
	sl_script_free(s);
}

Test(sql_parse, column_types_and_aliases)
{
	struct sl_script *s = parse_ok("CREATE SOURCE s (a BOOL, b INTEGER, c LONG, d FLOAT, e TEXT, "
				       "f TIMESTAMP, g VARCHAR(20), h int) WITH (connector = 'x')");
	static const enum sl_type want[] = {SL_TYPE_BOOLEAN, SL_TYPE_INT,       SL_TYPE_BIGINT,
					    SL_TYPE_DOUBLE,  SL_TYPE_STRING,    SL_TYPE_TIMESTAMP,
					    SL_TYPE_STRING,  SL_TYPE_INT};
	cr_assert_eq(s->stmts[0]->ncols, 8);
	for (int i = 0; i < 8; i++)
		cr_expect_eq(s->stmts[0]->cols[i].type, want[i], "column %d", i);
	sl_script_free(s);
}

/* Spark's DDL for the Kafka headers column, ':' optional as in Spark; an
 * ARRAY of a scalar; a static table's columns stay scalar. */
Test(sql_parse, array_and_header_column_types)
{
	struct sl_script *s = parse_ok(
		"CREATE SOURCE s (h ARRAY<STRUCT<key: STRING, value: BINARY>>, "
		"g array<struct<KEY string, Value binary>>, a ARRAY<BIGINT>, b INT) "
		"WITH (connector = 'x')");
	const struct sl_ast_coldef *c = s->stmts[0]->cols;
	cr_assert_eq(s->stmts[0]->ncols, 4);
	cr_expect(c[0].type == SL_TYPE_ARRAY && c[0].elem_type == SL_TYPE_HEADER);
	cr_expect(c[1].type == SL_TYPE_ARRAY && c[1].elem_type == SL_TYPE_HEADER);
	cr_expect(c[2].type == SL_TYPE_ARRAY && c[2].elem_type == SL_TYPE_BIGINT);
	cr_expect(c[3].type == SL_TYPE_INT && c[3].elem_type == SL_TYPE_NULL);
	sl_script_free(s);

	struct sl_script *t = NULL;
	char err[512] = "";
	cr_expect_eq(sl_sql_parse("CREATE TABLE t (a ARRAY<STRING>) WITH (connector = 'file')", &t,
				  err, sizeof(err)),
		     -EINVAL);
	cr_expect_str_eq(err, "line 1, column 19: unknown type 'ARRAY' (types: BOOLEAN, INT, BIGINT, "
			      "DOUBLE, STRING, TIMESTAMP)");
}

Test(sql_parse, create_table)
{
	struct sl_script *s = parse_ok(
		"CREATE TABLE campaigns (ad_id STRING, campaign_id STRING, weight DOUBLE)\n"
		"  WITH (connector = 'file', path = 'ads.csv', format = 'csv', header = true)");
	cr_assert_eq(s->nstmts, 1);
	const struct sl_stmt *t = s->stmts[0];
	cr_expect_eq(t->kind, SL_STMT_CREATE_TABLE);
	cr_expect_str_eq(t->name, "campaigns");
	cr_expect(t->has_columns);
	cr_assert_eq(t->ncols, 3);
	cr_expect_str_eq(t->cols[2].name, "weight");
	cr_expect_eq(t->cols[2].type, SL_TYPE_DOUBLE);
	cr_assert_eq(t->noptions, 4);
	cr_expect_str_eq(t->options[3].key, "header");
	cr_expect_str_eq(t->options[3].value, "true");
	cr_expect(t->query == NULL);
	sl_script_free(s);
}

Test(sql_parse, join_chains_types_and_conditions)
{
	struct sl_script *s = parse_ok(
		"EXPLAIN SELECT * FROM events AS e\n"
		"  JOIN a ON e.k = a.k\n"
		"  INNER JOIN b USING (k, `odd col`)\n"
		"  LEFT JOIN c cc ON e.k = cc.k AND cc.v > 1\n"
		"  LEFT OUTER JOIN d\n"
		"  RIGHT OUTER JOIN f ON true\n"
		"  FULL JOIN g ON 1 = 1\n"
		"  LEFT SEMI JOIN h USING (k)\n"
		"  ANTI JOIN i USING (k)\n"
		"  CROSS JOIN j\n"
		"  JOIN (SELECT * FROM x) dt ON 1 = 1\n"
		"  LATERAL VIEW explode(split(k, ' ')) lv AS w\n"
		"  WHERE e.k <> ''");
	const struct sl_query *q = s->stmts[0]->query;
	cr_expect_str_eq(q->from.source, "events");
	cr_expect_str_eq(q->from.alias, "e");
	cr_assert_eq(q->njoins, 10);
	static const enum sl_ast_join want[] = {
		SL_AJOIN_INNER, SL_AJOIN_INNER,     SL_AJOIN_LEFT,      SL_AJOIN_LEFT,
		SL_AJOIN_RIGHT, SL_AJOIN_FULL,      SL_AJOIN_LEFT_SEMI, SL_AJOIN_LEFT_ANTI,
		SL_AJOIN_CROSS, SL_AJOIN_INNER,
	};
	for (uint32_t i = 0; i < q->njoins; i++)
		cr_expect_eq(q->joins[i].type, want[i], "join %u", i);
	cr_expect_str_eq(q->joins[0].item.source, "a");
	cr_expect(q->joins[0].on != NULL && !q->joins[0].has_using);
	cr_expect_eq(q->joins[0].line, 2);
	cr_expect_eq(q->joins[0].column, 3);
	cr_expect(q->joins[1].has_using);
	cr_assert_eq(q->joins[1].nusing, 2);
	cr_expect_str_eq(q->joins[1].using[1].name, "odd col");
	cr_expect_eq(q->joins[1].using[0].line, 3);
	cr_expect_eq(q->joins[1].using[0].column, 23);
	cr_expect_str_eq(q->joins[2].item.alias, "cc");
	cr_expect(q->joins[3].on == NULL && !q->joins[3].has_using, "LEFT OUTER JOIN d has no condition");
	cr_expect(q->joins[3].item.alias == NULL);
	cr_expect(q->joins[9].item.query != NULL);
	cr_expect_str_eq(q->joins[9].item.alias, "dt");
	cr_assert_eq(q->nlaterals, 1, "LATERAL VIEW follows the joins");
	cr_expect(q->where != NULL);
	sl_script_free(s);
}

Test(sql_parse, join_words_are_no_implicit_alias)
{
	/* Spark's strictNonReserved: NATURAL, SEMI, ANTI and USING end a FROM
	 * item instead of naming it */
	struct sl_script *s = parse_ok("EXPLAIN SELECT * FROM t SEMI JOIN u USING (k)");
	const struct sl_query *q = s->stmts[0]->query;
	cr_expect(q->from.alias == NULL);
	cr_assert_eq(q->njoins, 1);
	cr_expect_eq(q->joins[0].type, SL_AJOIN_LEFT_SEMI);
	cr_expect(q->joins[0].item.alias == NULL, "USING is not u's alias");
	sl_script_free(s);
	s = parse_ok("EXPLAIN SELECT * FROM t AS semi JOIN u AS using ON semi.k = using.k");
	q = s->stmts[0]->query;
	cr_expect_str_eq(q->from.alias, "semi", "after AS any word is an alias");
	cr_expect_str_eq(q->joins[0].item.alias, "using");
	sl_script_free(s);
}

Test(sql_parse, set_values)
{
	struct sl_script *s = parse_ok("SET shards = 8; SET ingest_cores = 0-3; SET agg_cores = '4,6'; "
				       "set spark.sql.shuffle.partitions = 2; SET agg_cores = 0, 2, 4-5");
	cr_assert_eq(s->nstmts, 5);
	cr_expect_eq(s->stmts[0]->kind, SL_STMT_SET);
	cr_expect_str_eq(s->stmts[0]->name, "shards");
	cr_expect_str_eq(s->stmts[0]->value, "8");
	cr_expect_str_eq(s->stmts[1]->value, "0-3");
	cr_expect_str_eq(s->stmts[2]->value, "4,6");
	cr_expect_str_eq(s->stmts[3]->name, "spark.sql.shuffle.partitions");
	cr_expect_str_eq(s->stmts[4]->value, "0, 2, 4-5");
	sl_script_free(s);
}

Test(sql_parse, query_clauses)
{
	struct sl_script *s = parse_ok(
		"EXPLAIN SELECT ALL t.*, w AS x, upper(w) y FROM src AS t\n"
		"  LATERAL VIEW explode(split(value, ' ')) v AS w\n"
		"  LATERAL VIEW explode(split(w, '-')) v2\n"
		"  WHERE length(w) > 0 GROUP BY 2, y HAVING count(*) > 1\n"
		"  ORDER BY x DESC, 1 NULLS LAST, y ASC NULLS FIRST LIMIT 10");
	const struct sl_stmt *st = s->stmts[0];
	cr_expect(st->explain);
	cr_expect_eq(st->kind, SL_STMT_SELECT);
	const struct sl_query *q = st->query;
	cr_assert_eq(q->nitems, 3);
	cr_expect_eq(q->items[0].expr->kind, SL_AST_STAR);
	cr_expect_str_eq(q->items[0].expr->qualifier, "t");
	cr_expect_str_eq(q->items[2].alias, "y");
	cr_expect_str_eq(q->from.source, "src");
	cr_expect_str_eq(q->from.alias, "t");
	cr_assert_eq(q->nlaterals, 2);
	cr_expect_str_eq(q->laterals[0].table, "v");
	cr_expect_str_eq(q->laterals[0].col, "w");
	cr_expect_str_eq(q->laterals[1].table, "v2");
	cr_expect(q->laterals[1].col == NULL);
	cr_expect(q->where != NULL);
	cr_expect_eq(q->ngroup, 2);
	cr_expect(q->having != NULL);
	cr_assert_eq(q->norder, 3);
	cr_expect(q->order[0].desc && !q->order[0].nulls_first, "DESC defaults to NULLS LAST");
	cr_expect(!q->order[1].desc && !q->order[1].nulls_first);
	cr_expect(!q->order[2].desc && q->order[2].nulls_first);
	cr_expect(q->has_limit);
	cr_expect_eq(q->limit, 10);
	sl_script_free(s);
}

Test(sql_parse, empty_statements_and_comments)
{
	struct sl_script *s = parse_ok(";; -- nothing\n /* at all */ ;");
	cr_expect_eq(s->nstmts, 0);
	sl_script_free(s);
}

struct err_case {
	const char *src;
	const char *msg;
};

static const struct err_case err_cases[] = {
	{"CREATE SORCE x WITH (connector = 'a')",
	 "line 1, column 8: expected SOURCE, SINK or TABLE after CREATE, found 'SORCE'"},
	{"CREATE TABLE t WITH (connector = 'file')",
	 "line 1, column 16: expected the table's columns, as in CREATE TABLE t (k STRING, v INT) "
	 "WITH (...) (sluice does not infer them), found 'WITH'"},
	{"CREATE TABLE t (a INT) WITH (connector = 'file') WATERMARK a DELAY '1 minute'",
	 "line 1, column 50: a static table has no event time: WATERMARK belongs to CREATE SOURCE"},
	{"CREATE TABLE t (a INT)",
	 "line 1, column 23: expected WITH (connector = ..., ...), found end of input"},
	{"CREATE SOURCE s (a INTEGR) WITH (connector = 'x')",
	 "line 1, column 20: unknown type 'INTEGR' (types: BOOLEAN, INT, BIGINT, DOUBLE, STRING, "
	 "TIMESTAMP)"},
	{"CREATE SOURCE s WITH connector = 'x'", "line 1, column 22: expected '(' after WITH, found "
						 "'connector'"},
	{"CREATE SOURCE s (a INT)", "line 1, column 24: expected WITH (connector = ..., ...), found end "
				    "of input"},
	{"CREATE SOURCE s WITH (connector 'x')",
	 "line 1, column 33: expected '=' after the option name, found ''x''"},
	{"CREATE SOURCE s WITH (connector = 'x') WATERMARK ts '1 minute'",
	 "line 1, column 53: expected DELAY 'interval' after the WATERMARK column, found "
	 "''1 minute''"},
	{"CREATE SOURCE s WITH (connector = 'x') WATERMARK ts DELAY 10",
	 "line 1, column 59: expected a duration such as '10 minutes', found '10'"},
	{"CREATE SOURCE s WITH (connector = 'x') WATERMARK ts DELAY INTERVAL 10 MINUTE",
	 "line 1, column 68: expected a quoted duration after INTERVAL, such as INTERVAL '10' "
	 "MINUTE, found '10'"},
	{"CREATE SINK o WITH (connector = 'console') SELECT 1 FROM t",
	 "line 1, column 44: expected AS SELECT ... after the sink's WITH (...), found 'SELECT'"},
	{"SELECT a FROM t", "line 1, column 1: a query needs a sink: write CREATE SINK name WITH "
			    "(connector = 'console') AS SELECT ..., or EXPLAIN SELECT ..."},
	{"DROP SOURCE x", "line 1, column 1: expected SET, CREATE or EXPLAIN, found 'DROP'"},
	{"EXPLAIN a", "line 1, column 9: expected CREATE SINK or SELECT after EXPLAIN, found 'a'"},
	{"EXPLAIN SELECT a b c FROM t", "line 1, column 20: expected ',' or FROM, found 'c'"},
	{"EXPLAIN SELECT FROM t", "line 1, column 16: expected an expression, found 'FROM'"},
	{"EXPLAIN SELECT a FROM", "line 1, column 22: expected a source name after FROM, found end of "
				  "input"},
	{"EXPLAIN SELECT a FROM t, u",
	 "line 1, column 24: a comma between FROM items is a cross join, which is not supported: "
	 "join a stream with a table on equal keys (FROM s JOIN t ON s.k = t.k)"},
	{"EXPLAIN SELECT a FROM t JOIN u ON a = b, v",
	 "line 1, column 40: a comma between FROM items is a cross join, which is not supported: "
	 "join a stream with a table on equal keys (FROM s JOIN t ON s.k = t.k)"},
	{"EXPLAIN SELECT a FROM t NATURAL JOIN u",
	 "line 1, column 25: NATURAL JOIN is not supported: name the columns, as in JOIN t USING (k)"},
	{"EXPLAIN SELECT a FROM t LEFT u", "line 1, column 30: expected JOIN, found 'u'"},
	{"EXPLAIN SELECT a FROM t LEFT OUTER SEMI JOIN u",
	 "line 1, column 36: expected JOIN, found 'SEMI'"},
	{"EXPLAIN SELECT a FROM t SEMI u", "line 1, column 30: expected JOIN, found 'u'"},
	{"EXPLAIN SELECT a FROM t JOIN", "line 1, column 29: expected a table or source name after "
				       "JOIN, found end of input"},
	{"EXPLAIN SELECT a FROM t JOIN u ON", "line 1, column 34: expected an expression, found end "
					    "of input"},
	{"EXPLAIN SELECT a FROM t JOIN u USING a", "line 1, column 38: expected '(' and column names "
						 "after USING, found 'a'"},
	{"EXPLAIN SELECT a FROM t JOIN u USING (a, )",
	 "line 1, column 42: expected a column name in USING (...), found ')'"},
	{"EXPLAIN SELECT a FROM t JOIN u USING (a b)",
	 "line 1, column 41: expected ',' or ')' in USING (...), found 'b'"},
	{"EXPLAIN SELECT a FROM t JOIN (u) x ON a = b",
	 "line 1, column 31: expected SELECT in a derived table, found 'u'"},
	{"EXPLAIN SELECT a FROM t UNION b", "line 1, column 25: UNION removes duplicate rows, which "
					    "a stream cannot do without keeping every row; write "
					    "UNION ALL, and GROUP BY the columns to count duplicates"},
	{"EXPLAIN SELECT a FROM t UNION ALL", "line 1, column 34: expected SELECT, found end of "
					      "input"},
	{"EXPLAIN SELECT (a FROM t", "line 1, column 19: expected ')', found 'FROM'"},
	{"EXPLAIN SELECT lower(a FROM t", "line 1, column 24: expected ',' or ')', found 'FROM'"},
	{"EXPLAIN SELECT a FROM t WHERE", "line 1, column 30: expected an expression, found end of "
					  "input"},
	{"EXPLAIN SELECT a FROM t GROUP a", "line 1, column 31: expected BY after GROUP, found 'a'"},
	{"EXPLAIN SELECT a FROM t LIMIT x", "line 1, column 31: expected a whole number after LIMIT, "
					    "found 'x'"},
	{"EXPLAIN SELECT a FROM t LIMIT -1", "line 1, column 31: The limit expression must be equal "
					     "to or greater than 0, but got -1"},
	{"EXPLAIN SELECT a FROM t ORDER BY a NULLS MIDDLE",
	 "line 1, column 42: expected FIRST or LAST after NULLS, found 'MIDDLE'"},
	{"EXPLAIN SELECT a IS b FROM t", "line 1, column 21: expected NULL or NOT after IS, found 'b'"},
	{"EXPLAIN SELECT a BETWEEN 1 FROM t", "line 1, column 28: expected AND in BETWEEN ... AND "
					      "..., found 'FROM'"},
	{"EXPLAIN SELECT CASE WHEN a THEN 1 FROM t", "line 1, column 35: expected WHEN, ELSE or END, "
						     "found 'FROM'"},
	{"EXPLAIN SELECT CASE END FROM t", "line 1, column 21: expected an expression, found 'END'"},
	{"EXPLAIN SELECT a LIKE 'x' ESCAPE '/' FROM t",
	 "line 1, column 27: LIKE ... ESCAPE is not supported; the escape character is backslash"},
	{"EXPLAIN SELECT a FROM (SELECT b FROM t) x LATERAL VIEW OUTER explode(a) t",
	 "line 1, column 56: LATERAL VIEW OUTER is not supported"},
	{"EXPLAIN SELECT a FROM t LATERAL VIEW explode(a)",
	 "line 1, column 48: expected a table alias after the generator, found end of input"},
	{"EXPLAIN SELECT a FROM t WHERE a IN (SELECT b FROM u)",
	 "line 1, column 37: IN (subquery) is not supported"},
	{"EXPLAIN SELECT a FROM t;\nSET x = 1 2;\nSELECT",
	 "line 3, column 1: a query needs a sink: write CREATE SINK name WITH (connector = 'console') "
	 "AS SELECT ..., or EXPLAIN SELECT ..."},
	{"EXPLAIN SELECT a FROM t x y", "line 1, column 27: expected ';' after the statement, found 'y'"},
	{"SET = 3", "line 1, column 5: expected a setting name after SET, found '='"},
	{"SET shards =", "line 1, column 13: expected a value after '=', found end of input"},
	{"EXPLAIN SELECT 99999999999999999999L FROM t",
	 "line 1, column 16: number 99999999999999999999L is out of range for BIGINT"},
	{"EXPLAIN SELECT 'abc FROM t", "line 1, column 16: unterminated string literal: the ' that "
				       "starts here is never closed"},
};

Test(sql_parse, syntax_errors)
{
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		struct sl_script *s = NULL;
		char err[512] = "";
		int rc = sl_sql_parse(err_cases[i].src, &s, err, sizeof(err));
		cr_expect_eq(rc, -EINVAL, "case %zu: %s", i, err_cases[i].src);
		cr_expect(s == NULL);
		cr_expect_str_eq(err, err_cases[i].msg, "case %zu: %s", i, err_cases[i].src);
	}
}

Test(sql_parse, long_names_are_refused)
{
	char text[512];
	char name[200];
	memset(name, 'n', 150);
	name[150] = '\0';
	snprintf(text, sizeof(text), "CREATE SOURCE %s WITH (connector = 'x')", name);
	struct sl_script *s = NULL;
	char err[512];
	cr_expect_eq(sl_sql_parse(text, &s, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "line 1, column 15: name 'nnnnnnnnnnnnnnnnnnnn...' is too long (at most "
			      "127 bytes)") != NULL,
		  "%s", err);
}
