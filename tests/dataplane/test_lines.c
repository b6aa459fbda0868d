/*
 * test_lines.c — the line splitter: boundaries, "\r\n", empty and final
 * lines, over-long lines, NUL bytes, and a byte-at-a-time feed against a
 * one-shot feed on random text.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

/* What a splitter produced: copies of its lines. */
struct collected {
	size_t n, cap;
	char **s;
	uint32_t *len;
};

static void collect(struct collected *c, struct sl_str line)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->s = realloc(c->s, c->cap * sizeof(*c->s));
		c->len = realloc(c->len, c->cap * sizeof(*c->len));
		cr_assert(c->s != NULL && c->len != NULL);
	}
	c->s[c->n] = malloc(line.len + 1);
	cr_assert(c->s[c->n] != NULL);
	memcpy(c->s[c->n], line.ptr, line.len);
	c->s[c->n][line.len] = '\0';
	c->len[c->n] = line.len;
	c->n++;
}

static void collected_free(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->s[i]);
	free(c->s);
	free(c->len);
	memset(c, 0, sizeof(*c));
}

static void drain(struct sl_lines *l, struct collected *c)
{
	struct sl_str out[3];
	uint32_t k;
	while ((k = sl_lines_next_burst(l, out, 3)) > 0)
		for (uint32_t i = 0; i < k; i++)
			collect(c, out[i]);
}

/* Feed data in pieces of `piece` bytes (copying), draining between pieces;
 * then end of input if `eof`. */
static void run_pieces(struct sl_lines *l, const char *data, size_t n, size_t piece, bool eof,
		       struct collected *c)
{
	size_t off = 0;
	while (off < n) {
		size_t want = n - off < piece ? n - off : piece;
		size_t took = sl_lines_feed(l, data + off, want);
		cr_assert(took > 0, "no room after a drain");
		off += took;
		drain(l, c);
	}
	if (eof) {
		sl_lines_eof(l);
		drain(l, c);
	}
}

static void expect_lines(const struct collected *c, const char *const *want, size_t nwant)
{
	cr_assert_eq(c->n, nwant, "got %zu lines, want %zu", c->n, nwant);
	for (size_t i = 0; i < nwant; i++) {
		cr_assert_eq(c->len[i], strlen(want[i]), "line %zu: length %u, want %zu", i,
			     c->len[i], strlen(want[i]));
		cr_assert(memcmp(c->s[i], want[i], c->len[i]) == 0, "line %zu: '%s', want '%s'",
			  i, c->s[i], want[i]);
	}
}

struct split_case {
	const char *name;
	const char *input;
	size_t piece;
	bool eof;
	uint64_t max_line;
	const char *want[8];
	size_t nwant;
	uint64_t malformed;
};

static const struct split_case split_cases[] = {
	{"simple", "a\nbb\nccc\n", 64, true, 100, {"a", "bb", "ccc"}, 3, 0},
	{"across pieces", "hello\nworld\nxy\n", 3, true, 100, {"hello", "world", "xy"}, 3, 0},
	{"one byte pieces", "hello\nworld\n", 1, true, 100, {"hello", "world"}, 2, 0},
	{"crlf", "a\r\nb\r\n", 64, true, 100, {"a", "b"}, 2, 0},
	{"crlf split between pieces", "ab\r\ncd\r\n", 3, true, 100, {"ab", "cd"}, 2, 0},
	{"only one cr removed", "a\r\r\nb\n", 64, true, 100, {"a\r", "b"}, 2, 0},
	{"cr inside a line kept", "a\rb\n", 64, true, 100, {"a\rb"}, 1, 0},
	{"empty lines", "\n\na\n\n", 64, true, 100, {"", "", "a", ""}, 4, 0},
	{"empty crlf line", "\r\n", 64, true, 100, {""}, 1, 0},
	{"no final newline, eof", "x\ny", 64, true, 100, {"x", "y"}, 2, 0},
	{"no final newline, no eof", "x\ny", 64, false, 100, {"x"}, 1, 0},
	{"final cr at eof removed", "x\nz\r", 64, true, 100, {"x", "z"}, 2, 0},
	{"nothing after final newline", "x\n", 64, true, 100, {"x"}, 1, 0},
	{"empty input", "", 64, true, 100, {""}, 0, 0},
	{"exactly max", "abcd\n", 64, true, 4, {"abcd"}, 1, 0},
	{"exactly max with crlf", "abcd\r\n", 2, true, 4, {"abcd"}, 1, 0},
	{"max + 1", "abcde\nok\n", 64, true, 4, {"ok"}, 1, 1},
	{"over-long in the middle", "ab\nabcdefghijk\ncd\n", 64, true, 4, {"ab", "cd"}, 2, 1},
	{"over-long across pieces", "ab\nabcdefghijklmnop\ncd\n", 2, true, 4, {"ab", "cd"}, 2, 1},
	{"two over-long in a row", "abcdefgh\nijklmnop\nq\n", 3, true, 4, {"q"}, 1, 2},
	{"over-long at the end, no newline", "ab\nabcdefghij", 64, true, 4, {"ab"}, 1, 1},
	{"over-long at the end, pieces", "ab\nabcdefghij", 1, true, 4, {"ab"}, 1, 1},
	{"over-long last line with newline", "ab\nabcdefghij\n", 4, true, 4, {"ab"}, 1, 1},
	{"max_line 0 keeps empty lines", "\na\n\r\n", 64, true, 0, {"", ""}, 2, 1},
};

