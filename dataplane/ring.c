/* ring.c — creation of the SPSC rings; the hot calls are inline in ring.h. */
#include "ring.h"

#include <errno.h>
#include <string.h>

struct sl_ring *sl_ring_create(uint32_t slots)
{
	if (slots < 2 || (slots & (slots - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	struct sl_ring *r = aligned_alloc(SL_CACHE_LINE, sizeof(*r));
	if (r == NULL)
		goto err_ring;
	memset(r, 0, sizeof(*r));
	/* aligned_alloc wants a size that is a multiple of the alignment (C11;
	 * ASan enforces it): a 2-slot ring is 32 bytes */
	size_t bytes = (size_t)slots * sizeof(*r->slots);
	bytes = (bytes + SL_CACHE_LINE - 1) & ~(size_t)(SL_CACHE_LINE - 1);
	r->slots = aligned_alloc(SL_CACHE_LINE, bytes);
	if (r->slots == NULL)
		goto err_slots;
	r->mask = slots - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return r;

err_slots:
	free(r);
err_ring:
	errno = ENOMEM;
	return NULL;
}

void sl_ring_destroy(struct sl_ring *r)
{
	if (r == NULL)
		return;
	free(r->slots);
	free(r);
}
