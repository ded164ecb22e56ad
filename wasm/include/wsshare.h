/*
 * wsshare core: the sans-IO broker that lets every tab of an origin share one
 * server WebSocket. It never touches a socket, a clock, a channel or JS: the
 * host feeds it events (tab joined / sent / left, socket opened / frame /
 * closed, time) and performs the actions it returns. docs/architecture.md
 * shows where it sits; docs/bus-protocol.md describes the envelopes it reads
 * and writes.
 *
 * ---- Call sequence ----------------------------------------------------------
 *
 *   static void perform(wss_core *core)      // after EVERY call, whatever it returned
 *   {
 *       uint32_t n, i;
 *       const wss_action *acts = wss_actions(core, &n);
 *
 *       for (i = 0; i < n; i++)              // in order: the order is part of the protocol
 *           switch (acts[i].kind) {
 *           case WSS_ACT_OPEN: socket_open(); break;
 *           case WSS_ACT_SEND: socket_send(payload_take(acts[i].handle)); break;
 *           case WSS_ACT_POST: bus_post(acts[i].text, acts[i].len); break;
 *           case WSS_ACT_TIMER: timer_arm(wss_timer_ms(&acts[i])); break;
 *           ...                              // every kind: see "Action payloads"
 *           }
 *   }
 *
 *   wss_core *core;
 *   if (wss_create(&core, config, config_len) != WSS_OK)   // config JSON, or NULL
 *       return;
 *   wss_start(core, now());                  // announces the leader on the bus
 *   perform(core);
 *   for (;;) {                               // the host's event loop
 *       event ev = next_event();             // bus message, socket event, timer...
 *       switch (ev.type) {
 *       case BUS_TEXT: wss_bus_control(core, ev.text, ev.len, now()); break;
 *       case TIMER: wss_tick(core, now()); break;
 *       ...                                  // one wss_* call per event
 *       }
 *       perform(core);
 *   }
 *   wss_destroy(core);
 *
 * Perform the actions even when the call returned an error: a failed call
 * may still carry what earlier calls owed (see WSS_ENOMEM).
 *
 * ---- Re-entrancy ------------------------------------------------------------
 *
 * A core is not re-entrant. While the host reads and performs the actions of
 * one call, it makes no other call on that core: every event call resets the
 * action list and frees the texts the actions point to, and no other call is
 * promised to leave them alone. An event that arrives while the host performs
 * actions (a socket that reports synchronously, a timer that fires, a message
 * delivered inside a post) is queued by the host and fed after the last
 * action was performed, in the order it arrived. The JavaScript host gets
 * this from its event loop: an OPEN that throws is reported from a microtask,
 * FLUSH runs as a later task, and posts and socket events arrive as tasks.
 * In one wasm instance, any call may also grow the memory, which detaches
 * every view of it the host holds: a host reading one object's actions (a
 * candidate's LEAD, say) creates or calls another only after it has read
 * them all (js-glue/candidate.js starts its leader from a microtask).
 *
 * ---- Ownership ----------------------------------------------------------------
 *
 * The caller owns what it passes in and may free it as soon as the call
 * returns; everything the core returns (actions, their text, the stats
 * string) belongs to the core and stays valid until the next call on the
 * same core.
 *
 * Memory: wss_socket_opened, wss_socket_closed, wss_socket_drained,
 * wss_online and wss_tick report facts the host will not repeat, so they do
 * not fail for memory: the core keeps the room they need from the start. (A
 * server frame the core cannot take for memory is dropped: WSS_ENOMEM.) An
 * envelope the tabs must not miss (open, reconnecting, close, acks) that
 * could not be written for lack of memory is owed: the core posts it at a
 * later call and arms a timer to make one.
 *
 * ---- Result codes -------------------------------------------------------------
 *
 * Every int-returning call answers WSS_OK or one of the negative codes
 * below; which ones each call can answer is said at its declaration.
 * WSS_ENOMEM from an event call means the event was not taken: handles it
 * carried that no action of the call returns are still the host's, to drop.
 */
#ifndef WSSHARE_H
#define WSSHARE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks a declaration the WebAssembly leader exports: the build lists every
 * line that starts with it (build/exported_functions.json), so the name must
 * stand on the marked line. */
#define WSS_EXPORT

/* The bus protocol version; also part of the channel name. */
#define WSS_BUS_VERSION 1

typedef struct wss_core wss_core;

/* Result codes: 0 is success, negatives are errors. */
enum wss_rc {
    WSS_OK = 0,
    WSS_ENOMEM = -1,  /* an allocation failed; the event was not taken (its handles that
                       * no action returns stay the host's), but the call's actions, if
                       * any, must still be performed: they are what earlier calls owed */
    WSS_EINVAL = -2,  /* malformed input (bad JSON, wrong field, bad size) */
    WSS_EREJECT = -3  /* well-formed but refused (unknown tab, replay, version, wrong state) */
};

/* What the host must do; the table below says what each field holds. */
enum wss_action_kind {
    WSS_ACT_OPEN = 1,      /* open the server socket (url and protocols are the host's) */
    WSS_ACT_SEND = 2,      /* send payload `handle` on the socket, then forget it */
    WSS_ACT_RELEASE = 3,   /* forget payload `handle` without sending it */
    WSS_ACT_CLOSE = 4,     /* close the socket with code `a` and reason text */
    WSS_ACT_POST = 5,      /* post the control envelope `text` (JSON) on the bus */
    WSS_ACT_POST_DATA = 6, /* post server frames: first seq `a`; at `text`, `b` handles then `b`
                            * targets (uint32 each): the tab each frame is for, 0 for every tab */
    WSS_ACT_TIMER = 7,     /* call wss_tick after `a` ms; replaces any armed timer; UINT32_MAX disarms */
    WSS_ACT_FLUSH = 8,     /* call wss_flush soon, after the frames already queued by the platform */
    WSS_ACT_WATCH = 9,     /* tab `a` joined: hear it on its road (a channel of this
                            * leader's and this tab's) and report through
                            * wss_tab_gone when it dies (its lock) */
    WSS_ACT_UNWATCH = 10,  /* tab `a` left or was let go: stop hearing and watching it */
    WSS_ACT_LOG = 11,      /* a debug line in `text`; never carries a payload or a token */
    WSS_ACT_IDLE = 12,     /* no tab left and the socket is closed: the host may stop */
    WSS_ACT_DRAIN = 13,    /* after `a` ms, report the socket's bufferedAmount through
                            * wss_socket_buffered (one at a time: a later DRAIN
                            * comes only from that call or a later send) */
    WSS_ACT_PAYLOAD = 14   /* store `text` as payload `a`: a frame the core made (a
                            * protocol profile's answer or rewrite), used by a later
                            * SEND or POST_DATA like any other; the core numbers these
                            * from 0x80000000, so the host numbers its own below that */
};

