/*
 * The STOMP profile inside the core: @stomp/stompjs clients in several tabs
 * on one connection, as a broker sees them. The broker hears one CONNECT, one
 * SUBSCRIBE per kind of subscription and the UNSUBSCRIBE when its last tab
 * leaves; each tab hears its CONNECTED, its messages under its own
 * subscription ids and its own receipts; a new connection or a new leader
 * changes nothing the tabs can see, and what was in flight gets an ERROR.
 */
#include <stdio.h>

#include "harness.h"

#define CONFIG "{\"protocols\":[\"v12.stomp\",\"v11.stomp\",\"v10.stomp\"]}"
/* Frames as written, each with its NUL (the log shows them up to it). */
#define TAB(f, t, seq, frame) fx_text_n((f), (t), (seq), frame "\0", sizeof(frame "\0") - 1)
#define SERVER(f, frame) fx_server_text_n((f), frame "\0", sizeof(frame "\0") - 1)
#define RESTORE(f, t, seq, mark, frame) \
    fx_restore_n((f), (t), (seq), (mark), frame "\0", sizeof(frame "\0") - 1)

#define CONNECT_AS(user) \
    "CONNECT\nlogin:" user "\npasscode:" user "\nhost:/\naccept-version:1.2,1.1,1.0\nheart-beat:10000,4000\n\n"
#define CONNECT CONNECT_AS("guest")
/* What the broker hears: the leader sends no heart-beats. */
#define LEADER_CONNECT \
    "CONNECT\nlogin:guest\npasscode:guest\nhost:/\naccept-version:1.2,1.1,1.0\nheart-beat:0,4000\n\n"
#define CONNECTED "CONNECTED\nversion:1.2\nsession:s-1\nheart-beat:3000,3000\n\n"
/* What a tab hears: no beats either way, the broker's being the leader's. */
#define TAB_CONNECTED "CONNECTED\nversion:1.2\nsession:s-1\nheart-beat:0,0\n\n"
#define SUB(id, dest) "SUBSCRIBE\nid:" id "\ndestination:" dest "\n\n"
#define UNSUB(id) "UNSUBSCRIBE\nid:" id "\n\n"
#define MESSAGE(sub, text) \
    "MESSAGE\nsubscription:" sub "\nmessage-id:m-1\ndestination:/topic/a\ncontent-type:text/plain\n\n" text
#define RECEIPT(id) "RECEIPT\nreceipt-id:" id "\n\n"

static int contains(const char *text, const char *part)
{
    return text != NULL && strstr(text, part) != NULL;
}

/* The close post to `tab` in the last call, or NULL. */
static const act *close_of(const fx *f, uint32_t tab)
{
    int i;
    const act *x;

    for (i = 0; (x = fx_post(f, "close", i)) != NULL; i++)
        if (act_num(x, "tab") == (long long)tab)
            return x;
    return NULL;
}

/* n tabs, each with its CONNECTED, on an open socket. */
static void stomp_open(fx *f, uint32_t n)
{
    uint32_t t;

    fx_open(f, CONFIG);
    for (t = 1; t <= n; t++)
        fx_hello(f, t, 1);
    fx_opened(f, "v12.stomp", "");
    fx_flush(f);
    for (t = 1; t <= n; t++) {
        TAB(f, t, 1, CONNECT);
        fx_flush(f);
    }
    SERVER(f, CONNECTED);
    fx_flush(f);
}

static void stomp_should_send_one_connect_and_answer_later_tabs_from_the_cache(void)
{
    fx f;
    cJSON *stats;

    fx_open(&f, CONFIG);
    fx_hello(&f, 1, 1);
    fx_hello(&f, 2, 1);
    fx_opened(&f, "v12.stomp", "");
    fx_flush(&f);
    TAB(&f, 1, 1, CONNECT);
    CHECK_STR(fx_sent(&f), LEADER_CONNECT);
    TAB(&f, 2, 1, CONNECT);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    SERVER(&f, CONNECTED);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), TAB_CONNECTED);
    CHECK_STR(fx_delivered(&f, 2), TAB_CONNECTED);
    /* A later tab has it at once, and the broker hears nothing. */
    fx_hello(&f, 3, 1);
    TAB(&f, 3, 1, CONNECT);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 3), TAB_CONNECTED);
    CHECK_STR(fx_delivered(&f, 1), "");
    /* STOMP's other name for CONNECT, heart-beats aside, says the same. */
    fx_hello(&f, 4, 1);
    TAB(&f, 4, 1, "STOMP\nlogin:guest\npasscode:guest\nhost:/\naccept-version:1.2,1.1,1.0\n\n");
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 4), TAB_CONNECTED);
    stats = fx_stats(&f);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(stats, "protocol")), "stomp");
    cJSON_Delete(stats);
    fx_close(&f);
}

