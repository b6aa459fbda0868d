/*
 * sink_console.c — Spark's console sink: each epoch printed exactly as
 * ConsoleWrite prints it, i.e. three banner lines and then
 * println(Dataset.showString(numRows, truncate)):
 *
 *   -------------------------------------------
 *   Batch: 7
 *   -------------------------------------------
 *   +-----+-----+        separator: per column, width dashes
 *   | word|count|        header: column names, never truncated
 *   +-----+-----+
 *   |hello|    2|        the first num_rows rows
 *   +-----+-----+
 *   only showing top 20 rows    only when rows were left out ("row" for 1)
 *                               println's empty line
 *
 * Cell text: sl_format_cell, then Spark's escapeMetaCharacters (\n \r \t \f
 * \b \v \a become backslash escapes), then with truncate > 0 a cell longer
 * than truncate is cut to truncate - 3 characters and "..." (to truncate
 * characters when truncate < 4). A column is max(3, widest cell shown,
 * header) wide; cells are right-aligned when truncate > 0, left-aligned when
 * it is 0.
 *
 * Lengths follow Java's String: a character is a UTF-16 unit (a code point
 * above U+FFFF counts 2) and Utils.stringHalfWidth adds 1 for each character
 * in the East Asian full-width ranges below. A byte that is not part of
 * valid UTF-8 counts as one character and is printed as it is.
 *
 * All calls run on the control thread (sink.h); the sink reuses its buffers
 * from epoch to epoch and writes each epoch with one fwrite and a fflush.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "sink.h"

#define MIN_COL_WIDTH 3
/* Spark caps numRows at ByteArrayMethods.MAX_ROUNDED_ARRAY_LENGTH - 1 */
#define MAX_SHOWN_ROWS 2147483631u
#define BANNER "-------------------------------------------\n"

struct cell {
	size_t off, len; /* in sl_sink.text */
	uint32_t width;  /* half-widths */
};

/* Owned by the control thread. */
struct sl_sink {
	FILE *out; /* not owned */
	uint32_t num_rows, truncate;
	uint32_t ncols;
	struct cell *header;   /* ncols, text in header_text */
	struct sl_strbuf header_text;
	uint32_t *widths;      /* ncols */
	struct cell *cells;    /* this epoch's shown cells, row-major */
	size_t cells_cap;
	struct sl_strbuf text; /* this epoch's cell texts */
	struct sl_strbuf raw;  /* one cell before escaping */
	struct sl_strbuf esc;  /* one cell after escaping */
	struct sl_strbuf page; /* this epoch's whole output */
};

/* ---- Java string lengths over UTF-8 ---- */

/* The code point at p (n > 0 bytes left) and its byte length; an invalid
 * sequence yields one byte as U+FFFD. */
static size_t next_cp(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char c = p[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		goto invalid;
	}
	if (len > n)
		goto invalid;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			goto invalid;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto invalid;
	*cp = v;
	return len;
invalid:
	*cp = 0xfffd;
	return 1;
}

static uint32_t utf16_units(uint32_t cp)
{
	return cp >= 0x10000 ? 2 : 1;
}

/* Utils.fullWidthRegex: characters a terminal shows two columns wide. */
static bool full_width(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	       (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	       (cp >= 0xfe10 && cp <= 0xfe19) || (cp >= 0xfe30 && cp <= 0xfe6f) ||
	       (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6);
}

static uint32_t half_width(uint32_t cp)
{
	return utf16_units(cp) + (full_width(cp) ? 1 : 0);
}

static size_t string_units(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t units = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += next_cp(p + i, n - i, &cp);
		units += utf16_units(cp);
	}
	return units;
}

/* ---- cells ---- */

/* SchemaUtils.escapeMetaCharacters */
static int escape_meta(const char *s, size_t n, struct sl_strbuf *out)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *esc = NULL;
		switch (s[i]) {
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\f': esc = "\\f"; break;
		case '\b': esc = "\\b"; break;
		case '\v': esc = "\\v"; break;
		case '\a': esc = "\\a"; break;
		default: break;
		}
		rc = esc ? sl_strbuf_append(out, esc, 2) : sl_strbuf_putc(out, s[i]);
	}
	return rc;
}

/* Append s to out, cut as showString cuts it when truncate > 0; the cell's
 * position, length and half-width land in c. */
