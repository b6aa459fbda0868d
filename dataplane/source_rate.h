/*
 * source_rate.h — Spark's rate source ("rate" connector): when row v is due.
 *
 * Spark (RateStreamProvider.valueAtSecond) says how many rows exist by the
 * end of second s of the stream:
 *
 *   delta = rows_per_second / (ramp_up_s + 1)            (whole division)
 *   s <= ramp_up_s:  value_at_second(s) = delta * s * (s + 1) / 2
 *   s >  ramp_up_s:  value_at_second(s) = value_at_second(ramp_up_s)
 *                                         + (s - ramp_up_s) * rows_per_second
 *
 * Rows [value_at_second(s), value_at_second(s + 1)) belong to second s. The
 * i-th of the n rows of second s is due, and timestamped,
 *
 *   s * 1000 + round(i * 1000 / n)   milliseconds after the start
 *
 * with round() half up (Java's Math.round), which is what
 * RateStreamMicroBatchStream gives when a batch covers one second
 * (without ramp-up, whatever the batches: then the time is v * 1000 /
 * rows_per_second ms, rounded). Timestamps are whole milliseconds, as
 * Spark's are.
 *
 * The functions are pure and exact (128-bit intermediates); results that
 * do not fit saturate at UINT64_MAX.
 */
#ifndef SL_SOURCE_RATE_H
#define SL_SOURCE_RATE_H

#include <stdint.h>

/* Spark's valueAtSecond: the number of rows in seconds [0, s). */
uint64_t sl_rate_value_at_second(uint64_t s, uint64_t rows_per_second, uint64_t ramp_up_s);
/* The second row v belongs to: the largest s with value_at_second(s) <= v. */
uint64_t sl_rate_second_of(uint64_t v, uint64_t rows_per_second, uint64_t ramp_up_s);
/* When row v is due, in microseconds after the start (a whole number of
 * milliseconds); its timestamp is the start plus this. */
uint64_t sl_rate_due_us(uint64_t v, uint64_t rows_per_second, uint64_t ramp_up_s);

#endif
