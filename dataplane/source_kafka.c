/*
 * source_kafka.c — the "kafka" source connector: Spark's Kafka source
 * (KafkaMicroBatchStream) on librdkafka.
 *
 * A query reads the partitions of the topics it names (subscribe: a comma
 * list; subscribe_pattern: a regular expression over every topic's name;
 * assign: JSON {"topic":[0,1]}) in micro-batches whose end offsets are
 * planned before they are read, as Spark plans each batch's offset range:
 * every batch is exactly the records [start, end) of each partition, so a
 * checkpoint can say where each batch ended and a restart can read the
 * same records again. Offsets live in the query's checkpoint, never in a
 * consumer group (commit_offsets_to_group = true also commits them there
 * after each committed batch, for lag monitoring only).
 *
 * Who does what:
 *  - open() (control thread) checks the options again, builds librdkafka's
 *    configuration (kafka.* options passed through), connects a metadata
 *    handle and lists the partitions (a broker that cannot be reached
 *    fails the query here, after kafka.socket.timeout.ms), resolves the
 *    starting offsets (earliest, latest, JSON, or by timestamp) and makes
 *    every ingest core's record parser.
 *  - The planner, a thread of the source started by ingest core 0's run():
 *    at each trigger it looks for new partitions (at most once a second;
 *    new partitions start at their earliest offset, as Spark's), asks for
 *    the partitions' newest offsets (ListOffsets, one request per broker),
 *    bounds them by max_offsets_per_trigger (Spark's rateLimit: shares in
 *    proportion to each partition's backlog) and waits, under
 *    min_offsets_per_trigger, until enough records are there or
 *    max_trigger_delay has passed; then it hands the batch to the cores.
 *    Blocking calls to the brokers happen only there, never on an ingest
 *    core's path.
 *  - Each partition belongs to one ingest core (the least loaded when it
 *    is found); the core's own consumer handle (assign, no group
 *    membership) fetches it into a partition queue of its own, so a core
 *    takes from each partition exactly the records of the batch and leaves
 *    the rest queued in librdkafka (whose prefetch is bounded by
 *    queued.max.messages.kbytes: that is the backpressure). Records are
 *    parsed straight into the ingest batch: with no `format` as Spark's
 *    Kafka rows (key, value, topic, partition, offset, timestamp,
 *    timestampType; the strings point into librdkafka's messages, released
 *    after the commit), with format text, csv or json through recparse.h
 *    (one record per message).
 *
 * A batch (s->batch, under s->mu), as the file source's:
 *  - EMPTY: the planner plans one (ranges per core) -> READING, and wakes
 *    the cores.
 *  - READING: each core reads its ranges, commits the rows (all into the
 *    epoch E every core is filling: none can be cut before every core of
 *    the source has said it done) and reports. When every core has:
 *     - if there were rows, the planner announces E and every core says it
 *       done (sl_ingest_epoch_done) -> ANNOUNCED;
 *     - else there is no epoch to wait for -> EMPTY.
 *  - ANNOUNCED: once E is finished (sl_ingest_settled() > E) -> EMPTY.
 * So a batch is exactly one epoch. The planner notes each batch handed
 * over (its epoch, every partition's next offset after it) for the
 * checkpoint.
 *
 * Data loss (fail_on_data_loss, Spark's failOnDataLoss): records deleted
 * before they were read (retention moved a partition's earliest offset past
 * the next one to read: the consumer's offset-out-of-range), a partition
 * whose newest offset went below the next one to read (deleted and
 * recreated), a partition of the checkpoint that no longer exists. True
 * (the default): the query stops with a message that names the topic, the
 * partition and the offsets. False: the source warns, counts the records it
 * skipped, and goes on from the earliest offset there is.
 *
 * Checkpoint offset (little-endian), what a restart goes on from:
 *   0  u8   version (1)
 *   1  u8   'k'
 *   2  u64  batches handed over: the id of the next one
 *  10  u32  partitions, then per partition:
 *      u16  n, n bytes: the topic
 *      i32  the partition
 *      i64  the next offset to read
 * The source writes no log: the offsets say it all. A restart reads every
 * partition from its offset; the batch that ran but was not committed is
 * read again with the same ends (the replayed offset), whatever the limits.
 *
 * The headers column (include_headers = true, Spark's array<struct<key:
 * string, value: binary>>): each core keeps a growing vector of HEADER
 * elements (struct sl_header, pointing into the held messages) that the
 * batch's headers column points at (source.h), emptied after each commit;
 * a record without headers has a NULL headers value, as Spark's
 * KafkaRecordToRowConverter gives.
 *
 * Transaction markers (control records) take offsets that are never
 * delivered: a range whose end lies right after one would wait for them.
 * The consumers run with enable.partition.eof: a partition-end event at or
 * past the range's end says every record before it has come, and the range
 * is read (read_range). read_uncommitted only (read_committed is not
 * offered: the mock cluster the tests run against cannot check it).
 */
#include "source_kafka.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <hs/hs.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "format.h" /* sl_strbuf, sl_random_hex */
#include "ingest.h" /* sl_ingest_epoch, _settled, _committed, _epoch_done */
#include "recparse.h"
#include "source.h"

#define K_MSGS 1024                 /* messages taken from a queue at once */
#define K_WAIT_MS 100               /* a core's longest sleep */
#define K_POLL_MS 10                /* planner: nothing new yet, look again after */
#define K_REFRESH_MS 100            /* planner: ask the brokers at most this often when idle */
#define K_DISCOVER_MS 1000          /* planner: new partitions, at most this often */
#define K_STALL_WARN_MS 10000       /* say so when a partition waits this long */
#define K_DEFAULT_TIMEOUT_MS 30000  /* metadata at start, when kafka.socket.timeout.ms is unset */
#define K_PLAN_CALL_MS 2000         /* the planner's requests while the query runs */
#define K_DEFAULT_MAX_DELAY_US (15ULL * 60 * 1000000) /* Spark's maxTriggerDelay */
#define K_CK_VERSION 1

/* ------------------------------------------------------------------ */
/* JSON of the options                                                 */

struct jp {
	const char *s;
	size_t n, i;
	char *err;
	size_t errlen;
};

static int jp_fail(struct jp *j, const char *what)
{
	snprintf(j->err, j->errlen, "at byte %zu: %s", j->i + 1, what);
	return -EINVAL;
}

static void jp_ws(struct jp *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' ||
			       j->s[j->i] == '\r'))
		j->i++;
}

static bool jp_eat(struct jp *j, char c)
{
	jp_ws(j);
	if (j->i < j->n && j->s[j->i] == c) {
		j->i++;
		return true;
	}
	return false;
}

/* A JSON string into a malloc'ed C string (no NUL inside). */
static int jp_string(struct jp *j, char **out)
{
	jp_ws(j);
	if (j->i >= j->n || j->s[j->i] != '"')
		return jp_fail(j, "expected a string in double quotes");
	j->i++;
	size_t cap = 16, len = 0;
	char *b = malloc(cap);
	if (b == NULL)
		return -ENOMEM;
	for (;;) {
		if (j->i >= j->n) {
			free(b);
			return jp_fail(j, "the string does not end");
		}
		unsigned char c = (unsigned char)j->s[j->i++];
		uint32_t cp = c;
		if (c == '"')
			break;
		if (c < 0x20) {
			free(b);
			j->i--;
			return jp_fail(j, "a control character in a string (write it as \\uXXXX)");
		}
		if (c == '\\') {
			if (j->i >= j->n) {
				free(b);
				return jp_fail(j, "the string does not end");
			}
			char e = j->s[j->i++];
			switch (e) {
			case '"': case '\\': case '/': cp = (uint32_t)e; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				cp = 0;
				for (int k = 0; k < 4; k++) {
					int h = j->i < j->n ? sl_hex_value(j->s[j->i]) : -1;
					if (h < 0) {
						free(b);
						return jp_fail(j, "\\u needs four hex digits");
					}
					cp = cp * 16 + (uint32_t)h;
					j->i++;
				}
				if (cp >= 0xd800 && cp <= 0xdfff) {
					free(b);
					return jp_fail(j, "a \\u surrogate in a topic name");
				}
				if (cp == 0) {
					free(b);
					return jp_fail(j, "a NUL character in a topic name");
				}
				break;
			default:
				free(b);
				j->i--;
				return jp_fail(j, "an unknown escape in a string");
			}
		}
		char enc[4];
		size_t el;
		if (cp < 0x80) {
			enc[0] = (char)cp;
			el = 1;
		} else if (c >= 0x80) {
			enc[0] = (char)c; /* raw UTF-8 bytes pass through */
			el = 1;
		} else if (cp < 0x800) {
			enc[0] = (char)(0xc0 | (cp >> 6));
			enc[1] = (char)(0x80 | (cp & 0x3f));
			el = 2;
		} else {
			enc[0] = (char)(0xe0 | (cp >> 12));
			enc[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			enc[2] = (char)(0x80 | (cp & 0x3f));
			el = 3;
		}
		if (len + el + 1 > cap) {
			cap *= 2;
			char *nb = realloc(b, cap);
			if (nb == NULL) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		memcpy(b + len, enc, el);
		len += el;
	}
	b[len] = '\0';
	*out = b;
	return 0;
}

/* A JSON integer (no fraction, no exponent) in [min, max]. */
static int jp_int(struct jp *j, int64_t min, int64_t max, int64_t *out)
{
	jp_ws(j);
	size_t st = j->i;
	bool neg = j->i < j->n && j->s[j->i] == '-';
	if (neg)
		j->i++;
	if (j->i >= j->n || !isdigit((unsigned char)j->s[j->i]))
		return jp_fail(j, "expected a whole number");
	if (j->s[j->i] == '0' && j->i + 1 < j->n && isdigit((unsigned char)j->s[j->i + 1]))
		return jp_fail(j, "a number with a leading zero");
	uint64_t v = 0;
	while (j->i < j->n && isdigit((unsigned char)j->s[j->i])) {
		unsigned d = (unsigned)(j->s[j->i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			j->i = st;
			return jp_fail(j, "a number too large");
		}
		v = v * 10 + d;
		j->i++;
	}
	if (j->i < j->n && (j->s[j->i] == '.' || j->s[j->i] == 'e' || j->s[j->i] == 'E'))
		return jp_fail(j, "expected a whole number, not a fraction or exponent");
	int64_t x;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1) {
			j->i = st;
			return jp_fail(j, "a number too large");
		}
		x = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX) {
			j->i = st;
			return jp_fail(j, "a number too large");
		}
		x = (int64_t)v;
	}
	if (x < min || x > max) {
		j->i = st;
		char m[96];
		snprintf(m, sizeof(m), "%" PRId64 " is out of range (%" PRId64 " to %" PRId64 ")", x,
			 min, max);
		return jp_fail(j, m);
	}
	*out = x;
	return 0;
}

/* A partition number written as a JSON string ("0"). */
static int jp_part_key(struct jp *j, int32_t *out)
{
	size_t st;
	jp_ws(j);
	st = j->i;
	char *k = NULL;
	int rc = jp_string(j, &k);
	if (rc < 0)
		return rc;
	char *end = NULL;
	errno = 0;
	long v = strtol(k, &end, 10);
	bool ok = k[0] >= '0' && k[0] <= '9' && *end == '\0' && errno == 0 && v <= INT32_MAX &&
		  (k[0] != '0' || k[1] == '\0');
	free(k);
	if (!ok) {
		j->i = st;
		return jp_fail(j, "a partition must be a whole number from 0 to 2147483647 in "
				  "quotes, e.g. \"0\"");
	}
	*out = (int32_t)v;
	return 0;
}

void sl_kafka_tpo_free(struct sl_kafka_tpo *v, uint32_t n)
{
	for (uint32_t i = 0; v != NULL && i < n; i++)
		free(v[i].topic);
	free(v);
}

static int tpo_add(struct sl_kafka_tpo **v, uint32_t *n, uint32_t *cap, const char *topic,
		   int32_t part, int64_t value)
{
	if (*n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 8;
		struct sl_kafka_tpo *nv = realloc(*v, c * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	char *t = strdup(topic);
	if (t == NULL)
		return -ENOMEM;
	(*v)[(*n)++] = (struct sl_kafka_tpo){.topic = t, .partition = part, .value = value};
	return 0;
}

static bool tpo_has(const struct sl_kafka_tpo *v, uint32_t n, const char *topic, int32_t part)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i].partition == part && strcmp(v[i].topic, topic) == 0)
			return true;
	return false;
}

int sl_kafka_json_parse(const char *s, size_t len, bool assign, struct sl_kafka_tpo **out,
			uint32_t *n, char *err, size_t errlen)
{
	struct jp j = {.s = s, .n = len, .err = err, .errlen = errlen};
	struct sl_kafka_tpo *v = NULL;
	uint32_t nv = 0, cap = 0;
	char *topic = NULL;
	int rc = 0;
	if (!jp_eat(&j, '{')) {
		rc = jp_fail(&j, assign ? "expected a JSON object such as {\"topic\":[0,1]}"
					: "expected a JSON object such as {\"topic\":{\"0\":23}}");
		goto out;
	}
	if (jp_eat(&j, '}'))
		goto end;
	for (;;) {
		if ((rc = jp_string(&j, &topic)) < 0)
			goto out;
		if (topic[0] == '\0') {
			rc = jp_fail(&j, "a topic name is empty");
			goto out;
		}
		for (uint32_t i = 0; i < nv; i++)
			if (strcmp(v[i].topic, topic) == 0) {
				rc = jp_fail(&j, "a topic named twice");
				goto out;
			}
		if (!jp_eat(&j, ':')) {
			rc = jp_fail(&j, "expected ':' after the topic");
			goto out;
		}
		uint32_t first = nv;
		if (assign) {
			if (!jp_eat(&j, '[')) {
				rc = jp_fail(&j, "expected an array of partitions, e.g. [0,1]");
				goto out;
			}
			if (!jp_eat(&j, ']')) {
				for (;;) {
					int64_t p;
					if ((rc = jp_int(&j, 0, INT32_MAX, &p)) < 0)
						goto out;
					if (nv > first && tpo_has(v + first, nv - first, topic, (int32_t)p)) {
						rc = jp_fail(&j, "a partition named twice");
						goto out;
					}
					if ((rc = tpo_add(&v, &nv, &cap, topic, (int32_t)p, 0)) < 0)
						goto out;
					if (jp_eat(&j, ']'))
						break;
					if (!jp_eat(&j, ',')) {
						rc = jp_fail(&j, "expected ',' or ']'");
						goto out;
					}
				}
			}
		} else {
			if (!jp_eat(&j, '{')) {
				rc = jp_fail(&j, "expected an object of partitions, e.g. {\"0\":23}");
				goto out;
			}
			if (!jp_eat(&j, '}')) {
				for (;;) {
					int32_t p;
					int64_t o;
					if ((rc = jp_part_key(&j, &p)) < 0)
						goto out;
					if (nv > first && tpo_has(v + first, nv - first, topic, p)) {
						rc = jp_fail(&j, "a partition named twice");
						goto out;
					}
					if (!jp_eat(&j, ':')) {
						rc = jp_fail(&j, "expected ':' after the partition");
						goto out;
					}
					if ((rc = jp_int(&j, INT64_MIN, INT64_MAX, &o)) < 0)
						goto out;
					if ((rc = tpo_add(&v, &nv, &cap, topic, p, o)) < 0)
						goto out;
					if (jp_eat(&j, '}'))
						break;
					if (!jp_eat(&j, ',')) {
						rc = jp_fail(&j, "expected ',' or '}'");
						goto out;
					}
				}
			}
		}
		free(topic);
		topic = NULL;
		if (jp_eat(&j, '}'))
			break;
		if (!jp_eat(&j, ',')) {
			rc = jp_fail(&j, "expected ',' or '}'");
			goto out;
		}
	}
end:
	jp_ws(&j);
	if (j.i != j.n) {
		rc = jp_fail(&j, "something follows the JSON object");
		goto out;
	}
	*out = v;
	*n = nv;
	return 0;
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(topic);
	sl_kafka_tpo_free(v, nv);
	return rc;
}

