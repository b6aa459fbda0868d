/*
 * parquet_read.c — a Parquet file: its footer, schema and row groups
 * (sl_pq_open), and the reader that decodes column chunks page by page into
 * chunk columns (sl_pq_reader_*). See parquet.h for the contract.
 *
 * File layout (Apache Parquet):
 *
 *   0        4 bytes  "PAR1"
 *   4        ...      column chunks: [dictionary page] data pages, each a
 *                     Thrift PageHeader then the page's bytes
 *   size-8-L L bytes  FileMetaData (Thrift compact)
 *   size-8   u32 LE   L
 *   size-4   4 bytes  "PAR1"
 *
 * Data page v1: [repetition levels][definition levels: u32 LE length, then
 * RLE hybrid][values], all compressed together. Data page v2: the levels
 * uncompressed (their lengths in the header), then the values, compressed
 * unless is_compressed = false. Only flat columns are read (no repetition
 * levels: lists and maps are refused), so a page's value count is its row
 * count, and a row is null where its definition level is below the column's
 * maximum.
 *
 * Decoding: a page is decoded whole into the cursor's value array (the
 * non-null values, already converted to the sluice type; dictionary pages
 * once per column chunk, their values converted once), then rows are copied
 * into the caller's columns with the nulls spread by the levels. Buffers
 * grow per page, never per value, and are kept across files.
 *
 * Bounds: every length and offset read from the file is checked against
 * the buffer or file it points into before use; a page's value count must
 * fit its row group; values run out -> a corrupt page error, never a read
 * past a buffer.
 */
