/*
 * sink_kafka.c — the "kafka" sink (Spark's Kafka sink): each epoch's rows
 * produced as Kafka records through librdkafka, at least once.
 *
 * Row layout, as Spark's KafkaWriter reads it (format absent):
 *   value      STRING or BINARY         required; a null is a tombstone
 *              (or a bare NULL)
 *   key        STRING or BINARY         optional; a null is no key
 *              (or NULL)
 *   topic      STRING                   optional when option 'topic' is set
 *                                       (the option wins over the column)
 *   partition  INT or BIGINT            optional; null: librdkafka's
 *                                       partitioner (hash of the key)
 *   headers    ARRAY<STRUCT<key: STRING, optional: the record's headers, in
 *              value: BINARY>>          order (a null value is a header
 *                                       without value); null: none
 * Any other column is refused at plan time (Spark ignores it silently; a
 * column dropped without a word is more often a mistake than a wish).
 * format = 'json': the value is the whole row as one JSON object, written
 * as the file sink writes json (sl_file_enc_row); the key is the STRING
 * or BINARY column option 'key' names, or none; topic as above.
 *
 * One batch (write(), on the control thread, sink.h):
 *  1. every row is handed to librdkafka (rd_kafka_producev, payload copied:
 *     the batch's memory is not ours once write returns); a full queue is
 *     polled until it has room;
 *  2. the producer is flushed until every record is delivered or has
 *     failed (each fails by message.timeout.ms, so this ends); the delivery
 *     callback keeps the first failure;
 *  3. a failure: one line on stderr naming the topic, partition and
 *     librdkafka's reason, and -EIO: the engine stops the query without
 *     committing the batch, so a restart from the checkpoint produces it
 *     again (at least once; enable.idempotence only removes the duplicates
 *     of librdkafka's own retries within one run).
 *
 * Memory: the JSON row text and librdkafka's copies; nothing else is
 * allocated per row. The delivery callback runs inside rd_kafka_poll /
 * rd_kafka_flush, i.e. on the control thread: no lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "format.h"
#include "sink.h"
#include "sink_file.h"
#include "source.h"

#define KAFKA_PREFIX "kafka."
/* flush in slices this long, so that a stuck batch is seen between them */
#define FLUSH_SLICE_MS 100
/* beyond message.timeout.ms, the longest a flush may take */
#define FLUSH_GRACE_MS 30000

/* Which column plays which part (-1: none). */
struct layout {
	int value, key, topic, partition, headers;
	bool json;
	const struct sl_option *topic_opt; /* NULL: the topic column */
	const struct sl_option *key_opt;   /* json: the key column's name */
};

/* The first delivery failure of the batch being written. */
struct failure {
	bool set;
	int32_t partition;
	char topic[256];
	char why[512];
};

/* Owned by the control thread; the delivery callback runs on it too. */
struct sl_sink {
	char name[SL_NAME_MAX];
	rd_kafka_t *rk;
	struct layout lay;
	char *topic;            /* option 'topic', owned; NULL: per row */
	int64_t flush_limit_ms; /* message.timeout.ms + FLUSH_GRACE_MS */
	/* json */
	struct sl_file_opts fo;
	struct sl_file_enc enc;
	bool enc_ready;
	struct sl_strbuf row;
	/* the batch being written */
	uint64_t batch;
	struct failure fail;
};

/* ------------------------------------------------------------------ */
/* options                                                             */

static const char known_keys[] =
	"bootstrap_servers (or kafka.bootstrap.servers), topic, format, key, kafka.<librdkafka "
	"property>";

