/*
 * A leader among leaders: its id in every envelope, frames and envelopes
 * addressed to another leader refused, the announcement and the beats that
 * followers in election mode watch.
 */
#include "harness.h"

static const char *const LEADER_CONFIG = "{\"leader\":4242,\"beatMs\":1000}";

static void core_should_announce_itself_when_started(void)
{
    fx f;

    REQUIRE(fx_open(&f, LEADER_CONFIG) == WSS_OK);
    CHECK_EQ(fx_begin(&f), WSS_OK);
    CHECK_ACTS(&f, "POST:leader TIMER:1000");
    CHECK_EQ(act_num(fx_post(&f, "leader", 0), "l"), 4242);
    fx_close(&f);
}

static void core_should_beat_every_beat_interval_once_started(void)
{
    fx f;
    int i;

    REQUIRE(fx_open(&f, LEADER_CONFIG) == WSS_OK);
    fx_begin(&f);
    for (i = 0; i < 3; i++) {
        fx_advance(&f, 1000);
        CHECK_EQ(fx_tick(&f), WSS_OK);
        CHECK_ACTS(&f, "POST:beat TIMER:1000");
        CHECK_EQ(act_num(fx_post(&f, "beat", 0), "l"), 4242);
    }
    fx_close(&f);
}

static void core_should_not_beat_when_ticked_early_for_a_silent_tab(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"leader\":9,\"beatMs\":1000,\"tabTimeoutMs\":400}") == WSS_OK);
    fx_begin(&f);
    fx_hello(&f, 7, 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_TIMER), 1);
    CHECK_EQ(fx_nth(&f, WSS_ACT_TIMER, 0)->a, 400);
    fx_advance(&f, 400);
    fx_tick(&f);
    CHECK_EQ(fx_post(&f, "beat", 0) == NULL, 1);
    CHECK(fx_post(&f, "gone", 0) != NULL);
    CHECK_EQ(fx_nth(&f, WSS_ACT_TIMER, 0)->a, 600);
    fx_close(&f);
}

static void core_should_not_beat_without_a_beat_interval(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"leader\":9}") == WSS_OK);
    CHECK_EQ(fx_begin(&f), WSS_OK);
    CHECK_ACTS(&f, "POST:leader");
    fx_close(&f);
}

static void core_should_sign_every_envelope_with_its_leader_id(void)
{
    fx f;
    const act *welcome;
    const act *open;

    REQUIRE(fx_open(&f, "{\"leader\":77}") == WSS_OK);
    fx_hello(&f, 7, 1);
    welcome = fx_post(&f, "welcome", 0);
    REQUIRE(welcome != NULL);
    CHECK_EQ(act_num(welcome, "l"), 77);
    fx_opened(&f, "", "");
    open = fx_post(&f, "open", 0);
    REQUIRE(open != NULL);
    CHECK_EQ(act_num(open, "l"), 77);
    f.leader = 77;
    fx_frames(&f, 7, 1, 1, NULL);
    fx_drained(&f);
    CHECK_EQ(act_num(fx_post(&f, "ack", 0), "l"), 77);
    fx_closed(&f, 1001, "", 1);
    CHECK_EQ(act_num(fx_post(&f, "reconnecting", 0), "l"), 77);
    fx_advance(&f, 60000);
    fx_tick(&f);
    fx_opened(&f, "", "");
    fx_closed(&f, 1008, "", 1);
    CHECK_EQ(act_num(fx_post(&f, "close", 0), "l"), 77);
    fx_close(&f);
}

static void core_should_refuse_frames_addressed_to_another_leader_without_a_rehello(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"leader\":77}") == WSS_OK);
    fx_hello(&f, 7, 1);
    fx_opened(&f, "", "");
    f.leader = 78;
    CHECK_EQ(fx_frames(&f, 7, 1, 2, NULL), WSS_EREJECT);
    CHECK_ACTS(&f, "RELEASE#1 RELEASE#2");
    CHECK_EQ(fx_stat(&f, "rejected.otherLeader"), 1);
    CHECK_EQ(fx_stat(&f, "framesToServer"), 0);
    /* The same frames addressed right are taken: the refusal left no trace. */
    f.leader = 77;
    CHECK_EQ(fx_frames(&f, 7, 1, 2, NULL), WSS_OK);
    CHECK_ACTS(&f, "SEND#3 DRAIN SEND#4");
    fx_close(&f);
}

static void core_should_ignore_envelopes_addressed_to_another_leader(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"leader\":77}") == WSS_OK);
    CHECK_EQ(fx_control(&f, "{\"v\":1,\"t\":\"hello\",\"tab\":7,\"next\":1,\"l\":5}"), WSS_EREJECT);
    CHECK_ACTS(&f, "");
    CHECK_EQ(fx_stat(&f, "tabs"), 0);
    CHECK_EQ(fx_control(&f, "{\"v\":1,\"t\":\"hello\",\"tab\":7,\"next\":1,\"l\":77}"), WSS_OK);
    CHECK_ACTS(&f, "WATCH:7 POST:welcome OPEN");
    CHECK_EQ(fx_control(&f, "{\"v\":1,\"t\":\"bye\",\"tab\":7,\"l\":5}"), WSS_EREJECT);
    CHECK_EQ(fx_stat(&f, "tabs"), 1);
    CHECK_EQ(fx_stat(&f, "rejected.otherLeader"), 2);
    /* 0 addresses whichever leader answers: a tab that knows none yet. */
    CHECK_EQ(fx_control(&f, "{\"v\":1,\"t\":\"bye\",\"tab\":7,\"l\":0}"), WSS_OK);
    CHECK_EQ(fx_stat(&f, "tabs"), 0);
    fx_close(&f);
}

