// The leader's worker entry, one script for both roles: as a SharedWorker
// (named per sharing key, so one per shared socket) and as the dedicated
// Worker an elected tab starts. Tabs send it { t: 'init', ... }; it answers
// { t: 'ready', w, l } once the core runs (w: the lock of this worker's life,
// l: its leader's id), or { t: 'fatal', message }. What a tab then sends to
// leader l comes by the same port, so that no other tab receives a copy of
// it, as every tab would on the bus.

import { leaderLockName, randomId, workerLockName } from './bus.js';
import { Candidate } from './candidate.js';
import { compileCore, instantiateCore } from './core-wasm.js';
import { LeaderHost } from './leader-host.js';

const shared = typeof SharedWorkerGlobalScope === 'function' && self instanceof SharedWorkerGlobalScope;

let host = null;
// A follower's standby Worker: the core it compiled before it was asked to lead.
let warmed = null;
let failure = null;
let starting = null;
const waiting = [];
// The ports told 'ready': should this worker fail later, they hear it.
const served = [];

// This worker holds a lock of its own for its whole life, taken before it
// answers anyone: its tabs wait on it and learn of its end, however it ends
// (a crash, an out-of-memory kill, the browser's own decision). 0 where
// there are no Web Locks: then its tabs watch its beats.
const life = new Promise((held) => {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) {
    held(0);
    return;
  }
  const id = randomId();
  locks.request(workerLockName(id), () => {
    held(id);
    return new Promise(() => {});
  }).catch(() => held(0));
});

function answer(port) {
  if (failure) {
    port.postMessage({ t: 'fatal', message: failure });
    return;
  }
  served.push(port);
  life.then((w) => port.postMessage({ t: 'ready', w, l: host.id }));
}

// This worker can serve no more: every tab it answered hears why (a tab takes
// 'fatal' at any time, and goes to another leader), and it ends.
function fail(why) {
  failure = why;
  for (const port of served.splice(0)) port.postMessage({ t: 'fatal', message: why });
  self.close();
}

function start(init) {
  if (starting) return;
  starting = Promise.resolve(warmed).then((compiled) => instantiateCore(init.wasmUrl, compiled))
    .then((module) => { host = new LeaderHost(module, init); })
    .catch((err) => { failure = String((err && err.message) || err); });
  starting.then(() => { waiting.splice(0).forEach(answer); });
  lead(init.hash);
}

// An elected tab holds the leader lock for its worker. A SharedWorker takes it
// itself, and leads only once it holds it: two workers for one socket (the
// script served from two URLs, say, across a deploy) never both open it; the
// second waits, serving its tabs through the first, and takes over when it goes.
// It asks for the lock as its first tab asks it to start, while the core
// compiles: the socket opens once both are there.
function lead(hash) {
  const locks = shared && typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) {
    starting.then(() => { if (host) host.start(); });
    return;
  }
  // Should the request fail, this worker can never lead: it says so to its
  // tabs, which start another, and ends. A worker whose core did not start
  // lets the lock go at once.
  locks.request(leaderLockName(hash), () => starting.then(() => {
    if (!host) return undefined;
    host.start();
    return new Promise(() => {});
  })).catch((err) => fail(`wsshare: the worker cannot take the leader lock (${(err && err.message) || err})`));
}

// A tab's post for this worker's leader, come by its port. A tab addresses
// a port only to the leader it heard on the bus (ready's `l`), so this
// worker leads; the host judges the post as one that came by the bus.
function fromTab(msg) {
  if (host && host.bus) host.onBus(msg);
}

function onInit(port, msg) {
  if (!msg || msg.t !== 'init') {
    if (msg) fromTab(msg);
    return;
  }
  if (host && msg.hash !== host.hash) {
    port.postMessage({ t: 'fatal', message: 'wsshare: this worker serves another socket' });
    return;
  }
  if (host || failure) {
    answer(port);
    return;
  }
  waiting.push(port);
  start(msg);
}

if (shared) {
  self.onconnect = (e) => {
    const port = e.ports[0];
    port.onmessage = (m) => onInit(port, m.data);
  };
} else {
  // A dedicated worker serves the tab that started it, which may end its
  // term: as its elected leader, or (without Web Locks) as its candidate.
  let candidate = null;
  self.onmessage = (m) => {
    const msg = m.data || {};
    if (typeof msg === 'string') {
      fromTab(msg);
    } else if (msg.t === 'init' && msg.candidate) {
      instantiateCore(msg.wasmUrl)
        .then((module) => { candidate = new Candidate(module, msg, (x) => self.postMessage(x)); })
        .catch((err) => self.postMessage({ t: 'fatal', message: String((err && err.message) || err) }));
    } else if (msg.t === 'warm') {
      warmed = compileCore(msg.wasmUrl).catch(() => null); // leading fetches it again, and learns why
    } else if (msg.t === 'visible') {
      if (candidate) candidate.visibility(msg.visible);
    } else if (msg.t === 'stop') {
      if (candidate) candidate.resign();
      if (host) host.stop();
      self.close();
    } else {
      onInit(self, msg);
    }
  };
}
