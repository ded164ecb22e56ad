// The shared socket through server faults and bad input, driven by the
// emulator's fault switches (demo/README.md): a restart mid-stream, 403s then
// recovery, a final close code, 4 MiB frames each way, a flood while one tab's
// main thread is blocked, garbage on the bus from a hostile script, and what
// names and debug lines may show.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { catJson, eventually, launch, push, serverStats, startCatForFile, uniqueUser } from './harness.mjs';

let browser;
let cat;

before(async () => {
  browser = await launch();
  cat = await startCatForFile({ policy: 'kick' });
});
after(async () => {
  await browser.close();
  await cat.close();
});

// Retries come quickly here; the defaults are for real servers.
const QUICK_RETRY = { reconnect: { minDelay: 100, maxDelay: 400 } };
const fault = (path) => catJson(cat, path, { method: 'POST' });

async function openTabs(ctx, n, path, options) {
  const tabs = [];
  for (let i = 0; i < n; i++) {
    const tab = await ctx.openTab(cat.url);
    const r = await tab.eval(([p, o]) => window.connect(p, undefined, o), [path, options]);
    assert.equal(r.readyState, 1, `tab ${i} should be open, saw ${JSON.stringify(r)}`);
    tabs.push(tab);
  }
  return tabs;
}

// What the emulator received from a user, or null while it is down.
const received = (user) => catJson(cat, `/received?user=${user}`).catch(() => null);

// The frames of each sending tab, in arrival order: { tab: [k, ...] }.
function framesByTab(list) {
  const by = {};
  for (const text of list) {
    const [who, k] = JSON.parse(text).text.split(' ');
    (by[who] ||= []).push(Number(k));
  }
  return by;
}

const events = (tab) => tab.eval(() => window.sockets[0].events);
const leaderStats = (tab) => tab.eval(() => window.sockets[0].ws.stats().then((s) => s.leader));

test('a server restart mid-stream: frames sent during the outage reach it after, in order, once', async () => {
  const user = uniqueUser('restart');
  await browser.inContext(async (ctx) => {
    const tabs = await openTabs(ctx, 3, `/ws/${user}`, QUICK_RETRY);
    // Each tab sends a numbered frame every 10 ms until told to stop, and
    // notes how many it had sent when it learnt of the outage.
    await Promise.all(tabs.map((tab, t) => tab.eval((t) => {
      window.sent = 0;
      window.sockets[0].ws.addEventListener('reconnecting', () => { window.mark ??= window.sent; });
      window.sender = setInterval(() => {
        window.sent += 1;
        window.sockets[0].ws.send(JSON.stringify({ text: `tab${t} ${window.sent}` }));
      }, 10);
    }, t)));
    await eventually(async () => ((await received(user)) || []).length >= 30, { timeout: 20000, what: 'frames before the restart' });
    await fault('/fault/restart?ms=1500');
    for (const tab of tabs) {
      await tab.waitFor(() => {
        const ev = window.sockets[0].events;
        const lost = ev.indexOf('reconnecting');
        return lost >= 0 && ev.indexOf('open', lost) > lost;
      });
    }
    const sentDuring = await Promise.all(tabs.map((tab) => tab.eval(() => window.sent)));
    // A little more after the recovery, then stop.
    await eventually(async () => ((await received(user)) || []).length >= sentDuring.reduce((a, b) => a + b, 0),
      { timeout: 20000, what: 'the frames of the outage' });
    const sent = await Promise.all(tabs.map((tab) => tab.eval(() => { clearInterval(window.sender); return window.sent; })));
    const total = sent.reduce((a, b) => a + b, 0);
    const marks = await Promise.all(tabs.map((tab) => tab.eval(() => window.mark)));
    // Every frame sent after the tab learnt of the outage arrives; only those
    // in flight at the instant of the loss may be missing or come twice.
    const list = await eventually(async () => {
      const r = await received(user);
      if (!r) return null;
      const by = framesByTab(r);
      return sent.every((n, t) => (by[`tab${t}`] || []).includes(n)) ? r : null;
    }, { timeout: 20000, what: `the last of the ${total} frames at the server` });
    const by = framesByTab(list);
    let lost = 0;
    let twice = 0;
    sent.forEach((n, t) => {
      const got = by[`tab${t}`];
      const first = got.filter((k, i) => got.indexOf(k) === i);
      assert.ok(first.every((k, i) => i === 0 || k > first[i - 1]), `tab${t}'s frames in order: ${got}`);
      for (let k = marks[t] + 1; k <= n; k++) {
        assert.equal(got.filter((x) => x === k).length, 1, `tab${t}'s frame ${k}, sent during the outage, once`);
      }
      lost += n - first.length;
      twice += got.length - first.length;
    });
    for (const tab of tabs) {
      const ev = await events(tab);
      assert.ok(!ev.some((e) => e.startsWith('close')), `no close: ${ev}`);
    }
    assert.deepEqual(await serverStats(cat, user), { connections: 1, accepted: 2, kicks: 0 });
    // The server reaches every tab again.
    await push(cat, user, 'after the restart');
    for (const tab of tabs) {
      await tab.waitFor(() => window.sockets[0].messages.some((m) => JSON.parse(m).content === 'after the restart'));
    }
    console.log(`  ${total} frames from 3 tabs across a 1.5 s restart, in order; in flight at the loss: ` +
      `${lost} lost, ${twice} twice`);
  });
});

