// Election mode: the tabs elect one of themselves to run the leader. When the
// leader tab closes, crashes or freezes, another takes over: one server
// connection again, every tab keeps receiving, and no frame a tab sent is lost.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  catJson, checkReceived, everyTabHearsAReply, eventually, lacks, launch, push, sendInOrder, serverStats, startCatForFile, startSending,
  stopSending, uniqueUser,
} from './harness.mjs';

// How long followers tolerate a silent leader (wasm/src/locks.c).
const SILENCE_MS = 4000;

let browser;
let cat;
const failovers = { close: [], crash: [], wedge: [] };

before(async () => {
  browser = await launch();
  // A server that keeps every socket: a second leader would show as a
  // second connection, never hidden by a kick.
  cat = await startCatForFile({ policy: 'multi' });
});
after(async () => {
  for (const [how, times] of Object.entries(failovers)) {
    if (!times.length) continue;
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`  failover after leader ${how}: median ${sorted[sorted.length >> 1]} ms, worst ${sorted[sorted.length - 1]} ms (${times.length} run(s))`);
  }
  await browser.close();
  await cat.close();
});

// Opens n tabs in election mode; each records leader changes, reconnects and
// the wall time of every `open`, to time a failover from the outside.
async function openElected(ctx, n, user, options = {}, { noLocks = false, countCopies = false } = {}) {
  const tabs = [];
  for (let i = 0; i < n; i++) {
    const tab = await ctx.openTab(cat.url);
    // As in an insecure context: the page has no Web Locks.
    if (noLocks) await tab.eval(() => { Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }); });
    if (countCopies) await tab.eval(countChannelPosts);
    const r = await tab.eval(([path, opts]) => window.connect(path, undefined, opts), [`/ws/${user}`, { mode: 'election', ...options }]);
    assert.equal(r.readyState, 1, `tab ${i} should be open, saw ${JSON.stringify(r)}`);
    assert.equal(r.mode, 'election');
    await tab.eval(() => {
      const rec = window.sockets[0];
      rec.opens = [];
      rec.ws.addEventListener('open', () => rec.opens.push(Date.now()));
      rec.ws.addEventListener('leaderchange', (e) => rec.events.push(`leaderchange:${e.isLeader}`));
      rec.ws.addEventListener('reconnecting', (e) => rec.events.push(`reconnecting:${e.attempt}`));
    });
    tabs.push(tab);
  }
  return tabs;
}

// Counts what the page's BroadcastChannels receive: frames of tabs' data
// messages (t 's' and 'r', what a tab sends its leader) and posts of server
// frames (t 'd'). Set before the socket is made, so every channel the page
// makes is one of these.
function countChannelPosts() {
  const Native = window.BroadcastChannel;
  const seen = { tabFrames: 0, serverPosts: 0 };
  window.channelPosts = seen;
  window.BroadcastChannel = class extends Native {
    constructor(name) {
      super(name);
      this.addEventListener('message', (e) => {
        const d = e.data;
        if (!d || typeof d !== 'object') return;
        if ((d.t === 's' || d.t === 'r') && Array.isArray(d.f)) seen.tabFrames += d.f.length;
        else if (d.t === 'd') seen.serverPosts++;
      });
    }
  };
}

const isLeader = (tab) => tab.eval(() => window.sockets[0].ws.isLeader);

async function leaderIndex(tabs) {
  const flags = await Promise.all(tabs.map(isLeader));
  assert.equal(flags.filter(Boolean).length, 1, `exactly one leader, saw ${JSON.stringify(flags)}`);
  return flags.indexOf(true);
}

