/*
 * Protocol profiles: a profile knows one protocol spoken over the shared
 * socket and lets N independent clients (one per tab) share one server
 * connection as if each had its own, the way a connection pooler does for a
 * database. It caches a handshake and answers later tabs from the cache,
 * remaps the ids each client numbers on its own to ids unique on the wire,
 * routes each answer to the tab that asked under that tab's id, answers
 * heartbeats itself, and brings every live subscription back on a new server
 * connection. Requests that were in flight when a connection was lost are
 * never sent again (a mutation or a transaction may not be idempotent): their
 * tab gets an error for them, in the protocol's own form.
 *
 * Sans-IO like the rest of the core: the core feeds a profile events and the
 * profile answers through the prof_io calls below, which the core turns into
 * actions. Profiles own what they allocate (wss_malloc) and free it in
 * destroy.
 *
 * The tabs are the source of truth across leaders. A profile asks a tab to
 * keep a frame (pio keep) while the state it stands for lives: a handshake, a
 * subscription, a request not yet answered; and to forget it when that ends.
 * A tab that follows a new leader sends its kept frames again first, each
 * with the mark the profile gave it, as replays; frames it re-sends that an
 * earlier leader may have handled come as replays too (mark 0). A profile
 * rebuilds its state from replays: it subscribes again, answers a replayed
 * request with an error, and never tells a tab again what the mark says it
 * was told.
 */
#ifndef WSS_PROFILE_H
#define WSS_PROFILE_H

#include <stddef.h>
#include <stdint.h>

/* Profiles a core may run; config `protocol` names one, or "auto". */
enum profile_kind {
    PROFILE_NONE = 0,    /* broadcast: no protocol knowledge */
    PROFILE_GRAPHQL_WS,  /* graphql-ws, subprotocol graphql-transport-ws */
    PROFILE_JSONRPC,     /* JSON-RPC 2.0 */
    PROFILE_GRAPHQL_LEGACY, /* subscriptions-transport-ws, subprotocol graphql-ws */
    PROFILE_ACTIONCABLE, /* @rails/actioncable, subprotocol actioncable-v1-json */
    PROFILE_STOMP,       /* STOMP 1.0 to 1.2, subprotocols v12.stomp, v11.stomp, v10.stomp */
    PROFILE_SOCKETIO,    /* socket.io-client over Engine.IO 4's websocket, by url */
    PROFILE_PHOENIX      /* Phoenix Channels, V2 JSON serializer; known by its url */
};

/* What tab_frame and server_frame answer. */
enum prof_rc {
    PROF_TAKEN = 0, /* the profile disposed of the frame's handle (exactly once) */
    PROF_PASS = 1   /* not the profile's: the core handles it as without a profile,
                     * the handle still the core's */
    /* or WSS_ENOMEM: nothing was done, the handle is still the core's */
};

/* What the core offers a profile. Every call is valid only during the event
 * it was passed to. `ctx` is the core's. */
typedef struct prof_io {
    void *ctx;
    /* Whether the server socket is open: frames may go to it only then. */
    int (*open)(void *ctx);
    /* To the server: the frame under `handle` as it came (len bytes), or a new
     * text. WSS_EREJECT when the socket is not open (the handle stays the
     * profile's), WSS_ENOMEM. */
    int (*send)(void *ctx, uint32_t handle, uint32_t len);
    int (*send_text)(void *ctx, const char *text, size_t len);
    /* Forgets a frame the profile will neither send nor deliver. */
    void (*release)(void *ctx, uint32_t handle);
    /* To tab `tab` (0: every tab): the server frame under `handle` as it came,
     * or a new text. Delivered in the order of these calls. WSS_ENOMEM. */
    int (*deliver)(void *ctx, uint32_t tab, uint32_t handle, uint32_t len);
    int (*deliver_text)(void *ctx, uint32_t tab, const char *text, size_t len);
    /* Tab `tab` keeps its frame `seq` with `mark` (the profile's, returned
     * with a replay of it) for a next leader, or forgets it. Marking a frame
     * kept already replaces its mark. WSS_ENOMEM. */
    int (*keep)(void *ctx, uint32_t tab, uint32_t seq, uint32_t mark);
    int (*forget)(void *ctx, uint32_t tab, uint32_t seq);
    /* An error event at tab `tab` about its frame `seq` (code: a word such as
     * "protocol"; message: for people). */
    void (*error)(void *ctx, uint32_t tab, uint32_t seq, const char *code, const char *message);
    /* Tab `tab` alone gets `close` with this code and reason, as if its own
     * socket had closed, and is let go. */
    void (*close_tab)(void *ctx, uint32_t tab, uint32_t code, const char *reason);
    /* The profile's `woken` is called once, `ms` from now: for what a client
     * does on its own clock (a heartbeat the server expects). A later call
     * replaces the earlier; UINT32_MAX: not at all. */
    void (*wake)(void *ctx, uint32_t ms);
} prof_io;

