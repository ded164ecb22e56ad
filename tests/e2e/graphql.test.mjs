// GraphQL over one shared socket, in both protocols GraphQL clients speak
// over a WebSocket: a real graphql-ws client, or a real
// subscriptions-transport-ws client, in every tab, each given
// SharedWebSocket.configure({ key }) as its WebSocket, against that library's
// own server. However many tabs, the server sees one connection
// and one connection_init; each tab gets exactly its own results; a tab that
// goes ends its own subscription only; after a server drop or a new leader,
// every subscription resumes and nothing is run twice; a request in flight at
// a drop gets an error.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT_MS, clientSuite, oneLeader } from './client-suite.mjs';
import { ENGINE, eventually, lacks, uniqueUser } from './harness.mjs';
import { startGraphqlServer } from './servers/graphql.mjs';

// What differs between the protocols, as the tests see it.
const DIALECTS = [
  { name: 'graphql-ws', short: 'gql', legacy: false, next: 'next', forbiddenCode: 4403 },
  { name: 'subscriptions-transport-ws', short: 'stw', legacy: true, next: 'data', forbiddenCode: 1011 },
];

// A page as an app would have it: wsshare's script, the GraphQL clients, and
// a little recorder of everything the client saw, for the test to read back.
const PAGE = `<!doctype html><meta charset="utf-8"><title>graphql-ws over wsshare</title>
<script src="/dist/wsshare.js"></script>
<script src="/demo/graphql-client.js"></script>
<script>
const summary = (e) => (e && typeof e.code === 'number' ? { code: e.code, reason: e.reason }
  : Array.isArray(e) ? e.map((x) => x.message) : String((e && e.message) || e));

// subscriptions-transport-ws's client has no hooks on its socket: a subclass
// of the configured class records what the socket does and hears.
function recordedSocket(share, rec) {
  return class extends WsShare.SharedWebSocket.configure(share) {
    constructor(...args) {
      super(...args);
      rec.socket = this;
      for (const type of ['open', 'reconnecting']) this.addEventListener(type, () => rec.socketEvents.push(type));
      this.addEventListener('close', (e) => {
        rec.socketEvents.push('close');
        rec.closed.push(summary(e));
      });
      this.addEventListener('message', (e) => rec.messages.push(JSON.parse(e.data)));
    }
  };
}

// One client per tab, connected at once; its socket, events and messages
// land in window.rec. It never reconnects by itself: a close must show, and
// resuming is the library's job.
window.start = ({ dialect, tab, url, share, token }) => {
  const rec = {
    dialect, tab, socket: null, socketEvents: [], createdAt: Date.now(), connected: [], closed: [], errors: [], messages: [], ops: {},
  };
  window.rec = rec;
  if (dialect === 'subscriptions-transport-ws') {
    window.client = new SubscriptionClient(url, {
      reconnect: false,
      connectionParams: { token },
      connectionCallback: (error) => {
        if (error) rec.errors.push(summary(error));
        else rec.connected.push({ ms: Date.now() - rec.createdAt, wasRetry: false });
      },
    }, recordedSocket(share, rec));
    return;
  }
  window.client = createClient({
    url,
    webSocketImpl: WsShare.SharedWebSocket.configure(share),
    lazy: false,
    retryAttempts: 0,
    connectionParams: { token },
    onNonLazyError: (e) => rec.errors.push(summary(e)),
    on: {
      // The socket's first open, then whatever it does later.
      opened: (socket) => {
        rec.socket = socket;
        rec.socketEvents.push('open');
        for (const type of ['open', 'reconnecting', 'close']) socket.addEventListener(type, () => rec.socketEvents.push(type));
      },
      connected: (socket, payload, wasRetry) => rec.connected.push({ ms: Date.now() - rec.createdAt, wasRetry }),
      closed: (e) => rec.closed.push(summary(e)),
      message: (m) => rec.messages.push(m),
    },
  });
};

// Starts an operation; its results, error and completion land in rec.ops[name].
window.run = (name, query) => {
  const op = { next: [], error: null, complete: false };
  window.rec.ops[name] = op;
  const sink = {
    next: (value) => op.next.push(value),
    error: (e) => { op.error = summary(e); },
    complete: () => { op.complete = true; },
  };
  if (window.rec.dialect === 'subscriptions-transport-ws') window.client.request({ query }).subscribe(sink);
  else window.client.subscribe({ query }, sink);
};

// What the test reads back: the record without the socket, plus what the
// socket says of itself; a plain copy (a driver may return an object seen
// twice in one value only once).
window.seen = () => {
  const { socket, ...rest } = window.rec;
  return JSON.parse(JSON.stringify({ ...rest, mode: socket && socket.mode, isLeader: !!(socket && socket.isLeader) }));
};
window.pageReady = true;
</script>`;

