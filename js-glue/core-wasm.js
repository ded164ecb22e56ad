// The C core, loaded from wsshare.wasm and wrapped once: strings go in through
// one reusable buffer, actions come back as fixed records that the host reads
// straight from linear memory. This file knows the ABI; nothing else does.

const ACTION_WORDS = 6; // kind, a, b, handle, text pointer, text length
export const ACT = {
  OPEN: 1, SEND: 2, RELEASE: 3, CLOSE: 4, POST: 5, POST_DATA: 6,
  TIMER: 7, FLUSH: 8, WATCH: 9, UNWATCH: 10, LOG: 11, IDLE: 12, DRAIN: 13, PAYLOAD: 14,
  ELECT_POST: 32, ELECT_TIMER: 33, LEAD: 34, FOLLOW: 35, STOP: 36,
};
export const ENOMEM = -1;
// wss_wants_text's bits, and the length word's mark of a binary frame.
export const TEXT_FROM_TABS = 1;
export const TEXT_FROM_SERVER = 2;
const FRAME_BINARY = 0x80000000;
const ELECT_LEADING = 3; // enum wss_elect_role
// WSS_MAX_ENVELOPE_BYTES: wss_bus_control needs no more of a longer text to
// refuse it for its size.
const MAX_ENVELOPE_BYTES = 4096;
// The most frames of one post the host stores (a tab posts far fewer).
const MAX_FRAMES_PER_POST = 65536;

// What the bus carried, as the core takes it: a number stays one (the core
// checks it is a whole uint32), anything else is NaN, never coerced.
const num = (x) => (typeof x === 'number' ? x : NaN);
const isFrame = (d) => typeof d === 'string' || d instanceof ArrayBuffer ||
  (typeof Blob === 'function' && d instanceof Blob);

