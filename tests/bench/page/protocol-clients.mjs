// The tab side of the protocol benchmarks: unmodified client libraries
// (graphql-ws's createClient, json-rpc-2.0's JSONRPCClient, bundled by the
// runner) given either the browser's WebSocket or SharedWebSocket, as an app
// would give them one. Times are epoch milliseconds, as in bench.mjs.

import { SharedWebSocket } from '/dist/wsshare.mjs';
import { createClient, JSONRPCClient } from '/lib/clients.mjs';

const epoch = () => performance.timeOrigin + performance.now();

// The WebSocket class each variant hands a client library.
const SOCKETS = {
  plain: () => WebSocket,
  wsshare: (key) => SharedWebSocket.configure({ key, mode: 'sharedworker' }),
};

const describe = (e) => (e && typeof e.code === 'number' ? `close ${e.code} ${e.reason}`
  : Array.isArray(e) ? e.map((x) => x.message).join('; ') : String((e && e.message) || e));

// ---- graphql-ws: one subscription, counting its events ----

let sub = null;

// Creates the tab's client and starts its subscription; events numbered from
// 1 must come in order. The runner learns from the server when it is live.
export function graphqlSubscribe(variant, url, key, query) {
  const got = { count: 0, disorder: 0, bad: 0, firstAt: 0, lastAt: 0, complete: false, error: null };
  let finish;
  const done = new Promise((resolve) => { finish = resolve; });
  const fail = (e) => {
    got.error = got.error || describe(e);
    finish();
  };
  const client = createClient({
    url,
    webSocketImpl: SOCKETS[variant](key),
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: fail,
    on: { opened: (socket) => { sub.socket = socket; } },
  });
  client.subscribe({ query }, {
    next(value) {
      const t = epoch();
      const event = value && value.data && value.data.events;
      if (!event) {
        got.bad++;
        return;
      }
      got.count++;
      if (event.n !== got.count) got.disorder++;
      if (!got.firstAt) got.firstAt = t;
      got.lastAt = t;
    },
    error: fail,
    complete() {
      got.complete = true;
      finish();
    },
  });
  sub = { client, got, done, socket: null };
}

// What the subscription got so far.
export const graphqlReceived = () => ({ ...sub.got });

// Resolves once the subscription completed (or failed), with what it got.
export async function graphqlDone() {
  await sub.done;
  return { ...sub.got };
}

// Server frames per bus post in wsshare's leader, over its socket's life;
// null for a plain socket.
export async function graphqlFramesPerPost() {
  if (!sub.socket || typeof sub.socket.stats !== 'function') return null;
  const { leader } = await sub.socket.stats();
  return leader.framesFromServer / leader.dataPosts;
}

// ---- JSON-RPC 2.0: sequential calls of `echo` ----

let rpc = null;

// Opens the tab's socket and puts a client on it; resolves once it is open.
export function jsonrpcOpen(variant, url, key) {
  return new Promise((resolve, reject) => {
    const Socket = SOCKETS[variant](key);
    const ws = new Socket(url);
    const client = new JSONRPCClient((request) => ws.send(JSON.stringify(request)));
    ws.addEventListener('message', (e) => client.receive(JSON.parse(e.data)));
    ws.addEventListener('open', () => resolve(ws.readyState), { once: true });
    ws.addEventListener('close', (e) => {
      client.rejectAllPendingRequests(`the socket closed: ${e.code}`);
      reject(new Error(`closed: ${e.code} ${e.reason}`));
    }, { once: true });
    rpc = { ws, client };
  });
}

// n calls one after the other; the milliseconds each took from request() to
// its answer. Every answer must be the echo of its own request.
export async function jsonrpcTrips(n, text) {
  const rtts = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const back = await rpc.client.request('echo', { i, text });
    rtts[i] = performance.now() - t;
    if (!back || back.i !== i || back.text !== text) throw new Error(`call ${i} answered with ${JSON.stringify(back)}`);
  }
  return rtts;
}

// The core's counters in wsshare's leader; null for a plain socket.
export const jsonrpcLeaderStats = async () => (typeof rpc.ws.stats === 'function' ? (await rpc.ws.stats()).leader : null);
