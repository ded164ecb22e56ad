/*
 * The graphql-ws profile against a fake core: every prof_io call is recorded
 * (texts copied), every handle is followed until it comes back, and every
 * test ends with no block left allocated. Frames are written with ' for "
 * (see J) to keep them readable.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "internal.h"
#include "jscan.h"
#include "profile.h"

/* ---- the fake core ------------------------------------------------------- */

#define MAX_HANDLES 512
#define MAX_KEPT 128
#define MAX_DEAD 32

enum { HS_NONE, HS_PROFILE, HS_BACK, HS_CORE };

typedef struct call {
    char what[16];      /* send, send_text, deliver, deliver_text, keep, forget, error,
                         * close, release, rejected (a send on a closed socket) */
    uint32_t tab, a, b; /* keep: seq, mark; forget, error: seq; close: code */
    char *text;         /* what was sent or delivered, or the close reason */
} call;

typedef struct fake {
    prof_io io;
    int open;
    int in_event;
    call *calls;
    uint32_t ncalls, cap;
    struct {
        char *text;
        uint32_t len;
        int state;
    } h[MAX_HANDLES];
    uint32_t nh;
    struct {
        uint32_t tab, seq, mark;
    } kept[MAX_KEPT];
    uint32_t nkept;
    uint32_t dead[MAX_DEAD]; /* tabs closed or gone: nothing may reach them */
    uint32_t ndead;
    long io_calls, io_fail_at; /* the io_fail_at-th fallible call answers WSS_ENOMEM */
    int violations;
} fake;

static fake fk;
static profile *gp;

static void violation(const char *what, uint32_t a)
{
    fk.violations++;
    fprintf(stderr, "  fake core: %s (%u)\n", what, a);
}

