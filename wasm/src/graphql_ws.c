/*
 * The GraphQL profiles: one server connection shared by N clients, one per
 * tab, in either of the two protocols GraphQL clients speak over a WebSocket:
 * graphql-ws's (subprotocol graphql-transport-ws) and the older one of
 * subscriptions-transport-ws (subprotocol graphql-ws), which differ in their
 * words and in how a server answers a client that misbehaves. The first tab's
 * connection_init opens the connection and the server's connection_ack is
 * cached for the tabs that join later with the same init payload. Each
 * operation goes out under a wire id of our own and its answers come back to
 * its tab under the tab's id. After a lost connection the subscriptions are
 * subscribed again; queries and mutations in flight get an error instead,
 * since they may not be idempotent.
 *
 * Frames are read and rewritten with jscan: only the id changes, every other
 * byte stays what the tab or the server wrote.
 */
#include <string.h>

#include "internal.h"
#include "jscan.h"
#include "profile.h"

enum { CONN_NONE, CONN_INIT_SENT, CONN_ACKED };
enum { TAB_WAITING = 1, TAB_READY };
/* LOST: a single-result operation whose connection was lost; its error is owed. */
enum { OP_HELD, OP_SENT, OP_LOST };
/* UNREADABLE: not a JSON object; 0: not a message a client may send. */
enum { T_INIT = 1, T_PING, T_PONG, T_SUBSCRIBE, T_COMPLETE, T_TERMINATE, T_UNREADABLE };
enum { DOC_UNCLEAR, DOC_QUERY, DOC_MUTATION, DOC_SUBSCRIPTION, DOC_FRAGMENT };

#define K(kind) (1u << (kind))
#define MAYBE_OBJECT (K(JS_NONE) | K(JS_NULL) | K(JS_OBJECT))

static const char PONG[] = "{\"type\":\"pong\"}";
static const char INVALID[] = "Invalid message received";
#define FORBIDDEN_TEXT "Forbidden: a connection_init with other credentials cannot share this " \
                       "socket; give this client its own sharing key"
static const char FORBIDDEN[] = FORBIDDEN_TEXT;
/* subscriptions-transport-ws's server answers what it cannot read with these,
 * and refuses a connection_init with connection_error, then close 1011. */
static const char LEGACY_UNREADABLE[] = "{\"type\":\"connection_error\",\"payload\":{\"message\":"
                                        "\"wsshare: the message is not a JSON object\"}}";
#define LEGACY_INVALID_REST "\"type\":\"error\",\"payload\":{\"message\":\"Invalid message type!\"}}"
static const char LEGACY_INVALID[] = "{\"id\":\"\"," LEGACY_INVALID_REST;
static const char LEGACY_INVALID_NO_ID[] = "{" LEGACY_INVALID_REST;
static const char LEGACY_FORBIDDEN[] = "{\"type\":\"connection_error\",\"payload\":{\"message\":\""
                                       FORBIDDEN_TEXT "\"}}";
#define LEGACY_REFUSED 1011

/* What differs between the two protocols. */
typedef struct dialect {
    const char *subscribe; /* a client starts an operation */
    const char *complete;  /* a client ends one */
    const char *next;      /* a server's result that does not end it */
    int legacy;            /* subscriptions-transport-ws: see the functions' comments */
} dialect;

static const dialect MODERN = { "subscribe", "complete", "next", 0 };
static const dialect LEGACY = { "start", "stop", "data", 1 };
/* The error a single-result operation gets in place of its result; the empty
 * id is spliced with the tab's. */
static const char LOST[] = "{\"id\":\"\",\"type\":\"error\",\"payload\":[{\"message\":\"wsshare: "
                           "the server connection was lost; the operation was not sent again\"}]}";
#define LOST_ID_OFF 6

typedef struct gtab {
    uint32_t id;
    int state;
    uint32_t init_seq;
} gtab;

typedef struct gop {
    uint32_t tab;
    uint32_t seq;  /* its subscribe frame's */
    uint64_t wire; /* while SENT; 0 otherwise */
    int sub;       /* a subscription: subscribed again on a new connection */
    int state;
    char *text; /* the subscribe frame */
    uint32_t len;
    js_val id; /* the tab's id in text, as the tab wrote it */
} gop;

typedef struct gql {
    profile base;
    const dialect *d;
    int conn;
    char *init; /* the first connection_init, and its payload (JS_NONE: absent) */
    uint32_t init_len;
    js_val init_payload;
    char *ack; /* the server's connection_ack, while ACKED */
    uint32_t ack_len;
    gtab *tabs; /* the tabs that sent an init; the others are NEW */
    uint32_t ntabs, tabs_cap;
    gop *ops; /* in the order they came */
    uint32_t nops, ops_cap;
    uint64_t wire_seq;
    int stalled; /* memory ran out for something owed: pump again */
} gql;

