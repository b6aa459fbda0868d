/* test_ckpt_file.c — checkpoint files: CRC32C, the header, every way a file
 * is refused, synchronous writes and reads, and the io_uring writer (groups,
 * depth, unlink, the synchronous fallback, the ENOSPC fault). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt_file.h"

static char root_path[64];
static int root_fd = -1;

static void make_root(void)
{
	snprintf(root_path, sizeof(root_path), "/tmp/sluice-ckpt-XXXXXX");
	cr_assert_not_null(mkdtemp(root_path));
	root_fd = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(root_fd >= 0);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void remove_root(void)
{
	if (root_fd >= 0)
		close(root_fd);
	root_fd = -1;
	nftw(root_path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int tmp_files;
static int count_tmp(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	size_t n = strlen(p + f->base);
	if (n > 4 && strcmp(p + f->base + n - 4, ".tmp") == 0)
		tmp_files++;
	return 0;
}

/* How many "*.tmp" files lie under the root. */
static int tmp_left(void)
{
	tmp_files = 0;
	nftw(root_path, count_tmp, 16, FTW_PHYS);
	return tmp_files;
}

static void mkdir_at(const char *rel)
{
	cr_assert_eq(mkdirat(root_fd, rel, 0755), 0, "mkdir %s: %s", rel, strerror(errno));
}

static bool exists_at(const char *rel)
{
	struct stat st;
	return fstatat(root_fd, rel, &st, 0) == 0;
}

/* Payload of file i: its length and bytes depend on i. */
static size_t payload_of(uint32_t i, uint8_t *buf, size_t cap)
{
	size_t n = (i * 37u) % 300u;
	if (n > cap)
		n = cap;
	for (size_t k = 0; k < n; k++)
		buf[k] = (uint8_t)(i * 131u + k * 7u);
	return n;
}

static void *payload_dup(uint32_t i, uint64_t *len)
{
	uint8_t buf[300];
	size_t n = payload_of(i, buf, sizeof(buf));
	void *p = malloc(n ? n : 1);
	cr_assert_not_null(p);
	memcpy(p, buf, n);
	*len = n;
	return p;
}

/* dir/relpath holds file i as payload_dup wrote it, of `kind` and epoch i. */
static void expect_file(const char *rel, enum sl_ckpt_kind kind, uint32_t i)
{
	uint8_t buf[300];
	size_t n = payload_of(i, buf, sizeof(buf));
	void *mem;
	const uint8_t *p;
	uint64_t len, epoch;
	char err[512] = "";
	int rc = sl_ckpt_read(root_fd, rel, kind, &mem, &p, &len, &epoch, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s: %d %s", rel, rc, err);
	cr_assert_eq(len, n, "%s", rel);
	cr_assert_eq(epoch, i);
	cr_assert(n == 0 || memcmp(p, buf, n) == 0, "%s", rel);
	free(mem);
}

/* A whole file image: header + payload, in a malloc'ed buffer. */
static uint8_t *image(enum sl_ckpt_kind kind, uint64_t epoch, const void *payload, size_t len,
		      size_t *n)
{
	uint8_t *b = malloc(SL_CKPT_HEADER_SIZE + len);
	cr_assert_not_null(b);
	sl_ckpt_header_encode(b, kind, epoch, payload, len);
	if (len)
		memcpy(b + SL_CKPT_HEADER_SIZE, payload, len);
	*n = SL_CKPT_HEADER_SIZE + len;
	return b;
}

static int decode(const uint8_t *b, size_t n, enum sl_ckpt_kind want, char *err, size_t errlen)
{
	const uint8_t *p;
	uint64_t len, epoch;
	/* an exact-size copy, so that a read past the end trips ASan */
	uint8_t *c = malloc(n ? n : 1);
	cr_assert_not_null(c);
	if (n)
		memcpy(c, b, n);
	int rc = sl_ckpt_decode(c, n, want, "offsets/12", &p, &len, &epoch, err, errlen);
	free(c);
	return rc;
}

static void rehash_header(uint8_t *b)
{
	uint32_t c = sl_crc32c(0, b, 28);
	for (int i = 0; i < 4; i++)
		b[28 + i] = (uint8_t)(c >> (8 * i));
}

/* --- CRC32C --- */

Test(crc32c, known_vectors)
{
	uint8_t zeros[32] = {0}, ones[32], inc[32];
	memset(ones, 0xff, sizeof(ones));
	for (int i = 0; i < 32; i++)
		inc[i] = (uint8_t)i;
	uint32_t (*fns[2])(uint32_t, const void *, size_t) = {sl_crc32c, sl_crc32c_portable};
	for (int f = 0; f < 2; f++) {
		cr_assert_eq(fns[f](0, "", 0), 0);
		cr_assert_eq(fns[f](0, NULL, 0), 0);
		cr_assert_eq(fns[f](0, "123456789", 9), 0xE3069283u);
		cr_assert_eq(fns[f](0, zeros, 32), 0x8A9136AAu);
		cr_assert_eq(fns[f](0, ones, 32), 0x62A8AB43u); /* RFC 3720 B.4 */
		cr_assert_eq(fns[f](0, inc, 32), 0x46DD794Eu);
		cr_assert_eq(fns[f](0, "a", 1), 0xC1D04330u);
	}
}

Test(crc32c, chaining_at_every_split)
{
	uint8_t buf[257];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 151u + 17u);
	uint32_t whole = sl_crc32c(0, buf, sizeof(buf));
	cr_assert_eq(whole, sl_crc32c_portable(0, buf, sizeof(buf)));
	for (size_t k = 0; k <= sizeof(buf); k++) {
		cr_assert_eq(sl_crc32c(sl_crc32c(0, buf, k), buf + k, sizeof(buf) - k), whole,
			     "split at %zu", k);
		cr_assert_eq(sl_crc32c_portable(sl_crc32c(0, buf, k), buf + k, sizeof(buf) - k),
			     whole, "mixed split at %zu", k);
	}
}

