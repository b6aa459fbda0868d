/*
 * sluicectl.c — the `sluicectl` command: a client of sluiced's control
 * socket (docs/control-protocol.md is the contract, docs/operations.md the
 * manual). One request line, one reply line, then a table for people or
 * the reply's payload for scripts (--json); `top` asks every second and
 * draws a live view with plain ANSI escapes.
 *
 * Exit status: 0 done, 1 the daemon said no (its message on stderr), 2 a
 * bad command line or an unreadable file, 3 the daemon cannot be reached
 * (or did not answer, or answered something that is not the protocol).
 *
 * Signals: the one-shot commands keep the default dispositions (Ctrl-C
 * ends them; the daemon drops an unfinished request). `top` blocks SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT, SIGWINCH and SIGTSTP and takes them only
 * inside ppoll, so that a signal never lands between a check and a wait,
 * and the terminal is always put back before the process ends or stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctl_format.h"
#include "ctl_path.h"
#include "format.h"
#include "json.h"
#include "sl_config.h"

enum {
	EXIT_DONE = 0,
	EXIT_NO = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

/* The daemon reads request lines of at most 1 MiB, the newline included
 * (docs/control-protocol.md, Framing). */
#define REQUEST_MAX ((size_t)1 << 20)
/* The longest reply line read; a longer one is a daemon gone wrong. */
#define REPLY_MAX ((size_t)64 << 20)
/* Seconds to wait for the daemon, connecting and for each reply, unless
 * --timeout says otherwise (`stop` waits for as long as the batch takes). */
#define DEFAULT_TIMEOUT_S 30.0
/* How many characters of a query's id and run id `submit` shows. */
#define SHORT_ID 8

static const char usage_text[] =
	"usage: sluicectl [--socket PATH] [--json] [--timeout SECONDS] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  submit FILE.sql          start the queries of FILE (- reads standard input)\n"
	"  list                     every query: state, batch, rates, watermark, state rows\n"
	"  status NAME              one query in detail\n"
	"  progress NAME [--last N] its last N progress records (default 1, at most 100)\n"
	"  stop NAME                finish the current batch, write the checkpoint, stop\n"
	"  explain FILE.sql         the plan of each query in FILE, nothing started (- as above)\n"
	"  metrics                  the Prometheus text that --metrics-listen serves\n"
	"  top [--once] [--interval SECONDS]\n"
	"                           a live view, refreshed every second; q quits\n"
	"\n"
	"options:\n"
	"  --socket PATH      sluiced's control socket; else $SLUICE_SOCKET, else\n"
	"                     $XDG_RUNTIME_DIR/sluice/ctl.sock, else /tmp/sluice-UID/ctl.sock\n"
	"  --json             print the reply's payload as JSON (progress: a record a line)\n"
	"  --timeout SECONDS  how long to wait for the daemon (default 30; stop: no limit)\n"
	"  --once             top: print one frame and exit (also when not on a terminal)\n"
	"  --interval SECONDS top: the refresh period (default 1)\n"
	"  -h, --help         this text       --version  the version\n"
	"\n"
	"exit status: 0 done, 1 the daemon said no, 2 bad command line,\n"
	"3 cannot reach the daemon\n";

struct opts {
	const char *socket_opt; /* --socket, or NULL */
	char socket[SL_CTL_PATH_MAX];
	bool json;
	bool once;
	bool timeout_given;
	double timeout_s;
	double interval_s;
	int64_t last; /* --last, 0 when not given */
	const char *cmd;
	const char *arg; /* FILE or NAME */
};

static int usage_error(const char *fmt, const char *arg)
{
	fputs("sluicectl: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n\n", stderr);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ms from now until deadline (-1: none), for poll; never negative. */
static int ms_left(int64_t deadline)
{
	if (deadline < 0)
		return -1;
	int64_t left = deadline - now_ms();
	return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

static int64_t deadline_after(double seconds)
{
	if (seconds <= 0)
		return -1;
	return now_ms() + (int64_t)(seconds * 1000.0);
}

/* --- waiting, and the signals top takes --- */

/* What ppoll unblocks: the mask the process started with. top blocks its
 * signals everywhere else (see the top of the file). */
static sigset_t wait_mask;
/* sig_quit: the signal that ends top, or -1 for the q key */
static volatile sig_atomic_t sig_quit, sig_winch, sig_tstp;

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		sig_winch = 1;
	else if (sig == SIGTSTP)
		sig_tstp = 1;
	else
		sig_quit = sig;
}

/* poll, interruptible by top's signals: >0 ready, 0 timed out, -EINTR
 * (a signal: the caller looks at the flags), or another -errno. */
static int wait_fds(struct pollfd *pfd, nfds_t n, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	int rc = ppoll(pfd, n, tsp, &wait_mask);
	return rc < 0 ? -errno : rc;
}

/* --- the connection --- */

/* One connection to the daemon. Owned by its command; buf holds what was
 * read and not yet returned as a line (from pos to len). */
struct conn {
	int fd;
	const char *path;
	char *buf;
	size_t pos, len, cap;
	size_t scanned; /* bytes after pos known to hold no '\n' */
};

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->pos = c->len = c->cap = c->scanned = 0;
}

/* 0, or -errno (-ETIMEDOUT when the daemon's backlog stayed full). */
static int conn_open(struct conn *c, const char *path, int64_t deadline)
{
	*c = (struct conn){.fd = -1, .path = path};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		int e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN) {
			/* a Unix socket's backlog is full: try again shortly */
			if (deadline >= 0 && now_ms() >= deadline) {
				close(fd);
				return -ETIMEDOUT;
			}
			struct timespec pause = {.tv_nsec = 10 * 1000000L};
			nanosleep(&pause, NULL);
			continue;
		}
		if (e != EINPROGRESS) {
			close(fd);
			return -e;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int rc = wait_fds(&pfd, 1, ms_left(deadline));
		if (rc <= 0) {
			close(fd);
			return rc == 0 ? -ETIMEDOUT : rc;
		}
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr != 0) {
			close(fd);
			return -soerr;
		}
		break;
	}
	c->fd = fd;
	return 0;
}

static int conn_send(struct conn *c, const char *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -errno;
		struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
		int rc = wait_fds(&pfd, 1, ms_left(deadline));
		if (rc <= 0)
			return rc == 0 ? -ETIMEDOUT : rc;
	}
	return 0;
}

/* The next line (without its '\n'; NUL-terminated in place), valid until
 * the next call. 0; -ETIMEDOUT; -EPIPE (the daemon closed the connection
 * first); -EMSGSIZE (over REPLY_MAX); -EINTR (a signal, in top); -errno. */
