// Cheshire Cat emulator: a small HTTP + WebSocket server that behaves like
// Cheshire Cat AI core 1.x on its WebSocket (see demo/README.md), so the demo
// and the tests can reproduce the one-connection-per-user problem without Python.
// It also serves dist/ and demo/ statically and exposes test hooks, fault
// switches among them (drop, refuse, close, stop answering pings, restart).

import http from 'node:http';
import path from 'node:path';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';

const VERSION = '1.8.1-emulated';
const STATUS = { status: "We're all mad here, dear!", version: VERSION };
const POLICIES = ['kick', 'last-wins', 'refuse', 'multi'];
const ACCOUNTS = new Map([['admin', 'admin'], ['user', 'user']]);
const TOKEN_TTL_S = 24 * 60 * 60;
const BAD_LOGIN_DELAY_MS = 1000;
const MAX_BODY_BYTES = 1 << 20;
const MAX_REPEAT = 1_000_000;
const DEFAULT_USER = 'user';
const MAX_CLOSE_REASON_BYTES = 123;
const MAX_FAULT_MS = 10 * 60 * 1000;
const PROJECT_ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

const MIME_TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain',
};
const STATIC_DIRS = ['dist', 'demo'];
// The strict Content-Security-Policy of the README, served by `csp: 'strict'`
// (env CSP=strict): what wsshare needs and nothing else.
const STRICT_CSP = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self'", "connect-src 'self'",
  "style-src 'self'", "img-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');
const CSP_REPORTS = '/csp-reports';

class HttpError extends Error {
  constructor(status, detail) {
    super(`HTTP ${status}`);
    this.status = status;
    this.detail = detail;
  }
}

// ---------------------------------------------------------------- JWT (HS256)

const base64urlJson = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

const hs256 = (input, secret) => createHmac('sha256', secret).update(input).digest('base64url');

