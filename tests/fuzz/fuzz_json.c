/*
 * fuzz_json.c — libFuzzer harness for the control protocol's JSON codec
 * (control/json.h): request lines as a peer on the control socket sends
 * them, and the answers the daemon writes back.
 *
 * Input: the whole input is one document (no layout bytes), so that the
 * seed corpus is plain requests.
 *
 * Checked, beyond no crash, out-of-bounds read, leak or undefined
 * behaviour:
 *  - the result is 0, -EINVAL or -E2BIG; a refusal leaves *out NULL and
 *    says "byte B: ..." with B at most the input's length, and a 9-byte
 *    err buffer gets the same result and the start of the same message;
 *  - an accepted document written back (sl_jw_value) parses again into an
 *    equal tree (kinds, string bytes, number texts, member order), and
 *    writing that tree gives the same text again;
 *  - for an array or object at the top, the input cut just before its
 *    closing bracket is refused;
 *  - every value reads back consistently: strings are NUL-terminated at
 *    their length and valid UTF-8 (by the harness's own decoder); number
 *    texts are what strtod reads whole, and sl_json_num is strtod's value;
 *    an exact int64 equals the double where a double holds it exactly;
 *    sl_json_get finds the first member of a name;
 *  - the input as a string value and as a member name, through the writer,
 *    parses back: to the input itself when the input is valid UTF-8 (the
 *    harness's decoder says so), otherwise to valid UTF-8 that differs.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_json: check failed at line %d: %s\n",    \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* UTF-8 by decoding: a code point's value, then its range and its shortest
 * form (written differently from json.c's table on purpose). */
static bool valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3F);
		}
		static const uint32_t least[] = {0, 0x80, 0x800, 0x10000};
		if (cp < least[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += k + 1;
	}
	return true;
}

static void check_value(const struct sl_json *v)
{
	size_t len, n;
	const char *s;
	switch (sl_json_kind(v)) {
	case SL_JSON_NULL:
		CHECK(sl_json_len(v) == 0);
		break;
	case SL_JSON_BOOL: {
		bool b;
		CHECK(sl_json_bool(v, &b) == 0);
		break;
	}
	case SL_JSON_STRING:
		s = sl_json_str(v, &len);
		CHECK(s != NULL && s[len] == '\0');
		CHECK(valid_utf8((const uint8_t *)s, len));
		CHECK(sl_json_num_text(v, &n) == NULL);
		break;
	case SL_JSON_NUMBER: {
		s = sl_json_num_text(v, &len);
		CHECK(s != NULL && s[len] == '\0' && len > 0);
		char *end;
		double d = strtod(s, &end);
		CHECK(end == s + len);
		double got = sl_json_num(v);
		CHECK(memcmp(&d, &got, sizeof(d)) == 0);
		int64_t i;
		int rc = sl_json_int(v, &i);
		CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
		if (rc == 0 && i > -(INT64_C(1) << 53) && i < (INT64_C(1) << 53))
			CHECK((double)i == d);
		/* a text without '.', 'e' or 'E' is an integer, in range or not */
		if (strpbrk(s, ".eE") == NULL)
			CHECK(rc != -EINVAL);
		if (rc == -ERANGE)
			CHECK(fabs(d) >= 9223372036854775807.0);
		CHECK(sl_json_str(v, &n) == NULL);
		break;
	}
	case SL_JSON_ARRAY:
		for (size_t k = 0; k < sl_json_len(v); k++)
			check_value(sl_json_at(v, k));
		CHECK(sl_json_at(v, sl_json_len(v)) == NULL);
		CHECK(sl_json_member(v, 0, NULL, NULL) == NULL);
		break;
	case SL_JSON_OBJECT:
		for (size_t k = 0; k < sl_json_len(v); k++) {
			const char *key;
			size_t keylen;
			const struct sl_json *m = sl_json_member(v, k, &key, &keylen);
			CHECK(m != NULL && key[keylen] == '\0');
			CHECK(valid_utf8((const uint8_t *)key, keylen));
			check_value(m);
			/* the first member of that name, when a C string can name it */
			if (memchr(key, '\0', keylen) == NULL) {
				size_t first = 0;
				const char *k2;
				size_t l2;
				while (sl_json_member(v, first, &k2, &l2) != NULL &&
				       !(l2 == keylen && memcmp(k2, key, keylen) == 0))
					first++;
				CHECK(first <= k);
				CHECK(sl_json_get(v, key) == sl_json_member(v, first, NULL, NULL));
			}
		}
		CHECK(sl_json_member(v, sl_json_len(v), NULL, NULL) == NULL);
		CHECK(sl_json_at(v, 0) == NULL);
		break;
	}
}