Test(lines, split_table)
{
	for (size_t i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
		const struct split_case *tc = &split_cases[i];
		struct sl_lines *l = sl_lines_create(tc->max_line, 16);
		cr_assert(l != NULL, "%s", tc->name);
		struct collected c = {0};
		run_pieces(l, tc->input, strlen(tc->input), tc->piece, tc->eof, &c);
		cr_assert_eq(c.n, tc->nwant, "%s: got %zu lines, want %zu", tc->name, c.n,
			     tc->nwant);
		for (size_t j = 0; j < tc->nwant; j++)
			cr_assert(c.len[j] == strlen(tc->want[j]) &&
					  memcmp(c.s[j], tc->want[j], c.len[j]) == 0,
				  "%s: line %zu is '%s', want '%s'", tc->name, j, c.s[j],
				  tc->want[j]);
		cr_assert_eq(sl_lines_malformed(l), tc->malformed, "%s: malformed %llu, want %llu",
			     tc->name, (unsigned long long)sl_lines_malformed(l),
			     (unsigned long long)tc->malformed);
		collected_free(&c);
		sl_lines_destroy(l);
	}
}

Test(lines, nul_bytes_and_invalid_utf8_pass_as_bytes)
{
	static const char in[] = "a\0b\n\xff\xfe\xc3\n\0\n";
	struct sl_lines *l = sl_lines_create(100, 64);
	struct collected c = {0};
	run_pieces(l, in, sizeof(in) - 1, 2, true, &c);
	cr_assert_eq(c.n, 3);
	cr_assert_eq(c.len[0], 3);
	cr_assert(memcmp(c.s[0], "a\0b", 3) == 0);
	cr_assert_eq(c.len[1], 3);
	cr_assert(memcmp(c.s[1], "\xff\xfe\xc3", 3) == 0);
	cr_assert_eq(c.len[2], 1);
	cr_assert_eq(c.s[2][0], '\0');
	collected_free(&c);
	sl_lines_destroy(l);
}

Test(lines, over_long_line_is_never_buffered_whole)
{
	const uint64_t max = 8;
	struct sl_lines *l = sl_lines_create(max, 16);
	struct collected c = {0};
	char x[10];
	memset(x, 'x', sizeof(x));
	cr_assert_eq(sl_lines_feed(l, "ok\n", 3), 3);
	drain(l, &c);
	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(sl_lines_feed(l, x, sizeof(x)), sizeof(x), "stalled at piece %d", i);
		drain(l, &c);
		cr_assert_leq(sl_lines_buffered(l), max + 1, "piece %d: %zu bytes held", i,
			      sl_lines_buffered(l));
	}
	cr_assert_eq(sl_lines_feed(l, "\r\nyes\n", 6), 6);
	drain(l, &c);
	const char *want[] = {"ok", "yes"};
	expect_lines(&c, want, 2);
	cr_assert_eq(sl_lines_malformed(l), 1);
	collected_free(&c);
	sl_lines_destroy(l);
}

