/* test_shard.c — the shard hash table: upserts, lookups, growth while
 * migrating, removal, the touched list, the arena and memory per key. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "shard.h"

/* Key i as bytes: "k" and the decimal number. */
static uint32_t key_of(uint32_t i, char *buf)
{
	return (uint32_t)snprintf(buf, 16, "k%u", i);
}

static void *put(struct sl_shard *s, uint32_t i, bool *is_new)
{
	char k[16];
	uint32_t n = key_of(i, k);
	return sl_shard_upsert(s, sl_key_hash(k, n), k, n, is_new);
}

static void *get(struct sl_shard *s, uint32_t i)
{
	char k[16];
	uint32_t n = key_of(i, k);
	return sl_shard_find(s, sl_key_hash(k, n), k, n);
}

static int del(struct sl_shard *s, uint32_t i)
{
	char k[16];
	uint32_t n = key_of(i, k);
	return sl_shard_remove(s, sl_key_hash(k, n), k, n);
}

Test(shard, destroy_null_is_a_no_op)
{
	sl_shard_destroy(NULL);
}

Test(shard, insert_and_find_a_million_keys)
{
	const uint32_t n = 1000000;
	struct sl_shard *s = sl_shard_create(16, 16);
	cr_assert_not_null(s);
	for (uint32_t i = 0; i < n; i++) {
		bool nw = false;
		uint64_t *st = put(s, i, &nw);
		cr_assert_not_null(st);
		cr_assert(nw);
		cr_assert_eq(st[0], 0);
		cr_assert_eq(st[1], 0);
		st[0] = i;
		st[1] = ~(uint64_t)i;
	}
	cr_assert_eq(sl_shard_count(s), n);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t *st = get(s, i);
		cr_assert_not_null(st, "key %u", i);
		cr_assert_eq(st[0], i);
		cr_assert_eq(st[1], ~(uint64_t)i);
		bool nw = true;
		cr_assert_eq(put(s, i, &nw), st); /* same state, same place */
		cr_assert_not(nw);
	}
	cr_assert_null(get(s, n));
	cr_assert_eq(sl_shard_count(s), n);
	sl_shard_destroy(s);
}

/* Hashes crafted so that distinct keys share the low 32 bits (the slot tag
 * and home), or the whole hash. */
Test(shard, keys_colliding_on_the_low_hash_bits)
{
	struct sl_shard *s = sl_shard_create(8, 16);
	const uint32_t n = 200;
	for (uint32_t i = 0; i < n; i++) {
		char k[16];
		uint32_t kl = key_of(i, k);
		uint64_t h = i % 2 ? ((uint64_t)i << 32 | 0xabcd0005u) : UINT64_C(0x123400000005);
		bool nw;
		uint64_t *st = sl_shard_upsert(s, h, k, kl, &nw);
		cr_assert(nw);
		*st = i;
	}
	cr_assert_eq(sl_shard_count(s), n);
	for (uint32_t i = 0; i < n; i++) {
		char k[16];
		uint32_t kl = key_of(i, k);
		uint64_t h = i % 2 ? ((uint64_t)i << 32 | 0xabcd0005u) : UINT64_C(0x123400000005);
		uint64_t *st = sl_shard_find(s, h, k, kl);
		cr_assert_not_null(st, "key %u", i);
		cr_assert_eq(*st, i);
		/* other bytes under the same hash are other keys */
		k[kl] = 'x';
		cr_assert_null(sl_shard_find(s, h, k, kl + 1));
		k[0] = 'j';
		cr_assert_null(sl_shard_find(s, h, k, kl));
	}
	/* remove every third; the rest of the cluster stays reachable */
	for (uint32_t i = 0; i < n; i += 3) {
		char k[16];
		uint32_t kl = key_of(i, k);
		uint64_t h = i % 2 ? ((uint64_t)i << 32 | 0xabcd0005u) : UINT64_C(0x123400000005);
		cr_assert_eq(sl_shard_remove(s, h, k, kl), 0);
	}
	for (uint32_t i = 0; i < n; i++) {
		char k[16];
		uint32_t kl = key_of(i, k);
		uint64_t h = i % 2 ? ((uint64_t)i << 32 | 0xabcd0005u) : UINT64_C(0x123400000005);
		uint64_t *st = sl_shard_find(s, h, k, kl);
		if (i % 3 == 0)
			cr_assert_null(st, "key %u", i);
		else
			cr_assert(st && *st == i, "key %u", i);
	}
	sl_shard_destroy(s);
}

