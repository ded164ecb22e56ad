/*
 * Frames from the server to the tabs: batched into one bus post per flush,
 * posted early at the batch bounds, numbered continuously, flushed before a
 * welcome; and the server's close, delivered after what came before it.
 */
#include "harness.h"

static void core_should_batch_server_frames_into_one_post_on_flush(void)
{
    fx f;
    const act *d;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_hello(&f, 8, 1);
    CHECK_EQ(fx_server(&f, 5), WSS_OK);
    CHECK_ACTS(&f, "FLUSH");
    fx_server(&f, 6);
    CHECK_ACTS(&f, "");
    fx_server(&f, 7);
    CHECK_ACTS(&f, "");
    fx_flush(&f);
    CHECK_ACTS(&f, "DATA@1#1,2,3");
    d = fx_nth(&f, WSS_ACT_POST_DATA, 0);
    REQUIRE(d != NULL);
    CHECK_EQ(d->len, 3 * sizeof(uint32_t));
    CHECK_EQ(fx_stat(&f, "framesFromServer"), 3);
    CHECK_EQ(fx_stat(&f, "bytesFromServer"), 18);
    CHECK_EQ(fx_stat(&f, "dataPosts"), 1);
    fx_flush(&f);
    CHECK_ACTS(&f, "");
    fx_close(&f);
}

static void core_should_post_early_when_maxBatchFrames_is_reached(void)
{
    fx f;
    int i;

    fx_open(&f, "{\"maxBatchFrames\":3}");
    fx_start(&f, 7);
    fx_server(&f, 1);
    fx_server(&f, 1);
    fx_server(&f, 1);
    CHECK_ACTS(&f, "DATA@1#1,2,3");
    fx_server(&f, 1);
    fx_server(&f, 1);
    CHECK_ACTS(&f, "");
    fx_flush(&f);
    CHECK_ACTS(&f, "DATA@4#4,5");
    for (i = 0; i < 7; i++)
        fx_server(&f, 1);
    CHECK_ACTS(&f, "");
    fx_flush(&f);
    CHECK_ACTS(&f, "DATA@12#12");
    CHECK_EQ(fx_stat(&f, "dataPosts"), 5);
    fx_close(&f);
}

static void core_should_post_a_frame_bigger_than_maxBatchBytes_at_once(void)
{
    fx f;

    fx_open(&f, "{\"maxBatchBytes\":1000}");
    fx_start(&f, 7);
    fx_server(&f, 10);
    fx_server(&f, 5000);
    CHECK_ACTS(&f, "DATA@1#1,2");
    fx_server(&f, 5000);
    CHECK_ACTS(&f, "DATA@3#3");
    fx_close(&f);
}

static void core_should_continue_sequence_numbers_across_batches_and_closes(void)
{
    fx f;

    fx_open(&f, "{\"maxBatchFrames\":2,\"reconnect\":false}");
    fx_start(&f, 7);
    fx_server(&f, 1);
    fx_server(&f, 1);
    fx_server(&f, 1);
    fx_flush(&f);
    CHECK_ACTS(&f, "DATA@3#3");
    fx_hello(&f, 8, 1);
    CHECK_EQ(act_num(fx_post(&f, "welcome", 0), "seq"), 4);
    fx_closed(&f, 1001, "going away", 1);
    fx_hello(&f, 9, 1);
    CHECK_EQ(act_num(fx_post(&f, "welcome", 0), "seq"), 4);
    fx_opened(&f, "", "");
    CHECK_EQ(act_num(fx_post(&f, "open", 0), "seq"), 4);
    fx_server(&f, 1);
    fx_flush(&f);
    CHECK_ACTS(&f, "DATA@4#4");
    fx_close(&f);
}

static void core_should_post_pending_frames_before_a_welcome(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_server(&f, 1);
    fx_server(&f, 1);
    fx_hello(&f, 8, 1);
    CHECK_ACTS(&f, "WATCH:8 DATA@1#1,2 POST:welcome");
    /* The welcome names the first frame this tab will see. */
    CHECK_EQ(act_num(fx_post(&f, "welcome", 0), "seq"), 3);
    fx_flush(&f);
    CHECK_ACTS(&f, "");
    fx_server(&f, 1);
    fx_flush(&f);
    CHECK_ACTS(&f, "DATA@3#3");
    fx_close(&f);
}

static void core_should_release_server_frames_when_no_tab_listens_or_the_socket_is_not_open(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_server(&f, 1);
    CHECK_ACTS(&f, "RELEASE#1");
    fx_hello(&f, 7, 1);
    fx_server(&f, 1);
    CHECK_ACTS(&f, "RELEASE#2");
    fx_opened(&f, "", "");
    fx_flush(&f);
    fx_bye(&f, 7);
    fx_server(&f, 1);
    CHECK_ACTS(&f, "RELEASE#3");
    CHECK_EQ(fx_stat(&f, "framesFromServer"), 0);
    fx_close(&f);
}

