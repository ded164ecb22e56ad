// The tab's session (wasm/src/session.c), compiled to JavaScript for the page
// (wasm2js: a page needs no 'wasm-unsafe-eval'). It decides which way the tab
// reaches a leader and what happens when that leader dies; this wrapper only
// feeds it and hands its actions to the tab, one call at a time.

import * as C from '../build/page/page.mjs';

export const MODE = { auto: 1, sharedworker: 2, election: 3, direct: 4 };
export const CAN = { BUS: 1, SHAREDWORKER: 2, WORKER: 4 };
export const WAY = { SHAREDWORKER: 1, ELECTION: 2, DIRECT: 3 };
export const WATCH = { NONE: 0, LOCK: 1, BEATS: 2 };
export const SESSION = { START: 64, LOST: 65, FAIL: 66, TIMER: 67 };
export const BEAT_MS = C.wss_session_beat_ms();
const OK = 0;

const decoder = new TextDecoder();
const now = () => performance.now();

export class Session {
  // act(kind, a, text) performs one action; it may report new events, which
  // run once the actions of the current call are done.
  constructor(mode, caps, act) {
    this.ptr = C.wss_session_new(MODE[mode], caps);
    this.act = act;
    this.busy = false;
    this.queued = [];
  }

  // Whether the pool had room (a page holds at most 256 sessions at once).
  get ok() { return this.ptr !== 0; }

  start(visible) { return this.call(C.wss_session_start, visible ? 1 : 0) === OK; }
  ready(watch) { this.call(C.wss_session_ready, watch); }
  heard() { C.wss_session_heard(this.ptr, now()); } // never acts
  failed() { this.call(C.wss_session_failed); }
  lost() { this.call(C.wss_session_lost); }
  visibility(visible) { this.call(C.wss_session_visibility, visible ? 1 : 0); }
  tick() { this.call(C.wss_session_tick); }

  free() {
    if (this.ptr) C.wss_session_free(this.ptr);
    this.ptr = 0;
  }

  // One call into C, its actions copied out before any is performed: an
  // action that reports back (a worker that cannot even be constructed)
  // queues its event behind the rest.
  call(fn, arg) {
    if (!this.ptr) return -2;
    if (this.busy) {
      this.queued.push(() => this.call(fn, arg));
      return OK;
    }
    const rc = arg === undefined ? fn(this.ptr, now()) : fn(this.ptr, arg, now());
    const m = new Uint32Array(C.memory.buffer);
    const top = C.stackSave();
    const box = C.stackAlloc(4);
    const list = C.wss_session_actions(this.ptr, box) >> 2;
    const count = m[box >> 2];
    C.stackRestore(top);
    const acts = [];
    for (let i = 0; i < count; i++) {
      const o = list + i * 6; // kind, a, b, handle, text pointer, text length
      acts.push([m[o], m[o + 1], m[o + 5] ? decoder.decode(new Uint8Array(C.memory.buffer, m[o + 4], m[o + 5])) : '']);
    }
    this.busy = true;
    try {
      for (const [kind, a, text] of acts) this.act(kind, a, text);
    } finally {
      this.busy = false;
    }
    while (this.queued.length && !this.busy) this.queued.shift()();
    return rc;
  }
}