void sl_kafka_rate_limit(uint64_t limit, const int64_t *from, const int64_t *until, int64_t *end,
			 uint32_t n)
{
	double total = 0;
	for (uint32_t i = 0; i < n; i++)
		if (until[i] > from[i])
			total += (double)(until[i] - from[i]);
	for (uint32_t i = 0; i < n; i++) {
		end[i] = until[i];
		if (total < 1 || until[i] <= from[i])
			continue;
		double prorate = (double)limit * ((double)(until[i] - from[i]) / total);
		double r = prorate < 1 ? ceil(prorate) : floor(prorate);
		int64_t add = r >= (double)INT64_MAX ? INT64_MAX : (int64_t)r;
		int64_t off = add > INT64_MAX - from[i] ? INT64_MAX : from[i] + add;
		end[i] = off < until[i] ? off : until[i];
	}
	/* Spark's rounding up of small shares can take a few more than the
	 * limit: take them back from the largest shares (first keeping one
	 * record each, then, when the limit is below the partitions with
	 * records, not even that) */
	uint64_t sum = 0;
	for (uint32_t i = 0; i < n; i++)
		sum += (uint64_t)(end[i] - from[i]);
	for (int keep = 1; keep >= 0 && sum > limit; keep--)
		while (sum > limit) {
			uint32_t big = UINT32_MAX;
			for (uint32_t i = 0; i < n; i++)
				if (end[i] - from[i] > keep &&
				    (big == UINT32_MAX || end[i] - from[i] > end[big] - from[big]))
					big = i;
			if (big == UINT32_MAX)
				break;
			uint64_t d = sum - limit, can = (uint64_t)(end[big] - from[big] - keep);
			if (d > can)
				d = can;
			end[big] -= (int64_t)d;
			sum -= d;
		}
}

/* ------------------------------------------------------------------ */
/* options                                                             */

/* Spark's Kafka rows, the columns without `format`. */
enum kcol {
	KC_KEY,
	KC_VALUE,
	KC_TOPIC,
	KC_PARTITION,
	KC_OFFSET,
	KC_TIMESTAMP,
	KC_TSTYPE,
	KC_HEADERS, /* only with include_headers = true */
	KC_N
};
static const char *const kcol_name[KC_N] = {"key",	 "value",	  "topic",
					    "partition", "offset",	  "timestamp",
					    "timestampType", "headers"};
static const enum sl_type kcol_type[KC_N] = {SL_TYPE_BINARY,	SL_TYPE_BINARY, SL_TYPE_STRING,
					     SL_TYPE_INT,	SL_TYPE_BIGINT, SL_TYPE_TIMESTAMP,
					     SL_TYPE_INT,	SL_TYPE_ARRAY};
#define KC_HEADERS_TYPE "ARRAY<STRUCT<key: STRING, value: BINARY>>" 

enum ksub { SUB_LIST, SUB_PATTERN, SUB_ASSIGN };
enum kstart { START_LATEST, START_EARLIEST, START_JSON, START_TS, START_TS_JSON };

struct kparams {
	const char *bootstrap;
	enum ksub sub;
	const struct sl_option *sub_opt;
	enum kstart start;
	const struct sl_option *start_opt;
	int64_t start_ts;
	bool ts_latest; /* starting_offsets_by_timestamp_strategy = latest */
	uint64_t max_offsets, min_offsets; /* 0: none */
	uint64_t max_delay_us;
	bool fail_on_data_loss;
	bool commit_to_group;
	const char *group_prefix;
	bool has_format;
	enum sl_rec_format format;
	const char *format_name;
	bool headers; /* include_headers */
};

/* The source's own options: sluice's name, Spark's. */
static const char *const kafka_keys[][2] = {
	{"bootstrap_servers", "kafka.bootstrap.servers"},
	{"subscribe", NULL},
	{"subscribe_pattern", "subscribePattern"},
	{"assign", NULL},
	{"starting_offsets", "startingOffsets"},
	{"starting_timestamp", "startingTimestamp"},
	{"starting_offsets_by_timestamp", "startingOffsetsByTimestamp"},
	{"starting_offsets_by_timestamp_strategy", "startingOffsetsByTimestampStrategy"},
	{"max_offsets_per_trigger", "maxOffsetsPerTrigger"},
	{"min_offsets_per_trigger", "minOffsetsPerTrigger"},
	{"max_trigger_delay", "maxTriggerDelay"},
	{"fail_on_data_loss", "failOnDataLoss"},
	{"include_headers", "includeHeaders"},
	{"commit_offsets_to_group", "commitOffsetsToGroup"},
	{"group_id_prefix", "groupIdPrefix"},
	{"format", NULL},
};
#define NKEYS (sizeof(kafka_keys) / sizeof(kafka_keys[0]))

/* librdkafka settings the source owns (Spark refuses the same ones). */
static const char *const kafka_owned[][2] = {
	{"auto.offset.reset", "set the source option 'starting_offsets' instead"},
	{"enable.auto.commit", "offsets are kept in the query's checkpoint; "
			       "commit_offsets_to_group = true also commits them to the group"},
	{"enable.auto.offset.store", "offsets are kept in the query's checkpoint"},
	{"enable.partition.eof", "the source plans each batch's ends itself"},
	{"group.protocol.type", "the source assigns partitions itself"},
	{"isolation.level", "the source reads read_uncommitted, as Spark's does by default "
			    "(read_committed is not offered yet)"},
	{"key.deserializer", "keys are bytes, shown as STRING"},
	{"value.deserializer", "values are bytes, shown as STRING, or parsed by `format`"},
	{"interceptor.classes", "not a librdkafka setting"},
};

static bool is_kafka_key(const char *key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcasecmp(key, kafka_keys[i][0]) == 0 ||
		    (kafka_keys[i][1] != NULL && strcasecmp(key, kafka_keys[i][1]) == 0))
			return true;
	return false;
}

/* The source's own options and librdkafka's (kafka.*): not the format's. */
static bool kafka_own_key(const char *key)
{
	return is_kafka_key(key) || strncasecmp(key, "kafka.", 6) == 0;
}

static void known_text(char *buf, size_t len)
{
	size_t used = 0;
	for (size_t i = 0; i < NKEYS && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s%s%s%s", i ? ", " : "",
				 kafka_keys[i][0], kafka_keys[i][1] ? " (" : "",
				 kafka_keys[i][1] ? kafka_keys[i][1] : "", kafka_keys[i][1] ? ")" : "");
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (used < len)
		snprintf(buf + used, len - used, ", and kafka.<setting> for librdkafka");
}

#define OPT_FAIL(o, ...)                                                                        \
	do {                                                                                    \
		char m_[768];                                                                   \
		snprintf(m_, sizeof(m_), __VA_ARGS__);                                          \
		snprintf(err, errlen, "line %u, column %u: %s", (o)->line, (o)->column, m_);   \
		return -EINVAL;                                                                 \
	} while (0)

/* Check one kafka.<x> option against librdkafka on a scratch conf. */
static int check_kafka_setting(rd_kafka_conf_t *conf, const struct sl_option *o, char *err,
			       size_t errlen)
{
	const char *k = o->key + 6;
	for (size_t i = 0; i < sizeof(kafka_owned) / sizeof(kafka_owned[0]); i++)
		if (strcasecmp(k, kafka_owned[i][0]) == 0)
			OPT_FAIL(o, "option '%s' is not supported (Kafka option '%s' is the source's "
				    "own): %s",
				 o->key, k, kafka_owned[i][1]);
	if (strcasecmp(k, "bootstrap.servers") == 0)
		return 0;
	char e[512];
	if (rd_kafka_conf_set(conf, k, o->value, e, sizeof(e)) != RD_KAFKA_CONF_OK)
		OPT_FAIL(o, "option '%s': librdkafka refuses '%s' = '%s': %s", o->key, k, o->value,
			 e);
	return 0;
}

static int bool_opt(const struct sl_options *opts, const char *a, const char *b, bool *out,
		    char *err, size_t errlen)
{
	const struct sl_option *o;
	const char *k;
	if (sl_options_pick(opts, a, b, &o, &k, err, errlen) < 0)
		return -EINVAL;
	return o == NULL ? 0 : sl_option_bool(o, out, err, errlen);
}

static int u64_opt(const struct sl_options *opts, const char *a, const char *b, uint64_t *out,
		   char *err, size_t errlen)
{
	const struct sl_option *o;
	const char *k;
	if (sl_options_pick(opts, a, b, &o, &k, err, errlen) < 0)
		return -EINVAL;
	if (o == NULL)
		return 0;
	if (sl_option_u64(o, 1, INT64_MAX, out, err, errlen) < 0)
		OPT_FAIL(o, "option '%s' must be a whole number of offsets from 1 to %" PRId64
			    ", not '%s'",
			 k, INT64_MAX, o->value);
	return 0;
}

/* Columns without `format`: Kafka's, by name (any subset, any order). */
static int kafka_col_of(const char *name)
{
	for (int c = 0; c < KC_N; c++)
		if (strcasecmp(name, kcol_name[c]) == 0)
			return c;
	return -1;
}

static int check_kafka_columns(const struct sl_source_spec *spec, bool headers, char *err,
			       size_t errlen)
{
	const struct sl_schema *sc = &spec->schema;
	for (uint32_t i = 0; i < sc->ncols; i++) {
		int c = kafka_col_of(sc->cols[i].name);
		if (c == KC_HEADERS && !headers) {
			snprintf(err, errlen,
				 "line %u, column %u: kafka source '%s' declares column 'headers', "
				 "which Kafka's rows have only with include_headers = true; set it, "
				 "or leave the column out",
				 spec->line, spec->column, spec->name);
			return -EINVAL;
		}
		if (c == KC_HEADERS) {
			if (sc->cols[i].type != SL_TYPE_ARRAY || sc->cols[i].elem_type != SL_TYPE_HEADER) {
				char tb[64];
				snprintf(tb, sizeof(tb), "ARRAY<%s>", sl_type_name(sc->cols[i].elem_type));
				snprintf(err, errlen,
					 "line %u, column %u: kafka source '%s': column 'headers' is "
					 "%s in Kafka's rows, not %s; declare it so",
					 spec->line, spec->column, spec->name, KC_HEADERS_TYPE,
					 sc->cols[i].type == SL_TYPE_ARRAY ? tb
									   : sl_type_name(sc->cols[i].type));
				return -EINVAL;
			}
			continue;
		}
		if (c < 0) {
			snprintf(err, errlen,
				 "line %u, column %u: kafka source '%s' has no format, so its columns "
				 "are Kafka's (key BINARY, value BINARY, topic STRING, partition INT, "
				 "offset BIGINT, timestamp TIMESTAMP, timestampType INT, and with "
				 "include_headers = true headers " KC_HEADERS_TYPE "), not '%s'; "
				 "leave the columns out, name some of Kafka's, or set format = "
				 "'json', 'csv' or 'text' to parse the values into your columns",
				 spec->line, spec->column, spec->name, sc->cols[i].name);
			return -EINVAL;
		}
		/* key and value are bytes: BINARY as Spark's, or STRING holding
		 * the same bytes (what CAST(value AS STRING) gives) */
		bool ok = sc->cols[i].type == kcol_type[c] ||
			  (kcol_type[c] == SL_TYPE_BINARY && sc->cols[i].type == SL_TYPE_STRING);
		if (!ok) {
			snprintf(err, errlen,
				 "line %u, column %u: kafka source '%s': column '%s' is %s in Kafka's "
				 "rows, not %s; declare it %s%s (and CAST it in the query)",
				 spec->line, spec->column, spec->name, sc->cols[i].name,
				 sl_type_name(kcol_type[c]), sl_type_name(sc->cols[i].type),
				 sl_type_name(kcol_type[c]),
				 kcol_type[c] == SL_TYPE_BINARY ? " or STRING" : "");
			return -EINVAL;
		}
		for (uint32_t k = 0; k < i; k++)
			if (kafka_col_of(sc->cols[k].name) == c) {
				snprintf(err, errlen,
					 "line %u, column %u: kafka source '%s' declares column '%s' "
					 "twice",
					 spec->line, spec->column, spec->name, kcol_name[c]);
				return -EINVAL;
			}
	}
	return 0;
}

/* subscribe_pattern as Hyperscan compiles it (PCRE syntax, as near Java's
 * as C has): anchored at both ends, since Spark's Pattern.matches() takes
 * the whole name. NULL with the reason in err. */
static hs_database_t *compile_pattern(const char *pat, char *err, size_t errlen)
{
	size_t n = strlen(pat);
	char *a = malloc(n + 8);
	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(a, n + 8, "^(?:%s)$", pat);
	hs_database_t *db = NULL;
	hs_compile_error_t *ce = NULL;
	if (hs_compile(a, HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY, HS_MODE_BLOCK, NULL, &db, &ce) !=
	    HS_SUCCESS) {
		snprintf(err, errlen, "%s", ce ? ce->message : "it does not compile");
		hs_free_compile_error(ce);
		db = NULL;
	}
	free(a);
	return db;
}

