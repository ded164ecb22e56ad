/*
 * The ActionCable profile (subprotocol actioncable-v1-json): one server
 * connection shared by N @rails/actioncable consumers, one per tab. A
 * subscription is the server's under its identifier, once for the whole
 * connection: Rails ignores a second subscribe with an identifier it already
 * has and ends the channel for everyone at one unsubscribe. So the profile
 * counts the tabs under each identifier: the server sees the first subscribe
 * and the last unsubscribe, each tab gets the confirmation (cached for the
 * later ones) and the messages of its identifiers only. The welcome is cached
 * and given to each tab once, as it joins or as it comes: a consumer
 * subscribes only at its welcome. After a lost connection every
 * identifier still used is subscribed again, and the tabs see nothing of it.
 *
 * Frames are read with jscan; what goes to the server or a tab is what the
 * tab or the server wrote.
 */
#include <string.h>

#include "internal.h"
#include "jscan.h"
#include "profile.h"

enum { SUB_WANTED, SUB_ASKED, SUB_CONFIRMED };
/* A kept subscribe's mark: its tab has its confirmation. */
#define TOLD 1u

typedef struct ident {
    char *text; /* unescaped: the server may escape it otherwise than the tab */
    uint32_t len;
} ident;

/* A tab under an identifier: what it sent, and whether it heard the answer. */
typedef struct member {
    uint32_t tab;
    uint32_t seq; /* its subscribe frame's */
    int told;
    ident id;
} member;

/* An identifier the server is (to be) subscribed to. */
typedef struct csub {
    ident id;
    int state;
    char *subscribe; /* the first tab's subscribe frame: sent again on a new connection */
    uint32_t subscribe_len;
    char *confirm; /* the server's confirmation, once CONFIRMED */
    uint32_t confirm_len;
} csub;

typedef struct cable {
    profile base;
    char *welcome; /* this connection's, once it came */
    uint32_t welcome_len;
    uint32_t *welcomed; /* the tabs that have a welcome */
    uint32_t nwelcomed, welcomed_cap;
    uint32_t *waiting; /* the tabs that joined and wait for one */
    uint32_t nwaiting, waiting_cap;
    member *members;
    uint32_t nmembers, members_cap;
    csub *subs;
    uint32_t nsubs, subs_cap;
    int stalled; /* memory ran out for something owed: try again at the next event */
} cable;

/* ---- small helpers ------------------------------------------------------- */

/* The identifier string `v` of s, unescaped into a new block. */
static int ident_read(const char *s, const js_val *v, ident *out)
{
    int n;

    out->text = wss_malloc(v->len);
    if (out->text == NULL)
        return WSS_ENOMEM;
    n = js_str_copy(s, v, out->text, v->len);
    if (n < 0) {
        wss_free(out->text);
        out->text = NULL;
        return WSS_EINVAL;
    }
    out->len = (uint32_t)n;
    return WSS_OK;
}

