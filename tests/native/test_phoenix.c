/*
 * The Phoenix Channels profile inside the core: `phoenix` Sockets in several
 * tabs on one connection, as a Phoenix server sees them (V2 serializer:
 * [join_ref, ref, topic, event, payload]). The server hears one phx_join per
 * topic and the phx_leave with its last tab; each tab hears its replies and
 * the topic's messages under its own refs; heartbeats are the leader's; a new
 * connection or a new leader changes nothing the tabs can see, and a push in
 * flight at a loss gets an error reply, never a second send.
 */
#include <stdio.h>

#include "harness.h"

#define CONFIG "{\"protocol\":\"phoenix\"}"
#define URL_CONFIG "{\"url\":\"ws://127.0.0.1:4000/socket/websocket?token=a&vsn=2.0.0\"}"

/* Frames are written with single quotes, for legibility; q() makes them JSON. */
static const char *q(const char *s)
{
    static char bufs[8][512];
    static int at;
    char *b = bufs[at++ % 8];
    size_t i;

    for (i = 0; s[i] != '\0' && i < sizeof bufs[0] - 1; i++)
        b[i] = s[i] == '\'' ? '"' : s[i];
    b[i] = '\0';
    return b;
}

#define JOIN(r, topic, params) "['" r "','" r "','" topic "','phx_join'," params "]"
#define OK_TO(r, topic, resp) "['" r "','" r "','" topic "','phx_reply',{'status':'ok','response':" resp "}]"

static int contains(const char *text, const char *part)
{
    return text != NULL && strstr(text, part) != NULL;
}

static int occurrences(const char *text, const char *part)
{
    int n = 0;

    while (text != NULL && (text = strstr(text, part)) != NULL) {
        n++;
        text += strlen(part);
    }
    return n;
}

/* n tabs on an open socket. */
static void phx_open(fx *f, const char *config, uint32_t n)
{
    uint32_t t;

    fx_open(f, config);
    for (t = 1; t <= n; t++)
        fx_hello(f, t, 1);
    fx_opened(f, "", "");
    fx_flush(f);
}

static void text(fx *f, uint32_t tab, uint32_t seq, const char *frame)
{
    fx_text(f, tab, seq, q(frame));
}

static void server(fx *f, const char *frame)
{
    fx_server_text(f, q(frame));
    fx_flush(f);
}

/* Tabs 1 and 2 in room:lobby (tab 2's refs are 5), joined on wire ref 1. */
static void lobby(fx *f, uint32_t n)
{
    phx_open(f, CONFIG, n);
    text(f, 1, 1, JOIN("1", "room:lobby", "{'token':'a'}"));
    text(f, 2, 1, JOIN("5", "room:lobby", "{'token':'a'}"));
    server(f, OK_TO("1", "room:lobby", "{}"));
}

static void phx_should_be_chosen_by_the_url_phoenix_connects_to(void)
{
    static const struct {
        const char *config, *name;
    } cases[] = {
        { URL_CONFIG, "phoenix" },
        { "{\"url\":\"ws://h/socket/websocket?vsn=2.0.0\"}", "phoenix" },
        { "{\"url\":\"wss://h/live/websocket?_csrf_token=x&vsn=2.0.0&_mounts=0\"}", "phoenix" },
        /* The V1 serializer speaks objects; another path is another server. */
        { "{\"url\":\"ws://h/socket/websocket?vsn=1.0.0\"}", "none" },
        { "{\"url\":\"ws://h/socket/websockets?vsn=2.0.0\"}", "none" },
        { "{\"url\":\"ws://h/socket/websocket#vsn=2.0.0\"}", "none" },
        { "{\"url\":\"ws://h/socket/websocket?xvsn=2.0.0\"}", "none" },
        { "{\"url\":\"ws://h/socket/websocket?a=1#x&vsn=2.0.0\"}", "none" },
        { "{\"url\":\"ws://h/websocket?vsn=2\"}", "none" },
        { "{\"url\":\"ws://h/websocket/x?vsn=2.0.0\"}", "none" },
        { "{\"protocol\":\"phoenix\"}", "phoenix" },
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx f;
        cJSON *stats;

        phx_open(&f, cases[i].config, 1);
        text(&f, 1, 1, JOIN("1", "room:lobby", "{}"));
        stats = fx_stats(&f);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(stats, "protocol")), cases[i].name);
        cJSON_Delete(stats);
        fx_close(&f);
    }
}

