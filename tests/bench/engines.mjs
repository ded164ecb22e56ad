// The bench in Firefox and WebKit: the end-to-end tests' own way of starting
// each engine (tests/e2e/engines/: Debian's firefox-esr over WebDriver BiDi,
// WebKitGTK's MiniBrowser over WebKitWebDriver on an Xvfb display), wrapped
// in the interface the scenarios take from browser.mjs, and the scenarios
// those drivers can run. What a driver cannot do is a reason, never a figure.

import { lacksIn } from '../e2e/harness.mjs';
import * as scenario from './scenarios.mjs';
import * as peers from './peers.mjs';

export const ENGINES = ['chromium', 'firefox', 'webkit'];
const PAGE = '/bench/bench.html';
const READY_MS = 30000;

// Why the bench's CDP probe of the leader's memory has no counterpart.
const NO_HEAP = {
  firefox: 'WebDriver BiDi has no command that reaches a SharedWorker, reads its heap or forces a collection',
  webkit: 'WebKitWebDriver has no command that reaches a SharedWorker, reads its heap or forces a collection',
};

// The reason an engine's driver cannot take a measure, as RESULTS.md gives it.
export const notMeasured = (engine, why) => `not measured in ${engine}: ${why.replace(new RegExp(`^${engine}: `), '')}`;

// An engine of the E2E harness as browser.mjs's launchBrowser gives
// Chromium: fresh contexts of bench tabs, each tab evaluating functions.
export async function launchEngineBrowser(engine, origin) {
  const { launchEngine } = await import(`../e2e/engines/${engine}.mjs`);
  const driver = await launchEngine();
  const tabOf = (tab) => ({
    // Source text, as the harness passes arguments: the drivers' own
    // argument passing differs.
    eval: (fn, arg) => tab.run(`(${fn})(${arg === undefined ? 'undefined' : JSON.stringify(arg)})`),
    close: () => tab.close(),
    crash: () => { throw new Error(notMeasured(engine, lacksIn(engine, 'crash'))); },
  });
  return {
    engine,
    get version() { return driver.version; },
    async inContext(fn) {
      const context = await driver.newContext();
      const ctx = {
        async openTab() {
          const tab = tabOf(await context.newTab(origin + PAGE));
          const end = Date.now() + READY_MS;
          while (!(await tab.eval(() => window.benchReady === true))) {
            if (Date.now() > end) throw new Error(`${engine}: the bench page was not ready after ${READY_MS} ms`);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          return tab;
        },
        // One after another: WebDriver opens a tab at a time anyway.
        async openTabs(n) {
          const tabs = [];
          for (let i = 0; i < n; i++) tabs.push(await ctx.openTab());
          return tabs;
        },
      };
      try {
        return await fn(ctx);
      } finally {
        await context.close();
      }
    },
    // No CDP into a worker here: no leader memory, no cold start's timeline.
    probes: false,
    workerProbe: () => { throw new Error(notMeasured(engine, NO_HEAP[engine])); },
    close: () => driver.close(),
  };
}

// The scenarios an engine other than Chromium runs, with its own fewer
// rounds (cfg.engines): fan-out at 4 tabs (plain, batching relay, wsshare),
// echo, cold start and join, failover with the leader tab closed, a bare
// socket in each placement. The
// crashed leader and the leader's memory are reasons, from the driver.
export async function runEngine(env, engine) {
  const c = env.cfg.engines;
  const cfg = {
    ...env.cfg,
    fanout: { frames: c.fanout.frames, rounds: { [c.fanout.tabs]: c.fanout.rounds } },
    echo: { ...env.cfg.echo, ...c.echo },
    // The same rounds for each variant the engine's table shows.
    join: { rounds: Object.fromEntries(['plain', 'batching', 'wsshare'].map((v) => [v, c.join.rounds])) },
    failover: { ...env.cfg.failover, ...c.failover },
  };
  const progress = (what, outcome) => env.progress(`${engine} · ${what}`, outcome);
  const e = { ...env, cfg, progress };
  const out = { version: null, tabs: c.fanout.tabs, frames: c.fanout.frames };
  // A scenario that fails in one engine is reported failed; the others run.
  const attempt = async (name, run) => {
    try {
      out[name] = await run();
    } catch (err) {
      progress(name, `failed: ${err.message.split('\n')[0]}`);
      out[name] = { failed: true, reason: err.message.split('\n')[0] };
    }
  };
  await attempt('fanout', () => scenario.fanout(e, c.fanout.tabs));
  await attempt('echo', () => scenario.echo(e));
  await attempt('join', () => scenario.join(e));
  // wsshare's election mode only: the peers are Chromium's comparison.
  await attempt('failover', async () => (await peers.failover(e, 'close', ['election'])).election);
  // A bare socket in a SharedWorker, a dedicated Worker and a page: where
  // this engine sets the ceiling of each mode.
  await attempt('placement', () => scenario.placement(e, c.placement));
  out.crash = { measured: false, reason: notMeasured(engine, lacksIn(engine, 'crash')) };
  out.memory = { measured: false, reason: notMeasured(engine, NO_HEAP[engine]) };
  // WebKit's driver tells its version once a session has started.
  out.version = env.browser.version;
  return out;
}
