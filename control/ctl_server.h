/*
 * ctl_server.h — the control server: queries on their own threads, the
 * control protocol on a Unix socket (docs/control-protocol.md), progress,
 * metrics. One per process (its state is the process's: signals, the
 * socket); sluiced runs it as a daemon, `sluice run` in the foreground.
 */
#ifndef SL_CTL_SERVER_H
#define SL_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "plan.h"

struct sl_ctl_server_opts {
	const char *socket_path;    /* NULL or "": no socket (nothing to reach) */
	bool json_log;              /* one JSON object per log line */
	const char *log_file;       /* SIGHUP reopens it as stderr; NULL: stderr */
	const uid_t *allowed;       /* peers besides our own uid */
	uint32_t nallowed;
	bool have_group;            /* socket 0660 for this group, else 0600 */
	gid_t group;
	const char *metrics_listen; /* HOST:PORT for GET /metrics, or NULL */
	const struct sl_settings *base; /* settings submitted SQL starts from */
	/* sluice run: the queries' lines as sluice run prints them, the
	 * server's own only when warnings or errors; SIGINT or SIGTERM stops
	 * every query, a second one leaves at once; run() returns once every
	 * query has ended */
	bool foreground;
	bool stats, until_drained; /* the engine's options for every query */
};

/* Blocks SIGINT, SIGTERM and SIGHUP (they are read through a signalfd),
 * listens. 0, or -errno with err (another daemon on the socket, ...). */
int sl_ctl_server_open(const struct sl_ctl_server_opts *o, char *err, size_t errlen);
/* Starts a query for each plan of prog (taking them; prog stays the
 * caller's to free). sql and file are what status shows. */
void sl_ctl_server_start(struct sl_program *prog, const char *sql, const char *file);
/* The loop, until a signal stopped every query (a daemon) or every query
 * has ended (foreground). Returns the worst query's exit status (0 or 1). */
int sl_ctl_server_run(void);
/* Closes the clients, joins what still runs, removes the socket. */
void sl_ctl_server_close(void);

#endif
