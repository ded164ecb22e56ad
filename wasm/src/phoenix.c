/*
 * The Phoenix Channels profile: one server connection shared by N `phoenix`
 * Sockets, one per tab, speaking the V2 JSON serializer: every message is an
 * array [join_ref, ref, topic, event, payload]. Each Socket numbers its refs
 * from 1, so the tabs' refs collide on the wire: the leader writes refs of
 * its own (one counter for joins, pushes, leaves and heartbeats) and gives
 * each answer back under the tab's refs.
 *
 * A topic is joined once on the connection while any tab is in it: Phoenix
 * closes a channel when the same connection joins its topic again, and ends
 * it at one phx_leave. The first tab's phx_join goes to the server; a later
 * tab with the same join payload gets the cached ok reply under its own refs,
 * and every message of the topic with its own join_ref. A tab whose payload
 * differs (other params, another token) is refused: it must not ride on
 * another tab's join. The server hears phx_leave when the last tab leaves or
 * dies. Heartbeats are the leader's: it answers the tabs' and sends its own
 * every 30 s, as the client does, so the server keeps the connection.
 *
 * On a new connection every topic is joined again with its first payload and
 * the tabs hear nothing of it; pushes that were awaiting their reply get an
 * error reply (never sent again), pushes made meanwhile wait for the join.
 *
 * Binary messages carry their refs in a binary header the core does not
 * pass to profiles: a tab's binary push is refused, the server's binary
 * frames go to every tab as they came.
 */
#include <string.h>

#include "internal.h"
#include "jscan.h"
#include "profile.h"

/* The client's heartbeatIntervalMs default; a server closes a connection
 * that said nothing for 60 s. */
#define HEARTBEAT_MS 30000u
/* A kept join's mark: its tab has its ok reply. */
#define TOLD 1u

enum { T_WANTED, T_ASKED, T_JOINED };
enum { E_JOINREF, E_REF, E_TOPIC, E_EVENT, E_PAYLOAD, E_COUNT };

/* A topic the server is (to be) joined to. */
typedef struct topic {
    uint32_t id;       /* what members and pushes name it by */
    char *name;        /* unescaped: the server may escape it otherwise than the tab */
    uint32_t name_len;
    char *raw;         /* the JSON string as the first tab wrote it */
    uint32_t raw_len;
    char *payload;     /* its join's payload, the text every later join must match */
    uint32_t payload_len;
    int state;
    uint64_t wire;     /* the server join's ref and join_ref; 0 while WANTED */
    char *reply;       /* the ok reply's payload, once JOINED */
    uint32_t reply_len;
} topic;

/* What a tab wrote before the event of a frame: `join_ref,ref,topic`, and
 * where its ref ends. Its answers are written with it. */
typedef struct lead {
    char *text;
    uint32_t len;
    uint32_t jr_len; /* the join_ref's bytes */
} lead;

/* A tab in a topic, by its join. */
typedef struct member {
    uint32_t tab;
    uint32_t seq; /* its join frame's */
    uint32_t topic;
    int told;
    lead l;
} member;

/* A tab's push awaiting its reply, or held until its topic is joined. */
typedef struct push {
    uint32_t tab;
    uint32_t seq;
    uint32_t topic;
    uint64_t wire;   /* its ref on the wire; 0 while held */
    lead l;
    char *tail;      /* held: what follows the tab's ref in its frame */
    uint32_t tail_len;
} push;

typedef struct phx {
    profile base;
    topic *topics;
    uint32_t ntopics, topics_cap;
    member *members;
    uint32_t nmembers, members_cap;
    push *pushes;
    uint32_t npushes, pushes_cap;
    uint32_t next_topic;
    uint64_t wire;   /* the last ref written on the wire */
    char *out;       /* the frame being written */
    uint32_t out_cap;
    char *name;      /* a server frame's topic, unescaped */
    uint32_t name_cap;
    int stalled;     /* memory ran out for something owed: try again at the next event */
} phx;

/* ---- reading and writing frames ------------------------------------------ */

/* The five elements of a V2 message; 0 for anything else. */
static int read_msg(const char *s, uint32_t len, js_val *el)
{
    js_val root;
    uint32_t pos = 0;
    int n = 0;

    if (s == NULL || js_parse(s, len, &root) != WSS_OK || root.kind != JS_ARRAY)
        return 0;
    while (n < E_COUNT && js_next(s, &root, &pos, NULL, &el[n]))
        n++;
    if (n != E_COUNT || js_next(s, &root, &pos, NULL, NULL))
        return 0;
    return (el[E_JOINREF].kind == JS_STRING || el[E_JOINREF].kind == JS_NULL) &&
           (el[E_REF].kind == JS_STRING || el[E_REF].kind == JS_NULL) &&
           el[E_TOPIC].kind == JS_STRING && el[E_EVENT].kind == JS_STRING;
}

