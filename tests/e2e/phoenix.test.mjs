// Phoenix Channels over one shared socket: the `phoenix` client's Socket in
// every tab, unmodified, its transport set to SharedWebSocket.configure({ key }),
// against a server that speaks the protocol as Phoenix does
// (servers/phoenix.mjs). The profile is chosen by the url the Socket builds
// (`/socket/websocket?token=...&vsn=2.0.0`): no protocol option. However many
// tabs join a topic, the server sees one connection, one phx_join and, once
// the last tab leaves, one phx_leave; each tab is answered under its own refs
// and gets exactly the messages of its own topics; the tabs' heartbeats are
// the leader's to answer; after a server drop or a new leader every topic is
// joined again and the channels see no error.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientSuite, oneLeader } from './client-suite.mjs';
import { ENGINE, lacks } from './harness.mjs';
import { startPhoenixServer } from './servers/phoenix.mjs';

// A page as an app would have it: wsshare's script, the client, and a
// recorder of what each channel saw. The tabs' heartbeats come every 2 s (a
// Socket option), so that one left unanswered would close a tab's socket
// within a test.
const PAGE = `<!doctype html><meta charset="utf-8"><title>Phoenix Channels over wsshare</title>
<script src="/dist/wsshare.js"></script>
<script src="/demo/phoenix-client.js"></script>
<script>
window.start = ({ tab, url, share, topics }) => {
  const rec = { tab, topics: {}, socket: { opens: 0, errors: 0, closes: 0 } };
  window.rec = rec;
  window.socket = new Phoenix.Socket(url, {
    transport: WsShare.SharedWebSocket.configure(share),
    params: { token: 'socket-token' },
    heartbeatIntervalMs: 2000,
  });
  window.socket.onOpen(() => { rec.socket.opens += 1; });
  window.socket.onError(() => { rec.socket.errors += 1; });
  window.socket.onClose(() => { rec.socket.closes += 1; });
  window.socket.connect();
  window.chans = {};
  for (const topic of topics) window.join(topic);
};
window.join = (topic, params = { token: 'a' }) => {
  const r = { joined: 0, joinErrors: [], errors: 0, closes: 0, received: [], replies: [], pushErrors: [] };
  window.rec.topics[topic] = r;
  const ch = window.socket.channel(topic, params);
  ch.on('msg', (m) => r.received.push(m));
  ch.onError(() => { r.errors += 1; });
  ch.onClose(() => { r.closes += 1; });
  ch.join().receive('ok', () => { r.joined += 1; }).receive('error', (e) => { r.joinErrors.push(e); });
  window.chans[topic] = ch;
};
window.shout = (topic, body) => {
  window.chans[topic].push('shout', { body, tab: window.rec.tab });
};
window.echo = (topic, n, event = 'echo') => {
  const r = window.rec.topics[topic];
  window.chans[topic].push(event, { n, tab: window.rec.tab })
    .receive('ok', (resp) => r.replies.push(resp))
    .receive('error', (e) => r.pushErrors.push(e))
    .receive('timeout', () => r.pushErrors.push('timeout'));
};
window.leave = (topic) => { window.chans[topic].leave(); };
window.seen = () => JSON.parse(JSON.stringify({
  ...window.rec,
  mode: window.socket.conn && window.socket.conn.mode,
  state: window.socket.connectionState(),
  isLeader: !!(window.socket.conn && window.socket.conn.isLeader),
}));
window.pageReady = true;
</script>`;

const suite = clientSuite({ name: 'phoenix', page: PAGE, client: 'phoenix-client.mjs' });

const withServer = (fn, opts) => suite.withServer(() => startPhoenixServer(opts), fn);

const { seenIn, waitIn, sharing } = suite;

// A tab whose Socket joins `topics`; resolves once each join is answered ok.
async function openTab(ctx, server, name, share, topics) {
  const tab = await ctx.openTab(suite.cat.url, suite.path);
  await tab.waitFor(() => window.pageReady === true);
  const t = { tab, name };
  await tab.eval((o) => window.start(o), { tab: name, url: server.url, share, topics });
  await waitIn(t, server, (ts) => ts.every((x) => window.rec.topics[x].joined > 0), topics, `joined ${topics}`);
  return t;
}

// Three tabs, each in the lobby and in a room of its own.
async function threeTabs(ctx, server, share, prefix) {
  const tabs = [];
  for (let i = 1; i <= 3; i++) {
    const name = `${prefix}${i}`;
    tabs.push(await openTab(ctx, server, name, share, ['room:lobby', `room:${name}`]));
  }
  return tabs;
}

