/*
 * Failover, simulated: tabs (the page's link, wasm/src/link.c) outlive a series
 * of leaders (cores created, started and destroyed at random moments) over a
 * simulated BroadcastChannel, under a fake clock, with a server socket whose
 * undrained frames die with their leader's page. Checked after every event and
 * at the end of each seeded run: no frame a tab sent is lost, each tab's frames
 * first reach the server in its order, and the only duplicates are frames a
 * dying leader had not confirmed (or, where its page takes its unsent posts
 * with it, whose acknowledgement died with it).
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

#define SEEDS 64
#define STEPS 800
#define MAX_TABS 48    /* tabs per run, open or gone */
#define MAX_ALIVE 5    /* tabs open at once */
#define MAX_LEADERS 64
#define SEQ_SPAN 1024  /* frames a tab may number */
#define WIND_DOWN_LIMIT 20000

#define SETTLE_STEP_MS 1000.0 /* how far the clock moves while the wind-down waits */

enum tab_state { T_CONNECTING, T_OPEN, T_CLOSING, T_CLOSED };
enum sock_state { S_NONE, S_CONNECTING, S_OPEN, S_CLOSING };
enum ledger_state { L_HELD = 1, L_BACK, L_FORGOTTEN };

typedef struct variant {
    const char *name;
    int lossy_death; /* a dying leader's page takes the posts it had not got out */
    int drops;       /* the bus loses tab -> leader batches of frames now and then */
} variant;

/* A tab: its link, what the sim sees of it, and the server's books on it. */
typedef struct stab {
    uint32_t id;
    wss_link *link;
    int state;       /* the link's readyState, after its last call */
    int left;        /* closed or crashed: its frames are no longer owed */
    int welcomed;    /* by `leader`, as the envelopes it took say */
    uint32_t leader; /* the leader id it follows; 0: none yet */
    uint32_t seq;    /* the number its next frame gets */
    uint32_t lo;     /* unacknowledged: [lo, seq) */
    double timer_at; /* the link's timer; 0: none */
    uint32_t first_max;            /* the highest seq whose first copy reached the server */
    int16_t first_core[SEQ_SPAN];  /* the leader whose socket carried it first; -1: none */
    uint64_t first_end[SEQ_SPAN];  /* where its bytes ended in that leader's socket */
    long long posted_ack[MAX_LEADERS]; /* per leader: the highest ack it posted for the tab */
    long long heard_ack[MAX_LEADERS];  /* per leader: the highest ack that reached the tab */
} stab;

/* A frame handed to a socket: its tab, its number, and where its bytes end
 * among all the socket was given. */
typedef struct sframe {
    uint32_t tab;
    uint32_t seq;
    uint64_t end;
} sframe;

/* A leader: one core and its host (socket, timer, flush, drain, tab locks). */
typedef struct score {
    wss_core *core;
    uint32_t id;
    int alive;
    int sock;
    int open_due;
    int drain_due;
    int flush_due;
    int close_due;
    double timer_at; /* 0: disarmed */
    uint64_t sent;   /* bytes handed to the socket */
    uint64_t gone;   /* of those, passed to the network */
    uint64_t told;   /* of those, as the core was last told: the frames that end
                      * within them are confirmed */
    sframe *buf;     /* sent, not yet passed to the network, oldest first */
    uint32_t nbuf;
    uint32_t capbuf;
    uint8_t watched[MAX_TABS];
    uint8_t gone_due[MAX_TABS];
    int opened; /* its socket ever opened */
} score;

/* A control envelope a core posted, as the tabs read it. */
typedef struct penv {
    char type[12];
    uint32_t l;
    uint32_t tab;
    long long acked; /* welcome */
    long long from;  /* resend */
    int open;        /* welcome: state "open" */
    int resume;      /* welcome, open: the connection is made again under the tabs */
    long long seq;   /* welcome: the leader's next server frame */
    uint32_t *pairs; /* ack: tab, seq, tab, seq ... */
    uint32_t npairs;
} penv;

/* One post in flight between a tab and a leader. */
typedef struct msg {
    int core;     /* the leader at one end (an index) */
    uint32_t tab; /* the tab at the other */
    int up;       /* tab -> leader; else leader -> tab */
    int batch;    /* up: a batch of frames, else the envelope `text` */
    uint32_t leader;
    uint32_t seq0;
    uint32_t count;
    char *text;
    uint32_t env; /* down: the envelope, in the pool */
} msg;

typedef struct totals {
    long frames;
    long owed; /* frames of the tabs still open at the end */
    long changes;
    long deaths_unopened;
    long deaths_in_a_row;
    long dup_undrained;
    long dup_ack_lost;
    long drops;
    long resends;
    long unheard;     /* tab posts made while no leader lived */
    long posts_lost;  /* posts a dying leader had not got out */
} totals;

typedef struct sim {
    const variant *v;
    uint32_t rng;
    double now;
    int chaos; /* the random phase; the wind-down neither drops nor duplicates */
    stab tabs[MAX_TABS];
    uint32_t ntabs;
    score cores[MAX_LEADERS];
    uint32_t ncores;
    int cur; /* the live leader's index; -1: none */
    msg *msgs;
    uint32_t nmsgs;
    uint32_t capmsgs;
    penv *envs;
    uint32_t nenvs;
    uint32_t capenvs;
    int *h_core; /* per handle: the leader it was given to */
    uint8_t *h_state;
    uint32_t *h_tab; /* 0: a server frame */
    uint32_t *h_seq;
    uint32_t nh;
    uint32_t caph;
    int last_died_unopened;
    totals t;
} sim;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL) {
        fprintf(stderr, "test_failover: out of memory\n");
        exit(2);
    }
    return q;
}