test('upgrades refused with 403 are retried with a growing wait until the server takes them again', async () => {
  const user = uniqueUser('refused');
  await browser.inContext(async (ctx) => {
    const tabs = await openTabs(ctx, 2, `/ws/${user}`, QUICK_RETRY);
    await fault('/fault/refuse?ms=600000');
    await fault('/fault/drop');
    // Two failed retries at least, seen by every tab, then the refusal ends.
    for (const tab of tabs) await tab.waitFor(() => window.sockets[0].reconnects.length >= 3);
    await tabs[0].eval(() => window.sockets[0].ws.send(JSON.stringify({ text: 'sent while refused' })));
    await fault('/fault/refuse?ms=0');
    for (const tab of tabs) {
      await tab.waitFor(() => window.sockets[0].events.filter((e) => e === 'open').length === 2);
    }
    const retries = await tabs[1].eval(() => window.sockets[0].reconnects);
    retries.slice(0, 3).forEach((r, i) => {
      assert.equal(r.attempt, i + 1);
      assert.ok(r.delay >= 100 && r.delay <= 400, `retry ${i + 1} waits ${r.delay} ms`);
    });
    await eventually(async () => ((await received(user)) || []).includes('{"text":"sent while refused"}'),
      { timeout: 20000, what: 'the frame sent while refused' });
    assert.deepEqual(await serverStats(cat, user), { connections: 1, accepted: 2, kicks: 0 });
    const leader = await leaderStats(tabs[0]);
    assert.equal(leader.socket, 'open');
    assert.ok(leader.reconnects >= 3, `${leader.reconnects} retries counted`);
    assert.equal(leader.attempt, leader.reconnects, 'the count starts over only after minUptime');
  });
});

// Without `reconnect` (and no protocol profile at work) a new server
// connection is never hidden: a client that keeps state per connection must
// see it. Each tab closes as its own socket would have; the app reconnects.
// (null, as absent: a driver may drop an undefined on its way to the page.)
const NO_OPT_IN = { reconnect: null };

test('without reconnect, a server drop closes every tab like a WebSocket, and new sockets share one connection again', async () => {
  const user = uniqueUser('plain-drop');
  await browser.inContext(async (ctx) => {
    const tabs = await openTabs(ctx, 2, `/ws/${user}`, NO_OPT_IN);
    assert.ok(await fault('/fault/drop') >= 1);
    for (const tab of tabs) {
      await tab.waitFor(() => window.sockets[0].closed !== null);
      assert.equal((await tab.eval(() => window.sockets[0].closed)).code, 1006);
      const ev = await events(tab);
      assert.ok(!ev.includes('reconnecting'), `nothing hidden: ${ev}`);
      assert.equal(ev[ev.length - 1], 'close:1006');
    }
    // The app's own reconnect: a new SharedWebSocket in each tab.
    for (const tab of tabs) {
      const r = await tab.eval((p) => window.connect(p, undefined, { reconnect: null }), `/ws/${user}`);
      assert.equal(r.readyState, 1);
    }
    await eventually(async () => (await serverStats(cat, user)).connections === 1, { what: 'one connection again' });
    assert.equal((await serverStats(cat, user)).kicks, 0);
  });
});

