/*
 * The tab's session on a fake clock: the ways taken, the ready deadline and the
 * fall-backs, a SharedWorker's deaths and its successor's tries, a beating
 * leader's silence, the pool, and seeded random runs checked against every
 * promise after every call.
 */
#include <stdio.h>

#include "harness.h"

#define ALL (WSS_CAN_BUS | WSS_CAN_SHAREDWORKER | WSS_CAN_WORKER)
#define NO_SW (WSS_CAN_BUS | WSS_CAN_WORKER)
#define NO_WORKER (WSS_CAN_BUS | WSS_CAN_SHAREDWORKER)
#define NO_BUS (WSS_CAN_SHAREDWORKER | WSS_CAN_WORKER)
#define POOL 256 /* WSS_SESSION_MAX, as the header promises */

static const char *const reasons[] = {
    NULL,
    "the SharedWorker could not start",
    "the leader could not start",
    "the SharedWorker keeps dying",
};

/* The last call's actions as one line, e.g. "LOST:1 START:1 TIMER:1000". */
static const char *did(const wss_session *s)
{
    static char buf[256];
    uint32_t i, n = 0;
    const wss_action *a = wss_session_actions(s, &n);
    size_t len = 0;

    buf[0] = '\0';
    for (i = 0; i < n && len + 32 < sizeof buf; i++) {
        const char *sep = i == 0 ? "" : " ";
        int w;

        switch (a[i].kind) {
        case WSS_ACT_SESSION_START:
            w = snprintf(buf + len, sizeof buf - len, "%sSTART:%u", sep, a[i].a);
            break;
        case WSS_ACT_SESSION_LOST:
            w = snprintf(buf + len, sizeof buf - len, "%sLOST:%u", sep, a[i].a);
            break;
        case WSS_ACT_SESSION_FAIL:
            w = snprintf(buf + len, sizeof buf - len, "%sFAIL:%u", sep, a[i].a);
            break;
        case WSS_ACT_SESSION_HOST:
            w = snprintf(buf + len, sizeof buf - len, "%sHOST:%u", sep, a[i].a);
            break;
        case WSS_ACT_SESSION_ERROR:
            w = snprintf(buf + len, sizeof buf - len, "%sERROR:%u", sep, a[i].a);
            break;
        case WSS_ACT_SESSION_TIMER:
            if (a[i].a == UINT32_MAX)
                w = snprintf(buf + len, sizeof buf - len, "%sTIMER:off", sep);
            else
                w = snprintf(buf + len, sizeof buf - len, "%sTIMER:%u", sep, a[i].a);
            break;
        default:
            w = snprintf(buf + len, sizeof buf - len, "%s?%u:%u", sep, a[i].kind, a[i].a);
            break;
        }
        len += (size_t)w;
    }
    return buf;
}

/* The last call did `expected` (see did), and every action is well formed:
 * only a FAIL carries text, its reason's, with its length. */
static void check_did(const char *file, int line, const wss_session *s, const char *expected)
{
    uint32_t i, n = 0;
    const wss_action *a = wss_session_actions(s, &n);
    const char *got = did(s);

    if (strcmp(got, expected) != 0)
        check_fail(file, line, "did \"%s\", expected \"%s\"", got, expected);
    for (i = 0; i < n; i++) {
        if (a[i].b != 0 || a[i].handle != 0)
            check_fail(file, line, "action %u has b %u, handle %u", i, a[i].b, a[i].handle);
        if (a[i].kind != WSS_ACT_SESSION_FAIL) {
            if (a[i].text != NULL || a[i].len != 0)
                check_fail(file, line, "action %u carries text", i);
        } else if (a[i].a < 1 || a[i].a > 3 || a[i].text == NULL ||
                   strcmp(a[i].text, reasons[a[i].a]) != 0 ||
                   a[i].len != (uint32_t)strlen(a[i].text)) {
            check_fail(file, line, "FAIL %u says \"%s\" (len %u)", a[i].a,
                       a[i].text != NULL ? a[i].text : "(null)", a[i].len);
        }
    }
}
#define CHECK_DID(s, expected) check_did(__FILE__, __LINE__, (s), (expected))

/* A new session of `mode` on a page offering `caps`, started visible at `now`. */
static wss_session *started(uint32_t mode, uint32_t caps, double now)
{
    wss_session *s = wss_session_new(mode, caps);

    if (s != NULL && wss_session_start(s, 1, now) != WSS_OK) {
        wss_session_free(s);
        return NULL;
    }
    return s;
}

/* Every call but new and free, at `now`: each answers `rc` and does nothing. */
static void check_all_calls_refused(const char *file, int line, wss_session *s, int rc, double now)
{
    int got[7];
    int i;
    uint32_t n;

    got[0] = wss_session_start(s, 1, now);
    got[1] = wss_session_ready(s, WSS_WATCH_BEATS, now);
    got[2] = wss_session_heard(s, now);
    got[3] = wss_session_failed(s, now);
    got[4] = wss_session_lost(s, now);
    got[5] = wss_session_visibility(s, 0, now);
    got[6] = wss_session_tick(s, now);
    for (i = 0; i < 7; i++)
        if (got[i] != rc)
            check_fail(file, line, "call %d answered %d, not %d", i, got[i], rc);
    /* Each call above replaced the actions: the last one's are none. Each one's
     * own are checked by the callers that care. */
    n = 99;
    wss_session_actions(s, &n);
    if (n != 0)
        check_fail(file, line, "the calls left %u actions", n);
}

/* ---- start ------------------------------------------------------------------ */

static void session_should_start_with_a_sharedworker_and_arm_its_ready_deadline_when_the_page_offers_everything(void)
{
    wss_session *s = wss_session_new(WSS_MODE_AUTO, ALL);
    uint32_t n = 99;

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_way(s), 0);
    CHECK(wss_session_actions(s, &n) != NULL);
    CHECK_EQ(n, 0);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:10000");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);
}

static void session_should_start_with_the_election_when_the_page_has_no_sharedworker(void)
{
    wss_session *s = wss_session_new(WSS_MODE_AUTO, NO_SW);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 5), WSS_OK);
    /* The election reports its own end: no ready deadline. */
    CHECK_DID(s, "START:2");
    CHECK_EQ(wss_session_way(s), WSS_WAY_ELECTION);
    wss_session_free(s);

    /* A SharedWorker needs the bus too; without a Worker the election cannot lead. */
    s = wss_session_new(WSS_MODE_AUTO, WSS_CAN_BUS);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 5), WSS_OK);
    CHECK_DID(s, "START:3");
    wss_session_free(s);
}

/* An elected tab runs its leader in a Worker; refused, on the page; refused
 * there too, the way failed: 'auto' takes a socket of its own, 'election'
 * gives up. A term's end stops the host, and a host's news after it is old. */
static void session_should_run_an_elected_leader_in_a_worker_then_on_the_page_then_give_the_way_up(void)
{
    wss_session *s = wss_session_new(WSS_MODE_AUTO, NO_SW);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_EQ(wss_session_host_failed(s, 1), WSS_EREJECT); /* it leads nothing yet */
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_elected(s, 1, 2), WSS_OK);
    CHECK_DID(s, "HOST:1");
    CHECK_EQ(wss_session_elected(s, 1, 3), WSS_OK); /* told twice: nothing new */
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_host_failed(s, 4), WSS_OK);
    CHECK_DID(s, "HOST:2");
    CHECK_EQ(wss_session_elected(s, 1, 4), WSS_OK); /* the page leads already */
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_host_failed(s, 5), WSS_OK);
    CHECK_DID(s, "HOST:0 START:3");
    CHECK_EQ(wss_session_way(s), WSS_WAY_DIRECT);
    CHECK_EQ(wss_session_elected(s, 1, 6), WSS_EREJECT);
    wss_session_free(s);

    s = wss_session_new(WSS_MODE_ELECTION, ALL);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_EQ(wss_session_elected(s, 1, 1), WSS_OK);
    CHECK_DID(s, "HOST:1");
    CHECK_EQ(wss_session_elected(s, 0, 2), WSS_OK);
    CHECK_DID(s, "HOST:0");
    CHECK_EQ(wss_session_host_failed(s, 3), WSS_EREJECT); /* the deposed term's Worker */
    CHECK_EQ(wss_session_elected(s, 1, 4), WSS_OK);
    CHECK_DID(s, "HOST:1");
    CHECK_EQ(wss_session_host_failed(s, 5), WSS_OK);
    CHECK_DID(s, "HOST:2");
    CHECK_EQ(wss_session_host_failed(s, 6), WSS_OK);
    CHECK_DID(s, "HOST:0 FAIL:2");
    wss_session_free(s);

    /* Where Web Locks elect, a tab that does not lead keeps a Worker ready:
     * from the start, and again each time its term ends. */
    s = wss_session_new(WSS_MODE_ELECTION, ALL | WSS_CAN_LOCKS);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_DID(s, "START:2 HOST:3");
    CHECK_EQ(wss_session_host_failed(s, 1), WSS_EREJECT); /* a standby leads nothing */
    CHECK_EQ(wss_session_elected(s, 0, 1), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_elected(s, 1, 2), WSS_OK);
    CHECK_DID(s, "HOST:1");
    CHECK_EQ(wss_session_elected(s, 0, 3), WSS_OK);
    CHECK_DID(s, "HOST:3");
    CHECK_EQ(wss_session_elected(s, 1, 4), WSS_OK);
    CHECK_EQ(wss_session_host_failed(s, 5), WSS_OK);
    CHECK_DID(s, "HOST:2");
    CHECK_EQ(wss_session_elected(s, 1, 6), WSS_OK); /* the page leads already */
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_elected(s, 0, 7), WSS_OK);
    CHECK_DID(s, "HOST:3");
    wss_session_free(s);
}

/* A leader that answered and whose host then fails entirely is lost: the tab
 * lets its lock go and queues again. */
static void session_should_queue_again_when_the_host_of_a_leader_that_answered_fails(void)
{
    wss_session *s = wss_session_new(WSS_MODE_ELECTION, ALL | WSS_CAN_LOCKS);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_EQ(wss_session_elected(s, 1, 1), WSS_OK);
    CHECK_EQ(wss_session_ready(s, wss_session_watch_for(s, 1), 2), WSS_OK);
    CHECK_EQ(wss_session_host_failed(s, 3), WSS_OK);
    CHECK_DID(s, "HOST:2");
    CHECK_EQ(wss_session_host_failed(s, 4), WSS_OK);
    CHECK_DID(s, "HOST:0 LOST:2 START:2 HOST:3");
    CHECK_EQ(wss_session_way(s), WSS_WAY_ELECTION);
    wss_session_free(s);
}