static int parse_params(const struct sl_source_spec *spec, struct kparams *p, char *err,
			size_t errlen)
{
	const struct sl_options *opts = &spec->options;
	*p = (struct kparams){.max_delay_us = K_DEFAULT_MAX_DELAY_US, .fail_on_data_loss = true,
			      .format_name = "none"};
	const struct sl_option *o;
	const char *k;
	if ((o = sl_options_find(opts, "format")) != NULL) {
		if (sl_rec_format_parse(o->value, &p->format) < 0)
			OPT_FAIL(o, "option 'format' must be 'text', 'csv' or 'json' (or left out "
				    "for Kafka's own columns: key, value, topic, partition, offset, "
				    "timestamp, timestampType), not '%s'",
				 o->value);
		p->has_format = true;
		p->format_name = o->value;
	}
	rd_kafka_conf_t *scratch = rd_kafka_conf_new();
	if (scratch == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = 0;
	for (uint32_t i = 0; i < opts->n && rc == 0; i++) {
		const struct sl_option *v = &opts->v[i];
		if (strcasecmp(v->key, "connector") == 0 || is_kafka_key(v->key))
			continue;
		if (strncasecmp(v->key, "kafka.", 6) == 0) {
			rc = check_kafka_setting(scratch, v, err, errlen);
			continue;
		}
		if (p->has_format && sl_recparse_has_option(p->format, v->key))
			continue;
		char known[1536];
		known_text(known, sizeof(known));
		if (!p->has_format && sl_recparse_has_option(SL_REC_CSV, v->key))
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' is a format's option, and kafka "
				 "source '%s' has no format; set format = 'csv' or 'json' to parse "
				 "the values",
				 v->line, v->column, v->key, spec->name);
		else
			snprintf(err, errlen,
				 "line %u, column %u: unknown option '%s' for connector 'kafka' "
				 "(known options: %s%s%s)",
				 v->line, v->column, v->key, known,
				 p->has_format ? "; and the options of format " : "",
				 p->has_format ? p->format_name : "");
		rc = -EINVAL;
	}
	rd_kafka_conf_destroy(scratch);
	if (rc < 0)
		return rc;

	if (sl_options_pick(opts, "bootstrap_servers", "kafka.bootstrap.servers", &o, &k, err,
			    errlen) < 0)
		return -EINVAL;
	if (o == NULL || o->value[0] == '\0') {
		snprintf(err, errlen,
			 "line %u, column %u: kafka source '%s' needs option 'bootstrap_servers' "
			 "(Spark: kafka.bootstrap.servers), the brokers to ask first, e.g. "
			 "bootstrap_servers = 'broker1:9092,broker2:9092'",
			 o ? o->line : spec->line, o ? o->column : spec->column, spec->name);
		return -EINVAL;
	}
	p->bootstrap = o->value;

	const struct sl_option *sub[3] = {sl_options_find(opts, "subscribe"), NULL,
					  sl_options_find(opts, "assign")};
	if (sl_options_pick(opts, "subscribe_pattern", "subscribePattern", &sub[1], &k, err,
			    errlen) < 0)
		return -EINVAL;
	int nsub = (sub[0] != NULL) + (sub[1] != NULL) + (sub[2] != NULL);
	if (nsub != 1) {
		const struct sl_option *w = sub[2] ? sub[2] : sub[1] ? sub[1] : sub[0];
		snprintf(err, errlen,
			 "line %u, column %u: kafka source '%s' needs exactly one of 'subscribe' "
			 "(topics, comma separated), 'subscribe_pattern' (a regular expression "
			 "over topic names) and 'assign' (JSON, e.g. {\"topic\":[0,1]}); %s",
			 w ? w->line : spec->line, w ? w->column : spec->column, spec->name,
			 nsub == 0 ? "it has none" : "it has more than one");
		return -EINVAL;
	}
	p->sub = sub[0] ? SUB_LIST : sub[1] ? SUB_PATTERN : SUB_ASSIGN;
	p->sub_opt = sub[0] ? sub[0] : sub[1] ? sub[1] : sub[2];
	o = p->sub_opt;
	if (p->sub == SUB_LIST) {
		const char *s = o->value;
		bool empty = true, bad = false;
		for (const char *t = s;; t++) {
			if (*t == ',' || *t == '\0') {
				bad |= empty;
				empty = true;
				if (*t == '\0')
					break;
			} else if (!isspace((unsigned char)*t)) {
				empty = false;
			}
		}
		if (bad)
			OPT_FAIL(o, "option 'subscribe' ('%s') has an empty topic name; list "
				    "topics separated by commas, e.g. subscribe = 'clicks,views'",
				 s);
	} else if (p->sub == SUB_PATTERN) {
		char e[512];
		hs_database_t *db = compile_pattern(o->value, e, sizeof(e));
		if (db == NULL)
			OPT_FAIL(o, "option '%s' ('%s') is not a regular expression sluice can use: %s",
				 o->key, o->value, e);
		hs_free_database(db);
	} else {
		struct sl_kafka_tpo *v = NULL;
		uint32_t n = 0;
		char e[256];
		rc = sl_kafka_json_parse(o->value, strlen(o->value), true, &v, &n, e, sizeof(e));
		if (rc == -ENOMEM) {
			snprintf(err, errlen, "out of memory");
			return rc;
		}
		if (rc < 0)
			OPT_FAIL(o, "option 'assign' is not valid JSON of topics and partitions "
				    "(e.g. {\"topicA\":[0,1],\"topicB\":[2]}): %s",
				 e);
		sl_kafka_tpo_free(v, n);
		if (n == 0)
			OPT_FAIL(o, "option 'assign' names no partition");
	}

	const struct sl_option *so, *to, *tjo;
	const char *sk, *tk, *tjk;
	if (sl_options_pick(opts, "starting_offsets", "startingOffsets", &so, &sk, err, errlen) <
		    0 ||
	    sl_options_pick(opts, "starting_timestamp", "startingTimestamp", &to, &tk, err,
			    errlen) < 0 ||
	    sl_options_pick(opts, "starting_offsets_by_timestamp", "startingOffsetsByTimestamp",
			    &tjo, &tjk, err, errlen) < 0)
		return -EINVAL;
	if ((so != NULL) + (to != NULL) + (tjo != NULL) > 1) {
		const struct sl_option *w = tjo ? tjo : to;
		OPT_FAIL(w, "set only one of 'starting_offsets', 'starting_timestamp' and "
			    "'starting_offsets_by_timestamp' (Spark takes the timestamp ones "
			    "first and ignores the others; sluice refuses the doubt)");
	}
	p->start = START_LATEST;
	if (so != NULL) {
		p->start_opt = so;
		if (strcasecmp(so->value, "latest") == 0) {
			p->start = START_LATEST;
		} else if (strcasecmp(so->value, "earliest") == 0) {
			p->start = START_EARLIEST;
		} else {
			struct sl_kafka_tpo *v = NULL;
			uint32_t n = 0;
			char e[256];
			rc = sl_kafka_json_parse(so->value, strlen(so->value), false, &v, &n, e,
						 sizeof(e));
			if (rc == -ENOMEM) {
				snprintf(err, errlen, "out of memory");
				return rc;
			}
			if (rc < 0)
				OPT_FAIL(so, "option '%s' must be 'earliest', 'latest' or JSON of "
					     "offsets per partition (e.g. {\"topic\":{\"0\":23,\"1\":-2}}, "
					     "-2 earliest, -1 latest): %s",
					 sk, e);
			for (uint32_t i = 0; i < n; i++)
				if (v[i].value < -2) {
					int64_t bad = v[i].value;
					sl_kafka_tpo_free(v, n);
					OPT_FAIL(so, "option '%s': offset %" PRId64
						     " is not an offset (-2 earliest, -1 latest, or 0 "
						     "and up)",
						 sk, bad);
				}
			sl_kafka_tpo_free(v, n);
			p->start = START_JSON;
		}
	} else if (to != NULL) {
		p->start_opt = to;
		uint64_t ts;
		if (sl_option_u64(to, 0, INT64_MAX, &ts, err, errlen) < 0)
			OPT_FAIL(to, "option '%s' must be a time in milliseconds since 1970-01-01 "
				     "UTC (e.g. 1700000000000), not '%s'",
				 tk, to->value);
		p->start = START_TS;
		p->start_ts = (int64_t)ts;
	} else if (tjo != NULL) {
		p->start_opt = tjo;
		struct sl_kafka_tpo *v = NULL;
		uint32_t n = 0;
		char e[256];
		rc = sl_kafka_json_parse(tjo->value, strlen(tjo->value), false, &v, &n, e, sizeof(e));
		if (rc == -ENOMEM) {
			snprintf(err, errlen, "out of memory");
			return rc;
		}
		if (rc < 0)
			OPT_FAIL(tjo, "option '%s' must be JSON of timestamps (ms) per partition, "
				      "e.g. {\"topic\":{\"0\":1700000000000}}: %s",
				 tjk, e);
		for (uint32_t i = 0; i < n; i++)
			if (v[i].value < 0) {
				sl_kafka_tpo_free(v, n);
				OPT_FAIL(tjo, "option '%s': a timestamp must be 0 or more "
					      "milliseconds since 1970-01-01 UTC",
					 tjk);
			}
		sl_kafka_tpo_free(v, n);
		p->start = START_TS_JSON;
	}
	if (sl_options_pick(opts, "starting_offsets_by_timestamp_strategy",
			    "startingOffsetsByTimestampStrategy", &o, &k, err, errlen) < 0)
		return -EINVAL;
	if (o != NULL) {
		if (strcasecmp(o->value, "latest") == 0)
			p->ts_latest = true;
		else if (strcasecmp(o->value, "error") != 0)
			OPT_FAIL(o, "option '%s' must be 'error' (a partition with no record at or "
				    "after the timestamp stops the query) or 'latest' (it starts at "
				    "its newest offset), not '%s'",
				 k, o->value);
	}
	if (u64_opt(opts, "max_offsets_per_trigger", "maxOffsetsPerTrigger", &p->max_offsets, err,
		    errlen) < 0 ||
	    u64_opt(opts, "min_offsets_per_trigger", "minOffsetsPerTrigger", &p->min_offsets, err,
		    errlen) < 0)
		return -EINVAL;
	if (p->max_offsets && p->min_offsets > p->max_offsets) {
		sl_options_pick(opts, "min_offsets_per_trigger", "minOffsetsPerTrigger", &o, &k, err,
				errlen);
		OPT_FAIL(o, "option '%s' (%" PRIu64 ") is more than max_offsets_per_trigger (%" PRIu64
			    "); a batch could never take enough",
			 k, p->min_offsets, p->max_offsets);
	}
	if (sl_options_pick(opts, "max_trigger_delay", "maxTriggerDelay", &o, &k, err, errlen) < 0)
		return -EINVAL;
	if (o != NULL) {
		if (sl_parse_interval(o->value, &p->max_delay_us) < 0 || p->max_delay_us == 0)
			OPT_FAIL(o, "option '%s' must be a duration such as '15 minutes' or '30 "
				    "seconds', not '%s'",
				 k, o->value);
		if (p->min_offsets == 0)
			OPT_FAIL(o, "option '%s' needs min_offsets_per_trigger (it bounds how long "
				    "a batch waits for that many offsets)",
				 k);
	}
	if (bool_opt(opts, "fail_on_data_loss", "failOnDataLoss", &p->fail_on_data_loss, err,
		     errlen) < 0 ||
	    bool_opt(opts, "include_headers", "includeHeaders", &p->headers, err, errlen) < 0 ||
	    bool_opt(opts, "commit_offsets_to_group", "commitOffsetsToGroup", &p->commit_to_group,
		     err, errlen) < 0)
		return -EINVAL;
	if (p->headers && p->has_format) {
		sl_options_pick(opts, "include_headers", "includeHeaders", &o, &k, err, errlen);
		OPT_FAIL(o, "option '%s' = true adds Kafka's headers column to Kafka's own rows, "
			    "and with format = '%s' the rows are the parsed values; leave out one "
			    "of the two",
			 k, p->format_name);
	}
	if (sl_options_pick(opts, "group_id_prefix", "groupIdPrefix", &o, &k, err, errlen) < 0)
		return -EINVAL;
	p->group_prefix = o ? o->value : "sluice-kafka-source";
	return 0;
}

static int kafka_validate(const struct sl_source_spec *spec, char *err, size_t errlen)
{
	struct kparams p;
	int rc = parse_params(spec, &p, err, errlen);
	if (rc < 0)
		return rc;
	if (!p.has_format)
		return check_kafka_columns(spec, p.headers, err, errlen);
	for (uint32_t i = 0; i < spec->schema.ncols; i++)
		if (spec->schema.cols[i].type == SL_TYPE_ARRAY) {
			snprintf(err, errlen,
				 "line %u, column %u: kafka source '%s' parses its values as %s, "
				 "which gives no arrays: column '%s' must be of a scalar type (only "
				 "Kafka's own headers column, without format, is an array)",
				 spec->line, spec->column, spec->name, p.format_name,
				 spec->schema.cols[i].name);
			return -EINVAL;
		}
	if (spec->schema.ncols == 0) {
		snprintf(err, errlen,
			 "line %u, column %u: kafka source '%s' parses its values as %s: declare "
			 "the columns, e.g. CREATE SOURCE %s (ad_id STRING, ts TIMESTAMP) WITH "
			 "(...)",
			 spec->line, spec->column, spec->name, p.format_name, spec->name);
		return -EINVAL;
	}
	struct sl_option *fo = calloc(spec->options.n ? spec->options.n : 1, sizeof(*fo));
	if (fo == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct sl_source_spec fs;
	sl_recparse_format_spec(spec, p.format, kafka_own_key, fo, &fs);
	rc = sl_recparse_validate(&fs, p.format, err, errlen);
	free(fo);
	return rc;
}

/* Without a column list: Kafka's columns (no format), or an error. */
static int kafka_schema_of(const struct sl_source_spec *spec, struct sl_schema *out, char *err,
			   size_t errlen)
{
	const struct sl_option *o = sl_options_find(&spec->options, "format");
	if (o != NULL) {
		snprintf(err, errlen,
			 "line %u, column %u: kafka source '%s' parses its values as %s: declare "
			 "the columns, e.g. CREATE SOURCE %s (ad_id STRING, ts TIMESTAMP) WITH "
			 "(...)",
			 spec->line, spec->column, spec->name, o->value, spec->name);
		return -EINVAL;
	}
	/* the headers column only with include_headers = true (a bad value is
	 * reported by validate, with the other options) */
	bool headers = false;
	const char *k;
	if (sl_options_pick(&spec->options, "include_headers", "includeHeaders", &o, &k, err,
			    errlen) < 0)
		return -EINVAL;
	if (o != NULL && sl_option_bool(o, &headers, err, errlen) < 0)
		return -EINVAL;
	int n = headers ? KC_N : KC_HEADERS;
	out->cols = calloc((size_t)n, sizeof(*out->cols));
	if (out->cols == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	out->ncols = (uint32_t)n;
	for (int c = 0; c < n; c++) {
		snprintf(out->cols[c].name, sizeof(out->cols[c].name), "%s", kcol_name[c]);
		out->cols[c].type = kcol_type[c];
		out->cols[c].elem_type = c == KC_HEADERS ? SL_TYPE_HEADER : SL_TYPE_NULL;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the source's state                                                  */

struct kpart {
	char *topic;
	int32_t partition;
	uint32_t core;
	int64_t next;   /* planner: where the next batch starts */
	int64_t latest; /* planner: the newest offset last seen (-1: not known) */
	bool gone;      /* no longer in the metadata */
	bool said_gone; /* and the data-loss rules said so */
};

struct krange {
	uint32_t pi;
	int64_t start, end;
	const char *topic; /* the partition's, for the cores (never freed before close) */
	int32_t partition;
	uint32_t core;
};

enum kstate { KB_EMPTY, KB_READING, KB_ANNOUNCED };

struct kbatch {
	uint64_t id;         /* batches handed over across restarts */
	uint64_t seq;        /* batches planned in this run; cores compare */
	enum kstate state;
	struct krange *r;    /* sorted by core */
	uint32_t nr, capr;
	uint32_t *first;     /* [n_ingest + 1]: each core's ranges r[first[c]..first[c+1]) */
	uint32_t cores_done; /* cores that have read theirs */
	bool had_rows;
	uint64_t last_epoch; /* the epoch of its rows */
	int64_t *after;      /* [nparts at planning]: every partition's next offset after it */
	int64_t *before;     /* [nafter]: ... and before it */
	int64_t *latest;     /* [nafter]: the newest offsets known at planning (-1: not known) */
	uint32_t nafter;
};

/* Progress of the last batches handed over: Spark's startOffset, endOffset
 * and latestOffset as JSON, by epoch (s->mu). */
#define K_PROG_KEEP 32
struct kprog {
	uint64_t epoch;
	bool used;
	char *start, *end, *latest;
};

/* A batch handed over, for the checkpoint: its epoch, and every partition's
 * next offset after it. */
struct knote {
	uint64_t epoch;
	uint64_t id; /* the batch's id + 1: batches handed over through it */
	int64_t *next;
	uint32_t n;
};

struct kcpart {
	uint32_t pi;
	const char *topic; /* the partition's (s->parts' string) */
	int32_t partition;
	rd_kafka_queue_t *q;
	int64_t pos;               /* the next offset expected from q */
	rd_kafka_message_t **stash; /* taken from q, past the batch's end */
	uint32_t nstash, capstash, headstash;
};

struct kcore {
	struct sl_source *s;
	uint32_t idx;
	struct sl_ingest *in;
	struct sl_chunk *batch;
	struct sl_source_stats *st;
	rd_kafka_t *rk;          /* its consumer, made when it first has a partition */
	rd_kafka_queue_t *mainq; /* errors of the handle */
	int io_fd;               /* eventfd: librdkafka writes when a queue fills */
	int work_fd;             /* eventfd: the planner says there is work */
	struct kcpart *parts;
	uint32_t nparts, capparts;
	struct sl_recparse *rp;
	uint64_t seen_malformed;
	rd_kafka_message_t *held[SL_INGEST_BATCH_ROWS + K_MSGS]; /* what the batch points into */
	uint32_t nheld;
	uint64_t seq;  /* the batch it read last */
	uint64_t said; /* announcements answered */
	bool rows;     /* it put rows into the batch being read */
	uint64_t epoch_of_rows;
	struct krange *mine; /* its ranges of the batch being read (a copy) */
	uint32_t nmine, capmine;
	uint64_t last_err_ns;
	/* the headers column's elements for the batch (see the top) */
	struct sl_vec hdrs;
	uint32_t nhdrs, caphdrs;
	char err[1024];
};

struct sl_source {
	char name[SL_NAME_MAX];
	struct kparams p;
	uint32_t n_ingest;
	int timeout_ms;
	/* a metadata or offsets request's wait: timeout_ms when the query
	 * starts, at most K_PLAN_CALL_MS from the planner thread, which then
	 * asks again, so that a stop never waits long on brokers that are down */
	_Atomic int call_ms;
	rd_kafka_conf_t *conf; /* the template every handle's conf is a copy of */
	rd_kafka_t *meta;      /* the planner's: metadata, offsets, group commits */
	char group_id[160];
	hs_database_t *re; /* subscribe_pattern */
	hs_scratch_t *re_scratch;
	struct sl_kafka_tpo *assign, *starts;
	uint32_t nassign, nstarts;
	char **topics; /* subscribe's list */
	uint32_t ntopics;
	bool available_now, once, interval;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct kpart *parts; /* grows (planner, under mu); never shrinks */
	uint32_t nparts, capparts;
	uint32_t *load;      /* partitions per core */
	struct kbatch batch;
	struct kprog prog[K_PROG_KEEP]; /* a ring, by epoch % K_PROG_KEEP */
	struct knote *notes; /* handed over, not yet checkpointed (under mu) */
	uint32_t nnotes, capnotes;
	int64_t *ck_next;    /* the durable view: next offsets after the last checkpoint */
	uint32_t ck_n;
	uint64_t ck_batches;
	char fatal[1024];    /* the planner's error; a core reports it */
	_Atomic bool has_fatal;
	_Atomic uint64_t announced, announced_epoch;
	_Atomic bool finished; /* available_now / once: nothing more to read */
	_Atomic bool stop;
	_Atomic uint64_t skipped; /* records lost to data loss, fail_on_data_loss = false */

	/* the planner's own (its thread, and open()/restore() before it) */
	pthread_t planner;
	bool planner_started;
	struct sl_ingest *in0;
	uint64_t planned_ns;      /* the trigger last planned at */
	uint64_t last_batch_ns;   /* when the last batch was handed over (max_trigger_delay) */
	uint64_t refreshed_ns, discovered_ns, warned_ns;
	int64_t *final_end;       /* available_now: the ends fixed at the start */
	uint32_t nfinal;
	struct krange *replay;    /* the uncommitted batch to read again first */
	uint32_t nreplay;
	bool replay_due;
	bool planned_once;
	bool committed_to_group_through_set;
	uint64_t group_committed; /* epochs whose offsets went to the group */

	struct kcore *cores;
	enum kcol colmap[KC_N]; /* no format: the Kafka field of each column */
};

static uint64_t now_ns(void)
{
	return sl_source_now_ns();
}

static void set_fatal(struct sl_source *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_fatal(struct sl_source *s, const char *fmt, ...)
{
	pthread_mutex_lock(&s->mu);
	if (!atomic_load(&s->has_fatal)) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->fatal, sizeof(s->fatal), fmt, ap);
		va_end(ap);
		atomic_store(&s->has_fatal, true);
	}
	pthread_mutex_unlock(&s->mu);
	for (uint32_t c = 0; c < s->n_ingest; c++) {
		uint64_t one = 1;
		ssize_t w = write(s->cores[c].work_fd, &one, sizeof(one));
		(void)w;
	}
}

static void notify_cores(struct sl_source *s)
{
	for (uint32_t c = 0; c < s->n_ingest; c++) {
		uint64_t one = 1;
		ssize_t w = write(s->cores[c].work_fd, &one, sizeof(one));
		(void)w;
	}
}

/* librdkafka's log lines (warnings and worse) go to stderr, at most one
 * every K_LOG_EVERY_MS for the whole process, with how many were left out:
 * a broker that is down makes every handle say so on every retry. */
#define K_LOG_EVERY_MS 5000
static _Atomic uint64_t log_last_ns;
static _Atomic uint64_t log_dropped;

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (level > 4)
		return;
	uint64_t now = sl_source_now_ns(), last = atomic_load(&log_last_ns);
	if ((last != 0 && now - last < (uint64_t)K_LOG_EVERY_MS * 1000000) ||
	    !atomic_compare_exchange_strong(&log_last_ns, &last, now)) {
		atomic_fetch_add(&log_dropped, 1);
		return;
	}
	uint64_t d = atomic_exchange(&log_dropped, 0);
	if (d > 0)
		fprintf(stderr, "sluice: kafka: %s: %s (and %" PRIu64 " more such lines in the last %d s)\n",
			fac, buf, d, K_LOG_EVERY_MS / 1000);
	else
		fprintf(stderr, "sluice: kafka: %s: %s\n", fac, buf);
}

/* A handle's conf: the template's copy, with what this handle needs. */
static rd_kafka_t *new_handle(struct sl_source *s, const char *client_suffix, char *err,
			      size_t errlen)
{
	rd_kafka_conf_t *c = rd_kafka_conf_dup(s->conf);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	char id[256], e[512];
	snprintf(id, sizeof(id), "sluice-%s-%s", s->name, client_suffix);
	if (rd_kafka_conf_set(c, "client.id", id, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
		rd_kafka_conf_destroy(c);
		snprintf(err, errlen, "kafka source '%s': %s", s->name, e);
		return NULL;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, e, sizeof(e));
	if (rk == NULL) {
		rd_kafka_conf_destroy(c);
		snprintf(err, errlen, "kafka source '%s': librdkafka cannot make a consumer: %s",
			 s->name, e);
		return NULL;
	}
	return rk;
}

static int conf_set(rd_kafka_conf_t *c, const char *k, const char *v, const char *name, char *err,
		    size_t errlen)
{
	char e[512];
	if (rd_kafka_conf_set(c, k, v, e, sizeof(e)) == RD_KAFKA_CONF_OK)
		return 0;
	snprintf(err, errlen, "kafka source '%s': setting %s = %s: %s", name, k, v, e);
	return -EINVAL;
}

/* The template: the source's settings, then the user's kafka.* over the
 * defaults that they may change. */
static int build_conf(struct sl_source *s, const struct sl_source_spec *spec, char *err,
		      size_t errlen)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->conf = c;
	rd_kafka_conf_set_log_cb(c, log_cb);
	int rc = conf_set(c, "bootstrap.servers", s->p.bootstrap, s->name, err, errlen);
	/* defaults the user may change with kafka.* */
	rc |= conf_set(c, "queued.max.messages.kbytes", "32768", s->name, err, errlen);
	rc |= conf_set(c, "fetch.wait.max.ms", "100", s->name, err, errlen);
	const struct sl_option *g = sl_options_find(&spec->options, "kafka.group.id");
	if (g != NULL) {
		snprintf(s->group_id, sizeof(s->group_id), "%s", g->value);
	} else {
		/* Spark's: a fresh group per query run, never shared */
		char hex[33];
		sl_random_hex(hex);
		snprintf(s->group_id, sizeof(s->group_id), "%s-%s", s->p.group_prefix, hex);
	}
	rc |= conf_set(c, "group.id", s->group_id, s->name, err, errlen);
	for (uint32_t i = 0; rc == 0 && i < spec->options.n; i++) {
		const struct sl_option *o = &spec->options.v[i];
		if (strncasecmp(o->key, "kafka.", 6) != 0 ||
		    strcasecmp(o->key, "kafka.bootstrap.servers") == 0)
			continue;
		rc = conf_set(c, o->key + 6, o->value, s->name, err, errlen);
	}
	/* the source's own: never the user's (validate refused them) */
	rc |= conf_set(c, "enable.auto.commit", "false", s->name, err, errlen);
	rc |= conf_set(c, "enable.auto.offset.store", "false", s->name, err, errlen);
	rc |= conf_set(c, "auto.offset.reset", "error", s->name, err, errlen);
	/* the end of a partition read: a batch that ends after offsets no
	 * record has (transaction markers) is then read whole */
	rc |= conf_set(c, "enable.partition.eof", "true", s->name, err, errlen);
	if (rc == 0) {
		char v[32];
		size_t vl = sizeof(v);
		if (rd_kafka_conf_get(c, "socket.timeout.ms", v, &vl) == RD_KAFKA_CONF_OK &&
		    sl_options_find(&spec->options, "kafka.socket.timeout.ms") != NULL)
			s->timeout_ms = atoi(v);
		else
			s->timeout_ms = K_DEFAULT_TIMEOUT_MS;
		if (s->timeout_ms <= 0)
			s->timeout_ms = K_DEFAULT_TIMEOUT_MS;
		atomic_store(&s->call_ms, s->timeout_ms);
	}
	return rc < 0 ? -EINVAL : 0;
}

/* ------------------------------------------------------------------ */
/* partitions and offsets (the planner, and open() before it)         */

#define K_UNRESOLVED INT64_MIN /* a new partition's start, not asked yet */

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *arg)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	*(bool *)arg = true;
	return 1; /* one is enough */
}

