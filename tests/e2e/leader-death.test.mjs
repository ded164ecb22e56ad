// A leader that dies is always noticed. The SharedWorker holding the socket
// ends (killed from outside, ending itself, or ended by the browser as tabs
// close); the tabs learn of it from the lock it held for its life, start
// another, re-send what it had not acknowledged and go on: 0 frames lost, one
// connection again. A worker that cannot start, or whose core stops loading,
// gives way to the next mode instead of leaving the tabs waiting.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { unlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ENGINE, checkReceived, everyTabHearsAReply, eventually, lacks, launch, serverStats, startCatForFile, startSending,
  stopSending, uniqueUser,
} from './harness.mjs';

const DEBUG_WASM = fileURLToPath(new URL('../../build/debug/wsshare.wasm', import.meta.url));

// The leader's worker, wrapped so that a test can make it end itself: a
// worker's own close() ends it as the browser would end it, locks and all.
const MORTAL_WORKER = `importScripts('/dist/wsshare-worker.js');
new BroadcastChannel('wsshare-test/end-worker').onmessage = () => self.close();
`;
const THROWING_WORKER = "throw new Error('this worker is broken at start-up');\n";

let browser;
let cat;
const figures = [];

before(async () => {
  browser = await launch();
  // Every socket is kept: a second leader would show as a second connection.
  cat = await startCatForFile({ policy: 'multi' });
  writeFileSync(join(cat.root, 'demo', 'mortal-worker.js'), MORTAL_WORKER);
  writeFileSync(join(cat.root, 'demo', 'throwing-worker.js'), THROWING_WORKER);
});
after(async () => {
  for (const f of figures) console.log(`  ${f}`);
  await browser.close();
  await cat.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Opens n tabs; each records the wall time of every reconnecting and open.
// noLocks: as in an insecure context, the pages have no Web Locks.
async function openTabs(ctx, n, user, options, { noLocks = false } = {}) {
  const tabs = [];
  for (let i = 0; i < n; i++) {
    const tab = await ctx.openTab(cat.url);
    if (noLocks) await tab.eval(() => { Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }); });
    const r = await tab.eval(([path, opts]) => window.connect(path, undefined, opts), [`/ws/${user}`, options]);
    assert.equal(r.readyState, 1, `tab ${i} should be open, saw ${JSON.stringify(r)}`);
    await tab.eval(() => {
      const rec = window.sockets[0];
      rec.times = { reconnecting: [], open: [] };
      rec.ws.addEventListener('reconnecting', () => rec.times.reconnecting.push(Date.now()));
      rec.ws.addEventListener('open', () => rec.times.open.push(Date.now()));
    });
    tabs.push(tab);
  }
  return tabs;
}

const mortal = { mode: 'sharedworker', workerUrl: '/demo/mortal-worker.js' };
const endWorkerFromPage = (tab) => tab.eval(() => new BroadcastChannel('wsshare-test/end-worker').postMessage('end'));