/* Removal inside clusters that wrap around the end of the table: entries
 * homed at the last slots spill into slot 0 and on. */
Test(shard, remove_in_a_wrapping_cluster)
{
	struct sl_shard *s = sl_shard_create(8, 8); /* 16 slots, grows at 12 */
	const uint32_t n = 10;
	uint64_t hashes[10];
	for (uint32_t i = 0; i < n; i++) {
		bool nw;
		/* homes 14 and 15 for the first six, 0 to 2 for the rest */
		uint64_t home = i < 6 ? 14u + (i % 2) : i % 3;
		hashes[i] = (uint64_t)i << 40;
		while (sl_shard_home_slot(s, hashes[i]) != home)
			hashes[i]++;
		uint64_t *st = sl_shard_upsert(s, hashes[i], &i, sizeof(i), &nw);
		*st = i;
	}
	cr_assert_not(sl_shard_migrating(s));
	for (uint32_t r = 0; r < n; r++) {
		cr_assert_eq(sl_shard_remove(s, hashes[r], &r, sizeof(r)), 0);
		cr_assert_eq(sl_shard_remove(s, hashes[r], &r, sizeof(r)), -ENOENT);
		for (uint32_t i = 0; i < n; i++) {
			uint64_t *st = sl_shard_find(s, hashes[i], &i, sizeof(i));
			if (i <= r)
				cr_assert_null(st);
			else
				cr_assert(st && *st == i, "after removing %u, key %u", r, i);
		}
	}
	cr_assert_eq(sl_shard_count(s), 0);
	sl_shard_destroy(s);
}

/* A shard filled in the slot order of others (a combiner's partials
 * drained again and again into an aggregator's shard, a snapshot read back
 * into a new table) stays as compact as one filled in random order. With
 * homes from the tags' low bits (or any home order shared by every table
 * size) such drains come in sorted sweeps that pile up into clusters: the
 * aggregator of 150,000 distinct keys took 2,000 probe steps a lookup,
 * through a cluster of 5,000 slots: its table as big as the combiner's and
 * 60% full, a second drain in the same order brought more keys a slot
 * than there were free slots, a wave that grew with every key. Here: four
 * drains of 40,000 distinct keys from 65,536-slot shards into a shard
 * that grows from 16 slots, and into one sized up front; a missing key's
 * probe steps (sl_shard_miss_steps) every 1,000 keys while it fills. */
Test(shard, filling_in_other_shards_slot_order_keeps_probes_short)
{
	for (int presize = 0; presize < 2; presize++) {
		struct sl_shard *dst = sl_shard_create(8, presize ? 400000 : 16);
		double worst = 0;
		uint32_t next = 0;
		for (int drain = 0; drain < 4; drain++) {
			struct sl_shard *src = sl_shard_create(8, 40000);
			for (uint32_t i = 0; i < 40000; i++) {
				bool nw;
				cr_assert_not_null(put(src, next++, &nw));
			}
			cr_assert_not(sl_shard_migrating(src));
			struct sl_shard_iter it;
			struct sl_shard_entry e;
			sl_shard_iter_init(&it, src);
			uint32_t k = 0;
			while (sl_shard_iter_next(&it, &e)) {
				bool nw;
				cr_assert_not_null(sl_shard_upsert(dst, sl_key_hash(e.key, e.klen),
								   e.key, e.klen, &nw));
				cr_assert(nw);
				/* the table as a lookup then finds it, now and then */
				if (++k % 1000 == 0) {
					double m = sl_shard_miss_steps(dst);
					if (m > worst)
						worst = m;
				}
			}
			sl_shard_destroy(src);
		}
		cr_assert_eq(sl_shard_count(dst), 4 * 40000);
		/* linear probing at a load of up to 3/4: about 8 steps a miss
		 * (Knuth); the sweeps made it hundreds */
		cr_expect_lt(worst, 20.0, "target %s: %.1f probe steps a missing key at the worst",
			     presize ? "sized up front" : "grown", worst);
		sl_shard_destroy(dst);
	}
}

