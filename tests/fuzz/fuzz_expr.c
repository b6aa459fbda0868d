/*
 * fuzz_expr.c — libFuzzer harness for expression evaluation on hostile
 * strings: split (literal and regex paths, fused explode), RLIKE (one
 * pattern and a Hyperscan set), LIKE, substr, lower, upper, length, trim,
 * concat, and CAST from STRING to every type and back.
 *
 * A fixed script of queries over `value STRING` is compiled and prepared
 * once. Each input is split at '\n' into the rows of one chunk (at most
 * SL_INGEST_BATCH_ROWS; a row that is exactly one 0x01 byte is NULL), and
 * every query runs on it as the engine runs it: the stateless pipeline
 * (sl_pipeline_run), then its group keys or select list (sl_expr_eval).
 *
 * Beyond "no crash, no leak, no undefined behaviour", results are checked
 * against a plain reference where the semantics leave no room:
 *   - split(value, ',') (the literal fast path) and split(value, '[,]')
 *     (the Hyperscan path) give the same words, which joined with ','
 *     give value back; explode(split(value, ' ')) (fused) gives the words
 *     of the reference split on ' ', in order;
 *   - value LIKE '%ab%', value RLIKE 'ab' and memmem(value, "ab") agree;
 *     value LIKE 'ab%' and a prefix test agree;
 *   - length(value) counts the bytes that do not continue a UTF-8
 *     sequence, for valid UTF-8, and never exceeds the byte length;
 *   - on ASCII rows lower/upper/substr/trim equal the C reference;
 *   - CAST(value AS INT) of a plain decimal that fits is its value, and
 *     every result round-trips through CAST(... AS STRING) to itself.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "plan.h"
#include "sink.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_expr: check failed at line %d: %s\n",    \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* One sink per query, in this order (plans[i] is query Q_i). */
enum {
	Q_SPLIT_REGEX_EXPLODE, /* explode(split(value, '[,; ]+')) */
	Q_SPLIT_PAIR,          /* split(value, ','), split(value, '[,]'), size(...) */
	Q_SPLIT_SPACE_FUSED,   /* explode(split(value, ' ')) */
	Q_FILTER,              /* RLIKE 'a.*b' AND LIKE '%x_y%' */
	Q_MATCH,               /* LIKE '%ab%', RLIKE 'ab', LIKE 'ab%', a RLIKE set */
	Q_STRINGS,             /* upper(lower(substr(value, 2, 5))), length, trim, ... */
	Q_CASTS,               /* CAST(value AS ...) and back */
	Q_GROUP,               /* group keys over exploded words */
	Q__COUNT
};

