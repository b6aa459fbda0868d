/*
 * s3xml.c — the XML of S3's answers (ListBucketResult, Error,
 * InitiateMultipartUploadResult, CopyObjectResult), read by a small walker
 * of our own: bytes from a server are outside input, so every read is
 * bounds-checked and the walker refuses what it does not understand
 * (fuzzed: tests/fuzz/fuzz_s3xml.c).
 *
 * What it takes: a prolog (<?xml ...?>), comments, <!DOCTYPE ...> (skipped,
 * no internal subset), elements with attributes (skipped), self-closing
 * elements, text with the five named entities and numeric character
 * references, CDATA sections. Namespace prefixes are dropped from names.
 * It reports leaf elements only (those with no child element): S3's
 * answers keep their values there.
 *
 * Limits: nesting depth SL_XML_DEPTH, names of up to 63 bytes; the text of
 * one leaf is at most the document's length (decoding only shrinks it).
 */
#include "s3.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SL_XML_DEPTH 16
#define SL_XML_NAME 64

struct walker {
	const char *p, *end;
	char names[SL_XML_DEPTH][SL_XML_NAME];
	const char *path[SL_XML_DEPTH];
	uint32_t depth;
	bool had_child[SL_XML_DEPTH];
	char *text;     /* decoded text of the current element */
	size_t ntext;
};

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == ':' || (unsigned char)c >= 0x80;
}

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip to just after the first occurrence of s; false when absent. */
static bool skip_past(struct walker *w, const char *s)
{
	size_t n = strlen(s);
	const char *q = w->p;
	while ((size_t)(w->end - q) >= n) {
		if (memcmp(q, s, n) == 0) {
			w->p = q + n;
			return true;
		}
		q++;
	}
	return false;
}

