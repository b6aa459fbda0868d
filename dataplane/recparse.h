/*
 * recparse.h — records of outside text parsed into the typed columns of a
 * source's schema, as Spark's text, CSV and JSON data sources read them.
 * Shared by the sources that carry such records (the file source now; the
 * socket, Kafka and DPDK sources later).
 *
 * One record is one line (Spark's default multiLine = false): the caller
 * splits lines (dataplane/lines.h) and hands each one over without its
 * line end. A CSV source with multi_line = true has records whose quoted
 * fields hold line ends: the caller cuts records with sl_recparse_scan()
 * instead (which knows the quotes), and hands each record over without
 * the '\n' (and one '\r' before it) that ends it. A parser fills one row of a chunk whose columns are the
 * source's schema.
 *
 * Formats (docs/formats.md has every option, its default and examples):
 *  - text: the schema is one STRING column (`value`, any name); the line is
 *    the value, an empty line too.
 *  - csv: fields split by `sep`, with `quote`, `escape`,
 *    `char_to_escape_quote_escaping`, `comment`, `header`,
 *    `enforce_schema`, `null_value`, `empty_value`, `nan_value`,
 *    `positive_inf`, `negative_inf`, `timestamp_format`,
 *    `enable_date_time_parsing_fallback`, `ignore_leading_white_space`,
 *    `ignore_trailing_white_space`, `max_columns`, `max_chars_per_column`,
 *    `unescaped_quote_handling`, `mode`, `column_name_of_corrupt_record`
 *    (Spark's option names in snake_case; Spark's camelCase spellings are
 *    accepted too, in any case). Fields convert to the column types as
 *    CAST from STRING does (dataplane/expr.h sl_text_to_*), timestamps
 *    with `timestamp_format` when it is set. Blank lines and comment lines
 *    are no records.
 *  - json: one JSON object per line (JSON Lines), parsed by simdjson
 *    (json_simdjson.h); top-level fields are matched to columns by name,
 *    case-sensitively (Spark's JacksonParser looks names up exactly,
 *    whatever spark.sql.caseSensitive says); a column named "a.b" reads
 *    field b of the object in field a (any depth; a top-level field
 *    literally named "a.b" wins, as Spark's flat schema would read it;
 *    a missing or non-object parent is NULL), missing fields are NULL,
 *    extra fields are ignored (but must be valid JSON); options `mode`,
 *    `column_name_of_corrupt_record`, `timestamp_format`,
 *    `enable_date_time_parsing_fallback`, `allow_non_numeric_numbers`.
 *    Jackson's features (`allow_comments`, `allow_single_quotes`, ...)
 *    are accepted only as false: records are standard JSON. Blank lines
 *    are no records.
 *  Spark's other options of these formats are known and refused with the
 *  reason (a write option, schema inference, no DATE type, ...), or
 *  accepted only with the value that means what sluice does anyway
 *  (encoding = 'UTF-8', time_zone = 'UTC'); multi_line is csv's only
 *  (json: false).
 *
 * Malformed records follow `mode`, Spark's parse modes: PERMISSIVE
 * (default: the fields that do not convert are NULL, the others are kept; a
 * JSON record that cannot be parsed at all has every column NULL; the raw
 * line goes to the corrupt-record column when the schema has a STRING
 * column of that name, which is then no data field), DROPMALFORMED (the
 * record is skipped and counted), FAILFAST (the query stops with an error
 * that names the record).
 *
 * Not thread-safe: a parser belongs to one ingest thread. Strings put in
 * the chunk point into the line, into the parser's scratch (unescaped CSV
 * fields, JSON strings with escapes, compacted JSON text), which stays
 * valid until sl_recparse_reset(), or into the parser's own copy of
 * `empty_value`, valid until sl_recparse_destroy(). Call reset after
 * sl_ingest_commit() has copied the batch. The scratch and the JSON
 * parser's buffers grow while a core warms up (the longest line so far),
 * then parsing allocates nothing (but CAST's copy of a DOUBLE field of
 * over 127 bytes, dataplane/expr.h).
 */
#ifndef SL_RECPARSE_H
#define SL_RECPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "plan_types.h"

enum sl_rec_format {
	SL_REC_TEXT,
	SL_REC_CSV,
	SL_REC_JSON,
};

struct sl_recparse;

/* The format named by a `format` option's value ("text", "csv", "json",
 * any case): 0, or -EINVAL. */
int sl_rec_format_parse(const char *name, enum sl_rec_format *out);

/* Whether `key` (lower case) is a format option: sources use it to tell
 * their own options from the format's when they refuse unknown ones. True
 * for every option of Spark's text, CSV and JSON sources, also those of
 * another format than f and those sluice refuses: sl_recparse_validate()
 * then says why ("option 'header' is an option of format csv; format
 * 'json' does not take it"). */
bool sl_recparse_has_option(enum sl_rec_format f, const char *key);

/* The options format f supports, comma separated ("mode, ..."; "none"),
 * for a source's message about an unknown option. */
void sl_recparse_option_names(enum sl_rec_format f, char *buf, size_t len);

/* A copy of spec whose options are only format f's: those a source knows
 * as its own (own(key) true) left out, so that sl_recparse_validate and
 * sl_recparse_create see the format's alone. opts must have room for
 * spec->options.n options; out's options point into it. */
void sl_recparse_format_spec(const struct sl_source_spec *spec, enum sl_rec_format f,
			     bool (*own)(const char *key), struct sl_option *opts,
			     struct sl_source_spec *out);

/* Check the format's options in spec->options and the schema against
 * format f at plan time (a text source has exactly one STRING column; a
 * column_name_of_corrupt_record names a STRING column; option values are
 * valid). 0, or -EINVAL with "line L, column C: what is wrong; what to do"
 * in err (the option's place, or the CREATE SOURCE's). */
