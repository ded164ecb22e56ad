/*
 * Fan-out batching: server frames that arrive in one burst leave as one bus
 * post. The core only keeps handles and lengths; the payloads stay with the
 * host until the post carries them to every tab.
 */
#include <string.h>

#include "internal.h"

static int grow(uint32_t **arr, uint32_t *cap, uint32_t need)
{
    uint32_t n = *cap ? *cap : 64;
    uint32_t *p;

    if (need <= *cap)
        return WSS_OK;
    while (n < need)
        n *= 2;
    p = wss_realloc(*arr, n * sizeof(*p));
    if (p == NULL)
        return WSS_ENOMEM;
    *arr = p;
    *cap = n;
    return WSS_OK;
}

int fanout_add(fanout *f, uint32_t handle, uint32_t len, uint32_t seq)
{
    if (grow(&f->handles, &f->cap, f->count + 1) != WSS_OK)
        return WSS_ENOMEM;
    if (f->count == 0) {
        f->seq0 = seq;
        f->bytes = 0;
    }
    f->handles[f->count++] = handle;
    f->bytes = len > UINT32_MAX - f->bytes ? UINT32_MAX : f->bytes + len;
    return WSS_OK;
}

uint32_t fanout_take(fanout *f)
{
    uint32_t *tmp = f->posted;
    uint32_t tmp_cap = f->posted_cap;
    uint32_t n = f->count;

    /* Swap buffers: the posted one must outlive this call, the next batch
     * fills the other. */
    f->posted = f->handles;
    f->posted_cap = f->cap;
    f->handles = tmp;
    f->cap = tmp_cap;
    f->count = 0;
    f->bytes = 0;
    return n;
}

void fanout_free(fanout *f)
{
    wss_free(f->handles);
    wss_free(f->posted);
    memset(f, 0, sizeof(*f));
}