/* Read a name at w->p into out (namespace prefix dropped). */
static int read_name(struct walker *w, char *out)
{
	const char *s = w->p;
	while (w->p < w->end && name_char(*w->p))
		w->p++;
	size_t n = (size_t)(w->p - s);
	if (n == 0)
		return -EINVAL;
	const char *colon = memchr(s, ':', n);
	if (colon != NULL) {
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
		if (n == 0)
			return -EINVAL;
	}
	if (n >= SL_XML_NAME)
		return -EINVAL;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static void put_utf8(struct walker *w, uint32_t cp)
{
	char *o = w->text + w->ntext;
	if (cp < 0x80) {
		o[0] = (char)cp;
		w->ntext += 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		w->ntext += 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		w->ntext += 3;
	} else {
		o[0] = (char)(0xf0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (char)(0x80 | (cp & 0x3f));
		w->ntext += 4;
	}
}

/* An entity at w->p (just after '&'): its bytes into the text. A numeric
 * reference is at least 4 bytes ("&#N;"), its UTF-8 at most 4, so the
 * decoded text never outgrows the document. */
static int entity(struct walker *w)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t n = strlen(named[i].name);
		if ((size_t)(w->end - w->p) >= n && memcmp(w->p, named[i].name, n) == 0) {
			w->text[w->ntext++] = named[i].c;
			w->p += n;
			return 0;
		}
	}
	if (w->p >= w->end || *w->p != '#')
		return -EINVAL;
	w->p++;
	bool hexa = w->p < w->end && (*w->p == 'x' || *w->p == 'X');
	if (hexa)
		w->p++;
	uint32_t cp = 0;
	int digits = 0;
	for (; w->p < w->end && *w->p != ';'; w->p++) {
		char c = *w->p;
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (hexa && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (hexa && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -EINVAL;
		cp = cp * (hexa ? 16 : 10) + (uint32_t)d;
		if (cp > 0x10ffff || ++digits > 8)
			return -EINVAL;
	}
	if (w->p >= w->end || digits == 0 || cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
		return -EINVAL;
	w->p++; /* ';' */
	/* "&#N;" is 4 bytes at least and its UTF-8 is at most as long as the
	 * reference ("&#x10000;" is 9 bytes for 4), so text stays in bounds */
	put_utf8(w, cp);
	return 0;
}

int sl_s3xml_walk(const char *doc, size_t n, sl_s3xml_fn *fn, void *ctx)
{
	struct walker *w = calloc(1, sizeof(*w));
	char *text = malloc(n + 1);
	if (w == NULL || text == NULL) {
		free(w);
		free(text);
		return -ENOMEM;
	}
	w->p = doc;
	w->end = doc + n;
	w->text = text;
	for (uint32_t i = 0; i < SL_XML_DEPTH; i++)
		w->path[i] = w->names[i];
	int rc = 0;
	bool root_seen = false;
	while (w->p < w->end) {
		char c = *w->p;
		if (c != '<') {
			if (c == '&') {
				if (w->depth == 0) {
					rc = -EINVAL;
					break;
				}
				w->p++;
				if ((rc = entity(w)) < 0)
					break;
				continue;
			}
			if (w->depth == 0 && !space(c)) {
				rc = -EINVAL; /* text outside the root */
				break;
			}
			if (w->depth > 0)
				w->text[w->ntext++] = c;
			w->p++;
			continue;
		}
		size_t left = (size_t)(w->end - w->p);
		if (left >= 2 && w->p[1] == '?') {
			if (!skip_past(w, "?>")) {
				rc = -EINVAL;
				break;
			}
		} else if (left >= 4 && memcmp(w->p, "<!--", 4) == 0) {
			w->p += 4;
			if (!skip_past(w, "-->")) {
				rc = -EINVAL;
				break;
			}
		} else if (left >= 9 && memcmp(w->p, "<![CDATA[", 9) == 0) {
			if (w->depth == 0) {
				rc = -EINVAL;
				break;
			}
			w->p += 9;
			const char *s = w->p;
			if (!skip_past(w, "]]>")) {
				rc = -EINVAL;
				break;
			}
			size_t k = (size_t)(w->p - 3 - s);
			memcpy(w->text + w->ntext, s, k);
			w->ntext += k;
		} else if (left >= 2 && w->p[1] == '!') {
			/* <!DOCTYPE ...>: no internal subset */
			if (w->depth > 0 || root_seen) {
				rc = -EINVAL;
				break;
			}
			const char *gt = memchr(w->p, '>', left);
			const char *br = memchr(w->p, '[', left);
			if (gt == NULL || (br != NULL && br < gt)) {
				rc = -EINVAL;
				break;
			}
			w->p = gt + 1;
		} else if (left >= 2 && w->p[1] == '/') {
			w->p += 2;
			char name[SL_XML_NAME];
			if (w->depth == 0 || (rc = read_name(w, name)) < 0) {
				rc = -EINVAL;
				break;
			}
			while (w->p < w->end && space(*w->p))
				w->p++;
			if (w->p >= w->end || *w->p != '>' || strcmp(name, w->names[w->depth - 1]) != 0) {
				rc = -EINVAL;
				break;
			}
			w->p++;
			if (!w->had_child[w->depth - 1]) {
				w->text[w->ntext] = '\0';
				rc = fn(ctx, w->path, w->depth, w->text, w->ntext);
				if (rc != 0)
					break;
			}
			w->depth--;
			w->ntext = 0;
		} else {
			w->p++;
			if (w->depth == SL_XML_DEPTH || (w->depth == 0 && root_seen)) {
				rc = -EINVAL;
				break;
			}
			if ((rc = read_name(w, w->names[w->depth])) < 0)
				break;
			/* attributes: skipped, quotes respected */
			bool closed = false, self = false;
			while (w->p < w->end) {
				char a = *w->p;
				if (a == '"' || a == '\'') {
					const char *q = memchr(w->p + 1, a, (size_t)(w->end - w->p - 1));
					if (q == NULL)
						break;
					w->p = q + 1;
					continue;
				}
				if (a == '<')
					break;
				if (a == '>') {
					w->p++;
					closed = true;
					break;
				}
				if (a == '/' && w->p + 1 < w->end && w->p[1] == '>') {
					w->p += 2;
					closed = self = true;
					break;
				}
				w->p++;
			}
			if (!closed) {
				rc = -EINVAL;
				break;
			}
			if (w->depth > 0)
				w->had_child[w->depth - 1] = true;
			root_seen = true;
			w->had_child[w->depth] = false;
			w->depth++;
			w->ntext = 0;
			if (self) {
				w->text[0] = '\0';
				rc = fn(ctx, w->path, w->depth, w->text, 0);
				w->depth--;
				if (rc != 0)
					break;
			}
		}
	}
	if (rc == 0 && (w->depth != 0 || !root_seen))
		rc = -EINVAL;
	free(text);
	free(w);
	return rc;
}

/* --- the answers --- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's days_from_civil */
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int sl_s3_parse_time(const char *s, size_t n, int64_t *ms)
{
	/* YYYY-MM-DDTHH:MM:SS[.fff...]Z */
	unsigned y, mo, d, h, mi, se, frac = 0;
	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':' || digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 ||
	    digits(s + 8, 2, &d) < 0 || digits(s + 11, 2, &h) < 0 || digits(s + 14, 2, &mi) < 0 ||
	    digits(s + 17, 2, &se) < 0)
		return -EINVAL;
	size_t i = 19;
	if (s[i] == '.') {
		unsigned scale = 100;
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			frac += (unsigned)(s[i] - '0') * scale;
			scale /= 10;
		}
	}
	if (i + 1 != n || (s[i] != 'Z' && s[i] != 'z'))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	int64_t days = days_from_civil(y, mo, d);
	*ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)se * 1000 + frac;
	return 0;
}

