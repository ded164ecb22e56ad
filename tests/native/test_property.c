/*
 * A small property test: long seeded-random runs of every event the core
 * takes, with tabs that behave like shared-websocket.js (and a bus that drops
 * and duplicates batches), checked after every call:
 *   - every handle comes back exactly once, as SEND, RELEASE or in a POST_DATA;
 *   - each tab's frames reach the server once each, in seq order, with no hole
 *     but the ones refused with an error envelope;
 *   - an ack never covers a frame not yet sent or refused, nor one sent that the
 *     socket has not drained since, and never goes back;
 *   - server frames are posted in arrival order, numbered without a gap, and
 *     every welcome and open envelope names the next number;
 *   - a lost socket is retried (reconnecting, within the backoff's bounds, a
 *     timer, OPEN) or given up (close) as the reconnect settings say.
 * The same runs under random allocation failures, where an error or an ack
 * envelope may be lost, still return every handle once, send each tab's
 * frames once and in order, number the server's frames right, and leak nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

#define MAX_TABS 64
#define MAX_ALIVE 4
#define SEQ_SPAN 4096
#define STEPS 300
#define SEEDS 40

enum sock_state { S_NONE, S_CONNECTING, S_OPEN, S_CLOSING };

/* What became of a tab's frame: an ack may cover only SAFE and REFUSED ones. */
enum fate { F_NONE, F_SENT, F_SAFE, F_REFUSED, F_LOST };

typedef struct sim_tab {
    uint32_t id;
    int alive;       /* may still act */
    int welcomed;    /* the core welcomed it */
    uint32_t start;  /* the first seq it numbered */
    uint32_t assigned; /* the next seq a new frame gets */
    uint32_t tx;     /* the next seq it will transmit */
    uint32_t last_sent;
    uint32_t resent_from; /* the lowest seq the core asked for again (0: never) */
    long long last_ack;
    uint8_t handled[SEQ_SPAN]; /* enum fate: sent to the server or refused */
} sim_tab;

typedef struct sim {
    fx f;
    uint32_t rng;
    int strict; /* every promise, not only those kept under allocation failures */
    sim_tab tabs[MAX_TABS];
    uint32_t ntabs;
    int sock;
    int flush_wanted;
    int drain_wanted;
    double timer_at; /* 0: none */
    uint32_t down_seq; /* the number the next posted server frame must have */
    uint32_t *fifo;    /* server handles the core holds, oldest first */
    uint32_t fifo_head;
    uint32_t fifo_count;
    uint32_t fifo_cap;
    uint32_t *h_tab; /* per handle: the tab of a tab frame, 0 for a server frame */
    uint32_t *h_seq;
    uint32_t h_cap;
    long sends;
    long data_posts;
    long errors;
    long acks;
    long retries;
    long give_ups;
} sim;

static sim_tab *tab_by_id(sim *s, uint32_t id)
{
    uint32_t i;

    for (i = 0; i < s->ntabs; i++)
        if (s->tabs[i].id == id)
            return &s->tabs[i];
    return NULL;
}

static sim_tab *random_alive(sim *s)
{
    uint32_t i;
    uint32_t n = 0;
    uint32_t pick;

    for (i = 0; i < s->ntabs; i++)
        n += s->tabs[i].alive != 0;
    if (n == 0)
        return NULL;
    pick = prng_below(&s->rng, n);
    for (i = 0; i < s->ntabs; i++)
        if (s->tabs[i].alive && pick-- == 0)
            return &s->tabs[i];
    return NULL;
}

static void note_handles(sim *s, uint32_t first, uint32_t count, uint32_t tab, uint32_t seq0)
{
    uint32_t i;

    if (first + count > s->h_cap) {
        uint32_t cap = (first + count) * 2;

        s->h_tab = realloc(s->h_tab, cap * sizeof(uint32_t));
        s->h_seq = realloc(s->h_seq, cap * sizeof(uint32_t));
        s->h_cap = cap;
    }
    for (i = 0; i < count; i++) {
        s->h_tab[first + i] = tab;
        s->h_seq[first + i] = seq0 + i;
    }
}

