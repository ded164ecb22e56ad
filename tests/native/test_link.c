/*
 * The tab's link to its leader on a fake clock: the envelopes it writes, byte
 * for byte; frame numbers, batches and re-sends to a new leader; acks and the
 * keep and forget notes of a protocol profile; server frames, their
 * duplicates, gaps and targets; the timers; what the app hears when the
 * leader changes; the bounds.
 */
#include <stdio.h>

#include "harness.h"

#define TAB 501u
#define OTHER 777u
#define L1 1001u
#define L2 2002u

static double clock_ms;
static int show_farewell; /* did() leaves FAREWELL out but where a test looks at it */

/* The last call's actions as one line, e.g. "HEARD:3 FRAMES:1+2@1001 TIMER:1000". */
static const char *did(const wss_link *k)
{
    static char buf[8192];
    uint32_t i, n = 0;
    const wss_action *a = wss_link_actions(k, &n);
    size_t len = 0;

    buf[0] = '\0';
    for (i = 0; i < n && len + 160 < sizeof buf; i++) {
        const char *sep = len == 0 ? "" : " ";
        size_t room = sizeof buf - len;
        int w;

        if (a[i].kind == WSS_ACT_LINK_FAREWELL && !show_farewell)
            continue;
        switch (a[i].kind) {
        case WSS_ACT_LINK_POST:
            w = snprintf(buf + len, room, "%sPOST:%.*s", sep, (int)a[i].len, a[i].text);
            break;
        case WSS_ACT_LINK_FAREWELL:
            w = a[i].b ? snprintf(buf + len, room, "%sFAREWELL%u:%.*s", sep, a[i].a, (int)a[i].len, a[i].text)
                       : snprintf(buf + len, room, "%sFAREWELL%u:off", sep, a[i].a);
            break;
        case WSS_ACT_LINK_POST_FRAMES:
            w = snprintf(buf + len, room, "%sFRAMES:%u+%u@%u%s/%u", sep, a[i].a, a[i].b, a[i].handle,
                         a[i].len & WSS_LINK_BY_BUS ? "(bus)" : "", a[i].len & WSS_LINK_BATCH_MASK);
            break;
        case WSS_ACT_LINK_POST_MARKED:
            w = snprintf(buf + len, room, "%sMARKED:%u/%u@%u", sep, a[i].a, a[i].b, a[i].handle);
            break;
        case WSS_ACT_LINK_POST_KEPT: {
            const uint32_t *words = (const uint32_t *)(const void *)a[i].text;
            uint32_t j;

            w = snprintf(buf + len, room, "%sKEPT@%u:", sep, a[i].handle);
            for (j = 0; j < a[i].b && w > 0; j++)
                w += snprintf(buf + len + (size_t)w, room - (size_t)w, "%s%u/%u", j ? "," : "",
                              words[j], words[a[i].b + j]);
            break;
        }
        case WSS_ACT_LINK_ELECT_BUS: w = snprintf(buf + len, room, "%sEBUS:%u", sep, a[i].a); break;
        case WSS_ACT_LINK_DELIVER:
            w = snprintf(buf + len, room, "%sDELIVER:%u+%u", sep, a[i].a, a[i].b);
            break;
        case WSS_ACT_LINK_COUNT: w = snprintf(buf + len, room, "%sCOUNT:%u", sep, a[i].a); break;
        case WSS_ACT_LINK_ACKED:
            w = snprintf(buf + len, room, "%sACKED:%u-%u", sep, a[i].a, a[i].b);
            break;
        case WSS_ACT_LINK_RELEASE:
            w = snprintf(buf + len, room, "%sRELEASE:%u-%u", sep, a[i].a, a[i].b);
            break;
        case WSS_ACT_LINK_FLUSH: w = snprintf(buf + len, room, "%sFLUSH", sep); break;
        case WSS_ACT_LINK_PROTOCOL: w = snprintf(buf + len, room, "%sPROTOCOL", sep); break;
        case WSS_ACT_LINK_OPEN: w = snprintf(buf + len, room, "%sOPEN", sep); break;
        case WSS_ACT_LINK_ERROR:
            w = a[i].b ? snprintf(buf + len, room, "%sERROR:%u:%u", sep, a[i].a, a[i].b)
                       : snprintf(buf + len, room, "%sERROR:%u", sep, a[i].a);
            break;
        case WSS_ACT_LINK_CLOSE:
            w = snprintf(buf + len, room, "%sCLOSE:%u/%u", sep, a[i].a, a[i].b);
            break;
        case WSS_ACT_LINK_RECONNECTING:
            w = snprintf(buf + len, room, "%sRECONNECTING:%u/%u", sep, a[i].a, a[i].b);
            break;
        case WSS_ACT_LINK_LEADERCHANGE:
            w = snprintf(buf + len, room, "%sLEADERCHANGE:%u", sep, a[i].a);
            break;
        case WSS_ACT_LINK_STATS:
            w = snprintf(buf + len, room, "%sSTATS:%u/%u", sep, a[i].a, a[i].b);
            break;
        case WSS_ACT_LINK_HEARD: w = snprintf(buf + len, room, "%sHEARD:%u", sep, a[i].a); break;
        case WSS_ACT_LINK_TIMER:
            w = a[i].a == UINT32_MAX ? snprintf(buf + len, room, "%sTIMER:off", sep)
                                     : snprintf(buf + len, room, "%sTIMER:%u", sep, a[i].a);
            break;
        default: w = snprintf(buf + len, room, "%s?%u", sep, a[i].kind); break;
        }
        if (w > 0)
            len += (size_t)w < room ? (size_t)w : room - 1;
    }
    return buf;
}

#define CHECK_DID(k, expected) CHECK_STR(did(k), expected)

static int env(wss_link *k, uint32_t type, uint32_t leader, uint32_t tab, double x, double y,
               uint32_t flags)
{
    return wss_link_envelope(k, type, leader, tab, x, y, flags, clock_ms);
}

static int welcome(wss_link *k, uint32_t leader, uint32_t seq, double acked, uint32_t flags)
{
    return env(k, WSS_LINK_ENV_WELCOME, leader, TAB, seq, acked, flags);
}

/* One list of an ack envelope, as the host passes it. */
static int notes(wss_link *k, uint32_t kind, const uint32_t *words, uint32_t n)
{
    memcpy(wss_link_scratch(), words, n * sizeof *words);
    return wss_link_notes(k, kind, n, clock_ms);
}

static int ack(wss_link *k, uint32_t leader, uint32_t seq)
{
    uint32_t w[2];

    w[0] = TAB;
    w[1] = seq;
    if (env(k, WSS_LINK_ENV_ACK, leader, 0, 0, 0, 0) != WSS_OK)
        return WSS_EREJECT;
    return notes(k, WSS_LINK_NOTES_ACK, w, 2);
}

