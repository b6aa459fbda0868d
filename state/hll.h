/*
 * hll.h — HyperLogLog++ as Spark's approx_count_distinct computes it
 * (catalyst's HyperLogLogPlusPlus and HyperLogLogPlusPlusHelper): the dense
 * representation, Spark's hash of each value, Spark's register layout, its
 * raw estimate, bias correction and linear counting thresholds, so that the
 * same values give the same number Spark gives.
 *
 * Precision p (4..18 here) comes from the relative standard deviation
 * asked for: p = ceil(2 * log2(1.106 / rsd)), as Spark computes it. There
 * are m = 2^p registers.
 *
 * Registers (Spark's aggregation buffer, word for word): 6 bits each, ten to
 * a 64-bit word (bits 0..59; bits 60..63 stay zero), register j in word
 * j / 10 at bit 6 * (j % 10); m / 10 + 1 words, 8 * (m / 10 + 1) bytes
 * (p 9, Spark's default rsd 0.05: 416 bytes; p 14, rsd 0.01: 13,112 bytes).
 * All-zero words are the empty sketch.
 *
 * Adding a value: x = its 64-bit hash (below); register j = the top p bits
 * of x; it keeps the largest 1-based position of the leftmost 1 bit of
 * x << p seen (at most 65 - p, so 6 bits always hold it).
 *
 * Hash: XXH64 with seed 42 of the value as Spark's XxHash64Function sees it:
 * INT and BOOLEAN (1/0) as 4 little-endian bytes (XXH64.hashInt), BIGINT,
 * TIMESTAMP and INTERVAL as 8 (hashLong), DOUBLE as the 8 bytes of its bits
 * with -0.0 read as 0.0 and every NaN as Java's canonical NaN, STRING as its
 * bytes (hashUnsafeBytes), a WINDOW struct as hashLong(end, hashLong(start,
 * 42)) (fields chained through the seed, as Spark hashes a struct).
 */
#ifndef SL_HLL_H
#define SL_HLL_H

#include <stddef.h>
#include <stdint.h>

#define SL_HLL_P_MIN 4
/* Spark goes on past 18 with plain HyperLogLog; sluice stops here, where a
 * group's registers already take 209,720 bytes. */
#define SL_HLL_P_MAX 18
#define SL_HLL_RSD_DEFAULT 0.05
#define SL_HLL_SEED UINT64_C(42)

/* Spark's precision for rsd, Java's double-to-int conversion included
 * (NaN -> 0, saturating): callers check it against SL_HLL_P_MIN/MAX. */
int sl_hll_precision(double rsd);

/* 64-bit words of a sketch of precision p. */
static inline uint32_t sl_hll_words(unsigned p)
{
	return (UINT32_C(1) << p) / 10 + 1;
}

/* Spark's XXH64.hashInt / hashLong (XXH64 of 4 / 8 little-endian bytes). */
static inline uint64_t sl_hll_rotl(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

#define SL_XXH_P1 UINT64_C(0x9E3779B185EBCA87)
#define SL_XXH_P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define SL_XXH_P3 UINT64_C(0x165667B19E3779F9)
#define SL_XXH_P4 UINT64_C(0x85EBCA77C2B2AE63)
#define SL_XXH_P5 UINT64_C(0x27D4EB2F165667C5)

static inline uint64_t sl_hll_fmix(uint64_t h)
{
	h ^= h >> 33;
	h *= SL_XXH_P2;
	h ^= h >> 29;
	h *= SL_XXH_P3;
	h ^= h >> 32;
	return h;
}

static inline uint64_t sl_hll_hash_int(int32_t v, uint64_t seed)
{
	uint64_t h = seed + SL_XXH_P5 + 4;
	h ^= (uint64_t)(uint32_t)v * SL_XXH_P1;
	h = sl_hll_rotl(h, 23) * SL_XXH_P2 + SL_XXH_P3;
	return sl_hll_fmix(h);
}

static inline uint64_t sl_hll_hash_long(int64_t v, uint64_t seed)
{
	uint64_t h = seed + SL_XXH_P5 + 8;
	h ^= sl_hll_rotl((uint64_t)v * SL_XXH_P2, 31) * SL_XXH_P1;
	h = sl_hll_rotl(h, 27) * SL_XXH_P1 + SL_XXH_P4;
	return sl_hll_fmix(h);
}

/* A DOUBLE as Spark hashes it: -0.0 as 0.0, NaN as 0x7ff8000000000000
 * (Double.doubleToLongBits), else the bits. */
uint64_t sl_hll_hash_double(double v, uint64_t seed);
/* Bytes (a STRING's UTF-8) as Spark's hashUnsafeBytes: standard XXH64. */
uint64_t sl_hll_hash_bytes(const void *p, size_t n, uint64_t seed);

/* Folds hash x into the registers. */
static inline void sl_hll_add(uint64_t *words, unsigned p, uint64_t x)
{
	uint32_t idx = (uint32_t)(x >> (64 - p));
	uint64_t pw = (uint64_t)__builtin_clzll((x << p) | (UINT64_C(1) << (p - 1))) + 1;
	uint32_t wi = idx / 10, shift = 6 * (idx - wi * 10);
	uint64_t w = words[wi];
	if (pw > ((w >> shift) & 63))
		words[wi] = (w & ~(UINT64_C(63) << shift)) | (pw << shift);
}

/* dst = the register-wise maximum of dst and src: the sketch of the union. */
void sl_hll_merge(uint64_t *dst, const uint64_t *src, unsigned p);

/* Spark's estimate of the number of distinct values added, rounded as
 * Java's Math.round. */
int64_t sl_hll_estimate(const uint64_t *words, unsigned p);

/* The appendix data (hll_data.c): for precision p, entry p - SL_HLL_P_MIN. */
struct sl_hll_bias_table {
	const double *raw;  /* mean raw estimates, (nearly) ascending */
	const double *bias; /* raw estimate minus true cardinality */
	uint32_t n;
};

extern const struct sl_hll_bias_table sl_hll_bias_tables[SL_HLL_P_MAX - SL_HLL_P_MIN + 1];
extern const double sl_hll_thresholds[SL_HLL_P_MAX - SL_HLL_P_MIN + 1];

#endif
