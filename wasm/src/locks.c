/*
 * The election by Web Locks, on the page's side: of the tabs of one sharing
 * key, the one holding the leader lock leads; the others queue for it, watch
 * the leader's words, and steal the lock from a leader that fell silent (a
 * frozen page keeps its locks). The host performs the lock requests; every
 * decision and every timing is here. It allocates nothing and needs no
 * cJSON: the same C runs natively in the tests and, compiled to JavaScript,
 * in every page.
 */
#include <string.h>

#include "wsshare.h"

/* Compile-time limits and timings; override with -D. */
#ifndef WSS_LOCKS_MAX
#define WSS_LOCKS_MAX 256 /* live elections of one page, one per socket, as sessions */
#endif
#ifndef WSS_LOCKS_BEAT_MS
#define WSS_LOCKS_BEAT_MS 1000 /* the leader worker's beats, and how often silence is judged */
#endif
#ifndef WSS_LOCKS_SILENCE_MS
/* Silence after which a leader is presumed frozen or wedged. Beats come from
 * the leader's worker, which background throttling does not slow down. */
#define WSS_LOCKS_SILENCE_MS 4000
#endif
#ifndef WSS_LOCKS_HIDDEN_GRACE_MS
#define WSS_LOCKS_HIDDEN_GRACE_MS 2000 /* hidden tabs judge later: a visible one takes over first */
#endif

#define LOCKS_ACTIONS 8 /* the most one call produces (stop: STOP, LOG, three RELEASEs, TIMER) */
#define NO_TIMER 4294967295u
#define NLOCKS 4        /* the current request of each kind: leader, visible, take-over; 0 unused */
#define MAX_LEVEL 15    /* take-over locks beyond the first, for followers that froze holding one */

struct wss_locks {
    int used;
    int started;
    int over;          /* stopped, or gave up (ERROR): nothing more happens */
    int visible;
    int leading;       /* between LEAD and STOP */
    int deciding;      /* holds the leader lock, hidden, and waits for QUERY's answer */
    int yielded;       /* handed the lock on once since it last led */
    int suspect;       /* the page itself was held up: judge silence next time */
    int taking;        /* a take-over lock request is out, or the lock is held */
    uint32_t level;    /* which take-over lock: 0 the first */
    double now;
    double heard;      /* the leader's last word */
    double checked;    /* the last silence judgement */
    double next_check; /* 0: none */
    double hold_until; /* when the take-over lock is let go; 0: not held */
    uint32_t next_req;
    uint32_t req[NLOCKS]; /* the current request for each lock; 0: none */
    int held[NLOCKS];     /* and whether it was granted */
    uint32_t timer;       /* the delay last armed; NO_TIMER: none */
    wss_action actions[LOCKS_ACTIONS];
    uint32_t count;
};

static wss_locks pool[WSS_LOCKS_MAX];

static void push(wss_locks *l, uint32_t kind, uint32_t a, uint32_t b, uint32_t handle, const char *text)
{
    wss_action *act;

    if (l->count == LOCKS_ACTIONS)
        return; /* cannot happen: no call makes more than LOCKS_ACTIONS */
    act = &l->actions[l->count++];
    memset(act, 0, sizeof *act);
    act->kind = kind;
    act->a = a;
    act->b = b;
    act->handle = handle;
    act->text = text;
    act->len = text ? (uint32_t)strlen(text) : 0;
}

static void say(wss_locks *l, const char *text)
{
    push(l, WSS_ACT_LOCKS_LOG, 0, 0, 0, text);
}

static void request(wss_locks *l, uint32_t lock, uint32_t how)
{
    if (++l->next_req == 0)
        l->next_req = 1;
    l->req[lock] = l->next_req;
    l->held[lock] = 0;
    push(l, WSS_ACT_LOCKS_REQUEST, lock == WSS_LOCK_TAKEOVER ? lock + l->level : lock, how,
         l->next_req, NULL);
}

