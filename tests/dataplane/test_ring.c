/* test_ring.c — the SPSC ring: order, bounds, bursts, and two threads at once. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>

#include "ring.h"

Test(ring, rejects_sizes_that_are_not_powers_of_two)
{
	errno = 0;
	cr_expect_null(sl_ring_create(0));
	cr_expect_null(sl_ring_create(1));
	cr_expect_null(sl_ring_create(12));
	cr_expect_eq(errno, EINVAL);
	struct sl_ring *r = sl_ring_create(16);
	cr_assert_not_null(r);
	cr_expect_eq(sl_ring_capacity(r), 16);
	sl_ring_destroy(r);
	sl_ring_destroy(NULL);
}

Test(ring, keeps_order_and_stops_when_full)
{
	struct sl_ring *r = sl_ring_create(8);
	struct sl_ring_item in[10], out[10];
	for (int i = 0; i < 10; i++)
		in[i] = (struct sl_ring_item){NULL, (uint64_t)i};
	cr_expect_eq(sl_ring_push_burst(r, in, 10), 8, "a full ring takes only its capacity");
	cr_expect_eq(sl_ring_push_burst(r, in + 8, 2), 0);
	cr_expect_eq(sl_ring_count(r), 8);
	struct sl_ring_item peek;
	cr_expect_eq(sl_ring_peek(r, &peek), 1);
	cr_expect_eq(peek.tag, 0);
	cr_expect_eq(sl_ring_pop_burst(r, out, 3), 3);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(out[i].tag, (uint64_t)i);
	cr_expect_eq(sl_ring_push_burst(r, in + 8, 2), 2, "room again after a pop");
	cr_expect_eq(sl_ring_pop_burst(r, out, 10), 7);
	for (int i = 0; i < 7; i++)
		cr_expect_eq(out[i].tag, (uint64_t)(i + 3));
	cr_expect_eq(sl_ring_pop_burst(r, out, 1), 0);
	cr_expect_eq(sl_ring_peek(r, &peek), 0);
	sl_ring_destroy(r);
}

Test(ring, wraps_around_many_times)
{
	struct sl_ring *r = sl_ring_create(4);
	uint64_t next_in = 0, next_out = 0;
	for (int round = 0; round < 1000; round++) {
		struct sl_ring_item items[3];
		for (int i = 0; i < 3; i++)
			items[i] = (struct sl_ring_item){NULL, next_in + (uint64_t)i};
		next_in += sl_ring_push_burst(r, items, 3);
		struct sl_ring_item got[3];
		uint32_t n = sl_ring_pop_burst(r, got, 2);
		for (uint32_t i = 0; i < n; i++)
			cr_assert_eq(got[i].tag, next_out++);
	}
	struct sl_ring_item got[4];
	uint32_t n = sl_ring_pop_burst(r, got, 4);
	for (uint32_t i = 0; i < n; i++)
		cr_assert_eq(got[i].tag, next_out++);
	cr_expect_eq(next_in, next_out);
	sl_ring_destroy(r);
}

#define STRESS_ITEMS 5000000ULL

static void *producer(void *arg)
{
	struct sl_ring *r = arg;
	uint64_t next = 0;
	struct sl_ring_item batch[7];
	while (next < STRESS_ITEMS) {
		uint32_t want = 7;
		if (STRESS_ITEMS - next < want)
			want = (uint32_t)(STRESS_ITEMS - next);
		for (uint32_t i = 0; i < want; i++)
			batch[i] = (struct sl_ring_item){(void *)(uintptr_t)(next + i), next + i};
		next += sl_ring_push_burst(r, batch, want);
	}
	return NULL;
}

Test(ring, two_threads_lose_and_reorder_nothing, .timeout = 60)
{
	struct sl_ring *r = sl_ring_create(64);
	pthread_t t;
	pthread_create(&t, NULL, producer, r);
	uint64_t expect = 0;
	uint64_t bad = 0;
	struct sl_ring_item got[5];
	while (expect < STRESS_ITEMS) {
		uint32_t n = sl_ring_pop_burst(r, got, 5);
		for (uint32_t i = 0; i < n; i++) {
			if (got[i].tag != expect || (uint64_t)(uintptr_t)got[i].ptr != expect)
				bad++;
			expect++;
		}
	}
	pthread_join(t, NULL);
	cr_expect_eq(bad, 0, "%llu items out of order or torn", (unsigned long long)bad);
	cr_expect_eq(sl_ring_count(r), 0);
	sl_ring_destroy(r);
}
