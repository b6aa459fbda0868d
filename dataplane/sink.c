/* sink.c — the registry of sink connectors (filled on the control thread at start-up). */
#include "sink.h"

#include "registry.h"

static struct sl_registry sinks;

void sl_sink_register(const struct sl_sink_ops *ops)
{
	sl_registry_add(&sinks, ops);
}

const struct sl_sink_ops *sl_sink_lookup(const char *name)
{
	return sl_registry_find(&sinks, name);
}

void sl_sink_names(char *buf, size_t len)
{
	sl_registry_names(&sinks, buf, len);
}