/* The election's own error (a lock request refused): another way before the
 * socket opened, the app's to hear after. */
static void session_should_take_the_next_way_on_a_way_error_before_the_socket_opened_and_tell_the_app_after(void)
{
    wss_session *s = wss_session_new(WSS_MODE_AUTO, NO_SW);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_EQ(wss_session_way_error(s, 1), WSS_OK);
    CHECK_DID(s, "START:3");
    wss_session_free(s);

    s = wss_session_new(WSS_MODE_ELECTION, NO_SW);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_EQ(wss_session_way_error(s, 1), WSS_OK);
    CHECK_DID(s, "FAIL:2");
    wss_session_free(s);

    s = wss_session_new(WSS_MODE_AUTO, NO_SW);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_EQ(wss_session_opened(s, 1), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_way_error(s, 2), WSS_OK);
    CHECK_DID(s, "ERROR:2");
    CHECK_EQ(wss_session_way(s), WSS_WAY_ELECTION);
    wss_session_free(s);
}

/* Watching a worker: by its life lock only where the page has Web Locks and
 * the worker named one; a SharedWorker's leader beats only for pages
 * without them. */
static void session_should_watch_by_the_lock_only_with_web_locks_and_a_named_one(void)
{
    wss_session *s = wss_session_new(WSS_MODE_AUTO, ALL | WSS_CAN_LOCKS);
    wss_session *t = wss_session_new(WSS_MODE_AUTO, ALL);

    REQUIRE(s != NULL && t != NULL);
    CHECK_EQ(wss_session_watch_for(s, 1), WSS_WATCH_LOCK);
    CHECK_EQ(wss_session_watch_for(s, 0), WSS_WATCH_BEATS);
    CHECK_EQ(wss_session_watch_for(t, 1), WSS_WATCH_BEATS);
    CHECK_EQ(wss_session_leader_beat_ms(s), 0);
    CHECK_EQ(wss_session_leader_beat_ms(t), wss_session_beat_ms());
    wss_session_free(s);
    wss_session_free(t);
}

static void session_should_start_with_a_socket_of_its_own_when_the_page_has_no_bus(void)
{
    uint32_t caps[] = {NO_BUS, WSS_CAN_SHAREDWORKER, WSS_CAN_WORKER, 0};
    size_t i;

    for (i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        wss_session *s = wss_session_new(WSS_MODE_AUTO, caps[i]);

        REQUIRE(s != NULL);
        CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
        CHECK_DID(s, "START:3");
        CHECK_EQ(wss_session_way(s), WSS_WAY_DIRECT);
        wss_session_free(s);
    }
}

static void session_should_take_a_forced_way_even_where_auto_would_take_another(void)
{
    wss_session *s = wss_session_new(WSS_MODE_ELECTION, ALL);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_DID(s, "START:2");
    wss_session_free(s);

    s = wss_session_new(WSS_MODE_DIRECT, ALL);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_DID(s, "START:3");
    wss_session_free(s);

    s = wss_session_new(WSS_MODE_SHAREDWORKER, NO_WORKER);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:10000");
    wss_session_free(s);

    /* A socket of its own needs nothing of the page. */
    s = wss_session_new(WSS_MODE_DIRECT, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_DID(s, "START:3");
    wss_session_free(s);
}

static void session_should_refuse_a_forced_mode_the_page_cannot_run(void)
{
    static const struct {
        uint32_t mode, caps;
    } cases[] = {
        {WSS_MODE_SHAREDWORKER, NO_SW},
        {WSS_MODE_SHAREDWORKER, NO_BUS},
        {WSS_MODE_SHAREDWORKER, 0},
        {WSS_MODE_ELECTION, NO_WORKER},
        {WSS_MODE_ELECTION, NO_BUS},
        {WSS_MODE_ELECTION, WSS_CAN_BUS},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wss_session *s = wss_session_new(cases[i].mode, cases[i].caps);

        REQUIRE(s != NULL);
        if (wss_session_start(s, 1, 0) != WSS_EREJECT)
            check_fail(__FILE__, __LINE__, "mode %u on caps %u was not refused", cases[i].mode,
                       cases[i].caps);
        CHECK_DID(s, "");
        CHECK_EQ(wss_session_way(s), 0);
        /* Nothing was started: the session still refuses everything. */
        check_all_calls_refused(__FILE__, __LINE__, s, WSS_EREJECT, 10);
        wss_session_free(s);
    }
}

static void session_should_refuse_a_second_start_and_do_nothing_again(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 1, 100), WSS_EREJECT);
    /* The first start's actions are not to be performed a second time. */
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    /* And the first start's deadline still stands. */
    CHECK_EQ(wss_session_tick(s, 10000), WSS_OK);
    CHECK_DID(s, "START:2");
    wss_session_free(s);
}

static void session_should_refuse_a_bad_mode(void)
{
    CHECK(wss_session_new(0, ALL) == NULL);
    CHECK(wss_session_new(WSS_MODE_DIRECT + 1, ALL) == NULL);
    CHECK(wss_session_new(UINT32_MAX, ALL) == NULL);
}

static void session_should_refuse_every_call_before_start(void)
{
    wss_session *s = wss_session_new(WSS_MODE_AUTO, ALL);
    int i;

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 1), WSS_EREJECT);
    CHECK_EQ(wss_session_heard(s, 2), WSS_EREJECT);
    CHECK_EQ(wss_session_failed(s, 3), WSS_EREJECT);
    CHECK_EQ(wss_session_lost(s, 4), WSS_EREJECT);
    CHECK_EQ(wss_session_visibility(s, 0, 5), WSS_EREJECT);
    for (i = 0; i < 3; i++)
        CHECK_EQ(wss_session_tick(s, 20000.0 * i), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_way(s), 0);
    /* None of it counted: the start is as fresh as ever. */
    CHECK_EQ(wss_session_start(s, 1, 50000), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:10000");
    wss_session_free(s);
}

/* ---- the ready deadline and failures before the answer --------------------- */

static void session_should_leave_a_sharedworker_that_never_answers_for_the_election(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 1000);

    REQUIRE(s != NULL);
    /* Not a moment early: an early tick only arms what is left. */
    CHECK_EQ(wss_session_tick(s, 5000), WSS_OK);
    CHECK_DID(s, "TIMER:6000");
    CHECK_EQ(wss_session_tick(s, 10999), WSS_OK);
    CHECK_DID(s, "TIMER:1");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    CHECK_EQ(wss_session_tick(s, 11000), WSS_OK);
    CHECK_DID(s, "START:2");
    CHECK_EQ(wss_session_way(s), WSS_WAY_ELECTION);
    /* The election has no deadline: later ticks do nothing. */
    CHECK_EQ(wss_session_tick(s, 30000), WSS_OK);
    CHECK_DID(s, "");
    wss_session_free(s);
}

static void session_should_leave_a_sharedworker_that_never_answers_for_a_socket_without_a_worker(void)
{
    wss_session *s = started(WSS_MODE_AUTO, NO_WORKER, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_tick(s, 10000), WSS_OK);
    CHECK_DID(s, "START:3");
    wss_session_free(s);
}

static void session_should_keep_a_sharedworker_that_answered_in_time(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 9999), WSS_OK);
    /* The deadline is disarmed: its lock watches it now. */
    CHECK_DID(s, "TIMER:off");
    CHECK_EQ(wss_session_tick(s, 10000), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_tick(s, 100000), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);
}

static void session_should_fail_a_forced_sharedworker_that_never_answers(void)
{
    wss_session *s = started(WSS_MODE_SHAREDWORKER, ALL, 0);
    const wss_action *a;
    uint32_t n = 0;

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_tick(s, 9999), WSS_OK);
    CHECK_DID(s, "TIMER:1");
    CHECK_EQ(wss_session_tick(s, 10000), WSS_OK);
    CHECK_DID(s, "FAIL:1");
    a = wss_session_actions(s, &n);
    REQUIRE(n == 1);
    CHECK_EQ(a[0].kind, WSS_ACT_SESSION_FAIL);
    CHECK_EQ(a[0].a, 1);
    CHECK_STR(a[0].text, "the SharedWorker could not start");
    CHECK_EQ(a[0].len, strlen("the SharedWorker could not start"));
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);
}

static void session_should_fall_back_from_sharedworker_to_election_to_a_socket_as_each_fails_before_answering(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 100), WSS_OK);
    /* The SharedWorker's deadline goes with it. */
    CHECK_DID(s, "START:2 TIMER:off");
    CHECK_EQ(wss_session_way(s), WSS_WAY_ELECTION);
    CHECK_EQ(wss_session_failed(s, 200), WSS_OK);
    CHECK_DID(s, "START:3");
    CHECK_EQ(wss_session_way(s), WSS_WAY_DIRECT);
    /* A socket of the tab's own reports its own close. */
    CHECK_EQ(wss_session_failed(s, 300), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_way(s), WSS_WAY_DIRECT);
    wss_session_free(s);

    /* Without a Worker the election is skipped. */
    s = started(WSS_MODE_AUTO, NO_WORKER, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 100), WSS_OK);
    CHECK_DID(s, "START:3 TIMER:off");
    wss_session_free(s);

    /* Starting with the election, a failure leads to a socket. */
    s = started(WSS_MODE_AUTO, NO_SW, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 100), WSS_OK);
    CHECK_DID(s, "START:3");
    wss_session_free(s);
}

static void session_should_fail_a_forced_way_that_cannot_start(void)
{
    wss_session *s = started(WSS_MODE_ELECTION, ALL, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 100), WSS_OK);
    CHECK_DID(s, "FAIL:2");
    CHECK_EQ(wss_session_way(s), WSS_WAY_ELECTION);
    wss_session_free(s);

    s = started(WSS_MODE_SHAREDWORKER, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 100), WSS_OK);
    /* Its deadline is disarmed with it. */
    CHECK_DID(s, "FAIL:1 TIMER:off");
    wss_session_free(s);
}

