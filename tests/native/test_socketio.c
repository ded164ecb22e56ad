/*
 * The Socket.IO profile inside the core: socket.io-client in several tabs on
 * one Engine.IO connection, as a Socket.IO server sees it. Each tab has one
 * open packet and the server's pings; the server hears one CONNECT per
 * namespace and the DISCONNECT when its last tab leaves; ack ids are each
 * tab's own; binary frames stay with their packet; a new connection or a new
 * leader changes nothing the tabs can see.
 */
#include <stdio.h>

#include "harness.h"
#include "profile.h"

#define URL "ws://app.test/socket.io/?EIO=4&transport=websocket"
#define CONFIG "{\"url\":\"" URL "\"}"
#define OPEN1 "0{\"sid\":\"e1\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}"
#define OPEN2 "0{\"sid\":\"e2\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}"
#define CONNECT_A "40/chat,{\"token\":\"a\"}"
#define CONNECT_B "40/chat,{\"token\":\"b\"}"
#define ANSWER "40/chat,{\"sid\":\"s1\"}"
#define ANSWER2 "40/chat,{\"sid\":\"s2\"}"

static int contains(const char *text, const char *part)
{
    return text != NULL && strstr(text, part) != NULL;
}

/* The mark the last call's ack envelopes give frame seq of tab (keep), -2
 * when they tell it to forget it, -1 when they say nothing of it. */
static long long note(const fx *f, uint32_t tab, uint32_t seq)
{
    long long mark = -1;
    int n, i;

    for (n = 0; fx_post(f, "ack", n) != NULL; n++) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(fx_post(f, "ack", n)->json, "k");
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(fx_post(f, "ack", n)->json, "x");

        for (i = 0; i + 2 < cJSON_GetArraySize(k); i += 3)
            if (cJSON_GetArrayItem(k, i)->valuedouble == tab &&
                cJSON_GetArrayItem(k, i + 1)->valuedouble == seq)
                mark = (long long)cJSON_GetArrayItem(k, i + 2)->valuedouble;
        for (i = 0; i + 1 < cJSON_GetArraySize(x); i += 2)
            if (cJSON_GetArrayItem(x, i)->valuedouble == tab &&
                cJSON_GetArrayItem(x, i + 1)->valuedouble == seq)
                mark = -2;
    }
    return mark;
}

/* n tabs on an open connection that had its open packet. */
static void sio_open(fx *f, uint32_t n)
{
    uint32_t t;

    fx_open(f, CONFIG);
    for (t = 1; t <= n; t++)
        fx_hello(f, t, 1);
    fx_opened(f, "", "");
    fx_server_text(f, OPEN1);
    fx_flush(f);
}

/* Tab t sends `text` as its frame seq, and the log is flushed. */
static void say(fx *f, uint32_t t, uint32_t seq, const char *text)
{
    fx_text(f, t, seq, text);
    fx_flush(f);
}

static void hear(fx *f, const char *text)
{
    fx_server_text(f, text);
    fx_flush(f);
}

/* Tabs 1..n connected to /chat with token a (the first asking the server). */
static void sio_chat(fx *f, uint32_t n)
{
    uint32_t t;

    sio_open(f, n);
    say(f, 1, 1, CONNECT_A);
    hear(f, ANSWER);
    for (t = 2; t <= n; t++)
        say(f, t, 1, CONNECT_A);
}

