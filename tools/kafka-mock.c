/*
 * kafka-mock.c — a Kafka cluster for tests and demos: librdkafka's mock
 * cluster (rdkafka_mock.h) on loopback, with the topics asked for, run
 * until SIGTERM or SIGINT. No JVM, no ZooKeeper, nothing on disk.
 *
 *   kafka-mock [--brokers N] TOPIC:PARTITIONS[:REPLICATION]...
 *
 * Contract with its callers (tests/integration/lib.sh, it_kafka_start):
 *  - stdout gets exactly one line, "bootstrap HOST:PORT[,HOST:PORT...]",
 *    flushed once every topic exists and the brokers listen;
 *  - SIGUSR1 sets every broker down (connections dropped, new ones
 *    refused), SIGUSR2 sets them up again; each says so in one line on
 *    stderr;
 *  - SIGTERM or SIGINT: the cluster is destroyed and the exit status is 0;
 *    bad arguments: a message and exit status 2; a cluster that cannot
 *    start: exit status 1.
 *
 * Signals are taken synchronously: they are blocked before librdkafka
 * starts its threads (which inherit the mask, so none of them takes one)
 * and the main thread waits for them with sigwaitinfo. No work happens in
 * an asynchronous handler.
 *
 * What the 2.0.2 mock does and does not do (retention, ListOffsets by
 * timestamp, DeleteRecords, auto-created topics) is in docs/kafka.md.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_BROKERS 16

static const char usage[] =
	"usage: kafka-mock [--brokers N] TOPIC:PARTITIONS[:REPLICATION]...\n"
	"\n"
	"Runs librdkafka's mock Kafka cluster on 127.0.0.1 with N brokers (default 1,\n"
	"at most 16) and the topics given (REPLICATION defaults to 1 and is at most N).\n"
	"Prints one line, 'bootstrap HOST:PORT[,HOST:PORT...]', when it is ready, and\n"
	"runs until SIGTERM or SIGINT (exit status 0).\n"
	"\n"
	"Fault injection: SIGUSR1 sets every broker down, SIGUSR2 sets them up again.\n"
	"Bad arguments: exit status 2.\n";

struct topic_arg {
	const char *arg; /* as given, for messages */
	char name[250];  /* Kafka's limit is 249 characters */
	int partitions, replication;
};

/* A decimal in [lo, hi]; false when s is anything else. */
static bool parse_int(const char *s, size_t n, int lo, int hi, int *out)
{
	if (n == 0 || n > 9)
		return false;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

/* Kafka's legal topic names: [a-zA-Z0-9._-]{1,249}. */
static bool topic_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 249)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "kafka-mock: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(kafka-mock --help tells the usage)\n");
	return 2;
}

static int parse_topic(const char *arg, int brokers, struct topic_arg *t)
{
	const char *c1 = strchr(arg, ':');
	if (c1 == NULL)
		return bad_usage("'%s': a topic is NAME:PARTITIONS[:REPLICATION], e.g. events:3",
				 arg);
	const char *c2 = strchr(c1 + 1, ':');
	size_t nlen = (size_t)(c1 - arg);
	if (!topic_name_ok(arg, nlen))
		return bad_usage("'%s': a topic name is 1 to 249 of the characters a-z A-Z 0-9 . _ -",
				 arg);
	memcpy(t->name, arg, nlen);
	t->name[nlen] = '\0';
	t->arg = arg;
	size_t plen = c2 != NULL ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
	if (!parse_int(c1 + 1, plen, 1, 100000, &t->partitions))
		return bad_usage("'%s': PARTITIONS must be a whole number from 1 to 100000", arg);
	t->replication = 1;
	if (c2 != NULL && !parse_int(c2 + 1, strlen(c2 + 1), 1, brokers, &t->replication)) {
		fprintf(stderr,
			"kafka-mock: '%s': REPLICATION must be a whole number from 1 to the number of "
			"brokers (%d; --brokers sets it)\n",
			arg, brokers);
		return 2;
	}
	return 0;
}

