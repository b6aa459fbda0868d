/*
 * parquet_codec.c — Parquet's page compression through Debian's libraries:
 * SNAPPY (libsnappy, its C interface), GZIP (zlib, gzip framing), ZSTD
 * (libzstd), LZ4_RAW (liblz4's block format). LZO, BROTLI and the old
 * Hadoop-framed LZ4 are not read (-ENOTSUP: the caller names the column).
 * A page must decompress to exactly the size its header gives: anything
 * else is a corrupt page, never a read or write past a buffer.
 */
#include "parquet.h"
#include "parquet_int.h"

#include <errno.h>
#include <limits.h>
#include <lz4.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

const char *sl_pq_codec_name(int codec)
{
	static const char *const names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
					    "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
	if (codec >= 0 && codec < (int)(sizeof(names) / sizeof(names[0])))
		return names[codec];
	return "unknown";
}

static int gunzip(const uint8_t *in, size_t n, uint8_t *out, size_t out_n)
{
	if (n > UINT_MAX || out_n > UINT_MAX)
		return -EINVAL;
	z_stream z = {0};
	if (inflateInit2(&z, 15 + 32) != Z_OK) /* gzip or zlib header */
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)out_n;
	int rc = inflate(&z, Z_FINISH);
	size_t got = out_n - z.avail_out;
	inflateEnd(&z);
	return rc == Z_STREAM_END && got == out_n ? 0 : -EINVAL;
}

int sl_pq_decompress(int codec, const uint8_t *in, size_t n, uint8_t *out, size_t out_n)
{
	switch (codec) {
	case SL_PQ_UNCOMPRESSED:
		if (n != out_n)
			return -EINVAL;
		if (n > 0)
			memcpy(out, in, n);
		return 0;
	case SL_PQ_SNAPPY: {
		size_t len;
		if (snappy_uncompressed_length((const char *)in, n, &len) != SNAPPY_OK ||
		    len != out_n)
			return -EINVAL;
		size_t got = out_n;
		if (snappy_uncompress((const char *)in, n, (char *)out, &got) != SNAPPY_OK ||
		    got != out_n)
			return -EINVAL;
		return 0;
	}
	case SL_PQ_GZIP:
		return gunzip(in, n, out, out_n);
	case SL_PQ_ZSTD: {
		size_t got = ZSTD_decompress(out, out_n, in, n);
		return !ZSTD_isError(got) && got == out_n ? 0 : -EINVAL;
	}
	case SL_PQ_LZ4_RAW: {
		if (n > INT_MAX || out_n > INT_MAX)
			return -EINVAL;
		int got = LZ4_decompress_safe((const char *)in, (char *)out, (int)n, (int)out_n);
		return got >= 0 && (size_t)got == out_n ? 0 : -EINVAL;
	}
	default:
		return -ENOTSUP;
	}
}

static int grow(uint8_t **out, size_t *cap, size_t need)
{
	if (*cap >= need)
		return 0;
	uint8_t *nb = realloc(*out, need);
	if (nb == NULL)
		return -ENOMEM;
	*out = nb;
	*cap = need;
	return 0;
}

long sl_pq_compress(int codec, const uint8_t *in, size_t n, uint8_t **out, size_t *cap)
{
	switch (codec) {
	case SL_PQ_UNCOMPRESSED:
		if (grow(out, cap, n ? n : 1) < 0)
			return -ENOMEM;
		if (n > 0)
			memcpy(*out, in, n);
		return (long)n;
	case SL_PQ_SNAPPY: {
		size_t len = snappy_max_compressed_length(n);
		if (grow(out, cap, len) < 0)
			return -ENOMEM;
		if (snappy_compress((const char *)in, n, (char *)*out, &len) != SNAPPY_OK)
			return -EIO;
		return (long)len;
	}
	case SL_PQ_GZIP: {
		z_stream z = {0};
		if (n > UINT_MAX)
			return -EINVAL;
		if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		size_t len = deflateBound(&z, (uLong)n);
		if (grow(out, cap, len) < 0) {
			deflateEnd(&z);
			return -ENOMEM;
		}
		z.next_in = (Bytef *)in;
		z.avail_in = (uInt)n;
		z.next_out = *out;
		z.avail_out = (uInt)len;
		int rc = deflate(&z, Z_FINISH);
		long got = (long)(len - z.avail_out);
		deflateEnd(&z);
		return rc == Z_STREAM_END ? got : -EIO;
	}
	case SL_PQ_ZSTD: {
		size_t len = ZSTD_compressBound(n);
		if (grow(out, cap, len) < 0)
			return -ENOMEM;
		size_t got = ZSTD_compress(*out, len, in, n, 3);
		return ZSTD_isError(got) ? -EIO : (long)got;
	}
	default:
		return -ENOTSUP;
	}
}