static int keep(wss_link *k, uint32_t leader, uint32_t seq, uint32_t mark)
{
    uint32_t w[3];

    w[0] = TAB;
    w[1] = seq;
    w[2] = mark;
    if (env(k, WSS_LINK_ENV_ACK, leader, 0, 0, 0, 0) != WSS_OK)
        return WSS_EREJECT;
    return notes(k, WSS_LINK_NOTES_KEEP, w, 3);
}

static uint32_t send(wss_link *k, uint32_t len)
{
    return wss_link_send(k, len, clock_ms);
}

/* A new link that said hello to L1, was welcomed and is open. */
static wss_link *open_link(double max)
{
    wss_link *k = wss_link_new(TAB, max);

    if (k == NULL)
        return NULL;
    clock_ms = 1000;
    wss_link_hello(k, clock_ms);
    welcome(k, L1, 1, 0, WSS_LINK_OPEN);
    return k;
}

/* The leader the first action of `kind` is addressed to (its handle); for a
 * farewell, the one held ready as `which`. */
static uint32_t addressed(const wss_link *k, uint32_t kind, uint32_t which)
{
    uint32_t i, n = 0;
    const wss_action *a = wss_link_actions(k, &n);

    for (i = 0; i < n; i++)
        if (a[i].kind == kind && (kind != WSS_ACT_LINK_FAREWELL || (a[i].a == which && a[i].b)))
            return a[i].handle;
    return UINT32_MAX;
}

/* Whether the first POST_FRAMES goes on the bus. */
static int by_bus(const wss_link *k)
{
    uint32_t i, n = 0;
    const wss_action *a = wss_link_actions(k, &n);

    for (i = 0; i < n; i++)
        if (a[i].kind == WSS_ACT_LINK_POST_FRAMES)
            return (a[i].len & WSS_LINK_BY_BUS) != 0;
    return -1;
}

static void envelopes_should_be_written_as_the_bus_had_them(void)
{
    wss_link *k = wss_link_new(TAB, -1);

    REQUIRE(k != NULL);
    clock_ms = 0;
    CHECK_EQ(wss_link_hello(k, clock_ms), WSS_OK);
    CHECK_DID(k, "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":0,\"p\":0,\"l\":0} TIMER:1000");
    CHECK_EQ(wss_link_state(k), 0);
    CHECK_EQ(welcome(k, L1, 7, 0, WSS_LINK_OPEN), WSS_OK);
    CHECK_DID(k, "HEARD:3 PROTOCOL OPEN TIMER:20000");
    CHECK_EQ(wss_link_state(k), 1);
    CHECK_EQ(wss_link_stats(k, clock_ms), 1);
    CHECK_DID(k, "POST:{\"v\":1,\"t\":\"stats?\",\"tab\":501,\"id\":1,\"l\":1001} TIMER:2000");
    clock_ms = 20000;
    wss_link_tick(k, clock_ms);
    CHECK_DID(k, "STATS:1/0 POST:{\"v\":1,\"t\":\"ping\",\"tab\":501,\"l\":1001} TIMER:20000");
    show_farewell = 1;
    CHECK_EQ(wss_link_role(k, 4294967295u, 4294967295u, clock_ms), WSS_OK);
    CHECK_DID(k, "EBUS:1 FAREWELL2:{\"v\":1,\"t\":\"resign\",\"id\":501,\"term\":4294967295}");
    /* The host posted the farewell it held: the link posts nothing more. */
    CHECK_EQ(wss_link_pagehide(k, 0, clock_ms), WSS_OK);
    CHECK_DID(k, "FAREWELL1:off");
    show_farewell = 0;
    wss_link_free(k);
}

static void frames_should_be_numbered_from_one_and_posted_together_once_welcomed(void)
{
    wss_link *k = wss_link_new(TAB, -1);

    REQUIRE(k != NULL);
    clock_ms = 0;
    wss_link_hello(k, clock_ms);
    /* CONNECTING: the host throws; were it asked, nothing is numbered. */
    welcome(k, L1, 1, 0, 0);
    CHECK_EQ(send(k, 5), 0);
    CHECK_DID(k, "COUNT:5");
    env(k, WSS_LINK_ENV_OPEN, L1, 0, 1, 0, 0);
    CHECK_DID(k, "HEARD:3 PROTOCOL OPEN");
    CHECK_EQ(send(k, 10), 1);
    CHECK_DID(k, "COUNT:10 FLUSH");
    CHECK_EQ(send(k, 20), 2);
    CHECK_DID(k, "COUNT:20");
    wss_link_flush(k, clock_ms);
    CHECK_DID(k, "FRAMES:1+2@1001/512");
    wss_link_flush(k, clock_ms);
    CHECK_DID(k, "");
    CHECK_EQ(wss_link_next(k), 3);
    CHECK_EQ(wss_link_unacked(k), 1);
    wss_link_free(k);
}

static void a_batch_should_go_at_once_at_512_frames_or_256_kib(void)
{
    wss_link *k = open_link(-1);
    uint32_t i;

    REQUIRE(k != NULL);
    for (i = 1; i < 512; i++)
        send(k, 1);
    CHECK_DID(k, "COUNT:1");
    send(k, 1);
    CHECK_DID(k, "COUNT:1 FRAMES:1+512@1001/512");
    send(k, 200u << 10);
    CHECK_DID(k, "COUNT:204800 FLUSH");
    send(k, 56u << 10);
    CHECK_DID(k, "COUNT:57344 FRAMES:513+2@1001/512");
    wss_link_free(k);
}

static void a_message_over_max_message_bytes_should_be_an_error_and_not_numbered(void)
{
    wss_link *k = open_link(100);

    REQUIRE(k != NULL);
    CHECK_EQ(send(k, 101), 0);
    CHECK_DID(k, "ERROR:1:101");
    CHECK_EQ(send(k, 100), 1);
    CHECK_DID(k, "COUNT:100 FLUSH");
    wss_link_free(k);
}