static const char script[] =
	"CREATE SOURCE s (value STRING) WITH (connector = 'socket', host = 'localhost', port = 9);\n"
	"CREATE SINK q0 WITH (connector = 'console') AS\n"
	"  SELECT explode(split(value, '[,; ]+')) AS w FROM s;\n"
	"CREATE SINK q1 WITH (connector = 'console') AS\n"
	"  SELECT split(value, ',') AS lit, split(value, '[,]') AS re, size(split(value, ',')) AS n,\n"
	"         split(value, ',', 2) AS two FROM s;\n"
	"CREATE SINK q2 WITH (connector = 'console') AS\n"
	"  SELECT explode(split(value, ' ')) AS w FROM s;\n"
	"CREATE SINK q3 WITH (connector = 'console') AS\n"
	"  SELECT value FROM s WHERE value RLIKE 'a.*b' AND value LIKE '%x_y%';\n"
	"CREATE SINK q4 WITH (connector = 'console') AS\n"
	"  SELECT value LIKE '%ab%' AS like_ab, value RLIKE 'ab' AS rlike_ab,\n"
	"         value LIKE 'ab%' AS like_prefix,\n"
	"         value RLIKE '^[0-9]+$' OR value RLIKE '(ab|cd)+e?' OR value NOT RLIKE 'z{2,}' AS rset,\n"
	"         value LIKE '%\\\\%%' AS like_escaped, value LIKE '_' AS like_one\n"
	"  FROM s;\n"
	"CREATE SINK q5 WITH (connector = 'console') AS\n"
	"  SELECT upper(lower(substr(value, 2, 5))) AS u, length(value) AS n, trim(value) AS t,\n"
	"         substr(value, -3) AS tail, substr(value, 0, 2) AS head, lower(value) AS lo,\n"
	"         upper(value) AS up, concat(value, '|', upper(value)) AS c, value AS v\n"
	"  FROM s;\n"
	"CREATE SINK q6 WITH (connector = 'console') AS\n"
	"  SELECT CAST(value AS INT) AS i, CAST(value AS BIGINT) AS b, CAST(value AS DOUBLE) AS d,\n"
	"         CAST(value AS TIMESTAMP) AS ts, CAST(value AS BOOLEAN) AS z,\n"
	"         CAST(CAST(value AS INT) AS STRING) AS si, CAST(CAST(value AS DOUBLE) AS STRING) AS sd,\n"
	"         CAST(CAST(value AS TIMESTAMP) AS STRING) AS sts,\n"
	"         CAST(CAST(value AS BIGINT) AS STRING) AS sb, CAST(value AS INT) + 1 AS inc,\n"
	"         to_timestamp(value, 'yyyy-MM-dd HH:mm:ss.SSS') AS tt,\n"
	"         to_timestamp(value, 'dd/MM/yy h:mm a') AS tt2,\n"
	"         CAST(value AS TIMESTAMP) + INTERVAL '1' DAY AS tomorrow,\n"
	"         window(CAST(value AS TIMESTAMP), '15 minutes', '15 minutes', '5 minutes') AS w\n"
	"  FROM s;\n"
	"CREATE SINK q7 WITH (connector = 'console', output_mode = 'update') AS\n"
	"  SELECT lower(w) AS w, length(w) AS n, count(*) AS c\n"
	"  FROM s LATERAL VIEW explode(split(value, '\\\\s+')) t AS w\n"
	"  WHERE length(w) > 0\n"
	"  GROUP BY lower(w), length(w);\n";

static struct sl_program *prog;

