/*
 * The tab registry: who is attached to the shared socket, which of their
 * frames the core has seen and which it has acknowledged. Tabs are few (one
 * per open page), so a flat array beats anything cleverer.
 */
#include <string.h>

#include "internal.h"

wss_tab *tabs_find(tab_table *t, uint32_t id)
{
    uint32_t i;

    for (i = 0; i < t->count; i++)
        if (t->items[i].id == id)
            return &t->items[i];
    return NULL;
}

wss_tab *tabs_add(tab_table *t, uint32_t id, uint32_t next_seq, double now)
{
    wss_tab *tab;

    if (t->count >= WSS_MAX_TABS)
        return NULL;
    {
        void *items = t->items;
        int rc = wss_grow(&items, &t->cap, t->count + 1, sizeof(wss_tab));

        t->items = items;
        if (rc != WSS_OK)
            return NULL;
    }
    tab = &t->items[t->count++];
    tab->id = id;
    tab->next_seq = next_seq;
    tab->done = next_seq - 1;
    tab->acked = next_seq - 1;
    tab->accepted = 0;
    tab->ack_dirty = 0;
    tab->queued = 0;
    tab->prior = 0;
    tab->profiled = 0;
    tab->last_seen = now;
    return tab;
}

void tabs_remove(tab_table *t, uint32_t id)
{
    wss_tab *tab = tabs_find(t, id);

    if (tab == NULL)
        return;
    /* Order does not matter; move the last entry into the hole. */
    *tab = t->items[--t->count];
}

void tabs_free(tab_table *t)
{
    wss_free(t->items);
    memset(t, 0, sizeof(*t));
}
