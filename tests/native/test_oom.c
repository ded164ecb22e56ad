/*
 * Out of memory, everywhere: each test repeats a piece of work once per
 * allocation it makes, failing that allocation (or every one from it on), and
 * checks there is no crash, no leak (counted here; LeakSanitizer and valgrind
 * run the same binary), every handle comes back, and what failed is counted.
 */
#include <stdio.h>

#include "harness.h"

#define SESSION_CONFIG \
    "{\"maxMessageBytes\":1000,\"maxQueuedFrames\":4,\"maxBatchFrames\":3," \
    "\"tabTimeoutMs\":10000,\"debug\":true}"

/* Lets every tab go and closes the socket, so every handle must be back. */
static void wind_down(fx *f)
{
    uint32_t tab;

    for (tab = 1; tab <= 4; tab++)
        fx_gone(f, tab);
    fx_closed(f, 1000, "", 1);
    fx_flush(f);
}

/* A core that works normally again: no state stuck by an earlier failure. */
static void check_recovered(const char *file, int line, fx *f)
{
    const char *got;

    fx_hello(f, 50, 1);
    got = fx_describe(f);
    if (strstr(got, "POST:welcome") == NULL || strstr(got, "OPEN") == NULL)
        check_fail(file, line, "a hello after recovery gave: %s", got);
    fx_opened(f, "", "");
    fx_flush(f);
    fx_server(f, 1);
    if (strcmp(fx_describe(f), "FLUSH") != 0)
        check_fail(file, line, "a server frame after recovery gave: %s", fx_describe(f));
    fx_frames(f, 50, 1, 1, NULL);
    if (fx_count(f, WSS_ACT_SEND) != 1)
        check_fail(file, line, "a tab frame after recovery gave: %s", fx_describe(f));
    fx_gone(f, 50);
    fx_closed(f, 1000, "", 1);
}

/* Every event the core takes, frames held in every place it holds them. */
static void session(fx *f)
{
    uint32_t lens[4] = {10, 20, 5000, 30};

    fx_hello(f, 1, 1);
    fx_hello(f, 2, 1);
    fx_frames(f, 1, 1, 4, lens);
    fx_frames(f, 2, 1, 2, NULL);
    fx_hello(f, 3, 1);
    fx_bye(f, 3);
    fx_opened(f, "chat", "");
    fx_server(f, 5);
    fx_server(f, 6);
    fx_flush(f);
    fx_server(f, 5);
    fx_server(f, 6);
    fx_frames(f, 1, 5, 3, NULL);
    fx_frames(f, 1, 3, 3, NULL);
    fx_frames(f, 2, 9, 1, NULL);
    fx_frames(f, 99, 1, 2, NULL);
    fx_stats_query(f, 1, 1);
    fx_hello(f, 3, 1);
    fx_ping(f, 99);
    fx_flush(f);
    fx_advance(f, 6000);
    fx_ping(f, 1);
    fx_advance(f, 6000);
    fx_tick(f);
    fx_server(f, 7);
    fx_closed(f, 4000, "server says bye", 1);
    fx_hello(f, 4, 1);
    fx_frames(f, 4, 1, 3, NULL);
    fx_bye(f, 4);
}

/* Runs the session once per allocation it makes, failing that one (or every
 * one from it on); returns how many runs it took. */
static long sweep_session(int sticky)
{
    long n;

    for (n = 1;; n++) {
        fx f;
        long failed;

        fa_install(n, sticky);
        fx_open(&f, SESSION_CONFIG);
        if (f.core == NULL) {
            CHECK(f.rc == WSS_ENOMEM || f.rc == WSS_EINVAL);
            fx_close(&f);
            CHECK_EQ(fa_live(), 0);
            continue;
        }
        session(&f);
        wind_down(&f);
        failed = fa_failures();
        if (fx_held(&f) != 0)
            check_fail(__FILE__, __LINE__, "allocation %ld failed%s: %u handles never came back",
                       n, sticky ? " and all after" : "", fx_held(&f));
        if (!sticky) {
            fa_arm(0, 0);
            check_recovered(__FILE__, __LINE__, &f);
        }
        fx_close(&f);
        if (fa_live() != 0)
            check_fail(__FILE__, __LINE__, "allocation %ld failed%s: %ld blocks leaked", n,
                       sticky ? " and all after" : "", fa_live());
        fa_uninstall();
        if (failed == 0 || test_failed())
            return n;
    }
}