static void phx_should_join_a_topic_once_and_reply_to_later_tabs_from_the_cache(void)
{
    fx f;

    phx_open(&f, CONFIG, 3);
    text(&f, 1, 1, JOIN("1", "room:lobby", "{'token':'a'}"));
    CHECK_STR(fx_sent(&f), q(JOIN("1", "room:lobby", "{'token':'a'}")));
    /* The second tab's refs collide with nothing on the wire: it sends nothing. */
    text(&f, 2, 1, JOIN("1", "room:lobby", "{'token':'a'}"));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    server(&f, OK_TO("1", "room:lobby", "{'n':1}"));
    CHECK_STR(fx_delivered(&f, 1), q(OK_TO("1", "room:lobby", "{'n':1}")));
    CHECK_STR(fx_delivered(&f, 2), q(OK_TO("1", "room:lobby", "{'n':1}")));
    CHECK_STR(fx_delivered(&f, 3), "");
    /* A later tab, under its own refs, at once. */
    text(&f, 3, 1, JOIN("7", "room:lobby", "{'token':'a'}"));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 3), q(OK_TO("7", "room:lobby", "{'n':1}")));
    CHECK_STR(fx_delivered(&f, 1), "");
    fx_close(&f);
}

static void phx_should_give_each_tab_the_messages_of_its_topics_under_its_own_join_ref(void)
{
    fx f;

    lobby(&f, 3);
    text(&f, 3, 1, JOIN("2", "room:other", "{}"));
    CHECK_STR(fx_sent(&f), q(JOIN("2", "room:other", "{}")));
    server(&f, OK_TO("2", "room:other", "{}"));
    CHECK_STR(fx_delivered(&f, 3), q(OK_TO("2", "room:other", "{}")));
    /* A channel's push carries its join_ref; each tab has its own. */
    server(&f, "['1',null,'room:lobby','new_msg',{'body':'hi'}]");
    CHECK_STR(fx_delivered(&f, 1), q("['1',null,'room:lobby','new_msg',{'body':'hi'}]"));
    CHECK_STR(fx_delivered(&f, 2), q("['5',null,'room:lobby','new_msg',{'body':'hi'}]"));
    CHECK_STR(fx_delivered(&f, 3), "");
    /* A broadcast without one goes as it came; a server may escape the topic. */
    server(&f, "[null,null,'room:\\u006cobby','b',{}]");
    CHECK_EQ(occurrences(fx_delivered(&f, 1), "\"b\""), 1);
    CHECK_EQ(occurrences(fx_delivered(&f, 2), "\"b\""), 1);
    CHECK_STR(fx_delivered(&f, 3), "");
    server(&f, "['2',null,'room:other','x',{}]");
    CHECK_STR(fx_delivered(&f, 3), q("['2',null,'room:other','x',{}]"));
    CHECK_STR(fx_delivered(&f, 1), "");
    /* What names another join (an earlier one, or none of ours) is nobody's. */
    server(&f, "['9',null,'room:lobby','new_msg',{}]");
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), "");
    server(&f, "[null,null,'room:nobody','new_msg',{}]");
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_EQ(fx_held(&f), 0);
    CHECK_EQ(fx_made_held(&f), 0);
    fx_close(&f);
}

static void phx_should_refuse_a_join_with_other_params_and_tell_it_to_take_its_own_key(void)
{
    fx f;

    lobby(&f, 3);
    text(&f, 3, 1, JOIN("1", "room:lobby", "{'token':'b'}"));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 3), q("['1','1','room:lobby','phx_reply',{'status':'error'")));
    CHECK(contains(fx_delivered(&f, 3), "its own key"));
    CHECK(!contains(fx_delivered(&f, 3), "\"ok\""));
    /* It never hears the topic's messages. */
    server(&f, "['1',null,'room:lobby','new_msg',{}]");
    CHECK_STR(fx_delivered(&f, 3), "");
    CHECK(fx_post(&f, "close", 0) == NULL);
    fx_close(&f);
}