test('without reconnect, a new leader is a new connection: the leader tab\'s close closes the other tab\'s socket', async () => {
  const user = uniqueUser('plain-failover');
  await browser.inContext(async (ctx) => {
    const tabs = await openTabs(ctx, 2, `/ws/${user}`, { ...NO_OPT_IN, mode: 'election' });
    const leads = await Promise.all(tabs.map((tab) => tab.eval(() => window.sockets[0].ws.isLeader)));
    assert.deepEqual(leads.filter(Boolean).length, 1, `one leader: ${leads}`);
    const leader = tabs[leads.indexOf(true)];
    const other = tabs[leads.indexOf(false)];
    await leader.close();
    await other.waitFor(() => window.sockets[0].closed !== null, undefined, 10000);
    assert.equal((await other.eval(() => window.sockets[0].closed)).code, 1006);
    const ev = await events(other);
    assert.ok(!ev.includes('reconnecting'), `nothing hidden: ${ev}`);
    const r = await other.eval((p) => window.connect(p, undefined, { reconnect: null, mode: 'election' }), `/ws/${user}`);
    assert.equal(r.readyState, 1);
  });
});

test('a close code the app lists in stopOn reaches every tab as its close, and no retry follows', async () => {
  const user = uniqueUser('final');
  await browser.inContext(async (ctx) => {
    const options = { reconnect: { minDelay: 100, maxDelay: 200, stopOn: [4001] } };
    const tabs = await openTabs(ctx, 2, `/ws/${user}`, options);
    assert.equal(await fault(`/fault/close?code=4001&reason=banned&user=${user}`), 1);
    for (const tab of tabs) {
      await tab.waitFor(() => window.sockets[0].closed !== null);
      assert.deepEqual(await tab.eval(() => window.sockets[0].closed), { code: 4001, reason: 'banned', wasClean: true });
      const ev = await events(tab);
      assert.equal(ev[ev.length - 1], 'close:4001');
      assert.ok(!ev.includes('reconnecting'), `no retry announced: ${ev}`);
    }
    // Five times the longest wait: a retry would have come by now.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(await serverStats(cat, user), { connections: 0, accepted: 1, kicks: 0 });
  });
});

test('a 4 MiB frame goes each way, text and binary, intact', async () => {
  await browser.inContext(async (ctx) => {
    const tabs = await openTabs(ctx, 2, '/echo', {});
    for (const tab of tabs) {
      await tab.eval(() => {
        const rec = window.sockets[0];
        rec.ws.binaryType = 'arraybuffer';
        rec.big = [];
        // A digest that sees every byte: length and a 32-bit FNV-1a.
        const digest = (bytes) => {
          let h = 0x811c9dc5;
          for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
          return `${bytes.length}:${h}`;
        };
        window.digest = digest;
        rec.ws.addEventListener('message', (e) => {
          const bytes = typeof e.data === 'string' ? new TextEncoder().encode(e.data) : new Uint8Array(e.data);
          rec.big.push(`${typeof e.data === 'string' ? 'text' : 'binary'} ${digest(bytes)}`);
        });
      });
    }
    const sent = await tabs[0].eval(() => {
      const n = 4 * 1024 * 1024;
      const text = Array.from({ length: n / 64 }, (_, i) => `${i}`.padStart(63, '·').slice(-63) + '\n').join('');
      const binary = new Uint8Array(n);
      for (let i = 0; i < n; i++) binary[i] = (i * 31 + (i >> 12)) & 255;
      const ws = window.sockets[0].ws;
      ws.send(text);
      ws.send(binary);
      return [`text ${window.digest(new TextEncoder().encode(text))}`, `binary ${window.digest(binary)}`];
    });
    for (const tab of tabs) {
      await tab.waitFor(() => window.sockets[0].big.length >= 2, undefined, 60000);
      assert.deepEqual(await tab.eval(() => window.sockets[0].big), sent);
    }
    const leader = await leaderStats(tabs[0]);
    assert.ok(leader.bytesToServer >= 8 * 1024 * 1024 && leader.bytesFromServer >= 8 * 1024 * 1024);
  });
});

