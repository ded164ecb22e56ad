/*
 * Leader election where there are no Web Locks: each tab's candidate agrees
 * with the others on the one that leads, by claims and beats on a channel of
 * their own. Sans-IO like the broker: messages, time and visibility in; posts,
 * one timer and the decisions (lead, follow, stop) out. The protocol and what
 * it guarantees are in wsshare.h.
 */
#include <string.h>

#include "cJSON.h"
#include "internal.h"

#ifndef WSS_MAX_ELECTION_BYTES
#define WSS_MAX_ELECTION_BYTES 256
#endif
/* Bounds of a configured duration, in ms. */
#ifndef WSS_MAX_ELECTION_MS
#define WSS_MAX_ELECTION_MS 3600000
#endif

/* Actions one event can produce, at most: a stop and a claim as it begins,
 * two as it is heard (STOP and FOLLOW), two for a deadline (LEAD and a
 * beat), the timer. */
#define ELECT_ACTIONS 8

enum role { R_IDLE, R_CLAIM, R_YIELD, R_FOLLOW, R_LEAD };
enum msg_type { M_CLAIM = 1, M_BEAT, M_RESIGN };
enum elect_reject { ER_MALFORMED, ER_VERSION, ER_TYPE, ER_SIZE, ER_SELF, ER_COUNT };

typedef struct elect_msg {
    int type;
    uint32_t id;
    uint32_t term;
    int vis;
    int reply; /* a claim that answers another claim */
} elect_msg;

struct wss_elect {
    action_buf actions;
    uint32_t id;
    double lease_ms;
    double beat_ms;
    double claim_ms;
    int role;
    int visible;
    uint32_t term;      /* the highest term seen or claimed */
    uint32_t lead_term; /* R_LEAD: the term this candidate leads in */
    /* The leader we follow, or followed until a claim came; 0: none. */
    uint32_t leader;
    uint32_t leader_term;
    int leader_vis;
    double leader_heard;
    /* R_YIELD: the better claimant we wait for. R_FOLLOW: the best claimant
     * better than us heard lately. */
    uint32_t rival;
    int rival_vis;
    double rival_heard;
    double claim_until; /* R_CLAIM: the end of the claim window */
    double next_beat;   /* R_LEAD */
    double posts[3];    /* when our last three posts left, oldest first */
    uint32_t announced; /* the leader last announced by LEAD or FOLLOW; 0: none */
    uint32_t stopped;   /* the last leader known to have stopped, and its term */
    uint32_t stopped_term;
    uint32_t answered;  /* the last claim we answered, and its term */
    uint32_t answered_term;
    double now;
    double armed; /* the deadline the host's timer is set for; 0: none */
    struct {
        uint64_t claims;
        uint64_t beats;
        uint64_t resigns;
        uint64_t received;
        uint64_t leads;
        uint64_t step_downs;
        uint64_t oom;
        uint64_t rejected[ER_COUNT];
    } stats;
    char *stats_text;
};

/* How long a leader may stay silent: its last beat reaches us within half a
 * claim window, our claim and a better follower's answer take another half
 * and a window, and all that must fit in one lease. */
static double silence_ms(const wss_elect *e)
{
    return e->lease_ms - 2 * e->claim_ms;
}

/* How long a better claimant may stay silent: its window, two deliveries
 * and two beats (the channel may lose two in a row). Then it lost to a
 * leader that would have reached us too, or died. */
static double rival_ms(const wss_elect *e)
{
    return 2 * e->claim_ms + 2 * e->beat_ms;
}

static int leader_alive(const wss_elect *e)
{
    return e->leader != 0 && e->now < e->leader_heard + silence_ms(e);
}

/* Claims rank by visibility, then by id. */
static int claim_better(int vis_a, uint32_t id_a, int vis_b, uint32_t id_b)
{
    return vis_a != vis_b ? vis_a > vis_b : id_a > id_b;
}

/* Leaders rank by term first, so the leader of a newer election wins. */
static int leader_better(uint32_t term_a, int vis_a, uint32_t id_a, uint32_t term_b, int vis_b,
                         uint32_t id_b)
{
    return term_a != term_b ? term_a > term_b : claim_better(vis_a, id_a, vis_b, id_b);
}