static stab *tab_by_id(sim *s, uint32_t id)
{
    uint32_t i;

    for (i = 0; i < s->ntabs; i++)
        if (s->tabs[i].id == id)
            return &s->tabs[i];
    return NULL;
}

static uint32_t tab_index(const sim *s, const stab *t)
{
    return (uint32_t)(t - s->tabs);
}

static score *live(sim *s)
{
    return s->cur < 0 ? NULL : &s->cores[s->cur];
}

/* ---- the bus --------------------------------------------------------------- */

static void enqueue(sim *s, const msg *m)
{
    if (s->nmsgs == s->capmsgs) {
        s->capmsgs = s->capmsgs ? 2 * s->capmsgs : 64;
        s->msgs = xrealloc(s->msgs, s->capmsgs * sizeof(msg));
    }
    s->msgs[s->nmsgs++] = *m;
}

static msg unqueue(sim *s, uint32_t i)
{
    msg m = s->msgs[i];

    memmove(&s->msgs[i], &s->msgs[i + 1], (s->nmsgs - i - 1) * sizeof(msg));
    s->nmsgs--;
    return m;
}

/* A tab posts: only a leader alive now hears it (a BroadcastChannel does not
 * keep posts for channels opened later). */
static void tab_post_text(sim *s, const stab *t, char *text)
{
    msg m;

    if (s->cur < 0) {
        s->t.unheard++;
        free(text);
        return;
    }
    memset(&m, 0, sizeof(m));
    m.core = s->cur;
    m.tab = t->id;
    m.up = 1;
    m.text = text;
    enqueue(s, &m);
}

static void tab_post_batch(sim *s, const stab *t, uint32_t leader, uint32_t seq0, uint32_t count)
{
    msg m;

    if (s->cur < 0) {
        s->t.unheard++;
        return;
    }
    memset(&m, 0, sizeof(m));
    m.core = s->cur;
    m.tab = t->id;
    m.up = 1;
    m.batch = 1;
    m.leader = leader;
    m.seq0 = seq0;
    m.count = count;
    enqueue(s, &m);
}

/* ---- the tab: the page's link, as shared-websocket.js performs it ---------- */

static void tab_finish(sim *s, stab *t);

/* Performs the actions of the tab's last link call. */
static void tab_apply(sim *s, stab *t)
{
    uint32_t n, i, k;
    const wss_action *a = wss_link_actions(t->link, &n);
    int flush = 0;

    for (i = 0; i < n; i++, a++) {
        switch (a->kind) {
        case WSS_ACT_LINK_POST: {
            char *text = xrealloc(NULL, a->len + 1);

            memcpy(text, a->text, a->len);
            text[a->len] = '\0';
            tab_post_text(s, t, text);
            break;
        }
        case WSS_ACT_LINK_POST_FRAMES:
            for (k = 0; k < a->b; k += a->len & WSS_LINK_BATCH_MASK)
                tab_post_batch(s, t, a->handle, a->a + k,
                               a->b - k < (a->len & WSS_LINK_BATCH_MASK) ? a->b - k : a->len & WSS_LINK_BATCH_MASK);
            break;
        case WSS_ACT_LINK_POST_MARKED: /* no profile here: a frame like the others */
            tab_post_batch(s, t, a->handle, a->a, 1);
            break;
        case WSS_ACT_LINK_ACKED:
            /* The tab forgets these frames. Each must have reached the server
             * already: a frame only in a socket's buffer dies with its leader,
             * and then no one has it any more. */
            if (a->b >= t->seq)
                check_fail(__FILE__, __LINE__, "tab %u: acked up to %u, the tab numbered up to %u",
                           t->id, a->b, t->seq - 1);
            for (k = a->a; k <= a->b && k < SEQ_SPAN; k++) {
                if (t->first_core[k] < 0) {
                    check_fail(__FILE__, __LINE__,
                               "tab %u forgets seq %u on an ack from leader %u, but the server "
                               "never got it", t->id, k, t->leader);
                    break;
                }
            }
            break;
        case WSS_ACT_LINK_FLUSH:
            flush = 1; /* the microtask: after this call */
            break;
        case WSS_ACT_LINK_TIMER:
            t->timer_at = a->a == UINT32_MAX ? 0 : s->now + a->a;
            break;
        case WSS_ACT_LINK_ERROR:
            /* Nothing here ends a tab but its own close() (an error when
             * closed before the open, as a browser's socket): any other error
             * is a socket the app would have seen fail. */
            if (!t->left)
                check_fail(__FILE__, __LINE__, "tab %u: error %u", t->id, a->a);
            break;
        case WSS_ACT_LINK_CLOSE:
            tab_finish(s, t);
            return;
        default:
            break;
        }
    }
    t->state = (int)wss_link_state(t->link);
    t->seq = wss_link_next(t->link);
    t->lo = wss_link_unacked(t->link);
    if (flush && t->link != NULL) {
        wss_link_flush(t->link, s->now);
        tab_apply(s, t);
    }
}

static void tab_hello(sim *s, stab *t)
{
    wss_link_hello(t->link, s->now);
    tab_apply(s, t);
}

/* The tab's page is gone (closed after its goodbye, or crashed): its lock is
 * free, which the leader watching it learns at once. */
static void tab_finish(sim *s, stab *t)
{
    score *c = live(s);

    wss_link_free(t->link);
    t->link = NULL;
    t->state = T_CLOSED;
    t->left = 1;
    t->timer_at = 0;
    if (c != NULL && c->watched[tab_index(s, t)])
        c->gone_due[tab_index(s, t)] = 1;
}

static uint32_t env_type(const char *type)
{
    static const char *const types[] = {"leader", "welcome", "open", "reconnecting", "ack",
                                        "close", "gone", "error", "resend", "rehello", "stats"};
    uint32_t i;

    for (i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(type, types[i]) == 0)
            return i + 1;
    return 0;
}