describe('election mode', () => {
  // A follower reaches the elected tab's leader by a channel only the two of
  // them open; the elected tab by its leader's Worker. On the bus every other
  // tab would receive a copy of every frame.
  for (const noLocks of [false, true]) {
    test(`4 tabs' frames reach the server in order, and no tab receives another's${noLocks ? ' (no Web Locks)' : ''}`, async () => {
      const user = uniqueUser('roads');
      await browser.inContext(async (ctx) => {
        const tabs = await openElected(ctx, 4, user, {}, { noLocks, countCopies: true });
        // Every tab hears the server's 200 replies on the bus: the count sees
        // what the channels carry.
        await sendInOrder(cat, user, tabs);
        const seen = await Promise.all(tabs.map((tab) => tab.eval(() => window.channelPosts)));
        for (const s of seen) assert.ok(s.serverPosts > 0, `server frames counted: ${JSON.stringify(seen)}`);
        assert.deepEqual(seen.map((s) => s.tabFrames), [0, 0, 0, 0], 'frames of other tabs received');
        assert.deepEqual(await serverStats(cat, user), { connections: 1, accepted: 1, kicks: 0 });
      });
    });
  }

  test('4 tabs elect exactly one leader and share exactly 1 connection', async () => {
    const user = uniqueUser('elect4');
    await browser.inContext(async (ctx) => {
      const tabs = await openElected(ctx, 4, user);
      await leaderIndex(tabs);
      assert.deepEqual(await serverStats(cat, user), { connections: 1, accepted: 1, kicks: 0 });
      assert.equal(await push(cat, user, 'hi'), 1);
      for (const tab of tabs) await tab.waitFor(() => window.sockets[0].messages.length >= 1);
    });
  });

  // Closed or crashed, the leader's page lets go of its lock; wedged (its
  // worker stuck), it holds the lock but falls silent, and is replaced by a
  // follower that steals the lock.
  for (const how of ['close', 'crash', 'wedge']) {
    const needs = { close: false, crash: lacks('crash'), wedge: lacks('wedge') }[how];
    test(`the leader's ${how}: another tab takes over, 0 frames lost while followers send`, { skip: needs }, async () => {
      const user = uniqueUser(`fail-${how}`);
      await browser.inContext(async (ctx) => {
        const tabs = await openElected(ctx, 4, user);
        const li = await leaderIndex(tabs);
        const leader = tabs[li];
        const followers = tabs.filter((t) => t !== leader);
        const names = followers.map((_, i) => `${how}-f${i}`);
        await startSending(followers, names);
        await new Promise((r) => setTimeout(r, 300));

        const t0 = Date.now();
        let wedged = null;
        if (how === 'close') await leader.close();
        else if (how === 'crash') await leader.crash();
        else wedged = await leader.wedgeWorker(10000);

        // Every follower sees the socket open again, under a new leader.
        const reopened = await Promise.all(followers.map((tab) => tab.waitFor(
          (t) => window.sockets[0].opens.some((at) => at >= t), t0, 20000,
        ).then(() => tab.eval((t) => window.sockets[0].opens.find((at) => at >= t), t0))));
        const took = Math.max(...reopened) - t0;
        failovers[how].push(took);
        console.log(`  leader ${how}: every follower open again after ${took} ms`);
        await leaderIndex(how === 'wedge' ? tabs : followers);
        for (const tab of followers) {
          const events = await tab.eval(() => window.sockets[0].events);
          assert.ok(events.includes('reconnecting:1'), `reconnecting seen: ${events}`);
          assert.ok(events.some((e) => e.startsWith('leaderchange:')), `leaderchange seen: ${events}`);
          assert.ok(!events.some((e) => e.startsWith('close')), `no close: ${events}`);
        }
        if (wedged) {
          // Its lock stolen, the old leader's page stopped its worker: it is
          // a follower now, and its worker will never send again.
          assert.equal(await leader.eval(() => window.sockets[0].ws.isLeader), false);
          await wedged.done;
        }

        await new Promise((r) => setTimeout(r, 300));
        const counts = await stopSending(followers);
        for (const tab of followers) {
          const errors = await tab.eval(() => window.sockets[0].errors);
          assert.deepEqual(errors, [], 'no error event in a follower');
        }
        const { total, duplicates } = await checkReceived(cat, user, names, counts);
        console.log(`  leader ${how}: ${total} frames sent by followers, all received, ${duplicates} duplicate(s)`);
        await eventually(async () => (await serverStats(cat, user)).connections === 1,
          { timeout: 10000, what: 'exactly one server connection again' });

        await everyTabHearsAReply(how === 'wedge' ? tabs : followers);
      });
    });
  }

  // A browser that freezes a background page may leave its dedicated worker
  // running (Chromium does, for CDP's freeze): then the leader keeps serving.
  // Either way nothing may be lost and one connection must remain.
  test("the leader page's freeze: service goes on, 0 frames lost, one connection", { skip: lacks('freeze') }, async () => {
    const user = uniqueUser('freeze');
    await browser.inContext(async (ctx) => {
      const tabs = await openElected(ctx, 4, user);
      const leader = tabs[await leaderIndex(tabs)];
      const followers = tabs.filter((t) => t !== leader);
      const names = followers.map((_, i) => `freeze-f${i}`);
      await startSending(followers, names);
      await leader.freeze();
      // Longer than a silent leader is tolerated, to see what followers do.
      await new Promise((r) => setTimeout(r, 8000));
      const counts = await stopSending(followers);
      const changed = await Promise.all(followers.map((t) => t.eval(() => window.sockets[0].events.some((e) => e.startsWith('leaderchange')))));
      console.log(`  leader page frozen for 8 s: ${changed.some(Boolean) ? 'a follower took over' : "its worker kept serving, no failover needed"}`);
      const { total, duplicates } = await checkReceived(cat, user, names, counts);
      console.log(`  leader page frozen: ${total} frames sent by followers, all received, ${duplicates} duplicate(s)`);
      await leader.resume();
      await leader.waitFor(() => window.sockets[0].ws.readyState === 1);
      await eventually(async () => (await serverStats(cat, user)).connections === 1,
        { timeout: 10000, what: 'exactly one server connection' });
      await everyTabHearsAReply(tabs);
    });
  });
});

