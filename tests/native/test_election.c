/*
 * Election without Web Locks: candidates on a simulated channel (seeded PRNG;
 * each delivery may be lost, delayed, duplicated and so reordered) under a
 * fake clock, with candidates that start together, die silently, freeze and
 * come back, resign and flip visibility. The guarantees of wsshare.h are
 * checked after every step of every run; scripted scenarios pin the rules,
 * sweeps over many seeds look for the runs that break them.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

#define MAXC 12
#define MAX_TEXT 256
/* wsshare.h's defaults */
#define LEASE 4000.0
#define BEAT 500.0
#define CLAIM 250.0

enum disruption { D_START, D_DEATH, D_FREEZE, D_THAW, D_RESIGN, D_VIS, D_HEAL };

typedef struct cand {
    wss_elect *e;
    uint32_t id;
    int exists;  /* created: its channel is open */
    int dead;    /* died silently: nothing reaches it or comes from it again */
    int started; /* started and not resigned */
    int frozen;
    double frozen_at;
    double thaw_at;
    int visible;
    double started_at;
    double timer_at; /* the host's timer; 0: none */
    int leading;     /* between a LEAD and a STOP */
    uint32_t announced;
} cand;

typedef struct flight {
    double at;
    uint64_t order;
    int to;
    size_t len;
    char text[MAX_TEXT];
} flight;

typedef struct chan {
    uint32_t drop_pct;  /* chance that a delivery is lost... */
    uint32_t max_drops; /* ...but never more than this many in a row on one link */
    uint32_t dup_pct;   /* chance that a delivery comes twice */
    double min_delay;
    double max_delay;
} chan;

typedef struct entry {
    double at;
    int kind;
} entry;

typedef struct sim {
    uint32_t seed;
    uint32_t rng;
    chan ch;
    const char *config; /* every candidate's; NULL: the defaults */
    double lease;
    double claim;
    double beat;
    int lossless;  /* also check what needs every message delivered */
    int unbounded; /* memory or the channel fail without bound: check the books only */
    int failed;   /* report one failure per run, with its context */
    double now;
    cand c[MAXC];
    int n;
    flight *fl;
    size_t nfl;
    size_t capfl;
    uint64_t order;
    uint32_t drops[MAXC][MAXC];
    entry *log; /* every disruption, in time order */
    size_t nlog;
    size_t caplog;
    double last_disruption;
    double multi_since; /* -1: at most one leader acts */
    double probe_at;    /* when a resigned leader must have been replaced; 0: none */
    double probe_from;
    int probe_who;
    double lost_at; /* when the one acting leader died or froze; 0: none */
    int lost_who;
    double *failovers; /* from then to the next LEAD, ms */
    size_t nfailovers;
    size_t capfailovers;
    /* the last call's actions, for the scripted tests */
    int nlast;
    uint32_t last_kind[16];
    uint32_t last_a[16];
    uint32_t last_b[16];
    char last_text[16][MAX_TEXT];
    /* figures */
    double max_overlap;
    double max_handover;
    long handovers;
    long leads;
    long posts;
} sim;

/* ---- the channel and the clock ------------------------------------------------ */

static uint32_t rnd(sim *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 17;
    s->rng ^= s->rng << 5;
    return s->rng;
}

static uint32_t below(sim *s, uint32_t n)
{
    return n == 0 ? 0 : rnd(s) % n;
}

static double settle(const sim *s)
{
    return s->lease + 2 * s->beat + s->claim;
}

static void sim_init(sim *s, uint32_t seed, const chan *ch, const char *config, double lease,
                     double beat, double claim)
{
    memset(s, 0, sizeof(*s));
    s->seed = seed;
    s->rng = seed ? seed : 1;
    s->ch = *ch;
    s->config = config;
    s->lease = lease;
    s->beat = beat;
    s->claim = claim;
    s->now = 1000;
    s->multi_since = -1;
    s->last_disruption = s->now;
}

static void sim_free(sim *s)
{
    int i;

    for (i = 0; i < s->n; i++)
        wss_elect_destroy(s->c[i].e);
    free(s->fl);
    free(s->log);
    free(s->failovers);
}

static const char *role_name(int role)
{
    static const char *const names[] = {"idle", "electing", "following", "leading"};

    return role >= 0 && role <= 3 ? names[role] : "?";
}

/* The first failure of a run, with the state around it. */
static void sim_fail(sim *s, int line, const char *what)
{
    int i;

    if (s->failed)
        return;
    s->failed = 1;
    check_fail(__FILE__, line, "seed %u, t=%.0f: %s", s->seed, s->now, what);
    for (i = 0; i < s->n; i++) {
        const cand *c = &s->c[i];

        if (c->exists)
            fprintf(stderr, "    #%d id %u %s%s%s vis %d, %s, leader %u, term %u, lease %.0f\n",
                    i, c->id, c->dead ? "dead " : "", c->frozen ? "frozen " : "",
                    c->started ? "" : "stopped ", c->visible, role_name(wss_elect_role(c->e)),
                    wss_elect_leader(c->e), wss_elect_term(c->e), wss_elect_lease_until(c->e));
    }
}

static void note(sim *s, int kind)
{
    if (s->lost_at != 0 && s->now > s->lost_at)
        s->lost_at = 0;
    if (s->nlog == s->caplog) {
        s->caplog = s->caplog ? 2 * s->caplog : 64;
        s->log = realloc(s->log, s->caplog * sizeof(entry));
    }
    s->log[s->nlog].at = s->now;
    s->log[s->nlog].kind = kind;
    s->nlog++;
    s->last_disruption = s->now;
}

static void send_one(sim *s, int to, const char *text, size_t len)
{
    flight *f;

    if (s->nfl == s->capfl) {
        s->capfl = s->capfl ? 2 * s->capfl : 64;
        s->fl = realloc(s->fl, s->capfl * sizeof(flight));
    }
    f = &s->fl[s->nfl++];
    f->at = s->now + s->ch.min_delay +
            below(s, (uint32_t)(s->ch.max_delay - s->ch.min_delay) + 1);
    f->order = s->order++;
    f->to = to;
    f->len = len;
    memcpy(f->text, text, len);
}

/* Every other open channel gets the message, as a BroadcastChannel would
 * (but for the losses, delays and copies of the simulation). */
static void broadcast(sim *s, int from, const char *text, size_t len)
{
    int j;

    if (len > MAX_TEXT) {
        sim_fail(s, __LINE__, "a post longer than a message may be");
        return;
    }
    for (j = 0; j < s->n; j++) {
        if (j == from || !s->c[j].exists || s->c[j].dead)
            continue;
        if (s->drops[from][j] < s->ch.max_drops && below(s, 100) < s->ch.drop_pct) {
            s->drops[from][j]++;
            continue;
        }
        s->drops[from][j] = 0;
        send_one(s, j, text, len);
        if (below(s, 100) < s->ch.dup_pct)
            send_one(s, j, text, len);
    }
}

/* ---- the host: performs a candidate's actions and keeps the books ------------- */

/* Whether candidate i may act as leader now: its host checks only the lease,
 * so a frozen leader whose lease holds acts the moment its page thaws. */
static int acting(const sim *s, int i)
{
    const cand *c = &s->c[i];

    return c->exists && !c->dead && c->leading && s->now < wss_elect_lease_until(c->e);
}

static int running(const sim *s, int i)
{
    const cand *c = &s->c[i];

    return c->exists && !c->dead && !c->frozen && c->started;
}

static int acting_count(const sim *s, int *which)
{
    int i;
    int n = 0;

    for (i = 0; i < s->n; i++)
        if (acting(s, i)) {
            n++;
            if (which != NULL)
                *which = i;
        }
    return n;
}

static int leader_of(const sim *s)
{
    int which = -1;

    return acting_count(s, &which) == 1 ? which : -1;
}

static void check_post(sim *s, int i, const char *text, size_t len)
{
    cJSON *m;
    const char *t;

    fa_pause(1);
    m = cJSON_ParseWithLength(text, len);
    fa_pause(0);
    t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "t"));
    if (t == NULL ||
        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "v")) != WSS_ELECT_VERSION ||
        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "id")) != s->c[i].id ||
        !(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "term")) >= 1) ||
        (strcmp(t, "claim") != 0 && strcmp(t, "beat") != 0 && strcmp(t, "resign") != 0))
        sim_fail(s, __LINE__, "a post that is not a valid message");
    fa_pause(1);
    cJSON_Delete(m);
    fa_pause(0);
}

/* With every message delivered, the candidates that take part in an
 * election choose a visible one. Taking part: running, not started in the
 * last claim window, and the lease before this LEAD held no freeze, thaw or
 * visibility change and at most the one death or resignation that may have
 * opened the election. */
static void check_visible_wins(sim *s, int i)
{
    double from = s->now - settle(s);
    int ends = 0;
    size_t k;
    int j;

    if (!s->lossless || s->c[i].visible)
        return;
    for (k = s->nlog; k > 0 && s->log[k - 1].at > from; k--) {
        int kind = s->log[k - 1].kind;

        if (kind == D_FREEZE || kind == D_THAW || kind == D_VIS)
            return;
        ends += kind == D_DEATH || kind == D_RESIGN;
    }
    if (ends > 1)
        return;
    for (j = 0; j < s->n; j++)
        if (j != i && running(s, j) && s->c[j].visible &&
            s->c[j].started_at <= s->now - s->claim) {
            char why[96];

            snprintf(why, sizeof(why), "hidden #%d leads while visible #%d takes part", i, j);
            sim_fail(s, __LINE__, why);
        }
}

