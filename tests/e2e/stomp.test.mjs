// STOMP over one shared socket: @stomp/stompjs's Client in every tab,
// unmodified, its webSocketFactory making SharedWebSocket.configure({ key })
// sockets with the subprotocols v12.stomp, v11.stomp and v10.stomp, against a
// broker that speaks STOMP 1.2 as RabbitMQ's Web STOMP does
// (servers/stomp.mjs). However many tabs subscribe to a destination, the
// broker sees one connection, one CONNECT, one SUBSCRIBE and, once the last
// tab leaves, one UNSUBSCRIBE; each tab gets exactly the messages of its own
// subscriptions and its own receipts; after a server drop or a new leader
// every subscription is back and the clients see no close. The broker wants
// heart-beats from a client that promises them and cuts a silent one, and
// the clients would close themselves on missing ones: the tests run long
// enough for either to show.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientSuite, oneLeader } from './client-suite.mjs';
import { ENGINE, lacks } from './harness.mjs';
import { startStompServer } from './servers/stomp.mjs';

// A page as an app would have it: wsshare's script, the client, and a
// recorder of what each subscription saw.
const PAGE = `<!doctype html><meta charset="utf-8"><title>STOMP over wsshare</title>
<script src="/dist/wsshare.js"></script>
<script src="/demo/stomp-client.js"></script>
<script>
window.start = ({ tab, url, share, dests, login }) => {
  const Socket = WsShare.SharedWebSocket.configure(share);
  const rec = { tab, connects: 0, closes: 0, errors: [], receipts: [], dests: {} };
  window.rec = rec;
  window.subs = {};
  window.client = new StompJs.Client({
    webSocketFactory: () => new Socket(url, ['v12.stomp', 'v11.stomp', 'v10.stomp']),
    connectHeaders: { login, passcode: login, host: '/' },
    reconnectDelay: 500,
    heartbeatIncoming: 1000,
    heartbeatOutgoing: 1000,
    onConnect: (frame) => {
      rec.connects += 1;
      rec.heartBeat = frame.headers['heart-beat'];
      for (const d of dests) window.join(d);
    },
    onStompError: (frame) => { rec.errors.push(frame.headers.message); },
    onWebSocketClose: () => { rec.closes += 1; },
  });
  window.client.activate();
};
window.join = (dest) => {
  const r = window.rec.dests[dest] || (window.rec.dests[dest] = { subscribed: 0, received: [], ids: [] });
  r.subscribed += 1;
  window.subs[dest] = window.client.subscribe(dest, (m) => {
    r.received.push(JSON.parse(m.body).text);
    r.ids.push(m.headers.subscription);
  });
};
window.leave = (dest) => { window.subs[dest].unsubscribe(); };
// Every tab asks the same receipt id: the profile keeps them apart.
window.speak = (dest, text, receipt) => {
  const headers = {};
  if (receipt) {
    headers.receipt = receipt;
    window.client.watchForReceipt(receipt, (f) => window.rec.receipts.push(f.headers['receipt-id']));
  }
  window.client.publish({ destination: dest, body: JSON.stringify({ text, tab: window.rec.tab }), headers });
};
window.begin = () => { window.tx = window.client.begin(); return window.tx.id; };
window.stop = () => window.client.deactivate();
window.seen = () => JSON.parse(JSON.stringify({
  ...window.rec,
  connected: window.client.connected,
  version: window.client.connectedVersion,
  subIds: Object.fromEntries(Object.entries(window.subs).map(([d, s]) => [d, s.id])),
  mode: window.client.webSocket && window.client.webSocket.mode,
  protocol: window.client.webSocket && window.client.webSocket.protocol,
  isLeader: !!(window.client.webSocket && window.client.webSocket.isLeader),
}));
window.pageReady = true;
</script>`;

const summary = (s) => ({ ...s, sends: s.sends.length });
const suite = clientSuite({ name: 'stomp', page: PAGE, client: 'stomp-client.mjs', summary });

const withServer = (fn) => suite.withServer(startStompServer, fn);

const { seenIn, waitIn, sharing } = suite;

// A tab whose client connects as `login` and subscribes to `dests`; resolves
// once it is connected.
async function openClient(ctx, server, name, share, dests, login = 'guest') {
  const tab = await ctx.openTab(suite.cat.url, suite.path);
  await tab.waitFor(() => window.pageReady === true);
  const t = { tab, name, dests };
  await tab.eval((o) => window.start(o), { tab: name, url: server.url, share, dests, login });
  if (login === 'guest') await waitIn(t, server, () => window.rec.connects === 1, undefined, 'connected');
  return t;
}

