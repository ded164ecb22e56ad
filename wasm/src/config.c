/*
 * The core's configuration, read from the JSON object the host passes to
 * wss_create. Unknown keys are ignored (the host's own options live there
 * too); a known key with a bad value is an error, never silently defaulted.
 */
#include <string.h>

#include "cJSON.h"
#include "internal.h"

/* Close codes no retry can cure, where the server judged the client itself
 * (protocol error, unsupported or invalid data, policy, too big, missing
 * extension): reconnect.stopOn's default. */
static const uint16_t default_stop_on[] = {1002, 1003, 1007, 1008, 1009, 1010};

/* tabTimeoutMs when the host has no Web Locks and the config names none: a
 * tab's end shows only as silence, so wait longer than a hidden tab's
 * heartbeat can be throttled to (once a minute). */
#define SILENT_TAB_TIMEOUT_MS 180000

#define AT(field) offsetof(wss_config, field)
#define U32 UINT32_MAX

/* Every key wss_create reads, with its default and its bounds: the parser
 * reads through this table and nothing else, and wsshare.h's list of keys is
 * checked against it (tests/native/test_config.c). Keys under "reconnect."
 * live in the `reconnect` object. Rows of the kinds after CFG_FACTOR are
 * read by hand below, and `text` gives their default as the header writes it. */
const config_key config_keys[] = {
    {"maxQueuedBytes", AT(max_queued_bytes), CFG_WHOLE, 1u << 20, 1, U32, NULL},
    {"maxQueuedFrames", AT(max_queued_frames), CFG_WHOLE, 1000, 1, U32, NULL},
    {"maxMessageBytes", AT(max_message_bytes), CFG_WHOLE, 16u << 20, 1, U32, NULL},
    {"maxBatchFrames", AT(max_batch_frames), CFG_WHOLE, 512, 1, U32, NULL},
    {"maxBatchBytes", AT(max_batch_bytes), CFG_WHOLE, 256u << 10, 1, U32, NULL},
    /* 0: tabs hold Web Locks, so no guessing by default (see config_parse) */
    {"tabTimeoutMs", AT(tab_timeout_ms), CFG_WHOLE, 0, 0, U32, NULL},
    /* 0 for a host that needs no id; the host picks one at random */
    {"leader", AT(leader), CFG_WHOLE, 0, 0, U32, NULL},
    /* followers watch the leader's beats where pages have no Web Locks */
    {"beatMs", AT(beat_ms), CFG_WHOLE, 0, 0, U32, NULL},
    /* a browser's network process may still hold bytes its socket passed on,
     * and loses them if the leader ends at that moment */
    {"ackDelayMs", AT(ack_delay_ms), CFG_WHOLE, 100, 0, U32, NULL},
    /* the retry jitter's seed; the host picks it at random */
    {"seed", AT(seed), CFG_WHOLE, 0, 0, U32, NULL},
    {"locks", AT(locks), CFG_FLAG, 1, 0, 1, NULL},
    /* a host started for a tab that is on its way need not wait for its hello */
    {"openAtStart", AT(open_at_start), CFG_FLAG, 0, 0, 1, NULL},
    {"debug", AT(debug), CFG_FLAG, 0, 0, 1, NULL},
    {"protocol", 0, CFG_NAME, 0, 0, 0, "auto"},
    {"protocols", 0, CFG_NAMES, 0, 0, 0, "[]"},
    {"url", 0, CFG_NAME, 0, 0, 0, "none"},
    /* absent: only a protocol profile reconnects; true: the defaults below */
    {"reconnect", 0, CFG_SWITCH, 0, 0, 0, "absent"},
    {"reconnect.minDelay", AT(reconnect.min_delay), CFG_WHOLE, 1000, 1, U32, NULL},
    {"reconnect.maxDelay", AT(reconnect.max_delay), CFG_WHOLE, 30000, 1, U32, NULL},
    {"reconnect.factor", AT(reconnect.factor), CFG_FACTOR, 2, 1, 1000, NULL},
    /* UINT32_MAX: no limit */
    {"reconnect.maxRetries", AT(reconnect.max_retries), CFG_WHOLE, U32, 0, U32, NULL},
    {"reconnect.minUptime", AT(reconnect.min_uptime), CFG_WHOLE, 5000, 0, U32, NULL},
    /* bounds of each code; at most WSS_MAX_STOP_CODES of them */
    {"reconnect.stopOn", 0, CFG_CODES, 0, 1000, 4999, "1002,1003,1007,1008,1009,1010"},
};
const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

static const char nested_prefix[] = "reconnect.";

static const config_key *find_key(const char *name)
{
    size_t i;

    for (i = 0; i < config_nkeys; i++)
        if (strcmp(config_keys[i].name, name) == 0)
            return &config_keys[i];
    return NULL;
}

void config_defaults(wss_config *cfg)
{
    size_t i;

    memset(cfg, 0, sizeof(*cfg));
    for (i = 0; i < config_nkeys; i++) {
        const config_key *k = &config_keys[i];
        char *at = (char *)cfg + k->offset;

        if (k->kind == CFG_WHOLE)
            memcpy(at, &k->def, sizeof(uint32_t));
        else if (k->kind == CFG_FLAG)
            memcpy(at, &(int){k->def != 0}, sizeof(int));
        else if (k->kind == CFG_FACTOR)
            memcpy(at, &(double){k->def}, sizeof(double));
    }
    memcpy(cfg->reconnect.stop_on, default_stop_on, sizeof(default_stop_on));
    cfg->reconnect.nstop = sizeof(default_stop_on) / sizeof(default_stop_on[0]);
    /* "auto" with no subprotocol watches for JSON-RPC */
    cfg->profile = PROFILE_JSONRPC;
    /* a lost connection closes every tab, unless a profile resumes it */
    cfg->resume = 0;
}