static uint32_t end_of(const js_val *v)
{
    return v->off + v->len;
}

/* Makes room for n bytes in the out buffer. */
static int room(phx *p, uint32_t n)
{
    void *b = p->out;

    if (wss_grow(&b, &p->out_cap, n, 1) != WSS_OK)
        return WSS_ENOMEM;
    p->out = b;
    return WSS_OK;
}

typedef struct part {
    const char *s;
    uint32_t n;
} part;

/* The parts, one after another, in the out buffer; its length, 0 when out of memory. */
static uint32_t compose(phx *p, const part *parts, int n)
{
    uint64_t total = 0;
    uint32_t at = 0;
    int i;

    for (i = 0; i < n; i++)
        total += parts[i].n;
    if (total == 0 || total > UINT32_MAX - 8 || room(p, (uint32_t)total) != WSS_OK)
        return 0;
    for (i = 0; i < n; i++) {
        memcpy(p->out + at, parts[i].s, parts[i].n);
        at += parts[i].n;
    }
    return at;
}

#define LIT(s) { s, sizeof s - 1 }

/* [lead,"event",payload] to tab `tab`. */
static int say(phx *p, const prof_io *io, uint32_t tab, const char *l, uint32_t l_len,
               const char *event, const char *payload, uint32_t payload_len)
{
    part parts[7] = { LIT("["), { NULL, 0 }, LIT(",\""), { NULL, 0 }, LIT("\","), { NULL, 0 },
                      LIT("]") };
    uint32_t n;

    parts[1].s = l;
    parts[1].n = l_len;
    parts[3].s = event;
    parts[3].n = (uint32_t)strlen(event);
    parts[5].s = payload;
    parts[5].n = payload_len;
    n = compose(p, parts, 7);
    if (n == 0)
        return WSS_ENOMEM;
    return io->deliver_text(io->ctx, tab, p->out, n);
}

static const char OK_REPLY[] = "{\"status\":\"ok\",\"response\":{}}";

/* An error reply whose reason says why, as a server's refusal reads. */
static int say_error(phx *p, const prof_io *io, uint32_t tab, const char *l, uint32_t l_len,
                     const char *reason)
{
    static const char HEAD[] = "{\"status\":\"error\",\"response\":{\"reason\":\"";
    char payload[320];
    size_t n = strlen(reason);

    if (n > sizeof payload - sizeof HEAD - 4)
        n = sizeof payload - sizeof HEAD - 4;
    memcpy(payload, HEAD, sizeof HEAD - 1);
    memcpy(payload + sizeof HEAD - 1, reason, n);
    memcpy(payload + sizeof HEAD - 1 + n, "\"}}", 3);
    return say(p, io, tab, l, l_len, "phx_reply", payload, (uint32_t)(sizeof HEAD - 1 + n + 3));
}

/* A wire ref, quoted: "123". Its length. */
static uint32_t wire_text(uint64_t w, char *out)
{
    uint32_t n = prof_digits(w, out + 1);

    out[0] = '"';
    out[n + 1] = '"';
    return n + 2;
}

/* The wire ref a server string names; 0 for none of ours. */
static uint64_t wire_of(const char *s, const js_val *v)
{
    if (v->kind != JS_STRING || v->len < 3)
        return 0;
    return prof_wire(s + v->off + 1, v->len - 2);
}

/* A lead copied from a tab's frame: its join_ref, ref and topic as written. */
static int lead_read(const char *s, const js_val *el, lead *out)
{
    out->len = end_of(&el[E_TOPIC]) - el[E_JOINREF].off;
    out->jr_len = el[E_JOINREF].len;
    out->text = prof_dup(s + el[E_JOINREF].off, out->len);
    return out->text != NULL ? WSS_OK : WSS_ENOMEM;
}

/* ---- the books ----------------------------------------------------------- */

static topic *topic_by_id(phx *p, uint32_t id)
{
    uint32_t i;

    for (i = 0; i < p->ntopics; i++)
        if (p->topics[i].id == id)
            return &p->topics[i];
    return NULL;
}

static topic *topic_named(phx *p, const char *name, uint32_t len)
{
    uint32_t i;

    for (i = 0; i < p->ntopics; i++)
        if (p->topics[i].name_len == len && memcmp(p->topics[i].name, name, len) == 0)
            return &p->topics[i];
    return NULL;
}

/* The topic string `v` of s, unescaped into the profile's name buffer: its
 * length; NO_NAME when it holds a NUL (no topic of ours), NO_ROOM when out of
 * memory. */
