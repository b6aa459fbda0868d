/*
 * source_gen.c — the "generator" source connector: deterministic lines of
 * pseudo-words from a seed (see source_gen.h for what the text is).
 *
 * Text:
 *  - vocabulary word i: length L = max(pref(hash(i)), digits(i)) where pref
 *    picks 3..10 with a bias towards 4..6 letters and digits(i) is the number
 *    of base-26 digits i needs; the letters are the L base-26 digits of
 *    perm_L(i), a bijection of [0, 26^L). Words of one length are distinct
 *    because perm_L is a bijection and every i of that length is < 26^L;
 *    words of different lengths differ by length.
 *  - line k, word j: vocabulary index = hash(seed, k, j) scaled to [0, words).
 *
 * Threads: without pregenerate, ingest thread i of n takes lines i, i+n,
 * i+2n, ... (a line depends only on its number, so any thread can make any
 * line). With pregenerate, open() writes the whole text once and thread i
 * takes the contiguous range of lines [i*R/n, (i+1)*R/n), sliced in place.
 * Paced runs emit global line g at start + g / rows_per_second.
 *
 * Memory: the vocabulary is 16 bytes per word; each thread has a scratch
 * buffer for one batch of lines, allocated in open(). run() allocates
 * nothing.
 */
#include "source_gen.h"

#include "lines.h"
#include "source.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define GEN_SLOT 16 /* vocabulary slot: letters, then the length in the last byte */
#define GEN_GOLDEN 0x9E3779B97F4A7C15ULL

/* --- the text --- */

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A bijection of [0, m) for m = 26^L: x -> x*a + b mod m with a coprime to
 * 26 is one; rotating the base-26 digits between two such steps carries the
 * high digits into the first letter. */
static uint64_t perm26(uint64_t x, uint64_t m)
{
	const uint64_t a1 = GEN_GOLDEN % m;           /* odd, not a multiple of 13 */
	const uint64_t a2 = 0xD6E8FEB86659FD93ULL % m; /* odd, not a multiple of 13 */
	x = (uint64_t)(((unsigned __int128)x * a1 + 0x2545F4914F6CDD1DULL % m) % m);
	x = x / 26 + (x % 26) * (m / 26);
	x = (uint64_t)(((unsigned __int128)x * a2 + 0x632BE59BD9B4E019ULL % m) % m);
	return x;
}

uint32_t sl_gen_word(uint64_t i, char out[SL_GEN_WORD_MAX])
{
	static const uint8_t pref[16] = {3, 3, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 7, 8, 9, 10};
	uint32_t len = pref[mix64(i ^ 0x5851F42D4C957F2DULL) & 15];
	uint32_t digits = 1;
	uint64_t m = 26;
	while (m <= i) { /* i < 26^10 always: SL_GEN_MAX_WORDS is far below */
		m *= 26;
		digits++;
	}
	if (len < digits)
		len = digits;
	m = 1;
	for (uint32_t d = 0; d < len; d++)
		m *= 26;
	uint64_t x = perm26(i, m);
	for (uint32_t d = 0; d < len; d++) {
		out[d] = (char)('a' + x % 26);
		x /= 26;
	}
	return len;
}

/* The vocabulary as fixed slots so that a word is one 16-byte copy. */
struct gen_vocab {
	uint64_t n;
	uint8_t (*slot)[GEN_SLOT]; /* owned */
};

static int vocab_init(struct gen_vocab *v, uint64_t n)
{
	v->n = n;
	v->slot = malloc(n * GEN_SLOT);
	if (v->slot == NULL)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++) {
		memset(v->slot[i], 0, GEN_SLOT);
		v->slot[i][GEN_SLOT - 1] = (uint8_t)sl_gen_word(i, (char *)v->slot[i]);
	}
	return 0;
}

static void vocab_free(struct gen_vocab *v)
{
	free(v->slot);
	v->slot = NULL;
}

static inline uint64_t line_key(uint64_t seed, uint64_t k)
{
	return mix64(mix64(seed) + k * GEN_GOLDEN);
}

static inline uint64_t word_of(uint64_t key, uint32_t j, uint64_t words)
{
	uint64_t r = mix64(key ^ ((uint64_t)(j + 1) * 0xD1B54A32D192ED03ULL));
	return (uint64_t)(((unsigned __int128)r * words) >> 64);
}

/* Line k with its '\n' into out, which has GEN_SLOT bytes of slack past the
 * longest line; returns the bytes written. */
