/*
 * Micro-benchmark of the core, native: events per second on its three hot
 * paths, driven through the public API exactly as page/core-bench.mjs drives
 * the wasm build in the browser, so the two figures sit side by side.
 * Usage: core_bench <fanout|acks|envelopes> <events> <tabs> <batch>; prints one JSON line.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wsshare.h"

#define FRAME_BYTES 100
#define MAX_TABS 64
#define MAX_BATCH 512
#define LEADER 1 /* the leader id the config gives, which tabs address */

/* What a host would act on; summing it keeps every action observable. */
static unsigned long long sink;

static void drain(const wss_core *core)
{
    uint32_t n;
    uint32_t i;
    const wss_action *a = wss_actions(core, &n);

    for (i = 0; i < n; i++)
        sink += a[i].kind + a[i].handle + a[i].len;
}

static void hello(wss_core *core, uint32_t tab, double now)
{
    char json[96];
    int n = snprintf(json, sizeof(json), "{\"v\":1,\"t\":\"hello\",\"tab\":%u,\"next\":1}", tab);

    (void)wss_bus_control(core, json, (size_t)n, now);
    drain(core);
}

/* A started leader (id LEADER) with `tabs` tabs joined and the socket open. */
static wss_core *setup(uint32_t tabs)
{
    /* Acks at the drain: the ack delay only postpones the same work. */
    static const char config[] = "{\"leader\":1,\"ackDelayMs\":0}"; /* LEADER */
    wss_core *core;
    uint32_t t;

    if (wss_create(&core, config, sizeof(config) - 1) != WSS_OK)
        return NULL;
    (void)wss_start(core, 0);
    drain(core);
    for (t = 1; t <= tabs; t++)
        hello(core, t, 0);
    (void)wss_socket_opened(core, "", 0, "", 0, 0);
    drain(core);
    (void)wss_flush(core, 0);
    drain(core);
    return core;
}

/* Server frames arrive; every `batch` of them the host's flush posts them. */
static uint32_t fanout(wss_core *core, uint32_t events, uint32_t batch)
{
    uint32_t i;
    double now = 0;

    for (i = 1; i <= events; i++) {
        now += 0.001;
        (void)wss_socket_frame(core, i, FRAME_BYTES, 0, now);
        drain(core);
        if (i % batch == 0) {
            (void)wss_flush(core, now);
            drain(core);
        }
    }
    return events;
}

/* Each tab in turn posts `batch` frames, which go to the socket; after every
 * round of tabs the socket drains (as its bufferedAmount reaching 0 tells the
 * host) and one ack envelope covers them all. Returns the frames handled:
 * `events` rounded up to whole posts. */
static uint32_t acks(wss_core *core, uint32_t events, uint32_t tabs, uint32_t batch)
{
    uint32_t lens[MAX_BATCH];
    uint32_t seq[MAX_TABS + 1];
    uint32_t handle = 1;
    uint32_t done = 0;
    uint32_t t;
    double now = 0;

    for (t = 0; t < batch; t++)
        lens[t] = FRAME_BYTES;
    for (t = 1; t <= tabs; t++)
        seq[t] = 1;
    while (done < events) {
        for (t = 1; t <= tabs && done < events; t++) {
            now += 0.001;
            (void)wss_tab_frames(core, WSS_BUS_VERSION, LEADER, t, seq[t], batch, handle, lens, now);
            drain(core);
            seq[t] += batch;
            handle += batch;
            done += batch;
        }
        (void)wss_flush(core, now);
        drain(core);
        (void)wss_socket_buffered(core, 0, now);
        drain(core);
    }
    return done;
}

/* Tabs say hello again (as after a leader change): one envelope decoded, one
 * (the welcome) encoded per event. */
static uint32_t envelopes(wss_core *core, uint32_t events, uint32_t tabs)
{
    uint32_t i;

    for (i = 0; i < events; i++)
        hello(core, i % tabs + 1, (double)i * 0.001);
    return events;
}

/* The measured part, on its own so callgrind can count just this function.
 * Returns the events handled. */
static uint32_t run_workload(wss_core *core, const char *name, uint32_t events, uint32_t tabs,
                             uint32_t batch)
{
    if (strcmp(name, "fanout") == 0)
        return fanout(core, events, batch);
    if (strcmp(name, "acks") == 0)
        return acks(core, events, tabs, batch);
    return envelopes(core, events, tabs);
}

int main(int argc, char **argv)
{
    struct timespec t0;
    struct timespec t1;
    wss_core *core;
    uint32_t handled;
    unsigned long events;
    unsigned long tabs;
    unsigned long batch;
    double seconds;

    if (argc != 5 || (strcmp(argv[1], "fanout") != 0 && strcmp(argv[1], "acks") != 0 &&
                      strcmp(argv[1], "envelopes") != 0)) {
        fprintf(stderr, "usage: core_bench <fanout|acks|envelopes> <events> <tabs> <batch>\n");
        return 2;
    }
    events = strtoul(argv[2], NULL, 10);
    tabs = strtoul(argv[3], NULL, 10);
    batch = strtoul(argv[4], NULL, 10);
    if (events == 0 || events > UINT32_MAX / 2 || tabs == 0 || tabs > MAX_TABS || batch == 0 ||
        batch > MAX_BATCH) {
        fprintf(stderr, "core_bench: events 1..%u, tabs 1..%d, batch 1..%d\n", UINT32_MAX / 2,
                MAX_TABS, MAX_BATCH);
        return 2;
    }
    core = setup((uint32_t)tabs);
    if (core == NULL) {
        fprintf(stderr, "core_bench: the core could not start\n");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    handled = run_workload(core, argv[1], (uint32_t)events, (uint32_t)tabs, (uint32_t)batch);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("{\"workload\":\"%s\",\"events\":%u,\"seconds\":%.6f,\"eventsPerSec\":%.0f,\"sink\":%llu}\n",
           argv[1], handled, seconds, (double)handled / seconds, sink);
    wss_destroy(core);
    return 0;
}