static void stomp_should_be_chosen_by_any_of_its_subprotocols(void)
{
    static const char *const configs[] = {
        "{\"protocols\":[\"v10.stomp\"]}",
        "{\"protocols\":[\"v11.stomp\",\"v10.stomp\"]}",
        "{\"protocols\":[\"x\",\"v12.stomp\"]}",
        "{\"protocol\":\"stomp\"}",
    };
    size_t i;

    for (i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        fx f;
        cJSON *stats;

        fx_open(&f, configs[i]);
        fx_hello(&f, 1, 1);
        fx_opened(&f, "v10.stomp", "");
        TAB(&f, 1, 1, CONNECT);
        stats = fx_stats(&f);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(stats, "protocol")), "stomp");
        cJSON_Delete(stats);
        fx_close(&f);
    }
}

static void stomp_should_close_a_tab_with_other_credentials_alone_never_giving_it_the_session(void)
{
    fx f;
    const act *c;

    stomp_open(&f, 2);
    fx_hello(&f, 3, 1);
    TAB(&f, 3, 1, CONNECT_AS("other"));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    CHECK(!contains(fx_delivered(&f, 3), "CONNECTED"));
    CHECK(contains(fx_delivered(&f, 3), "ERROR\nmessage:"));
    c = close_of(&f, 3);
    CHECK(c != NULL);
    CHECK_EQ(act_num(c, "code"), 4403);
    CHECK(contains(act_str(c, "reason"), "own sharing key"));
    CHECK(close_of(&f, 1) == NULL && close_of(&f, 2) == NULL);
    CHECK_STR(fx_delivered(&f, 1), "");
    /* Before the broker answered, too. */
    fx_close(&f);
    fx_open(&f, CONFIG);
    fx_hello(&f, 1, 1);
    fx_hello(&f, 2, 1);
    fx_opened(&f, "v12.stomp", "");
    TAB(&f, 1, 1, CONNECT);
    TAB(&f, 2, 1, "CONNECT\nlogin:guest\npasscode:wrong\nhost:/\naccept-version:1.2,1.1,1.0\n\n");
    CHECK(close_of(&f, 2) != NULL);
    SERVER(&f, CONNECTED);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), TAB_CONNECTED);
    CHECK_STR(fx_delivered(&f, 2), "");
    fx_close(&f);
}

static void stomp_should_keep_heart_beats_between_the_leader_and_the_broker(void)
{
    fx f;

    stomp_open(&f, 2);
    /* A client that beats anyway (it was told not to): nothing for the broker. */
    fx_text(&f, 1, 2, "\n");
    fx_text(&f, 2, 2, "\r\n");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    /* The broker's beats, asked for by the leader's CONNECT, stop at the leader. */
    fx_server_text(&f, "\n");
    CHECK_EQ(fx_count(&f, WSS_ACT_POST_DATA), 0);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), "");
    /* EOLs between frames are heart-beats too. */
    TAB(&f, 1, 3, "\n\n" SUB("sub-0", "/topic/a"));
    CHECK_STR(fx_sent(&f), SUB("wss-s1", "/topic/a"));
    fx_close(&f);
}

