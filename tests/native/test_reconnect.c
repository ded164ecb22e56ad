/*
 * Reconnection: a lost socket is retried after an exponential backoff with
 * full jitter (seeded, so these schedules are exact), the tabs and their
 * queued frames wait for it, `online` retries at once, and the shared socket
 * is given up only for a final close code or when the retries run out.
 */
#include <stdio.h>

#include "harness.h"

/* The wait the last call armed, in ms; -1 when it armed none. */
static long long armed(const fx *f)
{
    const act *t = fx_nth(f, WSS_ACT_TIMER, 0);

    return t == NULL ? -1 : t->a == UINT32_MAX ? -2 : (long long)t->a;
}

/* The socket fails `code` and the wait it announced passes: the core opens again. */
static long long lose_and_wait(fx *f, uint32_t code)
{
    long long delay;

    fx_closed(f, code, "", 0);
    delay = act_num(fx_post(f, "reconnecting", 0), "delay");
    fx_advance(f, (double)delay);
    fx_tick(f);
    return delay;
}

/* Tabs 7 and 8 on an open socket; tab 7's frames 1 and 2 sent and acked. */
static void two_tabs_with_frames_acked(fx *f)
{
    fx_open(f, NULL);
    fx_start(f, 7);
    fx_hello(f, 8, 1);
    fx_frames(f, 7, 1, 2, NULL);
    fx_drained(f);
    CHECK_EQ(ack_for(fx_post(f, "ack", 0), 7), 2);
}

/* Long past any wait: the retry is made and the socket opens. */
static void reopen(fx *f)
{
    fx_advance(f, 60000);
    fx_tick(f);
    fx_opened(f, "", "");
}

/* The new socket drains: tab 7 is acked up to `seq7`, tab 8 up to `seq8`. */
static void check_acked_after_drain(const char *file, int line, fx *f, long long seq7,
                                    long long seq8)
{
    fx_drained(f);
    if (ack_for(fx_post(f, "ack", 0), 7) != seq7 || ack_for(fx_post(f, "ack", 0), 8) != seq8)
        check_fail(file, line, "the drain gave %s", fx_describe(f));
    if (fx_held(f) != 0)
        check_fail(file, line, "%u handles never came back", fx_held(f));
}

static void reconnect_should_announce_a_retry_and_open_again_after_the_wait(void)
{
    fx f;
    const act *r;
    long long delay;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_hello(&f, 8, 1);
    CHECK_EQ(fx_closed(&f, 1006, "", 0), WSS_OK);
    r = fx_post(&f, "reconnecting", 0);
    REQUIRE(r != NULL);
    CHECK_EQ(act_num(r, "v"), WSS_BUS_VERSION);
    CHECK_EQ(act_num(r, "attempt"), 1);
    delay = act_num(r, "delay");
    /* The defaults: the first wait is between minDelay (1 s) and twice that. */
    CHECK(delay >= 1000 && delay <= 2000);
    CHECK_EQ(armed(&f), delay);
    CHECK_EQ(fx_count(&f, WSS_ACT_UNWATCH), 0);
    CHECK(fx_post(&f, "close", 0) == NULL);
    CHECK_EQ(fx_stat(&f, "tabs"), 2);
    CHECK_EQ(fx_stat(&f, "reconnects"), 1);
    CHECK_EQ(fx_stat(&f, "attempt"), 1);
    {
        cJSON *s = fx_stats(&f);

        CHECK_STR(cJSON_GetObjectItemCaseSensitive(s, "socket")->valuestring, "reconnecting");
        fa_pause(1);
        cJSON_Delete(s);
        fa_pause(0);
    }
    /* Not a moment early. */
    fx_advance(&f, (double)delay - 1);
    fx_tick(&f);
    CHECK_EQ(fx_count(&f, WSS_ACT_OPEN), 0);
    fx_advance(&f, 1);
    fx_tick(&f);
    CHECK_ACTS(&f, "OPEN");
    fx_opened(&f, "chat", "");
    CHECK(fx_post(&f, "open", 0) != NULL);
    CHECK_STR(act_str(fx_post(&f, "open", 0), "protocol"), "chat");
    CHECK_EQ(fx_stat(&f, "opens"), 2);
    fx_close(&f);
}

static void reconnect_should_keep_frames_sent_during_the_outage_and_send_them_in_order_once_open(void)
{
    fx f;

    two_tabs_with_frames_acked(&f);
    fx_flush(&f);
    fx_closed(&f, 1001, "restarting", 1);
    CHECK(fx_post(&f, "resend", 0) == NULL);
    fx_frames(&f, 7, 3, 2, NULL);
    CHECK_ACTS(&f, "FLUSH");
    fx_frames(&f, 8, 1, 1, NULL);
    fx_frames(&f, 7, 5, 1, NULL);
    CHECK_EQ(fx_stat(&f, "queuedFrames"), 4);
    /* Nothing is acked while it waits: the tabs keep their frames. */
    fx_flush(&f);
    CHECK_ACTS(&f, "");
    reopen(&f);
    CHECK_ACTS(&f, "POST:open SEND#3 DRAIN SEND#4 SEND#5 SEND#6 FLUSH");
    check_acked_after_drain(__FILE__, __LINE__, &f, 5, 1);
    fx_close(&f);
}

