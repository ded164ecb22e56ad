/*
 * The tab's session, on the page's side of the bus: which way the tab reaches
 * a leader (a SharedWorker, the election, or a socket of its own), whether
 * the leader it reached still lives, and what the tab does when it does not.
 * It allocates nothing and needs no cJSON: the same C runs natively in the
 * tests and, compiled to JavaScript, in every page.
 */
#include <string.h>

#include "wsshare.h"

/* Compile-time limits and timings; override with -D. */
#ifndef WSS_SESSION_MAX
#define WSS_SESSION_MAX 256 /* live sessions of one page, as browsers cap sockets */
#endif
#ifndef WSS_SESSION_READY_MS
#define WSS_SESSION_READY_MS 10000 /* a leader that has not answered by then failed */
#endif
#ifndef WSS_SESSION_BEAT_MS
#define WSS_SESSION_BEAT_MS 1000 /* the leader's beats, and how often silence is judged */
#endif
#ifndef WSS_SESSION_SILENCE_MS
#define WSS_SESSION_SILENCE_MS 4000 /* no word for this long: the leader is gone */
#endif
#ifndef WSS_SESSION_HIDDEN_GRACE_MS
#define WSS_SESSION_HIDDEN_GRACE_MS 2000 /* hidden pages judge later */
#endif
#ifndef WSS_SESSION_DEATH_WINDOW_MS
#define WSS_SESSION_DEATH_WINDOW_MS 60000
#endif
#ifndef WSS_SESSION_MAX_DEATHS
#define WSS_SESSION_MAX_DEATHS 2 /* deaths within the window after which the way is left */
#endif

#ifndef WSS_SESSION_RESTART_TRIES
#define WSS_SESSION_RESTART_TRIES 4 /* a dead worker's successor that fails at once is tried again */
#endif
#ifndef WSS_SESSION_RESTART_RETRY_MS
#define WSS_SESSION_RESTART_RETRY_MS 50 /* the first wait before trying again, doubled each time */
#endif
#ifndef WSS_SESSION_RESTART_READY_MS
#define WSS_SESSION_RESTART_READY_MS 1000 /* the successor's first deadline, doubled each try */
#endif

#define SESSION_ACTIONS 4 /* the most one call produces: LOST, START, TIMER, and a spare */
#define NO_TIMER 4294967295u

struct wss_session {
    int used;
    uint32_t mode;         /* enum wss_session_mode, as asked for */
    uint32_t caps;         /* WSS_CAN_* */
    uint32_t way;          /* enum wss_session_way now taken; 0 before start */
    int visible;
    int ready;             /* the way's leader answered */
    int beats;             /* its end shows only as silence */
    int suspect;           /* the page itself was held up: judge silence next time */
    int failed;            /* FAIL was said: nothing more happens */
    int opened;            /* the tab's socket opened: a way's error is the app's to hear */
    uint32_t host;         /* enum wss_session_host: where this tab runs the leader it leads */
    double now;
    double ready_by;       /* when a leader that has not answered has failed; 0: none */
    double retry_at;       /* when a dead worker's successor is started again; 0: none */
    uint32_t retries;      /* tries so far of the successor of a worker that died */
    int restarting;        /* the way was taken again after its worker died */
    double heard;          /* the leader's last word */
    double checked;        /* the last silence check */
    double next_check;     /* 0: none */
    double deaths[WSS_SESSION_MAX_DEATHS];
    uint32_t ndeaths;
    uint32_t timer;        /* the delay last armed; NO_TIMER: none */
    wss_action actions[SESSION_ACTIONS];
    uint32_t count;
};

static wss_session pool[WSS_SESSION_MAX];

#define REASON(text) {text, sizeof text - 1}
static const struct {
    const char *text;
    uint32_t len;
} fail_reason[] = {
    REASON(""),
    REASON("the SharedWorker could not start"),
    REASON("the leader could not start"),
    REASON("the SharedWorker keeps dying"),
};

static void push(wss_session *s, uint32_t kind, uint32_t a, uint32_t why)
{
    wss_action *act;

    if (s->count == SESSION_ACTIONS)
        return; /* cannot happen: no call makes more than SESSION_ACTIONS */
    act = &s->actions[s->count++];
    memset(act, 0, sizeof *act);
    act->kind = kind;
    act->a = a;
    act->text = why ? fail_reason[why].text : NULL;
    act->len = fail_reason[why].len;
}