Test(crc32c, hardware_and_portable_agree_at_every_alignment)
{
	uint8_t buf[600];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 29u ^ (i >> 3));
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= sizeof(buf); n += 1 + n / 16)
			cr_assert_eq(sl_crc32c(0x12345678u, buf + off, n),
				     sl_crc32c_portable(0x12345678u, buf + off, n), "off %zu n %zu",
				     off, n);
}

/* --- header and decode --- */

Test(ckpt_header, byte_layout)
{
	uint8_t h[SL_CKPT_HEADER_SIZE];
	sl_ckpt_header_encode(h, SL_CKPT_DELTA, 0x0102030405060708ull, "abc", 3);
	cr_assert_eq(memcmp(h, "SLCK", 4), 0);
	cr_assert_eq(h[4], 1);
	cr_assert_eq(h[5], 0);
	cr_assert_eq(h[6], 4);
	cr_assert_eq(h[7], 0);
	static const uint8_t epoch[8] = {8, 7, 6, 5, 4, 3, 2, 1};
	cr_assert_eq(memcmp(h + 8, epoch, 8), 0);
	static const uint8_t len[8] = {3, 0, 0, 0, 0, 0, 0, 0};
	cr_assert_eq(memcmp(h + 16, len, 8), 0);
	uint32_t pc = sl_crc32c(0, "abc", 3), hc = sl_crc32c(0, h, 28);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(h[24 + i], (uint8_t)(pc >> (8 * i)));
		cr_assert_eq(h[28 + i], (uint8_t)(hc >> (8 * i)));
	}
}

Test(ckpt_header, kind_names)
{
	cr_assert_str_eq(sl_ckpt_kind_name(SL_CKPT_METADATA), "metadata");
	cr_assert_str_eq(sl_ckpt_kind_name(SL_CKPT_OFFSETS), "offsets");
	cr_assert_str_eq(sl_ckpt_kind_name(SL_CKPT_COMMIT), "commit");
	cr_assert_str_eq(sl_ckpt_kind_name(SL_CKPT_DELTA), "delta");
	cr_assert_str_eq(sl_ckpt_kind_name(SL_CKPT_SNAPSHOT), "snapshot");
	cr_assert_str_eq(sl_ckpt_kind_name(SL_CKPT_SOURCE_LOG), "source log");
	cr_assert_str_eq(sl_ckpt_kind_name((enum sl_ckpt_kind)99), "unknown");
}

Test(ckpt_decode, round_trip_every_kind)
{
	for (int k = SL_CKPT_METADATA; k <= SL_CKPT_SOURCE_LOG; k++) {
		for (size_t plen = 0; plen < 40; plen += 13) {
			uint8_t pl[40];
			for (size_t i = 0; i < plen; i++)
				pl[i] = (uint8_t)(i + (size_t)k);
			size_t n;
			uint8_t *b = image((enum sl_ckpt_kind)k, 1000u + (unsigned)k, pl, plen, &n);
			const uint8_t *p = NULL;
			uint64_t len = 99, epoch = 0;
			char err[512] = "";
			int rc = sl_ckpt_decode(b, n, (enum sl_ckpt_kind)k, "x", &p, &len, &epoch, err,
						sizeof(err));
			cr_assert_eq(rc, 0, "%s", err);
			cr_assert_eq(p, b + SL_CKPT_HEADER_SIZE);
			cr_assert_eq(len, plen);
			cr_assert_eq(epoch, 1000u + (unsigned)k);
			cr_assert(plen == 0 || memcmp(p, pl, plen) == 0);
			free(b);
		}
	}
}

Test(ckpt_decode, truncated_at_every_length_is_corrupt)
{
	size_t n;
	uint8_t *b = image(SL_CKPT_OFFSETS, 12, "0123456789abcdef", 16, &n);
	for (size_t k = 0; k < n; k++) {
		char err[512] = "";
		int rc = decode(b, k, SL_CKPT_OFFSETS, err, sizeof(err));
		cr_assert_eq(rc, -EINVAL, "length %zu: %d", k, rc);
		cr_assert(strstr(err, "checkpoint file offsets/12 is corrupt: ") == err, "%s", err);
		cr_assert(k < SL_CKPT_HEADER_SIZE || strstr(err, "cut short") != NULL, "%s", err);
	}
	char err[512];
	cr_assert_eq(decode(b, n, SL_CKPT_OFFSETS, err, sizeof(err)), 0);
	free(b);
}

