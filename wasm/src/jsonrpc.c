/*
 * The JSON-RPC 2.0 profile: N clients, one per tab, each numbering its ids
 * on its own, share one server connection. A request goes out under a wire
 * id of the leader's and its answer goes back to the tab that asked, under
 * the tab's own id. Each tab's *_subscribe is a server subscription of its
 * own, which the tab knows by a virtual id derived from the seq of its
 * subscribe frame: any leader derives it again, so it outlives a server
 * connection and a leader. Frames are read with jscan and edited where they
 * lie: every byte but an id stays as the client or the server wrote it.
 *
 * An io call that fails after the first one of an event cannot be undone. A
 * keep or forget that fails leaves the tab's note as it was: a next leader
 * then answers the frame again, and the clients ignore a second answer to an
 * id (viem, json-rpc-2.0). What a void event cannot do for want of memory
 * waits in the records and is done at the next event (catch_up).
 */
#include <string.h>

#include "internal.h"
#include "jscan.h"
#include "profile.h"

#define LOST "wsshare: the server connection was lost; the request was not sent again"
#define WIRE_MAX 20   /* digits of a uint64_t */
#define MARK_TOLD 1u  /* a subscribe frame's mark: its tab has had the answer */
#define SUB_TAIL 10u  /* strlen("subscribe\""), the end of a subscribe method */

enum rec_kind { K_DEAD = 0, K_CALL, K_SUB, K_UNSUB, K_LEADER, K_NOTE };
enum rec_state { S_HELD = 0, S_SENT, S_OWED, S_LIVE };

#define F_BATCH 1u /* an element of a batch: a call, answered in an array */
#define F_QUIET 2u /* the tab has had this subscription's answer already */
#define F_GONE 4u  /* the tab is gone: what answers this is dropped */
#define F_VSTR 8u  /* the virtual id was given as a string */
#define F_VNUM 16u /* the virtual id was given as a number */

/* A request held for the socket or on the wire, an answer owed, a live
 * subscription (the same record as its subscribe request), or a client's
 * notification held for the socket. */
typedef struct rec {
    uint64_t wire;
    uint32_t tab;
    uint32_t seq;
    uint32_t target; /* K_UNSUB: the seq of the subscribe frame it ends */
    unsigned char kind;
    unsigned char state;
    unsigned char flags;
    char *tid; /* the tab's id, raw JSON */
    uint32_t tid_len;
    char *text; /* S_HELD: what goes to the server; K_SUB: the subscribe frame */
    uint32_t len;
    uint32_t id_off; /* K_SUB: the wire id in text, */
    uint32_t id_len;
    uint32_t m_off; /* and the method, quotes included */
    uint32_t m_len;
    char *sid; /* S_LIVE: the server's subscription id, raw JSON */
    uint32_t sid_len;
} rec;

typedef struct jrpc {
    profile base;
    rec *r; /* in arrival order: what is held goes in this order */
    uint32_t n;
    uint32_t cap;
    uint64_t wire; /* the last wire id given */
    int due;       /* something may be held or owed */
} jrpc;

/* The parts of a JSON-RPC message that the profile reads. */
typedef struct msg {
    js_val id;
    js_val method;
    js_val params;
} msg;

enum { M_OTHER, M_REQ, M_RESP, M_DUP };

/* ---- small helpers ---------------------------------------------------------- */

typedef struct sbuf {
    char *s;
    size_t len;
    uint32_t cap;
    int bad;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    void *t = b->s;

    if (b->bad)
        return;
    if (n >= UINT32_MAX - b->len || wss_grow(&t, &b->cap, (uint32_t)(b->len + n + 1), 1) != WSS_OK) {
        wss_free(b->s);
        b->s = NULL;
        b->bad = 1;
        return;
    }
    b->s = t;
    memcpy(b->s + b->len, s, n);
    b->len += n;
}
#define PUT(b, lit) put((b), (lit), sizeof(lit) - 1)

/* The virtual id of the subscription made by frame `seq`: "0x" and 16 hex
 * digits when the server's ids are strings, else the number. */
static uint32_t virt(uint32_t seq, int str, char *out)
{
    static const char hex[] = "0123456789abcdef";
    int i;

    if (!str)
        return prof_digits(seq, out);
    memcpy(out, "\"0x00000000", 11);
    for (i = 0; i < 8; i++)
        out[11 + i] = hex[(seq >> (28 - 4 * i)) & 15u];
    out[19] = '"';
    return 20;
}

/* A wire id: digits only, as this profile writes them. */
static int wire_of(const char *t, const js_val *v, uint64_t *w)
{
    *w = v->kind == JS_NUMBER ? prof_wire(t + v->off, v->len) : 0;
    return *w != 0;
}

