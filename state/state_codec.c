/*
 * state_codec.c — the state checkpoint's payloads: the fingerprint, the
 * writer, the checked reader and compaction (format in state_codec.h).
 */
#include "state_codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "key.h"
#include "source.h"

/* Bump when the payload's meaning changes: older payloads are then refused
 * by their fingerprint. */
#define STATE_FORMAT 1

static inline void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_u32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static inline uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- fingerprint ---- */

/* FNV-1a over x's four little-endian bytes. */
static inline uint32_t fnv_u32(uint32_t h, uint32_t x)
{
	for (int i = 0; i < 4; i++)
		h = (h ^ ((x >> (8 * i)) & 0xff)) * 16777619u;
	return h;
}

uint32_t sl_state_fingerprint(const struct sl_agg_layout *l, bool session,
			      const struct sl_schema *key_schema)
{
	const uint32_t one = 1;
	uint8_t little;
	memcpy(&little, &one, 1); /* 1 on a little-endian host */
	uint32_t h = 2166136261u;
	h = fnv_u32(h, STATE_FORMAT);
	h = fnv_u32(h, little);
	h = fnv_u32(h, session);
	h = fnv_u32(h, l->state_size);
	h = fnv_u32(h, l->naggs);
	for (uint32_t j = 0; j < l->naggs; j++) {
		const struct sl_agg_slot *s = &l->slots[j];
		h = fnv_u32(h, (uint32_t)s->fn);
		h = fnv_u32(h, (uint32_t)s->arg_type);
		h = fnv_u32(h, (uint32_t)s->result_type);
		h = fnv_u32(h, s->off);
		h = fnv_u32(h, s->seen_bit);
		h = fnv_u32(h, s->hll_p);
	}
	uint32_t nk = key_schema != NULL ? key_schema->ncols : 0;
	h = fnv_u32(h, nk);
	for (uint32_t c = 0; c < nk; c++)
		h = fnv_u32(h, (uint32_t)key_schema->cols[c].type);
	return h;
}

/* ---- writer ---- */

static int reserve(struct sl_state_writer *w, size_t more)
{
	if (more <= w->cap - w->len)
		return 0;
	if (more > SIZE_MAX / 2 - w->len)
		return -ENOMEM;
	size_t cap = w->cap ? w->cap : 256;
	while (cap - w->len < more)
		cap *= 2;
	uint8_t *nb = realloc(w->buf, cap);
	if (nb == NULL)
		return -ENOMEM;
	w->buf = nb;
	w->cap = cap;
	return 0;
}

int sl_state_writer_begin(struct sl_state_writer *w, uint32_t fingerprint, uint32_t flags)
{
	if (w->buf == NULL) {
		/* the last payload's size: an epoch like the last one does not
		 * grow the buffer at all */
		size_t cap = w->hint < 256 ? 256 : w->hint;
		w->buf = malloc(cap);
		if (w->buf == NULL)
			return -ENOMEM;
		w->cap = cap;
	}
	w->len = SL_STATE_HEADER_SIZE;
	w->puts = w->removes = 0;
	put_u32(w->buf, fingerprint);
	put_u32(w->buf + 4, flags);
	put_u64(w->buf + 8, 0);
	return 0;
}

int sl_state_writer_remove(struct sl_state_writer *w, const void *key, uint32_t klen)
{
	if (klen > SL_STATE_MAX_KEY)
		return -E2BIG;
	if (reserve(w, 1 + SL_VARINT_MAX + (size_t)klen) < 0)
		return -ENOMEM;
	uint8_t *p = w->buf + w->len;
	*p++ = SL_STATE_REMOVE;
	p = sl_varint_put(p, klen);
	if (klen)
		memcpy(p, key, klen);
	w->len = (size_t)(p - w->buf) + klen;
	w->removes++;
	return 0;
}

