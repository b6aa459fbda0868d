/*
 * sink.h — how a sink connector receives each epoch's result.
 *
 * Every call runs on the control thread, one epoch at a time, in epoch
 * order: the single writer that keeps batches from interleaving.
 */
#ifndef SL_SINK_H
#define SL_SINK_H

#include <stdio.h>

#include "batch.h"
#include "plan_types.h"

struct sl_sink;

struct sl_sink_ops {
	const char *name;
	/* Which output modes the sink takes; a mode it lacks is refused at
	 * plan time with Spark's "Data source X does not support Y output mode". */
	bool supports_append, supports_update, supports_complete;
	/* Check options at plan time; -EINVAL and "line L, column C: ..." in err. */
	int (*validate)(const struct sl_sink_spec *spec, char *err, size_t errlen);
	/* Check the sink against the query's output columns at plan time (a
	 * text file holds one STRING column, a partition column must exist);
	 * as validate. May be NULL. */
	int (*validate_schema)(const struct sl_sink_spec *spec, const struct sl_schema *schema,
			       char *err, size_t errlen);
	struct sl_sink *(*open)(const struct sl_sink_spec *spec, const struct sl_schema *schema,
				FILE *out, char *err, size_t errlen);
	/* Write epoch `batch_id`'s rows. Returns 0 or -errno. */
	int (*write)(struct sl_sink *sink, uint64_t batch_id, const struct sl_batch *rows);
	void (*close)(struct sl_sink *sink);

	/* --- checkpoints (docs/checkpoints.md) --- */
	/* Exactly once: a batch written again (after a restart) replaces, or
	 * leaves as it is, what the first write published; never doubles it.
	 * False: at least once (the console prints a replayed batch again). */
	bool exactly_once;
	/* The sink's own number for the query's batch 0 (the file sink's log
	 * batch), kept in a new checkpoint; set_batch_base gives it back to
	 * the sink of a restarted query, so that batch N maps to the same
	 * place. NULL: the sink numbers nothing. */
	uint64_t (*batch_base)(const struct sl_sink *sink);
	void (*set_batch_base)(struct sl_sink *sink, uint64_t base);
	/* The newest of the query's batches the sink has published (-1:
	 * none); NULL: the sink cannot tell. */
	int64_t (*published)(const struct sl_sink *sink);
};

void sl_sink_register(const struct sl_sink_ops *ops);
const struct sl_sink_ops *sl_sink_lookup(const char *name);
void sl_sink_names(char *buf, size_t len);
void sl_sinks_register_builtin(void);

#endif