Test(ckpt_decode, every_bit_flip_is_refused)
{
	size_t n;
	uint8_t *b = image(SL_CKPT_COMMIT, 7, "commit!", 7, &n);
	for (size_t bit = 0; bit < n * 8; bit++) {
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		for (int k = SL_CKPT_METADATA; k <= SL_CKPT_SOURCE_LOG; k++) {
			char err[512] = "";
			int rc = decode(b, n, (enum sl_ckpt_kind)k, err, sizeof(err));
			cr_assert(rc == -EINVAL || rc == -EPROTONOSUPPORT, "bit %zu, kind %d: %d %s",
				  bit, k, rc, err);
			cr_assert_neq(err[0], '\0');
		}
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	free(b);
}

Test(ckpt_decode, newer_version_is_refused)
{
	size_t n;
	uint8_t *b = image(SL_CKPT_OFFSETS, 12, "x", 1, &n);
	b[4] = 2;
	rehash_header(b);
	char err[512] = "";
	cr_assert_eq(decode(b, n, SL_CKPT_OFFSETS, err, sizeof(err)), -EPROTONOSUPPORT);
	cr_assert_str_eq(err, "checkpoint file offsets/12 was written by a newer sluice (format "
			      "2; this one reads up to 1); run that version, or start the query "
			      "with a new checkpoint directory");
	/* even when the rest of the header is laid out differently */
	b[4] = 0;
	b[5] = 1; /* 256 */
	memset(b + 8, 0xee, 24);
	cr_assert_eq(decode(b, n, SL_CKPT_OFFSETS, err, sizeof(err)), -EPROTONOSUPPORT);
	cr_assert(strstr(err, "(format 256;") != NULL, "%s", err);
	free(b);
}

Test(ckpt_decode, version_zero_is_corrupt)
{
	size_t n;
	uint8_t *b = image(SL_CKPT_OFFSETS, 12, "x", 1, &n);
	b[4] = 0;
	rehash_header(b);
	char err[512] = "";
	cr_assert_eq(decode(b, n, SL_CKPT_OFFSETS, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "is corrupt: format version 0") != NULL, "%s", err);
	free(b);
}

Test(ckpt_decode, wrong_kind_is_ebadmsg)
{
	size_t n;
	uint8_t *b = image(SL_CKPT_SNAPSHOT, 3, "state", 5, &n);
	char err[512] = "";
	cr_assert_eq(decode(b, n, SL_CKPT_DELTA, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "offsets/12 is a valid snapshot file (kind 5), not the delta file") !=
		      NULL,
		  "%s", err);
	cr_assert_eq(decode(b, n, SL_CKPT_SNAPSHOT, err, sizeof(err)), 0);
	/* a kind no sluice knows, with good checksums */
	b[6] = 99;
	rehash_header(b);
	cr_assert_eq(decode(b, n, SL_CKPT_SNAPSHOT, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "unknown file (kind 99)") != NULL, "%s", err);
	free(b);
}

Test(ckpt_decode, trailing_bytes_are_corrupt)
{
	size_t n;
	uint8_t *b = image(SL_CKPT_METADATA, 0, "meta", 4, &n);
	uint8_t *c = calloc(1, n + 3);
	memcpy(c, b, n);
	for (size_t extra = 1; extra <= 3; extra++) {
		char err[512] = "";
		cr_assert_eq(decode(c, n + extra, SL_CKPT_METADATA, err, sizeof(err)), -EINVAL);
		cr_assert(strstr(err, "trailing bytes") != NULL, "%s", err);
	}
	free(c);
	free(b);
}

Test(ckpt_decode, corrupt_messages_say_what_is_wrong)
{
	size_t n;
	uint8_t *b = image(SL_CKPT_OFFSETS, 12, "payload", 7, &n);
	char err[512] = "";
	b[n - 1] ^= 1;
	cr_assert_eq(decode(b, n, SL_CKPT_OFFSETS, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "checkpoint file offsets/12 is corrupt: payload checksum mismatch "
			      "(cut short or overwritten); restore") == err,
		  "%s", err);
	b[n - 1] ^= 1;
	b[0] = 'X';
	cr_assert_eq(decode(b, n, SL_CKPT_OFFSETS, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "does not start with \"SLCK\"") != NULL, "%s", err);
	b[0] = 'S';
	b[10] ^= 0x40;
	cr_assert_eq(decode(b, n, SL_CKPT_OFFSETS, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "header checksum mismatch") != NULL, "%s", err);
	b[10] ^= 0x40;
	/* a header that claims a huge payload, with a good checksum */
	b[23] = 0x80;
	rehash_header(b);
	cr_assert_eq(decode(b, n, SL_CKPT_OFFSETS, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "promises 9223372036854775815 payload bytes but the file holds 7 "
			      "(cut short)") != NULL,
		  "%s", err);
	/* a tiny err buffer, and none at all */
	char small[8];
	cr_assert_eq(decode(b, n, SL_CKPT_OFFSETS, small, sizeof(small)), -EINVAL);
	cr_assert_eq(strlen(small), 7);
	cr_assert_eq(decode(b, n, SL_CKPT_OFFSETS, NULL, 0), -EINVAL);
	free(b);
}

/* --- synchronous write and read --- */

Test(ckpt_sync, write_then_read_back, .init = make_root, .fini = remove_root)
{
	mkdir_at("state");
	mkdir_at("state/0");
	char err[512] = "";
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "metadata", SL_CKPT_METADATA, 0, "q1", 2, err,
					sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "state/0/12.delta", SL_CKPT_DELTA, 12, "old", 3,
					err, sizeof(err)),
		     0, "%s", err);
	/* overwritten whole */
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "state/0/12.delta", SL_CKPT_DELTA, 12, "newer!",
					6, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "state/0/13.delta", SL_CKPT_DELTA, 13, NULL, 0,
					err, sizeof(err)),
		     0, "%s", err);
	void *mem;
	const uint8_t *p;
	uint64_t len, epoch;
	cr_assert_eq(sl_ckpt_read(root_fd, "state/0/12.delta", SL_CKPT_DELTA, &mem, &p, &len,
				  &epoch, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(len, 6);
	cr_assert_eq(epoch, 12);
	cr_assert_eq(memcmp(p, "newer!", 6), 0);
	free(mem);
	cr_assert_eq(sl_ckpt_read(root_fd, "state/0/13.delta", SL_CKPT_DELTA, &mem, &p, &len,
				  &epoch, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(len, 0);
	free(mem);
	cr_assert_eq(sl_ckpt_read(root_fd, "metadata", SL_CKPT_METADATA, &mem, &p, &len, &epoch,
				  err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(len, 2);
	free(mem);
	/* the wrong kind: the decode's error */
	cr_assert_eq(sl_ckpt_read(root_fd, "metadata", SL_CKPT_COMMIT, &mem, &p, &len, &epoch, err,
				  sizeof(err)),
		     -EBADMSG);
	cr_assert_null(mem);
	cr_assert_eq(tmp_left(), 0);
	struct stat st;
	cr_assert_eq(fstatat(root_fd, "state/0/12.delta", &st, 0), 0);
	cr_assert_eq(st.st_size, SL_CKPT_HEADER_SIZE + 6);
}

Test(ckpt_sync, read_of_a_missing_file_is_enoent, .init = make_root, .fini = remove_root)
{
	void *mem = (void *)1;
	const uint8_t *p;
	uint64_t len, epoch;
	char err[512] = "";
	cr_assert_eq(sl_ckpt_read(root_fd, "commits/4", SL_CKPT_COMMIT, &mem, &p, &len, &epoch, err,
				  sizeof(err)),
		     -ENOENT);
	cr_assert_null(mem);
	cr_assert_str_eq(err, "checkpoint file commits/4 does not exist");
}

Test(ckpt_sync, read_of_a_cut_short_file_is_corrupt, .init = make_root, .fini = remove_root)
{
	char err[512] = "";
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "offsets-5", SL_CKPT_OFFSETS, 5, "0123456789", 10,
					err, sizeof(err)),
		     0, "%s", err);
	int fd = openat(root_fd, "offsets-5", O_WRONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, SL_CKPT_HEADER_SIZE + 4), 0);
	close(fd);
	void *mem;
	const uint8_t *p;
	uint64_t len, epoch;
	cr_assert_eq(sl_ckpt_read(root_fd, "offsets-5", SL_CKPT_OFFSETS, &mem, &p, &len, &epoch,
				  err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "checkpoint file offsets-5 is corrupt: ") == err, "%s", err);
	cr_assert_null(mem);
}

Test(ckpt_sync, read_of_a_file_over_1gib_is_refused, .init = make_root, .fini = remove_root)
{
	int fd = openat(root_fd, "huge", O_CREAT | O_WRONLY, 0644);
	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, (off_t)(1 << 30) + 1), 0); /* sparse */
	close(fd);
	void *mem;
	const uint8_t *p;
	uint64_t len, epoch;
	char err[512] = "";
	cr_assert_eq(sl_ckpt_read(root_fd, "huge", SL_CKPT_SNAPSHOT, &mem, &p, &len, &epoch, err,
				  sizeof(err)),
		     -EFBIG);
	cr_assert(strstr(err, "checkpoint file huge is 1073741825 bytes") == err, "%s", err);
	/* a directory is not a checkpoint file */
	mkdir_at("d");
	cr_assert_eq(sl_ckpt_read(root_fd, "d", SL_CKPT_SNAPSHOT, &mem, &p, &len, &epoch, err,
				  sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "checkpoint file d is not a regular file") == err, "%s", err);
}