/* Reads `key` as an integer in [min, max]: 1 when it is one, 0 when absent,
 * -1 when present but not such a number. */
static int read_uint(const cJSON *obj, const char *key, uint32_t min, uint32_t max,
                     uint32_t *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    uint32_t u;

    if (item == NULL)
        return 0;
    if (json_u32(item, min, &u) != WSS_OK || u > max)
        return -1;
    *out = u;
    return 1;
}

static int parse_config(wss_elect *e, const char *json, size_t len)
{
    static const char *const keys[] = {"leaseMs", "beatMs", "claimMs"};
    uint32_t ms[] = {4000, 500, 250};
    cJSON *root;
    size_t i;
    int ok;

    if (json != NULL && len > 0) {
        root = cJSON_ParseWithLength(json, len);
        ok = cJSON_IsObject(root);
        for (i = 0; ok && i < sizeof(keys) / sizeof(keys[0]); i++)
            ok = read_uint(root, keys[i], 1, WSS_MAX_ELECTION_MS, &ms[i]) >= 0;
        cJSON_Delete(root);
        if (!ok)
            return WSS_EINVAL;
    }
    /* A lease must hold three beats and three claim windows: followers then
     * outwait two lost beats, and a leader's lease outlasts its next beat. */
    if ((double)ms[0] < 3.0 * ((double)ms[1] + (double)ms[2]))
        return WSS_EINVAL;
    e->lease_ms = ms[0];
    e->beat_ms = ms[1];
    e->claim_ms = ms[2];
    return WSS_OK;
}

int wss_elect_create(wss_elect **out, uint32_t id, const char *config_json, size_t len)
{
    wss_elect *e;
    int rc;

    *out = NULL;
    if (id == 0)
        return WSS_EINVAL;
    e = wss_malloc(sizeof(*e));
    if (e == NULL)
        return WSS_ENOMEM;
    memset(e, 0, sizeof(*e));
    e->id = id;
    rc = parse_config(e, config_json, len);
    /* The room every later call needs, kept for good: no event is ever
     * refused for memory, only a post can be lost, like one the channel lost. */
    if (rc == WSS_OK && actions_reserve(&e->actions, ELECT_ACTIONS) != WSS_OK)
        rc = WSS_ENOMEM;
    if (rc != WSS_OK) {
        wss_elect_destroy(e);
        return rc;
    }
    *out = e;
    return WSS_OK;
}

void wss_elect_destroy(wss_elect *e)
{
    if (e == NULL)
        return;
    actions_free(&e->actions);
    wss_free(e->stats_text);
    wss_free(e);
}

/* ---- messages ---------------------------------------------------------------- */

static const char *const type_names[] = {"", "claim", "beat", "resign"};

static char *encode(const wss_elect *e, int type, uint32_t term, int reply)
{
    cJSON *obj = cJSON_CreateObject();
    char *text = NULL;
    int ok = obj != NULL && cJSON_AddNumberToObject(obj, "v", WSS_ELECT_VERSION) != NULL &&
             cJSON_AddStringToObject(obj, "t", type_names[type]) != NULL &&
             cJSON_AddNumberToObject(obj, "id", e->id) != NULL &&
             cJSON_AddNumberToObject(obj, "term", term) != NULL;

    if (ok && type != M_RESIGN)
        ok = cJSON_AddBoolToObject(obj, "vis", e->visible) != NULL;
    if (ok && reply)
        ok = cJSON_AddTrueToObject(obj, "reply") != NULL;
    if (ok)
        text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    return text;
}

/* Decodes and validates a message; on failure returns a negative rc and the
 * reason to count in *why. */
