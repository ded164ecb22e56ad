// The servers of the protocol benchmarks, each on 127.0.0.1 and a port of the
// system's choosing, one per round: a graphql-ws server (graphql-ws's own
// useServer on `ws`) whose subscriptions publish as fast as they are taken,
// and a JSON-RPC 2.0 server (json-rpc-2.0's JSONRPCServer on `ws`) with an
// `echo` method that answers at once. And the client libraries the pages run,
// bundled for the browser by esbuild and served from memory.

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { JSONRPCServer } from 'json-rpc-2.0';
import { WebSocketServer } from 'ws';
import { epoch } from './blaster.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Where the pages import the bundle from (page/protocol-clients.mjs).
export const CLIENTS_PATH = '/lib/clients.mjs';

// graphql-ws's browser client and json-rpc-2.0's client as one ES module,
// bundled as an app would bundle them. Resolves with { [url path]: bytes }.
export async function bundleClients() {
  const out = await build({
    stdin: {
      contents: "export { createClient } from 'graphql-ws/client';\nexport { JSONRPCClient } from 'json-rpc-2.0';\n",
      resolveDir: ROOT,
      sourcefile: 'bench-clients.mjs',
    },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2020', write: false, logLevel: 'warning',
  });
  return { [CLIENTS_PATH]: out.outputFiles[0].contents };
}

async function listen() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  let accepted = 0;
  wss.on('connection', (socket) => {
    accepted += 1;
    socket.on('error', () => {});
  });
  return {
    wss,
    accepted: () => accepted,
    close() {
      for (const socket of wss.clients) socket.terminate();
      return new Promise((resolve) => wss.close(resolve));
    },
  };
}

// ---- graphql-ws: a burst of events to every subscription ----

const schema = buildSchema(`
  type Query { ok: Boolean! }
  type Event { n: Int!, text: String! }
  type Subscription { events: Event! }
`);
// Each event's text: with the envelope, a `next` frame of about 100 bytes.
const TEXT = 'e'.repeat(32);

export const EVENTS_QUERY = 'subscription { events { n text } }';

export async function startGraphqlBench() {
  const server = await listen();
  const subscriptions = []; // { sent } per subscription, in the order made
  let go;
  const started = new Promise((resolve) => { go = resolve; });
  let deadline = 0;

  // A subscription waits for burst(), then yields events numbered from 1
  // for as long as the burst lasts (one at least), each as soon as
  // graphql-ws asks for the next (once it has handed the last to its
  // socket), then completes.
  async function* events(sub) {
    await started;
    do {
      sub.sent += 1;
      yield { events: { n: sub.sent, text: TEXT } };
    } while (epoch() < deadline);
  }

  useServer({
    schema,
    roots: {
      query: { ok: () => true },
      subscription: {
        events: () => {
          const sub = { sent: 0 };
          subscriptions.push(sub);
          return events(sub);
        },
      },
    },
  }, server.wss);

  return {
    url: `ws://127.0.0.1:${server.wss.address().port}/graphql`,
    stats: () => ({ accepted: server.accepted(), subscriptions: subscriptions.length, sent: subscriptions.map((s) => s.sent) }),
    // Every subscription publishes for `ms` from now; resolves with when it began.
    burst(ms) {
      const t0 = epoch();
      deadline = t0 + ms;
      go();
      return { t0 };
    },
    close: server.close,
  };
}

// ---- JSON-RPC 2.0: echo, answered at once ----

export async function startJsonRpcBench() {
  const server = await listen();
  const rpc = new JSONRPCServer();
  rpc.addMethod('echo', (params) => params);
  server.wss.on('connection', (socket) => {
    socket.on('message', async (data) => {
      const response = await rpc.receive(JSON.parse(String(data)));
      if (response && socket.readyState === socket.OPEN) socket.send(JSON.stringify(response));
    });
  });
  return {
    url: `ws://127.0.0.1:${server.wss.address().port}/rpc`,
    stats: () => ({ accepted: server.accepted() }),
    close: server.close,
  };
}
