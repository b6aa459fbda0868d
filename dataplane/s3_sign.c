/*
 * s3_sign.c — AWS Signature Version 4 for S3 requests (s3.h), on OpenSSL's
 * SHA-256 and HMAC.
 *
 *   canonical request = method \n path \n sorted encoded query \n
 *                       lower-case "name:trimmed value\n" per header, sorted \n
 *                       signed header names joined by ';' \n payload hash
 *   string to sign    = "AWS4-HMAC-SHA256" \n amz_date \n
 *                       date/region/service/aws4_request \n hex SHA-256(creq)
 *   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region),
 *                       service), "aws4_request")
 *   signature         = hex HMAC(signing key, string to sign)
 *
 * Checked in tests/dataplane/test_s3.c against AWS's published examples.
 * Nothing here keeps or prints the secret.
 */
#include "s3.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIGN_MAX_HEADERS 16
#define SIGN_MAX_QUERY 16

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void sl_s3_sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(data, n, md);
	hex(md, sizeof(md), out);
}

static void hmac(const void *key, size_t klen, const void *msg, size_t n, unsigned char out[32])
{
	unsigned int len = 32;
	HMAC(EVP_sha256(), key, (int)klen, msg, n, out, &len);
}

ssize_t sl_s3_uri_encode(const char *s, size_t n, bool keep_slash, char *out, size_t outlen)
{
	static const char d[] = "0123456789ABCDEF";
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool keep = isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
			    (keep_slash && c == '/');
		if (w + (keep ? 1 : 3) >= outlen)
			return -1;
		if (keep) {
			out[w++] = (char)c;
		} else {
			out[w++] = '%';
			out[w++] = d[c >> 4];
			out[w++] = d[c & 15];
		}
	}
	if (w >= outlen)
		return -1;
	out[w] = '\0';
	return (ssize_t)w;
}

/* An appending writer that notes overflow once. */
struct wbuf {
	char *p;
	size_t len, used;
	bool full;
};

static void put(struct wbuf *b, const char *s, size_t n)
{
	if (b->full || b->used + n >= b->len) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->used, s, n);
	b->used += n;
	b->p[b->used] = '\0';
}

static void puts_(struct wbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

struct enc_kv {
	char k[512], v[2048];
};

static int cmp_enc(const void *a, const void *b)
{
	const struct enc_kv *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	return c != 0 ? c : strcmp(x->v, y->v);
}

struct low_kv {
	char k[64];
	const char *v;
};

static int cmp_low(const void *a, const void *b)
{
	return strcmp(((const struct low_kv *)a)->k, ((const struct low_kv *)b)->k);
}

int sl_s3_sign(const struct sl_s3_sign_req *r, char *auth, size_t authlen, char *creq,
	       size_t creqlen, char *sts, size_t stslen)
{
	if (r->nquery > SIGN_MAX_QUERY || r->nheaders > SIGN_MAX_HEADERS)
		return -ENOSPC;
	/* the canonical request, built whole so that it can be hashed */
	size_t cap = 16384;
	char *c = malloc(cap);
	struct enc_kv *q = calloc(r->nquery ? r->nquery : 1, sizeof(*q));
	if (c == NULL || q == NULL) {
		free(c);
		free(q);
		return -ENOMEM;
	}
	int rc = -ENOSPC;
	struct wbuf b = {.p = c, .len = cap};
	c[0] = '\0';
	puts_(&b, r->method);
	puts_(&b, "\n");
	puts_(&b, r->path);
	puts_(&b, "\n");
	for (uint32_t i = 0; i < r->nquery; i++)
		if (sl_s3_uri_encode(r->query[i].k, strlen(r->query[i].k), false, q[i].k,
				     sizeof(q[i].k)) < 0 ||
		    sl_s3_uri_encode(r->query[i].v, strlen(r->query[i].v), false, q[i].v,
				     sizeof(q[i].v)) < 0)
			goto out;
	qsort(q, r->nquery, sizeof(*q), cmp_enc);
	for (uint32_t i = 0; i < r->nquery; i++) {
		if (i > 0)
			puts_(&b, "&");
		puts_(&b, q[i].k);
		puts_(&b, "=");
		puts_(&b, q[i].v);
	}
	puts_(&b, "\n");
	struct low_kv h[SIGN_MAX_HEADERS];
	for (uint32_t i = 0; i < r->nheaders; i++) {
		size_t n = strlen(r->headers[i].k);
		if (n >= sizeof(h[i].k))
			goto out;
		for (size_t j = 0; j <= n; j++)
			h[i].k[j] = (char)tolower((unsigned char)r->headers[i].k[j]);
		h[i].v = r->headers[i].v;
	}
	qsort(h, r->nheaders, sizeof(h[0]), cmp_low);
	char signed_names[1024];
	struct wbuf sn = {.p = signed_names, .len = sizeof(signed_names)};
	signed_names[0] = '\0';
	for (uint32_t i = 0; i < r->nheaders; i++) {
		puts_(&b, h[i].k);
		puts_(&b, ":");
		/* trimmed, inner runs of spaces made one */
		const char *v = h[i].v;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t n = strlen(v);
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		for (size_t j = 0; j < n; j++) {
			if (v[j] == ' ' && j > 0 && v[j - 1] == ' ')
				continue;
			put(&b, &v[j], 1);
		}
		puts_(&b, "\n");
		if (i > 0)
			puts_(&sn, ";");
		puts_(&sn, h[i].k);
	}
	puts_(&b, "\n");
	puts_(&b, signed_names);
	puts_(&b, "\n");
	puts_(&b, r->payload_hash);
	if (b.full || sn.full)
		goto out;
	if (creq != NULL) {
		if (b.used >= creqlen)
			goto out;
		memcpy(creq, c, b.used + 1);
	}

	char chash[65];
	sl_s3_sha256_hex(c, b.used, chash);
	char date[9];
	if (strlen(r->amz_date) < 8)
		goto out;
	memcpy(date, r->amz_date, 8);
	date[8] = '\0';
	char scope[256];
	int w = snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date, r->region, r->service);
	if (w < 0 || (size_t)w >= sizeof(scope))
		goto out;
	char s2s[512];
	w = snprintf(s2s, sizeof(s2s), "AWS4-HMAC-SHA256\n%s\n%s\n%s", r->amz_date, scope, chash);
	if (w < 0 || (size_t)w >= sizeof(s2s))
		goto out;
	if (sts != NULL) {
		if ((size_t)w >= stslen)
			goto out;
		memcpy(sts, s2s, (size_t)w + 1);
	}
	/* the signing key: the secret goes into the first HMAC's key only */
	char k0[300];
	size_t sl = strlen(r->secret_key);
	if (sl + 4 >= sizeof(k0))
		goto out;
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, r->secret_key, sl);
	unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
	hmac(k0, 4 + sl, date, 8, k1);
	OPENSSL_cleanse(k0, sizeof(k0));
	hmac(k1, 32, r->region, strlen(r->region), k2);
	hmac(k2, 32, r->service, strlen(r->service), k3);
	hmac(k3, 32, "aws4_request", 12, k4);
	hmac(k4, 32, s2s, (size_t)w, sig);
	char sighex[65];
	hex(sig, 32, sighex);
	w = snprintf(auth, authlen,
		     "AWS4-HMAC-SHA256 Credential=%s/%s,SignedHeaders=%s,Signature=%s",
		     r->access_key, scope, signed_names, sighex);
	if (w < 0 || (size_t)w >= authlen)
		goto out;
	rc = 0;
out:
	free(c);
	free(q);
	return rc;
}