static void sio_should_be_chosen_by_its_url_and_give_each_tab_the_open_packet_once(void)
{
    fx f;
    cJSON *stats;

    CHECK_EQ(profile_auto(NULL, 0, URL), PROFILE_SOCKETIO);
    CHECK_EQ(profile_auto(NULL, 0, "ws://app.test/socket.io/?transport=websocket&EIO=4"), PROFILE_SOCKETIO);
    /* Engine.IO 3's clients ping the server themselves; polling is not shared. */
    CHECK_EQ(profile_auto(NULL, 0, "ws://app.test/socket.io/?EIO=3&transport=websocket"), PROFILE_JSONRPC);
    CHECK_EQ(profile_auto(NULL, 0, "ws://app.test/socket.io/?EIO=4&transport=polling"), PROFILE_JSONRPC);
    CHECK_EQ(profile_auto(NULL, 0, "ws://app.test/EIO=4/?transport=websocket"), PROFILE_JSONRPC);
    CHECK_EQ(profile_auto(NULL, 0, "ws://app.test/socket.io/?EIO=40&transport=websocket"), PROFILE_JSONRPC);
    CHECK_EQ(profile_auto(NULL, 0, "ws://app.test/socket.io/?EIO=4&transport=websockets"), PROFILE_JSONRPC);
    CHECK_EQ(profile_auto(NULL, 0, "ws://app.test/socket.io/?x=1&EIO=4&transport=websocket&t=2"),
             PROFILE_SOCKETIO);
    fx_open(&f, "{\"protocol\":\"socket.io\",\"url\":\"ws://app.test/live\"}");
    fx_start(&f, 1);
    fx_text(&f, 1, 1, "40");
    stats = fx_stats(&f);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(stats, "protocol")), "socket.io");
    cJSON_Delete(stats);
    fx_close(&f);
    fx_open(&f, CONFIG);
    /* Its server speaks first: the open packet must reach the profile. */
    CHECK_EQ(wss_wants_text(f.core), WSS_TEXT_FROM_TABS | WSS_TEXT_FROM_SERVER);
    fx_hello(&f, 1, 1);
    fx_hello(&f, 2, 1);
    fx_opened(&f, "", "");
    hear(&f, OPEN1);
    CHECK_STR(fx_delivered(&f, 1), OPEN1);
    CHECK_STR(fx_delivered(&f, 2), OPEN1);
    /* A tab that joins later has it as it joins; once. */
    fx_hello(&f, 3, 1);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 3), OPEN1);
    CHECK_STR(fx_delivered(&f, 1), "");
    fx_hello(&f, 3, 1);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 3), "");
    fx_close(&f);
}

static void sio_should_answer_the_servers_pings_itself_and_pass_them_to_the_tabs(void)
{
    fx f;

    sio_open(&f, 2);
    fx_server_text(&f, "2");
    CHECK_STR(fx_sent(&f), "3");
    fx_flush(&f);
    /* Each client closes when it hears no ping in time. */
    CHECK_STR(fx_delivered(&f, 1), "2");
    CHECK_STR(fx_delivered(&f, 2), "2");
    /* Their pongs are nobody's. */
    fx_text(&f, 1, 1, "3");
    fx_text(&f, 2, 1, "3");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_close(&f);
}

static void sio_should_connect_a_namespace_once_and_answer_later_tabs_from_the_cache(void)
{
    fx f;

    sio_open(&f, 3);
    fx_text(&f, 1, 1, CONNECT_A);
    CHECK_STR(fx_sent(&f), CONNECT_A);
    hear(&f, ANSWER);
    CHECK_STR(fx_delivered(&f, 1), ANSWER);
    CHECK_STR(fx_delivered(&f, 2), "");
    fx_text(&f, 2, 1, CONNECT_A);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 2), ANSWER);
    /* Other auth never rides on the first tab's: a refusal of its own. */
    fx_text(&f, 3, 1, CONNECT_B);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK(strncmp(fx_delivered(&f, 3), "44/chat,{\"message\":", 19) == 0);
    CHECK(contains(fx_delivered(&f, 3), "own key"));
    CHECK(!contains(fx_delivered(&f, 3), "s1"));
    /* The server closes a connection at a second CONNECT to a namespace. */
    fx_text(&f, 1, 2, CONNECT_A);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    /* The main namespace, without auth. */
    fx_text(&f, 3, 2, "40");
    CHECK_STR(fx_sent(&f), "40");
    hear(&f, "40{\"sid\":\"m1\"}");
    CHECK_STR(fx_delivered(&f, 3), "40{\"sid\":\"m1\"}");
    CHECK_STR(fx_delivered(&f, 1), "");
    fx_close(&f);
}

static void sio_should_give_a_namespaces_events_to_its_tabs_only(void)
{
    fx f;

    sio_chat(&f, 2);
    fx_hello(&f, 3, 1);
    say(&f, 3, 1, "40");
    hear(&f, "40{\"sid\":\"m1\"}");
    hear(&f, "42/chat,[\"tick\",1]");
    CHECK_STR(fx_delivered(&f, 1), "42/chat,[\"tick\",1]");
    CHECK_STR(fx_delivered(&f, 2), "42/chat,[\"tick\",1]");
    CHECK_STR(fx_delivered(&f, 3), "");
    hear(&f, "42[\"news\"]");
    CHECK_STR(fx_delivered(&f, 3), "42[\"news\"]");
    CHECK_STR(fx_delivered(&f, 1), "");
    /* A tab's events go as they are. */
    fx_text(&f, 2, 2, "42/chat,[\"say\",\"hi\"]");
    CHECK_STR(fx_sent(&f), "42/chat,[\"say\",\"hi\"]");
    /* Not to a namespace the tab is not in: the server would refuse it. */
    fx_text(&f, 3, 2, "42/chat,[\"say\",\"hi\"]");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_close(&f);
}

