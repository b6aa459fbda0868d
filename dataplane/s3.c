/*
 * s3.c — the S3 client of s3.h on libcurl: one easy handle per client (its
 * connections kept alive between requests), requests signed with SigV4
 * (s3_sign.c), answers read by s3xml.c, retries with back-off and jitter.
 *
 * A request, as the retry loop runs it:
 *   1. sign it now (x-amz-date is the time of this attempt);
 *   2. perform it; a transport error, 5xx or 429 -> wait a random time in
 *      [cap / 2, cap], cap = min(backoff_max, backoff * 2^attempt), and go
 *      again while attempts are left;
 *   3. any other answer is final: 2xx (206 for a range) is success, the
 *      rest an error named from the status and S3's <Error><Code>.
 * A ranged GET writes straight into the caller's buffer; a retry starts
 * the range again from its first byte (the buffer is overwritten), so a
 * body cut off half way is never handed back as if whole.
 *
 * Owned by one thread; nothing here is shared but the read-only conf.
 */
#include "s3.h"

#include "source.h" /* sl_options, sl_parse_interval */

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define RESP_MAX ((size_t)64 << 20) /* the largest XML answer taken */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct sl_s3 {
	const struct sl_s3_conf *c;
	CURL *h;
	char err[SL_S3_ERR_MAX];
	uint64_t retries;
	uint64_t rnd;
	/* the answer of the request being performed */
	char *resp;            /* XML bodies (and error bodies of ranged GETs) */
	size_t resp_len, resp_cap;
	char *user;            /* ranged GET: the caller's buffer */
	size_t user_cap, user_len;
	uint64_t skip;         /* a 200 to a range: bytes before the range to drop */
	long status;
	bool status_known;
	char etag[SL_S3_ETAG_MAX];
	char last_modified[64];
	uint64_t content_length;
	bool have_length;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ------------------------------------------------------------------ */
/* configuration                                                       */

bool sl_s3_is_option(const char *k)
{
	return strncasecmp(k, "s3.", 3) == 0;
}

static int copy_opt(char *dst, size_t len, const struct sl_option *o, char *err, size_t errlen)
{
	if (strlen(o->value) >= len) {
		snprintf(err, errlen, "line %u, column %u: option '%s' is too long (at most %zu bytes)",
			 o->line, o->column, o->key, len - 1);
		return -EINVAL;
	}
	strcpy(dst, o->value);
	return 0;
}

static int copy_env(char *dst, size_t len, const char *name)
{
	const char *v = getenv(name);
	if (v == NULL || v[0] == '\0')
		return 0;
	if (strlen(v) >= len)
		return -EINVAL;
	strcpy(dst, v);
	return 1;
}

static int ms_option(const struct sl_option *o, uint32_t min_ms, uint32_t *out, char *err,
		     size_t errlen)
{
	uint64_t us;
	if (sl_parse_interval(o->value, &us) < 0 || us / 1000 < min_ms || us / 1000 > UINT32_MAX) {
		snprintf(err, errlen,
			 "line %u, column %u: option '%s' must be a duration such as '100 ms' or "
			 "'30 seconds' (at least %u ms), not '%s'",
			 o->line, o->column, o->key, min_ms, o->value);
		return -EINVAL;
	}
	*out = (uint32_t)(us / 1000);
	return 0;
}

int sl_s3_conf_parse(struct sl_s3_conf *c, const struct sl_options *opts,
		     const char *const *own, char *err, size_t errlen)
{
	*c = (struct sl_s3_conf){.retries = 8, .backoff_ms = 100, .backoff_max_ms = 10000,
				 .timeout_ms = 30000};
	const struct sl_option *endpoint = NULL;
	bool have_ak = false, have_sk = false, have_tok = false;
	for (uint32_t i = 0; i < opts->n; i++) {
		const struct sl_option *o = &opts->v[i];
		if (!sl_s3_is_option(o->key))
			continue;
		const char *k = o->key + 3;
		bool mine = false;
		for (uint32_t j = 0; own != NULL && own[j] != NULL; j++)
			mine = mine || strcasecmp(o->key, own[j]) == 0;
		if (mine)
			continue;
		int rc = 0;
		if (strcasecmp(k, "endpoint") == 0) {
			endpoint = o;
		} else if (strcasecmp(k, "region") == 0) {
			rc = copy_opt(c->region, sizeof(c->region), o, err, errlen);
		} else if (strcasecmp(k, "path_style") == 0) {
			rc = sl_option_bool(o, &c->path_style, err, errlen);
		} else if (strcasecmp(k, "access_key") == 0) {
			rc = copy_opt(c->access_key, sizeof(c->access_key), o, err, errlen);
			have_ak = true;
		} else if (strcasecmp(k, "secret_key") == 0) {
			rc = copy_opt(c->secret_key, sizeof(c->secret_key), o, err, errlen);
			have_sk = true;
		} else if (strcasecmp(k, "session_token") == 0) {
			rc = copy_opt(c->session_token, sizeof(c->session_token), o, err, errlen);
			have_tok = true;
		} else if (strcasecmp(k, "retries") == 0) {
			uint64_t v;
			rc = sl_option_u64(o, 0, 100, &v, err, errlen);
			c->retries = (uint32_t)v;
		} else if (strcasecmp(k, "retry_backoff") == 0) {
			rc = ms_option(o, 1, &c->backoff_ms, err, errlen);
		} else if (strcasecmp(k, "timeout") == 0) {
			rc = ms_option(o, 100, &c->timeout_ms, err, errlen);
		} else {
			char known[256] = "s3.endpoint, s3.region, s3.path_style, s3.access_key, "
					  "s3.secret_key, s3.session_token, s3.retries, "
					  "s3.retry_backoff, s3.timeout";
			for (uint32_t j = 0; own != NULL && own[j] != NULL; j++) {
				size_t u = strlen(known);
				snprintf(known + u, sizeof(known) - u, ", %s", own[j]);
			}
			snprintf(err, errlen, "line %u, column %u: unknown option '%s' (S3 options: %s)",
				 o->line, o->column, o->key, known);
			return -EINVAL;
		}
		if (rc < 0)
			return -EINVAL;
	}
	if (c->region[0] == '\0' && copy_env(c->region, sizeof(c->region), "AWS_REGION") == 0 &&
	    copy_env(c->region, sizeof(c->region), "AWS_DEFAULT_REGION") == 0)
		strcpy(c->region, SL_S3_DEFAULT_REGION);
	if (endpoint != NULL) {
		const char *v = endpoint->value;
		const char *rest = NULL;
		if (strncasecmp(v, "http://", 7) == 0) {
			strcpy(c->scheme, "http");
			rest = v + 7;
		} else if (strncasecmp(v, "https://", 8) == 0) {
			strcpy(c->scheme, "https");
			rest = v + 8;
		}
		size_t n = rest != NULL ? strcspn(rest, "/") : 0;
		if (rest == NULL || n == 0 || n >= sizeof(c->host) ||
		    (rest[n] == '/' && rest[n + 1] != '\0')) {
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' must be http://host[:port] or "
				 "https://host[:port] (no path), e.g. "
				 "'https://s3.eu-west-1.amazonaws.com', not '%s'",
				 endpoint->line, endpoint->column, endpoint->key, v);
			return -EINVAL;
		}
		memcpy(c->host, rest, n);
		c->host[n] = '\0';
	} else {
		strcpy(c->scheme, "https");
		snprintf(c->host, sizeof(c->host), "s3.%s.amazonaws.com", c->region);
	}
	/* credentials: the options, or the environment, never half of each */
	if (have_ak != have_sk) {
		snprintf(err, errlen,
			 "options 's3.access_key' and 's3.secret_key' go together: set both, or "
			 "neither to take AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the "
			 "environment");
		return -EINVAL;
	}
	if (!have_ak) {
		c->creds_from_env = true;
		if (copy_env(c->access_key, sizeof(c->access_key), "AWS_ACCESS_KEY_ID") < 0 ||
		    copy_env(c->secret_key, sizeof(c->secret_key), "AWS_SECRET_ACCESS_KEY") < 0 ||
		    (!have_tok &&
		     copy_env(c->session_token, sizeof(c->session_token), "AWS_SESSION_TOKEN") < 0)) {
			snprintf(err, errlen, "an AWS_* credential in the environment is too long");
			return -EINVAL;
		}
	}
	if (c->access_key[0] == '\0' || c->secret_key[0] == '\0') {
		snprintf(err, errlen,
			 "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in "
			 "sluice's environment (and AWS_SESSION_TOKEN for temporary ones), or the "
			 "options s3.access_key and s3.secret_key");
		return -EINVAL;
	}
	return 0;
}