Test(shard, growth_keeps_every_entry_findable_mid_migration)
{
	struct sl_shard *s = sl_shard_create(8, 4);
	uint32_t n = 0, migrations = 0, checks = 0;
	bool was = false;
	while (n < 20000) {
		bool nw;
		uint64_t *st = put(s, n, &nw);
		cr_assert(st && nw);
		*st = n;
		n++;
		bool now = sl_shard_migrating(s);
		migrations += now && !was;
		was = now;
		/* growth has not stopped the world: while the old table is
		 * drained, everything is still there */
		if (now && checks++ % 37 == 0) {
			for (uint32_t i = 0; i < n; i++) {
				uint64_t *f = get(s, i);
				cr_assert(f && *f == i, "key %u of %u mid-migration", i, n);
			}
			cr_assert_null(get(s, n));
		}
	}
	cr_assert_geq(migrations, 8);
	cr_assert_gt(checks, 0);

	/* an idle core finishes the migration with steps */
	while (!sl_shard_migrating(s)) {
		bool nw;
		uint64_t *st = put(s, n, &nw);
		*st = n;
		n++;
	}
	cr_assert_gt(sl_shard_step(s, 1), 0);
	while (sl_shard_step(s, 64) > 0)
		;
	cr_assert_not(sl_shard_migrating(s));
	cr_assert_eq(sl_shard_step(s, 64), 0);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t *f = get(s, i);
		cr_assert(f && *f == i);
	}
	cr_assert_eq(sl_shard_count(s), n);
	sl_shard_destroy(s);
}

Test(shard, remove_during_migration_and_reinsert)
{
	struct sl_shard *s = sl_shard_create(8, 4);
	uint32_t n = 0;
	/* stop right after a growth starts */
	for (;;) {
		bool nw;
		uint64_t *st = put(s, n, &nw);
		*st = n + 1;
		n++;
		if (n > 1000 && sl_shard_migrating(s))
			break;
	}
	for (uint32_t i = 0; i < n; i += 2)
		cr_assert_eq(del(s, i), 0, "key %u", i);
	cr_assert_eq(sl_shard_count(s), n / 2);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t *f = get(s, i);
		if (i % 2 == 0) {
			cr_assert_null(f);
			cr_assert_eq(del(s, i), -ENOENT);
		} else {
			cr_assert(f && *f == i + 1);
		}
	}
	/* a removed key comes back new, with a zeroed state */
	for (uint32_t i = 0; i < n; i += 2) {
		bool nw;
		uint64_t *st = put(s, i, &nw);
		cr_assert(st && nw && *st == 0);
	}
	cr_assert_eq(sl_shard_count(s), n);
	sl_shard_destroy(s);
}

Test(shard, iterator_sees_every_entry_once)
{
	for (uint32_t stop = 0; stop < 2; stop++) {
		struct sl_shard *s = sl_shard_create(4, 4);
		uint32_t n = 0;
		for (;;) {
			bool nw;
			uint32_t *st = put(s, n, &nw);
			*st = n;
			n++;
			/* once mid-migration, once not */
			if (n > 3000 && sl_shard_migrating(s) == (stop == 0))
				break;
		}
		uint8_t *seen = calloc(n, 1);
		struct sl_shard_iter it;
		struct sl_shard_entry e;
		uint32_t count = 0;
		sl_shard_iter_init(&it, s);
		while (sl_shard_iter_next(&it, &e)) {
			uint32_t i = *(uint32_t *)e.state;
			char k[16];
			uint32_t kl = key_of(i, k);
			cr_assert_lt(i, n);
			cr_assert_not(seen[i], "key %u twice", i);
			seen[i] = 1;
			cr_assert_eq(e.klen, kl);
			cr_assert_arr_eq(e.key, k, kl);
			count++;
		}
		cr_assert_eq(count, n);
		free(seen);
		sl_shard_destroy(s);
	}
}

static uint32_t touched_list(struct sl_shard *s, uint32_t *out, uint32_t max)
{
	struct sl_shard_iter it;
	struct sl_shard_entry e;
	uint32_t n = 0;
	sl_shard_touched_init(&it, s);
	while (sl_shard_touched_next(&it, &e)) {
		cr_assert_lt(n, max);
		out[n++] = *(uint32_t *)e.state;
	}
	return n;
}