static js_val first(const char *t, const js_val *array)
{
    js_val v;
    uint32_t pos = 0;

    (void)js_next(t, array, &pos, NULL, &v);
    return v;
}

static void edit(js_edit *e, const js_val *v, const char *with, uint32_t wlen)
{
    e->off = v->off;
    e->len = v->len;
    e->with = with;
    e->wlen = wlen;
}

/* Whether a string value's raw text ends with `tail` (the opening quote apart). */
static int ends(const char *t, const js_val *v, const char *tail)
{
    size_t n = strlen(tail);

    return v->kind == JS_STRING && v->len > n && memcmp(t + v->off + v->len - n, tail, n) == 0;
}

/* Our own answer to request `id`: the lost connection's error, or a result. */
static void answer(sbuf *b, const char *id, uint32_t n, const char *result)
{
    PUT(b, "{\"jsonrpc\":\"2.0\",\"id\":");
    put(b, id, n);
    if (result != NULL) {
        PUT(b, ",\"result\":");
        put(b, result, strlen(result));
        PUT(b, "}");
    } else {
        PUT(b, ",\"error\":{\"code\":-32000,\"message\":\"" LOST "\"}}");
    }
}

/* Delivers what b holds to tab, and frees it. */
static int deliver_buf(const prof_io *io, uint32_t tab, sbuf *b)
{
    int rc;

    if (b->bad)
        return WSS_ENOMEM;
    rc = io->deliver_text(io->ctx, tab, b->s, b->len);
    wss_free(b->s);
    return rc == WSS_OK ? WSS_OK : WSS_ENOMEM;
}

static int classify(const char *t, const js_val *o, msg *m)
{
    js_val v;
    int n = o->kind == JS_OBJECT ? js_get(t, o, "jsonrpc", &v) : 0;

    if (n == 0 || !js_str_is(t, &v, "2.0"))
        return M_OTHER;
    if (n > 1 || js_get(t, o, "id", &m->id) > 1 || js_get(t, o, "method", &m->method) > 1)
        return M_DUP;
    (void)js_get(t, o, "params", &m->params);
    return m->method.kind != JS_NONE ? M_REQ : M_RESP;
}

/* By the method's raw text: a method that escapes these letters is a call. */
static int kind_of(const char *t, const msg *m)
{
    if (ends(t, &m->method, "_unsubscribe\""))
        return K_UNSUB;
    if (ends(t, &m->method, "_subscribe\""))
        return K_SUB;
    return K_CALL;
}

/* ---- the records ------------------------------------------------------------ */

static int room(jrpc *p, uint32_t k)
{
    void *r = p->r;

    if (k > UINT32_MAX / 4 - p->n || wss_grow(&r, &p->cap, p->n + k, sizeof(*p->r)) != WSS_OK)
        return WSS_ENOMEM;
    p->r = r;
    return WSS_OK;
}

/* Frees a record; sweep takes it out of the list. */
static void drop(rec *r)
{
    wss_free(r->tid);
    wss_free(r->text);
    wss_free(r->sid);
    memset(r, 0, sizeof(*r));
}

static void sweep(jrpc *p)
{
    uint32_t i, j = 0;

    for (i = 0; i < p->n; i++)
        if (p->r[i].kind != K_DEAD)
            p->r[j++] = p->r[i];
    p->n = j;
}

static rec *by_wire(jrpc *p, uint64_t w)
{
    uint32_t i;

    for (i = 0; i < p->n; i++)
        if (p->r[i].kind != K_DEAD && p->r[i].state == S_SENT && p->r[i].wire == w)
            return &p->r[i];
    return NULL;
}

static rec *sub_of(jrpc *p, uint32_t tab, uint32_t seq)
{
    uint32_t i;

    for (i = 0; i < p->n; i++) {
        rec *r = &p->r[i];

        if (r->kind == K_SUB && !(r->flags & F_GONE) && r->tab == tab && r->seq == seq)
            return r;
    }
    return NULL;
}

/* The subscription of `tab` with virtual id v in either form. Compared raw:
 * clients give the id back as they were given it. */
static rec *by_virt(jrpc *p, uint32_t tab, const char *t, const js_val *v)
{
    char a[WIRE_MAX + 1];
    uint32_t i;

    if (v->kind != JS_STRING && v->kind != JS_NUMBER)
        return NULL;
    for (i = 0; i < p->n; i++) {
        rec *r = &p->r[i];

        if (r->kind == K_SUB && !(r->flags & F_GONE) && r->tab == tab &&
            virt(r->seq, v->kind == JS_STRING, a) == v->len && memcmp(a, t + v->off, v->len) == 0)
            return r;
    }
    return NULL;
}

/* Whether frame seq of tab still has a request unanswered. */
static int busy(const jrpc *p, uint32_t tab, uint32_t seq)
{
    uint32_t i;

    for (i = 0; i < p->n; i++)
        if (p->r[i].kind != K_DEAD && p->r[i].tab == tab && p->r[i].seq == seq)
            return 1;
    return 0;
}

