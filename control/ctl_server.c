/*
 * ctl_server.c — the control server (ctl_server.h): runs any number of
 * queries, each on its own control thread with its own cores, state,
 * checkpoint and progress, and answers the control protocol
 * (docs/control-protocol.md) on a Unix socket. sluiced (daemon.c) is it
 * with a command line; `sluice run` runs its queries under it in the
 * foreground, so that sluicectl reaches a foreground query too.
 *
 * Threads:
 *  - the main thread: one poll() loop over the listening socket, the
 *    clients, a signalfd (SIGTERM, SIGINT, SIGHUP), an eventfd the query
 *    threads write when a query ends, and the --metrics-listen socket. It
 *    alone reads and writes client connections and the query list.
 *  - one thread per query, running sl_engine_run(); it hands progress to
 *    its query under the query's mutex (the last 100 records) and its log
 *    lines to the daemon's log.
 * A query that fails ends its own thread only: its error is kept and shown
 * by status; the daemon and the other queries go on.
 *
 * Clients: non-blocking; a line is read whole (at most SL_CTL_MAX_LINE
 * bytes: a longer one gets request_too_large and the connection closes),
 * answered in order; replies wait in the client's output buffer. `stop`
 * replies when its query has ended. A peer whose uid is neither the
 * daemon's nor allowed (--allow-uid) gets `refused` and is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_server.h"
#include "sql_lex.h"
#include "engine.h"
#include "json.h"
#include "metrics.h"
#include "plan.h"
#include "progress.h"
#include "sink.h"
#include "sl_config.h"
#include "source.h"

#define SL_CTL_MAX_LINE ((size_t)1 << 20)
#define PROGRESS_KEPT 100
#define MAX_CLIENTS 4096

enum qstate { Q_ACTIVE, Q_STOPPING, Q_STOPPED, Q_FAILED };
static const char *const qstate_name[] = {"active", "stopping", "stopped", "failed"};

struct query {
	struct query *next;
	char name[SL_NAME_MAX];
	char id[40], run_id[40];
	char *sql, *file;
	struct sl_plan *plan; /* the engine releases what it prepared; we free it */
	pthread_t tid;
	bool joined;
	volatile sig_atomic_t stop;
	int64_t started_us;

	pthread_mutex_t mu; /* the fields below */
	enum qstate state;
	struct sl_progress *ring[PROGRESS_KEPT];
	uint32_t nring, head; /* head: where the next record goes */
	uint64_t batches, rows_in, rows_out, late, malformed, stall_ms;
	char error[1024];
	FILE *log; /* lines to the daemon's log, with the query's name */
	bool ended; /* the thread has returned (the main thread joins it) */
	int status; /* sl_engine_run's, once ended */
};

struct client {
	int fd;
	uint64_t serial; /* never reused, unlike fds */
	struct sl_strbuf in, out;
	bool closing; /* close once out is written */
	/* closing, out written, our side shut: what the peer still sends is
	 * read and dropped until it closes (at most SL_CTL_DRAIN bytes), so
	 * that closing with unread input does not reset the connection and
	 * lose the reply (request_too_large) */
	bool draining;
	uint64_t drained;
	time_t drain_until; /* CLOCK_MONOTONIC seconds: closed then at the latest */
	uid_t uid;
};

#define SL_CTL_DRAIN (64u << 20)

struct stop_wait { /* a stop request waiting for its query to end */
	struct stop_wait *next;
	uint64_t client; /* the client's serial; 0: it has gone */
	char *id_json; /* the request's id, encoded; NULL: none */
	struct query *q;
};

static struct {
	char socket_path[108];
	int listen_fd, sig_fd, ev_fd, metrics_fd;
	bool json_log;
	const char *log_file;
	uid_t allowed[64];
	uint32_t nallowed;
	gid_t group;
	bool have_group;
	struct sl_settings base;
	struct query *queries;
	struct client *clients[MAX_CLIENTS];
	uint32_t nclients;
	struct stop_wait *waits;
	uint64_t next_serial;
	pthread_mutex_t log_mu;
	bool quitting;
	/* foreground (sluice run): the queries' lines go to stderr as sluice
	 * run prints them, the server's own only when they are warnings or
	 * errors; the loop ends when every query has ended */
	bool foreground, stats, until_drained;
	bool have_socket;
	int status; /* foreground: the worst query's exit status */
} D = {.listen_fd = -1, .sig_fd = -1, .ev_fd = -1, .metrics_fd = -1,
       .log_mu = PTHREAD_MUTEX_INITIALIZER};

/* ------------------------------------------------------------------ */
/* the log: one line per event, time, level, query                      */

