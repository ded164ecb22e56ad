/*
 * Frames from tabs to the server: sent in order per handle, queued until the
 * socket opens, acknowledged per tab once the socket drained, bounded (an error at the tab
 * that went over, nothing already queued dropped), duplicates and gaps.
 */
#include "harness.h"

static void core_should_send_frames_in_order_and_ack_them_once_the_socket_drained(void)
{
    fx f;
    const act *ack;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    CHECK_EQ(fx_frames(&f, 7, 1, 3, NULL), WSS_OK);
    CHECK_ACTS(&f, "SEND#1 DRAIN SEND#2 SEND#3 FLUSH");
    fx_frames(&f, 7, 4, 1, NULL);
    CHECK_ACTS(&f, "SEND#4");
    /* Sent is not yet safe: the socket may still hold the bytes. */
    fx_flush(&f);
    CHECK_ACTS(&f, "");
    fx_drained(&f);
    CHECK_ACTS(&f, "POST:ack");
    ack = fx_post(&f, "ack", 0);
    CHECK_EQ(act_num(ack, "v"), WSS_BUS_VERSION);
    CHECK_EQ(ack_pairs(ack), 1);
    CHECK_EQ(ack_for(ack, 7), 4);
    /* Nothing new: no ack envelope at all. */
    fx_drained(&f);
    CHECK_ACTS(&f, "");
    CHECK_EQ(fx_stat(&f, "framesToServer"), 4);
    CHECK_EQ(fx_stat(&f, "bytesToServer"), 40);
    fx_close(&f);
}

static void core_should_ack_several_tabs_in_one_envelope_naming_only_those_that_moved(void)
{
    fx f;
    const act *ack;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_hello(&f, 8, 10);
    fx_hello(&f, 9, 1);
    fx_frames(&f, 7, 1, 2, NULL);
    fx_frames(&f, 8, 10, 3, NULL);
    CHECK_ACTS(&f, "SEND#3 SEND#4 SEND#5");
    fx_drained(&f);
    ack = fx_post(&f, "ack", 0);
    REQUIRE(ack != NULL);
    CHECK_EQ(ack_pairs(ack), 2);
    CHECK_EQ(ack_for(ack, 7), 2);
    CHECK_EQ(ack_for(ack, 8), 12);
    CHECK_EQ(ack_for(ack, 9), -1);
    fx_frames(&f, 9, 1, 1, NULL);
    fx_drained(&f);
    ack = fx_post(&f, "ack", 0);
    CHECK_EQ(ack_pairs(ack), 1);
    CHECK_EQ(ack_for(ack, 9), 1);
    fx_close(&f);
}

static void core_should_queue_frames_until_the_socket_opens_then_send_them_in_order(void)
{
    fx f;
    const act *ack;

    fx_open(&f, NULL);
    fx_hello(&f, 7, 1);
    fx_hello(&f, 8, 1);
    fx_frames(&f, 7, 1, 2, NULL);
    CHECK_ACTS(&f, "FLUSH");
    fx_frames(&f, 8, 1, 1, NULL);
    fx_frames(&f, 7, 3, 1, NULL);
    CHECK_ACTS(&f, "");
    CHECK_EQ(fx_stat(&f, "queuedFrames"), 4);
    CHECK_EQ(fx_stat(&f, "queuedBytes"), 40);
    /* Queued frames are not acked: they have not reached the socket. */
    fx_flush(&f);
    CHECK_ACTS(&f, "");
    fx_opened(&f, "", "");
    CHECK_ACTS(&f, "POST:open SEND#1 DRAIN SEND#2 SEND#3 SEND#4 FLUSH");
    CHECK_EQ(fx_stat(&f, "queuedFrames"), 0);
    CHECK_EQ(fx_stat(&f, "queuedBytes"), 0);
    fx_drained(&f);
    ack = fx_post(&f, "ack", 0);
    CHECK_EQ(ack_for(ack, 7), 3);
    CHECK_EQ(ack_for(ack, 8), 1);
    fx_close(&f);
}

