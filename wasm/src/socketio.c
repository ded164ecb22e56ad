/*
 * The Socket.IO profile (Engine.IO 4 over its websocket transport): one
 * server connection shared by N socket.io-client instances, one per tab.
 *
 * Engine.IO wraps everything: the server opens with `0{sid,...}`, pings with
 * `2` and wants `3` back; `4` carries a Socket.IO packet: `0` CONNECT to a
 * namespace, `1` DISCONNECT, `2` EVENT, `3` ACK, `4` CONNECT_ERROR, and `5`
 * BINARY_EVENT / `6` BINARY_ACK, each followed by its binary frames.
 *
 * What must look to each tab as if the connection were its own:
 * - the open packet, once per tab: a client opens at it, and a second one
 *   would reset its engine. A tab that joins later has the cached one; a new
 *   connection's is kept from the tabs that had one.
 * - the pings: the leader answers the server's at once, and passes each to
 *   the tabs that had their open (a client closes when it hears none within
 *   pingInterval + pingTimeout); their pongs go nowhere.
 * - a namespace: the server knows one socket per namespace and connection,
 *   and closes the connection at a second CONNECT to it. So the first tab's
 *   CONNECT goes to the server, a later tab with the same auth has the cached
 *   answer, one with other auth a CONNECT_ERROR of its own (it must share
 *   under a key of its own); the server hears the DISCONNECT from the last tab.
 * - ack ids: each client counts its own from 0. An EVENT with one leaves with
 *   an id unique on the wire, and its ACK comes back to its tab under the
 *   tab's id. An EVENT of the server that wants an ack reaches every tab of
 *   its namespace; the first tab's ACK is the one the server hears.
 * - binary packets: the frames that follow a BINARY_EVENT or BINARY_ACK are
 *   its own. A tab's are sent together once all came, so that no other tab's
 *   frame comes between them on the wire; the server's are delivered together.
 *
 * A new server connection (a drop, or a new leader rebuilding from what the
 * tabs kept: their CONNECTs) CONNECTs every namespace still used, with the
 * auth of its first tab; the tabs see neither its open packet nor its CONNECT
 * answers, and what they emit meanwhile waits for their namespace (kept by
 * the tabs, as HELD, so that a next leader sends it if this one goes). An emit
 * whose ACK had not come when the connection was lost has none: Socket.IO
 * has no error answer, and the emit is never sent again (the client's own
 * timeout() tells it, if it set one).
 */
#include <string.h>

#include "internal.h"
#include "jscan.h"
#include "profile.h"

enum { NS_WANTED, NS_ASKED, NS_CONNECTED };
enum { SIO_CONNECT, SIO_DISCONNECT, SIO_EVENT, SIO_ACK, SIO_CONNECT_ERROR, SIO_BINARY_EVENT,
       SIO_BINARY_ACK };
/* A kept CONNECT's mark: its tab has the answer (and so had its open). */
#define TOLD 1u
/* A kept emit's (and its binary frames'): held for its namespace, never sent. */
#define HELD 2u
/* Ack ids of the server's EVENTs that no tab answered yet, per namespace: an
 * id no client answers would stay for good, so the oldest go past this. */
#define MAX_ASKED 256u
#define MAX_ID 999999999u

/* A packet as socket.io-parser reads it, within its Engine.IO frame. */
typedef struct pkt {
    int type;             /* SIO_* */
    uint32_t attachments; /* binary frames that follow */
    const char *ns;       /* the namespace's name, "/" for the main one */
    uint32_t ns_len;
    int has_id;
    uint32_t id;
    uint32_t id_at, id_end; /* where the id is (or would be) in the frame */
    uint32_t data_at;       /* where its JSON starts */
} pkt;

/* A binary frame taken with its packet. */
typedef struct part {
    uint32_t handle, len, seq;
} part;

/* A packet on its way with its binary frames: a tab's to the server, or
 * the server's to its tabs. */
typedef struct unit {
    uint32_t tab;     /* the tab's (0: the server's) */
    int type;         /* SIO_* */
    char *ns;
    uint32_t ns_len;
    char *text;       /* as it goes (ids remapped) */
    uint32_t len;
    part *parts;
    uint32_t nparts, need;
    int discard;      /* nobody's: its frames are released as they come */
    int has_id;
    uint32_t id;      /* as the text has it */
    uint32_t seq;     /* a tab's: its text frame's */
    int kept;         /* a tab's, kept by it as HELD: forgotten once sent */
} unit;

typedef struct member {
    uint32_t tab;
    uint32_t seq; /* its CONNECT frame's */
    int told;
} member;

typedef struct nsp {
    char *name;
    uint32_t name_len;
    char *auth; /* the first tab's CONNECT data: sent again on a new connection */
    uint32_t auth_len;
    int state;
    char *answer; /* the server's CONNECT answer, once CONNECTED */
    uint32_t answer_len;
    member *members;
    uint32_t nmembers, members_cap;
    uint32_t *asked; /* the server's ack ids no tab answered yet */
    uint32_t nasked, asked_cap;
} nsp;

/* An EVENT of a tab waiting for its ACK: `wire` is its id on the wire. */
typedef struct route {
    uint32_t wire, tab, id;
    int sent;
} route;