static void session_should_refuse_failed_and_lost_on_a_socket_of_its_own(void)
{
    wss_session *s = started(WSS_MODE_DIRECT, ALL, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 100), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_lost(s, 200), WSS_EREJECT);
    CHECK_DID(s, "");
    /* Nor is there a leader to answer: ready is refused too. */
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_NONE, 300), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_lost(s, 400), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_failed(s, 500), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_way(s), WSS_WAY_DIRECT);
    wss_session_free(s);
}

/* ---- deaths after the answer ------------------------------------------------ */

static void session_should_refuse_lost_before_the_leader_answered(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_lost(s, 100), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    /* Nor was it counted: the deadline still stands. */
    CHECK_EQ(wss_session_tick(s, 10000), WSS_OK);
    CHECK_DID(s, "START:2");
    /* The election before it runs. */
    CHECK_EQ(wss_session_lost(s, 10100), WSS_EREJECT);
    CHECK_DID(s, "");
    wss_session_free(s);

    /* And the restarted SharedWorker before it answers again. */
    s = started(WSS_MODE_AUTO, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 100), WSS_OK);
    CHECK_EQ(wss_session_lost(s, 200), WSS_OK);
    CHECK_DID(s, "LOST:1 START:1 TIMER:1000");
    CHECK_EQ(wss_session_lost(s, 300), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);
}

static void session_should_restart_the_sharedworker_after_its_first_death(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 1000), WSS_OK);
    CHECK_DID(s, "TIMER:off");
    CHECK_EQ(wss_session_lost(s, 5000), WSS_OK);
    /* Its successor has 1 s to answer, not 10: its script is known to load. */
    CHECK_DID(s, "LOST:1 START:1 TIMER:1000");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    /* The new deadline runs from the restart. */
    CHECK_EQ(wss_session_tick(s, 5999), WSS_OK);
    CHECK_DID(s, "TIMER:1");
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 5999), WSS_OK);
    CHECK_DID(s, "TIMER:off");
    CHECK_EQ(wss_session_tick(s, 6000), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);

    /* Failed after the answer is a death too. */
    s = started(WSS_MODE_SHAREDWORKER, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 1000), WSS_OK);
    CHECK_EQ(wss_session_failed(s, 2000), WSS_OK);
    CHECK_DID(s, "LOST:1 START:1 TIMER:1000");
    /* The restarted worker's deadline does not fail the forced mode at once:
     * it is tried again 50 ms later. */
    CHECK_EQ(wss_session_tick(s, 3000), WSS_OK);
    CHECK_DID(s, "TIMER:50");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);
}

/* Ready at `t`, dead at `t + 1000`: the second death comes `apart` ms after the first. */
static void two_deaths(wss_session *s, double apart)
{
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 0), WSS_OK);
    CHECK_EQ(wss_session_lost(s, 1000), WSS_OK);
    CHECK_DID(s, "LOST:1 START:1 TIMER:1000");
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 2000), WSS_OK);
    CHECK_DID(s, "TIMER:off");
    CHECK_EQ(wss_session_lost(s, 1000 + apart), WSS_OK);
}

static void session_should_leave_the_sharedworker_for_the_election_after_its_second_death_within_a_minute(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);

    REQUIRE(s != NULL);
    two_deaths(s, 59999);
    CHECK_DID(s, "LOST:1 START:2");
    CHECK_EQ(wss_session_way(s), WSS_WAY_ELECTION);
    wss_session_free(s);

    /* Without a Worker, for a socket of its own. */
    s = started(WSS_MODE_AUTO, NO_WORKER, 0);
    REQUIRE(s != NULL);
    two_deaths(s, 3000);
    CHECK_DID(s, "LOST:1 START:3");
    CHECK_EQ(wss_session_way(s), WSS_WAY_DIRECT);
    wss_session_free(s);
}

static void session_should_give_up_a_forced_sharedworker_after_its_second_death_within_a_minute(void)
{
    wss_session *s = started(WSS_MODE_SHAREDWORKER, ALL, 0);

    REQUIRE(s != NULL);
    two_deaths(s, 59999);
    CHECK_DID(s, "LOST:1 FAIL:3");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    check_all_calls_refused(__FILE__, __LINE__, s, WSS_EREJECT, 70000);
    wss_session_free(s);
}

static void session_should_restart_the_sharedworker_every_time_its_deaths_are_a_minute_apart(void)
{
    wss_session *s = started(WSS_MODE_SHAREDWORKER, ALL, 0);
    int i;

    REQUIRE(s != NULL);
    /* A minute to the millisecond is no longer within a minute. */
    two_deaths(s, 60000);
    CHECK_DID(s, "LOST:1 START:1 TIMER:1000");
    for (i = 2; i <= 20; i++) {
        double t = 1000 + 60000.0 * i;

        CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, t - 55000), WSS_OK);
        CHECK_EQ(wss_session_lost(s, t), WSS_OK);
        CHECK_DID(s, "LOST:1 START:1 TIMER:1000");
    }
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    /* Deaths far apart are forgotten: the next one within a minute is only
     * the second. */
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 1202000), WSS_OK);
    CHECK_EQ(wss_session_lost(s, 1230000), WSS_OK);
    CHECK_DID(s, "LOST:1 FAIL:3");
    wss_session_free(s);
}

static void session_should_queue_again_for_the_election_whenever_its_leader_worker_dies(void)
{
    wss_session *s = started(WSS_MODE_AUTO, NO_SW, 0);
    int i;

    REQUIRE(s != NULL);
    for (i = 0; i < 50; i++) {
        double t = 100.0 * i;

        CHECK_EQ(wss_session_ready(s, i % 2 ? WSS_WATCH_NONE : WSS_WATCH_LOCK, t), WSS_OK);
        CHECK_DID(s, "");
        CHECK_EQ(wss_session_lost(s, t + 50), WSS_OK);
        CHECK_DID(s, "LOST:2 START:2");
    }
    CHECK_EQ(wss_session_way(s), WSS_WAY_ELECTION);
    wss_session_free(s);

    /* Forced, and reached after the SharedWorker in 'auto', the same. */
    s = started(WSS_MODE_ELECTION, ALL, 0);
    REQUIRE(s != NULL);
    for (i = 0; i < 5; i++) {
        CHECK_EQ(wss_session_ready(s, WSS_WATCH_NONE, 10.0 * i), WSS_OK);
        CHECK_EQ(wss_session_failed(s, 10.0 * i + 5), WSS_OK);
        CHECK_DID(s, "LOST:2 START:2");
    }
    wss_session_free(s);

    s = started(WSS_MODE_AUTO, ALL, 0);
    REQUIRE(s != NULL);
    two_deaths(s, 2000);
    CHECK_DID(s, "LOST:1 START:2");
    for (i = 0; i < 5; i++) {
        CHECK_EQ(wss_session_ready(s, WSS_WATCH_NONE, 4000 + 10.0 * i), WSS_OK);
        CHECK_EQ(wss_session_lost(s, 4000 + 10.0 * i + 5), WSS_OK);
        CHECK_DID(s, "LOST:2 START:2");
    }
    wss_session_free(s);
}

/* ---- beats -------------------------------------------------------------------- */

static void session_should_check_a_beating_leader_every_beat(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_beat_ms(), 1000);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 500), WSS_OK);
    /* The check replaces the deadline. */
    CHECK_DID(s, "TIMER:1000");
    CHECK_EQ(wss_session_tick(s, 1000), WSS_OK);
    CHECK_DID(s, "TIMER:500");
    CHECK_EQ(wss_session_tick(s, 1500), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    /* Heard and visibility arm nothing. */
    CHECK_EQ(wss_session_heard(s, 1600), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_visibility(s, 0, 1700), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_tick(s, 2500), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    /* Watched by its lock instead: the checks stop. */
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 2600), WSS_OK);
    CHECK_DID(s, "TIMER:off");
    wss_session_free(s);
}

static void session_should_round_a_wait_up_so_that_the_timer_never_fires_early(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0.5);

    REQUIRE(s != NULL);
    CHECK_DID(s, "START:1 TIMER:10000");
    CHECK_EQ(wss_session_tick(s, 9999.75), WSS_OK);
    CHECK_DID(s, "TIMER:1");
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 10000.25), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    CHECK_EQ(wss_session_tick(s, 11000), WSS_OK);
    CHECK_DID(s, "TIMER:1");
    CHECK_EQ(wss_session_tick(s, 11000.25), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    wss_session_free(s);
}

static void session_should_keep_a_leader_that_beats(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);
    double t;

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    for (t = 1000; t <= 60000; t += 1000) {
        CHECK_EQ(wss_session_heard(s, t - 1), WSS_OK);
        CHECK_EQ(wss_session_tick(s, t), WSS_OK);
        CHECK_DID(s, "TIMER:1000");
    }
    /* Words 4 s apart, each 3.9 s before a check, are enough. */
    CHECK_EQ(wss_session_heard(s, 60100), WSS_OK);
    for (t = 61000; t <= 120000; t += 1000) {
        CHECK_EQ(wss_session_tick(s, t), WSS_OK);
        CHECK_DID(s, "TIMER:1000");
        if ((long)t % 4000 == 0)
            CHECK_EQ(wss_session_heard(s, t + 100), WSS_OK);
    }
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);
}

/* Ticks every beat from `from` on, while nothing is said, until `lost_at`:
 * each check before it only arms the next, the one at it is a death. */
static void check_silence(const char *file, int line, wss_session *s, double from, double lost_at,
                          const char *death)
{
    double t;

    for (t = from; t < lost_at; t += 1000) {
        if (wss_session_tick(s, t) != WSS_OK || strcmp(did(s), "TIMER:1000") != 0)
            check_fail(file, line, "at %.0f: did \"%s\"", t, did(s));
    }
    if (wss_session_tick(s, lost_at) != WSS_OK || strcmp(did(s), death) != 0)
        check_fail(file, line, "at %.0f: did \"%s\", not \"%s\"", lost_at, did(s), death);
}

