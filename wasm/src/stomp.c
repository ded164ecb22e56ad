/*
 * The STOMP profile (subprotocols v12.stomp, v11.stomp, v10.stomp): one
 * server connection shared by N STOMP clients (@stomp/stompjs), one per tab.
 *
 * A frame is COMMAND, header lines, a blank line, a body and a NUL; EOLs
 * between frames are heart-beats. The connection has one session, made by
 * the first tab's CONNECT: a later tab whose CONNECT says the same (every
 * header but heart-beat) is answered from the cached CONNECTED; one that says
 * anything else (login, passcode, host, a token) would ride on another's
 * session, so it gets an ERROR and its close alone.
 *
 * Heart-beats. STOMP's go each way on each side's own clock, and a profile
 * has no clock. The leader's CONNECT asks the broker for its beats as often
 * as the first tab asked (they keep the connection alive through proxies
 * that close idle ones) and promises none of its own (heart-beat 0,y); they
 * stop at the leader. Each tab's CONNECTED says heart-beat 0,0: no tab sends
 * beats or watches for them. A tab's check could only close that tab, never
 * the shared connection, and would do so while a lost connection is being
 * made again under it; the connection's life is the leader's to watch (a lost
 * one is made again) and the leader's the session's (a dead one is replaced).
 *
 * Ids. Each tab numbers its subscriptions (sub-0, sub-1, ...), receipts and
 * transactions from the same start: on the wire they are the profile's
 * (wss-s1, wss-r2, wss-t3), and what comes back is told to the tab under its
 * own. Tabs whose SUBSCRIBE says the same (every header but id and receipt:
 * destination, selector, durability, prefetch...) share one subscription at
 * the server, subscribed by the first and unsubscribed when the last leaves
 * or goes; a MESSAGE goes to each of its tabs with that tab's subscription
 * id. Subscriptions that acknowledge (ack: client or client-individual)
 * cannot be shared: one ACK would answer for every tab, a tab's missing ACK
 * would hold every tab's messages, and an ACK of a message delivered on a
 * lost connection makes a broker end the connection for every tab. Such a
 * SUBSCRIBE is refused (ERROR and close), and so is an ACK or NACK.
 *
 * Receipts. The server answers a receipt of SEND, BEGIN, COMMIT and ABORT
 * (remapped). The profile answers those of SUBSCRIBE, UNSUBSCRIBE and
 * DISCONNECT itself, at once: what it does for them is its own (a count),
 * and the server hears the tab's later frames after any SUBSCRIBE or
 * UNSUBSCRIBE it sends, on one ordered connection.
 *
 * A tab's DISCONNECT ends that tab only: its subscriptions are left, its
 * open transactions aborted, its receipt answered here. A new server
 * connection (a drop, a new leader) is made again from the cached CONNECT,
 * then every live subscription; the tabs see nothing of it. What was in
 * flight is never sent again: a frame awaiting its receipt gets an ERROR
 * with that receipt-id, an open transaction an ERROR (the broker aborted it),
 * and a frame sent while there was no session an ERROR. A SEND without a
 * receipt that was lost on the way cannot be told.
 */
#include <string.h>

#include "internal.h"
#include "jscan.h"
#include "profile.h"

#define MAX_HEADERS 64
/* What a tab is told; no colon or EOL, so that each goes in a header as it is. */
static const char BAD[] = "wsshare - a frame a broker refuses";
static const char OTHER_SESSION[] = "wsshare - other credentials; give this client its own sharing key";
static const char ACKS[] = "wsshare - acks are not shared; give this client its own key and protocol none";
static const char TX_LOST[] = "wsshare - transaction was lost";
static const char NOT_SENT[] = "wsshare - not sent again";
static const char NO_SESSION[] = "wsshare - no session now; not sent";
static const char NO_TX[] = "wsshare - no such transaction; not sent";
static const char LOST[] = "wsshare - connection lost; not sent again";
/* A kept CONNECT's mark: its tab has its CONNECTED. */
#define TOLD 1u
#define CLOSE_PROTOCOL 4400u
#define CLOSE_OTHER_SESSION 4403u

enum { CONN_IDLE, CONN_ASKED, CONN_UP };
enum { TAB_WAITING, TAB_UP };

/* ---- frames -------------------------------------------------------------- */

typedef struct hdr {
    uint32_t name, name_len, value, value_len;
} hdr;

typedef struct sframe {
    uint32_t cmd, cmd_len;
    hdr h[MAX_HEADERS];
    uint32_t nh;
    uint32_t body, body_len;
    uint32_t end; /* just past its NUL */
} sframe;

static int is_eol(const char *s, uint32_t len, uint32_t at, uint32_t *n)
{
    if (at < len && s[at] == '\n') {
        *n = 1;
        return 1;
    }
    if (at + 1 < len && s[at] == '\r' && s[at + 1] == '\n') {
        *n = 2;
        return 1;
    }
    return 0;
}

/* A line from `at`: its bytes [at, *line_end) and the next line's start; 0
 * when no EOL ends it. */
static int line(const char *s, uint32_t len, uint32_t at, uint32_t *line_end, uint32_t *next)
{
    uint32_t i;

    for (i = at; i < len; i++)
        if (s[i] == '\n') {
            *line_end = i > at && s[i - 1] == '\r' ? i - 1 : i;
            *next = i + 1;
            return 1;
        }
    return 0;
}