static char *copy_text(const char *s, size_t len)
{
    char *d = malloc(len + 1);

    if (d == NULL)
        abort();
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

static call *record(const char *what, uint32_t tab, uint32_t a, uint32_t b, const char *text,
                    size_t len)
{
    call *c;

    if (!fk.in_event)
        violation("a call outside an event", 0);
    if (fk.ncalls == fk.cap) {
        fk.cap = fk.cap ? fk.cap * 2 : 64;
        fk.calls = realloc(fk.calls, fk.cap * sizeof *fk.calls);
        if (fk.calls == NULL)
            abort();
    }
    c = &fk.calls[fk.ncalls++];
    snprintf(c->what, sizeof c->what, "%s", what);
    c->tab = tab;
    c->a = a;
    c->b = b;
    c->text = text != NULL ? copy_text(text, len) : NULL;
    return c;
}

static int is_dead(uint32_t tab)
{
    uint32_t i;

    for (i = 0; i < fk.ndead; i++)
        if (fk.dead[i] == tab)
            return 1;
    return 0;
}

/* Whether a fallible call fails now. */
static int io_fails(void)
{
    return ++fk.io_calls == fk.io_fail_at;
}

/* Every text the profile writes is one JSON object. */
static void check_json(const char *text, size_t len)
{
    js_val v;

    fa_pause(1);
    if (js_parse(text, len, &v) != WSS_OK || v.kind != JS_OBJECT)
        violation("a text that is not a JSON object", (uint32_t)len);
    fa_pause(0);
}

static void take_back(uint32_t handle)
{
    if (handle >= fk.nh || fk.h[handle].state != HS_PROFILE)
        violation("a handle that is not the profile's", handle);
    else
        fk.h[handle].state = HS_BACK;
}

static int f_open(void *ctx)
{
    (void)ctx;
    return fk.open;
}

static int f_send(void *ctx, uint32_t handle, uint32_t len)
{
    (void)ctx;
    if (handle >= fk.nh || fk.h[handle].state != HS_PROFILE) {
        violation("send of a handle that is not the profile's", handle);
        return WSS_EREJECT;
    }
    if (len != fk.h[handle].len)
        violation("send with another length", len);
    if (!fk.open) {
        record("rejected", 0, 0, 0, NULL, 0);
        return WSS_EREJECT;
    }
    if (io_fails())
        return WSS_ENOMEM;
    take_back(handle);
    record("send", 0, handle, 0, fk.h[handle].text, fk.h[handle].len);
    return WSS_OK;
}

static int f_send_text(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    if (!fk.open) {
        record("rejected", 0, 0, 0, text, len);
        return WSS_EREJECT;
    }
    if (io_fails())
        return WSS_ENOMEM;
    check_json(text, len);
    record("send_text", 0, 0, 0, text, len);
    return WSS_OK;
}

static void f_release(void *ctx, uint32_t handle)
{
    (void)ctx;
    take_back(handle);
    record("release", 0, handle, 0, NULL, 0);
}

static int f_deliver(void *ctx, uint32_t tab, uint32_t handle, uint32_t len)
{
    (void)ctx;
    (void)len;
    if (is_dead(tab))
        violation("deliver to a tab let go", tab);
    if (io_fails())
        return WSS_ENOMEM;
    take_back(handle);
    record("deliver", tab, handle, 0, fk.h[handle].text, fk.h[handle].len);
    return WSS_OK;
}

static int f_deliver_text(void *ctx, uint32_t tab, const char *text, size_t len)
{
    (void)ctx;
    if (is_dead(tab) || tab == 0)
        violation("deliver_text to a tab let go, or to all", tab);
    if (io_fails())
        return WSS_ENOMEM;
    check_json(text, len);
    record("deliver_text", tab, 0, 0, text, len);
    return WSS_OK;
}

static int kept_at(uint32_t tab, uint32_t seq)
{
    uint32_t i;

    for (i = 0; i < fk.nkept; i++)
        if (fk.kept[i].tab == tab && fk.kept[i].seq == seq)
            return (int)i;
    return -1;
}

static int f_keep(void *ctx, uint32_t tab, uint32_t seq, uint32_t mark)
{
    int i;

    (void)ctx;
    if (is_dead(tab))
        violation("keep at a tab let go", tab);
    if (io_fails())
        return WSS_ENOMEM;
    record("keep", tab, seq, mark, NULL, 0);
    i = kept_at(tab, seq);
    if (i < 0) {
        if (fk.nkept == MAX_KEPT)
            abort();
        i = (int)fk.nkept++;
    }
    fk.kept[i].tab = tab;
    fk.kept[i].seq = seq;
    fk.kept[i].mark = mark;
    return WSS_OK;
}

static int f_forget(void *ctx, uint32_t tab, uint32_t seq)
{
    int i;

    (void)ctx;
    if (is_dead(tab))
        violation("forget at a tab let go", tab);
    if (io_fails())
        return WSS_ENOMEM;
    record("forget", tab, seq, 0, NULL, 0);
    i = kept_at(tab, seq);
    if (i >= 0)
        fk.kept[i] = fk.kept[--fk.nkept];
    return WSS_OK;
}

static void f_error(void *ctx, uint32_t tab, uint32_t seq, const char *code, const char *message)
{
    (void)ctx;
    (void)code;
    record("error", tab, seq, 0, message, strlen(message));
}

static void f_close_tab(void *ctx, uint32_t tab, uint32_t code, const char *reason)
{
    (void)ctx;
    if (is_dead(tab))
        violation("close of a tab let go", tab);
    if (strlen(reason) > WSS_MAX_REASON_BYTES)
        violation("a reason longer than a close frame holds", (uint32_t)strlen(reason));
    record("close", tab, code, 0, reason, strlen(reason));
    if (fk.ndead < MAX_DEAD)
        fk.dead[fk.ndead++] = tab;
}

static void clear(void)
{
    uint32_t i;

    for (i = 0; i < fk.ncalls; i++)
        free(fk.calls[i].text);
    fk.ncalls = 0;
}

/* Truncates the log to its first n calls. */
static void truncate_log(uint32_t n)
{
    while (fk.ncalls > n)
        free(fk.calls[--fk.ncalls].text);
}

static void fake_reset(void)
{
    uint32_t i;

    clear();
    free(fk.calls);
    for (i = 0; i < fk.nh; i++)
        free(fk.h[i].text);
    memset(&fk, 0, sizeof fk);
    fk.io.ctx = &fk;
    fk.io.open = f_open;
    fk.io.send = f_send;
    fk.io.send_text = f_send_text;
    fk.io.release = f_release;
    fk.io.deliver = f_deliver;
    fk.io.deliver_text = f_deliver_text;
    fk.io.keep = f_keep;
    fk.io.forget = f_forget;
    fk.io.error = f_error;
    fk.io.close_tab = f_close_tab;
    fk.nh = 1; /* handle 0 stays unused */
}

/* ---- driving the profile ------------------------------------------------- */

/* `s` with every ' made ", in one of a few rotating buffers. */
static const char *J(const char *s)
{
    static char bufs[8][4096];
    static int next;
    char *b = bufs[next++ % 8];
    size_t i;

    for (i = 0; s[i] != '\0' && i + 1 < sizeof bufs[0]; i++)
        b[i] = s[i] == '\'' ? '"' : s[i];
    b[i] = '\0';
    return b;
}

static uint32_t new_handle(const char *text, size_t len)
{
    uint32_t h = fk.nh++;

    if (h >= MAX_HANDLES)
        abort();
    fk.h[h].text = text != NULL ? copy_text(text, len) : NULL;
    fk.h[h].len = (uint32_t)len;
    return h;
}

/* Checks what became of `handle` after an event answered rc. */
static void settle(uint32_t handle, int rc)
{
    if (rc == PROF_TAKEN) {
        if (fk.h[handle].state != HS_BACK)
            violation("a taken handle that never came back", handle);
    } else if (rc == PROF_PASS || rc == WSS_ENOMEM) {
        if (fk.h[handle].state != HS_PROFILE)
            violation("a handle given back, yet not taken", handle);
        fk.h[handle].state = HS_CORE;
    } else {
        violation("an unknown answer", (uint32_t)rc);
    }
}

static int next_binary; /* the next frame is binary, its bytes passed */

static int frame_h(uint32_t handle, uint32_t tab, uint32_t seq, int replay, uint32_t mark)
{
    prof_frame f;
    int rc;

    f.tab = tab;
    f.binary = next_binary;
    next_binary = 0;
    f.seq = seq;
    f.handle = handle;
    f.len = fk.h[handle].len;
    f.text = fk.h[handle].text;
    f.replay = replay;
    f.mark = mark;
    fk.h[handle].state = HS_PROFILE;
    fk.in_event = 1;
    rc = gp->ops->tab_frame(gp, &fk.io, &f);
    fk.in_event = 0;
    settle(handle, rc);
    return rc;
}

static int server_h(uint32_t handle)
{
    int rc;

    fk.h[handle].state = HS_PROFILE;
    fk.in_event = 1;
    rc = gp->ops->server_frame(gp, &fk.io, handle, fk.h[handle].text, fk.h[handle].len);
    fk.in_event = 0;
    settle(handle, rc);
    return rc;
}

/* A tab's frame (text with ' for "). */
static int tab(uint32_t t, uint32_t seq, const char *text)
{
    const char *s = J(text);

    return frame_h(new_handle(s, strlen(s)), t, seq, 0, 0);
}

static int replay(uint32_t t, uint32_t seq, uint32_t mark, const char *text)
{
    const char *s = J(text);

    return frame_h(new_handle(s, strlen(s)), t, seq, 1, mark);
}

static int server(const char *text)
{
    const char *s = J(text);

    return server_h(new_handle(s, strlen(s)));
}

static void opened(void)
{
    fk.open = 1;
    fk.in_event = 1;
    gp->ops->opened(gp, &fk.io);
    fk.in_event = 0;
}

static void closed(void)
{
    fk.open = 0;
    fk.in_event = 1;
    gp->ops->closed(gp, &fk.io);
    fk.in_event = 0;
}

static void gone(uint32_t t)
{
    fk.in_event = 1;
    gp->ops->tab_gone(gp, &fk.io, t);
    fk.in_event = 0;
    if (fk.ndead < MAX_DEAD)
        fk.dead[fk.ndead++] = t;
}

/* A fresh profile and fake core, with allocations counted. */
static void start(int open)
{
    fa_install(0, 0);
    fake_reset();
    fk.open = open;
    gp = graphql_ws_create();
}

/* The same, for subscriptions-transport-ws's protocol. */
static void start_legacy(int open)
{
    start(open);
    gp->ops->destroy(gp);
    gp = subscriptions_transport_create();
}

/* Destroys the profile; nothing may leak, nothing may have been misused. */
static void finish(void)
{
    uint32_t i;

    if (gp != NULL)
        gp->ops->destroy(gp);
    gp = NULL;
    CHECK_EQ(fa_live(), 0);
    CHECK_EQ(fk.violations, 0);
    for (i = 1; i < fk.nh; i++)
        if (fk.h[i].state == HS_PROFILE)
            check_fail(__FILE__, __LINE__, "handle %u never came back", i);
    fake_reset();
}

/* The log since the last clear, one word per call, e.g. "keep:1/1/0 send release". */
static const char *did(void)
{
    static char buf[2048];
    size_t len = 0;
    uint32_t i;

    buf[0] = '\0';
    for (i = 0; i < fk.ncalls && len + 40 < sizeof buf; i++) {
        const call *c = &fk.calls[i];
        const char *sep = i == 0 ? "" : " ";
        int w;

        if (strcmp(c->what, "keep") == 0)
            w = snprintf(buf + len, sizeof buf - len, "%skeep:%u/%u/%u", sep, c->tab, c->a, c->b);
        else if (strcmp(c->what, "forget") == 0 || strcmp(c->what, "error") == 0)
            w = snprintf(buf + len, sizeof buf - len, "%s%s:%u/%u", sep, c->what, c->tab, c->a);
        else if (strcmp(c->what, "close") == 0)
            w = snprintf(buf + len, sizeof buf - len, "%sclose:%u/%u", sep, c->tab, c->a);
        else if (strncmp(c->what, "deliver", 7) == 0)
            w = snprintf(buf + len, sizeof buf - len, "%s%s:%u", sep, c->what, c->tab);
        else
            w = snprintf(buf + len, sizeof buf - len, "%s%s", sep, c->what);
        len += (size_t)w;
    }
    return buf;
}

/* The nth call named `what` (0-based), or NULL. */
static const call *nth(const char *what, int n)
{
    uint32_t i;

    for (i = 0; i < fk.ncalls; i++)
        if (strcmp(fk.calls[i].what, what) == 0 && n-- == 0)
            return &fk.calls[i];
    return NULL;
}

/* The nth text that went to the server, or to tab t. */
static const char *sent(int n)
{
    uint32_t i;

    for (i = 0; i < fk.ncalls; i++)
        if (strncmp(fk.calls[i].what, "send", 4) == 0 && n-- == 0)
            return fk.calls[i].text;
    return NULL;
}

static const char *got(uint32_t t, int n)
{
    uint32_t i;

    for (i = 0; i < fk.ncalls; i++)
        if (strncmp(fk.calls[i].what, "deliver", 7) == 0 && fk.calls[i].tab == t && n-- == 0)
            return fk.calls[i].text;
    return NULL;
}

static int count_of(const char *what)
{
    uint32_t i;
    int n = 0;

    for (i = 0; i < fk.ncalls; i++)
        n += strcmp(fk.calls[i].what, what) == 0;
    return n;
}

/* The mark tab t keeps frame seq with, -1 when it keeps none. */
static long mark_of(uint32_t t, uint32_t seq)
{
    int i = kept_at(t, seq);

    return i < 0 ? -1 : (long)fk.kept[i].mark;
}

#define INIT "{'type':'connection_init','payload':{'token':'a'}}"
#define ACK "{'type':'connection_ack','payload':{'server':1}}"
#define SUB(id) "{'id':'" id "','type':'subscribe','payload':{'query':'subscription { tick }'}}"
#define QUERY(id) "{'id':'" id "','type':'subscribe','payload':{'query':'{ me }'}}"

/* Tabs 1..n joined and acked, the socket open, the log cleared. */
static void joined(uint32_t n)
{
    uint32_t t;

    start(1);
    for (t = 1; t <= n; t++)
        CHECK_EQ(tab(t, 1, INIT), PROF_TAKEN);
    CHECK_EQ(server(ACK), PROF_TAKEN);
    clear();
}

/* ---- joining ------------------------------------------------------------- */

static void graphql_should_send_the_first_init_to_an_open_socket_as_it_came(void)
{
    start(1);
    CHECK_EQ(tab(1, 1, INIT), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/1/0 send");
    CHECK_STR(sent(0), J(INIT));
    CHECK_EQ(mark_of(1, 1), 0);
    finish();
}

static void graphql_should_hold_the_first_init_until_the_socket_opens(void)
{
    start(0);
    CHECK_EQ(tab(1, 1, INIT), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/1/0 release");
    clear();
    opened();
    CHECK_STR(did(), "send_text");
    CHECK_STR(sent(0), J(INIT));
    finish();
}

static void graphql_should_give_the_ack_to_every_waiting_tab_and_mark_its_kept_init(void)
{
    start(1);
    CHECK_EQ(tab(1, 1, INIT), PROF_TAKEN);
    CHECK_EQ(tab(2, 5, INIT), PROF_TAKEN);
    clear();
    CHECK_EQ(server(ACK), PROF_TAKEN);
    CHECK_STR(did(), "release deliver_text:1 keep:1/1/1 deliver_text:2 keep:2/5/1");
    CHECK_STR(got(1, 0), J(ACK));
    CHECK_STR(got(2, 0), J(ACK));
    CHECK_EQ(mark_of(2, 5), 1);
    finish();
}

static void graphql_should_answer_a_later_init_from_the_cached_ack_at_once(void)
{
    joined(1);
    CHECK_EQ(tab(2, 3, INIT), PROF_TAKEN);
    CHECK_STR(did(), "keep:2/3/0 deliver_text:2 keep:2/3/1 release");
    CHECK_STR(got(2, 0), J(ACK));
    CHECK_EQ(count_of("send") + count_of("send_text"), 0);
    finish();
}

static void graphql_should_let_inits_without_a_payload_share_the_socket(void)
{
    start(1);
    CHECK_EQ(tab(1, 1, "{'type':'connection_init'}"), PROF_TAKEN);
    CHECK_EQ(server(ACK), PROF_TAKEN);
    clear();
    CHECK_EQ(tab(2, 1, "{'type':'connection_init'}"), PROF_TAKEN);
    CHECK_STR(did(), "keep:2/1/0 deliver_text:2 keep:2/1/1 release");
    finish();
}

static void graphql_should_close_a_tab_whose_init_has_other_credentials_with_4403(void)
{
    static const char *const others[] = {
        "{'type':'connection_init','payload':{'token':'b'}}",
        "{'type':'connection_init','payload':{'token': 'a'}}",
        "{'type':'connection_init','payload':null}",
        "{'type':'connection_init'}",
    };
    size_t i;

    for (i = 0; i < sizeof others / sizeof others[0]; i++) {
        const call *c;

        joined(1);
        CHECK_EQ(tab(2, 1, others[i]), PROF_TAKEN);
        CHECK_STR(did(), "close:2/4403 release");
        c = nth("close", 0);
        REQUIRE(c != NULL);
        CHECK(strstr(c->text, "connection_init") != NULL);
        CHECK(strstr(c->text, "sharing key") != NULL);
        CHECK(strlen(c->text) <= WSS_MAX_REASON_BYTES);
        clear();
        CHECK_EQ(tab(1, 2, SUB("1")), PROF_TAKEN);
        CHECK_STR(did(), "keep:1/2/0 send_text release");
        finish();
    }
    /* Nor may it ride on an init still waiting for the socket. */
    start(0);
    CHECK_EQ(tab(1, 1, "{'type':'connection_init'}"), PROF_TAKEN);
    CHECK_EQ(tab(2, 1, INIT), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/1/0 release close:2/4403 release");
    finish();
}

static void graphql_should_close_a_tab_that_inits_twice_with_4429(void)
{
    joined(1);
    CHECK_EQ(tab(1, 2, SUB("1")), PROF_TAKEN);
    clear();
    CHECK_EQ(tab(1, 3, INIT), PROF_TAKEN);
    CHECK_STR(did(), "close:1/4429 release send_text");
    CHECK_STR(nth("close", 0)->text, "Too many initialisation requests");
    CHECK_STR(sent(0), J("{'id':'1','type':'complete'}"));
    finish();
}

/* ---- what a tab may send ------------------------------------------------- */

static void graphql_should_close_a_tab_with_4400_for_a_frame_a_server_would_refuse(void)
{
    static const char *const bad[] = {
        "not json",
        "[]",
        "'ping'",
        "{}",
        "{'type':1}",
        "{'type':'ping','type':'ping'}",
        "{'type':'ping','id':'1','id':'2'}",
        "{'type':'ping','payload':{},'payload':{}}",
        "{'type':'ping','payload':'x'}",
        "{'type':'connection_init','payload':[1]}",
        "{'type':'connection_ack'}",
        "{'type':'next','id':'1','payload':{}}",
        "{'type':'error','id':'1','payload':[]}",
        "{'type':'start','id':'1'}",
        "{'type':''}",
        "{'type':'subscribe','payload':{'query':'{a}'}}",
        "{'type':'subscribe','id':'','payload':{'query':'{a}'}}",
        "{'type':'subscribe','id':1,'payload':{'query':'{a}'}}",
        "{'type':'subscribe','id':'1'}",
        "{'type':'subscribe','id':'1','payload':null}",
        "{'type':'subscribe','id':'1','payload':{}}",
        "{'type':'subscribe','id':'1','payload':{'query':1}}",
        "{'type':'subscribe','id':'1','payload':{'query':'{a}','query':'{b}'}}",
        "{'type':'subscribe','id':'1','payload':{'query':'{a}','variables':[]}}",
        "{'type':'subscribe','id':'1','payload':{'query':'{a}','operationName':1}}",
        "{'type':'subscribe','id':'1','payload':{'query':'{a}','extensions':'x'}}",
        "{'type':'complete'}",
        "{'type':'complete','id':''}",
        "{'type':'complete','id':null}",
        "{'type':'ping'} x",
        "{'type':'ping','x':'\xff'}",
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        joined(1);
        CHECK_EQ(tab(1, 2, bad[i]), PROF_TAKEN);
        if (strcmp(did(), "close:1/4400 release") != 0)
            check_fail(__FILE__, __LINE__, "%s: did %s", bad[i], did());
        CHECK_STR(nth("close", 0) ? nth("close", 0)->text : NULL, "Invalid message received");
        finish();
    }
}

static void graphql_should_accept_every_form_a_server_accepts(void)
{
    static const char *const good[] = {
        "{'type':'ping','payload':null}",
        "{'type':'ping','payload':{'x':1}}",
        " { 'payload' : {} , 'type' : 'ping' } ",
        "{'type':'ping','id':7}",
        ("{'type':'subscribe','id':'1','payload':{'query':'{a}','variables':null,"
         "'operationName':null,'extensions':{'x':1}}}"),
        "{'type':'complete','id':'nope'}",
    };
    size_t i;

    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        joined(1);
        CHECK_EQ(tab(1, 2, good[i]), PROF_TAKEN);
        CHECK_EQ(count_of("close"), 0);
        finish();
    }
}

static void graphql_should_pass_binary_frames(void)
{
    joined(1);
    CHECK_EQ(frame_h(new_handle(NULL, 4), 1, 2, 0, 0), PROF_PASS);
    CHECK_STR(did(), "");
    finish();
}

static void graphql_should_answer_a_tabs_ping_itself_and_drop_its_pong(void)
{
    start(0);
    CHECK_EQ(tab(1, 1, "{'type':'ping'}"), PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:1 release");
    CHECK_STR(got(1, 0), J("{'type':'pong'}"));
    clear();
    CHECK_EQ(tab(1, 2, "{'type':'pong'}"), PROF_TAKEN);
    CHECK_STR(did(), "release");
    finish();
}

static void graphql_should_close_a_tab_that_subscribes_before_its_init_with_4401(void)
{
    joined(1);
    CHECK_EQ(tab(2, 1, SUB("1")), PROF_TAKEN);
    CHECK_STR(did(), "close:2/4401 release");
    CHECK_STR(nth("close", 0)->text, "Unauthorized");
    finish();
}

static void graphql_should_close_a_tab_that_reuses_a_live_id_with_4409(void)
{
    char id[200];
    size_t i;

    joined(1);
    CHECK_EQ(tab(1, 2, SUB("a\\u0062")), PROF_TAKEN);
    clear();
    CHECK_EQ(tab(1, 3, QUERY("a\\u0062")), PROF_TAKEN);
    CHECK_STR(did(), "close:1/4409 release send_text");
    CHECK_STR(nth("close", 0)->text, "Subscriber for ab already exists");
    finish();
    /* An id too long for a close frame's reason is left out of it. */
    for (i = 0; i < 150; i++)
        id[i] = 'x';
    id[i] = '\0';
    joined(1);
    {
        char frame[400];

        snprintf(frame, sizeof frame, SUB("%s"), id);
        CHECK_EQ(tab(1, 2, frame), PROF_TAKEN);
        CHECK_EQ(tab(1, 3, frame), PROF_TAKEN);
    }
    CHECK_STR(nth("close", 0) ? nth("close", 0)->text : NULL,
              "Subscriber for this id already exists");
    finish();
}

static void graphql_should_accept_an_id_again_once_its_operation_ended(void)
{
    joined(1);
    CHECK_EQ(tab(1, 2, QUERY("1")), PROF_TAKEN);
    CHECK_EQ(server("{'id':'1','type':'complete'}"), PROF_TAKEN);
    CHECK_EQ(tab(1, 3, QUERY("1")), PROF_TAKEN);
    CHECK_EQ(count_of("close"), 0);
    CHECK_STR(sent(1), J("{'id':'2','type':'subscribe','payload':{'query':'{ me }'}}"));
    finish();
}

/* ---- operations ---------------------------------------------------------- */

static void graphql_should_send_a_subscribe_with_only_its_id_replaced(void)
{
    static const char frame[] =
        "{ \"payload\" : {\"variables\":{\"n\":1.50,\"s\":\"\\u00e9\\n\"},\"query\":"
        "\"subscription S($n: Float) { tick(n: $n) }\"}, \"id\" : \"my-\\\"id\\\"\", "
        "\"type\":\"subscribe\" }";
    static const char wire[] =
        "{ \"payload\" : {\"variables\":{\"n\":1.50,\"s\":\"\\u00e9\\n\"},\"query\":"
        "\"subscription S($n: Float) { tick(n: $n) }\"}, \"id\" : \"1\", "
        "\"type\":\"subscribe\" }";

    joined(1);
    CHECK_EQ(frame_h(new_handle(frame, sizeof frame - 1), 1, 2, 0, 0), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/2/0 send_text release");
    CHECK_STR(sent(0), wire);
    clear();
    /* And its answers come back under the id as the tab wrote it. */
    CHECK_EQ(server("{'type':'next', 'id':'1','payload':{'data':{'tick':1}}}"), PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:1 release");
    CHECK_STR(got(1, 0), "{\"type\":\"next\", \"id\":\"my-\\\"id\\\"\",\"payload\":{\"data\":{\"tick\":1}}}");
    finish();
}

static void graphql_should_give_two_tabs_with_one_id_their_own_wire_ids_and_answers(void)
{
    joined(2);
    CHECK_EQ(tab(1, 2, SUB("1")), PROF_TAKEN);
    CHECK_EQ(tab(2, 2, SUB("1")), PROF_TAKEN);
    CHECK_STR(sent(0), J("{'id':'1','type':'subscribe','payload':{'query':'subscription { tick }'}}"));
    CHECK_STR(sent(1), J("{'id':'2','type':'subscribe','payload':{'query':'subscription { tick }'}}"));
    clear();
    CHECK_EQ(server("{'id':'2','type':'next','payload':{'data':{'tick':2}}}"), PROF_TAKEN);
    CHECK_EQ(server("{'id':'1','type':'next','payload':{'data':{'tick':1}}}"), PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:2 release deliver_text:1 release");
    CHECK_STR(got(2, 0), J("{'id':'1','type':'next','payload':{'data':{'tick':2}}}"));
    CHECK_STR(got(1, 0), J("{'id':'1','type':'next','payload':{'data':{'tick':1}}}"));
    finish();
}

static void graphql_should_hold_operations_until_the_ack_and_send_them_in_order(void)
{
    start(0);
    CHECK_EQ(tab(1, 1, INIT), PROF_TAKEN);
    CHECK_EQ(tab(1, 2, SUB("a")), PROF_TAKEN);
    CHECK_EQ(tab(1, 3, QUERY("b")), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/1/0 release keep:1/2/0 release keep:1/3/0 release");
    clear();
    opened();
    CHECK_STR(did(), "send_text");
    clear();
    CHECK_EQ(server(ACK), PROF_TAKEN);
    CHECK_STR(did(), "release deliver_text:1 keep:1/1/1 send_text send_text");
    CHECK_STR(sent(0), J("{'id':'1','type':'subscribe','payload':{'query':'subscription { tick }'}}"));
    CHECK_STR(sent(1), J("{'id':'2','type':'subscribe','payload':{'query':'{ me }'}}"));
    finish();
}

static void graphql_should_end_an_operation_at_error_or_complete_but_not_at_next(void)
{
    joined(1);
    CHECK_EQ(tab(1, 2, SUB("a")), PROF_TAKEN);
    CHECK_EQ(tab(1, 3, QUERY("b")), PROF_TAKEN);
    clear();
    CHECK_EQ(server("{'id':'1','type':'next','payload':{}}"), PROF_TAKEN);
    CHECK_EQ(server("{'id':'1','type':'error','payload':[{'message':'no'}]}"), PROF_TAKEN);
    CHECK_EQ(server("{'id':'1','type':'next','payload':{}}"), PROF_TAKEN);
    CHECK_EQ(server("{'id':'2','type':'next','payload':{}}"), PROF_TAKEN);
    CHECK_EQ(server("{'id':'2','type':'complete'}"), PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:1 release deliver_text:1 forget:1/2 release release "
                     "deliver_text:1 release deliver_text:1 forget:1/3 release");
    CHECK_STR(got(1, 1), J("{'id':'a','type':'error','payload':[{'message':'no'}]}"));
    CHECK_STR(got(1, 3), J("{'id':'b','type':'complete'}"));
    CHECK_EQ(fk.nkept, 1);
    finish();
}

static void graphql_should_drop_answers_for_ids_it_does_not_run(void)
{
    static const char *const ids[] = {"'9'", "'01'", "'x'", "''", "'1 '", "'99999999999999999999'"};
    size_t i;

    joined(1);
    CHECK_EQ(tab(1, 2, SUB("a")), PROF_TAKEN);
    clear();
    for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char frame[128];

        snprintf(frame, sizeof frame, "{'id':%s,'type':'next','payload':{}}", ids[i]);
        CHECK_EQ(server(frame), PROF_TAKEN);
    }
    CHECK_EQ(count_of("release"), (int)(sizeof ids / sizeof ids[0]));
    CHECK_EQ(count_of("deliver_text"), 0);
    finish();
}

static void graphql_should_pass_server_frames_it_does_not_know(void)
{
    static const char *const other[] = {
        "not json", "[1]", "{}", "{'type':7}", "{'type':'ka'}", "{'type':'next','payload':{}}",
        "{'type':'next','id':1}", "{'type':'next','id':'1','id':'1'}",
        "{'type':'ping','type':'pong'}",
    };
    size_t i;

    joined(1);
    CHECK_EQ(tab(1, 2, SUB("a")), PROF_TAKEN);
    clear();
    for (i = 0; i < sizeof other / sizeof other[0]; i++)
        CHECK_EQ(server(other[i]), PROF_PASS);
    CHECK_EQ(server_h(new_handle(NULL, 3)), PROF_PASS);
    CHECK_STR(did(), "");
    finish();
}

static void graphql_should_answer_the_servers_ping_once_and_drop_its_pong(void)
{
    joined(3);
    CHECK_EQ(server("{'type':'ping','payload':{'t':1}}"), PROF_TAKEN);
    CHECK_STR(did(), "send_text release");
    CHECK_STR(sent(0), J("{'type':'pong'}"));
    clear();
    CHECK_EQ(server("{'type':'pong'}"), PROF_TAKEN);
    CHECK_STR(did(), "release");
    finish();
}

static void graphql_should_drop_an_ack_it_did_not_ask_for(void)
{
    start(1);
    CHECK_EQ(server(ACK), PROF_TAKEN);
    CHECK_EQ(tab(1, 1, INIT), PROF_TAKEN);
    CHECK_STR(did(), "release keep:1/1/0 send");
    clear();
    CHECK_EQ(server(ACK), PROF_TAKEN);
    CHECK_EQ(server("{'type':'connection_ack','payload':{'again':1}}"), PROF_TAKEN);
    CHECK_STR(did(), "release deliver_text:1 keep:1/1/1 release");
    finish();
}

static void graphql_should_complete_on_the_server_what_a_tab_completes(void)
{
    joined(1);
    CHECK_EQ(tab(1, 2, SUB("a")), PROF_TAKEN);
    clear();
    CHECK_EQ(tab(1, 3, "{'id':'a','type':'complete'}"), PROF_TAKEN);
    CHECK_STR(did(), "forget:1/2 send_text release");
    CHECK_STR(sent(0), J("{'id':'1','type':'complete'}"));
    clear();
    /* Again, or for an id never seen: nothing to do. */
    CHECK_EQ(tab(1, 4, "{'id':'a','type':'complete'}"), PROF_TAKEN);
    CHECK_EQ(tab(1, 5, "{'id':'z','type':'complete'}"), PROF_TAKEN);
    CHECK_STR(did(), "release release");
    CHECK_EQ(server("{'id':'1','type':'next','payload':{}}"), PROF_TAKEN);
    CHECK_EQ(count_of("deliver_text"), 0);
    finish();
}

static void graphql_should_send_nothing_for_completing_an_operation_still_held(void)
{
    start(0);
    CHECK_EQ(tab(1, 1, INIT), PROF_TAKEN);
    CHECK_EQ(tab(1, 2, SUB("a")), PROF_TAKEN);
    clear();
    CHECK_EQ(tab(1, 3, "{'id':'a','type':'complete'}"), PROF_TAKEN);
    CHECK_STR(did(), "forget:1/2 release");
    clear();
    opened();
    CHECK_EQ(server(ACK), PROF_TAKEN);
    CHECK_EQ(count_of("send_text"), 1); /* the init alone */
    finish();
}

/* ---- the connection's loss ----------------------------------------------- */

static void graphql_should_fail_single_results_and_resubscribe_subscriptions_after_a_lost_connection(void)
{
    joined(2);
    CHECK_EQ(tab(1, 2, SUB("s")), PROF_TAKEN);
    CHECK_EQ(tab(2, 2, "{'id':'m','type':'subscribe','payload':{'query':'mutation { pay }'}}"),
             PROF_TAKEN);
    clear();
    closed();
    CHECK_STR(did(), "deliver_text:2 forget:2/2");
    CHECK(strstr(got(2, 0), "\"id\":\"m\",\"type\":\"error\",\"payload\":[{\"message\":") != NULL);
    CHECK(strstr(got(2, 0), "connection was lost") != NULL);
    clear();
    /* The next connection: the init again, then after its ack the
     * subscription under a fresh wire id, and no second ack to the tabs. */
    opened();
    CHECK_STR(did(), "send_text");
    CHECK_STR(sent(0), J(INIT));
    clear();
    CHECK_EQ(server(ACK), PROF_TAKEN);
    CHECK_STR(did(), "release send_text");
    CHECK_STR(sent(0), J("{'id':'3','type':'subscribe','payload':{'query':'subscription { tick }'}}"));
    clear();
    CHECK_EQ(server("{'id':'1','type':'next','payload':{}}"), PROF_TAKEN);
    CHECK_EQ(server("{'id':'3','type':'next','payload':{}}"), PROF_TAKEN);
    CHECK_STR(did(), "release deliver_text:1 release");
    CHECK_EQ(mark_of(1, 2), 0);
    finish();
}

static void graphql_should_make_a_tab_joining_while_the_socket_is_down_wait_for_the_next_ack(void)
{
    joined(1);
    closed();
    CHECK_EQ(tab(2, 1, INIT), PROF_TAKEN);
    CHECK_STR(did(), "keep:2/1/0 release");
    opened();
    clear();
    CHECK_EQ(server(ACK), PROF_TAKEN);
    CHECK_STR(did(), "release deliver_text:2 keep:2/1/1");
    finish();
}

static void graphql_should_count_an_open_without_a_close_as_a_lost_connection(void)
{
    joined(1);
    CHECK_EQ(tab(1, 2, QUERY("q")), PROF_TAKEN);
    CHECK_EQ(tab(1, 3, SUB("s")), PROF_TAKEN);
    clear();
    opened();
    CHECK_STR(did(), "send_text deliver_text:1 forget:1/2");
    clear();
    CHECK_EQ(server(ACK), PROF_TAKEN);
    CHECK_STR(sent(0), J("{'id':'3','type':'subscribe','payload':{'query':'subscription { tick }'}}"));
    finish();
}

static void graphql_should_never_use_a_wire_id_twice(void)
{
    uint32_t round, i;
    char seen[64][16];
    uint32_t nseen = 0;

    joined(1);
    CHECK_EQ(tab(1, 2, SUB("s")), PROF_TAKEN);
    CHECK_EQ(tab(1, 3, SUB("t")), PROF_TAKEN);
    for (round = 0; round < 5; round++) {
        closed();
        opened();
        clear();
        CHECK_EQ(server(ACK), PROF_TAKEN);
        for (i = 0; i < fk.ncalls; i++) {
            const call *c = &fk.calls[i];
            uint32_t k;
            js_val root, id;

            if (strcmp(c->what, "send_text") != 0)
                continue;
            REQUIRE(js_parse(c->text, strlen(c->text), &root) == WSS_OK);
            REQUIRE(js_get(c->text, &root, "id", &id) == 1 && nseen < 64);
            js_str_copy(c->text, &id, seen[nseen], sizeof seen[0]);
            for (k = 0; k < nseen; k++)
                CHECK(strcmp(seen[k], seen[nseen]) != 0);
            nseen++;
        }
    }
    CHECK_EQ(nseen, 10);
    finish();
}

/* ---- tabs that go -------------------------------------------------------- */

static void graphql_should_end_a_gone_tabs_operations_and_tell_it_nothing(void)
{
    joined(2);
    CHECK_EQ(tab(1, 2, SUB("a")), PROF_TAKEN);
    CHECK_EQ(tab(1, 3, QUERY("b")), PROF_TAKEN);
    CHECK_EQ(tab(2, 2, SUB("a")), PROF_TAKEN);
    clear();
    gone(1);
    CHECK_STR(did(), "send_text send_text");
    CHECK_STR(sent(0), J("{'id':'1','type':'complete'}"));
    CHECK_STR(sent(1), J("{'id':'2','type':'complete'}"));
    clear();
    CHECK_EQ(server("{'id':'1','type':'next','payload':{}}"), PROF_TAKEN);
    CHECK_EQ(server("{'id':'3','type':'next','payload':{}}"), PROF_TAKEN);
    CHECK_STR(did(), "release deliver_text:2 release");
    clear();
    /* The init it brought stays the socket's. */
    CHECK_EQ(tab(3, 1, "{'type':'connection_init'}"), PROF_TAKEN);
    CHECK_STR(did(), "close:3/4403 release");
    finish();
}

static void graphql_should_send_nothing_for_a_tab_gone_while_the_socket_is_down(void)
{
    joined(1);
    CHECK_EQ(tab(1, 2, SUB("a")), PROF_TAKEN);
    closed();
    clear();
    gone(1);
    CHECK_STR(did(), "");
    opened();
    clear();
    CHECK_EQ(server(ACK), PROF_TAKEN);
    CHECK_STR(did(), "release");
    finish();
}

/* ---- replays ------------------------------------------------------------- */

static void graphql_should_not_ack_again_a_replayed_init_marked_acked(void)
{
    start(1);
    CHECK_EQ(replay(1, 1, 1, INIT), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/1/1 send");
    CHECK_EQ(replay(1, 2, 0, SUB("a")), PROF_TAKEN);
    clear();
    CHECK_EQ(server(ACK), PROF_TAKEN);
    CHECK_STR(did(), "release send_text");
    clear();
    /* Joining an acked connection with mark 1: nothing to tell either. */
    CHECK_EQ(replay(2, 4, 1, INIT), PROF_TAKEN);
    CHECK_STR(did(), "keep:2/4/1 release");
    finish();
}

static void graphql_should_ack_a_replayed_init_without_mark(void)
{
    joined(1);
    CHECK_EQ(replay(2, 1, 0, INIT), PROF_TAKEN);
    CHECK_STR(did(), "keep:2/1/0 deliver_text:2 keep:2/1/1 release");
    clear();
    /* A replay from a tab already acked tells it nothing, nor is it refused. */
    CHECK_EQ(replay(1, 1, 0, INIT), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/1/1 release");
    finish();
}

static void graphql_should_subscribe_a_replayed_subscription_again(void)
{
    joined(1);
    CHECK_EQ(replay(1, 7, 0, SUB("a")), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/7/0 send_text release");
    clear();
    /* The same frame once more is absorbed, not a duplicate. */
    CHECK_EQ(replay(1, 7, 0, SUB("a")), PROF_TAKEN);
    CHECK_STR(did(), "release");
    finish();
}

static void graphql_should_answer_a_replayed_single_result_with_an_error_and_never_send_it(void)
{
    joined(1);
    CHECK_EQ(replay(1, 4, 0, QUERY("q")), PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:1 forget:1/4 release");
    CHECK(strstr(got(1, 0), "{\"id\":\"q\",\"type\":\"error\",\"payload\":[{\"message\":\"") == got(1, 0));
    clear();
    /* Its id is free again. */
    CHECK_EQ(tab(1, 5, QUERY("q")), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/5/0 send_text release");
    finish();
}

static void graphql_should_rebuild_a_new_leaders_state_from_replays(void)
{
    start(0);
    CHECK_EQ(replay(1, 1, 1, INIT), PROF_TAKEN);
    CHECK_EQ(replay(1, 2, 0, SUB("a")), PROF_TAKEN);
    CHECK_EQ(replay(2, 1, 0, INIT), PROF_TAKEN);
    CHECK_EQ(replay(2, 3, 0, SUB("a")), PROF_TAKEN);
    CHECK_EQ(replay(2, 4, 0, QUERY("b")), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/1/1 release keep:1/2/0 release keep:2/1/0 release keep:2/3/0 release "
                     "deliver_text:2 forget:2/4 release");
    clear();
    opened();
    CHECK_EQ(server(ACK), PROF_TAKEN);
    CHECK_STR(did(), "send_text release deliver_text:2 keep:2/1/1 send_text send_text");
    CHECK_STR(got(2, 0), J(ACK));
    finish();
}

/* ---- the kind of an operation ------------------------------------------- */

/* 1 when the profile keeps `payload`'s operation over a lost connection (a
 * subscription), 0 when it fails it (a single result). */
static int keeps_over_a_loss(const char *payload)
{
    char frame[1024];
    int kept;

    snprintf(frame, sizeof frame, "{'id':'x','type':'subscribe','payload':%s}", payload);
    joined(1);
    if (tab(1, 2, frame) != PROF_TAKEN || count_of("close") != 0)
        check_fail(__FILE__, __LINE__, "refused: %s", payload);
    clear();
    closed();
    kept = count_of("deliver_text") == 0;
    finish();
    return kept;
}

static void graphql_should_tell_subscriptions_from_single_results_by_their_document(void)
{
    static const struct {
        const char *payload;
        int sub;
    } cases[] = {
        {"{'query':'subscription { a }'}", 1},
        {"{'query':'subscription S($x: Int = 1) @live { a(x: $x) }'}", 1},
        {"{'query':'query { a }'}", 0},
        {"{'query':'{ a }'}", 0},
        {"{'query':'mutation M { a }'}", 0},
        {"{'query':'# subscription\\nquery { a }'}", 0},
        {"{'query':'query { a(s: \\'subscription { b }\\') }'}", 0},
        {"{'query':'query { a(s: \\'\\'\\'} subscription {\\'\\'\\') }'}", 0},
        {"{'query':'fragment F on subscription { a } subscription { ...F }'}", 1},
        {"{'query':'query subscription { a }'}", 0},
        {"{'query':'subscription query { a }'}", 1},
        {"{'query':'subscription S($o: In = {a: {b: 1}}) { a }'}", 1},
        {"{'query':'\\ufeff,,subscription\\t{a}'}", 1},
        {"{'query':'\\u0073ubscription { a }'}", 1},
        {"{'query':'query A { a } subscription B { b }','operationName':'B'}", 1},
        {"{'query':'query A { a } subscription B { b }','operationName':'A'}", 0},
        {"{'query':'query A { a } subscription B { b }'}", 0},
        {"{'query':'query A { a } subscription B { b }','operationName':null}", 0},
        {"{'query':'query A { a } subscription B { b }','operationName':'C'}", 0},
        {"{'query':'subscription B { a } subscription B { b }','operationName':'B'}", 0},
        {"{'query':'subscription { a '}", 0},
        {"{'query':'subscription { a } }'}", 0},
        {"{'query':'subscription (a { b }'}", 0},
        {"{'query':'subscription { a(s: \\'x) }'}", 0},
        {"{'query':'type Q { a: Int } subscription { a }'}", 0},
        {"{'query':''}", 0},
        {"{'query':'subscription { a }\\u0000'}", 0},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (keeps_over_a_loss(cases[i].payload) != cases[i].sub)
            check_fail(__FILE__, __LINE__, "%s: expected %s", cases[i].payload,
                       cases[i].sub ? "a subscription" : "a single result");
}

/* ---- out of memory ------------------------------------------------------- */

static void graphql_should_fail_create_cleanly_without_memory(void)
{
    fa_install(1, 0);
    CHECK(graphql_ws_create() == NULL);
    CHECK_EQ(fa_live(), 0);
    fa_uninstall();
}

/* A script that goes through every path, for the failure runs below. */
typedef struct step {
    char kind; /* t: tab frame, r: replay, s: server frame, o: opened, c: closed, g: gone */
    uint32_t tab, seq, mark;
    const char *text;
} step;

static const step script[] = {
    {'t', 1, 1, 0, INIT},
    {'t', 1, 2, 0, "{'type':'ping'}"},
    {'o', 0, 0, 0, NULL},
    {'t', 1, 3, 0, SUB("1")},
    {'t', 1, 4, 0, QUERY("2")},
    {'t', 2, 1, 0, INIT},
    {'s', 0, 0, 0, ACK},
    {'s', 0, 0, 0, "{'id':'1','type':'next','payload':{'data':{}}}"},
    {'t', 2, 2, 0, SUB("1")},
    {'s', 0, 0, 0, "{'id':'2','type':'next','payload':{'data':{}}}"},
    {'s', 0, 0, 0, "{'id':'2','type':'complete'}"},
    {'t', 3, 1, 0, INIT},
    {'s', 0, 0, 0, "{'type':'ping'}"},
    {'t', 3, 2, 0, "{'id':'m','type':'subscribe','payload':{'query':'mutation { a }'}}"},
    {'c', 0, 0, 0, NULL},
    {'r', 4, 1, 1, INIT},
    {'r', 4, 2, 0, SUB("z")},
    {'r', 4, 3, 0, QUERY("y")},
    {'o', 0, 0, 0, NULL},
    {'s', 0, 0, 0, ACK},
    {'s', 0, 0, 0, "{'id':'7','type':'next','payload':{}}"},
    {'t', 1, 5, 0, "{'id':'1','type':'complete'}"},
    {'t', 2, 3, 0, SUB("1")},
    {'g', 2, 0, 0, NULL},
    {'t', 5, 1, 0, "{'type':'connection_init'}"},
    {'t', 3, 3, 0, "{'type':'next'}"},
    {'t', 4, 4, 0, "{'id':'z','type':'complete'}"},
};
#define NSTEPS (sizeof script / sizeof script[0])

/* A replayed frame is one its tab keeps. */
static void hold_replay(const step *s)
{
    if (s->kind == 'r' && kept_at(s->tab, s->seq) < 0 && fk.nkept < MAX_KEPT) {
        fk.kept[fk.nkept].tab = s->tab;
        fk.kept[fk.nkept].seq = s->seq;
        fk.kept[fk.nkept++].mark = s->mark;
    }
}

/* Runs step k; frames reuse *handle when it is not 0 (a retry). */
static int run_step(const step *s, uint32_t *handle)
{
    const char *text = s->text != NULL ? J(s->text) : NULL;

    /* A core passes nothing on from a tab it let go. */
    if ((s->kind == 't' || s->kind == 'r') && is_dead(s->tab))
        return PROF_TAKEN;
    switch (s->kind) {
    case 'r':
        hold_replay(s);
        /* fall through */
    case 't':
        if (*handle == 0)
            *handle = new_handle(text, strlen(text));
        return frame_h(*handle, s->tab, s->seq, s->kind == 'r', s->mark);
    case 's':
        if (*handle == 0)
            *handle = new_handle(text, strlen(text));
        return server_h(*handle);
    case 'o':
        opened();
        return PROF_TAKEN;
    case 'c':
        closed();
        return PROF_TAKEN;
    default:
        gone(s->tab);
        return PROF_TAKEN;
    }
}

/* Everything the fake core was told, as one text. */
static char *transcript(void)
{
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    uint32_t i;

    if (out == NULL)
        abort();
    out[0] = '\0';
    for (i = 0; i < fk.ncalls; i++) {
        const call *c = &fk.calls[i];
        int w = snprintf(out + len, cap - len, "%s %u %u %u %s\n", c->what, c->tab, c->a, c->b,
                         c->text ? c->text : "");

        if (w < 0 || (size_t)w >= cap - len)
            abort();
        len += (size_t)w;
    }
    return out;
}

static void kept_snapshot(uint32_t *out, uint32_t *n)
{
    uint32_t i;

    *n = fk.nkept;
    for (i = 0; i < fk.nkept; i++) {
        out[3 * i] = fk.kept[i].tab;
        out[3 * i + 1] = fk.kept[i].seq;
        out[3 * i + 2] = fk.kept[i].mark;
    }
}

/* Whether the kept sets a and b hold the same frames with the same marks. */
static int same_kept(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb)
{
    uint32_t i, j;

    if (na != nb)
        return 0;
    for (i = 0; i < na; i++) {
        for (j = 0; j < nb; j++)
            if (a[3 * i] == b[3 * j] && a[3 * i + 1] == b[3 * j + 1] && a[3 * i + 2] == b[3 * j + 2])
                break;
        if (j == nb)
            return 0;
    }
    return 1;
}

/* Runs the script with failure number n of step k: an allocation (io 0) or a
 * fallible io call (io 1). Returns whether a failure happened in step k. A
 * step answering WSS_ENOMEM must have changed nothing and succeed when run
 * again; the run must then tell the fake core what the reference run told
 * it, unless a void event or a taken frame swallowed the failure (allowed to
 * degrade), and leave nothing allocated. */
static int failing_run(size_t k, long n, int io, const char *reference)
{
    uint32_t before[3 * MAX_KEPT], after[3 * MAX_KEPT], nb, na, mark;
    long fails0;
    size_t i;
    int hit = 0, degraded = 0;

    start(0);
    if (gp == NULL) {
        check_fail(__FILE__, __LINE__, "no profile");
        return 0;
    }
    for (i = 0; i < NSTEPS; i++) {
        uint32_t handle = 0;
        int rc;

        if (i != k) {
            run_step(&script[i], &handle);
            continue;
        }
        hold_replay(&script[i]);
        kept_snapshot(before, &nb);
        mark = fk.ncalls;
        fails0 = fa_failures();
        if (io)
            fk.io_fail_at = fk.io_calls + n;
        else
            fa_arm(n, 0);
        rc = run_step(&script[i], &handle);
        hit = io ? fk.io_calls >= fk.io_fail_at : fa_failures() > fails0;
        fk.io_fail_at = 0;
        fa_arm(0, 0);
        if (rc == WSS_ENOMEM) {
            uint32_t j;

            kept_snapshot(after, &na);
            if (!same_kept(before, nb, after, na))
                check_fail(__FILE__, __LINE__, "step %zu, %s failure %ld: the kept frames changed",
                           k, io ? "io" : "allocation", n);
            for (j = mark; j < fk.ncalls; j++)
                if (strcmp(fk.calls[j].what, "keep") != 0 && strcmp(fk.calls[j].what, "forget") != 0)
                    check_fail(__FILE__, __LINE__, "step %zu, failure %ld: %s before ENOMEM", k, n,
                               fk.calls[j].what);
            truncate_log(mark);
            rc = run_step(&script[i], &handle);
            CHECK(rc != WSS_ENOMEM);
        } else if (hit) {
            degraded = 1;
        }
    }
    if (!degraded && !test_failed()) {
        char *t = transcript();

        if (strcmp(t, reference) != 0)
            check_fail(__FILE__, __LINE__, "step %zu, %s failure %ld: another transcript", k,
                       io ? "io" : "allocation", n);
        free(t);
    }
    finish();
    return hit;
}

static void graphql_should_change_nothing_or_degrade_safely_at_every_failure_of_every_step(void)
{
    char *reference;
    size_t k;
    long n, runs = 0;
    int io;

    start(0);
    for (k = 0; k < NSTEPS; k++) {
        uint32_t h = 0;
        int rc = run_step(&script[k], &h);

        CHECK(rc == PROF_TAKEN);
    }
    reference = transcript();
    /* The script went where it was meant to. */
    CHECK(strstr(reference, "close 5 4403") != NULL);
    CHECK(strstr(reference, "close 3 4400") != NULL);
    CHECK(strstr(reference, "close 2 4409") != NULL);
    CHECK(strstr(reference, "deliver_text 4 0 0 {\"id\":\"z\",\"type\":\"next\"") != NULL);
    CHECK(strstr(reference, "deliver_text 3 0 0 {\"id\":\"m\",\"type\":\"error\"") != NULL);
    CHECK(strstr(reference, "deliver_text 4 0 0 {\"id\":\"y\",\"type\":\"error\"") != NULL);
    finish();
    for (io = 0; io <= 1; io++)
        for (k = 0; k < NSTEPS; k++)
            for (n = 1; n < 100 && failing_run(k, n, io, reference); n++)
                runs++;
    CHECK(runs > 40);
    free(reference);
}

static void graphql_should_send_a_held_operation_the_ack_had_no_memory_for_at_the_next_event(void)
{
    start(1);
    CHECK_EQ(tab(1, 1, INIT), PROF_TAKEN);
    CHECK_EQ(tab(1, 2, SUB("a")), PROF_TAKEN);
    clear();
    fa_arm(2, 0); /* the ack's copy, then the subscribe's rewrite */
    CHECK_EQ(server(ACK), PROF_TAKEN);
    fa_arm(0, 0);
    CHECK_STR(did(), "release deliver_text:1 keep:1/1/1");
    clear();
    CHECK_EQ(server("{'type':'pong'}"), PROF_TAKEN);
    CHECK_STR(did(), "release send_text");
    CHECK_STR(sent(0), J("{'id':'1','type':'subscribe','payload':{'query':'subscription { tick }'}}"));
    finish();
}

static void graphql_should_tell_a_tab_its_ack_before_anything_of_its_operations(void)
{
    start(1);
    CHECK_EQ(tab(1, 1, INIT), PROF_TAKEN);
    clear();
    fk.io_fail_at = fk.io_calls + 1; /* the ack's delivery */
    CHECK_EQ(server(ACK), PROF_TAKEN);
    CHECK_STR(did(), "release");
    /* Its subscribe waits until the ack got through, first. */
    CHECK_EQ(tab(1, 2, SUB("a")), PROF_TAKEN);
    CHECK_STR(did(), "release keep:1/2/0 release deliver_text:1 keep:1/1/1 send_text");
    finish();
}

static void graphql_should_deliver_an_error_it_had_no_memory_for_at_the_next_event(void)
{
    joined(1);
    CHECK_EQ(tab(1, 2, QUERY("q")), PROF_TAKEN);
    clear();
    fa_arm(1, 0);
    closed();
    fa_arm(0, 0);
    CHECK_STR(did(), "");
    CHECK_EQ(tab(1, 3, "{'type':'pong'}"), PROF_TAKEN);
    CHECK_STR(did(), "release deliver_text:1 forget:1/2");
    finish();
}

static void graphql_should_never_leak_or_lose_a_handle_under_random_failures(void)
{
    uint32_t seed;

    for (seed = 1; seed <= 200; seed++) {
        size_t k;

        fake_reset();
        fa_install_random(seed, 4);
        gp = graphql_ws_create();
        if (gp == NULL) {
            CHECK_EQ(fa_live(), 0);
            continue;
        }
        for (k = 0; k < NSTEPS; k++) {
            uint32_t h = 0;

            fk.io_fail_at = (seed + k) % 5 == 0 ? fk.io_calls + 1 : 0;
            (void)run_step(&script[k], &h);
        }
        gp->ops->destroy(gp);
        gp = NULL;
        CHECK_EQ(fa_live(), 0);
        CHECK_EQ(fk.violations, 0);
    }
    fa_uninstall();
    fake_reset();
}

/* ---- subscriptions-transport-ws (subprotocol graphql-ws) ------------------ */

#define LSTART(id) "{'id':'" id "','type':'start','payload':{'query':'subscription { tick }'}}"
#define LQUERY(id) "{'id':'" id "','type':'start','payload':{'query':'mutation { pay }'}}"
#define LACK "{'type':'connection_ack'}"

/* Tabs 1..n joined and acked in the legacy protocol, the log cleared. */
static void joined_legacy(uint32_t n)
{
    uint32_t t;

    start_legacy(1);
    for (t = 1; t <= n; t++)
        CHECK_EQ(tab(t, 1, INIT), PROF_TAKEN);
    CHECK_EQ(server(LACK), PROF_TAKEN);
    clear();
}

static void legacy_should_share_one_init_and_ack_a_later_tab_from_the_cache(void)
{
    start_legacy(1);
    CHECK_EQ(tab(1, 1, INIT), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/1/0 send");
    CHECK_EQ(server(LACK), PROF_TAKEN);
    CHECK_STR(got(1, 0), J(LACK));
    clear();
    CHECK_EQ(tab(2, 1, INIT), PROF_TAKEN);
    CHECK_STR(did(), "keep:2/1/0 deliver_text:2 keep:2/1/1 release");
    CHECK_STR(got(2, 0), J(LACK));
    CHECK_STR(gp->ops->name, "subscriptions-transport-ws");
    finish();
}

static void legacy_should_start_under_wire_ids_and_route_data_error_and_complete_back(void)
{
    joined_legacy(2);
    CHECK_EQ(tab(1, 2, LSTART("1")), PROF_TAKEN);
    CHECK_EQ(tab(2, 2, LSTART("1")), PROF_TAKEN);
    CHECK_STR(sent(0), J("{'id':'1','type':'start','payload':{'query':'subscription { tick }'}}"));
    CHECK_STR(sent(1), J("{'id':'2','type':'start','payload':{'query':'subscription { tick }'}}"));
    clear();
    CHECK_EQ(server("{'id':'2','type':'data','payload':{'data':{'tick':1}}}"), PROF_TAKEN);
    CHECK_EQ(server("{'id':'2','type':'data','payload':{'data':{'tick':2}}}"), PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:2 release deliver_text:2 release");
    CHECK_STR(got(2, 1), J("{'id':'1','type':'data','payload':{'data':{'tick':2}}}"));
    clear();
    /* error and complete end the operation; what follows is dropped. */
    CHECK_EQ(server("{'id':'2','type':'error','payload':{'message':'no'}}"), PROF_TAKEN);
    CHECK_EQ(server("{'id':'1','type':'complete'}"), PROF_TAKEN);
    CHECK_EQ(server("{'id':'1','type':'data','payload':{}}"), PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:2 forget:2/2 release deliver_text:1 forget:1/2 release release");
    finish();
}

static void legacy_should_refuse_other_credentials_with_connection_error_then_1011(void)
{
    joined_legacy(1);
    CHECK_EQ(tab(2, 1, "{'type':'connection_init','payload':{'token':'b'}}"), PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:2 close:2/1011 release");
    CHECK(strstr(got(2, 0), "\"type\":\"connection_error\"") != NULL);
    CHECK(strstr(got(2, 0), "sharing key") != NULL);
    CHECK(strstr(nth("close", 0)->text, "connection_init") != NULL);
    finish();
}

static void legacy_should_ack_a_tabs_second_init_again_as_its_server_does(void)
{
    joined_legacy(1);
    CHECK_EQ(tab(1, 2, INIT), PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:1 release");
    CHECK_STR(got(1, 0), J(LACK));
    clear();
    /* With other credentials it is refused all the same. */
    CHECK_EQ(tab(1, 3, "{'type':'connection_init','payload':{'token':'b'}}"), PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:1 close:1/1011 release");
    finish();
    /* While the connection is down there is no ack to give. */
    joined_legacy(1);
    closed();
    CHECK_EQ(tab(1, 2, INIT), PROF_TAKEN);
    CHECK_STR(did(), "release");
    finish();
}

static void legacy_should_end_the_live_operation_when_a_start_reuses_its_id(void)
{
    joined_legacy(1);
    CHECK_EQ(tab(1, 2, LSTART("1")), PROF_TAKEN);
    clear();
    CHECK_EQ(tab(1, 3, LSTART("1")), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/3/0 forget:1/2 send_text send_text release");
    CHECK_STR(sent(0), J("{'id':'1','type':'stop'}"));
    CHECK_STR(sent(1), J("{'id':'2','type':'start','payload':{'query':'subscription { tick }'}}"));
    clear();
    CHECK_EQ(server("{'id':'1','type':'data','payload':{}}"), PROF_TAKEN);
    CHECK_EQ(server("{'id':'2','type':'data','payload':{}}"), PROF_TAKEN);
    CHECK_STR(did(), "release deliver_text:1 release");
    finish();
}

static void legacy_should_stop_on_the_server_what_a_tab_stops_and_ignore_other_stops(void)
{
    joined_legacy(2);
    CHECK_EQ(tab(1, 2, LSTART("1")), PROF_TAKEN);
    CHECK_EQ(tab(2, 2, LSTART("1")), PROF_TAKEN);
    clear();
    CHECK_EQ(tab(2, 3, "{'id':'1','type':'stop'}"), PROF_TAKEN);
    CHECK_STR(did(), "forget:2/2 send_text release");
    CHECK_STR(sent(0), J("{'id':'2','type':'stop'}"));
    clear();
    /* Its server ignores a stop for nothing it runs, with an id or without. */
    CHECK_EQ(tab(2, 4, "{'id':'1','type':'stop'}"), PROF_TAKEN);
    CHECK_EQ(tab(2, 5, "{'id':7,'type':'stop'}"), PROF_TAKEN);
    CHECK_EQ(tab(2, 6, "{'type':'stop'}"), PROF_TAKEN);
    CHECK_STR(did(), "release release release");
    finish();
}

static void legacy_should_end_only_the_terminating_tabs_operations_and_keep_the_socket(void)
{
    joined_legacy(2);
    CHECK_EQ(tab(1, 2, LSTART("1")), PROF_TAKEN);
    CHECK_EQ(tab(2, 2, LSTART("1")), PROF_TAKEN);
    clear();
    CHECK_EQ(tab(1, 3, "{'type':'connection_terminate'}"), PROF_TAKEN);
    CHECK_STR(did(), "send_text release");
    CHECK_STR(sent(0), J("{'id':'1','type':'stop'}"));
    clear();
    CHECK_EQ(server("{'id':'2','type':'data','payload':{}}"), PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:2 release");
    finish();
}

static void legacy_should_answer_what_its_server_would_answer_without_closing(void)
{
    static const char *const bad[] = {
        "{'id':'9','type':'bogus'}", "{'id':'9','type':'ping'}", "{'id':'9','type':'start'}",
        "{'id':'9','type':'start','payload':{'query':1}}", "{'type':'start','payload':{'query':'{ a }'}}",
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        joined_legacy(1);
        CHECK_EQ(tab(1, 2, bad[i]), PROF_TAKEN);
        CHECK_STR(did(), "deliver_text:1 release");
        CHECK(strstr(got(1, 0), "\"type\":\"error\"") != NULL);
        CHECK(strstr(got(1, 0), "Invalid message type!") != NULL);
        CHECK_EQ(strstr(got(1, 0), "\"id\":\"9\"") != NULL, strstr(bad[i], "'9'") != NULL);
        finish();
    }
    joined_legacy(1);
    CHECK_EQ(tab(1, 2, "not json"), PROF_TAKEN);
    next_binary = 1;
    CHECK_EQ(tab(1, 3, "{}"), PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:1 release deliver_text:1 release");
    CHECK(strstr(got(1, 0), "\"type\":\"connection_error\"") != NULL);
    CHECK(strstr(got(1, 1), "\"type\":\"connection_error\"") != NULL);
    /* The tab's ack stays: it was not closed. */
    CHECK_EQ(tab(1, 4, LSTART("1")), PROF_TAKEN);
    CHECK_EQ(count_of("send_text"), 1);
    finish();
}

static void legacy_should_pass_keep_alives_to_every_tab(void)
{
    joined_legacy(2);
    CHECK_EQ(server("{'type':'ka'}"), PROF_PASS);
    CHECK_STR(did(), "");
    finish();
}

static void legacy_should_close_the_tabs_whose_init_the_server_refused(void)
{
    start_legacy(1);
    CHECK_EQ(tab(1, 1, INIT), PROF_TAKEN);
    CHECK_EQ(tab(2, 1, INIT), PROF_TAKEN);
    CHECK_EQ(tab(1, 2, LSTART("1")), PROF_TAKEN);
    clear();
    CHECK_EQ(server("{'type':'connection_error','payload':{'message':'Prohibited connection!'}}"),
             PROF_TAKEN);
    CHECK_STR(did(), "deliver_text:2 close:2/1011 deliver_text:1 close:1/1011 release");
    CHECK(strstr(got(1, 0), "Prohibited connection!") != NULL);
    clear();
    /* The server closes; the next tab opens the next connection with its own. */
    closed();
    opened();
    CHECK_STR(did(), "");
    CHECK_EQ(tab(3, 1, "{'type':'connection_init','payload':{'token':'c'}}"), PROF_TAKEN);
    CHECK_STR(did(), "keep:3/1/0 send");
    /* One that comes later, unasked for, is any client's. */
    clear();
    CHECK_EQ(server(LACK), PROF_TAKEN);
    CHECK_EQ(server("{'type':'connection_error','payload':{}}"), PROF_PASS);
    finish();
}

static void legacy_should_fail_single_results_and_start_subscriptions_again_after_a_lost_connection(void)
{
    joined_legacy(2);
    CHECK_EQ(tab(1, 2, LSTART("1")), PROF_TAKEN);
    CHECK_EQ(tab(2, 2, LQUERY("1")), PROF_TAKEN);
    clear();
    closed();
    CHECK_STR(did(), "deliver_text:2 forget:2/2");
    CHECK(strstr(got(2, 0), "\"id\":\"1\",\"type\":\"error\",\"payload\":[{\"message\":") != NULL);
    clear();
    opened();
    CHECK_STR(sent(0), J(INIT));
    clear();
    CHECK_EQ(server(LACK), PROF_TAKEN);
    CHECK_STR(did(), "release send_text");
    CHECK_STR(sent(0), J("{'id':'3','type':'start','payload':{'query':'subscription { tick }'}}"));
    finish();
}

static void legacy_should_take_any_init_payload_its_server_takes(void)
{
    start_legacy(1);
    CHECK_EQ(tab(1, 1, "{'type':'connection_init','payload':'a string'}"), PROF_TAKEN);
    CHECK_EQ(tab(2, 1, "{'type':'connection_init','payload':'a string'}"), PROF_TAKEN);
    CHECK_EQ(tab(3, 1, "{'type':'connection_init','payload':[1]}"), PROF_TAKEN);
    CHECK_STR(did(), "keep:1/1/0 send keep:2/1/0 release deliver_text:3 close:3/1011 release");
    finish();
}

const test_case graphql_tests[] = {
    TEST_CASE(graphql_should_send_the_first_init_to_an_open_socket_as_it_came),
    TEST_CASE(graphql_should_hold_the_first_init_until_the_socket_opens),
    TEST_CASE(graphql_should_give_the_ack_to_every_waiting_tab_and_mark_its_kept_init),
    TEST_CASE(graphql_should_answer_a_later_init_from_the_cached_ack_at_once),
    TEST_CASE(graphql_should_let_inits_without_a_payload_share_the_socket),
    TEST_CASE(graphql_should_close_a_tab_whose_init_has_other_credentials_with_4403),
    TEST_CASE(graphql_should_close_a_tab_that_inits_twice_with_4429),
    TEST_CASE(graphql_should_close_a_tab_with_4400_for_a_frame_a_server_would_refuse),
    TEST_CASE(graphql_should_accept_every_form_a_server_accepts),
    TEST_CASE(graphql_should_pass_binary_frames),
    TEST_CASE(graphql_should_answer_a_tabs_ping_itself_and_drop_its_pong),
    TEST_CASE(graphql_should_close_a_tab_that_subscribes_before_its_init_with_4401),
    TEST_CASE(graphql_should_close_a_tab_that_reuses_a_live_id_with_4409),
    TEST_CASE(graphql_should_accept_an_id_again_once_its_operation_ended),
    TEST_CASE(graphql_should_send_a_subscribe_with_only_its_id_replaced),
    TEST_CASE(graphql_should_give_two_tabs_with_one_id_their_own_wire_ids_and_answers),
    TEST_CASE(graphql_should_hold_operations_until_the_ack_and_send_them_in_order),
    TEST_CASE(graphql_should_end_an_operation_at_error_or_complete_but_not_at_next),
    TEST_CASE(graphql_should_drop_answers_for_ids_it_does_not_run),
    TEST_CASE(graphql_should_pass_server_frames_it_does_not_know),
    TEST_CASE(graphql_should_answer_the_servers_ping_once_and_drop_its_pong),
    TEST_CASE(graphql_should_drop_an_ack_it_did_not_ask_for),
    TEST_CASE(graphql_should_complete_on_the_server_what_a_tab_completes),
    TEST_CASE(graphql_should_send_nothing_for_completing_an_operation_still_held),
    TEST_CASE(graphql_should_fail_single_results_and_resubscribe_subscriptions_after_a_lost_connection),
    TEST_CASE(graphql_should_make_a_tab_joining_while_the_socket_is_down_wait_for_the_next_ack),
    TEST_CASE(graphql_should_count_an_open_without_a_close_as_a_lost_connection),
    TEST_CASE(graphql_should_never_use_a_wire_id_twice),
    TEST_CASE(graphql_should_end_a_gone_tabs_operations_and_tell_it_nothing),
    TEST_CASE(graphql_should_send_nothing_for_a_tab_gone_while_the_socket_is_down),
    TEST_CASE(graphql_should_not_ack_again_a_replayed_init_marked_acked),
    TEST_CASE(graphql_should_ack_a_replayed_init_without_mark),
    TEST_CASE(graphql_should_subscribe_a_replayed_subscription_again),
    TEST_CASE(graphql_should_answer_a_replayed_single_result_with_an_error_and_never_send_it),
    TEST_CASE(graphql_should_rebuild_a_new_leaders_state_from_replays),
    TEST_CASE(graphql_should_tell_subscriptions_from_single_results_by_their_document),
    TEST_CASE(graphql_should_fail_create_cleanly_without_memory),
    TEST_CASE(graphql_should_change_nothing_or_degrade_safely_at_every_failure_of_every_step),
    TEST_CASE(graphql_should_send_a_held_operation_the_ack_had_no_memory_for_at_the_next_event),
    TEST_CASE(graphql_should_tell_a_tab_its_ack_before_anything_of_its_operations),
    TEST_CASE(graphql_should_deliver_an_error_it_had_no_memory_for_at_the_next_event),
    TEST_CASE(graphql_should_never_leak_or_lose_a_handle_under_random_failures),
    TEST_CASE(legacy_should_share_one_init_and_ack_a_later_tab_from_the_cache),
    TEST_CASE(legacy_should_start_under_wire_ids_and_route_data_error_and_complete_back),
    TEST_CASE(legacy_should_refuse_other_credentials_with_connection_error_then_1011),
    TEST_CASE(legacy_should_ack_a_tabs_second_init_again_as_its_server_does),
    TEST_CASE(legacy_should_end_the_live_operation_when_a_start_reuses_its_id),
    TEST_CASE(legacy_should_stop_on_the_server_what_a_tab_stops_and_ignore_other_stops),
    TEST_CASE(legacy_should_end_only_the_terminating_tabs_operations_and_keep_the_socket),
    TEST_CASE(legacy_should_answer_what_its_server_would_answer_without_closing),
    TEST_CASE(legacy_should_pass_keep_alives_to_every_tab),
    TEST_CASE(legacy_should_close_the_tabs_whose_init_the_server_refused),
    TEST_CASE(legacy_should_fail_single_results_and_start_subscriptions_again_after_a_lost_connection),
    TEST_CASE(legacy_should_take_any_init_payload_its_server_takes),
    TEST_END,
};
