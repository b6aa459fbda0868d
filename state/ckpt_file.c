/*
 * ckpt_file.c — checkpoint files (ckpt_file.h has the header's bytes): the
 * CRC32C, the header, checked reads, synchronous atomic writes, and the
 * control thread's asynchronous writer on io_uring.
 *
 * A file is published atomically and durably in five steps:
 *
 *   1. create DIR/.BASE.tmp (O_TRUNC: a stale one from a crash is reused)
 *   2. write header + payload at offset 0
 *   3. fsync it
 *   4. close it; rename it to DIR/BASE
 *   5. fsync DIR, so that the rename itself survives a crash
 *
 * Until step 4 the old DIR/BASE (if any) is untouched; after it the new one
 * is complete on disk. Any failure before the rename removes the temporary.
 *
 * The writer runs steps 2-5 as one linked io_uring chain per file (step 1 is
 * a synchronous openat in put(), which is cheap):
 *
 *   WRITEV -> FSYNC -> CLOSE -> RENAMEAT -> FSYNC(dir)     (IOSQE_IO_LINK)
 *
 * Every SQE of a chain posts one CQE; a failed link (a short write counts as
 * one: the kernel breaks the chain when a write does less than asked)
 * cancels the rest with -ECANCELED. A slot lives from put() until the last
 * of its five CQEs is reaped; then it is finished: a chain cut short without
 * a real error (a short write) is completed synchronously, a failed one has
 * its temporary removed and its error recorded (the first only), and the
 * payload is freed. user_data = slot index << 3 | step.
 *
 * Threads: the writer belongs to the control thread; nothing in it is
 * shared. sl_crc32c and the decode/read/write_sync functions are safe from
 * any thread.
 */
#include "ckpt_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <liburing.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define HDR SL_CKPT_HEADER_SIZE
#define MAX_FILE ((uint64_t)1 << 30)
#define FAULT_ENV "SLUICE_FAULT_CKPT_ENOSPC_AFTER"
#define NO_URING_ENV "SLUICE_FAULT_CKPT_NO_URING"
#define CORRUPT_HINT                                                                      \
	"restore the checkpoint directory from a backup, or remove it to start the query " \
	"afresh"
#define DEPTH_MAX 1024u
#define DIRS_SPARE 32u /* cached directory fds beyond the ones in use */

__attribute__((format(printf, 3, 4))) static void seterr(char *err, size_t errlen,
							  const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *sl_ckpt_kind_name(enum sl_ckpt_kind k)
{
	switch (k) {
	case SL_CKPT_METADATA: return "metadata";
	case SL_CKPT_OFFSETS: return "offsets";
	case SL_CKPT_COMMIT: return "commit";
	case SL_CKPT_DELTA: return "delta";
	case SL_CKPT_SNAPSHOT: return "snapshot";
	case SL_CKPT_SOURCE_LOG: return "source log";
	}
	return "unknown";
}

/* --- CRC32C ------------------------------------------------------------ */

/* crc_table[0] is the classic byte table of the reflected polynomial;
 * crc_table[k][b] is the CRC of byte b followed by k zero bytes, so eight
 * lookups advance over eight bytes (slicing-by-8). */
static uint32_t crc_table[8][256];
typedef uint32_t crc_fn(uint32_t state, const uint8_t *p, size_t n);
static crc_fn *crc_impl;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

/* The functions below work on the inverted state (~crc): sl_crc32c inverts
 * on the way in and out, which gives the init ~0 / final xor ~0 of CRC32C
 * and the chaining property. */
static uint32_t crc_sw(uint32_t c, const uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				   (uint32_t)p[3] << 24);
		uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
			      (uint32_t)p[7] << 24;
		c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		    crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		    crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		    crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n--)
		c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

#if defined(__x86_64__)
/* One stream of 8-byte crc32 instructions: about 8 bytes per 3 cycles,
 * several GB/s, far above what the disk takes. */
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t n)
{
	uint64_t c64 = c;
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, p, 8); /* unaligned load */
		c64 = _mm_crc32_u64(c64, v);
		p += 8;
		n -= 8;
	}
	c = (uint32_t)c64;
	while (n--)
		c = _mm_crc32_u8(c, *p++);
	return c;
}
#endif

static void crc_setup(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t c = b;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
		crc_table[0][b] = c;
	}
	for (uint32_t b = 0; b < 256; b++)
		for (int t = 1; t < 8; t++)
			crc_table[t][b] = crc_table[0][crc_table[t - 1][b] & 0xff] ^
					  (crc_table[t - 1][b] >> 8);
	crc_impl = crc_sw;
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2"))
		crc_impl = crc_hw;
#endif
}

uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n)
{
	pthread_once(&crc_once, crc_setup);
	return ~crc_impl(~crc, p, n);
}