#define NO_NAME (-1)
#define NO_ROOM (-2)
static int unescape(phx *p, const char *s, const js_val *v)
{
    void *b = p->name;
    int n;

    if (wss_grow(&b, &p->name_cap, v->len, 1) != WSS_OK)
        return NO_ROOM;
    p->name = b;
    n = js_str_copy(s, v, p->name, v->len);
    return n < 0 ? NO_NAME : n;
}

static member *member_of(phx *p, uint32_t tab, uint32_t topic_id)
{
    uint32_t i;

    for (i = 0; i < p->nmembers; i++)
        if (p->members[i].tab == tab && p->members[i].topic == topic_id)
            return &p->members[i];
    return NULL;
}

static uint32_t members_in(const phx *p, uint32_t topic_id)
{
    uint32_t i, n = 0;

    for (i = 0; i < p->nmembers; i++)
        n += p->members[i].topic == topic_id;
    return n;
}

static void drop_member(phx *p, uint32_t i)
{
    wss_free(p->members[i].l.text);
    memmove(&p->members[i], &p->members[i + 1], (p->nmembers - i - 1) * sizeof *p->members);
    p->nmembers--;
}

static void drop_push(phx *p, uint32_t i)
{
    wss_free(p->pushes[i].l.text);
    wss_free(p->pushes[i].tail);
    memmove(&p->pushes[i], &p->pushes[i + 1], (p->npushes - i - 1) * sizeof *p->pushes);
    p->npushes--;
}

static void drop_topic(phx *p, topic *t)
{
    uint32_t i = (uint32_t)(t - p->topics);

    wss_free(t->name);
    wss_free(t->raw);
    wss_free(t->payload);
    wss_free(t->reply);
    memmove(t, t + 1, (p->ntopics - i - 1) * sizeof *p->topics);
    p->ntopics--;
}

/* ---- talking to the server ----------------------------------------------- */

/* [jr,ref,topic,"event",payload] to the server, with refs of ours (jr 0:
 * null; t NULL: the "phoenix" topic). */
static int to_server(phx *p, const prof_io *io, uint64_t jr, uint64_t ref, const topic *t,
                     const char *event, const char *payload, uint32_t payload_len)
{
    char a[24], b[24];
    part parts[11] = { LIT("["), { a, 4 }, LIT(","), { b, 0 }, LIT(","), LIT("\"phoenix\""),
                       LIT(",\""), { NULL, 0 }, LIT("\","), { NULL, 0 }, LIT("]") };
    uint32_t n;

    if (jr != 0)
        parts[1].n = wire_text(jr, a);
    else
        memcpy(a, "null", 4);
    parts[3].n = wire_text(ref, b);
    if (t != NULL) {
        parts[5].s = t->raw;
        parts[5].n = t->raw_len;
    }
    parts[7].s = event;
    parts[7].n = (uint32_t)strlen(event);
    parts[9].s = payload;
    parts[9].n = payload_len;
    n = compose(p, parts, 11);
    if (n == 0)
        return WSS_ENOMEM;
    return io->send_text(io->ctx, p->out, n);
}

/* A held push to the server, under the topic's join and a ref of ours. */
static int send_push(phx *p, const prof_io *io, push *q, const topic *t)
{
    char a[24], b[24];
    part parts[5] = { LIT("["), { a, 0 }, LIT(","), { b, 0 }, { q->tail, q->tail_len } };
    uint64_t w = p->wire + 1;
    uint32_t n;
    int rc;

    parts[1].n = wire_text(t->wire, a);
    parts[3].n = wire_text(w, b);
    n = compose(p, parts, 5);
    if (n == 0)
        return WSS_ENOMEM;
    rc = io->send_text(io->ctx, p->out, n);
    if (rc != WSS_OK)
        return rc;
    p->wire = w;
    q->wire = w;
    wss_free(q->tail);
    q->tail = NULL;
    q->tail_len = 0;
    return WSS_OK;
}

/* ---- talking to the tabs ------------------------------------------------- */

/* Gives a member the cached ok reply to its join, once. */
static int tell(phx *p, const prof_io *io, member *m, const topic *t)
{
    if (m->told || t->state != T_JOINED)
        return WSS_OK;
    if (say(p, io, m->tab, m->l.text, m->l.len, "phx_reply", t->reply, t->reply_len) != WSS_OK)
        return WSS_ENOMEM;
    m->told = 1;
    /* Without it a next leader would answer a join the tab had its answer to. */
    (void)io->keep(io->ctx, m->tab, m->seq, TOLD);
    return WSS_OK;
}

