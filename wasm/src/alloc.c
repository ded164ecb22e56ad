/*
 * The one allocation hook of the core and of cJSON, so tests can inject a
 * failing allocator and prove every out-of-memory path.
 */
#include <stdlib.h>

#include "cJSON.h"
#include "internal.h"

static wss_hooks hooks = {malloc, realloc, free};

void wss_init_hooks(const wss_hooks *h)
{
    cJSON_Hooks cj;

    if (h == NULL || h->malloc_fn == NULL || h->realloc_fn == NULL || h->free_fn == NULL) {
        hooks.malloc_fn = malloc;
        hooks.realloc_fn = realloc;
        hooks.free_fn = free;
    } else {
        hooks = *h;
    }
    cj.malloc_fn = hooks.malloc_fn;
    cj.free_fn = hooks.free_fn;
    cJSON_InitHooks(&cj);
}

void *wss_malloc(size_t size)
{
    return hooks.malloc_fn(size);
}

void *wss_realloc(void *ptr, size_t size)
{
    return hooks.realloc_fn(ptr, size);
}

int wss_grow(void **items, uint32_t *cap, uint32_t need, size_t size)
{
    uint32_t n = *cap ? *cap : 8;
    void *p;

    if (need <= *cap)
        return WSS_OK;
    while (n < need) {
        if (n > UINT32_MAX / 2)
            return WSS_ENOMEM;
        n *= 2;
    }
    if ((size_t)n > SIZE_MAX / size)
        return WSS_ENOMEM;
    p = wss_realloc(*items, (size_t)n * size);
    if (p == NULL)
        return WSS_ENOMEM;
    *items = p;
    *cap = n;
    return WSS_OK;
}

void wss_free(void *ptr)
{
    if (ptr != NULL)
        hooks.free_fn(ptr);
}
