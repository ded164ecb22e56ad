/*
 * The ActionCable profile inside the core: @rails/actioncable consumers in
 * several tabs on one connection, as a Rails server sees them. The server
 * hears one subscribe per identifier and the unsubscribe when its last tab
 * leaves; each tab hears the welcome, its confirmations and the messages of
 * its identifiers, once; a new connection or a new leader changes nothing the
 * tabs can see.
 */
#include <stdio.h>

#include "harness.h"

#define CONFIG "{\"protocols\":[\"actioncable-v1-json\",\"actioncable-unsupported\"]}"
#define ROOM "{\\\"channel\\\":\\\"ChatChannel\\\",\\\"room\\\":\\\"1\\\"}"
#define OTHER "{\\\"channel\\\":\\\"ChatChannel\\\",\\\"room\\\":\\\"2\\\"}"
#define SUBSCRIBE(id) "{\"command\":\"subscribe\",\"identifier\":\"" id "\"}"
#define UNSUBSCRIBE(id) "{\"command\":\"unsubscribe\",\"identifier\":\"" id "\"}"
#define CONFIRM(id) "{\"identifier\":\"" id "\",\"type\":\"confirm_subscription\"}"
#define REJECT(id) "{\"identifier\":\"" id "\",\"type\":\"reject_subscription\"}"
#define MESSAGE(id, text) "{\"identifier\":\"" id "\",\"message\":{\"text\":\"" text "\"}}"
#define WELCOME "{\"type\":\"welcome\",\"sid\":1}"

static int contains(const char *text, const char *part)
{
    return text != NULL && strstr(text, part) != NULL;
}

/* How many times `part` occurs in text. */
static int occurrences(const char *text, const char *part)
{
    int n = 0;

    while (text != NULL && (text = strstr(text, part)) != NULL) {
        n++;
        text += strlen(part);
    }
    return n;
}

/* n tabs on an open socket that had its welcome. */
static void cable_open(fx *f, uint32_t n)
{
    uint32_t t;

    fx_open(f, CONFIG);
    for (t = 1; t <= n; t++)
        fx_hello(f, t, 1);
    fx_opened(f, "actioncable-v1-json", "");
    fx_server_text(f, WELCOME);
    fx_flush(f);
}

/* Tab t subscribes to `id` with frame seq and the log is flushed. */
static void subscribe(fx *f, uint32_t t, uint32_t seq, const char *frame)
{
    fx_text(f, t, seq, frame);
    fx_flush(f);
}

static void cable_should_send_one_subscribe_per_identifier_and_confirm_later_tabs_from_the_cache(void)
{
    fx f;
    cJSON *stats;

    fx_open(&f, CONFIG);
    /* Its server speaks first: the welcome must reach the profile. */
    CHECK_EQ(wss_wants_text(f.core), WSS_TEXT_FROM_TABS | WSS_TEXT_FROM_SERVER);
    fx_close(&f);
    /* Each tab has the welcome as it comes: a consumer subscribes at it. */
    fx_open(&f, CONFIG);
    fx_hello(&f, 1, 1);
    fx_hello(&f, 2, 1);
    fx_opened(&f, "actioncable-v1-json", "");
    fx_server_text(&f, WELCOME);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), WELCOME);
    CHECK_STR(fx_delivered(&f, 2), WELCOME);
    /* And a tab that joins later, as it joins; once. */
    fx_hello(&f, 3, 1);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 3), WELCOME);
    CHECK_STR(fx_delivered(&f, 1), "");
    fx_hello(&f, 3, 1);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 3), "");
    fx_text(&f, 1, 1, SUBSCRIBE(ROOM));
    CHECK_STR(fx_sent(&f), SUBSCRIBE(ROOM));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    fx_server_text(&f, CONFIRM(ROOM));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), CONFIRM(ROOM));
    CHECK_STR(fx_delivered(&f, 2), "");
    fx_text(&f, 2, 1, SUBSCRIBE(ROOM));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 2), CONFIRM(ROOM));
    /* The consumer's guarantor and its welcome repeat a subscribe: Rails
     * ignores one it has, and so does the profile. */
    fx_text(&f, 2, 2, SUBSCRIBE(ROOM));
    fx_flush(&f);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    CHECK_STR(fx_delivered(&f, 2), "");
    stats = fx_stats(&f);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(stats, "protocol")), "actioncable");
    cJSON_Delete(stats);
    fx_close(&f);
}

