/*
 * regex.h — regular expressions and the split kernel of the stateless
 * pipeline: Hyperscan pattern sets for RLIKE, split patterns (literal
 * delimiters by memchr/memmem, one-class patterns by a byte table,
 * everything else by Hyperscan), and the
 * evaluation-context services (scratch arena, Hyperscan scratch) that
 * expr.c, regex.c and pipeline.c share.
 *
 * Semantics (Spark SQL, which runs java.util.regex):
 *  - RLIKE is Java's Matcher.find(): true when the pattern matches anywhere.
 *    Patterns are compiled with HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY and
 *    HS_FLAG_UTF8, so `.` and classes see characters, not bytes; a row that
 *    is not valid UTF-8 is scanned by a byte-mode twin of the database
 *    (Hyperscan's UTF-8 mode is undefined on invalid input).
 *  - split(str, regex, limit) is UTF8String.split -> String.split(regex,
 *    limit) with limit <= 0 meaning "no limit" (trailing empty strings kept).
 *    A positive-width match at offset 0 gives a leading empty string; the
 *    empty pattern splits into characters (code points), without a trailing
 *    empty string, the last element holding the rest when limited (Spark
 *    3.4+ / SPARK-49968).
 *  - A pattern with no regex metacharacter (.$|()[]{}^?*+\), where `\` may
 *    only quote a non-alphanumeric character, or a \Q...\E quote, is a
 *    literal delimiter: memchr for one byte, memmem for more. Pieces point
 *    into the input, never copied.
 *  - A pattern that is one character class of ASCII characters, alone or
 *    with '+' (`\s+`, `[,;]`, `\t`, `\d+`, `[ \t]+`), splits through a byte
 *    table: the longest run for '+', which Java's greedy '+' also takes.
 *  - Other split patterns run through Hyperscan with HS_FLAG_SOM_LEFTMOST
 *    and are matched POSIX-style, leftmost then longest, non-overlapping.
 *    Java is leftmost-first with greedy quantifiers; the two agree on the
 *    usual delimiters (`\s+`, `[,;]+`, `a|b`, `a|bc`) and differ only when an
 *    alternation offers a shorter branch first (`x|xyx` on "xyx": Java splits
 *    at the first "x", sluice at "xyx") or a quantifier is lazy (`a+?`).
 *    After a match whose reported start hides a later one, the rest of the
 *    row is scanned again; that rescan sees its first byte as the start of
 *    input (matters only for `^`/`\b`).
 *  - Hyperscan cannot give the start of a match for a pattern that can
 *    match the empty string, so such split patterns (`a*`, `\s*`) are
 *    refused at prepare time with a message that says so; as are patterns
 *    Hyperscan does not support (back-references, look-around).
 *
 * Ownership: sets and splitters are built before the cores start and are
 * read-only afterwards; every core scans them with its own sl_eval_ctx.
 * A set is reference counted because several RLIKE nodes share it.
 */
#ifndef SL_REGEX_H
#define SL_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

struct sl_eval_ctx;
struct hs_database;
struct hs_scratch;

/* ---- evaluation-context services (implemented in expr.c) ---- */

/* The thread's Hyperscan scratch, grown (hs_alloc_scratch) the first time
 * this database is seen by this context. NULL when out of memory. */
struct hs_scratch *sl_eval_ctx_scratch(struct sl_eval_ctx *ctx,
				       const struct hs_database *db);

/* Resize an allocation of this reset period from old_n to new_n bytes:
 * in place when it is the newest allocation and the block has room,
 * otherwise by copying. NULL (and p untouched) when out of memory. */
void *sl_eval_ctx_grow(struct sl_eval_ctx *ctx, void *p, size_t old_n,
		       size_t new_n);

/* Forget cached RLIKE match masks (sl_pipeline_run does this for every
 * chunk; sl_eval_ctx_reset too). A caller that evaluates expressions
 * directly on a chunk whose memory it rewrites must call it in between. */
void sl_eval_ctx_new_chunk(struct sl_eval_ctx *ctx);

