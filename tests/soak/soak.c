/*
 * The soak: a long run of ordinary traffic through one core (server frames
 * fanned out in bursts, tab frames sent and acked, tabs joining and leaving,
 * the socket lost and retried now and then), with the core's heap measured
 * through its allocation hooks. It must end with every handle back, nothing
 * live, and a heap high-water that stopped growing once the run warmed up.
 *
 *   soak FRAMES JOINS   FRAMES frames each way, JOINS tabs joining (and leaving)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsshare.h"

/* Growth allowed after the warm-up: the stats text gains a digit now and
 * then; a leak of one block per thousand frames would be far beyond it. */
#define SLACK_BYTES 1024
#define TABS 6
/* Socket losses in a run, the first within the warm-up. */
#define LOSSES 20

/* ---- the heap, counted through the hooks ----------------------------------- */

/* Each block carries its size in front, aligned for anything. */
#define PREFIX 16

static size_t live_bytes;
static size_t high_water;

static void note(size_t add, size_t sub)
{
    live_bytes = live_bytes + add - sub;
    if (live_bytes > high_water)
        high_water = live_bytes;
}

static void *h_malloc(size_t n)
{
    unsigned char *p = malloc(n + PREFIX);

    if (p == NULL)
        return NULL;
    memcpy(p, &n, sizeof(n));
    note(n, 0);
    return p + PREFIX;
}

static void h_free(void *ptr)
{
    unsigned char *p = ptr;
    size_t n;

    if (p == NULL)
        return;
    memcpy(&n, p - PREFIX, sizeof(n));
    note(0, n);
    free(p - PREFIX);
}

static void *h_realloc(void *ptr, size_t n)
{
    unsigned char *p;
    size_t old = 0;

    if (ptr == NULL)
        return h_malloc(n);
    memcpy(&old, (unsigned char *)ptr - PREFIX, sizeof(old));
    p = realloc((unsigned char *)ptr - PREFIX, n + PREFIX);
    if (p == NULL)
        return NULL;
    memcpy(p, &n, sizeof(n));
    note(n, old);
    return p + PREFIX;
}

/* ---- the host --------------------------------------------------------------- */

static wss_core *core;
static double now = 1000;
static double timer_at;
static int connecting;
static int open_;
static int drain_wanted;
static uint8_t *held; /* per handle: 1 while the core holds it */
static uint32_t held_cap;
static uint32_t next_handle = 1;
static unsigned long reconnects;
static unsigned long sent_up;   /* SEND actions: tab frames handed to the socket */
static unsigned long posted_down; /* server frames in POST_DATA actions */
static uint32_t rng = 0x2545f491u;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng % n;
}

static void fail(const char *what)
{
    fprintf(stderr, "soak: %s\n", what);
    exit(1);
}

static uint32_t give(uint32_t count)
{
    uint32_t first = next_handle;

    if (first + count > held_cap) {
        uint32_t cap = (first + count) * 2;
        uint8_t *p = realloc(held, cap);

        if (p == NULL)
            fail("out of memory in the test itself");
        memset(p + held_cap, 0, cap - held_cap);
        held = p;
        held_cap = cap;
    }
    memset(held + first, 1, count);
    next_handle += count;
    return first;
}

static void back(uint32_t h)
{
    if (h >= held_cap || !held[h])
        fail("a handle came back that the core did not hold");
    held[h] = 0;
}

typedef struct tab {
    uint32_t id;
    uint32_t next_seq;
} tab;

static tab tabs[TABS];

/* A resend envelope (frames the lost socket never confirmed): the tab numbers
 * its next frames from there, as a tab re-sending them would. */
static void on_post(const char *envelope, uint32_t len)
{
    char text[256];
    const char *tab_at;
    const char *from_at;
    uint32_t id;
    uint32_t i;

    if (len >= sizeof(text))
        return;
    memcpy(text, envelope, len);
    text[len] = '\0';
    tab_at = strstr(text, "\"tab\":");
    from_at = strstr(text, "\"from\":");
    if (strstr(text, "\"t\":\"resend\"") == NULL || tab_at == NULL || from_at == NULL)
        return;
    id = (uint32_t)strtoul(tab_at + 6, NULL, 10);
    for (i = 0; i < TABS; i++)
        if (tabs[i].id == id)
            tabs[i].next_seq = (uint32_t)strtoul(from_at + 7, NULL, 10);
}

static void perform(int rc)
{
    uint32_t n;
    uint32_t i;
    uint32_t j;
    int close = 0;
    const wss_action *acts = wss_actions(core, &n);

    if (rc == WSS_ENOMEM)
        fail("out of memory");
    for (i = 0; i < n; i++) {
        const wss_action *a = &acts[i];

        switch (a->kind) {
        case WSS_ACT_SEND:
            sent_up++;
            back(a->handle);
            break;
        case WSS_ACT_RELEASE:
            back(a->handle);
            break;
        case WSS_ACT_POST_DATA:
            posted_down += a->b;
            for (j = 0; j < a->b; j++)
                back(((const uint32_t *)(const void *)a->text)[j]);
            break;
        case WSS_ACT_OPEN:
            connecting = 1;
            break;
        case WSS_ACT_DRAIN:
            drain_wanted = 1;
            break;
        case WSS_ACT_POST:
            on_post(a->text, a->len);
            break;
        case WSS_ACT_CLOSE:
            close = 1;
            break;
        case WSS_ACT_TIMER:
            timer_at = a->a == UINT32_MAX ? 0 : now + a->a;
            break;
        default:
            break;
        }
    }
    /* The host's socket closes as asked, after the rest of the list. */
    if (close) {
        connecting = 0;
        open_ = 0;
        drain_wanted = 0;
        perform(wss_socket_closed(core, 1000, "", 0, 1, now));
    }
}