// Each tab's operations, every result tagged with the tab's name (aliases).
const QUERY = {
  echo: (t) => `query { ${t}_echo: echo(text: "${t} hello") }`,
  bump: (t) => `mutation { ${t}_bump: bump(tab: "${t}") }`,
  slowBump: (t) => `mutation { ${t}_bump: bump(tab: "${t}", delayMs: 2000) }`,
  ticks: (t) => `subscription { ${t}_ticks: ticks(tab: "${t}") { tab n } }`,
};

const suite = clientSuite({ name: 'graphql', page: PAGE, client: 'graphql-client.mjs', summary: serverSummary });

// A fresh server of the dialect's protocol for each test.
const withServer = (dialect, fn) => suite.withServer(async () => {
  const server = await startGraphqlServer({ legacy: dialect.legacy });
  server.dialect = dialect;
  return server;
}, fn);

// Each test shares under a key of its own; tab names are unique per test too.
let tests = 0;
function sharing(name, more = {}) {
  tests += 1;
  return {
    share: { key: uniqueUser(name), ...more },
    names: [1, 2, 3, 4].map((i) => `${name}${tests}_t${i}`),
  };
}

// What a tab's client saw (see the page's seen()).
const seenIn = (tab) => tab.eval(() => window.seen());

// How many times each distinct item occurs: { '<item as JSON>': count }.
function tally(items) {
  const counts = {};
  for (const item of items) {
    const k = JSON.stringify(item);
    counts[k] = (counts[k] || 0) + 1;
  }
  return counts;
}

// What a tab or the server saw, short enough to read in a failure.
function tabSummary(seen) {
  if (typeof seen !== 'object') return seen;
  const { messages, ...rest } = seen;
  return { ...rest, messages: messageCounts(seen), lastMessages: messages.slice(-3) };
}
function serverSummary(s) {
  const { initPayloads, closes, ...rest } = s;
  return { ...rest, initPayloads: tally(initPayloads), closes: tally(closes) };
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
      `\n  the server saw ${JSON.stringify(serverSummary(server.stats()))}`);
  }
}

// Opens a tab whose client connects with the given share options and token;
// resolves once it is connected (connection_ack), else fails with what it saw.
async function openClient(ctx, server, name, share, { token = 'good', expectAck = true } = {}) {
  const tab = await ctx.openTab(suite.cat.url, suite.path);
  await tab.waitFor(() => window.pageReady === true);
  const t = { tab, name, dialect: server.dialect };
  await tab.eval((o) => window.start(o), { dialect: server.dialect.name, tab: name, url: server.url, share, token });
  if (expectAck) {
    await waitIn(t, server, () => window.rec.connected.length > 0 || window.rec.closed.length > 0, undefined,
      'connection_ack');
    const seen = await seenIn(tab);
    assert.equal(seen.connected.length, 1, `${name}: connected once, saw ${JSON.stringify(tabSummary(seen))}`);
  }
  return t;
}

async function openClients(ctx, server, names, share) {
  const tabs = [];
  for (const name of names) tabs.push(await openClient(ctx, server, name, share));
  return tabs;
}

const run = (t, op, query) => t.tab.eval(([o, q]) => window.run(o, q), [op, query]);

// Every tab runs a query, a mutation and a subscription at once.
async function runAll(tabs) {
  await Promise.all(tabs.map(async (t) => {
    await run(t, 'echo', QUERY.echo(t.name));
    await run(t, 'bump', QUERY.bump(t.name));
    await run(t, 'ticks', QUERY.ticks(t.name));
  }));
}

// One tick from the server; resolves once each tab's subscription has it.
async function tickReaches(server, tabs) {
  const n = server.tick();
  for (const t of tabs) {
    await waitIn(t, server, (k) => window.rec.ops.ticks.next.some((v) => Object.values(v.data || {}).some((x) => x && x.n === k)),
      n, `tick ${n} in its subscription`);
  }
  return n;
}

// The ticks a tab's subscription got, as [n…]; each must be its own.
async function ticksOf(t) {
  const seen = await seenIn(t.tab);
  return seen.ops.ticks.next.map((v) => {
    assert.deepEqual(Object.keys(v.data), [`${t.name}_ticks`], `${t.name}: a result of its own, saw ${JSON.stringify(v)}`);
    const tick = v.data[`${t.name}_ticks`];
    assert.equal(tick.tab, t.name, `${t.name}: its own tick, saw ${JSON.stringify(v)}`);
    return tick.n;
  });
}