/* An envelope reaches the tab, parsed as shared-websocket.js parses it; `li`
 * is the index of the leader that posted it. */
static void tab_on_envelope(sim *s, stab *t, const penv *e, int li)
{
    int mine = e->tab == t->id;
    uint32_t type = env_type(e->type), i, n = 0;
    uint32_t *words = wss_link_scratch();
    double x = 0, y = 0;
    uint32_t flags = (e->resume ? WSS_LINK_RESUME : 0) | (e->open ? WSS_LINK_OPEN : 0);
    int rc;

    /* What reached the tab, heeded or not: only an ack that never came can
     * excuse a duplicate of a confirmed frame. */
    if (type == WSS_LINK_ENV_WELCOME && mine && e->acked > t->heard_ack[li])
        t->heard_ack[li] = e->acked;
    for (i = 0; i + 1 < e->npairs; i += 2)
        if (e->pairs[i] == t->id && (long long)e->pairs[i + 1] > t->heard_ack[li])
            t->heard_ack[li] = e->pairs[i + 1];
    if (type == WSS_LINK_ENV_WELCOME) {
        x = (double)e->seq;
        y = (double)e->acked;
    } else if (type == WSS_LINK_ENV_RESEND) {
        x = (double)e->from;
    }
    rc = wss_link_envelope(t->link, type, e->l, e->tab, x, y, flags, s->now);
    if (type == WSS_LINK_ENV_LEADER && e->l != t->leader) {
        t->leader = e->l;
        t->welcomed = 0;
    } else if (rc == WSS_OK && mine && type == WSS_LINK_ENV_WELCOME) {
        t->leader = e->l;
        t->welcomed = 1;
    } else if (rc == WSS_OK && mine && type == WSS_LINK_ENV_REHELLO) {
        t->welcomed = 0;
    }
    tab_apply(s, t);
    if (rc != WSS_OK || type != WSS_LINK_ENV_ACK || t->link == NULL)
        return;
    for (i = 0; i + 1 < e->npairs && n + 2 <= WSS_LINK_SCRATCH; i += 2) {
        words[n++] = e->pairs[i];
        words[n++] = e->pairs[i + 1];
    }
    wss_link_notes(t->link, WSS_LINK_NOTES_ACK, n, s->now);
    tab_apply(s, t);
}

static void tab_join(sim *s)
{
    stab *t = &s->tabs[s->ntabs];
    uint32_t i;

    memset(t, 0, sizeof(*t));
    t->id = 501 + 7 * s->ntabs++;
    t->link = wss_link_new(t->id, -1);
    if (t->link == NULL) {
        check_fail(__FILE__, __LINE__, "no link for tab %u", t->id);
        return;
    }
    t->state = T_CONNECTING;
    t->seq = t->lo = 1;
    for (i = 0; i < SEQ_SPAN; i++)
        t->first_core[i] = -1;
    for (i = 0; i < MAX_LEADERS; i++)
        t->posted_ack[i] = t->heard_ack[i] = -1;
    tab_hello(s, t);
}

/* send(), `k` times, then the microtask that flushes. */
static void tab_sends(sim *s, stab *t, uint32_t k)
{
    uint32_t i;

    if (t->state != T_OPEN || t->seq + k >= SEQ_SPAN)
        return;
    for (i = 0; i < k; i++) {
        if (wss_link_send(t->link, 1 + (t->id * 7 + t->seq * 13) % 200, s->now) != t->seq)
            check_fail(__FILE__, __LINE__, "tab %u: send() did not number its frame %u", t->id,
                       t->seq);
        t->seq = wss_link_next(t->link);
        s->t.frames++;
    }
    wss_link_flush(t->link, s->now);
    tab_apply(s, t);
}

/* close(): what waits goes out, then the goodbye; the tab is done at the
 * leader's `gone` or after a second. Before the open, it fails at once. */
static void tab_close(sim *s, stab *t)
{
    if (t->state != T_OPEN && t->state != T_CONNECTING)
        return;
    t->left = 1;
    wss_link_close(t->link, 0, s->now);
    tab_apply(s, t);
}

/* ---- the server ------------------------------------------------------------ */

/* A frame passed from leader `ci`'s socket to the server. */
static void reach_server(sim *s, int ci, const sframe *f)
{
    stab *t = tab_by_id(s, f->tab);
    uint32_t k = f->seq;
    int fc;

    if (t == NULL || k == 0 || k >= SEQ_SPAN) {
        check_fail(__FILE__, __LINE__, "the server got seq %u of tab %u, which no tab sent", k,
                   f->tab);
        return;
    }
    fc = t->first_core[k];
    if (fc < 0) {
        if (k != t->first_max + 1)
            check_fail(__FILE__, __LINE__, "tab %u: seq %u reached the server first after seq %u",
                       t->id, k, t->first_max);
        t->first_core[k] = (int16_t)ci;
        t->first_end[k] = f->end;
        if (k > t->first_max)
            t->first_max = k;
        return;
    }
    if (fc == ci || s->cores[fc].alive) {
        check_fail(__FILE__, __LINE__, "tab %u: leader %u sent seq %u twice", t->id,
                   s->cores[ci].id, k);
    } else if (s->cores[fc].told < t->first_end[k]) {
        s->t.dup_undrained++;
    } else if (s->v->lossy_death && t->posted_ack[fc] >= (long long)k &&
               t->heard_ack[fc] < (long long)k) {
        s->t.dup_ack_lost++;
    } else {
        check_fail(__FILE__, __LINE__,
                   "tab %u: seq %u reached the server again, though leader %u confirmed it "
                   "(acked up to %lld, of which the tab heard up to %lld)",
                   t->id, k, s->cores[fc].id, t->posted_ack[fc], t->heard_ack[fc]);
    }
}

