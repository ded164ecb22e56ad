// The ways a tab reaches a leader, as its session names them: a SharedWorker;
// the election (Web Locks, or candidates in Workers where there are none);
// and, for a tab the election made leader, the leader it hosts (in a Worker,
// else on its own page). What to start, when, and what a failure costs is the
// session's (wasm/src/session.c); this starts what it names and reports
// back what came of it.

import { channelName, randomId, roadName, workerLockName } from './bus.js';
import { BEAT_MS, LockElection } from './election.js';
import { WATCH_LOCK, WAY_ELECTION } from './session.js';

export const hasLocks = () => typeof navigator !== 'undefined' && !!navigator.locks;
export const visible = () => typeof document === 'undefined' || !document.hidden;

export class Ways {
  constructor(tab) {
    this._t = tab;
    this._error = ''; // the last error of the election, for the session's ERROR
  }

  // The session took `way` (not direct): start it.
  _start(way) {
    if (way === WAY_ELECTION) this._startElection();
    else this._startWorker();
  }

  // A word from the current leader.
  _heard() {
    if (this._election) this._election._heard();
  }

  // The page goes away: an elected tab hands over at once.
  _pagehide() {
    if (this._election) this._election._resign();
    if (this._candidate) this._candidate.postMessage({ t: 'stop' });
  }

  // The leader reached is gone. A dead SharedWorker's successor gets a name
  // of its own, which every tab of it derives alike: a browser may still
  // hold the dying worker under the old name and hand it out again (Firefox
  // does).
  _lost() {
    if (this._workerId) this._workerName = `${channelName(this._t._hash)}/after/${this._workerId}`;
  }