/* Gives subscribe record r wire id w in its text where it lies: its room was
 * made when it came, so that subscribing again needs no memory. */
static void rewire(rec *r, uint64_t w)
{
    char dig[WIRE_MAX];
    uint32_t n = prof_digits(w, dig), tail = r->id_off + r->id_len;

    memmove(r->text + r->id_off + n, r->text + tail, r->len - tail);
    memcpy(r->text + r->id_off, dig, n);
    if (r->m_off > r->id_off)
        r->m_off = r->m_off + n - r->id_len;
    r->len = r->len + n - r->id_len;
    r->id_len = n;
    r->wire = w;
}

/* The profile's own unsubscribe from server subscription sid, made of
 * subscribe record r, which becomes its entry: the answer is released. */
static int unsub_leader(jrpc *p, const prof_io *io, rec *r, const char *sid, uint32_t n)
{
    char dig[WIRE_MAX];
    sbuf b;
    int rc;

    if (!io->open(io->ctx))
        return WSS_EREJECT;
    memset(&b, 0, sizeof(b));
    PUT(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
    put(&b, dig, prof_digits(p->wire + 1, dig));
    PUT(&b, ",\"method\":");
    put(&b, r->text + r->m_off, r->m_len - SUB_TAIL); /* "eth_ of "eth_subscribe" */
    PUT(&b, "unsubscribe\",\"params\":[");
    put(&b, sid, n);
    PUT(&b, "]}");
    if (b.bad)
        return WSS_ENOMEM;
    rc = io->send_text(io->ctx, b.s, b.len);
    wss_free(b.s);
    if (rc != WSS_OK)
        return rc == WSS_EREJECT ? rc : WSS_ENOMEM;
    wss_free(r->tid);
    wss_free(r->text);
    wss_free(r->sid);
    r->tid = r->text = r->sid = NULL;
    r->kind = K_LEADER;
    r->state = S_SENT;
    r->wire = ++p->wire;
    return WSS_OK;
}

/* Ends subscription s, whose tab no longer wants it. */
static void end_sub(jrpc *p, const prof_io *io, rec *s)
{
    int rc;

    if (s->state == S_HELD) {
        drop(s);
    } else if (s->state == S_SENT) {
        s->flags |= F_GONE; /* its answer is unsubscribed when it comes */
    } else {
        rc = unsub_leader(p, io, s, s->sid, s->sid_len);
        if (rc == WSS_EREJECT)
            drop(s);
        else if (rc != WSS_OK)
            /* Its notifications are dropped until the connection ends. */
            s->flags |= F_GONE;
    }
}

/* A request answered: its record goes, its frame is forgotten once all its
 * requests are, and an unsubscribe takes its subscription along. */
static void finish(jrpc *p, const prof_io *io, rec *r)
{
    uint32_t tab = r->tab, seq = r->seq, target = r->target;
    int unsub = r->kind == K_UNSUB;
    rec *s;

    drop(r);
    if (!busy(p, tab, seq))
        (void)io->forget(io->ctx, tab, seq);
    if (unsub) {
        if ((s = sub_of(p, tab, target)) != NULL)
            drop(s);
        (void)io->forget(io->ctx, tab, target);
    }
}

/* Answers the requests of the frame of record `at` that a lost connection
 * took: the error for calls (an array for a batch), true for an unsubscribe
 * (its subscription ended with the connection and is not made again). */
static int owe(jrpc *p, const prof_io *io, uint32_t at)
{
    uint32_t i, n = 0, tab = p->r[at].tab, seq = p->r[at].seq;
    int batch = (p->r[at].flags & F_BATCH) != 0;
    sbuf b;

    memset(&b, 0, sizeof(b));
    if (batch)
        PUT(&b, "[");
    for (i = at; i < p->n; i++) {
        rec *q = &p->r[i];

        if (q->kind != K_DEAD && q->state == S_OWED && q->tab == tab && q->seq == seq) {
            if (n++ > 0)
                PUT(&b, ",");
            answer(&b, q->tid, q->tid_len, q->kind == K_UNSUB ? "true" : NULL);
        }
    }
    if (batch)
        PUT(&b, "]");
    if (deliver_buf(io, tab, &b) != WSS_OK)
        return WSS_ENOMEM;
    for (i = at; i < p->n; i++) {
        rec *q = &p->r[i];

        if (q->kind != K_DEAD && q->state == S_OWED && q->tab == tab && q->seq == seq) {
            if (q->kind == K_UNSUB)
                (void)io->forget(io->ctx, tab, q->target);
            drop(q);
        }
    }
    if (!busy(p, tab, seq))
        (void)io->forget(io->ctx, tab, seq);
    return WSS_OK;
}

/* Does what waits: answers owed, then, if the socket is open, what was held
 * for it, in arrival order. What fails waits for the next event. Returns
 * whether something is still held. */
static int catch_up(jrpc *p, const prof_io *io)
{
    int open = io->open(io->ctx), held = 0, owed = 0;
    uint32_t i, j;

    for (i = 0; i < p->n; i++) {
        rec *r = &p->r[i];

        if (r->kind == K_DEAD)
            continue;
        if (r->state == S_OWED) {
            /* After a failure, no more: a batch's answers go in one array. */
            owed = owed || owe(p, io, i) != WSS_OK;
        } else if (r->state == S_HELD) {
            /* A batch's text is its first request's: the others go with it. */
            if (held || !open || r->text == NULL ||
                io->send_text(io->ctx, r->text, r->len) != WSS_OK) {
                held = 1;
                continue;
            }
            for (j = i + 1; j < p->n; j++)
                if (p->r[j].kind != K_DEAD && p->r[j].tab == r->tab && p->r[j].seq == r->seq &&
                    p->r[j].state == S_HELD)
                    p->r[j].state = S_SENT;
            r->state = S_SENT;
            if (r->kind == K_NOTE) {
                drop(r);
            } else if (r->kind != K_SUB) {
                wss_free(r->text);
                r->text = NULL;
            }
        }
    }
    sweep(p);
    p->due = held || owed;
    return held;
}

/* ---- a tab's frames --------------------------------------------------------- */

/* 1: sent; 0: to hold for the socket; WSS_ENOMEM. */
static int go(const prof_io *io, int hold, const char *t, size_t n)
{
    int rc;

    if (hold)
        return 0;
    rc = io->send_text(io->ctx, t, n);
    if (rc == WSS_EREJECT)
        return 0;
    return rc == WSS_OK ? 1 : WSS_ENOMEM;
}

/* A client's notification, or a batch of them: it goes as it came. */
static int note(jrpc *p, const prof_io *io, const prof_frame *f, int hold)
{
    rec r;
    int rc;

    /* At most once, as for a request: an earlier leader may have sent it. */
    if (f->replay) {
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    if (!hold) {
        rc = io->send(io->ctx, f->handle, f->len);
        if (rc == WSS_OK)
            return PROF_TAKEN;
        if (rc != WSS_EREJECT)
            return WSS_ENOMEM;
    }
    memset(&r, 0, sizeof(r));
    if (room(p, 1) != WSS_OK || (r.text = prof_dup(f->text, f->len)) == NULL)
        return WSS_ENOMEM;
    r.kind = K_NOTE;
    r.state = S_HELD;
    r.tab = f->tab;
    r.seq = f->seq;
    r.len = f->len;
    p->r[p->n++] = r;
    p->due = 1;
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

/* The messages of a frame: an array's elements, or the object itself. */
static int each(const char *t, const js_val *top, uint32_t *pos, js_val *el)
{
    if (top->kind == JS_ARRAY)
        return js_next(t, top, pos, NULL, el);
    *el = *top;
    return (*pos)++ == 0;
}

/* A request an earlier leader may have sent: answered with the error, never
 * sent again, for it may not be idempotent. */
static int lost(const prof_io *io, const prof_frame *f, const js_val *top)
{
    js_val el;
    msg m;
    uint32_t pos = 0, n = 0, arr = top->kind == JS_ARRAY;
    sbuf b;

    memset(&b, 0, sizeof(b));
    put(&b, "[", arr);
    while (each(f->text, top, &pos, &el))
        if (classify(f->text, &el, &m) == M_REQ && m.id.kind != JS_NONE) {
            put(&b, ",", n++ > 0);
            answer(&b, f->text + m.id.off, m.id.len, NULL);
        }
    put(&b, "]", arr);
    if (deliver_buf(io, f->tab, &b) != WSS_OK)
        return WSS_ENOMEM;
    (void)io->forget(io->ctx, f->tab, f->seq);
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

/* The nreq requests of a frame under new wire ids, in one edit: a lone one
 * (an unsubscribe also with the server's id of subscription `sub` for the
 * virtual one), or a batch's, calls with F_BATCH. Kept, then sent or held;
 * the frame is forgotten once every request has its answer. A subscribe
 * inside a batch is routed like a call: its tab gets the server's id, and it
 * is not made again on a new connection. */
static int request(jrpc *p, const prof_io *io, const prof_frame *f, const js_val *top,
                   uint32_t nreq, int kind, unsigned flags, const rec *sub, int hold)
{
    js_edit *e;
    char *dig, *text;
    rec *r;
    js_val el, a0;
    msg m;
    uint32_t pos = 0, i = 0, ne = 0;
    size_t len = 0;
    int keep = !(flags & F_QUIET), rc, ok, swap;

    if (room(p, nreq) != WSS_OK ||
        (e = wss_malloc((size_t)nreq * (sizeof(*e) + WIRE_MAX) + sizeof(*e))) == NULL)
        return WSS_ENOMEM;
    dig = (char *)(e + nreq + 1);
    /* Made in the room above, counted only once all went well. */
    r = p->r + p->n;
    memset(r, 0, (size_t)nreq * sizeof(*r));
    while (i < nreq && each(f->text, top, &pos, &el)) {
        if (classify(f->text, &el, &m) != M_REQ || m.id.kind == JS_NONE)
            continue;
        r[i].wire = p->wire + 1 + i;
        r[i].tab = f->tab;
        r[i].seq = f->seq;
        r[i].kind = (unsigned char)kind;
        r[i].flags = (unsigned char)flags;
        r[i].tid = prof_dup(f->text + m.id.off, m.id.len);
        r[i].tid_len = m.id.len;
        /* Where the wire id and the method will lie, for a subscribe. */
        r[i].id_off = m.id.off;
        r[i].id_len = prof_digits(r[i].wire, dig + i * WIRE_MAX);
        r[i].m_off = m.method.off > m.id.off ? m.method.off + r[i].id_len - m.id.len : m.method.off;
        r[i].m_len = m.method.len;
        a0 = first(f->text, &m.params);
        swap = sub != NULL && a0.off < m.id.off; /* the edits in the order of the text */
        edit(&e[ne + swap], &m.id, dig + i * WIRE_MAX, r[i].id_len);
        if (sub != NULL) {
            edit(&e[ne + !swap], &a0, sub->sid, sub->sid_len);
            r[i].target = sub->seq;
            ne++;
        }
        ne++;
        i++;
    }
    text = js_apply(f->text, f->len, e, ne, &len);
    wss_free(e);
    if (kind == K_SUB && text != NULL) {
        /* Room for any wire id, to subscribe again (rewire). */
        char *g = wss_realloc(text, len + WIRE_MAX + 1);

        if (g == NULL)
            wss_free(text);
        text = g;
    }
    for (ok = text != NULL, i = 0; i < nreq; i++)
        ok = ok && r[i].tid != NULL;
    rc = !ok ? WSS_ENOMEM : keep ? io->keep(io->ctx, f->tab, f->seq, 0) : WSS_OK;
    if (rc == WSS_OK && (rc = go(io, hold, text, len)) < 0 && keep)
        (void)io->forget(io->ctx, f->tab, f->seq);
    if (rc < 0) {
        wss_free(text);
        for (i = 0; i < nreq; i++)
            drop(&r[i]);
        return WSS_ENOMEM;
    }
    for (i = 0; i < nreq; i++)
        r[i].state = rc ? S_SENT : S_HELD;
    /* A batch's text is its first request's: the others go with it. */
    if (rc && kind != K_SUB) {
        wss_free(text);
    } else {
        r->text = text;
        r->len = (uint32_t)len;
    }
    p->due |= !rc;
    p->wire += nreq;
    p->n += nreq;
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

/* A tab's unsubscribe names the virtual id it was given. One the server has
 * goes with the server's id; any other is answered here. */
static int unsubscribe(jrpc *p, const prof_io *io, const prof_frame *f, const msg *m,
                       const js_val *top, int hold)
{
    js_val v = first(f->text, &m->params);
    uint32_t seq;
    rec *s;
    sbuf b;

    if (v.kind == JS_NONE) /* nothing to map: the server judges it */
        return f->replay ? lost(io, f, top) : request(p, io, f, top, 1, K_CALL, 0, NULL, hold);
    /* Room first: request() must not move the records under s. */
    if (room(p, 1) != WSS_OK)
        return WSS_ENOMEM;
    s = by_virt(p, f->tab, f->text, &v);
    if (s != NULL && s->state == S_LIVE && !f->replay)
        return request(p, io, f, top, 1, K_UNSUB, 0, s, hold);
    /* Answered here: a subscription the server does not have yet ends now;
     * a replay is done, for the connection or leader it went to is gone and
     * the server's subscription with it; an id the tab does not have is false. */
    memset(&b, 0, sizeof(b));
    answer(&b, f->text + m->id.off, m->id.len, s != NULL || f->replay ? "true" : "false");
    if (deliver_buf(io, f->tab, &b) != WSS_OK)
        return WSS_ENOMEM;
    if (s != NULL) {
        seq = s->seq;
        end_sub(p, io, s);
        (void)io->forget(io->ctx, f->tab, seq);
        sweep(p);
    }
    if (f->replay)
        (void)io->forget(io->ctx, f->tab, f->seq);
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

static int tab_frame(profile *pp, const prof_io *io, const prof_frame *f)
{
    jrpc *p = (jrpc *)pp;
    const char *t = f->text;
    js_val top, el;
    msg m;
    uint32_t pos = 0, nel = 0, nmsg = 0, nreq = 0;
    int c, dup_keys = 0, hold;

    if (t == NULL || js_parse(t, f->len, &top) != WSS_OK)
        return PROF_PASS;
    /* A frame of answers only, a client's to the server, is the core's. */
    while (each(t, &top, &pos, &el)) {
        nel++;
        c = classify(t, &el, &m);
        if (c == M_OTHER)
            return PROF_PASS;
        dup_keys |= c == M_DUP;
        nmsg += c == M_REQ;
        nreq += c == M_REQ && m.id.kind != JS_NONE;
    }
    if (nel == 0 || (!dup_keys && nmsg == 0))
        return PROF_PASS;
    if (dup_keys) {
        io->error(io->ctx, f->tab, f->seq, "protocol",
                  "JSON-RPC message with a duplicate \"jsonrpc\", \"id\" or \"method\" key");
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    /* Behind what is still held, to keep the tabs' order. */
    hold = (p->due && catch_up(p, io)) || !io->open(io->ctx);
    if (nreq == 0)
        return note(p, io, f, hold);
    if (top.kind == JS_ARRAY)
        return f->replay ? lost(io, f, &top)
                         : request(p, io, f, &top, nreq, K_CALL, F_BATCH, NULL, hold);
    switch (kind_of(t, &m)) {
    case K_SUB:
        /* Made again; the tab hears the answer unless the mark says it had it. */
        return request(p, io, f, &top, 1, K_SUB, f->replay && f->mark == MARK_TOLD ? F_QUIET : 0u,
                       NULL, hold);
    case K_UNSUB:
        return unsubscribe(p, io, f, &m, &top, hold);
    default:
        return f->replay ? lost(io, f, &top) : request(p, io, f, &top, 1, K_CALL, 0, NULL, hold);
    }
}

/* ---- the server's frames ---------------------------------------------------- */

/* A subscription's notification goes to its tab alone, under its virtual id. */
static int notification(jrpc *p, const prof_io *io, uint32_t h, const char *t, uint32_t len,
                        const js_val *sub)
{
    char vt[WIRE_MAX + 1];
    js_edit e;
    char *out;
    size_t n = 0;
    uint32_t i;
    int rc;
    rec *r = NULL;

    for (i = 0; i < p->n && r == NULL; i++)
        if (p->r[i].state == S_LIVE && p->r[i].kind == K_SUB && p->r[i].sid_len == sub->len &&
            memcmp(p->r[i].sid, t + sub->off, sub->len) == 0)
            r = &p->r[i];
    if (r == NULL)
        return PROF_PASS;
    if (!(r->flags & F_GONE)) {
        edit(&e, sub, vt, virt(r->seq, (r->flags & F_VSTR) != 0, vt));
        out = js_apply(t, len, &e, 1, &n);
        rc = out != NULL ? io->deliver_text(io->ctx, r->tab, out, n) : WSS_ENOMEM;
        wss_free(out);
        if (rc != WSS_OK)
            return WSS_ENOMEM;
    }
    io->release(io->ctx, h);
    return PROF_TAKEN;
}

static int response(jrpc *p, const prof_io *io, uint32_t h, const char *t, uint32_t len,
                    const js_val *o, const js_val *id, rec *r)
{
    char vt[WIRE_MAX + 1];
    js_edit e[2];
    js_val res;
    char *out, *sid = NULL;
    size_t n = 0;
    int rc, str, live;

    (void)js_get(t, o, "result", &res);
    live = r->kind == K_SUB && (res.kind == JS_STRING || res.kind == JS_NUMBER);
    if (r->kind == K_LEADER || (r->flags & F_GONE)) {
        /* Nobody wants this subscription: the server hears so. */
        rc = live ? unsub_leader(p, io, r, t + res.off, res.len) : WSS_EREJECT;
        if (rc != WSS_OK && rc != WSS_EREJECT)
            return WSS_ENOMEM;
        if (rc != WSS_OK)
            drop(r);
    } else {
        str = r->flags & F_VSTR ? 1 : r->flags & F_VNUM ? 0 : res.kind == JS_STRING;
        if (live && (sid = prof_dup(t + res.off, res.len)) == NULL)
            return WSS_ENOMEM;
        if (!(r->flags & F_QUIET)) {
            /* The edits in the order of the text. */
            int swap = live && res.off < id->off;

            edit(&e[swap], id, r->tid, r->tid_len);
            if (live)
                edit(&e[!swap], &res, vt, virt(r->seq, str, vt));
            out = js_apply(t, len, e, live ? 2 : 1, &n);
            rc = out != NULL ? io->deliver_text(io->ctx, r->tab, out, n) : WSS_ENOMEM;
            wss_free(out);
            if (rc != WSS_OK) {
                wss_free(sid);
                return WSS_ENOMEM;
            }
        }
        if (live) {
            r->state = S_LIVE;
            r->sid = sid;
            r->sid_len = res.len;
            r->flags |= str ? F_VSTR : F_VNUM;
            /* Told: a next leader makes it again without telling the tab. */
            (void)io->keep(io->ctx, r->tab, r->seq, MARK_TOLD);
        } else {
            /* An error (for a subscribe too: the tab that had its answer
             * hears no second one). */
            finish(p, io, r);
        }
    }
    sweep(p);
    io->release(io->ctx, h);
    return PROF_TAKEN;
}

/* One answer inside a batch answer, and one tab's array of them. */
typedef struct hit {
    js_val el;
    js_val id;
    rec *r;
} hit;

typedef struct part {
    uint32_t tab;
    char *s;
    size_t n;
    int ok;
} part;

/* Whether an answer goes to its tab. */
static int told(const rec *r)
{
    return r->kind != K_LEADER && !(r->flags & (F_GONE | F_QUIET));
}

/* The array of tab's answers: the ids put back, the rest cut out. */
static char *array_of(const char *t, uint32_t len, const js_val *top, const hit *hs, uint32_t m,
                      uint32_t tab, js_edit *e, size_t *n)
{
    size_t ne = 0;
    uint32_t j, prev = top->off + 1;

    for (j = 0; j < m; j++) {
        if (hs[j].r->tab != tab || !told(hs[j].r))
            continue;
        e[ne].off = prev;
        e[ne].len = hs[j].el.off - prev;
        e[ne].with = ",";
        e[ne].wlen = ne > 0 ? 1u : 0u;
        ne++;
        edit(&e[ne++], &hs[j].id, hs[j].r->tid, hs[j].r->tid_len);
        prev = hs[j].el.off + hs[j].el.len;
    }
    e[ne].off = prev;
    e[ne].len = top->off + top->len - 1 - prev;
    e[ne].with = "";
    e[ne++].wlen = 0;
    return js_apply(t, len, e, ne, n);
}

/* A batch answer: each tab gets one array of its answers, in the server's
 * order; answers that are no tab's are dropped. */
static int answers(jrpc *p, const prof_io *io, uint32_t h, const char *t, uint32_t len,
                   const js_val *top)
{
    hit *hs;
    part *pt = NULL;
    js_edit *e = NULL;
    js_val el, id;
    uint32_t pos = 0, k = 0, m = 0, np = 0, i, j;
    uint64_t w;
    rec *r;
    int bad;

    while (js_next(t, top, &pos, NULL, &el))
        k++;
    if (k == 0)
        return PROF_PASS;
    if ((hs = wss_malloc((size_t)k * sizeof(*hs))) == NULL)
        return WSS_ENOMEM;
    for (pos = 0; js_next(t, top, &pos, NULL, &el);) {
        if (el.kind != JS_OBJECT || js_get(t, &el, "method", NULL) != 0 ||
            js_get(t, &el, "id", &id) != 1 || !wire_of(t, &id, &w) ||
            (js_get(t, &el, "result", NULL) == 0 && js_get(t, &el, "error", NULL) == 0) ||
            (r = by_wire(p, w)) == NULL)
            continue;
        for (i = 0; i < m && hs[i].r != r; i++)
            ;
        if (i == m) { /* an id given twice counts once */
            hs[m].el = el;
            hs[m].id = id;
            hs[m++].r = r;
        }
    }
    if (m == 0) {
        wss_free(hs);
        return PROF_PASS;
    }
    e = wss_malloc((size_t)(2 * m + 1) * sizeof(*e));
    pt = wss_malloc((size_t)m * sizeof(*pt));
    bad = e == NULL || pt == NULL;
    /* Every array is made before any is delivered. */
    for (i = 0; i < m && !bad; i++) {
        for (j = 0; j < np && pt[j].tab != hs[i].r->tab; j++)
            ;
        if (j < np || !told(hs[i].r))
            continue;
        pt[np].tab = hs[i].r->tab;
        pt[np].ok = 0;
        pt[np].s = array_of(t, len, top, hs, m, pt[np].tab, e, &pt[np].n);
        bad = pt[np].s == NULL;
        np += !bad;
    }
    /* The first delivery failing leaves all as it was; a later one leaves
     * that tab's requests to be failed when the connection ends. */
    for (i = 0; i < np && !bad; i++) {
        pt[i].ok = io->deliver_text(io->ctx, pt[i].tab, pt[i].s, pt[i].n) == WSS_OK;
        if (!pt[i].ok) {
            bad = i == 0;
            break;
        }
    }
    for (i = 0; i < m && !bad; i++) {
        r = hs[i].r;
        for (j = 0; j < np && pt[j].tab != r->tab; j++)
            ;
        if (r->kind == K_LEADER || (r->flags & F_GONE))
            drop(r);
        else if ((r->flags & F_QUIET) || (j < np && pt[j].ok))
            finish(p, io, r);
    }
    for (i = 0; i < np; i++)
        wss_free(pt[i].s);
    wss_free(pt);
    wss_free(e);
    wss_free(hs);
    if (bad)
        return WSS_ENOMEM;
    sweep(p);
    io->release(io->ctx, h);
    return PROF_TAKEN;
}

static int server_frame(profile *pp, const prof_io *io, uint32_t h, const char *t, uint32_t len)
{
    jrpc *p = (jrpc *)pp;
    js_val top, id, v, sub;
    uint64_t w;
    rec *r;

    /* Nothing of ours: the fan-out of other protocols is not scanned. */
    if (t == NULL || p->n == 0)
        return PROF_PASS;
    if (p->due)
        (void)catch_up(p, io);
    if (js_parse(t, len, &top) != WSS_OK)
        return PROF_PASS;
    if (top.kind == JS_ARRAY)
        return answers(p, io, h, t, len, &top);
    if (top.kind != JS_OBJECT)
        return PROF_PASS;
    if (js_get(t, &top, "method", NULL) != 0) {
        /* A notification; one of no subscription of ours goes to every tab. */
        if (js_get(t, &top, "id", NULL) != 0 || js_get(t, &top, "params", &v) != 1 ||
            js_get(t, &v, "subscription", &sub) != 1)
            return PROF_PASS;
        return notification(p, io, h, t, len, &sub);
    }
    if (js_get(t, &top, "id", &id) != 1 || !wire_of(t, &id, &w) ||
        (js_get(t, &top, "result", NULL) == 0 && js_get(t, &top, "error", NULL) == 0) ||
        (r = by_wire(p, w)) == NULL)
        return PROF_PASS;
    return response(p, io, h, t, len, &top, &id, r);
}

/* ---- the connection and the tabs -------------------------------------------- */

static void opened(profile *pp, const prof_io *io)
{
    (void)catch_up((jrpc *)pp, io);
}

/* Calls on the wire get their error; subscriptions are made again on the next
 * connection, their tabs keeping their virtual ids and hearing nothing. */
static void closed(profile *pp, const prof_io *io)
{
    jrpc *p = (jrpc *)pp;
    uint32_t i;
    rec *s;

    /* An unsubscribe the connection took is done: see owe. */
    for (i = 0; i < p->n; i++)
        if (p->r[i].kind == K_UNSUB && !(p->r[i].flags & F_GONE) &&
            (s = sub_of(p, p->r[i].tab, p->r[i].target)) != NULL)
            s->flags |= F_GONE;
    for (i = 0; i < p->n; i++) {
        rec *r = &p->r[i];

        if (r->kind == K_DEAD || r->kind == K_NOTE)
            continue;
        if (r->kind == K_LEADER || (r->flags & F_GONE)) {
            drop(r);
        } else if (r->kind == K_UNSUB || (r->kind == K_CALL && r->state == S_SENT)) {
            r->state = S_OWED;
        } else if (r->kind == K_SUB && r->state != S_HELD) {
            if (r->state == S_LIVE) {
                r->flags |= F_QUIET;
                wss_free(r->sid);
                r->sid = NULL;
                r->sid_len = 0;
            }
            rewire(r, ++p->wire);
            r->state = S_HELD;
        }
    }
    p->due = 1;
    (void)catch_up(p, io);
}

static void tab_gone(profile *pp, const prof_io *io, uint32_t tab)
{
    jrpc *p = (jrpc *)pp;
    uint32_t i;

    for (i = 0; i < p->n; i++) {
        rec *r = &p->r[i];

        if (r->kind == K_DEAD || r->tab != tab)
            continue;
        if (r->state == S_HELD || r->state == S_OWED)
            drop(r);
        else if (r->state == S_LIVE && !(r->flags & F_GONE))
            end_sub(p, io, r);
        else
            r->flags |= F_GONE; /* its answer is released when it comes */
    }
    sweep(p);
}

static void destroy(profile *pp)
{
    jrpc *p = (jrpc *)pp;
    uint32_t i;

    for (i = 0; i < p->n; i++)
        drop(&p->r[i]);
    wss_free(p->r);
    wss_free(p);
}

static const profile_ops jsonrpc_ops = {
    "jsonrpc", 0, tab_frame, server_frame, opened, closed, NULL, tab_gone, destroy, NULL,
};

profile *jsonrpc_create(void)
{
    jrpc *p = wss_malloc(sizeof(*p));

    if (p == NULL)
        return NULL;
    memset(p, 0, sizeof(*p));
    p->base.ops = &jsonrpc_ops;
    return &p->base;
}
