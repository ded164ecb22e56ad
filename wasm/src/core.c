/*
 * The broker's state machine: tabs join, send and leave; the one server
 * socket opens, delivers, closes and is retried; the core decides what
 * happens and says so as actions. No I/O and no clock here: time comes in
 * with every event.
 */
#include <string.h>

#include "internal.h"

/* Actions one event can produce besides those per frame, queued frame or tab. */
#define FIXED_ACTIONS 8
/* Actions the owed posts can take at the start of a call (see post_owed). */
#define OWED_ACTIONS 8

/* Keeps room in the action buffer for everything a socket event or a tick
 * can produce with `frames` queued frames and `tabs` tabs, so that those
 * calls, which report facts the host will not repeat, never fail for memory
 * before they have changed the state. */
static int keep_room(wss_core *core, uint32_t frames, uint32_t tabs)
{
    uint64_t n = OWED_ACTIONS + FIXED_ACTIONS + (uint64_t)frames + 2 * (uint64_t)tabs;

    /* The sent log is empty when the socket opens (a closed one took its
     * marks): room for a mark per queued frame and one per tab is enough. */
    if (n > UINT32_MAX || actions_keep_room(&core->actions, (uint32_t)n) != WSS_OK ||
        sent_reserve(&core->sent, frames + tabs) != WSS_OK) {
        core->stats.oom++;
        return WSS_ENOMEM;
    }
    return WSS_OK;
}

static void post_envelope(wss_core *core, char *text)
{
    if (text == NULL) {
        core->stats.oom++;
        return;
    }
    if (actions_push_text(&core->actions, WSS_ACT_POST, 0, 0, text, strlen(text)) == WSS_OK)
        core->stats.control_posts++;
    else
        core->stats.oom++;
}

/* Whether a lost connection is made again without the tabs seeing it: when
 * a profile brings back what the clients rely on, or when the app opted in
 * (for a protocol that keeps no state per connection). Otherwise each tab
 * closes with it, as a WebSocket would, and the app reconnects itself. */
static int resumes(const wss_core *core)
{
    const profile_kind_info *k = profile_of_kind(core->cfg.profile);

    return core->cfg.resume || (k != NULL && k->resumes) || core->prof_active;
}

/* Posts an envelope the tabs must not miss; when memory fails, owes it. */
static void post_news(wss_core *core, int what)
{
    uint32_t leader = core->cfg.leader;
    char *text;

    switch (what) {
    case OWE_OPEN:
        text = bus_open(leader, core->protocol, core->extensions, core->open_seq, resumes(core));
        break;
    case OWE_RECONNECTING:
        text = bus_reconnecting(leader, core->retry.attempt, core->retry_delay);
        break;
    default:
        text = bus_close(leader, 0, core->close_code, core->close_reason, core->close_clean);
        break;
    }
    if (text != NULL &&
        actions_push_text(&core->actions, WSS_ACT_POST, 0, 0, text, strlen(text)) == WSS_OK) {
        core->stats.control_posts++;
        core->owed &= ~what;
    } else {
        core->stats.oom++;
        core->owed |= what;
        core->owed_at = core->now + WSS_OOM_RETRY_MS;
    }
}

static void add_action(wss_core *core, uint32_t kind, uint32_t a, uint32_t b, uint32_t handle)
{
    if (actions_push(&core->actions, kind, a, b, handle) != WSS_OK)
        core->stats.oom++;
}

static void debug_log(wss_core *core, const char *line)
{
    if (core->cfg.debug)
        (void)actions_push_ref(&core->actions, WSS_ACT_LOG, 0, 0, line, strlen(line));
}

static void request_flush(wss_core *core)
{
    if (!core->flush_pending) {
        core->flush_pending = 1;
        add_action(core, WSS_ACT_FLUSH, 0, 0, 0);
    }
}

static void earliest(double *deadline, double d)
{
    if (*deadline == 0 || d < *deadline)
        *deadline = d;
}

/* Arms the host's timer for the earliest deadline (a tab's silence, the next
 * beat, the next retry, owed posts), if it changed. */
static void arm_timer(wss_core *core)
{
    double deadline = core->next_beat;
    uint32_t i;

    if (core->cfg.tab_timeout_ms > 0)
        for (i = 0; i < core->tabs.count; i++)
            earliest(&deadline, core->tabs.items[i].last_seen + core->cfg.tab_timeout_ms);
    if (core->sock == SOCK_WAITING)
        earliest(&deadline, core->retry_at);
    if (core->owed)
        earliest(&deadline, core->owed_at);
    if (core->sent.drained > 0)
        earliest(&deadline, core->sent.items[core->sent.head].ack_at);
    if (core->prof_wake_at > 0)
        earliest(&deadline, core->prof_wake_at);
    if (deadline == core->armed_deadline)
        return;
    core->armed_deadline = deadline;
    if (deadline == 0) {
        add_action(core, WSS_ACT_TIMER, UINT32_MAX, 0, 0);
    } else {
        double delay = deadline - core->now;

        add_action(core, WSS_ACT_TIMER, delay <= 0 ? 0 : (uint32_t)(delay + 0.999), 0, 0);
    }
}

static void post_acks(wss_core *core);
static void ack_due(wss_core *core);

/* Posts what an earlier call owed for lack of memory, oldest news first. */
static void post_owed(wss_core *core)
{
    int owed = core->owed;

    if (owed & OWE_OPEN) {
        post_news(core, OWE_OPEN);
        /* The server frames held back behind it can go now. */
        if (!(core->owed & OWE_OPEN))
            request_flush(core);
    }
    if (owed & OWE_RECONNECTING)
        post_news(core, OWE_RECONNECTING);
    if (owed & OWE_CLOSE)
        post_news(core, OWE_CLOSE);
    if (owed & OWE_ACKS)
        post_acks(core);
}

/* Starts an event: forget the previous call's actions, post what is owed,
 * make room for all the event can produce (`extra` beyond the fixed few),
 * so that no push can fail once the state starts to change. */
static int start_event(wss_core *core, uint32_t extra, double now)
{
    actions_reset(&core->actions);
    if (core->stats.started_ms == 0)
        core->stats.started_ms = now;
    if (now > core->now)
        core->now = now;
    post_owed(core);
    if (extra > UINT32_MAX - FIXED_ACTIONS ||
        actions_reserve(&core->actions, FIXED_ACTIONS + extra) != WSS_OK) {
        core->stats.oom++;
        /* What posting the owed changed still needs the timer right. */
        arm_timer(core);
        return WSS_ENOMEM;
    }
    return WSS_OK;
}