static void session_should_judge_a_leader_silent_for_four_seconds_lost_while_visible(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    check_silence(__FILE__, __LINE__, s, 1000, 4000, "LOST:1 START:1 TIMER:1000");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);

    /* The last word counts: 3.5 s at one check is not enough, 4.5 s is. */
    s = started(WSS_MODE_AUTO, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    CHECK_EQ(wss_session_heard(s, 500), WSS_OK);
    check_silence(__FILE__, __LINE__, s, 1000, 5000, "LOST:1 START:1 TIMER:1000");
    wss_session_free(s);

    /* Exactly 4 s is enough. */
    s = started(WSS_MODE_AUTO, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    CHECK_EQ(wss_session_tick(s, 1000), WSS_OK);
    CHECK_EQ(wss_session_heard(s, 1000), WSS_OK);
    check_silence(__FILE__, __LINE__, s, 2000, 5000, "LOST:1 START:1 TIMER:1000");
    wss_session_free(s);

    /* The election's leader watched by its beats queues again. */
    s = started(WSS_MODE_ELECTION, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    check_silence(__FILE__, __LINE__, s, 1000, 4000, "LOST:2 START:2");
    wss_session_free(s);
}

static void session_should_give_a_hidden_page_six_seconds(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    CHECK_EQ(wss_session_visibility(s, 0, 500), WSS_OK);
    CHECK_DID(s, "");
    check_silence(__FILE__, __LINE__, s, 1000, 6000, "LOST:1 START:1 TIMER:1000");
    wss_session_free(s);

    /* Started hidden. */
    s = wss_session_new(WSS_MODE_AUTO, ALL);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 0, 0), WSS_OK);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    check_silence(__FILE__, __LINE__, s, 1000, 6000, "LOST:1 START:1 TIMER:1000");
    wss_session_free(s);

    /* Visible again: four seconds again. */
    s = wss_session_new(WSS_MODE_AUTO, ALL);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_start(s, 0, 0), WSS_OK);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    check_silence(__FILE__, __LINE__, s, 1000, 4000, "TIMER:1000");
    CHECK_EQ(wss_session_visibility(s, 1, 4500), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_tick(s, 5000), WSS_OK);
    CHECK_DID(s, "LOST:1 START:1 TIMER:1000");
    wss_session_free(s);
}

static void session_should_not_judge_silence_just_after_its_own_page_was_held_up(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    CHECK_EQ(wss_session_tick(s, 1000), WSS_OK);
    /* The page was throttled: the check comes 6 s late, 7 s after the last
     * word. It marks the silence suspect; the next check does not judge it
     * either; the one after does. */
    CHECK_EQ(wss_session_tick(s, 7000), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    CHECK_EQ(wss_session_tick(s, 8000), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    CHECK_EQ(wss_session_tick(s, 9000), WSS_OK);
    CHECK_DID(s, "LOST:1 START:1 TIMER:1000");
    wss_session_free(s);

    /* The leader's words that waited behind the late check keep it. */
    s = started(WSS_MODE_AUTO, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    CHECK_EQ(wss_session_tick(s, 1000), WSS_OK);
    CHECK_EQ(wss_session_tick(s, 7000), WSS_OK);
    CHECK_EQ(wss_session_heard(s, 7001), WSS_OK);
    check_silence(__FILE__, __LINE__, s, 8000, 12000, "LOST:1 START:1 TIMER:1000");
    wss_session_free(s);

    /* Held up again and again: never judged while it lasts. */
    s = started(WSS_MODE_AUTO, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    CHECK_EQ(wss_session_tick(s, 5000), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    CHECK_EQ(wss_session_tick(s, 10000), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    CHECK_EQ(wss_session_tick(s, 11000), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    CHECK_EQ(wss_session_tick(s, 12000), WSS_OK);
    CHECK_DID(s, "LOST:1 START:1 TIMER:1000");
    wss_session_free(s);

    /* A gap of exactly two beats is not a hold-up. */
    s = started(WSS_MODE_AUTO, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    CHECK_EQ(wss_session_tick(s, 1000), WSS_OK);
    CHECK_EQ(wss_session_tick(s, 2000), WSS_OK);
    CHECK_EQ(wss_session_tick(s, 4000), WSS_OK);
    CHECK_DID(s, "LOST:1 START:1 TIMER:1000");
    wss_session_free(s);
}

static void session_should_count_a_death_judged_from_silence_like_any_other(void)
{
    wss_session *s = started(WSS_MODE_SHAREDWORKER, ALL, 0);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 0), WSS_OK);
    check_silence(__FILE__, __LINE__, s, 1000, 4000, "LOST:1 START:1 TIMER:1000");
    /* The restarted worker answers; its beats are watched afresh. */
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 5000), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    check_silence(__FILE__, __LINE__, s, 6000, 9000, "LOST:1 FAIL:3");
    wss_session_free(s);
}

/* ---- a dead worker's successor tried again ------------------------------------ */

/* A SharedWorker session of `mode` on `caps`, started at 0, answered at 100,
 * dead at 1000: its successor was started at 1000, with 1 s to answer. */
static wss_session *dead_workers_successor(const char *file, int line, uint32_t mode, uint32_t caps)
{
    wss_session *s = started(mode, caps, 0);

    if (s == NULL) {
        check_fail(file, line, "no session");
        return NULL;
    }
    if (wss_session_ready(s, WSS_WATCH_LOCK, 100) != WSS_OK || wss_session_lost(s, 1000) != WSS_OK ||
        strcmp(did(s), "LOST:1 START:1 TIMER:1000") != 0)
        check_fail(file, line, "the death did \"%s\"", did(s));
    return s;
}

/* From a successor started at `t` with 1 s to answer, every try there is,
 * failing alternately at once and by the deadline: each waits 50 ms << try
 * and starts again with 2 s << try to answer. Returns when the last started. */
static double spend_the_tries(const char *file, int line, wss_session *s, double t)
{
    uint32_t i, deadline = 1000;
    char want[64];
    int rc;

    for (i = 0; i < 4; i++) {
        if (i % 2 == 0) {
            t += 10;
            rc = wss_session_failed(s, t);
        } else {
            t += deadline;
            rc = wss_session_tick(s, t);
        }
        snprintf(want, sizeof want, "TIMER:%u", 50u << i);
        if (rc != WSS_OK || strcmp(did(s), want) != 0)
            check_fail(file, line, "try %u failed at %.0f: did \"%s\", not \"%s\"", i + 1, t, did(s), want);
        t += 50u << i;
        deadline = 2000u << i;
        snprintf(want, sizeof want, "START:1 TIMER:%u", deadline);
        if (wss_session_tick(s, t) != WSS_OK || strcmp(did(s), want) != 0)
            check_fail(file, line, "try %u at %.0f: did \"%s\", not \"%s\"", i + 1, t, did(s), want);
        if (wss_session_way(s) != WSS_WAY_SHAREDWORKER)
            check_fail(file, line, "try %u left the SharedWorker", i + 1);
    }
    return t;
}

static void session_should_try_a_dead_workers_successor_again_when_it_fails_at_once(void)
{
    wss_session *s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_AUTO, ALL);

    REQUIRE(s != NULL);
    /* It fails at once (it may have met the dying worker still registered
     * under its name): no START now, a wait of 50 ms. */
    CHECK_EQ(wss_session_failed(s, 1010), WSS_OK);
    CHECK_DID(s, "TIMER:50");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    /* While it waits, nothing is reached that could be lost, words and the
     * page's visibility change nothing, and an early tick only arms the rest. */
    CHECK_EQ(wss_session_lost(s, 1020), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_heard(s, 1030), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_visibility(s, 0, 1040), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_tick(s, 1059), WSS_OK);
    CHECK_DID(s, "TIMER:1");
    CHECK_EQ(wss_session_tick(s, 1060), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:2000");
    /* Each try failing at once too: the waits double, and so do the deadlines. */
    CHECK_EQ(wss_session_failed(s, 1100), WSS_OK);
    CHECK_DID(s, "TIMER:100");
    CHECK_EQ(wss_session_tick(s, 1200), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:4000");
    CHECK_EQ(wss_session_failed(s, 1300), WSS_OK);
    CHECK_DID(s, "TIMER:200");
    CHECK_EQ(wss_session_tick(s, 1500), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:8000");
    CHECK_EQ(wss_session_failed(s, 1600), WSS_OK);
    CHECK_DID(s, "TIMER:400");
    /* A late tick starts it all the same. */
    CHECK_EQ(wss_session_tick(s, 2500), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:16000");
    /* The last try answers: it is kept. */
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 2600), WSS_OK);
    CHECK_DID(s, "TIMER:off");
    CHECK_EQ(wss_session_tick(s, 100000), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);

    /* A forced SharedWorker is tried again the same, and does not FAIL. */
    s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_SHAREDWORKER, NO_WORKER);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 1000), WSS_OK);
    CHECK_DID(s, "TIMER:50");
    CHECK_EQ(wss_session_tick(s, 1050), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:2000");
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 1100), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);
}

static void session_should_try_a_silent_successor_again_with_a_longer_deadline(void)
{
    wss_session *s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_AUTO, ALL);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_tick(s, 1999), WSS_OK);
    CHECK_DID(s, "TIMER:1");
    /* Its second of silence is up: tried again 50 ms later, with 2 s. */
    CHECK_EQ(wss_session_tick(s, 2000), WSS_OK);
    CHECK_DID(s, "TIMER:50");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    CHECK_EQ(wss_session_tick(s, 2050), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:2000");
    /* The deadline runs from the new start, not a moment early. */
    CHECK_EQ(wss_session_tick(s, 4049), WSS_OK);
    CHECK_DID(s, "TIMER:1");
    CHECK_EQ(wss_session_tick(s, 4050), WSS_OK);
    CHECK_DID(s, "TIMER:100");
    CHECK_EQ(wss_session_tick(s, 4150), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:4000");
    CHECK_EQ(wss_session_tick(s, 8150), WSS_OK);
    CHECK_DID(s, "TIMER:200");
    CHECK_EQ(wss_session_tick(s, 8350), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:8000");
    CHECK_EQ(wss_session_tick(s, 16350), WSS_OK);
    CHECK_DID(s, "TIMER:400");
    CHECK_EQ(wss_session_tick(s, 16750), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:16000");
    CHECK_EQ(wss_session_tick(s, 32749), WSS_OK);
    CHECK_DID(s, "TIMER:1");
    /* It answers in the last millisecond; its beats are watched from now. */
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 32749), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);
}

static void session_should_keep_a_successor_that_answers_while_it_waits_to_be_tried_again(void)
{
    wss_session *s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_AUTO, ALL);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_tick(s, 2000), WSS_OK);
    CHECK_DID(s, "TIMER:50");
    /* The silent one answers late, before its try: it is the leader now,
     * and no try follows to replace it. */
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 2010), WSS_OK);
    CHECK_DID(s, "TIMER:off");
    CHECK_EQ(wss_session_tick(s, 2050), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    /* And it can die: the second death within a minute. */
    CHECK_EQ(wss_session_lost(s, 3000), WSS_OK);
    CHECK_DID(s, "LOST:1 START:2");
    wss_session_free(s);

    /* Watched by its beats, only the checks are armed. */
    s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_SHAREDWORKER, ALL);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 1500), WSS_OK);
    CHECK_DID(s, "TIMER:50");
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 1520), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    CHECK_EQ(wss_session_tick(s, 2520), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    wss_session_free(s);
}