static int conn_read_line(struct conn *c, int64_t deadline, char **line, size_t *len)
{
	for (;;) {
		char *nl = c->buf == NULL ? NULL
					  : memchr(c->buf + c->pos + c->scanned, '\n',
						   c->len - c->pos - c->scanned);
		if (nl != NULL) {
			*line = c->buf + c->pos;
			*len = (size_t)(nl - *line);
			*nl = '\0';
			c->pos += *len + 1;
			c->scanned = 0;
			return 0;
		}
		c->scanned = c->len - c->pos;
		if (c->scanned > REPLY_MAX)
			return -EMSGSIZE;
		if (c->pos > 0) { /* keep the unread part at the front */
			memmove(c->buf, c->buf + c->pos, c->len - c->pos);
			c->len -= c->pos;
			c->pos = 0;
		}
		if (c->cap - c->len < 65536) {
			size_t cap = c->cap == 0 ? 131072 : c->cap * 2;
			char *nb = realloc(c->buf, cap);
			if (nb == NULL)
				return -ENOMEM;
			c->buf = nb;
			c->cap = cap;
		}
		ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (r > 0) {
			c->len += (size_t)r;
			continue;
		}
		if (r == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int rc = wait_fds(&pfd, 1, ms_left(deadline));
		if (rc <= 0)
			return rc == 0 ? -ETIMEDOUT : rc;
	}
}

/* --- requests and replies --- */

/* A reply, checked: ok, and for ok:false the parsed error object. text
 * points into the connection's buffer. */
struct reply {
	char *text;
	size_t len;
	bool ok;
	struct sl_json_doc *err; /* ok:false: the error object */
};

static void reply_free(struct reply *r)
{
	sl_json_free(r->err);
	r->err = NULL;
}

/* Why a reply could not be had, in words, for "cannot reach sluiced". */
static void say_unreachable(const char *path, int rc, double timeout_s)
{
	if (rc == -ETIMEDOUT && timeout_s > 0)
		fprintf(stderr,
			"sluicectl: no reply from sluiced at %s within %g s (--timeout sets how long "
			"to wait)\n",
			path, timeout_s);
	else if (rc == -EPIPE)
		fprintf(stderr, "sluicectl: sluiced at %s closed the connection before replying\n",
			path);
	else if (rc == -EMSGSIZE)
		fprintf(stderr, "sluicectl: a reply from sluiced at %s is over %zu MiB\n", path,
			REPLY_MAX >> 20);
	else
		fprintf(stderr, "sluicectl: lost sluiced at %s: %s\n", path, strerror(-rc));
}

static void say_cannot_connect(const char *path, int rc)
{
	fprintf(stderr,
		"sluicectl: cannot reach sluiced at %s: %s; start it with `sluiced --socket %s`\n",
		path, strerror(-rc), path);
}

/* Checks a reply line: a JSON object with "ok" true or false, the id we
 * sent (when it carries one), and for ok:false an "error" object. 0, or
 * -EPROTO with the reason in why. */
static int reply_parse(char *text, size_t len, int64_t id, struct reply *r, char *why,
		       size_t whylen)
{
	*r = (struct reply){.text = text, .len = len};
	const char *v;
	size_t vlen;
	int rc = sl_ctl_skim_get(text, len, "ok", &v, &vlen);
	if (rc < 0) {
		snprintf(why, whylen, rc == -ENOENT ? "no \"ok\" member" : "not a JSON object");
		return -EPROTO;
	}
	if (vlen == 4 && memcmp(v, "true", 4) == 0)
		r->ok = true;
	else if (!(vlen == 5 && memcmp(v, "false", 5) == 0)) {
		snprintf(why, whylen, "\"ok\" is neither true nor false");
		return -EPROTO;
	}
	if (r->ok && sl_ctl_skim_get(text, len, "id", &v, &vlen) == 0) {
		char want[32];
		int n = snprintf(want, sizeof(want), "%" PRId64, id);
		if ((size_t)n != vlen || memcmp(v, want, vlen) != 0) {
			snprintf(why, whylen, "the reply to request %" PRId64 " carries another id",
				 id);
			return -EPROTO;
		}
	}
	if (!r->ok) {
		char err[128];
		if (sl_ctl_skim_get(text, len, "error", &v, &vlen) < 0 ||
		    sl_json_parse(v, vlen, &r->err, err, sizeof(err)) < 0 ||
		    sl_json_kind(sl_json_root(r->err)) != SL_JSON_OBJECT) {
			reply_free(r);
			snprintf(why, whylen, "\"ok\" is false without an \"error\" object");
			return -EPROTO;
		}
	}
	return 0;
}

static int say_bad_reply(const char *path, const char *why)
{
	fprintf(stderr,
		"sluicectl: sluiced at %s answered something that is not the control protocol: "
		"%s\n",
		path, why);
	return EXIT_UNREACHABLE;
}

/* The member "line" or "column" of a sql_error, in the error object or
 * beside it. */
static bool error_pos(const struct reply *r, const char *key, int64_t *out)
{
	if (sl_json_get_int(sl_json_root(r->err), key, out) == 0)
		return true;
	const char *v;
	size_t vlen;
	struct sl_json_doc *d = NULL;
	char err[64];
	bool found = false;
	if (sl_ctl_skim_get(r->text, r->len, key, &v, &vlen) == 0 &&
	    sl_json_parse(v, vlen, &d, err, sizeof(err)) == 0)
		found = sl_json_int(sl_json_root(d), out) == 0;
	sl_json_free(d);
	return found;
}

/* The daemon said no: its message on stderr ("FILE:LINE:COLUMN: message"
 * for SQL), and with --json the error object on stdout as well. */
static int say_no(const struct opts *o, const struct reply *r, const char *file)
{
	const struct sl_json *e = sl_json_root(r->err);
	const char *code = NULL, *msg = NULL;
	size_t mlen = 0;
	sl_json_get_str(e, "code", &code, NULL);
	if (sl_json_get_str(e, "message", &msg, &mlen) < 0) {
		msg = code != NULL ? code : "the daemon refused without saying why";
		mlen = strlen(msg);
	}
	int64_t line, col;
	if (code != NULL && strcmp(code, "sql_error") == 0 && file != NULL &&
	    error_pos(r, "line", &line) && error_pos(r, "column", &col)) {
		/* the daemon's message may say where already: say it once */
		size_t fl = strlen(file);
		if (mlen > fl + 2 && memcmp(msg, file, fl) == 0 && msg[fl] == ':' &&
		    msg[fl + 1] == ' ') {
			msg += fl + 2;
			mlen -= fl + 2;
		}
		int skip = 0;
		long l2, c2;
		if (sscanf(msg, "line %ld, column %ld: %n", &l2, &c2, &skip) == 2 && skip > 0) {
			msg += skip;
			mlen -= (size_t)skip;
		}
		fprintf(stderr, "sluicectl: %s:%" PRId64 ":%" PRId64 ": %.*s\n", file, line, col,
			(int)mlen, msg);
	} else {
		fprintf(stderr, "sluicectl: %.*s\n", (int)mlen, msg);
	}
	if (o->json) {
		const char *v;
		size_t vlen;
		if (sl_ctl_skim_get(r->text, r->len, "error", &v, &vlen) == 0)
			printf("%.*s\n", (int)vlen, v);
	}
	return EXIT_NO;
}

/* Writes the request line: {"op":OP,"id":ID, then the caller's members}.
 * The caller adds its members with w and ends with request_end. */
static void request_begin(struct sl_jw *w, struct sl_strbuf *sb, const char *op, int64_t id)
{
	sl_strbuf_reset(sb);
	sl_jw_init(w, sb);
	sl_jw_obj_begin(w);
	sl_jw_key(w, "op");
	sl_jw_cstr(w, op);
	sl_jw_key(w, "id");
	sl_jw_int(w, id);
}

static int request_end(struct sl_jw *w, struct sl_strbuf *sb)
{
	sl_jw_obj_end(w);
	int rc = sl_jw_finish(w);
	if (rc == 0)
		rc = sl_strbuf_putc(sb, '\n');
	return rc;
}

/* One exchange for a one-shot command: connect, send, read, check. Returns
 * EXIT_DONE with *r (r->ok may be false), or the exit status after saying
 * what went wrong. */
static int exchange(const struct opts *o, struct conn *c, const struct sl_strbuf *req,
		    double reply_timeout_s, struct reply *r)
{
	if (req->len > REQUEST_MAX) {
		fprintf(stderr,
			"sluicectl: the request is %zu bytes; sluiced reads lines of at most %zu "
			"(1 MiB)\n",
			req->len, REQUEST_MAX);
		return EXIT_USAGE;
	}
	int rc = conn_open(c, o->socket, deadline_after(o->timeout_s));
	if (rc < 0) {
		say_cannot_connect(o->socket, rc);
		return EXIT_UNREACHABLE;
	}
	int64_t deadline = deadline_after(reply_timeout_s);
	int src = conn_send(c, req->ptr, req->len, deadline);
	char *line = NULL;
	size_t len = 0;
	/* a refused peer gets one error line and the door, perhaps before
	 * the request is sent: the line is still there to read */
	rc = src == 0 || src == -EPIPE || src == -ECONNRESET
		     ? conn_read_line(c, deadline, &line, &len)
		     : src;
	if (rc < 0) {
		if (rc == -ECONNRESET)
			rc = -EPIPE;
		say_unreachable(o->socket, src < 0 && rc == -EPIPE ? src : rc, reply_timeout_s);
		return EXIT_UNREACHABLE;
	}
	char why[160];
	if (reply_parse(line, len, 1, r, why, sizeof(why)) < 0)
		return say_bad_reply(o->socket, why);
	return EXIT_DONE;
}

/* A piece of a reply, parsed: 0, or -1 after saying why. */
static int parse_piece(const struct opts *o, const char *text, size_t len,
		       struct sl_json_doc **doc, enum sl_json_kind want)
{
	char err[160];
	int rc = sl_json_parse(text, len, doc, err, sizeof(err));
	if (rc == 0 && sl_json_kind(sl_json_root(*doc)) == want)
		return 0;
	if (rc == 0) {
		sl_json_free(*doc);
		*doc = NULL;
		snprintf(err, sizeof(err), "a member is of the wrong kind");
	} else if (rc == -E2BIG) {
		snprintf(err + strlen(err), sizeof(err) - strlen(err),
			 " (too large to show here: --json prints it)");
	}
	say_bad_reply(o->socket, err);
	return -1;
}

/* The payload member of an ok reply: 0 or -1 after saying why. */
static int payload(const struct opts *o, const struct reply *r, const char *key, const char **v,
		   size_t *vlen)
{
	if (sl_ctl_skim_get(r->text, r->len, key, v, vlen) == 0)
		return 0;
	char why[96];
	snprintf(why, sizeof(why), "no \"%s\" in the reply", key);
	say_bad_reply(o->socket, why);
	return -1;
}

/* --- values for people --- */

static const char *jstr(const struct sl_json *o, const char *key, const char *dflt)
{
	const char *s;
	return sl_json_get_str(o, key, &s, NULL) == 0 ? s : dflt;
}

static double jnum(const struct sl_json *o, const char *key)
{
	return sl_json_num(sl_json_get(o, key));
}

/* An integer member as text; "-" when absent or negative (batch -1). */
static const char *jint_text(const struct sl_json *o, const char *key, char *buf, size_t len)
{
	int64_t v;
	if (sl_json_get_int(o, key, &v) < 0 || v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRId64, v);
	return buf;
}

static const char *rate_text(const struct sl_json *o, const char *key, char *buf, size_t len)
{
	sl_ctl_rate(jnum(o, key), buf, len);
	return buf;
}

static void short_id(const char *id, char *buf, size_t len)
{
	if (strlen(id) > SHORT_ID)
		snprintf(buf, len, "%.*s…", SHORT_ID, id);
	else
		snprintf(buf, len, "%s", id);
}

/* The columns of `list` and of top's query rows (top adds a sparkline). */
enum { QCOL_NAME, QCOL_STATE, QCOL_BATCH, QCOL_IN, QCOL_DONE, QCOL_LATE, QCOL_WM, QCOL_ROWS,
       QCOL_SPARK, QCOLS };
static const struct sl_ctl_col query_cols[QCOLS] = {
	{"NAME", 4, false},      {"STATE", 7, false},       {"BATCH", 5, false},
	{"IN ROWS/S", 10, false}, {"DONE ROWS/S", 11, false}, {"LATE", 4, false},
	{"WATERMARK", 19, false}, {"STATE ROWS", 10, false}, {"IN ROWS/S HISTORY", 0, false},
};
#define CELL 256
struct query_row {
	char cell[QCOLS][CELL];
};

static void query_row_fill(const struct sl_json *q, struct query_row *row)
{
	snprintf(row->cell[QCOL_NAME], CELL, "%s", jstr(q, "name", "?"));
	snprintf(row->cell[QCOL_STATE], CELL, "%s", jstr(q, "state", "?"));
	jint_text(q, "batch", row->cell[QCOL_BATCH], CELL);
	rate_text(q, "inputRowsPerSecond", row->cell[QCOL_IN], CELL);
	rate_text(q, "processedRowsPerSecond", row->cell[QCOL_DONE], CELL);
	jint_text(q, "late", row->cell[QCOL_LATE], CELL);
	snprintf(row->cell[QCOL_WM], CELL, "%s", jstr(q, "watermark", "-"));
	jint_text(q, "stateRows", row->cell[QCOL_ROWS], CELL);
	row->cell[QCOL_SPARK][0] = '\0';
}

/* Renders rows (ncols of query_cols from the first) into out; compact
 * (top, where width is short) drops the minimum widths that line `list`
 * up with the example. */
static int query_table(const struct query_row *rows, size_t n, size_t ncols, bool compact,
		       struct sl_strbuf *out)
{
	const char **cells = calloc(n * ncols + 1, sizeof(*cells));
	struct sl_ctl_col cols[QCOLS];
	if (cells == NULL)
		return -ENOMEM;
	for (size_t c = 0; c < ncols; c++) {
		cols[c] = query_cols[c];
		if (compact)
			cols[c].min_width = 0;
	}
	for (size_t r = 0; r < n; r++)
		for (size_t c = 0; c < ncols; c++)
			cells[r * ncols + c] = rows[r].cell[c];
	int rc = sl_ctl_table(cols, ncols, cells, n, true, out);
	free(cells);
	return rc;
}

/* The per-core rows of one progress record (P's sluice.cores), appended
 * to a table's cells; query names the query in a first column (top) or is
 * NULL (progress). */
enum { CCOL_QUERY, CCOL_ROLE, CCOL_INDEX, CCOL_INPUT, CCOL_CPU, CCOL_BUSY, CCOL_RING,
       CCOL_STALL, CCOLS };
static const struct sl_ctl_col core_cols[CCOLS] = {
	{"QUERY", 0, false}, {"ROLE", 0, false}, {"INDEX", 0, false}, {"INPUT", 0, false},
	{"CPU", 0, false},   {"BUSY", 4, true},  {"RING FILL", 0, true}, {"STALL MS", 0, true},
};
struct core_row {
	char cell[CCOLS][CELL];
};

struct core_rows {
	struct core_row *row;
	size_t n, cap;
};

static int core_rows_add(struct core_rows *cr, const char *query, const struct sl_json *p)
{
	const struct sl_json *cores = sl_json_get(sl_json_get(p, "sluice"), "cores");
	for (size_t i = 0; i < sl_json_len(cores); i++) {
		const struct sl_json *k = sl_json_at(cores, i);
		if (cr->n == cr->cap) {
			size_t cap = cr->cap == 0 ? 16 : cr->cap * 2;
			struct core_row *nr = realloc(cr->row, cap * sizeof(*nr));
			if (nr == NULL)
				return -ENOMEM;
			cr->row = nr;
			cr->cap = cap;
		}
		struct core_row *row = &cr->row[cr->n++];
		const char *role = jstr(k, "role", "?");
		bool ingest = strcmp(role, "ingest") == 0;
		snprintf(row->cell[CCOL_QUERY], CELL, "%s", query != NULL ? query : "");
		snprintf(row->cell[CCOL_ROLE], CELL, "%s", role);
		jint_text(k, "index", row->cell[CCOL_INDEX], CELL);
		if (ingest)
			jint_text(k, "input", row->cell[CCOL_INPUT], CELL);
		else
			snprintf(row->cell[CCOL_INPUT], CELL, "-");
		jint_text(k, "cpu", row->cell[CCOL_CPU], CELL);
		sl_ctl_percent(jnum(k, "busy"), row->cell[CCOL_BUSY], CELL);
		sl_ctl_percent(jnum(k, "ringFill"), row->cell[CCOL_RING], CELL);
		jint_text(k, "stallMs", row->cell[CCOL_STALL], CELL);
	}
	return 0;
}

/* The core table, with or without the QUERY column; each line starts with
 * indent spaces. */
static int core_table(const struct core_rows *cr, bool with_query, size_t indent,
		      struct sl_strbuf *out)
{
	size_t first = with_query ? 0 : 1, ncols = CCOLS - first;
	const char **cells = calloc(cr->n * ncols + 1, sizeof(*cells));
	struct sl_strbuf t;
	sl_strbuf_init(&t);
	if (cells == NULL)
		return -ENOMEM;
	for (size_t r = 0; r < cr->n; r++)
		for (size_t c = 0; c < ncols; c++)
			cells[r * ncols + c] = cr->row[r].cell[first + c];
	int rc = sl_ctl_table(core_cols + first, ncols, cells, cr->n, true, &t);
	for (size_t i = 0; rc == 0 && i < t.len;) {
		const char *nl = memchr(t.ptr + i, '\n', t.len - i);
		size_t n = (size_t)(nl - (t.ptr + i)) + 1;
		rc = sl_strbuf_fill(out, ' ', indent);
		if (rc == 0)
			rc = sl_strbuf_append(out, t.ptr + i, n);
		i += n;
	}
	sl_strbuf_free(&t);
	free(cells);
	return rc;
}

/* --- reading SQL --- */

/* The whole of FILE (or standard input for "-") into sb: 0, or the exit
 * status after saying why. */
static int read_sql(const char *file, struct sl_strbuf *sb)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	if (f == NULL) {
		fprintf(stderr, "sluicectl: cannot read %s: %s\n", file, strerror(errno));
		return EXIT_USAGE;
	}
	char chunk[65536];
	size_t n;
	int rc = 0;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = sl_strbuf_append(sb, chunk, n);
		if (sb->len > REQUEST_MAX)
			rc = -E2BIG;
	}
	if (rc == 0 && ferror(f))
		rc = -EIO;
	if (f != stdin)
		fclose(f);
	if (rc == -E2BIG) {
		fprintf(stderr,
			"sluicectl: %s is over 1 MiB, more than one request to sluiced may carry\n",
			file);
		return EXIT_USAGE;
	}
	if (rc < 0) {
		fprintf(stderr, "sluicectl: cannot read %s: %s\n", file, strerror(-rc));
		return EXIT_USAGE;
	}
	return 0;
}

