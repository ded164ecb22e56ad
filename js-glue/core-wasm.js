// The C core, loaded from wsshare.wasm and wrapped once: strings go in through
// one reusable buffer, actions come back as fixed records that the host reads
// straight from linear memory. This file knows the ABI; nothing else does.

const ACTION_WORDS = 6; // kind, a, b, handle, text pointer, text length
export const ACT = {
  OPEN: 1, SEND: 2, RELEASE: 3, CLOSE: 4, POST: 5, POST_DATA: 6,
  TIMER: 7, FLUSH: 8, WATCH: 9, UNWATCH: 10, LOG: 11, IDLE: 12, DRAIN: 13,
};
export const ENOMEM = -1;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function instantiateCore(wasmUrl) {
  let memory = null;
  const imports = {
    // Views over memory are re-read on every use, so growth needs no work here.
    env: { emscripten_notify_memory_growth() {} },
  };
  const response = await fetch(wasmUrl);
  if (!response.ok) throw new Error(`wsshare: cannot load the core (${response.status})`);
  let result;
  try {
    result = await WebAssembly.instantiateStreaming(response.clone(), imports);
  } catch (err) {
    // A server that sends the wrong Content-Type still serves the bytes.
    result = await WebAssembly.instantiate(await response.arrayBuffer(), imports);
  }
  const exports = result.instance.exports;
  memory = exports.memory;
  exports._initialize();
  return { exports, memory };
}

export class Core {
  // module: the result of instantiateCore; config: a plain object for the core.
  constructor(module, config) {
    this.x = module.exports;
    this.memory = module.memory;
    this.inPtr = 0;
    this.inCap = 0;
    this.box = this.x.malloc(4); // one out-parameter cell, reused by every call
    const rc = this.callWith(JSON.stringify(config), (p, n) => this.x.wss_create(this.box, p, n));
    if (rc !== 0) throw new Error(`wsshare: the core refused its configuration (${rc})`);
    this.ptr = this.u32()[this.box >> 2];
  }

  u32() { return new Uint32Array(this.memory.buffer); }

  // Copies text into the reusable input buffer and calls fn(pointer, bytes).
  callWith(text, fn) {
    const max = text.length * 3;
    if (max > this.inCap) {
      if (this.inPtr) this.x.free(this.inPtr);
      this.inCap = Math.max(max, 256);
      this.inPtr = this.x.malloc(this.inCap);
      if (!this.inPtr) { this.inCap = 0; return ENOMEM; }
    }
    const { written } = encoder.encodeInto(text, new Uint8Array(this.memory.buffer, this.inPtr, this.inCap));
    return fn(this.inPtr, written);
  }

  busControl(text, now) {
    return this.callWith(text, (p, n) => this.x.wss_bus_control(this.ptr, p, n, now));
  }

  start(now) { return this.x.wss_start(this.ptr, now); }

  tabFrames(version, leader, tab, seq0, lens, firstHandle, now) {
    const buf = this.x.wss_scratch(this.ptr, Math.max(lens.length, 1));
    if (!buf) return ENOMEM;
    this.u32().set(lens, buf >> 2);
    return this.x.wss_tab_frames(this.ptr, version, leader, tab, seq0, lens.length, firstHandle, buf, now);
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

  socketDrained(now) { return this.x.wss_socket_drained(this.ptr, now); }

  socketClosed(code, reason, wasClean, now) {
    return this.callWith(reason, (p, n) => this.x.wss_socket_closed(this.ptr, code, p, n, wasClean ? 1 : 0, now));
  }

  tick(now) { return this.x.wss_tick(this.ptr, now); }

  flush(now) { return this.x.wss_flush(this.ptr, now); }

  stats() {
    const p = this.x.wss_stats_json(this.ptr);
    return p ? JSON.parse(this.cString(p)) : null;
  }

  version() { return this.cString(this.x.wss_version()); }

  cString(p) {
    const bytes = new Uint8Array(this.memory.buffer, p);
    return decoder.decode(bytes.subarray(0, bytes.indexOf(0)));
  }

  text(p, n) { return decoder.decode(new Uint8Array(this.memory.buffer, p, n)); }

  // Calls visit(kind, a, b, handle, textPtr, textLen) for each action of the
  // last call. A visit must not call into the core: that would replace them.
  actions(visit) {
    const list = this.x.wss_actions(this.ptr, this.box);
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
    this.x.wss_destroy(this.ptr);
    this.ptr = 0;
  }
}