static void oom_should_leave_no_leak_and_no_handle_behind_when_any_one_allocation_fails(void)
{
    CHECK(sweep_session(0) > 50);
}

static void oom_should_leave_no_leak_and_no_handle_behind_when_memory_runs_out_for_good(void)
{
    CHECK(sweep_session(1) > 50);
}

static void oom_should_fail_create_cleanly_at_every_allocation(void)
{
    long n;

    for (n = 1; n < 1000; n++) {
        wss_core *core = (wss_core *)&core;
        int rc;

        fa_install(n, 0);
        rc = wss_create(&core, SESSION_CONFIG, strlen(SESSION_CONFIG));
        if (rc == WSS_OK) {
            CHECK(core != NULL);
            wss_destroy(core);
            CHECK_EQ(fa_failures(), 0);
            CHECK_EQ(fa_live(), 0);
            return;
        }
        /* cJSON cannot tell a failed allocation from bad text. */
        CHECK(rc == WSS_ENOMEM || rc == WSS_EINVAL);
        CHECK(core == NULL);
        CHECK_EQ(fa_live(), 0);
    }
    check_fail(__FILE__, __LINE__, "wss_create never succeeded");
}

/* Ends a run whose allocation `n` failed: every tab gone and the socket
 * closed, every handle must be back, the core must work again, and closing
 * it must leave nothing allocated. */
static void end_clean(const char *file, int line, fx *f, long n)
{
    wind_down(f);
    if (fx_held(f) != 0)
        check_fail(file, line, "allocation %ld failed: %u handles never came back", n, fx_held(f));
    check_recovered(file, line, f);
    fx_close(f);
    if (fa_live() != 0)
        check_fail(file, line, "allocation %ld failed: %ld blocks leaked", n, fa_live());
    fa_uninstall();
}

/* Repeats `step` on a fresh core after `setup`, failing its nth allocation. */
typedef void (*step_fn)(fx *f);

static void sweep_step(const char *file, int line, const char *config, step_fn setup,
                       step_fn step)
{
    long n;

    for (n = 1; n < 10000; n++) {
        fx f;
        long failed;

        fa_install(0, 0);
        fx_open(&f, config);
        setup(&f);
        fa_arm(n, 0);
        step(&f);
        failed = fa_failures();
        fa_arm(0, 0);
        end_clean(file, line, &f, n);
        if (failed == 0 || test_failed())
            return;
    }
}

static void nothing(fx *f)
{
    (void)f;
}

/* A counter read without touching the armed failure. */
static long long stat_quiet(fx *f, const char *path)
{
    long long v;

    fa_pause(1);
    v = fx_stat(f, path);
    fa_pause(0);
    return v;
}

static void hello_one(fx *f)
{
    long long oom = stat_quiet(f, "outOfMemory");

    fx_hello(f, 1, 1);
    if (fa_failures() == 0)
        return;
    fa_arm(0, 0);
    if (f->rc == WSS_ENOMEM)
        CHECK_EQ(f->acts.count, 0);
    else if (f->rc == WSS_EINVAL) /* the envelope's parse failed */
        CHECK_EQ(fx_stat(f, "rejected.malformed"), 1);
    else
        CHECK(fx_stat(f, "outOfMemory") > oom);
    /* The tab says hello again after a while, and is welcomed. */
    fx_hello(f, 1, 1);
    CHECK(fx_post(f, "welcome", 0) != NULL);
}

static void oom_should_count_a_hello_it_could_not_answer_and_welcome_the_next(void)
{
    sweep_step(__FILE__, __LINE__, SESSION_CONFIG, nothing, hello_one);
}

static void hello_and_queue(fx *f)
{
    fx_hello(f, 1, 1);
    fx_hello(f, 2, 1);
    fx_frames(f, 2, 1, 1, NULL);
}

/* Half of them too big: more actions than one per frame. */
static void frames_mixed(fx *f)
{
    uint32_t lens[24];
    uint32_t i;

    for (i = 0; i < 24; i++)
        lens[i] = i % 2 ? 5000 : 10;
    fx_frames(f, 1, 1, 24, lens);
}

static void oom_should_return_every_tab_frame_handle_when_frames_meet_a_failure(void)
{
    sweep_step(__FILE__, __LINE__, SESSION_CONFIG, hello_and_queue, frames_mixed);
}