static void log_line(const char *level, const char *query, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void log_line(const char *level, const char *query, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (D.foreground) {
		if (strcmp(level, "info") != 0) {
			pthread_mutex_lock(&D.log_mu);
			fprintf(stderr, "sluice: %s: %s\n", strcmp(level, "error") == 0 ? "error" : "warning",
				msg);
			fflush(stderr);
			pthread_mutex_unlock(&D.log_mu);
		}
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char when[64];
	sl_format_iso_ms((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, when, sizeof(when));
	pthread_mutex_lock(&D.log_mu);
	if (D.json_log) {
		struct sl_strbuf b;
		sl_strbuf_init(&b);
		struct sl_jw w;
		sl_jw_init(&w, &b);
		sl_jw_obj_begin(&w);
		sl_jw_key(&w, "time");
		sl_jw_cstr(&w, when);
		sl_jw_key(&w, "level");
		sl_jw_cstr(&w, level);
		if (query != NULL) {
			sl_jw_key(&w, "query");
			sl_jw_cstr(&w, query);
		}
		sl_jw_key(&w, "msg");
		sl_jw_cstr(&w, msg);
		sl_jw_obj_end(&w);
		if (sl_jw_finish(&w) == 0)
			fprintf(stderr, "%s\n", b.ptr);
		sl_strbuf_free(&b);
	} else {
		fprintf(stderr, "%s %-5s %s%s%s\n", when, level, query ? query : "-", query ? ": " : " ",
			msg);
	}
	fflush(stderr);
	pthread_mutex_unlock(&D.log_mu);
}

/* A query's engine writes "sluice: ..." lines to its log FILE: each line
 * becomes a daemon log line; "sluice: error: ..." is also kept as the
 * query's error. */
struct qlog {
	struct query *q;
	char buf[4096];
	size_t len;
};

static void qlog_flush_line(struct qlog *l)
{
	l->buf[l->len] = '\0';
	if (D.foreground) {
		/* as sluice run has always printed them */
		pthread_mutex_lock(&D.log_mu);
		fprintf(stderr, "%s\n", l->buf);
		fflush(stderr);
		pthread_mutex_unlock(&D.log_mu);
	}
	const char *m = l->buf;
	if (strncmp(m, "sluice: ", 8) == 0)
		m += 8;
	const char *level = "info";
	if (strncmp(m, "error: ", 7) == 0) {
		level = "error";
		m += 7;
		pthread_mutex_lock(&l->q->mu);
		snprintf(l->q->error, sizeof(l->q->error), "%s", m);
		pthread_mutex_unlock(&l->q->mu);
	} else if (strstr(m, "warning") != NULL) {
		level = "warn";
	}
	if (*m != '\0' && !D.foreground)
		log_line(level, l->q->name, "%s", m);
	l->len = 0;
}

static ssize_t qlog_write(void *cookie, const char *p, size_t n)
{
	struct qlog *l = cookie;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' || l->len == sizeof(l->buf) - 1) {
			qlog_flush_line(l);
			if (p[i] == '\n')
				continue;
		}
		l->buf[l->len++] = p[i];
	}
	return (ssize_t)n;
}

static int qlog_close(void *cookie)
{
	struct qlog *l = cookie;
	if (l->len > 0)
		qlog_flush_line(l);
	free(l);
	return 0;
}

/* ------------------------------------------------------------------ */
/* queries                                                             */

static void on_progress(void *arg, const struct sl_progress *p)
{
	struct query *q = arg;
	struct sl_progress *copy = sl_progress_dup(p);
	pthread_mutex_lock(&q->mu);
	if (copy != NULL) {
		free(q->ring[q->head]);
		q->ring[q->head] = copy;
		q->head = (q->head + 1) % PROGRESS_KEPT;
		if (q->nring < PROGRESS_KEPT)
			q->nring++;
	}
	q->batches++;
	q->rows_in += p->num_input_rows;
	q->rows_out += p->sink_output_rows;
	q->late += p->state_rows_dropped_by_watermark;
	q->malformed += p->rows_malformed;
	for (uint32_t c = 0; c < p->ncores; c++)
		q->stall_ms += p->cores[c].stall_ms;
	pthread_mutex_unlock(&q->mu);
}

/* The newest progress record (caller holds q->mu); NULL: none. */
static const struct sl_progress *last_progress(const struct query *q)
{
	return q->nring ? q->ring[(q->head + PROGRESS_KEPT - 1) % PROGRESS_KEPT] : NULL;
}

static void *query_thread(void *arg)
{
	struct query *q = arg;
	char name[16];
	snprintf(name, sizeof(name), "sl-q-%.10s", q->name);
	pthread_setname_np(pthread_self(), name);
	struct sl_engine_opts o = {.out = stdout, .log = q->log, .stop = &q->stop,
				   .progress = on_progress, .progress_arg = q,
				   .run_id = q->run_id, .query_id = q->id, .stats = D.stats,
				   .until_drained = D.until_drained};
	int rc = sl_engine_run(q->plan, &o, NULL);
	fflush(q->log);
	pthread_mutex_lock(&q->mu);
	q->state = rc == 0 ? Q_STOPPED : Q_FAILED;
	q->status = rc;
	q->ended = true;
	pthread_mutex_unlock(&q->mu);
	log_line(rc == 0 ? "info" : "error", q->name, "query %s", rc == 0 ? "stopped" : "failed");
	uint64_t one = 1;
	ssize_t w = write(D.ev_fd, &one, sizeof(one));
	(void)w;
	return NULL;
}

static struct query *find_query(const char *name)
{
	for (struct query *q = D.queries; q != NULL; q = q->next)
		if (strcmp(q->name, name) == 0)
			return q;
	return NULL;
}

static void query_free(struct query *q)
{
	for (uint32_t i = 0; i < PROGRESS_KEPT; i++)
		free(q->ring[i]);
	sl_plan_free(q->plan);
	free(q->sql);
	free(q->file);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

/* ------------------------------------------------------------------ */
/* replies                                                             */

static void reply_begin(struct sl_jw *w, struct sl_strbuf *b, const struct sl_json *id, bool ok)
{
	sl_jw_init(w, b);
	sl_jw_obj_begin(w);
	if (id != NULL) {
		sl_jw_key(w, "id");
		sl_jw_value(w, id);
	}
	sl_jw_key(w, "ok");
	sl_jw_bool(w, ok);
}

static void client_send(struct client *c, struct sl_strbuf *b)
{
	if (sl_strbuf_append(&c->out, b->ptr ? b->ptr : "", b->len) < 0 ||
	    sl_strbuf_putc(&c->out, '\n') < 0)
		c->closing = true;
}

static void reply_error(struct client *c, const struct sl_json *id, const char *code,
			const char *msg, int64_t line, int64_t column)
{
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	struct sl_jw w;
	reply_begin(&w, &b, id, false);
	sl_jw_key(&w, "error");
	sl_jw_obj_begin(&w);
	sl_jw_key(&w, "code");
	sl_jw_cstr(&w, code);
	sl_jw_key(&w, "message");
	sl_jw_cstr(&w, msg);
	if (line > 0) {
		sl_jw_key(&w, "line");
		sl_jw_int(&w, line);
		sl_jw_key(&w, "column");
		sl_jw_int(&w, column);
	}
	sl_jw_obj_end(&w);
	sl_jw_obj_end(&w);
	if (sl_jw_finish(&w) == 0)
		client_send(c, &b);
	else
		c->closing = true;
	sl_strbuf_free(&b);
}

/* Closes the reply reply_begin opened, sends it (or says the daemon ran
 * out of memory), and frees its buffer. */
static void reply_end(struct client *c, const struct sl_json *id, struct sl_jw *w,
		      struct sl_strbuf *b)
{
	sl_jw_obj_end(w);
	if (sl_jw_finish(w) == 0)
		client_send(c, b);
	else
		reply_error(c, id, "internal", "out of memory", 0, 0);
	sl_strbuf_free(b);
}

/* Q of docs/control-protocol.md (caller holds q->mu). */
static void put_query(struct sl_jw *w, const struct query *q, bool detail)
{
	const struct sl_progress *p = last_progress(q);
	char t[64];
	sl_jw_obj_begin(w);
	sl_jw_key(w, "name");
	sl_jw_cstr(w, q->name);
	sl_jw_key(w, "id");
	sl_jw_cstr(w, p != NULL ? p->id : q->id);
	sl_jw_key(w, "runId");
	sl_jw_cstr(w, q->run_id);
	sl_jw_key(w, "state");
	sl_jw_cstr(w, qstate_name[q->state]);
	sl_jw_key(w, "batch");
	sl_jw_int(w, p != NULL ? (int64_t)p->batch_id : -1);
	sl_jw_key(w, "inputRowsPerSecond");
	sl_jw_double(w, p != NULL ? p->input_rows_per_second : 0);
	sl_jw_key(w, "processedRowsPerSecond");
	sl_jw_double(w, p != NULL ? p->processed_rows_per_second : 0);
	sl_jw_key(w, "late");
	sl_jw_uint(w, q->late);
	if (p != NULL && p->has_watermark) {
		sl_format_iso_ms(p->watermark_us, t, sizeof(t));
		sl_jw_key(w, "watermark");
		sl_jw_cstr(w, t);
	}
	sl_jw_key(w, "stateRows");
	sl_jw_uint(w, p != NULL && p->has_state ? p->state_rows_total : 0);
	sl_jw_key(w, "rowsIn");
	sl_jw_uint(w, q->rows_in);
	sl_format_iso_ms(q->started_us, t, sizeof(t));
	sl_jw_key(w, "startedAt");
	sl_jw_cstr(w, t);
	if (detail) {
		sl_jw_key(w, "error");
		if (q->error[0] != '\0')
			sl_jw_cstr(w, q->error);
		else
			sl_jw_null(w);
		sl_jw_key(w, "sql");
		sl_jw_cstr(w, q->sql);
		if (q->plan->sink.checkpoint[0] != '\0') {
			sl_jw_key(w, "checkpoint");
			sl_jw_cstr(w, q->plan->sink.checkpoint);
		}
		sl_jw_key(w, "lastProgress");
		struct sl_strbuf pj;
		sl_strbuf_init(&pj);
		if (p != NULL && sl_progress_json(p, &pj) == 0)
			sl_jw_raw(w, pj.ptr, pj.len);
		else
			sl_jw_null(w);
		sl_strbuf_free(&pj);
	}
	sl_jw_obj_end(w);
}

static void reply_query(struct client *c, const struct sl_json *id, struct query *q)
{
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	struct sl_jw w;
	reply_begin(&w, &b, id, true);
	sl_jw_key(&w, "query");
	pthread_mutex_lock(&q->mu);
	put_query(&w, q, true);
	pthread_mutex_unlock(&q->mu);
	reply_end(c, id, &w, &b);
}

/* ------------------------------------------------------------------ */
/* operations                                                          */

/* "line L, column C: ..." → L, C */
static void sql_position(const char *msg, int64_t *line, int64_t *col)
{
	long l = 0, c = 0;
	*line = *col = 0;
	if (sscanf(msg, "line %ld, column %ld", &l, &c) == 2) {
		*line = l;
		*col = c;
	}
}

/* sql_error, with the line and column of "line L, column C: ..." */
static void reply_sql_error(struct client *c, const struct sl_json *id, const char *err)
{
	int64_t l, col;
	sql_position(err, &l, &col);
	reply_error(c, id, "sql_error", err, l, col);
}

static int compile(const char *sql, struct sl_program **prog, char *err, size_t errlen)
{
	if (sl_sql_compile(sql, &D.base, prog, err, errlen) < 0)
		return -EINVAL;
	for (uint32_t i = 0; i < (*prog)->nplans; i++) {
		struct sl_plan *p = (*prog)->plans[i];
		if (sl_plan_check_runnable(p, err, errlen) < 0)
			return -EINVAL;
		char why[512];
		if (sl_engine_check_cores(&p->settings, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "query '%s': %s", p->sink.name, why);
			return -EINVAL;
		}
	}
	return 0;
}

/* Starts one query per plan of prog (taking the plans), answering in w's
 * "queries" array when w is not NULL. */
static void start_plans(struct sl_program *prog, const char *sql, const char *file,
			struct sl_jw *w)
{
	for (uint32_t i = 0; i < prog->nplans; i++) {
		struct sl_plan *plan = prog->plans[i];
		/* a finished query of the same name gives way */
		for (struct query **pp = &D.queries; *pp != NULL; pp = &(*pp)->next)
			if (strcmp((*pp)->name, plan->sink.name) == 0) {
				struct query *old = *pp;
				if (!old->joined)
					pthread_join(old->tid, NULL);
				*pp = old->next;
				query_free(old);
				break;
			}
		struct query *q = calloc(1, sizeof(*q));
		struct qlog *ql = calloc(1, sizeof(*ql));
		if (q == NULL || ql == NULL) {
			free(q);
			free(ql);
			log_line("error", NULL, "out of memory starting query '%s'", plan->sink.name);
			continue;
		}
		snprintf(q->name, sizeof(q->name), "%s", plan->sink.name);
		sl_random_hex(q->run_id);
		sl_random_hex(q->id);
		q->sql = sl_sql_redact_secrets(sql); /* shown by status: no secrets */
		q->file = strdup(file);
		q->plan = plan;
		prog->plans[i] = NULL;
		pthread_mutex_init(&q->mu, NULL);
		q->state = Q_ACTIVE;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		q->started_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		ql->q = q;
		cookie_io_functions_t io = {.write = qlog_write, .close = qlog_close};
		q->log = fopencookie(ql, "w", io);
		if (q->log == NULL) {
			free(ql);
			query_free(q);
			continue;
		}
		setvbuf(q->log, NULL, _IOLBF, 0);
		q->next = D.queries;
		D.queries = q;
		log_line("info", q->name, "query started from %s", file);
		if (pthread_create(&q->tid, NULL, query_thread, q) != 0) {
			q->state = Q_FAILED;
			q->status = 1;
			q->ended = true;
			q->joined = true;
			snprintf(q->error, sizeof(q->error), "cannot start the query's thread");
			log_line("error", q->name, "%s", q->error);
		}
		if (w == NULL)
			continue;
		sl_jw_obj_begin(w);
		sl_jw_key(w, "name");
		sl_jw_cstr(w, q->name);
		sl_jw_key(w, "id");
		sl_jw_cstr(w, q->id);
		sl_jw_key(w, "runId");
		sl_jw_cstr(w, q->run_id);
		sl_jw_obj_end(w);
	}
}

static void op_submit(struct client *c, const struct sl_json *req, const struct sl_json *id)
{
	const char *sql, *file = "submitted SQL";
	size_t len, flen;
	if (sl_json_get_str(req, "sql", &sql, &len) < 0) {
		reply_error(c, id, "bad_request", "submit needs \"sql\": the statements, as a string", 0,
			    0);
		return;
	}
	if (sl_json_get_str(req, "file", &file, &flen) < 0)
		file = "submitted SQL";
	struct sl_program *prog = NULL;
	char err[1024];
	if (compile(sql, &prog, err, sizeof(err)) < 0) {
		reply_sql_error(c, id, err);
		sl_program_free(prog);
		return;
	}
	if (prog->nplans == 0) {
		reply_error(c, id, "sql_error",
			    "no CREATE SINK statement, so there is no query to run; add one (see "
			    "docs/sql.md)",
			    0, 0);
		sl_program_free(prog);
		return;
	}
	for (uint32_t i = 0; i < prog->nplans; i++) {
		struct query *old = find_query(prog->plans[i]->sink.name);
		for (uint32_t j = 0; j < i && old == NULL; j++)
			if (strcmp(prog->plans[j]->sink.name, prog->plans[i]->sink.name) == 0)
				old = (struct query *)1;
		bool busy = false;
		if (old != NULL && old != (struct query *)1) {
			pthread_mutex_lock(&old->mu);
			busy = !old->ended;
			pthread_mutex_unlock(&old->mu);
		}
		if (busy || old == (struct query *)1) {
			snprintf(err, sizeof(err),
				 "a query named '%s' is running already; stop it first (sluicectl stop "
				 "%s) or name the sink otherwise",
				 prog->plans[i]->sink.name, prog->plans[i]->sink.name);
			reply_error(c, id, "duplicate_query", err, 0, 0);
			sl_program_free(prog);
			return;
		}
	}
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	struct sl_jw w;
	reply_begin(&w, &b, id, true);
	sl_jw_key(&w, "queries");
	sl_jw_arr_begin(&w);
	start_plans(prog, sql, file, &w);
	sl_jw_arr_end(&w);
	reply_end(c, id, &w, &b);
	sl_program_free(prog);
}

static void op_list(struct client *c, const struct sl_json *id)
{
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	struct sl_jw w;
	reply_begin(&w, &b, id, true);
	sl_jw_key(&w, "queries");
	sl_jw_arr_begin(&w);
	for (struct query *q = D.queries; q != NULL; q = q->next) {
		pthread_mutex_lock(&q->mu);
		put_query(&w, q, false);
		pthread_mutex_unlock(&q->mu);
	}
	sl_jw_arr_end(&w);
	reply_end(c, id, &w, &b);
}

static struct query *named_query(struct client *c, const struct sl_json *req,
				 const struct sl_json *id, const char *op)
{
	const char *name;
	size_t len;
	char err[512];
	if (sl_json_get_str(req, "name", &name, &len) < 0) {
		snprintf(err, sizeof(err), "%s needs \"name\": a query's name, as a string", op);
		reply_error(c, id, "bad_request", err, 0, 0);
		return NULL;
	}
	struct query *q = find_query(name);
	if (q == NULL) {
		struct sl_strbuf names;
		sl_strbuf_init(&names);
		for (struct query *x = D.queries; x != NULL; x = x->next) {
			if (names.len)
				sl_strbuf_puts(&names, ", ");
			sl_strbuf_puts(&names, x->name);
		}
		snprintf(err, sizeof(err), "no query named '%.200s' (queries: %.250s)", name,
			 names.len ? names.ptr : "none");
		sl_strbuf_free(&names);
		reply_error(c, id, "unknown_query", err, 0, 0);
	}
	return q;
}

static void op_progress(struct client *c, const struct sl_json *req, const struct sl_json *id)
{
	struct query *q = named_query(c, req, id, "progress");
	if (q == NULL)
		return;
	int64_t last = 1;
	if (sl_json_get(req, "last") != NULL &&
	    (sl_json_get_int(req, "last", &last) < 0 || last < 1)) {
		reply_error(c, id, "bad_request", "\"last\" must be a whole number from 1 to 100", 0, 0);
		return;
	}
	if (last > PROGRESS_KEPT)
		last = PROGRESS_KEPT;
	struct sl_strbuf b, pj;
	sl_strbuf_init(&b);
	sl_strbuf_init(&pj);
	struct sl_jw w;
	reply_begin(&w, &b, id, true);
	sl_jw_key(&w, "progress");
	sl_jw_arr_begin(&w);
	pthread_mutex_lock(&q->mu);
	uint32_t n = q->nring < (uint32_t)last ? q->nring : (uint32_t)last;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t at = (q->head + PROGRESS_KEPT - n + i) % PROGRESS_KEPT;
		sl_strbuf_reset(&pj);
		if (sl_progress_json(q->ring[at], &pj) == 0)
			sl_jw_raw(&w, pj.ptr, pj.len);
	}
	pthread_mutex_unlock(&q->mu);
	sl_jw_arr_end(&w);
	reply_end(c, id, &w, &b);
	sl_strbuf_free(&pj);
}

static void op_stop(struct client *c, const struct sl_json *req, const struct sl_json *id)
{
	struct query *q = named_query(c, req, id, "stop");
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	bool ended = q->ended;
	if (!ended && q->state == Q_ACTIVE)
		q->state = Q_STOPPING;
	pthread_mutex_unlock(&q->mu);
	if (ended) {
		reply_query(c, id, q);
		return;
	}
	q->stop = 1;
	log_line("info", q->name, "stop asked");
	struct stop_wait *sw = calloc(1, sizeof(*sw));
	if (sw == NULL) {
		reply_error(c, id, "internal", "out of memory", 0, 0);
		return;
	}
	sw->client = c->serial;
	sw->q = q;
	if (id != NULL) {
		struct sl_strbuf b;
		sl_strbuf_init(&b);
		struct sl_jw w;
		sl_jw_init(&w, &b);
		sl_jw_value(&w, id);
		if (sl_jw_finish(&w) == 0)
			sw->id_json = b.ptr;
		else
			sl_strbuf_free(&b);
	}
	sw->next = D.waits;
	D.waits = sw;
}

static void op_explain(struct client *c, const struct sl_json *req, const struct sl_json *id)
{
	const char *sql;
	size_t len;
	if (sl_json_get_str(req, "sql", &sql, &len) < 0) {
		reply_error(c, id, "bad_request", "explain needs \"sql\": the statements, as a string",
			    0, 0);
		return;
	}
	struct sl_program *prog = NULL;
	char err[1024];
	if (compile(sql, &prog, err, sizeof(err)) < 0) {
		reply_sql_error(c, id, err);
		sl_program_free(prog);
		return;
	}
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	struct sl_jw w;
	reply_begin(&w, &b, id, true);
	sl_jw_key(&w, "plans");
	sl_jw_arr_begin(&w);
	for (uint32_t i = 0; i < prog->nplans; i++) {
		char *t = sl_plan_explain(prog->plans[i]);
		sl_jw_obj_begin(&w);
		sl_jw_key(&w, "name");
		sl_jw_cstr(&w, prog->plans[i]->sink.name);
		sl_jw_key(&w, "text");
		sl_jw_cstr(&w, t != NULL ? t : "");
		sl_jw_obj_end(&w);
		free(t);
	}
	sl_jw_arr_end(&w);
	reply_end(c, id, &w, &b);
	sl_program_free(prog);
}

/* The Prometheus text of every query. */
static int metrics_text(struct sl_strbuf *out)
{
	uint32_t n = 0;
	for (struct query *q = D.queries; q != NULL; q = q->next)
		n++;
	struct sl_metrics_query *mq = calloc(n ? n : 1, sizeof(*mq));
	struct sl_progress *last = calloc(n ? n : 1, sizeof(*last));
	if (mq == NULL || last == NULL) {
		free(mq);
		free(last);
		return -ENOMEM;
	}
	uint32_t i = 0;
	for (struct query *q = D.queries; q != NULL; q = q->next, i++) {
		pthread_mutex_lock(&q->mu);
		const struct sl_progress *p = last_progress(q);
		if (p != NULL)
			last[i] = *p;
		mq[i] = (struct sl_metrics_query){
			.name = q->name, .state = qstate_name[q->state], .batches = q->batches,
			.input_rows = q->rows_in, .output_rows = q->rows_out, .late_rows = q->late,
			.malformed_rows = q->malformed, .stall_ms_total = q->stall_ms,
			.last = p != NULL ? &last[i] : NULL};
		pthread_mutex_unlock(&q->mu);
	}
	int rc = sl_metrics_format(mq, n, out);
	free(mq);
	free(last);
	return rc;
}

static void op_metrics(struct client *c, const struct sl_json *id)
{
	struct sl_strbuf text, b;
	sl_strbuf_init(&text);
	sl_strbuf_init(&b);
	if (metrics_text(&text) < 0) {
		reply_error(c, id, "internal", "out of memory", 0, 0);
	} else {
		struct sl_jw w;
		reply_begin(&w, &b, id, true);
		sl_jw_key(&w, "text");
		sl_jw_str(&w, text.ptr ? text.ptr : "", text.len);
		reply_end(c, id, &w, &b);
	}
	sl_strbuf_free(&text);
	sl_strbuf_free(&b);
}

static void handle_line(struct client *c, const char *line, size_t len)
{
	struct sl_json_doc *doc = NULL;
	char err[512];
	if (sl_json_parse(line, len, &doc, err, sizeof(err)) < 0) {
		char msg[640];
		snprintf(msg, sizeof(msg), "the request is not JSON: %s", err);
		reply_error(c, NULL, "bad_json", msg, 0, 0);
		return;
	}
	const struct sl_json *req = sl_json_root(doc);
	const struct sl_json *id = NULL;
	if (sl_json_kind(req) != SL_JSON_OBJECT) {
		reply_error(c, NULL, "bad_request", "a request is a JSON object with an \"op\"", 0, 0);
		goto out;
	}
	id = sl_json_get(req, "id");
	const char *op;
	size_t oplen;
	if (sl_json_get_str(req, "op", &op, &oplen) < 0) {
		reply_error(c, id, "bad_request", "a request needs \"op\", a string", 0, 0);
		goto out;
	}
	if (strcmp(op, "submit") == 0)
		op_submit(c, req, id);
	else if (strcmp(op, "list") == 0)
		op_list(c, id);
	else if (strcmp(op, "status") == 0) {
		struct query *q = named_query(c, req, id, "status");
		if (q != NULL)
			reply_query(c, id, q);
	} else if (strcmp(op, "progress") == 0)
		op_progress(c, req, id);
	else if (strcmp(op, "stop") == 0)
		op_stop(c, req, id);
	else if (strcmp(op, "explain") == 0)
		op_explain(c, req, id);
	else if (strcmp(op, "metrics") == 0)
		op_metrics(c, id);
	else {
		char msg[400];
		snprintf(msg, sizeof(msg),
			 "unknown op '%.200s' (ops: submit, list, status, progress, stop, explain, "
			 "metrics)",
			 op);
		reply_error(c, id, "unknown_op", msg, 0, 0);
	}
out:
	sl_json_free(doc);
}

/* ------------------------------------------------------------------ */
/* connections                                                         */

static void client_close(uint32_t i)
{
	struct client *c = D.clients[i];
	for (struct stop_wait *sw = D.waits; sw != NULL; sw = sw->next)
		if (sw->client == c->serial)
			sw->client = 0; /* the query still stops; nobody to tell */
	close(c->fd);
	sl_strbuf_free(&c->in);
	sl_strbuf_free(&c->out);
	free(c);
	D.clients[i] = D.clients[--D.nclients];
}

static bool uid_allowed(uid_t uid)
{
	if (uid == geteuid())
		return true;
	for (uint32_t i = 0; i < D.nallowed; i++)
		if (D.allowed[i] == uid)
			return true;
	return false;
}

static void accept_clients(void)
{
	for (;;) {
		int fd = accept4(D.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || !uid_allowed(cred.uid)) {
			static const char msg[] =
				"{\"ok\":false,\"error\":{\"code\":\"refused\",\"message\":\"this uid may "
				"not control sluiced (--allow-uid)\"}}\n";
			ssize_t w = write(fd, msg, sizeof(msg) - 1);
			(void)w;
			log_line("warn", NULL, "refused a connection from uid %ld", (long)cred.uid);
			close(fd);
			continue;
		}
		if (D.nclients == MAX_CLIENTS) {
			static const char msg[] =
				"{\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"too many "
				"connections\"}}\n";
			ssize_t w = write(fd, msg, sizeof(msg) - 1);
			(void)w;
			close(fd);
			continue;
		}
		struct client *c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->serial = ++D.next_serial;
		c->uid = cred.uid;
		D.clients[D.nclients++] = c;
	}
}

/* Reads what the client sent; answers whole lines. False: close it. */
static bool client_read(struct client *c)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(c->fd, buf, sizeof(buf));
		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (c->draining || c->closing) {
			c->drained += (uint64_t)n;
			if (c->drained > SL_CTL_DRAIN)
				return false;
			continue;
		}
		size_t start = 0;
		for (size_t i = 0; i < (size_t)n; i++) {
			if (buf[i] != '\n')
				continue;
			if (c->in.len + (i - start) > SL_CTL_MAX_LINE)
				goto too_large;
			if (sl_strbuf_append(&c->in, buf + start, i - start) < 0)
				return false;
			if (c->in.len > 0 && c->in.ptr[c->in.len - 1] == '\r')
				c->in.len--;
			if (c->in.len > 0)
				handle_line(c, c->in.ptr, c->in.len);
			sl_strbuf_reset(&c->in);
			start = i + 1;
		}
		if (c->in.len + ((size_t)n - start) > SL_CTL_MAX_LINE)
			goto too_large;
		if (sl_strbuf_append(&c->in, buf + start, (size_t)n - start) < 0)
			return false;
	}