static int name_is(const char *s, uint32_t off, uint32_t len, const char *name)
{
    return strlen(name) == len && memcmp(s + off, name, len) == 0;
}

/* The first header `name` of f: 1 and its value, or 0. */
static int get(const char *s, const sframe *f, const char *name, uint32_t *off, uint32_t *len)
{
    uint32_t i;

    for (i = 0; i < f->nh; i++)
        if (name_is(s, f->h[i].name, f->h[i].name_len, name)) {
            *off = f->h[i].value;
            *len = f->h[i].value_len;
            return 1;
        }
    return 0;
}

static int cmd_is(const char *s, const sframe *f, const char *cmd)
{
    return name_is(s, f->cmd, f->cmd_len, cmd);
}

/* The frame at `at` (after heart-beat EOLs): 1; 0 when only EOLs are left;
 * -1 when malformed. */
static int parse(const char *s, uint32_t len, uint32_t at, sframe *f)
{
    uint32_t n, end, next, i, off, vlen;

    while (is_eol(s, len, at, &n))
        at += n;
    if (at == len)
        return 0;
    memset(f, 0, sizeof *f);
    if (!line(s, len, at, &end, &next) || end == at)
        return -1;
    f->cmd = at;
    f->cmd_len = end - at;
    at = next;
    for (;;) {
        hdr *h;
        uint32_t colon;

        if (!line(s, len, at, &end, &next))
            return -1;
        if (end == at)
            break;
        if (f->nh == MAX_HEADERS)
            return -1;
        for (colon = at; colon < end && s[colon] != ':'; colon++)
            ;
        if (colon == end || colon == at)
            return -1;
        h = &f->h[f->nh++];
        h->name = at;
        h->name_len = colon - at;
        h->value = colon + 1;
        h->value_len = end - colon - 1;
        at = next;
    }
    at = next;
    f->body = at;
    if (get(s, f, "content-length", &off, &vlen)) {
        /* prof_wire reads 1 to 19 digits but "0", which it answers 0 too. */
        uint64_t cl = vlen == 1 && s[off] == '0' ? 0 : prof_wire(s + off, vlen);

        if ((cl == 0 && !(vlen == 1 && s[off] == '0')) || cl >= len - at || s[at + cl] != '\0')
            return -1;
        f->body_len = (uint32_t)cl;
    } else {
        for (i = at; i < len && s[i] != '\0'; i++)
            ;
        if (i == len)
            return -1;
        f->body_len = i - at;
    }
    f->end = f->body + f->body_len + 1;
    return 1;
}

/* A header f's copy gets: value NULL removes every `name`, else the first is
 * replaced (or one added) and the rest removed. */
typedef struct edit {
    const char *name;
    const char *value;
    uint32_t value_len;
} edit;

static void put(char *out, uint32_t *at, const char *s, uint32_t n)
{
    if (out != NULL)
        memcpy(out + *at, s, n);
    *at += n;
}

/* f with edits (two at most) written to out, or only measured (out NULL);
 * returns its length. */
static uint32_t rewrite(const char *s, const sframe *f, const edit *e, uint32_t ne, char *out)
{
    uint32_t i, j, at = 0;
    int done[2] = {0, 0};

    put(out, &at, s + f->cmd, f->cmd_len);
    put(out, &at, "\n", 1);
    for (i = 0; i < f->nh + ne; i++) {
        const edit *ed = i < f->nh ? NULL : &e[i - f->nh];

        for (j = 0; i < f->nh && j < ne && ed == NULL; j++)
            if (name_is(s, f->h[i].name, f->h[i].name_len, e[j].name))
                ed = &e[j];
        if (ed == NULL) {
            put(out, &at, s + f->h[i].name, f->h[i].name_len + 1 + f->h[i].value_len);
            put(out, &at, "\n", 1);
            continue;
        }
        if (ed->value == NULL || done[ed - e])
            continue;
        done[ed - e] = 1;
        put(out, &at, ed->name, (uint32_t)strlen(ed->name));
        put(out, &at, ":", 1);
        put(out, &at, ed->value, ed->value_len);
        put(out, &at, "\n", 1);
    }
    put(out, &at, "\n", 1);
    put(out, &at, s + f->body, f->body_len);
    put(out, &at, "", 1);
    return at;
}

/* f with edits, in a new block (NUL-terminated, *out_len without it). */
static char *rebuild(const char *s, const sframe *f, const edit *e, uint32_t ne, uint32_t *out_len)
{
    uint32_t n = rewrite(s, f, e, ne, NULL);
    char *out = wss_malloc((size_t)n + 1);

    if (out != NULL) {
        (void)rewrite(s, f, e, ne, out);
        out[n] = '\0';
        *out_len = n;
    }
    return out;
}

/* What a frame says but for the headers named in `skip` (NULL-ended), in
 * one canonical text: its header lines, sorted by name. Two frames that say
 * the same have the same text. */
