// Where a frame's time goes: V8's sampling profiler (CDP Profiler) on the
// leader's SharedWorker and on one tab of four while the server pushes frames
// to every tab (fan-out), while one tab makes sequential round trips (echo),
// and while every tab sends a burst to the server (tabs → server), there in
// wsshare and in the batching relay alike. Each sample's time is put in one
// place by the function it was in: the core (wasm), the leader's JavaScript
// (wsshare's worker, or the relay's), the tab's JavaScript (wsshare's glue
// and its wasm2js link, or the relay's tab side), the bench page's own
// counting, the garbage collector, the browser's native work under a script
// (posting, cloning, dispatching events: "(program)" and functions without a
// script), or idle. Chromium only: the other engines have no such profiler
// over their drivers.

import os from 'node:os';
import { within } from './browser.mjs';
import { underLoad } from './burner.mjs';
import { until } from './scenarios.mjs';

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
  if (/wsshare-worker\.js|\/bench\/relay-worker\.js/.test(url)) return 'leader JS';
  if (/\/dist\/wsshare\.m?js|\/bench\/relay\.mjs/.test(url)) return 'tab JS';
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

// Profiles every CDP session of `sends` (a page's, a worker's) while run()
// runs; resolves with each one's summary.
async function profiled(sends, run) {
  for (const send of sends) {
    await send('Profiler.enable');
    await send('Profiler.setSamplingInterval', { interval: INTERVAL_US });
    await send('Profiler.start');
  }
  let failure = null;
  try {
    await run();
  } catch (err) {
    failure = err;
  }
  const out = [];
  for (const send of sends) out.push(summarise((await send('Profiler.stop')).profile));
  if (failure) throw failure;
  return out;
}

// Summaries of several threads as one: the leader's worker and the standby
// Workers beside it in election mode (idle, but profiled all the same).
function merged(list) {
  const places = {};
  const fns = new Map();
  for (const x of list) {
    for (const [k, v] of Object.entries(x.places)) places[k] = (places[k] || 0) + v;
    for (const f of x.top) fns.set(f.name, (fns.get(f.name) || 0) + f.us);
  }
  const top = [...fns].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([name, us]) => ({ name, us }));
  return { places, top, totalUs: Math.max(...list.map((x) => x.totalUs)), threads: list.length };
}

// The leader's script, by mode: wsshare's worker, or the batching relay's.
const LEADER_SCRIPT = { wsshare: 'wsshare-worker.js', election: 'wsshare-worker.js', batching: 'relay-worker.js?batch=1' };