int sl_s3_parse_url(const char *url, char *bucket, size_t blen, char *prefix, size_t plen,
		    char *err, size_t errlen)
{
	if (!sl_s3_is_url(url)) {
		snprintf(err, errlen, "'%s' is not an s3:// path", url);
		return -EINVAL;
	}
	const char *b = url + 5;
	size_t n = strcspn(b, "/");
	if (n < 3 || n > 63 || n >= blen) {
		snprintf(err, errlen,
			 "'%s' does not name a bucket: write s3://bucket/prefix/ (a bucket name is "
			 "3 to 63 characters)",
			 url);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = b[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_')) {
			snprintf(err, errlen,
				 "bucket name '%.*s' of '%s' may hold only lower-case letters, digits, "
				 "'.', '-' and '_'",
				 (int)n, b, url);
			return -EINVAL;
		}
	}
	memcpy(bucket, b, n);
	bucket[n] = '\0';
	const char *p = b + n;
	while (*p == '/')
		p++;
	if (strlen(p) >= plen) {
		snprintf(err, errlen, "the prefix of '%s' is too long", url);
		return -EINVAL;
	}
	strcpy(prefix, p);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the client                                                          */

struct sl_s3 *sl_s3_create(const struct sl_s3_conf *c)
{
	pthread_once(&curl_once, curl_init_once);
	struct sl_s3 *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->c = c;
	s->h = curl_easy_init();
	if (s->h == NULL) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->rnd = (uint64_t)ts.tv_nsec ^ ((uint64_t)(uintptr_t)s << 16) ^ (uint64_t)getpid();
	if (s->rnd == 0)
		s->rnd = 88172645463325252ULL;
	return s;
}

void sl_s3_destroy(struct sl_s3 *s)
{
	if (s == NULL)
		return;
	curl_easy_cleanup(s->h);
	free(s->resp);
	free(s);
}

const char *sl_s3_error(const struct sl_s3 *s)
{
	return s->err;
}

uint64_t sl_s3_retries(const struct sl_s3 *s)
{
	return s->retries;
}

static uint64_t rnd_next(struct sl_s3 *s)
{
	uint64_t x = s->rnd;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return s->rnd = x;
}

static void seterr(struct sl_s3 *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(struct sl_s3 *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

static size_t on_body(char *p, size_t sz, size_t nm, void *arg)
{
	struct sl_s3 *s = arg;
	size_t n = sz * nm;
	if (!s->status_known) {
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
		s->status_known = true;
	}
	if (s->user != NULL && (s->status == 206 || s->status == 200)) {
		size_t at = 0;
		if (s->status == 200 && s->skip > 0) {
			size_t k = s->skip < n ? (size_t)s->skip : n;
			s->skip -= k;
			at = k;
		}
		size_t room = s->user_cap - s->user_len;
		size_t k = n - at < room ? n - at : room;
		memcpy(s->user + s->user_len, p + at, k);
		s->user_len += k;
		if (s->status == 200 && k < n - at)
			return 0; /* a whole object for a range: we have what we asked */
		return n;
	}
	if (s->resp_len + n > RESP_MAX)
		return 0;
	if (s->resp_len + n + 1 > s->resp_cap) {
		size_t cap = s->resp_cap ? s->resp_cap : 16384;
		while (cap < s->resp_len + n + 1)
			cap *= 2;
		char *r = realloc(s->resp, cap);
		if (r == NULL)
			return 0;
		s->resp = r;
		s->resp_cap = cap;
	}
	memcpy(s->resp + s->resp_len, p, n);
	s->resp_len += n;
	s->resp[s->resp_len] = '\0';
	return n;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *arg)
{
	struct sl_s3 *s = arg;
	size_t n = sz * nm;
	const char *colon = memchr(p, ':', n);
	if (colon == NULL)
		return n;
	size_t kn = (size_t)(colon - p);
	const char *v = colon + 1;
	size_t vn = n - kn - 1;
	while (vn > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vn--;
	}
	while (vn > 0 && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
		vn--;
	if (kn == 4 && strncasecmp(p, "etag", 4) == 0 && vn < sizeof(s->etag)) {
		memcpy(s->etag, v, vn);
		s->etag[vn] = '\0';
	} else if (kn == 13 && strncasecmp(p, "last-modified", 13) == 0 &&
		   vn < sizeof(s->last_modified)) {
		memcpy(s->last_modified, v, vn);
		s->last_modified[vn] = '\0';
	} else if (kn == 14 && strncasecmp(p, "content-length", 14) == 0) {
		uint64_t x = 0;
		size_t i = 0;
		for (; i < vn && v[i] >= '0' && v[i] <= '9' && i < 19; i++)
			x = x * 10 + (uint64_t)(v[i] - '0');
		s->content_length = x;
		s->have_length = i > 0;
	}
	return n;
}

/* What one request is. */
struct req {
	const char *op;         /* for messages: "GET", "LIST", ... */
	const char *method;
	const char *bucket;
	const char *key;        /* NULL: the bucket itself */
	const char *shown;      /* for messages instead of key (a listing's prefix) */
	const struct sl_s3_kv *query;
	uint32_t nquery;
	const struct sl_s3_kv *hdr; /* extra signed headers */
	uint32_t nhdr;
	const void *body;
	size_t nbody;
	void *user;             /* ranged GET */
	size_t user_cap;
	uint64_t off;
};

static int build_url(const struct sl_s3_conf *c, const struct req *r, char *host, size_t hlen,
		     char *path, size_t plen, char *url, size_t ulen);

int sl_s3_url(const struct sl_s3_conf *c, const char *bucket, const char *key,
	      const struct sl_s3_kv *query, uint32_t nquery, char *host, size_t hlen, char *path,
	      size_t plen, char *url, size_t ulen)
{
	struct req r = {.bucket = bucket, .key = key, .query = query, .nquery = nquery};
	return build_url(c, &r, host, hlen, path, plen, url, ulen);
}

static int build_url(const struct sl_s3_conf *c, const struct req *r, char *host, size_t hlen,
		     char *path, size_t plen, char *url, size_t ulen)
{
	char ekey[4096] = "";
	if (r->key != NULL && sl_s3_uri_encode(r->key, strlen(r->key), true, ekey, sizeof(ekey)) < 0)
		return -ENAMETOOLONG;
	int w;
	if (c->path_style) {
		w = snprintf(host, hlen, "%s", c->host);
		if (w < 0 || (size_t)w >= hlen)
			return -ENAMETOOLONG;
		w = snprintf(path, plen, "/%s%s%s", r->bucket, r->key != NULL ? "/" : "", ekey);
	} else {
		w = snprintf(host, hlen, "%s.%s", r->bucket, c->host);
		if (w < 0 || (size_t)w >= hlen)
			return -ENAMETOOLONG;
		w = snprintf(path, plen, "/%s", ekey);
	}
	if (w < 0 || (size_t)w >= plen)
		return -ENAMETOOLONG;
	w = snprintf(url, ulen, "%s://%s%s", c->scheme, host, path);
	if (w < 0 || (size_t)w >= ulen)
		return -ENAMETOOLONG;
	size_t used = (size_t)w;
	for (uint32_t i = 0; i < r->nquery; i++) {
		if (used + 2 >= ulen)
			return -ENAMETOOLONG;
		url[used++] = i == 0 ? '?' : '&';
		ssize_t k = sl_s3_uri_encode(r->query[i].k, strlen(r->query[i].k), false, url + used,
					     ulen - used);
		if (k < 0)
			return -ENAMETOOLONG;
		used += (size_t)k;
		if (used + 2 >= ulen)
			return -ENAMETOOLONG;
		url[used++] = '=';
		k = sl_s3_uri_encode(r->query[i].v, strlen(r->query[i].v), false, url + used,
				     ulen - used);
		if (k < 0)
			return -ENAMETOOLONG;
		used += (size_t)k;
	}
	url[used] = '\0';
	return 0;
}

/* One attempt. Returns the curl code; s->status the HTTP status. */
static CURLcode perform(struct sl_s3 *s, const struct req *r, const char *url, const char *host,
			const char *path, const char *payload_hash, char *why, size_t whylen)
{
	const struct sl_s3_conf *c = s->c;
	char date[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm);
	struct sl_s3_kv h[12];
	uint32_t nh = 0;
	h[nh++] = (struct sl_s3_kv){"host", host};
	h[nh++] = (struct sl_s3_kv){"x-amz-date", date};
	h[nh++] = (struct sl_s3_kv){"x-amz-content-sha256", payload_hash};
	if (c->session_token[0] != '\0')
		h[nh++] = (struct sl_s3_kv){"x-amz-security-token", c->session_token};
	for (uint32_t i = 0; i < r->nhdr && nh < 12; i++)
		h[nh++] = r->hdr[i];
	char auth[1024];
	struct sl_s3_sign_req sr = {.method = r->method, .path = path, .query = r->query,
				    .nquery = r->nquery, .headers = h, .nheaders = nh,
				    .payload_hash = payload_hash, .amz_date = date,
				    .region = c->region, .service = "s3",
				    .access_key = c->access_key, .secret_key = c->secret_key};
	if (sl_s3_sign(&sr, auth, sizeof(auth), NULL, 0, NULL, 0) < 0) {
		snprintf(why, whylen, "the request could not be signed (a name or value too long)");
		return CURLE_BAD_FUNCTION_ARGUMENT;
	}
	struct curl_slist *list = NULL;
	char line[8192];
	for (uint32_t i = 1; i < nh; i++) { /* curl writes Host itself */
		snprintf(line, sizeof(line), "%s: %s", h[i].k, h[i].v);
		list = curl_slist_append(list, line);
	}
	snprintf(line, sizeof(line), "Authorization: %s", auth);
	list = curl_slist_append(list, line);
	list = curl_slist_append(list, "Expect:");
	if (r->body != NULL)
		list = curl_slist_append(list, "Content-Type: application/octet-stream");
	CURL *e = s->h;
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	long stall_s = (long)((c->timeout_ms + 999) / 1000);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, stall_s > 0 ? stall_s : 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcmp(r->method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
		if (r->body != NULL || strcmp(r->method, "PUT") == 0 ||
		    strcmp(r->method, "POST") == 0) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body != NULL ? r->body : "");
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->nbody);
		}
	}
	s->resp_len = 0;
	if (s->resp != NULL)
		s->resp[0] = '\0';
	s->user = r->user;
	s->user_cap = r->user_cap;
	s->user_len = 0;
	s->skip = r->off; /* used only when a range is answered with 200 */
	s->status = 0;
	s->status_known = false;
	s->etag[0] = s->last_modified[0] = '\0';
	s->have_length = false;
	CURLcode cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &s->status);
	/* a whole object sent for a range: we stopped it once we had ours */
	if (cc == CURLE_WRITE_ERROR && r->user != NULL && s->status == 200 &&
	    s->user_len == r->user_cap)
		cc = CURLE_OK;
	if (cc != CURLE_OK)
		snprintf(why, whylen, "%s", curl_easy_strerror(cc));
	curl_slist_free_all(list);
	/* the signed headers held the token: drop the copies curl keeps */
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
	return cc;
}

