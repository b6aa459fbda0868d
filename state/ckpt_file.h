/*
 * ckpt_file.h — the checkpoint's files: one header format for every file
 * (format version, kind, epoch, payload length, CRC32C checksums), atomic
 * publication (temporary name, write, fsync, rename, fsync of the
 * directory), checked reads, and an asynchronous writer on io_uring for the
 * control thread (DESIGN.md section 6; docs/checkpoints.md has the bytes).
 *
 * Header (SL_CKPT_HEADER_SIZE bytes, little-endian):
 *
 *   offset  bytes  field
 *   0       4      magic "SLCK"
 *   4       2      format version (SL_CKPT_FORMAT_VERSION)
 *   6       2      kind (enum sl_ckpt_kind)
 *   8       8      epoch (what the file is about; 0 where none)
 *   16      8      payload length in bytes
 *   24      4      CRC32C of the payload
 *   28      4      CRC32C of bytes 0..27
 *
 * then the payload. A file is valid when it is exactly header + payload
 * bytes long and both checksums match; anything else is "corrupt" (a cut
 * short or bit-flipped file is never loaded). A version above
 * SL_CKPT_FORMAT_VERSION is "written by a newer sluice" (-EPROTONOSUPPORT):
 * the version is read right after the magic, before the header checksum, so
 * a later format may change everything from byte 6 on. A file is at most
 * 1 GiB (header included): writes of more are refused with -EFBIG, and reads
 * of a bigger file too.
 */
#ifndef SL_CKPT_FILE_H
#define SL_CKPT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_CKPT_FORMAT_VERSION 1
#define SL_CKPT_HEADER_SIZE 32

enum sl_ckpt_kind {
	SL_CKPT_METADATA = 1,
	SL_CKPT_OFFSETS = 2,
	SL_CKPT_COMMIT = 3,
	SL_CKPT_DELTA = 4,
	SL_CKPT_SNAPSHOT = 5,
	SL_CKPT_SOURCE_LOG = 6,
};

/* The kind's name as docs/checkpoints.md writes it ("offsets", ...). */
const char *sl_ckpt_kind_name(enum sl_ckpt_kind k);

/* CRC32C (Castagnoli), as iSCSI and ext4 use it: crc starts at 0, and
 * sl_crc32c(sl_crc32c(0, a, n), b, m) == sl_crc32c(0, ab, n + m). Uses the
 * SSE4.2 instruction when the CPU has it. */
uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n);
/* The same, table-driven (slicing-by-8): what sl_crc32c falls back to
 * without SSE4.2; public so that tests compare the two. */
uint32_t sl_crc32c_portable(uint32_t crc, const void *p, size_t n);

void sl_ckpt_header_encode(uint8_t out[SL_CKPT_HEADER_SIZE], enum sl_ckpt_kind kind,
			   uint64_t epoch, const void *payload, uint64_t len);

/* Checks a whole file image buf[0..n) named `name` (for messages) of kind
 * `want`. 0 with *payload pointing into buf, *len and *epoch set; else
 * -EINVAL ("checkpoint file NAME is corrupt: ..."), -EPROTONOSUPPORT
 * ("... was written by a newer sluice (format V; this one reads up to 1)") or
 * -EBADMSG (a valid file of another kind), with the message in err. */
int sl_ckpt_decode(const void *buf, size_t n, enum sl_ckpt_kind want, const char *name,
		   const uint8_t **payload, uint64_t *len, uint64_t *epoch, char *err,
		   size_t errlen);

/* Reads dirfd/relpath whole (one malloc'ed buffer in *mem, the caller's to
 * free) and decodes it as above. -ENOENT (err set too) when it does not
 * exist; -errno for other I/O errors; the errors of sl_ckpt_decode. */
int sl_ckpt_read(int dirfd, const char *relpath, enum sl_ckpt_kind want, void **mem,
		 const uint8_t **payload, uint64_t *len, uint64_t *epoch, char *err,
		 size_t errlen);