/* v's compact text, in sb (emptied first). */
static void write_tree(struct sl_strbuf *sb, const struct sl_json *v)
{
	struct sl_jw w;
	sl_strbuf_reset(sb);
	sl_jw_init(&w, sb);
	sl_jw_value(&w, v);
	CHECK(sl_jw_finish(&w) == 0);
}

static void check_refusal(int rc, const struct sl_json_doc *doc, const char *err, size_t size)
{
	CHECK(rc == -EINVAL || rc == -E2BIG);
	CHECK(doc == NULL);
	unsigned long long at;
	int used = 0;
	CHECK(sscanf(err, "byte %llu: %n", &at, &used) == 1 && used > 0);
	CHECK(at <= size);
	CHECK(err[used] != '\0');
}

/* The input through the writer as a string and as a member name. */
static void check_string_writer(const uint8_t *data, size_t size, struct sl_strbuf *sb, char *err,
				size_t errlen)
{
	struct sl_jw w;
	sl_strbuf_reset(sb);
	sl_jw_init(&w, sb);
	sl_jw_obj_begin(&w);
	sl_jw_key_n(&w, (const char *)data, size);
	sl_jw_str(&w, (const char *)data, size);
	sl_jw_obj_end(&w);
	CHECK(sl_jw_finish(&w) == 0);
	struct sl_json_doc *doc;
	int rc = sl_json_parse(sb->ptr, sb->len, &doc, err, errlen);
	if (sb->len > SL_JSON_MAX_BYTES) {
		CHECK(rc == -E2BIG);
		return;
	}
	CHECK(rc == 0);
	const char *key, *s;
	size_t keylen, len;
	const struct sl_json *v = sl_json_member(sl_json_root(doc), 0, &key, &keylen);
	s = sl_json_str(v, &len);
	CHECK(s != NULL && sl_json_len(sl_json_root(doc)) == 1);
	CHECK(keylen == len && memcmp(key, s, len) == 0);
	CHECK(valid_utf8((const uint8_t *)s, len));
	if (valid_utf8(data, size))
		CHECK(len == size && memcmp(s, data, size) == 0);
	else
		CHECK(len != size || memcmp(s, data, size) != 0);
	sl_json_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sl_strbuf a, b;
	char err[512], small[9];
	const char *text = (const char *)data;
	struct sl_json_doc *doc = NULL, *again = NULL;

	int rc = sl_json_parse(text, size, &doc, err, sizeof(err));
	if (rc != 0) {
		check_refusal(rc, doc, err, size);
		struct sl_json_doc *d2 = (struct sl_json_doc *)&d2;
		CHECK(sl_json_parse(text, size, &d2, small, sizeof(small)) == rc);
		CHECK(d2 == NULL && strncmp(small, err, sizeof(small) - 1) == 0);
		check_string_writer(data, size, &a, err, sizeof(err));
		return 0;
	}
	CHECK(doc != NULL && err[0] == '\0');
	const struct sl_json *root = sl_json_root(doc);
	check_value(root);

	/* parse -> write -> parse: the same tree; write again: the same text */
	write_tree(&a, root);
	CHECK(a.len <= size); /* compact, and escapes never grow */
	rc = sl_json_parse(a.ptr, a.len, &again, err, sizeof(err));
	CHECK(rc == 0);
	CHECK(sl_json_equal(root, sl_json_root(again)));
	write_tree(&b, sl_json_root(again));
	CHECK(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
	sl_json_free(again);

	/* a container cut before its closing bracket is no document */
	enum sl_json_kind k = sl_json_kind(root);
	if (k == SL_JSON_ARRAY || k == SL_JSON_OBJECT) {
		size_t end = size;
		while (end > 0 && (data[end - 1] == ' ' || data[end - 1] == '\t' || data[end - 1] == '\n' ||
				   data[end - 1] == '\r'))
			end--;
		CHECK(end > 0 && data[end - 1] == (k == SL_JSON_ARRAY ? ']' : '}'));
		struct sl_json_doc *cut;
		rc = sl_json_parse(text, end - 1, &cut, err, sizeof(err));
		check_refusal(rc, cut, err, end - 1);
	}
	sl_json_free(doc);
	check_string_writer(data, size, &a, err, sizeof(err));
	return 0;
}
