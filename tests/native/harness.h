/*
 * The native test harness: a tiny runner (tests are functions named as
 * sentences, listed in one table per file), a failing allocator for the
 * out-of-memory paths, and a fixture that drives one core with a fake clock,
 * snapshots the actions of every call and keeps the books on every handle.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cJSON.h"
#include "wsshare.h"

/* ---- the runner ---------------------------------------------------------- */

typedef struct test_case {
    const char *name;
    void (*fn)(void);
} test_case;

#define TEST_CASE(fn) {#fn, fn}
#define TEST_END {NULL, NULL}

/* Records a failure of the running test and prints it with its place. */
void check_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether the running test has failed so far. */
int test_failed(void);
/* Runs every test whose name contains `filter` (NULL: all); returns failures. */
int run_suites(const test_case *const *suites, const char *filter);

#define CHECK(c) \
    do { \
        if (!(c)) \
            check_fail(__FILE__, __LINE__, "%s", #c); \
    } while (0)

#define REQUIRE(c) \
    do { \
        if (!(c)) { \
            check_fail(__FILE__, __LINE__, "%s", #c); \
            return; \
        } \
    } while (0)

#define CHECK_EQ(x, y) \
    do { \
        long long x_ = (long long)(x); \
        long long y_ = (long long)(y); \
        if (x_ != y_) \
            check_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #x, #y, x_, y_); \
    } while (0)

#define CHECK_STR(x, y) \
    do { \
        const char *x_ = (x); \
        const char *y_ = (y); \
        if (x_ == NULL || y_ == NULL || strcmp(x_, y_) != 0) \
            check_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #x, #y, \
                       x_ ? x_ : "(null)", y_ ? y_ : "(null)"); \
    } while (0)

/* ---- a seeded generator for the randomised runs --------------------------- */

/* xorshift32: the next number from *state, which must start non-zero. */
uint32_t prng_next(uint32_t *state);
/* A number in [0, n) from *state; 0 when n is 0. */
uint32_t prng_below(uint32_t *state, uint32_t n);

/* ---- the failing allocator ------------------------------------------------ */

/* Installs counting hooks; allocation number `fail_at` (1-based; 0: none)
 * returns NULL, and so does every later one if `sticky`. */
void fa_install(long fail_at, int sticky);
/* Fails each allocation with probability 1/`one_in`, from a seeded PRNG. */
void fa_install_random(uint32_t seed, uint32_t one_in);
/* Keeps the counts; the `nth` allocation from now fails (and every later one if sticky). */
void fa_arm(long nth, int sticky);
/* Restores the default hooks. */
void fa_uninstall(void);
/* While paused, allocations (the harness's own) neither fail nor count as calls. */
void fa_pause(int paused);
long fa_failures(void); /* allocations refused since install */
long fa_live(void);     /* blocks allocated and not yet freed since install */

/* ---- one snapshot of the actions of a call -------------------------------- */

typedef struct act {
    uint32_t kind;
    uint32_t a;
    uint32_t b;
    uint32_t handle;
    uint32_t len;
    char *text;        /* POST, CLOSE, LOG: a NUL-terminated copy */
    uint32_t *handles; /* POST_DATA: a copy of its `b` handles, then its `b` targets */
    cJSON *json;       /* POST: the envelope, parsed */
} act;

typedef struct snap {
    act *items;
    uint32_t count;
    uint32_t cap;
} snap;

/* A field of a POST's envelope: a number (-1 when absent), a string (NULL), a bool (-1). */
long long act_num(const act *x, const char *key);
const char *act_str(const act *x, const char *key);
int act_bool(const act *x, const char *key);
/* The seq an ack envelope gives `tab`, -1 when it names no such tab. */
long long ack_for(const act *x, uint32_t tab);
/* How many [tab, seq] pairs an ack envelope carries. */
int ack_pairs(const act *x);

/* ---- the fixture: one core, a fake clock, a ledger of handles ------------- */

enum handle_state { H_UNKNOWN = 0, H_WITH_CORE, H_BACK };

typedef struct fx {
    wss_core *core;
    double now; /* the fake clock, passed as now_ms to every call */
    int rc;     /* the last call's result */
    snap acts;  /* the last call's actions */
    uint32_t next_handle;
    uint32_t first;  /* the first handle of the last frames call */
    uint8_t *ledger; /* enum handle_state per handle */
    uint32_t ledger_cap;
    uint32_t leader; /* the leader id that fx_frames addresses (0 by default) */
    char **texts;    /* the text of each handle given as text, or made by the core */
    uint32_t ntexts;
    struct made {
        uint32_t handle;
        uint8_t state; /* enum handle_state */
        char *text;
    } *made;         /* payloads the core made (PAYLOAD actions) */
    uint32_t nmade;
} fx;

/* Creates the core (config may be NULL); returns wss_create's result. Unless
 * the config names them, its core acknowledges at the drain (ackDelayMs 0)
 * and makes a lost socket again (reconnect true), as most suites expect. */
int fx_open(fx *f, const char *config);
/* fx_open without the reconnect: the defaults of a core with no opt-in. */
int fx_open_bare(fx *f, const char *config);
/* Destroys the core and the snapshot. */
void fx_close(fx *f);
/* Handles given to the core that have not come back. */
uint32_t fx_held(const fx *f);

void fx_advance(fx *f, double ms);

int fx_begin(fx *f); /* wss_start */
int fx_control(fx *f, const char *json);
int fx_control_len(fx *f, const char *json, size_t len);
int fx_hello(fx *f, uint32_t tab, uint32_t next);
int fx_bye(fx *f, uint32_t tab);
int fx_ping(fx *f, uint32_t tab);
int fx_stats_query(fx *f, uint32_t tab, uint32_t id);
/* `count` frames of `lens` bytes (NULL: 10 bytes each), under fresh handles. */
int fx_frames(fx *f, uint32_t tab, uint32_t seq0, uint32_t count, const uint32_t *lens);
int fx_frames_v(fx *f, uint32_t version, uint32_t tab, uint32_t seq0, uint32_t count,
                const uint32_t *lens);
int fx_gone(fx *f, uint32_t tab);
int fx_opened(fx *f, const char *protocol, const char *extensions);
/* One server frame under a fresh handle (left in f->first). */
int fx_server(fx *f, uint32_t len);
/* Text frames, passed with their bytes as a host does when the core wants them. */
int fx_texts(fx *f, uint32_t tab, uint32_t seq0, uint32_t count, const char *const *texts);
int fx_text(fx *f, uint32_t tab, uint32_t seq, const char *text);
/* A binary frame of `len` bytes, passed as a host does when the core wants text. */
int fx_binary(fx *f, uint32_t tab, uint32_t seq, uint32_t len);
/* A kept frame a tab sends again to this leader, with its mark. */
int fx_restore(fx *f, uint32_t tab, uint32_t seq, uint32_t mark, const char *text);
/* A server text frame, passed with its bytes. */
int fx_server_text(fx *f, const char *text);
/* fx_text, fx_restore_raw and fx_server_text for texts of len bytes, NULs among them
 * (the log shows each up to its first NUL). */
int fx_text_n(fx *f, uint32_t tab, uint32_t seq, const char *text, size_t len);
int fx_restore_n(fx *f, uint32_t tab, double seq, double mark, const char *text, size_t len);
int fx_server_text_n(fx *f, const char *text, size_t len);
/* The text of payload `handle` (given as text, or made by the core), or NULL. */
const char *fx_payload(const fx *f, uint32_t handle);
/* The texts the last call's POST_DATA actions carry to `tab` (targeted to it
 * or to every tab), joined by '\n'; "" when none. */
const char *fx_delivered(const fx *f, uint32_t tab);
/* The texts the last call's SEND actions carry, joined by '\n'. */
const char *fx_sent(const fx *f);
/* Made payloads that never came back. */
uint32_t fx_made_held(const fx *f);
int fx_closed(fx *f, uint32_t code, const char *reason, int clean);
int fx_online(fx *f);
int fx_tick(fx *f);
/* A batch with the numbers as the bus carried them (any JS number). */
int fx_frames_raw(fx *f, double version, double leader, double tab, double seq0,
                  uint32_t count, const uint32_t *lens);
/* A kept frame with its number and mark as the bus carried them. */
int fx_restore_raw(fx *f, uint32_t tab, double seq, double mark, const char *text);
/* A post the host could not pass on. */
int fx_unreadable(fx *f);
/* The socket reports its bufferedAmount: fx_drained, nothing left in it. */
int fx_drained(fx *f);
int fx_buffered(fx *f, double amount);
int fx_flush(fx *f);

/* Hello from `tab` (next 1), the socket opened, the flush done: the usual start. */
void fx_start(fx *f, uint32_t tab);

/* The nth (0-based) action of `kind`, or NULL. */
const act *fx_nth(const fx *f, uint32_t kind, int nth);
/* The nth (0-based) POST whose envelope has t == type, or NULL. */
const act *fx_post(const fx *f, const char *type, int nth);
/* How many actions of `kind` the last call gave. */
int fx_count(const fx *f, uint32_t kind);

/* The last call's actions as one line, e.g. "WATCH:7 POST:welcome OPEN". */
const char *fx_describe(const fx *f);
void check_acts(const char *file, int line, const fx *f, const char *expected);
#define CHECK_ACTS(f, expected) check_acts(__FILE__, __LINE__, (f), (expected))

/* The core's stats, parsed (free with cJSON_Delete); a counter by dotted path. */
cJSON *fx_stats(fx *f);
long long fx_stat(fx *f, const char *path);

#endif