static bool retryable_status(long st)
{
	return st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

static void backoff(struct sl_s3 *s, uint32_t attempt)
{
	uint64_t cap = s->c->backoff_ms;
	for (uint32_t i = 0; i < attempt && cap < s->c->backoff_max_ms; i++)
		cap *= 2;
	if (cap > s->c->backoff_max_ms)
		cap = s->c->backoff_max_ms;
	uint64_t ms = cap / 2 + rnd_next(s) % (cap / 2 + 1);
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The message and -errno for a final non-2xx answer. */
static int http_error(struct sl_s3 *s, const struct req *r)
{
	char code[128] = "", msg[512] = "";
	if (s->resp_len > 0)
		sl_s3xml_error(s->resp, s->resp_len, code, sizeof(code), msg, sizeof(msg));
	const struct sl_s3_conf *c = s->c;
	char where[1200];
	snprintf(where, sizeof(where), "s3://%s/%s", r->bucket,
		 r->shown != NULL ? r->shown : r->key != NULL ? r->key : "");
	const char *sep = msg[0] ? ": " : "";
	long st = s->status;
	if (st == 403 || strcmp(code, "AccessDenied") == 0 ||
	    strcmp(code, "InvalidAccessKeyId") == 0 || strcmp(code, "SignatureDoesNotMatch") == 0) {
		seterr(s,
		       "S3 %s %s at %s://%s: access denied (HTTP %ld %s%s%s); check the credentials "
		       "(%s, access key id '%s'), that they may %s bucket '%s', and s3.region ('%s')",
		       r->op, where, c->scheme, c->host, st, code[0] ? code : "Forbidden", sep, msg,
		       c->creds_from_env ? "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
					 : "s3.access_key / s3.secret_key",
		       c->access_key, strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0
					      ? "read"
					      : "write",
		       r->bucket, c->region);
		return -EACCES;
	}
	if (strcmp(code, "NoSuchBucket") == 0) {
		seterr(s,
		       "S3 %s %s: bucket '%s' does not exist at %s://%s (HTTP %ld NoSuchBucket); "
		       "create it, or fix the path's bucket or s3.endpoint",
		       r->op, where, r->bucket, c->scheme, c->host, st);
		return -ENXIO;
	}
	if (st == 404 || strcmp(code, "NoSuchKey") == 0) {
		seterr(s, "S3 %s %s: no such object (HTTP %ld%s%s); it was deleted or never written",
		       r->op, where, st, code[0] ? " " : "", code);
		return -ENOENT;
	}
	if (st == 416) {
		seterr(s, "S3 %s %s: range not satisfiable (HTTP 416): the object is shorter than "
			  "listed", r->op, where);
		return -ERANGE;
	}
	if (retryable_status(st)) {
		seterr(s,
		       "S3 %s %s at %s://%s: the server still answered HTTP %ld %s%s%s after %u "
		       "retries; %s",
		       r->op, where, c->scheme, c->host, st, code, sep, msg, c->retries,
		       st == 503 || st == 429
			       ? "it is throttling (SlowDown): lower the request rate (fewer "
				 "ingest cores, larger max_files_per_trigger intervals) or raise "
				 "s3.retries"
			       : "check the server, or raise s3.retries");
		return -EAGAIN;
	}
	seterr(s, "S3 %s %s at %s://%s: HTTP %ld %s%s%s", r->op, where, c->scheme, c->host, st,
	       code[0] ? code : "error", sep, msg);
	return -EIO;
}

static int transport_errno(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST: return -EHOSTUNREACH;
	case CURLE_OUT_OF_MEMORY: return -ENOMEM;
	default: return -EIO;
	}
}

/* Sign, perform, retry. 0 on a 2xx answer (s->status), or -errno with
 * s->err. */
static int request(struct sl_s3 *s, const struct req *r)
{
	s->err[0] = '\0';
	char host[512], path[4400], url[8192];
	int rc = build_url(s->c, r, host, sizeof(host), path, sizeof(path), url, sizeof(url));
	if (rc < 0) {
		seterr(s, "S3 %s s3://%s/%s: the key is too long", r->op, r->bucket,
		       r->key != NULL ? r->key : "");
		return rc;
	}
	char payload[65];
	if (r->body != NULL && r->nbody > 0)
		sl_s3_sha256_hex(r->body, r->nbody, payload);
	else
		strcpy(payload, EMPTY_SHA256);
	for (uint32_t attempt = 0;; attempt++) {
		char why[256] = "";
		CURLcode cc = perform(s, r, url, host, path, payload, why, sizeof(why));
		bool again;
		if (cc != CURLE_OK)
			again = cc != CURLE_BAD_FUNCTION_ARGUMENT && cc != CURLE_URL_MALFORMAT &&
				cc != CURLE_UNSUPPORTED_PROTOCOL && cc != CURLE_OUT_OF_MEMORY;
		else
			again = retryable_status(s->status);
		if (again && attempt < s->c->retries) {
			s->retries++;
			backoff(s, attempt);
			continue;
		}
		if (cc != CURLE_OK) {
			seterr(s,
			       "S3 %s s3://%s/%s: cannot talk to %s://%s: %s (after %u retries); check "
			       "s3.endpoint and that the server is up%s",
			       r->op, r->bucket, r->shown != NULL ? r->shown : r->key != NULL ? r->key : "",
			       s->c->scheme, s->c->host,
			       why, attempt,
			       cc == CURLE_OPERATION_TIMEDOUT ? ", or raise s3.timeout" : "");
			return transport_errno(cc);
		}
		if (s->status >= 200 && s->status < 300)
			return 0;
		return http_error(s, r);
	}
}

/* ------------------------------------------------------------------ */
/* operations                                                          */

int sl_s3_list_page(struct sl_s3 *s, const char *bucket, const char *prefix, bool delimiter,
		    const char *start_after, const char *token, struct sl_s3_page *page)
{
	struct sl_s3_kv q[5];
	uint32_t n = 0;
	q[n++] = (struct sl_s3_kv){"list-type", "2"};
	q[n++] = (struct sl_s3_kv){"prefix", prefix};
	if (delimiter)
		q[n++] = (struct sl_s3_kv){"delimiter", "/"};
	if (token != NULL && token[0] != '\0')
		q[n++] = (struct sl_s3_kv){"continuation-token", token};
	else if (start_after != NULL && start_after[0] != '\0')
		q[n++] = (struct sl_s3_kv){"start-after", start_after};
	struct req r = {.op = "LIST", .method = "GET", .bucket = bucket, .query = q, .nquery = n,
			.shown = prefix};
	int rc = request(s, &r);
	if (rc < 0)
		return rc;
	rc = sl_s3xml_list(s->resp, s->resp_len, page);
	if (rc < 0) {
		seterr(s,
		       "S3 LIST s3://%s/%s: the server's answer is not a ListObjectsV2 result "
		       "(%s); check that s3.endpoint is an S3 server",
		       bucket, prefix, rc == -ENOMEM ? "out of memory" : "malformed XML");
		return rc == -ENOMEM ? rc : -EPROTO;
	}
	return 0;
}

static int parse_http_date(const char *v, int64_t *ms)
{
	struct tm tm = {0};
	const char *end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL)
		return -EINVAL;
	*ms = (int64_t)timegm(&tm) * 1000;
	return 0;
}

