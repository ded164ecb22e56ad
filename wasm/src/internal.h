/*
 * Internal types shared by the core's modules. Nothing here is public: the
 * host sees only wsshare.h.
 */
#ifndef WSS_INTERNAL_H
#define WSS_INTERNAL_H

#include <stdarg.h>

#include "profile.h"
#include "wsshare.h"

/* The version comes from package.json, through the build (-D). */
#ifndef WSS_VERSION_STRING
#error "WSS_VERSION_STRING must be defined by the build (the Makefile takes it from package.json)"
#endif

/* Compile-time limits; override with -D. */
#ifndef WSS_MAX_TABS
#define WSS_MAX_TABS 1024
#endif
#ifndef WSS_MAX_REASON_BYTES
#define WSS_MAX_REASON_BYTES 123
#endif
/* Close codes reconnect.stopOn may list. */
/* Subprotocols the tabs may ask for in one config (`protocols`). */
#ifndef WSS_MAX_PROTOCOLS
#define WSS_MAX_PROTOCOLS 32
#endif
#ifndef WSS_MAX_STOP_CODES
#define WSS_MAX_STOP_CODES 32
#endif
/* While bytes stay in the socket's buffer, the core asks for its level again
 * after 1 ms, then twice as long each time, up to this: a socket that is never
 * idle costs the host a look every few ms, and its acks come that much later. */
#ifndef WSS_DRAIN_POLL_MAX_MS
#define WSS_DRAIN_POLL_MAX_MS 16
#endif
/* How soon the core tries again to post what it owes after running out of memory. */
#ifndef WSS_OOM_RETRY_MS
#define WSS_OOM_RETRY_MS 50
#endif

void *wss_malloc(size_t size);
void *wss_realloc(void *ptr, size_t size);
void wss_free(void *ptr);
/* Makes an array of `size`-byte items hold at least `need` (doubling from 8);
 * *items and *cap change only on success. */
int wss_grow(void **items, uint32_t *cap, uint32_t need, size_t size);

/* ---- numbers.c ---- */
/* strtod for the JSON numbers the core reads (see numbers.c). */
double wss_strtod(const char *s, char **end);
/* d as printf's %.<prec>g would, for the numbers the core prints (numbers.c):
 * at most 31 bytes and a NUL. Returns the length. */
size_t wss_format_g(char out[32], double d, int prec);
/* sprintf for the formats cJSON uses (numbers.c); -1 for another. */
int wss_vformat(char *out, const char *f, va_list ap);

/* ---- config.c ---- */
typedef struct wss_reconnect {
    uint32_t min_delay;   /* ms: the shortest wait before a retry */
    uint32_t max_delay;   /* ms: the longest */
    double factor;        /* growth of the longest wait per retry, >= 1 */
    uint32_t max_retries; /* retries in a row before giving up; UINT32_MAX: no limit */
    uint32_t min_uptime;  /* ms a socket must stay open for the retry count to start over */
    uint32_t nstop;
    uint16_t stop_on[WSS_MAX_STOP_CODES]; /* close codes after which no retry is made */
} wss_reconnect;

typedef struct wss_config {
    uint32_t max_queued_bytes;  /* outbound bytes held while the socket is not open */
    uint32_t max_queued_frames; /* outbound frames held while the socket is not open */
    uint32_t max_message_bytes; /* largest frame a tab may send */
    uint32_t max_batch_frames;  /* server frames per bus post before an early post */
    uint32_t max_batch_bytes;   /* server bytes per bus post before an early post */
    uint32_t tab_timeout_ms;    /* silence after which a tab is dropped; 0: never */
    uint32_t leader;            /* this leader's id, in every envelope it posts */
    uint32_t beat_ms;           /* interval of the leader's beats; 0: none */
    uint32_t ack_delay_ms;      /* acks wait this long after the socket drained */
    int locks;                  /* the host learns of a tab's end from its Web Lock */
    int open_at_start;          /* a tab is on its way: open the socket in wss_start */
    int debug;
    uint32_t seed;              /* seeds the retry jitter; the host picks it at random */
    int profile;                /* enum profile_kind: the protocol the core knows */
    int resume;                 /* the app opted into the transparent reconnect */
    wss_reconnect reconnect;
} wss_config;

/* How a config key's value is read: a whole number in [min, max], a flag, the
 * backoff factor (a number in [min, max]); the kinds after CFG_FACTOR are
 * read by hand in config.c: a profile's name, a list of subprotocols, the
 * reconnect switch or object, a list of close codes each in [min, max]. */
