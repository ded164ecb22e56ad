/*
 * The harness's machinery (see harness.h): runner, failing allocator, and
 * the fixture that feeds a core events and keeps the books on its actions.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

/* ---- the runner ---------------------------------------------------------- */

static const char *current;
static int current_failed;

void check_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    if (!current_failed)
        fprintf(stderr, "FAIL %s\n", current ? current : "(outside a test)");
    current_failed = 1;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int test_failed(void)
{
    return current_failed;
}

int run_suites(const test_case *const *suites, const char *filter)
{
    int passed = 0;
    int failed = 0;
    const test_case *const *s;
    const test_case *t;

    for (s = suites; *s != NULL; s++) {
        for (t = *s; t->name != NULL; t++) {
            if (filter != NULL && strstr(t->name, filter) == NULL)
                continue;
            current = t->name;
            current_failed = 0;
            t->fn();
            /* A test that fails half-way must not leave hooks behind. */
            fa_uninstall();
            if (current_failed)
                failed++;
            else
                passed++;
        }
    }
    current = NULL;
    fflush(stderr);
    printf("%d passed, %d failed\n", passed, failed);
    fflush(stdout);
    return failed;
}

/* ---- the generator ---------------------------------------------------------- */

uint32_t prng_next(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

uint32_t prng_below(uint32_t *state, uint32_t n)
{
    return n == 0 ? 0 : prng_next(state) % n;
}

/* ---- the failing allocator ------------------------------------------------ */

static struct {
    long fail_at;
    int sticky;
    uint32_t rng; /* nonzero: random failures */
    uint32_t one_in;
    int paused;
    long calls;
    long failures;
    long live;
} fa;

static int fa_should_fail(void)
{
    if (fa.paused)
        return 0;
    fa.calls++;
    if (fa.rng != 0) {
        if (prng_next(&fa.rng) % fa.one_in == 0) {
            fa.failures++;
            return 1;
        }
        return 0;
    }
    if (fa.fail_at > 0 && (fa.calls == fa.fail_at || (fa.sticky && fa.calls > fa.fail_at))) {
        fa.failures++;
        return 1;
    }
    return 0;
}

static void *fa_malloc(size_t size)
{
    void *p;

    if (fa_should_fail())
        return NULL;
    p = malloc(size);
    if (p != NULL)
        fa.live++;
    return p;
}

static void *fa_realloc(void *ptr, size_t size)
{
    void *p;

    if (fa_should_fail())
        return NULL;
    p = realloc(ptr, size);
    if (p != NULL && ptr == NULL)
        fa.live++;
    return p;
}

static void fa_free(void *ptr)
{
    if (ptr != NULL)
        fa.live--;
    free(ptr);
}

static void fa_reset(void)
{
    static const wss_hooks hooks = {fa_malloc, fa_realloc, fa_free};

    memset(&fa, 0, sizeof(fa));
    wss_init_hooks(&hooks);
}

void fa_install(long fail_at, int sticky)
{
    fa_reset();
    fa.fail_at = fail_at;
    fa.sticky = sticky;
}

void fa_install_random(uint32_t seed, uint32_t one_in)
{
    fa_reset();
    fa.rng = seed ? seed : 1;
    fa.one_in = one_in ? one_in : 1;
}

void fa_arm(long nth, int sticky)
{
    fa.fail_at = fa.calls + nth;
    fa.sticky = sticky;
}

void fa_uninstall(void)
{
    wss_init_hooks(NULL);
}

void fa_pause(int paused)
{
    fa.paused = paused;
}

long fa_failures(void)
{
    return fa.failures;
}

long fa_live(void)
{
    return fa.live;
}

/* ---- snapshots ------------------------------------------------------------ */

static void snap_clear(snap *s)
{
    uint32_t i;

    fa_pause(1);
    for (i = 0; i < s->count; i++) {
        free(s->items[i].text);
        free(s->items[i].handles);
        cJSON_Delete(s->items[i].json);
    }
    fa_pause(0);
    s->count = 0;
}

static void snap_free(snap *s)
{
    snap_clear(s);
    free(s->items);
    memset(s, 0, sizeof(*s));
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL) {
        fprintf(stderr, "harness: out of memory\n");
        exit(2);
    }
    return p;
}

