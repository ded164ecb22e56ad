// Where a frame's time goes: V8's sampling profiler (CDP Profiler) on the
// leader's SharedWorker and on one tab of four while the server pushes frames
// to every tab (fan-out), and while one tab makes sequential round trips
// (echo). Each sample's time is put in one place by the function it was in:
// the core (wasm), the leader's JavaScript, the tab's JavaScript (wsshare's
// glue and its wasm2js link), the bench page's own counting, the garbage
// collector, the browser's native work under a script (posting, cloning,
// dispatching events: "(program)" and functions without a script), or idle.
// Chromium only: the other engines have no such profiler over their drivers.

import { within } from './browser.mjs';

const WAIT_MS = 180000;

// Sampling every 100 µs: fine enough for a frame's few µs summed over many.
const INTERVAL_US = Number(process.env.PROFILE_US || 100);

// The place a profile node's own time belongs to.
function placeOf(frame) {
  const { url, functionName } = frame;
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(program)' || functionName === '(root)') return 'native';
  if (url.startsWith('wasm://') || /wsshare\.wasm/.test(url) || functionName.startsWith('$wss_') ||
    functionName.startsWith('wasm-function')) return 'wasm';
  if (/wsshare-worker\.js/.test(url)) return 'leader JS';
  if (/\/dist\/wsshare\.m?js/.test(url)) return 'tab JS';
  if (/\/bench\//.test(url)) return 'bench page';
  if (!url) return 'native';
  return 'other';
}

// Self time per place, in microseconds, and the busiest functions.
function summarise(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) || 0) + (profile.timeDeltas[i] || 0));
  }
  const places = {};
  const fns = new Map();
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    const place = placeOf(callFrame);
    places[place] = (places[place] || 0) + us;
    if (place === 'idle') continue;
    const name = `${callFrame.functionName || '(anonymous)'} [${place}]`;
    fns.set(name, (fns.get(name) || 0) + us);
  }
  const top = [...fns].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([name, us]) => ({ name, us }));
  return { places, top, totalUs: profile.endTime - profile.startTime };
}

// A CDP session's send for a page, or the leader SharedWorker's.
async function profiled(send, run) {
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: INTERVAL_US });
  await send('Profiler.start');
  let failure = null;
  try {
    await run();
  } catch (err) {
    failure = err;
  }
  const { profile } = await send('Profiler.stop');
  if (failure) throw failure;
  return summarise(profile);
}

async function profileRound(env, what) {
  const { server, cfg, browser } = env;
  const nTabs = 4;
  const room = `profile-${what}-${process.pid}-${Date.now()}`;
  const url = server.wsUrl(room, what === 'echo');
  return browser.inContext(async (ctx) => {
    const tabs = await ctx.openTabs(nTabs);
    for (const t of tabs) await t.eval((u) => window.bench.open('wsshare', u), url);
    const leader = await browser.workerProbe('wsshare-worker.js');
    const tab = await tabs[0].cdp();
    const frames = what === 'echo' ? cfg.profile.trips : cfg.profile.frames;
    const measured = { frames };
    const runs = async () => {
      if (what === 'echo') {
        await tabs[0].eval(([n, size]) => window.bench.echo(n, size), [frames, cfg.frameBytes]);
        return;
      }
      await Promise.all(tabs.map((t) => t.eval((n) => window.bench.expect(n), frames)));
      await server.blast(room, frames, cfg.frameBytes);
      await within(WAIT_MS, Promise.all(tabs.map((t) => t.eval(() => window.bench.done()))), `profile: ${nTabs} tabs receiving ${frames} frames`);
    };
    // The same run unprofiled first, then profiled: how much the profiler
    // itself slowed it is part of the result.
    const timed = async () => {
      const t0 = Date.now();
      await runs();
      return Date.now() - t0;
    };
    const plainMs = await timed();
    let tabSummary;
    let profiledMs;
    const leaderSummary = await profiled(leader.send, async () => {
      tabSummary = await profiled((m, p) => tab.send(m, p), async () => { profiledMs = await timed(); });
    });
    await leader.detach();
    await tab.detach();
    return { what, tabs: nTabs, ...measured, plainMs, profiledMs, leader: leaderSummary, tab: tabSummary };
  });
}

// Fan-out and echo, each profiled once (sampling adds its own cost: the
// figures say where time goes, not how fast it goes).
export async function profile(env) {
  const out = {};
  for (const what of ['fanout', 'echo']) {
    out[what] = await profileRound(env, what);
    const r = out[what];
    const perFrame = (us) => (us / r.frames).toFixed(2);
    env.progress(`profile · ${what}`, `leader wasm ${perFrame(r.leader.places.wasm || 0)} µs/frame, ` +
      `leader JS ${perFrame(r.leader.places['leader JS'] || 0)}, tab JS ${perFrame(r.tab.places['tab JS'] || 0)}`);
  }
  return out;
}