/* The mock's own handle warns (CONFWARN) that it has no bootstrap.servers:
 * it needs none, so that one line is noise. Everything else is passed on. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (strcmp(fac, "CONFWARN") == 0)
		return;
	fprintf(stderr, "kafka-mock: librdkafka %d %s: %s\n", level, fac, buf);
}

int main(int argc, char **argv)
{
	int brokers = 1, ntopics = 0, rc = 1;
	struct topic_arg *topics = calloc((size_t)argc, sizeof(*topics));
	if (topics == NULL) {
		perror("kafka-mock");
		return 1;
	}
	/* the options first: --brokers may come after a topic whose replication
	 * it bounds, so topics are parsed in a second pass */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			free(topics);
			return 0;
		}
		if (strcmp(a, "--brokers") == 0) {
			if (i + 1 == argc) {
				free(topics);
				return bad_usage("%s needs a value: --brokers N", a);
			}
			v = argv[++i];
		} else if (strncmp(a, "--brokers=", 10) == 0) {
			v = a + 10;
		} else if (a[0] == '-') {
			free(topics);
			return bad_usage("unknown option '%s'", a);
		}
		if (v != NULL && !parse_int(v, strlen(v), 1, MAX_BROKERS, &brokers)) {
			free(topics);
			return bad_usage("--brokers '%s': a whole number from 1 to 16", v);
		}
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--brokers") == 0) {
			i++;
			continue;
		}
		if (argv[i][0] == '-')
			continue;
		int e = parse_topic(argv[i], brokers, &topics[ntopics]);
		if (e != 0) {
			free(topics);
			return e;
		}
		ntopics++;
	}

	/* before any librdkafka thread exists: they inherit this mask */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	int e = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (e != 0) {
		fprintf(stderr, "kafka-mock: pthread_sigmask: %s\n", strerror(e));
		goto err_free;
	}

	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL) {
		fprintf(stderr, "kafka-mock: rd_kafka_new: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		goto err_free;
	}
	rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (mc == NULL) {
		fprintf(stderr, "kafka-mock: could not start a mock cluster of %d broker%s on "
				"127.0.0.1\n",
			brokers, brokers == 1 ? "" : "s");
		goto err_rk;
	}
	for (int i = 0; i < ntopics; i++) {
		rd_kafka_resp_err_t te = rd_kafka_mock_topic_create(
			mc, topics[i].name, topics[i].partitions, topics[i].replication);
		if (te != RD_KAFKA_RESP_ERR_NO_ERROR) {
			fprintf(stderr, "kafka-mock: topic '%s': %s\n", topics[i].arg,
				rd_kafka_err2str(te));
			goto err_mc;
		}
	}
	if (printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc)) < 0 ||
	    fflush(stdout) != 0) {
		perror("kafka-mock: stdout");
		goto err_mc;
	}

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			perror("kafka-mock: sigwaitinfo");
			goto err_mc;
		}
		if (sig == SIGTERM || sig == SIGINT)
			break;
		bool down = sig == SIGUSR1;
		rd_kafka_resp_err_t be = down ? rd_kafka_mock_broker_set_down(mc, -1)
					      : rd_kafka_mock_broker_set_up(mc, -1);
		if (be != RD_KAFKA_RESP_ERR_NO_ERROR)
			fprintf(stderr, "kafka-mock: setting the brokers %s failed: %s\n",
				down ? "down" : "up", rd_kafka_err2str(be));
		else
			fprintf(stderr, "kafka-mock: %s: every broker is %s\n",
				down ? "SIGUSR1" : "SIGUSR2",
				down ? "down (connections refused)" : "up again");
	}
	rc = 0;
err_mc:
	rd_kafka_mock_cluster_destroy(mc);
err_rk:
	rd_kafka_destroy(rk);
err_free:
	free(topics);
	return rc;
}