static void sio_should_disconnect_a_namespace_at_the_server_when_its_last_tab_leaves(void)
{
    fx f;

    sio_chat(&f, 3);
    fx_text(&f, 1, 2, "41/chat,");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_gone(&f, 2);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    hear(&f, "42/chat,[\"tick\",2]");
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 3), "42/chat,[\"tick\",2]");
    fx_gone(&f, 3);
    CHECK_STR(fx_sent(&f), "41/chat,");
    /* The next CONNECT asks the server again; a DISCONNECT before its
     * answer waits for it (the server closes at one for a namespace it is
     * connecting). */
    fx_text(&f, 1, 3, CONNECT_B);
    CHECK_STR(fx_sent(&f), CONNECT_B);
    fx_text(&f, 1, 4, "41/chat,");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_server_text(&f, ANSWER2);
    CHECK_STR(fx_sent(&f), "41/chat,");
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    fx_close(&f);
}

static void sio_should_remap_ack_ids_both_ways(void)
{
    fx f;

    sio_chat(&f, 2);
    /* Both clients count from 0. */
    fx_text(&f, 1, 2, "42/chat,0[\"add\",1]");
    CHECK_STR(fx_sent(&f), "42/chat,0[\"add\",1]");
    fx_text(&f, 2, 2, "42/chat,0[\"add\",2]");
    CHECK_STR(fx_sent(&f), "42/chat,1[\"add\",2]");
    fx_text(&f, 2, 3, "42/chat,1[\"add\",3]");
    CHECK_STR(fx_sent(&f), "42/chat,2[\"add\",3]");
    hear(&f, "43/chat,1[3]");
    CHECK_STR(fx_delivered(&f, 2), "43/chat,0[3]");
    CHECK_STR(fx_delivered(&f, 1), "");
    hear(&f, "43/chat,0[2]");
    CHECK_STR(fx_delivered(&f, 1), "43/chat,0[2]");
    CHECK_STR(fx_delivered(&f, 2), "");
    /* Once: an id answered, or never asked, reaches nobody. */
    hear(&f, "43/chat,0[2]");
    CHECK_STR(fx_delivered(&f, 1), "");
    hear(&f, "43/chat,2[4]");
    CHECK_STR(fx_delivered(&f, 2), "43/chat,1[4]");
    fx_close(&f);
}

static void sio_should_ask_every_tab_for_the_servers_ack_and_forward_the_first_answer(void)
{
    fx f;

    sio_chat(&f, 2);
    hear(&f, "42/chat,7[\"ask\"]");
    CHECK_STR(fx_delivered(&f, 1), "42/chat,7[\"ask\"]");
    CHECK_STR(fx_delivered(&f, 2), "42/chat,7[\"ask\"]");
    fx_text(&f, 2, 2, "43/chat,7[\"yes\"]");
    CHECK_STR(fx_sent(&f), "43/chat,7[\"yes\"]");
    fx_text(&f, 1, 2, "43/chat,7[\"no\"]");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    /* An answer to what the server never asked is nobody's either. */
    fx_text(&f, 1, 3, "43/chat,8[\"no\"]");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_close(&f);
}

