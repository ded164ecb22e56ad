/*
 * The core's configuration, read from the JSON object the host passes to
 * wss_create. Unknown keys are ignored (the host's own options live there
 * too); a known key with a bad value is an error, never silently defaulted.
 */
#include <string.h>

#include "cJSON.h"
#include "internal.h"

static const wss_config defaults = {
    1u << 20,  /* max_queued_bytes: 1 MiB */
    1000,      /* max_queued_frames */
    16u << 20, /* max_message_bytes: 16 MiB */
    512,       /* max_batch_frames */
    256u << 10, /* max_batch_bytes */
    0,         /* tab_timeout_ms: tabs hold Web Locks, so no guessing by default */
    0,         /* leader: the host picks an id; 0 for a host that needs none */
    0,         /* beat_ms: followers watch the leader's beats in election mode only */
    1,         /* locks */
    0,         /* debug */
    0,         /* seed */
    {
        1000,       /* min_delay */
        30000,      /* max_delay */
        2.0,        /* factor */
        UINT32_MAX, /* max_retries: no limit */
        5000,       /* min_uptime */
        /* stop_on: close codes no retry can cure, where the server judged the
         * client itself (protocol error, unsupported or invalid data, policy,
         * too big, missing extension). */
        6,
        {1002, 1003, 1007, 1008, 1009, 1010},
    },
};

typedef struct u32_field {
    const char *key;
    size_t offset;
    uint32_t min;
} u32_field;

static const u32_field fields[] = {
    {"maxQueuedBytes", offsetof(wss_config, max_queued_bytes), 1},
    {"maxQueuedFrames", offsetof(wss_config, max_queued_frames), 1},
    {"maxMessageBytes", offsetof(wss_config, max_message_bytes), 1},
    {"maxBatchFrames", offsetof(wss_config, max_batch_frames), 1},
    {"maxBatchBytes", offsetof(wss_config, max_batch_bytes), 1},
    {"tabTimeoutMs", offsetof(wss_config, tab_timeout_ms), 0},
    {"leader", offsetof(wss_config, leader), 0},
    {"beatMs", offsetof(wss_config, beat_ms), 0},
    {"seed", offsetof(wss_config, seed), 0},
};

static const u32_field reconnect_fields[] = {
    {"minDelay", offsetof(wss_reconnect, min_delay), 1},
    {"maxDelay", offsetof(wss_reconnect, max_delay), 1},
    {"maxRetries", offsetof(wss_reconnect, max_retries), 0},
    {"minUptime", offsetof(wss_reconnect, min_uptime), 0},
};

static const struct {
    const char *key;
    size_t offset;
} flags[] = {
    {"locks", offsetof(wss_config, locks)},
    {"debug", offsetof(wss_config, debug)},
};

/* A key that is absent or null keeps its default. */
static const cJSON *present(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsNull(item) ? NULL : item;
}

static int is_integer_in(const cJSON *item, double min, double max)
{
    double d = cJSON_IsNumber(item) ? item->valuedouble : -1;

    return cJSON_IsNumber(item) && d >= min && d <= max && d == (double)(int64_t)d;
}

/* Reads each field of the table that is present into the struct at `base`. */
static int read_u32s(const cJSON *obj, const u32_field *table, size_t n, void *base)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const cJSON *item = present(obj, table[i].key);
        uint32_t v;

        if (item == NULL)
            continue;
        if (!is_integer_in(item, table[i].min, UINT32_MAX))
            return WSS_EINVAL;
        v = (uint32_t)item->valuedouble;
        memcpy((char *)base + table[i].offset, &v, sizeof(v));
    }
    return WSS_OK;
}

static int read_stop_on(const cJSON *list, wss_reconnect *rc)
{
    const cJSON *code;
    uint32_t n = 0;

    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > WSS_MAX_STOP_CODES)
        return WSS_EINVAL;
    cJSON_ArrayForEach(code, list)
    {
        if (!is_integer_in(code, 1000, 4999))
            return WSS_EINVAL;
        rc->stop_on[n++] = (uint16_t)code->valuedouble;
    }
    rc->nstop = n;
    return WSS_OK;
}

/* `reconnect`: true or absent for the defaults, false for no retry at all,
 * or an object overriding some of them. */
static int read_reconnect(const cJSON *item, wss_reconnect *rc)
{
    const cJSON *factor;
    const cJSON *stop_on;

    if (item == NULL || cJSON_IsTrue(item))
        return WSS_OK;
    if (cJSON_IsFalse(item)) {
        rc->max_retries = 0;
        return WSS_OK;
    }
    if (!cJSON_IsObject(item) ||
        read_u32s(item, reconnect_fields, sizeof(reconnect_fields) / sizeof(reconnect_fields[0]),
                  rc) != WSS_OK)
        return WSS_EINVAL;
    factor = present(item, "factor");
    if (factor != NULL) {
        if (!cJSON_IsNumber(factor) || !(factor->valuedouble >= 1 && factor->valuedouble <= 1000))
            return WSS_EINVAL;
        rc->factor = factor->valuedouble;
    }
    stop_on = present(item, "stopOn");
    if (stop_on != NULL && read_stop_on(stop_on, rc) != WSS_OK)
        return WSS_EINVAL;
    return rc->min_delay <= rc->max_delay ? WSS_OK : WSS_EINVAL;
}

int config_parse(wss_config *cfg, const char *json, size_t len)
{
    cJSON *root;
    const cJSON *item;
    const char *end = NULL;
    size_t i;
    int rc = WSS_EINVAL;

    *cfg = defaults;
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
    if (read_u32s(root, fields, sizeof(fields) / sizeof(fields[0]), cfg) != WSS_OK)
        goto fail;
    for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        item = present(root, flags[i].key);
        if (item == NULL)
            continue;
        if (!cJSON_IsBool(item))
            goto fail;
        memcpy((char *)cfg + flags[i].offset, &(int){cJSON_IsTrue(item)}, sizeof(int));
    }
    if (read_reconnect(present(root, "reconnect"), &cfg->reconnect) != WSS_OK)
        goto fail;
    /* Without locks a tab's end shows only as silence; unless told otherwise,
     * wait longer than background throttling can delay its heartbeat. */
    if (!cfg->locks && present(root, "tabTimeoutMs") == NULL)
        cfg->tab_timeout_ms = WSS_SILENT_TAB_TIMEOUT_MS;
    rc = WSS_OK;
fail:
    if (rc != WSS_OK)
        *cfg = defaults;
    cJSON_Delete(root);
    return rc;
}