static void reconnect_should_ask_again_for_frames_the_lost_socket_never_confirmed(void)
{
    fx f;

    two_tabs_with_frames_acked(&f);
    fx_frames(&f, 7, 3, 2, NULL);
    fx_frames(&f, 8, 1, 1, NULL);
    CHECK_ACTS(&f, "SEND#5");
    fx_flush(&f);
    /* Sent, but the socket went before it said they left: not acked, and
     * each tab is asked for them again. */
    fx_closed(&f, 1006, "", 0);
    CHECK_EQ(fx_post(&f, "ack", 0) == NULL, 1);
    REQUIRE(fx_post(&f, "resend", 1) != NULL);
    CHECK_EQ(act_num(fx_post(&f, "resend", 0), "tab"), 7);
    CHECK_EQ(act_num(fx_post(&f, "resend", 0), "from"), 3);
    CHECK_EQ(act_num(fx_post(&f, "resend", 1), "tab"), 8);
    CHECK_EQ(act_num(fx_post(&f, "resend", 1), "from"), 1);
    /* They come again, and leave first on the next socket, in order. */
    fx_frames(&f, 7, 3, 3, NULL);
    fx_frames(&f, 8, 1, 1, NULL);
    CHECK_EQ(fx_stat(&f, "queuedFrames"), 4);
    fx_flush(&f);
    reopen(&f);
    CHECK_ACTS(&f, "POST:open SEND#6 DRAIN SEND#7 SEND#8 SEND#9 FLUSH");
    check_acked_after_drain(__FILE__, __LINE__, &f, 5, 1);
    fx_close(&f);
}

static void reconnect_should_refuse_sends_past_the_bounds_during_the_outage_keeping_the_queue(void)
{
    fx f;

    fx_open(&f, "{\"maxQueuedFrames\":2}");
    fx_start(&f, 7);
    fx_closed(&f, 1006, "", 0);
    fx_frames(&f, 7, 1, 3, NULL);
    CHECK_ACTS(&f, "RELEASE#3 POST:error FLUSH");
    CHECK_STR(act_str(fx_post(&f, "error", 0), "code"), "queue_full");
    /* The refused frame's ack waits for the two queued before it. */
    fx_flush(&f);
    CHECK_ACTS(&f, "");
    reopen(&f);
    CHECK_ACTS(&f, "POST:open SEND#1 DRAIN SEND#2 FLUSH");
    fx_close(&f);
}

static void reconnect_should_grow_the_wait_by_factor_up_to_maxDelay_with_jitter_inside_the_bounds(void)
{
    fx f;
    uint32_t n;
    long long hi = 100;
    int below_ceiling = 0;

    fx_open(&f, "{\"reconnect\":{\"minDelay\":100,\"maxDelay\":1500,\"factor\":2}}");
    fx_hello(&f, 7, 1);
    for (n = 1; n <= 12; n++) {
        long long delay;

        hi = hi * 2 > 1500 ? 1500 : hi * 2;
        fx_closed(&f, 1006, "", 0);
        CHECK_EQ(act_num(fx_post(&f, "reconnecting", 0), "attempt"), n);
        delay = act_num(fx_post(&f, "reconnecting", 0), "delay");
        if (delay < 100 || delay > hi)
            check_fail(__FILE__, __LINE__, "retry %u waits %lld ms, outside [100, %lld]", n, delay,
                       hi);
        below_ceiling += delay < hi;
        fx_advance(&f, (double)delay);
        fx_tick(&f);
        CHECK_EQ(fx_count(&f, WSS_ACT_OPEN), 1);
    }
    /* Jitter: the draws do not sit on the ceiling. */
    CHECK(below_ceiling >= 10);
    fx_close(&f);
}

static void reconnect_should_wait_exactly_minDelay_when_factor_is_1_and_the_bounds_are_equal(void)
{
    fx f;
    int n;

    fx_open(&f, "{\"reconnect\":{\"minDelay\":250,\"maxDelay\":250,\"factor\":1}}");
    fx_hello(&f, 7, 1);
    for (n = 0; n < 5; n++)
        CHECK_EQ(lose_and_wait(&f, 1006), 250);
    fx_close(&f);
}

