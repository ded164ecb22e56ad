// Election by Web Locks: of the tabs of one sharing key, the one holding the
// leader lock leads (it runs the C core in a dedicated Worker). The election
// itself is C (wasm/src/locks.c, compiled to JavaScript with the session):
// this class only performs its lock requests and reports what came of them,
// with the leader's words, the page's visibility and its timer.

import * as C from '../build/page/page.mjs';
import { channelName, leaderLockName } from './bus.js';
import { Calls, actionsOf, now, textAt } from './page-calls.js';

export const BEAT_MS = C.wss_locks_beat_ms();
// Each its own constant, which the bundler writes in where it is used.
const LOCK_LEADER = 1;
const LOCK_VISIBLE = 2;
const LOCK_TAKEOVER = 3;
const ACT_REQUEST = 80;
const ACT_RELEASE = 81;
const ACT_QUERY = 82;
const ACT_LEAD = 83;
const ACT_STOP = 84;
const ACT_TIMER = 85;
const ACT_LOG = 86;
const ACT_ERROR = 87;
const HOW = [{}, { steal: true }, { ifAvailable: true }];

const hidden = () => typeof document !== 'undefined' && document.hidden;

export class LockElection {
  // onElected(): this tab now leads; onDeposed(): it leads no more (resigned,
  // stolen from, or its leader fell silent); onError(why), if given: the
  // election cannot go on in this tab.
  constructor(hash, tab, { onElected, onDeposed, onError, debug }) {
    this._locks = navigator.locks;
    this._lockName = leaderLockName(hash);
    this._visibleName = `${channelName(hash)}/visible/${tab}`;
    this._visiblePrefix = `${channelName(hash)}/visible/`;
    this._onElected = onElected;
    this._onDeposed = onDeposed;
    this._onError = onError || (() => {});
    this._debug = debug;
    this._ptr = C.wss_locks_new();
    this._held = new Map(); // request number -> its release
    this._onVisibility = () => this._call(C.wss_locks_visibility, hidden() ? 0 : 1);
    this._calls = new Calls();
  }

  _start() {
    if (!this._ptr) {
      this._debug('election: too many in this page');
      this._onError('too many elections in this page');
      return;
    }
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this._onVisibility);
    this._call(C.wss_locks_start, hidden() ? 0 : 1);
  }

  // Any word from the current leader.
  _heard() { if (this._ptr) C.wss_locks_heard(this._ptr, now()); }

  // The page goes away: a leader hands over at once.
  _resign() { this._stop(); }

  // Lets every lock and request go; the election is freed once its last
  // call is done (stop may come from a callback of this very election).
  _stop() {
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this._onVisibility);
    this._call(C.wss_locks_stop);
    this._stopped = true;
    this._free();
  }

  _free() {
    if (!this._stopped || this._calls._busy || this._calls._queued.length || !this._ptr) return;
    clearTimeout(this._timer);
    C.wss_locks_free(this._ptr);
    this._ptr = 0;
  }

  // One call into C, then its actions (see page-calls.js); the election is
  // freed after the last, if it was stopped meanwhile.
  _call(fn, arg) {
    if (!this._ptr) return;
    this._calls._run(() => {
      if (!this._ptr) return;
      if (arg === undefined) fn(this._ptr, now()); else fn(this._ptr, arg, now());
      const w = actionsOf(C.wss_locks_actions, this._ptr);
      for (let i = 0; i < w.length; i += 6) {
        try {
          this._act(w[i], w[i + 1], w[i + 2], w[i + 3], w[i + 5] ? textAt(w[i + 4], w[i + 5]) : '');
        } catch (err) {
          // A callback threw: logged, and reported as uncaught, but the
          // election performs the rest of what it decided.
          this._debug('election: an action failed:', err);
          queueMicrotask(() => { throw err; });
        }
      }
    });
    this._free();
  }

  _act(kind, a, b, req, text) {
    switch (kind) {
      case ACT_REQUEST: this._request(a, b, req); break;
      case ACT_RELEASE: {
        const h = this._held.get(req);
        this._held.delete(req);
        if (h) h(); else if (this._aborts && this._aborts.get(req)) this._aborts.get(req).abort();
        break;
      }
      case ACT_QUERY: this._query(); break;
      case ACT_LEAD: this._onElected(); break;
      case ACT_STOP: this._debug('no longer leading:', text); this._onDeposed(); break;
      case ACT_TIMER:
        clearTimeout(this._timer);
        if (a !== 0xffffffff) this._timer = setTimeout(() => this._call(C.wss_locks_tick), a);
        break;
      case ACT_LOG: this._debug(text); break;
      case ACT_ERROR: this._onError(text); break;
      default: break;
    }
  }

  // Performs a REQUEST: the lock is held until a RELEASE of `req`; what
  // comes of the request is reported under its number.
  _request(lock, how, req) {
    // The take-over lock of level k > 0 is named after the first.
    const name = lock === LOCK_LEADER ? this._lockName : lock === LOCK_VISIBLE ? this._visibleName
      : `${this._lockName}/steal${lock > LOCK_TAKEOVER ? `/${lock - LOCK_TAKEOVER}` : ''}`;
    const options = { ...HOW[how] };
    if (!how) {
      const ctl = new AbortController();
      options.signal = ctl.signal;
      (this._aborts = this._aborts || new Map()).set(req, ctl);
    }
    this._locks.request(name, options, (granted) => {
      if (this._aborts) this._aborts.delete(req);
      if (this._stopped) return undefined; // let go at once
      if (!granted) {
        this._call(C.wss_locks_unavailable, req);
        return undefined;
      }
      const held = new Promise((release) => this._held.set(req, release));
      this._call(C.wss_locks_granted, req);
      return held;
    }).then(() => {
      if (this._aborts) this._aborts.delete(req);
    }, (err) => {
      if (this._aborts) this._aborts.delete(req);
      this._held.delete(req);
      if (err && err.name === 'AbortError') {
        this._call(C.wss_locks_lost, req);
      } else {
        this._debug(`lock ${name} failed:`, err);
        this._call(C.wss_locks_failed, req);
      }
    });
  }

  // Performs a QUERY: whether another tab holding its visible lock waits for
  // the leader lock.
  _query() {
    this._locks.query().then(({ held = [], pending = [] }) => {
      const waiting = pending.some((l) => l.name === this._lockName) &&
        held.some((l) => l.name.startsWith(this._visiblePrefix) && l.name !== this._visibleName);
      this._call(C.wss_locks_queried, waiting ? 1 : 0);
    }, (err) => {
      this._debug('lock query failed:', err);
      this._call(C.wss_locks_queried, -1);
    });
  }
}