// Broadcasts `count` messages to each of `topics`; then counts, per tab,
// the messages it got that it should (right), those it should not (wrong),
// and those it should but did not (missing). `members(topic)` are the tabs in it.
async function tally(server, tag, topics, members, all) {
  for (const topic of topics) {
    for (let i = 0; i < 5; i++) {
      assert.ok(server.broadcast(topic, 'msg', { body: `${tag}:${topic}:${i}` }) > 0, `someone is in ${topic}`);
    }
  }
  const counts = [];
  for (const t of all) {
    const want = topics.filter((topic) => members(topic).includes(t)).flatMap((topic) =>
      [0, 1, 2, 3, 4].map((i) => `${tag}:${topic}:${i}`));
    if (want.length > 0) {
      await waitIn(t, server, ([w, x]) => {
        const got = Object.values(window.rec.topics).flatMap((r) => r.received.map((m) => m.body));
        return w.every((b) => got.includes(b)) || x;
      }, [want, false], `${want.length} messages`).catch(() => {});
    }
    const seen = await seenIn(t);
    const got = Object.entries(seen.topics).flatMap(([topic, r]) =>
      r.received.filter((m) => String(m.body).startsWith(`${tag}:`)).map((m) => ({ topic, body: m.body })));
    const right = got.filter((m) => want.includes(m.body) && m.body.startsWith(`${tag}:${m.topic}:`));
    const unique = new Set(right.map((m) => `${m.topic}|${m.body}`));
    const c = { tab: t.name, right: unique.size, wrong: got.length - unique.size, missing: want.length - unique.size };
    counts.push(c);
  }
  return counts;
}

const perTab = (counts) => counts.map((c) => `${c.tab} ${c.right}/${c.wrong}/${c.missing}`).join(', ');

function assertExact(counts, what) {
  for (const c of counts) {
    assert.deepEqual({ wrong: c.wrong, missing: c.missing }, { wrong: 0, missing: 0 },
      `${what}: ${c.tab} got ${c.right} right, ${c.wrong} wrong, ${c.missing} missing`);
  }
}

// Every channel joined once, never errored or closed; the socket opened once.
async function steady(t) {
  const seen = await seenIn(t);
  for (const [topic, r] of Object.entries(seen.topics)) {
    assert.deepEqual({ joined: r.joined, errors: r.errors, closes: r.closes, joinErrors: r.joinErrors.length },
      { joined: 1, errors: 0, closes: 0, joinErrors: 0 }, `${t.name} in ${topic}: ${JSON.stringify(seen)}`);
  }
  assert.deepEqual(seen.socket, { opens: 1, errors: 0, closes: 0 }, `${t.name}'s socket: ${JSON.stringify(seen)}`);
  return seen;
}