test('100,000 frames while one tab\'s main thread is blocked for 2 s: the others get them all, the blocked one after', async () => {
  const user = uniqueUser('flood');
  const N = 100000;
  await browser.inContext(async (ctx) => {
    const tabs = await openTabs(ctx, 3, `/ws/${user}`, {});
    // In page: the count, whether contents run 1..count in order, and when the last came.
    const tally = (tab) => tab.eval(() => {
      const m = window.sockets[0].messages;
      let ordered = true;
      for (let i = 0; i < m.length && ordered; i++) ordered = JSON.parse(m[i]).content === `flood ${i + 1}`;
      return { count: m.length, ordered, lastAt: window.lastAt };
    });
    for (const tab of tabs) {
      await tab.eval(() => {
        window.sockets[0].ws.addEventListener('message', () => { window.lastAt = performance.timeOrigin + performance.now(); });
      });
    }
    // The blocked tab starts its 2 s of busy work in a task of its own, so
    // no driver command waits on it.
    const blocked = tabs[1];
    await blocked.eval(() => {
      setTimeout(() => {
        window.blockedFrom = performance.timeOrigin + performance.now();
        const end = performance.now() + 2000;
        while (performance.now() < end);
        window.blockedUntil = performance.timeOrigin + performance.now();
      }, 0);
    });
    assert.equal(await push(cat, user, 'flood', N), 1);
    const others = [tabs[0], tabs[2]];
    for (const tab of others) await tab.waitFor((n) => window.sockets[0].messages.length >= n, N, 120000);
    await blocked.waitFor((n) => window.sockets[0].messages.length >= n, N, 120000);
    const [a, b, c] = await Promise.all(tabs.map(tally));
    for (const t of [a, b, c]) assert.deepEqual([t.count, t.ordered], [N, true]);
    const block = await blocked.eval(() => [window.blockedFrom, window.blockedUntil]);
    console.log(`  the others had all ${N} frames ${Math.round(Math.max(a.lastAt, c.lastAt) - block[0])} ms into ` +
      `the 2 s block; the blocked tab had them ${Math.round(b.lastAt - block[1])} ms after it`);
  });
});

