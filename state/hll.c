/*
 * hll.c — HyperLogLog++'s precision, hashes, merge and estimate (see
 * hll.h), step for step as Spark's HyperLogLogPlusPlusHelper so that the
 * floating-point results match too: registers summed in index order, the
 * bias found with java.util.Arrays.binarySearch's exact probe sequence (the
 * raw estimates are not strictly sorted, so another search could pick other
 * neighbours), and Math.round's rounding.
 */
#include "hll.h"

#include <limits.h>
#include <math.h>
#include <string.h>
#include <xxhash.h>

/* Scala's Double.toInt: NaN -> 0, out of range -> the nearest bound. */
static int java_double_to_int(double d)
{
	if (d != d)
		return 0;
	if (d >= (double)INT_MAX)
		return INT_MAX;
	if (d <= (double)INT_MIN)
		return INT_MIN;
	return (int)d;
}

int sl_hll_precision(double rsd)
{
	return java_double_to_int(ceil(2.0 * log(1.106 / rsd) / log(2.0)));
}

uint64_t sl_hll_hash_double(double v, uint64_t seed)
{
	uint64_t bits;
	if (v == 0.0)
		bits = 0; /* -0.0 hashes as 0.0 */
	else if (v != v)
		bits = UINT64_C(0x7ff8000000000000); /* Double.doubleToLongBits(NaN) */
	else
		memcpy(&bits, &v, sizeof(bits));
	return sl_hll_hash_long((int64_t)bits, seed);
}

uint64_t sl_hll_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	return XXH64(n ? p : "", n, seed);
}

void sl_hll_merge(uint64_t *dst, const uint64_t *src, unsigned p)
{
	uint32_t nw = sl_hll_words(p);
	for (uint32_t w = 0; w < nw; w++) {
		uint64_t a = dst[w], b = src[w], out = 0;
		if (a == b || b == 0)
			continue;
		for (unsigned shift = 0; shift < 60; shift += 6) {
			uint64_t ra = a & (UINT64_C(63) << shift), rb = b & (UINT64_C(63) << shift);
			out |= ra > rb ? ra : rb;
		}
		dst[w] = out;
	}
}

/* java.util.Arrays.binarySearch(a, 0, n, key) for a key that is not NaN
 * and not -0.0: the index found, or -(insertion point) - 1. */
static int32_t java_binary_search(const double *a, uint32_t n, double key)
{
	int32_t low = 0, high = (int32_t)n - 1;
	while (low <= high) {
		int32_t mid = (int32_t)((uint32_t)(low + high) >> 1);
		double v = a[mid];
		if (v < key)
			low = mid + 1;
		else if (v > key)
			high = mid - 1;
		else
			return mid;
	}
	return -(low + 1);
}

/* Spark's estimateBias: the mean bias of the K = 6 raw estimates nearest e. */
static double estimate_bias(double e, unsigned p)
{
	const struct sl_hll_bias_table *t = &sl_hll_bias_tables[p - SL_HLL_P_MIN];
	const int32_t k = 6, n = (int32_t)t->n;
	int32_t ix = java_binary_search(t->raw, t->n, e);
	int32_t nearest = ix < 0 ? -(ix + 1) : ix;
	int32_t low = nearest - k + 1 > 0 ? nearest - k + 1 : 0;
	int32_t high = low + k < n ? low + k : n;
	while (high < n) {
		double dh = e - t->raw[high], dl = e - t->raw[low];
		if (!(dh * dh < dl * dl))
			break;
		low++;
		high++;
	}
	double sum = 0.0;
	for (int32_t i = low; i < high; i++)
		sum += t->bias[i];
	return sum / (double)(high - low);
}

/* Java's Math.round (round half up) for the finite, non-negative estimates
 * here. */
static int64_t java_round(double x)
{
	double f = floor(x);
	if (x - f >= 0.5)
		f += 1.0;
	return f >= 9.2e18 ? INT64_MAX : (int64_t)f;
}

int64_t sl_hll_estimate(const uint64_t *words, unsigned p)
{
	const uint32_t m = UINT32_C(1) << p, nw = sl_hll_words(p);
	const double md = (double)m;
	double zinv = 0.0, zeros = 0.0;
	uint32_t idx = 0;
	for (uint32_t w = 0; w < nw; w++) {
		uint64_t word = words[w];
		for (unsigned i = 0; idx < m && i < 10; i++, idx++) {
			unsigned r = (unsigned)((word >> (6 * i)) & 63);
			zinv += 1.0 / (double)(UINT64_C(1) << r);
			if (r == 0)
				zeros += 1.0;
		}
	}

	double alpha_m2;
	switch (p) {
	case 4: alpha_m2 = 0.673 * md * md; break;
	case 5: alpha_m2 = 0.697 * md * md; break;
	case 6: alpha_m2 = 0.709 * md * md; break;
	default: alpha_m2 = (0.7213 / (1.0 + 1.079 / md)) * md * md; break;
	}
	double e = alpha_m2 / zinv;
	/* HLL++'s bias correction (the data covers p < 19 and E < 5m) */
	double e_corrected = p < 19 && e < 5.0 * md ? e - estimate_bias(e, p) : e;

	double estimate = e_corrected;
	if (zeros > 0.0) {
		/* linear counting for small cardinalities; 2.5m is plain
		 * HyperLogLog's own small-range bound */
		double h = md * log(md / zeros);
		if ((p < 19 && h <= sl_hll_thresholds[p - SL_HLL_P_MIN]) || e <= 2.5 * md)
			estimate = h;
	}
	return java_round(estimate);
}
