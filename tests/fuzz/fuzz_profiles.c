/*
 * libFuzzer target: one protocol profile (graphql-ws's,
 * subscriptions-transport-ws's, ActionCable's or Phoenix Channels', whose
 * frames are JSON texts, STOMP's, or Socket.IO's, whose are Engine.IO
 * packets, as the input's first byte says) driven by events read from the input, against a
 * fake core that keeps the books on every handle. Tabs 1 to
 * 3 send frames, either raw bytes from the input or well-formed messages
 * picked by it; the server answers the same way; the socket opens and
 * closes, tabs go, allocations and io calls fail on demand. Any broken
 * promise of profile.h aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jscan.h"
#include "profile.h"
#include "counted_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HANDLES 4096
enum { H_FREE, H_PROFILE, H_BACK };

static struct {
    int open, in_event;
    uint8_t h[MAX_HANDLES];
    uint32_t len[MAX_HANDLES];
    uint32_t nh;
    int dead[4]; /* 1: closed by the profile, 2: gone (its id may come back) */
    int fail_io;    /* this fallible io call from now answers WSS_ENOMEM (0: none) */
    int wake;       /* the profile asked to be woken */
    long effects; /* sends, deliveries, closes and releases: none may precede a WSS_ENOMEM */
    int stomp;    /* the profile speaks STOMP: its frames end in a NUL */
    int sio;      /* Socket.IO's: Engine.IO packets, and binary frames it holds for their packet */
} st;

static void need(int ok)
{
    if (!ok)
        abort();
}

static int fails(void)
{
    return st.fail_io > 0 && --st.fail_io == 0;
}

/* What a profile writes: a JSON object or, Phoenix's, a message's array;
 * for STOMP, a frame or a heart-beat; for Socket.IO, an Engine.IO packet. */
static void is_object(const char *text, size_t len)
{
    js_val v;

    if (st.stomp) {
        need(len > 0 && (text[len - 1] == '\0' || (len == 1 && text[0] == '\n')));
        return;
    }
    if (st.sio) {
        need(len > 0 && text[0] >= '0' && text[0] <= '6');
        return;
    }
    need(js_parse(text, len, &v) == WSS_OK && (v.kind == JS_OBJECT || v.kind == JS_ARRAY));
}

static void give_back(uint32_t handle)
{
    need(handle < st.nh && st.h[handle] == H_PROFILE);
    st.h[handle] = H_BACK;
}

static void to_tab(uint32_t tab)
{
    need(st.in_event && tab >= 1 && tab <= 3 && st.dead[tab] == 0);
}

static int f_open(void *ctx)
{
    (void)ctx;
    return st.open;
}

static int f_send(void *ctx, uint32_t handle, uint32_t len)
{
    (void)ctx;
    need(st.in_event && handle < st.nh && st.h[handle] == H_PROFILE && len == st.len[handle]);
    if (!st.open)
        return WSS_EREJECT;
    if (fails())
        return WSS_ENOMEM;
    give_back(handle);
    st.effects++;
    return WSS_OK;
}

static int f_send_text(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    need(st.in_event);
    if (!st.open)
        return WSS_EREJECT;
    if (fails())
        return WSS_ENOMEM;
    is_object(text, len);
    st.effects++;
    return WSS_OK;
}

static void f_release(void *ctx, uint32_t handle)
{
    (void)ctx;
    need(st.in_event);
    give_back(handle);
    st.effects++;
}

static int f_deliver(void *ctx, uint32_t tab, uint32_t handle, uint32_t len)
{
    (void)ctx;
    (void)len;
    /* 0: every tab. */
    need(st.in_event);
    if (tab != 0)
        to_tab(tab);
    if (fails())
        return WSS_ENOMEM;
    give_back(handle);
    st.effects++;
    return WSS_OK;
}