static int can(const wss_session *s, uint32_t way)
{
    switch (way) {
    case WSS_WAY_SHAREDWORKER:
        return (s->caps & (WSS_CAN_BUS | WSS_CAN_SHAREDWORKER)) == (WSS_CAN_BUS | WSS_CAN_SHAREDWORKER);
    case WSS_WAY_ELECTION:
        return (s->caps & (WSS_CAN_BUS | WSS_CAN_WORKER)) == (WSS_CAN_BUS | WSS_CAN_WORKER);
    default:
        return 1;
    }
}

/* The next way 'auto' tries after `way` failed, or 0 when none is left. */
static uint32_t fallback(const wss_session *s, uint32_t way)
{
    if (s->mode != WSS_MODE_AUTO)
        return 0;
    if (way == WSS_WAY_SHAREDWORKER && can(s, WSS_WAY_ELECTION))
        return WSS_WAY_ELECTION;
    if (way != WSS_WAY_DIRECT)
        return WSS_WAY_DIRECT;
    return 0;
}

/* One timer serves the ready deadline and the silence checks: the earliest. */
static void rearm(wss_session *s)
{
    double due = 0;
    uint32_t delay;

    if (s->ready_by > 0)
        due = s->ready_by;
    if (s->retry_at > 0 && (due == 0 || s->retry_at < due))
        due = s->retry_at;
    if (s->next_check > 0 && (due == 0 || s->next_check < due))
        due = s->next_check;
    if (due == 0) {
        delay = NO_TIMER;
    } else {
        double d = due - s->now;
        delay = d <= 0 ? 0 : d >= 4294967294.0 ? 4294967294u : (uint32_t)(d + 0.999);
    }
    if (delay == NO_TIMER && s->timer == NO_TIMER)
        return;
    s->timer = delay;
    push(s, WSS_ACT_SESSION_TIMER, delay, 0);
}

/* Where a tab of the election that does not lead keeps its leader's host:
 * where the election is by Web Locks, a Worker that fetched and compiled the
 * core and waits, so that leading takes only the core's start (without Web
 * Locks the tab's candidate, in a Worker already, leads itself). It costs
 * the tab an idle Worker and the compiled core, never the core's memory. */
static uint32_t not_leading(const wss_session *s)
{
    return s->way == WSS_WAY_ELECTION && (s->caps & WSS_CAN_LOCKS) ? WSS_HOST_STANDBY : WSS_HOST_NONE;
}

static void set_host(wss_session *s, uint32_t host)
{
    if (host == s->host)
        return;
    s->host = host;
    push(s, WSS_ACT_SESSION_HOST, host, 0);
}

static void take(wss_session *s, uint32_t way)
{
    s->way = way;
    s->host = WSS_HOST_NONE; /* a new way leads nothing yet */
    s->ready = 0;
    s->retry_at = 0;
    s->beats = 0;
    s->suspect = 0;
    s->next_check = 0;
    /* Only a worker of ours answers: the election and a socket of the tab's
     * own report their own ends. */
    s->ready_by = 0;
    if (way == WSS_WAY_SHAREDWORKER)
        s->ready_by = s->now + (s->restarting ? (double)(WSS_SESSION_RESTART_READY_MS << s->retries)
                                              : WSS_SESSION_READY_MS);
    push(s, WSS_ACT_SESSION_START, way, 0);
    set_host(s, not_leading(s));
}

static void fail(wss_session *s, uint32_t why)
{
    s->failed = 1;
    s->ready_by = 0;
    s->retry_at = 0;
    s->next_check = 0;
    push(s, WSS_ACT_SESSION_FAIL, why, why);
}

static int begin(wss_session *s, double now)
{
    if (s == NULL || !s->used)
        return WSS_EINVAL;
    s->count = 0;
    if (now > s->now)
        s->now = now;
    return s->failed || s->way == 0 ? WSS_EREJECT : WSS_OK;
}

wss_session *wss_session_new(uint32_t mode, uint32_t caps)
{
    uint32_t i;

    if (mode < WSS_MODE_AUTO || mode > WSS_MODE_DIRECT)
        return NULL;
    for (i = 0; i < WSS_SESSION_MAX; i++) {
        if (!pool[i].used) {
            memset(&pool[i], 0, sizeof pool[i]);
            pool[i].used = 1;
            pool[i].mode = mode;
            pool[i].caps = caps;
            pool[i].visible = 1;
            pool[i].timer = NO_TIMER;
            return &pool[i];
        }
    }
    return NULL;
}

void wss_session_free(wss_session *s)
{
    if (s != NULL)
        memset(s, 0, sizeof *s);
}