test('garbage on the bus from a hostile script is counted and dropped: the other tabs keep working', async () => {
  const user = uniqueUser('garbage');
  await browser.inContext(async (ctx) => {
    const tabs = await openTabs(ctx, 2, `/ws/${user}`, {});
    const hostile = await ctx.openTab(cat.url);
    const before = await leaderStats(tabs[0]);
    const posted = await hostile.eval(async (path) => {
      // It learns the channel's name the way any script of the origin could.
      const names = [];
      const Channel = window.BroadcastChannel;
      window.BroadcastChannel = class extends Channel {
        constructor(name) { super(name); names.push(name); }
      };
      await window.connect(path);
      const bus = new Channel(names[0]);
      // ...and the leader's id, from any envelope the leader posts.
      const l = await new Promise((resolve) => {
        bus.onmessage = (e) => { if (typeof e.data === 'string') resolve(JSON.parse(e.data).l); };
        window.sockets[0].ws.stats();
      });
      const garbage = [
        '', 'not json', '{', '[1,2,3]', 'null', '"hello"', '{}', '{"v":1}',
        '{"v":1,"t":"hello","tab":7,"next":1} trailing',
        '{"v":0,"t":"hello","tab":7,"next":1}', '{"v":2,"t":"hello","tab":7,"next":1}',
        '{"v":1,"t":"nonsense","tab":7}', '{"v":1,"t":"hello","tab":0,"next":1}',
        '{"v":1,"t":"hello","tab":-1,"next":1}', '{"v":1,"t":"ping","tab":1.5}',
        '{"v":1,"t":"bye","tab":123456}', '{"v":1,"t":"hello","tab":7,"next":1}\u0000',
        `{"v":1,"t":"ping","tab":7,"x":${'['.repeat(50)}${']'.repeat(50)}}`,
        `{"v":1,"t":"ping","tab":7,"x":"${'x'.repeat(5000)}"}`,
        'z'.repeat(1 << 20),
        { t: 's', v: 1, tab: 2 ** 32 + 5, s: 1, f: ['impostor'] },
        { t: 's', v: 1, tab: 5, s: 0, f: ['zero'] },
        { t: 's', v: 0, tab: 5, s: 1, f: ['old version'] },
        { t: 's', v: 1, tab: 5, s: 1, f: 'not a list' },
        { t: 's', v: 1, tab: 5, s: 1, f: [{ an: 'object' }] },
        { t: 'd', v: 1, s: 'x', f: ['not a number'] },
        { t: 'd', v: 1, s: 1, f: 'not a list' },
        { t: 'd', v: 1, s: 1, f: [42] },
        { t: 'd', v: 9, s: 1, f: ['another version'] },
        { t: 'd', v: 1, l, s: 'x', f: ['a seq that is no number'] },
        { t: 'd', v: 1, l, s: 1e9, f: ['a seq far ahead'] },
        { t: 'd', v: 1, l, s: 1, f: [42, { an: 'object' }] },
        { t: 's', v: 1, l, tab: 5, s: 1, f: [{ an: 'object' }] },
        { nothing: 'useful' }, 42, null, [1, 2], new ArrayBuffer(8),
      ];
      for (const g of garbage) bus.postMessage(g);
      return garbage.length;
    }, `/ws/${user}`);
    // The others keep working both ways, and nothing of the garbage reaches them.
    await push(cat, user, 'still fine');
    await tabs[0].eval(() => window.sockets[0].ws.send(JSON.stringify({ text: 'still sending' })));
    for (const tab of tabs) {
      await tab.waitFor(() => window.sockets[0].messages.some((m) => m.includes('still fine')));
      const r = await tab.eval(() => ({ events: window.sockets[0].events, messages: window.sockets[0].messages }));
      assert.deepEqual(r.events, ['open']);
      // Only the Cat's frames: the push, and the reply to the frame sent.
      assert.equal(JSON.parse(r.messages[0]).content, 'still fine');
      for (const m of r.messages) assert.ok(['notification', 'chat_token', 'chat'].includes(JSON.parse(m).type), m);
    }
    await eventually(async () => ((await received(user)) || []).includes('{"text":"still sending"}'),
      { what: 'the frame sent after the garbage' });
    const after = await leaderStats(tabs[0]);
    const grew = Object.fromEntries(Object.keys(after.rejected).map((k) => [k, after.rejected[k] - before.rejected[k]]));
    for (const reason of ['malformed', 'version', 'type', 'size', 'id', 'unknownTab']) {
      assert.ok(grew[reason] > 0, `${reason} counted: ${JSON.stringify(grew)}`);
    }
    assert.equal(after.tabs, 3);
    assert.deepEqual(await serverStats(cat, user), { connections: 1, accepted: 1, kicks: 0 });
    console.log(`  ${posted} garbage posts, rejected by reason: ${JSON.stringify(grew)}`);
  });
});

test('names on the bus and debug lines carry no URL, token or payload', async () => {
  const user = uniqueUser('secret');
  const token = `tok${Date.now()}secret`;
  await browser.inContext(async (ctx) => {
    const tab = await ctx.openTab(cat.url);
    const seen = await tab.eval(async ([path, mark]) => {
      const names = [];
      const lines = [];
      for (const k of ['log', 'debug', 'info', 'warn', 'error']) {
        const original = console[k];
        console[k] = (...args) => { lines.push(args.map(String).join(' ')); original.apply(console, args); };
      }
      const Channel = window.BroadcastChannel;
      window.BroadcastChannel = class extends Channel {
        constructor(name) { super(name); names.push(name); }
      };
      const Worker = window.SharedWorker;
      window.SharedWorker = class extends Worker {
        constructor(url, options) { super(url, options); names.push(options && options.name); }
      };
      await window.connect(path, undefined, { debug: true });
      const ws = window.sockets[0].ws;
      ws.send(JSON.stringify({ text: mark }));
      await new Promise((resolve) => ws.addEventListener('message', (e) => { if (e.data.includes(mark)) resolve(); }));
      const locks = await navigator.locks.query();
      for (const l of [...locks.held, ...locks.pending]) names.push(l.name);
      ws.close();
      await new Promise((resolve) => ws.addEventListener('close', resolve));
      return { names, lines };
    }, [`/ws/${user}?token=${token}`, `payload-${token}`]);
    assert.ok(seen.names.length >= 2 && seen.lines.length >= 2, JSON.stringify(seen));
    for (const text of [...seen.names, ...seen.lines]) {
      for (const secret of [token, user, new URL(cat.url).host]) {
        assert.ok(!String(text).includes(secret), `"${text}" shows ${secret}`);
      }
    }
  });
});