static void fifo_push(sim *s, uint32_t h)
{
    if (s->fifo_count == s->fifo_cap) {
        uint32_t cap = s->fifo_cap ? s->fifo_cap * 2 : 64;
        uint32_t *p = malloc(cap * sizeof(uint32_t));
        uint32_t i;

        for (i = 0; i < s->fifo_count; i++)
            p[i] = s->fifo[(s->fifo_head + i) % s->fifo_cap];
        free(s->fifo);
        s->fifo = p;
        s->fifo_head = 0;
        s->fifo_cap = cap;
    }
    s->fifo[(s->fifo_head + s->fifo_count++) % s->fifo_cap] = h;
}

static uint32_t fifo_at(const sim *s, uint32_t i)
{
    return s->fifo[(s->fifo_head + i) % s->fifo_cap];
}

static void retire(sim *s, uint32_t id)
{
    sim_tab *t = tab_by_id(s, id);

    if (t != NULL) {
        t->alive = 0;
        t->welcomed = 0;
    }
}

static int handled(const sim_tab *t, uint32_t seq)
{
    return seq >= t->start && seq - t->start < SEQ_SPAN && t->handled[seq - t->start];
}

static void mark_handled(sim_tab *t, uint32_t seq, const char *how, uint8_t fate)
{
    if (seq < t->start || seq - t->start >= SEQ_SPAN) {
        check_fail(__FILE__, __LINE__, "tab %u: %s of seq %u it never sent", t->id, how, seq);
        return;
    }
    /* A frame lost with its socket (or refused just before the loss, the core
     * cannot tell) is asked for again, and then handled again. */
    if (t->handled[seq - t->start] &&
        !(t->resent_from != 0 && seq >= t->resent_from &&
          (t->handled[seq - t->start] == F_LOST || t->handled[seq - t->start] == F_REFUSED)))
        check_fail(__FILE__, __LINE__, "tab %u: seq %u handled twice (now %s)", t->id, seq, how);
    t->handled[seq - t->start] = fate;
}

/* The socket drained (every SENT frame is SAFE) or closed (every one LOST). */
static void settle_sent(sim *s, uint8_t fate)
{
    uint32_t i;
    uint32_t k;

    for (i = 0; i < s->ntabs; i++)
        for (k = 0; k < SEQ_SPAN; k++)
            if (s->tabs[i].handled[k] == F_SENT)
                s->tabs[i].handled[k] = fate;
}

static void on_send(sim *s, uint32_t h)
{
    sim_tab *t = h < s->h_cap && s->h_tab[h] != 0 ? tab_by_id(s, s->h_tab[h]) : NULL;
    uint32_t seq;
    uint32_t k;

    if (t == NULL) {
        check_fail(__FILE__, __LINE__, "SEND of handle %u, which is no tab's frame", h);
        return;
    }
    seq = s->h_seq[h];
    s->sends++;
    if (seq <= t->last_sent)
        check_fail(__FILE__, __LINE__, "tab %u: seq %u sent after seq %u", t->id, seq,
                   t->last_sent);
    if (s->strict)
        for (k = t->start; k < seq; k++)
            if (!handled(t, k)) {
                check_fail(__FILE__, __LINE__, "tab %u: seq %u sent before seq %u", t->id, seq, k);
                break;
            }
    mark_handled(t, seq, "SEND", F_SENT);
    t->last_sent = seq;
}

static void on_ack(sim *s, const act *x)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(x->json, "a");
    int n = cJSON_GetArraySize(list);
    int i;

    s->acks++;
    for (i = 0; i + 1 < n; i += 2) {
        uint32_t id = (uint32_t)cJSON_GetArrayItem(list, i)->valuedouble;
        long long seq = (long long)cJSON_GetArrayItem(list, i + 1)->valuedouble;
        sim_tab *t = tab_by_id(s, id);
        uint32_t k;

        if (t == NULL) {
            check_fail(__FILE__, __LINE__, "ack for tab %u that never was", id);
            continue;
        }
        if (seq < t->last_ack)
            check_fail(__FILE__, __LINE__, "tab %u: ack went back from %lld to %lld", id,
                       t->last_ack, seq);
        for (k = t->start; (long long)k <= seq; k++) {
            uint8_t fate = k - t->start < SEQ_SPAN ? t->handled[k - t->start] : F_NONE;

            if (fate != F_SAFE && fate != F_REFUSED) {
                check_fail(__FILE__, __LINE__, "tab %u: ack %lld covers seq %u, %s", id, seq, k,
                           fate == F_SENT   ? "sent but not drained"
                           : fate == F_LOST ? "lost with its socket"
                                            : "not yet sent");
                break;
            }
        }
        t->last_ack = seq;
    }
}