static void on_lead(sim *s, int i)
{
    s->leads++;
    if (s->lost_at != 0 && i != s->lost_who) {
        if (s->nfailovers == s->capfailovers) {
            s->capfailovers = s->capfailovers ? 2 * s->capfailovers : 16;
            s->failovers = realloc(s->failovers, s->capfailovers * sizeof(double));
        }
        s->failovers[s->nfailovers++] = s->now - s->lost_at;
        s->lost_at = 0;
    }
    if (s->probe_at != 0 && i != s->probe_who) {
        double took = s->now - s->probe_from;

        if (took > s->max_handover)
            s->max_handover = took;
        s->handovers++;
        s->probe_at = 0;
    }
    check_visible_wins(s, i);
}

static void take(sim *s, int i)
{
    cand *c = &s->c[i];
    uint32_t n;
    uint32_t k;
    const wss_action *list = wss_elect_actions(c->e, &n);

    s->nlast = 0;
    for (k = 0; k < n; k++) {
        const wss_action *a = &list[k];

        if (s->nlast < 16) {
            size_t len = a->text != NULL && a->len < MAX_TEXT ? a->len : 0;

            s->last_kind[s->nlast] = a->kind;
            s->last_a[s->nlast] = a->a;
            s->last_b[s->nlast] = a->b;
            memcpy(s->last_text[s->nlast], a->text != NULL ? a->text : "", len);
            s->last_text[s->nlast][len] = '\0';
            s->nlast++;
        }
        switch (a->kind) {
        case WSS_ACT_ELECT_POST:
            s->posts++;
            check_post(s, i, a->text, a->len);
            broadcast(s, i, a->text, a->len);
            break;
        case WSS_ACT_ELECT_TIMER:
            c->timer_at = a->a == UINT32_MAX ? 0 : s->now + a->a;
            break;
        case WSS_ACT_LEAD:
            if (c->leading || (!s->unbounded && !(wss_elect_lease_until(c->e) > s->now + s->beat)))
                sim_fail(s, __LINE__, "LEAD while leading, or with a lease it cannot keep");
            c->leading = 1;
            c->announced = c->id;
            on_lead(s, i);
            break;
        case WSS_ACT_FOLLOW:
            if (c->leading || a->a == c->id || a->a == c->announced)
                sim_fail(s, __LINE__, "FOLLOW while leading, of itself, or of the same leader");
            c->announced = a->a;
            break;
        case WSS_ACT_STOP:
            if (!c->leading)
                sim_fail(s, __LINE__, "STOP while not leading");
            c->leading = 0;
            c->announced = 0;
            break;
        default:
            sim_fail(s, __LINE__, "an action of a kind the election does not have");
            break;
        }
    }
    if ((wss_elect_role(c->e) == WSS_ELECT_LEADING) != c->leading ||
        wss_elect_leader(c->e) != c->announced)
        sim_fail(s, __LINE__, "role or leader disagrees with the actions announced");
}

/* ---- the checks after every step ------------------------------------------------ */

/* Before the clock moves to `next`: two acting leaders never for a lease.
 * But for a double fault: two leaders overlap (claims crossed unheard) and
 * one freezes before it hears the other; it keeps its lease to the end. */
static void check_overlap_until(sim *s, double next)
{
    double first = 0;
    double second = 0;
    double end;
    int excused = 0;
    int i;

    if (s->multi_since < 0 || s->unbounded)
        return;
    for (i = 0; i < s->n; i++)
        if (acting(s, i)) {
            double until = wss_elect_lease_until(s->c[i].e);

            excused |= s->c[i].frozen && s->c[i].frozen_at > s->multi_since;
            if (until > first) {
                second = first;
                first = until;
            } else if (until > second) {
                second = until;
            }
        }
    end = second < next ? second : next;
    if (excused)
        return;
    if (end - s->multi_since > s->max_overlap)
        s->max_overlap = end - s->multi_since;
    if (end - s->multi_since >= s->lease)
        sim_fail(s, __LINE__, "two leaders acted for a lease");
}

static void check_after_step(sim *s)
{
    int leader = -1;
    int acts = acting_count(s, &leader);
    int any = 0;
    int i;

    if (acts >= 2) {
        if (s->multi_since < 0)
            s->multi_since = s->now;
    } else {
        s->multi_since = -1;
    }
    if (s->unbounded)
        return;
    for (i = 0; i < s->n; i++)
        any |= running(s, i);
    /* A lost claim can leave two leaders late in an election; their beats
     * settle it, so on a lossy channel only one must act when settled. */
    if (any && s->now - s->last_disruption >= s->lease && acts == 0)
        sim_fail(s, __LINE__, "no leader acts a lease after the last disruption");
    if (any && acts > 1 &&
        s->now - s->last_disruption >= (s->ch.drop_pct ? settle(s) : s->lease))
        sim_fail(s, __LINE__, "two leaders act once it should have settled");
    if (any && acts == 1 && s->now - s->last_disruption >= settle(s))
        for (i = 0; i < s->n; i++)
            if (running(s, i) && i != leader &&
                (wss_elect_role(s->c[i].e) != WSS_ELECT_FOLLOWING ||
                 s->c[i].announced != s->c[leader].id))
                sim_fail(s, __LINE__, "a candidate does not follow the leader once settled");
    if (s->probe_at != 0 && s->now >= s->probe_at) {
        s->probe_at = 0;
        if (s->last_disruption == s->probe_from && (acts != 1 || leader == s->probe_who))
            sim_fail(s, __LINE__, "a resigned leader was not replaced within a claim window");
    }
}

/* ---- the scheduler ---------------------------------------------------------------- */

static void deliver(sim *s, size_t k)
{
    flight f = s->fl[k];
    cand *c = &s->c[f.to];

    s->fl[k] = s->fl[--s->nfl];
    if (c->dead)
        return;
    wss_elect_message(c->e, f.text, f.len, s->now);
    take(s, f.to);
}

static void fire(sim *s, int i)
{
    s->c[i].timer_at = 0;
    wss_elect_tick(s->c[i].e, s->now);
    take(s, i);
}

/* The earliest message due to candidate i by now, or -1. */
static long due_to(const sim *s, int i)
{
    long best = -1;
    size_t k;

    for (k = 0; k < s->nfl; k++)
        if (s->fl[k].to == i && s->fl[k].at <= s->now &&
            (best < 0 || s->fl[k].order < s->fl[best].order))
            best = (long)k;
    return best;
}

/* A frozen page comes back: what queued up runs now, its messages in order
 * and its late timer somewhere among them. */
static void thaw(sim *s, int i)
{
    cand *c = &s->c[i];
    uint32_t queued = 0;
    uint32_t before;
    size_t k;
    long m;

    c->frozen = 0;
    note(s, D_THAW);
    for (k = 0; k < s->nfl; k++)
        queued += s->fl[k].to == i && s->fl[k].at <= s->now;
    before = below(s, queued + 1);
    while ((m = due_to(s, i)) >= 0 || (c->timer_at != 0 && c->timer_at <= s->now)) {
        if (before == 0 && c->timer_at != 0 && c->timer_at <= s->now)
            fire(s, i);
        else if (m >= 0)
            deliver(s, (size_t)m);
        before = before > 0 ? before - 1 : 0;
    }
}

/* Runs every event due by `until`, checking after each. */
static void sim_run_until(sim *s, double until)
{
    while (!s->failed) {
        double next = until + 1;
        int kind = 0; /* 1 message, 2 timer, 3 thaw, 4 probe */
        long which = -1;
        size_t k;
        int i;

        for (k = 0; k < s->nfl; k++) {
            const flight *f = &s->fl[k];

            if (!s->c[f->to].frozen &&
                (f->at < next || (kind == 1 && f->at == next && f->order < s->fl[which].order))) {
                next = f->at;
                kind = 1;
                which = (long)k;
            }
        }
        for (i = 0; i < s->n; i++) {
            const cand *c = &s->c[i];

            if (!c->exists || c->dead)
                continue;
            if (!c->frozen && c->timer_at != 0 && c->timer_at < next) {
                next = c->timer_at;
                kind = 2;
                which = i;
            }
            if (c->frozen && c->thaw_at < next) {
                next = c->thaw_at;
                kind = 3;
                which = i;
            }
        }
        if (s->probe_at != 0 && s->probe_at < next) {
            next = s->probe_at;
            kind = 4;
        }
        if (kind == 0 || next > until)
            break;
        check_overlap_until(s, next);
        s->now = next;
        if (kind == 1)
            deliver(s, (size_t)which);
        else if (kind == 2)
            fire(s, (int)which);
        else if (kind == 3)
            thaw(s, (int)which);
        check_after_step(s);
    }
    check_overlap_until(s, until);
    if (until > s->now)
        s->now = until;
}

/* ---- what the scenarios do ------------------------------------------------------- */

static void sim_call_done(sim *s, int i, int kind)
{
    take(s, i);
    note(s, kind);
    check_after_step(s);
}

