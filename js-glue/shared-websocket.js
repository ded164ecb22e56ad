// SharedWebSocket: the tab side. It behaves like the browser's WebSocket, but
// the socket lives with a leader (a SharedWorker, or a Worker started by the
// tab elected among those of the same url, protocols and key); this tab talks
// to "the leader" over a BroadcastChannel and does not care where it lives.
// In 'direct' mode it simply wraps a WebSocket of its own.

import {
  BUS_VERSION, SERVER_FRAMES, TAB_FRAMES, TAB_KEPT, byteLength, channelName, electChannelName, envelope, randomId, sharingKey,
  tabLockName, workerLockName,
} from './bus.js';
import { BEAT_MS, LockElection } from './election.js';
import { CAN, SESSION, Session, WATCH, WAY, BEAT_MS as SESSION_BEAT_MS } from './session.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

const BATCH_FRAMES = 512;
const BATCH_BYTES = 256 * 1024;
const HELLO_RETRY_MS = 1000;
const PING_EVERY_MS = 20000;
const BYE_TIMEOUT_MS = 1000;
const STATS_TIMEOUT_MS = 2000;
const MODES = ['auto', 'sharedworker', 'election', 'direct'];
const PROTOCOLS = ['auto', 'none', 'graphql-transport-ws', 'graphql-ws', 'jsonrpc'];
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

function errorEvent(message) {
  return typeof ErrorEvent === 'function' ? new ErrorEvent('error', { message }) : new Event('error');
}

// An event with read-only extra fields (isLeader; attempt and delay).
function detailEvent(type, fields) {
  const e = new Event(type);
  for (const k of Object.keys(fields)) Object.defineProperty(e, k, { value: fields[k], enumerable: true });
  return e;
}

const canElect = () => typeof Worker === 'function';
const hasLocks = () => typeof navigator !== 'undefined' && !!navigator.locks;
const visible = () => typeof document === 'undefined' || !document.hidden;

