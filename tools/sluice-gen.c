/*
 * sluice-gen.c — the packet generator that feeds sluice's DPDK and socket
 * sources and benchmarks them (docs/sluice-gen.md): UDP datagrams of
 * records from a template, written to a pcap file, sent through a kernel
 * UDP socket, as a TCP stream (client or server), or through a DPDK port.
 *
 * Invariants:
 *  - the records, the datagrams they are grouped into and the frames are
 *    a pure function of the options (--seed): only the pace and the pcap's
 *    timestamps depend on --pps/--rps, and the pcap file not even on the
 *    clock (its timestamps start at 2024-03-01 09:00:00 UTC);
 *  - a record is never split: a datagram takes up to --records-per-datagram
 *    records while they fit in --max-payload bytes;
 *  - datagram i is due at start + i / pps (or start + its first record /
 *    rps); the sender waits for that time (sleeping, then spinning for the
 *    last stretch), and sends what is due in batches.
 *
 * One thread. Exit status: 0 done, 1 an output failed, 2 bad command line.
 */
#include "sluice_gen.h"

#include "sl_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SG_BATCH 64                   /* datagrams per sendmmsg / writev */
#define SG_PCAP_START_NS (1709283600ULL * 1000000000ULL) /* 2024-03-01 09:00:00 UTC */
#define SG_SPIN_NS 100000             /* spin the last 100 us before a send is due */

static const char usage[] =
	"usage: sluice-gen [OPTIONS] OUTPUT AMOUNT\n"
	"\n"
	"Sends UDP datagrams of records (docs/sluice-gen.md).\n"
	"\n"
	"output (exactly one):\n"
	"  --pcap-out FILE          write the frames to a classic pcap file (needs --count or --records)\n"
	"  --udp HOST:PORT          send the payloads through a kernel UDP socket\n"
	"  --tcp-connect HOST:PORT  send the records as a TCP stream to a server\n"
	"  --tcp-listen [HOST:]PORT accept one TCP connection, send the records, close\n"
	"                           (port 0: any; the port is printed on stderr)\n"
	"  --dpdk PORT              send the frames through a DPDK port (number or device name)\n"
	"  --eal 'ARGS'             EAL's arguments for --dpdk, e.g. '--no-huge --no-pci -l 0\n"
	"                           --vdev net_pcap0,tx_pcap=/tmp/x.pcap'\n"
	"\n"
	"amount (exactly one):\n"
	"  --count N                datagrams in all\n"
	"  --records N              records in all\n"
	"  --duration SECONDS       send for this long\n"
	"\n"
	"rate (default: as fast as possible):\n"
	"  --pps R                  datagrams a second\n"
	"  --rps R                  records a second\n"
	"\n"
	"records:\n"
	"  --template T             words (default), retail or ysb\n"
	"  --format F               the template's own (text, csv, json) or binary\n"
	"  --seed S                 (1) the same seed gives the same bytes\n"
	"  --words N                words: vocabulary size (1000)\n"
	"  --words-per-line K       words: words per line (8)\n"
	"  --stores N  --counters N retail: the sales generator's shop (20, 500)\n"
	"  --records-per-datagram N (1) at most N records in a datagram\n"
	"  --max-payload B          (1472 IPv4, 1452 IPv6) most UDP payload bytes\n"
	"  --records-out FILE       also write every record sent, one a line (binary: as CSV)\n"
	"\n"
	"frames (pcap and dpdk):\n"
	"  --dst-mac M (02:00:00:00:00:02)  --src-mac M (02:00:00:00:00:01)  --vlan ID\n"
	"  --ipv6  --src-ip A (10.0.0.1, fd00::1)  --dst-ip A (10.0.0.2, fd00::2)\n"
	"  --src-port P (40000 + datagram index %% 1000)  --udp-port P (9994)\n"
	"  --malformed KIND[,KIND]  after every Nth good frame add one bad frame of each kind:\n"
	"                           trunc-eth trunc-ip bad-ihl bad-iplen trunc-udp bad-udplen\n"
	"                           other-port fragment arp ipv6-other\n"
	"  --malformed-every N      (10)\n"
	"\n"
	"  --progress               a report line a second on stderr\n"
	"  -h, --help  -V, --version\n"
	"\n"
	"At the end: sent packets P records R bytes B seconds S pps X rps Y mbps Z\n"
	"(bytes: UDP payload bytes; pcap and dpdk add frames_bytes F).\n"
	"exit status: 0 done, 1 an output failed, 2 bad command line\n";

enum out_kind { OUT_NONE, OUT_PCAP, OUT_UDP, OUT_TCP_CONNECT, OUT_TCP_LISTEN, OUT_DPDK };