/* Sets every kafka.<x> option on conf; -EINVAL with librdkafka's reason. */
static int conf_apply(rd_kafka_conf_t *conf, const struct sl_sink_spec *spec, char *err,
		      size_t errlen)
{
	char why[512];
	for (uint32_t i = 0; i < spec->options.n; i++) {
		const struct sl_option *o = &spec->options.v[i];
		const char *k = o->key;
		if (strcmp(k, "bootstrap_servers") == 0)
			k = "kafka.bootstrap.servers";
		if (strncmp(k, KAFKA_PREFIX, strlen(KAFKA_PREFIX)) != 0)
			continue;
		k += strlen(KAFKA_PREFIX);
		if (rd_kafka_conf_set(conf, k, o->value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
			snprintf(err, errlen,
				 "line %u, column %u: option '%s' of kafka sink '%s': librdkafka "
				 "refuses '%s' = '%s': %s (kafka.<x> options are librdkafka's "
				 "producer properties, see its CONFIGURATION.md)",
				 o->line, o->column, o->key, spec->name, k, o->value, why);
			return -EINVAL;
		}
	}
	return 0;
}

/* A conf with the sink's defaults, then the user's kafka.* options. */
static rd_kafka_conf_t *conf_build(const struct sl_sink_spec *spec, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char why[512];
	if (conf == NULL) {
		snprintf(err, errlen, "kafka sink '%s': out of memory", spec->name);
		return NULL;
	}
	if (rd_kafka_conf_set(conf, "enable.idempotence", "true", why, sizeof(why)) !=
		    RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "client.id", "sluice", why, sizeof(why)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "kafka sink '%s': librdkafka: %s", spec->name, why);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	if (conf_apply(conf, spec, err, errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return conf;
}

/* The throwaway producer's log: it warns that it has no brokers, which
 * is what it is for. */
static void quiet_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level;
	(void)fac;
	(void)buf;
}

static int kafka_validate(const struct sl_sink_spec *spec, char *err, size_t errlen)
{
	const struct sl_options *opts = &spec->options;
	for (uint32_t i = 0; i < opts->n; i++) {
		const struct sl_option *o = &opts->v[i];
		if (strcmp(o->key, "bootstrap_servers") == 0 || strcmp(o->key, "topic") == 0 ||
		    strcmp(o->key, "format") == 0 || strcmp(o->key, "key") == 0)
			continue;
		if (strncmp(o->key, KAFKA_PREFIX, strlen(KAFKA_PREFIX)) == 0 &&
		    o->key[strlen(KAFKA_PREFIX)] != '\0')
			continue;
		snprintf(err, errlen,
			 "line %u, column %u: unknown option '%s' for the kafka sink (options: %s)",
			 o->line, o->column, o->key, known_keys);
		return -EINVAL;
	}
	const struct sl_option *a = sl_options_find(opts, "bootstrap_servers");
	const struct sl_option *b = sl_options_find(opts, "kafka.bootstrap.servers");
	if (a != NULL && b != NULL) {
		snprintf(err, errlen,
			 "line %u, column %u: kafka sink '%s' has both 'bootstrap_servers' and "
			 "'kafka.bootstrap.servers'; keep one",
			 b->line, b->column, spec->name);
		return -EINVAL;
	}
	const struct sl_option *bs = a != NULL ? a : b;
	if (bs == NULL || bs->value[0] == '\0') {
		snprintf(err, errlen,
			 "line %u, column %u: kafka sink '%s' needs option 'bootstrap_servers', the "
			 "brokers to connect to first, e.g. bootstrap_servers = '127.0.0.1:9092' "
			 "(Spark's kafka.bootstrap.servers is taken too)",
			 bs ? bs->line : spec->line, bs ? bs->column : spec->column, spec->name);
		return -EINVAL;
	}
	const struct sl_option *t = sl_options_find(opts, "topic");
	if (t != NULL && t->value[0] == '\0') {
		snprintf(err, errlen,
			 "line %u, column %u: option 'topic' of kafka sink '%s' is empty; name a "
			 "topic, or leave the option out and give the rows a `topic` column",
			 t->line, t->column, spec->name);
		return -EINVAL;
	}
	const struct sl_option *f = sl_options_find(opts, "format");
	bool json = false;
	if (f != NULL) {
		if (strcasecmp(f->value, "json") != 0) {
			snprintf(err, errlen,
				 "line %u, column %u: option 'format' of the kafka sink must be "
				 "'json' (each row as one JSON object), not '%s'; leave it out for "
				 "Spark's layout (columns value, key, topic, partition)",
				 f->line, f->column, f->value);
			return -EINVAL;
		}
		json = true;
	}
	const struct sl_option *k = sl_options_find(opts, "key");
	if (k != NULL && !json) {
		snprintf(err, errlen,
			 "line %u, column %u: option 'key' of the kafka sink applies to format = "
			 "'json' only; without a format the key is the `key` column",
			 k->line, k->column);
		return -EINVAL;
	}
	/* librdkafka's own checks: of each name and value (conf_build), then
	 * of how they go together (rd_kafka_new: acks with idempotence, ...),
	 * on a throwaway producer that knows no broker, so that it connects
	 * to nothing */
	rd_kafka_conf_t *conf = conf_build(spec, err, errlen);
	if (conf == NULL)
		return -EINVAL;
	char why[512];
	rd_kafka_conf_set_log_cb(conf, quiet_log_cb);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", "", why, sizeof(why)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "kafka sink '%s': librdkafka: %s", spec->name, why);
		rd_kafka_conf_destroy(conf);
		return -EINVAL;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
	if (rk == NULL) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen,
			 "line %u, column %u: kafka sink '%s': librdkafka refuses the producer's "
			 "settings: %s (the sink sets enable.idempotence = true; kafka.<x> options "
			 "override it)",
			 spec->line, spec->column, spec->name, why);
		return -EINVAL;
	}
	rd_kafka_destroy(rk);
	return 0;
}

