/*
 * fuzz_lines.c — libFuzzer harness for the line splitter (dataplane/lines.h),
 * the first code that sees a socket peer's raw bytes.
 *
 * Input layout:
 *
 *     byte 0   max_line = byte % 40 (0 allowed: only empty lines fit)
 *     byte 1   space = 1 + byte % 64 (receive room promised after a drain)
 *     byte 2   bit 0: copy in with sl_lines_feed, else receive in place
 *                     (sl_lines_space + sl_lines_produced)
 *              bit 1: take lines one at a time with sl_lines_next
 *              bits 2-4: burst size 1..8 for sl_lines_next_burst
 *              bit 5: lazy reader: after each chunk take one burst only,
 *                     so that complete lines pile up in the buffer
 *              bit 6: afterwards sl_lines_reset and run the payload again
 *              bit 7: before each burst, take a few lines from
 *                     sl_lines_peek's bytes and sl_lines_take them, as
 *                     the CSV spans do (those over max_line left)
 *     byte 3   seed of the chunk sizes (1 .. 1 + byte % 97 bytes each)
 *     rest     the byte stream, delivered in those chunks, then EOF
 *
 * Checked against a reference splitter run over the whole payload at once:
 * the exact sequence of lines (each <= max_line, no '\n', one trailing '\r'
 * removed) and the exact count of malformed (over-long) lines; room of at
 * least `space` whenever every line has been taken; nothing buffered at the
 * end. Every line is copied out as soon as it is returned, so a view that
 * points outside the buffer trips ASan. When sl_lines_ascii says a burst is
 * ASCII, none of its lines holds a byte of 0x80 or over. sl_lines_peek
 * shows the bytes from the next line on (the lines it starts with are
 * the next ones the reference has).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_lines: check failed at line %d: %s\n",   \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* Lines as one byte string plus lengths. */
struct line_log {
	char *bytes;
	size_t used;
	uint32_t *lens;
	size_t n;
};

static void log_add(struct line_log *g, const char *p, uint32_t len, size_t cap_bytes,
		    size_t cap_lines)
{
	CHECK(g->n < cap_lines);
	CHECK(g->used + len <= cap_bytes);
	memcpy(g->bytes + g->used, p, len);
	g->used += len;
	g->lens[g->n++] = len;
}

struct run {
	struct sl_lines *l;
	uint64_t max_line;
	size_t space;
	bool use_feed, one_at_a_time, lazy, peek;
	uint32_t burst;
	uint32_t rng;
	uint32_t max_chunk;
	struct line_log got;
	size_t cap_bytes, cap_lines;
};

static uint32_t next_rand(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9E3779B9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* A caller that cuts lines itself: up to 0..3 whole lines of
 * sl_lines_peek's bytes, each no longer than max_line ('\r' before the
 * '\n' not counted), logged and handed back with sl_lines_take. */
static void peek_take(struct run *r)
{
	const char *p;
	const size_t n = sl_lines_peek(r->l, &p);
	CHECK(n <= sl_lines_buffered(r->l));
	size_t at = 0;
	for (uint32_t i = next_rand(&r->rng) % 4; i > 0; i--) {
		const char *nl = n > at ? memchr(p + at, '\n', n - at) : NULL;
		if (nl == NULL)
			break;
		size_t len = (size_t)(nl - (p + at));
		if (len > 0 && p[at + len - 1] == '\r')
			len--;
		if (len > r->max_line)
			break;
		log_add(&r->got, p + at, (uint32_t)len, r->cap_bytes, r->cap_lines);
		at = (size_t)(nl - p) + 1;
	}
	sl_lines_take(r->l, at);
}

/* Take lines: one burst (lazy) or until the splitter has none. Returns
 * whether it drained (the last call returned 0). */
static bool take(struct run *r, bool drain)
{
	struct sl_str out[8];
	for (;;) {
		if (r->peek)
			peek_take(r);
		uint32_t k;
		if (r->one_at_a_time) {
			k = (uint32_t)sl_lines_next(r->l, &out[0]);
			CHECK(k <= 1);
		} else {
			k = sl_lines_next_burst(r->l, out, r->burst);
			CHECK(k <= r->burst);
		}
		const bool ascii = sl_lines_ascii(r->l);
		for (uint32_t i = 0; i < k; i++) {
			CHECK(out[i].len <= r->max_line);
			CHECK(out[i].len == 0 || memchr(out[i].ptr, '\n', out[i].len) == NULL);
			/* sl_lines_ascii: no line of the burst holds a byte >= 0x80 */
			for (uint32_t j = 0; ascii && j < out[i].len; j++)
				CHECK((unsigned char)out[i].ptr[j] < 0x80);
			log_add(&r->got, out[i].ptr, out[i].len, r->cap_bytes, r->cap_lines);
		}
		if (k == 0)
			return true;
		if (!drain)
			return false;
	}
}

