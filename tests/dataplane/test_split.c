/*
 * test_split.c — split(str, regex[, limit]) as Spark (Java's String.split
 * with limit -1 by default): literal delimiters (memchr, memmem), regular
 * expressions through Hyperscan, the empty pattern, limits, nulls, and the
 * refusal of patterns Hyperscan cannot run. Expected arrays were taken
 * from Java 17's String.split.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "regex.h"

#include "expr_fixture.h"

TestSuite(split, .init = fixture_setup, .fini = fixture_teardown);



static struct sl_expr *lit_int(int64_t v)
{
	struct sl_expr *e = node(SL_EXPR_LITERAL, SL_TYPE_INT);
	e->lit.type = SL_TYPE_INT;
	e->lit.v.i64 = v;
	return e;
}



/* split(col0, pattern[, limit]); limit 0 means "not given". */
static struct sl_expr *split_expr(const char *pat, int64_t limit)
{
	struct sl_expr *s = limit == 0
		? call(SL_FN_SPLIT, SL_TYPE_ARRAY, 2, col(0, SL_TYPE_STRING), lit_str(pat))
		: call(SL_FN_SPLIT, SL_TYPE_ARRAY, 3, col(0, SL_TYPE_STRING), lit_str(pat),
		       lit_int(limit));
	s->line = 1;
	s->column = 8;
	s->args[1]->line = 1;
	s->args[1]->column = 21;
	return s;
}

/* A one-column STRING chunk; a NULL entry is a null row. */
struct strcol {
	struct sl_str s[16];
	uint8_t nulls[16];
	struct sl_vec v;
	struct sl_chunk c;
};

static void strcol_init(struct strcol *sc, const char *const *rows, uint32_t n)
{
	memset(sc, 0, sizeof(*sc));
	for (uint32_t i = 0; i < n; i++) {
		sc->nulls[i] = rows[i] == NULL;
		sc->s[i] = rows[i] ? (struct sl_str){ rows[i], (uint32_t)strlen(rows[i]) }
				   : (struct sl_str){ NULL, 0 };
	}
	sc->v.type = SL_TYPE_STRING;
	sc->v.v.str = sc->s;
	sc->v.nulls = sc->nulls;
	sc->c = (struct sl_chunk){ n, 1, &sc->v };
}

/* Split one string and compare with the expected pieces ("|"-free
 * strings, NULL-terminated list). */
static void expect_split(const char *in, const char *pat, int64_t limit,
			 const char *const *want)
{
	struct sl_expr *e = split_expr(pat, limit);
	char err[256] = "";
	struct strcol sc;
	const char *rows[1] = { in };
	struct sl_vec out;

	cr_assert_eq(sl_expr_prepare(e, err, sizeof(err)), 0, "prepare '%s': %s", pat, err);
	strcol_init(&sc, rows, 1);
	cr_assert_eq(sl_expr_eval(e, &sc.c, ctx, &out), 0);
	cr_assert_eq(out.type, SL_TYPE_ARRAY);
	cr_assert(out.nulls == NULL || !out.nulls[0]);
	uint32_t nwant = 0;
	while (want[nwant] != NULL)
		nwant++;
	const struct sl_span sp = out.v.arr[0];
	cr_assert_eq(sp.len, nwant, "split('%s', '%s', %ld): %u pieces, want %u", in, pat,
		     (long)limit, sp.len, nwant);
	for (uint32_t i = 0; i < nwant; i++) {
		const struct sl_str w = out.elem->v.str[sp.off + i];
		cr_assert(w.len == strlen(want[i]) && memcmp(w.ptr, want[i], w.len) == 0,
			  "split('%s', '%s', %ld)[%u] = '%.*s', want '%s'", in, pat, (long)limit,
			  i, (int)w.len, w.ptr, want[i]);
		/* Pieces point into the input, never copied. */
		cr_assert(w.len == 0 || (w.ptr >= in && w.ptr + w.len <= in + strlen(in)));
	}
	sl_expr_free(e);
	sl_eval_ctx_reset(ctx);
}