static int decode(const wss_elect *e, const char *json, size_t len, elect_msg *m, int *why)
{
    cJSON *root;
    const cJSON *t;
    const cJSON *vis;
    const cJSON *reply;
    uint32_t v = 0;
    int i;
    int rc = WSS_EINVAL;

    memset(m, 0, sizeof(*m));
    *why = ER_MALFORMED;
    if (json == NULL || len > WSS_MAX_ELECTION_BYTES) {
        *why = ER_SIZE;
        return WSS_EINVAL;
    }
    root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(root) || read_uint(root, "v", 0, UINT32_MAX, &v) != 1)
        goto fail;
    if (v != WSS_ELECT_VERSION) {
        *why = ER_VERSION;
        rc = WSS_EREJECT;
        goto fail;
    }
    t = cJSON_GetObjectItemCaseSensitive(root, "t");
    if (!cJSON_IsString(t))
        goto fail;
    for (i = M_CLAIM; i <= M_RESIGN; i++)
        if (strcmp(t->valuestring, type_names[i]) == 0)
            m->type = i;
    if (m->type == 0) {
        *why = ER_TYPE;
        rc = WSS_EREJECT;
        goto fail;
    }
    if (read_uint(root, "id", 1, UINT32_MAX, &m->id) != 1 ||
        read_uint(root, "term", 1, UINT32_MAX, &m->term) != 1)
        goto fail;
    vis = cJSON_GetObjectItemCaseSensitive(root, "vis");
    reply = cJSON_GetObjectItemCaseSensitive(root, "reply");
    if ((m->type != M_RESIGN && !cJSON_IsBool(vis)) || (reply != NULL && !cJSON_IsBool(reply)))
        goto fail;
    m->vis = cJSON_IsTrue(vis);
    m->reply = cJSON_IsTrue(reply);
    if (m->id == e->id) {
        /* Ids are drawn at random; a message with ours is not from us (the
         * channel does not echo) and would confuse every comparison. */
        *why = ER_SELF;
        rc = WSS_EREJECT;
        goto fail;
    }
    rc = WSS_OK;
fail:
    cJSON_Delete(root);
    return rc;
}

/* ---- actions ------------------------------------------------------------------ */

static void add_action(wss_elect *e, uint32_t kind, uint32_t a, uint32_t b)
{
    /* Room was kept at creation: this cannot fail. */
    (void)actions_push(&e->actions, kind, a, b, 0);
}

/* Posts a message; our posts' times are what others time us out by. */
static void post_message(wss_elect *e, int type, uint32_t term, int reply)
{
    char *text = encode(e, type, term, reply);

    if (text == NULL ||
        actions_push_text(&e->actions, WSS_ACT_ELECT_POST, 0, 0, text, strlen(text)) != WSS_OK) {
        e->stats.oom++;
        return;
    }
    e->posts[0] = e->posts[1];
    e->posts[1] = e->posts[2];
    e->posts[2] = e->now;
    if (type == M_CLAIM)
        e->stats.claims++;
    else if (type == M_BEAT)
        e->stats.beats++;
    else
        e->stats.resigns++;
}

/* How long a leader may act after its posts: until a lease less a claim
 * window after the third-last of them. A candidate that timed us out heard
 * one of those three (the channel loses at most two in a row), claimed a
 * silence later and won a window after that. */
static double lease_end(const wss_elect *e)
{
    return e->posts[0] + e->lease_ms - e->claim_ms;
}

static void beat(wss_elect *e)
{
    post_message(e, M_BEAT, e->lead_term, 0);
    e->next_beat = e->now + e->beat_ms;
}

/* Tells the host which candidate leads, when that changed. */
static void announce(wss_elect *e, uint32_t leader, uint32_t term)
{
    if (e->announced == leader)
        return;
    e->announced = leader;
    if (leader == e->id) {
        e->stats.leads++;
        add_action(e, WSS_ACT_LEAD, term, 0);
    } else {
        add_action(e, WSS_ACT_FOLLOW, leader, term);
    }
}

static void stop_leading(wss_elect *e)
{
    if (e->role != R_LEAD)
        return;
    e->stats.step_downs++;
    e->role = R_IDLE;
    e->announced = 0;
    add_action(e, WSS_ACT_STOP, e->lead_term, 0);
}

static void follow(wss_elect *e, const elect_msg *m)
{
    stop_leading(e);
    e->role = R_FOLLOW;
    e->leader = m->id;
    e->leader_term = m->term;
    e->leader_vis = m->vis;
    e->leader_heard = e->now;
    announce(e, m->id, m->term);
}