static void after_drain(struct run *r)
{
	/* the contract: once every line is taken, at most max_line + 1 bytes
	 * stay and at least `space` bytes of room are offered */
	CHECK(sl_lines_buffered(r->l) <= r->max_line + 1);
	char *p;
	CHECK(sl_lines_space(r->l, &p) >= r->space);
}

static void deliver(struct run *r, const uint8_t *payload, size_t n)
{
	size_t pos = 0;
	while (pos < n) {
		size_t chunk = 1 + next_rand(&r->rng) % r->max_chunk;
		if (chunk > n - pos)
			chunk = n - pos;
		while (chunk > 0) {
			size_t took;
			if (r->use_feed) {
				took = sl_lines_feed(r->l, payload + pos, chunk);
			} else {
				char *p;
				size_t room = sl_lines_space(r->l, &p);
				took = chunk < room ? chunk : room;
				memcpy(p, payload + pos, took);
				sl_lines_produced(r->l, took);
			}
			pos += took;
			chunk -= took;
			if (took == 0) {
				/* no room: only possible with lines piled up */
				CHECK(take(r, true));
				after_drain(r);
				continue;
			}
			if (r->lazy) {
				take(r, false);
			} else {
				take(r, true);
				after_drain(r);
			}
		}
	}
	sl_lines_eof(r->l);
	take(r, true);
	CHECK(sl_lines_buffered(r->l) == 0);
}

/* The reference: split the whole payload at once. */
static uint64_t reference(const uint8_t *payload, size_t n, uint64_t max_line,
			  struct line_log *want, size_t cap_bytes, size_t cap_lines)
{
	uint64_t malformed = 0;
	size_t start = 0;
	while (start < n) {
		const uint8_t *nl = memchr(payload + start, '\n', n - start);
		size_t end = nl ? (size_t)(nl - payload) : n;
		size_t len = end - start;
		if (len > 0 && payload[start + len - 1] == '\r')
			len--;
		if (len > max_line)
			malformed++;
		else
			log_add(want, (const char *)payload + start, (uint32_t)len, cap_bytes,
				cap_lines);
		start = end + 1;
	}
	return malformed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	const uint8_t *payload = data + 4;
	size_t n = size - 4;
	bool again = (data[2] & 0x40) != 0;

	struct run r = {
		.max_line = data[0] % 40,
		.space = 1 + (size_t)(data[1] % 64),
		.use_feed = (data[2] & 1) != 0,
		.one_at_a_time = (data[2] & 2) != 0,
		.burst = 1 + ((data[2] >> 2) & 7),
		.lazy = (data[2] & 0x20) != 0,
		.peek = (data[2] & 0x80) != 0,
		.rng = 0x01000193u * (uint32_t)(data[3] + 1),
		.max_chunk = 1 + data[3] % 97,
	};
	r.l = sl_lines_create(r.max_line, r.space);
	CHECK(r.l != NULL);
	CHECK(sl_lines_buffer_bytes(r.max_line, r.space) == r.max_line + 1 + r.space);

	/* each run of the payload yields at most n + 1 lines and n bytes */
	int runs = again ? 2 : 1;
	r.cap_bytes = (n + 1) * (size_t)runs;
	r.cap_lines = (n + 1) * (size_t)runs;
	struct line_log want = {0};
	r.got.bytes = malloc(r.cap_bytes);
	r.got.lens = malloc(r.cap_lines * sizeof(*r.got.lens));
	want.bytes = malloc(r.cap_bytes);
	want.lens = malloc(r.cap_lines * sizeof(*want.lens));
	CHECK(r.got.bytes && r.got.lens && want.bytes && want.lens);

	uint64_t want_malformed = 0;
	for (int i = 0; i < runs; i++) {
		if (i > 0)
			sl_lines_reset(r.l);
		deliver(&r, payload, n);
		want_malformed += reference(payload, n, r.max_line, &want, r.cap_bytes, r.cap_lines);
	}

	CHECK(sl_lines_malformed(r.l) == want_malformed);
	CHECK(r.got.n == want.n);
	CHECK(r.got.used == want.used);
	CHECK(memcmp(r.got.lens, want.lens, want.n * sizeof(*want.lens)) == 0);
	CHECK(want.used == 0 || memcmp(r.got.bytes, want.bytes, want.used) == 0);

	free(want.bytes);
	free(want.lens);
	free(r.got.bytes);
	free(r.got.lens);
	sl_lines_destroy(r.l);
	return 0;
}
