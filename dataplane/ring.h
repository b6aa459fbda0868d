/*
 * ring.h — bounded single-producer single-consumer ring of 16-byte items.
 *
 * One thread pushes, one thread pops; nothing else touches a ring. The
 * producer owns `head` and reads `tail`; the consumer owns `tail` and reads
 * `head`. Each side caches the other's index on its own cache line so that
 * the shared line is read only when the cache says the ring looks full or
 * empty (the scheme of DPDK's rte_ring and of Rigtorp's SPSC queue).
 *
 * Burst calls return how many items they handled; the caller still owns the
 * rest. A full ring is the backpressure signal: the producer retries later.
 */
#ifndef SL_RING_H
#define SL_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#define SL_CACHE_LINE 64

struct sl_ring_item {
	void *ptr;
	uint64_t tag;
};

struct sl_ring {
	/* read-only after create */
	alignas(SL_CACHE_LINE) uint32_t mask;
	struct sl_ring_item *slots;

	/* producer's line */
	alignas(SL_CACHE_LINE) _Atomic uint64_t head;
	uint64_t tail_cache;

	/* consumer's line */
	alignas(SL_CACHE_LINE) _Atomic uint64_t tail;
	uint64_t head_cache;

	alignas(SL_CACHE_LINE) char pad;
};

/* slots: a power of two >= 2. Returns NULL with errno EINVAL or ENOMEM. */
struct sl_ring *sl_ring_create(uint32_t slots);
void sl_ring_destroy(struct sl_ring *r);

static inline uint32_t sl_ring_capacity(const struct sl_ring *r)
{
	return r->mask + 1;
}

static inline uint32_t sl_ring_push_burst(struct sl_ring *r, const struct sl_ring_item *items,
					  uint32_t n)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t cap = (uint64_t)r->mask + 1;
	if (head - r->tail_cache + n > cap) {
		/* acquire: the consumer is done reading the slots it freed */
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
	}
	uint64_t room = cap - (head - r->tail_cache);
	if (n > room)
		n = (uint32_t)room;
	for (uint32_t i = 0; i < n; i++)
		r->slots[(head + i) & r->mask] = items[i];
	/* release: the slots' contents are visible before the new head */
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

static inline uint32_t sl_ring_pop_burst(struct sl_ring *r, struct sl_ring_item *items,
					 uint32_t n)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (r->head_cache - tail < n) {
		/* acquire: pairs with the producer's release of head */
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
	}
	uint64_t avail = r->head_cache - tail;
	if (n > avail)
		n = (uint32_t)avail;
	for (uint32_t i = 0; i < n; i++)
		items[i] = r->slots[(tail + i) & r->mask];
	/* release: we are done reading these slots before the producer reuses them */
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}

/* Look at the next item without taking it; 1 if there is one, else 0. */
static inline int sl_ring_peek(struct sl_ring *r, struct sl_ring_item *item)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (r->head_cache == tail)
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
	if (r->head_cache == tail)
		return 0;
	*item = r->slots[tail & r->mask];
	return 1;
}

/* How a thread waits for a ring: spin briefly, then yield, then sleep
 * (20 us, then 200 us), so that cores sharing a CPU on a small machine still
 * make progress. The caller zeroes *spins whenever it made progress. */
static inline void sl_backoff(unsigned *spins)
{
	unsigned s = (*spins)++;
	if (s < 64) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#elif defined(__aarch64__)
		__asm__ __volatile__("yield");
#endif
	} else if (s < 96) {
		sched_yield();
	} else {
		struct timespec ts = {0, s < 200 ? 20000 : 200000};
		nanosleep(&ts, NULL);
	}
}

/* Items in the ring now, as either side may see it (approximate). */
static inline uint32_t sl_ring_count(struct sl_ring *r)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	return (uint32_t)(head - tail);
}

#endif
