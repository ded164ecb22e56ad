// An ActionCable server for the browser tests, on `ws`, 127.0.0.1, a port of
// the system's choosing. npm has no Rails: this one follows the wire protocol
// as Rails' ActionCable server speaks it (actioncable-v1-json): a welcome on
// connect, a ping every 3 s, one subscription per identifier and connection
// (a subscribe for an identifier it has is ignored, as Rails does, and one
// unsubscribe ends it for the connection), confirm_subscription or
// reject_subscription, actions performed through "message" commands, and
// broadcasts to every subscription of a stream under its own identifier.
// One channel: ChatChannel, streaming from its room; a room named "closed"
// is refused. It counts what a test needs to tell one shared connection from
// many.

import { WebSocketServer } from 'ws';

const PROTOCOL = 'actioncable-v1-json';
const PING_MS = 3000;

export async function startActionCableServer() {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (offered) => (offered.has(PROTOCOL) ? PROTOCOL : false),
  });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });

  const connections = { total: 0, live: 0 };
  const subscribes = {};   // room -> subscribe commands that made a subscription
  const unsubscribes = {}; // room -> unsubscribe commands that ended one
  const ignored = {};      // room -> subscribes ignored (the connection had it)
  const spoken = [];       // each speak action performed: { room, text, tab }
  const live = new Set();  // every connection's state: { socket, subs: Map identifier -> room }

  const send = (socket, message) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const bump = (counts, room) => { counts[room] = (counts[room] || 0) + 1; };

  function broadcast(room, message) {
    let n = 0;
    for (const conn of live) {
      for (const [identifier, r] of conn.subs) {
        if (r === room) {
          send(conn.socket, { identifier, message });
          n += 1;
        }
      }
    }
    return n;
  }

  function command(conn, data) {
    let cmd;
    let params;
    try {
      cmd = JSON.parse(String(data));
      params = JSON.parse(cmd.identifier);
    } catch {
      return; // Rails logs what it cannot read and answers nothing
    }
    const room = String(params.room);
    if (cmd.command === 'subscribe') {
      if (conn.subs.has(cmd.identifier)) {
        bump(ignored, room);
        return;
      }
      if (params.channel !== 'ChatChannel' || room === 'closed') {
        send(conn.socket, { identifier: cmd.identifier, type: 'reject_subscription' });
        return;
      }
      conn.subs.set(cmd.identifier, room);
      bump(subscribes, room);
      send(conn.socket, { identifier: cmd.identifier, type: 'confirm_subscription' });
    } else if (cmd.command === 'unsubscribe') {
      if (conn.subs.delete(cmd.identifier)) bump(unsubscribes, room);
    } else if (cmd.command === 'message' && conn.subs.has(cmd.identifier)) {
      const action = JSON.parse(cmd.data);
      if (action.action === 'speak') {
        spoken.push({ room, text: action.text, tab: action.tab });
        broadcast(room, { text: action.text, tab: action.tab });
      }
    }
  }

  wss.on('connection', (socket) => {
    const conn = { socket, subs: new Map() };
    live.add(conn);
    connections.total += 1;
    connections.live += 1;
    send(socket, { type: 'welcome' });
    const ping = setInterval(() => send(socket, { type: 'ping', message: Math.floor(Date.now() / 1000) }), PING_MS);
    socket.on('message', (data) => command(conn, data));
    socket.once('close', () => {
      clearInterval(ping);
      live.delete(conn);
      connections.live -= 1;
    });
  });

  return {
    url: `ws://127.0.0.1:${wss.address().port}/cable`,
    stats: () => ({
      connections: { ...connections },
      subscribes: { ...subscribes },
      unsubscribes: { ...unsubscribes },
      ignored: { ...ignored },
      spoken: spoken.slice(),
      // The rooms each live connection is subscribed to, sorted.
      subscribed: [...live].map((c) => [...c.subs.values()].sort()),
    }),
    // A message to every subscription of the room; returns how many.
    broadcast,
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