int sl_s3_head(struct sl_s3 *s, const char *bucket, const char *key, uint64_t *size,
	       int64_t *mtime_ms)
{
	struct req r = {.op = "HEAD", .method = "HEAD", .bucket = bucket, .key = key};
	int rc = request(s, &r);
	if (rc < 0)
		return rc;
	if (size != NULL)
		*size = s->have_length ? s->content_length : 0;
	if (mtime_ms != NULL && parse_http_date(s->last_modified, mtime_ms) < 0)
		*mtime_ms = 0;
	return 0;
}

ssize_t sl_s3_get_range(struct sl_s3 *s, const char *bucket, const char *key, void *buf, size_t n,
			uint64_t off)
{
	if (n == 0)
		return 0;
	char range[64];
	snprintf(range, sizeof(range), "bytes=%" PRIu64 "-%" PRIu64, off, off + n - 1);
	struct sl_s3_kv h[1] = {{"range", range}};
	struct req r = {.op = "GET", .method = "GET", .bucket = bucket, .key = key, .hdr = h,
			.nhdr = 1, .user = buf, .user_cap = n, .off = off};
	int rc = request(s, &r);
	if (rc == -ERANGE)
		return 0; /* past the end */
	if (rc < 0)
		return rc;
	return (ssize_t)s->user_len;
}

