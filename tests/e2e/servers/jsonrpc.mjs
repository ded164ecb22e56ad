// A JSON-RPC 2.0 server for the browser tests: json-rpc-2.0's JSONRPCServer
// behind a `ws` WebSocketServer, on 127.0.0.1 and a port of the system's
// choosing. Methods:
//   echo(x)                   x, after a random 0-20 ms, so answers interleave
//   add(a, b)                 a + b
//   counter_bump(tab, delayMs?)  how many times tab bumped, counted when the
//                             call starts (a duplicate shows); answered after
//                             delayMs, to keep a call in flight
//   demo_subscribe(["ticks", tab])  a fresh subscription id ("0x…") per call
//   demo_unsubscribe([id])    true when id was live on this socket
// tick() sends a demo_subscription notification to every live subscription,
// on the socket that made it, eth_subscribe style.

import { WebSocketServer } from 'ws';
import { JSONRPCServer } from 'json-rpc-2.0';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startJsonRpcServer() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });

  const connections = { total: 0, live: 0 };
  const bumps = {};                  // tab -> counter_bump calls started
  const live = new Map();            // subscription id -> { tab, socket }
  let unsubscribes = 0;              // demo_unsubscribe calls that ended a live one
  let lastId = 0;
  let n = 0;

  const rpc = new JSONRPCServer();
  rpc.addMethod('echo', async (x) => {
    await sleep(Math.floor(Math.random() * 21));
    return x;
  });
  rpc.addMethod('add', ([a, b]) => a + b);
  rpc.addMethod('counter_bump', async ([tab, delayMs]) => {
    bumps[tab] = (bumps[tab] || 0) + 1;
    const count = bumps[tab];
    if (delayMs) await sleep(delayMs);
    return count;
  });
  rpc.addMethod('demo_subscribe', ([topic, tab], { socket }) => {
    if (topic !== 'ticks') throw new Error(`no such topic: ${topic}`);
    lastId += 1;
    const id = `0x${lastId.toString(16)}`;
    live.set(id, { tab, socket });
    return id;
  });
  rpc.addMethod('demo_unsubscribe', ([id], { socket }) => {
    const sub = live.get(id);
    if (!sub || sub.socket !== socket) return false;
    live.delete(id);
    unsubscribes += 1;
    return true;
  });

  wss.on('connection', (socket) => {
    connections.total += 1;
    connections.live += 1;
    socket.on('message', async (data) => {
      let request;
      try {
        request = JSON.parse(String(data));
      } catch {
        socket.send(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
        return;
      }
      const response = await rpc.receive(request, { socket });
      if (response && socket.readyState === socket.OPEN) socket.send(JSON.stringify(response));
    });
    // A subscription lives as long as its socket.
    socket.once('close', () => {
      connections.live -= 1;
      for (const [id, sub] of live) if (sub.socket === socket) live.delete(id);
    });
  });

  return {
    url: `ws://127.0.0.1:${wss.address().port}/rpc`,
    stats: () => ({
      connections: { ...connections },
      bumps: { ...bumps },
      unsubscribes,
      // The live subscriptions: [{ id, tab }], by tab.
      subscriptions: [...live].map(([id, { tab }]) => ({ id, tab })).sort((a, b) => a.tab.localeCompare(b.tab)),
    }),
    // One tick to every live subscription; returns its number.
    tick() {
      n += 1;
      for (const [id, { tab, socket }] of live) {
        socket.send(JSON.stringify({
          jsonrpc: '2.0', method: 'demo_subscription', params: { subscription: id, result: { tab, n } },
        }));
      }
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