/* Does what waits for the socket, a join or memory: the joins this
 * connection has not had, the replies owed to tabs, the pushes held. Safe to
 * repeat: each step records its progress. */
static void pump(phx *p, const prof_io *io)
{
    uint32_t i;
    int rc = WSS_OK, r;

    for (i = 0; io->open(io->ctx) && i < p->ntopics; i++) {
        topic *t = &p->topics[i];

        if (t->state != T_WANTED)
            continue;
        r = to_server(p, io, p->wire + 1, p->wire + 1, t, "phx_join", t->payload, t->payload_len);
        if (r == WSS_OK) {
            t->wire = ++p->wire;
            t->state = T_ASKED;
        } else if (r != WSS_EREJECT) {
            rc = WSS_ENOMEM;
        }
    }
    for (i = 0; i < p->nmembers; i++) {
        member *m = &p->members[i];
        topic *t = topic_by_id(p, m->topic);

        if (t != NULL && tell(p, io, m, t) != WSS_OK)
            rc = WSS_ENOMEM;
    }
    for (i = 0; io->open(io->ctx) && i < p->npushes; i++) {
        push *q = &p->pushes[i];
        topic *t = topic_by_id(p, q->topic);

        if (q->wire != 0 || t == NULL || t->state != T_JOINED)
            continue;
        r = send_push(p, io, q, t);
        if (r != WSS_OK && r != WSS_EREJECT)
            rc = WSS_ENOMEM;
    }
    p->stalled = rc != WSS_OK;
}

/* Answers the pushes held for topic `id` (of tab `tab` only, when not 0) with
 * an error, or forgets them when `reason` is NULL. */
static void end_held(phx *p, const prof_io *io, uint32_t id, uint32_t tab, const char *reason)
{
    uint32_t i;

    for (i = p->npushes; i-- > 0;) {
        push *q = &p->pushes[i];

        if (q->topic != id || q->wire != 0 || (tab != 0 && q->tab != tab))
            continue;
        if (reason != NULL)
            (void)say_error(p, io, q->tab, q->l.text, q->l.len, reason);
        (void)io->forget(io->ctx, q->tab, q->seq);
        drop_push(p, i);
    }
}

/* Ends member i; the server hears phx_leave once no tab is left in its topic. */
static void leave(phx *p, const prof_io *io, uint32_t i)
{
    member *m = &p->members[i];
    uint32_t id = m->topic, tab = m->tab;
    topic *t;

    (void)io->forget(io->ctx, m->tab, m->seq);
    drop_member(p, i);
    end_held(p, io, id, tab, NULL);
    t = topic_by_id(p, id);
    if (t == NULL || members_in(p, id) > 0)
        return;
    /* Without memory the server keeps it: what it sends reaches nobody. */
    if (t->state != T_WANTED && io->open(io->ctx) &&
        to_server(p, io, t->wire, p->wire + 1, t, "phx_leave", "{}", 2) == WSS_OK)
        p->wire++;
    drop_topic(p, t);
}

/* Every member of t hears it ended (`event` phx_close or phx_error; for a
 * refused join, its reply when it waits for one), and none stays. */
static void end_topic(phx *p, const prof_io *io, topic *t, const char *event, const char *reply,
                      uint32_t reply_len)
{
    uint32_t i, id = t->id;

    for (i = p->nmembers; i-- > 0;) {
        member *m = &p->members[i];

        if (m->topic != id)
            continue;
        if (!m->told && reply != NULL)
            (void)say(p, io, m->tab, m->l.text, m->l.len, "phx_reply", reply, reply_len);
        else
            (void)say(p, io, m->tab, m->l.text, m->l.len, event, "{}", 2);
        (void)io->forget(io->ctx, m->tab, m->seq);
        drop_member(p, i);
    }
    end_held(p, io, id, 0, "wsshare: the channel ended before this push was sent");
    drop_topic(p, t);
}

/* ---- the tabs' frames ---------------------------------------------------- */

static int same_payload(const topic *t, const char *s, const js_val *payload)
{
    return t->payload_len == payload->len && memcmp(t->payload, s + payload->off, payload->len) == 0;
}

static const char OTHER_PARAMS[] =
    "wsshare: this topic is joined with other params on the shared connection; "
    "give this tab its own key";

/* The answer to a join this tab must not have from the topic's: its channel
 * failed when it had its reply from an earlier leader (it joins again and
 * hears why), else the error reply. */