static int f_deliver_text(void *ctx, uint32_t tab, const char *text, size_t len)
{
    (void)ctx;
    to_tab(tab);
    if (fails())
        return WSS_ENOMEM;
    is_object(text, len);
    st.effects++;
    return WSS_OK;
}

static int f_keep(void *ctx, uint32_t tab, uint32_t seq, uint32_t mark)
{
    (void)ctx;
    (void)seq;
    to_tab(tab);
    need(mark <= (st.sio ? 2u : 1u)); /* Socket.IO's marks a held emit 2 */
    return fails() ? WSS_ENOMEM : WSS_OK;
}

static int f_forget(void *ctx, uint32_t tab, uint32_t seq)
{
    (void)ctx;
    (void)seq;
    to_tab(tab);
    return fails() ? WSS_ENOMEM : WSS_OK;
}

static void f_error(void *ctx, uint32_t tab, uint32_t seq, const char *code, const char *message)
{
    (void)ctx;
    (void)seq;
    to_tab(tab);
    need(code != NULL && message != NULL);
}

static void f_close_tab(void *ctx, uint32_t tab, uint32_t code, const char *reason)
{
    (void)ctx;
    to_tab(tab);
    /* A protocol's own codes, or 1011 where its server closes with that. */
    need(((code >= 4000 && code <= 4999) || code == 1011) && strlen(reason) <= WSS_MAX_REASON_BYTES);
    st.dead[tab] = 1;
    st.effects++;
}

static void f_wake(void *ctx, uint32_t ms)
{
    (void)ctx;
    need(st.in_event);
    st.wake = ms != UINT32_MAX;
}

/* ---- reading the input --------------------------------------------------- */

typedef struct input {
    const uint8_t *p;
    size_t n;
} input;

static uint8_t byte(input *in)
{
    uint8_t b = 0;

    if (in->n > 0) {
        b = *in->p++;
        in->n--;
    }
    return b;
}

/* Up to `max` raw bytes: a length byte, then that many. */
static size_t bytes(input *in, char *out, size_t max)
{
    size_t n = byte(in), i;

    if (n > max)
        n = max;
    for (i = 0; i < n && in->n > 0; i++)
        out[i] = (char)byte(in);
    return i;
}

static const char *const tab_msgs[] = {
    "{\"type\":\"connection_init\",\"payload\":{\"token\":\"a\"}}",
    "{\"type\":\"connection_init\"}",
    "{\"type\":\"connection_init\",\"payload\":{\"token\":\"b\"}}",
    "{\"type\":\"ping\"}",
    "{\"type\":\"pong\"}",
    "{\"id\":\"%c\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription { t }\"}}",
    "{\"id\":\"%c\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{ me }\"}}",
    "{\"id\":\"%c\",\"type\":\"subscribe\",\"payload\":{\"query\":\"mutation { pay }\"}}",
    ("{\"id\":\"%c\",\"type\":\"subscribe\",\"payload\":{\"query\":\"query A { a } subscription B "
     "{ b }\",\"operationName\":\"B\"}}"),
    "{\"id\":\"%c\",\"type\":\"subscribe\",\"payload\":{\"query\":\"query { a(s: \\\"} \\\\\\\"\\\") } "
    "# subscription {\\n\",\"variables\":null}}",
    "{\"id\":\"%c\",\"type\":\"subscribe\",\"payload\":{\"query\":\"fragment F on T { a } "
    "subscription { ...F b(s: \\\"\\\"\\\"x\\\\\\\"\\\"\\\"}\\\"\\\"\\\") }\"}}",
    "{\"id\":\"%c\",\"type\":\"complete\"}",
    "{\"type\":\"next\",\"id\":\"%c\"}",
    "{\"id\":\"%c\",\"type\":\"start\",\"payload\":{\"query\":\"subscription { t }\"}}",
    "{\"id\":\"%c\",\"type\":\"start\",\"payload\":{\"query\":\"mutation { pay }\"}}",
    "{\"id\":\"%c\",\"type\":\"stop\"}",
    "{\"type\":\"connection_terminate\"}",
    "{\"command\":\"subscribe\",\"identifier\":\"{\\\"channel\\\":\\\"C\\\",\\\"room\\\":\\\"%c\\\"}\"}",
    "{\"command\":\"unsubscribe\",\"identifier\":\"{\\\"channel\\\":\\\"C\\\",\\\"room\\\":\\\"%c\\\"}\"}",
    "{\"command\":\"message\",\"identifier\":\"{\\\"channel\\\":\\\"C\\\",\\\"room\\\":\\\"%c\\\"}\",\"data\":\"{}\"}",
    "40/c,{\"t\":\"%c\"}",
    "40",
    "41/c,",
    "42/c,%c[\"e\"]",
    "42[\"e\",\"%c\"]",
    "43/c,%c[1]",
    "451-/c,%c[\"b\",{\"_placeholder\":true,\"num\":0}]",
    "462-/c,%c[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
    "3",
    "[\"%c\",\"%c\",\"room:a\",\"phx_join\",{\"t\":\"a\"}]",
    "[\"%c\",\"%c\",\"room:%c\",\"phx_join\",{\"t\":\"b\"}]",
    "[\"%c\",\"9\",\"room:a\",\"ping\",{}]",
    "[\"1\",\"%c\",\"room:%c\",\"ping\",{}]",
    "[\"%c\",\"8\",\"room:a\",\"phx_leave\",{}]",
    "[null,\"%c\",\"phoenix\",\"heartbeat\",{}]",
};