#define W(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct split_case {
	const char *in, *pat;
	int64_t limit; /* 0: not given */
	const char *const *want;
};

static const struct split_case literal_cases[] = {
	/* one byte: memchr / SSE2 */
	{ "one two  three", " ", 0, W("one", "two", "", "three") },
	{ " a b ", " ", 0, W("", "a", "b", "") },
	{ " ", " ", 0, W("", "") },
	{ "", " ", 0, W("") },
	{ "abc", " ", 0, W("abc") },
	{ "a,b,,", ",", 0, W("a", "b", "", "") },
	{ ",a", ",", 0, W("", "a") },
	{ "the quick brown fox jumps over the lazy dog again", " ", 0,
	  W("the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "again") },
	/* longer literals: memmem */
	{ "a::b::", "::", 0, W("a", "b", "") },
	{ "::a", "::", 0, W("", "a") },
	{ "abab", "ab", 0, W("", "", "") },
	/* quoted metacharacters are literals */
	{ "a.b.c", "\\.", 0, W("a", "b", "c") },
	{ "a|b", "\\|", 0, W("a", "b") },
	{ "a.b", "\\Q.\\E", 0, W("a", "b") },
	{ "héllo wörld", "ö", 0, W("héllo w", "rld") },
	/* limits */
	{ "a b c", " ", 1, W("a b c") },
	{ "a b c", " ", 2, W("a", "b c") },
	{ "a b c", " ", 3, W("a", "b", "c") },
	{ "a b c", " ", 10, W("a", "b", "c") },
	{ "a b c ", " ", -1, W("a", "b", "c", "") },
	{ "a::b::c", "::", 2, W("a", "b::c") },
};

Test(split, literal_delimiters)
{
	for (size_t i = 0; i < sizeof(literal_cases) / sizeof(literal_cases[0]); i++) {
		const struct split_case *c = &literal_cases[i];
		expect_split(c->in, c->pat, c->limit, c->want);
	}
}

static const struct split_case regex_cases[] = {
	{ "a  b", "\\s+", 0, W("a", "b") },
	{ "  a b  ", "\\s+", 0, W("", "a", "b", "") },
	{ "a\tb \n c", "\\s+", 0, W("a", "b", "c") },
	{ "a,;b;,c", "[,;]+", 0, W("a", "b", "c") },
	{ ",a,", "[,;]+", 0, W("", "a", "") },
	{ "abcabc", "a|bc", 0, W("", "", "", "", "") },
	{ "abcabc", "a|bc", 2, W("", "bcabc") },
	{ "a b c ", "\\s+", 2, W("a", "b c ") },
	{ "", "\\s+", 0, W("") },
	{ "aébèc", "[éè]", 0, W("a", "b", "c") },
	/* Spark's documented examples */
	{ "oneAtwoBthreeC", "[ABC]", 0, W("one", "two", "three", "") },
	{ "oneAtwoBthreeC", "[ABC]", -1, W("one", "two", "three", "") },
	{ "oneAtwoBthreeC", "[ABC]", 2, W("one", "twoBthreeC") },
	{ "aa1cc2ee3", "[1-9]+", 0, W("aa", "cc", "ee", "") },
	{ "aa1cc2ee3", "[1-9]+", 2, W("aa", "cc2ee3") },
	/* A reported match hides a later one: found by scanning again. */
	{ "xyxyx", "xyx|x", 0, W("", "y", "") },
};

Test(split, regular_expressions)
{
	for (size_t i = 0; i < sizeof(regex_cases) / sizeof(regex_cases[0]); i++) {
		const struct split_case *c = &regex_cases[i];
		expect_split(c->in, c->pat, c->limit, c->want);
	}
}

Test(split, leftmost_longest_where_java_is_leftmost_first)
{
	/* Documented difference: Java takes "x" (first alternative) at 0 and
	 * gives ["", "y", "y", ""]; POSIX leftmost-longest takes "xyx". */
	expect_split("xyxyx", "x|xyx", 0, W("", "y", ""));
}

static const struct split_case empty_pattern_cases[] = {
	/* Spark 3.4+: characters, no trailing empty string */
	{ "hello", "", 0, W("h", "e", "l", "l", "o") },
	{ "hello", "", -1, W("h", "e", "l", "l", "o") },
	{ "héllo", "", 0, W("h", "é", "l", "l", "o") },
	/* SPARK-49968: with a limit the last element is the rest */
	{ "1A2A3A4", "", 3, W("1", "A", "2A3A4") },
	{ "hello", "", 1, W("hello") },
	{ "hello", "", 9, W("h", "e", "l", "l", "o") },
	{ "", "", 0, W("") },
};

Test(split, empty_pattern)
{
	for (size_t i = 0; i < sizeof(empty_pattern_cases) / sizeof(empty_pattern_cases[0]); i++) {
		const struct split_case *c = &empty_pattern_cases[i];
		expect_split(c->in, c->pat, c->limit, c->want);
	}
}

Test(split, literal_detection)
{
	static const struct {
		const char *pat, *lit; /* lit NULL: a regular expression */
	} cases[] = {
		{ " ", " " }, { "::", "::" }, { "\\.", "." }, { "\\\\", "\\" },
		{ "a\\|b", "a|b" }, { "\\Qa.b\\E", "a.b" }, { "\\Q*", "*" }, { "é", "é" },
		{ ",", "," }, { "-", "-" },
		{ ".", NULL }, { "a|b", NULL }, { "\\s", NULL }, { "\\d+", NULL }, { "[,]", NULL },
		{ "a+", NULL }, { "(a)", NULL }, { "^a", NULL }, { "a$", NULL }, { "a{2}", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[256];
		struct sl_splitter *sp = sl_splitter_create(cases[i].pat, (uint32_t)strlen(cases[i].pat),
							    msg, sizeof(msg));
		cr_assert_not_null(sp, "'%s': %s", cases[i].pat, msg);
		const char *d = NULL;
		uint32_t dl = 0;
		bool lit = sl_splitter_literal(sp, &d, &dl);
		if (cases[i].lit == NULL) {
			cr_assert(!lit, "'%s' taken as a literal", cases[i].pat);
		} else {
			cr_assert(lit, "'%s' not taken as a literal", cases[i].pat);
			cr_assert(dl == strlen(cases[i].lit) && memcmp(d, cases[i].lit, dl) == 0,
				  "'%s' -> '%.*s'", cases[i].pat, (int)dl, d);
		}
		sl_splitter_destroy(sp);
	}
}

Test(split, nulls)
{
	const char *rows[3] = { "a b", NULL, "" };
	struct strcol sc;
	struct sl_vec out;
	char err[256];

	strcol_init(&sc, rows, 3);
	/* null input row -> null array */
	struct sl_expr *e = split_expr(" ", 0);
	cr_assert_eq(sl_expr_prepare(e, err, sizeof(err)), 0);
	cr_assert_eq(sl_expr_eval(e, &sc.c, ctx, &out), 0);
	cr_assert_not_null(out.nulls);
	cr_assert(!out.nulls[0] && out.nulls[1] && !out.nulls[2]);
	cr_assert_eq(out.v.arr[0].len, 2);
	cr_assert_eq(out.v.arr[2].len, 1);
	sl_expr_free(e);

	/* null pattern -> every row null */
	e = call(SL_FN_SPLIT, SL_TYPE_ARRAY, 2, col(0, SL_TYPE_STRING), lit_null(SL_TYPE_STRING));
	cr_assert_eq(sl_expr_prepare(e, err, sizeof(err)), 0);
	cr_assert_eq(sl_expr_eval(e, &sc.c, ctx, &out), 0);
	for (int i = 0; i < 3; i++)
		cr_assert(sl_vec_is_null(&out, (uint32_t)i));
	sl_expr_free(e);

	/* null limit -> every row null */
	e = call(SL_FN_SPLIT, SL_TYPE_ARRAY, 3, col(0, SL_TYPE_STRING), lit_str(" "),
		 lit_null(SL_TYPE_INT));
	cr_assert_eq(sl_expr_prepare(e, err, sizeof(err)), 0);
	cr_assert_eq(sl_expr_eval(e, &sc.c, ctx, &out), 0);
	for (int i = 0; i < 3; i++)
		cr_assert(sl_vec_is_null(&out, (uint32_t)i));
	sl_expr_free(e);
}

Test(split, limit_from_a_column)
{
	/* limit as an INT column: per-row limits, a null limit gives null */
	struct sl_str s[3] = { { "a b c", 5 }, { "a b c", 5 }, { "a b c", 5 } };
	int64_t lim[3] = { 2, -1, 0 };
	uint8_t lnull[3] = { 0, 0, 1 };
	struct sl_vec cols[2] = {
		{ .type = SL_TYPE_STRING, .v.str = s },
		{ .type = SL_TYPE_INT, .v.i64 = lim, .nulls = lnull },
	};
	struct sl_chunk c = { 3, 2, cols };
	struct sl_expr *e = call(SL_FN_SPLIT, SL_TYPE_ARRAY, 3, col(0, SL_TYPE_STRING),
				 lit_str(" "), col(1, SL_TYPE_INT));
	char err[256];
	struct sl_vec out;
	cr_assert_eq(sl_expr_prepare(e, err, sizeof(err)), 0);
	cr_assert_eq(sl_expr_eval(e, &c, ctx, &out), 0);
	cr_assert_eq(out.v.arr[0].len, 2);
	cr_assert_eq(out.v.arr[1].len, 3);
	cr_assert(sl_vec_is_null(&out, 2));
	const struct sl_str last = out.elem->v.str[out.v.arr[0].off + 1];
	cr_assert(last.len == 3 && memcmp(last.ptr, "b c", 3) == 0);
	sl_expr_free(e);
}

Test(split, bad_patterns_name_line_column_and_reason)
{
	static const struct {
		const char *pat, *reason;
	} cases[] = {
		{ "(a)\\1", "Back-references are unsupported" },
		{ "a(?=b)", "Zero-width assertions are not supported" },
		{ "[a", "Unterminated character class starting at index 0" },
		{ "a*", "it can match the empty string" },
		{ "\\s*", "it can match the empty string" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_expr *e = split_expr(cases[i].pat, 0);
		char err[512] = "";
		char want[512];
		cr_assert_eq(sl_expr_prepare(e, err, sizeof(err)), -EINVAL, "'%s' compiled", cases[i].pat);
		snprintf(want, sizeof(want),
			 "line 1, column 21: cannot compile regular expression '%s': %s", cases[i].pat,
			 cases[i].reason);
		cr_assert(strncmp(err, want, strlen(want)) == 0, "got: %s\nwant prefix: %s", err, want);
		cr_assert(strstr(err, "; sluice supports the regular expressions Hyperscan does "
				      "(no back-references or look-around)") != NULL, "%s", err);
		sl_expr_free(e);
	}
}

/* A tiny deterministic generator for the property tests. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/* The kernels agree: a literal (memchr, memmem), a character class (byte
 * table) and Hyperscan give the same pieces for equivalent patterns, on
 * random text and limits. */
Test(split, literal_class_and_regex_kernels_agree)
{
	static const char *const groups[][4] = {
		{ ",", "[,]", "(?:,)", NULL },
		{ " ", "[ ]", "(?: )", NULL },
		{ "ab", "(?:ab)", "a(?:b)", NULL },
		{ "aba", "a(?:b)a", NULL, NULL },
		{ "[, ]+", "(?:[, ]|,)+", NULL, NULL },
		{ "\\s+", "(?:\\s)+", NULL, NULL },
		{ "[a-c]", "(?:a|b|c)", NULL, NULL },
	};
	static const char alphabet[] = "ab, c\t";
	char text[64];

	for (int iter = 0; iter < 300; iter++) {
		uint32_t len = rnd(40);
		for (uint32_t i = 0; i < len; i++)
			text[i] = alphabet[rnd(sizeof(alphabet) - 1)];
		text[len] = '\0';
		int64_t limit = (int64_t)rnd(6) - 2; /* -2..3 */
		for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
			struct sl_expr *ref = split_expr(groups[g][0], limit);
			char err[256];
			struct strcol sc;
			const char *rows[1] = { text };
			struct sl_vec va, vb;
			strcol_init(&sc, rows, 1);
			cr_assert_eq(sl_expr_prepare(ref, err, sizeof(err)), 0, "%s", err);
			cr_assert_eq(sl_expr_eval(ref, &sc.c, ctx, &va), 0);
			for (int k = 1; k < 4 && groups[g][k] != NULL; k++) {
				struct sl_expr *b = split_expr(groups[g][k], limit);
				cr_assert_eq(sl_expr_prepare(b, err, sizeof(err)), 0, "%s", err);
				cr_assert_eq(sl_expr_eval(b, &sc.c, ctx, &vb), 0);
				cr_assert_eq(va.v.arr[0].len, vb.v.arr[0].len, "'%s' vs '%s' on '%s' limit %ld",
					     groups[g][0], groups[g][k], text, (long)limit);
				for (uint32_t i = 0; i < va.v.arr[0].len; i++) {
					struct sl_str x = va.elem->v.str[va.v.arr[0].off + i];
					struct sl_str y = vb.elem->v.str[vb.v.arr[0].off + i];
					cr_assert(x.ptr == y.ptr && x.len == y.len, "'%s' vs '%s' on '%s' piece %u",
						  groups[g][0], groups[g][k], text, i);
				}
				sl_expr_free(b);
			}
			sl_expr_free(ref);
			sl_eval_ctx_reset(ctx);
		}
	}
}

static const struct split_case class_cases[] = {
	{ "a\tb\t\tc", "\\t", 0, W("a", "b", "", "c") },
	{ "a,b;c", "[,;]", 0, W("a", "b", "c") },
	{ "a,;b", "[,;]", 0, W("a", "", "b") },
	{ "a   b c", " +", 0, W("a", "b", "c") },
	{ "x12y3z", "\\d+", 0, W("x", "y", "z") },
	{ "one-two_three", "[-_]", 0, W("one", "two", "three") },
	{ "a.b]c", "[.\\]]", 0, W("a", "b", "c") },
	{ "aXbYc", "[X-Z]", 2, W("a", "bYc") },
	{ "héllo wörld", "\\s+", 0, W("héllo", "wörld") },
};

Test(split, single_character_classes)
{
	for (size_t i = 0; i < sizeof(class_cases) / sizeof(class_cases[0]); i++) {
		const struct split_case *c = &class_cases[i];
		expect_split(c->in, c->pat, c->limit, c->want);
	}
}

Test(split, invalid_utf8_rows_use_the_byte_database)
{
	/* "\xff" is not UTF-8: the row is scanned in byte mode, still split. */
	expect_split("a\xff" "b c", "\\s+", 0, W("a\xff" "b", "c"));
	expect_split("x\xc3" "y", "[y]", 0, W("x\xc3", ""));
}

Test(split, many_rows_grow_the_word_arrays)
{
	/* Rows made only of delimiters give len + 1 pieces each: more than the
	 * first guess of the word array, which must grow. */
	static char rows_buf[16][40];
	const char *rows[16];
	struct strcol sc;
	struct sl_vec out;
	char err[256];
	for (int r = 0; r < 16; r++) {
		memset(rows_buf[r], ',', 39);
		rows_buf[r][39] = '\0';
		rows[r] = rows_buf[r];
	}
	strcol_init(&sc, rows, 16);
	struct sl_expr *e = split_expr(",", 0);
	cr_assert_eq(sl_expr_prepare(e, err, sizeof(err)), 0);
	cr_assert_eq(sl_expr_eval(e, &sc.c, ctx, &out), 0);
	for (int r = 0; r < 16; r++) {
		cr_assert_eq(out.v.arr[r].len, 40);
		cr_assert_eq(out.v.arr[r].off, (uint32_t)r * 40);
		for (uint32_t i = 0; i < 40; i++)
			cr_assert_eq(out.elem->v.str[r * 40 + i].len, 0);
	}
	sl_expr_free(e);
}
