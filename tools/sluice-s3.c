/*
 * sluice-s3 — a small S3 command-line client on sluice's own client
 * (dataplane/s3.h), for the tests, the demo and operators:
 *
 *   sluice-s3 [-o s3.key=value ...] put  s3://bucket/key FILE   (FILE '-': stdin)
 *   sluice-s3 [-o ...] mput s3://bucket/key FILE PART_MB        multipart upload, the file
 *                     read a part at a time (FILE '-': stdin)
 *   sluice-s3 [-o ...] cat  s3://bucket/key                     the object to stdout
 *   sluice-s3 [-o ...] ls   s3://bucket/prefix                  key, size, LastModified (ms)
 *   sluice-s3 [-o ...] rm   s3://bucket/key
 *   sluice-s3 [-o ...] fill s3://bucket/prefix/ COUNT          COUNT small CSV objects
 *                     (NAME000000.csv ...: a header "name,n" and one row "NAME000000,1")
 *
 * Settings are the connectors' s3.* options (s3.endpoint, s3.region,
 * s3.path_style, s3.access_key, ...), also taken from SLUICE_S3_ENDPOINT
 * and SLUICE_S3_PATH_STYLE; credentials from the environment as for the
 * connectors (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
 * Exit status 0 on success, 1 on an S3 error (its message on stderr), 2 on
 * bad usage. Not installed.
 */
#include "s3.h"
#include "source.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPTS 32

static int usage(void)
{
	fprintf(stderr, "usage: sluice-s3 [-o s3.key=value ...] put|mput|cat|ls|rm|fill s3://bucket/key "
			"[FILE [PART_MB] | COUNT]\n");
	return 2;
}

