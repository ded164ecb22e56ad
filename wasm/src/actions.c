/*
 * The action buffer: what the core asks the host to do after one event.
 * Handlers reserve room first, so a push in the middle of a state change
 * cannot fail and leave the state half-updated.
 */
#include <string.h>

#include "internal.h"

int actions_keep_room(action_buf *buf, uint32_t n)
{
    void *items = buf->items;
    void *texts = buf->texts;
    int rc = wss_grow(&items, &buf->cap, n, sizeof(wss_action));

    buf->items = items;
    if (rc != WSS_OK)
        return rc;
    rc = wss_grow(&texts, &buf->texts_cap, n, sizeof(char *));
    buf->texts = texts;
    return rc;
}

int actions_reserve(action_buf *buf, uint32_t n)
{
    /* Every text belongs to an action, so room for count + n actions is
     * room for their texts too. */
    if (n > UINT32_MAX - buf->count)
        return WSS_ENOMEM;
    return actions_keep_room(buf, buf->count + n);
}

int actions_push_ref(action_buf *buf, uint32_t kind, uint32_t a, uint32_t b, const char *text,
                     size_t len)
{
    wss_action *act;

    if (actions_reserve(buf, 1) != WSS_OK)
        return WSS_ENOMEM;
    act = &buf->items[buf->count++];
    act->kind = kind;
    act->a = a;
    act->b = b;
    act->handle = 0;
    act->text = text;
    act->len = (uint32_t)len;
    return WSS_OK;
}

int actions_push(action_buf *buf, uint32_t kind, uint32_t a, uint32_t b, uint32_t handle)
{
    if (actions_push_ref(buf, kind, a, b, NULL, 0) != WSS_OK)
        return WSS_ENOMEM;
    buf->items[buf->count - 1].handle = handle;
    return WSS_OK;
}

int actions_push_text(action_buf *buf, uint32_t kind, uint32_t a, uint32_t b, char *text,
                      size_t len)
{
    if (text == NULL)
        return WSS_ENOMEM;
    if (actions_reserve(buf, 1) != WSS_OK) {
        wss_free(text);
        return WSS_ENOMEM;
    }
    buf->texts[buf->ntexts++] = text;
    return actions_push_ref(buf, kind, a, b, text, len);
}

void actions_reset(action_buf *buf)
{
    uint32_t i;

    for (i = 0; i < buf->ntexts; i++)
        wss_free(buf->texts[i]);
    buf->ntexts = 0;
    buf->count = 0;
}

void actions_free(action_buf *buf)
{
    actions_reset(buf);
    wss_free(buf->items);
    wss_free(buf->texts);
    memset(buf, 0, sizeof(*buf));
}
