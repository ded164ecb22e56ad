// JSON-RPC 2.0 over one shared socket: a real json-rpc-2.0 JSONRPCClient in
// every tab, each sending over a SharedWebSocket of its own, against a
// JSONRPCServer. Every client numbers its requests from 1, so the tabs' ids
// collide on the one connection; each tab must still get exactly its own
// answers, and its subscription's notifications under the id it was given,
// through a tab closing, a server drop and a new leader. A call in flight at
// a drop is answered with an error, never sent again.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT_MS, clientSuite, oneLeader } from './client-suite.mjs';
import { ENGINE, eventually, lacks, uniqueUser } from './harness.mjs';
import { startJsonRpcServer } from './servers/jsonrpc.mjs';

// A page as an app would have it: wsshare's script, json-rpc-2.0's client
// sending over a SharedWebSocket, and a recorder of what the tab saw.
const PAGE = `<!doctype html><meta charset="utf-8"><title>JSON-RPC over wsshare</title>
<script src="/dist/wsshare.js"></script>
<script src="/demo/jsonrpc-client.js"></script>
<script>
// The tab's socket and client; resolves when the socket opens (or closes).
window.start = ({ tab, url, share, callTimeoutMs }) => new Promise((resolve) => {
  const rec = { tab, events: [], closed: null, errors: [], sent: [], answers: 0, errorAnswers: [], notifications: [], calls: {} };
  window.rec = rec;
  const ws = new WsShare.SharedWebSocket(url, [], share);
  window.ws = ws;
  const client = new JSONRPCClient((request) => {
    rec.sent.push(request.id);
    ws.send(JSON.stringify(request));
  });
  window.rpc = client.timeout(callTimeoutMs);
  ws.addEventListener('message', (e) => {
    const message = JSON.parse(e.data);
    if (message.method === 'demo_subscription') {
      rec.notifications.push(message.params);
    } else {
      rec.answers += 1;
      if (message.error) rec.errorAnswers.push({ id: message.id, error: message.error });
      client.receive(message);
    }
  });
  const settled = () => resolve({ readyState: ws.readyState, mode: ws.mode });
  ws.addEventListener('open', () => { rec.events.push('open'); settled(); });
  ws.addEventListener('reconnecting', () => rec.events.push('reconnecting'));
  ws.addEventListener('error', (e) => rec.errors.push(e.message || 'error'));
  ws.addEventListener('close', (e) => {
    rec.events.push('close:' + e.code);
    rec.closed = { code: e.code, reason: e.reason };
    client.rejectAllPendingRequests('the socket closed: ' + e.code);
    settled();
  });
});

// Starts a call; its id, result or error land in rec.calls[name] (the
// client hands a request to send() before request() returns).
window.call = (name, method, params) => {
  const c = { done: false, id: null, result: null, error: null };
  window.rec.calls[name] = c;
  const answer = window.rpc.request(method, params);
  c.id = window.rec.sent[window.rec.sent.length - 1];
  answer.then(
    (result) => { c.result = result; c.done = true; },
    (e) => { c.error = { message: e.message, code: e.code }; c.done = true; },
  );
};

// What the test reads back: a plain copy (a driver may return an object seen
// twice in one value only once).
window.seen = () => JSON.parse(JSON.stringify({ ...window.rec, mode: window.ws.mode, isLeader: window.ws.isLeader }));
window.pageReady = true;
</script>`;

// A call not answered in this time counts as missing.
const CALL_TIMEOUT_MS = 8000;
const ECHOES = 50;

const suite = clientSuite({ name: 'jsonrpc', page: PAGE, client: 'jsonrpc-client.mjs' });

// A fresh server for each test.
const withServer = (fn) => suite.withServer(startJsonRpcServer, fn);

// Each test shares under a key of its own; tab names are unique per test too.
let tests = 0;
function sharing(name, more = {}) {
  tests += 1;
  return {
    share: { key: uniqueUser(name), ...more },
    names: [1, 2, 3].map((i) => `${name}${tests}-t${i}`),
  };
}

