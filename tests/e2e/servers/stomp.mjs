// A STOMP 1.2 broker for the browser tests, on `ws`, 127.0.0.1, a port of the
// system's choosing. It speaks the protocol as RabbitMQ's Web STOMP or
// ActiveMQ do over a WebSocket: the subprotocol v12.stomp (v11, v10), a
// CONNECT checked against its users and answered with CONNECTED, a session id
// and the negotiated heart-beat; heart-beats sent as EOLs and the client's
// required when it promised them (a silent client is cut); SUBSCRIBE under
// ids of the connection's (a second one with an id in use is an ERROR, as
// brokers answer it), MESSAGE with subscription, message-id and destination
// headers, transactions, RECEIPT for a receipt header, and ERROR then close
// for anything it cannot accept. It counts what a test needs to tell one
// shared connection from many.

import { WebSocketServer } from 'ws';

const VERSIONS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];
// The server's heart-beat: it sends one at least this often and wants the
// client's as often.
const BEAT_MS = 1000;
const USERS = { guest: 'guest', other: 'other' };

// "COMMAND\nheaders\n\nbody\0", with 1.2's escapes in header values.
function encode(command, headers, body = '') {
  const esc = (v) => String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/:/g, '\\c').replace(/\r/g, '\\r');
  const lines = Object.entries(headers).map(([k, v]) => `${k}:${command === 'CONNECTED' ? v : esc(v)}`);
  return `${command}\n${lines.join('\n')}${lines.length ? '\n' : ''}\n${body}\0`;
}

// The frames of one WebSocket message; heart-beat EOLs between them are
// counted, not frames. Throws on a malformed one.
function decode(text) {
  const frames = [];
  let beats = 0;
  let at = 0;
  const unesc = (v) => v.replace(/\\(.)/g, (_, c) => ({ n: '\n', r: '\r', c: ':', '\\': '\\' })[c] ?? c);
  while (at < text.length) {
    if (text[at] === '\n') { beats += 1; at += 1; continue; }
    if (text.startsWith('\r\n', at)) { beats += 1; at += 2; continue; }
    const headEnd = text.indexOf('\n\n', at);
    if (headEnd < 0) throw new Error('a frame without the end of its headers');
    const lines = text.slice(at, headEnd).split('\n').map((l) => l.replace(/\r$/, ''));
    const command = lines.shift();
    const headers = {};
    for (const l of lines) {
      const colon = l.indexOf(':');
      if (colon <= 0) throw new Error(`a header line without a name: ${l}`);
      const name = l.slice(0, colon);
      if (!(name in headers)) headers[name] = command === 'CONNECT' ? l.slice(colon + 1) : unesc(l.slice(colon + 1));
    }
    const bodyAt = headEnd + 2;
    let end;
    if (headers['content-length'] !== undefined) {
      end = bodyAt + Number(headers['content-length']);
      if (text[end] !== '\0') throw new Error('content-length does not end at a NUL');
    } else {
      end = text.indexOf('\0', bodyAt);
      if (end < 0) throw new Error('a frame without its NUL');
    }
    frames.push({ command, headers, body: text.slice(bodyAt, end) });
    at = end + 1;
  }
  return { frames, beats };
}

