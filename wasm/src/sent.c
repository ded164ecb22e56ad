/*
 * The sent log: the tab frames done with while the socket may still hold
 * bytes sent up to them, in the order they were done. The host reports the
 * socket's bufferedAmount; every byte before it has left, and so have the
 * frames that end there.
 */
#include <string.h>

#include "internal.h"

int sent_reserve(sent_log *s, uint32_t n)
{
    void *items = s->items;
    int rc;

    if (n > UINT32_MAX - s->count)
        return WSS_ENOMEM;
    /* The marks acked from the head leave room to reuse before growing. */
    if (s->head > 0 && s->head + s->count + n > s->cap) {
        memmove(s->items, s->items + s->head, s->count * sizeof(*s->items));
        s->head = 0;
    }
    rc = wss_grow(&items, &s->cap, s->head + s->count + n, sizeof(sent_mark));
    s->items = items;
    return rc;
}

void sent_append(sent_log *s, const sent_mark *m)
{
    s->items[s->head + s->count++] = *m;
}

void sent_clear(sent_log *s)
{
    s->head = 0;
    s->count = 0;
    s->drained = 0;
    s->bytes = 0;
    s->left = 0;
}

void sent_free(sent_log *s)
{
    wss_free(s->items);
    memset(s, 0, sizeof(*s));
}