// what: 'fanout', 'echo' or 'upstream'. mode: 'wsshare' (a SharedWorker
// leads), 'election' (a tab's Worker does; the tab profiled is one that does
// not lead) or 'batching' (the batching relay's SharedWorker). size: a
// fan-out's { tabs, frames } where not 4 tabs and the profile's frames.
async function profileRound(env, what, mode, size = {}) {
  const { server, cfg, browser } = env;
  const nTabs = size.tabs || (what === 'upstream' ? cfg.upstream.tabs : 4);
  const room = `profile-${what}-${mode}-${process.pid}-${Date.now()}`;
  const url = server.wsUrl(room, what === 'echo');
  return browser.inContext(async (ctx) => {
    const tabs = await ctx.openTabs(nTabs);
    for (const t of tabs) await t.eval(([v, u]) => window.bench.open(v, u), [mode, url]);
    const leaders = mode === 'election'
      ? await browser.dedicatedWorkerProbes(LEADER_SCRIPT[mode])
      : [await browser.workerProbe(LEADER_SCRIPT[mode])];
    if (!leaders.length) throw new Error(`${mode}: no leader worker to profile`);
    const flags = await Promise.all(tabs.map((t) => t.eval(() => window.bench.isLeader())));
    const follower = tabs[Math.max(0, flags.indexOf(false))];
    const tab = await follower.cdp();
    // Frames (or round trips) the leader handles, and those of the tab profiled.
    const frames = what === 'echo' ? cfg.profile.trips : what === 'upstream' ? nTabs * cfg.upstream.frames : size.frames || cfg.profile.frames;
    const tabFrames = what === 'upstream' ? cfg.upstream.frames : frames;
    // A run; resolves with its milliseconds: for tabs → server, as its
    // scenario measures them (first send to last frame at the server).
    const runs = async () => {
      const t0 = Date.now();
      if (what === 'echo') {
        await follower.eval(([n, size]) => window.bench.echo(n, size), [frames, cfg.frameBytes]);
      } else if (what === 'upstream') {
        await server.expect(room, frames, false);
        const starts = await Promise.all(tabs.map((t, i) =>
          t.eval(([n, size, src]) => window.bench.burst(n, size, src), [tabFrames, cfg.frameBytes, `t${i}`])));
        const r = await until(async () => {
          const got = await server.room(room);
          return got.doneAt ? got : null;
        }, WAIT_MS, `profile: ${frames} frames from ${nTabs} tabs at the server`);
        if (r.disorder) throw new Error(`profile, ${mode}: ${r.disorder} frames reached the server out of order`);
        return Math.round(r.doneAt - Math.min(...starts));
      } else {
        await Promise.all(tabs.map((t) => t.eval((n) => window.bench.expect(n), frames)));
        const { t0: pushed } = await server.blast(room, frames, cfg.frameBytes);
        const got = await within(WAIT_MS, Promise.all(tabs.map((t) => t.eval(() => window.bench.done()))), `profile: ${nTabs} tabs receiving ${frames} frames`);
        // When each tab had its last frame, from the push, fastest first: one
        // late tab, or all late alike.
        finished = got.map((g) => Math.round(g.doneAt - pushed)).sort((a, b) => a - b);
      }
      return Date.now() - t0;
    };
    let finished = null;
    // The same run unprofiled first, then profiled: how much the profiler
    // itself slowed it is part of the result.
    const plainMs = await runs();
    const plainFinished = finished;
    let profiledMs;
    const [tabSummary, ...leaderSummaries] = await profiled([(m, x) => tab.send(m, x), ...leaders.map((l) => l.send)],
      async () => { profiledMs = await runs(); });
    for (const l of leaders) await l.detach();
    await tab.detach();
    return { what, mode, tabs: nTabs, cores: os.cpus().length, frames, tabFrames, plainMs, profiledMs, finished: plainFinished, leader: merged(leaderSummaries), tab: tabSummary };
  });
}

// Each workload profiled once (sampling adds its own cost: the figures say
// where time goes, not how fast it goes): [name, what, mode, size, load].
// The fan-outs the goals judge at many tabs and on the loaded machine are
// profiled as those scenarios run them (their tabs and frames; the burner
// spinning), wsshare beside the batching relay.
function profiles(cfg) {
  const many = { tabs: Math.max(...cfg.scale.tabs), frames: cfg.scale.frames };
  const busy = { tabs: Math.max(...Object.keys(cfg.loaded.rounds).map(Number)), frames: cfg.loaded.frames };
  return [['fanout', 'fanout', 'wsshare'], ['echo', 'echo', 'wsshare'],
    ['fanout, election mode', 'fanout', 'election'],
    ['tabs → server', 'upstream', 'wsshare'], ['tabs → server, batching relay', 'upstream', 'batching'],
    [`fanout, ${many.tabs} tabs`, 'fanout', 'wsshare', many], [`fanout, ${many.tabs} tabs, batching relay`, 'fanout', 'batching', many],
    [`fanout, ${busy.tabs} tabs, loaded`, 'fanout', 'wsshare', busy, cfg.loaded.processes],
    [`fanout, ${busy.tabs} tabs, loaded, batching relay`, 'fanout', 'batching', busy, cfg.loaded.processes]];
}

export async function profile(env, only = null) {
  const out = {};
  for (const [name, what, mode, size, load] of profiles(env.cfg)) {
    if (only && !only.includes(name)) continue;
    if (load) {
      const { result, burner } = await underLoad(load, () => profileRound(env, what, mode, size));
      out[name] = { ...result, burner };
    } else {
      out[name] = await profileRound(env, what, mode, size);
    }
    const r = out[name];
    const per = (us, n) => (us / n).toFixed(2);
    env.progress(`profile · ${name}`, `leader wasm ${per(r.leader.places.wasm || 0, r.frames)} µs/frame, ` +
      `leader JS ${per(r.leader.places['leader JS'] || 0, r.frames)}, tab JS ${per(r.tab.places['tab JS'] || 0, r.tabFrames)}`);
  }
  return out;
}
