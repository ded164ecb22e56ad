/*
 * The protocol profiles inside the core: what tabs send and what the server
 * answers, through the bus, with every handle (the host's and the ones the
 * core makes) accounted for. The profiles' own suites test them alone; these
 * test that the core carries out what they decide: one handshake on the
 * wire, answers to the tab that asked only, keep notes, the tab closed alone,
 * a lost socket and a new leader.
 */
#include <stdio.h>

#include "harness.h"

#define GQL_CONFIG "{\"protocols\":[\"graphql-transport-ws\"]}"

/* The last call's sends, one per line; the wire id of the nth (0-based). */
static const char *wire_id(const fx *f, int nth, char *buf, size_t cap)
{
    const act *x = fx_nth(f, WSS_ACT_SEND, nth);
    const char *text = x != NULL ? fx_payload(f, x->handle) : NULL;
    cJSON *json = text != NULL ? cJSON_Parse(text) : NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");

    buf[0] = '\0';
    if (cJSON_IsString(id))
        snprintf(buf, cap, "\"%s\"", id->valuestring);
    else if (cJSON_IsNumber(id))
        snprintf(buf, cap, "%.0f", id->valuedouble);
    cJSON_Delete(json);
    return buf;
}

static int contains(const char *text, const char *part)
{
    return text != NULL && strstr(text, part) != NULL;
}

/* Hello from each tab, the socket open under `protocol`, the flush done. */
static void start_tabs(fx *f, const char *config, const char *protocol, uint32_t n)
{
    uint32_t t;

    fx_open(f, config);
    for (t = 1; t <= n; t++)
        fx_hello(f, t, 1);
    fx_opened(f, protocol, "");
    fx_flush(f);
}

/* graphql-ws: every tab initialised and acknowledged; next seq of each tab is 2. */
static void gql_ready(fx *f, uint32_t n)
{
    uint32_t t;

    start_tabs(f, GQL_CONFIG, "graphql-transport-ws", n);
    for (t = 1; t <= n; t++)
        fx_text(f, t, 1, "{\"type\":\"connection_init\",\"payload\":{\"token\":\"a\"}}");
    fx_server_text(f, "{\"type\":\"connection_ack\"}");
    fx_flush(f);
}

static void profiles_should_send_one_connection_init_for_every_tab_and_answer_later_ones_from_the_cache(void)
{
    fx f;
    cJSON *stats;
    static const char init[] = "{\"type\":\"connection_init\",\"payload\":{\"token\":\"a\"}}";

    start_tabs(&f, GQL_CONFIG, "graphql-transport-ws", 3);
    CHECK_EQ(wss_wants_text(f.core), WSS_TEXT_FROM_TABS);
    stats = fx_stats(&f);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(stats, "protocol")), "none");
    cJSON_Delete(stats);
    fx_text(&f, 1, 1, init);
    CHECK(contains(fx_sent(&f), "connection_init"));
    CHECK_EQ(wss_wants_text(f.core), WSS_TEXT_FROM_TABS | WSS_TEXT_FROM_SERVER);
    stats = fx_stats(&f);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(stats, "protocol")), "graphql-ws");
    cJSON_Delete(stats);
    fx_text(&f, 2, 1, init);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_server_text(&f, "{\"type\":\"connection_ack\"}");
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 1), "connection_ack"));
    CHECK(contains(fx_delivered(&f, 2), "connection_ack"));
    /* Tab 3 has not asked: the ack is not its. */
    CHECK_STR(fx_delivered(&f, 3), "");
    fx_text(&f, 3, 1, init);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 3), "connection_ack"));
    CHECK_STR(fx_delivered(&f, 1), "");
    fx_close(&f);
}

static void profiles_should_route_each_answer_to_the_tab_that_asked_under_its_own_id(void)
{
    fx f;
    char w1[64];
    char w2[64];
    char next[160];

    gql_ready(&f, 2);
    fx_text(&f, 1, 2, "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription { t }\"}}");
    wire_id(&f, 0, w1, sizeof w1);
    fx_text(&f, 2, 2, "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription { t }\"}}");
    wire_id(&f, 0, w2, sizeof w2);
    REQUIRE(w1[0] != '\0' && w2[0] != '\0');
    CHECK(strcmp(w1, w2) != 0);
    snprintf(next, sizeof next, "{\"id\":%s,\"type\":\"next\",\"payload\":{\"data\":{\"t\":2}}}", w2);
    fx_server_text(&f, next);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "");
    CHECK(contains(fx_delivered(&f, 2), "\"id\":\"1\""));
    CHECK(contains(fx_delivered(&f, 2), "{\"data\":{\"t\":2}}"));
    fx_close(&f);
}

