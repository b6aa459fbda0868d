/*
 * json.h — the control protocol's JSON codec: a strict parser with limits
 * and a compact writer, in C, small enough to fuzz (tests/fuzz/fuzz_json.c).
 *
 * The control socket (DESIGN.md section 7) carries one JSON object per
 * line each way; sluiced parses requests with sl_json_parse and answers
 * with the sl_jw_ writer, sluicectl does the reverse. Records do not come
 * through here: they go through simdjson (dataplane/json_simdjson.cc).
 *
 * Parser (RFC 8259, strictly):
 *  - one value, with only whitespace (space, tab, CR, LF) around it; a
 *    byte order mark is refused;
 *  - strings: every escape, \uXXXX with surrogate pairs decoded to UTF-8;
 *    a lone surrogate, a raw control character (below 0x20) and invalid
 *    UTF-8 (overlong forms, encoded surrogates, above U+10FFFF, cut short)
 *    are refused; "\u0000" gives a NUL byte inside the string, so a
 *    string's length is authoritative (it is also NUL-terminated);
 *  - numbers: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? and nothing
 *    else (no "+1", ".5", "1.", "01", NaN, Infinity). The text is kept as
 *    written; the double is strtod's (the C locale's, which sluice never
 *    changes), so a number too large for a double ("1e999") is accepted
 *    and reads as +-HUGE_VAL (infinity), one too small as 0 or a
 *    subnormal; the int64 is set when the value is an exact integer in
 *    range, whatever the spelling ("5", "5.0", "0.5e1", "-0" are all
 *    integers; "5.5" and "1e19" are not);
 *  - objects keep their members in order; duplicate names are accepted
 *    and sl_json_get finds the first.
 * Limits: SL_JSON_MAX_BYTES of text, SL_JSON_MAX_DEPTH nested arrays and
 * objects, SL_JSON_MAX_VALUES values (member names not counted).
 * Errors are "byte B: what is wrong", B counting from 0 (as Python's
 * "char B"), e.g. "byte 17: expected ',' or '}' after an object member".
 *
 * A document owns every value, string and number text in it, in one block
 * freed by sl_json_free; the text parsed may be dropped at once. Values are
 * read-only; a document may be read by several threads at once.
 *
 * Writer: appends compact JSON (no spaces, no newline) to a struct
 * sl_strbuf; commas and colons are its business. Misuse (a value where a
 * member name is due, an unbalanced end, more than SL_JW_MAX_DEPTH levels,
 * a second top-level value) and running out of memory set an error that
 * sticks: later calls do nothing and sl_jw_finish returns it, so a caller
 * writes everything and checks once.
 */
#ifndef SL_JSON_H
#define SL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"

/* The longest document parsed: the protocol's request line limit, 1 MiB
 * (the caller enforces the line length before parsing; the parser checks
 * too). */
#define SL_JSON_MAX_BYTES ((size_t)1 << 20)
/* Arrays and objects nested in one another: 64 is fine, 65 is refused. */
#define SL_JSON_MAX_DEPTH 64
/* Values in one document, containers included, member names not. */
#define SL_JSON_MAX_VALUES 65536
/* Arrays and objects open at once in a writer. */
#define SL_JW_MAX_DEPTH 64

enum sl_json_kind {
	SL_JSON_NULL = 0,
	SL_JSON_BOOL,
	SL_JSON_NUMBER,
	SL_JSON_STRING,
	SL_JSON_ARRAY,
	SL_JSON_OBJECT,
};

/* A parsed document; struct sl_json is one value inside it. Both opaque. */
struct sl_json_doc;
struct sl_json;

/* Parses len bytes of text (need not be NUL-terminated; NUL bytes in it
 * are errors outside strings and must be escaped inside them). Returns 0
 * and *out, or with *out NULL and a message in err: -EINVAL (not JSON),
 * -E2BIG (over a limit: length, depth, values), -ENOMEM. */
int sl_json_parse(const char *text, size_t len, struct sl_json_doc **out, char *err, size_t errlen);
/* Frees the document and every value in it; NULL is a no-op. */
void sl_json_free(struct sl_json_doc *doc);

/* The top-level value (never NULL for a parsed document). */
const struct sl_json *sl_json_root(const struct sl_json_doc *doc);

/* Every accessor but sl_json_kind takes NULL (a member or element that is not there) and
 * then answers as for a value of another kind, so lookups chain:
 * sl_json_int(sl_json_get(req, "last"), &n). */
/* The kind of v; v must not be NULL. */
enum sl_json_kind sl_json_kind(const struct sl_json *v);
/* Elements of an array, members of an object; 0 for anything else. */
size_t sl_json_len(const struct sl_json *v);
/* Element i of an array; NULL when out of range or v is not an array. */
const struct sl_json *sl_json_at(const struct sl_json *arr, size_t i);
/* Member i of an object (in the order of the text): its value, and its name
 * in *key / *keylen (NUL-terminated, may hold NUL bytes; either may be NULL
 * when not wanted). NULL when out of range or v is not an object. */