// Hashing both sides first gives equal lengths, so timingSafeEqual never throws
// and the comparison time does not depend on where the strings differ.
function safeEqual(a, b) {
  const digest = (s) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function parseJsonObject(text) {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

const fromBase64url = (part) => Buffer.from(part, 'base64url').toString('utf8');

function signJwt(claims, secret) {
  const input = `${base64urlJson({ alg: 'HS256', typ: 'JWT' })}.${base64urlJson(claims)}`;
  return `${input}.${hs256(input, secret)}`;
}

// A token "is a JWT" when it has three parts and a JSON header; only then is it
// judged as one (and refused if invalid) instead of being taken for an API key.
function decodeJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const header = parseJsonObject(fromBase64url(parts[0]));
  return header && { header, signingInput: `${parts[0]}.${parts[1]}`, payload: parts[1], signature: parts[2] };
}

/** The `username` of a validly signed, unexpired HS256 token, or null. */
function jwtUsername(jwt, secret) {
  if (jwt.header.alg !== 'HS256' || !safeEqual(jwt.signature, hs256(jwt.signingInput, secret))) return null;
  const claims = parseJsonObject(fromBase64url(jwt.payload));
  const expired = claims?.exp !== undefined && !(typeof claims.exp === 'number' && claims.exp > Date.now() / 1000);
  return !expired && typeof claims?.username === 'string' && claims.username !== '' ? claims.username : null;
}

/**
 * The identity a WebSocket upgrade authenticates as, or null to refuse it.
 * A JWT names the user itself (the path id is ignored); otherwise the token is
 * an API key, checked only when one is configured.
 */
function authenticate(token, pathUser, cfg) {
  const jwt = token && decodeJwt(token);
  if (jwt) return jwtUsername(jwt, cfg.jwtSecret);
  if (cfg.apiKeyWs !== undefined && (token === null || !safeEqual(token, cfg.apiKeyWs))) return null;
  return pathUser;
}

// ---------------------------------------------------------------- HTTP helpers

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

const sendJson = (res, status, value) =>
  send(res, status, JSON.stringify(value), { 'Content-Type': 'application/json' });

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(new HttpError(413, 'Request body too large'));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

// Answer an upgrade we will not accept with a plain HTTP response, as the Cat's
// server does: the browser then sees an error event and a 1006 close.
function rejectUpgrade(socket, status, detail) {
  const body = JSON.stringify({ detail });
  socket.on('error', () => {});
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

const userParam = (url) => url.searchParams.get('user') || DEFAULT_USER;

/** An integer query parameter in [min, max], `fallback` when absent; else 422. */
function intParam(url, name, min, max, fallback) {
  const text = url.searchParams.get(name);
  if (text === null) {
    if (fallback === undefined) throw new HttpError(422, `${name} is required`);
    return fallback;
  }
  const value = Number(text);
  if (!(text.trim() !== '' && Number.isInteger(value) && value >= min && value <= max)) {
    throw new HttpError(422, `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

// The codes a server may put in a close frame (RFC 6455 7.4, and what ws accepts).
const isSendableCloseCode = (code) =>
  (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999);

/** `/ws` → the default user, `/ws/<id>` → id, anything else → undefined. */
function wsPathUser(pathname) {
  if (pathname === '/ws') return DEFAULT_USER;
  const match = /^\/ws\/([^/]+)$/.exec(pathname);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

/** The file under root/<dir> that a /<dir>/... path names, or null if it escapes. */
function staticPath(root, pathname) {
  const [, dir, ...rest] = pathname.split('/');
  if (!STATIC_DIRS.includes(dir)) return null;
  let relative;
  try {
    relative = decodeURIComponent(rest.join('/'));
  } catch {
    return null;
  }
  if (relative.includes('\0')) return null;
  const base = path.resolve(root, dir);
  const file = path.resolve(base, relative || 'index.html');
  return file.startsWith(base + path.sep) ? file : null;
}

async function serveStatic(res, root, pathname, csp) {
  let file = staticPath(root, pathname);
  if (file && (await stat(file).catch(() => null))?.isDirectory()) file = path.join(file, 'index.html');
  const body = file && (await readFile(file).catch(() => null));
  if (!body) throw new HttpError(404, 'Not Found');
  const type = MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  send(res, 200, body, { 'Content-Type': type, ...(csp && { 'Content-Security-Policy': csp }) });
}

// A close frame's reason is capped at 123 bytes; ws throws beyond that, and a
// long user id would otherwise crash the refuse policy.
function truncateUtf8(text, maxBytes) {
  let result = text;
  while (Buffer.byteLength(result) > maxBytes) result = result.slice(0, -1);
  return result;
}

// ---------------------------------------------------------------- Cat frames

const errorFrame = (description) => ({ type: 'error', name: 'ValueError', description });

/** What the Cat answers to one inbound frame: an error frame or the user's text. */
function readUserMessage(data, isBinary) {
  if (isBinary) return { error: errorFrame('Expected a JSON text frame, got a binary frame') };
  const message = parseJsonObject(data.toString('utf8'));
  if (!message) return { error: errorFrame('Expected a JSON object text frame') };
  if (typeof message.text !== 'string') return { error: errorFrame("The message needs a string field 'text'") };
  return { text: message.text };
}

function chatFrame(userId, input, reply) {
  return {
    type: 'chat',
    user_id: userId,
    who: 'AI',
    text: reply,
    content: reply,
    image: null,
    audio: null,
    when: Date.now() / 1000,
    why: {
      input,
      intermediate_steps: [],
      memory: { episodic: [], declarative: [], procedural: [] },
      model_interactions: [],
    },
  };
}

// Each word keeps the whitespace after it, so the tokens concatenate to the reply.
const replyTokens = (reply) => reply.match(/\S+\s*/g) ?? [];

// ---------------------------------------------------------------- the server

// The longest stretch during which a user had more than one socket open: for
// clients that promise one connection, how long two ever coexisted.
function noteOpenCount(entry) {
  const now = performance.now();
  if (entry.open.size > 1 && !entry.overlapSince) entry.overlapSince = now;
  if (entry.open.size <= 1 && entry.overlapSince) {
    entry.overlapMs = Math.max(entry.overlapMs, now - entry.overlapSince);
    entry.overlapSince = 0;
  }
}

function overlapOf(entry) {
  if (!entry) return { overlapMs: 0 };
  const now = performance.now();
  return { overlapMs: Math.round(Math.max(entry.overlapMs, entry.overlapSince ? now - entry.overlapSince : 0)) };
}

class CatEmulator {
  constructor(cfg) {
    this.cfg = cfg;
    /** user id → { current, open, accepted, kicks, received } */
    this.users = new Map();
    this.timers = new Set();
    /** The fault switches: upgrades refused until refuseUntil (ms epoch), pings answered or not. */
    this.faults = { refuseUntil: 0, answerPings: true, restarting: false };
    /** The policy static files carry (violations reported to CSP_REPORTS), and those reports. */
    this.csp = cfg.csp && `${cfg.csp === 'strict' ? STRICT_CSP : cfg.csp}; report-uri ${CSP_REPORTS}`;
    this.cspReports = [];
    // Pings are answered by hand, so the pings switch can stop it.
    this.wss = new WebSocketServer({ noServer: true, autoPong: false });
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.routes = {
      '/': { GET: (req, res) => this.getRoot(req, res) },
      '/stats': { GET: (req, res, url) => sendJson(res, 200, this.statsFor(url)) },
      '/overlap': { GET: (req, res, url) => sendJson(res, 200, overlapOf(this.users.get(userParam(url)))) },
      '/received': { GET: (req, res, url) => sendJson(res, 200, this.users.get(userParam(url))?.received ?? []) },
      '/push': { POST: (req, res, url) => this.postPush(req, res, url) },
      '/reset': { POST: (req, res) => sendJson(res, 200, this.reset()) },
      '/auth/token': { POST: (req, res) => this.postToken(req, res) },
      '/fault/drop': { POST: (req, res) => sendJson(res, 200, this.dropAll()) },
      '/fault/refuse': { POST: (req, res, url) => sendJson(res, 200, this.refuseFor(intParam(url, 'ms', 0, MAX_FAULT_MS))) },
      '/fault/close': { POST: (req, res, url) => this.postFaultClose(res, url) },
      '/fault/pings': { POST: (req, res, url) => this.postFaultPings(res, url) },
      '/fault/restart': { POST: (req, res, url) => this.postFaultRestart(res, url) },
      '/demo': { GET: (req, res) => send(res, 302, '', { Location: '/demo/' }) },
      [CSP_REPORTS]: {
        GET: (req, res) => sendJson(res, 200, this.cspReports),
        POST: async (req, res) => {
          const report = parseJsonObject(await readBody(req));
          this.cspReports.push(report?.['csp-report'] ?? report);
          send(res, 204, '');
        },
      },
    };
  }

  // Timers go through here so close() can cancel every one still pending.
  later(ms, fn) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  sleep(ms) {
    return new Promise((resolve) => this.later(ms, resolve));
  }

  userEntry(id) {
    let entry = this.users.get(id);
    if (!entry) {
      entry = { current: null, open: new Set(), accepted: 0, kicks: 0, received: [], overlapMs: 0, overlapSince: 0 };
      this.users.set(id, entry);
    }
    return entry;
  }

  // ---- HTTP

  async onRequest(req, res) {
    const url = new URL(req.url, 'http://localhost');
    try {
      const route = this.routes[url.pathname];
      if (route) {
        const handler = route[req.method];
        if (!handler) throw new HttpError(405, 'Method Not Allowed');
        await handler(req, res, url);
      } else if (req.method === 'GET' && STATIC_DIRS.some((dir) => url.pathname.startsWith(`/${dir}/`))) {
        await serveStatic(res, this.cfg.root, url.pathname, this.csp);
      } else {
        throw new HttpError(404, 'Not Found');
      }
    } catch (err) {
      if (!(err instanceof HttpError)) this.cfg.log(`Error serving ${req.method} ${req.url}: ${err.stack}`);
      if (!res.headersSent) sendJson(res, err.status ?? 500, { detail: err.detail ?? 'Internal Server Error' });
    }
  }

  // Browsers asking for a page get the demo; API clients get the Cat's status.
  getRoot(req, res) {
    if ((req.headers.accept ?? '').includes('text/html')) send(res, 302, '', { Location: '/demo/' });
    else sendJson(res, 200, STATUS);
  }

  async postToken(req, res) {
    const body = parseJsonObject(await readBody(req));
    if (typeof body?.username !== 'string' || typeof body?.password !== 'string') {
      throw new HttpError(422, 'Expected {"username": string, "password": string}');
    }
    if (ACCOUNTS.get(body.username) === body.password) {
      const exp = Math.floor(Date.now() / 1000) + TOKEN_TTL_S;
      sendJson(res, 200, { access_token: signJwt({ username: body.username, exp }, this.cfg.jwtSecret), token_type: 'bearer' });
      return;
    }
    // The Cat slows down wrong guesses by a second.
    await this.sleep(BAD_LOGIN_DELAY_MS);
    sendJson(res, 403, { detail: { error: 'Invalid Credentials' } });
  }

  async postPush(req, res, url) {
    const body = await readBody(req);
    const repeatParam = url.searchParams.get('repeat');
    const repeat = repeatParam === null ? null : Number(repeatParam);
    if (repeat !== null && !(Number.isInteger(repeat) && repeat >= 1 && repeat <= MAX_REPEAT)) {
      throw new HttpError(422, `repeat must be an integer from 1 to ${MAX_REPEAT}`);
    }
    const userId = userParam(url);
    let count = 0;
    if (repeat === null) {
      count = this.deliver(userId, { type: 'notification', content: body });
    } else {
      for (let i = 1; i <= repeat; i++) count = this.deliver(userId, { type: 'notification', content: `${body} ${i}` });
    }
    sendJson(res, 200, count);
  }

  stats() {
    const stats = { connections: {}, accepted: {}, kicks: {} };
    for (const [id, entry] of this.users) {
      stats.connections[id] = entry.open.size;
      stats.accepted[id] = entry.accepted;
      stats.kicks[id] = entry.kicks;
    }
    return stats;
  }

  // `?user=<id>` narrows the answer to one user's figures, so a page can show
  // its own user's view without learning who else is connected.
  statsFor(url) {
    if (!url.searchParams.has('user')) return this.stats();
    const entry = this.users.get(userParam(url));
    return { connections: entry?.open.size ?? 0, accepted: entry?.accepted ?? 0, kicks: entry?.kicks ?? 0 };
  }

  // ---- fault switches (see demo/README.md)

  /** Terminates every socket without a close frame, as a dead network would; answers the count. */
  dropAll() {
    let count = 0;
    for (const ws of this.wss.clients) {
      ws.terminate();
      count++;
    }
    return count;
  }

  /** Refuses every upgrade with 403 for `ms` from now (0 ends a refusal). */
  refuseFor(ms) {
    this.faults.refuseUntil = ms > 0 ? Date.now() + ms : 0;
    return { refusingMs: ms };
  }

  postFaultClose(res, url) {
    const code = intParam(url, 'code', 1000, 4999, 1000);
    if (!isSendableCloseCode(code)) throw new HttpError(422, `code ${code} cannot be sent in a close frame`);
    const reason = url.searchParams.get('reason') ?? '';
    if (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) throw new HttpError(422, 'reason is over 123 bytes');
    const user = url.searchParams.get('user');
    const targets = user === null ? [...this.wss.clients] : [...(this.users.get(user)?.open ?? [])];
    for (const ws of targets) ws.close(code, reason);
    sendJson(res, 200, targets.length);
  }

  postFaultPings(res, url) {
    const answer = url.searchParams.get('answer');
    if (answer !== 'true' && answer !== 'false') throw new HttpError(422, 'answer must be true or false');
    this.faults.answerPings = answer === 'true';
    sendJson(res, 200, { answerPings: this.faults.answerPings });
  }

  // Answers first, then stops listening (every socket and connection ends,
  // new ones are refused by the OS) and listens again on the same port after
  // `ms`; users, counters and /received survive, as with a restarted process
  // whose state lives elsewhere.
  postFaultRestart(res, url) {
    const ms = intParam(url, 'ms', 0, MAX_FAULT_MS, 0);
    if (this.faults.restarting) throw new HttpError(409, 'already restarting');
    this.faults.restarting = true;
    res.once('finish', () => {
      this.dropAll();
      this.server.close(() => {
        if (!this.closed) this.later(ms, () => this.relisten());
      });
      this.server.closeAllConnections();
    });
    sendJson(res, 200, { downMs: ms });
  }

  relisten() {
    this.server.once('error', (err) => this.cfg.log(`Restart failed: ${err.message}`));
    this.server.listen(this.port, this.cfg.host, () => {
      this.faults.restarting = false;
      this.cfg.log(`Listening again on port ${this.port}`);
    });
  }

  // Counters, logs and fault switches go; open sockets and who the Cat pushes to stay.
  reset() {
    this.faults.refuseUntil = 0;
    this.faults.answerPings = true;
    this.cspReports = [];
    for (const [id, entry] of this.users) {
      if (entry.open.size === 0 && entry.current === null) {
        this.users.delete(id);
      } else {
        entry.accepted = 0;
        entry.kicks = 0;
        entry.received = [];
        entry.overlapMs = 0;
      }
    }
    return this.stats();
  }

  // ---- WebSocket

  onUpgrade(req, socket, head) {
    const url = new URL(req.url, 'http://localhost');
    if (Date.now() < this.faults.refuseUntil) return rejectUpgrade(socket, 403, { error: 'Refused by a fault switch' });
    if (url.pathname === '/echo') return this.accept(req, socket, head, (ws) => this.serveEcho(ws));
    const pathUser = wsPathUser(url.pathname);
    if (pathUser === undefined) return rejectUpgrade(socket, 404, 'Not Found');
    const userId = authenticate(url.searchParams.get('token'), pathUser, this.cfg);
    if (userId === null) return rejectUpgrade(socket, 403, { error: 'Invalid Credentials' });
    this.accept(req, socket, head, (ws) => this.admit(ws, userId));
  }

  accept(req, socket, head, then) {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // ws closes the socket itself on protocol errors; this only keeps them from throwing.
      ws.on('error', (err) => this.cfg.log(`WebSocket error: ${err.message}`));
      ws.on('ping', (data) => {
        if (this.faults.answerPings && ws.readyState === WebSocket.OPEN) ws.pong(data);
      });
      then(ws);
    });
  }

  serveEcho(ws) {
    this.keepAlive(ws);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  }

  /** Apply the one-connection-per-user policy to a freshly upgraded socket. */
  admit(ws, userId) {
    const entry = this.userEntry(userId);
    const previous = entry.current;
    if (previous?.readyState === WebSocket.OPEN) {
      if (this.cfg.policy === 'refuse') {
        const reason = `A websocket connection with ID '${userId}' has already been opened.`;
        this.cfg.log(reason);
        ws.close(1008, truncateUtf8(reason, MAX_CLOSE_REASON_BYTES));
        return;
      }
      if (this.cfg.policy === 'kick') {
        entry.open.delete(previous);
        noteOpenCount(entry);
        entry.kicks++;
        previous.close(1000);
        this.cfg.log(`New websocket connection for user '${userId}', the old one has been closed.`);
      }
    }
    entry.current = ws;
    entry.open.add(ws);
    noteOpenCount(entry);
    entry.accepted++;
    this.keepAlive(ws);

    let chain = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      // A kicked socket is closing: the Cat no longer reads from it.
      if (ws.readyState !== WebSocket.OPEN) return;
      if (!isBinary) entry.received.push(data.toString('utf8'));
      const message = readUserMessage(data, isBinary);
      chain = chain.then(() => this.answer(userId, message)).catch((err) => this.cfg.log(`Reply failed: ${err.stack}`));
    });
    ws.on('close', () => {
      entry.open.delete(ws);
      noteOpenCount(entry);
      // Cat 1.9 deletes the user's entry when any of its sockets goes; older Cats
      // only forget the socket they were pushing to.
      if (this.cfg.policy === 'last-wins' || entry.current === ws) entry.current = null;
      // A server that keeps every socket answers on the newest one left.
      if (this.cfg.policy === 'multi' && entry.current === null && entry.open.size) entry.current = [...entry.open].pop();
    });
  }

  /** Stream the reply word by word, then send the full chat message. */
  async answer(userId, message) {
    if (message.error) {
      this.deliver(userId, message.error);
      return;
    }
    const reply = `Meow! You said: ${message.text}`;
    for (const [i, token] of replyTokens(reply).entries()) {
      if (i > 0 && this.cfg.tokenDelayMs > 0) await this.sleep(this.cfg.tokenDelayMs);
      this.deliver(userId, { type: 'chat_token', content: token });
    }
    this.deliver(userId, chatFrame(userId, message.text, reply));
  }

  /**
   * Send a frame the way the Cat does: to the one socket it holds for the user
   * (the newest), or nowhere. Returns the number of sockets it went to.
   */
  deliver(userId, frame) {
    const ws = this.users.get(userId)?.current;
    if (ws?.readyState !== WebSocket.OPEN) return 0;
    ws.send(JSON.stringify(frame));
    return 1;
  }

  // Protocol pings; a socket that shows no sign of life for pongTimeoutMs after
  // a ping is terminated, like the Cat's uvicorn does.
  keepAlive(ws) {
    let pongTimer = null;
    const alive = () => {
      clearTimeout(pongTimer);
      this.timers.delete(pongTimer);
      pongTimer = null;
    };
    const pingTimer = setInterval(() => {
      if (pongTimer !== null || ws.readyState !== WebSocket.OPEN) return;
      ws.ping();
      pongTimer = this.later(this.cfg.pongTimeoutMs, () => ws.terminate());
    }, this.cfg.pingIntervalMs);
    this.timers.add(pingTimer);
    ws.on('pong', alive);
    ws.on('message', alive);
    ws.on('close', () => {
      alive();
      clearInterval(pingTimer);
      this.timers.delete(pingTimer);
    });
  }

  // ---- lifecycle

  listen() {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.cfg.port, this.cfg.host, () => {
        this.server.off('error', reject);
        this.port = this.server.address().port;
        resolve(this.port);
      });
    });
  }

  close() {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const ws of this.wss.clients) ws.terminate();
    return new Promise((resolve) => {
      this.server.close(() => this.wss.close(() => resolve()));
      this.server.closeAllConnections();
    });
  }
}

function urlHost(host) {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Start the emulator. Resolves to { port, url, close } once it listens;
 * close() terminates every socket, cancels every timer and stops listening.
 */
export async function startCat(opts = {}) {
  const cfg = {
    host: '127.0.0.1',
    port: 1865,
    policy: 'kick',
    jwtSecret: 'secret',
    apiKeyWs: undefined,
    tokenDelayMs: 0,
    pingIntervalMs: 20000,
    pongTimeoutMs: 20000,
    root: PROJECT_ROOT,
    log: () => {},
    ...Object.fromEntries(Object.entries(opts).filter(([, value]) => value !== undefined)),
  };
  if (!POLICIES.includes(cfg.policy)) throw new Error(`Unknown policy '${cfg.policy}' (use ${POLICIES.join(', ')})`);
  const cat = new CatEmulator(cfg);
  const port = await cat.listen();
  return { port, url: `http://${urlHost(cfg.host)}:${port}`, close: () => cat.close() };
}

function envNumber(name) {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : Number(value);
}

async function main() {
  const policy = process.env.POLICY || 'kick';
  const cat = await startCat({
    host: process.env.HOST || undefined,
    port: envNumber('PORT'),
    policy,
    jwtSecret: process.env.CAT_JWT_SECRET || undefined,
    apiKeyWs: process.env.CAT_API_KEY_WS || undefined,
    tokenDelayMs: envNumber('TOKEN_DELAY_MS') ?? 40,
    csp: process.env.CSP || undefined,
    log: console.log,
  });
  console.log(`Cheshire Cat emulator: http://localhost:${cat.port}/ (policy ${policy})`);
  const stop = () => cat.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