/* ---- small helpers ------------------------------------------------------- */

/* Member `name` of obj is present at most once, its kind among `kinds`
 * (K(JS_NONE): it may be absent). */
static int member(const char *s, const js_val *obj, const char *name, unsigned kinds, js_val *out)
{
    js_val v;
    int n = js_get(s, obj, name, &v);

    if (out != NULL)
        *out = v;
    return n <= 1 && ((kinds >> v.kind) & 1u);
}

static gtab *find_tab(gql *g, uint32_t tab)
{
    uint32_t i;

    for (i = 0; i < g->ntabs; i++)
        if (g->tabs[i].id == tab)
            return &g->tabs[i];
    return NULL;
}

static int tab_ready(gql *g, uint32_t tab)
{
    gtab *t = find_tab(g, tab);

    return t != NULL && t->state == TAB_READY;
}

/* The live operation of `tab` whose id is written as `id` in s. */
static gop *find_op(gql *g, uint32_t tab, const char *s, const js_val *id)
{
    uint32_t i;

    for (i = 0; i < g->nops; i++) {
        gop *op = &g->ops[i];

        if (op->tab == tab && op->id.len == id->len &&
            memcmp(op->text + op->id.off, s + id->off, id->len) == 0)
            return op;
    }
    return NULL;
}

/* A wire id as we write it: decimal, no leading zero; 0 for anything else. */
static uint64_t wire_of(const char *s, const js_val *id)
{
    char buf[24];
    int n = js_str_copy(s, id, buf, sizeof buf);

    return n < 0 ? 0 : prof_wire(buf, (uint32_t)n);
}

/* Writes the JSON string of wire id w into buf (24 bytes); returns its length. */
static uint32_t wire_token(char *buf, uint64_t w)
{
    uint32_t n = prof_digits(w, buf + 1);

    buf[0] = buf[n + 1] = '"';
    return n + 2;
}

static void drop_op(gql *g, uint32_t i)
{
    wss_free(g->ops[i].text);
    memmove(&g->ops[i], &g->ops[i + 1], (g->nops - i - 1) * sizeof *g->ops);
    g->nops--;
}

/* ---- talking to the server and to the tabs ------------------------------- */

/* Sends op under a fresh wire id: WSS_OK (now SENT), WSS_EREJECT, WSS_ENOMEM. */
static int send_op(gql *g, const prof_io *io, gop *op)
{
    char tok[24];
    js_edit e;
    size_t n;
    char *out;
    int rc;

    e.off = op->id.off;
    e.len = op->id.len;
    e.with = tok;
    e.wlen = wire_token(tok, g->wire_seq + 1);
    out = js_apply(op->text, op->len, &e, 1, &n);
    if (out == NULL)
        return WSS_ENOMEM;
    rc = io->send_text(io->ctx, out, n);
    wss_free(out);
    if (rc != WSS_OK)
        return rc == WSS_EREJECT ? WSS_EREJECT : WSS_ENOMEM;
    op->wire = ++g->wire_seq;
    op->state = OP_SENT;
    return WSS_OK;
}

/* Ends an operation at the server, in the dialect's word. */
static int send_complete(const gql *g, const prof_io *io, uint64_t wire)
{
    char buf[64];
    size_t n, w = strlen(g->d->complete);

    memcpy(buf, "{\"id\":", 6);
    n = 6 + wire_token(buf + 6, wire);
    memcpy(buf + n, ",\"type\":\"", 9);
    memcpy(buf + n + 9, g->d->complete, w);
    memcpy(buf + n + 9 + w, "\"}", 2);
    return io->send_text(io->ctx, buf, n + 11 + w);
}

/* Delivers to `tab` the message `tpl` (whose id, "", starts at byte 6) under
 * the id `id` (in s). */
static int deliver_with_id(const prof_io *io, uint32_t tab, const char *tpl, size_t tlen,
                           const char *s, const js_val *id)
{
    js_edit e;
    size_t n;
    char *out;
    int rc;

    e.off = LOST_ID_OFF;
    e.len = 2;
    e.with = s + id->off;
    e.wlen = id->len;
    out = js_apply(tpl, tlen, &e, 1, &n);
    if (out == NULL)
        return WSS_ENOMEM;
    rc = io->deliver_text(io->ctx, tab, out, n);
    wss_free(out);
    return rc == WSS_OK ? WSS_OK : WSS_ENOMEM;
}

/* Tells `tab` that its operation with id `id` (in s) was lost. */
static int deliver_lost(const prof_io *io, uint32_t tab, const char *s, const js_val *id)
{
    return deliver_with_id(io, tab, LOST, sizeof LOST - 1, s, id);
}