enum config_kind { CFG_WHOLE, CFG_FLAG, CFG_FACTOR, CFG_NAME, CFG_NAMES, CFG_SWITCH, CFG_CODES };

/* One row of the table of config keys (config.c): the one place that says
 * what each key defaults to and which values it takes. */
typedef struct config_key {
    const char *name;   /* "reconnect.x" for key x of the reconnect object */
    uint16_t offset;    /* where in wss_config, for the first three kinds */
    uint16_t kind;      /* enum config_kind */
    uint32_t def, min, max; /* whole numbers all, the factor's too */
    const char *text;   /* the default of a key read by hand, as wsshare.h writes it */
} config_key;

extern const config_key config_keys[];
extern const size_t config_nkeys;

/* Fills *cfg with every key's default. */
void config_defaults(wss_config *cfg);
int config_parse(wss_config *cfg, const char *json, size_t len);

/* ---- actions.c ---- */
typedef struct action_buf {
    wss_action *items;
    uint32_t count;
    uint32_t cap;
    char **texts; /* owned strings referenced by items, freed on reset */
    uint32_t ntexts;
    uint32_t texts_cap;
} action_buf;

/* Makes room for n more actions (and n texts) so pushes cannot fail. */
int actions_reserve(action_buf *buf, uint32_t n);
/* Makes the buffer hold at least n actions (and n texts) from empty; the room
 * is never given back, so a later call that fits in it cannot fail. */
int actions_keep_room(action_buf *buf, uint32_t n);
/* Appends an action; fails only when no room was reserved and growth fails. */
int actions_push(action_buf *buf, uint32_t kind, uint32_t a, uint32_t b, uint32_t handle);
/* Appends an action carrying text; takes ownership of `text` (freed on reset),
 * and frees it at once if the push fails. */
int actions_push_text(action_buf *buf, uint32_t kind, uint32_t a, uint32_t b, char *text,
                      size_t len);
/* Appends an action whose text the core keeps elsewhere (not freed on reset). */
int actions_push_ref(action_buf *buf, uint32_t kind, uint32_t a, uint32_t b, const char *text,
                     size_t len);
void actions_reset(action_buf *buf);
void actions_free(action_buf *buf);

/* ---- tabs.c ---- */
typedef struct wss_tab {
    uint32_t id;
    uint32_t next_seq;  /* next frame number expected from this tab */
    uint32_t accepted;  /* frames up to this number were accepted by an earlier
                         * leader: their re-sends bypass the queue bounds */
    uint32_t done;      /* highest frame number handed to the socket (or refused) */
    uint32_t acked;     /* highest frame number done and confirmed: the socket
                         * passed every byte sent up to it to the network,
                         * cfg.ack_delay_ms ago */
    int ack_dirty;      /* acked moved since the last ack envelope */
    uint32_t queued;    /* frames of this tab in the outbound queue; kept so a
                         * refusal need not scan a full queue per frame */
    uint32_t prior;     /* frames up to this number were posted to an earlier
                         * leader, which may have handled them: a profile sees
                         * them as replays */
    int profiled;       /* a profile took frames of this tab: it, not a re-send,
                         * answers for them when the socket is lost */
    double last_seen;
} wss_tab;

typedef struct tab_table {
    wss_tab *items;
    uint32_t count;
    uint32_t cap;
} tab_table;

wss_tab *tabs_find(tab_table *t, uint32_t id);
/* Adds a tab; NULL when out of memory or the table is full. */
wss_tab *tabs_add(tab_table *t, uint32_t id, uint32_t next_seq, double now);
void tabs_remove(tab_table *t, uint32_t id);
void tabs_free(tab_table *t);

/* ---- queue.c ---- */
typedef struct qframe {
    uint32_t tab;
    uint32_t seq;
    uint32_t handle;
    uint32_t len;
    int replay; /* a re-send of a frame an earlier leader accepted */
} qframe;

/* FIFO of tab frames waiting for the socket to open. */
typedef struct frame_queue {
    qframe *items;
    uint32_t head;
    uint32_t count;
    uint32_t cap; /* a power of two */
    uint64_t bytes;
    uint32_t replays; /* how many of the frames are re-sends, kept outside the bounds */
    uint64_t replay_bytes;
} frame_queue;

int queue_push(frame_queue *q, const qframe *f);
/* Removes the oldest frame into *out; 0 when empty. */
int queue_pop(frame_queue *q, qframe *out);
void queue_free(frame_queue *q);

/* ---- sent.c ---- */
/* A tab frame done with while the socket may still buffer bytes sent before
 * it (or its own): acknowledged once the socket passed byte `end` on. */
