/*
 * fuzz_s3xml.c — libFuzzer harness for the XML of S3 answers
 * (dataplane/s3xml.c), the first code that sees an S3 server's bytes.
 *
 * The whole input is one answer, read as each kind the client reads:
 * a ListObjectsV2 page (into a page reused across the calls, as a listing
 * reuses it), an <Error>, a search for UploadId, and the walker itself;
 * the first 24 bytes are also read as a LastModified time.
 *
 * Checked: a page that parses holds keys inside its key store, each
 * NUL-terminated where its length says, with no NUL inside; a truncated
 * page has a continuation token; a failed parse leaves no keys; the
 * walker's leaf texts lie in a buffer of their stated length (ASan checks
 * the reads) and the depth it reports is 1..16.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_s3xml: check failed at line %d: %s\n",   \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

static int leaf(void *ctx, const char *const *path, uint32_t depth, const char *text, size_t n)
{
	size_t *count = ctx;
	CHECK(depth >= 1 && depth <= 16);
	for (uint32_t i = 0; i < depth; i++)
		CHECK(strlen(path[i]) < 64);
	CHECK(text[n] == '\0');
	volatile char sink = 0;
	for (size_t i = 0; i < n; i++)
		sink ^= text[i];
	(void)sink;
	(*count)++;
	return 0;
}

static struct sl_s3_page page; /* reused across inputs, as a listing reuses it */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;
	int rc = sl_s3xml_list(doc, size, &page);
	if (rc == 0) {
		CHECK(!page.truncated || page.next_token[0] != '\0');
		for (uint32_t i = 0; i < page.n; i++) {
			const struct sl_s3_object *o = &page.v[i];
			CHECK((size_t)o->key_off + o->key_len < page.keys_len + 1);
			CHECK(page.keys[o->key_off + o->key_len] == '\0');
			CHECK(strlen(sl_s3_page_key(&page, i)) == o->key_len);
			CHECK(o->key_len > 0);
		}
	} else {
		CHECK(page.n == 0);
	}
	char code[64], msg[256], id[128];
	rc = sl_s3xml_error(doc, size, code, sizeof(code), msg, sizeof(msg));
	if (rc == 0) {
		CHECK(strlen(code) < sizeof(code));
		CHECK(strlen(msg) < sizeof(msg));
	}
	if (sl_s3xml_find(doc, size, "UploadId", id, sizeof(id)) == 0)
		CHECK(strlen(id) < sizeof(id));
	size_t count = 0;
	sl_s3xml_walk(doc, size, leaf, &count);
	int64_t ms;
	sl_s3_parse_time(doc, size < 24 ? size : 24, &ms);
	return 0;
}
