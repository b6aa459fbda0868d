/*
 * main.c — the `sluice` command: run, demo, explain, gen-text, gen-sales.
 *
 * Exit status: 0 clean stop, 1 a query failed at run time, 2 a bad command
 * line or bad SQL (nothing was started).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl_path.h"
#include "ctl_server.h"
#include "engine.h"
#include "plan.h"
#include "sink.h"
#include "sl_config.h"
#include "source.h"
#include "source_gen.h"
#include "source_sales.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested++;
}

static const char usage[] =
	"usage: sluice COMMAND [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  run FILE.sql      run the streaming queries in FILE until they end or Ctrl-C\n"
	"  demo              the seed word count on a built-in line generator, until Ctrl-C\n"
	"  demo retail       DESIGN.md's retail query: sales per store per 15-minute window\n"
	"                    on the built-in sales generator, late records and all, until Ctrl-C\n"
	"  explain FILE.sql  print the physical plan of each query in FILE\n"
	"  gen-text          print the built-in generator's text (for benchmarks)\n"
	"  gen-sales         print the sales generator's rows as CSV (store,counter,amount,ts)\n"
	"\n"
	"options for run and demo:\n"
	"  --stats               print counters (stat NAME VALUE) on stderr at the end\n"
	"  --until-drained       stop cleanly once every source has ended and its last batch\n"
	"                        is written, whatever the trigger (benchmarks, tests)\n"
	"  --ingest-cores LIST   CPUs for ingest threads, one thread per entry, e.g. 0 or 0-3 or 0,2 (SET ingest_cores)\n"
	"  --agg-cores LIST      CPUs for aggregator threads (SET agg_cores)\n"
	"  --shards N            state shards, Spark's spark.sql.shuffle.partitions (SET shards)\n"
	"  --socket PATH         the control socket sluicectl reaches the run on (default\n"
	"                        run-PID.sock beside sluiced's, printed at start)\n"
	"  --no-socket           no control socket\n"
	"\n"
	"options for gen-text:\n"
	"  --words N  --words-per-line K  --rows N | --bytes SIZE (100M, 1G: powers of 1024)  --seed S\n"
	"\n"
	"options for demo retail:\n"
	"  --mode MODE           output mode: update (default), append (each window once, when\n"
	"                        the watermark passes its end) or complete\n"
	"\n"
	"options for gen-sales (the 'sales' connector's options, docs/connectors.md; same options, same rows):\n"
	"  --rows N              rows in all (needed unless --paced)\n"
	"  --seed S  --stores N (20)  --counters N (500)  --speed X (60)\n"
	"  --rows-per-second N   (2000) the shop clock's pace, and with --paced the writing's\n"
	"  --late-share F (0.05)  --late-max INTERVAL ('8 minutes')  --very-late-share F (0.005)\n"
	"  --very-late-min INTERVAL ('20 minutes')  --clock-start TIMESTAMP ('2024-03-01 09:00:00')\n"
	"  --format csv          the only format\n"
	"  --header              a first line store,counter,amount,ts (in every file with --dir)\n"
	"  --paced               write rows-per-second rows a second (else as fast as possible)\n"
	"  --to HOST:PORT        send the rows to a TCP server instead of stdout\n"
	"  --dir DIR             write files DIR/sales-000001.csv, ... instead, each complete\n"
	"                        before it appears (written as DIR/.NAME.tmp, then renamed)\n"
	"  --file-rows N         rows per file with --dir (10000)\n"
	"\n"
	"  -h, --help     this text\n"
	"  -V, --version  the version\n"
	"\n"
	"exit status: 0 clean stop, 1 a query failed while running, 2 bad command line or SQL\n";

struct cli {
	const char *cmd;
	const char *file;
	bool stats;
	bool until_drained;
	const char *socket; /* run: the control socket; NULL: one of this process's */
	bool no_socket;
	const char *ingest_cores, *agg_cores;
	long shards;
	struct sl_gen_params gen;
	/* demo retail, gen-sales */
	const char *mode;
	struct {
		const char *flag, *value;
	} sales[16]; /* the sales connector's options as flags, in order */
	uint32_t nsales;
	const char *format, *to, *dir;
	const char *file_rows;
	bool header, paced;
};