Test(lines, zero_copy_receive_in_place)
{
	struct sl_lines *l = sl_lines_create(32, 64);
	char *p;
	size_t room = sl_lines_space(l, &p);
	cr_assert_geq(room, 64);
	memcpy(p, "one\ntwo\nthr", 11);
	sl_lines_produced(l, 11);
	struct sl_str out[4];
	cr_assert_eq(sl_lines_next_burst(l, out, 4), 2);
	/* the lines are views of the bytes received, not copies */
	cr_assert_eq(out[0].ptr, p);
	cr_assert_eq(out[1].ptr, p + 4);
	cr_assert_eq(sl_lines_buffered(l), 3);
	char *q;
	room = sl_lines_space(l, &q);
	cr_assert_geq(room, 64, "room after a drain is at least the promised space");
	memcpy(q, "ee\n", 3);
	sl_lines_produced(l, 3);
	cr_assert_eq(sl_lines_next(l, &out[0]), 1);
	cr_assert_eq(out[0].len, 5);
	cr_assert(memcmp(out[0].ptr, "three", 5) == 0);
	cr_assert_eq(sl_lines_next(l, &out[0]), 0);
	sl_lines_destroy(l);
}

Test(lines, room_is_restored_after_every_drain)
{
	const uint64_t max = 100;
	const size_t space = 50;
	struct sl_lines *l = sl_lines_create(max, space);
	struct collected c = {0};
	uint32_t want_len[60];
	for (int round = 0; round < 60; round++) {
		/* a line of 0..max bytes then "\r\n", written in pieces as
		 * large as the room offered, so tails of every size up to
		 * max + 1 are left behind */
		size_t len = (size_t)(round * 37) % (size_t)(max + 1);
		want_len[round] = (uint32_t)len;
		size_t todo = len + 2;
		while (todo > 0) {
			char *p;
			size_t room = sl_lines_space(l, &p);
			cr_assert_geq(room, space, "round %d: room %zu", round, room);
			size_t k = todo < room ? todo : room;
			for (size_t i = 0; i < k; i++) {
				size_t pos = len + 2 - todo + i;
				p[i] = pos < len ? (char)('a' + round % 26) : pos == len ? '\r' : '\n';
			}
			sl_lines_produced(l, k);
			todo -= k;
			drain(l, &c);
			cr_assert_leq(sl_lines_buffered(l), max + 1);
		}
	}
	cr_assert_eq(c.n, 60);
	for (size_t i = 0; i < c.n; i++)
		cr_assert_eq(c.len[i], want_len[i], "line %zu", i);
	cr_assert_eq(sl_lines_malformed(l), 0);
	cr_assert_eq(sl_lines_buffer_bytes(max, space), max + 1 + space);
	collected_free(&c);
	sl_lines_destroy(l);
}

Test(lines, burst_respects_max)
{
	struct sl_lines *l = sl_lines_create(10, 64);
	sl_lines_feed(l, "a\nb\nc\nd\n", 8);
	struct sl_str out[4];
	cr_assert_eq(sl_lines_next_burst(l, out, 3), 3);
	cr_assert_eq(sl_lines_next_burst(l, out, 3), 1);
	cr_assert_eq(out[0].ptr[0], 'd');
	cr_assert_eq(sl_lines_next_burst(l, out, 3), 0);
	sl_lines_destroy(l);
}

Test(lines, reset_forgets_the_tail_and_eof)
{
	struct sl_lines *l = sl_lines_create(4, 64);
	struct collected c = {0};
	run_pieces(l, "abcdefgh", 8, 8, false, &c); /* over-long, skipping */
	sl_lines_reset(l);
	run_pieces(l, "ab", 2, 2, true, &c);
	sl_lines_reset(l);
	run_pieces(l, "cd\n", 3, 3, false, &c);
	const char *want[] = {"ab", "cd"};
	expect_lines(&c, want, 2);
	cr_assert_eq(sl_lines_malformed(l), 1);
	collected_free(&c);
	sl_lines_destroy(l);
}

Test(lines, create_rejects_bad_sizes)
{
	errno = 0;
	cr_assert_null(sl_lines_create((uint64_t)UINT32_MAX, 64));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(sl_lines_create(10, 0));
	cr_assert_eq(errno, EINVAL);
	sl_lines_destroy(NULL);
}

