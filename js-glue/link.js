// The tab's link to its leader (wasm/src/link.c), compiled to JavaScript with
// the session. It decides the tab's side of the bus: hellos, frame numbers,
// acks and re-sends, the frames kept for a next leader, duplicates and gaps,
// batches, timers, and what the app hears when the leader changes. This
// wrapper parses nothing beyond handing it an envelope's fields, and hands its
// actions to the tab, one call at a time.

import * as C from '../build/page/page.mjs';
import { Calls, actionsOf, now, textAt, words } from './page-calls.js';

// The link's actions (wss_link_action_kind), one constant each: the bundler
// puts the numbers in their place.
export const LINK_POST = 96;
export const LINK_POST_FRAMES = 97;
export const LINK_POST_KEPT = 98;
export const LINK_FAREWELL = 99;
export const LINK_ELECT_BUS = 100;
export const LINK_DELIVER = 101;
export const LINK_COUNT = 102;
export const LINK_ACKED = 103;
export const LINK_RELEASE = 104;
export const LINK_FLUSH = 105;
export const LINK_PROTOCOL = 106;
export const LINK_OPEN = 107;
export const LINK_ERROR = 108;
export const LINK_CLOSE = 109;
export const LINK_RECONNECTING = 110;
export const LINK_LEADERCHANGE = 111;
export const LINK_STATS = 112;
export const LINK_HEARD = 113;
export const LINK_TIMER = 114;
export const LINK_POST_MARKED = 115;
export const ERR_PLAIN = 0;
export const ERR_TOO_BIG = 1;
export const ERR_LEADER = 2;
export const ERR_NOTES = 3;
export const ERR_SESSION = 4;
export const BATCH_MASK = 0xffff; // POST_FRAMES' `len`: frames a post may carry,
export const BY_BUS = 0x10000; // and whether the posts go on the bus
export const CLEAN = 1;
export const REASON_APP = 2;
export const REASON_ENVELOPE = 4;
export const HEARD_SESSION = 2;
// Envelope types, numbered from 1 as the header lists them.
const TYPES = ['leader', 'welcome', 'open', 'reconnecting', 'ack', 'close', 'gone', 'error', 'resend', 'rehello', 'stats'];
const ACK = 5;
const SCRATCH = C.wss_link_scratch_words();

const SCRATCH_AT = C.wss_link_scratch() >> 2;
const scratch = words.subarray(SCRATCH_AT, SCRATCH_AT + SCRATCH);

export class Link {
  // act(kind, a, b, handle, extra, ctx) performs one action: extra is a POST's
  // text, a POST_KEPT's words or a POST_FRAMES' frames per post; ctx is what
  // the call was about (the envelope, the frames). New events wait for the
  // current call's actions to be done.
  constructor(tab, maxMessageBytes, act) {
    this._ptr = C.wss_link_new(tab, maxMessageBytes === undefined ? -1 : Number(maxMessageBytes));
    this._act = act;
    this._calls = new Calls();
  }

  // Whether the pool had room (a page holds at most 256 links at once).
  get _ok() { return this._ptr !== 0; }
  get _state() { return C.wss_link_state(this._ptr); }
  get _unacked() { return C.wss_link_unacked(this._ptr) >>> 0; }
  get _next() { return C.wss_link_next(this._ptr) >>> 0; }
  get _isLeader() { return !!C.wss_link_is_leader(this._ptr); }

  // keep(seq) stores the payload under its number before any action runs.
  _send(len, keep) { this._call(C.wss_link_send, [len], null, (seq) => keep(seq >>> 0)); }
  _flush() { this._call(C.wss_link_flush, []); }
  _hello() { this._call(C.wss_link_hello, []); }
  _close(code) { this._call(C.wss_link_close, [code]); }
  _lost() { this._call(C.wss_link_lost, []); }
  _fail(text) { this._call(C.wss_link_fail, [], text); }
  _role(id, term) { this._call(C.wss_link_role, [id, term]); }
  _lead(id) { if (this._ptr) C.wss_link_lead(this._ptr, id); } // never acts
  _pagehide(persisted) { this._call(C.wss_link_pagehide, [persisted ? 1 : 0]); }
  _pageshow(persisted) { this._call(C.wss_link_pageshow, [persisted ? 1 : 0]); }
  _leave() { this._call(C.wss_link_leave, []); }
  _tick() { this._call(C.wss_link_tick, []); }
  // asked(id): the question's id, settled by a later STATS action, or 0 when
  // there is no leader to ask.
  _stats(asked) { this._call(C.wss_link_stats, [], null, (id) => asked(id >>> 0)); }

