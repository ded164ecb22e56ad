// SharedWebSocket: the tab side. It behaves like the browser's WebSocket, but
// the socket lives with a leader (a SharedWorker, or a Worker started by the
// tab elected among those of the same url, protocols and key); this tab talks
// to "the leader" over a BroadcastChannel and does not care where it lives.
// In 'direct' mode it wraps a WebSocket of its own.
//
// This file is the WebSocket face: what the browser's WebSocket checks and
// throws, its attributes, events and handler attributes. Everything behind
// it is the tab's (tab.js), which performs what its C decides.

import { byteLength } from './bus.js';
import { MODES } from './session.js';
import { CLOSED, CLOSING, CONNECTING, OPEN, Tab } from './tab.js';

// The profiles' names, from the core's table (wasm/src/profiles.c) through
// the build; a build without it leaves the check to the leader's core.
const PROTOCOLS = typeof WSSHARE_PROTOCOLS === 'object' ? ['auto', ...WSSHARE_PROTOCOLS] : null;
const EVENTS = ['open', 'message', 'error', 'close', 'leaderchange', 'reconnecting'];

let defaultUrls = () => ({ workerUrl: 'wsshare-worker.js', wasmUrl: 'wsshare.wasm', leaderUrl: 'wsshare-leader.mjs' });

// Entry points say where the worker and the wasm live next to the bundle.
export function setDefaultUrls(fn) {
  defaultUrls = fn;
}

function fail(name, message) {
  return new DOMException(message, name);
}

function resolveUrl(url) {
  let u;
  try {
    u = new URL(String(url), typeof location !== 'undefined' ? location.href : undefined);
  } catch (err) {
    throw fail('SyntaxError', `The URL '${url}' is invalid.`);
  }
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw fail('SyntaxError', `The URL's scheme must be either 'ws' or 'wss'. '${u.protocol}' is not allowed.`);
  }
  if (u.hash) throw fail('SyntaxError', `The URL contains a fragment identifier ('${u.hash}').`);
  return u.href;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function normalizeProtocols(protocols) {
  if (protocols === undefined || protocols === null) return [];
  const list = typeof protocols === 'string' ? [protocols] : Array.from(protocols, String);
  const seen = new Set();
  for (const p of list) {
    if (!TOKEN.test(p)) throw fail('SyntaxError', `The subprotocol '${p}' is invalid.`);
    if (seen.has(p)) throw fail('SyntaxError', `The subprotocol '${p}' is duplicated.`);
    seen.add(p);
  }
  return list;
}

// What the browser's send() accepts, as something a BroadcastChannel can carry
// and that later changes to the caller's buffer cannot touch.
function snapshot(data) {
  if (data instanceof ArrayBuffer) return data.slice(0);
  if (ArrayBuffer.isView(data)) return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  if (typeof Blob === 'function' && data instanceof Blob) return data;
  return String(data);
}

export class SharedWebSocket extends EventTarget {
  constructor(url, protocols, options) {
    super();
    const opts = options || {};
    const mode = opts.mode === undefined ? 'auto' : opts.mode;
    if (!MODES.includes(mode)) throw new TypeError(`wsshare: unknown mode '${mode}'`);
    if (opts.protocol !== undefined && PROTOCOLS && !PROTOCOLS.includes(opts.protocol)) {
      throw new TypeError(`wsshare: unknown protocol '${opts.protocol}'`);
    }
    this._binaryType = 'blob';
    this._handlers = {};
    const resolved = resolveUrl(url);
    const urls = () => {
      const d = defaultUrls();
      return {
        workerUrl: String(opts.workerUrl || d.workerUrl),
        wasmUrl: new URL(String(opts.wasmUrl || d.wasmUrl), location.href).href,
        leaderUrl: new URL(String(d.leaderUrl), location.href).href,
      };
    };
    const tab = new Tab(this, resolved, normalizeProtocols(protocols), opts, mode, urls);
    if (!tab._ok) throw fail('NotSupportedError', 'wsshare: too many sockets open in this page');
    this._tab = tab;
    if (!tab._start()) {
      throw fail('NotSupportedError', mode === 'sharedworker'
        ? 'wsshare: SharedWorker or BroadcastChannel is not available here'
        : 'wsshare: Worker or BroadcastChannel is not available here');
    }
  }

  // A WebSocket-compatible class whose sockets take these options unless
  // given others: for libraries that construct the socket themselves and
  // pass no options (graphql-ws's webSocketImpl, stompjs's webSocketFactory,
  // an isomorphic-ws alias).
  static configure(options) {
    const defaults = { ...(options || {}) };
    return class extends this {
      constructor(url, protocols, more) {
        super(url, protocols, { ...defaults, ...(more || {}) });
      }
    };
  }

  get url() { return this._tab._url; }
  get protocol() { return this._tab._protocol; }
  get extensions() { return this._tab._extensions; }
  get readyState() { return this._tab._readyState; }
  get bufferedAmount() { return this._tab._bufferedAmount; }
  get binaryType() { return this._binaryType; }
  set binaryType(value) {
    if (value !== 'blob' && value !== 'arraybuffer') return;
    this._binaryType = value;
    this._tab._setBinaryType(value);
  }
  get mode() { return this._tab._modeName; }
  // In 'direct' mode this tab leads its own socket; in 'election' mode the
  // elected tab does; a SharedWorker is nobody's tab.
  get isLeader() { return this._tab._isLeader; }

  send(data) {
    if (this.readyState === CONNECTING) {
      throw fail('InvalidStateError', "Failed to execute 'send' on 'SharedWebSocket': Still in CONNECTING state.");
    }
    const payload = snapshot(data);
    this._tab._send(payload, byteLength(payload));
  }

  close(code, reason) {
    if (code !== undefined) {
      code = Number(code);
      if (code !== 1000 && !(code >= 3000 && code <= 4999)) {
        throw fail('InvalidAccessError', `The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`);
      }
    }
    if (reason !== undefined) {
      reason = String(reason);
      if (byteLength(reason) > 123) throw fail('SyntaxError', 'The close reason must not be greater than 123 UTF-8 bytes.');
    }
    const state = this.readyState;
    if (state === CLOSING || state === CLOSED) return;
    this._tab._close(code, reason);
  }

  stats() { return this._tab._stats(); }

  // The tab's events reach the app here.
  _fire(event) {
    this.dispatchEvent(event);
  }
}

for (const [name, value] of [['CONNECTING', CONNECTING], ['OPEN', OPEN], ['CLOSING', CLOSING], ['CLOSED', CLOSED]]) {
  Object.defineProperty(SharedWebSocket, name, { value, enumerable: true });
  Object.defineProperty(SharedWebSocket.prototype, name, { value, enumerable: true });
}

// on<event> handler attributes, like the browser's: one listener per type,
// added at the first assignment, that calls whatever handler is current.
for (const type of EVENTS) {
  Object.defineProperty(SharedWebSocket.prototype, `on${type}`, {
    get() { return this._handlers[type] || null; },
    set(fn) {
      const had = type in this._handlers;
      this._handlers[type] = typeof fn === 'function' ? fn : null;
      if (!had) this.addEventListener(type, (e) => { const h = this._handlers[type]; if (h) h.call(this, e); });
    },
    enumerable: true,
    configurable: true,
  });
}