static void stomp_should_subscribe_once_per_kind_and_give_each_tab_its_messages_under_its_own_id(void)
{
    fx f;

    stomp_open(&f, 3);
    TAB(&f, 1, 2, SUB("sub-0", "/topic/a"));
    CHECK_STR(fx_sent(&f), SUB("wss-s1", "/topic/a"));
    TAB(&f, 2, 2, SUB("sub-7", "/topic/a"));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    /* A selector changes what a subscription gets: a subscription of its own. */
    TAB(&f, 3, 2, "SUBSCRIBE\nid:sub-0\ndestination:/topic/a\nselector:x > 1\n\n");
    CHECK_STR(fx_sent(&f), "SUBSCRIBE\nid:wss-s2\ndestination:/topic/a\nselector:x > 1\n\n");
    fx_flush(&f);
    SERVER(&f, MESSAGE("wss-s1", "hello"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), MESSAGE("sub-0", "hello"));
    CHECK_STR(fx_delivered(&f, 2), MESSAGE("sub-7", "hello"));
    CHECK_STR(fx_delivered(&f, 3), "");
    SERVER(&f, MESSAGE("wss-s2", "selected"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 3), MESSAGE("sub-0", "selected"));
    CHECK_STR(fx_delivered(&f, 1), "");
    /* content-length is honoured: a body may hold a NUL. */
    SERVER(&f, "MESSAGE\nsubscription:wss-s1\ncontent-length:3\n\na\0b\0\n");
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "MESSAGE\nsubscription:sub-0\ncontent-length:3\n\na");
    /* Two frames in one message: each told. */
    fx_server_text_n(&f, MESSAGE("wss-s1", "one") "\0\n" MESSAGE("wss-s2", "two") "\0",
                     sizeof(MESSAGE("wss-s1", "one") "\0\n" MESSAGE("wss-s2", "two") "\0") - 1);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), MESSAGE("sub-0", "one"));
    CHECK_STR(fx_delivered(&f, 3), MESSAGE("sub-0", "two"));
    /* A tab's second subscription under an id it uses is refused, as a broker does. */
    TAB(&f, 1, 3, SUB("sub-0", "/topic/b"));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    CHECK(close_of(&f, 1) != NULL);
    fx_close(&f);
}

static void stomp_should_unsubscribe_at_the_broker_when_the_last_tab_leaves_or_goes(void)
{
    fx f;

    stomp_open(&f, 3);
    TAB(&f, 1, 2, SUB("sub-0", "/topic/a"));
    TAB(&f, 2, 2, SUB("sub-0", "/topic/a"));
    TAB(&f, 3, 2, SUB("sub-0", "/topic/a"));
    fx_flush(&f);
    TAB(&f, 1, 3, UNSUB("sub-0"));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_gone(&f, 2);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    SERVER(&f, MESSAGE("wss-s1", "hello"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 3), MESSAGE("sub-0", "hello"));
    fx_gone(&f, 3);
    CHECK_STR(fx_sent(&f), UNSUB("wss-s1"));
    /* The next one asks the broker again, under a new wire id. */
    TAB(&f, 1, 4, SUB("sub-1", "/topic/a"));
    CHECK_STR(fx_sent(&f), SUB("wss-s2", "/topic/a"));
    fx_close(&f);
}

static void stomp_should_keep_each_tabs_receipts_its_own(void)
{
    fx f;

    stomp_open(&f, 2);
    TAB(&f, 1, 2, "SEND\ndestination:/queue/a\nreceipt:r-1\n\nfrom 1");
    CHECK_STR(fx_sent(&f), "SEND\ndestination:/queue/a\nreceipt:wss-r1\n\nfrom 1");
    TAB(&f, 2, 2, "SEND\ndestination:/queue/a\nreceipt:r-1\n\nfrom 2");
    CHECK_STR(fx_sent(&f), "SEND\ndestination:/queue/a\nreceipt:wss-r2\n\nfrom 2");
    /* Without a receipt a SEND goes as it came. */
    TAB(&f, 2, 3, "SEND\ndestination:/queue/a\n\nplain");
    CHECK_STR(fx_sent(&f), "SEND\ndestination:/queue/a\n\nplain");
    SERVER(&f, RECEIPT("wss-r2"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 2), RECEIPT("r-1"));
    CHECK_STR(fx_delivered(&f, 1), "");
    SERVER(&f, RECEIPT("wss-r1"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), RECEIPT("r-1"));
    CHECK_STR(fx_delivered(&f, 2), "");
    /* Answered once: a repeat is nobody's. */
    SERVER(&f, RECEIPT("wss-r1"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    /* A SUBSCRIBE's receipt is the profile's to give, at once. */
    TAB(&f, 1, 3, "SUBSCRIBE\nid:sub-0\ndestination:/topic/a\nreceipt:r-2\n\n");
    CHECK_STR(fx_sent(&f), SUB("wss-s3", "/topic/a"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), RECEIPT("r-2"));
    TAB(&f, 2, 4, "SUBSCRIBE\nid:sub-0\ndestination:/topic/a\nreceipt:r-2\n\n");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 2), RECEIPT("r-2"));
    /* An ERROR about a tab's frame is that tab's. */
    TAB(&f, 1, 4, "SEND\ndestination:/queue/a\nreceipt:r-3\n\nbad");
    SERVER(&f, "ERROR\nmessage:no\nreceipt-id:wss-r4\n\n");
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "ERROR\nmessage:no\nreceipt-id:r-3\n\n");
    CHECK_STR(fx_delivered(&f, 2), "");
    fx_close(&f);
}

