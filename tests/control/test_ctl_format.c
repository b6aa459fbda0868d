/*
 * test_ctl_format.c — what sluicectl shows (control/ctl_format.h): rates,
 * byte counts and percentages for people, `list`'s table laid out exactly
 * as the issue's example, sparklines and their history, and the skimmer
 * that cuts replies larger than the JSON codec's limits into pieces.
 * The socket path rules (control/ctl_path.h, sluicectl's and sluiced's
 * both) are checked here too: they are one function and one table.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_format.h"
#include "ctl_path.h"

/* --- numbers --- */

struct num_case {
	double v;
	const char *want;
};

static const struct num_case rate_cases[] = {
	{0, "0"},
	{1, "1"},
	{2.5, "2.5"},
	{9.94, "9.9"},
	{9.96, "10"},
	{12.4, "12"},
	{950, "950"},
	{999.4, "999"},
	{999.5, "1.0 K"}, /* rounds to 1000: the next unit, not "1000" */
	{1000, "1.0 K"},
	{1234, "1.2 K"},
	{9960, "10 K"},
	{950000, "950 K"},
	{999600, "1.0 M"},
	{1800000, "1.8 M"},
	{1810000, "1.8 M"},
	{12300000, "12 M"},
	{3.4e9, "3.4 G"},
	{5e12, "5.0 T"},
	{2e15, "2000 T"}, /* past the last unit: it keeps growing */
	{-1, "-"},
	{NAN, "-"},
	{INFINITY, "-"},
};

Test(ctl_format, rates_are_humanised)
{
	for (size_t i = 0; i < sizeof(rate_cases) / sizeof(rate_cases[0]); i++) {
		char buf[SL_CTL_NUM_MAX];
		size_t n = sl_ctl_rate(rate_cases[i].v, buf, sizeof(buf));
		cr_expect_str_eq(buf, rate_cases[i].want, "rate %g: got '%s', want '%s'",
				 rate_cases[i].v, buf, rate_cases[i].want);
		cr_expect_eq(n, strlen(buf));
	}
}

static const struct num_case byte_cases[] = {
	{0, "0 B"},
	{512, "512 B"},
	{999, "999 B"},
	{1000, "1.0 KiB"},
	{9400000, "9.0 MiB"},
	{100.0 * 1024 * 1024, "100 MiB"},
	{1.26 * 1024 * 1024 * 1024, "1.3 GiB"},
	{-5, "-"},
};

Test(ctl_format, bytes_are_humanised)
{
	for (size_t i = 0; i < sizeof(byte_cases) / sizeof(byte_cases[0]); i++) {
		char buf[SL_CTL_NUM_MAX];
		sl_ctl_bytes(byte_cases[i].v, buf, sizeof(buf));
		cr_expect_str_eq(buf, byte_cases[i].want, "bytes %g: got '%s', want '%s'",
				 byte_cases[i].v, buf, byte_cases[i].want);
	}
}

static const struct num_case percent_cases[] = {
	{0, "0%"}, {0.12, "12%"}, {0.93, "93%"}, {1, "100%"}, {1.02, "102%"},
	{NAN, "-"}, {-0.5, "-"}, {INFINITY, "10000%"},
};

Test(ctl_format, percentages)
{
	for (size_t i = 0; i < sizeof(percent_cases) / sizeof(percent_cases[0]); i++) {
		char buf[SL_CTL_NUM_MAX];
		sl_ctl_percent(percent_cases[i].v, buf, sizeof(buf));
		cr_expect_str_eq(buf, percent_cases[i].want);
	}
}

Test(ctl_format, a_short_buffer_is_cut_and_terminated)
{
	char buf[4];
	size_t n = sl_ctl_rate(1800000, buf, sizeof(buf));
	cr_expect_eq(n, 5);
	cr_expect_str_eq(buf, "1.8");
}

/* --- widths --- */