static void hello_and_open(fx *f)
{
    fx_hello(f, 1, 1);
    fx_hello(f, 2, 1);
    fx_opened(f, "", "");
    fx_flush(f);
}

static void oom_should_return_every_tab_frame_handle_on_an_open_socket(void)
{
    sweep_step(__FILE__, __LINE__, SESSION_CONFIG, hello_and_open, frames_mixed);
}

/* More queued frames than one call's actions have ever needed room for. */
static void queue_many(fx *f)
{
    uint32_t i;

    fx_hello(f, 1, 1);
    for (i = 1; i <= 40; i++)
        fx_frames(f, 1, i, 1, NULL);
}

static void last_tab_says_bye(fx *f)
{
    fx_bye(f, 1);
}

static void last_tab_lock_released(fx *f)
{
    fx_gone(f, 1);
}

static void oom_should_release_the_queue_when_the_last_tab_leaves_in_a_failure(void)
{
    sweep_step(__FILE__, __LINE__, NULL, queue_many, last_tab_says_bye);
    sweep_step(__FILE__, __LINE__, NULL, queue_many, last_tab_lock_released);
}

static void many_tabs_queued(fx *f)
{
    uint32_t i;
    uint32_t seq;

    for (i = 1; i <= 4; i++)
        fx_hello(f, i, 1);
    for (seq = 1; seq <= 10; seq++)
        for (i = 1; i <= 4; i++)
            fx_frames(f, i, seq, 1, NULL);
}

static void all_time_out(fx *f)
{
    fx_advance(f, 20000);
    fx_tick(f);
}

static void oom_should_drop_every_silent_tab_and_release_the_queue_in_a_failure(void)
{
    sweep_step(__FILE__, __LINE__, "{\"tabTimeoutMs\":10000}", many_tabs_queued, all_time_out);
}

static void server_burst(fx *f)
{
    uint32_t i;
    long long before = stat_quiet(f, "outOfMemory");

    for (i = 0; i < 200; i++) {
        int rc = fx_server(f, 1);

        if (rc == WSS_ENOMEM) {
            /* A frame the batch cannot hold is released, not kept. */
            CHECK_EQ(fx_count(f, WSS_ACT_RELEASE), 1);
            CHECK(stat_quiet(f, "outOfMemory") > before);
        }
    }
}

static void oom_should_release_a_server_frame_the_batch_cannot_hold(void)
{
    sweep_step(__FILE__, __LINE__, SESSION_CONFIG, hello_and_open, server_burst);
}

static void stats_query(fx *f)
{
    long long before = stat_quiet(f, "outOfMemory");

    fx_stats_query(f, 1, 9);
    if (fa_failures() == 0 || f->rc != WSS_OK)
        return;
    fa_arm(0, 0);
    if (fx_post(f, "stats", 0) == NULL)
        CHECK(fx_stat(f, "outOfMemory") > before);
}

static void stats_text(fx *f)
{
    const char *text = wss_stats_json(f->core);

    if (text != NULL)
        CHECK(strstr(text, "\"outOfMemory\"") != NULL);
}

static void oom_should_answer_a_stats_query_or_count_the_failure(void)
{
    long n;

    /* The query's own allocations, one by one. */
    for (n = 1; n < 200; n++) {
        fx f;
        long failed;

        fa_install(0, 0);
        fx_open(&f, NULL);
        hello_and_open(&f);
        fa_arm(n, 0);
        fx_stats_query(&f, 1, 9);
        failed = fa_failures();
        fa_arm(0, 0);
        if (failed > 0 && f.rc == WSS_OK && fx_post(&f, "stats", 0) == NULL)
            CHECK(fx_stat(&f, "outOfMemory") >= 1);
        if (failed == 0)
            CHECK(fx_post(&f, "stats", 0) != NULL);
        fx_close(&f);
        CHECK_EQ(fa_live(), 0);
        fa_uninstall();
        if (failed == 0)
            break;
    }
    sweep_step(__FILE__, __LINE__, SESSION_CONFIG, hello_and_open, stats_query);
    sweep_step(__FILE__, __LINE__, SESSION_CONFIG, hello_and_open, stats_text);
}

static void scratch(fx *f)
{
    uint32_t *p = wss_scratch(f->core, 100000);

    if (p != NULL)
        p[99999] = 1;
}