/* The first `n` waits a core with this seed draws. */
static void schedule(uint32_t seed, long long *out, int n)
{
    fx f;
    char config[96];
    int i;

    snprintf(config, sizeof(config), "{\"seed\":%u,\"reconnect\":{\"maxDelay\":600000}}", seed);
    fx_open(&f, config);
    fx_hello(&f, 7, 1);
    for (i = 0; i < n; i++)
        out[i] = lose_and_wait(&f, 1006);
    fx_close(&f);
}

static void reconnect_should_draw_the_same_waits_from_the_same_seed_and_others_from_another(void)
{
    long long a[10];
    long long b[10];
    long long c[10];

    schedule(42, a, 10);
    schedule(42, b, 10);
    schedule(43, c, 10);
    CHECK(memcmp(a, b, sizeof(a)) == 0);
    CHECK(memcmp(a, c, sizeof(a)) != 0);
}

static void reconnect_should_start_the_count_over_after_the_socket_stayed_up_minUptime(void)
{
    fx f;

    fx_open(&f, "{\"reconnect\":{\"minUptime\":5000}}");
    fx_start(&f, 7);
    lose_and_wait(&f, 1006);
    fx_opened(&f, "", "");
    fx_advance(&f, 4999);
    fx_closed(&f, 1006, "", 0);
    CHECK_EQ(act_num(fx_post(&f, "reconnecting", 0), "attempt"), 2);
    reopen(&f);
    fx_advance(&f, 5000);
    fx_closed(&f, 1006, "", 0);
    CHECK_EQ(act_num(fx_post(&f, "reconnecting", 0), "attempt"), 1);
    CHECK(act_num(fx_post(&f, "reconnecting", 0), "delay") <= 2000);
    fx_close(&f);
}

static void reconnect_should_give_up_after_maxRetries_failures_in_a_row(void)
{
    fx f;
    const act *c;

    fx_open(&f, "{\"reconnect\":{\"maxRetries\":2}}");
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 1, NULL);
    fx_drained(&f);
    lose_and_wait(&f, 1006);
    CHECK_ACTS(&f, "OPEN");
    lose_and_wait(&f, 1006);
    CHECK_ACTS(&f, "OPEN");
    fx_frames(&f, 7, 2, 1, NULL);
    fx_closed(&f, 1006, "", 0);
    CHECK_ACTS(&f, "POST:close RELEASE#2 UNWATCH:7 IDLE");
    c = fx_post(&f, "close", 0);
    REQUIRE(c != NULL);
    CHECK_EQ(act_num(c, "code"), 1006);
    CHECK(fx_post(&f, "reconnecting", 0) == NULL);
    CHECK_EQ(fx_count(&f, WSS_ACT_IDLE), 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_UNWATCH), 1);
    CHECK_EQ(fx_stat(&f, "tabs"), 0);
    CHECK_EQ(fx_held(&f), 0);
    /* A tab that comes later starts afresh, with a full set of retries. */
    fx_hello(&f, 8, 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_OPEN), 1);
    fx_closed(&f, 1006, "", 0);
    CHECK_EQ(act_num(fx_post(&f, "reconnecting", 0), "attempt"), 1);
    fx_close(&f);
}

static void reconnect_should_give_up_at_the_first_close_when_turned_off(void)
{
    fx f;

    fx_open(&f, "{\"reconnect\":false}");
    fx_start(&f, 7);
    fx_closed(&f, 1001, "", 1);
    CHECK(fx_post(&f, "close", 0) != NULL);
    CHECK_EQ(fx_count(&f, WSS_ACT_IDLE), 1);
    fx_close(&f);
}

static void reconnect_should_not_retry_after_a_close_code_of_the_default_stopOn(void)
{
    static const uint32_t final[] = {1002, 1003, 1007, 1008, 1009, 1010};
    static const uint32_t retried[] = {1000, 1001, 1005, 1006, 1011, 1012, 1013, 4000};
    size_t i;

    for (i = 0; i < sizeof(final) / sizeof(final[0]); i++) {
        fx f;

        fx_open(&f, NULL);
        fx_start(&f, 7);
        fx_closed(&f, final[i], "no", 1);
        if (fx_post(&f, "close", 0) == NULL || act_num(fx_post(&f, "close", 0), "code") != final[i])
            check_fail(__FILE__, __LINE__, "close %u gave %s", final[i], fx_describe(&f));
        fx_close(&f);
    }
    for (i = 0; i < sizeof(retried) / sizeof(retried[0]); i++) {
        fx f;

        fx_open(&f, NULL);
        fx_start(&f, 7);
        fx_closed(&f, retried[i], "", 1);
        if (fx_post(&f, "reconnecting", 0) == NULL)
            check_fail(__FILE__, __LINE__, "close %u gave %s", retried[i], fx_describe(&f));
        fx_close(&f);
    }
}