/* Whether candidate i exists (under failing allocations, creation may not). */
static int have(const sim *s, int i)
{
    return i >= 0 && i < s->n && s->c[i].exists;
}

static void sim_start(sim *s, int i)
{
    cand *c = &s->c[i];

    if (!have(s, i))
        return;
    c->started = 1;
    c->started_at = s->now;
    if (wss_elect_start(c->e, c->visible, s->now) != WSS_OK)
        sim_fail(s, __LINE__, "start refused");
    sim_call_done(s, i, D_START);
}

/* A new candidate, its id drawn at random (or `id` when nonzero). */
static int sim_add_id(sim *s, int visible, uint32_t id)
{
    cand *c = &s->c[s->n];
    int i;

    while (id == 0) {
        id = rnd(s);
        for (i = 0; i < s->n; i++)
            if (s->c[i].id == id)
                id = 0;
    }
    memset(c, 0, sizeof(*c));
    c->id = id;
    c->visible = visible;
    if (wss_elect_create(&c->e, id, s->config, s->config ? strlen(s->config) : 0) != WSS_OK) {
        if (fa_failures() == 0)
            sim_fail(s, __LINE__, "create failed");
        return -1;
    }
    c->exists = 1;
    return s->n++;
}

static int sim_add(sim *s, int visible)
{
    return sim_add_id(s, visible, 0);
}

/* The one acting leader goes: the time to the next LEAD, if nothing else
 * happens meanwhile, is a failover. */
static void note_loss(sim *s, int i)
{
    int j;

    if (leader_of(s) != i)
        return;
    for (j = 0; j < s->n; j++)
        if (j != i && running(s, j)) {
            s->lost_at = s->now;
            s->lost_who = i;
        }
}

static void sim_kill(sim *s, int i)
{
    if (!have(s, i))
        return;
    note_loss(s, i);
    s->c[i].dead = 1;
    note(s, D_DEATH);
    check_after_step(s);
}

static void sim_freeze(sim *s, int i, double ms)
{
    if (!have(s, i))
        return;
    note_loss(s, i);
    s->c[i].frozen = 1;
    s->c[i].frozen_at = s->now;
    s->c[i].thaw_at = s->now + ms;
    note(s, D_FREEZE);
    check_after_step(s);
}

static void sim_resign(sim *s, int i)
{
    int settled = s->now - s->last_disruption >= settle(s);
    int was;
    int j;

    if (!have(s, i))
        return;
    was = acting(s, i);
    wss_elect_resign(s->c[i].e, s->now);
    s->c[i].started = 0;
    s->c[i].announced = 0; /* a resigned candidate has no leader */
    for (j = 0; j < s->n && s->lossless && settled && was; j++)
        if (j != i && running(s, j)) {
            /* The resign reaches every candidate within the largest delay;
             * a window (and the timer's rounding) later, one leads. */
            s->probe_from = s->now;
            s->probe_at = s->now + s->ch.max_delay + s->claim + 2;
            s->probe_who = i;
            break;
        }
    sim_call_done(s, i, D_RESIGN);
}

static void sim_visibility(sim *s, int i, int visible)
{
    if (!have(s, i))
        return;
    s->c[i].visible = visible;
    wss_elect_visibility(s->c[i].e, visible, s->now);
    sim_call_done(s, i, D_VIS);
}

/* The last call posted a message of type `t` (its text in *text). */
static int posted(const sim *s, const char *t, const char **text)
{
    char want[24];
    int k;

    snprintf(want, sizeof(want), "\"t\":\"%s\"", t);
    for (k = 0; k < s->nlast; k++)
        if (s->last_kind[k] == WSS_ACT_ELECT_POST && strstr(s->last_text[k], want) != NULL) {
            if (text != NULL)
                *text = s->last_text[k];
            return 1;
        }
    return 0;
}

static int did(const sim *s, uint32_t kind)
{
    int k;

    for (k = 0; k < s->nlast; k++)
        if (s->last_kind[k] == kind)
            return 1;
    return 0;
}

/* A channel that loses nothing and delivers in 5 ms. */
static const chan prompt = {0, 0, 0, 5, 5};

/* ---- scripted scenarios ------------------------------------------------------------ */

static void election_should_make_a_lone_candidate_lead_after_one_claim_window(void)
{
    sim s;
    int a;

    sim_init(&s, 1, &prompt, NULL, LEASE, BEAT, CLAIM);
    a = sim_add_id(&s, 1, 7);
    sim_start(&s, a);
    CHECK(posted(&s, "claim", NULL));
    CHECK_EQ(wss_elect_role(s.c[a].e), WSS_ELECT_ELECTING);
    CHECK_EQ(s.c[a].timer_at, 1000 + CLAIM);
    sim_run_until(&s, 1000 + CLAIM - 1);
    CHECK(!s.c[a].leading);
    sim_run_until(&s, 1000 + CLAIM);
    REQUIRE(s.c[a].leading);
    CHECK(did(&s, WSS_ACT_LEAD) && posted(&s, "beat", NULL));
    CHECK_EQ(s.last_a[0], 1); /* LEAD in term 1 */
    CHECK_EQ(wss_elect_term(s.c[a].e), 1);
    CHECK_EQ(wss_elect_leader(s.c[a].e), 7);
    CHECK_EQ(s.c[a].timer_at, 1000 + CLAIM + BEAT);
    /* Its lease: a lease less a window after the claim, the oldest of its posts. */
    CHECK_EQ(wss_elect_lease_until(s.c[a].e), 1000 + LEASE - CLAIM);
    sim_run_until(&s, 60000);
    CHECK(s.c[a].leading);
    CHECK(wss_elect_lease_until(s.c[a].e) > 60000);
    CHECK(!s.failed);
    sim_free(&s);
}

/* Starts n candidates at one instant, with these visibilities and ids (they
 * are candidates 0..n-1), and runs until `until`; returns the one that leads
 * then (-1: none or several). */
static int start_together(sim *s, int n, const int *vis, const uint32_t *ids, double until)
{
    int i;

    for (i = 0; i < n; i++)
        sim_add_id(s, vis[i], ids[i]);
    for (i = 0; i < n; i++)
        sim_start(s, i);
    sim_run_until(s, until);
    return leader_of(s);
}

static void election_should_choose_the_visible_candidate_when_several_start_at_one_instant(void)
{
    static const int vis[] = {0, 0, 1, 0};
    static const uint32_t ids[] = {900, 800, 5, 700};
    sim s;
    int i;

    sim_init(&s, 2, &prompt, NULL, LEASE, BEAT, CLAIM);
    CHECK_EQ(start_together(&s, 4, vis, ids, 1000 + settle(&s)), 2);
    /* One claim window and a delivery: no one waits for a lease. */
    for (i = 0; i < 4; i++)
        CHECK_EQ(s.c[i].announced, 5);
    CHECK_EQ(s.leads, 1);
    CHECK(!s.failed);
    sim_free(&s);
}

static void election_should_choose_the_highest_id_among_equally_visible_candidates(void)
{
    static const int hidden[] = {0, 0, 0};
    static const int shown[] = {1, 1, 1};
    static const uint32_t ids[] = {30, 4000000000u, 200};
    sim s;

    sim_init(&s, 3, &prompt, NULL, LEASE, BEAT, CLAIM);
    CHECK_EQ(start_together(&s, 3, hidden, ids, 1000 + settle(&s)), 1);
    CHECK(!s.failed);
    sim_free(&s);
    sim_init(&s, 4, &prompt, NULL, LEASE, BEAT, CLAIM);
    CHECK_EQ(start_together(&s, 3, shown, ids, 1000 + settle(&s)), 1);
    CHECK(!s.failed);
    sim_free(&s);
}

static void election_should_lead_within_one_lease_when_many_start_at_one_instant_on_a_lossy_channel(void)
{
    /* 20% lost (two in a row at most), 10% twice, 0..120 ms late. */
    static const chan lossy = {20, 2, 10, 0, 120};
    uint32_t seed;

    for (seed = 1; seed <= 200 && !test_failed(); seed++) {
        sim s;
        int i;
        int n = 2 + (int)(seed % 7);

        sim_init(&s, seed, &lossy, NULL, LEASE, BEAT, CLAIM);
        for (i = 0; i < n; i++)
            sim_add(&s, (int)(rnd(&s) % 2));
        for (i = 0; i < n; i++)
            sim_start(&s, i);
        sim_run_until(&s, 1000 + LEASE);
        CHECK(leader_of(&s) >= 0);
        sim_run_until(&s, 20000);
        CHECK(!s.failed);
        sim_free(&s);
    }
}

static void election_should_keep_a_hidden_leader_when_a_visible_tab_joins(void)
{
    sim s;
    int a;
    int b;

    sim_init(&s, 5, &prompt, NULL, LEASE, BEAT, CLAIM);
    a = sim_add_id(&s, 0, 10);
    sim_start(&s, a);
    sim_run_until(&s, 3000);
    REQUIRE(s.c[a].leading);
    b = sim_add_id(&s, 1, 99);
    sim_start(&s, b);
    /* The leader answers the joiner's claim: it follows two deliveries later. */
    sim_run_until(&s, 3010);
    CHECK_EQ(s.c[b].announced, 10);
    CHECK_EQ(wss_elect_role(s.c[b].e), WSS_ELECT_FOLLOWING);
    sim_run_until(&s, 20000);
    CHECK(s.c[a].leading);
    CHECK_EQ(s.leads, 1);
    CHECK(!s.failed);
    sim_free(&s);
}