static char *canon(const char *s, const sframe *f, const char *const *skip, uint32_t *out_len)
{
    uint32_t idx[MAX_HEADERS], n = 0, i, j, size = 0, at = 0;
    char *out;

    for (i = 0; i < f->nh; i++) {
        const hdr *h = &f->h[i];
        int skipped = 0;

        for (j = 0; skip[j] != NULL; j++)
            skipped |= name_is(s, h->name, h->name_len, skip[j]);
        if (skipped)
            continue;
        /* Insertion by name; a repeated header stays (stricter, never looser). */
        for (j = n; j > 0; j--) {
            const hdr *o = &f->h[idx[j - 1]];
            uint32_t m = o->name_len < h->name_len ? o->name_len : h->name_len;
            int c = memcmp(s + o->name, s + h->name, m);

            if (c < 0 || (c == 0 && o->name_len < h->name_len))
                break;
            idx[j] = idx[j - 1];
        }
        idx[j] = i;
        n++;
        size += h->name_len + 1 + h->value_len + 1;
    }
    if ((out = wss_malloc((size_t)size + 1)) == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        const hdr *h = &f->h[idx[i]];

        put(out, &at, s + h->name, h->name_len + 1 + h->value_len);
        out[at++] = '\n';
    }
    out[at] = '\0';
    *out_len = at;
    return out;
}

/* "wss-<kind><n>", the wire's id for n. */
static uint32_t wire_id(char kind, uint64_t n, char *out)
{
    memcpy(out, "wss-", 4);
    out[4] = kind;
    return 5 + prof_digits(n, out + 5);
}

/* The n of a wire id of `kind`; 0 when it is not one. */
static uint64_t wire_of(char kind, const char *s, uint32_t len)
{
    if (len < 6 || memcmp(s, "wss-", 4) != 0 || s[4] != kind)
        return 0;
    return prof_wire(s + 5, len - 5);
}

/* ---- state --------------------------------------------------------------- */

typedef struct stab {
    uint32_t tab, seq; /* its CONNECT's */
    int state;
} stab;

/* A subscription the server has (or is to have). */
typedef struct wsub {
    uint64_t wire;
    char *key; /* its SUBSCRIBE's canonical headers */
    uint32_t key_len;
    char *frame; /* the SUBSCRIBE the server hears */
    uint32_t frame_len;
    int asked; /* on this connection */
} wsub;

/* A tab's subscription, a tab's receipt the server owes, a tab's open
 * transaction: the tab's id for it and the wire's. */
typedef struct link {
    uint32_t tab, seq;
    char *id;
    uint32_t id_len;
    uint64_t wire;
} link;

typedef struct links {
    link *v;
    uint32_t n, cap;
} links;

typedef struct stomp {
    profile base;
    int conn;
    char *connect; /* the CONNECT every connection hears: the first tab's */
    uint32_t connect_len;
    char *creds; /* what a later tab's CONNECT must say */
    uint32_t creds_len;
    char *connected; /* this connection's CONNECTED, as a tab gets it */
    uint32_t connected_len;
    stab *tabs;
    uint32_t ntabs, tabs_cap;
    wsub *subs;
    uint32_t nsubs, subs_cap;
    links members, receipts, txns;
    uint64_t next;
    int stalled;
} stomp;

static stab *find_tab(stomp *c, uint32_t tab)
{
    uint32_t i;

    for (i = 0; i < c->ntabs; i++)
        if (c->tabs[i].tab == tab)
            return &c->tabs[i];
    return NULL;
}

static wsub *find_sub(stomp *c, uint64_t wire)
{
    uint32_t i;

    for (i = 0; i < c->nsubs; i++)
        if (c->subs[i].wire == wire)
            return &c->subs[i];
    return NULL;
}

static link *find_link(links *l, uint32_t tab, const char *id, uint32_t id_len)
{
    uint32_t i;

    for (i = 0; i < l->n; i++)
        if (l->v[i].tab == tab && l->v[i].id_len == id_len && memcmp(l->v[i].id, id, id_len) == 0)
            return &l->v[i];
    return NULL;
}

static link *find_wire(links *l, uint64_t wire)
{
    uint32_t i;

    for (i = 0; i < l->n; i++)
        if (l->v[i].wire == wire)
            return &l->v[i];
    return NULL;
}

/* Room for one more in l. */
static int room(links *l)
{
    void *v = l->v;

    if (wss_grow(&v, &l->cap, l->n + 1, sizeof *l->v) != WSS_OK)
        return WSS_ENOMEM;
    l->v = v;
    return WSS_OK;
}

/* Adds a link, room made before; it takes the id (*id NULL after). */
static void push(links *l, uint32_t tab, uint32_t seq, char **id, uint32_t id_len, uint64_t wire)
{
    link *k = &l->v[l->n++];

    k->tab = tab;
    k->seq = seq;
    k->id = *id;
    k->id_len = id_len;
    k->wire = wire;
    *id = NULL;
}

static void drop_link(links *l, link *k)
{
    uint32_t i = (uint32_t)(k - l->v);

    wss_free(k->id);
    memmove(k, k + 1, (l->n - i - 1) * sizeof *l->v);
    l->n--;
}

static void drop_sub(stomp *c, wsub *s)
{
    uint32_t i = (uint32_t)(s - c->subs);

    wss_free(s->key);
    wss_free(s->frame);
    memmove(s, s + 1, (c->nsubs - i - 1) * sizeof *c->subs);
    c->nsubs--;
}

/* ---- what the profile says itself ---------------------------------------- */

/* "cmd", one or two headers (n2 NULL: one), the body and its NUL, in a new
 * block. */