static void phx_should_remap_push_refs_both_ways(void)
{
    fx f;

    lobby(&f, 2);
    /* Both tabs push with ref 6: the wire has two refs of the leader's. */
    text(&f, 1, 2, "['1','6','room:lobby','ping',{'from':1}]");
    CHECK_STR(fx_sent(&f), q("['1','2','room:lobby','ping',{'from':1}]"));
    text(&f, 2, 2, "['5','6','room:lobby','ping',{'from':2}]");
    CHECK_STR(fx_sent(&f), q("['1','3','room:lobby','ping',{'from':2}]"));
    server(&f, "['1','3','room:lobby','phx_reply',{'status':'ok','response':{'to':2}}]");
    CHECK_STR(fx_delivered(&f, 2), q("['5','6','room:lobby','phx_reply',{'status':'ok','response':{'to':2}}]"));
    CHECK_STR(fx_delivered(&f, 1), "");
    server(&f, "['1','2','room:lobby','phx_reply',{'status':'ok','response':{'to':1}}]");
    CHECK_STR(fx_delivered(&f, 1), q("['1','6','room:lobby','phx_reply',{'status':'ok','response':{'to':1}}]"));
    /* A reply comes once: a second one is nobody's. */
    server(&f, "['1','2','room:lobby','phx_reply',{'status':'ok','response':{}}]");
    CHECK_STR(fx_delivered(&f, 1), "");
    /* A push outside the tab's joins is answered as Phoenix answers it. */
    text(&f, 1, 3, "['9','7','room:nowhere','ping',{}]");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 1), q("['9','7','room:nowhere','phx_reply',{'status':'error','response':{'reason':'unmatched topic'}}]")));
    CHECK_EQ(fx_held(&f), 0);
    CHECK_EQ(fx_made_held(&f), 0);
    fx_close(&f);
}

static void phx_should_answer_heartbeats_itself_and_send_its_own_every_30_s(void)
{
    fx f;

    lobby(&f, 2);
    text(&f, 1, 2, "[null,'8','phoenix','heartbeat',{}]");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), q("[null,'8','phoenix','phx_reply',{'status':'ok','response':{}}]"));
    CHECK_STR(fx_delivered(&f, 2), "");
    /* The leader's own, on the core's timer. */
    fx_advance(&f, 29000);
    fx_tick(&f);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_advance(&f, 1000);
    fx_tick(&f);
    CHECK_STR(fx_sent(&f), q("[null,'2','phoenix','heartbeat',{}]"));
    server(&f, "[null,'2','phoenix','phx_reply',{'status':'ok','response':{}}]");
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), "");
    fx_advance(&f, 30000);
    fx_tick(&f);
    CHECK_STR(fx_sent(&f), q("[null,'3','phoenix','heartbeat',{}]"));
    /* None while the socket is down; again once it is back. */
    fx_closed(&f, 1006, "", 0);
    fx_advance(&f, 29999);
    fx_tick(&f);
    CHECK(!contains(fx_sent(&f), "heartbeat"));
    fx_opened(&f, "", "");
    fx_advance(&f, 30000);
    fx_tick(&f);
    CHECK(contains(fx_sent(&f), "heartbeat"));
    CHECK_EQ(fx_held(&f), 0);
    fx_close(&f);
}

