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
};

void sl_sink_register(const struct sl_sink_ops *ops);
const struct sl_sink_ops *sl_sink_lookup(const char *name);
void sl_sink_names(char *buf, size_t len);
void sl_sinks_register_builtin(void);

#endif
