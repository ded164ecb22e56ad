// Socket.IO over one shared socket: socket.io-client in every tab, unmodified,
// its websocket transport's createSocket returning a
// SharedWebSocket.configure({ key }), against socket.io's own server
// (servers/socketio.mjs). Each tab has a socket on the main namespace and one
// on /chat (auth checked by the server); the server sees one Engine.IO
// connection and one CONNECT per namespace; each tab gets exactly the acks of
// its own emits, the news of its namespaces and the server's pings; a tab that
// leaves or closes detaches itself only; after a server drop or a new leader
// every namespace is back and the clients see no disconnect.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientSuite, oneLeader } from './client-suite.mjs';
import { ENGINE, lacks } from './harness.mjs';
import { startSocketIoServer } from './servers/socketio.mjs';

// A page as an app would have it: wsshare's script, the client, and a
// recorder of what each socket saw.
const PAGE = `<!doctype html><meta charset="utf-8"><title>Socket.IO over wsshare</title>
<script src="/dist/wsshare.js"></script>
<script src="/demo/socketio-client.js"></script>
<script>
window.start = ({ tab, url, share, token }) => {
  const Shared = WsShare.SharedWebSocket.configure(share);
  class SharedTransport extends SocketIO.WebSocket {
    createSocket(uri, protocols) { return protocols ? new Shared(uri, protocols) : new Shared(uri); }
  }
  const opts = { transports: [SharedTransport] };
  window.rec = { tab, spaces: {}, acks: [], uploads: [], slow: [] };
  window.sockets = {
    main: SocketIO.io(url, opts),
    chat: SocketIO.io(url + '/chat', { ...opts, auth: { token } }),
  };
  for (const [name, s] of Object.entries(window.sockets)) {
    const r = { connect: 0, disconnects: [], errors: [], news: [], blobs: [], asked: 0 };
    window.rec.spaces[name] = r;
    s.on('connect', () => { r.connect += 1; });
    s.on('disconnect', (why) => { r.disconnects.push(why); });
    s.on('connect_error', (e) => { r.errors.push(e.message); });
    s.on('news', (n) => { r.news.push(n); });
    s.on('blob', (b) => { r.blobs.push(Array.from(new Uint8Array(b))); });
    s.on('question', (q, ack) => { r.asked += 1; ack({ tab, q }); });
  }
};
window.add = (space, a, b) => {
  window.sockets[space].timeout(8000).emit('add', a, b, (err, sum) => {
    window.rec.acks.push({ space, a, b, sum, err: err ? err.message : null });
  });
};
window.upload = (bytes) => {
  window.sockets.chat.timeout(8000).emit('upload', new Uint8Array(bytes), (err, back) => {
    window.rec.uploads.push(err ? { err: err.message } : Array.from(new Uint8Array(back)));
  });
};
window.slow = () => {
  window.sockets.chat.timeout(3000).emit('slow', (err, x) => { window.rec.slow.push(err ? err.message : x); });
};
window.leave = (space) => { window.sockets[space].disconnect(); };
window.seen = () => {
  const ws = window.sockets.main.io.engine && window.sockets.main.io.engine.transport &&
    window.sockets.main.io.engine.transport.ws;
  return JSON.parse(JSON.stringify({ ...window.rec, mode: ws && ws.mode, isLeader: !!(ws && ws.isLeader) }));
};
window.pageReady = true;
</script>`;

const summary = (s) => ({ ...s });
const suite = clientSuite({ name: 'socketio', page: PAGE, client: 'socketio-client.mjs', summary });

const withServer = (fn, opts) => suite.withServer(() => startSocketIoServer(opts), fn);

const { seenIn, waitIn, sharing } = suite;

// A tab whose sockets connect both namespaces; resolves once they have
// (or once /chat was refused, when `refused`).
async function openClient(ctx, server, name, share, { token = 'good', refused = false } = {}) {
  const tab = await ctx.openTab(suite.cat.url, suite.path);
  await tab.waitFor(() => window.pageReady === true);
  const t = { tab, name, index: 0, asked: [] };
  await tab.eval((o) => window.start(o), { tab: name, url: server.url, share, token });
  await waitIn(t, server, (r) => window.rec.spaces.main.connect > 0 &&
    (r ? window.rec.spaces.chat.errors.length > 0 : window.rec.spaces.chat.connect > 0), refused,
  'connected');
  return t;
}