static void stomp_should_remap_transactions_and_never_send_one_it_does_not_know(void)
{
    fx f;

    stomp_open(&f, 2);
    TAB(&f, 1, 2, "BEGIN\ntransaction:tx-0\n\n");
    CHECK_STR(fx_sent(&f), "BEGIN\ntransaction:wss-t1\n\n");
    TAB(&f, 2, 2, "BEGIN\ntransaction:tx-0\n\n");
    CHECK_STR(fx_sent(&f), "BEGIN\ntransaction:wss-t2\n\n");
    TAB(&f, 2, 3, "SEND\ndestination:/queue/a\ntransaction:tx-0\n\nin 2");
    CHECK_STR(fx_sent(&f), "SEND\ndestination:/queue/a\ntransaction:wss-t2\n\nin 2");
    TAB(&f, 2, 4, "COMMIT\ntransaction:tx-0\n\n");
    CHECK_STR(fx_sent(&f), "COMMIT\ntransaction:wss-t2\n\n");
    TAB(&f, 2, 5, "COMMIT\ntransaction:tx-0\n\n");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 2), "ERROR\nmessage:wsshare - no such transaction"));
    /* A tab that goes leaves no transaction open at the broker. */
    fx_gone(&f, 1);
    CHECK_STR(fx_sent(&f), "ABORT\ntransaction:wss-t1\n\n");
    fx_close(&f);
}

static void stomp_should_refuse_what_cannot_be_shared_or_read_closing_that_tab_alone(void)
{
    static const char *const frames[] = {
        "SUBSCRIBE\nid:sub-0\ndestination:/queue/a\nack:client\n\n",
        "SUBSCRIBE\nid:sub-0\ndestination:/queue/a\nack:client-individual\n\n",
        "ACK\nid:m-1\n\n",
        "NACK\nid:m-1\n\n",
        "SUBSCRIBE\ndestination:/queue/a\n\n",
        "FLY\n\n",
        "SEND\ndestination:/queue/a\n\nno NUL",
        "SEND\ndestination:/queue/a\ncontent-length:9\n\nshort",
    };
    size_t i;

    for (i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        fx f;
        const act *c;
        /* With its NUL but the one that lacks it on purpose. */
        size_t len = strlen(frames[i]) + (i == 6 ? 0 : 1);

        stomp_open(&f, 2);
        fx_text_n(&f, 1, 2, frames[i], len);
        CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
        CHECK(contains(fx_delivered(&f, 1), "ERROR\nmessage:wsshare - "));
        c = close_of(&f, 1);
        CHECK(c != NULL && act_num(c, "code") == 4400);
        CHECK(close_of(&f, 2) == NULL);
        /* An explicit auto acknowledgement is what sharing does. */
        TAB(&f, 2, 2, "SUBSCRIBE\nid:sub-0\ndestination:/queue/a\nack:auto\n\n");
        CHECK_STR(fx_sent(&f), "SUBSCRIBE\nid:wss-s1\ndestination:/queue/a\nack:auto\n\n");
        fx_close(&f);
    }
}