// The query and the mutation each answered exactly once, with the tab's own
// result; the subscription got exactly the ticks `ns`.
async function ownResults(t, ns) {
  const seen = await seenIn(t.tab);
  const saw = `${t.name} saw ${JSON.stringify(tabSummary(seen))}`;
  assert.deepEqual(seen.ops.echo, { next: [{ data: { [`${t.name}_echo`]: `${t.name} hello` } }], error: null, complete: true },
    saw);
  assert.deepEqual(seen.ops.bump, { next: [{ data: { [`${t.name}_bump`]: 1 } }], error: null, complete: true }, saw);
  assert.deepEqual(await ticksOf(t), ns, `${t.name}: exactly ticks ${ns}; ${saw}`);
  assert.equal(seen.ops.ticks.error, null, saw);
  // Every result message it got names it: nothing of another tab's.
  const foreign = seen.messages.filter((m) => m.type === t.dialect.next &&
    !Object.keys(m.payload.data || {}).every((k) => k.startsWith(`${t.name}_`)));
  assert.deepEqual(foreign, [], `${t.name}: no other tab's result`);
  return seen;
}

// How many messages of each type a tab's client got.
function messageCounts(seen) {
  const counts = {};
  for (const m of seen.messages) counts[m.type] = (counts[m.type] || 0) + 1;
  return counts;
}

// Neither a close nor an error reached the tab's client, and its socket
// opened once: a second open would make the client send a second
// connection_init.
async function neverClosed(t) {
  const seen = await seenIn(t.tab);
  assert.deepEqual({ closed: seen.closed, errors: seen.errors, socketEvents: seen.socketEvents },
    { closed: [], errors: [], socketEvents: ['open'] },
    `${t.name}: no close, no error, one open, saw ${JSON.stringify(tabSummary(seen))}`);
}

// The tab's query and mutation are answered.
const answered = (t, server) => waitIn(t, server, () => window.rec.ops.echo.complete && window.rec.ops.bump.complete,
  undefined, 'its query and mutation answered');

// n tabs subscribed, each with its query and mutation answered and tick n1 seen.
async function subscribedTabs(ctx, server, names, share) {
  const tabs = await openClients(ctx, server, names, share);
  await runAll(tabs);
  await suite.serverSees(server, (s) => s.subscriptions.length === tabs.length, `${tabs.length} live subscriptions`);
  const n1 = await tickReaches(server, tabs);
  for (const t of tabs) await answered(t, server);
  return { tabs, n1 };
}