static void snap_take(snap *s, const wss_core *core)
{
    uint32_t n;
    uint32_t i;
    const wss_action *list = wss_actions(core, &n);

    snap_clear(s);
    if (n > s->cap) {
        free(s->items);
        s->items = xmalloc(n * sizeof(act));
        s->cap = n;
    }
    fa_pause(1);
    for (i = 0; i < n; i++) {
        act *x = &s->items[i];

        memset(x, 0, sizeof(*x));
        x->kind = list[i].kind;
        x->a = list[i].a;
        x->b = list[i].b;
        x->handle = list[i].handle;
        x->len = list[i].len;
        if (x->kind == WSS_ACT_POST_DATA) {
            /* Its text is the handles, then the targets (wsshare.h). */
            x->handles = xmalloc(2 * x->b * sizeof(uint32_t));
            if (x->b > 0) {
                memcpy(x->handles, wss_data_handles(&list[i]), x->b * sizeof(uint32_t));
                memcpy(x->handles + x->b, wss_data_targets(&list[i]), x->b * sizeof(uint32_t));
            }
            if (x->len != 4 * x->b)
                check_fail(__FILE__, __LINE__, "POST_DATA of %u frames has len %u", x->b, x->len);
        } else if (list[i].text != NULL) {
            x->text = xmalloc((size_t)x->len + 1);
            memcpy(x->text, list[i].text, x->len);
            x->text[x->len] = '\0';
            if (x->kind == WSS_ACT_POST)
                x->json = cJSON_Parse(x->text);
        }
    }
    fa_pause(0);
    s->count = n;
}

long long act_num(const act *x, const char *key)
{
    const cJSON *item = x ? cJSON_GetObjectItemCaseSensitive(x->json, key) : NULL;

    return cJSON_IsNumber(item) ? (long long)item->valuedouble : -1;
}

