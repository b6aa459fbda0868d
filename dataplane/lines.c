/*
 * lines.c — the line splitter (see lines.h for the contract).
 *
 * Buffer layout, offsets from buf:
 *
 *     0 ........ start ........ scan ........ end ........ cap
 *     consumed   | unfinished line | unscanned |  free room
 *                 (no '\n' in [start, scan))
 *
 * States:
 *  - normal: [start, end) is the beginning of the current line and whatever
 *    followed it in the last receive;
 *  - skipping: the current line is already counted as malformed; bytes are
 *    dropped up to and including its '\n' (start == scan == end in between);
 *  - eof set: no more bytes will come; a non-empty tail is the last line.
 *
 * With a scanner (sl_lines_set_scanner) the search for the line's end is
 * the scanner's: it is handed each byte of [scan, end) once, in order,
 * skipped lines' bytes too, so that it can keep state (quotes) across
 * receives.
 */
#include "lines.h"

#include "plan_types.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

struct sl_lines {
	char *buf;         /* owned; cap bytes, then SL_LINES_PADDING readable ones */
	size_t cap;        /* max_line + 1 + space */
	size_t space;      /* receive room promised after a drain */
	size_t start;      /* first byte of the current line */
	size_t scan;       /* where the search for '\n' resumes */
	size_t end;        /* end of received bytes */
	uint64_t max_line; /* longest accepted line, '\r' excluded */
	uint64_t malformed;
	bool skipping;
	bool eof;
	bool hi_pending;   /* a byte 0x80 or over may be in [start, scan) */
	bool ascii;        /* sl_lines_ascii */
	sl_lines_scan_fn *find; /* where a record ends; NULL: at '\n' */
	void *find_ctx;
};

size_t sl_lines_buffer_bytes(uint64_t max_line, size_t space)
{
	return (size_t)max_line + 1 + space;
}

struct sl_lines *sl_lines_create(uint64_t max_line, size_t space)
{
	if (max_line > (uint64_t)UINT32_MAX - 1 || space == 0 ||
	    space > SIZE_MAX / 2 - (size_t)max_line) {
		errno = EINVAL;
		return NULL;
	}
	struct sl_lines *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->cap = sl_lines_buffer_bytes(max_line, space);
	/* zeroed: the padding after the last line is read before any byte is
	 * written there (lines.h SL_LINES_PADDING) */
	l->buf = calloc(1, l->cap + SL_LINES_PADDING);
	if (l->buf == NULL)
		goto err_free;
	l->space = space;
	l->max_line = max_line;
	return l;

err_free:
	free(l);
	errno = ENOMEM;
	return NULL;
}

void sl_lines_destroy(struct sl_lines *l)
{
	if (l == NULL)
		return;
	free(l->buf);
	free(l);
}

size_t sl_lines_space(struct sl_lines *l, char **ptr)
{
	if (l->start == l->end) {
		l->start = l->scan = l->end = 0;
	} else if (l->cap - l->end < l->space && l->start > 0) {
		/* the tail is at most max_line + 1 bytes once drained: a short
		 * move, and it restores at least `space` bytes of room */
		size_t n = l->end - l->start;
		memmove(l->buf, l->buf + l->start, n);
		l->scan -= l->start;
		l->end = n;
		l->start = 0;
	}
	*ptr = l->buf + l->end;
	return l->cap - l->end;
}

void sl_lines_produced(struct sl_lines *l, size_t n)
{
	if (n > l->cap - l->end)
		n = l->cap - l->end;
	l->end += n;
}

size_t sl_lines_feed(struct sl_lines *l, const void *data, size_t n)
{
	char *p;
	size_t room = sl_lines_space(l, &p);
	if (n > room)
		n = room;
	memcpy(p, data, n);
	sl_lines_produced(l, n);
	return n;
}

void sl_lines_eof(struct sl_lines *l)
{
	l->eof = true;
}

void sl_lines_reset(struct sl_lines *l)
{
	l->start = l->scan = l->end = 0;
	l->skipping = false;
	l->eof = false;
	l->hi_pending = false;
	l->ascii = false;
}

/* Hand out [start, start + len) with one trailing '\r' removed, or count it
 * as malformed. Returns 1 when a line was written to *out. */