static void stomp_should_detach_only_the_tab_that_disconnects(void)
{
    fx f;

    stomp_open(&f, 2);
    TAB(&f, 1, 2, SUB("sub-0", "/topic/a"));
    TAB(&f, 1, 3, SUB("sub-1", "/topic/b"));
    TAB(&f, 2, 2, SUB("sub-0", "/topic/a"));
    fx_flush(&f);
    TAB(&f, 1, 4, "DISCONNECT\nreceipt:close-2\n\n");
    CHECK_STR(fx_sent(&f), UNSUB("wss-s2"));
    CHECK(fx_post(&f, "close", 0) == NULL);
    CHECK_EQ(fx_count(&f, WSS_ACT_CLOSE), 0);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), RECEIPT("close-2"));
    SERVER(&f, MESSAGE("wss-s1", "still"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 2), MESSAGE("sub-0", "still"));
    CHECK_STR(fx_delivered(&f, 1), "");
    /* It may connect again, from the cache. */
    TAB(&f, 1, 5, CONNECT);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), TAB_CONNECTED);
    fx_close(&f);
}

static void stomp_should_resume_on_a_new_connection_unseen_and_error_what_was_in_flight(void)
{
    fx f;

    stomp_open(&f, 3);
    TAB(&f, 1, 2, SUB("sub-0", "/topic/a"));
    TAB(&f, 2, 2, SUB("sub-0", "/topic/b"));
    TAB(&f, 2, 3, "SEND\ndestination:/queue/a\nreceipt:r-9\n\npay");
    TAB(&f, 3, 2, "BEGIN\ntransaction:tx-0\n\n");
    fx_flush(&f);
    fx_closed(&f, 1006, "", 0);
    CHECK(fx_post(&f, "close", 0) == NULL);
    CHECK(contains(fx_delivered(&f, 2), "receipt-id:r-9"));
    CHECK(contains(fx_delivered(&f, 3), "transaction was lost"));
    CHECK_STR(fx_delivered(&f, 1), "");
    /* Meanwhile a SEND is not held for later: it gets its ERROR. */
    TAB(&f, 1, 3, "SEND\ndestination:/queue/a\nreceipt:r-1\n\nlate");
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 1), "ERROR\nmessage:wsshare - no session"));
    CHECK(contains(fx_delivered(&f, 1), "receipt-id:r-1"));
    /* A subscription made meanwhile waits for the session. */
    TAB(&f, 3, 3, SUB("sub-1", "/topic/a"));
    fx_advance(&f, 60000);
    fx_tick(&f);
    fx_opened(&f, "v12.stomp", "");
    CHECK_STR(fx_sent(&f), LEADER_CONNECT);
    SERVER(&f, "CONNECTED\nversion:1.2\nsession:s-2\nheart-beat:9000,9000\n\n");
    CHECK_STR(fx_sent(&f), SUB("wss-s1", "/topic/a") "\n" SUB("wss-s2", "/topic/b"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), "");
    CHECK_STR(fx_delivered(&f, 3), "");
    SERVER(&f, MESSAGE("wss-s1", "back"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), MESSAGE("sub-0", "back"));
    CHECK_STR(fx_delivered(&f, 3), MESSAGE("sub-1", "back"));
    /* The lost transaction is not the broker's: its COMMIT is not sent. */
    TAB(&f, 3, 4, "COMMIT\ntransaction:tx-0\n\n");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_close(&f);
}

static void stomp_should_close_every_tab_when_the_broker_refuses_the_connect(void)
{
    fx f;

    fx_open(&f, CONFIG);
    fx_hello(&f, 1, 1);
    fx_hello(&f, 2, 1);
    fx_opened(&f, "v12.stomp", "");
    TAB(&f, 1, 1, CONNECT);
    TAB(&f, 2, 1, CONNECT);
    SERVER(&f, "ERROR\nmessage:Access refused\n\n");
    CHECK(contains(fx_delivered(&f, 1), "Access refused"));
    CHECK(contains(fx_delivered(&f, 2), "Access refused"));
    CHECK(close_of(&f, 1) != NULL && close_of(&f, 2) != NULL);
    /* The next tab's CONNECT is the broker's to judge again, on the next
     * connection: a broker closes its end after an ERROR. */
    fx_hello(&f, 3, 1);
    TAB(&f, 3, 1, CONNECT_AS("other"));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_closed(&f, 1002, "", 1);
    fx_advance(&f, 60000);
    fx_tick(&f);
    fx_opened(&f, "v12.stomp", "");
    CHECK_STR(fx_sent(&f), "CONNECT\nlogin:other\npasscode:other\nhost:/\naccept-version:1.2,1.1,1.0\n"
                           "heart-beat:0,4000\n\n");
    fx_close(&f);
}

