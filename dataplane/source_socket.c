/*
 * source_socket.c — the "socket" source connector: lines of text over TCP,
 * read through one io_uring per ingest thread.
 *
 * Two modes:
 *  - client (listen = false; Spark's socket source, the seed's `nc -lk 9994`
 *    on the other side): open() connects, so that a refused connection is
 *    reported before the query starts; ingest thread 0 reads it, the other
 *    threads return at once. Peer close is the end of input, unless
 *    reconnect = true: then run() connects again, retrying with back-off
 *    (100 ms doubling to 5 s), and open() does not fail when refused.
 *  - listen (listen = true; many producers, what benchmarks use): each
 *    ingest thread has its own listening socket on the same address
 *    (SO_REUSEPORT; open() binds them all, the first one learning the port
 *    when port = 0) with a multishot accept. The source is finished once a
 *    connection was accepted and every accepted connection, across all
 *    threads, has closed (shared counters accepted/closed); the thread that
 *    sees it raises done_fd, which every thread polls. A producer that
 *    connects after that is not waited for.
 *
 * A thread's loop, one turn:
 *   1. submit what is queued and wait for at least one completion;
 *   2. harvest completions in batches (io_uring_peek_batch_cqe +
 *      io_uring_cq_advance): a receive only moves its connection's line
 *      buffer end and marks the connection ready;
 *   3. split the ready connections' lines into the batch (zero copy: the
 *      strings point into the line buffers), committing when it is full and
 *      once more at the end, so that nothing in the batch points into a
 *      buffer when
 *   4. the next receive is posted into each ready connection's buffer (or
 *      the connection is closed after its end of input).
 * Each connection has exactly one receive outstanding, and only while no
 * batch row points into its buffer. When commit() blocks (rings full), no
 * receive is posted, the socket's kernel buffer fills and TCP flow control
 * slows the peer down: memory per connection is bounded by its line buffer,
 * sl_lines_buffer_bytes(max_line_length, 256 KiB) = max_line_length + 1 +
 * 256 KiB (about 1.25 MiB with the default 1 MiB lines), plus the kernel's
 * socket buffers.
 *
 * The wake eventfd is watched with a one-shot poll rather than a read,
 * because sl_ingest_wake_ack() consumes its counter itself.
 */
#include "lines.h"
#include "source.h"

#include <errno.h>
#include <liburing.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define SOCK_RING_ENTRIES 256
#define SOCK_CQE_BATCH 64
#define SOCK_MAX_CONNS 1024 /* per ingest thread, listen mode */
#define SOCK_BACKOFF_MIN_MS 100
#define SOCK_BACKOFF_MAX_MS 5000
#define SOCK_CONNECT_TIMEOUT_MS 5000 /* open()'s connect */
#define SOCK_RECV_MAX ((size_t)1 << 30)
#define SOCK_DEFAULT_MAX_LINE ((uint64_t)1 << 20)

/* What a completion is for: user_data = op << 32 | connection slot. */
enum sock_op {
	OP_ACCEPT = 1,
	OP_RECV,
	OP_WAKE,    /* poll on the ingest wake eventfd */
	OP_DONE,    /* poll on the source's done eventfd */
	OP_CONNECT,
	OP_TIMER,   /* slot TIMER_RECONNECT or TIMER_ACCEPT */
	OP_CANCEL,
};

enum { TIMER_RECONNECT, TIMER_ACCEPT };

#define KNOWN_KEYS "host, port, listen, reconnect"

/* Shared by the run() calls. Written in open(); afterwards threads touch
 * only client_fd (thread 0, once), accepted/closed/finished (atomics) and
 * done_fd (write, poll). */
struct sl_source {
	char name[SL_NAME_MAX];
	char host[256];
	uint16_t port;
	bool listen;
	bool reconnect;
	uint64_t max_line;
	uint32_t n_ingest;
	char where[300];        /* host:port as written, for messages */
	char addrs_text[256];   /* the resolved addresses, numeric */
	struct addrinfo *addrs; /* client: where to connect; owned */
	int client_fd;          /* client: connected by open(), taken by thread 0 */
	int *listen_fd;         /* listen: [n_ingest] */
	int done_fd;            /* listen: eventfd, written once finished */
	_Atomic uint64_t accepted;
	_Atomic uint64_t closed;
	atomic_bool finished;
};