struct opts {
	struct sg_records rec;
	struct sg_net net;
	bool format_set;
	const char *words_opt, *wpl_opt, *stores_opt, *counters_opt; /* the flag if given */
	enum out_kind out;
	const char *out_flag, *out_arg;
	const char *eal;
	uint64_t count, records;
	double duration, pps, rps;
	uint32_t rpd;
	size_t max_payload; /* 0: the MTU's */
	const char *records_out;
	bool malformed[SG_BAD_KINDS], any_malformed;
	uint64_t malformed_every;
	bool progress;
	const char *src_ip, *dst_ip;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sluice-gen: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (sluice-gen --help lists the options)\n", stderr);
	va_end(ap);
	return 2;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep until most of the way to `due`, then spin: sleeping alone
 * overshoots by tens of microseconds. */
static void wait_until(uint64_t due)
{
	uint64_t now = now_ns();
	if (due > now + SG_SPIN_NS) {
		uint64_t wake = due - SG_SPIN_NS;
		struct timespec ts = {.tv_sec = (time_t)(wake / 1000000000u),
				      .tv_nsec = (long)(wake % 1000000000u)};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
		       !stop_requested)
			;
	}
	while (!stop_requested && now_ns() < due)
		;
}

/* --- argument parsing --- */

static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (s == NULL || *s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_positive(const char *s, double *out)
{
	if (s == NULL || *s == '\0')
		return false;
	char *end;
	double v = strtod(s, &end);
	if (*end != '\0' || !(v > 0) || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 ||
	    strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

/* HOST:PORT (HOST may be [v6]) into host and port strings. */
static bool split_host_port(const char *s, char *host, size_t hostlen, const char **port)
{
	const char *colon = strrchr(s, ':');
	if (colon == NULL || colon[1] == '\0')
		return false;
	const char *h = s;
	size_t hl = (size_t)(colon - s);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
		h++, hl -= 2;
	if (hl == 0 || hl >= hostlen)
		return false;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = colon + 1;
	uint64_t p;
	return parse_u64(*port, 0, 65535, &p);
}

static int parse_malformed(struct opts *o, const char *list)
{
	char buf[256];
	if (strlen(list) >= sizeof(buf))
		return usage_error("--malformed '%s': too long", list);
	strcpy(buf, list);
	for (char *save = NULL, *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		int i = 0;
		while (i < SG_BAD_KINDS && strcmp(k, sg_bad_names[i]) != 0)
			i++;
		if (i == SG_BAD_KINDS)
			return usage_error("--malformed: unknown kind '%s' (kinds: trunc-eth, trunc-ip, "
					   "bad-ihl, bad-iplen, trunc-udp, bad-udplen, other-port, "
					   "fragment, arp, ipv6-other)",
					   k);
		o->malformed[i] = o->any_malformed = true;
	}
	if (!o->any_malformed)
		return usage_error("--malformed needs at least one kind%s", "");
	return 0;
}

static int set_output(struct opts *o, enum out_kind k, const char *flag, const char *arg)
{
	if (o->out != OUT_NONE)
		return usage_error("%s and %s: choose one output", o->out_flag, flag);
	o->out = k;
	o->out_flag = flag;
	o->out_arg = arg;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		char *v = NULL;
		char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
		if (eq != NULL) { /* --flag=value */
			*eq = '\0';
			v = eq + 1;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			exit(0);
		}
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("sluice-gen %s\n", SL_VERSION);
			exit(0);
		}
		static const char *const flags[] = {"--ipv6", "--progress"};
		bool is_flag = strcmp(a, flags[0]) == 0 || strcmp(a, flags[1]) == 0;
		if (is_flag && v != NULL)
			return usage_error("%s takes no value", a);
		if (!is_flag && v == NULL) {
			if (strncmp(a, "--", 2) != 0)
				return usage_error("unexpected argument '%s': every option is a --flag", a);
			if (i + 1 >= argc)
				return usage_error("%s needs a value", a);
			v = argv[++i];
		}
		uint64_t u;
		if (strcmp(a, "--ipv6") == 0) {
			o->net.ipv6 = true;
		} else if (strcmp(a, "--progress") == 0) {
			o->progress = true;
		} else if (strcmp(a, "--pcap-out") == 0) {
			if (set_output(o, OUT_PCAP, a, v))
				return 2;
		} else if (strcmp(a, "--udp") == 0) {
			if (set_output(o, OUT_UDP, a, v))
				return 2;
		} else if (strcmp(a, "--tcp-connect") == 0) {
			if (set_output(o, OUT_TCP_CONNECT, a, v))
				return 2;
		} else if (strcmp(a, "--tcp-listen") == 0) {
			if (set_output(o, OUT_TCP_LISTEN, a, v))
				return 2;
		} else if (strcmp(a, "--dpdk") == 0) {
			if (set_output(o, OUT_DPDK, a, v))
				return 2;
		} else if (strcmp(a, "--eal") == 0) {
			o->eal = v;
		} else if (strcmp(a, "--count") == 0) {
			if (!parse_u64(v, 1, UINT64_MAX, &o->count))
				return usage_error("--count '%s': give a whole number of datagrams, 1 or more",
						   v);
		} else if (strcmp(a, "--records") == 0) {
			if (!parse_u64(v, 1, UINT64_MAX, &o->records))
				return usage_error("--records '%s': give a whole number of records, 1 or more",
						   v);
		} else if (strcmp(a, "--duration") == 0) {
			if (!parse_positive(v, &o->duration))
				return usage_error("--duration '%s': give seconds above 0, e.g. 10 or 0.5", v);
		} else if (strcmp(a, "--pps") == 0) {
			if (!parse_positive(v, &o->pps))
				return usage_error("--pps '%s': give datagrams a second above 0, e.g. 100000",
						   v);
		} else if (strcmp(a, "--rps") == 0) {
			if (!parse_positive(v, &o->rps))
				return usage_error("--rps '%s': give records a second above 0, e.g. 1e6", v);
		} else if (strcmp(a, "--template") == 0) {
			if (strcmp(v, "words") == 0)
				o->rec.tmpl = SG_WORDS;
			else if (strcmp(v, "retail") == 0)
				o->rec.tmpl = SG_RETAIL;
			else if (strcmp(v, "ysb") == 0)
				o->rec.tmpl = SG_YSB;
			else
				return usage_error("--template '%s': choose words, retail or ysb", v);
		} else if (strcmp(a, "--format") == 0) {
			o->format_set = true;
			if (strcmp(v, "text") == 0)
				o->rec.format = SG_TEXT;
			else if (strcmp(v, "csv") == 0)
				o->rec.format = SG_CSV;
			else if (strcmp(v, "json") == 0)
				o->rec.format = SG_JSON;
			else if (strcmp(v, "binary") == 0)
				o->rec.format = SG_BINARY;
			else
				return usage_error("--format '%s': choose text, csv, json or binary", v);
		} else if (strcmp(a, "--seed") == 0) {
			if (!parse_u64(v, 0, UINT64_MAX, &o->rec.seed))
				return usage_error("--seed '%s': give a whole number", v);
		} else if (strcmp(a, "--words") == 0) {
			o->words_opt = a;
			if (!parse_u64(v, 1, SL_GEN_MAX_WORDS, &o->rec.words))
				return usage_error("--words '%s': give a vocabulary size from 1 to %u", v,
						   SL_GEN_MAX_WORDS);
		} else if (strcmp(a, "--words-per-line") == 0) {
			o->wpl_opt = a;
			if (!parse_u64(v, 1, SL_GEN_MAX_WORDS_PER_LINE, &u))
				return usage_error("--words-per-line '%s': give 1 to %u", v,
						   SL_GEN_MAX_WORDS_PER_LINE);
			o->rec.words_per_line = (uint32_t)u;
		} else if (strcmp(a, "--stores") == 0) {
			o->stores_opt = a;
			if (!parse_u64(v, 1, SL_SALES_MAX_STORES, &u))
				return usage_error("--stores '%s': give 1 to %u", v, SL_SALES_MAX_STORES);
			o->rec.sales.stores = (uint32_t)u;
		} else if (strcmp(a, "--counters") == 0) {
			o->counters_opt = a;
			if (!parse_u64(v, 1, SL_SALES_MAX_COUNTERS, &u))
				return usage_error("--counters '%s': give 1 to %u", v, SL_SALES_MAX_COUNTERS);
			o->rec.sales.counters = (uint32_t)u;
		} else if (strcmp(a, "--records-per-datagram") == 0) {
			if (!parse_u64(v, 1, 65535, &u))
				return usage_error("--records-per-datagram '%s': give 1 to 65535", v);
			o->rpd = (uint32_t)u;
		} else if (strcmp(a, "--max-payload") == 0) {
			if (!parse_u64(v, 1, 65527, &u))
				return usage_error("--max-payload '%s': give UDP payload bytes, 1 to 65507 "
						   "(IPv6: 65527)",
						   v);
			o->max_payload = (size_t)u;
		} else if (strcmp(a, "--records-out") == 0) {
			o->records_out = v;
		} else if (strcmp(a, "--dst-mac") == 0 || strcmp(a, "--src-mac") == 0) {
			if (!parse_mac(v, a[2] == 'd' ? o->net.dst_mac : o->net.src_mac))
				return usage_error("%s '%s': give a MAC address as 02:00:00:00:00:01", a, v);
		} else if (strcmp(a, "--vlan") == 0) {
			if (!parse_u64(v, 0, 4095, &u))
				return usage_error("--vlan '%s': give a VLAN ID from 0 to 4095", v);
			o->net.vlan = (int)u;
		} else if (strcmp(a, "--src-ip") == 0) {
			o->src_ip = v;
		} else if (strcmp(a, "--dst-ip") == 0) {
			o->dst_ip = v;
		} else if (strcmp(a, "--src-port") == 0) {
			if (!parse_u64(v, 0, 65535, &u))
				return usage_error("--src-port '%s': give a port from 0 to 65535", v);
			o->net.src_port = (int)u;
		} else if (strcmp(a, "--udp-port") == 0) {
			if (!parse_u64(v, 1, 65535, &u))
				return usage_error("--udp-port '%s': give a port from 1 to 65535", v);
			o->net.dst_port = (uint16_t)u;
		} else if (strcmp(a, "--malformed") == 0) {
			if (parse_malformed(o, v))
				return 2;
		} else if (strcmp(a, "--malformed-every") == 0) {
			if (!parse_u64(v, 1, UINT64_MAX, &o->malformed_every))
				return usage_error("--malformed-every '%s': give a whole number, 1 or more", v);
		} else {
			return usage_error("unknown option '%s'", a);
		}
	}
	return 0;
}

/* The address options, now that --ipv6 is known. */
static int parse_ip(const char *flag, const char *s, bool ipv6, uint8_t *out4, uint8_t *out6)
{
	if (s == NULL)
		return 0;
	if (ipv6 ? inet_pton(AF_INET6, s, out6) == 1 : inet_pton(AF_INET, s, out4) == 1)
		return 0;
	if (!ipv6 && strchr(s, ':') != NULL)
		return usage_error("%s '%s' is an IPv6 address: add --ipv6", flag, s);
	return usage_error("%s '%s': give an %s address", flag, s, ipv6 ? "IPv6" : "IPv4");
}

/* Checks what goes together; 0 or 2. */
static int check_args(struct opts *o)
{
	struct sg_records *r = &o->rec;
	if (o->out == OUT_NONE)
		return usage_error("no output: give one of --pcap-out FILE, --udp HOST:PORT, "
				   "--tcp-connect HOST:PORT, --tcp-listen PORT, --dpdk PORT%s",
				   "");
	int amounts = (o->count > 0) + (o->records > 0) + (o->duration > 0);
	if (amounts != 1)
		return usage_error("%s: give exactly one of --count N, --records N, --duration SECONDS",
				   amounts ? "more than one amount" : "no amount");
	if (o->out == OUT_PCAP && o->duration > 0)
		return usage_error("--pcap-out is written as fast as the disk goes: give --count N or "
				   "--records N instead of --duration%s",
				   "");
	if (o->pps > 0 && o->rps > 0)
		return usage_error("--pps and --rps: give one rate%s", "");
	if (o->eal != NULL && o->out != OUT_DPDK)
		return usage_error("--eal goes with --dpdk PORT%s", "");
#if !SL_HAVE_DPDK
	if (o->out == OUT_DPDK)
		return usage_error("--dpdk: sluice-gen was built without DPDK; install libdpdk-dev and "
				   "reconfigure with -Ddpdk=enabled, or use --pcap-out or --udp%s",
				   "");
#endif
	if (o->any_malformed && o->out != OUT_PCAP && o->out != OUT_DPDK)
		return usage_error("--malformed makes bad frames: it goes with --pcap-out or --dpdk, "
				   "not %s",
				   o->out_flag);
	enum sg_format natural = sg_template_format(r->tmpl);
	if (!o->format_set)
		r->format = natural;
	else if (r->format != natural && r->format != SG_BINARY)
		return usage_error("--format %s: template %s is %s or binary", sg_format_name(r->format),
				   sg_template_name(r->tmpl), sg_format_name(natural));
	if (r->format == SG_BINARY && (o->out == OUT_TCP_CONNECT || o->out == OUT_TCP_LISTEN))
		return usage_error("%s sends a stream of lines: binary records have no line ends; use "
				   "--format %s, or --udp",
				   o->out_flag, sg_format_name(natural));
	if ((o->words_opt || o->wpl_opt) && r->tmpl != SG_WORDS)
		return usage_error("%s goes with --template words", o->words_opt ? o->words_opt : o->wpl_opt);
	if ((o->stores_opt || o->counters_opt) && r->tmpl != SG_RETAIL)
		return usage_error("%s goes with --template retail",
				   o->stores_opt ? o->stores_opt : o->counters_opt);
	if (r->sales.counters < r->sales.stores)
		return usage_error("--counters %u is fewer than --stores %u: every store needs a counter",
				   r->sales.counters, r->sales.stores);
	r->sales.seed = r->seed;
	if (parse_ip("--src-ip", o->src_ip, o->net.ipv6, o->net.src_ip4, o->net.src_ip6) ||
	    parse_ip("--dst-ip", o->dst_ip, o->net.ipv6, o->net.dst_ip4, o->net.dst_ip6))
		return 2;
	size_t limit = o->net.ipv6 ? 65527 : 65507; /* 65535 less the IP and UDP headers */
	if (o->out == OUT_PCAP || o->out == OUT_DPDK) /* and the whole frame within pcap's snaplen */
		limit = 65535 - (14 + (o->net.vlan >= 0 ? 4 : 0) + (o->net.ipv6 ? 40 : 20) + 8);
	if (o->max_payload == 0)
		o->max_payload = o->net.ipv6 ? 1452 : 1472;
	else if (o->max_payload > limit)
		return usage_error("--max-payload %zu: at most %zu here (the frame must hold the IP "
				   "and UDP headers in 65535 bytes)",
				   o->max_payload, limit);
	return 0;
}

/* --- outputs --- */

struct output {
	enum out_kind kind;
	FILE *pcap;
	int fd;
	struct sockaddr_storage addr; /* --udp: the destination */
	socklen_t addrlen;
	struct sg_dpdk *dpdk;
	/* --udp, --tcp-*: payloads waiting to be sent together */
	uint8_t *slot[SG_BATCH]; /* owned, max_payload bytes each */
	size_t len[SG_BATCH];
	unsigned n;
	uint64_t udp_retries;
};

static int resolve(const char *flag, const char *arg, int socktype, int flags,
		   struct addrinfo **res)
{
	char host[256];
	const char *port;
	if (!split_host_port(arg, host, sizeof(host), &port)) {
		fprintf(stderr, "sluice-gen: error: %s '%s': give HOST:PORT, e.g. 127.0.0.1:9999\n", flag,
			arg);
		return 2;
	}
	struct addrinfo hints = {.ai_socktype = socktype, .ai_flags = AI_NUMERICSERV | flags};
	int rc = getaddrinfo(host, port, &hints, res);
	if (rc != 0) {
		fprintf(stderr, "sluice-gen: error: %s '%s': cannot resolve '%s': %s\n", flag, arg, host,
			gai_strerror(rc));
		return 2;
	}
	return 0;
}

static int open_tcp_listen(const char *arg)
{
	char spec[300];
	if (strchr(arg, ':') == NULL) /* a bare port: every address */
		snprintf(spec, sizeof(spec), "0.0.0.0:%s", arg);
	else
		snprintf(spec, sizeof(spec), "%s", arg);
	struct addrinfo *ai;
	if (resolve("--tcp-listen", spec, SOCK_STREAM, AI_PASSIVE, &ai))
		return -2;
	int ls = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, ai->ai_addr, ai->ai_addrlen) < 0 || listen(ls, 1) < 0) {
		fprintf(stderr, "sluice-gen: error: --tcp-listen %s: cannot listen: %s\n", arg,
			strerror(errno));
		freeaddrinfo(ai);
		if (ls >= 0)
			close(ls);
		return -1;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	getsockname(ls, (struct sockaddr *)&sa, &sl);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
	}
	fprintf(stderr, "sluice-gen: listening on %s:%u\n", host, port);
	int fd;
	while ((fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		if (errno != EINTR || stop_requested) {
			fprintf(stderr, "sluice-gen: error: --tcp-listen %s: accept: %s\n", arg,
				stop_requested ? "interrupted" : strerror(errno));
			close(ls);
			return -1;
		}
	}
	close(ls);
	return fd;
}