static void post_batch(wss_core *core)
{
    uint32_t seq0 = core->out.seq0;
    uint32_t n;

    /* Tabs that wait for the open would drop frames sent before it. */
    if (core->owed & OWE_OPEN)
        return;
    n = fanout_take(&core->out);
    if (n == 0)
        return;
    if (actions_push_ref(&core->actions, WSS_ACT_POST_DATA, seq0, n,
                         (const char *)core->out.posted, n * sizeof(uint32_t)) == WSS_OK)
        core->stats.data_posts++;
    else
        core->stats.oom++;
}

static void post_acks(wss_core *core)
{
    uint32_t i;
    int dirty = 0;
    char *text;

    core->owed &= ~OWE_ACKS;
    for (i = 0; i < core->tabs.count; i++)
        dirty |= core->tabs.items[i].ack_dirty;
    if (!dirty && core->nnotes == 0)
        return;
    /* A tab holds its frames until they are acked: an ack lost to memory
     * would hold them for good, so it is owed instead. */
    text = bus_acks(core->cfg.leader, &core->tabs, core->notes, core->nnotes);
    if (text == NULL) {
        core->stats.oom++;
        core->owed |= OWE_ACKS;
        core->owed_at = core->now + WSS_OOM_RETRY_MS;
        return;
    }
    post_envelope(core, text);
    for (i = 0; i < core->tabs.count; i++)
        core->tabs.items[i].ack_dirty = 0;
    core->nnotes = 0;
}

/* Moves a tab's ack up to `seq`, never back: a mark may outlive its tab,
 * and a tab of the same id may have joined since. */
static void ack_upto(wss_tab *tab, uint32_t seq)
{
    if (seq > tab->acked && seq <= tab->done) {
        tab->acked = seq;
        tab->ack_dirty = 1;
    }
}

/* A frame of `tab` is done with: handed to the socket (`sent`), or refused,
 * or taken by the profile. Acks are cumulative and let the tab forget the
 * frames they cover, so one waits until the socket has passed on every byte
 * handed to it up to that frame, and ack_delay_ms more: a leader whose page
 * closes takes the bytes its socket still buffers with it. A frame not sent
 * behind bytes that left already goes with the frames it follows. The room
 * for its mark was reserved by the call. */
static void settle(wss_core *core, wss_tab *tab, uint32_t seq, int sent)
{
    sent_log *log = &core->sent;
    sent_mark m;

    tab->done = seq;
    if (!sent && log->count == 0 && log->left == log->bytes) {
        ack_upto(tab, seq);
        return;
    }
    m.end = log->bytes;
    m.tab = tab->id;
    m.seq = seq;
    m.ack_at = 0;
    if (!sent && log->drained == log->count && log->left == log->bytes) {
        m.ack_at = log->items[log->head + log->count - 1].ack_at;
        log->drained++;
    }
    sent_append(log, &m);
}

/* Asks the host for the socket's bufferedAmount after `wait` ms. */
static void request_drain(wss_core *core, uint32_t wait)
{
    core->drain_requested = 1;
    core->drain_wait = wait;
    add_action(core, WSS_ACT_DRAIN, wait, 0, 0);
}

static void send_frame(wss_core *core, wss_tab *tab, uint32_t seq, uint32_t handle, uint32_t len)
{
    add_action(core, WSS_ACT_SEND, 0, 0, handle);
    core->stats.frames_to_server++;
    core->stats.bytes_to_server += len;
    core->sent.bytes += len;
    if (!core->drain_requested)
        request_drain(core, 0);
    if (tab != NULL)
        settle(core, tab, seq, 1);
}

/* Refuses one frame at its tab: the tab gets an error, never a silent drop.
 * While earlier frames of the tab wait in the queue, the refused one is
 * settled with them once they are sent (wss_socket_opened). */
static void refuse_frame(wss_core *core, wss_tab *tab, uint32_t seq, uint32_t handle,
                         const char *code, const char *message)
{
    add_action(core, WSS_ACT_RELEASE, 0, 0, handle);
    post_envelope(core, bus_error(core->cfg.leader, tab->id, seq, code, message));
    core->stats.errors++;
    if (tab->queued == 0)
        settle(core, tab, seq, 0);
}

static void release_queue(wss_core *core)
{
    qframe f;

    while (queue_pop(&core->queue, &f))
        add_action(core, WSS_ACT_RELEASE, 0, 0, f.handle);
}

/* Queues a frame, with room kept for the actions its sending will take. */
static int enqueue(wss_core *core, const qframe *f)
{
    if (keep_room(core, core->queue.count + 1, core->tabs.count) != WSS_OK)
        return WSS_ENOMEM;
    if (queue_push(&core->queue, f) != WSS_OK) {
        core->stats.oom++;
        return WSS_ENOMEM;
    }
    return WSS_OK;
}

static void open_socket(wss_core *core)
{
    core->sock = SOCK_CONNECTING;
    core->retry_at = 0;
    /* News of an earlier socket is stale once a new one is on its way. */
    core->owed &= ~(OWE_RECONNECTING | OWE_CLOSE);
    core->protocol[0] = '\0';
    core->extensions[0] = '\0';
    add_action(core, WSS_ACT_OPEN, 0, 0, 0);
    debug_log(core, "wsshare: opening the server socket");
}

static void become_idle(wss_core *core)
{
    core->sock = SOCK_IDLE;
    core->retry_at = 0;
    add_action(core, WSS_ACT_IDLE, 0, 0, 0);
}

/* Closes the socket (or stops retrying) once no tab is left to use it. */
static void close_if_unused(wss_core *core)
{
    if (core->tabs.count > 0)
        return;
    release_queue(core);
    core->owed &= ~(OWE_RECONNECTING | OWE_ACKS);
    if (core->sock == SOCK_CONNECTING || core->sock == SOCK_OPEN) {
        static const char reason[] = "";

        core->sock = SOCK_CLOSING;
        (void)actions_push_ref(&core->actions, WSS_ACT_CLOSE, 1000, 0, reason, 0);
        debug_log(core, "wsshare: last tab left, closing the server socket");
    } else if (core->sock == SOCK_WAITING) {
        become_idle(core);
        debug_log(core, "wsshare: last tab left, no more retries");
    }
}