/* The network takes the `n` oldest frames of the socket's buffer. */
static void pass_to_network(sim *s, int ci, uint32_t n)
{
    score *c = &s->cores[ci];
    uint32_t i;

    if (n == 0)
        return;
    for (i = 0; i < n; i++)
        reach_server(s, ci, &c->buf[i]);
    c->gone = c->buf[n - 1].end;
    memmove(c->buf, c->buf + n, (c->nbuf - n) * sizeof(sframe));
    c->nbuf -= n;
}

/* A frame's byte length, as its tab gave it. */
static uint32_t frame_len(uint32_t tab, uint32_t seq)
{
    return 1 + (tab * 7 + seq * 13) % 200;
}

/* ---- the leader host: performs the core's actions -------------------------- */

static uint32_t give_handle(sim *s, int ci, uint32_t tab, uint32_t seq)
{
    uint32_t h = ++s->nh;

    if (h >= s->caph) {
        s->caph = 2 * h + 64;
        s->h_core = xrealloc(s->h_core, s->caph * sizeof(int));
        s->h_state = xrealloc(s->h_state, s->caph);
        s->h_tab = xrealloc(s->h_tab, s->caph * sizeof(uint32_t));
        s->h_seq = xrealloc(s->h_seq, s->caph * sizeof(uint32_t));
    }
    s->h_core[h] = ci;
    s->h_state[h] = L_HELD;
    s->h_tab[h] = tab;
    s->h_seq[h] = seq;
    return h;
}

/* A handle comes back from leader `ci`: it must hold it, and it must be a tab's
 * frame (`tab_frame` 1), a server frame (0) or either (-1). */
static int take_back(sim *s, int ci, uint32_t h, const char *how, int tab_frame)
{
    if (h == 0 || h > s->nh || s->h_core[h] != ci || s->h_state[h] != L_HELD) {
        check_fail(__FILE__, __LINE__, "leader %u: %s of handle %u, which it does not hold",
                   s->cores[ci].id, how, h);
        return 0;
    }
    s->h_state[h] = L_BACK;
    if (tab_frame >= 0 && (s->h_tab[h] != 0) != tab_frame) {
        check_fail(__FILE__, __LINE__, "leader %u: %s of handle %u, a %s frame", s->cores[ci].id,
                   how, h, tab_frame ? "server" : "tab");
        return 0;
    }
    return 1;
}

static long long num(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsNumber(item) ? (long long)item->valuedouble : -1;
}

/* An envelope the core posted, read once for every tab. */
static uint32_t read_envelope(sim *s, const char *text, uint32_t len)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "t");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(root, "state");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "a");
    penv *e;
    int i;

    if (s->nenvs == s->capenvs) {
        s->capenvs = s->capenvs ? 2 * s->capenvs : 64;
        s->envs = xrealloc(s->envs, s->capenvs * sizeof(penv));
    }
    e = &s->envs[s->nenvs];
    memset(e, 0, sizeof(*e));
    if (!cJSON_IsString(type)) {
        check_fail(__FILE__, __LINE__, "a post that is no envelope: %.*s", (int)len, text);
    } else {
        snprintf(e->type, sizeof(e->type), "%s", type->valuestring);
    }
    e->l = (uint32_t)num(root, "l");
    e->tab = (uint32_t)num(root, "tab");
    e->acked = num(root, "acked");
    e->from = num(root, "from");
    e->open = cJSON_IsString(state) && strcmp(state->valuestring, "open") == 0;
    e->resume = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "resume"));
    e->seq = num(root, "seq");
    if (cJSON_IsArray(list)) {
        e->npairs = (uint32_t)cJSON_GetArraySize(list);
        e->pairs = xrealloc(NULL, e->npairs * sizeof(uint32_t));
        for (i = 0; i < (int)e->npairs; i++)
            e->pairs[i] = (uint32_t)cJSON_GetArrayItem(list, i)->valuedouble;
    }
    cJSON_Delete(root);
    return s->nenvs++;
}

/* Acks, in ack envelopes and welcomes alike, never go back per tab and leader. */
static void note_ack(sim *s, int ci, uint32_t tab, long long seq)
{
    stab *t = tab_by_id(s, tab);

    if (t == NULL) {
        check_fail(__FILE__, __LINE__, "leader %u acks tab %u, which never was",
                   s->cores[ci].id, tab);
        return;
    }
    /* But for a tab that left: a hello it posted before, still in flight
     * after the leader let it go (its lock freed), makes the leader take it
     * anew from that hello's `next`, and ack it from there, to nobody. Its
     * frames may have gone with an earlier hello and been acked past that. */
    if (seq < t->posted_ack[ci] && !t->left)
        check_fail(__FILE__, __LINE__, "leader %u: ack for tab %u went back from %lld to %lld",
                   s->cores[ci].id, tab, t->posted_ack[ci], seq);
    t->posted_ack[ci] = seq;
}

static void on_post(sim *s, int ci, const char *text, uint32_t len)
{
    uint32_t ei = read_envelope(s, text, len);
    const penv *e = &s->envs[ei];
    msg m;
    uint32_t i;

    if (e->l != s->cores[ci].id)
        check_fail(__FILE__, __LINE__, "leader %u signs an envelope %u", s->cores[ci].id, e->l);
    if (strcmp(e->type, "ack") == 0) {
        for (i = 0; i + 1 < e->npairs; i += 2)
            note_ack(s, ci, e->pairs[i], e->pairs[i + 1]);
    } else if (strcmp(e->type, "welcome") == 0) {
        note_ack(s, ci, e->tab, e->acked);
    } else if (strcmp(e->type, "resend") == 0) {
        s->t.resends++;
    } else if (strcmp(e->type, "error") == 0 || strcmp(e->type, "close") == 0) {
        /* Nothing here is too big, overflows a queue or closes the server
         * socket: a refusal or a close would be a frame lost. */
        check_fail(__FILE__, __LINE__, "leader %u posts %.*s", s->cores[ci].id, (int)len, text);
    }
    memset(&m, 0, sizeof(m));
    m.core = ci;
    m.env = ei;
    for (i = 0; i < s->ntabs; i++) {
        if (s->tabs[i].state == T_CLOSED)
            continue;
        m.tab = s->tabs[i].id;
        enqueue(s, &m);
    }
}

