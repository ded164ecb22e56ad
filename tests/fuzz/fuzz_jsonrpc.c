/*
 * libFuzzer target: the JSON-RPC 2.0 profile driven by a fake core. Each
 * input is a run of events (three tabs' frames and replays, server answers
 * and notifications, the socket opening and closing, tabs going) with
 * allocations and io calls failing where it says. A handle given with a
 * frame must come back exactly once when the profile takes the frame, never
 * when it passes it or runs out of memory; nothing may leak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jscan.h"
#include "profile.h"
#include "counted_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXH 1024

enum { H_FREE = 0, H_PROFILE, H_DONE, H_CORE };

static struct {
    int open;
    uint32_t cur;
    unsigned char own[MAXH];
    uint32_t next;
    int io_fail; /* the nth fallible io call from now fails */
    int in_event;
    uint32_t id[3];    /* each slot's tab: a tab gone is followed by a new one */
    uint32_t gone[256]; /* tabs gone: nothing may go to them */
    uint32_t ngone;
} st;

/* A call about tab `tab`: one that is there. */
static void alive(uint32_t tab)
{
    uint32_t i;

    if (tab == 0)
        abort();
    for (i = 0; i < st.ngone; i++)
        if (st.gone[i] == tab)
            abort();
}

static int fails(void)
{
    return st.io_fail > 0 && --st.io_fail == 0;
}

/* A handle coming back: one the profile holds, once, during an event. */
static void back(uint32_t h)
{
    if (!st.in_event || h >= MAXH || st.own[h] != H_PROFILE)
        abort();
    st.own[h] = H_DONE;
}

/* A text the profile makes must be one JSON object or array. */
static void check_text(const char *t, size_t n)
{
    js_val v;

    if (t == NULL || js_parse(t, n, &v) != WSS_OK || (v.kind != JS_OBJECT && v.kind != JS_ARRAY))
        abort();
}

static int f_open(void *ctx)
{
    (void)ctx;
    return st.open;
}

static int f_send(void *ctx, uint32_t h, uint32_t len)
{
    (void)ctx;
    (void)len;
    if (!st.open)
        return WSS_EREJECT;
    if (fails())
        return WSS_ENOMEM;
    back(h);
    return WSS_OK;
}

static int f_send_text(void *ctx, const char *t, size_t n)
{
    (void)ctx;
    if (!st.open)
        return WSS_EREJECT;
    check_text(t, n);
    return fails() ? WSS_ENOMEM : WSS_OK;
}

static void f_release(void *ctx, uint32_t h)
{
    (void)ctx;
    back(h);
}

static int f_deliver(void *ctx, uint32_t tab, uint32_t h, uint32_t len)
{
    (void)ctx;
    (void)len;
    alive(tab);
    if (fails())
        return WSS_ENOMEM;
    back(h);
    return WSS_OK;
}

static int f_deliver_text(void *ctx, uint32_t tab, const char *t, size_t n)
{
    (void)ctx;
    alive(tab);
    check_text(t, n);
    return fails() ? WSS_ENOMEM : WSS_OK;
}

static int f_keep(void *ctx, uint32_t tab, uint32_t seq, uint32_t mark)
{
    (void)ctx;
    (void)seq;
    alive(tab);
    if (mark > 1)
        abort();
    return fails() ? WSS_ENOMEM : WSS_OK;
}

static int f_forget(void *ctx, uint32_t tab, uint32_t seq)
{
    (void)ctx;
    (void)seq;
    alive(tab);
    return fails() ? WSS_ENOMEM : WSS_OK;
}

static void f_error(void *ctx, uint32_t tab, uint32_t seq, const char *code, const char *message)
{
    (void)ctx;
    (void)seq;
    alive(tab);
    if (code == NULL || message == NULL)
        abort();
}

static void f_close_tab(void *ctx, uint32_t tab, uint32_t code, const char *reason)
{
    (void)ctx;
    (void)tab;
    (void)code;
    (void)reason;
}

static const char *const tab_frames[] = {
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_blockNumber\",\"params\":[]}",
    "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"eth_subscribe\",\"params\":[\"newHeads\"]}",
    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"eth_unsubscribe\",\"params\":[\"0x0000000000000001\"]}",
    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"eth_unsubscribe\",\"params\":[2]}",
    "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"net_version\"}",
    ("[{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"a\"},{\"jsonrpc\":\"2.0\",\"method\":\"n\"},"
     "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"eth_subscribe\"}]"),
    "{\"jsonrpc\":\"2.0\",\"method\":\"n\"}",
    "{\"jsonrpc\":\"2.0\",\"id\":6,\"result\":1}",
    "{\"jsonrpc\":\"2.0\",\"id\":7,\"id\":8,\"method\":\"m\"}",
    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"x_subscribe\",\"params\":[]}",
    "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"eth_unsubscribe\",\"params\":[\"0x0000000000000003\"]}",
    "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"eth_unsubscribe\"}",
    "[]",
    "hello",
};

static const char *const results[] = {"\"0x1\"", "\"0x2\"", "3", "4", "true", "null", "{}"};