static void cable_should_give_a_tab_the_messages_of_its_identifiers_only(void)
{
    fx f;

    cable_open(&f, 3);
    subscribe(&f, 1, 1, SUBSCRIBE(ROOM));
    subscribe(&f, 2, 1, SUBSCRIBE(ROOM));
    subscribe(&f, 3, 1, SUBSCRIBE(OTHER));
    fx_server_text(&f, CONFIRM(ROOM));
    fx_server_text(&f, CONFIRM(OTHER));
    fx_flush(&f);
    fx_server_text(&f, MESSAGE(ROOM, "hello"));
    fx_server_text(&f, MESSAGE(OTHER, "there"));
    /* A server may escape an identifier otherwise than the tab did. */
    fx_server_text(&f, "{\"identifier\":\"{\\\"channel\\\":\\\"ChatChannel\\\",\\\"room\\\":\\\"\\u0031\\\"}\","
                       "\"message\":{\"text\":\"escaped\"}}");
    fx_flush(&f);
    CHECK_EQ(occurrences(fx_delivered(&f, 1), "hello"), 1);
    CHECK_EQ(occurrences(fx_delivered(&f, 1), "escaped"), 1);
    CHECK_EQ(occurrences(fx_delivered(&f, 2), "hello"), 1);
    CHECK(!contains(fx_delivered(&f, 1), "there"));
    CHECK_STR(fx_delivered(&f, 3), MESSAGE(OTHER, "there"));
    /* ping is every tab's. */
    fx_server_text(&f, "{\"type\":\"ping\",\"message\":1}");
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 1), "ping") && contains(fx_delivered(&f, 3), "ping"));
    fx_close(&f);
}

static void cable_should_unsubscribe_at_the_server_when_the_last_tab_leaves(void)
{
    fx f;

    cable_open(&f, 3);
    subscribe(&f, 1, 1, SUBSCRIBE(ROOM));
    subscribe(&f, 2, 1, SUBSCRIBE(ROOM));
    subscribe(&f, 3, 1, SUBSCRIBE(ROOM));
    fx_server_text(&f, CONFIRM(ROOM));
    fx_flush(&f);
    fx_text(&f, 1, 2, UNSUBSCRIBE(ROOM));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_gone(&f, 2);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_server_text(&f, MESSAGE(ROOM, "hello"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 3), MESSAGE(ROOM, "hello"));
    fx_text(&f, 3, 2, UNSUBSCRIBE(ROOM));
    CHECK_STR(fx_sent(&f), UNSUBSCRIBE(ROOM));
    /* The next subscribe asks the server again. */
    fx_text(&f, 1, 3, SUBSCRIBE(ROOM));
    CHECK_STR(fx_sent(&f), SUBSCRIBE(ROOM));
    fx_close(&f);
}

static void cable_should_tell_every_tab_under_a_refused_identifier_and_keep_none(void)
{
    fx f;

    cable_open(&f, 2);
    subscribe(&f, 1, 1, SUBSCRIBE(ROOM));
    subscribe(&f, 2, 1, SUBSCRIBE(ROOM));
    fx_server_text(&f, REJECT(ROOM));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), REJECT(ROOM));
    CHECK_STR(fx_delivered(&f, 2), REJECT(ROOM));
    fx_text(&f, 2, 2, SUBSCRIBE(ROOM));
    CHECK_STR(fx_sent(&f), SUBSCRIBE(ROOM));
    fx_close(&f);
}