static bool pattern_matches(const struct sl_source *s, const char *topic)
{
	bool m = false;
	hs_scan(s->re, topic, (unsigned)strlen(topic), 0, s->re_scratch, on_match, &m);
	return m;
}

static bool topic_wanted(const struct sl_source *s, const char *topic)
{
	switch (s->p.sub) {
	case SUB_LIST:
		for (uint32_t i = 0; i < s->ntopics; i++)
			if (strcmp(s->topics[i], topic) == 0)
				return true;
		return false;
	case SUB_PATTERN:
		/* Kafka's consumers leave the internal topics out of patterns */
		if (strcmp(topic, "__consumer_offsets") == 0 ||
		    strcmp(topic, "__transaction_state") == 0)
			return false;
		return pattern_matches(s, topic);
	case SUB_ASSIGN:
		for (uint32_t i = 0; i < s->nassign; i++)
			if (strcmp(s->assign[i].topic, topic) == 0)
				return true;
		return false;
	}
	return false;
}

static bool part_wanted(const struct sl_source *s, const char *topic, int32_t part)
{
	return s->p.sub != SUB_ASSIGN || tpo_has(s->assign, s->nassign, topic, part);
}

static int32_t find_part(const struct sl_source *s, const char *topic, int32_t part)
{
	for (uint32_t i = 0; i < s->nparts; i++)
		if (s->parts[i].partition == part && strcmp(s->parts[i].topic, topic) == 0)
			return (int32_t)i;
	return -1;
}

/* A partition the query reads from now on, on the least loaded core
 * (s->mu held once run() has started). */
static int add_part(struct sl_source *s, const char *topic, int32_t part, int64_t next)
{
	if (s->nparts == s->capparts) {
		uint32_t cap = s->capparts ? s->capparts * 2 : 16;
		struct kpart *v = realloc(s->parts, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		s->parts = v;
		s->capparts = cap;
	}
	char *t = strdup(topic);
	if (t == NULL)
		return -ENOMEM;
	uint32_t core = 0;
	for (uint32_t c = 1; c < s->n_ingest; c++)
		if (s->load[c] < s->load[core])
			core = c;
	s->load[core]++;
	s->parts[s->nparts++] = (struct kpart){.topic = t, .partition = part, .core = core,
					       .next = next, .latest = -1};
	return (int32_t)(s->nparts - 1);
}

static int cmp_tp(const void *a, const void *b)
{
	const rd_kafka_metadata_partition_t *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* The cluster's metadata: partitions the query reads that are new get
 * start `fresh` (K_UNRESOLVED: asked later), vanished ones are marked
 * gone. *added: how many are new. 0, or -EIO with the reason in err. */
static int discover(struct sl_source *s, int64_t fresh, uint32_t *added, char *err, size_t errlen)
{
	const struct rd_kafka_metadata *md = NULL;
	int ms = atomic_load(&s->call_ms);
	rd_kafka_resp_err_t e = rd_kafka_metadata(s->meta, 1, NULL, &md, ms);
	*added = 0;
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen,
			 "kafka source '%s': cannot read the cluster's metadata from '%s' within %d "
			 "ms: %s; check bootstrap_servers and that the brokers are up (the wait is "
			 "kafka.socket.timeout.ms when the query starts, at most 2 s while it runs)",
			 s->name, s->p.bootstrap, ms, rd_kafka_err2str(e));
		return -EIO;
	}
	int rc = 0;
	bool *seen = calloc(s->nparts + 1, sizeof(*seen));
	if (seen == NULL) {
		rd_kafka_metadata_destroy(md);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	uint32_t known = s->nparts;
	/* topics in the order the metadata lists them, partitions by number */
	for (int i = 0; rc == 0 && i < md->topic_cnt; i++) {
		const rd_kafka_metadata_topic_t *t = &md->topics[i];
		if (t->err != RD_KAFKA_RESP_ERR_NO_ERROR || !topic_wanted(s, t->topic))
			continue;
		qsort(t->partitions, (size_t)t->partition_cnt, sizeof(*t->partitions), cmp_tp);
		for (int k = 0; rc == 0 && k < t->partition_cnt; k++) {
			int32_t id = t->partitions[k].id;
			if (!part_wanted(s, t->topic, id))
				continue;
			int32_t pi = find_part(s, t->topic, id);
			if (pi >= 0) {
				if ((uint32_t)pi < known)
					seen[pi] = true;
				s->parts[pi].gone = false;
				continue;
			}
			pthread_mutex_lock(&s->mu);
			rc = add_part(s, t->topic, id, fresh);
			pthread_mutex_unlock(&s->mu);
			if (rc >= 0) {
				(*added)++;
				rc = 0;
			}
		}
	}
	for (uint32_t i = 0; rc == 0 && i < known; i++)
		if (!seen[i])
			s->parts[i].gone = true;
	free(seen);
	rd_kafka_metadata_destroy(md);
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	return rc;
}

/* Ask the brokers, in one request per broker, for partitions pis[0..n)'s
 * offsets: q[i] -2 earliest, -1 latest, else the first offset at or after
 * that timestamp (ms; -1 in out when there is none). 0, or -EIO. */
static int list_offsets(struct sl_source *s, const uint32_t *pis, const int64_t *q, uint32_t n,
			int64_t *out, char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(l, s->parts[pis[i]].topic,
						  s->parts[pis[i]].partition)
			->offset = q[i];
	rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(s->meta, l, atomic_load(&s->call_ms));
	int rc = 0;
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen,
			 "kafka source '%s': cannot list the offsets of %u partition%s: %s", s->name,
			 n, n == 1 ? "" : "s", rd_kafka_err2str(e));
		rc = -EIO;
	}
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		const struct kpart *kp = &s->parts[pis[i]];
		rd_kafka_topic_partition_t *tp =
			rd_kafka_topic_partition_list_find(l, kp->topic, kp->partition);
		if (tp == NULL || tp->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(err, errlen,
				 "kafka source '%s': cannot list the offsets of topic '%s' partition "
				 "%d: %s",
				 s->name, kp->topic, kp->partition,
				 tp ? rd_kafka_err2str(tp->err) : "not in the answer");
			rc = -EIO;
			break;
		}
		out[i] = tp->offset;
	}
	rd_kafka_topic_partition_list_destroy(l);
	return rc;
}

/* Where the partitions that have no start yet start (-2 earliest for those
 * found after the query began). Called with `initial` by open(): then the
 * starting option decides. 0 or -errno with err. */
static int resolve_starts(struct sl_source *s, bool initial, char *err, size_t errlen)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->nparts; i++)
		n += s->parts[i].next == K_UNRESOLVED && !s->parts[i].gone;
	if (n == 0)
		return 0;
	uint32_t *pis = calloc(n, sizeof(*pis));
	int64_t *q = calloc(n, sizeof(*q)), *out = calloc(n, sizeof(*out));
	int rc = 0;
	if (pis == NULL || q == NULL || out == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto done;
	}
	uint32_t k = 0;
	for (uint32_t i = 0; i < s->nparts; i++) {
		const struct kpart *kp = &s->parts[i];
		if (kp->next != K_UNRESOLVED || kp->gone)
			continue;
		pis[k] = i;
		q[k] = -2;
		if (initial) {
			switch (s->p.start) {
			case START_LATEST: q[k] = -1; break;
			case START_EARLIEST: q[k] = -2; break;
			case START_TS: q[k] = s->p.start_ts; break;
			case START_JSON:
			case START_TS_JSON: {
				bool found = false;
				for (uint32_t j = 0; j < s->nstarts && !found; j++)
					if (s->starts[j].partition == kp->partition &&
					    strcmp(s->starts[j].topic, kp->topic) == 0) {
						q[k] = s->starts[j].value;
						found = true;
					}
				if (!found) {
					const struct sl_option *o = s->p.start_opt;
					snprintf(err, errlen,
						 "line %u, column %u: option '%s' has no offset for "
						 "topic '%s' partition %d; with JSON it must name every "
						 "partition the query reads (-2 earliest, -1 latest), "
						 "as Spark requires",
						 o->line, o->column, o->key, kp->topic, kp->partition);
					rc = -EINVAL;
					goto done;
				}
				break;
			}
			}
		}
		k++;
	}
	/* JSON offsets of 0 and up are taken as they are: ask for the rest */
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++)
		if (q[i] < 0 || s->p.start == START_TS || s->p.start == START_TS_JSON || !initial) {
			pis[m] = pis[i];
			q[m++] = q[i];
		} else {
			s->parts[pis[i]].next = q[i];
		}
	if ((rc = list_offsets(s, pis, q, m, out, err, errlen)) < 0)
		goto done;
	bool by_ts = initial && (s->p.start == START_TS || s->p.start == START_TS_JSON);
	uint32_t nlatest = 0;
	for (uint32_t i = 0; i < m; i++) {
		struct kpart *kp = &s->parts[pis[i]];
		if (by_ts && out[i] < 0) {
			if (!s->p.ts_latest) {
				const struct sl_option *o = s->p.start_opt;
				snprintf(err, errlen,
					 "line %u, column %u: topic '%s' partition %d has no record at "
					 "or after timestamp %" PRId64
					 " (option '%s'); set starting_offsets_by_timestamp_strategy = "
					 "'latest' to start such partitions at their newest offset",
					 o->line, o->column, kp->topic, kp->partition, q[i], o->key);
				rc = -EINVAL;
				goto done;
			}
			pis[nlatest] = pis[i];
			q[nlatest++] = -1;
			continue;
		}
		kp->next = out[i];
	}
	if (nlatest > 0 && (rc = list_offsets(s, pis, q, nlatest, out, err, errlen)) == 0)
		for (uint32_t i = 0; i < nlatest; i++)
			s->parts[pis[i]].next = out[i];
done:
	free(pis);
	free(q);
	free(out);
	return rc;
}

/* ------------------------------------------------------------------ */
/* planning (the planner thread)                                       */

