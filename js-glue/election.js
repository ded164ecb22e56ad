// Election by Web Locks: of the tabs of one sharing key, the one holding the
// leader lock leads (it runs the C core in a dedicated Worker); the others
// queue for the lock and take over, in queue order, the moment the leader's
// page closes or crashes. A frozen page keeps its locks, so followers also
// watch the leader's beats and steal the lock from a leader that fell silent.

import { channelName, leaderLockName } from './bus.js';

export const BEAT_MS = 1000;
// Silence after which a leader is presumed frozen or wedged. Beats come from
// the leader's worker, which background throttling does not slow down.
export const SILENCE_MS = 4000;
// Hidden tabs wait this much longer, so that a visible tab takes over first.
const HIDDEN_GRACE_MS = 2000;

const hidden = () => typeof document !== 'undefined' && document.hidden;

export class LockElection {
  // onElected(): this tab now holds the leader lock; onDeposed(): it lost it
  // (resigned, stolen from, or its leader fell silent).
  constructor(hash, tab, { onElected, onDeposed, debug }) {
    this.locks = navigator.locks;
    this.lockName = leaderLockName(hash);
    this.stealName = `${this.lockName}/steal`;
    this.visibleName = `${channelName(hash)}/visible/${tab}`;
    this.visiblePrefix = `${channelName(hash)}/visible/`;
    this.onElected = onElected;
    this.onDeposed = onDeposed;
    this.debug = debug;
    this.leading = false;
    this.stopped = false;
    this.lastHeard = performance.now();
    this.lastCheck = this.lastHeard;
    this.suspect = false;
    this.yielded = false;
    this.onVisibility = () => this.markVisible();
  }

  start() {
    this.queue();
    this.markVisible();
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this.onVisibility);
    this.check = setInterval(() => this.watch(), BEAT_MS);
  }

  // Queues for the leader lock; the callback runs when this tab is elected
  // and holds the lock until resign() or the page's end.
  queue(steal) {
    const ctl = new AbortController();
    this.ctl = ctl;
    const options = steal ? { steal: true } : { signal: ctl.signal };
    return this.locks.request(this.lockName, options, () => this.lead(ctl))
      .catch(() => {
        // Aborted while queued (we steal or stop), or stolen while leading:
        // then this tab follows, and queues again.
        if (this.ctl !== ctl || !this.leading) return;
        this.depose('the leader lock was taken over');
        if (!this.stopped) this.queue();
      });
  }

  async lead(ctl) {
    if (this.stopped || this.ctl !== ctl) return;
    if (hidden() && !this.yielded && (await this.visibleTabWaiting())) {
      // Once per term: a hidden tab lets a visible one go first.
      this.yielded = true;
      this.debug('hidden: letting a visible tab lead');
      queueMicrotask(() => this.queue());
      return;
    }
    this.yielded = false;
    this.leading = true;
    this.heard();
    this.debug('elected');
    this.onElected();
    await new Promise((release) => { this.release = release; });
  }

  async visibleTabWaiting() {
    const { held = [], pending = [] } = await this.locks.query();
    return pending.some((l) => l.name === this.lockName) &&
      held.some((l) => l.name.startsWith(this.visiblePrefix) && l.name !== this.visibleName);
  }

  // Any word from the current leader.
  heard() {
    this.lastHeard = performance.now();
  }

  watch() {
    const now = performance.now();
    const gap = now - this.lastCheck;
    this.lastCheck = now;
    // After a long gap this page itself was blocked or throttled: the
    // leader's messages may still be queued behind this timer. Judge next time.
    if (gap > 2 * BEAT_MS) {
      this.suspect = true;
      return;
    }
    if (this.suspect) {
      this.suspect = false;
      return;
    }
    const limit = SILENCE_MS + (hidden() ? HIDDEN_GRACE_MS : 0);
    if (now - this.lastHeard < limit) return;
    if (this.leading) {
      // Our own worker went quiet: hand the lock on and queue again.
      this.depose('the leader worker fell silent');
      this.resign();
      this.queue();
    } else {
      this.takeOver();
    }
  }

  // Steals the lock from a silent leader. One follower at a time: the steal
  // lock is held until the new leader had time to announce itself.
  takeOver() {
    if (this.taking) return;
    this.taking = true;
    this.locks.request(this.stealName, { ifAvailable: true }, async (lock) => {
      const now = performance.now();
      if (!lock || this.stopped || this.leading || now - this.lastHeard < SILENCE_MS) return;
      this.debug('the leader is silent: taking over');
      this.ctl.abort();
      this.queue(true);
      await new Promise((r) => setTimeout(r, SILENCE_MS));
    }).catch(() => {}).then(() => { this.taking = false; });
  }

  depose(why) {
    if (!this.leading) return;
    this.leading = false;
    this.debug('no longer leading:', why);
    this.onDeposed();
  }

  // Lets go of the lock (if held): the next tab in the queue leads.
  resign() {
    this.depose('resigned');
    if (this.release) this.release();
    this.release = null;
  }

  // Holds a lock of this tab's own while its page is visible, so that a
  // hidden tab elected can see whether a visible one waits behind it.
  markVisible() {
    const want = !this.stopped && !hidden();
    if (want === !!this.visible) return;
    if (want) {
      const held = new Promise((r) => { this.visible = r; });
      this.locks.request(this.visibleName, () => held).catch(() => {});
    } else {
      this.visible();
      this.visible = null;
    }
  }

  stop() {
    this.stopped = true;
    clearInterval(this.check);
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this.onVisibility);
    this.resign();
    if (this.ctl) this.ctl.abort();
    this.markVisible();
  }
}