static void core_should_refuse_a_frame_over_maxMessageBytes_with_too_big(void)
{
    fx f;
    uint32_t lens[3] = {100, 101, 100};
    const act *e;

    fx_open(&f, "{\"maxMessageBytes\":100}");
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 3, lens);
    CHECK_ACTS(&f, "SEND#1 DRAIN RELEASE#2 POST:error SEND#3 FLUSH");
    e = fx_post(&f, "error", 0);
    CHECK_EQ(act_num(e, "tab"), 7);
    CHECK_EQ(act_num(e, "seq"), 2);
    CHECK_STR(act_str(e, "code"), "too_big");
    CHECK(act_str(e, "message") != NULL);
    fx_drained(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 3);
    CHECK_EQ(fx_stat(&f, "errors"), 1);
    CHECK_EQ(fx_stat(&f, "framesToServer"), 2);
    fx_close(&f);
}

static void core_should_refuse_a_too_big_frame_while_connecting_keeping_the_queue(void)
{
    fx f;
    uint32_t lens[3] = {10, 500, 10};

    fx_open(&f, "{\"maxMessageBytes\":100}");
    fx_hello(&f, 7, 1);
    fx_frames(&f, 7, 1, 3, lens);
    CHECK_ACTS(&f, "RELEASE#2 POST:error FLUSH");
    CHECK_EQ(fx_stat(&f, "queuedFrames"), 2);
    fx_opened(&f, "", "");
    CHECK_ACTS(&f, "POST:open SEND#1 DRAIN SEND#3");
    fx_close(&f);
}

static void core_should_refuse_a_frame_over_maxQueuedFrames_with_queue_full_keeping_the_queue(void)
{
    fx f;
    const act *e;

    fx_open(&f, "{\"maxQueuedFrames\":2}");
    fx_hello(&f, 7, 1);
    fx_hello(&f, 8, 1);
    fx_frames(&f, 7, 1, 2, NULL);
    fx_frames(&f, 8, 1, 2, NULL);
    CHECK_ACTS(&f, "RELEASE#3 POST:error RELEASE#4 POST:error");
    e = fx_post(&f, "error", 0);
    CHECK_EQ(act_num(e, "tab"), 8);
    CHECK_EQ(act_num(e, "seq"), 1);
    CHECK_STR(act_str(e, "code"), "queue_full");
    CHECK_EQ(act_num(fx_post(&f, "error", 1), "seq"), 2);
    CHECK_EQ(fx_stat(&f, "queuedFrames"), 2);
    CHECK_EQ(fx_stat(&f, "errors"), 2);
    fx_opened(&f, "", "");
    CHECK_ACTS(&f, "POST:open SEND#1 DRAIN SEND#2");
    /* Once open, the queue bound no longer applies. */
    fx_frames(&f, 8, 3, 3, NULL);
    CHECK_ACTS(&f, "SEND#5 SEND#6 SEND#7");
    fx_close(&f);
}

static void core_should_refuse_a_frame_over_maxQueuedBytes_with_queue_full_keeping_the_queue(void)
{
    fx f;
    uint32_t lens[4] = {40, 40, 30, 20};

    fx_open(&f, "{\"maxQueuedBytes\":100}");
    fx_hello(&f, 7, 1);
    fx_frames(&f, 7, 1, 4, lens);
    /* 40 + 40 fit, 30 would make 110, then 20 fits again: 100 exactly. */
    CHECK_ACTS(&f, "RELEASE#3 POST:error FLUSH");
    CHECK_STR(act_str(fx_post(&f, "error", 0), "code"), "queue_full");
    CHECK_EQ(act_num(fx_post(&f, "error", 0), "seq"), 3);
    CHECK_EQ(fx_stat(&f, "queuedBytes"), 100);
    fx_opened(&f, "", "");
    CHECK_ACTS(&f, "POST:open SEND#1 DRAIN SEND#2 SEND#4");
    fx_close(&f);
}