/* Performs the actions of the last call on leader `ci`. */
static void apply(sim *s, int ci, int rc)
{
    score *c = &s->cores[ci];
    const wss_action *a;
    uint32_t n;
    uint32_t i;
    uint32_t j;

    if (rc == WSS_ENOMEM)
        check_fail(__FILE__, __LINE__, "leader %u: out of memory with none injected", c->id);
    a = wss_actions(c->core, &n);
    for (i = 0; i < n; i++, a++) {
        switch (a->kind) {
        case WSS_ACT_SEND:
            if (c->sock != S_OPEN)
                check_fail(__FILE__, __LINE__, "leader %u: SEND with its socket in state %d",
                           c->id, c->sock);
            if (!take_back(s, ci, a->handle, "SEND", 1))
                break;
            if (c->nbuf == c->capbuf) {
                c->capbuf = c->capbuf ? 2 * c->capbuf : 64;
                c->buf = xrealloc(c->buf, c->capbuf * sizeof(sframe));
            }
            c->buf[c->nbuf].tab = s->h_tab[a->handle];
            c->buf[c->nbuf].seq = s->h_seq[a->handle];
            c->sent += frame_len(s->h_tab[a->handle], s->h_seq[a->handle]);
            c->buf[c->nbuf].end = c->sent;
            c->nbuf++;
            break;
        case WSS_ACT_RELEASE:
            take_back(s, ci, a->handle, "RELEASE", -1);
            break;
        case WSS_ACT_POST_DATA:
            for (j = 0; j < a->b; j++) {
                uint32_t h;

                memcpy(&h, a->text + j * sizeof(uint32_t), sizeof(h));
                take_back(s, ci, h, "POST_DATA", 0);
            }
            break;
        case WSS_ACT_POST:
            on_post(s, ci, a->text, a->len);
            break;
        case WSS_ACT_TIMER:
            c->timer_at = a->a == UINT32_MAX ? 0 : s->now + a->a;
            break;
        case WSS_ACT_FLUSH:
            c->flush_due = 1;
            break;
        case WSS_ACT_OPEN:
            if (c->sock != S_NONE)
                check_fail(__FILE__, __LINE__, "leader %u: OPEN with a socket in state %d",
                           c->id, c->sock);
            c->sock = S_CONNECTING;
            c->open_due = 1;
            break;
        case WSS_ACT_CLOSE:
            /* A socket closed while it connects never opens. */
            c->sock = S_CLOSING;
            c->open_due = 0;
            c->close_due = 1;
            break;
        case WSS_ACT_DRAIN:
            c->drain_due = 1;
            break;
        case WSS_ACT_WATCH: {
            stab *t = tab_by_id(s, a->a);

            if (t == NULL) {
                check_fail(__FILE__, __LINE__, "leader %u watches tab %u, which never was",
                           c->id, a->a);
                break;
            }
            c->watched[tab_index(s, t)] = 1;
            /* A lock already free is granted at once. */
            if (t->state == T_CLOSED)
                c->gone_due[tab_index(s, t)] = 1;
            break;
        }
        case WSS_ACT_UNWATCH: {
            stab *t = tab_by_id(s, a->a);

            if (t != NULL)
                c->watched[tab_index(s, t)] = c->gone_due[tab_index(s, t)] = 0;
            break;
        }
        default:
            break;
        }
    }
}

/* ---- events fed to the live leader ----------------------------------------- */

static void core_frames(sim *s, const msg *m)
{
    static uint32_t lens[SEQ_SPAN];
    score *c = &s->cores[m->core];
    uint32_t first = s->nh + 1;
    uint32_t i;

    for (i = 0; i < m->count; i++) {
        give_handle(s, m->core, m->tab, m->seq0 + i);
        lens[i] = frame_len(m->tab, m->seq0 + i);
    }
    apply(s, m->core,
          wss_tab_frames(c->core, WSS_BUS_VERSION, m->leader, m->tab, m->seq0, m->count, first,
                         lens, s->now));
}

static void core_control(sim *s, int ci, const char *text)
{
    apply(s, ci, wss_bus_control(s->cores[ci].core, text, strlen(text), s->now));
}

static void fire_open(sim *s)
{
    score *c = live(s);

    c->open_due = 0;
    c->sock = S_OPEN;
    c->opened = 1;
    apply(s, s->cur, wss_socket_opened(c->core, "", 0, "", 0, s->now));
}

/* The host reports bufferedAmount as the core asked: what the network has not
 * taken yet, often more than nothing (the socket need never be idle). */
static void fire_drain(sim *s)
{
    score *c = live(s);

    c->drain_due = 0;
    c->told = c->gone;
    apply(s, s->cur, wss_socket_buffered(c->core, (double)(c->sent - c->gone), s->now));
}

/* Bytes leave the socket, whether the host looks or not. */
static void fire_progress(sim *s)
{
    score *c = live(s);

    if (c->nbuf > 0)
        pass_to_network(s, s->cur, 1 + prng_below(&s->rng, c->nbuf));
}