static void session_should_fall_back_after_the_successors_last_try(void)
{
    wss_session *s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_AUTO, ALL);
    double t;

    /* 'auto', the last try failing at once: the election. */
    REQUIRE(s != NULL);
    t = spend_the_tries(__FILE__, __LINE__, s, 1000);
    CHECK_EQ(wss_session_failed(s, t + 10), WSS_OK);
    CHECK_DID(s, "START:2 TIMER:off");
    CHECK_EQ(wss_session_way(s), WSS_WAY_ELECTION);
    CHECK_EQ(wss_session_tick(s, t + 100000), WSS_OK);
    CHECK_DID(s, "");
    wss_session_free(s);

    /* The last try silent to its deadline: the election. */
    s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_AUTO, ALL);
    REQUIRE(s != NULL);
    t = spend_the_tries(__FILE__, __LINE__, s, 1000);
    CHECK_EQ(wss_session_tick(s, t + 15999), WSS_OK);
    CHECK_DID(s, "TIMER:1");
    CHECK_EQ(wss_session_tick(s, t + 16000), WSS_OK);
    CHECK_DID(s, "START:2");
    CHECK_EQ(wss_session_way(s), WSS_WAY_ELECTION);
    wss_session_free(s);

    /* Without a Worker: a socket of its own. */
    s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_AUTO, NO_WORKER);
    REQUIRE(s != NULL);
    t = spend_the_tries(__FILE__, __LINE__, s, 1000);
    CHECK_EQ(wss_session_failed(s, t + 10), WSS_OK);
    CHECK_DID(s, "START:3 TIMER:off");
    CHECK_EQ(wss_session_way(s), WSS_WAY_DIRECT);
    wss_session_free(s);

    /* Forced: the SharedWorker could not start, both ways. */
    s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_SHAREDWORKER, ALL);
    REQUIRE(s != NULL);
    t = spend_the_tries(__FILE__, __LINE__, s, 1000);
    CHECK_EQ(wss_session_failed(s, t + 10), WSS_OK);
    CHECK_DID(s, "FAIL:1 TIMER:off");
    check_all_calls_refused(__FILE__, __LINE__, s, WSS_EREJECT, t + 20);
    wss_session_free(s);

    s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_SHAREDWORKER, ALL);
    REQUIRE(s != NULL);
    t = spend_the_tries(__FILE__, __LINE__, s, 1000);
    CHECK_EQ(wss_session_tick(s, t + 16000), WSS_OK);
    CHECK_DID(s, "FAIL:1");
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);
}

static void session_should_count_tries_from_zero_after_a_successor_answered(void)
{
    wss_session *s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_SHAREDWORKER, ALL);
    double t;

    REQUIRE(s != NULL);
    /* Two tries spent, then the successor answers. */
    CHECK_EQ(wss_session_failed(s, 1010), WSS_OK);
    CHECK_DID(s, "TIMER:50");
    CHECK_EQ(wss_session_tick(s, 1060), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:2000");
    CHECK_EQ(wss_session_failed(s, 1070), WSS_OK);
    CHECK_DID(s, "TIMER:100");
    CHECK_EQ(wss_session_tick(s, 1170), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:4000");
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 1200), WSS_OK);
    CHECK_DID(s, "TIMER:off");
    /* Its death, over a minute after the last, is a first one again: its
     * successor has 1 s, and all four tries from the first wait on. */
    CHECK_EQ(wss_session_lost(s, 70000), WSS_OK);
    CHECK_DID(s, "LOST:1 START:1 TIMER:1000");
    t = spend_the_tries(__FILE__, __LINE__, s, 70000);
    CHECK_EQ(wss_session_failed(s, t + 10), WSS_OK);
    CHECK_DID(s, "FAIL:1 TIMER:off");
    wss_session_free(s);

    /* After the last try answered too. */
    s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_AUTO, ALL);
    REQUIRE(s != NULL);
    t = spend_the_tries(__FILE__, __LINE__, s, 1000);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, t + 100), WSS_OK);
    CHECK_DID(s, "TIMER:1000");
    CHECK_EQ(wss_session_lost(s, t + 60000), WSS_OK);
    CHECK_DID(s, "LOST:1 START:1 TIMER:1000");
    CHECK_EQ(wss_session_tick(s, t + 61000), WSS_OK);
    CHECK_DID(s, "TIMER:50");
    CHECK_EQ(wss_session_tick(s, t + 61050), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:2000");
    wss_session_free(s);

    /* An answer ends the tries for good: after the second death within a
     * minute, the election's failure is no try of a successor. */
    s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_AUTO, ALL);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_LOCK, 1100), WSS_OK);
    CHECK_EQ(wss_session_lost(s, 2000), WSS_OK);
    CHECK_DID(s, "LOST:1 START:2");
    CHECK_EQ(wss_session_failed(s, 2100), WSS_OK);
    CHECK_DID(s, "START:3");
    CHECK_EQ(wss_session_way(s), WSS_WAY_DIRECT);
    wss_session_free(s);
}

static void session_should_never_retry_a_first_start(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);

    /* Failing at once, or silent to its deadline: the next way at once. */
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 10), WSS_OK);
    CHECK_DID(s, "START:2 TIMER:off");
    wss_session_free(s);
    s = started(WSS_MODE_AUTO, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_tick(s, 10000), WSS_OK);
    CHECK_DID(s, "START:2");
    wss_session_free(s);

    /* Forced: FAIL at once. */
    s = started(WSS_MODE_SHAREDWORKER, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 10), WSS_OK);
    CHECK_DID(s, "FAIL:1 TIMER:off");
    wss_session_free(s);
    s = started(WSS_MODE_SHAREDWORKER, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_tick(s, 10000), WSS_OK);
    CHECK_DID(s, "FAIL:1");
    wss_session_free(s);

    /* Nor a first start in a slot whose last session was trying a successor. */
    s = dead_workers_successor(__FILE__, __LINE__, WSS_MODE_SHAREDWORKER, ALL);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 1010), WSS_OK);
    CHECK_DID(s, "TIMER:50");
    CHECK_EQ(wss_session_tick(s, 1060), WSS_OK);
    CHECK_DID(s, "START:1 TIMER:2000");
    wss_session_free(s);
    s = started(WSS_MODE_SHAREDWORKER, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_DID(s, "START:1 TIMER:10000");
    CHECK_EQ(wss_session_failed(s, 10), WSS_OK);
    CHECK_DID(s, "FAIL:1 TIMER:off");
    wss_session_free(s);
}

static void session_should_refuse_ready_on_a_socket_of_its_own(void)
{
    static const int watches[] = {WSS_WATCH_NONE, WSS_WATCH_LOCK, WSS_WATCH_BEATS};
    wss_session *s;
    size_t i;

    for (i = 0; i < sizeof watches / sizeof watches[0]; i++) {
        s = started(WSS_MODE_DIRECT, ALL, 0);
        REQUIRE(s != NULL);
        CHECK_EQ(wss_session_ready(s, watches[i], 100), WSS_EREJECT);
        CHECK_DID(s, "");
        /* Nothing is watched: no checks are armed, silence loses nothing. */
        CHECK_EQ(wss_session_tick(s, 5000), WSS_OK);
        CHECK_DID(s, "");
        CHECK_EQ(wss_session_tick(s, 60000), WSS_OK);
        CHECK_DID(s, "");
        CHECK_EQ(wss_session_lost(s, 60001), WSS_EREJECT);
        CHECK_DID(s, "");
        CHECK_EQ(wss_session_way(s), WSS_WAY_DIRECT);
        wss_session_free(s);
    }

    /* Reached by 'auto' after the others failed: the same; the refusal
     * replaces the START's actions. */
    s = started(WSS_MODE_AUTO, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 10), WSS_OK);
    CHECK_DID(s, "START:2 TIMER:off");
    CHECK_EQ(wss_session_failed(s, 20), WSS_OK);
    CHECK_DID(s, "START:3");
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 30), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_tick(s, 10000), WSS_OK);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_way(s), WSS_WAY_DIRECT);
    wss_session_free(s);
}

/* ---- after FAIL, the pool, the way ------------------------------------------- */

static void session_should_refuse_every_call_after_a_failure_and_do_nothing(void)
{
    wss_session *s = started(WSS_MODE_SHAREDWORKER, ALL, 0);
    int i;

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_tick(s, 10000), WSS_OK);
    CHECK_DID(s, "FAIL:1");
    /* One by one: none repeats the FAIL or does anything else. */
    CHECK_EQ(wss_session_start(s, 1, 10001), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_ready(s, WSS_WATCH_BEATS, 10002), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_heard(s, 10003), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_failed(s, 10004), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_lost(s, 10005), WSS_EREJECT);
    CHECK_DID(s, "");
    CHECK_EQ(wss_session_visibility(s, 0, 10006), WSS_EREJECT);
    CHECK_DID(s, "");
    for (i = 0; i < 10; i++) {
        CHECK_EQ(wss_session_tick(s, 20000.0 + 10000 * i), WSS_EREJECT);
        CHECK_DID(s, "");
    }
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    wss_session_free(s);

    /* The same after the election failed. */
    s = started(WSS_MODE_ELECTION, ALL, 0);
    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_failed(s, 1), WSS_OK);
    CHECK_DID(s, "FAIL:2");
    CHECK_EQ(wss_session_start(s, 1, 2), WSS_EREJECT);
    CHECK_DID(s, "");
    check_all_calls_refused(__FILE__, __LINE__, s, WSS_EREJECT, 3);
    wss_session_free(s);
}