// The worker ends while every tab sends every 20 ms: each tab hears
// `reconnecting` then `open`, never `close`; one connection again; every
// frame each tab sent reaches the server, in the tab's order.
async function survivesWorkerEnd(user, options, end, how, open = {}) {
  await browser.inContext(async (ctx) => {
    const tabs = await openTabs(ctx, 3, user, options, open);
    const names = tabs.map((_, i) => `${user}-t${i}`);
    await startSending(tabs, names);
    await sleep(300);
    const t0 = Date.now();
    await end(tabs);
    const times = [];
    for (const tab of tabs) {
      const t = await tab.waitFor((since) => {
        const { reconnecting, open } = window.sockets[0].times;
        const lost = reconnecting.find((x) => x >= since);
        const back = lost && open.find((x) => x >= lost);
        return back ? { lost, back } : null;
      }, t0, 20000).catch(async (err) => {
        const seen = await tab.eval(() => ({ events: window.sockets[0].events, errors: window.sockets[0].errors, times: window.sockets[0].times, mode: window.sockets[0].ws.mode }));
        throw new Error(`${err.message}; t0 ${t0}, the tab saw ${JSON.stringify(seen)}`);
      });
      times.push({ detect: t.lost - t0, recover: t.back - t0 });
    }
    await eventually(async () => (await serverStats(cat, user)).connections === 1, { timeout: 10000, what: 'one connection' });
    const connectedAt = Date.now() - t0;
    await sleep(500);
    const counts = await stopSending(tabs);
    const { total, duplicates } = await checkReceived(cat, user, names, counts);
    for (const tab of tabs) {
      const rec = await tab.eval(() => ({ events: window.sockets[0].events, state: window.sockets[0].ws.readyState }));
      assert.equal(rec.state, 1);
      assert.ok(!rec.events.some((e) => e.startsWith('close')), `no close: ${rec.events.join(',')}`);
    }
    await everyTabHearsAReply(tabs);
    const worst = (k) => Math.max(...times.map((x) => x[k]));
    figures.push(`${ENGINE}, worker ${how}: every tab knew in ≤ ${worst('detect')} ms and was open again in ≤ ` +
      `${worst('recover')} ms; 1 connection seen ${connectedAt} ms after; ${total} frames, 0 lost, ${duplicates} duplicate(s)`);
  });
}

