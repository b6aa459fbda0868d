/* registry.c — named connector lists (see registry.h). */
#include "registry.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *name_of(const void *ops)
{
	return *(const char *const *)ops; /* the ops struct's first member */
}

void sl_registry_add(struct sl_registry *r, const void *ops)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (strcmp(name_of(r->items[i]), name_of(ops)) == 0)
			return;
	if (r->n < SL_REGISTRY_MAX)
		r->items[r->n++] = ops;
}

const void *sl_registry_find(const struct sl_registry *r, const char *name)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (strcasecmp(name_of(r->items[i]), name) == 0)
			return r->items[i];
	return NULL;
}

void sl_registry_names(const struct sl_registry *r, char *buf, size_t len)
{
	size_t used = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	for (uint32_t i = 0; i < r->n && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 name_of(r->items[i]));
		if (n < 0)
			break;
		used += (size_t)n;
	}
}