/* Acks are cumulative: acking a refused frame acks every frame before it,
 * so it must wait until those queued before it have reached the socket. */
static void core_should_not_ack_a_refused_frame_before_the_frames_queued_before_it(void)
{
    fx f;
    const act *ack;

    fx_open(&f, "{\"maxQueuedFrames\":2}");
    fx_hello(&f, 7, 1);
    fx_frames(&f, 7, 1, 3, NULL);
    CHECK_ACTS(&f, "RELEASE#3 POST:error FLUSH");
    fx_flush(&f);
    ack = fx_post(&f, "ack", 0);
    if (ack != NULL && ack_for(ack, 7) >= 1)
        check_fail(__FILE__, __LINE__, "acked %lld while frames 1 and 2 wait in the queue",
                   ack_for(ack, 7));
    fx_opened(&f, "", "");
    fx_drained(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 3);
    fx_close(&f);
}

static void core_should_ack_a_refused_frame_at_once_when_nothing_of_its_tab_is_queued(void)
{
    fx f;
    uint32_t big = 500;

    fx_open(&f, "{\"maxMessageBytes\":100}");
    fx_hello(&f, 7, 1);
    fx_hello(&f, 8, 1);
    fx_frames(&f, 8, 1, 1, NULL);
    fx_frames(&f, 7, 1, 1, &big);
    CHECK_ACTS(&f, "RELEASE#2 POST:error");
    fx_flush(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 1);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 8), -1);
    fx_close(&f);
}

static void core_should_release_and_count_duplicates(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 3, NULL);
    fx_flush(&f);
    fx_drained(&f);
    /* A re-send overlapping what was handled: 2 and 3 again, then 4 and 5. */
    fx_frames(&f, 7, 2, 4, NULL);
    CHECK_ACTS(&f, "RELEASE#4 RELEASE#5 SEND#6 DRAIN SEND#7 FLUSH");
    CHECK_EQ(fx_stat(&f, "duplicates"), 2);
    fx_flush(&f);
    fx_drained(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 5);
    /* Only duplicates: the tab is reminded of its ack. */
    fx_frames(&f, 7, 1, 1, NULL);
    CHECK_ACTS(&f, "RELEASE#8 FLUSH");
    fx_flush(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 5);
    CHECK_EQ(fx_stat(&f, "duplicates"), 3);
    CHECK_EQ(fx_stat(&f, "framesToServer"), 5);
    fx_close(&f);
}

static void core_should_ask_for_a_resend_from_the_expected_seq_on_a_gap(void)
{
    fx f;
    const act *r;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 2, NULL);
    fx_frames(&f, 7, 5, 2, NULL);
    CHECK_ACTS(&f, "RELEASE#3 RELEASE#4 POST:resend");
    r = fx_post(&f, "resend", 0);
    CHECK_EQ(act_num(r, "tab"), 7);
    CHECK_EQ(act_num(r, "from"), 3);
    CHECK_EQ(fx_stat(&f, "rejected.replay"), 1);
    fx_frames(&f, 7, 3, 4, NULL);
    CHECK_ACTS(&f, "SEND#5 SEND#6 SEND#7 SEND#8");
    fx_close(&f);
}

static void core_should_send_the_new_frames_of_a_batch_that_starts_with_a_duplicate(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 1, NULL);
    /* 1 again, then 2..4 where 2 is expected: only the first is dropped. */
    fx_frames(&f, 7, 1, 4, NULL);
    CHECK_ACTS(&f, "RELEASE#2 SEND#3 SEND#4 SEND#5");
    fx_close(&f);
}