/* A frame a tab sent. */
typedef struct prof_frame {
    uint32_t tab;
    uint32_t seq;    /* the tab's number for it: what keep and forget name */
    uint32_t handle; /* its payload */
    uint32_t len;    /* its bytes */
    const char *text; /* its text (len bytes, not NUL-terminated); NULL for a binary
                       * frame or one whose bytes the host did not pass */
    int binary;      /* a binary frame, known as one (the host passed the bytes of
                      * the text frames with it) */
    int replay;      /* kept for a next leader, or possibly handled by an earlier
                      * one: see the top of this file */
    uint32_t mark;   /* a kept frame's mark; 0 otherwise */
} prof_frame;

typedef struct profile profile;

typedef struct profile_ops {
    const char *name;
    /* The server speaks first (a welcome): its text frames are the profile's
     * from the socket's open, not only once a tab's frame was taken. */
    int server_first;
    /* A tab's frame, in the tab's order. */
    int (*tab_frame)(profile *p, const prof_io *io, const prof_frame *f);
    /* A frame from the server (text NULL when binary). */
    int (*server_frame)(profile *p, const prof_io *io, uint32_t handle, const char *text,
                        uint32_t len);
    /* The server socket opened: what waited for it may go. */
    void (*opened)(profile *p, const prof_io *io);
    /* The server socket is lost (a new one may follow, or none): requests in
     * flight get their error now; subscriptions wait for the next opened. */
    void (*closed)(profile *p, const prof_io *io);
    /* Tab `tab` introduced itself (again, perhaps), and was told the
     * socket's state; NULL when the profile has nothing to give a tab before
     * it speaks. */
    void (*joined)(profile *p, const prof_io *io, uint32_t tab);
    /* Tab `tab` left or died: the server hears the end of what it alone used,
     * if the socket is open; nothing goes to that tab any more. */
    void (*tab_gone)(profile *p, const prof_io *io, uint32_t tab);
    void (*destroy)(profile *p);
    /* The time asked for with wake came; NULL when the profile never asks. */
    void (*woken)(profile *p, const prof_io *io);
} profile_ops;

struct profile {
    const profile_ops *ops;
};

/* One row of the table of profiles (profiles.c). */
typedef struct profile_kind_info {
    const char *name;        /* the `protocol` option's value */
    int kind;                /* enum profile_kind */
    const char *subprotocol; /* "auto" runs it when the tabs ask for this one (or one of
                              * these, space-separated); NULL: none */
    int (*by_url)(const char *url); /* "auto" runs it for such a url; NULL: never */
    int resumes;             /* a lost connection is made again under the tabs */
    profile *(*create)(void); /* NULL when out of memory; NULL for none */
} profile_kind_info;

extern const profile_kind_info profile_kinds[];
extern const size_t profile_nkinds;

/* The row named `name`, or of `kind`; NULL when there is none. */
const profile_kind_info *profile_named(const char *name);
const profile_kind_info *profile_of_kind(int kind);
/* What "auto" runs for these subprotocols (the tabs') and url (NULL when not
 * known): the first row whose subprotocol they name, else the first whose
 * matcher takes the url, else JSON-RPC, which watches every frame. */
int profile_auto(const char *const *subprotocols, size_t n, const char *url);

/* Each profile's constructor: NULL when out of memory. */
profile *graphql_ws_create(void);
profile *subscriptions_transport_create(void);
profile *jsonrpc_create(void);
profile *actioncable_create(void);
profile *stomp_create(void);
profile *socketio_create(void);
int socketio_by_url(const char *url);
profile *phoenix_create(void);

#endif