// Three tabs, each in the lobby and in a destination of its own.
async function threeTabs(ctx, server, share, prefix) {
  const tabs = [];
  for (let i = 1; i <= 3; i++) {
    const name = `${prefix}${i}`;
    tabs.push(await openClient(ctx, server, name, share, ['/topic/lobby', `/topic/${name}`]));
  }
  return tabs;
}

// The broker has every subscription of `tabs` on one live connection.
async function subscribedAll(server, tabs) {
  const dests = [...new Set(tabs.flatMap((t) => t.dests))].sort();
  await suite.serverSees(server, (s) => s.subscribed.length === 1 && s.subscribed[0].join() === dests.join(),
    `the broker subscribed to ${dests}`);
}

// n messages to each destination named; resolves when each of `tabs` that
// should have one has it; returns the texts sent per destination.
async function publishAll(server, dests, n, tag, tabs) {
  const sent = {};
  for (const d of dests) {
    sent[d] = [];
    for (let i = 0; i < n; i++) {
      const text = `${tag} ${d} #${i}`;
      assert.ok(server.publish(d, JSON.stringify({ text })) > 0, `someone at the broker is on ${d}`);
      sent[d].push(text);
    }
  }
  for (const t of tabs) {
    const want = t.dests.filter((d) => sent[d]).flatMap((d) => sent[d].map((x) => [d, x]));
    await waitIn(t, server, (w) => w.every(([d, x]) => window.rec.dests[d]?.received.includes(x)), want,
      `${want.length} messages of "${tag}"`);
  }
  return sent;
}

// Per tab: messages it should have had once and did (right), had but should
// not, or had twice (wrong), should have had and did not (missing); and each
// delivery under the tab's own subscription id.
async function tally(tabs, sent, tag) {
  const out = [];
  for (const t of tabs) {
    const seen = await seenIn(t);
    let right = 0;
    let wrong = 0;
    let missing = 0;
    for (const [d, texts] of Object.entries(sent)) {
      const got = (seen.dests[d]?.received || []).filter((x) => x.startsWith(`${tag} `));
      for (const x of texts) {
        const k = got.filter((g) => g === x).length;
        if (t.dests.includes(d)) {
          if (k === 1) right += 1;
          else if (k === 0) missing += 1;
          else wrong += k - 1;
        } else {
          wrong += k;
        }
      }
      if (seen.dests[d]) {
        assert.ok(seen.dests[d].ids.every((id) => id === seen.subIds[d]),
          `${t.name}: every message of ${d} under its own id ${seen.subIds[d]}: ${seen.dests[d].ids}`);
      }
    }
    out.push({ tab: t.name, right, wrong, missing });
  }
  return out;
}

// Each tab counted right and no wrong or missing one.
function exact(counts, n) {
  for (const c of counts) assert.deepEqual(c, { tab: c.tab, right: n, wrong: 0, missing: 0 }, JSON.stringify(counts));
}