static void acks_should_release_frames_and_let_buffered_amount_go(void)
{
    wss_link *k = open_link(-1);
    uint32_t i;

    REQUIRE(k != NULL);
    for (i = 0; i < 5; i++)
        send(k, 10);
    wss_link_flush(k, clock_ms);
    CHECK_EQ(ack(k, L1, 3), WSS_OK);
    CHECK_DID(k, "ACKED:1-3 RELEASE:1-3");
    CHECK_EQ(wss_link_unacked(k), 4);
    /* An ack that goes back, or names frames never sent, is no news. */
    ack(k, L1, 2);
    CHECK_DID(k, "");
    ack(k, L1, 99);
    CHECK_DID(k, "ACKED:4-5 RELEASE:4-5");
    /* Another leader's ack is not heeded, nor its notes reported. */
    send(k, 10);
    CHECK_EQ(ack(k, L2, 6), WSS_EREJECT);
    CHECK_EQ(wss_link_unacked(k), 6);
    /* Another tab's entries are not ours; the highest of ours counts. */
    {
        uint32_t w[] = {OTHER, 6, TAB, 6, TAB, 5};

        env(k, WSS_LINK_ENV_ACK, L1, 0, 0, 0, 0);
        notes(k, WSS_LINK_NOTES_ACK, w, 6);
        CHECK_DID(k, "ACKED:6-6 RELEASE:6-6");
    }
    wss_link_free(k);
}

static void a_new_leader_should_get_a_hello_then_every_unacknowledged_frame(void)
{
    wss_link *k = open_link(-1);
    uint32_t i;

    REQUIRE(k != NULL);
    env(k, WSS_LINK_ENV_OPEN, L1, 0, 0, 0, WSS_LINK_RESUME); /* the app opted into reconnect */
    for (i = 0; i < 1200; i++)
        send(k, 1);
    wss_link_flush(k, clock_ms);
    ack(k, L1, 100);
    send(k, 1); /* 1201: not yet posted when the leader changes */
    /* Every unacknowledged frame goes right behind the hello, in posts of at
     * most 512: the leader takes the hello first, and need not be heard from. */
    env(k, WSS_LINK_ENV_LEADER, L2, 0, 0, 0, 0);
    CHECK_DID(k, "HEARD:1 LEADERCHANGE:0 RECONNECTING:1/0 "
                 "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":101,\"last\":1201,\"p\":1200,\"l\":2002} "
                 "FRAMES:101+1101@2002(bus)/512 TIMER:1000");
    /* The old leader is no longer heeded. */
    CHECK_EQ(ack(k, L1, 1000), WSS_EREJECT);
    /* The new one took up to 150 from the hello's `p`; what went behind the
     * hello goes not again, and the app hears of the open again. */
    welcome(k, L2, 1, 150, WSS_LINK_OPEN | WSS_LINK_RESUME);
    CHECK_DID(k, "HEARD:3 ACKED:101-150 RELEASE:101-150 PROTOCOL OPEN TIMER:20000");
    /* A resend asks again from a frame of its choosing; never below the acked. */
    env(k, WSS_LINK_ENV_RESEND, L2, TAB, 120, 0, 0);
    CHECK_DID(k, "HEARD:3 FRAMES:151+1051@2002/512");
    env(k, WSS_LINK_ENV_RESEND, L2, OTHER, 120, 0, 0);
    CHECK_DID(k, "HEARD:3");
    /* rehello: the leader forgot us. */
    env(k, WSS_LINK_ENV_REHELLO, L2, TAB, 0, 0, 0);
    CHECK_DID(k, "HEARD:3 POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":151,\"last\":1201,\"p\":1201,\"l\":2002} "
                 "TIMER:1000");
    wss_link_free(k);
}

/* A leader that timed a silent tab out says it is gone, and no longer hears
 * it on its road: the tab, alive, says hello again on the bus, and once
 * welcomed sends again what was not acknowledged. */
static void a_live_tab_the_leader_let_go_should_say_hello_and_send_again(void)
{
    wss_link *k = open_link(-1);

    REQUIRE(k != NULL);
    send(k, 1);
    send(k, 1);
    send(k, 1);
    wss_link_flush(k, clock_ms);
    CHECK_DID(k, "FRAMES:1+3@1001/512");
    env(k, WSS_LINK_ENV_GONE, L1, OTHER, 0, 0, 0);
    CHECK_DID(k, "HEARD:3");
    env(k, WSS_LINK_ENV_GONE, L1, TAB, 0, 0, 0);
    CHECK_DID(k, "HEARD:3 POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":3,\"p\":3,\"l\":1001} "
                 "TIMER:1000");
    CHECK_EQ(addressed(k, WSS_ACT_LINK_POST, 0), 0);
    /* Not welcomed: nothing goes, and a second word of it changes nothing. */
    send(k, 1);
    wss_link_flush(k, clock_ms);
    CHECK_DID(k, "");
    env(k, WSS_LINK_ENV_GONE, L1, TAB, 0, 0, 0);
    CHECK_DID(k, "HEARD:3");
    welcome(k, L1, 1, 0, 0);
    CHECK_DID(k, "HEARD:3 FRAMES:1+4@1001/512 TIMER:20000");
    wss_link_free(k);
}

/* An open link that resumes, frame 1 posted to L1, that has just heard L2
 * announce itself (what it did is not read yet). */
static wss_link *one_frame_then_l2(void)
{
    wss_link *k = open_link(-1);

    if (k == NULL)
        return NULL;
    env(k, WSS_LINK_ENV_OPEN, L1, 0, 0, 0, WSS_LINK_RESUME);
    send(k, 1);
    wss_link_flush(k, clock_ms);
    env(k, WSS_LINK_ENV_LEADER, L2, 0, 0, 0, 0);
    return k;
}

/* The frames that go behind the hello to a new leader are those it had
 * then, and only to the leader that hello was for: a frame sent before the
 * welcome waits for it (it could take another road than the hello), and a
 * hello said again, or another leader, means the welcome re-sends them all. */