static inline size_t gen_line(const struct gen_vocab *v, const struct sl_gen_params *p, uint64_t k,
			      char *out)
{
	uint64_t key = line_key(p->seed, k);
	char *o = out;
	for (uint32_t j = 0; j < p->words_per_line; j++) {
		const uint8_t *w = v->slot[word_of(key, j, v->n)];
		memcpy(o, w, GEN_SLOT);
		o += w[GEN_SLOT - 1];
		*o++ = ' ';
	}
	o[-1] = '\n';
	return (size_t)(o - out);
}

static inline size_t line_bytes(const struct gen_vocab *v, const struct sl_gen_params *p, uint64_t k)
{
	uint64_t key = line_key(p->seed, k);
	size_t n = 0;
	for (uint32_t j = 0; j < p->words_per_line; j++)
		n += v->slot[word_of(key, j, v->n)][GEN_SLOT - 1] + 1u;
	return n;
}

static size_t max_line_bytes(const struct sl_gen_params *p)
{
	return (size_t)p->words_per_line * (SL_GEN_WORD_MAX + 1);
}

/* Lines needed to reach p->bytes, or p->rows; with text_bytes, also the
 * size of the whole text (one pass over the line lengths). */
static uint64_t total_rows(const struct gen_vocab *v, const struct sl_gen_params *p,
			   size_t *text_bytes)
{
	uint64_t sum = 0, k = 0;
	if (p->bytes != 0) {
		while (sum < p->bytes)
			sum += line_bytes(v, p, k++);
	} else if (text_bytes != NULL) {
		for (k = 0; k < p->rows; k++)
			sum += line_bytes(v, p, k);
	}
	if (text_bytes != NULL)
		*text_bytes = (size_t)sum;
	return p->bytes != 0 ? k : p->rows;
}

uint64_t sl_gen_total_rows(const struct sl_gen_params *p)
{
	if (p->bytes == 0)
		return p->rows;
	struct gen_vocab v;
	if (vocab_init(&v, p->words) < 0)
		return 0;
	uint64_t n = total_rows(&v, p, NULL);
	vocab_free(&v);
	return n;
}

int sl_gen_write_text(const struct sl_gen_params *p, FILE *out)
{
	if (p->rows == 0 && p->bytes == 0)
		return -EINVAL;
	struct gen_vocab v;
	int rc = vocab_init(&v, p->words);
	if (rc < 0)
		return rc;
	size_t cap = (size_t)1 << 20;
	if (cap < 2 * (max_line_bytes(p) + GEN_SLOT))
		cap = 2 * (max_line_bytes(p) + GEN_SLOT);
	char *buf = malloc(cap);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out_vocab;
	}
	size_t used = 0;
	uint64_t sum = 0;
	for (uint64_t k = 0; p->bytes ? sum < p->bytes : k < p->rows; k++) {
		if (cap - used < max_line_bytes(p) + GEN_SLOT) {
			if (fwrite(buf, 1, used, out) != used) {
				rc = -EIO;
				goto out_buf;
			}
			used = 0;
		}
		size_t n = gen_line(&v, p, k, buf + used);
		used += n;
		sum += n;
	}
	if (fwrite(buf, 1, used, out) != used || fflush(out) != 0)
		rc = -EIO;
out_buf:
	free(buf);
out_vocab:
	vocab_free(&v);
	return rc;
}

/* --- options --- */

void sl_gen_params_default(struct sl_gen_params *p)
{
	*p = (struct sl_gen_params){
		.words = 1000,
		.words_per_line = 8,
		.rows = 0,
		.bytes = 0,
		.seed = 1,
		.rows_per_second = 0,
		.pregenerate = false,
	};
}

static const char *const gen_keys[] = {
	"words", "words_per_line", "rows_per_second", "rows", "bytes", "seed", "pregenerate",
};
#define GEN_KNOWN "words, words_per_line, rows_per_second, rows, bytes, seed, pregenerate"