/* Waits for a better claimant's first beat, or any leader's. */
static void yield(wss_elect *e, const elect_msg *m)
{
    e->role = R_YIELD;
    e->rival = m->id;
    e->rival_vis = m->vis;
    e->rival_heard = e->now;
}

/* Opens a claim window. `fresh`: no one follows us, so none can have timed
 * us out on posts older than this claim. `reply`: the claim answers another
 * one, and no candidate but a leader answers it in turn, so that claims
 * never breed claims. */
static void claim(wss_elect *e, int fresh, int reply)
{
    e->role = R_CLAIM;
    if (e->term < UINT32_MAX)
        e->term++;
    e->claim_until = e->now + e->claim_ms;
    if (fresh)
        e->posts[0] = e->posts[1] = e->posts[2] = e->now;
    post_message(e, M_CLAIM, e->term, reply);
}

/* The claim window closed with no better claim and no leader heard: lead,
 * if the first beat gives a lease that outlasts the next one. Else we were
 * not running for a while (a frozen page) and a candidate that timed us out
 * may lead by now: claim again, which also asks any leader to answer. */
static void close_window(wss_elect *e)
{
    if (e->posts[1] + e->lease_ms - e->claim_ms <= e->now + e->beat_ms) {
        e->claim_until = e->now + e->claim_ms;
        post_message(e, M_CLAIM, e->term, 0);
        return;
    }
    e->role = R_LEAD;
    e->lead_term = e->term;
    announce(e, e->id, e->lead_term);
    beat(e);
}


static double deadline(const wss_elect *e)
{
    switch (e->role) {
    case R_LEAD:
        return e->next_beat < lease_end(e) ? e->next_beat : lease_end(e);
    case R_CLAIM:
        return e->claim_until;
    case R_YIELD:
        return e->rival_heard + rival_ms(e);
    case R_FOLLOW:
        return e->leader_heard + silence_ms(e);
    default:
        return 0;
    }
}

/* Acts on the deadlines that have passed, after the event: a message that
 * comes with a deadline (a beat as a claim window ends) is heard first. */
static void advance(wss_elect *e)
{
    switch (e->role) {
    case R_LEAD:
        if (e->now >= e->next_beat)
            beat(e);
        break;
    case R_CLAIM:
        if (e->now >= e->claim_until)
            close_window(e);
        break;
    case R_YIELD:
    case R_FOLLOW:
        if (e->now >= deadline(e)) {
            /* The better claimant, or our leader, is gone. */
            e->leader = 0;
            claim(e, 1, 0);
        }
        break;
    default:
        break;
    }
}

/* Arms the host's timer when the next deadline comes before the armed one;
 * a later deadline waits for the armed timer, which arms again. */
static void arm_timer(wss_elect *e)
{
    double want = deadline(e);

    if (want == 0) {
        if (e->armed != 0)
            add_action(e, WSS_ACT_ELECT_TIMER, UINT32_MAX, 0);
        e->armed = 0;
    } else if (e->armed == 0 || want < e->armed) {
        double delay = want - e->now;

        e->armed = want;
        add_action(e, WSS_ACT_ELECT_TIMER,
             delay <= 0 ? 0 : delay >= (double)UINT32_MAX - 1 ? UINT32_MAX - 1
                                                              : (uint32_t)(delay + 0.999),
             0);
    }
}

/* Starts an event: the previous call's actions go and time moves on (never
 * back). A leader whose lease ran out (it could not beat in time: a frozen
 * page) stops before anything else, for others may lead by now; it claims,
 * which also asks a leader to answer. */
static void start_event(wss_elect *e, double now)
{
    actions_reset(&e->actions);
    if (now > e->now)
        e->now = now;
    if (e->role == R_LEAD && e->now >= lease_end(e)) {
        stop_leading(e);
        claim(e, 0, 0);
    }
}

/* Ends an event: passed deadlines, then the timer for the next one. */
static void end_event(wss_elect *e)
{
    advance(e);
    arm_timer(e);
}

/* ---- events ------------------------------------------------------------------- */

/* Answers a worse claim, once (a late copy starts nothing): it may have
 * missed our claim or not know us, and must not win while we could lead.
 * A reply, which only a leader answers in turn, so that answers end.
 * `stand`: we open a claim window of ours too. */