export class SharedWebSocket extends EventTarget {
  constructor(url, protocols, options) {
    super();
    const opts = options || {};
    const mode = opts.mode === undefined ? 'auto' : opts.mode;
    if (!MODES.includes(mode)) throw new TypeError(`wsshare: unknown mode '${mode}'`);
    if (opts.protocol !== undefined && !PROTOCOLS.includes(opts.protocol)) {
      throw new TypeError(`wsshare: unknown protocol '${opts.protocol}'`);
    }
    this._url = resolveUrl(url);
    this._origin = new URL(this._url).origin;
    this._protocols = normalizeProtocols(protocols);
    this._opts = opts;
    this._state = CONNECTING;
    this._protocol = '';
    this._extensions = '';
    this._binaryType = 'blob';
    this._handlers = {};
    this._buffered = 0;
    this._timers = new Set();
    this._counts = { sent: 0, received: 0 };
    this._debug = opts.debug ? (...a) => console.debug('wsshare:', ...a) : () => {};
    this._entered = 0;
    // The session (C) picks the way to a leader and what follows its death;
    // this class performs what it says (_act).
    const caps = (typeof BroadcastChannel === 'function' ? CAN.BUS : 0) |
      (typeof SharedWorker === 'function' ? CAN.SHAREDWORKER : 0) | (canElect() ? CAN.WORKER : 0);
    this._session = new Session(mode, caps, (kind, a, text) => this._act(kind, a, text));
    if (!this._session.ok) throw fail('NotSupportedError', 'wsshare: too many sockets open in this page');
    if (!this._session.start(visible())) {
      this._session.free();
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

  get url() { return this._url; }
  get protocol() { return this._protocol; }
  get extensions() { return this._extensions; }
  get readyState() { return this._state; }
  get bufferedAmount() { return this._ws ? this._ws.bufferedAmount : this._buffered; }
  get binaryType() { return this._binaryType; }
  set binaryType(value) {
    if (value !== 'blob' && value !== 'arraybuffer') return;
    this._binaryType = value;
    if (this._ws) this._ws.binaryType = value;
  }
  get mode() { return this._mode; }
  // In 'direct' mode this tab leads its own socket; in 'election' mode the
  // elected tab does; a SharedWorker is nobody's tab.
  get isLeader() { return this._mode === 'direct' || (!!this._ownLeader && this._ownLeader === this._leaderId); }

  send(data) {
    if (this._state === CONNECTING) {
      throw fail('InvalidStateError', "Failed to execute 'send' on 'SharedWebSocket': Still in CONNECTING state.");
    }
    const payload = snapshot(data);
    const len = byteLength(payload);
    if (this._state !== OPEN) {
      this._buffered += len; // as the browser does after close: counted, not sent
      return;
    }
    if (this._ws) {
      // A tab that shared goes on with a socket of its own: until it opens,
      // frames wait behind the ones no leader acknowledged.
      if (this._ws.readyState === CONNECTING) this._carry.push(payload);
      else this._ws.send(payload);
      this._counts.sent++;
      return;
    }
    const max = this._opts.maxMessageBytes;
    if (max !== undefined && len > max) {
      this._fire(errorEvent(`wsshare: message of ${len} bytes exceeds maxMessageBytes (${max}); not sent`));
      return;
    }
    const frame = { seq: this._seq++, data: payload, len };
    this._unacked.push(frame);
    this._pending.push(frame);
    this._pendingBytes += len;
    this._buffered += len;
    this._counts.sent++;
    if (this._pending.length >= BATCH_FRAMES || this._pendingBytes >= BATCH_BYTES) this._flushSends();
    else if (this._pending.length === 1) queueMicrotask(() => this._flushSends());
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
    if (this._state === CLOSING || this._state === CLOSED) return;
    if (this._ws) {
      this._state = CLOSING;
      this._ws.close(code, reason);
      return;
    }
    const wasOpen = this._state === OPEN;
    this._state = CLOSING;
    if (!wasOpen) {
      // Like the browser: closing before the handshake fails the connection.
      this._later(0, () => {
        this._leave();
        this._fire(new Event('error'));
        this._finish(1006, '', false);
      });
      return;
    }
    this._flushSends();
    this._closeCode = code === undefined ? 1005 : code;
    this._closeReason = reason === undefined ? '' : reason;
    this._post(this._bye);
    this._later(BYE_TIMEOUT_MS, () => this._finish(this._closeCode, this._closeReason, true));
  }

  stats() {
    const own = {
      mode: this._mode,
      isLeader: this.isLeader,
      tab: {
        id: this._tab || 0,
        readyState: this._state,
        bufferedAmount: this.bufferedAmount,
        unacked: this._unacked ? this._unacked.length : 0,
        sent: this._counts.sent,
        received: this._counts.received,
      },
      leader: null,
    };
    if (!this._bus || !this._welcomed || this._state === CLOSED) return Promise.resolve(own);
    return new Promise((resolve) => {
      const id = ++this._statsId;
      const timer = this._later(STATS_TIMEOUT_MS, () => { this._statsWaiters.delete(id); resolve(own); });
      this._statsWaiters.set(id, (leader) => { this._cancel(timer); resolve({ ...own, leader }); });
      this._post(envelope('stats?', { tab: this._tab, id, l: this._leaderId }));
    });
  }

  // ---- direct mode: a plain WebSocket of this tab's own ----

  _startDirect(carry = []) {
    this._mode = 'direct';
    this._carry = carry;
    const ws = new WebSocket(this._url, this._protocols);
    ws.binaryType = this._binaryType;
    ws.onopen = () => {
      this._protocol = ws.protocol;
      this._extensions = ws.extensions;
      for (const data of this._carry) ws.send(data);
      this._carry = [];
      this._buffered = 0;
      // Open already: this tab was sharing, and goes on with a socket of its own.
      if (this._state === OPEN) this._fire(new Event('open'));
      else this._setOpen();
    };
    ws.onmessage = (e) => this._deliver(e.data);
    ws.onerror = () => this._fire(new Event('error'));
    ws.onclose = (e) => this._finish(e.code, e.reason, e.wasClean);
    this._ws = ws;
    this._debug('direct socket');
  }

  // ---- shared modes: the leader holds the socket ----

  // The session's actions.
  _act(kind, a, text) {
    switch (kind) {
      case SESSION.START: this._enter(a); break;
      case SESSION.LOST: this._lost(); break;
      case SESSION.FAIL:
        this._fire(errorEvent(`wsshare: ${text}`));
        this._finish(1006, '', false);
        break;
      case SESSION.TIMER:
        this._cancel(this._sessionTimer);
        this._sessionTimer = a === 0xffffffff ? undefined : this._later(a, () => this._session.tick());
        break;
      default: break;
    }
  }

  // Reaches the leader another way, or the same way anew, leaving the last.
  _enter(way) {
    if (this._state === CLOSED) return;
    if (way === WAY.DIRECT) {
      // What no leader acknowledged leaves first, on the tab's own socket.
      const carry = this._unacked ? this._unacked.map((f) => f.data) : [];
      this._leave();
      this._teardown();
      this._startDirect(carry);
      return;
    }
    this._dropWay();
    this._mode = way === WAY.ELECTION ? 'election' : 'sharedworker';
    if (!this._bus) this._startShared();
    const entered = ++this._entered;
    this._locked.then(() => {
      if (entered !== this._entered || this._state === CLOSED) return;
      if (way === WAY.ELECTION) this._startElection();
      else this._startWorker();
    });
  }

  // The leader this tab reached is gone: every frame not acknowledged waits
  // for the next one, which re-sends the tab's hello; the app hears of it as
  // of a reconnect.
  _lost() {
    this._debug('the leader is gone');
    // Its successor gets a name of its own, which every tab of the dead
    // worker derives alike: a browser may still hold the dying worker under
    // the old name and hand it out again (Firefox does).
    if (this._workerId) this._workerName = `${channelName(this._hash)}/after/${this._workerId}`;
    this._welcomed = false;
    this._leaderId = 0;
    if (this._closesWithLeader()) return;
    if (!this._reconnecting) this._reconnect(1, 0);
  }

  // A new leader is a new server connection. Unless a profile or the app's
  // opt-in resumes it, an open tab closes as its own socket would have.
  _closesWithLeader() {
    if (this._state !== OPEN || this._resume || this._quiet) return false;
    this._leave(true);
    this._fire(new Event('error'));
    this._finish(1006, '', false);
    return true;
  }

  // The connection is being made again. A client whose protocol profile
  // resumes it for them (its frames were kept) must not see that: such a
  // client answers a second open with a second handshake.
  // The leader's retries are told while the socket has not opened yet too.
  _reconnect(attempt, delay, connecting) {
    if (this._quiet || !(this._state === OPEN || (connecting && this._state === CONNECTING))) return;
    this._reconnecting = true;
    this._fire(detailEvent('reconnecting', { attempt, delay }));
  }

  // Lets go of whatever the current way holds (never the bus or the tab lock).
  _dropWay() {
    this._stopLifeWatch();
    this._dropWorker();
    if (this._election) {
      this._election.stop();
      this._election = null;
    }
    this._unlead();
    if (this._candidate) {
      this._candidate.postMessage({ t: 'stop' });
      this._candidate = null;
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this._onVisible);
    }
    this._closeElectBus();
  }

  // Lets go of the SharedWorker this tab reached: a later word of it is
  // nobody's business.
  _dropWorker() {
    const worker = this._worker;
    if (!worker) return;
    worker.onerror = worker.port.onmessage = null;
    worker.port.close();
    this._worker = null;
  }

  _stopLifeWatch() {
    if (!this._lifeWatch) return;
    this._lifeWatch.abort();
    this._lifeWatch = null;
  }

  _startShared() {
    this._hash = sharingKey(this._url, this._protocols, this._opts.key);
    this._tab = randomId();
    this._bye = envelope('bye', { tab: this._tab });
    this._leaderId = 0; // the leader this tab follows; 0 until one welcomes it
    this._seq = 1;
    this._posted = 0; // the last frame number posted to any leader
    this._unacked = [];
    // Frames the leader's protocol profile asked us to keep after their ack
    // (a handshake, a subscription, a request not yet answered): a next
    // leader gets them first, and rebuilds from them.
    this._kept = new Map();
    this._pending = [];
    this._pendingBytes = 0;
    this._welcomed = false;
    this._lastSeq = 0;
    this._statsId = 0;
    this._statsWaiters = new Map();
    this._bus = new BroadcastChannel(channelName(this._hash));
    this._bus.onmessage = (e) => this._onBus(e.data);
    this._onPageHide = (e) => this._pageHide(e);
    this._onPageShow = (e) => this._pageShow(e);
    this._onVisibility = () => this._session.visibility(visible());
    if (typeof addEventListener === 'function') {
      addEventListener('pagehide', this._onPageHide);
      addEventListener('pageshow', this._onPageShow);
    }
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this._onVisibility);
    this._locked = this._holdLock();
  }