static void profiles_should_complete_only_the_operations_of_a_tab_that_died(void)
{
    fx f;
    char w1[64];
    char w2[64];

    gql_ready(&f, 2);
    fx_text(&f, 1, 2, "{\"id\":\"a\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription { t }\"}}");
    wire_id(&f, 0, w1, sizeof w1);
    fx_text(&f, 2, 2, "{\"id\":\"a\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription { t }\"}}");
    wire_id(&f, 0, w2, sizeof w2);
    fx_gone(&f, 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 1);
    CHECK(contains(fx_sent(&f), "complete"));
    CHECK(contains(fx_sent(&f), w1));
    CHECK(!contains(fx_sent(&f), w2));
    fx_close(&f);
}

static void profiles_should_acknowledge_a_taken_frame_and_tell_its_tab_to_keep_it(void)
{
    fx f;
    const act *ack;
    const cJSON *k;

    gql_ready(&f, 1);
    fx_text(&f, 1, 2, "{\"id\":\"s\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription { t }\"}}");
    fx_flush(&f);
    /* The note comes first: a tab keeps the frame from its ack on. */
    ack = fx_post(&f, "ack", 0);
    REQUIRE(ack != NULL);
    k = cJSON_GetObjectItemCaseSensitive(ack->json, "k");
    REQUIRE(cJSON_IsArray(k));
    /* [tab, seq, mark]: the subscription, frame 2 of tab 1. */
    CHECK_EQ(cJSON_GetArrayItem(k, cJSON_GetArraySize(k) - 3)->valuedouble, 1);
    CHECK_EQ(cJSON_GetArrayItem(k, cJSON_GetArraySize(k) - 2)->valuedouble, 2);
    /* Acknowledged once the socket passed on what went before it. */
    fx_drained(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 1), 2);
    fx_close(&f);
}

static void profiles_should_close_a_tab_with_other_credentials_alone(void)
{
    fx f;
    const act *close;

    start_tabs(&f, GQL_CONFIG, "graphql-transport-ws", 2);
    fx_text(&f, 1, 1, "{\"type\":\"connection_init\",\"payload\":{\"token\":\"a\"}}");
    fx_text(&f, 2, 1, "{\"type\":\"connection_init\",\"payload\":{\"token\":\"b\"}}");
    close = fx_post(&f, "close", 0);
    REQUIRE(close != NULL);
    CHECK_EQ(act_num(close, "tab"), 2);
    CHECK_EQ(act_num(close, "code"), 4403);
    CHECK(fx_nth(&f, WSS_ACT_UNWATCH, 0) != NULL && fx_nth(&f, WSS_ACT_UNWATCH, 0)->a == 2);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    /* The socket stays, for tab 1. */
    CHECK_EQ(fx_count(&f, WSS_ACT_CLOSE), 0);
    fx_close(&f);
}

/* subscriptions-transport-ws, known by its subprotocol graphql-ws: a tab with
 * other credentials hears connection_error before its close, as from its
 * own socket. */
static void profiles_should_tell_a_refused_legacy_graphql_tab_why_before_closing_it(void)
{
    fx f;
    const act *data, *close;

    start_tabs(&f, "{\"protocols\":[\"graphql-ws\"]}", "graphql-ws", 2);
    fx_text(&f, 1, 1, "{\"type\":\"connection_init\",\"payload\":{\"token\":\"a\"}}");
    CHECK(contains(fx_sent(&f), "connection_init"));
    fx_text(&f, 2, 1, "{\"type\":\"connection_init\",\"payload\":{\"token\":\"b\"}}");
    data = fx_nth(&f, WSS_ACT_POST_DATA, 0);
    close = fx_post(&f, "close", 0);
    REQUIRE(data != NULL && close != NULL);
    CHECK(data < close);
    CHECK(contains(fx_delivered(&f, 2), "\"type\":\"connection_error\""));
    CHECK_EQ(act_num(close, "tab"), 2);
    CHECK_EQ(act_num(close, "code"), 1011);
    CHECK_EQ(fx_count(&f, WSS_ACT_CLOSE), 0);
    fx_close(&f);
}

