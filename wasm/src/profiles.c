/*
 * The table of protocol profiles: the one place that names each, says how
 * "auto" recognises it and whether it brings a lost connection back under
 * the tabs. The build reads the names between the markers below for the
 * page's check of the `protocol` option, so a row is one line, its name the
 * first string on it.
 */
#include <string.h>

#include "profile.h"

/* Socket.IO's and Phoenix's clients say who they are in the url, not in a
 * subprotocol; the profiles that know them add a matcher here. */

/* Phoenix's Socket connects to `<endPoint>/websocket?<params>&vsn=2.0.0`
 * (vsn=2.0.0 alone without params): the V2 serializer's arrays. A vsn of 1
 * speaks objects, which the profile does not know. */
static int phoenix_url(const char *url)
{
    static const char path[] = "/websocket";
    const char *query = strchr(url, '?');
    const char *end;

    if (query == NULL || (size_t)(query - url) < sizeof path - 1 ||
        memcmp(query - (sizeof path - 1), path, sizeof path - 1) != 0)
        return 0;
    end = query + strcspn(query, "#");
    /* Each parameter of the query, from just after its '?' or '&'. */
    for (query++; query < end; query += strcspn(query, "&#") + 1)
        if (end - query >= 6 && strncmp(query, "vsn=2.", 6) == 0)
            return 1;
    return 0;
}

/* WSS_PROFILES_BEGIN */
const profile_kind_info profile_kinds[] = {
    {"none", PROFILE_NONE, NULL, NULL, 0, NULL},
    {"graphql-transport-ws", PROFILE_GRAPHQL_WS, "graphql-transport-ws", NULL, 1, graphql_ws_create},
    {"graphql-ws", PROFILE_GRAPHQL_LEGACY, "graphql-ws", NULL, 1, subscriptions_transport_create},
    {"actioncable-v1-json", PROFILE_ACTIONCABLE, "actioncable-v1-json", NULL, 1, actioncable_create},
    {"stomp", PROFILE_STOMP, "v12.stomp v11.stomp v10.stomp", NULL, 1, stomp_create},
    {"socket.io", PROFILE_SOCKETIO, NULL, socketio_by_url, 1, socketio_create},
    {"phoenix", PROFILE_PHOENIX, NULL, phoenix_url, 1, phoenix_create},
    {"jsonrpc", PROFILE_JSONRPC, NULL, NULL, 0, jsonrpc_create},
};
/* WSS_PROFILES_END */
const size_t profile_nkinds = sizeof(profile_kinds) / sizeof(profile_kinds[0]);

const profile_kind_info *profile_named(const char *name)
{
    size_t i;

    for (i = 0; i < profile_nkinds; i++)
        if (strcmp(profile_kinds[i].name, name) == 0)
            return &profile_kinds[i];
    return NULL;
}

const profile_kind_info *profile_of_kind(int kind)
{
    size_t i;

    for (i = 0; i < profile_nkinds; i++)
        if (profile_kinds[i].kind == kind)
            return &profile_kinds[i];
    return NULL;
}

/* Whether `name` is one of the space-separated words of `list`. */
static int names(const char *list, const char *name)
{
    const char *n = name;

    for (;; list++) {
        if ((*list == ' ' || *list == '\0') && n != NULL && *n == '\0')
            return 1;
        if (*list == '\0')
            return 0;
        /* A word that differs: on to the next. */
        n = n != NULL && *list == *n ? n + 1 : *list == ' ' ? name : NULL;
    }
}

int profile_auto(const char *const *subprotocols, size_t n, const char *url)
{
    size_t i, j;

    /* The table's order is the preference: graphql-ws's own subprotocol
     * before the legacy one a server may offer beside it. */
    for (i = 0; i < profile_nkinds; i++) {
        const profile_kind_info *k = &profile_kinds[i];

        for (j = 0; k->subprotocol != NULL && j < n; j++)
            if (names(k->subprotocol, subprotocols[j]))
                return k->kind;
    }
    for (i = 0; url != NULL && i < profile_nkinds; i++)
        if (profile_kinds[i].by_url != NULL && profile_kinds[i].by_url(url))
            return profile_kinds[i].kind;
    /* Nothing says which: watch for JSON-RPC 2.0, frame by frame. */
    return PROFILE_JSONRPC;
}
