/*
 * s3.h — a small S3 client (libcurl, AWS Signature Version 4 on OpenSSL's
 * SHA-256 and HMAC): what the file source and sink need of a bucket and no
 * more. ListObjectsV2 page by page (StartAfter, continuation tokens),
 * ranged GET, HEAD, PUT, multipart upload, DELETE, COPY.
 *
 * A client (struct sl_s3) is one libcurl handle and belongs to one thread:
 * each ingest thread of a source makes its own from the shared, read-only
 * configuration (struct sl_s3_conf). Requests are blocking; every one is
 * retried on a transport error, a 5xx answer (503 SlowDown included) and
 * 429, with exponential back-off and full jitter (AWS's "exponential
 * back-off and jitter": a random wait in [0, min(cap, base * 2^attempt)],
 * at least base / 2), up to conf->retries times; a request that makes no
 * progress for conf->timeout_ms fails (and is retried).
 *
 * Errors: every operation returns 0 (or bytes) or -errno, and leaves a
 * message in sl_s3_error() that says what failed (the operation and
 * s3://bucket/key), why (the HTTP status, S3's error code and message) and
 * what to do. -EACCES: 403 (wrong or missing credentials, or a policy);
 * -ENOENT: NoSuchKey / 404 on an object; -ENXIO: NoSuchBucket; -EAGAIN:
 * still failing after the retries (5xx, throttling); -ETIMEDOUT,
 * -ECONNREFUSED, -EIO: transport. The secret key and the session token
 * never appear in a message, a log line or anything this module prints.
 *
 * Addressing: path-style (http://endpoint/bucket/key; s3.path_style =
 * true, what loopback servers such as s3rver need) or virtual-hosted
 * (http://bucket.endpoint/key, AWS's default).
 */
#ifndef SL_S3_H
#define SL_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sl_options;

#define SL_S3_ERR_MAX 1024
#define SL_S3_DEFAULT_REGION "us-east-1"

/* What every client of one source or sink shares; read-only once made. */
struct sl_s3_conf {
	char scheme[8];        /* "http" or "https" */
	char host[256];        /* the endpoint's host[:port] */
	char region[64];
	bool path_style;
	char access_key[256];
	char secret_key[256];  /* never printed */
	char session_token[4096]; /* never printed; "" when none */
	uint32_t retries;      /* attempts after the first */
	uint32_t backoff_ms;   /* the first back-off's cap; doubles per attempt */
	uint32_t backoff_max_ms;
	uint32_t timeout_ms;   /* connect timeout, and longest stall of a transfer */
	bool creds_from_env;   /* for messages: where the credentials came from */
};

/* True when option key k belongs to the S3 client (s3.*). */
bool sl_s3_is_option(const char *k);

/*
 * The client's settings from a connector's options and the environment:
 * s3.endpoint (default https://s3.<region>.amazonaws.com), s3.region
 * (default AWS_REGION, AWS_DEFAULT_REGION, then us-east-1), s3.path_style
 * (default false), s3.access_key / s3.secret_key / s3.session_token
 * (default AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN),
 * s3.retries (default 8), s3.retry_backoff (default '100 ms'),
 * s3.timeout (default '30 seconds'). Keys the caller handles itself (other
 * s3.* keys it knows) are passed in `own` (NULL-terminated) and skipped.
 * 0, or -EINVAL with "line L, column C: ..." in err.
 */
int sl_s3_conf_parse(struct sl_s3_conf *c, const struct sl_options *opts,
		     const char *const *own, char *err, size_t errlen);

/* "s3://bucket/prefix": bucket and prefix (the prefix without leading
 * '/'; "" for the whole bucket). 0 or -EINVAL with err. */
int sl_s3_parse_url(const char *url, char *bucket, size_t blen, char *prefix, size_t plen,
		    char *err, size_t errlen);
static inline bool sl_s3_is_url(const char *s)
{
	return s[0] == 's' && s[1] == '3' && s[2] == ':' && s[3] == '/' && s[4] == '/';
}

struct sl_s3;

/* NULL with errno (ENOMEM) when libcurl cannot be set up. */
struct sl_s3 *sl_s3_create(const struct sl_s3_conf *c);
void sl_s3_destroy(struct sl_s3 *s);
/* The last failure's message (what, where, what to do); "" after success. */
const char *sl_s3_error(const struct sl_s3 *s);
/* Requests retried since create (for stats and tests). */
uint64_t sl_s3_retries(const struct sl_s3 *s);

/* --- listing --- */

struct sl_s3_object {
	uint32_t key_off;   /* into the page's keys */
	uint32_t key_len;
	uint64_t size;
	int64_t mtime_ms;   /* LastModified */
};

/* One page of ListObjectsV2 (up to 1000 keys); reused page after page, so
 * that a listing holds one page at a time. */
struct sl_s3_page {
	struct sl_s3_object *v;
	uint32_t n, cap;
	char *keys;         /* NUL-terminated keys, back to back */
	size_t keys_len, keys_cap;
	bool truncated;
	char next_token[1024]; /* NextContinuationToken when truncated */
};

void sl_s3_page_free(struct sl_s3_page *p);
static inline const char *sl_s3_page_key(const struct sl_s3_page *p, uint32_t i)
{
	return p->keys + p->v[i].key_off;
}

/* One page of the keys under prefix (only those with no '/' after it when
 * delimiter is true), after start_after (NULL: from the start), or
 * continuing token (NULL or "": the first page). 0 or -errno. */