int sl_gen_params_parse(const struct sl_options *opts, struct sl_gen_params *p, char *err,
			size_t errlen)
{
	sl_gen_params_default(p);
	for (uint32_t i = 0; i < opts->n; i++) {
		const struct sl_option *o = &opts->v[i];
		bool known = strcasecmp(o->key, "connector") == 0;
		for (size_t k = 0; !known && k < sizeof(gen_keys) / sizeof(gen_keys[0]); k++)
			known = strcasecmp(o->key, gen_keys[k]) == 0;
		if (!known) {
			snprintf(err, errlen,
				 "line %u, column %u: unknown option '%s' for connector 'generator' "
				 "(known options: " GEN_KNOWN ")",
				 o->line, o->column, o->key);
			return -EINVAL;
		}
	}
	const struct sl_option *o;
	uint64_t v;
	if ((o = sl_options_find(opts, "words")) != NULL) {
		if (sl_option_u64(o, 1, SL_GEN_MAX_WORDS, &p->words, err, errlen) < 0)
			return -EINVAL;
	}
	if ((o = sl_options_find(opts, "words_per_line")) != NULL) {
		if (sl_option_u64(o, 1, SL_GEN_MAX_WORDS_PER_LINE, &v, err, errlen) < 0)
			return -EINVAL;
		p->words_per_line = (uint32_t)v;
	}
	if ((o = sl_options_find(opts, "rows_per_second")) != NULL) {
		if (sl_option_u64(o, 0, 1000000000000ULL, &p->rows_per_second, err, errlen) < 0)
			return -EINVAL;
	}
	if ((o = sl_options_find(opts, "rows")) != NULL) {
		if (sl_option_u64(o, 0, UINT64_MAX / 2, &p->rows, err, errlen) < 0)
			return -EINVAL;
	}
	if ((o = sl_options_find(opts, "seed")) != NULL) {
		if (sl_option_u64(o, 0, UINT64_MAX, &p->seed, err, errlen) < 0)
			return -EINVAL;
	}
	if ((o = sl_options_find(opts, "pregenerate")) != NULL) {
		if (sl_option_bool(o, &p->pregenerate, err, errlen) < 0)
			return -EINVAL;
	}
	if ((o = sl_options_find(opts, "bytes")) != NULL) {
		if (sl_parse_size(o->value, &p->bytes) < 0 || p->bytes == 0 || p->bytes > (1ULL << 50)) {
			snprintf(err, errlen,
				 "line %u, column %u: option 'bytes' must be a size from 1 to 1024T "
				 "such as '100M' or '1G' (K, M, G, T are powers of 1024), not '%s'",
				 o->line, o->column, o->value);
			return -EINVAL;
		}
		if (sl_options_find(opts, "rows") != NULL) {
			snprintf(err, errlen,
				 "line %u, column %u: set either 'rows' or 'bytes', not both",
				 o->line, o->column);
			return -EINVAL;
		}
	}
	if (p->pregenerate && p->rows == 0 && p->bytes == 0) {
		o = sl_options_find(opts, "pregenerate");
		snprintf(err, errlen,
			 "line %u, column %u: pregenerate = true needs a bounded text; "
			 "set 'rows' or 'bytes' too",
			 o->line, o->column);
		return -EINVAL;
	}
	return 0;
}

/* --- the connector --- */

/* Shared by the run() calls; written only in open(). */
struct sl_source {
	char name[SL_NAME_MAX];
	struct sl_gen_params p;
	uint64_t total;    /* lines in all; 0 = unbounded */
	uint32_t n_ingest;
	struct gen_vocab vocab;
	size_t scratch_len;
	char **scratch;    /* [n_ingest] one batch of lines per thread, owned */
	char *text;        /* pregenerate: the whole text, owned */
	uint64_t *range_row; /* pregenerate: [n_ingest + 1] first line of each thread */
	size_t *range_off;   /* pregenerate: [n_ingest + 1] its byte offset */
};

static int gen_validate(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	struct sl_gen_params p;
	if (sl_lines_check_schema(spec, err, errlen) < 0)
		return -EINVAL;
	return sl_gen_params_parse(&spec->options, &p, err, errlen);
}

static void gen_close(struct sl_source *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = 0; s->scratch != NULL && i < s->n_ingest; i++)
		free(s->scratch[i]);
	free(s->scratch);
	free(s->text);
	free(s->range_row);
	free(s->range_off);
	vocab_free(&s->vocab);
	free(s);
}

static int pregenerate(struct sl_source *s, size_t bytes, char *err, size_t errlen)
{
	s->range_row = calloc(s->n_ingest + 1, sizeof(*s->range_row));
	s->range_off = calloc(s->n_ingest + 1, sizeof(*s->range_off));
	s->text = malloc(bytes + GEN_SLOT);
	if (s->range_row == NULL || s->range_off == NULL || s->text == NULL) {
		snprintf(err, errlen,
			 "generator source '%s': cannot hold the pregenerated text (%zu bytes) in "
			 "memory; lower 'rows' or 'bytes', or set pregenerate = false",
			 s->name, bytes);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i <= s->n_ingest; i++)
		s->range_row[i] = (uint64_t)((unsigned __int128)s->total * i / s->n_ingest);
	size_t off = 0;
	uint32_t r = 0;
	for (uint64_t k = 0; k < s->total; k++) {
		while (r <= s->n_ingest && s->range_row[r] == k)
			s->range_off[r++] = off;
		off += gen_line(&s->vocab, &s->p, k, s->text + off);
	}
	while (r <= s->n_ingest)
		s->range_off[r++] = off;
	return 0;
}