static void on_post(sim *s, const act *x)
{
    const char *type = act_str(x, "t");
    sim_tab *t = tab_by_id(s, (uint32_t)act_num(x, "tab"));

    if (type == NULL) {
        check_fail(__FILE__, __LINE__, "a POST that is no envelope: %s", x->text);
        return;
    }
    if (strcmp(type, "welcome") == 0 || strcmp(type, "open") == 0) {
        if (act_num(x, "seq") != s->down_seq)
            check_fail(__FILE__, __LINE__, "%s names seq %lld, the next is %u", type,
                       act_num(x, "seq"), s->down_seq);
        if (t != NULL && strcmp(type, "welcome") == 0) {
            t->welcomed = 1;
            if (s->strict && act_num(x, "acked") < t->last_ack)
                check_fail(__FILE__, __LINE__, "welcome acks %lld after %lld",
                           act_num(x, "acked"), t->last_ack);
        }
    } else if (strcmp(type, "ack") == 0) {
        if (s->strict)
            on_ack(s, x);
    } else if (strcmp(type, "error") == 0) {
        const char *code = act_str(x, "code");

        s->errors++;
        if (code == NULL || (strcmp(code, "too_big") != 0 && strcmp(code, "queue_full") != 0 &&
                             strcmp(code, "out_of_memory") != 0))
            check_fail(__FILE__, __LINE__, "error code %s", code ? code : "(none)");
        if (t != NULL)
            mark_handled(t, (uint32_t)act_num(x, "seq"), "error", F_REFUSED);
    } else if (strcmp(type, "resend") == 0) {
        uint32_t from = (uint32_t)act_num(x, "from");

        if (t != NULL && t->alive) {
            t->tx = from;
            if (t->resent_from == 0 || from < t->resent_from)
                t->resent_from = from;
            if (t->last_sent >= from)
                t->last_sent = from - 1;
        }
    } else if (strcmp(type, "gone") == 0) {
        retire(s, (uint32_t)act_num(x, "tab"));
    } else if (strcmp(type, "reconnecting") == 0) {
        long long attempt = act_num(x, "attempt");
        long long delay = act_num(x, "delay");

        s->retries++;
        if (s->sock != S_NONE)
            check_fail(__FILE__, __LINE__, "reconnecting while a socket is in state %d", s->sock);
        if (attempt < 1 || attempt > 2 || delay < 100 || delay > 2000)
            check_fail(__FILE__, __LINE__, "retry %lld waits %lld ms", attempt, delay);
    } else if (strcmp(type, "close") == 0) {
        uint32_t i;

        s->give_ups++;
        for (i = 0; i < s->ntabs; i++)
            retire(s, s->tabs[i].id);
    }
}

/* Checks and applies the last call's actions; `server` is the handle of a
 * server frame given in this call (0: none). */