static void drop_tab(wss_core *core, uint32_t id, int announce)
{
    if (tabs_find(&core->tabs, id) == NULL)
        return;
    if (core->prof != NULL)
        core->prof->ops->tab_gone(core->prof, &core->io, id);
    tabs_remove(&core->tabs, id);
    add_action(core, WSS_ACT_UNWATCH, id, 0, 0);
    if (announce)
        post_envelope(core, bus_gone(core->cfg.leader, id));
    close_if_unused(core);
}

/* ---- what a profile may ask (profile.h) ---------------------------------- */

/* Handles of payloads the core makes live in the upper half; the host
 * numbers its own in the lower one. */
#define MADE_HANDLE_FIRST 0x80000000u

/* A new payload the host is to store under the handle returned; 0 when out of memory. */
static uint32_t make_payload(wss_core *core, const char *text, size_t len)
{
    char *copy;
    uint32_t h = core->next_made;

    if (len > UINT32_MAX)
        return 0;
    copy = wss_malloc(len + 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (actions_push_text(&core->actions, WSS_ACT_PAYLOAD, h, 0, copy, len) != WSS_OK)
        return 0;
    core->next_made = h >= UINT32_MAX - 1 ? MADE_HANDLE_FIRST : h + 1;
    return h;
}

/* Gathers a frame for tab `to` (0: every tab) into the next post. */
static int deliver(wss_core *core, uint32_t to, uint32_t handle, uint32_t len)
{
    if (fanout_add(&core->out, handle, len, core->next_down_seq, to) != WSS_OK)
        return WSS_ENOMEM;
    core->next_down_seq++;
    if (core->out.count >= core->cfg.max_batch_frames || core->out.bytes >= core->cfg.max_batch_bytes)
        post_batch(core);
    else
        request_flush(core);
    return WSS_OK;
}

static int io_open(void *ctx)
{
    return ((wss_core *)ctx)->sock == SOCK_OPEN;
}

static int io_send(void *ctx, uint32_t handle, uint32_t len)
{
    wss_core *core = ctx;

    if (core->sock != SOCK_OPEN)
        return WSS_EREJECT;
    send_frame(core, NULL, 0, handle, len);
    return WSS_OK;
}

static int io_send_text(void *ctx, const char *text, size_t len)
{
    wss_core *core = ctx;
    uint32_t h;

    if (core->sock != SOCK_OPEN)
        return WSS_EREJECT;
    h = make_payload(core, text, len);
    if (h == 0) {
        core->stats.oom++;
        return WSS_ENOMEM;
    }
    send_frame(core, NULL, 0, h, (uint32_t)len);
    return WSS_OK;
}

static void io_release(void *ctx, uint32_t handle)
{
    add_action(ctx, WSS_ACT_RELEASE, 0, 0, handle);
}

static int io_deliver(void *ctx, uint32_t tab, uint32_t handle, uint32_t len)
{
    wss_core *core = ctx;

    if (deliver(core, tab, handle, len) != WSS_OK) {
        core->stats.oom++;
        return WSS_ENOMEM;
    }
    return WSS_OK;
}

static int io_deliver_text(void *ctx, uint32_t tab, const char *text, size_t len)
{
    wss_core *core = ctx;
    uint32_t h = make_payload(core, text, len);

    if (h == 0 || deliver(core, tab, h, (uint32_t)len) != WSS_OK) {
        /* A payload made but not delivered is forgotten at once. */
        if (h != 0)
            add_action(core, WSS_ACT_RELEASE, 0, 0, h);
        core->stats.oom++;
        return WSS_ENOMEM;
    }
    return WSS_OK;
}

static int add_note(wss_core *core, uint32_t tab, uint32_t seq, uint32_t mark)
{
    void *notes = core->notes;
    uint32_t *n;

    if (wss_grow(&notes, &core->notes_cap, core->nnotes + 1, 3 * sizeof(*n)) != WSS_OK) {
        core->stats.oom++;
        return WSS_ENOMEM;
    }
    core->notes = notes;
    n = core->notes + 3 * core->nnotes++;
    n[0] = tab;
    n[1] = seq;
    n[2] = mark;
    /* Notes ride on the next ack envelope, posted at the flush. */
    request_flush(core);
    return WSS_OK;
}

static int io_keep(void *ctx, uint32_t tab, uint32_t seq, uint32_t mark)
{
    return add_note(ctx, tab, seq, mark == NOTE_FORGET ? NOTE_FORGET - 1 : mark);
}

static int io_forget(void *ctx, uint32_t tab, uint32_t seq)
{
    return add_note(ctx, tab, seq, NOTE_FORGET);
}

static void io_error(void *ctx, uint32_t tab, uint32_t seq, const char *code, const char *message)
{
    wss_core *core = ctx;

    post_envelope(core, bus_error(core->cfg.leader, tab, seq, code, message));
    core->stats.errors++;
}

/* Whether the profile closed `tab` during its current call. */
static int closing(const wss_core *core, uint32_t tab)
{
    uint32_t i;

    for (i = 0; i < core->nclosing; i++)
        if (core->closing[i] == tab)
            return 1;
    return 0;
}

/* The tab hears its close now; it is let go once the profile returns (see
 * let_go_closed), so the profile never sees its own state change under it. */
static void io_close_tab(void *ctx, uint32_t tab, uint32_t code, const char *reason)
{
    wss_core *core = ctx;
    void *list = core->closing;

    if (closing(core, tab))
        return;
    if (wss_grow(&list, &core->closing_cap, core->nclosing + 1, sizeof(uint32_t)) != WSS_OK) {
        core->stats.oom++;
        return;
    }
    core->closing = list;
    core->closing[core->nclosing++] = tab;
    /* What the profile gave the tab before it closes it comes first. */
    post_batch(core);
    post_envelope(core, bus_close(core->cfg.leader, tab, code, reason, 1));
}

/* The timer armed at the end of the call covers it (arm_timer). */
static void io_wake(void *ctx, uint32_t ms)
{
    wss_core *core = ctx;

    core->prof_wake_at = ms == UINT32_MAX ? 0 : core->now + (ms > 0 ? ms : 1);
}

/* Lets go of the tabs the profile closed during its last call. */
static void let_go_closed(wss_core *core)
{
    while (core->nclosing > 0) {
        uint32_t tab = core->closing[--core->nclosing];

        if (tabs_find(&core->tabs, tab) != NULL) {
            core->stats.tabs_left++;
            drop_tab(core, tab, 0);
        }
    }
}

static void profile_start(wss_core *core)
{
    core->io.ctx = core;
    core->io.open = io_open;
    core->io.send = io_send;
    core->io.send_text = io_send_text;
    core->io.release = io_release;
    core->io.deliver = io_deliver;
    core->io.deliver_text = io_deliver_text;
    core->io.keep = io_keep;
    core->io.forget = io_forget;
    core->io.error = io_error;
    core->io.close_tab = io_close_tab;
    core->io.wake = io_wake;
    core->next_made = MADE_HANDLE_FIRST;
}

int wss_create(wss_core **out, const char *config_json, size_t len)
{
    const profile_kind_info *kind;
    wss_core *core;
    int rc;

    *out = NULL;
    core = wss_malloc(sizeof(*core));
    if (core == NULL)
        return WSS_ENOMEM;
    memset(core, 0, sizeof(*core));
    rc = config_parse(&core->cfg, config_json, len);
    if (rc == WSS_OK)
        rc = keep_room(core, 0, 0);
    if (rc != WSS_OK) {
        actions_free(&core->actions);
        wss_free(core);
        return rc;
    }
    backoff_seed(&core->retry, core->cfg.seed);
    core->next_down_seq = 1;
    profile_start(core);
    kind = profile_of_kind(core->cfg.profile);
    if (kind != NULL && kind->create != NULL && (core->prof = kind->create()) == NULL) {
        actions_free(&core->actions);
        wss_free(core);
        return WSS_ENOMEM;
    }
    *out = core;
    return WSS_OK;
}

void wss_destroy(wss_core *core)
{
    if (core == NULL)
        return;
    actions_free(&core->actions);
    tabs_free(&core->tabs);
    queue_free(&core->queue);
    fanout_free(&core->out);
    sent_free(&core->sent);
    wss_free(core->stats_text);
    wss_free(core->scratch);
    wss_free(core->notes);
    wss_free(core->closing);
    if (core->prof != NULL)
        core->prof->ops->destroy(core->prof);
    wss_free(core);
}

int wss_start(wss_core *core, double now_ms)
{
    int rc = start_event(core, 0, now_ms);

    if (rc != WSS_OK)
        return rc;
    post_envelope(core, bus_leader(core->cfg.leader));
    /* The tab the host was started for says hello a bus hop later; its
     * socket need not wait for that. Should the tab be gone by then, its
     * host (a SharedWorker with no client left, the tab's own page) ends.
     * Not under a profile whose server speaks first (an Engine.IO
     * handshake, ActionCable's welcome): that is the profile's to hand to
     * the tabs that joined, so there the first hello opens the socket. */
    if (core->cfg.open_at_start && (core->prof == NULL || !core->prof->ops->server_first) &&
        core->sock == SOCK_IDLE) {
        core->retry.attempt = 0;
        open_socket(core);
    }
    if (core->cfg.beat_ms > 0)
        core->next_beat = core->now + core->cfg.beat_ms;
    arm_timer(core);
    return WSS_OK;
}

static const char *state_name(const wss_core *core)
{
    return core->sock == SOCK_OPEN ? "open" : "connecting";
}

static void on_hello(wss_core *core, const envelope *env)
{
    wss_tab *tab = tabs_find(&core->tabs, env->tab);

    if (tab == NULL) {
        if (keep_room(core, core->queue.count, core->tabs.count + 1) != WSS_OK)
            return;
        tab = tabs_add(&core->tabs, env->tab, env->next, core->now);
        if (tab == NULL) {
            core->stats.oom++;
            return;
        }
        tab->prior = env->posted;
        core->stats.tabs_joined++;
        add_action(core, WSS_ACT_WATCH, tab->id, 0, 0);
    }
    if (env->last > tab->accepted)
        tab->accepted = env->last;
    tab->last_seen = core->now;
    /* Frames already gathered predate the tab: post them first, so the
     * welcome's sequence number is exactly where this tab's stream starts.
     * Frames held behind an owed open are not posted yet: the tab gets them. */
    post_batch(core);
    post_envelope(core, bus_welcome(core->cfg.leader, tab->id, state_name(core), core->protocol,
                           core->extensions,
                           core->out.count > 0 ? core->out.seq0 : core->next_down_seq,
                           tab->acked, resumes(core)));
    if (core->prof != NULL && core->prof->ops->joined != NULL)
        core->prof->ops->joined(core->prof, &core->io, tab->id);
    if (core->sock == SOCK_IDLE) {
        core->retry.attempt = 0;
        open_socket(core);
    }
}

int wss_bus_control(wss_core *core, const char *json, size_t len, double now_ms)
{
    envelope env;
    wss_tab *tab;
    int why;
    /* A bye from the last tab releases the whole queue. */
    int rc = start_event(core, core->queue.count, now_ms);

    if (rc != WSS_OK)
        return rc;
    rc = bus_decode(json, len, &env, &why);
    if (rc != WSS_OK) {
        core->stats.rejected[why]++;
        return rc;
    }
    if (env.leader != 0 && env.leader != core->cfg.leader) {
        core->stats.rejected[REJ_OTHER_LEADER]++;
        return WSS_EREJECT;
    }
    tab = tabs_find(&core->tabs, env.tab);
    switch (env.type) {
    case ENV_HELLO:
        on_hello(core, &env);
        break;
    case ENV_BYE:
        if (tab == NULL) {
            /* Gone already (its lock told us first), or never here. */
            core->stats.rejected[REJ_UNKNOWN_TAB]++;
            return WSS_EREJECT;
        }
        core->stats.tabs_left++;
        drop_tab(core, env.tab, 1);
        break;
    case ENV_PING:
        if (tab == NULL) {
            core->stats.rejected[REJ_UNKNOWN_TAB]++;
            post_envelope(core, bus_rehello(core->cfg.leader, env.tab));
        } else {
            tab->last_seen = core->now;
        }
        break;
    case ENV_STATS_QUERY:
        post_envelope(core, bus_stats(core->cfg.leader, env.tab, env.id, wss_stats_json(core)));
        break;
    default:
        break;
    }
    arm_timer(core);
    return WSS_OK;
}

int wss_bus_unreadable(wss_core *core, double now_ms)
{
    int rc = start_event(core, 0, now_ms);

    if (rc != WSS_OK)
        return rc;
    core->stats.rejected[REJ_MALFORMED]++;
    arm_timer(core);
    return WSS_EINVAL;
}

/* Hands a tab's frame to the profile; PROF_PASS when there is none. */
static int profile_take(wss_core *core, const prof_frame *f)
{
    int rc;

    if (core->prof == NULL)
        return PROF_PASS;
    rc = core->prof->ops->tab_frame(core->prof, &core->io, f);
    if (rc == PROF_TAKEN)
        core->prof_active = 1;
    return rc;
}

/* A batch's numbers as the bus carried them: JS numbers, which the core
 * takes only as whole numbers in 0..UINT32_MAX. */
typedef struct batch_head {
    uint32_t version;
    uint32_t leader;
    uint32_t tab;
    uint32_t seq0;
    int whole; /* every number was one: else the batch is malformed */
    int marked; /* one frame, re-sent with the mark a profile gave it */
    uint32_t mark;
} batch_head;

static int whole_u32(double x, uint32_t *out)
{
    *out = 0;
    if (!(x >= 0 && x <= (double)UINT32_MAX))
        return 0;
    *out = (uint32_t)x;
    return (double)*out == x;
}

static batch_head read_head(double version, double leader, double tab, double seq0)
{
    batch_head h;

    h.whole = whole_u32(version, &h.version);
    h.whole &= whole_u32(leader, &h.leader);
    h.whole &= whole_u32(tab, &h.tab);
    h.whole &= whole_u32(seq0, &h.seq0);
    h.marked = 0;
    h.mark = 0;
    return h;
}

/* Refuses a batch whole: the frames' handles go back, and a tab the core does
 * not know (it joined an earlier leader) is told to introduce itself, and
 * will then re-send. Returns WSS_EREJECT. */
static int refuse_batch(wss_core *core, const batch_head *h, const wss_tab *tab,
                        uint32_t count, uint32_t first_handle)
{
    uint32_t version = h->version;
    uint32_t leader = h->leader;
    uint32_t tab_id = h->tab;
    /* Frames addressed to another leader are that leader's business: the
     * tab re-sends whatever it does not get acknowledged. */
    int why = !h->whole                   ? REJ_MALFORMED
              : version != WSS_BUS_VERSION  ? REJ_VERSION
              : leader != core->cfg.leader ? REJ_OTHER_LEADER
              : tab == NULL                ? REJ_UNKNOWN_TAB
                                           : REJ_MALFORMED;
    uint32_t i;

    for (i = 0; i < count; i++)
        add_action(core, WSS_ACT_RELEASE, 0, 0, first_handle + i);
    core->stats.rejected[why]++;
    if (why == REJ_UNKNOWN_TAB && tab_id != 0)
        post_envelope(core, bus_rehello(core->cfg.leader, tab_id));
    return WSS_EREJECT;
}

/* Where frame i's text starts in `bytes`, and whether it has one: with bytes,
 * lens[i] carries WSS_FRAME_BINARY for a binary frame, which has none there. */
static const char *frame_text(const char *bytes, uint32_t raw_len, size_t *at)
{
    const char *text;

    if (bytes == NULL || (raw_len & WSS_FRAME_BINARY))
        return NULL;
    text = bytes + *at;
    *at += raw_len;
    return text;
}

/* Starts a call that brings frames of a tab: the tab in *out, or the batch
 * refused whole (WSS_EREJECT) when it is not for this leader or not
 * `well_formed`. */
static int start_frames_event(wss_core *core, const batch_head *h, uint32_t count,
                              uint32_t first_handle, int well_formed, double now_ms,
                              wss_tab **out)
{
    /* A refused frame takes two actions: its release and its error. */
    int rc = start_event(core, count > UINT32_MAX / 2 ? UINT32_MAX : 2 * count, now_ms);

    if (rc != WSS_OK)
        return rc;
    /* Each frame may leave a mark in the sent log. */
    if (sent_reserve(&core->sent, count) != WSS_OK) {
        core->stats.oom++;
        arm_timer(core);
        return WSS_ENOMEM;
    }
    *out = h->whole ? tabs_find(&core->tabs, h->tab) : NULL;
    if (!h->whole || h->version != WSS_BUS_VERSION || h->leader != core->cfg.leader ||
        *out == NULL || !well_formed)
        return refuse_batch(core, h, *out, count, first_handle);
    (*out)->last_seen = core->now;
    return WSS_OK;
}

static int tab_frames(wss_core *core, const batch_head *h, uint32_t count,
                      uint32_t first_handle, const uint32_t *lens, const char *bytes,
                      double now_ms)
{
    wss_tab *tab;
    uint32_t i;
    uint32_t seq0 = h->seq0;
    size_t at = 0;
    int rc = start_frames_event(core, h, count, first_handle,
                                !(count > 0 && lens == NULL) && seq0 != 0 &&
                                    count <= UINT32_MAX - seq0,
                                now_ms, &tab);

    if (rc != WSS_OK)
        return rc;
    for (i = 0; i < count; i++) {
        uint32_t seq = seq0 + i;
        uint32_t handle = first_handle + i;
        uint32_t len = bytes != NULL ? lens[i] & ~WSS_FRAME_BINARY : lens[i];
        prof_frame f;

        f.text = frame_text(bytes, lens[i], &at);
        f.binary = bytes != NULL && (lens[i] & WSS_FRAME_BINARY) != 0;
        if (seq < tab->next_seq) {
            /* Re-sent after a leader change: already handled. */
            add_action(core, WSS_ACT_RELEASE, 0, 0, handle);
            core->stats.duplicates++;
            tab->ack_dirty = 1;
            continue;
        }
        if (seq > tab->next_seq) {
            /* A gap: frames went missing on the way. Ask for them again. */
            for (; i < count; i++)
                add_action(core, WSS_ACT_RELEASE, 0, 0, first_handle + i);
            core->stats.rejected[REJ_REPLAY]++;
            post_envelope(core, bus_resend(core->cfg.leader, tab->id, tab->next_seq));
            break;
        }
        tab->next_seq++;
        f.tab = tab->id;
        f.seq = seq;
        f.handle = handle;
        f.len = len;
        f.replay = seq <= tab->prior;
        f.mark = h->marked ? h->mark : 0;
        if (len > core->cfg.max_message_bytes) {
            refuse_frame(core, tab, seq, handle, "too_big",
                         "message larger than maxMessageBytes");
        } else if ((rc = profile_take(core, &f)) != PROF_PASS) {
            if (rc != PROF_TAKEN) {
                refuse_frame(core, tab, seq, handle, "out_of_memory", "leader out of memory");
            } else {
                /* The profile answers for it from here, as it does for what it
                 * sent when the socket is lost. Behind queued frames of the tab,
                 * it is acknowledged with them. */
                tab->profiled = 1;
                if (tab->queued == 0)
                    settle(core, tab, seq, 0);
            }
            if (closing(core, tab->id)) {
                /* The profile closed this tab: the rest of its frames go unread. */
                for (i++; i < count; i++)
                    add_action(core, WSS_ACT_RELEASE, 0, 0, first_handle + i);
                break;
            }
        } else if (core->sock == SOCK_OPEN) {
            send_frame(core, tab, seq, handle, len);
        } else if (seq > tab->accepted &&
                   (core->queue.count - core->queue.replays >= core->cfg.max_queued_frames ||
                    core->queue.bytes - core->queue.replay_bytes + len >
                        core->cfg.max_queued_bytes)) {
            /* The bounds apply to what tabs send while the socket is down;
             * what another leader accepted before it went is never refused,
             * nor counted against them. */
            refuse_frame(core, tab, seq, handle, "queue_full",
                         "outbound queue full (maxQueuedBytes or maxQueuedFrames)");
        } else {
            qframe q;

            q.tab = tab->id;
            q.seq = seq;
            q.handle = handle;
            q.len = len;
            q.replay = seq <= tab->accepted;
            if (enqueue(core, &q) == WSS_OK)
                tab->queued++;
            else
                refuse_frame(core, tab, seq, handle, "out_of_memory", "leader out of memory");
        }
    }
    let_go_closed(core);
    request_flush(core);
    arm_timer(core);
    return WSS_OK;
}

int wss_tab_frames(wss_core *core, double version, double leader, double tab, double seq0,
                   uint32_t count, uint32_t first_handle, const uint32_t *lens, double now_ms)
{
    batch_head h = read_head(version, leader, tab, seq0);

    return tab_frames(core, &h, count, first_handle, lens, NULL, now_ms);
}

int wss_tab_frames_text(wss_core *core, double version, double leader, double tab, double seq0,
                        uint32_t count, uint32_t first_handle, const uint32_t *lens,
                        const char *bytes, double now_ms)
{
    batch_head h = read_head(version, leader, tab, seq0);

    return tab_frames(core, &h, count, first_handle, lens, bytes != NULL ? bytes : "", now_ms);
}

int wss_tab_frame_marked(wss_core *core, double version, double leader, double tab, double seq,
                         double mark, uint32_t handle, uint32_t len_word, const char *bytes,
                         double now_ms)
{
    batch_head h = read_head(version, leader, tab, seq);

    h.whole &= whole_u32(mark, &h.mark);
    h.marked = 1;
    return tab_frames(core, &h, 1, handle, &len_word, bytes != NULL ? bytes : "", now_ms);
}

int wss_tab_restore(wss_core *core, double version, double leader, double tab_id,
                    uint32_t count, uint32_t first_handle, const double *meta,
                    const char *bytes, double now_ms)
{
    batch_head h = read_head(version, leader, tab_id, 1);
    wss_tab *tab;
    uint32_t i;
    uint32_t word[3];
    size_t at = 0;
    int whole = !(count > 0 && meta == NULL);
    int rc;

    for (i = 0; whole && i < 3 * (uint64_t)count; i++)
        whole = whole_u32(meta[i], &word[0]);
    rc = start_frames_event(core, &h, count, first_handle, whole, now_ms, &tab);
    if (rc != WSS_OK)
        return rc;
    if (bytes == NULL)
        bytes = "";
    for (i = 0; i < count; i++) {
        prof_frame f;

        (void)whole_u32(meta[3 * i], &word[0]);
        (void)whole_u32(meta[3 * i + 1], &word[1]);
        (void)whole_u32(meta[3 * i + 2], &word[2]);
        f.tab = tab->id;
        f.seq = word[0];
        f.mark = word[1];
        f.len = word[2] & ~WSS_FRAME_BINARY;
        f.text = frame_text(bytes, word[2], &at);
        f.binary = (word[2] & WSS_FRAME_BINARY) != 0;
        f.handle = first_handle + i;
        f.replay = 1;
        rc = closing(core, tab->id) ? PROF_PASS : profile_take(core, &f);
        /* What no profile takes was kept for a profile this leader does not
         * run: nothing to rebuild. */
        if (rc != PROF_TAKEN)
            add_action(core, WSS_ACT_RELEASE, 0, 0, f.handle);
        if (rc == PROF_TAKEN)
            tab->profiled = 1;
    }
    let_go_closed(core);
    request_flush(core);
    arm_timer(core);
    return WSS_OK;
}

int wss_tab_gone(wss_core *core, uint32_t tab, double now_ms)
{
    /* The last tab's going releases the whole queue. */
    int rc = start_event(core, core->queue.count, now_ms);

    if (rc != WSS_OK)
        return rc;
    if (tabs_find(&core->tabs, tab) != NULL) {
        core->stats.tabs_lost++;
        drop_tab(core, tab, 0);
    }
    arm_timer(core);
    return WSS_OK;
}

static void copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (src == NULL)
        len = 0;
    if (len >= cap)
        len = cap - 1;
    if (len > 0)
        memcpy(dst, src, len);
    dst[len] = '\0';
}