static int die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "sluice: error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nrun 'sluice --help' for the commands and options\n");
	return 2;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || errno != 0 || *end != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
		if (cap - len - 1 == 0) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	int saved = ferror(f) ? EIO : 0;
	fclose(f);
	if (buf != NULL) {
		if (saved) {
			free(buf);
			errno = saved;
			return NULL;
		}
		buf[len] = '\0';
	}
	return buf;
}

/* Apply the command line's settings over those of the SQL file. */
static int apply_flags(const struct cli *c, struct sl_settings *s)
{
	char err[256];
	uint32_t n;
	if (c->ingest_cores != NULL) {
		if (sl_cpu_list_parse(c->ingest_cores, s->ingest_cores, 64, &n, err, sizeof(err)) < 0)
			return die_usage("--ingest-cores: %s", err);
		s->n_ingest = n;
	}
	if (c->agg_cores != NULL) {
		if (sl_cpu_list_parse(c->agg_cores, s->agg_cores, 64, &n, err, sizeof(err)) < 0)
			return die_usage("--agg-cores: %s", err);
		s->n_agg = n;
		if (c->shards == 0 && s->shards < n)
			s->shards = n; /* shards follow the aggregator count unless set */
	}
	if (c->shards > 0)
		s->shards = (uint32_t)c->shards;
	return 0;
}

static const char demo_sql[] =
	"-- sluice demo: the seed's word count (DESIGN.md section 1) on the built-in\n"
	"-- line generator instead of `nc -lk 9994`, ordered so that the top words show.\n"
	"CREATE SOURCE lines WITH (connector = 'generator', words = 40, words_per_line = 8,\n"
	"                          rows_per_second = 20);\n"
	"CREATE SINK word_counts WITH (connector = 'console', output_mode = 'complete',\n"
	"                              trigger = '1 second')\n"
	"AS SELECT word, count(*) AS count\n"
	"   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)\n"
	"   GROUP BY word\n"
	"   ORDER BY count DESC, word;\n";

/* `sluice demo retail`: examples/retail.sql, with the output mode of
 * --mode in place of %s. */
static const char retail_sql_fmt[] =
	"-- sluice demo retail: DESIGN.md section 1's retail query on the built-in sales\n"
	"-- generator: 20 stores, 500 billing counters, 2000 sales a second, the shop clock\n"
	"-- running a minute a second (a 15-minute window closes every 15 s), 5%% of the\n"
	"-- records up to 8 minutes late (inside the watermark: still counted) and 0.5%%\n"
	"-- 20 to 40 minutes late (dropped and counted when the watermark has passed\n"
	"-- their window's end).\n"
	"CREATE SOURCE sales (store INT, counter INT, amount DOUBLE, ts TIMESTAMP)\n"
	"  WITH (connector = 'sales', stores = 20, counters = 500, rows_per_second = 2000,\n"
	"        speed = 60)\n"
	"  WATERMARK ts DELAY '10 minutes';\n"
	"\n"
	"CREATE SINK store_totals\n"
	"  WITH (connector = 'console', output_mode = '%s', trigger = '5 seconds',\n"
	"        num_rows = 100, truncate = false)\n"
	"AS SELECT window(ts, '15 minutes') AS w, store, sum(amount) AS total, count(*) AS n\n"
	"   FROM sales\n"
	"   GROUP BY window(ts, '15 minutes'), store;\n";

