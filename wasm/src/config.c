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
    WSS_ACK_DELAY_MS, /* ack_delay_ms */
    1,         /* locks */
    0,         /* debug */
    0,         /* seed */
    PROFILE_JSONRPC, /* profile: "auto" with no subprotocol watches for JSON-RPC */
    0,         /* resume: a lost connection closes every tab, unless a profile resumes it */
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

/* How a key's value is read: a whole number (at least 0 or 1), a flag, or
 * the backoff factor; `nested` keys live in the `reconnect` object. */
enum kind { WHOLE, WHOLE_POSITIVE, FLAG, FACTOR };

static const struct {
    const char *key;
    uint8_t offset;
    uint8_t kind;
    uint8_t nested;
} fields[] = {
    {"maxQueuedBytes", offsetof(wss_config, max_queued_bytes), WHOLE_POSITIVE, 0},
    {"maxQueuedFrames", offsetof(wss_config, max_queued_frames), WHOLE_POSITIVE, 0},
    {"maxMessageBytes", offsetof(wss_config, max_message_bytes), WHOLE_POSITIVE, 0},
    {"maxBatchFrames", offsetof(wss_config, max_batch_frames), WHOLE_POSITIVE, 0},
    {"maxBatchBytes", offsetof(wss_config, max_batch_bytes), WHOLE_POSITIVE, 0},
    {"tabTimeoutMs", offsetof(wss_config, tab_timeout_ms), WHOLE, 0},
    {"leader", offsetof(wss_config, leader), WHOLE, 0},
    {"beatMs", offsetof(wss_config, beat_ms), WHOLE, 0},
    {"ackDelayMs", offsetof(wss_config, ack_delay_ms), WHOLE, 0},
    {"seed", offsetof(wss_config, seed), WHOLE, 0},
    {"locks", offsetof(wss_config, locks), FLAG, 0},
    {"debug", offsetof(wss_config, debug), FLAG, 0},
    {"minDelay", offsetof(wss_config, reconnect.min_delay), WHOLE_POSITIVE, 1},
    {"maxDelay", offsetof(wss_config, reconnect.max_delay), WHOLE_POSITIVE, 1},
    {"maxRetries", offsetof(wss_config, reconnect.max_retries), WHOLE, 1},
    {"minUptime", offsetof(wss_config, reconnect.min_uptime), WHOLE, 1},
    {"factor", offsetof(wss_config, reconnect.factor), FACTOR, 1},
};

/* A key that is absent or null keeps its default. */
static const cJSON *present(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsNull(item) ? NULL : item;
}

static int read_field(const cJSON *item, int kind, char *at)
{
    uint32_t u;

    if (kind == FLAG) {
        if (!cJSON_IsBool(item))
            return WSS_EINVAL;
        memcpy(at, &(int){cJSON_IsTrue(item)}, sizeof(int));
    } else if (kind == FACTOR) {
        if (!cJSON_IsNumber(item) || !(item->valuedouble >= 1 && item->valuedouble <= 1000))
            return WSS_EINVAL;
        memcpy(at, &item->valuedouble, sizeof(double));
    } else {
        if (json_u32(item, kind == WHOLE_POSITIVE, &u) != WSS_OK)
            return WSS_EINVAL;
        memcpy(at, &u, sizeof(u));
    }
    return WSS_OK;
}

static int read_stop_on(const cJSON *list, wss_reconnect *rc)
{
    const cJSON *code;
    uint32_t n = 0;
    uint32_t u;

    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > WSS_MAX_STOP_CODES)
        return WSS_EINVAL;
    cJSON_ArrayForEach(code, list)
    {
        if (json_u32(code, 1000, &u) != WSS_OK || u > 4999)
            return WSS_EINVAL;
        rc->stop_on[n++] = (uint16_t)u;
    }
    rc->nstop = n;
    return WSS_OK;
}

/* The profile named by `protocol` ("auto" when absent), by the subprotocol
 * it speaks: "auto" knows graphql-ws, subscriptions-transport-ws and
 * ActionCable by theirs
 * among `protocols` (the ones the tabs asked for), and otherwise watches for
 * JSON-RPC 2.0, frame by frame. */
static int read_profile(const cJSON *root, int *kind)
{
    const cJSON *name = present(root, "protocol");
    const cJSON *list = present(root, "protocols");
    const cJSON *p;
    const char *want = "auto";

    if (name != NULL && !cJSON_IsString(name))
        return WSS_EINVAL;
    if (name != NULL)
        want = name->valuestring;
    if (list != NULL && !cJSON_IsArray(list))
        return WSS_EINVAL;
    if (strcmp(want, "none") == 0) {
        *kind = PROFILE_NONE;
    } else if (strcmp(want, "graphql-transport-ws") == 0) {
        *kind = PROFILE_GRAPHQL_WS;
    } else if (strcmp(want, "graphql-ws") == 0) {
        *kind = PROFILE_GRAPHQL_LEGACY;
    } else if (strcmp(want, "actioncable-v1-json") == 0) {
        *kind = PROFILE_ACTIONCABLE;
    } else if (strcmp(want, "jsonrpc") == 0) {
        *kind = PROFILE_JSONRPC;
    } else if (strcmp(want, "auto") == 0) {
        *kind = PROFILE_JSONRPC;
        cJSON_ArrayForEach(p, list)
        {
            if (!cJSON_IsString(p))
                return WSS_EINVAL;
            if (strcmp(p->valuestring, "graphql-transport-ws") == 0)
                *kind = PROFILE_GRAPHQL_WS;
            else if (strcmp(p->valuestring, "graphql-ws") == 0 && *kind == PROFILE_JSONRPC)
                *kind = PROFILE_GRAPHQL_LEGACY;
            else if (strcmp(p->valuestring, "actioncable-v1-json") == 0 && *kind == PROFILE_JSONRPC)
                *kind = PROFILE_ACTIONCABLE;
        }
    } else {
        return WSS_EINVAL;
    }
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
    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        item = fields[i].nested ? present(nested, fields[i].key) : present(root, fields[i].key);
        if (item != NULL && read_field(item, fields[i].kind, (char *)cfg + fields[i].offset) != WSS_OK)
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
        cfg->tab_timeout_ms = WSS_SILENT_TAB_TIMEOUT_MS;
    rc = WSS_OK;
fail:
    if (rc != WSS_OK)
        *cfg = defaults;
    cJSON_Delete(root);
    return rc;
}