int sl_s3_put(struct sl_s3 *s, const char *bucket, const char *key, const void *data, size_t n)
{
	struct req r = {.op = "PUT", .method = "PUT", .bucket = bucket, .key = key,
			.body = data != NULL ? data : "", .nbody = n};
	return request(s, &r);
}

int sl_s3_delete(struct sl_s3 *s, const char *bucket, const char *key)
{
	struct req r = {.op = "DELETE", .method = "DELETE", .bucket = bucket, .key = key};
	return request(s, &r);
}

/* A 200 whose body is an <Error> (CopyObject, CompleteMultipartUpload may
 * fail after the status is sent). */
static int error_in_200(struct sl_s3 *s, const struct req *r)
{
	char code[128], msg[512];
	if (s->resp_len > 0 &&
	    sl_s3xml_error(s->resp, s->resp_len, code, sizeof(code), msg, sizeof(msg)) == 0) {
		seterr(s, "S3 %s s3://%s/%s: %s: %s", r->op, r->bucket, r->key, code, msg);
		return -EIO;
	}
	return 0;
}

int sl_s3_copy(struct sl_s3 *s, const char *src_bucket, const char *src_key,
	       const char *dst_bucket, const char *dst_key)
{
	char src[4400], enc[4200];
	if (sl_s3_uri_encode(src_key, strlen(src_key), true, enc, sizeof(enc)) < 0)
		return -ENAMETOOLONG;
	snprintf(src, sizeof(src), "/%s/%s", src_bucket, enc);
	struct sl_s3_kv h[1] = {{"x-amz-copy-source", src}};
	struct req r = {.op = "COPY", .method = "PUT", .bucket = dst_bucket, .key = dst_key,
			.hdr = h, .nhdr = 1};
	int rc = request(s, &r);
	return rc < 0 ? rc : error_in_200(s, &r);
}