/* xorshift64*: reproducible random text */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void compare_feeds(uint64_t seed, uint64_t max_line, size_t space)
{
	const size_t n = 20000;
	char *text = malloc(n);
	cr_assert(text != NULL);
	uint64_t s = seed;
	static const char alphabet[] = {'a', 'b', ' ', '\r', '\0', (char)0xff, '\n'};
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rnd(&s);
		/* lines of varied length: mostly short, some over max_line */
		if (r % 23 == 0)
			text[i] = '\n';
		else
			text[i] = alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
	}
	struct sl_lines *one = sl_lines_create(max_line, space);
	struct sl_lines *big = sl_lines_create(max_line, space);
	struct collected a = {0}, b = {0};
	run_pieces(one, text, n, 1, true, &a);
	run_pieces(big, text, n, n, true, &b);
	cr_assert_gt(a.n, 100);
	cr_assert_eq(a.n, b.n, "seed %llu: %zu lines vs %zu", (unsigned long long)seed, a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		cr_assert_eq(a.len[i], b.len[i], "seed %llu line %zu", (unsigned long long)seed, i);
		cr_assert(memcmp(a.s[i], b.s[i], a.len[i]) == 0);
		cr_assert_leq(a.len[i], max_line);
	}
	cr_assert_eq(sl_lines_malformed(one), sl_lines_malformed(big));
	cr_assert_gt(sl_lines_malformed(one), 0, "the text should hold over-long lines");
	collected_free(&a);
	collected_free(&b);
	sl_lines_destroy(one);
	sl_lines_destroy(big);
	free(text);
}

Test(lines, byte_at_a_time_equals_one_shot_on_random_text)
{
	for (uint64_t seed = 1; seed <= 8; seed++)
		compare_feeds(seed * 0x9E3779B97F4A7C15ULL, 30, 1 + seed * 37);
}

/* SL_LINES_PADDING bytes after every line are readable (a parser reads
 * ahead in place: sl_recparse_line_padded), also after a line that ends at
 * the buffer's last byte and after the final line without '\n'; ASan
 * checks the reads. */
Test(lines, padding_after_every_line_is_readable)
{
	const uint64_t max_line = 8;
	const size_t space = 16;
	struct sl_lines *l = sl_lines_create(max_line, space);
	cr_assert(l != NULL);
	char *p;
	size_t room = sl_lines_space(l, &p);
	cr_assert_eq(room, sl_lines_buffer_bytes(max_line, space));
	/* fill every byte of the buffer: lines "abc\n" and a last '\n' at
	 * its end */
	for (size_t i = 0; i < room; i++)
		p[i] = i % 4 == 3 || i == room - 1 ? '\n' : (char)('a' + i % 4);
	sl_lines_produced(l, room);
	struct sl_str out[64];
	uint32_t n = sl_lines_next_burst(l, out, 64);
	cr_assert_gt(n, 0);
	unsigned sum = 0;
	for (uint32_t i = 0; i < n; i++)
		for (size_t k = 0; k < SL_LINES_PADDING; k++)
			sum += (unsigned char)out[i].ptr[out[i].len + k];
	/* the last line ends at the buffer's last byte: what follows is the
	 * zeroed padding */
	cr_assert_eq(out[n - 1].ptr + out[n - 1].len, p + room - 1);
	for (size_t k = 1; k < SL_LINES_PADDING; k++)
		cr_assert_eq(out[n - 1].ptr[out[n - 1].len + k], '\0');
	/* a final line without '\n' */
	sl_lines_reset(l);
	room = sl_lines_space(l, &p);
	memcpy(p, "xyz", 3);
	sl_lines_produced(l, 3);
	sl_lines_eof(l);
	cr_assert_eq(sl_lines_next_burst(l, out, 64), 1);
	for (size_t k = 0; k < SL_LINES_PADDING; k++)
		sum += (unsigned char)out[0].ptr[out[0].len + k];
	cr_assert(sum > 0);
	sl_lines_destroy(l);
}

/* The splitter against a plain reference (every '\n' ends a line, one '\r'
 * before it dropped, lines over max_line counted and dropped, the tail a
 * line at EOF): lines of 0 to 200 bytes across the 64-byte blocks that
 * sl_lines_next_burst searches at once, '\r' at block edges, bursts that
 * stop in the middle of a block, and reads in pieces of several sizes. */
