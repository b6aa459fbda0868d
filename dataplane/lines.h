/*
 * lines.h — the line splitter shared by the text sources (socket now, file
 * later): bytes go in as they arrive, complete lines come out as
 * (pointer, length) views into the splitter's own buffer.
 *
 * A line ends at '\n'; one '\r' just before it is removed. NUL bytes and
 * invalid UTF-8 pass through as bytes. A line longer than max_line bytes
 * (after the '\r' is removed) is malformed: it is counted, skipped up to its
 * '\n', and never buffered whole. At end of input a final line without '\n'
 * is still a line (Spark's socket source reads with BufferedReader.readLine,
 * which does the same).
 *
 * Zero copy: a source receives straight into the buffer,
 *
 *     char *p; size_t room = sl_lines_space(l, &p);
 *     n = recv(fd, p, room, 0);
 *     sl_lines_produced(l, n);
 *     while ((k = sl_lines_next_burst(l, out, max)) > 0) ... use out[0..k) ...
 *
 * and the lines point into that buffer. They stay valid until the next call
 * to sl_lines_space(), sl_lines_feed() or sl_lines_reset(), which may move the
 * unfinished tail to the front of the buffer.
 *
 * Invariants:
 *  - The buffer is one fixed allocation of max_line + 1 + space bytes, and
 *    SL_LINES_PADDING more; no allocation happens after sl_lines_create().
 *  - SL_LINES_PADDING bytes after every line handed out are readable (its
 *    line end, then later lines, stale bytes or the zeroed padding), so a
 *    parser that reads ahead (simdjson) may take the line in place.
 *  - After sl_lines_next_burst() has returned 0, at most max_line + 1 bytes
 *    are kept (an unfinished line that may still end in "\r\n"); anything
 *    longer is already known to be malformed and is dropped as it arrives.
 *    So once every line has been taken, sl_lines_space() offers at least
 *    `space` bytes.
 *  - Not thread-safe: one splitter belongs to one connection or file on one
 *    ingest thread.
 */
#ifndef SL_LINES_H
#define SL_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* Readable bytes after every line (sl_recparse_line_padded's promise). */
#define SL_LINES_PADDING 64

/* Receive room the text sources ask for: large reads, few system calls. */
#define SL_LINES_DEFAULT_SPACE ((size_t)256 * 1024)

struct sl_lines;

/* A splitter for lines of at most max_line bytes (max_line <= UINT32_MAX - 1,
 * as sl_str lengths are 32-bit) that offers at least `space` (> 0) bytes of
 * receive room once drained. NULL with errno EINVAL or ENOMEM. */
struct sl_lines *sl_lines_create(uint64_t max_line, size_t space);
void sl_lines_destroy(struct sl_lines *l);

/* Bytes of memory the buffer of such a splitter takes: the bound per
 * connection or open file (SL_LINES_PADDING more are allocated). */
size_t sl_lines_buffer_bytes(uint64_t max_line, size_t space);

/* Where the next bytes may be written: returns the room and sets *ptr.
 * Compacts first (invalidating lines handed out before). Room is at least
 * `space` once every complete line has been taken, 0 only if the caller
 * let complete lines pile up. */
size_t sl_lines_space(struct sl_lines *l, char **ptr);
/* n bytes (n <= the room last returned) were written at that pointer. */
void sl_lines_produced(struct sl_lines *l, size_t n);
/* Copy from data as much as fits; returns how many bytes were taken. For
 * callers that cannot receive in place; take lines between calls. */
size_t sl_lines_feed(struct sl_lines *l, const void *data, size_t n);
/* No more input: the unfinished tail, if any, becomes the last line. */
void sl_lines_eof(struct sl_lines *l);
/* Forget buffered bytes and the end-of-input mark (a new connection).
 * Counters are kept. */
void sl_lines_reset(struct sl_lines *l);

/* Up to max complete lines into out[]; returns how many. 0: nothing more
 * until more bytes (or sl_lines_eof) arrive. Over-long lines met on the way
 * are counted and skipped. */
uint32_t sl_lines_next_burst(struct sl_lines *l, struct sl_str *out, uint32_t max);
/*
 * The buffered bytes from the current line's start on, for a caller that
 * cuts lines itself (the CSV parser's spans): *p and their count; complete
 * lines first, an unfinished one may end them; SL_LINES_PADDING readable
 * bytes follow. 0 while an over-long line is being dropped, and with a
 * scanner once it has been handed bytes of the current record.
 */
size_t sl_lines_peek(const struct sl_lines *l, const char **p);
/* The first n bytes of sl_lines_peek's (n ends just after a '\n', and
 * none of those lines is over max_line bytes) taken as lines, as if
 * sl_lines_next_burst had returned them. */
void sl_lines_take(struct sl_lines *l, size_t n);
/* The longest line the splitter takes. */
uint64_t sl_lines_max_line(const struct sl_lines *l);

/* One line: 1 and *line set, or 0 as above. */
int sl_lines_next(struct sl_lines *l, struct sl_str *line);
/* True when every byte of the lines the last sl_lines_next_burst (or
 * sl_lines_next) call returned is below 0x80 (ASCII): the block scan that
 * found them looked; false when one is not, or where nothing looked (a
 * scanner, a build without SSE2, a line cut another way). */
bool sl_lines_ascii(const struct sl_lines *l);

/* Records that are not cut at every '\n' (CSV with quoted line ends):
 * find(ctx, s, n) is handed every received byte once, in order (the bytes
 * of over-long records being dropped too), and returns the index in s of
 * the '\n' that ends the current record, or n; it keeps its own state
 * between calls and starts a new record after the '\n' it returned. The
 * rest is as for lines: one '\r' before that '\n' is removed, max_line
 * bounds a record, the tail at end of input is the last record. NULL: plain
 * lines. sl_lines_reset() does not reset the scanner's state. */
typedef size_t sl_lines_scan_fn(void *ctx, const char *s, size_t n);
void sl_lines_set_scanner(struct sl_lines *l, sl_lines_scan_fn *find, void *ctx);

/* Over-long lines dropped so far. */
uint64_t sl_lines_malformed(const struct sl_lines *l);
/* Bytes held that are not yet part of a returned line. */
size_t sl_lines_buffered(const struct sl_lines *l);

/* The schema check every line source shares: the columns must be exactly
 * (value STRING), or none at all (then the planner gives the source that
 * schema). 0, or -EINVAL with "line L, column C: ..." (the position of
 * CREATE SOURCE) in err. */
struct sl_source_spec;
int sl_lines_check_schema(const struct sl_source_spec *spec, char *err, size_t errlen);

#endif
