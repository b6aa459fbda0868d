/*
 * sluice_gen_dpdk.c — sluice-gen's DPDK output: frames copied into mbufs
 * and sent with rte_eth_tx_burst in bursts of 32 on one TX queue of one
 * port (a NIC, or a virtual device such as net_pcap's tx_pcap).
 *
 * Invariants: every frame handed to sg_dpdk_send() is sent before
 * sg_dpdk_flush() or sg_dpdk_close() returns (what the port did not take
 * is offered again), unless the port takes nothing for a second, which is
 * an error. Single-threaded: the generator's thread is EAL's main lcore.
 *
 * Without DPDK (SL_HAVE_DPDK 0) sg_dpdk_open() says the tool was built
 * without it.
 */
#include "sluice_gen.h"

#include "sl_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if SL_HAVE_DPDK

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <ctype.h>
#include <time.h>

#define SG_BURST 32
#define SG_TX_DESC 512
#define SG_ARGS_MAX 64

struct sg_dpdk {
	uint16_t port;
	struct rte_mempool *pool;
	struct rte_mbuf *q[SG_BURST]; /* built, not yet taken by the port */
	unsigned nq;
	char *argv_copy[SG_ARGS_MAX + 2]; /* owned: EAL keeps pointers into them */
	int argc;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct sg_dpdk *sg_dpdk_open(const char *port, const char *eal_args, size_t max_frame, size_t mtu,
			     char *err, size_t errlen)
{
	struct sg_dpdk *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* argv for EAL: the program name, then --eal split at blanks */
	d->argv_copy[d->argc++] = strdup("sluice-gen");
	for (const char *p = eal_args; *p;) {
		while (isspace((unsigned char)*p))
			p++;
		const char *e = p;
		while (*e && !isspace((unsigned char)*e))
			e++;
		if (e == p)
			break;
		if (d->argc == SG_ARGS_MAX) {
			snprintf(err, errlen, "--eal: more than %d arguments", SG_ARGS_MAX);
			goto err_args;
		}
		d->argv_copy[d->argc++] = strndup(p, (size_t)(e - p));
		p = e;
	}
	char *argv[SG_ARGS_MAX + 2];
	memcpy(argv, d->argv_copy, sizeof(argv));
	if (rte_eal_init(d->argc, argv) < 0) {
		snprintf(err, errlen,
			 "--eal '%s': rte_eal_init failed: %s (EAL's log above says why; it "
			 "usually needs root, hugepages or --no-huge, and --vdev or a bound NIC)",
			 eal_args, rte_strerror(rte_errno));
		goto err_args;
	}
	char *end;
	unsigned long id = strtoul(port, &end, 10);
	if (*port != '\0' && *end == '\0') {
		if (id >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port((uint16_t)id)) {
			snprintf(err, errlen,
				 "--dpdk %s: no such port (EAL found %u port(s); give a --vdev in --eal "
				 "or bind a NIC to a DPDK driver)",
				 port, (unsigned)rte_eth_dev_count_avail());
			goto err_eal;
		}
		d->port = (uint16_t)id;
	} else if (rte_eth_dev_get_port_by_name(port, &d->port) != 0) {
		snprintf(err, errlen, "--dpdk %s: no port of that name (EAL found %u port(s))", port,
			 (unsigned)rte_eth_dev_count_avail());
		goto err_eal;
	}
	if (max_frame + RTE_PKTMBUF_HEADROOM > UINT16_MAX) {
		snprintf(err, errlen,
			 "--dpdk: frames of %zu bytes do not fit one mbuf; lower --max-payload", max_frame);
		goto err_eal;
	}
	uint16_t room = (uint16_t)(RTE_PKTMBUF_HEADROOM + max_frame);
	if (room < RTE_MBUF_DEFAULT_BUF_SIZE)
		room = RTE_MBUF_DEFAULT_BUF_SIZE;
	/* Enough mbufs for the TX ring and a burst, within --no-huge's 64 MB. */
	unsigned n = (32u << 20) / room;
	n = n > 8191 ? 8191 : n < 2 * SG_TX_DESC ? 2 * SG_TX_DESC : n;
	int socket = rte_eth_dev_socket_id(d->port);
	d->pool = rte_pktmbuf_pool_create("sluice_gen_tx", n, 256, 0, room,
					  socket < 0 ? (int)rte_socket_id() : socket);
	if (d->pool == NULL) {
		snprintf(err, errlen, "--dpdk: cannot create a pool of %u mbufs of %u bytes: %s", n,
			 (unsigned)room, rte_strerror(rte_errno));
		goto err_eal;
	}
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	int rc = rte_eth_dev_configure(d->port, 0, 1, &conf);
	if (rc < 0) {
		snprintf(err, errlen, "--dpdk %s: configuring the port: %s", port, rte_strerror(-rc));
		goto err_pool;
	}
	uint16_t nrx = 0, ntx = SG_TX_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(d->port, &nrx, &ntx);
	rc = rte_eth_tx_queue_setup(d->port, 0, ntx, (unsigned)rte_eth_dev_socket_id(d->port), NULL);
	if (rc < 0) {
		snprintf(err, errlen, "--dpdk %s: setting up the TX queue: %s", port, rte_strerror(-rc));
		goto err_pool;
	}
	if (mtu > RTE_ETHER_MTU && rte_eth_dev_set_mtu(d->port, (uint16_t)mtu) != 0)
		fprintf(stderr, "sluice-gen: warning: --dpdk %s: cannot set the MTU to %zu; larger "
			"frames may be dropped\n", port, mtu);
	rc = rte_eth_dev_start(d->port);
	if (rc < 0) {
		snprintf(err, errlen, "--dpdk %s: starting the port: %s", port, rte_strerror(-rc));
		goto err_pool;
	}
	return d;

err_pool:
	rte_mempool_free(d->pool);
err_eal:
	rte_eal_cleanup();
err_args:
	for (int i = 0; i < d->argc; i++)
		free(d->argv_copy[i]);
	free(d);
	return NULL;
}

int sg_dpdk_flush(struct sg_dpdk *d, char *err, size_t errlen)
{
	unsigned done = 0;
	uint64_t stuck_since = 0;
	while (done < d->nq) {
		uint16_t k = rte_eth_tx_burst(d->port, 0, d->q + done, (uint16_t)(d->nq - done));
		done += k;
		if (k > 0) {
			stuck_since = 0;
		} else if (stuck_since == 0) {
			stuck_since = now_ns();
		} else if (now_ns() - stuck_since > 1000000000u) {
			snprintf(err, errlen,
				 "--dpdk: the port took no frame for a second (link down?); %u frame(s) "
				 "not sent",
				 d->nq - done);
			rte_pktmbuf_free_bulk(d->q + done, d->nq - done);
			d->nq = 0;
			return -EIO;
		}
	}
	d->nq = 0;
	return 0;
}

int sg_dpdk_send(struct sg_dpdk *d, const uint8_t *frame, size_t len, char *err, size_t errlen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(d->pool);
	if (m == NULL) { /* all in the TX ring: let the port free some */
		int rc = sg_dpdk_flush(d, err, errlen);
		if (rc < 0)
			return rc;
		for (uint64_t t0 = now_ns(); (m = rte_pktmbuf_alloc(d->pool)) == NULL;) {
			rte_eth_tx_done_cleanup(d->port, 0, 0);
			if (now_ns() - t0 > 1000000000u) {
				snprintf(err, errlen, "--dpdk: no mbuf free for a second");
				return -ENOBUFS;
			}
		}
	}
	char *p = rte_pktmbuf_append(m, (uint16_t)len);
	memcpy(p, frame, len);
	d->q[d->nq++] = m;
	return d->nq == SG_BURST ? sg_dpdk_flush(d, err, errlen) : 0;
}

void sg_dpdk_close(struct sg_dpdk *d)
{
	if (d == NULL)
		return;
	char err[256];
	if (sg_dpdk_flush(d, err, sizeof(err)) < 0)
		fprintf(stderr, "sluice-gen: %s\n", err);
	rte_eth_dev_stop(d->port);
	rte_eth_dev_close(d->port);
	rte_mempool_free(d->pool);
	rte_eal_cleanup();
	for (int i = 0; i < d->argc; i++)
		free(d->argv_copy[i]);
	free(d);
}

#else /* !SL_HAVE_DPDK */

struct sg_dpdk {
	int unused;
};

struct sg_dpdk *sg_dpdk_open(const char *port, const char *eal_args, size_t max_frame, size_t mtu,
			     char *err, size_t errlen)
{
	(void)port, (void)eal_args, (void)max_frame, (void)mtu;
	snprintf(err, errlen,
		 "--dpdk: sluice-gen was built without DPDK (install libdpdk-dev and reconfigure "
		 "with -Ddpdk=enabled), use --pcap-out or --udp instead");
	errno = ENOTSUP;
	return NULL;
}

int sg_dpdk_send(struct sg_dpdk *d, const uint8_t *frame, size_t len, char *err, size_t errlen)
{
	(void)d, (void)frame, (void)len, (void)err, (void)errlen;
	return -ENOTSUP;
}

int sg_dpdk_flush(struct sg_dpdk *d, char *err, size_t errlen)
{
	(void)d, (void)err, (void)errlen;
	return -ENOTSUP;
}

void sg_dpdk_close(struct sg_dpdk *d)
{
	(void)d;
}

#endif