static void cable_should_subscribe_everything_again_on_a_new_connection_unseen_by_the_tabs(void)
{
    fx f;

    cable_open(&f, 3);
    subscribe(&f, 1, 1, SUBSCRIBE(ROOM));
    subscribe(&f, 2, 1, SUBSCRIBE(OTHER));
    fx_server_text(&f, CONFIRM(ROOM));
    fx_server_text(&f, CONFIRM(OTHER));
    fx_flush(&f);
    fx_closed(&f, 1006, "", 0);
    CHECK(fx_post(&f, "close", 0) == NULL);
    /* A tab subscribing, or joining, meanwhile waits for the next connection. */
    subscribe(&f, 3, 1, SUBSCRIBE(ROOM));
    CHECK_STR(fx_delivered(&f, 3), "");
    fx_hello(&f, 4, 1);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 4), "");
    fx_advance(&f, 60000);
    fx_tick(&f);
    fx_opened(&f, "actioncable-v1-json", "");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_server_text(&f, WELCOME);
    CHECK_STR(fx_sent(&f), SUBSCRIBE(ROOM) "\n" SUBSCRIBE(OTHER));
    fx_server_text(&f, CONFIRM(ROOM));
    fx_server_text(&f, CONFIRM(OTHER));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), "");
    CHECK_STR(fx_delivered(&f, 3), CONFIRM(ROOM));
    CHECK_STR(fx_delivered(&f, 4), WELCOME);
    fx_server_text(&f, MESSAGE(OTHER, "back"));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 2), MESSAGE(OTHER, "back"));
    fx_close(&f);
}

static void cable_should_rebuild_a_new_leaders_subscriptions_from_what_the_tabs_kept(void)
{
    fx f;

    cable_open(&f, 2);
    /* The tabs' kept subscribes, the first confirmed (mark 1), the second not. */
    fx_restore(&f, 1, 1, 1, SUBSCRIBE(ROOM));
    CHECK_STR(fx_sent(&f), SUBSCRIBE(ROOM));
    fx_restore(&f, 2, 1, 0, SUBSCRIBE(ROOM));
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_server_text(&f, CONFIRM(ROOM));
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK_STR(fx_delivered(&f, 2), CONFIRM(ROOM));
    fx_close(&f);
}

static void cable_should_never_send_again_a_message_an_earlier_leader_may_have_sent(void)
{
    fx f;
    static const char speak[] =
        "{\"command\":\"message\",\"identifier\":\"" ROOM "\",\"data\":\"{\\\"action\\\":\\\"speak\\\"}\"}";

    cable_open(&f, 1);
    subscribe(&f, 1, 1, SUBSCRIBE(ROOM));
    fx_text(&f, 1, 2, speak);
    CHECK_STR(fx_sent(&f), speak);
    fx_restore(&f, 1, 3, 0, speak);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    CHECK(fx_post(&f, "error", 0) != NULL);
    fx_close(&f);
}

const test_case actioncable_tests[] = {
    TEST_CASE(cable_should_send_one_subscribe_per_identifier_and_confirm_later_tabs_from_the_cache),
    TEST_CASE(cable_should_give_a_tab_the_messages_of_its_identifiers_only),
    TEST_CASE(cable_should_unsubscribe_at_the_server_when_the_last_tab_leaves),
    TEST_CASE(cable_should_tell_every_tab_under_a_refused_identifier_and_keep_none),
    TEST_CASE(cable_should_subscribe_everything_again_on_a_new_connection_unseen_by_the_tabs),
    TEST_CASE(cable_should_rebuild_a_new_leaders_subscriptions_from_what_the_tabs_kept),
    TEST_CASE(cable_should_never_send_again_a_message_an_earlier_leader_may_have_sent),
    TEST_END,
};