/* ------------------------------------------------------------------ */
/* columns                                                             */

static int find_col(const struct sl_schema *schema, const char *name)
{
	for (uint32_t i = 0; i < schema->ncols; i++)
		if (strcasecmp(schema->cols[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* A key or value column: STRING or BINARY, as Spark's KafkaWriter takes
 * (both are bytes as they are), or an all-NULL one. */
static bool is_bytes(const struct sl_schema *schema, int c)
{
	enum sl_type t = schema->cols[c].type;
	return sl_type_is_bytes(t) || t == SL_TYPE_NULL;
}

/* Which columns play which part; -EINVAL with Spark's reason and a fix. */
static int layout_make(const struct sl_sink_spec *spec, const struct sl_schema *schema,
		       struct layout *lay, char *err, size_t errlen)
{
	const struct sl_options *opts = &spec->options;
	*lay = (struct layout){.value = -1, .key = -1, .topic = -1, .partition = -1, .headers = -1};
	lay->json = sl_options_find(opts, "format") != NULL;
	lay->topic_opt = sl_options_find(opts, "topic");
	lay->key_opt = sl_options_find(opts, "key");
	unsigned L = spec->line, C = spec->column;
	const char *n = spec->name;

	if (lay->topic_opt == NULL) {
		lay->topic = find_col(schema, "topic");
		if (lay->topic < 0) {
			snprintf(err, errlen,
				 "line %u, column %u: kafka sink '%s': topic option required when "
				 "no 'topic' attribute is present; set topic = '...' or give the rows "
				 "a `topic` column",
				 L, C, n);
			return -EINVAL;
		}
		if (schema->cols[lay->topic].type != SL_TYPE_STRING) {
			snprintf(err, errlen,
				 "line %u, column %u: kafka sink '%s': Topic type must be a string, "
				 "and `topic` is %s; use CAST(... AS STRING) AS topic",
				 L, C, n, sl_type_name(schema->cols[lay->topic].type));
			return -EINVAL;
		}
	}
	if (lay->json) {
		if (lay->key_opt != NULL) {
			lay->key = find_col(schema, lay->key_opt->value);
			if (lay->key < 0) {
				snprintf(err, errlen,
					 "line %u, column %u: kafka sink '%s': option 'key' names "
					 "column `%s`, which the query's output does not have",
					 lay->key_opt->line, lay->key_opt->column, n,
					 lay->key_opt->value);
				return -EINVAL;
			}
			if (!is_bytes(schema, lay->key)) {
				snprintf(err, errlen,
					 "line %u, column %u: kafka sink '%s': key column `%s` is %s; "
					 "a Kafka key is a STRING or BINARY: select CAST(%s AS STRING) "
					 "AS ... and name that",
					 lay->key_opt->line, lay->key_opt->column, n,
					 schema->cols[lay->key].name,
					 sl_type_name(schema->cols[lay->key].type),
					 schema->cols[lay->key].name);
				return -EINVAL;
			}
		}
		return 0;
	}

	lay->value = find_col(schema, "value");
	if (lay->value < 0) {
		snprintf(err, errlen,
			 "line %u, column %u: kafka sink '%s': Required attribute 'value' not found; "
			 "select the record's text AS value, or set format = 'json' to write each "
			 "row as a JSON object",
			 L, C, n);
		return -EINVAL;
	}
	if (!is_bytes(schema, lay->value)) {
		snprintf(err, errlen,
			 "line %u, column %u: kafka sink '%s': value attribute type must be a string "
			 "or binary, and `value` is %s; use CAST(... AS STRING) AS value, or set "
			 "format = 'json'",
			 L, C, n, sl_type_name(schema->cols[lay->value].type));
		return -EINVAL;
	}
	lay->key = find_col(schema, "key");
	if (lay->key >= 0 && !is_bytes(schema, lay->key)) {
		snprintf(err, errlen,
			 "line %u, column %u: kafka sink '%s': key attribute type must be a string "
			 "or binary, and `key` is %s; use CAST(... AS STRING) AS key",
			 L, C, n, sl_type_name(schema->cols[lay->key].type));
		return -EINVAL;
	}
	lay->partition = find_col(schema, "partition");
	if (lay->partition >= 0 && !sl_type_is_integer(schema->cols[lay->partition].type)) {
		snprintf(err, errlen,
			 "line %u, column %u: kafka sink '%s': partition attribute type must be an "
			 "int, and `partition` is %s; use CAST(... AS INT) AS partition",
			 L, C, n, sl_type_name(schema->cols[lay->partition].type));
		return -EINVAL;
	}
	lay->headers = find_col(schema, "headers");
	if (lay->headers >= 0 && (schema->cols[lay->headers].type != SL_TYPE_ARRAY ||
				  schema->cols[lay->headers].elem_type != SL_TYPE_HEADER)) {
		const struct sl_column_def *h = &schema->cols[lay->headers];
		snprintf(err, errlen,
			 "line %u, column %u: kafka sink '%s': headers attribute type must be "
			 "ARRAY<STRUCT<key: STRING, value: BINARY>>, and `headers` is %s%s%s; select "
			 "a kafka source's headers column (include_headers = true) AS headers",
			 L, C, n, h->type == SL_TYPE_ARRAY ? "ARRAY<" : "",
			 sl_type_name(h->type == SL_TYPE_ARRAY ? h->elem_type : h->type),
			 h->type == SL_TYPE_ARRAY ? ">" : "");
		return -EINVAL;
	}
	int topic_col = find_col(schema, "topic"); /* ignored when the option is set */
	for (uint32_t i = 0; i < schema->ncols; i++) {
		int c = (int)i;
		if (c == lay->value || c == lay->key || c == lay->partition || c == topic_col ||
		    c == lay->headers)
			continue;
		snprintf(err, errlen,
			 "line %u, column %u: kafka sink '%s': column `%s` is not one the kafka sink "
			 "writes (value, key, topic, partition, headers); leave it out of the "
			 "SELECT, fold it "
			 "into value (e.g. concat(...) AS value), or set format = 'json' to write "
			 "each row as a JSON object",
			 L, C, n, schema->cols[i].name);
		return -EINVAL;
	}
	return 0;
}

static int kafka_validate_schema(const struct sl_sink_spec *spec, const struct sl_schema *schema,
				 char *err, size_t errlen)
{
	struct layout lay;
	return layout_make(spec, schema, &lay, err, errlen);
}

/* ------------------------------------------------------------------ */
/* the producer                                                        */

static void fail_note(struct sl_sink *s, const char *topic, int32_t partition, const char *why)
{
	if (s->fail.set)
		return;
	s->fail.set = true;
	s->fail.partition = partition;
	snprintf(s->fail.topic, sizeof(s->fail.topic), "%s", topic);
	snprintf(s->fail.why, sizeof(s->fail.why), "%s", why);
}

/* Delivery report: runs inside rd_kafka_poll / rd_kafka_flush, on the
 * control thread. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct sl_sink *s = opaque;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR || s->fail.set)
		return;
	char why[512];
	if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
		char fatal[400];
		rd_kafka_resp_err_t fe = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
		snprintf(why, sizeof(why), "fatal producer error %s: %s", rd_kafka_err2name(fe),
			 fatal);
	} else {
		snprintf(why, sizeof(why), "%s", rd_kafka_err2str(m->err));
	}
	fail_note(s, m->rkt != NULL ? rd_kafka_topic_name(m->rkt) : "?", m->partition, why);
}

/* librdkafka's log lines, said to be the sink's (from its threads: stdio
 * locks the stream). */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	const struct sl_sink *s = rd_kafka_opaque(rk);
	fprintf(stderr, "sluice: kafka sink '%s': librdkafka %s (level %d): %s\n",
		s != NULL ? s->name : "?", fac, level, buf);
}

/* Error events (rd_kafka_poll, control thread): the transient ones (a
 * broker down, a refused connection) are in the log lines already and
 * librdkafka retries them; a fatal one ends the producer, and its records
 * fail with its reason (dr_cb). Without this callback librdkafka would
 * print each of them a second time. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	const struct sl_sink *s = opaque;
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		fprintf(stderr, "sluice: kafka sink '%s': librdkafka fatal error: %s\n", s->name,
			reason);
}

static void kafka_close(struct sl_sink *s)
{
	if (s == NULL)
		return;
	if (s->rk != NULL) {
		/* every batch was flushed; what is left belongs to a failed one,
		 * which will be produced again: drop it rather than wait */
		rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(s->rk, 0);
		rd_kafka_destroy(s->rk);
	}
	if (s->enc_ready)
		sl_file_enc_free(&s->enc);
	sl_file_opts_free(&s->fo);
	sl_strbuf_free(&s->row);
	free(s->topic);
	free(s);
}

static struct sl_sink *kafka_open(const struct sl_sink_spec *spec, const struct sl_schema *schema,
				  FILE *out, char *err, size_t errlen)
{
	(void)out;
	char why[512];
	struct sl_sink *s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto err_nomem;
	snprintf(s->name, sizeof(s->name), "%s", spec->name);
	sl_strbuf_init(&s->row);
	if (layout_make(spec, schema, &s->lay, err, errlen) < 0)
		goto err;
	if (s->lay.topic_opt != NULL && (s->topic = strdup(s->lay.topic_opt->value)) == NULL)
		goto err_nomem;
	/* the options are not kept past open: drop the pointers into them */
	s->lay.topic_opt = s->lay.key_opt = NULL;
	if (s->lay.json) {
		s->fo.format = SL_FILE_JSON;
		s->fo.ignore_null_fields = true;
		s->fo.ts = sl_ts_pattern_compile(SL_TS_PATTERN_SPARK, why, sizeof(why));
		if (s->fo.ts == NULL)
			goto err_nomem;
		if (sl_file_enc_init(&s->enc, &s->fo, schema, NULL, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "kafka sink '%s': %s", spec->name, why);
			goto err;
		}
		s->enc_ready = true;
	}

	rd_kafka_conf_t *conf = conf_build(spec, err, errlen);
	if (conf == NULL)
		goto err;
	rd_kafka_conf_set_opaque(conf, s);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	char v[32];
	size_t vlen = sizeof(v);
	long mto = 300000;
	if (rd_kafka_conf_get(conf, "message.timeout.ms", v, &vlen) == RD_KAFKA_CONF_OK)
		mto = strtol(v, NULL, 10);
	/* 0 is "no limit" to librdkafka; then the flush waits as long */
	s->flush_limit_ms = mto > 0 ? mto + FLUSH_GRACE_MS : -1;
	s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
	if (s->rk == NULL) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "kafka sink '%s': librdkafka refuses the producer's settings: %s",
			 spec->name, why);
		goto err;
	}
	return s;