describe('a leader that dies is noticed', () => {
  test('a SharedWorker ended from outside while 3 tabs send: 0 frames lost, 1 connection again',
    { skip: lacks('endworker') }, async () => {
      await survivesWorkerEnd(uniqueUser('endsw'), { mode: 'sharedworker' }, async () => {
        assert.ok((await browser.endSharedWorkers()) >= 1, 'a SharedWorker was running');
      }, 'ended from outside');
    });

  test("an elected tab's leader worker ends while 3 tabs send: 0 frames lost, 1 connection again",
    { skip: lacks('wedge') }, async () => {
      await survivesWorkerEnd(uniqueUser('endded'), { mode: 'election' }, async (tabs) => {
        const leading = await Promise.all(tabs.map((t) => t.eval(() => window.sockets[0].ws.isLeader)));
        assert.equal(leading.filter(Boolean).length, 1, `one leader, saw ${leading}`);
        await tabs[leading.indexOf(true)].endWorker();
      }, 'of the elected tab ended');
    });

  test('a SharedWorker that ends itself while 3 tabs send: 0 frames lost, 1 connection again', async () => {
    await survivesWorkerEnd(uniqueUser('selfend'), mortal, (tabs) => endWorkerFromPage(tabs[0]), 'ended itself');
  });

  test('pages without Web Locks hear a SharedWorker that ended by its silence: 0 frames lost, 1 connection again', async () => {
    await survivesWorkerEnd(uniqueUser('nolocks'), mortal, (tabs) => endWorkerFromPage(tabs[0]),
      'ended itself, pages without Web Locks', { noLocks: true });
  });

  test('a SharedWorker that dies twice within a minute: the tabs elect a leader instead, 0 frames lost', async () => {
    const user = uniqueUser('twice');
    await browser.inContext(async (ctx) => {
      const tabs = await openTabs(ctx, 3, user, { workerUrl: '/demo/mortal-worker.js' });
      const names = tabs.map((_, i) => `${user}-t${i}`);
      await startSending(tabs, names);
      for (let death = 1; death <= 2; death++) {
        const t0 = Date.now();
        await endWorkerFromPage(tabs[0]);
        for (const tab of tabs) {
          await tab.waitFor((since) => window.sockets[0].times.open.some((x) => x > since) &&
            window.sockets[0].times.reconnecting.some((x) => x >= since), t0, 20000);
        }
      }
      for (const tab of tabs) assert.equal(await tab.eval(() => window.sockets[0].ws.mode), 'election');
      await eventually(async () => (await serverStats(cat, user)).connections === 1, { timeout: 10000, what: 'one connection' });
      const counts = await stopSending(tabs);
      const { total } = await checkReceived(cat, user, names, counts);
      figures.push(`${ENGINE}, worker died twice: 3 tabs in election mode, 1 connection, ${total} frames, 0 lost`);
    });
  });

  test('four tabs, the first closed, then another: the two left keep one connection and lose nothing', async () => {
    const user = uniqueUser('four');
    await browser.inContext(async (ctx) => {
      const tabs = await openTabs(ctx, 4, user, { mode: 'sharedworker' });
      await tabs[0].close();
      await sleep(300);
      await tabs[2].close();
      const left = [tabs[1], tabs[3]];
      const names = left.map((_, i) => `${user}-left${i}`);
      await startSending(left, names);
      await sleep(1500);
      const counts = await stopSending(left);
      await checkReceived(cat, user, names, counts);
      await everyTabHearsAReply(left);
      await eventually(async () => (await serverStats(cat, user)).connections === 1, { timeout: 10000, what: 'one connection' });
      const reconnects = await Promise.all(left.map((t) => t.eval(() => window.sockets[0].times.reconnecting.length)));
      figures.push(`${ENGINE}, 4 tabs then 2 closed: the 2 left sent ${counts.join(' + ')} frames, 0 lost; ` +
        `their worker was replaced ${Math.max(...reconnects)} time(s)`);
    });
  });

  test("a worker that throws at start-up: 'auto' elects a tab instead; 'sharedworker' fails with a reason", async () => {
    const user = uniqueUser('throws');
    await browser.inContext(async (ctx) => {
      const t0 = Date.now();
      const tabs = await openTabs(ctx, 3, user, { workerUrl: '/demo/throwing-worker.js' });
      const opened = Date.now() - t0;
      for (const tab of tabs) assert.equal(await tab.eval(() => window.sockets[0].ws.mode), 'election');
      assert.equal((await serverStats(cat, user)).connections, 1);
      await everyTabHearsAReply(tabs);
      const tab = await ctx.openTab(cat.url);
      const r = await tab.eval((path) => window.connect(path, undefined, { mode: 'sharedworker', workerUrl: '/demo/throwing-worker.js' }), `/ws/${user}-forced`);
      assert.equal(r.readyState, 3);
      const rec = await tab.eval(() => ({ errors: window.sockets[0].errors, closed: window.sockets[0].closed }));
      assert.equal(rec.closed.code, 1006);
      assert.match(rec.errors.join(' '), /SharedWorker could not start/);
      figures.push(`${ENGINE}, worker throwing at start-up: 3 tabs open in election mode after ${opened} ms (all three opened one after another)`);
    });
  });

  test('the core stops loading after a while of running: the tabs fall back to sockets of their own, 0 frames lost', async () => {
    const user = uniqueUser('nowasm');
    const late = join(cat.root, 'demo', `late-${user}.wasm`);
    symlinkSync(DEBUG_WASM, late);
    await browser.inContext(async (ctx) => {
      const tabs = await openTabs(ctx, 3, user, { workerUrl: '/demo/mortal-worker.js', wasmUrl: `/demo/late-${user}.wasm` });
      const names = tabs.map((_, i) => `${user}-t${i}`);
      await startSending(tabs, names);
      await sleep(300);
      unlinkSync(late);
      await endWorkerFromPage(tabs[0]);
      for (const tab of tabs) await tab.waitFor(() => window.sockets[0].ws.mode === 'direct', undefined, 30000);
      await sleep(500);
      const counts = await stopSending(tabs);
      const { total } = await checkReceived(cat, user, names, counts);
      await eventually(async () => (await serverStats(cat, user)).connections === 3, { timeout: 10000, what: 'a socket per tab' });
      for (const tab of tabs) assert.equal(await tab.eval(() => window.sockets[0].ws.readyState), 1);
      figures.push(`${ENGINE}, core gone after a while: 3 tabs on sockets of their own, ${total} frames, 0 lost`);
    });
  });
});