describe('falling back', () => {
  test("mode 'auto' with a worker script that 404s elects a tab, which leads from its page", async () => {
    const user = uniqueUser('nowrk');
    await browser.inContext(async (ctx) => {
      const tabs = [];
      for (let i = 0; i < 3; i++) {
        const tab = await ctx.openTab(cat.url);
        const r = await tab.eval((p) => window.connect(p, undefined, { workerUrl: '/dist/no-such-worker.js' }), `/ws/${user}`);
        assert.equal(r.readyState, 1, JSON.stringify(r));
        assert.equal(r.mode, 'election');
        tabs.push(tab);
      }
      await leaderIndex(tabs);
      assert.deepEqual(await serverStats(cat, user), { connections: 1, accepted: 1, kicks: 0 });
      await everyTabHearsAReply(tabs);
    });
  });
});

// Tabs come and go at random, the leader's among them, each sending numbered
// frames all along. In the end every frame a tab got acknowledged is at the
// server, and so is every frame of a tab still open; two connections never
// coexist for longer than a silent leader is tolerated.
describe('chaos', () => {
  test('8 tabs open and close at random for 60 s while sending', async () => {
    const user = uniqueUser('chaos');
    const seconds = Number(process.env.CHAOS_SECONDS || 60);
    let seed = 12345;
    const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    await browser.inContext(async (ctx) => {
      let made = 0;
      const open = [];
      const closed = []; // { name, sent, acked }
      const openOne = async () => {
        const name = `chaos-t${made++}`;
        const tab = await ctx.openTab(cat.url);
        const r = await tab.eval((p) => window.connect(p, undefined, { mode: 'election' }), `/ws/${user}`);
        assert.equal(r.readyState, 1, `${name}: ${JSON.stringify(r)}`);
        await startSending([tab], [name], 50);
        open.push({ name, tab });
      };
      for (let i = 0; i < 8; i++) await openOne();
      const end = Date.now() + seconds * 1000;
      let closes = 0;
      let leaderCloses = 0;
      const closeOne = async () => {
        // A third of the closes go to the leader, the rest to any tab.
        const flags = await Promise.all(open.map((o) => o.tab.eval(() => window.sockets[0].ws.isLeader)));
        const pick = random() < 1 / 3 && flags.includes(true) ? flags.indexOf(true) : Math.floor(random() * open.length);
        const victim = open.splice(pick, 1)[0];
        // The count of sent frames and of unacknowledged ones are read at the
        // same instant (stats() takes the tab's own figures when called).
        const state = await victim.tab.eval(async () => {
          const ws = window.sockets[0].ws;
          const sent = window.sentCount || 0;
          const { tab } = await ws.stats();
          return { leader: ws.isLeader, sent, unacked: tab.unacked };
        });
        await victim.tab.close();
        closes++;
        if (state.leader) leaderCloses++;
        closed.push({ name: victim.name, sent: state.sent, acked: state.sent - state.unacked, leader: state.leader });
      };
      while (Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100 + random() * 600));
        const t1 = Date.now();
        if (open.length > 4 && (open.length === 8 || random() < 0.5)) await closeOne();
        else await openOne();
        if (process.env.CHAOS_DEBUG) console.log(`  step ${Date.now() - t1} ms, ${open.length} open`);
      }
      const counts = await stopSending(open.map((o) => o.tab));
      for (const o of open) await o.tab.waitFor(() => window.sockets[0].ws.bufferedAmount === 0, undefined, 30000);
      const received = (await catJson(cat, `/received?user=${user}`)).map((m) => JSON.parse(m).text);
      const numbers = new Map();
      for (const text of received) {
        const [name, k] = text.split(' ');
        if (!numbers.has(name)) numbers.set(name, []);
        numbers.get(name).push(Number(k));
      }
      let total = 0;
      let duplicates = 0;
      let lostInFlight = 0;
      const check = (name, upTo, sent, how) => {
        const got = numbers.get(name) || [];
        const seen = new Set(got);
        duplicates += got.length - seen.size;
        for (let k = 1; k <= upTo; k++) {
          assert.ok(seen.has(k), `${name} (${how}): frame ${k} of ${upTo} acknowledged frames is missing; ` +
            `it had sent ${sent}; the server has ${[...seen].filter((n) => Math.abs(n - k) < 5).sort((a, b) => a - b)}`);
        }
        for (let k = upTo + 1; k <= sent; k++) if (!seen.has(k)) lostInFlight++;
        total += sent;
      };
      open.forEach((o, i) => check(o.name, counts[i], counts[i], 'open to the end'));
      for (const c of closed) check(c.name, c.acked, c.sent, c.leader ? 'closed while leading' : 'closed while following');
      const { overlapMs } = await catJson(cat, `/overlap?user=${user}`);
      const stats = await serverStats(cat, user);
      console.log(`  chaos: ${made} tabs over ${seconds} s, ${closes} closed (${leaderCloses} of them leading); ` +
        `${total} frames sent, every acknowledged one received, ${duplicates} duplicate(s), ` +
        `${lostInFlight} unacknowledged in tabs that closed and never arrived; ` +
        `${stats.accepted} connections in all, two at once for at most ${overlapMs} ms`);
      assert.ok(overlapMs <= SILENCE_MS, `two connections for ${overlapMs} ms`);
      assert.equal(stats.connections, 1);
    });
  });
});