static void session_should_reuse_a_freed_slot_with_a_clean_state(void)
{
    wss_session *a = started(WSS_MODE_SHAREDWORKER, ALL, 0);
    wss_session *b;

    REQUIRE(a != NULL);
    /* One death on the books, hidden, a deadline armed. */
    CHECK_EQ(wss_session_ready(a, WSS_WATCH_LOCK, 100), WSS_OK);
    CHECK_EQ(wss_session_visibility(a, 0, 150), WSS_OK);
    CHECK_EQ(wss_session_lost(a, 200), WSS_OK);
    CHECK_DID(a, "LOST:1 START:1 TIMER:1000");
    wss_session_free(a);

    b = wss_session_new(WSS_MODE_AUTO, NO_SW);
    REQUIRE(b != NULL);
    CHECK(b == a);
    CHECK_EQ(wss_session_way(b), 0);
    CHECK_DID(b, "");
    CHECK_EQ(wss_session_ready(b, WSS_WATCH_LOCK, 300), WSS_EREJECT);
    /* Its own mode and caps; no deadline of the old one to disarm. */
    CHECK_EQ(wss_session_start(b, 1, 300), WSS_OK);
    CHECK_DID(b, "START:2");
    wss_session_free(b);

    /* No death of the old one counts against the new one, nor its failure. */
    a = started(WSS_MODE_SHAREDWORKER, ALL, 0);
    REQUIRE(a != NULL);
    CHECK_EQ(wss_session_tick(a, 10000), WSS_OK);
    CHECK_DID(a, "FAIL:1");
    wss_session_free(a);
    a = started(WSS_MODE_SHAREDWORKER, ALL, 0);
    REQUIRE(a != NULL);
    CHECK_EQ(wss_session_ready(a, WSS_WATCH_LOCK, 100), WSS_OK);
    CHECK_EQ(wss_session_lost(a, 200), WSS_OK);
    CHECK_DID(a, "LOST:1 START:1 TIMER:1000");
    wss_session_free(a);
    b = wss_session_new(WSS_MODE_SHAREDWORKER, ALL);
    REQUIRE(b != NULL);
    CHECK(b == a);
    CHECK_EQ(wss_session_start(b, 1, 300), WSS_OK);
    CHECK_EQ(wss_session_ready(b, WSS_WATCH_BEATS, 400), WSS_OK);
    CHECK_EQ(wss_session_lost(b, 500), WSS_OK);
    CHECK_DID(b, "LOST:1 START:1 TIMER:1000");
    /* Visible, as started: four seconds of silence. */
    CHECK_EQ(wss_session_ready(b, WSS_WATCH_BEATS, 600), WSS_OK);
    check_silence(__FILE__, __LINE__, b, 1600, 4600, "LOST:1 FAIL:3");
    wss_session_free(b);
}

static void session_should_hold_256_sessions_at_once_and_no_more(void)
{
    static wss_session *live[POOL];
    wss_session *extra;
    uint32_t i, j;
    int distinct = 1;

    memset(live, 0, sizeof live);
    for (i = 0; i < POOL; i++) {
        live[i] = wss_session_new(WSS_MODE_AUTO, i % 2 ? ALL : NO_SW);
        if (live[i] == NULL) {
            check_fail(__FILE__, __LINE__, "session %u of %d was refused", i + 1, POOL);
            break;
        }
    }
    if (i == POOL) {
        CHECK(wss_session_new(WSS_MODE_AUTO, ALL) == NULL);
        CHECK(wss_session_new(WSS_MODE_DIRECT, 0) == NULL);
        for (i = 0; i < POOL; i++)
            for (j = i + 1; j < POOL; j++)
                distinct &= live[i] != live[j];
        CHECK(distinct);
        /* Each is a session of its own. */
        for (i = 0; i < POOL; i++)
            CHECK_EQ(wss_session_start(live[i], 1, i), WSS_OK);
        for (i = 0; i < POOL; i++)
            CHECK_EQ(wss_session_way(live[i]), i % 2 ? WSS_WAY_SHAREDWORKER : WSS_WAY_ELECTION);
        CHECK_EQ(wss_session_failed(live[1], 1000), WSS_OK);
        CHECK_EQ(wss_session_way(live[1]), WSS_WAY_ELECTION);
        CHECK_EQ(wss_session_way(live[3]), WSS_WAY_SHAREDWORKER);
        /* Freeing one makes room for one. */
        wss_session_free(live[100]);
        extra = wss_session_new(WSS_MODE_DIRECT, 0);
        CHECK(extra == live[100]);
        live[100] = extra;
        CHECK(wss_session_new(WSS_MODE_AUTO, ALL) == NULL);
        CHECK_EQ(wss_session_way(live[100]), 0);
        CHECK_EQ(wss_session_way(live[101]), WSS_WAY_SHAREDWORKER);
    }
    for (i = 0; i < POOL; i++)
        wss_session_free(live[i]);
    /* All of them back. */
    for (i = 0; i < POOL; i++) {
        live[i] = wss_session_new(WSS_MODE_DIRECT, 0);
        CHECK(live[i] != NULL);
    }
    for (i = 0; i < POOL; i++)
        wss_session_free(live[i]);
}

static void session_should_report_the_way_taken(void)
{
    wss_session *s = wss_session_new(WSS_MODE_AUTO, ALL);

    REQUIRE(s != NULL);
    CHECK_EQ(wss_session_way(s), 0);
    CHECK_EQ(wss_session_start(s, 1, 0), WSS_OK);
    CHECK_EQ(wss_session_way(s), WSS_WAY_SHAREDWORKER);
    CHECK_EQ(wss_session_tick(s, 10000), WSS_OK);
    CHECK_EQ(wss_session_way(s), WSS_WAY_ELECTION);
    CHECK_EQ(wss_session_failed(s, 10001), WSS_OK);
    CHECK_EQ(wss_session_way(s), WSS_WAY_DIRECT);
    wss_session_free(s);
    CHECK_EQ(wss_session_way(s), 0);
}

static void session_should_answer_null_and_freed_sessions_with_einval(void)
{
    wss_session *s = started(WSS_MODE_AUTO, ALL, 0);
    uint32_t n = 99;

    REQUIRE(s != NULL);
    wss_session_free(s);
    check_all_calls_refused(__FILE__, __LINE__, NULL, WSS_EINVAL, 1);
    check_all_calls_refused(__FILE__, __LINE__, s, WSS_EINVAL, 1);
    CHECK(wss_session_actions(NULL, &n) == NULL);
    CHECK_EQ(n, 0);
    n = 99;
    CHECK(wss_session_actions(s, &n) == NULL);
    CHECK_EQ(n, 0);
    CHECK_EQ(wss_session_way(NULL), 0);
    CHECK_EQ(wss_session_way(s), 0);
    wss_session_free(NULL);
}

/* ---- seeded random runs -------------------------------------------------------- */

#define RANDOM_SEEDS 200
#define RANDOM_STEPS 300

/* What the host knows of a session, from its actions alone. */
typedef struct model {
    uint32_t mode, caps;
    uint32_t way;
    int failed;
    int ready;       /* ready was taken since the last START */
    int watch;
    double started;  /* the last START of a SharedWorker */
    double deadline; /* the time it was given to answer */
    double death;    /* the last LOST of a SharedWorker; -1: none */
    int restarting;  /* that START followed a death, or was a try of its successor */
    uint32_t tries;  /* of that successor, so far */
    double retry_at; /* when the successor is tried again; 0: not waiting */
    int armed;       /* a timer is armed */
    uint32_t host;   /* where the HOSTs say this tab runs its leader */
    int opened;      /* the tab's socket opened: a way's error is the app's */
    double due;
    long starts, losts, silences, fails, timers, escalations, ready_timeouts;
    long restarts, retries, retry_starts, retries_exhausted, direct_readies;
    long hosts, page_hosts, errors;
} model;

static int page_can(uint32_t caps, uint32_t way)
{
    switch (way) {
    case WSS_WAY_SHAREDWORKER:
        return (caps & NO_WORKER) == NO_WORKER;
    case WSS_WAY_ELECTION:
        return (caps & NO_SW) == NO_SW;
    case WSS_WAY_DIRECT:
        return 1;
    default:
        return 0;
    }
}

/* The way a forced mode takes; 0 for 'auto'. */
static uint32_t forced_way(uint32_t mode)
{
    return mode == WSS_MODE_AUTO ? 0 : mode - 1;
}

/* Whether a failure of the waiting SharedWorker now (failed, or its deadline)
 * must be a try again rather than a fall-back. */
static int model_retries(const model *m)
{
    return !m->failed && m->way == WSS_WAY_SHAREDWORKER && !m->ready && m->restarting &&
           m->tries < 4;
}

/* Checks the last call (answering `rc`, `expect` being right) against every
 * promise and updates the model. `deadline_passed`: a tick after the
 * SharedWorker's deadline, which must leave it or try it again; `retry`: a
 * failure that must be a try again; `retry_due`: a tick at or after the
 * time of the next try. */