Test(lines, blocks_and_bursts_same_as_reference)
{
	const size_t n = 60000;
	char *text = malloc(n);
	cr_assert(text != NULL);
	uint64_t s = 12345;
	for (size_t i = 0; i < n;) {
		uint64_t r = rnd(&s);
		size_t len = r % 7 == 0 ? (r >> 8) % 200 : 40 + (r >> 8) % 30;
		for (size_t k = 0; k < len && i < n; k++, i++)
			text[i] = (char)('a' + (rnd(&s) >> 20) % 26);
		if (i < n && (r >> 40) % 3 == 0)
			text[i - (i > 0)] = '\r';
		if (i < n)
			text[i++] = '\n';
	}
	static const uint64_t max_lines[] = {0, 1, 45, 63, 64, 65, 100, 1000};
	static const size_t pieces[] = {1, 7, 64, 65, 1000, 60000};
	for (size_t m = 0; m < sizeof(max_lines) / sizeof(max_lines[0]); m++) {
		/* the reference */
		struct collected want = {0};
		uint64_t want_bad = 0;
		for (size_t at = 0, start = 0; at <= n; at++) {
			if (at < n && text[at] != '\n')
				continue;
			if (at == n && start == n)
				break;
			size_t len = at - start;
			if (len > 0 && text[at - 1] == '\r' && at < n)
				len--;
			else if (at == n && len > 0 && text[at - 1] == '\r')
				len--;
			if (len > max_lines[m])
				want_bad++;
			else
				collect(&want, (struct sl_str){text + start, (uint32_t)len});
			start = at + 1;
		}
		for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
			for (uint32_t burst = 1; burst <= 64; burst *= 4) {
				struct sl_lines *l = sl_lines_create(max_lines[m], 4096);
				cr_assert(l != NULL);
				struct collected got = {0};
				size_t off = 0;
				struct sl_str out[64];
				uint32_t k;
				while (off < n) {
					size_t want_n = n - off < pieces[p] ? n - off : pieces[p];
					size_t took = sl_lines_feed(l, text + off, want_n);
					off += took;
					while ((k = sl_lines_next_burst(l, out, burst)) > 0)
						for (uint32_t i = 0; i < k; i++)
							collect(&got, out[i]);
				}
				sl_lines_eof(l);
				while ((k = sl_lines_next_burst(l, out, burst)) > 0)
					for (uint32_t i = 0; i < k; i++)
						collect(&got, out[i]);
				cr_assert_eq(got.n, want.n, "max_line %llu, pieces %zu, burst %u: %zu lines, want %zu",
					     (unsigned long long)max_lines[m], pieces[p], burst, got.n, want.n);
				for (size_t i = 0; i < got.n; i++)
					cr_assert(got.len[i] == want.len[i] &&
							  memcmp(got.s[i], want.s[i], got.len[i]) == 0,
						  "max_line %llu, pieces %zu, burst %u: line %zu differs",
						  (unsigned long long)max_lines[m], pieces[p], burst, i);
				cr_assert_eq(sl_lines_malformed(l), want_bad);
				collected_free(&got);
				sl_lines_destroy(l);
			}
		}
		collected_free(&want);
	}
	free(text);
}