for (const dialect of DIALECTS) describe(`${dialect.name} clients in 3 tabs share one connection`, () => {
  test('each tab runs a query, a mutation and a subscription at once: exactly its own results; ' +
    '1 connection, 1 connection_init, no close from the server', async () => {
    const { share, names } = sharing(`${dialect.short}all`);
    await withServer(dialect, (server) => suite.browser.inContext(async (ctx) => {
      const { tabs, n1 } = await subscribedTabs(ctx, server, names.slice(0, 3), share);
      const n2 = await tickReaches(server, tabs);
      for (const t of tabs) {
        // subscriptions-transport-ws's keep-alive reaches every tab.
        if (dialect.legacy) {
          await waitIn(t, server, () => window.rec.messages.some((m) => m.type === 'ka'), undefined, 'a keep-alive');
        }
        const seen = await ownResults(t, [n1, n2]);
        const { ka, ...counts } = messageCounts(seen);
        assert.deepEqual(counts, { connection_ack: 1, [dialect.next]: 4, complete: 2 },
          `${t.name}: one ack, its 4 results and 2 completions`);
        assert.equal(ka > 0, dialect.legacy, `${t.name}: keep-alives only in subscriptions-transport-ws`);
        assert.equal(seen.mode, 'sharedworker');
        await neverClosed(t);
      }
      const s = server.stats();
      assert.deepEqual(s.connections, { total: 1, live: 1 }, 'one server connection');
      assert.equal(s.inits, 1, 'one connection_init reached the server');
      assert.deepEqual(tally(s.closes), {}, 'no close from the server');
      assert.deepEqual(s.mutations, Object.fromEntries(tabs.map((t) => [t.name, 1])), 'each mutation ran once');
      assert.deepEqual(s.subscriptions, tabs.map((t) => t.name).sort());
    }));
  });

  test('a tab closed mid-subscription: the server sees its subscription end; the others keep ticking', async () => {
    const { share, names } = sharing(`${dialect.short}close`);
    await withServer(dialect, (server) => suite.browser.inContext(async (ctx) => {
      const { tabs, n1 } = await subscribedTabs(ctx, server, names.slice(0, 3), share);
      const [a, b, gone] = tabs;
      await gone.tab.close();
      await suite.serverSees(server, (s) => s.subscriptions.join() === [a.name, b.name].sort().join(),
        `only ${a.name} and ${b.name} subscribed`);
      const n2 = await tickReaches(server, [a, b]);
      for (const t of [a, b]) {
        await ownResults(t, [n1, n2]);
        await neverClosed(t);
      }
      assert.deepEqual(server.stats().connections, { total: 1, live: 1 }, 'the one connection stays');
      assert.deepEqual(tally(server.stats().closes), {});
    }));
  });

  test('a 4th tab joining late gets its connection_ack at once, from no new connection_init, and its own results', async () => {
    const { share, names } = sharing(`${dialect.short}late`);
    await withServer(dialect, (server) => suite.browser.inContext(async (ctx) => {
      const { tabs, n1 } = await subscribedTabs(ctx, server, names.slice(0, 3), share);
      const late = await openClient(ctx, server, names[3], share);
      const { connected } = await seenIn(late.tab);
      suite.figures.push(`${ENGINE}, ${dialect.name}: a tab joining late had its connection_ack ${connected[0].ms} ms after creating its client`);
      assert.equal(server.stats().inits, 1, 'the late tab\'s connection_init did not reach the server');
      await runAll([late]);
      await suite.serverSees(server, (s) => s.subscriptions.length === 4, '4 live subscriptions');
      const n2 = await tickReaches(server, [...tabs, late]);
      await answered(late, server);
      await ownResults(late, [n2]);
      for (const t of tabs) await ownResults(t, [n1, n2]);
      const s = server.stats();
      assert.deepEqual(s.connections, { total: 1, live: 1 });
      assert.equal(s.inits, 1);
      assert.deepEqual(tally(s.closes), {});
      assert.deepEqual(s.mutations, Object.fromEntries([...tabs, late].map((t) => [t.name, 1])));
    }));
  });

  test('a tab whose connection_init payload differs does not ride on the shared connection: ' +
    `it gets close ${dialect.forbiddenCode} naming the cause`, async () => {
    const { share, names } = sharing(`${dialect.short}other`);
    await withServer(dialect, (server) => suite.browser.inContext(async (ctx) => {
      const { tabs, n1 } = await subscribedTabs(ctx, server, names.slice(0, 3), share);
      const other = await openClient(ctx, server, names[3], share, { token: 'other', expectAck: false });
      await waitIn(other, server, () => window.rec.closed.length > 0, undefined, 'a close');
      const seen = await seenIn(other.tab);
      assert.deepEqual(seen.connected, [], `never acknowledged: ${JSON.stringify(tabSummary(seen))}`);
      assert.equal(seen.closed.length, 1, `one close: ${JSON.stringify(tabSummary(seen))}`);
      assert.equal(seen.closed[0].code, dialect.forbiddenCode,
        `close ${dialect.forbiddenCode}: ${JSON.stringify(tabSummary(seen))}`);
      // subscriptions-transport-ws's server says connection_error first.
      if (dialect.legacy) {
        assert.equal(seen.errors.length, 1, `its connection_error: ${JSON.stringify(tabSummary(seen))}`);
        assert.match(seen.errors[0], /connection_init.*sharing key/);
      }
      assert.match(seen.closed[0].reason, /init|payload/i, 'the reason names the differing connection_init payload');
      const s = server.stats();
      assert.equal(s.inits, 1, 'its connection_init never reached the server');
      assert.deepEqual(tally(s.initPayloads), { [JSON.stringify({ token: 'good' })]: 1 });
      assert.deepEqual(s.connections, { total: 1, live: 1 });
      assert.deepEqual(tally(s.closes), {}, 'the server closed nothing');
      const n2 = await tickReaches(server, tabs);
      for (const t of tabs) {
        await ownResults(t, [n1, n2]);
        await neverClosed(t);
      }
    }));
  });

  test('a server drop mid-subscription: every subscription resumes on the next connection, ' +
    'the clients see no close', async () => {
    const { share, names } = sharing(`${dialect.short}drop`);
    await withServer(dialect, (server) => suite.browser.inContext(async (ctx) => {
      const { tabs, n1 } = await subscribedTabs(ctx, server, names.slice(0, 3), share);
      const t0 = Date.now();
      server.dropAll();
      await suite.serverSees(server, (s) => s.connections.total === 2 && s.subscriptions.length === 3,
        'a second connection with the 3 subscriptions back');
      const n2 = await tickReaches(server, tabs);
      suite.figures.push(`${ENGINE}, ${dialect.name}: after a server drop every tab's subscription ticked again within ${Date.now() - t0} ms`);
      for (const t of tabs) {
        await ownResults(t, [n1, n2]);
        await neverClosed(t);
      }
      const s = server.stats();
      assert.deepEqual(s.connections, { total: 2, live: 1 }, 'one connection, then one more');
      assert.equal(s.inits, 2, 'one connection_init per connection');
      assert.deepEqual(tally(s.closes), {});
      assert.deepEqual(s.subscriptions, tabs.map((t) => t.name).sort(), 'each subscription once');
      assert.deepEqual(s.mutations, Object.fromEntries(tabs.map((t) => [t.name, 1])), 'no mutation run again');
    }));
  });

  test('a mutation in flight at a server drop gets an error in its tab and is never run again', async () => {
    const { share, names } = sharing(`${dialect.short}flight`);
    await withServer(dialect, (server) => suite.browser.inContext(async (ctx) => {
      const { tabs, n1 } = await subscribedTabs(ctx, server, names.slice(0, 3), share);
      const [a] = tabs;
      await run(a, 'slow', QUERY.slowBump(a.name));
      await suite.serverSees(server, (s) => s.mutations[a.name] === 2, `the slow mutation of ${a.name} running`);
      server.dropAll();
      await waitIn(a, server, () => window.rec.ops.slow.error !== null, undefined, 'an error for the mutation in flight');
      await suite.serverSees(server, (s) => s.connections.total === 2 && s.subscriptions.length === 3,
        'a second connection with the 3 subscriptions back');
      const n2 = await tickReaches(server, tabs);
      const seen = await seenIn(a.tab);
      assert.deepEqual(seen.ops.slow.next, [], `no result for it: ${JSON.stringify(seen.ops.slow)}`);
      // graphql-ws hands its sink the GraphQL errors; subscriptions-transport-ws
      // hands its observer the first of them.
      const errors = dialect.legacy ? [seen.ops.slow.error] : seen.ops.slow.error;
      assert.ok(Array.isArray(errors) && errors.length > 0 && errors.every((e) => /connection was lost/.test(e)),
        `the error came in the protocol's form, GraphQL errors that say why: ${JSON.stringify(seen.ops.slow)}`);
      for (const t of tabs) {
        await ownResults(t, [n1, n2]);
        await neverClosed(t);
      }
      const s = server.stats();
      assert.equal(s.mutations[a.name], 2, 'the mutation in flight ran once (and the first bump once)');
      assert.deepEqual(s.connections, { total: 2, live: 1 });
      suite.figures.push(`${ENGINE}, ${dialect.name}: a mutation in flight at a drop got ${JSON.stringify(seen.ops.slow.error)}`);
    }));
  });

  // The leader tab goes: the next leader opens a new connection and brings
  // back the subscriptions of the tabs left, and nothing else.
  for (const how of ['close', 'crash']) {
    test(`election mode, the leader tab's ${how}: the others' subscriptions resume, nothing run twice`,
      { skip: how === 'crash' && lacks('crash') }, async () => {
        const { share, names } = sharing(`${dialect.short}elect${how}`, { mode: 'election' });
        await withServer(dialect, (server) => suite.browser.inContext(async (ctx) => {
          const { tabs, n1 } = await subscribedTabs(ctx, server, names.slice(0, 3), share);
          const flags = await Promise.all(tabs.map(async (t) => (await seenIn(t.tab)).isLeader));
          const { leader, left } = oneLeader(tabs, flags);
          const t0 = Date.now();
          if (how === 'close') await leader.tab.close();
          else await leader.tab.crash();
          await suite.serverSees(server, (s) => s.connections.total === 2 && s.connections.live === 1 &&
            s.subscriptions.join() === left.map((t) => t.name).sort().join(),
          'a second connection with the subscriptions of the tabs left, and only those');
          const n2 = await tickReaches(server, left);
          suite.figures.push(`${ENGINE}, ${dialect.name}: leader tab ${how}: the others' subscriptions ticked again within ${Date.now() - t0} ms`);
          for (const t of left) {
            const seen = await ownResults(t, [n1, n2]);
            assert.equal(seen.mode, 'election');
            await neverClosed(t);
          }
          const s = server.stats();
          assert.equal(s.inits, 2, 'one connection_init per connection');
          assert.deepEqual(tally(s.closes), {});
          assert.deepEqual(s.mutations, Object.fromEntries(tabs.map((t) => [t.name, 1])), 'no mutation run again');
        }));
      });
  }
});