static char *frame2(const char *cmd, const char *n1, const char *v1, uint32_t l1, const char *n2,
                    const char *v2, uint32_t l2, const char *body, uint32_t *len)
{
    uint32_t cl = (uint32_t)strlen(cmd), a = (uint32_t)strlen(n1);
    uint32_t b = n2 != NULL ? (uint32_t)strlen(n2) : 0, bl = (uint32_t)strlen(body), at = 0;
    char *out = wss_malloc((size_t)cl + a + l1 + b + l2 + bl + 7);

    if (out == NULL)
        return NULL;
    put(out, &at, cmd, cl);
    out[at++] = '\n';
    put(out, &at, n1, a);
    out[at++] = ':';
    put(out, &at, v1, l1);
    out[at++] = '\n';
    if (n2 != NULL) {
        put(out, &at, n2, b);
        out[at++] = ':';
        put(out, &at, v2, l2);
        out[at++] = '\n';
    }
    out[at++] = '\n';
    put(out, &at, body, bl + 1);
    *len = at;
    return out;
}

/* A frame of frame2's to `tab`, freed. */
static int say(const prof_io *io, uint32_t tab, char *out, const uint32_t *len)
{
    int rc = out == NULL ? WSS_ENOMEM : io->deliver_text(io->ctx, tab, out, *len);

    wss_free(out);
    return rc;
}

/* ERROR to `tab`, about its receipt `rid` (NULL: none). */
static int say_error(const prof_io *io, uint32_t tab, const char *rid, uint32_t rid_len,
                     const char *message)
{
    uint32_t len = 0;

    return say(io, tab,
               frame2("ERROR", "message", message, (uint32_t)strlen(message),
                      rid != NULL ? "receipt-id" : NULL, rid, rid_len, message, &len),
               &len);
}

static int say_receipt(const prof_io *io, uint32_t tab, const char *rid, uint32_t rid_len)
{
    uint32_t len = 0;

    return say(io, tab, frame2("RECEIPT", "receipt-id", rid, rid_len, NULL, NULL, 0, "", &len), &len);
}

/* "cmd" with the wire's id `kind` n under header `name`, to the server;
 * written in place, so that memory cannot keep it from going. */
static void send_wire(const prof_io *io, const char *cmd, const char *name, char kind, uint64_t n)
{
    char out[96];
    uint32_t at = 0;

    put(out, &at, cmd, (uint32_t)strlen(cmd));
    out[at++] = '\n';
    put(out, &at, name, (uint32_t)strlen(name));
    out[at++] = ':';
    at += wire_id(kind, n, out + at);
    put(out, &at, "\n\n", 3);
    (void)io->send_text(io->ctx, out, at);
}

/* ---- the session and the subscriptions ----------------------------------- */

/* Does what waits for the session or for memory: the CONNECT a new
 * connection needs, the SUBSCRIBEs it has not had, the CONNECTED owed to
 * tabs. Safe to repeat: each step records its progress. */
static void pump(stomp *c, const prof_io *io)
{
    uint32_t i;
    int rc = WSS_OK, r;

    if (c->conn == CONN_IDLE && c->connect != NULL && io->open(io->ctx)) {
        r = io->send_text(io->ctx, c->connect, c->connect_len);
        if (r == WSS_OK)
            c->conn = CONN_ASKED;
        else if (r != WSS_EREJECT)
            rc = WSS_ENOMEM;
    }
    if (c->conn != CONN_UP) {
        c->stalled = rc != WSS_OK;
        return;
    }
    for (i = 0; i < c->nsubs && io->open(io->ctx); i++) {
        if (c->subs[i].asked)
            continue;
        r = io->send_text(io->ctx, c->subs[i].frame, c->subs[i].frame_len);
        if (r == WSS_OK)
            c->subs[i].asked = 1;
        else if (r != WSS_EREJECT)
            rc = WSS_ENOMEM;
    }
    for (i = 0; i < c->ntabs; i++) {
        stab *t = &c->tabs[i];

        if (t->state != TAB_WAITING)
            continue;
        if (io->deliver_text(io->ctx, t->tab, c->connected, c->connected_len) != WSS_OK) {
            rc = WSS_ENOMEM;
            continue;
        }
        t->state = TAB_UP;
        /* Without it a next leader would give it a second CONNECTED. */
        (void)io->keep(io->ctx, t->tab, t->seq, TOLD);
    }
    c->stalled = rc != WSS_OK;
}

/* Ends tab subscription k; the server hears the UNSUBSCRIBE once no tab is
 * left on its wire subscription. */
static void leave(stomp *c, const prof_io *io, link *k)
{
    uint64_t wire = k->wire;
    wsub *s;
    uint32_t i;

    (void)io->forget(io->ctx, k->tab, k->seq);
    drop_link(&c->members, k);
    for (i = 0; i < c->members.n; i++)
        if (c->members.v[i].wire == wire)
            return;
    if ((s = find_sub(c, wire)) == NULL)
        return;
    /* Without memory the server keeps it; its messages reach nobody. */
    if (s->asked && c->conn == CONN_UP && io->open(io->ctx))
        send_wire(io, "UNSUBSCRIBE", "id", 's', wire);
    drop_sub(c, s);
}

/* Tab `tab` is done with the session: its subscriptions left, its open
 * transactions aborted, the receipts it waits for no longer its. */