struct sock_conn {
	int fd;
	struct sl_lines *lines; /* owned */
	uint64_t malformed;     /* already added to the stats */
	bool eof;               /* input ended: drain, then close */
	bool ready;             /* in the ready list */
};

/* One ingest thread's state; touched by that thread only. */
struct sock_thread {
	struct sl_source *s;
	struct sl_ingest *in;
	struct sl_source_stats *st;
	struct sl_chunk *batch;
	uint32_t idx;
	struct io_uring ring;
	bool ring_ok;
	bool stop;           /* the engine is stopping */
	bool input_over;     /* client without reconnect: the peer closed */
	uint32_t inflight;   /* requests whose last completion has not come */
	uint32_t nconns;
	uint32_t nfree;
	uint32_t nready;
	struct sock_conn *conns[SOCK_MAX_CONNS];
	uint32_t free_slots[SOCK_MAX_CONNS];
	uint32_t ready[SOCK_MAX_CONNS];
	/* client mode */
	const struct addrinfo *trying; /* address of the connect in flight */
	int connecting_fd;
	uint32_t backoff_ms;
	struct __kernel_timespec timer; /* read by the kernel at submission */
};

/* --- options --- */

static void format_where(char *out, size_t len, const char *host, unsigned port)
{
	if (strchr(host, ':') != NULL)
		snprintf(out, len, "[%s]:%u", host, port);
	else
		snprintf(out, len, "%s:%u", host, port);
}

static int sock_validate(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	const struct sl_options *opts = &spec->options;
	if (sl_lines_check_schema(spec, err, errlen) < 0)
		return -EINVAL;
	for (uint32_t i = 0; i < opts->n; i++) {
		const char *k = opts->v[i].key;
		if (strcasecmp(k, "host") != 0 && strcasecmp(k, "port") != 0 &&
		    strcasecmp(k, "listen") != 0 && strcasecmp(k, "reconnect") != 0 &&
		    strcasecmp(k, "connector") != 0) {
			snprintf(err, errlen,
				 "line %u, column %u: unknown option '%s' for connector 'socket' "
				 "(known options: " KNOWN_KEYS ")",
				 opts->v[i].line, opts->v[i].column, k);
			return -EINVAL;
		}
	}
	const struct sl_option *o;
	bool listen = false, reconnect = false;
	if ((o = sl_options_find(opts, "listen")) != NULL &&
	    sl_option_bool(o, &listen, err, errlen) < 0)
		return -EINVAL;
	if ((o = sl_options_find(opts, "reconnect")) != NULL) {
		if (sl_option_bool(o, &reconnect, err, errlen) < 0)
			return -EINVAL;
		if (reconnect && listen) {
			snprintf(err, errlen,
				 "line %u, column %u: option 'reconnect' applies only when listen = "
				 "false; a listening source waits for its producers anyway",
				 o->line, o->column);
			return -EINVAL;
		}
	}
	if ((o = sl_options_find(opts, "host")) != NULL) {
		if (o->value[0] == '\0' || strlen(o->value) >= sizeof(((struct sl_source *)0)->host)) {
			snprintf(err, errlen,
				 "line %u, column %u: option 'host' must be a host name such as "
				 "'localhost' or an address such as '127.0.0.1' or '::1', not '%s'",
				 o->line, o->column, o->value);
			return -EINVAL;
		}
	}
	o = sl_options_find(opts, "port");
	if (o == NULL) {
		snprintf(err, errlen,
			 "line %u, column %u: socket source '%s' needs option 'port', e.g. "
			 "port = 9994",
			 spec->line, spec->column, spec->name);
		return -EINVAL;
	}
	uint64_t port;
	if (sl_option_u64(o, 0, 65535, &port, err, errlen) < 0)
		return -EINVAL;
	if (port == 0 && !listen) {
		snprintf(err, errlen,
			 "line %u, column %u: port = 0 (any free port) needs listen = true; to "
			 "connect, name the server's port, from 1 to 65535",
			 o->line, o->column);
		return -EINVAL;
	}
	return 0;
}

