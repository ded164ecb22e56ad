// How the page calls its C (session.c, link.c, locks.c, compiled to
// JavaScript together): one call at a time, its actions copied out of C's
// memory before any is performed. An action that reports back (a worker that
// cannot even be constructed, an app's handler that sends) queues its event
// behind the rest of the call's actions.

import * as C from '../build/page/page.mjs';

const decoder = new TextDecoder();

export const now = () => performance.now();

// The text at ptr, len bytes, in C's memory.
export const textAt = (ptr, len) => decoder.decode(new Uint8Array(C.memory.buffer, ptr, len));

// The page's memory never grows (-sALLOW_MEMORY_GROWTH=0): one view of it
// serves every call.
export const words = new Uint32Array(C.memory.buffer);

// Where a `*_actions` call writes its count: four bytes below the stack's
// start, taken once and kept.
const box = C.stackAlloc(4) >> 2;

// The actions of the last call on `ptr`, as wss_*_actions (`list`) gives
// them, six words each (kind, a, b, handle, text pointer, text length),
// copied out: the list lives in C's static memory, which a call
// made while they are performed (another socket's, from an event handler)
// would overwrite.
export function actionsOf(list, ptr) {
  const at = list(ptr, box << 2) >> 2;
  return words.slice(at, at + words[box] * 6);
}

// Runs steps (a C call and the performing of its actions) one at a time:
// a step asked for while one runs waits for it. Returns the step's result,
// or `queued` when it had to wait.
export class Calls {
  constructor() {
    this._busy = false;
    this._queued = [];
  }

  _run(step, queued) {
    if (this._busy) {
      this._queued.push(step);
      return queued;
    }
    this._busy = true;
    let rc;
    try {
      rc = step();
    } finally {
      this._busy = false;
    }
    while (this._queued.length && !this._busy) this._run(this._queued.shift());
    return rc;
  }
}
