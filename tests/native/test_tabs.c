/*
 * Tabs joining and leaving: hello, welcome, the one socket opened for all,
 * bye, a released lock, the unused socket closed and reopened, and the
 * heartbeat fallback (tabTimeoutMs) with its timer.
 */
#include "harness.h"

static void core_should_open_the_socket_when_the_first_tab_says_hello(void)
{
    fx f;
    const act *w;

    fx_open(&f, NULL);
    CHECK_EQ(fx_hello(&f, 7, 1), WSS_OK);
    CHECK_ACTS(&f, "WATCH:7 POST:welcome OPEN");
    w = fx_post(&f, "welcome", 0);
    REQUIRE(w != NULL);
    CHECK_EQ(act_num(w, "v"), WSS_BUS_VERSION);
    CHECK_EQ(act_num(w, "tab"), 7);
    CHECK_STR(act_str(w, "state"), "connecting");
    CHECK_STR(act_str(w, "protocol"), "");
    CHECK_STR(act_str(w, "extensions"), "");
    CHECK_EQ(act_num(w, "seq"), 1);
    CHECK_EQ(act_num(w, "acked"), 0);
    CHECK_EQ(fx_stat(&f, "tabs"), 1);
    fx_close(&f);
}

static void core_should_not_open_a_second_socket_for_a_second_tab(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_hello(&f, 7, 1);
    fx_hello(&f, 8, 1);
    CHECK_ACTS(&f, "WATCH:8 POST:welcome");
    CHECK_STR(act_str(fx_post(&f, "welcome", 0), "state"), "connecting");
    CHECK_EQ(act_num(fx_post(&f, "welcome", 0), "tab"), 8);
    fx_opened(&f, "", "");
    fx_hello(&f, 9, 1);
    CHECK_ACTS(&f, "WATCH:9 POST:welcome");
    CHECK_EQ(fx_stat(&f, "tabs"), 3);
    CHECK_EQ(fx_stat(&f, "opens"), 1);
    fx_close(&f);
}

static void core_should_welcome_a_tab_that_starts_its_numbering_later(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_hello(&f, 7, 42);
    CHECK_EQ(act_num(fx_post(&f, "welcome", 0), "acked"), 41);
    fx_frames(&f, 7, 42, 1, NULL);
    CHECK_ACTS(&f, "FLUSH");
    fx_close(&f);
}

static void core_should_post_an_open_envelope_when_the_socket_opens(void)
{
    fx f;
    const act *o;

    fx_open(&f, NULL);
    fx_hello(&f, 7, 1);
    CHECK_EQ(fx_opened(&f, "chat.v2", "permessage-deflate"), WSS_OK);
    CHECK_ACTS(&f, "POST:open FLUSH");
    o = fx_post(&f, "open", 0);
    CHECK_EQ(act_num(o, "v"), WSS_BUS_VERSION);
    CHECK_STR(act_str(o, "protocol"), "chat.v2");
    CHECK_STR(act_str(o, "extensions"), "permessage-deflate");
    CHECK_EQ(act_num(o, "seq"), 1);
    CHECK_EQ(fx_stat(&f, "opens"), 1);
    fx_close(&f);
}

static void core_should_welcome_a_tab_joining_an_open_socket_with_state_open_and_the_protocol(void)
{
    fx f;
    const act *w;

    fx_open(&f, NULL);
    fx_hello(&f, 7, 1);
    fx_opened(&f, "chat.v2", "permessage-deflate");
    fx_flush(&f);
    fx_hello(&f, 8, 5);
    CHECK_ACTS(&f, "WATCH:8 POST:welcome");
    w = fx_post(&f, "welcome", 0);
    CHECK_EQ(act_num(w, "tab"), 8);
    CHECK_STR(act_str(w, "state"), "open");
    CHECK_STR(act_str(w, "protocol"), "chat.v2");
    CHECK_STR(act_str(w, "extensions"), "permessage-deflate");
    CHECK_EQ(act_num(w, "seq"), 1);
    CHECK_EQ(act_num(w, "acked"), 4);
    fx_close(&f);
}

