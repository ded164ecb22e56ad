// ActionCable over one shared socket: @rails/actioncable's consumer in every
// tab, unmodified, its adapters' WebSocket set to
// SharedWebSocket.configure({ key }), against a server that speaks the
// protocol as Rails does (servers/actioncable.mjs). However many tabs
// subscribe under one identifier, the server sees one connection, one
// subscribe and, once the last tab leaves, one unsubscribe; each tab is
// confirmed once and gets exactly the messages of its own subscriptions;
// after a server drop or a new leader every subscription is back and the
// consumers see no disconnect.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientSuite, oneLeader } from './client-suite.mjs';
import { ENGINE, lacks } from './harness.mjs';
import { startActionCableServer } from './servers/actioncable.mjs';

// A page as an app would have it: wsshare's script, the consumer, and a
// recorder of what each subscription saw.
const PAGE = `<!doctype html><meta charset="utf-8"><title>ActionCable over wsshare</title>
<script src="/dist/wsshare.js"></script>
<script src="/demo/actioncable-client.js"></script>
<script>
window.start = ({ tab, url, share, rooms }) => {
  ActionCable.adapters.WebSocket = WsShare.SharedWebSocket.configure(share);
  const rec = { tab, rooms: {} };
  window.rec = rec;
  window.consumer = ActionCable.createConsumer(url);
  window.subs = {};
  for (const room of rooms) window.join(room);
};
window.join = (room) => {
  const r = { connected: 0, disconnected: 0, rejected: 0, received: [] };
  window.rec.rooms[room] = r;
  window.subs[room] = window.consumer.subscriptions.create({ channel: 'ChatChannel', room }, {
    connected() { r.connected += 1; },
    disconnected() { r.disconnected += 1; },
    rejected() { r.rejected += 1; },
    received(message) { r.received.push(message); },
  });
};
// Nothing is returned: a driver cannot carry the subscription back.
window.speak = (room, text) => { window.subs[room].perform('speak', { text, tab: window.rec.tab }); };
window.leave = (room) => { window.subs[room].unsubscribe(); };
window.seen = () => JSON.parse(JSON.stringify({
  ...window.rec,
  mode: window.consumer.connection.webSocket && window.consumer.connection.webSocket.mode,
  protocol: window.consumer.connection.getProtocol(),
  state: window.consumer.connection.getState(),
  isLeader: !!(window.consumer.connection.webSocket && window.consumer.connection.webSocket.isLeader),
}));
window.pageReady = true;
</script>`;

const suite = clientSuite({ name: 'actioncable', page: PAGE, client: 'actioncable-client.mjs' });

const withServer = (fn) => suite.withServer(startActionCableServer, fn);

const { seenIn, waitIn, sharing } = suite;

// A tab whose consumer joins `rooms`; resolves once each is confirmed.
async function openConsumer(ctx, server, name, share, rooms) {
  const tab = await ctx.openTab(suite.cat.url, suite.path);
  await tab.waitFor(() => window.pageReady === true);
  const t = { tab, name };
  await tab.eval((o) => window.start(o), { tab: name, url: server.url, share, rooms });
  await waitIn(t, server, (rs) => rs.every((r) => window.rec.rooms[r].connected > 0), rooms, `confirmed in ${rooms}`);
  return t;
}

// Three tabs, each in the lobby and in a room of its own.
async function threeTabs(ctx, server, share, prefix) {
  const tabs = [];
  for (let i = 1; i <= 3; i++) {
    const name = `${prefix}${i}`;
    tabs.push(await openConsumer(ctx, server, name, share, ['lobby', name]));
  }
  return tabs;
}

// A broadcast to `room` reaches exactly `tabs`, each once.
async function reaches(server, room, text, tabs, all) {
  assert.ok(server.broadcast(room, { text }) > 0, `someone at the server is in ${room}`);
  for (const t of tabs) {
    await waitIn(t, server, ([r, x]) => window.rec.rooms[r].received.some((m) => m.text === x), [room, text],
      `"${text}" in ${room}`);
  }
  for (const t of all) {
    const seen = await seenIn(t);
    const got = Object.values(seen.rooms).flatMap((r) => r.received).filter((m) => m.text === text).length;
    assert.equal(got, tabs.includes(t) ? 1 : 0, `${t.name}: "${text}" ${tabs.includes(t) ? 'once' : 'never'}`);
  }
}

// Each room was confirmed once and never disconnected or rejected.
async function steady(t) {
  const seen = await seenIn(t);
  for (const [room, r] of Object.entries(seen.rooms)) {
    assert.deepEqual({ connected: r.connected, disconnected: r.disconnected, rejected: r.rejected },
      { connected: 1, disconnected: 0, rejected: 0 }, `${t.name} in ${room}: ${JSON.stringify(seen)}`);
  }
  return seen;
}

