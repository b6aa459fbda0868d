/*
 * registry.h — a named list of connector ops (sources, sinks), filled on the
 * control thread at start-up and read-only afterwards. Each ops struct
 * begins with `const char *name`; the registry reads the name through that
 * first member.
 */
#ifndef SL_REGISTRY_H
#define SL_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#define SL_REGISTRY_MAX 32

struct sl_registry {
	const void *items[SL_REGISTRY_MAX];
	uint32_t n;
};

/* Adds ops unless one of that name is there already (or the list is full). */
void sl_registry_add(struct sl_registry *r, const void *ops);
/* The ops named name (any case), or NULL. */
const void *sl_registry_find(const struct sl_registry *r, const char *name);
/* "a, b, c" into buf (cut at len), for messages that list the choices. */
void sl_registry_names(const struct sl_registry *r, char *buf, size_t len);

#endif