// What a tab saw, short enough to read in a failure: its calls as counts.
async function seenIn(tab) {
  return tab.eval(() => window.seen());
}
function tabSummary(seen) {
  if (typeof seen !== 'object') return seen;
  const { calls, ...rest } = seen;
  const pending = Object.keys(calls).filter((k) => !calls[k].done);
  const failed = Object.fromEntries(Object.entries(calls).filter(([, c]) => c.error).slice(0, 5));
  const sent = rest.sent.length > 10 ? `${rest.sent.length} ids` : rest.sent;
  return { ...rest, sent, calls: Object.keys(calls).length, pending, failed };
}

// Waits for fn in the tab; on time-out fails with what the tab and the server
// saw. It asks from here: a page's own timers run about once a second in a
// background tab (Firefox), which would slow every wait to that pace.
async function waitIn(t, server, fn, arg, what) {
  try {
    return await eventually(() => t.tab.eval(fn, arg), { timeout: WAIT_MS, what });
  } catch (err) {
    const seen = await seenIn(t.tab).catch((e) => `(unreadable: ${e.message})`);
    throw new Error(`${t.name}: ${err.message}\n  the tab saw ${JSON.stringify(tabSummary(seen))}` +
      `\n  the server saw ${JSON.stringify(server.stats())}`);
  }
}

// Opens a tab with its socket and client; resolves once the socket is open.
async function openClient(ctx, server, name, share) {
  const tab = await ctx.openTab(suite.cat.url, suite.path);
  await tab.waitFor(() => window.pageReady === true);
  const r = await tab.eval((o) => window.start(o), { tab: name, url: server.url, share, callTimeoutMs: CALL_TIMEOUT_MS });
  assert.equal(r.readyState, 1, `${name}: open, saw ${JSON.stringify(r)}`);
  return { tab, name };
}

async function openClients(ctx, server, names, share) {
  const tabs = [];
  for (const name of names) tabs.push(await openClient(ctx, server, name, share));
  return tabs;
}

const call = (t, name, method, params) => t.tab.eval(([n, m, p]) => window.call(n, m, p), [name, method, params]);
const callDone = (t, server, name) => waitIn(t, server, (n) => window.rec.calls[n] && window.rec.calls[n].done, name,
  `call ${name} settled`);
const callOf = async (t, name) => (await seenIn(t.tab)).calls[name];

// Each tab bumps its counter once and subscribes to its ticks; resolves with
// the subscription id each tab's client was given.
async function subscribeAll(server, tabs) {
  await Promise.all(tabs.map(async (t) => {
    await call(t, 'bump', 'counter_bump', [t.name]);
    await call(t, 'subscribe', 'demo_subscribe', ['ticks', t.name]);
  }));
  const ids = {};
  for (const t of tabs) {
    await callDone(t, server, 'bump');
    await callDone(t, server, 'subscribe');
    const sub = await callOf(t, 'subscribe');
    assert.equal(sub.error, null, `${t.name}: subscribed, saw ${JSON.stringify(sub)}`);
    assert.match(sub.result, /^0x[0-9a-f]+$/, `${t.name}: a subscription id`);
    const bump = await callOf(t, 'bump');
    assert.deepEqual({ result: bump.result, error: bump.error }, { result: 1, error: null }, `${t.name}: bumped once`);
    ids[t.name] = sub.result;
  }
  await suite.serverSees(server, (s) => s.subscriptions.length === tabs.length, `${tabs.length} live subscriptions`);
  return ids;
}

// One tick from the server; resolves once each tab got it.
async function tickReaches(server, tabs) {
  const n = server.tick();
  for (const t of tabs) {
    await waitIn(t, server, (k) => window.rec.notifications.some((p) => p.result && p.result.n === k), n, `tick ${n}`);
  }
  return n;
}

// The tab got exactly the ticks ns, each under the id its client was given
// and about its own tab.
async function ownTicks(t, id, ns) {
  const seen = await seenIn(t.tab);
  assert.deepEqual(seen.notifications, ns.map((n) => ({ subscription: id, result: { tab: t.name, n } })),
    `${t.name}: exactly ticks ${ns} under ${id}`);
}

