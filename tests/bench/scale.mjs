// Many tabs: fan-out at each tab count of cfg.scale.tabs (4, 16, 32 in
// `make bench`), wsshare against the batching relay, with frames few enough
// that a 32-tab round takes seconds. After each wsshare round, before its
// tabs close, the leader's memory as the memory scenario reads it over CDP:
// its wasm memory and its JS heap after a forced collection.

import { fanout } from './scenarios.mjs';

// The browser, with each context's tabs kept so that the round's end can
// probe the leader while they are still open. Only wsshare has a leader
// whose counters a tab can read (leaderStats is null in a relay).
function probing(browser) {
  return {
    ...browser,
    inContext: (fn) => browser.inContext(async (ctx) => {
      let tabs = [];
      const result = await fn({ ...ctx, openTabs: async (n) => (tabs = await ctx.openTabs(n)) });
      if (!tabs.length || !(await tabs[0].eval(() => window.bench.leaderStats()))) return result;
      const probe = await browser.workerProbe('wsshare-worker.js');
      try {
        const wasm = await probe.wasmBytes();
        const jsHeap = await probe.jsHeap();
        return { ...result, leader: { wasm, jsHeap, bytes: wasm + jsHeap } };
      } finally {
        await probe.detach();
      }
    }),
  };
}

export async function scale(env) {
  const { tabs, frames, rounds, pushes } = env.cfg.scale;
  const cfg = { ...env.cfg, fanout: { frames, pushes, rounds: Object.fromEntries(tabs.map((n) => [n, rounds])) } };
  const e = { ...env, cfg, browser: probing(env.browser), progress: (what, outcome) => env.progress(`scale · ${what}`, outcome) };
  const out = {};
  for (const n of tabs) out[n] = await fanout(e, n);
  return out;
}
