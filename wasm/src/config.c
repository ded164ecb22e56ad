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
};

static const struct {
    const char *key;
    size_t offset;
    uint32_t min;
} fields[] = {
    {"maxQueuedBytes", offsetof(wss_config, max_queued_bytes), 1},
    {"maxQueuedFrames", offsetof(wss_config, max_queued_frames), 1},
    {"maxMessageBytes", offsetof(wss_config, max_message_bytes), 1},
    {"maxBatchFrames", offsetof(wss_config, max_batch_frames), 1},
    {"maxBatchBytes", offsetof(wss_config, max_batch_bytes), 1},
    {"tabTimeoutMs", offsetof(wss_config, tab_timeout_ms), 0},
    {"leader", offsetof(wss_config, leader), 0},
    {"beatMs", offsetof(wss_config, beat_ms), 0},
};

static const struct {
    const char *key;
    size_t offset;
} flags[] = {
    {"locks", offsetof(wss_config, locks)},
    {"debug", offsetof(wss_config, debug)},
};

int config_parse(wss_config *cfg, const char *json, size_t len)
{
    cJSON *root;
    const cJSON *item;
    size_t i;
    int rc = WSS_EINVAL;

    *cfg = defaults;
    if (json == NULL || len == 0)
        return WSS_OK;
    root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(root))
        goto fail;
    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        double d;

        item = cJSON_GetObjectItemCaseSensitive(root, fields[i].key);
        if (item == NULL || cJSON_IsNull(item))
            continue;
        if (!cJSON_IsNumber(item))
            goto fail;
        d = item->valuedouble;
        if (!(d >= (double)fields[i].min && d <= (double)UINT32_MAX) || d != (double)(uint32_t)d)
            goto fail;
        memcpy((char *)cfg + fields[i].offset, &(uint32_t){(uint32_t)d}, sizeof(uint32_t));
    }
    for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        item = cJSON_GetObjectItemCaseSensitive(root, flags[i].key);
        if (item == NULL || cJSON_IsNull(item))
            continue;
        if (!cJSON_IsBool(item))
            goto fail;
        memcpy((char *)cfg + flags[i].offset, &(int){cJSON_IsTrue(item)}, sizeof(int));
    }
    /* Without locks a tab's end shows only as silence; unless told otherwise,
     * wait longer than background throttling can delay its heartbeat. */
    item = cJSON_GetObjectItemCaseSensitive(root, "tabTimeoutMs");
    if (!cfg->locks && (item == NULL || cJSON_IsNull(item)))
        cfg->tab_timeout_ms = WSS_SILENT_TAB_TIMEOUT_MS;
    rc = WSS_OK;
fail:
    if (rc != WSS_OK)
        *cfg = defaults;
    cJSON_Delete(root);
    return rc;
}