static void reconnect_should_take_the_apps_stopOn_instead_of_the_default(void)
{
    fx f;

    fx_open(&f, "{\"reconnect\":{\"stopOn\":[4001,4403]}}");
    fx_start(&f, 7);
    fx_closed(&f, 1008, "", 1);
    CHECK(fx_post(&f, "reconnecting", 0) != NULL);
    reopen(&f);
    fx_closed(&f, 4403, "forbidden", 1);
    CHECK_STR(act_str(fx_post(&f, "close", 0), "reason"), "forbidden");
    fx_close(&f);
    /* An empty list: every close is retried. */
    fx_open(&f, "{\"reconnect\":{\"stopOn\":[]}}");
    fx_start(&f, 7);
    fx_closed(&f, 1008, "", 1);
    CHECK(fx_post(&f, "reconnecting", 0) != NULL);
    fx_close(&f);
}

static void reconnect_should_retry_at_once_when_the_browser_comes_back_online(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    CHECK_EQ(fx_online(&f), WSS_OK);
    CHECK_ACTS(&f, "");
    fx_closed(&f, 1006, "", 0);
    fx_advance(&f, 10);
    fx_online(&f);
    CHECK_ACTS(&f, "OPEN TIMER:off");
    /* Already connecting: nothing more. */
    fx_online(&f);
    CHECK_ACTS(&f, "");
    /* The count goes on: it was not a success. */
    fx_closed(&f, 1006, "", 0);
    CHECK_EQ(act_num(fx_post(&f, "reconnecting", 0), "attempt"), 2);
    fx_close(&f);
}

static void reconnect_should_stop_waiting_when_the_last_tab_leaves(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_closed(&f, 1006, "", 0);
    fx_frames(&f, 7, 1, 2, NULL);
    fx_bye(&f, 7);
    CHECK_ACTS(&f, "UNWATCH:7 POST:gone RELEASE#1 RELEASE#2 IDLE TIMER:off");
    CHECK_EQ(fx_held(&f), 0);
    fx_advance(&f, 60000);
    fx_tick(&f);
    CHECK_EQ(fx_count(&f, WSS_ACT_OPEN), 0);
    /* A socket event with no socket is refused. */
    CHECK_EQ(fx_closed(&f, 1006, "", 0), WSS_EREJECT);
    fx_close(&f);
}

static void reconnect_should_welcome_a_tab_joining_during_the_wait_as_connecting(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_closed(&f, 1006, "", 0);
    fx_hello(&f, 8, 1);
    CHECK_ACTS(&f, "WATCH:8 POST:welcome");
    CHECK_STR(act_str(fx_post(&f, "welcome", 0), "state"), "connecting");
    fx_close(&f);
}

static void reconnect_should_deliver_frames_that_came_before_the_loss_before_announcing_it(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_server(&f, 1);
    fx_server(&f, 1);
    fx_closed(&f, 1006, "", 0);
    CHECK_ACTS(&f, "DATA@1#1,2 POST:reconnecting TIMER:1196");
    /* Numbers go on across the outage. */
    reopen(&f);
    CHECK_EQ(act_num(fx_post(&f, "open", 0), "seq"), 3);
    fx_close(&f);
}

const test_case reconnect_tests[] = {
    TEST_CASE(reconnect_should_announce_a_retry_and_open_again_after_the_wait),
    TEST_CASE(reconnect_should_keep_frames_sent_during_the_outage_and_send_them_in_order_once_open),
    TEST_CASE(reconnect_should_ask_again_for_frames_the_lost_socket_never_confirmed),
    TEST_CASE(reconnect_should_refuse_sends_past_the_bounds_during_the_outage_keeping_the_queue),
    TEST_CASE(reconnect_should_grow_the_wait_by_factor_up_to_maxDelay_with_jitter_inside_the_bounds),
    TEST_CASE(reconnect_should_wait_exactly_minDelay_when_factor_is_1_and_the_bounds_are_equal),
    TEST_CASE(reconnect_should_draw_the_same_waits_from_the_same_seed_and_others_from_another),
    TEST_CASE(reconnect_should_start_the_count_over_after_the_socket_stayed_up_minUptime),
    TEST_CASE(reconnect_should_give_up_after_maxRetries_failures_in_a_row),
    TEST_CASE(reconnect_should_give_up_at_the_first_close_when_turned_off),
    TEST_CASE(reconnect_should_not_retry_after_a_close_code_of_the_default_stopOn),
    TEST_CASE(reconnect_should_take_the_apps_stopOn_instead_of_the_default),
    TEST_CASE(reconnect_should_retry_at_once_when_the_browser_comes_back_online),
    TEST_CASE(reconnect_should_stop_waiting_when_the_last_tab_leaves),
    TEST_CASE(reconnect_should_welcome_a_tab_joining_during_the_wait_as_connecting),
    TEST_CASE(reconnect_should_deliver_frames_that_came_before_the_loss_before_announcing_it),
    TEST_END,
};
