// What wsshare relies on in the engine under test (WSSHARE_ENGINE), checked
// as facts before the library is: a page served from 127.0.0.1 is a secure
// context with SharedWorker, BroadcastChannel and Web Locks that work across
// tabs; then the regressions of the engine differences the library works around.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINE, ONE_SHARED_SOCKET, eventually, launch, serverStats, startCatForFile, uniqueUser } from './harness.mjs';

let browser;
let cat;

before(async () => {
  browser = await launch();
  cat = await startCatForFile({});
});
after(async () => {
  await browser.close();
  await cat.close();
});

describe(`what the engine offers a page on http://127.0.0.1 (${ENGINE})`, () => {
  test('the page is a secure context with SharedWorker, BroadcastChannel and Web Locks', async () => {
    await browser.inContext(async (ctx) => {
      const tab = await ctx.openTab(cat.url);
      const r = await tab.eval(() => ({
        origin: location.origin,
        secure: isSecureContext,
        sharedWorker: typeof SharedWorker,
        broadcastChannel: typeof BroadcastChannel,
        locks: typeof navigator.locks === 'object' && typeof navigator.locks.request,
      }));
      console.log(`  ${ENGINE} ${browser.version}`);
      assert.deepEqual(r, {
        origin: cat.url, secure: true, sharedWorker: 'function', broadcastChannel: 'function', locks: 'function',
      });
    });
  });

  test('a BroadcastChannel message and a released Web Lock reach another tab', async () => {
    await browser.inContext(async (ctx) => {
      const [a, b] = [await ctx.openTab(cat.url), await ctx.openTab(cat.url)];
      await a.eval(() => {
        window.heard = [];
        new BroadcastChannel('compat').onmessage = (e) => window.heard.push(e.data);
      });
      await b.eval(() => new Promise((held) => {
        navigator.locks.request('compat-lock', () => {
          held();
          return new Promise((release) => { window.release = release; });
        });
      }));
      await a.eval(() => {
        window.granted = false;
        navigator.locks.request('compat-lock', () => { window.granted = true; });
      });
      await b.eval(() => new BroadcastChannel('compat').postMessage('from b'));
      await a.waitFor(() => window.heard.includes('from b'));
      assert.equal(await a.eval(() => window.granted), false, 'the lock is still held by the other tab');
      await b.eval(() => window.release());
      await a.waitFor(() => window.granted);
    });
  });

  test("two tabs in 'auto' mode use one SharedWorker, not a socket each", async () => {
    const user = uniqueUser('compat');
    await browser.inContext(async (ctx) => {
      const tabs = [await ctx.openTab(cat.url), await ctx.openTab(cat.url)];
      const modes = [];
      for (const tab of tabs) modes.push((await tab.eval((p) => window.connect(p), `/ws/${user}`)).mode);
      assert.deepEqual(modes, ['sharedworker', 'sharedworker']);
      // One leader that counts both tabs is one worker instance for the two.
      const leader = await tabs[1].eval(() => window.sockets[0].ws.stats().then((s) => s.leader));
      assert.equal(leader.tabs, 2);
      assert.deepEqual(await serverStats(cat, user), ONE_SHARED_SOCKET);
    });
  });
});

describe('engine differences the library works around', () => {
  // Firefox can stop a closing tab's pagehide script a few statements in; the
  // goodbye used to come after other work and was lost about half the time
  // (the leader still learnt of the tab from its lock, but as lost).
  test('6 tabs closed one after another each say goodbye, none is counted as lost', async () => {
    const user = uniqueUser('goodbye');
    await browser.inContext(async (ctx) => {
      const stay = await ctx.openTab(cat.url);
      await stay.eval((p) => window.connect(p), `/ws/${user}`);
      for (let i = 0; i < 6; i++) {
        const tab = await ctx.openTab(cat.url);
        assert.equal((await tab.eval((p) => window.connect(p), `/ws/${user}`)).readyState, 1);
        await tab.close();
        await eventually(async () => (await stay.eval(() => window.sockets[0].ws.stats())).leader.tabs === 1,
          { what: `closed tab ${i + 1} dropped` });
      }
      const leader = await stay.eval(() => window.sockets[0].ws.stats().then((s) => s.leader));
      assert.deepEqual({ left: leader.tabsLeft, lost: leader.tabsLost }, { left: 6, lost: 0 });
    });
  });

  // The same cut, where there are no Web Locks: a leading tab's page posts its
  // resignation as it closes, so the others elect at once instead of waiting
  // out its lease. In Firefox it used to come after other work, and was lost
  // in about one close of three.
  test('6 leading tabs without Web Locks, closed, each post their resignation', async () => {
    for (let round = 0; round < 6; round++) {
      const user = uniqueUser('resign');
      await browser.inContext(async (ctx) => {
        const tabs = [];
        for (let i = 0; i < 2; i++) {
          const tab = await ctx.openTab(cat.url);
          await tab.eval(() => {
            // As in an insecure context: the page has no Web Locks. The bus's
            // name, noted as the library opens it, gives the election's.
            Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined });
            const Native = BroadcastChannel;
            window.BroadcastChannel = class extends Native {
              constructor(name) {
                super(name);
                if (!window.busName) window.busName = name;
              }
            };
          });
          const r = await tab.eval((p) => window.connect(p, undefined, { mode: 'election' }), `/ws/${user}`);
          assert.deepEqual([r.readyState, r.mode], [1, 'election']);
          tabs.push(tab);
        }
        const flags = await eventually(async () => {
          const f = await Promise.all(tabs.map((t) => t.eval(() => window.sockets[0].ws.isLeader)));
          return f.filter(Boolean).length === 1 ? f : null;
        }, { timeout: 10000, what: 'one leader' });
        const [leader, follower] = flags[0] ? tabs : [...tabs].reverse();
        await follower.eval(() => {
          window.resigned = false;
          const ch = new BroadcastChannel(`${window.busName}/elect`);
          ch.onmessage = (e) => { if (JSON.parse(e.data).t === 'resign') window.resigned = true; };
        });
        await leader.close();
        await follower.waitFor(() => window.resigned);
      });
    }
  });
});