static int refuse_join(phx *p, const prof_io *io, const prof_frame *f, const js_val *el, int told)
{
    const char *s = f->text;
    uint32_t l_len = end_of(&el[E_TOPIC]) - el[E_JOINREF].off;
    int rc = told ? say(p, io, f->tab, s + el[E_JOINREF].off, l_len, "phx_error", "{}", 2)
                  : say_error(p, io, f->tab, s + el[E_JOINREF].off, l_len, OTHER_PARAMS);

    if (rc != WSS_OK)
        return WSS_ENOMEM;
    if (f->replay)
        (void)io->forget(io->ctx, f->tab, f->seq);
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

/* A new topic for the join in the frame, its name in the name buffer. */
static int new_topic(phx *p, const char *s, const js_val *el, uint32_t name_len, topic *nt)
{
    memset(nt, 0, sizeof *nt);
    nt->name = prof_dup(p->name, name_len);
    nt->name_len = name_len;
    nt->raw = prof_dup(s + el[E_TOPIC].off, el[E_TOPIC].len);
    nt->raw_len = el[E_TOPIC].len;
    nt->payload = prof_dup(s + el[E_PAYLOAD].off, el[E_PAYLOAD].len);
    nt->payload_len = el[E_PAYLOAD].len;
    nt->state = T_WANTED;
    if (nt->name != NULL && nt->raw != NULL && nt->payload != NULL)
        return WSS_OK;
    wss_free(nt->name);
    wss_free(nt->raw);
    wss_free(nt->payload);
    return WSS_ENOMEM;
}

static int on_join(phx *p, const prof_io *io, const prof_frame *f, const js_val *el)
{
    const char *s = f->text;
    int n = unescape(p, s, &el[E_TOPIC]);
    int told = f->replay && f->mark == TOLD;
    topic *t, nt;
    member *old, *m;
    uint32_t id = 0, tab = f->tab;
    int fresh, had;
    lead l;
    void *list;

    if (n == NO_ROOM)
        return WSS_ENOMEM;
    if (n == NO_NAME)
        return PROF_PASS;
    t = topic_named(p, p->name, (uint32_t)n);
    old = t != NULL ? member_of(p, tab, t->id) : NULL;
    fresh = t == NULL || !same_payload(t, s, &el[E_PAYLOAD]);
    if (old != NULL && !fresh && old->seq == f->seq) {
        /* The same join again (a tab that followed this leader twice). */
        old->told |= told;
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    /* Another tab's join, with other params: never this tab's. The tab's own
     * join, alone in the topic, is left for the new one. */
    if (t != NULL && fresh && (old == NULL || members_in(p, t->id) > 1))
        return refuse_join(p, io, f, el, told);
    had = old != NULL;
    id = t != NULL ? t->id : 0;
    list = p->members;
    if (wss_grow(&list, &p->members_cap, p->nmembers + 1, sizeof *p->members) != WSS_OK)
        return WSS_ENOMEM;
    p->members = list;
    list = p->topics;
    if (fresh && wss_grow(&list, &p->topics_cap, p->ntopics + 1, sizeof *p->topics) != WSS_OK)
        return WSS_ENOMEM;
    p->topics = list;
    if (lead_read(s, el, &l) != WSS_OK)
        return WSS_ENOMEM;
    if (fresh && new_topic(p, s, el, (uint32_t)n, &nt) != WSS_OK) {
        wss_free(l.text);
        return WSS_ENOMEM;
    }
    if (io->keep(io->ctx, tab, f->seq, f->replay ? f->mark : 0) != WSS_OK) {
        if (fresh) {
            wss_free(nt.name);
            wss_free(nt.raw);
            wss_free(nt.payload);
        }
        wss_free(l.text);
        return WSS_ENOMEM;
    }
    /* The arrays may have moved. */
    old = had ? member_of(p, tab, id) : NULL;
    if (old != NULL && fresh) {
        leave(p, io, (uint32_t)(old - p->members));
    } else if (old != NULL) {
        /* Phoenix closes the channel a topic's second join replaces. */
        (void)say(p, io, tab, old->l.text, old->l.len, "phx_close", "{}", 2);
        if (old->seq != f->seq)
            (void)io->forget(io->ctx, tab, old->seq);
        drop_member(p, (uint32_t)(old - p->members));
        end_held(p, io, id, tab, NULL);
    }
    if (fresh) {
        nt.id = ++p->next_topic;
        p->topics[p->ntopics++] = nt;
        id = nt.id;
    }
    m = &p->members[p->nmembers++];
    m->tab = tab;
    m->seq = f->seq;
    m->topic = id;
    m->told = told;
    m->l = l;
    io->release(io->ctx, f->handle);
    pump(p, io);
    return PROF_TAKEN;
}

static int on_leave(phx *p, const prof_io *io, const prof_frame *f, const js_val *el)
{
    const char *s = f->text;
    uint32_t l_len = end_of(&el[E_TOPIC]) - el[E_JOINREF].off;
    int n = unescape(p, s, &el[E_TOPIC]);
    topic *t = n >= 0 ? topic_named(p, p->name, (uint32_t)n) : NULL;
    member *m = t != NULL ? member_of(p, f->tab, t->id) : NULL;

    if (n == NO_ROOM)
        return WSS_ENOMEM;
    /* Phoenix answers a leave with ok, of a topic it has or not; then the
     * channel it ends closes. */
    if (say(p, io, f->tab, s + el[E_JOINREF].off, l_len, "phx_reply", OK_REPLY,
            sizeof OK_REPLY - 1) != WSS_OK)
        return WSS_ENOMEM;
    if (m != NULL && m->l.jr_len == el[E_JOINREF].len &&
        memcmp(m->l.text, s + el[E_JOINREF].off, m->l.jr_len) == 0) {
        (void)say(p, io, f->tab, m->l.text, m->l.len, "phx_close", "{}", 2);
        leave(p, io, (uint32_t)(m - p->members));
    }
    if (f->replay)
        (void)io->forget(io->ctx, f->tab, f->seq);
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

/* Whether a push of `tab` to topic `id` waits to be sent. */
static int holds(const phx *p, uint32_t tab, uint32_t id)
{
    uint32_t i;

    for (i = 0; i < p->npushes; i++)
        if (p->pushes[i].tab == tab && p->pushes[i].topic == id && p->pushes[i].wire == 0)
            return 1;
    return 0;
}

static int on_push(phx *p, const prof_io *io, const prof_frame *f, const js_val *el)
{
    const char *s = f->text;
    uint32_t l_len = end_of(&el[E_TOPIC]) - el[E_JOINREF].off;
    int n = unescape(p, s, &el[E_TOPIC]);
    topic *t = n >= 0 ? topic_named(p, p->name, (uint32_t)n) : NULL;
    member *m = t != NULL ? member_of(p, f->tab, t->id) : NULL;
    push q;
    void *list;

    if (n == -1 && el[E_TOPIC].len > p->name_cap)
        return WSS_ENOMEM;
    if (f->replay || m == NULL || m->l.jr_len != el[E_JOINREF].len ||
        memcmp(m->l.text, s + el[E_JOINREF].off, m->l.jr_len) != 0) {
        /* A push an earlier leader or connection may have sent is never sent
         * again (it may not be idempotent); one outside the tab's joins is
         * answered as Phoenix answers it. */
        if (say_error(p, io, f->tab, s + el[E_JOINREF].off, l_len,
                      f->replay ? "wsshare: an earlier leader may have sent this push; it was not sent again"
                                : "unmatched topic") != WSS_OK)
            return WSS_ENOMEM;
        if (f->replay)
            (void)io->forget(io->ctx, f->tab, f->seq);
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    list = p->pushes;
    if (wss_grow(&list, &p->pushes_cap, p->npushes + 1, sizeof *p->pushes) != WSS_OK)
        return WSS_ENOMEM;
    p->pushes = list;
    memset(&q, 0, sizeof q);
    q.tab = f->tab;
    q.seq = f->seq;
    q.topic = t->id;
    q.tail_len = f->len - end_of(&el[E_REF]);
    q.tail = prof_dup(s + end_of(&el[E_REF]), q.tail_len);
    if (q.tail == NULL || lead_read(s, el, &q.l) != WSS_OK) {
        wss_free(q.tail);
        return WSS_ENOMEM;
    }
    /* Kept until answered: a next leader answers it with an error. */
    if (io->keep(io->ctx, f->tab, f->seq, 0) != WSS_OK) {
        wss_free(q.tail);
        wss_free(q.l.text);
        return WSS_ENOMEM;
    }
    /* Behind one still held (memory ran out for it), it waits its turn. */
    if (t->state == T_JOINED && io->open(io->ctx) && !holds(p, f->tab, t->id) &&
        send_push(p, io, &q, t) != WSS_OK) {
        (void)io->forget(io->ctx, f->tab, f->seq);
        wss_free(q.tail);
        wss_free(q.l.text);
        return WSS_ENOMEM;
    }
    p->pushes[p->npushes++] = q;
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

static int tab_frame(profile *pp, const prof_io *io, const prof_frame *f)
{
    phx *p = (phx *)pp;
    js_val el[E_COUNT];
    int rc;

    if (f->binary) {
        /* Its refs are in a binary header this profile is not given. */
        io->error(io->ctx, f->tab, f->seq, "protocol",
                  "wsshare: binary pushes are not shared; give this tab its own key");
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    if (!read_msg(f->text, f->len, el))
        return PROF_PASS;
    if (js_str_is(f->text, &el[E_TOPIC], "phoenix")) {
        if (!js_str_is(f->text, &el[E_EVENT], "heartbeat"))
            return PROF_PASS;
        /* The leader keeps the connection alive: a tab's heartbeat is answered here. */
        if (say(p, io, f->tab, f->text + el[E_JOINREF].off,
                end_of(&el[E_TOPIC]) - el[E_JOINREF].off, "phx_reply", OK_REPLY,
                sizeof OK_REPLY - 1) != WSS_OK)
            return WSS_ENOMEM;
        io->release(io->ctx, f->handle);
        rc = PROF_TAKEN;
    } else if (js_str_is(f->text, &el[E_EVENT], "phx_join"))
        rc = on_join(p, io, f, el);
    else if (js_str_is(f->text, &el[E_EVENT], "phx_leave"))
        rc = on_leave(p, io, f, el);
    else
        rc = on_push(p, io, f, el);
    if (rc == PROF_TAKEN && p->stalled)
        pump(p, io);
    return rc;
}

/* ---- the server's frames ------------------------------------------------- */

/* The server answered the join of t (status ok or not). */
static int on_join_reply(phx *p, const prof_io *io, topic *t, const char *s, const js_val *payload)
{
    js_val status;
    char *copy;

    if (payload->kind != JS_OBJECT || js_get(s, payload, "status", &status) != 1 ||
        !js_str_is(s, &status, "ok")) {
        /* Refused: a tab waiting hears the server's reply; one that had its
         * reply (the join made again on a new connection or by a new
         * leader) hears its channel failed, and joins again. */
        end_topic(p, io, t, "phx_error", s + payload->off, payload->len);
        return WSS_OK;
    }
    if ((copy = prof_dup(s + payload->off, payload->len)) == NULL)
        return WSS_ENOMEM;
    wss_free(t->reply);
    t->reply = copy;
    t->reply_len = payload->len;
    t->state = T_JOINED;
    pump(p, io);
    return WSS_OK;
}

static int on_reply(phx *p, const prof_io *io, const char *s, const js_val *el)
{
    uint64_t w = wire_of(s, &el[E_REF]);
    uint32_t i;

    for (i = 0; w != 0 && i < p->npushes; i++) {
        push *q = &p->pushes[i];

        if (q->wire != w)
            continue;
        if (say(p, io, q->tab, q->l.text, q->l.len, "phx_reply", s + el[E_PAYLOAD].off,
                el[E_PAYLOAD].len) != WSS_OK)
            return WSS_ENOMEM;
        (void)io->forget(io->ctx, q->tab, q->seq);
        drop_push(p, i);
        return WSS_OK;
    }
    for (i = 0; w != 0 && i < p->ntopics; i++)
        if (p->topics[i].wire == w && p->topics[i].state == T_ASKED)
            return on_join_reply(p, io, &p->topics[i], s, &el[E_PAYLOAD]);
    /* A heartbeat's, a leave's, a join's or a push's nobody waits for. */
    return WSS_OK;
}

/* A message of topic t to each of its tabs under its own join_ref. A tab
 * that cannot have it for lack of memory misses it (the core counts it). */
static int to_members(phx *p, const prof_io *io, const topic *t, const char *s, uint32_t len,
                      const js_val *el)
{
    uint32_t i, rest = end_of(&el[E_JOINREF]);

    for (i = 0; i < p->nmembers; i++) {
        const member *m = &p->members[i];
        part parts[3] = { LIT("["), { NULL, 0 }, { NULL, 0 } };
        uint32_t n;

        if (m->topic != t->id)
            continue;
        if (el[E_JOINREF].kind == JS_NULL) {
            /* A broadcast without one is any channel's of the topic. */
            (void)io->deliver_text(io->ctx, m->tab, s, len);
            continue;
        }
        parts[1].s = m->l.text;
        parts[1].n = m->l.jr_len;
        parts[2].s = s + rest;
        parts[2].n = len - rest;
        n = compose(p, parts, 3);
        if (n != 0)
            (void)io->deliver_text(io->ctx, m->tab, p->out, n);
    }
    return WSS_OK;
}

static int server_frame(profile *pp, const prof_io *io, uint32_t handle, const char *s,
                        uint32_t len)
{
    phx *p = (phx *)pp;
    js_val el[E_COUNT];
    topic *t;
    uint64_t jr;
    int n, rc = WSS_OK;

    if (!read_msg(s, len, el))
        return PROF_PASS;
    if (js_str_is(s, &el[E_TOPIC], "phoenix")) {
        /* The replies to the leader's heartbeats: nobody else's. */
        io->release(io->ctx, handle);
        return PROF_TAKEN;
    }
    if (js_str_is(s, &el[E_EVENT], "phx_reply")) {
        rc = on_reply(p, io, s, el);
    } else {
        n = unescape(p, s, &el[E_TOPIC]);
        if (n == NO_ROOM)
            return WSS_ENOMEM;
        t = n >= 0 ? topic_named(p, p->name, (uint32_t)n) : NULL;
        jr = wire_of(s, &el[E_JOINREF]);
        /* What names an earlier join of the topic (one left, or made on an
         * earlier connection) is nobody's. */
        if (t != NULL && t->wire != 0 && (el[E_JOINREF].kind == JS_NULL || jr == t->wire)) {
            if (el[E_JOINREF].kind != JS_NULL && (js_str_is(s, &el[E_EVENT], "phx_close") ||
                                                  js_str_is(s, &el[E_EVENT], "phx_error")))
                end_topic(p, io, t, js_str_is(s, &el[E_EVENT], "phx_close") ? "phx_close" : "phx_error",
                          NULL, 0);
            else
                rc = to_members(p, io, t, s, len, el);
        }
    }
    if (rc != WSS_OK)
        return WSS_ENOMEM;
    io->release(io->ctx, handle);
    if (p->stalled)
        pump(p, io);
    return PROF_TAKEN;
}

/* ---- the socket's life and the tabs' ------------------------------------- */

static void closed(profile *pp, const prof_io *io)
{
    phx *p = (phx *)pp;
    uint32_t i;

    /* A push the lost connection took may or may not have been handled: it
     * is answered with an error, never sent again. */
    for (i = p->npushes; i-- > 0;) {
        push *q = &p->pushes[i];

        if (q->wire == 0)
            continue;
        (void)say_error(p, io, q->tab, q->l.text, q->l.len,
                        "wsshare: the connection was lost before this push was answered; "
                        "it was not sent again");
        (void)io->forget(io->ctx, q->tab, q->seq);
        drop_push(p, i);
    }
    /* The next connection hears every join again. */
    for (i = 0; i < p->ntopics; i++) {
        p->topics[i].state = T_WANTED;
        p->topics[i].wire = 0;
    }
    io->wake(io->ctx, UINT32_MAX);
}

static void opened(profile *pp, const prof_io *io)
{
    phx *p = (phx *)pp;
    uint32_t i;

    for (i = 0; i < p->ntopics; i++) {
        p->topics[i].state = T_WANTED;
        p->topics[i].wire = 0;
    }
    io->wake(io->ctx, HEARTBEAT_MS);
    pump(p, io);
}

/* The leader's own heartbeat, as the client sends it. */
static void woken(profile *pp, const prof_io *io)
{
    phx *p = (phx *)pp;

    if (!io->open(io->ctx))
        return;
    if (to_server(p, io, 0, p->wire + 1, NULL, "heartbeat", "{}", 2) == WSS_OK)
        p->wire++;
    io->wake(io->ctx, HEARTBEAT_MS);
    if (p->stalled)
        pump(p, io);
}

static void tab_gone(profile *pp, const prof_io *io, uint32_t tab)
{
    phx *p = (phx *)pp;
    uint32_t i;

    for (i = p->npushes; i-- > 0;)
        if (p->pushes[i].tab == tab)
            drop_push(p, i);
    for (i = p->nmembers; i-- > 0;)
        if (i < p->nmembers && p->members[i].tab == tab)
            leave(p, io, i);
}

static void destroy(profile *pp)
{
    phx *p = (phx *)pp;
    uint32_t i;

    if (p == NULL)
        return;
    for (i = 0; i < p->ntopics; i++) {
        wss_free(p->topics[i].name);
        wss_free(p->topics[i].raw);
        wss_free(p->topics[i].payload);
        wss_free(p->topics[i].reply);
    }
    for (i = 0; i < p->nmembers; i++)
        wss_free(p->members[i].l.text);
    for (i = 0; i < p->npushes; i++) {
        wss_free(p->pushes[i].l.text);
        wss_free(p->pushes[i].tail);
    }
    wss_free(p->topics);
    wss_free(p->members);
    wss_free(p->pushes);
    wss_free(p->out);
    wss_free(p->name);
    wss_free(p);
}

static const profile_ops phoenix_ops = {
    "phoenix", 0, tab_frame, server_frame, opened, closed, NULL, tab_gone, destroy, woken,
};

profile *phoenix_create(void)
{
    phx *p = wss_malloc(sizeof *p);

    if (p == NULL)
        return NULL;
    memset(p, 0, sizeof *p);
    p->base.ops = &phoenix_ops;
    return &p->base;
}
