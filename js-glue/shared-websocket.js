// SharedWebSocket: the tab side. It behaves like the browser's WebSocket, but
// the socket lives with a leader (a SharedWorker, or a Worker started by the
// tab elected among those of the same url, protocols and key); this tab talks
// to "the leader" over a BroadcastChannel and does not care where it lives.
// In 'direct' mode it simply wraps a WebSocket of its own.
//
// Every decision is C's: the session (wasm/src/session.c) picks the way to a
// leader and judges its life; the link (wasm/src/link.c) speaks the bus. This
// class is the WebSocket face and performs what they say (_act, _linkAct).

import {
  BUS_VERSION, SERVER_FRAMES, TAB_FRAMES, TAB_KEPT, byteLength, channelName, electChannelName, randomId, sharingKey,
  tabLockName, workerLockName,
} from './bus.js';
import { BEAT_MS, LockElection } from './election.js';
import { CAN, HOST, SESSION, Session, WATCH, WAY } from './session.js';
import { CLEAN, ERR, HEARD_SESSION, LINK, Link, REASON_APP, REASON_ENVELOPE, isU32 } from './link.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

const MODES = ['auto', 'sharedworker', 'election', 'direct'];
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
const isFrame = (d) => typeof d === 'string' || d instanceof ArrayBuffer;