const struct sl_json *sl_json_member(const struct sl_json *obj, size_t i, const char **key,
				     size_t *keylen);
/* The value of the first member named key (a C string: a name holding a NUL
 * byte is never found), or NULL. Linear in the members. */
const struct sl_json *sl_json_get(const struct sl_json *obj, const char *key);
/* A string's bytes, NUL-terminated (may hold NUL bytes: *len, when len is
 * not NULL, is authoritative); NULL when v is not a string. */
const char *sl_json_str(const struct sl_json *v, size_t *len);
/* A number's text exactly as written ("1.50e+2"), NUL-terminated; NULL when
 * v is not a number. */
const char *sl_json_num_text(const struct sl_json *v, size_t *len);
/* 0 and *out when v is a number whose value is an exact integer in int64's
 * range; -ERANGE when an integer out of that range; -EINVAL otherwise (not
 * a number, or a fraction). *out is left alone on failure. */
int sl_json_int(const struct sl_json *v, int64_t *out);
/* A number as a double (strtod's rounding; +-HUGE_VAL past the range); NaN
 * when v is not a number. */
double sl_json_num(const struct sl_json *v);
/* 0 and *out for true or false; -EINVAL otherwise. */
int sl_json_bool(const struct sl_json *v, bool *out);
/* Whether a and b are the same tree: kinds, string bytes, number texts,
 * members in the same order with the same names. Two NULLs are equal. */
bool sl_json_equal(const struct sl_json *a, const struct sl_json *b);

/* Members of a request, looked up and typed in one call: 0, -ENOENT when
 * obj has no member named key (or obj is NULL), -EINVAL when obj is not an
 * object or the member is of another kind (null included), -ERANGE (ints)
 * for an integer out of int64's range. Outputs are left alone on failure. */
int sl_json_get_str(const struct sl_json *obj, const char *key, const char **s, size_t *len);
int sl_json_get_int(const struct sl_json *obj, const char *key, int64_t *out);
int sl_json_get_bool(const struct sl_json *obj, const char *key, bool *out);

/* The writer. Owned by its caller (on its stack, typically), one thread at
 * a time; the fields are the writer's own. out is appended to, never reset. */
struct sl_jw {
	struct sl_strbuf *out;
	int err;      /* the first error: 0, -ENOMEM or -EINVAL (misuse) */
	bool done;    /* the top-level value is complete */
	uint8_t depth;
	/* per open container: JW_OBJECT, JW_FIRST (nothing in it yet),
	 * JW_NAMED (a member name is written, its value is due) */
	uint8_t open[SL_JW_MAX_DEPTH];
};

void sl_jw_init(struct sl_jw *w, struct sl_strbuf *out);
void sl_jw_obj_begin(struct sl_jw *w);
void sl_jw_obj_end(struct sl_jw *w);
void sl_jw_arr_begin(struct sl_jw *w);
void sl_jw_arr_end(struct sl_jw *w);
/* A member name (escaped as sl_jw_str does); its value comes next. */
void sl_jw_key(struct sl_jw *w, const char *name);
void sl_jw_key_n(struct sl_jw *w, const char *name, size_t len);
/* A string: '"' and '\' escaped, \b \f \n \r \t as such, other control
 * characters as \u00XX, valid UTF-8 as it is (U+2028 and DEL included),
 * each maximal invalid UTF-8 sequence (Unicode's "maximal subpart") as
 * U+FFFD. */
void sl_jw_str(struct sl_jw *w, const char *s, size_t len);
void sl_jw_cstr(struct sl_jw *w, const char *s);
void sl_jw_int(struct sl_jw *w, int64_t v);
void sl_jw_uint(struct sl_jw *w, uint64_t v);
/* The shortest decimal that strtod reads back as v, in Java's
 * Double.toString form as Spark's progress JSON has it ("1.0", "0.1",
 * "1.0E7", "-0.0"; format.h); NaN and infinities as null. */
void sl_jw_double(struct sl_jw *w, double v);
void sl_jw_bool(struct sl_jw *w, bool v);
void sl_jw_null(struct sl_jw *w);
/* len bytes of JSON encoded already, as one value (not checked). */
void sl_jw_raw(struct sl_jw *w, const char *json, size_t len);
/* A parsed value, whole (numbers as their text); NULL writes null. */
void sl_jw_value(struct sl_jw *w, const struct sl_json *v);
/* 0 when exactly one complete value was written; else the error (-ENOMEM,
 * or -EINVAL for misuse or an unfinished value). out then holds a prefix
 * of the text, to be discarded. */
int sl_jw_finish(const struct sl_jw *w);

#endif
