/*
 * The tab's link to its leader, on the page's side of the bus: the hello and
 * the welcome, the numbers of the tab's frames and which of them a leader
 * has not acknowledged (re-sent to the next one), the frames a protocol
 * profile asked the tab to keep, the server's frames (duplicates and posts
 * after a gap dropped), the batches, the timers, and what the app hears when
 * its leader changes. Payloads stay the host's, under their frame numbers;
 * the link keeps numbers and marks. Like session.c it allocates nothing and
 * needs no cJSON: it runs natively in the tests and, compiled to JavaScript,
 * in every page.
 */
#include <string.h>

#include "wsshare.h"

/* Compile-time limits and timings; override with -D. */
#ifndef WSS_LINK_MAX
#define WSS_LINK_MAX 256 /* live links of one page, as many as sessions */
#endif
#ifndef WSS_LINK_NOTES
#define WSS_LINK_NOTES 64 /* frames a tab keeps for a next leader, or marks for one */
#endif
#ifndef WSS_LINK_STATS
#define WSS_LINK_STATS 8 /* stats() questions a tab has out at once */
#endif
#ifndef WSS_LINK_BATCH_FRAMES
#define WSS_LINK_BATCH_FRAMES 512 /* frames per post */
#endif
#ifndef WSS_LINK_BATCH_BYTES
#define WSS_LINK_BATCH_BYTES (256u << 10) /* bytes that make a post go at once */
#endif
#ifndef WSS_LINK_HELLO_RETRY_MS
#define WSS_LINK_HELLO_RETRY_MS 1000 /* a hello nobody welcomed is said again */
#endif
#ifndef WSS_LINK_PING_EVERY_MS
#define WSS_LINK_PING_EVERY_MS 20000 /* a welcomed tab says it lives */
#endif
#ifndef WSS_LINK_BYE_TIMEOUT_MS
#define WSS_LINK_BYE_TIMEOUT_MS 1000 /* a goodbye the leader does not answer */
#endif
#ifndef WSS_LINK_STATS_TIMEOUT_MS
#define WSS_LINK_STATS_TIMEOUT_MS 2000 /* stats() settles without the leader's part */
#endif

/* One call's actions: a chunk of server frames delivers in at most one range
 * per frame; an ack releases around every note; a spare few for the rest. */
#define LINK_ACTIONS (WSS_LINK_SCRATCH + 3 * WSS_LINK_NOTES + 16)
#define NO_TIMER 4294967295u
#define NONE (-1.0) /* no deadline */

enum { CONNECTING, OPEN, CLOSING, CLOSED };

typedef struct note {
    uint32_t seq;
    uint32_t mark;
} note;

typedef struct ask {
    uint32_t id;
    double due;
} ask;

struct wss_link {
    int used;
    uint32_t tab;
    double max_message;   /* maxMessageBytes; negative: none */
    uint32_t state;       /* the socket's readyState */
    uint32_t leader;      /* the leader followed; 0: none yet */
    uint32_t own;         /* the leader this tab runs; 0: none */
    uint32_t term;        /* its term in the election without locks; 0: none */
    uint32_t seq;         /* the number of the tab's next frame */
    uint32_t lo;          /* unacknowledged: [lo, seq) */
    uint32_t pend;        /* not yet posted: [pend, seq) */
    uint32_t posted;      /* the last frame posted to any leader */
    double pend_bytes;
    uint32_t last_in;     /* the last server frame taken */
    uint32_t close_code;  /* the app's close(): 1005 without a code */
    int welcomed, resume, quiet, reconnecting, hidden_away, overflow;
    uint32_t hailed;      /* the leader whose hello the frames followed; 0: none */
    uint32_t told;        /* the farewell the host holds ready: FAREWELL_* bits */
    uint32_t bye_to;      /* the leader the goodbye held ready is addressed to */
    double now;
    double hello_at, ping_at, bye_at, fail_at; /* deadlines; NONE: none */
    double armed;         /* when the armed timer fires; NONE: none */
    uint32_t nasks, next_ask;
    ask asks[WSS_LINK_STATS];
    uint32_t nnotes;
    note notes[WSS_LINK_NOTES]; /* by seq: kept (below lo) or marked (unacknowledged) */
};

/* The farewell: what a page that goes away posts before anything else. */
#define FAREWELL_BYE 1u
#define FAREWELL_RESIGN 2u