/* Writes dirfd/relpath atomically and durably, synchronously: a temporary
 * beside it (the base name with "." before and ".tmp" after:
 * "state/0/.12.delta.tmp"), header + payload, fsync, rename, fsync of the
 * directory. 0 or -errno with "cannot write checkpoint file P: ..." in err;
 * the temporary is removed on failure. The directory must exist. Honours
 * SLUICE_FAULT_CKPT_ENOSPC_AFTER (below), read at every call. */
int sl_ckpt_write_sync(int dirfd, const char *relpath, enum sl_ckpt_kind kind, uint64_t epoch,
		       const void *payload, uint64_t len, char *err, size_t errlen);

/*
 * The asynchronous writer: the control thread queues files, and the writer
 * runs each as one linked io_uring chain (write header and payload, fsync,
 * close, rename, fsync of the directory) without blocking the caller. Files
 * are grouped (a group is an epoch): the caller asks how many files of a
 * group are not durable yet. When io_uring cannot be set up (an old kernel,
 * a seccomp profile), the writer writes synchronously in put() instead and
 * says so once through sl_ckpt_writer_sync().
 *
 * Operations on one relpath happen in the order they were queued (a put or
 * unlink waits for the one in flight on the same path). Directories under
 * root are not removed while the writer lives (it keeps them open to fsync
 * them).
 *
 * Fault injection for tests, read at create time:
 *  - SLUICE_FAULT_CKPT_ENOSPC_AFTER=N: the bytes (header and payload) of
 *    every checkpoint file the process writes are counted, the writers'
 *    and sl_ckpt_write_sync's together; a file that would take the count
 *    past N fails with ENOSPC instead, as a full disk would (its temporary
 *    is not left behind). A value that is not a byte count fails create
 *    (and sl_ckpt_write_sync, with -EINVAL).
 *  - SLUICE_FAULT_CKPT_NO_URING=1: behave as when io_uring cannot be set up
 *    (synchronous writes), to test that path.
 */
struct sl_ckpt_writer;

/* root: the checkpoint directory (the writer dups it). depth: chains in
 * flight at most, 1..1024 (0 counts as 1, more as 1024); put() waits for
 * room beyond that. NULL + err (and errno) on failure. */
struct sl_ckpt_writer *sl_ckpt_writer_create(int root, unsigned depth, char *err, size_t errlen);
/* Waits for everything in flight, then frees. */
void sl_ckpt_writer_destroy(struct sl_ckpt_writer *w);
/* Whether the writer fell back to synchronous writes. */
bool sl_ckpt_writer_sync(const struct sl_ckpt_writer *w);

/* Queues root/relpath (its directory must exist) of `kind` and `epoch`,
 * with `payload` (malloc'ed; the writer owns and frees it, on failure too),
 * in `group`. 0, or -errno when the writer has failed before or this file
 * failed at once (cannot create the temporary, a bad path, too big): the
 * first failure stays, and every later put and unlink returns it (see
 * sl_ckpt_writer_error). */
int sl_ckpt_writer_put(struct sl_ckpt_writer *w, const char *relpath, enum sl_ckpt_kind kind,
		       uint64_t epoch, void *payload, uint64_t len, uint64_t group);
/* Queues the removal of root/relpath (retention); a missing file is fine.
 * Counted in no group; any other failure is the writer's failure as for a
 * write ("cannot remove checkpoint file P: ..."). */
int sl_ckpt_writer_unlink(struct sl_ckpt_writer *w, const char *relpath);
/* Reaps what completed, without blocking. Returns the first failure so far
 * (-errno) or 0. */
int sl_ckpt_writer_poll(struct sl_ckpt_writer *w);
/* Files of `group` queued and not yet durable (after the last poll). */
uint32_t sl_ckpt_writer_pending(const struct sl_ckpt_writer *w, uint64_t group);
/* Waits until nothing is in flight. The first failure or 0. */
int sl_ckpt_writer_drain(struct sl_ckpt_writer *w);
/* The first failure: -errno (0: none) and, in err, "cannot write checkpoint
 * file P: <strerror>" naming the file (err untouched when none). */
int sl_ckpt_writer_error(const struct sl_ckpt_writer *w, char *err, size_t errlen);

#endif