Test(ckpt_sync, write_into_a_missing_directory_names_the_file, .init = make_root,
     .fini = remove_root)
{
	char err[512] = "";
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "nodir/3", SL_CKPT_COMMIT, 3, "c", 1, err,
					sizeof(err)),
		     -ENOENT);
	cr_assert_str_eq(err, "cannot write checkpoint file nodir/3: No such file or directory");
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "", SL_CKPT_COMMIT, 3, "c", 1, err, sizeof(err)),
		     -EINVAL);
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "a/", SL_CKPT_COMMIT, 3, "c", 1, err, sizeof(err)),
		     -EINVAL);
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "/etc/x", SL_CKPT_COMMIT, 3, "c", 1, err,
					sizeof(err)),
		     -EINVAL);
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "big", SL_CKPT_SNAPSHOT, 3, "c", 1ull << 30, err,
					sizeof(err)),
		     -EFBIG);
	cr_assert(strstr(err, "cannot write checkpoint file big: ") == err, "%s", err);
	cr_assert_eq(tmp_left(), 0);
}

Test(ckpt_sync, enospc_fault_fails_the_write_that_crosses_it, .init = make_root,
     .fini = remove_root)
{
	setenv("SLUICE_FAULT_CKPT_ENOSPC_AFTER", "100", 1);
	char err[512] = "";
	/* 32 + 40 = 72 bytes fit */
	uint8_t pl[40] = {1};
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "a", SL_CKPT_COMMIT, 1, pl, 40, err, sizeof(err)),
		     0, "%s", err);
	/* 72 + 32 + 1 would not */
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "b", SL_CKPT_COMMIT, 2, pl, 1, err, sizeof(err)),
		     -ENOSPC);
	cr_assert(strstr(err, "cannot write checkpoint file b: No space left on device") == err,
		  "%s", err);
	cr_assert_not(exists_at("b"));
	cr_assert_eq(tmp_left(), 0);
	void *mem;
	const uint8_t *p;
	uint64_t len, epoch;
	cr_assert_eq(sl_ckpt_read(root_fd, "a", SL_CKPT_COMMIT, &mem, &p, &len, &epoch, err,
				  sizeof(err)),
		     0, "%s", err);
	free(mem);
	setenv("SLUICE_FAULT_CKPT_ENOSPC_AFTER", "lots", 1);
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "c", SL_CKPT_COMMIT, 2, pl, 1, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "SLUICE_FAULT_CKPT_ENOSPC_AFTER=lots is not a byte count") == err,
		  "%s", err);
}

