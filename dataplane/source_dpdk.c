/*
 * source_dpdk.c — the "dpdk" source connector: UDP datagrams carrying
 * records, taken off a NIC's RX queues (or a DPDK virtual device's)
 * without the kernel.
 *
 * Who does what:
 *  - open() (control thread) checks the options, starts DPDK's EAL once per
 *    process (from the `eal` option; a virtual device without it gets
 *    --no-huge --no-pci --no-shconf), finds the port (a PCI address the
 *    EAL probed, or a virtual device such as 'net_pcap0,rx_pcap=x.pcap',
 *    probed here), and sets it up: one RX queue per ingest core (as many
 *    as the device has; RSS over IP addresses and UDP ports when there
 *    are several, so that a flow stays on one core), one TX queue per
 *    core (ARP and ICMP answers), an mbuf pool per queue. The EAL pins
 *    the thread that starts it; open() puts its affinity back.
 *  - Each ingest core polls its queue with rte_eth_rx_burst in bursts of
 *    32, classifies each frame (packet.h: Ethernet, VLAN, IPv4, IPv6,
 *    UDP to `udp_port`), and parses the datagram's records straight into
 *    the ingest batch: text, csv and json records are the payload's
 *    lines (recparse.h, the file source's parsers), binary records the
 *    layout of packet.h. Strings point into the mbufs, which are freed
 *    once the rows are committed. Everything else is counted and dropped
 *    (the counters below). A core with no queue returns at once.
 *  - With `ip`, a core answers ARP requests for that address and ICMP
 *    echo requests to it, on its own TX queue.
 *
 * A live source: an epoch ends where each core is when the control thread
 * cuts it. When the cores cannot keep up (the rings to the aggregators are
 * full), the NIC's queue fills and the NIC drops: the port's imissed and
 * rx_nombuf are counters of the source, in --stats and progress.
 *
 * The input ends only with `idle_timeout` (no datagram for that long: for
 * replays of a capture, net_pcap) or when the query stops.
 *
 * Counters (--stats `stat source.NAME.X`, progress sources[].counters):
 * datagrams, dropped_truncated, dropped_bad_header, dropped_not_ip,
 * dropped_fragment (IPv4 fragments are not reassembled), dropped_not_udp,
 * dropped_other_port, dropped_multi_segment (a frame in chained mbufs),
 * arp, icmp_echo (seen), arp_replies, icmp_replies (sent), and the port's
 * nic_ipackets, nic_imissed, nic_ierrors, nic_rx_nombuf.
 *
 * Built only with libdpdk-dev (meson's dpdk option); without it the
 * connector exists and says so.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl_config.h"
#include "source.h"

#if SL_HAVE_DPDK

#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#pragma GCC diagnostic pop

#include "ingest.h"
#include "packet.h"
#include "recparse.h"

#define D_BURST 32
#define D_POOL_MBUFS 8191
#define D_POOL_CACHE 256
#define D_RX_DESC 1024
#define D_TX_DESC 256
#define D_IDLE_SPINS 1024 /* empty polls before a core naps */
#define D_NAP_US 50

enum { DC_MULTISEG = SL_PKT__COUNT, DC_ARP_REPLIES, DC_ICMP_REPLIES, DC_N };

struct dcore {
	struct sl_source *s;
	uint32_t idx;
	struct sl_ingest *in;
	struct sl_chunk *batch;
	struct sl_source_stats *st;
	struct sl_recparse *rp;
	uint64_t seen_malformed;
	struct rte_mbuf *held[SL_INGEST_BATCH_ROWS + D_BURST];
	uint32_t nheld;
	uint64_t cnt[DC_N];          /* this core's, then published: */
	_Atomic uint64_t pub[DC_N];  /* read by the control thread */
	char err[1024];
};

struct dparams {
	const char *port;
	uint64_t udp_port;
	bool has_format;
	enum sl_rec_format format;
	bool binary;
	const char *eal;
	bool promiscuous;
	uint64_t idle_us;
	bool has_ip;
	uint32_t ip; /* network order */
};