/* One action. `text` points into the core's memory; `len` is its byte length.
 * The layout is part of the ABI: the JavaScript host reads it from the wasm's
 * memory as six 32-bit words (js-glue/core-wasm.js).
 *
 * ---- Action payloads: what each field holds, per kind -------------------------
 *
 *   kind           a                    b         handle   text / len
 *   OPEN           0                    0         0        NULL / 0
 *   SEND           0                    0         payload  NULL / 0
 *   RELEASE        0                    0         payload  NULL / 0
 *   CLOSE          close code (1000)    0         0        reason, UTF-8 / bytes
 *   POST           0                    0         0        envelope JSON / bytes
 *   POST_DATA      first frame's seq    frames n  0        uint32_t[2n] / 4n (*)
 *   TIMER          ms; UINT32_MAX: off  0         0        NULL / 0
 *   FLUSH          0                    0         0        NULL / 0
 *   WATCH          tab id               0         0        NULL / 0
 *   UNWATCH        tab id               0         0        NULL / 0
 *   LOG            0                    0         0        line, UTF-8 / bytes
 *   IDLE           0                    0         0        NULL / 0
 *   DRAIN          ms to wait first     0         0        NULL / 0
 *   PAYLOAD        handle to store as   0         0        frame text, UTF-8 / bytes
 *   ELECT_POST     0                    0         0        message JSON / bytes
 *   ELECT_TIMER    ms; UINT32_MAX: off  0         0        NULL / 0
 *   LEAD           term                 0         0        NULL / 0
 *   FOLLOW         leader's id          term      0        NULL / 0
 *   STOP           term                 0         0        NULL / 0
 *   SESSION_START  way                  0         0        NULL / 0
 *   SESSION_LOST   way                  0         0        NULL / 0
 *   SESSION_FAIL   reason, 1 to 3       0         0        message / bytes
 *   SESSION_TIMER  ms; UINT32_MAX: off  0         0        NULL / 0
 *
 * (*) POST_DATA's `text` is not text: it points to 2n uint32_t, aligned, the
 * n payload handles in frame order, then the n targets (the tab each frame
 * is for, 0 for every tab); frame i has sequence number a + i. Its `len`
 * counts the handles' bytes only (4n). No NUL is promised after a text: read
 * `len` bytes. A PAYLOAD's number is in `a`, not `handle`.
 *
 * The C layout cannot name these fields per kind: C99 has no anonymous
 * unions, and a named union would change every reader of `a` and `b`. The
 * accessors below give them their names and types instead. */
typedef struct wss_action {
    uint32_t kind;
    uint32_t a;
    uint32_t b;
    uint32_t handle;
    const char *text;
    uint32_t len;
} wss_action;

/* POST_DATA: the first frame's sequence number, the frame count, the
 * handles, and the targets (the tab each frame is for, 0 for every tab). */
static inline uint32_t wss_data_seq0(const wss_action *x) { return x->a; }
static inline uint32_t wss_data_count(const wss_action *x) { return x->b; }
static inline const uint32_t *wss_data_handles(const wss_action *x)
{
    return (const uint32_t *)(const void *)x->text;
}
static inline const uint32_t *wss_data_targets(const wss_action *x)
{
    return (const uint32_t *)(const void *)x->text + x->b;
}
/* TIMER, ELECT_TIMER, SESSION_TIMER: the delay in ms, UINT32_MAX to disarm.
 * DRAIN: the wait before the host reports the socket's bufferedAmount. */
static inline uint32_t wss_timer_ms(const wss_action *x) { return x->a; }
/* CLOSE: the close code. WATCH, UNWATCH: the tab. PAYLOAD: the handle to store. */
static inline uint32_t wss_close_code(const wss_action *x) { return x->a; }
static inline uint32_t wss_watch_tab(const wss_action *x) { return x->a; }
static inline uint32_t wss_payload_handle(const wss_action *x) { return x->a; }

/* Allocation hooks for the core and for cJSON; NULL restores malloc/realloc/free. */
typedef struct wss_hooks {
    void *(*malloc_fn)(size_t size);
    void *(*realloc_fn)(void *ptr, size_t size);
    void (*free_fn)(void *ptr);
} wss_hooks;

/* Installs allocation hooks process-wide; call before creating any core. */
void wss_init_hooks(const wss_hooks *hooks);

/* Creates a core from a JSON config: NULL or empty for every default, else
 * one JSON object (white space may follow it, nothing else). Unknown keys are
 * ignored (the host's own options may travel in the same object); a key that
 * is absent or null keeps its default; a known key with a value of the wrong
 * type or out of bounds fails the whole call. The keys, their defaults and
 * bounds (this list is checked against the table in wasm/src/config.c by
 * tests/native/test_config.c; whole numbers are integers, "-" no bound):
 *
 * WSS_CONFIG_KEYS_BEGIN
 *   key                   default  min   max         what it is
 *   maxQueuedBytes        1048576  1     4294967295  bytes of tab frames held while the socket is not open
 *   maxQueuedFrames       1000     1     4294967295  frames held likewise
 *   maxMessageBytes       16777216 1     4294967295  largest frame a tab may send
 *   maxBatchFrames        512      1     4294967295  server frames per bus post before an early post
 *   maxBatchBytes         262144   1     4294967295  server bytes per bus post likewise
 *   tabTimeoutMs          0        0     4294967295  silence after which a tab is dropped; 0 never (*)
 *   leader                0        0     4294967295  this leader's id, in every envelope it posts
 *   beatMs                0        0     4294967295  interval of the leader's beat envelopes; 0 none
 *   ackDelayMs            100      0     4294967295  acks wait this long after a frame's bytes left the socket (**)
 *   seed                  0        0     4294967295  seeds the retry jitter; the host draws it at random
 *   locks                 true     -     -           tabs hold Web Locks the host can watch (WATCH)
 *   openAtStart           false    -     -           wss_start opens the socket unless the server speaks first
 *   debug                 false    -     -           LOG actions
 *   protocol              auto     -     -           auto, none, or a profile's subprotocol (***)
 *   protocols             []       -     -           the subprotocols the tabs asked for (up to 32 strings)
 *   url                   none     -     -           the server socket's url, for "auto" to read (a string)
 *   reconnect             absent   -     -           true, false or an object of the keys below (****)
 *   reconnect.minDelay    1000     1     4294967295  shortest wait before a retry, ms (<= maxDelay)
 *   reconnect.maxDelay    30000    1     4294967295  longest wait, ms
 *   reconnect.factor      2        1     1000        growth of the longest wait per retry (any number)
 *   reconnect.maxRetries  4294967295 0   4294967295  retries in a row before giving up; the default: no limit
 *   reconnect.minUptime   5000     0     4294967295  ms open before the retry count starts over
 *   reconnect.stopOn      1002,1003,1007,1008,1009,1010 1000 4999  close codes that end retrying (up to 32)
 * WSS_CONFIG_KEYS_END
 *
 *   (*) tabTimeoutMs: with locks false and no tabTimeoutMs given, 180000: a
 *       tab's end then shows only as silence, and a hidden tab's heartbeat
 *       may be throttled to once a minute.
 *   (**) ackDelayMs: a browser's network process may still lose bytes it took
 *       when the leader ends, so a tab keeps each frame that long more, and
 *       re-sends it to the next leader should this one end meanwhile. The
 *       time is rounded up to a multiple of half the delay, so that frames
 *       that leave within one half-delay share one ack envelope.
 *   (***) protocol: the protocol profile, named as wasm/src/profiles.c's
 *       table names it: graphql-transport-ws (graphql-ws), graphql-ws
 *       (subscriptions-transport-ws), actioncable-v1-json (ActionCable),
 *       stomp (STOMP, subprotocols v12.stomp, v11.stomp, v10.stomp),
 *       socket.io (Engine.IO 4's websocket, known by its url), phoenix
 *       (Phoenix Channels' V2 serializer, known by its url) or jsonrpc
 *       (JSON-RPC 2.0, which has no subprotocol). "auto" runs the first of
 *       them whose subprotocol `protocols` names (graphql-transport-ws
 *       before the others), else one its `url` names (a client that says
 *       who it is only there), and otherwise handles frames whose JSON says
 *       "jsonrpc":"2.0".
 *   (****) reconnect: absent, a lost server socket closes every tab unless a
 *       profile is at work (then it is made again under them); true, retry
 *       with the defaults; false, never retry; an object, retry with those of
 *       its keys it names. Retry n waits a random time between minDelay and
 *       min(maxDelay, minDelay * factor^n).
 *
 * Fixed at build time (wasm/src/internal.h), not by the config: a control
 * envelope is at most 4096 bytes; a core serves at most 1024 tabs (a hello
 * beyond them is dropped and counted as outOfMemory); a close reason is kept
 * to its first 123 bytes, the socket's subprotocol to 127 and its extensions
 * to 255.
 *
 * Stores the new core in *out (NULL on failure), which the caller frees with
 * wss_destroy. Returns WSS_OK; WSS_EINVAL for a config that is not one JSON
 * object or has a bad value; WSS_ENOMEM. */
WSS_EXPORT int wss_create(wss_core **out, const char *config_json, size_t len);