int wss_socket_opened(wss_core *core, const char *protocol, size_t protocol_len,
                      const char *extensions, size_t extensions_len, double now_ms)
{
    wss_tab *tab;
    qframe f;
    uint32_t i;
    int rc = start_event(core, core->queue.count, now_ms);

    if (rc != WSS_OK)
        return rc;
    if (core->sock != SOCK_CONNECTING)
        return WSS_EREJECT;
    core->sock = SOCK_OPEN;
    core->opened_at = core->now;
    core->open_seq = core->next_down_seq;
    core->stats.opens++;
    copy_text(core->protocol, sizeof(core->protocol), protocol, protocol_len);
    copy_text(core->extensions, sizeof(core->extensions), extensions, extensions_len);
    debug_log(core, "wsshare: server socket open");
    post_news(core, OWE_OPEN);
    /* What the profile held (a handshake first) leads the way. */
    if (core->prof != NULL)
        core->prof->ops->opened(core->prof, &core->io);
    while (queue_pop(&core->queue, &f)) {
        tab = tabs_find(&core->tabs, f.tab);
        if (tab != NULL)
            tab->queued--;
        send_frame(core, tab, f.seq, f.handle, f.len);
    }
    /* Every frame the tabs numbered so far is now sent or refused: the acks
     * held back for refused frames behind queued ones can go. */
    for (i = 0; i < core->tabs.count; i++)
        if (core->tabs.items[i].done != core->tabs.items[i].next_seq - 1)
            settle(core, &core->tabs.items[i], core->tabs.items[i].next_seq - 1, 0);
    request_flush(core);
    arm_timer(core);
    return WSS_OK;
}