static int put_cell(const char *s, size_t n, uint32_t truncate, struct sl_strbuf *out,
		    struct cell *c)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t units = string_units(s, n);
	bool cut = truncate > 0 && units > truncate;
	size_t keep = !cut ? units : truncate < 4 ? truncate : truncate - 3;
	size_t used = 0;
	uint32_t width = 0;
	int rc = 0;

	c->off = out->len;
	for (size_t i = 0; rc == 0 && i < n && used < keep;) {
		uint32_t cp;
		size_t len = next_cp(p + i, n - i, &cp);
		if (used + utf16_units(cp) > keep) {
			/* Java's substring split a surrogate pair; printing the
			 * lone surrogate writes '?' */
			rc = sl_strbuf_putc(out, '?');
			used++;
			width++;
			break;
		}
		rc = sl_strbuf_append(out, s + i, len);
		used += utf16_units(cp);
		width += half_width(cp);
		i += len;
	}
	if (rc == 0 && cut && truncate >= 4) {
		rc = sl_strbuf_append(out, "...", 3);
		width += 3;
	}
	c->len = out->len - c->off;
	c->width = width;
	return rc;
}

/* ---- the sink ---- */

static int console_validate(const struct sl_sink_spec *spec, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < spec->options.n; i++) {
		const struct sl_option *o = &spec->options.v[i];
		/* the planner reads these two into spec->num_rows / truncate */
		if (strcmp(o->key, "num_rows") == 0 || strcmp(o->key, "truncate") == 0)
			continue;
		snprintf(err, errlen,
			 "line %u, column %u: unknown option '%s' for the console sink "
			 "(options: num_rows, truncate)",
			 o->line, o->column, o->key);
		return -EINVAL;
	}
	return 0;
}

static void console_close(struct sl_sink *s)
{
	if (s == NULL)
		return;
	free(s->header);
	free(s->widths);
	free(s->cells);
	sl_strbuf_free(&s->header_text);
	sl_strbuf_free(&s->text);
	sl_strbuf_free(&s->raw);
	sl_strbuf_free(&s->esc);
	sl_strbuf_free(&s->page);
	free(s);
}

static struct sl_sink *console_open(const struct sl_sink_spec *spec, const struct sl_schema *schema,
				    FILE *out, char *err, size_t errlen)
{
	struct sl_sink *s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto err_nomem;
	s->out = out ? out : stdout;
	s->num_rows = spec->num_rows > MAX_SHOWN_ROWS ? MAX_SHOWN_ROWS : spec->num_rows;
	s->truncate = spec->truncate;
	s->ncols = schema->ncols;
	sl_strbuf_init(&s->header_text);
	sl_strbuf_init(&s->text);
	sl_strbuf_init(&s->raw);
	sl_strbuf_init(&s->esc);
	sl_strbuf_init(&s->page);
	s->header = calloc(s->ncols ? s->ncols : 1, sizeof(*s->header));
	s->widths = calloc(s->ncols ? s->ncols : 1, sizeof(*s->widths));
	if (s->header == NULL || s->widths == NULL)
		goto err_sink;
	/* the header is escaped but never truncated */
	for (uint32_t i = 0; i < s->ncols; i++) {
		const char *name = schema->cols[i].name;
		sl_strbuf_reset(&s->esc);
		if (escape_meta(name, strlen(name), &s->esc) < 0 ||
		    put_cell(s->esc.ptr, s->esc.len, 0, &s->header_text, &s->header[i]) < 0)
			goto err_sink;
	}
	return s;

err_sink:
	console_close(s);
err_nomem:
	snprintf(err, errlen, "console sink: out of memory");
	return NULL;
}

static int put_row(struct sl_strbuf *page, const struct sl_strbuf *text, const struct cell *cells,
		   const uint32_t *widths, uint32_t ncols, bool right_align)
{
	int rc = sl_strbuf_putc(page, '|');
	for (uint32_t i = 0; rc == 0 && i < ncols; i++) {
		const struct cell *c = &cells[i];
		size_t pad = widths[i] - c->width;
		if (i > 0)
			rc = sl_strbuf_putc(page, '|');
		if (rc == 0 && right_align)
			rc = sl_strbuf_fill(page, ' ', pad);
		if (rc == 0)
			rc = sl_strbuf_append(page, text->ptr + c->off, c->len);
		if (rc == 0 && !right_align)
			rc = sl_strbuf_fill(page, ' ', pad);
	}
	return rc < 0 ? rc : sl_strbuf_append(page, "|\n", 2);
}