static char *read_all(const char *path, size_t *n)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 1 << 16, used = 0;
	char *b = malloc(cap);
	for (;;) {
		if (b == NULL)
			break;
		if (used == cap) {
			char *b2 = realloc(b, cap *= 2);
			if (b2 == NULL) {
				free(b);
				b = NULL;
				break;
			}
			b = b2;
		}
		size_t k = fread(b + used, 1, cap - used, f);
		used += k;
		if (k == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	*n = used;
	return b;
}

int main(int argc, char **argv)
{
	struct sl_option v[MAX_OPTS];
	uint32_t nv = 0;
	int i = 1;
	for (; i + 1 < argc && strcmp(argv[i], "-o") == 0; i += 2) {
		char *eq = strchr(argv[i + 1], '=');
		if (eq == NULL || nv == MAX_OPTS)
			return usage();
		*eq = '\0';
		v[nv++] = (struct sl_option){.key = argv[i + 1], .value = eq + 1, .line = 1,
					     .column = (uint32_t)i};
	}
	const char *env = getenv("SLUICE_S3_ENDPOINT");
	if (env != NULL && nv < MAX_OPTS)
		v[nv++] = (struct sl_option){.key = "s3.endpoint", .value = (char *)env, .line = 1};
	env = getenv("SLUICE_S3_PATH_STYLE");
	if (env != NULL && nv < MAX_OPTS)
		v[nv++] = (struct sl_option){.key = "s3.path_style", .value = (char *)env, .line = 1};
	if (argc - i < 2)
		return usage();
	const char *cmd = argv[i], *url = argv[i + 1];
	struct sl_options opts = {.v = v, .n = nv};
	struct sl_s3_conf conf;
	char err[1024], bucket[128], key[4096];
	if (sl_s3_conf_parse(&conf, &opts, NULL, err, sizeof(err)) < 0 ||
	    sl_s3_parse_url(url, bucket, sizeof(bucket), key, sizeof(key), err, sizeof(err)) < 0) {
		fprintf(stderr, "sluice-s3: %s\n", err);
		return 2;
	}
	struct sl_s3 *s = sl_s3_create(&conf);
	if (s == NULL) {
		fprintf(stderr, "sluice-s3: cannot set up libcurl\n");
		return 1;
	}
	int rc = 0;
	if (strcmp(cmd, "put") == 0) {
		if (argc - i < 3)
			return usage();
		size_t n;
		char *data = read_all(argv[i + 2], &n);
		if (data == NULL) {
			fprintf(stderr, "sluice-s3: cannot read '%s': %s\n", argv[i + 2], strerror(errno));
			return 1;
		}
		rc = sl_s3_put(s, bucket, key, data, n);
		free(data);
	} else if (strcmp(cmd, "mput") == 0) {
		/* the file read a part at a time: memory is one part, whatever
		 * the object's size (the 10 GB object of the stress test) */
		if (argc - i < 4)
			return usage();
		size_t part = (size_t)strtoul(argv[i + 3], NULL, 10) << 20;
		FILE *f = strcmp(argv[i + 2], "-") == 0 ? stdin : fopen(argv[i + 2], "rb");
		char *buf = part ? malloc(part) : NULL;
		if (f == NULL || buf == NULL) {
			fprintf(stderr, "sluice-s3: cannot read '%s': %s\n", argv[i + 2],
				part ? strerror(errno) : "PART_MB must be at least 1");
			return 1;
		}
		char id[SL_S3_UPLOAD_ID_MAX];
		char(*tags)[SL_S3_ETAG_MAX] = NULL;
		const char **tp = NULL;
		uint32_t np = 0;
		rc = sl_s3_mpu_begin(s, bucket, key, id, sizeof(id));
		while (rc == 0) {
			size_t k = fread(buf, 1, part, f);
			if (k == 0 && np > 0)
				break;
			void *t2 = realloc(tags, (size_t)(np + 1) * SL_S3_ETAG_MAX);
			if (t2 == NULL) {
				rc = -ENOMEM;
				break;
			}
			tags = t2;
			rc = sl_s3_mpu_part(s, bucket, key, id, np + 1, buf, k, tags[np], SL_S3_ETAG_MAX);
			np++;
			if (k < part)
				break;
		}
		if (rc == 0 && ferror(f)) {
			fprintf(stderr, "sluice-s3: reading '%s' failed\n", argv[i + 2]);
			rc = -EIO;
		}
		tp = rc == 0 ? calloc(np, sizeof(*tp)) : NULL;
		if (rc == 0 && tp == NULL)
			rc = -ENOMEM;
		for (uint32_t p = 0; rc == 0 && p < np; p++)
			tp[p] = tags[p];
		if (rc == 0)
			rc = sl_s3_mpu_complete(s, bucket, key, id, tp, np);
		else if (rc != -ENOMEM)
			sl_s3_mpu_abort(s, bucket, key, id);
		free(tags);
		free(tp);
		free(buf);
		if (f != stdin)
			fclose(f);
	} else if (strcmp(cmd, "cat") == 0) {
		static char buf[1 << 20];
		uint64_t off = 0;
		for (;;) {
			ssize_t k = sl_s3_get_range(s, bucket, key, buf, sizeof(buf), off);
			if (k < 0) {
				rc = (int)k;
				break;
			}
			fwrite(buf, 1, (size_t)k, stdout);
			off += (uint64_t)k;
			if ((size_t)k < sizeof(buf))
				break;
		}
	} else if (strcmp(cmd, "ls") == 0) {
		struct sl_s3_page page = {0};
		char token[1024] = "";
		do {
			rc = sl_s3_list_page(s, bucket, key, false, NULL, token, &page);
			for (uint32_t k = 0; rc == 0 && k < page.n; k++)
				printf("%s\t%" PRIu64 "\t%" PRId64 "\n", sl_s3_page_key(&page, k),
				       page.v[k].size, page.v[k].mtime_ms);
			snprintf(token, sizeof(token), "%s", page.next_token);
		} while (rc == 0 && page.truncated);
		sl_s3_page_free(&page);
	} else if (strcmp(cmd, "fill") == 0) {
		if (argc - i < 3)
			return usage();
		unsigned long count = strtoul(argv[i + 2], NULL, 10);
		for (unsigned long k = 0; rc == 0 && k < count; k++) {
			char name[4200], body[200];
			snprintf(name, sizeof(name), "%s%06lu.csv", key, k);
			const char *base = strrchr(name, '/');
			base = base != NULL ? base + 1 : name;
			int n = snprintf(body, sizeof(body), "name,n\n%.*s,1\n", (int)(strlen(base) - 4),
					 base);
			rc = sl_s3_put(s, bucket, name, body, (size_t)n);
		}
	} else if (strcmp(cmd, "rm") == 0) {
		rc = sl_s3_delete(s, bucket, key);
	} else {
		return usage();
	}
	if (rc < 0)
		fprintf(stderr, "sluice-s3: %s\n", sl_s3_error(s));
	sl_s3_destroy(s);
	return rc < 0 ? 1 : 0;
}