Test(shard, touched_list_per_epoch)
{
	struct sl_shard *s = sl_shard_create(4, 4);
	uint32_t got[64];
	bool nw;
	/* before any epoch, nothing is tracked */
	for (uint32_t i = 0; i < 5; i++)
		*(uint32_t *)put(s, i, &nw) = i;
	cr_assert_eq(touched_list(s, got, 64), 0);
	cr_assert_eq(sl_shard_touched_count(s), 0);
	cr_assert_eq(sl_shard_epoch(s), 0);

	/* epoch 1: existing and new keys, in the order first touched, once */
	sl_shard_begin_epoch(s, 1);
	cr_assert_eq(sl_shard_epoch(s), 1);
	uint32_t order1[] = {3, 7, 3, 1, 7, 8, 3};
	for (uint32_t j = 0; j < 7; j++)
		*(uint32_t *)put(s, order1[j], &nw) = order1[j];
	uint32_t want1[] = {3, 7, 1, 8};
	cr_assert_eq(touched_list(s, got, 64), 4);
	cr_assert_arr_eq(got, want1, sizeof(want1));
	cr_assert_eq(sl_shard_touched_count(s), 4);

	/* find does not touch */
	cr_assert_not_null(get(s, 0));
	cr_assert_eq(sl_shard_touched_count(s), 4);

	/* removing a touched entry takes it out of the list; an untouched one
	 * does not change the list */
	cr_assert_eq(del(s, 7), 0);
	cr_assert_eq(del(s, 0), 0);
	uint32_t want1b[] = {3, 1, 8};
	cr_assert_eq(touched_list(s, got, 64), 3);
	cr_assert_arr_eq(got, want1b, sizeof(want1b));
	cr_assert_eq(sl_shard_touched_count(s), 3);
	/* and it can come back within the epoch, at the end of the list */
	*(uint32_t *)put(s, 7, &nw) = 7;
	cr_assert(nw);
	uint32_t want1c[] = {3, 1, 8, 7};
	cr_assert_eq(touched_list(s, got, 64), 4);
	cr_assert_arr_eq(got, want1c, sizeof(want1c));

	/* epoch 2 starts empty */
	sl_shard_begin_epoch(s, 2);
	cr_assert_eq(touched_list(s, got, 64), 0);
	*(uint32_t *)put(s, 8, &nw) = 8;
	*(uint32_t *)put(s, 2, &nw) = 2;
	uint32_t want2[] = {8, 2};
	cr_assert_eq(touched_list(s, got, 64), 2);
	cr_assert_arr_eq(got, want2, sizeof(want2));
	cr_assert_eq(sl_shard_count(s), 6); /* 1, 2, 3, 4, 7, 8 */
	sl_shard_destroy(s);
}

Test(shard, touched_list_across_growth)
{
	struct sl_shard *s = sl_shard_create(4, 4);
	bool nw;
	sl_shard_begin_epoch(s, 1);
	for (uint32_t i = 0; i < 5000; i++)
		*(uint32_t *)put(s, i, &nw) = i;
	sl_shard_begin_epoch(s, 2);
	for (uint32_t i = 0; i < 10000; i += 2)
		*(uint32_t *)put(s, i, &nw) = i;
	uint32_t *got = malloc(10000 * sizeof(*got));
	cr_assert_eq(touched_list(s, got, 10000), 5000);
	for (uint32_t j = 0; j < 5000; j++)
		cr_assert_eq(got[j], 2 * j);
	cr_assert_eq(sl_shard_touched_count(s), 5000);
	free(got);
	sl_shard_destroy(s);
}

Test(shard, burst_upsert_matches_single_upserts)
{
	struct sl_shard *s = sl_shard_create(8, 4);
	enum { N = 4096 };
	static char kb[N][16];
	struct sl_str keys[N];
	uint64_t hashes[N];
	void *states[N];
	uint8_t is_new[N];
	/* keys repeat: every value of i % 1500 */
	for (uint32_t i = 0; i < N; i++) {
		keys[i].len = key_of(i % 1500, kb[i]);
		keys[i].ptr = kb[i];
		hashes[i] = sl_key_hash(kb[i], keys[i].len);
	}
	cr_assert_eq(sl_shard_upsert_burst(s, hashes, keys, N, states, is_new), N);
	for (uint32_t i = 0; i < N; i++) {
		cr_assert_eq(is_new[i], i < 1500, "row %u", i);
		cr_assert_eq(states[i], get(s, i % 1500));
		(*(uint64_t *)states[i])++;
	}
	cr_assert_eq(sl_shard_count(s), 1500);
	cr_assert_eq(*(uint64_t *)get(s, 0), 3);    /* 0, 1500, 3000 */
	cr_assert_eq(*(uint64_t *)get(s, 1499), 2); /* 1499, 2999 */
	sl_shard_destroy(s);
}