static const char *const server_msgs[] = {
    "{\"type\":\"connection_ack\"}",
    "{\"type\":\"ping\"}",
    "{\"type\":\"pong\"}",
    "{\"id\":\"%c\",\"type\":\"next\",\"payload\":{\"data\":{}}}",
    "{\"id\":\"%c\",\"type\":\"error\",\"payload\":[{\"message\":\"x\"}]}",
    "{\"id\":\"%c\",\"type\":\"complete\"}",
    "{\"id\":\"%c\",\"type\":\"data\",\"payload\":{\"data\":{}}}",
    "{\"type\":\"ka\"}",
    "{\"type\":\"connection_error\",\"payload\":{\"message\":\"no\"}}",
    "{\"type\":\"welcome\"}",
    "{\"identifier\":\"{\\\"channel\\\":\\\"C\\\",\\\"room\\\":\\\"%c\\\"}\",\"type\":\"confirm_subscription\"}",
    "{\"identifier\":\"{\\\"channel\\\":\\\"C\\\",\\\"room\\\":\\\"%c\\\"}\",\"type\":\"reject_subscription\"}",
    "{\"identifier\":\"{\\\"channel\\\":\\\"C\\\",\\\"room\\\":\\\"%c\\\"}\",\"message\":{\"n\":1}}",
    "0{\"sid\":\"%c\",\"pingInterval\":25000,\"pingTimeout\":20000}",
    "2",
    "1",
    "40/c,{\"sid\":\"%c\"}",
    "40{\"sid\":\"%c\"}",
    "44/c,{\"message\":\"%c\"}",
    "41/c,",
    "42/c,%c[\"e\"]",
    "42/c,[\"e\",\"%c\"]",
    "43/c,%c[1]",
    "451-/c,[\"b\",{\"_placeholder\":true,\"num\":%c}]",
    "461-/c,%c[{\"_placeholder\":true,\"num\":0}]",
    "[\"%c\",\"%c\",\"room:a\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]",
    "[\"%c\",\"%c\",\"room:1\",\"phx_reply\",{\"status\":\"error\",\"response\":{}}]",
    "[\"1\",\"%c\",\"room:a\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]",
    "[\"%c\",null,\"room:a\",\"m\",{}]",
    "[null,null,\"room:%c\",\"b\",{}]",
    "[\"%c\",\"%c\",\"room:a\",\"phx_close\",{}]",
    "[\"%c\",\"%c\",\"room:%c\",\"phx_error\",{}]",
    "[null,\"%c\",\"phoenix\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]",
};

