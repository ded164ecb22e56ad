/*
 * Fan-out batching: server frames that arrive in one burst leave as one bus
 * post. The core only keeps handles, lengths and the tab each frame goes to
 * (a profile routes an answer to the tab that asked); the payloads stay with
 * the host until the post carries them to the tabs.
 */
#include <string.h>

#include "internal.h"

/* Room for `need` frames: the buffer holds cap handles, then cap targets. */
static int grow(uint32_t **arr, uint32_t *cap, uint32_t count, uint32_t need)
{
    uint32_t n = *cap ? *cap : 64;
    uint32_t *p;

    if (need <= *cap)
        return WSS_OK;
    while (n < need)
        n *= 2;
    if (n > UINT32_MAX / 2 / sizeof(*p))
        return WSS_ENOMEM;
    p = wss_realloc(*arr, 2 * n * sizeof(*p));
    if (p == NULL)
        return WSS_ENOMEM;
    /* The targets move up to where the larger half starts. */
    if (count > 0)
        memmove(p + n, p + *cap, count * sizeof(*p));
    *arr = p;
    *cap = n;
    return WSS_OK;
}

int fanout_add(fanout *f, uint32_t handle, uint32_t len, uint32_t seq, uint32_t to)
{
    if (grow(&f->handles, &f->cap, f->count, f->count + 1) != WSS_OK)
        return WSS_ENOMEM;
    if (f->count == 0) {
        f->seq0 = seq;
        f->bytes = 0;
        f->targeted = 0;
    }
    f->handles[f->count] = handle;
    f->handles[f->cap + f->count] = to;
    f->count++;
    f->targeted |= to != 0;
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
    /* The host reads count handles, then count targets. */
    if (n > 0 && n < f->cap)
        memmove(f->posted + n, f->posted + f->cap, n * sizeof(*f->posted));
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