uint32_t sl_crc32c_portable(uint32_t crc, const void *p, size_t n)
{
	pthread_once(&crc_once, crc_setup);
	return ~crc_sw(~crc, p, n);
}

/* --- header ------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void sl_ckpt_header_encode(uint8_t out[SL_CKPT_HEADER_SIZE], enum sl_ckpt_kind kind,
			   uint64_t epoch, const void *payload, uint64_t len)
{
	out[0] = 'S';
	out[1] = 'L';
	out[2] = 'C';
	out[3] = 'K';
	put16(out + 4, SL_CKPT_FORMAT_VERSION);
	put16(out + 6, (uint16_t)kind);
	put64(out + 8, epoch);
	put64(out + 16, len);
	put32(out + 24, sl_crc32c(0, payload, (size_t)len));
	put32(out + 28, sl_crc32c(0, out, 28));
}

int sl_ckpt_decode(const void *buf, size_t n, enum sl_ckpt_kind want, const char *name,
		   const uint8_t **payload, uint64_t *len, uint64_t *epoch, char *err,
		   size_t errlen)
{
	const uint8_t *b = buf;
	if (name == NULL)
		name = "(unnamed)";
	if (n < HDR) {
		seterr(err, errlen,
		       "checkpoint file %s is corrupt: %zu bytes, shorter than the %d-byte "
		       "header (cut short); " CORRUPT_HINT,
		       name, n, HDR);
		return -EINVAL;
	}
	if (memcmp(b, "SLCK", 4) != 0) {
		seterr(err, errlen,
		       "checkpoint file %s is corrupt: it does not start with \"SLCK\" (not a "
		       "sluice checkpoint file, or overwritten); " CORRUPT_HINT,
		       name);
		return -EINVAL;
	}
	uint16_t version = get16(b + 4);
	if (version > SL_CKPT_FORMAT_VERSION) {
		seterr(err, errlen,
		       "checkpoint file %s was written by a newer sluice (format %u; this one "
		       "reads up to %d); run that version, or start the query with a new "
		       "checkpoint directory",
		       name, version, SL_CKPT_FORMAT_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (get32(b + 28) != sl_crc32c(0, b, 28)) {
		seterr(err, errlen,
		       "checkpoint file %s is corrupt: header checksum mismatch (overwritten or "
		       "bit-flipped); " CORRUPT_HINT,
		       name);
		return -EINVAL;
	}
	if (version == 0) {
		seterr(err, errlen,
		       "checkpoint file %s is corrupt: format version 0, which no sluice "
		       "writes; " CORRUPT_HINT,
		       name);
		return -EINVAL;
	}
	uint64_t plen = get64(b + 16);
	uint64_t have = (uint64_t)(n - HDR);
	if (plen > have) {
		seterr(err, errlen,
		       "checkpoint file %s is corrupt: the header promises %llu payload bytes "
		       "but the file holds %llu (cut short); " CORRUPT_HINT,
		       name, (unsigned long long)plen, (unsigned long long)have);
		return -EINVAL;
	}
	if (plen < have) {
		seterr(err, errlen,
		       "checkpoint file %s is corrupt: %llu trailing bytes after the %llu-byte "
		       "payload the header promises; " CORRUPT_HINT,
		       name, (unsigned long long)(have - plen), (unsigned long long)plen);
		return -EINVAL;
	}
	if (get32(b + 24) != sl_crc32c(0, b + HDR, (size_t)plen)) {
		seterr(err, errlen,
		       "checkpoint file %s is corrupt: payload checksum mismatch (cut short or "
		       "overwritten); " CORRUPT_HINT,
		       name);
		return -EINVAL;
	}
	uint16_t kind = get16(b + 6);
	if (kind != (uint16_t)want) {
		seterr(err, errlen,
		       "checkpoint file %s is a valid %s file (kind %u), not the %s file "
		       "expected there; a file was copied to the wrong place: put it back, or "
		       "restore the checkpoint directory from a backup",
		       name, sl_ckpt_kind_name((enum sl_ckpt_kind)kind), kind,
		       sl_ckpt_kind_name(want));
		return -EBADMSG;
	}
	if (payload != NULL)
		*payload = b + HDR;
	if (len != NULL)
		*len = plen;
	if (epoch != NULL)
		*epoch = get64(b + 8);
	return 0;
}

/* --- synchronous reads and writes ----------------------------------------- */