static void core_should_reject_a_leader_field_that_is_not_an_id(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"leader\":77}") == WSS_OK);
    CHECK_EQ(fx_control(&f, "{\"v\":1,\"t\":\"hello\",\"tab\":7,\"next\":1,\"l\":\"77\"}"), WSS_EINVAL);
    CHECK_EQ(fx_control(&f, "{\"v\":1,\"t\":\"hello\",\"tab\":7,\"next\":1,\"l\":-1}"), WSS_EINVAL);
    CHECK_EQ(fx_stat(&f, "rejected.id"), 2);
    CHECK_EQ(fx_stat(&f, "tabs"), 0);
    fx_close(&f);
}

/* After a change of leader, a tab re-sends what the old one did not confirm:
 * those frames were accepted once, and the queue bounds do not refuse them. */
static void core_should_queue_re_sent_frames_an_earlier_leader_accepted_beyond_the_bounds(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"maxQueuedFrames\":2}") == WSS_OK);
    CHECK_EQ(fx_control(&f, "{\"v\":1,\"t\":\"hello\",\"tab\":7,\"next\":5,\"last\":8}"), WSS_OK);
    fx_frames(&f, 7, 5, 4, NULL);
    CHECK_ACTS(&f, "FLUSH");
    CHECK_EQ(fx_stat(&f, "queuedFrames"), 4);
    /* New frames meet the bound as ever, the re-sends left out of it. */
    fx_frames(&f, 7, 9, 3, NULL);
    CHECK_ACTS(&f, "RELEASE#7 POST:error");
    CHECK_STR(act_str(fx_post(&f, "error", 0), "code"), "queue_full");
    CHECK_EQ(act_num(fx_post(&f, "error", 0), "seq"), 11);
    fx_opened(&f, "", "");
    CHECK_ACTS(&f, "POST:open SEND#1 DRAIN SEND#2 SEND#3 SEND#4 SEND#5 SEND#6");
    fx_close(&f);
}

static void core_should_keep_the_highest_accepted_number_a_tab_announced(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"maxQueuedFrames\":1}") == WSS_OK);
    fx_control(&f, "{\"v\":1,\"t\":\"hello\",\"tab\":7,\"next\":1,\"last\":3}");
    /* A late hello retry with an older figure does not lower it. */
    fx_control(&f, "{\"v\":1,\"t\":\"hello\",\"tab\":7,\"next\":1,\"last\":0}");
    fx_frames(&f, 7, 1, 3, NULL);
    CHECK_EQ(fx_stat(&f, "queuedFrames"), 3);
    CHECK_EQ(fx_stat(&f, "errors"), 0);
    fx_close(&f);
}

static void core_should_open_at_start_only_when_told_a_tab_is_on_its_way(void)
{
    fx f;
    const act *welcome;

    /* By default the first hello opens the socket. */
    REQUIRE(fx_open(&f, "{\"leader\":9}") == WSS_OK);
    fx_begin(&f);
    CHECK_EQ(fx_count(&f, WSS_ACT_OPEN), 0);
    fx_hello(&f, 7, 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_OPEN), 1);
    fx_close(&f);
    /* Started for a tab: the socket opens while its hello is on the bus, and
     * the hello opens no second one; the tab is welcomed to a socket that
     * connects, then told it opened. */
    REQUIRE(fx_open(&f, "{\"leader\":9,\"openAtStart\":true}") == WSS_OK);
    CHECK_EQ(fx_begin(&f), WSS_OK);
    CHECK_ACTS(&f, "POST:leader OPEN");
    fx_hello(&f, 7, 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_OPEN), 0);
    welcome = fx_post(&f, "welcome", 0);
    REQUIRE(welcome != NULL);
    CHECK_STR(act_str(welcome, "state"), "connecting");
    fx_opened(&f, "", "");
    CHECK(fx_post(&f, "open", 0) != NULL);
    fx_close(&f);
    /* Under a profile whose server speaks first the first hello opens it:
     * what the server says first is the profile's to hand to tabs that joined. */
    REQUIRE(fx_open(&f, "{\"leader\":9,\"openAtStart\":true,\"protocol\":\"socket.io\"}") == WSS_OK);
    fx_begin(&f);
    CHECK_EQ(fx_count(&f, WSS_ACT_OPEN), 0);
    fx_hello(&f, 7, 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_OPEN), 1);
    fx_close(&f);
}

const test_case leader_tests[] = {
    TEST_CASE(core_should_open_at_start_only_when_told_a_tab_is_on_its_way),
    TEST_CASE(core_should_queue_re_sent_frames_an_earlier_leader_accepted_beyond_the_bounds),
    TEST_CASE(core_should_keep_the_highest_accepted_number_a_tab_announced),
    TEST_CASE(core_should_announce_itself_when_started),
    TEST_CASE(core_should_beat_every_beat_interval_once_started),
    TEST_CASE(core_should_not_beat_when_ticked_early_for_a_silent_tab),
    TEST_CASE(core_should_not_beat_without_a_beat_interval),
    TEST_CASE(core_should_sign_every_envelope_with_its_leader_id),
    TEST_CASE(core_should_refuse_frames_addressed_to_another_leader_without_a_rehello),
    TEST_CASE(core_should_ignore_envelopes_addressed_to_another_leader),
    TEST_CASE(core_should_reject_a_leader_field_that_is_not_an_id),
    TEST_END,
};
