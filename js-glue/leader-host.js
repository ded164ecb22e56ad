// The leader host: performs the core's actions with a real WebSocket, the bus,
// timers and Web Locks, and feeds back what happens. It decides nothing; every
// decision is the core's (wasm/src/core.c).

import { ACT, Core, ENOMEM, TEXT_FROM_SERVER, TEXT_FROM_TABS, passable } from './core-wasm.js';
import { BUS_VERSION, SERVER_FRAMES, TAB_FRAMES, TAB_KEPT, byteLength, channelName, randomId, roadName, tabLockName } from './bus.js';

// The host numbers payloads below this; the core numbers the ones it makes from it.
const MADE_HANDLES = 0x80000000;

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
    // a random seed keeps leaders of many users from retrying in step. A
    // leader is only ever started for a tab (the one that asked a
    // SharedWorker, the elected one), whose hello is on its way: the socket
    // need not wait for it.
    this.core = new Core(module, {
      ...init.config, locks: !!this.locks, leader: this.id, seed: randomId(), openAtStart: true,
    });
    this.payloads = new Map();
    this.nextHandle = 1;
    this.ws = null;
    this.timer = 0;
    this.watches = new Map();
    this.roads = new Map(); // tab -> the channel it sends this leader its posts on
    this.schedule = taskScheduler();
    this.visit = this.visit.bind(this);
    this.bus = null;
    this.guard = null;
  }

  // Takes the lead: from here the host listens on the bus, announces itself
  // and opens the socket.
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
  // Ends the leader: the socket, the bus, the watches, then the core itself.
  // Nothing calls into the core after this (every late callback checks).
  stop() {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    if (typeof removeEventListener === 'function') removeEventListener('online', this.onOnline);
    for (const ctl of this.watches.values()) ctl.abort();
    this.watches.clear();
    for (const road of this.roads.values()) road.close();
    this.roads.clear();
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
    this.core.destroy();
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

  // Every post goes to the core, which judges it: text as an envelope, a
  // tab's batch with its frames stored, and what cannot be passed on
  // (neither) as unreadable. Server frames are for the tabs.
  onBus(msg) {
    const now = this.now();
    const t = msg && msg.t;
    if (typeof msg === 'string') this.run(this.core.busControl(msg, now));
    else if (t === TAB_FRAMES && passable(msg, false)) this.onTabFrames(msg, now);
    else if (t === TAB_KEPT && passable(msg, true)) this.onTabKept(msg, now);
    else if (t !== SERVER_FRAMES) this.run(this.core.busUnreadable(now));
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

  onTabFrames(msg, now) {
    const firstHandle = this.storeAll(msg.f);
    // A protocol profile reads the frames; otherwise their lengths are all the core needs.
    // (A mark is the profile's: without one at work, the frame is like any other.)
    const text = this.core.wantsText() & TEXT_FROM_TABS;
    const rc = this.run(text && msg.m ? this.core.tabFrameMarked(msg, firstHandle, now)
      : text ? this.core.tabFramesText(msg, firstHandle, now)
        : this.core.tabFrames(msg, msg.f.map(byteLength), firstHandle, now));
    this.unstore(rc, firstHandle, msg.f.length);
  }

  // A tab that follows this leader sends the frames a profile told it to keep.
  onTabKept(msg, now) {
    const firstHandle = this.storeAll(msg.f);
    this.unstore(this.run(this.core.tabRestore(msg, firstHandle, now)), firstHandle, msg.f.length);
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
      case ACT.FLUSH: this.schedule(() => { if (!this.stopped) this.run(this.core.flush(this.now())); }); break;
      case ACT.OPEN: this.open(); break;
      case ACT.CLOSE: if (this.ws) this.ws.close(a, this.core.text(text, len)); break;
      case ACT.TIMER: this.arm(a); break;
      case ACT.WATCH: this.join(a); break;
      case ACT.UNWATCH: this.leave(a); break;
      case ACT.LOG: this.log(this.core.text(text, len)); break;
      // IDLE: nothing to do; the worker lives as long as a page holds it.
      case ACT.DRAIN: this.reportBuffered(a); break;
      default: break;
    }
  }

  open() {
    let ws;
    try {
      ws = new WebSocket(this.url, this.protocols);
    } catch (err) {
      // The tab validated the URL, yet the browser may refuse it (a page's
      // Content-Security-Policy, say): a failed connection, whose reason the
      // tabs get should the core give up. The error's name only: its message
      // may quote the URL, and with it a token.
      const reason = `wsshare: the browser refused the socket (${(err && err.name) || 'Error'})`;
      this.log(reason);
      queueMicrotask(() => { if (!this.stopped) this.run(this.core.socketClosed(1006, reason, false, this.now())); });
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

  // The core acknowledges a frame to its tab only once the socket has passed
  // its bytes to the network: bufferedAmount falls as it does, in later tasks.
  reportBuffered(delay) {
    const ws = this.ws;
    setTimeout(() => {
      if (this.stopped || !ws || this.ws !== ws) return; // closed: the core was told
      this.run(this.core.socketBuffered(ws.bufferedAmount, this.now()));
    }, delay);
  }

  log(line) {
    if (this.debug) console.debug(line);
  }

  arm(delay) {
    clearTimeout(this.timer);
    this.timer = 0;
    if (delay !== 0xffffffff) this.timer = setTimeout(() => { if (!this.stopped) this.run(this.core.tick(this.now())); }, delay);
  }

  // Tab `tab` joined (the core welcomes it next): its road opens, and its
  // end is watched.
  join(tab) {
    if (!this.roads.has(tab)) {
      const road = new BroadcastChannel(roadName(this.hash, this.id, tab));
      road.onmessage = (e) => { if (!this.stopped) this.onBus(e.data); };
      this.roads.set(tab, road);
    }
    this.watch(tab);
  }

  // Tab `tab` left, or is let go: nothing more of it is heard or watched.
  leave(tab) {
    const road = this.roads.get(tab);
    if (road) {
      this.roads.delete(tab);
      road.onmessage = null;
      road.close();
    }
    this.unwatch(tab);
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
    }).catch((err) => {
      // unwatch() aborts the request. Any other failure means the core will
      // not learn of a crash of this tab, only of its goodbye: worth a line.
      if (!ctl.signal.aborted) this.log(`wsshare: cannot watch tab ${tab}: ${err && err.message}`);
    });
  }

  unwatch(tab) {
    const ctl = this.watches.get(tab);
    if (ctl) {
      this.watches.delete(tab);
      ctl.abort();
    }
  }
}