static void settle(sim *s, uint32_t server)
{
    const fx *f = &s->f;
    uint32_t i;
    uint32_t j;
    int server_back = 0;

    for (i = 0; i < f->acts.count; i++) {
        const act *x = &f->acts.items[i];

        switch (x->kind) {
        case WSS_ACT_SEND:
            on_send(s, x->handle);
            break;
        case WSS_ACT_RELEASE:
            if (x->handle < s->h_cap && s->h_tab[x->handle] == 0) {
                if (x->handle != server)
                    check_fail(__FILE__, __LINE__, "released server frame %u out of turn",
                               x->handle);
                else
                    server_back = 1;
            }
            break;
        case WSS_ACT_POST_DATA:
            s->data_posts++;
            if (x->a != s->down_seq)
                check_fail(__FILE__, __LINE__, "POST_DATA from seq %u, expected %u", x->a,
                           s->down_seq);
            for (j = 0; j < x->b; j++) {
                if (j >= s->fifo_count || x->handles[j] != fifo_at(s, j)) {
                    check_fail(__FILE__, __LINE__, "POST_DATA handle %u out of order", j);
                    break;
                }
            }
            if (x->b <= s->fifo_count) {
                s->fifo_head = (s->fifo_head + x->b) % (s->fifo_cap ? s->fifo_cap : 1);
                s->fifo_count -= x->b;
            }
            s->down_seq = x->a + x->b;
            break;
        case WSS_ACT_POST:
            on_post(s, x);
            break;
        case WSS_ACT_OPEN:
            if (s->sock != S_NONE)
                check_fail(__FILE__, __LINE__, "OPEN while a socket is in state %d", s->sock);
            s->sock = S_CONNECTING;
            break;
        case WSS_ACT_CLOSE:
            if (s->sock != S_CONNECTING && s->sock != S_OPEN)
                check_fail(__FILE__, __LINE__, "CLOSE with no socket (%d)", s->sock);
            if (x->a != 1000)
                check_fail(__FILE__, __LINE__, "CLOSE with code %u", x->a);
            s->sock = S_CLOSING;
            break;
        case WSS_ACT_FLUSH:
            s->flush_wanted = 1;
            break;
        case WSS_ACT_DRAIN:
            s->drain_wanted = 1;
            break;
        case WSS_ACT_TIMER:
            s->timer_at = x->a == UINT32_MAX ? 0 : f->now + x->a;
            break;
        case WSS_ACT_IDLE:
            if (s->sock != S_NONE)
                check_fail(__FILE__, __LINE__, "IDLE with a socket in state %d", s->sock);
            break;
        default:
            break;
        }
    }
    /* A server frame released, or not taken for lack of memory, is not the core's. */
    if (server != 0 && (server_back || f->rc == WSS_ENOMEM))
        s->fifo_count--;
}

/* The tab transmits [from, to) as one batch, under fresh handles. */
static void transmit(sim *s, sim_tab *t, uint32_t from, uint32_t to)
{
    uint32_t lens[16];
    uint32_t i;
    uint32_t n = to - from;

    if (to <= from || n > 16)
        return;
    for (i = 0; i < n; i++)
        lens[i] = prng_below(&s->rng, 12) == 0 ? 300 : 1 + prng_below(&s->rng, 100);
    note_handles(s, s->f.next_handle, n, t->id, from);
    fx_frames(&s->f, t->id, from, n, lens);
    settle(s, 0);
}

static void tab_sends(sim *s, sim_tab *t)
{
    uint32_t k = 1 + prng_below(&s->rng, 6);
    uint32_t from = t->tx;
    uint32_t to;
    uint32_t lost;

    if (t->assigned + k - t->start >= SEQ_SPAN)
        return;
    t->assigned += k;
    to = t->assigned - from > 16 ? from + 16 : t->assigned;
    /* Now and then the first frame of the batch is lost on the way. */
    lost = prng_below(&s->rng, 10) == 0 && to - from > 1;
    t->tx = to;
    transmit(s, t, from + lost, to);
}

static void server_frame(sim *s)
{
    uint32_t h = s->f.next_handle;

    note_handles(s, h, 1, 0, 0);
    fifo_push(s, h);
    fx_server(&s->f, 1 + prng_below(&s->rng, 300));
    settle(s, h);
}

static void socket_closed(sim *s, uint32_t code, int clean)
{
    s->sock = S_NONE;
    /* The host stops waiting for a drain that cannot come. */
    s->drain_wanted = 0;
    settle_sent(s, F_LOST);
    fx_closed(&s->f, code, code == 1000 ? "" : "server went away", clean);
    settle(s, 0);
}