#include "parquet.h"
#include "parquet_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Physical types */
enum { PT_BOOLEAN, PT_INT32, PT_INT64, PT_INT96, PT_FLOAT, PT_DOUBLE, PT_BYTE_ARRAY, PT_FLBA };
static const char *const ptype_names[] = {"BOOLEAN", "INT32", "INT64", "INT96",
					  "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};

/* Encodings */
enum {
	ENC_PLAIN = 0,
	ENC_PLAIN_DICTIONARY = 2,
	ENC_RLE = 3,
	ENC_BIT_PACKED = 4,
	ENC_DELTA_BINARY_PACKED = 5,
	ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
	ENC_DELTA_BYTE_ARRAY = 7,
	ENC_RLE_DICTIONARY = 8,
	ENC_BYTE_STREAM_SPLIT = 9,
};

static const char *enc_name(int e)
{
	static const char *const n[] = {"PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE",
					"BIT_PACKED", "DELTA_BINARY_PACKED",
					"DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
					"RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
	return e >= 0 && e < 10 ? n[e] : "unknown";
}

/* How a column's physical values become sluice values. */
enum conv {
	CV_NONE,       /* as is: bool, int, double, bytes */
	CV_UINT32,     /* INT32 annotated UINT_32: zero-extended */
	CV_DATE,       /* days -> TIMESTAMP at midnight UTC */
	CV_TS_MILLIS,
	CV_TS_MICROS,
	CV_TS_NANOS,
	CV_INT96,      /* legacy Impala/Spark timestamp */
	CV_DECIMAL,    /* unscaled integer (any physical) -> DOUBLE */
	CV_FLOAT,      /* FLOAT widened */
};

#define MAX_PAGE_BYTES (1u << 30)
#define MAX_PAGE_VALUES (1u << 27)
#define MAX_FOOTER (256u << 20)
#define HEADER_PROBE 256
#define HEADER_MAX (16u << 20)

struct pq_col {
	char *name;             /* dotted path; owned */
	int ptype;
	int32_t type_len;
	int max_def;
	enum sl_type natural;   /* SL_TYPE_NULL: refused (why) */
	enum conv conv;
	int32_t scale;
	bool is_unsigned;       /* an unsigned INT / UINT_x annotation: its
				 * statistics are in unsigned order */
	char why[96];           /* why it is refused */
};

/* A column chunk's Statistics (ColumnMetaData field 12), its bytes in the
 * file's footer (kept while the file is open). */
struct pq_stats {
	bool has_nulls;             /* null_count (field 3) given */
	bool has_min, has_max;      /* min_value, max_value (fields 6, 5) */
	bool has_dmin, has_dmax;    /* the deprecated min, max (fields 2, 1) */
	int64_t null_count;
	const uint8_t *min, *max, *dmin, *dmax;
	uint32_t min_len, max_len, dmin_len, dmax_len;
};

struct pq_chunk {
	int codec;
	uint64_t start, len;
	int64_t num_values;
	struct pq_stats st;
};

struct pq_rg {
	uint64_t rows;
	uint64_t mid;
	struct pq_chunk *chunks; /* [ncols], owned */
};

struct sl_pq_file {
	sl_pq_read_fn *read_at;
	void *ctx;
	uint64_t size;
	uint64_t rows;
	uint32_t ncols;
	struct pq_col *cols;
	uint32_t nrg;
	struct pq_rg *rgs;
	/* names of groups that are lists or maps, and of structs, for bind's
	 * messages ("tags" when its leaf is "tags.list.element") */
	char **groups;
	char *group_kind; /* 'l' list, 'm' map, 's' struct */
	uint32_t ngroups;
	uint8_t *footer;   /* FileMetaData's bytes: the statistics point here */
	/* FileMetaData.column_orders (field 7): column i's min_value and
	 * max_value are in its type's defined order (TYPE_ORDER); without it
	 * their meaning is undefined (the specification) and they are not used */
	bool *type_order;  /* [ncols] */
};

/* A decoded value, before it is copied into a chunk column. */
union pv {
	int64_t i;
	double d;
	uint8_t b;
	struct sl_str s;
};

struct pq_cur {
	const struct pq_col *col; /* NULL: the file lacks the column, or it is
				   * not read (unread): all NULL */
	bool unread;
	enum sl_type out;
	uint32_t ci;              /* file column index */
	uint64_t pos, end;        /* the part of the chunk not read yet */
	int codec;
	uint32_t page_no;
	uint8_t *raw;             /* header + compressed page */
	size_t raw_cap;
	uint8_t *page;            /* decompressed page (strings point here) */
	size_t page_cap;
	uint8_t *dpage;           /* decompressed dictionary page (its strings) */
	size_t dpage_cap;
	union pv *dict;
	size_t dict_cap;
	uint32_t ndict;
	bool have_dict;
	uint32_t *lv;             /* the page's definition levels */
	size_t lv_cap;
	uint32_t *idx;            /* the page's dictionary indices */
	size_t idx_cap;
	union pv *vals;           /* the page's non-null values */
	size_t vals_cap;
	uint8_t *dba;             /* DELTA_BYTE_ARRAY: values rebuilt */
	size_t dba_cap;
	int64_t *tmp;             /* delta-decoded integers */
	size_t tmp_cap;
	bool use_dict;            /* the page's values are dictionary indices */
	bool has_levels;          /* lv holds the page's levels */
	uint32_t rows;            /* rows of the page */
	uint32_t row;             /* rows of it copied out */
	uint32_t val;             /* non-null values of it copied out */
	uint32_t nvals;
	uint64_t page_off;        /* the page's offset in the file, for messages */
};

struct sl_pq_reader {
	uint32_t cap;
	uint32_t n;
	const struct sl_pq_file *f;
	struct pq_cur *cur; /* [cap] */
	uint32_t rg;
	uint64_t rg_left;
	bool failed;
};

static void say(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
	if (errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int grow(void **p, size_t *cap, size_t need)
{
	if (*cap >= need && *p != NULL)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *np = realloc(*p, c);
	if (np == NULL)
		return -ENOMEM;
	*p = np;
	*cap = c;
	return 0;
}
#define GROW(ptr, capv, count) grow((void **)&(ptr), &(capv), (size_t)(count) * sizeof(*(ptr)))

/* ------------------------------------------------------------------ */
/* footer                                                              */

struct schema_el {
	int type;           /* -1: a group */
	int32_t type_len;
	int rep;            /* 0 required, 1 optional, 2 repeated */
	const uint8_t *name;
	uint32_t name_len;
	int32_t nchildren;
	int conv;           /* ConvertedType, -1 */
	int32_t scale, precision;
	int logical;        /* LogicalType union field, 0: none */
	int time_unit;      /* 1 millis, 2 micros, 3 nanos */
	int int_bits;
	bool int_signed;
};

/* TimestampType / TimeType: field 2, a TimeUnit union. IntType: bitWidth,
 * isSigned. DecimalType: scale, precision. */
static int parse_logical(struct sl_tc *r, struct schema_el *e)
{
	int16_t last = 0, id;
	uint8_t t;
	int rc;
	while ((rc = sl_tc_field(r, &last, &id, &t)) == 1) {
		if (e->logical == 0 && t == SL_TC_STRUCT) {
			e->logical = id;
			if (sl_tc_struct_begin(r, t) < 0)
				return -EINVAL;
			int16_t l2 = 0, id2;
			uint8_t t2;
			int rc2;
			while ((rc2 = sl_tc_field(r, &l2, &id2, &t2)) == 1) {
				int64_t v;
				if ((id == 8 || id == 7) && id2 == 2 && t2 == SL_TC_STRUCT) {
					/* TimeUnit: which field is set */
					if (sl_tc_struct_begin(r, t2) < 0)
						return -EINVAL;
					int16_t l3 = 0, id3;
					uint8_t t3;
					int rc3;
					while ((rc3 = sl_tc_field(r, &l3, &id3, &t3)) == 1) {
						e->time_unit = id3;
						if (sl_tc_skip(r, t3) < 0)
							return -EINVAL;
					}
					if (rc3 < 0)
						return -EINVAL;
					sl_tc_struct_end(r);
				} else if (id == 5 && (id2 == 1 || id2 == 2) && t2 != SL_TC_STRUCT) {
					if (sl_tc_int(r, t2, &v) < 0)
						return -EINVAL;
					if (id2 == 1)
						e->scale = (int32_t)v;
					else
						e->precision = (int32_t)v;
				} else if (id == 10 && id2 == 1 && t2 != SL_TC_STRUCT) {
					if (sl_tc_int(r, t2, &v) < 0)
						return -EINVAL;
					e->int_bits = (int)v;
				} else if (id == 10 && id2 == 2) {
					e->int_signed = t2 == SL_TC_TRUE;
				} else if (sl_tc_skip(r, t2) < 0) {
					return -EINVAL;
				}
			}
			if (rc2 < 0)
				return -EINVAL;
			sl_tc_struct_end(r);
		} else if (sl_tc_skip(r, t) < 0) {
			return -EINVAL;
		}
	}
	return rc;
}

static int parse_schema_el(struct sl_tc *r, struct schema_el *e)
{
	*e = (struct schema_el){.type = -1, .conv = -1, .int_signed = true};
	int16_t last = 0, id;
	uint8_t t;
	int rc;
	int64_t v;
	while ((rc = sl_tc_field(r, &last, &id, &t)) == 1) {
		switch (id) {
		case 1: case 2: case 3: case 5: case 6: case 7: case 8:
			if (sl_tc_int(r, t, &v) < 0)
				return -EINVAL;
			if (id == 1) e->type = (int)v;
			else if (id == 2) e->type_len = (int32_t)v;
			else if (id == 3) e->rep = (int)v;
			else if (id == 5) e->nchildren = (int32_t)v;
			else if (id == 6) e->conv = (int)v;
			else if (id == 7) e->scale = (int32_t)v;
			else e->precision = (int32_t)v;
			break;
		case 4:
			if (sl_tc_binary(r, t, &e->name, &e->name_len) < 0)
				return -EINVAL;
			break;
		case 10:
			if (sl_tc_struct_begin(r, t) < 0 || parse_logical(r, e) < 0)
				return -EINVAL;
			sl_tc_struct_end(r);
			break;
		default:
			if (sl_tc_skip(r, t) < 0)
				return -EINVAL;
		}
	}
	return rc < 0 ? -EINVAL : 0;
}

/* The sluice type of a leaf, or SL_TYPE_NULL with why. */
static void leaf_type(const struct schema_el *e, struct pq_col *c)
{
	c->ptype = e->type;
	c->type_len = e->type_len;
	c->conv = CV_NONE;
	c->scale = 0;
	c->natural = SL_TYPE_NULL;
	int lt = e->logical, ct = e->conv;
	bool decimal = lt == 5 || ct == 5;
	c->is_unsigned = (lt == 10 && !e->int_signed) || (ct >= 11 && ct <= 14);
	if (decimal) {
		c->scale = e->scale;
		if (c->scale < 0 || c->scale > 38) {
			snprintf(c->why, sizeof(c->why), "a DECIMAL with scale %d", (int)c->scale);
			return;
		}
		if (e->type != PT_INT32 && e->type != PT_INT64 && e->type != PT_BYTE_ARRAY &&
		    e->type != PT_FLBA) {
			snprintf(c->why, sizeof(c->why), "a DECIMAL stored as %s",
				 ptype_names[e->type]);
			return;
		}
		if (e->type == PT_FLBA && (e->type_len < 1 || e->type_len > 16)) {
			snprintf(c->why, sizeof(c->why), "a DECIMAL of %d bytes (at most 16 are read)",
				 (int)e->type_len);
			return;
		}
		c->conv = CV_DECIMAL;
		c->natural = SL_TYPE_DOUBLE;
		return;
	}
	switch (e->type) {
	case PT_BOOLEAN:
		c->natural = SL_TYPE_BOOLEAN;
		return;
	case PT_INT32:
		if (lt == 6 || ct == 6) {
			c->conv = CV_DATE;
			c->natural = SL_TYPE_TIMESTAMP;
		} else if (lt == 7 || ct == 7 || ct == 8) {
			snprintf(c->why, sizeof(c->why), "a TIME (time of day), which sluice has no type for");
		} else if ((lt == 10 && !e->int_signed && e->int_bits == 32) || ct == 13) {
			c->conv = CV_UINT32;
			c->natural = SL_TYPE_BIGINT;
		} else {
			c->natural = SL_TYPE_INT;
		}
		return;
	case PT_INT64:
		if (lt == 8 || ct == 9 || ct == 10) {
			int unit = lt == 8 ? e->time_unit : (ct == 9 ? 1 : 2);
			c->conv = unit == 1 ? CV_TS_MILLIS : unit == 2 ? CV_TS_MICROS : CV_TS_NANOS;
			if (unit < 1 || unit > 3) {
				snprintf(c->why, sizeof(c->why), "a TIMESTAMP of unknown unit");
				return;
			}
			c->natural = SL_TYPE_TIMESTAMP;
		} else if (lt == 7 || ct == 8) {
			snprintf(c->why, sizeof(c->why), "a TIME (time of day), which sluice has no type for");
		} else if ((lt == 10 && !e->int_signed && e->int_bits == 64) || ct == 14) {
			snprintf(c->why, sizeof(c->why),
				 "an unsigned 64-bit integer (UINT_64), beyond BIGINT's range");
		} else {
			c->natural = SL_TYPE_BIGINT;
		}
		return;
	case PT_INT96:
		c->conv = CV_INT96;
		c->natural = SL_TYPE_TIMESTAMP;
		return;
	case PT_FLOAT:
		c->conv = CV_FLOAT;
		c->natural = SL_TYPE_DOUBLE;
		return;
	case PT_DOUBLE:
		c->natural = SL_TYPE_DOUBLE;
		return;
	case PT_BYTE_ARRAY:
		/* STRING, ENUM, JSON: text; else bytes (Spark: BinaryType) */
		c->natural = (lt == 1 || lt == 4 || lt == 12 || ct == 0 || ct == 4 || ct == 19)
				     ? SL_TYPE_STRING
				     : SL_TYPE_BINARY;
		return;
	case PT_FLBA:
		if (ct == 21) {
			snprintf(c->why, sizeof(c->why), "an INTERVAL, which sluice does not read");
			return;
		}
		if (lt == 15) {
			snprintf(c->why, sizeof(c->why), "a FLOAT16, which sluice does not read");
			return;
		}
		if (e->type_len < 0) {
			snprintf(c->why, sizeof(c->why), "a FIXED_LEN_BYTE_ARRAY of negative length");
			return;
		}
		c->natural = SL_TYPE_BINARY;
		return;
	default:
		snprintf(c->why, sizeof(c->why), "of physical type %d, which is not Parquet's", e->type);
	}
}

struct walk {
	struct sl_pq_file *f;
	struct schema_el *els;
	uint32_t nels;
	uint32_t next;
	char path[1024];
	char err[256];
};

static int add_group(struct sl_pq_file *f, const char *name, char kind)
{
	char **g = realloc(f->groups, (f->ngroups + 1) * sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	f->groups = g;
	char *k = realloc(f->group_kind, f->ngroups + 1);
	if (k == NULL)
		return -ENOMEM;
	f->group_kind = k;
	if ((g[f->ngroups] = strdup(name)) == NULL)
		return -ENOMEM;
	k[f->ngroups++] = kind;
	return 0;
}

/* Element w->next and its children; plen: the path's length before it. */
static int walk_el(struct walk *w, int def, const char *refuse, int depth)
{
	if (w->next >= w->nels || depth > 64) {
		snprintf(w->err, sizeof(w->err), "its schema's tree is malformed");
		return -EINVAL;
	}
	const struct schema_el *e = &w->els[w->next++];
	size_t plen = strlen(w->path);
	int n = snprintf(w->path + plen, sizeof(w->path) - plen, "%s%.*s", plen ? "." : "",
			 (int)e->name_len, (const char *)e->name);
	if (n < 0 || (size_t)n >= sizeof(w->path) - plen) {
		snprintf(w->err, sizeof(w->err), "a column's path is longer than %zu bytes",
			 sizeof(w->path));
		return -EINVAL;
	}
	if (e->rep == 1)
		def++;
	char why[96] = "";
	if (refuse != NULL)
		snprintf(why, sizeof(why), "%s", refuse);
	else if (e->rep == 2)
		snprintf(why, sizeof(why), "a repeated field (a list)");
	if (e->nchildren > 0) {
		char kind = 's';
		if (e->conv == 3 || e->logical == 3)
			kind = 'l';
		else if (e->conv == 1 || e->conv == 2 || e->logical == 2)
			kind = 'm';
		if (why[0] == '\0' && kind != 's')
			snprintf(why, sizeof(why), "a %s", kind == 'l' ? "list" : "map");
		else if (why[0] == '\0' && e->rep == 2)
			kind = 'l';
		if (add_group(w->f, w->path, why[0] && kind == 's' ? 'l' : kind) < 0)
			return -ENOMEM;
		for (int32_t k = 0; k < e->nchildren; k++) {
			int rc = walk_el(w, def, why[0] ? why : NULL, depth + 1);
			if (rc < 0)
				return rc;
		}
	} else {
		struct sl_pq_file *f = w->f;
		if (e->type < 0 || e->type > PT_FLBA) {
			snprintf(w->err, sizeof(w->err), "column '%s' has no valid physical type",
				 w->path);
			return -EINVAL;
		}
		struct pq_col *c = &f->cols[f->ncols];
		memset(c, 0, sizeof(*c));
		if ((c->name = strdup(w->path)) == NULL)
			return -ENOMEM;
		f->ncols++;
		c->max_def = def;
		leaf_type(e, c);
		if (why[0] != '\0') {
			c->natural = SL_TYPE_NULL;
			snprintf(c->why, sizeof(c->why), "%s", why);
		}
	}
	w->path[plen] = '\0';
	return 0;
}

/* Statistics: what sluice uses of it; a field of another type than the
 * specification's is skipped, not an error (statistics are a hint). */
static int parse_stats(struct sl_tc *r, struct pq_stats *st)
{
	int16_t last = 0, id;
	uint8_t t;
	int rc;
	while ((rc = sl_tc_field(r, &last, &id, &t)) == 1) {
		const uint8_t *b;
		uint32_t n;
		if (id == 3 && t >= SL_TC_I8 && t <= SL_TC_I64) {
			if (sl_tc_int(r, t, &st->null_count) < 0)
				return -EINVAL;
			st->has_nulls = st->null_count >= 0;
		} else if (id >= 1 && id <= 6 && id != 3 && id != 4 && t == SL_TC_BINARY) {
			if (sl_tc_binary(r, t, &b, &n) < 0)
				return -EINVAL;
			switch (id) {
			case 1: st->dmax = b, st->dmax_len = n, st->has_dmax = true; break;
			case 2: st->dmin = b, st->dmin_len = n, st->has_dmin = true; break;
			case 5: st->max = b, st->max_len = n, st->has_max = true; break;
			default: st->min = b, st->min_len = n, st->has_min = true; break;
			}
		} else if (sl_tc_skip(r, t) < 0) {
			return -EINVAL;
		}
	}
	return rc < 0 ? -EINVAL : 0;
}

static int parse_column_meta(struct sl_tc *r, struct pq_chunk *ch, int64_t *ptype)
{
	int16_t last = 0, id;
	uint8_t t;
	int rc;
	int64_t v, data_off = -1, dict_off = -1, comp = -1;
	*ptype = -1;
	ch->codec = -1;
	while ((rc = sl_tc_field(r, &last, &id, &t)) == 1) {
		switch (id) {
		case 1: case 4: case 5: case 7: case 9: case 11:
			if (sl_tc_int(r, t, &v) < 0)
				return -EINVAL;
			if (id == 1) *ptype = v;
			else if (id == 4) ch->codec = (int)v;
			else if (id == 5) ch->num_values = v;
			else if (id == 7) comp = v;
			else if (id == 9) data_off = v;
			else dict_off = v;
			break;
		case 12:
			if (t != SL_TC_STRUCT) {
				if (sl_tc_skip(r, t) < 0)
					return -EINVAL;
				break;
			}
			memset(&ch->st, 0, sizeof(ch->st));
			if (sl_tc_struct_begin(r, t) < 0 || parse_stats(r, &ch->st) < 0)
				return -EINVAL;
			sl_tc_struct_end(r);
			break;
		default:
			if (sl_tc_skip(r, t) < 0)
				return -EINVAL;
		}
	}
	if (rc < 0 || data_off < 0 || comp < 0 || ch->codec < 0 || ch->num_values < 0)
		return -EINVAL;
	int64_t start = data_off;
	if (dict_off > 0 && dict_off < data_off)
		start = dict_off;
	ch->start = (uint64_t)start;
	ch->len = (uint64_t)comp;
	return 0;
}

static int parse_row_group(struct sl_tc *r, struct sl_pq_file *f, struct pq_rg *g, char *err,
			   size_t errlen, uint32_t gi)
{
	int16_t last = 0, id;
	uint8_t t;
	int rc;
	int64_t v;
	bool have_rows = false;
	uint32_t nch = 0;
	if ((g->chunks = calloc(f->ncols ? f->ncols : 1, sizeof(*g->chunks))) == NULL)
		return -ENOMEM;
	while ((rc = sl_tc_field(r, &last, &id, &t)) == 1) {
		if (id == 1 && t == SL_TC_LIST) {
			uint8_t et;
			uint32_t n;
			if (sl_tc_list(r, t, &et, &n) < 0 || et != SL_TC_STRUCT)
				return -EINVAL;
			if (n != f->ncols) {
				say(err, errlen,
				    "row group %u has %u column chunks, but the schema has %u columns",
				    gi, n, f->ncols);
				return -EINVAL;
			}
			for (uint32_t k = 0; k < n; k++) {
				struct pq_chunk *ch = &g->chunks[k];
				if (sl_tc_struct_begin(r, et) < 0)
					return -EINVAL;
				int16_t l2 = 0, id2;
				uint8_t t2;
				int rc2;
				bool meta = false;
				while ((rc2 = sl_tc_field(r, &l2, &id2, &t2)) == 1) {
					if (id2 == 1 && t2 == SL_TC_BINARY) {
						say(err, errlen,
						    "column '%s' of row group %u is in another file "
						    "(ColumnChunk.file_path), which sluice does not read",
						    f->cols[k].name, gi);
						return -EINVAL;
					}
					if (id2 == 3 && t2 == SL_TC_STRUCT) {
						int64_t pt;
						if (sl_tc_struct_begin(r, t2) < 0 ||
						    parse_column_meta(r, ch, &pt) < 0)
							return -EINVAL;
						sl_tc_struct_end(r);
						if (pt != f->cols[k].ptype)
							return -EINVAL;
						meta = true;
					} else if (sl_tc_skip(r, t2) < 0) {
						return -EINVAL;
					}
				}
				if (rc2 < 0 || !meta)
					return -EINVAL;
				sl_tc_struct_end(r);
			}
			nch = n;
		} else if (id == 3) {
			if (sl_tc_int(r, t, &v) < 0 || v < 0)
				return -EINVAL;
			g->rows = (uint64_t)v;
			have_rows = true;
		} else if (sl_tc_skip(r, t) < 0) {
			return -EINVAL;
		}
	}
	if (rc < 0 || !have_rows || nch != f->ncols)
		return -EINVAL;
	return 0;
}

static int parse_footer(struct sl_pq_file *f, const uint8_t *p, size_t n, char *err, size_t errlen)
{
	struct sl_tc r = {.p = p, .end = p + n};
	int16_t last = 0, id;
	uint8_t t;
	int rc;
	struct schema_el *els = NULL;
	uint32_t nels = 0;
	bool have_schema = false, have_rgs = false;
	int ret = -EINVAL;
	const char *bad = "its footer (FileMetaData) is malformed";
	while ((rc = sl_tc_field(&r, &last, &id, &t)) == 1) {
		if (id == 2 && t == SL_TC_LIST && !have_schema) {
			uint8_t et;
			if (sl_tc_list(&r, t, &et, &nels) < 0 || et != SL_TC_STRUCT || nels == 0)
				goto out;
			if ((els = calloc(nels, sizeof(*els))) == NULL) {
				ret = -ENOMEM;
				goto out;
			}
			for (uint32_t k = 0; k < nels; k++) {
				if (sl_tc_struct_begin(&r, et) < 0 || parse_schema_el(&r, &els[k]) < 0)
					goto out;
				sl_tc_struct_end(&r);
			}
			/* the tree: the root's children, depth first */
			if ((f->cols = calloc(nels, sizeof(*f->cols))) == NULL) {
				ret = -ENOMEM;
				goto out;
			}
			struct walk w = {.f = f, .els = els, .nels = nels, .next = 1};
			if (els[0].nchildren < 0) {
				goto out;
			}
			for (int32_t k = 0; k < els[0].nchildren; k++) {
				int wr = walk_el(&w, 0, NULL, 0);
				if (wr < 0) {
					if (wr == -ENOMEM) {
						ret = -ENOMEM;
						goto out;
					}
					bad = NULL;
					say(err, errlen, "%s", w.err);
					goto out;
				}
			}
			if (w.next != nels) {
				bad = "its schema's tree does not use all its elements";
				goto out;
			}
			have_schema = true;
		} else if (id == 3 && t != SL_TC_LIST) {
			int64_t v;
			if (sl_tc_int(&r, t, &v) < 0 || v < 0)
				goto out;
			f->rows = (uint64_t)v;
		} else if (id == 4 && t == SL_TC_LIST && have_schema && !have_rgs) {
			uint8_t et;
			uint32_t ng;
			if (sl_tc_list(&r, t, &et, &ng) < 0 || et != SL_TC_STRUCT)
				goto out;
			if ((f->rgs = calloc(ng ? ng : 1, sizeof(*f->rgs))) == NULL) {
				ret = -ENOMEM;
				goto out;
			}
			for (uint32_t k = 0; k < ng; k++) {
				int pr;
				if (sl_tc_struct_begin(&r, et) < 0)
					goto out;
				f->nrg = k + 1;
				if ((pr = parse_row_group(&r, f, &f->rgs[k], err, errlen, k)) < 0) {
					if (pr == -ENOMEM)
						ret = -ENOMEM;
					else if (err[0] != '\0')
						bad = NULL;
					goto out;
				}
				sl_tc_struct_end(&r);
			}
			have_rgs = true;
		} else if (id == 7 && t == SL_TC_LIST && have_schema && f->type_order == NULL) {
			uint8_t et;
			uint32_t no;
			if (sl_tc_list(&r, t, &et, &no) < 0)
				goto out;
			if ((f->type_order = calloc(f->ncols ? f->ncols : 1, sizeof(bool))) == NULL) {
				ret = -ENOMEM;
				goto out;
			}
			for (uint32_t k = 0; k < no; k++) {
				/* ColumnOrder, a union: 1 TypeDefinedOrder */
				if (et != SL_TC_STRUCT) {
					if (sl_tc_skip(&r, et) < 0)
						goto out;
					continue;
				}
				int16_t l2 = 0, id2;
				uint8_t t2;
				int rc2;
				if (sl_tc_struct_begin(&r, et) < 0)
					goto out;
				while ((rc2 = sl_tc_field(&r, &l2, &id2, &t2)) == 1) {
					if (id2 == 1 && t2 == SL_TC_STRUCT && no == f->ncols)
						f->type_order[k] = true;
					if (sl_tc_skip(&r, t2) < 0)
						goto out;
				}
				if (rc2 < 0)
					goto out;
				sl_tc_struct_end(&r);
			}
		} else if (sl_tc_skip(&r, t) < 0) {
			goto out;
		}
	}
	if (rc < 0 || !have_schema || !have_rgs)
		goto out;
	ret = 0;
out:
	if (ret == -EINVAL && bad != NULL)
		say(err, errlen, "%s", bad);
	free(els);
	return ret;
}

void sl_pq_close(struct sl_pq_file *f)
{
	if (f == NULL)
		return;
	for (uint32_t i = 0; i < f->ncols; i++)
		free(f->cols[i].name);
	free(f->cols);
	for (uint32_t i = 0; i < f->nrg; i++)
		free(f->rgs[i].chunks);
	free(f->rgs);
	for (uint32_t i = 0; i < f->ngroups; i++)
		free(f->groups[i]);
	free(f->groups);
	free(f->group_kind);
	free(f->type_order);
	free(f->footer);
	free(f);
}

struct sl_pq_file *sl_pq_open(sl_pq_read_fn *read_at, void *ctx, uint64_t size, char *err,
			      size_t errlen)
{
	say(err, errlen, "%s", "");
	uint8_t tail[8], head[4];
	if (size < 12) {
		say(err, errlen, "not a Parquet file: %" PRIu64 " bytes, fewer than the 12 of an "
			    "empty one (the file is truncated, or not Parquet)", size);
		errno = EINVAL;
		return NULL;
	}
	int rc = read_at(ctx, head, 4, 0);
	if (rc == 0)
		rc = read_at(ctx, tail, 8, size - 8);
	if (rc < 0) {
		say(err, errlen, "reading its footer failed: %s", strerror(-rc));
		errno = -rc;
		return NULL;
	}
	if (memcmp(head, "PAR1", 4) != 0 || memcmp(tail + 4, "PAR1", 4) != 0) {
		say(err, errlen,
		    "not a Parquet file: it does not %s with the magic bytes PAR1 (a truncated "
		    "file, an encrypted one (PARE), or another format)",
		    memcmp(head, "PAR1", 4) != 0 ? "begin" : "end");
		errno = EINVAL;
		return NULL;
	}
	uint32_t flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
			(uint32_t)tail[3] << 24;
	if (flen == 0 || (uint64_t)flen > size - 12 || flen > MAX_FOOTER) {
		say(err, errlen,
		    "its footer length (%" PRIu32 " bytes, at byte offset %" PRIu64 ") does not fit "
		    "the file's %" PRIu64 " bytes: the file is truncated or corrupt",
		    flen, size - 8, size);
		errno = EINVAL;
		return NULL;
	}
	uint64_t foff = size - 8 - flen;
	struct sl_pq_file *f = calloc(1, sizeof(*f));
	uint8_t *fb = malloc(flen);
	if (f == NULL || fb == NULL) {
		free(f);
		free(fb);
		say(err, errlen, "out of memory reading its footer (%" PRIu32 " bytes)", flen);
		errno = ENOMEM;
		return NULL;
	}
	f->read_at = read_at;
	f->ctx = ctx;
	f->size = size;
	if ((rc = read_at(ctx, fb, flen, foff)) < 0) {
		say(err, errlen, "reading its footer failed: %s", strerror(-rc));
		goto fail;
	}
	char perr[256] = "";
	rc = parse_footer(f, fb, flen, perr, sizeof(perr));
	if (rc < 0) {
		if (rc == -ENOMEM)
			say(err, errlen, "out of memory reading its footer");
		else
			say(err, errlen, "%s (footer at byte offset %" PRIu64 ", %" PRIu32 " bytes)",
			    perr, foff, flen);
		goto fail;
	}
	for (uint32_t g = 0; g < f->nrg; g++) {
		struct pq_rg *rg = &f->rgs[g];
		uint64_t lo = UINT64_MAX, hi = 0;
		for (uint32_t c = 0; c < f->ncols; c++) {
			const struct pq_chunk *ch = &rg->chunks[c];
			if (ch->start < 4 || ch->start > foff || ch->len > foff - ch->start) {
				say(err, errlen,
				    "row group %u, column '%s': its column chunk (byte offset %" PRIu64
				    ", %" PRIu64 " bytes) lies outside the file's data (bytes 4 to %" PRIu64
				    "): the file is truncated or corrupt",
				    g, f->cols[c].name, ch->start, ch->len, foff);
				rc = -EINVAL;
				goto fail;
			}
			if (ch->start < lo)
				lo = ch->start;
			if (ch->start + ch->len > hi)
				hi = ch->start + ch->len;
		}
		rg->mid = f->ncols > 0 && lo <= hi ? lo + (hi - lo) / 2 : 4;
	}
	f->footer = fb; /* the statistics point into it */
	return f;
fail:
	free(fb);
	sl_pq_close(f);
	errno = rc == -ENOMEM ? ENOMEM : rc < 0 ? -rc : EINVAL;
	return NULL;
}

uint64_t sl_pq_num_rows(const struct sl_pq_file *f) { return f->rows; }
uint32_t sl_pq_row_groups(const struct sl_pq_file *f) { return f->nrg; }
uint64_t sl_pq_row_group_rows(const struct sl_pq_file *f, uint32_t rg) { return f->rgs[rg].rows; }
uint64_t sl_pq_row_group_mid(const struct sl_pq_file *f, uint32_t rg) { return f->rgs[rg].mid; }
uint32_t sl_pq_columns(const struct sl_pq_file *f) { return f->ncols; }
const char *sl_pq_column_name(const struct sl_pq_file *f, uint32_t i) { return f->cols[i].name; }
enum sl_type sl_pq_column_type(const struct sl_pq_file *f, uint32_t i) { return f->cols[i].natural; }

/* ------------------------------------------------------------------ */
/* value decoders                                                      */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int uvarint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -EINVAL;
		uint8_t b = *(*p)++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -EINVAL;
}

/* Value i of a run of bit-packed w-bit values (LSB first) at p, of which
 * the caller checked that (i + 1) * w bits are there. */
static uint64_t unpack(const uint8_t *p, uint64_t i, unsigned w)
{
	uint64_t bit = i * w;
	uint64_t v = 0;
	unsigned got = 0;
	const uint8_t *q = p + bit / 8;
	unsigned sh = (unsigned)(bit % 8);
	while (got < w) {
		unsigned take = 8 - sh;
		if (take > w - got)
			take = w - got;
		v |= (uint64_t)((*q >> sh) & ((1u << take) - 1)) << got;
		got += take;
		sh = 0;
		q++;
	}
	return v;
}

int sl_pq_rle_decode(const uint8_t *p, size_t len, unsigned w, uint32_t *out, uint32_t n)
{
	const uint8_t *end = p + len;
	uint32_t k = 0;
	if (w > 32)
		return -EINVAL;
	while (k < n) {
		uint64_t h;
		if (uvarint(&p, end, &h) < 0)
			return -EINVAL;
		if (h & 1) {
			uint64_t groups = h >> 1;
			if (groups == 0 || groups > (1u << 28))
				return -EINVAL;
			uint64_t bytes = groups * w; /* groups of 8 values: w bytes each */
			if (bytes > (uint64_t)(end - p))
				return -EINVAL;
			uint64_t cnt = groups * 8;
			if (cnt > n - k)
				cnt = n - k;
			if (w == 0) {
				memset(out + k, 0, cnt * sizeof(*out));
			} else {
				/* a value never spans more than 5 bytes (w <= 32, shift <= 7):
				 * one 8-byte load while 8 bytes of the run remain */
				uint64_t mask = w == 32 ? 0xffffffffu : ((uint64_t)1 << w) - 1;
				uint64_t i = 0;
				for (; i < cnt && (i * w) / 8 + 8 <= bytes; i++) {
					uint64_t bit = i * w, word;
					memcpy(&word, p + bit / 8, 8);
					out[k + i] = (uint32_t)((word >> (bit % 8)) & mask);
				}
				for (; i < cnt; i++)
					out[k + i] = (uint32_t)unpack(p, i, w);
			}
			k += (uint32_t)cnt;
			p += bytes;
		} else {
			uint64_t cnt = h >> 1;
			unsigned vb = (w + 7) / 8;
			if (cnt == 0 || vb > (size_t)(end - p))
				return -EINVAL;
			uint32_t v = 0;
			for (unsigned b = 0; b < vb; b++)
				v |= (uint32_t)p[b] << (8 * b);
			p += vb;
			if (w < 32 && v >> w)
				return -EINVAL;
			for (uint64_t i = 0; i < cnt && k < n; i++)
				out[k++] = v;
		}
	}
	return 0;
}

static int delta_header(const uint8_t **p, const uint8_t *end, uint64_t *block, uint64_t *mini,
			uint64_t *count, int64_t *first)
{
	uint64_t f;
	if (uvarint(p, end, block) < 0 || uvarint(p, end, mini) < 0 || uvarint(p, end, count) < 0 ||
	    uvarint(p, end, &f) < 0)
		return -EINVAL;
	*first = (int64_t)(f >> 1) ^ -(int64_t)(f & 1);
	if (*block == 0 || *block % 128 != 0 || *mini == 0 || *block % *mini != 0 ||
	    (*block / *mini) % 32 != 0 || *block > (1u << 20))
		return -EINVAL;
	return 0;
}

int sl_pq_delta_count(const uint8_t *p, size_t len, uint64_t *count)
{
	uint64_t b, m;
	int64_t first;
	return delta_header(&p, p + len, &b, &m, count, &first);
}

int sl_pq_delta_decode(const uint8_t *p, size_t len, int64_t *out, uint32_t n, size_t *used)
{
	const uint8_t *start = p, *end = p + len;
	uint64_t block, mini, count;
	int64_t first;
	if (delta_header(&p, end, &block, &mini, &count, &first) < 0 || count < n)
		return -EINVAL;
	uint64_t per_mini = block / mini;
	uint64_t k = 0;
	uint64_t prev = (uint64_t)first;
	if (count > 0 && n > 0)
		out[k] = first;
	if (count > 0)
		k = 1;
	/* all `count` values are walked so that *used is the encoding's end */
	while (k < count) {
		uint64_t md;
		if (uvarint(&p, end, &md) < 0)
			return -EINVAL;
		uint64_t min_delta = (uint64_t)((int64_t)(md >> 1) ^ -(int64_t)(md & 1));
		if ((uint64_t)(end - p) < mini)
			return -EINVAL;
		const uint8_t *widths = p;
		p += mini;
		for (uint64_t m = 0; m < mini && k < count; m++) {
			unsigned w = widths[m];
			if (w > 64)
				return -EINVAL;
			uint64_t bytes = per_mini * w / 8;
			if (bytes > (uint64_t)(end - p))
				return -EINVAL;
			if (k >= n) { /* past what the caller wants: only walk the bytes */
				k += per_mini < count - k ? per_mini : count - k;
				p += bytes;
				continue;
			}
			for (uint64_t i = 0; i < per_mini && k < count; i++) {
				uint64_t d = w ? unpack(p, i, w) : 0;
				prev = prev + min_delta + d;
				if (k < n)
					out[k] = (int64_t)prev;
				k++;
			}
			p += bytes;
		}
	}
	*used = (size_t)(p - start);
	return 0;
}

/* ------------------------------------------------------------------ */
/* reader                                                              */

struct sl_pq_reader *sl_pq_reader_create(uint32_t ncols)
{
	struct sl_pq_reader *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->cap = ncols;
	r->cur = calloc(ncols ? ncols : 1, sizeof(*r->cur));
	if (r->cur == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void sl_pq_reader_destroy(struct sl_pq_reader *r)
{
	if (r == NULL)
		return;
	for (uint32_t i = 0; i < r->cap; i++) {
		struct pq_cur *c = &r->cur[i];
		free(c->raw);
		free(c->page);
		free(c->dpage);
		free(c->dict);
		free(c->lv);
		free(c->idx);
		free(c->vals);
		free(c->dba);
		free(c->tmp);
	}
	free(r->cur);
	free(r);
}

static bool converts(enum sl_type from, enum sl_type to)
{
	if (from == to)
		return true;
	if (from == SL_TYPE_INT && (to == SL_TYPE_BIGINT || to == SL_TYPE_DOUBLE))
		return true;
	if (from == SL_TYPE_BIGINT && to == SL_TYPE_DOUBLE)
		return true;
	return sl_type_is_bytes(from) && sl_type_is_bytes(to);
}

int sl_pq_reader_bind(struct sl_pq_reader *r, const struct sl_pq_file *f, const char *const *names,
		      const enum sl_type *types, uint32_t n, char *err, size_t errlen)
{
	if (n > r->cap) {
		say(err, errlen, "%u columns asked, the reader was made for %u", n, r->cap);
		return -EINVAL;
	}
	r->f = f;
	r->n = n;
	r->failed = true; /* until a row group starts */
	for (uint32_t i = 0; i < n; i++) {
		struct pq_cur *c = &r->cur[i];
		c->col = NULL;
		c->out = types[i];
		c->unread = names[i] == NULL;
		if (c->unread)
			continue; /* not read: NULL, its chunks never touched */
		for (uint32_t k = 0; k < f->ncols; k++)
			if (strcasecmp(f->cols[k].name, names[i]) == 0) {
				c->col = &f->cols[k];
				c->ci = k;
				break;
			}
		if (c->col == NULL) {
			for (uint32_t g = 0; g < f->ngroups; g++) {
				if (strcasecmp(f->groups[g], names[i]) != 0)
					continue;
				if (f->group_kind[g] == 's')
					say(err, errlen,
					    "column '%s' is a struct in the file; sluice reads its "
					    "fields as columns named '%s.<field>'",
					    names[i], names[i]);
				else
					say(err, errlen,
					    "column '%s' is a %s in the file, which sluice does not read "
					    "yet (only flat columns and structs); leave it out of the "
					    "source's columns",
					    names[i], f->group_kind[g] == 'm' ? "map" : "list");
				return -EINVAL;
			}
			continue; /* not in the file: NULL, as Spark reads a missing column */
		}
		const struct pq_col *pc = c->col;
		if (pc->natural == SL_TYPE_NULL) {
			say(err, errlen,
			    "column '%s' is %s, which sluice does not read; leave it out of the "
			    "source's columns",
			    names[i], pc->why);
			return -EINVAL;
		}
		if (!converts(pc->natural, types[i])) {
			say(err, errlen,
			    "column '%s' is %s in the file (Parquet %s), which does not convert to "
			    "%s; declare it %s",
			    names[i], sl_type_name(pc->natural), ptype_names[pc->ptype],
			    sl_type_name(types[i]), sl_type_name(pc->natural));
			return -EINVAL;
		}
	}
	return 0;
}

int sl_pq_reader_start(struct sl_pq_reader *r, uint32_t rg, char *err, size_t errlen)
{
	const struct sl_pq_file *f = r->f;
	if (f == NULL || rg >= f->nrg) {
		say(err, errlen, "no row group %u", rg);
		return -EINVAL;
	}
	r->rg = rg;
	r->rg_left = f->rgs[rg].rows;
	for (uint32_t i = 0; i < r->n; i++) {
		struct pq_cur *c = &r->cur[i];
		c->have_dict = false;
		c->ndict = 0;
		c->page_no = 0;
		c->rows = c->row = 0;
		c->val = c->nvals = 0;
		if (c->col == NULL)
			continue;
		const struct pq_chunk *ch = &f->rgs[rg].chunks[c->ci];
		c->pos = ch->start;
		c->end = ch->start + ch->len;
		c->codec = ch->codec;
	}
	r->failed = false;
	return 0;
}

bool sl_pq_reader_will_load(const struct sl_pq_reader *r)
{
	if (r->failed || r->rg_left == 0)
		return false;
	for (uint32_t i = 0; i < r->n; i++)
		if (r->cur[i].col != NULL && r->cur[i].row == r->cur[i].rows)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* row groups skipped by their statistics                              */

static int convert(const struct pq_col *col, enum sl_type out, union pv *v, uint32_t n);

#define MAX_DATE_DAYS 106751991LL                /* days * 86400e6 fits int64 */
#define MAX_TS_MILLIS (INT64_MAX / 1000)

/* One bound (the max when want_max) of a column chunk's values, converted
 * as the reader converts the values (c->out), or false when there is none
 * sluice may trust: min_value / max_value when the file's column_orders
 * say the column's type order (for BYTE_ARRAY: unsigned bytes, the order
 * of sluice's STRING and BINARY comparisons); the deprecated min / max
 * only for the signed numeric types, where their (signed) order is right;
 * neither for INT96, DECIMAL, FIXED_LEN_BYTE_ARRAY or an unsigned
 * integer; never a NaN; never a date or timestamp whose conversion to
 * microseconds would wrap. A STRING bound points into the footer. A
 * truncated min_value is still a lower bound and a truncated max_value
 * still an upper one (writers round it up), which is all a bound is used
 * for. */
static bool stat_bound(const struct sl_pq_file *f, const struct pq_cur *c,
		       const struct pq_stats *st, bool want_max, union pv *v)
{
	const struct pq_col *pc = c->col;
	if (pc->conv == CV_INT96 || pc->conv == CV_DECIMAL || pc->conv == CV_UINT32 ||
	    pc->is_unsigned || pc->ptype == PT_FLBA || pc->ptype == PT_INT96)
		return false;
	const uint8_t *b;
	uint32_t n;
	bool typed = f->type_order != NULL && f->type_order[c->ci];
	if (typed && (want_max ? st->has_max : st->has_min)) {
		b = want_max ? st->max : st->min;
		n = want_max ? st->max_len : st->min_len;
	} else if (pc->ptype != PT_BYTE_ARRAY && (want_max ? st->has_dmax : st->has_dmin)) {
		b = want_max ? st->dmax : st->dmin;
		n = want_max ? st->dmax_len : st->dmin_len;
	} else {
		return false;
	}
	switch (pc->ptype) {
	case PT_BOOLEAN:
		if (n != 1)
			return false;
		v->b = b[0] & 1;
		return true;
	case PT_INT32:
		if (n != 4)
			return false;
		v->i = (int32_t)le32(b);
		if (pc->conv == CV_DATE && (v->i > MAX_DATE_DAYS || v->i < -MAX_DATE_DAYS))
			return false;
		break;
	case PT_INT64:
		if (n != 8)
			return false;
		memcpy(&v->i, b, 8);
		if (pc->conv == CV_TS_MILLIS && (v->i > MAX_TS_MILLIS || v->i < -MAX_TS_MILLIS))
			return false;
		break;
	case PT_FLOAT: {
		float fl;
		if (n != 4)
			return false;
		memcpy(&fl, b, 4);
		v->d = fl;
		if (isnan(v->d))
			return false;
		break;
	}
	case PT_DOUBLE:
		if (n != 8)
			return false;
		memcpy(&v->d, b, 8);
		if (isnan(v->d))
			return false;
		break;
	case PT_BYTE_ARRAY:
		v->s = (struct sl_str){(const char *)b, n};
		return true;
	default:
		return false;
	}
	return convert(pc, c->out, v, 1) == 0;
}

/* The sign of bound - lit, bound of type t; false when the two do not
 * compare (a predicate the planner should not have made). */
static bool cmp_bound(const union pv *v, enum sl_type t, const struct sl_value *lit, int *out)
{
	switch (lit->type) {
	case SL_TYPE_BOOLEAN:
		if (t != SL_TYPE_BOOLEAN)
			return false;
		*out = (int)(v->b != 0) - (int)(lit->v.b != 0);
		return true;
	case SL_TYPE_INT:
	case SL_TYPE_BIGINT:
	case SL_TYPE_TIMESTAMP:
		if (t != SL_TYPE_INT && t != SL_TYPE_BIGINT && t != SL_TYPE_TIMESTAMP)
			return false;
		*out = (v->i > lit->v.i64) - (v->i < lit->v.i64);
		return true;
	case SL_TYPE_DOUBLE: {
		double x;
		if (t == SL_TYPE_DOUBLE)
			x = v->d;
		else if (t == SL_TYPE_INT || t == SL_TYPE_BIGINT || t == SL_TYPE_TIMESTAMP)
			x = (double)v->i; /* the CAST the comparison makes: monotone */
		else
			return false;
		if (isnan(lit->v.f64))
			return false;
		*out = (x > lit->v.f64) - (x < lit->v.f64);
		return true;
	}
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY: {
		if (!sl_type_is_bytes(t))
			return false;
		uint32_t m = v->s.len < lit->v.str.len ? v->s.len : lit->v.str.len;
		int c = m > 0 ? memcmp(v->s.ptr, lit->v.str.ptr, m) : 0;
		*out = c != 0 ? (c < 0 ? -1 : 1)
			      : (v->s.len > lit->v.str.len) - (v->s.len < lit->v.str.len);
		return true;
	}
	default:
		return false;
	}
}

/* Whether no row of the chunk can satisfy p. */
static bool pred_fails(const struct sl_pq_reader *r, uint32_t rg, const struct sl_pq_pred *p)
{
	if (p->col >= r->n)
		return false;
	const struct pq_cur *c = &r->cur[p->col];
	if (c->unread)
		return false;
	if (c->col == NULL) /* not in the file: NULL in every row */
		return p->op != SL_FN_IS_NULL;
	const struct sl_pq_file *f = r->f;
	const struct pq_stats *st = &f->rgs[rg].chunks[c->ci].st;
	uint64_t rows = f->rgs[rg].rows;
	bool all_null = st->has_nulls && (uint64_t)st->null_count >= rows;
	switch (p->op) {
	case SL_FN_IS_NULL:
		return st->has_nulls && st->null_count == 0;
	case SL_FN_IS_NOT_NULL:
		return all_null;
	case SL_FN_EQ:
	case SL_FN_LT:
	case SL_FN_LE:
	case SL_FN_GT:
	case SL_FN_GE:
		break;
	default:
		return false;
	}
	if (all_null) /* a comparison with NULL is never true */
		return true;
	if (p->lit.is_null)
		return false;
	/* Spark orders NaN above every double, and writers leave NaNs out
	 * of min and max: a row group whose max is below x may still hold a
	 * NaN, which is > x */
	bool nan_rows = c->out == SL_TYPE_DOUBLE && c->col->natural == SL_TYPE_DOUBLE;
	union pv lo, hi;
	int cl = 0, ch = 0;
	bool have_lo = p->op != SL_FN_GT && p->op != SL_FN_GE &&
		       stat_bound(f, c, st, false, &lo) && cmp_bound(&lo, c->out, &p->lit, &cl);
	bool have_hi = p->op != SL_FN_LT && p->op != SL_FN_LE && !(nan_rows && p->op != SL_FN_EQ) &&
		       stat_bound(f, c, st, true, &hi) && cmp_bound(&hi, c->out, &p->lit, &ch);
	switch (p->op) {
	case SL_FN_EQ:
		return (have_lo && cl > 0) || (have_hi && ch < 0);
	case SL_FN_LT:
		return have_lo && cl >= 0;
	case SL_FN_LE:
		return have_lo && cl > 0;
	case SL_FN_GT:
		return have_hi && ch <= 0;
	default: /* GE */
		return have_hi && ch < 0;
	}
}

bool sl_pq_reader_skips(const struct sl_pq_reader *r, uint32_t rg, const struct sl_pq_pred *preds,
			uint32_t n)
{
	if (r->f == NULL || rg >= r->f->nrg)
		return false;
	for (uint32_t k = 0; k < n; k++)
		if (pred_fails(r, rg, &preds[k]))
			return true;
	return false;
}

/* Page header fields sluice uses. */
struct page_hdr {
	int type;
	int32_t usize, csize;
	int32_t num_values, num_nulls, num_rows;
	int encoding, def_enc;
	int32_t def_len, rep_len;
	bool compressed;
	bool have_sub;
};

static int parse_sub(struct sl_tc *r, struct page_hdr *h, int which)
{
	int16_t last = 0, id;
	uint8_t t;
	int rc;
	int64_t v;
	while ((rc = sl_tc_field(r, &last, &id, &t)) == 1) {
		if (t == SL_TC_TRUE || t == SL_TC_FALSE) {
			if (which == 8 && id == 7)
				h->compressed = t == SL_TC_TRUE;
			continue;
		}
		if (t >= SL_TC_I8 && t <= SL_TC_I64) {
			if (sl_tc_int(r, t, &v) < 0)
				return -EINVAL;
			if (v < INT32_MIN || v > INT32_MAX)
				return -EINVAL;
			int32_t x = (int32_t)v;
			if (which == 5) { /* DataPageHeader */
				if (id == 1) h->num_values = x;
				else if (id == 2) h->encoding = x;
				else if (id == 3) h->def_enc = x;
			} else if (which == 7) { /* DictionaryPageHeader */
				if (id == 1) h->num_values = x;
				else if (id == 2) h->encoding = x;
			} else { /* DataPageHeaderV2 */
				if (id == 1) h->num_values = x;
				else if (id == 2) h->num_nulls = x;
				else if (id == 3) h->num_rows = x;
				else if (id == 4) h->encoding = x;
				else if (id == 5) h->def_len = x;
				else if (id == 6) h->rep_len = x;
			}
			continue;
		}
		if (sl_tc_skip(r, t) < 0)
			return -EINVAL;
	}
	return rc;
}

/* 1 parsed (*hlen: its bytes), 0 more bytes needed, -EINVAL malformed. */
static int parse_page_header(const uint8_t *p, size_t n, struct page_hdr *h, size_t *hlen)
{
	struct sl_tc r = {.p = p, .end = p + n};
	*h = (struct page_hdr){.type = -1, .usize = -1, .csize = -1, .num_values = -1,
			       .encoding = -1, .def_enc = ENC_RLE, .compressed = true};
	int16_t last = 0, id;
	uint8_t t;
	int rc;
	int64_t v;
	while ((rc = sl_tc_field(&r, &last, &id, &t)) == 1) {
		if (id >= 1 && id <= 3 && t >= SL_TC_I8 && t <= SL_TC_I64) {
			if (sl_tc_int(&r, t, &v) < 0)
				goto short_or_bad;
			if (v < INT32_MIN || v > INT32_MAX)
				return -EINVAL;
			if (id == 1) h->type = (int)v;
			else if (id == 2) h->usize = (int32_t)v;
			else h->csize = (int32_t)v;
		} else if ((id == 5 || id == 7 || id == 8) && t == SL_TC_STRUCT) {
			if (sl_tc_struct_begin(&r, t) < 0)
				return -EINVAL;
			if (parse_sub(&r, h, id) < 0)
				goto short_or_bad;
			sl_tc_struct_end(&r);
			if ((id == 5 && h->type == 0) || (id == 7 && h->type == 2) ||
			    (id == 8 && h->type == 3))
				h->have_sub = true;
		} else if (sl_tc_skip(&r, t) < 0) {
			goto short_or_bad;
		}
	}
	if (rc < 0)
		goto short_or_bad;
	*hlen = (size_t)(r.p - p);
	return 1;
short_or_bad:
	/* the probe may have cut the header short: the caller tries more bytes,
	 * up to the column chunk's end */
	return 0;
}

#define CUR_FAIL(...)                                                                          \
	do {                                                                                   \
		int n_ = snprintf(err, errlen, "row group %u, column '%s', page %u (byte offset %" \
					       PRIu64 "): ",                                    \
				  r->rg, c->col->name, c->page_no, c->page_off);                \
		if (n_ > 0 && (size_t)n_ < errlen)                                             \
			snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);                  \
		return -EINVAL;                                                                \
	} while (0)

/* PLAIN values of the column's physical type: n of them from [p, end);
 * *used: bytes read. Strings point into p. */
static int plain(const struct pq_col *col, const uint8_t *p, size_t len, union pv *out, uint32_t n,
		 size_t *used)
{
	size_t w = 0;
	switch (col->ptype) {
	case PT_BOOLEAN:
		if ((uint64_t)n > (uint64_t)len * 8)
			return -EINVAL;
		for (uint32_t i = 0; i < n; i++)
			out[i].b = (p[i / 8] >> (i % 8)) & 1;
		*used = (n + 7) / 8;
		return 0;
	case PT_INT32:
		w = 4;
		if ((uint64_t)n * w > len)
			return -EINVAL;
		for (uint32_t i = 0; i < n; i++)
			out[i].i = (int32_t)le32(p + 4 * i);
		break;
	case PT_INT64:
		w = 8;
		if ((uint64_t)n * w > len)
			return -EINVAL;
		for (uint32_t i = 0; i < n; i++)
			memcpy(&out[i].i, p + 8 * i, 8);
		break;
	case PT_FLOAT:
		w = 4;
		if ((uint64_t)n * w > len)
			return -EINVAL;
		for (uint32_t i = 0; i < n; i++) {
			float fl;
			memcpy(&fl, p + 4 * i, 4);
			out[i].d = fl;
		}
		break;
	case PT_DOUBLE:
		w = 8;
		if ((uint64_t)n * w > len)
			return -EINVAL;
		for (uint32_t i = 0; i < n; i++)
			memcpy(&out[i].d, p + 8 * i, 8);
		break;
	case PT_INT96:
	case PT_FLBA:
		w = col->ptype == PT_INT96 ? 12 : (size_t)col->type_len;
		if ((uint64_t)n * w > len)
			return -EINVAL;
		for (uint32_t i = 0; i < n; i++)
			out[i].s = (struct sl_str){(const char *)p + w * i, (uint32_t)w};
		break;
	case PT_BYTE_ARRAY: {
		size_t at = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (len - at < 4)
				return -EINVAL;
			uint32_t l = le32(p + at);
			at += 4;
			if (l > len - at)
				return -EINVAL;
			out[i].s = (struct sl_str){(const char *)p + at, l};
			at += l;
		}
		*used = at;
		return 0;
	}
	default:
		return -EINVAL;
	}
	*used = (size_t)n * w;
	return 0;
}

static const double pow10_tab[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
				   1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
				   1e21, 1e22};

static double pow10_of(int32_t s)
{
	return s <= 22 ? pow10_tab[s] : pow(10.0, s);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Physical values -> the sluice type (in place). A date or timestamp
 * beyond TIMESTAMP's range (about 292,000 years either side of 1970)
 * wraps around (two's complement) rather than being undefined. */
static int convert(const struct pq_col *col, enum sl_type out, union pv *v, uint32_t n)
{
	switch (col->conv) {
	case CV_NONE:
		break;
	case CV_FLOAT:
		break; /* widened when decoded */
	case CV_UINT32:
		for (uint32_t i = 0; i < n; i++)
			v[i].i = (int64_t)(uint32_t)v[i].i;
		break;
	case CV_DATE:
		for (uint32_t i = 0; i < n; i++)
			v[i].i = (int64_t)((uint64_t)v[i].i * 86400000000ULL); /* wraps, see below */
		break;
	case CV_TS_MILLIS:
		for (uint32_t i = 0; i < n; i++)
			v[i].i = (int64_t)((uint64_t)v[i].i * 1000u);
		break;
	case CV_TS_MICROS:
		break;
	case CV_TS_NANOS:
		for (uint32_t i = 0; i < n; i++)
			v[i].i = floor_div(v[i].i, 1000);
		break;
	case CV_INT96:
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *b = (const uint8_t *)v[i].s.ptr;
			int64_t nanos;
			memcpy(&nanos, b, 8);
			int64_t jd = (int32_t)le32(b + 8);
			v[i].i = (int64_t)((uint64_t)(jd - 2440588) * 86400000000ULL +
					   (uint64_t)floor_div(nanos, 1000));
		}
		break;
	case CV_DECIMAL: {
		double d = pow10_of(col->scale);
		for (uint32_t i = 0; i < n; i++) {
			if (col->ptype == PT_INT32 || col->ptype == PT_INT64) {
				v[i].d = (double)v[i].i / d;
				continue;
			}
			const uint8_t *b = (const uint8_t *)v[i].s.ptr;
			uint32_t l = v[i].s.len;
			if (l > 16)
				return -EINVAL;
			__int128 x = (l > 0 && (b[0] & 0x80)) ? -1 : 0;
			for (uint32_t k = 0; k < l; k++)
				x = (__int128)((unsigned __int128)x << 8) | b[k];
			v[i].d = (double)x / d;
		}
		break;
	}
	}
	if (out == SL_TYPE_DOUBLE && col->natural != SL_TYPE_DOUBLE)
		for (uint32_t i = 0; i < n; i++)
			v[i].d = (double)v[i].i;
	return 0;
}

static int read_exact(const struct sl_pq_file *f, void *buf, size_t n, uint64_t off)
{
	return f->read_at(f->ctx, buf, n, off);
}

/* Decode the values of a data page (its value section [p, p + len)):
 * nv non-null values into c->vals (or indices into c->idx). */
static int decode_values(struct sl_pq_reader *r, struct pq_cur *c, int enc, const uint8_t *p,
			 size_t len, uint32_t nv, char *err, size_t errlen)
{
	const struct pq_col *col = c->col;
	size_t used;
	c->use_dict = false;
	if (GROW(c->vals, c->vals_cap, nv ? nv : 1) < 0)
		return -ENOMEM;
	switch (enc) {
	case ENC_PLAIN:
		if (plain(col, p, len, c->vals, nv, &used) < 0)
			CUR_FAIL("its PLAIN values end before its %u values (corrupt page)", nv);
		break;
	case ENC_PLAIN_DICTIONARY:
	case ENC_RLE_DICTIONARY: {
		if (!c->have_dict)
			CUR_FAIL("it is dictionary-encoded, but the column chunk has no dictionary page");
		if (GROW(c->idx, c->idx_cap, nv ? nv : 1) < 0)
			return -ENOMEM;
		if (nv > 0) {
			if (len < 1 || p[0] > 32 ||
			    sl_pq_rle_decode(p + 1, len - 1, p[0], c->idx, nv) < 0)
				CUR_FAIL("its dictionary indices are malformed (corrupt page)");
			uint32_t top = 0; /* no early exit: the loop vectorizes */
			for (uint32_t i = 0; i < nv; i++)
				top = c->idx[i] > top ? c->idx[i] : top;
			if (top >= c->ndict)
				CUR_FAIL("dictionary index %u is beyond the dictionary's %u values "
					 "(corrupt page)", top, c->ndict);
		}
		c->use_dict = true;
		return 0;
	}
	case ENC_RLE: {
		if (col->ptype != PT_BOOLEAN)
			CUR_FAIL("encoding RLE for values of type %s is not supported",
				 ptype_names[col->ptype]);
		if (GROW(c->idx, c->idx_cap, nv ? nv : 1) < 0)
			return -ENOMEM;
		if (len < 4 || le32(p) > len - 4 || sl_pq_rle_decode(p + 4, le32(p), 1, c->idx, nv) < 0)
			CUR_FAIL("its RLE booleans are malformed (corrupt page)");
		for (uint32_t i = 0; i < nv; i++)
			c->vals[i].b = (uint8_t)c->idx[i];
		break;
	}
	case ENC_DELTA_BINARY_PACKED:
		if (col->ptype != PT_INT32 && col->ptype != PT_INT64)
			CUR_FAIL("encoding DELTA_BINARY_PACKED for values of type %s is not supported",
				 ptype_names[col->ptype]);
		if (GROW(c->tmp, c->tmp_cap, nv ? nv : 1) < 0)
			return -ENOMEM;
		if (sl_pq_delta_decode(p, len, c->tmp, nv, &used) < 0)
			CUR_FAIL("its DELTA_BINARY_PACKED values are malformed (corrupt page)");
		for (uint32_t i = 0; i < nv; i++)
			c->vals[i].i = col->ptype == PT_INT32 ? (int32_t)c->tmp[i] : c->tmp[i];
		break;
	case ENC_DELTA_LENGTH_BYTE_ARRAY:
	case ENC_DELTA_BYTE_ARRAY: {
		if (col->ptype != PT_BYTE_ARRAY &&
		    !(enc == ENC_DELTA_BYTE_ARRAY && col->ptype == PT_FLBA))
			CUR_FAIL("encoding %s for values of type %s is not supported", enc_name(enc),
				 ptype_names[col->ptype]);
		/* DELTA_BYTE_ARRAY: prefix lengths, then suffixes as
		 * DELTA_LENGTH_BYTE_ARRAY */
		const uint8_t *q = p, *end = p + len;
		int64_t *pre = NULL;
		if (GROW(c->tmp, c->tmp_cap, 2 * (size_t)(nv ? nv : 1)) < 0)
			return -ENOMEM;
		if (enc == ENC_DELTA_BYTE_ARRAY) {
			pre = c->tmp + nv;
			if (sl_pq_delta_decode(q, (size_t)(end - q), pre, nv, &used) < 0)
				CUR_FAIL("its prefix lengths are malformed (corrupt page)");
			q += used;
		}
		if (sl_pq_delta_decode(q, (size_t)(end - q), c->tmp, nv, &used) < 0)
			CUR_FAIL("its value lengths are malformed (corrupt page)");
		q += used;
		uint64_t total = 0, out_total = 0;
		for (uint32_t i = 0; i < nv; i++) {
			if (c->tmp[i] < 0 || (pre != NULL && pre[i] < 0))
				CUR_FAIL("a value length is negative (corrupt page)");
			total += (uint64_t)c->tmp[i];
			if (pre != NULL)
				out_total += (uint64_t)pre[i] + (uint64_t)c->tmp[i];
			if (total > (uint64_t)(end - q) || out_total > MAX_PAGE_BYTES)
				CUR_FAIL("its values end before its %u values (corrupt page)", nv);
		}
		if (pre == NULL) {
			for (uint32_t i = 0; i < nv; i++) {
				c->vals[i].s = (struct sl_str){(const char *)q, (uint32_t)c->tmp[i]};
				q += c->tmp[i];
			}
		} else {
			if (GROW(c->dba, c->dba_cap, out_total ? out_total : 1) < 0)
				return -ENOMEM;
			uint8_t *o = c->dba;
			const uint8_t *prev = NULL;
			uint64_t prev_len = 0;
			for (uint32_t i = 0; i < nv; i++) {
				uint64_t pl = (uint64_t)pre[i], sl = (uint64_t)c->tmp[i];
				if (pl > prev_len)
					CUR_FAIL("a prefix is longer than the value before it "
						 "(corrupt page)");
				if (pl > 0)
					memmove(o, prev, pl);
				memcpy(o + pl, q, sl);
				q += sl;
				c->vals[i].s = (struct sl_str){(const char *)o, (uint32_t)(pl + sl)};
				prev = o;
				prev_len = pl + sl;
				o += pl + sl;
			}
			if (col->ptype == PT_FLBA)
				for (uint32_t i = 0; i < nv; i++)
					if (c->vals[i].s.len != (uint32_t)col->type_len)
						CUR_FAIL("a value is %u bytes, not the column's %d "
							 "(corrupt page)", c->vals[i].s.len,
							 (int)col->type_len);
		}
		break;
	}
	case ENC_BYTE_STREAM_SPLIT: {
		size_t w = col->ptype == PT_FLOAT || col->ptype == PT_INT32 ? 4
			   : col->ptype == PT_DOUBLE || col->ptype == PT_INT64 ? 8
			   : col->ptype == PT_FLBA ? (size_t)col->type_len : 0;
		if (w == 0)
			CUR_FAIL("encoding BYTE_STREAM_SPLIT for values of type %s is not supported",
				 ptype_names[col->ptype]);
		if ((uint64_t)nv * w > len)
			CUR_FAIL("its BYTE_STREAM_SPLIT values end before its %u values (corrupt page)",
				 nv);
		if (col->ptype == PT_FLBA) {
			/* rebuilt into dba */
			if (GROW(c->dba, c->dba_cap, (size_t)nv * w + 1) < 0)
				return -ENOMEM;
			for (uint32_t i = 0; i < nv; i++) {
				for (size_t b = 0; b < w; b++)
					c->dba[i * w + b] = p[b * nv + i];
				c->vals[i].s = (struct sl_str){(const char *)c->dba + i * w, (uint32_t)w};
			}
			break;
		}
		for (uint32_t i = 0; i < nv; i++) {
			uint8_t b[8];
			for (size_t k = 0; k < w; k++)
				b[k] = p[k * nv + i];
			if (col->ptype == PT_FLOAT) {
				float fl;
				memcpy(&fl, b, 4);
				c->vals[i].d = fl;
			} else if (col->ptype == PT_DOUBLE) {
				memcpy(&c->vals[i].d, b, 8);
			} else if (col->ptype == PT_INT32) {
				c->vals[i].i = (int32_t)le32(b);
			} else {
				memcpy(&c->vals[i].i, b, 8);
			}
		}
		break;
	}
	default:
		CUR_FAIL("encoding %s (%d) is not supported", enc_name(enc), enc);
	}
	if (convert(col, c->out, c->vals, nv) < 0)
		CUR_FAIL("a DECIMAL value is longer than 16 bytes");
	return 0;
}

/* Decompress page body [p, p + n) into c->page (usize bytes); v2: the
 * first lv bytes (levels) are stored as they are. */
static int inflate_page(struct sl_pq_reader *r, struct pq_cur *c, const uint8_t *p, size_t n,
			size_t usize, size_t lv, bool compressed, uint8_t **into, size_t *cap,
			char *err, size_t errlen)
{
	if (grow((void **)into, cap, usize ? usize : 1) < 0)
		return -ENOMEM;
	if (lv > n || lv > usize)
		CUR_FAIL("its level lengths exceed the page (corrupt page)");
	memcpy(*into, p, lv);
	int rc = sl_pq_decompress(compressed ? c->codec : SL_PQ_UNCOMPRESSED, p + lv, n - lv,
				  *into + lv, usize - lv);
	if (rc == -ENOTSUP)
		CUR_FAIL("compression %s is not supported (sluice reads UNCOMPRESSED, SNAPPY, GZIP, "
			 "ZSTD and LZ4_RAW); rewrite the file with one of those",
			 sl_pq_codec_name(c->codec));
	if (rc < 0)
		CUR_FAIL("it does not decompress (%s) to the %zu bytes its header gives (corrupt "
			 "page)", sl_pq_codec_name(compressed ? c->codec : 0), usize - lv);
	return 0;
}

/* Whether the levels [p, p + len) (width w) begin with one RLE run of at
 * least `rows` levels equal to max: a page without nulls, as most
 * writers encode it. */
static bool all_defined(const uint8_t *p, size_t len, unsigned w, uint32_t rows, uint32_t max)
{
	const uint8_t *end = p + len;
	uint64_t h;
	if (w > 32 || uvarint(&p, end, &h) < 0 || (h & 1) || (h >> 1) < rows)
		return false;
	unsigned vb = (w + 7) / 8;
	if (vb > (size_t)(end - p))
		return false;
	uint32_t v = 0;
	for (unsigned b = 0; b < vb; b++)
		v |= (uint32_t)p[b] << (8 * b);
	return v == max;
}

/* Load the column's next data page (after any dictionary page). */
static int load_page(struct sl_pq_reader *r, struct pq_cur *c, char *err, size_t errlen)
{
	const struct sl_pq_file *f = r->f;
	const struct pq_col *col = c->col;
	for (;;) {
		c->page_off = c->pos;
		if (c->pos >= c->end)
			CUR_FAIL("the column chunk ends before its row group's %" PRIu64 " rows "
				 "(corrupt or truncated file)", f->rgs[r->rg].rows);
		uint64_t left = c->end - c->pos;
		size_t want = left < HEADER_PROBE ? (size_t)left : HEADER_PROBE;
		struct page_hdr h;
		size_t hlen = 0;
		int prc;
		for (;;) {
			if (GROW(c->raw, c->raw_cap, want) < 0)
				return -ENOMEM;
			int rc = read_exact(f, c->raw, want, c->pos);
			if (rc < 0)
				CUR_FAIL("reading it failed: %s", strerror(-rc));
			prc = parse_page_header(c->raw, want, &h, &hlen);
			if (prc != 0 || want == left || want >= HEADER_MAX)
				break;
			want = want * 4 > left ? (size_t)left : want * 4;
		}
		if (prc <= 0 || h.type < 0 || h.usize < 0 || h.csize < 0)
			CUR_FAIL("its page header is malformed (corrupt page)");
		if ((uint64_t)h.csize > left - hlen || (uint32_t)h.usize > MAX_PAGE_BYTES)
			CUR_FAIL("its size (%d bytes compressed, %d uncompressed) does not fit the column "
				 "chunk (corrupt page)", (int)h.csize, (int)h.usize);
		size_t total = hlen + (size_t)h.csize;
		if (total > want) {
			if (GROW(c->raw, c->raw_cap, total) < 0)
				return -ENOMEM;
			int rc = read_exact(f, c->raw + want, total - want, c->pos + want);
			if (rc < 0)
				CUR_FAIL("reading it failed: %s", strerror(-rc));
		}
		c->pos += total;
		const uint8_t *body = c->raw + hlen;
		if (h.type == 2) { /* dictionary page */
			if (!h.have_sub || h.num_values < 0 || (uint32_t)h.num_values > MAX_PAGE_VALUES)
				CUR_FAIL("its dictionary page header is malformed (corrupt page)");
			if (h.encoding != ENC_PLAIN && h.encoding != ENC_PLAIN_DICTIONARY)
				CUR_FAIL("its dictionary page has encoding %s; only PLAIN is supported",
					 enc_name(h.encoding));
			int rc = inflate_page(r, c, body, (size_t)h.csize, (size_t)h.usize, 0, true,
					      &c->dpage, &c->dpage_cap, err, errlen);
			if (rc < 0)
				return rc;
			uint32_t nd = (uint32_t)h.num_values;
			if (GROW(c->dict, c->dict_cap, nd ? nd : 1) < 0)
				return -ENOMEM;
			size_t used;
			if (plain(col, c->dpage, (size_t)h.usize, c->dict, nd, &used) < 0)
				CUR_FAIL("its dictionary page ends before its %u values (corrupt page)", nd);
			if (convert(col, c->out, c->dict, nd) < 0)
				CUR_FAIL("a DECIMAL value is longer than 16 bytes");
			c->ndict = nd;
			c->have_dict = true;
			c->page_no++;
			continue;
		}
		if (h.type != 0 && h.type != 3) { /* index pages and the unknown: skipped */
			c->page_no++;
			continue;
		}
		if (!h.have_sub || h.num_values < 0)
			CUR_FAIL("its data page header is malformed (corrupt page)");
		uint32_t rows = (uint32_t)h.num_values;
		if (h.type == 3 && (h.num_rows != h.num_values || h.rep_len != 0))
			CUR_FAIL("it has repeated values, which sluice does not read (corrupt page "
				 "for a flat column)");
		if (rows > r->rg_left || rows > MAX_PAGE_VALUES)
			CUR_FAIL("it has %u values, more than the %" PRIu64 " rows left in the row "
				 "group (corrupt page)", rows, r->rg_left);
		const uint8_t *pg;
		size_t plen = (size_t)h.usize;
		size_t lvlen = 0;
		if (h.type == 3) {
			if (h.def_len < 0 || h.rep_len < 0)
				CUR_FAIL("its level lengths are negative (corrupt page)");
			lvlen = (size_t)h.def_len;
		}
		int rc = inflate_page(r, c, body, (size_t)h.csize, (size_t)h.usize, lvlen,
				      h.type == 0 || h.compressed, &c->page, &c->page_cap, err, errlen);
		if (rc < 0)
			return rc;
		pg = c->page;
		const uint8_t *vp = pg;
		size_t vlen = plen;
		uint32_t nv = rows;
		c->has_levels = col->max_def > 0;
		if (c->has_levels) {
			if (GROW(c->lv, c->lv_cap, rows ? rows : 1) < 0)
				return -ENOMEM;
			unsigned w = 0;
			while ((1 << w) <= col->max_def)
				w++;
			const uint8_t *lp;
			size_t ll;
			if (h.type == 0) {
				if (h.def_enc != ENC_RLE)
					CUR_FAIL("its definition levels have encoding %s; only RLE is "
						 "supported", enc_name(h.def_enc));
				if (plen < 4 || le32(pg) > plen - 4)
					CUR_FAIL("its definition levels run past the page (corrupt page)");
				lp = pg + 4;
				ll = le32(pg);
				vp = pg + 4 + ll;
				vlen = plen - 4 - ll;
			} else {
				lp = pg;
				ll = lvlen;
				vp = pg + lvlen;
				vlen = plen - lvlen;
			}
			if (all_defined(lp, ll, w, rows, (uint32_t)col->max_def)) {
				c->has_levels = false; /* no nulls: no levels to decode or copy */
			} else {
				if (sl_pq_rle_decode(lp, ll, w, c->lv, rows) < 0)
					CUR_FAIL("its definition levels are malformed (corrupt page)");
				/* no early exit: the loop vectorizes */
				uint32_t top = 0, max = (uint32_t)col->max_def;
				nv = 0;
				for (uint32_t i = 0; i < rows; i++) {
					top = c->lv[i] > top ? c->lv[i] : top;
					nv += c->lv[i] == max;
				}
				if (top > max)
					CUR_FAIL("a definition level is above the column's maximum %d "
						 "(corrupt page)", col->max_def);
				if (nv == rows)
					c->has_levels = false;
			}
		} else if (h.type == 3) {
			vp = pg + lvlen;
			vlen = plen - lvlen;
		}
		rc = decode_values(r, c, h.encoding, vp, vlen, nv, err, errlen);
		if (rc < 0)
			return rc;
		c->rows = rows;
		c->row = 0;
		c->val = 0;
		c->nvals = nv;
		c->page_no++;
		if (rows == 0)
			continue;
		return 0;
	}
}

/* Rows [c->row, c->row + n) of the page into v at `at`: the nulls from
 * the levels, the values from the page's (or the dictionary's) decoded
 * ones. The levels counted the page's values, so c->val stays below
 * c->nvals. One loop per type, levels and dictionary, so that the inner
 * loop has no switch (the copy was a quarter of a scan's time with one). */
#define COPY_ROWS(FIELD, SRC)                                                                  \
	do {                                                                                   \
		/* locals: stores into the column must not make the compiler                  \
		 * reload the cursor's pointers on every row */                               \
		__typeof__(v->v.FIELD) dst = v->v.FIELD + at;                                  \
		/* idx is NULL until a dictionary page came: no offset on NULL */              \
		const union pv *dict = c->dict, *vals = c->vals + c->val;                      \
		const uint32_t *idx = c->use_dict ? c->idx + c->val : NULL;                    \
		if (!c->has_levels && !c->use_dict) {                                          \
			memset(v->nulls + at, 0, n);                                           \
			for (uint32_t k = 0; k < n; k++)                                       \
				dst[k] = vals[k].SRC;                                          \
			c->val += n;                                                           \
		} else if (!c->has_levels) {                                                   \
			memset(v->nulls + at, 0, n);                                           \
			for (uint32_t k = 0; k < n; k++)                                       \
				dst[k] = dict[idx[k]].SRC;                                     \
			c->val += n;                                                           \
		} else {                                                                       \
			const uint32_t *lv = c->lv + c->row;                                   \
			uint32_t max = (uint32_t)c->col->max_def, j = 0;                       \
			uint8_t *nulls = v->nulls + at;                                        \
			bool use_dict = c->use_dict;                                           \
			for (uint32_t k = 0; k < n; k++) {                                     \
				uint8_t null = lv[k] != max;                                   \
				nulls[k] = null;                                               \
				if (null)                                                      \
					continue;                                              \
				dst[k] = use_dict ? dict[idx[j]].SRC : vals[j].SRC;            \
				j++;                                                           \
			}                                                                      \
			c->val += j;                                                           \
		}                                                                              \
	} while (0)

static void copy_rows(struct pq_cur *c, struct sl_vec *v, uint32_t at, uint32_t n)
{
	switch (v->type) {
	case SL_TYPE_BOOLEAN:
		COPY_ROWS(b, b);
		break;
	case SL_TYPE_DOUBLE:
		COPY_ROWS(f64, d);
		break;
	case SL_TYPE_STRING:
	case SL_TYPE_BINARY:
		COPY_ROWS(str, s);
		break;
	default:
		COPY_ROWS(i64, i);
		break;
	}
}

int sl_pq_reader_read(struct sl_pq_reader *r, struct sl_chunk *out, uint32_t at, uint32_t max,
		      char *err, size_t errlen)
{
	if (r->failed) {
		say(err, errlen, "the reader failed before; start a row group");
		return -EINVAL;
	}
	uint64_t n = r->rg_left < max ? r->rg_left : max;
	if (n == 0)
		return 0;
	for (uint32_t i = 0; i < r->n; i++) {
		struct pq_cur *c = &r->cur[i];
		if (c->col == NULL)
			continue;
		if (c->row == c->rows) {
			int rc = load_page(r, c, err, errlen);
			if (rc < 0) {
				r->failed = true;
				if (rc == -ENOMEM)
					say(err, errlen, "out of memory reading row group %u, column '%s'",
					    r->rg, c->col->name);
				return rc;
			}
		}
		if (c->rows - c->row < n)
			n = c->rows - c->row;
	}
	for (uint32_t i = 0; i < r->n; i++) {
		struct pq_cur *c = &r->cur[i];
		struct sl_vec *v = &out->cols[i];
		if (c->col == NULL) {
			memset(v->nulls + at, 1, n);
			continue;
		}
		copy_rows(c, v, at, (uint32_t)n);
		c->row += (uint32_t)n;
	}
	r->rg_left -= n;
	return (int)n;
}
