/*
 * The JSON-RPC 2.0 profile alone, through a fake core: every io call is
 * written down with its text, and the books are kept on every handle (one
 * given with a frame comes back exactly once when the profile takes the
 * frame, never when it passes it or runs out of memory).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "profile.h"

#define MAXH 4096
#define LOST_ERROR "\"error\":{\"code\":-32000,\"message\":\"wsshare: the server connection was lost; the request was not sent again\"}"

enum { H_FREE = 0, H_PROFILE, H_DONE, H_CORE };

/* The fake core: the profile, its io, the books and what the calls did. */
typedef struct rpc {
    profile *p;
    prof_io io;
    int open;
    uint32_t next;   /* the next handle */
    uint32_t cur;    /* the handle of the event under way */
    unsigned char own[MAXH];
    char *htext[MAXH]; /* each handle's text */
    int broken;      /* handles that came back wrongly */
    char *log;       /* the last event's calls, one a line */
    size_t loglen;
    char *all;       /* every event's calls that were not refused */
    size_t alllen;
    long io_fail;    /* the nth fallible io call from now fails (0: none) */
    int retry;       /* a refused frame comes again, as a tab would send it again */
    int strict;      /* nothing waits in the profile: a refused frame does nothing */
    uint32_t gone;   /* tabs gone (a bit each): nothing may go to them */
    uint32_t sends;  /* texts sent: about as many wire ids as given */
} rpc;

static void append(char **s, size_t *len, const char *text, size_t n)
{
    char *t = realloc(*s, *len + n + 1);

    if (t == NULL)
        abort();
    memcpy(t + *len, text, n);
    *len += n;
    t[*len] = '\0';
    *s = t;
}

static void note_call(rpc *r, const char *fmt, const char *text, size_t n, ...)
{
    char head[128];
    va_list ap;

    va_start(ap, n);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    if (r->loglen > 0)
        append(&r->log, &r->loglen, "\n", 1);
    append(&r->log, &r->loglen, head, strlen(head));
    if (text != NULL)
        append(&r->log, &r->loglen, text, n);
}

/* Whether this fallible call is the one to fail. */
static int io_fails(rpc *r)
{
    return r->io_fail > 0 && --r->io_fail == 0;
}

/* A handle coming back: only one the profile holds, once. */
static void back(rpc *r, uint32_t h)
{
    if (h >= MAXH || r->own[h] != H_PROFILE)
        r->broken++;
    else
        r->own[h] = H_DONE;
}

/* A call about a tab: one that is there. */
static void about(rpc *r, uint32_t tab)
{
    if (tab == 0 || (tab < 32 && (r->gone & (1u << tab))))
        r->broken++;
}

static int f_open(void *ctx)
{
    return ((rpc *)ctx)->open;
}

static int f_send(void *ctx, uint32_t h, uint32_t len)
{
    rpc *r = ctx;

    if (!r->open)
        return WSS_EREJECT;
    if (io_fails(r))
        return WSS_ENOMEM;
    back(r, h);
    note_call(r, "send= ", h < MAXH ? r->htext[h] : "", h < MAXH && r->htext[h] ? len : 0);
    return WSS_OK;
}

static int f_send_text(void *ctx, const char *text, size_t len)
{
    rpc *r = ctx;

    if (!r->open)
        return WSS_EREJECT;
    if (io_fails(r))
        return WSS_ENOMEM;
    r->sends++;
    note_call(r, "send ", text, len);
    return WSS_OK;
}

static void f_release(void *ctx, uint32_t h)
{
    rpc *r = ctx;

    back(r, h);
    if (h == r->cur)
        note_call(r, "release", NULL, 0);
    else
        note_call(r, "release #%u", NULL, 0, h);
}

static int f_deliver(void *ctx, uint32_t tab, uint32_t h, uint32_t len)
{
    rpc *r = ctx;

    about(r, tab);
    if (io_fails(r))
        return WSS_ENOMEM;
    back(r, h);
    note_call(r, "deliver= %u ", h < MAXH ? r->htext[h] : "", h < MAXH && r->htext[h] ? len : 0,
              tab);
    return WSS_OK;
}

static int f_deliver_text(void *ctx, uint32_t tab, const char *text, size_t len)
{
    rpc *r = ctx;

    about(r, tab);
    if (io_fails(r))
        return WSS_ENOMEM;
    note_call(r, "deliver %u ", text, len, tab);
    return WSS_OK;
}

static int f_keep(void *ctx, uint32_t tab, uint32_t seq, uint32_t mark)
{
    rpc *r = ctx;

    about(r, tab);
    if (io_fails(r))
        return WSS_ENOMEM;
    note_call(r, "keep %u %u %u", NULL, 0, tab, seq, mark);
    return WSS_OK;
}

static int f_forget(void *ctx, uint32_t tab, uint32_t seq)
{
    rpc *r = ctx;

    about(r, tab);
    if (io_fails(r))
        return WSS_ENOMEM;
    note_call(r, "forget %u %u", NULL, 0, tab, seq);
    return WSS_OK;
}

static void f_error(void *ctx, uint32_t tab, uint32_t seq, const char *code, const char *message)
{
    (void)message;
    about(ctx, tab);
    note_call(ctx, "error %u %u %s", NULL, 0, tab, seq, code);
}

static void f_close_tab(void *ctx, uint32_t tab, uint32_t code, const char *reason)
{
    (void)reason;
    note_call(ctx, "close_tab %u %u", NULL, 0, tab, code);
}

static void rpc_init(rpc *r, int open)
{
    memset(r, 0, sizeof(*r));
    r->io.ctx = r;
    r->io.open = f_open;
    r->io.send = f_send;
    r->io.send_text = f_send_text;
    r->io.release = f_release;
    r->io.deliver = f_deliver;
    r->io.deliver_text = f_deliver_text;
    r->io.keep = f_keep;
    r->io.forget = f_forget;
    r->io.error = f_error;
    r->io.close_tab = f_close_tab;
    r->open = open;
    r->next = 1;
    r->p = jsonrpc_create();
}

/* Destroys the profile; every frame it took must have come back. */
static void rpc_done(rpc *r)
{
    uint32_t h;

    if (r->p != NULL)
        r->p->ops->destroy(r->p);
    for (h = 0; h < MAXH; h++) {
        if (r->own[h] == H_PROFILE)
            r->broken++;
        free(r->htext[h]);
    }
    CHECK_EQ(r->broken, 0);
    free(r->log);
    free(r->all);
}

static void begin(rpc *r)
{
    r->loglen = 0;
    if (r->log != NULL)
        r->log[0] = '\0';
    else
        append(&r->log, &r->loglen, "", 0);
}

