/*
 * ctl_format.h — what sluicectl shows and how it reads the daemon's
 * replies, apart from the socket, so that tests can check it: humanised
 * numbers, aligned tables, sparklines, and a skimmer that cuts a large
 * reply into the pieces the JSON codec parses.
 *
 * Widths are display columns, counted as UTF-8 code points (every
 * character sluicectl prints, the block characters included, is one
 * column wide; names are the user's, and a wide character in one may
 * shift a row by a column, which is all it costs).
 *
 * The fixed-buffer formatters return, like snprintf, the length the text
 * needs; the text is cut (and still NUL-terminated when len > 0) when that
 * is >= len. SL_CTL_NUM_MAX bytes always suffice.
 *
 * Why a skimmer: json.h's parser keeps the protocol's request limits (a
 * 1 MiB document, 65536 values), which a reply may pass (`progress --last
 * 100` of a query on many cores, `metrics` of many queries). The skimmer
 * finds the byte ranges of an object's members and of an array's elements
 * without building anything, and sluicectl parses each piece it needs
 * (one query, one progress record) on its own. It checks brackets and
 * string quoting only; the pieces are checked when they are parsed.
 */
#ifndef SL_CTL_FORMAT_H
#define SL_CTL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "format.h"

#define SL_CTL_NUM_MAX 32

/* A rate (rows per second) for people: "0", "2.5", "950", "1.0 K",
 * "1.8 M", "12 M", "3.4 G"; three significant digits at most, units of
 * 1000 (K M G T); "-" for a negative, infinite or NaN value (unknown). */
size_t sl_ctl_rate(double v, char *buf, size_t len);
/* A byte count: "512 B", "9.0 KiB", "97 MiB", "1.2 GiB" (units of 1024,
 * up to TiB); "-" as above. */
size_t sl_ctl_bytes(double v, char *buf, size_t len);
/* A fraction 0..1 as a whole percentage: 0.93 -> "93%", 1 -> "100%";
 * "-" for NaN or a negative value. */
size_t sl_ctl_percent(double frac, char *buf, size_t len);

/* Display columns of the NUL-terminated s. */
size_t sl_ctl_width(const char *s);
/* Display columns of s[0..n). */
size_t sl_ctl_width_n(const char *s, size_t n);
/* How many bytes of s[0..n) fit in cols display columns, never cutting a
 * UTF-8 sequence. */
size_t sl_ctl_clip(const char *s, size_t n, size_t cols);

/* One column of a table: its title, the narrowest it may be (it widens to
 * its widest cell), and whether cells are aligned right. */
struct sl_ctl_col {
	const char *title;
	unsigned min_width;
	bool right;
};

/* Appends a table: a title line (when header), then one line per row;
 * cells[r * ncols + c] is row r's cell in column c (NULL prints as ""),
 * columns are separated by two spaces, every line ends with '\n' and
 * none with a space. 0 or -ENOMEM (out may then hold part of it). */
int sl_ctl_table(const struct sl_ctl_col *cols, size_t ncols, const char *const *cells,
		 size_t nrows, bool header, struct sl_strbuf *out);

/* The last SL_CTL_HISTORY samples of a value (top's input rates, one a
 * refresh). Zero-initialised is empty. */
#define SL_CTL_HISTORY 60
struct sl_ctl_history {
	double v[SL_CTL_HISTORY];
	unsigned n;    /* samples held, up to SL_CTL_HISTORY */
	unsigned next; /* where the next one goes */
};
void sl_ctl_history_push(struct sl_ctl_history *h, double v);
/* The samples, oldest first, into out[SL_CTL_HISTORY]; returns how many. */
size_t sl_ctl_history_get(const struct sl_ctl_history *h, double *out);

/* A sparkline of v[0..n): one of ▁▂▃▄▅▆▇█ per sample (3 bytes each),
 * scaled so that the largest sample is █ and 0 is ▁; a negative or NaN
 * sample (unknown) is a space. Returns the bytes it needs (3 * n at most)
 * as snprintf does; a cut line ends at a whole character. */
size_t sl_ctl_sparkline(const double *v, size_t n, char *buf, size_t len);

/* The value of the first member named key (compared byte for byte with
 * the name as written between its quotes) of the JSON object in
 * text[0..len), surrounding whitespace allowed: 0 with *val and *vlen
 * (the value's own bytes), -ENOENT when there is none, -EINVAL when the
 * text is not an object the skimmer can follow. */
int sl_ctl_skim_get(const char *text, size_t len, const char *key, const char **val,
		    size_t *vlen);

/* Walks the elements of the JSON array in text[0..len):
 *   struct sl_ctl_skim it;
 *   if (sl_ctl_skim_array(&it, text, len) == 0)
 *           while ((rc = sl_ctl_skim_next(&it, &el, &ellen)) > 0) ...
 * sl_ctl_skim_array: 0, or -EINVAL when the text is not an array.
 * sl_ctl_skim_next: 1 with the next element, 0 at the end, -EINVAL when
 * the text cannot be followed. */
struct sl_ctl_skim {
	const char *p, *end;
	bool first;
	bool done;
};
int sl_ctl_skim_array(struct sl_ctl_skim *it, const char *text, size_t len);
int sl_ctl_skim_next(struct sl_ctl_skim *it, const char **val, size_t *vlen);

/* Appends the bytes of the JSON string val[0..vlen) (quotes included, as
 * the skimmer finds it) to out, escapes decoded (\uXXXX with surrogate
 * pairs to UTF-8), whatever its length: `metrics` text may pass the
 * parser's limit. 0, -EINVAL (not a string, a bad escape, a lone
 * surrogate, a raw control character) or -ENOMEM. */
int sl_ctl_json_string(const char *val, size_t vlen, struct sl_strbuf *out);

#endif