Test(ctl_format, widths_count_code_points)
{
	cr_expect_eq(sl_ctl_width(""), 0);
	cr_expect_eq(sl_ctl_width("word_counts"), 11);
	cr_expect_eq(sl_ctl_width("▁▂█"), 3);
	cr_expect_eq(sl_ctl_width("…x"), 2);
	cr_expect_eq(sl_ctl_width_n("▁▂█", 6), 2);
}

Test(ctl_format, clipping_never_cuts_a_character)
{
	const char *s = "ab▁▂█";
	cr_expect_eq(sl_ctl_clip(s, strlen(s), 0), 0);
	cr_expect_eq(sl_ctl_clip(s, strlen(s), 2), 2);
	cr_expect_eq(sl_ctl_clip(s, strlen(s), 3), 5);
	cr_expect_eq(sl_ctl_clip(s, strlen(s), 4), 8);
	cr_expect_eq(sl_ctl_clip(s, strlen(s), 5), 11);
	cr_expect_eq(sl_ctl_clip(s, strlen(s), 99), 11);
}

/* --- tables --- */

/* The issue's example, byte for byte: these minimum widths are
 * sluicectl list's. */
static const struct sl_ctl_col list_cols[] = {
	{"NAME", 4, false},       {"STATE", 7, false},        {"BATCH", 5, false},
	{"IN ROWS/S", 10, false}, {"DONE ROWS/S", 11, false}, {"LATE", 4, false},
	{"WATERMARK", 19, false}, {"STATE ROWS", 10, false},
};

Test(ctl_format, the_list_table_of_the_issue)
{
	const char *cells[] = {"word_counts", "active", "42", "1.8 M", "1.8 M", "0", "-",
			       "100000"};
	struct sl_strbuf out;
	sl_strbuf_init(&out);
	cr_assert_eq(sl_ctl_table(list_cols, 8, cells, 1, true, &out), 0);
	cr_expect_str_eq(out.ptr,
			 "NAME         STATE    BATCH  IN ROWS/S   DONE ROWS/S  LATE  WATERMARK  "
			 "          STATE ROWS\n"
			 "word_counts  active   42     1.8 M       1.8 M        0     -          "
			 "          100000\n");
	sl_strbuf_free(&out);
}

Test(ctl_format, columns_widen_to_their_widest_cell)
{
	const struct sl_ctl_col cols[] = {{"A", 0, false}, {"N", 0, true}, {"Z", 0, false}};
	const char *cells[] = {"longer", "1", "x", "s", "12345", "▁▂▃"};
	struct sl_strbuf out;
	sl_strbuf_init(&out);
	cr_assert_eq(sl_ctl_table(cols, 3, cells, 2, true, &out), 0);
	cr_expect_str_eq(out.ptr,
			 "A           N  Z\n"
			 "longer      1  x\n"
			 "s       12345  ▁▂▃\n");
	sl_strbuf_free(&out);
}

Test(ctl_format, no_line_ends_with_a_space)
{
	const struct sl_ctl_col cols[] = {{"A", 0, false}, {"B", 6, false}};
	const char *cells[] = {"x", NULL, "y", ""};
	struct sl_strbuf out;
	sl_strbuf_init(&out);
	cr_assert_eq(sl_ctl_table(cols, 2, cells, 2, false, &out), 0);
	cr_expect_str_eq(out.ptr, "x\ny\n");
	sl_strbuf_free(&out);
}

/* --- history and sparklines --- */

Test(ctl_format, history_keeps_the_last_sixty_oldest_first)
{
	struct sl_ctl_history h = {0};
	double out[SL_CTL_HISTORY];
	cr_expect_eq(sl_ctl_history_get(&h, out), 0);
	for (int i = 0; i < 5; i++)
		sl_ctl_history_push(&h, i);
	cr_assert_eq(sl_ctl_history_get(&h, out), 5);
	for (int i = 0; i < 5; i++)
		cr_expect_eq(out[i], i);
	for (int i = 5; i < 150; i++)
		sl_ctl_history_push(&h, i);
	cr_assert_eq(sl_ctl_history_get(&h, out), SL_CTL_HISTORY);
	for (int i = 0; i < SL_CTL_HISTORY; i++)
		cr_expect_eq(out[i], 150 - SL_CTL_HISTORY + i);
}