typedef struct stab {
    uint32_t tab;
    int opened; /* it had an open packet */
    unit *building; /* its binary packet still missing frames, or NULL */
} stab;

typedef struct sio {
    profile base;
    char *open; /* the open packet of the first connection the tabs heard */
    uint32_t open_len;
    int live;   /* this connection's open packet came: CONNECTs may go */
    stab *tabs;
    uint32_t ntabs, tabs_cap;
    nsp *nss;
    uint32_t nnss, nss_cap;
    route *routes;
    uint32_t nroutes, routes_cap;
    unit **held; /* tabs' packets waiting for their namespace */
    uint32_t nheld, held_cap;
    unit *incoming; /* the server's binary packet still missing frames */
    uint32_t next_wire;
    int stalled;
} sio;

/* ---- reading packets ----------------------------------------------------- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads the Socket.IO packet of an Engine.IO message frame `4...`. */
static int parse(const char *s, uint32_t len, pkt *p)
{
    uint32_t i = 2, n;

    if (len < 2 || s[0] != '4' || s[1] < '0' || s[1] > '6')
        return 0;
    memset(p, 0, sizeof *p);
    p->type = s[1] - '0';
    if (p->type == SIO_BINARY_EVENT || p->type == SIO_BINARY_ACK) {
        for (n = 0; i < len && is_digit(s[i]); i++) {
            if (n > 1000)
                return 0;
            n = n * 10 + (uint32_t)(s[i] - '0');
        }
        if (i == 2 || i >= len || s[i] != '-')
            return 0;
        p->attachments = n;
        i++;
    }
    if (i < len && s[i] == '/') {
        uint32_t at = i;

        while (i < len && s[i] != ',')
            i++;
        p->ns = s + at;
        p->ns_len = i - at;
        if (i < len)
            i++;
    } else {
        p->ns = "/";
        p->ns_len = 1;
    }
    p->id_at = i;
    for (n = 0; i < len && is_digit(s[i]); i++) {
        if (n > MAX_ID / 10)
            return 0;
        n = n * 10 + (uint32_t)(s[i] - '0');
        p->has_id = 1;
    }
    p->id = n;
    p->id_end = i;
    p->data_at = i;
    return 1;
}

/* ---- small helpers ------------------------------------------------------- */

/* wss_grow for the list whose pointer is at `listp`, of any type: the
 * pointer is copied through a void pointer rather than read as one. */
static int grow(void *listp, uint32_t *cap, uint32_t need, size_t size)
{
    void *items;
    int rc;

    memcpy(&items, listp, sizeof items);
    rc = wss_grow(&items, cap, need, size);
    memcpy(listp, &items, sizeof items);
    return rc;
}