static const char *sql_name(const char *file)
{
	return strcmp(file, "-") == 0 ? "<stdin>" : file;
}

/* --- the one-shot commands --- */

/* Runs one request and, on ok, hands the reply to show. */
typedef int (*show_fn)(const struct opts *o, const struct reply *r);

static int run_request(const struct opts *o, struct sl_strbuf *req, double reply_timeout_s,
		       const char *file, show_fn show)
{
	struct conn c = {.fd = -1};
	struct reply r = {0};
	int rc = exchange(o, &c, req, reply_timeout_s, &r);
	if (rc == EXIT_DONE)
		rc = r.ok ? show(o, &r) : say_no(o, &r, file);
	if (fflush(stdout) != 0 && rc == EXIT_DONE) {
		fprintf(stderr, "sluicectl: writing the output: %s\n", strerror(errno));
		rc = EXIT_USAGE;
	}
	reply_free(&r);
	conn_close(&c);
	return rc;
}

/* The payload as sent, on one line. */
static int show_raw(const struct opts *o, const struct reply *r, const char *key)
{
	const char *v;
	size_t vlen;
	if (payload(o, r, key, &v, &vlen) < 0)
		return EXIT_UNREACHABLE;
	fwrite(v, 1, vlen, stdout);
	putchar('\n');
	return EXIT_DONE;
}