static int ident_is(const ident *a, const ident *b)
{
    return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

static csub *find_sub(cable *c, const ident *id)
{
    uint32_t i;

    for (i = 0; i < c->nsubs; i++)
        if (ident_is(&c->subs[i].id, id))
            return &c->subs[i];
    return NULL;
}

static member *find_member(cable *c, uint32_t tab, const ident *id)
{
    uint32_t i;

    for (i = 0; i < c->nmembers; i++)
        if (c->members[i].tab == tab && ident_is(&c->members[i].id, id))
            return &c->members[i];
    return NULL;
}

static int has_members(const cable *c, const ident *id)
{
    uint32_t i;

    for (i = 0; i < c->nmembers; i++)
        if (ident_is(&c->members[i].id, id))
            return 1;
    return 0;
}

static int welcomed(const cable *c, uint32_t tab)
{
    uint32_t i;

    for (i = 0; i < c->nwelcomed; i++)
        if (c->welcomed[i] == tab)
            return 1;
    return 0;
}

/* Notes that `tab` has a welcome. */
static int note_welcomed(cable *c, uint32_t tab)
{
    void *list = c->welcomed;

    if (welcomed(c, tab))
        return WSS_OK;
    if (wss_grow(&list, &c->welcomed_cap, c->nwelcomed + 1, sizeof *c->welcomed) != WSS_OK)
        return WSS_ENOMEM;
    c->welcomed = list;
    c->welcomed[c->nwelcomed++] = tab;
    return WSS_OK;
}

static void drop_member(cable *c, uint32_t i)
{
    wss_free(c->members[i].id.text);
    memmove(&c->members[i], &c->members[i + 1], (c->nmembers - i - 1) * sizeof *c->members);
    c->nmembers--;
}

static void drop_sub(cable *c, csub *sub)
{
    uint32_t i = (uint32_t)(sub - c->subs);

    wss_free(sub->id.text);
    wss_free(sub->subscribe);
    wss_free(sub->confirm);
    memmove(sub, sub + 1, (c->nsubs - i - 1) * sizeof *c->subs);
    c->nsubs--;
}

/* ---- talking to the server and to the tabs ------------------------------- */

/* Gives `tab` the welcome if it has none and there is one. */
static int welcome(cable *c, const prof_io *io, uint32_t tab)
{
    if (c->welcome == NULL || welcomed(c, tab))
        return WSS_OK;
    /* Room first, so that a welcome given is always noted. */
    if (note_welcomed(c, tab) != WSS_OK)
        return WSS_ENOMEM;
    if (io->deliver_text(io->ctx, tab, c->welcome, c->welcome_len) != WSS_OK) {
        c->nwelcomed--;
        return WSS_ENOMEM;
    }
    return WSS_OK;
}

/* Tells a member its confirmation, once. */
static int tell(cable *c, const prof_io *io, member *m, const csub *sub)
{
    if (m->told || sub->state != SUB_CONFIRMED)
        return WSS_OK;
    if (welcome(c, io, m->tab) != WSS_OK ||
        io->deliver_text(io->ctx, m->tab, sub->confirm, sub->confirm_len) != WSS_OK)
        return WSS_ENOMEM;
    m->told = 1;
    /* Without it a next leader would wait for a confirmation the tab has. */
    (void)io->keep(io->ctx, m->tab, m->seq, TOLD);
    return WSS_OK;
}

/* An unsubscribe for `sub`, in the words the first tab used for its identifier. */
static int send_unsubscribe(const prof_io *io, const csub *sub)
{
    static const char HEAD[] = "{\"command\":\"unsubscribe\",\"identifier\":";
    js_val root, id;
    char *out;
    size_t n;
    int rc;

    if (js_parse(sub->subscribe, sub->subscribe_len, &root) != WSS_OK ||
        js_get(sub->subscribe, &root, "identifier", &id) != 1)
        return WSS_EINVAL;
    n = sizeof HEAD - 1 + id.len + 1;
    out = wss_malloc(n);
    if (out == NULL)
        return WSS_ENOMEM;
    memcpy(out, HEAD, sizeof HEAD - 1);
    memcpy(out + sizeof HEAD - 1, sub->subscribe + id.off, id.len);
    out[n - 1] = '}';
    rc = io->send_text(io->ctx, out, n);
    wss_free(out);
    return rc;
}

/* Does what waits for the welcome or for memory: the subscribes this
 * connection has not had, the welcome and confirmations owed to tabs. Safe to
 * repeat: each step records its progress. */
static void pump(cable *c, const prof_io *io)
{
    uint32_t i;
    int rc = WSS_OK, r;

    for (i = 0; c->welcome != NULL && io->open(io->ctx) && i < c->nsubs; i++) {
        csub *sub = &c->subs[i];

        if (sub->state != SUB_WANTED)
            continue;
        r = io->send_text(io->ctx, sub->subscribe, sub->subscribe_len);
        if (r == WSS_OK)
            sub->state = SUB_ASKED;
        else if (r != WSS_EREJECT)
            rc = WSS_ENOMEM;
    }
    for (i = 0; i < c->nwaiting;) {
        if (c->welcome == NULL || welcome(c, io, c->waiting[i]) != WSS_OK) {
            rc = c->welcome == NULL ? rc : WSS_ENOMEM;
            break;
        }
        c->waiting[i] = c->waiting[--c->nwaiting];
    }
    for (i = 0; i < c->nmembers; i++) {
        member *m = &c->members[i];
        csub *sub = find_sub(c, &m->id);

        if (welcome(c, io, m->tab) != WSS_OK || (sub != NULL && tell(c, io, m, sub) != WSS_OK))
            rc = WSS_ENOMEM;
    }
    c->stalled = rc != WSS_OK;
}

/* Ends member i; the server hears the unsubscribe once no tab is left under
 * its identifier. */
static void leave(cable *c, const prof_io *io, uint32_t i)
{
    member *m = &c->members[i];
    ident id = m->id;
    csub *sub;

    (void)io->forget(io->ctx, m->tab, m->seq);
    m->id.text = NULL;
    drop_member(c, i);
    sub = find_sub(c, &id);
    if (sub != NULL && !has_members(c, &id)) {
        /* Without memory the server keeps it; its messages reach nobody. */
        if (sub->state != SUB_WANTED && io->open(io->ctx))
            (void)send_unsubscribe(io, sub);
        drop_sub(c, sub);
    }
    wss_free(id.text);
}

/* ---- the tabs' frames ---------------------------------------------------- */

static int on_subscribe(cable *c, const prof_io *io, const prof_frame *f, ident *id)
{
    member *m = find_member(c, f->tab, id);
    csub *sub = find_sub(c, id);
    void *list;
    char *copy = NULL;

    if (m != NULL) {
        /* Rails ignores a subscribe it has; its guarantor repeats one until
         * confirmed, and a welcome makes it subscribe everything again. */
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    list = c->members;
    if (wss_grow(&list, &c->members_cap, c->nmembers + 1, sizeof *c->members) != WSS_OK)
        return WSS_ENOMEM;
    c->members = list;
    if (sub == NULL) {
        list = c->subs;
        if (wss_grow(&list, &c->subs_cap, c->nsubs + 1, sizeof *c->subs) != WSS_OK)
            return WSS_ENOMEM;
        c->subs = list;
        if ((copy = prof_dup(f->text, f->len)) == NULL)
            return WSS_ENOMEM;
    }
    if (io->keep(io->ctx, f->tab, f->seq, f->replay ? f->mark : 0) != WSS_OK) {
        wss_free(copy);
        return WSS_ENOMEM;
    }
    if (sub == NULL) {
        sub = &c->subs[c->nsubs++];
        memset(sub, 0, sizeof *sub);
        sub->subscribe = copy;
        sub->subscribe_len = f->len;
        sub->state = SUB_WANTED;
        sub->id.text = prof_dup(id->text, id->len);
        sub->id.len = id->len;
        if (sub->id.text == NULL) {
            c->nsubs--;
            wss_free(copy);
            (void)io->forget(io->ctx, f->tab, f->seq);
            return WSS_ENOMEM;
        }
    }
    m = &c->members[c->nmembers++];
    m->tab = f->tab;
    m->seq = f->seq;
    /* A tab that followed us and had its confirmation needs neither again. */
    m->told = f->replay && f->mark == TOLD;
    m->id = *id;
    id->text = NULL;
    io->release(io->ctx, f->handle);
    pump(c, io);
    return PROF_TAKEN;
}

static int on_unsubscribe(cable *c, const prof_io *io, const prof_frame *f, const ident *id)
{
    member *m = find_member(c, f->tab, id);

    if (m != NULL)
        leave(c, io, (uint32_t)(m - c->members));
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

static int tab_frame(profile *p, const prof_io *io, const prof_frame *f)
{
    cable *c = (cable *)p;
    js_val root, command, idv;
    ident id;
    int rc;

    if (f->text == NULL || js_parse(f->text, f->len, &root) != WSS_OK || root.kind != JS_OBJECT ||
        js_get(f->text, &root, "command", &command) != 1 ||
        js_get(f->text, &root, "identifier", &idv) != 1 || idv.kind != JS_STRING)
        return PROF_PASS;
    if (js_str_is(f->text, &command, "message")) {
        /* An action it performs may not be idempotent: never twice. */
        if (f->replay) {
            io->error(io->ctx, f->tab, f->seq, "protocol",
                      "wsshare: a message an earlier leader may have sent was not sent again");
            io->release(io->ctx, f->handle);
            return PROF_TAKEN;
        }
        return PROF_PASS;
    }
    if (!js_str_is(f->text, &command, "subscribe") && !js_str_is(f->text, &command, "unsubscribe"))
        return PROF_PASS;
    rc = ident_read(f->text, &idv, &id);
    if (rc == WSS_EINVAL)
        return PROF_PASS;
    if (rc != WSS_OK)
        return WSS_ENOMEM;
    /* A tab that followed us with a confirmation had its welcome; another
     * has it before anything else, from pump. */
    if (f->replay && f->mark == TOLD && note_welcomed(c, f->tab) != WSS_OK) {
        wss_free(id.text);
        return WSS_ENOMEM;
    }
    if (js_str_is(f->text, &command, "subscribe"))
        rc = on_subscribe(c, io, f, &id);
    else
        rc = on_unsubscribe(c, io, f, &id);
    wss_free(id.text);
    if (rc == PROF_TAKEN && c->stalled)
        pump(c, io);
    return rc;
}

/* ---- the server's frames ------------------------------------------------- */

/* Gives a server frame about `id` to each of its tabs. One that cannot have
 * it for lack of memory misses it (the core counts it): the others had it
 * already, and the frame is not the server's to send again. */
static void to_members(cable *c, const prof_io *io, const ident *id, const char *s, uint32_t len)
{
    uint32_t i;

    for (i = 0; i < c->nmembers; i++)
        if (ident_is(&c->members[i].id, id))
            (void)io->deliver_text(io->ctx, c->members[i].tab, s, len);
}

static int on_answer(cable *c, const prof_io *io, csub *sub, int confirmed, const char *s,
                     uint32_t len)
{
    uint32_t i;
    char *copy;

    if (!confirmed) {
        /* Refused: every tab under it hears so, and none stays. */
        to_members(c, io, &sub->id, s, len);
        for (i = c->nmembers; i-- > 0;)
            if (ident_is(&c->members[i].id, &sub->id)) {
                (void)io->forget(io->ctx, c->members[i].tab, c->members[i].seq);
                drop_member(c, i);
            }
        drop_sub(c, sub);
        return WSS_OK;
    }
    if (sub->state == SUB_CONFIRMED)
        return WSS_OK;
    /* After a new connection only the tabs that joined since hear it. */
    if ((copy = prof_dup(s, len)) == NULL)
        return WSS_ENOMEM;
    wss_free(sub->confirm);
    sub->confirm = copy;
    sub->confirm_len = len;
    sub->state = SUB_CONFIRMED;
    pump(c, io);
    return WSS_OK;
}

static int server_frame(profile *p, const prof_io *io, uint32_t handle, const char *s,
                        uint32_t len)
{
    cable *c = (cable *)p;
    js_val root, type, idv;
    ident id;
    csub *sub;
    int rc, has_type;

    if (s == NULL || js_parse(s, len, &root) != WSS_OK || root.kind != JS_OBJECT)
        return PROF_PASS;
    has_type = js_get(s, &root, "type", &type) == 1 && type.kind == JS_STRING;
    if (has_type && js_str_is(s, &type, "welcome")) {
        char *copy = prof_dup(s, len);

        if (copy == NULL)
            return WSS_ENOMEM;
        wss_free(c->welcome);
        c->welcome = copy;
        c->welcome_len = len;
        io->release(io->ctx, handle);
        pump(c, io);
        return PROF_TAKEN;
    }
    /* ping and disconnect are every tab's; so is what names no identifier. */
    if (js_get(s, &root, "identifier", &idv) != 1 || idv.kind != JS_STRING)
        return PROF_PASS;
    rc = ident_read(s, &idv, &id);
    if (rc == WSS_EINVAL)
        return PROF_PASS;
    if (rc != WSS_OK)
        return WSS_ENOMEM;
    sub = find_sub(c, &id);
    if (sub != NULL && has_type && js_str_is(s, &type, "confirm_subscription"))
        rc = on_answer(c, io, sub, 1, s, len);
    else if (sub != NULL && has_type && js_str_is(s, &type, "reject_subscription"))
        rc = on_answer(c, io, sub, 0, s, len);
    else
        to_members(c, io, &id, s, len);
    wss_free(id.text);
    if (rc != WSS_OK)
        return WSS_ENOMEM;
    /* Nobody's any more: an identifier every tab left. */
    io->release(io->ctx, handle);
    if (c->stalled)
        pump(c, io);
    return PROF_TAKEN;
}

/* ---- the socket's life and the tabs' ------------------------------------- */

static void closed(profile *p, const prof_io *io)
{
    cable *c = (cable *)p;
    uint32_t i;

    (void)io;
    /* The next connection has its own welcome, and hears every subscribe again. */
    wss_free(c->welcome);
    c->welcome = NULL;
    c->welcome_len = 0;
    for (i = 0; i < c->nsubs; i++)
        c->subs[i].state = SUB_WANTED;
}

static void opened(profile *p, const prof_io *io)
{
    cable *c = (cable *)p;

    if (c->welcome != NULL)
        closed(p, io);
    pump(c, io);
}

/* A tab that joins has its welcome now, or as soon as the server's comes. */
static void joined(profile *p, const prof_io *io, uint32_t tab)
{
    cable *c = (cable *)p;
    void *list = c->waiting;
    uint32_t i;

    if (welcomed(c, tab))
        return;
    for (i = 0; i < c->nwaiting; i++)
        if (c->waiting[i] == tab)
            return;
    /* Without memory it has its welcome at its first subscribe instead. */
    if (wss_grow(&list, &c->waiting_cap, c->nwaiting + 1, sizeof *c->waiting) != WSS_OK)
        return;
    c->waiting = list;
    c->waiting[c->nwaiting++] = tab;
    pump(c, io);
}

static void tab_gone(profile *p, const prof_io *io, uint32_t tab)
{
    cable *c = (cable *)p;
    uint32_t i;

    for (i = c->nmembers; i-- > 0;)
        if (c->members[i].tab == tab)
            leave(c, io, i);
    for (i = 0; i < c->nwelcomed; i++)
        if (c->welcomed[i] == tab) {
            c->welcomed[i] = c->welcomed[--c->nwelcomed];
            break;
        }
    for (i = 0; i < c->nwaiting; i++)
        if (c->waiting[i] == tab) {
            c->waiting[i] = c->waiting[--c->nwaiting];
            break;
        }
}

static void destroy(profile *p)
{
    cable *c = (cable *)p;
    uint32_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->nmembers; i++)
        wss_free(c->members[i].id.text);
    for (i = 0; i < c->nsubs; i++) {
        wss_free(c->subs[i].id.text);
        wss_free(c->subs[i].subscribe);
        wss_free(c->subs[i].confirm);
    }
    wss_free(c->members);
    wss_free(c->subs);
    wss_free(c->welcomed);
    wss_free(c->waiting);
    wss_free(c->welcome);
    wss_free(c);
}

static const profile_ops actioncable_ops = {
    "actioncable", 1, tab_frame, server_frame, opened, closed, joined, tab_gone, destroy, NULL,
};

profile *actioncable_create(void)
{
    cable *c = wss_malloc(sizeof *c);

    if (c == NULL)
        return NULL;
    memset(c, 0, sizeof *c);
    c->base.ops = &actioncable_ops;
    return &c->base;
}