static int socket_frame(wss_core *core, uint32_t handle, uint32_t len, const char *text,
                        double now_ms)
{
    int rc = start_event(core, 0, now_ms);

    if (rc != WSS_OK)
        return rc;
    if (core->sock != SOCK_OPEN || core->tabs.count == 0) {
        add_action(core, WSS_ACT_RELEASE, 0, 0, handle);
    } else {
        int took = core->prof == NULL ? PROF_PASS
                                      : core->prof->ops->server_frame(core->prof, &core->io,
                                                                      handle, text, len);

        if (took == PROF_PASS)
            took = deliver(core, 0, handle, len);
        if (took == WSS_OK) {
            core->stats.frames_from_server++;
            core->stats.bytes_from_server += len;
        } else {
            core->stats.oom++;
            add_action(core, WSS_ACT_RELEASE, 0, 0, handle);
            rc = WSS_ENOMEM;
        }
        let_go_closed(core);
    }
    /* Posting what was owed may have changed the deadlines. */
    arm_timer(core);
    return rc;
}

int wss_socket_frame(wss_core *core, uint32_t handle, uint32_t len, int binary, double now_ms)
{
    (void)binary;
    return socket_frame(core, handle, len, NULL, now_ms);
}

int wss_socket_text(wss_core *core, uint32_t handle, const char *text, size_t len, double now_ms)
{
    if (len > UINT32_MAX || text == NULL)
        return WSS_EINVAL;
    return socket_frame(core, handle, (uint32_t)len, text, now_ms);
}