  // The worker this tab reached answered. It holds a lock for its life: our
  // request for it is granted when the worker ends, however it ends. Without
  // Web Locks its beats tell that it lives.
  _ready(w, current) {
    this._workerId = w;
    if (w && hasLocks()) {
      const ctl = new AbortController();
      this._lifeWatch = ctl;
      navigator.locks.request(workerLockName(w), { signal: ctl.signal }, () => {
        if (this._lifeWatch !== ctl || !current()) return;
        this._lifeWatch = null;
        this._session.lost();
      }).catch(() => {});
    }
    this._session.ready(w && hasLocks() ? WATCH.LOCK : WATCH.BEATS);
  }

  // Held for the tab's whole life: the leader learns of our end, clean or
  // not, when its request for this lock is granted.
  _holdLock() {
    if (typeof navigator === 'undefined' || !navigator.locks) return Promise.resolve();
    return new Promise((held) => {
      navigator.locks.request(tabLockName(this._hash, this._tab), () => {
        held();
        return new Promise((release) => { this._releaseLock = release; });
      }).catch(() => held());
    });
  }

  _urls() {
    const urls = defaultUrls();
    return {
      workerUrl: String(this._opts.workerUrl || urls.workerUrl),
      wasmUrl: new URL(String(this._opts.wasmUrl || urls.wasmUrl), location.href).href,
      leaderUrl: new URL(String(urls.leaderUrl), location.href).href,
    };
  }

