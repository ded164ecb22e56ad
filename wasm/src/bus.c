/*
 * The bus's control envelopes, read and written with cJSON. Every incoming
 * envelope is validated (size, version, type, ids, nothing trailing) before
 * the core acts on it; cJSON's own nesting limit keeps deep garbage from
 * recursing far. Data frames do not pass here, only their numbers do.
 */
#include <string.h>

#include "cJSON.h"
#include "internal.h"
#include "jscan.h"

static const struct {
    const char *name;
    int type;
} types[] = {
    {"hello", ENV_HELLO},
    {"bye", ENV_BYE},
    {"ping", ENV_PING},
    {"stats?", ENV_STATS_QUERY},
};

int json_u32(const cJSON *item, uint32_t min, uint32_t *out)
{
    double d = cJSON_IsNumber(item) ? item->valuedouble : -1;

    if (!(d >= (double)min && d <= (double)UINT32_MAX) || d != (double)(uint32_t)d)
        return WSS_EINVAL;
    *out = (uint32_t)d;
    return WSS_OK;
}

/* Reads a required integer field in [min, UINT32_MAX]: absent or null is
 * malformed, anything else not in range a bad id. */
static int get_u32(const cJSON *obj, const char *key, uint32_t min, uint32_t *out, int *why)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (json_u32(item, min, out) == WSS_OK)
        return WSS_OK;
    *why = item == NULL || cJSON_IsNull(item) ? REJ_MALFORMED : REJ_ID;
    return WSS_EINVAL;
}

/* The keys the core reads. A key given twice would be read one way here
 * (cJSON takes the first) and another way by a tab (JSON.parse takes the
 * last): such an envelope is refused, and so is any text that is not strict
 * JSON (bad UTF-8 included), which the scanner checks before cJSON reads it. */
static const char *const read_keys[] = {"v", "t", "tab", "next", "last", "p", "id", "l"};

static int strict_object(const char *json, size_t len)
{
    js_val root;
    size_t i;

    if (js_parse(json, len, &root) != WSS_OK || root.kind != JS_OBJECT)
        return 0;
    for (i = 0; i < sizeof(read_keys) / sizeof(read_keys[0]); i++)
        if (js_get(json, &root, read_keys[i], NULL) > 1)
            return 0;
    return 1;
}

int bus_decode(const char *json, size_t len, envelope *env, int *why)
{
    cJSON *root = NULL;
    const cJSON *t;
    const char *end = NULL;
    uint32_t v;
    size_t i;
    int rc = WSS_EINVAL;

    memset(env, 0, sizeof(*env));
    *why = REJ_MALFORMED;
    if (json == NULL || len > WSS_MAX_ENVELOPE_BYTES) {
        *why = REJ_SIZE;
        return WSS_EINVAL;
    }
    if (!strict_object(json, len))
        goto fail;
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    /* The envelope is the whole text: nothing may follow the object. */
    if (!cJSON_IsObject(root) || end != json + len)
        goto fail;
    if (get_u32(root, "v", 0, &v, why) != WSS_OK) {
        *why = REJ_MALFORMED;
        goto fail;
    }
    if (v != WSS_BUS_VERSION) {
        *why = REJ_VERSION;
        rc = WSS_EREJECT;
        goto fail;
    }
    t = cJSON_GetObjectItemCaseSensitive(root, "t");
    if (!cJSON_IsString(t))
        goto fail;
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(t->valuestring, types[i].name) == 0)
            env->type = types[i].type;
    if (env->type == 0) {
        *why = REJ_TYPE;
        rc = WSS_EREJECT;
        goto fail;
    }
    if (get_u32(root, "tab", 1, &env->tab, why) != WSS_OK)
        goto fail;
    if (env->type == ENV_HELLO && get_u32(root, "next", 1, &env->next, why) != WSS_OK)
        goto fail;
    if (env->type == ENV_HELLO && cJSON_GetObjectItemCaseSensitive(root, "last") != NULL &&
        get_u32(root, "last", 0, &env->last, why) != WSS_OK)
        goto fail;
    if (env->type == ENV_HELLO && cJSON_GetObjectItemCaseSensitive(root, "p") != NULL &&
        get_u32(root, "p", 0, &env->posted, why) != WSS_OK)
        goto fail;
    if (env->type == ENV_STATS_QUERY && get_u32(root, "id", 0, &env->id, why) != WSS_OK)
        goto fail;
    /* The leader a tab addresses; absent or 0: whichever leads. */
    if (cJSON_GetObjectItemCaseSensitive(root, "l") != NULL &&
        get_u32(root, "l", 0, &env->leader, why) != WSS_OK)
        goto fail;
    rc = WSS_OK;