static void profiles_should_run_the_profile_the_protocol_option_names(void)
{
    static const struct {
        const char *config, *name;
    } cases[] = {
        { "{\"protocol\":\"graphql-ws\"}", "subscriptions-transport-ws" },
        { "{\"protocol\":\"graphql-transport-ws\",\"protocols\":[\"graphql-ws\"]}", "graphql-ws" },
        { "{\"protocols\":[\"graphql-ws\",\"graphql-transport-ws\"]}", "graphql-ws" },
        { "{\"protocols\":[\"graphql-transport-ws\",\"graphql-ws\"]}", "graphql-ws" },
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx f;
        cJSON *stats;

        start_tabs(&f, cases[i].config, "", 1);
        fx_text(&f, 1, 1, "{\"type\":\"connection_init\"}");
        stats = fx_stats(&f);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(stats, "protocol")), cases[i].name);
        cJSON_Delete(stats);
        fx_close(&f);
    }
}

static void profiles_should_open_the_next_connection_with_other_credentials_once_the_old_ones_left(void)
{
    fx f;

    start_tabs(&f, GQL_CONFIG, "graphql-transport-ws", 1);
    fx_text(&f, 1, 1, "{\"type\":\"connection_init\",\"payload\":{\"token\":\"a\"}}");
    fx_bye(&f, 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_CLOSE), 1);
    fx_closed(&f, 1000, "", 1);
    fx_hello(&f, 2, 1);
    fx_opened(&f, "graphql-transport-ws", "");
    fx_text(&f, 2, 1, "{\"type\":\"connection_init\",\"payload\":{\"token\":\"b\"}}");
    CHECK(fx_post(&f, "close", 0) == NULL);
    CHECK(contains(fx_sent(&f), "\"token\":\"b\""));
    fx_close(&f);
}

static void profiles_should_close_a_tab_that_sends_graphql_ws_a_binary_frame_alone(void)
{
    fx f;
    const act *close;

    gql_ready(&f, 2);
    fx_binary(&f, 2, 2, 4);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    close = fx_post(&f, "close", 0);
    REQUIRE(close != NULL);
    CHECK_EQ(act_num(close, "tab"), 2);
    CHECK_EQ(act_num(close, "code"), 4400);
    CHECK_EQ(fx_held(&f), 0);
    fx_close(&f);
}

static void profiles_should_fail_requests_and_resume_subscriptions_on_a_new_socket(void)
{
    fx f;
    char delivered[1024];

    gql_ready(&f, 1);
    fx_text(&f, 1, 2, "{\"id\":\"s\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription { t }\"}}");
    fx_text(&f, 1, 3, "{\"id\":\"m\",\"type\":\"subscribe\",\"payload\":{\"query\":\"mutation { bump }\"}}");
    fx_closed(&f, 1006, "", 0);
    snprintf(delivered, sizeof delivered, "%s", fx_delivered(&f, 1));
    CHECK(contains(delivered, "\"id\":\"m\""));
    CHECK(contains(delivered, "\"type\":\"error\""));
    CHECK(!contains(delivered, "\"id\":\"s\""));
    /* The tab is not asked to send anything again: its profile answered. */
    CHECK(fx_post(&f, "resend", 0) == NULL);
    CHECK(fx_post(&f, "reconnecting", 0) != NULL);
    fx_advance(&f, 60000);
    fx_tick(&f);
    CHECK_EQ(fx_count(&f, WSS_ACT_OPEN), 1);
    fx_opened(&f, "graphql-transport-ws", "");
    CHECK(contains(fx_sent(&f), "connection_init"));
    CHECK(!contains(fx_sent(&f), "subscribe"));
    fx_server_text(&f, "{\"type\":\"connection_ack\"}");
    CHECK(contains(fx_sent(&f), "subscription { t }"));
    CHECK(!contains(fx_sent(&f), "mutation"));
    fx_flush(&f);
    /* The client had its ack on the first socket: it hears none again. */
    CHECK(!contains(fx_delivered(&f, 1), "connection_ack"));
    fx_close(&f);
}