const char *act_str(const act *x, const char *key)
{
    const cJSON *item = x ? cJSON_GetObjectItemCaseSensitive(x->json, key) : NULL;

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

int act_bool(const act *x, const char *key)
{
    const cJSON *item = x ? cJSON_GetObjectItemCaseSensitive(x->json, key) : NULL;

    return cJSON_IsBool(item) ? cJSON_IsTrue(item) : -1;
}

long long ack_for(const act *x, uint32_t tab)
{
    const cJSON *list = x ? cJSON_GetObjectItemCaseSensitive(x->json, "a") : NULL;
    int i;
    int n = cJSON_GetArraySize(list);

    for (i = 0; i + 1 < n; i += 2) {
        const cJSON *id = cJSON_GetArrayItem(list, i);
        const cJSON *seq = cJSON_GetArrayItem(list, i + 1);

        if (cJSON_IsNumber(id) && cJSON_IsNumber(seq) && id->valuedouble == (double)tab)
            return (long long)seq->valuedouble;
    }
    return -1;
}

int ack_pairs(const act *x)
{
    const cJSON *list = x ? cJSON_GetObjectItemCaseSensitive(x->json, "a") : NULL;

    return cJSON_IsArray(list) ? cJSON_GetArraySize(list) / 2 : -1;
}

/* ---- the fixture ---------------------------------------------------------- */

/* The fixture's core acknowledges a frame as soon as its socket drained, so
 * that each test sees the ack at the drain, unless the config names
 * ackDelayMs (the suite of the ack delay does). Configs that are not an
 * object go in as they are. */
/* Adds "key":value in front of an object config's keys, unless it names key. */
static char *add_key(const char *config, const char *key, const char *value)
{
    size_t len = config ? strlen(config) : 0;
    size_t klen = strlen(key) + strlen(value) + 4;
    char *text;

    if (len > 0 && (config[0] != '{' || strstr(config, key) != NULL))
        return NULL;
    text = malloc(klen + len + 2);
    if (text == NULL)
        return NULL;
    snprintf(text, klen + 2, "{\"%s\":%s", key, value);
    if (len <= 2 || config[1] == '}')
        strcat(text, "}");
    else
        strcat(strcat(text, ","), config + 1);
    return text;
}

static int open_with(fx *f, const char *config, int reconnect)
{
    char *delay;
    char *both = NULL;
    const char *use;

    memset(f, 0, sizeof(*f));
    f->now = 1000.0;
    f->next_handle = 1;
    delay = add_key(config, "ackDelayMs", "0");
    use = delay != NULL ? delay : config;
    if (reconnect)
        both = add_key(use, "reconnect", "true");
    if (both != NULL)
        use = both;
    f->rc = wss_create(&f->core, use, use ? strlen(use) : 0);
    free(delay);
    free(both);
    return f->rc;
}

int fx_open(fx *f, const char *config)
{
    return open_with(f, config, 1);
}

int fx_open_bare(fx *f, const char *config)
{
    return open_with(f, config, 0);
}

void fx_close(fx *f)
{
    uint32_t i;

    wss_destroy(f->core);
    snap_free(&f->acts);
    for (i = 0; i < f->ntexts; i++)
        free(f->texts[i]);
    free(f->texts);
    for (i = 0; i < f->nmade; i++)
        free(f->made[i].text);
    free(f->made);
    free(f->ledger);
    memset(f, 0, sizeof(*f));
}

uint32_t fx_held(const fx *f)
{
    uint32_t i;
    uint32_t n = 0;

    for (i = 0; i < f->ledger_cap; i++)
        n += f->ledger[i] == H_WITH_CORE;
    return n;
}

void fx_advance(fx *f, double ms)
{
    f->now += ms;
}

static uint32_t give(fx *f, uint32_t count)
{
    uint32_t first = f->next_handle;
    uint32_t i;

    if (first + count > f->ledger_cap) {
        uint32_t cap = (first + count) * 2 + 64;
        uint8_t *p = xmalloc(cap);

        memset(p, 0, cap);
        if (f->ledger_cap > 0)
            memcpy(p, f->ledger, f->ledger_cap);
        free(f->ledger);
        f->ledger = p;
        f->ledger_cap = cap;
    }
    for (i = 0; i < count; i++)
        f->ledger[first + i] = H_WITH_CORE;
    f->next_handle += count;
    f->first = first;
    return first;
}

static char *xstrdup(const char *text)
{
    size_t n = strlen(text);
    char *p = xmalloc(n + 1);

    memcpy(p, text, n + 1);
    return p;
}

static struct made *made_find(const fx *f, uint32_t h)
{
    uint32_t i;

    for (i = 0; i < f->nmade; i++)
        if (f->made[i].handle == h)
            return &f->made[i];
    return NULL;
}

static void made_add(fx *f, uint32_t h, const char *text)
{
    struct made *m = made_find(f, h);

    if (m != NULL && m->state == H_WITH_CORE) {
        check_fail(__FILE__, __LINE__, "payload %u made while the last one of that handle is held", h);
        return;
    }
    if (m == NULL) {
        struct made *p = realloc(f->made, (f->nmade + 1) * sizeof(*p));

        if (p == NULL) {
            fprintf(stderr, "harness: out of memory\n");
            exit(2);
        }
        f->made = p;
        m = &f->made[f->nmade++];
        m->text = NULL;
    }
    free(m->text);
    m->handle = h;
    m->state = H_WITH_CORE;
    m->text = xstrdup(text != NULL ? text : "");
}

static void back(fx *f, uint32_t h, const char *how)
{
    if (h >= 0x80000000u) {
        struct made *m = made_find(f, h);

        if (m == NULL || m->state != H_WITH_CORE)
            check_fail(__FILE__, __LINE__, "made payload %u came back as %s but %s", h, how,
                       m == NULL ? "was never made" : "came back before");
        else
            m->state = H_BACK;
        return;
    }
    if (h >= f->ledger_cap || f->ledger[h] != H_WITH_CORE) {
        check_fail(__FILE__, __LINE__, "handle %u came back as %s but the core did not hold it (%s)",
                   h, how, h < f->ledger_cap && f->ledger[h] == H_BACK ? "twice" : "never given");
        return;
    }
    f->ledger[h] = H_BACK;
}

/* Snapshots the call's actions and settles every handle they return. The
 * header promises that after WSS_ENOMEM the event was not taken: the handles
 * of that call that no action returned stay the host's. */
static int take(fx *f, int rc, uint32_t first, uint32_t given)
{
    uint32_t i;
    uint32_t j;

    f->rc = rc;
    snap_take(&f->acts, f->core);
    for (i = 0; i < f->acts.count; i++) {
        const act *x = &f->acts.items[i];

        if (x->kind == WSS_ACT_PAYLOAD) {
            fa_pause(1);
            made_add(f, x->a, x->text);
            fa_pause(0);
        } else if (x->kind == WSS_ACT_SEND) {
            back(f, x->handle, "SEND");
        } else if (x->kind == WSS_ACT_RELEASE) {
            back(f, x->handle, "RELEASE");
        } else if (x->kind == WSS_ACT_POST_DATA) {
            for (j = 0; j < x->b; j++)
                back(f, x->handles[j], "POST_DATA");
        }
    }
    if (rc == WSS_ENOMEM)
        for (i = 0; i < given; i++)
            if (f->ledger[first + i] == H_WITH_CORE)
                f->ledger[first + i] = H_BACK;
    return rc;
}

int fx_control_len(fx *f, const char *json, size_t len)
{
    return take(f, wss_bus_control(f->core, json, len, f->now), 0, 0);
}

int fx_control(fx *f, const char *json)
{
    return fx_control_len(f, json, strlen(json));
}

int fx_hello(fx *f, uint32_t tab, uint32_t next)
{
    char buf[96];

    snprintf(buf, sizeof(buf), "{\"v\":1,\"t\":\"hello\",\"tab\":%u,\"next\":%u}", tab, next);
    return fx_control(f, buf);
}

int fx_bye(fx *f, uint32_t tab)
{
    char buf[64];

    snprintf(buf, sizeof(buf), "{\"v\":1,\"t\":\"bye\",\"tab\":%u}", tab);
    return fx_control(f, buf);
}

int fx_ping(fx *f, uint32_t tab)
{
    char buf[64];

    snprintf(buf, sizeof(buf), "{\"v\":1,\"t\":\"ping\",\"tab\":%u}", tab);
    return fx_control(f, buf);
}

int fx_stats_query(fx *f, uint32_t tab, uint32_t id)
{
    char buf[80];

    snprintf(buf, sizeof(buf), "{\"v\":1,\"t\":\"stats?\",\"tab\":%u,\"id\":%u}", tab, id);
    return fx_control(f, buf);
}

int fx_frames_v(fx *f, uint32_t version, uint32_t tab, uint32_t seq0, uint32_t count,
                const uint32_t *lens)
{
    uint32_t *own = NULL;
    uint32_t first;
    uint32_t i;
    int rc;

    if (lens == NULL) {
        own = xmalloc(count * sizeof(uint32_t));
        for (i = 0; i < count; i++)
            own[i] = 10;
        lens = own;
    }
    first = give(f, count);
    rc = wss_tab_frames(f->core, version, f->leader, tab, seq0, count, first, lens, f->now);
    free(own);
    return take(f, rc, first, count);
}

int fx_frames_raw(fx *f, double version, double leader, double tab, double seq0,
                  uint32_t count, const uint32_t *lens)
{
    uint32_t first = give(f, count);

    return take(f, wss_tab_frames(f->core, version, leader, tab, seq0, count, first, lens, f->now),
                first, count);
}

int fx_unreadable(fx *f)
{
    return take(f, wss_bus_unreadable(f->core, f->now), 0, 0);
}

int fx_frames(fx *f, uint32_t tab, uint32_t seq0, uint32_t count, const uint32_t *lens)
{
    return fx_frames_v(f, WSS_BUS_VERSION, tab, seq0, count, lens);
}

static void remember_text(fx *f, uint32_t h, const char *text)
{
    if (h >= f->ntexts) {
        uint32_t n = h * 2 + 16;
        char **p = realloc(f->texts, n * sizeof(*p));

        if (p == NULL) {
            fprintf(stderr, "harness: out of memory\n");
            exit(2);
        }
        memset(p + f->ntexts, 0, (n - f->ntexts) * sizeof(*p));
        f->texts = p;
        f->ntexts = n;
    }
    free(f->texts[h]);
    f->texts[h] = xstrdup(text);
}

int fx_texts(fx *f, uint32_t tab, uint32_t seq0, uint32_t count, const char *const *texts)
{
    uint32_t *lens = xmalloc(count * sizeof(uint32_t));
    size_t total = 0;
    char *bytes;
    uint32_t first;
    uint32_t i;
    int rc;

    for (i = 0; i < count; i++)
        total += strlen(texts[i]);
    bytes = xmalloc(total + 1);
    total = 0;
    for (i = 0; i < count; i++) {
        lens[i] = (uint32_t)strlen(texts[i]);
        memcpy(bytes + total, texts[i], lens[i]);
        total += lens[i];
    }
    first = give(f, count);
    for (i = 0; i < count; i++)
        remember_text(f, first + i, texts[i]);
    rc = wss_tab_frames_text(f->core, WSS_BUS_VERSION, f->leader, tab, seq0, count, first, lens,
                             bytes, f->now);
    free(lens);
    free(bytes);
    return take(f, rc, first, count);
}

int fx_text(fx *f, uint32_t tab, uint32_t seq, const char *text)
{
    return fx_texts(f, tab, seq, 1, &text);
}

int fx_text_n(fx *f, uint32_t tab, uint32_t seq, const char *text, size_t len)
{
    uint32_t n = (uint32_t)len, first = give(f, 1);

    remember_text(f, first, text);
    return take(f,
                wss_tab_frames_text(f->core, WSS_BUS_VERSION, f->leader, tab, seq, 1, first, &n,
                                    text, f->now),
                first, 1);
}

int fx_binary(fx *f, uint32_t tab, uint32_t seq, uint32_t len)
{
    uint32_t word = WSS_FRAME_BINARY | len;
    uint32_t first = give(f, 1);

    return take(f,
                wss_tab_frames_text(f->core, WSS_BUS_VERSION, f->leader, tab, seq, 1, first, &word,
                                    "", f->now),
                first, 1);
}

int fx_restore(fx *f, uint32_t tab, uint32_t seq, uint32_t mark, const char *text)
{
    return fx_restore_raw(f, tab, seq, mark, text);
}

int fx_restore_raw(fx *f, uint32_t tab, double seq, double mark, const char *text)
{
    return fx_restore_n(f, tab, seq, mark, text, strlen(text));
}

int fx_restore_n(fx *f, uint32_t tab, double seq, double mark, const char *text, size_t len)
{
    double meta[3];
    uint32_t first = give(f, 1);

    meta[0] = seq;
    meta[1] = mark;
    meta[2] = (double)len;
    remember_text(f, first, text);
    return take(f,
                wss_tab_restore(f->core, WSS_BUS_VERSION, f->leader, tab, 1, first, meta, text,
                                f->now),
                first, 1);
}

int fx_server_text(fx *f, const char *text)
{
    return fx_server_text_n(f, text, strlen(text));
}

int fx_server_text_n(fx *f, const char *text, size_t len)
{
    uint32_t h = give(f, 1);

    remember_text(f, h, text);
    return take(f, wss_socket_text(f->core, h, text, len, f->now), h, 1);
}

const char *fx_payload(const fx *f, uint32_t handle)
{
    const struct made *m;

    if (handle < f->ntexts && f->texts[handle] != NULL)
        return f->texts[handle];
    m = made_find(f, handle);
    return m != NULL ? m->text : NULL;
}

static void join(char *buf, size_t cap, size_t *used, const char *text)
{
    size_t n = strlen(text);

    if (*used > 0 && *used + 1 < cap)
        buf[(*used)++] = '\n';
    if (*used + n >= cap)
        n = cap - *used - 1;
    memcpy(buf + *used, text, n);
    *used += n;
    buf[*used] = '\0';
}

const char *fx_delivered(const fx *f, uint32_t tab)
{
    static char buf[65536];
    size_t used = 0;
    uint32_t i;
    uint32_t j;

    buf[0] = '\0';
    for (i = 0; i < f->acts.count; i++) {
        const act *x = &f->acts.items[i];

        if (x->kind != WSS_ACT_POST_DATA)
            continue;
        for (j = 0; j < x->b; j++) {
            uint32_t to = x->handles[x->b + j];
            const char *text = fx_payload(f, x->handles[j]);

            if (to == 0 || to == tab)
                join(buf, sizeof buf, &used, text != NULL ? text : "?");
        }
    }
    return buf;
}

const char *fx_sent(const fx *f)
{
    static char buf[65536];
    size_t used = 0;
    uint32_t i;

    buf[0] = '\0';
    for (i = 0; i < f->acts.count; i++) {
        const act *x = &f->acts.items[i];
        const char *text;

        if (x->kind != WSS_ACT_SEND)
            continue;
        text = fx_payload(f, x->handle);
        join(buf, sizeof buf, &used, text != NULL ? text : "?");
    }
    return buf;
}

uint32_t fx_made_held(const fx *f)
{
    uint32_t i;
    uint32_t n = 0;

    for (i = 0; i < f->nmade; i++)
        n += f->made[i].state == H_WITH_CORE;
    return n;
}

int fx_gone(fx *f, uint32_t tab)
{
    return take(f, wss_tab_gone(f->core, tab, f->now), 0, 0);
}

int fx_opened(fx *f, const char *protocol, const char *extensions)
{
    return take(f,
                wss_socket_opened(f->core, protocol, protocol ? strlen(protocol) : 0, extensions,
                                  extensions ? strlen(extensions) : 0, f->now),
                0, 0);
}

int fx_server(fx *f, uint32_t len)
{
    uint32_t h = give(f, 1);

    return take(f, wss_socket_frame(f->core, h, len, 0, f->now), h, 1);
}

int fx_closed(fx *f, uint32_t code, const char *reason, int clean)
{
    return take(f,
                wss_socket_closed(f->core, code, reason, reason ? strlen(reason) : 0, clean,
                                  f->now),
                0, 0);
}

int fx_drained(fx *f)
{
    return fx_buffered(f, 0);
}

int fx_buffered(fx *f, double amount)
{
    return take(f, wss_socket_buffered(f->core, amount, f->now), 0, 0);
}

int fx_begin(fx *f)
{
    return take(f, wss_start(f->core, f->now), 0, 0);
}

int fx_online(fx *f)
{
    return take(f, wss_online(f->core, f->now), 0, 0);
}

int fx_tick(fx *f)
{
    return take(f, wss_tick(f->core, f->now), 0, 0);
}

int fx_flush(fx *f)
{
    return take(f, wss_flush(f->core, f->now), 0, 0);
}

void fx_start(fx *f, uint32_t tab)
{
    fx_hello(f, tab, 1);
    fx_opened(f, "", "");
    fx_flush(f);
}

const act *fx_nth(const fx *f, uint32_t kind, int nth)
{
    uint32_t i;

    for (i = 0; i < f->acts.count; i++)
        if (f->acts.items[i].kind == kind && nth-- == 0)
            return &f->acts.items[i];
    return NULL;
}

const act *fx_post(const fx *f, const char *type, int nth)
{
    uint32_t i;

    for (i = 0; i < f->acts.count; i++) {
        const act *x = &f->acts.items[i];
        const char *t = x->kind == WSS_ACT_POST ? act_str(x, "t") : NULL;

        if (t != NULL && strcmp(t, type) == 0 && nth-- == 0)
            return x;
    }
    return NULL;
}

int fx_count(const fx *f, uint32_t kind)
{
    uint32_t i;
    int n = 0;

    for (i = 0; i < f->acts.count; i++)
        n += f->acts.items[i].kind == kind;
    return n;
}

static const char *const kind_names[] = {
    "?", "OPEN", "SEND", "RELEASE", "CLOSE", "POST", "DATA",
    "TIMER", "FLUSH", "WATCH", "UNWATCH", "LOG", "IDLE", "DRAIN", "PAYLOAD",
};

const char *fx_describe(const fx *f)
{
    static char buf[16384];
    size_t used = 0;
    uint32_t i;
    uint32_t j;

    buf[0] = '\0';
    for (i = 0; i < f->acts.count && used + 64 < sizeof(buf); i++) {
        const act *x = &f->acts.items[i];
        const char *name = x->kind <= WSS_ACT_PAYLOAD ? kind_names[x->kind] : "?";
        char *p = buf + used;
        size_t room = sizeof(buf) - used;
        int n;

        if (i > 0) {
            *p++ = ' ';
            room--;
            used++;
        }
        switch (x->kind) {
        case WSS_ACT_SEND:
        case WSS_ACT_RELEASE:
            n = snprintf(p, room, "%s#%u", name, x->handle);
            break;
        case WSS_ACT_POST:
            n = snprintf(p, room, "POST:%s", act_str(x, "t") ? act_str(x, "t") : "?");
            break;
        case WSS_ACT_POST_DATA:
            n = snprintf(p, room, "DATA@%u#", x->a);
            for (j = 0; j < x->b && n > 0 && (size_t)n + 16 < room; j++)
                n += snprintf(p + n, room - (size_t)n, j ? ",%u" : "%u", x->handles[j]);
            break;
        case WSS_ACT_TIMER:
            n = x->a == UINT32_MAX ? snprintf(p, room, "TIMER:off")
                                   : snprintf(p, room, "TIMER:%u", x->a);
            break;
        case WSS_ACT_DRAIN:
            /* At once, or after the wait the core chose. */
            n = x->a == 0 ? snprintf(p, room, "DRAIN") : snprintf(p, room, "DRAIN:%u", x->a);
            break;
        case WSS_ACT_CLOSE:
        case WSS_ACT_WATCH:
        case WSS_ACT_UNWATCH:
            n = snprintf(p, room, "%s:%u", name, x->a);
            break;
        default:
            n = snprintf(p, room, "%s", name);
            break;
        }
        if (n < 0 || (size_t)n >= room)
            break;
        used += (size_t)n;
    }
    return buf;
}

void check_acts(const char *file, int line, const fx *f, const char *expected)
{
    const char *got = fx_describe(f);

    if (strcmp(got, expected) != 0)
        check_fail(file, line, "actions\n    expected: %s\n    got:      %s", expected, got);
}

cJSON *fx_stats(fx *f)
{
    const char *text = wss_stats_json(f->core);
    cJSON *obj;

    if (text == NULL)
        return NULL;
    fa_pause(1);
    obj = cJSON_Parse(text);
    fa_pause(0);
    return obj;
}

long long fx_stat(fx *f, const char *path)
{
    char key[64];
    cJSON *root = fx_stats(f);
    const cJSON *item = root;
    const char *p = path;
    long long value = -1;

    while (item != NULL && *p != '\0') {
        size_t n = strcspn(p, ".");

        if (n >= sizeof(key))
            n = sizeof(key) - 1;
        memcpy(key, p, n);
        key[n] = '\0';
        item = cJSON_GetObjectItemCaseSensitive(item, key);
        p += n;
        if (*p == '.')
            p++;
    }
    if (cJSON_IsNumber(item))
        value = (long long)item->valuedouble;
    fa_pause(1);
    cJSON_Delete(root);
    fa_pause(0);
    return value;
}