static void oom_should_give_no_scratch_buffer_rather_than_a_short_one(void)
{
    sweep_step(__FILE__, __LINE__, SESSION_CONFIG, nothing, scratch);
}

static void oom_should_refuse_a_frame_with_out_of_memory_when_the_queue_cannot_grow(void)
{
    fx f;
    uint32_t i;
    uint32_t lens[64];
    const act *e;
    int seen = 0;

    for (i = 0; i < 64; i++)
        lens[i] = 1;
    /* The queue starts with room for 64 frames: the 65th must grow it. */
    for (i = 1; i < 50; i++) {
        long failed;

        fa_install(0, 0);
        fx_open(&f, NULL);
        fx_hello(&f, 1, 1);
        fx_frames(&f, 1, 1, 64, lens);
        fa_arm(i, 0);
        fx_frames(&f, 1, 65, 1, NULL);
        failed = fa_failures();
        fa_arm(0, 0);
        e = fx_post(&f, "error", 0);
        if (e != NULL) {
            seen = 1;
            CHECK_STR(act_str(e, "code"), "out_of_memory");
            CHECK_EQ(act_num(e, "seq"), 65);
            CHECK_ACTS(&f, "RELEASE#65 POST:error");
            CHECK(fx_stat(&f, "outOfMemory") >= 1);
            CHECK_EQ(fx_stat(&f, "queuedFrames"), 64);
        }
        fx_close(&f);
        CHECK_EQ(fa_live(), 0);
        fa_uninstall();
        if (failed == 0)
            break;
    }
    CHECK(seen);
}

/* ---- socket facts: taken whatever memory does, their news posted later ---- */

#define FACT_CONFIG "{\"reconnect\":{\"stopOn\":[4001]}}"

/* Two tabs, four frames queued while the socket connects. */
static void connecting_with_a_queue(fx *f)
{
    fx_hello(f, 1, 1);
    fx_hello(f, 2, 1);
    fx_frames(f, 1, 1, 3, NULL);
    fx_frames(f, 2, 1, 1, NULL);
}

static void open_with_two_tabs(fx *f)
{
    fx_start(f, 1);
    fx_hello(f, 2, 1);
}

static void open_with_unacked_frames(fx *f)
{
    open_with_two_tabs(f);
    fx_frames(f, 2, 1, 2, NULL);
}

static void socket_opens(fx *f)
{
    fx_opened(f, "chat", "");
    /* The queue drains at once: the room for it was kept. */
    CHECK_EQ(fx_count(f, WSS_ACT_SEND), 4);
}

static void socket_lost(fx *f)
{
    fx_closed(f, 1006, "", 0);
}

static void socket_closed_for_good(fx *f)
{
    fx_closed(f, 4001, "go", 1);
}

static void socket_drains(fx *f)
{
    fx_drained(f);
}

/* Runs `event` on a fresh core after `setup`, failing its nth allocation (and
 * every later one in the call if `sticky`), for every n until none fails. The
 * event must take its fact (WSS_OK), and the envelope `type` it owes the tabs
 * must come, in the call or from the timer it armed once memory is back. */
static void sweep_fact_once(const char *file, int line, step_fn setup, step_fn event,
                            const char *type, int sticky)
{
    long n;

    for (n = 1; n < 10000; n++) {
        fx f;
        long failed;
        const act *timer;

        fa_install(0, 0);
        fx_open(&f, FACT_CONFIG);
        setup(&f);
        fa_arm(n, sticky);
        event(&f);
        failed = fa_failures();
        fa_arm(0, 0);
        if (f.rc != WSS_OK)
            check_fail(file, line, "allocation %ld failed: the event gave %d", n, f.rc);
        if (fx_post(&f, type, 0) == NULL) {
            timer = fx_nth(&f, WSS_ACT_TIMER, 0);
            if (timer == NULL || timer->a > 1000) {
                check_fail(file, line, "allocation %ld failed: no %s and no timer to post it (%s)",
                           n, type, fx_describe(&f));
            } else {
                fx_advance(&f, timer->a);
                fx_tick(&f);
                if (fx_post(&f, type, 0) == NULL)
                    check_fail(file, line, "allocation %ld failed: the tick gave no %s (%s)", n,
                               type, fx_describe(&f));
            }
        }
        end_clean(file, line, &f, n);
        if (failed == 0 || test_failed())
            return;
    }
}