/* Delivers op i's owed error and ends it. */
static int fail_op(gql *g, const prof_io *io, uint32_t i)
{
    gop *op = &g->ops[i];

    if (deliver_lost(io, op->tab, op->text, &op->id) != WSS_OK)
        return WSS_ENOMEM;
    /* A failed forget leaves a kept frame whose replay gets this error again. */
    (void)io->forget(io->ctx, op->tab, op->seq);
    drop_op(g, i);
    return WSS_OK;
}

/* Ends every operation of `tab` (the server hears of those it runs) and
 * forgets the tab. */
static void drop_tab(gql *g, const prof_io *io, uint32_t tab)
{
    int open = io->open(io->ctx);
    uint32_t i = 0;
    gtab *t;

    while (i < g->nops) {
        if (g->ops[i].tab != tab) {
            i++;
            continue;
        }
        /* Without memory the server keeps it running; its answers are dropped. */
        if (g->ops[i].state == OP_SENT && open)
            (void)send_complete(g, io, g->ops[i].wire);
        drop_op(g, i);
    }
    t = find_tab(g, tab);
    if (t != NULL) {
        i = (uint32_t)(t - g->tabs);
        memmove(t, t + 1, (g->ntabs - i - 1) * sizeof *t);
        g->ntabs--;
    }
}

/* Closes the tab as a graphql-ws server would close its socket. */
static int refuse(gql *g, const prof_io *io, const prof_frame *f, uint32_t code,
                  const char *reason)
{
    io->close_tab(io->ctx, f->tab, code, reason);
    io->release(io->ctx, f->handle);
    drop_tab(g, io, f->tab);
    return PROF_TAKEN;
}

/* Answers a frame the server would answer without closing the socket
 * (subscriptions-transport-ws), with `text` or, when the frame has a string
 * id, with `tpl` under that id. */
static int answer(const prof_io *io, const prof_frame *f, const char *text, size_t len,
                  const char *tpl, size_t tlen, const js_val *id)
{
    int rc = id != NULL && id->kind == JS_STRING
                 ? deliver_with_id(io, f->tab, tpl, tlen, f->text, id)
                 : io->deliver_text(io->ctx, f->tab, text, len);

    if (rc != WSS_OK)
        return WSS_ENOMEM;
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

/* A frame the server does not accept from a client (id NULL: one it cannot
 * even read). graphql-ws's server closes the socket for it, which would end
 * every tab's operations: only this tab is closed. subscriptions-transport-ws's
 * answers it, and so does the profile. */
static int invalid(gql *g, const prof_io *io, const prof_frame *f, const js_val *id)
{
    if (!g->d->legacy)
        return refuse(g, io, f, 4400, INVALID);
    if (id == NULL)
        return answer(io, f, LEGACY_UNREADABLE, sizeof LEGACY_UNREADABLE - 1, NULL, 0, NULL);
    return answer(io, f, LEGACY_INVALID_NO_ID, sizeof LEGACY_INVALID_NO_ID - 1, LEGACY_INVALID,
                  sizeof LEGACY_INVALID - 1, id);
}

/* Refuses a connection_init with other credentials: graphql-ws's server
 * closes with 4403; subscriptions-transport-ws's says connection_error and
 * closes with 1011. */
static int forbid(gql *g, const prof_io *io, const prof_frame *f)
{
    if (!g->d->legacy)
        return refuse(g, io, f, 4403, FORBIDDEN);
    if (io->deliver_text(io->ctx, f->tab, LEGACY_FORBIDDEN, sizeof LEGACY_FORBIDDEN - 1) != WSS_OK)
        return WSS_ENOMEM;
    return refuse(g, io, f, LEGACY_REFUSED, FORBIDDEN);
}

/* Does what waits for the socket, the ack or memory: the stored init on an
 * open socket, the ack for the waiting tabs, the held operations of ready
 * tabs, the errors owed. Safe to repeat: each step records its progress. */
static int pump(gql *g, const prof_io *io)
{
    int open = io->open(io->ctx), rc = WSS_OK, r;
    uint32_t i;

    if (g->conn == CONN_NONE && g->init != NULL && open) {
        r = io->send_text(io->ctx, g->init, g->init_len);
        if (r == WSS_OK)
            g->conn = CONN_INIT_SENT;
        else if (r != WSS_EREJECT)
            rc = WSS_ENOMEM;
    }
    for (i = 0; g->conn == CONN_ACKED && i < g->ntabs; i++) {
        gtab *t = &g->tabs[i];

        if (t->state != TAB_WAITING)
            continue;
        if (io->deliver_text(io->ctx, t->id, g->ack, g->ack_len) != WSS_OK) {
            rc = WSS_ENOMEM;
            continue;
        }
        t->state = TAB_READY;
        /* Without it a next leader acks the tab again, which its client ignores. */
        (void)io->keep(io->ctx, t->id, t->init_seq, 1);
    }
    for (i = 0; i < g->nops;) {
        gop *op = &g->ops[i];

        if (op->state == OP_LOST) {
            if (fail_op(g, io, i) == WSS_OK)
                continue;
            rc = WSS_ENOMEM;
        } else if (op->state == OP_HELD && g->conn == CONN_ACKED && open &&
                   tab_ready(g, op->tab)) {
            if (send_op(g, io, op) == WSS_ENOMEM)
                rc = WSS_ENOMEM;
        }
        i++;
    }
    g->stalled = rc != WSS_OK;
    return rc;
}

/* ---- the operation's kind, from its GraphQL document --------------------- */

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9');
}

