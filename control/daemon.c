/*
 * daemon.c — sluiced: the control server (ctl_server.h) as a daemon, with
 * its command line. docs/operations.md says how to run it.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_path.h"
#include "ctl_server.h"
#include "engine.h"
#include "plan.h"
#include "sink.h"
#include "sl_config.h"
#include "source.h"

static const char usage[] =
	"usage: sluiced [OPTIONS]\n"
	"\n"
	"Runs streaming queries submitted with sluicectl (docs/operations.md).\n"
	"\n"
	"  --socket PATH          the control socket (default $XDG_RUNTIME_DIR/sluice/ctl.sock,\n"
	"                         or /tmp/sluice-UID/ctl.sock)\n"
	"  --socket-group GROUP   make the socket 0660 and give it to GROUP (default 0600)\n"
	"  --allow-uid UID        a uid besides the daemon's own that may connect (repeatable)\n"
	"  --ingest-cores LIST    CPUs for every query's ingest threads (SET ingest_cores)\n"
	"  --agg-cores LIST       CPUs for aggregator threads (SET agg_cores)\n"
	"  --log-format FORMAT    text (default) or json: one object per line\n"
	"  --log-file PATH        log there instead of stderr; SIGHUP reopens it\n"
	"  --metrics-listen HOST:PORT  serve Prometheus metrics at http://HOST:PORT/metrics\n"
	"  -h, --help  -V, --version\n";

int main(int argc, char **argv)
{
	const char *metrics = NULL, *ingest = NULL, *agg = NULL, *log_file = NULL;
	char socket_path[108] = "";
	uid_t allowed[64];
	uint32_t nallowed = 0;
	gid_t group = 0;
	bool have_group = false, json_log = false;
	struct sl_settings base;
	char err[1024];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("sluiced %s\n", SL_VERSION);
			return 0;
		}
		bool takes = strcmp(a, "--socket") == 0 || strcmp(a, "--socket-group") == 0 ||
			     strcmp(a, "--allow-uid") == 0 || strcmp(a, "--ingest-cores") == 0 ||
			     strcmp(a, "--agg-cores") == 0 || strcmp(a, "--log-format") == 0 ||
			     strcmp(a, "--log-file") == 0 || strcmp(a, "--metrics-listen") == 0;
		if (!takes) {
			fprintf(stderr, "sluiced: unknown option '%s'\n\n%s", a, usage);
			return 2;
		}
		if (v == NULL) {
			fprintf(stderr, "sluiced: %s needs a value\n\n%s", a, usage);
			return 2;
		}
		i++;
		if (strcmp(a, "--socket") == 0) {
			snprintf(socket_path, sizeof(socket_path), "%s", v);
		} else if (strcmp(a, "--socket-group") == 0) {
			struct group *g = getgrnam(v);
			if (g == NULL) {
				fprintf(stderr, "sluiced: --socket-group: no group '%s'\n", v);
				return 2;
			}
			group = g->gr_gid;
			have_group = true;
		} else if (strcmp(a, "--allow-uid") == 0) {
			char *end;
			long u = strtol(v, &end, 10);
			if (*end != '\0' || u < 0 || nallowed == 64) {
				fprintf(stderr, "sluiced: --allow-uid takes a numeric uid, not '%s'\n", v);
				return 2;
			}
			allowed[nallowed++] = (uid_t)u;
		} else if (strcmp(a, "--ingest-cores") == 0) {
			ingest = v;
		} else if (strcmp(a, "--agg-cores") == 0) {
			agg = v;
		} else if (strcmp(a, "--log-format") == 0) {
			if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0) {
				fprintf(stderr, "sluiced: --log-format is text or json, not '%s'\n", v);
				return 2;
			}
			json_log = strcmp(v, "json") == 0;
		} else if (strcmp(a, "--log-file") == 0) {
			log_file = v;
		} else {
			metrics = v;
		}
	}
	if (socket_path[0] == '\0' && sl_ctl_default_socket(socket_path, sizeof(socket_path)) < 0) {
		fprintf(stderr, "sluiced: no default socket path fits; give --socket PATH\n");
		return 2;
	}
	if (log_file != NULL && freopen(log_file, "a", stderr) == NULL) {
		fprintf(stdout, "sluiced: cannot open the log file %s: %s\n", log_file,
			strerror(errno));
		return 1;
	}
	sl_sources_register_builtin();
	sl_sinks_register_builtin();
	sl_settings_for_process(&base);
	uint32_t n;
	if (ingest != NULL) {
		if (sl_cpu_list_parse(ingest, base.ingest_cores, 64, &n, err, sizeof(err)) < 0) {
			fprintf(stderr, "sluiced: --ingest-cores: %s\n", err);
			return 2;
		}
		base.n_ingest = n;
	}
	if (agg != NULL) {
		if (sl_cpu_list_parse(agg, base.agg_cores, 64, &n, err, sizeof(err)) < 0) {
			fprintf(stderr, "sluiced: --agg-cores: %s\n", err);
			return 2;
		}
		base.n_agg = n;
	}
	if (sl_engine_check_cores(&base, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluiced: %s\n", err);
		return 2;
	}


	struct sl_ctl_server_opts o = {.socket_path = socket_path, .json_log = json_log,
				       .log_file = log_file, .allowed = allowed, .nallowed = nallowed,
				       .have_group = have_group, .group = group,
				       .metrics_listen = metrics, .base = &base};
	if (sl_ctl_server_open(&o, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluiced: %s\n", err);
		sl_ctl_server_close();
		return 1;
	}
	sl_ctl_server_run();
	sl_ctl_server_close();
	return 0;
}