Test(ctl_format, sparkline_levels)
{
	double v[] = {0, 1, 2, 3, 4, 5, 6, 7};
	char buf[64];
	size_t n = sl_ctl_sparkline(v, 8, buf, sizeof(buf));
	cr_expect_str_eq(buf, "▁▂▃▄▅▆▇█");
	cr_expect_eq(n, 24);
	/* scaled to the largest: the same shape at any rate */
	double big[] = {0, 1e6, 2e6, 3e6, 4e6, 5e6, 6e6, 7e6};
	sl_ctl_sparkline(big, 8, buf, sizeof(buf));
	cr_expect_str_eq(buf, "▁▂▃▄▅▆▇█");
}

Test(ctl_format, sparkline_of_nothing_and_of_zeros)
{
	char buf[64] = "junk";
	cr_expect_eq(sl_ctl_sparkline(NULL, 0, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "");
	double z[] = {0, 0, 0};
	sl_ctl_sparkline(z, 3, buf, sizeof(buf));
	cr_expect_str_eq(buf, "▁▁▁");
	double one[] = {1800000};
	sl_ctl_sparkline(one, 1, buf, sizeof(buf));
	cr_expect_str_eq(buf, "█");
}

Test(ctl_format, sparkline_unknown_samples_are_gaps)
{
	double v[] = {10, NAN, -1, 5, INFINITY};
	char buf[64];
	sl_ctl_sparkline(v, 5, buf, sizeof(buf));
	/* infinity is the top; the finite largest (10) scales the rest */
	cr_expect_str_eq(buf, "█  ▅█");
}

Test(ctl_format, sparkline_cut_at_a_whole_character)
{
	double v[] = {0, 7, 7};
	char buf[8]; /* two characters and a NUL fit, not three */
	size_t n = sl_ctl_sparkline(v, 3, buf, sizeof(buf));
	cr_expect_eq(n, 9);
	cr_expect_str_eq(buf, "▁█");
}

/* --- the skimmer --- */

static char *skim(const char *text, const char *key)
{
	const char *v;
	size_t n;
	int rc = sl_ctl_skim_get(text, strlen(text), key, &v, &n);
	if (rc < 0)
		return strdup(rc == -ENOENT ? "<none>" : "<bad>");
	return strndup(v, n);
}

struct skim_case {
	const char *text, *key, *want;
};

static const struct skim_case skim_cases[] = {
	{"{\"id\":1,\"ok\":true,\"queries\":[]}", "ok", "true"},
	{"{\"id\":1,\"ok\":true,\"queries\":[]}", "queries", "[]"},
	{"{\"id\":1,\"ok\":true,\"queries\":[]}", "id", "1"},
	{" { \"a\" : -1.5e3 , \"b\" : null } ", "b", "null"},
	{" { \"a\" : -1.5e3 , \"b\" : null } ", "a", "-1.5e3"},
	/* brackets and quotes inside strings are text */
	{"{\"s\":\"}]{[\\\"\",\"t\":{\"u\":[1,{\"v\":\"]\"}]}}", "t", "{\"u\":[1,{\"v\":\"]\"}]}"},
	{"{\"s\":\"}]{[\\\"\",\"t\":2}", "s", "\"}]{[\\\"\""},
	/* only the top level counts; the first of two wins */
	{"{\"a\":{\"ok\":false},\"ok\":true,\"ok\":false}", "ok", "true"},
	{"{\"a\":1}", "ok", "<none>"},
	{"{}", "ok", "<none>"},
	{"[1,2]", "ok", "<bad>"},
	{"", "ok", "<bad>"},
	{"{\"a\":1", "ok", "<bad>"},
	{"{\"a\":\"cut", "ok", "<bad>"},
	{"{\"a\":{\"b\":1}", "ok", "<bad>"},
	{"{\"a\" 1}", "a", "<bad>"},
	{"{\"a\":1 \"ok\":true}", "ok", "<bad>"},
	{"{\"a\":}", "a", "<bad>"},
};

Test(ctl_format, skim_finds_top_level_members)
{
	for (size_t i = 0; i < sizeof(skim_cases) / sizeof(skim_cases[0]); i++) {
		char *got = skim(skim_cases[i].text, skim_cases[i].key);
		cr_expect_str_eq(got, skim_cases[i].want, "%s in %s: got %s, want %s",
				 skim_cases[i].key, skim_cases[i].text, got, skim_cases[i].want);
		free(got);
	}
}

/* The elements of text joined by '|', or "<bad>". */
static char *elements(const char *text)
{
	struct sl_ctl_skim it;
	struct sl_strbuf out;
	sl_strbuf_init(&out);
	if (sl_ctl_skim_array(&it, text, strlen(text)) < 0)
		return strdup("<bad>");
	const char *v;
	size_t n;
	int rc, i = 0;
	while ((rc = sl_ctl_skim_next(&it, &v, &n)) > 0) {
		if (i++ > 0)
			sl_strbuf_putc(&out, '|');
		sl_strbuf_append(&out, v, n);
	}
	char *s = rc < 0 ? strdup("<bad>") : strdup(out.ptr != NULL ? out.ptr : "");
	sl_strbuf_free(&out);
	cr_expect_eq(sl_ctl_skim_next(&it, &v, &n), rc < 0 ? -EINVAL : 0);
	return s;
}

Test(ctl_format, skim_walks_array_elements)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"[]", ""},
		{" [ ] ", ""},
		{"[1]", "1"},
		{"[{\"a\":[1,2]}, \"x,]\" ,true,[[]]]", "{\"a\":[1,2]}|\"x,]\"|true|[[]]"},
		{"[1,", "<bad>"},
		{"[1 2]", "<bad>"},
		{"[{]", "<bad>"},
		{"{}", "<bad>"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = elements(cases[i].text);
		cr_expect_str_eq(got, cases[i].want, "%s: got %s", cases[i].text, got);
		free(got);
	}
}