  // What the leader's core is told, from this tab's options.
  _init(extra) {
    const config = {};
    for (const k of ['maxQueuedBytes', 'maxQueuedFrames', 'maxMessageBytes', 'reconnect', 'protocol']) {
      if (this._opts[k] !== undefined) config[k] = this._opts[k];
    }
    config.protocols = this._protocols;
    if (this._opts.debug) config.debug = true;
    // Without Web Locks a worker's end shows only as silence: it beats.
    if (!hasLocks()) config.beatMs = SESSION_BEAT_MS;
    return {
      t: 'init', url: this._url, protocols: this._protocols, hash: this._hash,
      config, wasmUrl: this._urls().wasmUrl, debug: !!this._opts.debug, locks: hasLocks(), ...extra,
    };
  }

  _startWorker() {
    let worker;
    try {
      worker = new SharedWorker(this._urls().workerUrl, { name: this._workerName || channelName(this._hash) });
    } catch (err) {
      this._debug('no SharedWorker:', err && err.message);
      this._session.failed();
      return;
    }
    this._worker = worker;
    const current = () => this._worker === worker;
    // A worker that failed is let go at once: a later word of it is not
    // another failure to count.
    const failed = (why) => {
      if (!current()) return;
      this._debug('the worker failed:', why);
      this._dropWorker();
      this._session.failed();
    };
    worker.onerror = () => failed('its script did not load');
    worker.port.onmessage = (e) => {
      const msg = e.data;
      if (!current() || !msg) return;
      if (msg.t === 'ready') {
        this._ready(msg.w, current);
        this._hello();
      } else if (msg.t === 'fatal') {
        failed(msg.message);
      }
    };
    worker.port.postMessage(this._init());
  }