/* Each element of the payload array, parsed as an object, to each(). */
typedef int (*each_fn)(const struct opts *o, const struct sl_json *el, size_t i, void *arg);

static int for_each(const struct opts *o, const struct reply *r, const char *key, each_fn each,
		    void *arg, size_t *count)
{
	const char *v, *el;
	size_t vlen, ellen, i = 0;
	struct sl_ctl_skim it;
	if (payload(o, r, key, &v, &vlen) < 0)
		return EXIT_UNREACHABLE;
	if (sl_ctl_skim_array(&it, v, vlen) < 0)
		return say_bad_reply(o->socket, "the payload is not an array");
	int rc;
	while ((rc = sl_ctl_skim_next(&it, &el, &ellen)) > 0) {
		struct sl_json_doc *d = NULL;
		if (parse_piece(o, el, ellen, &d, SL_JSON_OBJECT) < 0)
			return EXIT_UNREACHABLE;
		rc = each(o, sl_json_root(d), i++, arg);
		sl_json_free(d);
		if (rc != EXIT_DONE)
			return rc;
	}
	if (rc < 0)
		return say_bad_reply(o->socket, "the payload array is cut short");
	if (count != NULL)
		*count = i;
	return EXIT_DONE;
}

/* submit: "NAME  started  id 5f0c1d2e…  run 91ad3b4c…", names aligned. */
struct started {
	struct query_row *rows; /* name, id, run id in cells 0..2 */
	size_t n, cap;
};

static int collect_started(const struct opts *o, const struct sl_json *q, size_t i, void *arg)
{
	(void)o;
	(void)i;
	struct started *s = arg;
	if (s->n == s->cap) {
		size_t cap = s->cap == 0 ? 4 : s->cap * 2;
		struct query_row *nr = realloc(s->rows, cap * sizeof(*nr));
		if (nr == NULL) {
			fprintf(stderr, "sluicectl: out of memory\n");
			return EXIT_NO;
		}
		s->rows = nr;
		s->cap = cap;
	}
	struct query_row *row = &s->rows[s->n++];
	snprintf(row->cell[0], CELL, "%s", jstr(q, "name", "?"));
	short_id(jstr(q, "id", "?"), row->cell[1], CELL);
	short_id(jstr(q, "runId", "?"), row->cell[2], CELL);
	return EXIT_DONE;
}

static int show_submit(const struct opts *o, const struct reply *r)
{
	if (o->json)
		return show_raw(o, r, "queries");
	struct started s = {0};
	int rc = for_each(o, r, "queries", collect_started, &s, NULL);
	size_t w = 0;
	for (size_t i = 0; i < s.n; i++)
		if (sl_ctl_width(s.rows[i].cell[0]) > w)
			w = sl_ctl_width(s.rows[i].cell[0]);
	for (size_t i = 0; rc == EXIT_DONE && i < s.n; i++) {
		const char *name = s.rows[i].cell[0];
		printf("%s%*s  started  id %s  run %s\n", name,
		       (int)(w - sl_ctl_width(name)), "", s.rows[i].cell[1], s.rows[i].cell[2]);
	}
	if (rc == EXIT_DONE && s.n == 0)
		printf("nothing started: the statements have no CREATE SINK\n");
	free(s.rows);
	return rc;
}

struct rows {
	struct query_row *row;
	size_t n, cap;
};

static int rows_add(struct rows *rs, const struct sl_json *q)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap == 0 ? 8 : rs->cap * 2;
		struct query_row *nr = realloc(rs->row, cap * sizeof(*nr));
		if (nr == NULL)
			return -ENOMEM;
		rs->row = nr;
		rs->cap = cap;
	}
	query_row_fill(q, &rs->row[rs->n++]);
	return 0;
}

static int collect_row(const struct opts *o, const struct sl_json *q, size_t i, void *arg)
{
	(void)o;
	(void)i;
	if (rows_add(arg, q) < 0) {
		fprintf(stderr, "sluicectl: out of memory\n");
		return EXIT_NO;
	}
	return EXIT_DONE;
}

static int show_list(const struct opts *o, const struct reply *r)
{
	if (o->json)
		return show_raw(o, r, "queries");
	struct rows rs = {0};
	int rc = for_each(o, r, "queries", collect_row, &rs, NULL);
	if (rc == EXIT_DONE && rs.n == 0) {
		printf("no queries\n");
	} else if (rc == EXIT_DONE) {
		struct sl_strbuf out;
		sl_strbuf_init(&out);
		if (query_table(rs.row, rs.n, QCOL_SPARK, false, &out) == 0)
			fwrite(out.ptr, 1, out.len, stdout);
		else
			fprintf(stderr, "sluicectl: out of memory\n"), rc = EXIT_NO;
		sl_strbuf_free(&out);
	}
	free(rs.row);
	return rc;
}