/* Frees the core and all it holds. Payload handles still held are simply
 * forgotten: the host drops its table with it. NULL is allowed. */
WSS_EXPORT void wss_destroy(wss_core *core);

/* Starts the leader, once, after wss_create: it announces itself on the bus
 * (tabs that followed another leader introduce themselves again) and, when
 * config `beatMs` is set, arms the timer for its first beat. With config
 * `openAtStart` (a host started on behalf of a tab: a SharedWorker a tab
 * asked for, an elected tab's leader) it opens the socket at once, while the
 * tab's hello is on its way, unless the protocol profile's server speaks
 * first (Socket.IO, ActionCable); else the first hello opens it.
 * Returns WSS_OK; WSS_ENOMEM (not started: call it again). */
WSS_EXPORT int wss_start(wss_core *core, double now_ms);

/* A control envelope (JSON text) arrived on the bus. Invalid or unknown
 * envelopes are counted in the stats and dropped; state is never harmed.
 * Returns WSS_OK (taken); WSS_EINVAL for text over 4096 bytes, not one
 * strict JSON object, or a field missing or out of range; WSS_EREJECT for
 * another bus version, a type the leader does not take, an envelope for
 * another leader, or a bye from a tab it does not know; WSS_ENOMEM.
 * The host may pass only the first WSS_MAX_ENVELOPE_BYTES + 1 bytes of a
 * longer text: it is refused for its size all the same. */
WSS_EXPORT int wss_bus_control(wss_core *core, const char *json, size_t len, double now_ms);
#define WSS_MAX_ENVELOPE_BYTES 4096

/* A post arrived on the bus that the host cannot pass on: neither text nor a
 * batch of frames it can store (another app's message, a broken tab). It is
 * counted in the stats as malformed and dropped; returns WSS_EINVAL. */
WSS_EXPORT int wss_bus_unreadable(wss_core *core, double now_ms);

/* A tab posted `count` frames, numbered seq0, seq0+1, ...; the host has stored
 * their payloads under handles first_handle, first_handle+1, ... and their
 * byte lengths in `lens`. Every handle comes back exactly once, as a SEND or a
 * RELEASE action. `version` is the envelope's protocol version and `leader`
 * the leader id the tab addressed; frames for another leader are refused.
 * The post's numbers (version, leader, tab, seq0) come as the bus carried
 * them, JS numbers: a batch where one is not a whole number in 0..2^32-1 is
 * refused as malformed.
 * Returns WSS_OK (each frame sent, queued, or refused to its tab with an
 * error envelope; a gap in the numbers asks the tab to send again);
 * WSS_EINVAL, every handle released, for a malformed number; WSS_EREJECT,
 * every handle released, for another version or leader, an unknown tab
 * (asked to say hello again), seq0 0, lens NULL or numbers that wrap;
 * WSS_ENOMEM (no handle returned: they are the host's). */
WSS_EXPORT int wss_tab_frames(wss_core *core, double version, double leader, double tab,
                              double seq0, uint32_t count, uint32_t first_handle,
                              const uint32_t *lens, double now_ms);

/* With wss_tab_frames_text and wss_tab_restore, a frame's length word has this
 * bit set when the frame is binary (its bytes are not passed). */
#define WSS_FRAME_BINARY 0x80000000u

/* wss_tab_frames with the frames' bytes, for the protocol profile to read:
 * `bytes` holds the UTF-8 text of every text frame, one after the other, and
 * lens[i] is frame i's byte length, with WSS_FRAME_BINARY for a binary frame
 * (whose bytes are not in `bytes`). Call it when wss_wants_text says so.
 * Results as wss_tab_frames. */
WSS_EXPORT int wss_tab_frames_text(wss_core *core, double version, double leader, double tab,
                                   double seq0, uint32_t count, uint32_t first_handle,
                                   const uint32_t *lens, const char *bytes, double now_ms);

/* One frame a tab sends again to a new leader with the mark a protocol
 * profile gave it (an ack envelope's "k" note) while it was still
 * unacknowledged: as wss_tab_frames_text for that one frame (`len_word` its
 * length word, `bytes` its text), the profile reading it with its mark, as it
 * reads a kept frame's. `mark` comes as the bus carried it, a JS number.
 * Results as wss_tab_frames_text. */
WSS_EXPORT int wss_tab_frame_marked(wss_core *core, double version, double leader, double tab,
                                    double seq, double mark, uint32_t handle, uint32_t len_word,
                                    const char *bytes, double now_ms);

/* A tab that follows this leader sends again the frames a protocol profile
 * told it to keep (an ack envelope's "k" notes), before anything else: `meta`
 * holds (seq, mark, length word) for each, as the notes gave them and as
 * JS numbers (a batch where one is not a whole number in 0..2^32-1 is
 * refused as malformed), the lengths as for wss_tab_frames_text; payloads
 * under first_handle, ... The
 * profile rebuilds from them what the tab relies on (a handshake, live
 * subscriptions) and answers requests among them with an error: they are
 * never sent twice. Every handle comes back once, as for wss_tab_frames.
 * Returns WSS_OK; WSS_EINVAL (every handle released) for a malformed number;
 * WSS_EREJECT (every handle released) for another version or leader, an
 * unknown tab, or meta NULL with count > 0; WSS_ENOMEM. */
WSS_EXPORT int wss_tab_restore(wss_core *core, double version, double leader, double tab,
                               uint32_t count, uint32_t first_handle, const double *meta,
                               const char *bytes, double now_ms);

/* What the profile needs to read (bits): WSS_TEXT_FROM_TABS, pass tab frames
 * with wss_tab_frames_text; WSS_TEXT_FROM_SERVER, pass the server's text
 * frames with wss_socket_text. 0 without a profile: payloads stay the host's.
 * Ask before each event that carries frames: the answer changes. */
#define WSS_TEXT_FROM_TABS 1u
#define WSS_TEXT_FROM_SERVER 2u
WSS_EXPORT unsigned wss_wants_text(const wss_core *core);

/* The tab's liveness lock was released: it closed, crashed or navigated away.
 * Returns WSS_OK, also for a tab the core does not know; WSS_ENOMEM. */
WSS_EXPORT int wss_tab_gone(wss_core *core, uint32_t tab, double now_ms);

/* The server socket opened with the given subprotocol and extensions.
 * Returns WSS_OK; WSS_EREJECT when no OPEN is pending (nothing changes);
 * WSS_ENOMEM only should the room kept for it fail. */
WSS_EXPORT int wss_socket_opened(wss_core *core, const char *protocol, size_t protocol_len,
                                 const char *extensions, size_t extensions_len,
                                 double now_ms);

/* The server sent a frame of `len` bytes, stored by the host under `handle`;
 * the handle comes back exactly once, inside a POST_DATA action (then the
 * host forgets it) or as a RELEASE action (also when the socket is not open
 * or no tab is left). Returns WSS_OK; WSS_ENOMEM when the frame could not be
 * taken (its handle is released). */
WSS_EXPORT int wss_socket_frame(wss_core *core, uint32_t handle, uint32_t len, int binary,
                                double now_ms);

/* wss_socket_frame for a text frame, with its UTF-8 bytes for the profile.
 * Results as wss_socket_frame, and WSS_EINVAL (nothing taken) for text NULL
 * or a length over 32 bits. */
WSS_EXPORT int wss_socket_text(wss_core *core, uint32_t handle, const char *text, size_t len,
                               double now_ms);

/* The socket's bufferedAmount, as a DRAIN action asked: `buffered` bytes of
 * those handed to it (the lengths SEND frames were given with: a text
 * frame's UTF-8, a binary frame's bytes) are still in its buffer, so every
 * byte before them has gone to the network. Each tab frame whose bytes have
 * all gone is acknowledged ackDelayMs later, rounded up to a multiple of
 * half of it (a TIMER), whether or not the
 * socket ever empties. While bytes remain, the core asks again (DRAIN). A
 * JS number: a double, so that no size is cut.
 * Returns WSS_OK (WSS_ENOMEM only should the room kept for it fail). */
