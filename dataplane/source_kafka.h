/*
 * source_kafka.h — the parts of the kafka source (source_kafka.c) that
 * tests and fuzzers call directly: the JSON of its options and Spark's
 * rate limit.
 */
#ifndef SL_SOURCE_KAFKA_H
#define SL_SOURCE_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One entry of an option's JSON: a topic, a partition, a number. */
struct sl_kafka_tpo {
	char *topic;
	int32_t partition;
	int64_t value; /* offset, -2 earliest, -1 latest, or a timestamp (ms) */
};

/*
 * Parse the JSON of Spark's Kafka options, strictly (standard JSON, no
 * duplicate topic or partition, nothing after it):
 *   assign:          {"topicA":[0,1],"topicB":[2,4]}        (value 0)
 *   starting_offsets, starting_offsets_by_timestamp:
 *                    {"topicA":{"0":23,"1":-1},"topicB":{"0":-2}}
 * Topic names are JSON strings (escapes undone; a NUL refused), partitions
 * whole numbers from 0 to 2^31-1, values int64. *out (malloc'ed, the
 * topics too; free with sl_kafka_tpo_free) in the order written.
 * 0, -ENOMEM, or -EINVAL with "at byte B: what is wrong" in err.
 */
int sl_kafka_json_parse(const char *s, size_t len, bool assign, struct sl_kafka_tpo **out,
			uint32_t *n, char *err, size_t errlen);
void sl_kafka_tpo_free(struct sl_kafka_tpo *v, uint32_t n);

/*
 * Spark's KafkaMicroBatchStream.rateLimit: where n partitions' batch ends
 * under max_offsets_per_trigger = limit, given where each starts (from)
 * and the newest offset there (until): each partition with records gets
 * limit * its share of the records available, rounded down (up when the
 * share is below one record, so that no partition starves), never past
 * until. Unlike Spark's, the total never exceeds the limit: what rounding
 * up adds is taken back from the largest shares (and, only when the limit
 * is below the number of partitions with records, some get none).
 */
void sl_kafka_rate_limit(uint64_t limit, const int64_t *from, const int64_t *until, int64_t *end,
			 uint32_t n);

/*
 * The checkpoint offset of a kafka source (source_kafka.c has its bytes):
 * the batches handed over, and each partition's next offset. Entries of a
 * parsed offset point into its bytes (topic: tlen bytes, no NUL inside).
 */
struct sl_kafka_offset_entry {
	const char *topic;
	uint16_t tlen;
	int32_t partition;
	int64_t next;
};
struct sl_strbuf;
/* Append the offset's bytes: 0 or -ENOMEM. */
int sl_kafka_offset_put(struct sl_strbuf *b, uint64_t batches,
			const struct sl_kafka_offset_entry *v, uint32_t n);
/* 0 with *out malloc'ed (free it, also when *n is 0),
 * -EINVAL (not an offset of this version), -ENOMEM. */
int sl_kafka_offset_parse(const void *p, size_t len, uint64_t *batches,
			  struct sl_kafka_offset_entry **out, uint32_t *n);

#endif