/* --- open / close --- */

static void sock_close(struct sl_source *s)
{
	if (s == NULL)
		return;
	if (s->client_fd >= 0)
		close(s->client_fd);
	for (uint32_t i = 0; s->listen_fd != NULL && i < s->n_ingest; i++)
		if (s->listen_fd[i] >= 0)
			close(s->listen_fd[i]);
	free(s->listen_fd);
	if (s->done_fd >= 0)
		close(s->done_fd);
	if (s->addrs != NULL)
		freeaddrinfo(s->addrs);
	free(s);
}

static void addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
	if (getnameinfo(sa, len, out, (socklen_t)outlen, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(out, outlen, "?");
}

/* A blocking connect with a time limit; the connected fd or -errno. */
static int connect_timeout(const struct addrinfo *ai, int timeout_ms)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	int e = errno;
	if (e == EINPROGRESS) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int r;
		do
			r = poll(&p, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		socklen_t l = sizeof(e);
		if (r == 0)
			e = ETIMEDOUT;
		else if (r < 0)
			e = errno;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) != 0)
			e = errno;
		if (e == 0)
			return fd;
	}
	close(fd);
	return -e;
}

static int open_client(struct sl_source *s, char *err, size_t errlen)
{
	int e = ECONNREFUSED;
	for (const struct addrinfo *ai = s->addrs; ai != NULL; ai = ai->ai_next) {
		int fd = connect_timeout(ai, SOCK_CONNECT_TIMEOUT_MS);
		if (fd >= 0) {
			s->client_fd = fd;
			return 0;
		}
		e = -fd;
	}
	if (s->reconnect)
		return 0; /* run() keeps trying */
	if (e == ECONNREFUSED)
		snprintf(err, errlen,
			 "socket source '%s': cannot connect to %s (%s): %s; is a server listening "
			 "there? Start one with `nc -lk %u`, or set reconnect = true to wait for it",
			 s->name, s->where, s->addrs_text, strerror(e), s->port);
	else
		snprintf(err, errlen,
			 "socket source '%s': cannot connect to %s (%s): %s; check the host and "
			 "port, or set reconnect = true to wait for the server",
			 s->name, s->where, s->addrs_text, strerror(e));
	return -e;
}

static int open_listen(struct sl_source *s, char *err, size_t errlen)
{
	const struct addrinfo *ai = s->addrs;
	struct sockaddr_storage addr;
	socklen_t alen = (socklen_t)ai->ai_addrlen;
	memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
	char text[INET6_ADDRSTRLEN + 8];
	addr_text(ai->ai_addr, alen, text, sizeof(text));

	s->listen_fd = malloc(s->n_ingest * sizeof(*s->listen_fd));
	if (s->listen_fd == NULL) {
		snprintf(err, errlen, "socket source '%s': out of memory", s->name);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < s->n_ingest; i++)
		s->listen_fd[i] = -1;
	s->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->done_fd < 0)
		goto err_sys;
	for (uint32_t i = 0; i < s->n_ingest; i++) {
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto err_sys;
		s->listen_fd[i] = fd;
		int one = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
		    bind(fd, (struct sockaddr *)&addr, alen) != 0 || listen(fd, 4096) != 0)
			goto err_sys;
		if (i == 0) {
			/* learn the port the kernel chose for port = 0, so that
			 * the other threads bind that very port */
			if (getsockname(fd, (struct sockaddr *)&addr, &alen) != 0)
				goto err_sys;
			s->port = ntohs(addr.ss_family == AF_INET6
						? ((struct sockaddr_in6 *)&addr)->sin6_port
						: ((struct sockaddr_in *)&addr)->sin_port);
		}
	}
	char where[INET6_ADDRSTRLEN + 16];
	format_where(where, sizeof(where), text, s->port);
	fprintf(stderr, "sluice: socket source '%s': listening on %s\n", s->name, where);
	return 0;