/* --- the writer --- */

static struct sl_ckpt_writer *writer(unsigned depth)
{
	char err[512] = "";
	struct sl_ckpt_writer *w = sl_ckpt_writer_create(root_fd, depth, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	return w;
}

/* 2 x 60 files in two groups, each group in its own tree of directories. */
static void many_files(unsigned depth, bool want_sync)
{
	const uint32_t per = 60;
	static const char *const dirs[] = {"state", "state/0", "state/1", "offsets", "commits"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		mkdir_at(dirs[i]);
	struct sl_ckpt_writer *w = writer(depth);
	cr_assert_eq(sl_ckpt_writer_sync(w), want_sync);
	uint32_t queued[2] = {0, 0};
	for (uint32_t i = 0; i < 2 * per; i++) {
		uint64_t group = 100 + i % 2;
		char rel[64];
		snprintf(rel, sizeof(rel), "state/%u/%u.delta", i % 2, i);
		uint64_t len;
		void *p = payload_dup(i, &len);
		cr_assert_eq(sl_ckpt_writer_put(w, rel, SL_CKPT_DELTA, i, p, len, group), 0);
		queued[i % 2]++;
		cr_assert_leq(sl_ckpt_writer_pending(w, group), queued[i % 2]);
		cr_assert_leq(sl_ckpt_writer_pending(w, 100) + sl_ckpt_writer_pending(w, 101),
			      depth);
		if (i % 10 == 0)
			cr_assert_eq(sl_ckpt_writer_poll(w), 0);
	}
	/* files straight under the root, and in another directory */
	uint64_t len;
	void *p = payload_dup(7, &len);
	cr_assert_eq(sl_ckpt_writer_put(w, "metadata", SL_CKPT_METADATA, 7, p, len, 5), 0);
	p = payload_dup(8, &len);
	cr_assert_eq(sl_ckpt_writer_put(w, "offsets/8", SL_CKPT_OFFSETS, 8, p, len, 5), 0);
	cr_assert_eq(sl_ckpt_writer_drain(w), 0);
	cr_assert_eq(sl_ckpt_writer_pending(w, 100), 0);
	cr_assert_eq(sl_ckpt_writer_pending(w, 101), 0);
	cr_assert_eq(sl_ckpt_writer_pending(w, 5), 0);
	char err[64] = "untouched";
	cr_assert_eq(sl_ckpt_writer_error(w, err, sizeof(err)), 0);
	cr_assert_str_eq(err, "untouched");
	sl_ckpt_writer_destroy(w);
	for (uint32_t i = 0; i < 2 * per; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "state/%u/%u.delta", i % 2, i);
		expect_file(rel, SL_CKPT_DELTA, i);
	}
	expect_file("metadata", SL_CKPT_METADATA, 7);
	expect_file("offsets/8", SL_CKPT_OFFSETS, 8);
	cr_assert_eq(tmp_left(), 0);
}

Test(ckpt_writer, many_files_in_two_groups, .init = make_root, .fini = remove_root)
{
	char err[512];
	struct sl_ckpt_writer *w = sl_ckpt_writer_create(root_fd, 8, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	bool sync = sl_ckpt_writer_sync(w);
	sl_ckpt_writer_destroy(w);
	if (sync)
		cr_log_warn("io_uring is not available here: the writer runs synchronously");
	many_files(8, sync);
}

Test(ckpt_writer, depth_one_waits_for_room, .init = make_root, .fini = remove_root)
{
	setenv("SLUICE_FAULT_CKPT_NO_URING", "0", 1); /* "0": io_uring stays on */
	char err[512];
	struct sl_ckpt_writer *w = sl_ckpt_writer_create(root_fd, 0, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	bool sync = sl_ckpt_writer_sync(w);
	sl_ckpt_writer_destroy(w);
	many_files(1, sync);
}

Test(ckpt_writer, synchronous_fallback, .init = make_root, .fini = remove_root)
{
	setenv("SLUICE_FAULT_CKPT_NO_URING", "1", 1);
	many_files(4, true);
}

Test(ckpt_writer, pending_falls_to_zero_by_polling, .init = make_root, .fini = remove_root)
{
	struct sl_ckpt_writer *w = writer(16);
	for (uint32_t i = 0; i < 10; i++) {
		char rel[16];
		snprintf(rel, sizeof(rel), "c%u", i);
		uint64_t len;
		void *p = payload_dup(i, &len);
		cr_assert_eq(sl_ckpt_writer_put(w, rel, SL_CKPT_COMMIT, i, p, len, 42), 0);
	}
	cr_assert_leq(sl_ckpt_writer_pending(w, 42), 10);
	for (int spin = 0; spin < 20000 && sl_ckpt_writer_pending(w, 42) > 0; spin++) {
		cr_assert_eq(sl_ckpt_writer_poll(w), 0);
		usleep(100);
	}
	cr_assert_eq(sl_ckpt_writer_pending(w, 42), 0);
	for (uint32_t i = 0; i < 10; i++) {
		char rel[16];
		snprintf(rel, sizeof(rel), "c%u", i);
		expect_file(rel, SL_CKPT_COMMIT, i);
	}
	sl_ckpt_writer_destroy(w);
}

Test(ckpt_writer, same_path_twice_keeps_the_order, .init = make_root, .fini = remove_root)
{
	struct sl_ckpt_writer *w = writer(8);
	for (uint32_t round = 0; round < 20; round++) {
		for (uint32_t i = 0; i < 5; i++) {
			uint64_t len;
			void *p = payload_dup(round * 5 + i, &len);
			cr_assert_eq(sl_ckpt_writer_put(w, "metadata", SL_CKPT_METADATA,
							round * 5 + i, p, len, round),
				     0);
		}
		cr_assert_eq(sl_ckpt_writer_unlink(w, "metadata"), 0);
		uint64_t len;
		void *p = payload_dup(1000 + round, &len);
		cr_assert_eq(sl_ckpt_writer_put(w, "metadata", SL_CKPT_METADATA, 1000 + round, p,
						len, round),
			     0);
	}
	cr_assert_eq(sl_ckpt_writer_drain(w), 0);
	sl_ckpt_writer_destroy(w);
	expect_file("metadata", SL_CKPT_METADATA, 1019);
	cr_assert_eq(tmp_left(), 0);
}

Test(ckpt_writer, unlink_removes_and_a_missing_file_is_fine, .init = make_root,
     .fini = remove_root)
{
	mkdir_at("commits");
	char err[512] = "";
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "commits/1", SL_CKPT_COMMIT, 1, "c", 1, err,
					sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "commits/2", SL_CKPT_COMMIT, 2, "c", 1, err,
					sizeof(err)),
		     0, "%s", err);
	for (int sync = 0; sync < 2; sync++) {
		setenv("SLUICE_FAULT_CKPT_NO_URING", sync ? "1" : "0", 1);
		struct sl_ckpt_writer *w = writer(4);
		cr_assert_eq(sl_ckpt_writer_unlink(w, sync ? "commits/2" : "commits/1"), 0);
		cr_assert_eq(sl_ckpt_writer_unlink(w, "commits/never"), 0);
		cr_assert_eq(sl_ckpt_writer_drain(w), 0);
		cr_assert_eq(sl_ckpt_writer_error(w, err, sizeof(err)), 0);
		sl_ckpt_writer_destroy(w);
	}
	cr_assert_not(exists_at("commits/1"));
	cr_assert_not(exists_at("commits/2"));
	/* a failure other than a missing file is the writer's failure */
	struct sl_ckpt_writer *w = writer(4);
	int urc = sl_ckpt_writer_unlink(w, "commits"); /* a directory: EISDIR */
	cr_assert_eq(urc, sl_ckpt_writer_sync(w) ? -EISDIR : 0);
	cr_assert_eq(sl_ckpt_writer_drain(w), -EISDIR);
	cr_assert_eq(sl_ckpt_writer_error(w, err, sizeof(err)), -EISDIR);
	cr_assert(strstr(err, "cannot remove checkpoint file commits: ") == err, "%s", err);
	sl_ckpt_writer_destroy(w);
}

static void enospc(bool sync)
{
	setenv("SLUICE_FAULT_CKPT_NO_URING", sync ? "1" : "0", 1);
	/* 10 files of 32 + 68 bytes fit in 1000, the 11th does not */
	setenv("SLUICE_FAULT_CKPT_ENOSPC_AFTER", "1000", 1);
	mkdir_at("offsets");
	struct sl_ckpt_writer *w = writer(4);
	uint32_t i;
	for (i = 0; i < 10; i++) {
		char rel[32];
		snprintf(rel, sizeof(rel), "offsets/%u", i);
		void *p = malloc(68);
		memset(p, (int)i, 68);
		cr_assert_eq(sl_ckpt_writer_put(w, rel, SL_CKPT_OFFSETS, i, p, 68, i), 0);
	}
	void *p = malloc(68);
	memset(p, 0, 68);
	cr_assert_eq(sl_ckpt_writer_put(w, "offsets/10", SL_CKPT_OFFSETS, 10, p, 68, 10), -ENOSPC);
	char err[512] = "";
	cr_assert_eq(sl_ckpt_writer_error(w, err, sizeof(err)), -ENOSPC);
	cr_assert(strstr(err, "cannot write checkpoint file offsets/10: No space left on device") ==
			  err,
		  "%s", err);
	/* from then on every put and unlink says so, and frees the payload */
	p = malloc(1);
	cr_assert_eq(sl_ckpt_writer_put(w, "offsets/11", SL_CKPT_OFFSETS, 11, p, 1, 11), -ENOSPC);
	cr_assert_eq(sl_ckpt_writer_unlink(w, "offsets/0"), -ENOSPC);
	cr_assert_eq(sl_ckpt_writer_poll(w), -ENOSPC);
	cr_assert_eq(sl_ckpt_writer_drain(w), -ENOSPC);
	cr_assert_eq(sl_ckpt_writer_error(w, err, sizeof(err)), -ENOSPC);
	cr_assert(strstr(err, "offsets/10") != NULL, "%s", err);
	sl_ckpt_writer_destroy(w);
	cr_assert_not(exists_at("offsets/10"));
	cr_assert_not(exists_at("offsets/11"));
	cr_assert_eq(tmp_left(), 0);
	for (i = 0; i < 10; i++) {
		char rel[32];
		snprintf(rel, sizeof(rel), "offsets/%u", i);
		void *mem;
		const uint8_t *pl;
		uint64_t len, epoch;
		cr_assert_eq(sl_ckpt_read(root_fd, rel, SL_CKPT_OFFSETS, &mem, &pl, &len, &epoch, err,
					  sizeof(err)),
			     0, "%s", err);
		cr_assert_eq(len, 68);
		cr_assert_eq(pl[67], (uint8_t)i);
		free(mem);
	}
}

Test(ckpt_writer, enospc_fault_names_the_file_and_stays, .init = make_root,
     .fini = remove_root)
{
	enospc(false);
}

Test(ckpt_writer, enospc_fault_synchronous, .init = make_root, .fini = remove_root)
{
	enospc(true);
}

/* One count of bytes for the process: synchronous writes use up the room
 * the writer has too. */
Test(ckpt_writer, enospc_fault_counts_every_write_of_the_process, .init = make_root,
     .fini = remove_root)
{
	setenv("SLUICE_FAULT_CKPT_ENOSPC_AFTER", "300", 1);
	struct sl_ckpt_writer *w = writer(4);
	uint8_t pl[68] = {0};
	char err[512] = "";
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "a", SL_CKPT_COMMIT, 1, pl, 68, err, sizeof(err)),
		     0, "%s", err);
	void *p = calloc(1, 68);
	cr_assert_eq(sl_ckpt_writer_put(w, "b", SL_CKPT_COMMIT, 2, p, 68, 2), 0);
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "c", SL_CKPT_COMMIT, 3, pl, 68, err, sizeof(err)),
		     0, "%s", err);
	p = calloc(1, 1); /* 301 bytes in all */
	cr_assert_eq(sl_ckpt_writer_put(w, "d", SL_CKPT_COMMIT, 4, p, 1, 4), -ENOSPC);
	cr_assert_eq(sl_ckpt_write_sync(root_fd, "e", SL_CKPT_COMMIT, 5, pl, 1, err, sizeof(err)),
		     -ENOSPC);
	cr_assert_eq(sl_ckpt_writer_drain(w), -ENOSPC);
	sl_ckpt_writer_destroy(w);
	cr_assert(exists_at("a") && exists_at("b") && exists_at("c"));
	cr_assert_not(exists_at("d"));
	cr_assert_not(exists_at("e"));
	cr_assert_eq(tmp_left(), 0);
}

