// Micro-benchmark of the core in the browser: the shipped dist/wsshare.wasm,
// called through the glue's own wrapper (js-glue/core-wasm.js), driven event
// for event as tests/bench/core_bench.c drives the native build.

import { Core, instantiateCore } from '/js-glue/core-wasm.js';

const FRAME_BYTES = 100;
const LEADER = 1; // the leader id the config gives, which tabs address
const hello = (tab) => `{"v":1,"t":"hello","tab":${tab},"next":1}`;

// Each returns the events it handled; see core_bench.c for what an event is.
const WORKLOADS = {
  fanout(core, drain, { events, batch }) {
    let now = 0;
    for (let i = 1; i <= events; i++) {
      now += 0.001;
      core.socketFrame(i, FRAME_BYTES, false, now);
      drain();
      if (i % batch === 0) {
        core.flush(now);
        drain();
      }
    }
    return events;
  },
  acks(core, drain, { events, tabs, batch }) {
    const lens = new Array(batch).fill(FRAME_BYTES);
    const seq = new Array(tabs + 1).fill(1);
    let handle = 1;
    let done = 0;
    let now = 0;
    while (done < events) {
      for (let t = 1; t <= tabs && done < events; t++) {
        now += 0.001;
        core.tabFrames({ v: 1, l: LEADER, tab: t, s: seq[t] }, lens, handle, now);
        drain();
        seq[t] += batch;
        handle += batch;
        done += batch;
      }
      core.flush(now);
      drain();
      core.socketBuffered(0, now);
      drain();
    }
    return done;
  },
  envelopes(core, drain, { events, tabs }) {
    const texts = Array.from({ length: tabs }, (_, t) => hello(t + 1));
    for (let i = 0; i < events; i++) {
      core.busControl(texts[i % tabs], i * 0.001);
      drain();
    }
    return events;
  },
};

export async function coreBench({ workload, events, tabs, batch }) {
  // Acks at the drain, as core_bench.c: the ack delay only postpones the same work.
  const core = new Core(await instantiateCore('/dist/wsshare.wasm'), { leader: LEADER, ackDelayMs: 0 });
  let sink = 0;
  // What a host would act on; summing it keeps every action observable.
  const visit = (kind, a, b, handle, text, len) => { sink += kind + handle + len; };
  const drain = () => core.actions(visit);
  core.start(0);
  drain();
  for (let t = 1; t <= tabs; t++) {
    core.busControl(hello(t), 0);
    drain();
  }
  core.socketOpened('', '', 0);
  drain();
  core.flush(0);
  drain();
  const t0 = performance.now();
  const handled = WORKLOADS[workload](core, drain, { events, tabs, batch });
  const seconds = (performance.now() - t0) / 1000;
  core.destroy();
  return { workload, events: handled, seconds, eventsPerSec: handled / seconds, sink };
}