int sl_s3_list_page(struct sl_s3 *s, const char *bucket, const char *prefix, bool delimiter,
		    const char *start_after, const char *token, struct sl_s3_page *page);

/* --- objects --- */

int sl_s3_head(struct sl_s3 *s, const char *bucket, const char *key, uint64_t *size,
	       int64_t *mtime_ms);
/* Bytes [off, off + n) of an object into buf: how many came (fewer only
 * at the object's end; 0 past it), or -errno. */
ssize_t sl_s3_get_range(struct sl_s3 *s, const char *bucket, const char *key, void *buf, size_t n,
			uint64_t off);
int sl_s3_put(struct sl_s3 *s, const char *bucket, const char *key, const void *data, size_t n);
int sl_s3_delete(struct sl_s3 *s, const char *bucket, const char *key);
/* Server-side copy of src_key to dst_key (same bucket or another). */
int sl_s3_copy(struct sl_s3 *s, const char *src_bucket, const char *src_key,
	       const char *dst_bucket, const char *dst_key);

/* Multipart upload: begin (upload id into id), parts 1, 2, ... (each but
 * the last at least 5 MiB on AWS; their ETags kept by the client), then
 * complete, or abort to drop the parts. */
#define SL_S3_UPLOAD_ID_MAX 1024
#define SL_S3_ETAG_MAX 128
int sl_s3_mpu_begin(struct sl_s3 *s, const char *bucket, const char *key, char *id, size_t idlen);
int sl_s3_mpu_part(struct sl_s3 *s, const char *bucket, const char *key, const char *id,
		   uint32_t part, const void *data, size_t n, char *etag, size_t etaglen);
int sl_s3_mpu_complete(struct sl_s3 *s, const char *bucket, const char *key, const char *id,
		       const char *const *etags, uint32_t nparts);
int sl_s3_mpu_abort(struct sl_s3 *s, const char *bucket, const char *key, const char *id);

/* --- the parts below, exposed for tests and the fuzz harness --- */

/* lower-case hex SHA-256 of data into out[65] */
void sl_s3_sha256_hex(const void *data, size_t n, char out[65]);
/* RFC 3986 encoding as SigV4 wants it: unreserved bytes kept, others %XX
 * (upper case); '/' kept when keep_slash. Returns the length written
 * (NUL-terminated; cut short when out is too small: -1). */
ssize_t sl_s3_uri_encode(const char *s, size_t n, bool keep_slash, char *out, size_t outlen);

struct sl_s3_kv {
	const char *k, *v;
};

/* A request to sign. Headers: any case, any order; every one given is
 * signed. Query: raw names and values (encoded and sorted here). */
struct sl_s3_sign_req {
	const char *method;
	const char *path;          /* already URI-encoded, starting with '/' */
	const struct sl_s3_kv *query;
	uint32_t nquery;
	const struct sl_s3_kv *headers;
	uint32_t nheaders;
	const char *payload_hash;  /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
	const char *amz_date;      /* YYYYMMDD'T'HHMMSS'Z' */
	const char *region, *service;
	const char *access_key, *secret_key;
};

/* A request's Host, its canonical path and its URL under c's addressing:
 * path-style "scheme://endpoint/bucket/key" or virtual-hosted
 * "scheme://bucket.endpoint/key" (key NULL: the bucket), the key
 * URI-encoded ('/' kept), the query appended in the order given.
 * 0 or -ENAMETOOLONG. */
int sl_s3_url(const struct sl_s3_conf *c, const char *bucket, const char *key,
	      const struct sl_s3_kv *query, uint32_t nquery, char *host, size_t hlen, char *path,
	      size_t plen, char *url, size_t ulen);

/* The Authorization header's value; creq / sts (NULL: not wanted) get the
 * canonical request and the string to sign. 0, or -ENOSPC when a buffer
 * is too small. */
int sl_s3_sign(const struct sl_s3_sign_req *r, char *auth, size_t authlen, char *creq,
	       size_t creqlen, char *sts, size_t stslen);

/* --- the XML of S3's answers (s3xml.c) --- */

/* The leaf elements of a document, in order: path[0..depth) their
 * names (without a namespace prefix), text their decoded text. Return
 * non-zero from the callback to stop (that value is returned). */
typedef int sl_s3xml_fn(void *ctx, const char *const *path, uint32_t depth, const char *text,
			size_t n);
/* 0, the callback's non-zero value, or -EINVAL (malformed: an unclosed or
 * mismatched tag, a bad entity, nesting deeper than 16, a name longer than
 * 63 bytes), -ENOMEM. */
int sl_s3xml_walk(const char *doc, size_t n, sl_s3xml_fn *fn, void *ctx);
/* ListObjectsV2's ListBucketResult into page (appends nothing else).
 * 0, -EINVAL, -ENOMEM. */
int sl_s3xml_list(const char *doc, size_t n, struct sl_s3_page *page);
/* An <Error>: its Code and Message (either "" when missing). 0 when the
 * document is an Error, -ENOENT when it is another document, -EINVAL. */
int sl_s3xml_error(const char *doc, size_t n, char *code, size_t clen, char *msg, size_t mlen);
/* The text of the first leaf named `name` at any depth. 0, -ENOENT, -EINVAL. */
int sl_s3xml_find(const char *doc, size_t n, const char *name, char *out, size_t outlen);
/* "2009-10-12T17:50:30.000Z" as ms since the epoch; -EINVAL. */
int sl_s3_parse_time(const char *s, size_t n, int64_t *ms);

#endif