int sl_ckpt_read(int dirfd, const char *relpath, enum sl_ckpt_kind want, void **mem,
		 const uint8_t **payload, uint64_t *len, uint64_t *epoch, char *err,
		 size_t errlen)
{
	*mem = NULL;
	int fd = openat(dirfd, relpath, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			seterr(err, errlen, "checkpoint file %s does not exist", relpath);
		else
			seterr(err, errlen, "cannot read checkpoint file %s: %s", relpath,
			       strerror(e));
		return -e;
	}
	struct stat st;
	int rc;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		seterr(err, errlen, "cannot read checkpoint file %s: %s", relpath, strerror(-rc));
		goto err_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		seterr(err, errlen,
		       "checkpoint file %s is not a regular file; " CORRUPT_HINT, relpath);
		goto err_fd;
	}
	if ((uint64_t)st.st_size > MAX_FILE) {
		rc = -EFBIG;
		seterr(err, errlen,
		       "checkpoint file %s is %llu bytes, more than the 1 GiB a checkpoint file "
		       "may hold: sluice did not write it; " CORRUPT_HINT,
		       relpath, (unsigned long long)st.st_size);
		goto err_fd;
	}
	size_t size = (size_t)st.st_size;
	uint8_t *buf = malloc(size ? size : 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		seterr(err, errlen, "cannot read checkpoint file %s: out of memory (%zu bytes)",
		       relpath, size);
		goto err_fd;
	}
	/* a file that shrinks meanwhile is decoded as read (corrupt); one that
	 * grows is read to its size at fstat (corrupt unless it was whole) */
	size_t got = 0;
	while (got < size) {
		ssize_t k = pread(fd, buf + got, size - got, (off_t)got);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			seterr(err, errlen, "cannot read checkpoint file %s: %s", relpath,
			       strerror(-rc));
			goto err_buf;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	rc = sl_ckpt_decode(buf, got, want, relpath, payload, len, epoch, err, errlen);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*mem = buf;
	return 0;

err_buf:
	free(buf);
err_fd:
	close(fd);
	return rc;
}

/* The temporary's and the directory's names for relpath: "a/b/.c.tmp" and
 * "a/b" ("." when relpath has no directory). 0, -EINVAL (empty, absolute,
 * or naming a directory) or -ENAMETOOLONG. */
static int make_names(const char *relpath, char tmp[PATH_MAX], char dir[PATH_MAX])
{
	size_t n = strlen(relpath);
	if (n == 0 || relpath[0] == '/' || relpath[n - 1] == '/')
		return -EINVAL;
	const char *slash = strrchr(relpath, '/');
	size_t dn = slash ? (size_t)(slash - relpath) : 0;
	const char *base = slash ? slash + 1 : relpath;
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EINVAL;
	if (n + 6 > PATH_MAX)
		return -ENAMETOOLONG;
	if (slash) {
		memcpy(dir, relpath, dn);
		dir[dn] = '\0';
		snprintf(tmp, PATH_MAX, "%s/.%s.tmp", dir, base);
	} else {
		snprintf(dir, PATH_MAX, ".");
		snprintf(tmp, PATH_MAX, ".%s.tmp", base);
	}
	return 0;
}

/* Writes header + payload to fd from byte `done` on, at their offsets
 * (pwritev: the file position is not used), through short writes and
 * EINTR. 0 or -errno. */
static int write_rest(int fd, const uint8_t *hdr, const uint8_t *payload, uint64_t len,
		      uint64_t done)
{
	uint64_t total = HDR + len;
	while (done < total) {
		struct iovec iov[2];
		int nv = 0;
		if (done < HDR) {
			iov[nv].iov_base = (void *)(hdr + done);
			iov[nv++].iov_len = (size_t)(HDR - done);
			if (len > 0) {
				iov[nv].iov_base = (void *)payload;
				iov[nv++].iov_len = (size_t)len;
			}
		} else {
			iov[nv].iov_base = (void *)(payload + (done - HDR));
			iov[nv++].iov_len = (size_t)(total - done);
		}
		ssize_t k = pwritev(fd, iov, nv, (off_t)done);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO; /* no progress on a regular file: do not spin */
		done += (uint64_t)k;
	}
	return 0;
}

/* fsync of a directory; filesystems that cannot (EINVAL) are let be, as
 * PostgreSQL does. */