  // Lets go of whatever the current way holds (never the bus or the tab lock).
  _drop() {
    this._stopLifeWatch();
    this._closeRoad();
    this._dropWorker();
    if (this._election) {
      this._election._stop();
      this._election = null;
    }
    this._unlead();
    if (this._candidate) {
      this._candidate.postMessage({ t: 'stop' });
      this._candidate = null;
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this._onVisible);
    }
    this._t._closeElectBus();
  }

  // Lets go of the SharedWorker this tab reached: a later word of it is
  // nobody's business.
  _dropWorker() {
    const worker = this._worker;
    if (!worker) return;
    worker.onerror = worker.port.onmessage = null;
    worker.port.close();
    this._worker = null;
    this._port = null;
  }

  // Sends a post meant for leader `to` (which welcomed this tab) by a road of
  // that leader's own, where the bus would copy it into every tab: the port
  // of the worker it runs in, where this tab has one, else the channel it
  // opened for this tab as it welcomed it.
  _up(msg, to) {
    if (this._port && to === this._portLeader) {
      this._port.postMessage(msg);
      return;
    }
    // One road at a time: to this tab's last leader.
    if (this._roadLeader !== to) {
      this._closeRoad();
      this._road = new BroadcastChannel(roadName(this._t._hash, to, this._t._id));
      this._roadLeader = to;
    }
    this._road.postMessage(msg);
  }

  _closeRoad() {
    if (this._road) this._road.close();
    this._road = this._roadLeader = null;
  }

  _stopLifeWatch() {
    if (!this._lifeWatch) return;
    this._lifeWatch.abort();
    this._lifeWatch = null;
  }

  // The worker this tab reached answered. It holds a lock for its life: our
  // request for it is granted when the worker ends, however it ends. Without
  // Web Locks its beats tell that it lives.
  _ready(w, current) {
    const session = this._t._session;
    this._workerId = w;
    const watch = session._watchFor(!!w);
    if (watch === WATCH_LOCK) {
      const ctl = new AbortController();
      this._lifeWatch = ctl;
      navigator.locks.request(workerLockName(w), { signal: ctl.signal }, () => {
        if (this._lifeWatch !== ctl || !current()) return;
        this._lifeWatch = null;
        session._lost();
      }).catch((err) => {
        // Aborted when the way is dropped; otherwise the worker's death will
        // show only as a failed post or the socket's silence.
        if (!ctl.signal.aborted) this._t._debug('cannot watch the worker:', err && err.message);
      });
    }
    session._ready(watch);
  }

  _startWorker() {
    const t = this._t;
    let worker;
    try {
      worker = new SharedWorker(t._urls().workerUrl, { name: this._workerName || channelName(t._hash) });
    } catch (err) {
      this._wayFailed(err && err.message);
      return;
    }
    this._worker = worker;
    const current = () => this._worker === worker;
    // A worker that failed is let go at once: a later word of it is not
    // another failure to count.
    const failed = (why) => {
      if (!current()) return;
      this._dropWorker();
      this._wayFailed(why);
    };
    worker.onerror = () => failed('its script did not load');
    worker.port.onmessage = (e) => {
      const msg = e.data;
      if (!current() || !msg) return;
      if (msg.t === 'ready') {
        // This worker runs leader msg.l: its port reaches it.
        this._port = worker.port;
        this._portLeader = msg.l >>> 0;
        this._ready(msg.w, current);
        // The leader watches the tab's lock from its hello on: never before
        // the tab holds it, or it would take the tab for gone.
        t._locked.then(() => { if (current() && t._link) t._link._hello(); });
      } else if (msg.t === 'fatal') {
        failed(msg.message);
      }
    };
    worker.port.postMessage(t._init());
  }

  // ---- the election: the elected tab runs the leader ----

  _startElection() {
    const t = this._t;
    if (!hasLocks()) {
      this._startCandidate();
      return;
    }
    this._election = new LockElection(t._hash, t._id, {
      onElected: () => t._session._elected(true),
      onDeposed: () => t._session._elected(false),
      // The session says whether it costs the way or is the app's to hear.
      onError: (why) => {
        this._error = why;
        t._session._wayError();
      },
      debug: t._debug,
    });
    this._election._start();
    if (t._link) t._link._hello();
  }

  // The session's standby (HOST_STANDBY): a Worker fetches and compiles the
  // core now and waits, so that leading takes only the core's start.
  _standBy() {
    let w;
    try {
      w = new Worker(this._t._urls().workerUrl);
    } catch {
      return; // _lead tries again, and learns why
    }
    w.onerror = () => { if (this._standby === w) this._standby = null; };
    w.postMessage({ t: 'warm', wasmUrl: this._t._urls().wasmUrl });
    this._standby = w;
  }

  // This tab leads (the session's HOST worker): its leader runs in a Worker
  // of its own, under an id of this term.
  _lead() {
    const t = this._t;
    const id = randomId();
    this._ownLeader = id;
    this._leaderInit = t._init({ leader: id, config: { ...t._init().config, beatMs: BEAT_MS } });
    if (t._link) t._link._lead(id);
    let worker = this._standby;
    this._standby = null;
    try {
      if (!worker) worker = new Worker(t._urls().workerUrl);
    } catch (err) {
      this._hostFailed(err && err.message);
      return;
    }
    this._leaderWorker = worker;
    // Its port is this leader's road from the start, before its `ready`: a
    // post for it that took another road first could be overtaken there.
    this._port = worker;
    this._portLeader = id;
    const failed = (why) => {
      if (this._leaderWorker !== worker) return;
      worker.terminate();
      this._leaderWorker = null;
      this._port = null;
      this._hostFailed(why);
    };
    worker.onerror = (e) => failed((e && e.message) || 'the script did not load');
    worker.onmessage = (e) => {
      const msg = e.data || {};
      if (msg.t === 'fatal') failed(msg.message);
      else if (msg.t === 'ready') this._ready(msg.w, () => this._leaderWorker === worker);
    };
    worker.postMessage(this._leaderInit);
  }

  // The Worker was refused (HOST page): this page leads, in the same term.
  _leadHere() {
    const id = this._ownLeader;
    const init = this._leaderInit;
    import(/* @vite-ignore */ this._t._urls().leaderUrl)
      .then((m) => m.startLeader(init))
      .then((host) => {
        if (this._ownLeader === id) this._leaderHost = host;
        else host.stop();
      })
      .catch((err) => {
        if (this._ownLeader === id) this._hostFailed(err && err.message);
      });
  }

  // This tab leads no more, or leaves the way: whatever ran or waited to run
  // its leader stops.
  _unlead() {
    if (this._leaderWorker) {
      this._stopLifeWatch();
      this._leaderWorker.terminate();
      this._leaderWorker = null;
      this._port = null;
    }
    if (this._leaderHost) {
      this._leaderHost.stop();
      this._leaderHost = null;
    }
    this._ownLeader = 0;
    if (this._t._link) this._t._link._lead(0);
    if (this._standby) {
      this._standby.terminate();
      this._standby = null;
    }
  }

  // The leader's host could not run it; the session says what next.
  _hostFailed(why) {
    this._t._debug('the leader could not run here:', why);
    this._t._session._hostFailed();
  }

  // The way itself could not start: its script did not load, or the browser
  // refused it. The session takes the next way, or fails.
  _wayFailed(why) {
    this._t._debug('the way failed:', why);
    this._t._session._failed();
  }

  // Without Web Locks every tab runs a candidate in a Worker of its own; the
  // candidates elect one (wasm/src/election.c), and its worker leads.
  _startCandidate() {
    const t = this._t;
    let worker;
    try {
      worker = new Worker(t._urls().workerUrl);
    } catch (err) {
      this._wayFailed(err && err.message);
      return;
    }
    this._candidate = worker;
    worker.onerror = (e) => this._wayFailed((e && e.message) || 'the script did not load');
    worker.onmessage = (e) => {
      const m = e.data || {};
      if (m.t === 'fatal') this._wayFailed(m.message);
      else if (m.t === 'role') this._role(m.leader, m.term);
    };
    worker.postMessage(t._init({
      candidate: t._id, visible: visible(), config: { ...t._init().config, beatMs: BEAT_MS },
    }));
    this._onVisible = () => worker.postMessage({ t: 'visible', visible: visible() });
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this._onVisible);
    if (t._link) t._link._hello();
  }

  // This tab's candidate leads (under the leader id given) or no longer (0).
  // Its announcement on the bus may come before or after this word.
  _role(id, term) {
    this._ownLeader = id;
    if (this._t._link) this._t._link._role(id, term);
  }
}