Test(ckpt_writer, missing_directory_fails_the_writer, .init = make_root, .fini = remove_root)
{
	struct sl_ckpt_writer *w = writer(4);
	void *p = malloc(3);
	memcpy(p, "abc", 3);
	cr_assert_eq(sl_ckpt_writer_put(w, "state/9/1.delta", SL_CKPT_DELTA, 1, p, 3, 1), -ENOENT);
	char err[512] = "";
	cr_assert_eq(sl_ckpt_writer_error(w, err, sizeof(err)), -ENOENT);
	cr_assert_str_eq(err,
			 "cannot write checkpoint file state/9/1.delta: No such file or directory");
	p = malloc(3);
	cr_assert_eq(sl_ckpt_writer_put(w, "ok", SL_CKPT_DELTA, 1, p, 3, 1), -ENOENT);
	cr_assert_eq(sl_ckpt_writer_pending(w, 1), 0);
	sl_ckpt_writer_destroy(w);
	cr_assert_not(exists_at("ok"));
}

/* A chain that fails in the kernel (not before submission): the rename's
 * target is a non-empty directory. */
Test(ckpt_writer, failed_chain_removes_its_temporary, .init = make_root, .fini = remove_root)
{
	mkdir_at("target");
	mkdir_at("target/inside");
	struct sl_ckpt_writer *w = writer(4);
	void *p = malloc(3);
	memcpy(p, "abc", 3);
	int prc = sl_ckpt_writer_put(w, "target", SL_CKPT_DELTA, 1, p, 3, 1);
	int rc = sl_ckpt_writer_drain(w);
	cr_assert_eq(prc, sl_ckpt_writer_sync(w) ? rc : 0);
	cr_assert(rc == -EISDIR || rc == -ENOTEMPTY || rc == -EEXIST, "%d", rc);
	char err[512] = "";
	cr_assert_eq(sl_ckpt_writer_error(w, err, sizeof(err)), rc);
	cr_assert(strstr(err, "cannot write checkpoint file target: ") == err, "%s", err);
	cr_assert_eq(sl_ckpt_writer_pending(w, 1), 0);
	p = malloc(1);
	cr_assert_eq(sl_ckpt_writer_put(w, "other", SL_CKPT_DELTA, 2, p, 1, 2), rc);
	sl_ckpt_writer_destroy(w);
	cr_assert_eq(tmp_left(), 0);
	cr_assert_not(exists_at("other"));
}

