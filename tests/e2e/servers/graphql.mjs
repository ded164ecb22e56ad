// A GraphQL server over WebSocket for the browser tests, in either protocol:
// graphql-ws's own useServer (subprotocol graphql-transport-ws) or, with
// { legacy: true }, subscriptions-transport-ws's own SubscriptionServer
// (subprotocol graphql-ws), on a `ws` WebSocketServer, on 127.0.0.1 and a
// port of the system's choosing. It counts what a test needs to tell one
// shared connection from many: the connections, the connection_init messages,
// the closes it sent (4xxx, or 1011 after a refused init), the mutations each
// tab ran and the subscriptions that are live. Ticks come when the test says
// so (tick()), to every live subscription at once.

import { WebSocketServer } from 'ws';
import { buildSchema, execute, subscribe } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { SubscriptionServer } from 'subscriptions-transport-ws';

const schema = buildSchema(`
  type Query { echo(text: String!): String! }
  type Mutation { bump(tab: String!, delayMs: Int): Int! }
  type Tick { tab: String!, n: Int! }
  type Subscription { ticks(tab: String!): Tick! }
`);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// subscriptions-transport-ws's keep-alive: often, so that the tests see
// every tab get it.
const KEEP_ALIVE_MS = 1000;

export async function startGraphqlServer({ legacy = false } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });

  const connections = { total: 0, live: 0 };
  const inits = [];       // each connection_init's payload, in arrival order
  const closes = [];      // each close this server sent (4xxx, 1011): { code, reason }
  const mutations = {};   // tab -> bump executions started
  const subscriptions = new Set(); // live ticks subscriptions: { tab, push, end }
  let n = 0;

  // Registered before useServer's own listener, so it sees every socket
  // first: it counts the socket, its connection_init messages and the
  // closes the protocol's server sends on it.
  wss.on('connection', (socket) => {
    connections.total += 1;
    connections.live += 1;
    socket.once('close', () => { connections.live -= 1; });
    socket.on('message', (data) => {
      try {
        const message = JSON.parse(String(data));
        if (message.type === 'connection_init') inits.push(message.payload ?? null);
      } catch { /* graphql-ws answers a malformed message itself */ }
    });
    // ws answers a close frame from the client through this same close();
    // that answer (a close frame already received) is not this server's.
    const close = socket.close.bind(socket);
    socket.close = (code, reason) => {
      const answer = socket._closeFrameReceived;
      if (!answer && socket.readyState === socket.OPEN && (code === 1011 || (code >= 4000 && code <= 4999))) {
        closes.push({ code, reason: String(reason ?? '') });
      }
      return close(code, reason);
    };
  });

  // A subscription's source: ticks queue up until graphql-js pulls them;
  // return() ends it at once, whatever it was waiting for.
  function tickStream(tab) {
    const queue = [];
    let wake = () => {};
    let done = false;
    const sub = {
      tab,
      push(value) { queue.push(value); wake(); },
      end() { done = true; subscriptions.delete(sub); wake(); },
    };
    subscriptions.add(sub);
    return {
      [Symbol.asyncIterator]() { return this; },
      async next() {
        while (!queue.length && !done) await new Promise((resolve) => { wake = resolve; });
        return done ? { value: undefined, done: true } : { value: queue.shift(), done: false };
      },
      async return() {
        sub.end();
        return { value: undefined, done: true };
      },
    };
  }

  const roots = {
    query: { echo: ({ text }) => text },
    mutation: {
      // Counted when it starts: a mutation sent twice shows as 2.
      bump: async ({ tab, delayMs }) => {
        mutations[tab] = (mutations[tab] || 0) + 1;
        const count = mutations[tab];
        if (delayMs) await sleep(delayMs);
        return count;
      },
    },
    subscription: { ticks: ({ tab }) => tickStream(tab) },
  };

  // A connection_init whose token is "bad" is refused: graphql-ws closes
  // with 4403 Forbidden, subscriptions-transport-ws answers connection_error
  // and closes with 1011.
  if (legacy) {
    SubscriptionServer.create({
      schema, execute, subscribe,
      rootValue: { ...roots.query, ...roots.mutation, ...roots.subscription },
      keepAlive: KEEP_ALIVE_MS,
      onConnect: (params) => params?.token !== 'bad',
    }, wss);
  } else {
    useServer({
      schema,
      roots,
      onConnect: (ctx) => ctx.connectionParams?.token !== 'bad',
    }, wss);
  }

  return {
    url: `ws://127.0.0.1:${wss.address().port}/graphql`,
    stats: () => ({
      connections: { ...connections },
      inits: inits.length,
      initPayloads: inits.slice(),
      closes: closes.slice(),
      mutations: { ...mutations },
      subscriptions: [...subscriptions].map((s) => s.tab).sort(),
    }),
    // One tick to every live subscription; returns its number.
    tick() {
      n += 1;
      for (const sub of subscriptions) sub.push({ ticks: { tab: sub.tab, n } });
      return n;
    },
    // A server drop: every socket cut without a close handshake.
    dropAll() {
      for (const socket of wss.clients) socket.terminate();
    },
    async close() {
      for (const socket of wss.clients) socket.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}