static void phx_should_leave_at_the_server_only_with_the_last_tab(void)
{
    fx f;

    lobby(&f, 3);
    text(&f, 3, 1, JOIN("1", "room:lobby", "{'token':'a'}"));
    text(&f, 1, 2, "['1','2','room:lobby','phx_leave',{}]");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 1), q("['1','2','room:lobby','phx_reply',{'status':'ok','response':{}}]")));
    CHECK(contains(fx_delivered(&f, 1), q("['1','1','room:lobby','phx_close',{}]")));
    /* A tab that dies leaves too. */
    fx_gone(&f, 2);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    server(&f, "['1',null,'room:lobby','new_msg',{}]");
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 3), q("['1',null,'room:lobby','new_msg',{}]"));
    fx_gone(&f, 3);
    CHECK_STR(fx_sent(&f), q("['1','2','room:lobby','phx_leave',{}]"));
    /* The server's answers to that leave are nobody's; the next join asks again. */
    server(&f, "['1','2','room:lobby','phx_reply',{'status':'ok','response':{}}]");
    server(&f, "['1','1','room:lobby','phx_close',{}]");
    CHECK_STR(fx_delivered(&f, 1), "");
    text(&f, 1, 3, JOIN("4", "room:lobby", "{'token':'a'}"));
    CHECK_STR(fx_sent(&f), q(JOIN("3", "room:lobby", "{'token':'a'}")));
    CHECK_EQ(fx_held(&f), 0);
    CHECK_EQ(fx_made_held(&f), 0);
    fx_close(&f);
}

static void phx_should_replace_a_tabs_channel_when_it_joins_its_topic_again(void)
{
    fx f;

    lobby(&f, 2);
    text(&f, 2, 2, JOIN("9", "room:lobby", "{'token':'a'}"));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 2), q("['5','5','room:lobby','phx_close',{}]\n" OK_TO("9", "room:lobby", "{}")));
    server(&f, "['1',null,'room:lobby','m',{}]");
    CHECK_STR(fx_delivered(&f, 2), q("['9',null,'room:lobby','m',{}]"));
    /* Alone in its topic, a tab joining with other params leaves and joins anew. */
    fx_gone(&f, 1);
    text(&f, 2, 3, JOIN("10", "room:lobby", "{'token':'b'}"));
    CHECK_STR(fx_sent(&f), q("['1','2','room:lobby','phx_leave',{}]\n" JOIN("3", "room:lobby", "{'token':'b'}")));
    fx_close(&f);
}

static void phx_should_end_a_topic_the_server_closes_or_fails_in_every_tab(void)
{
    static const char *const events[] = { "phx_close", "phx_error" };
    size_t i;

    for (i = 0; i < 2; i++) {
        fx f;
        char frame[128];

        lobby(&f, 2);
        snprintf(frame, sizeof frame, "['1','1','room:lobby','%s',{}]", events[i]);
        server(&f, frame);
        snprintf(frame, sizeof frame, "['5','5','room:lobby','%s',{}]", events[i]);
        CHECK_STR(fx_delivered(&f, 2), q(frame));
        CHECK(contains(fx_delivered(&f, 1), events[i]));
        /* The channel is over: its next join goes to the server again. */
        text(&f, 2, 2, JOIN("6", "room:lobby", "{'token':'a'}"));
        CHECK_STR(fx_sent(&f), q(JOIN("2", "room:lobby", "{'token':'a'}")));
        fx_close(&f);
    }
}

static void phx_should_give_a_refused_join_to_every_tab_waiting_for_it(void)
{
    fx f;

    phx_open(&f, CONFIG, 2);
    text(&f, 1, 1, JOIN("1", "room:secret", "{}"));
    text(&f, 2, 1, JOIN("5", "room:secret", "{}"));
    server(&f, "['1','1','room:secret','phx_reply',{'status':'error','response':{'reason':'unauthorized'}}]");
    CHECK_STR(fx_delivered(&f, 1), q("['1','1','room:secret','phx_reply',{'status':'error','response':{'reason':'unauthorized'}}]"));
    CHECK_STR(fx_delivered(&f, 2), q("['5','5','room:secret','phx_reply',{'status':'error','response':{'reason':'unauthorized'}}]"));
    /* Nothing stays: the client's rejoin asks the server again. */
    text(&f, 1, 2, JOIN("2", "room:secret", "{}"));
    CHECK_STR(fx_sent(&f), q(JOIN("2", "room:secret", "{}")));
    fx_close(&f);
}