static void detach(stomp *c, const prof_io *io, uint32_t tab)
{
    uint32_t i;
    stab *t = find_tab(c, tab);

    for (i = c->members.n; i-- > 0;)
        if (c->members.v[i].tab == tab)
            leave(c, io, &c->members.v[i]);
    for (i = c->txns.n; i-- > 0;) {
        link *k = &c->txns.v[i];

        if (k->tab != tab)
            continue;
        if (c->conn == CONN_UP && io->open(io->ctx))
            send_wire(io, "ABORT", "transaction", 't', k->wire);
        (void)io->forget(io->ctx, k->tab, k->seq);
        drop_link(&c->txns, k);
    }
    for (i = c->receipts.n; i-- > 0;)
        if (c->receipts.v[i].tab == tab) {
            (void)io->forget(io->ctx, tab, c->receipts.v[i].seq);
            drop_link(&c->receipts, &c->receipts.v[i]);
        }
    if (t != NULL) {
        (void)io->forget(io->ctx, tab, t->seq);
        *t = c->tabs[--c->ntabs];
    }
}

/* Tab `tab` gets an ERROR and its close, as a broker ends a session. */
static int refuse(stomp *c, const prof_io *io, const prof_frame *f, uint32_t code,
                  const char *message)
{
    detach(c, io, f->tab);
    (void)say_error(io, f->tab, NULL, 0, message);
    io->close_tab(io->ctx, f->tab, code, message);
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

/* ---- the tabs' frames ---------------------------------------------------- */

static int on_connect(stomp *c, const prof_io *io, const prof_frame *f, const sframe *fr)
{
    static const char *const skip[] = {"heart-beat", NULL};
    const char *s = f->text;
    char *creds, *first = NULL;
    uint32_t creds_len, first_len = 0;
    stab *t;

    if ((creds = canon(s, fr, skip, &creds_len)) == NULL)
        return WSS_ENOMEM;
    if (c->creds != NULL && (creds_len != c->creds_len || memcmp(creds, c->creds, creds_len) != 0)) {
        wss_free(creds);
        return refuse(c, io, f, CLOSE_OTHER_SESSION, OTHER_SESSION);
    }
    if (c->creds == NULL) {
        /* The server's beats as often as this tab wants them (what follows
         * the comma of its x,y); none of ours. */
        char value[24] = "0,0";
        uint32_t off = 0, len = 0, i = 0;
        edit e;

        e.name = "heart-beat";
        e.value = value;
        e.value_len = 3;
        if (get(s, fr, "heart-beat", &off, &len))
            for (i = 0; i < len && s[off + i] != ','; i++)
                ;
        if (i < len && len - i <= 22) {
            memcpy(value + 1, s + off + i, len - i);
            e.value_len = len - i + 1;
        }
        if ((first = rebuild(s, fr, &e, 1, &first_len)) == NULL) {
            wss_free(creds);
            return WSS_ENOMEM;
        }
    }
    t = find_tab(c, f->tab);
    if (t == NULL) {
        void *list = c->tabs;

        if (wss_grow(&list, &c->tabs_cap, c->ntabs + 1, sizeof *c->tabs) != WSS_OK) {
            wss_free(creds);
            wss_free(first);
            return WSS_ENOMEM;
        }
        c->tabs = list;
    }
    if (io->keep(io->ctx, f->tab, f->seq, f->replay ? f->mark : 0) != WSS_OK) {
        wss_free(creds);
        wss_free(first);
        return WSS_ENOMEM;
    }
    if (first != NULL) {
        c->connect = first;
        c->connect_len = first_len;
        c->creds = creds;
        c->creds_len = creds_len;
    } else {
        wss_free(creds);
    }
    if (t == NULL) {
        t = &c->tabs[c->ntabs++];
        t->tab = f->tab;
    } else if (t->seq != f->seq) {
        (void)io->forget(io->ctx, f->tab, t->seq);
    }
    t->seq = f->seq;
    /* A tab that followed us with its CONNECTED needs no second one. */
    t->state = f->replay && f->mark == TOLD ? TAB_UP : TAB_WAITING;
    io->release(io->ctx, f->handle);
    pump(c, io);
    return PROF_TAKEN;
}

static int on_subscribe(stomp *c, const prof_io *io, const prof_frame *f, const sframe *fr)
{
    static const char *const skip[] = {"id", "receipt", NULL};
    const char *s = f->text;
    uint32_t id, id_len, v, v_len, key_len = 0, i, frame_len = 0;
    char *key, *frame = NULL, *copy = NULL, wid[32];
    wsub *w = NULL;
    edit e[2];
    void *list = c->subs;

    if (!get(s, fr, "id", &id, &id_len) || !get(s, fr, "destination", &v, &v_len))
        return refuse(c, io, f, CLOSE_PROTOCOL, BAD);
    if (get(s, fr, "ack", &v, &v_len) && !name_is(s, v, v_len, "auto"))
        return refuse(c, io, f, CLOSE_PROTOCOL, ACKS);
    if (find_link(&c->members, f->tab, s + id, id_len) != NULL) {
        /* An earlier leader's frame this one has had already. */
        if (f->replay) {
            io->release(io->ctx, f->handle);
            return PROF_TAKEN;
        }
        return refuse(c, io, f, CLOSE_PROTOCOL, BAD);
    }
    if ((key = canon(s, fr, skip, &key_len)) == NULL)
        return WSS_ENOMEM;
    for (i = 0; i < c->nsubs && w == NULL; i++)
        if (c->subs[i].key_len == key_len && memcmp(c->subs[i].key, key, key_len) == 0)
            w = &c->subs[i];
    e[0].name = "id";
    e[0].value = wid;
    e[0].value_len = wire_id('s', c->next + 1, wid);
    e[1].name = "receipt";
    e[1].value = NULL;
    /* Marked as answered: its receipt goes with this event. */
    if ((w == NULL && (wss_grow(&list, &c->subs_cap, c->nsubs + 1, sizeof *c->subs) != WSS_OK ||
                       (c->subs = list, frame = rebuild(s, fr, e, 2, &frame_len)) == NULL)) ||
        (copy = prof_dup(s + id, id_len)) == NULL || room(&c->members) != WSS_OK ||
        io->keep(io->ctx, f->tab, f->seq, TOLD) != WSS_OK) {
        wss_free(key);
        wss_free(frame);
        wss_free(copy);
        return WSS_ENOMEM;
    }
    if (w == NULL) {
        w = &c->subs[c->nsubs++];
        w->wire = ++c->next;
        w->key = key;
        w->key_len = key_len;
        w->frame = frame;
        w->frame_len = frame_len;
        w->asked = 0;
    } else {
        wss_free(key);
    }
    push(&c->members, f->tab, f->seq, &copy, id_len, w->wire);
    pump(c, io);
    if (get(s, fr, "receipt", &v, &v_len) && !(f->replay && f->mark == TOLD))
        (void)say_receipt(io, f->tab, s + v, v_len);
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

static int on_unsubscribe(stomp *c, const prof_io *io, const prof_frame *f, const sframe *fr)
{
    const char *s = f->text;
    uint32_t id, id_len, v, v_len;
    link *k;

    if (!get(s, fr, "id", &id, &id_len))
        return refuse(c, io, f, CLOSE_PROTOCOL, BAD);
    if ((k = find_link(&c->members, f->tab, s + id, id_len)) != NULL)
        leave(c, io, k);
    if (get(s, fr, "receipt", &v, &v_len))
        (void)say_receipt(io, f->tab, s + v, v_len);
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

/* SEND, BEGIN, COMMIT, ABORT: to the server with the wire's receipt and
 * transaction ids. */
static int on_pass(stomp *c, const prof_io *io, const prof_frame *f, const sframe *fr)
{
    const char *s = f->text;
    uint32_t r = 0, r_len = 0, tx = 0, tx_len = 0, ne = 0, out_len = 0;
    int has_r = get(s, fr, "receipt", &r, &r_len), has_tx = get(s, fr, "transaction", &tx, &tx_len);
    int begin = cmd_is(s, fr, "BEGIN"), rc = WSS_ENOMEM;
    char rid[32], tid[32], *out = NULL, *rcopy = NULL, *tcopy = NULL;
    const char *rs = has_r ? s + r : NULL;
    link *t = has_tx ? find_link(&c->txns, f->tab, s + tx, tx_len) : NULL;
    uint64_t twire = t != NULL ? t->wire : c->next + 1 + (uint64_t)has_r;
    edit e[2];

    if (f->replay || c->conn != CONN_UP || !io->open(io->ctx) || (has_tx && !begin && t == NULL)) {
        /* An earlier leader may have sent it, there is no session to send it
         * in, or its transaction is not the broker's: never sent. */
        (void)say_error(io, f->tab, rs, r_len,
                        f->replay ? (begin ? TX_LOST : NOT_SENT)
                        : c->conn != CONN_UP || !io->open(io->ctx) ? NO_SESSION : NO_TX);
        if (f->replay)
            (void)io->forget(io->ctx, f->tab, f->seq);
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    if ((!cmd_is(s, fr, "SEND") && !has_tx) || (begin && t != NULL))
        return refuse(c, io, f, CLOSE_PROTOCOL, BAD);
    if (has_r) {
        e[ne].name = "receipt";
        e[ne].value = rid;
        e[ne++].value_len = wire_id('r', c->next + 1, rid);
    }
    if (has_tx) {
        e[ne].name = "transaction";
        e[ne].value = tid;
        e[ne++].value_len = wire_id('t', twire, tid);
    }
    /* What may fail first; then the frame goes, and nothing fails after. */
    if ((ne > 0 && (out = rebuild(s, fr, e, ne, &out_len)) == NULL) ||
        (has_r && ((rcopy = prof_dup(rs, r_len)) == NULL || room(&c->receipts) != WSS_OK)) ||
        (begin && ((tcopy = prof_dup(s + tx, tx_len)) == NULL || room(&c->txns) != WSS_OK)) ||
        ((has_r || begin) && io->keep(io->ctx, f->tab, f->seq, 0) != WSS_OK))
        goto out;
    rc = out != NULL ? io->send_text(io->ctx, out, out_len) : io->send(io->ctx, f->handle, f->len);
    if (rc != WSS_OK) {
        if (has_r || begin)
            (void)io->forget(io->ctx, f->tab, f->seq);
        rc = WSS_ENOMEM;
        goto out;
    }
    if (out != NULL)
        io->release(io->ctx, f->handle);
    if (has_r)
        push(&c->receipts, f->tab, f->seq, &rcopy, r_len, ++c->next);
    if (begin)
        push(&c->txns, f->tab, f->seq, &tcopy, tx_len, ++c->next);
    if (t != NULL && !cmd_is(s, fr, "SEND")) {
        /* COMMIT or ABORT: its receipt, if any, stays kept under this frame. */
        if (t->seq != f->seq)
            (void)io->forget(io->ctx, t->tab, t->seq);
        drop_link(&c->txns, t);
    }
    rc = PROF_TAKEN;
out:
    wss_free(out);
    wss_free(rcopy);
    wss_free(tcopy);
    return rc;
}

static int tab_frame(profile *p, const prof_io *io, const prof_frame *f)
{
    stomp *c = (stomp *)p;
    sframe fr, t_fr;
    int rc;

    if (f->text == NULL)
        return PROF_PASS;
    rc = parse(f->text, f->len, 0, &fr);
    if (rc == 0) {
        /* A heart-beat: the server wants none (see the top of this file). */
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    if (rc < 0 || parse(f->text, f->len, fr.end, &t_fr) != 0)
        return refuse(c, io, f, CLOSE_PROTOCOL, BAD);
    if (cmd_is(f->text, &fr, "CONNECT") || cmd_is(f->text, &fr, "STOMP"))
        rc = on_connect(c, io, f, &fr);
    else if (find_tab(c, f->tab) == NULL)
        rc = refuse(c, io, f, CLOSE_PROTOCOL, BAD);
    else if (cmd_is(f->text, &fr, "SUBSCRIBE"))
        rc = on_subscribe(c, io, f, &fr);
    else if (cmd_is(f->text, &fr, "UNSUBSCRIBE"))
        rc = on_unsubscribe(c, io, f, &fr);
    else if (cmd_is(f->text, &fr, "DISCONNECT")) {
        uint32_t v, v_len;

        detach(c, io, f->tab);
        if (get(f->text, &fr, "receipt", &v, &v_len))
            (void)say_receipt(io, f->tab, f->text + v, v_len);
        io->release(io->ctx, f->handle);
        rc = PROF_TAKEN;
    } else if (cmd_is(f->text, &fr, "SEND") || cmd_is(f->text, &fr, "BEGIN") ||
               cmd_is(f->text, &fr, "COMMIT") || cmd_is(f->text, &fr, "ABORT"))
        rc = on_pass(c, io, f, &fr);
    else if (cmd_is(f->text, &fr, "ACK") || cmd_is(f->text, &fr, "NACK"))
        rc = refuse(c, io, f, CLOSE_PROTOCOL, ACKS);
    else
        rc = refuse(c, io, f, CLOSE_PROTOCOL, BAD);
    if (rc == PROF_TAKEN && c->stalled)
        pump(c, io);
    return rc;
}

/* ---- the server's frames ------------------------------------------------- */

/* f with header `name` set to value, to `tab`; WSS_ENOMEM when its copy could
 * not be made (a delivery the core cannot make it counts itself). */
static int deliver_with(const prof_io *io, uint32_t tab, const char *s, const sframe *f,
                        const char *name, const char *value, uint32_t value_len)
{
    edit e;
    uint32_t len;
    char *out;

    e.name = name;
    e.value = value;
    e.value_len = value_len;
    if ((out = rebuild(s, f, &e, 1, &len)) == NULL)
        return WSS_ENOMEM;
    (void)io->deliver_text(io->ctx, tab, out, len);
    wss_free(out);
    return WSS_OK;
}

/* The server refused the session: every tab hears it and is closed. */
static void refused(stomp *c, const prof_io *io, const char *s, const sframe *f)
{
    while (c->ntabs > 0) {
        uint32_t tab = c->tabs[c->ntabs - 1].tab;

        detach(c, io, tab);
        (void)io->deliver_text(io->ctx, tab, s + f->cmd, f->end - f->cmd);
        io->close_tab(io->ctx, tab, CLOSE_OTHER_SESSION, "wsshare - CONNECT refused");
    }
    wss_free(c->connect);
    wss_free(c->creds);
    c->connect = c->creds = NULL;
}

/* One server frame. WSS_ENOMEM only when nothing was done. */
static int on_server(stomp *c, const prof_io *io, const char *s, const sframe *f)
{
    uint32_t v, v_len, i;
    link *k;

    if (cmd_is(s, f, "CONNECTED")) {
        uint32_t n;
        edit e;
        char *copy;

        if (c->conn != CONN_ASKED)
            return WSS_OK;
        /* The broker's beats are the leader's; the tabs neither get nor owe any. */
        e.name = "heart-beat";
        e.value = "0,0";
        e.value_len = 3;
        if ((copy = rebuild(s, f, &e, 1, &n)) == NULL)
            return WSS_ENOMEM;
        wss_free(c->connected);
        c->connected = copy;
        c->connected_len = n;
        c->conn = CONN_UP;
        pump(c, io);
        return WSS_OK;
    }
    if (cmd_is(s, f, "MESSAGE")) {
        uint64_t wire;

        uint32_t n = 0, max = 0, len;
        char *out;
        edit e;

        if (!get(s, f, "subscription", &v, &v_len) || (wire = wire_of('s', s + v, v_len)) == 0)
            return WSS_OK;
        for (i = 0; i < c->members.n; i++)
            if (c->members.v[i].wire == wire) {
                n++;
                max = c->members.v[i].id_len > max ? c->members.v[i].id_len : max;
            }
        /* One block the size of the longest tab's copy: all of them go, or
         * none (the core counts it). */
        e.name = "subscription";
        e.value = "";
        e.value_len = max;
        if (n == 0)
            return WSS_OK;
        if ((out = wss_malloc(rewrite(s, f, &e, 1, NULL))) == NULL)
            return WSS_ENOMEM;
        for (i = 0; i < c->members.n; i++)
            if (c->members.v[i].wire == wire) {
                e.value = c->members.v[i].id;
                e.value_len = c->members.v[i].id_len;
                len = rewrite(s, f, &e, 1, out);
                /* One the core cannot pass on misses it, counted there. */
                (void)io->deliver_text(io->ctx, c->members.v[i].tab, out, len);
            }
        wss_free(out);
        return WSS_OK;
    }
    if (cmd_is(s, f, "ERROR") && c->conn != CONN_UP) {
        refused(c, io, s, f);
        return WSS_OK;
    }
    if ((cmd_is(s, f, "RECEIPT") || cmd_is(s, f, "ERROR")) && get(s, f, "receipt-id", &v, &v_len) &&
        (k = find_wire(&c->receipts, wire_of('r', s + v, v_len))) != NULL) {
        if (deliver_with(io, k->tab, s, f, "receipt-id", k->id, k->id_len) != WSS_OK)
            return WSS_ENOMEM;
        (void)io->forget(io->ctx, k->tab, k->seq);
        drop_link(&c->receipts, k);
        return WSS_OK;
    }
    /* A receipt nobody waits for any more is dropped; an ERROR that names
     * no tab's frame is every tab's. */
    for (i = 0; !cmd_is(s, f, "RECEIPT") && i < c->ntabs; i++)
        if (c->tabs[i].state == TAB_UP)
            (void)io->deliver_text(io->ctx, c->tabs[i].tab, s + f->cmd, f->end - f->cmd);
    return WSS_OK;
}

static int server_frame(profile *p, const prof_io *io, uint32_t handle, const char *s, uint32_t len)
{
    stomp *c = (stomp *)p;
    sframe f;
    uint32_t at = 0;
    int rc, first = 1;

    if (s == NULL)
        return PROF_PASS;
    rc = parse(s, len, 0, &f);
    if (rc < 0)
        return PROF_PASS;
    if (rc == 0) {
        /* A heart-beat: the leader's alone (see the top of this file). */
        io->release(io->ctx, handle);
        return PROF_TAKEN;
    }
    /* A message may hold several frames: each is told on its own. */
    while ((rc = parse(s, len, at, &f)) == 1) {
        if (on_server(c, io, s, &f) != WSS_OK && first)
            return WSS_ENOMEM;
        first = 0;
        at = f.end;
    }
    io->release(io->ctx, handle);
    if (c->stalled)
        pump(c, io);
    return PROF_TAKEN;
}

/* ---- the socket's life and the tabs' ------------------------------------- */

static void closed(profile *p, const prof_io *io)
{
    stomp *c = (stomp *)p;
    uint32_t i;

    c->conn = CONN_IDLE;
    wss_free(c->connected);
    c->connected = NULL;
    for (i = 0; i < c->nsubs; i++)
        c->subs[i].asked = 0;
    /* The server may or may not have had them: they are not sent again. */
    while (c->receipts.n > 0) {
        link *k = &c->receipts.v[c->receipts.n - 1];

        (void)say_error(io, k->tab, k->id, k->id_len, LOST);
        (void)io->forget(io->ctx, k->tab, k->seq);
        drop_link(&c->receipts, k);
    }
    /* A broker aborts a transaction its connection loses. */
    while (c->txns.n > 0) {
        link *k = &c->txns.v[c->txns.n - 1];

        (void)say_error(io, k->tab, NULL, 0, TX_LOST);
        (void)io->forget(io->ctx, k->tab, k->seq);
        drop_link(&c->txns, k);
    }
}

static void opened(profile *p, const prof_io *io)
{
    stomp *c = (stomp *)p;

    if (c->conn != CONN_IDLE)
        closed(p, io);
    if (c->ntabs == 0 && c->connect != NULL) {
        /* Nobody's session to make again: the next tab's CONNECT makes one. */
        wss_free(c->connect);
        wss_free(c->creds);
        c->connect = c->creds = NULL;
    }
    pump(c, io);
}

static void tab_gone(profile *p, const prof_io *io, uint32_t tab)
{
    detach((stomp *)p, io, tab);
}

static void free_links(links *l)
{
    uint32_t i;

    for (i = 0; i < l->n; i++)
        wss_free(l->v[i].id);
    wss_free(l->v);
}

static void destroy(profile *p)
{
    stomp *c = (stomp *)p;
    uint32_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->nsubs; i++) {
        wss_free(c->subs[i].key);
        wss_free(c->subs[i].frame);
    }
    wss_free(c->subs);
    free_links(&c->members);
    free_links(&c->receipts);
    free_links(&c->txns);
    wss_free(c->tabs);
    wss_free(c->connect);
    wss_free(c->creds);
    wss_free(c->connected);
    wss_free(c);
}

static const profile_ops stomp_ops = {
    "stomp", 0, tab_frame, server_frame, opened, closed, NULL, tab_gone, destroy, NULL,
};

profile *stomp_create(void)
{
    stomp *c = wss_malloc(sizeof *c);

    if (c == NULL)
        return NULL;
    memset(c, 0, sizeof *c);
    c->base.ops = &stomp_ops;
    return &c->base;
}