/* ---- UTF-8 helpers ---- */

/* Bytes of the character whose first byte is b, as Spark's
 * UTF8String.numBytesForFirstByte (an invalid first byte counts as 1). */
static inline uint32_t sl_utf8_len(uint8_t b)
{
	if (b < 0xC2)
		return 1;
	if (b < 0xE0)
		return 2;
	if (b < 0xF0)
		return 3;
	if (b < 0xF5)
		return 4;
	return 1;
}

bool sl_utf8_valid(const char *s, size_t len);

/* ---- RLIKE pattern sets ---- */

#define SL_REGEX_SET_MAX 64 /* patterns per set: one bit each in a mask */

struct sl_regex_set;

/* Compile n (1..SL_REGEX_SET_MAX) patterns into one database; pattern i
 * sets bit i of a row's mask. NULL with errno set on failure; on a pattern
 * Hyperscan refuses, errno = EINVAL, *bad = its index and msg holds
 * Hyperscan's message. The set starts with one reference. */
struct sl_regex_set *sl_regex_set_compile(const struct sl_str *patterns,
					  uint32_t n, uint32_t *bad,
					  char *msg, size_t msglen);
void sl_regex_set_ref(struct sl_regex_set *set);
void sl_regex_set_unref(struct sl_regex_set *set); /* NULL: no-op */

/* What an RLIKE node's `compiled` points to (sl_expr_prepare makes a set of
 * one pattern, sl_plan_prepare sets shared by the RLIKEs that test the same
 * input); freed by sl_expr_release. */
struct sl_rlike {
	struct sl_regex_set *set; /* one reference held */
	uint32_t bit;             /* this node's pattern in the set's mask */
};

/* The user's message for a pattern Hyperscan refused: "line L, column C:
 * cannot compile regular expression '<pattern>': <why>; sluice supports the
 * regular expressions Hyperscan does (no back-references or look-around)". */
void sl_regex_error(char *err, size_t errlen, uint32_t line, uint32_t column,
		    const struct sl_str *pattern, const char *why);

/* For each row of strs (STRING, nrows rows) that is not null, masks[row] =
 * the patterns that match somewhere in it. Null rows are left untouched.
 * 0 or -errno. */
int sl_regex_set_match(const struct sl_regex_set *set, struct sl_eval_ctx *ctx,
		       const struct sl_vec *strs, uint32_t nrows,
		       uint64_t *masks);

/* ---- split ---- */

struct sl_splitter;

/* A splitter for one pattern (its bytes, not NUL-terminated). NULL with
 * errno set on failure; errno = EINVAL when Hyperscan refuses the pattern,
 * with the reason in msg (without position). */
struct sl_splitter *sl_splitter_create(const char *pattern, uint32_t len,
				       char *msg, size_t msglen);
void sl_splitter_destroy(struct sl_splitter *sp); /* NULL: no-op */

/* The literal delimiter when the pattern is one (len 0: the empty pattern);
 * false for a regular expression. */
bool sl_splitter_literal(const struct sl_splitter *sp, const char **delim,
			 uint32_t *len);

/* The pieces of a whole string vector, row after row. */
struct sl_split_out {
	struct sl_str *words;  /* every piece of every row, in row order */
	uint32_t nwords;
	struct sl_span *spans; /* per row (when asked for): its pieces */
	uint32_t *parents;     /* per piece (when asked for): its row */
};

/*
 * Split every row of strs (STRING). A row is skipped (no pieces, span
 * {nwords, 0}) when strs or limits (INT, may be NULL) is null there, and
 * when strs is of type NULL. limit applies when limits is NULL. Pieces
 * point into the rows' bytes; the arrays come from ctx. 0 or -errno.
 */
int sl_split_chunk(const struct sl_splitter *sp, struct sl_eval_ctx *ctx,
		   const struct sl_vec *strs, uint32_t nrows,
		   const struct sl_vec *limits, int64_t limit,
		   bool want_spans, bool want_parents,
		   struct sl_split_out *out);

#endif
