/*
 * libFuzzer target: random event sequences driven into the core. The input
 * is a small program (a config, an allocation failure rate, then one event
 * per opcode byte with its operands); a host model performs the actions and
 * aborts on any broken promise: a handle back twice or never, an action the
 * state does not allow, a post that is not an envelope, a leak (LeakSanitizer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "wsshare.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STEPS 4000
#define TABS 8

/* ---- input ---------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static uint8_t u8(reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static uint32_t u16(reader *r)
{
    uint32_t hi = u8(r);

    return hi << 8 | u8(r);
}

/* ---- an allocator that fails on demand ----------------------------------- */

static struct {
    uint32_t rng;
    uint32_t one_in; /* 0: never fail */
    int paused;
} fail;

static int should_fail(void)
{
    if (fail.one_in == 0 || fail.paused)
        return 0;
    fail.rng ^= fail.rng << 13;
    fail.rng ^= fail.rng >> 17;
    fail.rng ^= fail.rng << 5;
    return fail.rng % fail.one_in == 0;
}

static void *f_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n);
}

static void *f_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n);
}

/* ---- the host model ------------------------------------------------------- */

enum { NONE, CONNECTING, OPEN, CLOSING };

typedef struct host {
    wss_core *core;
    double now;
    double timer_at; /* 0: none */
    int sock;
    int flush_wanted;
    int drain_wanted;
    uint32_t leader; /* the id the core was given, which tabs address */
    uint32_t next_seq[TABS + 1]; /* the next frame number each tab uses */
    uint32_t next_handle;
    uint8_t *held; /* per handle: 1 while the core holds it */
    uint32_t held_cap;
} host;

static uint32_t give(host *h, uint32_t count)
{
    uint32_t first = h->next_handle;

    if (first + count > h->held_cap) {
        uint32_t cap = (first + count) * 2 + 64;
        uint8_t *p = calloc(cap, 1);

        if (p == NULL)
            abort();
        if (h->held_cap > 0)
            memcpy(p, h->held, h->held_cap);
        free(h->held);
        h->held = p;
        h->held_cap = cap;
    }
    memset(h->held + first, 1, count);
    h->next_handle += count;
    return first;
}

static void back(host *h, uint32_t handle)
{
    if (handle >= h->held_cap || !h->held[handle])
        abort(); /* never given, or back twice */
    h->held[handle] = 0;
}

static void check_post(const wss_action *a)
{
    cJSON *env;
    const cJSON *v;
    const cJSON *t;

    fail.paused = 1;
    env = cJSON_ParseWithLength(a->text, a->len);
    v = cJSON_GetObjectItemCaseSensitive(env, "v");
    t = cJSON_GetObjectItemCaseSensitive(env, "t");
    if (!cJSON_IsNumber(v) || v->valuedouble != WSS_BUS_VERSION || !cJSON_IsString(t))
        abort();
    cJSON_Delete(env);
    fail.paused = 0;
}

/* Performs the last call's actions; `first`/`given`: the handles the call took. */
static void perform(host *h, int rc, uint32_t first, uint32_t given)
{
    uint32_t n;
    uint32_t i;
    uint32_t j;
    const wss_action *acts = wss_actions(h->core, &n);

    for (i = 0; i < n; i++) {
        const wss_action *a = &acts[i];

        switch (a->kind) {
        case WSS_ACT_SEND:
            if (h->sock != OPEN)
                abort();
            back(h, a->handle);
            break;
        case WSS_ACT_RELEASE:
            back(h, a->handle);
            break;
        case WSS_ACT_POST_DATA:
            for (j = 0; j < a->b; j++)
                back(h, ((const uint32_t *)(const void *)a->text)[j]);
            break;
        case WSS_ACT_POST:
            check_post(a);
            break;
        case WSS_ACT_OPEN:
            if (h->sock != NONE)
                abort();
            h->sock = CONNECTING;
            break;
        case WSS_ACT_CLOSE:
            if (h->sock != CONNECTING && h->sock != OPEN)
                abort();
            h->sock = CLOSING;
            break;
        case WSS_ACT_TIMER:
            h->timer_at = a->a == UINT32_MAX ? 0 : h->now + a->a;
            break;
        case WSS_ACT_FLUSH:
            h->flush_wanted = 1;
            break;
        case WSS_ACT_DRAIN:
            h->drain_wanted = 1;
            break;
        case WSS_ACT_IDLE:
            if (h->sock != NONE)
                abort();
            break;
        default:
            break;
        }
    }
    /* Not taken for lack of memory: the handles no action returned are ours. */
    if (rc == WSS_ENOMEM)
        for (i = 0; i < given; i++)
            h->held[first + i] = 0;
}

