/*
 * fuzz_commitlog.c — libFuzzer harness for what a sink's output holds
 * besides data: the commit log entries (dataplane/commit_log.c) and a
 * table's _sluice_table (dataplane/table.c). On an s3:// prefix these are
 * objects anyone with write access to the bucket can put there, so they
 * are outside bytes.
 *
 * The first byte picks what the rest is: 0-3 a table's metadata; otherwise
 * a log entry, a compaction when the byte is odd, its batch id the byte's
 * value / 8 (0..31), visited from batch (second byte % 8) to the id.
 *
 * Checked: an entry that parses visits batches in order, each once, each
 * in [first, id] (a plain entry: exactly id); every file path is
 * NUL-terminated, non-empty, relative and without a ".." part; metadata
 * that parses has 1..4096 columns with NUL-terminated names, at most 16
 * partition columns, each naming a column. A refused input leaves an
 * error message.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit_log.h"
#include "table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_commitlog: check failed at line %d: %s\n", \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

struct seen {
	bool any;
	uint64_t prev, first, id;
	bool compact;
};

static int visit(void *arg, const struct sl_commit_batch *b)
{
	struct seen *s = arg;
	CHECK(b->batch >= s->first && b->batch <= s->id);
	CHECK(s->compact || b->batch == s->id);
	CHECK(!s->any || b->batch == s->prev + 1);
	s->any = true;
	s->prev = b->batch;
	CHECK(strlen(b->run) == SL_RUN_ID_LEN);
	for (uint32_t i = 0; i < b->nfiles; i++) {
		const char *p = b->files[i].path;
		size_t n = strlen(p);
		CHECK(n > 0 && p[0] != '/');
		CHECK(strcmp(p, "..") != 0 && strncmp(p, "../", 3) != 0 && strstr(p, "/../") == NULL);
		CHECK(n < 3 || strcmp(p + n - 3, "/..") != 0);
	}
	return 0;
}

static struct sl_commit_reader *reader; /* reused, as a source reuses its own */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	char err[1024] = "";
	if (data[0] < 4) {
		struct sl_table_meta m;
		int rc = sl_table_meta_parse((const char *)data + 2, size - 2, &m, err, sizeof(err));
		if (rc == 0) {
			CHECK(m.schema.ncols >= 1 && m.schema.ncols <= 4096);
			CHECK(m.npart <= SL_MAX_PART_COLS);
			for (uint32_t i = 0; i < m.schema.ncols; i++)
				CHECK(memchr(m.schema.cols[i].name, '\0', sizeof(m.schema.cols[i].name)) != NULL);
			for (uint32_t i = 0; i < m.npart; i++)
				CHECK(m.part[i] < m.schema.ncols);
			char desc[512];
			sl_table_meta_describe(&m, desc, sizeof(desc));
			sl_table_meta_free(&m);
		} else {
			CHECK(err[0] != '\0');
		}
		return 0;
	}
	if (reader == NULL && (reader = sl_commit_reader_create()) == NULL)
		abort();
	struct seen s = {.compact = data[0] & 1, .id = data[0] / 8, .first = data[1] % 8};
	uint64_t next = s.first;
	int rc = sl_commit_parse_entry(reader, (const char *)data + 2, size - 2, s.id, s.compact,
				       &next, s.id, visit, &s, err, sizeof(err));
	if (rc >= 0)
		CHECK(next == (s.any ? s.prev + 1 : s.first));
	else
		CHECK(err[0] != '\0' || rc == -ENOMEM);
	return 0;
}