fail:
    cJSON_Delete(root);
    return rc;
}

/* Starts an envelope object {"v":1,"t":type,"l":leader}: the leader's id lets
 * tabs ignore a former leader that has not noticed it was replaced. */
static cJSON *envelope_new(uint32_t leader, const char *type)
{
    cJSON *obj = cJSON_CreateObject();

    if (obj == NULL)
        return NULL;
    if (cJSON_AddNumberToObject(obj, "v", WSS_BUS_VERSION) == NULL ||
        cJSON_AddStringToObject(obj, "t", type) == NULL ||
        cJSON_AddNumberToObject(obj, "l", leader) == NULL) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

/* Prints and frees; NULL if anything before failed (obj NULL or !ok). */
static char *print_envelope(cJSON *obj, int ok)
{
    char *text = NULL;

    if (obj != NULL && ok)
        text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    return text;
}

static int add_num(cJSON *obj, const char *key, double value)
{
    return cJSON_AddNumberToObject(obj, key, value) != NULL;
}

static int add_str(cJSON *obj, const char *key, const char *value)
{
    return cJSON_AddStringToObject(obj, key, value) != NULL;
}

char *bus_welcome(uint32_t leader, uint32_t tab, const char *state, const char *protocol, const char *extensions,
                  uint32_t seq, uint32_t acked, int resume)
{
    cJSON *obj = envelope_new(leader, "welcome");

    return print_envelope(obj, obj != NULL && add_num(obj, "tab", tab) && add_str(obj, "state", state) &&
                           add_str(obj, "protocol", protocol) &&
                           add_str(obj, "extensions", extensions) && add_num(obj, "seq", seq) &&
                           add_num(obj, "acked", acked) &&
                           cJSON_AddBoolToObject(obj, "resume", resume) != NULL);
}

char *bus_open(uint32_t leader, const char *protocol, const char *extensions, uint32_t seq,
               int resume)
{
    cJSON *obj = envelope_new(leader, "open");

    return print_envelope(obj, obj != NULL && add_str(obj, "protocol", protocol) &&
                           add_str(obj, "extensions", extensions) && add_num(obj, "seq", seq) &&
                           cJSON_AddBoolToObject(obj, "resume", resume) != NULL);
}

char *bus_reconnecting(uint32_t leader, uint32_t attempt, uint32_t delay)
{
    cJSON *obj = envelope_new(leader, "reconnecting");

    return print_envelope(obj, obj != NULL && add_num(obj, "attempt", attempt) && add_num(obj, "delay", delay));
}

char *bus_close(uint32_t leader, uint32_t tab, uint32_t code, const char *reason, int was_clean)
{
    cJSON *obj = envelope_new(leader, "close");

    return print_envelope(obj, obj != NULL && (tab == 0 || add_num(obj, "tab", tab)) &&
                           add_num(obj, "code", code) &&
                           add_str(obj, "reason", reason) &&
                           cJSON_AddBoolToObject(obj, "clean", was_clean) != NULL);
}

static char *tab_only(uint32_t leader, const char *type, uint32_t tab)
{
    cJSON *obj = envelope_new(leader, type);

    return print_envelope(obj, obj != NULL && add_num(obj, "tab", tab));
}

char *bus_gone(uint32_t leader, uint32_t tab)
{
    return tab_only(leader, "gone", tab);
}

char *bus_rehello(uint32_t leader, uint32_t tab)
{
    return tab_only(leader, "rehello", tab);
}

char *bus_resend(uint32_t leader, uint32_t tab, uint32_t from)
{
    cJSON *obj = envelope_new(leader, "resend");

    return print_envelope(obj, obj != NULL && add_num(obj, "tab", tab) && add_num(obj, "from", from));
}

char *bus_error(uint32_t leader, uint32_t tab, uint32_t seq, const char *code, const char *message)
{
    cJSON *obj = envelope_new(leader, "error");

    return print_envelope(obj, obj != NULL && add_num(obj, "tab", tab) && add_num(obj, "seq", seq) &&
                           add_str(obj, "code", code) && add_str(obj, "message", message));
}

static int add_nums(cJSON *list, const uint32_t *nums, uint32_t n)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        cJSON *item = cJSON_CreateNumber(nums[i]);

        if (item == NULL)
            return 0;
        cJSON_AddItemToArray(list, item);
    }
    return 1;
}