static void frames_behind_a_hello_should_go_once_and_only_to_that_leader(void)
{
    wss_link *k = open_link(-1);

    REQUIRE(k != NULL);
    env(k, WSS_LINK_ENV_OPEN, L1, 0, 0, 0, WSS_LINK_RESUME);
    send(k, 1);
    send(k, 1);
    wss_link_flush(k, clock_ms);
    CHECK_DID(k, "FRAMES:1+2@1001/512");
    env(k, WSS_LINK_ENV_LEADER, L2, 0, 0, 0, 0);
    CHECK_DID(k, "HEARD:1 LEADERCHANGE:0 RECONNECTING:1/0 "
                 "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":2,\"p\":2,\"l\":2002} "
                 "FRAMES:1+2@2002(bus)/512 TIMER:1000");
    /* Sent before the welcome: it waits for it, and goes alone. */
    send(k, 1);
    CHECK_DID(k, "COUNT:1 FLUSH");
    wss_link_flush(k, clock_ms);
    CHECK_DID(k, "");
    welcome(k, L2, 1, 0, WSS_LINK_OPEN | WSS_LINK_RESUME);
    CHECK_DID(k, "HEARD:3 FRAMES:3+1@2002/512 PROTOCOL OPEN TIMER:20000");
    /* A second welcome (a hello repeated) re-sends from the first unacknowledged. */
    welcome(k, L2, 1, 1, 0);
    CHECK_DID(k, "HEARD:3 ACKED:1-1 RELEASE:1-1 FRAMES:2+2@2002/512");
    wss_link_free(k);

    /* Unwelcomed for a second: the hello is said again, with no frames behind
     * it, as the first may have been lost with them; the welcome re-sends. */
    k = one_frame_then_l2();
    REQUIRE(k != NULL);
    CHECK_DID(k, "HEARD:1 LEADERCHANGE:0 RECONNECTING:1/0 "
                 "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":1,\"p\":1,\"l\":2002} "
                 "FRAMES:1+1@2002(bus)/512 TIMER:1000");
    clock_ms += 1000;
    wss_link_tick(k, clock_ms);
    CHECK_DID(k, "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":1,\"p\":1,\"l\":2002} "
                 "TIMER:1000");
    welcome(k, L2, 1, 0, WSS_LINK_OPEN | WSS_LINK_RESUME);
    CHECK_DID(k, "HEARD:3 FRAMES:1+1@2002/512 PROTOCOL OPEN TIMER:20000");
    wss_link_free(k);

    /* Another leader before the welcome: it gets them all behind its hello;
     * the one the tab left gets nothing more, and its late welcome is not heeded. */
    k = one_frame_then_l2();
    REQUIRE(k != NULL);
    (void)did(k);
    env(k, WSS_LINK_ENV_LEADER, L1 + 1, 0, 0, 0, 0);
    CHECK_DID(k, "HEARD:1 LEADERCHANGE:0 "
                 "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":1,\"p\":1,\"l\":1002} "
                 "FRAMES:1+1@1002(bus)/512");
    CHECK_EQ(welcome(k, L2, 1, 0, WSS_LINK_OPEN), WSS_EREJECT);
    welcome(k, L1 + 1, 1, 0, WSS_LINK_OPEN | WSS_LINK_RESUME);
    CHECK_DID(k, "HEARD:3 PROTOCOL OPEN TIMER:20000");
    wss_link_free(k);

    /* The leader is lost before its welcome: the welcome of whichever leads
     * next (it adopts the tab's hello without a leader) re-sends them all. */
    k = one_frame_then_l2();
    REQUIRE(k != NULL);
    (void)did(k);
    wss_link_lost(k, clock_ms);
    wss_link_hello(k, clock_ms);
    CHECK_DID(k, "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":1,\"p\":1,\"l\":0}");
    welcome(k, L2, 1, 0, WSS_LINK_OPEN | WSS_LINK_RESUME);
    CHECK_DID(k, "HEARD:3 FRAMES:1+1@2002/512 PROTOCOL OPEN TIMER:20000");
    wss_link_free(k);

    /* Nothing unacknowledged, or not open yet: a hello alone. */
    k = open_link(-1);
    REQUIRE(k != NULL);
    env(k, WSS_LINK_ENV_OPEN, L1, 0, 0, 0, WSS_LINK_RESUME);
    env(k, WSS_LINK_ENV_LEADER, L2, 0, 0, 0, 0);
    CHECK_DID(k, "HEARD:1 LEADERCHANGE:0 RECONNECTING:1/0 "
                 "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":0,\"p\":0,\"l\":2002} "
                 "TIMER:1000");
    wss_link_free(k);
}

static void a_tab_without_reconnect_should_close_with_its_leader(void)
{
    wss_link *k = open_link(-1);

    REQUIRE(k != NULL);
    env(k, WSS_LINK_ENV_LEADER, L2, 0, 0, 0, 0);
    CHECK_DID(k, "HEARD:1 LEADERCHANGE:0 ERROR:0 CLOSE:1006/0 TIMER:off");
    CHECK_EQ(wss_link_state(k), 3);
    CHECK_EQ(wss_link_hello(k, clock_ms), WSS_EREJECT);
    wss_link_free(k);
    /* Lost (the session saw the worker die): the same choice. */
    k = open_link(-1);
    REQUIRE(k != NULL);
    wss_link_lost(k, clock_ms);
    CHECK_DID(k, "ERROR:0 CLOSE:1006/0 TIMER:off");
    wss_link_free(k);
    k = open_link(-1);
    REQUIRE(k != NULL);
    env(k, WSS_LINK_ENV_OPEN, L1, 0, 0, 0, WSS_LINK_RESUME);
    wss_link_lost(k, clock_ms);
    CHECK_DID(k, "RECONNECTING:1/0");
    /* Until a welcome, the hello says so: no leader. */
    wss_link_hello(k, clock_ms);
    CHECK_DID(k, "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":0,\"p\":0,\"l\":0} TIMER:1000");
    /* A second loss before the open is not a second reconnecting. */
    wss_link_lost(k, clock_ms);
    CHECK_DID(k, "");
    /* The welcome adopts the leader that sent it. */
    welcome(k, L2, 1, 0, WSS_LINK_OPEN | WSS_LINK_RESUME);
    CHECK_DID(k, "HEARD:3 PROTOCOL OPEN TIMER:20000");
    wss_link_free(k);
}

/* A profile may mark a frame before the leader acknowledged it (an answer
 * given at once, while the frame's bytes still leave the socket): a next
 * leader gets it again with its mark, alone, so its profile does not answer
 * again what the tab had its answer to. */
static void a_frame_marked_while_unacknowledged_should_go_again_alone_with_its_mark(void)
{
    wss_link *k = open_link(-1);
    uint32_t i;

    REQUIRE(k != NULL);
    for (i = 0; i < 4; i++)
        send(k, 10);
    wss_link_flush(k, clock_ms);
    ack(k, L1, 1);
    CHECK_DID(k, "ACKED:1-1 RELEASE:1-1");
    keep(k, L1, 3, 1);
    CHECK_DID(k, "");
    env(k, WSS_LINK_ENV_LEADER, L2, 0, 0, 0, 0);
    (void)did(k);
    welcome(k, L2, 1, 0, WSS_LINK_OPEN);
    CHECK_DID(k, "HEARD:3 FRAMES:2+1@2002/512 MARKED:3/1@2002 FRAMES:4+1@2002/512 PROTOCOL TIMER:20000");
    /* Acknowledged, it is kept like any other: the next leader has it first. */
    ack(k, L2, 4);
    CHECK_DID(k, "ACKED:2-4 RELEASE:2-2 RELEASE:4-4");
    env(k, WSS_LINK_ENV_LEADER, L1, 0, 0, 0, 0);
    (void)did(k);
    welcome(k, L1, 1, 0, WSS_LINK_OPEN);
    CHECK_DID(k, "HEARD:3 KEPT@1001:3/1 PROTOCOL TIMER:20000");
    wss_link_free(k);
}

