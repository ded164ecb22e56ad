// A Socket.IO server for the browser tests: socket.io's own (the npm package),
// websocket transport only, on 127.0.0.1, a port of the system's choosing.
// Two namespaces: the main one, open to anyone, and /chat, whose middleware
// lets in only a handshake whose auth token is "good". Both answer `add`
// with an ack (the sum, a little later) and `slow` a second later, /chat answers `upload` (binary) with the bytes
// reversed; a test broadcasts news (text or binary) to a namespace and asks
// every socket of one a question that wants an ack. It counts what a test
// needs to tell one shared connection from many: Engine.IO connections,
// namespace connects and disconnects (with their reasons), the events and
// the answers to its questions.

import { createServer } from 'node:http';
import { Server } from 'socket.io';

export async function startSocketIoServer({ pingInterval = 2000, pingTimeout = 3000 } = {}) {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], pingInterval, pingTimeout });
  await new Promise((resolve, reject) => {
    http.once('listening', resolve);
    http.once('error', reject);
    http.listen(0, '127.0.0.1');
  });

  const connections = { total: 0, live: 0 };
  const closes = [];        // why each Engine.IO connection closed
  const connects = {};      // namespace -> sockets connected
  const disconnects = {};   // namespace -> sockets disconnected
  const reasons = [];       // each socket's disconnect reason
  const refused = [];       // what the /chat middleware refused
  const events = {};        // event name -> times received
  const answers = [];       // each answer to a question: { nsp, answer }
  const bump = (counts, key) => { counts[key] = (counts[key] || 0) + 1; };

  io.engine.on('connection', (conn) => {
    connections.total += 1;
    connections.live += 1;
    conn.once('close', (reason) => {
      connections.live -= 1;
      closes.push(reason);
    });
  });

  function serve(nsp) {
    nsp.on('connection', (socket) => {
      bump(connects, nsp.name);
      socket.on('disconnect', (reason) => {
        bump(disconnects, nsp.name);
        reasons.push(reason);
      });
      // Answered after a while, out of order: the emits of every tab are in
      // flight together, their ids colliding unless remapped.
      socket.on('add', (a, b, ack) => {
        bump(events, 'add');
        if (typeof ack === 'function') setTimeout(() => ack(a + b), Math.floor(Math.random() * 60));
      });
      // Answered a second later: still in flight when a test drops the connection.
      socket.on('slow', (ack) => {
        bump(events, 'slow');
        if (typeof ack === 'function') setTimeout(() => ack('late'), 1000);
      });
      socket.on('upload', (bytes, ack) => {
        bump(events, 'upload');
        if (typeof ack === 'function') ack(Buffer.from(bytes).reverse());
      });
    });
  }
  serve(io.of('/'));
  const chat = io.of('/chat');
  chat.use((socket, next) => {
    if (socket.handshake.auth && socket.handshake.auth.token === 'good') return next();
    refused.push(socket.handshake.auth);
    return next(new Error('bad token'));
  });
  serve(chat);

  return {
    url: `ws://127.0.0.1:${http.address().port}`,
    stats: () => ({
      connections: { ...connections },
      closes: closes.slice(),
      connects: { ...connects },
      disconnects: { ...disconnects },
      reasons: reasons.slice(),
      refused: refused.slice(),
      events: { ...events },
      answers: answers.slice(),
      // How many sockets each namespace has now.
      sockets: { '/': io.of('/').sockets.size, '/chat': chat.sockets.size },
    }),
    // News to every socket of namespace `name`; returns how many sockets.
    broadcast(name, news) {
      const nsp = io.of(name);
      nsp.emit('news', news);
      return nsp.sockets.size;
    },
    // Bytes to every socket of `name`, as a binary event.
    broadcastBytes(name, bytes) {
      const nsp = io.of(name);
      nsp.emit('blob', Buffer.from(bytes));
      return nsp.sockets.size;
    },
    // Asks every socket of `name` a question its clients answer with an ack.
    ask(name, question) {
      const nsp = io.of(name);
      for (const socket of nsp.sockets.values()) {
        socket.timeout(5000).emit('question', question, (err, answer) => {
          if (!err) answers.push({ nsp: name, answer });
        });
      }
      return nsp.sockets.size;
    },
    // A server drop: every connection cut without a close handshake.
    dropAll() {
      for (const conn of Object.values(io.engine.clients)) conn.transport.socket.terminate();
    },
    async close() {
      for (const conn of Object.values(io.engine.clients)) conn.transport.socket?.terminate?.();
      await new Promise((resolve) => io.close(() => resolve()));
    },
  };
}