Test(ctl_format, skim_big_reply)
{
	/* 3 MiB of progress-like records: past the JSON parser's 1 MiB */
	struct sl_strbuf t;
	sl_strbuf_init(&t);
	sl_strbuf_puts(&t, "{\"id\":1,\"ok\":true,\"progress\":[");
	for (int i = 0; i < 3000; i++) {
		char rec[1100];
		int n = snprintf(rec, sizeof(rec), "%s{\"batchId\":%d,\"pad\":\"", i ? "," : "", i);
		memset(rec + n, 'x', 1000);
		strcpy(rec + n + 1000, "\"}");
		sl_strbuf_puts(&t, rec);
	}
	sl_strbuf_puts(&t, "]}");
	const char *v, *el;
	size_t vlen, ellen;
	cr_assert_eq(sl_ctl_skim_get(t.ptr, t.len, "progress", &v, &vlen), 0);
	struct sl_ctl_skim it;
	cr_assert_eq(sl_ctl_skim_array(&it, v, vlen), 0);
	int n = 0;
	while (sl_ctl_skim_next(&it, &el, &ellen) > 0) {
		char want[32];
		snprintf(want, sizeof(want), "{\"batchId\":%d,", n);
		cr_expect_eq(strncmp(el, want, strlen(want)), 0);
		n++;
	}
	cr_expect_eq(n, 3000);
	sl_strbuf_free(&t);
}

/* --- JSON strings --- */

