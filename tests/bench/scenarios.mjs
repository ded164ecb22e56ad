// The scenarios of the benchmark, each a function of the run's environment
// ({ server, browser, cfg, progress }) that returns plain data for
// results.json: every round's figure, so the report takes medians, spreads and
// per-round ratios itself. Each round runs in a fresh browser context.

import { execFileSync, spawnSync } from 'node:child_process';
import { within } from './browser.mjs';
import { epoch } from './blaster.mjs';
import { percentile } from './stats.mjs';
import { measureSizes } from '../sizes.mjs';
import { EVENTS_QUERY, startGraphqlBench, startJsonRpcBench } from './protocol-servers.mjs';

const WAIT_MS = 180000;
const POLL_MS = 20;
export const BASELINES = ['plain', 'naive', 'batching'];
export const VARIANTS = [...BASELINES, 'wsshare'];
// The variants that share a socket by electing a tab (tests/bench/peers.mjs):
// wsshare's election mode and the peers.
export const ELECTED = ['election', 'bc', 'te'];

let roomSeq = 0;
export const newRoom = (what) => `${what}-${process.pid}-${++roomSeq}`;
const perSecond = (r) => `${Math.round(r.perSecond).toLocaleString('en')}/s`;
export const millis = (x) => `${x.toFixed(2)} ms`;
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls check() until it returns something truthy; throws after timeout ms.
export async function until(check, timeout, what) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms: ${what}`);
    await sleep(POLL_MS);
  }
}

export async function openAll(tabs, variant, url) {
  const times = [];
  for (const t of tabs) times.push(await t.eval(([v, u]) => window.bench.open(v, u), [variant, url]));
  return times;
}

// Runs once(variant, round) for each round a variant has, variants rotated
// each round so a shared machine's drift does not always hit the same one;
// a progress line per round says what ran and what came out (describe).
export async function inRounds(env, label, rounds, once, describe) {
  const variants = Object.keys(rounds);
  const out = Object.fromEntries(variants.map((v) => [v, []]));
  const total = Math.max(...Object.values(rounds));
  for (let r = 0; r < total; r++) {
    const order = variants.slice(r % variants.length).concat(variants.slice(0, r % variants.length));
    for (const v of order) {
      if (r >= rounds[v]) continue;
      const result = await once(v, r);
      out[v].push(result);
      env.progress(`${label} · ${v} · round ${r + 1}/${rounds[v]}`, describe(result));
    }
  }
  return out;
}

// ---- fan-out: the server pushes frames, every tab must get all of them ----

// A round opens the tabs once and pushes the frames through them
// cfg.fanout.pushes times (1 unless set); its figure is the median push's.
// Where many tabs share two cores, single pushes through the same tabs vary
// by up to 3× in either variant: the median keeps one stalled push from
// standing for the round, and every push's rate is kept in results.json.
function fanoutOnce(env, variant, nTabs) {
  const { server, cfg } = env;
  const frames = (cfg.fanout.framesOf || {})[variant] || cfg.fanout.frames;
  const room = newRoom('fanout');
  return env.browser.inContext(async (ctx) => {
    const tabs = await ctx.openTabs(nTabs);
    await openAll(tabs, variant, server.wsUrl(room));
    const pushes = [];
    for (let i = 0; i < (cfg.fanout.pushes || 1); i++) {
      await Promise.all(tabs.map((t) => t.eval((n) => window.bench.expect(n), frames)));
      const { t0 } = await server.blast(room, frames, cfg.frameBytes);
      const got = await within(WAIT_MS, Promise.all(tabs.map((t) => t.eval(() => window.bench.done()))),
        `${variant}: ${nTabs} tabs receiving ${frames} frames`);
      const disorder = got.reduce((a, g) => a + g.disorder, 0);
      if (disorder) throw new Error(`${variant}: ${disorder} frames arrived out of order`);
      const seconds = (Math.max(...got.map((g) => g.doneAt)) - t0) / 1000;
      pushes.push({ perSecond: (nTabs * frames) / seconds, seconds });
    }
    const { perSecond, seconds } = [...pushes].sort((a, b) => a.perSecond - b.perSecond)[Math.floor((pushes.length - 1) / 2)];
    const { accepted } = await server.room(room);
    const framesPerPost = await tabs[0].eval(() => window.bench.framesPerPost());
    return { perSecond, seconds, connections: accepted, framesPerPost, ...(pushes.length > 1 ? { pushes: pushes.map((p) => p.perSecond) } : {}) };
  });
}

export async function fanout(env, nTabs) {
  return inRounds(env, `fan-out, ${nTabs} tabs`, env.cfg.fanout.rounds[nTabs], (v) => fanoutOnce(env, v, nTabs), perSecond);
}

// ---- socket placement: a bare socket where each mode holds its own ----

// Where the placement scenario holds a bare WebSocket (no wsshare, no relay):
// where a SharedWorker leader, an elected tab's Worker and a tab each hold theirs.
export const PLACES = ['shared', 'dedicated', 'page'];
const inPlacement = (tab, fn, args) => tab.eval(async ([name, a]) => (await import('/bench/placement.mjs'))[name](...a), [fn, args]);

// One bare socket in one page's SharedWorker, dedicated Worker or the page,
// receiving the fan-out's frames from the same server.
function placementOnce(env, where, frames) {
  const { server, cfg } = env;
  const room = newRoom('placement');
  return env.browser.inContext(async (ctx) => {
    const tab = await ctx.openTab();
    await inPlacement(tab, 'open', [where, server.wsUrl(room)]);
    await inPlacement(tab, 'arm', [frames]);
    const { t0 } = await server.blast(room, frames, cfg.frameBytes);
    const got = await within(WAIT_MS, inPlacement(tab, 'done', []), `${where}: a bare socket receiving ${frames} frames`);
    if (got.error) throw new Error(`${where}: ${got.error}`);
    if (got.count !== frames || got.disorder) throw new Error(`${where}: ${got.count} of ${frames} frames, ${got.disorder} out of order`);
    const seconds = (got.doneAt - t0) / 1000;
    const { accepted } = await server.room(room);
    return { perSecond: frames / seconds, seconds, received: got.count, connections: accepted };
  });
}

// c: { frames, rounds } (the rounds of every place, rotated each round).
export async function placement(env, c = env.cfg.placement) {
  const rounds = Object.fromEntries(PLACES.map((p) => [p, c.rounds]));
  return {
    frames: c.frames,
    rounds: await inRounds(env, `bare socket, ${c.frames.toLocaleString('en')} frames`, rounds,
      (where) => placementOnce(env, where, c.frames), (r) => `${perSecond(r)} (${r.seconds.toFixed(2)} s)`),
  };
}

// ---- tabs → server: every tab sends a burst, the server counts ----

function upstreamOnce(env, variant) {
  const { server, cfg } = env;
  const { tabs: nTabs, frames } = cfg.upstream;
  const room = newRoom('up');
  return env.browser.inContext(async (ctx) => {
    const tabs = await ctx.openTabs(nTabs);
    // Each tab counts the copies it receives of the others' upstream posts.
    await Promise.all(tabs.map((t) => t.eval(() => { window.countBus = true; })));
    await openAll(tabs, variant, server.wsUrl(room));
    const total = nTabs * frames;
    await server.expect(room, total, false);
    const before = await tabs[0].eval(() => window.bench.leaderStats());
    const starts = await Promise.all(tabs.map((t, i) =>
      t.eval(([n, size, src]) => window.bench.burst(n, size, src), [frames, cfg.frameBytes, `t${i}`])));
    const r = await until(async () => {
      const s = await server.room(room);
      return s.doneAt ? s : null;
    }, WAIT_MS, `${variant}: ${total} frames at the server`);
    if (r.disorder) throw new Error(`${variant}: ${r.disorder} frames reached the server out of order`);
    const seconds = (r.doneAt - Math.min(...starts)) / 1000;
    // The ack envelopes wsshare's leader posted meanwhile (each reaches every tab).
    const after = before && await tabs[0].eval(() => window.bench.leaderStats());
    const acks = before && after.controlPosts - before.controlPosts;
    // Frames of other tabs' posts that reached a tab's own channels, per frame sent.
    const copies = await Promise.all(tabs.map((t) => t.eval(() => window.busCopies.frames)));
    const copiesPerFrame = copies.reduce((a, b) => a + b, 0) / total;
    return { perSecond: total / seconds, seconds, connections: r.accepted, acks, copiesPerFrame };
  });
}

export async function upstream(env) {
  return inRounds(env, 'tabs → server', env.cfg.upstream.rounds, (v) => upstreamOnce(env, v), perSecond);
}

// ---- echo: sequential round trips from one tab while the others idle ----

function echoOnce(env, variant) {
  const { server, cfg } = env;
  const { tabs: nTabs, trips, warmup } = cfg.echo;
  const room = newRoom('echo');
  return env.browser.inContext(async (ctx) => {
    const tabs = await ctx.openTabs(nTabs);
    await openAll(tabs, variant, server.wsUrl(room, true));
    // From a tab that does not lead, where one does (election, the peers):
    // the leader's own round trips are a plain socket's.
    const leads = await Promise.all(tabs.map((t) => t.eval(() => window.bench.isLeader())));
    const me = tabs[leads.indexOf(false)];
    const run = (n) => me.eval(([k, size]) => window.bench.echo(k, size), [n, cfg.frameBytes]);
    await run(warmup); // lets the JIT settle before the trips that count
    const before = await me.eval(() => window.bench.leaderStats());
    const rtts = await within(WAIT_MS, run(trips), `${variant}: ${trips} round trips`);
    const after = await me.eval(() => window.bench.leaderStats());
    // wsshare's leader posts per round trip (data and control: acks).
    const postsPerTrip = before && (after.dataPosts + after.controlPosts - before.dataPosts - before.controlPosts) / trips;
    return { p50: percentile(rtts, 50), p99: percentile(rtts, 99), trips: rtts.length, postsPerTrip };
  });
}

export async function echo(env) {
  return inRounds(env, 'echo round trip', env.cfg.echo.rounds, (v) => echoOnce(env, v),
    (r) => `p50 ${millis(r.p50)}, p99 ${millis(r.p99)}`);
}

// ---- cold start of the first tab, join time of the second ----

// The scripts of the variants whose leader is a SharedWorker, which a probe
// can find: the cold start's timeline is read from them.
const SHARED_WORKERS = { wsshare: 'wsshare-worker.js', batching: 'relay-worker.js' };

// Where the first tab's cold start went, in ms from its constructor, from
// clocks that need nothing of the code measured: the worker's time origin
// (its global scope made, its script fetched), its fetch of the core (its
// Resource Timing: asked, last byte), the server's accept of the socket and
// the tab's `open`. Read after the join, so that probing costs it nothing.
async function coldTimeline(env, room, first, variant, cold) {
  const probe = await env.browser.workerProbe(SHARED_WORKERS[variant]);
  let w;
  try {
    const { result } = await probe.send('Runtime.evaluate', {
      expression: `JSON.stringify({ origin: performance.timeOrigin, fetches: performance.getEntriesByType('resource')
        .filter((e) => /\\.wasm($|\\?)/.test(e.name)).map((e) => [e.fetchStart, e.responseEnd]) })`,
      returnByValue: true,
    });
    w = JSON.parse(result.value);
  } finally {
    await probe.detach();
  }
  const from = await first.eval(() => window.bench.openedFrom());
  const { acceptedAt } = await env.server.room(room);
  const at = (epochMs) => epochMs - from;
  const [wasm] = w.fetches;
  return {
    workerStarts: at(w.origin),
    ...(wasm ? { coreAsked: at(w.origin + wasm[0]), coreFetched: at(w.origin + wasm[1]) } : {}),
    serverAccepts: at(acceptedAt[0]),
    open: cold,
  };
}

function joinOnce(env, variant) {
  const { server } = env;
  const room = newRoom('join');
  return env.browser.inContext(async (ctx) => {
    const first = await ctx.openTab();
    const [cold] = await openAll([first], variant, server.wsUrl(room));
    const second = await ctx.openTab();
    const [join] = await openAll([second], variant, server.wsUrl(room));
    if (!SHARED_WORKERS[variant] || env.browser.probes === false) return { cold, join };
    return { cold, join, timeline: await coldTimeline(env, room, first, variant, cold) };
  });
}

export async function join(env) {
  return inRounds(env, 'cold start and join', env.cfg.join.rounds, (v) => joinOnce(env, v),
    (r) => `cold ${millis(r.cold)}, join ${millis(r.join)}${r.timeline ? ` (worker at ${millis(r.timeline.workerStarts)}, ` +
      `${r.timeline.coreAsked !== undefined ? `core asked at ${millis(r.timeline.coreAsked)}, fetched at ${millis(r.timeline.coreFetched)}, ` : ''}` +
      `socket accepted at ${millis(r.timeline.serverAccepts)})` : ''}`);
}

// ---- the leader's memory while frames stream through it ----

export async function memory(env) {
  const { server, cfg } = env;
  const { tabs: nTabs, frames, chunk } = cfg.memory;
  const room = newRoom('memory');
  return env.browser.inContext(async (ctx) => {
    const tabs = await ctx.openTabs(nTabs);
    await openAll(tabs, 'wsshare', server.wsUrl(room));
    const probe = await env.browser.workerProbe('wsshare-worker.js');
    const sample = async (done) => ({ frames: done, wasm: await probe.wasmBytes(), jsHeap: await probe.jsHeap() });
    const samples = [await sample(0)];
    try {
      for (let done = 0; done < frames; done += chunk) {
        await Promise.all(tabs.map((t) => t.eval((n) => window.bench.expect(n), chunk)));
        await server.blast(room, chunk, cfg.frameBytes);
        await within(WAIT_MS, Promise.all(tabs.map((t) => t.eval(() => window.bench.done()))), `${chunk} frames`);
        samples.push(await sample(done + chunk));
        const last = samples[samples.length - 1];
        env.progress(`leader memory · ${(done + chunk).toLocaleString('en')} frames`,
          `wasm ${last.wasm.toLocaleString('en')} B, JS heap ${last.jsHeap.toLocaleString('en')} B`);
      }
    } finally {
      await probe.detach();
    }
    const [first, last] = [samples[0], samples[samples.length - 1]];
    return { tabs: nTabs, samples, wasmGrowth: last.wasm - first.wasm, jsHeapGrowth: last.jsHeap - first.jsHeap };
  });
}

// ---- protocol profiles: one unmodified client per tab, wsshare against a socket each ----

export const PROTOCOL_VARIANTS = ['plain', 'wsshare'];
const SUBSCRIBE_WAIT_MS = 15000;
// Text carried by each JSON-RPC call: a request of about 100 bytes.
const RPC_TEXT = 'r'.repeat(40);

// The page's module of protocol drivers, loaded on first use.
const inPage = (tab, fn, arg) => tab.eval(async ([name, a]) => (await import('/bench/protocol-clients.mjs'))[name](...a), [fn, arg]);

// A fresh server for one round, closed whatever the round does.
async function withServer(start, fn) {
  const server = await start();
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

// A protocol scenario that cannot complete a round ends as failed, with the
// reason, rather than ending the whole run.
async function orFailed(env, label, run) {
  try {
    return { rounds: await run() };
  } catch (err) {
    env.progress(label, `failed: ${err.message}`);
    return { failed: true, reason: err.message.split('\n')[0] };
  }
}

// graphql-ws: each tab's client subscribes; every subscription publishes as
// fast as graphql-ws takes events, for a fixed time. The figure is events
// received by all the tabs' clients over the time from the burst's start
// until the last tab had its last event.
function graphqlOnce(env, variant) {
  const { tabs: nTabs, burstMs } = env.cfg.graphql;
  const key = newRoom('graphql');
  return withServer(startGraphqlBench, (server) => env.browser.inContext(async (ctx) => {
    const tabs = await ctx.openTabs(nTabs);
    for (const t of tabs) await inPage(t, 'graphqlSubscribe', [variant, server.url, key, EVENTS_QUERY]);
    try {
      await until(() => server.stats().subscriptions === nTabs, SUBSCRIBE_WAIT_MS, `${nTabs} subscriptions at the server`);
    } catch (err) {
      const seen = await Promise.all(tabs.map((t) => inPage(t, 'graphqlReceived', [])));
      throw new Error(`${variant}: ${err.message}; the server saw ${JSON.stringify(server.stats())}, the tabs ${JSON.stringify(seen)}`);
    }
    const { t0 } = server.burst(burstMs);
    const got = await within(WAIT_MS, Promise.all(tabs.map((t) => inPage(t, 'graphqlDone', []))),
      `${variant}: ${nTabs} subscriptions completing`);
    const { accepted, sent } = server.stats();
    const problems = got.flatMap((g, i) => [
      g.error && `tab ${i + 1}: ${g.error}`,
      !g.complete && !g.error && `tab ${i + 1}: no complete`,
      g.disorder && `tab ${i + 1}: ${g.disorder} events out of order`,
      g.bad && `tab ${i + 1}: ${g.bad} results without an event`,
    ]).filter(Boolean);
    const counts = got.map((g) => g.count).sort((a, b) => a - b);
    const published = [...sent].sort((a, b) => a - b);
    if (counts.join() !== published.join()) problems.push(`the tabs got ${counts} events, the server published ${published}`);
    if (problems.length) throw new Error(`${variant}: ${problems.join('; ')}`);
    const events = counts.reduce((a, b) => a + b, 0);
    const seconds = (Math.max(...got.map((g) => g.lastAt)) - t0) / 1000;
    const framesPerPost = await inPage(tabs[0], 'graphqlFramesPerPost', []);
    return { perSecond: events / seconds, seconds, events, connections: accepted, framesPerPost };
  }));
}

export async function graphql(env) {
  const label = `graphql-ws subscription fan-out, ${env.cfg.graphql.tabs} tabs`;
  return orFailed(env, label, () => inRounds(env, label, env.cfg.graphql.rounds, (v) => graphqlOnce(env, v), perSecond));
}

// JSON-RPC 2.0: a json-rpc-2.0 client per tab calls `echo` and awaits each
// answer before the next call: first one tab while the others idle, then
// every tab at once (each client numbering its ids from 1, so with wsshare
// the ids collide on the one connection and the core remaps them).
function jsonrpcOnce(env, variant) {
  const { tabs: nTabs, trips, tripsEach, warmup } = env.cfg.jsonrpc;
  const key = newRoom('jsonrpc');
  return withServer(startJsonRpcBench, (server) => env.browser.inContext(async (ctx) => {
    const tabs = await ctx.openTabs(nTabs);
    for (const t of tabs) await inPage(t, 'jsonrpcOpen', [variant, server.url, key]);
    const run = (t, n) => inPage(t, 'jsonrpcTrips', [n, RPC_TEXT]);
    await Promise.all(tabs.map((t) => run(t, warmup))); // lets the JIT settle in every tab
    const before = await inPage(tabs[0], 'jsonrpcLeaderStats', []);
    const one = await within(WAIT_MS, run(tabs[0], trips), `${variant}: ${trips} calls from one tab`);
    const after = await inPage(tabs[0], 'jsonrpcLeaderStats', []);
    const all = await within(WAIT_MS, Promise.all(tabs.map((t) => run(t, tripsEach))),
      `${variant}: ${tripsEach} calls from each of ${nTabs} tabs at once`);
    const together = all.flat();
    // wsshare's leader's bus posts per call from one tab: data (frames for
    // tabs) and control (acks and other envelopes).
    const perTrip = (k) => before && (after[k] - before[k]) / trips;
    return {
      one: { p50: percentile(one, 50), p99: percentile(one, 99), trips: one.length },
      all: { p50: percentile(together, 50), p99: percentile(together, 99), trips: together.length },
      connections: server.stats().accepted,
      postsPerTrip: before && perTrip('dataPosts') + perTrip('controlPosts'),
      dataPostsPerTrip: perTrip('dataPosts'),
      controlPostsPerTrip: perTrip('controlPosts'),
    };
  }));
}

export async function jsonrpc(env) {
  const label = 'JSON-RPC round trip';
  return orFailed(env, label, () => inRounds(env, label, env.cfg.jsonrpc.rounds, (v) => jsonrpcOnce(env, v),
    (r) => `one tab p50 ${millis(r.one.p50)}, p99 ${millis(r.one.p99)}; ${env.cfg.jsonrpc.tabs} at once p50 ${millis(r.all.p50)}, p99 ${millis(r.all.p99)}`));
}

// ---- sizes of what ships ----

export function sizes() {
  return measureSizes();
}

// ---- the core alone: native (gcc -O2) and wasm in the browser ----

function nativeCore(bin, workload, events, tabs, batch) {
  return JSON.parse(execFileSync(bin, [workload, String(events), String(tabs), String(batch)], { encoding: 'utf8' }));
}

// Instructions callgrind counted in one run of the native benchmark.
function callgrindInstructions(bin, args) {
  const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', bin, ...args], { encoding: 'utf8' });
  const m = /Collected\s*:\s*(\d+)/.exec(r.stderr || '');
  if (r.status !== 0 || !m) throw new Error(`callgrind failed: ${r.stderr || r.error}`);
  return Number(m[1]);
}

// Instructions per event, exact and immune to a busy machine: runs of n and
// 2n events, so the setup's instructions cancel out.
function instructionsPerEvent(bin, workload, n, tabs, batch) {
  const ir = (events) => callgrindInstructions(bin, [workload, String(events), String(tabs), String(batch)]);
  return (ir(2 * n) - ir(n)) / n;
}

export async function core(env) {
  const { cfg } = env;
  const { bin, rounds, tabs, batch, events, callgrind } = cfg.core;
  const out = {};
  await env.browser.inContext(async (ctx) => {
    const page = await ctx.openTab();
    for (const workload of Object.keys(events)) {
      const n = events[workload];
      const native = [];
      const wasm = [];
      for (let r = 0; r < rounds; r++) {
        native.push(nativeCore(bin, workload, n, tabs, batch));
        wasm.push(await page.eval(async (p) => (await import('/bench/core-bench.mjs')).coreBench(p),
          { workload, events: n, tabs, batch }));
        env.progress(`core micro-benchmark · ${workload} · round ${r + 1}/${rounds}`,
          `native ${perSecond({ perSecond: native[r].eventsPerSec })}, wasm ${perSecond({ perSecond: wasm[r].eventsPerSec })}`);
      }
      out[workload] = {
        events: native[0].events,
        native: native.map((x) => x.eventsPerSec),
        wasm: wasm.map((x) => x.eventsPerSec),
        // Both drivers sum what the actions carry: equal sums, equal work.
        sameWork: native.every((x, i) => x.sink === wasm[i].sink),
        instructionsPerEvent: callgrind ? instructionsPerEvent(bin, workload, callgrind[workload], tabs, batch) : null,
      };
    }
  });
  return out;
}
