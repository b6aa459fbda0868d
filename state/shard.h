/*
 * shard.h — one shard of a query's aggregation state: a hash table from group
 * key bytes (dataplane/key.h) to a fixed-size aggregate state, its entries in
 * a per-shard arena, and the list of entries an epoch touched.
 *
 * Owned by the aggregator core that owns the shard; only that thread calls
 * these functions (no locks inside). The control thread sees a shard only
 * through what that core hands it.
 *
 * Guarantees:
 *  - A state pointer stays valid, at the same address, until its entry is
 *    removed or the shard destroyed: growth moves slots, never entries.
 *  - A new entry's state is all zero bytes (state/aggregate.h makes that the
 *    initial state of every aggregate).
 *  - Growth never stops the world: each upsert or remove migrates a bounded
 *    number of old slots to the bigger table (Redis dictRehash), and
 *    sl_shard_step lets an idle core finish the job.
 *  - The caller hashes with sl_key_hash and passes the same (hash, key) to
 *    every call for a key; the table trusts the hash.
 */
#ifndef SL_SHARD_H
#define SL_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

struct sl_shard;

/* state_size: bytes of state per key (may be 0); initial_capacity: keys the
 * table holds before it first grows. NULL + errno (ENOMEM) on failure. */
struct sl_shard *sl_shard_create(uint32_t state_size, uint32_t initial_capacity);
void sl_shard_destroy(struct sl_shard *s);

/* The state of key (hash, key[0..klen)), inserted zeroed when absent
 * (*is_new says which). NULL with errno ENOMEM, or E2BIG when klen >= 2^30. */
void *sl_shard_upsert(struct sl_shard *s, uint64_t hash, const void *key, uint32_t klen,
		      bool *is_new);

/* Upserts keys[0..n) (with their hashes) in order: states[i] and is_new[i]
 * (0/1) for each. Prefetches the slots of the keys ahead. Returns how many
 * were done; fewer than n only on failure (errno as sl_shard_upsert). */
uint32_t sl_shard_upsert_burst(struct sl_shard *s, const uint64_t *hashes,
			       const struct sl_str *keys, uint32_t n, void **states,
			       uint8_t *is_new);

/* sl_shard_upsert that also gives the entry's ref: a 32-bit name of the
 * entry, never 0, valid while the entry lives (sl_shard_state_at). */
void *sl_shard_upsert_ref(struct sl_shard *s, uint64_t hash, const void *key, uint32_t klen,
			  bool *is_new, uint32_t *ref);

/* The state of the key, or NULL when absent. Changes nothing. */
void *sl_shard_find(const struct sl_shard *s, uint64_t hash, const void *key, uint32_t klen);

/* Removes the key: 0, or -ENOENT. Arena memory the state points to (see
 * sl_shard_alloc) is the caller's to free first. A removed entry no longer
 * shows in either iterator. */
int sl_shard_remove(struct sl_shard *s, uint64_t hash, const void *key, uint32_t klen);

/* Live keys. */
uint64_t sl_shard_count(const struct sl_shard *s);
/* Forget every entry (a combiner after it shipped its partial states). Keeps
 * the table's size and one arena chunk, so refilling allocates little. */
void sl_shard_clear(struct sl_shard *s);

/* Bytes the shard holds from the allocator: tables, arena chunks (used or
 * not), bookkeeping. */
size_t sl_shard_memory(const struct sl_shard *s);

/* Arena memory for variable-size state (a min/max string): n bytes, 8-byte
 * aligned, valid until sl_shard_free or destroy. The block really has
 * sl_shard_alloc_usable(n) bytes. NULL + errno ENOMEM on failure. */
void *sl_shard_alloc(struct sl_shard *s, size_t n);
/* Gives a block back for reuse; n is the size it was allocated with, or
 * its usable size. p NULL is a no-op. */
void sl_shard_free(struct sl_shard *s, void *p, size_t n);
size_t sl_shard_alloc_usable(size_t n);

/* Finishes up to `budget` slots of a pending migration to the bigger table.
 * Returns how many slots it visited (0: nothing pending). */
int sl_shard_step(struct sl_shard *s, uint32_t budget);
/* Whether a migration is pending (lookups then probe two tables). */
bool sl_shard_migrating(const struct sl_shard *s);

/* The probe steps a lookup of a key that is not there takes, averaged over
 * the slots it may start at (the current table's): each slot's distance to
 * the next empty one. Linear probing at a load of 3/4 gives about 8; long
 * runs of full slots give far more. A diagnostic for tests and benchmarks:
 * one walk over the table. */
double sl_shard_miss_steps(const struct sl_shard *s);
/* The slot of the current table where a key of this hash starts its probe
 * (tests build collisions with it). */
uint64_t sl_shard_home_slot(const struct sl_shard *s, uint64_t hash);

/* Starts epoch tracking for `epoch`: from now on every entry upserted, new
 * or not, joins the touched list once, in the order first touched (4 bytes
 * of list per entry touched). The previous epoch's list is forgotten (its
 * cost is one walk over it). Before the first call nothing is tracked. */
void sl_shard_begin_epoch(struct sl_shard *s, uint64_t epoch);
/* The epoch last begun (0 before any). */
uint64_t sl_shard_epoch(const struct sl_shard *s);
/* Live entries touched since sl_shard_begin_epoch. */
uint64_t sl_shard_touched_count(const struct sl_shard *s);

/* One entry as the iterators show it. key and state point into the shard.
 * Entries do not keep their hash: a caller that needs it (to remove the
 * entry, to route it) computes it from the key as it did to upsert. */
struct sl_shard_entry {
	const uint8_t *key;
	uint32_t klen;
	void *state;
};

/* The entry whose state sl_shard_upsert returned (key, state): for indexes
 * that keep state pointers. Valid while the entry lives (entries never
 * move). */
struct sl_shard_entry sl_shard_entry_of(const struct sl_shard *s, void *state);

/* The entry's link: 32 bits in every entry that the shard zeroes when it
 * makes the entry and never reads after, for a caller's intrusive list of
 * refs through entries (the eviction index by window end chains the groups
 * of one window end this way, at no cost beyond the entry's header). */
uint32_t *sl_shard_link(struct sl_shard *s, void *state);
/* The state of the entry named by ref (sl_shard_upsert_ref). */
void *sl_shard_state_at(const struct sl_shard *s, uint32_t ref);

/* Iterators: on the caller's stack; fields are private. Any upsert, remove
 * or step invalidates an iterator over all entries (collect, then remove).
 * The touched iterator survives upserts, removes and steps (an entry touched
 * for the first time after it passed the end is not shown), but not
 * sl_shard_begin_epoch. */
struct sl_shard_iter {
	struct sl_shard *s;
	uint32_t phase; /* all: 0 old table, 1 current table, 2 done */
	uint64_t pos;   /* all: next slot; touched: next place in the list */
};

void sl_shard_iter_init(struct sl_shard_iter *it, struct sl_shard *s);
bool sl_shard_iter_next(struct sl_shard_iter *it, struct sl_shard_entry *e);
void sl_shard_touched_init(struct sl_shard_iter *it, struct sl_shard *s);
bool sl_shard_touched_next(struct sl_shard_iter *it, struct sl_shard_entry *e);

#endif