/* Whether s[0..n) holds a byte of 0x80 or over. */
static bool any_high(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

Test(lines, ascii_says_only_what_it_saw)
{
	/* sl_lines_ascii after each burst: never true when a line it returned
	 * holds a byte of 0x80 or over, wherever that byte is (in the part of
	 * a line received, and scanned, by an earlier call too); true for
	 * every burst of a text without such bytes (the block scan cut every
	 * line) */
	const size_t n = 40000;
	char *text = malloc(n);
	cr_assert(text != NULL);
	for (int high = 0; high < 2; high++) {
		uint64_t s = 777 + (uint64_t)high;
		for (size_t i = 0; i < n;) {
			uint64_t r = rnd(&s);
			size_t len = r % 7 == 0 ? (r >> 8) % 300 : 30 + (r >> 8) % 40;
			for (size_t k = 0; k < len && i < n; k++, i++)
				text[i] = (char)('a' + (rnd(&s) >> 20) % 26);
			if (high && len > 0 && (r >> 50) % 9 == 0)
				text[i - 1 - (r >> 30) % len] = (char)(0x80 + (r >> 12) % 128);
			if (i < n)
				text[i++] = '\n';
		}
		static const size_t pieces[] = {1, 7, 64, 65, 1000, 40000};
		for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
			for (uint32_t burst = 1; burst <= 64; burst *= 4) {
				struct sl_lines *l = sl_lines_create(1000, 4096);
				cr_assert(l != NULL);
				size_t off = 0, calls = 0, said = 0;
				struct sl_str out[64];
				uint32_t k;
				for (int last = 0; last < 2; last++) {
					while (last == 0 && off < n) {
						size_t w = n - off < pieces[p] ? n - off : pieces[p];
						off += sl_lines_feed(l, text + off, w);
						while ((k = sl_lines_next_burst(l, out, burst)) > 0) {
							bool hi = false;
							for (uint32_t i = 0; i < k; i++)
								hi = hi || any_high(out[i].ptr, out[i].len);
							cr_assert(!(hi && sl_lines_ascii(l)),
								  "pieces %zu, burst %u: a high byte, yet ASCII",
								  pieces[p], burst);
							calls++;
							said += sl_lines_ascii(l);
						}
					}
					if (last == 1) {
						sl_lines_eof(l);
						while ((k = sl_lines_next_burst(l, out, burst)) > 0) {
							bool hi = false;
							for (uint32_t i = 0; i < k; i++)
								hi = hi || any_high(out[i].ptr, out[i].len);
							cr_assert(!(hi && sl_lines_ascii(l)));
							calls++;
							said += sl_lines_ascii(l);
						}
					}
				}
#if defined(__SSE2__)
				if (!high)
					cr_assert_eq(said, calls, "pieces %zu, burst %u: %zu of %zu bursts ASCII",
						     pieces[p], burst, said, calls);
				else
					cr_assert(said > 0 && said < calls);
#endif
				sl_lines_reset(l);
				cr_assert(!sl_lines_ascii(l));
				sl_lines_destroy(l);
			}
		}
	}
	free(text);
}

/* Take up to k complete lines of at most max_line bytes ('\r' before the
 * '\n' not counted) from what sl_lines_peek shows, as a caller that cuts
 * lines itself does: the lines (as the splitter would hand them) into c. */
static void take_some(struct sl_lines *l, uint32_t k, uint64_t max_line, struct collected *c)
{
	const char *p;
	size_t n = sl_lines_peek(l, &p), at = 0;
	for (uint32_t i = 0; i < k; i++) {
		const char *nl = memchr(p + at, '\n', n - at);
		if (nl == NULL)
			break;
		size_t len = (size_t)(nl - (p + at));
		if (len > 0 && p[at + len - 1] == '\r')
			len--;
		if (len > max_line)
			break;
		collect(c, (struct sl_str){p + at, (uint32_t)len});
		at = (size_t)(nl - p) + 1;
	}
	sl_lines_take(l, at);
}