  // ---- election mode: the elected tab runs the leader in a Worker ----

  _startElection() {
    if (this._state === CLOSED) return;
    if (!hasLocks()) {
      this._startCandidate();
      return;
    }
    this._election = new LockElection(this._hash, this._tab, {
      onElected: () => this._lead(),
      onDeposed: () => this._unlead(),
      debug: this._debug,
    });
    this._election.start();
    this._hello();
  }

  _lead() {
    const id = randomId();
    const init = this._init({ leader: id, config: { ...this._init().config, beatMs: BEAT_MS } });
    this._ownLeader = id;
    let worker = null;
    try {
      worker = new Worker(this._urls().workerUrl);
    } catch (err) {
      this._leadHere(id, init, err && err.message);
      return;
    }
    this._leaderWorker = worker;
    const failed = (why) => {
      if (this._leaderWorker !== worker) return;
      worker.terminate();
      this._leaderWorker = null;
      this._leadHere(id, init, why);
    };
    worker.onerror = (e) => failed((e && e.message) || 'the script did not load');
    worker.onmessage = (e) => {
      const msg = e.data || {};
      if (msg.t === 'fatal') failed(msg.message);
      else if (msg.t === 'ready') this._ready(msg.w, () => this._leaderWorker === worker);
    };
    worker.postMessage(init);
  }

  // The Worker was refused: lead from this page instead.
  _leadHere(id, init, why) {
    this._debug('no leader worker (', why, '): leading from the page');
    import(/* @vite-ignore */ this._urls().leaderUrl)
      .then((m) => m.startLeader(init))
      .then((host) => {
        if (this._ownLeader === id) this._leaderHost = host;
        else host.stop();
      })
      .catch((err) => {
        if (this._ownLeader === id) this._cannotLead(err && err.message);
      });
  }

  // Neither a Worker nor this page could run the leader: its files are not
  // where they were looked for, or the browser refuses them. 'auto' falls back
  // to a socket of this tab's own; 'election' fails like a socket that could
  // not connect. Either way the lock goes to the next tab, which tries too.
  _cannotLead(why) {
    this._debug('cannot lead:', why);
    this._session.failed();
  }

  _unlead() {
    if (this._leaderWorker) {
      this._stopLifeWatch();
      this._leaderWorker.terminate();
      this._leaderWorker = null;
    }
    if (this._leaderHost) {
      this._leaderHost.stop();
      this._leaderHost = null;
    }
    this._ownLeader = 0;
  }