WSS_EXPORT int wss_socket_buffered(wss_core *core, double buffered, double now_ms);

/* The server socket closed (also after a failed open: code 1006). Unless the
 * code is listed in reconnect.stopOn or the retries are used up, the core
 * keeps the tabs and the queue, posts `reconnecting` and opens again after a
 * backoff (a TIMER, then OPEN from wss_tick); else it posts `close`.
 * Returns WSS_OK; WSS_EREJECT when no socket is open or opening (idle, or
 * waiting for a retry; nothing changes); WSS_ENOMEM only should the room
 * kept for it fail. */
WSS_EXPORT int wss_socket_closed(wss_core *core, uint32_t code, const char *reason,
                                 size_t reason_len, int was_clean, double now_ms);

/* The browser says the network is back: a retry that waits is made at once.
 * Returns WSS_OK (WSS_ENOMEM only should the room kept for it fail). */
WSS_EXPORT int wss_online(wss_core *core, double now_ms);

/* The timer armed by the last TIMER action fired. Returns WSS_OK (WSS_ENOMEM
 * only should the room kept for it fail; the timer is spent either way). */
WSS_EXPORT int wss_tick(wss_core *core, double now_ms);

/* The flush asked for by a FLUSH action is due: batched frames and acks go
 * out. Returns WSS_OK; WSS_ENOMEM. */
WSS_EXPORT int wss_flush(wss_core *core, double now_ms);

/* The actions produced by the last call; *count receives how many. */
WSS_EXPORT const wss_action *wss_actions(const wss_core *core, uint32_t *count);

/* The core's counters as a JSON object (text owned by the core, valid until
 * the next call of this function); NULL when out of memory. */
const char *wss_stats_json(wss_core *core);

/* A scratch buffer of at least `n` uint32 values for wss_tab_frames' lengths
 * (so a host without its own allocator can pass them); NULL when out of memory. */
WSS_EXPORT uint32_t *wss_scratch(wss_core *core, uint32_t n);

/* The library's version string: package.json's "version", given by the build. */
const char *wss_version(void);

/* ---- Election without Web Locks --------------------------------------------
 * Where there are no Web Locks, each tab of a sharing key runs one candidate
 * (in a dedicated Worker, whose timers background pages do not throttle); the
 * candidates agree on one leader by JSON messages on a BroadcastChannel of
 * their own (not the bus). Sans-IO like the broker: the host feeds messages,
 * time and visibility, and performs the actions of wss_elect_actions, of the
 * kinds below, in order. Ownership as for the broker: what the host passes
 * in is its own; actions and their text stay valid until the next call on
 * the same candidate. No call is refused for memory once the candidate
 * exists: a post that could not be written is counted (stats outOfMemory)
 * and acts as a message the channel lost, which the protocol tolerates.
 *
 * Messages (JSON objects; unknown keys are ignored; at most 256 bytes):
 *   {"v":1,"t":"claim","id":ID,"term":T,"vis":B}  asks to lead; a leader
 *       answers every claim with a beat. With "reply":true it answers
 *       another claim, and only candidates in a claim window heed it.
 *   {"v":1,"t":"beat","id":ID,"term":T,"vis":B}   the leader of term T lives
 *   {"v":1,"t":"resign","id":ID,"term":T}         the leader (or a claimant) leaves
 * ID and T are integers in 1..2^32-1, B a boolean: the page is visible.
 *
 * Protocol. Claims rank by visibility, then by id; leaders by term, then as
 * claims. A candidate claims, opening a claim window of claimMs, when it
 * starts, when its leader resigns, claims again or falls silent for leaseMs -
 * 2 * claimMs, and when it follows and a worse claim comes: its leader, if
 * alive, answers both; if dead, the worse one must not win (unless a better
 * claimant is in its window already: then it only answers, without a
 * window). In its window, a better claim makes it wait for that claimant's
 * beat, or any leader's, for 2 * (claimMs + beatMs); a worse claim gets its
 * claim again (the channel does not replay for a tab that opened since). It
 * leads when its window ends with no better claim and no beat heard. A
 * leader beats every beatMs, answers every claim and every worse leader's
 * beat with a beat at once, and steps down (STOP) on a better leader's beat.
 * Its lease runs to leaseMs - claimMs after the third-last message it posted:
 * no other can be elected for its silence before that. It may act as leader
 * only before wss_elect_lease_until; past it, its next call stops it, and it
 * claims again. A resigning leader hands over at once: the others claim on
 * its resign, without waiting.
 *
 * Guarantees, for a channel that delivers each message within claimMs / 2
 * or loses it, loses at most two in a row from one candidate to another, and
 * may duplicate and reorder them (tests/native/test_election.c checks them
 * after every step of thousands of runs with candidates that start together,
 * die, freeze, resign and change visibility). A leader "acts" from its LEAD
 * to its STOP while wss_elect_lease_until is ahead, frozen or not (its host
 * would act the moment it thaws).
 *   - Two leaders act at once for less than leaseMs: when claims crossed
 *     unheard, or when a tab starts while the leader is frozen (the others
 *     elect it; the frozen one stops at its first call once its lease ran
 *     out, or at the new leader's first beat). Should one of two leaders that
 *     crossed freeze before it hears the other, it keeps its lease to the end
 *     (at most leaseMs - claimMs after its freeze).
 *   - leaseMs after any start, death, freeze, thaw, resignation or visibility
 *     change, a leader acts; with no message lost, exactly one. On a lossy
 *     channel, two beats and a claim window later exactly one acts, and every
 *     running candidate has announced it (FOLLOW).
 *   - A leader that dies or freezes is replaced within leaseMs; one that
 *     resigns, within claimMs once its resign arrives.
 *   - With no message lost, an election chooses a visible candidate over
 *     hidden ones that take part. A living leader is kept: a visible tab that
 *     opens follows a hidden leader, and no leader gives way to a better tab.
 */

/* The election channel's protocol version (the "v" of every message). */
#define WSS_ELECT_VERSION 1

typedef struct wss_elect wss_elect;

/* Actions of a candidate, in struct wss_action. From 32 on, apart from the
 * broker's kinds. */
enum wss_elect_action_kind {
    WSS_ACT_ELECT_POST = 32,  /* post `text` (JSON, `len` bytes) on the election channel */
    WSS_ACT_ELECT_TIMER = 33, /* call wss_elect_tick after `a` ms; replaces the armed one;
                               * UINT32_MAX disarms */
    WSS_ACT_LEAD = 34,        /* this candidate leads now, in term `a`: start the leader */
    WSS_ACT_FOLLOW = 35,      /* candidate `a` leads, in term `b` (said once per change) */
    WSS_ACT_STOP = 36         /* this candidate leads no more (term `a`): stop at once */
};

/* What wss_elect_role answers. */
enum wss_elect_role {
    WSS_ELECT_IDLE = 0,      /* not started, or resigned */
    WSS_ELECT_ELECTING = 1,  /* claiming, or waiting for a better claimant's first beat */
    WSS_ELECT_FOLLOWING = 2,
    WSS_ELECT_LEADING = 3
};

/* Creates a candidate with id `id` (nonzero, unique among the candidates: draw
 * it at random) from a JSON config (NULL or empty: defaults): leaseMs (4000),
 * beatMs (500), claimMs (250), integers in 1..3600000 with leaseMs >= 3 *
 * (beatMs + claimMs); other keys are ignored. claimMs must exceed twice the
 * channel's delivery delay. Stores it in *out (freed with wss_elect_destroy).
 * Returns WSS_OK; WSS_EINVAL for a zero id or a bad config; WSS_ENOMEM. */
WSS_EXPORT int wss_elect_create(wss_elect **out, uint32_t id, const char *config_json, size_t len);

/* Frees the candidate (it posts nothing: call wss_elect_resign first). NULL is allowed. */
WSS_EXPORT void wss_elect_destroy(wss_elect *e);

/* Starts the candidate (its page is `visible` or not): it claims. Again after
 * wss_elect_resign, when a page comes back from the back/forward cache.
 * WSS_EREJECT when already started. */