static int same(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static stab *find_tab(sio *c, uint32_t tab)
{
    uint32_t i;

    for (i = 0; i < c->ntabs; i++)
        if (c->tabs[i].tab == tab)
            return &c->tabs[i];
    return NULL;
}

/* The record of `tab`, made if it has none; NULL when out of memory. */
static stab *tab_of(sio *c, uint32_t tab)
{
    stab *t = find_tab(c, tab);

    if (t != NULL)
        return t;
    if (grow(&c->tabs, &c->tabs_cap, c->ntabs + 1, sizeof *c->tabs) != WSS_OK)
        return NULL;
    t = &c->tabs[c->ntabs++];
    memset(t, 0, sizeof *t);
    t->tab = tab;
    return t;
}

static nsp *find_ns(sio *c, const char *name, uint32_t len)
{
    uint32_t i;

    for (i = 0; i < c->nnss; i++)
        if (same(c->nss[i].name, c->nss[i].name_len, name, len))
            return &c->nss[i];
    return NULL;
}

static member *find_member(nsp *ns, uint32_t tab)
{
    uint32_t i;

    for (i = 0; i < ns->nmembers; i++)
        if (ns->members[i].tab == tab)
            return &ns->members[i];
    return NULL;
}

/* A tab's unit that was kept for a next leader is done with. */
static void forget_unit(const prof_io *io, unit *u)
{
    uint32_t i;

    if (io == NULL || !u->kept)
        return;
    (void)io->forget(io->ctx, u->tab, u->seq);
    for (i = 0; i < u->nparts; i++)
        (void)io->forget(io->ctx, u->tab, u->parts[i].seq);
    u->kept = 0;
}

static void free_unit(const prof_io *io, unit *u)
{
    uint32_t i;

    if (u == NULL)
        return;
    for (i = 0; io != NULL && i < u->nparts; i++)
        io->release(io->ctx, u->parts[i].handle);
    forget_unit(io, u);
    wss_free(u->parts);
    wss_free(u->text);
    wss_free(u->ns);
    wss_free(u);
}

/* A unit for frame text `s` with its id, if any, written as `id`. */
static unit *new_unit(uint32_t tab, const char *s, uint32_t len, const pkt *p, int remap,
                      uint32_t id)
{
    char digits[12];
    uint32_t nd = 0, v = id, i;
    unit *u = wss_malloc(sizeof *u);

    if (u == NULL)
        return NULL;
    memset(u, 0, sizeof *u);
    u->tab = tab;
    u->type = p->type;
    u->need = p->attachments;
    u->has_id = p->has_id;
    u->id = remap ? id : p->id;
    if (remap) {
        do {
            digits[nd++] = (char)('0' + v % 10);
            v /= 10;
        } while (v > 0);
    }
    u->len = remap ? len - (p->id_end - p->id_at) + nd : len;
    u->text = wss_malloc(u->len);
    u->ns = prof_dup(p->ns, p->ns_len);
    u->ns_len = p->ns_len;
    if (p->attachments > 0)
        u->parts = wss_malloc(p->attachments * sizeof *u->parts);
    if (u->text == NULL || u->ns == NULL || (p->attachments > 0 && u->parts == NULL)) {
        free_unit(NULL, u);
        return NULL;
    }
    if (!remap) {
        memcpy(u->text, s, len);
        return u;
    }
    memcpy(u->text, s, p->id_at);
    for (i = 0; i < nd; i++)
        u->text[p->id_at + i] = digits[nd - 1 - i];
    memcpy(u->text + p->id_at + nd, s + p->id_end, len - p->id_end);
    return u;
}

/* `4<type>` and the namespace's prefix, then `data`: a packet the profile
 * writes itself. */
static char *compose(char type, const char *ns, uint32_t ns_len, const char *data,
                     uint32_t data_len, uint32_t *out_len)
{
    int main_ns = same(ns, ns_len, "/", 1);
    uint32_t n = 2 + (main_ns ? 0 : ns_len + 1) + data_len;
    char *out = wss_malloc(n), *w;

    if (out == NULL)
        return NULL;
    w = out;
    *w++ = '4';
    *w++ = type;
    if (!main_ns) {
        memcpy(w, ns, ns_len);
        w += ns_len;
        *w++ = ',';
    }
    if (data_len > 0)
        memcpy(w, data, data_len);
    *out_len = n;
    return out;
}

static void drop_ns(sio *c, const prof_io *io, nsp *ns)
{
    uint32_t i = (uint32_t)(ns - c->nss), j;

    for (j = c->nheld; j-- > 0;)
        if (same(c->held[j]->ns, c->held[j]->ns_len, ns->name, ns->name_len)) {
            free_unit(io, c->held[j]);
            memmove(&c->held[j], &c->held[j + 1], (c->nheld - j - 1) * sizeof *c->held);
            c->nheld--;
        }
    wss_free(ns->name);
    wss_free(ns->auth);
    wss_free(ns->answer);
    wss_free(ns->members);
    wss_free(ns->asked);
    memmove(ns, ns + 1, (c->nnss - i - 1) * sizeof *c->nss);
    c->nnss--;
}

static void drop_route(sio *c, uint32_t i)
{
    memmove(&c->routes[i], &c->routes[i + 1], (c->nroutes - i - 1) * sizeof *c->routes);
    c->nroutes--;
}

/* ---- talking to the server and to the tabs ------------------------------- */

/* Sends a tab's packet and its binary frames, together. */
static int send_unit(const prof_io *io, unit *u)
{
    uint32_t i;
    int rc = io->send_text(io->ctx, u->text, u->len);

    if (rc != WSS_OK)
        return rc;
    for (i = 0; i < u->nparts; i++)
        (void)io->send(io->ctx, u->parts[i].handle, u->parts[i].len);
    forget_unit(io, u);
    u->nparts = 0;
    return WSS_OK;
}

/* Marks the route of a unit just sent as the server's to answer. */
static void mark_sent(sio *c, const unit *u)
{
    uint32_t i;

    if (u->type != SIO_EVENT && u->type != SIO_BINARY_EVENT)
        return;
    for (i = 0; u->has_id && i < c->nroutes; i++)
        if (c->routes[i].wire == u->id)
            c->routes[i].sent = 1;
}

/* Gives the open packet to `tab` if it had none. */
static int give_open(sio *c, const prof_io *io, stab *t)
{
    if (c->open == NULL || t->opened)
        return WSS_OK;
    if (io->deliver_text(io->ctx, t->tab, c->open, c->open_len) != WSS_OK)
        return WSS_ENOMEM;
    t->opened = 1;
    return WSS_OK;
}

/* Tells a member the namespace's answer, once. */
static int tell(sio *c, const prof_io *io, nsp *ns, member *m)
{
    stab *t = find_tab(c, m->tab);

    if (m->told || ns->state != NS_CONNECTED)
        return WSS_OK;
    if ((t != NULL && give_open(c, io, t) != WSS_OK) ||
        io->deliver_text(io->ctx, m->tab, ns->answer, ns->answer_len) != WSS_OK)
        return WSS_ENOMEM;
    m->told = 1;
    /* Without it a next leader would answer a CONNECT the tab had answered. */
    (void)io->keep(io->ctx, m->tab, m->seq, TOLD);
    return WSS_OK;
}

/* Does what waits for the open packet, a namespace or memory: the CONNECTs
 * this connection has not had, the open packets and answers owed to tabs,
 * the packets held for namespaces now connected. Safe to repeat. */
static void pump(sio *c, const prof_io *io)
{
    uint32_t i, j;
    int rc = WSS_OK, r;

    for (i = 0; c->live && io->open(io->ctx) && i < c->nnss; i++) {
        nsp *ns = &c->nss[i];
        uint32_t n;
        char *text;

        if (ns->state != NS_WANTED)
            continue;
        text = compose('0', ns->name, ns->name_len, ns->auth, ns->auth_len, &n);
        if (text == NULL) {
            rc = WSS_ENOMEM;
            continue;
        }
        r = io->send_text(io->ctx, text, n);
        wss_free(text);
        if (r == WSS_OK)
            ns->state = NS_ASKED;
        else if (r != WSS_EREJECT)
            rc = WSS_ENOMEM;
    }
    for (i = 0; i < c->ntabs; i++)
        if (give_open(c, io, &c->tabs[i]) != WSS_OK)
            rc = WSS_ENOMEM;
    for (i = 0; i < c->nnss; i++)
        for (j = 0; j < c->nss[i].nmembers; j++)
            if (tell(c, io, &c->nss[i], &c->nss[i].members[j]) != WSS_OK)
                rc = WSS_ENOMEM;
    /* In order: a namespace's packets wait behind the earlier ones held. */
    for (i = 0; i < c->nheld && io->open(io->ctx);) {
        unit *u = c->held[i];
        nsp *ns = find_ns(c, u->ns, u->ns_len);

        if (ns == NULL || ns->state != NS_CONNECTED) {
            i++;
            continue;
        }
        r = send_unit(io, u);
        if (r != WSS_OK) {
            rc = r == WSS_EREJECT ? rc : WSS_ENOMEM;
            break;
        }
        mark_sent(c, u);
        free_unit(io, u);
        memmove(&c->held[i], &c->held[i + 1], (c->nheld - i - 1) * sizeof *c->held);
        c->nheld--;
    }
    c->stalled = rc != WSS_OK;
}

/* A tab's complete packet: to the server now if its namespace is connected
 * and nothing of it waits, else held. Takes u. */
static int dispatch(sio *c, const prof_io *io, unit *u)
{
    nsp *ns = find_ns(c, u->ns, u->ns_len);
    uint32_t i;
    int waiting = 0;

    if (u->discard || ns == NULL) {
        free_unit(io, u);
        return WSS_OK;
    }
    for (i = 0; i < c->nheld; i++)
        if (same(c->held[i]->ns, c->held[i]->ns_len, u->ns, u->ns_len))
            waiting = 1;
    if (!waiting && ns->state == NS_CONNECTED && io->open(io->ctx) && send_unit(io, u) == WSS_OK) {
        mark_sent(c, u);
        free_unit(io, u);
        return WSS_OK;
    }
    if (grow(&c->held, &c->held_cap, c->nheld + 1, sizeof *c->held) != WSS_OK) {
        /* Without memory it goes nowhere: like an emit lost with a connection. */
        free_unit(io, u);
        return WSS_ENOMEM;
    }
    c->held[c->nheld++] = u;
    /* Never sent: a next leader sends it, if this one goes first. Without
     * memory for the note it is lost with this leader. */
    if (!u->kept && io->keep(io->ctx, u->tab, u->seq, HELD) == WSS_OK) {
        u->kept = 1;
        for (i = 0; i < u->nparts; i++)
            (void)io->keep(io->ctx, u->tab, u->parts[i].seq, HELD);
    }
    return WSS_OK;
}

/* The server hears the DISCONNECT of a namespace no tab uses. */
static void leave_last(sio *c, const prof_io *io, nsp *ns)
{
    uint32_t n;
    char *text;

    if (ns->state == NS_CONNECTED && io->open(io->ctx)) {
        /* Without memory the server keeps it; its packets reach nobody. */
        text = compose('1', ns->name, ns->name_len, "", 0, &n);
        if (text != NULL)
            (void)io->send_text(io->ctx, text, n);
        wss_free(text);
    }
    drop_ns(c, io, ns);
}

/* Ends member i of ns; the server hears the DISCONNECT from the last. */
static void leave(sio *c, const prof_io *io, nsp *ns, uint32_t i)
{
    (void)io->forget(io->ctx, ns->members[i].tab, ns->members[i].seq);
    memmove(&ns->members[i], &ns->members[i + 1], (ns->nmembers - i - 1) * sizeof *ns->members);
    ns->nmembers--;
    /* A DISCONNECT before the server's answer would reach a namespace it is
     * still connecting, which closes the connection: it goes at the answer. */
    if (ns->nmembers > 0 || (ns->state == NS_ASKED && io->open(io->ctx)))
        return;
    leave_last(c, io, ns);
}

/* ---- the tabs' frames ---------------------------------------------------- */

static int on_connect(sio *c, const prof_io *io, const prof_frame *f, const pkt *p)
{
    nsp *ns = find_ns(c, p->ns, p->ns_len);
    const char *auth = f->text + p->data_at;
    uint32_t auth_len = f->len - p->data_at;
    member *m;

    if (ns != NULL && find_member(ns, f->tab) != NULL) {
        /* A client CONNECTs a namespace once; the server would close at a second. */
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    if (ns != NULL && !same(ns->auth, ns->auth_len, auth, auth_len)) {
        static const char WHY[] =
            "{\"message\":\"wsshare: another tab of this key connected this namespace with other "
            "auth; give this socket its own key\"}";
        uint32_t n;
        char *text = compose('4', p->ns, p->ns_len, WHY, sizeof WHY - 1, &n);

        if (text == NULL)
            return WSS_ENOMEM;
        if (io->deliver_text(io->ctx, f->tab, text, n) != WSS_OK) {
            wss_free(text);
            return WSS_ENOMEM;
        }
        wss_free(text);
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    if (ns == NULL) {
        nsp fresh;

        memset(&fresh, 0, sizeof fresh);
        if (grow(&c->nss, &c->nss_cap, c->nnss + 1, sizeof *c->nss) != WSS_OK)
            return WSS_ENOMEM;
        fresh.name = prof_dup(p->ns, p->ns_len);
        fresh.name_len = p->ns_len;
        fresh.auth = auth_len > 0 ? prof_dup(auth, auth_len) : NULL;
        fresh.auth_len = auth_len;
        if (fresh.name == NULL || (auth_len > 0 && fresh.auth == NULL) ||
            grow(&fresh.members, &fresh.members_cap, 1, sizeof *fresh.members) != WSS_OK) {
            wss_free(fresh.name);
            wss_free(fresh.auth);
            return WSS_ENOMEM;
        }
        if (io->keep(io->ctx, f->tab, f->seq, f->replay ? f->mark : 0) != WSS_OK) {
            wss_free(fresh.name);
            wss_free(fresh.auth);
            wss_free(fresh.members);
            return WSS_ENOMEM;
        }
        fresh.state = NS_WANTED;
        c->nss[c->nnss++] = fresh;
        ns = &c->nss[c->nnss - 1];
    } else {
        if (grow(&ns->members, &ns->members_cap, ns->nmembers + 1, sizeof *ns->members) != WSS_OK ||
            io->keep(io->ctx, f->tab, f->seq, f->replay ? f->mark : 0) != WSS_OK)
            return WSS_ENOMEM;
    }
    m = &ns->members[ns->nmembers++];
    m->tab = f->tab;
    m->seq = f->seq;
    /* A tab that followed us and had its answer needs it no more. */
    m->told = f->replay && f->mark == TOLD;
    io->release(io->ctx, f->handle);
    pump(c, io);
    return PROF_TAKEN;
}

/* An EVENT or ACK of a tab (binary or not). */
static int on_emit(sio *c, const prof_io *io, const prof_frame *f, const pkt *p, stab *t)
{
    nsp *ns = find_ns(c, p->ns, p->ns_len);
    int event = p->type == SIO_EVENT || p->type == SIO_BINARY_EVENT;
    int discard = 0, remap = 0;
    uint32_t wire = 0, i = 0;
    unit *u;

    if (ns == NULL || find_member(ns, f->tab) == NULL || (f->replay && f->mark != HELD)) {
        /* Not its namespace's (the server would refuse it), or sent to an
         * earlier leader that may have sent it: never twice. One that
         * leader held, never sent, goes now. */
        discard = 1;
    } else if (event && p->has_id) {
        remap = 1;
        wire = c->next_wire;
    } else if (!event) {
        /* The first answer to the server's EVENT is the one it hears. */
        discard = 1;
        for (i = 0; p->has_id && i < ns->nasked; i++)
            if (ns->asked[i] == p->id) {
                discard = 0;
                break;
            }
    }
    if (discard && p->attachments == 0) {
        if (f->replay && f->mark == HELD)
            (void)io->forget(io->ctx, f->tab, f->seq);
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    if (remap && grow(&c->routes, &c->routes_cap, c->nroutes + 1, sizeof *c->routes) != WSS_OK)
        return WSS_ENOMEM;
    if (!discard && p->attachments == 0 &&
        grow(&c->held, &c->held_cap, c->nheld + 1, sizeof *c->held) != WSS_OK)
        return WSS_ENOMEM;
    u = new_unit(f->tab, f->text, f->len, p, remap, wire);
    if (u == NULL)
        return WSS_ENOMEM;
    u->discard = discard;
    u->seq = f->seq;
    u->kept = f->replay && f->mark == HELD;
    if (discard)
        forget_unit(io, u);
    if (remap) {
        route *r = &c->routes[c->nroutes++];

        r->wire = wire;
        r->tab = f->tab;
        r->id = p->id;
        r->sent = 0;
        c->next_wire = wire >= MAX_ID ? 0 : wire + 1;
    }
    if (!event && !discard)
        ns->asked[i] = ns->asked[--ns->nasked];
    io->release(io->ctx, f->handle);
    if (p->attachments > 0) {
        t->building = u;
        return PROF_TAKEN;
    }
    /* Room was made above: dispatch does not fail here. */
    (void)dispatch(c, io, u);
    return PROF_TAKEN;
}

/* A binary frame of the packet tab t is building. */
static int on_part(sio *c, const prof_io *io, const prof_frame *f, stab *t)
{
    unit *u = t->building;

    if (u->discard) {
        io->release(io->ctx, f->handle);
    } else {
        u->parts[u->nparts].handle = f->handle;
        u->parts[u->nparts].len = f->len;
        u->parts[u->nparts].seq = f->seq;
        u->nparts++;
    }
    if (u->discard && f->replay && f->mark == HELD)
        (void)io->forget(io->ctx, f->tab, f->seq);
    if (--u->need > 0)
        return PROF_TAKEN;
    t->building = NULL;
    (void)dispatch(c, io, u);
    return PROF_TAKEN;
}

static int tab_packet(sio *c, const prof_io *io, const prof_frame *f, const pkt *k, stab *t)
{
    switch (k->type) {
    case SIO_CONNECT: return on_connect(c, io, f, k);
    case SIO_DISCONNECT: {
        nsp *ns = find_ns(c, k->ns, k->ns_len);
        member *m = ns != NULL ? find_member(ns, f->tab) : NULL;

        if (m != NULL)
            leave(c, io, ns, (uint32_t)(m - ns->members));
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    case SIO_EVENT:
    case SIO_ACK:
    case SIO_BINARY_EVENT:
    case SIO_BINARY_ACK: return on_emit(c, io, f, k, t);
    default:
        /* A client sends no CONNECT_ERROR. */
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
}

static int tab_frame(profile *p, const prof_io *io, const prof_frame *f)
{
    sio *c = (sio *)p;
    unit *cut;
    stab *t;
    pkt k;
    int rc;

    t = find_tab(c, f->tab);
    if (f->text == NULL) {
        if (!f->binary || t == NULL || t->building == NULL)
            return PROF_PASS;
        return on_part(c, io, f, t);
    }
    if (f->len == 0 || f->text[0] < '0' || f->text[0] > '6')
        return PROF_PASS;
    if ((t = tab_of(c, f->tab)) == NULL)
        return WSS_ENOMEM;
    /* A client speaks only once it had its open packet; one that followed
     * us had it from an earlier leader. */
    t->opened = 1;
    /* A packet cut short of its binary frames: nothing of it is sent (once
     * this frame is handled: nothing may precede a refusal for memory). */
    cut = t->building;
    t->building = NULL;
    if (f->text[0] != '4') {
        /* Pongs (the leader answered the server's pings), and what an
         * Engine.IO client sends only over polling: nothing for the server. */
        io->release(io->ctx, f->handle);
        rc = PROF_TAKEN;
    } else if (!parse(f->text, f->len, &k)) {
        rc = PROF_PASS;
    } else {
        rc = tab_packet(c, io, f, &k, t);
    }
    if (rc != PROF_TAKEN) {
        /* Refused, or not the profile's: nothing changed, nor may have. */
        t->building = cut;
        return rc;
    }
    free_unit(io, cut);
    if (rc == PROF_TAKEN && c->stalled)
        pump(c, io);
    return rc;
}

/* ---- the server's frames ------------------------------------------------- */

static int is_member(const nsp *ns, uint32_t tab)
{
    uint32_t i;

    for (i = 0; i < ns->nmembers; i++)
        if (ns->members[i].tab == tab && ns->members[i].told)
            return 1;
    return 0;
}

/* Delivers the server's packet u to the tabs it is for: those connected to
 * its namespace, or the one whose emit an ACK answers. A binary frame can go
 * to one tab or to every tab, not to some: a binary packet for some of
 * several tabs reaches none. Takes u's frames. */
static void deliver_unit(sio *c, const prof_io *io, unit *u)
{
    nsp *ns = find_ns(c, u->ns, u->ns_len);
    uint32_t i, n = 0, one = 0;

    if (u->type == SIO_ACK || u->type == SIO_BINARY_ACK) {
        one = u->tab;
        n = one != 0;
    } else {
        for (i = 0; ns != NULL && i < c->ntabs; i++)
            if (is_member(ns, c->tabs[i].tab)) {
                one = c->tabs[i].tab;
                n++;
            }
    }
    if (n == 0 || (u->nparts > 0 && n > 1 && n < c->ntabs)) {
        free_unit(io, u);
        return;
    }
    /* Each misses it when memory fails: the server does not send it again. */
    for (i = 0; i < c->ntabs; i++)
        if (n == 1 ? c->tabs[i].tab == one : is_member(ns, c->tabs[i].tab))
            (void)io->deliver_text(io->ctx, c->tabs[i].tab, u->text, u->len);
    for (i = 0; i < u->nparts; i++)
        if (io->deliver(io->ctx, n == 1 ? one : 0, u->parts[i].handle, u->parts[i].len) != WSS_OK)
            io->release(io->ctx, u->parts[i].handle);
    u->nparts = 0;
    free_unit(io, u);
}

/* Notes an ack id the server's EVENT asks of the tabs of ns. */
static int note_asked(nsp *ns, uint32_t id)
{
    if (ns->nasked == MAX_ASKED) {
        memmove(ns->asked, ns->asked + 1, (ns->nasked - 1) * sizeof *ns->asked);
        ns->nasked--;
    }
    if (grow(&ns->asked, &ns->asked_cap, ns->nasked + 1, sizeof *ns->asked) != WSS_OK)
        return WSS_ENOMEM;
    ns->asked[ns->nasked++] = id;
    return WSS_OK;
}

static int on_server_packet(sio *c, const prof_io *io, uint32_t handle, const char *s,
                            uint32_t len, const pkt *k)
{
    nsp *ns = find_ns(c, k->ns, k->ns_len);
    uint32_t i;
    unit *u;

    switch (k->type) {
    case SIO_CONNECT: {
        char *copy;

        if (ns == NULL || ns->state != NS_ASKED)
            break;
        if (ns->nmembers == 0) {
            /* Every tab left while it connected. */
            ns->state = NS_CONNECTED;
            leave_last(c, io, ns);
            break;
        }
        /* After a new connection the tabs told already hear nothing of it:
         * a client connects again at a second answer. */
        if ((copy = prof_dup(s, len)) == NULL)
            return WSS_ENOMEM;
        wss_free(ns->answer);
        ns->answer = copy;
        ns->answer_len = len;
        ns->state = NS_CONNECTED;
        pump(c, io);
        break;
    }
    case SIO_CONNECT_ERROR:
    case SIO_DISCONNECT: {
        uint32_t n;
        char *bye = compose('1', k->ns, k->ns_len, "", 0, &n);

        if (ns == NULL) {
            wss_free(bye);
            break;
        }
        if (bye == NULL)
            return WSS_ENOMEM;
        /* A tab told it was connected hears a DISCONNECT from the server;
         * one that waits, the refusal. None stays. */
        for (i = 0; i < ns->nmembers; i++) {
            member *m = &ns->members[i];

            if (m->told || k->type == SIO_DISCONNECT)
                (void)io->deliver_text(io->ctx, m->tab, bye, n);
            else
                (void)io->deliver_text(io->ctx, m->tab, s, len);
            (void)io->forget(io->ctx, m->tab, m->seq);
        }
        wss_free(bye);
        drop_ns(c, io, ns);
        break;
    }
    case SIO_ACK:
    case SIO_BINARY_ACK: {
        route r;

        for (i = 0; k->has_id && i < c->nroutes; i++)
            if (c->routes[i].wire == k->id && c->routes[i].sent)
                break;
        if (!k->has_id || i == c->nroutes) {
            if (k->attachments == 0)
                break;
            r.tab = 0;
            r.id = 0;
        } else {
            r = c->routes[i];
        }
        u = new_unit(r.tab, s, len, k, r.tab != 0, r.id);
        if (u == NULL)
            return WSS_ENOMEM;
        if (r.tab != 0)
            drop_route(c, i);
        if (k->attachments > 0) {
            c->incoming = u;
            io->release(io->ctx, handle);
            return PROF_TAKEN;
        }
        deliver_unit(c, io, u);
        break;
    }
    case SIO_EVENT:
    case SIO_BINARY_EVENT:
        if (ns != NULL && k->has_id && note_asked(ns, k->id) != WSS_OK)
            return WSS_ENOMEM;
        u = new_unit(0, s, len, k, 0, 0);
        if (u == NULL) {
            if (ns != NULL && k->has_id)
                ns->nasked--;
            return WSS_ENOMEM;
        }
        if (k->attachments > 0) {
            c->incoming = u;
            io->release(io->ctx, handle);
            return PROF_TAKEN;
        }
        deliver_unit(c, io, u);
        break;
    default:
        break;
    }
    io->release(io->ctx, handle);
    return PROF_TAKEN;
}

static int server_frame(profile *p, const prof_io *io, uint32_t handle, const char *s,
                        uint32_t len)
{
    sio *c = (sio *)p;
    pkt k;
    int rc;

    if (c->incoming != NULL) {
        unit *u = c->incoming;

        if (s != NULL) {
            /* A packet cut short of its binary frames reaches nobody, once
             * this frame is handled. */
            c->incoming = NULL;
            rc = server_frame(p, io, handle, s, len);
            if (rc != PROF_TAKEN)
                c->incoming = u;
            else
                free_unit(io, u);
            return rc;
        } else {
            u->parts[u->nparts].handle = handle;
            u->parts[u->nparts].len = len;
            u->nparts++;
            if (--u->need == 0) {
                c->incoming = NULL;
                deliver_unit(c, io, u);
            }
            return PROF_TAKEN;
        }
    }
    if (s == NULL || len == 0)
        return PROF_PASS;
    switch (s[0]) {
    case '0': {
        /* A new connection's open: the tabs keep the first they had. */
        char *copy = NULL;

        if (c->open == NULL && (copy = prof_dup(s, len)) == NULL)
            return WSS_ENOMEM;
        if (copy != NULL) {
            c->open = copy;
            c->open_len = len;
        }
        c->live = 1;
        io->release(io->ctx, handle);
        pump(c, io);
        return PROF_TAKEN;
    }
    case '2': {
        uint32_t i;

        /* Answered here; every tab that had its open hears it, for its own
         * timer. */
        if (io->send_text(io->ctx, "3", 1) == WSS_ENOMEM)
            return WSS_ENOMEM;
        for (i = 0; i < c->ntabs; i++)
            if (c->tabs[i].opened)
                (void)io->deliver_text(io->ctx, c->tabs[i].tab, s, len);
        io->release(io->ctx, handle);
        return PROF_TAKEN;
    }
    case '1':
    case '3':
    case '6':
        /* The server's close comes with the socket's, which the tabs do
         * not see; pongs and noops are nobody's. */
        io->release(io->ctx, handle);
        return PROF_TAKEN;
    case '4':
        if (!parse(s, len, &k))
            return PROF_PASS;
        rc = on_server_packet(c, io, handle, s, len, &k);
        if (rc == PROF_TAKEN && c->stalled)
            pump(c, io);
        return rc;
    default:
        return PROF_PASS;
    }
}

/* ---- the socket's life and the tabs' ------------------------------------- */

static void closed(profile *p, const prof_io *io)
{
    sio *c = (sio *)p;
    uint32_t i;

    /* The next connection opens anew and hears every CONNECT again. The
     * emits it took have no answer coming: their tabs hear nothing (no
     * error form in Socket.IO), and none is sent again. */
    c->live = 0;
    for (i = c->nnss; i-- > 0;) {
        c->nss[i].state = NS_WANTED;
        c->nss[i].nasked = 0;
        if (c->nss[i].nmembers == 0)
            drop_ns(c, io, &c->nss[i]);
    }
    for (i = c->nroutes; i-- > 0;)
        if (c->routes[i].sent)
            drop_route(c, i);
    free_unit(io, c->incoming);
    c->incoming = NULL;
    /* A client closes when no ping came within pingInterval + pingTimeout:
     * one now gives the next connection that long, from the loss, to come
     * with the server's pings. Without memory a tab counts from its last. */
    for (i = 0; i < c->ntabs; i++)
        if (c->tabs[i].opened)
            (void)io->deliver_text(io->ctx, c->tabs[i].tab, "2", 1);
}

static void opened(profile *p, const prof_io *io)
{
    sio *c = (sio *)p;

    if (c->live)
        closed(p, io);
}

/* A tab that joins has its open packet now, or as soon as the server's comes. */
static void joined(profile *p, const prof_io *io, uint32_t tab)
{
    sio *c = (sio *)p;

    /* Without memory it has its open packet at its first frame instead. */
    if (tab_of(c, tab) == NULL)
        return;
    pump(c, io);
}

static void tab_gone(profile *p, const prof_io *io, uint32_t tab)
{
    sio *c = (sio *)p;
    uint32_t i;
    stab *t;

    for (i = c->nnss; i-- > 0;) {
        member *m = find_member(&c->nss[i], tab);

        if (m != NULL)
            leave(c, io, &c->nss[i], (uint32_t)(m - c->nss[i].members));
    }
    for (i = c->nroutes; i-- > 0;)
        if (c->routes[i].tab == tab)
            drop_route(c, i);
    for (i = c->nheld; i-- > 0;)
        if (c->held[i]->tab == tab) {
            c->held[i]->kept = 0; /* nothing goes to a tab that went */
            free_unit(io, c->held[i]);
            memmove(&c->held[i], &c->held[i + 1], (c->nheld - i - 1) * sizeof *c->held);
            c->nheld--;
        }
    if ((t = find_tab(c, tab)) != NULL) {
        if (t->building != NULL)
            t->building->kept = 0;
        free_unit(io, t->building);
        *t = c->tabs[--c->ntabs];
    }
}

static void destroy(profile *p)
{
    sio *c = (sio *)p;
    uint32_t i;

    if (c == NULL)
        return;
    /* The core forgets its handles itself: only the blocks go here. */
    for (i = 0; i < c->ntabs; i++)
        free_unit(NULL, c->tabs[i].building);
    while (c->nnss > 0)
        drop_ns(c, NULL, &c->nss[c->nnss - 1]);
    for (i = 0; i < c->nheld; i++)
        free_unit(NULL, c->held[i]);
    free_unit(NULL, c->incoming);
    wss_free(c->tabs);
    wss_free(c->nss);
    wss_free(c->routes);
    wss_free(c->held);
    wss_free(c->open);
    wss_free(c);
}

static const profile_ops socketio_ops = {
    "socket.io", 1, tab_frame, server_frame, opened, closed, joined, tab_gone, destroy, NULL,
};

profile *socketio_create(void)
{
    sio *c = wss_malloc(sizeof *c);

    if (c == NULL)
        return NULL;
    memset(c, 0, sizeof *c);
    c->base.ops = &socketio_ops;
    return &c->base;
}

/* Whether the query q (after its '?') holds the parameter `param`
 * ("name=value") exactly. */
static int has_param(const char *q, const char *param)
{
    size_t n = strlen(param);

    while (*q != '\0' && *q != '#') {
        size_t len = strcspn(q, "&#");

        if (len == n && memcmp(q, param, n) == 0)
            return 1;
        q += len;
        if (*q == '&')
            q++;
    }
    return 0;
}

/* Engine.IO 4's websocket transport names itself in the url's query. */
int socketio_by_url(const char *url)
{
    const char *q = strchr(url, '?');

    return q != NULL && has_param(q + 1, "EIO=4") && has_param(q + 1, "transport=websocket");
}
