/*
 * test_static_table.c — static tables for stream-static joins: loading a
 * table's files (CSV with a header, JSON, text; a directory, a pattern;
 * malformed records by mode; the errors that stop a query at start), the
 * hash index by join key (duplicate keys, NULL keys, types, several
 * columns), and the join operator of the pipeline over a prepared plan
 * (inner, left and right outer, semi, anti, residual conditions, columns
 * nobody reads, one index shared by the inputs of a union).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expr.h"
#include "key.h"
#include "pipeline.h"
#include "plan.h"
#include "static_table.h"

#include "expr_fixture.h"

static char dir[256];

static void setup(void)
{
	fixture_setup();
	snprintf(dir, sizeof(dir), "%s/sl-static-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
	fixture_teardown();
}

TestSuite(static_table, .init = setup, .fini = teardown);

/* dir/name with the given bytes; returns the path (static buffer per call
 * site is not needed: the caller copies it into options). */
static void write_file(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
}

/* A table definition: columns "name TYPE, ...", options "key=value;..." (a
 * path relative to dir gets dir in front). */
struct def {
	struct sl_source_spec spec;
	struct sl_column_def cols[8];
	struct sl_option opts[8];
	char keys[8][64], vals[8][512];
};

static void def_init(struct def *d, const char *name, const char *cols, const char *opts)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->spec.name, sizeof(d->spec.name), "%s", name);
	snprintf(d->spec.connector, sizeof(d->spec.connector), "file");
	d->spec.line = 7;
	d->spec.column = 3;
	d->spec.watermark_col = -1;
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", cols);
	for (char *save = NULL, *c = strtok_r(buf, ",", &save); c != NULL;
	     c = strtok_r(NULL, ",", &save)) {
		char n[64], t[32];
		cr_assert_eq(sscanf(c, " %63s %31s", n, t), 2);
		struct sl_column_def *cd = &d->cols[d->spec.schema.ncols++];
		snprintf(cd->name, sizeof(cd->name), "%s", n);
		cd->type = strcmp(t, "STRING") == 0	? SL_TYPE_STRING
			   : strcmp(t, "INT") == 0	? SL_TYPE_INT
			   : strcmp(t, "BIGINT") == 0	? SL_TYPE_BIGINT
			   : strcmp(t, "DOUBLE") == 0	? SL_TYPE_DOUBLE
			   : strcmp(t, "BOOLEAN") == 0	? SL_TYPE_BOOLEAN
							: SL_TYPE_TIMESTAMP;
	}
	d->spec.schema.cols = d->cols;
	snprintf(buf, sizeof(buf), "%s", opts);
	for (char *save = NULL, *o = strtok_r(buf, ";", &save); o != NULL;
	     o = strtok_r(NULL, ";", &save)) {
		uint32_t i = d->spec.options.n++;
		char *eq = strchr(o, '=');
		cr_assert_not_null(eq);
		*eq = '\0';
		snprintf(d->keys[i], sizeof(d->keys[i]), "%s", o);
		if (strcmp(o, "path") == 0 && eq[1] != '/')
			snprintf(d->vals[i], sizeof(d->vals[i]), "%s/%s", dir, eq + 1);
		else
			snprintf(d->vals[i], sizeof(d->vals[i]), "%s", eq + 1);
		d->opts[i] = (struct sl_option){.key = d->keys[i], .value = d->vals[i], .line = 7,
						.column = 40 + i};
	}
	d->spec.options.v = d->opts;
}

static struct sl_static_table *load_ok(struct def *d)
{
	char err[1024] = "";
	cr_assert_eq(sl_static_table_validate(&d->spec, err, sizeof(err)), 0, "%s", err);
	struct sl_static_table *t = sl_static_table_load(&d->spec, err, sizeof(err));
	cr_assert_not_null(t, "%s", err);
	return t;
}

static void load_err(struct def *d, const char *want)
{
	char err[1024] = "";
	struct sl_static_table *t = sl_static_table_load(&d->spec, err, sizeof(err));
	cr_expect_null(t);
	cr_expect(strstr(err, want) != NULL, "got: %s\nwant in it: %s", err, want);
	sl_static_table_destroy(t);
}

static bool str_is(const struct sl_vec *v, uint32_t r, const char *want)
{
	return !v->nulls[r] && v->v.str[r].len == strlen(want) &&
	       memcmp(v->v.str[r].ptr, want, v->v.str[r].len) == 0;
}