WSS_EXPORT int wss_elect_start(wss_elect *e, int visible, double now_ms);

/* A message arrived on the election channel. Invalid ones are counted by
 * reason in the stats and change nothing: WSS_EINVAL when malformed or too
 * long, WSS_EREJECT for another version, an unknown type or our own id;
 * WSS_OK otherwise (also while idle: then it changes nothing). */
WSS_EXPORT int wss_elect_message(wss_elect *e, const char *json, size_t len, double now_ms);

/* The timer armed by the last ELECT_TIMER action fired. Returns WSS_OK. */
WSS_EXPORT int wss_elect_tick(wss_elect *e, double now_ms);

/* The page became visible (1) or hidden (0). Returns WSS_OK. */
WSS_EXPORT int wss_elect_visibility(wss_elect *e, int visible, double now_ms);

/* The page goes away (pagehide, also into the back/forward cache): a leader
 * stops and hands over at once; the candidate falls idle until started again.
 * Returns WSS_OK. */
WSS_EXPORT int wss_elect_resign(wss_elect *e, double now_ms);

/* The actions produced by the last call; *count receives how many. */
WSS_EXPORT const wss_action *wss_elect_actions(const wss_elect *e, uint32_t *count);

/* One of enum wss_elect_role. */
WSS_EXPORT int wss_elect_role(const wss_elect *e);

/* The leader last announced (this candidate's id after LEAD); 0 before any,
 * after STOP and after wss_elect_resign. */
uint32_t wss_elect_leader(const wss_elect *e);

/* The term this candidate leads in, or of the leader it follows; 0 otherwise. */
WSS_EXPORT uint32_t wss_elect_term(const wss_elect *e);

/* While leading: the time (the clock of now_ms) until which it may act as
 * leader; past it, call wss_elect_tick before acting. 0 when not leading. */
WSS_EXPORT double wss_elect_lease_until(const wss_elect *e);

/* The candidate's state and counters as a JSON object (text owned by the
 * candidate, valid until the next call of this function); NULL when out of memory. */
const char *wss_elect_stats_json(wss_elect *e);

/* ---- The tab's session ------------------------------------------------------
 * The page's side: which way a tab reaches a leader, whether the leader it
 * reached lives, and what the tab does when it does not. It allocates
 * nothing (sessions come from a fixed pool) and needs no cJSON, so the same
 * C runs in every page, compiled to JavaScript. Sans-IO like the broker:
 * the host reports what happened and performs wss_session_actions, in order.
 *
 * Ways, in the order mode 'auto' tries them: a SharedWorker; the election
 * (Web Locks, or candidates in Workers); a socket of the tab's own. A way
 * that fails before its leader answers (the worker script does not load or
 * throws, its core does not compile, no answer in 10 s) gives way to the
 * next; a forced mode fails instead (FAIL). A SharedWorker that dies after
 * it answered (crash, termination, the browser's own decision) is started
 * again, and after its second death within a minute left for the election
 * ('auto') or given up ('sharedworker'). Its successor must answer within
 * 1 s; should it fail or stay silent (it may meet the dying worker still
 * registered under its name), it is tried again after 50, 100, 200 and
 * 400 ms, with 2, 4, 8 and 16 s to answer, before that counts as a failure. The host learns of a death from a
 * lock the worker holds for its life (WSS_WATCH_LOCK); where pages have no
 * Web Locks, from its silence: the leader beats every wss_session_beat_ms()
 * and a tab that hears nothing for 4 s (6 s while hidden) judges it dead,
 * unless its own page was held up meanwhile. An elected tab whose leader
 * worker dies lets its lock go and queues again (LOST, then START election).
 */

typedef struct wss_session wss_session;

/* The mode a tab asked for (option `mode`). */
enum wss_session_mode {
    WSS_MODE_AUTO = 1,
    WSS_MODE_SHAREDWORKER = 2,
    WSS_MODE_ELECTION = 3,
    WSS_MODE_DIRECT = 4
};

/* What the page offers, or-ed into wss_session_new's `caps`. */
enum wss_session_caps {
    WSS_CAN_BUS = 1,          /* BroadcastChannel */
    WSS_CAN_SHAREDWORKER = 2, /* SharedWorker */
    WSS_CAN_WORKER = 4,       /* Worker (the election's leader runs in one) */
    WSS_CAN_LOCKS = 8         /* Web Locks (a worker's life can be watched by its lock) */
};

/* Where a tab that leads runs the leader (WSS_ACT_SESSION_HOST). */
enum wss_session_host {
    WSS_HOST_NONE = 0,    /* nowhere: stop the one running, and any standby */
    WSS_HOST_WORKER = 1,  /* a dedicated Worker of the tab's (the standby, if any) */
    WSS_HOST_PAGE = 2,    /* the page itself (the Worker was refused, or there is none) */
    WSS_HOST_STANDBY = 3  /* nowhere yet: stop the one running, and keep a Worker
                           * with the core compiled, ready to lead when elected */
};

/* The way a tab reaches the leader. */
enum wss_session_way {
    WSS_WAY_SHAREDWORKER = 1,
    WSS_WAY_ELECTION = 2,
    WSS_WAY_DIRECT = 3
};

/* How the host watches the leader it reached (wss_session_ready). */
enum wss_session_watch {
    WSS_WATCH_NONE = 0,  /* the way watches itself (the election) */
    WSS_WATCH_LOCK = 1,  /* the worker's life lock: wss_session_lost when it is granted */
    WSS_WATCH_BEATS = 2  /* no locks: every word of the leader goes to wss_session_heard */
};

/* Actions of a session, in struct wss_action. From 64 on. */
enum wss_session_action_kind {
    WSS_ACT_SESSION_START = 64, /* reach a leader the way `a` (enum wss_session_way) */
    WSS_ACT_SESSION_LOST = 65,  /* the leader reached the way `a` is gone: drop what leads
                                 * to it, keep every unacknowledged frame for the next, and
                                 * tell the app (`reconnecting`) if its socket is open */
    WSS_ACT_SESSION_FAIL = 66,  /* give up: an `error` event saying `text`, then `close`
                                 * 1006; `a` is the reason's number (1 to 3) */
    WSS_ACT_SESSION_TIMER = 67, /* call wss_session_tick after `a` ms; replaces the armed
                                 * one; UINT32_MAX disarms */
    WSS_ACT_SESSION_HOST = 68,  /* run the leader this tab leads in `a` (enum
                                 * wss_session_host), stopping the one before; a
                                 * START leaves it with the rest of the last way */
    WSS_ACT_SESSION_ERROR = 69  /* an `error` event with the way's error the host reported
                                 * (wss_session_way_error); the socket stays open */
};

/* A session for a tab that asked for `mode` on a page offering `caps`;
 * NULL for a bad mode or when WSS_SESSION_MAX (256) sessions live already.
 * Freed with wss_session_free. */
wss_session *wss_session_new(uint32_t mode, uint32_t caps);

/* Returns the session to the pool. NULL is allowed. */
void wss_session_free(wss_session *s);

/* Picks the first way (START). WSS_EREJECT when the mode asked for cannot
 * run on this page, or when started already. */
int wss_session_start(wss_session *s, int visible, double now_ms);

/* The way's leader answered (the worker is ready, the election runs); the
 * host watches it as `watch` (enum wss_session_watch) says. */
int wss_session_ready(wss_session *s, int watch, double now_ms);

/* A word from the leader (any post of it on the bus). */
int wss_session_heard(wss_session *s, double now_ms);

/* The way could not start (its script failed to load, it said it cannot
 * lead, or threw); after it answered, this is wss_session_lost. */
int wss_session_failed(wss_session *s, double now_ms);

/* The leader the tab reached is gone (its life lock was granted, or its
 * worker reported an error). WSS_EREJECT before it answered. */
int wss_session_lost(wss_session *s, double now_ms);

/* The page became visible (1) or hidden (0). */
int wss_session_visibility(wss_session *s, int visible, double now_ms);

/* The timer armed by the last SESSION_TIMER action fired. */
int wss_session_tick(wss_session *s, double now_ms);