/* Lets the current request for `lock` go, granted or queued. */
static void let_go(wss_locks *l, uint32_t lock)
{
    if (l->req[lock] == 0)
        return;
    push(l, WSS_ACT_LOCKS_RELEASE, lock, 0, l->req[lock], NULL);
    l->req[lock] = 0;
    l->held[lock] = 0;
    if (lock == WSS_LOCK_TAKEOVER) {
        l->taking = 0;
        l->hold_until = 0;
    }
}

/* Which lock request `req` is, or 0 when it is none of the current ones (a
 * request let go, whose end the host reports all the same). */
static uint32_t which(const wss_locks *l, uint32_t req)
{
    uint32_t lock;

    if (req == 0)
        return 0;
    for (lock = 1; lock < NLOCKS; lock++)
        if (l->req[lock] == req)
            return lock;
    return 0;
}

static void depose(wss_locks *l, const char *why)
{
    if (!l->leading)
        return;
    l->leading = 0;
    push(l, WSS_ACT_LOCKS_STOP, 0, 0, 0, why);
}

/* Holds the visible lock exactly while the page is visible. */
static void mark_visible(wss_locks *l)
{
    int want = !l->over && l->visible;

    if (want && l->req[WSS_LOCK_VISIBLE] == 0)
        request(l, WSS_LOCK_VISIBLE, WSS_LOCK_QUEUE);
    else if (!want)
        let_go(l, WSS_LOCK_VISIBLE);
}

static void lead(wss_locks *l)
{
    l->deciding = 0;
    l->yielded = 0;
    l->leading = 1;
    l->heard = l->now;
    say(l, "elected");
    push(l, WSS_ACT_LOCKS_LEAD, 0, 0, 0, NULL);
}

/* One timer serves the silence judgements and the take-over lock's hold. */
static void rearm(wss_locks *l)
{
    double due = 0;
    uint32_t delay;

    if (l->next_check > 0)
        due = l->next_check;
    if (l->hold_until > 0 && (due == 0 || l->hold_until < due))
        due = l->hold_until;
    if (due == 0) {
        delay = NO_TIMER;
    } else {
        double d = due - l->now;
        delay = d <= 0 ? 0 : d >= 4294967294.0 ? 4294967294u : (uint32_t)(d + 0.999);
    }
    if (delay == NO_TIMER && l->timer == NO_TIMER)
        return;
    l->timer = delay;
    push(l, WSS_ACT_LOCKS_TIMER, delay, 0, 0, NULL);
}

/* Leaves the election: a leader hands over at once. */
static void finish(wss_locks *l, const char *why)
{
    uint32_t lock;

    depose(l, why);
    l->over = 1;
    l->deciding = 0;
    l->next_check = 0;
    for (lock = 1; lock < NLOCKS; lock++)
        let_go(l, lock);
}

static int begin(wss_locks *l, double now)
{
    if (l == NULL || !l->used)
        return WSS_EINVAL;
    l->count = 0;
    if (now > l->now)
        l->now = now;
    return l->over || !l->started ? WSS_EREJECT : WSS_OK;
}

static int end(wss_locks *l)
{
    rearm(l);
    return WSS_OK;
}

wss_locks *wss_locks_new(void)
{
    uint32_t i;

    for (i = 0; i < WSS_LOCKS_MAX; i++) {
        if (!pool[i].used) {
            memset(&pool[i], 0, sizeof pool[i]);
            pool[i].used = 1;
            pool[i].timer = NO_TIMER;
            return &pool[i];
        }
    }
    return NULL;
}

void wss_locks_free(wss_locks *l)
{
    if (l != NULL)
        memset(l, 0, sizeof *l);
}

int wss_locks_start(wss_locks *l, int visible, double now)
{
    if (l == NULL || !l->used)
        return WSS_EINVAL;
    l->count = 0; /* even a refusal replaces the last call's actions */
    if (l->started)
        return WSS_EREJECT;
    l->started = 1;
    l->now = now;
    l->visible = visible != 0;
    l->heard = now;
    l->checked = now;
    l->next_check = now + WSS_LOCKS_BEAT_MS;
    request(l, WSS_LOCK_LEADER, WSS_LOCK_QUEUE);
    mark_visible(l);
    return end(l);
}