static uint32_t emit(struct sl_lines *l, size_t len, struct sl_str *out)
{
	if (len > 0 && l->buf[l->start + len - 1] == '\r')
		len--;
	if (len > l->max_line) {
		l->malformed++;
		return 0;
	}
	out->ptr = l->buf + l->start;
	out->len = (uint32_t)len;
	return 1;
}

void sl_lines_set_scanner(struct sl_lines *l, sl_lines_scan_fn *find, void *ctx)
{
	l->find = find;
	l->find_ctx = ctx;
}

/* The '\n' that ends the current line (record) in [scan, end), or NULL. */
static inline const char *line_end(struct sl_lines *l)
{
	size_t n = l->end - l->scan;
	if (l->find == NULL)
		return memchr(l->buf + l->scan, '\n', n);
	size_t k = l->find(l->find_ctx, l->buf + l->scan, n);
	return k < n ? l->buf + l->scan + k : NULL;
}

#if defined(__SSE2__)
/* Bit i: p[i] == '\n', for the 64 bytes at p; the bytes ORed into *any
 * (bit 7 of a byte set where one is 0x80 or over). */
static inline uint64_t nl_bits(const char *p, __m128i *any)
{
	const __m128i nl = _mm_set1_epi8('\n');
	const __m128i *x = (const __m128i *)(const void *)p;
	const __m128i v0 = _mm_loadu_si128(x), v1 = _mm_loadu_si128(x + 1),
		      v2 = _mm_loadu_si128(x + 2), v3 = _mm_loadu_si128(x + 3);
	*any = _mm_or_si128(*any, _mm_or_si128(_mm_or_si128(v0, v1), _mm_or_si128(v2, v3)));
	uint64_t a = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v0, nl));
	uint64_t b = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v1, nl));
	uint64_t c = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v2, nl));
	uint64_t d = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v3, nl));
	return a | b << 16 | c << 32 | d << 48;
}

/*
 * Plain lines (no scanner, not skipping): the '\n's of [scan, end) found
 * 64 bytes at a time and the lines cut from the bits, as emit() cuts them,
 * instead of a memchr call per line (whose set-up costs more than its scan
 * on lines of 40 to 60 bytes). A block may reach past `end` into the
 * buffer's padding (readable); those bits are dropped. Returns the lines
 * written to out[0..max); when fewer than max, every '\n' is taken and
 * scan == end.
 */
static uint32_t burst_plain(struct sl_lines *l, struct sl_str *out, uint32_t max, bool *hi)
{
	char *const buf = l->buf;
	const size_t end = l->end;
	const uint64_t max_line = l->max_line;
	size_t start = l->start, scan = l->scan;
	uint32_t n = 0;
	/* the blocks ORed: bit 7 set where a byte is 0x80 or over (the
	 * padding past `end` too, which can only say so wrongly) */
	__m128i any = _mm_setzero_si128();
	while (scan < end) {
		uint64_t m = nl_bits(buf + scan, &any);
		if (end - scan < 64)
			m &= (1ull << (end - scan)) - 1;
		while (m != 0) {
			if (n == max) {
				l->start = l->scan = start;
				*hi = *hi || _mm_movemask_epi8(any) != 0;
				return n;
			}
			size_t at = scan + (size_t)__builtin_ctzll(m);
			m &= m - 1;
			size_t len = at - start;
			if (len > 0 && buf[at - 1] == '\r')
				len--;
			if (len > max_line) {
				l->malformed++;
			} else {
				out[n].ptr = buf + start;
				out[n].len = (uint32_t)len;
				n++;
			}
			start = at + 1;
		}
		scan += 64;
	}
	l->start = start;
	l->scan = end;
	*hi = *hi || _mm_movemask_epi8(any) != 0;
	return n;
}
#endif

/* Whether s[0..n) holds a byte of 0x80 or over. */
static bool has_high(const char *s, size_t n)
{
	unsigned char any = 0;
	for (size_t i = 0; i < n; i++)
		any |= (unsigned char)s[i];
	return (any & 0x80) != 0;
}