/* The kind of the operation a document runs: the one named `want` (NULL:
 * the only one). DOC_UNCLEAR when it cannot tell. One pass over the tokens
 * (a run of name characters, a string, or any other single character). A
 * definition starts once the body of the last one closed. */
static int doc_kind(const char *s, size_t n, const char *want)
{
    static const char *const WORDS[] = { "query", "mutation", "subscription", "fragment" };
    size_t i = 0, b, q, len;
    uint32_t depth = 0, parens = 0;
    int head = 0; /* 0 between definitions, 1 right after the keyword, 2 after that */
    int kind = DOC_UNCLEAR, ops = 0, last = DOC_UNCLEAR;

    while (i < n) {
        char c = s[b = i++];

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',')
            continue;
        if (c == '#') {
            while (i < n && s[i] != '\n' && s[i] != '\r')
                i++;
            continue;
        }
        if (n - b >= 3 && memcmp(s + b, "\xEF\xBB\xBF", 3) == 0) {
            i = b + 3;
            continue;
        }
        if (c == '"') {
            /* A block string ends at """ and escapes only that; a string ends
             * at " and within its line. */
            q = n - b >= 3 && memcmp(s + b, "\"\"\"", 3) == 0 ? 3 : 1;
            for (i = b + q;; i++) {
                if (i >= n || (q == 1 && (s[i] == '\n' || s[i] == '\r')))
                    return DOC_UNCLEAR;
                if (s[i] == '\\' && i + 1 < n &&
                    (q == 1 ? s[i + 1] != '\n' && s[i + 1] != '\r'
                            : n - i >= 4 && memcmp(s + i + 1, "\"\"\"", 3) == 0)) {
                    i += q;
                } else if (n - i >= q && memcmp(s + i, "\"\"\"", q) == 0) {
                    i += q;
                    break;
                }
            }
        } else if (name_char(c)) {
            while (i < n && name_char(s[i]))
                i++;
        }
        len = i - b;
        if (head == 0 && depth == 0) {
            if (c == '{') { /* a bare selection set: an anonymous query */
                kind = DOC_QUERY;
            } else {
                for (kind = DOC_FRAGMENT; kind > DOC_UNCLEAR; kind--)
                    if (len == strlen(WORDS[kind - 1]) && memcmp(s + b, WORDS[kind - 1], len) == 0)
                        break;
                if (kind == DOC_UNCLEAR)
                    return DOC_UNCLEAR;
                head = 1;
            }
            if (kind != DOC_FRAGMENT && want == NULL) {
                ops++;
                last = kind;
            }
            if (c != '{')
                continue;
        }
        if (head == 1 && kind != DOC_FRAGMENT && want != NULL && name_char(c) && c > '9' &&
            len == strlen(want) && memcmp(s + b, want, len) == 0) {
            ops++;
            last = kind;
        }
        if (head == 1)
            head = 2;
        /* In a body only braces count; in a head only parentheses, and the
         * first brace outside them opens the body. */
        if (depth > 0) {
            if (c == '{')
                depth++;
            else if (c == '}' && --depth == 0)
                head = 0;
        } else if (c == '(') {
            parens++;
        } else if (c == ')') {
            if (parens-- == 0)
                return DOC_UNCLEAR;
        } else if (parens == 0 && c == '{') {
            depth = 1;
        } else if (parens == 0 && c == '}') {
            return DOC_UNCLEAR;
        }
    }
    return head == 0 && depth == 0 && ops == 1 ? last : DOC_UNCLEAR;
}

/* Whether a valid subscribe payload asks for a subscription; anything
 * unclear is a single result, which is never sent twice. */
static int classify(const char *s, const js_val *payload, int *sub)
{
    js_val q, name;
    char want[256];
    char *doc;
    int n, named = 0;

    *sub = 0;
    (void)js_get(s, payload, "query", &q);
    if (js_get(s, payload, "operationName", &name) == 1 && name.kind == JS_STRING) {
        if (js_str_copy(s, &name, want, sizeof want) < 0)
            return WSS_OK;
        named = 1;
    }
    /* Unescaped, a string is never longer than its body. */
    doc = wss_malloc(q.len);
    if (doc == NULL)
        return WSS_ENOMEM;
    n = js_str_copy(s, &q, doc, q.len);
    if (n >= 0)
        *sub = doc_kind(doc, (size_t)n, named ? want : NULL) == DOC_SUBSCRIPTION;
    wss_free(doc);
    return WSS_OK;
}

