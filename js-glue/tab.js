// The tab behind a SharedWebSocket: it performs what its C decides (the
// session, wasm/src/session.c: which way to a leader, and whether that leader
// lives; the link, wasm/src/link.c: the tab's side of the bus) and feeds them
// what happens: posts on the bus, timers, the page's visibility and its
// going away. The ways to a leader (a SharedWorker, the election, the leader
// this tab hosts) are ways.js's; in 'direct' mode it holds a socket of its own.
// Events for the app go to the face (shared-websocket.js).

import { BUS_VERSION, SERVER_FRAMES, TAB_FRAMES, TAB_KEPT, channelName, electChannelName, randomId, sharingKey, tabLockName } from './bus.js';
import {
  CAN_BUS, CAN_LOCKS, CAN_SHAREDWORKER, CAN_WORKER, HOST_PAGE, HOST_STANDBY, HOST_WORKER,
  Session, SESSION_ERROR, SESSION_FAIL, SESSION_HOST, SESSION_LOST, SESSION_START,
  SESSION_TIMER, WAY_DIRECT, WAY_ELECTION, WAY_SHAREDWORKER,
} from './session.js';
import {
  BATCH_MASK, BY_BUS, CLEAN, ERR_LEADER, ERR_NOTES, ERR_SESSION, ERR_TOO_BIG, HEARD_SESSION,
  isU32, Link, LINK_ACKED, LINK_CLOSE, LINK_COUNT, LINK_DELIVER,
  LINK_ELECT_BUS, LINK_ERROR, LINK_FAREWELL, LINK_FLUSH, LINK_HEARD, LINK_LEADERCHANGE,
  LINK_OPEN, LINK_POST, LINK_POST_FRAMES, LINK_POST_KEPT, LINK_POST_MARKED, LINK_PROTOCOL,
  LINK_RECONNECTING, LINK_RELEASE, LINK_STATS, LINK_TIMER, REASON_APP, REASON_ENVELOPE,
} from './link.js';
import { Ways, hasLocks, visible } from './ways.js';

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

export function errorEvent(message) {
  return typeof ErrorEvent === 'function' ? new ErrorEvent('error', { message }) : new Event('error');
}

// An event with read-only extra fields (isLeader; attempt and delay).
function detailEvent(type, fields) {
  const e = new Event(type);
  for (const k of Object.keys(fields)) Object.defineProperty(e, k, { value: fields[k], enumerable: true });
  return e;
}

const isFrame = (d) => typeof d === 'string' || d instanceof ArrayBuffer;

export class Tab {
  // face: the SharedWebSocket; url and protocols checked by it; urls(): where
  // the worker, the wasm and the page's leader are.
  constructor(face, url, protocols, opts, mode, urls) {
    this._face = face;
    this._url = url;
    // A message event's origin is the socket's. Given to each event's
    // constructor it costs about as much again as the event itself (Chromium):
    // a class of this socket's own answers it instead.
    const origin = new URL(url).origin;
    this._Message = class extends MessageEvent {
      get origin() { return origin; }
    };
    this._protocols = protocols;
    this._opts = opts;
    this._urls = urls;
    this._state = CONNECTING; // a socket of the tab's own; the link's readyState otherwise
    this._protocol = '';
    this._extensions = '';
    this._buffered = 0;
    this._counts = { sent: 0, received: 0 };
    this._debug = opts.debug ? (...a) => console.debug('wsshare:', ...a) : () => {};
    this._entered = 0;
    this._id = randomId();
    // Payloads the link numbered, until it releases them: { data, len } by seq.
    this._frames = new Map();
    this._asks = new Map();
    this._farewell = {}; // by FAREWELL's `a`: the text a page that goes posts first
    const caps = (typeof BroadcastChannel === 'function' ? CAN_BUS : 0) |
      (typeof SharedWorker === 'function' ? CAN_SHAREDWORKER : 0) | (typeof Worker === 'function' ? CAN_WORKER : 0) |
      (hasLocks() ? CAN_LOCKS : 0);
    this._session = new Session(mode, caps, (kind, a, text) => this._act(kind, a, text));
    this._link = new Link(this._id, opts.maxMessageBytes, (...x) => this._linkAct(...x));
    this._ways = new Ways(this);
    if (!this._ok) this._free();
  }

  // Whether the page had room for its session and link.
  get _ok() { return this._session._ok && !!this._link && this._link._ok; }