async function threeTabs(ctx, server, share, prefix) {
  const tabs = [];
  for (let i = 1; i <= 3; i++) tabs.push(await openClient(ctx, server, `${prefix}${i}`, share));
  return tabs;
}

// Each tab emits `n` adds on each namespace, numbers of its own, and waits
// for their acks; returns per tab how many came right, wrong or not at all.
async function adds(server, tabs, n, base = 0) {
  // All at once, every tab: each client numbers its acks from 0.
  await Promise.all(tabs.map((t) => {
    const mine = [];
    for (let i = 0; i < n; i++) {
      for (const space of ['main', 'chat']) mine.push([space, 1000 * (tabs.indexOf(t) + 1) + base + i, i]);
    }
    t.asked = (t.asked || []).concat(mine.map(([space, a, b]) => ({ space, a, b })));
    return t.tab.eval((list) => { for (const [s, x, y] of list) window.add(s, x, y); }, mine);
  }));
  for (const t of tabs) {
    await waitIn(t, server, (k) => window.rec.acks.length >= k, t.asked.length, `${t.asked.length} acks`);
  }
  await sleep(200); // an ack that should not come would come now
  const counts = [];
  for (const t of tabs) {
    const { acks } = await seenIn(t);
    let right = 0;
    let wrong = 0;
    const left = t.asked.slice();
    for (const ack of acks) {
      const i = left.findIndex((q) => q.space === ack.space && q.a === ack.a && q.b === ack.b);
      if (i >= 0 && ack.err === null && ack.sum === ack.a + ack.b) {
        right += 1;
        left.splice(i, 1);
      } else {
        wrong += 1;
      }
    }
    counts.push({ tab: t.name, right, wrong, missing: left.length });
  }
  return counts;
}

// The acks came each to its own tab, right.
function allRight(counts, n) {
  for (const c of counts) assert.deepEqual({ right: c.right, wrong: c.wrong, missing: c.missing },
    { right: n, wrong: 0, missing: 0 }, `${c.tab}: ${JSON.stringify(c)}`);
}

// News to namespace `space` reaches exactly `tabs`, each once.
async function reaches(server, space, text, tabs, all) {
  const name = space === 'chat' ? '/chat' : '/';
  assert.ok(server.broadcast(name, text) > 0, `a socket at the server in ${name}`);
  for (const t of tabs) {
    await waitIn(t, server, ([s, x]) => window.rec.spaces[s].news.includes(x), [space, text], `"${text}" in ${space}`);
  }
  for (const t of all) {
    const seen = await seenIn(t);
    const got = Object.values(seen.spaces).flatMap((r) => r.news).filter((m) => m === text).length;
    assert.equal(got, tabs.includes(t) ? 1 : 0, `${t.name}: "${text}" ${tabs.includes(t) ? 'once' : 'never'}`);
  }
}

// Each socket connected once and never saw a disconnect or an error.
async function steady(t, spaces = ['main', 'chat']) {
  const seen = await seenIn(t);
  for (const space of spaces) {
    const r = seen.spaces[space];
    assert.deepEqual({ connect: r.connect, disconnects: r.disconnects, errors: r.errors },
      { connect: 1, disconnects: [], errors: [] }, `${t.name} in ${space}: ${JSON.stringify(seen)}`);
  }
  return seen;
}