/* "key:" padded so that the values line up. */
static void kv(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kv(const char *key, const char *fmt, ...)
{
	printf("%s:%*s", key, (int)(13 - strlen(key)), "");
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int show_status(const struct opts *o, const struct reply *r)
{
	if (o->json)
		return show_raw(o, r, "query");
	const char *v, *sql;
	size_t vlen, sqllen;
	if (payload(o, r, "query", &v, &vlen) < 0)
		return EXIT_UNREACHABLE;
	/* the statements are not shown and are the one member without a
	 * bound (up to a request's 1 MiB): parse the query without them */
	struct sl_strbuf q;
	sl_strbuf_init(&q);
	if (sl_ctl_skim_get(v, vlen, "sql", &sql, &sqllen) == 0) {
		if (sl_strbuf_append(&q, v, (size_t)(sql - v)) < 0 || sl_strbuf_puts(&q, "null") < 0 ||
		    sl_strbuf_append(&q, sql + sqllen, vlen - (size_t)(sql + sqllen - v)) < 0) {
			sl_strbuf_free(&q);
			fprintf(stderr, "sluicectl: out of memory\n");
			return EXIT_NO;
		}
		v = q.ptr;
		vlen = q.len;
	}
	struct sl_json_doc *d = NULL;
	int prc = parse_piece(o, v, vlen, &d, SL_JSON_OBJECT);
	sl_strbuf_free(&q);
	if (prc < 0)
		return EXIT_UNREACHABLE;
	const struct sl_json *j = sl_json_root(d);
	char a[SL_CTL_NUM_MAX], b[SL_CTL_NUM_MAX];
	kv("name", "%s", jstr(j, "name", "?"));
	kv("state", "%s", jstr(j, "state", "?"));
	kv("id", "%s", jstr(j, "id", "-"));
	kv("run id", "%s", jstr(j, "runId", "-"));
	kv("started", "%s", jstr(j, "startedAt", "-"));
	kv("batch", "%s", jint_text(j, "batch", a, sizeof(a)));
	kv("input", "%s rows/s", rate_text(j, "inputRowsPerSecond", a, sizeof(a)));
	kv("processed", "%s rows/s", rate_text(j, "processedRowsPerSecond", a, sizeof(a)));
	kv("rows in", "%s", jint_text(j, "rowsIn", a, sizeof(a)));
	kv("late", "%s rows dropped", jint_text(j, "late", a, sizeof(a)));
	kv("watermark", "%s", jstr(j, "watermark", "-"));
	kv("state rows", "%s", jint_text(j, "stateRows", a, sizeof(a)));
	kv("checkpoint", "%s", jstr(j, "checkpoint", "-"));
	const struct sl_json *lp = sl_json_get(j, "lastProgress");
	if (lp != NULL && sl_json_kind(lp) == SL_JSON_OBJECT) {
		const struct sl_json *dur = sl_json_get(lp, "durationMs");
		kv("last batch", "%s at %s, %s rows in %s ms", jint_text(lp, "batchId", a, sizeof(a)),
		   jstr(lp, "timestamp", "?"), jint_text(lp, "numInputRows", b, sizeof(b)),
		   jint_text(dur, "triggerExecution", (char[SL_CTL_NUM_MAX]){0}, SL_CTL_NUM_MAX));
	}
	const char *err = jstr(j, "error", NULL);
	if (err != NULL)
		kv("error", "%s", err);
	sl_json_free(d);
	return EXIT_DONE;
}

static void show_progress_record(const struct sl_json *p, bool first)
{
	char a[SL_CTL_NUM_MAX], b[SL_CTL_NUM_MAX], c[SL_CTL_NUM_MAX], d[SL_CTL_NUM_MAX],
		e[SL_CTL_NUM_MAX];
	if (!first)
		putchar('\n');
	printf("%s batch %s  %s\n", jstr(p, "name", "?"), jint_text(p, "batchId", a, sizeof(a)),
	       jstr(p, "timestamp", "?"));
	kv("  input", "%s rows (%s rows/s in, %s rows/s processed)",
	   jint_text(p, "numInputRows", a, sizeof(a)), rate_text(p, "inputRowsPerSecond", b, sizeof(b)),
	   rate_text(p, "processedRowsPerSecond", c, sizeof(c)));
	const struct sl_json *dur = sl_json_get(p, "durationMs");
	if (dur != NULL) {
		char l[SL_CTL_NUM_MAX];
		kv("  durations",
		   "trigger %s ms (latestOffset %s, addBatch %s, walCommit %s, commitOffsets %s)",
		   jint_text(dur, "triggerExecution", a, sizeof(a)),
		   jint_text(dur, "latestOffset", b, sizeof(b)), jint_text(dur, "addBatch", c, sizeof(c)),
		   jint_text(dur, "walCommit", d, sizeof(d)),
		   jint_text(dur, "commitOffsets", l, sizeof(l)));
	}
	const struct sl_json *et = sl_json_get(p, "eventTime");
	if (et != NULL) {
		kv("  watermark", "%s", jstr(et, "watermark", "-"));
		if (sl_json_get(et, "min") != NULL)
			kv("  event time", "%s to %s (avg %s)", jstr(et, "min", "?"),
			   jstr(et, "max", "?"), jstr(et, "avg", "?"));
	}
	const struct sl_json *ops = sl_json_get(p, "stateOperators");
	for (size_t i = 0; i < sl_json_len(ops); i++) {
		const struct sl_json *s = sl_json_at(ops, i);
		char mem[SL_CTL_NUM_MAX];
		sl_ctl_bytes(jnum(s, "memoryUsedBytes"), mem, sizeof(mem));
		kv("  state rows", "%s (%s updated, %s removed, %s dropped as late, %s)",
		   jint_text(s, "numRowsTotal", a, sizeof(a)),
		   jint_text(s, "numRowsUpdated", b, sizeof(b)),
		   jint_text(s, "numRowsRemoved", c, sizeof(c)),
		   jint_text(s, "numRowsDroppedByWatermark", d, sizeof(d)), mem);
	}
	const struct sl_json *srcs = sl_json_get(p, "sources");
	for (size_t i = 0; i < sl_json_len(srcs); i++) {
		const struct sl_json *s = sl_json_at(srcs, i);
		kv("  source", "%s: %s rows (%s rows/s), offsets %s to %s",
		   jstr(s, "description", "?"), jint_text(s, "numInputRows", a, sizeof(a)),
		   rate_text(s, "inputRowsPerSecond", b, sizeof(b)),
		   jint_text(sl_json_get(s, "startOffset"), "rows", c, sizeof(c)),
		   jint_text(sl_json_get(s, "endOffset"), "rows", d, sizeof(d)));
	}
	const struct sl_json *sink = sl_json_get(p, "sink");
	if (sink != NULL)
		kv("  sink", "%s: %s rows", jstr(sink, "description", "?"),
		   jint_text(sink, "numOutputRows", a, sizeof(a)));
	const struct sl_json *sl = sl_json_get(p, "sluice");
	if (sl_json_get(sl, "rowsMalformed") != NULL)
		kv("  malformed", "%s rows", jint_text(sl, "rowsMalformed", e, sizeof(e)));
	struct core_rows cr = {0};
	struct sl_strbuf out;
	sl_strbuf_init(&out);
	if (core_rows_add(&cr, NULL, p) == 0 && cr.n > 0 && core_table(&cr, false, 4, &out) == 0) {
		printf("  cores:\n");
		fwrite(out.ptr, 1, out.len, stdout);
	}
	sl_strbuf_free(&out);
	free(cr.row);
}

static int each_progress(const struct opts *o, const struct sl_json *p, size_t i, void *arg)
{
	(void)o;
	(void)arg;
	show_progress_record(p, i == 0);
	return EXIT_DONE;
}

static int show_progress(const struct opts *o, const struct reply *r)
{
	const char *v, *el;
	size_t vlen, ellen, n = 0;
	if (!o->json) {
		int rc = for_each(o, r, "progress", each_progress, NULL, &n);
		if (rc == EXIT_DONE && n == 0)
			printf("%s has not finished a batch yet\n", o->arg);
		return rc;
	}
	/* a record a line, each checked before it is printed */
	struct sl_ctl_skim it;
	if (payload(o, r, "progress", &v, &vlen) < 0)
		return EXIT_UNREACHABLE;
	if (sl_ctl_skim_array(&it, v, vlen) < 0)
		return say_bad_reply(o->socket, "\"progress\" is not an array");
	int rc;
	while ((rc = sl_ctl_skim_next(&it, &el, &ellen)) > 0) {
		struct sl_json_doc *d = NULL;
		if (parse_piece(o, el, ellen, &d, SL_JSON_OBJECT) < 0)
			return EXIT_UNREACHABLE;
		sl_json_free(d);
		fwrite(el, 1, ellen, stdout);
		putchar('\n');
	}
	return rc < 0 ? say_bad_reply(o->socket, "\"progress\" is cut short") : EXIT_DONE;
}

static int show_stop(const struct opts *o, const struct reply *r)
{
	const char *v;
	size_t vlen;
	struct sl_json_doc *d = NULL;
	if (payload(o, r, "query", &v, &vlen) < 0 || parse_piece(o, v, vlen, &d, SL_JSON_OBJECT) < 0)
		return EXIT_UNREACHABLE;
	const struct sl_json *q = sl_json_root(d);
	const char *name = jstr(q, "name", o->arg), *state = jstr(q, "state", "?");
	int rc = EXIT_DONE;
	if (o->json)
		printf("%.*s\n", (int)vlen, v);
	if (strcmp(state, "failed") == 0) {
		const char *err = jstr(q, "error", NULL);
		fprintf(stderr, "sluicectl: %s failed%s%s\n", name, err != NULL ? ": " : "",
			err != NULL ? err : "");
		rc = EXIT_NO;
	} else if (!o->json) {
		printf("%s %s\n", name, state);
	}
	sl_json_free(d);
	return rc;
}

static int each_plan(const struct opts *o, const struct sl_json *p, size_t i, void *arg)
{
	(void)o;
	(void)arg;
	size_t len = 0;
	const char *text = NULL;
	if (sl_json_get_str(p, "text", &text, &len) < 0)
		return say_bad_reply(o->socket, "a plan without \"text\"");
	if (i > 0)
		putchar('\n');
	fwrite(text, 1, len, stdout);
	if (len == 0 || text[len - 1] != '\n')
		putchar('\n');
	return EXIT_DONE;
}

static int show_explain(const struct opts *o, const struct reply *r)
{
	if (o->json)
		return show_raw(o, r, "plans");
	size_t n = 0;
	int rc = for_each(o, r, "plans", each_plan, NULL, &n);
	if (rc == EXIT_DONE && n == 0)
		printf("no plans: the statements have no CREATE SINK\n");
	return rc;
}

static int show_metrics(const struct opts *o, const struct reply *r)
{
	if (o->json)
		return show_raw(o, r, "text");
	const char *v;
	size_t vlen;
	if (payload(o, r, "text", &v, &vlen) < 0)
		return EXIT_UNREACHABLE;
	struct sl_strbuf t;
	sl_strbuf_init(&t);
	int rc = sl_ctl_json_string(v, vlen, &t);
	if (rc == 0) {
		fwrite(t.ptr, 1, t.len, stdout);
		if (t.len > 0 && t.ptr[t.len - 1] != '\n')
			putchar('\n');
	}
	sl_strbuf_free(&t);
	if (rc == -ENOMEM) {
		fprintf(stderr, "sluicectl: out of memory\n");
		return EXIT_NO;
	}
	return rc < 0 ? say_bad_reply(o->socket, "\"text\" is not a JSON string") : EXIT_DONE;
}

static int cmd_simple(const struct opts *o)
{
	struct sl_strbuf req, sql;
	struct sl_jw w;
	sl_strbuf_init(&req);
	sl_strbuf_init(&sql);
	const char *op = o->cmd, *file = NULL;
	double reply_timeout = o->timeout_s;
	show_fn show;
	int rc = EXIT_DONE;
	if (strcmp(op, "submit") == 0 || strcmp(op, "explain") == 0) {
		rc = read_sql(o->arg, &sql);
		file = sql_name(o->arg);
		show = op[0] == 's' ? show_submit : show_explain;
	} else if (strcmp(op, "list") == 0) {
		show = show_list;
	} else if (strcmp(op, "status") == 0) {
		show = show_status;
	} else if (strcmp(op, "progress") == 0) {
		show = show_progress;
	} else if (strcmp(op, "stop") == 0) {
		show = show_stop;
		/* the reply comes when the batch and checkpoint are written */
		if (!o->timeout_given)
			reply_timeout = 0;
	} else {
		show = show_metrics;
	}
	if (rc != EXIT_DONE)
		goto out;
	request_begin(&w, &req, op, 1);
	if (file != NULL) {
		sl_jw_key(&w, "sql");
		sl_jw_str(&w, sql.ptr != NULL ? sql.ptr : "", sql.len);
		sl_jw_key(&w, "file");
		sl_jw_cstr(&w, file);
	} else if (o->arg != NULL) {
		sl_jw_key(&w, "name");
		sl_jw_cstr(&w, o->arg);
	}
	if (o->last > 0) {
		sl_jw_key(&w, "last");
		sl_jw_int(&w, o->last);
	}
	if (request_end(&w, &req) < 0) {
		fprintf(stderr, "sluicectl: out of memory\n");
		rc = EXIT_NO;
		goto out;
	}
	rc = run_request(o, &req, reply_timeout, file, show);
out:
	sl_strbuf_free(&sql);
	sl_strbuf_free(&req);
	return rc;
}

/* --- top --- */

/* One query's input rates, kept across frames; a new run starts afresh. */
struct top_query {
	char name[CELL];
	char run_id[64];
	struct sl_ctl_history rates;
	bool seen; /* in the latest list */
};

/* What a frame came to: drawn, the daemon said no, the daemon is out of
 * reach (the frame says so), or a signal cut it short (build it again). */
enum top_result { TOP_OK, TOP_NO, TOP_UNREACHABLE, TOP_INTERRUPTED };

/* top's state, on main's stack; one thread. */
struct top {
	const struct opts *o;
	struct conn c;
	bool connected;
	bool live;      /* drawing on a terminal (not one frame) */
	bool raw;       /* the terminal is in our mode: saved holds its own */
	bool keys;      /* standard input is a terminal to read keys from */
	struct termios saved;
	size_t cols;    /* the terminal's width; 0: no limit */
	struct top_query *q;
	size_t nq, capq;
	struct sl_strbuf frame; /* the latest frame's text, a line per '\n' */
	char msg[512];          /* why the daemon is out of reach, or said no */
	int64_t next_id;
};

static struct top_query *top_query_for(struct top *t, const char *name, const char *run_id)
{
	for (size_t i = 0; i < t->nq; i++) {
		if (strcmp(t->q[i].name, name) == 0) {
			if (strcmp(t->q[i].run_id, run_id) != 0) {
				t->q[i].rates = (struct sl_ctl_history){0};
				snprintf(t->q[i].run_id, sizeof(t->q[i].run_id), "%s", run_id);
			}
			return &t->q[i];
		}
	}
	if (t->nq == t->capq) {
		size_t cap = t->capq == 0 ? 8 : t->capq * 2;
		struct top_query *nq = realloc(t->q, cap * sizeof(*nq));
		if (nq == NULL)
			return NULL;
		t->q = nq;
		t->capq = cap;
	}
	struct top_query *q = &t->q[t->nq++];
	*q = (struct top_query){0};
	snprintf(q->name, sizeof(q->name), "%s", name);
	snprintf(q->run_id, sizeof(q->run_id), "%s", run_id);
	return q;
}

static void top_forget_unseen(struct top *t)
{
	size_t k = 0;
	for (size_t i = 0; i < t->nq; i++)
		if (t->q[i].seen)
			t->q[k++] = t->q[i];
	t->nq = k;
}

static void top_lost(struct top *t, int rc)
{
	if (rc == -ETIMEDOUT)
		snprintf(t->msg, sizeof(t->msg), "no reply from sluiced at %s within %g s",
			 t->o->socket, t->o->timeout_s);
	else if (rc != -EINTR && rc != -EPROTO)
		snprintf(t->msg, sizeof(t->msg), "lost sluiced at %s: %s", t->o->socket,
			 rc == -EPIPE ? "it closed the connection" : strerror(-rc));
	conn_close(&t->c);
	t->connected = false;
}

/* Reads the reply to request id: 0 with *r, or -errno (the connection is
 * then closed and t->msg says why, but for -EINTR). */
static int top_reply(struct top *t, int64_t id, int64_t deadline, struct reply *r)
{
	char *line = NULL;
	size_t len = 0;
	int rc = conn_read_line(&t->c, deadline, &line, &len);
	if (rc == 0) {
		char why[160];
		if (reply_parse(line, len, id, r, why, sizeof(why)) == 0)
			return 0;
		snprintf(t->msg, sizeof(t->msg),
			 "sluiced at %s answered something that is not the control protocol: %s",
			 t->o->socket, why);
		rc = -EPROTO;
	}
	top_lost(t, rc);
	return rc;
}

/* The sparkline cells: as many of the latest samples as fit beside the
 * other columns (at least 10, at most SL_CTL_HISTORY). */
static int top_sparklines(struct top *t, struct rows *rs, const struct sl_ctl_history *hs)
{
	size_t fit = SL_CTL_HISTORY;
	if (t->cols > 0 && rs->n > 0) {
		struct sl_strbuf probe;
		sl_strbuf_init(&probe);
		if (query_table(rs->row, rs->n, QCOL_SPARK, true, &probe) < 0)
			return -ENOMEM;
		size_t widest = 0;
		for (size_t i = 0; i < probe.len;) {
			const char *nl = memchr(probe.ptr + i, '\n', probe.len - i);
			size_t n = (size_t)(nl - (probe.ptr + i));
			size_t w = sl_ctl_width_n(probe.ptr + i, n);
			if (w > widest)
				widest = w;
			i += n + 1;
		}
		size_t room = t->cols > widest + 2 ? t->cols - widest - 2 : 0;
		fit = room < 10 ? 10 : room < SL_CTL_HISTORY ? room : SL_CTL_HISTORY;
		sl_strbuf_free(&probe);
	}
	for (size_t i = 0; i < rs->n; i++) {
		double hist[SL_CTL_HISTORY];
		size_t nh = sl_ctl_history_get(&hs[i], hist);
		size_t from = nh > fit ? nh - fit : 0;
		sl_ctl_sparkline(hist + from, nh - from, rs->row[i].cell[QCOL_SPARK], CELL);
	}
	return 0;
}

/* Asks for the list and every active query's last progress record (all
 * at once, then reads the replies in order) and writes the frame's text
 * into t->frame: lines, no escapes. */
static enum top_result top_build(struct top *t)
{
	const struct opts *o = t->o;
	struct sl_strbuf *f = &t->frame;
	struct sl_strbuf req, one;
	struct sl_jw w;
	struct reply r = {0};
	struct rows rs = {0};
	struct core_rows cr = {0};
	struct sl_json_doc **docs = NULL;
	struct sl_ctl_history *hs = NULL; /* each row's rates, copied */
	enum top_result res = TOP_OK;
	size_t nactive = 0;
	int rc;
	sl_strbuf_init(&req);
	sl_strbuf_init(&one);
	t->msg[0] = '\0';

	if (!t->connected) {
		rc = conn_open(&t->c, o->socket, deadline_after(o->timeout_s));
		if (rc == -EINTR) {
			res = TOP_INTERRUPTED;
			goto out;
		}
		if (rc < 0) {
			snprintf(t->msg, sizeof(t->msg),
				 "cannot reach sluiced at %s: %s; start it with `sluiced --socket %s`",
				 o->socket, strerror(-rc), o->socket);
			res = TOP_UNREACHABLE;
			goto frame;
		}
		t->connected = true;
	}

	int64_t deadline = deadline_after(o->timeout_s);
	int64_t list_id = ++t->next_id;
	request_begin(&w, &req, "list", list_id);
	if (request_end(&w, &req) < 0)
		goto oom;
	rc = conn_send(&t->c, req.ptr, req.len, deadline);
	if (rc < 0)
		top_lost(t, rc);
	else
		rc = top_reply(t, list_id, deadline, &r);
	if (rc == -EINTR) {
		res = TOP_INTERRUPTED;
		goto out;
	}
	if (rc < 0) {
		res = TOP_UNREACHABLE;
		goto frame;
	}
	if (!r.ok) {
		snprintf(t->msg, sizeof(t->msg), "sluiced at %s: %s", o->socket,
			 jstr(sl_json_root(r.err), "message", "the daemon said no"));
		res = TOP_NO;
		goto frame;
	}

	/* the queries, in the daemon's order; their input rates into the
	 * history (one sample a frame, active queries only) */
	const char *v, *el;
	size_t vlen, ellen;
	struct sl_ctl_skim it;
	if (sl_ctl_skim_get(r.text, r.len, "queries", &v, &vlen) < 0 ||
	    sl_ctl_skim_array(&it, v, vlen) < 0) {
		snprintf(t->msg, sizeof(t->msg), "sluiced at %s: a list reply without \"queries\"",
			 o->socket);
		res = TOP_NO;
		goto frame;
	}
	for (size_t i = 0; i < t->nq; i++)
		t->q[i].seen = false;
	while (sl_ctl_skim_next(&it, &el, &ellen) > 0) {
		struct sl_json_doc *d = NULL;
		char err[128];
		if (sl_json_parse(el, ellen, &d, err, sizeof(err)) < 0)
			continue;
		const struct sl_json *q = sl_json_root(d);
		int arc = rows_add(&rs, q);
		struct top_query *one_q = NULL;
		struct sl_ctl_history *nhs = NULL;
		if (arc == 0)
			nhs = realloc(hs, rs.n * sizeof(*hs));
		if (nhs != NULL) {
			hs = nhs;
			one_q = top_query_for(t, jstr(q, "name", "?"), jstr(q, "runId", ""));
		}
		if (one_q == NULL) {
			sl_json_free(d);
			goto oom;
		}
		one_q->seen = true;
		if (strcmp(jstr(q, "state", ""), "active") == 0) {
			sl_ctl_history_push(&one_q->rates, jnum(q, "inputRowsPerSecond"));
			nactive++;
		}
		hs[rs.n - 1] = one_q->rates;
		sl_json_free(d);
	}
	reply_free(&r);

	docs = calloc(rs.n + 1, sizeof(*docs));
	if (docs == NULL)
		goto oom;
	sl_strbuf_reset(&req);
	int64_t first_id = t->next_id + 1;
	for (size_t i = 0; i < rs.n; i++) {
		if (strcmp(rs.row[i].cell[QCOL_STATE], "active") != 0)
			continue;
		request_begin(&w, &one, "progress", ++t->next_id);
		sl_jw_key(&w, "name");
		sl_jw_cstr(&w, rs.row[i].cell[QCOL_NAME]);
		sl_jw_key(&w, "last");
		sl_jw_int(&w, 1);
		if (request_end(&w, &one) < 0 || sl_strbuf_append(&req, one.ptr, one.len) < 0)
			goto oom;
	}
	rc = req.len > 0 ? conn_send(&t->c, req.ptr, req.len, deadline) : 0;
	if (rc < 0)
		top_lost(t, rc);
	for (size_t i = 0, k = 0; rc == 0 && i < rs.n; i++) {
		if (strcmp(rs.row[i].cell[QCOL_STATE], "active") != 0)
			continue;
		rc = top_reply(t, first_id + (int64_t)k++, deadline, &r);
		if (rc < 0)
			break;
		/* not ok: it ended since the list; no core rows this time */
		const char *pv, *pel;
		size_t pvlen, pellen;
		struct sl_ctl_skim pit;
		char err[128];
		if (r.ok && sl_ctl_skim_get(r.text, r.len, "progress", &pv, &pvlen) == 0 &&
		    sl_ctl_skim_array(&pit, pv, pvlen) == 0 && sl_ctl_skim_next(&pit, &pel, &pellen) > 0)
			sl_json_parse(pel, pellen, &docs[i], err, sizeof(err));
		reply_free(&r);
	}
	if (rc == -EINTR) {
		res = TOP_INTERRUPTED;
		goto out;
	}
	if (rc < 0)
		res = TOP_UNREACHABLE;
	for (size_t i = 0; i < rs.n; i++)
		if (docs[i] != NULL &&
		    core_rows_add(&cr, rs.row[i].cell[QCOL_NAME], sl_json_root(docs[i])) < 0)
			goto oom;
	top_forget_unseen(t);
	if (top_sparklines(t, &rs, hs) < 0)
		goto oom;

frame:
	sl_strbuf_reset(f);
	{
		char clock[16] = "", head[1024];
		time_t now = time(NULL);
		struct tm tm;
		if (localtime_r(&now, &tm) != NULL)
			strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
		snprintf(head, sizeof(head), "sluicectl top  %s  sluiced at %s  %zu quer%s, %zu active%s",
			 clock, o->socket, rs.n, rs.n == 1 ? "y" : "ies", nactive,
			 t->live ? "  (q quits)" : "");
		int frc = sl_strbuf_puts(f, head);
		frc = frc ? frc : sl_strbuf_puts(f, "\n\n");
		if (t->msg[0] != '\0') {
			frc = frc ? frc : sl_strbuf_puts(f, t->msg);
			frc = frc ? frc : sl_strbuf_puts(f, "\n\n");
		}
		if (rs.n == 0 && res == TOP_OK)
			frc = frc ? frc : sl_strbuf_puts(f, "no queries\n");
		else if (rs.n > 0)
			frc = frc ? frc : query_table(rs.row, rs.n, QCOLS, true, f);
		if (cr.n > 0) {
			frc = frc ? frc : sl_strbuf_putc(f, '\n');
			frc = frc ? frc : core_table(&cr, true, 0, f);
		}
		if (frc < 0)
			goto oom;
	}
	goto out;
oom:
	snprintf(t->msg, sizeof(t->msg), "out of memory");
	sl_strbuf_reset(f);
	sl_strbuf_puts(f, "sluicectl top: out of memory\n");
	res = TOP_NO;
out:
	if (docs != NULL)
		for (size_t i = 0; i < rs.n; i++)
			sl_json_free(docs[i]);
	free(docs);
	free(hs);
	reply_free(&r);
	free(rs.row);
	free(cr.row);
	sl_strbuf_free(&one);
	sl_strbuf_free(&req);
	return res;
}

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Alternate screen, no cursor; keys without echo or line editing, so that
 * `q` arrives as it is pressed (output processing and signals stay as they
 * were: Ctrl-C is still SIGINT, '\n' still starts a line). */
static void term_enter(struct top *t)
{
	t->keys = isatty(STDIN_FILENO);
	if (t->keys && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		struct termios raw = t->saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0)
			t->raw = true;
	}
	static const char enter[] = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J";
	write_all(enter, sizeof(enter) - 1);
}

static void term_leave(struct top *t)
{
	static const char leave[] = "\x1b[0m\x1b[?25h\x1b[?1049l";
	write_all(leave, sizeof(leave) - 1);
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t->saved);
	t->raw = false;
}