static int compile(const struct cli *c, const char *text, const char *name, struct sl_program **prog)
{
	struct sl_settings base;
	sl_settings_for_process(&base);
	char err[1024];
	if (sl_sql_compile(text, &base, prog, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluice: error: %s: %s\n", name, err);
		return 2;
	}
	for (uint32_t i = 0; i < (*prog)->nplans; i++) {
		int rc = apply_flags(c, &(*prog)->plans[i]->settings);
		if (rc != 0)
			return rc;
		if (sl_plan_check_runnable((*prog)->plans[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "sluice: error: %s: %s\n", name, err);
			return 2;
		}
		if (sl_engine_check_cores(&(*prog)->plans[i]->settings, err, sizeof(err)) < 0) {
			fprintf(stderr, "sluice: error: %s: query '%s': %s\n", name,
				(*prog)->plans[i]->sink.name, err);
			return 2;
		}
	}
	return 0;
}

/* The run's control socket: --socket, or run-PID.sock in sluiced's default
 * directory. */
static int run_socket(const struct cli *c, char *buf, size_t len)
{
	if (c->socket != NULL) {
		if (strlen(c->socket) >= len)
			return -ENAMETOOLONG;
		snprintf(buf, len, "%s", c->socket);
		return 0;
	}
	char def[108];
	if (sl_ctl_default_socket(def, sizeof(def)) < 0)
		return -ENAMETOOLONG;
	char *slash = strrchr(def, '/');
	if (slash == NULL)
		return -EINVAL;
	slash[1] = '\0';
	int w = snprintf(buf, len, "%srun-%ld.sock", def, (long)getpid());
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

static int cmd_run(const struct cli *c, const char *text, const char *name)
{
	struct sl_program *prog = NULL;
	int rc = compile(c, text, name, &prog);
	if (rc != 0)
		goto out;
	for (uint32_t i = 0; i < prog->nexplains; i++)
		fputs(prog->explains[i], stdout);
	if (prog->nplans == 0) {
		if (prog->nexplains == 0) {
			fprintf(stderr,
				"sluice: error: %s has no CREATE SINK statement, so there is no query to "
				"run; add one (see docs/sql.md)\n",
				name);
			rc = 2;
		}
		goto out;
	}

	for (uint32_t i = 0; i < prog->nplans; i++) {
		const struct sl_settings *s = &prog->plans[i]->settings;
		char cores[128];
		if (prog->plans[i]->has_agg)
			snprintf(cores, sizeof(cores), "%u aggregator core%s, %u shard%s", s->n_agg,
				 s->n_agg == 1 ? "" : "s", s->shards, s->shards == 1 ? "" : "s");
		else
			snprintf(cores, sizeof(cores), "no aggregation");
		/* every input's source: 'a' (file) + 'b' (socket) for a UNION ALL */
		char srcs[512] = "";
		size_t used = 0;
		for (uint32_t k = 0; k < sl_plan_ninputs(prog->plans[i]) && used < sizeof(srcs); k++) {
			const struct sl_source_spec *src = &sl_plan_input(prog->plans[i], k)->source;
			int w = snprintf(srcs + used, sizeof(srcs) - used, "%s'%s' (%s)", k ? " + " : "",
					 src->name, src->connector);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		fprintf(stderr, "sluice: query '%s' started: source%s %s, %u ingest core%s%s, %s\n",
			prog->plans[i]->sink.name, sl_plan_ninputs(prog->plans[i]) > 1 ? "s" : "",
			srcs, s->n_ingest, s->n_ingest == 1 ? "" : "s",
			sl_plan_ninputs(prog->plans[i]) > 1 ? " each" : "", cores);
	}
	/* the queries run under the control server, in the foreground, so
	 * that sluicectl reaches them as it reaches sluiced's */
	char path[108] = "", err[512];
	if (!c->no_socket && run_socket(c, path, sizeof(path)) < 0)
		path[0] = '\0';
	struct sl_settings base;
	sl_settings_for_process(&base);
	struct sl_ctl_server_opts so = {.socket_path = path, .base = &base, .foreground = true,
					.stats = c->stats, .until_drained = c->until_drained};
	if (sl_ctl_server_open(&so, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluice: warning: no control socket (%s); the queries run, "
				"sluicectl cannot reach them\n",
			err);
		so.socket_path = NULL;
		if (sl_ctl_server_open(&so, err, sizeof(err)) < 0) {
			fprintf(stderr, "sluice: error: %s\n", err);
			rc = 1;
			goto out;
		}
	} else if (path[0] != '\0') {
		fprintf(stderr, "sluice: control socket %s (sluicectl --socket %s list)\n", path,
			path);
	}
	sl_ctl_server_start(prog, text, name);
	rc = sl_ctl_server_run();
	sl_ctl_server_close();
out:
	sl_program_free(prog);
	return rc;
}

static int cmd_explain(const struct cli *c, const char *text, const char *name)
{
	struct sl_program *prog = NULL;
	int rc = compile(c, text, name, &prog);
	if (rc == 0) {
		for (uint32_t i = 0; i < prog->nexplains; i++)
			fputs(prog->explains[i], stdout);
		for (uint32_t i = 0; i < prog->nplans; i++) {
			char *t = sl_plan_explain(prog->plans[i]);
			if (t != NULL)
				fputs(t, stdout);
			free(t);
		}
	}
	sl_program_free(prog);
	return rc;
}

/* --- demo retail --- */

/* The sales connector's options, as gen-sales flags (--rows and --seed are
 * shared with gen-text). */
static const char *const sales_flags[] = {
	"--stores",          "--counters",      "--rows-per-second", "--speed",      "--late-share",
	"--late-max",        "--very-late-share", "--very-late-min",  "--clock-start",
};

static bool is_sales_flag(const char *a)
{
	for (size_t k = 0; k < sizeof(sales_flags) / sizeof(sales_flags[0]); k++)
		if (strcmp(a, sales_flags[k]) == 0)
			return true;
	return false;
}

static int cmd_demo_retail(const struct cli *c)
{
	const char *mode = c->mode != NULL ? c->mode : "update";
	if (strcmp(mode, "update") != 0 && strcmp(mode, "append") != 0 &&
	    strcmp(mode, "complete") != 0)
		return die_usage("--mode takes update, append or complete, not '%s'", mode);
	char sql[sizeof(retail_sql_fmt) + 16];
	snprintf(sql, sizeof(sql), retail_sql_fmt, mode);
	return cmd_run(c, sql, "demo retail");
}

/* --- gen-sales --- */

/* Where gen-sales writes: a file descriptor behind a buffer. */
struct sales_out {
	int fd;
	char *buf;
	size_t used, cap;
	const char *what; /* "stdout", "HOST:PORT", a path: for errors */
};

/* Everything buffered to the descriptor; 0 or -errno. */
static int sales_flush(struct sales_out *o)
{
	size_t off = 0;
	while (off < o->used) {
		ssize_t n = write(o->fd, o->buf + off, o->used - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	o->used = 0;
	return 0;
}

static int sales_put(struct sales_out *o, const char *p, size_t n)
{
	if (o->cap - o->used < n) {
		int rc = sales_flush(o);
		if (rc < 0)
			return rc;
	}
	memcpy(o->buf + o->used, p, n);
	o->used += n;
	return 0;
}

/* A connected TCP socket to "HOST:PORT" ("[v6]:PORT" too); -1 with the
 * reason in err. */
static int sales_connect(const char *to, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(to, ':');
	if (colon == NULL || colon == to || colon[1] == '\0' || (size_t)(colon - to) >= sizeof(host)) {
		snprintf(err, errlen, "--to takes HOST:PORT such as localhost:9994, not '%s'", to);
		return -1;
	}
	size_t hl = (size_t)(colon - to);
	const char *h = to;
	if (hl >= 2 && to[0] == '[' && to[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int gai = getaddrinfo(host, colon + 1, &hints, &res);
	if (gai != 0) {
		snprintf(err, errlen, "--to %s: cannot resolve: %s", to, gai_strerror(gai));
		return -1;
	}
	int fd = -1, saved = 0;
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen,
			 "--to %s: cannot connect: %s; is a server listening there (a socket source "
			 "with listen = true, or nc -lk PORT)?",
			 to, strerror(saved));
	return fd;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Sleep until CLOCK_MONOTONIC reaches `until` ns or a signal asks to stop. */
static void sales_sleep_until(uint64_t until)
{
	for (;;) {
		uint64_t now = mono_ns();
		if (now >= until || stop_requested)
			return;
		uint64_t d = until - now;
		struct timespec w = {.tv_sec = (time_t)(d / 1000000000ULL),
				     .tv_nsec = (long)(d % 1000000000ULL)};
		nanosleep(&w, NULL);
	}
}

/* --dir: file k, written as DIR/.sales-00000k.csv.tmp and renamed to
 * DIR/sales-00000k.csv once whole, so that a reader of DIR never sees part
 * of a file. */
static void sales_file_names(const char *dir, uint64_t k, char *tmp, char *final, size_t len)
{
	snprintf(tmp, len, "%s/.sales-%06" PRIu64 ".csv.tmp", dir, k);
	snprintf(final, len, "%s/sales-%06" PRIu64 ".csv", dir, k);
}

static int sales_file_start(struct sales_out *o, const char *dir, uint64_t k, bool header)
{
	char tmp[4096], final[4096];
	sales_file_names(dir, k, tmp, final, sizeof(tmp));
	o->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o->fd < 0) {
		int rc = -errno;
		fprintf(stderr, "sluice: error: gen-sales: cannot create %s: %s\n", tmp,
			strerror(-rc));
		return rc;
	}
	return header ? sales_put(o, SL_SALES_CSV_HEADER, strlen(SL_SALES_CSV_HEADER)) : 0;
}

static int sales_file_finish(struct sales_out *o, const char *dir, uint64_t k)
{
	char tmp[4096], final[4096];
	sales_file_names(dir, k, tmp, final, sizeof(tmp));
	int rc = sales_flush(o);
	if (close(o->fd) != 0 && rc == 0)
		rc = -errno;
	o->fd = -1;
	if (rc == 0 && rename(tmp, final) != 0)
		rc = -errno;
	if (rc < 0) {
		fprintf(stderr, "sluice: error: gen-sales: writing %s: %s\n", final, strerror(-rc));
		unlink(tmp);
	}
	return rc;
}

static int cmd_gen_sales(const struct cli *c)
{
	/* the flags as the connector's WITH options (line 0: named as flags
	 * in messages), so that both read them alike */
	char keys[20][32], rows_text[24], seed_text[24];
	struct sl_option opt[20];
	uint32_t n = 0;
	for (uint32_t i = 0; i < c->nsales; i++, n++) {
		size_t k = 0;
		for (const char *f = c->sales[i].flag + 2; *f != '\0' && k + 1 < sizeof(keys[n]); f++)
			keys[n][k++] = *f == '-' ? '_' : *f;
		keys[n][k] = '\0';
		opt[n] = (struct sl_option){.key = keys[n], .value = (char *)c->sales[i].value};
	}
	snprintf(rows_text, sizeof(rows_text), "%" PRIu64, c->gen.rows);
	snprintf(seed_text, sizeof(seed_text), "%" PRIu64, c->gen.seed);
	strcpy(keys[n], "rows");
	opt[n] = (struct sl_option){.key = keys[n], .value = rows_text};
	n++;
	strcpy(keys[n], "seed");
	opt[n] = (struct sl_option){.key = keys[n], .value = seed_text};
	n++;
	struct sl_options opts = {.n = n, .v = opt};
	struct sl_sales_params p;
	char err[512];
	if (c->file != NULL)
		return die_usage("gen-sales takes no argument, only flags, not '%s'", c->file);
	if (sl_sales_params_parse(&opts, &p, err, sizeof(err)) < 0)
		return die_usage("%s", err);
	if (c->format != NULL && strcmp(c->format, "csv") != 0)
		return die_usage("--format: gen-sales writes csv only, not '%s'", c->format);
	if (p.rows == 0 && !c->paced)
		return die_usage("gen-sales needs --rows N (or --paced, which writes until Ctrl-C)%s",
				 "");
	if (c->paced && p.rows_per_second == 0)
		return die_usage("--paced needs --rows-per-second above 0%s", "");
	if (c->to != NULL && c->dir != NULL)
		return die_usage("give --to or --dir, not both%s", "");
	uint64_t file_rows = 10000;
	if (c->file_rows != NULL) {
		if (c->dir == NULL)
			return die_usage("--file-rows goes with --dir%s", "");
		if (parse_u64(c->file_rows, &file_rows) < 0 || file_rows == 0)
			return die_usage("--file-rows takes a whole number of rows above 0, not '%s'",
					 c->file_rows);
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct sales_out o = {.fd = STDOUT_FILENO, .cap = (size_t)1 << 20, .what = "stdout"};
	if (c->to != NULL) {
		signal(SIGPIPE, SIG_IGN); /* a peer that closes is an error to report */
		if ((o.fd = sales_connect(c->to, err, sizeof(err))) < 0) {
			fprintf(stderr, "sluice: error: gen-sales: %s\n", err);
			return 1;
		}
		o.what = c->to;
	}
	if (c->dir != NULL && mkdir(c->dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "sluice: error: gen-sales: cannot create directory %s: %s\n", c->dir,
			strerror(errno));
		return 1;
	}
	o.buf = malloc(o.cap);
	if (o.buf == NULL) {
		fprintf(stderr, "sluice: error: gen-sales: out of memory\n");
		if (c->to != NULL)
			close(o.fd);
		return 1;
	}
	int rc = 0;
	uint64_t file = 0, in_file = 0;
	if (c->dir != NULL) {
		o.fd = -1;
		o.what = c->dir;
		rc = sales_file_start(&o, c->dir, ++file, c->header);
	} else if (c->header) {
		rc = sales_put(&o, SL_SALES_CSV_HEADER, strlen(SL_SALES_CSV_HEADER));
	}
	const uint64_t start = mono_ns(), rps = p.rows_per_second;
	uint64_t now = start;
	for (uint64_t g = 0; rc == 0 && (p.rows == 0 || g < p.rows) && !stop_requested; g++) {
		if (c->paced) {
			uint64_t due = start + (uint64_t)((unsigned __int128)g * 1000000000ULL / rps);
			if (due > now && (now = mono_ns()) < due) {
				/* ahead of the schedule: what is made goes out now */
				if ((rc = sales_flush(&o)) < 0)
					break;
				sales_sleep_until(due);
				now = mono_ns();
				if (stop_requested)
					break;
			}
		}
		if (c->dir != NULL && in_file == file_rows) {
			if ((rc = sales_file_finish(&o, c->dir, file)) < 0 ||
			    (rc = sales_file_start(&o, c->dir, ++file, c->header)) < 0)
				break;
			in_file = 0;
		}
		if (o.cap - o.used < SL_SALES_CSV_MAX && (rc = sales_flush(&o)) < 0)
			break;
		struct sl_sale sale;
		sl_sales_row(&p, g, &sale);
		o.used += sl_sales_csv(&sale, o.buf + o.used);
		in_file++;
	}
	if (c->dir != NULL) {
		/* the last file: whole rows, even when stopped early */
		if (o.fd >= 0) {
			int frc = sales_file_finish(&o, c->dir, file);
			rc = rc < 0 ? rc : frc;
		}
		rc = rc < 0 ? 1 : 0; /* the file functions said what failed */
	} else {
		if (rc == 0)
			rc = sales_flush(&o);
		if (c->to != NULL && close(o.fd) != 0 && rc == 0)
			rc = -errno;
		if (rc < 0)
			fprintf(stderr, "sluice: error: gen-sales: writing to %s: %s\n", o.what,
				rc == -EPIPE || rc == -ECONNRESET ? "the peer closed the connection"
								  : strerror(-rc));
		rc = rc < 0 ? 1 : 0;
	}
	free(o.buf);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c = {.shards = 0};
	sl_gen_params_default(&c.gen);
	sl_sources_register_builtin();
	sl_sinks_register_builtin();

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = (i + 1 < argc) ? argv[i + 1] : NULL;
		uint64_t u;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("sluice %s\n", SL_VERSION);
			return 0;
		} else if (strcmp(a, "--stats") == 0) {
			c.stats = true;
		} else if (strcmp(a, "--until-drained") == 0) {
			c.until_drained = true;
		} else if (strcmp(a, "--no-socket") == 0) {
			c.no_socket = true;
		} else if (strcmp(a, "--socket") == 0) {
			if (val == NULL)
				return die_usage("%s needs a value", a);
			c.socket = val;
			i++;
		} else if (strcmp(a, "--ingest-cores") == 0 || strcmp(a, "--agg-cores") == 0 ||
			   strcmp(a, "--shards") == 0 || strcmp(a, "--words") == 0 ||
			   strcmp(a, "--words-per-line") == 0 || strcmp(a, "--rows") == 0 ||
			   strcmp(a, "--bytes") == 0 || strcmp(a, "--seed") == 0) {
			if (val == NULL)
				return die_usage("%s needs a value", a);
			i++;
			if (strcmp(a, "--ingest-cores") == 0) {
				c.ingest_cores = val;
				continue;
			}
			if (strcmp(a, "--agg-cores") == 0) {
				c.agg_cores = val;
				continue;
			}
			if (strcmp(a, "--bytes") == 0) {
				if (sl_parse_size(val, &u) < 0 || u == 0)
					return die_usage("--bytes takes a size such as 100M or 1G (powers of 1024), not '%s'", val);
				c.gen.bytes = u;
				continue;
			}
			if (parse_u64(val, &u) < 0)
				return die_usage("a whole number is needed after the option, not '%s'", val);
			if (strcmp(a, "--shards") == 0) {
				if (u < 1 || u > 4096)
					return die_usage("--shards must be from 1 to 4096, not '%s'", val);
				c.shards = (long)u;
			} else if (strcmp(a, "--words") == 0) {
				c.gen.words = u;
			} else if (strcmp(a, "--words-per-line") == 0) {
				c.gen.words_per_line = u > UINT32_MAX ? UINT32_MAX : (uint32_t)u;
			} else if (strcmp(a, "--rows") == 0) {
				c.gen.rows = u;
			} else {
				c.gen.seed = u;
			}
		} else if (is_sales_flag(a) || strcmp(a, "--mode") == 0 || strcmp(a, "--format") == 0 ||
			   strcmp(a, "--to") == 0 || strcmp(a, "--dir") == 0 ||
			   strcmp(a, "--file-rows") == 0) {
			if (val == NULL)
				return die_usage("%s needs a value", a);
			i++;
			if (strcmp(a, "--mode") == 0) {
				c.mode = val;
			} else if (strcmp(a, "--format") == 0) {
				c.format = val;
			} else if (strcmp(a, "--to") == 0) {
				c.to = val;
			} else if (strcmp(a, "--dir") == 0) {
				c.dir = val;
			} else if (strcmp(a, "--file-rows") == 0) {
				c.file_rows = val;
			} else { /* the last of a repeated flag counts */
				uint32_t k = 0;
				while (k < c.nsales && strcmp(c.sales[k].flag, a) != 0)
					k++;
				c.sales[k].flag = a;
				c.sales[k].value = val;
				c.nsales += k == c.nsales;
			}
		} else if (strcmp(a, "--header") == 0) {
			c.header = true;
		} else if (strcmp(a, "--paced") == 0) {
			c.paced = true;
		} else if (a[0] == '-' && a[1] != '\0') {
			return die_usage("unknown option '%s'", a);
		} else if (c.cmd == NULL) {
			c.cmd = a;
		} else if (c.file == NULL) {
			c.file = a;
		} else {
			return die_usage("unexpected argument '%s'", a);
		}
	}
	if (c.cmd == NULL) {
		fputs(usage, stderr);
		return 2;
	}

	if (strcmp(c.cmd, "demo") == 0 && c.file != NULL) {
		if (strcmp(c.file, "retail") == 0)
			return cmd_demo_retail(&c);
		return die_usage("unknown demo '%s' (demos: retail; without a name, the word count)",
				 c.file);
	}
	if (c.mode != NULL && strcmp(c.cmd, "demo") == 0)
		return die_usage("--mode goes with 'demo retail'; the word count demo is complete mode%s",
				 "");
	if (strcmp(c.cmd, "demo") == 0)
		return cmd_run(&c, demo_sql, "demo");
	if (strcmp(c.cmd, "gen-sales") == 0)
		return cmd_gen_sales(&c);
	if (strcmp(c.cmd, "gen-text") == 0) {
		if (c.gen.words < 1 || c.gen.words > SL_GEN_MAX_WORDS)
			return die_usage("--words must be from 1 to 16777216%s", "");
		if (c.gen.words_per_line < 1 || c.gen.words_per_line > SL_GEN_MAX_WORDS_PER_LINE)
			return die_usage("--words-per-line must be from 1 to 1000%s", "");
		if (c.gen.rows == 0 && c.gen.bytes == 0)
			return die_usage("gen-text needs --rows N or --bytes SIZE (the text must end)%s", "");
		int wrc = sl_gen_write_text(&c.gen, stdout);
		if (wrc < 0) {
			fprintf(stderr, "sluice: error: gen-text: %s\n", strerror(-wrc));
			return 1;
		}
		return 0;
	}
	if (strcmp(c.cmd, "run") != 0 && strcmp(c.cmd, "explain") != 0)
		return die_usage("unknown command '%s' (commands: run, demo, explain, gen-text, gen-sales)",
				 c.cmd);
	if (c.file == NULL)
		return die_usage("'%s' needs a FILE.sql", c.cmd);
	char *text = read_file(c.file);
	if (text == NULL) {
		fprintf(stderr, "sluice: error: cannot read %s: %s\n", c.file, strerror(errno));
		return 2;
	}
	int rc = strcmp(c.cmd, "run") == 0 ? cmd_run(&c, text, c.file) : cmd_explain(&c, text, c.file);
	free(text);
	return rc;
}