int wss_locks_granted(wss_locks *l, uint32_t req, double now)
{
    int rc = begin(l, now);
    uint32_t lock;

    if (rc == WSS_EINVAL || !l->started)
        return rc;
    lock = rc == WSS_OK ? which(l, req) : 0;
    if (lock == 0) {
        /* Granted to a request let go (aborted too late): let it go again. */
        push(l, WSS_ACT_LOCKS_RELEASE, 0, 0, req, NULL);
        return rc == WSS_OK ? end(l) : rc;
    }
    l->held[lock] = 1;
    if (lock == WSS_LOCK_LEADER) {
        /* Whoever led before is gone, or was stolen from. */
        l->heard = l->now;
        if (!l->visible && !l->yielded) {
            l->deciding = 1;
            push(l, WSS_ACT_LOCKS_QUERY, WSS_LOCK_VISIBLE, 0, 0, NULL);
        } else {
            lead(l);
        }
    } else if (lock == WSS_LOCK_TAKEOVER) {
        if (l->leading || l->deciding || l->now - l->heard < WSS_LOCKS_SILENCE_MS) {
            let_go(l, WSS_LOCK_TAKEOVER); /* the leader spoke meanwhile, or it is us */
        } else {
            say(l, "the leader is silent: taking over");
            let_go(l, WSS_LOCK_LEADER);
            request(l, WSS_LOCK_LEADER, WSS_LOCK_STEAL);
            /* Until the new leader had time to speak, no other follower steals. */
            l->hold_until = l->now + WSS_LOCKS_SILENCE_MS;
        }
    }
    return end(l);
}

int wss_locks_unavailable(wss_locks *l, uint32_t req, double now)
{
    int rc = begin(l, now);
    uint32_t lock;

    if (rc != WSS_OK)
        return rc;
    lock = which(l, req);
    if (lock == WSS_LOCK_TAKEOVER) {
        /* Another follower is taking over: judge again at the next beat. */
        l->req[lock] = 0;
        l->taking = 0;
    } else if (lock != 0) {
        return wss_locks_failed(l, req, now); /* only the take-over lock is asked for so */
    }
    return end(l);
}

int wss_locks_lost(wss_locks *l, uint32_t req, double now)
{
    int rc = begin(l, now);
    uint32_t lock;

    if (rc != WSS_OK)
        return rc;
    lock = which(l, req);
    if (lock == 0)
        return end(l); /* a request let go: aborted as asked */
    l->req[lock] = 0;
    l->held[lock] = 0;
    if (lock == WSS_LOCK_LEADER) {
        /* Stolen from: this tab follows, and queues again. */
        depose(l, "the leader lock was taken over");
        l->deciding = 0;
        request(l, WSS_LOCK_LEADER, WSS_LOCK_QUEUE);
    } else if (lock == WSS_LOCK_TAKEOVER) {
        l->taking = 0;
        l->hold_until = 0;
    } else if (lock == WSS_LOCK_VISIBLE) {
        mark_visible(l);
    }
    return end(l);
}

int wss_locks_failed(wss_locks *l, uint32_t req, double now)
{
    int rc = begin(l, now);
    uint32_t lock;

    if (rc != WSS_OK)
        return rc;
    lock = which(l, req);
    if (lock == WSS_LOCK_LEADER) {
        /* The lock manager refuses this page: it can neither lead nor take over. */
        say(l, "the leader lock was refused");
        l->req[lock] = 0;
        finish(l, "the leader lock was refused");
        push(l, WSS_ACT_LOCKS_ERROR, 0, 0, 0, "the leader lock was refused");
    } else if (lock == WSS_LOCK_TAKEOVER) {
        say(l, "the take-over lock was refused: trying again at the next beat");
        l->req[lock] = 0;
        l->taking = 0;
        l->hold_until = 0;
    } else if (lock == WSS_LOCK_VISIBLE) {
        /* Only hidden tabs that lead lose by it: they cannot see this one wait. */
        say(l, "the visible lock was refused: hidden leaders will not see this tab");
        l->held[lock] = 1; /* not asked again while the page stays visible */
    }
    return end(l);
}