static void fire_flush(sim *s)
{
    score *c = live(s);

    c->flush_due = 0;
    apply(s, s->cur, wss_flush(c->core, s->now));
}

/* A clean close sends what the socket buffered before its close frame. */
static void fire_close(sim *s)
{
    score *c = live(s);

    c->close_due = 0;
    pass_to_network(s, s->cur, c->nbuf);
    c->sock = S_NONE;
    c->drain_due = 0;
    apply(s, s->cur, wss_socket_closed(c->core, 1000, "", 0, 1, s->now));
}

static int gone_pending(const sim *s, const score *c)
{
    uint32_t i;

    for (i = 0; i < s->ntabs; i++)
        if (c->gone_due[i])
            return 1;
    return 0;
}

static void fire_gone(sim *s)
{
    score *c = live(s);
    uint32_t i;

    for (i = 0; i < s->ntabs; i++) {
        if (c->gone_due[i]) {
            c->gone_due[i] = 0;
            apply(s, s->cur, wss_tab_gone(c->core, s->tabs[i].id, s->now));
            return;
        }
    }
}

static void server_frame(sim *s)
{
    score *c = live(s);
    uint32_t h = give_handle(s, s->cur, 0, 0);

    apply(s, s->cur, wss_socket_frame(c->core, h, 1 + prng_below(&s->rng, 300), 0, s->now));
}

/* The fake clock moves: tabs retry their hello, ping and give up waiting for
 * a goodbye's answer; the leader's timer fires. */
static void advance(sim *s, double ms)
{
    score *c;
    uint32_t i;

    s->now += ms;
    for (i = 0; i < s->ntabs; i++) {
        stab *t = &s->tabs[i];

        if (t->link != NULL && t->timer_at != 0 && s->now >= t->timer_at) {
            t->timer_at = 0;
            wss_link_tick(t->link, s->now);
            tab_apply(s, t);
        }
    }
    c = live(s);
    if (c != NULL && c->timer_at != 0 && s->now >= c->timer_at) {
        c->timer_at = 0;
        apply(s, s->cur, wss_tick(c->core, s->now));
    }
}

/* ---- leaders come and go ---------------------------------------------------- */

static void leader_start(sim *s)
{
    int ci = (int)s->ncores++;
    score *c = &s->cores[ci];
    char config[96];

    memset(c, 0, sizeof(*c));
    c->id = 1000 * (uint32_t)(ci + 1) + 1 + prng_below(&s->rng, 999);
    snprintf(config, sizeof(config), "{\"leader\":%u,\"beatMs\":1000,\"ackDelayMs\":0,\"reconnect\":true}", c->id);
    if (wss_create(&c->core, config, strlen(config)) != WSS_OK) {
        check_fail(__FILE__, __LINE__, "no core for leader %u", c->id);
        return;
    }
    c->alive = 1;
    s->cur = ci;
    if (ci > 0)
        s->t.changes++;
    apply(s, ci, wss_start(c->core, s->now));
}

static void deliver_down(sim *s, const msg *m)
{
    stab *t = tab_by_id(s, m->tab);

    if (t != NULL && t->link != NULL)
        tab_on_envelope(s, t, &s->envs[m->env], m->core);
}

/* The leader's page closes or crashes: its core, its host's pending calls and
 * its socket go with it. */
static void leader_dies(sim *s)
{
    int ci = s->cur;
    score *c = &s->cores[ci];
    uint32_t budget[MAX_TABS];
    uint32_t i;
    uint32_t h;

    /* A byte stream: the network got the oldest part of what the socket
     * buffered, and the rest goes with the page. */
    pass_to_network(s, ci, prng_below(&s->rng, c->nbuf + 1));
    c->nbuf = 0;
    /* Its handles go with the host's table; a tab's frame may be among them
     * only while the socket had not opened (queued frames). */
    for (h = 1; h <= s->nh; h++) {
        if (s->h_core[h] == ci && s->h_state[h] == L_HELD) {
            if (s->h_tab[h] != 0 && c->sock == S_OPEN)
                check_fail(__FILE__, __LINE__, "leader %u died holding a frame of tab %u "
                           "with its socket open", c->id, s->h_tab[h]);
            s->h_state[h] = L_FORGOTTEN;
        }
    }
    if (!c->opened) {
        s->t.deaths_unopened++;
        s->t.deaths_in_a_row += s->last_died_unopened;
    }
    s->last_died_unopened = !c->opened;
    wss_destroy(c->core);
    c->core = NULL;
    c->alive = 0;
    s->cur = -1;
    /* Posts to it are lost. Its own posts reach each tab before anything a
     * successor posts (that comes only after an election): all of them, or
     * those the page got out before it went. */
    memset(budget, 0, sizeof(budget));
    for (i = 0; i < s->nmsgs; i++) {
        stab *t = tab_by_id(s, s->msgs[i].tab);

        if (s->msgs[i].core == ci && !s->msgs[i].up && t != NULL)
            budget[tab_index(s, t)]++;
    }
    if (s->v->lossy_death)
        for (i = 0; i < s->ntabs; i++)
            budget[i] = prng_below(&s->rng, budget[i] + 1);
    i = 0;
    while (i < s->nmsgs) {
        msg m;
        stab *t;

        if (s->msgs[i].core != ci) {
            i++;
            continue;
        }
        m = unqueue(s, i);
        t = tab_by_id(s, m.tab);
        if (!m.up && t != NULL && budget[tab_index(s, t)] > 0) {
            budget[tab_index(s, t)]--;
            deliver_down(s, &m);
        } else if (!m.up) {
            s->t.posts_lost++;
        }
        free(m.text);
    }
}

/* ---- the bus delivers ------------------------------------------------------- */