/* The rows of key k (one STRING value). */
static uint32_t find_str(const struct sl_static_index *ix, const char *k, const uint32_t **rows)
{
	struct sl_vec v = {.type = SL_TYPE_STRING,
			   .v.str = &(struct sl_str){k, (uint32_t)strlen(k)}};
	uint8_t buf[256];
	size_t n = sl_key_encode(&v, 1, 0, buf, sizeof(buf));
	cr_assert(n <= sizeof(buf));
	return sl_static_index_find(ix, buf, (uint32_t)n, sl_key_hash(buf, n), rows);
}

static const char ads_csv[] = "ad_id,campaign_id,w,d\r\n"
			      "a1,c1,1,1.5\r\n"
			      "a2,c1,,2.5\n"
			      "a3,c2,3,\n"
			      "a4,c3,4,-0.0\n"
			      ",c9,9,NaN\n"
			      "a4,c4,5,0.0";

Test(static_table, loads_csv_with_a_header_types_and_nulls)
{
	write_file("ads.csv", ads_csv);
	struct def d;
	def_init(&d, "campaigns", "ad_id STRING, campaign_id STRING, w INT, d DOUBLE",
		 "path=ads.csv;format=csv;header=true");
	struct sl_static_table *t = load_ok(&d);
	cr_assert_eq(sl_static_table_nrows(t), 6);
	cr_expect_eq(sl_static_table_ncols(t), 4);
	cr_expect_eq(sl_static_table_nfiles(t), 1);
	cr_expect_eq(sl_static_table_malformed(t), 0);
	const struct sl_vec *c = sl_static_table_cols(t);
	cr_expect(str_is(&c[0], 0, "a1") && str_is(&c[1], 0, "c1"));
	cr_expect_eq(c[2].v.i64[0], 1);
	cr_expect_eq(c[3].v.f64[0], 1.5);
	cr_expect(c[2].nulls[1], "an empty field is NULL (null_value '')");
	cr_expect(c[3].nulls[2]);
	cr_expect(c[0].nulls[4]);
	cr_expect(isnan(c[3].v.f64[4]));
	cr_expect(str_is(&c[1], 5, "c4"), "the last line has no line end");
	cr_expect_eq(c[2].type, SL_TYPE_INT);
	sl_static_table_destroy(t);
}