static void answer(wss_elect *e, const elect_msg *m, int stand)
{
    if (m->id == e->answered && m->term == e->answered_term)
        return;
    e->answered = m->id;
    e->answered_term = m->term;
    if (stand)
        claim(e, 1, 1);
    else
        post_message(e, M_CLAIM, e->term, 1);
}

static void on_claim(wss_elect *e, const elect_msg *m)
{
    int better = claim_better(m->vis, m->id, e->visible, e->id);

    /* Our leader claims in a newer term (a late copy of the claim it won
     * with is older): it leads no more, for its lease ran out or it came
     * back from the back/forward cache. A late copy of its beats must not
     * bring us back to it. */
    if (m->id == e->leader && m->term > e->leader_term) {
        e->stopped = e->leader;
        e->stopped_term = e->leader_term;
        e->leader = 0;
    }
    switch (e->role) {
    case R_LEAD:
        /* A joiner asks, or a follower missed our beats: answer at once. */
        beat(e);
        break;
    case R_CLAIM:
        /* A worse reply comes from a candidate that heard our claim while
         * it followed; a worse claim may come from a tab that opened since. */
        if (better)
            yield(e, m);
        else if (!m->reply)
            answer(e, m, 0);
        break;
    case R_YIELD:
        if (m->id == e->rival) {
            e->rival_heard = e->now;
            e->rival_vis = m->vis;
            if (!better)
                claim(e, 1, 0);
        } else if (m->reply) {
            /* Answers to claims concern only candidates in a claim window. */
        } else if (claim_better(m->vis, m->id, e->rival_vis, e->rival)) {
            yield(e, m);
        } else if (!better) {
            answer(e, m, 0);
        }
        break;
    case R_FOLLOW:
        if (!e->leader) {
            /* Our leader just claimed: a claimant like any other. */
            if (better)
                yield(e, m);
            else
                answer(e, m, 1);
        } else if (better) {
            /* Our leader, if it lives, answers it; we wait and see. Its
             * answer to a claim may reach us before that claim does. */
            if (e->rival == 0 || e->now > e->rival_heard + e->claim_ms ||
                claim_better(m->vis, m->id, e->rival_vis, e->rival)) {
                e->rival = m->id;
                e->rival_vis = m->vis;
                e->rival_heard = e->now;
            }
        } else if (!m->reply) {
            /* Our leader, if it lives, answers it too. If it died, this one
             * must not win: we stand ourselves, unless a better claimant
             * in its window stands already; then we only answer. */
            answer(e, m, !(e->rival != 0 && e->now <= e->rival_heard + e->claim_ms));
        }
        break;
    default:
        break;
    }
}

static void on_beat(wss_elect *e, const elect_msg *m)
{
    switch (e->role) {
    case R_LEAD:
        if (leader_better(m->term, m->vis, m->id, e->lead_term, e->visible, e->id))
            follow(e, m);
        else
            beat(e); /* so the other leader learns of us and steps down now */
        break;
    case R_CLAIM:
    case R_YIELD:
        /* A leader answers: there is one, whatever its term (a tab that
         * started while ours was dying leads in term 1). */
        follow(e, m);
        break;
    case R_FOLLOW:
        /* Our leader again, or one that outranks it, or any when ours is gone. */
        if (!leader_alive(e) ||
            (m->id == e->leader ? m->term >= e->leader_term
                                : leader_better(m->term, m->vis, m->id, e->leader_term,
                                                e->leader_vis, e->leader)))
            follow(e, m);
        break;
    default:
        break;
    }
}

static void on_resign(wss_elect *e, const elect_msg *m)
{
    e->stopped = m->id;
    e->stopped_term = m->term;
    if (e->leader == m->id) {
        e->leader = 0;
        if (e->role == R_FOLLOW)
            claim(e, 1, 0);
    }
    if (e->role == R_YIELD && e->rival == m->id) {
        e->leader = 0;
        claim(e, 1, 0);
    }
}