/* The burst's own hit path (no growth under way) and its inserts without a
 * second probe, against sl_shard_upsert one key at a time: the same news,
 * counts, touched lists in the same order, across growth (the table starts
 * at 16 slots), epochs and removals between bursts. */
Test(shard, burst_upsert_tracks_and_grows_as_single_upserts)
{
	struct sl_shard *a = sl_shard_create(8, 4), *b = sl_shard_create(8, 4);
	enum { N = 512, KEYS = 3000, EPOCHS = 6 };
	static char kb[N][16];
	static uint32_t knum[N], ta[KEYS], tb[KEYS];
	struct sl_str keys[N];
	uint64_t hashes[N];
	void *states[N];
	uint8_t is_new[N];
	uint64_t x = 12345;
	for (uint32_t ep = 0; ep < EPOCHS; ep++) {
		sl_shard_begin_epoch(a, ep);
		sl_shard_begin_epoch(b, ep);
		for (uint32_t burst = 0; burst < 4; burst++) {
			for (uint32_t i = 0; i < N; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				/* a burst repeats keys; later epochs reach new ones */
				uint32_t k = (uint32_t)(x % (500 * (ep + 1)));
				knum[i] = k;
				keys[i].len = key_of(k, kb[i]);
				keys[i].ptr = kb[i];
				hashes[i] = sl_key_hash(kb[i], keys[i].len);
			}
			cr_assert_eq(sl_shard_upsert_burst(a, hashes, keys, N, states, is_new), N);
			for (uint32_t i = 0; i < N; i++) {
				bool nw;
				uint64_t *sb = sl_shard_upsert(b, hashes[i], keys[i].ptr, keys[i].len, &nw);
				cr_assert_not_null(sb);
				cr_assert_eq(is_new[i], nw, "epoch %u burst %u row %u", ep, burst, i);
				cr_assert_eq(*(uint64_t *)states[i], *sb);
				cr_assert_eq(sl_shard_find(a, hashes[i], keys[i].ptr, keys[i].len),
					     states[i]);
				/* the key's number in the low half (touched_list
				 * reads it), the upserts in the high half */
				if (nw) {
					*(uint64_t *)states[i] = knum[i];
					*sb = knum[i];
				}
				*(uint64_t *)states[i] += UINT64_C(1) << 32;
				*sb += UINT64_C(1) << 32;
			}
		}
		cr_assert_eq(sl_shard_count(a), sl_shard_count(b));
		cr_assert_eq(sl_shard_touched_count(a), sl_shard_touched_count(b));
		uint32_t na = touched_list(a, ta, KEYS), nb = touched_list(b, tb, KEYS);
		cr_assert_eq(na, nb);
		for (uint32_t i = 0; i < na; i++)
			cr_assert_eq(ta[i], tb[i], "epoch %u, touched %u", ep, i);
		/* every third key of the epoch's range goes, from both */
		for (uint32_t k = ep; k < 500 * (ep + 1); k += 3)
			cr_assert_eq(del(a, k), del(b, k));
	}
	sl_shard_destroy(a);
	sl_shard_destroy(b);
}

Test(shard, empty_key_and_zero_state)
{
	struct sl_shard *s = sl_shard_create(0, 1);
	bool nw;
	uint64_t h = sl_key_hash(NULL, 0);
	void *a = sl_shard_upsert(s, h, NULL, 0, &nw);
	cr_assert(a && nw);
	cr_assert_eq(sl_shard_upsert(s, h, NULL, 0, &nw), a);
	cr_assert_not(nw);
	cr_assert_eq(sl_shard_find(s, h, NULL, 0), a);
	cr_assert_eq(sl_shard_count(s), 1);
	sl_shard_destroy(s);
}