err_nomem:
	snprintf(err, errlen, "kafka sink '%s': out of memory", spec->name);
err:
	kafka_close(s);
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Hands one row to librdkafka; 0, or -EIO with the failure noted. */
static int produce_row(struct sl_sink *s, const struct sl_batch *b, uint32_t r)
{
	const struct layout *lay = &s->lay;
	const char *topic = s->topic;
	char tname[256];
	if (topic == NULL) {
		const struct sl_str *t = &b->cols[lay->topic].v.str[r];
		if (t->len == 0 || t->len >= sizeof(tname)) {
			fail_note(s, "", RD_KAFKA_PARTITION_UA,
				  t->len == 0 ? "the row's topic is empty"
					      : "the row's topic is longer than 249 bytes");
			return -EIO;
		}
		memcpy(tname, t->ptr, t->len);
		tname[t->len] = '\0';
		topic = tname;
	}
	int32_t part = RD_KAFKA_PARTITION_UA;
	if (lay->partition >= 0 && !sl_vec_is_null(&b->cols[lay->partition], r)) {
		int64_t p = b->cols[lay->partition].v.i64[r];
		if (p < 0 || p > INT32_MAX) {
			char why[96];
			snprintf(why, sizeof(why), "the row's partition %" PRId64 " is not a partition",
				 p);
			fail_note(s, topic, RD_KAFKA_PARTITION_UA, why);
			return -EIO;
		}
		part = (int32_t)p;
	}
	const void *key = NULL, *val = NULL;
	size_t klen = 0, vlen = 0;
	if (lay->key >= 0 && !sl_vec_is_null(&b->cols[lay->key], r)) {
		key = b->cols[lay->key].v.str[r].ptr;
		klen = b->cols[lay->key].v.str[r].len;
	}
	if (lay->json) {
		sl_strbuf_reset(&s->row);
		if (sl_file_enc_row(&s->enc, b->cols, r, &s->row) < 0) {
			fail_note(s, topic, part, "out of memory writing the row as JSON");
			return -EIO;
		}
		val = s->row.ptr;
		vlen = s->row.len - 1; /* without the line end */
	} else if (!sl_vec_is_null(&b->cols[lay->value], r)) {
		val = b->cols[lay->value].v.str[r].ptr;
		vlen = b->cols[lay->value].v.str[r].len;
	}
	/* the row's headers, copied by librdkafka, which owns the list once
	 * producev succeeds */
	rd_kafka_headers_t *hs = NULL;
	if (lay->headers >= 0 && !sl_vec_is_null(&b->cols[lay->headers], r)) {
		const struct sl_vec *hv = &b->cols[lay->headers];
		struct sl_span sp = hv->v.arr[r];
		hs = rd_kafka_headers_new(sp.len);
		for (uint32_t k = 0; hs != NULL && k < sp.len; k++) {
			if (sl_vec_is_null(hv->elem, sp.off + k))
				continue; /* a null element is no header */
			const struct sl_header *h = &hv->elem->v.hdr[sp.off + k];
			rd_kafka_header_add(hs, h->key.ptr, h->key.len,
					    h->value_null ? NULL : h->value.ptr,
					    h->value_null ? 0 : h->value.len);
		}
		if (hs == NULL) {
			fail_note(s, topic, part, "out of memory for the row's headers");
			return -EIO;
		}
	}
	for (;;) {
		rd_kafka_resp_err_t e =
			hs != NULL
				? rd_kafka_producev(s->rk, RD_KAFKA_V_TOPIC(topic),
						    RD_KAFKA_V_PARTITION(part), RD_KAFKA_V_KEY(key, klen),
						    RD_KAFKA_V_VALUE((void *)val, vlen),
						    RD_KAFKA_V_HEADERS(hs),
						    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
						    RD_KAFKA_V_END)
				: rd_kafka_producev(s->rk, RD_KAFKA_V_TOPIC(topic),
						    RD_KAFKA_V_PARTITION(part), RD_KAFKA_V_KEY(key, klen),
						    RD_KAFKA_V_VALUE((void *)val, vlen),
						    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
						    RD_KAFKA_V_END);
		if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
			return 0;
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			if (hs != NULL)
				rd_kafka_headers_destroy(hs);
			fail_note(s, topic, part, rd_kafka_err2str(e));
			return -EIO;
		}
		/* room comes back as deliveries are reported */
		rd_kafka_poll(s->rk, FLUSH_SLICE_MS);
	}
}