static void election_should_take_a_few_messages_when_a_tab_joins_eight_others(void)
{
    static const int vis[] = {1, 0, 1, 0, 1, 0, 1, 0};
    static const uint32_t ids[] = {11, 22, 33, 44, 55, 66, 77, 88};
    sim s;
    long before;
    int j;

    sim_init(&s, 11, &prompt, NULL, LEASE, BEAT, CLAIM);
    REQUIRE(start_together(&s, 8, vis, ids, 10000) == 6);
    /* Between two beats: the joiner's claim, the answers of the followers
     * better than it (all, here), the leader's answers to each, the beat. */
    sim_run_until(&s, 10000 + 100);
    before = s.posts;
    j = sim_add_id(&s, 0, 1);
    sim_start(&s, j);
    sim_run_until(&s, 10000 + 100 + BEAT);
    CHECK(s.posts - before <= 2 * 9);
    CHECK_EQ(s.c[j].announced, 77);
    CHECK_EQ(s.leads, 1);
    CHECK(!s.failed);
    sim_free(&s);
}

static void election_should_hand_over_within_a_claim_window_when_the_leader_resigns(void)
{
    static const int vis[] = {1, 0, 1};
    static const uint32_t ids[] = {50, 40, 30};
    sim s;
    const int a = 0;
    const int b = 1;
    const int c = 2;

    sim_init(&s, 6, &prompt, NULL, LEASE, BEAT, CLAIM);
    s.lossless = 1;
    REQUIRE(start_together(&s, 3, vis, ids, 10000) == a);
    sim_resign(&s, a);
    CHECK(did(&s, WSS_ACT_STOP) && posted(&s, "resign", NULL));
    CHECK_EQ(wss_elect_role(s.c[a].e), WSS_ELECT_IDLE);
    CHECK_EQ(s.c[a].timer_at, 0);
    /* The resign arrives in 5 ms, both claim, the visible one wins a window later. */
    sim_run_until(&s, 10000 + 5 + CLAIM);
    CHECK_EQ(leader_of(&s), c);
    CHECK_EQ(s.handovers, 1);
    CHECK_EQ(s.max_handover, 5 + CLAIM);
    sim_run_until(&s, 10000 + 5 + CLAIM + 5);
    CHECK_EQ(s.c[b].announced, 30);
    CHECK(!s.failed);
    sim_free(&s);
}

static void election_should_replace_a_leader_that_died_within_one_lease(void)
{
    static const int vis[] = {1, 0, 1, 0};
    static const uint32_t ids[] = {90, 80, 20, 70};
    sim s;
    const int a = 0;
    const int b = 1;
    const int c = 2;
    const int d = 3;

    sim_init(&s, 7, &prompt, NULL, LEASE, BEAT, CLAIM);
    REQUIRE(start_together(&s, 4, vis, ids, 10000) == a);
    sim_kill(&s, a);
    sim_run_until(&s, 10000 + LEASE - 1);
    /* The visible survivor, though its id is the lowest. */
    CHECK_EQ(leader_of(&s), c);
    sim_run_until(&s, 10000 + settle(&s));
    CHECK_EQ(s.c[b].announced, 20);
    CHECK_EQ(s.c[d].announced, 20);
    CHECK(!s.failed);
    sim_free(&s);
}

/* A visible leader and a hidden follower. */
static const int pair_vis[] = {1, 0};
static const uint32_t pair_ids[] = {90, 10};

static void election_should_stop_a_leader_whose_lease_ran_out_while_it_was_frozen(void)
{
    sim s;
    const int a = 0;
    const int b = 1;

    sim_init(&s, 8, &prompt, NULL, LEASE, BEAT, CLAIM);
    REQUIRE(start_together(&s, 2, pair_vis, pair_ids, 10000) == a);
    sim_freeze(&s, a, 3 * LEASE);
    /* Its host would act the moment it thaws, until its lease ends; only
     * then can another lead. */
    CHECK_EQ(leader_of(&s), a);
    sim_run_until(&s, wss_elect_lease_until(s.c[a].e) - 1);
    CHECK_EQ(leader_of(&s), a);
    sim_run_until(&s, 10000 + LEASE);
    CHECK_EQ(leader_of(&s), b);
    /* Back, it steps down before doing anything as a leader, whatever
     * comes first, and follows the leader that answers its claim. */
    sim_run_until(&s, 10000 + 3 * LEASE);
    CHECK(!s.c[a].leading);
    CHECK_EQ(s.c[a].announced, 10);
    CHECK_EQ(leader_of(&s), b);
    CHECK(!s.failed);
    sim_free(&s);
}

static void election_should_keep_a_leader_frozen_for_less_than_its_lease(void)
{
    sim s;
    const int a = 0;
    const int b = 1;

    sim_init(&s, 9, &prompt, NULL, LEASE, BEAT, CLAIM);
    REQUIRE(start_together(&s, 2, pair_vis, pair_ids, 10000) == a);
    sim_freeze(&s, a, 1500);
    sim_run_until(&s, 20000);
    CHECK_EQ(leader_of(&s), a);
    CHECK_EQ(s.c[b].announced, 90);
    CHECK_EQ(s.leads, 1);
    CHECK(!s.failed);
    sim_free(&s);
}

static void election_should_settle_after_a_partition_heals_on_one_leader(void)
{
    /* Everything lost for a while: each candidate leads alone; once the
     * channel works again, all but the best-ranked leader step down. */
    static const chan cut = {100, 1000000, 0, 5, 5};
    sim s;
    int i;

    sim_init(&s, 10, &cut, NULL, LEASE, BEAT, CLAIM);
    s.unbounded = 1; /* no guarantee holds while everything is lost */
    for (i = 0; i < 3; i++)
        sim_add(&s, 1);
    for (i = 0; i < 3; i++)
        sim_start(&s, i);
    sim_run_until(&s, 5000);
    CHECK_EQ(acting_count(&s, NULL), 3);
    s.ch = prompt;
    s.unbounded = 0;
    s.multi_since = -1;
    note(&s, D_HEAL);
    sim_run_until(&s, 5000 + LEASE);
    CHECK(leader_of(&s) >= 0);
    sim_run_until(&s, 20000);
    CHECK(!s.failed);
    sim_free(&s);
}

/* ---- one candidate, fed by hand ----------------------------------------------- */

typedef struct one {
    wss_elect *e;
    double now;
    int rc;
    uint32_t n;
    const wss_action *acts;
} one;

static void one_open(one *o, uint32_t id, const char *config)
{
    memset(o, 0, sizeof(*o));
    o->now = 1000;
    o->rc = wss_elect_create(&o->e, id, config, config ? strlen(config) : 0);
}

static void one_took(one *o, int rc)
{
    o->rc = rc;
    o->acts = wss_elect_actions(o->e, &o->n);
}

static void one_msg(one *o, const char *json)
{
    one_took(o, wss_elect_message(o->e, json, strlen(json), o->now));
}

static void one_at(one *o, double now)
{
    o->now = now;
    one_took(o, wss_elect_tick(o->e, now));
}

static void msgf(one *o, const char *type, uint32_t id, uint32_t term, int vis)
{
    char buf[128];

    snprintf(buf, sizeof(buf), "{\"v\":1,\"t\":\"%s\",\"id\":%u,\"term\":%u,\"vis\":%s}", type,
             id, term, vis ? "true" : "false");
    one_msg(o, buf);
}