/* 0, 1 (a runtime failure, said) or 2 (bad argument, said). */
static int output_open(struct output *out, const struct opts *o)
{
	out->kind = o->out;
	out->fd = -1;
	if (o->out == OUT_UDP || o->out == OUT_TCP_CONNECT || o->out == OUT_TCP_LISTEN) {
		for (unsigned i = 0; i < SG_BATCH; i++)
			if ((out->slot[i] = malloc(o->max_payload)) == NULL) {
				fprintf(stderr, "sluice-gen: error: out of memory\n");
				return 1;
			}
	}
	switch (o->out) {
	case OUT_PCAP:
		out->pcap = fopen(o->out_arg, "wb");
		if (out->pcap == NULL) {
			fprintf(stderr, "sluice-gen: error: --pcap-out %s: cannot create: %s\n", o->out_arg,
				strerror(errno));
			return 1;
		}
		setvbuf(out->pcap, NULL, _IOFBF, 1 << 20);
		return sg_pcap_header(out->pcap) == 0 ? 0 : 1;
	case OUT_UDP: {
		struct addrinfo *ai;
		if (resolve("--udp", o->out_arg, SOCK_DGRAM, 0, &ai))
			return 2;
		/* Unconnected: a port nobody listens on is not an error to the sender. */
		out->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		memcpy(&out->addr, ai->ai_addr, ai->ai_addrlen);
		out->addrlen = ai->ai_addrlen;
		freeaddrinfo(ai);
		if (out->fd < 0) {
			fprintf(stderr, "sluice-gen: error: --udp: socket: %s\n", strerror(errno));
			return 1;
		}
		int sndbuf = 4 << 20;
		setsockopt(out->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		return 0;
	}
	case OUT_TCP_CONNECT: {
		struct addrinfo *ai;
		if (resolve("--tcp-connect", o->out_arg, SOCK_STREAM, 0, &ai))
			return 2;
		int err = 0;
		for (struct addrinfo *p = ai; p != NULL && out->fd < 0; p = p->ai_next) {
			out->fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (out->fd >= 0 && connect(out->fd, p->ai_addr, p->ai_addrlen) < 0) {
				err = errno;
				close(out->fd);
				out->fd = -1;
			}
		}
		freeaddrinfo(ai);
		if (out->fd < 0) {
			fprintf(stderr,
				"sluice-gen: error: --tcp-connect %s: cannot connect: %s (is the server "
				"listening?)\n",
				o->out_arg, strerror(err));
			return 1;
		}
		return 0;
	}
	case OUT_TCP_LISTEN:
		out->fd = open_tcp_listen(o->out_arg);
		return out->fd == -2 ? 2 : out->fd < 0 ? 1 : 0;
	case OUT_DPDK: {
		char err[512];
		size_t mtu = (o->net.ipv6 ? 40 : 20) + 8 + o->max_payload;
		out->dpdk = sg_dpdk_open(o->out_arg, o->eal ? o->eal : "",
					 14 + (o->net.vlan >= 0 ? 4 : 0) + mtu, mtu, err, sizeof(err));
		if (out->dpdk == NULL) {
			fprintf(stderr, "sluice-gen: error: %s\n", err);
			return 1;
		}
		return 0;
	}
	case OUT_NONE:
		break;
	}
	return 1;
}

/* Sends the batched payloads; 0 or 1 (said). */
static int output_flush(struct output *out)
{
	if (out->n == 0)
		return 0;
	if (out->kind == OUT_UDP) {
		struct mmsghdr msg[SG_BATCH];
		struct iovec iov[SG_BATCH];
		memset(msg, 0, sizeof(msg));
		for (unsigned i = 0; i < out->n; i++) {
			iov[i] = (struct iovec){out->slot[i], out->len[i]};
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &out->addr;
			msg[i].msg_hdr.msg_namelen = out->addrlen;
		}
		for (unsigned done = 0; done < out->n;) {
			int k = sendmmsg(out->fd, msg + done, out->n - done, 0);
			if (k > 0) {
				done += (unsigned)k;
			} else if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
				out->udp_retries++; /* the queue is full: let it drain */
				struct timespec ts = {0, 20000};
				nanosleep(&ts, NULL);
			} else if (errno == ECONNREFUSED) {
				continue; /* an old ICMP error reported: it is consumed, send again */
			} else {
				fprintf(stderr, "sluice-gen: error: --udp: sendmmsg: %s\n", strerror(errno));
				return 1;
			}
		}
	} else if (out->kind == OUT_TCP_CONNECT || out->kind == OUT_TCP_LISTEN) {
		struct iovec iov[SG_BATCH];
		for (unsigned i = 0; i < out->n; i++)
			iov[i] = (struct iovec){out->slot[i], out->len[i]};
		for (unsigned first = 0; first < out->n;) {
			ssize_t k = writev(out->fd, iov + first, (int)(out->n - first));
			if (k < 0) {
				if (errno == EINTR)
					continue;
				fprintf(stderr, "sluice-gen: error: TCP: sending: %s%s\n", strerror(errno),
					errno == EPIPE || errno == ECONNRESET ? " (the peer closed the connection)" : "");
				return 1;
			}
			while (first < out->n && (size_t)k >= iov[first].iov_len)
				k -= (ssize_t)iov[first++].iov_len;
			if (first < out->n) {
				iov[first].iov_base = (uint8_t *)iov[first].iov_base + k;
				iov[first].iov_len -= (size_t)k;
			}
		}
	}
	out->n = 0;
	return 0;
}