err_sys:;
	int e = errno;
	format_where(s->where, sizeof(s->where), text, s->port);
	snprintf(err, errlen,
		 "socket source '%s': cannot listen on %s: %s; is another program using that "
		 "port? Choose another port, or port = 0 for any free one",
		 s->name, s->where, strerror(e));
	return -e;
}

static struct sl_source *sock_open(const struct sl_source_spec *spec, const struct sl_settings *set,
				   uint32_t n_ingest, char *err, size_t errlen)
{
	if (sock_validate(spec, err, errlen) < 0)
		return NULL;
	struct sl_source *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "socket source '%s': out of memory", spec->name);
		return NULL;
	}
	s->client_fd = -1;
	s->done_fd = -1;
	snprintf(s->name, sizeof(s->name), "%s", spec->name);
	snprintf(s->host, sizeof(s->host), "localhost");
	s->n_ingest = n_ingest ? n_ingest : 1;
	s->max_line = set != NULL && set->max_line_length ? set->max_line_length
							   : SOCK_DEFAULT_MAX_LINE;
	if (s->max_line > (uint64_t)UINT32_MAX - 1)
		s->max_line = (uint64_t)UINT32_MAX - 1;
	const struct sl_option *o;
	uint64_t port = 0;
	if ((o = sl_options_find(&spec->options, "host")) != NULL)
		snprintf(s->host, sizeof(s->host), "%s", o->value);
	sl_option_u64(sl_options_find(&spec->options, "port"), 0, 65535, &port, err, errlen);
	s->port = (uint16_t)port;
	if ((o = sl_options_find(&spec->options, "listen")) != NULL)
		sl_option_bool(o, &s->listen, err, errlen);
	if ((o = sl_options_find(&spec->options, "reconnect")) != NULL)
		sl_option_bool(o, &s->reconnect, err, errlen);
	format_where(s->where, sizeof(s->where), s->host, s->port);

	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = s->listen ? AI_PASSIVE : 0};
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", s->port);
	int rc = getaddrinfo(s->host, portstr, &hints, &s->addrs);
	if (rc != 0) {
		snprintf(err, errlen,
			 "socket source '%s': cannot resolve host '%s': %s; check the host option",
			 s->name, s->host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		goto err_close;
	}
	size_t used = 0;
	for (const struct addrinfo *ai = s->addrs; ai != NULL && used < sizeof(s->addrs_text);
	     ai = ai->ai_next) {
		char t[INET6_ADDRSTRLEN + 8];
		addr_text(ai->ai_addr, (socklen_t)ai->ai_addrlen, t, sizeof(t));
		int n = snprintf(s->addrs_text + used, sizeof(s->addrs_text) - used, "%s%s",
				 used ? ", " : "", t);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if ((s->listen ? open_listen(s, err, errlen) : open_client(s, err, errlen)) < 0)
		goto err_close;
	return s;

err_close:
	sock_close(s);
	return NULL;
}

/* --- the ring --- */

static inline uint64_t ud(enum sock_op op, uint32_t slot)
{
	return (uint64_t)op << 32 | slot;
}

/* An SQE, submitting what is queued when the queue is full. */
static struct io_uring_sqe *get_sqe(struct sock_thread *t)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
	if (sqe == NULL) {
		io_uring_submit(&t->ring);
		sqe = io_uring_get_sqe(&t->ring);
	}
	return sqe;
}

/* Queue a request; -EBUSY if the submission queue stays full. */
#define QUEUE(t, sqe, prep, user)                                                                  \
	do {                                                                                       \
		(sqe) = get_sqe(t);                                                                \
		if ((sqe) == NULL)                                                                 \
			return -EBUSY;                                                             \
		prep;                                                                              \
		io_uring_sqe_set_data64((sqe), (user));                                            \
		(t)->inflight++;                                                                   \
	} while (0)