/* The lines of one sl_lines_next_burst call. */
static uint32_t next_burst(struct sl_lines *l, struct sl_str *out, uint32_t max, bool *hi,
			   bool *looked)
{
	uint32_t n = 0;
	while (n < max) {
#if defined(__SSE2__)
		if (l->find == NULL && !l->skipping) {
			n += burst_plain(l, out + n, max - n, hi);
			if (n == max)
				break;
		}
#endif
		const char *nl = line_end(l);
		if (l->skipping) {
			if (nl == NULL) {
				l->start = l->scan = l->end;
				return n;
			}
			l->skipping = false;
			l->start = l->scan = (size_t)(nl - l->buf) + 1;
			continue;
		}
		if (nl != NULL) {
			size_t at = (size_t)(nl - l->buf);
			/* a line cut here, not by the block scan: unknown bytes */
			*looked = false;
			n += emit(l, at - l->start, &out[n]);
			l->start = l->scan = at + 1;
			continue;
		}
		l->scan = l->end;
		size_t tail = l->end - l->start;
		if (l->eof) {
			if (tail > 0) {
				/* the last line: scanned by blocks only without a scanner */
				*looked = *looked && l->find == NULL;
				n += emit(l, tail, &out[n]);
				l->start = l->scan = l->end;
			}
			return n;
		}
		if (tail > l->max_line + 1) {
			/* longer than any line plus its '\r': malformed whatever
			 * follows, so drop it now rather than buffer it */
			l->malformed++;
			l->skipping = true;
			l->start = l->scan = l->end;
		}
		return n;
	}
	return n;
}

uint32_t sl_lines_next_burst(struct sl_lines *l, struct sl_str *out, uint32_t max)
{
	const size_t start0 = l->start, scan0 = l->scan;
	const bool hi0 = l->hi_pending;
#if defined(__SSE2__)
	bool hi = hi0, looked = true;
#else
	bool hi = hi0, looked = false; /* no block scan */
#endif
	uint32_t n = next_burst(l, out, max, &hi, &looked);
	/* ASCII: the part of the first line scanned before (hi0) and every
	 * block scanned now; a line the block scan did not cut, unknown */
	l->ascii = n > 0 && looked && !hi;
	/* what the next call will not scan again: [start, scan) of the
	 * unfinished line, the bytes of it scanned now checked once more
	 * (a line begun in this call: all of it; else those past scan0) */
	if (l->scan <= l->start)
		l->hi_pending = false;
	else if (l->start >= scan0 || l->start != start0)
		l->hi_pending = has_high(l->buf + l->start, l->scan - l->start);
	else
		l->hi_pending = hi0 || has_high(l->buf + scan0, l->scan - scan0);
	return n;
}

size_t sl_lines_peek(const struct sl_lines *l, const char **p)
{
	*p = l->buf + l->start;
	if (l->skipping || (l->find != NULL && l->scan != l->start))
		return 0;
	return l->end - l->start;
}

void sl_lines_take(struct sl_lines *l, size_t n)
{
	if (n > l->end - l->start)
		n = l->end - l->start;
	l->start += n;
	if (l->scan <= l->start) {
		/* the search for '\n' had not gone past the lines taken */
		l->scan = l->start;
		l->hi_pending = false;
	}
	l->ascii = false;
}

uint64_t sl_lines_max_line(const struct sl_lines *l)
{
	return l->max_line;
}

bool sl_lines_ascii(const struct sl_lines *l)
{
	return l->ascii;
}

int sl_lines_next(struct sl_lines *l, struct sl_str *line)
{
	return (int)sl_lines_next_burst(l, line, 1);
}

uint64_t sl_lines_malformed(const struct sl_lines *l)
{
	return l->malformed;
}

size_t sl_lines_buffered(const struct sl_lines *l)
{
	return l->end - l->start;
}

int sl_lines_check_schema(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	const struct sl_schema *s = &spec->schema;
	if (s->ncols == 0 || (s->ncols == 1 && s->cols[0].type == SL_TYPE_STRING &&
			      strcasecmp(s->cols[0].name, "value") == 0))
		return 0;
	char decl[256];
	size_t used = 0;
	decl[0] = '\0';
	for (uint32_t i = 0; i < s->ncols && used < sizeof(decl); i++) {
		int n = snprintf(decl + used, sizeof(decl) - used, "%s%s %s", i ? ", " : "",
				 s->cols[i].name, sl_type_name(s->cols[i].type));
		if (n < 0)
			break;
		used += (size_t)n;
	}
	snprintf(err, errlen,
		 "line %u, column %u: source '%s' (connector '%s') has the fixed schema (value STRING), "
		 "not (%s); declare it as CREATE SOURCE %s (value STRING) or leave the columns out",
		 spec->line, spec->column, spec->name, spec->connector, decl, spec->name);
	return -EINVAL;
}