int wss_session_start(wss_session *s, int visible, double now)
{
    uint32_t way;

    if (s == NULL || !s->used)
        return WSS_EINVAL;
    s->count = 0; /* even a refusal replaces the last call's actions */
    if (s->way != 0)
        return WSS_EREJECT;
    s->now = now;
    s->visible = visible != 0;
    switch (s->mode) {
    case WSS_MODE_SHAREDWORKER:
        way = WSS_WAY_SHAREDWORKER;
        break;
    case WSS_MODE_ELECTION:
        way = WSS_WAY_ELECTION;
        break;
    case WSS_MODE_DIRECT:
        way = WSS_WAY_DIRECT;
        break;
    default:
        way = can(s, WSS_WAY_SHAREDWORKER) ? WSS_WAY_SHAREDWORKER
              : can(s, WSS_WAY_ELECTION)   ? WSS_WAY_ELECTION
                                           : WSS_WAY_DIRECT;
        break;
    }
    if (!can(s, way))
        return WSS_EREJECT;
    take(s, way);
    rearm(s);
    return WSS_OK;
}

int wss_session_ready(wss_session *s, int watch, double now)
{
    int rc = begin(s, now);

    if (rc != WSS_OK)
        return rc;
    if (s->way == WSS_WAY_DIRECT)
        return WSS_EREJECT; /* a socket of the tab's own has no leader to watch */
    s->ready_by = 0;
    s->retry_at = 0; /* a successor that answers while it waits for its next try is kept */
    s->ready = 1;
    s->restarting = 0;
    s->heard = s->now;
    s->beats = watch == WSS_WATCH_BEATS;
    s->suspect = 0;
    s->checked = s->now;
    s->next_check = s->beats ? s->now + WSS_SESSION_BEAT_MS : 0;
    rearm(s);
    return WSS_OK;
}

int wss_session_heard(wss_session *s, double now)
{
    int rc = begin(s, now);

    if (rc != WSS_OK)
        return rc;
    s->heard = s->now;
    return WSS_OK;
}

static int lost(wss_session *s);

/* wss_session_failed, inside a call begun already. */
static int failed(wss_session *s)
{
    uint32_t next;

    if (s->way == WSS_WAY_DIRECT)
        return WSS_EREJECT; /* a socket of the tab's own reports its own close */
    if (s->ready)
        return lost(s);
    /* The worker that died ran, so its script is sound: a successor that
     * fails or stays silent may have met the dying worker still registered
     * under its name (Firefox, seen here, answers never). Try again a little
     * later, a few times, each with a longer deadline. */
    if (s->restarting && s->retries < WSS_SESSION_RESTART_TRIES) {
        s->ready_by = 0;
        s->retry_at = s->now + (double)(WSS_SESSION_RESTART_RETRY_MS << s->retries);
        s->retries++;
        rearm(s);
        return WSS_OK;
    }
    s->restarting = 0;
    next = fallback(s, s->way);
    if (next != 0)
        take(s, next);
    else
        fail(s, s->way == WSS_WAY_SHAREDWORKER ? 1u : 2u);
    rearm(s);
    return WSS_OK;
}

int wss_session_failed(wss_session *s, double now)
{
    int rc = begin(s, now);

    return rc != WSS_OK ? rc : failed(s);
}

/* wss_session_lost, inside a call begun already. */
static int lost(wss_session *s)
{
    uint32_t i, n = 0;

    if (!s->ready || s->way == WSS_WAY_DIRECT)
        return WSS_EREJECT; /* nothing was reached that could be lost */
    push(s, WSS_ACT_SESSION_LOST, s->way, 0);
    if (s->way == WSS_WAY_ELECTION) {
        /* This tab's leader worker died: the tab lets the lock go and queues
         * again; whoever holds it next leads. */
        take(s, WSS_WAY_ELECTION);
        rearm(s);
        return WSS_OK;
    }
    /* Deaths of the last window, this one included. */
    for (i = 0; i < s->ndeaths; i++)
        if (s->now - s->deaths[i] < WSS_SESSION_DEATH_WINDOW_MS)
            s->deaths[n++] = s->deaths[i];
    if (n == WSS_SESSION_MAX_DEATHS) {
        for (i = 1; i < n; i++)
            s->deaths[i - 1] = s->deaths[i];
        n--;
    }
    s->deaths[n++] = s->now;
    s->ndeaths = n;
    if (n < WSS_SESSION_MAX_DEATHS) {
        s->restarting = 1;
        s->retries = 0;
        take(s, WSS_WAY_SHAREDWORKER);
    }
    else if (fallback(s, WSS_WAY_SHAREDWORKER) != 0)
        take(s, fallback(s, WSS_WAY_SHAREDWORKER));
    else
        fail(s, 3);
    rearm(s);
    return WSS_OK;
}

int wss_session_lost(wss_session *s, double now)
{
    int rc = begin(s, now);

    return rc != WSS_OK ? rc : lost(s);
}