int wss_elect_message(wss_elect *e, const char *json, size_t len, double now_ms)
{
    elect_msg m;
    int why;
    int rc;

    start_event(e, now_ms);
    rc = decode(e, json, len, &m, &why);
    if (rc != WSS_OK) {
        e->stats.rejected[why]++;
    } else if (e->role != R_IDLE) {
        e->stats.received++;
        if (m.term > e->term)
            e->term = m.term;
        if (m.type == M_RESIGN)
            on_resign(e, &m);
        else if (m.id == e->stopped && m.term <= e->stopped_term)
            ; /* a late copy from before it stopped */
        else if (m.type == M_CLAIM)
            on_claim(e, &m);
        else
            on_beat(e, &m);
    }
    end_event(e);
    return rc;
}

int wss_elect_start(wss_elect *e, int visible, double now_ms)
{
    start_event(e, now_ms);
    if (e->role != R_IDLE)
        return WSS_EREJECT;
    e->visible = visible != 0;
    e->leader = 0;
    claim(e, 1, 0);
    end_event(e);
    return WSS_OK;
}

int wss_elect_tick(wss_elect *e, double now_ms)
{
    e->armed = 0;
    start_event(e, now_ms);
    end_event(e);
    return WSS_OK;
}

int wss_elect_visibility(wss_elect *e, int visible, double now_ms)
{
    start_event(e, now_ms);
    e->visible = visible != 0;
    if (e->role == R_CLAIM)
        post_message(e, M_CLAIM, e->term, 1);
    else if (e->role == R_YIELD && claim_better(e->visible, e->id, e->rival_vis, e->rival))
        claim(e, 1, 0);
    end_event(e);
    return WSS_OK;
}

int wss_elect_resign(wss_elect *e, double now_ms)
{
    start_event(e, now_ms);
    if (e->role == R_LEAD || e->role == R_CLAIM)
        post_message(e, M_RESIGN, e->role == R_LEAD ? e->lead_term : e->term, 0);
    stop_leading(e);
    e->role = R_IDLE;
    e->announced = 0;
    end_event(e);
    return WSS_OK;
}

/* ---- getters -------------------------------------------------------------------- */

const wss_action *wss_elect_actions(const wss_elect *e, uint32_t *count)
{
    *count = e->actions.count;
    return e->actions.items;
}

int wss_elect_role(const wss_elect *e)
{
    static const int roles[] = {WSS_ELECT_IDLE, WSS_ELECT_ELECTING, WSS_ELECT_ELECTING,
                                WSS_ELECT_FOLLOWING, WSS_ELECT_LEADING};

    return roles[e->role];
}

uint32_t wss_elect_leader(const wss_elect *e)
{
    return e->announced;
}

uint32_t wss_elect_term(const wss_elect *e)
{
    return e->role == R_LEAD ? e->lead_term : e->role == R_FOLLOW ? e->leader_term : 0;
}

double wss_elect_lease_until(const wss_elect *e)
{
    return e->role == R_LEAD ? lease_end(e) : 0;
}

const char *wss_elect_stats_json(wss_elect *e)
{
    static const char *const role_names[] = {"idle", "electing", "following", "leading"};
    static const char *const reject_names[ER_COUNT] = {"malformed", "version", "type", "size",
                                                       "self"};
    cJSON *obj = cJSON_CreateObject();
    char *text;
    const stat_num nums[] = {
        {"id", e->id},
        {"leader", e->announced},
        {"term", wss_elect_term(e)},
        {"claims", (double)e->stats.claims},
        {"beats", (double)e->stats.beats},
        {"resigns", (double)e->stats.resigns},
        {"received", (double)e->stats.received},
        {"leads", (double)e->stats.leads},
        {"stepDowns", (double)e->stats.step_downs},
        {"outOfMemory", (double)e->stats.oom},
    };

    text = stats_json(obj,
                      obj != NULL &&
                          cJSON_AddStringToObject(obj, "role", role_names[wss_elect_role(e)]) != NULL,
                      nums, sizeof(nums) / sizeof(nums[0]), reject_names, e->stats.rejected,
                      ER_COUNT);
    if (text == NULL)
        return NULL;
    wss_free(e->stats_text);
    e->stats_text = text;
    return text;
}