describe('ActionCable consumers in 3 tabs share one connection', () => {
  test('one subscribe per identifier at the server; each tab confirmed once and gets the messages of its rooms only', async () => {
    const share = sharing('cable');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'c');
      const s = server.stats();
      assert.deepEqual(s.connections, { total: 1, live: 1 }, 'one server connection');
      assert.deepEqual(s.subscribes, { lobby: 1, c1: 1, c2: 1, c3: 1 }, 'one subscribe per identifier');
      assert.deepEqual(s.ignored, {}, 'no subscribe the server would ignore');
      await reaches(server, 'lobby', 'to the lobby', tabs, tabs);
      await reaches(server, 'c2', 'to the second', [tabs[1]], tabs);
      await tabs[0].tab.eval(() => window.speak('lobby', 'hello from the first'));
      await reaches(server, 'lobby', 'after the speech', tabs, tabs);
      for (const t of tabs) {
        await waitIn(t, server, () => window.rec.rooms.lobby.received.some((m) => m.text === 'hello from the first'),
          undefined, 'the first tab\'s speech');
        const seen = await steady(t);
        assert.equal(seen.mode, 'sharedworker');
      }
      assert.deepEqual(server.stats().spoken, [{ room: 'lobby', text: 'hello from the first', tab: 'c1' }], 'spoken once');
    }));
  });

  test('the server hears the unsubscribe only when the last tab leaves the identifier, closing or unsubscribing', async () => {
    const share = sharing('cableleave');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'l');
      await tabs[0].tab.eval(() => window.leave('lobby'));
      await tabs[1].tab.close();
      await suite.serverSees(server, (s) => s.unsubscribes.l2 === 1, 'the closed tab\'s own room unsubscribed');
      assert.deepEqual(server.stats().unsubscribes, { l2: 1 }, 'the lobby stays while a tab is in it');
      await reaches(server, 'lobby', 'to who is left', [tabs[2]], [tabs[0], tabs[2]]);
      await tabs[2].tab.eval(() => window.leave('lobby'));
      await suite.serverSees(server, (s) => s.unsubscribes.lobby === 1, 'the lobby unsubscribed with its last tab');
      assert.deepEqual(server.stats().connections, { total: 1, live: 1 });
    }));
  });

  test('a refused subscription is refused in every tab that asks for it', async () => {
    const share = sharing('cablerefused');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'r');
      for (const t of tabs) await t.tab.eval(() => window.join('closed'));
      for (const t of tabs) await waitIn(t, server, () => window.rec.rooms.closed.rejected === 1, undefined, 'rejected');
      for (const t of tabs) {
        const seen = await seenIn(t);
        assert.equal(seen.rooms.closed.connected, 0);
      }
    }));
  });

  test('a server drop: every identifier subscribed again on the next connection, the consumers see no disconnect', async () => {
    const share = sharing('cabledrop');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'd');
      const t0 = Date.now();
      server.dropAll();
      await suite.serverSees(server, (s) => s.connections.total === 2 && s.subscribed.length === 1 &&
        s.subscribed[0].join() === ['d1', 'd2', 'd3', 'lobby'].join(), 'the 4 identifiers on a second connection');
      await reaches(server, 'lobby', 'after the drop', tabs, tabs);
      suite.figures.push(`${ENGINE}: after a server drop a broadcast reached every tab again within ${Date.now() - t0} ms`);
      for (const t of tabs) await steady(t);
      const s = server.stats();
      assert.deepEqual(s.subscribes, { lobby: 2, d1: 2, d2: 2, d3: 2 }, 'each identifier once per connection');
      assert.deepEqual(s.ignored, {});
    }));
  });

  for (const how of ['close', 'crash']) {
    test(`election mode, the leader tab's ${how}: the others' subscriptions are back, unseen`,
      { skip: how === 'crash' && lacks('crash') }, async () => {
        const share = sharing(`cableelect${how}`, { mode: 'election' });
        await withServer((server) => suite.browser.inContext(async (ctx) => {
          const tabs = await threeTabs(ctx, server, share, `e${how[1]}`);
          const flags = await Promise.all(tabs.map(async (t) => (await seenIn(t)).isLeader));
          const { leader, left } = oneLeader(tabs, flags);
          const t0 = Date.now();
          if (how === 'close') await leader.tab.close();
          else await leader.tab.crash();
          const rooms = ['lobby', ...left.map((t) => t.name)].sort();
          await suite.serverSees(server, (s) => s.connections.total === 2 && s.connections.live === 1 &&
            s.subscribed[0]?.join() === rooms.join(), 'a second connection with the rooms of the tabs left, and only those');
          await reaches(server, 'lobby', `after the leader's ${how}`, left, left);
          suite.figures.push(`${ENGINE}: leader tab ${how}: a broadcast reached the others again within ${Date.now() - t0} ms`);
          for (const t of left) {
            const seen = await steady(t);
            assert.equal(seen.mode, 'election');
          }
        }));
      });
  }
});