static void control(host *h, const char *text, int len)
{
    perform(h, wss_bus_control(h->core, text, (size_t)len, h->now), 0, 0);
}

/* An envelope of `type` from `tab` with one more field (NULL: none). */
static void envelope(host *h, const char *type, uint32_t tab, const char *key, uint32_t value)
{
    char text[128];
    int len = key == NULL
                  ? snprintf(text, sizeof(text), "{\"v\":1,\"t\":\"%s\",\"tab\":%u}", type, tab)
                  : snprintf(text, sizeof(text), "{\"v\":1,\"t\":\"%s\",\"tab\":%u,\"%s\":%u}",
                             type, tab, key, value);

    control(h, text, len);
}

static void frames(host *h, uint32_t version, uint32_t leader, uint32_t tab, uint32_t seq0,
                   uint32_t count, reader *r)
{
    uint32_t lens[16];
    uint32_t first = give(h, count);
    uint32_t i;

    for (i = 0; i < count; i++)
        lens[i] = u16(r) * (uint32_t)(1 + (u8(r) & 3));
    perform(h, wss_tab_frames(h->core, version, leader, tab, seq0, count, first, lens, h->now),
            first, count);
}

static void closed(host *h, uint32_t code)
{
    h->sock = NONE;
    h->drain_wanted = 0;
    perform(h, wss_socket_closed(h->core, code, "fuzz", 4, code != 1006, h->now), 0, 0);
}

static void step(host *h, reader *r)
{
    static const uint32_t codes[] = {1000, 1001, 1006, 1008, 1011, 4000, 4001};
    uint8_t op = u8(r);
    uint32_t tab = 1 + u8(r) % TABS;

    switch (op % 16) {
    case 0:
        envelope(h, "hello", tab, "next", h->next_seq[tab]);
        break;
    case 1:
        envelope(h, "bye", tab, NULL, 0);
        break;
    case 2:
        envelope(h, "ping", tab, NULL, 0);
        break;
    case 3:
        envelope(h, "stats?", tab, "id", u8(r));
        break;
    case 4: {
        uint32_t count = 1 + u8(r) % 16;

        frames(h, WSS_BUS_VERSION, h->leader, tab, h->next_seq[tab], count, r);
        h->next_seq[tab] += count;
        break;
    }
    case 5: {
        /* Frames from anywhere: replays, gaps, unknown tabs, other versions
         * and other leaders. */
        uint32_t version = u8(r) % 3;
        uint32_t leader = u8(r) % 4 == 0 ? u8(r) : h->leader;
        uint32_t seq0 = u16(r);

        frames(h, version, leader, tab, seq0, u8(r) % 17, r);
        break;
    }
    case 6:
        perform(h, wss_tab_gone(h->core, tab, h->now), 0, 0);
        break;
    case 7:
        if (h->sock == CONNECTING) {
            h->sock = OPEN;
            perform(h, wss_socket_opened(h->core, "p", 1, "", 0, h->now), 0, 0);
        }
        break;
    case 8:
        if (h->sock == OPEN) {
            uint32_t handle = give(h, 1);

            perform(h, wss_socket_frame(h->core, handle, u16(r), 0, h->now), handle, 1);
        }
        break;
    case 9:
        if (h->sock != NONE)
            closed(h, codes[u8(r) % (sizeof(codes) / sizeof(codes[0]))]);
        break;
    case 10:
        h->now += u16(r);
        if (h->timer_at != 0 && h->now >= h->timer_at) {
            h->timer_at = 0;
            perform(h, wss_tick(h->core, h->now), 0, 0);
        }
        break;
    case 11:
        if (h->flush_wanted) {
            h->flush_wanted = 0;
            perform(h, wss_flush(h->core, h->now), 0, 0);
        }
        break;
    case 12:
        perform(h, wss_online(h->core, h->now), 0, 0);
        break;
    case 13: {
        /* Raw bytes from the input as a control envelope. */
        size_t len = u8(r);

        if (len > r->n)
            len = r->n;
        control(h, (const char *)r->p, (int)len);
        r->p += len;
        r->n -= len;
        break;
    }
    case 14:
        if (h->drain_wanted && h->sock == OPEN) {
            /* Any level, a partial drain or none at all, or nothing left. */
            uint32_t level = u8(r) < 128 ? 0 : u16(r);

            h->drain_wanted = 0;
            perform(h, wss_socket_buffered(h->core, level, h->now), 0, 0);
        } else {
            (void)wss_stats_json(h->core);
        }
        break;
    default:
        /* A post the host could not pass on, or a batch whose numbers are
         * no whole uint32 (as JS numbers off the bus may be). */
        if (u8(r) & 1) {
            perform(h, wss_bus_unreadable(h->core, h->now), 0, 0);
        } else {
            uint32_t len = u16(r);
            uint32_t first = give(h, 1);

            perform(h, wss_tab_frames(h->core, 1, h->leader, u8(r), u8(r) + 0.5, 1, first, &len,
                                      h->now),
                    first, 1);
        }
        (void)wss_scratch(h->core, u8(r));
        break;
    }
}