/* The actions of the last call; *count receives how many. Every call but
 * wss_session_new and wss_session_free replaces them. Calls after a FAIL,
 * or before start, change nothing and answer WSS_EREJECT. */
const wss_action *wss_session_actions(const wss_session *s, uint32_t *count);

/* The way taken now (enum wss_session_way); 0 before start. */
uint32_t wss_session_way(const wss_session *s);

/* How often a leader beats for tabs that watch it by its beats, in ms. */
uint32_t wss_session_beat_ms(void);

/* How to watch a worker that answered (for wss_session_ready): by its life
 * lock where the page has Web Locks and the worker named one (`named`),
 * otherwise by its beats. */
uint32_t wss_session_watch_for(const wss_session *s, int named);

/* The beat (ms) a SharedWorker's leader must keep for this tab: 0 where the
 * tab watches its lock. */
uint32_t wss_session_leader_beat_ms(const wss_session *s);

/* The tab's socket opened: from now on an error of its way is the app's to
 * hear (wss_session_way_error), not a reason to take another way. */
int wss_session_opened(wss_session *s, double now_ms);

/* The election made this tab its leader (1) or no longer (0): HOST says
 * to run the leader in a Worker, or to stop it. WSS_EREJECT on another way. */
int wss_session_elected(wss_session *s, int leading, double now_ms);

/* The leader's host could not start or died: a Worker gives way to the
 * page (HOST page); the page failing too is the way failing
 * (wss_session_failed, after HOST none). WSS_EREJECT when no host runs
 * (news of an ended term). */
int wss_session_host_failed(wss_session *s, double now_ms);

/* The way hit an error it cannot get past (a Web Locks request failed):
 * before the tab's socket opened, as wss_session_failed; after, an ERROR
 * for the app, and the tab goes on. WSS_EREJECT on a socket of the tab's
 * own. */
int wss_session_way_error(wss_session *s, double now_ms);

/* ---- The tab's link to its leader ----------------------------------------------
 * The page's side of the bus, once a session took a way to a leader: the
 * hello and the welcome; the numbers of the tab's frames, those no leader
 * acknowledged yet (re-sent to the next one) and the frames a protocol
 * profile asked the tab to keep (sent first to a next leader, which rebuilds
 * from them); the server's frames, a duplicate or a post after a gap
 * dropped; the batches of frames; the hello retry, the ping, the goodbye's
 * and stats()' timeouts; and what the app hears when its leader changes.
 * Like the session it allocates nothing (links come from a fixed pool) and
 * needs no cJSON. Sans-IO: the host parses the leader's envelopes itself,
 * reports their fields, and performs wss_link_actions in order.
 *
 * Payloads stay the host's, under the number of their frame: from the send
 * that took frame `seq` (wss_link_send's answer) until a RELEASE names it.
 * The link keeps only numbers and marks, so a tab may have any number of
 * frames unacknowledged.
 *
 * One call at a time, for every link of the page: the actions of a call,
 * their texts and the scratch words stay valid until the next call on any
 * link. A host that learns of an event while it performs actions (an app's
 * handler calls send() or close()) reports it once they are all performed.
 *
 * Bounds. A tab keeps at most WSS_LINK_NOTES (64) frames for a next leader,
 * or marked for one while unacknowledged: a note beyond that is not kept;
 * the link says so once (ERROR, WSS_LINK_ERR_NOTES) and at the next change
 * of leader the open socket closes (error, then close 1006), as a socket of
 * the tab's own would have, rather than resume without that frame. At most
 * WSS_LINK_STATS (8) stats() questions are out at once; another is not
 * asked (wss_link_stats answers 0: the app gets the tab's part only).
 * Lists of fields (targets, notes) pass through the scratch words, at most
 * WSS_LINK_SCRATCH at a time: the host splits a longer list into calls of
 * whole entries, in order.
 *
 * Envelopes the link writes, byte for byte as the bus had them (JSON, in
 * POST and ELECT_POST): {"v":1,"t":"hello","tab":T,"next":N,"last":L,"p":P,"l":I},
 * {"v":1,"t":"bye","tab":T}, {"v":1,"t":"ping","tab":T,"l":I},
 * {"v":1,"t":"stats?","tab":T,"id":N,"l":I} and, on the election channel,
 * {"v":1,"t":"resign","id":T,"term":N} (POST; FAREWELL for a goodbye and the
 * resignation a page posts as it goes). The host builds the data posts of
 * POST_FRAMES and POST_KEPT: {v,t:'s',l,tab,s,f} and {v,t:'r',l,tab,q,m,f}.
 */

typedef struct wss_link wss_link;

#define WSS_LINK_SCRATCH 256

/* What the leader posted (wss_link_envelope's `type`); 0 for any other type
 * (its beats), which says only that the leader lives. */
enum wss_link_envelope_type {
    WSS_LINK_ENV_LEADER = 1,       /* a leader announced itself: `leader` */
    WSS_LINK_ENV_WELCOME = 2,      /* x: seq, y: acked; flags RESUME, OPEN (state "open") */
    WSS_LINK_ENV_OPEN = 3,         /* flags RESUME */
    WSS_LINK_ENV_RECONNECTING = 4, /* x: attempt, y: delay */
    WSS_LINK_ENV_ACK = 5,          /* its notes follow: wss_link_notes, k, then x, then a */
    WSS_LINK_ENV_CLOSE = 6,        /* x: code; flags CLEAN; `tab` 0 when it names none */
    WSS_LINK_ENV_GONE = 7,
    WSS_LINK_ENV_ERROR = 8,
    WSS_LINK_ENV_RESEND = 9,       /* x: from */
    WSS_LINK_ENV_REHELLO = 10,
    WSS_LINK_ENV_STATS = 11        /* x: id */
};

/* Envelope flags; RESUME and OPEN in, CLEAN and the REASONs also in CLOSE actions. */
#define WSS_LINK_RESUME 1u
#define WSS_LINK_OPEN 2u
#define WSS_LINK_CLEAN 1u
#define WSS_LINK_REASON_APP 2u      /* the reason the app gave close() */
#define WSS_LINK_REASON_ENVELOPE 4u /* the reason of the close envelope at hand */

/* A POST_FRAMES action's `len`: the frames a post may carry, and whether
 * the posts go on the bus, as the hello they follow, for a leader that has
 * not opened this tab's road yet. */
#define WSS_LINK_BATCH_MASK 0xffffu
#define WSS_LINK_BY_BUS 0x10000u

/* The lists of an ack envelope (wss_link_notes' `kind`). */
enum wss_link_notes_kind {
    WSS_LINK_NOTES_KEEP = 0,   /* "k": [tab, seq, mark, ...] keep the frame with its mark */
    WSS_LINK_NOTES_FORGET = 1, /* "x": [tab, seq, ...] keep it no more */
    WSS_LINK_NOTES_ACK = 2     /* "a": [tab, seq, ...] acknowledged up to seq */
};

/* What an ERROR action's `a` says (the text is the host's). */
enum wss_link_error {
    WSS_LINK_ERR_PLAIN = 0,   /* an error event, no message */
    WSS_LINK_ERR_TOO_BIG = 1, /* send() of `b` bytes over maxMessageBytes: not sent */
    WSS_LINK_ERR_LEADER = 2,  /* the error envelope at hand: its message and code */
    WSS_LINK_ERR_NOTES = 3,   /* more than `b` frames to keep: see Bounds */
    WSS_LINK_ERR_SESSION = 4  /* the session gave up: the text of its FAIL */
};

/* HEARD's `a`: whom the leader's word is news for. */
#define WSS_LINK_HEARD_ELECTION 1u
#define WSS_LINK_HEARD_ALL 3u /* the session (wss_session_heard) and the election */