describe('Phoenix Sockets in 3 tabs share one connection', () => {
  test('one phx_join per topic; each tab answered under its own refs and gets the messages of its topics only', async () => {
    const share = sharing('phx');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'p');
      const s = server.stats();
      assert.deepEqual(s.connections, { total: 1, live: 1, timedOut: 0, refused: 0 }, 'one server connection');
      assert.deepEqual(s.joins, { 'room:lobby': 1, 'room:p1': 1, 'room:p2': 1, 'room:p3': 1 }, 'one join per topic');
      assert.deepEqual(s.duplicates, {}, 'no join the server would take as a duplicate');
      assert.equal(s.params[0].token, 'socket-token', 'the socket params reached the server');
      const topics = ['room:lobby', 'room:p1', 'room:p2', 'room:p3'];
      const members = (topic) => (topic === 'room:lobby' ? tabs : tabs.filter((t) => topic === `room:${t.name}`));
      const counts = await tally(server, 'first', topics, members, tabs);
      suite.figures.push(`${ENGINE}: 3 tabs, ${server.stats().connections.total} server connection(s); per tab right/wrong/missing: ${perTab(counts)}`);
      assertExact(counts, 'broadcasts');
      // Every tab pushes with the same refs its own Socket numbered: each
      // reply comes back to the tab that pushed, under its ref.
      for (const t of tabs) for (let n = 0; n < 3; n++) await t.tab.eval((x) => window.echo('room:lobby', x), n);
      for (const t of tabs) {
        await waitIn(t, server, () => window.rec.topics['room:lobby'].replies.length === 3, undefined, 'three echo replies');
        const seen = await seenIn(t);
        const r = seen.topics['room:lobby'];
        assert.deepEqual(r.replies.map((x) => [x.echo.tab, x.echo.n]), [[t.name, 0], [t.name, 1], [t.name, 2]],
          `${t.name}'s replies are its own`);
        assert.deepEqual(r.pushErrors, []);
      }
      await tabs[0].tab.eval(() => window.shout('room:lobby', 'hello from the first'));
      for (const t of tabs) {
        await waitIn(t, server, () => window.rec.topics['room:lobby'].received.some((m) => m.body === 'hello from the first'),
          undefined, 'the first tab\'s shout');
      }
      // A late joiner has the cached reply; the server sees no new join.
      const late = await openTab(ctx, server, 'late', share, ['room:lobby']);
      const after = await tally(server, 'late', ['room:lobby'], () => [...tabs, late], [...tabs, late]);
      assertExact(after, 'after a late joiner');
      const s2 = server.stats();
      assert.deepEqual(s2.connections, { total: 1, live: 1, timedOut: 0, refused: 0 });
      assert.equal(s2.joins['room:lobby'], 1, 'the late joiner rode on the lobby\'s join');
      assert.equal(s2.pushes.filter((p) => p.event === 'shout').length, 1, 'shouted once');
      assert.equal(s2.pushes.filter((p) => p.event === 'echo').length, 9, 'nine echoes, each once');
      assert.deepEqual(s2.unmatched, []);
      for (const t of [...tabs, late]) {
        const seen = await steady(t);
        assert.equal(seen.mode, 'sharedworker');
        assert.equal(seen.state, 'open');
      }
    }));
  });

  test('a join with other params is refused, never given the cached reply', async () => {
    const share = sharing('phxparams');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const first = await openTab(ctx, server, 'a1', share, ['room:lobby']);
      const tab = await ctx.openTab(suite.cat.url, suite.path);
      await tab.waitFor(() => window.pageReady === true);
      const other = { tab, name: 'a2' };
      await tab.eval((o) => window.start(o), { tab: 'a2', url: server.url, share, topics: [] });
      await tab.eval(() => window.join('room:lobby', { token: 'someone else' }));
      await waitIn(other, server, () => window.rec.topics['room:lobby'].joinErrors.length > 0, undefined, 'a join error');
      const seen = await seenIn(other);
      assert.equal(seen.topics['room:lobby'].joined, 0, 'not joined');
      assert.match(seen.topics['room:lobby'].joinErrors[0].reason, /own key/);
      assert.equal(server.broadcast('room:lobby', 'msg', { body: 'for a1' }), 1);
      await waitIn(first, server, () => window.rec.topics['room:lobby'].received.length === 1, undefined, 'a1 hears it');
      assert.equal((await seenIn(other)).topics['room:lobby'].received.length, 0, 'a2 never hears the lobby');
      assert.deepEqual(server.stats().joins, { 'room:lobby': 1 });
    }));
  });

  test('a join the server refuses is refused in every tab that asks for it', async () => {
    const share = sharing('phxrefused');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'r');
      for (const t of tabs) await t.tab.eval(() => window.join('room:closed'));
      for (const t of tabs) {
        await waitIn(t, server, () => window.rec.topics['room:closed'].joinErrors.length > 0, undefined, 'refused');
        const r = (await seenIn(t)).topics['room:closed'];
        assert.equal(r.joined, 0);
        assert.equal(r.joinErrors[0].reason, 'unauthorized');
      }
      for (const t of tabs) await t.tab.eval(() => window.leave('room:closed'));
      assert.deepEqual(server.stats().joins, { 'room:lobby': 1, 'room:r1': 1, 'room:r2': 1, 'room:r3': 1 });
    }));
  });

  test('the server hears phx_leave only when the last tab leaves a topic, leaving or closing', async () => {
    const share = sharing('phxleave');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'l');
      await tabs[0].tab.eval(() => window.leave('room:lobby'));
      await waitIn(tabs[0], server, () => window.rec.topics['room:lobby'].closes === 1, undefined, 'the channel closed');
      await tabs[1].tab.close();
      await suite.serverSees(server, (s) => s.leaves['room:l2'] === 1, 'the closed tab\'s own room left');
      assert.deepEqual(server.stats().leaves, { 'room:l2': 1 }, 'the lobby stays while a tab is in it');
      const counts = await tally(server, 'left', ['room:lobby'], () => [tabs[2]], [tabs[0], tabs[2]]);
      assertExact(counts, 'after the leaves');
      await tabs[2].tab.eval(() => window.leave('room:lobby'));
      await suite.serverSees(server, (s) => s.leaves['room:lobby'] === 1, 'the lobby left with its last tab');
      const s = server.stats();
      assert.deepEqual(s.connections, { total: 1, live: 1, timedOut: 0, refused: 0 });
      assert.deepEqual(s.joined, [['room:l1', 'room:l3']]);
    }));
  });

  test('heartbeats: the tabs\' are the leader\'s to answer, the server hears the leader\'s own and keeps the connection', async () => {
    const share = sharing('phxbeat');
    // Beyond the leader's 30 s, below two of them.
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'h');
      await new Promise((resolve) => setTimeout(resolve, 40000));
      const s = server.stats();
      suite.figures.push(`${ENGINE}: in 40 s the server heard ${s.heartbeats} heartbeat(s) (3 tabs beating every 2 s)`);
      assert.deepEqual(s.connections, { total: 1, live: 1, timedOut: 0, refused: 0 }, 'the connection stayed');
      assert.ok(s.heartbeats >= 1 && s.heartbeats <= 2, `the leader's heartbeats only: ${s.heartbeats}`);
      for (const t of tabs) await steady(t);
      assertExact(await tally(server, 'beat', ['room:lobby'], () => tabs, tabs), 'after 40 s');
    }), { heartbeatTimeoutMs: 35000 });
  });

  test('a server drop: every topic joined again on the next connection, the channels see no error', async () => {
    const share = sharing('phxdrop');
    await withServer((server) => suite.browser.inContext(async (ctx) => {
      const tabs = await threeTabs(ctx, server, share, 'd');
      // A push the server holds without a reply is in flight at the drop.
      await tabs[0].tab.eval(() => window.echo('room:lobby', 1, 'slow'));
      await suite.serverSees(server, (s) => s.pushes.some((p) => p.event === 'slow'), 'the slow push');
      const t0 = Date.now();
      server.dropAll();
      await suite.serverSees(server, (s) => s.connections.total === 2 && s.joined.length === 1 &&
        s.joined[0].join() === ['room:d1', 'room:d2', 'room:d3', 'room:lobby'].join(), 'the 4 topics on a second connection');
      const rejoined = Date.now() - t0;
      const topics = ['room:lobby', 'room:d1', 'room:d2', 'room:d3'];
      const members = (topic) => (topic === 'room:lobby' ? tabs : tabs.filter((t) => topic === `room:${t.name}`));
      const counts = await tally(server, 'drop', topics, members, tabs);
      suite.figures.push(`${ENGINE}: after a server drop the topics were joined again in ${rejoined} ms, every tab had its messages within ${Date.now() - t0} ms; ` +
        `${server.stats().connections.total} server connections in all; per tab right/wrong/missing: ${perTab(counts)}`);
      assertExact(counts, 'after the drop');
      for (const t of tabs) await steady(t);
      // Its tab had an error reply for it, and the server never had it again.
      await waitIn(tabs[0], server, () => window.rec.topics['room:lobby'].pushErrors.length === 1, undefined, 'the slow push\'s error');
      const lost = (await seenIn(tabs[0])).topics['room:lobby'].pushErrors[0];
      assert.match(lost.reason, /connection was lost/, JSON.stringify(lost));
      const s = server.stats();
      assert.equal(s.pushes.filter((p) => p.event === 'slow').length, 1, 'the slow push was sent once');
      assert.deepEqual(s.joins, { 'room:lobby': 2, 'room:d1': 2, 'room:d2': 2, 'room:d3': 2 }, 'each topic once per connection');
      assert.deepEqual(s.duplicates, {});
    }));
  });

  for (const how of ['close', 'crash']) {
    test(`election mode, the leader tab's ${how}: the others' topics are joined again, unseen`,
      { skip: how === 'crash' && lacks('crash') }, async () => {
        const share = sharing(`phxelect${how}`, { mode: 'election' });
        await withServer((server) => suite.browser.inContext(async (ctx) => {
          const tabs = await threeTabs(ctx, server, share, `e${how[1]}`);
          const flags = await Promise.all(tabs.map(async (t) => (await seenIn(t)).isLeader));
          const { leader, left } = oneLeader(tabs, flags);
          const t0 = Date.now();
          if (how === 'close') await leader.tab.close();
          else await leader.tab.crash();
          const topics = ['room:lobby', ...left.map((t) => `room:${t.name}`)].sort();
          await suite.serverSees(server, (s) => s.connections.total === 2 && s.connections.live === 1 &&
            s.joined[0]?.join() === topics.join(), 'a second connection with the topics of the tabs left, and only those');
          const rejoined = Date.now() - t0;
          const members = (topic) => (topic === 'room:lobby' ? left : left.filter((t) => topic === `room:${t.name}`));
          const counts = await tally(server, how, topics, members, left);
          suite.figures.push(`${ENGINE}: leader tab ${how}: the topics were joined again in ${rejoined} ms, every tab left had its messages within ${Date.now() - t0} ms; ` +
            `${server.stats().connections.total} server connections in all; per tab right/wrong/missing: ${perTab(counts)}`);
          assertExact(counts, `after the leader's ${how}`);
          for (const t of left) {
            const seen = await steady(t);
            assert.equal(seen.mode, 'election');
          }
        }));
      });
  }
});
