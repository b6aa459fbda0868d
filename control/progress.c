/*
 * progress.c — a batch's progress as JSON, with Spark's field names
 * (StreamingQueryProgress.json), and sluice's own under "sluice".
 */
#include "progress.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

static void key_str(struct sl_jw *w, const char *k, const char *v)
{
	sl_jw_key(w, k);
	sl_jw_str(w, v, strlen(v));
}

static void key_u64(struct sl_jw *w, const char *k, uint64_t v)
{
	sl_jw_key(w, k);
	sl_jw_uint(w, v);
}

static void key_dbl(struct sl_jw *w, const char *k, double v)
{
	sl_jw_key(w, k);
	sl_jw_double(w, v);
}

static void key_time(struct sl_jw *w, const char *k, int64_t us)
{
	char buf[64];
	sl_format_iso_ms(us, buf, sizeof(buf));
	key_str(w, k, buf);
}

int sl_progress_json(const struct sl_progress *p, struct sl_strbuf *out)
{
	struct sl_jw w;
	sl_jw_init(&w, out);
	sl_jw_obj_begin(&w);
	key_str(&w, "id", p->id);
	key_str(&w, "runId", p->run_id);
	key_str(&w, "name", p->name);
	key_time(&w, "timestamp", p->timestamp_us);
	key_u64(&w, "batchId", p->batch_id);
	key_u64(&w, "numInputRows", p->num_input_rows);
	key_dbl(&w, "inputRowsPerSecond", p->input_rows_per_second);
	key_dbl(&w, "processedRowsPerSecond", p->processed_rows_per_second);
	sl_jw_key(&w, "durationMs");
	sl_jw_obj_begin(&w);
	key_u64(&w, "addBatch", p->add_batch_ms);
	key_u64(&w, "commitOffsets", p->commit_offsets_ms);
	key_u64(&w, "latestOffset", p->latest_offset_ms);
	key_u64(&w, "triggerExecution", p->trigger_execution_ms);
	key_u64(&w, "walCommit", p->wal_commit_ms);
	sl_jw_obj_end(&w);
	if (p->has_event_time || p->has_watermark) {
		sl_jw_key(&w, "eventTime");
		sl_jw_obj_begin(&w);
		if (p->has_event_time) {
			key_time(&w, "avg", p->et_avg_us);
			key_time(&w, "max", p->et_max_us);
			key_time(&w, "min", p->et_min_us);
		}
		if (p->has_watermark)
			key_time(&w, "watermark", p->watermark_us);
		sl_jw_obj_end(&w);
	}
	sl_jw_key(&w, "stateOperators");
	sl_jw_arr_begin(&w);
	if (p->has_state) {
		sl_jw_obj_begin(&w);
		key_str(&w, "operatorName", "stateStoreSave");
		key_u64(&w, "numRowsTotal", p->state_rows_total);
		key_u64(&w, "numRowsUpdated", p->state_rows_updated);
		key_u64(&w, "numRowsRemoved", p->state_rows_removed);
		key_u64(&w, "numRowsDroppedByWatermark", p->state_rows_dropped_by_watermark);
		key_u64(&w, "memoryUsedBytes", p->state_memory_bytes);
		key_u64(&w, "numShufflePartitions", p->shuffle_partitions);
		sl_jw_obj_end(&w);
	}
	sl_jw_arr_end(&w);
	sl_jw_key(&w, "sources");
	sl_jw_arr_begin(&w);
	for (uint32_t k = 0; k < p->nsources; k++) {
		const struct sl_progress_source *s = &p->sources[k];
		sl_jw_obj_begin(&w);
		key_str(&w, "description", s->description);
		/* sluice's offsets in progress: the rows each source handed over */
		bool own = s->start_json != NULL && s->start_json[0] != '\0' &&
			   s->end_json != NULL && s->end_json[0] != '\0';
		sl_jw_key(&w, "startOffset");
		if (own) {
			sl_jw_raw(&w, s->start_json, strlen(s->start_json));
		} else {
			sl_jw_obj_begin(&w);
			key_u64(&w, "rows", s->start_rows);
			sl_jw_obj_end(&w);
		}
		sl_jw_key(&w, "endOffset");
		if (own) {
			sl_jw_raw(&w, s->end_json, strlen(s->end_json));
		} else {
			sl_jw_obj_begin(&w);
			key_u64(&w, "rows", s->end_rows);
			sl_jw_obj_end(&w);
		}
		if (own && s->latest_json != NULL && s->latest_json[0] != '\0') {
			sl_jw_key(&w, "latestOffset");
			sl_jw_raw(&w, s->latest_json, strlen(s->latest_json));
		}
		if (s->counters_json != NULL && s->counters_json[0] != '\0') {
			sl_jw_key(&w, "counters");
			sl_jw_raw(&w, s->counters_json, strlen(s->counters_json));
		}
		key_u64(&w, "numInputRows", s->num_input_rows);
		key_dbl(&w, "inputRowsPerSecond", s->input_rows_per_second);
		key_dbl(&w, "processedRowsPerSecond", s->processed_rows_per_second);
		sl_jw_obj_end(&w);
	}
	sl_jw_arr_end(&w);
	sl_jw_key(&w, "sink");
	sl_jw_obj_begin(&w);
	key_str(&w, "description", p->sink_description);
	key_u64(&w, "numOutputRows", p->sink_output_rows);
	sl_jw_obj_end(&w);
	sl_jw_key(&w, "sluice");
	sl_jw_obj_begin(&w);
	key_u64(&w, "rowsMalformed", p->rows_malformed);
	sl_jw_key(&w, "cores");
	sl_jw_arr_begin(&w);
	for (uint32_t i = 0; i < p->ncores; i++) {
		const struct sl_progress_core *c = &p->cores[i];
		sl_jw_obj_begin(&w);
		key_str(&w, "role", c->role == 'i' ? "ingest" : "aggregator");
		key_u64(&w, "index", c->idx);
		if (c->role == 'i')
			key_u64(&w, "input", c->input);
		sl_jw_key(&w, "cpu");
		sl_jw_int(&w, c->cpu);
		key_dbl(&w, "busy", c->busy);
		if (c->role == 'i') {
			key_dbl(&w, "ringFill", c->ring_fill);
			key_u64(&w, "stallMs", c->stall_ms);
		}
		sl_jw_obj_end(&w);
	}
	sl_jw_arr_end(&w);
	sl_jw_obj_end(&w);
	sl_jw_obj_end(&w);
	return sl_jw_finish(&w);
}

struct sl_progress *sl_progress_dup(const struct sl_progress *p)
{
	size_t extra = 0;
	for (uint32_t k = 0; k < p->nsources; k++) {
		const struct sl_progress_source *s = &p->sources[k];
		const char *v[4] = {s->start_json, s->end_json, s->latest_json, s->counters_json};
		for (int j = 0; j < 4; j++)
			extra += v[j] != NULL ? strlen(v[j]) + 1 : 0;
	}
	struct sl_progress *c = malloc(sizeof(*c) + extra);
	if (c == NULL)
		return NULL;
	*c = *p;
	char *tail = (char *)(c + 1);
	for (uint32_t k = 0; k < c->nsources; k++) {
		struct sl_progress_source *s = &c->sources[k];
		const char **v[4] = {&s->start_json, &s->end_json, &s->latest_json,
				     &s->counters_json};
		for (int j = 0; j < 4; j++) {
			if (*v[j] == NULL)
				continue;
			size_t n = strlen(*v[j]) + 1;
			memcpy(tail, *v[j], n);
			*v[j] = tail;
			tail += n;
		}
	}
	return c;
}
