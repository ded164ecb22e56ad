/*
 * The outbound queue: tab frames that wait for the server socket to open,
 * kept in arrival order (which is each tab's order) in a ring buffer.
 */
#include <string.h>

#include "internal.h"

/* Doubles the ring (wss_grow keeps its size a power of two); the frames that
 * wrapped to its start move up behind the others. */
static int make_room(frame_queue *q)
{
    uint32_t was = q->cap;
    void *p = q->items;

    if (wss_grow(&p, &q->cap, q->count + 1, sizeof(qframe)) != WSS_OK)
        return WSS_ENOMEM;
    q->items = p;
    if (q->head + q->count > was)
        memcpy(q->items + was, q->items, (q->head + q->count - was) * sizeof(qframe));
    return WSS_OK;
}

int queue_push(frame_queue *q, const qframe *f)
{
    if (q->count == q->cap && make_room(q) != WSS_OK)
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