typedef struct sent_mark {
    uint64_t end;  /* bytes handed to the socket up to and with this frame */
    double ack_at; /* once drained: when it is acknowledged */
    uint32_t tab;
    uint32_t seq;
} sent_mark;

/* The frames between the socket and their acks, oldest first: those from
 * `head` to `head + drained` have left the socket and wait for their ack_at
 * (later ones never earlier), the rest are still in its buffer. */
typedef struct sent_log {
    sent_mark *items;
    uint32_t head;
    uint32_t count; /* marks from head on */
    uint32_t cap;
    uint32_t drained;
    uint64_t bytes;      /* handed to this socket since it opened */
    uint64_t left;       /* of those, gone from its buffer, as last reported */
} sent_log;

/* Makes room for `n` marks beyond those held, so that the next n appends
 * cannot fail; the room is never given back. */
int sent_reserve(sent_log *s, uint32_t n);
/* Appends a mark (room must have been reserved). */
void sent_append(sent_log *s, const sent_mark *m);
void sent_clear(sent_log *s);
void sent_free(sent_log *s);

/* ---- fanout.c ---- */
/* Server frames gathered for the next bus post. */
typedef struct fanout {
    uint32_t *handles; /* cap handles, then cap targets (the tab each goes to; 0: all) */
    uint32_t count;
    uint32_t cap;
    uint32_t bytes;
    uint32_t seq0; /* sequence number of handles[0] */
    uint32_t *posted; /* the last post's handles then targets, kept alive for its action */
    uint32_t posted_cap;
    int targeted;     /* a frame of the batch goes to one tab only */
} fanout;

/* Gathers a frame for tab `to` (0: every tab). */
int fanout_add(fanout *f, uint32_t handle, uint32_t len, uint32_t seq, uint32_t to);
/* Moves the gathered handles into f->posted, laid out as count handles then
 * count targets; returns their count. */
uint32_t fanout_take(fanout *f);
void fanout_free(fanout *f);

/* ---- backoff.c ---- */
typedef struct backoff {
    uint32_t rng;     /* PRNG state, never 0 */
    uint32_t attempt; /* retries made since the socket last stayed open min_uptime */
} backoff;

/* Seeds the jitter and starts the count over. */
void backoff_seed(backoff *b, uint32_t seed);
/* The longest wait of retry `attempt` (1-based): min(max_delay, min_delay * factor^attempt). */
uint32_t backoff_ceiling(const wss_reconnect *rc, uint32_t attempt);
/* Counts one more retry and returns its wait in ms, in [min_delay, its ceiling]. */
uint32_t backoff_next(backoff *b, const wss_reconnect *rc);

/* ---- bus.c ---- */
enum envelope_type {
    ENV_HELLO = 1,
    ENV_BYE,
    ENV_PING,
    ENV_STATS_QUERY
};

typedef struct envelope {
    int type;
    uint32_t tab;
    uint32_t next; /* hello: the first frame number the tab will send */
    uint32_t last; /* hello: the last number it gave a frame so far; 0: none */
    uint32_t posted; /* hello: the last number it posted to any leader; 0: none */
    uint32_t id;   /* stats query: the request id to echo */
    uint32_t leader; /* the leader addressed; 0: whichever leads */
} envelope;

/* Reject reasons, each counted in the stats. */
enum reject_reason {
    REJ_MALFORMED = 0,
    REJ_VERSION,
    REJ_TYPE,
    REJ_SIZE,
    REJ_UNKNOWN_TAB,
    REJ_REPLAY,
    REJ_OTHER_LEADER,
    REJ_ID,
    REJ_COUNT
};

struct cJSON;
/* A JSON number that is a whole number in [min, UINT32_MAX], into *out; else WSS_EINVAL. */
int json_u32(const struct cJSON *item, uint32_t min, uint32_t *out);

/* Decodes and validates an envelope; on failure returns a negative rc and sets *why. */
int bus_decode(const char *json, size_t len, envelope *env, int *why);

/* Encoders: each returns a new string (freed with wss_free) or NULL. Every
 * envelope carries the id of the leader that posts it. */
/* `resume`: a lost connection is made again without the tabs seeing it
 * (a profile or the app's opt-in); otherwise a tab closes with it. */
char *bus_welcome(uint32_t leader, uint32_t tab, const char *state, const char *protocol,
                  const char *extensions, uint32_t seq, uint32_t acked, int resume);
char *bus_open(uint32_t leader, const char *protocol, const char *extensions, uint32_t seq,
               int resume);