/* The last call's actions as a line, e.g. "STOP:3 FOLLOW:9/4 POST:claim TIMER:250". */
static const char *one_describe(const one *o)
{
    static char buf[512];
    size_t used = 0;
    uint32_t k;

    buf[0] = '\0';
    for (k = 0; k < o->n && used + 48 < sizeof(buf); k++) {
        const wss_action *a = &o->acts[k];
        const char *t = a->kind == WSS_ACT_ELECT_POST ? strstr(a->text, "\"t\":\"") : NULL;
        int w;

        if (t != NULL)
            w = snprintf(buf + used, sizeof(buf) - used, "%sPOST:%.*s", k ? " " : "",
                         (int)strcspn(t + 5, "\""), t + 5);
        else if (a->kind == WSS_ACT_ELECT_TIMER)
            w = a->a == UINT32_MAX ? snprintf(buf + used, sizeof(buf) - used, "%sTIMER:off", k ? " " : "")
                                   : snprintf(buf + used, sizeof(buf) - used, "%sTIMER:%u", k ? " " : "", a->a);
        else if (a->kind == WSS_ACT_LEAD)
            w = snprintf(buf + used, sizeof(buf) - used, "%sLEAD:%u", k ? " " : "", a->a);
        else if (a->kind == WSS_ACT_FOLLOW)
            w = snprintf(buf + used, sizeof(buf) - used, "%sFOLLOW:%u/%u", k ? " " : "", a->a, a->b);
        else if (a->kind == WSS_ACT_STOP)
            w = snprintf(buf + used, sizeof(buf) - used, "%sSTOP:%u", k ? " " : "", a->a);
        else
            w = snprintf(buf + used, sizeof(buf) - used, "%s?%u", k ? " " : "", a->kind);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

#define CHECK_ONE(o, expected) \
    do { \
        const char *got_ = one_describe(o); \
        if (strcmp(got_, (expected)) != 0) \
            check_fail(__FILE__, __LINE__, "actions\n    expected: %s\n    got:      %s", \
                       (expected), got_); \
    } while (0)

/* The text of the nth post of the last call. */
static const char *one_post(const one *o, int nth)
{
    uint32_t k;

    for (k = 0; k < o->n; k++)
        if (o->acts[k].kind == WSS_ACT_ELECT_POST && nth-- == 0)
            return o->acts[k].text;
    return "";
}

/* A candidate (id 50) that has just claimed, at 1000. */
static void one_claiming(one *o, int visible)
{
    one_open(o, 50, NULL);
    one_took(o, wss_elect_start(o->e, visible, o->now));
}

/* A candidate (id 50, hidden) that follows leader 60 in term 3 since 1000;
 * its claim window's timer has fired (at 1250). */
static void one_following(one *o)
{
    one_claiming(o, 0);
    msgf(o, "beat", 60, 3, 0);
    one_at(o, o->now + CLAIM);
}

/* A candidate (id 50, hidden) that leads in term 1. */
static void one_leading(one *o)
{
    one_claiming(o, 0);
    one_at(o, o->now + CLAIM);
}

static void election_should_answer_every_claim_with_a_beat_when_leading(void)
{
    one o;

    one_leading(&o);
    CHECK_ONE(&o, "LEAD:1 POST:beat TIMER:500");
    o.now += 100;
    msgf(&o, "claim", 99, 1, 1); /* a better joiner */
    CHECK_ONE(&o, "POST:beat");
    msgf(&o, "claim", 7, 8, 0); /* a follower that missed our beats */
    CHECK_ONE(&o, "POST:beat");
    CHECK(strstr(one_post(&o, 0), "\"term\":1") != NULL);
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_LEADING);
    wss_elect_destroy(o.e);
}

static void election_should_step_down_for_a_newer_terms_beat_and_answer_an_older_one(void)
{
    one o;

    one_leading(&o);
    msgf(&o, "beat", 40, 1, 0); /* same term, lower rank: it should learn of us */
    CHECK_ONE(&o, "POST:beat");
    msgf(&o, "beat", 60, 1, 0); /* same term, higher id */
    CHECK_ONE(&o, "STOP:1 FOLLOW:60/1");
    CHECK_EQ(wss_elect_lease_until(o.e), 0);
    wss_elect_destroy(o.e);
    one_leading(&o);
    msgf(&o, "beat", 2, 5, 0); /* a newer term wins whatever the rank */
    CHECK_ONE(&o, "STOP:1 FOLLOW:2/5");
    CHECK_EQ(wss_elect_term(o.e), 5);
    wss_elect_destroy(o.e);
    one_leading(&o);
    msgf(&o, "beat", 99, 1, 1); /* same term, visible */
    CHECK_ONE(&o, "STOP:1 FOLLOW:99/1");
    wss_elect_destroy(o.e);
}

static void election_should_counter_claim_a_worse_claim_once_while_following(void)
{
    one o;

    one_claiming(&o, 0);
    msgf(&o, "beat", 60, 3, 0);
    CHECK_ONE(&o, "FOLLOW:60/3"); /* the window's timer comes first: it re-arms */
    one_at(&o, o.now + CLAIM);
    CHECK_ONE(&o, "TIMER:3250");
    /* Worse: if our leader died, it must not win. A reply, which no
     * follower answers in turn. */
    msgf(&o, "claim", 20, 4, 0);
    CHECK_ONE(&o, "POST:claim TIMER:250");
    CHECK(strstr(one_post(&o, 0), "\"term\":5") != NULL);
    CHECK(strstr(one_post(&o, 0), "\"reply\":true") != NULL);
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_ELECTING);
    msgf(&o, "beat", 60, 3, 0); /* the leader answers: back to it, unannounced */
    CHECK_ONE(&o, "");
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_FOLLOWING);
    CHECK_EQ(wss_elect_leader(o.e), 60);
    msgf(&o, "claim", 20, 4, 0); /* a late copy */
    CHECK_ONE(&o, "");
    msgf(&o, "claim", 20, 7, 0); /* a new claim of the same candidate */
    CHECK_ONE(&o, "POST:claim"); /* the timer is armed for then already */
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_ELECTING);
    wss_elect_destroy(o.e);
}

static void election_should_let_a_better_claim_stand_for_it_while_following(void)
{
    one o;

    one_following(&o);
    msgf(&o, "claim", 70, 4, 0);
    /* Our leader, if it lives, answers it: we keep following. */
    CHECK_ONE(&o, "");
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_FOLLOWING);
    /* A worse one, while 70's window may still be open: 70 stands against
     * it; we only answer, as a reply, and open no window. */
    o.now += CLAIM;
    msgf(&o, "claim", 20, 4, 0);
    CHECK_ONE(&o, "POST:claim");
    CHECK(strstr(one_post(&o, 0), "\"reply\":true") != NULL);
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_FOLLOWING);
    /* Later, no better one is in its window: we stand ourselves. */
    o.now += 1;
    msgf(&o, "claim", 21, 4, 0);
    CHECK_ONE(&o, "POST:claim TIMER:250");
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_ELECTING);
    wss_elect_destroy(o.e);
    /* The better one wins, in a newer term: we follow it. */
    one_following(&o);
    msgf(&o, "claim", 70, 4, 0);
    msgf(&o, "beat", 70, 4, 0);
    CHECK_ONE(&o, "FOLLOW:70/4");
    wss_elect_destroy(o.e);
}

static void election_should_leave_answers_to_candidates_in_a_claim_window(void)
{
    static const char better[] = "{\"v\":1,\"t\":\"claim\",\"id\":70,\"term\":4,\"vis\":true,"
                                 "\"reply\":true}";
    static const char worse[] = "{\"v\":1,\"t\":\"claim\",\"id\":20,\"term\":4,\"vis\":false,"
                                "\"reply\":true}";
    one o;

    /* Answers to some claim: nothing for a follower to do (the claim
     * itself comes too), but a better one is remembered... */
    one_following(&o);
    one_msg(&o, worse);
    one_msg(&o, better);
    CHECK_ONE(&o, "");
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_FOLLOWING);
    /* ...so that, when the claim it answered comes after it, we only
     * answer: 70 stands against it already. */
    msgf(&o, "claim", 10, 3, 0);
    CHECK_ONE(&o, "POST:claim");
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_FOLLOWING);
    wss_elect_destroy(o.e);
    /* While claiming: a better answer wins over us like any better claim;
     * a worse one heard our claim already. */
    one_claiming(&o, 0);
    one_msg(&o, worse);
    CHECK_ONE(&o, "");
    one_msg(&o, better);
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_ELECTING);
    one_at(&o, o.now + CLAIM);
    CHECK_ONE(&o, "TIMER:1250"); /* it waits for 70, no LEAD */
    wss_elect_destroy(o.e);
}

static void election_should_follow_a_leader_of_a_lower_term_that_answers_its_claim(void)
{
    one o;

    /* Our leader (term 3) died unnoticed; a tab that opened since leads in
     * term 1. Claiming against a worse one, we hear it answer: we follow. */
    one_following(&o);
    msgf(&o, "beat", 99, 1, 1);
    CHECK_ONE(&o, ""); /* while following, a lower term loses to ours */
    msgf(&o, "claim", 20, 1, 0);
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_ELECTING);
    msgf(&o, "beat", 99, 1, 1);
    CHECK_ONE(&o, "FOLLOW:99/1");
    wss_elect_destroy(o.e);
}

static void election_should_forget_a_leader_that_claims(void)
{
    one o;

    /* Its lease ran out, or it came back: it leads no more. Worse than us:
     * we stand, as we would against any worse claim. */
    one_claiming(&o, 0);
    msgf(&o, "beat", 40, 3, 0);
    one_at(&o, o.now + CLAIM);
    msgf(&o, "claim", 40, 7, 0);
    CHECK_ONE(&o, "POST:claim TIMER:250");
    msgf(&o, "beat", 40, 3, 0); /* a late copy of its old beat */
    CHECK_ONE(&o, "");
    one_at(&o, o.now + CLAIM);
    CHECK_ONE(&o, "LEAD:8 POST:beat TIMER:500");
    wss_elect_destroy(o.e);
    /* Better than us: we wait for it as for any better claimant. */
    one_claiming(&o, 0);
    msgf(&o, "beat", 60, 3, 1);
    one_at(&o, o.now + CLAIM);
    msgf(&o, "claim", 60, 7, 1);
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_ELECTING);
    msgf(&o, "beat", 60, 7, 1);
    CHECK_ONE(&o, "");
    CHECK_EQ(wss_elect_term(o.e), 7);
    wss_elect_destroy(o.e);
}

