/*
 * libFuzzer target: the envelope decoder, and the core taking the same bytes
 * as a control envelope from the bus. Whatever comes in, a decoded envelope
 * is well formed, a refusal names a reason, and the core stays sound.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_decoded(const uint8_t *data, size_t size)
{
    envelope env;
    int why = -1;
    int rc = bus_decode((const char *)data, size, &env, &why);

    if (rc == WSS_OK) {
        if (env.type < ENV_HELLO || env.type > ENV_STATS_QUERY || env.tab == 0)
            abort();
        if (env.type == ENV_HELLO && env.next == 0)
            abort();
        /* Nothing may follow the object. */
        if (size == 0 || data[size - 1] != '}' || size > WSS_MAX_ENVELOPE_BYTES)
            abort();
    } else if (why < 0 || why >= REJ_COUNT || (rc != WSS_EINVAL && rc != WSS_EREJECT)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char hello[] = "{\"v\":1,\"t\":\"hello\",\"tab\":7,\"next\":1}";
    wss_core *core = NULL;
    uint32_t n;
    const wss_action *acts;
    uint32_t i;

    check_decoded(data, size);
    if (wss_create(&core, NULL, 0) != WSS_OK)
        return 0;
    (void)wss_bus_control(core, hello, sizeof(hello) - 1, 1.0);
    (void)wss_socket_opened(core, "", 0, "", 0, 2.0);
    (void)wss_bus_control(core, (const char *)data, size, 3.0);
    /* Whatever the core posts is text it wrote itself: JSON, never our bytes. */
    acts = wss_actions(core, &n);
    for (i = 0; i < n; i++)
        if (acts[i].kind == WSS_ACT_POST && (acts[i].len == 0 || acts[i].text[0] != '{'))
            abort();
    if (wss_stats_json(core) == NULL)
        abort();
    wss_destroy(core);
    return 0;
}
