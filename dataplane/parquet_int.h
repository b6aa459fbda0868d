/*
 * parquet_int.h — the pieces of the Parquet reader and writer that the
 * unit tests and the fuzz harness reach: the Thrift compact protocol,
 * the codecs and the value decoders. Not for other modules.
 *
 * Thrift compact protocol (what Parquet's footer and page headers are):
 *   field header   1 byte: (id delta << 4) | type; delta 0: a zigzag
 *                  varint i16 field id follows
 *   types          0 stop, 1 true, 2 false (a bool field's value is its
 *                  type), 3 i8, 4 i16, 5 i32, 6 i64, 7 double, 8 binary,
 *                  9 list, 10 set, 11 map, 12 struct
 *   integers       zigzag ULEB128 varints; i8 is one byte
 *   binary         varint length, then the bytes
 *   list, set      1 byte (size << 4) | elem type; size 15: a varint size
 *                  follows; bools in lists are one byte each (1 true)
 *   map            varint size; size > 0: 1 byte (key type << 4) | value type
 *   struct         fields up to a stop byte
 */
#ifndef SL_PARQUET_INT_H
#define SL_PARQUET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	SL_TC_STOP = 0,
	SL_TC_TRUE = 1,
	SL_TC_FALSE = 2,
	SL_TC_I8 = 3,
	SL_TC_I16 = 4,
	SL_TC_I32 = 5,
	SL_TC_I64 = 6,
	SL_TC_DOUBLE = 7,
	SL_TC_BINARY = 8,
	SL_TC_LIST = 9,
	SL_TC_SET = 10,
	SL_TC_MAP = 11,
	SL_TC_STRUCT = 12,
};

#define SL_TC_MAX_DEPTH 32

/* A compact-protocol reader over [p, end). Every call returns 0 or
 * -EINVAL (truncated or malformed); after an error the reader stays failed. */
struct sl_tc {
	const uint8_t *p, *end;
	int depth;
};

/* The next field of the current struct: 1 with *id and *type, 0 at its
 * stop byte, -EINVAL. *last is the previous field's id (0 at the start). */
int sl_tc_field(struct sl_tc *r, int16_t *last, int16_t *id, uint8_t *type);
/* An integer of any integer type (i8 .. i64). */
int sl_tc_int(struct sl_tc *r, uint8_t type, int64_t *v);
int sl_tc_double(struct sl_tc *r, uint8_t type, double *v);
int sl_tc_binary(struct sl_tc *r, uint8_t type, const uint8_t **p, uint32_t *n);
/* A list or set header: its element type and count (checked against the
 * bytes left: every element takes at least one byte, bools too). */
int sl_tc_list(struct sl_tc *r, uint8_t type, uint8_t *etype, uint32_t *n);
/* A nested struct begins / ended (its stop byte read by sl_tc_field). */
int sl_tc_struct_begin(struct sl_tc *r, uint8_t type);
void sl_tc_struct_end(struct sl_tc *r);
/* Skip a value of the type (nested up to SL_TC_MAX_DEPTH). */
int sl_tc_skip(struct sl_tc *r, uint8_t type);

/* A compact-protocol writer into a growable buffer; err sticks. */
struct sl_tcw {
	uint8_t *buf;
	size_t len, cap;
	int err;
	int16_t last[SL_TC_MAX_DEPTH];
	int depth;
};
void sl_tcw_init(struct sl_tcw *w);
void sl_tcw_free(struct sl_tcw *w);
void sl_tcw_field(struct sl_tcw *w, int16_t id, uint8_t type);
void sl_tcw_i32(struct sl_tcw *w, int16_t id, int32_t v);
void sl_tcw_i64(struct sl_tcw *w, int16_t id, int64_t v);
void sl_tcw_bool(struct sl_tcw *w, int16_t id, bool v);
void sl_tcw_binary(struct sl_tcw *w, int16_t id, const void *p, uint32_t n);
void sl_tcw_list(struct sl_tcw *w, int16_t id, uint8_t etype, uint32_t n);
void sl_tcw_list_i32(struct sl_tcw *w, int32_t v); /* an element of an i32 list */
void sl_tcw_list_binary(struct sl_tcw *w, const void *p, uint32_t n);
void sl_tcw_struct(struct sl_tcw *w, int16_t id); /* a struct field begins */
void sl_tcw_list_struct(struct sl_tcw *w);        /* a struct element begins */
void sl_tcw_end(struct sl_tcw *w);                /* stop byte: the struct ends */
void sl_tcw_raw(struct sl_tcw *w, const void *p, size_t n);
/* An unsigned LEB128 varint (Thrift compact's, and the RLE hybrid's run headers). */
void sl_tcw_uvarint(struct sl_tcw *w, uint64_t v);

/* Parquet's codecs (CompressionCodec). */
enum {
	SL_PQ_UNCOMPRESSED = 0,
	SL_PQ_SNAPPY = 1,
	SL_PQ_GZIP = 2,
	SL_PQ_LZO = 3,
	SL_PQ_BROTLI = 4,
	SL_PQ_LZ4 = 5,
	SL_PQ_ZSTD = 6,
	SL_PQ_LZ4_RAW = 7,
};

/* Decompress n bytes into exactly out_n bytes of out. 0; -ENOTSUP for a
 * codec sluice does not read; -EINVAL when the data is corrupt or does not
 * decompress to exactly out_n bytes. */
int sl_pq_decompress(int codec, const uint8_t *in, size_t n, uint8_t *out, size_t out_n);
/* Compress into *out (grown with realloc): the compressed length, or
 * -errno. codec: UNCOMPRESSED, SNAPPY, GZIP, ZSTD. */
long sl_pq_compress(int codec, const uint8_t *in, size_t n, uint8_t **out, size_t *cap);

/* The RLE / bit-packing hybrid of levels and dictionary indices: decode n
 * values of bit width w (0..32) from [p, p + len) into out. 0, or -EINVAL
 * when the runs end before n values or a run is malformed. */
int sl_pq_rle_decode(const uint8_t *p, size_t len, unsigned w, uint32_t *out, uint32_t n);

/* DELTA_BINARY_PACKED: decode n values into out (64-bit wrapping sums; an
 * INT32 column truncates). *used: bytes consumed. 0 or -EINVAL. */
int sl_pq_delta_decode(const uint8_t *p, size_t len, int64_t *out, uint32_t n, size_t *used);
/* The value count a DELTA_BINARY_PACKED header announces. 0 or -EINVAL. */
int sl_pq_delta_count(const uint8_t *p, size_t len, uint64_t *count);

#endif