static struct sl_source *gen_open(const struct sl_source_spec *spec, const struct sl_settings *set,
				  uint32_t n_ingest, char *err, size_t errlen)
{
	(void)set;
	if (gen_validate(spec, err, errlen) < 0)
		return NULL;
	struct sl_source *s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto err_nomem;
	snprintf(s->name, sizeof(s->name), "%s", spec->name);
	sl_gen_params_parse(&spec->options, &s->p, err, errlen);
	s->n_ingest = n_ingest ? n_ingest : 1;
	if (vocab_init(&s->vocab, s->p.words) < 0)
		goto err_nomem;
	size_t text_bytes = 0;
	s->total = total_rows(&s->vocab, &s->p, s->p.pregenerate ? &text_bytes : NULL);
	s->scratch_len = SL_INGEST_BATCH_ROWS * max_line_bytes(&s->p) + GEN_SLOT;
	s->scratch = calloc(s->n_ingest, sizeof(*s->scratch));
	if (s->scratch == NULL)
		goto err_nomem;
	if (s->p.pregenerate) {
		if (pregenerate(s, text_bytes, err, errlen) < 0)
			goto err_close;
	} else {
		for (uint32_t i = 0; i < s->n_ingest; i++)
			if ((s->scratch[i] = malloc(s->scratch_len)) == NULL)
				goto err_nomem;
	}
	return s;

err_nomem:
	snprintf(err, errlen, "generator source '%s': out of memory setting up %" PRIu64 " words",
		 spec->name, s ? s->p.words : 0);
err_close:
	gen_close(s);
	return NULL;
}




static int gen_run(struct sl_source *s, struct sl_ingest *in, uint32_t idx)
{
	struct sl_chunk *batch = sl_ingest_batch(in);
	struct sl_source_stats *st = sl_ingest_stats(in);
	if (batch->ncols < 1 || batch->cols[0].type != SL_TYPE_STRING) {
		sl_ingest_fail(in, "generator source '%s': the source needs the schema (value STRING)",
			       s->name);
		return -EINVAL;
	}
	if (idx >= s->n_ingest)
		return 0;
	struct sl_vec *col = &batch->cols[0];
	const uint64_t n = s->n_ingest, rps = s->p.rows_per_second;
	const uint64_t start = sl_source_now_ns();
	/* this thread's lines: the k-th is global line first + k*step, up to
	 * (not including) global line `last` (UINT64_MAX: unbounded) */
	uint64_t first = idx, step = n, last = s->total ? s->total : UINT64_MAX;
	const char *text = NULL, *text_end = NULL;
	if (s->p.pregenerate) {
		first = s->range_row[idx];
		step = 1;
		last = s->range_row[idx + 1];
		text = s->text + s->range_off[idx];
		text_end = s->text + s->range_off[idx + 1];
	}
	uint64_t g = first;      /* next global line */
	uint64_t mine = 0;       /* lines this thread has emitted */
	while (g < last) {
		uint32_t row = batch->nrows;
		char *o = s->scratch[idx];
		uint64_t now = rps ? sl_source_now_ns() : 0;
		while (row < SL_INGEST_BATCH_ROWS && g < last) {
			/* pacing: this thread's mine-th line stands for global
			 * position mine*n + idx in the stream's timeline */
			if (rps && sl_source_due_ns(start, mine * n + idx, rps) > now)
				break;
			size_t len;
			const char *line;
			if (text != NULL) {
				const char *nl = memchr(text, '\n', (size_t)(text_end - text));
				line = text;
				len = (size_t)(nl - text) + 1;
				text += len;
			} else {
				line = o;
				len = gen_line(&s->vocab, &s->p, g, o);
				o += len;
			}
			col->v.str[row].ptr = line;
			col->v.str[row].len = (uint32_t)(len - 1);
			if (col->nulls != NULL)
				col->nulls[row] = 0;
			row++;
			st->bytes += len;
			g += step;
			mine++;
		}
		st->rows += row - batch->nrows;
		batch->nrows = row;
		if (row > 0 && sl_ingest_commit(in) == -ECANCELED)
			return 0;
		if (g < last && rps && sl_source_wait_until(in, sl_source_due_ns(start, mine * n + idx, rps)) < 0)
			return 0;
	}
	return 0;
}

const struct sl_source_ops sl_source_gen_ops = {
	.name = "generator",
	.validate = gen_validate,
	.open = gen_open,
	.run = gen_run,
	.close = gen_close,
};