  _free() {
    if (this._ptr) C.wss_link_free(this._ptr);
    this._ptr = 0;
  }

  // A control envelope, parsed: its fields as the header lists them.
  _envelope(env) {
    const type = TYPES.indexOf(env.t) + 1; // 0: another (a beat), which is heard only
    const t = env.t;
    const x = t === 'welcome' ? env.seq : t === 'reconnecting' ? env.attempt : t === 'close' ? env.code
      : t === 'resend' ? env.from : t === 'stats' ? env.id : 0;
    const y = t === 'welcome' ? env.acked : t === 'reconnecting' ? env.delay : 0;
    const flags = t === 'close' ? (env.clean ? 1 : 0) : (env.resume ? 1 : 0) | (env.state === 'open' ? 2 : 0);
    const rc = this._call(C.wss_link_envelope, [type, env.l, isU32(env.tab) ? env.tab : 0, Number(x), Number(y), flags], env);
    if (type !== ACK || rc !== 0) return;
    // Keep notes first, then forget notes, then acks: a frame kept and
    // acknowledged in one envelope is kept.
    [env.k, env.x, env.a].forEach((list, kind) => {
      if (!Array.isArray(list)) return;
      const width = kind ? 2 : 3;
      const step = SCRATCH - (SCRATCH % width);
      for (let off = 0; off < list.length; off += step) {
        const n = Math.min(step, list.length - off);
        for (let i = 0; i < n; i++) scratch[i] = Number(list[off + i]) >>> 0;
        this._call(C.wss_link_notes, [kind, n]);
      }
    });
  }

  // A post of server frames (already checked to be text or bytes, with a
  // numbered first frame; else `frames` is empty), in pieces of whole frames.
  _frames(leader, seq0, frames, targets) {
    let off = 0;
    do {
      const n = Math.min(SCRATCH, frames.length - off);
      if (targets) {
        for (let i = 0; i < n; i++) scratch[i] = Number(targets[off + i]) >>> 0;
      }
      this._call(C.wss_link_frames, [leader, seq0 + off, n, targets ? 1 : 0], { frames, off });
      off += n;
    } while (off < frames.length);
  }

  // One call into C, then its actions (see page-calls.js). `then(rc)` runs
  // between the call and its actions (with 0 for a link freed meanwhile).
  _call(fn, args, ctx, then) {
    if (!this._ptr) {
      if (then) then(0); // gone meanwhile: nothing was taken
      return -2;
    }
    return this._calls._run(() => {
      if (!this._ptr) {
        if (then) then(0);
        return -2;
      }
      const rc = fn(this._ptr, ...args, now());
      if (then) then(rc);
      // Texts and kept lists are in the link's shared buffers: all are read
      // before any action is performed.
      const w = actionsOf(C.wss_link_actions, this._ptr);
      const extra = [];
      for (let i = 0; i < w.length; i += 6) {
        const kind = w[i];
        extra.push(kind === LINK_POST || kind === LINK_FAREWELL ? textAt(w[i + 4], w[i + 5])
          : kind === LINK_POST_KEPT ? Array.from(words.subarray(w[i + 4] >> 2, (w[i + 4] >> 2) + 2 * w[i + 2])) : w[i + 5]);
      }
      for (let i = 0; i < w.length; i += 6) this._act(w[i], w[i + 1], w[i + 2], w[i + 3], extra[i / 6], ctx);
      return rc;
    }, 0);
  }
}

export const isU32 = (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