static void top_size(struct top *t, size_t *rows)
{
	struct winsize ws = {0};
	t->cols = 80;
	*rows = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
		t->cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

/* Draws t->frame from the top left, each line cut to the terminal's width
 * and the frame to its height, the title line in reverse video; lines are
 * overwritten and their rest cleared, so that nothing flickers. */
static void top_draw(struct top *t)
{
	size_t rows;
	top_size(t, &rows);
	struct sl_strbuf s;
	sl_strbuf_init(&s);
	int rc = sl_strbuf_puts(&s, "\x1b[H");
	const char *p = t->frame.ptr, *end = p + t->frame.len;
	for (size_t row = 0; rc == 0 && p < end && row < rows; row++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (row > 0)
			rc = sl_strbuf_puts(&s, "\r\n");
		if (rc == 0 && row == 0)
			rc = sl_strbuf_puts(&s, "\x1b[7m");
		if (rc == 0)
			rc = sl_strbuf_append(&s, p, sl_ctl_clip(p, n, t->cols));
		if (rc == 0 && row == 0)
			rc = sl_strbuf_puts(&s, "\x1b[0m");
		if (rc == 0)
			rc = sl_strbuf_puts(&s, "\x1b[K");
		p = nl != NULL ? nl + 1 : end;
	}
	if (rc == 0)
		rc = sl_strbuf_puts(&s, "\x1b[J");
	if (rc == 0)
		write_all(s.ptr, s.len);
	sl_strbuf_free(&s);
}

/* Ctrl-Z: the terminal back as it was, stop; on SIGCONT, our mode again. */
static void top_suspend(struct top *t)
{
	term_leave(t);
	sigset_t tstp;
	sigemptyset(&tstp);
	sigaddset(&tstp, SIGTSTP);
	signal(SIGTSTP, SIG_DFL);
	raise(SIGTSTP); /* pending while blocked: it stops us when unblocked */
	sigprocmask(SIG_UNBLOCK, &tstp, NULL);
	sigprocmask(SIG_BLOCK, &tstp, NULL); /* continued */
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTSTP, &sa, NULL);
	term_enter(t);
}