static void setup(void)
{
	if (prog != NULL)
		return;
	sl_sources_register_builtin();
	sl_sinks_register_builtin();
	struct sl_settings base;
	sl_settings_default(&base, 2);
	char err[1024];
	if (sl_sql_compile(script, &base, &prog, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_expr: the fixed script does not compile: %s\n", err);
		abort();
	}
	CHECK(prog->nplans == Q__COUNT);
	for (uint32_t i = 0; i < prog->nplans; i++) {
		if (sl_plan_prepare(prog->plans[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "fuzz_expr: query %u does not prepare: %s\n", i, err);
			abort();
		}
	}
	/* the compiled plans live as long as the process, as in the engine */
}

/* ------------------------------------------------------------ references */

static bool is_ascii(struct sl_str s)
{
	for (uint32_t i = 0; i < s.len; i++)
		if ((uint8_t)s.ptr[i] >= 0x80)
			return false;
	return true;
}

/* Valid UTF-8 as Java decodes it: no overlong forms, no surrogates. */
static bool is_utf8(struct sl_str s)
{
	const uint8_t *u = (const uint8_t *)s.ptr;
	uint32_t i = 0;
	while (i < s.len) {
		uint8_t c = u[i];
		uint32_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (s.len - i - 1 < n)
			return false;
		for (uint32_t k = 1; k <= n; k++) {
			if ((u[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

static bool str_eq(struct sl_str a, const char *p, size_t n)
{
	return a.len == n && (n == 0 || memcmp(a.ptr, p, n) == 0);
}

static bool contains(struct sl_str s, const char *needle)
{
	size_t nl = strlen(needle);
	return s.len >= nl && memmem(s.ptr, s.len, needle, nl) != NULL;
}

/* Element e of row r of an ARRAY<STRING> vector. */
static struct sl_str elem_at(const struct sl_vec *v, uint32_t r, uint32_t e)
{
	CHECK(v->type == SL_TYPE_ARRAY && v->elem != NULL);
	CHECK(e < v->v.arr[r].len);
	const struct sl_vec *el = v->elem;
	uint32_t k = v->v.arr[r].off + e;
	CHECK(!sl_vec_is_null(el, k));
	return el->v.str[k];
}

/* Java's String.split(sep, -1) on a one-byte separator: the words. */
static uint32_t ref_split(struct sl_str s, char sep, struct sl_str *words, uint32_t max)
{
	uint32_t n = 0, start = 0;
	for (uint32_t i = 0; i <= s.len; i++) {
		if (i == s.len || s.ptr[i] == sep) {
			CHECK(n < max);
			words[n++] = (struct sl_str){ s.ptr + start, i - start };
			start = i + 1;
		}
	}
	return n;
}

/* ------------------------------------------------------------ checks */

struct rows {
	uint32_t n;
	struct sl_str *s;
	uint8_t *nulls;
};

static void eval_out(const struct sl_plan *plan, const struct sl_chunk *piped,
		     struct sl_eval_ctx *ctx, struct sl_vec *cols)
{
	CHECK(!plan->has_agg);
	for (uint32_t k = 0; k < plan->nout; k++) {
		CHECK(sl_expr_eval(plan->out[k], piped, ctx, &cols[k]) == 0);
		CHECK(cols[k].type == plan->out[k]->type);
	}
}

static void check_split_pair(const struct rows *rw, const struct sl_chunk *piped,
			     const struct sl_vec *cols)
{
	const struct sl_vec *lit = &cols[0], *re = &cols[1], *size = &cols[2], *two = &cols[3];
	CHECK(piped->nrows == rw->n);
	struct sl_str *words = malloc(((size_t)SL_INGEST_BATCH_ROWS * 64 + 1) * sizeof(*words));
	CHECK(words != NULL);
	for (uint32_t r = 0; r < rw->n; r++) {
		bool null = rw->nulls[r] != 0;
		CHECK(sl_vec_is_null(lit, r) == null);
		CHECK(sl_vec_is_null(re, r) == null);
		CHECK(sl_vec_is_null(two, r) == null);
		if (null) {
			CHECK(size->v.i64[r] == -1);
			continue;
		}
		struct sl_str s = rw->s[r];
		uint32_t nw = ref_split(s, ',', words, s.len + 1);
		CHECK(lit->v.arr[r].len == nw);
		CHECK(re->v.arr[r].len == nw);
		CHECK(size->v.i64[r] == (int64_t)nw);
		for (uint32_t k = 0; k < nw; k++) {
			struct sl_str a = elem_at(lit, r, k), b = elem_at(re, r, k);
			CHECK(str_eq(a, words[k].ptr, words[k].len));
			CHECK(str_eq(b, words[k].ptr, words[k].len));
		}
		/* limit 2: the first word, then the rest untouched */
		uint32_t n2 = two->v.arr[r].len;
		CHECK(n2 == (nw > 1 ? 2u : 1u));
		CHECK(str_eq(elem_at(two, r, 0), words[0].ptr, words[0].len));
		if (n2 == 2) {
			uint32_t skip = words[0].len + 1;
			CHECK(str_eq(elem_at(two, r, 1), s.ptr + skip, s.len - skip));
		}
	}
	free(words);
}

/* explode(split(value, ' ')): the words of each non-null row, in order. */
static void check_fused(const struct rows *rw, const struct sl_chunk *piped,
			const struct sl_vec *cols)
{
	const struct sl_vec *w = &cols[0];
	uint32_t out = 0;
	for (uint32_t r = 0; r < rw->n; r++) {
		if (rw->nulls[r])
			continue;
		struct sl_str s = rw->s[r];
		uint32_t start = 0;
		for (uint32_t i = 0; i <= s.len; i++) {
			if (i < s.len && s.ptr[i] != ' ')
				continue;
			CHECK(out < piped->nrows);
			CHECK(!sl_vec_is_null(w, out));
			CHECK(str_eq(w->v.str[out], s.ptr + start, i - start));
			out++;
			start = i + 1;
		}
	}
	CHECK(out == piped->nrows);
}

/* Java's find() of 'a.*b' on ASCII without line terminators ('.' takes
 * any byte but '\n' there; Java's also refuses '\r'), and LIKE '%x_y%'. */
static bool ref_filter(struct sl_str s)
{
	const char *a = memchr(s.ptr, 'a', s.len);
	bool ab = a != NULL && memchr(a, 'b', s.len - (uint32_t)(a - s.ptr)) != NULL;
	bool xy = false;
	for (uint32_t i = 0; i + 3 <= s.len && !xy; i++)
		xy = s.ptr[i] == 'x' && s.ptr[i + 2] == 'y';
	return ab && xy;
}

static void check_filter(const struct rows *rw, const struct sl_chunk *piped,
			 const struct sl_vec *cols)
{
	CHECK(piped->nrows <= rw->n);
	for (uint32_t r = 0; r < rw->n; r++)
		if (!rw->nulls[r] && (!is_ascii(rw->s[r]) || memchr(rw->s[r].ptr, '\r', rw->s[r].len)))
			return; /* the reference covers plain ASCII only */
	uint32_t kept = 0;
	for (uint32_t r = 0; r < rw->n; r++) {
		if (rw->nulls[r] || !ref_filter(rw->s[r]))
			continue;
		CHECK(kept < piped->nrows);
		CHECK(!sl_vec_is_null(&cols[0], kept));
		CHECK(str_eq(cols[0].v.str[kept], rw->s[r].ptr, rw->s[r].len));
		kept++;
	}
	CHECK(kept == piped->nrows);
}

static void check_match(const struct rows *rw, const struct sl_vec *cols)
{
	const struct sl_vec *like_ab = &cols[0], *rlike_ab = &cols[1], *like_prefix = &cols[2];
	const struct sl_vec *like_escaped = &cols[4], *like_one = &cols[5];
	for (uint32_t r = 0; r < rw->n; r++) {
		bool null = rw->nulls[r] != 0;
		CHECK(sl_vec_is_null(like_ab, r) == null);
		CHECK(sl_vec_is_null(rlike_ab, r) == null);
		if (null)
			continue;
		struct sl_str s = rw->s[r];
		bool has = contains(s, "ab");
		CHECK(like_ab->v.b[r] == has);
		CHECK(rlike_ab->v.b[r] == has);
		CHECK(like_prefix->v.b[r] == (s.len >= 2 && s.ptr[0] == 'a' && s.ptr[1] == 'b'));
		CHECK(like_escaped->v.b[r] == contains(s, "%"));
		if (is_ascii(s))
			CHECK(like_one->v.b[r] == (s.len == 1));
	}
}

static void check_strings(const struct rows *rw, const struct sl_vec *cols)
{
	const struct sl_vec *u = &cols[0], *n = &cols[1], *t = &cols[2], *tail = &cols[3];
	const struct sl_vec *head = &cols[4], *lo = &cols[5], *up = &cols[6], *c = &cols[7];
	char buf[64];
	for (uint32_t r = 0; r < rw->n; r++) {
		bool null = rw->nulls[r] != 0;
		for (uint32_t k = 0; k < 9; k++)
			CHECK(sl_vec_is_null(&cols[k], r) == null);
		if (null)
			continue;
		struct sl_str s = rw->s[r];
		CHECK(n->v.i64[r] >= 0 && n->v.i64[r] <= (int64_t)s.len);
		if (is_utf8(s)) {
			int64_t chars = 0;
			for (uint32_t i = 0; i < s.len; i++)
				chars += ((uint8_t)s.ptr[i] & 0xC0) != 0x80;
			CHECK(n->v.i64[r] == chars);
		}
		CHECK(c->v.str[r].len == s.len + 1 + up->v.str[r].len);
		CHECK(memcmp(c->v.str[r].ptr, s.ptr, s.len) == 0);
		if (!is_ascii(s))
			continue;
		/* ASCII: byte-for-byte references */
		CHECK(lo->v.str[r].len == s.len && up->v.str[r].len == s.len);
		for (uint32_t i = 0; i < s.len; i++) {
			CHECK(lo->v.str[r].ptr[i] == (char)tolower((unsigned char)s.ptr[i]));
			CHECK(up->v.str[r].ptr[i] == (char)toupper((unsigned char)s.ptr[i]));
		}
		uint32_t from = s.len > 1 ? 1 : s.len;
		uint32_t len = s.len - from < 5 ? s.len - from : 5;
		for (uint32_t i = 0; i < len; i++)
			buf[i] = (char)toupper((unsigned char)s.ptr[from + i]);
		CHECK(str_eq(u->v.str[r], buf, len));
		uint32_t tl = s.len < 3 ? s.len : 3;
		CHECK(str_eq(tail->v.str[r], s.ptr + s.len - tl, tl));
		/* substr(value, 0, 2): Spark reads pos 0 as 1 */
		uint32_t hl = s.len < 2 ? s.len : 2;
		CHECK(str_eq(head->v.str[r], s.ptr, hl));
		uint32_t b = 0, e = s.len;
		while (b < e && s.ptr[b] == ' ')
			b++;
		while (e > b && s.ptr[e - 1] == ' ')
			e--;
		CHECK(str_eq(t->v.str[r], s.ptr + b, e - b));
	}
}

/* A plain decimal that fits an INT: optional '-', 1..9 digits. */
static bool plain_int(struct sl_str s, int64_t *v)
{
	uint32_t i = 0;
	bool neg = false;
	if (s.len > 0 && s.ptr[0] == '-') {
		neg = true;
		i = 1;
	}
	if (s.len - i < 1 || s.len - i > 9)
		return false;
	int64_t x = 0;
	for (; i < s.len; i++) {
		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return false;
		x = x * 10 + (s.ptr[i] - '0');
	}
	*v = neg ? -x : x;
	return true;
}

static void check_casts(const struct rows *rw, const struct sl_vec *cols, uint32_t nrows,
			struct sl_eval_ctx *ctx)
{
	const struct sl_vec *i = &cols[0], *b = &cols[1], *si = &cols[5], *sb = &cols[8];
	const struct sl_vec *inc = &cols[9];
	for (uint32_t r = 0; r < nrows; r++) {
		if (rw->nulls[r]) {
			for (uint32_t k = 0; k < 10; k++)
				CHECK(sl_vec_is_null(&cols[k], r));
			continue;
		}
		int64_t want;
		if (plain_int(rw->s[r], &want)) {
			CHECK(!sl_vec_is_null(i, r) && i->v.i64[r] == want);
			CHECK(!sl_vec_is_null(b, r) && b->v.i64[r] == want);
		}
		/* INT and BIGINT results print as their decimal text */
		if (!sl_vec_is_null(i, r)) {
			char buf[32];
			int len = snprintf(buf, sizeof(buf), "%lld", (long long)i->v.i64[r]);
			CHECK(str_eq(si->v.str[r], buf, (size_t)len));
			CHECK(!sl_vec_is_null(inc, r));
			/* INT arithmetic wraps at 32 bits, as Spark non-ANSI */
			int64_t wrapped = i->v.i64[r] == INT32_MAX ? INT32_MIN : i->v.i64[r] + 1;
			CHECK(inc->v.i64[r] == wrapped);
		} else {
			CHECK(sl_vec_is_null(si, r));
		}
		if (!sl_vec_is_null(b, r)) {
			char buf[32];
			int len = snprintf(buf, sizeof(buf), "%lld", (long long)b->v.i64[r]);
			CHECK(str_eq(sb->v.str[r], buf, (size_t)len));
		}
	}
	/* the printed forms cast back to the same values */
	struct sl_vec back_cols[1];
	for (uint32_t k = 0; k < 3; k++) {
		static const int idx[3][2] = { { 2, 6 }, { 3, 7 }, { 0, 5 } };
		const struct sl_vec *val = &cols[idx[k][0]], *txt = &cols[idx[k][1]];
		struct sl_chunk c = { .nrows = nrows, .ncols = 1, .cols = (struct sl_vec *)txt };
		struct sl_expr colref = { .kind = SL_EXPR_COLUMN, .type = SL_TYPE_STRING, .col = 0 };
		struct sl_expr *args[1] = { &colref };
		struct sl_expr cast = { .kind = SL_EXPR_CALL, .fn = SL_FN_CAST, .type = val->type,
					.nargs = 1, .args = args };
		CHECK(sl_expr_eval(&cast, &c, ctx, &back_cols[0]) == 0);
		for (uint32_t r = 0; r < nrows; r++) {
			if (sl_vec_is_null(val, r)) {
				CHECK(sl_vec_is_null(&back_cols[0], r));
				continue;
			}
			CHECK(!sl_vec_is_null(&back_cols[0], r));
			if (val->type == SL_TYPE_DOUBLE) {
				double x = val->v.f64[r], y = back_cols[0].v.f64[r];
				CHECK(memcmp(&x, &y, sizeof(x)) == 0 || (x != x && y != y));
			} else {
				CHECK(back_cols[0].v.i64[r] == val->v.i64[r]);
			}
		}
	}
}

static void check_group(const struct sl_plan *plan, const struct sl_chunk *piped,
			struct sl_eval_ctx *ctx)
{
	CHECK(plan->has_agg && plan->nkeys == 2);
	struct sl_vec keys[2];
	for (uint32_t k = 0; k < 2; k++)
		CHECK(sl_expr_eval(plan->keys[k], piped, ctx, &keys[k]) == 0);
	for (uint32_t r = 0; r < piped->nrows; r++) {
		CHECK(!sl_vec_is_null(&keys[0], r) && !sl_vec_is_null(&keys[1], r));
		struct sl_str w = keys[0].v.str[r];
		CHECK(w.len > 0);
		CHECK(keys[1].v.i64[r] > 0);
		for (uint32_t i = 0; i < w.len; i++)
			CHECK(w.ptr[i] != ' ' && w.ptr[i] != '\t' && w.ptr[i] != '\n');
	}
}

/* ------------------------------------------------------------ entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();

	struct rows rw;
	rw.s = malloc(SL_INGEST_BATCH_ROWS * sizeof(*rw.s));
	rw.nulls = malloc(SL_INGEST_BATCH_ROWS);
	CHECK(rw.s != NULL && rw.nulls != NULL);
	/* the rows point into a copy of exactly the input's bytes */
	char *bytes = malloc(size ? size : 1);
	CHECK(bytes != NULL);
	memcpy(bytes, data, size);
	rw.n = 0;
	size_t start = 0;
	while (start <= size && rw.n < SL_INGEST_BATCH_ROWS) {
		const char *nl = size > start ? memchr(bytes + start, '\n', size - start) : NULL;
		size_t end = nl ? (size_t)(nl - bytes) : size;
		struct sl_str s = { bytes + start, (uint32_t)(end - start) };
		bool null = s.len == 1 && s.ptr[0] == '\x01';
		rw.nulls[rw.n] = null;
		rw.s[rw.n] = null ? (struct sl_str){ NULL, 0 } : s;
		rw.n++;
		if (nl == NULL)
			break;
		start = end + 1;
	}
	struct sl_vec value = { .type = SL_TYPE_STRING, .nulls = rw.nulls, .v.str = rw.s };
	struct sl_chunk in = { .nrows = rw.n, .ncols = 1, .cols = &value };

	struct sl_eval_ctx *ctx = sl_eval_ctx_create();
	CHECK(ctx != NULL);
	for (uint32_t q = 0; q < Q__COUNT; q++) {
		const struct sl_plan *plan = prog->plans[q];
		struct sl_chunk piped;
		CHECK(sl_pipeline_run(plan->ops, plan->nops, &in, ctx, &piped) == 0);
		struct sl_vec cols[16];
		CHECK(plan->nout <= 16);
		switch (q) {
		case Q_SPLIT_REGEX_EXPLODE:
			eval_out(plan, &piped, ctx, cols);
			for (uint32_t r = 0; r < piped.nrows; r++) {
				struct sl_str w = cols[0].v.str[r];
				for (uint32_t i = 0; i < w.len; i++)
					CHECK(w.ptr[i] != ',' && w.ptr[i] != ';' && w.ptr[i] != ' ');
			}
			break;
		case Q_SPLIT_PAIR:
			eval_out(plan, &piped, ctx, cols);
			check_split_pair(&rw, &piped, cols);
			break;
		case Q_SPLIT_SPACE_FUSED:
			eval_out(plan, &piped, ctx, cols);
			check_fused(&rw, &piped, cols);
			break;
		case Q_FILTER:
			eval_out(plan, &piped, ctx, cols);
			check_filter(&rw, &piped, cols);
			break;
		case Q_MATCH:
			eval_out(plan, &piped, ctx, cols);
			check_match(&rw, cols);
			break;
		case Q_STRINGS:
			eval_out(plan, &piped, ctx, cols);
			check_strings(&rw, cols);
			break;
		case Q_CASTS:
			eval_out(plan, &piped, ctx, cols);
			check_casts(&rw, cols, piped.nrows, ctx);
			break;
		case Q_GROUP:
			check_group(plan, &piped, ctx);
			break;
		}
		sl_eval_ctx_reset(ctx);
	}
	sl_eval_ctx_destroy(ctx);
	free(bytes);
	free(rw.s);
	free(rw.nulls);
	return 0;
}
