/*
 * sluice_gen_records.c — sluice-gen's record templates: the word-count text,
 * the retail sales CSV and the Yahoo Streaming Benchmark's JSON events, each
 * in its natural format or as binary records (docs/sluice-gen.md has the
 * binary layout as a byte table).
 *
 * Invariants:
 *  - records depend only on the options and their number: the same --seed
 *    gives the same bytes on every run and every output;
 *  - words: line k is the line `sluice gen-text` writes for the same seed,
 *    vocabulary and words per line (the integration test compares them);
 *  - retail: row r is sl_sales_row() of the sales connector's defaults with
 *    the seed (and --stores, --counters): `sluice gen-sales` writes the same
 *    CSV lines;
 *  - ysb: the field set and value pools of tools/bench_files.sh (100000
 *    users, 100000 pages, 1000 ads, 5 ad types, 3 event types, 5000 IPv4
 *    addresses; event times from 2024-03-01 09:00:00, 0 to 2 ms apart),
 *    drawn from a counter-based hash instead of Python's random.
 */
#include "sluice_gen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SG_GOLDEN 0x9E3779B97F4A7C15ULL
#define SG_CLOCK_START_S 1709283600LL /* 2024-03-01 09:00:00 UTC */

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A uniform draw in [0, n) from a 64-bit hash. */
static inline uint64_t scale(uint64_t h, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)h * n) >> 64);
}

const char *sg_template_name(enum sg_template t)
{
	static const char *const names[] = {"words", "retail", "ysb"};
	return names[t];
}

const char *sg_format_name(enum sg_format f)
{
	static const char *const names[] = {"text", "csv", "json", "binary"};
	return names[f];
}

enum sg_format sg_template_format(enum sg_template t)
{
	return t == SG_WORDS ? SG_TEXT : t == SG_RETAIL ? SG_CSV : SG_JSON;
}

int sg_records_init(struct sg_records *g)
{
	g->next = 0;
	g->ysb_ms = 0;
	g->vocab = NULL;
	if (g->tmpl != SG_WORDS)
		return 0;
	g->vocab = malloc(g->words * sizeof(*g->vocab));
	if (g->vocab == NULL)
		return -ENOMEM;
	for (uint64_t i = 0; i < g->words; i++)
		g->vocab[i][SL_GEN_WORD_MAX] = (char)sl_gen_word(i, g->vocab[i]);
	return 0;
}

void sg_records_free(struct sg_records *g)
{
	free(g->vocab);
	g->vocab = NULL;
}

/* --- binary record pieces (little-endian, docs/sluice-gen.md) --- */

static uint8_t *put_le(uint8_t *o, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		*o++ = (uint8_t)(v >> (8 * i));
	return o;
}

static uint8_t *put_str(uint8_t *o, const char *s, size_t len)
{
	o = put_le(o, len, 2);
	memcpy(o, s, len);
	return o + len;
}

/* --- words --- */

/* The line hash of dataplane/source_gen.c (line_key, word_of): kept in step
 * by the integration test that compares with `sluice gen-text`, since that
 * file keeps them static. */
static size_t words_line(const struct sg_records *g, uint64_t k, char *out)
{
	uint64_t key = mix64(mix64(g->seed) + k * SG_GOLDEN);
	char *o = out;
	for (uint32_t j = 0; j < g->words_per_line; j++) {
		uint64_t r = mix64(key ^ ((uint64_t)(j + 1) * 0xD1B54A32D192ED03ULL));
		const char *w = g->vocab[scale(r, g->words)];
		size_t n = (uint8_t)w[SL_GEN_WORD_MAX];
		memcpy(o, w, n);
		o += n;
		*o++ = ' ';
	}
	o[-1] = '\n';
	return (size_t)(o - out);
}

/* --- ysb --- */

static const char *const ysb_ad_types[] = {"banner", "modal", "sponsored-search", "mail", "mobile"};
static const char *const ysb_event_types[] = {"view", "click", "purchase"};

/* UUID number i of pool `pool` as 36 characters. */
static void ysb_uuid(uint64_t seed, uint64_t pool, uint64_t i, char out[36])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h[2];
	h[0] = mix64(mix64(seed ^ 0x5D1CE0A5ULL) + (pool << 40) + i * SG_GOLDEN);
	h[1] = mix64(h[0] ^ 0xA0761D6478BD642FULL);
	int d = 0;
	for (int k = 0; k < 32; k++) {
		if (k == 8 || k == 12 || k == 16 || k == 20)
			out[d++] = '-';
		out[d++] = hex[(h[k / 16] >> (60 - 4 * (k % 16))) & 15];
	}
}