/* Actions of a link, in struct wss_action. From 96 on. */
enum wss_link_action_kind {
    WSS_ACT_LINK_POST = 96,         /* post `text` (JSON, `len` bytes) for leader `handle`
                                     * by a road of that leader's own (its worker's port
                                     * where the host has one, else the channel it opened
                                     * for this tab); 0: on the bus */
    WSS_ACT_LINK_POST_FRAMES = 97,  /* post frames a .. a+b-1 to leader `handle`, in posts
                                     * of at most `len` & WSS_LINK_BATCH_MASK frames: by
                                     * its road, or on the bus where `len` has
                                     * WSS_LINK_BY_BUS (those behind a hello) */
    WSS_ACT_LINK_POST_KEPT = 98,    /* post the kept frames to leader `handle`: at `text`, `b`
                                     * seqs then their `b` marks (uint32 each) */
    WSS_ACT_LINK_FAREWELL = 99,     /* hold `text` ready as the page's farewell `a` (1: the
                                     * goodbye for leader `handle`, posted as POST's: 0, the
                                     * bus, while nothing is unacknowledged; 2: the
                                     * resignation on the election channel), or hold it no
                                     * more (b 0): see pagehide */
    WSS_ACT_LINK_ELECT_BUS = 100,   /* open (a 1) or close (a 0) the election channel */
    WSS_ACT_LINK_DELIVER = 101,     /* a message event for each of the `b` frames from index
                                     * `a` of the frames just reported */
    WSS_ACT_LINK_COUNT = 102,       /* bufferedAmount grows by `a` bytes */
    WSS_ACT_LINK_ACKED = 103,       /* bufferedAmount lets frames a .. b go */
    WSS_ACT_LINK_RELEASE = 104,     /* forget the payloads of frames a .. b */
    WSS_ACT_LINK_FLUSH = 105,       /* call wss_link_flush in a microtask */
    WSS_ACT_LINK_PROTOCOL = 106,    /* protocol and extensions: the envelope's at hand */
    WSS_ACT_LINK_OPEN = 107,        /* an open event (readyState is OPEN) */
    WSS_ACT_LINK_ERROR = 108,       /* an error event: enum wss_link_error in `a` */
    WSS_ACT_LINK_CLOSE = 109,       /* the socket is CLOSED: let go of all the way holds, then
                                     * a close event, code `a`, flags `b` (CLEAN, REASON_*) */
    WSS_ACT_LINK_RECONNECTING = 110, /* a reconnecting event: attempt `a`, delay `b` */
    WSS_ACT_LINK_LEADERCHANGE = 111, /* a leaderchange event: isLeader `a` */
    WSS_ACT_LINK_STATS = 112,       /* settle stats() question `a`: with the stats envelope at
                                     * hand (b 1), or with the tab's part only (b 0) */
    WSS_ACT_LINK_HEARD = 113,       /* the leader spoke: tell whom `a` says */
    WSS_ACT_LINK_TIMER = 114,       /* call wss_link_tick after `a` ms; replaces the armed one;
                                     * UINT32_MAX disarms */
    WSS_ACT_LINK_POST_MARKED = 115  /* post frame `a` alone to leader `handle`, with the mark
                                     * `b` a profile gave it: {v,t:'s',l,tab,s,f,m:[b]} */
};

/* A link for tab `tab` (nonzero, drawn at random) whose app allows messages
 * of at most `max_message_bytes` (negative: any); NULL for tab 0 or when
 * WSS_LINK_MAX (256) links live already. Its socket is CONNECTING. */
wss_link *wss_link_new(uint32_t tab, double max_message_bytes);

/* Returns the link to the pool. NULL is allowed. */
void wss_link_free(wss_link *k);

/* The app's send() of `len` bytes (once the host saw the socket is not
 * CONNECTING, which throws). Answers the frame's number, under which the host
 * keeps the payload, or 0 when the frame is not sent (closing; too big). */
uint32_t wss_link_send(wss_link *k, uint32_t len, double now_ms);

/* The microtask a FLUSH asked for: the frames sent meanwhile go out. */
int wss_link_flush(wss_link *k, double now_ms);

/* The way reached a leader, or may have: say hello (repeated until welcomed). */
int wss_link_hello(wss_link *k, double now_ms);

/* The app's close() with `code` (0: none given), once the host validated it.
 * WSS_EREJECT when closing or closed already. */
int wss_link_close(wss_link *k, uint32_t code, double now_ms);

/* A control envelope of the bus's version, parsed by the host: its type
 * (enum wss_link_envelope_type, 0 for any other), `l`, `tab` (0 when absent)
 * and the fields the type lists. WSS_EREJECT when it is not from the
 * leader this tab follows: then an ack's notes are not reported. */
int wss_link_envelope(wss_link *k, uint32_t type, uint32_t leader, uint32_t tab, double x,
                      double y, uint32_t flags, double now_ms);

/* One list of the ack envelope just reported, or a piece of it in whole
 * entries: `words` numbers in the scratch words. */
int wss_link_notes(wss_link *k, uint32_t kind, uint32_t words, double now_ms);

/* The leader `leader` posted `count` server frames (at most WSS_LINK_SCRATCH:
 * the host splits a longer post), numbered from seq0; when `targeted`, the
 * scratch words hold the tab each is for (0: every tab). DELIVER names the
 * ones for the app. */
int wss_link_frames(wss_link *k, uint32_t leader, uint32_t seq0, uint32_t count, int targeted,
                    double now_ms);

/* The session says the leader reached is gone (its LOST action). */
int wss_link_lost(wss_link *k, double now_ms);

/* The session gave up (its FAIL action): error, then close 1006. */
int wss_link_fail(wss_link *k, double now_ms);

/* This tab's candidate leads, under id `own` in term `term`, or no longer
 * (own 0): the election without Web Locks. */
int wss_link_role(wss_link *k, uint32_t own, uint32_t term, double now_ms);

/* This tab now runs the leader `own` (0: none), elected by Web Locks; no action. */
void wss_link_lead(wss_link *k, uint32_t own);

/* pagehide: the tab lets go of the leader. Before the call, first thing, the
 * host posts the farewell it holds (FAREWELL: the resignation, then the
 * goodbye): a closing page may not run much further. The link then posts
 * what no farewell covered (frames that waited, then the goodbye). A page
 * `persisted` in the back/forward cache finds its socket closed at its
 * pageshow. */
int wss_link_pagehide(wss_link *k, int persisted, double now_ms);
int wss_link_pageshow(wss_link *k, int persisted, double now_ms);

/* The tab goes on with a socket of its own: it leaves the leader. What was
 * not acknowledged, [wss_link_unacked, wss_link_next), goes first on it. */
int wss_link_leave(wss_link *k, double now_ms);

/* stats(): asks the leader (POST) and answers the question's id, settled by a
 * later STATS action; 0 when there is no leader to ask (not welcomed, closed,
 * or WSS_LINK_STATS questions out). */
uint32_t wss_link_stats(wss_link *k, double now_ms);

/* The timer armed by the last LINK_TIMER action fired. */
int wss_link_tick(wss_link *k, double now_ms);

/* The actions of the last call on any link; *count receives how many (0
 * for a link that is not live). */
const wss_action *wss_link_actions(const wss_link *k, uint32_t *count);

/* The scratch words (WSS_LINK_SCRATCH uint32 values) and how many there are. */
uint32_t *wss_link_scratch(void);
uint32_t wss_link_scratch_words(void);

/* readyState (0 CONNECTING to 3 CLOSED); the first frame not acknowledged;
 * the number the next frame gets; whether this tab runs the leader it follows. */
uint32_t wss_link_state(const wss_link *k);
uint32_t wss_link_unacked(const wss_link *k);
uint32_t wss_link_next(const wss_link *k);
int wss_link_is_leader(const wss_link *k);