static void core_should_release_frames_of_an_unknown_tab_and_ask_it_to_say_hello_again(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    CHECK_EQ(fx_frames(&f, 99, 1, 3, NULL), WSS_EREJECT);
    CHECK_ACTS(&f, "RELEASE#1 RELEASE#2 RELEASE#3 POST:rehello");
    CHECK_EQ(act_num(fx_post(&f, "rehello", 0), "tab"), 99);
    CHECK_EQ(fx_stat(&f, "rejected.unknownTab"), 1);
    /* Tab 0 is never valid: released, counted, not answered. */
    CHECK_EQ(fx_frames(&f, 0, 1, 1, NULL), WSS_EREJECT);
    CHECK_ACTS(&f, "RELEASE#4");
    CHECK_EQ(fx_stat(&f, "rejected.unknownTab"), 2);
    fx_close(&f);
}

static void core_should_reject_frames_of_another_version_without_a_rehello(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    CHECK_EQ(fx_frames_v(&f, 2, 7, 1, 2, NULL), WSS_EREJECT);
    CHECK_ACTS(&f, "RELEASE#1 RELEASE#2");
    CHECK_EQ(fx_frames_v(&f, 0, 99, 1, 1, NULL), WSS_EREJECT);
    CHECK_ACTS(&f, "RELEASE#3");
    CHECK_EQ(fx_stat(&f, "rejected.version"), 2);
    /* The tab's numbering did not move. */
    fx_frames(&f, 7, 1, 1, NULL);
    CHECK_ACTS(&f, "SEND#4 DRAIN FLUSH");
    fx_close(&f);
}

static void core_should_reject_frames_numbered_from_zero_or_past_the_last_seq(void)
{
    fx f;
    uint32_t first;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    CHECK_EQ(fx_frames(&f, 7, 0, 2, NULL), WSS_EREJECT);
    CHECK_ACTS(&f, "RELEASE#1 RELEASE#2");
    CHECK_EQ(fx_frames(&f, 7, UINT32_MAX, 2, NULL), WSS_EREJECT);
    CHECK_ACTS(&f, "RELEASE#3 RELEASE#4");
    CHECK_EQ(fx_stat(&f, "rejected.malformed"), 2);
    /* Lengths missing for frames that exist. */
    first = f.next_handle;
    f.next_handle += 2;
    CHECK_EQ(wss_tab_frames(f.core, WSS_BUS_VERSION, 0, 7, 1, 2, first, NULL, f.now), WSS_EREJECT);
    CHECK_EQ(fx_stat(&f, "rejected.malformed"), 3);
    /* No frame at all is fine and changes nothing. */
    CHECK_EQ(wss_tab_frames(f.core, WSS_BUS_VERSION, 0, 7, 1, 0, 0, NULL, f.now), WSS_OK);
    fx_frames(&f, 7, 1, 1, NULL);
    CHECK_ACTS(&f, "SEND#7 DRAIN");
    CHECK_EQ(fx_stat(&f, "framesToServer"), 1);
    fx_close(&f);
}

static void core_should_release_queued_frames_when_the_last_tab_leaves(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_hello(&f, 7, 1);
    fx_hello(&f, 8, 1);
    fx_frames(&f, 7, 1, 2, NULL);
    fx_frames(&f, 8, 1, 1, NULL);
    fx_bye(&f, 7);
    CHECK_ACTS(&f, "UNWATCH:7 POST:gone");
    CHECK_EQ(fx_stat(&f, "queuedFrames"), 3);
    fx_gone(&f, 8);
    CHECK_ACTS(&f, "UNWATCH:8 RELEASE#1 RELEASE#2 RELEASE#3 CLOSE:1000");
    CHECK_EQ(fx_stat(&f, "queuedFrames"), 0);
    CHECK_EQ(fx_held(&f), 0);
    fx_close(&f);
}