static int post_wake(struct sock_thread *t)
{
	struct io_uring_sqe *sqe;
	QUEUE(t, sqe, io_uring_prep_poll_add(sqe, sl_ingest_wake_fd(t->in), POLLIN), ud(OP_WAKE, 0));
	return 0;
}

static int post_accept(struct sock_thread *t)
{
	struct io_uring_sqe *sqe;
	QUEUE(t, sqe,
	      io_uring_prep_multishot_accept(sqe, t->s->listen_fd[t->idx], NULL, NULL, SOCK_CLOEXEC),
	      ud(OP_ACCEPT, 0));
	return 0;
}

static int post_timer(struct sock_thread *t, uint32_t ms, uint32_t which)
{
	struct io_uring_sqe *sqe;
	t->timer.tv_sec = ms / 1000;
	t->timer.tv_nsec = (long long)(ms % 1000) * 1000000;
	QUEUE(t, sqe, io_uring_prep_timeout(sqe, &t->timer, 0, 0), ud(OP_TIMER, which));
	return 0;
}

static int post_recv(struct sock_thread *t, uint32_t slot)
{
	struct sock_conn *c = t->conns[slot];
	struct io_uring_sqe *sqe;
	char *p;
	size_t room = sl_lines_space(c->lines, &p);
	if (room > SOCK_RECV_MAX)
		room = SOCK_RECV_MAX;
	QUEUE(t, sqe, io_uring_prep_recv(sqe, c->fd, p, room, 0), ud(OP_RECV, slot));
	return 0;
}

/* Start connecting to t->trying (client mode). */
static int post_connect(struct sock_thread *t)
{
	struct io_uring_sqe *sqe;
	const struct addrinfo *ai = t->trying;
	t->connecting_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->connecting_fd < 0) {
		int e = errno;
		sl_ingest_fail(t->in, "socket source '%s': socket: %s", t->s->name, strerror(e));
		return -e;
	}
	QUEUE(t, sqe, io_uring_prep_connect(sqe, t->connecting_fd, ai->ai_addr, ai->ai_addrlen),
	      ud(OP_CONNECT, 0));
	return 0;
}

/* --- connections --- */

static int add_conn(struct sock_thread *t, int fd)
{
	if (t->nfree == 0) {
		sl_ingest_log(t->in, "too many connections (at most %d per ingest thread); closing one",
			      SOCK_MAX_CONNS);
		close(fd);
		return 0;
	}
	struct sock_conn *c = calloc(1, sizeof(*c));
	struct sl_lines *l = sl_lines_create(t->s->max_line, SL_LINES_DEFAULT_SPACE);
	if (c == NULL || l == NULL) {
		sl_ingest_log(t->in, "out of memory for a connection's line buffer; closing it");
		free(c);
		sl_lines_destroy(l);
		close(fd);
		return 0;
	}
	c->fd = fd;
	c->lines = l;
	uint32_t slot = t->free_slots[--t->nfree];
	t->conns[slot] = c;
	t->nconns++;
	t->st->connections++;
	if (t->s->listen)
		atomic_fetch_add_explicit(&t->s->accepted, 1, memory_order_relaxed);
	return post_recv(t, slot);
}

static void check_finished(struct sl_source *s)
{
	/* acquire pairs with the release increment in drop_conn(): whoever
	 * sees a close also sees the accept counted before it, so closed <=
	 * accepted as read here, and equal means none is open */
	uint64_t closed = atomic_load_explicit(&s->closed, memory_order_acquire);
	uint64_t accepted = atomic_load_explicit(&s->accepted, memory_order_acquire);
	if (accepted > 0 && closed == accepted && !atomic_exchange(&s->finished, true)) {
		uint64_t one = 1;
		ssize_t r = write(s->done_fd, &one, sizeof(one));
		(void)r; /* a full counter is still readable */
	}
}

static void drop_conn(struct sock_thread *t, uint32_t slot)
{
	struct sock_conn *c = t->conns[slot];
	close(c->fd);
	sl_lines_destroy(c->lines);
	free(c);
	t->conns[slot] = NULL;
	t->free_slots[t->nfree++] = slot;
	t->nconns--;
	if (t->s->listen) {
		atomic_fetch_add_explicit(&t->s->closed, 1, memory_order_release);
		check_finished(t->s);
	}
}