int sl_recparse_validate(const struct sl_source_spec *spec, enum sl_rec_format f, char *err,
			 size_t errlen);

/* A parser for spec's schema and options (already validated). NULL and
 * err filled on failure (errno ENOMEM; EINVAL when they are not valid). */
struct sl_recparse *sl_recparse_create(const struct sl_source_spec *spec, enum sl_rec_format f,
				       char *err, size_t errlen);
void sl_recparse_destroy(struct sl_recparse *p);

/* A new input begins (a file): with `header = true` its first line that is
 * neither blank nor a comment is a header, not a record. */
void sl_recparse_begin(struct sl_recparse *p);

/*
 * Parse one record, line[0..len) without its line end, into row `row` of
 * out (columns = the schema, room for row + 1 rows; every column's null map
 * present). Returns
 *   1        the row is filled (in PERMISSIVE mode possibly with NULLs),
 *   0        no row: a blank line (csv, json: only whitespace), a CSV
 *            header or comment line, or a malformed record under
 *            DROPMALFORMED (counted: sl_recparse_malformed),
 *   -EINVAL  a malformed record under FAILFAST: err says what is wrong
 *            with it ("field 3 (amount): 'x1' is not a DOUBLE (mode
 *            FAILFAST ...)"), or, whatever the mode, a CSV header that does
 *            not name the columns under enforce_schema = false; the caller
 *            adds where the record is (file, line or offset) and stops,
 *   -ENOMEM  (err says so).
 */
int sl_recparse_line(struct sl_recparse *p, const char *line, uint32_t len, struct sl_chunk *out,
		     uint32_t row, char *err, size_t errlen);

/* Bytes after a line that sl_recparse_line_padded() may read. */
#define SL_RECPARSE_PADDING 64

/*
 * sl_recparse_line() for a caller whose line has SL_RECPARSE_PADDING
 * readable bytes after line[len) (any content, not changed; a line
 * splitter's buffer: lines.h SL_LINES_PADDING): the same rows, counts and
 * errors, faster. A JSON line is parsed in place rather than copied into a
 * padded buffer first.
 */
int sl_recparse_line_padded(struct sl_recparse *p, const char *line, uint32_t len,
			    struct sl_chunk *out, uint32_t row, char *err, size_t errlen);

/*
 * Rows straight from a span of lines: s[0..n) is a line splitter's
 * buffered bytes from a line's start on (lines.h sl_lines_peek), with
 * SL_RECPARSE_PADDING readable bytes after s[n); its leading complete
 * lines (each ended by '\n', by "\r\n" as well) go into rows row, row + 1,
 * ... of out, at most max of them. Returns how many it took and sets *used
 * to the bytes they fill (up to and with the last one's '\n'); each row is
 * exactly the one sl_recparse_line_padded makes of its line ('\r' removed,
 * as the splitter removes it), for which it returns 1. It stops at the
 * first line it does not take (any line but a plain one: a quote, a '\r'
 * other than one before the '\n', another number of fields, a field that
 * is empty, null_value, over max_chars_per_column or that its fast
 * conversions do not take, a blank or comment line, one over max_line
 * bytes, a header still to come, an unfinished last line) and leaves that
 * line to the splitter and sl_recparse_line_padded; 0 for every span of a
 * parser it does not serve (not CSV, a column of another type than STRING,
 * INT, BIGINT, DOUBLE or TIMESTAMP without timestamp_format, a multi-byte
 * sep, ignore_*_white_space; a multi_line record half scanned). The row it
 * stops at may have had some of its columns written: the per-line call
 * writes them all.
 */
uint32_t sl_recparse_burst_span(struct sl_recparse *p, const char *s, size_t n, uint64_t max_line,
				uint32_t max, struct sl_chunk *out, uint32_t row, size_t *used);

/* Whether sl_recparse_burst_span may take lines of this parser at all
 * (false: it always returns 0; a caller need not ask it). */
bool sl_recparse_bursts(const struct sl_recparse *p);

/* True when every byte the last sl_recparse_burst_span call took is ASCII
 * (below 0x80), so that each string it wrote is; false when one is not,
 * or when it took none. */
bool sl_recparse_burst_ascii(const struct sl_recparse *p);

/* True when the row the last sl_recparse_line(_padded) call made holds
 * only ASCII strings, as the parser saw (a JSON line its flat walk took:
 * printable ASCII without escapes); false: unknown. */
bool sl_recparse_line_ascii(const struct sl_recparse *p);

/* Whether records may span lines (csv with multi_line = true). */
bool sl_recparse_multi_line(const struct sl_recparse *p);

/*
 * Where a record ends, for multi_line: scans s[0..n), the next bytes of the
 * input, and returns the index of the '\n' that ends the record (a '\n'
 * outside quotes), or n when the record goes on past s. The scan keeps its
 * place between calls (inside a quoted field or not, after an escape), so
 * every byte is looked at once however the input is cut; after a record's
 * end it starts the next record, and sl_recparse_begin() starts afresh
 * (a new input). Quotes are read as the CSV parser reads them: a quote
 * opens a quoted field only at a field's start (after ignore_leading's
 * whitespace), `""` and the escape before a quote are a quote, a record
 * that starts with `comment` ends at its first '\n'.
 */
size_t sl_recparse_scan(struct sl_recparse *p, const char *s, size_t n);

/* Forget the scratch that strings of rows parsed so far point into. */
void sl_recparse_reset(struct sl_recparse *p);

/* Records dropped (DROPMALFORMED) or kept with NULLs because malformed
 * (PERMISSIVE), since create; FAILFAST's record is not counted. */
uint64_t sl_recparse_malformed(const struct sl_recparse *p);

#endif