static void election_should_yield_to_a_better_claim_and_answer_a_worse_one_while_claiming(void)
{
    one o;

    one_claiming(&o, 1);
    msgf(&o, "claim", 99, 1, 0); /* hidden: worse than us, visible */
    CHECK_ONE(&o, "POST:claim");
    msgf(&o, "claim", 10, 1, 1); /* visible, lower id: worse */
    CHECK_ONE(&o, "POST:claim");
    CHECK(strstr(one_post(&o, 0), "\"reply\":true") != NULL);
    one_msg(&o, "{\"v\":1,\"t\":\"claim\",\"id\":11,\"term\":1,\"vis\":true,\"reply\":true}");
    CHECK_ONE(&o, ""); /* an answer: it heard our claim */
    msgf(&o, "claim", 51, 1, 1); /* visible, higher id: better */
    CHECK_ONE(&o, "");
    /* A worse one gets our claim, lest it win should 51 have died; we
     * still wait for 51. */
    msgf(&o, "claim", 49, 1, 1);
    CHECK_ONE(&o, "POST:claim");
    CHECK(strstr(one_post(&o, 0), "\"reply\":true") != NULL);
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_ELECTING);
    one_at(&o, o.now + CLAIM);
    CHECK_ONE(&o, "TIMER:1250"); /* no LEAD: it waits for the better one's beat */
    msgf(&o, "beat", 51, 1, 1);
    CHECK_ONE(&o, "FOLLOW:51/1");
    wss_elect_destroy(o.e);
    /* The better one never beats (it died): claim. */
    one_claiming(&o, 1);
    msgf(&o, "claim", 51, 1, 1);
    one_at(&o, 1000 + 2 * CLAIM + 2 * BEAT);
    CHECK_ONE(&o, "POST:claim TIMER:250");
    wss_elect_destroy(o.e);
}

static void election_should_claim_again_at_once_when_its_leader_resigns(void)
{
    one o;

    one_following(&o);
    o.now += 100;
    one_msg(&o, "{\"v\":1,\"t\":\"resign\",\"id\":60,\"term\":3}");
    CHECK_ONE(&o, "POST:claim TIMER:250");
    /* A late copy of its last beat must not bring it back. */
    msgf(&o, "beat", 60, 3, 0);
    CHECK_ONE(&o, "");
    one_at(&o, o.now + CLAIM);
    CHECK_ONE(&o, "LEAD:4 POST:beat TIMER:500");
    wss_elect_destroy(o.e);
}

static void election_should_claim_after_its_leader_falls_silent_for_a_lease_less_two_windows(void)
{
    one o;

    one_following(&o);
    one_at(&o, 1000 + LEASE - 2 * CLAIM - 1);
    CHECK_ONE(&o, "TIMER:1");
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_FOLLOWING);
    one_at(&o, 1000 + LEASE - 2 * CLAIM);
    CHECK_ONE(&o, "POST:claim TIMER:250");
    wss_elect_destroy(o.e);
}

static void election_should_arm_its_timer_only_when_the_deadline_comes_sooner(void)
{
    one o;

    one_following(&o);
    o.now += 400;
    msgf(&o, "beat", 60, 3, 0); /* later deadline: the armed timer will re-arm */
    CHECK_ONE(&o, "");
    one_at(&o, 1000 + LEASE - 2 * CLAIM);
    CHECK_ONE(&o, "TIMER:650");
    wss_elect_resign(o.e, o.now);
    one_took(&o, WSS_OK);
    CHECK_ONE(&o, "TIMER:off");
    wss_elect_destroy(o.e);
}

static void election_should_stop_at_its_first_call_after_its_lease_ran_out(void)
{
    one o;
    double until;

    one_leading(&o);
    until = wss_elect_lease_until(o.e);
    CHECK_EQ(until, 1000 + LEASE - CLAIM);
    /* Frozen; back, its late timer: no beat as a leader (the simulated
     * scenarios also let a message come first). */
    one_at(&o, until);
    CHECK_ONE(&o, "STOP:1 POST:claim TIMER:250");
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_ELECTING);
    /* Its old beats are what others timed it out on: it claims until three
     * fresh posts make a lease, rather than lead at once. */
    one_at(&o, o.now + CLAIM);
    CHECK_ONE(&o, "POST:claim TIMER:250");
    one_at(&o, o.now + CLAIM);
    CHECK_ONE(&o, "LEAD:2 POST:beat TIMER:500");
    wss_elect_destroy(o.e);
}

static void election_should_claim_again_rather_than_lead_when_its_window_ended_long_ago(void)
{
    one o;

    one_claiming(&o, 1);
    /* Frozen in its window, back a lease later: others may lead by now. */
    one_at(&o, 1000 + LEASE);
    CHECK_ONE(&o, "POST:claim TIMER:250");
    msgf(&o, "beat", 10, 2, 0);
    CHECK_ONE(&o, "FOLLOW:10/2");
    wss_elect_destroy(o.e);
}

static void election_should_repost_its_claim_when_it_becomes_visible_and_unyield(void)
{
    one o;

    one_claiming(&o, 0);
    one_took(&o, wss_elect_visibility(o.e, 1, o.now));
    CHECK_ONE(&o, "POST:claim");
    CHECK(strstr(one_post(&o, 0), "\"vis\":true") != NULL);
    wss_elect_destroy(o.e);
    one_claiming(&o, 0);
    msgf(&o, "claim", 60, 1, 0); /* yields to a hidden, higher id */
    one_took(&o, wss_elect_visibility(o.e, 1, o.now));
    CHECK_ONE(&o, "POST:claim");
    CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_ELECTING);
    one_at(&o, o.now + CLAIM);
    CHECK_ONE(&o, "LEAD:2 POST:beat TIMER:500");
    wss_elect_destroy(o.e);
}

static void election_should_start_again_after_resigning_in_a_newer_term(void)
{
    one o;

    one_leading(&o);
    CHECK_EQ(wss_elect_start(o.e, 1, o.now), WSS_EREJECT);
    wss_elect_resign(o.e, o.now);
    one_took(&o, WSS_OK);
    CHECK_ONE(&o, "POST:resign STOP:1 TIMER:off");
    CHECK(strstr(one_post(&o, 0), "\"term\":1") != NULL);
    msgf(&o, "beat", 60, 3, 0); /* idle: nothing */
    CHECK_ONE(&o, "");
    one_took(&o, wss_elect_start(o.e, 1, o.now));
    CHECK_EQ(o.rc, WSS_OK);
    CHECK_ONE(&o, "POST:claim TIMER:250");
    CHECK(strstr(one_post(&o, 0), "\"term\":2") != NULL);
    wss_elect_destroy(o.e);
}

static long long elect_stat(wss_elect *e, const char *key)
{
    const char *text = wss_elect_stats_json(e);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    long long v;

    if (item == NULL)
        item = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "rejected"),
                                                key);
    v = cJSON_IsNumber(item) ? (long long)item->valuedouble : -1;
    cJSON_Delete(root);
    return v;
}

static void election_should_reject_every_invalid_message_by_reason_and_change_nothing(void)
{
    static const struct {
        const char *json;
        const char *reason;
        int rc;
    } cases[] = {
        {"", "malformed", WSS_EINVAL},
        {"not json", "malformed", WSS_EINVAL},
        {"[1,2]", "malformed", WSS_EINVAL},
        {"{\"t\":\"beat\",\"id\":9,\"term\":9,\"vis\":true}", "malformed", WSS_EINVAL},
        {"{\"v\":\"1\",\"t\":\"beat\",\"id\":9,\"term\":9,\"vis\":true}", "malformed", WSS_EINVAL},
        {"{\"v\":2,\"t\":\"beat\",\"id\":9,\"term\":9,\"vis\":true}", "version", WSS_EREJECT},
        {"{\"v\":1,\"t\":\"elect\",\"id\":9,\"term\":9,\"vis\":true}", "type", WSS_EREJECT},
        {"{\"v\":1,\"t\":5,\"id\":9,\"term\":9,\"vis\":true}", "malformed", WSS_EINVAL},
        {"{\"v\":1,\"t\":\"beat\",\"term\":9,\"vis\":true}", "malformed", WSS_EINVAL},
        {"{\"v\":1,\"t\":\"beat\",\"id\":0,\"term\":9,\"vis\":true}", "malformed", WSS_EINVAL},
        {"{\"v\":1,\"t\":\"beat\",\"id\":-9,\"term\":9,\"vis\":true}", "malformed", WSS_EINVAL},
        {"{\"v\":1,\"t\":\"beat\",\"id\":9.5,\"term\":9,\"vis\":true}", "malformed", WSS_EINVAL},
        {"{\"v\":1,\"t\":\"beat\",\"id\":4294967296,\"term\":9,\"vis\":true}", "malformed",
         WSS_EINVAL},
        {"{\"v\":1,\"t\":\"beat\",\"id\":9,\"term\":0,\"vis\":true}", "malformed", WSS_EINVAL},
        {"{\"v\":1,\"t\":\"beat\",\"id\":9,\"vis\":true}", "malformed", WSS_EINVAL},
        {"{\"v\":1,\"t\":\"beat\",\"id\":9,\"term\":9}", "malformed", WSS_EINVAL},
        {"{\"v\":1,\"t\":\"claim\",\"id\":9,\"term\":9,\"vis\":1}", "malformed", WSS_EINVAL},
        {"{\"v\":1,\"t\":\"resign\",\"id\":9}", "malformed", WSS_EINVAL},
        {"{\"v\":1,\"t\":\"claim\",\"id\":9,\"term\":9,\"vis\":true,\"reply\":1}", "malformed",
         WSS_EINVAL},
        {"{\"v\":1,\"t\":\"beat\",\"id\":9,\"term\":9,\"vis\":true", "malformed", WSS_EINVAL},
        {"{\"v\":1,\"t\":\"beat\",\"id\":50,\"term\":9,\"vis\":true}", "self", WSS_EREJECT},
    };
    char big[400];
    size_t i;

    memset(big, ' ', sizeof(big));
    memcpy(big, "{\"v\":1,\"t\":\"beat\",\"id\":9,\"term\":9,\"vis\":true}", 45);
    big[sizeof(big) - 2] = '}';
    big[sizeof(big) - 1] = '\0';
    for (i = 0; i <= sizeof(cases) / sizeof(cases[0]); i++) {
        const char *json = i < sizeof(cases) / sizeof(cases[0]) ? cases[i].json : big;
        const char *reason = i < sizeof(cases) / sizeof(cases[0]) ? cases[i].reason : "size";
        int want = i < sizeof(cases) / sizeof(cases[0]) ? cases[i].rc : WSS_EINVAL;
        one o;

        one_following(&o);
        one_msg(&o, json);
        if (o.rc != want)
            check_fail(__FILE__, __LINE__, "case %zu gave %d", i, o.rc);
        if (elect_stat(o.e, reason) != 1)
            check_fail(__FILE__, __LINE__, "case %zu not counted as %s", i, reason);
        CHECK_ONE(&o, "");
        CHECK_EQ(elect_stat(o.e, "received"), 1);
        CHECK_EQ(wss_elect_role(o.e), WSS_ELECT_FOLLOWING);
        CHECK_EQ(wss_elect_leader(o.e), 60);
        CHECK_EQ(wss_elect_term(o.e), 3);
        /* Nothing moved: it times out exactly when it would have. */
        one_at(&o, 1000 + LEASE - 2 * CLAIM);
        CHECK_ONE(&o, "POST:claim TIMER:250");
        wss_elect_destroy(o.e);
    }
    {
        one o;

        one_following(&o);
        one_took(&o, wss_elect_message(o.e, NULL, 10, o.now));
        CHECK_EQ(o.rc, WSS_EINVAL);
        CHECK_EQ(elect_stat(o.e, "size"), 1);
        wss_elect_destroy(o.e);
    }
}