static void check_step(model *m, const wss_session *s, int rc, int expect, double now,
                       int is_tick, int deadline_passed, int retry, int retry_due, uint32_t seed,
                       int step)
{
    uint32_t i, n = 99;
    const wss_action *a = wss_session_actions(s, &n);
    int was_failed = m->failed;
    int moved = 0;
    int timer_seen = 0;

#define STEP_FAIL(...) \
    do { \
        check_fail(__FILE__, __LINE__, __VA_ARGS__); \
        fprintf(stderr, "    seed %u step %d mode %u caps %u: did \"%s\"\n", seed, step, m->mode, \
                m->caps, did(s)); \
        return; \
    } while (0)

    if (n > 4)
        STEP_FAIL("%u actions", n);
    if (rc != expect)
        STEP_FAIL("answered %d, not %d", rc, expect);
    if (rc != WSS_OK && n != 0)
        STEP_FAIL("a refusal with %u actions", n);
    if (was_failed && n != 0)
        STEP_FAIL("actions after FAIL");
    if (retry) {
        /* No START now: a wait of 50 ms << tries, the next try's time. */
        uint32_t wait = 50u << m->tries;

        if (n != 1 || a[0].kind != WSS_ACT_SESSION_TIMER || a[0].a != wait)
            STEP_FAIL("try %u of the successor: expected TIMER:%u", m->tries + 1, wait);
        m->tries++;
        m->retry_at = now + wait;
        m->retries++;
        moved = 1;
    } else if (retry_due && (n < 1 || a[0].kind != WSS_ACT_SESSION_START ||
                             a[0].a != WSS_WAY_SHAREDWORKER)) {
        STEP_FAIL("try %u of the successor did not start", m->tries);
    }
    for (i = 0; i < n; i++) {
        const wss_action *x = &a[i];

        switch (x->kind) {
        case WSS_ACT_SESSION_START: {
            int after_death = i > 0 && a[i - 1].kind == WSS_ACT_SESSION_LOST;

            if (m->failed)
                STEP_FAIL("START after FAIL");
            if (!page_can(m->caps, x->a))
                STEP_FAIL("START:%u on caps %u", x->a, m->caps);
            if (forced_way(m->mode) != 0 && x->a != forced_way(m->mode))
                STEP_FAIL("START:%u in mode %u", x->a, m->mode);
            if (x->a < m->way)
                STEP_FAIL("back from way %u to %u", m->way, x->a);
            if (m->ready && !after_death)
                STEP_FAIL("START:%u replaced a leader that answered", x->a);
            if (x->a == WSS_WAY_SHAREDWORKER) {
                /* The first start has 10 s; a dead worker's successor 1 s;
                 * its tries 2, 4, 8, 16 s. */
                double deadline = after_death ? 1000 : retry_due ? 1000.0 * (1u << m->tries) : 10000;

                if (!after_death && !retry_due && m->way != 0)
                    STEP_FAIL("the SharedWorker started again, neither after a death nor as a try");
                if (i + 1 >= n || a[i + 1].kind != WSS_ACT_SESSION_TIMER ||
                    a[i + 1].a != (uint32_t)deadline)
                    STEP_FAIL("a SharedWorker started without its deadline of %.0f ms", deadline);
                m->started = now;
                m->deadline = deadline;
                if (after_death) {
                    m->restarting = 1;
                    m->tries = 0;
                    m->restarts++;
                } else if (retry_due) {
                    m->retry_starts++;
                }
            } else {
                if (m->restarting && m->way == WSS_WAY_SHAREDWORKER && !after_death) {
                    if (m->tries != 4)
                        STEP_FAIL("the successor fell back after %u tries", m->tries);
                    m->retries_exhausted++;
                }
                m->restarting = 0;
            }
            if (x->a > m->way && m->way != 0)
                m->escalations++;
            /* A new way leaves everything of the last, its leader's host too. */
            m->host = WSS_HOST_NONE;
            m->way = x->a;
            m->ready = 0;
            m->retry_at = 0;
            m->starts++;
            moved = 1;
            break;
        }
        case WSS_ACT_SESSION_LOST:
            if (m->failed || x->a != m->way || !m->ready || m->way == WSS_WAY_DIRECT)
                STEP_FAIL("LOST:%u on way %u, ready %d", x->a, m->way, m->ready);
            if (i + 1 >= n ||
                (a[i + 1].kind != WSS_ACT_SESSION_START && a[i + 1].kind != WSS_ACT_SESSION_FAIL))
                STEP_FAIL("LOST followed by neither START nor FAIL");
            if (x->a == WSS_WAY_SHAREDWORKER) {
                /* A second death within a minute leaves the way; else a restart. */
                int second = m->death >= 0 && now - m->death < 60000;
                int restart = a[i + 1].kind == WSS_ACT_SESSION_START &&
                              a[i + 1].a == WSS_WAY_SHAREDWORKER;

                if (second == restart)
                    STEP_FAIL("a death %.0f ms after the last one (%s)", now - m->death,
                              second ? "restarted" : "escalated");
                m->death = now;
            } else if (a[i + 1].kind != WSS_ACT_SESSION_START || a[i + 1].a != WSS_WAY_ELECTION) {
                STEP_FAIL("the election's leader died and the tab did not queue again");
            }
            m->losts++;
            m->silences += is_tick;
            break;
        case WSS_ACT_SESSION_FAIL: {
            uint32_t why = i > 0 && a[i - 1].kind == WSS_ACT_SESSION_LOST ? 3u
                           : m->way == WSS_WAY_SHAREDWORKER               ? 1u
                                                                          : 2u;

            /* 'auto' always has a socket of its own left. */
            if (m->failed || m->mode == WSS_MODE_AUTO)
                STEP_FAIL("FAIL with a way left");
            if (x->a != why || x->text == NULL || strcmp(x->text, reasons[why]) != 0 ||
                x->len != (uint32_t)strlen(reasons[why]))
                STEP_FAIL("FAIL:%u, expected %u", x->a, why);
            if (why == 1 && m->restarting) {
                if (m->tries != 4)
                    STEP_FAIL("the successor failed after %u tries", m->tries);
                m->retries_exhausted++;
            }
            m->failed = 1;
            m->restarting = 0;
            m->retry_at = 0;
            m->fails++;
            moved = 1;
            break;
        }
        case WSS_ACT_SESSION_HOST:
            /* A Worker when elected (the standby, if any), the page when it
             * was refused, nowhere when the term ends or the page failed
             * too, a standby Worker where Web Locks elect and this tab does
             * not lead; only in the election, each said once. */
            if (m->failed || m->way != WSS_WAY_ELECTION || x->a == m->host ||
                (x->a == WSS_HOST_WORKER && m->host != WSS_HOST_NONE && m->host != WSS_HOST_STANDBY) ||
                (x->a == WSS_HOST_PAGE && m->host != WSS_HOST_WORKER) ||
                (x->a == WSS_HOST_STANDBY && !(m->caps & WSS_CAN_LOCKS)) || x->a > WSS_HOST_STANDBY)
                STEP_FAIL("HOST:%u after host %u on way %u", x->a, m->host, m->way);
            m->host = x->a;
            m->hosts++;
            m->page_hosts += x->a == WSS_HOST_PAGE;
            break;
        case WSS_ACT_SESSION_ERROR:
            if (m->failed || !m->opened || x->a != m->way || m->way == WSS_WAY_DIRECT)
                STEP_FAIL("ERROR:%u on way %u, opened %d", x->a, m->way, m->opened);
            m->errors++;
            break;
        case WSS_ACT_SESSION_TIMER:
            if (i + 1 != n)
                STEP_FAIL("TIMER is not the last action");
            if (x->a != UINT32_MAX && x->a > 16000)
                STEP_FAIL("TIMER:%u", x->a);
            if (m->failed && x->a != UINT32_MAX)
                STEP_FAIL("a timer armed after FAIL");
            m->armed = x->a != UINT32_MAX;
            m->due = now + x->a;
            timer_seen = 1;
            m->timers++;
            break;
        default:
            STEP_FAIL("unknown action %u", x->kind);
        }
    }
    /* A tick is the armed timer firing: it is gone unless armed again. */
    if (is_tick && !timer_seen)
        m->armed = 0;
    if (wss_session_way(s) != m->way)
        STEP_FAIL("way %u, the STARTs said %u", wss_session_way(s), m->way);
    /* Where Web Locks elect, a tab that does not lead keeps a standby. */
    if (!m->failed && m->way == WSS_WAY_ELECTION && (m->caps & WSS_CAN_LOCKS) && m->host == WSS_HOST_NONE)
        STEP_FAIL("an election by Web Locks, and no standby Worker");
    if ((deadline_passed || retry_due) && !moved)
        STEP_FAIL("the SharedWorker's deadline or next try passed and nothing happened");
    if (deadline_passed)
        m->ready_timeouts++;
    /* A session waiting for an answer or a try, or watching beats, has a
     * timer armed, due no later than the deadline or the try; one that waits
     * for nothing has none. */
    {
        int sw_waits = !m->failed && m->way == WSS_WAY_SHAREDWORKER && !m->ready;
        int beats = !m->failed && m->ready && m->watch == WSS_WATCH_BEATS;

        if ((sw_waits || beats) != m->armed)
            STEP_FAIL("timer armed %d, waiting %d, beats %d", m->armed, sw_waits, beats);
        if (sw_waits && m->retry_at > 0 && m->due > m->retry_at + 1)
            STEP_FAIL("the try slipped to %.1f (due %.1f)", m->due, m->retry_at);
        if (sw_waits && m->retry_at == 0 && m->due > m->started + m->deadline + 1)
            STEP_FAIL("the deadline slipped to %.1f (started %.1f)", m->due, m->started);
    }
#undef STEP_FAIL
}

static void add_totals(model *totals, const model *m)
{
    totals->starts += m->starts;
    totals->losts += m->losts;
    totals->silences += m->silences;
    totals->fails += m->fails;
    totals->timers += m->timers;
    totals->escalations += m->escalations;
    totals->ready_timeouts += m->ready_timeouts;
    totals->restarts += m->restarts;
    totals->retries += m->retries;
    totals->retry_starts += m->retry_starts;
    totals->retries_exhausted += m->retries_exhausted;
    totals->direct_readies += m->direct_readies;
    totals->hosts += m->hosts;
    totals->page_hosts += m->page_hosts;
    totals->errors += m->errors;
}

/* A new session of a random mode, on a page offering random caps (mostly
 * everything, so that every way gets its turn), started at `now`; NULL when
 * the page cannot run the mode, which start must refuse. */
static wss_session *random_session(model *m, uint32_t *rng, double now, uint32_t seed)
{
    wss_session *s;
    int rc;

    memset(m, 0, sizeof *m);
    m->mode = 1 + prng_below(rng, 4);
    m->caps = (prng_below(rng, 3) == 0 ? prng_below(rng, 8) : (uint32_t)ALL) |
              (prng_below(rng, 2) ? (uint32_t)WSS_CAN_LOCKS : 0);
    m->death = -1;
    s = wss_session_new(m->mode, m->caps);
    if (s == NULL) {
        check_fail(__FILE__, __LINE__, "no session for seed %u", seed);
        return NULL;
    }
    rc = wss_session_start(s, (int)prng_below(rng, 2), now);
    if (forced_way(m->mode) != 0 && !page_can(m->caps, forced_way(m->mode))) {
        CHECK_EQ(rc, WSS_EREJECT);
        CHECK_DID(s, "");
        CHECK_EQ(wss_session_way(s), 0);
        wss_session_free(s);
        return NULL;
    }
    check_step(m, s, rc, WSS_OK, now, 0, 0, 0, 0, seed, -1);
    return s;
}