Test(static_table, index_duplicates_nulls_and_types)
{
	write_file("ads.csv", ads_csv);
	struct def d;
	def_init(&d, "campaigns", "ad_id STRING, campaign_id STRING, w INT, d DOUBLE",
		 "path=ads.csv;format=csv;header=true");
	struct sl_static_table *t = load_ok(&d);
	char err[512] = "";

	/* by ad_id: a4 twice (table order), the NULL key not indexed */
	struct sl_expr *k0 = col(0, SL_TYPE_STRING);
	struct sl_static_index *ix = sl_static_index_build(t, &k0, 1, err, sizeof(err));
	cr_assert_not_null(ix, "%s", err);
	cr_expect_eq(sl_static_index_table(ix), t);
	cr_expect_eq(sl_static_index_nkeys(ix), 4, "a1 a2 a3 a4; the NULL key is not indexed");
	const uint32_t *rows = NULL;
	cr_expect_eq(find_str(ix, "a1", &rows), 1);
	cr_expect_eq(rows[0], 0);
	cr_assert_eq(find_str(ix, "a4", &rows), 2);
	cr_expect(rows[0] == 3 && rows[1] == 5, "one match per row, in table order");
	cr_expect_eq(find_str(ix, "zz", &rows), 0);
	cr_expect_eq(find_str(ix, "", &rows), 0, "the empty string is not NULL");
	/* a NULL probe key encodes with the NULL tag: never found */
	struct sl_vec nv = {.type = SL_TYPE_STRING, .nulls = (uint8_t[]){1},
			    .v.str = &(struct sl_str){NULL, 0}};
	uint8_t buf[16];
	size_t n = sl_key_encode(&nv, 1, 0, buf, sizeof(buf));
	cr_expect_eq(sl_static_index_find(ix, buf, (uint32_t)n, sl_key_hash(buf, n), &rows), 0);
	sl_static_index_destroy(ix);

	/* by a DOUBLE: -0.0 and 0.0 are one key, NaN equals NaN (Spark's
	 * NormalizeFloatingNumbers), NULL is out */
	struct sl_expr *k3 = col(3, SL_TYPE_DOUBLE);
	ix = sl_static_index_build(t, &k3, 1, err, sizeof(err));
	cr_assert_not_null(ix, "%s", err);
	cr_expect_eq(sl_static_index_nkeys(ix), 4, "1.5 2.5 0.0 NaN");
	double probe = 0.0;
	struct sl_vec dv = {.type = SL_TYPE_DOUBLE, .v.f64 = &probe};
	n = sl_key_encode(&dv, 1, 0, buf, sizeof(buf));
	cr_assert_eq(sl_static_index_find(ix, buf, (uint32_t)n, sl_key_hash(buf, n), &rows), 2);
	cr_expect(rows[0] == 3 && rows[1] == 5);
	probe = -NAN;
	n = sl_key_encode(&dv, 1, 0, buf, sizeof(buf));
	cr_assert_eq(sl_static_index_find(ix, buf, (uint32_t)n, sl_key_hash(buf, n), &rows), 1);
	cr_expect_eq(rows[0], 4);
	sl_static_index_destroy(ix);

	/* two columns, one an expression: (lower(campaign_id), w) */
	struct sl_expr *k2[2] = {call(SL_FN_UPPER, SL_TYPE_STRING, 1, col(1, SL_TYPE_STRING)),
				 col(2, SL_TYPE_INT)};
	cr_assert_eq(sl_expr_prepare(k2[0], err, sizeof(err)), 0);
	ix = sl_static_index_build(t, k2, 2, err, sizeof(err));
	cr_assert_not_null(ix, "%s", err);
	cr_expect_eq(sl_static_index_nkeys(ix), 5, "a2's w is NULL");
	int64_t w = 5;
	struct sl_vec two[2] = {
		{.type = SL_TYPE_STRING, .v.str = &(struct sl_str){"C4", 2}},
		{.type = SL_TYPE_INT, .v.i64 = &w},
	};
	n = sl_key_encode(two, 2, 0, buf, sizeof(buf));
	cr_assert_eq(sl_static_index_find(ix, buf, (uint32_t)n, sl_key_hash(buf, n), &rows), 1);
	cr_expect_eq(rows[0], 5);
	two[1].type = SL_TYPE_BIGINT; /* another type: another key */
	n = sl_key_encode(two, 2, 0, buf, sizeof(buf));
	cr_expect_eq(sl_static_index_find(ix, buf, (uint32_t)n, sl_key_hash(buf, n), &rows), 0);
	/* shared by reference */
	cr_expect_eq(sl_static_index_ref(ix), ix);
	sl_static_index_destroy(ix);
	cr_expect_eq(sl_static_index_nkeys(ix), 5, "still alive after one of two references");
	sl_static_index_destroy(ix);
	sl_static_index_destroy(NULL);

	sl_expr_free(k0);
	sl_expr_free(k3);
	sl_expr_free(k2[0]);
	sl_expr_free(k2[1]);
	sl_static_table_destroy(t);
}

Test(static_table, many_keys_grow_the_index)
{
	/* 20000 rows, 10000 keys, each twice */
	size_t cap = 20000 * 16;
	char *text = malloc(cap);
	size_t used = 0;
	for (int i = 0; i < 20000; i++)
		used += (size_t)snprintf(text + used, cap - used, "k%d,%d\n", i % 10000, i);
	write_file("big.csv", text);
	free(text);
	struct def d;
	def_init(&d, "big", "k STRING, v INT", "path=big.csv;format=csv");
	struct sl_static_table *t = load_ok(&d);
	cr_assert_eq(sl_static_table_nrows(t), 20000);
	char err[256];
	struct sl_expr *k = col(0, SL_TYPE_STRING);
	struct sl_static_index *ix = sl_static_index_build(t, &k, 1, err, sizeof(err));
	cr_assert_not_null(ix);
	cr_expect_eq(sl_static_index_nkeys(ix), 10000);
	const struct sl_vec *c = sl_static_table_cols(t);
	for (int i = 0; i < 10000; i += 997) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", i);
		const uint32_t *rows;
		cr_assert_eq(find_str(ix, key, &rows), 2, "%s", key);
		cr_expect_eq(c[1].v.i64[rows[0]], i);
		cr_expect_eq(c[1].v.i64[rows[1]], i + 10000);
	}
	sl_static_index_destroy(ix);
	sl_expr_free(k);
	sl_static_table_destroy(t);
}