static void stomp_should_rebuild_a_new_leaders_session_from_what_the_tabs_kept(void)
{
    fx f;

    fx_open(&f, CONFIG);
    fx_hello(&f, 1, 1);
    fx_hello(&f, 2, 1);
    fx_hello(&f, 3, 1);
    fx_opened(&f, "v12.stomp", "");
    /* Tab 1 had its CONNECTED (mark 1); tab 2 had not. */
    RESTORE(&f, 1, 1, 1, CONNECT);
    CHECK_STR(fx_sent(&f), LEADER_CONNECT);
    RESTORE(&f, 1, 2, 0, SUB("sub-0", "/topic/a"));
    RESTORE(&f, 2, 1, 0, CONNECT);
    RESTORE(&f, 3, 1, 1, CONNECT);
    /* Kept, so answered: its receipt is not given twice. */
    RESTORE(&f, 3, 2, 1, "SUBSCRIBE\nid:sub-4\ndestination:/topic/a\nreceipt:r-0\n\n");
    /* In flight at the last leader: never sent again. */
    RESTORE(&f, 3, 3, 0, "SEND\ndestination:/queue/a\nreceipt:r-1\n\npay");
    RESTORE(&f, 1, 3, 0, "BEGIN\ntransaction:tx-1\n\n");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 3), "receipt-id:r-1"));
    CHECK(!contains(fx_delivered(&f, 3), "RECEIPT\n"));
    CHECK(contains(fx_delivered(&f, 1), "transaction was lost"));
    SERVER(&f, CONNECTED);
    CHECK_STR(fx_sent(&f), SUB("wss-s1", "/topic/a"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), TAB_CONNECTED);
    CHECK_STR(fx_delivered(&f, 3), "");
    SERVER(&f, MESSAGE("wss-s1", "again"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), MESSAGE("sub-0", "again"));
    CHECK_STR(fx_delivered(&f, 3), MESSAGE("sub-4", "again"));
    /* A SEND without a receipt an earlier leader may have sent: not sent again. */
    RESTORE(&f, 1, 4, 0, "SEND\ndestination:/queue/a\n\nmaybe");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_close(&f);
}

/* Every step of a session, and what the broker and each tab saw of it. */
static void session(fx *f, int k, long n, char *log, size_t cap)
{
    int step;
    size_t used = 0;

    fx_open(f, CONFIG);
    for (step = 0; step < 16; step++) {
        int tries = 0;

        do {
            if (step == k && tries == 0)
                fa_arm(n, 0);
            switch (step) {
            case 0: fx_hello(f, 1, 1); fx_hello(f, 2, 1); fx_opened(f, "v12.stomp", ""); break;
            case 1: TAB(f, 1, 1, CONNECT); break;
            case 2: TAB(f, 2, 1, CONNECT); break;
            case 3: SERVER(f, CONNECTED); break;
            case 4: TAB(f, 1, 2, SUB("sub-0", "/topic/a")); break;
            case 5: TAB(f, 2, 2, SUB("sub-3", "/topic/a")); break;
            case 6: TAB(f, 2, 3, "SEND\ndestination:/queue/a\nreceipt:r-1\n\nx"); break;
            case 7: TAB(f, 1, 3, "BEGIN\ntransaction:tx-0\n\n"); break;
            case 8: SERVER(f, MESSAGE("wss-s1", "m")); break;
            case 9: SERVER(f, RECEIPT("wss-r2")); break;
            case 10: fx_closed(f, 1006, "", 0); break;
            case 11: fx_advance(f, 60000); fx_tick(f); fx_opened(f, "v12.stomp", ""); break;
            case 12: SERVER(f, CONNECTED); break;
            case 13: TAB(f, 1, 4, UNSUB("sub-0")); break;
            case 14: fx_gone(f, 2); break;
            default: SERVER(f, MESSAGE("wss-s1", "n")); break;
            }
            if (step == k && tries == 0)
                fa_arm(0, 0);
            tries++;
        } while (f->rc == WSS_ENOMEM && tries < 3);
        fa_pause(1);
        used += (size_t)snprintf(log + used, cap - used, "%d>%s", step, fx_sent(f));
        fx_flush(f);
        if (used < cap)
            used += (size_t)snprintf(log + used, cap - used, "|1<%s", fx_delivered(f, 1));
        if (used < cap)
            used += (size_t)snprintf(log + used, cap - used, "|2<%s\n", fx_delivered(f, 2));
        fa_pause(0);
        if (used >= cap)
            used = cap - 1;
    }
}