static void election_should_accept_unknown_keys_and_count_what_it_did(void)
{
    one o;
    const char *text;
    cJSON *root;

    one_following(&o);
    one_msg(&o, "{\"v\":1,\"t\":\"beat\",\"id\":60,\"term\":3,\"vis\":false,\"later\":[1]}");
    CHECK_EQ(o.rc, WSS_OK);
    CHECK_EQ(elect_stat(o.e, "received"), 2);
    CHECK_EQ(elect_stat(o.e, "claims"), 1);
    text = wss_elect_stats_json(o.e);
    root = cJSON_Parse(text);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "role")), "following");
    CHECK_EQ(elect_stat(o.e, "leader"), 60);
    CHECK_EQ(elect_stat(o.e, "term"), 3);
    CHECK_EQ(elect_stat(o.e, "id"), 50);
    CHECK_EQ(elect_stat(o.e, "outOfMemory"), 0);
    CHECK_EQ(elect_stat(o.e, "leads") + elect_stat(o.e, "stepDowns") + elect_stat(o.e, "beats"), 0);
    cJSON_Delete(root);
    wss_elect_destroy(o.e);
}

static void election_should_refuse_a_zero_id_and_a_bad_config(void)
{
    static const char *const bad[] = {
        "[]", "{\"leaseMs\":\"4000\"}", "{\"beatMs\":0}", "{\"claimMs\":-1}",
        "{\"leaseMs\":1.5}", "{\"leaseMs\":2249}", "{\"beatMs\":3600001,\"leaseMs\":3600000}",
        "{\"leaseMs\":",
    };
    size_t i;
    one o;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        one_open(&o, 5, bad[i]);
        if (o.rc != WSS_EINVAL || o.e != NULL)
            check_fail(__FILE__, __LINE__, "config %s gave %d", bad[i], o.rc);
    }
    one_open(&o, 0, NULL);
    CHECK_EQ(o.rc, WSS_EINVAL);
    CHECK(o.e == NULL);
    /* The smallest lease the rule allows, and keys for others. */
    one_open(&o, 5, "{\"leaseMs\":2250,\"beatMs\":500,\"claimMs\":250,\"url\":\"x\"}");
    CHECK_EQ(o.rc, WSS_OK);
    wss_elect_destroy(o.e);
    one_open(&o, 5, "{\"leaseMs\":1200,\"beatMs\":200,\"claimMs\":100}");
    REQUIRE(o.rc == WSS_OK);
    one_took(&o, wss_elect_start(o.e, 0, o.now));
    CHECK_ONE(&o, "POST:claim TIMER:100");
    one_at(&o, o.now + 100);
    CHECK_ONE(&o, "LEAD:1 POST:beat TIMER:200");
    CHECK_EQ(wss_elect_lease_until(o.e), 1000 + 1200 - 100);
    wss_elect_destroy(o.e);
}

/* ---- sweeps over many seeds ------------------------------------------------------ */

static int pick(sim *s, int leader_bias, int (*ok)(const sim *, int))
{
    int lead = leader_of(s);
    int cands[MAXC];
    int n = 0;
    int i;

    if (lead >= 0 && ok(s, lead) && below(s, 100) < (uint32_t)leader_bias)
        return lead;
    for (i = 0; i < s->n; i++)
        if (ok(s, i))
            cands[n++] = i;
    return n ? cands[below(s, (uint32_t)n)] : -1;
}

static int can_die(const sim *s, int i)
{
    return s->c[i].exists && !s->c[i].dead;
}

static int can_restart(const sim *s, int i)
{
    return s->c[i].exists && !s->c[i].dead && !s->c[i].frozen && !s->c[i].started;
}

/* One random disruption. */
static void disrupt(sim *s)
{
    uint32_t what = below(s, 100);
    int i;

    if (what < 22 && s->n < MAXC) {
        /* Some come in pairs and threes, at one instant. */
        uint32_t k = 1 + (below(s, 3) == 0 ? below(s, 3) : 0);

        while (k-- > 0 && s->n < MAXC) {
            i = sim_add(s, (int)below(s, 2));
            if (i >= 0)
                sim_start(s, i);
        }
    } else if (what < 36 && (i = pick(s, 50, can_die)) >= 0) {
        sim_kill(s, i);
    } else if (what < 52 && (i = pick(s, 50, running)) >= 0) {
        sim_freeze(s, i, 100 + below(s, (uint32_t)(2 * s->lease)));
    } else if (what < 66 && (i = pick(s, 50, running)) >= 0) {
        sim_resign(s, i);
    } else if (what < 76 && (i = pick(s, 0, can_restart)) >= 0) {
        sim_start(s, i);
    } else if ((i = pick(s, 30, running)) >= 0) {
        sim_visibility(s, i, !s->c[i].visible);
    }
}

typedef struct sweep {
    const chan *ch;
    const char *config;
    double lease;
    double beat;
    double claim;
    int lossless;
    uint32_t seeds;
    double ms; /* simulated time per seed */
} sweep;

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static uint32_t seeds_to_run(uint32_t fallback)
{
    const char *env = getenv("WSS_ELECT_SEEDS");
    long n = env ? strtol(env, NULL, 10) : 0;

    return n > 0 ? (uint32_t)n : fallback;
}

/* Runs of storms (disruptions a few hundred ms apart) and calms (longer
 * than it takes to settle, so the liveness checks have their turn). */
static void run_sweep(const sweep *w, const char *name)
{
    double overlap = 0;
    double handover = 0;
    long handovers = 0;
    long leads = 0;
    long posts = 0;
    double *failovers = NULL;
    size_t nfailovers = 0;
    uint32_t seeds = seeds_to_run(w->seeds);
    uint32_t seed;

    for (seed = 1; seed <= seeds && !test_failed(); seed++) {
        sim s;
        int i;
        int n = 2 + (int)(seed % 4);

        sim_init(&s, seed * 2654435761u, w->ch, w->config, w->lease, w->beat, w->claim);
        s.lossless = w->lossless;
        for (i = 0; i < n; i++)
            sim_add(&s, (int)below(&s, 2));
        for (i = 0; i < n; i++)
            sim_start(&s, i);
        while (s.now < w->ms && !s.failed) {
            uint32_t storm = 1 + below(&s, 6);

            while (storm-- > 0 && !s.failed) {
                sim_run_until(&s, s.now + below(&s, 600));
                disrupt(&s);
            }
            sim_run_until(&s, s.now + settle(&s) + below(&s, 4000));
        }
        if (s.max_overlap > overlap)
            overlap = s.max_overlap;
        if (s.max_handover > handover)
            handover = s.max_handover;
        handovers += s.handovers;
        leads += s.leads;
        posts += s.posts;
        failovers = realloc(failovers, (nfailovers + s.nfailovers + 1) * sizeof(double));
        if (s.nfailovers > 0)
            memcpy(failovers + nfailovers, s.failovers, s.nfailovers * sizeof(double));
        nfailovers += s.nfailovers;
        sim_free(&s);
    }
    qsort(failovers, nfailovers, sizeof(double), by_value);
    printf("  %s: %u runs of %.0f s; %ld LEADs, %.1f posts a second; longest overlap of two "
           "acting leaders %.0f ms (lease %.0f)",
           name, seeds, w->ms / 1000, leads, (double)posts / (seeds * w->ms / 1000), overlap,
           w->lease);
    if (w->lossless)
        printf("; %ld resign handovers, slowest %.0f ms", handovers, handover);
    if (nfailovers > 0)
        printf("; %zu failovers from a dead or frozen leader, median %.0f ms, slowest %.0f ms",
               nfailovers, failovers[nfailovers / 2], failovers[nfailovers - 1]);
    printf("\n");
    free(failovers);
}

