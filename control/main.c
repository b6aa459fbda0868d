/*
 * main.c — the `sluice` command: run, demo, explain, gen-text.
 *
 * Exit status: 0 clean stop, 1 a query failed at run time, 2 a bad command
 * line or bad SQL (nothing was started).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "plan.h"
#include "sink.h"
#include "sl_config.h"
#include "source.h"
#include "source_gen.h"

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
	"  explain FILE.sql  print the physical plan of each query in FILE\n"
	"  gen-text          print the built-in generator's text (for benchmarks)\n"
	"\n"
	"options for run and demo:\n"
	"  --stats               print counters (stat NAME VALUE) on stderr at the end\n"
	"  --ingest-cores LIST   CPUs for ingest threads, one thread per entry, e.g. 0 or 0-3 or 0,2 (SET ingest_cores)\n"
	"  --agg-cores LIST      CPUs for aggregator threads (SET agg_cores)\n"
	"  --shards N            state shards, Spark's spark.sql.shuffle.partitions (SET shards)\n"
	"\n"
	"options for gen-text:\n"
	"  --words N  --words-per-line K  --rows N | --bytes SIZE (100M, 1G: powers of 1024)  --seed S\n"
	"\n"
	"  -h, --help     this text\n"
	"  -V, --version  the version\n"
	"\n"
	"exit status: 0 clean stop, 1 a query failed while running, 2 bad command line or SQL\n";

struct cli {
	const char *cmd;
	const char *file;
	bool stats;
	const char *ingest_cores, *agg_cores;
	long shards;
	struct sl_gen_params gen;
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

struct job {
	struct sl_plan *plan;
	const struct cli *cli;
	int status;
	pthread_t tid;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	struct sl_engine_opts o = {
		.out = stdout, .log = stderr, .stats = j->cli->stats, .stop = &stop_requested};
	j->status = sl_engine_run(j->plan, &o, NULL);
	return NULL;
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

/* Defaults for the CPUs this process may run on (taskset, cgroups): the
 * planner's layout for that many CPUs, mapped onto their real ids. */
static void default_settings(struct sl_settings *s)
{
	int allowed[CPU_SETSIZE];
	unsigned n = 0;
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				allowed[n++] = c;
	}
	if (n == 0) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		n = ncpu > 0 ? (unsigned)ncpu : 1;
		for (unsigned i = 0; i < n && i < CPU_SETSIZE; i++)
			allowed[i] = (int)i;
	}
	sl_settings_default(s, n);
	for (uint32_t i = 0; i < s->n_ingest; i++)
		if (s->ingest_cores[i] >= 0 && (unsigned)s->ingest_cores[i] < n)
			s->ingest_cores[i] = allowed[s->ingest_cores[i]];
	for (uint32_t i = 0; i < s->n_agg; i++)
		if (s->agg_cores[i] >= 0 && (unsigned)s->agg_cores[i] < n)
			s->agg_cores[i] = allowed[s->agg_cores[i]];
}

static int compile(const struct cli *c, const char *text, const char *name, struct sl_program **prog)
{
	struct sl_settings base;
	default_settings(&base);
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

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct job *jobs = calloc(prog->nplans, sizeof(*jobs));
	if (jobs == NULL) {
		fprintf(stderr, "sluice: error: out of memory\n");
		rc = 1;
		goto out;
	}
	for (uint32_t i = 0; i < prog->nplans; i++) {
		jobs[i] = (struct job){.plan = prog->plans[i], .cli = c};
		const struct sl_settings *s = &prog->plans[i]->settings;
		char cores[128];
		if (prog->plans[i]->has_agg)
			snprintf(cores, sizeof(cores), "%u aggregator core%s, %u shard%s", s->n_agg,
				 s->n_agg == 1 ? "" : "s", s->shards, s->shards == 1 ? "" : "s");
		else
			snprintf(cores, sizeof(cores), "no aggregation");
		fprintf(stderr, "sluice: query '%s' started: source '%s' (%s), %u ingest core%s, %s\n",
			prog->plans[i]->sink.name, prog->plans[i]->source.name,
			prog->plans[i]->source.connector, s->n_ingest, s->n_ingest == 1 ? "" : "s", cores);
	}
	if (prog->nplans == 1) {
		run_job(&jobs[0]);
	} else {
		for (uint32_t i = 0; i < prog->nplans; i++)
			if (pthread_create(&jobs[i].tid, NULL, run_job, &jobs[i]) != 0) {
				jobs[i].status = 1;
				jobs[i].tid = 0;
			}
		for (uint32_t i = 0; i < prog->nplans; i++)
			if (jobs[i].tid != 0)
				pthread_join(jobs[i].tid, NULL);
	}
	for (uint32_t i = 0; i < prog->nplans; i++)
		if (jobs[i].status > rc)
			rc = jobs[i].status;
	free(jobs);
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

	if (strcmp(c.cmd, "demo") == 0)
		return cmd_run(&c, demo_sql, "demo");
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
		return die_usage("unknown command '%s' (commands: run, demo, explain, gen-text)", c.cmd);
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
