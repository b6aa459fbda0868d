/*
 * source_sales.h — the retail sales generator ("sales" connector): the sale
 * records of DESIGN.md section 1's story (stores, 500 billing counters,
 * records that arrive late), behind `sluice demo retail` and
 * `sluice gen-sales`.
 *
 * Rows are a pure function of the parameters: sl_sales_row(p, r) gives row
 * r (0-based), so that the source, the CSV tool and the tests see the same
 * rows in the same order for the same options. The engine's pacing never
 * changes a row.
 *
 * The shop clock: row r is rung up at
 *     clock(r) = clock_start + floor(r * speed_micro / rps)   microseconds
 * where rps is rows_per_second (2000 when rows_per_second is 0, as fast as
 * possible): one real second of a paced run moves the clock `speed`
 * simulated seconds. Row r's event time ts is clock(r) for an on-time row,
 * clock(r) - lag for a late one:
 *   - late (share late_share): lag uniform in [1 us, late_max];
 *   - very late (share very_late_share): lag uniform in
 *     [very_late_min, 2 * very_late_min].
 * Stores are 1..stores, mildly skewed towards the low numbers (store 1 gets
 * about 1.6 times the sales of the last one). Counters are numbered
 * 1..counters across the shop; counter c belongs to store (c - 1) % stores
 * + 1, and a sale picks one of its store's counters uniformly. Amounts are
 * whole cents from 0.50 to 200.00, skewed towards small sales (median about
 * 25.00, mean about 50.00).
 */
#ifndef SL_SOURCE_SALES_H
#define SL_SOURCE_SALES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan_types.h"

#define SL_SALES_MAX_STORES 1000000u
#define SL_SALES_MAX_COUNTERS 100000000u
#define SL_SALES_MIN_CENTS 50
#define SL_SALES_MAX_CENTS 20000
/* rows_per_second = 0 still moves the clock as this many rows a second */
#define SL_SALES_CLOCK_RPS 2000u
/* Longest CSV line sl_sales_csv() writes, its '\n' included. */
#define SL_SALES_CSV_MAX 96
#define SL_SALES_CSV_HEADER "store,counter,amount,ts\n"

struct sl_sales_params {
	uint32_t stores;            /* 1..SL_SALES_MAX_STORES (20) */
	uint32_t counters;          /* stores..SL_SALES_MAX_COUNTERS (500) */
	uint64_t rows_per_second;   /* 0 = as fast as possible (2000) */
	uint64_t rows;              /* rows in all; 0 = unbounded (0) */
	uint64_t seed;              /* (1) */
	double late_share;          /* 0..1 (0.05) */
	double very_late_share;     /* 0..1, late_share + this <= 1 (0.005) */
	int64_t late_max_us;        /* 1 us .. 7 days (8 minutes) */
	int64_t very_late_min_us;   /* 1 us .. 7 days (20 minutes) */
	int64_t clock_start_us;     /* (2024-03-01 09:00:00) */
	uint64_t speed_micro;       /* simulated microseconds per real second (60 s) */
};

enum sl_sale_lateness {
	SL_SALE_ON_TIME = 0,
	SL_SALE_LATE,
	SL_SALE_VERY_LATE,
};

/* One sale. */
struct sl_sale {
	int32_t store;                  /* 1..stores */
	int32_t counter;                /* 1..counters, one of the store's */
	int64_t cents;                  /* amount in cents */
	double amount;                  /* cents / 100.0: the DOUBLE the source gives */
	int64_t ts;                     /* event time, microseconds since the epoch */
	int64_t clock;                  /* clock(r): when the sale was rung up */
	enum sl_sale_lateness lateness;
};

/* The defaults above. */
void sl_sales_params_default(struct sl_sales_params *p);
/* Defaults, then the WITH options of a sales source (connector key
 * ignored); 0 or -EINVAL with the reason in err. An option with line 0 is
 * named as a command-line flag ("--late-share") in messages, others as
 * "line L, column C: option 'late_share' ...". */
int sl_sales_params_parse(const struct sl_options *opts, struct sl_sales_params *p, char *err,
			  size_t errlen);
/* clock(r), as above. */
int64_t sl_sales_clock(const struct sl_sales_params *p, uint64_t r);
/* Row r. */
void sl_sales_row(const struct sl_sales_params *p, uint64_t r, struct sl_sale *out);
/* The row as a CSV line "store,counter,amount,ts\n" (amount with two
 * decimals, ts as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC) into buf, which has
 * SL_SALES_CSV_MAX bytes; returns its length, '\n' included (no NUL). */
size_t sl_sales_csv(const struct sl_sale *s, char *buf);

#endif
