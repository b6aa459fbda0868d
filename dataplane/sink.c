/* sink.c — the registry of sink connectors (filled on the control thread at start-up). */
#include "sink.h"

#include <string.h>
#include <strings.h>

#define SL_MAX_SINKS 32

static const struct sl_sink_ops *registry[SL_MAX_SINKS];
static uint32_t nregistered;

void sl_sink_register(const struct sl_sink_ops *ops)
{
	for (uint32_t i = 0; i < nregistered; i++)
		if (strcmp(registry[i]->name, ops->name) == 0)
			return;
	if (nregistered < SL_MAX_SINKS)
		registry[nregistered++] = ops;
}

const struct sl_sink_ops *sl_sink_lookup(const char *name)
{
	for (uint32_t i = 0; i < nregistered; i++)
		if (strcasecmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

void sl_sink_names(char *buf, size_t len)
{
	size_t used = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	for (uint32_t i = 0; i < nregistered && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", registry[i]->name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}