int wss_locks_queried(wss_locks *l, int waiting, double now)
{
    int rc = begin(l, now);

    if (rc != WSS_OK)
        return rc;
    if (!l->deciding)
        return end(l); /* the lock went meanwhile */
    l->deciding = 0;
    if (waiting < 0)
        say(l, "the lock query failed: leading");
    if (waiting > 0 && !l->visible) {
        /* Once per term: a hidden tab lets a visible one go first. */
        l->yielded = 1;
        say(l, "hidden: letting a visible tab lead");
        let_go(l, WSS_LOCK_LEADER);
        request(l, WSS_LOCK_LEADER, WSS_LOCK_QUEUE);
    } else {
        lead(l);
    }
    return end(l);
}

int wss_locks_heard(wss_locks *l, double now)
{
    int rc = begin(l, now);

    if (rc != WSS_OK)
        return rc;
    l->heard = l->now;
    return WSS_OK;
}

int wss_locks_visibility(wss_locks *l, int visible, double now)
{
    int rc = begin(l, now);

    if (rc != WSS_OK)
        return rc;
    l->visible = visible != 0;
    mark_visible(l);
    return end(l);
}

/* Judges the leader's silence, once a beat. */
static void judge(wss_locks *l)
{
    double gap = l->now - l->checked;
    double limit = WSS_LOCKS_SILENCE_MS + (l->visible ? 0 : WSS_LOCKS_HIDDEN_GRACE_MS);

    l->checked = l->now;
    l->next_check = l->now + WSS_LOCKS_BEAT_MS;
    /* After a long gap the page itself was blocked or throttled: the
     * leader's words may still wait behind this timer. This judgement and
     * the next are skipped. */
    if (gap > 2 * WSS_LOCKS_BEAT_MS) {
        l->suspect = 1;
        return;
    }
    if (l->suspect) {
        l->suspect = 0;
        return;
    }
    if (l->now - l->heard < limit || l->deciding)
        return;
    if (l->leading) {
        /* Our own worker went quiet: hand the lock on and queue again. */
        depose(l, "the leader worker fell silent");
        let_go(l, WSS_LOCK_LEADER);
        request(l, WSS_LOCK_LEADER, WSS_LOCK_QUEUE);
    } else if (!l->taking) {
        /* One follower at a time steals: the one granted the take-over lock.
         * Should the leader stay silent for another wss_locks_silence_ms()
         * after the first, its holder froze with it: the next lock serves
         * then, the same for every follower, whose silences began alike. */
        double level = (l->now - l->heard - WSS_LOCKS_SILENCE_MS) / WSS_LOCKS_SILENCE_MS;

        l->taking = 1;
        l->level = level >= MAX_LEVEL ? MAX_LEVEL : (uint32_t)level;
        request(l, WSS_LOCK_TAKEOVER, WSS_LOCK_IF_AVAILABLE);
    }
}

int wss_locks_tick(wss_locks *l, double now)
{
    int rc = begin(l, now);

    if (rc != WSS_OK)
        return rc;
    l->timer = NO_TIMER;
    if (l->hold_until > 0 && l->now >= l->hold_until)
        let_go(l, WSS_LOCK_TAKEOVER);
    if (l->next_check > 0 && l->now >= l->next_check)
        judge(l);
    return end(l);
}

int wss_locks_stop(wss_locks *l, double now)
{
    int rc = begin(l, now);

    if (rc != WSS_OK)
        return rc;
    finish(l, "resigned");
    return end(l);
}

const wss_action *wss_locks_actions(const wss_locks *l, uint32_t *count)
{
    if (l == NULL || !l->used) {
        *count = 0;
        return NULL;
    }
    *count = l->count;
    return l->actions;
}

int wss_locks_leading(const wss_locks *l)
{
    return l != NULL && l->used && l->leading;
}

uint32_t wss_locks_beat_ms(void)
{
    return WSS_LOCKS_BEAT_MS;
}

uint32_t wss_locks_silence_ms(void)
{
    return WSS_LOCKS_SILENCE_MS;
}
