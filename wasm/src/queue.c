/*
 * The outbound queue: tab frames that wait for the server socket to open,
 * kept in arrival order (which is each tab's order) in a ring buffer.
 */
#include <string.h>

#include "internal.h"

static int grow(frame_queue *q)
{
    uint32_t cap = q->cap ? q->cap * 2 : 64;
    qframe *items;
    uint32_t i;

    if (cap < q->cap)
        return WSS_ENOMEM;
    items = wss_malloc(cap * sizeof(*items));
    if (items == NULL)
        return WSS_ENOMEM;
    for (i = 0; i < q->count; i++)
        items[i] = q->items[(q->head + i) & (q->cap - 1)];
    wss_free(q->items);
    q->items = items;
    q->head = 0;
    q->cap = cap;
    return WSS_OK;
}

int queue_push(frame_queue *q, const qframe *f)
{
    if (q->count == q->cap && grow(q) != WSS_OK)
        return WSS_ENOMEM;
    q->items[(q->head + q->count) & (q->cap - 1)] = *f;
    q->count++;
    q->bytes += f->len;
    if (f->replay) {
        q->replays++;
        q->replay_bytes += f->len;
    }
    return WSS_OK;
}

int queue_pop(frame_queue *q, qframe *out)
{
    if (q->count == 0)
        return 0;
    *out = q->items[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
    q->bytes -= out->len;
    if (out->replay) {
        q->replays--;
        q->replay_bytes -= out->len;
    }
    return 1;
}

void queue_free(frame_queue *q)
{
    wss_free(q->items);
    memset(q, 0, sizeof(*q));
}
