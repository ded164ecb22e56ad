/*
 * libFuzzer target: the config parser, through wss_create. A config is taken
 * whole or refused whole: an accepted one holds only values the core can use.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The core's number reader (numbers.c) ends where the C library's strtod
 * ends, on the same number or one an ulp or two away. */
static void check_number(const uint8_t *data, size_t size)
{
    char text[80];
    char *mine_end;
    char *libc_end;
    double mine;
    double libc;
    double scale;

    if (size >= sizeof text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    /* Only what a JSON number may hold: cJSON passes nothing else. */
    if (strspn(text, "0123456789+-.eE") != size)
        return;
    mine = wss_strtod(text, &mine_end);
    libc = strtod(text, &libc_end);
    if (mine_end != libc_end)
        abort();
    scale = fabs(libc) > 1e-300 ? fabs(libc) : 1e-300;
    if (mine != libc && !(isinf(libc) && isinf(mine)) && fabs(mine - libc) > 4 * scale * 2.3e-16)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wss_config cfg;
    wss_core *core = NULL;
    const wss_reconnect *rc = &cfg.reconnect;
    int parsed = config_parse(&cfg, (const char *)data, size);
    int created = wss_create(&core, (const char *)data, size);
    uint32_t i;

    check_number(data, size);
    if ((parsed == WSS_OK) != (created == WSS_OK) || (created == WSS_OK) != (core != NULL))
        abort();
    wss_destroy(core);
    if (parsed != WSS_OK)
        return 0;
    if (cfg.max_queued_bytes == 0 || cfg.max_queued_frames == 0 || cfg.max_message_bytes == 0 ||
        cfg.max_batch_frames == 0 || cfg.max_batch_bytes == 0)
        abort();
    if (rc->min_delay == 0 || rc->min_delay > rc->max_delay || !(rc->factor >= 1) ||
        rc->nstop > WSS_MAX_STOP_CODES)
        abort();
    for (i = 0; i < rc->nstop; i++)
        if (rc->stop_on[i] < 1000 || rc->stop_on[i] > 4999)
            abort();
    /* Every retry's wait lies within the bounds, however far the count goes. */
    if (backoff_ceiling(rc, 1) < rc->min_delay || backoff_ceiling(rc, UINT32_MAX) > rc->max_delay)
        abort();
    return 0;
}