/* A short write (the file size limit lets the first bytes through and
 * refuses the rest): the chain stops after the write, the writer tries to
 * finish the file synchronously, which fails with EFBIG; the temporary
 * goes, the file is named. */
static void short_write(bool sync)
{
	setenv("SLUICE_FAULT_CKPT_NO_URING", sync ? "1" : "0", 1);
	signal(SIGXFSZ, SIG_IGN);
	struct sl_ckpt_writer *w = writer(4);
	void *p = malloc(8);
	memset(p, 1, 8);
	cr_assert_eq(sl_ckpt_writer_put(w, "small", SL_CKPT_DELTA, 1, p, 8, 1), 0);
	cr_assert_eq(sl_ckpt_writer_drain(w), 0);
	struct rlimit rl = {.rlim_cur = SL_CKPT_HEADER_SIZE + 50, .rlim_max = RLIM_INFINITY};
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	p = malloc(100);
	memset(p, 2, 100);
	int prc = sl_ckpt_writer_put(w, "big", SL_CKPT_DELTA, 2, p, 100, 2);
	cr_assert_eq(prc, sync ? -EFBIG : 0);
	cr_assert_eq(sl_ckpt_writer_drain(w), -EFBIG);
	char err[512] = "";
	cr_assert_eq(sl_ckpt_writer_error(w, err, sizeof(err)), -EFBIG);
	cr_assert_str_eq(err, "cannot write checkpoint file big: File too large");
	cr_assert_eq(sl_ckpt_writer_pending(w, 2), 0);
	sl_ckpt_writer_destroy(w);
	rl.rlim_cur = RLIM_INFINITY;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	cr_assert_eq(tmp_left(), 0);
	cr_assert_not(exists_at("big"));
	void *mem;
	const uint8_t *pl;
	uint64_t len, epoch;
	cr_assert_eq(sl_ckpt_read(root_fd, "small", SL_CKPT_DELTA, &mem, &pl, &len, &epoch, err,
				  sizeof(err)),
		     0, "%s", err);
	free(mem);
}

