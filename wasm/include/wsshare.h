/*
 * wsshare core: the sans-IO broker that lets every tab of an origin share one
 * server WebSocket. It never touches a socket, a clock, a channel or JS: the
 * host feeds it events (tab joined / sent / left, socket opened / frame /
 * closed, time) and performs the actions it returns.
 *
 * Ownership, once for all: the caller owns what it passes in and may free it
 * as soon as the call returns; everything the core returns (actions, their
 * text, the stats string) belongs to the core and stays valid until the next
 * call on the same core.
 */
#ifndef WSSHARE_H
#define WSSHARE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The bus protocol version; also part of the channel name. */
#define WSS_BUS_VERSION 1

typedef struct wss_core wss_core;

/* Result codes: 0 is success, negatives are errors. */
enum wss_rc {
    WSS_OK = 0,
    WSS_ENOMEM = -1,  /* an allocation failed; the core's state is unchanged */
    WSS_EINVAL = -2,  /* malformed input (bad JSON, wrong field, bad size) */
    WSS_EREJECT = -3  /* well-formed but refused (unknown tab, replay, version) */
};

/* What the host must do; see struct wss_action for the fields each uses. */
enum wss_action_kind {
    WSS_ACT_OPEN = 1,      /* open the server socket (url and protocols are the host's) */
    WSS_ACT_SEND = 2,      /* send payload `handle` on the socket, then forget it */
    WSS_ACT_RELEASE = 3,   /* forget payload `handle` without sending it */
    WSS_ACT_CLOSE = 4,     /* close the socket with code `a` and reason text */
    WSS_ACT_POST = 5,      /* post the control envelope `text` (JSON) on the bus */
    WSS_ACT_POST_DATA = 6, /* post server frames: first seq `a`, `b` handles at `text` (uint32 each) */
    WSS_ACT_TIMER = 7,     /* call wss_tick after `a` ms; replaces any armed timer; UINT32_MAX disarms */
    WSS_ACT_FLUSH = 8,     /* call wss_flush soon, after the frames already queued by the platform */
    WSS_ACT_WATCH = 9,     /* report through wss_tab_gone when tab `a` dies (its lock) */
    WSS_ACT_UNWATCH = 10,  /* stop watching tab `a` */
    WSS_ACT_LOG = 11,      /* a debug line in `text`; never carries a payload or a token */
    WSS_ACT_IDLE = 12,     /* no tab left and the socket is closed: the host may stop */
    WSS_ACT_DRAIN = 13     /* call wss_socket_drained once the socket buffers nothing
                            * (every frame sent so far passed to the network) */
};

/* One action. `text` points into the core's memory; `len` is its byte length. */
typedef struct wss_action {
    uint32_t kind;
    uint32_t a;
    uint32_t b;
    uint32_t handle;
    const char *text;
    uint32_t len;
} wss_action;

/* Allocation hooks for the core and for cJSON; NULL restores malloc/realloc/free. */
typedef struct wss_hooks {
    void *(*malloc_fn)(size_t size);
    void *(*realloc_fn)(void *ptr, size_t size);
    void (*free_fn)(void *ptr);
} wss_hooks;

/* Installs allocation hooks process-wide; call before creating any core. */
void wss_init_hooks(const wss_hooks *hooks);

/* Creates a core from a JSON config (may be NULL or empty for defaults). Keys:
 * maxQueuedBytes, maxQueuedFrames, maxMessageBytes, maxBatchFrames,
 * maxBatchBytes, tabTimeoutMs, leader (this leader's id), beatMs, locks, debug.
 * Stores the new core in *out, which the caller frees with wss_destroy.
 * Returns WSS_EINVAL for a config that is not an object or has a bad value. */
int wss_create(wss_core **out, const char *config_json, size_t len);

/* Frees the core and all it holds. Payload handles still held are simply
 * forgotten: the host drops its table with it. NULL is allowed. */
void wss_destroy(wss_core *core);

/* Starts the leader, once, after wss_create: it announces itself on the bus
 * (tabs that followed another leader introduce themselves again) and, when
 * config `beatMs` is set, arms the timer for its first beat. */
int wss_start(wss_core *core, double now_ms);

/* A control envelope (JSON text) arrived on the bus. Invalid or unknown
 * envelopes are counted in the stats and dropped; state is never harmed. */
int wss_bus_control(wss_core *core, const char *json, size_t len, double now_ms);

/* A tab posted `count` frames, numbered seq0, seq0+1, ...; the host has stored
 * their payloads under handles first_handle, first_handle+1, ... and their
 * byte lengths in `lens`. Every handle comes back exactly once, as a SEND or a
 * RELEASE action. `version` is the envelope's protocol version and `leader`
 * the leader id the tab addressed; frames for another leader are refused. */
int wss_tab_frames(wss_core *core, uint32_t version, uint32_t leader, uint32_t tab,
                   uint32_t seq0, uint32_t count, uint32_t first_handle,
                   const uint32_t *lens, double now_ms);

/* The tab's liveness lock was released: it closed, crashed or navigated away. */
int wss_tab_gone(wss_core *core, uint32_t tab, double now_ms);

/* The server socket opened with the given subprotocol and extensions. */
int wss_socket_opened(wss_core *core, const char *protocol, size_t protocol_len,
                      const char *extensions, size_t extensions_len, double now_ms);

/* The server sent a frame of `len` bytes, stored by the host under `handle`;
 * the handle comes back exactly once, inside a POST_DATA action (then the
 * host forgets it) or as a RELEASE action. */
int wss_socket_frame(wss_core *core, uint32_t handle, uint32_t len, int binary,
                     double now_ms);

/* The socket has passed every frame sent so far to the network (its
 * bufferedAmount is 0), as a DRAIN action asked to learn: the frames sent
 * until then are acknowledged to their tabs. */
int wss_socket_drained(wss_core *core, double now_ms);

/* The server socket closed (also after a failed open: code 1006). */
int wss_socket_closed(wss_core *core, uint32_t code, const char *reason, size_t reason_len,
                      int was_clean, double now_ms);

/* The timer armed by the last TIMER action fired. */
int wss_tick(wss_core *core, double now_ms);

/* The flush asked for by a FLUSH action is due: batched frames and acks go out. */
int wss_flush(wss_core *core, double now_ms);

/* The actions produced by the last call; *count receives how many. */
const wss_action *wss_actions(const wss_core *core, uint32_t *count);

/* The core's counters as a JSON object (text owned by the core). */
const char *wss_stats_json(wss_core *core);

/* A scratch buffer of at least `n` uint32 values for wss_tab_frames' lengths
 * (so a host without its own allocator can pass them); NULL when out of memory. */
uint32_t *wss_scratch(wss_core *core, uint32_t n);

/* The library's version string, e.g. "0.1.0". */
const char *wss_version(void);

#ifdef __cplusplus
}
#endif

#endif