static void a_profile_kept_frame_should_go_first_to_a_new_leader_and_the_change_stay_quiet(void)
{
    wss_link *k = open_link(-1);
    uint32_t i;

    REQUIRE(k != NULL);
    for (i = 0; i < 4; i++)
        send(k, 10);
    wss_link_flush(k, clock_ms);
    /* Kept and acked in one envelope: the notes come first. */
    {
        uint32_t k_notes[] = {TAB, 1, 7, OTHER, 2, 9, TAB, 3, 8};
        uint32_t a_notes[] = {TAB, 3};

        env(k, WSS_LINK_ENV_ACK, L1, 0, 0, 0, 0);
        CHECK_DID(k, "HEARD:3");
        notes(k, WSS_LINK_NOTES_KEEP, k_notes, 9);
        CHECK_DID(k, "");
        notes(k, WSS_LINK_NOTES_ACK, a_notes, 2);
        CHECK_DID(k, "ACKED:1-3 RELEASE:2-2");
    }
    /* A mark changes; a note for a frame long gone is no news. */
    keep(k, L1, 3, 11);
    keep(k, L1, 2, 5);
    CHECK_DID(k, "");
    /* The change of leader is the profile's to hide: no reconnecting, no close. */
    env(k, WSS_LINK_ENV_LEADER, L2, 0, 0, 0, 0);
    CHECK_DID(k, "HEARD:1 LEADERCHANGE:0 "
                 "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":4,\"last\":4,\"p\":4,\"l\":2002} "
                 "TIMER:1000");
    welcome(k, L2, 1, 0, WSS_LINK_OPEN);
    CHECK_DID(k, "HEARD:3 KEPT@2002:1/7,3/11 FRAMES:4+1@2002/512 PROTOCOL TIMER:20000");
    /* A second welcome of the same leader sends them not again. */
    welcome(k, L2, 1, 0, 0);
    CHECK_DID(k, "HEARD:3 FRAMES:4+1@2002/512");
    /* Forgotten: its payload goes; one not kept is no news. */
    {
        uint32_t x_notes[] = {TAB, 1, TAB, 2};

        env(k, WSS_LINK_ENV_ACK, L2, 0, 0, 0, 0);
        notes(k, WSS_LINK_NOTES_FORGET, x_notes, 4);
        CHECK_DID(k, "RELEASE:1-1");
    }
    /* Marked while unacknowledged, forgotten before the ack: released at it. */
    keep(k, L2, 4, 1);
    {
        uint32_t x_notes[] = {TAB, 4};

        env(k, WSS_LINK_ENV_ACK, L2, 0, 0, 0, 0);
        notes(k, WSS_LINK_NOTES_FORGET, x_notes, 2);
        CHECK_DID(k, "");
    }
    ack(k, L2, 4);
    CHECK_DID(k, "ACKED:4-4 RELEASE:4-4");
    /* A beat of the leader followed is heard; one of another leader is not. */
    CHECK_EQ(env(k, 0, L2, 0, 0, 0, 0), WSS_OK);
    CHECK_DID(k, "HEARD:3");
    CHECK_EQ(env(k, 0, L1, 0, 0, 0, 0), WSS_EREJECT);
    CHECK_DID(k, "");
    /* Its reconnects are the profile's too: the leader's are not told. */
    env(k, WSS_LINK_ENV_RECONNECTING, L2, 0, 2, 500, 0);
    CHECK_DID(k, "HEARD:3");
    wss_link_free(k);
}

static void notes_beyond_the_bound_should_be_said_and_close_the_socket_at_the_next_leader(void)
{
    wss_link *k = open_link(-1);
    uint32_t i;

    REQUIRE(k != NULL);
    for (i = 0; i < 70; i++)
        send(k, 1);
    wss_link_flush(k, clock_ms);
    for (i = 1; i <= 64; i++)
        keep(k, L1, i, i);
    CHECK_DID(k, "");
    keep(k, L1, 65, 1);
    CHECK_DID(k, "ERROR:3:64");
    keep(k, L1, 66, 1);
    CHECK_DID(k, "");
    /* A mark for a frame kept already is not a new note. */
    keep(k, L1, 64, 99);
    CHECK_DID(k, "");
    ack(k, L1, 70);
    CHECK_DID(k, "ACKED:1-70 RELEASE:65-70");
    /* Quiet as the profile made it, the tab cannot resume without frame 65. */
    env(k, WSS_LINK_ENV_LEADER, L2, 0, 0, 0, 0);
    CHECK_DID(k, "HEARD:1 LEADERCHANGE:0 ERROR:0 CLOSE:1006/0 TIMER:off");
    wss_link_free(k);
}

static void server_frames_should_be_taken_once_in_order_and_for_this_tab(void)
{
    wss_link *k = wss_link_new(TAB, -1);
    uint32_t *w = wss_link_scratch();

    REQUIRE(k != NULL);
    clock_ms = 0;
    wss_link_hello(k, clock_ms);
    /* Before the open nothing is taken: the welcome says where to start. */
    welcome(k, L1, 5, 0, 0);
    CHECK_EQ(wss_link_frames(k, L1, 5, 2, 0, clock_ms), WSS_EREJECT);
    CHECK_DID(k, "HEARD:3");
    env(k, WSS_LINK_ENV_OPEN, L1, 0, 0, 0, 0);
    CHECK_EQ(wss_link_frames(k, L1, 5, 3, 0, clock_ms), WSS_OK);
    CHECK_DID(k, "HEARD:3 DELIVER:0+3");
    /* A duplicate is dropped; the new part of an overlapping post is taken. */
    wss_link_frames(k, L1, 6, 4, 0, clock_ms);
    CHECK_DID(k, "HEARD:3 DELIVER:2+2");
    /* A post after a gap is dropped whole; a later one fills it. */
    CHECK_EQ(wss_link_frames(k, L1, 11, 1, 0, clock_ms), WSS_EREJECT);
    CHECK_DID(k, "HEARD:3");
    wss_link_frames(k, L1, 10, 2, 0, clock_ms);
    CHECK_DID(k, "HEARD:3 DELIVER:0+2");
    /* Frames for other tabs are counted, not delivered. */
    w[0] = 0;
    w[1] = TAB;
    w[2] = OTHER;
    w[3] = 0;
    w[4] = OTHER;
    wss_link_frames(k, L1, 12, 5, 1, clock_ms);
    CHECK_DID(k, "HEARD:3 DELIVER:0+2 DELIVER:3+1");
    wss_link_frames(k, L1, 17, 1, 0, clock_ms);
    CHECK_DID(k, "HEARD:3 DELIVER:0+1");
    /* Another leader's frames are not heard. */
    CHECK_EQ(wss_link_frames(k, L2, 18, 1, 0, clock_ms), WSS_EREJECT);
    CHECK_DID(k, "");
    CHECK_EQ(wss_link_frames(k, L1, 18, WSS_LINK_SCRATCH + 1, 0, clock_ms), WSS_EREJECT);
    wss_link_free(k);
}