/* Keeps what an event did, unless it was refused. */
static void end(rpc *r, int rc)
{
    if (rc == WSS_ENOMEM)
        return;
    if (r->loglen > 0) {
        if (r->alllen > 0)
            append(&r->all, &r->alllen, "\n", 1);
        append(&r->all, &r->alllen, r->log, r->loglen);
    }
}

static uint32_t new_handle(rpc *r, const char *text, size_t len)
{
    uint32_t h = r->next++;

    if (h >= MAXH)
        abort();
    r->htext[h] = malloc(len + 1);
    if (r->htext[h] == NULL)
        abort();
    memcpy(r->htext[h], text, len);
    r->htext[h][len] = '\0';
    r->own[h] = H_PROFILE;
    r->cur = h;
    return h;
}

/* After a frame: a taken handle came back; a passed or refused one did not. */
static int settle(rpc *r, uint32_t h, int rc)
{
    if (rc == PROF_TAKEN) {
        if (r->own[h] != H_DONE)
            r->broken++;
    } else {
        if (r->own[h] != H_PROFILE || (rc != PROF_PASS && rc != WSS_ENOMEM))
            r->broken++;
        /* Refused, yet it did something. */
        if (rc == WSS_ENOMEM && r->strict && r->loglen != 0)
            r->broken++;
        r->own[h] = H_CORE;
    }
    end(r, rc);
    return rc;
}

static int frame(rpc *r, uint32_t tab, uint32_t seq, int replay, uint32_t mark, const char *text)
{
    prof_frame f;
    int rc;

    if (tab < 32)
        r->gone &= ~(1u << tab); /* another tab under the same number */
    do {
        begin(r);
        f.tab = tab;
        f.binary = 0;
        f.seq = seq;
        f.len = (uint32_t)strlen(text);
        f.handle = new_handle(r, text, f.len);
        f.text = text;
        f.replay = replay;
        f.mark = mark;
        rc = settle(r, f.handle, r->p->ops->tab_frame(r->p, &r->io, &f));
    } while (rc == WSS_ENOMEM && r->retry);
    return rc;
}

static int tab(rpc *r, uint32_t t, uint32_t seq, const char *text)
{
    return frame(r, t, seq, 0, 0, text);
}

static int replay(rpc *r, uint32_t t, uint32_t seq, uint32_t mark, const char *text)
{
    return frame(r, t, seq, 1, mark, text);
}

static int server(rpc *r, const char *text)
{
    uint32_t len = (uint32_t)strlen(text), h;
    int rc;

    do {
        begin(r);
        h = new_handle(r, text, len);
        rc = settle(r, h, r->p->ops->server_frame(r->p, &r->io, h, text, len));
    } while (rc == WSS_ENOMEM && r->retry);
    return rc;
}

static void opened(rpc *r)
{
    begin(r);
    r->open = 1;
    r->cur = 0;
    r->p->ops->opened(r->p, &r->io);
    end(r, WSS_OK);
}

static void closed(rpc *r)
{
    begin(r);
    r->open = 0;
    r->cur = 0;
    r->p->ops->closed(r->p, &r->io);
    end(r, WSS_OK);
}

static void gone(rpc *r, uint32_t t)
{
    begin(r);
    r->cur = 0;
    r->p->ops->tab_gone(r->p, &r->io, t);
    if (t < 32)
        r->gone |= 1u << t;
    end(r, WSS_OK);
}

#define RPC(id, m) "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"" m "\",\"params\":[]}"
#define SUB(id) "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"eth_subscribe\",\"params\":[\"newHeads\"]}"
#define UNSUB(id, v) "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"eth_unsubscribe\",\"params\":[" v "]}"
#define RES(id, v) "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"result\":" v "}"
#define NOTE(s, v) "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscription\",\"params\":{\"subscription\":" s ",\"result\":" v "}}"
#define V1 "\"0x0000000000000001\""
#define V2 "\"0x0000000000000002\""

/* ---- what is not the profile's ---------------------------------------------- */

static void jsonrpc_should_pass_every_frame_that_is_not_a_json_rpc_2_0_message(void)
{
    static const char *const others[] = {
        "hello",
        "{\"type\":\"connection_init\"}",
        "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"m\"}",
        "{\"jsonrpc\":2.0,\"id\":1,\"method\":\"m\"}",
        "[]",
        "[" RPC("1", "a") ",{\"id\":2,\"method\":\"b\"}]",
        "[1,2]",
        "\"text\"",
        "42",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"",
        /* A client's answer to a request of the server's is the core's. */
        RES("5", "true"),
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":1,\"message\":\"no\"}}",
        "[" RES("5", "1") "," RES("6", "2") "]",
    };
    rpc r;
    prof_frame f;
    size_t i;

    rpc_init(&r, 1);
    REQUIRE(r.p != NULL);
    for (i = 0; i < sizeof others / sizeof others[0]; i++) {
        CHECK_EQ(tab(&r, 1, (uint32_t)i + 1, others[i]), PROF_PASS);
        CHECK_STR(r.log, "");
    }
    /* A binary frame, or one whose bytes the host did not pass. */
    memset(&f, 0, sizeof f);
    f.tab = 1;
    f.binary = 0;
    f.seq = 99;
    f.handle = new_handle(&r, "", 0);
    begin(&r);
    CHECK_EQ(settle(&r, f.handle, r.p->ops->tab_frame(r.p, &r.io, &f)), PROF_PASS);
    CHECK_EQ(r.p->ops->server_frame(r.p, &r.io, 1, NULL, 4), PROF_PASS);
    rpc_done(&r);
}

static void jsonrpc_should_not_read_a_server_frame_while_it_has_nothing_on_the_wire(void)
{
    rpc r;
    /* One byte where the profile is told of 4096: reading any more of it is
     * an error under the sanitizers. */
    char *one = malloc(1);

    REQUIRE(one != NULL);
    one[0] = '{';
    rpc_init(&r, 1);
    CHECK_EQ(r.p->ops->server_frame(r.p, &r.io, 1, one, 4096), PROF_PASS);
    CHECK_EQ(server(&r, RES("1", "true")), PROF_PASS);
    /* Once the request is answered, it has nothing again. */
    CHECK_EQ(tab(&r, 1, 1, RPC("1", "a")), PROF_TAKEN);
    CHECK_EQ(server(&r, RES("1", "true")), PROF_TAKEN);
    CHECK_EQ(r.p->ops->server_frame(r.p, &r.io, 1, one, 4096), PROF_PASS);
    free(one);
    rpc_done(&r);
}