static void stomp_should_leave_no_leak_and_the_same_session_when_an_allocation_fails(void)
{
    static char clean[16384], got[16384];
    int k, refused = 0;

    fa_install(0, 0);
    {
        fx f;

        session(&f, -1, 0, clean, sizeof clean);
        fx_close(&f);
    }
    fa_uninstall();
    CHECK(contains(clean, "8>|1<" MESSAGE("sub-0", "m") "|2<" MESSAGE("sub-3", "m")));
    /* From the first frame on: the tabs' hellos are the core's (test_oom). */
    for (k = 1; k < 16; k++) {
        long n;

        for (n = 1; n < 200; n++) {
            fx f;
            long failed;
            long long counted;

            fa_install(0, 0);
            session(&f, k, n, got, sizeof got);
            failed = fa_failures();
            fa_pause(1);
            counted = fx_stat(&f, "outOfMemory") + fx_stat(&f, "errors");
            fa_pause(0);
            fx_close(&f);
            if (fa_live() != 0)
                check_fail(__FILE__, __LINE__, "step %d, allocation %ld: %ld blocks leaked", k, n, fa_live());
            fa_uninstall();
            if (failed == 0)
                break;
            /* As if nothing had failed (what failed was tried again), or a
             * loss the core counts: a frame refused with an error to its tab
             * (the profile did nothing of it), a delivery missed. */
            if (strcmp(got, clean) == 0)
                refused++;
            else if (counted == 0)
                check_fail(__FILE__, __LINE__, "step %d, allocation %ld, uncounted:\n%s\nnot\n%s", k, n,
                           got, clean);
            if (test_failed())
                return;
        }
    }
    CHECK(refused > 0);
}

const test_case stomp_tests[] = {
    TEST_CASE(stomp_should_send_one_connect_and_answer_later_tabs_from_the_cache),
    TEST_CASE(stomp_should_be_chosen_by_any_of_its_subprotocols),
    TEST_CASE(stomp_should_close_a_tab_with_other_credentials_alone_never_giving_it_the_session),
    TEST_CASE(stomp_should_keep_heart_beats_between_the_leader_and_the_broker),
    TEST_CASE(stomp_should_subscribe_once_per_kind_and_give_each_tab_its_messages_under_its_own_id),
    TEST_CASE(stomp_should_unsubscribe_at_the_broker_when_the_last_tab_leaves_or_goes),
    TEST_CASE(stomp_should_keep_each_tabs_receipts_its_own),
    TEST_CASE(stomp_should_remap_transactions_and_never_send_one_it_does_not_know),
    TEST_CASE(stomp_should_refuse_what_cannot_be_shared_or_read_closing_that_tab_alone),
    TEST_CASE(stomp_should_detach_only_the_tab_that_disconnects),
    TEST_CASE(stomp_should_resume_on_a_new_connection_unseen_and_error_what_was_in_flight),
    TEST_CASE(stomp_should_close_every_tab_when_the_broker_refuses_the_connect),
    TEST_CASE(stomp_should_rebuild_a_new_leaders_session_from_what_the_tabs_kept),
    TEST_CASE(stomp_should_leave_no_leak_and_the_same_session_when_an_allocation_fails),
    TEST_END,
};