static void sio_should_keep_binary_frames_with_their_packet_both_ways(void)
{
    fx f;

    sio_chat(&f, 2);
    fx_text(&f, 2, 2, "42/chat,0[\"one\"]");
    CHECK_STR(fx_sent(&f), "42/chat,0[\"one\"]");
    /* A tab's binary packet leaves whole, once its frames came: no other
     * tab's frame between them on the wire. */
    fx_text(&f, 1, 2, "452-/chat,3[\"up\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_binary(&f, 1, 3, 4);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_text(&f, 2, 3, "42/chat,[\"two\"]");
    CHECK_STR(fx_sent(&f), "42/chat,[\"two\"]");
    fx_binary(&f, 1, 4, 5);
    CHECK_STR(fx_sent(&f), "452-/chat,1[\"up\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]\n?\n?");
    /* Its answer, with a frame, reaches that tab alone under its own id. */
    fx_server_text(&f, "461-/chat,1[{\"_placeholder\":true,\"num\":0}]");
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    fx_server(&f, 3);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "461-/chat,3[{\"_placeholder\":true,\"num\":0}]\n?");
    CHECK_STR(fx_delivered(&f, 2), "");
    /* The server's binary event reaches the namespace's tabs with its frame. */
    fx_server_text(&f, "451-/chat,[\"down\",{\"_placeholder\":true,\"num\":0}]");
    fx_server(&f, 3);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "451-/chat,[\"down\",{\"_placeholder\":true,\"num\":0}]\n?");
    CHECK_STR(fx_delivered(&f, 2), "451-/chat,[\"down\",{\"_placeholder\":true,\"num\":0}]\n?");
    /* One frame cannot go to some of several tabs: with a third tab outside
     * the namespace, a binary event reaches none (a stray frame would break
     * the third's parser), and a text one still reaches the two. */
    fx_hello(&f, 3, 1);
    say(&f, 3, 1, "40");
    hear(&f, "40{\"sid\":\"m1\"}");
    fx_server_text(&f, "451-/chat,[\"down\",{\"_placeholder\":true,\"num\":0}]");
    fx_server(&f, 3);
    fx_flush(&f);
    CHECK_EQ(fx_count(&f, WSS_ACT_POST_DATA), 0);
    hear(&f, "42/chat,[\"tick\"]");
    CHECK_STR(fx_delivered(&f, 1), "42/chat,[\"tick\"]");
    CHECK_STR(fx_delivered(&f, 3), "");
    CHECK_EQ(fx_held(&f), 0);
    fx_close(&f);
}

static void sio_should_connect_every_namespace_again_on_a_new_connection_unseen_by_the_tabs(void)
{
    fx f;

    sio_chat(&f, 2);
    say(&f, 2, 2, "40");
    hear(&f, "40{\"sid\":\"m1\"}");
    /* An emit whose ack has not come when the connection goes. */
    fx_text(&f, 1, 2, "42/chat,0[\"add\",1]");
    CHECK_STR(fx_sent(&f), "42/chat,0[\"add\",1]");
    fx_closed(&f, 1006, "", 0);
    CHECK(fx_post(&f, "close", 0) == NULL);
    /* A ping restarts each client's timer: the next connection has a whole
     * pingInterval + pingTimeout to come. */
    CHECK_STR(fx_delivered(&f, 1), "2");
    CHECK_STR(fx_delivered(&f, 2), "2");
    /* What the tabs emit meanwhile waits for its namespace. */
    say(&f, 2, 3, "42/chat,0[\"add\",2]");
    CHECK_STR(fx_delivered(&f, 2), "");
    /* A tab that joins meanwhile has the open packet the others had. */
    fx_hello(&f, 3, 1);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 3), OPEN1);
    fx_advance(&f, 60000);
    fx_tick(&f);
    fx_opened(&f, "", "");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_server_text(&f, OPEN2);
    CHECK_STR(fx_sent(&f), CONNECT_A "\n40");
    fx_flush(&f);
    /* A client resets at a second open packet, or connects again at a
     * second CONNECT answer: the tabs hear neither. */
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), "");
    CHECK_STR(fx_delivered(&f, 3), "");
    fx_server_text(&f, ANSWER2);
    CHECK_STR(fx_sent(&f), "42/chat,1[\"add\",2]");
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), "");
    hear(&f, "40{\"sid\":\"m2\"}");
    CHECK_STR(fx_delivered(&f, 2), "");
    /* The lost emit has no answer (the server does not know it); the held one has. */
    hear(&f, "43/chat,0[2]");
    CHECK_STR(fx_delivered(&f, 1), "");
    hear(&f, "43/chat,1[3]");
    CHECK_STR(fx_delivered(&f, 2), "43/chat,0[3]");
    hear(&f, "42/chat,[\"back\"]");
    CHECK_STR(fx_delivered(&f, 1), "42/chat,[\"back\"]");
    /* A later tab has the first answer, not this connection's. */
    say(&f, 3, 1, CONNECT_A);
    CHECK_STR(fx_delivered(&f, 3), ANSWER2);
    fx_close(&f);
}

