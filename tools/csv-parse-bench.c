/*
 * csv-parse-bench — the CSV parser alone, as the file source drives it:
 * a file's first MiBs held in memory, parsed again and again with each
 * scan the CPU has, the best and the median pass reported in MB/s.
 *
 *   csv-parse-bench FILE 'name TYPE, name TYPE, ...' [MIB] [PASSES]
 *
 * What a pass does is what take_parsed (dataplane/source_file.c) does with
 * its buffered bytes: spans (sl_recparse_burst_span) into batches of
 * SL_INGEST_BATCH_ROWS rows, the line a span stops at through
 * sl_recparse_line_padded. No reading, no aggregation, no engine: the
 * figure `tools/bench files` measures end to end, less the copy of the
 * file's pages, the query and the VM's scheduling, so that a change to
 * the parser can be compared on this noisy machine: the scans take turns
 * pass by pass, and the best of many passes is the machine's fast state.
 * Output, one line a scan:
 *
 *   sse2    1156 MB/s best   1098 median   1578340 rows
 *
 * Every scan must make the same number of rows, or it says so and exits 1.
 * Not installed; tools/bench files runs it on its CSV files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recparse.h"
#include "recparse_int.h"
#include "source.h"

#define MAX_COLS 32

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* "name TYPE, ..." into cols; the count, or 0 (a message printed). */
static uint32_t parse_cols(const char *decl, struct sl_column_def *cols)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", decl);
	uint32_t n = 0;
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char name[128], type[32];
		if (n == MAX_COLS || sscanf(tok, " %127s %31s", name, type) != 2) {
			fprintf(stderr, "csv-parse-bench: '%s' is not 'name TYPE' (at most %d columns)\n",
				tok, MAX_COLS);
			return 0;
		}
		enum sl_type t = SL_TYPE_NULL;
		for (int k = SL_TYPE_BOOLEAN; k < SL_TYPE__COUNT; k++)
			if (strcasecmp(type, sl_type_name((enum sl_type)k)) == 0)
				t = (enum sl_type)k;
		if (t == SL_TYPE_NULL) {
			fprintf(stderr, "csv-parse-bench: column '%s': unknown type '%s'\n", name, type);
			return 0;
		}
		snprintf(cols[n].name, SL_NAME_MAX, "%s", name);
		cols[n].type = t;
		n++;
	}
	return n;
}