/* ---- The election by Web Locks ------------------------------------------------
 * Where pages have Web Locks, the tabs of one sharing key elect their leader
 * by the lock manager: the tab that holds the leader lock leads (it runs the
 * leader in a dedicated Worker), the others queue for it and take over in
 * queue order the moment the leader's page closes or crashes, since the
 * browser then releases its locks. A frozen page keeps its locks, so
 * followers also watch the leader's words and steal the lock from a leader
 * that fell silent. Like the session it allocates nothing (elections come
 * from a fixed pool) and runs in every page, compiled to JavaScript.
 * Sans-IO: the host reports what the lock manager, the bus, the page and its
 * timer did, and performs wss_locks_actions, in order.
 *
 * Locks (enum wss_locks_lock), each requested under a number the election
 * gives (the action's `handle`), which the host reports back with what came
 * of that request:
 *   - the leader lock, queued for (or stolen: {steal: true});
 *   - the take-over lock, asked for only if available ({ifAvailable: true}):
 *     one follower at a time steals, and holds it for wss_locks_silence_ms()
 *     so that the new leader has time to speak before another judges it
 *     silent. Should that follower freeze holding it, the followers ask for
 *     the take-over lock of the next level once the leader stayed silent
 *     for wss_locks_silence_ms() more, and so on;
 *   - the tab's visible lock, held while its page is visible: a hidden tab
 *     granted the leader lock asks the lock manager (QUERY) whether a tab
 *     that holds its visible lock waits for the leader lock, and if one
 *     does, hands the lock on and queues again, once per term.
 *
 * Silence. Every beat (wss_locks_beat_ms()) the tab judges the leader's
 * silence: no word (wss_locks_heard) for wss_locks_silence_ms(), 2 s more
 * while hidden, is silence, unless the page's own timer ran more than two
 * beats late (the page was frozen or throttled: words may still wait behind
 * the timer), which skips this judgement and the next. A follower then takes
 * over; a leader whose own worker fell silent stops and queues again.
 *
 * Guarantees, for a lock manager with the Web Locks semantics (exclusive
 * locks, granted in request order, a steal releases the holder, whose request
 * fails with an AbortError; a page's death releases its locks and drops its
 * requests; a frozen page keeps both), checked by tests/native/test_locks.c
 * after every step of thousands of seeded runs in which tabs start, die,
 * freeze, thaw, change visibility and their leader's worker falls silent.
 * A tab "acts" as leader from its LEAD to its STOP while its page runs.
 *   - A tab leads only while it holds the leader lock, and acts on after that
 *     only until its page has run the loss of a lock stolen from it: two tabs
 *     act at once only between a steal and the moment the page stolen from
 *     learns of it (at once, or as it thaws).
 *   - A leader whose page dies is replaced at once, by the next tab in the
 *     queue (after one hand-on by a hidden tab to a visible one). One that
 *     freezes or whose worker falls silent is replaced within
 *     wss_locks_silence_ms() + 2 s + 4 beats (the hidden grace, the beat
 *     between judgements, two judgements skipped after a held-up timer and
 *     one to spare), plus wss_locks_silence_ms() when the tab that stole
 *     last froze with the take-over lock. Tabs that freeze, thaw, start or
 *     change visibility meanwhile may delay it by as much again, counted from
 *     the last such change.
 *   - A hidden tab granted the leader lock leads without handing on only
 *     when the lock manager showed no visible tab waiting, or when it handed
 *     on once already since it last led. A living leader is kept: a visible
 *     tab that opens follows a hidden leader.
 */

typedef struct wss_locks wss_locks;

/* The locks of an election (an action's `a`, a query's subject). */
enum wss_locks_lock {
    WSS_LOCK_LEADER = 1,  /* the sharing key's leader lock */
    WSS_LOCK_VISIBLE = 2, /* this tab's own, held while its page is visible */
    WSS_LOCK_TAKEOVER = 3 /* held by the one follower that steals; 3 + k is the take-over
                           * lock of level k (k <= 15), used once the one of level k - 1
                           * was held through wss_locks_silence_ms() more of silence */
};

/* How a lock is asked for (an action's `b`). */
enum wss_locks_how {
    WSS_LOCK_QUEUE = 0,       /* wait in the queue */
    WSS_LOCK_STEAL = 1,       /* {steal: true}: granted at once, the holder loses it
                               * (the leader lock only) */
    WSS_LOCK_IF_AVAILABLE = 2 /* {ifAvailable: true}: granted now, or not at all (the
                               * take-over locks only) */
};

/* Actions of an election, in struct wss_action. From 80 on. */
enum wss_locks_action_kind {
    WSS_ACT_LOCKS_REQUEST = 80, /* request lock `a` the way `b` as request `handle`; report
                                 * what comes of it under that number: granted, unavailable
                                 * (ifAvailable, not granted), lost (it failed with an
                                 * AbortError: stolen, or aborted by a RELEASE) or failed */
    WSS_ACT_LOCKS_RELEASE = 81, /* let request `handle` go: release its lock if granted,
                                 * abort it if still queued */
    WSS_ACT_LOCKS_QUERY = 82,   /* ask the lock manager whether another tab holding its
                                 * visible lock waits for the leader lock: wss_locks_queried */
    WSS_ACT_LOCKS_LEAD = 83,    /* this tab leads now: start the leader */
    WSS_ACT_LOCKS_STOP = 84,    /* this tab leads no more (`text` says why): stop at once */
    WSS_ACT_LOCKS_TIMER = 85,   /* call wss_locks_tick after `a` ms; replaces the armed one;
                                 * UINT32_MAX disarms */
    WSS_ACT_LOCKS_LOG = 86,     /* a debug line in `text` */
    WSS_ACT_LOCKS_ERROR = 87    /* the election cannot go on in this tab (`text` says why):
                                 * it holds and asks for nothing more; the tab must reach a
                                 * leader another way or fail */
};

/* An election for one tab; NULL when WSS_LOCKS_MAX (256) live already.
 * Freed with wss_locks_free. */
wss_locks *wss_locks_new(void);

/* Returns the election to the pool (it releases nothing: stop it first). NULL is allowed. */
void wss_locks_free(wss_locks *l);

/* Queues for the leader lock, and holds the visible lock if `visible`.
 * WSS_EREJECT when started already. */
int wss_locks_start(wss_locks *l, int visible, double now_ms);

/* Request `req` was granted its lock (the host holds it until RELEASE,
 * which comes at once for a request let go already). */
int wss_locks_granted(wss_locks *l, uint32_t req, double now_ms);

/* Request `req`, asked for only if available, was not granted. */
int wss_locks_unavailable(wss_locks *l, uint32_t req, double now_ms);

/* Request `req` failed with an AbortError: its lock was stolen, or it was
 * aborted as a RELEASE asked. */
int wss_locks_lost(wss_locks *l, uint32_t req, double now_ms);

/* Request `req` failed otherwise (the host logs the reason). */
int wss_locks_failed(wss_locks *l, uint32_t req, double now_ms);

/* The answer to QUERY: 1 when a visible tab waits, 0 when none does, -1
 * when the query failed (the host logs the reason). */
int wss_locks_queried(wss_locks *l, int waiting, double now_ms);

/* A word from the leader (any post of it on the bus); never acts. */
int wss_locks_heard(wss_locks *l, double now_ms);

/* The page became visible (1) or hidden (0). */
int wss_locks_visibility(wss_locks *l, int visible, double now_ms);

/* The timer armed by the last LOCKS_TIMER action fired. */
int wss_locks_tick(wss_locks *l, double now_ms);

/* The tab leaves the election (its socket closed, its page goes away): a
 * leader stops and hands over at once; every lock and request is let go. */
int wss_locks_stop(wss_locks *l, double now_ms);

/* The actions of the last call; *count receives how many. Every call but
 * wss_locks_new and wss_locks_free replaces them. Calls before start, or
 * after stop or an ERROR, change nothing and answer WSS_EREJECT, but for a
 * lock granted after them, which they let go (RELEASE). */
const wss_action *wss_locks_actions(const wss_locks *l, uint32_t *count);

/* Whether this tab leads (between its LEAD and its STOP). */
int wss_locks_leading(const wss_locks *l);

/* How often a leader's worker beats for the tabs of an election, in ms. */
uint32_t wss_locks_beat_ms(void);

/* How long a leader may stay silent before a follower takes over, in ms. */
uint32_t wss_locks_silence_ms(void);

#ifdef __cplusplus
}
#endif

#endif