unsigned wss_wants_text(const wss_core *core)
{
    if (core->prof == NULL)
        return 0;
    /* Server frames are read once a profile took a tab's frame (graphql-ws
     * speaks first, from the tabs): until then no answer can be a tab's.
     * A protocol whose server speaks first has them all. */
    return WSS_TEXT_FROM_TABS |
           (core->prof_active || core->prof->ops->server_first ? WSS_TEXT_FROM_SERVER : 0u);
}

/* When frames whose bytes left the socket now are acknowledged: ack_delay_ms
 * later, rounded up to a multiple of half of it. Frames that leave through
 * one half-delay share one ack envelope, which every tab receives and reads:
 * a tab sending steadily (a round trip each millisecond, say) would
 * otherwise cost one at nearly every frame. Never sooner than the delay. */
static double ack_time(const wss_core *core)
{
    double at = core->now + core->cfg.ack_delay_ms;
    double grid = (double)(core->cfg.ack_delay_ms / 2);
    double steps;

    if (grid < 1 || at >= 9007199254740992.0)
        return at;
    steps = (double)(uint64_t)(at / grid);
    return (steps * grid < at ? steps + 1 : steps) * grid;
}

/* The marks whose bytes all left are acked at `ack_at`. Acked at one time, a
 * run of marks of one tab is one: the log stays as short as the tabs that
 * took turns within one ack delay, however many frames each sent. */