static void core_should_answer_a_repeated_hello_with_its_acked_seq_and_no_second_watch(void)
{
    fx f;
    const act *w;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 3, NULL);
    fx_flush(&f);
    fx_drained(&f);
    fx_hello(&f, 7, 1);
    CHECK_ACTS(&f, "POST:welcome");
    w = fx_post(&f, "welcome", 0);
    CHECK_STR(act_str(w, "state"), "open");
    CHECK_EQ(act_num(w, "acked"), 3);
    CHECK_EQ(fx_stat(&f, "tabsJoined"), 1);
    /* Its unacked frames come again after the welcome: duplicates. */
    fx_frames(&f, 7, 1, 3, NULL);
    CHECK_ACTS(&f, "RELEASE#4 RELEASE#5 RELEASE#6 FLUSH");
    fx_close(&f);
}

static void core_should_unwatch_and_announce_gone_on_bye(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_hello(&f, 8, 1);
    CHECK_EQ(fx_bye(&f, 8), WSS_OK);
    CHECK_ACTS(&f, "UNWATCH:8 POST:gone");
    CHECK_EQ(act_num(fx_post(&f, "gone", 0), "tab"), 8);
    CHECK_EQ(fx_stat(&f, "tabs"), 1);
    CHECK_EQ(fx_stat(&f, "tabsLeft"), 1);
    CHECK_EQ(fx_stat(&f, "tabsLost"), 0);
    fx_close(&f);
}

static void core_should_close_the_socket_with_1000_when_the_last_tab_says_bye(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_hello(&f, 8, 1);
    fx_bye(&f, 7);
    CHECK_ACTS(&f, "UNWATCH:7 POST:gone");
    fx_bye(&f, 8);
    CHECK_ACTS(&f, "UNWATCH:8 POST:gone CLOSE:1000");
    REQUIRE(fx_nth(&f, WSS_ACT_CLOSE, 0) != NULL);
    CHECK_EQ(fx_nth(&f, WSS_ACT_CLOSE, 0)->len, 0);
    fx_closed(&f, 1000, "", 1);
    CHECK_ACTS(&f, "IDLE");
    fx_close(&f);
}

static void core_should_close_a_connecting_socket_when_its_last_tab_leaves(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_hello(&f, 7, 1);
    fx_bye(&f, 7);
    CHECK_ACTS(&f, "UNWATCH:7 POST:gone CLOSE:1000");
    /* The browser reports a socket closed before its handshake as 1006. */
    fx_closed(&f, 1006, "", 0);
    CHECK_ACTS(&f, "IDLE");
    CHECK_EQ(fx_opened(&f, "", ""), WSS_EREJECT);
    fx_close(&f);
}

static void core_should_drop_a_tab_whose_lock_was_released_without_a_gone_envelope(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_hello(&f, 8, 1);
    CHECK_EQ(fx_gone(&f, 8), WSS_OK);
    CHECK_ACTS(&f, "UNWATCH:8");
    CHECK_EQ(fx_stat(&f, "tabs"), 1);
    CHECK_EQ(fx_stat(&f, "tabsLost"), 1);
    CHECK_EQ(fx_stat(&f, "tabsLeft"), 0);
    fx_gone(&f, 7);
    CHECK_ACTS(&f, "UNWATCH:7 CLOSE:1000");
    CHECK_EQ(fx_stat(&f, "tabsLost"), 2);
    fx_close(&f);
}