static wss_link pool[WSS_LINK_MAX];
/* One call runs at a time: its actions, their texts and the host's fields
 * are shared by every link. */
static wss_action acts[LINK_ACTIONS];
static uint32_t nacts;
static uint32_t scratch[WSS_LINK_SCRATCH];
static char texts[512];
static uint32_t ntext;
static uint32_t kept_out[2 * WSS_LINK_NOTES];

/* A number from the host's parse of an envelope: anything not a u32 is 0. */
static uint32_t u32(double d)
{
    return d >= 0 && d < 4294967296.0 ? (uint32_t)d : 0;
}

static void push(uint32_t kind, uint32_t a, uint32_t b)
{
    wss_action *x;

    if (nacts == LINK_ACTIONS)
        return; /* cannot happen: LINK_ACTIONS bounds every call */
    x = &acts[nacts++];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    x->a = a;
    x->b = b;
}

/* ---- envelopes, as JSON.stringify writes them ---------------------------- */

static void put(const char *s)
{
    while (*s && ntext < sizeof texts - 1)
        texts[ntext++] = *s++;
}

static void put_num(const char *key, uint32_t n)
{
    char digits[11];
    int i = 10;

    digits[10] = '\0';
    do {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    put(",\"");
    put(key);
    put("\":");
    put(digits + i);
}

/* Starts {"v":1,"t":type; the caller adds the fields and post() ends it. */
static uint32_t begin_env(const char *type)
{
    uint32_t at = ntext;

    put("{\"v\":1,\"t\":\"");
    put(type);
    put("\"");
    return at;
}

/* The envelope begun at `at` is done: post it for leader `to` (0: whichever
 * leads), whose host may carry it by a way of its own (see LINK_POST). */
static void post(uint32_t kind, uint32_t at, uint32_t to)
{
    put("}");
    texts[ntext++] = '\0';
    push(kind, 0, 0);
    acts[nacts - 1].handle = to;
    acts[nacts - 1].text = texts + at;
    acts[nacts - 1].len = ntext - 1 - at;
}

/* ---- timers ---------------------------------------------------------------- */

static void due(double *best, double at)
{
    if (at >= 0 && (*best < 0 || at < *best))
        *best = at;
}

static void rearm(wss_link *k)
{
    double best = NONE;
    uint32_t i, delay = NO_TIMER;

    if (k->state != CLOSED) {
        due(&best, k->hello_at);
        due(&best, k->ping_at);
        due(&best, k->bye_at);
        due(&best, k->fail_at);
        for (i = 0; i < k->nasks; i++)
            due(&best, k->asks[i].due);
    }
    /* The host's timer is set again only when the first deadline moved. */
    if (best == k->armed)
        return;
    if (best >= 0) {
        double d = best - k->now;
        delay = d <= 0 ? 0 : d >= 4294967294.0 ? 4294967294u : (uint32_t)(d + 0.999);
    }
    k->armed = best;
    push(WSS_ACT_LINK_TIMER, delay, 0);
}

/* ---- the tab's frames ------------------------------------------------------ */

static note *find(wss_link *k, uint32_t seq)
{
    uint32_t i;

    for (i = 0; i < k->nnotes; i++)
        if (k->notes[i].seq == seq)
            return &k->notes[i];
    return NULL;
}

static void unnote(wss_link *k, note *n)
{
    uint32_t i = (uint32_t)(n - k->notes);

    memmove(n, n + 1, (k->nnotes - i - 1) * sizeof *n);
    k->nnotes--;
}

/* Frames [from, end) go out to our leader in posts of at most a batch, by
 * its road or (by_bus: WSS_LINK_BY_BUS) on the bus. */
static void post_frames(const wss_link *k, uint32_t from, uint32_t end, uint32_t by_bus)
{
    if (end == from)
        return;
    push(WSS_ACT_LINK_POST_FRAMES, from, end - from);
    acts[nacts - 1].handle = k->leader;
    acts[nacts - 1].len = WSS_LINK_BATCH_FRAMES | by_bus;
}

/* Frames [pend, seq) go out (see post_frames). One a profile marked while
 * it was unacknowledged (a re-send to a next leader) goes alone, with its
 * mark: that leader's profile reads it as it reads a kept frame, and does
 * not answer again what the tab had its answer to. */
static void post_pending(wss_link *k, uint32_t by_bus)
{
    uint32_t from = k->pend, i;

    if (k->seq == from)
        return;
    for (i = 0; i < k->nnotes; i++) {
        uint32_t s = k->notes[i].seq;

        if (s < from || s >= k->seq)
            continue;
        post_frames(k, from, s, by_bus);
        push(WSS_ACT_LINK_POST_MARKED, s, k->notes[i].mark);
        acts[nacts - 1].handle = k->leader;
        from = s + 1;
    }
    post_frames(k, from, k->seq, by_bus);
    if (k->seq - 1 > k->posted)
        k->posted = k->seq - 1;
    k->pend = k->seq;
    k->pend_bytes = 0;
}

/* Frames wait for the welcome. */
static void flush(wss_link *k)
{
    if (k->welcomed)
        post_pending(k, 0);
}

static void resend_from(wss_link *k, uint32_t from)
{
    k->pend = from < k->lo ? k->lo : from > k->seq ? k->seq : from;
    k->pend_bytes = 0;
    flush(k);
}

/* Frames up to `upto` reached the server: the app's bufferedAmount lets them
 * go; their payloads go too, but for those a profile keeps for a next leader. */
static void acked(wss_link *k, double upto)
{
    uint32_t last, from, i;

    if (!(upto >= k->lo) || k->lo == k->seq)
        return;
    last = upto >= (double)(k->seq - 1) ? k->seq - 1 : (uint32_t)upto;
    push(WSS_ACT_LINK_ACKED, k->lo, last);
    from = k->lo;
    for (i = 0; i < k->nnotes; i++) {
        uint32_t s = k->notes[i].seq;

        if (s < from || s > last)
            continue;
        if (s > from)
            push(WSS_ACT_LINK_RELEASE, from, s - 1);
        from = s + 1;
    }
    if (from <= last)
        push(WSS_ACT_LINK_RELEASE, from, last);
    k->lo = last + 1;
}

/* A profile's note: keep frame `seq` with `mark` for a next leader. */
static void keep(wss_link *k, uint32_t seq, uint32_t mark)
{
    note *n = find(k, seq);
    uint32_t i;

    /* A profile speaks for this tab's client from here on. */
    k->quiet = 1;
    if (n != NULL) {
        n->mark = mark;
        return;
    }
    if (seq < k->lo || seq >= k->seq)
        return; /* gone already, or never sent */
    if (k->nnotes == WSS_LINK_NOTES) {
        /* Said once; the next leader change then closes the socket, as the
         * socket of the tab's own would have closed: a frame it cannot keep
         * is never silently missing from a rebuilt connection. */
        if (!k->overflow)
            push(WSS_ACT_LINK_ERROR, WSS_LINK_ERR_NOTES, WSS_LINK_NOTES);
        k->overflow = 1;
        return;
    }
    for (i = k->nnotes; i > 0 && k->notes[i - 1].seq > seq; i--)
        k->notes[i] = k->notes[i - 1];
    k->notes[i].seq = seq;
    k->notes[i].mark = mark;
    k->nnotes++;
}

static void forget(wss_link *k, uint32_t seq)
{
    note *n = find(k, seq);

    if (n == NULL)
        return;
    unnote(k, n);
    if (seq < k->lo)
        push(WSS_ACT_LINK_RELEASE, seq, seq);
}

/* ---- what the app hears ------------------------------------------------------ */

static void drop_ask(wss_link *k, uint32_t i, uint32_t answered)
{
    push(WSS_ACT_LINK_STATS, k->asks[i].id, answered);
    memmove(&k->asks[i], &k->asks[i + 1], (k->nasks - i - 1) * sizeof *k->asks);
    k->nasks--;
}

static void settle_asks(wss_link *k)
{
    uint32_t i;

    for (i = 0; i < k->nasks; i++)
        push(WSS_ACT_LINK_STATS, k->asks[i].id, 0);
    k->nasks = 0;
}

static void finish(wss_link *k, uint32_t code, uint32_t flags)
{
    if (k->state == CLOSED)
        return;
    k->state = CLOSED;
    k->welcomed = 0;
    settle_asks(k);
    push(WSS_ACT_LINK_CLOSE, code, flags);
}

static void bye(wss_link *k)
{
    uint32_t at = begin_env("bye");

    put_num("tab", k->tab);
    post(WSS_ACT_LINK_POST, at, k->leader);
}

/* Detaches from the leader; says goodbye unless it already let us go. */
static void leave(wss_link *k, int silent)
{
    flush(k);
    if (!silent && k->welcomed)
        bye(k);
    k->welcomed = 0;
}

static void hello(wss_link *k)
{
    uint32_t at;

    k->hailed = 0;
    if (k->state == CLOSED || k->state == CLOSING)
        return;
    /* `last`: frames up to it were taken by send(); a new leader queues their
     * re-sends whatever its bounds. `p`: frames up to it went to a leader,
     * which may have handled them. */
    at = begin_env("hello");
    put_num("tab", k->tab);
    put_num("next", k->lo);
    put_num("last", k->seq - 1);
    put_num("p", k->posted);
    put_num("l", k->leader);
    /* On the bus: a leader hears a tab on a road of its own (its port, its
     * own channel) only once it welcomed it. */
    post(WSS_ACT_LINK_POST, at, 0);
    k->hello_at = k->now + WSS_LINK_HELLO_RETRY_MS;
}

/* A new leader is a new server connection. Unless a profile or the app's
 * opt-in resumes it, an open tab closes as its own socket would have; so it
 * does when it could not keep every frame a profile asked it to. */
static int closes_with_leader(wss_link *k)
{
    if (k->state != OPEN || ((k->resume || k->quiet) && !k->overflow))
        return 0;
    leave(k, 1);
    push(WSS_ACT_LINK_ERROR, WSS_LINK_ERR_PLAIN, 0);
    finish(k, 1006, 0);
    return 1;
}

/* The connection is being made again. A client whose profile resumes it for
 * it (its frames were kept) must not see that: such a client answers a
 * second open with a second handshake. The leader's retries are told while
 * the socket has not opened yet too. */
static void reconnecting(wss_link *k, uint32_t attempt, uint32_t delay, int connecting)
{
    if (k->quiet || !(k->state == OPEN || (connecting && k->state == CONNECTING)))
        return;
    k->reconnecting = 1;
    push(WSS_ACT_LINK_RECONNECTING, attempt, delay);
}

/* The shared socket is open: the first time, or again after a reconnect or a
 * change of leader (then `open` fires again; readyState stayed OPEN). */
static void shared_open(wss_link *k, uint32_t flags)
{
    k->resume = (flags & WSS_LINK_RESUME) != 0;
    push(WSS_ACT_LINK_PROTOCOL, 0, 0);
    if (k->state == CONNECTING) {
        k->reconnecting = 0;
        k->state = OPEN;
        push(WSS_ACT_LINK_OPEN, 0, 0);
    } else if (k->reconnecting && k->state == OPEN) {
        k->reconnecting = 0;
        push(WSS_ACT_LINK_OPEN, 0, 0);
    }
}

/* Right behind its hello to a leader it just heard of, on the bus as the
 * hello (the leader opens this tab's road only as it welcomes it), a tab
 * posts every frame that leader has not acknowledged, rather than a bus
 * round trip later, on the welcome: the leader takes the hello first, so it
 * knows the tab and where its frames start, and queues them until its
 * socket opens. A failover's first frames then wait for the new socket
 * alone; other tabs get a copy of these re-sends, as of the hello. Not so
 * where a profile kept or marked a frame: those go first, or alone, once a
 * welcome showed the leader knows the tab; nor for frames sent later,
 * before the welcome, which wait for it and its road. */
static void hail(wss_link *k)
{
    if (k->state != OPEN || k->leader == 0 || k->nnotes > 0 || k->lo == k->seq)
        return;
    k->pend = k->lo;
    k->pend_bytes = 0;
    post_pending(k, WSS_LINK_BY_BUS);
    k->hailed = k->leader;
}

static int is_leader(const wss_link *k)
{
    return k->own != 0 && k->own == k->leader;
}

static void follow(wss_link *k, uint32_t id)
{
    uint32_t had = k->leader;

    if (id == had)
        return;
    k->leader = id;
    k->welcomed = 0;
    if (had || is_leader(k))
        push(WSS_ACT_LINK_LEADERCHANGE, (uint32_t)is_leader(k), 0);
    if (had && closes_with_leader(k))
        return;
    if (had && !k->reconnecting)
        reconnecting(k, 1, 0, 0);
    hello(k);
    hail(k);
}

static void welcome(wss_link *k, uint32_t seq, double upto, uint32_t flags)
{
    int fresh = !k->welcomed;
    uint32_t i, n = 0;

    if (fresh) {
        /* A leader numbers its server frames from its own start. */
        k->welcomed = 1;
        k->last_in = seq ? seq - 1 : 0;
        k->ping_at = k->now + WSS_LINK_PING_EVERY_MS;
    }
    k->hello_at = NONE;
    k->resume = (flags & WSS_LINK_RESUME) != 0;
    acked(k, upto);
    /* A leader that did not know us rebuilds first from what we kept. */
    for (i = 0; fresh && i < k->nnotes && k->notes[i].seq < k->lo; i++, n++) {
        kept_out[n] = k->notes[i].seq;
        kept_out[WSS_LINK_NOTES + n] = k->notes[i].mark;
    }
    if (n) {
        memmove(kept_out + n, kept_out + WSS_LINK_NOTES, n * sizeof *kept_out);
        push(WSS_ACT_LINK_POST_KEPT, 0, n);
        acts[nacts - 1].handle = k->leader;
        acts[nacts - 1].text = (const char *)kept_out;
    }
    /* What went behind the hello this welcome answers goes not again: the
     * leader took it after the hello. */
    if (k->lo < k->seq)
        resend_from(k, fresh && k->hailed == k->leader ? k->pend : k->lo);
    k->hailed = 0;
    if (flags & WSS_LINK_OPEN)
        shared_open(k, flags);
}

/* ---- the API ------------------------------------------------------------------- */

static int begin(wss_link *k, double now)
{
    nacts = 0;
    ntext = 0;
    if (k == NULL || !k->used)
        return WSS_EINVAL;
    if (now > k->now)
        k->now = now;
    return k->state == CLOSED ? WSS_EREJECT : WSS_OK;
}

/* Firefox may stop a closing page's pagehide script a few statements in:
 * the host keeps the page's farewell written, and posts it first. A
 * goodbye is ready only while no frame waits to be posted (it must not
 * overtake them). */
static void farewell(wss_link *k)
{
    uint32_t want = (k->welcomed && k->pend == k->seq && k->state != CLOSED ? FAREWELL_BYE : 0) |
                    (k->term ? FAREWELL_RESIGN : 0);
    /* The goodbye goes on the bus (no leader named) while no frame is
     * unacknowledged: a closing page's post there arrives in every engine,
     * where one on a worker's port may not (Firefox). With frames in flight
     * on the leader's port, it follows them there, never overtaking them. */
    uint32_t to = k->lo == k->seq ? 0 : k->leader;
    uint32_t changed = want ^ k->told, at;

    if ((want & FAREWELL_BYE) && to != k->bye_to)
        changed |= FAREWELL_BYE;

    k->told = want;
    if (changed & FAREWELL_RESIGN) {
        at = begin_env("resign");
        put_num("id", k->tab);
        put_num("term", k->term);
        post(WSS_ACT_LINK_FAREWELL, at, 0);
        acts[nacts - 1].a = FAREWELL_RESIGN;
        acts[nacts - 1].b = (want & FAREWELL_RESIGN) != 0;
    }
    if (changed & FAREWELL_BYE) {
        at = begin_env("bye");
        put_num("tab", k->tab);
        post(WSS_ACT_LINK_FAREWELL, at, to);
        k->bye_to = to;
        acts[nacts - 1].a = FAREWELL_BYE;
        acts[nacts - 1].b = (want & FAREWELL_BYE) != 0;
    }
}

static int end(wss_link *k, int rc)
{
    rearm(k);
    farewell(k);
    return rc;
}

wss_link *wss_link_new(uint32_t tab, double max_message_bytes)
{
    uint32_t i;

    if (tab == 0)
        return NULL;
    for (i = 0; i < WSS_LINK_MAX; i++) {
        if (!pool[i].used) {
            memset(&pool[i], 0, sizeof pool[i]);
            pool[i].used = 1;
            pool[i].tab = tab;
            pool[i].max_message = max_message_bytes;
            pool[i].seq = pool[i].lo = pool[i].pend = 1;
            pool[i].armed = NONE;
            pool[i].hello_at = pool[i].ping_at = pool[i].bye_at = pool[i].fail_at = NONE;
            return &pool[i];
        }
    }
    return NULL;
}

void wss_link_free(wss_link *k)
{
    if (k != NULL)
        memset(k, 0, sizeof *k);
}

uint32_t wss_link_send(wss_link *k, uint32_t len, double now)
{
    if (begin(k, now) != WSS_OK)
        return 0;
    if (k->state != OPEN) {
        push(WSS_ACT_LINK_COUNT, len, 0); /* as the browser does after close: counted, not sent */
        end(k, WSS_OK);
        return 0;
    }
    if (k->max_message >= 0 && (double)len > k->max_message) {
        push(WSS_ACT_LINK_ERROR, WSS_LINK_ERR_TOO_BIG, len);
        return 0;
    }
    push(WSS_ACT_LINK_COUNT, len, 0);
    k->pend_bytes += len;
    k->seq++;
    if (k->seq - k->pend >= WSS_LINK_BATCH_FRAMES || k->pend_bytes >= WSS_LINK_BATCH_BYTES)
        flush(k);
    else if (k->seq - k->pend == 1)
        push(WSS_ACT_LINK_FLUSH, 0, 0);
    end(k, WSS_OK);
    return k->seq - 1;
}

int wss_link_flush(wss_link *k, double now)
{
    int rc = begin(k, now);

    if (rc != WSS_OK)
        return rc;
    flush(k);
    return end(k, WSS_OK);
}

int wss_link_hello(wss_link *k, double now)
{
    int rc = begin(k, now);

    if (rc != WSS_OK)
        return rc;
    hello(k);
    return end(k, WSS_OK);
}

int wss_link_close(wss_link *k, uint32_t code, double now)
{
    int rc = begin(k, now);

    if (rc != WSS_OK || k->state == CLOSING)
        return WSS_EREJECT;
    if (k->state == CONNECTING) {
        /* Like the browser: closing before the handshake fails the connection,
         * in a task of its own. */
        k->state = CLOSING;
        k->fail_at = k->now;
        return end(k, WSS_OK);
    }
    k->state = CLOSING;
    flush(k);
    k->close_code = code ? code : 1005;
    bye(k);
    k->bye_at = k->now + WSS_LINK_BYE_TIMEOUT_MS;
    return end(k, WSS_OK);
}

int wss_link_envelope(wss_link *k, uint32_t type, uint32_t leader, uint32_t tab, double x,
                      double y, uint32_t flags, double now)
{
    int rc = begin(k, now);
    int mine;

    if (rc != WSS_OK)
        return rc;
    mine = tab == k->tab;
    if (type == WSS_LINK_ENV_LEADER) {
        push(WSS_ACT_LINK_HEARD, WSS_LINK_HEARD_ELECTION, 0);
        follow(k, leader);
        return end(k, WSS_OK);
    }
    /* A welcome answers our hello; anything else is heeded only from the
     * leader we follow, never from one that was replaced. */
    if (type == WSS_LINK_ENV_WELCOME && mine && k->leader == 0)
        k->leader = leader;
    if (leader != k->leader)
        return end(k, WSS_EREJECT);
    push(WSS_ACT_LINK_HEARD, WSS_LINK_HEARD_ALL, 0);
    switch (type) {
    case WSS_LINK_ENV_WELCOME:
        if (mine)
            welcome(k, u32(x), y, flags);
        break;
    case WSS_LINK_ENV_OPEN:
        if (k->welcomed)
            shared_open(k, flags);
        break;
    case WSS_LINK_ENV_RECONNECTING:
        if (k->welcomed)
            reconnecting(k, u32(x), u32(y), 1);
        break;
    case WSS_LINK_ENV_CLOSE:
        /* A close for one tab is a profile's: its own connection ended. */
        if (k->welcomed && (tab == 0 || mine)) {
            leave(k, 1);
            if (!(flags & WSS_LINK_CLEAN))
                push(WSS_ACT_LINK_ERROR, WSS_LINK_ERR_PLAIN, 0);
            finish(k, u32(x), (flags & WSS_LINK_CLEAN) | WSS_LINK_REASON_ENVELOPE);
        }
        break;
    case WSS_LINK_ENV_GONE:
        if (mine && k->state == CLOSING) {
            finish(k, k->close_code, WSS_LINK_CLEAN | WSS_LINK_REASON_APP);
        } else if (mine && k->welcomed) {
            /* The leader let us go, though we live (it heard nothing from us
             * for too long), and with us the road it heard us on: it
             * welcomes us afresh, and has again what it did not acknowledge. */
            k->welcomed = 0;
            hello(k);
        }
        break;
    case WSS_LINK_ENV_ERROR:
        if (mine)
            push(WSS_ACT_LINK_ERROR, WSS_LINK_ERR_LEADER, 0);
        break;
    case WSS_LINK_ENV_RESEND:
        if (mine)
            resend_from(k, u32(x));
        break;
    case WSS_LINK_ENV_REHELLO:
        /* The leader does not know us (any more): it welcomes us afresh. */
        if (mine) {
            k->welcomed = 0;
            hello(k);
        }
        break;
    case WSS_LINK_ENV_STATS: {
        uint32_t i;

        for (i = 0; mine && i < k->nasks; i++) {
            if (k->asks[i].id == u32(x)) {
                drop_ask(k, i, 1);
                break;
            }
        }
        break;
    }
    default: /* an ack (its notes follow, by wss_link_notes), or a beat */
        break;
    }
    return end(k, WSS_OK);
}

int wss_link_notes(wss_link *k, uint32_t kind, uint32_t words, double now)
{
    int rc = begin(k, now);
    uint32_t width = kind == WSS_LINK_NOTES_KEEP ? 3 : 2, i;
    double most = -1;

    if (rc != WSS_OK)
        return rc;
    if (words > WSS_LINK_SCRATCH || kind > WSS_LINK_NOTES_ACK)
        return WSS_EINVAL;
    for (i = 0; i + width <= words; i += width) {
        if (scratch[i] != k->tab)
            continue;
        if (kind == WSS_LINK_NOTES_KEEP)
            keep(k, scratch[i + 1], scratch[i + 2]);
        else if (kind == WSS_LINK_NOTES_FORGET)
            forget(k, scratch[i + 1]);
        else if (scratch[i + 1] > most)
            most = scratch[i + 1]; /* acks only grow: the last that counts is the highest */
    }
    if (most >= 0)
        acked(k, most);
    return end(k, WSS_OK);
}

int wss_link_frames(wss_link *k, uint32_t leader, uint32_t seq0, uint32_t count, int targeted,
                    double now)
{
    int rc = begin(k, now);
    uint32_t i, run = 0;

    if (rc != WSS_OK)
        return rc;
    if (leader != k->leader)
        return end(k, WSS_EREJECT);
    push(WSS_ACT_LINK_HEARD, WSS_LINK_HEARD_ALL, 0);
    /* The leader numbers its posts without a gap: one that leaves one is
     * another script's, and dropped whole. */
    if (!k->welcomed || k->state == CONNECTING || count > WSS_LINK_SCRATCH ||
        seq0 > k->last_in + 1)
        return end(k, WSS_EREJECT);
    for (i = 0; i < count; i++) {
        uint32_t s = seq0 + i;
        /* A profile's answer goes to the tab that asked: the others only count it. */
        int take = s > k->last_in && (!targeted || scratch[i] == 0 || scratch[i] == k->tab);

        if (s > k->last_in)
            k->last_in = s;
        if (take && run > 0 && acts[nacts - 1].a + run == i) {
            acts[nacts - 1].b = ++run;
        } else if (take) {
            push(WSS_ACT_LINK_DELIVER, i, 1);
            run = 1;
        } else {
            run = 0;
        }
    }
    return end(k, WSS_OK);
}

int wss_link_lost(wss_link *k, double now)
{
    int rc = begin(k, now);

    if (rc != WSS_OK)
        return rc;
    k->welcomed = 0;
    k->leader = 0;
    if (!closes_with_leader(k) && !k->reconnecting)
        reconnecting(k, 1, 0, 0);
    return end(k, WSS_OK);
}

int wss_link_role(wss_link *k, uint32_t own, uint32_t term, double now)
{
    int rc = begin(k, now);
    int was;

    if (rc != WSS_OK)
        return rc;
    was = is_leader(k);
    k->own = own;
    k->term = own ? term : 0;
    push(WSS_ACT_LINK_ELECT_BUS, own != 0, 0);
    if (is_leader(k) != was)
        push(WSS_ACT_LINK_LEADERCHANGE, (uint32_t)is_leader(k), 0);
    return end(k, WSS_OK);
}

void wss_link_lead(wss_link *k, uint32_t own)
{
    if (k != NULL && k->used) {
        k->own = own;
        k->term = 0; /* Web Locks hand over by themselves: nothing to resign */
    }
}

int wss_link_pagehide(wss_link *k, int persisted, double now)
{
    int rc = begin(k, now);

    if (rc != WSS_OK)
        return rc;
    /* A closing page may end before its candidate's worker reads another
     * message: the page says the leader resigns itself, so the others elect
     * at once, and says it first; then its goodbye. The host posted the
     * farewell it held already; what it could not hold goes now. */
    if (k->told & FAREWELL_BYE)
        k->welcomed = 0;
    else
        leave(k, 0);
    k->hidden_away = persisted != 0;
    return end(k, WSS_OK);
}

int wss_link_pageshow(wss_link *k, int persisted, double now)
{
    int rc = begin(k, now);

    if (rc != WSS_OK)
        return rc;
    /* Back from the back/forward cache: the socket let go as a plain one would. */
    if (persisted && k->hidden_away) {
        push(WSS_ACT_LINK_ERROR, WSS_LINK_ERR_PLAIN, 0);
        finish(k, 1006, 0);
    }
    return end(k, WSS_OK);
}

int wss_link_leave(wss_link *k, double now)
{
    int rc = begin(k, now);

    if (rc != WSS_OK)
        return rc;
    leave(k, 0);
    return end(k, WSS_OK);
}

int wss_link_fail(wss_link *k, double now)
{
    int rc = begin(k, now);

    if (rc != WSS_OK)
        return rc;
    push(WSS_ACT_LINK_ERROR, WSS_LINK_ERR_SESSION, 0);
    finish(k, 1006, 0);
    return end(k, WSS_OK);
}

uint32_t wss_link_stats(wss_link *k, double now)
{
    uint32_t at;

    if (begin(k, now) != WSS_OK || !k->welcomed || k->nasks == WSS_LINK_STATS)
        return 0;
    if (++k->next_ask == 0)
        k->next_ask = 1;
    k->asks[k->nasks].id = k->next_ask;
    k->asks[k->nasks].due = k->now + WSS_LINK_STATS_TIMEOUT_MS;
    at = begin_env("stats?");
    put_num("tab", k->tab);
    put_num("id", k->asks[k->nasks].id);
    put_num("l", k->leader);
    post(WSS_ACT_LINK_POST, at, k->leader);
    k->nasks++;
    end(k, WSS_OK);
    return k->asks[k->nasks - 1].id;
}

int wss_link_tick(wss_link *k, double now)
{
    int rc = begin(k, now);
    uint32_t i;

    if (rc != WSS_OK)
        return rc;
    k->armed = NONE;
    if (k->fail_at >= 0 && k->now >= k->fail_at) {
        k->fail_at = NONE;
        leave(k, 0);
        push(WSS_ACT_LINK_ERROR, WSS_LINK_ERR_PLAIN, 0);
        finish(k, 1006, 0);
        return end(k, WSS_OK);
    }
    if (k->bye_at >= 0 && k->now >= k->bye_at) {
        finish(k, k->close_code, WSS_LINK_CLEAN | WSS_LINK_REASON_APP);
        return end(k, WSS_OK);
    }
    for (i = 0; i < k->nasks;) {
        if (k->now >= k->asks[i].due) {
            drop_ask(k, i, 0);
        } else {
            i++;
        }
    }
    if (k->hello_at >= 0 && k->now >= k->hello_at) {
        k->hello_at = NONE;
        if (!k->welcomed)
            hello(k);
    }
    while (k->ping_at >= 0 && k->now >= k->ping_at) {
        uint32_t at = begin_env("ping");

        put_num("tab", k->tab);
        put_num("l", k->leader);
        post(WSS_ACT_LINK_POST, at, k->leader);
        k->ping_at += WSS_LINK_PING_EVERY_MS;
        if (k->ping_at <= k->now)
            k->ping_at = k->now + WSS_LINK_PING_EVERY_MS; /* a page held up pings once */
    }
    return end(k, WSS_OK);
}

const wss_action *wss_link_actions(const wss_link *k, uint32_t *count)
{
    *count = k != NULL && k->used ? nacts : 0;
    return acts;
}

uint32_t *wss_link_scratch(void)
{
    return scratch;
}

uint32_t wss_link_state(const wss_link *k)
{
    return k != NULL && k->used ? k->state : CLOSED;
}

uint32_t wss_link_unacked(const wss_link *k)
{
    return k != NULL && k->used ? k->lo : 0;
}

uint32_t wss_link_next(const wss_link *k)
{
    return k != NULL && k->used ? k->seq : 0;
}

int wss_link_is_leader(const wss_link *k)
{
    return k != NULL && k->used && is_leader(k);
}

uint32_t wss_link_scratch_words(void)
{
    return WSS_LINK_SCRATCH;
}
