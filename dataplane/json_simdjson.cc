/*
 * json_simdjson.cc — simdjson's On-Demand API behind the C interface of
 * json_simdjson.h. The project's only C++: kept to walking the document and
 * checking what On-Demand leaves unchecked; no exceptions cross into C
 * (only simdjson's error-code API is used, allocation is nothrow).
 *
 * What On-Demand checks by itself: UTF-8, unescaped control characters and
 * unterminated strings (stage 1, over the whole line), brackets, commas and
 * colons as it walks. What it does not: the atoms (numbers, true, false,
 * null) and string escapes of values it is not asked for, so this file
 * asks for every one (walk()), as Jackson reads every token of a record.
 *
 * State of one line: open() -> [next() -> getters]* -> END -> close().
 * `cur` is the current top-level field's value; `checked` says it has been
 * checked (and maybe consumed) so that next() does not walk it again.
 */
#include "json_simdjson.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include <simdjson.h>

namespace od = simdjson::ondemand;

struct sl_simdjson {
	od::parser parser;
	od::document doc;
	od::object obj;
	od::object_iterator it;
	od::value cur;
	/* the iterators of the objects sl_simdjson_enter() went into: stack[0]
	 * is the record's; `depth` of them are open above it */
	od::object_iterator stack[SL_SIMDJSON_MAX_ENTER];
	uint32_t depth;
	bool in_field; /* cur is a field's value */
	bool checked;  /* cur was checked by a getter */
	bool has_bs;   /* the line holds a backslash: strings may be escaped */
	const char *buf; /* the line being parsed: `own`, or the caller's own
			  * bytes (sl_simdjson_open_padded) */
	uint32_t len;
	char *own;     /* a copy of the line, then SIMDJSON_PADDING zero bytes */
	size_t cap;
	char *keybuf; /* unescaped keys that held escapes */
	size_t keycap;
	char err[192];
};

static int fail(struct sl_simdjson *j, const char *what, const char *where)
{
	if (where != nullptr && where >= j->buf && where <= j->buf + j->len)
		snprintf(j->err, sizeof(j->err), "not valid JSON near byte %u: %s",
			 (unsigned)(where - j->buf) + 1, what);
	else
		snprintf(j->err, sizeof(j->err), "not valid JSON: %s", what);
	j->in_field = false;
	return SL_SIMDJSON_INVALID;
}