struct sl_source {
	char name[SL_NAME_MAX];
	struct dparams p;
	uint32_t n_ingest;
	bool text; /* format text: lines go in as they are */
	uint16_t port_id;
	uint16_t nq;
	bool started, probed;
	char vdev_name[128];
	struct rte_ether_addr mac;
	struct rte_mempool **pools;
	struct dcore *cores;
};

/* ------------------------------------------------------------------ */
/* options                                                             */

static const char *const dpdk_keys[] = {"port", "udp_port", "format", "eal", "promiscuous",
					"idle_timeout", "ip"};

static bool is_dpdk_key(const char *k)
{
	for (size_t i = 0; i < sizeof(dpdk_keys) / sizeof(dpdk_keys[0]); i++)
		if (strcasecmp(k, dpdk_keys[i]) == 0)
			return true;
	return false;
}

/* A virtual device (net_pcap0,rx_pcap=...), not a PCI address or a port id. */
static bool is_vdev(const char *port)
{
	return strncmp(port, "net_", 4) == 0 || strncmp(port, "eth_", 4) == 0;
}

static int parse_params(const struct sl_source_spec *spec, struct dparams *p, char *err,
			size_t errlen)
{
	const struct sl_options *opts = &spec->options;
	*p = (struct dparams){.udp_port = 9994};
	const struct sl_option *o;
	if ((o = sl_options_find(opts, "format")) != NULL) {
		if (strcasecmp(o->value, "binary") == 0) {
			p->binary = true;
		} else if (sl_rec_format_parse(o->value, &p->format) < 0) {
			snprintf(err, errlen,
				 "line %u, column %u: option 'format' must be 'text', 'csv', 'json' "
				 "or 'binary', not '%s'",
				 o->line, o->column, o->value);
			return -EINVAL;
		}
		p->has_format = true;
	}
	for (uint32_t i = 0; i < opts->n; i++) {
		const struct sl_option *v = &opts->v[i];
		if (strcasecmp(v->key, "connector") == 0 || is_dpdk_key(v->key))
			continue;
		if (p->has_format && !p->binary && sl_recparse_has_option(p->format, v->key))
			continue;
		snprintf(err, errlen,
			 "line %u, column %u: unknown option '%s' for connector 'dpdk' (known "
			 "options: port, udp_port, format, eal, promiscuous, idle_timeout, ip%s)",
			 v->line, v->column, v->key,
			 p->has_format && !p->binary ? ", and the options of the format" : "");
		return -EINVAL;
	}
	if ((o = sl_options_find(opts, "port")) == NULL || o->value[0] == '\0') {
		snprintf(err, errlen,
			 "line %u, column %u: dpdk source '%s' needs option 'port': a PCI address "
			 "bound to DPDK (port = '0000:3b:00.0') or a virtual device (port = "
			 "'net_pcap0,rx_pcap=capture.pcap', 'net_af_packet0,iface=veth0')",
			 o ? o->line : spec->line, o ? o->column : spec->column, spec->name);
		return -EINVAL;
	}
	p->port = o->value;
	if ((o = sl_options_find(opts, "udp_port")) != NULL &&
	    sl_option_u64(o, 1, 65535, &p->udp_port, err, errlen) < 0)
		return -EINVAL;
	if ((o = sl_options_find(opts, "eal")) != NULL)
		p->eal = o->value;
	if ((o = sl_options_find(opts, "promiscuous")) != NULL &&
	    sl_option_bool(o, &p->promiscuous, err, errlen) < 0)
		return -EINVAL;
	if ((o = sl_options_find(opts, "idle_timeout")) != NULL &&
	    (sl_parse_interval(o->value, &p->idle_us) < 0 || p->idle_us == 0)) {
		snprintf(err, errlen,
			 "line %u, column %u: option 'idle_timeout' must be a duration such as '2 "
			 "seconds' (the input ends after no datagram for that long), not '%s'",
			 o->line, o->column, o->value);
		return -EINVAL;
	}
	if ((o = sl_options_find(opts, "ip")) != NULL) {
		struct in_addr a;
		if (inet_pton(AF_INET, o->value, &a) != 1) {
			snprintf(err, errlen,
				 "line %u, column %u: option 'ip' must be an IPv4 address such as "
				 "'10.0.0.2' (the port answers ARP and ping for it), not '%s'",
				 o->line, o->column, o->value);
			return -EINVAL;
		}
		p->has_ip = true;
		p->ip = a.s_addr;
	}
	return 0;
}

