/*
 * ctl_format.c — sluicectl's numbers, tables, sparklines and reply
 * skimmer (ctl_format.h says what each promises).
 */
#include "ctl_format.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* snprintf's answer as the length the text needs. */
static size_t needed(int n)
{
	return n < 0 ? 0 : (size_t)n;
}

/* v scaled by base until it shows in three significant digits: "9.5 K"
 * below 10 of a unit, "950 K" below 1000 (after rounding, so that 999.96 K
 * is "1.0 M", not "1000 K"). units[0] is the unscaled unit. */
static size_t human(double v, double base, const char *const *units, size_t nunits,
		    bool whole_base, char *buf, size_t len)
{
	if (!isfinite(v) || v < 0)
		return needed(snprintf(buf, len, "-"));
	size_t u = 0;
	while (v >= 999.5 && u + 1 < nunits) {
		v /= base;
		u++;
	}
	const char *sep = units[u][0] != '\0' ? " " : "";
	/* the unscaled unit of a count has no fraction to show */
	if (u == 0 && whole_base)
		return needed(snprintf(buf, len, "%.0f%s%s", v, sep, units[u]));
	if (v < 9.95 && !(u == 0 && v == floor(v)))
		return needed(snprintf(buf, len, "%.1f%s%s", v, sep, units[u]));
	return needed(snprintf(buf, len, "%.0f%s%s", v, sep, units[u]));
}

size_t sl_ctl_rate(double v, char *buf, size_t len)
{
	static const char *const units[] = {"", "K", "M", "G", "T"};
	return human(v, 1000.0, units, sizeof(units) / sizeof(units[0]), false, buf, len);
}

size_t sl_ctl_bytes(double v, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	return human(v, 1024.0, units, sizeof(units) / sizeof(units[0]), true, buf, len);
}

size_t sl_ctl_percent(double frac, char *buf, size_t len)
{
	if (isnan(frac) || frac < 0)
		return needed(snprintf(buf, len, "-"));
	if (frac > 100.0) /* a nonsense value must not overflow the text */
		frac = 100.0;
	return needed(snprintf(buf, len, "%.0f%%", frac * 100.0));
}

/* --- widths --- */

static bool is_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

size_t sl_ctl_width(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		w += !is_continuation(*p);
	return w;
}

size_t sl_ctl_width_n(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		w += !is_continuation((unsigned char)s[i]);
	return w;
}

size_t sl_ctl_clip(const char *s, size_t n, size_t cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, w = 0;
	while (i < n) {
		if (!is_continuation(p[i])) {
			if (w == cols)
				break;
			w++;
		}
		i++;
	}
	return i;
}

/* --- tables --- */

int sl_ctl_table(const struct sl_ctl_col *cols, size_t ncols, const char *const *cells,
		 size_t nrows, bool header, struct sl_strbuf *out)
{
	enum { MAX_COLS = 32 };
	size_t width[MAX_COLS];
	if (ncols > MAX_COLS)
		return -EINVAL;
	for (size_t c = 0; c < ncols; c++) {
		width[c] = cols[c].min_width;
		if (header && sl_ctl_width(cols[c].title) > width[c])
			width[c] = sl_ctl_width(cols[c].title);
		for (size_t r = 0; r < nrows; r++) {
			const char *cell = cells[r * ncols + c];
			size_t w = cell != NULL ? sl_ctl_width(cell) : 0;
			if (w > width[c])
				width[c] = w;
		}
	}
	int rc = 0;
	for (size_t r = header ? 0 : 1; r <= nrows && rc == 0; r++) {
		size_t line_start = out->len;
		for (size_t c = 0; c < ncols && rc == 0; c++) {
			const char *cell = r == 0 ? cols[c].title : cells[(r - 1) * ncols + c];
			if (cell == NULL)
				cell = "";
			size_t pad = width[c] - sl_ctl_width(cell);
			if (c > 0)
				rc = sl_strbuf_puts(out, "  ");
			if (rc == 0 && cols[c].right)
				rc = sl_strbuf_fill(out, ' ', pad);
			if (rc == 0)
				rc = sl_strbuf_puts(out, cell);
			if (rc == 0 && !cols[c].right && c + 1 < ncols)
				rc = sl_strbuf_fill(out, ' ', pad);
		}
		/* empty cells at the end of a row leave spaces behind */
		while (rc == 0 && out->len > line_start && out->ptr[out->len - 1] == ' ')
			out->ptr[--out->len] = '\0';
		if (rc == 0)
			rc = sl_strbuf_putc(out, '\n');
	}
	return rc;
}

/* --- history and sparklines --- */

void sl_ctl_history_push(struct sl_ctl_history *h, double v)
{
	h->v[h->next] = v;
	h->next = (h->next + 1) % SL_CTL_HISTORY;
	if (h->n < SL_CTL_HISTORY)
		h->n++;
}

size_t sl_ctl_history_get(const struct sl_ctl_history *h, double *out)
{
	unsigned first = (h->next + SL_CTL_HISTORY - h->n) % SL_CTL_HISTORY;
	for (unsigned i = 0; i < h->n; i++)
		out[i] = h->v[(first + i) % SL_CTL_HISTORY];
	return h->n;
}