static void mark_ready(struct sock_thread *t, uint32_t slot)
{
	struct sock_conn *c = t->conns[slot];
	if (!c->ready) {
		c->ready = true;
		t->ready[t->nready++] = slot;
	}
}

/* --- completions --- */

static int start_connect(struct sock_thread *t)
{
	t->trying = t->s->addrs;
	return post_connect(t);
}

static int on_connect(struct sock_thread *t, int res)
{
	struct sl_source *s = t->s;
	char text[INET6_ADDRSTRLEN + 8];
	addr_text(t->trying->ai_addr, (socklen_t)t->trying->ai_addrlen, text, sizeof(text));
	if (res == 0) {
		int fd = t->connecting_fd;
		t->connecting_fd = -1;
		t->backoff_ms = SOCK_BACKOFF_MIN_MS;
		sl_ingest_log(t->in, "connected to %s (%s)", s->where, text);
		return add_conn(t, fd);
	}
	close(t->connecting_fd);
	t->connecting_fd = -1;
	if (res == -ECANCELED)
		return 0;
	if (t->trying->ai_next != NULL) {
		t->trying = t->trying->ai_next;
		return post_connect(t);
	}
	sl_ingest_log(t->in, "cannot connect to %s (%s): %s; retrying in %u ms", s->where,
		      s->addrs_text, strerror(-res), t->backoff_ms);
	int rc = post_timer(t, t->backoff_ms, TIMER_RECONNECT);
	t->backoff_ms = t->backoff_ms * 2 > SOCK_BACKOFF_MAX_MS ? SOCK_BACKOFF_MAX_MS
								  : t->backoff_ms * 2;
	return rc;
}

static int on_accept(struct sock_thread *t, const struct io_uring_cqe *cqe)
{
	int rc = 0;
	bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
	if (!more)
		t->inflight--;
	if (cqe->res >= 0) {
		rc = add_conn(t, cqe->res);
	} else if (cqe->res == -ECANCELED) {
		return 0;
	} else {
		sl_ingest_log(t->in, "accept on %s failed: %s", t->s->where, strerror(-cqe->res));
		/* out of descriptors or memory: let some connections end
		 * rather than spin on the error */
		if (!more)
			return post_timer(t, SOCK_BACKOFF_MIN_MS, TIMER_ACCEPT);
		return 0;
	}
	if (rc == 0 && !more)
		rc = post_accept(t);
	return rc;
}

static int on_recv(struct sock_thread *t, uint32_t slot, int res)
{
	struct sock_conn *c = t->conns[slot];
	if (res > 0) {
		sl_lines_produced(c->lines, (size_t)res);
		t->st->bytes += (uint64_t)res;
	} else if (res == 0) {
		c->eof = true;
	} else if (res == -EINTR || res == -EAGAIN || res == -ENOBUFS) {
		/* nothing read; posting again below */
	} else if (res == -ECANCELED) {
		c->eof = true;
	} else {
		sl_ingest_log(t->in, "connection %s: %s; treating it as closed",
			      t->s->listen ? "from a producer" : "to the server", strerror(-res));
		c->eof = true;
	}
	if (c->eof)
		sl_lines_eof(c->lines);
	mark_ready(t, slot);
	return 0;
}

static int on_cqe(struct sock_thread *t, const struct io_uring_cqe *cqe)
{
	uint64_t u = io_uring_cqe_get_data64(cqe);
	enum sock_op op = (enum sock_op)(u >> 32);
	uint32_t slot = (uint32_t)u;
	if (op == OP_ACCEPT)
		return on_accept(t, cqe);
	t->inflight--;
	switch (op) {
	case OP_RECV:
		return on_recv(t, slot, cqe->res);
	case OP_WAKE:
		sl_ingest_wake_ack(t->in);
		if (sl_ingest_poll(t->in) < 0) {
			t->stop = true;
			return 0;
		}
		return post_wake(t);
	case OP_DONE:
		return 0; /* the loop looks at s->finished */
	case OP_CONNECT:
		return on_connect(t, cqe->res);
	case OP_TIMER:
		if (cqe->res == -ECANCELED)
			return 0;
		return slot == TIMER_ACCEPT ? post_accept(t) : start_connect(t);
	default:
		return 0;
	}
}

