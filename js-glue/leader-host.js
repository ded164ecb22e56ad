// The leader host: performs the core's actions with a real WebSocket, the bus,
// timers and Web Locks, and feeds back what happens. It decides nothing; every
// decision is the core's (wasm/src/core.c).

import { ACT, Core, ENOMEM, TEXT_FROM_SERVER, TEXT_FROM_TABS } from './core-wasm.js';
import { BUS_VERSION, SERVER_FRAMES, TAB_FRAMES, TAB_KEPT, byteLength, channelName, randomId, tabLockName } from './bus.js';

const MAX_FRAMES_PER_POST = 65536;
// The core refuses envelopes over 4096 bytes; a longer text is cut to just
// over that before it is copied in, so a hostile post costs nothing to count.
const MAX_ENVELOPE_CHARS = 4096;
const isU32 = (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
// The host numbers payloads below this; the core numbers the ones it makes from it.
const MADE_HANDLES = 0x80000000;
const isFrame = (d) => typeof d === 'string' || d instanceof ArrayBuffer ||
  (typeof Blob === 'function' && d instanceof Blob);

// A task after the ones already queued (unlike a microtask), without the
// clamping of setTimeout: frames that arrive in one burst share one post.
function taskScheduler() {
  if (typeof MessageChannel !== 'function') return (fn) => setTimeout(fn, 0);
  const ch = new MessageChannel();
  let queued = null; // one slot: the core asks for a flush only when none is pending
  ch.port1.onmessage = () => { const fn = queued; queued = null; fn(); };
  return (fn) => { queued = fn; ch.port2.postMessage(0); };
}

export class LeaderHost {
  // init: { url, protocols, hash, config, debug, locks, leader? }, module: instantiateCore()'s result.
  // An elected tab names its leader (so it knows it leads); a SharedWorker picks an id.
  constructor(module, init) {
    this.url = init.url;
    this.protocols = init.protocols;
    this.hash = init.hash;
    this.debug = !!init.debug;
    this.id = init.leader || randomId();
    // Tabs hold liveness locks only where their pages have Web Locks.
    this.locks = init.locks !== false && typeof navigator !== 'undefined' ? navigator.locks : undefined;
    // Whether tabs' ends can be watched decides how the core detects them;
    // a random seed keeps leaders of many users from retrying in step.
    this.core = new Core(module, { ...init.config, locks: !!this.locks, leader: this.id, seed: randomId() });
    this.payloads = new Map();
    this.nextHandle = 1;
    this.ws = null;
    this.timer = 0;
    this.watches = new Map();
    this.schedule = taskScheduler();
    this.visit = this.visit.bind(this);
    this.bus = null;
    this.guard = null;
  }

  // Takes the lead: from here the host listens on the bus, announces itself
  // and opens the socket when a tab says hello.
  start() {
    this.bus = new BroadcastChannel(channelName(this.hash));
    this.bus.onmessage = (e) => this.onBus(e.data);
    // The network is back: a retry that waits for its backoff goes at once.
    this.onOnline = () => this.run(this.core.online(this.now()));
    if (typeof addEventListener === 'function') addEventListener('online', this.onOnline);
    this.run(this.core.start(this.now()));
    return this;
  }

  // Leadership ended (the elected tab resigned or was replaced): nothing more
  // goes to the server or the bus from here; tabs re-send to the next leader
  // whatever this one did not acknowledge.
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (typeof removeEventListener === 'function') removeEventListener('online', this.onOnline);
    for (const ctl of this.watches.values()) ctl.abort();
    this.watches.clear();
    if (this.bus) {
      this.bus.onmessage = null;
      this.bus.close();
    }
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.close();
    }
    this.payloads.clear();
  }

  now() { return performance.now(); }

  // Performs the actions of the core's last call, unless leadership ended:
  // `guard`, when set, may stop the host first (see candidate.js).
  run(rc) {
    if (this.guard && !this.stopped) this.guard();
    if (!this.stopped) this.core.actions(this.visit);
    return rc;
  }

  store(payload) {
    const h = this.nextHandle;
    this.nextHandle = h >= MADE_HANDLES - 1 ? 1 : h + 1;
    this.payloads.set(h, payload);
    return h;
  }

  take(h) {
    const p = this.payloads.get(h);
    this.payloads.delete(h);
    return p;
  }

  onBus(msg) {
    if (typeof msg === 'string') {
      const text = msg.length > MAX_ENVELOPE_CHARS ? msg.slice(0, MAX_ENVELOPE_CHARS + 1) : msg;
      this.run(this.core.busControl(text, this.now()));
    } else if (msg && msg.t === TAB_FRAMES) {
      this.onTabFrames(msg);
    } else if (msg && msg.t === TAB_KEPT) {
      this.onTabKept(msg);
    } else if (!(msg && msg.t === SERVER_FRAMES)) {
      // Not ours: the core counts it as malformed and nothing else happens.
      this.run(this.core.busControl('', this.now()));
    }
  }

  // Stores a tab's frames under consecutive handles (the core takes a batch
  // so: never wrap inside one); returns the first.
  storeAll(frames) {
    if (this.nextHandle + frames.length >= MADE_HANDLES) this.nextHandle = 1;
    const firstHandle = this.nextHandle;
    for (const d of frames) this.store(d);
    return firstHandle;
  }

  // Out of memory before the core took the batch: the handles are still ours.
  // The tab keeps the frames unacknowledged; its next batch shows the core a
  // gap, and the core asks it to send them again.
  unstore(rc, firstHandle, n) {
    if (rc === ENOMEM) for (let i = 0; i < n; i++) this.payloads.delete(firstHandle + i);
  }

  onTabFrames(msg) {
    const frames = msg.f;
    const ok = Array.isArray(frames) && frames.length > 0 && frames.length <= MAX_FRAMES_PER_POST &&
      frames.every(isFrame);
    if (!ok || !isU32(msg.tab) || !isU32(msg.s) || !isU32(msg.v) || !isU32(msg.l)) {
      this.run(this.core.busControl('', this.now()));
      return;
    }
    const firstHandle = this.storeAll(frames);
    const now = this.now();
    // A protocol profile reads the frames; otherwise their lengths are all the core needs.
    const rc = this.run(this.core.wantsText() & TEXT_FROM_TABS
      ? this.core.tabFramesText(msg.v, msg.l, msg.tab, msg.s, frames, firstHandle, now)
      : this.core.tabFrames(msg.v, msg.l, msg.tab, msg.s, frames.map(byteLength), firstHandle, now));
    this.unstore(rc, firstHandle, frames.length);
  }

  // A tab that follows this leader sends the frames a profile told it to keep.
  onTabKept(msg) {
    const { f: frames, q: seqs, m: marks } = msg;
    const ok = Array.isArray(frames) && frames.length > 0 && frames.length <= MAX_FRAMES_PER_POST &&
      frames.every(isFrame) && Array.isArray(seqs) && Array.isArray(marks) &&
      seqs.length === frames.length && marks.length === frames.length && seqs.every(isU32) && marks.every(isU32);
    if (!ok || !isU32(msg.tab) || !isU32(msg.v) || !isU32(msg.l)) {
      this.run(this.core.busControl('', this.now()));
      return;
    }
    const firstHandle = this.storeAll(frames);
    const rc = this.run(this.core.tabRestore(msg.v, msg.l, msg.tab, seqs, marks, frames, firstHandle, this.now()));
    this.unstore(rc, firstHandle, frames.length);
  }

  visit(kind, a, b, handle, text, len) {
    switch (kind) {
      case ACT.SEND: this.ws.send(this.take(handle)); break;
      case ACT.RELEASE: this.payloads.delete(handle); break;
      case ACT.POST: this.bus.postMessage(this.core.text(text, len)); break;
      case ACT.POST_DATA: {
        // b handles, then the tab each frame is for (0: every tab).
        const words = new Uint32Array(this.core.memory.buffer, text, 2 * b);
        const f = new Array(b);
        let targeted = false;
        for (let i = 0; i < b; i++) {
          f[i] = this.take(words[i]);
          if (words[b + i]) targeted = true;
        }
        const post = { v: BUS_VERSION, t: SERVER_FRAMES, l: this.id, s: a, f };
        if (targeted) post.o = Array.from(words.subarray(b));
        this.bus.postMessage(post);
        break;
      }
      case ACT.PAYLOAD: this.payloads.set(a, this.core.text(text, len)); break;
      case ACT.FLUSH: this.schedule(() => this.run(this.core.flush(this.now()))); break;
      case ACT.OPEN: this.open(); break;
      case ACT.CLOSE: if (this.ws) this.ws.close(a, this.core.text(text, len)); break;
      case ACT.TIMER: this.arm(a); break;
      case ACT.WATCH: this.watch(a); break;
      case ACT.UNWATCH: this.unwatch(a); break;
      case ACT.LOG: if (this.debug) console.debug(this.core.text(text, len)); break;
      // IDLE: nothing to do; the worker lives as long as a page holds it.
      case ACT.DRAIN: this.awaitDrain(); break;
      default: break;
    }
  }

  open() {
    let ws;
    try {
      ws = new WebSocket(this.url, this.protocols);
    } catch (err) {
      // The tab validated the URL already; report it as a failed connection.
      queueMicrotask(() => this.run(this.core.socketClosed(1006, '', false, this.now())));
      return;
    }
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => this.run(this.core.socketOpened(ws.protocol, ws.extensions, this.now()));
    ws.onmessage = (e) => {
      const d = e.data;
      const h = this.store(d);
      const now = this.now();
      const rc = this.run(typeof d === 'string' && (this.core.wantsText() & TEXT_FROM_SERVER)
        ? this.core.socketText(h, d, now)
        : this.core.socketFrame(h, byteLength(d), typeof d !== 'string', now));
      // Out of memory: the core did not take the frame, which stays ours to drop.
      this.unstore(rc, h, 1);
    };
    ws.onclose = (e) => {
      if (this.ws === ws) this.ws = null;
      this.run(this.core.socketClosed(e.code, e.reason, e.wasClean, this.now()));
    };
    this.ws = ws;
  }

  // The core acknowledges frames to their tabs only once the socket has passed
  // them to the network: bufferedAmount falls as it does, in later tasks.
  awaitDrain() {
    const ws = this.ws;
    const check = () => {
      if (this.stopped || !ws || this.ws !== ws) return; // closed: the core was told
      if (ws.bufferedAmount === 0) this.run(this.core.socketDrained(this.now()));
      else setTimeout(check, 0);
    };
    setTimeout(check, 0);
  }

  arm(delay) {
    clearTimeout(this.timer);
    this.timer = 0;
    if (delay !== 0xffffffff) this.timer = setTimeout(() => this.run(this.core.tick(this.now())), delay);
  }

  // The tab holds its lock for its whole life; our request is granted when
  // it closes, crashes or navigates away.
  watch(tab) {
    if (!this.locks || this.watches.has(tab)) return;
    const ctl = new AbortController();
    this.watches.set(tab, ctl);
    this.locks.request(tabLockName(this.hash, tab), { signal: ctl.signal }, () => {
      if (this.watches.get(tab) === ctl) {
        this.watches.delete(tab);
        this.run(this.core.tabGone(tab, this.now()));
      }
    }).catch(() => {});
  }

  unwatch(tab) {
    const ctl = this.watches.get(tab);
    if (ctl) {
      this.watches.delete(tab);
      ctl.abort();
    }
  }
}