size_t sl_ctl_sparkline(const double *v, size_t n, char *buf, size_t len)
{
	static const char *const blocks[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	double max = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]) && v[i] > max)
			max = v[i];
	size_t need = 0, used = 0;
	for (size_t i = 0; i < n; i++) {
		const char *ch;
		if (isnan(v[i]) || v[i] < 0) {
			ch = " ";
		} else {
			/* +inf is the largest there is; all zeros show as the floor */
			double x = max > 0 ? (isfinite(v[i]) ? v[i] / max : 1.0) : 0.0;
			int level = (int)(x * 7.0 + 0.5);
			ch = blocks[level < 0 ? 0 : level > 7 ? 7 : level];
		}
		size_t cl = strlen(ch);
		if (len > 0 && need == used && used + cl < len) {
			memcpy(buf + used, ch, cl);
			used += cl;
		}
		need += cl;
	}
	if (len > 0)
		buf[used] = '\0';
	return need;
}

/* --- the skimmer --- */

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at a '"': past the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Past one value starting at p (no leading whitespace), or NULL. Brackets
 * are counted, not matched by kind: the parser checks a piece later. */
static const char *skip_value(const char *p, const char *end)
{
	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p == '{' || *p == '[') {
		size_t depth = 0;
		while (p < end) {
			char c = *p;
			if (c == '"') {
				p = skip_string(p, end);
				if (p == NULL)
					return NULL;
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0)
				return p + 1;
			p++;
		}
		return NULL;
	}
	const char *start = p;
	while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
	       *p != '\n' && *p != '\r' && *p != '"' && *p != '{' && *p != '[')
		p++;
	return p > start ? p : NULL;
}

int sl_ctl_skim_get(const char *text, size_t len, const char *key, const char **val,
		    size_t *vlen)
{
	const char *end = text + len;
	const char *p = skip_ws(text, end);
	if (p >= end || *p != '{')
		return -EINVAL;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return -ENOENT;
	size_t klen = strlen(key);
	for (;;) {
		if (p >= end || *p != '"')
			return -EINVAL;
		const char *name = p + 1;
		p = skip_string(p, end);
		if (p == NULL)
			return -EINVAL;
		size_t nlen = (size_t)(p - 1 - name);
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			return -EINVAL;
		p = skip_ws(p + 1, end);
		const char *v = p;
		p = skip_value(p, end);
		if (p == NULL)
			return -EINVAL;
		if (nlen == klen && memcmp(name, key, klen) == 0) {
			*val = v;
			*vlen = (size_t)(p - v);
			return 0;
		}
		p = skip_ws(p, end);
		if (p < end && *p == '}')
			return -ENOENT;
		if (p >= end || *p != ',')
			return -EINVAL;
		p = skip_ws(p + 1, end);
	}
}

int sl_ctl_skim_array(struct sl_ctl_skim *it, const char *text, size_t len)
{
	const char *end = text + len;
	const char *p = skip_ws(text, end);
	if (p >= end || *p != '[')
		return -EINVAL;
	*it = (struct sl_ctl_skim){.p = p + 1, .end = end, .first = true};
	return 0;
}

int sl_ctl_skim_next(struct sl_ctl_skim *it, const char **val, size_t *vlen)
{
	if (it->done)
		return 0;
	const char *p = skip_ws(it->p, it->end);
	if (p < it->end && *p == ']') {
		it->done = true;
		it->p = p + 1;
		return 0;
	}
	if (!it->first) {
		if (p >= it->end || *p != ',')
			return -EINVAL;
		p = skip_ws(p + 1, it->end);
	}
	const char *v = p;
	p = skip_value(p, it->end);
	if (p == NULL)
		return -EINVAL;
	it->first = false;
	it->p = p;
	*val = v;
	*vlen = (size_t)(p - v);
	return 1;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
	if (end - p < 4)
		return -EINVAL;
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static int put_utf8(struct sl_strbuf *out, unsigned cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return sl_strbuf_append(out, b, n);
}

int sl_ctl_json_string(const char *val, size_t vlen, struct sl_strbuf *out)
{
	const char *p = val, *end = val + vlen;
	if (vlen < 2 || *p != '"' || end[-1] != '"')
		return -EINVAL;
	p++;
	end--;
	int rc = 0;
	while (p < end && rc == 0) {
		/* copy a run of plain bytes at once */
		const char *run = p;
		while (p < end && *p != '\\' && *p != '"' && (unsigned char)*p >= 0x20)
			p++;
		if (p > run)
			rc = sl_strbuf_append(out, run, (size_t)(p - run));
		if (rc != 0 || p == end)
			break;
		if (*p != '\\' || end - p < 2)
			return -EINVAL; /* a raw control character or quote, a lone '\' */
		char e = p[1];
		p += 2;
		switch (e) {
		case '"': rc = sl_strbuf_putc(out, '"'); break;
		case '\\': rc = sl_strbuf_putc(out, '\\'); break;
		case '/': rc = sl_strbuf_putc(out, '/'); break;
		case 'b': rc = sl_strbuf_putc(out, '\b'); break;
		case 'f': rc = sl_strbuf_putc(out, '\f'); break;
		case 'n': rc = sl_strbuf_putc(out, '\n'); break;
		case 'r': rc = sl_strbuf_putc(out, '\r'); break;
		case 't': rc = sl_strbuf_putc(out, '\t'); break;
		case 'u': {
			unsigned cp, lo;
			if (hex4(p, end, &cp) < 0)
				return -EINVAL;
			p += 4;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return -EINVAL;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    hex4(p + 2, end, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
					return -EINVAL;
				p += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			rc = put_utf8(out, cp);
			break;
		}
		default:
			return -EINVAL;
		}
	}
	return rc;
}