// Neither a close nor an error reached the tab, and its socket opened once.
async function neverClosed(t) {
  const seen = await seenIn(t.tab);
  assert.deepEqual({ closed: seen.closed, errors: seen.errors, events: seen.events },
    { closed: null, errors: [], events: ['open'] },
    `${t.name}: no close, no error, one open, saw ${JSON.stringify(tabSummary(seen))}`);
}

// n tabs, each bumped once, subscribed, and tick n1 seen.
async function subscribedTabs(ctx, server, names, share) {
  const tabs = await openClients(ctx, server, names, share);
  const ids = await subscribeAll(server, tabs);
  const n1 = await tickReaches(server, tabs);
  return { tabs, ids, n1 };
}

describe('JSON-RPC clients in 3 tabs share one connection', () => {
  test(`3 tabs × ${ECHOES} concurrent calls, each client numbering from 1: 0 wrong and 0 missing answers per tab, ` +
    '1 connection', async () => {
    const { share, names } = sharing('rpcecho');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await openClients(ctx, server, names, share);
      await Promise.all(tabs.map((t) => t.tab.eval(([tab, count]) => {
        for (let k = 1; k <= count; k++) window.call(`echo${k}`, 'echo', { tab, k });
      }, [t.name, ECHOES])));
      const report = [];
      for (const t of tabs) {
        await waitIn(t, server, (count) => Object.values(window.rec.calls).filter((c) => c.done).length === count, ECHOES,
          `all ${ECHOES} calls settled`);
        const seen = await seenIn(t.tab);
        assert.deepEqual(seen.sent, Array.from({ length: ECHOES }, (_, i) => i + 1),
          `${t.name}: its client used ids 1..${ECHOES}`);
        let wrong = 0;
        let missing = 0;
        const examples = [];
        for (let k = 1; k <= ECHOES; k++) {
          const c = seen.calls[`echo${k}`];
          if (c.error) {
            missing += 1;
            if (examples.length < 3) examples.push({ k, error: c.error });
          } else if (JSON.stringify(c.result) !== JSON.stringify({ tab: t.name, k })) {
            wrong += 1;
            if (examples.length < 3) examples.push({ k, got: c.result });
          }
        }
        report.push({ tab: t.name, wrong, missing, answers: seen.answers, examples });
      }
      assert.deepEqual(report.map(({ tab, wrong, missing, answers }) => ({ tab, wrong, missing, answers })),
        tabs.map((t) => ({ tab: t.name, wrong: 0, missing: 0, answers: ECHOES })),
        `each tab: 0 wrong, 0 missing, exactly its ${ECHOES} answers; saw ${JSON.stringify(report)}`);
      for (const t of tabs) await neverClosed(t);
      assert.deepEqual(server.stats().connections, { total: 1, live: 1 }, 'one server connection');
    }));
  });

  test('each tab subscribes: ticks reach only the tab that subscribed, under the id its client was given', async () => {
    const { share, names } = sharing('rpcsub');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const { tabs, ids, n1 } = await subscribedTabs(ctx, server, names, share);
      const n2 = await tickReaches(server, tabs);
      for (const t of tabs) {
        await ownTicks(t, ids[t.name], [n1, n2]);
        await neverClosed(t);
      }
      const s = server.stats();
      assert.deepEqual(s.connections, { total: 1, live: 1 }, 'one server connection');
      assert.deepEqual(s.subscriptions.map((x) => x.tab), names, 'one subscription per tab');
      assert.deepEqual(s.bumps, Object.fromEntries(names.map((n) => [n, 1])));
    }));
  });

  test('a tab closed: its subscription is unsubscribed on the server, the others keep ticking', async () => {
    const { share, names } = sharing('rpcclose');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const { tabs, ids, n1 } = await subscribedTabs(ctx, server, names, share);
      const [a, b, gone] = tabs;
      await gone.tab.close();
      await suite.serverSees(server, (s) => s.subscriptions.map((x) => x.tab).join() === [a.name, b.name].join(),
        `only ${a.name} and ${b.name} subscribed`);
      const n2 = await tickReaches(server, [a, b]);
      for (const t of [a, b]) {
        await ownTicks(t, ids[t.name], [n1, n2]);
        await neverClosed(t);
      }
      const s = server.stats();
      assert.equal(s.unsubscribes, 1, 'the server was told: demo_unsubscribe');
      assert.deepEqual(s.connections, { total: 1, live: 1 }, 'the one connection stays');
    }));
  });

  test('a server drop: subscriptions resume in every tab under the ids they know; a call in flight gets an error; ' +
    'nothing counted twice', async () => {
    const { share, names } = sharing('rpcdrop');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const { tabs, ids, n1 } = await subscribedTabs(ctx, server, names, share);
      const [a] = tabs;
      await call(a, 'slow', 'counter_bump', [a.name, 2000]);
      await suite.serverSees(server, (s) => s.bumps[a.name] === 2, `the slow counter_bump of ${a.name} running`);
      const t0 = Date.now();
      server.dropAll();
      await callDone(a, server, 'slow');
      const slow = await callOf(a, 'slow');
      assert.equal(slow.result, null, `no result for the call in flight: ${JSON.stringify(slow)}`);
      assert.ok(slow.error, 'an error for the call in flight');
      const answered = (await seenIn(a.tab)).errorAnswers.filter((x) => x.id === slow.id);
      assert.deepEqual(answered.map((x) => x.error.code), [-32000],
        `the error came as one JSON-RPC error response (-32000) to id ${slow.id}: ${JSON.stringify(slow)}`);
      await suite.serverSees(server, (s) => s.connections.total === 2 && s.subscriptions.length === 3,
        'a second connection with the 3 subscriptions back');
      const n2 = await tickReaches(server, tabs);
      suite.figures.push(`${ENGINE}: after a server drop every tab's subscription ticked again within ${Date.now() - t0} ms; ` +
        `the call in flight got ${JSON.stringify(slow.error)}`);
      for (const t of tabs) {
        await ownTicks(t, ids[t.name], [n1, n2]);
        await neverClosed(t);
      }
      const s = server.stats();
      assert.deepEqual(s.connections, { total: 2, live: 1 }, 'one connection, then one more');
      assert.deepEqual(s.subscriptions.map((x) => x.tab), names, 'each subscription once');
      assert.deepEqual(s.bumps, { [a.name]: 2, ...Object.fromEntries(names.slice(1).map((n) => [n, 1])) },
        'each counter_bump counted once');
    }));
  });

  for (const how of ['close', 'crash']) {
    test(`election mode, the leader tab's ${how}: the others' subscriptions resume under their ids, nothing counted twice`,
      { skip: how === 'crash' && lacks('crash') }, async () => {
        const { share, names } = sharing(`rpcelect${how}`, { mode: 'election' });
        await withServer((server) => suite.browser.inContext(async (ctx) => {
          const { tabs, ids, n1 } = await subscribedTabs(ctx, server, names, share);
          const flags = await Promise.all(tabs.map(async (t) => (await seenIn(t.tab)).isLeader));
          const { leader, left } = oneLeader(tabs, flags);
          const t0 = Date.now();
          if (how === 'close') await leader.tab.close();
          else await leader.tab.crash();
          await suite.serverSees(server, (s) => s.connections.total === 2 && s.connections.live === 1 &&
            s.subscriptions.map((x) => x.tab).join() === left.map((t) => t.name).join(),
          'a second connection with the subscriptions of the tabs left, and only those');
          const n2 = await tickReaches(server, left);
          suite.figures.push(`${ENGINE}: leader tab ${how}: the others' subscriptions ticked again within ${Date.now() - t0} ms`);
          for (const t of left) {
            await ownTicks(t, ids[t.name], [n1, n2]);
            await neverClosed(t);
            assert.equal((await seenIn(t.tab)).mode, 'election');
          }
          assert.deepEqual(server.stats().bumps, Object.fromEntries(names.map((n) => [n, 1])), 'no counter_bump counted twice');
        }));
      });
  }
});