describe('socket.io-client in 3 tabs shares one Engine.IO connection', () => {
  test('one connection, one CONNECT per namespace; each tab its own acks, its namespaces\' news, the pings; a late tab joins', async () => {
    const share = sharing('sio');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 's');
      let s = server.stats();
      assert.deepEqual(s.connections, { total: 1, live: 1 }, 'one server connection');
      assert.deepEqual(s.connects, { '/': 1, '/chat': 1 }, 'one CONNECT per namespace');
      const counts = await adds(server, tabs, 10);
      suite.figures.push(`${ENGINE}: acks per tab ${counts.map((c) => `${c.tab} ${c.right}/${c.wrong}/${c.missing}`).join(', ')} (right/wrong/missing)`);
      allRight(counts, 20);
      await reaches(server, 'chat', 'to chat', tabs, tabs);
      await reaches(server, 'main', 'to all', tabs, tabs);
      // The server's question wants one ack: every tab is asked, it hears one.
      assert.equal(server.ask('/chat', 'who?'), 1);
      for (const t of tabs) await waitIn(t, server, () => window.rec.spaces.chat.asked === 1, undefined, 'asked');
      await suite.serverSees(server, (x) => x.answers.length === 1, 'one answer');
      // Binary both ways: each tab's upload comes back reversed to it alone;
      // a binary broadcast reaches each tab once.
      for (const t of tabs) await t.tab.eval((i) => window.upload([i, 2, 3, 4]), tabs.indexOf(t));
      for (const t of tabs) {
        const i = tabs.indexOf(t);
        await waitIn(t, server, () => window.rec.uploads.length === 1, undefined, 'the upload\'s ack');
        assert.deepEqual((await seenIn(t)).uploads, [[4, 3, 2, i]], `${t.name}: its own bytes back`);
      }
      assert.equal(server.broadcastBytes('/chat', [7, 8, 9]), 1);
      for (const t of tabs) await waitIn(t, server, () => window.rec.spaces.chat.blobs.length === 1, undefined, 'the blob');
      // Past pingInterval + pingTimeout: the clients had the server's pings.
      await sleep(6000);
      const late = await openClient(ctx, server, 's4', share);
      const lateCounts = await adds(server, [late], 5, 500);
      allRight(lateCounts, 10);
      s = server.stats();
      assert.equal(s.answers.length, 1, 'the question answered once');
      assert.deepEqual(s.connections, { total: 1, live: 1 }, 'still one connection, the late tab\'s too');
      suite.figures.push(`${ENGINE}: 4 tabs, the server saw ${s.connections.total} connection, CONNECTs ${JSON.stringify(s.connects)}`);
      assert.deepEqual(s.connects, { '/': 1, '/chat': 1 });
      assert.deepEqual(s.closes, []);
      assert.equal(s.events.add, 3 * 20 + 10);
      for (const t of [...tabs, late]) {
        const seen = await steady(t);
        assert.equal(seen.mode, 'sharedworker');
        assert.deepEqual(seen.spaces.chat.blobs, t === late ? [] : [[7, 8, 9]]);
      }
    }));
  });

  test('a tab with other auth is refused, told to use its own key; under its own key the server judges it', async () => {
    const share = sharing('sioauth');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      await threeTabs(ctx, server, share, 'a');
      const other = await openClient(ctx, server, 'a4', share, { token: 'other', refused: true });
      const seen = await seenIn(other);
      assert.equal(seen.spaces.chat.connect, 0);
      assert.match(seen.spaces.chat.errors[0], /own key/);
      assert.equal(seen.spaces.main.connect, 1, 'its main namespace is shared');
      assert.deepEqual(server.stats().refused, [], 'the server never saw the other auth');
      const alone = await openClient(ctx, server, 'a5', sharing('sioauthbad'), { token: 'bad', refused: true });
      assert.deepEqual((await seenIn(alone)).spaces.chat.errors, ['bad token']);
      const s = server.stats();
      assert.deepEqual(s.refused, [{ token: 'bad' }]);
      assert.equal(s.connections.total, 2, 'its own connection');
    }));
  });

  test('a tab leaving a namespace or closing detaches itself only; the server hears the last', async () => {
    const share = sharing('sioleave');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'l');
      await tabs[0].tab.eval(() => window.leave('chat'));
      await tabs[1].tab.close();
      await reaches(server, 'chat', 'to who is left', [tabs[2]], [tabs[0], tabs[2]]);
      await reaches(server, 'main', 'to both', [tabs[0], tabs[2]], [tabs[0], tabs[2]]);
      assert.deepEqual(server.stats().disconnects, {}, 'both namespaces stay while a tab is in them');
      await tabs[2].tab.eval(() => window.leave('chat'));
      await suite.serverSees(server, (s) => s.disconnects['/chat'] === 1, '/chat disconnected with its last tab');
      const s = server.stats();
      assert.deepEqual(s.disconnects, { '/chat': 1 });
      assert.deepEqual(s.sockets, { '/': 1, '/chat': 0 });
      assert.deepEqual(s.connections, { total: 1, live: 1 });
      await steady(tabs[2], ['main']);
    }));
  });

  test('a server drop: every namespace connected again on the next connection, the clients see no disconnect', async () => {
    const share = sharing('siodrop');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'd');
      allRight(await adds(server, tabs, 3), 6);
      // An emit in flight at the drop is never sent again, and has no ack:
      // the client's own timeout tells it.
      for (const t of tabs) await t.tab.eval(() => window.slow());
      await suite.serverSees(server, (x) => x.events.slow === 3, 'the slow emits');
      const t0 = Date.now();
      server.dropAll();
      await suite.serverSees(server, (s) => s.connections.total === 2 && s.connections.live === 1 &&
        s.connects['/'] === 2 && s.connects['/chat'] === 2, 'both namespaces on a second connection');
      await reaches(server, 'chat', 'after the drop', tabs, tabs);
      suite.figures.push(`${ENGINE}: after a server drop news reached every tab again within ${Date.now() - t0} ms`);
      const counts = await adds(server, tabs, 3, 100);
      suite.figures.push(`${ENGINE}: after the drop, acks per tab ${counts.map((c) => `${c.tab} ${c.right}/${c.wrong}/${c.missing}`).join(', ')}`);
      for (const c of counts) assert.deepEqual({ wrong: c.wrong, missing: c.missing }, { wrong: 0, missing: 0 }, c.tab);
      for (const t of tabs) {
        await waitIn(t, server, () => window.rec.slow.length === 1, undefined, 'the slow emit timed out');
        assert.deepEqual((await seenIn(t)).slow, ['operation has timed out'], `${t.name}: no ack, its own timeout`);
      }
      for (const t of tabs) await steady(t);
      const s = server.stats();
      assert.equal(s.events.slow, 3, 'never sent again');
      assert.deepEqual(s.sockets, { '/': 1, '/chat': 1 });
      suite.figures.push(`${ENGINE}: server drop: the server saw ${s.connections.total} connections, ${s.connects['/chat']} CONNECTs of /chat`);
    }));
  });

  for (const how of ['close', 'crash']) {
    test(`election mode, the leader tab's ${how}: the others' namespaces are back, unseen`,
      { skip: how === 'crash' && lacks('crash') }, async () => {
        const share = sharing(`sioelect${how}`, { mode: 'election' });
        await withServer((server) => suite.browser.inContext(async (ctx) => {
          const tabs = await threeTabs(ctx, server, share, `e${how[1]}`);
          const flags = await Promise.all(tabs.map(async (t) => (await seenIn(t)).isLeader));
          const { leader, left } = oneLeader(tabs, flags);
          const t0 = Date.now();
          if (how === 'close') await leader.tab.close();
          else await leader.tab.crash();
          await suite.serverSees(server, (s) => s.connections.total === 2 && s.connections.live === 1 &&
            s.connects['/'] === 2 && s.connects['/chat'] === 2, 'both namespaces on a second connection');
          await reaches(server, 'main', `after the leader's ${how}`, left, left);
          suite.figures.push(`${ENGINE}: leader tab ${how}: news reached the others again within ${Date.now() - t0} ms`);
          allRight(await adds(server, left, 3, 200), 6);
          for (const t of left) {
            const seen = await steady(t);
            assert.equal(seen.mode, 'election');
          }
          assert.deepEqual(server.stats().sockets, { '/': 1, '/chat': 1 });
        }));
      });
  }
});