/* One post, the oldest of its sender to its receiver (a BroadcastChannel keeps
 * each sender's order); while the run is chaotic it may come twice. */
static void deliver_one(sim *s)
{
    uint32_t i = prng_below(&s->rng, s->nmsgs);
    uint32_t j;
    int dup;
    msg m;

    for (j = 0; j < i; j++)
        if (s->msgs[j].core == s->msgs[i].core && s->msgs[j].tab == s->msgs[i].tab &&
            s->msgs[j].up == s->msgs[i].up)
            break;
    dup = s->chaos && prng_below(&s->rng, 16) == 0;
    m = dup ? s->msgs[j] : unqueue(s, j);
    if (!m.up)
        deliver_down(s, &m);
    else if (!m.batch)
        core_control(s, m.core, m.text);
    else if (s->v->drops && s->chaos && prng_below(&s->rng, 5) == 0)
        s->t.drops++;
    else
        core_frames(s, &m);
    if (!dup)
        free(m.text);
}

/* ---- the run ---------------------------------------------------------------- */

/* A random tab in `state`, or (-1) any that has not left. */
static stab *random_tab(sim *s, int state)
{
    uint32_t i;
    uint32_t n = 0;
    uint32_t pick;

    for (i = 0; i < s->ntabs; i++)
        n += state < 0 ? !s->tabs[i].left : s->tabs[i].state == state;
    if (n == 0)
        return NULL;
    pick = prng_below(&s->rng, n);
    for (i = 0; i < s->ntabs; i++)
        if ((state < 0 ? !s->tabs[i].left : s->tabs[i].state == state) && pick-- == 0)
            return &s->tabs[i];
    return NULL;
}

static uint32_t tabs_open(const sim *s)
{
    uint32_t i;
    uint32_t n = 0;

    for (i = 0; i < s->ntabs; i++)
        n += !s->tabs[i].left;
    return n;
}

static void step(sim *s)
{
    uint32_t r = prng_below(&s->rng, 1000);
    score *c = live(s);
    stab *t;

    if (r < 290) {
        if (s->nmsgs > 0)
            deliver_one(s);
    } else if (r < 500) {
        t = random_tab(s, T_OPEN);
        if (t != NULL)
            tab_sends(s, t, 1 + prng_below(&s->rng, 4));
    } else if (r < 560) {
        if (c != NULL && c->drain_due)
            fire_drain(s);
    } else if (r < 590) {
        if (c != NULL)
            fire_progress(s);
    } else if (r < 640) {
        if (c != NULL && c->flush_due)
            fire_flush(s);
    } else if (r < 700) {
        if (c != NULL && c->open_due)
            fire_open(s);
    } else if (r < 720) {
        if (c != NULL && c->close_due)
            fire_close(s);
    } else if (r < 740) {
        if (c != NULL)
            fire_gone(s);
    } else if (r < 770) {
        if (c != NULL && c->sock == S_OPEN)
            server_frame(s);
    } else if (r < 820) {
        advance(s, prng_below(&s->rng, 1500));
    } else if (r < 850) {
        if (tabs_open(s) < MAX_ALIVE && s->ntabs < MAX_TABS)
            tab_join(s);
    } else if (r < 860) {
        t = random_tab(s, -1);
        if (t != NULL)
            tab_close(s, t);
    } else if (r < 865) {
        /* A crash: no goodbye, only the lock let go. */
        t = random_tab(s, -1);
        if (t != NULL)
            tab_finish(s, t);
    } else if (r < 885) {
        if (c != NULL && s->ncores < MAX_LEADERS - 1)
            leader_dies(s);
    } else if (c == NULL) {
        leader_start(s);
    } else if (s->nmsgs > 0) {
        deliver_one(s);
    }
}

/* The tab is open, welcomed by the live leader, with nothing left to send. */
static int tab_settled(const sim *s, const stab *t)
{
    return t->state == T_OPEN && t->welcomed && t->leader == s->cores[s->cur].id &&
           t->lo == t->seq;
}

static int settled(const sim *s)
{
    uint32_t i;

    for (i = 0; i < s->ntabs; i++)
        if (!s->tabs[i].left && !tab_settled(s, &s->tabs[i]))
            return 0;
    return 1;
}

/* Tabs stop sending, the last leader stays: the bus empties, its socket
 * opens and drains, flushes are done, time passes for the retries. */
static void wind_down(sim *s)
{
    uint32_t i;
    int n;

    s->chaos = 0;
    if (s->cur < 0)
        leader_start(s);
    /* A lost batch shows only as a gap before the tab's next one: in a run
     * that loses batches, each tab sends one more frame. */
    if (s->v->drops)
        for (i = 0; i < s->ntabs; i++)
            tab_sends(s, &s->tabs[i], 1);
    for (n = 0; n < WIND_DOWN_LIMIT && !test_failed(); n++) {
        score *c = live(s);

        if (s->nmsgs > 0)
            deliver_one(s);
        else if (c->open_due)
            fire_open(s);
        else if (c->drain_due) {
            pass_to_network(s, s->cur, c->nbuf);
            fire_drain(s);
        } else if (c->flush_due)
            fire_flush(s);
        else if (c->close_due)
            fire_close(s);
        else if (gone_pending(s, c))
            fire_gone(s);
        else if (settled(s))
            return;
        else
            advance(s, SETTLE_STEP_MS);
    }
    for (i = 0; i < s->ntabs; i++) {
        const stab *t = &s->tabs[i];

        if (!t->left && !tab_settled(s, t))
            check_fail(__FILE__, __LINE__,
                       "unsettled: tab %u state %d welcomed %d leader %u (live %u) "
                       "unacked [%u, %u)",
                       t->id, t->state, t->welcomed, t->leader, s->cores[s->cur].id, t->lo,
                       t->seq);
    }
}