static void phx_should_join_everything_again_on_a_new_connection_unseen_by_the_tabs(void)
{
    fx f;

    lobby(&f, 3);
    text(&f, 3, 1, JOIN("1", "room:other", "{'x':1}"));
    server(&f, OK_TO("2", "room:other", "{}"));
    /* A push in flight at the loss gets an error reply, never a second send. */
    text(&f, 1, 2, "['1','3','room:lobby','pay',{}]");
    CHECK_STR(fx_sent(&f), q("['1','3','room:lobby','pay',{}]"));
    fx_closed(&f, 1006, "", 0);
    CHECK(fx_post(&f, "close", 0) == NULL);
    CHECK(contains(fx_delivered(&f, 1), q("['1','3','room:lobby','phx_reply',{'status':'error'")));
    CHECK(fx_post(&f, "resend", 0) == NULL);
    /* Meanwhile a tab's heartbeat is answered, and a push waits for the join. */
    text(&f, 2, 2, "[null,'6','phoenix','heartbeat',{}]");
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 2), "phx_reply"));
    text(&f, 2, 3, "['5','7','room:lobby','later',{}]");
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 2), "");
    fx_advance(&f, 60000);
    fx_tick(&f);
    fx_opened(&f, "", "");
    /* Each topic with the payload of its first join, under new refs. */
    CHECK_STR(fx_sent(&f), q(JOIN("4", "room:lobby", "{'token':'a'}") "\n" JOIN("5", "room:other", "{'x':1}")));
    server(&f, OK_TO("5", "room:other", "{}"));
    CHECK_STR(fx_sent(&f), "");
    fx_server_text(&f, q(OK_TO("4", "room:lobby", "{'again':1}")));
    /* The push that waited goes with the join, under its new join_ref. */
    CHECK_STR(fx_sent(&f), q("['4','6','room:lobby','later',{}]"));
    fx_flush(&f);
    /* The tabs had their replies on the first connection: nothing to hear. */
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), "");
    CHECK_STR(fx_delivered(&f, 3), "");
    server(&f, "['4','6','room:lobby','phx_reply',{'status':'ok','response':{}}]");
    CHECK_STR(fx_delivered(&f, 2), q("['5','7','room:lobby','phx_reply',{'status':'ok','response':{}}]"));
    server(&f, "['4',null,'room:lobby','m',{}]");
    CHECK_STR(fx_delivered(&f, 1), q("['1',null,'room:lobby','m',{}]"));
    CHECK_STR(fx_delivered(&f, 2), q("['5',null,'room:lobby','m',{}]"));
    CHECK_STR(fx_delivered(&f, 3), "");
    /* The first connection's join is gone. */
    server(&f, "['1',null,'room:lobby','m',{}]");
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_EQ(fx_held(&f), 0);
    CHECK_EQ(fx_made_held(&f), 0);
    fx_close(&f);
}

static void phx_should_fail_the_channels_when_the_server_refuses_the_join_again(void)
{
    fx f;

    lobby(&f, 2);
    fx_closed(&f, 1006, "", 0);
    fx_advance(&f, 60000);
    fx_tick(&f);
    fx_opened(&f, "", "");
    server(&f, "['2','2','room:lobby','phx_reply',{'status':'error','response':{'reason':'expired'}}]");
    /* The tabs think they are joined: their channels fail, and join again. */
    CHECK_STR(fx_delivered(&f, 1), q("['1','1','room:lobby','phx_error',{}]"));
    CHECK_STR(fx_delivered(&f, 2), q("['5','5','room:lobby','phx_error',{}]"));
    fx_close(&f);
}

