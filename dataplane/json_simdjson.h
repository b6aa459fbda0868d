/*
 * json_simdjson.h — simdjson's On-Demand parser behind a C interface, for
 * the JSON record parser (recparse_json.c). json_simdjson.cc is the only
 * C++ in the project: it walks one JSON object per line and answers the C
 * side's questions about each top-level field; every decision about
 * columns, types and modes stays in C.
 *
 * Use, for one line:
 *
 *     if (sl_json_open(j, line, len) != SL_JSON_OK) -> malformed (sl_json_error)
 *     while ((rc = sl_json_next(j, &key, &klen)) == SL_JSON_OK) {
 *             sl_json_type(j, &t), then at most one getter (or none: the
 *             value is then checked and skipped by the next call)
 *     }
 *     rc == SL_JSON_END: sl_json_close(j) checks that nothing follows
 *
 * Validation is Jackson's (Spark's parser): the whole line must be valid
 * JSON, skipped fields included (their numbers, literals and string escapes
 * are checked, not just their brackets), and one object with nothing but
 * whitespace after it. Offsets are byte offsets into the line handed to
 * sl_json_open().
 *
 * Not thread-safe: one per parser, on one ingest thread. The line is copied
 * into a padded buffer (simdjson reads up to 64 bytes past the end); that
 * buffer and simdjson's own grow while a core warms up (the longest line so
 * far), then no allocation happens.
 */
#ifndef SL_JSON_SIMDJSON_H
#define SL_JSON_SIMDJSON_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sl_json;

enum sl_json_type {
	SL_JSON_NULL,
	SL_JSON_BOOLEAN,
	SL_JSON_NUMBER,
	SL_JSON_STRING,
	SL_JSON_ARRAY,
	SL_JSON_OBJECT,
};

enum {
	SL_JSON_OK = 0,
	SL_JSON_END = 1,      /* sl_json_next: no more fields */
	SL_JSON_MISMATCH = 2, /* valid JSON, but not what the getter reads: a
			       * fraction or exponent for an integer, an integer
			       * out of int64's range */
	SL_JSON_INVALID = -1, /* not valid JSON, or not one object: the record is
			       * malformed as a whole; sl_json_error says why */
	SL_JSON_NOMEM = -2,
};

/* NULL with errno ENOMEM. */
struct sl_json *sl_json_create(void);
void sl_json_destroy(struct sl_json *j);

/* Start on line[0..len): SL_JSON_OK when it is a JSON object (its fields
 * follow), SL_JSON_INVALID (not JSON, or JSON that is not an object),
 * SL_JSON_NOMEM. */
int sl_json_open(struct sl_json *j, const char *line, uint32_t len);

/* The next top-level field: SL_JSON_OK with its name (unescaped; valid
 * until the next call) in *key, *klen; SL_JSON_END; SL_JSON_INVALID. */
int sl_json_next(struct sl_json *j, const char **key, uint32_t *klen);

/* The JSON type of the current field's value (from its first byte). */
int sl_json_type(struct sl_json *j, enum sl_json_type *out);

/* Getters for the current field's value, each checked against JSON's
 * grammar first (SL_JSON_INVALID when the text is not valid JSON). */
/* A number without fraction or exponent in int64's range (SL_JSON_MISMATCH
 * otherwise, as Jackson's VALUE_NUMBER_FLOAT or an overflow). */
int sl_json_int64(struct sl_json *j, int64_t *out);
/* Any number, as Java's Double.parseDouble reads it (1e999 is infinity). */
int sl_json_double(struct sl_json *j, double *out);
int sl_json_bool(struct sl_json *j, bool *out);
/* A string: where its text between the quotes lies in the line, escapes
 * not undone; *escaped when it holds a backslash (the caller unescapes with
 * sl_json_unescape). */
int sl_json_string(struct sl_json *j, uint32_t *off, uint32_t *len, bool *escaped);
/* Any value, checked whole: where its text lies in the line (an object or
 * array from its bracket to its closing bracket, inner whitespace kept). */
int sl_json_raw(struct sl_json *j, uint32_t *off, uint32_t *len);

/* The current value's first token as written (a number's digits, a
 * string with its quotes, "{" for an object): for error messages, before
 * a getter consumed it. */
void sl_json_token(struct sl_json *j, uint32_t *off, uint32_t *len);

/* Nested objects (a column named "a.b" reads field b of the object in
 * field a): when the current field's value is an object, sl_json_enter()
 * makes sl_json_next() walk that object's fields (SL_JSON_OK, or
 * SL_JSON_INVALID); once it has returned SL_JSON_END, sl_json_leave()
 * goes back to the object that holds it, its field consumed. At most
 * SL_JSON_MAX_ENTER objects are entered at once. */
#define SL_JSON_MAX_ENTER 64
int sl_json_enter(struct sl_json *j);
void sl_json_leave(struct sl_json *j);
/* Where the value that starts at byte off ends (past its closing bracket),
 * once it has been checked whole (entered and left, or walked). */
uint32_t sl_json_value_end(const struct sl_json *j, uint32_t off);

/* After SL_JSON_END: SL_JSON_OK when only whitespace follows the object. */
int sl_json_close(struct sl_json *j);

/* Why the last call returned SL_JSON_INVALID, e.g. "not valid JSON near
 * byte 12: ..." or "a JSON array, not an object". */
const char *sl_json_error(const struct sl_json *j);

/* Undo the escapes of a JSON string's text s[0..len) (as sl_json_string
 * locates it) into out, which has room for len bytes (unescaping never
 * lengthens); out NULL only checks. Returns the length, or -1 when an
 * escape is invalid. A \u escape of a lone surrogate becomes '?', as
 * Spark's UTF8String.fromString (Java's UTF-8 encoder) writes it. */
int64_t sl_json_unescape(const char *s, uint32_t len, char *out);

#ifdef __cplusplus
}
#endif

#endif