static void core_should_ignore_bye_and_a_released_lock_of_unknown_tabs(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_bye(&f, 99);
    CHECK_ACTS(&f, "");
    fx_gone(&f, 99);
    CHECK_ACTS(&f, "");
    fx_bye(&f, 7);
    fx_gone(&f, 7);
    CHECK_ACTS(&f, "");
    CHECK_EQ(fx_stat(&f, "tabsLeft"), 1);
    CHECK_EQ(fx_stat(&f, "tabsLost"), 0);
    fx_close(&f);
}

static void core_should_reopen_after_the_unused_socket_closed_when_a_tab_said_hello_meanwhile(void)
{
    fx f;
    const act *w;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_bye(&f, 7);
    CHECK_ACTS(&f, "UNWATCH:7 POST:gone CLOSE:1000");
    CHECK_EQ(fx_stat(&f, "tabs"), 0);
    fx_hello(&f, 8, 1);
    CHECK_ACTS(&f, "WATCH:8 POST:welcome");
    w = fx_post(&f, "welcome", 0);
    CHECK_STR(act_str(w, "state"), "connecting");
    fx_frames(&f, 8, 1, 2, NULL);
    CHECK_ACTS(&f, "FLUSH");
    fx_closed(&f, 1000, "", 1);
    CHECK_ACTS(&f, "OPEN");
    CHECK_EQ(fx_post(&f, "close", 0) == NULL, 1);
    fx_opened(&f, "", "");
    CHECK_ACTS(&f, "POST:open SEND#1 DRAIN SEND#2");
    fx_drained(&f);
    CHECK_ACTS(&f, "POST:ack");
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 8), 2);
    CHECK_EQ(fx_stat(&f, "opens"), 2);
    fx_close(&f);
}

static void core_should_go_idle_when_the_unused_socket_has_closed(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_bye(&f, 7);
    fx_closed(&f, 1000, "", 1);
    CHECK_ACTS(&f, "IDLE");
    CHECK_EQ(fx_closed(&f, 1000, "", 1), WSS_EREJECT);
    CHECK_ACTS(&f, "");
    /* A later tab starts everything again. */
    fx_hello(&f, 8, 1);
    CHECK_ACTS(&f, "WATCH:8 POST:welcome OPEN");
    fx_close(&f);
}

static void core_should_arm_a_timer_for_the_tab_timeout(void)
{
    fx f;

    fx_open(&f, "{\"tabTimeoutMs\":1000}");
    fx_hello(&f, 7, 1);
    CHECK_ACTS(&f, "WATCH:7 POST:welcome OPEN TIMER:1000");
    fx_advance(&f, 400);
    fx_hello(&f, 8, 1);
    CHECK_ACTS(&f, "WATCH:8 POST:welcome");
    fx_advance(&f, 100);
    fx_ping(&f, 7);
    /* Tab 8's deadline is now the earliest: 900 ms from here. */
    CHECK_ACTS(&f, "TIMER:900");
    fx_advance(&f, 0.5);
    fx_ping(&f, 8);
    CHECK_ACTS(&f, "TIMER:1000");
    fx_bye(&f, 7);
    fx_bye(&f, 8);
    CHECK_ACTS(&f, "UNWATCH:8 POST:gone CLOSE:1000 TIMER:off");
    fx_close(&f);
}

static void core_should_drop_a_silent_tab_after_its_timeout(void)
{
    fx f;

    fx_open(&f, "{\"tabTimeoutMs\":1000}");
    fx_start(&f, 7);
    fx_advance(&f, 999);
    fx_tick(&f);
    CHECK_ACTS(&f, "TIMER:1");
    CHECK_EQ(fx_stat(&f, "tabs"), 1);
    fx_advance(&f, 1);
    fx_tick(&f);
    CHECK_ACTS(&f, "UNWATCH:7 POST:gone CLOSE:1000");
    CHECK_EQ(act_num(fx_post(&f, "gone", 0), "tab"), 7);
    CHECK_EQ(fx_stat(&f, "tabs"), 0);
    CHECK_EQ(fx_stat(&f, "tabsLost"), 1);
    fx_close(&f);
}