static void drain_marks(sent_log *log, double ack_at)
{
    sent_mark *at = log->items + log->head;
    uint32_t r = log->drained;
    uint32_t w = log->drained;

    for (; r < log->count && at[r].end <= log->left; r++) {
        if (w > 0 && at[w - 1].tab == at[r].tab && at[w - 1].ack_at == ack_at) {
            at[w - 1].seq = at[r].seq;
            at[w - 1].end = at[r].end;
        } else {
            at[w] = at[r];
            at[w].ack_at = ack_at;
            w++;
        }
    }
    if (r != w)
        memmove(at + w, at + r, (log->count - r) * sizeof(*at));
    log->count -= r - w;
    log->drained = w;
}

int wss_socket_buffered(wss_core *core, double buffered, double now_ms)
{
    sent_log *log = &core->sent;
    uint64_t left = 0;
    int rc = start_event(core, 0, now_ms);

    if (rc != WSS_OK)
        return rc;
    core->drain_requested = 0;
    /* bufferedAmount counts the bytes of the frames sent and not yet passed
     * on (a text frame's as UTF-8), as the lengths the core was given do. A
     * level that is no number, or above what was sent, counts as none gone. */
    if (buffered >= 0 && buffered < (double)log->bytes)
        left = log->bytes - (uint64_t)buffered;
    if (left > log->left)
        log->left = left;
    drain_marks(log, ack_time(core));
    ack_due(core);
    /* Bytes remain: ask again, a little later each time. */
    if (log->left < log->bytes) {
        uint32_t wait = core->drain_wait == 0 ? 1 : 2 * core->drain_wait;

        request_drain(core, wait > WSS_DRAIN_POLL_MAX_MS ? WSS_DRAIN_POLL_MAX_MS : wait);
    }
    arm_timer(core);
    return WSS_OK;
}

/* A close code the app listed as final, or the retries used up. */
static int is_final(const wss_core *core, uint32_t code)
{
    const wss_reconnect *rc = &core->cfg.reconnect;
    uint32_t i;

    if (!resumes(core))
        return 1;
    for (i = 0; i < rc->nstop; i++)
        if (rc->stop_on[i] == code)
            return 1;
    return core->retry.attempt >= rc->max_retries;
}

/* The shared socket is given up for good: every tab gets the close. */
static void give_up(wss_core *core)
{
    uint32_t i;

    post_news(core, OWE_CLOSE);
    debug_log(core, "wsshare: server socket closed for good");
    release_queue(core);
    for (i = 0; i < core->tabs.count; i++) {
        add_action(core, WSS_ACT_UNWATCH, core->tabs.items[i].id, 0, 0);
        if (core->prof != NULL)
            core->prof->ops->tab_gone(core->prof, &core->io, core->tabs.items[i].id);
    }
    core->nnotes = 0;
    core->tabs.count = 0;
    core->owed &= ~OWE_ACKS;
    become_idle(core);
}