static void sio_should_rebuild_a_new_leaders_namespaces_from_what_the_tabs_kept(void)
{
    fx f;

    fx_open(&f, CONFIG);
    fx_hello(&f, 1, 1);
    fx_hello(&f, 2, 1);
    /* The tabs' kept CONNECTs, the first answered (mark 1), the second not;
     * both spoke, so both had an open packet from an earlier leader. */
    fx_restore(&f, 1, 1, 1, CONNECT_A);
    fx_restore(&f, 2, 1, 0, CONNECT_A);
    /* An emit the earlier leader may have sent: never twice. */
    fx_restore(&f, 2, 2, 0, "42/chat,0[\"pay\"]");
    fx_opened(&f, "", "");
    fx_server_text(&f, OPEN2);
    CHECK_STR(fx_sent(&f), CONNECT_A);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), "");
    hear(&f, ANSWER2);
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), ANSWER2);
    /* The kept frames' marks: the second tab's CONNECT is answered now. */
    CHECK(fx_post(&f, "ack", 0) != NULL);
    hear(&f, "42/chat,[\"tick\"]");
    CHECK_STR(fx_delivered(&f, 1), "42/chat,[\"tick\"]");
    fx_close(&f);
}

static void sio_should_have_the_tabs_keep_what_waits_for_a_connection_for_a_next_leader(void)
{
    fx f;

    sio_chat(&f, 1);
    /* The CONNECT, kept; answered: kept with the mark that says so. */
    CHECK_EQ(note(&f, 1, 1), 1);
    fx_closed(&f, 1006, "", 0);
    /* Emits that wait for a connection were never sent: a next leader
     * sends them, binary frames and all. */
    say(&f, 1, 2, "42/chat,0[\"add\",1]");
    CHECK_EQ(note(&f, 1, 2), 2);
    fx_text(&f, 1, 3, "451-/chat,[\"up\",{\"_placeholder\":true,\"num\":0}]");
    fx_binary(&f, 1, 4, 4);
    fx_flush(&f);
    CHECK_EQ(note(&f, 1, 3), 2);
    CHECK_EQ(note(&f, 1, 4), 2);
    fx_close(&f);
    /* This leader went before a connection came: the next one has them. */
    fx_open(&f, CONFIG);
    fx_hello(&f, 1, 1);
    fx_restore(&f, 1, 1, 1, CONNECT_A);
    fx_restore(&f, 1, 2, 2, "42/chat,0[\"add\",1]");
    fx_restore(&f, 1, 3, 2, "451-/chat,[\"up\",{\"_placeholder\":true,\"num\":0}]");
    fx_opened(&f, "", "");
    fx_server_text(&f, OPEN2);
    CHECK_STR(fx_sent(&f), CONNECT_A);
    fx_server_text(&f, ANSWER2);
    CHECK_STR(fx_sent(&f), "42/chat,0[\"add\",1]");
    fx_flush(&f);
    /* Sent: forgotten; the CONNECT stays kept; the binary packet waits for
     * its frame. */
    CHECK_EQ(note(&f, 1, 2), -2);
    CHECK_EQ(note(&f, 1, 1), 1);
    CHECK_STR(fx_delivered(&f, 1), "");
    fx_close(&f);
}

static void sio_should_refuse_a_namespace_for_every_tab_the_server_refuses(void)
{
    fx f;

    sio_open(&f, 2);
    say(&f, 1, 1, CONNECT_A);
    say(&f, 2, 1, CONNECT_A);
    hear(&f, "44/chat,{\"message\":\"not allowed\"}");
    CHECK_STR(fx_delivered(&f, 1), "44/chat,{\"message\":\"not allowed\"}");
    CHECK_STR(fx_delivered(&f, 2), "44/chat,{\"message\":\"not allowed\"}");
    /* None stays: the next CONNECT asks again. */
    fx_text(&f, 2, 2, CONNECT_B);
    CHECK_STR(fx_sent(&f), CONNECT_B);
    hear(&f, ANSWER);
    /* The server ends the namespace: each tab hears it. */
    hear(&f, "41/chat,");
    CHECK_STR(fx_delivered(&f, 2), "41/chat,");
    fx_close(&f);
}