static int fail_code(struct sl_simdjson *j, simdjson::error_code e, const char *where)
{
	return fail(j, simdjson::error_message(e), where);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A token as On-Demand hands it (up to the next token), without the
 * whitespace after it. */
static std::string_view trim_token(std::string_view t)
{
	size_t n = t.size();
	while (n > 0 && is_ws(t[n - 1]))
		n--;
	return t.substr(0, n);
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * *integral: no fraction and no exponent. */
static bool number_ok(std::string_view t, bool *integral)
{
	size_t i = 0, n = t.size();
	if (i < n && t[i] == '-')
		i++;
	if (i >= n || !digit(t[i]))
		return false;
	if (t[i] == '0')
		i++;
	else
		while (i < n && digit(t[i]))
			i++;
	*integral = true;
	if (i < n && t[i] == '.') {
		*integral = false;
		i++;
		if (i >= n || !digit(t[i]))
			return false;
		while (i < n && digit(t[i]))
			i++;
	}
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		*integral = false;
		i++;
		if (i < n && (t[i] == '+' || t[i] == '-'))
			i++;
		if (i >= n || !digit(t[i]))
			return false;
		while (i < n && digit(t[i]))
			i++;
	}
	return i == n;
}

/* The end of a string whose text starts at s (just past its opening
 * quote): the closing quote. Stage 1 has checked that there is one. */
static const char *string_end(const struct sl_simdjson *j, const char *s, bool *escaped)
{
	const char *lim = j->buf + j->len;
	const char *q = static_cast<const char *>(memchr(s, '"', (size_t)(lim - s)));
	if (q == nullptr)
		return nullptr;
	if (memchr(s, '\\', (size_t)(q - s)) == nullptr) {
		*escaped = false;
		return q;
	}
	*escaped = true;
	for (const char *p = s; p < lim; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p;
	}
	return nullptr;
}

/* A string value or key at its raw text r: where its text lies, escapes
 * checked. */
static int string_at(struct sl_simdjson *j, const char *r, uint32_t *off, uint32_t *len,
		     bool *escaped)
{
	const char *e = string_end(j, r, escaped);
	if (e == nullptr)
		return fail(j, "unterminated string", r);
	if (*escaped && sl_simdjson_unescape(r, (uint32_t)(e - r), nullptr) < 0)
		return fail(j, "invalid escape in a string", r);
	*off = (uint32_t)(r - j->buf);
	*len = (uint32_t)(e - r);
	return SL_SIMDJSON_OK;
}

/* A string whose token On-Demand handed over: t is its raw token (from the
 * opening quote up to the next token), r just past the opening quote.
 * Stage 1 ended the token at the string's closing quote (a byte after that
 * quote starts a new token), so the end is found by trimming the token, not
 * by scanning the text for quotes again; anything else falls back to the
 * scan. */
static inline int string_tok(struct sl_simdjson *j, std::string_view t, const char *r, uint32_t *off,
		      uint32_t *len, bool *escaped)
{
	t = trim_token(t);
	if (t.size() < 2 || t.data() + 1 != r || t.back() != '"')
		return string_at(j, r, off, len, escaped);
	uint32_t n = (uint32_t)(t.size() - 2);
	*escaped = j->has_bs && memchr(r, '\\', n) != nullptr;
	if (*escaped && sl_simdjson_unescape(r, n, nullptr) < 0)
		return fail(j, "invalid escape in a string", r);
	*off = (uint32_t)(r - j->buf);
	*len = n;
	return SL_SIMDJSON_OK;
}

/* A field's key, r just past its opening quote, v its value's first byte:
 * between the key's closing quote and v lie only whitespace and the colon
 * On-Demand has checked, so the key ends where a step back from v says. */
static inline int key_at(struct sl_simdjson *j, const char *r, const char *v, uint32_t *off,
		  uint32_t *len, bool *escaped)
{
	const char *q = v - 2;
	if (q < r || v[-1] != ':' || *q != '"') {
		/* whitespace around the colon */
		q = v;
		do
			q--;
		while (q > r && is_ws(*q));
		if (q <= r || *q != ':')
			return string_at(j, r, off, len, escaped);
		do
			q--;
		while (q > r && is_ws(*q));
		if (q < r || *q != '"')
			return string_at(j, r, off, len, escaped);
	}
	uint32_t n = (uint32_t)(q - r);
	*escaped = j->has_bs && memchr(r, '\\', n) != nullptr;
	if (*escaped && sl_simdjson_unescape(r, n, nullptr) < 0)
		return fail(j, "invalid escape in a string", r);
	*off = (uint32_t)(r - j->buf);
	*len = n;
	return SL_SIMDJSON_OK;
}

/* Jackson's default limit (StreamReadConstraints, Spark 3.5's 2.15): a
 * record nested deeper is malformed. It also bounds walk()'s recursion. */
#define MAX_NESTING 1000

static int walk(struct sl_simdjson *j, od::value v, int depth);

static int walk_object(struct sl_simdjson *j, od::object o, int depth)
{
	for (auto fr : o) {
		od::field f;
		simdjson::error_code e = std::move(fr).get(f);
		if (e)
			return fail_code(j, e, nullptr);
		uint32_t off, len;
		bool esc;
		od::value v = f.value();
		int rc = key_at(j, reinterpret_cast<const char *>(f.key().raw()),
				v.raw_json_token().data(), &off, &len, &esc);
		if (rc != SL_SIMDJSON_OK)
			return rc;
		if ((rc = walk(j, v, depth)) != SL_SIMDJSON_OK)
			return rc;
	}
	return SL_SIMDJSON_OK;
}

static int walk_array(struct sl_simdjson *j, od::array a, int depth)
{
	for (auto er : a) {
		od::value v;
		simdjson::error_code e = std::move(er).get(v);
		if (e)
			return fail_code(j, e, nullptr);
		int rc = walk(j, v, depth);
		if (rc != SL_SIMDJSON_OK)
			return rc;
	}
	return SL_SIMDJSON_OK;
}

/* Check v whole (and consume it, scalars aside, which the iterator steps
 * over): every atom and every escape, as Jackson would read them. `depth`
 * is the nesting of the object or array that holds v (the record: 1). */
static int walk(struct sl_simdjson *j, od::value v, int depth)
{
	std::string_view tok = v.raw_json_token();
	const char *at = tok.data();
	od::json_type t;
	simdjson::error_code e = v.type().get(t);
	if (e)
		return fail_code(j, e, at);
	if ((t == od::json_type::object || t == od::json_type::array) && depth >= MAX_NESTING)
		return fail(j, "nested deeper than 1000 levels", at);
	switch (t) {
	case od::json_type::object: {
		od::object o;
		if ((e = v.get_object().get(o)))
			return fail_code(j, e, at);
		return walk_object(j, o, depth + 1);
	}
	case od::json_type::array: {
		od::array a;
		if ((e = v.get_array().get(a)))
			return fail_code(j, e, at);
		return walk_array(j, a, depth + 1);
	}
	case od::json_type::string: {
		od::raw_json_string r;
		if ((e = v.get_raw_json_string().get(r)))
			return fail_code(j, e, at);
		uint32_t off, len;
		bool esc;
		return string_tok(j, tok, reinterpret_cast<const char *>(r.raw()), &off, &len, &esc);
	}
	case od::json_type::number: {
		bool integral;
		if (!number_ok(trim_token(v.raw_json_token()), &integral))
			return fail(j, "invalid number", at);
		return SL_SIMDJSON_OK;
	}
	case od::json_type::boolean: {
		bool b;
		if ((e = v.get_bool().get(b)))
			return fail(j, "invalid literal (true or false expected)", at);
		return SL_SIMDJSON_OK;
	}
	case od::json_type::null: {
		bool n = false;
		if ((e = v.is_null().get(n)) || !n)
			return fail(j, "invalid literal (null expected)", at);
		return SL_SIMDJSON_OK;
	}
	}
	return fail(j, "unknown value", at);
}

/* Where the value that starts at s (checked whole) ends: past its closing
 * bracket, or past the scalar's last byte. */
static const char *value_end(const struct sl_simdjson *j, const char *s)
{
	const char *lim = j->buf + j->len;
	if (*s == '"') {
		bool esc;
		const char *q = string_end(j, s + 1, &esc);
		return q != nullptr ? q + 1 : lim;
	}
	if (*s != '{' && *s != '[') {
		const char *p = s;
		while (p < lim && !is_ws(*p) && *p != ',' && *p != '}' && *p != ']')
			p++;
		return p;
	}
	int depth = 0;
	bool in_str = false;
	for (const char *p = s; p < lim; p++) {
		char c = *p;
		if (in_str) {
			if (c == '\\')
				p++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return lim;
}

extern "C" {

struct sl_simdjson *sl_simdjson_create(void)
{
	struct sl_simdjson *j = new (std::nothrow) sl_simdjson();
	if (j == nullptr) {
		errno = ENOMEM;
		return nullptr;
	}
	return j;
}

void sl_simdjson_destroy(struct sl_simdjson *j)
{
	if (j == nullptr)
		return;
	free(j->own);
	free(j->keybuf);
	delete j;
}

/* Start on buf[0..len), readable up to cap (cap >= len + SIMDJSON_PADDING). */
static int open_at(struct sl_simdjson *j, const char *buf, uint32_t len, size_t cap)
{
	j->buf = buf;
	j->len = len;
	/* one scan of the line for a backslash, instead of one per key and
	 * string: most records have no escapes at all */
	j->has_bs = memchr(buf, '\\', len) != nullptr;
	j->in_field = false;
	j->checked = false;
	j->depth = 0;

	simdjson::error_code e = j->parser.iterate(buf, len, cap).get(j->doc);
	if (e == simdjson::MEMALLOC)
		return SL_SIMDJSON_NOMEM;
	if (e)
		return fail_code(j, e, nullptr);
	od::json_type t;
	if ((e = j->doc.type().get(t)))
		return fail_code(j, e, nullptr);
	if (t != od::json_type::object) {
		snprintf(j->err, sizeof(j->err), "a JSON %s, not an object",
			 t == od::json_type::array    ? "array"
			 : t == od::json_type::string ? "string"
			 : t == od::json_type::number ? "number"
			 : t == od::json_type::null   ? "null"
						      : "boolean");
		return SL_SIMDJSON_INVALID;
	}
	if ((e = j->doc.get_object().get(j->obj)))
		return fail_code(j, e, nullptr);
	if ((e = j->obj.begin().get(j->it)))
		return fail_code(j, e, nullptr);
	return SL_SIMDJSON_OK;
}

int sl_simdjson_open(struct sl_simdjson *j, const char *line, uint32_t len)
{
	size_t need = (size_t)len + simdjson::SIMDJSON_PADDING;
	if (need > j->cap) {
		size_t cap = j->cap ? j->cap : 4096;
		while (cap < need)
			cap *= 2;
		char *nb = static_cast<char *>(realloc(j->own, cap));
		if (nb == nullptr)
			return SL_SIMDJSON_NOMEM;
		j->own = nb;
		j->cap = cap;
	}
	memcpy(j->own, line, len);
	memset(j->own + len, 0, simdjson::SIMDJSON_PADDING);
	return open_at(j, j->own, len, j->cap);
}

static_assert(simdjson::SIMDJSON_PADDING <= SL_SIMDJSON_PADDING,
	      "SL_SIMDJSON_PADDING must cover simdjson's padding");

int sl_simdjson_open_padded(struct sl_simdjson *j, const char *line, uint32_t len)
{
	/* In place when the byte after the line is its line end. simdjson
	 * reads that byte as data in one place only (a '}' there makes it check
	 * the brackets' balance: simdjson issue 1834); '\n' and '\r', like the
	 * copy's zero bytes, are no '}', so the answers are the copy's. Any
	 * other byte (a last line without its '\n'): the copy. */
	if (line[len] != '\n' && line[len] != '\r')
		return sl_simdjson_open(j, line, len);
	return open_at(j, line, len, (size_t)len + SL_SIMDJSON_PADDING);
}

int sl_simdjson_next(struct sl_simdjson *j, const char **key, uint32_t *klen)
{
	if (j->in_field) {
		if (!j->checked) {
			int rc = walk(j, j->cur, 1);
			if (rc != SL_SIMDJSON_OK)
				return rc;
		}
		++j->it;
		j->in_field = false;
	}
	/* the iterator stays open until the object's '}' (an error is kept
	 * for the next dereference) */
	if (!(j->it != j->it))
		return SL_SIMDJSON_END;
	/* the field in place: copying simdjson's pair costs store-forwarding
	 * stalls on this path, per field */
	simdjson::simdjson_result<od::field> fr = *j->it;
	if (fr.error())
		return fail_code(j, fr.error(), nullptr);
	od::field &f = fr.value_unsafe();
	uint32_t off, len;
	bool esc;
	j->cur = f.value();
	int rc = key_at(j, reinterpret_cast<const char *>(f.key().raw()),
			j->cur.raw_json_token().data(), &off, &len, &esc);
	if (rc != SL_SIMDJSON_OK)
		return rc;
	if (!esc) {
		*key = j->buf + off;
		*klen = len;
	} else {
		if (len > j->keycap) {
			char *nb = static_cast<char *>(realloc(j->keybuf, len));
			if (nb == nullptr)
				return SL_SIMDJSON_NOMEM;
			j->keybuf = nb;
			j->keycap = len;
		}
		int64_t n = sl_simdjson_unescape(j->buf + off, len, j->keybuf);
		*key = j->keybuf;
		*klen = (uint32_t)n;
	}
	j->in_field = true;
	j->checked = false;
	return SL_SIMDJSON_OK;
}

int sl_simdjson_enter(struct sl_simdjson *j)
{
	const char *at = j->cur.raw_json_token().data();
	if (j->depth >= SL_SIMDJSON_MAX_ENTER)
		return fail(j, "objects entered too deep", at);
	od::object o;
	simdjson::error_code e = j->cur.get_object().get(o);
	if (e)
		return fail_code(j, e, at);
	/* the parent's iterator waits on the stack while the child's walks;
	 * On-Demand allows this as long as the child is walked to its end
	 * before the parent moves */
	j->stack[j->depth++] = j->it;
	if ((e = o.begin().get(j->it)))
		return fail_code(j, e, at);
	j->in_field = false;
	j->checked = false;
	return SL_SIMDJSON_OK;
}

void sl_simdjson_leave(struct sl_simdjson *j)
{
	j->it = j->stack[--j->depth];
	/* the field whose object was entered, consumed whole */
	j->in_field = true;
	j->checked = true;
}

uint32_t sl_simdjson_value_end(const struct sl_simdjson *j, uint32_t off)
{
	return (uint32_t)(value_end(j, j->buf + off) - j->buf);
}

int sl_simdjson_type(struct sl_simdjson *j, enum sl_simdjson_type *out)
{
	od::json_type t;
	simdjson::error_code e = j->cur.type().get(t);
	if (e)
		return fail_code(j, e, j->cur.raw_json_token().data());
	switch (t) {
	case od::json_type::object:
		*out = SL_SIMDJSON_OBJECT;
		break;
	case od::json_type::array:
		*out = SL_SIMDJSON_ARRAY;
		break;
	case od::json_type::string:
		*out = SL_SIMDJSON_STRING;
		break;
	case od::json_type::number:
		*out = SL_SIMDJSON_NUMBER;
		break;
	case od::json_type::boolean:
		*out = SL_SIMDJSON_BOOLEAN;
		break;
	case od::json_type::null:
		*out = SL_SIMDJSON_NULL;
		break;
	}
	return SL_SIMDJSON_OK;
}

int sl_simdjson_int64(struct sl_simdjson *j, int64_t *out)
{
	std::string_view t = trim_token(j->cur.raw_json_token());
	bool integral;
	if (!number_ok(t, &integral))
		return fail(j, "invalid number", t.data());
	/* checked; the iterator steps over the token */
	j->checked = true;
	if (!integral)
		return SL_SIMDJSON_MISMATCH;
	/* accumulated negatively so that INT64_MIN reads */
	size_t i = t[0] == '-' ? 1 : 0;
	int64_t r = 0;
	for (; i < t.size(); i++) {
		if (__builtin_mul_overflow(r, (int64_t)10, &r) ||
		    __builtin_sub_overflow(r, (int64_t)(t[i] - '0'), &r))
			return SL_SIMDJSON_MISMATCH;
	}
	if (t[0] != '-') {
		if (r == INT64_MIN)
			return SL_SIMDJSON_MISMATCH;
		r = -r;
	}
	*out = r;
	return SL_SIMDJSON_OK;
}

int sl_simdjson_double(struct sl_simdjson *j, double *out)
{
	std::string_view t = trim_token(j->cur.raw_json_token());
	bool integral;
	if (!number_ok(t, &integral))
		return fail(j, "invalid number", t.data());
	j->checked = true;
	double d;
	if (!j->cur.get_double().get(d)) {
		*out = d;
		return SL_SIMDJSON_OK;
	}
	/* what simdjson refuses but Java reads: out of double's range (1e999
	 * is infinity, 1e-999 zero); the token is short, valid and followed
	 * in the buffer by a byte strtod stops at */
	*out = strtod(t.data(), nullptr);
	return SL_SIMDJSON_OK;
}

int sl_simdjson_bool(struct sl_simdjson *j, bool *out)
{
	const char *at = j->cur.raw_json_token().data();
	j->checked = true;
	if (j->cur.get_bool().get(*out))
		return fail(j, "invalid literal (true or false expected)", at);
	return SL_SIMDJSON_OK;
}

int sl_simdjson_string(struct sl_simdjson *j, uint32_t *off, uint32_t *len, bool *escaped)
{
	std::string_view tok = j->cur.raw_json_token();
	od::raw_json_string r;
	j->checked = true;
	simdjson::error_code e = j->cur.get_raw_json_string().get(r);
	if (e)
		return fail_code(j, e, tok.data());
	return string_tok(j, tok, reinterpret_cast<const char *>(r.raw()), off, len, escaped);
}

int sl_simdjson_raw(struct sl_simdjson *j, uint32_t *off, uint32_t *len)
{
	const char *s = j->cur.raw_json_token().data();
	j->checked = true;
	int rc = walk(j, j->cur, 1);
	if (rc != SL_SIMDJSON_OK)
		return rc;
	const char *e = value_end(j, s);
	*off = (uint32_t)(s - j->buf);
	*len = (uint32_t)(e - s);
	return SL_SIMDJSON_OK;
}

void sl_simdjson_token(struct sl_simdjson *j, uint32_t *off, uint32_t *len)
{
	std::string_view t = trim_token(j->cur.raw_json_token());
	*off = (uint32_t)(t.data() - j->buf);
	*len = (uint32_t)t.size();
}

int sl_simdjson_close(struct sl_simdjson *j)
{
	/* in bounds after the object's '}' means something follows it (a
	 * second object: stage 1 let it through, its brackets balance) */
	const char *where = nullptr;
	if (!j->doc.current_location().get(where))
		return fail(j, "text after the end of the object", where);
	return SL_SIMDJSON_OK;
}

const char *sl_simdjson_error(const struct sl_simdjson *j)
{
	return j->err;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex4(const char *s)
{
	int v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval(s[k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

int64_t sl_simdjson_unescape(const char *s, uint32_t len, char *out)
{
	uint32_t i = 0, o = 0;
	while (i < len) {
		char c = s[i];
		if (c != '\\') {
			if (out != nullptr)
				out[o] = c;
			o++;
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -1;
		char e = s[i + 1];
		char lit;
		switch (e) {
		case '"': lit = '"'; break;
		case '\\': lit = '\\'; break;
		case '/': lit = '/'; break;
		case 'b': lit = '\b'; break;
		case 'f': lit = '\f'; break;
		case 'n': lit = '\n'; break;
		case 'r': lit = '\r'; break;
		case 't': lit = '\t'; break;
		case 'u': lit = 0; break;
		default: return -1;
		}
		if (e != 'u') {
			if (out != nullptr)
				out[o] = lit;
			o++;
			i += 2;
			continue;
		}
		if (i + 6 > len)
			return -1;
		int cp = hex4(s + i + 2);
		if (cp < 0)
			return -1;
		i += 6;
		if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= len && s[i] == '\\' && s[i + 1] == 'u') {
			int lo = hex4(s + i + 2);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			}
		}
		/* every form below is no longer than the escape it replaces
		 * (6 bytes for one \u, 12 for a pair) */
		uint8_t u[4];
		uint32_t n;
		if (cp >= 0xD800 && cp <= 0xDFFF) {
			u[0] = '?';
			n = 1;
		} else if (cp < 0x80) {
			u[0] = (uint8_t)cp;
			n = 1;
		} else if (cp < 0x800) {
			u[0] = (uint8_t)(0xC0 | (cp >> 6));
			u[1] = (uint8_t)(0x80 | (cp & 0x3F));
			n = 2;
		} else if (cp < 0x10000) {
			u[0] = (uint8_t)(0xE0 | (cp >> 12));
			u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
			u[2] = (uint8_t)(0x80 | (cp & 0x3F));
			n = 3;
		} else {
			u[0] = (uint8_t)(0xF0 | (cp >> 18));
			u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
			u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
			u[3] = (uint8_t)(0x80 | (cp & 0x3F));
			n = 4;
		}
		if (out != nullptr)
			memcpy(out + o, u, n);
		o += n;
	}
	return o;
}

} /* extern "C" */