Test(lines, peek_and_take_between_bursts)
{
	/* a caller that takes lines from sl_lines_peek's bytes itself
	 * (sl_lines_take), a few at a time, and the rest by bursts: the same
	 * lines, in order, and the same over-long lines dropped, as bursts
	 * alone, whatever the pieces the bytes come in */
	const size_t n = 30000;
	char *text = malloc(n);
	cr_assert(text != NULL);
	uint64_t s = 4242;
	for (size_t i = 0; i < n;) {
		uint64_t r = rnd(&s);
		size_t len = r % 11 == 0 ? (r >> 8) % 400 : (r >> 8) % 60;
		for (size_t k = 0; k < len && i < n; k++, i++)
			text[i] = (char)('a' + (rnd(&s) >> 20) % 26);
		if (i < n && r % 5 == 0)
			text[i++] = '\r';
		if (i < n)
			text[i++] = '\n';
	}
	const uint64_t max_line = 300;
	struct sl_lines *ref = sl_lines_create(max_line, 4096);
	struct collected want = {0};
	run_pieces(ref, text, n, 1000, true, &want);
	static const size_t pieces[] = {1, 13, 64, 700, 30000};
	for (size_t pc = 0; pc < sizeof(pieces) / sizeof(pieces[0]); pc++) {
		struct sl_lines *l = sl_lines_create(max_line, 4096);
		struct collected got = {0};
		size_t off = 0;
		uint64_t t = 7;
		for (;;) {
			if (off < n) {
				size_t w = n - off < pieces[pc] ? n - off : pieces[pc];
				off += sl_lines_feed(l, text + off, w);
				if (off == n)
					sl_lines_eof(l);
			}
			uint32_t before = (uint32_t)got.n;
			take_some(l, (uint32_t)(rnd(&t) % 9), max_line, &got);
			struct sl_str out[3];
			uint32_t k = sl_lines_next_burst(l, out, 1 + (uint32_t)(rnd(&t) % 3));
			for (uint32_t i = 0; i < k; i++)
				collect(&got, out[i]);
			if (off == n && k == 0 && got.n == before && sl_lines_buffered(l) == 0)
				break;
		}
		cr_assert_eq(got.n, want.n, "pieces %zu: %zu lines, not %zu", pieces[pc], got.n, want.n);
		for (size_t i = 0; i < want.n; i++)
			cr_assert_str_eq(got.s[i], want.s[i], "pieces %zu, line %zu", pieces[pc], i);
		cr_assert_eq(sl_lines_malformed(l), sl_lines_malformed(ref));
		cr_assert_gt(sl_lines_malformed(l), 0u);
		collected_free(&got);
		sl_lines_destroy(l);
	}
	collected_free(&want);
	sl_lines_destroy(ref);
	free(text);
}

/* A scanner that ends records at '\n' and counts the bytes handed to it. */
static size_t count_nl(void *ctx, const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	size_t k = nl ? (size_t)(nl - s) : n;
	*(size_t *)ctx += nl ? k + 1 : k;
	return k;
}

Test(lines, peek_shows_nothing_while_a_line_is_dropped_or_half_scanned)
{
	/* while an over-long line is being dropped, its bytes are not lines;
	 * with a scanner, the bytes of a record it has begun to read are its
	 * own (it keeps state across them): peek shows none of them */
	struct sl_lines *l = sl_lines_create(8, 64);
	const char *p;
	sl_lines_feed(l, "0123456789abcdef", 16);
	struct sl_str out[2];
	cr_assert_eq(sl_lines_next_burst(l, out, 2), 0u);
	cr_assert_eq(sl_lines_peek(l, &p), 0u, "the over-long line's bytes are being dropped");
	sl_lines_feed(l, "x\nab\n", 5);
	cr_assert_eq(sl_lines_peek(l, &p), 0u);
	cr_assert_eq(sl_lines_next_burst(l, out, 2), 1u);
	cr_assert_eq(out[0].len, 2u);
	cr_assert_eq(sl_lines_malformed(l), 1u);
	sl_lines_feed(l, "cd\nef", 5);
	cr_assert_eq(sl_lines_peek(l, &p), 5u);
	cr_assert(memcmp(p, "cd\nef", 5) == 0);
	sl_lines_take(l, 3);
	cr_assert_eq(sl_lines_peek(l, &p), 2u);
	sl_lines_destroy(l);

	size_t seen = 0;
	l = sl_lines_create(100, 64);
	sl_lines_set_scanner(l, count_nl, &seen);
	sl_lines_feed(l, "ab\ncd", 5);
	cr_assert_eq(sl_lines_peek(l, &p), 5u, "nothing handed to the scanner yet");
	sl_lines_take(l, 3);
	cr_assert_eq(sl_lines_next_burst(l, out, 2), 0u); /* "cd" handed to the scanner */
	cr_assert_eq(seen, 2u);
	cr_assert_eq(sl_lines_peek(l, &p), 0u, "the scanner has begun the record");
	sl_lines_feed(l, "e\nf\n", 4);
	cr_assert_eq(sl_lines_next_burst(l, out, 1), 1u);
	cr_assert_eq(out[0].len, 3u);
	cr_assert_eq(seen, 4u, "the scanner was handed each byte once");
	cr_assert_eq(sl_lines_peek(l, &p), 2u);
	sl_lines_destroy(l);
}
