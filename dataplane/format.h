/*
 * format.h — values as Spark prints them: doubles as Java's
 * Double.toString, timestamps as Spark's UTC display, and the text of one
 * show() cell for any type.
 *
 * The fixed-buffer formatters (sl_format_double, sl_format_timestamp,
 * sl_format_interval, sl_format_i64) never allocate and may run on the hot path (CAST to
 * STRING). Like snprintf they return the length the text needs; when that
 * is >= len the text was cut (and still NUL-terminated when len > 0).
 * SL_FORMAT_MAX bytes are always enough for any of them.
 *
 * struct sl_strbuf is a growable byte string for the control thread (the
 * console sink); it mallocs as it grows, so it stays off the hot path.
 */
#ifndef SL_FORMAT_H
#define SL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* The value of a hexadecimal digit (either case), or -1. */
static inline int sl_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Longest text of a double, timestamp, interval or integer, with its NUL
 * (an interval: "INTERVAL '-106751991 04:00:54.775808' DAY TO SECOND"). */
#define SL_FORMAT_MAX 64

/* Java's Double.toString (JDK 19+ shortest round-trip digits): "1.0", "0.1",
 * "1234567.0", "1.0E7", "1.234E-5", "4.9E-324", "NaN", "Infinity",
 * "-Infinity", "-0.0". Plain notation for 1e-3 <= |v| < 1e7. */
size_t sl_format_double(double v, char *buf, size_t len);

/* A TIMESTAMP (microseconds since the epoch) in UTC as Spark displays it:
 * "2024-01-01 10:00:00", a fraction only when non-zero and without trailing
 * zeros ("...:00.5"); proleptic Gregorian years, "-0001" and "+10000"
 * outside 0000..9999 as java.time prints them. */
size_t sl_format_timestamp(int64_t us, char *buf, size_t len);
/* A day-time interval as Spark shows it: "INTERVAL '0 00:10:00' DAY TO SECOND". */
size_t sl_format_interval(int64_t us, char *buf, size_t len);

/* A decimal integer ("-42"). */
size_t sl_format_i64(int64_t v, char *buf, size_t len);

/* A growable string. Owned by whoever declared it; one thread at a time.
 * ptr is NUL-terminated whenever cap > 0 (the NUL is not counted in len);
 * ptr may hold NUL bytes of its own (strings are bytes). */
struct sl_strbuf {
	char *ptr;
	size_t len;
	size_t cap;
};

void sl_strbuf_init(struct sl_strbuf *sb);
/* Frees the memory; the buffer is empty and usable again afterwards. */
void sl_strbuf_free(struct sl_strbuf *sb);
/* Empties the buffer, keeping its memory. */
void sl_strbuf_reset(struct sl_strbuf *sb);
/* Room for extra more bytes (and the NUL); 0 or -ENOMEM. */
int sl_strbuf_reserve(struct sl_strbuf *sb, size_t extra);
/* 0 or -ENOMEM; on failure the buffer is unchanged. */
int sl_strbuf_append(struct sl_strbuf *sb, const char *s, size_t n);
int sl_strbuf_puts(struct sl_strbuf *sb, const char *s);
int sl_strbuf_putc(struct sl_strbuf *sb, char c);
/* n copies of c. */
int sl_strbuf_fill(struct sl_strbuf *sb, char c, size_t n);
/* 32 lowercase hex digits of 16 random bytes and a NUL: query and run ids
 * (getrandom; the clock and pid when it fails). */
void sl_random_hex(char out[33]);
/* A time in microseconds since the epoch as ISO 8601 in UTC with
 * milliseconds, as Spark's progress writes it: 2026-11-30T12:00:41.000Z. */
void sl_format_iso_ms(int64_t us, char *buf, size_t len);
/* v as 8 little-endian bytes (checkpoint offsets); 0 or -ENOMEM. */
int sl_strbuf_put_u64(struct sl_strbuf *sb, uint64_t v);
/* Reads 8 little-endian bytes at *p (< end) and moves *p past them; false
 * when fewer are left. */
bool sl_get_u64(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* Spark's show() text of row `row` of v, appended to out: "null" for a null,
 * "true"/"false", integers, doubles and timestamps as above, strings as
 * their bytes, arrays as "[a, b, null]" (nested arrays likewise).
 * 0 or -ENOMEM (out may then hold part of the cell). */
int sl_format_cell(const struct sl_vec *v, uint32_t row, struct sl_strbuf *out);

#endif