static void profiles_should_rebuild_a_new_leaders_state_from_what_the_tab_kept(void)
{
    fx f;

    start_tabs(&f, GQL_CONFIG, "graphql-transport-ws", 1);
    /* Kept from the last leader: the init the tab had its ack for (mark 1),
     * a subscription, and a query whose answer never came. */
    fx_restore(&f, 1, 1, 1, "{\"type\":\"connection_init\",\"payload\":{\"token\":\"a\"}}");
    CHECK(contains(fx_sent(&f), "connection_init"));
    fx_restore(&f, 1, 2, 0, "{\"id\":\"s\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription { t }\"}}");
    fx_restore(&f, 1, 3, 0, "{\"id\":\"q\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{ echo }\"}}");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 1), "\"id\":\"q\""));
    fx_server_text(&f, "{\"type\":\"connection_ack\"}");
    CHECK(contains(fx_sent(&f), "subscription { t }"));
    CHECK(!contains(fx_sent(&f), "echo"));
    fx_flush(&f);
    CHECK(!contains(fx_delivered(&f, 1), "connection_ack"));
    CHECK_EQ(fx_held(&f), 0);
    CHECK_EQ(fx_made_held(&f), 0);
    fx_close(&f);
}

static void profiles_should_map_the_same_jsonrpc_ids_of_two_tabs_apart(void)
{
    fx f;
    char w1[64];
    char w2[64];
    char answer[128];

    start_tabs(&f, "{}", "", 2);
    fx_text(&f, 1, 1, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"one\"]}");
    wire_id(&f, 0, w1, sizeof w1);
    fx_text(&f, 2, 1, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"two\"]}");
    wire_id(&f, 0, w2, sizeof w2);
    REQUIRE(w1[0] != '\0' && w2[0] != '\0');
    CHECK(strcmp(w1, w2) != 0);
    snprintf(answer, sizeof answer, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":\"two\"}", w2);
    fx_server_text(&f, answer);
    snprintf(answer, sizeof answer, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":\"one\"}", w1);
    fx_server_text(&f, answer);
    fx_flush(&f);
    CHECK_STR(fx_delivered(&f, 1), "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"one\"}");
    CHECK_STR(fx_delivered(&f, 2), "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"two\"}");
    CHECK_EQ(fx_held(&f), 0);
    CHECK_EQ(fx_made_held(&f), 0);
    fx_close(&f);
}

static void profiles_should_leave_frames_of_other_protocols_as_they_were(void)
{
    fx f;

    start_tabs(&f, "{}", "", 2);
    fx_text(&f, 1, 1, "{\"text\":\"hello\"}");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 1);
    CHECK_EQ(fx_nth(&f, WSS_ACT_SEND, 0)->handle, f.first);
    CHECK_EQ(fx_count(&f, WSS_ACT_PAYLOAD), 0);
    /* No frame was the profile's: the server's are not even read. */
    CHECK_EQ(wss_wants_text(f.core), WSS_TEXT_FROM_TABS);
    fx_server(&f, 20);
    fx_flush(&f);
    CHECK_EQ(fx_nth(&f, WSS_ACT_POST_DATA, 0)->handles[1], 0);
    fx_close(&f);
}

static void profiles_should_answer_a_request_an_earlier_leader_may_have_sent_with_an_error(void)
{
    fx f;

    fx_open(&f, "{}");
    /* Frames up to 3 went to an earlier leader; 3 comes again. */
    fx_control(&f, "{\"v\":1,\"t\":\"hello\",\"tab\":1,\"next\":3,\"last\":3,\"p\":3}");
    fx_opened(&f, "", "");
    fx_flush(&f);
    fx_text(&f, 1, 3, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"transfer\",\"params\":[]}");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 1), "\"id\":7"));
    CHECK(contains(fx_delivered(&f, 1), "\"error\""));
    /* A request made after it is new: it goes. */
    fx_text(&f, 1, 4, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"transfer\",\"params\":[]}");
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 1);
    fx_close(&f);
}