Test(ckpt_writer, short_write_fails_cleanly, .init = make_root, .fini = remove_root)
{
	short_write(false);
}

Test(ckpt_writer, short_write_fails_cleanly_synchronous, .init = make_root,
     .fini = remove_root)
{
	short_write(true);
}

/* More directories than the writer keeps open (depth + 32): idle ones are
 * closed and opened again when needed. */
Test(ckpt_writer, more_directories_than_cached_fds, .init = make_root, .fini = remove_root)
{
	mkdir_at("state");
	for (uint32_t d = 0; d < 50; d++) {
		char rel[32];
		snprintf(rel, sizeof(rel), "state/%u", d);
		mkdir_at(rel);
	}
	struct sl_ckpt_writer *w = writer(2);
	for (uint32_t round = 0; round < 3; round++)
		for (uint32_t d = 0; d < 50; d++) {
			char rel[32];
			uint32_t i = round * 50 + d;
			snprintf(rel, sizeof(rel), "state/%u/%u.delta", d, i);
			uint64_t len;
			void *p = payload_dup(i, &len);
			cr_assert_eq(sl_ckpt_writer_put(w, rel, SL_CKPT_DELTA, i, p, len, round), 0);
		}
	cr_assert_eq(sl_ckpt_writer_drain(w), 0);
	sl_ckpt_writer_destroy(w);
	for (uint32_t i = 0; i < 150; i++) {
		char rel[32];
		snprintf(rel, sizeof(rel), "state/%u/%u.delta", i % 50, i);
		expect_file(rel, SL_CKPT_DELTA, i);
	}
	cr_assert_eq(tmp_left(), 0);
}

Test(ckpt_writer, large_payload, .init = make_root, .fini = remove_root)
{
	const size_t n = 8u << 20;
	uint8_t *p = malloc(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 2654435761u >> 24);
	uint32_t crc = sl_crc32c(0, p, n);
	struct sl_ckpt_writer *w = writer(2);
	cr_assert_eq(sl_ckpt_writer_put(w, "snap", SL_CKPT_SNAPSHOT, 9, p, n, 9), 0);
	cr_assert_eq(sl_ckpt_writer_drain(w), 0);
	sl_ckpt_writer_destroy(w);
	void *mem;
	const uint8_t *pl;
	uint64_t len, epoch;
	char err[512] = "";
	cr_assert_eq(sl_ckpt_read(root_fd, "snap", SL_CKPT_SNAPSHOT, &mem, &pl, &len, &epoch, err,
				  sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(len, n);
	cr_assert_eq(sl_crc32c(0, pl, n), crc);
	free(mem);
}

Test(ckpt_writer, bad_fault_setting_fails_create, .init = make_root, .fini = remove_root)
{
	setenv("SLUICE_FAULT_CKPT_ENOSPC_AFTER", "-1", 1);
	char err[512] = "";
	errno = 0;
	cr_assert_null(sl_ckpt_writer_create(root_fd, 4, err, sizeof(err)));
	cr_assert_eq(errno, EINVAL);
	cr_assert(strstr(err, "SLUICE_FAULT_CKPT_ENOSPC_AFTER=-1 is not a byte count") == err,
		  "%s", err);
	unsetenv("SLUICE_FAULT_CKPT_ENOSPC_AFTER");
	cr_assert_null(sl_ckpt_writer_create(-1, 4, err, sizeof(err)));
	cr_assert_eq(errno, EBADF);
	cr_assert(strstr(err, "cannot start the checkpoint writer: the checkpoint directory (fd "
			      "-1): ") == err,
		  "%s", err);
}

Test(ckpt_writer, destroy_null_is_a_no_op)
{
	sl_ckpt_writer_destroy(NULL);
}