static void control(const char *type, uint32_t id)
{
    char text[96];
    int len = snprintf(text, sizeof(text), "{\"v\":1,\"t\":\"%s\",\"tab\":%u,\"next\":1}", type, id);

    perform(wss_bus_control(core, text, (size_t)len, now));
}

/* ---- the run ------------------------------------------------------------------ */

static void tab_sends(tab *t, uint32_t count)
{
    uint32_t lens[16];
    uint32_t i;
    uint32_t first = give(count);

    for (i = 0; i < count; i++)
        lens[i] = 20 + rnd(200);
    perform(wss_tab_frames(core, WSS_BUS_VERSION, 0, t->id, t->next_seq, count, first, lens, now));
    t->next_seq += count;
}

/* Returns how many frames the server sent: none while the socket is down. */
static uint32_t server_burst(uint32_t count)
{
    uint32_t i;

    for (i = 0; i < count && open_; i++) {
        uint32_t h = give(1);

        perform(wss_socket_frame(core, h, 50 + rnd(150), 0, now));
    }
    perform(wss_flush(core, now));
    return i;
}

static void advance(double ms)
{
    now += ms;
    if (drain_wanted && open_) {
        drain_wanted = 0;
        perform(wss_socket_buffered(core, 0, now));
    }
    if (timer_at != 0 && now >= timer_at) {
        timer_at = 0;
        perform(wss_tick(core, now));
    }
    if (connecting) {
        connecting = 0;
        open_ = 1;
        perform(wss_socket_opened(core, "", 0, "", 0, now));
        perform(wss_flush(core, now));
    }
}

int main(int argc, char **argv)
{
    static const wss_hooks hooks = {h_malloc, h_realloc, h_free};
    /* Every outage alike (a fixed wait, a full batch per step while it lasts),
     * so the first one, within the warm-up, is as deep as any. */
    static const char config[] = "{\"reconnect\":{\"minDelay\":10,\"maxDelay\":10}}";
    unsigned long frames = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    unsigned long joins = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
    unsigned long up = 0;
    unsigned long down = 0;
    unsigned long joined = 0;
    unsigned long next_loss;
    size_t warm_high = 0;
    size_t warm_live = 0;
    size_t end_live;
    uint32_t next_id = 1;
    uint32_t i;

    wss_init_hooks(&hooks);
    if (wss_create(&core, config, sizeof(config) - 1) != WSS_OK)
        fail("no core");
    for (i = 0; i < TABS; i++) {
        tabs[i].id = next_id++;
        tabs[i].next_seq = 1;
        control("hello", tabs[i].id);
    }
    advance(1);
    next_loss = frames / LOSSES;
    while (up < frames || down < frames || joined < joins) {
        tab *t = &tabs[rnd(TABS)];

        if (down < frames)
            down += server_burst(1 + rnd(64));
        if (up < frames) {
            uint32_t n = open_ ? 1 + rnd(16) : 16;

            tab_sends(t, n);
            up += n;
            perform(wss_flush(core, now));
        }
        /* Joins and leaves spread over the run: one whenever they fall behind. */
        if (joined < joins && (double)joined * (double)frames <= (double)up * (double)joins) {
            if (rnd(2))
                control("bye", t->id);
            else
                perform(wss_tab_gone(core, t->id, now));
            t->id = next_id++;
            t->next_seq = 1;
            control("hello", t->id);
            joined++;
        }
        if (up >= next_loss && open_) {
            /* The socket is lost; tabs send on while the leader waits. */
            next_loss += frames / LOSSES;
            open_ = 0;
            drain_wanted = 0;
            reconnects++;
            perform(wss_socket_closed(core, 1006, "", 0, 0, now));
            tab_sends(t, 8);
        }
        if (up % 97 == 0)
            (void)wss_stats_json(core);
        advance(1);
        if (warm_high == 0 && up >= frames / 10) {
            warm_high = high_water;
            warm_live = live_bytes;
        }
    }
    end_live = live_bytes;
    for (i = 0; i < TABS; i++)
        perform(wss_tab_gone(core, tabs[i].id, now));
    for (i = 1; i < next_handle; i++)
        if (held[i])
            fail("a handle never came back");
    wss_destroy(core);
    printf("soak: %lu frames from tabs (%lu handed to the socket), %lu from the server (%lu posted "
           "to the tabs), %lu tabs joined and left, %lu reconnects\n",
           up, sent_up, down, posted_down, joined, reconnects);
    printf("soak: core heap high-water %zu bytes after the first 10%%, %zu at the end "
           "(live %zu then, %zu at the end, %zu after destroy)\n",
           warm_high, high_water, warm_live, end_live, live_bytes);
    free(held);
    if (live_bytes != 0)
        fail("the core leaked");
    /* Only frames sent in the instant of a loss are asked for again (and a
     * few behind them refused as out of order): nearly all go out. */
    if (posted_down != down || sent_up < up - up / 100)
        fail("frames went missing");
    if (high_water > warm_high + SLACK_BYTES)
        fail("the heap high-water kept growing after the warm-up");
    return 0;
}