int wss_session_visibility(wss_session *s, int visible, double now)
{
    int rc = begin(s, now);

    if (rc != WSS_OK)
        return rc;
    s->visible = visible != 0;
    return WSS_OK;
}

int wss_session_tick(wss_session *s, double now)
{
    int rc = begin(s, now);
    double limit;

    if (rc != WSS_OK)
        return rc;
    s->timer = NO_TIMER;
    if (s->ready_by > 0 && s->now >= s->ready_by)
        return failed(s);
    if (s->retry_at > 0 && s->now >= s->retry_at) {
        take(s, WSS_WAY_SHAREDWORKER);
        rearm(s);
        return WSS_OK;
    }
    if (s->next_check > 0 && s->now >= s->next_check) {
        double gap = s->now - s->checked;

        s->checked = s->now;
        s->next_check = s->now + WSS_SESSION_BEAT_MS;
        /* After a long gap the page itself was blocked or throttled: the
         * leader's words may still wait behind this timer. This check and
         * the next do not judge; the one after does. */
        if (gap > 2 * WSS_SESSION_BEAT_MS) {
            s->suspect = 1;
        } else if (s->suspect) {
            s->suspect = 0;
        } else {
            limit = WSS_SESSION_SILENCE_MS + (s->visible ? 0 : WSS_SESSION_HIDDEN_GRACE_MS);
            if (s->now - s->heard >= limit)
                return lost(s);
        }
    }
    rearm(s);
    return WSS_OK;
}

const wss_action *wss_session_actions(const wss_session *s, uint32_t *count)
{
    if (s == NULL || !s->used) {
        *count = 0;
        return NULL;
    }
    *count = s->count;
    return s->actions;
}

uint32_t wss_session_way(const wss_session *s)
{
    return s != NULL && s->used ? s->way : 0;
}

uint32_t wss_session_beat_ms(void)
{
    return WSS_SESSION_BEAT_MS;
}

uint32_t wss_session_watch_for(const wss_session *s, int named)
{
    return s != NULL && s->used && named && (s->caps & WSS_CAN_LOCKS) ? WSS_WATCH_LOCK
                                                                        : WSS_WATCH_BEATS;
}

uint32_t wss_session_leader_beat_ms(const wss_session *s)
{
    return s != NULL && s->used && (s->caps & WSS_CAN_LOCKS) ? 0 : WSS_SESSION_BEAT_MS;
}

int wss_session_opened(wss_session *s, double now)
{
    int rc = begin(s, now);

    if (rc != WSS_OK)
        return rc;
    s->opened = 1;
    return WSS_OK;
}

int wss_session_elected(wss_session *s, int leading, double now)
{
    int rc = begin(s, now);
    uint32_t host;

    if (rc != WSS_OK)
        return rc;
    if (s->way != WSS_WAY_ELECTION)
        return WSS_EREJECT;
    /* A Worker keeps the leader's work off the page's thread (the way runs
     * only where the page can start one); should it be refused, the page
     * leads (wss_session_host_failed). Told again while a host runs, it
     * keeps that one: a second would be a second leader. */
    host = !leading ? not_leading(s)
           : s->host == WSS_HOST_WORKER || s->host == WSS_HOST_PAGE ? s->host : WSS_HOST_WORKER;
    set_host(s, host);
    return WSS_OK;
}

int wss_session_host_failed(wss_session *s, double now)
{
    int rc = begin(s, now);

    if (rc != WSS_OK)
        return rc;
    if (s->host != WSS_HOST_WORKER && s->host != WSS_HOST_PAGE)
        return WSS_EREJECT; /* a host of an ended term: its news is old */
    if (s->host == WSS_HOST_WORKER) {
        /* The Worker was refused (a policy, a script that does not load):
         * the page leads instead. */
        set_host(s, WSS_HOST_PAGE);
        return WSS_OK;
    }
    /* Neither could run it: its files are not where they were looked for,
     * or the browser refuses them. The way failed, and the lock goes to the
     * next tab, which tries too. */
    set_host(s, WSS_HOST_NONE);
    return failed(s);
}

int wss_session_way_error(wss_session *s, double now)
{
    int rc = begin(s, now);

    if (rc != WSS_OK)
        return rc;
    if (s->way == WSS_WAY_DIRECT)
        return WSS_EREJECT; /* a socket of the tab's own reports its own errors */
    /* Before the socket opened for the tab, the way cannot serve it: the
     * next way, or a failure. After, the tab goes on and the app hears of it. */
    if (!s->opened)
        return failed(s);
    push(s, WSS_ACT_SESSION_ERROR, s->way, 0);
    return WSS_OK;
}