static void step(sim *s)
{
    uint32_t r = prng_below(&s->rng, 100);
    sim_tab *t = random_alive(s);
    char buf[96];

    if (r < 10) {
        uint32_t alive = 0;
        uint32_t i;

        for (i = 0; i < s->ntabs; i++)
            alive += s->tabs[i].alive != 0;
        if (alive < MAX_ALIVE && s->ntabs < MAX_TABS) {
            sim_tab *n = &s->tabs[s->ntabs++];

            memset(n, 0, sizeof(*n));
            n->id = 1000 + s->ntabs;
            n->alive = 1;
            n->start = prng_below(&s->rng, 3) == 0 ? 1 + prng_below(&s->rng, 100) : 1;
            n->assigned = n->tx = n->start;
            n->last_sent = n->start - 1;
            n->last_ack = (long long)n->start - 1;
            fx_hello(&s->f, n->id, n->start);
            settle(s, 0);
        }
    } else if (r < 40) {
        if (t != NULL && t->welcomed)
            tab_sends(s, t);
    } else if (r < 44) {
        /* A batch delivered twice. */
        if (t != NULL && t->welcomed && t->tx > t->start) {
            uint32_t back = 1 + prng_below(&s->rng, t->tx - t->start < 8 ? t->tx - t->start : 8);

            transmit(s, t, t->tx - back, t->tx);
        }
    } else if (r < 47) {
        /* The tab says hello again (a retry, or after a leader change). */
        if (t != NULL) {
            fx_hello(&s->f, t->id, t->tx);
            settle(s, 0);
        }
    } else if (r < 50) {
        if (t != NULL) {
            fx_bye(&s->f, t->id);
            settle(s, 0);
        }
    } else if (r < 53) {
        if (t != NULL) {
            retire(s, t->id);
            fx_gone(&s->f, t->id);
            settle(s, 0);
        }
    } else if (r < 60) {
        if (t != NULL) {
            fx_ping(&s->f, t->id);
            settle(s, 0);
        }
    } else if (r < 62) {
        /* Someone the core does not know: a retired tab, or another leader's. */
        uint32_t id = prng_below(&s->rng, 2) ? 1000 + 1 + prng_below(&s->rng, s->ntabs + 1) : 77;
        sim_tab *u = tab_by_id(s, id);

        if (u == NULL || !u->alive) {
            note_handles(s, s->f.next_handle, 2, 0, 0);
            /* Not a server frame either: mark it a tab frame of nobody. */
            s->h_tab[s->f.next_handle] = s->h_tab[s->f.next_handle + 1] = 9999;
            fx_frames(&s->f, id, 1, 2, NULL);
            settle(s, 0);
        }
    } else if (r < 64) {
        static const char *const junk[] = {
            "{", "{\"v\":2,\"t\":\"hello\",\"tab\":5,\"next\":1}", "{\"v\":1,\"t\":\"x\",\"tab\":5}",
            "{\"v\":1,\"t\":\"hello\",\"tab\":0,\"next\":1}",
        };

        fx_control(&s->f, junk[prng_below(&s->rng, 4)]);
        settle(s, 0);
    } else if (r < 66) {
        if (t != NULL) {
            snprintf(buf, sizeof(buf), "{\"v\":1,\"t\":\"stats?\",\"tab\":%u,\"id\":%u}", t->id,
                     prng_below(&s->rng, 1000));
            fx_control(&s->f, buf);
            settle(s, 0);
        }
    } else if (r < 84) {
        if (s->sock == S_CONNECTING) {
            if (prng_below(&s->rng, 5) == 0) {
                socket_closed(s, 1006, 0);
            } else {
                s->sock = S_OPEN;
                fx_opened(&s->f, "p", "");
                if (s->strict && s->f.rc != WSS_OK)
                    check_fail(__FILE__, __LINE__, "the core refused the open (%d)", s->f.rc);
                settle(s, 0);
            }
        } else if (s->sock == S_OPEN) {
            uint32_t n = 1 + prng_below(&s->rng, 5);

            if (prng_below(&s->rng, 25) == 0)
                socket_closed(s, 4000 + prng_below(&s->rng, 100), 1);
            else
                while (n-- > 0 && s->sock == S_OPEN)
                    server_frame(s);
        } else if (s->sock == S_CLOSING) {
            socket_closed(s, 1000, 1);
        } else if (prng_below(&s->rng, 4) == 0) {
            /* The browser comes back online (whether or not a retry waits). */
            fx_online(&s->f);
            settle(s, 0);
        }
    } else if (r < 90) {
        if (s->flush_wanted) {
            s->flush_wanted = 0;
            fx_flush(&s->f);
            settle(s, 0);
        }
    } else if (r < 94) {
        if (s->drain_wanted) {
            s->drain_wanted = 0;
            settle_sent(s, F_SAFE);
            fx_drained(&s->f);
            settle(s, 0);
        }
    } else {
        fx_advance(&s->f, prng_below(&s->rng, 3000));
        if (s->timer_at != 0 && s->f.now >= s->timer_at) {
            s->timer_at = 0;
            fx_tick(&s->f);
            settle(s, 0);
        }
    }
    if (s->strict && s->f.rc == WSS_ENOMEM)
        check_fail(__FILE__, __LINE__, "out of memory with no failure injected");
}