static void core_should_post_the_close_after_pending_frames_and_let_every_tab_go_when_it_gives_up(void)
{
    fx f;
    const act *c;

    fx_open(&f, "{\"reconnect\":false}");
    fx_start(&f, 7);
    fx_hello(&f, 8, 1);
    fx_frames(&f, 8, 1, 1, NULL);
    fx_server(&f, 1);
    fx_server(&f, 1);
    CHECK_EQ(fx_closed(&f, 4000, "bye now", 1), WSS_OK);
    /* Tab 8's frame was sent, but the socket never said it drained: it
     * may not have left, so it is not acknowledged. */
    CHECK_ACTS(&f, "DATA@1#2,3 POST:close UNWATCH:7 UNWATCH:8 IDLE");
    c = fx_post(&f, "close", 0);
    CHECK_EQ(act_num(c, "v"), WSS_BUS_VERSION);
    CHECK_EQ(act_num(c, "code"), 4000);
    CHECK_STR(act_str(c, "reason"), "bye now");
    CHECK_EQ(act_bool(c, "clean"), 1);
    CHECK_EQ(fx_stat(&f, "tabs"), 0);
    CHECK_EQ(fx_held(&f), 0);
    /* The flush asked for earlier finds nothing left. */
    fx_flush(&f);
    CHECK_ACTS(&f, "");
    fx_close(&f);
}

static void core_should_release_queued_frames_when_the_socket_fails_to_open_and_it_gives_up(void)
{
    fx f;
    const act *c;

    fx_open(&f, "{\"tabTimeoutMs\":60000,\"reconnect\":{\"maxRetries\":0}}");
    fx_hello(&f, 7, 1);
    fx_frames(&f, 7, 1, 2, NULL);
    fx_closed(&f, 1006, "", 0);
    CHECK_ACTS(&f, "POST:close RELEASE#1 RELEASE#2 UNWATCH:7 IDLE TIMER:off");
    c = fx_post(&f, "close", 0);
    CHECK_EQ(act_num(c, "code"), 1006);
    CHECK_STR(act_str(c, "reason"), "");
    CHECK_EQ(act_bool(c, "clean"), 0);
    CHECK_EQ(fx_stat(&f, "queuedFrames"), 0);
    CHECK_EQ(fx_held(&f), 0);
    /* A tab that comes later opens a new socket. */
    fx_hello(&f, 8, 1);
    CHECK_ACTS(&f, "WATCH:8 POST:welcome OPEN TIMER:60000");
    fx_close(&f);
}

static void core_should_cut_a_close_reason_to_123_bytes(void)
{
    fx f;
    char reason[201];

    memset(reason, 'r', 200);
    reason[200] = '\0';
    fx_open(&f, "{\"reconnect\":{\"stopOn\":[4001]}}");
    fx_start(&f, 7);
    fx_closed(&f, 4001, reason, 1);
    REQUIRE(act_str(fx_post(&f, "close", 0), "reason") != NULL);
    CHECK_EQ(strlen(act_str(fx_post(&f, "close", 0), "reason")), 123);
    fx_close(&f);
}

static void core_should_keep_the_protocol_and_extensions_within_their_bounds(void)
{
    fx f;
    char text[301];

    memset(text, 'p', 300);
    text[300] = '\0';
    fx_open(&f, NULL);
    fx_hello(&f, 7, 1);
    fx_opened(&f, text, text);
    REQUIRE(act_str(fx_post(&f, "open", 0), "protocol") != NULL);
    CHECK_EQ(strlen(act_str(fx_post(&f, "open", 0), "protocol")), 127);
    CHECK_EQ(strlen(act_str(fx_post(&f, "open", 0), "extensions")), 255);
    fx_close(&f);
}

static void core_should_refuse_socket_events_that_do_not_fit_its_state(void)
{
    fx f;

    fx_open(&f, NULL);
    CHECK_EQ(fx_opened(&f, "", ""), WSS_EREJECT);
    CHECK_ACTS(&f, "");
    CHECK_EQ(fx_closed(&f, 1000, "", 1), WSS_EREJECT);
    CHECK_ACTS(&f, "");
    fx_start(&f, 7);
    CHECK_EQ(fx_opened(&f, "again", ""), WSS_EREJECT);
    CHECK_ACTS(&f, "");
    CHECK_EQ(fx_stat(&f, "opens"), 1);
    /* A NULL reason is an empty one. */
    CHECK_EQ(wss_socket_closed(f.core, 1000, NULL, 5, 1, f.now), WSS_OK);
    fx_close(&f);
}

const test_case downstream_tests[] = {
    TEST_CASE(core_should_batch_server_frames_into_one_post_on_flush),
    TEST_CASE(core_should_post_early_when_maxBatchFrames_is_reached),
    TEST_CASE(core_should_post_a_frame_bigger_than_maxBatchBytes_at_once),
    TEST_CASE(core_should_continue_sequence_numbers_across_batches_and_closes),
    TEST_CASE(core_should_post_pending_frames_before_a_welcome),
    TEST_CASE(core_should_release_server_frames_when_no_tab_listens_or_the_socket_is_not_open),
    TEST_CASE(core_should_post_the_close_after_pending_frames_and_let_every_tab_go_when_it_gives_up),
    TEST_CASE(core_should_release_queued_frames_when_the_socket_fails_to_open_and_it_gives_up),
    TEST_CASE(core_should_cut_a_close_reason_to_123_bytes),
    TEST_CASE(core_should_keep_the_protocol_and_extensions_within_their_bounds),
    TEST_CASE(core_should_refuse_socket_events_that_do_not_fit_its_state),
    TEST_END,
};