static void core_should_queue_frames_of_a_tab_that_joined_while_the_socket_was_closing(void)
{
    fx f;

    fx_open(&f, "{\"maxQueuedFrames\":1}");
    fx_start(&f, 7);
    fx_bye(&f, 7);
    fx_hello(&f, 8, 1);
    fx_frames(&f, 8, 1, 2, NULL);
    CHECK_ACTS(&f, "RELEASE#2 POST:error FLUSH");
    fx_closed(&f, 1000, "", 1);
    fx_opened(&f, "", "");
    CHECK_ACTS(&f, "POST:open SEND#1 DRAIN");
    fx_close(&f);
}

/* ---- acks follow the bytes that left the socket (bufferedAmount) ---------- */

static void core_should_ack_only_the_frames_whose_bytes_left_the_socket(void)
{
    fx f;
    uint32_t lens[3] = {10, 20, 30};

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 3, lens);
    CHECK_ACTS(&f, "SEND#1 DRAIN SEND#2 SEND#3 FLUSH");
    /* 45 of the 60 bytes are buffered: frame 1 (10) left, frame 2 (to 30) did not. */
    fx_buffered(&f, 45);
    CHECK_ACTS(&f, "POST:ack DRAIN:1");
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 1);
    /* Frame 2 ends where 30 bytes are left: it went, frame 3 is still there. */
    fx_buffered(&f, 30);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 2);
    CHECK_ACTS(&f, "POST:ack DRAIN:2");
    /* No progress: nothing acked, asked again later. */
    fx_buffered(&f, 30);
    CHECK_ACTS(&f, "DRAIN:4");
    fx_buffered(&f, 0);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 3);
    CHECK_ACTS(&f, "POST:ack");
    fx_close(&f);
}

static void core_should_ack_frames_of_a_socket_that_never_goes_idle(void)
{
    fx f;
    uint32_t seq = 1;
    int round;
    uint32_t len = 100;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    /* Each round the app sends one more frame before the last one left:
     * bufferedAmount never falls to 0, yet every frame but the last is acked. */
    fx_frames(&f, 7, seq++, 1, &len);
    for (round = 0; round < 20; round++) {
        fx_frames(&f, 7, seq++, 1, &len);
        /* Half of the newest frame is still in the buffer. */
        fx_buffered(&f, 50);
        CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), (long long)seq - 2);
        CHECK_EQ(fx_count(&f, WSS_ACT_DRAIN), 1);
    }
    fx_close(&f);
}

static void core_should_ask_for_the_buffer_less_often_while_it_stays_full(void)
{
    fx f;
    uint32_t len = 100;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 1, &len);
    CHECK_ACTS(&f, "SEND#1 DRAIN FLUSH");
    fx_buffered(&f, 100);
    CHECK_ACTS(&f, "DRAIN:1");
    fx_buffered(&f, 100);
    CHECK_ACTS(&f, "DRAIN:2");
    fx_buffered(&f, 100);
    CHECK_ACTS(&f, "DRAIN:4");
    fx_buffered(&f, 100);
    CHECK_ACTS(&f, "DRAIN:8");
    fx_buffered(&f, 100);
    CHECK_ACTS(&f, "DRAIN:16");
    fx_buffered(&f, 100);
    CHECK_ACTS(&f, "DRAIN:16");
    fx_buffered(&f, 0);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_DRAIN), 0);
    /* Empty, it stops asking; the next send asks at once again. */
    fx_frames(&f, 7, 2, 1, &len);
    CHECK_ACTS(&f, "SEND#2 DRAIN");
    fx_close(&f);
}

static void core_should_give_each_partly_drained_frame_its_own_ack_delay(void)
{
    fx f;
    uint32_t lens[2] = {10, 10};

    fx_open(&f, "{\"ackDelayMs\":100}");
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 2, lens);
    fx_buffered(&f, 10);
    CHECK_ACTS(&f, "DRAIN:1 TIMER:100");
    fx_advance(&f, 50);
    fx_buffered(&f, 0);
    CHECK(fx_post(&f, "ack", 0) == NULL);
    fx_advance(&f, 50);
    fx_tick(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 1);
    CHECK_ACTS(&f, "POST:ack TIMER:50");
    fx_advance(&f, 50);
    fx_tick(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 2);
    fx_close(&f);
}