int sl_s3_mpu_begin(struct sl_s3 *s, const char *bucket, const char *key, char *id, size_t idlen)
{
	struct sl_s3_kv q[1] = {{"uploads", ""}};
	struct req r = {.op = "CREATE-MULTIPART", .method = "POST", .bucket = bucket, .key = key,
			.query = q, .nquery = 1};
	int rc = request(s, &r);
	if (rc < 0)
		return rc;
	if (sl_s3xml_find(s->resp, s->resp_len, "UploadId", id, idlen) < 0 || id[0] == '\0') {
		seterr(s, "S3 CREATE-MULTIPART s3://%s/%s: the answer holds no UploadId", bucket, key);
		return -EPROTO;
	}
	return 0;
}

int sl_s3_mpu_part(struct sl_s3 *s, const char *bucket, const char *key, const char *id,
		   uint32_t part, const void *data, size_t n, char *etag, size_t etaglen)
{
	char pn[16];
	snprintf(pn, sizeof(pn), "%u", part);
	struct sl_s3_kv q[2] = {{"partNumber", pn}, {"uploadId", id}};
	struct req r = {.op = "UPLOAD-PART", .method = "PUT", .bucket = bucket, .key = key,
			.query = q, .nquery = 2, .body = data, .nbody = n};
	int rc = request(s, &r);
	if (rc < 0)
		return rc;
	if (s->etag[0] == '\0' || strlen(s->etag) >= etaglen) {
		seterr(s, "S3 UPLOAD-PART s3://%s/%s part %u: the answer holds no ETag", bucket, key,
		       part);
		return -EPROTO;
	}
	strcpy(etag, s->etag);
	return 0;
}