static size_t ysb_ip(uint64_t seed, uint64_t i, char *out)
{
	uint64_t h = mix64(mix64(seed ^ 0x1B873593ULL) + i * SG_GOLDEN);
	return (size_t)sprintf(out, "%u.%u.%u.%u", (unsigned)(1 + h % 223), (unsigned)((h >> 16) & 255),
			       (unsigned)((h >> 24) & 255), (unsigned)(1 + (h >> 32) % 254));
}

struct ysb_event {
	char user[36], page[36], ad[36];
	const char *ad_type, *event_type;
	char time[48]; /* yyyy-MM-dd HH:mm:ss.SSS (23 characters) */
	int64_t time_us;
	char ip[16];
	size_t ip_len;
};

static void ysb_make(struct sg_records *g, uint64_t r, struct ysb_event *e)
{
	uint64_t key = mix64(mix64(g->seed ^ 0x75BCD15ULL) + r * SG_GOLDEN);
	uint64_t d[7];
	for (int j = 0; j < 7; j++)
		d[j] = mix64(key ^ ((uint64_t)(j + 1) * 0xD1B54A32D192ED03ULL));
	g->ysb_ms += (int64_t)scale(d[0], 3);
	ysb_uuid(g->seed, 1, scale(d[1], 100000), e->user);
	ysb_uuid(g->seed, 2, scale(d[2], 100000), e->page);
	ysb_uuid(g->seed, 3, scale(d[3], 1000), e->ad);
	e->ad_type = ysb_ad_types[scale(d[4], 5)];
	e->event_type = ysb_event_types[scale(d[5], 3)];
	e->ip_len = ysb_ip(g->seed, scale(d[6], 5000), e->ip);
	int64_t ms = SG_CLOCK_START_S * 1000 + g->ysb_ms;
	e->time_us = ms * 1000;
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(e->time, sizeof(e->time), "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static size_t ysb_csv(const struct ysb_event *e, char *out)
{
	return (size_t)sprintf(out, "%.36s,%.36s,%.36s,%s,%s,%s,%s\n", e->user, e->page, e->ad,
			       e->ad_type, e->event_type, e->time, e->ip);
}

/* --- the next record --- */

size_t sg_records_next(struct sg_records *g, uint8_t *wire, char *text, size_t *text_len)
{
	uint64_t r = g->next++;
	uint8_t *o = wire;
	switch (g->tmpl) {
	case SG_WORDS: {
		size_t n = words_line(g, r, text);
		*text_len = n;
		if (g->format != SG_BINARY) {
			memcpy(wire, text, n);
			return n;
		}
		*o++ = 0; /* null bitmap: one column, never NULL */
		o = put_str(o, text, n - 1);
		return (size_t)(o - wire);
	}
	case SG_RETAIL: {
		struct sl_sale s;
		sl_sales_row(&g->sales, r, &s);
		size_t n = sl_sales_csv(&s, text);
		*text_len = n;
		if (g->format != SG_BINARY) {
			memcpy(wire, text, n);
			return n;
		}
		union {
			double d;
			uint64_t u;
		} amount = {.d = s.amount};
		*o++ = 0;
		o = put_le(o, (uint32_t)s.store, 4);
		o = put_le(o, (uint32_t)s.counter, 4);
		o = put_le(o, amount.u, 8);
		o = put_le(o, (uint64_t)s.ts, 8);
		return (size_t)(o - wire);
	}
	case SG_YSB: {
		struct ysb_event e;
		ysb_make(g, r, &e);
		*text_len = ysb_csv(&e, text);
		if (g->format != SG_BINARY) {
			size_t n = (size_t)sprintf((char *)wire,
					       "{\"user_id\":\"%.36s\",\"page_id\":\"%.36s\",\"ad_id\":\"%.36s\","
					       "\"ad_type\":\"%s\",\"event_type\":\"%s\",\"event_time\":\"%s\","
					       "\"ip_address\":\"%s\"}\n",
					       e.user, e.page, e.ad, e.ad_type, e.event_type, e.time, e.ip);
			memcpy(text, wire, n); /* --records-out writes the record itself */
			*text_len = n;
			return n;
		}
		*o++ = 0;
		o = put_str(o, e.user, 36);
		o = put_str(o, e.page, 36);
		o = put_str(o, e.ad, 36);
		o = put_str(o, e.ad_type, strlen(e.ad_type));
		o = put_str(o, e.event_type, strlen(e.event_type));
		o = put_le(o, (uint64_t)e.time_us, 8);
		o = put_str(o, e.ip, e.ip_len);
		return (size_t)(o - wire);
	}
	}
	return 0;
}