/* STOMP's, '@' standing for a NUL. */
static const char *const stomp_tab_msgs[] = {
    "CONNECT\nlogin:a\npasscode:a\nheart-beat:100,%c00\n\n@",
    "CONNECT\nlogin:b\npasscode:b\n\n@",
    "STOMP\nlogin:a\npasscode:a\nheart-beat:1,%c\n\n@",
    "\n",
    "SUBSCRIBE\nid:sub-%c\ndestination:/t/a\n\n@",
    "SUBSCRIBE\nid:s\ndestination:/t/%c\nreceipt:r\n\n@",
    "SUBSCRIBE\nid:sub-%c\ndestination:/q\nack:client\n\n@",
    "UNSUBSCRIBE\nid:sub-%c\nreceipt:u\n\n@",
    "SEND\ndestination:/q\nreceipt:r-%c\n\nx@",
    "SEND\ndestination:/q\ntransaction:tx-%c\n\nx@",
    "SEND\ndestination:/q%c\ncontent-length:3\n\na@b@\n",
    "BEGIN\ntransaction:tx-%c\n\n@",
    "COMMIT\ntransaction:tx-%c\nreceipt:c\n\n@",
    "ABORT\ntransaction:tx-%c\n\n@",
    "DISCONNECT\nreceipt:close-%c\n\n@",
    "ACK\nid:%c\n\n@",
};

static const char *const stomp_server_msgs[] = {
    "CONNECTED\nversion:1.2\nheart-beat:%c000,0\n\n@",
    "\n",
    "MESSAGE\nsubscription:wss-s%c\nmessage-id:1\n\nhi@",
    "RECEIPT\nreceipt-id:wss-r%c\n\n@",
    "ERROR\nmessage:x\nreceipt-id:wss-r%c\n\n@",
    "ERROR\nmessage:%c\n\n@",
    "MESSAGE\nsubscription:wss-s%c\n\na@\nMESSAGE\nsubscription:wss-s1\n\nb@",
};

/* A message from `set` with its %c made a character picked by the input. */
static size_t message(input *in, const char *const *set, size_t nset, const char *ids, char *out,
                      size_t max)
{
    const char *m = set[byte(in) % nset];
    char id = ids[byte(in) % strlen(ids)];
    int n = snprintf(out, max, m, id, id, id), i; /* every %c of it */

    for (i = 0; st.stomp && i < n; i++)
        if (out[i] == '@')
            out[i] = '\0';
    return n < 0 ? 0 : (size_t)n;
}

static uint32_t new_handle(uint32_t len)
{
    uint32_t h = st.nh++;

    st.h[h] = H_PROFILE;
    st.len[h] = len;
    return h;
}