static void phx_should_rebuild_a_new_leaders_joins_from_what_the_tabs_kept(void)
{
    fx f;

    phx_open(&f, CONFIG, 2);
    /* Tab 1 had its reply (mark 1), tab 2 not yet; tab 1's push was unanswered. */
    fx_restore(&f, 1, 1, 1, q(JOIN("1", "room:lobby", "{'token':'a'}")));
    CHECK_STR(fx_sent(&f), q(JOIN("1", "room:lobby", "{'token':'a'}")));
    fx_restore(&f, 2, 1, 0, q(JOIN("5", "room:lobby", "{'token':'a'}")));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_restore(&f, 1, 2, 0, q("['1','3','room:lobby','pay',{}]"));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 1), q("['1','3','room:lobby','phx_reply',{'status':'error'")));
    server(&f, OK_TO("1", "room:lobby", "{}"));
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), q(OK_TO("5", "room:lobby", "{}")));
    server(&f, "['1',null,'room:lobby','m',{}]");
    CHECK_STR(fx_delivered(&f, 1), q("['1',null,'room:lobby','m',{}]"));
    CHECK_STR(fx_delivered(&f, 2), q("['5',null,'room:lobby','m',{}]"));
    CHECK_EQ(fx_held(&f), 0);
    CHECK_EQ(fx_made_held(&f), 0);
    fx_close(&f);
}

/* Appends the keep ("k tab/seq/mark") and forget ("x tab/seq") notes of the
 * last call's ack posts to log. */
static void notes(const fx *f, char *log, size_t cap)
{
    int i;
    const act *ack;

    for (i = 0; (ack = fx_post(f, "ack", i)) != NULL; i++) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(ack->json, "k");
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(ack->json, "x");
        int j;

        for (j = 0; j + 2 < cJSON_GetArraySize(k); j += 3)
            snprintf(log + strlen(log), cap - strlen(log), " k%d/%d/%d",
                     (int)cJSON_GetArrayItem(k, j)->valuedouble,
                     (int)cJSON_GetArrayItem(k, j + 1)->valuedouble,
                     (int)cJSON_GetArrayItem(k, j + 2)->valuedouble);
        for (j = 0; j + 1 < cJSON_GetArraySize(x); j += 2)
            snprintf(log + strlen(log), cap - strlen(log), " x%d/%d",
                     (int)cJSON_GetArrayItem(x, j)->valuedouble,
                     (int)cJSON_GetArrayItem(x, j + 1)->valuedouble);
    }
}

static void phx_should_have_a_tab_keep_its_join_and_pushes_while_they_live(void)
{
    fx f;
    char log[512] = "";

    phx_open(&f, CONFIG, 1);
    text(&f, 1, 1, JOIN("1", "room:lobby", "{}"));
    fx_flush(&f);
    notes(&f, log, sizeof log);
    server(&f, OK_TO("1", "room:lobby", "{}"));
    notes(&f, log, sizeof log);
    /* Kept, then marked once its tab has the reply. */
    CHECK_STR(log, " k1/1/0 k1/1/1");
    log[0] = '\0';
    text(&f, 1, 2, "['1','2','room:lobby','ping',{}]");
    fx_flush(&f);
    notes(&f, log, sizeof log);
    server(&f, "['1','2','room:lobby','phx_reply',{'status':'ok','response':{}}]");
    notes(&f, log, sizeof log);
    /* A push until its reply; a heartbeat is never kept. */
    text(&f, 1, 3, "[null,'3','phoenix','heartbeat',{}]");
    fx_flush(&f);
    notes(&f, log, sizeof log);
    text(&f, 1, 4, "['1','4','room:lobby','phx_leave',{}]");
    fx_flush(&f);
    notes(&f, log, sizeof log);
    /* The leave ends the join. */
    CHECK_STR(log, " k1/2/0 x1/2 x1/1");
    fx_close(&f);
}

static void phx_should_refuse_a_binary_push_at_its_tab_alone(void)
{
    fx f;
    const act *err;

    lobby(&f, 2);
    fx_binary(&f, 2, 2, 12);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    err = fx_post(&f, "error", 0);
    REQUIRE(err != NULL);
    CHECK_EQ(act_num(err, "tab"), 2);
    CHECK(fx_post(&f, "close", 0) == NULL);
    CHECK_EQ(fx_held(&f), 0);
    fx_close(&f);
}