/* The notes go first: "k" [tab, seq, mark, ...] to keep, "x" [tab, seq, ...]
 * to forget; a tab reads them before the acks, so that a frame acknowledged
 * in the same envelope is kept. */
static int add_notes(cJSON *obj, const uint32_t *notes, uint32_t nnotes)
{
    cJSON *keep = NULL;
    cJSON *forget = NULL;
    uint32_t i;

    for (i = 0; i < nnotes; i++) {
        const uint32_t *n = notes + 3 * i;
        cJSON **list = n[2] == NOTE_FORGET ? &forget : &keep;

        if (*list == NULL) {
            *list = cJSON_AddArrayToObject(obj, n[2] == NOTE_FORGET ? "x" : "k");
            if (*list == NULL)
                return 0;
        }
        if (!add_nums(*list, n, n[2] == NOTE_FORGET ? 2 : 3))
            return 0;
    }
    return 1;
}

char *bus_acks(uint32_t leader, const tab_table *tabs, const uint32_t *notes, uint32_t nnotes)
{
    cJSON *obj = envelope_new(leader, "ack");
    cJSON *list;
    uint32_t i;
    int ok = obj != NULL && add_notes(obj, notes, nnotes);

    /* A flat [tab, seq, tab, seq, ...] list keeps the envelope small. */
    list = ok ? cJSON_AddArrayToObject(obj, "a") : NULL;
    ok = ok && list != NULL;
    for (i = 0; ok && i < tabs->count; i++) {
        const wss_tab *tab = &tabs->items[i];
        cJSON *id;
        cJSON *seq;

        if (!tab->ack_dirty)
            continue;
        id = cJSON_CreateNumber(tab->id);
        seq = cJSON_CreateNumber(tab->acked);
        ok = id != NULL && seq != NULL;
        if (ok) {
            cJSON_AddItemToArray(list, id);
            cJSON_AddItemToArray(list, seq);
        } else {
            cJSON_Delete(id);
            cJSON_Delete(seq);
        }
    }
    return print_envelope(obj, ok);
}

char *bus_stats(uint32_t leader, uint32_t tab, uint32_t id, const char *stats_json)
{
    cJSON *obj = envelope_new(leader, "stats");
    cJSON *stats = stats_json != NULL ? cJSON_Parse(stats_json) : NULL;
    int ok = obj != NULL && stats != NULL && add_num(obj, "tab", tab) && add_num(obj, "id", id);

    /* Adding copies the key, which can fail: then the object is still ours. */
    ok = ok && cJSON_AddItemToObject(obj, "stats", stats);
    if (!ok)
        cJSON_Delete(stats);
    return print_envelope(obj, ok);
}

char *bus_leader(uint32_t leader)
{
    return print_envelope(envelope_new(leader, "leader"), 1);
}

char *bus_beat(uint32_t leader)
{
    return print_envelope(envelope_new(leader, "beat"), 1);
}