  // Takes the first way; false (and everything freed) when the page cannot
  // run the mode asked for.
  _start() {
    if (this._session._start(visible())) return true;
    this._free();
    return false;
  }

  _free() {
    this._session._free();
    if (this._link) this._link._free();
    this._link = null;
  }

  get _readyState() { return this._link ? this._link._state : this._state; }
  get _bufferedAmount() { return this._ws ? this._ws.bufferedAmount : this._buffered; }
  get _modeName() { return this._mode; }
  get _isLeader() { return this._mode === 'direct' || (!!this._link && this._link._isLeader); }

  _setBinaryType(value) {
    if (this._ws) this._ws.binaryType = value;
  }

  _send(payload, len) {
    if (this._link) {
      this._link._send(len, (seq) => {
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

  _close(code, reason) {
    if (this._link) {
      this._closeReason = reason === undefined ? '' : reason;
      this._link._close(code === undefined ? 0 : code);
      return;
    }
    this._state = CLOSING;
    if (this._ws) this._ws.close(code, reason);
  }

  _stats() {
    const link = this._link;
    const own = {
      mode: this._mode,
      isLeader: this._isLeader,
      tab: {
        id: this._hash ? this._id : 0, // a tab that never shared has no id on a bus
        readyState: this._readyState,
        bufferedAmount: this._bufferedAmount,
        unacked: link ? link._next - link._unacked : 0,
        sent: this._counts.sent,
        received: this._counts.received,
      },
      leader: null,
    };
    if (!link || !this._bus) return Promise.resolve(own);
    return new Promise((resolve) => {
      link._stats((id) => {
        if (!id) resolve(own);
        else this._asks.set(id, (env) => resolve(env ? { ...own, leader: env.stats } : own));
      });
    });
  }

  _fire(event) {
    this._face._fire(event);
  }

  // ---- direct mode: a plain WebSocket of this tab's own ----

  _startDirect(carry = []) {
    this._mode = 'direct';
    this._carry = carry;
    const ws = new WebSocket(this._url, this._protocols);
    ws.binaryType = this._face.binaryType;
    ws.onopen = () => {
      this._protocol = ws.protocol;
      this._extensions = ws.extensions;
      for (const data of this._carry) ws.send(data);
      this._carry = [];
      this._buffered = 0;
      // Unless open already (this tab was sharing, and goes on with a socket
      // of its own), it opens now.
      if (this._state === CONNECTING) {
        this._state = OPEN;
        this._debug('open', this._mode);
      }
      this._fire(new Event('open'));
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
      case SESSION_START: this._enter(a); break;
      case SESSION_LOST: this._lost(); break;
      case SESSION_FAIL: if (this._link) this._link._fail(text); break;
      case SESSION_HOST:
        if (a === HOST_WORKER) this._ways._lead();
        else if (a === HOST_PAGE) this._ways._leadHere();
        else {
          this._ways._unlead();
          if (a === HOST_STANDBY) this._ways._standBy();
        }
        break;
      case SESSION_ERROR: this._fire(errorEvent(`wsshare: ${this._ways._error}`)); break;
      case SESSION_TIMER:
        clearTimeout(this._sessionTimer);
        this._sessionTimer = a === 0xffffffff ? undefined : setTimeout(() => this._session._tick(), a);
        break;
      default: break;
    }
  }

  // The link's actions (see wss_link_action_kind in wasm/include/wsshare.h).
  _linkAct(kind, a, b, handle, extra, ctx) {
    switch (kind) {
      case LINK_POST: this._post(extra, handle); break;
      case LINK_POST_FRAMES: {
        // `extra`: the frames a post may carry, and whether they go on the bus.
        const n = extra & BATCH_MASK;
        for (let s = a; s < a + b; s += n) {
          const f = [];
          for (let q = s; q < Math.min(a + b, s + n); q++) f.push(this._frames.get(q).data);
          this._post({ v: BUS_VERSION, t: TAB_FRAMES, l: handle, tab: this._id, s, f }, extra & BY_BUS ? 0 : handle);
        }
        break;
      }
      case LINK_POST_MARKED:
        this._post({ v: BUS_VERSION, t: TAB_FRAMES, l: handle, tab: this._id, s: a, f: [this._frames.get(a).data], m: [b] }, handle);
        break;
      case LINK_POST_KEPT: {
        const q = extra.slice(0, b);
        this._post({ v: BUS_VERSION, t: TAB_KEPT, l: handle, tab: this._id, q, m: extra.slice(b), f: q.map((s) => this._frames.get(s).data) }, handle);
        break;
      }
      case LINK_FAREWELL: this._farewell[a] = b ? [extra, handle] : null; break;
      case LINK_ELECT_BUS:
        if (a && !this._electBus) this._electBus = new BroadcastChannel(electChannelName(this._hash));
        else if (!a) this._closeElectBus();
        break;
      case LINK_DELIVER: for (let i = a; i < a + b; i++) this._deliver(ctx.frames[ctx.off + i]); break;
      case LINK_COUNT: this._buffered += a; break;
      case LINK_ACKED: for (let s = a; s <= b; s++) this._buffered -= this._frames.get(s).len; break;
      case LINK_RELEASE: for (let s = a; s <= b; s++) this._frames.delete(s); break;
      case LINK_FLUSH: queueMicrotask(() => { if (this._link) this._link._flush(); }); break;
      case LINK_PROTOCOL:
        this._protocol = ctx.protocol || '';
        this._extensions = ctx.extensions || '';
        break;
      case LINK_OPEN:
        this._session._opened();
        this._debug('open', this._mode);
        this._fire(new Event('open'));
        break;
      case LINK_ERROR: this._fire(this._error(a, b, ctx)); break;
      case LINK_CLOSE:
        this._finish(a, b & REASON_APP ? this._closeReason : b & REASON_ENVELOPE ? ctx.reason || '' : '', !!(b & CLEAN));
        break;
      case LINK_RECONNECTING: this._fire(detailEvent('reconnecting', { attempt: a, delay: b })); break;
      case LINK_LEADERCHANGE: this._fire(detailEvent('leaderchange', { isLeader: !!a })); break;
      case LINK_STATS: {
        const settle = this._asks.get(a);
        this._asks.delete(a);
        if (settle) settle(b ? ctx : null);
        break;
      }
      case LINK_HEARD:
        if (a & HEARD_SESSION) this._session._heard();
        this._ways._heard();
        break;
      case LINK_TIMER:
        clearTimeout(this._linkTimer);
        this._linkTimer = a === 0xffffffff ? undefined : setTimeout(() => { if (this._link) this._link._tick(); }, a);
        break;
      default: break;
    }
  }

  _error(why, n, ctx) {
    switch (why) {
      case ERR_TOO_BIG: return errorEvent(`wsshare: message of ${n} bytes exceeds maxMessageBytes (${this._opts.maxMessageBytes}); not sent`);
      case ERR_LEADER: return errorEvent(`wsshare: ${ctx.message} (${ctx.code})`);
      case ERR_NOTES: return errorEvent(`wsshare: more than ${n} frames to keep for a next leader; a change of leader will close this socket`);
      case ERR_SESSION: return errorEvent(`wsshare: ${ctx}`);
      default: return new Event('error');
    }
  }

  // Reaches the leader another way, or the same way anew, leaving the last.
  _enter(way) {
    if (this._closed) return;
    if (way === WAY_DIRECT) {
      // What no leader acknowledged leaves first, on the tab's own socket.
      const carry = [];
      const link = this._link;
      if (link) {
        link._leave();
        for (let s = link._unacked; s < link._next; s++) carry.push(this._frames.get(s).data);
        this._state = link._state;
      }
      this._teardown();
      this._startDirect(carry);
      return;
    }
    this._ways._drop();
    this._mode = way === WAY_ELECTION ? 'election' : 'sharedworker';
    const entered = ++this._entered;
    this._hash = sharingKey(this._url, this._protocols, this._opts.key);
    // A worker starts first, its start being most of a first tab's wait: the
    // bus and the tab lock, which cost the page a few ms, come after it. The
    // hello that makes this tab known waits for the tab lock (see _ways).
    if (way === WAY_SHAREDWORKER) {
      this._ways._start(way);
      if (!this._bus && entered === this._entered && !this._closed) this._startShared();
      return;
    }
    if (!this._bus) this._startShared();
    this._locked.then(() => {
      if (entered !== this._entered || this._closed) return;
      this._ways._start(way);
    });
  }

  // The leader this tab reached is gone: every frame not acknowledged waits
  // for the next one, which re-sends the tab's hello.
  _lost() {
    this._debug('the leader is gone');
    this._ways._lost();
    if (this._link) this._link._lost();
  }

  // The bus, the page's listeners and the tab lock, for the sharing key
  // _enter set.
  _startShared() {
    this._bus = new BroadcastChannel(channelName(this._hash));
    this._bus.onmessage = (e) => this._onBus(e.data);
    this._onPageHide = (e) => this._pageHide(e);
    this._onPageShow = (e) => { if (this._link) this._link._pageshow(e.persisted); };
    this._onVisibility = () => this._session._visibility(visible());
    if (typeof addEventListener === 'function') {
      addEventListener('pagehide', this._onPageHide);
      addEventListener('pageshow', this._onPageShow);
    }
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this._onVisibility);
    this._locked = this._holdLock();
  }

  // Held for the tab's whole life: the leader learns of our end, clean or
  // not, when its request for this lock is granted.
  _holdLock() {
    if (!hasLocks()) return Promise.resolve();
    return new Promise((held) => {
      navigator.locks.request(tabLockName(this._hash, this._id), () => {
        held();
        return new Promise((release) => { this._releaseLock = release; });
      }).catch((err) => {
        // The leader will learn of this tab's goodbye, not of its crash.
        this._debug('cannot hold the tab lock:', err && err.message);
        held();
      });
    });
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
    const beat = this._session._leaderBeat();
    if (beat) config.beatMs = beat;
    return {
      t: 'init', url: this._url, protocols: this._protocols, hash: this._hash,
      config, wasmUrl: this._urls().wasmUrl, debug: !!this._opts.debug, locks: hasLocks(), ...extra,
    };
  }

  // What the link posts for leader `to`: by a road of that leader's own (see
  // ways.js); for none (0), on the bus.
  _post(msg, to) {
    if (to) this._ways._up(msg, to);
    else if (this._bus) this._bus.postMessage(msg);
  }

  _onBus(msg) {
    const link = this._link;
    if (!link) return;
    if (typeof msg === 'string') {
      let env;
      try {
        env = JSON.parse(msg);
      } catch (err) {
        this._debug('a post on the bus that is not JSON:', err && err.message);
        return;
      }
      if (env && env.v === BUS_VERSION) link._envelope(env);
    } else if (msg && msg.t === SERVER_FRAMES && msg.v === BUS_VERSION && Array.isArray(msg.f) && isU32(msg.l)) {
      // A post that is not numbered or carries other than text or bytes is
      // another script's: the leader is heard, and none of it taken.
      const ok = isU32(msg.s) && msg.f.every(isFrame);
      link._frames(msg.l, ok ? msg.s : 0, ok ? msg.f : [], ok && Array.isArray(msg.o) ? msg.o : null);
    }
  }

  // A page entering the back/forward cache lets go of the socket as a plain
  // WebSocket would; if it comes back, it finds the socket closed. A leading
  // tab hands over at once, whether its page is cached or going away.
  _pageHide(e) {
    if (!this._link) return;
    // Firefox may stop a closing page's script a few statements in: the
    // farewell the link wrote goes first, ready-made, and the goodbye on the
    // bus (nothing unacknowledged: no leader named) with no call before it.
    const { 1: bye, 2: resign } = this._farewell;
    if (resign && this._electBus) this._electBus.postMessage(resign[0]);
    if (bye && !bye[1]) this._bus.postMessage(bye[0]);
    else if (bye) this._ways._up(bye[0], bye[1]);
    this._link._pagehide(e.persisted);
    this._ways._pagehide();
  }

  // ---- shared by every mode ----

  _deliver(data) {
    let payload = data;
    if (typeof data !== 'string' && this._face.binaryType === 'blob' && data instanceof ArrayBuffer) payload = new Blob([data]);
    this._counts.received++;
    this._fire(new this._Message('message', { data: payload }));
  }

  _finish(code, reason, wasClean) {
    if (this._closed) return;
    this._closed = true;
    this._state = CLOSED;
    this._teardown();
    this._session._free();
    this._debug('closed', code);
    this._fire(new CloseEvent('close', { code, reason, wasClean }));
  }

  _teardown() {
    clearTimeout(this._sessionTimer);
    clearTimeout(this._linkTimer);
    if (this._link) {
      this._link._free();
      this._link = null;
    }
    this._frames.clear();
    // stats() asked as the tab went settles now, without the leader's part.
    for (const settle of this._asks.values()) settle(null);
    this._asks.clear();
    this._ways._drop();
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
}