// Connected once, never closed, no error: the tab saw no change.
async function steady(t) {
  const seen = await seenIn(t);
  assert.deepEqual({ connects: seen.connects, closes: seen.closes, errors: seen.errors, connected: seen.connected },
    { connects: 1, closes: 0, errors: [], connected: true }, `${t.name}: ${JSON.stringify(seen)}`);
  return seen;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('@stomp/stompjs clients in 3 tabs share one connection', () => {
  test('one CONNECT and one SUBSCRIBE per destination at the broker; each tab its own messages, ids and receipts', async () => {
    const share = sharing('stomp');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 's');
      await subscribedAll(server, tabs);
      const s = server.stats();
      assert.deepEqual(s.connections, { total: 1, live: 1 }, 'one broker connection');
      assert.equal(s.connects, 1, 'one CONNECT');
      assert.deepEqual(s.subscribes, { '/topic/lobby': 1, '/topic/s1': 1, '/topic/s2': 1, '/topic/s3': 1 },
        'one SUBSCRIBE per destination');
      for (const t of tabs) {
        const seen = await seenIn(t);
        assert.equal(seen.mode, 'sharedworker');
        assert.equal(seen.protocol, 'v12.stomp');
        assert.equal(seen.version, '1.2');
        // The broker's beats are the leader's: the client neither sends nor watches for any.
        assert.equal(seen.heartBeat, '0,0');
        // Each client numbers its own from sub-0: they collide but for the profile.
        assert.deepEqual(seen.subIds, { '/topic/lobby': 'sub-0', [`/topic/${t.name}`]: 'sub-1' });
      }
      const sent = await publishAll(server, ['/topic/lobby', '/topic/s1', '/topic/s2', '/topic/s3'], 5, 'first', tabs);
      const counts = await tally(tabs, sent, 'first');
      exact(counts, 10);
      suite.figures.push(`${ENGINE}: per tab right/wrong/missing ${counts.map((c) => `${c.tab} ${c.right}/${c.wrong}/${c.missing}`).join(', ')}`);
      // A SEND each, under the same receipt id in every tab.
      for (const t of tabs) await t.tab.eval((n) => window.speak('/topic/lobby', `hello from ${n}`, 'rcpt-1'), t.name);
      for (const t of tabs) {
        await waitIn(t, server, () => window.rec.receipts.length === 1 &&
          ['s1', 's2', 's3'].every((n) => window.rec.dests['/topic/lobby'].received.includes(`hello from ${n}`)),
        undefined, 'its receipt and the three SENDs');
        assert.deepEqual((await seenIn(t)).receipts, ['rcpt-1']);
      }
      assert.equal(server.stats().sends.length, 3, 'each SEND once');
      // Longer than the tabs' and the broker's heart-beat checks: nobody is cut.
      await sleep(4000);
      for (const t of tabs) await steady(t);
      const after = server.stats();
      assert.deepEqual(after.connections, { total: 1, live: 1 }, 'the broker cut nobody');
      assert.ok(after.beats.sent >= 2, `the broker beat: ${JSON.stringify(after.beats)}`);
      assert.deepEqual(after.errors, []);
      suite.figures.push(`${ENGINE}: the broker saw ${after.connections.total} connection(s), ${after.connects} CONNECT for 3 tabs`);
    }));
  });

  test('the broker hears the UNSUBSCRIBE only when the last tab leaves a destination, unsubscribing, closing or disconnecting', async () => {
    const share = sharing('stompleave');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'l');
      await subscribedAll(server, tabs);
      await tabs[0].tab.eval(() => window.leave('/topic/lobby'));
      await tabs[1].tab.close();
      await suite.serverSees(server, (s) => s.unsubscribes['/topic/l2'] === 1, 'the closed tab\'s own destination unsubscribed');
      assert.deepEqual(server.stats().unsubscribes, { '/topic/l2': 1 }, 'the lobby stays while a tab is in it');
      tabs[0].dests = ['/topic/l1'];
      const left = [tabs[0], tabs[2]];
      const sent = await publishAll(server, ['/topic/lobby', '/topic/l1'], 3, 'left', left);
      exact(await tally(left, sent, 'left'), 3);
      // A client's deactivate (DISCONNECT with a receipt) ends that tab only.
      await tabs[0].tab.eval(() => window.stop());
      await suite.serverSees(server, (s) => s.unsubscribes['/topic/l1'] === 1, 'the disconnected tab\'s destination unsubscribed');
      await tabs[2].tab.eval(() => window.leave('/topic/lobby'));
      await suite.serverSees(server, (s) => s.unsubscribes['/topic/lobby'] === 1, 'the lobby unsubscribed with its last tab');
      const s = server.stats();
      assert.deepEqual(s.connections, { total: 1, live: 1 });
      assert.deepEqual(s.errors, []);
      await steady(tabs[2]);
    }));
  });

  test('a late joiner gets the cached CONNECTED and shares the subscriptions; other credentials get an ERROR and their own close', async () => {
    const share = sharing('stomplate');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'j');
      await subscribedAll(server, tabs);
      const late = await openClient(ctx, server, 'j4', share, ['/topic/lobby', '/topic/j1']);
      const all = [...tabs, late];
      const sent = await publishAll(server, ['/topic/lobby', '/topic/j1', '/topic/j2'], 3, 'late', all);
      const counts = await tally(all, sent, 'late');
      assert.deepEqual(counts.map((c) => [c.tab, c.right, c.wrong, c.missing]),
        [['j1', 6, 0, 0], ['j2', 6, 0, 0], ['j3', 3, 0, 0], ['j4', 6, 0, 0]]);
      let s = server.stats();
      assert.equal(s.connects, 1, 'the late tab had the cached CONNECTED');
      assert.deepEqual(s.subscribes, { '/topic/lobby': 1, '/topic/j1': 1, '/topic/j2': 1, '/topic/j3': 1 });
      const intruder = await openClient(ctx, server, 'j5', share, ['/topic/lobby'], 'other');
      await waitIn(intruder, server, () => window.rec.errors.length > 0 && window.rec.closes > 0, undefined,
        'an ERROR and a close');
      const seen = await seenIn(intruder);
      assert.equal(seen.connects, 0, 'never the cached CONNECTED');
      assert.match(seen.errors[0], /own sharing key/);
      await intruder.tab.eval(() => window.stop());
      s = server.stats();
      assert.deepEqual({ connections: s.connections, connects: s.connects, refused: s.refusedConnects },
        { connections: { total: 1, live: 1 }, connects: 1, refused: [] }, 'the broker saw nothing of it');
      for (const t of all) await steady(t);
    }));
  });

  test('a server drop: CONNECT and every SUBSCRIBE again on the next connection, the clients see no close; an open transaction gets an ERROR', async () => {
    const share = sharing('stompdrop');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'd');
      await subscribedAll(server, tabs);
      const tx = await tabs[0].tab.eval(() => window.begin());
      assert.equal(tx, 'tx-2', 'the client numbers its transaction after its two subscriptions');
      // The broker has the transaction open when the connection goes.
      await suite.serverSees(server, (s) => s.begins === 1, 'the BEGIN');
      const t0 = Date.now();
      server.dropAll();
      await suite.serverSees(server, (s) => s.connections.total === 2 && s.connects === 2, 'a second CONNECT');
      await subscribedAll(server, tabs);
      const sent = await publishAll(server, ['/topic/lobby', '/topic/d1', '/topic/d2', '/topic/d3'], 3, 'back', tabs);
      suite.figures.push(`${ENGINE}: after a server drop every tab had its messages again within ${Date.now() - t0} ms`);
      exact(await tally(tabs, sent, 'back'), 6);
      await waitIn(tabs[0], server, () => window.rec.errors.some((e) => /transaction was lost/.test(e)), undefined,
        'an ERROR for the lost transaction');
      // Neither its SEND nor its COMMIT goes to a broker that never heard of it.
      await tabs[0].tab.eval(() => {
        window.client.publish({ destination: '/topic/lobby', body: '{"text":"lost"}', headers: { transaction: window.tx.id } });
        window.tx.commit();
      });
      await waitIn(tabs[0], server, () => window.rec.errors.length === 3, undefined, 'an ERROR for the SEND and the COMMIT');
      const s = server.stats();
      assert.deepEqual(s.subscribes, { '/topic/lobby': 2, '/topic/d1': 2, '/topic/d2': 2, '/topic/d3': 2 },
        'each destination once per connection');
      assert.deepEqual(s.errors, [], 'the broker refused nothing');
      for (const t of tabs.slice(1)) await steady(t);
      const first = await seenIn(tabs[0]);
      assert.deepEqual({ connects: first.connects, closes: first.closes }, { connects: 1, closes: 0 });
    }));
  });

  for (const how of ['close', 'crash']) {
    test(`election mode, the leader tab's ${how}: the others' subscriptions are back, unseen`,
      { skip: how === 'crash' && lacks('crash') }, async () => {
        const share = sharing(`stompelect${how}`, { mode: 'election' });
        await withServer((server) => suite.browser.inContext(async (ctx) => {
          const tabs = await threeTabs(ctx, server, share, `e${how[1]}`);
          await subscribedAll(server, tabs);
          const flags = await Promise.all(tabs.map(async (t) => (await seenIn(t)).isLeader));
          const { leader, left } = oneLeader(tabs, flags);
          const t0 = Date.now();
          if (how === 'close') await leader.tab.close();
          else await leader.tab.crash();
          await suite.serverSees(server, (s) => s.connections.total === 2 && s.connections.live === 1 && s.connects === 2,
            'a second connection');
          await subscribedAll(server, left);
          const sent = await publishAll(server, ['/topic/lobby', ...left.map((t) => `/topic/${t.name}`)], 3, 'elected', left);
          suite.figures.push(`${ENGINE}: leader tab ${how}: the others had their messages again within ${Date.now() - t0} ms`);
          exact(await tally(left, sent, 'elected'), 6);
          for (const t of left) {
            const seen = await steady(t);
            assert.equal(seen.mode, 'election');
          }
        }));
      });
  }
});