struct list_ctx {
	struct sl_s3_page *page;
	/* the <Contents> being read */
	bool in_obj;
	bool have_key, have_size, have_time;
	uint64_t size;
	int64_t mtime;
	int err;
};

static int page_add_key(struct sl_s3_page *p, const char *k, size_t n)
{
	if (n > UINT32_MAX / 2)
		return -EINVAL;
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 256;
		struct sl_s3_object *v = realloc(p->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	if (p->keys_len + n + 1 > p->keys_cap) {
		size_t cap = p->keys_cap ? p->keys_cap : 16384;
		while (cap < p->keys_len + n + 1)
			cap *= 2;
		if (cap > UINT32_MAX)
			return -E2BIG;
		char *k2 = realloc(p->keys, cap);
		if (k2 == NULL)
			return -ENOMEM;
		p->keys = k2;
		p->keys_cap = cap;
	}
	memcpy(p->keys + p->keys_len, k, n);
	p->keys[p->keys_len + n] = '\0';
	p->v[p->n] = (struct sl_s3_object){.key_off = (uint32_t)p->keys_len, .key_len = (uint32_t)n};
	p->keys_len += n + 1;
	p->n++;
	return 0;
}

static int list_leaf(void *arg, const char *const *path, uint32_t depth, const char *text,
		     size_t n)
{
	struct list_ctx *c = arg;
	struct sl_s3_page *p = c->page;
	if (strcmp(path[0], "ListBucketResult") != 0)
		return -EINVAL;
	if (depth == 2) {
		if (strcmp(path[1], "IsTruncated") == 0) {
			p->truncated = n == 4 && memcmp(text, "true", 4) == 0;
		} else if (strcmp(path[1], "NextContinuationToken") == 0) {
			if (n >= sizeof(p->next_token))
				return -EINVAL;
			memcpy(p->next_token, text, n + 1);
		}
		return 0;
	}
	if (depth != 3 || strcmp(path[1], "Contents") != 0)
		return 0;
	/* each <Contents> starts with <Key> (as S3 writes it); a new Key
	 * closes the previous object */
	if (strcmp(path[2], "Key") == 0) {
		if (memchr(text, '\0', n) != NULL || n == 0)
			return -EINVAL;
		int rc = page_add_key(p, text, n);
		if (rc < 0)
			return rc;
		c->in_obj = true;
		return 0;
	}
	if (!c->in_obj)
		return 0; /* fields before any Key: not ours */
	struct sl_s3_object *o = &p->v[p->n - 1];
	if (strcmp(path[2], "Size") == 0) {
		uint64_t v = 0;
		if (n == 0 || n > 19)
			return -EINVAL;
		for (size_t i = 0; i < n; i++) {
			if (text[i] < '0' || text[i] > '9')
				return -EINVAL;
			v = v * 10 + (uint64_t)(text[i] - '0');
		}
		o->size = v;
	} else if (strcmp(path[2], "LastModified") == 0) {
		if (sl_s3_parse_time(text, n, &o->mtime_ms) < 0)
			return -EINVAL;
	}
	return 0;
}

int sl_s3xml_list(const char *doc, size_t n, struct sl_s3_page *page)
{
	page->n = 0;
	page->keys_len = 0;
	page->truncated = false;
	page->next_token[0] = '\0';
	struct list_ctx c = {.page = page};
	int rc = sl_s3xml_walk(doc, n, list_leaf, &c);
	if (rc == 0 && page->truncated && page->next_token[0] == '\0')
		rc = -EINVAL; /* truncated but no way on */
	if (rc < 0)
		page->n = 0;
	return rc;
}

struct err_ctx {
	char *code, *msg;
	size_t clen, mlen;
	bool is_error;
};

static void copy_cut(char *out, size_t len, const char *s, size_t n)
{
	if (len == 0)
		return;
	size_t k = n < len - 1 ? n : len - 1;
	for (size_t i = 0; i < k; i++) /* no control bytes into messages */
		out[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
	out[k] = '\0';
}

static int err_leaf(void *arg, const char *const *path, uint32_t depth, const char *text, size_t n)
{
	struct err_ctx *c = arg;
	if (strcmp(path[0], "Error") != 0)
		return 1; /* another document */
	c->is_error = true;
	if (depth == 2 && strcmp(path[1], "Code") == 0)
		copy_cut(c->code, c->clen, text, n);
	else if (depth == 2 && strcmp(path[1], "Message") == 0)
		copy_cut(c->msg, c->mlen, text, n);
	return 0;
}

int sl_s3xml_error(const char *doc, size_t n, char *code, size_t clen, char *msg, size_t mlen)
{
	struct err_ctx c = {.code = code, .msg = msg, .clen = clen, .mlen = mlen};
	if (clen)
		code[0] = '\0';
	if (mlen)
		msg[0] = '\0';
	int rc = sl_s3xml_walk(doc, n, err_leaf, &c);
	if (rc == 1)
		return -ENOENT;
	if (rc < 0)
		return rc;
	return c.is_error ? 0 : -ENOENT;
}

struct find_ctx {
	const char *name;
	char *out;
	size_t outlen;
};

static int find_leaf(void *arg, const char *const *path, uint32_t depth, const char *text,
		     size_t n)
{
	struct find_ctx *c = arg;
	if (strcmp(path[depth - 1], c->name) != 0)
		return 0;
	if (n >= c->outlen)
		return -EINVAL;
	memcpy(c->out, text, n);
	c->out[n] = '\0';
	return 1;
}

int sl_s3xml_find(const char *doc, size_t n, const char *name, char *out, size_t outlen)
{
	struct find_ctx c = {.name = name, .out = out, .outlen = outlen};
	int rc = sl_s3xml_walk(doc, n, find_leaf, &c);
	if (rc == 1)
		return 0;
	return rc < 0 ? rc : -ENOENT;
}

void sl_s3_page_free(struct sl_s3_page *p)
{
	free(p->v);
	free(p->keys);
	*p = (struct sl_s3_page){0};
}