  // Without Web Locks every tab runs a candidate in a Worker of its own; the
  // candidates elect one (wasm/src/election.c), and its worker leads.
  _startCandidate() {
    let worker;
    try {
      worker = new Worker(this._urls().workerUrl);
    } catch (err) {
      this._cannotLead(err && err.message);
      return;
    }
    this._candidate = worker;
    worker.onerror = (e) => this._cannotLead((e && e.message) || 'the script did not load');
    worker.onmessage = (e) => {
      const m = e.data || {};
      if (m.t === 'fatal') this._cannotLead(m.message);
      else if (m.t === 'role') this._role(m.leader, m.term);
    };
    worker.postMessage(this._init({
      candidate: this._tab, visible: visible(), config: { ...this._init().config, beatMs: BEAT_MS },
    }));
    this._onVisible = () => worker.postMessage({ t: 'visible', visible: visible() });
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this._onVisible);
    this._hello();
  }

  // This tab's candidate leads (under the leader id given) or no longer (0).
  // Its announcement on the bus may come before or after this word.
  _role(id, term) {
    const was = this.isLeader;
    this._ownLeader = id;
    // While it leads, the page keeps its resignation ready on a channel
    // already open: a closing page may get no further than one post (_leave).
    this._resignation = id ? JSON.stringify({ v: 1, t: 'resign', id: this._tab, term }) : '';
    if (id && !this._electBus) this._electBus = new BroadcastChannel(electChannelName(this._hash));
    else if (!id) this._closeElectBus();
    if (this.isLeader !== was) this._fire(detailEvent('leaderchange', { isLeader: this.isLeader }));
  }

  // A leader announced itself: follow it, and tell the app if it is a change.
  _follow(id) {
    if (id === this._leaderId) return;
    const had = this._leaderId;
    this._leaderId = id;
    this._welcomed = false;
    const isLeader = this.isLeader;
    if (had || isLeader) this._fire(detailEvent('leaderchange', { isLeader }));
    if (had && this._closesWithLeader()) return;
    if (had && !this._reconnecting) this._reconnect(1, 0);
    this._hello();
  }

  _hello() {
    if (this._state === CLOSED || this._state === CLOSING) return;
    const next = this._unacked.length ? this._unacked[0].seq : this._seq;
    // `last`: frames up to it were accepted by send(); a new leader queues
    // their re-sends whatever its bounds.
    // `p`: frames up to it went to a leader, which may have handled them.
    this._post(envelope('hello', { tab: this._tab, next, last: this._seq - 1, p: this._posted, l: this._leaderId }));
    this._cancel(this._helloTimer);
    this._helloTimer = this._later(HELLO_RETRY_MS, () => { if (!this._welcomed) this._hello(); });
  }

  _post(msg) {
    if (this._bus) this._bus.postMessage(msg);
  }

  // Frames wait for a leader's welcome: it tells where to resume from.
  _flushSends() {
    if (!this._pending.length || !this._bus || !this._welcomed) return;
    const s = this._pending[0].seq;
    this._post({ v: BUS_VERSION, t: TAB_FRAMES, l: this._leaderId, tab: this._tab, s, f: this._pending.map((f) => f.data) });
    this._posted = Math.max(this._posted, s + this._pending.length - 1);
    this._pending = [];
    this._pendingBytes = 0;
  }

  _resendFrom(seq) {
    // Frames not yet posted are unacked too: they go out once, in this pass.
    this._pending = [];
    this._pendingBytes = 0;
    for (const frame of this._unacked) {
      if (frame.seq < seq) continue;
      this._pending.push(frame);
      if (this._pending.length >= BATCH_FRAMES) this._flushSends();
    }
    this._flushSends();
  }

  _onBus(msg) {
    if (typeof msg === 'string') {
      let env;
      try { env = JSON.parse(msg); } catch (err) { return; }
      if (env && env.v === BUS_VERSION) this._onControl(env);
    } else if (msg && msg.t === SERVER_FRAMES && msg.v === BUS_VERSION && Array.isArray(msg.f) &&
               msg.l === this._leaderId) {
      this._session.heard();
      if (this._election) this._election.heard();
      this._onFrames(msg.s, msg.f, Array.isArray(msg.o) ? msg.o : null);
    }
  }

  _onControl(env) {
    const mine = env.tab === this._tab;
    if (env.t === 'leader') {
      if (this._election) this._election.heard();
      this._follow(env.l);
      return;
    }
    // A welcome answers our hello; anything else is heeded only from the
    // leader we follow, never from one that was replaced.
    if (env.t === 'welcome' && mine && (!this._leaderId || env.l === this._leaderId)) {
      this._leaderId = env.l;
    }
    if (env.l !== this._leaderId) return;
    this._session.heard();
    if (this._election) this._election.heard();
    switch (env.t) {
      case 'welcome':
        if (mine) this._onWelcome(env);
        break;
      case 'open':
        if (this._welcomed) this._sharedOpen(env);
        break;
      case 'reconnecting':
        if (this._welcomed) this._reconnect(env.attempt, env.delay, true);
        break;
      case 'ack':
        this._notes(env.k, 3, (seq, mark) => this._keep(seq, mark));
        this._notes(env.x, 2, (seq) => this._keep(seq));
        this._notes(env.a, 2, (seq) => this._acked(seq));
        break;
      case 'close':
        // A close for one tab is a profile's: its own connection ended.
        if (this._welcomed && (env.tab === undefined || mine)) this._sharedClose(env);
        break;
      case 'gone':
        if (mine && this._state === CLOSING) this._finish(this._closeCode, this._closeReason, true);
        break;
      case 'error':
        if (mine) this._fire(errorEvent(`wsshare: ${env.message} (${env.code})`));
        break;
      case 'resend':
        if (mine) this._resendFrom(env.from);
        break;
      case 'rehello':
        // The leader does not know us (any more): it welcomes us afresh.
        if (mine) {
          this._welcomed = false;
          this._hello();
        }
        break;
      case 'stats':
        if (mine && this._statsWaiters.has(env.id)) {
          this._statsWaiters.get(env.id)(env.stats);
          this._statsWaiters.delete(env.id);
        }
        break;
      default:
        break;
    }
  }

  _onWelcome(env) {
    const fresh = !this._welcomed;
    if (fresh) {
      // A leader numbers its server frames from its own start: follow its count.
      this._welcomed = true;
      this._lastSeq = env.seq - 1;
      clearInterval(this._ping);
      this._ping = setInterval(() => this._post(envelope('ping', { tab: this._tab, l: this._leaderId })), PING_EVERY_MS);
    }
    this._cancel(this._helloTimer);
    this._resume = !!env.resume;
    this._acked(env.acked);
    // A leader that did not know us rebuilds first from what we kept.
    if (fresh && this._kept.size) {
      const kept = [...this._kept.values()];
      this._post({
        v: BUS_VERSION, t: TAB_KEPT, l: this._leaderId, tab: this._tab,
        q: kept.map((f) => f.seq), m: kept.map((f) => f.mark), f: kept.map((f) => f.data),
      });
    }
    if (this._unacked.length) this._resendFrom(this._unacked[0].seq);
    if (env.state === 'open') this._sharedOpen(env);
  }

  // The shared socket is open: the first time, or again after a reconnect
  // or a change of leader (then `open` fires again; readyState stayed OPEN).
  _sharedOpen(env) {
    this._resume = !!env.resume;
    this._protocol = env.protocol || '';
    this._extensions = env.extensions || '';
    if (this._state === CONNECTING) {
      this._reconnecting = false;
      this._setOpen();
    } else if (this._reconnecting && this._state === OPEN) {
      this._reconnecting = false;
      this._fire(new Event('open'));
    }
  }

  // Calls fn(seq, mark) for this tab's entries of a flat [tab, seq, (mark)] list.
  _notes(list, width, fn) {
    if (!Array.isArray(list)) return;
    for (let i = 0; i + width <= list.length; i += width) if (list[i] === this._tab) fn(list[i + 1], list[i + 2]);
  }

  // Keeps frame `seq` with `mark` for a next leader, or forgets it (no mark).
  _keep(seq, mark) {
    // A profile speaks for this tab's client from here on: see _reconnect.
    if (mark !== undefined) this._quiet = true;
    const frame = this._kept.get(seq) || this._unacked.find((f) => f.seq === seq);
    if (!frame) return;
    frame.mark = mark;
    if (mark === undefined) this._kept.delete(seq);
  }

  _acked(seq) {
    const list = this._unacked;
    let n = 0;
    while (n < list.length && list[n].seq <= seq) {
      const frame = list[n++];
      this._buffered -= frame.len;
      if (frame.mark !== undefined) this._kept.set(frame.seq, frame);
    }
    if (n) list.splice(0, n);
  }

  _onFrames(seq0, frames, to) {
    if (!this._welcomed || this._state === CLOSED || this._state === CONNECTING) return;
    // The leader numbers its posts without a gap and sends text or bytes: a
    // post that does neither is another script's, and dropped whole.
    if (!Number.isInteger(seq0) || seq0 > this._lastSeq + 1 ||
        frames.some((d) => typeof d !== 'string' && !(d instanceof ArrayBuffer))) return;
    for (let i = 0; i < frames.length; i++) {
      const seq = seq0 + i;
      if (seq <= this._lastSeq) continue;
      this._lastSeq = seq;
      // A profile's answer goes to the tab that asked: the others only count it.
      if (!to || !to[i] || to[i] === this._tab) this._deliver(frames[i]);
    }
  }

  _sharedClose(env) {
    if (this._state === CLOSED) return;
    this._leave(true);
    if (!env.clean) this._fire(new Event('error'));
    this._finish(env.code, env.reason || '', !!env.clean);
  }

  // A page entering the back/forward cache lets go of the socket as a plain
  // WebSocket would; if it comes back, it finds the socket closed. A leading
  // tab hands over at once, whether its page is cached or going away.
  _pageHide(e) {
    if (this._state === CLOSED) return;
    // A closing page may end before its candidate's worker reads another
    // message: the page says the leader resigns itself, so the others elect
    // at once, and says it first.
    if (this._resignation) this._electBus.postMessage(this._resignation);
    this._leave();
    if (this._election) this._election.resign();
    if (this._candidate) this._candidate.postMessage({ t: 'stop' });
    this._hiddenAway = e.persisted;
  }

  _pageShow(e) {
    if (e.persisted && this._hiddenAway && this._state !== CLOSED) {
      this._fire(new Event('error'));
      this._finish(1006, '', false);
    }
  }

  // Detaches from the leader: says goodbye unless the leader already let us go.
  // Firefox may stop a closing tab's pagehide script a few statements in, so
  // the goodbye is ready-made and posted before anything else is done.
  _leave(silent) {
    if (!this._bus) return;
    if (this._pending.length) this._flushSends();
    if (!silent && this._welcomed) this._bus.postMessage(this._bye);
    this._welcomed = false;
  }

  // ---- shared by every mode ----

  _setOpen() {
    if (this._state !== CONNECTING) return;
    this._state = OPEN;
    this._debug('open', this._mode);
    this._fire(new Event('open'));
  }

  _deliver(data) {
    let payload = data;
    if (typeof data !== 'string' && this._binaryType === 'blob' && data instanceof ArrayBuffer) payload = new Blob([data]);
    this._counts.received++;
    this._fire(new MessageEvent('message', { data: payload, origin: this._origin }));
  }

  _finish(code, reason, wasClean) {
    if (this._state === CLOSED) return;
    this._state = CLOSED;
    this._teardown();
    this._session.free();
    this._debug('closed', code);
    this._fire(new CloseEvent('close', { code, reason, wasClean }));
  }

  _teardown() {
    for (const t of this._timers) clearTimeout(t);
    this._timers.clear();
    // Their timeouts are gone with the timers: stats() asked as the tab went
    // settles now, without the leader's part.
    if (this._statsWaiters) {
      for (const settle of this._statsWaiters.values()) settle(null);
      this._statsWaiters.clear();
    }
    clearInterval(this._ping);
    this._dropWay();
    if (this._bus) {
      this._bus.close();
      this._bus = null;
    }
    if (this._releaseLock) this._releaseLock();
    if (this._onPageHide && typeof removeEventListener === 'function') {
      removeEventListener('pagehide', this._onPageHide);
      removeEventListener('pageshow', this._onPageShow);
    }
    if (this._onVisibility && typeof document !== 'undefined') {
      document.removeEventListener('visibilitychange', this._onVisibility);
    }
  }

  _closeElectBus() {
    if (!this._electBus) return;
    this._electBus.close();
    this._electBus = null;
  }

  _later(ms, fn) {
    const t = setTimeout(() => { this._timers.delete(t); fn(); }, ms);
    this._timers.add(t);
    return t;
  }

  _cancel(t) {
    if (t === undefined) return;
    clearTimeout(t);
    this._timers.delete(t);
  }

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