static int fsync_dirfd(int fd)
{
	if (fsync(fd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

/* Steps 1-5 of the file comment, synchronously. 0 or -errno; the
 * temporary never stays behind. */
static int write_file(int dirfd, const char *relpath, const char *tmp, const char *dir,
		      const uint8_t hdr[HDR], const void *payload, uint64_t len)
{
	int rc;
	int fd = openat(dirfd, tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	rc = write_rest(fd, hdr, payload, len, 0);
	if (rc < 0)
		goto err_fd;
	if (fsync(fd) < 0) {
		rc = -errno;
		goto err_fd;
	}
	if (close(fd) < 0) { /* the fd is gone either way (Linux) */
		rc = -errno;
		goto err_tmp;
	}
	if (renameat(dirfd, tmp, dirfd, relpath) < 0) {
		rc = -errno;
		goto err_tmp;
	}
	int dfd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	rc = fsync_dirfd(dfd);
	close(dfd);
	return rc;

err_fd:
	close(fd);
err_tmp:
	unlinkat(dirfd, tmp, 0);
	return rc;
}

/* SLUICE_FAULT_CKPT_ENOSPC_AFTER: *limit = N, or UINT64_MAX when unset.
 * -EINVAL with a message when it is not a byte count. */
static int fault_limit(uint64_t *limit, char *err, size_t errlen)
{
	const char *v = getenv(FAULT_ENV);
	*limit = UINT64_MAX;
	if (v == NULL || v[0] == '\0')
		return 0;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0) {
		seterr(err, errlen,
		       FAULT_ENV "=%s is not a byte count: set it to a whole number, or unset it",
		       v);
		return -EINVAL;
	}
	*limit = x;
	return 0;
}

/* Bytes of every checkpoint file written by this process (the writers'
 * and sl_ckpt_write_sync's), counted only under the fault's limit. */
static _Atomic uint64_t fault_used;

/* Whether `bytes` more still fit under `limit`; counts them when they do. */
static bool fault_room(uint64_t limit, uint64_t bytes)
{
	if (limit == UINT64_MAX)
		return true;
	uint64_t used = atomic_load(&fault_used);
	do {
		if (used > limit || bytes > limit - used)
			return false;
	} while (!atomic_compare_exchange_weak(&fault_used, &used, used + bytes));
	return true;
}

int sl_ckpt_write_sync(int dirfd, const char *relpath, enum sl_ckpt_kind kind, uint64_t epoch,
		       const void *payload, uint64_t len, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int rc = make_names(relpath, tmp, dir);
	if (rc < 0) {
		seterr(err, errlen, "cannot write checkpoint file %s: %s", relpath,
		       rc == -EINVAL ? "not a file name under the checkpoint directory"
				     : strerror(-rc));
		return rc;
	}
	if (len > MAX_FILE - HDR) {
		seterr(err, errlen,
		       "cannot write checkpoint file %s: %llu bytes of payload, more than the "
		       "1 GiB a checkpoint file may hold",
		       relpath, (unsigned long long)len);
		return -EFBIG;
	}
	uint64_t limit;
	rc = fault_limit(&limit, err, errlen);
	if (rc < 0)
		return rc;
	if (!fault_room(limit, HDR + len)) {
		seterr(err, errlen,
		       "cannot write checkpoint file %s: %s (simulated: " FAULT_ENV "=%llu)",
		       relpath, strerror(ENOSPC), (unsigned long long)limit);
		return -ENOSPC;
	}
	uint8_t hdr[HDR];
	sl_ckpt_header_encode(hdr, kind, epoch, payload, len);
	rc = write_file(dirfd, relpath, tmp, dir, hdr, payload, len);
	if (rc < 0)
		seterr(err, errlen, "cannot write checkpoint file %s: %s", relpath, strerror(-rc));
	return rc;
}

/* --- the asynchronous writer ------------------------------------------------ */

enum step { ST_WRITE, ST_FSYNC, ST_CLOSE, ST_RENAME, ST_DIRSYNC, ST_UNLINK };
#define CHAIN_LEN 5
#define ALL_STEPS ((1u << CHAIN_LEN) - 1)

/* One chain in flight (or free: relpath == NULL). Owned by the writer. */
struct slot {
	char *relpath;	    /* malloc'ed */
	char *tmp;	    /* malloc'ed; NULL for an unlink */
	void *payload;	    /* the caller's, freed when the chain is finished */
	uint64_t len, group;
	uint64_t written;   /* bytes the write completion reported */
	struct iovec iov[2];
	uint8_t hdr[HDR];
	int fd;		    /* the temporary while open, else -1 */
	int err;	    /* the first real error of the chain (never -ECANCELED) */
	int32_t dir;	    /* index in the directory cache; -1: none held */
	uint32_t next_free; /* free list link */
	uint8_t outstanding; /* CQEs still to come */
	uint8_t done;	     /* steps that succeeded, bit per enum step */
	bool is_unlink;
};

/* An open directory, to fsync after a rename into it. */
struct dir_fd {
	char *rel; /* NULL: unused entry */
	int fd;
	uint32_t refs;	 /* chains in flight that will fsync it */
	uint64_t used;	 /* clock of the last use, for eviction */
};

struct group_count {
	uint64_t group;
	uint32_t n;
};

struct sl_ckpt_writer {
	int root; /* dup of the caller's directory fd */
	bool sync;
	bool broken; /* io_uring itself failed: stop waiting on it */
	struct io_uring ring;
	unsigned depth, inflight;
	struct slot *slots; /* [depth] */
	uint32_t free_head; /* UINT32_MAX: none */
	struct dir_fd *dirs; /* [ndirs]: at most depth in use, so one is always evictable */
	uint32_t ndirs;
	uint64_t clock;
	struct group_count *groups; /* [depth]: only groups with files in flight */
	uint32_t ngroups;
	uint64_t fault_limit; /* SLUICE_FAULT_CKPT_ENOSPC_AFTER at create, or UINT64_MAX */
	int err;
	char errmsg[PATH_MAX + 256];
};

/* Records the writer's first failure. */
static void fail(struct sl_ckpt_writer *w, int rc, const char *verb, const char *relpath,
		 const char *why)
{
	if (w->err != 0)
		return;
	w->err = rc;
	snprintf(w->errmsg, sizeof(w->errmsg), "cannot %s checkpoint file %s: %s", verb, relpath,
		 why ? why : strerror(-rc));
}

static bool op_supported(struct io_uring *ring)
{
	struct io_uring_probe *p = io_uring_get_probe_ring(ring);
	if (p == NULL)
		return false;
	static const int ops[] = {IORING_OP_WRITEV, IORING_OP_FSYNC, IORING_OP_CLOSE,
				  IORING_OP_RENAMEAT, IORING_OP_UNLINKAT};
	bool ok = true;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		ok = ok && io_uring_opcode_supported(p, ops[i]);
	io_uring_free_probe(p);
	return ok;
}

struct sl_ckpt_writer *sl_ckpt_writer_create(int root, unsigned depth, char *err, size_t errlen)
{
	if (depth == 0)
		depth = 1;
	if (depth > DEPTH_MAX)
		depth = DEPTH_MAX;
	int e;
	struct sl_ckpt_writer *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		seterr(err, errlen, "cannot start the checkpoint writer: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (fault_limit(&w->fault_limit, err, errlen) < 0) {
		e = EINVAL;
		goto err_w;
	}
	w->root = fcntl(root, F_DUPFD_CLOEXEC, 0);
	if (w->root < 0) {
		e = errno;
		seterr(err, errlen,
		       "cannot start the checkpoint writer: the checkpoint directory (fd %d): %s",
		       root, strerror(e));
		goto err_w;
	}
	w->depth = depth;
	w->ndirs = depth + DIRS_SPARE;
	w->slots = calloc(depth, sizeof(*w->slots));
	w->dirs = calloc(w->ndirs, sizeof(*w->dirs));
	w->groups = calloc(depth, sizeof(*w->groups));
	if (w->slots == NULL || w->dirs == NULL || w->groups == NULL) {
		e = ENOMEM;
		seterr(err, errlen, "cannot start the checkpoint writer: out of memory");
		goto err_mem;
	}
	for (uint32_t i = 0; i < depth; i++) {
		w->slots[i].fd = -1;
		w->slots[i].next_free = i + 1 < depth ? i + 1 : UINT32_MAX;
	}
	w->free_head = 0;
	for (uint32_t i = 0; i < w->ndirs; i++)
		w->dirs[i].fd = -1;
	const char *nu = getenv(NO_URING_ENV);
	w->sync = nu != NULL && nu[0] != '\0' && strcmp(nu, "0") != 0;
	/* every chain takes CHAIN_LEN SQEs and posts as many CQEs; the CQ ring
	 * is twice the SQ ring, so depth chains never overflow it */
	if (!w->sync && io_uring_queue_init(depth * CHAIN_LEN, &w->ring, 0) == 0) {
		if (!op_supported(&w->ring)) {
			io_uring_queue_exit(&w->ring);
			w->sync = true;
		}
	} else {
		w->sync = true;
	}
	return w;

err_mem:
	free(w->slots);
	free(w->dirs);
	free(w->groups);
	close(w->root);
err_w:
	free(w);
	errno = e;
	return NULL;
}

bool sl_ckpt_writer_sync(const struct sl_ckpt_writer *w)
{
	return w->sync;
}

int sl_ckpt_writer_error(const struct sl_ckpt_writer *w, char *err, size_t errlen)
{
	if (w->err != 0)
		seterr(err, errlen, "%s", w->errmsg);
	return w->err;
}

uint32_t sl_ckpt_writer_pending(const struct sl_ckpt_writer *w, uint64_t group)
{
	for (uint32_t i = 0; i < w->ngroups; i++)
		if (w->groups[i].group == group)
			return w->groups[i].n;
	return 0;
}

static void group_add(struct sl_ckpt_writer *w, uint64_t group)
{
	for (uint32_t i = 0; i < w->ngroups; i++)
		if (w->groups[i].group == group) {
			w->groups[i].n++;
			return;
		}
	/* room: a group is listed only while one of at most depth chains is in it */
	w->groups[w->ngroups].group = group;
	w->groups[w->ngroups].n = 1;
	w->ngroups++;
}

static void group_done(struct sl_ckpt_writer *w, uint64_t group)
{
	for (uint32_t i = 0; i < w->ngroups; i++)
		if (w->groups[i].group == group) {
			if (--w->groups[i].n == 0)
				w->groups[i] = w->groups[--w->ngroups];
			return;
		}
}

/* The cache index of an open fd of directory `dir` (relative to root), or
 * -errno. Takes a reference, dropped by dir_put. */
static int dir_get(struct sl_ckpt_writer *w, const char *dir)
{
	int64_t victim = -1;
	for (uint32_t i = 0; i < w->ndirs; i++) {
		struct dir_fd *d = &w->dirs[i];
		if (d->rel != NULL && strcmp(d->rel, dir) == 0) {
			d->refs++;
			d->used = ++w->clock;
			return (int)i;
		}
		/* an empty entry first, else the least recently used idle one */
		if (d->refs == 0 &&
		    (victim < 0 || (w->dirs[victim].rel != NULL &&
				    (d->rel == NULL || d->used < w->dirs[victim].used))))
			victim = i;
	}
	/* victim >= 0: at most depth entries are referenced, and there are
	 * depth + DIRS_SPARE */
	char *rel = strdup(dir);
	if (rel == NULL)
		return -ENOMEM;
	int fd = openat(w->root, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(rel);
		return -e;
	}
	struct dir_fd *d = &w->dirs[victim];
	if (d->rel != NULL) {
		close(d->fd);
		free(d->rel);
	}
	d->rel = rel;
	d->fd = fd;
	d->refs = 1;
	d->used = ++w->clock;
	return (int)victim;
}

/* Frees the slot after its last CQE (or a failure before submission). */
static void slot_release(struct sl_ckpt_writer *w, struct slot *s)
{
	if (s->dir >= 0)
		w->dirs[s->dir].refs--;
	s->dir = -1;
	free(s->relpath);
	free(s->tmp);
	s->relpath = NULL;
	s->tmp = NULL;
	s->payload = NULL;
	uint32_t idx = (uint32_t)(s - w->slots);
	s->next_free = w->free_head;
	w->free_head = idx;
	w->inflight--;
}

/* The steps a chain did not complete, done synchronously: in practice the
 * rest of a short write and everything after it. 0 or -errno. */
static int complete_sync(struct sl_ckpt_writer *w, struct slot *s)
{
	uint64_t total = HDR + s->len;
	bool wrote = false;
	if (s->written < total) {
		if (s->fd < 0)
			return -EIO; /* closed with the file short: cannot happen with links */
		int rc = write_rest(s->fd, s->hdr, s->payload, s->len, s->written);
		if (rc < 0)
			return rc;
		wrote = true;
	}
	if (s->fd >= 0 && (wrote || !(s->done & 1u << ST_FSYNC)) && fsync(s->fd) < 0)
		return -errno;
	if (s->fd >= 0) {
		int fd = s->fd;
		s->fd = -1;
		if (close(fd) < 0)
			return -errno;
	}
	if (!(s->done & 1u << ST_RENAME)) {
		if (renameat(w->root, s->tmp, w->root, s->relpath) < 0)
			return -errno;
		s->done |= 1u << ST_RENAME;
	}
	return fsync_dirfd(w->dirs[s->dir].fd);
}

static void finish(struct sl_ckpt_writer *w, struct slot *s)
{
	if (s->is_unlink) {
		if (s->err != 0)
			fail(w, s->err, "remove", s->relpath, NULL);
		slot_release(w, s);
		return;
	}
	if (s->err == 0 && (s->done != ALL_STEPS || s->written != HDR + s->len))
		s->err = complete_sync(w, s);
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	if (s->err != 0) {
		if (!(s->done & 1u << ST_RENAME))
			unlinkat(w->root, s->tmp, 0);
		fail(w, s->err, "write", s->relpath, NULL);
	}
	group_done(w, s->group);
	free(s->payload);
	slot_release(w, s);
}

static void on_cqe(struct sl_ckpt_writer *w, uint64_t ud, int res)
{
	struct slot *s = &w->slots[ud >> 3];
	enum step st = (enum step)(ud & 7);
	switch (st) {
	case ST_WRITE:
		if (res >= 0) {
			s->written = (uint64_t)res;
			if (s->written == HDR + s->len)
				s->done |= 1u << st;
			res = 0; /* short: finished synchronously, not an error */
		}
		break;
	case ST_CLOSE:
		if (res != -ECANCELED)
			s->fd = -1; /* closed, even when close reports an error */
		break;
	case ST_DIRSYNC:
		if (res == -EINVAL)
			res = 0; /* see fsync_dirfd */
		break;
	case ST_UNLINK:
		if (res == -ENOENT)
			res = 0;
		break;
	default:
		break;
	}
	if (res == 0)
		s->done |= st == ST_WRITE ? 0 : 1u << st;
	else if (res != -ECANCELED && s->err == 0)
		s->err = res;
	if (--s->outstanding == 0)
		finish(w, s);
}

/* io_uring itself failed (not a file): record it; nothing more will be
 * waited for. Chains still in flight keep their memory (leaked: freeing it
 * under the kernel would be worse). */
static void ring_broken(struct sl_ckpt_writer *w, int rc)
{
	w->broken = true;
	if (w->err == 0) {
		w->err = rc;
		snprintf(w->errmsg, sizeof(w->errmsg),
			 "cannot write checkpoint files: io_uring failed: %s", strerror(-rc));
	}
}

/* Waits for one CQE and handles it. */
static void wait_one(struct sl_ckpt_writer *w)
{
	struct io_uring_cqe *cqe;
	int rc;
	do
		rc = io_uring_wait_cqe(&w->ring, &cqe);
	while (rc == -EINTR);
	if (rc < 0) {
		ring_broken(w, rc);
		return;
	}
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	int res = cqe->res;
	io_uring_cqe_seen(&w->ring, cqe);
	on_cqe(w, ud, res);
}

static void reap(struct sl_ckpt_writer *w)
{
	struct io_uring_cqe *cqe;
	while (!w->sync && !w->broken && io_uring_peek_cqe(&w->ring, &cqe) == 0) {
		uint64_t ud = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&w->ring, cqe);
		on_cqe(w, ud, res);
	}
}

/* Submits everything queued, waiting for completions when the kernel asks
 * for room. */
static void submit(struct sl_ckpt_writer *w)
{
	while (!w->broken && io_uring_sq_ready(&w->ring) > 0) {
		int rc = io_uring_submit(&w->ring);
		if (rc >= 0 || rc == -EINTR)
			continue;
		if ((rc == -EAGAIN || rc == -EBUSY) && w->inflight > 0)
			wait_one(w);
		else
			ring_broken(w, rc);
	}
}

/* Waits until nothing is in flight on relpath: operations on one path stay
 * in order (two chains on one temporary would clobber each other). */
static void wait_path(struct sl_ckpt_writer *w, const char *relpath)
{
	if (w->sync)
		return;
	for (uint32_t i = 0; i < w->depth && !w->broken; i++)
		while (!w->broken && w->slots[i].relpath != NULL &&
		       strcmp(w->slots[i].relpath, relpath) == 0)
			wait_one(w);
}

/* A free slot, waiting for one when depth chains are in flight; NULL when
 * the ring broke meanwhile. */
static struct slot *slot_take(struct sl_ckpt_writer *w)
{
	while (!w->broken && w->free_head == UINT32_MAX)
		wait_one(w);
	if (w->broken)
		return NULL;
	struct slot *s = &w->slots[w->free_head];
	w->free_head = s->next_free;
	w->inflight++;
	s->fd = -1;
	s->err = 0;
	s->done = 0;
	s->written = 0;
	s->is_unlink = false;
	s->payload = NULL;
	s->dir = -1;
	return s;
}

int sl_ckpt_writer_put(struct sl_ckpt_writer *w, const char *relpath, enum sl_ckpt_kind kind,
		       uint64_t epoch, void *payload, uint64_t len, uint64_t group)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int rc;
	if (w->err != 0)
		goto out_free;
	rc = make_names(relpath, tmp, dir);
	if (rc < 0) {
		fail(w, rc, "write", relpath,
		     rc == -EINVAL ? "not a file name under the checkpoint directory" : NULL);
		goto out_free;
	}
	if (len > MAX_FILE - HDR) {
		char why[128];
		snprintf(why, sizeof(why),
			 "%llu bytes of payload, more than the 1 GiB a checkpoint file may hold",
			 (unsigned long long)len);
		fail(w, -EFBIG, "write", relpath, why);
		goto out_free;
	}
	if (!fault_room(w->fault_limit, HDR + len)) {
		char why[128];
		snprintf(why, sizeof(why), "%s (simulated: " FAULT_ENV "=%llu)", strerror(ENOSPC),
			 (unsigned long long)w->fault_limit);
		fail(w, -ENOSPC, "write", relpath, why);
		goto out_free;
	}
	if (w->sync) {
		uint8_t hdr[HDR];
		sl_ckpt_header_encode(hdr, kind, epoch, payload, len);
		rc = write_file(w->root, relpath, tmp, dir, hdr, payload, len);
		if (rc < 0)
			fail(w, rc, "write", relpath, NULL);
		goto out_free;
	}

	wait_path(w, relpath);
	struct slot *s = slot_take(w);
	/* a chain that failed while we waited stops this one too */
	if (w->err != 0) {
		if (s != NULL)
			slot_release(w, s);
		goto out_free;
	}
	s->relpath = strdup(relpath);
	s->tmp = strdup(tmp);
	if (s->relpath == NULL || s->tmp == NULL) {
		fail(w, -ENOMEM, "write", relpath, NULL);
		goto err_slot;
	}
	rc = dir_get(w, dir);
	if (rc < 0) {
		fail(w, rc, "write", relpath, NULL);
		goto err_slot;
	}
	s->dir = rc;
	s->fd = openat(w->root, tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	if (s->fd < 0) {
		fail(w, -errno, "write", relpath, NULL);
		goto err_slot;
	}
	s->payload = payload;
	s->len = len;
	s->group = group;
	sl_ckpt_header_encode(s->hdr, kind, epoch, payload, len);
	s->iov[0].iov_base = s->hdr;
	s->iov[0].iov_len = HDR;
	s->iov[1].iov_base = payload;
	s->iov[1].iov_len = (size_t)len;

	/* the SQ ring holds depth chains and is flushed after every put */
	if (io_uring_sq_space_left(&w->ring) < CHAIN_LEN)
		submit(w);
	if (w->broken || io_uring_sq_space_left(&w->ring) < CHAIN_LEN) {
		fail(w, -EBUSY, "write", relpath, "io_uring has no room for it");
		close(s->fd);
		s->fd = -1;
		unlinkat(w->root, tmp, 0);
		s->payload = NULL;
		goto err_slot;
	}
	uint64_t ud = (uint64_t)(s - w->slots) << 3;
	struct io_uring_sqe *q[CHAIN_LEN];
	for (int i = 0; i < CHAIN_LEN; i++)
		q[i] = io_uring_get_sqe(&w->ring);
	io_uring_prep_writev(q[0], s->fd, s->iov, len > 0 ? 2 : 1, 0);
	io_uring_prep_fsync(q[1], s->fd, 0);
	io_uring_prep_close(q[2], s->fd);
	io_uring_prep_renameat(q[3], w->root, s->tmp, w->root, s->relpath, 0);
	io_uring_prep_fsync(q[4], w->dirs[s->dir].fd, 0);
	for (int i = 0; i < CHAIN_LEN; i++) {
		io_uring_sqe_set_data64(q[i], ud | (uint64_t)i);
		if (i + 1 < CHAIN_LEN)
			io_uring_sqe_set_flags(q[i], IOSQE_IO_LINK);
	}
	s->outstanding = CHAIN_LEN;
	group_add(w, group);
	submit(w);
	return 0;

err_slot:
	slot_release(w, s);
out_free:
	free(payload);
	return w->err;
}

int sl_ckpt_writer_unlink(struct sl_ckpt_writer *w, const char *relpath)
{
	if (w->err != 0)
		return w->err;
	if (w->sync) {
		if (unlinkat(w->root, relpath, 0) < 0 && errno != ENOENT)
			fail(w, -errno, "remove", relpath, NULL);
		return w->err;
	}
	wait_path(w, relpath);
	struct slot *s = slot_take(w);
	if (w->err != 0) {
		if (s != NULL)
			slot_release(w, s);
		return w->err;
	}
	s->is_unlink = true;
	s->relpath = strdup(relpath);
	if (s->relpath == NULL) {
		fail(w, -ENOMEM, "remove", relpath, NULL);
		slot_release(w, s);
		return w->err;
	}
	if (io_uring_sq_space_left(&w->ring) < 1)
		submit(w);
	if (w->broken || io_uring_sq_space_left(&w->ring) < 1) {
		fail(w, -EBUSY, "remove", relpath, "io_uring has no room for it");
		slot_release(w, s);
		return w->err;
	}
	struct io_uring_sqe *q = io_uring_get_sqe(&w->ring);
	io_uring_prep_unlinkat(q, w->root, s->relpath, 0);
	io_uring_sqe_set_data64(q, (uint64_t)(s - w->slots) << 3 | ST_UNLINK);
	s->outstanding = 1;
	submit(w);
	return 0;
}

int sl_ckpt_writer_poll(struct sl_ckpt_writer *w)
{
	reap(w);
	return w->err;
}

int sl_ckpt_writer_drain(struct sl_ckpt_writer *w)
{
	while (!w->sync && !w->broken && w->inflight > 0)
		wait_one(w);
	return w->err;
}

void sl_ckpt_writer_destroy(struct sl_ckpt_writer *w)
{
	if (w == NULL)
		return;
	sl_ckpt_writer_drain(w);
	if (!w->sync)
		io_uring_queue_exit(&w->ring);
	for (uint32_t i = 0; i < w->ndirs; i++)
		if (w->dirs[i].rel != NULL) {
			close(w->dirs[i].fd);
			free(w->dirs[i].rel);
		}
	if (!w->broken) /* see ring_broken */
		free(w->slots);
	free(w->dirs);
	free(w->groups);
	close(w->root);
	free(w);
}
