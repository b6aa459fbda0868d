/*
 * replay.c — runs one fuzz harness's LLVMFuzzerTestOneInput on saved inputs,
 * without libFuzzer, so that the seed corpus and every fixed crash
 * reproducer run in every build (the `fast` suite, gcc or clang, sanitizers
 * or not) and a fixed crash stays fixed.
 *
 *     replay_NAME PATH...
 *
 * A PATH that is a directory stands for every regular file in it, in name
 * order; a directory that does not exist is noted and skipped (a harness
 * may have no crash reproducers yet). The harness checks its own
 * invariants and aborts when one fails; the exit status is 0 when every
 * input ran, 1 when a file could not be read or no input was found at all.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	while (buf != NULL) {
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len < cap)
			break;
		uint8_t *nb = realloc(buf, cap * 2);
		if (nb == NULL) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	int failed = ferror(f);
	fclose(f);
	if (buf == NULL || failed) {
		fprintf(stderr, "replay: %s: cannot read it\n", path);
		free(buf);
		return -1;
	}
	/* the exact bytes, in an allocation of exactly their size, as libFuzzer
	 * hands them over: a harness that reads past the end trips ASan */
	uint8_t *exact = malloc(len ? len : 1);
	if (exact == NULL) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir in name order; returns how many ran or -1. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT) {
			fprintf(stderr, "replay: %s does not exist; nothing to replay there\n", dir);
			return 0;
		}
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nv = realloc(names, ncap * sizeof(*nv));
			if (nv == NULL) {
				rc = -1;
				break;
			}
			names = nv;
			cap = ncap;
		}
		size_t len = strlen(dir) + 1 + strlen(de->d_name) + 1;
		names[n] = malloc(len);
		if (names[n] == NULL) {
			rc = -1;
			break;
		}
		snprintf(names[n], len, "%s/%s", dir, de->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	int ran = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(names[i]) < 0)
				rc = -1;
			else
				ran++;
		}
		free(names[i]);
	}
	free(names);
	return rc < 0 ? -1 : ran;
}

int main(int argc, char **argv)
{
	int total = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE_OR_DIRECTORY...\n", argv[0]);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int ran;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			ran = run_dir(argv[i]);
		else if (stat(argv[i], &st) != 0 && errno == ENOENT && argv[i][strlen(argv[i]) - 1] == '/')
			ran = run_dir(argv[i]); /* a directory that does not exist yet */
		else
			ran = run_file(argv[i]) < 0 ? -1 : 1;
		if (ran < 0)
			return 1;
		total += ran;
	}
	if (total == 0) {
		fprintf(stderr, "replay: no input found in the paths given\n");
		return 1;
	}
	fprintf(stderr, "replay: %d inputs ran\n", total);
	return 0;
}