/* The last flush's deliveries to `tab`, appended to log. */
static void gather(const fx *f, uint32_t tab, char *log, size_t cap)
{
    snprintf(log + strlen(log), cap - strlen(log), "%s\n", fx_delivered(f, tab));
}

static void phx_should_give_a_reply_memory_denied_at_the_next_event(void)
{
    long n, failed = 1;
    int later = 0;

    for (n = 1; failed > 0 && n < 500 && !test_failed(); n++) {
        fx f;
        char one[2048] = "", two[2048] = "";
        int rc;

        fa_install(0, 0);
        phx_open(&f, CONFIG, 2);
        text(&f, 1, 1, JOIN("1", "room:lobby", "{}"));
        text(&f, 2, 1, JOIN("5", "room:lobby", "{}"));
        fx_flush(&f);
        /* From the nth allocation on, to the end of the event. */
        fa_arm(n, 1);
        rc = fx_server_text(&f, q(OK_TO("1", "room:lobby", "{}")));
        failed = fa_failures();
        fa_arm(0, 0);
        fx_flush(&f);
        gather(&f, 1, one, sizeof one);
        gather(&f, 2, two, sizeof two);
        /* Whatever a tab had to go without waits for the next event. */
        text(&f, 1, 2, "[null,'2','phoenix','heartbeat',{}]");
        fx_flush(&f);
        later += contains(fx_delivered(&f, 2), "room:lobby");
        gather(&f, 1, one, sizeof one);
        gather(&f, 2, two, sizeof two);
        if (rc != WSS_ENOMEM) {
            if (occurrences(one, q(OK_TO("1", "room:lobby", "{}"))) != 1 ||
                occurrences(two, q(OK_TO("5", "room:lobby", "{}"))) != 1)
                check_fail(__FILE__, __LINE__, "allocation %ld failed: the tabs heard \"%s\" and \"%s\"",
                           n, one, two);
        }
        fx_close(&f);
        if (fa_live() != 0)
            check_fail(__FILE__, __LINE__, "allocation %ld failed: %ld blocks leaked", n, fa_live());
        fa_uninstall();
    }
    /* Some failure hit the second tab's reply, which came at the next event. */
    CHECK(later > 0);
}

/* Every event the profile takes, with a scripted server. */
static void script(fx *f)
{
    uint32_t t;

    for (t = 1; t <= 3; t++)
        fx_hello(f, t, 1);
    fx_opened(f, "", "");
    text(f, 1, 1, JOIN("1", "room:lobby", "{'token':'a'}"));
    text(f, 2, 1, JOIN("5", "room:lobby", "{'token':'a'}"));
    text(f, 3, 1, JOIN("1", "room:lobby", "{'token':'b'}"));
    server(f, OK_TO("1", "room:lobby", "{'n':1}"));
    text(f, 1, 2, "['1','6','room:lobby','ping',{}]");
    text(f, 2, 2, "[null,'6','phoenix','heartbeat',{}]");
    server(f, "['1','2','room:lobby','phx_reply',{'status':'ok','response':{}}]");
    server(f, "['1',null,'room:lobby','m',{'i':1}]");
    fx_advance(f, 30000);
    fx_tick(f);
    text(f, 1, 3, "['1','7','room:lobby','ping',{}]");
    fx_closed(f, 1006, "", 0);
    text(f, 2, 3, "['5','8','room:lobby','ping',{}]");
    fx_advance(f, 60000);
    fx_tick(f);
    fx_opened(f, "", "");
    server(f, "['4','4','room:lobby','phx_reply',{'status':'ok','response':{}}]");
    fx_restore(f, 3, 2, 1, q(JOIN("2", "room:lobby", "{'token':'a'}")));
    text(f, 1, 4, "['1','9','room:lobby','phx_leave',{}]");
    server(f, "['4',null,'room:lobby','m',{'i':2}]");
    fx_gone(f, 2);
    fx_gone(f, 3);
    fx_flush(f);
}

