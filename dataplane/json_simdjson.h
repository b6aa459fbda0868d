/*
 * json_simdjson.h — simdjson's On-Demand parser behind a C interface, for
 * the JSON record parser (recparse_json.c). json_simdjson.cc is the only
 * C++ in the project: it walks one JSON object per line and answers the C
 * side's questions about each top-level field; every decision about
 * columns, types and modes stays in C.
 *
 * Use, for one line:
 *
 *     if (sl_simdjson_open(j, line, len) != SL_SIMDJSON_OK) -> malformed (sl_simdjson_error)
 *     while ((rc = sl_simdjson_next(j, &key, &klen)) == SL_SIMDJSON_OK) {
 *             sl_simdjson_type(j, &t), then at most one getter (or none: the
 *             value is then checked and skipped by the next call)
 *     }
 *     rc == SL_SIMDJSON_END: sl_simdjson_close(j) checks that nothing follows
 *
 * Validation is Jackson's (Spark's parser): the whole line must be valid
 * JSON, skipped fields included (their numbers, literals and string escapes
 * are checked, not just their brackets), and one object with nothing but
 * whitespace after it. Offsets are byte offsets into the line handed to
 * sl_simdjson_open().
 *
 * Not thread-safe: one per parser, on one ingest thread. The line is copied
 * into a padded buffer (simdjson reads up to 64 bytes past the end), unless
 * the caller promises readable bytes after it (sl_simdjson_open_padded);
 * that buffer and simdjson's own grow while a core warms up (the longest
 * line so far), then no allocation happens.
 */
#ifndef SL_SIMDJSON_SIMDJSON_H
#define SL_SIMDJSON_SIMDJSON_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sl_simdjson;

enum sl_simdjson_type {
	SL_SIMDJSON_NULL,
	SL_SIMDJSON_BOOLEAN,
	SL_SIMDJSON_NUMBER,
	SL_SIMDJSON_STRING,
	SL_SIMDJSON_ARRAY,
	SL_SIMDJSON_OBJECT,
};

enum {
	SL_SIMDJSON_OK = 0,
	SL_SIMDJSON_END = 1,      /* sl_simdjson_next: no more fields */
	SL_SIMDJSON_MISMATCH = 2, /* valid JSON, but not what the getter reads: a
			       * fraction or exponent for an integer, an integer
			       * out of int64's range */
	SL_SIMDJSON_INVALID = -1, /* not valid JSON, or not one object: the record is
			       * malformed as a whole; sl_simdjson_error says why */
	SL_SIMDJSON_NOMEM = -2,
};

/* NULL with errno ENOMEM. */
struct sl_simdjson *sl_simdjson_create(void);
void sl_simdjson_destroy(struct sl_simdjson *j);

/* Start on line[0..len): SL_SIMDJSON_OK when it is a JSON object (its fields
 * follow), SL_SIMDJSON_INVALID (not JSON, or JSON that is not an object),
 * SL_SIMDJSON_NOMEM. */
int sl_simdjson_open(struct sl_simdjson *j, const char *line, uint32_t len);

/* Bytes after a line that sl_simdjson_open_padded() may read. */
#define SL_SIMDJSON_PADDING 64

/* sl_simdjson_open() for a line with SL_SIMDJSON_PADDING readable bytes
 * after it (any content; they are not changed): parsed in place, without
 * the copy, when line[len] is '\n' or '\r' (the line end a splitter cut
 * it at), else copied. The same answers and offsets as sl_simdjson_open(). */
int sl_simdjson_open_padded(struct sl_simdjson *j, const char *line, uint32_t len);

/* The next top-level field: SL_SIMDJSON_OK with its name (unescaped; valid
 * until the next call) in *key, *klen; SL_SIMDJSON_END; SL_SIMDJSON_INVALID. */
int sl_simdjson_next(struct sl_simdjson *j, const char **key, uint32_t *klen);

/* The JSON type of the current field's value (from its first byte). */
int sl_simdjson_type(struct sl_simdjson *j, enum sl_simdjson_type *out);

/* Getters for the current field's value, each checked against JSON's
 * grammar first (SL_SIMDJSON_INVALID when the text is not valid JSON). */
/* A number without fraction or exponent in int64's range (SL_SIMDJSON_MISMATCH
 * otherwise, as Jackson's VALUE_NUMBER_FLOAT or an overflow). */
int sl_simdjson_int64(struct sl_simdjson *j, int64_t *out);
/* Any number, as Java's Double.parseDouble reads it (1e999 is infinity). */
int sl_simdjson_double(struct sl_simdjson *j, double *out);
int sl_simdjson_bool(struct sl_simdjson *j, bool *out);
/* A string: where its text between the quotes lies in the line, escapes
 * not undone; *escaped when it holds a backslash (the caller unescapes with
 * sl_simdjson_unescape). */
int sl_simdjson_string(struct sl_simdjson *j, uint32_t *off, uint32_t *len, bool *escaped);
/* Any value, checked whole: where its text lies in the line (an object or
 * array from its bracket to its closing bracket, inner whitespace kept). */
int sl_simdjson_raw(struct sl_simdjson *j, uint32_t *off, uint32_t *len);

/* The current value's first token as written (a number's digits, a
 * string with its quotes, "{" for an object): for error messages, before
 * a getter consumed it. */
void sl_simdjson_token(struct sl_simdjson *j, uint32_t *off, uint32_t *len);

/* Nested objects (a column named "a.b" reads field b of the object in
 * field a): when the current field's value is an object, sl_simdjson_enter()
 * makes sl_simdjson_next() walk that object's fields (SL_SIMDJSON_OK, or
 * SL_SIMDJSON_INVALID); once it has returned SL_SIMDJSON_END, sl_simdjson_leave()
 * goes back to the object that holds it, its field consumed. At most
 * SL_SIMDJSON_MAX_ENTER objects are entered at once. */
#define SL_SIMDJSON_MAX_ENTER 64
int sl_simdjson_enter(struct sl_simdjson *j);
void sl_simdjson_leave(struct sl_simdjson *j);
/* Where the value that starts at byte off ends (past its closing bracket),
 * once it has been checked whole (entered and left, or walked). */
uint32_t sl_simdjson_value_end(const struct sl_simdjson *j, uint32_t off);

/* After SL_SIMDJSON_END: SL_SIMDJSON_OK when only whitespace follows the object. */
int sl_simdjson_close(struct sl_simdjson *j);

/* Why the last call returned SL_SIMDJSON_INVALID, e.g. "not valid JSON near
 * byte 12: ..." or "a JSON array, not an object". */
const char *sl_simdjson_error(const struct sl_simdjson *j);

/* Undo the escapes of a JSON string's text s[0..len) (as sl_simdjson_string
 * locates it) into out, which has room for len bytes (unescaping never
 * lengthens); out NULL only checks. Returns the length, or -1 when an
 * escape is invalid. A \u escape of a lone surrogate becomes '?', as
 * Spark's UTF8String.fromString (Java's UTF-8 encoder) writes it. */
int64_t sl_simdjson_unescape(const char *s, uint32_t len, char *out);

#ifdef __cplusplus
}
#endif

#endif