static void core_should_count_a_text_frame_by_its_utf8_bytes(void)
{
    fx f;
    /* "h\xc3\xa9" is 2 characters, 3 bytes: the length the core is given, and
     * the bytes bufferedAmount counts for it. */
    uint32_t lens[2] = {3, 3};

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 2, lens);
    /* Counted in characters, 2 left would mean frame 1 went: it did not. */
    fx_buffered(&f, 4);
    CHECK(fx_post(&f, "ack", 0) == NULL);
    fx_buffered(&f, 3);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 1);
    fx_close(&f);
}

/* ---- the ack delay: acks wait ackDelayMs after the drain ---------------------- */

static void core_should_ack_drained_frames_only_after_the_ack_delay(void)
{
    fx f;

    fx_open(&f, "{\"ackDelayMs\":250}");
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 3, NULL);
    fx_drained(&f);
    /* Drained, but the network process may still hold the bytes: a timer. */
    CHECK_ACTS(&f, "TIMER:250");
    fx_advance(&f, 249);
    fx_tick(&f);
    CHECK(fx_post(&f, "ack", 0) == NULL);
    fx_advance(&f, 1);
    fx_tick(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 3);
    fx_close(&f);
}

/* A later drain's frames wait their own delay, rounded up to the next half
 * of it (the clock starts at 1000 ms, a multiple of 125): what leaves within
 * one half-delay shares one ack, and nothing is acked sooner than the delay. */
static void core_should_keep_a_later_drains_frames_for_their_own_delay(void)
{
    fx f;

    fx_open(&f, "{\"ackDelayMs\":250}");
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 2, NULL);
    fx_drained(&f);
    fx_advance(&f, 100);
    fx_frames(&f, 7, 3, 2, NULL);
    fx_drained(&f);
    /* At 250 ms only the first drain's frames are old enough. */
    fx_advance(&f, 150);
    fx_tick(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 2);
    /* The second drain's were due at 350 ms: at 375, the next half-delay. */
    fx_advance(&f, 100);
    fx_tick(&f);
    CHECK(fx_post(&f, "ack", 0) == NULL);
    fx_advance(&f, 24);
    fx_tick(&f);
    CHECK(fx_post(&f, "ack", 0) == NULL);
    fx_advance(&f, 1);
    fx_tick(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 4);
    fx_close(&f);
}

/* A tab whose frames leave one by one, a round trip every few ms, gets an
 * ack envelope per half-delay, not per frame. */
static void core_should_ack_a_steady_sender_once_per_half_delay(void)
{
    fx f;
    int i, acks = 0;

    fx_open(&f, "{\"ackDelayMs\":100}");
    fx_start(&f, 7);
    for (i = 1; i <= 100; i++) {
        fx_frames(&f, 7, (uint32_t)i, 1, NULL);
        fx_drained(&f);
        if (fx_post(&f, "ack", 0) != NULL)
            acks++;
        fx_advance(&f, 2);
        fx_tick(&f);
        if (fx_post(&f, "ack", 0) != NULL)
            acks++;
    }
    /* 200 ms of frames: acks from 100 ms on, one each 50 ms. */
    CHECK(acks >= 2 && acks <= 3);
    fx_advance(&f, 200);
    fx_tick(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 100);
    fx_close(&f);
}

static void core_should_never_ack_what_a_socket_lost_within_the_delay(void)
{
    fx f;
    const act *resend;

    fx_open(&f, "{\"ackDelayMs\":250,\"reconnect\":{\"minDelay\":10,\"maxDelay\":10}}");
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 3, NULL);
    fx_drained(&f);
    fx_advance(&f, 100);
    /* The socket goes before the delay ran out: frames 1 to 3 are sent again. */
    fx_closed(&f, 1006, "", 0);
    CHECK(fx_post(&f, "ack", 0) == NULL);
    resend = fx_post(&f, "resend", 0);
    REQUIRE(resend != NULL);
    CHECK_EQ(act_num(resend, "from"), 1);
    fx_advance(&f, 500);
    fx_tick(&f);
    CHECK(fx_post(&f, "ack", 0) == NULL);
    fx_close(&f);
}