/* One pass over buf[0..n) (complete lines): the rows made. */
static uint64_t pass(struct sl_recparse *p, const char *buf, size_t n, struct sl_chunk *ch)
{
	uint64_t rows = 0;
	char err[512];
	sl_recparse_begin(p);
	for (size_t at = 0; at < n;) {
		if (ch->nrows == SL_INGEST_BATCH_ROWS) {
			rows += ch->nrows;
			ch->nrows = 0;
			sl_recparse_reset(p);
		}
		size_t used;
		uint32_t m = sl_recparse_burst_span(p, buf + at, n - at, UINT32_MAX,
						    SL_INGEST_BATCH_ROWS - ch->nrows, ch, ch->nrows, &used);
		if (m > 0) {
			ch->nrows += m;
			at += used;
			continue;
		}
		const char *nl = memchr(buf + at, '\n', n - at);
		size_t len = (size_t)(nl - (buf + at));
		if (len > 0 && buf[at + len - 1] == '\r')
			len--;
		if (sl_recparse_line_padded(p, buf + at, (uint32_t)len, ch, ch->nrows, err,
					    sizeof(err)) == 1)
			ch->nrows++;
		at = (size_t)(nl - buf) + 1;
	}
	rows += ch->nrows;
	ch->nrows = 0;
	sl_recparse_reset(p);
	return rows;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: csv-parse-bench FILE 'name TYPE, ...' [MIB (64)] [PASSES (15)]\n");
		return 2;
	}
	const size_t mib = argc > 3 ? strtoul(argv[3], NULL, 10) : 64;
	const int passes = argc > 4 ? atoi(argv[4]) : 15;
	if (mib == 0 || passes <= 0) {
		fprintf(stderr, "csv-parse-bench: MIB and PASSES are whole numbers above 0\n");
		return 2;
	}
	static struct sl_column_def cols[MAX_COLS];
	const uint32_t ncols = parse_cols(argv[2], cols);
	if (ncols == 0)
		return 2;
	FILE *f = fopen(argv[1], "rb");
	if (f == NULL) {
		fprintf(stderr, "csv-parse-bench: cannot open '%s': %s\n", argv[1], strerror(errno));
		return 1;
	}
	const size_t cap = mib << 20;
	char *buf = malloc(cap + SL_RECPARSE_PADDING);
	if (buf == NULL) {
		fprintf(stderr, "csv-parse-bench: out of memory for %zu MiB\n", mib);
		return 1;
	}
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	while (n > 0 && buf[n - 1] != '\n')
		n--; /* whole lines only */
	if (n == 0) {
		fprintf(stderr, "csv-parse-bench: '%s' has no complete line in its first %zu MiB\n",
			argv[1], mib);
		return 1;
	}
	memset(buf + n, 0, SL_RECPARSE_PADDING);

	static struct sl_source_spec spec;
	snprintf(spec.name, sizeof(spec.name), "bench");
	snprintf(spec.connector, sizeof(spec.connector), "file");
	spec.watermark_col = -1;
	spec.schema.ncols = ncols;
	spec.schema.cols = cols;
	static struct sl_vec vecs[MAX_COLS];
	struct sl_chunk ch = {.nrows = 0, .ncols = ncols, .cols = vecs};
	for (uint32_t c = 0; c < ncols; c++) {
		vecs[c].type = cols[c].type;
		vecs[c].nulls = calloc(SL_INGEST_BATCH_ROWS, 1);
		vecs[c].v.i64 = calloc(SL_INGEST_BATCH_ROWS, SL_TYPE_MAX_WIDTH);
		if (vecs[c].nulls == NULL || vecs[c].v.i64 == NULL) {
			fprintf(stderr, "csv-parse-bench: out of memory\n");
			return 1;
		}
	}
	static const char *const scan[] = {"sse2", "avx2", "avx512"};
	const int widest = rp_cpu_avx512() ? 2 : rp_cpu_avx2() ? 1 : 0;
	struct sl_recparse *p[3] = {NULL, NULL, NULL};
	double *t[3] = {NULL, NULL, NULL};
	uint64_t rows[3] = {0, 0, 0};
	for (int s = 0; s <= widest; s++) {
		char err[512];
		p[s] = sl_recparse_create(&spec, SL_REC_CSV, err, sizeof(err));
		t[s] = malloc(sizeof(double) * (size_t)passes);
		if (p[s] == NULL || t[s] == NULL) {
			fprintf(stderr, "csv-parse-bench: %s\n", p[s] == NULL ? err : "out of memory");
			return 1;
		}
		rp_set_avx2(p[s], s >= 1);
		rp_set_avx512(p[s], s >= 2);
	}
	/* the scans take turns, pass by pass: each meets the machine's fast
	 * and slow spells alike */
	for (int i = 0; i < passes; i++)
		for (int s = 0; s <= widest; s++) {
			double t0 = now_s();
			rows[s] = pass(p[s], buf, n, &ch);
			t[s][i] = now_s() - t0;
		}
	for (int s = 0; s <= widest; s++) {
		qsort(t[s], (size_t)passes, sizeof(double), cmp_double);
		printf("%-7s %6.0f MB/s best %6.0f median %9llu rows\n", scan[s],
		       (double)n / t[s][0] / 1e6, (double)n / t[s][passes / 2] / 1e6,
		       (unsigned long long)rows[s]);
		if (rows[s] != rows[0]) {
			fprintf(stderr, "csv-parse-bench: the %s scan made %llu rows, sse2 %llu\n",
				scan[s], (unsigned long long)rows[s], (unsigned long long)rows[0]);
			return 1;
		}
		sl_recparse_destroy(p[s]);
		free(t[s]);
	}
	return 0;
}