/* Split the ready connections' lines into the batch, commit, then post the
 * next receives or close what ended. */
static int flush(struct sock_thread *t)
{
	struct sl_vec *col = &t->batch->cols[0];
	for (uint32_t r = 0; r < t->nready; r++) {
		struct sock_conn *c = t->conns[t->ready[r]];
		for (;;) {
			uint32_t at = t->batch->nrows;
			uint32_t k = sl_lines_next_burst(c->lines, &col->v.str[at],
							 SL_INGEST_BATCH_ROWS - at);
			if (col->nulls != NULL)
				memset(col->nulls + at, 0, k);
			t->batch->nrows = at + k;
			t->st->rows += k;
			if (t->batch->nrows < SL_INGEST_BATCH_ROWS)
				break;
			if (sl_ingest_commit(t->in) < 0) {
				t->stop = true;
				return 0;
			}
		}
		uint64_t m = sl_lines_malformed(c->lines);
		t->st->malformed += m - c->malformed;
		c->malformed = m;
	}
	if (t->batch->nrows > 0 && sl_ingest_commit(t->in) < 0) {
		t->stop = true;
		return 0;
	}
	/* nothing in the batch points into a line buffer now */
	int rc = 0;
	for (uint32_t r = 0; r < t->nready && rc == 0; r++) {
		uint32_t slot = t->ready[r];
		struct sock_conn *c = t->conns[slot];
		c->ready = false;
		if (!c->eof) {
			rc = post_recv(t, slot);
			continue;
		}
		drop_conn(t, slot);
		if (!t->s->listen) {
			if (!t->s->reconnect) {
				t->input_over = true;
			} else {
				sl_ingest_log(t->in, "connection to %s closed by the server; reconnecting",
					      t->s->where);
				t->backoff_ms = SOCK_BACKOFF_MIN_MS;
				rc = start_connect(t);
			}
		}
	}
	t->nready = 0;
	return rc;
}

static bool loop_done(struct sock_thread *t)
{
	if (t->stop || t->input_over)
		return true;
	/* a thread still serving connections finishes them first */
	return t->s->listen && t->nconns == 0 && atomic_load(&t->s->finished);
}

static int loop(struct sock_thread *t)
{
	struct io_uring_cqe *cqes[SOCK_CQE_BATCH];
	while (!loop_done(t)) {
		if (sl_ingest_should_stop(t->in))
			return 0;
		int rc = io_uring_submit_and_wait(&t->ring, 1);
		if (rc < 0 && rc != -EINTR && rc != -ETIME) {
			sl_ingest_fail(t->in, "socket source '%s': io_uring: %s", t->s->name,
				       strerror(-rc));
			return rc;
		}
		unsigned n;
		while ((n = io_uring_peek_batch_cqe(&t->ring, cqes, SOCK_CQE_BATCH)) > 0) {
			/* handle the whole batch even after an error, so that
			 * inflight stays exact for quiesce() */
			rc = 0;
			for (unsigned i = 0; i < n; i++) {
				int r = on_cqe(t, cqes[i]);
				if (r < 0 && rc == 0)
					rc = r;
			}
			io_uring_cq_advance(&t->ring, n);
			if (rc < 0)
				return rc;
		}
		if ((rc = flush(t)) < 0)
			return rc;
	}
	return 0;
}

/* Cancel every request and wait for their completions, so that no receive
 * can write into a buffer about to be freed. False if some did not end. */
