// The tab's session (wasm/src/session.c), compiled to JavaScript for the page
// (wasm2js: a page needs no 'wasm-unsafe-eval'). It decides which way the tab
// reaches a leader and what happens when that leader dies; this wrapper only
// feeds it and hands its actions to the tab, one call at a time.

import * as C from '../build/page/page.mjs';
import { Calls, actionsOf, now, textAt } from './page-calls.js';

// The modes in the order of enum wss_session_mode, from 1.
export const MODES = ['auto', 'sharedworker', 'election', 'direct'];
// The session's numbers (wsshare.h), one constant each: the bundler puts the
// numbers in their place.
export const CAN_BUS = 1;
export const CAN_SHAREDWORKER = 2;
export const CAN_WORKER = 4;
export const CAN_LOCKS = 8;
export const WAY_SHAREDWORKER = 1;
export const WAY_ELECTION = 2;
export const WAY_DIRECT = 3;
export const WATCH_NONE = 0;
export const WATCH_LOCK = 1;
export const WATCH_BEATS = 2;
export const SESSION_START = 64;
export const SESSION_LOST = 65;
export const SESSION_FAIL = 66;
export const SESSION_TIMER = 67;
export const SESSION_HOST = 68;
export const SESSION_ERROR = 69;
export const HOST_NONE = 0;
export const HOST_WORKER = 1;
export const HOST_PAGE = 2;
export const HOST_STANDBY = 3;
const OK = 0;

export class Session {
  // act(kind, a, text) performs one action; it may report new events, which
  // run once the actions of the current call are done.
  constructor(mode, caps, act) {
    this._ptr = C.wss_session_new(MODES.indexOf(mode) + 1, caps);
    this._act = act;
    this._calls = new Calls();
  }

  // Whether the pool had room (a page holds at most 256 sessions at once).
  get _ok() { return this._ptr !== 0; }

  _start(visible) { return this._call(C.wss_session_start, visible ? 1 : 0) === OK; }
  _ready(watch) { this._call(C.wss_session_ready, watch); }
  _heard() { C.wss_session_heard(this._ptr, now()); } // never acts
  _failed() { this._call(C.wss_session_failed); }
  _lost() { this._call(C.wss_session_lost); }
  _visibility(visible) { this._call(C.wss_session_visibility, visible ? 1 : 0); }
  _tick() { this._call(C.wss_session_tick); }
  _opened() { this._call(C.wss_session_opened); }
  _elected(leading) { this._call(C.wss_session_elected, leading ? 1 : 0); }
  _hostFailed() { this._call(C.wss_session_host_failed); }
  _wayError() { this._call(C.wss_session_way_error); }
  // Answers, not events: how to watch a worker that answered (naming its
  // life lock or not), and the beat a SharedWorker's leader keeps for us.
  _watchFor(named) { return C.wss_session_watch_for(this._ptr, named ? 1 : 0); }
  _leaderBeat() { return C.wss_session_leader_beat_ms(this._ptr); }

  _free() {
    if (this._ptr) C.wss_session_free(this._ptr);
    this._ptr = 0;
  }

  // One call into C, then its actions (see page-calls.js).
  _call(fn, arg) {
    if (!this._ptr) return -2;
    return this._calls._run(() => {
      const rc = arg === undefined ? fn(this._ptr, now()) : fn(this._ptr, arg, now());
      const w = actionsOf(C.wss_session_actions, this._ptr);
      for (let i = 0; i < w.length; i += 6) this._act(w[i], w[i + 1], w[i + 5] ? textAt(w[i + 4], w[i + 5]) : '');
      return rc;
    }, OK);
  }
}