/* A key that is absent or null keeps its default. */
static const cJSON *present(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsNull(item) ? NULL : item;
}

static int read_field(const cJSON *item, const config_key *k, char *at)
{
    uint32_t u;

    if (k->kind == CFG_FLAG) {
        if (!cJSON_IsBool(item))
            return WSS_EINVAL;
        memcpy(at, &(int){cJSON_IsTrue(item)}, sizeof(int));
    } else if (k->kind == CFG_FACTOR) {
        if (!cJSON_IsNumber(item) || !(item->valuedouble >= k->min && item->valuedouble <= k->max))
            return WSS_EINVAL;
        memcpy(at, &item->valuedouble, sizeof(double));
    } else {
        if (json_u32(item, k->min, &u) != WSS_OK || u > k->max)
            return WSS_EINVAL;
        memcpy(at, &u, sizeof(u));
    }
    return WSS_OK;
}

static int read_stop_on(const cJSON *list, wss_reconnect *rc)
{
    const config_key *k = find_key("reconnect.stopOn");
    const cJSON *code;
    uint32_t n = 0;
    uint32_t u;

    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > WSS_MAX_STOP_CODES)
        return WSS_EINVAL;
    cJSON_ArrayForEach(code, list)
    {
        if (json_u32(code, k->min, &u) != WSS_OK || u > k->max)
            return WSS_EINVAL;
        rc->stop_on[n++] = (uint16_t)u;
    }
    rc->nstop = n;
    return WSS_OK;
}

/* The profile named by `protocol` ("auto" when absent); "auto" picks one by
 * the subprotocols the tabs asked for (`protocols`) and the url
 * (profiles.c). */
static int read_profile(const cJSON *root, int *kind)
{
    const cJSON *name = present(root, "protocol");
    const cJSON *list = present(root, "protocols");
    const cJSON *url = present(root, "url");
    const char *asked[WSS_MAX_PROTOCOLS];
    const profile_kind_info *k;
    const cJSON *p;
    size_t n = 0;

    if ((name != NULL && !cJSON_IsString(name)) || (list != NULL && !cJSON_IsArray(list)) ||
        (url != NULL && !cJSON_IsString(url)))
        return WSS_EINVAL;
    cJSON_ArrayForEach(p, list)
    {
        if (!cJSON_IsString(p) || n == WSS_MAX_PROTOCOLS)
            return WSS_EINVAL;
        asked[n++] = p->valuestring;
    }
    if (name == NULL || strcmp(name->valuestring, "auto") == 0) {
        *kind = profile_auto(asked, n, url != NULL ? url->valuestring : NULL);
        return WSS_OK;
    }
    k = profile_named(name->valuestring);
    if (k == NULL)
        return WSS_EINVAL;
    *kind = k->kind;
    return WSS_OK;
}

int config_parse(wss_config *cfg, const char *json, size_t len)
{
    cJSON *root;
    const cJSON *nested = NULL;
    const cJSON *item;
    const char *end = NULL;
    size_t i;
    int rc = WSS_EINVAL;

    config_defaults(cfg);
    if (json == NULL || len == 0)
        return WSS_OK;
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!cJSON_IsObject(root))
        goto fail;
    /* Only white space may follow the object. */
    while (end < json + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (end != json + len)
        goto fail;
    /* `reconnect`: true for the defaults, false for no retry at all, or an
     * object overriding some of them; absent, only a profile reconnects. */
    item = present(root, "reconnect");
    if (cJSON_IsFalse(item))
        cfg->reconnect.max_retries = 0;
    else if (cJSON_IsObject(item))
        nested = item;
    else if (item != NULL && !cJSON_IsTrue(item))
        goto fail;
    /* Without a profile, a lost connection is hidden only when asked for. */
    cfg->resume = item != NULL && !cJSON_IsFalse(item);
    for (i = 0; i < config_nkeys; i++) {
        const config_key *k = &config_keys[i];
        int in_nested = strncmp(k->name, nested_prefix, sizeof(nested_prefix) - 1) == 0;

        if (k->kind > CFG_FACTOR)
            continue;
        item = in_nested ? present(nested, k->name + sizeof(nested_prefix) - 1)
                         : present(root, k->name);
        if (item != NULL && read_field(item, k, (char *)cfg + k->offset) != WSS_OK)
            goto fail;
    }
    if (read_profile(root, &cfg->profile) != WSS_OK)
        goto fail;
    item = present(nested, "stopOn");
    if ((item != NULL && read_stop_on(item, &cfg->reconnect) != WSS_OK) ||
        cfg->reconnect.min_delay > cfg->reconnect.max_delay)
        goto fail;
    /* Without locks a tab's end shows only as silence; unless told otherwise,
     * wait longer than background throttling can delay its heartbeat. */
    if (!cfg->locks && present(root, "tabTimeoutMs") == NULL)
        cfg->tab_timeout_ms = SILENT_TAB_TIMEOUT_MS;
    rc = WSS_OK;
fail:
    if (rc != WSS_OK)
        config_defaults(cfg);
    cJSON_Delete(root);
    return rc;
}