// Whether a tab's batch (its frames, and when `kept` the number and mark of
// each) can be handed to the core: the frames are what the host can store.
// What the batch says is the core's to judge; one that fails this is unreadable.
export function passable(msg, kept) {
  const f = msg.f;
  if (!Array.isArray(f) || f.length === 0 || f.length > MAX_FRAMES_PER_POST || !f.every(isFrame)) return false;
  // A batch's frame re-sent with its mark comes alone.
  if (!kept) return msg.m === undefined || (Array.isArray(msg.m) && msg.m.length === 1 && f.length === 1);
  return Array.isArray(msg.q) && Array.isArray(msg.m) && msg.q.length === f.length && msg.m.length === f.length;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The core, compiled: fetched from wasmUrl, compiled as it streams in.
export async function compileCore(wasmUrl) {
  const response = await fetch(wasmUrl);
  if (!response.ok) throw new Error(`wsshare: cannot load the core (${response.status})`);
  try {
    return await WebAssembly.compileStreaming(response.clone());
  } catch (err) {
    // A server that sends the wrong Content-Type still serves the bytes.
    return WebAssembly.compile(await response.arrayBuffer());
  }
}

// compiled: the core's WebAssembly.Module where this worker compiled it ahead
// (a follower's standby Worker); else it is fetched and compiled now.
export async function instantiateCore(wasmUrl, compiled) {
  const imports = {
    // Views over memory are re-read on every use, so growth needs no work here.
    env: { emscripten_notify_memory_growth() {} },
  };
  return ready(await WebAssembly.instantiate(compiled || await compileCore(wasmUrl), imports));
}

function ready(instance) {
  const exports = instance.exports;
  exports._initialize();
  return { exports, memory: exports.memory };
}

// What the broker and the election candidate share: strings in through one
// reusable buffer, action records read from linear memory.
class Native {
  // module: the result of instantiateCore; create(box, p, n): the C constructor.
  constructor(module, config, create, what) {
    this.x = module.exports;
    this.memory = module.memory;
    this.inPtr = 0;
    this.inCap = 0;
    this.box = this.x.malloc(4); // one out-parameter cell, reused by every call
    const rc = this.callWith(JSON.stringify(config), (p, n) => create(this.box, p, n));
    if (rc !== 0) throw new Error(`wsshare: the ${what} refused its configuration (${rc})`);
    this.ptr = this.u32()[this.box >> 2];
  }

  // A view of the memory, made anew only when the memory grew (its buffer
  // is then another): most calls, a frame's, read no more than a count.
  u32() {
    const buffer = this.memory.buffer;
    if (!this.view || this.view.buffer !== buffer) this.view = new Uint32Array(buffer);
    return this.view;
  }

  // Makes the reusable input buffer hold at least `max` bytes; false when out of memory.
  room(max) {
    if (max <= this.inCap) return true;
    if (this.inPtr) this.x.free(this.inPtr);
    this.inCap = Math.max(max, 256);
    this.inPtr = this.x.malloc(this.inCap);
    if (!this.inPtr) this.inCap = 0;
    return !!this.inPtr;
  }

  // Copies text into the reusable input buffer and calls fn(pointer, bytes).
  callWith(text, fn) {
    const max = text.length * 3;
    if (!this.room(max)) return ENOMEM;
    const { written } = encoder.encodeInto(text, new Uint8Array(this.memory.buffer, this.inPtr, this.inCap));
    return fn(this.inPtr, written);
  }

  text(p, n) { return decoder.decode(new Uint8Array(this.memory.buffer, p, n)); }

  // Calls visit(kind, a, b, handle, textPtr, textLen) for each action in list.
  visitActions(list, visit) {
    const m = this.u32();
    const count = m[this.box >> 2];
    for (let i = 0; i < count; i++) {
      const o = (list >> 2) + i * ACTION_WORDS;
      visit(m[o], m[o + 1], m[o + 2], m[o + 3], m[o + 4], m[o + 5]);
    }
  }

  destroy() {
    if (this.inPtr) this.x.free(this.inPtr);
    this.x.free(this.box);
    this.release(this.ptr);
    this.ptr = 0;
  }
}

export class Core extends Native {
  constructor(module, config) {
    super(module, config, (box, p, n) => module.exports.wss_create(box, p, n), 'core');
  }

  // A longer text is cut just past the limit before it is copied in: a
  // hostile post costs nothing to refuse.
  busControl(text, now) {
    const cut = text.length > MAX_ENVELOPE_BYTES ? text.slice(0, MAX_ENVELOPE_BYTES + 1) : text;
    return this.callWith(cut, (p, n) => this.x.wss_bus_control(this.ptr, p, n, now));
  }

  busUnreadable(now) { return this.x.wss_bus_unreadable(this.ptr, now); }

  start(now) { return this.x.wss_start(this.ptr, now); }

  // A tab's batch `msg` (passable), its frames stored from firstHandle on.
  tabFrames(msg, lens, firstHandle, now) {
    const buf = this.x.wss_scratch(this.ptr, Math.max(lens.length, 1));
    if (!buf) return ENOMEM;
    this.u32().set(lens, buf >> 2);
    return this.x.wss_tab_frames(this.ptr, num(msg.v), num(msg.l), num(msg.tab), num(msg.s),
      lens.length, firstHandle, buf, now);
  }

  wantsText() { return this.x.wss_wants_text(this.ptr); }

  // Copies the text frames' UTF-8 one after the other into the input buffer;
  // returns each frame's length word (a binary frame's marked, its bytes not
  // copied), or null when out of memory.
  putTexts(frames) {
    let max = 0;
    for (const d of frames) if (typeof d === 'string') max += d.length * 3;
    if (!this.room(max)) return null;
    const words = new Array(frames.length);
    let at = 0;
    for (let i = 0; i < frames.length; i++) {
      const d = frames[i];
      if (typeof d !== 'string') {
        words[i] = (FRAME_BINARY | (d.byteLength !== undefined ? d.byteLength : d.size)) >>> 0;
        continue;
      }
      const { written } = encoder.encodeInto(d, new Uint8Array(this.memory.buffer, this.inPtr + at, max - at));
      words[i] = written;
      at += written;
    }
    return words;
  }

  tabFramesText(msg, firstHandle, now) {
    const words = this.putTexts(msg.f);
    const buf = words && this.x.wss_scratch(this.ptr, Math.max(words.length, 1));
    if (!buf) return ENOMEM;
    this.u32().set(words, buf >> 2);
    return this.x.wss_tab_frames_text(this.ptr, num(msg.v), num(msg.l), num(msg.tab), num(msg.s),
      words.length, firstHandle, buf, this.inPtr, now);
  }

  // Frames a tab kept for a next leader (msg.f), with the numbers (msg.q) and
  // marks (msg.m) the notes gave them: (seq, mark, length word) per frame, as
  // doubles (the scratch buffer is malloc's, aligned for them).
  // A batch of one frame re-sent with the mark a profile gave it (msg.m[0]).
  tabFrameMarked(msg, handle, now) {
    const words = this.putTexts(msg.f);
    if (!words) return ENOMEM;
    return this.x.wss_tab_frame_marked(this.ptr, num(msg.v), num(msg.l), num(msg.tab), num(msg.s),
      num(msg.m[0]), handle, words[0], this.inPtr, now);
  }

  tabRestore(msg, firstHandle, now) {
    const words = this.putTexts(msg.f);
    const buf = words && this.x.wss_scratch(this.ptr, Math.max(6 * words.length, 1));
    if (!buf) return ENOMEM;
    const meta = new Float64Array(this.memory.buffer, buf, 3 * words.length);
    for (let i = 0; i < words.length; i++) {
      meta[3 * i] = num(msg.q[i]);
      meta[3 * i + 1] = num(msg.m[i]);
      meta[3 * i + 2] = words[i];
    }
    return this.x.wss_tab_restore(this.ptr, num(msg.v), num(msg.l), num(msg.tab), words.length,
      firstHandle, buf, this.inPtr, now);
  }

  socketText(handle, text, now) {
    return this.callWith(text, (p, n) => this.x.wss_socket_text(this.ptr, handle, p, n, now));
  }

  tabGone(tab, now) { return this.x.wss_tab_gone(this.ptr, tab, now); }

  socketOpened(protocol, extensions, now) {
    // Both strings go through one buffer: "protocol\0extensions".
    const text = `${protocol}\u0000${extensions}`;
    return this.callWith(text, (p, n) => {
      const cut = new Uint8Array(this.memory.buffer, p, n).indexOf(0);
      return this.x.wss_socket_opened(this.ptr, p, cut, p + cut + 1, n - cut - 1, now);
    });
  }

  socketFrame(handle, len, binary, now) {
    return this.x.wss_socket_frame(this.ptr, handle, len, binary ? 1 : 0, now);
  }

  socketBuffered(amount, now) { return this.x.wss_socket_buffered(this.ptr, amount, now); }

  socketClosed(code, reason, wasClean, now) {
    return this.callWith(reason, (p, n) => this.x.wss_socket_closed(this.ptr, code, p, n, wasClean ? 1 : 0, now));
  }

  online(now) { return this.x.wss_online(this.ptr, now); }

  tick(now) { return this.x.wss_tick(this.ptr, now); }

  flush(now) { return this.x.wss_flush(this.ptr, now); }

  // Calls visit(kind, a, b, handle, textPtr, textLen) for each action of the
  // last call. A visit must not call into the core: that would replace them.
  actions(visit) { this.visitActions(this.x.wss_actions(this.ptr, this.box), visit); }

  release(ptr) { this.x.wss_destroy(ptr); }
}

// One tab's candidate in the election without Web Locks (wasm/src/election.c).
export class Elect extends Native {
  constructor(module, id, config) {
    super(module, config, (box, p, n) => module.exports.wss_elect_create(box, id, p, n), 'election');
  }

  start(visible, now) { return this.x.wss_elect_start(this.ptr, visible ? 1 : 0, now); }

  message(text, now) { return this.callWith(text, (p, n) => this.x.wss_elect_message(this.ptr, p, n, now)); }

  tick(now) { return this.x.wss_elect_tick(this.ptr, now); }

  visibility(visible, now) { return this.x.wss_elect_visibility(this.ptr, visible ? 1 : 0, now); }

  resign(now) { return this.x.wss_elect_resign(this.ptr, now); }

  leaseUntil() { return this.x.wss_elect_lease_until(this.ptr); }

  leading() { return this.x.wss_elect_role(this.ptr) === ELECT_LEADING; }

  term() { return this.x.wss_elect_term(this.ptr); }

  actions(visit) { this.visitActions(this.x.wss_elect_actions(this.ptr, this.box), visit); }

  release(ptr) { this.x.wss_elect_destroy(ptr); }
}