static void jsonrpc_should_refuse_a_message_with_duplicate_keys_with_a_protocol_error(void)
{
    rpc r;

    rpc_init(&r, 1);
    CHECK_EQ(tab(&r, 1, 1, "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"m\"}"), PROF_TAKEN);
    CHECK_STR(r.log, "error 1 1 protocol\nrelease");
    CHECK_EQ(tab(&r, 1, 2, "{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"method\":\"b\"}"), PROF_TAKEN);
    CHECK_STR(r.log, "error 1 2 protocol\nrelease");
    CHECK_EQ(tab(&r, 2, 1, "{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}"),
             PROF_TAKEN);
    CHECK_STR(r.log, "error 2 1 protocol\nrelease");
    CHECK_EQ(tab(&r, 2, 2, "[" RPC("1", "a") ",{\"jsonrpc\":\"2.0\",\"id\":2,\"id\":3,\"method\":\"m\"}]"),
             PROF_TAKEN);
    CHECK_STR(r.log, "error 2 2 protocol\nrelease");
    rpc_done(&r);
}

/* ---- requests and their answers --------------------------------------------- */

static void jsonrpc_should_send_a_request_under_a_wire_id_and_give_the_answer_back_under_the_tabs_id(void)
{
    rpc r;

    rpc_init(&r, 1);
    CHECK_EQ(tab(&r, 1, 1, RPC("1", "eth_blockNumber")), PROF_TAKEN);
    CHECK_STR(r.log, "keep 1 1 0\nsend " RPC("1", "eth_blockNumber") "\nrelease");
    CHECK_EQ(tab(&r, 1, 2, RPC("2", "eth_chainId")), PROF_TAKEN);
    CHECK_STR(r.log, "keep 1 2 0\nsend " RPC("2", "eth_chainId") "\nrelease");
    CHECK_EQ(server(&r, RES("2", "\"0x1\"")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " RES("2", "\"0x1\"") "\nforget 1 2\nrelease");
    CHECK_EQ(server(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-1,\"message\":\"x\"}}"),
             PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 {\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-1,\"message\":\"x\"}}\nforget 1 1\nrelease");
    /* Answered: a second answer is no tab's. */
    CHECK_EQ(server(&r, RES("1", "1")), PROF_PASS);
    rpc_done(&r);
}

static void jsonrpc_should_map_the_same_ids_of_three_tabs_apart(void)
{
    rpc r;

    rpc_init(&r, 1);
    tab(&r, 1, 1, RPC("1", "a"));
    tab(&r, 2, 1, RPC("1", "b"));
    tab(&r, 3, 1, RPC("1", "c"));
    CHECK_STR(r.log, "keep 3 1 0\nsend " RPC("3", "c") "\nrelease");
    CHECK_EQ(server(&r, RES("2", "\"b\"")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 " RES("1", "\"b\"") "\nforget 2 1\nrelease");
    CHECK_EQ(server(&r, RES("3", "\"c\"")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 3 " RES("1", "\"c\"") "\nforget 3 1\nrelease");
    CHECK_EQ(server(&r, RES("1", "\"a\"")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " RES("1", "\"a\"") "\nforget 1 1\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_change_no_byte_of_a_frame_but_its_id(void)
{
    static const char req[] =
        " { \"params\" : [123456789012345678901234567890.5e-7, \"\\u00e9\\n\", {\"a\":null}],"
        "\"id\" : \"a\\\"b\" , \"method\":\"m\", \"jsonrpc\" : \"2.0\" } ";
    static const char sent[] =
        " { \"params\" : [123456789012345678901234567890.5e-7, \"\\u00e9\\n\", {\"a\":null}],"
        "\"id\" : 1 , \"method\":\"m\", \"jsonrpc\" : \"2.0\" } ";
    static const char ans[] = "{\"result\":{\"big\":1e400,\"n\":-0.0000},\"id\":1,\"jsonrpc\":\"2.0\"}";
    static const char got[] =
        "{\"result\":{\"big\":1e400,\"n\":-0.0000},\"id\":\"a\\\"b\",\"jsonrpc\":\"2.0\"}";
    rpc r;
    char expect[512];

    rpc_init(&r, 1);
    CHECK_EQ(tab(&r, 1, 1, req), PROF_TAKEN);
    snprintf(expect, sizeof expect, "keep 1 1 0\nsend %s\nrelease", sent);
    CHECK_STR(r.log, expect);
    CHECK_EQ(server(&r, ans), PROF_TAKEN);
    snprintf(expect, sizeof expect, "deliver 1 %s\nforget 1 1\nrelease", got);
    CHECK_STR(r.log, expect);
    /* A null id comes back null. */
    tab(&r, 2, 1, RPC("null", "net_version"));
    CHECK_EQ(server(&r, RES("2", "\"1\"")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 " RES("null", "\"1\"") "\nforget 2 1\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_send_a_notification_as_it_came_and_keep_nothing(void)
{
    static const char n[] = "{\"jsonrpc\":\"2.0\",\"method\":\"log\",\"params\":[1]}";
    rpc r;

    rpc_init(&r, 1);
    CHECK_EQ(tab(&r, 1, 1, n), PROF_TAKEN);
    CHECK_STR(r.log, "send= {\"jsonrpc\":\"2.0\",\"method\":\"log\",\"params\":[1]}");
    CHECK_EQ(tab(&r, 1, 2, "[" "{\"jsonrpc\":\"2.0\",\"method\":\"a\"}" "]"), PROF_TAKEN);
    CHECK_STR(r.log, "send= [{\"jsonrpc\":\"2.0\",\"method\":\"a\"}]");
    /* An earlier leader may have sent it: at most once, like a request. */
    CHECK_EQ(replay(&r, 1, 3, 0, n), PROF_TAKEN);
    CHECK_STR(r.log, "release");
    rpc_done(&r);
}

static void jsonrpc_should_hold_what_comes_before_the_socket_opens_and_send_it_in_order(void)
{
    rpc r;

    rpc_init(&r, 0);
    CHECK_EQ(tab(&r, 1, 1, RPC("1", "a")), PROF_TAKEN);
    CHECK_STR(r.log, "keep 1 1 0\nrelease");
    CHECK_EQ(tab(&r, 2, 1, "{\"jsonrpc\":\"2.0\",\"method\":\"n\"}"), PROF_TAKEN);
    CHECK_STR(r.log, "release");
    CHECK_EQ(tab(&r, 2, 2, "[" RPC("7", "b") "," RPC("8", "c") "]"), PROF_TAKEN);
    CHECK_EQ(tab(&r, 1, 2, SUB("2")), PROF_TAKEN);
    opened(&r);
    CHECK_STR(r.log, "send " RPC("1", "a") "\nsend {\"jsonrpc\":\"2.0\",\"method\":\"n\"}\nsend [" RPC(
                         "2", "b") "," RPC("3", "c") "]\nsend " SUB("4"));
    CHECK_EQ(server(&r, "[" RES("3", "3") "," RES("2", "2") "]"), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 [" RES("8", "3") "," RES("7", "2") "]\nforget 2 2\nrelease");
    CHECK_EQ(server(&r, RES("1", "1")), PROF_TAKEN);
    CHECK_EQ(server(&r, RES("4", "\"0xs\"")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " RES("2", V2) "\nkeep 1 2 1\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_send_what_it_could_not_send_on_open_at_the_next_event_ahead_of_it(void)
{
    rpc r;

    rpc_init(&r, 0);
    tab(&r, 1, 1, RPC("1", "a"));
    tab(&r, 1, 2, RPC("2", "b"));
    r.io_fail = 2;
    opened(&r);
    CHECK_STR(r.log, "send " RPC("1", "a"));
    /* The next frame of any tab waits behind it. */
    CHECK_EQ(tab(&r, 2, 1, RPC("1", "c")), PROF_TAKEN);
    CHECK_STR(r.log, "send " RPC("2", "b") "\nkeep 2 1 0\nsend " RPC("3", "c") "\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_pass_server_frames_that_answer_nothing_of_its_own(void)
{
    static const char *const others[] = {
        RES("99", "1"),
        RES("\"1\"", "1"),
        RES("1.0", "1"),
        RES("01", "1"),
        "{\"jsonrpc\":\"2.0\",\"id\":1}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":1,\"result\":1}",
        /* A request of the server's, and notifications of no subscription of ours. */
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"result\":1}",
        NOTE("\"0xnone\"", "1"),
        "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscription\",\"params\":{\"result\":1}}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscription\",\"params\":[\"0xs\"]}",
        "[" RES("99", "1") "," RES("\"1\"", "2") "]",
        "[]",
        "not json",
        "true",
    };
    rpc r;
    size_t i;

    rpc_init(&r, 1);
    tab(&r, 1, 1, RPC("1", "a"));
    for (i = 0; i < sizeof others / sizeof others[0]; i++) {
        CHECK_EQ(server(&r, others[i]), PROF_PASS);
        CHECK_STR(r.log, "");
    }
    rpc_done(&r);
}

/* ---- batches ----------------------------------------------------------------- */

static void jsonrpc_should_send_a_batch_in_one_edit_and_forget_it_when_every_request_is_answered(void)
{
    rpc r;

    rpc_init(&r, 1);
    tab(&r, 9, 4, RPC("1", "x"));
    CHECK_EQ(tab(&r, 1, 5, "[ " RPC("\"a\"", "a") " , {\"jsonrpc\":\"2.0\",\"method\":\"n\"}, " RPC(
                               "\"b\"", "b") " ]"),
             PROF_TAKEN);
    CHECK_STR(r.log, "keep 1 5 0\nsend [ " RPC("2", "a") " , {\"jsonrpc\":\"2.0\",\"method\":\"n\"}, " RPC(
                         "3", "b") " ]\nrelease");
    /* Answers the server does not know, and one of no request of ours, are cut. */
    CHECK_EQ(server(&r, "[ " RES("3", "\"B\"") ", {\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{}} ]"),
             PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 [" RES("\"b\"", "\"B\"") "]\nrelease");
    CHECK_EQ(server(&r, "[" RES("77", "0") ",\n" RES("2", "\"A\"") "]"), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 [" RES("\"a\"", "\"A\"") "]\nforget 1 5\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_give_each_tab_its_own_array_of_a_batch_answer(void)
{
    rpc r;

    rpc_init(&r, 1);
    tab(&r, 1, 1, "[" RPC("1", "a") "," RPC("2", "b") "]");
    tab(&r, 2, 1, "[" RPC("1", "c") "]");
    CHECK_EQ(server(&r, "[" RES("3", "\"c\"") "," RES("2", "\"b\"") "," RES("3", "\"again\"") "," RES(
                            "1", "\"a\"") "]"),
             PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 [" RES("1", "\"c\"") "]\ndeliver 1 [" RES("2", "\"b\"") "," RES(
                         "1", "\"a\"") "]\nforget 2 1\nforget 1 1\nrelease");
    /* The second tab's array not delivered: its request waits for the
     * connection's end, and gets its error then. */
    tab(&r, 1, 2, RPC("3", "e"));
    tab(&r, 2, 2, RPC("4", "f"));
    r.io_fail = 2;
    CHECK_EQ(server(&r, "[" RES("4", "\"e\"") "," RES("5", "\"f\"") "]"), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 [" RES("3", "\"e\"") "]\nforget 1 2\nrelease");
    closed(&r);
    CHECK_STR(r.log, "deliver 2 {\"jsonrpc\":\"2.0\",\"id\":4," LOST_ERROR "}\nforget 2 2");
    opened(&r);
    /* A request answered on its own inside an array is answered in one. */
    tab(&r, 3, 1, RPC("5", "d"));
    CHECK_EQ(server(&r, "[" RES("6", "0") "]"), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 3 [" RES("5", "0") "]\nforget 3 1\nrelease");
    rpc_done(&r);
}

/* ---- subscriptions ---------------------------------------------------------- */

/* Tab 1 subscribed with frame 1 (server id 0xaaa) and tab 2 with frame 2 (0xbbb). */
static void two_subscribed(rpc *r)
{
    rpc_init(r, 1);
    tab(r, 1, 1, SUB("1"));
    tab(r, 2, 2, SUB("1"));
    server(r, RES("1", "\"0xaaa\""));
    server(r, RES("2", "\"0xbbb\""));
}

static void jsonrpc_should_give_a_subscription_a_virtual_id_and_its_notifications_to_its_tab_alone(void)
{
    rpc r;

    rpc_init(&r, 1);
    CHECK_EQ(tab(&r, 1, 1, SUB("1")), PROF_TAKEN);
    CHECK_STR(r.log, "keep 1 1 0\nsend " SUB("1") "\nrelease");
    CHECK_EQ(tab(&r, 2, 2, SUB("1")), PROF_TAKEN);
    /* Each tab's subscription is its own on the server. */
    CHECK_STR(r.log, "keep 2 2 0\nsend " SUB("2") "\nrelease");
    CHECK_EQ(server(&r, RES("1", "\"0xaaa\"")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " RES("1", V1) "\nkeep 1 1 1\nrelease");
    CHECK_EQ(server(&r, RES("2", "\"0xbbb\"")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 " RES("1", V2) "\nkeep 2 2 1\nrelease");
    CHECK_EQ(server(&r, NOTE("\"0xbbb\"", "{\"number\":\"0x10\"}")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 " NOTE(V2, "{\"number\":\"0x10\"}") "\nrelease");
    CHECK_EQ(server(&r, NOTE("\"0xaaa\"", "7")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " NOTE(V1, "7") "\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_give_a_number_virtual_id_for_a_number_server_id(void)
{
    rpc r;

    rpc_init(&r, 1);
    tab(&r, 1, 300, SUB("1"));
    CHECK_EQ(server(&r, RES("1", "12")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " RES("1", "300") "\nkeep 1 300 1\nrelease");
    CHECK_EQ(server(&r, NOTE("12", "1")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " NOTE("300", "1") "\nrelease");
    CHECK_EQ(tab(&r, 1, 301, UNSUB("2", "300")), PROF_TAKEN);
    CHECK_STR(r.log, "keep 1 301 0\nsend " UNSUB("2", "12") "\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_deliver_a_subscribe_error_and_forget_the_subscribe(void)
{
    rpc r;

    rpc_init(&r, 1);
    tab(&r, 1, 1, SUB("1"));
    CHECK_EQ(server(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601}}"), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 {\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601}}\nforget 1 1\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_unsubscribe_under_the_servers_id_and_forget_both_frames(void)
{
    rpc r;

    two_subscribed(&r);
    CHECK_EQ(tab(&r, 2, 3, UNSUB("2", V2)), PROF_TAKEN);
    CHECK_STR(r.log, "keep 2 3 0\nsend " UNSUB("3", "\"0xbbb\"") "\nrelease");
    CHECK_EQ(server(&r, RES("3", "true")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 " RES("2", "true") "\nforget 2 3\nforget 2 2\nrelease");
    CHECK_EQ(server(&r, NOTE("\"0xbbb\"", "1")), PROF_PASS);
    CHECK_EQ(server(&r, NOTE("\"0xaaa\"", "1")), PROF_TAKEN);
    rpc_done(&r);
}

static void jsonrpc_should_answer_false_for_a_virtual_id_the_tab_does_not_have(void)
{
    rpc r;

    two_subscribed(&r);
    /* Another tab's virtual id, a server id, an id in the other form. */
    CHECK_EQ(tab(&r, 1, 2, UNSUB("5", V2)), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " RES("5", "false") "\nrelease");
    CHECK_EQ(tab(&r, 1, 3, UNSUB("6", "\"0xaaa\"")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " RES("6", "false") "\nrelease");
    CHECK_EQ(tab(&r, 1, 4, UNSUB("7", "2")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " RES("7", "false") "\nrelease");
    CHECK_EQ(server(&r, NOTE("\"0xaaa\"", "1")), PROF_TAKEN);
    CHECK_EQ(server(&r, NOTE("\"0xbbb\"", "1")), PROF_TAKEN);
    /* Without params the server judges it. */
    CHECK_EQ(tab(&r, 1, 5, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"eth_unsubscribe\"}"), PROF_TAKEN);
    CHECK_STR(r.log, "keep 1 5 0\nsend {\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"eth_unsubscribe\"}\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_route_a_subscribe_inside_a_batch_like_a_call(void)
{
    rpc r;

    rpc_init(&r, 1);
    tab(&r, 1, 1, "[" SUB("1") "]");
    CHECK_EQ(server(&r, "[" RES("1", "\"0xccc\"") "]"), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 [" RES("1", "\"0xccc\"") "]\nforget 1 1\nrelease");
    CHECK_EQ(server(&r, NOTE("\"0xccc\"", "1")), PROF_PASS);
    rpc_done(&r);
}

static void jsonrpc_should_edit_the_ids_of_a_subscription_wherever_they_lie(void)
{
    rpc r;

    rpc_init(&r, 1);
    tab(&r, 1, 1, "{\"method\":\"eth_subscribe\",\"jsonrpc\":\"2.0\",\"params\":[\"logs\"],\"id\":\"s\"}");
    CHECK_EQ(server(&r, "{\"result\":\"0xabc\",\"jsonrpc\":\"2.0\",\"id\":1}"), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 {\"result\":" V1 ",\"jsonrpc\":\"2.0\",\"id\":\"s\"}\nkeep 1 1 1\nrelease");
    CHECK_EQ(tab(&r, 1, 2, "{\"params\":[" V1 "],\"jsonrpc\":\"2.0\",\"method\":\"eth_unsubscribe\",\"id\":\"u\"}"),
             PROF_TAKEN);
    CHECK_STR(r.log, "keep 1 2 0\nsend {\"params\":[\"0xabc\"],\"jsonrpc\":\"2.0\",\"method\":\"eth_unsubscribe\",\"id\":2}\nrelease");
    rpc_done(&r);
}

/* ---- a lost connection -------------------------------------------------------- */

static void jsonrpc_should_fail_calls_and_subscribe_again_quietly_when_the_connection_is_lost(void)
{
    rpc r;

    two_subscribed(&r);
    tab(&r, 1, 2, RPC("2", "a"));
    tab(&r, 1, 3, "[" RPC("3", "b") "," RPC("4", "c") "]");
    tab(&r, 2, 3, SUB("9"));
    closed(&r);
    CHECK_STR(r.log, "deliver 1 {\"jsonrpc\":\"2.0\",\"id\":2," LOST_ERROR "}\nforget 1 2\n"
                     "deliver 1 [{\"jsonrpc\":\"2.0\",\"id\":3," LOST_ERROR "},{\"jsonrpc\":\"2.0\",\"id\":4," LOST_ERROR "}]\nforget 1 3");
    /* Held, a request goes on the next connection. */
    tab(&r, 2, 4, RPC("10", "d"));
    CHECK_STR(r.log, "keep 2 4 0\nrelease");
    opened(&r);
    CHECK_STR(r.log, "send " SUB("7") "\nsend " SUB("8") "\nsend " SUB("9") "\nsend " RPC("10", "d"));
    CHECK_EQ(server(&r, RES("7", "\"0xddd\"")), PROF_TAKEN);
    CHECK_STR(r.log, "keep 1 1 1\nrelease");
    CHECK_EQ(server(&r, RES("8", "\"0xeee\"")), PROF_TAKEN);
    CHECK_EQ(server(&r, RES("9", "\"0xfff\"")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 " RES("9", "\"0x0000000000000003\"") "\nkeep 2 3 1\nrelease");
    CHECK_EQ(server(&r, NOTE("\"0xaaa\"", "1")), PROF_PASS);
    CHECK_EQ(server(&r, NOTE("\"0xddd\"", "1")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " NOTE(V1, "1") "\nrelease");
    CHECK_EQ(server(&r, NOTE("\"0xeee\"", "1")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 " NOTE(V2, "1") "\nrelease");
    /* The virtual id the tab knows still ends it. */
    CHECK_EQ(tab(&r, 1, 9, UNSUB("12", V1)), PROF_TAKEN);
    CHECK_STR(r.log, "keep 1 9 0\nsend " UNSUB("11", "\"0xddd\"") "\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_answer_true_for_an_unsubscribe_the_connection_took_and_not_subscribe_again(void)
{
    rpc r;

    two_subscribed(&r);
    tab(&r, 1, 2, UNSUB("2", V1));
    closed(&r);
    CHECK_STR(r.log, "deliver 1 " RES("2", "true") "\nforget 1 1\nforget 1 2");
    opened(&r);
    CHECK_STR(r.log, "send " SUB("4"));
    rpc_done(&r);
}

static void jsonrpc_should_end_a_subscription_not_yet_made_again_when_its_tab_unsubscribes(void)
{
    rpc r;

    two_subscribed(&r);
    closed(&r);
    /* Held for the next connection: ended here. */
    CHECK_EQ(tab(&r, 1, 2, UNSUB("2", V1)), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " RES("2", "true") "\nforget 1 1\nrelease");
    opened(&r);
    CHECK_STR(r.log, "send " SUB("4"));
    /* On the wire: its answer is unsubscribed when it comes. */
    CHECK_EQ(tab(&r, 2, 3, UNSUB("2", V2)), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 " RES("2", "true") "\nforget 2 2\nrelease");
    CHECK_EQ(server(&r, RES("4", "\"0xb2\"")), PROF_TAKEN);
    CHECK_STR(r.log, "send {\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"eth_unsubscribe\",\"params\":[\"0xb2\"]}\nrelease");
    CHECK_EQ(server(&r, RES("5", "true")), PROF_TAKEN);
    CHECK_STR(r.log, "release");
    rpc_done(&r);
}

/* ---- a new leader: replays -------------------------------------------------- */

static void jsonrpc_should_answer_replayed_calls_with_an_error_and_never_send_them(void)
{
    rpc r;

    rpc_init(&r, 1);
    CHECK_EQ(replay(&r, 1, 4, 0, RPC("\"x\"", "eth_sendTransaction")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 {\"jsonrpc\":\"2.0\",\"id\":\"x\"," LOST_ERROR "}\nforget 1 4\nrelease");
    CHECK_EQ(replay(&r, 1, 5, 0, "[" RPC("1", "a") ",{\"jsonrpc\":\"2.0\",\"method\":\"n\"}," RPC("2", "b") "]"),
             PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 [{\"jsonrpc\":\"2.0\",\"id\":1," LOST_ERROR "},{\"jsonrpc\":\"2.0\",\"id\":2," LOST_ERROR "}]\nforget 1 5\nrelease");
    /* The first request it sends after them has wire id 1. */
    tab(&r, 1, 6, RPC("3", "c"));
    CHECK_STR(r.log, "keep 1 6 0\nsend " RPC("1", "c") "\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_subscribe_again_for_a_replay_and_tell_the_tab_only_if_its_mark_says_it_was_not_told(void)
{
    rpc r;

    rpc_init(&r, 0);
    CHECK_EQ(replay(&r, 1, 7, 1, SUB("3")), PROF_TAKEN);
    CHECK_STR(r.log, "release");
    CHECK_EQ(replay(&r, 2, 7, 0, SUB("3")), PROF_TAKEN);
    CHECK_STR(r.log, "keep 2 7 0\nrelease");
    opened(&r);
    CHECK_STR(r.log, "send " SUB("1") "\nsend " SUB("2"));
    CHECK_EQ(server(&r, RES("1", "\"0x1\"")), PROF_TAKEN);
    CHECK_STR(r.log, "keep 1 7 1\nrelease");
    CHECK_EQ(server(&r, RES("2", "\"0x2\"")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 " RES("3", "\"0x0000000000000007\"") "\nkeep 2 7 1\nrelease");
    CHECK_EQ(server(&r, NOTE("\"0x1\"", "5")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " NOTE("\"0x0000000000000007\"", "5") "\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_answer_a_replayed_unsubscribe_with_true_and_end_its_subscription(void)
{
    rpc r;

    rpc_init(&r, 1);
    replay(&r, 1, 1, 1, SUB("1"));
    replay(&r, 1, 2, 0, UNSUB("2", V1));
    CHECK_STR(r.log, "deliver 1 " RES("2", "true") "\nforget 1 1\nforget 1 2\nrelease");
    CHECK_EQ(server(&r, RES("1", "\"0xa\"")), PROF_TAKEN);
    CHECK_STR(r.log, "send {\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"eth_unsubscribe\",\"params\":[\"0xa\"]}\nrelease");
    /* One made already is unsubscribed at once. */
    replay(&r, 2, 1, 1, SUB("1"));
    server(&r, RES("3", "\"0xb\""));
    CHECK_EQ(replay(&r, 2, 2, 0, UNSUB("2", V1)), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 " RES("2", "true") "\nsend {\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"eth_unsubscribe\",\"params\":[\"0xb\"]}\nforget 2 1\nforget 2 2\nrelease");
    CHECK_EQ(server(&r, NOTE("\"0xb\"", "1")), PROF_PASS);
    rpc_done(&r);
}

/* ---- a tab that goes ---------------------------------------------------------- */

static void jsonrpc_should_unsubscribe_and_drop_the_answers_of_a_tab_that_is_gone(void)
{
    rpc r;

    two_subscribed(&r);
    tab(&r, 1, 2, RPC("2", "a"));
    tab(&r, 1, 3, SUB("3"));
    gone(&r, 1);
    CHECK_STR(r.log, "send {\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"eth_unsubscribe\",\"params\":[\"0xaaa\"]}");
    CHECK_EQ(server(&r, NOTE("\"0xaaa\"", "1")), PROF_PASS);
    CHECK_EQ(server(&r, RES("3", "1")), PROF_TAKEN);
    CHECK_STR(r.log, "release");
    CHECK_EQ(server(&r, RES("5", "true")), PROF_TAKEN);
    CHECK_STR(r.log, "release");
    /* Its subscribe on the wire is ended when its answer comes. */
    CHECK_EQ(server(&r, RES("4", "\"0xccc\"")), PROF_TAKEN);
    CHECK_STR(r.log, "send {\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"eth_unsubscribe\",\"params\":[\"0xccc\"]}\nrelease");
    /* The other tab keeps its own. */
    CHECK_EQ(server(&r, NOTE("\"0xbbb\"", "1")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 2 " NOTE(V2, "1") "\nrelease");
    rpc_done(&r);
}

static void jsonrpc_should_drop_what_a_gone_tab_had_held_for_the_socket(void)
{
    rpc r;

    rpc_init(&r, 0);
    tab(&r, 1, 1, RPC("1", "a"));
    tab(&r, 1, 2, "{\"jsonrpc\":\"2.0\",\"method\":\"n\"}");
    tab(&r, 2, 1, RPC("1", "b"));
    gone(&r, 1);
    CHECK_STR(r.log, "");
    opened(&r);
    CHECK_STR(r.log, "send " RPC("2", "b"));
    rpc_done(&r);
}

/* ---- running out of memory -------------------------------------------------- */

static void jsonrpc_should_create_nothing_when_out_of_memory(void)
{
    fa_install(1, 0);
    CHECK(jsonrpc_create() == NULL);
    CHECK_EQ(fa_live(), 0);
    fa_uninstall();
}

/* Every kind of frame, without void events that allocate. */
static void run_frames(rpc *r)
{
    tab(r, 1, 1, RPC("1", "a"));
    tab(r, 2, 1, "[" RPC("1", "b") ",{\"jsonrpc\":\"2.0\",\"method\":\"n\"}," RPC("2", "c") "]");
    tab(r, 3, 1, SUB("1"));
    tab(r, 1, 2, SUB("2"));
    opened(r);
    server(r, RES("1", "\"A\""));
    server(r, "[" RES("3", "\"C\"") "," RES("2", "\"B\"") "]");
    server(r, RES("4", "\"0xs3\""));
    server(r, RES("5", "7"));
    server(r, NOTE("\"0xs3\"", "{\"n\":1}"));
    server(r, NOTE("7", "2"));
    tab(r, 3, 2, UNSUB("2", "\"0x0000000000000001\""));
    tab(r, 3, 3, UNSUB("3", "\"0x0000000000000009\""));
    server(r, RES("6", "true"));
    tab(r, 1, 3, "{\"jsonrpc\":\"2.0\",\"method\":\"n\"}");
    replay(r, 2, 7, 0, RPC("9", "x"));
    replay(r, 2, 8, 0, "[" RPC("9", "x") "]");
    replay(r, 2, 9, 1, SUB("1"));
    replay(r, 2, 10, 0, UNSUB("2", "\"0x0000000000000005\""));
    server(r, RES("7", "\"0xz\""));
    tab(r, 1, 4, "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"m\"}");
}

/* Each allocation failing in turn: a frame refused did nothing and comes
 * again; in the end the profile did exactly what it does with memory. */
static void jsonrpc_should_refuse_a_frame_whole_when_an_allocation_fails_and_do_the_same_in_the_end(void)
{
    rpc ref, r;
    long n, failed = 1;

    rpc_init(&ref, 0);
    run_frames(&ref);
    for (n = 1; failed > 0 && n < 10000; n++) {
        fa_install(0, 0);
        rpc_init(&r, 0);
        REQUIRE(r.p != NULL);
        r.retry = 1;
        r.strict = 1;
        fa_arm(n, 0);
        run_frames(&r);
        failed = fa_failures();
        CHECK_STR(r.all, ref.all);
        rpc_done(&r);
        CHECK_EQ(fa_live(), 0);
        fa_uninstall();
    }
    CHECK(n > 30);
    rpc_done(&ref);
}

/* What a lost connection, a tab's going and a new leader's replays do. */
static void run_losses(rpc *r)
{
    tab(r, 1, 1, SUB("1"));
    tab(r, 2, 1, SUB("1"));
    tab(r, 3, 1, SUB("1"));
    tab(r, 1, 2, "[" RPC("2", "a") "," RPC("3", "b") "]");
    tab(r, 2, 2, RPC("2", "c"));
    opened(r);
    server(r, RES("1", "\"0x1\""));
    server(r, RES("2", "\"0x2\""));
    server(r, RES("3", "\"0x3\""));
    tab(r, 3, 2, UNSUB("2", V1));
    tab(r, 2, 3, RPC("3", "d"));
    closed(r);
    tab(r, 1, 3, RPC("4", "e"));
    replay(r, 4, 1, 1, SUB("1"));
    replay(r, 4, 2, 0, UNSUB("2", V1));
    replay(r, 5, 1, 1, SUB("1"));
    replay(r, 5, 2, 0, RPC("2", "f"));
    opened(r);
    gone(r, 1);
    server(r, RES("8", "\"0x8\""));
    server(r, RES("9", "\"0x9\""));
    server(r, RES("10", "\"0x10\""));
    server(r, RES("11", "\"0x11\""));
    server(r, RES("12", "\"0x12\""));
    gone(r, 2);
    server(r, NOTE("\"0x11\"", "1"));
    server(r, NOTE("\"0x9\"", "1"));
    tab(r, 3, 3, "{\"jsonrpc\":\"2.0\",\"method\":\"n\"}");
    closed(r);
    tab(r, 3, 4, "{\"jsonrpc\":\"2.0\",\"method\":\"n\"}");
}

/* Void events degrade: whatever allocation fails, once or for good, nothing
 * leaks and every handle is accounted for. */
static void jsonrpc_should_leak_nothing_and_keep_the_books_whatever_allocation_fails(void)
{
    rpc r;
    long n, failed = 1;
    int sticky;

    for (sticky = 0; sticky < 2; sticky++) {
        for (n = 1, failed = 1; failed > 0 && n < 10000; n++) {
            fa_install(0, 0);
            rpc_init(&r, 0);
            REQUIRE(r.p != NULL);
            r.retry = !sticky;
            fa_arm(n, sticky);
            run_losses(&r);
            failed = fa_failures();
            rpc_done(&r);
            CHECK_EQ(fa_live(), 0);
            fa_uninstall();
        }
        CHECK(n > 30);
    }
}

/* Each fallible io call failing in turn: the same. */
static void jsonrpc_should_keep_the_books_whatever_io_call_fails(void)
{
    rpc r;
    long n, left = 0;

    for (n = 1; left == 0 && n < 10000; n++) {
        fa_install(0, 0);
        rpc_init(&r, 0);
        r.retry = 1;
        r.io_fail = n;
        run_losses(&r);
        run_frames(&r);
        left = r.io_fail;
        rpc_done(&r);
        CHECK_EQ(fa_live(), 0);
        fa_uninstall();
    }
    CHECK(n > 30);
}

static void jsonrpc_should_change_nothing_when_the_core_cannot_take_what_it_asks(void)
{
    rpc r;

    rpc_init(&r, 1);
    r.io_fail = 1;
    CHECK_EQ(tab(&r, 1, 1, RPC("1", "a")), WSS_ENOMEM);
    CHECK_STR(r.log, "");
    r.io_fail = 2;
    CHECK_EQ(tab(&r, 1, 1, RPC("1", "a")), WSS_ENOMEM);
    CHECK_STR(r.log, "keep 1 1 0\nforget 1 1");
    CHECK_EQ(tab(&r, 1, 1, RPC("1", "a")), PROF_TAKEN);
    CHECK_STR(r.log, "keep 1 1 0\nsend " RPC("1", "a") "\nrelease");
    r.io_fail = 1;
    CHECK_EQ(server(&r, RES("1", "2")), WSS_ENOMEM);
    CHECK_EQ(server(&r, RES("1", "2")), PROF_TAKEN);
    CHECK_STR(r.log, "deliver 1 " RES("1", "2") "\nforget 1 1\nrelease");
    rpc_done(&r);
}

/* Seeded random events of three tabs, with allocations and io calls failing
 * at random: the books balance after every one and nothing leaks. */
static void jsonrpc_should_keep_the_books_over_seeded_random_events(void)
{
    static const char *const frames[] = {
        RPC("1", "a"), SUB("2"), UNSUB("3", V1), UNSUB("4", V2), UNSUB("5", "1"),
        "[" RPC("6", "b") "," SUB("7") "]", "{\"jsonrpc\":\"2.0\",\"method\":\"n\"}", RES("8", "1"),
    };
    static const char *const answers[] = {
        "1", "\"0x1\"", "\"0x2\"", "7", "true",
    };
    uint32_t seed, state, i, seq[4];
    char text[256];
    rpc r;

    for (seed = 1; seed <= 40; seed++) {
        state = seed * 2654435761u;
        fa_install_random(seed, 23);
        rpc_init(&r, 0);
        if (r.p == NULL) {
            fa_uninstall();
            continue;
        }
        memset(seq, 0, sizeof seq);
        for (i = 0; i < 400; i++) {
            uint32_t t = 1 + prng_below(&state, 3), k = prng_below(&state, 10);
            uint32_t w = r.sends > 6 ? r.sends - prng_below(&state, 6) : 1 + prng_below(&state, 6);

            r.io_fail = prng_below(&state, 8) == 0 ? 1 + prng_below(&state, 3) : 0;
            if (k < 4) {
                frame(&r, t, ++seq[t], prng_below(&state, 4) == 0, prng_below(&state, 2),
                      frames[prng_below(&state, sizeof frames / sizeof frames[0])]);
            } else if (k < 7) {
                snprintf(text, sizeof text, prng_below(&state, 4) == 0 ? "[" RES("%u", "%s") "]"
                                                                       : RES("%u", "%s"),
                         w, answers[prng_below(&state, 5)]);
                server(&r, text);
            } else if (k == 7) {
                snprintf(text, sizeof text, NOTE("%s", "1"), answers[prng_below(&state, 5)]);
                server(&r, text);
            } else if (k == 8) {
                if (r.open)
                    closed(&r);
                else
                    opened(&r);
            } else {
                gone(&r, t);
            }
            if (r.broken != 0) {
                check_fail(__FILE__, __LINE__, "seed %u event %u (%u): %s", seed, i, k, r.log);
                break;
            }
        }
        rpc_done(&r);
        CHECK_EQ(fa_live(), 0);
        fa_uninstall();
    }
}

const test_case jsonrpc_tests[] = {
    TEST_CASE(jsonrpc_should_pass_every_frame_that_is_not_a_json_rpc_2_0_message),
    TEST_CASE(jsonrpc_should_not_read_a_server_frame_while_it_has_nothing_on_the_wire),
    TEST_CASE(jsonrpc_should_refuse_a_message_with_duplicate_keys_with_a_protocol_error),
    TEST_CASE(jsonrpc_should_send_a_request_under_a_wire_id_and_give_the_answer_back_under_the_tabs_id),
    TEST_CASE(jsonrpc_should_map_the_same_ids_of_three_tabs_apart),
    TEST_CASE(jsonrpc_should_change_no_byte_of_a_frame_but_its_id),
    TEST_CASE(jsonrpc_should_send_a_notification_as_it_came_and_keep_nothing),
    TEST_CASE(jsonrpc_should_hold_what_comes_before_the_socket_opens_and_send_it_in_order),
    TEST_CASE(jsonrpc_should_send_what_it_could_not_send_on_open_at_the_next_event_ahead_of_it),
    TEST_CASE(jsonrpc_should_pass_server_frames_that_answer_nothing_of_its_own),
    TEST_CASE(jsonrpc_should_send_a_batch_in_one_edit_and_forget_it_when_every_request_is_answered),
    TEST_CASE(jsonrpc_should_give_each_tab_its_own_array_of_a_batch_answer),
    TEST_CASE(jsonrpc_should_give_a_subscription_a_virtual_id_and_its_notifications_to_its_tab_alone),
    TEST_CASE(jsonrpc_should_give_a_number_virtual_id_for_a_number_server_id),
    TEST_CASE(jsonrpc_should_deliver_a_subscribe_error_and_forget_the_subscribe),
    TEST_CASE(jsonrpc_should_unsubscribe_under_the_servers_id_and_forget_both_frames),
    TEST_CASE(jsonrpc_should_answer_false_for_a_virtual_id_the_tab_does_not_have),
    TEST_CASE(jsonrpc_should_route_a_subscribe_inside_a_batch_like_a_call),
    TEST_CASE(jsonrpc_should_edit_the_ids_of_a_subscription_wherever_they_lie),
    TEST_CASE(jsonrpc_should_fail_calls_and_subscribe_again_quietly_when_the_connection_is_lost),
    TEST_CASE(jsonrpc_should_answer_true_for_an_unsubscribe_the_connection_took_and_not_subscribe_again),
    TEST_CASE(jsonrpc_should_end_a_subscription_not_yet_made_again_when_its_tab_unsubscribes),
    TEST_CASE(jsonrpc_should_answer_replayed_calls_with_an_error_and_never_send_them),
    TEST_CASE(jsonrpc_should_subscribe_again_for_a_replay_and_tell_the_tab_only_if_its_mark_says_it_was_not_told),
    TEST_CASE(jsonrpc_should_answer_a_replayed_unsubscribe_with_true_and_end_its_subscription),
    TEST_CASE(jsonrpc_should_unsubscribe_and_drop_the_answers_of_a_tab_that_is_gone),
    TEST_CASE(jsonrpc_should_drop_what_a_gone_tab_had_held_for_the_socket),
    TEST_CASE(jsonrpc_should_create_nothing_when_out_of_memory),
    TEST_CASE(jsonrpc_should_refuse_a_frame_whole_when_an_allocation_fails_and_do_the_same_in_the_end),
    TEST_CASE(jsonrpc_should_leak_nothing_and_keep_the_books_whatever_allocation_fails),
    TEST_CASE(jsonrpc_should_keep_the_books_whatever_io_call_fails),
    TEST_CASE(jsonrpc_should_change_nothing_when_the_core_cannot_take_what_it_asks),
    TEST_CASE(jsonrpc_should_keep_the_books_over_seeded_random_events),
    TEST_END,
};