Test(shard, oversized_key_is_refused)
{
	struct sl_shard *s = sl_shard_create(8, 1);
	char k[1] = {0};
	bool nw;
	errno = 0;
	cr_assert_null(sl_shard_upsert(s, 1, k, UINT32_C(1) << 30, &nw));
	cr_assert_eq(errno, E2BIG);
	cr_assert_eq(sl_shard_count(s), 0);
	sl_shard_destroy(s);
}

Test(shard, large_keys_have_chunks_of_their_own)
{
	struct sl_shard *s = sl_shard_create(8, 1);
	size_t len = (size_t)3 << 20;
	char *k = malloc(len);
	bool nw;
	size_t before = sl_shard_memory(s);
	for (int v = 0; v < 3; v++) {
		memset(k, 'a' + v, len);
		uint64_t *st = sl_shard_upsert(s, sl_key_hash(k, len), k, (uint32_t)len, &nw);
		cr_assert(st && nw);
		*st = (uint64_t)v;
	}
	cr_assert_geq(sl_shard_memory(s), before + 3 * len);
	for (int v = 0; v < 3; v++) {
		memset(k, 'a' + v, len);
		uint64_t *st = sl_shard_find(s, sl_key_hash(k, len), k, (uint32_t)len);
		cr_assert(st && *st == (uint64_t)v);
		cr_assert_eq(sl_shard_remove(s, sl_key_hash(k, len), k, (uint32_t)len), 0);
	}
	cr_assert_lt(sl_shard_memory(s), before + len);
	/* the freed chunk slots are used again */
	memset(k, 'z', len);
	cr_assert_not_null(sl_shard_upsert(s, sl_key_hash(k, len), k, (uint32_t)len, &nw));
	free(k);
	sl_shard_destroy(s);
}

Test(shard, removed_entries_memory_is_reused)
{
	/* keys k0..k99999 and k100000.. have entries of one size class (40
	 * bytes with a 16-byte state), so every round reuses the last one's */
	struct sl_shard *s = sl_shard_create(16, 100000);
	bool nw;
	for (uint32_t i = 0; i < 100000; i++)
		cr_assert_not_null(put(s, i, &nw));
	size_t full = sl_shard_memory(s);
	for (uint32_t round = 1; round <= 3; round++) {
		for (uint32_t i = 0; i < 100000; i++)
			cr_assert_eq(del(s, (round - 1) * 100000 + i), 0);
		cr_assert_eq(sl_shard_count(s), 0);
		for (uint32_t i = 0; i < 100000; i++)
			cr_assert_not_null(put(s, round * 100000 + i, &nw));
		cr_assert_eq(sl_shard_memory(s), full, "round %u", round);
	}
	/* with the epoch list on, a removed touched entry's memory comes back
	 * at the next epoch */
	sl_shard_begin_epoch(s, 1);
	for (uint32_t i = 400000; i < 500000; i++)
		cr_assert_not_null(put(s, i, &nw));
	for (uint32_t i = 400000; i < 500000; i++)
		cr_assert_eq(del(s, i), 0);
	while (sl_shard_step(s, 1u << 20) > 0)
		;
	size_t m = sl_shard_memory(s);
	sl_shard_begin_epoch(s, 2);
	for (uint32_t i = 1400000; i < 1500000; i++)
		cr_assert_not_null(put(s, i, &nw));
	cr_assert_eq(sl_shard_memory(s), m);
	sl_shard_destroy(s);
}

Test(shard, arena_blocks_for_variable_state)
{
	struct sl_shard *s = sl_shard_create(16, 1);
	static const size_t sizes[] = {1, 8, 9, 100, 1024, 1025, 5000, 70000, 1 << 20,
				       (1 << 20) + 1, 5u << 20};
	for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
		size_t n = sizes[j], u = sl_shard_alloc_usable(n);
		cr_assert_geq(u, n);
		cr_assert_leq(u, n < 8 ? 8 : n + n / 4 + 8, "usable %zu for %zu", u, n);
		char *p = sl_shard_alloc(s, n);
		cr_assert_not_null(p);
		cr_assert_eq((uintptr_t)p % 8, 0);
		memset(p, 0x5a, u);
		sl_shard_free(s, p, n);
		/* the freed block is what the next request of its class gets */
		char *q = sl_shard_alloc(s, u);
		if (n <= (1 << 20))
			cr_assert_eq(q, p, "size %zu", n);
		sl_shard_free(s, q, u);
	}
	sl_shard_free(s, NULL, 10);
	sl_shard_destroy(s);
}