static void timers_should_retry_the_hello_ping_and_give_up_on_bye_and_stats(void)
{
    wss_link *k = wss_link_new(TAB, -1);
    uint32_t i;

    REQUIRE(k != NULL);
    clock_ms = 100;
    wss_link_hello(k, clock_ms);
    CHECK_DID(k, "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":0,\"p\":0,\"l\":0} TIMER:1000");
    clock_ms = 1099;
    wss_link_tick(k, clock_ms); /* early: a timer fires late, never early, but a host may */
    CHECK_DID(k, "TIMER:1");
    clock_ms = 1100;
    wss_link_tick(k, clock_ms);
    CHECK_DID(k, "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":0,\"p\":0,\"l\":0} TIMER:1000");
    clock_ms = 1500;
    welcome(k, L1, 1, 0, WSS_LINK_OPEN);
    CHECK_DID(k, "HEARD:3 PROTOCOL OPEN TIMER:20000");
    /* Stats: at most WSS_LINK_STATS out; each settles by its answer or in 2 s. */
    for (i = 1; i <= 8; i++)
        CHECK_EQ(wss_link_stats(k, clock_ms), i);
    CHECK_EQ(wss_link_stats(k, clock_ms), 0);
    env(k, WSS_LINK_ENV_STATS, L1, TAB, 3, 0, 0);
    CHECK_DID(k, "HEARD:3 STATS:3/1");
    env(k, WSS_LINK_ENV_STATS, L1, TAB, 3, 0, 0);
    CHECK_DID(k, "HEARD:3");
    clock_ms = 3500;
    wss_link_tick(k, clock_ms);
    CHECK_DID(k, "STATS:1/0 STATS:2/0 STATS:4/0 STATS:5/0 STATS:6/0 STATS:7/0 STATS:8/0 TIMER:18000");
    clock_ms = 21500;
    wss_link_tick(k, clock_ms);
    CHECK_DID(k, "POST:{\"v\":1,\"t\":\"ping\",\"tab\":501,\"l\":1001} TIMER:20000");
    /* A page held up for a minute pings once, then on its beat. */
    clock_ms = 81500;
    wss_link_tick(k, clock_ms);
    CHECK_DID(k, "POST:{\"v\":1,\"t\":\"ping\",\"tab\":501,\"l\":1001} TIMER:20000");
    /* close(): the goodbye, then the close after 1 s without the leader's word. */
    CHECK_EQ(wss_link_close(k, 4000, clock_ms), WSS_OK);
    CHECK_DID(k, "POST:{\"v\":1,\"t\":\"bye\",\"tab\":501} TIMER:1000");
    CHECK_EQ(wss_link_state(k), 2);
    CHECK_EQ(wss_link_close(k, 4000, clock_ms), WSS_EREJECT);
    CHECK_EQ(send(k, 3), 0);
    CHECK_DID(k, "COUNT:3");
    clock_ms = 82500;
    wss_link_tick(k, clock_ms);
    CHECK_DID(k, "CLOSE:4000/3");
    wss_link_free(k);
}

static void close_should_end_at_the_leaders_gone_or_fail_before_the_open(void)
{
    wss_link *k = open_link(-1);

    REQUIRE(k != NULL);
    send(k, 10);
    wss_link_close(k, 0, clock_ms);
    CHECK_DID(k, "FRAMES:1+1@1001/512 POST:{\"v\":1,\"t\":\"bye\",\"tab\":501} TIMER:1000");
    env(k, WSS_LINK_ENV_GONE, L1, OTHER, 0, 0, 0);
    CHECK_DID(k, "HEARD:3");
    env(k, WSS_LINK_ENV_GONE, L1, TAB, 0, 0, 0);
    CHECK_DID(k, "HEARD:3 CLOSE:1005/3 TIMER:off");
    wss_link_free(k);
    /* Before the open: like the browser, an error and 1006, in a task of its own. */
    k = wss_link_new(TAB, -1);
    REQUIRE(k != NULL);
    clock_ms = 50;
    wss_link_hello(k, clock_ms);
    welcome(k, L1, 1, 0, 0);
    CHECK_EQ(wss_link_close(k, 0, clock_ms), WSS_OK);
    CHECK_DID(k, "TIMER:0");
    CHECK_EQ(wss_link_state(k), 2);
    wss_link_tick(k, clock_ms);
    CHECK_DID(k, "POST:{\"v\":1,\"t\":\"bye\",\"tab\":501} ERROR:0 CLOSE:1006/0");
    wss_link_free(k);
}

static void the_leaders_close_should_close_the_tab_it_names_or_every_tab(void)
{
    wss_link *k = open_link(-1);

    REQUIRE(k != NULL);
    CHECK_EQ(wss_link_stats(k, clock_ms), 1);
    env(k, WSS_LINK_ENV_CLOSE, L1, OTHER, 4001, 0, 0);
    CHECK_DID(k, "HEARD:3");
    env(k, WSS_LINK_ENV_ERROR, L1, TAB, 0, 0, 0);
    CHECK_DID(k, "HEARD:3 ERROR:2");
    send(k, 1);
    env(k, WSS_LINK_ENV_CLOSE, L1, 0, 1011, 0, 0);
    CHECK_DID(k, "HEARD:3 FRAMES:1+1@1001/512 ERROR:0 STATS:1/0 CLOSE:1011/4 TIMER:off");
    wss_link_free(k);
    k = open_link(-1);
    REQUIRE(k != NULL);
    env(k, WSS_LINK_ENV_CLOSE, L1, TAB, 1000, 0, WSS_LINK_CLEAN);
    CHECK_DID(k, "HEARD:3 CLOSE:1000/5 TIMER:off");
    wss_link_free(k);
}

static void the_leaders_reconnects_should_be_told_and_its_open_end_them(void)
{
    wss_link *k = open_link(-1);

    REQUIRE(k != NULL);
    env(k, WSS_LINK_ENV_RECONNECTING, L1, 0, 2, 750, 0);
    CHECK_DID(k, "HEARD:3 RECONNECTING:2/750");
    env(k, WSS_LINK_ENV_OPEN, L1, 0, 0, 0, 0);
    CHECK_DID(k, "HEARD:3 PROTOCOL OPEN");
    /* An open with no reconnect before it fires nothing. */
    env(k, WSS_LINK_ENV_OPEN, L1, 0, 0, 0, 0);
    CHECK_DID(k, "HEARD:3 PROTOCOL");
    wss_link_free(k);
    /* Before the first open, the leader's retries are told too. */
    k = wss_link_new(TAB, -1);
    REQUIRE(k != NULL);
    wss_link_hello(k, clock_ms);
    welcome(k, L1, 1, 0, 0);
    env(k, WSS_LINK_ENV_RECONNECTING, L1, 0, 1, 100, 0);
    CHECK_DID(k, "HEARD:3 RECONNECTING:1/100");
    wss_link_free(k);
}