/* Every tab gone, the socket closed, the last flush done. */
static void wind_down(sim *s)
{
    uint32_t i;

    for (i = 0; i < s->ntabs; i++) {
        if (s->tabs[i].alive) {
            retire(s, s->tabs[i].id);
            fx_gone(&s->f, s->tabs[i].id);
            settle(s, 0);
        }
    }
    if (s->sock != S_NONE)
        socket_closed(s, 1000, 1);
    if (s->flush_wanted) {
        fx_flush(&s->f);
        settle(s, 0);
    }
}

/* One run; returns 0 when the core could not even be created. */
static int run(uint32_t seed, int strict, sim *totals)
{
    sim *s = calloc(1, sizeof(sim));
    int i;

    s->rng = seed * 2654435761u + 1;
    s->strict = strict;
    s->down_seq = 1;
    fa_pause(1);
    fx_open(&s->f, "{\"maxMessageBytes\":200,\"maxQueuedFrames\":6,\"maxQueuedBytes\":400,"
                   "\"maxBatchFrames\":4,\"tabTimeoutMs\":5000,\"reconnect\":{\"minDelay\":100,"
                   "\"maxDelay\":2000,\"maxRetries\":2,\"stopOn\":[4000,4001,4002,4003,4004]}}");
    fa_pause(0);
    if (s->f.core == NULL) {
        check_fail(__FILE__, __LINE__, "seed %u: no core", seed);
        free(s);
        return 0;
    }
    for (i = 0; i < STEPS && !test_failed(); i++)
        step(s);
    wind_down(s);
    if (fx_held(&s->f) != 0)
        check_fail(__FILE__, __LINE__, "seed %u: %u handles never came back", seed, fx_held(&s->f));
    if (s->fifo_count != 0)
        check_fail(__FILE__, __LINE__, "seed %u: %u server frames never posted", seed,
                   s->fifo_count);
    if (test_failed())
        fprintf(stderr, "  (seed %u, %s)\n", seed, strict ? "strict" : "failing allocator");
    totals->sends += s->sends;
    totals->data_posts += s->data_posts;
    totals->errors += s->errors;
    totals->acks += s->acks;
    totals->retries += s->retries;
    totals->give_ups += s->give_ups;
    fx_close(&s->f);
    free(s->fifo);
    free(s->h_tab);
    free(s->h_seq);
    free(s);
    return 1;
}

static void core_should_return_every_handle_once_and_keep_each_tabs_frames_in_order(void)
{
    sim totals;
    uint32_t seed;

    memset(&totals, 0, sizeof(totals));
    for (seed = 1; seed <= SEEDS && !test_failed(); seed++)
        run(seed, 1, &totals);
    /* The runs did reach every path they claim to check. */
    CHECK(totals.sends > 1000);
    CHECK(totals.data_posts > 100);
    CHECK(totals.errors > 50);
    CHECK(totals.acks > 100);
    CHECK(totals.retries > 50);
    CHECK(totals.give_ups > 10);
}

static void core_should_keep_handles_and_order_under_random_allocation_failures(void)
{
    sim totals;
    uint32_t seed;
    long failures = 0;

    memset(&totals, 0, sizeof(totals));
    for (seed = 1; seed <= SEEDS && !test_failed(); seed++) {
        fa_install_random(seed, 25);
        run(seed, 0, &totals);
        failures += fa_failures();
        if (fa_live() != 0)
            check_fail(__FILE__, __LINE__, "seed %u: %ld blocks leaked", seed, fa_live());
        fa_uninstall();
    }
    CHECK(failures > 100);
    CHECK(totals.sends > 500);
}

const test_case property_tests[] = {
    TEST_CASE(core_should_return_every_handle_once_and_keep_each_tabs_frames_in_order),
    TEST_CASE(core_should_keep_handles_and_order_under_random_allocation_failures),
    TEST_END,
};