static void top_free(struct top *t)
{
	conn_close(&t->c);
	free(t->q);
	sl_strbuf_free(&t->frame);
}

static int cmd_top(const struct opts *o)
{
	struct top t = {.o = o, .c = {.fd = -1}};
	sl_strbuf_init(&t.frame);
	if (o->json) {
		fprintf(stderr, "sluicectl: top has no --json: `list --json` and "
				"`progress NAME --json` give the same data\n");
		return EXIT_USAGE;
	}
	t.live = !o->once && isatty(STDOUT_FILENO);
	if (!t.live) {
		/* one frame, for a pipe, a file or a test */
		enum top_result res = top_build(&t);
		if (res == TOP_OK)
			fwrite(t.frame.ptr, 1, t.frame.len, stdout);
		else
			fprintf(stderr, "sluicectl: %s\n", t.msg);
		top_free(&t);
		if (fflush(stdout) != 0)
			return EXIT_USAGE;
		return res == TOP_OK ? EXIT_DONE : res == TOP_NO ? EXIT_NO : EXIT_UNREACHABLE;
	}

	/* top's signals are taken only inside ppoll (wait_fds) */
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGTSTP};
	sigset_t block;
	sigemptyset(&block);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaddset(&block, sigs[i]);
		sigaction(sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, NULL);
	term_enter(&t);
	size_t rows;
	top_size(&t, &rows);

	int64_t period = (int64_t)(o->interval_s * 1000.0);
	while (!sig_quit) {
		int64_t next = now_ms() + period;
		enum top_result res = top_build(&t);
		if (res != TOP_INTERRUPTED)
			top_draw(&t);
		for (;;) {
			if (sig_quit)
				break;
			if (sig_tstp) {
				sig_tstp = 0;
				top_suspend(&t);
				top_draw(&t);
				continue;
			}
			if (sig_winch) {
				sig_winch = 0;
				top_draw(&t);
				continue;
			}
			if (res == TOP_INTERRUPTED)
				break; /* the frame was cut short: build it again now */
			int left = ms_left(next);
			if (left == 0)
				break;
			struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
			int rc = wait_fds(&pfd, t.keys ? 1 : 0, left);
			if (rc == -EINTR || rc == 0)
				continue;
			if (rc < 0)
				break;
			char keys[64];
			ssize_t n = read(STDIN_FILENO, keys, sizeof(keys));
			if (n <= 0 && (n == 0 || errno != EINTR)) {
				/* the terminal hung up: no more keys to read */
				if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL) || n < 0)
					t.keys = false;
				continue;
			}
			for (ssize_t i = 0; i < n; i++)
				if (keys[i] == 'q' || keys[i] == 'Q')
					sig_quit = -1;
		}
	}
	term_leave(&t);
	top_free(&t);
	if (sig_quit > 0) {
		/* die of the signal, now that the terminal is back, so that a
		 * shell or a loop around us sees why we ended */
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, (int)sig_quit);
		signal((int)sig_quit, SIG_DFL);
		raise((int)sig_quit);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
	}
	return EXIT_DONE;
}