/* The resign a closing page posts for its candidate (written by the link,
 * which has no cJSON) is the very text the candidate's election writes
 * (election.c): byte for byte, so every reader of one reads the other. */
static void a_page_should_resign_with_the_text_its_candidate_writes(void)
{
    wss_elect *e = NULL;
    wss_link *k;
    const wss_action *a;
    const char *link_text = NULL, *elect_text = NULL;
    uint32_t i, n = 0, term;
    double t = 0;

    REQUIRE(wss_elect_create(&e, TAB, NULL, 0) == WSS_OK);
    CHECK_EQ(wss_elect_start(e, 1, t), WSS_OK);
    while (wss_elect_role(e) != WSS_ELECT_LEADING && t < 60000) {
        t += 100;
        wss_elect_tick(e, t);
    }
    REQUIRE(wss_elect_role(e) == WSS_ELECT_LEADING);
    term = wss_elect_term(e);
    CHECK_EQ(wss_elect_resign(e, t), WSS_OK);
    a = wss_elect_actions(e, &n);
    for (i = 0; i < n; i++)
        if (a[i].kind == WSS_ACT_ELECT_POST)
            elect_text = a[i].text;
    REQUIRE(elect_text != NULL);
    k = wss_link_new(TAB, -1);
    REQUIRE(k != NULL);
    CHECK_EQ(wss_link_role(k, TAB, term, t), WSS_OK);
    a = wss_link_actions(k, &n);
    for (i = 0; i < n; i++)
        if (a[i].kind == WSS_ACT_LINK_FAREWELL && a[i].b)
            link_text = a[i].text;
    CHECK(link_text != NULL);
    if (link_text != NULL)
        CHECK_STR(link_text, elect_text);
    wss_link_free(k);
    wss_elect_destroy(e);
}

static void an_elected_tab_should_know_it_leads_and_resign_on_pagehide(void)
{
    wss_link *k = open_link(-1);

    REQUIRE(k != NULL);
    CHECK_EQ(wss_link_is_leader(k), 0);
    wss_link_role(k, L1, 3, clock_ms);
    CHECK_DID(k, "EBUS:1 LEADERCHANGE:1");
    CHECK_EQ(wss_link_is_leader(k), 1);
    wss_link_role(k, 0, 3, clock_ms);
    CHECK_DID(k, "EBUS:0 LEADERCHANGE:0");
    wss_link_pagehide(k, 1, clock_ms);
    CHECK_DID(k, ""); /* the goodbye was the farewell, posted by the host */
    /* Back from the back/forward cache: closed, as a plain socket would be. */
    wss_link_pageshow(k, 1, clock_ms);
    CHECK_DID(k, "ERROR:0 CLOSE:1006/0 TIMER:off");
    wss_link_free(k);
    /* Web Locks: the leader it runs is announced on the bus first. */
    k = wss_link_new(TAB, -1);
    REQUIRE(k != NULL);
    wss_link_lead(k, L2);
    env(k, WSS_LINK_ENV_LEADER, L2, 0, 0, 0, 0);
    CHECK_DID(k, "HEARD:1 LEADERCHANGE:1 "
                 "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":0,\"p\":0,\"l\":2002} "
                 "TIMER:1000");
    CHECK_EQ(wss_link_is_leader(k), 1);
    /* Not welcomed yet: no goodbye is owed. */
    wss_link_pagehide(k, 0, clock_ms);
    CHECK_DID(k, "");
    wss_link_free(k);
}

static void the_farewell_should_be_ready_when_nothing_waits_and_never_overtake_frames(void)
{
    wss_link *k = wss_link_new(TAB, -1);

    REQUIRE(k != NULL);
    show_farewell = 1;
    clock_ms = 0;
    wss_link_hello(k, clock_ms);
    CHECK_DID(k, "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":0,\"p\":0,\"l\":0} TIMER:1000");
    welcome(k, L1, 1, 0, WSS_LINK_OPEN);
    CHECK_DID(k, "HEARD:3 PROTOCOL OPEN TIMER:20000 FAREWELL1:{\"v\":1,\"t\":\"bye\",\"tab\":501}");
    /* A frame waits for its post: a goodbye now would overtake it. */
    send(k, 1);
    CHECK_DID(k, "COUNT:1 FLUSH FAREWELL1:off");
    /* The page goes before the microtask: the frame, then the goodbye. */
    wss_link_pagehide(k, 0, clock_ms);
    CHECK_DID(k, "FRAMES:1+1@1001/512 POST:{\"v\":1,\"t\":\"bye\",\"tab\":501}");
    wss_link_free(k);
    /* Welcomed and nothing waiting: the farewell is all there is to post. */
    k = open_link(-1);
    REQUIRE(k != NULL);
    send(k, 1);
    wss_link_flush(k, clock_ms);
    CHECK_DID(k, "FRAMES:1+1@1001/512 FAREWELL1:{\"v\":1,\"t\":\"bye\",\"tab\":501}");
    wss_link_pagehide(k, 0, clock_ms);
    CHECK_DID(k, "FAREWELL1:off");
    /* Not welcomed (a leader change): no goodbye is owed. */
    wss_link_free(k);
    k = open_link(-1);
    REQUIRE(k != NULL);
    env(k, WSS_LINK_ENV_OPEN, L1, 0, 0, 0, WSS_LINK_RESUME);
    env(k, WSS_LINK_ENV_LEADER, L2, 0, 0, 0, 0);
    CHECK_DID(k, "HEARD:1 LEADERCHANGE:0 RECONNECTING:1/0 "
                 "POST:{\"v\":1,\"t\":\"hello\",\"tab\":501,\"next\":1,\"last\":0,\"p\":0,\"l\":2002} "
                 "TIMER:1000 FAREWELL1:off");
    show_farewell = 0;
    wss_link_free(k);
}

static void leaving_for_a_socket_of_its_own_should_carry_the_unacknowledged(void)
{
    wss_link *k = open_link(-1);
    uint32_t i;

    REQUIRE(k != NULL);
    for (i = 0; i < 6; i++)
        send(k, 1);
    wss_link_flush(k, clock_ms);
    ack(k, L1, 2);
    send(k, 1);
    wss_link_leave(k, clock_ms);
    CHECK_DID(k, "FRAMES:7+1@1001/512 POST:{\"v\":1,\"t\":\"bye\",\"tab\":501}");
    CHECK_EQ(wss_link_unacked(k), 3);
    CHECK_EQ(wss_link_next(k), 8);
    CHECK_EQ(wss_link_state(k), 1);
    wss_link_free(k);
}

