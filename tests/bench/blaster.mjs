// The benchmarks' server: serves the bench pages, dist/, js-glue/ and files
// built at the start of the run (held in memory) over HTTP on 127.0.0.1, and
// WebSockets in "rooms" that it pushes frames to on command, counts (and
// order-checks) what it receives from, or echoes. It does the same
// work for every variant, so differences come from the browser side.

import http from 'node:http';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { frame } from './page/frames.mjs';

const ROOT = path.dirname(path.dirname(path.dirname(fileURLToPath(import.meta.url))));
// URL prefix → directory of the project it serves.
const STATIC = { '/bench/': 'tests/bench/page', '/dist/': 'dist', '/js-glue/': 'js-glue' };
// Cross-origin isolation gives pages performance.now() at 5 µs instead of
// 100 µs, which sub-millisecond round trips need; the bench's files are all
// same-origin, so it changes nothing else they do.
const HEADERS = {
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

// Epoch milliseconds with sub-millisecond resolution: pages stamp their events
// the same way, so times from the server, the pages and the runner compare.
export const epoch = () => performance.timeOrigin + performance.now();

class Room {
  constructor() {
    this.sockets = new Set();
    this.accepted = 0;
    this.acceptedAt = [];
    this.resetCount(0, false);
  }

  // distinct: count each (source, number) once, for runs where frames may be re-sent.
  resetCount(expect, distinct) {
    this.expect = expect;
    this.distinct = distinct;
    this.received = 0;
    this.doneAt = 0;
    this.disorder = 0;
    this.duplicates = 0;
    this.lastBySource = new Map();
    this.seen = new Map(); // source → numbers seen, in distinct mode only
    this.arrived = new Map(); // source → [number, when, connection] of each, in distinct mode only
  }

  // Upstream frames are "<source>:<8-digit seq>...": each source's must arrive
  // in order. In distinct mode a frame seen before is a duplicate, not counted.
  // conn: the number of the connection it came over, counted from 1 as accepted.
  count(text, conn) {
    const colon = text.indexOf(':');
    const source = text.slice(0, colon);
    const seq = Number(text.slice(colon + 1, colon + 9));
    if (this.distinct) {
      if (!this.seen.has(source)) this.seen.set(source, new Set());
      const set = this.seen.get(source);
      if (set.has(seq)) {
        this.duplicates++;
        return;
      }
      set.add(seq);
      if (!this.arrived.has(source)) this.arrived.set(source, []);
      this.arrived.get(source).push([seq, epoch(), conn]);
    }
    this.received++;
    const last = this.lastBySource.get(source) || 0;
    if (seq <= last) this.disorder++;
    this.lastBySource.set(source, Math.max(last, seq));
    if (this.received === this.expect) this.doneAt = epoch();
  }

  report() {
    return {
      connections: this.sockets.size, accepted: this.accepted, acceptedAt: this.acceptedAt,
      received: this.received, doneAt: this.doneAt, disorder: this.disorder, duplicates: this.duplicates,
      distinctBySource: Object.fromEntries([...this.seen].map(([source, set]) => [source, set.size])),
    };
  }
}

// files: { [URL path]: contents } served as they are, ahead of STATIC.
export async function startBlaster({ files = {} } = {}) {
  const rooms = new Map();
  const room = (name) => {
    if (!rooms.has(name)) rooms.set(name, new Room());
    return rooms.get(name);
  };
  const wss = new WebSocketServer({ noServer: true });

  const routes = {
    // Pushes n frames of `size` bytes to every socket of the room, interleaved,
    // in one synchronous loop: the server goes as fast as it can.
    'POST /blast': (q) => {
      const r = room(q.get('room'));
      const n = Number(q.get('n'));
      const size = Number(q.get('size'));
      const t0 = epoch();
      for (let i = 1; i <= n; i++) {
        const f = frame(i, size);
        for (const ws of r.sockets) ws.send(f);
      }
      return { t0, sockets: r.sockets.size };
    },
    'POST /expect': (q) => {
      room(q.get('room')).resetCount(Number(q.get('n')), q.get('distinct') === '1');
      return {};
    },
    'GET /room': (q) => room(q.get('room')).report(),
    'GET /arrivals': (q) => Object.fromEntries(room(q.get('room')).arrived),
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const route = routes[`${req.method} ${url.pathname}`];
    try {
      if (route) {
        const body = JSON.stringify(route(url.searchParams));
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        res.end(body);
        return;
      }
      if (Object.hasOwn(files, url.pathname)) {
        res.writeHead(200, { 'Content-Type': TYPES[path.extname(url.pathname)] || 'application/octet-stream', ...HEADERS });
        res.end(files[url.pathname]);
        return;
      }
      const prefix = Object.keys(STATIC).find((p) => url.pathname.startsWith(p));
      const base = prefix && path.join(ROOT, STATIC[prefix]);
      const file = base && path.resolve(base, decodeURIComponent(url.pathname.slice(prefix.length)));
      if (!file || !file.startsWith(base + path.sep)) throw new Error('not found');
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', ...HEADERS });
      res.end(body);
    } catch (err) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end(String(err.message));
    }
  });

  // /ws/<room> joins a room; ?echo=1 makes the socket echo every frame instead.
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const m = /^\/ws\/([\w.-]+)$/.exec(url.pathname);
    if (!m) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const r = room(m[1]);
      r.sockets.add(ws);
      r.accepted++;
      r.acceptedAt.push(epoch());
      const conn = r.accepted;
      ws.on('error', () => {});
      ws.on('close', () => r.sockets.delete(ws));
      if (url.searchParams.get('echo') === '1') ws.on('message', (data, binary) => ws.send(data, { binary }));
      else ws.on('message', (data) => r.count(data.toString(), conn));
    });
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const call = async (method, route, params) => {
    const res = await fetch(`${origin}${route}?${new URLSearchParams(params)}`, { method });
    return res.json();
  };
  return {
    origin,
    wsUrl: (name, echo) => `ws://127.0.0.1:${server.address().port}/ws/${name}${echo ? '?echo=1' : ''}`,
    blast: (name, n, size) => call('POST', '/blast', { room: name, n, size }),
    expect: (name, n, distinct) => call('POST', '/expect', { room: name, n, distinct: distinct ? 1 : 0 }),
    room: (name) => call('GET', '/room', { room: name }),
    // In distinct mode: { source: [[number, when, connection], ...] }, connections numbered as acceptedAt.
    arrivals: (name) => call('GET', '/arrivals', { room: name }),
    close() {
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