/* Every frame of every tab still open reached the server; the last leader
 * gave back every handle. */
static void check_end(sim *s)
{
    uint32_t i;
    uint32_t k;
    uint32_t held = 0;

    for (i = 0; i < s->ntabs; i++) {
        const stab *t = &s->tabs[i];

        if (!t->left)
            s->t.owed += t->seq - 1;
        for (k = 1; !t->left && k < t->seq; k++) {
            if (t->first_core[k] < 0) {
                check_fail(__FILE__, __LINE__, "tab %u: seq %u never reached the server", t->id,
                           k);
                break;
            }
        }
    }
    for (k = 1; k <= s->nh; k++)
        held += s->h_core[k] == s->cur && s->h_state[k] == L_HELD;
    if (held != 0)
        check_fail(__FILE__, __LINE__, "the last leader kept %u handles", held);
}

static void free_sim(sim *s)
{
    uint32_t i;

    for (i = 0; i < s->ntabs; i++)
        wss_link_free(s->tabs[i].link);
    for (i = 0; i < s->ncores; i++) {
        wss_destroy(s->cores[i].core);
        free(s->cores[i].buf);
    }
    for (i = 0; i < s->nmsgs; i++)
        free(s->msgs[i].text);
    for (i = 0; i < s->nenvs; i++)
        free(s->envs[i].pairs);
    free(s->msgs);
    free(s->envs);
    free(s->h_core);
    free(s->h_state);
    free(s->h_tab);
    free(s->h_seq);
    free(s);
}

static void run(const variant *v, uint32_t seed, totals *sum)
{
    sim *s = xrealloc(NULL, sizeof(sim));
    int i;

    memset(s, 0, sizeof(*s));
    s->v = v;
    s->rng = seed * 2654435761u + 7;
    s->now = 1000.0;
    s->cur = -1;
    s->chaos = 1;
    for (i = 0; i < STEPS && !test_failed(); i++)
        step(s);
    if (!test_failed())
        wind_down(s);
    if (!test_failed())
        check_end(s);
    if (test_failed())
        fprintf(stderr, "  (%s, seed %u)\n", v->name, seed);
    sum->frames += s->t.frames;
    sum->owed += s->t.owed;
    sum->changes += s->t.changes;
    sum->deaths_unopened += s->t.deaths_unopened;
    sum->deaths_in_a_row += s->t.deaths_in_a_row;
    sum->dup_undrained += s->t.dup_undrained;
    sum->dup_ack_lost += s->t.dup_ack_lost;
    sum->drops += s->t.drops;
    sum->resends += s->t.resends;
    sum->unheard += s->t.unheard;
    sum->posts_lost += s->t.posts_lost;
    free_sim(s);
}

static totals run_seeds(const variant *v)
{
    totals sum;
    uint32_t seed;

    memset(&sum, 0, sizeof(sum));
    for (seed = 1; seed <= SEEDS && !test_failed(); seed++)
        run(v, seed, &sum);
    printf("  failover (%s): %u seeds x %d steps, %ld frames (%ld owed at the end), %ld leader "
           "changes (%ld before the socket opened, %ld of those in a row), %ld duplicates (%ld "
           "unconfirmed at the death, %ld acks lost with the leader), %ld batches dropped, %ld "
           "resends, %ld leader posts lost, %ld tab posts unheard\n",
           v->name, seed - 1, STEPS, sum.frames, sum.owed, sum.changes, sum.deaths_unopened,
           sum.deaths_in_a_row, sum.dup_undrained + sum.dup_ack_lost, sum.dup_undrained,
           sum.dup_ack_lost, sum.drops, sum.resends, sum.posts_lost, sum.unheard);
    fflush(stdout);
    return sum;
}

/* Runs every seed of a variant; then, unless a run failed, checks that the
 * runs reached what they claim to check (about half of what they reach). */
static int run_variant(const variant *v, totals *sum)
{
    *sum = run_seeds(v);
    if (test_failed())
        return 0;
    CHECK(sum->frames > 10000);
    CHECK(sum->owed > 3000);
    CHECK(sum->changes > 400);
    CHECK(sum->deaths_unopened > 150);
    CHECK(sum->deaths_in_a_row > 50);
    CHECK(sum->dup_undrained > 250);
    CHECK(sum->unheard > 800);
    return 1;
}

static void tabs_should_lose_no_frame_across_leader_deaths_and_reach_the_server_in_order(void)
{
    static const variant v = {"bus keeps every post", 0, 0};
    totals sum;

    if (!run_variant(&v, &sum))
        return;
    CHECK_EQ(sum.posts_lost, 0);
    CHECK_EQ(sum.dup_ack_lost, 0);
}

static void tabs_should_lose_no_frame_when_a_dying_leader_takes_its_unsent_posts_with_it(void)
{
    static const variant v = {"dying leaders lose posts", 1, 0};
    totals sum;

    if (!run_variant(&v, &sum))
        return;
    CHECK(sum.posts_lost > 2000);
    CHECK(sum.dup_ack_lost > 300);
}

static void tabs_should_lose_no_frame_when_the_bus_also_drops_batches_they_send(void)
{
    static const variant v = {"batches dropped too", 1, 1};
    totals sum;

    if (!run_variant(&v, &sum))
        return;
    CHECK(sum.drops > 200);
    CHECK(sum.resends > 150);
}

const test_case failover_tests[] = {
    TEST_CASE(tabs_should_lose_no_frame_across_leader_deaths_and_reach_the_server_in_order),
    TEST_CASE(tabs_should_lose_no_frame_when_a_dying_leader_takes_its_unsent_posts_with_it),
    TEST_CASE(tabs_should_lose_no_frame_when_the_bus_also_drops_batches_they_send),
    TEST_END,
};