static void output_close(struct output *out)
{
	if (out->pcap != NULL)
		fclose(out->pcap);
	if (out->fd >= 0) {
		if (out->kind == OUT_TCP_CONNECT || out->kind == OUT_TCP_LISTEN)
			shutdown(out->fd, SHUT_WR);
		close(out->fd);
	}
	sg_dpdk_close(out->dpdk);
	for (unsigned i = 0; i < SG_BATCH; i++)
		free(out->slot[i]);
}

/* --- the report --- */

struct totals {
	uint64_t packets, records, bytes, frames_bytes;
};

static void report(FILE *f, const struct totals *t, const struct totals *since, double secs,
		   double total_secs, bool frames)
{
	double s = secs > 0 ? secs : 1e-9;
	fprintf(f,
		"sent packets %" PRIu64 " records %" PRIu64 " bytes %" PRIu64
		" seconds %.3f pps %.0f rps %.0f mbps %.3f",
		t->packets, t->records, t->bytes, total_secs, (double)(t->packets - since->packets) / s,
		(double)(t->records - since->records) / s, (double)(t->bytes - since->bytes) * 8 / s / 1e6);
	if (frames)
		fprintf(f, " frames_bytes %" PRIu64, t->frames_bytes);
	fputc('\n', f);
	fflush(f);
}