int sl_s3_mpu_complete(struct sl_s3 *s, const char *bucket, const char *key, const char *id,
		       const char *const *etags, uint32_t nparts)
{
	size_t cap = 128 + (size_t)nparts * (64 + SL_S3_ETAG_MAX);
	char *body = malloc(cap);
	if (body == NULL)
		return -ENOMEM;
	size_t used = (size_t)snprintf(body, cap, "<CompleteMultipartUpload>");
	for (uint32_t i = 0; i < nparts; i++)
		used += (size_t)snprintf(body + used, cap - used,
					 "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>",
					 i + 1, etags[i]);
	used += (size_t)snprintf(body + used, cap - used, "</CompleteMultipartUpload>");
	struct sl_s3_kv q[1] = {{"uploadId", id}};
	struct req r = {.op = "COMPLETE-MULTIPART", .method = "POST", .bucket = bucket, .key = key,
			.query = q, .nquery = 1, .body = body, .nbody = used};
	int rc = request(s, &r);
	if (rc == 0)
		rc = error_in_200(s, &r);
	free(body);
	return rc;
}

int sl_s3_mpu_abort(struct sl_s3 *s, const char *bucket, const char *key, const char *id)
{
	struct sl_s3_kv q[1] = {{"uploadId", id}};
	struct req r = {.op = "ABORT-MULTIPART", .method = "DELETE", .bucket = bucket, .key = key,
			.query = q, .nquery = 1};
	return request(s, &r);
}