/* What an event answered: the handle came back exactly when taken. */
static void settle(uint32_t handle, int rc)
{
    if (rc == PROF_TAKEN) {
        /* Socket.IO's holds a binary frame until its packet is whole. */
        need(st.h[handle] == H_BACK || st.sio);
    } else {
        need(rc == PROF_PASS || rc == WSS_ENOMEM);
        need(st.effects == 0);
        need(st.h[handle] == H_PROFILE);
        st.h[handle] = H_BACK; /* the core's again */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prof_io io;
    profile *p;
    input in;
    char text[512];
    uint32_t seq[4] = {0, 1, 1, 1};
    uint8_t kind;

    memset(&st, 0, sizeof st);
    memset(&alloc, 0, sizeof alloc);
    memset(&io, 0, sizeof io);
    st.nh = 1;
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
    io.wake = f_wake;
    wss_init_hooks(&counted_hooks);
    in.p = data;
    in.n = size;
    /* 192 and up: STOMP's; 160 to 191: Socket.IO's; 128 to 159: Phoenix's;
     * below, the other JSON ones as before, so that most seeds keep what
     * they drive. */
    kind = byte(&in);
    switch (kind >= 192 ? 3 : kind >= 160 ? 4 : kind >= 128 ? 5 : kind % 3) {
    case 0: p = graphql_ws_create(); break;
    case 1: p = subscriptions_transport_create(); break;
    case 2: p = actioncable_create(); break;
    case 3: p = stomp_create(); st.stomp = 1; break;
    case 5: p = phoenix_create(); break;
    default:
        p = socketio_create();
        st.sio = 1;
        break;
    }
    need(p != NULL);
    while (in.n > 0 && st.nh < MAX_HANDLES) {
        uint8_t op = byte(&in);
        uint32_t tab = 1 + (uint32_t)(byte(&in) % 3), h;
        size_t len;
        int rc;

        if (op & 0x80) {
            uint8_t f = byte(&in);

            alloc.fail_at = f & 15;
            st.fail_io = f >> 4;
        }
        st.effects = 0;
        st.in_event = 1;
        switch (op & 7) {
        case 0:
        case 1: {
            prof_frame f;

            if (st.dead[tab] == 1)
                break; /* a core passes nothing on from a tab it let go */
            st.dead[tab] = 0;
            if ((op & 7) == 0)
                len = bytes(&in, text, sizeof text);
            else if (st.stomp)
                len = message(&in, stomp_tab_msgs, sizeof stomp_tab_msgs / sizeof *stomp_tab_msgs,
                              "12ab", text, sizeof text);
            else
                len = message(&in, tab_msgs, sizeof tab_msgs / sizeof *tab_msgs, "12ab", text,
                              sizeof text);
            h = new_handle((uint32_t)len);
            f.tab = tab;
            f.binary = (op & 0x10) && (op & 0x40);
            f.seq = (op & 0x20) ? seq[tab] - 1 : seq[tab]++;
            f.handle = h;
            f.len = (uint32_t)len;
            f.text = (op & 0x10) && (len == 0 || f.binary) ? NULL : text;
            f.replay = (op & 0x20) != 0 || (op & 0x08) != 0;
            f.mark = f.replay ? (op >> 3) & 1 : 0;
            if (st.sio && f.mark == 1 && (len & 1))
                f.mark = 2;
            rc = p->ops->tab_frame(p, &io, &f);
            settle(h, rc);
            break;
        }
        case 2:
        case 3:
            if ((op & 7) == 2)
                len = bytes(&in, text, sizeof text);
            else if (st.stomp)
                len = message(&in, stomp_server_msgs,
                              sizeof stomp_server_msgs / sizeof *stomp_server_msgs, "1234567", text,
                              sizeof text);
            else
                len = message(&in, server_msgs, sizeof server_msgs / sizeof *server_msgs,
                              "1234567", text, sizeof text);
            h = new_handle((uint32_t)len);
            rc = p->ops->server_frame(p, &io, h, (op & 0x10) ? NULL : text, (uint32_t)len);
            settle(h, rc);
            break;
        case 4:
            st.open = 1;
            p->ops->opened(p, &io);
            break;
        case 5:
            st.open = 0;
            p->ops->closed(p, &io);
            break;
        case 6:
            /* The time a profile asked for came, as a core calls it: once. */
            if ((op & 0x40) && st.wake && p->ops->woken != NULL) {
                st.wake = 0;
                p->ops->woken(p, &io);
                break;
            }
            /* A tab the core let go does not join again under its id; a
             * gone one may (a new hello). */
            if (p->ops->joined != NULL && st.dead[tab] != 1) {
                st.dead[tab] = 0;
                p->ops->joined(p, &io, tab);
            }
            break;
        default:
            p->ops->tab_gone(p, &io, tab);
            st.dead[tab] = 2;
            break;
        }
        st.in_event = 0;
        alloc.fail_at = 0;
        st.fail_io = 0;
    }
    p->ops->destroy(p);
    need(alloc.live == 0);
    wss_init_hooks(NULL);
    return 0;
}