/* ---- the tabs' frames ---------------------------------------------------- */

static int same_payload(const gql *g, const char *s, const js_val *payload)
{
    if (g->init_payload.kind == JS_NONE || payload->kind == JS_NONE)
        return g->init_payload.kind == payload->kind;
    return js_same(g->init, &g->init_payload, s, payload);
}

/* Undoes a keep of f after a later step ran out of memory. */
static void unkeep(const prof_io *io, const prof_frame *f)
{
    if (f->replay)
        (void)io->keep(io->ctx, f->tab, f->seq, f->mark);
    else
        (void)io->forget(io->ctx, f->tab, f->seq);
}

static int on_init(gql *g, const prof_io *io, const prof_frame *f, const js_val *payload)
{
    gtab *t = find_tab(g, f->tab);
    void *nt;
    int first = g->init == NULL, sent = 0, ready, tell, rc;
    char *copy = NULL;

    if (t != NULL && !f->replay && !g->d->legacy)
        return refuse(g, io, f, 4429, "Too many initialisation requests");
    /* A tab never rides on another tab's authentication. */
    if (!first && !same_payload(g, f->text, payload))
        return forbid(g, io, f);
    if (t != NULL && !f->replay) {
        /* subscriptions-transport-ws's server acknowledges each one; a
         * tab acked already hears nothing until the connection is back. */
        if (t->state == TAB_READY && g->conn == CONN_ACKED &&
            io->deliver_text(io->ctx, f->tab, g->ack, g->ack_len) != WSS_OK)
            return WSS_ENOMEM;
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    if (t == NULL) {
        nt = g->tabs;
        if (wss_grow(&nt, &g->tabs_cap, g->ntabs + 1, sizeof *g->tabs) != WSS_OK)
            return WSS_ENOMEM;
        g->tabs = nt;
    }
    if (first && (copy = prof_dup(f->text, f->len)) == NULL)
        return WSS_ENOMEM;
    ready = (t != NULL && t->state == TAB_READY) || (f->replay && f->mark == 1);
    tell = !ready && g->conn == CONN_ACKED;
    /* Kept first: the one step here that can be undone. */
    if (io->keep(io->ctx, f->tab, f->seq, ready ? 1 : 0) != WSS_OK) {
        wss_free(copy);
        return WSS_ENOMEM;
    }
    if (tell && io->deliver_text(io->ctx, f->tab, g->ack, g->ack_len) != WSS_OK) {
        unkeep(io, f);
        return WSS_ENOMEM;
    }
    if (first && io->open(io->ctx)) {
        rc = io->send(io->ctx, f->handle, f->len);
        if (rc != WSS_OK && rc != WSS_EREJECT) {
            unkeep(io, f);
            wss_free(copy);
            return WSS_ENOMEM;
        }
        sent = rc == WSS_OK;
    }
    /* Without it a next leader acks the tab again, which its client ignores. */
    if (tell)
        (void)io->keep(io->ctx, f->tab, f->seq, 1);
    if (t == NULL) {
        t = &g->tabs[g->ntabs++];
        t->id = f->tab;
    }
    t->state = ready || tell ? TAB_READY : TAB_WAITING;
    t->init_seq = f->seq;
    if (first) {
        g->init = copy;
        g->init_len = f->len;
        g->init_payload = *payload;
    }
    if (sent)
        g->conn = CONN_INIT_SENT;
    else
        io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

/* Refuses a second live operation under one id, in the server's words. */
static int refuse_duplicate(gql *g, const prof_io *io, const prof_frame *f, const js_val *id)
{
    char reason[WSS_MAX_REASON_BYTES + 1], name[WSS_MAX_REASON_BYTES + 1 - 30];
    size_t n;

    if (js_str_copy(f->text, id, name, sizeof name) < 0)
        return refuse(g, io, f, 4409, "Subscriber for this id already exists");
    n = strlen(name);
    memcpy(reason, "Subscriber for ", 15);
    memcpy(reason + 15, name, n);
    memcpy(reason + 15 + n, " already exists", 16);
    return refuse(g, io, f, 4409, reason);
}

/* Ends a tab's operation, at the server too when it runs there. */
static int end_op(gql *g, const prof_io *io, gop *op)
{
    /* Forgotten first: a keep undoes it if the send fails. */
    if (io->forget(io->ctx, op->tab, op->seq) != WSS_OK)
        return WSS_ENOMEM;
    if (op->state == OP_SENT && io->open(io->ctx) &&
        send_complete(g, io, op->wire) == WSS_ENOMEM) {
        (void)io->keep(io->ctx, op->tab, op->seq, 0);
        return WSS_ENOMEM;
    }
    drop_op(g, (uint32_t)(op - g->ops));
    return WSS_OK;
}

static int on_subscribe(gql *g, const prof_io *io, const prof_frame *f, const js_val *id,
                        const js_val *payload)
{
    gtab *t = find_tab(g, f->tab);
    gop *old = find_op(g, f->tab, f->text, id), *op;
    uint32_t old_at = old != NULL ? (uint32_t)(old - g->ops) : 0;
    void *ops;
    char *copy;
    int sub;

    if (t == NULL)
        return refuse(g, io, f, 4401, "Unauthorized");
    if (old != NULL) {
        /* The same frame again, from a tab that followed us: it runs already. */
        if (f->replay && old->seq == f->seq) {
            io->release(io->ctx, f->handle);
            return PROF_TAKEN;
        }
        if (!g->d->legacy)
            return refuse_duplicate(g, io, f, id);
    }
    if (classify(f->text, payload, &sub) != WSS_OK)
        return WSS_ENOMEM;
    if (f->replay && !sub) {
        /* It may have run: never twice. */
        if (deliver_lost(io, f->tab, f->text, id) != WSS_OK)
            return WSS_ENOMEM;
        (void)io->forget(io->ctx, f->tab, f->seq);
        io->release(io->ctx, f->handle);
        return PROF_TAKEN;
    }
    ops = g->ops;
    if (wss_grow(&ops, &g->ops_cap, g->nops + 1, sizeof *g->ops) != WSS_OK)
        return WSS_ENOMEM;
    g->ops = ops;
    if ((copy = prof_dup(f->text, f->len)) == NULL)
        return WSS_ENOMEM;
    if (io->keep(io->ctx, f->tab, f->seq, 0) != WSS_OK) {
        wss_free(copy);
        return WSS_ENOMEM;
    }
    /* subscriptions-transport-ws's server ends the one under that id first. */
    if (old != NULL && end_op(g, io, &g->ops[old_at]) != WSS_OK) {
        unkeep(io, f);
        wss_free(copy);
        return WSS_ENOMEM;
    }
    op = &g->ops[g->nops];
    op->tab = f->tab;
    op->seq = f->seq;
    op->wire = 0;
    op->sub = sub;
    op->state = OP_HELD;
    op->text = copy;
    op->len = f->len;
    op->id = *id;
    /* A tab hears nothing of its operations before its ack. */
    if (g->conn == CONN_ACKED && t->state == TAB_READY && io->open(io->ctx) &&
        send_op(g, io, op) == WSS_ENOMEM) {
        if (old == NULL) {
            unkeep(io, f);
            wss_free(copy);
            return WSS_ENOMEM;
        }
        /* The old one's end went out: this one waits for the next event. */
        g->stalled = 1;
    }
    g->nops++;
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

static int on_complete(gql *g, const prof_io *io, const prof_frame *f, const js_val *id)
{
    gop *op = find_op(g, f->tab, f->text, id);

    /* One it does not run is no error: the server ignores it too. */
    if (op != NULL && end_op(g, io, op) != WSS_OK)
        return WSS_ENOMEM;
    io->release(io->ctx, f->handle);
    return PROF_TAKEN;
}

/* The frame's type (see the enum), its id and payload. */
static int read_frame(const gql *g, const prof_frame *f, js_val *id, js_val *payload)
{
    const char *s = f->text;
    const dialect *d = g->d;
    static const char *const PAYLOAD_KEYS[] = { "query", "operationName", "variables",
                                                "extensions" };
    static const unsigned PAYLOAD_KINDS[] = { K(JS_STRING), K(JS_NONE) | K(JS_NULL) | K(JS_STRING),
                                              MAYBE_OBJECT, MAYBE_OBJECT };
    js_val root, type;
    int t, k;

    id->kind = payload->kind = JS_NONE;
    if (js_parse(s, f->len, &root) != WSS_OK || root.kind != JS_OBJECT)
        return T_UNREADABLE;
    if (js_get(s, &root, "id", id) > 1 || js_get(s, &root, "payload", payload) > 1 ||
        js_get(s, &root, "type", &type) != 1 || type.kind != JS_STRING)
        return 0;
    if (js_str_is(s, &type, "connection_init"))
        t = T_INIT;
    else if (!d->legacy && js_str_is(s, &type, "ping"))
        t = T_PING;
    else if (!d->legacy && js_str_is(s, &type, "pong"))
        t = T_PONG;
    else if (js_str_is(s, &type, d->subscribe))
        t = T_SUBSCRIBE;
    else if (js_str_is(s, &type, d->complete))
        t = T_COMPLETE;
    else if (d->legacy && js_str_is(s, &type, "connection_terminate"))
        t = T_TERMINATE;
    else
        return 0;
    if (d->legacy) {
        /* Its server takes any init payload, and a stop under any id. */
        if (t != T_SUBSCRIBE)
            return t;
        return id->kind == JS_STRING && id->len >= 3 && payload->kind == JS_OBJECT &&
                       member(s, payload, "query", K(JS_STRING), NULL)
                   ? t
                   : 0;
    }
    if (t == T_SUBSCRIBE || t == T_COMPLETE) {
        if (id->kind != JS_STRING || id->len < 3)
            return 0;
    }
    if (t != T_SUBSCRIBE)
        return t == T_COMPLETE || member(s, &root, "payload", MAYBE_OBJECT, NULL) ? t : 0;
    if (payload->kind != JS_OBJECT)
        return 0;
    for (k = 0; k < 4; k++)
        if (!member(s, payload, PAYLOAD_KEYS[k], PAYLOAD_KINDS[k], NULL))
            return 0;
    return t;
}

static int tab_frame(profile *p, const prof_io *io, const prof_frame *f)
{
    gql *g = (gql *)p;
    js_val id, payload;
    int rc;

    /* Both protocols are text only. */
    if (f->binary)
        return invalid(g, io, f, NULL);
    if (f->text == NULL)
        return PROF_PASS;
    switch (read_frame(g, f, &id, &payload)) {
    case T_INIT:
        rc = on_init(g, io, f, &payload);
        break;
    case T_PING:
        if (io->deliver_text(io->ctx, f->tab, PONG, sizeof PONG - 1) != WSS_OK)
            return WSS_ENOMEM;
        io->release(io->ctx, f->handle);
        rc = PROF_TAKEN;
        break;
    case T_PONG:
        /* The tabs never hear the server's pings: nothing asked for it. */
        io->release(io->ctx, f->handle);
        rc = PROF_TAKEN;
        break;
    case T_SUBSCRIBE:
        rc = on_subscribe(g, io, f, &id, &payload);
        break;
    case T_COMPLETE:
        rc = on_complete(g, io, f, &id);
        break;
    case T_TERMINATE:
        /* Its server would close the socket of every tab: this tab's
         * operations end, and its own socket closes next. */
        drop_tab(g, io, f->tab);
        io->release(io->ctx, f->handle);
        rc = PROF_TAKEN;
        break;
    case T_UNREADABLE:
        rc = invalid(g, io, f, NULL);
        break;
    default:
        rc = invalid(g, io, f, &id);
        break;
    }
    if (rc == PROF_TAKEN && g->stalled)
        (void)pump(g, io);
    return rc;
}

/* ---- the server's frames ------------------------------------------------- */

static int route(gql *g, const prof_io *io, uint32_t handle, const char *s, uint32_t len,
                 const js_val *id, int ends)
{
    uint64_t wire = wire_of(s, id);
    uint32_t i;
    js_edit e;
    size_t n;
    char *out;
    int rc;

    for (i = 0; i < g->nops; i++)
        if (g->ops[i].state == OP_SENT && g->ops[i].wire == wire)
            break;
    if (wire != 0 && i < g->nops) {
        gop *op = &g->ops[i];

        e.off = id->off;
        e.len = id->len;
        e.with = op->text + op->id.off;
        e.wlen = op->id.len;
        if ((out = js_apply(s, len, &e, 1, &n)) == NULL)
            return WSS_ENOMEM;
        rc = io->deliver_text(io->ctx, op->tab, out, n);
        wss_free(out);
        if (rc != WSS_OK)
            return WSS_ENOMEM;
        if (ends) {
            /* A failed forget makes a next leader replay it, under an id
             * the client has let go of and ignores. */
            (void)io->forget(io->ctx, op->tab, op->seq);
            drop_op(g, i);
        }
    }
    /* Not ours any more: an operation its tab completed, or a gone tab's. */
    io->release(io->ctx, handle);
    return PROF_TAKEN;
}

/* subscriptions-transport-ws's server refused the stored connection_init:
 * each tab that sent it hears so and closes as its own socket would, and the
 * next tab's init may open the next connection. */
static void refused(gql *g, const prof_io *io, const char *s, uint32_t len)
{
    while (g->ntabs > 0) {
        uint32_t tab = g->tabs[g->ntabs - 1].id;

        /* Without memory it still closes: the close says it was refused. */
        (void)io->deliver_text(io->ctx, tab, s, len);
        io->close_tab(io->ctx, tab, LEGACY_REFUSED, "the server refused the connection_init");
        drop_tab(g, io, tab);
    }
}

static int server_frame(profile *p, const prof_io *io, uint32_t handle, const char *s,
                        uint32_t len)
{
    gql *g = (gql *)p;
    js_val root, type, id;
    int rc = PROF_TAKEN, r;

    if (s == NULL || js_parse(s, len, &root) != WSS_OK || root.kind != JS_OBJECT ||
        js_get(s, &root, "type", &type) != 1 || type.kind != JS_STRING)
        return PROF_PASS;
    if (js_str_is(s, &type, "connection_ack")) {
        /* Only the answer to our init counts. */
        if (g->conn == CONN_INIT_SENT) {
            char *copy = prof_dup(s, len);

            if (copy == NULL)
                return WSS_ENOMEM;
            wss_free(g->ack);
            g->ack = copy;
            g->ack_len = len;
            g->conn = CONN_ACKED;
            g->stalled = 1;
        }
        io->release(io->ctx, handle);
    } else if (g->d->legacy && js_str_is(s, &type, "connection_error")) {
        if (g->conn != CONN_INIT_SENT)
            return PROF_PASS;
        refused(g, io, s, len);
        io->release(io->ctx, handle);
        return PROF_TAKEN;
    } else if (!g->d->legacy && js_str_is(s, &type, "ping")) {
        /* Answered once, for every tab. */
        r = io->send_text(io->ctx, PONG, sizeof PONG - 1);
        if (r != WSS_OK && r != WSS_EREJECT)
            return WSS_ENOMEM;
        io->release(io->ctx, handle);
    } else if (!g->d->legacy && js_str_is(s, &type, "pong")) {
        io->release(io->ctx, handle);
    } else if (js_str_is(s, &type, g->d->next) || js_str_is(s, &type, "error") ||
               js_str_is(s, &type, "complete")) {
        if (js_get(s, &root, "id", &id) != 1 || id.kind != JS_STRING)
            return PROF_PASS;
        rc = route(g, io, handle, s, len, &id, !js_str_is(s, &type, g->d->next));
    } else {
        /* subscriptions-transport-ws's keep-alive (ka) among them: every
         * client hears it as it came. */
        return PROF_PASS;
    }
    if (rc == PROF_TAKEN && g->stalled)
        (void)pump(g, io);
    return rc;
}

/* ---- the socket's life and the tabs' ------------------------------------- */

/* The connection is gone: single results in flight are owed their error,
 * subscriptions wait for the next ack. */
static void closed(profile *p, const prof_io *io)
{
    gql *g = (gql *)p;
    uint32_t i;

    g->conn = CONN_NONE;
    wss_free(g->ack);
    g->ack = NULL;
    g->ack_len = 0;
    /* No tab uses the init any more: the next connection is free to open
     * with another (a tab with other credentials, once the old ones left). */
    if (g->ntabs == 0) {
        wss_free(g->init);
        g->init = NULL;
        g->init_len = 0;
    }
    for (i = 0; i < g->nops; i++) {
        if (g->ops[i].state == OP_SENT) {
            g->ops[i].state = g->ops[i].sub ? OP_HELD : OP_LOST;
            g->ops[i].wire = 0;
        }
    }
    (void)pump(g, io);
}

static void opened(profile *p, const prof_io *io)
{
    gql *g = (gql *)p;

    /* A socket that opens means the last one is gone, even unannounced. */
    if (g->conn != CONN_NONE)
        closed(p, io);
    (void)pump(g, io);
}

static void tab_gone(profile *p, const prof_io *io, uint32_t tab)
{
    /* The stored init stays: the socket was opened with it. */
    drop_tab((gql *)p, io, tab);
}

static void destroy(profile *p)
{
    gql *g = (gql *)p;
    uint32_t i;

    if (g == NULL)
        return;
    for (i = 0; i < g->nops; i++)
        wss_free(g->ops[i].text);
    wss_free(g->ops);
    wss_free(g->tabs);
    wss_free(g->init);
    wss_free(g->ack);
    wss_free(g);
}

static const profile_ops graphql_ws_ops = {
    "graphql-ws", 0, tab_frame, server_frame, opened, closed, NULL, tab_gone, destroy, NULL,
};
static const profile_ops subscriptions_transport_ops = {
    "subscriptions-transport-ws", 0, tab_frame, server_frame, opened, closed, NULL, tab_gone, destroy, NULL,
};

static profile *create(const dialect *d, const profile_ops *ops)
{
    gql *g = wss_malloc(sizeof *g);

    if (g == NULL)
        return NULL;
    memset(g, 0, sizeof *g);
    g->base.ops = ops;
    g->d = d;
    g->init_payload.kind = JS_NONE;
    return &g->base;
}

profile *graphql_ws_create(void)
{
    return create(&MODERN, &graphql_ws_ops);
}

profile *subscriptions_transport_create(void)
{
    return create(&LEGACY, &subscriptions_transport_ops);
}