static int kafka_write(struct sl_sink *s, uint64_t batch, const struct sl_batch *b)
{
	const struct layout *lay = &s->lay;
	s->batch = batch;
	s->fail = (struct failure){0};
	/* Spark's check, before anything is produced: a null topic has no
	 * default to fall back on */
	if (s->topic == NULL && b->cols[lay->topic].nulls != NULL) {
		for (uint32_t r = 0; r < b->nrows; r++) {
			if (b->cols[lay->topic].nulls[r]) {
				fprintf(stderr,
					"sluice: kafka sink '%s': batch %" PRIu64
					": null topic present in the data (row %" PRIu32
					"); use the topic option for setting a default topic; the "
					"batch is not committed\n",
					s->name, batch, r + 1);
				return -EINVAL;
			}
		}
	}
	int rc = 0;
	for (uint32_t r = 0; r < b->nrows && rc == 0; r++)
		rc = produce_row(s, b, r);
	/* wait for every record handed over, also after a failure: none may
	 * be left in flight when the engine stops */
	int64_t start = now_ms();
	while (rd_kafka_outq_len(s->rk) > 0) {
		rd_kafka_flush(s->rk, FLUSH_SLICE_MS);
		if (s->flush_limit_ms >= 0 && now_ms() - start > s->flush_limit_ms) {
			char why[128];
			snprintf(why, sizeof(why),
				 "not every record was acknowledged within %" PRId64
				 " ms (message.timeout.ms + %d ms)",
				 s->flush_limit_ms, FLUSH_GRACE_MS);
			fail_note(s, s->topic != NULL ? s->topic : "(per row)", RD_KAFKA_PARTITION_UA,
				  why);
			break;
		}
	}
	if (!s->fail.set)
		return 0;
	char part[32] = "";
	if (s->fail.partition != RD_KAFKA_PARTITION_UA)
		snprintf(part, sizeof(part), " [partition %" PRId32 "]", s->fail.partition);
	fprintf(stderr,
		"sluice: kafka sink '%s': batch %" PRIu64
		": delivery to topic %s%s failed: %s; the batch is not committed\n",
		s->name, batch, s->fail.topic, part, s->fail.why);
	fflush(stderr);
	return -EIO;
}

const struct sl_sink_ops sl_sink_kafka_ops = {
	.name = "kafka",
	.supports_append = true,
	.supports_update = true,
	.supports_complete = true,
	.validate = kafka_validate,
	.validate_schema = kafka_validate_schema,
	.open = kafka_open,
	.write = kafka_write,
	.close = kafka_close,
	.exactly_once = false,
};