Test(shard, memory_per_key_under_64_bytes)
{
	/* a word-count-like shard: STRING keys (tag + 4..7 bytes), an 8-byte
	 * count; the figure includes table slack and arena chunk tails */
	const uint32_t n = 1000000;
	struct sl_shard *s = sl_shard_create(8, 1024);
	uint64_t key_bytes = 0;
	double worst = 0;
	uint32_t worst_at = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t k[16];
		k[0] = SL_TYPE_STRING;
		uint32_t kl = 1 + (uint32_t)snprintf((char *)k + 1, 15, "w%u", i);
		bool nw;
		cr_assert_not_null(sl_shard_upsert(s, sl_key_hash(k, kl), k, kl, &nw));
		key_bytes += kl;
		/* the worst point past the fixed costs of a small shard */
		if (i + 1 >= 65536) {
			double pk = (double)(sl_shard_memory(s) - key_bytes - 8 * (uint64_t)(i + 1)) /
				    (i + 1);
			if (pk > worst) {
				worst = pk;
				worst_at = i + 1;
			}
		}
	}
	double per_key = (double)(sl_shard_memory(s) - key_bytes - (uint64_t)n * 8) / n;
	fprintf(stderr,
		"shard memory: %.1f bytes per key beyond key and state at %u keys; "
		"worst %.1f at %u keys (table mid-growth)\n",
		per_key, n, worst, worst_at);
	cr_assert_lt(worst, 64.0);
	cr_assert_lt(per_key, 64.0);
	sl_shard_destroy(s);
}

Test(shard, clear_forgets_everything_and_refills)
{
	struct sl_shard *s = sl_shard_create(8, 16);
	char key[32];
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 50000; i++) {
			int n = snprintf(key, sizeof(key), "k%d", i);
			bool is_new;
			uint64_t *st = sl_shard_upsert(s, sl_key_hash(key, (size_t)n), key, (uint32_t)n, &is_new);
			cr_assert_not_null(st);
			cr_assert(is_new, "round %d key %d must be new after clear", round, i);
			*st = (uint64_t)i;
		}
		cr_assert_eq(sl_shard_count(s), 50000);
		for (int i = 0; i < 50000; i += 997) {
			int n = snprintf(key, sizeof(key), "k%d", i);
			uint64_t *st = sl_shard_find(s, sl_key_hash(key, (size_t)n), key, (uint32_t)n);
			cr_assert_not_null(st);
			cr_assert_eq(*st, (uint64_t)i);
		}
		sl_shard_clear(s);
		cr_assert_eq(sl_shard_count(s), 0);
		cr_assert_eq(sl_shard_touched_count(s), 0);
		int n = snprintf(key, sizeof(key), "k%d", 5);
		cr_assert_null(sl_shard_find(s, sl_key_hash(key, (size_t)n), key, (uint32_t)n));
		struct sl_shard_iter it;
		struct sl_shard_entry e;
		sl_shard_iter_init(&it, s);
		cr_assert_not(sl_shard_iter_next(&it, &e), "no entry survives a clear");
	}
	sl_shard_destroy(s);
}

/* key_equal compares short keys with overlapping loads: every byte of every
 * length must still count. Keys share one hash, so only the comparison can
 * tell them apart. */
Test(shard, keys_differing_in_any_single_byte_are_distinct)
{
	struct sl_shard *s = sl_shard_create(8, 16);
	uint8_t key[40];
	for (uint32_t len = 1; len <= sizeof(key); len++) {
		memset(key, 'a', sizeof(key));
		bool is_new;
		uint64_t hash = 0x1234567800000000ULL | len;
		uint64_t *base = sl_shard_upsert(s, hash, key, len, &is_new);
		cr_assert_not_null(base);
		cr_assert(is_new);
		for (uint32_t pos = 0; pos < len; pos++) {
			key[pos] = 'b';
			uint64_t *st = sl_shard_upsert(s, hash, key, len, &is_new);
			cr_assert_not_null(st);
			cr_assert(is_new, "length %u, byte %u differs: a new key", len, pos);
			cr_assert_neq(st, base);
			key[pos] = 'a';
		}
		uint64_t *again = sl_shard_upsert(s, hash, key, len, &is_new);
		cr_assert_not(is_new, "length %u: the same bytes are the same key", len);
		cr_assert_eq(again, base);
	}
	sl_shard_destroy(s);
}