/* A core that works as before the failure: a new tab joins and hears its reply. */
static void check_works(fx *f, long n)
{
    char sent[256];
    char reply[256];
    const char *w;
    char wire[24];
    size_t len;

    fx_hello(f, 9, 1);
    fx_advance(f, 60000);
    fx_tick(f);
    fx_opened(f, "", "");
    fx_flush(f);
    text(f, 9, 1, JOIN("3", "room:after", "{}"));
    snprintf(sent, sizeof sent, "%s", fx_sent(f));
    w = strchr(sent, '"');
    len = w != NULL ? strcspn(w + 1, "\"") : 0;
    if (w == NULL || len == 0 || len >= sizeof wire) {
        check_fail(__FILE__, __LINE__, "allocation %ld failed: the next join sent \"%s\"", n, sent);
        return;
    }
    memcpy(wire, w + 1, len);
    wire[len] = '\0';
    snprintf(reply, sizeof reply, "[\"%s\",\"%s\",\"room:after\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]",
             wire, wire);
    fx_server_text(f, reply);
    fx_flush(f);
    if (strcmp(fx_delivered(f, 9), q(OK_TO("3", "room:after", "{}"))) != 0)
        check_fail(__FILE__, __LINE__, "allocation %ld failed: the next join heard \"%s\"", n,
                   fx_delivered(f, 9));
    fx_gone(f, 9);
}

static void phx_should_leave_no_leak_and_no_handle_behind_when_any_allocation_fails(void)
{
    long n, failed = 1;

    for (n = 1; failed > 0 && n < 5000 && !test_failed(); n++) {
        fx f;

        fa_install(0, 0);
        fx_open(&f, CONFIG);
        fa_arm(n, 0);
        script(&f);
        failed = fa_failures();
        fa_arm(0, 0);
        fx_closed(&f, 1000, "", 1);
        fx_flush(&f);
        if (f.core != NULL) {
            check_works(&f, n);
            fx_closed(&f, 1000, "", 1);
        }
        if (fx_held(&f) != 0)
            check_fail(__FILE__, __LINE__, "allocation %ld failed: %u handles never came back", n,
                       fx_held(&f));
        fx_close(&f);
        if (fa_live() != 0)
            check_fail(__FILE__, __LINE__, "allocation %ld failed: %ld blocks leaked", n, fa_live());
        fa_uninstall();
    }
    /* The script made enough allocations for the sweep to mean something. */
    CHECK(n > 100);
}

const test_case phoenix_tests[] = {
    TEST_CASE(phx_should_be_chosen_by_the_url_phoenix_connects_to),
    TEST_CASE(phx_should_join_a_topic_once_and_reply_to_later_tabs_from_the_cache),
    TEST_CASE(phx_should_give_each_tab_the_messages_of_its_topics_under_its_own_join_ref),
    TEST_CASE(phx_should_refuse_a_join_with_other_params_and_tell_it_to_take_its_own_key),
    TEST_CASE(phx_should_remap_push_refs_both_ways),
    TEST_CASE(phx_should_answer_heartbeats_itself_and_send_its_own_every_30_s),
    TEST_CASE(phx_should_leave_at_the_server_only_with_the_last_tab),
    TEST_CASE(phx_should_replace_a_tabs_channel_when_it_joins_its_topic_again),
    TEST_CASE(phx_should_end_a_topic_the_server_closes_or_fails_in_every_tab),
    TEST_CASE(phx_should_give_a_refused_join_to_every_tab_waiting_for_it),
    TEST_CASE(phx_should_join_everything_again_on_a_new_connection_unseen_by_the_tabs),
    TEST_CASE(phx_should_fail_the_channels_when_the_server_refuses_the_join_again),
    TEST_CASE(phx_should_rebuild_a_new_leaders_joins_from_what_the_tabs_kept),
    TEST_CASE(phx_should_have_a_tab_keep_its_join_and_pushes_while_they_live),
    TEST_CASE(phx_should_refuse_a_binary_push_at_its_tab_alone),
    TEST_CASE(phx_should_give_a_reply_memory_denied_at_the_next_event),
    TEST_CASE(phx_should_leave_no_leak_and_no_handle_behind_when_any_allocation_fails),
    TEST_END,
};