Test(ctl_format, json_strings_decode)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
		{"\"\"", ""},
		{"\"plain\"", "plain"},
		{"\"# HELP x\\n# TYPE x gauge\\nx 1\\n\"", "# HELP x\n# TYPE x gauge\nx 1\n"},
		{"\"\\\"\\\\\\/\\b\\f\\r\\t\"", "\"\\/\b\f\r\t"},
		{"\"\\u00e9\\u20ac\"", "é€"},
		{"\"\\ud83d\\ude00\"", "😀"},
		{"\"é raw\"", "é raw"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_strbuf out;
		sl_strbuf_init(&out);
		cr_expect_eq(sl_ctl_json_string(cases[i].json, strlen(cases[i].json), &out), 0,
			     "%s", cases[i].json);
		cr_expect_str_eq(out.ptr != NULL ? out.ptr : "", cases[i].want, "%s",
				 cases[i].json);
		sl_strbuf_free(&out);
	}
}

Test(ctl_format, json_strings_refused)
{
	static const char *const bad[] = {
		"", "\"", "plain", "\"a\\\"", "\"\\x\"", "\"\\u12\"", "\"\\ud83d\"",
		"\"\\ude00\"", "\"\\ud83d\\u0041\"", "\"a\nb\"", "\"a\"b\"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sl_strbuf out;
		sl_strbuf_init(&out);
		cr_expect_eq(sl_ctl_json_string(bad[i], strlen(bad[i]), &out), -EINVAL, "%s",
			     bad[i]);
		sl_strbuf_free(&out);
	}
}

/* --- the socket path (ctl_path.h) --- */

static void clear_env(void)
{
	unsetenv("SLUICE_SOCKET");
	unsetenv("XDG_RUNTIME_DIR");
}

Test(ctl_path, default_under_xdg_runtime_dir, .init = clear_env)
{
	char buf[SL_CTL_PATH_MAX];
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	cr_assert_eq(sl_ctl_default_socket(buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "/run/user/1000/sluice/ctl.sock");
}

Test(ctl_path, default_under_tmp_without_xdg, .init = clear_env)
{
	char buf[SL_CTL_PATH_MAX], want[64];
	setenv("XDG_RUNTIME_DIR", "", 1); /* empty counts as unset */
	snprintf(want, sizeof(want), "/tmp/sluice-%lu/ctl.sock", (unsigned long)getuid());
	cr_assert_eq(sl_ctl_default_socket(buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, want);
	unsetenv("XDG_RUNTIME_DIR");
	cr_assert_eq(sl_ctl_default_socket(buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, want);
}

Test(ctl_path, option_then_environment_then_default, .init = clear_env)
{
	char buf[SL_CTL_PATH_MAX];
	setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
	cr_assert_eq(sl_ctl_socket_path(NULL, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "/run/user/7/sluice/ctl.sock");
	setenv("SLUICE_SOCKET", "/srv/s.sock", 1);
	cr_assert_eq(sl_ctl_socket_path(NULL, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "/srv/s.sock");
	cr_assert_eq(sl_ctl_socket_path("rel/ctl.sock", buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "rel/ctl.sock");
	cr_expect_eq(sl_ctl_socket_path("", buf, sizeof(buf)), -EINVAL);
}

Test(ctl_path, too_long_for_a_socket_address, .init = clear_env)
{
	char buf[512], longdir[200];
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	setenv("XDG_RUNTIME_DIR", longdir, 1);
	cr_expect_eq(sl_ctl_default_socket(buf, sizeof(buf)), -ENAMETOOLONG);
	cr_expect_str_eq(buf, "");
	cr_expect_eq(sl_ctl_socket_path(longdir, buf, sizeof(buf)), -ENAMETOOLONG);
	/* 107 bytes fit, 108 do not */
	char p[SL_CTL_PATH_MAX + 1];
	memset(p, 'p', sizeof(p));
	p[SL_CTL_PATH_MAX - 1] = '\0';
	cr_expect_eq(sl_ctl_socket_path(p, buf, sizeof(buf)), 0);
	p[SL_CTL_PATH_MAX - 1] = 'p';
	p[SL_CTL_PATH_MAX] = '\0';
	cr_expect_eq(sl_ctl_socket_path(p, buf, sizeof(buf)), -ENAMETOOLONG);
}