/* The same, failing one allocation, then every one from it on. */
static void sweep_fact(const char *file, int line, step_fn setup, step_fn event,
                       const char *type)
{
    sweep_fact_once(file, line, setup, event, type, 0);
    sweep_fact_once(file, line, setup, event, type, 1);
}

static void oom_should_take_a_socket_open_and_announce_it_once_memory_is_back(void)
{
    sweep_fact(__FILE__, __LINE__, connecting_with_a_queue, socket_opens, "open");
}

static void oom_should_take_a_lost_socket_and_announce_the_retry_once_memory_is_back(void)
{
    sweep_fact(__FILE__, __LINE__, open_with_two_tabs, socket_lost, "reconnecting");
}

static void oom_should_take_a_final_close_and_announce_it_once_memory_is_back(void)
{
    sweep_fact(__FILE__, __LINE__, open_with_two_tabs, socket_closed_for_good, "close");
}

static void oom_should_post_acks_it_could_not_write_once_memory_is_back(void)
{
    sweep_fact(__FILE__, __LINE__, open_with_unacked_frames, socket_drains, "ack");
}

static void oom_should_hold_server_frames_behind_an_open_it_owes_and_post_them_after_it(void)
{
    fx f;
    const act *timer;

    fa_install(0, 0);
    fx_open(&f, NULL);
    fx_hello(&f, 1, 1);
    fa_arm(1, 1);
    fx_opened(&f, "", "");
    CHECK(fx_post(&f, "open", 0) == NULL);
    fa_arm(0, 0);
    fx_server(&f, 5);
    /* The frame's own call settles the debt first: open, then the frame. */
    CHECK(fx_post(&f, "open", 0) != NULL);
    fx_flush(&f);
    CHECK_ACTS(&f, "DATA@1#1");
    fx_close(&f);
    /* Memory back only for the tick: the same order. */
    fa_install(0, 0);
    fx_open(&f, NULL);
    fx_hello(&f, 1, 1);
    fa_arm(1, 1);
    fx_opened(&f, "", "");
    timer = fx_nth(&f, WSS_ACT_TIMER, 0);
    REQUIRE(timer != NULL);
    fa_arm(0, 0);
    fa_arm(1, 1);
    fx_flush(&f);
    CHECK_ACTS(&f, "");
    fa_arm(0, 0);
    fx_advance(&f, timer->a);
    fx_tick(&f);
    CHECK_ACTS(&f, "POST:open FLUSH");
    fx_close(&f);
    CHECK_EQ(fa_live(), 0);
}

const test_case oom_tests[] = {
    TEST_CASE(oom_should_fail_create_cleanly_at_every_allocation),
    TEST_CASE(oom_should_count_a_hello_it_could_not_answer_and_welcome_the_next),
    TEST_CASE(oom_should_return_every_tab_frame_handle_when_frames_meet_a_failure),
    TEST_CASE(oom_should_return_every_tab_frame_handle_on_an_open_socket),
    TEST_CASE(oom_should_release_the_queue_when_the_last_tab_leaves_in_a_failure),
    TEST_CASE(oom_should_drop_every_silent_tab_and_release_the_queue_in_a_failure),
    TEST_CASE(oom_should_release_a_server_frame_the_batch_cannot_hold),
    TEST_CASE(oom_should_answer_a_stats_query_or_count_the_failure),
    TEST_CASE(oom_should_give_no_scratch_buffer_rather_than_a_short_one),
    TEST_CASE(oom_should_refuse_a_frame_with_out_of_memory_when_the_queue_cannot_grow),
    TEST_CASE(oom_should_take_a_socket_open_and_announce_it_once_memory_is_back),
    TEST_CASE(oom_should_take_a_lost_socket_and_announce_the_retry_once_memory_is_back),
    TEST_CASE(oom_should_take_a_final_close_and_announce_it_once_memory_is_back),
    TEST_CASE(oom_should_post_acks_it_could_not_write_once_memory_is_back),
    TEST_CASE(oom_should_hold_server_frames_behind_an_open_it_owes_and_post_them_after_it),
    TEST_CASE(oom_should_leave_no_leak_and_no_handle_behind_when_any_one_allocation_fails),
    TEST_CASE(oom_should_leave_no_leak_and_no_handle_behind_when_memory_runs_out_for_good),
    TEST_END,
};
