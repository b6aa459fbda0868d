/*
 * types.h — the value model every layer shares: SQL types, strings as
 * (pointer, length), typed column vectors and chunks of rows.
 *
 * Invariants:
 *  - A vector's storage is chosen by its type, never by its values:
 *      BOOLEAN                  -> v.b   (uint8_t, 0 or 1)
 *      INT, BIGINT, TIMESTAMP,  -> v.i64 (INT values stay within int32 range)
 *      INTERVAL                    (INTERVAL: microseconds, Spark's day-time interval)
 *      DOUBLE                   -> v.f64
 *      STRING, BINARY           -> v.str (bytes are not NUL-terminated and may
 *                                  hold NUL or invalid UTF-8: they pass as bytes)
 *      WINDOW                   -> v.win: Spark's window struct
 *                                  {start, end}, two TIMESTAMPs
 *      HEADER                   -> v.hdr: one Kafka header, Spark's struct
 *                                  {key: STRING, value: BINARY}; value may be
 *                                  null (value_null), key never is
 *      ARRAY (of elem_type)     -> v.arr: row i holds elements
 *                                  elem[arr[i].off .. arr[i].off + arr[i].len)
 *      NULL (the type of a bare NULL literal) -> no storage, every row null
 *  - nulls == NULL means no row is null; otherwise nulls[i] != 0 marks row i.
 *    A null row's value slot holds garbage and must not be read.
 *  - TIMESTAMP is microseconds since the Unix epoch, UTC.
 *  - A chunk does not own its vectors' memory: whoever built it does (a
 *    record block, a per-core scratch arena, a result batch).
 */
#ifndef SL_TYPES_H
#define SL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sl_type {
	SL_TYPE_NULL = 0,
	SL_TYPE_BOOLEAN,
	SL_TYPE_INT,
	SL_TYPE_BIGINT,
	SL_TYPE_DOUBLE,
	SL_TYPE_STRING,
	SL_TYPE_TIMESTAMP,
	SL_TYPE_ARRAY,
	SL_TYPE_WINDOW, /* struct<start: timestamp, end: timestamp>, what window() returns */
	SL_TYPE_INTERVAL, /* a day-time interval in microseconds (INTERVAL '10' MINUTE) */
	SL_TYPE_BINARY, /* Spark's BinaryType: bytes, stored as STRING is (the
			 * numbers above are written in checkpoints) */
	SL_TYPE_HEADER, /* struct<key: string, value: binary>: an element of the
			 * Kafka source's headers column (never stored in state) */
	SL_TYPE__COUNT
};

/* Spark's name of a type as it prints in errors and EXPLAIN ("STRING"). */
const char *sl_type_name(enum sl_type t);

static inline bool sl_type_is_integer(enum sl_type t)
{
	return t == SL_TYPE_INT || t == SL_TYPE_BIGINT;
}

static inline bool sl_type_is_numeric(enum sl_type t)
{
	return sl_type_is_integer(t) || t == SL_TYPE_DOUBLE;
}

/* STRING or BINARY: values are struct sl_str. For code that moves, copies,
 * hashes or orders the bytes; what the bytes mean (text or not) is asked
 * with the type itself. */
static inline bool sl_type_is_bytes(enum sl_type t)
{
	return t == SL_TYPE_STRING || t == SL_TYPE_BINARY;
}

struct sl_str {
	const char *ptr;
	uint32_t len;
};

/* A time window [start, end), microseconds since the epoch, UTC. */
struct sl_window {
	int64_t start;
	int64_t end;
};

/* A Kafka record header, Spark's struct<key: string, value: binary>. */
struct sl_header {
	struct sl_str key;
	struct sl_str value; /* meaningless when value_null */
	uint8_t value_null;
};

/* One row's slice of an array vector's element vector. */
struct sl_span {
	uint32_t off;
	uint32_t len;
};

struct sl_vec {
	enum sl_type type;
	enum sl_type elem_type; /* ARRAY only */
	uint8_t *nulls;         /* NULL: no nulls */
	union {
		uint8_t *b;
		int64_t *i64;
		double *f64;
		struct sl_str *str;
		struct sl_span *arr;
		struct sl_window *win;
		struct sl_header *hdr;
	} v;
	struct sl_vec *elem; /* ARRAY only: the flattened elements */
	/* STRING: equal to v.str when every non-null value is ASCII (bytes
	 * below 0x80), which the vector's maker checked (the file source:
	 * what its CSV bursts, line splitter and JSON walk saw): length() is
	 * then the byte length. Any other value (NULL, a vector's slice,
	 * memory that was never set) says nothing, so only a maker that
	 * knows sets it. */
	const struct sl_str *ascii;
};

static inline bool sl_vec_is_null(const struct sl_vec *v, uint32_t row)
{
	return v->type == SL_TYPE_NULL || (v->nulls != NULL && v->nulls[row] != 0);
}

/* The widest value any type has in a vector (sl_type_width). */
#define SL_TYPE_MAX_WIDTH sizeof(struct sl_header)

/* Bytes one value of the type takes in a vector (0 for NULL). */
static inline size_t sl_type_width(enum sl_type t)
{
	switch (t) {
	case SL_TYPE_BOOLEAN:
		return sizeof(uint8_t);
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
	case SL_TYPE_INTERVAL:
		return sizeof(int64_t);
	case SL_TYPE_DOUBLE:
		return sizeof(double);
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		return sizeof(struct sl_str);
	case SL_TYPE_ARRAY:
		return sizeof(struct sl_span);
	case SL_TYPE_WINDOW:
		return sizeof(struct sl_window);
	case SL_TYPE_HEADER:
		return sizeof(struct sl_header);
	case SL_TYPE_NULL:
	case SL_TYPE__COUNT:
		break;
	}
	return 0;
}

/* The vector seen from row `first` on (no copy). */
static inline struct sl_vec sl_vec_slice(const struct sl_vec *v, uint32_t first)
{
	struct sl_vec out = *v;
	if (v->type == SL_TYPE_NULL || first == 0)
		return out;
	if (out.nulls != NULL)
		out.nulls += first;
	out.v.b += first * sl_type_width(v->type);
	return out;
}

/* A view of n rows in ncols columns. */
struct sl_chunk {
	uint32_t nrows;
	uint32_t ncols;
	struct sl_vec *cols;
};

/* One scalar value, for literals, keys and results handled one at a time. */
struct sl_value {
	enum sl_type type;
	bool is_null;
	union {
		bool b;
		int64_t i64;
		double f64;
		struct sl_str str;
		struct sl_window win;
	} v;
};

#endif
