/*
 * source_gen.h — the built-in text generator ("generator" connector): the
 * line producer behind `sluice demo` and the in-process benchmark, and the
 * same text written to a file so that other engines (DuckDB, awk) can be
 * measured on the very same bytes.
 *
 * The text is a pure function of the parameters: line k (0-based) holds
 * words_per_line words separated by single spaces, each drawn from a
 * vocabulary of `words` lowercase pseudo-words by a counter-based hash of
 * (seed, k, position). Word i of the vocabulary is a fixed function of i
 * alone (3 to 10 letters, all distinct), so two vocabularies of different
 * sizes agree on the words they share.
 */
#ifndef SL_SOURCE_GEN_H
#define SL_SOURCE_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "plan_types.h"

#define SL_GEN_MAX_WORDS (1u << 24)
#define SL_GEN_MAX_WORDS_PER_LINE 1000u
#define SL_GEN_WORD_MAX 10 /* letters in the longest word */

struct sl_gen_params {
	uint64_t words;           /* vocabulary size, 1..SL_GEN_MAX_WORDS (1000) */
	uint32_t words_per_line;  /* 1..SL_GEN_MAX_WORDS_PER_LINE (8) */
	uint64_t rows;            /* lines in all; 0 = unbounded unless bytes (0) */
	uint64_t bytes;           /* stop at the first line end at or past this many
				   * bytes, '\n' included; 0 = unused (0) */
	uint64_t seed;            /* (1) */
	uint64_t rows_per_second; /* 0 = as fast as possible (0) */
	bool pregenerate;         /* build the whole text in open() (false) */
};

/* The defaults above. */
void sl_gen_params_default(struct sl_gen_params *p);
/* Defaults, then the WITH options of a generator source (connector key
 * ignored); 0 or -EINVAL with "line L, column C: ..." in err. */
int sl_gen_params_parse(const struct sl_options *opts, struct sl_gen_params *p, char *err,
			size_t errlen);
/* Word i of the vocabulary into out (not NUL-terminated); returns its
 * length, 3..SL_GEN_WORD_MAX. */
uint32_t sl_gen_word(uint64_t i, char out[SL_GEN_WORD_MAX]);
/* The number of lines the parameters describe (rows, or the count that
 * reaches bytes); 0 when unbounded. */
uint64_t sl_gen_total_rows(const struct sl_gen_params *p);
/* Write the whole text, '\n' after every line, exactly as the generator
 * source produces it. 0, -EINVAL for an unbounded text, or -errno of the
 * failed write. */
int sl_gen_write_text(const struct sl_gen_params *p, FILE *out);

#endif