/* --- main loop --- */

int main(int argc, char **argv)
{
	struct opts o = {
		.rec = {.tmpl = SG_WORDS, .seed = 1, .words = 1000, .words_per_line = 8},
		.net = {.dst_mac = {2, 0, 0, 0, 0, 2}, .src_mac = {2, 0, 0, 0, 0, 1}, .vlan = -1,
			.src_ip4 = {10, 0, 0, 1}, .dst_ip4 = {10, 0, 0, 2},
			.src_ip6 = {0xfd, [15] = 1}, .dst_ip6 = {0xfd, [15] = 2},
			.src_port = -1, .dst_port = 9994},
		.rpd = 1,
		.malformed_every = 10,
	};
	sl_sales_params_default(&o.rec.sales);
	int rc = parse_args(argc, argv, &o);
	if (rc == 0)
		rc = check_args(&o);
	if (rc != 0)
		return rc;

	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: stop waits */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	uint8_t *wire = malloc(SG_RECORD_MAX), *payload = malloc(o.max_payload);
	char *text = malloc(SG_RECORD_MAX);
	uint8_t *frame = malloc(SG_FRAME_MAX + 128);
	FILE *records_out = NULL;
	struct output out;
	memset(&out, 0, sizeof(out));
	out.fd = -1;
	rc = 1;
	if (wire == NULL || payload == NULL || text == NULL || frame == NULL ||
	    sg_records_init(&o.rec) < 0) {
		fprintf(stderr, "sluice-gen: error: out of memory\n");
		goto done;
	}
	if (o.records_out != NULL) {
		records_out = fopen(o.records_out, "w");
		if (records_out == NULL) {
			fprintf(stderr, "sluice-gen: error: --records-out %s: cannot create: %s\n",
				o.records_out, strerror(errno));
			goto done;
		}
		setvbuf(records_out, NULL, _IOFBF, 1 << 20);
	}
	rc = output_open(&out, &o);
	if (rc != 0)
		goto done;

	bool frames = o.out == OUT_PCAP || o.out == OUT_DPDK;
	bool paced = (o.pps > 0 || o.rps > 0) && o.out != OUT_PCAP;
	struct totals t = {0}, last = {0};
	uint64_t bad[SG_BAD_KINDS] = {0};
	uint64_t start = now_ns(), last_report = start;
	uint64_t end = o.duration > 0 ? start + (uint64_t)(o.duration * 1e9) : UINT64_MAX;
	bool have_pending = false;
	size_t pend_len = 0, text_len = 0;
	uint64_t made = 0;
	char err[512];
	for (uint64_t i = 0; !stop_requested; i++) {
		if (o.count > 0 && i == o.count)
			break;
		uint64_t now = 0;
		if (paced || o.duration > 0 || o.progress) {
			now = now_ns();
			if (now >= end)
				break;
		}
		if (o.records > 0 && made == o.records && !have_pending)
			break;
		/* When it is due: the schedule of --pps or --rps. */
		uint64_t due_off = o.pps > 0   ? (uint64_t)((double)i * 1e9 / o.pps)
				   : o.rps > 0 ? (uint64_t)((double)t.records * 1e9 / o.rps)
						 : i * 1000; /* pcap: 1 us apart */
		if (paced && start + due_off > now) {
			if (start + due_off >= end)
				break;
			if (output_flush(&out)) /* what is due already goes first */
				goto done;
			if (o.out == OUT_DPDK && sg_dpdk_flush(out.dpdk, err, sizeof(err)) < 0) {
				fprintf(stderr, "sluice-gen: error: %s\n", err);
				goto done;
			}
			wait_until(start + due_off);
			if (stop_requested)
				break;
			now = now_ns();
		}
		/* The datagram's payload, record by record. */
		uint8_t *p = payload;
		if (!frames && out.n == SG_BATCH && output_flush(&out))
			goto done;
		if (!frames)
			p = out.slot[out.n];
		size_t len = 0;
		uint32_t nrec = 0;
		while (nrec < o.rpd) {
			if (!have_pending) {
				if (o.records > 0 && made == o.records)
					break;
				pend_len = sg_records_next(&o.rec, wire, text, &text_len);
				made++;
				have_pending = true;
			}
			if (len + pend_len > o.max_payload) {
				if (nrec > 0)
					break;
				fprintf(stderr,
					"sluice-gen: error: record %" PRIu64 " is %zu bytes, more than "
					"--max-payload %zu; raise --max-payload (up to 65507, with a larger "
					"MTU) or make records smaller (--words-per-line)\n",
					made - 1, pend_len, o.max_payload);
				rc = 2; /* the options do not fit together */
				goto done;
			}
			memcpy(p + len, wire, pend_len);
			len += pend_len;
			nrec++;
			have_pending = false;
			if (records_out != NULL)
				fwrite(text, 1, text_len, records_out);
		}
		size_t flen = 0;
		if (frames) {
			flen = sg_frame_build(&o.net, i, payload, len, frame);
			if (o.out == OUT_PCAP) {
				if (sg_pcap_frame(out.pcap, SG_PCAP_START_NS + due_off, frame, flen) < 0)
					goto write_err;
			} else if (sg_dpdk_send(out.dpdk, frame, flen, err, sizeof(err)) < 0) {
				fprintf(stderr, "sluice-gen: error: %s\n", err);
				goto done;
			}
		} else {
			out.len[out.n++] = len;
		}
		t.packets++;
		t.records += nrec;
		t.bytes += len;
		t.frames_bytes += flen;
		if (o.any_malformed && t.packets % o.malformed_every == 0) {
			for (int k = 0; k < SG_BAD_KINDS; k++) {
				if (!o.malformed[k])
					continue;
				size_t blen = sg_frame_bad(&o.net, (enum sg_bad)k, i, payload, len, frame);
				if (o.out == OUT_PCAP) {
					if (sg_pcap_frame(out.pcap, SG_PCAP_START_NS + due_off, frame, blen) < 0)
						goto write_err;
				} else if (sg_dpdk_send(out.dpdk, frame, blen, err, sizeof(err)) < 0) {
					fprintf(stderr, "sluice-gen: error: %s\n", err);
					goto done;
				}
				bad[k]++;
			}
		}
		if (o.progress && now - last_report >= 1000000000u) {
			report(stderr, &t, &last, (double)(now - last_report) / 1e9,
			       (double)(now - start) / 1e9, frames);
			last = t;
			last_report = now;
		}
	}
	if (output_flush(&out))
		goto done;
	if (o.out == OUT_DPDK && sg_dpdk_flush(out.dpdk, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluice-gen: error: %s\n", err);
		goto done;
	}
	if (o.out == OUT_PCAP && fflush(out.pcap) != 0)
		goto write_err;
	if (records_out != NULL && fflush(records_out) != 0) {
		fprintf(stderr, "sluice-gen: error: --records-out %s: writing: %s\n", o.records_out,
			strerror(errno));
		goto done;
	}
	double secs = (double)(now_ns() - start) / 1e9;
	static const struct totals zero;
	report(stdout, &t, &zero, secs, secs, frames);
	for (int k = 0; k < SG_BAD_KINDS; k++)
		if (o.malformed[k])
			printf("malformed %s %" PRIu64 "\n", sg_bad_names[k], bad[k]);
	if (out.udp_retries > 0)
		fprintf(stderr, "sluice-gen: the UDP send queue was full %" PRIu64 " time(s)\n",
			out.udp_retries);
	rc = 0;
	goto done;
write_err:
	fprintf(stderr, "sluice-gen: error: --pcap-out %s: writing: %s\n", o.out_arg, strerror(errno));
	rc = 1;
done:
	output_close(&out);
	if (records_out != NULL)
		fclose(records_out);
	sg_records_free(&o.rec);
	free(wire);
	free(payload);
	free(text);
	free(frame);
	return rc;
}