static void core_should_ack_a_refused_frame_with_the_drained_ones_when_nothing_else_was_sent(void)
{
    fx f;

    fx_open(&f, "{\"ackDelayMs\":250,\"maxMessageBytes\":100}");
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 2, NULL);
    fx_drained(&f);
    {
        uint32_t big = 101;

        fx_frames(&f, 7, 3, 1, &big);
    }
    /* Refused, it is done at once, yet its ack must not cover frames 1 and 2
     * before their delay: it waits with them. */
    CHECK(fx_post(&f, "ack", 0) == NULL);
    fx_advance(&f, 250);
    fx_tick(&f);
    CHECK_EQ(ack_for(fx_post(&f, "ack", 0), 7), 3);
    fx_close(&f);
}

const test_case upstream_tests[] = {
    TEST_CASE(core_should_send_frames_in_order_and_ack_them_once_the_socket_drained),
    TEST_CASE(core_should_ack_only_the_frames_whose_bytes_left_the_socket),
    TEST_CASE(core_should_ack_frames_of_a_socket_that_never_goes_idle),
    TEST_CASE(core_should_ask_for_the_buffer_less_often_while_it_stays_full),
    TEST_CASE(core_should_give_each_partly_drained_frame_its_own_ack_delay),
    TEST_CASE(core_should_count_a_text_frame_by_its_utf8_bytes),
    TEST_CASE(core_should_ack_drained_frames_only_after_the_ack_delay),
    TEST_CASE(core_should_keep_a_later_drains_frames_for_their_own_delay),
    TEST_CASE(core_should_ack_a_steady_sender_once_per_half_delay),
    TEST_CASE(core_should_never_ack_what_a_socket_lost_within_the_delay),
    TEST_CASE(core_should_ack_a_refused_frame_with_the_drained_ones_when_nothing_else_was_sent),
    TEST_CASE(core_should_ack_several_tabs_in_one_envelope_naming_only_those_that_moved),
    TEST_CASE(core_should_queue_frames_until_the_socket_opens_then_send_them_in_order),
    TEST_CASE(core_should_refuse_a_frame_over_maxMessageBytes_with_too_big),
    TEST_CASE(core_should_refuse_a_too_big_frame_while_connecting_keeping_the_queue),
    TEST_CASE(core_should_refuse_a_frame_over_maxQueuedFrames_with_queue_full_keeping_the_queue),
    TEST_CASE(core_should_refuse_a_frame_over_maxQueuedBytes_with_queue_full_keeping_the_queue),
    TEST_CASE(core_should_not_ack_a_refused_frame_before_the_frames_queued_before_it),
    TEST_CASE(core_should_ack_a_refused_frame_at_once_when_nothing_of_its_tab_is_queued),
    TEST_CASE(core_should_release_and_count_duplicates),
    TEST_CASE(core_should_ask_for_a_resend_from_the_expected_seq_on_a_gap),
    TEST_CASE(core_should_send_the_new_frames_of_a_batch_that_starts_with_a_duplicate),
    TEST_CASE(core_should_release_frames_of_an_unknown_tab_and_ask_it_to_say_hello_again),
    TEST_CASE(core_should_reject_frames_of_another_version_without_a_rehello),
    TEST_CASE(core_should_reject_frames_numbered_from_zero_or_past_the_last_seq),
    TEST_CASE(core_should_release_queued_frames_when_the_last_tab_leaves),
    TEST_CASE(core_should_queue_frames_of_a_tab_that_joined_while_the_socket_was_closing),
    TEST_END,
};