static void core_should_keep_a_tab_that_pings_alive(void)
{
    fx f;
    int i;

    fx_open(&f, "{\"tabTimeoutMs\":1000}");
    fx_start(&f, 7);
    fx_hello(&f, 8, 1);
    for (i = 0; i < 5; i++) {
        fx_advance(&f, 600);
        fx_ping(&f, 8);
        fx_tick(&f);
        if (i == 0)
            CHECK_ACTS(&f, "TIMER:400");
        if (i == 1)
            CHECK_ACTS(&f, "UNWATCH:7 POST:gone TIMER:1000");
    }
    CHECK_EQ(fx_stat(&f, "tabs"), 1);
    CHECK_EQ(fx_stat(&f, "tabsLost"), 1);
    /* Frames count as signs of life too. */
    fx_advance(&f, 600);
    fx_frames(&f, 8, 1, 1, NULL);
    fx_advance(&f, 600);
    fx_tick(&f);
    CHECK_EQ(fx_stat(&f, "tabs"), 1);
    fx_close(&f);
}

static void core_should_ask_an_unknown_tab_that_pings_to_say_hello_again(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_ping(&f, 99);
    CHECK_ACTS(&f, "POST:rehello");
    CHECK_EQ(act_num(fx_post(&f, "rehello", 0), "tab"), 99);
    CHECK_EQ(fx_stat(&f, "rejected.unknownTab"), 1);
    CHECK_EQ(fx_stat(&f, "tabs"), 1);
    fx_close(&f);
}

static void core_should_count_tabs_joined_left_and_lost(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 1);
    fx_hello(&f, 2, 1);
    fx_hello(&f, 3, 1);
    fx_hello(&f, 2, 1);
    fx_bye(&f, 2);
    fx_gone(&f, 3);
    CHECK_EQ(fx_stat(&f, "tabsJoined"), 3);
    CHECK_EQ(fx_stat(&f, "tabsLeft"), 1);
    CHECK_EQ(fx_stat(&f, "tabsLost"), 1);
    CHECK_EQ(fx_stat(&f, "tabs"), 1);
    fx_close(&f);
}

const test_case tab_tests[] = {
    TEST_CASE(core_should_open_the_socket_when_the_first_tab_says_hello),
    TEST_CASE(core_should_not_open_a_second_socket_for_a_second_tab),
    TEST_CASE(core_should_welcome_a_tab_that_starts_its_numbering_later),
    TEST_CASE(core_should_post_an_open_envelope_when_the_socket_opens),
    TEST_CASE(core_should_welcome_a_tab_joining_an_open_socket_with_state_open_and_the_protocol),
    TEST_CASE(core_should_answer_a_repeated_hello_with_its_acked_seq_and_no_second_watch),
    TEST_CASE(core_should_unwatch_and_announce_gone_on_bye),
    TEST_CASE(core_should_close_the_socket_with_1000_when_the_last_tab_says_bye),
    TEST_CASE(core_should_close_a_connecting_socket_when_its_last_tab_leaves),
    TEST_CASE(core_should_drop_a_tab_whose_lock_was_released_without_a_gone_envelope),
    TEST_CASE(core_should_ignore_bye_and_a_released_lock_of_unknown_tabs),
    TEST_CASE(core_should_reopen_after_the_unused_socket_closed_when_a_tab_said_hello_meanwhile),
    TEST_CASE(core_should_go_idle_when_the_unused_socket_has_closed),
    TEST_CASE(core_should_arm_a_timer_for_the_tab_timeout),
    TEST_CASE(core_should_drop_a_silent_tab_after_its_timeout),
    TEST_CASE(core_should_keep_a_tab_that_pings_alive),
    TEST_CASE(core_should_ask_an_unknown_tab_that_pings_to_say_hello_again),
    TEST_CASE(core_should_count_tabs_joined_left_and_lost),
    TEST_END,
};