Test(shard, entry_of_a_state_gives_its_key_back_until_removed)
{
	struct sl_shard *s = sl_shard_create(16, 4);
	cr_assert_not_null(s);
	void *states[100];
	char keys[100][16];
	for (int i = 0; i < 100; i++) {
		int n = snprintf(keys[i], sizeof(keys[i]), "key-%d", i);
		bool is_new;
		states[i] = sl_shard_upsert(s, 1000 + (uint64_t)i, keys[i], (uint32_t)n, &is_new);
		cr_assert_not_null(states[i]);
	}
	/* growth moved slots, never entries: every state pointer still names
	 * its entry */
	for (int i = 0; i < 100; i++) {
		struct sl_shard_entry e = sl_shard_entry_of(s, states[i]);
		cr_expect_eq(e.klen, strlen(keys[i]));
		cr_expect(memcmp(e.key, keys[i], e.klen) == 0);
		cr_expect_eq(e.state, states[i]);
	}
	struct sl_shard_entry e = sl_shard_entry_of(s, states[42]);
	cr_expect_eq(sl_shard_remove(s, 1042, e.key, e.klen), 0);
	cr_expect_null(sl_shard_find(s, 1042, keys[42], (uint32_t)strlen(keys[42])));
	cr_expect_eq(sl_shard_count(s), 99);
	sl_shard_destroy(s);
}

/* The link word is the caller's: zero in a new entry, kept through growth
 * and through other entries' removal, and a ref names its entry for as long
 * as it lives. The eviction index chains groups of one window end so. */
Test(shard, links_chain_entries_through_growth_and_removals)
{
	struct sl_shard *s = sl_shard_create(8, 4);
	cr_assert_not_null(s);
	enum { N = 5000 };
	uint32_t head[3] = {0, 0, 0};
	uint32_t refs[N];
	for (uint32_t i = 0; i < N; i++) {
		bool nw;
		uint32_t ref = 0;
		uint64_t *st = sl_shard_upsert_ref(s, sl_key_hash(&i, sizeof(i)), &i, sizeof(i), &nw,
						   &ref);
		cr_assert_not_null(st);
		cr_assert(nw);
		cr_assert_neq(ref, 0);
		cr_assert_eq(sl_shard_state_at(s, ref), (void *)st);
		cr_assert_eq(*sl_shard_link(s, st), 0, "a new entry's link is zero");
		*st = i;
		*sl_shard_link(s, st) = head[i % 3];
		head[i % 3] = ref;
		refs[i] = ref;
		/* the same key again: the same entry and ref, link kept */
		uint32_t again = 0;
		cr_assert_eq(sl_shard_upsert_ref(s, sl_key_hash(&i, sizeof(i)), &i, sizeof(i), &nw,
						 &again),
			     (void *)st);
		cr_assert_not(nw);
		cr_assert_eq(again, ref);
	}
	/* remove chain 1 entirely, walking it as eviction does */
	uint32_t removed = 0;
	for (uint32_t ref = head[1]; ref != 0;) {
		uint64_t *st = sl_shard_state_at(s, ref);
		ref = *sl_shard_link(s, st);
		uint32_t k = (uint32_t)*st;
		cr_assert_eq(k % 3, 1);
		cr_assert_eq(sl_shard_remove(s, sl_key_hash(&k, sizeof(k)), &k, sizeof(k)), 0);
		removed++;
	}
	cr_assert_eq(removed, (N + 1) / 3);
	/* chains 0 and 2 are intact, newest first */
	for (uint32_t c = 0; c < 3; c += 2) {
		uint32_t want = (N - 1) - ((N - 1) % 3) + c;
		if (want >= N)
			want -= 3;
		uint32_t n = 0;
		for (uint32_t ref = head[c]; ref != 0; n++) {
			uint64_t *st = sl_shard_state_at(s, ref);
			cr_assert_eq(*st, want);
			cr_assert_eq(ref, refs[want]);
			want -= 3;
			ref = *sl_shard_link(s, st);
		}
		cr_assert_eq(n, c == 0 ? (N + 2) / 3 : N / 3);
	}
	cr_assert_eq(sl_shard_count(s), N - removed);
	sl_shard_destroy(s);
}