uint8_t *sl_state_writer_put(struct sl_state_writer *w, const void *key, uint32_t klen,
			     size_t vlen)
{
	if (klen > SL_STATE_MAX_KEY) {
		errno = E2BIG;
		return NULL;
	}
	if (vlen > SIZE_MAX / 4 || reserve(w, 1 + 2 * SL_VARINT_MAX + (size_t)klen + vlen) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	uint8_t *p = w->buf + w->len;
	*p++ = SL_STATE_PUT;
	p = sl_varint_put(p, klen);
	if (klen)
		memcpy(p, key, klen);
	p = sl_varint_put(p + klen, vlen);
	w->len = (size_t)(p - w->buf) + vlen;
	w->puts++;
	return p;
}

void sl_state_writer_finish(struct sl_state_writer *w, void **buf, size_t *len)
{
	put_u64(w->buf + 8, w->puts + w->removes);
	*buf = w->buf;
	*len = w->len;
	w->hint = w->len;
	w->buf = NULL;
	w->len = w->cap = 0;
}

void sl_state_writer_free(struct sl_state_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

/* ---- reader ---- */

int sl_state_reader_init(struct sl_state_reader *r, const void *payload, size_t len, char *err,
			 size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (payload == NULL || len < SL_STATE_HEADER_SIZE) {
		snprintf(err, errlen,
			 "state payload is malformed: %zu bytes, shorter than its %d-byte header",
			 payload == NULL ? (size_t)0 : len, SL_STATE_HEADER_SIZE);
		return -EINVAL;
	}
	r->p = payload;
	r->len = len;
	r->pos = SL_STATE_HEADER_SIZE;
	r->fingerprint = get_u32(r->p);
	r->flags = get_u32(r->p + 4);
	r->nrecords = r->left = get_u64(r->p + 8);
	if (r->flags & ~SL_STATE_SNAPSHOT) {
		snprintf(err, errlen, "state payload is malformed at byte 4: unknown flags 0x%08x",
			 r->flags);
		return -EINVAL;
	}
	/* every record takes at least 2 bytes: a count beyond that is a lie */
	if (r->nrecords > (len - SL_STATE_HEADER_SIZE) / 2) {
		snprintf(err, errlen,
			 "state payload is malformed at byte 8: %llu records cannot fit in %zu bytes",
			 (unsigned long long)r->nrecords, len - SL_STATE_HEADER_SIZE);
		return -EINVAL;
	}
	return 0;
}

#define MALFORMED(at, ...)                                                              \
	do {                                                                            \
		char why_[160];                                                         \
		snprintf(why_, sizeof(why_), __VA_ARGS__);                              \
		snprintf(err, errlen, "state payload is malformed at byte %zu: %s",     \
			 (size_t)(at), why_);                                           \
		return -EINVAL;                                                         \
	} while (0)

int sl_state_reader_next(struct sl_state_reader *r, struct sl_state_record *rec, char *err,
			 size_t errlen)
{
	const uint8_t *end = r->p + r->len;
	size_t at = r->pos;
	if (r->left == 0) {
		if (r->pos != r->len)
			MALFORMED(at, "%zu bytes after the last of its %llu records",
				  r->len - r->pos, (unsigned long long)r->nrecords);
		return 0;
	}
	if (r->pos >= r->len)
		MALFORMED(at, "it ends after %llu of its %llu records",
			  (unsigned long long)(r->nrecords - r->left),
			  (unsigned long long)r->nrecords);
	const uint8_t *p = r->p + r->pos;
	uint8_t op = *p++;
	if (op != SL_STATE_PUT && op != SL_STATE_REMOVE)
		MALFORMED(at, "unknown record kind %u", op);
	uint64_t klen, vlen = 0;
	uint32_t n = sl_varint_get(p, end, &klen);
	if (n == 0)
		MALFORMED(p - r->p, "a key length runs past the end");
	p += n;
	if (klen > SL_STATE_MAX_KEY || klen > (uint64_t)(end - p))
		MALFORMED(p - r->p, "a key of %llu bytes, with %zu left",
			  (unsigned long long)klen, (size_t)(end - p));
	rec->key = p;
	rec->klen = (uint32_t)klen;
	p += klen;
	rec->val = NULL;
	if (op == SL_STATE_PUT) {
		n = sl_varint_get(p, end, &vlen);
		if (n == 0)
			MALFORMED(p - r->p, "a value length runs past the end");
		p += n;
		if (vlen > (uint64_t)(end - p))
			MALFORMED(p - r->p, "a value of %llu bytes, with %zu left",
				  (unsigned long long)vlen, (size_t)(end - p));
		rec->val = p;
		p += vlen;
	}
	rec->op = (enum sl_state_op)op;
	rec->vlen = (size_t)vlen;
	rec->offset = at;
	r->pos = (size_t)(p - r->p);
	r->left--;
	return 1;
}

int sl_state_check_fingerprint(const struct sl_state_reader *r, uint32_t want, char *err,
			       size_t errlen)
{
	if (r->fingerprint == want)
		return 0;
	snprintf(err, errlen,
		 "the checkpointed state was written by a query with other group keys or "
		 "aggregates (state layout %08x, this query's %08x): run the changed query with a "
		 "new checkpoint location",
		 r->fingerprint, want);
	return -EINVAL;
}

/* ---- compaction ---- */

/* A key's latest record: a put's value, or removed. */
struct cmp_entry {
	const uint8_t *key;
	const uint8_t *val; /* NULL: removed */
	size_t vlen;
	uint64_t hash;
	uint32_t klen;
};

struct cmp_map {
	struct cmp_entry *e; /* in the order keys first appeared */
	uint32_t n, ecap;
	uint32_t *slots;     /* entry index + 1; 0: empty */
	uint64_t mask;
};

static int cmp_grow(struct cmp_map *m)
{
	uint64_t nslots = m->slots ? (m->mask + 1) * 2 : 1024;
	uint32_t *ns = calloc(nslots, sizeof(*ns));
	if (ns == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->n; i++) {
		uint64_t j = m->e[i].hash & (nslots - 1);
		while (ns[j] != 0)
			j = (j + 1) & (nslots - 1);
		ns[j] = i + 1;
	}
	free(m->slots);
	m->slots = ns;
	m->mask = nslots - 1;
	return 0;
}

/* The entry of key, made when absent (val NULL); NULL when out of memory. */
static struct cmp_entry *cmp_find(struct cmp_map *m, const uint8_t *key, uint32_t klen)
{
	if (m->slots == NULL || (uint64_t)(m->n + 1) * 4 > (m->mask + 1) * 3) {
		if (m->n == UINT32_MAX - 1 || cmp_grow(m) < 0)
			return NULL;
	}
	uint64_t h = sl_key_hash(key, klen);
	uint64_t j = h & m->mask;
	for (; m->slots[j] != 0; j = (j + 1) & m->mask) {
		struct cmp_entry *e = &m->e[m->slots[j] - 1];
		if (e->hash == h && e->klen == klen && (klen == 0 || memcmp(e->key, key, klen) == 0))
			return e;
	}
	if (m->n == m->ecap) {
		uint32_t cap = m->ecap ? 2 * m->ecap : 1024;
		struct cmp_entry *ne = realloc(m->e, (size_t)cap * sizeof(*ne));
		if (ne == NULL)
			return NULL;
		m->e = ne;
		m->ecap = cap;
	}
	struct cmp_entry *e = &m->e[m->n];
	*e = (struct cmp_entry){.key = key, .klen = klen, .hash = h};
	m->slots[j] = ++m->n;
	return e;
}

int sl_state_compact(const struct sl_blob *in, uint32_t n, void **out, size_t *outlen,
		     char *err, size_t errlen)
{
	struct cmp_map m = {0};
	struct sl_state_reader r;
	struct sl_state_record rec;
	uint32_t fp = 0;
	int rc;
	char why[256];

	*out = NULL;
	*outlen = 0;
	if (n == 0) {
		snprintf(err, errlen, "nothing to compact: no state payload given");
		return -EINVAL;
	}
	uint32_t i;
	for (i = 0; i < n; i++) {
		rc = sl_state_reader_init(&r, in[i].p, in[i].len, why, sizeof(why));
		if (rc < 0)
			goto err_input;
		if (i == 0) {
			fp = r.fingerprint;
		} else if (r.fingerprint != fp) {
			snprintf(why, sizeof(why),
				 "its state layout %08x differs from the first payload's %08x",
				 r.fingerprint, fp);
			rc = -EINVAL;
			goto err_input;
		} else if (r.flags & SL_STATE_SNAPSHOT) {
			snprintf(why, sizeof(why), "a snapshot can only be the first payload");
			rc = -EINVAL;
			goto err_input;
		}
		while ((rc = sl_state_reader_next(&r, &rec, why, sizeof(why))) > 0) {
			struct cmp_entry *e = cmp_find(&m, rec.key, rec.klen);
			if (e == NULL) {
				rc = -ENOMEM;
				goto err_nomem;
			}
			e->val = rec.val; /* a remove's NULL */
			e->vlen = rec.vlen;
		}
		if (rc < 0)
			goto err_input;
	}

	/* the snapshot: the size first, then one buffer written once */
	size_t size = SL_STATE_HEADER_SIZE;
	uint64_t live = 0;
	for (uint32_t k = 0; k < m.n; k++) {
		const struct cmp_entry *e = &m.e[k];
		if (e->val == NULL)
			continue;
		size += 1 + sl_varint_size(e->klen) + e->klen + sl_varint_size(e->vlen) + e->vlen;
		live++;
	}
	uint8_t *buf = malloc(size);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto err_nomem;
	}
	put_u32(buf, fp);
	put_u32(buf + 4, SL_STATE_SNAPSHOT);
	put_u64(buf + 8, live);
	uint8_t *p = buf + SL_STATE_HEADER_SIZE;
	for (uint32_t k = 0; k < m.n; k++) {
		const struct cmp_entry *e = &m.e[k];
		if (e->val == NULL)
			continue;
		*p++ = SL_STATE_PUT;
		p = sl_varint_put(p, e->klen);
		if (e->klen)
			memcpy(p, e->key, e->klen);
		p = sl_varint_put(p + e->klen, e->vlen);
		if (e->vlen)
			memcpy(p, e->val, e->vlen);
		p += e->vlen;
	}
	*out = buf;
	*outlen = size;
	free(m.e);
	free(m.slots);
	return 0;

err_input:
	snprintf(err, errlen, "cannot compact state payload %u of %u: %s", i + 1, n, why);
	goto err_free;
err_nomem:
	snprintf(err, errlen, "out of memory compacting %u state payloads", n);
err_free:
	free(m.e);
	free(m.slots);
	return rc;
}
