/*
 * sink_noop.c — the "noop" sink (Spark's `format("noop")`): takes every
 * batch in any output mode and writes nothing. For benchmarks, where the
 * cost of printing or writing the rows is not what is measured (tools/bench
 * checkpoint), and for queries run for their side counters alone.
 *
 * With a checkpoint it is exactly once in the only sense it can be: it has
 * no output to double.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sink.h"

struct sl_sink {
	uint32_t ncols;
};

static int noop_validate(const struct sl_sink_spec *spec, char *err, size_t errlen)
{
	if (spec->options.n == 0)
		return 0;
	const struct sl_option *o = &spec->options.v[0];
	snprintf(err, errlen,
		 "line %u, column %u: unknown option '%s' for the noop sink (it takes none but the "
		 "generic ones: output_mode, trigger, checkpoint)",
		 o->line, o->column, o->key);
	return -EINVAL;
}

static struct sl_sink *noop_open(const struct sl_sink_spec *spec, const struct sl_schema *schema,
				 FILE *out, char *err, size_t errlen)
{
	(void)out;
	struct sl_sink *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "noop sink '%s': out of memory", spec->name);
		return NULL;
	}
	s->ncols = schema->ncols;
	return s;
}

static int noop_write(struct sl_sink *s, uint64_t batch_id, const struct sl_batch *rows)
{
	(void)batch_id;
	return rows->ncols == s->ncols ? 0 : -EINVAL;
}

static void noop_close(struct sl_sink *s)
{
	free(s);
}

const struct sl_sink_ops sl_sink_noop_ops = {
	.name = "noop",
	.supports_append = true,
	.supports_update = true,
	.supports_complete = true,
	.validate = noop_validate,
	.open = noop_open,
	.write = noop_write,
	.close = noop_close,
	.exactly_once = true,
};