static void profiles_should_give_a_resumed_jsonrpc_subscription_the_id_its_tab_knows(void)
{
    fx f;
    char w[64];
    char frame[256];
    char known[256];
    cJSON *json;
    const cJSON *result;

    start_tabs(&f, "{}", "", 1);
    fx_text(&f, 1, 1, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_subscribe\",\"params\":[\"newHeads\"]}");
    wire_id(&f, 0, w, sizeof w);
    snprintf(frame, sizeof frame, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":\"0xaaa\"}", w);
    fx_server_text(&f, frame);
    fx_flush(&f);
    json = cJSON_Parse(fx_delivered(&f, 1));
    result = cJSON_GetObjectItemCaseSensitive(json, "result");
    REQUIRE(cJSON_IsString(result));
    snprintf(known, sizeof known, "%s", result->valuestring);
    cJSON_Delete(json);
    fx_server_text(&f, "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscription\",\"params\":{\"subscription\":\"0xaaa\",\"result\":1}}");
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 1), known));
    /* The server drops; the next one gives the subscription another id. */
    fx_closed(&f, 1006, "", 0);
    fx_advance(&f, 60000);
    fx_tick(&f);
    fx_opened(&f, "", "");
    CHECK(contains(fx_sent(&f), "eth_subscribe"));
    wire_id(&f, 0, w, sizeof w);
    snprintf(frame, sizeof frame, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":\"0xbbb\"}", w);
    fx_server_text(&f, frame);
    fx_flush(&f);
    /* Its tab had its answer on the first socket. */
    CHECK_STR(fx_delivered(&f, 1), "");
    fx_server_text(&f, "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscription\",\"params\":{\"subscription\":\"0xbbb\",\"result\":2}}");
    fx_flush(&f);
    CHECK(contains(fx_delivered(&f, 1), known));
    CHECK(contains(fx_delivered(&f, 1), "\"result\":2"));
    fx_close(&f);
}

static void profiles_should_leave_every_frame_alone_with_protocol_none(void)
{
    fx f;

    start_tabs(&f, "{\"protocol\":\"none\"}", "", 1);
    CHECK_EQ(wss_wants_text(f.core), 0);
    fx_text(&f, 1, 1, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}");
    CHECK_EQ(fx_nth(&f, WSS_ACT_SEND, 0)->handle, f.first);
    fx_close(&f);
}

static void profiles_should_refuse_an_unknown_protocol_in_the_config(void)
{
    wss_core *core = NULL;
    static const char bad[] = "{\"protocol\":\"amqp\"}";
    static const char worse[] = "{\"protocols\":\"graphql-transport-ws\"}";

    CHECK_EQ(wss_create(&core, bad, sizeof bad - 1), WSS_EINVAL);
    CHECK_EQ(wss_create(&core, worse, sizeof worse - 1), WSS_EINVAL);
    CHECK(core == NULL);
}

const test_case profile_tests[] = {
    TEST_CASE(profiles_should_send_one_connection_init_for_every_tab_and_answer_later_ones_from_the_cache),
    TEST_CASE(profiles_should_route_each_answer_to_the_tab_that_asked_under_its_own_id),
    TEST_CASE(profiles_should_complete_only_the_operations_of_a_tab_that_died),
    TEST_CASE(profiles_should_acknowledge_a_taken_frame_and_tell_its_tab_to_keep_it),
    TEST_CASE(profiles_should_close_a_tab_with_other_credentials_alone),
    TEST_CASE(profiles_should_tell_a_refused_legacy_graphql_tab_why_before_closing_it),
    TEST_CASE(profiles_should_run_the_profile_the_protocol_option_names),
    TEST_CASE(profiles_should_open_the_next_connection_with_other_credentials_once_the_old_ones_left),
    TEST_CASE(profiles_should_close_a_tab_that_sends_graphql_ws_a_binary_frame_alone),
    TEST_CASE(profiles_should_fail_requests_and_resume_subscriptions_on_a_new_socket),
    TEST_CASE(profiles_should_rebuild_a_new_leaders_state_from_what_the_tab_kept),
    TEST_CASE(profiles_should_map_the_same_jsonrpc_ids_of_two_tabs_apart),
    TEST_CASE(profiles_should_leave_frames_of_other_protocols_as_they_were),
    TEST_CASE(profiles_should_answer_a_request_an_earlier_leader_may_have_sent_with_an_error),
    TEST_CASE(profiles_should_give_a_resumed_jsonrpc_subscription_the_id_its_tab_knows),
    TEST_CASE(profiles_should_leave_every_frame_alone_with_protocol_none),
    TEST_CASE(profiles_should_refuse_an_unknown_protocol_in_the_config),
    TEST_END,
};