export async function startStompServer() {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (offered) => VERSIONS.find((v) => offered.has(v)) ?? false,
  });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });

  const connections = { total: 0, live: 0 };
  let connects = 0;
  let begins = 0;          // transactions begun
  const refusedConnects = [];
  const subscribes = {};   // destination -> SUBSCRIBE frames
  const unsubscribes = {}; // destination -> UNSUBSCRIBE frames
  const sends = [];        // each SEND delivered: { destination, body }
  const errors = [];       // each ERROR the broker sent: its message
  const beats = { sent: 0, received: 0 };
  const live = new Set();  // { socket, session, subs: Map id -> destination, txs: Map id -> [SEND] }
  let sessions = 0;
  let messages = 0;

  const bump = (counts, key) => { counts[key] = (counts[key] || 0) + 1; };
  const out = (conn, command, headers, body) => {
    if (conn.socket.readyState === conn.socket.OPEN) conn.socket.send(encode(command, headers, body));
  };

  function fail(conn, message, frame) {
    errors.push(message);
    const headers = { message, 'content-type': 'text/plain' };
    if (frame?.headers.receipt !== undefined) headers['receipt-id'] = frame.headers.receipt;
    out(conn, 'ERROR', headers, message);
    conn.socket.close(1002, 'STOMP ERROR');
    conn.dead = true;
  }

  // A MESSAGE to every subscription on `destination`; returns how many.
  function publish(destination, body) {
    let n = 0;
    for (const conn of live) {
      for (const [id, dest] of conn.subs) {
        if (dest !== destination) continue;
        messages += 1;
        out(conn, 'MESSAGE', {
          subscription: id, 'message-id': `m-${messages}`, destination, 'content-type': 'application/json',
        }, body);
        n += 1;
      }
    }
    return n;
  }

  function deliver(send) {
    sends.push({ destination: send.headers.destination, body: send.body });
    publish(send.headers.destination, send.body);
  }

  function connect(conn, f) {
    const accepts = (f.headers['accept-version'] || '1.0').split(',');
    const user = f.headers.login;
    if (!accepts.includes('1.2') && !accepts.includes('1.1')) return fail(conn, 'Supported protocol versions are 1.1 1.2', f);
    if (user === undefined || USERS[user] !== f.headers.passcode) {
      refusedConnects.push(user);
      return fail(conn, 'Access refused for user', f);
    }
    connects += 1;
    sessions += 1;
    conn.session = `session-${sessions}`;
    conn.user = user;
    const [cx, cy] = (f.headers['heart-beat'] || '0,0').split(',').map((v) => Number(v) || 0);
    const sendEvery = cy && BEAT_MS ? Math.max(cy, BEAT_MS) : 0;
    const wantEvery = cx && BEAT_MS ? Math.max(cx, BEAT_MS) : 0;
    out(conn, 'CONNECTED', {
      version: accepts.includes('1.2') ? '1.2' : '1.1', session: conn.session, server: 'wsshare-test-broker/1.0',
      'heart-beat': `${BEAT_MS},${BEAT_MS}`,
    });
    if (sendEvery) {
      conn.pinger = setInterval(() => {
        if (conn.socket.readyState === conn.socket.OPEN) {
          conn.socket.send('\n');
          beats.sent += 1;
        }
      }, sendEvery);
    }
    if (wantEvery) {
      // A client silent for three of its periods is gone, as brokers judge it.
      conn.watch = setInterval(() => {
        if (Date.now() - conn.heard > 3 * wantEvery) conn.socket.terminate();
      }, wantEvery);
    }
  }

  function frame(conn, f) {
    if (conn.session === undefined) {
      if (f.command === 'CONNECT' || f.command === 'STOMP') return connect(conn, f);
      return fail(conn, `${f.command} before CONNECT`, f);
    }
    const h = f.headers;
    switch (f.command) {
      case 'SUBSCRIBE':
        if (h.id === undefined || h.destination === undefined) return fail(conn, 'SUBSCRIBE needs an id and a destination', f);
        if (conn.subs.has(h.id)) return fail(conn, `Duplicated subscription identifier ${h.id}`, f);
        conn.subs.set(h.id, h.destination);
        bump(subscribes, h.destination);
        break;
      case 'UNSUBSCRIBE':
        if (!conn.subs.has(h.id)) return fail(conn, `No subscription ${h.id}`, f);
        bump(unsubscribes, conn.subs.get(h.id));
        conn.subs.delete(h.id);
        break;
      case 'SEND':
        if (h.destination === undefined) return fail(conn, 'SEND needs a destination', f);
        if (h.transaction !== undefined) {
          if (!conn.txs.has(h.transaction)) return fail(conn, `No transaction ${h.transaction}`, f);
          conn.txs.get(h.transaction).push(f);
        } else {
          deliver(f);
        }
        break;
      case 'BEGIN':
        if (h.transaction === undefined || conn.txs.has(h.transaction)) return fail(conn, 'Bad BEGIN', f);
        conn.txs.set(h.transaction, []);
        begins += 1;
        break;
      case 'COMMIT':
      case 'ABORT':
        if (!conn.txs.has(h.transaction)) return fail(conn, `No transaction ${h.transaction}`, f);
        if (f.command === 'COMMIT') conn.txs.get(h.transaction).forEach(deliver);
        conn.txs.delete(h.transaction);
        break;
      case 'ACK':
      case 'NACK':
        return fail(conn, 'No message to acknowledge', f);
      case 'DISCONNECT':
        if (h.receipt !== undefined) out(conn, 'RECEIPT', { 'receipt-id': h.receipt });
        conn.socket.close(1000);
        conn.dead = true;
        return undefined;
      default:
        return fail(conn, `Unknown command ${f.command}`, f);
    }
    if (h.receipt !== undefined) out(conn, 'RECEIPT', { 'receipt-id': h.receipt });
    return undefined;
  }

  wss.on('connection', (socket) => {
    const conn = { socket, subs: new Map(), txs: new Map(), heard: Date.now(), dead: false };
    live.add(conn);
    connections.total += 1;
    connections.live += 1;
    socket.on('message', (data) => {
      conn.heard = Date.now();
      if (conn.dead) return;
      let got;
      try {
        got = decode(String(data));
      } catch (err) {
        fail(conn, `Bad frame: ${err.message}`);
        return;
      }
      beats.received += got.beats;
      for (const f of got.frames) {
        if (conn.dead) break;
        frame(conn, f);
      }
    });
    socket.once('close', () => {
      clearInterval(conn.pinger);
      clearInterval(conn.watch);
      live.delete(conn);
      connections.live -= 1;
    });
  });

  return {
    url: `ws://127.0.0.1:${wss.address().port}/ws`,
    stats: () => ({
      connections: { ...connections },
      connects,
      begins,
      refusedConnects: refusedConnects.slice(),
      subscribes: { ...subscribes },
      unsubscribes: { ...unsubscribes },
      sends: sends.slice(),
      errors: errors.slice(),
      beats: { ...beats },
      // The destinations each live connection is subscribed to, sorted.
      subscribed: [...live].filter((c) => c.session !== undefined).map((c) => [...c.subs.values()].sort()),
    }),
    publish,
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
