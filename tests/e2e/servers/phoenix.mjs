// A Phoenix Channels server for the browser tests, on `ws`, 127.0.0.1, a
// port of the system's choosing. npm has no Phoenix: this one follows the
// wire protocol as Phoenix's socket speaks it to its JavaScript client with
// the V2 serializer (`/socket/websocket?...&vsn=2.0.0`, every message
// [join_ref, ref, topic, event, payload]): heartbeats on the "phoenix" topic
// answered with phx_reply; phx_join answered ok (or error, for a topic it
// refuses); a second phx_join of a topic on one connection closes the first
// channel with phx_close, as Phoenix does; phx_leave answered ok, then
// phx_close; a push outside the connection's joins answered with an
// "unmatched topic" error; broadcasts to every channel of a topic under its
// own join_ref; a connection that sent no heartbeat for 60 s closed, as
// Phoenix does. One channel module: room:* topics ("room:closed" is
// refused), with a "shout" event broadcast to the room, an "echo" event
// answered to the pusher alone and a "slow" one never answered. It counts what a test needs to tell one
// shared connection from many.

import { WebSocketServer } from 'ws';

const PATH = '/socket/websocket';

export async function startPhoenixServer({ heartbeatTimeoutMs = 60000 } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: PATH });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });

  const connections = { total: 0, live: 0, timedOut: 0, refused: 0 };
  const joins = {};       // topic -> phx_join answered ok
  const refusals = {};    // topic -> phx_join answered error
  const duplicates = {};  // topic -> a join that closed the connection's channel of it
  const leaves = {};      // topic -> phx_leave that ended a channel
  const unmatched = [];   // pushes outside the connection's joins: { topic, event }
  const pushes = [];      // every shout and echo handled: { topic, event, tab, body }
  let heartbeats = 0;
  const live = new Set(); // { socket, channels: Map topic -> join_ref, params }

  const send = (socket, message) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const bump = (counts, key) => { counts[key] = (counts[key] || 0) + 1; };
  const reply = (conn, joinRef, ref, topic, status, response) =>
    send(conn.socket, [joinRef, ref, topic, 'phx_reply', { status, response }]);

  // A message to every channel of the topic, under its join_ref; returns how many.
  function broadcast(topic, event, payload) {
    let n = 0;
    for (const conn of live) {
      const joinRef = conn.channels.get(topic);
      if (joinRef !== undefined) {
        send(conn.socket, [joinRef, null, topic, event, payload]);
        n += 1;
      }
    }
    return n;
  }

  function message(conn, data, isBinary) {
    let msg;
    try {
      if (isBinary) throw new Error('binary');
      msg = JSON.parse(String(data));
    } catch {
      return; // Phoenix logs what it cannot decode and answers nothing
    }
    if (!Array.isArray(msg) || msg.length !== 5) return;
    const [joinRef, ref, topic, event, payload] = msg;
    if (topic === 'phoenix' && event === 'heartbeat') {
      heartbeats += 1;
      conn.lastHeartbeat = Date.now();
      reply(conn, null, ref, 'phoenix', 'ok', {});
      return;
    }
    if (event === 'phx_join') {
      const had = conn.channels.get(topic);
      if (had !== undefined) {
        // Phoenix: "Duplicate channel join ... Closing existing channel for new join."
        bump(duplicates, topic);
        conn.channels.delete(topic);
        send(conn.socket, [had, had, topic, 'phx_close', {}]);
      }
      if (!topic.startsWith('room:') || topic === 'room:closed') {
        bump(refusals, topic);
        reply(conn, joinRef, ref, topic, 'error', { reason: 'unauthorized' });
        return;
      }
      conn.channels.set(topic, joinRef);
      bump(joins, topic);
      reply(conn, joinRef, ref, topic, 'ok', { topic, params: payload });
      return;
    }
    const current = conn.channels.get(topic);
    if (event === 'phx_leave') {
      reply(conn, joinRef, ref, topic, 'ok', {});
      if (current !== undefined && current === joinRef) {
        conn.channels.delete(topic);
        bump(leaves, topic);
        send(conn.socket, [joinRef, joinRef, topic, 'phx_close', {}]);
      }
      return;
    }
    if (current === undefined || current !== joinRef) {
      unmatched.push({ topic, event });
      reply(conn, joinRef, ref, topic, 'error', { reason: 'unmatched topic' });
      return;
    }
    pushes.push({ topic, event, tab: payload && payload.tab, body: payload && payload.body });
    if (event === 'shout') {
      broadcast(topic, 'msg', { body: payload.body, tab: payload.tab });
      reply(conn, joinRef, ref, topic, 'ok', { shouted: payload.body });
    } else if (event === 'echo') {
      reply(conn, joinRef, ref, topic, 'ok', { echo: payload });
    } else if (event === 'slow') {
      // Never answered: a push still in flight when the connection goes.
    } else {
      reply(conn, joinRef, ref, topic, 'error', { reason: `no handler for ${event}` });
    }
  }

  wss.on('connection', (socket, request) => {
    const query = new URL(request.url, 'http://localhost').searchParams;
    if (!String(query.get('vsn')).startsWith('2.')) {
      connections.refused += 1;
      socket.close(1008, 'vsn 2 only');
      return;
    }
    const conn = { socket, channels: new Map(), lastHeartbeat: Date.now(), params: Object.fromEntries(query) };
    live.add(conn);
    connections.total += 1;
    connections.live += 1;
    // Phoenix closes a connection whose client stopped its heartbeats.
    const watch = setInterval(() => {
      if (Date.now() - conn.lastHeartbeat > heartbeatTimeoutMs) {
        connections.timedOut += 1;
        socket.terminate();
      }
    }, 250);
    socket.on('message', (data, isBinary) => message(conn, data, isBinary));
    socket.once('close', () => {
      clearInterval(watch);
      live.delete(conn);
      connections.live -= 1;
    });
  });

  return {
    url: `ws://127.0.0.1:${wss.address().port}/socket`,
    stats: () => ({
      connections: { ...connections },
      joins: { ...joins },
      refusals: { ...refusals },
      duplicates: { ...duplicates },
      leaves: { ...leaves },
      unmatched: unmatched.slice(),
      pushes: pushes.slice(),
      heartbeats,
      // The topics each live connection has joined, sorted.
      joined: [...live].map((c) => [...c.channels.keys()].sort()),
      params: [...live].map((c) => c.params),
    }),
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