static bool quiesce(struct sock_thread *t)
{
	if (t->inflight > 0) {
		struct io_uring_sqe *sqe = get_sqe(t);
		if (sqe == NULL)
			return false;
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
		io_uring_sqe_set_data64(sqe, ud(OP_CANCEL, 0));
		t->inflight++;
	}
	io_uring_submit(&t->ring);
	while (t->inflight > 0) {
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = {.tv_sec = 2, .tv_nsec = 0};
		if (io_uring_wait_cqe_timeout(&t->ring, &cqe, &ts) < 0)
			return false;
		if (!(cqe->flags & IORING_CQE_F_MORE))
			t->inflight--;
		io_uring_cqe_seen(&t->ring, cqe);
	}
	return true;
}

static int thread_setup(struct sock_thread *t)
{
	struct io_uring_params p = {0};
	/* one thread submits and reaps: let the kernel defer completion work
	 * to our io_uring_enter calls instead of interrupting the thread */
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	int rc = io_uring_queue_init_params(SOCK_RING_ENTRIES, &t->ring, &p);
	if (rc == -EINVAL)
		rc = io_uring_queue_init(SOCK_RING_ENTRIES, &t->ring, 0);
	if (rc < 0) {
		sl_ingest_fail(t->in, "socket source '%s': cannot set up io_uring: %s", t->s->name,
			       strerror(-rc));
		return rc;
	}
	t->ring_ok = true;
	for (uint32_t i = 0; i < SOCK_MAX_CONNS; i++)
		t->free_slots[i] = SOCK_MAX_CONNS - 1 - i;
	t->nfree = SOCK_MAX_CONNS;
	return post_wake(t);
}

static void thread_teardown(struct sock_thread *t)
{
	bool quiet = !t->ring_ok || quiesce(t);
	for (uint32_t i = 0; i < SOCK_MAX_CONNS; i++) {
		struct sock_conn *c = t->conns[i];
		if (c == NULL)
			continue;
		close(c->fd);
		if (quiet) /* else the kernel may still write there: leak it */
			sl_lines_destroy(c->lines);
		free(c);
	}
	if (t->connecting_fd >= 0)
		close(t->connecting_fd);
	if (t->ring_ok)
		io_uring_queue_exit(&t->ring);
}

static int sock_run(struct sl_source *s, struct sl_ingest *in, uint32_t idx)
{
	struct sl_chunk *batch = sl_ingest_batch(in);
	if (batch->ncols < 1 || batch->cols[0].type != SL_TYPE_STRING) {
		sl_ingest_fail(in, "socket source '%s': the source needs the schema (value STRING)",
			       s->name);
		return -EINVAL;
	}
	if (idx >= s->n_ingest || (!s->listen && idx != 0))
		return 0;
	struct sock_thread *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		sl_ingest_fail(in, "socket source '%s': out of memory", s->name);
		return -ENOMEM;
	}
	t->s = s;
	t->in = in;
	t->st = sl_ingest_stats(in);
	t->batch = batch;
	t->idx = idx;
	t->connecting_fd = -1;
	t->backoff_ms = SOCK_BACKOFF_MIN_MS;
	int rc = thread_setup(t);
	if (rc < 0)
		goto out;
	if (s->listen) {
		struct io_uring_sqe *sqe = get_sqe(t);
		if (sqe == NULL) {
			rc = -EBUSY;
			goto out;
		}
		io_uring_prep_poll_add(sqe, s->done_fd, POLLIN);
		io_uring_sqe_set_data64(sqe, ud(OP_DONE, 0));
		t->inflight++;
		rc = post_accept(t);
	} else if (s->client_fd >= 0) {
		int fd = s->client_fd;
		s->client_fd = -1; /* thread 0 owns it now */
		rc = add_conn(t, fd);
	} else {
		rc = start_connect(t);
	}
	if (rc == 0)
		rc = loop(t);
	if (rc == -EBUSY)
		sl_ingest_fail(in, "socket source '%s': io_uring submission queue full", s->name);
out:
	thread_teardown(t);
	free(t);
	return rc < 0 ? rc : 0;
}

const struct sl_source_ops sl_source_socket_ops = {
	.name = "socket",
	.validate = sock_validate,
	.open = sock_open,
	.run = sock_run,
	.close = sock_close,
};