static void warn_planner(struct sl_source *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warn_planner(struct sl_source *s, const char *fmt, ...)
{
	uint64_t now = now_ns();
	if (s->warned_ns != 0 && now - s->warned_ns < (uint64_t)K_STALL_WARN_MS * 1000000)
		return;
	s->warned_ns = now;
	char m[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sluice: warning: %s\n", m);
}

/* The newest offsets: what the cores' consumers saw in their last fetch
 * answers (no request), and, when that shows nothing new and `ask`, the
 * brokers' answer. Also where each partition begins now (lo), from the
 * same fetch answers (-1: not known). 0, or -EIO (err says why). */
static int refresh_latest(struct sl_source *s, bool ask, int64_t *lo, char *err, size_t errlen)
{
	bool any = false, unknown = false;
	for (uint32_t i = 0; i < s->nparts; i++) {
		struct kpart *kp = &s->parts[i];
		lo[i] = -1;
		if (kp->gone || kp->next == K_UNRESOLVED)
			continue;
		int64_t l = -1, h = -1;
		if (rd_kafka_get_watermark_offsets(s->cores[kp->core].rk, kp->topic, kp->partition, &l,
						   &h) == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    h >= 0) {
			if (h > kp->latest)
				kp->latest = h;
			if (l >= 0)
				lo[i] = l;
		} else {
			unknown = true; /* not fetched by its core (yet): ask */
		}
		any |= kp->latest > kp->next;
	}
	if (!ask || (any && !unknown))
		return 0;
	uint32_t n = 0;
	uint32_t *pis = calloc(s->nparts + 1, sizeof(*pis));
	int64_t *q = calloc(s->nparts + 1, sizeof(*q)), *out = calloc(s->nparts + 1, sizeof(*out));
	int rc = 0;
	if (pis == NULL || q == NULL || out == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto done;
	}
	for (uint32_t i = 0; i < s->nparts; i++)
		if (!s->parts[i].gone && s->parts[i].next != K_UNRESOLVED) {
			pis[n] = i;
			q[n++] = -1;
		}
	if ((rc = list_offsets(s, pis, q, n, out, err, errlen)) < 0)
		goto done;
	for (uint32_t k = 0; k < n; k++)
		s->parts[pis[k]].latest = out[k];
	s->refreshed_ns = now_ns();
done:
	free(pis);
	free(q);
	free(out);
	return rc;
}

/* Data loss seen at planning: records deleted before they were read (lo
 * past next), or offsets that went back (latest below next: the partition
 * was deleted and made again). Stops the query, or skips and says so. */
static int check_loss(struct sl_source *s, const int64_t *lo)
{
	for (uint32_t i = 0; i < s->nparts; i++) {
		struct kpart *kp = &s->parts[i];
		if (kp->gone || kp->next == K_UNRESOLVED)
			continue;
		bool deleted = lo[i] >= 0 && lo[i] > kp->next;
		bool back = kp->latest >= 0 && kp->latest < kp->next;
		if (!deleted && !back)
			continue;
		if (s->p.fail_on_data_loss) {
			if (deleted)
				set_fatal(s,
					  "kafka source '%s': topic '%s' partition %d: offsets %" PRId64
					  " to %" PRId64
					  " were deleted before they were read (retention, or the "
					  "partition was deleted); its earliest offset is now %" PRId64
					  ". Some data may have been lost; set fail_on_data_loss = false "
					  "to skip such records and go on (Spark's failOnDataLoss)",
					  s->name, kp->topic, kp->partition, kp->next, lo[i] - 1, lo[i]);
			else
				set_fatal(s,
					  "kafka source '%s': topic '%s' partition %d: its newest offset "
					  "is %" PRId64 ", below %" PRId64
					  ", the next one the query reads: the partition was deleted and "
					  "made again, or its records were deleted. Some data may have "
					  "been lost; set fail_on_data_loss = false to read it from its "
					  "earliest offset and go on (Spark's failOnDataLoss)",
					  s->name, kp->topic, kp->partition, kp->latest, kp->next);
			return -EIO;
		}
		int64_t to = deleted ? lo[i] : 0;
		if (back) {
			/* from the earliest offset there is now */
			char e[512];
			int64_t q = -2, out = 0;
			uint32_t pi = i;
			if (list_offsets(s, &pi, &q, 1, &out, e, sizeof(e)) < 0) {
				warn_planner(s, "%s; trying again", e);
				return -EAGAIN;
			}
			to = out;
		}
		fprintf(stderr,
			"sluice: warning: kafka source '%s': topic '%s' partition %d: %s; going on from "
			"offset %" PRId64 " (fail_on_data_loss = false). Some data may have been lost\n",
			s->name, kp->topic, kp->partition,
			deleted ? "records were deleted before they were read"
				: "its offsets went back (the partition was made again)",
			to);
		if (deleted)
			atomic_fetch_add(&s->skipped, (uint64_t)(to - kp->next));
		kp->next = to;
		if (kp->latest < to)
			kp->latest = to;
	}
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct krange *x = a, *y = b;
	if (x->core != y->core)
		return (x->core > y->core) - (x->core < y->core);
	return (x->pi > y->pi) - (x->pi < y->pi);
}

/* Partitions the query read that the cluster no longer has: the data-loss
 * rules (once each). */
static int check_gone(struct sl_source *s)
{
	for (uint32_t i = 0; i < s->nparts; i++) {
		struct kpart *kp = &s->parts[i];
		if (!kp->gone || kp->said_gone || kp->next == K_UNRESOLVED)
			continue;
		if (s->p.fail_on_data_loss) {
			set_fatal(s,
				  "kafka source '%s': topic '%s' partition %d is gone (deleted); "
				  "records not read yet may have been lost. Set fail_on_data_loss = "
				  "false to go on without it (Spark's failOnDataLoss)",
				  s->name, kp->topic, kp->partition);
			return -EIO;
		}
		fprintf(stderr,
			"sluice: warning: kafka source '%s': topic '%s' partition %d is gone "
			"(deleted); going on without it (fail_on_data_loss = false). Some data may "
			"have been lost\n",
			s->name, kp->topic, kp->partition);
		kp->said_gone = true;
	}
	return 0;
}

/* Put ranges r[0..n) into s->batch as the next batch to read (s->mu held). */
static int install_batch(struct sl_source *s, struct krange *r, uint32_t n)
{
	struct kbatch *b = &s->batch;
	qsort(r, n, sizeof(*r), cmp_range);
	free(b->r);
	b->r = r;
	b->nr = b->capr = n;
	for (uint32_t c = 0; c <= s->n_ingest; c++)
		b->first[c] = 0;
	for (uint32_t i = 0; i < n; i++)
		b->first[r[i].core + 1]++;
	for (uint32_t c = 0; c < s->n_ingest; c++)
		b->first[c + 1] += b->first[c];
	int64_t *after = realloc(b->after, (s->nparts + 1) * sizeof(*after));
	if (after != NULL)
		b->after = after;
	int64_t *before = realloc(b->before, (s->nparts + 1) * sizeof(*before));
	if (before != NULL)
		b->before = before;
	int64_t *latest = realloc(b->latest, (s->nparts + 1) * sizeof(*latest));
	if (latest != NULL)
		b->latest = latest;
	if (after == NULL || before == NULL || latest == NULL)
		return -ENOMEM;
	b->nafter = s->nparts;
	for (uint32_t i = 0; i < s->nparts; i++) {
		before[i] = s->parts[i].next;
		latest[i] = s->parts[i].latest;
	}
	for (uint32_t i = 0; i < n; i++)
		s->parts[r[i].pi].next = r[i].end;
	for (uint32_t i = 0; i < s->nparts; i++)
		after[i] = s->parts[i].next;
	b->state = KB_READING;
	b->seq++;
	b->cores_done = 0;
	b->had_rows = false;
	b->last_epoch = 0;
	return 0;
}

/* Plan the next batch (s->batch EMPTY). 1 planned, 0 nothing to read now,
 * -EAGAIN the brokers did not answer (said; try again), other -errno fatal
 * (set_fatal done). */
static int plan_batch(struct sl_source *s)
{
	char err[1024];
	uint64_t now = now_ns();
	struct krange *r = NULL;
	uint32_t n = 0;
	if (s->replay_due) {
		/* the batch that ran uncommitted: the same ends again */
		s->replay_due = false;
		r = s->replay;
		n = s->nreplay;
		s->replay = NULL;
		s->nreplay = 0;
		for (uint32_t i = 0; i < n; i++) {
			struct kpart *kp = &s->parts[r[i].pi];
			r[i].start = kp->next;
			r[i].topic = kp->topic;
			r[i].partition = kp->partition;
			r[i].core = kp->core;
		}
		goto install;
	}
	if (!s->available_now &&
	    (s->discovered_ns == 0 || now - s->discovered_ns >= (uint64_t)K_DISCOVER_MS * 1000000)) {
		uint32_t added = 0;
		s->discovered_ns = now;
		if (discover(s, K_UNRESOLVED, &added, err, sizeof(err)) < 0) {
			warn_planner(s, "%s; trying again", err);
			return -EAGAIN;
		}
		if (resolve_starts(s, false, err, sizeof(err)) < 0) {
			warn_planner(s, "%s; trying again", err);
			return -EAGAIN;
		}
		if (added > 0)
			fprintf(stderr,
				"sluice: kafka source '%s': %u new partition%s, read from their "
				"earliest offsets\n",
				s->name, added, added == 1 ? "" : "s");
	}
	if (check_gone(s) < 0)
		return -EIO;
	int64_t *lo = calloc(s->nparts + 1, sizeof(*lo));
	if (lo == NULL) {
		set_fatal(s, "kafka source '%s': out of memory planning a batch", s->name);
		return -ENOMEM;
	}
	bool ask = s->refreshed_ns == 0 || now - s->refreshed_ns >= (uint64_t)K_REFRESH_MS * 1000000;
	if (refresh_latest(s, ask, lo, err, sizeof(err)) < 0) {
		free(lo);
		warn_planner(s, "%s; trying again", err);
		return -EAGAIN;
	}
	int rc = check_loss(s, lo);
	free(lo);
	if (rc < 0)
		return rc; /* -EAGAIN: try again */
	/* what is there, as Spark's latestOffset */
	uint32_t np = s->available_now ? s->nfinal : s->nparts;
	int64_t *from = calloc(np + 1, sizeof(*from)), *until = calloc(np + 1, sizeof(*until));
	int64_t *end = calloc(np + 1, sizeof(*end));
	if (from == NULL || until == NULL || end == NULL) {
		free(from);
		free(until);
		free(end);
		set_fatal(s, "kafka source '%s': out of memory planning a batch", s->name);
		return -ENOMEM;
	}
	uint64_t avail = 0;
	for (uint32_t i = 0; i < np; i++) {
		const struct kpart *kp = &s->parts[i];
		from[i] = until[i] = kp->next;
		if (kp->gone || kp->next == K_UNRESOLVED || kp->latest <= kp->next)
			continue;
		until[i] = kp->latest;
		if (s->available_now && until[i] > s->final_end[i])
			until[i] = s->final_end[i] > from[i] ? s->final_end[i] : from[i];
		avail += (uint64_t)(until[i] - from[i]);
	}
	bool take = avail > 0;
	if (take && s->p.min_offsets > 0 && avail < s->p.min_offsets && !s->available_now) {
		/* Spark's minOffsetsPerTrigger: wait for more, up to maxTriggerDelay */
		uint64_t since = s->last_batch_ns ? now - s->last_batch_ns : 0;
		if (s->last_batch_ns == 0)
			s->last_batch_ns = now;
		take = since >= s->p.max_delay_us * 1000;
	}
	if (take) {
		if (s->p.max_offsets > 0 && !s->once)
			sl_kafka_rate_limit(s->p.max_offsets, from, until, end, np);
		else
			memcpy(end, until, np * sizeof(*end));
		r = calloc(np, sizeof(*r));
		if (r == NULL) {
			free(from);
			free(until);
			free(end);
			set_fatal(s, "kafka source '%s': out of memory planning a batch", s->name);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < np; i++)
			if (end[i] > from[i])
				r[n++] = (struct krange){.pi = i, .start = from[i], .end = end[i],
							 .topic = s->parts[i].topic,
							 .partition = s->parts[i].partition,
							 .core = s->parts[i].core};
	}
	free(from);
	free(until);
	free(end);
	if (n == 0) {
		free(r);
		return 0;
	}
install:
	pthread_mutex_lock(&s->mu);
	rc = install_batch(s, r, n);
	pthread_mutex_unlock(&s->mu);
	if (rc < 0) {
		set_fatal(s, "kafka source '%s': out of memory planning a batch", s->name);
		return rc;
	}
	s->last_batch_ns = now;
	return 1;
}

/* available_now: every partition has reached the ends fixed at the start. */
static bool all_read(const struct sl_source *s)
{
	for (uint32_t i = 0; i < s->nfinal; i++)
		if (!s->parts[i].gone && s->parts[i].next < s->final_end[i])
			return false;
	return true;
}

static int cmp_pi(const void *a, const void *b, void *arg)
{
	const struct kpart *p = arg;
	const struct kpart *x = &p[*(const uint32_t *)a], *y = &p[*(const uint32_t *)b];
	int c = strcmp(x->topic, y->topic);
	return c != 0 ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* {"topic":{"0":23,"1":-1}} of v[0..n) in order[] (topic, then partition);
 * partitions without a known offset left out. Malloc'ed, NULL on ENOMEM. */
static char *offsets_json(const struct sl_source *s, const uint32_t *order, const int64_t *v,
			  uint32_t n)
{
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	int rc = sl_strbuf_putc(&b, '{');
	const char *topic = NULL;
	for (uint32_t k = 0; rc == 0 && k < n; k++) {
		const struct kpart *kp = &s->parts[order[k]];
		if (v[order[k]] < 0)
			continue;
		if (topic == NULL || strcmp(topic, kp->topic) != 0) {
			rc |= sl_strbuf_puts(&b, topic == NULL ? "\"" : "},\"");
			for (const char *c = kp->topic; *c; c++) {
				if (*c == '"' || *c == '\\')
					rc |= sl_strbuf_putc(&b, '\\');
				if ((unsigned char)*c >= 0x20)
					rc |= sl_strbuf_putc(&b, *c);
			}
			rc |= sl_strbuf_puts(&b, "\":{");
			topic = kp->topic;
		} else {
			rc |= sl_strbuf_putc(&b, ',');
		}
		char num[64];
		snprintf(num, sizeof(num), "\"%d\":%" PRId64, kp->partition, v[order[k]]);
		rc |= sl_strbuf_puts(&b, num);
	}
	rc |= sl_strbuf_puts(&b, topic != NULL ? "}}" : "}");
	rc |= sl_strbuf_putc(&b, '\0');
	if (rc < 0) {
		sl_strbuf_free(&b);
		return NULL;
	}
	return b.ptr;
}

/* Keep the batch's offsets for progress, as epoch `epoch`'s (s->mu held;
 * out of memory: progress shows rows instead). */
static void note_progress(struct sl_source *s, uint64_t epoch)
{
	const struct kbatch *b = &s->batch;
	struct kprog *pg = &s->prog[epoch % K_PROG_KEEP];
	free(pg->start);
	free(pg->end);
	free(pg->latest);
	*pg = (struct kprog){0};
	uint32_t *order = malloc((b->nafter + 1) * sizeof(*order));
	if (order == NULL)
		return;
	for (uint32_t i = 0; i < b->nafter; i++)
		order[i] = i;
	qsort_r(order, b->nafter, sizeof(*order), cmp_pi, s->parts);
	*pg = (struct kprog){.epoch = epoch,
			     .used = true,
			     .start = offsets_json(s, order, b->before, b->nafter),
			     .end = offsets_json(s, order, b->after, b->nafter),
			     .latest = offsets_json(s, order, b->latest, b->nafter)};
	free(order);
}

static void kafka_progress_offsets(struct sl_source *s, uint64_t epoch, struct sl_strbuf *start,
				   struct sl_strbuf *end, struct sl_strbuf *latest)
{
	pthread_mutex_lock(&s->mu);
	const struct kprog *pg = &s->prog[epoch % K_PROG_KEEP];
	if (pg->used && pg->epoch == epoch && pg->start != NULL && pg->end != NULL) {
		sl_strbuf_puts(start, pg->start);
		sl_strbuf_puts(end, pg->end);
		if (pg->latest != NULL)
			sl_strbuf_puts(latest, pg->latest);
	}
	pthread_mutex_unlock(&s->mu);
}

/* A batch handed over: note it for the checkpoint (s->mu held). */
static int note_batch(struct sl_source *s, uint64_t epoch)
{
	struct kbatch *b = &s->batch;
	if (s->nnotes == s->capnotes) {
		uint32_t cap = s->capnotes ? s->capnotes * 2 : 8;
		struct knote *v = realloc(s->notes, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		s->notes = v;
		s->capnotes = cap;
	}
	int64_t *next = malloc((b->nafter + 1) * sizeof(*next));
	if (next == NULL)
		return -ENOMEM;
	memcpy(next, b->after, b->nafter * sizeof(*next));
	b->id++;
	s->notes[s->nnotes++] = (struct knote){.epoch = epoch, .id = b->id, .next = next,
					       .n = b->nafter};
	return 0;
}

/* The notes of epochs below `limit` move into the durable view (the
 * checkpoint of an epoch, or, without checkpoints, once the epochs are
 * committed: so that notes never pile up). s->mu held. */
static void absorb_notes(struct sl_source *s, uint64_t limit)
{
	uint32_t k = 0;
	while (k < s->nnotes && s->notes[k].epoch < limit)
		k++;
	if (k == 0)
		return;
	struct knote *nt = &s->notes[k - 1];
	free(s->ck_next);
	s->ck_next = nt->next;
	s->ck_n = nt->n;
	s->ck_batches = nt->id;
	nt->next = NULL;
	for (uint32_t i = 0; i < k; i++)
		free(s->notes[i].next);
	memmove(s->notes, s->notes + k, (s->nnotes - k) * sizeof(*s->notes));
	s->nnotes -= k;
}

/* commit_offsets_to_group: the offsets after a committed batch, to the
 * group (asynchronously; for lag monitoring only). */
static void commit_to_group(struct sl_source *s, const int64_t *next, uint32_t n)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
	if (l == NULL)
		return;
	for (uint32_t i = 0; i < n; i++)
		if (next[i] >= 0)
			rd_kafka_topic_partition_list_add(l, s->parts[i].topic, s->parts[i].partition)
				->offset = next[i];
	if (l->cnt > 0) {
		rd_kafka_resp_err_t e = rd_kafka_commit(s->meta, l, 1);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
			warn_planner(s,
				     "kafka source '%s': cannot commit offsets to group '%s': %s",
				     s->name, s->group_id, rd_kafka_err2str(e));
	}
	rd_kafka_topic_partition_list_destroy(l);
}

static void *planner_main(void *arg)
{
	struct sl_source *s = arg;
	struct sl_ingest *in = s->in0;
	struct kbatch *b = &s->batch;
	atomic_store(&s->call_ms, s->timeout_ms < K_PLAN_CALL_MS ? s->timeout_ms : K_PLAN_CALL_MS);
	int64_t *last = NULL; /* offsets of the last batch handed over, for the group */
	uint32_t nlast = 0;
	uint64_t last_epoch = 0;
	bool last_due = false;
	while (!atomic_load(&s->stop) && !atomic_load(&s->has_fatal)) {
		bool announce = false, ack = false, empty = false;
		uint64_t settled = sl_ingest_settled(in);
		pthread_mutex_lock(&s->mu);
		absorb_notes(s, sl_ingest_committed(in));
		if (b->state == KB_READING && b->cores_done == s->n_ingest) {
			int rc;
			if (b->had_rows) {
				b->state = KB_ANNOUNCED;
				announce = true;
				note_progress(s, b->last_epoch);
				rc = note_batch(s, b->last_epoch);
			} else {
				b->state = KB_EMPTY;
				rc = note_batch(s, settled);
			}
			ack = s->interval;
			if (rc == 0 && s->p.commit_to_group) {
				int64_t *v = realloc(last, (b->nafter + 1) * sizeof(*v));
				if (v != NULL) {
					last = v;
					memcpy(last, b->after, b->nafter * sizeof(*v));
					nlast = b->nafter;
					last_epoch = b->had_rows ? b->last_epoch : settled;
					last_due = true;
				}
			}
			if (rc < 0) {
				pthread_mutex_unlock(&s->mu);
				set_fatal(s, "kafka source '%s': out of memory noting a batch",
					  s->name);
				break;
			}
		}
		if (b->state == KB_ANNOUNCED && settled > b->last_epoch)
			b->state = KB_EMPTY;
		empty = b->state == KB_EMPTY;
		pthread_mutex_unlock(&s->mu);
		if (announce) {
			atomic_store(&s->announced_epoch, b->last_epoch);
			atomic_fetch_add_explicit(&s->announced, 1, memory_order_release);
			notify_cores(s);
		}
		if (ack)
			sl_ingest_trigger_ack(in, s->planned_ns);
		if (last_due && sl_ingest_committed(in) > last_epoch) {
			commit_to_group(s, last, nlast);
			last_due = false;
		}
		if (empty) {
			/* after one planning at least: it checks for lost data */
			if (s->available_now && !s->replay_due && s->planned_once && all_read(s)) {
				atomic_store(&s->finished, true);
				notify_cores(s);
				break;
			}
			uint64_t trig = s->interval ? sl_ingest_trigger_ns(in) : 0;
			if (!s->interval || trig > s->planned_ns) {
				int rc = plan_batch(s);
				if (rc == -EAGAIN)
					rc = 0;
				else if (rc < 0)
					break;
				else
					s->planned_once = true;
				if (s->interval) {
					s->planned_ns = trig;
					if (rc == 0)
						sl_ingest_trigger_ack(in, trig); /* nothing there now */
				}
				if (rc > 0) {
					notify_cores(s);
					continue;
				}
			}
		}
		pthread_mutex_lock(&s->mu);
		if (!atomic_load(&s->stop)) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += K_POLL_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		}
		pthread_mutex_unlock(&s->mu);
	}
	if (last_due && sl_ingest_committed(in) > last_epoch)
		commit_to_group(s, last, nlast);
	free(last);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the ingest cores                                                    */

static void core_warn(struct kcore *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void core_warn(struct kcore *t, const char *fmt, ...)
{
	uint64_t now = now_ns();
	if (t->last_err_ns != 0 && now - t->last_err_ns < (uint64_t)K_STALL_WARN_MS * 1000000)
		return;
	t->last_err_ns = now;
	char m[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	sl_ingest_log(t->in, "warning: %s", m);
}

static void count_malformed(struct kcore *t)
{
	if (t->rp == NULL)
		return;
	uint64_t m = sl_recparse_malformed(t->rp);
	t->st->malformed += m - t->seen_malformed;
	t->seen_malformed = m;
}

/* Hand the rows to the engine, then release the messages they pointed
 * into. 0, or -ECANCELED when the engine is stopping. */
static int commit(struct kcore *t)
{
	int rc = 0;
	struct sl_chunk *c = t->batch;
	if (c->nrows > 0) {
		if (!t->rows) {
			t->rows = true;
			pthread_mutex_lock(&t->s->mu);
			t->s->batch.had_rows = true; /* a stop now leaves part of it in an epoch */
			pthread_mutex_unlock(&t->s->mu);
		}
		t->epoch_of_rows = sl_ingest_epoch(t->in);
		t->st->rows += c->nrows;
		rc = sl_ingest_commit(t->in);
		if (t->rp != NULL)
			sl_recparse_reset(t->rp);
	}
	count_malformed(t);
	for (uint32_t i = 0; i < t->nheld; i++)
		rd_kafka_message_destroy(t->held[i]);
	t->nheld = 0;
	t->nhdrs = 0;
	return rc;
}

/* Room for `more` header elements in t->hdrs (grows to the largest batch
 * seen, then stays). 0 or -ENOMEM. */
static int hdrs_reserve(struct kcore *t, size_t more)
{
	if (more <= (size_t)t->caphdrs - t->nhdrs)
		return 0;
	size_t cap = t->caphdrs ? t->caphdrs : 256;
	while (cap - t->nhdrs < more)
		cap *= 2;
	if (cap > UINT32_MAX)
		return -ENOMEM;
	struct sl_header *v = realloc(t->hdrs.v.hdr, cap * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	t->hdrs.v.hdr = v;
	uint8_t *nl = realloc(t->hdrs.nulls, cap);
	if (nl == NULL)
		return -ENOMEM;
	memset(nl + t->caphdrs, 0, cap - t->caphdrs); /* a header is never null */
	t->hdrs.nulls = nl;
	t->caphdrs = (uint32_t)cap;
	return 0;
}

/* Row `row` of the headers column v: m's headers, NULL when it has none
 * (Spark's). The header names and values point into m. */
static int put_headers(struct kcore *t, struct sl_vec *v, uint32_t row, rd_kafka_message_t *m)
{
	rd_kafka_headers_t *hs = NULL;
	size_t n = 0;
	if (rd_kafka_message_headers(m, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR && hs != NULL)
		n = rd_kafka_header_cnt(hs);
	v->elem = &t->hdrs;
	if (n == 0) {
		v->nulls[row] = 1;
		v->v.arr[row] = (struct sl_span){t->nhdrs, 0};
		return 0;
	}
	if (hdrs_reserve(t, n) < 0)
		return -ENOMEM;
	uint32_t first = t->nhdrs;
	for (size_t i = 0; i < n; i++) {
		const char *name;
		const void *val;
		size_t size;
		if (rd_kafka_header_get_all(hs, i, &name, &val, &size) != RD_KAFKA_RESP_ERR_NO_ERROR)
			break;
		struct sl_header *h = &t->hdrs.v.hdr[t->nhdrs++];
		size_t nl = strlen(name);
		h->key = (struct sl_str){name, nl > UINT32_MAX ? UINT32_MAX : (uint32_t)nl};
		h->value_null = val == NULL;
		h->value = val == NULL ? (struct sl_str){"", 0}
				       : (struct sl_str){val, size > UINT32_MAX ? UINT32_MAX
									       : (uint32_t)size};
	}
	v->nulls[row] = 0;
	v->v.arr[row] = (struct sl_span){first, t->nhdrs - first};
	return 0;
}

static void put_str(struct sl_vec *v, uint32_t row, const void *p, size_t len)
{
	if (p == NULL) {
		v->nulls[row] = 1;
		v->v.str[row] = (struct sl_str){"", 0};
		return;
	}
	v->nulls[row] = 0;
	v->v.str[row] = (struct sl_str){p, (uint32_t)len};
}

/* One record into the batch (its message held until the commit). 0, or
 * -errno after sl_ingest_fail (FAILFAST, no memory). */
static int emit(struct kcore *t, rd_kafka_message_t *m)
{
	struct sl_source *s = t->s;
	struct sl_chunk *c = t->batch;
	uint32_t row = c->nrows;
	t->held[t->nheld++] = m;
	t->st->bytes += m->len + m->key_len;
	if (m->len > UINT32_MAX || m->key_len > UINT32_MAX) {
		t->st->malformed++;
		core_warn(t, "kafka source '%s': topic '%s' partition %d offset %" PRId64
			     ": a record of 4 GiB or more, skipped",
			  s->name, rd_kafka_topic_name(m->rkt), m->partition, m->offset);
		return 0;
	}
	if (s->p.has_format) {
		if (m->payload == NULL)
			return 0; /* a tombstone: no record */
		int rc = sl_recparse_line(t->rp, m->payload, (uint32_t)m->len, c, row, t->err,
					  sizeof(t->err));
		if (rc == 1)
			c->nrows++;
		if (rc >= 0)
			return 0;
		if (rc == -ENOMEM)
			sl_ingest_fail(t->in, "kafka source '%s': out of memory parsing a record",
				       s->name);
		else
			sl_ingest_fail(t->in, "kafka source '%s': topic '%s' partition %d offset %" PRId64
					      ": %s",
				       s->name, rd_kafka_topic_name(m->rkt), m->partition, m->offset,
				       t->err);
		return rc;
	}
	for (uint32_t k = 0; k < c->ncols; k++) {
		struct sl_vec *v = &c->cols[k];
		rd_kafka_timestamp_type_t tt;
		int64_t ts;
		switch (s->colmap[k]) {
		case KC_KEY:
			put_str(v, row, m->key, m->key_len);
			break;
		case KC_VALUE:
			put_str(v, row, m->payload, m->len);
			break;
		case KC_TOPIC: {
			const char *name = rd_kafka_topic_name(m->rkt);
			put_str(v, row, name, strlen(name));
			break;
		}
		case KC_PARTITION:
			v->nulls[row] = 0;
			v->v.i64[row] = m->partition;
			break;
		case KC_OFFSET:
			v->nulls[row] = 0;
			v->v.i64[row] = m->offset;
			break;
		case KC_TIMESTAMP:
			ts = rd_kafka_message_timestamp(m, &tt);
			v->nulls[row] = tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0;
			v->v.i64[row] = v->nulls[row] ? 0 : ts * 1000;
			break;
		case KC_HEADERS:
			if (put_headers(t, v, row, m) < 0) {
				sl_ingest_fail(t->in, "kafka source '%s': out of memory for the headers "
						      "of a record",
					       s->name);
				return -ENOMEM;
			}
			break;
		case KC_TSTYPE:
			(void)rd_kafka_message_timestamp(m, &tt);
			v->nulls[row] = 0;
			/* Kafka's TimestampType ids, as Spark shows them */
			v->v.i64[row] = tt == RD_KAFKA_TIMESTAMP_CREATE_TIME	   ? 0
					: tt == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? 1
										   : -1;
			break;
		case KC_N:
			break;
		}
	}
	c->nrows++;
	return 0;
}

static struct kcpart *core_part(struct kcore *t, uint32_t pi)
{
	for (uint32_t i = 0; i < t->nparts; i++)
		if (t->parts[i].pi == pi)
			return &t->parts[i];
	return NULL;
}

static int stash_push(struct kcpart *cp, rd_kafka_message_t *m)
{
	if (cp->headstash > 0 && cp->headstash == cp->nstash)
		cp->headstash = cp->nstash = 0;
	if (cp->nstash == cp->capstash) {
		uint32_t cap = cp->capstash ? cp->capstash * 2 : 64;
		rd_kafka_message_t **v = realloc(cp->stash, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		cp->stash = v;
		cp->capstash = cap;
	}
	cp->stash[cp->nstash++] = m;
	return 0;
}

static void stash_clear(struct kcpart *cp)
{
	for (uint32_t i = cp->headstash; i < cp->nstash; i++)
		rd_kafka_message_destroy(cp->stash[i]);
	cp->headstash = cp->nstash = 0;
}

/* Messages that reached the handle's own queue (those fetched before a new
 * partition's queue was split off, and the handle's errors). */
static int drain_main(struct kcore *t)
{
	rd_kafka_message_t *m;
	while ((m = rd_kafka_consumer_poll(t->rk, 0)) != NULL) {
		if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			core_warn(t, "kafka source '%s': %s%s%s", t->s->name,
				  m->rkt ? rd_kafka_topic_name(m->rkt) : "",
				  m->rkt ? ": " : "", rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		struct kcpart *cp = NULL;
		for (uint32_t i = 0; i < t->nparts && cp == NULL; i++)
			if (t->parts[i].partition == m->partition &&
			    strcmp(t->parts[i].topic, rd_kafka_topic_name(m->rkt)) == 0)
				cp = &t->parts[i];
		if (cp == NULL || m->offset < cp->pos || stash_push(cp, m) < 0)
			rd_kafka_message_destroy(m);
	}
	return 0;
}

/* Start reading partition (topic, part) at `start` on this core's
 * consumer, into a queue of its own. */
static struct kcpart *open_part(struct kcore *t, const struct krange *r)
{
	if (t->nparts == t->capparts) {
		uint32_t cap = t->capparts ? t->capparts * 2 : 8;
		struct kcpart *v = realloc(t->parts, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		t->parts = v;
		t->capparts = cap;
	}
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	if (l == NULL)
		return NULL;
	rd_kafka_topic_partition_list_add(l, r->topic, r->partition)->offset = r->start;
	rd_kafka_error_t *e = rd_kafka_incremental_assign(t->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (e != NULL) {
		snprintf(t->err, sizeof(t->err), "cannot read topic '%s' partition %d: %s", r->topic,
			 r->partition, rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
		return NULL;
	}
	rd_kafka_queue_t *q = rd_kafka_queue_get_partition(t->rk, r->topic, r->partition);
	if (q == NULL) {
		snprintf(t->err, sizeof(t->err), "no queue for topic '%s' partition %d", r->topic,
			 r->partition);
		return NULL;
	}
	rd_kafka_queue_forward(q, NULL);
	rd_kafka_queue_io_event_enable(q, t->io_fd, "\x01\0\0\0\0\0\0\0", 8);
	struct kcpart *cp = &t->parts[t->nparts++];
	*cp = (struct kcpart){.pi = r->pi, .topic = r->topic, .partition = r->partition, .q = q,
			      .pos = r->start};
	return cp;
}

/* Read from `to` again (a replay, or after records were lost). The
 * partition is assigned afresh: a seek is refused once the consumer has
 * reported the offset out of range (librdkafka's erroneous state). */
static int seek_part(struct kcore *t, struct kcpart *cp, const char *topic, int32_t part,
		     int64_t to)
{
	stash_clear(cp);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	if (l == NULL)
		return -ENOMEM;
	rd_kafka_topic_partition_list_add(l, topic, part)->offset = to;
	rd_kafka_error_t *e = rd_kafka_incremental_unassign(t->rk, l);
	if (e == NULL)
		e = rd_kafka_incremental_assign(t->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (e != NULL) {
		core_warn(t, "kafka source '%s': topic '%s' partition %d: cannot go to offset %" PRId64
			     ": %s; trying again",
			  t->s->name, topic, part, to, rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
		return -EAGAIN;
	}
	rd_kafka_queue_t *q = rd_kafka_queue_get_partition(t->rk, topic, part);
	if (q == NULL)
		return -ENOMEM;
	rd_kafka_queue_destroy(cp->q);
	cp->q = q;
	rd_kafka_queue_forward(q, NULL);
	rd_kafka_queue_io_event_enable(q, t->io_fd, "\x01\0\0\0\0\0\0\0", 8);
	cp->pos = to;
	drain_main(t);
	return 0;
}

/* The consumer says the next offset is out of the partition's range:
 * records were deleted before they were read (or the partition was made
 * again). 1 the range is finished, 0 go on, <0 fatal (failed). */
static int out_of_range(struct kcore *t, struct kcpart *cp, const struct krange *r)
{
	struct sl_source *s = t->s;
	int64_t lo = -1, hi = -1;
	rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(t->rk, r->topic, r->partition, &lo,
								 &hi, s->timeout_ms);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		core_warn(t, "kafka source '%s': topic '%s' partition %d: offset %" PRId64
			     " is out of range, and its range cannot be read now: %s; trying again",
			  s->name, r->topic, r->partition, cp->pos, rd_kafka_err2str(e));
		return seek_part(t, cp, r->topic, r->partition, cp->pos) == -ENOMEM ? -ENOMEM : 0;
	}
	if (cp->pos >= lo && cp->pos <= hi) /* there after all: read again */
		return seek_part(t, cp, r->topic, r->partition, cp->pos) == -ENOMEM ? -ENOMEM : 0;
	bool deleted = cp->pos < lo;
	if (s->p.fail_on_data_loss) {
		if (deleted)
			sl_ingest_fail(t->in,
				       "kafka source '%s': topic '%s' partition %d: offsets %" PRId64
				       " to %" PRId64
				       " were deleted before they were read (retention, or the "
				       "partition was deleted); its earliest offset is now %" PRId64
				       ". Some data may have been lost; set fail_on_data_loss = false to "
				       "skip such records and go on (Spark's failOnDataLoss)",
				       s->name, r->topic, r->partition, cp->pos, lo - 1, lo);
		else
			sl_ingest_fail(t->in,
				       "kafka source '%s': topic '%s' partition %d: offset %" PRId64
				       " is past its newest offset %" PRId64
				       ": the partition was deleted and made again, or its records "
				       "were deleted. Some data may have been lost; set "
				       "fail_on_data_loss = false to go on (Spark's failOnDataLoss)",
				       s->name, r->topic, r->partition, cp->pos, hi);
		return -EIO;
	}
	if (!deleted) {
		/* the planner goes on from the earliest offset at its next batch */
		sl_ingest_log(t->in,
			      "warning: kafka source '%s': topic '%s' partition %d: offset %" PRId64
			      " is past its newest offset %" PRId64
			      " (the partition was made again); the rest of this batch's range is "
			      "skipped (fail_on_data_loss = false). Some data may have been lost",
			      s->name, r->topic, r->partition, cp->pos, hi);
		cp->pos = r->end;
		return 1;
	}
	int64_t to = lo < r->end ? lo : r->end;
	atomic_fetch_add(&s->skipped, (uint64_t)(to - cp->pos));
	sl_ingest_log(t->in,
		      "warning: kafka source '%s': topic '%s' partition %d: offsets %" PRId64
		      " to %" PRId64 " were deleted before they were read; skipped "
		      "(fail_on_data_loss = false). Some data may have been lost",
		      s->name, r->topic, r->partition, cp->pos, lo - 1);
	if (lo >= r->end) {
		cp->pos = r->end;
		stash_clear(cp);
		return 1;
	}
	return seek_part(t, cp, r->topic, r->partition, lo) == -ENOMEM ? -ENOMEM : 0;
}

/* Take what range r has ready: 1 it is read whole, 0 not yet, <0 fatal.
 * *moved: something was taken. */
static int read_range(struct kcore *t, struct kcpart *cp, const struct krange *r, bool *moved)
{
	rd_kafka_message_t *ms[K_MSGS];
	for (;;) {
		if (cp->pos >= r->end)
			return 1;
		/* what an earlier batch took past its end, first */
		while (cp->headstash < cp->nstash && cp->pos < r->end) {
			rd_kafka_message_t *m = cp->stash[cp->headstash];
			if (m->offset >= r->end) {
				cp->pos = r->end; /* a gap (compaction): the range is read */
				break;
			}
			cp->headstash++;
			*moved = true;
			if (m->offset < cp->pos) {
				rd_kafka_message_destroy(m);
				continue;
			}
			cp->pos = m->offset + 1;
			int rc = emit(t, m);
			if (rc < 0)
				return rc;
			if ((t->batch->nrows == SL_INGEST_BATCH_ROWS ||
			     t->nheld == SL_INGEST_BATCH_ROWS) &&
			    (rc = commit(t)) < 0)
				return rc;
		}
		if (cp->pos >= r->end)
			return 1;
		uint64_t want = (uint64_t)(r->end - cp->pos);
		size_t room = SL_INGEST_BATCH_ROWS - t->nheld;
		size_t n = want < room ? (size_t)want : room;
		if (n > K_MSGS)
			n = K_MSGS;
		ssize_t got = rd_kafka_consume_batch_queue(cp->q, 0, ms, n);
		if (got <= 0)
			return 0;
		*moved = true;
		int rc = 0;
		for (ssize_t i = 0; i < got; i++) {
			rd_kafka_message_t *m = ms[i];
			if (rc != 0) { /* finished or failed: drop the rest */
				rd_kafka_message_destroy(m);
				continue;
			}
			if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
				rd_kafka_resp_err_t e = m->err;
				int64_t eof = m->offset; /* PARTITION_EOF: the partition's end */
				char what[512];
				snprintf(what, sizeof(what), "%s", rd_kafka_message_errstr(m));
				rd_kafka_message_destroy(m);
				if (e == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
				    e == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
					rc = out_of_range(t, cp, r);
					if (rc == 0)
						rc = 2; /* sought: what follows is stale */
				} else if (e == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
					/* every record below eof came before this
					 * event: offsets of [pos, end) that none
					 * had are transaction markers (or records
					 * compacted away), and the range is read */
					if (eof >= r->end && cp->pos < r->end)
						cp->pos = r->end;
				} else {
					core_warn(t, "kafka source '%s': topic '%s' partition %d: %s",
						  t->s->name, r->topic, r->partition, what);
				}
				continue;
			}
			if (m->offset < cp->pos) {
				rd_kafka_message_destroy(m);
				continue;
			}
			if (m->offset >= r->end) {
				if (stash_push(cp, m) < 0) {
					rd_kafka_message_destroy(m);
					rc = -ENOMEM;
					sl_ingest_fail(t->in, "kafka source '%s': out of memory",
						       t->s->name);
				}
				continue;
			}
			cp->pos = m->offset + 1;
			if ((rc = emit(t, m)) < 0)
				continue;
		}
		if (rc < 0)
			return rc;
		if (rc == 1)
			return 1;
		if ((t->batch->nrows == SL_INGEST_BATCH_ROWS || t->nheld == SL_INGEST_BATCH_ROWS) &&
		    (rc = commit(t)) < 0)
			return rc;
		if (cp->nstash > cp->headstash && cp->pos < r->end &&
		    cp->stash[cp->headstash]->offset >= r->end)
			cp->pos = r->end; /* a gap before the end: read */
	}
}

/* Answer an announcement: the batch is read whole, its epoch is done. */
static void say_done(struct kcore *t)
{
	uint64_t a = atomic_load_explicit(&t->s->announced, memory_order_acquire);
	if (a > t->said) {
		sl_ingest_epoch_done(t->in, atomic_load(&t->s->announced_epoch));
		t->said = a;
	}
}

/* Sleep until the planner, librdkafka or the engine wants attention. */
static int wait_event(struct kcore *t, int timeout_ms)
{
	struct pollfd pfd[3] = {
		{.fd = sl_ingest_wake_fd(t->in), .events = POLLIN},
		{.fd = t->work_fd, .events = POLLIN},
		{.fd = t->io_fd, .events = POLLIN},
	};
	if (poll(pfd, 3, timeout_ms) > 0) {
		if (pfd[0].revents & POLLIN)
			sl_ingest_wake_ack(t->in);
		for (int i = 1; i < 3; i++)
			if (pfd[i].revents & POLLIN) {
				uint64_t v;
				ssize_t r = read(pfd[i].fd, &v, sizeof(v));
				(void)r;
			}
	}
	return sl_ingest_poll(t->in);
}

/* Copy this core's ranges of a new batch (s->mu held). */
static int take_ranges(struct kcore *t)
{
	const struct kbatch *b = &t->s->batch;
	uint32_t from = b->first[t->idx], to = b->first[t->idx + 1];
	uint32_t n = to - from;
	if (n > t->capmine) {
		struct krange *v = realloc(t->mine, n * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		t->mine = v;
		t->capmine = n;
	}
	memcpy(t->mine, b->r + from, n * sizeof(*t->mine));
	t->nmine = n;
	t->seq = b->seq;
	return 0;
}

/* Read this core's part of the batch, commit it, and report. */
static int read_batch(struct kcore *t)
{
	struct sl_source *s = t->s;
	t->rows = false;
	bool opened = false;
	struct kcpart **cps = NULL;
	int rc = 0;
	if (t->nmine > 0 && (cps = calloc(t->nmine, sizeof(*cps))) == NULL)
		goto nomem;
	for (uint32_t i = 0; i < t->nmine; i++) {
		const struct krange *r = &t->mine[i];
		struct kcpart *cp = core_part(t, r->pi);
		if (cp == NULL) {
			if ((cp = open_part(t, r)) == NULL) {
				sl_ingest_fail(t->in, "kafka source '%s': %s", s->name,
					       t->err[0] ? t->err : "out of memory");
				free(cps);
				return -EIO;
			}
			opened = true;
		} else if (cp->pos != r->start) {
			while ((rc = seek_part(t, cp, r->topic, r->partition, r->start)) == -EAGAIN)
				if ((rc = wait_event(t, K_WAIT_MS)) < 0)
					goto out;
			if (rc < 0)
				goto nomem;
		}
		cps[i] = cp;
	}
	/* core_part's pointers stay: t->parts grows only in open_part above */
	for (uint32_t i = 0; i < t->nmine; i++)
		cps[i] = core_part(t, t->mine[i].pi);
	if (opened)
		drain_main(t);
	uint64_t since = now_ns();
	for (;;) {
		bool all = true, moved = false;
		for (uint32_t i = 0; i < t->nmine; i++) {
			int r = read_range(t, cps[i], &t->mine[i], &moved);
			if (r < 0) {
				rc = r;
				goto out;
			}
			all &= r == 1;
		}
		if (all)
			break;
		if (moved) {
			since = now_ns();
			continue;
		}
		/* nothing ready: hand over what was read, then wait */
		if ((rc = commit(t)) < 0)
			goto out;
		if (sl_ingest_should_stop(t->in)) {
			rc = -ECANCELED;
			goto out;
		}
		if ((rc = wait_event(t, K_WAIT_MS)) < 0)
			goto out;
		drain_main(t);
		if (now_ns() - since >= (uint64_t)K_STALL_WARN_MS * 1000000) {
			for (uint32_t i = 0; i < t->nmine; i++)
				if (cps[i]->pos < t->mine[i].end)
					core_warn(t, "kafka source '%s': waiting %d s for topic '%s' "
						     "partition %d offsets %" PRId64 " to %" PRId64
						     " (is its broker up?)",
						  s->name, K_STALL_WARN_MS / 1000, t->mine[i].topic,
						  t->mine[i].partition, cps[i]->pos,
						  t->mine[i].end - 1);
			since = now_ns();
		}
	}
	if ((rc = commit(t)) < 0)
		goto out;
	pthread_mutex_lock(&s->mu);
	s->batch.cores_done++;
	if (t->rows && s->batch.last_epoch < t->epoch_of_rows)
		s->batch.last_epoch = t->epoch_of_rows;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
out:
	free(cps);
	return rc;
nomem:
	free(cps);
	sl_ingest_fail(t->in, "kafka source '%s': out of memory", s->name);
	return -ENOMEM;
}

static int kafka_run(struct sl_source *s, struct sl_ingest *in, uint32_t idx)
{
	if (idx >= s->n_ingest)
		return 0;
	struct kcore *t = &s->cores[idx];
	t->in = in;
	t->batch = sl_ingest_batch(in);
	t->st = sl_ingest_stats(in);
	if (idx == 0) {
		s->in0 = in;
		int e = pthread_create(&s->planner, NULL, planner_main, s);
		if (e != 0) {
			sl_ingest_fail(in, "kafka source '%s': cannot start its planner thread: %s",
				       s->name, strerror(e));
			return -e;
		}
		s->planner_started = true;
	}
	int rc = 0;
	for (;;) {
		if (sl_ingest_should_stop(in))
			break;
		if (atomic_load(&s->has_fatal)) {
			if (idx == 0) {
				pthread_mutex_lock(&s->mu);
				sl_ingest_fail(in, "%s", s->fatal);
				pthread_mutex_unlock(&s->mu);
				rc = -EIO;
			}
			break;
		}
		say_done(t);
		pthread_mutex_lock(&s->mu);
		bool fresh = s->batch.state == KB_READING && s->batch.seq > t->seq;
		int trc = fresh ? take_ranges(t) : 0;
		pthread_mutex_unlock(&s->mu);
		if (trc < 0) {
			sl_ingest_fail(in, "kafka source '%s': out of memory", s->name);
			rc = trc;
			break;
		}
		if (fresh) {
			if ((rc = read_batch(t)) < 0)
				break;
			continue;
		}
		if (atomic_load(&s->finished))
			break;
		if ((rc = wait_event(t, K_WAIT_MS)) < 0)
			break;
		if (t->nparts > 0)
			drain_main(t);
	}
	if (rc == -ECANCELED)
		rc = 0;
	if (rc == 0 && commit(t) == 0) /* on a stop: what was read goes into the last epoch */
		say_done(t);
	else
		commit(t);
	if (idx == 0 && s->planner_started) {
		pthread_mutex_lock(&s->mu);
		atomic_store(&s->stop, true);
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->planner, NULL);
		s->planner_started = false;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* open and close (control thread)                                     */

static void kafka_close(struct sl_source *s)
{
	if (s == NULL)
		return;
	for (uint32_t c = 0; s->cores != NULL && c < s->n_ingest; c++) {
		struct kcore *t = &s->cores[c];
		for (uint32_t i = 0; i < t->nheld; i++)
			rd_kafka_message_destroy(t->held[i]);
		for (uint32_t i = 0; i < t->nparts; i++) {
			stash_clear(&t->parts[i]);
			free(t->parts[i].stash);
			rd_kafka_queue_destroy(t->parts[i].q);
		}
		free(t->parts);
		if (t->rk != NULL) {
			rd_kafka_consumer_close(t->rk);
			rd_kafka_destroy(t->rk);
		}
		if (t->rp != NULL)
			sl_recparse_destroy(t->rp);
		if (t->io_fd >= 0)
			close(t->io_fd);
		if (t->work_fd >= 0)
			close(t->work_fd);
		free(t->mine);
		free(t->hdrs.v.hdr);
		free(t->hdrs.nulls);
	}
	free(s->cores);
	if (s->meta != NULL) {
		rd_kafka_consumer_close(s->meta);
		rd_kafka_destroy(s->meta);
	}
	if (s->conf != NULL)
		rd_kafka_conf_destroy(s->conf);
	hs_free_scratch(s->re_scratch);
	hs_free_database(s->re);
	sl_kafka_tpo_free(s->assign, s->nassign);
	sl_kafka_tpo_free(s->starts, s->nstarts);
	for (uint32_t i = 0; i < s->ntopics; i++)
		free(s->topics[i]);
	free(s->topics);
	for (uint32_t i = 0; i < s->nparts; i++)
		free(s->parts[i].topic);
	free(s->parts);
	free(s->load);
	free(s->batch.r);
	free(s->batch.first);
	free(s->batch.after);
	free(s->batch.before);
	free(s->batch.latest);
	for (uint32_t i = 0; i < K_PROG_KEEP; i++) {
		free(s->prog[i].start);
		free(s->prog[i].end);
		free(s->prog[i].latest);
	}
	for (uint32_t i = 0; i < s->nnotes; i++)
		free(s->notes[i].next);
	free(s->notes);
	free(s->ck_next);
	free(s->final_end);
	free(s->replay);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

/* subscribe's comma list, trimmed. */
static int split_topics(struct sl_source *s, const char *list)
{
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *a = p, *b = p + n;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		char **v = realloc(s->topics, (s->ntopics + 1) * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		s->topics = v;
		if ((s->topics[s->ntopics] = strndup(a, (size_t)(b - a))) == NULL)
			return -ENOMEM;
		s->ntopics++;
		p = e ? e + 1 : b;
	}
	return 0;
}

/* The durable view starts where the query starts (open), for a checkpoint
 * written before any batch. */
static int ck_from_parts(struct sl_source *s)
{
	int64_t *v = realloc(s->ck_next, (s->nparts + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	s->ck_next = v;
	s->ck_n = s->nparts;
	for (uint32_t i = 0; i < s->nparts; i++)
		v[i] = s->parts[i].next;
	return 0;
}

static struct sl_source *kafka_open(const struct sl_source_spec *spec,
				    const struct sl_settings *set, uint32_t n_ingest, char *err,
				    size_t errlen)
{
	(void)set;
	struct sl_source *s = calloc(1, sizeof(*s));
	if (s == NULL || n_ingest == 0) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	snprintf(s->name, sizeof(s->name), "%s", spec->name);
	s->n_ingest = n_ingest;
	if (parse_params(spec, &s->p, err, errlen) < 0)
		goto fail;
	s->available_now = spec->trigger == SL_TRIGGER_AVAILABLE_NOW ||
			   spec->trigger == SL_TRIGGER_ONCE;
	s->once = spec->trigger == SL_TRIGGER_ONCE;
	s->interval = spec->trigger == SL_TRIGGER_INTERVAL;
	s->load = calloc(n_ingest, sizeof(*s->load));
	s->batch.first = calloc(n_ingest + 1, sizeof(*s->batch.first));
	s->cores = calloc(n_ingest, sizeof(*s->cores));
	if (s->load == NULL || s->batch.first == NULL || s->cores == NULL)
		goto nomem;
	for (uint32_t c = 0; c < n_ingest; c++) {
		s->cores[c].io_fd = s->cores[c].work_fd = -1;
		s->cores[c].hdrs.type = SL_TYPE_HEADER;
	}
	for (uint32_t k = 0; !s->p.has_format && k < spec->schema.ncols; k++)
		s->colmap[k] = (enum kcol)kafka_col_of(spec->schema.cols[k].name);

	const struct sl_option *o = s->p.sub_opt;
	if (s->p.sub == SUB_LIST && split_topics(s, o->value) < 0)
		goto nomem;
	if (s->p.sub == SUB_PATTERN) {
		char e[512];
		if ((s->re = compile_pattern(o->value, e, sizeof(e))) == NULL) {
			snprintf(err, errlen, "line %u, column %u: option '%s': %s", o->line,
				 o->column, o->key, e);
			goto fail;
		}
		if (hs_alloc_scratch(s->re, &s->re_scratch) != HS_SUCCESS)
			goto nomem;
	}
	if (s->p.sub == SUB_ASSIGN &&
	    sl_kafka_json_parse(o->value, strlen(o->value), true, &s->assign, &s->nassign, err,
				errlen) < 0)
		goto fail;
	if ((s->p.start == START_JSON || s->p.start == START_TS_JSON) &&
	    sl_kafka_json_parse(s->p.start_opt->value, strlen(s->p.start_opt->value), false,
				&s->starts, &s->nstarts, err, errlen) < 0)
		goto fail;
	if (build_conf(s, spec, err, errlen) < 0)
		goto fail;
	if ((s->meta = new_handle(s, "planner", err, errlen)) == NULL)
		goto fail;
	for (uint32_t c = 0; c < n_ingest; c++) {
		struct kcore *t = &s->cores[c];
		char suffix[32];
		snprintf(suffix, sizeof(suffix), "core%u", c);
		t->s = s;
		t->idx = c;
		if ((t->rk = new_handle(s, suffix, err, errlen)) == NULL)
			goto fail;
		rd_kafka_poll_set_consumer(t->rk);
		t->io_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		t->work_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (t->io_fd < 0 || t->work_fd < 0) {
			snprintf(err, errlen, "kafka source '%s': eventfd: %s", s->name,
				 strerror(errno));
			goto fail;
		}
		if (s->p.has_format) {
			struct sl_option *fo = calloc(spec->options.n + 1, sizeof(*fo));
			if (fo == NULL)
				goto nomem;
			struct sl_source_spec fs;
			sl_recparse_format_spec(spec, s->p.format, kafka_own_key, fo, &fs);
			t->rp = sl_recparse_create(&fs, s->p.format, err, errlen);
			free(fo);
			if (t->rp == NULL)
				goto fail;
		}
	}
	/* the partitions, and where they start */
	uint32_t added = 0;
	if (discover(s, K_UNRESOLVED, &added, err, errlen) < 0)
		goto fail;
	s->discovered_ns = now_ns();
	if (s->p.sub == SUB_LIST)
		for (uint32_t i = 0; i < s->ntopics; i++) {
			bool found = false;
			for (uint32_t k = 0; k < s->nparts && !found; k++)
				found = strcmp(s->parts[k].topic, s->topics[i]) == 0;
			if (!found)
				fprintf(stderr,
					"sluice: warning: kafka source '%s': topic '%s' does not exist "
					"(yet); the query reads it from its earliest offset once it "
					"has partitions\n",
					s->name, s->topics[i]);
		}
	if (s->p.sub == SUB_ASSIGN)
		for (uint32_t i = 0; i < s->nassign; i++)
			if (find_part(s, s->assign[i].topic, s->assign[i].partition) < 0) {
				snprintf(err, errlen,
					 "line %u, column %u: option 'assign' names topic '%s' partition "
					 "%d, which the cluster at '%s' does not have",
					 o->line, o->column, s->assign[i].topic, s->assign[i].partition,
					 s->p.bootstrap);
				goto fail;
			}
	if (s->p.start == START_JSON || s->p.start == START_TS_JSON)
		for (uint32_t i = 0; i < s->nstarts; i++)
			if (find_part(s, s->starts[i].topic, s->starts[i].partition) < 0) {
				const struct sl_option *so = s->p.start_opt;
				snprintf(err, errlen,
					 "line %u, column %u: option '%s' names topic '%s' partition "
					 "%d, which the query does not read (not in its subscription, "
					 "or not in the cluster)",
					 so->line, so->column, so->key, s->starts[i].topic,
					 s->starts[i].partition);
				goto fail;
			}
	if (resolve_starts(s, true, err, errlen) < 0)
		goto fail;
	if (ck_from_parts(s) < 0)
		goto nomem;
	if (s->available_now) {
		/* Spark's AvailableNow: what is there now is the input */
		s->nfinal = s->nparts;
		s->final_end = calloc(s->nparts + 1, sizeof(*s->final_end));
		uint32_t *pis = calloc(s->nparts + 1, sizeof(*pis));
		int64_t *q = calloc(s->nparts + 1, sizeof(*q));
		if (s->final_end == NULL || pis == NULL || q == NULL) {
			free(pis);
			free(q);
			goto nomem;
		}
		for (uint32_t i = 0; i < s->nparts; i++) {
			pis[i] = i;
			q[i] = -1;
		}
		int rc = list_offsets(s, pis, q, s->nparts, s->final_end, err, errlen);
		free(pis);
		free(q);
		if (rc < 0)
			goto fail;
	}
	return s;
nomem:
	snprintf(err, errlen, "kafka source '%s': out of memory", spec->name);
fail:
	kafka_close(s);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* checkpoint and restore (control thread)                             */

static int put_le(struct sl_strbuf *b, uint64_t v, unsigned bytes)
{
	char x[8];
	for (unsigned i = 0; i < bytes; i++)
		x[i] = (char)(v >> (8 * i));
	return sl_strbuf_append(b, x, bytes);
}

static bool get_le(const uint8_t **p, const uint8_t *end, unsigned bytes, uint64_t *v)
{
	if ((size_t)(end - *p) < bytes)
		return false;
	uint64_t x = 0;
	for (unsigned i = 0; i < bytes; i++)
		x |= (uint64_t)(*p)[i] << (8 * i);
	*p += bytes;
	*v = x;
	return true;
}

int sl_kafka_offset_put(struct sl_strbuf *b, uint64_t batches,
			const struct sl_kafka_offset_entry *v, uint32_t n)
{
	int rc = put_le(b, K_CK_VERSION, 1) | put_le(b, 'k', 1) | put_le(b, batches, 8) |
		 put_le(b, n, 4);
	for (uint32_t i = 0; rc == 0 && i < n; i++)
		rc = put_le(b, v[i].tlen, 2) | sl_strbuf_append(b, v[i].topic, v[i].tlen) |
		     put_le(b, (uint32_t)v[i].partition, 4) | put_le(b, (uint64_t)v[i].next, 8);
	return rc < 0 ? -ENOMEM : 0;
}

int sl_kafka_offset_parse(const void *data, size_t len, uint64_t *batches,
			  struct sl_kafka_offset_entry **out, uint32_t *n)
{
	const uint8_t *p = data, *end = p + len;
	uint64_t ver, kind, m;
	*out = NULL;
	*n = 0;
	if (!get_le(&p, end, 1, &ver) || !get_le(&p, end, 1, &kind) || ver != K_CK_VERSION ||
	    kind != 'k' || !get_le(&p, end, 8, batches) || !get_le(&p, end, 4, &m) ||
	    m > len / 15)
		return -EINVAL;
	struct sl_kafka_offset_entry *v = calloc(m + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (uint64_t i = 0; i < m; i++) {
		uint64_t tl, part, next;
		if (!get_le(&p, end, 2, &tl) || tl == 0 || (size_t)(end - p) < tl ||
		    memchr(p, '\0', tl) != NULL)
			goto bad;
		const char *t = (const char *)p;
		p += tl;
		if (!get_le(&p, end, 4, &part) || !get_le(&p, end, 8, &next) || part > INT32_MAX ||
		    next > INT64_MAX)
			goto bad;
		v[i] = (struct sl_kafka_offset_entry){.topic = t, .tlen = (uint16_t)tl,
						      .partition = (int32_t)part,
						      .next = (int64_t)next};
	}
	if (p != end)
		goto bad;
	*out = v;
	*n = (uint32_t)m;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

/* The offset: batches, then every partition's next offset (s->mu held:
 * the topics' names are read). */
static int write_offset(struct sl_source *s, struct sl_strbuf *b, uint64_t batches,
			const int64_t *next, uint32_t n)
{
	struct sl_kafka_offset_entry *v = calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++)
		if (next[i] != K_UNRESOLVED && next[i] >= 0)
			v[m++] = (struct sl_kafka_offset_entry){
				.topic = s->parts[i].topic,
				.tlen = (uint16_t)strlen(s->parts[i].topic),
				.partition = s->parts[i].partition,
				.next = next[i]};
	int rc = sl_kafka_offset_put(b, batches, v, m);
	free(v);
	return rc;
}

static int kafka_checkpoint(struct sl_source *s, uint64_t epoch, const uint64_t *core_pos,
			    uint32_t ncores, bool compact, struct sl_strbuf *offset,
			    struct sl_strbuf *log, char *err, size_t errlen)
{
	(void)core_pos; /* the planner knows its batches' epochs */
	(void)ncores;
	(void)compact; /* no log: the offset says it all */
	(void)log;
	pthread_mutex_lock(&s->mu);
	absorb_notes(s, epoch + 1);
	int rc;
	/* a stop while a batch was read: its rows are in this epoch, but not
	 * all of them; the offset says the whole batch (the epoch to replay) */
	const struct kbatch *b = &s->batch;
	bool partial = b->state == KB_READING && b->had_rows;
	if (partial)
		rc = write_offset(s, offset, b->id + 1, b->after, b->nafter);
	else
		rc = write_offset(s, offset, s->ck_batches, s->ck_next, s->ck_n);
	uint64_t pid = b->id;
	pthread_mutex_unlock(&s->mu);
	if (rc < 0) {
		snprintf(err, errlen, "kafka source '%s': out of memory writing its checkpoint",
			 s->name);
		return rc;
	}
	if (partial) {
		snprintf(err, errlen,
			 "kafka source '%s': epoch %" PRIu64 " holds only part of batch %" PRIu64
			 " (the query stopped while reading it), so it must not be committed; a "
			 "restart reads the whole batch again",
			 s->name, epoch, pid);
		return -EAGAIN;
	}
	return 0;
}

/* Parse an offset (*v malloc'ed, pointing into it). 0, or -EINVAL / -ENOMEM
 * with a message. */
static int parse_offset(const struct sl_source *s, const struct sl_blob *b, const char *what,
			uint64_t *batches, struct sl_kafka_offset_entry **v, uint32_t *n,
			char *err, size_t errlen)
{
	int rc = sl_kafka_offset_parse(b->p, b->len, batches, v, n);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	else if (rc < 0)
		snprintf(err, errlen,
			 "the checkpoint's %s of kafka source '%s' does not parse (not written by "
			 "this version of the kafka source); give the query a new checkpoint "
			 "directory",
			 what, s->name);
	return rc;
}

/* The partition of a checkpoint entry, added (with the entry's next) when
 * the metadata did not list it: it is then gone, and the data-loss rules
 * apply at the first batch. -1 when its topic is no longer read. */
static int32_t part_of_entry(struct sl_source *s, const struct sl_kafka_offset_entry *e)
{
	char topic[32768];
	if (e->tlen >= sizeof(topic))
		return -1;
	memcpy(topic, e->topic, e->tlen);
	topic[e->tlen] = '\0';
	int32_t pi = find_part(s, topic, e->partition);
	if (pi >= 0 || !topic_wanted(s, topic) || !part_wanted(s, topic, e->partition))
		return pi;
	pi = add_part(s, topic, e->partition, e->next);
	if (pi >= 0)
		s->parts[pi].gone = true;
	return pi;
}

static int kafka_restore(struct sl_source *s, const struct sl_source_restore *r, char *err,
			 size_t errlen)
{
	struct sl_kafka_offset_entry *v = NULL;
	uint32_t n = 0;
	uint64_t batches = 0;
	int rc;
	if (r->offset.len == 0)
		return 0;
	if ((rc = parse_offset(s, &r->offset, "offset", &batches, &v, &n, err, errlen)) < 0)
		return rc;
	/* partitions of the checkpoint go on from there; those found since
	 * start from their earliest offset (Spark's new partitions) */
	for (uint32_t i = 0; i < s->nparts; i++)
		s->parts[i].next = K_UNRESOLVED;
	for (uint32_t i = 0; i < n; i++) {
		int32_t pi = part_of_entry(s, &v[i]);
		if (pi == -ENOMEM)
			goto nomem;
		if (pi >= 0)
			s->parts[pi].next = v[i].next;
	}
	free(v);
	v = NULL;
	if ((rc = resolve_starts(s, false, err, errlen)) < 0)
		return rc;
	s->batch.id = s->ck_batches = batches;
	if (ck_from_parts(s) < 0)
		goto nomem;
	if (r->replay.p == NULL || r->replay.len == 0)
		return 0;
	/* the batch after it ran, uncommitted: the same ends, first */
	uint64_t rb;
	if ((rc = parse_offset(s, &r->replay, "replayed offset", &rb, &v, &n, err, errlen)) < 0)
		return rc;
	s->replay = calloc(n + 1, sizeof(*s->replay));
	if (s->replay == NULL)
		goto nomem;
	for (uint32_t i = 0; i < n; i++) {
		int32_t pi = part_of_entry(s, &v[i]);
		if (pi == -ENOMEM)
			goto nomem;
		if (pi < 0 || s->parts[pi].next == K_UNRESOLVED || v[i].next <= s->parts[pi].next)
			continue;
		s->replay[s->nreplay++] = (struct krange){.pi = (uint32_t)pi, .end = v[i].next};
	}
	free(v);
	s->replay_due = s->nreplay > 0;
	return 0;
nomem:
	free(v);
	snprintf(err, errlen, "kafka source '%s': out of memory restoring its checkpoint", s->name);
	return -ENOMEM;
}

const struct sl_source_ops sl_source_kafka_ops = {
	.name = "kafka",
	.validate = kafka_validate,
	.open = kafka_open,
	.run = kafka_run,
	.close = kafka_close,
	.paces_epochs = true,
	.marks_epoch_parts = true,
	.plans_at_triggers = true,
	.schema_of = kafka_schema_of,
	.checkpoint = kafka_checkpoint,
	.restore = kafka_restore,
	.progress_offsets = kafka_progress_offsets,
};
