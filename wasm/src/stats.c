/*
 * The core's counters as JSON, for the tabs' stats() and for debugging. The
 * names are the public stats() fields documented in the README.
 */
#include "cJSON.h"
#include "internal.h"

static const char *socket_state_name(int s)
{
    switch (s) {
    case SOCK_CONNECTING:
        return "connecting";
    case SOCK_OPEN:
        return "open";
    case SOCK_CLOSING:
        return "closing";
    case SOCK_WAITING:
        return "reconnecting";
    default:
        return "idle";
    }
}

static const char *const reject_names[REJ_COUNT] = {
    "malformed", "version", "type", "size", "unknownTab", "replay", "otherLeader", "id",
};

char *stats_json(cJSON *obj, int ok, const stat_num *nums, size_t n,
                 const char *const *reasons, const uint64_t *rejected, size_t nrej)
{
    cJSON *rej;
    char *text;
    size_t i;

    for (i = 0; ok && i < n; i++)
        ok = cJSON_AddNumberToObject(obj, nums[i].key, nums[i].value) != NULL;
    rej = ok ? cJSON_AddObjectToObject(obj, "rejected") : NULL;
    ok = ok && rej != NULL;
    for (i = 0; ok && i < nrej; i++)
        ok = cJSON_AddNumberToObject(rej, reasons[i], (double)rejected[i]) != NULL;
    text = ok ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    return text;
}

char *stats_print(const wss_core *core)
{
    const wss_stats *s = &core->stats;
    cJSON *obj = cJSON_CreateObject();
    int ok = obj != NULL;
    const stat_num nums[] = {
        {"tabs", core->tabs.count},
        {"framesToServer", (double)s->frames_to_server},
        {"bytesToServer", (double)s->bytes_to_server},
        {"framesFromServer", (double)s->frames_from_server},
        {"bytesFromServer", (double)s->bytes_from_server},
        {"controlPosts", (double)s->control_posts},
        {"dataPosts", (double)s->data_posts},
        {"queuedFrames", core->queue.count},
        {"queuedBytes", (double)core->queue.bytes},
        {"duplicates", (double)s->duplicates},
        {"errors", (double)s->errors},
        {"opens", (double)s->opens},
        {"reconnects", (double)s->reconnects},
        {"attempt", core->retry.attempt},
        {"tabsJoined", (double)s->tabs_joined},
        {"tabsLeft", (double)s->tabs_left},
        {"tabsLost", (double)s->tabs_lost},
        {"outOfMemory", (double)s->oom},
        {"uptimeMs", core->now - s->started_ms},
    };

    ok = ok && cJSON_AddStringToObject(obj, "version", WSS_VERSION_STRING) != NULL;
    ok = ok && cJSON_AddStringToObject(obj, "socket", socket_state_name(core->sock)) != NULL;
    /* The protocol profile at work: none until one took a frame. */
    ok = ok && cJSON_AddStringToObject(obj, "protocol",
                                       core->prof != NULL && core->prof_active ? core->prof->ops->name
                                                                               : "none") != NULL;
    return stats_json(obj, ok, nums, sizeof(nums) / sizeof(nums[0]), reject_names, s->rejected,
                      REJ_COUNT);
}