static int dpdk_validate(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	struct dparams p;
	if (parse_params(spec, &p, err, errlen) < 0)
		return -EINVAL;
	if (p.binary) {
		for (uint32_t i = 0; i < spec->schema.ncols; i++)
			if (!sl_binrec_type_ok(spec->schema.cols[i].type)) {
				snprintf(err, errlen,
					 "line %u, column %u: dpdk source '%s' with format 'binary': "
					 "column '%s' is %s, which the binary layout cannot carry "
					 "(BOOLEAN, INT, BIGINT, DOUBLE, TIMESTAMP, STRING, BINARY; docs/dpdk.md)",
					 spec->line, spec->column, spec->name, spec->schema.cols[i].name,
					 sl_type_name(spec->schema.cols[i].type));
				return -EINVAL;
			}
		return 0;
	}
	enum sl_rec_format f = p.has_format ? p.format : SL_REC_TEXT;
	struct sl_option *fo = calloc(spec->options.n + 1, sizeof(*fo));
	if (fo == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct sl_source_spec fs;
	sl_recparse_format_spec(spec, f, is_dpdk_key, fo, &fs);
	int rc = sl_recparse_validate(&fs, f, err, errlen);
	free(fo);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the EAL, once per process                                           */

static pthread_mutex_t eal_mu = PTHREAD_MUTEX_INITIALIZER;
static bool eal_up;
static char eal_args_used[1024];

static int eal_start(const struct sl_source *s, char *err, size_t errlen)
{
	char args[1024];
	if (s->p.eal != NULL)
		snprintf(args, sizeof(args), "%s", s->p.eal);
	else if (is_vdev(s->p.port))
		snprintf(args, sizeof(args),
			 "--no-huge --no-pci --no-shconf -m 512 -l 0 --no-telemetry "
			 "--log-level=lib.eal:error");
	else
		snprintf(args, sizeof(args), "--in-memory -l 0 --no-telemetry");
	pthread_mutex_lock(&eal_mu);
	if (eal_up) {
		bool same = strcmp(args, eal_args_used) == 0 || s->p.eal == NULL;
		pthread_mutex_unlock(&eal_mu);
		if (!same) {
			snprintf(err, errlen,
				 "dpdk source '%s': DPDK's EAL starts once per process and already "
				 "runs with '%s'; this source asks for '%s' (give every dpdk source "
				 "of a process the same eal option)",
				 s->name, eal_args_used, args);
			return -EINVAL;
		}
		return 0;
	}
	char *copy = strdup(args);
	char *argv[64];
	int argc = 0;
	argv[argc++] = (char *)"sluice";
	for (char *t = strtok(copy, " \t"); t != NULL && argc < 63; t = strtok(NULL, " \t"))
		argv[argc++] = t;
	argv[argc] = NULL;
	/* the EAL pins the thread that starts it to its main lcore */
	cpu_set_t before;
	bool have_aff = pthread_getaffinity_np(pthread_self(), sizeof(before), &before) == 0;
	int rc = rte_eal_init(argc, argv);
	if (have_aff)
		pthread_setaffinity_np(pthread_self(), sizeof(before), &before);
	free(copy);
	if (rc < 0) {
		pthread_mutex_unlock(&eal_mu);
		snprintf(err, errlen,
			 "dpdk source '%s': DPDK's EAL does not start with '%s': %s%s", s->name,
			 args, rte_strerror(rte_errno),
			 geteuid() != 0 ? " (it usually needs root, or the capabilities "
					  "CAP_SYS_ADMIN, CAP_NET_RAW and CAP_IPC_LOCK; docs/dpdk.md)"
					: "");
		return -EIO;
	}
	eal_up = true;
	snprintf(eal_args_used, sizeof(eal_args_used), "%s", args);
	pthread_mutex_unlock(&eal_mu);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the port                                                            */

static int find_port(struct sl_source *s, char *err, size_t errlen)
{
	const char *spec = s->p.port;
	char name[128];
	size_t n = strcspn(spec, ",");
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, spec, n);
	name[n] = '\0';
	bool digits = n > 0 && strspn(name, "0123456789") == n;
	if (digits) {
		unsigned long id = strtoul(name, NULL, 10);
		if (id >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port((uint16_t)id)) {
			snprintf(err, errlen,
				 "dpdk source '%s': there is no DPDK port %s (%u port%s found)",
				 s->name, name, rte_eth_dev_count_avail(),
				 rte_eth_dev_count_avail() == 1 ? "" : "s");
			return -ENODEV;
		}
		s->port_id = (uint16_t)id;
		return 0;
	}
	if (rte_eth_dev_get_port_by_name(name, &s->port_id) == 0)
		return 0;
	if (!is_vdev(spec)) {
		snprintf(err, errlen,
			 "dpdk source '%s': no DPDK port '%s': a NIC must be bound to a DPDK "
			 "driver (dpdk-devbind.py --bind=vfio-pci %s) and allowed by the eal "
			 "option; docs/dpdk.md",
			 s->name, name, name);
		return -ENODEV;
	}
	if (rte_dev_probe(spec) < 0 || rte_eth_dev_get_port_by_name(name, &s->port_id) != 0) {
		snprintf(err, errlen,
			 "dpdk source '%s': the virtual device '%s' does not start: %s (is the "
			 "driver's name right, e.g. net_pcap0,rx_pcap=FILE or "
			 "net_af_packet0,iface=IFACE; does the file or interface exist?)",
			 s->name, spec, rte_strerror(rte_errno));
		return -ENODEV;
	}
	s->probed = true;
	snprintf(s->vdev_name, sizeof(s->vdev_name), "%s", name);
	return 0;
}

static int setup_port(struct sl_source *s, char *err, size_t errlen)
{
	struct rte_eth_dev_info di;
	int rc = rte_eth_dev_info_get(s->port_id, &di);
	if (rc != 0) {
		snprintf(err, errlen, "dpdk source '%s': port %u: %s", s->name, s->port_id,
			 rte_strerror(-rc));
		return -EIO;
	}
	uint16_t nq = (uint16_t)(s->n_ingest < di.max_rx_queues ? s->n_ingest : di.max_rx_queues);
	if (nq == 0)
		nq = 1;
	uint16_t ntx = nq < di.max_tx_queues ? nq : di.max_tx_queues;
	if (ntx == 0)
		ntx = 1;
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & di.flow_type_rss_offloads;
		if (conf.rx_adv_conf.rss_conf.rss_hf == 0)
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	}
	if ((rc = rte_eth_dev_configure(s->port_id, nq, ntx, &conf)) != 0) {
		snprintf(err, errlen, "dpdk source '%s': cannot configure port %u with %u queues: %s",
			 s->name, s->port_id, nq, rte_strerror(-rc));
		return -EIO;
	}
	uint16_t nrx = D_RX_DESC, ntxd = D_TX_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(s->port_id, &nrx, &ntxd);
	int socket = rte_eth_dev_socket_id(s->port_id);
	if (socket < 0)
		socket = (int)SOCKET_ID_ANY;
	s->pools = calloc(nq, sizeof(*s->pools));
	if (s->pools == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint16_t q = 0; q < nq; q++) {
		char pname[RTE_MEMPOOL_NAMESIZE];
		snprintf(pname, sizeof(pname), "sl%u_%u", s->port_id, q);
		s->pools[q] = rte_pktmbuf_pool_create(pname, D_POOL_MBUFS, D_POOL_CACHE, 0,
						      RTE_MBUF_DEFAULT_BUF_SIZE, socket);
		if (s->pools[q] == NULL) {
			snprintf(err, errlen,
				 "dpdk source '%s': no memory for the mbufs of queue %u: %s (give "
				 "the EAL more: -m, or hugepages; docs/dpdk.md)",
				 s->name, q, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		if ((rc = rte_eth_rx_queue_setup(s->port_id, q, nrx, (unsigned)socket, NULL,
						 s->pools[q])) != 0) {
			snprintf(err, errlen, "dpdk source '%s': RX queue %u of port %u: %s",
				 s->name, q, s->port_id, rte_strerror(-rc));
			return -EIO;
		}
	}
	for (uint16_t q = 0; q < ntx; q++)
		if ((rc = rte_eth_tx_queue_setup(s->port_id, q, ntxd, (unsigned)socket, NULL)) != 0) {
			snprintf(err, errlen, "dpdk source '%s': TX queue %u of port %u: %s",
				 s->name, q, s->port_id, rte_strerror(-rc));
			return -EIO;
		}
	if ((rc = rte_eth_dev_start(s->port_id)) != 0) {
		snprintf(err, errlen, "dpdk source '%s': port %u does not start: %s", s->name,
			 s->port_id, rte_strerror(-rc));
		return -EIO;
	}
	s->started = true;
	s->nq = nq;
	if (s->p.promiscuous)
		rte_eth_promiscuous_enable(s->port_id);
	rte_eth_macaddr_get(s->port_id, &s->mac);
	rte_eth_stats_reset(s->port_id);
	return 0;
}

static void dpdk_close(struct sl_source *s)
{
	if (s == NULL)
		return;
	for (uint32_t c = 0; s->cores != NULL && c < s->n_ingest; c++) {
		struct dcore *t = &s->cores[c];
		rte_pktmbuf_free_bulk(t->held, t->nheld);
		if (t->rp != NULL)
			sl_recparse_destroy(t->rp);
	}
	free(s->cores);
	if (s->started) {
		rte_eth_dev_stop(s->port_id);
		rte_eth_dev_close(s->port_id);
	}
	if (s->probed)
		rte_eal_hotplug_remove("vdev", s->vdev_name);
	for (uint16_t q = 0; s->pools != NULL && q < s->nq; q++)
		rte_mempool_free(s->pools[q]);
	free(s->pools);
	free(s);
}

static struct sl_source *dpdk_open(const struct sl_source_spec *spec,
				   const struct sl_settings *set, uint32_t n_ingest, char *err,
				   size_t errlen)
{
	(void)set;
	struct sl_source *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", spec->name);
	s->n_ingest = n_ingest;
	if (parse_params(spec, &s->p, err, errlen) < 0)
		goto fail;
	s->text = !s->p.binary && (!s->p.has_format || s->p.format == SL_REC_TEXT);
	if (eal_start(s, err, errlen) < 0 ||
	    find_port(s, err, errlen) < 0)
		goto fail;
	s->cores = calloc(n_ingest, sizeof(*s->cores));
	if (s->cores == NULL)
		goto nomem;
	for (uint32_t c = 0; c < n_ingest; c++) {
		struct dcore *t = &s->cores[c];
		t->s = s;
		t->idx = c;
		if (!s->p.binary) {
			enum sl_rec_format f = s->p.has_format ? s->p.format : SL_REC_TEXT;
			struct sl_option *fo = calloc(spec->options.n + 1, sizeof(*fo));
			if (fo == NULL)
				goto nomem;
			struct sl_source_spec fs;
			sl_recparse_format_spec(spec, f, is_dpdk_key, fo, &fs);
			t->rp = sl_recparse_create(&fs, f, err, errlen);
			free(fo);
			if (t->rp == NULL)
				goto fail;
		}
	}
	if (setup_port(s, err, errlen) < 0)
		goto fail;
	if (s->nq < n_ingest)
		fprintf(stderr,
			"sluice: dpdk source '%s': port %u has %u RX queue%s for %u ingest cores; "
			"the other cores stay idle\n",
			s->name, s->port_id, s->nq, s->nq == 1 ? "" : "s", n_ingest);
	return s;
nomem:
	snprintf(err, errlen, "dpdk source '%s': out of memory", spec->name);
fail:
	dpdk_close(s);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the ingest cores                                                    */

static void publish(struct dcore *t)
{
	for (int i = 0; i < DC_N; i++)
		atomic_store_explicit(&t->pub[i], t->cnt[i], memory_order_relaxed);
}

/* Hand the rows over, then free the mbufs they pointed into but `keep`
 * (the datagram still being parsed). 0, or -ECANCELED. */
static int commit(struct dcore *t, struct rte_mbuf *keep)
{
	int rc = 0;
	struct sl_chunk *c = t->batch;
	if (c->nrows > 0) {
		t->st->rows += c->nrows;
		rc = sl_ingest_commit(t->in);
		if (t->rp != NULL) {
			sl_recparse_reset(t->rp);
			uint64_t m = sl_recparse_malformed(t->rp);
			t->st->malformed += m - t->seen_malformed;
			t->seen_malformed = m;
		}
	}
	uint32_t k = 0;
	for (uint32_t i = 0; i < t->nheld; i++) {
		if (t->held[i] == keep)
			continue;
		t->held[k++] = t->held[i];
	}
	rte_pktmbuf_free_bulk(t->held, k);
	t->nheld = 0;
	if (keep != NULL)
		t->held[t->nheld++] = keep;
	publish(t);
	return rc;
}

/* One record (a line, or binary bytes) into the batch. 1 row, 0 none,
 * <0 fatal (failed). */
static int record_line(struct dcore *t, const char *line, uint32_t len)
{
	struct sl_chunk *c = t->batch;
	if (t->s->text) {
		/* text: the line is the value, an empty one too (recparse's
		 * text parser, without the call) */
		c->cols[0].nulls[c->nrows] = 0;
		c->cols[0].v.str[c->nrows] = (struct sl_str){line, len};
		c->nrows++;
		return 1;
	}
	int rc = sl_recparse_line(t->rp, line, len, c, c->nrows, t->err, sizeof(t->err));
	if (rc == 1) {
		c->nrows++;
		return 1;
	}
	if (rc == 0)
		return 0;
	if (rc == -ENOMEM)
		sl_ingest_fail(t->in, "dpdk source '%s': out of memory parsing a record",
			       t->s->name);
	else
		sl_ingest_fail(t->in, "dpdk source '%s': a datagram's record: %s", t->s->name,
			       t->err);
	return rc;
}

/* The datagram's records into the batch, committing when it is full. */
static int datagram(struct dcore *t, struct rte_mbuf *m, const struct sl_pkt *pk)
{
	struct sl_chunk *c = t->batch;
	bool held = false;
	const uint8_t *p = pk->payload, *end = p + pk->len;
	t->st->bytes += pk->len;
	while (p < end) {
		if (c->nrows == SL_INGEST_BATCH_ROWS) {
			int rc = commit(t, held ? m : NULL);
			if (rc < 0)
				return rc;
		}
		uint32_t before = c->nrows;
		if (t->s->p.binary) {
			const char *why;
			size_t used = sl_binrec_parse(p, (size_t)(end - p), c, c->nrows, &why);
			if (used == 0) {
				t->st->malformed++; /* the rest of the datagram */
				break;
			}
			c->nrows++;
			p += used;
		} else {
			const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
			const uint8_t *e = nl != NULL ? nl : end;
			int rc = record_line(t, (const char *)p, (uint32_t)(e - p));
			if (rc < 0)
				return rc;
			p = nl != NULL ? nl + 1 : end;
		}
		if (c->nrows > before && !held) {
			t->held[t->nheld++] = m;
			held = true;
		}
	}
	if (!held)
		rte_pktmbuf_free(m);
	return 0;
}

static inline uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Answer an ARP request or an ICMP echo for `ip` in place and send it on
 * the core's TX queue; true when the mbuf went (or was freed). */
static bool answer(struct dcore *t, struct rte_mbuf *m, enum sl_pkt_verdict v,
		   const struct sl_pkt *pk)
{
	struct sl_source *s = t->s;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	uint8_t *l3 = f + pk->l3;
	if (v == SL_PKT_ARP) {
		/* Ethernet/IPv4 ARP request (opcode 1) for our address */
		if (len < pk->l3 + 28 || l3[0] != 0 || l3[1] != 1 || l3[2] != 8 || l3[3] != 0 ||
		    l3[4] != 6 || l3[5] != 4 || l3[6] != 0 || l3[7] != 1 ||
		    memcmp(l3 + 24, &s->p.ip, 4) != 0)
			return false;
		uint8_t sha[6], spa[4];
		memcpy(sha, l3 + 8, 6);
		memcpy(spa, l3 + 14, 4);
		l3[7] = 2; /* reply */
		memcpy(l3 + 8, s->mac.addr_bytes, 6);
		memcpy(l3 + 14, &s->p.ip, 4);
		memcpy(l3 + 18, sha, 6);
		memcpy(l3 + 24, spa, 4);
		memcpy(f, sha, 6);
		memcpy(f + 6, s->mac.addr_bytes, 6);
		t->cnt[DC_ARP_REPLIES]++;
	} else {
		uint32_t ihl = (l3[0] & 0x0fu) * 4u;
		if (memcmp(l3 + 16, &s->p.ip, 4) != 0)
			return false;
		uint8_t tmp[6];
		memcpy(tmp, f, 6);
		memcpy(f, f + 6, 6);
		memcpy(f + 6, tmp, 6);
		uint8_t a[4];
		memcpy(a, l3 + 12, 4);
		memcpy(l3 + 12, l3 + 16, 4);
		memcpy(l3 + 16, a, 4);
		uint8_t *icmp = l3 + ihl;
		uint32_t ilen = (uint32_t)(l3[2] << 8 | l3[3]) - ihl;
		icmp[0] = 0; /* echo reply */
		icmp[2] = icmp[3] = 0;
		uint32_t sum = 0;
		for (uint32_t i = 0; i + 1 < ilen; i += 2)
			sum += (uint32_t)(icmp[i] << 8 | icmp[i + 1]);
		if (ilen & 1)
			sum += (uint32_t)icmp[ilen - 1] << 8;
		uint16_t c = csum_fold(sum);
		icmp[2] = (uint8_t)(c >> 8);
		icmp[3] = (uint8_t)c;
		t->cnt[DC_ICMP_REPLIES]++;
	}
	uint16_t q = (uint16_t)(t->idx < s->nq ? t->idx : 0);
	if (rte_eth_tx_burst(s->port_id, q, &m, 1) == 0)
		rte_pktmbuf_free(m);
	return true;
}

static int dpdk_run(struct sl_source *s, struct sl_ingest *in, uint32_t idx)
{
	if (idx >= s->nq)
		return 0;
	struct dcore *t = &s->cores[idx];
	t->in = in;
	t->batch = sl_ingest_batch(in);
	t->st = sl_ingest_stats(in);
	rte_thread_register(); /* an lcore id: mempool caches (fails harmlessly) */
	struct rte_mbuf *pkts[D_BURST];
	uint64_t idle_since = sl_source_now_ns();
	uint32_t spins = 0;
	int rc = 0;
	for (;;) {
		if (sl_ingest_should_stop(in))
			break;
		uint16_t n = rte_eth_rx_burst(s->port_id, (uint16_t)idx, pkts, D_BURST);
		/* other frames (ARP, the neighbours' IPv6) do not keep it going */
		if (s->p.idle_us > 0 && sl_source_now_ns() - idle_since >= s->p.idle_us * 1000) {
			rte_pktmbuf_free_bulk(pkts, n);
			break; /* the input has ended */
		}
		if (n == 0) {
			if ((rc = commit(t, NULL)) < 0 || (rc = sl_ingest_poll(in)) < 0)
				break;
			if (++spins >= D_IDLE_SPINS) {
				struct timespec ts = {0, D_NAP_US * 1000};
				nanosleep(&ts, NULL);
			}
			continue;
		}
		spins = 0;
		uint64_t dgrams = t->cnt[SL_PKT_OK];
		uint16_t i;
		for (i = 0; i < n && rc == 0; i++) {
			struct rte_mbuf *m = pkts[i];
			if (m->nb_segs > 1) {
				t->cnt[DC_MULTISEG]++;
				rte_pktmbuf_free(m);
				continue;
			}
			struct sl_pkt pk;
			enum sl_pkt_verdict v = sl_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *),
							     rte_pktmbuf_data_len(m),
							     (uint16_t)s->p.udp_port, &pk);
			t->cnt[v]++;
			if (v == SL_PKT_OK) {
				rc = datagram(t, m, &pk);
				continue;
			}
			if ((v == SL_PKT_ARP || v == SL_PKT_ICMP_ECHO) && s->p.has_ip &&
			    answer(t, m, v, &pk))
				continue;
			rte_pktmbuf_free(m);
		}
		if (rc != 0) {
			rte_pktmbuf_free_bulk(pkts + i, n - i); /* the rest of the burst */
			break;
		}
		if (s->p.idle_us > 0 && t->cnt[SL_PKT_OK] != dgrams) /* only datagrams keep it going */
			idle_since = sl_source_now_ns();
		if (t->batch->nrows == SL_INGEST_BATCH_ROWS || t->nheld >= SL_INGEST_BATCH_ROWS)
			if ((rc = commit(t, NULL)) < 0)
				break;
	}
	if (rc == -ECANCELED)
		rc = 0;
	int crc = commit(t, NULL);
	(void)crc;
	return rc;
}

/* ------------------------------------------------------------------ */
/* counters                                                            */

static void dpdk_counters(struct sl_source *s, void (*emit)(void *arg, const char *name,
							    uint64_t v),
			  void *arg)
{
	uint64_t sum[DC_N] = {0};
	for (uint32_t c = 0; c < s->n_ingest; c++)
		for (int i = 0; i < DC_N; i++)
			sum[i] += atomic_load_explicit(&s->cores[c].pub[i], memory_order_relaxed);
	for (int i = 0; i < SL_PKT__COUNT; i++)
		emit(arg, sl_pkt_verdict_name((enum sl_pkt_verdict)i), sum[i]);
	emit(arg, "dropped_multi_segment", sum[DC_MULTISEG]);
	emit(arg, "arp_replies", sum[DC_ARP_REPLIES]);
	emit(arg, "icmp_replies", sum[DC_ICMP_REPLIES]);
	struct rte_eth_stats es;
	if (s->started && rte_eth_stats_get(s->port_id, &es) == 0) {
		emit(arg, "nic_ipackets", es.ipackets);
		emit(arg, "nic_imissed", es.imissed);
		emit(arg, "nic_ierrors", es.ierrors);
		emit(arg, "nic_rx_nombuf", es.rx_nombuf);
	}
}

const struct sl_source_ops sl_source_dpdk_ops = {
	.name = "dpdk",
	.validate = dpdk_validate,
	.open = dpdk_open,
	.run = dpdk_run,
	.close = dpdk_close,
	.counters = dpdk_counters,
};

#else /* !SL_HAVE_DPDK */

static int dpdk_validate(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "line %u, column %u: dpdk source '%s': this sluice was built without DPDK "
		 "(libdpdk-dev was not found, or meson's option -Ddpdk=disabled); install "
		 "libdpdk-dev and build again (tools/bootstrap)",
		 spec->line, spec->column, spec->name);
	return -EINVAL;
}

const struct sl_source_ops sl_source_dpdk_ops = {
	.name = "dpdk",
	.validate = dpdk_validate,
};

#endif