// Where a page has no Web Locks (an insecure context), each tab runs a
// candidate in a Worker and the candidates elect a leader by messages
// (wasm/src/election.c); a leader that goes resigns, one that crashes is
// replaced when its lease runs out.
describe('election without Web Locks', () => {
  for (const how of ['close', 'crash']) {
    test(`4 tabs share 1 connection; the leader's ${how}: another takes over, 0 frames lost`, { skip: how === 'crash' && lacks('crash') }, async () => {
      const user = uniqueUser(`nolocks-${how}`);
      await browser.inContext(async (ctx) => {
        const tabs = await openElected(ctx, 4, user, {}, { noLocks: true });
        const leader = tabs[await leaderIndex(tabs)];
        assert.deepEqual(await serverStats(cat, user), { connections: 1, accepted: 1, kicks: 0 });
        const followers = tabs.filter((t) => t !== leader);
        const names = followers.map((_, i) => `nolocks-${how}-f${i}`);
        await startSending(followers, names);
        await new Promise((r) => setTimeout(r, 300));
        const t0 = Date.now();
        if (how === 'close') await leader.close();
        else await leader.crash();
        const reopened = await Promise.all(followers.map((tab) => tab.waitFor(
          (t) => window.sockets[0].opens.some((at) => at >= t), t0, 20000,
        ).then(() => tab.eval((t) => window.sockets[0].opens.find((at) => at >= t), t0))));
        console.log(`  no locks, leader ${how}: every follower open again after ${Math.max(...reopened) - t0} ms`);
        await leaderIndex(followers);
        await new Promise((r) => setTimeout(r, 300));
        const counts = await stopSending(followers);
        const { total, duplicates } = await checkReceived(cat, user, names, counts);
        console.log(`  no locks, leader ${how}: ${total} frames sent by followers, all received, ${duplicates} duplicate(s)`);
        await eventually(async () => (await serverStats(cat, user)).connections === 1,
          { timeout: 10000, what: 'exactly one server connection again' });
        await everyTabHearsAReply(followers);
      });
    });
  }
});