static const char *const configs[] = {
    "{\"leader\":5,\"beatMs\":1000}",
    ("{\"maxQueuedFrames\":4,\"maxQueuedBytes\":600,\"maxMessageBytes\":300,\"maxBatchFrames\":3,"
     "\"reconnect\":{\"minDelay\":10,\"maxDelay\":200,\"maxRetries\":3,\"stopOn\":[4001]}}"),
    "{\"locks\":false,\"tabTimeoutMs\":5000,\"debug\":true,\"reconnect\":false}",
    "{\"maxBatchBytes\":100,\"reconnect\":{\"minDelay\":1,\"maxDelay\":1,\"minUptime\":0}}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const wss_hooks hooks = {f_malloc, f_realloc, free};
    reader r = {data, size};
    host h;
    const char *config = configs[u8(&r) % 4];
    uint8_t rate = u8(&r);
    uint32_t steps = 0;
    uint32_t tab;

    memset(&h, 0, sizeof(h));
    h.now = 1000;
    h.next_handle = 1;
    for (tab = 1; tab <= TABS; tab++)
        h.next_seq[tab] = 1;
    /* Half the inputs run with allocations failing now and then. */
    fail.one_in = rate < 128 ? 0 : 2 + (rate & 63);
    fail.rng = 0x9e3779b9u ^ u16(&r);
    fail.paused = 0;
    wss_init_hooks(&hooks);
    h.leader = config == configs[0] ? 5 : 0;
    if (wss_create(&h.core, config, strlen(config)) == WSS_OK) {
        perform(&h, wss_start(h.core, h.now), 0, 0);
        while (r.n > 0 && steps++ < MAX_STEPS)
            step(&h, &r);
        /* Memory back, every tab gone, the socket closed: every handle is ours again. */
        fail.one_in = 0;
        for (tab = 1; tab <= TABS; tab++)
            perform(&h, wss_tab_gone(h.core, tab, h.now), 0, 0);
        if (h.sock != NONE)
            closed(&h, 1000);
        for (tab = 0; tab < h.held_cap; tab++)
            if (h.held[tab])
                abort();
        wss_destroy(h.core);
    }
    wss_init_hooks(NULL);
    free(h.held);
    return 0;
}
