/*
 * source.c — the registry of source connectors and the option parsers every
 * connector shares. Registration happens on the control thread before any
 * core starts; lookups are read-only afterwards.
 */
#include "source.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "registry.h"

static struct sl_registry sources;

void sl_source_register(const struct sl_source_ops *ops)
{
	sl_registry_add(&sources, ops);
}

const struct sl_source_ops *sl_source_lookup(const char *name)
{
	return sl_registry_find(&sources, name);
}

void sl_source_names(char *buf, size_t len)
{
	sl_registry_names(&sources, buf, len);
}

bool sl_option_is_secret(const char *key)
{
	static const char *const parts[] = {"secret_key", "session_token", "password"};
	const char *dot = strrchr(key, '.');
	const char *last = dot != NULL ? dot + 1 : key;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strcasecmp(last, parts[i]) == 0)
			return true;
	return false;
}

const struct sl_option *sl_options_find(const struct sl_options *o, const char *key)
{
	/* the last one written wins, as in Spark's option() chains */
	for (uint32_t i = o->n; i-- > 0;)
		if (strcasecmp(o->v[i].key, key) == 0)
			return &o->v[i];
	return NULL;
}

int sl_options_pick(const struct sl_options *opts, const char *name, const char *spark,
		    const struct sl_option **out, const char **shown, char *err, size_t errlen)
{
	const struct sl_option *a = sl_options_find(opts, name);
	const struct sl_option *b = spark != NULL ? sl_options_find(opts, spark) : NULL;
	if (a != NULL && b != NULL) {
		const struct sl_option *later = a > b ? a : b;
		snprintf(err, errlen,
			 "line %u, column %u: options '%s' and '%s' are the same setting (sluice's "
			 "and Spark's name); set only one",
			 later->line, later->column, name, spark);
		return -EINVAL;
	}
	*out = a != NULL ? a : b;
	*shown = a != NULL ? name : spark;
	return 0;
}

int sl_option_bool(const struct sl_option *opt, bool *out, char *err, size_t errlen)
{
	if (strcasecmp(opt->value, "true") == 0) {
		*out = true;
		return 0;
	}
	if (strcasecmp(opt->value, "false") == 0) {
		*out = false;
		return 0;
	}
	snprintf(err, errlen, "line %u, column %u: option '%s' must be true or false, not '%s'",
		 opt->line, opt->column, opt->key, opt->value);
	return -EINVAL;
}

int sl_option_u64(const struct sl_option *opt, uint64_t min, uint64_t max, uint64_t *out,
		  char *err, size_t errlen)
{
	const char *s = opt->value;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || isspace((unsigned char)*s) || *end != '\0' || errno != 0 ||
	    v < min || v > max) {
		snprintf(err, errlen,
			 "line %u, column %u: option '%s' must be a whole number from %" PRIu64
			 " to %" PRIu64 ", not '%s'",
			 opt->line, opt->column, opt->key, min, max, opt->value);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

struct unit {
	const char *name;
	uint64_t us;
};

static const struct unit units[] = {
	{"microseconds", 1},      {"microsecond", 1},       {"us", 1},
	{"milliseconds", 1000},   {"millisecond", 1000},    {"ms", 1000},
	{"seconds", 1000000},     {"second", 1000000},      {"secs", 1000000},
	{"sec", 1000000},         {"s", 1000000},           {"minutes", 60000000ULL},
	{"minute", 60000000ULL},  {"mins", 60000000ULL},    {"min", 60000000ULL},
	{"hours", 3600000000ULL}, {"hour", 3600000000ULL},  {"h", 3600000000ULL},
	{"days", 86400000000ULL}, {"day", 86400000000ULL},  {"weeks", 604800000000ULL},
	{"week", 604800000000ULL},
};

int sl_parse_interval(const char *s, uint64_t *us_out)
{
	uint64_t total = 0;
	int parts = 0;
	while (isspace((unsigned char)*s))
		s++;
	if (strncasecmp(s, "interval", 8) == 0 && (s[8] == '\0' || isspace((unsigned char)s[8])))
		s += 8;
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		char *end;
		errno = 0;
		unsigned long long n = strtoull(s, &end, 10);
		if (errno != 0)
			return -EINVAL;
		s = end;
		while (isspace((unsigned char)*s))
			s++;
		const char *w = s;
		while (isalpha((unsigned char)*s))
			s++;
		size_t wl = (size_t)(s - w);
		const struct unit *u = NULL;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == wl && strncasecmp(units[i].name, w, wl) == 0) {
				u = &units[i];
				break;
			}
		if (u == NULL)
			return -EINVAL;
		if (n > UINT64_MAX / u->us || total > UINT64_MAX - n * u->us)
			return -ERANGE;
		total += n * u->us;
		parts++;
	}
	if (parts == 0)
		return -EINVAL;
	*us_out = total;
	return 0;
}

/* Sizes like '100M': a whole number, optional spaces, optional unit K, M,
 * G, T (powers of 1024, with or without a trailing B or iB) or B. */
int sl_parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *u;
		uint64_t mul;
	} size_units[] = {
		{"", 1},          {"b", 1},          {"k", 1ULL << 10}, {"kb", 1ULL << 10},
		{"kib", 1ULL << 10}, {"m", 1ULL << 20}, {"mb", 1ULL << 20}, {"mib", 1ULL << 20},
		{"g", 1ULL << 30}, {"gb", 1ULL << 30}, {"gib", 1ULL << 30}, {"t", 1ULL << 40},
		{"tb", 1ULL << 40}, {"tib", 1ULL << 40},
	};
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++)
		if (strcasecmp(end, size_units[i].u) == 0) {
			if (n > UINT64_MAX / size_units[i].mul)
				return -EINVAL;
			*out = n * size_units[i].mul;
			return 0;
		}
	return -EINVAL;
}

uint64_t sl_source_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int sl_source_wait_until(struct sl_ingest *in, uint64_t until_ns)
{
	for (;;) {
		if (sl_ingest_should_stop(in))
			return -ECANCELED;
		uint64_t now = sl_source_now_ns();
		if (now >= until_ns)
			return 0;
		uint64_t d = until_ns - now;
		struct timespec ts = {.tv_sec = (time_t)(d / 1000000000ULL),
				      .tv_nsec = (long)(d % 1000000000ULL)};
		struct pollfd pfd = {.fd = sl_ingest_wake_fd(in), .events = POLLIN};
		if (ppoll(&pfd, 1, &ts, NULL) > 0) {
			sl_ingest_wake_ack(in);
			if (sl_ingest_poll(in) == -ECANCELED)
				return -ECANCELED;
		}
	}
}