export class SharedWebSocket extends EventTarget {
  constructor(url, protocols, options) {
    super();
    const opts = options || {};
    const mode = opts.mode === undefined ? 'auto' : opts.mode;
    if (!MODES.includes(mode)) throw new TypeError(`wsshare: unknown mode '${mode}'`);
    if (opts.protocol !== undefined && PROTOCOLS && !PROTOCOLS.includes(opts.protocol)) {
      throw new TypeError(`wsshare: unknown protocol '${opts.protocol}'`);
    }
    this._url = resolveUrl(url);
    this._origin = new URL(this._url).origin;
    this._protocols = normalizeProtocols(protocols);
    this._opts = opts;
    this._state = CONNECTING; // a socket of the tab's own; the link's readyState otherwise
    this._protocol = '';
    this._extensions = '';
    this._binaryType = 'blob';
    this._handlers = {};
    this._buffered = 0;
    this._counts = { sent: 0, received: 0 };
    this._debug = opts.debug ? (...a) => console.debug('wsshare:', ...a) : () => {};
    this._entered = 0;
    this._tab = randomId();
    // Payloads the link numbered, until it releases them: { data, len } by seq.
    this._frames = new Map();
    this._asks = new Map();
    this._farewell = {}; // by FAREWELL's `a`: the text a page that goes posts first
    const caps = (typeof BroadcastChannel === 'function' ? CAN.BUS : 0) |
      (typeof SharedWorker === 'function' ? CAN.SHAREDWORKER : 0) | (canElect() ? CAN.WORKER : 0) |
      (hasLocks() ? CAN.LOCKS : 0);
    this._session = new Session(mode, caps, (kind, a, text) => this._act(kind, a, text));
    this._link = new Link(this._tab, opts.maxMessageBytes, (...x) => this._linkAct(...x));
    if (!this._session.ok || !this._link.ok) {
      this._session.free();
      this._link.free();
      throw fail('NotSupportedError', 'wsshare: too many sockets open in this page');
    }
    if (!this._session.start(visible())) {
      this._session.free();
      this._link.free();
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
  get readyState() { return this._link ? this._link.state : this._state; }
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
  get isLeader() { return this._mode === 'direct' || (!!this._link && this._link.isLeader); }

  send(data) {
    if (this.readyState === CONNECTING) {
      throw fail('InvalidStateError', "Failed to execute 'send' on 'SharedWebSocket': Still in CONNECTING state.");
    }
    const payload = snapshot(data);
    const len = byteLength(payload);
    if (this._link) {
      this._link.send(len, (seq) => {
        if (!seq) return;
        this._frames.set(seq, { data: payload, len });
        this._counts.sent++;
      });
      return;
    }
    if (this._state !== OPEN) {
      this._buffered += len; // as the browser does after close: counted, not sent
      return;
    }
    // A tab that shared goes on with a socket of its own: until it opens,
    // frames wait behind the ones no leader acknowledged.
    if (this._ws.readyState === CONNECTING) this._carry.push(payload);
    else this._ws.send(payload);
    this._counts.sent++;
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
    if (this._link) {
      this._closeReason = reason === undefined ? '' : reason;
      this._link.close(code === undefined ? 0 : code);
      return;
    }
    this._state = CLOSING;
    if (this._ws) this._ws.close(code, reason);
  }

  stats() {
    const link = this._link;
    const own = {
      mode: this._mode,
      isLeader: this.isLeader,
      tab: {
        id: this._hash ? this._tab : 0, // a tab that never shared has no id on a bus
        readyState: this.readyState,
        bufferedAmount: this.bufferedAmount,
        unacked: link ? link.next - link.unacked : 0,
        sent: this._counts.sent,
        received: this._counts.received,
      },
      leader: null,
    };
    if (!link || !this._bus) return Promise.resolve(own);
    return new Promise((resolve) => {
      link.stats((id) => {
        if (!id) resolve(own);
        else this._asks.set(id, (env) => resolve(env ? { ...own, leader: env.stats } : own));
      });
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
      if (this._state !== CONNECTING) {
        this._fire(new Event('open'));
      } else {
        this._state = OPEN;
        this._debug('open', this._mode);
        this._fire(new Event('open'));
      }
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
      case SESSION.FAIL: if (this._link) this._link.fail(text); break;
      case SESSION.HOST:
        if (a === HOST.WORKER) this._lead();
        else if (a === HOST.PAGE) this._leadHere();
        else this._unlead();
        break;
      case SESSION.ERROR: this._fire(errorEvent(`wsshare: ${this._wayError}`)); break;
      case SESSION.TIMER:
        clearTimeout(this._sessionTimer);
        this._sessionTimer = a === 0xffffffff ? undefined : setTimeout(() => this._session.tick(), a);
        break;
      default: break;
    }
  }

  // The link's actions (see wss_link_action_kind in wasm/include/wsshare.h).
  _linkAct(kind, a, b, handle, extra, ctx) {
    switch (kind) {
      case LINK.POST: this._post(extra); break;
      case LINK.POST_FRAMES:
        for (let s = a; s < a + b; s += extra) {
          const f = [];
          for (let q = s; q < Math.min(a + b, s + extra); q++) f.push(this._frames.get(q).data);
          this._post({ v: BUS_VERSION, t: TAB_FRAMES, l: handle, tab: this._tab, s, f });
        }
        break;
      case LINK.POST_MARKED:
        this._post({ v: BUS_VERSION, t: TAB_FRAMES, l: handle, tab: this._tab, s: a, f: [this._frames.get(a).data], m: [b] });
        break;
      case LINK.POST_KEPT: {
        const q = extra.slice(0, b);
        this._post({ v: BUS_VERSION, t: TAB_KEPT, l: handle, tab: this._tab, q, m: extra.slice(b), f: q.map((s) => this._frames.get(s).data) });
        break;
      }
      case LINK.FAREWELL: this._farewell[a] = b ? extra : null; break;
      case LINK.ELECT_BUS:
        if (a && !this._electBus) this._electBus = new BroadcastChannel(electChannelName(this._hash));
        else if (!a) this._closeElectBus();
        break;
      case LINK.DELIVER: for (let i = a; i < a + b; i++) this._deliver(ctx.frames[ctx.off + i]); break;
      case LINK.COUNT: this._buffered += a; break;
      case LINK.ACKED: for (let s = a; s <= b; s++) this._buffered -= this._frames.get(s).len; break;
      case LINK.RELEASE: for (let s = a; s <= b; s++) this._frames.delete(s); break;
      case LINK.FLUSH: queueMicrotask(() => { if (this._link) this._link.flush(); }); break;
      case LINK.PROTOCOL:
        this._protocol = ctx.protocol || '';
        this._extensions = ctx.extensions || '';
        break;
      case LINK.OPEN:
        this._session.opened();
        this._debug('open', this._mode);
        this._fire(new Event('open'));
        break;
      case LINK.ERROR: this._fire(this._error(a, b, ctx)); break;
      case LINK.CLOSE:
        this._finish(a, b & REASON_APP ? this._closeReason : b & REASON_ENVELOPE ? ctx.reason || '' : '', !!(b & CLEAN));
        break;
      case LINK.RECONNECTING: this._fire(detailEvent('reconnecting', { attempt: a, delay: b })); break;
      case LINK.LEADERCHANGE: this._fire(detailEvent('leaderchange', { isLeader: !!a })); break;
      case LINK.STATS: {
        const settle = this._asks.get(a);
        this._asks.delete(a);
        if (settle) settle(b ? ctx : null);
        break;
      }
      case LINK.HEARD:
        if (a & HEARD_SESSION) this._session.heard();
        if (this._election) this._election.heard();
        break;
      case LINK.TIMER:
        clearTimeout(this._linkTimer);
        this._linkTimer = a === 0xffffffff ? undefined : setTimeout(() => { if (this._link) this._link.tick(); }, a);
        break;
      default: break;
    }
  }

  _error(why, n, ctx) {
    switch (why) {
      case ERR.TOO_BIG: return errorEvent(`wsshare: message of ${n} bytes exceeds maxMessageBytes (${this._opts.maxMessageBytes}); not sent`);
      case ERR.LEADER: return errorEvent(`wsshare: ${ctx.message} (${ctx.code})`);
      case ERR.NOTES: return errorEvent(`wsshare: more than ${n} frames to keep for a next leader; a change of leader will close this socket`);
      case ERR.SESSION: return errorEvent(`wsshare: ${ctx}`);
      default: return new Event('error');
    }
  }

  // Reaches the leader another way, or the same way anew, leaving the last.
  _enter(way) {
    if (this._closed) return;
    if (way === WAY.DIRECT) {
      // What no leader acknowledged leaves first, on the tab's own socket.
      const carry = [];
      const link = this._link;
      if (link) {
        link.leave();
        for (let s = link.unacked; s < link.next; s++) carry.push(this._frames.get(s).data);
        this._state = link.state;
      }
      this._teardown();
      this._startDirect(carry);
      return;
    }
    this._dropWay();
    this._mode = way === WAY.ELECTION ? 'election' : 'sharedworker';
    if (!this._bus) this._startShared();
    const entered = ++this._entered;
    this._locked.then(() => {
      if (entered !== this._entered || this._closed) return;
      if (way === WAY.ELECTION) this._startElection();
      else this._startWorker();
    });
  }

  // The leader this tab reached is gone: every frame not acknowledged waits
  // for the next one, which re-sends the tab's hello.
  _lost() {
    this._debug('the leader is gone');
    // Its successor gets a name of its own, which every tab of the dead
    // worker derives alike: a browser may still hold the dying worker under
    // the old name and hand it out again (Firefox does).
    if (this._workerId) this._workerName = `${channelName(this._hash)}/after/${this._workerId}`;
    if (this._link) this._link.lost();
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
    this._bus = new BroadcastChannel(channelName(this._hash));
    this._bus.onmessage = (e) => this._onBus(e.data);
    this._onPageHide = (e) => this._pageHide(e);
    this._onPageShow = (e) => { if (this._link) this._link.pageshow(e.persisted); };
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
    const watch = this._session.watchFor(!!w);
    if (watch === WATCH.LOCK) {
      const ctl = new AbortController();
      this._lifeWatch = ctl;
      navigator.locks.request(workerLockName(w), { signal: ctl.signal }, () => {
        if (this._lifeWatch !== ctl || !current()) return;
        this._lifeWatch = null;
        this._session.lost();
      }).catch((err) => {
        // Aborted when the way is dropped; otherwise the worker's death will
        // show only as a failed post or the socket's silence.
        if (!ctl.signal.aborted) this._debug('cannot watch the worker:', err && err.message);
      });
    }
    this._session.ready(watch);
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
    config.url = this._url;
    if (this._opts.debug) config.debug = true;
    // Where a worker's end would show only as silence, it beats.
    const beat = this._session.leaderBeat();
    if (beat) config.beatMs = beat;
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
    if (this._closed) return;
    if (!hasLocks()) {
      this._startCandidate();
      return;
    }
    this._election = new LockElection(this._hash, this._tab, {
      onElected: () => this._session.elected(true),
      onDeposed: () => this._session.elected(false),
      // The session says whether it costs the way or is the app's to hear.
      onError: (why) => {
        this._wayError = why;
        this._session.wayError();
      },
      debug: this._debug,
    });
    this._election.start();
    this._hello();
  }

  // This tab leads (SESSION HOST worker): its leader runs in a Worker of its
  // own, under an id of this term.
  _lead() {
    const id = randomId();
    this._ownLeader = id;
    this._leaderInit = this._init({ leader: id, config: { ...this._init().config, beatMs: BEAT_MS } });
    if (this._link) this._link.lead(id);
    let worker = null;
    try {
      worker = new Worker(this._urls().workerUrl);
    } catch (err) {
      this._hostFailed(err && err.message);
      return;
    }
    this._leaderWorker = worker;
    const failed = (why) => {
      if (this._leaderWorker !== worker) return;
      worker.terminate();
      this._leaderWorker = null;
      this._hostFailed(why);
    };
    worker.onerror = (e) => failed((e && e.message) || 'the script did not load');
    worker.onmessage = (e) => {
      const msg = e.data || {};
      if (msg.t === 'fatal') failed(msg.message);
      else if (msg.t === 'ready') this._ready(msg.w, () => this._leaderWorker === worker);
    };
    worker.postMessage(this._leaderInit);
  }

  // The Worker was refused (SESSION HOST page): this page leads, same term.
  _leadHere() {
    const id = this._ownLeader;
    const init = this._leaderInit;
    import(/* @vite-ignore */ this._urls().leaderUrl)
      .then((m) => m.startLeader(init))
      .then((host) => {
        if (this._ownLeader === id) this._leaderHost = host;
        else host.stop();
      })
      .catch((err) => {
        if (this._ownLeader === id) this._hostFailed(err && err.message);
      });
  }

  // The leader's host could not run it; the session says what next.
  _hostFailed(why) {
    this._debug('the leader could not run here:', why);
    this._session.hostFailed();
  }

  // The way itself could not start: its script did not load, or the browser
  // refused it. The session takes the next way, or fails.
  _wayFailed(why) {
    this._debug('the way failed:', why);
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
    if (this._link) this._link.lead(0);
  }

  // Without Web Locks every tab runs a candidate in a Worker of its own; the
  // candidates elect one (wasm/src/election.c), and its worker leads.
  _startCandidate() {
    let worker;
    try {
      worker = new Worker(this._urls().workerUrl);
    } catch (err) {
      this._wayFailed(err && err.message);
      return;
    }
    this._candidate = worker;
    worker.onerror = (e) => this._wayFailed((e && e.message) || 'the script did not load');
    worker.onmessage = (e) => {
      const m = e.data || {};
      if (m.t === 'fatal') this._wayFailed(m.message);
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
    this._ownLeader = id;
    if (this._link) this._link.role(id, term);
  }

  _hello() {
    if (this._link) this._link.hello();
  }

  _post(msg) {
    if (this._bus) this._bus.postMessage(msg);
  }

  _onBus(msg) {
    const link = this._link;
    if (!link) return;
    if (typeof msg === 'string') {
      let env;
      try { env = JSON.parse(msg); } catch (err) { return; }
      if (env && env.v === BUS_VERSION) link.envelope(env);
    } else if (msg && msg.t === SERVER_FRAMES && msg.v === BUS_VERSION && Array.isArray(msg.f) && isU32(msg.l)) {
      // A post that is not numbered or carries other than text or bytes is
      // another script's: the leader is heard, and none of it taken.
      const ok = isU32(msg.s) && msg.f.every(isFrame);
      link.frames(msg.l, ok ? msg.s : 0, ok ? msg.f : [], ok && Array.isArray(msg.o) ? msg.o : null);
    }
  }

  // A page entering the back/forward cache lets go of the socket as a plain
  // WebSocket would; if it comes back, it finds the socket closed. A leading
  // tab hands over at once, whether its page is cached or going away.
  _pageHide(e) {
    if (!this._link) return;
    // Firefox may stop a closing page's script a few statements in: the
    // farewell the link wrote goes first, ready-made.
    const { 1: bye, 2: resign } = this._farewell;
    if (resign && this._electBus) this._electBus.postMessage(resign);
    if (bye) this._bus.postMessage(bye);
    this._link.pagehide(e.persisted);
    if (this._election) this._election.resign();
    if (this._candidate) this._candidate.postMessage({ t: 'stop' });
  }

  // ---- shared by every mode ----

  _deliver(data) {
    let payload = data;
    if (typeof data !== 'string' && this._binaryType === 'blob' && data instanceof ArrayBuffer) payload = new Blob([data]);
    this._counts.received++;
    this._fire(new MessageEvent('message', { data: payload, origin: this._origin }));
  }

  _finish(code, reason, wasClean) {
    if (this._closed) return;
    this._closed = true;
    this._state = CLOSED;
    this._teardown();
    this._session.free();
    this._debug('closed', code);
    this._fire(new CloseEvent('close', { code, reason, wasClean }));
  }

  _teardown() {
    clearTimeout(this._sessionTimer);
    clearTimeout(this._linkTimer);
    if (this._link) {
      this._link.free();
      this._link = null;
    }
    this._frames.clear();
    // stats() asked as the tab went settles now, without the leader's part.
    for (const settle of this._asks.values()) settle(null);
    this._asks.clear();
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