static void election_should_keep_its_guarantees_on_a_channel_that_loses_delays_and_duplicates(void)
{
    static const chan lossy = {20, 2, 10, 0, 120};
    static const sweep w = {&lossy, NULL, LEASE, BEAT, CLAIM, 0, 150, 60000};

    run_sweep(&w, "lossy channel");
}

static void election_should_hand_over_on_resign_and_prefer_visible_tabs_when_nothing_is_lost(void)
{
    static const chan reordering = {0, 0, 15, 0, 120};
    static const sweep w = {&reordering, NULL, LEASE, BEAT, CLAIM, 1, 150, 60000};

    run_sweep(&w, "reordering channel");
}

static void election_should_keep_its_guarantees_with_shorter_timings(void)
{
    static const chan lossy = {20, 2, 10, 1, 45};
    static const sweep w = {&lossy, "{\"leaseMs\":1500,\"beatMs\":200,\"claimMs\":100}",
                            1500, 200, 100, 0, 60, 30000};

    run_sweep(&w, "short timings");
}

/* ---- out of memory --------------------------------------------------------------- */

static void election_oom_should_fail_create_cleanly_at_every_allocation(void)
{
    static const char config[] = "{\"leaseMs\":5000}";
    long n;

    for (n = 1; n < 1000; n++) {
        wss_elect *e = (wss_elect *)&e;
        int rc;

        fa_install(n, 0);
        rc = wss_elect_create(&e, 3, config, strlen(config));
        if (rc == WSS_OK) {
            CHECK(e != NULL);
            wss_elect_destroy(e);
            CHECK_EQ(fa_failures(), 0);
            CHECK_EQ(fa_live(), 0);
            return;
        }
        /* cJSON cannot tell a failed allocation from bad text. */
        CHECK(rc == WSS_ENOMEM || rc == WSS_EINVAL);
        CHECK(e == NULL);
        CHECK_EQ(fa_live(), 0);
    }
    check_fail(__FILE__, __LINE__, "wss_elect_create never succeeded");
}

/* Three candidates through a start, a resign and a restart, a visibility
 * change, a freeze past the lease (the leader stops when it thaws) and a
 * death, then settled. */
static void oom_session(sim *s)
{
    int i;

    for (i = 0; i < 3; i++)
        sim_add_id(s, i == 1, 100 + (uint32_t)i);
    for (i = 0; i < s->n; i++)
        sim_start(s, i);
    sim_run_until(s, 1500);
    sim_resign(s, 1);
    sim_run_until(s, 1700);
    sim_start(s, 1);
    sim_visibility(s, 0, 1);
    sim_run_until(s, 2200);
    if (leader_of(s) >= 0)
        sim_freeze(s, leader_of(s), s->lease);
    sim_run_until(s, 2400);
    sim_kill(s, 2);
    sim_run_until(s, 2200 + s->lease + settle(s));
    for (i = 0; i < s->n; i++)
        (void)wss_elect_stats_json(s->c[i].e);
}

/* Runs the session once per allocation it makes, failing that one (or every
 * one from it on). One failure loses at most one message: every guarantee
 * still holds. For good, posts stop: only the books must stay right. */
static void sweep_session(int sticky)
{
    long n;

    for (n = 1; n < 100000; n++) {
        sim s;
        long failed;

        fa_install(n, sticky);
        sim_init(&s, (uint32_t)n, &prompt, NULL, LEASE, BEAT, CLAIM);
        s.unbounded = sticky;
        oom_session(&s);
        failed = fa_failures();
        if (!sticky && s.failed)
            check_fail(__FILE__, __LINE__, "allocation %ld failed: a guarantee broke", n);
        if (!sticky && leader_of(&s) < 0)
            check_fail(__FILE__, __LINE__, "allocation %ld failed: no leader at the end", n);
        sim_free(&s);
        if (fa_live() != 0)
            check_fail(__FILE__, __LINE__, "allocation %ld failed%s: %ld blocks leaked", n,
                       sticky ? " and all after" : "", fa_live());
        fa_uninstall();
        if (failed == 0 || test_failed())
            break;
    }
    CHECK(n > 100);
}

static void election_oom_should_keep_every_guarantee_when_any_one_allocation_fails(void)
{
    sweep_session(0);
}

static void election_oom_should_keep_its_books_and_leak_nothing_when_memory_runs_out_for_good(void)
{
    sweep_session(1);
}

static void election_oom_should_keep_its_books_under_random_allocation_failures(void)
{
    static const chan lossy = {20, 2, 10, 0, 120};
    uint32_t seed;

    for (seed = 1; seed <= 20 && !test_failed(); seed++) {
        sim s;
        int i;

        fa_install_random(seed, 7);
        sim_init(&s, seed, &lossy, NULL, LEASE, BEAT, CLAIM);
        s.unbounded = 1;
        for (i = 0; i < 4; i++)
            sim_add(&s, (int)((seed + (uint32_t)i) % 2));
        for (i = 0; i < s.n; i++)
            sim_start(&s, i);
        while (s.now < 30000 && !s.failed) {
            sim_run_until(&s, s.now + below(&s, 2000));
            disrupt(&s);
        }
        CHECK(!s.failed);
        CHECK(fa_failures() > 0);
        sim_free(&s);
        CHECK_EQ(fa_live(), 0);
        fa_uninstall();
    }
}

const test_case election_tests[] = {
    TEST_CASE(election_should_make_a_lone_candidate_lead_after_one_claim_window),
    TEST_CASE(election_should_choose_the_visible_candidate_when_several_start_at_one_instant),
    TEST_CASE(election_should_choose_the_highest_id_among_equally_visible_candidates),
    TEST_CASE(election_should_lead_within_one_lease_when_many_start_at_one_instant_on_a_lossy_channel),
    TEST_CASE(election_should_keep_a_hidden_leader_when_a_visible_tab_joins),
    TEST_CASE(election_should_take_a_few_messages_when_a_tab_joins_eight_others),
    TEST_CASE(election_should_hand_over_within_a_claim_window_when_the_leader_resigns),
    TEST_CASE(election_should_replace_a_leader_that_died_within_one_lease),
    TEST_CASE(election_should_stop_a_leader_whose_lease_ran_out_while_it_was_frozen),
    TEST_CASE(election_should_keep_a_leader_frozen_for_less_than_its_lease),
    TEST_CASE(election_should_settle_after_a_partition_heals_on_one_leader),
    TEST_CASE(election_should_answer_every_claim_with_a_beat_when_leading),
    TEST_CASE(election_should_step_down_for_a_newer_terms_beat_and_answer_an_older_one),
    TEST_CASE(election_should_counter_claim_a_worse_claim_once_while_following),
    TEST_CASE(election_should_let_a_better_claim_stand_for_it_while_following),
    TEST_CASE(election_should_leave_answers_to_candidates_in_a_claim_window),
    TEST_CASE(election_should_follow_a_leader_of_a_lower_term_that_answers_its_claim),
    TEST_CASE(election_should_forget_a_leader_that_claims),
    TEST_CASE(election_should_yield_to_a_better_claim_and_answer_a_worse_one_while_claiming),
    TEST_CASE(election_should_claim_again_at_once_when_its_leader_resigns),
    TEST_CASE(election_should_claim_after_its_leader_falls_silent_for_a_lease_less_two_windows),
    TEST_CASE(election_should_arm_its_timer_only_when_the_deadline_comes_sooner),
    TEST_CASE(election_should_stop_at_its_first_call_after_its_lease_ran_out),
    TEST_CASE(election_should_claim_again_rather_than_lead_when_its_window_ended_long_ago),
    TEST_CASE(election_should_repost_its_claim_when_it_becomes_visible_and_unyield),
    TEST_CASE(election_should_start_again_after_resigning_in_a_newer_term),
    TEST_CASE(election_should_reject_every_invalid_message_by_reason_and_change_nothing),
    TEST_CASE(election_should_accept_unknown_keys_and_count_what_it_did),
    TEST_CASE(election_should_refuse_a_zero_id_and_a_bad_config),
    TEST_CASE(election_should_keep_its_guarantees_on_a_channel_that_loses_delays_and_duplicates),
    TEST_CASE(election_should_hand_over_on_resign_and_prefer_visible_tabs_when_nothing_is_lost),
    TEST_CASE(election_should_keep_its_guarantees_with_shorter_timings),
    TEST_CASE(election_oom_should_fail_create_cleanly_at_every_allocation),
    TEST_CASE(election_oom_should_keep_every_guarantee_when_any_one_allocation_fails),
    TEST_CASE(election_oom_should_keep_its_books_and_leak_nothing_when_memory_runs_out_for_good),
    TEST_CASE(election_oom_should_keep_its_books_under_random_allocation_failures),
    TEST_END,
};