Test(static_table, a_directory_or_a_pattern_reads_every_visible_file_in_name_order)
{
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/parts", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	write_file("parts/b.csv", "k,v\nb,2\n");
	write_file("parts/a.csv", "k,v\na,1\n");
	write_file("parts/.hidden.csv", "k,v\nh,0\n");
	write_file("parts/_tmp.csv", "k,v\nu,0\n");
	write_file("parts/c.txt", "k,v\nc,3\n");
	struct def d;
	def_init(&d, "t", "k STRING, v INT", "path=parts;format=csv;header=true");
	struct sl_static_table *t = load_ok(&d);
	cr_assert_eq(sl_static_table_nrows(t), 3, "a, b, c: a header per file");
	cr_expect_eq(sl_static_table_nfiles(t), 3);
	const struct sl_vec *c = sl_static_table_cols(t);
	cr_expect(str_is(&c[0], 0, "a") && str_is(&c[0], 1, "b") && str_is(&c[0], 2, "c"));
	sl_static_table_destroy(t);

	def_init(&d, "t", "k STRING, v INT", "path=parts/*.csv;format=csv;header=true");
	t = load_ok(&d);
	cr_expect_eq(sl_static_table_nrows(t), 2, "the pattern takes a.csv and b.csv");
	sl_static_table_destroy(t);

	/* an empty directory is an empty table */
	snprintf(sub, sizeof(sub), "%s/empty", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	def_init(&d, "t", "k STRING, v INT", "path=empty;format=csv");
	t = load_ok(&d);
	cr_expect_eq(sl_static_table_nrows(t), 0);
	cr_expect_not_null(sl_static_table_cols(t)[0].nulls);
	sl_static_table_destroy(t);
}

Test(static_table, json_and_text_formats)
{
	write_file("t.json", "{\"k\": \"a\", \"n\": 1}\n\n{\"n\": 2, \"k\": \"b\", \"x\": [1]}\n");
	struct def d;
	def_init(&d, "t", "k STRING, n BIGINT", "path=t.json;format=json");
	struct sl_static_table *t = load_ok(&d);
	cr_assert_eq(sl_static_table_nrows(t), 2, "a blank line is no record");
	const struct sl_vec *c = sl_static_table_cols(t);
	cr_expect(str_is(&c[0], 1, "b"));
	cr_expect_eq(c[1].v.i64[1], 2);
	sl_static_table_destroy(t);

	write_file("t.txt", "one\n\ntwo\n");
	def_init(&d, "t", "value STRING", "path=t.txt");
	t = load_ok(&d);
	cr_assert_eq(sl_static_table_nrows(t), 3, "text: an empty line is a record");
	c = sl_static_table_cols(t);
	cr_expect(str_is(&c[0], 1, ""));
	cr_expect(str_is(&c[0], 2, "two"));
	sl_static_table_destroy(t);
}

Test(static_table, malformed_records_follow_the_mode)
{
	write_file("m.csv", "k,n\na,1\nb,x\nc,3\n");
	struct def d;
	def_init(&d, "t", "k STRING, n INT", "path=m.csv;format=csv;header=true;mode=DROPMALFORMED");
	struct sl_static_table *t = load_ok(&d);
	cr_expect_eq(sl_static_table_nrows(t), 2);
	cr_expect_eq(sl_static_table_malformed(t), 1);
	sl_static_table_destroy(t);

	def_init(&d, "t", "k STRING, n INT", "path=m.csv;format=csv;header=true");
	t = load_ok(&d);
	cr_expect_eq(sl_static_table_nrows(t), 3, "PERMISSIVE keeps the row");
	cr_expect(sl_static_table_cols(t)[1].nulls[1]);
	cr_expect_eq(sl_static_table_malformed(t), 1);
	sl_static_table_destroy(t);

	def_init(&d, "t", "k STRING, n INT", "path=m.csv;format=csv;header=true;mode=FAILFAST");
	char want[600];
	snprintf(want, sizeof(want), "line 7, column 3: table 't': file '%s/m.csv', line 3: ", dir);
	load_err(&d, want);
	load_err(&d, "(mode FAILFAST stops at the first malformed record;");
}

Test(static_table, files_that_cannot_be_read_stop_the_query_at_start)
{
	struct def d;
	char want[600];
	def_init(&d, "campaigns", "k STRING", "path=nope.csv");
	snprintf(want, sizeof(want),
		 "line 7, column 3: table 'campaigns': cannot read '%s/nope.csv': No such file or "
		 "directory; the table is read when the query starts, relative to the directory "
		 "sluice runs in: check `path` in its CREATE TABLE",
		 dir);
	load_err(&d, want);
	def_init(&d, "campaigns", "k STRING", "path=*.nope");
	snprintf(want, sizeof(want), "line 7, column 3: table 'campaigns': no file matches '%s/*.nope'",
		 dir);
	load_err(&d, want);
	def_init(&d, "campaigns", "k STRING", "path=/dev/null");
	load_err(&d, "line 7, column 3: table 'campaigns': '/dev/null' is not a regular file or a "
		     "directory");
	if (geteuid() != 0) {
		write_file("secret.csv", "x\n");
		char p[400];
		snprintf(p, sizeof(p), "%s/secret.csv", dir);
		cr_assert_eq(chmod(p, 0), 0);
		def_init(&d, "campaigns", "k STRING", "path=secret.csv");
		snprintf(want, sizeof(want),
			 "line 7, column 3: table 'campaigns': cannot open '%s/secret.csv': Permission "
			 "denied; check that the file exists and may be read by the user sluice runs as",
			 dir);
		load_err(&d, want);
	}
}

Test(static_table, validate_checks_the_definition)
{
	struct def d;
	char err[512] = "";
	def_init(&d, "t", "k STRING", "format=csv");
	cr_expect_eq(sl_static_table_validate(&d.spec, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "line 7, column 3: table 't': a table needs a path: add path = '...' to "
			      "WITH (...) (a file, a directory whose files are all read, or a pattern "
			      "such as 'tables/*.csv')");
	def_init(&d, "t", "k STRING", "path=x;sep=;");
	cr_expect_eq(sl_static_table_validate(&d.spec, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "line 7, column 41: option 'sep' is an option of format csv; format "
			      "'text' does not take it (remove it, or change format)");
	def_init(&d, "t", "k STRING", "path=x;latest_first=true");
	cr_expect_eq(sl_static_table_validate(&d.spec, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "line 7, column 41: unknown option 'latest_first' for table 't' "
			      "(options: path, format; options of format 'text': none)");
	def_init(&d, "t", "k STRING, n INT", "path=x;format=csv;sep=|;null_value=-");
	cr_expect_eq(sl_static_table_validate(&d.spec, err, sizeof(err)), 0, "%s", err);
}

/* ------------------------------------------------------------ joins */

/* The stream's rows: (ad STRING, n BIGINT). */
struct stream {
	struct sl_str s[8];
	uint8_t nulls[8];
	int64_t n[8];
	struct sl_vec v[2];
	struct sl_chunk c;
};

static void stream_init(struct stream *st, const char *const *ads, uint32_t rows)
{
	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < rows; i++) {
		st->nulls[i] = ads[i] == NULL;
		st->s[i] = ads[i] ? (struct sl_str){ads[i], (uint32_t)strlen(ads[i])}
				  : (struct sl_str){NULL, 0};
		st->n[i] = 10 * (int64_t)i;
	}
	st->v[0] = (struct sl_vec){.type = SL_TYPE_STRING, .v.str = st->s, .nulls = st->nulls};
	st->v[1] = (struct sl_vec){.type = SL_TYPE_BIGINT, .v.i64 = st->n};
	st->c = (struct sl_chunk){rows, 2, st->v};
}

/* One input reading (ad, n) joined with campaigns (ad_id, campaign_id, w,
 * d) on ad = ad_id: out is [ad, n, ad_id, campaign_id, w, d], or the
 * table's columns first. */
struct join_plan {
	struct def d;
	struct sl_plan plan;
	struct sl_op ops[2];
	struct sl_join join;
	struct sl_expr *probe, *build;
	uint32_t src[6];
	struct sl_column_def out[6];
};

static void join_plan_init(struct join_plan *jp, enum sl_join_type type, bool table_first,
			   struct sl_expr *residual)
{
	memset(jp, 0, sizeof(*jp));
	write_file("ads.csv", ads_csv);
	def_init(&jp->d, "campaigns", "ad_id STRING, campaign_id STRING, w INT, d DOUBLE",
		 "path=ads.csv;format=csv;header=true");
	jp->plan.ntables = 1;
	jp->plan.tables = calloc(1, sizeof(*jp->plan.tables));
	jp->plan.tables[0].def = jp->d.spec;
	jp->probe = col(0, SL_TYPE_STRING);
	jp->build = col(0, SL_TYPE_STRING);
	bool semi = type == SL_JOIN_LEFT_SEMI || type == SL_JOIN_LEFT_ANTI;
	uint32_t n = semi ? 2 : 6;
	for (uint32_t i = 0; i < n; i++)
		jp->src[i] = table_first ? (i < 4 ? 2 + i : i - 4) : i;
	jp->join = (struct sl_join){.table = 0, .type = type, .build_left = table_first, .nkeys = 1,
				    .probe = &jp->probe, .build = &jp->build,
				    .residual = residual, .nin = 2, .src = jp->src};
	jp->ops[0] = (struct sl_op){.kind = SL_OP_JOIN_STATIC, .join = &jp->join,
				    .out = {.ncols = n, .cols = jp->out}};
	jp->plan.input.nops = 1;
	jp->plan.input.ops = jp->ops;
	char err[1024] = "";
	cr_assert_eq(sl_plan_prepare(&jp->plan, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(jp->join.index);
	cr_assert_not_null(jp->plan.tables[0].data);
}

static void join_plan_free(struct join_plan *jp)
{
	sl_plan_release(&jp->plan);
	cr_expect_null(jp->join.index, "released");
	cr_expect_null(jp->plan.tables[0].data, "released");
	sl_expr_free(jp->probe);
	sl_expr_free(jp->build);
	sl_expr_free(jp->join.residual);
	free(jp->plan.tables);
}

static const char *const ads[] = {"a4", "zz", NULL, "a1", "a2"};

/* Output row r as "ad|n|ad_id|campaign_id|w" ("-" for NULL). */
static void row_text(const struct sl_chunk *c, uint32_t r, char *buf, size_t len)
{
	size_t used = 0;
	for (uint32_t k = 0; k < c->ncols && k < 5; k++) {
		const struct sl_vec *v = &c->cols[k];
		const char *sep = k ? "|" : "";
		if (sl_vec_is_null(v, r))
			used += (size_t)snprintf(buf + used, len - used, "%s-", sep);
		else if (v->type == SL_TYPE_STRING)
			used += (size_t)snprintf(buf + used, len - used, "%s%.*s", sep,
						 (int)v->v.str[r].len, v->v.str[r].ptr);
		else
			used += (size_t)snprintf(buf + used, len - used, "%s%lld", sep,
						 (long long)v->v.i64[r]);
	}
}

static void expect_rows(const struct sl_chunk *c, const char *const *want, uint32_t n)
{
	cr_assert_eq(c->nrows, n, "rows");
	for (uint32_t r = 0; r < n; r++) {
		char got[256];
		row_text(c, r, got, sizeof(got));
		cr_expect_str_eq(got, want[r], "row %u", r);
	}
}

Test(static_table, inner_join_emits_one_row_per_match)
{
	struct join_plan jp;
	join_plan_init(&jp, SL_JOIN_INNER, false, NULL);
	struct stream st;
	stream_init(&st, ads, 5);
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(jp.ops, 1, &st.c, ctx, &out), 0);
	cr_assert_eq(out.ncols, 6);
	static const char *const want[] = {
		"a4|0|a4|c3|4", "a4|0|a4|c4|5", "a1|30|a1|c1|1", "a2|40|a2|c1|-",
	};
	expect_rows(&out, want, 4);
	cr_expect_eq(out.cols[5].v.f64[2], 1.5);
	sl_eval_ctx_reset(ctx);

	/* once loaded, EXPLAIN counts the table's rows */
	struct sl_column_def in_cols[2] = {{.name = "ad", .type = SL_TYPE_STRING},
					   {.name = "n", .type = SL_TYPE_BIGINT}};
	jp.plan.input.source.schema = (struct sl_schema){2, in_cols};
	snprintf(jp.plan.input.source.name, SL_NAME_MAX, "events");
	char *text = sl_plan_explain(&jp.plan);
	cr_assert_not_null(text);
	char line[600];
	snprintf(line, sizeof(line),
		 "BroadcastHashJoin [ad], [ad_id], Inner, BuildRight, table campaigns (file "
		 "'%s/ads.csv', format csv, 6 rows)",
		 dir);
	cr_expect(strstr(text, line) != NULL, "%s", text);
	free(text);

	/* a chunk where each row matches once passes the input through */
	static const char *const once[] = {"a1", "a3"};
	stream_init(&st, once, 2);
	cr_assert_eq(sl_pipeline_run(jp.ops, 1, &st.c, ctx, &out), 0);
	cr_expect_eq(out.cols[0].v.str, st.c.cols[0].v.str, "no copy of the stream's columns");
	cr_expect_eq(out.nrows, 2);
	/* and an empty chunk gives an empty chunk */
	stream_init(&st, once, 0);
	cr_assert_eq(sl_pipeline_run(jp.ops, 1, &st.c, ctx, &out), 0);
	cr_expect_eq(out.nrows, 0);
	join_plan_free(&jp);
}

Test(static_table, outer_semi_and_anti_joins)
{
	struct stream st;
	stream_init(&st, ads, 5);
	struct sl_chunk out;
	struct join_plan jp;

	join_plan_init(&jp, SL_JOIN_LEFT_OUTER, false, NULL);
	cr_assert_eq(sl_pipeline_run(jp.ops, 1, &st.c, ctx, &out), 0);
	static const char *const left[] = {
		"a4|0|a4|c3|4", "a4|0|a4|c4|5", "zz|10|-|-|-", "-|20|-|-|-", "a1|30|a1|c1|1",
		"a2|40|a2|c1|-",
	};
	expect_rows(&out, left, 6);
	cr_expect(out.cols[5].nulls[2] && out.cols[5].nulls[3]);
	join_plan_free(&jp);
	sl_eval_ctx_reset(ctx);

	/* the table written first: its columns first, every stream row kept */
	join_plan_init(&jp, SL_JOIN_RIGHT_OUTER, true, NULL);
	cr_assert_eq(sl_pipeline_run(jp.ops, 1, &st.c, ctx, &out), 0);
	static const char *const right[] = {
		"a4|c3|4|0|a4", "a4|c4|5|0|a4", "-|-|-|-|zz", "-|-|-|-|-", "a1|c1|1|1|a1",
		"a2|c1|-|2|a2",
	};
	cr_assert_eq(out.nrows, 6);
	for (uint32_t r = 0; r < 6; r++) {
		char got[128];
		/* the DOUBLE column prints as an integer here: enough to see
		 * which row it is */
		struct sl_vec d = out.cols[3];
		int64_t dv[6];
		for (uint32_t i = 0; i < 6; i++)
			dv[i] = (int64_t)d.v.f64[i];
		struct sl_vec cols[5] = {out.cols[0], out.cols[1], out.cols[2], d, out.cols[4]};
		cols[3].type = SL_TYPE_BIGINT;
		cols[3].v.i64 = dv;
		struct sl_chunk c = {6, 5, cols};
		row_text(&c, r, got, sizeof(got));
		cr_expect_str_eq(got, right[r], "row %u", r);
	}
	join_plan_free(&jp);
	sl_eval_ctx_reset(ctx);

	join_plan_init(&jp, SL_JOIN_LEFT_SEMI, false, NULL);
	cr_assert_eq(sl_pipeline_run(jp.ops, 1, &st.c, ctx, &out), 0);
	cr_expect_eq(out.ncols, 2);
	static const char *const semi[] = {"a4|0", "a1|30", "a2|40"};
	expect_rows(&out, semi, 3);
	join_plan_free(&jp);
	sl_eval_ctx_reset(ctx);

	join_plan_init(&jp, SL_JOIN_LEFT_ANTI, false, NULL);
	cr_assert_eq(sl_pipeline_run(jp.ops, 1, &st.c, ctx, &out), 0);
	static const char *const anti[] = {"zz|10", "-|20"};
	expect_rows(&out, anti, 2);
	join_plan_free(&jp);
}

Test(static_table, residual_condition_is_tested_on_each_match)
{
	/* ON ad = ad_id AND w >= 4: (input col 0, 1; table col 2 is w at 4) */
	struct stream st;
	stream_init(&st, ads, 5);
	struct sl_chunk out;
	struct join_plan jp;
	struct sl_expr *ge = call(SL_FN_GE, SL_TYPE_BOOLEAN, 2, col(4, SL_TYPE_INT),
				  call(SL_FN_CAST, SL_TYPE_INT, 1, lit_str("4")));
	join_plan_init(&jp, SL_JOIN_INNER, false, ge);
	cr_assert_eq(sl_pipeline_run(jp.ops, 1, &st.c, ctx, &out), 0);
	static const char *const inner[] = {"a4|0|a4|c3|4", "a4|0|a4|c4|5"};
	expect_rows(&out, inner, 2);
	join_plan_free(&jp);
	sl_eval_ctx_reset(ctx);

	/* a left join keeps a row whose matches all fail, once, with NULLs;
	 * a NULL verdict (a2's w) fails as false does */
	ge = call(SL_FN_GE, SL_TYPE_BOOLEAN, 2, col(4, SL_TYPE_INT),
		  call(SL_FN_CAST, SL_TYPE_INT, 1, lit_str("5")));
	join_plan_init(&jp, SL_JOIN_LEFT_OUTER, false, ge);
	cr_assert_eq(sl_pipeline_run(jp.ops, 1, &st.c, ctx, &out), 0);
	static const char *const left[] = {
		"a4|0|a4|c4|5", "zz|10|-|-|-", "-|20|-|-|-", "a1|30|-|-|-", "a2|40|-|-|-",
	};
	expect_rows(&out, left, 5);
	join_plan_free(&jp);
	sl_eval_ctx_reset(ctx);

	/* anti: no match that passes */
	ge = call(SL_FN_GE, SL_TYPE_BOOLEAN, 2, col(4, SL_TYPE_INT),
		  call(SL_FN_CAST, SL_TYPE_INT, 1, lit_str("5")));
	join_plan_init(&jp, SL_JOIN_LEFT_ANTI, false, ge);
	cr_assert_eq(sl_pipeline_run(jp.ops, 1, &st.c, ctx, &out), 0);
	static const char *const anti[] = {"zz|10", "-|20", "a1|30", "a2|40"};
	expect_rows(&out, anti, 4);
	join_plan_free(&jp);
}

Test(static_table, columns_nobody_reads_are_not_gathered)
{
	struct stream st;
	stream_init(&st, ads, 5);
	struct join_plan jp;
	join_plan_init(&jp, SL_JOIN_INNER, false, NULL);
	/* then SELECT campaign_id: only column 3 of the join is live */
	struct sl_expr *pick = col(3, SL_TYPE_STRING);
	jp.ops[1] = (struct sl_op){.kind = SL_OP_PROJECT, .nexprs = 1, .exprs = &pick};
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(jp.ops, 2, &st.c, ctx, &out), 0);
	cr_assert_eq(out.nrows, 4);
	cr_expect(str_is(&out.cols[0], 0, "c3") && str_is(&out.cols[0], 1, "c4") &&
		  str_is(&out.cols[0], 2, "c1"));
	sl_expr_free(pick);
	join_plan_free(&jp);
}

Test(static_table, union_inputs_share_one_table_and_index_and_prepare_again)
{
	struct join_plan jp;
	join_plan_init(&jp, SL_JOIN_INNER, false, NULL);
	/* a second input with a copy of the same join */
	struct sl_input second = {0};
	struct sl_op op2 = jp.ops[0];
	struct sl_join j2 = jp.join;
	struct sl_expr *p2 = col(0, SL_TYPE_STRING), *b2 = col(0, SL_TYPE_STRING);
	j2.probe = &p2;
	j2.build = &b2;
	j2.index = NULL;
	op2.join = &j2;
	second.nops = 1;
	second.ops = &op2;
	sl_plan_release(&jp.plan);
	jp.plan.nunions = 1;
	jp.plan.unions = &second;
	char err[512] = "";
	cr_assert_eq(sl_plan_prepare(&jp.plan, err, sizeof(err)), 0, "%s", err);
	cr_expect_not_null(j2.index);
	cr_expect_eq(j2.index, jp.join.index, "one index for the same table and keys");
	struct stream st;
	stream_init(&st, ads, 5);
	struct sl_chunk out;
	cr_assert_eq(sl_pipeline_run(&op2, 1, &st.c, ctx, &out), 0);
	cr_expect_eq(out.nrows, 4);
	sl_plan_release(&jp.plan);
	cr_expect_null(j2.index);
	/* a table that has gone makes prepare fail, with nothing left loaded */
	char path[400];
	snprintf(path, sizeof(path), "%s/ads.csv", dir);
	cr_assert_eq(unlink(path), 0);
	cr_expect_eq(sl_plan_prepare(&jp.plan, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "line 7, column 3: table 'campaigns': cannot read") != NULL, "%s", err);
	cr_expect_null(jp.plan.tables[0].data);
	cr_expect_null(jp.join.index);
	jp.plan.nunions = 0;
	jp.plan.unions = NULL;
	sl_expr_free(p2);
	sl_expr_free(b2);
	join_plan_free(&jp);
}