/* Reads one byte; 0 past the end. */
static uint8_t take(const uint8_t **d, size_t *n)
{
    uint8_t b;

    if (*n == 0)
        return 0;
    b = **d;
    (*d)++;
    (*n)--;
    return b;
}

/* A frame's text: a template, or raw bytes of the input. */
static size_t text_of(const uint8_t **d, size_t *n, uint8_t b, int from_tab, char *buf, size_t cap)
{
    size_t len;
    uint32_t w;

    if (b & 0x80) {
        len = take(d, n);
        if (len > *n)
            len = *n;
        if (len > cap)
            len = cap;
        memcpy(buf, *d, len);
        *d += len;
        *n -= len;
        return len;
    }
    if (from_tab)
        return (size_t)snprintf(buf, cap, "%s", tab_frames[b % (sizeof tab_frames / sizeof tab_frames[0])]);
    w = 1 + take(d, n) % 40;
    switch (b % 5) {
    case 0:
        return (size_t)snprintf(buf, cap, "{\"jsonrpc\":\"2.0\",\"id\":%u,\"result\":%s}", w,
                                results[take(d, n) % 7]);
    case 1:
        return (size_t)snprintf(buf, cap, "{\"jsonrpc\":\"2.0\",\"id\":%u,\"error\":{\"code\":1}}", w);
    case 2:
        return (size_t)snprintf(buf, cap, "[{\"jsonrpc\":\"2.0\",\"id\":%u,\"result\":1}, {\"id\":%u,\"result\":2}]",
                                w, w + 1);
    case 3:
        return (size_t)snprintf(buf, cap,
                                "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscription\",\"params\":"
                                "{\"subscription\":%s,\"result\":1}}",
                                results[take(d, n) % 4]);
    default:
        return (size_t)snprintf(buf, cap, "{\"jsonrpc\":\"2.0\",\"id\":%u,\"result\":1}", w);
    }
}

/* After a frame: taken, its handle came back; else it did not. */
static void settle(uint32_t h, int rc)
{
    if (rc == PROF_TAKEN ? st.own[h] != H_DONE
                         : (rc != PROF_PASS && rc != WSS_ENOMEM) || st.own[h] != H_PROFILE)
        abort();
    st.own[h] = H_CORE;
    st.in_event = 0;
}

static uint32_t handle(void)
{
    uint32_t h = st.next++;

    st.own[h] = H_PROFILE;
    st.in_event = 1;
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prof_io io;
    profile *p;
    uint32_t seq[3] = {0, 0, 0};
    char buf[600];

    memset(&st, 0, sizeof(st));
    memset(&alloc, 0, sizeof(alloc));
    st.next = 1;
    st.id[0] = 1;
    st.id[1] = 2;
    st.id[2] = 3;
    wss_init_hooks(&counted_hooks);
    io.ctx = NULL;
    io.open = f_open;
    io.send = f_send;
    io.send_text = f_send_text;
    io.release = f_release;
    io.deliver = f_deliver;
    io.deliver_text = f_deliver_text;
    io.keep = f_keep;
    io.forget = f_forget;
    io.error = f_error;
    io.close_tab = f_close_tab;
    p = jsonrpc_create();
    if (p == NULL)
        abort();
    while (size > 0 && st.next < MAXH - 1) {
        uint8_t op = take(&data, &size), b = take(&data, &size);
        uint32_t slot = (uint32_t)(op >> 4) % 3, t = st.id[slot];
        prof_frame f;
        size_t len;

        /* Low bits of a third byte: what fails in this event. */
        if (op & 8) {
            uint8_t x = take(&data, &size);

            alloc.fail_at = x & 7;
            st.io_fail = (x >> 3) & 7;
        }
        switch (op & 7) {
        case 0:
        case 1:
        case 2:
            len = text_of(&data, &size, b, 1, buf, sizeof buf);
            f.tab = t;
            f.binary = 0;
            f.seq = ++seq[slot];
            f.len = (uint32_t)len;
            f.text = buf;
            f.replay = (op & 7) == 2;
            f.mark = (b >> 6) & 1;
            f.handle = handle();
            settle(f.handle, p->ops->tab_frame(p, &io, &f));
            break;
        case 3:
        case 4: {
            uint32_t h;

            len = text_of(&data, &size, b, 0, buf, sizeof buf);
            h = handle();
            settle(h, p->ops->server_frame(p, &io, h, buf, (uint32_t)len));
            break;
        }
        case 5:
            st.in_event = 1;
            if (st.open) {
                st.open = 0;
                p->ops->closed(p, &io);
            } else {
                st.open = 1;
                p->ops->opened(p, &io);
            }
            st.in_event = 0;
            break;
        case 6:
            st.in_event = 1;
            p->ops->tab_gone(p, &io, t);
            st.in_event = 0;
            if (st.ngone < sizeof st.gone / sizeof st.gone[0]) {
                st.gone[st.ngone++] = t;
                st.id[slot] += 3;
                seq[slot] = 0;
            }
            break;
        default:
            break;
        }
        alloc.fail_at = 0;
        st.io_fail = 0;
    }
    p->ops->destroy(p);
    wss_init_hooks(NULL);
    if (alloc.live != 0)
        abort();
    return 0;
}