static void the_pool_should_hold_256_links_and_refuse_tab_zero(void)
{
    static wss_link *all[257];
    uint32_t i, made = 0;

    CHECK(wss_link_new(0, -1) == NULL);
    for (i = 0; i < 257; i++) {
        all[i] = wss_link_new(i + 1, -1);
        made += all[i] != NULL;
    }
    CHECK_EQ(made, 256);
    CHECK(all[256] == NULL);
    wss_link_free(all[0]);
    all[0] = wss_link_new(9, -1);
    CHECK(all[0] != NULL);
    for (i = 0; i < 256; i++)
        wss_link_free(all[i]);
    CHECK_EQ(wss_link_state(NULL), 3);
    CHECK_EQ(wss_link_hello(NULL, 0), WSS_EINVAL);
}

/* The leader an action of `kind` (its farewell `which`, for FAREWELL) is
 * addressed to, in the last call's actions; UINT32_MAX where there is none. */
/* Every post after the welcome names the leader it is for, so that the host
 * sends it by a road of that leader's own (its worker's port, or the channel
 * the leader opened for this tab as it welcomed it) and no other tab gets a
 * copy; the hello names none (0), and the bus carries it. */
static void posts_should_name_the_leader_they_are_for(void)
{
    wss_link *k = wss_link_new(TAB, -1);

    REQUIRE(k != NULL);
    clock_ms = 0;
    wss_link_hello(k, clock_ms);
    CHECK_EQ(addressed(k, WSS_ACT_LINK_POST, 0), 0);
    welcome(k, L1, 1, 0, WSS_LINK_OPEN | WSS_LINK_RESUME);
    /* Nothing unacknowledged: the goodbye a closing page posts goes on the
     * bus, which every engine delivers from a page that goes. */
    CHECK_EQ(addressed(k, WSS_ACT_LINK_FAREWELL, 1), 0);
    wss_link_stats(k, clock_ms);
    CHECK_EQ(addressed(k, WSS_ACT_LINK_POST, 0), L1);
    clock_ms = 20000;
    wss_link_tick(k, clock_ms);
    CHECK_EQ(addressed(k, WSS_ACT_LINK_POST, 0), L1); /* the ping */
    send(k, 1);
    wss_link_flush(k, clock_ms);
    CHECK_EQ(addressed(k, WSS_ACT_LINK_POST_FRAMES, 0), L1);
    /* A frame in flight on the leader's port: the goodbye follows it there. */
    CHECK_EQ(addressed(k, WSS_ACT_LINK_FAREWELL, 1), L1);
    /* Acknowledged: the bus again. */
    ack(k, L1, 1);
    CHECK_EQ(addressed(k, WSS_ACT_LINK_FAREWELL, 1), 0);
    send(k, 1);
    wss_link_flush(k, clock_ms);
    /* A new leader: the hello, the re-sends and the goodbye are for it. */
    env(k, WSS_LINK_ENV_LEADER, L2, 0, 0, 0, 0);
    /* The hello goes on the bus, L2 opening this tab's road only as it
     * welcomes it; so do the unacknowledged frames right behind it, named
     * for L2. */
    CHECK_EQ(addressed(k, WSS_ACT_LINK_POST, 0), 0);
    CHECK_EQ(addressed(k, WSS_ACT_LINK_POST_FRAMES, 0), L2);
    CHECK_EQ(by_bus(k), 1);
    welcome(k, L2, 1, 0, WSS_LINK_OPEN | WSS_LINK_RESUME);
    CHECK_EQ(addressed(k, WSS_ACT_LINK_FAREWELL, 1), L2);
    /* Welcomed: by L2's road. */
    send(k, 1);
    wss_link_flush(k, clock_ms);
    CHECK_EQ(addressed(k, WSS_ACT_LINK_POST_FRAMES, 0), L2);
    CHECK_EQ(by_bus(k), 0);
    /* The resignation goes on the election channel, to no leader. */
    wss_link_role(k, 9u, 1u, clock_ms);
    CHECK_EQ(addressed(k, WSS_ACT_LINK_FAREWELL, 2), 0);
    wss_link_free(k);
}

const test_case link_tests[] = {
    TEST_CASE(envelopes_should_be_written_as_the_bus_had_them),
    TEST_CASE(frames_should_be_numbered_from_one_and_posted_together_once_welcomed),
    TEST_CASE(a_batch_should_go_at_once_at_512_frames_or_256_kib),
    TEST_CASE(a_message_over_max_message_bytes_should_be_an_error_and_not_numbered),
    TEST_CASE(acks_should_release_frames_and_let_buffered_amount_go),
    TEST_CASE(a_new_leader_should_get_a_hello_then_every_unacknowledged_frame),
    TEST_CASE(a_live_tab_the_leader_let_go_should_say_hello_and_send_again),
    TEST_CASE(frames_behind_a_hello_should_go_once_and_only_to_that_leader),
    TEST_CASE(a_tab_without_reconnect_should_close_with_its_leader),
    TEST_CASE(a_profile_kept_frame_should_go_first_to_a_new_leader_and_the_change_stay_quiet),
    TEST_CASE(a_frame_marked_while_unacknowledged_should_go_again_alone_with_its_mark),
    TEST_CASE(notes_beyond_the_bound_should_be_said_and_close_the_socket_at_the_next_leader),
    TEST_CASE(server_frames_should_be_taken_once_in_order_and_for_this_tab),
    TEST_CASE(timers_should_retry_the_hello_ping_and_give_up_on_bye_and_stats),
    TEST_CASE(close_should_end_at_the_leaders_gone_or_fail_before_the_open),
    TEST_CASE(the_leaders_close_should_close_the_tab_it_names_or_every_tab),
    TEST_CASE(the_leaders_reconnects_should_be_told_and_its_open_end_them),
    TEST_CASE(a_page_should_resign_with_the_text_its_candidate_writes),
    TEST_CASE(an_elected_tab_should_know_it_leads_and_resign_on_pagehide),
    TEST_CASE(the_farewell_should_be_ready_when_nothing_waits_and_never_overtake_frames),
    TEST_CASE(posts_should_name_the_leader_they_are_for),
    TEST_CASE(leaving_for_a_socket_of_its_own_should_carry_the_unacknowledged),
    TEST_CASE(the_pool_should_hold_256_links_and_refuse_tab_zero),
    TEST_END,
};