/* The frames whose bytes left the socket ack_delay_ms ago are acknowledged. */
static void ack_due(wss_core *core)
{
    sent_log *log = &core->sent;
    int any = 0;

    while (log->drained > 0 && log->items[log->head].ack_at <= core->now) {
        const sent_mark *m = &log->items[log->head];
        wss_tab *tab = tabs_find(&core->tabs, m->tab);

        if (tab != NULL)
            ack_upto(tab, m->seq);
        log->head++;
        log->count--;
        log->drained--;
        any = 1;
    }
    if (log->count == 0)
        log->head = 0;
    if (any)
        post_acks(core);
}

/* The tabs keep their socket open and their frames queued while it waits.
 * Frames the lost socket took but never confirmed passing on are not acked:
 * each tab is asked to send them again, to go out first on the next socket
 * (one that did leave in the instant of the loss may then arrive twice). */
static void schedule_retry(wss_core *core)
{
    uint32_t i;

    for (i = 0; i < core->tabs.count; i++) {
        wss_tab *tab = &core->tabs.items[i];

        if (tab->profiled && tab->done != tab->acked) {
            /* Its profile answered for what the socket took: a request got
             * its error, a subscription waits for the next socket. */
            tab->acked = tab->done;
            tab->ack_dirty = 1;
            request_flush(core);
        } else if (tab->done != tab->acked) {
            tab->next_seq = tab->acked + 1;
            tab->done = tab->acked;
            post_envelope(core, bus_resend(core->cfg.leader, tab->id, tab->next_seq));
        }
    }
    core->retry_delay = backoff_next(&core->retry, &core->cfg.reconnect);
    core->retry_at = core->now + core->retry_delay;
    core->sock = SOCK_WAITING;
    core->stats.reconnects++;
    post_news(core, OWE_RECONNECTING);
    debug_log(core, "wsshare: server socket lost, reconnecting");
}

int wss_socket_closed(wss_core *core, uint32_t code, const char *reason, size_t reason_len,
                      int was_clean, double now_ms)
{
    int rc = start_event(core, core->queue.count + core->tabs.count, now_ms);

    if (rc != WSS_OK)
        return rc;
    if (core->sock == SOCK_IDLE || core->sock == SOCK_WAITING)
        return WSS_EREJECT;
    /* Frames that came before the close are delivered before it (those held
     * behind an open never announced too: the open itself is stale now), and
     * so are the profile's errors for the requests the socket took with it. */
    core->owed &= ~OWE_OPEN;
    if (core->prof != NULL) {
        int was = core->sock;

        core->sock = SOCK_WAITING; /* nothing more may go to this socket */
        core->prof->ops->closed(core->prof, &core->io);
        core->sock = was;
    }
    post_batch(core);
    post_acks(core);
    /* What the socket still buffered, or passed on too recently to be sure
     * of, is gone with it: never confirmed. */
    sent_clear(&core->sent);
    core->drain_requested = 0;
    if (core->sock == SOCK_CLOSING) {
        if (core->tabs.count > 0) {
            /* Tabs joined while the unused socket was closing: start afresh. */
            core->retry.attempt = 0;
            open_socket(core);
        } else {
            become_idle(core);
        }
    } else {
        if (core->sock == SOCK_OPEN && core->now - core->opened_at >= core->cfg.reconnect.min_uptime)
            core->retry.attempt = 0;
        core->close_code = code;
        core->close_clean = was_clean;
        copy_text(core->close_reason, sizeof(core->close_reason), reason, reason_len);
        if (is_final(core, code))
            give_up(core);
        else
            schedule_retry(core);
    }
    arm_timer(core);
    return WSS_OK;
}

int wss_online(wss_core *core, double now_ms)
{
    int rc = start_event(core, 0, now_ms);

    if (rc != WSS_OK)
        return rc;
    if (core->sock == SOCK_WAITING) {
        debug_log(core, "wsshare: back online, retrying now");
        open_socket(core);
    }
    arm_timer(core);
    return WSS_OK;
}

int wss_tick(wss_core *core, double now_ms)
{
    uint32_t i = 0;
    int rc;

    /* The timer that called is spent, whatever happens next. */
    core->armed_deadline = 0;
    /* Each silent tab takes two actions; the last one releases the queue. */
    rc = start_event(core, core->queue.count + 2 * core->tabs.count, now_ms);
    if (rc != WSS_OK)
        return rc;
    if (core->next_beat > 0 && core->next_beat <= core->now) {
        post_envelope(core, bus_beat(core->cfg.leader));
        core->next_beat = core->now + core->cfg.beat_ms;
    }
    while (core->cfg.tab_timeout_ms > 0 && i < core->tabs.count) {
        wss_tab *tab = &core->tabs.items[i];

        if (tab->last_seen + core->cfg.tab_timeout_ms <= core->now) {
            core->stats.tabs_lost++;
            drop_tab(core, tab->id, 1);
            i = 0;
        } else {
            i++;
        }
    }
    ack_due(core);
    if (core->prof_wake_at > 0 && core->prof_wake_at <= core->now) {
        core->prof_wake_at = 0;
        if (core->prof != NULL && core->prof->ops->woken != NULL)
            core->prof->ops->woken(core->prof, &core->io);
        let_go_closed(core);
    }
    if (core->sock == SOCK_WAITING && core->retry_at <= core->now)
        open_socket(core);
    arm_timer(core);
    return WSS_OK;
}

int wss_flush(wss_core *core, double now_ms)
{
    int rc = start_event(core, 0, now_ms);

    if (rc != WSS_OK)
        return rc;
    core->flush_pending = 0;
    post_batch(core);
    post_acks(core);
    arm_timer(core);
    return WSS_OK;
}

const wss_action *wss_actions(const wss_core *core, uint32_t *count)
{
    *count = core->actions.count;
    return core->actions.items;
}

const char *wss_stats_json(wss_core *core)
{
    char *text = stats_print(core);

    if (text == NULL)
        return NULL;
    wss_free(core->stats_text);
    core->stats_text = text;
    return text;
}

uint32_t *wss_scratch(wss_core *core, uint32_t n)
{
    void *p = core->scratch;
    int rc = wss_grow(&p, &core->scratch_cap, n, sizeof(uint32_t));

    core->scratch = p;
    return rc == WSS_OK ? core->scratch : NULL;
}

const char *wss_version(void)
{
    return WSS_VERSION_STRING;
}