/* --- the command line --- */

static int parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 86400.0 * 365)
		return -EINVAL;
	*out = v;
	return 0;
}

/* An option's value: "--opt=VALUE" or the next argument. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *is_opt)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	*is_opt = false;
	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=') {
		*is_opt = true;
		return a + n + 1;
	}
	if (a[n] != '\0')
		return NULL;
	*is_opt = true;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.timeout_s = DEFAULT_TIMEOUT_S, .interval_s = 1.0};
	const char *pos[3] = {NULL, NULL, NULL};
	int npos = 0;
	bool last_given = false, interval_given = false, only_pos = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val;
		bool is_opt;
		if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
			if (npos == 3)
				return usage_error("too many arguments, from '%s' on", a);
			pos[npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			exit(EXIT_DONE);
		} else if (strcmp(a, "--version") == 0) {
			printf("sluicectl %s\n", SL_VERSION);
			exit(EXIT_DONE);
		} else if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--once") == 0) {
			o->once = true;
		} else if ((val = opt_value(argc, argv, &i, "--socket", &is_opt)) != NULL || is_opt) {
			if (val == NULL || val[0] == '\0')
				return usage_error("%s needs a path", "--socket");
			o->socket_opt = val;
		} else if ((val = opt_value(argc, argv, &i, "--timeout", &is_opt)) != NULL || is_opt) {
			if (val == NULL || parse_seconds(val, &o->timeout_s) < 0)
				return usage_error("--timeout needs a number of seconds above 0, not '%s'",
						   val != NULL ? val : "");
			o->timeout_given = true;
		} else if ((val = opt_value(argc, argv, &i, "--interval", &is_opt)) != NULL || is_opt) {
			if (val == NULL || parse_seconds(val, &o->interval_s) < 0 || o->interval_s < 0.1)
				return usage_error("--interval needs a number of seconds, 0.1 or more, "
						   "not '%s'",
						   val != NULL ? val : "");
			interval_given = true;
		} else if ((val = opt_value(argc, argv, &i, "--last", &is_opt)) != NULL || is_opt) {
			char *end;
			errno = 0;
			long long n = val != NULL ? strtoll(val, &end, 10) : 0;
			if (val == NULL || errno != 0 || end == val || *end != '\0' || n < 1 || n > 100)
				return usage_error("--last needs a number of records from 1 to 100 (the "
						   "daemon keeps 100), not '%s'",
						   val != NULL ? val : "");
			o->last = n;
			last_given = true;
		} else {
			return usage_error("unknown option '%s'", a);
		}
	}
	if (npos == 0)
		return usage_error("%s", "which command?");
	o->cmd = pos[0];
	static const struct {
		const char *name;
		const char *arg; /* what its one argument is, or NULL */
	} cmds[] = {
		{"submit", "FILE.sql"}, {"list", NULL},    {"status", "NAME"}, {"progress", "NAME"},
		{"stop", "NAME"},       {"explain", "FILE.sql"}, {"metrics", NULL}, {"top", NULL},
	};
	size_t k = 0, ncmds = sizeof(cmds) / sizeof(cmds[0]);
	if (strcmp(o->cmd, "help") == 0) {
		fputs(usage_text, stdout);
		exit(EXIT_DONE);
	}
	while (k < ncmds && strcmp(cmds[k].name, o->cmd) != 0)
		k++;
	if (k == ncmds)
		return usage_error("unknown command '%s' (commands: submit, list, status, progress, "
				   "stop, explain, metrics, top)",
				   o->cmd);
	if (cmds[k].arg != NULL && npos < 2) {
		fprintf(stderr, "sluicectl: %s needs %s\n\n%s", o->cmd, cmds[k].arg, usage_text);
		return EXIT_USAGE;
	}
	if (npos > (cmds[k].arg != NULL ? 2 : 1))
		return usage_error("too many arguments: '%s'", pos[cmds[k].arg != NULL ? 2 : 1]);
	o->arg = pos[1];
	if (last_given && strcmp(o->cmd, "progress") != 0)
		return usage_error("%s", "--last is an option of progress");
	if ((o->once || interval_given) && strcmp(o->cmd, "top") != 0)
		return usage_error("%s", "--once and --interval are options of top");
	if (o->arg != NULL && cmds[k].arg[0] == 'N' && o->arg[0] == '\0')
		return usage_error("%s", "a query's name cannot be empty");
	int rc = sl_ctl_socket_path(o->socket_opt, o->socket, sizeof(o->socket));
	if (rc < 0) {
		fprintf(stderr,
			"sluicectl: the control socket's path is longer than a Unix socket "
			"address holds (%d bytes); use a shorter --socket or $SLUICE_SOCKET\n",
			SL_CTL_PATH_MAX - 1);
		return EXIT_USAGE;
	}
	return EXIT_DONE;
}

int main(int argc, char **argv)
{
	struct opts o;
	sigprocmask(SIG_BLOCK, NULL, &wait_mask);
	int rc = parse_args(argc, argv, &o);
	if (rc != EXIT_DONE)
		return rc;
	if (strcmp(o.cmd, "top") == 0)
		return cmd_top(&o);
	return cmd_simple(&o);
}