char *bus_reconnecting(uint32_t leader, uint32_t attempt, uint32_t delay);
/* To every tab, or to tab `tab` alone when it is not 0. */
char *bus_close(uint32_t leader, uint32_t tab, uint32_t code, const char *reason, int was_clean);
char *bus_gone(uint32_t leader, uint32_t tab);
char *bus_rehello(uint32_t leader, uint32_t tab);
char *bus_resend(uint32_t leader, uint32_t tab, uint32_t from);
char *bus_error(uint32_t leader, uint32_t tab, uint32_t seq, const char *code,
                const char *message);
/* Acks of the tabs marked dirty, and the notes: (tab, seq, mark) triples
 * that tell a tab to keep a frame with that mark, or to forget it (mark
 * NOTE_FORGET). */
#define NOTE_FORGET UINT32_MAX
char *bus_acks(uint32_t leader, const tab_table *tabs, const uint32_t *notes, uint32_t nnotes);
char *bus_stats(uint32_t leader, uint32_t tab, uint32_t id, const char *stats_json);
char *bus_leader(uint32_t leader);
char *bus_beat(uint32_t leader);

/* ---- stats.c ---- */
typedef struct wss_stats {
    double started_ms;
    uint64_t frames_to_server;
    uint64_t bytes_to_server;
    uint64_t frames_from_server;
    uint64_t bytes_from_server;
    uint64_t control_posts;
    uint64_t data_posts;
    uint64_t duplicates;
    uint64_t errors;
    uint64_t opens;
    uint64_t reconnects;
    uint64_t tabs_joined;
    uint64_t tabs_left;
    uint64_t tabs_lost;
    uint64_t oom;
    uint64_t rejected[REJ_COUNT];
} wss_stats;

/* ---- core.c ---- */
/* WAITING: the socket was lost and a retry is due at retry_at. */
enum socket_state { SOCK_IDLE = 0, SOCK_CONNECTING, SOCK_OPEN, SOCK_CLOSING, SOCK_WAITING };

/* Envelopes the tabs must not miss, owed when memory ran out as they were
 * due; the core posts them at its next call (and arms a timer for that). */
enum owed_post { OWE_OPEN = 1, OWE_RECONNECTING = 2, OWE_CLOSE = 4, OWE_ACKS = 8 };

struct wss_core {
    wss_config cfg;
    action_buf actions;
    tab_table tabs;
    frame_queue queue;
    fanout out;
    wss_stats stats;
    int sock;
    int flush_pending;
    sent_log sent;       /* what the socket was given, and what left it */
    int drain_requested; /* a DRAIN action is out, not yet answered */
    uint32_t drain_wait; /* ms the last DRAIN asked the host to wait */
    uint32_t next_down_seq;
    double armed_deadline; /* the deadline the host's timer is set for; 0: none */
    double next_beat;      /* when the next beat is due; 0: beats are off */
    double now;
    backoff retry;
    double retry_at;   /* WAITING: when the next attempt is due */
    uint32_t retry_delay; /* the wait the last reconnecting envelope announced */
    double opened_at;  /* OPEN: since when */
    uint32_t open_seq; /* the open envelope's first server frame number */
    int owed;          /* enum owed_post bits */
    double owed_at;    /* when to try the owed posts again */
    uint32_t close_code;
    int close_clean;
    char close_reason[WSS_MAX_REASON_BYTES + 1];
    char protocol[128];
    char extensions[256];
    char *stats_text;
    uint32_t *scratch;
    uint32_t scratch_cap;
    profile *prof;       /* NULL: frames are broadcast as they come */
    prof_io io;          /* what the profile may ask of the core */
    int prof_active;     /* the profile took a frame: server frames go through it */
    uint32_t next_made;  /* the next handle for a payload the core makes */
    uint32_t *notes;     /* keep and forget notes for the next ack envelope */
    uint32_t nnotes;     /* triples in notes */
    uint32_t notes_cap;  /* triples the array holds */
    double prof_wake_at; /* when the profile asked to be woken; 0: not at all */
    uint32_t *closing;   /* tabs a profile closed, let go once it returns */
    uint32_t nclosing;
    uint32_t closing_cap;
};

char *stats_print(const wss_core *core);

/* ---- stats.c, for every stats object of the core ---- */
typedef struct stat_num {
    const char *key;
    double value;
} stat_num;

/* Adds the counters and a "rejected" object of counts per reason to obj
 * (NULL, or `ok` 0 when adding to it failed already), prints it and frees
 * obj; the text is the caller's (wss_free), NULL when anything failed. */
char *stats_json(struct cJSON *obj, int ok, const stat_num *nums, size_t n,
                 const char *const *reasons, const uint64_t *rejected, size_t nrej);

#endif
