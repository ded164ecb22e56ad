// A tab's candidate in the election without Web Locks, run in the dedicated
// Worker the tab starts: it speaks the election protocol of wasm/src/election.c
// on a channel of its own and, while it leads, runs the leader host. The host
// acts only within the candidate's lease: past it, the candidate is asked
// first, and a candidate that lost the lead stops the host before it acts.

import { electChannelName, randomId } from './bus.js';
import { ACT, Elect } from './core-wasm.js';
import { LeaderHost } from './leader-host.js';

const now = () => performance.now();

export class Candidate {
  // init: the tab's init message with { candidate: id, visible }; tell(msg)
  // reaches the tab.
  constructor(module, init, tell) {
    this.module = module;
    this.init = init;
    this.tell = tell;
    this.host = null;
    this.timer = 0;
    this.elect = new Elect(module, init.candidate, {});
    this.visit = this.visit.bind(this);
    this.channel = new BroadcastChannel(electChannelName(init.hash));
    this.channel.onmessage = (e) => {
      if (typeof e.data === 'string') this.run(this.elect.message(e.data, now()));
    };
    this.run(this.elect.start(init.visible, now()));
  }

  run() {
    this.elect.actions(this.visit);
  }

  visit(kind, a, b, handle, text, len) {
    switch (kind) {
      case ACT.ELECT_POST: this.channel.postMessage(this.elect.text(text, len)); break;
      case ACT.ELECT_TIMER:
        clearTimeout(this.timer);
        if (a !== 0xffffffff) this.timer = setTimeout(() => this.run(this.elect.tick(now())), a);
        break;
      // Starting the host calls into the wasm: not while these actions are read.
      case ACT.LEAD: queueMicrotask(() => this.lead()); break;
      case ACT.STOP: this.unlead(); break;
      default: break;
    }
  }

  lead() {
    if (this.host || !this.elect.leading()) return;
    const id = randomId();
    this.tell({ t: 'role', leader: id, term: this.elect.term() });
    this.host = new LeaderHost(this.module, { ...this.init, leader: id });
    this.host.guard = () => this.checkLease();
    this.host.start();
  }

  // Called before the host acts: past the lease, the candidate must hear
  // whether it still leads, and a host that lost the lead never acts again.
  checkLease() {
    if (now() >= this.elect.leaseUntil()) this.run(this.elect.tick(now()));
    if (!this.elect.leading()) this.unlead();
  }

  unlead() {
    if (!this.host) return;
    this.host.stop();
    this.host = null;
    this.tell({ t: 'role', leader: 0 });
  }

  visibility(visible) {
    this.run(this.elect.visibility(visible, now()));
  }

  // The page goes: hand over at once.
  resign() {
    this.run(this.elect.resign(now()));
    this.unlead();
    clearTimeout(this.timer);
    this.channel.close();
  }
}