/* The whole story of the suites above, for the allocator to fail in. */
static void story(fx *f)
{
    fx_hello(f, 1, 1);
    fx_hello(f, 2, 1);
    fx_opened(f, "", "");
    fx_server_text(f, OPEN1);
    fx_text(f, 1, 1, CONNECT_A);
    fx_server_text(f, ANSWER);
    fx_text(f, 2, 1, CONNECT_A);
    fx_text(f, 1, 2, "42/chat,0[\"add\",1]");
    fx_server_text(f, "42/chat,7[\"ask\"]");
    fx_text(f, 2, 2, "43/chat,7[\"yes\"]");
    fx_text(f, 2, 3, "451-/chat,0[\"up\",{\"_placeholder\":true,\"num\":0}]");
    fx_binary(f, 2, 4, 4);
    fx_server_text(f, "451-/chat,[\"down\",{\"_placeholder\":true,\"num\":0}]");
    fx_server(f, 3);
    fx_server_text(f, "2");
    fx_closed(f, 1006, "", 0);
    fx_text(f, 1, 3, "42/chat,1[\"add\",2]");
    fx_advance(f, 60000);
    fx_tick(f);
    fx_opened(f, "", "");
    fx_server_text(f, OPEN2);
    fx_server_text(f, ANSWER2);
    fx_server_text(f, "43/chat,2[3]");
    fx_text(f, 1, 4, "41/chat,");
    fx_gone(f, 2);
    fx_flush(f);
}

static void sio_should_survive_running_out_of_memory_at_every_allocation(void)
{
    long n;
    int whole = 0;

    for (n = 1; n < 4000 && !whole; n++) {
        fx f;

        fa_install(n, 0);
        if (fx_open(&f, CONFIG) != WSS_OK) {
            fa_uninstall();
            continue;
        }
        story(&f);
        whole = fa_failures() == 0;
        fx_close(&f);
        CHECK_EQ(fa_live(), 0);
        fa_uninstall();
        if (test_failed())
            return;
    }
    CHECK(whole);
}

static void sio_should_give_an_answer_it_had_no_memory_for_at_the_next_event(void)
{
    fx f;
    long n;
    int told = 0;

    /* Whichever allocation of the second tab's CONNECT fails, the tab has
     * its answer once, by its re-send or at the next event. */
    for (n = 1; n < 40 && !told; n++) {
        sio_chat(&f, 1);
        fx_hello(&f, 2, 1);
        fx_flush(&f);
        fa_install(0, 0);
        fa_arm(n, 0);
        fx_text(&f, 2, 1, CONNECT_A);
        fa_arm(0, 0);
        told = fa_failures() == 0;
        fx_flush(&f);
        if (!contains(fx_delivered(&f, 2), ANSWER)) {
            fx_text(&f, 2, 2, "3");
            fx_flush(&f);
            if (!contains(fx_delivered(&f, 2), ANSWER)) {
                fx_text(&f, 2, 3, CONNECT_A);
                fx_flush(&f);
            }
            CHECK_STR(fx_delivered(&f, 2), ANSWER);
        }
        CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
        fx_close(&f);
        fa_uninstall();
    }
    CHECK(told);
}

const test_case socketio_tests[] = {
    TEST_CASE(sio_should_be_chosen_by_its_url_and_give_each_tab_the_open_packet_once),
    TEST_CASE(sio_should_answer_the_servers_pings_itself_and_pass_them_to_the_tabs),
    TEST_CASE(sio_should_connect_a_namespace_once_and_answer_later_tabs_from_the_cache),
    TEST_CASE(sio_should_give_a_namespaces_events_to_its_tabs_only),
    TEST_CASE(sio_should_disconnect_a_namespace_at_the_server_when_its_last_tab_leaves),
    TEST_CASE(sio_should_remap_ack_ids_both_ways),
    TEST_CASE(sio_should_ask_every_tab_for_the_servers_ack_and_forward_the_first_answer),
    TEST_CASE(sio_should_keep_binary_frames_with_their_packet_both_ways),
    TEST_CASE(sio_should_connect_every_namespace_again_on_a_new_connection_unseen_by_the_tabs),
    TEST_CASE(sio_should_rebuild_a_new_leaders_namespaces_from_what_the_tabs_kept),
    TEST_CASE(sio_should_have_the_tabs_keep_what_waits_for_a_connection_for_a_next_leader),
    TEST_CASE(sio_should_refuse_a_namespace_for_every_tab_the_server_refuses),
    TEST_CASE(sio_should_survive_running_out_of_memory_at_every_allocation),
    TEST_CASE(sio_should_give_an_answer_it_had_no_memory_for_at_the_next_event),
    TEST_END,
};
