/*
 * fuzz_kafka.c — libFuzzer harness for what the kafka source reads from
 * outside (dataplane/source_kafka.h): the JSON of its options (assign,
 * starting_offsets, written by users) and its checkpoint offset (read back
 * from disk at a restart).
 *
 * Input: byte 0 picks the reader (0 assign, 1 starting_offsets, 2 the
 * offset); the rest is its input.
 *
 * Checked, beyond no crash, out-of-bounds read, leak or undefined
 * behaviour:
 *  - JSON: the result is 0 or -EINVAL; a refusal says "at byte B: ..."
 *    with B at most the input's length + 1; accepted entries have
 *    non-empty topics without NUL, partitions 0..2^31-1, no topic and
 *    partition twice; the entries written back as JSON parse again into
 *    the same entries;
 *  - the offset: 0 or -EINVAL; an accepted offset written again with
 *    sl_kafka_offset_put gives the same bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "source_kafka.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_kafka: %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

static void put_json_str(struct sl_strbuf *b, const char *s)
{
	sl_strbuf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			sl_strbuf_putc(b, '\\');
			sl_strbuf_putc(b, (char)*p);
		} else if (*p < 0x20) {
			char u[8];
			snprintf(u, sizeof(u), "\\u%04x", *p);
			sl_strbuf_puts(b, u);
		} else {
			sl_strbuf_putc(b, (char)*p);
		}
	}
	sl_strbuf_putc(b, '"');
}

static void json(const uint8_t *data, size_t size, bool assign)
{
	struct sl_kafka_tpo *v = NULL;
	uint32_t n = 0;
	char err[256] = "";
	int rc = sl_kafka_json_parse((const char *)data, size, assign, &v, &n, err, sizeof(err));
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc < 0) {
		size_t at = 0;
		CHECK(sscanf(err, "at byte %zu:", &at) == 1);
		CHECK(at >= 1 && at <= size + 1);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		CHECK(v[i].topic[0] != '\0');
		CHECK(v[i].partition >= 0);
		if (assign)
			CHECK(v[i].value == 0);
		for (uint32_t k = 0; k < i; k++)
			CHECK(v[k].partition != v[i].partition || strcmp(v[k].topic, v[i].topic) != 0);
	}
	/* written back (entries of a topic together, in order), read again */
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	sl_strbuf_putc(&b, '{');
	for (uint32_t i = 0; i < n; i++) {
		bool first = i == 0 || strcmp(v[i - 1].topic, v[i].topic) != 0;
		if (first) {
			if (i > 0)
				sl_strbuf_puts(&b, assign ? "]," : "},");
			put_json_str(&b, v[i].topic);
			sl_strbuf_puts(&b, assign ? ":[" : ":{");
		} else {
			sl_strbuf_putc(&b, ',');
		}
		char num[64];
		if (assign)
			snprintf(num, sizeof(num), "%" PRId32, v[i].partition);
		else
			snprintf(num, sizeof(num), "\"%" PRId32 "\":%" PRId64, v[i].partition,
				 v[i].value);
		sl_strbuf_puts(&b, num);
	}
	if (n > 0)
		sl_strbuf_puts(&b, assign ? "]" : "}");
	sl_strbuf_putc(&b, '}');
	struct sl_kafka_tpo *w = NULL;
	uint32_t m = 0;
	if (b.len > 0 && n > 0) {
		rc = sl_kafka_json_parse(b.ptr, b.len, assign, &w, &m, err, sizeof(err));
		/* a topic may appear in two places of the input only as a
		 * refusal (named twice), so the rewrite groups nothing new */
		CHECK(rc == 0);
		CHECK(m == n);
		for (uint32_t i = 0; i < n; i++) {
			CHECK(strcmp(w[i].topic, v[i].topic) == 0);
			CHECK(w[i].partition == v[i].partition);
			CHECK(w[i].value == v[i].value);
		}
	}
	sl_kafka_tpo_free(w, m);
	sl_strbuf_free(&b);
	sl_kafka_tpo_free(v, n);
}

static void offset(const uint8_t *data, size_t size)
{
	uint64_t batches = 0;
	struct sl_kafka_offset_entry *v = NULL;
	uint32_t n = 0;
	int rc = sl_kafka_offset_parse(data, size, &batches, &v, &n);
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc < 0)
		return;
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	CHECK(sl_kafka_offset_put(&b, batches, v, n) == 0);
	CHECK(b.len == size && memcmp(b.ptr, data, size) == 0);
	for (uint32_t i = 0; i < n; i++) {
		CHECK(v[i].tlen > 0 && memchr(v[i].topic, '\0', v[i].tlen) == NULL);
		CHECK(v[i].partition >= 0 && v[i].next >= 0);
	}
	sl_strbuf_free(&b);
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		json(data + 1, size - 1, true);
		break;
	case 1:
		json(data + 1, size - 1, false);
		break;
	default:
		offset(data + 1, size - 1);
		break;
	}
	return 0;
}