static void session_should_keep_every_promise_over_seeded_random_events(void)
{
    model totals;
    uint32_t seed;

    memset(&totals, 0, sizeof totals);
    for (seed = 1; seed <= RANDOM_SEEDS && !test_failed(); seed++) {
        uint32_t rng = seed * 2654435761u;
        model m;
        wss_session *s = NULL;
        double now = prng_below(&rng, 100000);
        int rc, step, settled = 0;
        int quiet = seed % 2 == 0;
        int stubborn = seed % 3 == 0;

        memset(&m, 0, sizeof m);
        for (step = 0; step < RANDOM_STEPS && !test_failed(); step++) {
            uint32_t pick = prng_below(&rng, 100);
            uint32_t jump = prng_below(&rng, 10);
            int expect;
            int deadline_passed = 0;
            int retry = 0;
            int retry_due = 0;
            int is_tick = 0;

            /* The clock: still, a little, a beat or so, or a long while. */
            now += jump < 3 ? 0 : jump < 7 ? prng_below(&rng, 300) : jump < 9 ? prng_below(&rng, 2500)
                                                                                : prng_below(&rng, 15000);
            /* A session with nowhere left to go is soon replaced by a new one
             * (which may take the slot it leaves). */
            settled = m.failed || (s != NULL && m.way == WSS_WAY_DIRECT) ? settled + 1 : 0;
            if (s == NULL || settled > 20) {
                if (s != NULL) {
                    wss_session_free(s);
                    add_totals(&totals, &m);
                }
                s = random_session(&m, &rng, now, seed);
                settled = 0;
                continue;
            }
            /* Half the seeds hear their leader seldom: silences get judged. */
            if (quiet && pick >= 20 && pick < 40 && prng_below(&rng, 5) != 0)
                pick = 60;
            /* A leader answers once per start, mostly. */
            if (m.ready && pick < 20 && prng_below(&rng, 4) != 0)
                pick = 60;
            /* A third of the seeds have successors that seldom answer: their
             * tries get spent. */
            if (stubborn && m.restarting && !m.ready && pick < 20 && prng_below(&rng, 5) != 0)
                pick = prng_below(&rng, 3) == 0 ? 52 : 60;
            expect = m.failed ? WSS_EREJECT : WSS_OK;
            if (pick < 20) {
                /* The leader answers; a socket of the tab's own has none to. */
                m.watch = (int)prng_below(&rng, 3);
                if (!m.failed && m.way == WSS_WAY_DIRECT) {
                    expect = WSS_EREJECT;
                    m.direct_readies++;
                }
                rc = wss_session_ready(s, m.watch, now);
                if (rc == WSS_OK) {
                    m.ready = 1;
                    m.restarting = 0;
                    m.retry_at = 0;
                }
            } else if (pick < 40) {
                rc = wss_session_heard(s, now);
            } else if (pick < 52) {
                if (!m.failed && (!m.ready || m.way == WSS_WAY_DIRECT))
                    expect = WSS_EREJECT;
                rc = wss_session_lost(s, now);
            } else if (pick < 56) {
                if (!m.failed && m.way == WSS_WAY_DIRECT)
                    expect = WSS_EREJECT;
                retry = model_retries(&m);
                rc = wss_session_failed(s, now);
            } else if (pick < 86) {
                /* Mostly the armed timer firing, when it is due (or late). */
                if (m.armed && pick < 81 && now < m.due)
                    now = m.due + (prng_below(&rng, 4) == 0 ? prng_below(&rng, 3000) : 0);
                deadline_passed = !m.failed && m.way == WSS_WAY_SHAREDWORKER && !m.ready &&
                                  m.retry_at == 0 && now >= m.started + m.deadline;
                retry = deadline_passed && model_retries(&m);
                retry_due = !m.failed && m.retry_at > 0 && now >= m.retry_at;
                is_tick = 1;
                rc = wss_session_tick(s, now);
            } else if (pick < 90) {
                rc = wss_session_visibility(s, (int)prng_below(&rng, 2), now);
            } else if (pick < 96) {
                /* The election's news, the leader's host, the socket's open. */
                switch (prng_below(&rng, 4)) {
                case 0:
                    if (!m.failed && m.way != WSS_WAY_ELECTION)
                        expect = WSS_EREJECT;
                    rc = wss_session_elected(s, prng_below(&rng, 3) != 0, now);
                    break;
                case 1:
                    if (!m.failed && m.host != WSS_HOST_WORKER && m.host != WSS_HOST_PAGE)
                        expect = WSS_EREJECT;
                    rc = wss_session_host_failed(s, now);
                    break;
                case 2:
                    rc = wss_session_opened(s, now);
                    if (rc == WSS_OK)
                        m.opened = 1;
                    break;
                default:
                    if (!m.failed && m.way == WSS_WAY_DIRECT)
                        expect = WSS_EREJECT;
                    retry = !m.opened && model_retries(&m);
                    rc = wss_session_way_error(s, now);
                    break;
                }
            } else {
                expect = WSS_EREJECT;
                rc = wss_session_start(s, 1, now);
            }
            check_step(&m, s, rc, expect, now, is_tick, deadline_passed, retry, retry_due, seed, step);
        }
        if (s != NULL) {
            wss_session_free(s);
            add_totals(&totals, &m);
        }
    }
    /* The runs went everywhere worth going. */
    CHECK(totals.losts > 1400);
    CHECK(totals.silences > 70);
    CHECK(totals.fails > 270);
    CHECK(totals.escalations > 260);
    CHECK(totals.ready_timeouts > 320);
    CHECK(totals.timers > 3100);
    /* Dead workers' successors were started, tried again, and ran out of tries. */
    CHECK(totals.restarts > 100);
    CHECK(totals.retries > 180);
    CHECK(totals.retry_starts > 120);
    CHECK(totals.retries_exhausted > 20);
    CHECK(totals.direct_readies > 1500);
    /* Elected tabs ran leaders, on their pages too, and ways' errors reached apps. */
    CHECK(totals.hosts > 100);
    CHECK(totals.page_hosts > 20);
    CHECK(totals.errors > 20);
}

const test_case session_tests[] = {
    TEST_CASE(session_should_start_with_a_sharedworker_and_arm_its_ready_deadline_when_the_page_offers_everything),
    TEST_CASE(session_should_start_with_the_election_when_the_page_has_no_sharedworker),
    TEST_CASE(session_should_run_an_elected_leader_in_a_worker_then_on_the_page_then_give_the_way_up),
    TEST_CASE(session_should_queue_again_when_the_host_of_a_leader_that_answered_fails),
    TEST_CASE(session_should_take_the_next_way_on_a_way_error_before_the_socket_opened_and_tell_the_app_after),
    TEST_CASE(session_should_watch_by_the_lock_only_with_web_locks_and_a_named_one),
    TEST_CASE(session_should_start_with_a_socket_of_its_own_when_the_page_has_no_bus),
    TEST_CASE(session_should_take_a_forced_way_even_where_auto_would_take_another),
    TEST_CASE(session_should_refuse_a_forced_mode_the_page_cannot_run),
    TEST_CASE(session_should_refuse_a_second_start_and_do_nothing_again),
    TEST_CASE(session_should_refuse_a_bad_mode),
    TEST_CASE(session_should_refuse_every_call_before_start),
    TEST_CASE(session_should_leave_a_sharedworker_that_never_answers_for_the_election),
    TEST_CASE(session_should_leave_a_sharedworker_that_never_answers_for_a_socket_without_a_worker),
    TEST_CASE(session_should_keep_a_sharedworker_that_answered_in_time),
    TEST_CASE(session_should_fail_a_forced_sharedworker_that_never_answers),
    TEST_CASE(session_should_fall_back_from_sharedworker_to_election_to_a_socket_as_each_fails_before_answering),
    TEST_CASE(session_should_fail_a_forced_way_that_cannot_start),
    TEST_CASE(session_should_refuse_failed_and_lost_on_a_socket_of_its_own),
    TEST_CASE(session_should_refuse_lost_before_the_leader_answered),
    TEST_CASE(session_should_restart_the_sharedworker_after_its_first_death),
    TEST_CASE(session_should_leave_the_sharedworker_for_the_election_after_its_second_death_within_a_minute),
    TEST_CASE(session_should_give_up_a_forced_sharedworker_after_its_second_death_within_a_minute),
    TEST_CASE(session_should_restart_the_sharedworker_every_time_its_deaths_are_a_minute_apart),
    TEST_CASE(session_should_queue_again_for_the_election_whenever_its_leader_worker_dies),
    TEST_CASE(session_should_check_a_beating_leader_every_beat),
    TEST_CASE(session_should_round_a_wait_up_so_that_the_timer_never_fires_early),
    TEST_CASE(session_should_keep_a_leader_that_beats),
    TEST_CASE(session_should_judge_a_leader_silent_for_four_seconds_lost_while_visible),
    TEST_CASE(session_should_give_a_hidden_page_six_seconds),
    TEST_CASE(session_should_not_judge_silence_just_after_its_own_page_was_held_up),
    TEST_CASE(session_should_count_a_death_judged_from_silence_like_any_other),
    TEST_CASE(session_should_try_a_dead_workers_successor_again_when_it_fails_at_once),
    TEST_CASE(session_should_try_a_silent_successor_again_with_a_longer_deadline),
    TEST_CASE(session_should_keep_a_successor_that_answers_while_it_waits_to_be_tried_again),
    TEST_CASE(session_should_fall_back_after_the_successors_last_try),
    TEST_CASE(session_should_count_tries_from_zero_after_a_successor_answered),
    TEST_CASE(session_should_never_retry_a_first_start),
    TEST_CASE(session_should_refuse_ready_on_a_socket_of_its_own),
    TEST_CASE(session_should_refuse_every_call_after_a_failure_and_do_nothing),
    TEST_CASE(session_should_reuse_a_freed_slot_with_a_clean_state),
    TEST_CASE(session_should_hold_256_sessions_at_once_and_no_more),
    TEST_CASE(session_should_report_the_way_taken),
    TEST_CASE(session_should_answer_null_and_freed_sessions_with_einval),
    TEST_CASE(session_should_keep_every_promise_over_seeded_random_events),
    TEST_END,
};
