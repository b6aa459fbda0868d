/*
 * mock_ingest.h — the parts of a mocked ingest core that the source tests
 * (source_options, source_batches, source_sales) share: they run a
 * connector's run() against their own struct sl_ingest, which must have
 * the fields idx, batch, stats, wake_fd (an eventfd), stop (atomic_bool),
 * fail[] and failed. Each test defines commit(), poll() and log() itself:
 * that is where they differ. Include after the struct.
 */
#ifndef SL_TESTS_MOCK_INGEST_H
#define SL_TESTS_MOCK_INGEST_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "source.h"

struct sl_chunk *sl_ingest_batch(struct sl_ingest *in)
{
	return &in->batch;
}

bool sl_ingest_should_stop(const struct sl_ingest *in)
{
	return atomic_load(&in->stop);
}

int sl_ingest_wake_fd(const struct sl_ingest *in)
{
	return in->wake_fd;
}

void sl_ingest_wake_ack(struct sl_ingest *in)
{
	uint64_t v;
	ssize_t r = read(in->wake_fd, &v, sizeof(v));
	(void)r;
}

struct sl_source_stats *sl_ingest_stats(struct sl_ingest *in)
{
	return &in->stats;
}

/* Checkpoint positions: not recorded by the mocked cores. */
void sl_ingest_set_offset(struct sl_ingest *in, uint64_t pos)
{
	(void)in;
	(void)pos;
}

uint32_t sl_ingest_index(const struct sl_ingest *in)
{
	return in->idx;
}

void sl_ingest_fail(struct sl_ingest *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(in->fail, sizeof(in->fail), fmt, ap);
	va_end(ap);
	in->failed = true;
}

#endif