too_large:
	reply_error(c, NULL, "request_too_large",
		    "a request line may hold at most 1 MiB (1048576 bytes); the connection is closed",
		    0, 0);
	c->closing = true;
	sl_strbuf_free(&c->in);
	return true;
}

static bool client_write(struct client *c)
{
	size_t off = 0;
	while (off < c->out.len) {
		ssize_t n = write(c->fd, c->out.ptr + off, c->out.len - off);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return false;
		}
		off += (size_t)n;
	}
	if (off > 0) {
		memmove(c->out.ptr, c->out.ptr + off, c->out.len - off);
		c->out.len -= off;
	}
	if (c->closing && c->out.len == 0 && !c->draining) {
		/* everything said: the peer sees the end, reads the reply,
		 * closes; its unread bytes are drained meanwhile */
		shutdown(c->fd, SHUT_WR);
		c->draining = true;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		c->drain_until = now.tv_sec + 5;
	}
	return true;
}

/* --metrics-listen: one HTTP/1.0 GET /metrics per connection. */
static void serve_metrics(void)
{
	int fd = accept4(D.metrics_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct timeval tv = {2, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	char req[4096];
	size_t got = 0;
	while (got < sizeof(req) - 1) {
		ssize_t n = read(fd, req + got, sizeof(req) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
			break;
	}
	req[got] = '\0';
	struct sl_strbuf body, resp;
	sl_strbuf_init(&body);
	sl_strbuf_init(&resp);
	char head[256];
	if (strncmp(req, "GET /metrics ", 13) == 0 || strncmp(req, "GET /metrics\r", 13) == 0) {
		if (metrics_text(&body) < 0)
			sl_strbuf_reset(&body);
		snprintf(head, sizeof(head),
			 "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 body.len);
	} else {
		sl_strbuf_puts(&body, "sluiced serves /metrics only\n");
		snprintf(head, sizeof(head),
			 "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 body.len);
	}
	sl_strbuf_puts(&resp, head);
	sl_strbuf_append(&resp, body.ptr ? body.ptr : "", body.len);
	size_t off = 0;
	while (off < resp.len) {
		ssize_t n = write(fd, resp.ptr + off, resp.len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	sl_strbuf_free(&body);
	sl_strbuf_free(&resp);
}

/* Queries whose thread has ended: join them, answer their stop requests. */
static void reap_queries(void)
{
	uint64_t v;
	ssize_t r = read(D.ev_fd, &v, sizeof(v));
	(void)r;
	for (struct query *q = D.queries; q != NULL; q = q->next) {
		pthread_mutex_lock(&q->mu);
		bool ended = q->ended;
		pthread_mutex_unlock(&q->mu);
		if (ended && !q->joined) {
			pthread_join(q->tid, NULL);
			q->joined = true;
			fclose(q->log);
			q->log = NULL;
		}
	}
	for (struct stop_wait **pp = &D.waits; *pp != NULL;) {
		struct stop_wait *sw = *pp;
		if (!sw->q->joined) {
			pp = &sw->next;
			continue;
		}
		for (uint32_t i = 0; sw->client != 0 && i < D.nclients; i++) {
			if (D.clients[i]->serial != sw->client)
				continue;
			struct sl_json_doc *doc = NULL;
			char err[64];
			const struct sl_json *id = NULL;
			if (sw->id_json != NULL &&
			    sl_json_parse(sw->id_json, strlen(sw->id_json), &doc, err, sizeof(err)) == 0)
				id = sl_json_root(doc);
			reply_query(D.clients[i], id, sw->q);
			sl_json_free(doc);
		}
		*pp = sw->next;
		free(sw->id_json);
		free(sw);
	}
}

/* ------------------------------------------------------------------ */
/* start-up                                                            */

static int make_socket_dir(const char *path)
{
	char dir[108];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int listen_unix(char *err, size_t errlen)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(D.socket_path) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long (at most %zu bytes)", D.socket_path,
			 sizeof(a.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(a.sun_path, D.socket_path, strlen(D.socket_path) + 1);
	int rc = make_socket_dir(D.socket_path);
	if (rc < 0) {
		snprintf(err, errlen, "cannot make the directory of %s: %s", D.socket_path,
			 strerror(-rc));
		return rc;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	mode_t old = umask(D.have_group ? 0117 : 0177);
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	if (rc < 0 && errno == EADDRINUSE) {
		/* a live daemon answers; a stale socket of a crashed one does not */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live = probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			umask(old);
			close(fd);
			snprintf(err, errlen,
				 "another sluiced is running on %s; stop it first, or give this one "
				 "another --socket",
				 D.socket_path);
			return -EADDRINUSE;
		}
		log_line("warn", NULL, "taking over the stale socket %s (its daemon is gone)",
			 D.socket_path);
		unlink(D.socket_path);
		rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	}
	umask(old);
	if (rc < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", D.socket_path, strerror(errno));
		close(fd);
		return -errno;
	}
	if (D.have_group && chown(D.socket_path, (uid_t)-1, D.group) < 0)
		log_line("warn", NULL, "cannot give %s to the group: %s", D.socket_path,
			 strerror(errno));
	D.listen_fd = fd;
	return 0;
}

static int listen_metrics(const char *spec, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host)) {
		snprintf(err, errlen, "--metrics-listen takes HOST:PORT, e.g. 127.0.0.1:9464, not '%s'",
			 spec);
		return -EINVAL;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (*end != '\0' || port < 0 || port > 65535 || inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		snprintf(err, errlen, "--metrics-listen takes HOST:PORT with an IPv4 address, e.g. "
			 "127.0.0.1:9464, not '%s'", spec);
		return -EINVAL;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	socklen_t al = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &al);
	log_line("info", NULL, "metrics at http://%s:%u/metrics", host, ntohs(a.sin_port));
	D.metrics_fd = fd;
	return 0;
}

static void reopen_log(void)
{
	if (D.log_file == NULL)
		return;
	pthread_mutex_lock(&D.log_mu);
	FILE *f = freopen(D.log_file, "a", stderr);
	pthread_mutex_unlock(&D.log_mu);
	if (f == NULL)
		exit(1); /* nowhere left to say so */
}

int sl_ctl_server_open(const struct sl_ctl_server_opts *o, char *err, size_t errlen)
{
	snprintf(D.socket_path, sizeof(D.socket_path), "%s", o->socket_path ? o->socket_path : "");
	D.json_log = o->json_log;
	D.log_file = o->log_file;
	for (uint32_t i = 0; i < o->nallowed && i < 64; i++)
		D.allowed[D.nallowed++] = o->allowed[i];
	D.have_group = o->have_group;
	D.group = o->group;
	D.base = *o->base;
	D.foreground = o->foreground;
	D.stats = o->stats;
	D.until_drained = o->until_drained;

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL); /* query threads inherit it */
	signal(SIGPIPE, SIG_IGN);
	if (D.sig_fd < 0) /* opened again after a failure: once is enough */
		D.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (D.ev_fd < 0)
		D.ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (D.sig_fd < 0 || D.ev_fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -errno;
	}
	if (D.socket_path[0] != '\0') {
		int rc = listen_unix(err, errlen);
		if (rc < 0)
			return rc;
		D.have_socket = true;
	}
	if (o->metrics_listen != NULL) {
		int rc = listen_metrics(o->metrics_listen, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (D.have_socket)
		log_line("info", NULL, "sluiced %s listening on %s", SL_VERSION, D.socket_path);
	return 0;
}

void sl_ctl_server_start(struct sl_program *prog, const char *sql, const char *file)
{
	start_plans(prog, sql, file, NULL);
}

int sl_ctl_server_run(void)
{
	struct pollfd *pfd = calloc(MAX_CLIENTS + 4, sizeof(*pfd));
	if (pfd == NULL)
		return 1;
	bool stopping_all = false;
	for (;;) {
		if (D.foreground) {
			/* sluice run: done when every query has ended */
			bool all = true;
			for (struct query *q = D.queries; q != NULL; q = q->next)
				all = all && q->joined;
			if (all)
				break;
		}
		uint32_t np = 0;
		pfd[np++] = (struct pollfd){.fd = D.sig_fd, .events = POLLIN};
		pfd[np++] = (struct pollfd){.fd = D.ev_fd, .events = POLLIN};
		pfd[np++] = (struct pollfd){.fd = stopping_all ? -1 : D.listen_fd, .events = POLLIN};
		pfd[np++] = (struct pollfd){.fd = D.metrics_fd, .events = POLLIN};
		bool draining = false;
		struct timespec mono;
		clock_gettime(CLOCK_MONOTONIC, &mono);
		for (uint32_t i = D.nclients; i-- > 0;) {
			struct client *c = D.clients[i];
			if (c->draining && mono.tv_sec >= c->drain_until) {
				client_close(i); /* a peer that never closes */
				continue;
			}
			draining |= c->draining;
		}
		for (uint32_t i = 0; i < D.nclients; i++)
			pfd[np++] = (struct pollfd){
				.fd = D.clients[i]->fd,
				.events = (short)((D.clients[i]->closing && !D.clients[i]->draining
							   ? 0
							   : POLLIN) |
						  (D.clients[i]->out.len ? POLLOUT : 0))};
		uint32_t nc = D.nclients;
		if (poll(pfd, np, stopping_all ? 100 : draining ? 1000 : -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(D.sig_fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP && !D.foreground) {
					reopen_log();
					log_line("info", NULL, "log reopened");
				} else if (!stopping_all) {
					log_line("info", NULL, "%s: stopping every query",
						 strsignal((int)si.ssi_signo));
					stopping_all = true;
					for (struct query *q = D.queries; q != NULL; q = q->next)
						q->stop = 1;
				} else if (D.foreground) {
					/* a second interrupt: leave at once, as sluice run does */
					for (struct query *q = D.queries; q != NULL; q = q->next)
						q->stop = 2;
				}
			}
		}
		if (pfd[1].revents & POLLIN)
			reap_queries();
		if (pfd[2].revents & POLLIN)
			accept_clients();
		if (pfd[3].revents & POLLIN)
			serve_metrics();
		/* the clients polled (new ones wait for the next round) */
		for (uint32_t i = nc; i-- > 0;) {
			struct pollfd *p = &pfd[4 + i];
			struct client *c = D.clients[i];
			if (p->fd != c->fd)
				continue;
			bool keep = true;
			if (p->revents & POLLIN)
				keep = client_read(c);
			if (keep && (p->revents & (POLLOUT | POLLIN)))
				keep = client_write(c);
			if (p->revents & (POLLERR | POLLHUP | POLLNVAL) && !(p->revents & POLLIN))
				keep = false;
			if (!keep)
				client_close(i);
		}
		if (stopping_all && !D.foreground) {
			bool all = true;
			for (struct query *q = D.queries; q != NULL; q = q->next)
				all = all && q->joined;
			if (all)
				break;
		}
	}
	free(pfd);
	int status = 0;
	for (struct query *q = D.queries; q != NULL; q = q->next)
		if (q->joined && q->status > status)
			status = q->status;
	return status;
}

void sl_ctl_server_close(void)
{
	for (uint32_t i = D.nclients; i-- > 0;) {
		client_write(D.clients[i]);
		client_close(i);
	}
	while (D.queries != NULL) {
		struct query *q = D.queries;
		D.queries = q->next;
		if (!q->joined) {
			q->stop = 2;
			pthread_join(q->tid, NULL);
			if (q->log != NULL)
				fclose(q->log);
		}
		query_free(q);
	}
	while (D.waits != NULL) {
		struct stop_wait *sw = D.waits;
		D.waits = sw->next;
		free(sw->id_json);
		free(sw);
	}
	if (D.listen_fd >= 0) {
		close(D.listen_fd);
		unlink(D.socket_path);
	}
	if (D.metrics_fd >= 0)
		close(D.metrics_fd);
	if (D.have_socket)
		log_line("info", NULL, "sluiced stopped");
}