static int put_separator(struct sl_strbuf *page, const uint32_t *widths, uint32_t ncols)
{
	int rc = sl_strbuf_putc(page, '+');
	for (uint32_t i = 0; rc == 0 && i < ncols; i++) {
		if (i > 0)
			rc = sl_strbuf_putc(page, '+');
		if (rc == 0)
			rc = sl_strbuf_fill(page, '-', widths[i]);
	}
	return rc < 0 ? rc : sl_strbuf_append(page, "+\n", 2);
}

/* showString's text for the first num_rows rows, into s->page. */
static int render(struct sl_sink *s, uint64_t batch_id, const struct sl_batch *rows)
{
	uint32_t ncols = s->ncols;
	uint32_t shown = rows->nrows < s->num_rows ? rows->nrows : s->num_rows;
	size_t ncells = (size_t)shown * ncols;
	int rc;

	if (ncells > s->cells_cap) {
		struct cell *c = realloc(s->cells, ncells * sizeof(*c));
		if (c == NULL)
			return -ENOMEM;
		s->cells = c;
		s->cells_cap = ncells;
	}
	sl_strbuf_reset(&s->text);
	for (uint32_t i = 0; i < ncols; i++)
		s->widths[i] = s->header[i].width > MIN_COL_WIDTH ? s->header[i].width : MIN_COL_WIDTH;
	for (uint32_t r = 0; r < shown; r++) {
		for (uint32_t i = 0; i < ncols; i++) {
			struct cell *c = &s->cells[(size_t)r * ncols + i];
			sl_strbuf_reset(&s->raw);
			sl_strbuf_reset(&s->esc);
			if ((rc = sl_format_cell(&rows->cols[i], r, &s->raw)) < 0 ||
			    (rc = escape_meta(s->raw.ptr, s->raw.len, &s->esc)) < 0 ||
			    (rc = put_cell(s->esc.ptr, s->esc.len, s->truncate, &s->text, c)) < 0)
				return rc;
			if (c->width > s->widths[i])
				s->widths[i] = c->width;
		}
	}

	struct sl_strbuf *page = &s->page;
	bool right = s->truncate > 0;
	char line[64];
	snprintf(line, sizeof line, "Batch: %" PRIu64 "\n", batch_id);
	sl_strbuf_reset(page);
	if ((rc = sl_strbuf_puts(page, BANNER)) < 0 || (rc = sl_strbuf_puts(page, line)) < 0 ||
	    (rc = sl_strbuf_puts(page, BANNER)) < 0 ||
	    (rc = put_separator(page, s->widths, ncols)) < 0 ||
	    (rc = put_row(page, &s->header_text, s->header, s->widths, ncols, right)) < 0 ||
	    (rc = put_separator(page, s->widths, ncols)) < 0)
		return rc;
	for (uint32_t r = 0; r < shown; r++)
		if ((rc = put_row(page, &s->text, &s->cells[(size_t)r * ncols], s->widths, ncols,
				  right)) < 0)
			return rc;
	if ((rc = put_separator(page, s->widths, ncols)) < 0)
		return rc;
	if (rows->nrows > s->num_rows) {
		snprintf(line, sizeof line, "only showing top %" PRIu32 " %s\n", s->num_rows,
			 s->num_rows == 1 ? "row" : "rows");
		if ((rc = sl_strbuf_puts(page, line)) < 0)
			return rc;
	}
	return sl_strbuf_putc(page, '\n'); /* println after showString's own last newline */
}

static int console_write(struct sl_sink *s, uint64_t batch_id, const struct sl_batch *rows)
{
	if (rows->ncols != s->ncols)
		return -EINVAL;
	int rc = render(s, batch_id, rows);
	if (rc < 0)
		return rc;
	errno = 0;
	if (fwrite(s->page.ptr, 1, s->page.len, s->out) != s->page.len)
		return errno ? -errno : -EIO;
	/* the user watches this stream: each epoch appears whole, at once */
	if (fflush(s->out) != 0)
		return errno ? -errno : -EIO;
	return 0;
}

const struct sl_sink_ops sl_sink_console_ops = {
	.name = "console",
	.supports_append = true,
	.supports_update = true,
	.supports_complete = true,
	.validate = console_validate,
	.open = console_open,
	.write = console_write,
	.close = console_close,
};
