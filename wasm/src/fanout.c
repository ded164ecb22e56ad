/*
 * Fan-out batching: server frames that arrive in one burst leave as one bus
 * post. The core only keeps handles, lengths and the tab each frame goes to
 * (a profile routes an answer to the tab that asked); the payloads stay with
 * the host until the post carries them to the tabs.
 */
#include <string.h>

#include "internal.h"

/* Room for `need` frames: the buffer holds cap handles, then cap targets,
 * so each frame takes two words. */
static int make_room(fanout *f, uint32_t need)
{
    uint32_t was = f->cap;
    void *p = f->handles;

    if (wss_grow(&p, &f->cap, need, 2 * sizeof(uint32_t)) != WSS_OK)
        return WSS_ENOMEM;
    f->handles = p;
    /* The targets move up to where the larger half starts. */
    if (f->cap != was && f->count > 0)
        memmove(f->handles + f->cap, f->handles + was, f->count * sizeof(uint32_t));
    return WSS_OK;
}

int fanout_add(fanout *f, uint32_t handle, uint32_t len, uint32_t seq, uint32_t to)
{
    if (make_room(f, f->count + 1) != WSS_OK)
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
