// The tab side of every scenario: opens a socket of the variant under test and
// runs the scenario's loop inside the page, stamping events in epoch
// milliseconds so the runner can set them against the server's clock.

import { SharedWebSocket } from '/dist/wsshare.mjs';
import { RelaySocket } from '/bench/relay.mjs';
import { BcSocket, TeSocket } from '/bench/peers.mjs';
import { frame, seqOf } from '/bench/frames.mjs';

const epoch = () => performance.timeOrigin + performance.now();

// The variants every scenario compares: the baselines and wsshare's modes.
const OPENERS = {
  plain: (url) => new WebSocket(url),
  naive: (url) => new RelaySocket(url, false),
  batching: (url) => new RelaySocket(url, true),
  // The bench's frames keep no state per connection: a new leader may be
  // hidden from the tabs, which the failover scenario times.
  wsshare: (url) => new SharedWebSocket(url, undefined, { mode: 'sharedworker', reconnect: true }),
  election: (url) => new SharedWebSocket(url, undefined, { mode: 'election', reconnect: true }),
  // The peers: other libraries' ways of sharing a socket (page/peers.mjs).
  bc: (url) => new BcSocket(url),
  te: (url) => new TeSocket(url),
};
const WATCHED = ['open', 'reconnecting', 'leaderchange', 'close', 'error'];

let ws = null;
const events = [];
const got = { count: 0, expect: 0, disorder: 0, doneAt: 0 };
let whenDone = null;
let echoWaiter = null;
const sent = { count: 0, refused: 0 };
const sentAt = []; // sentAt[seq - 1]: when the stream's frame seq was sent
let streaming = 0;
let openedFrom = 0; // when the last open() began, in epoch ms

function onMessage(e) {
  if (echoWaiter) {
    const w = echoWaiter;
    echoWaiter = null;
    w();
    return;
  }
  got.count++;
  if (seqOf(e.data) !== got.count) got.disorder++;
  if (got.count === got.expect) {
    got.doneAt = epoch();
    if (whenDone) whenDone({ ...got });
  }
}

window.bench = {
  // Opens the socket; resolves with the milliseconds from the constructor to
  // `open`, or rejects with the constructor's error (a mode this build lacks).
  open(variant, url) {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      openedFrom = performance.timeOrigin + t0;
      try {
        ws = OPENERS[variant](url);
      } catch (err) {
        reject(err);
        return;
      }
      for (const type of WATCHED) ws.addEventListener(type, () => events.push([type, epoch()]));
      ws.addEventListener('open', () => resolve(performance.now() - t0), { once: true });
      ws.addEventListener('close', () => reject(new Error('closed before open')), { once: true });
      ws.addEventListener('message', onMessage);
    });
  },

  // Starts counting server frames: doneAt is stamped when the n-th arrives.
  expect(n) {
    Object.assign(got, { count: 0, expect: n, disorder: 0, doneAt: 0 });
  },

  received: () => ({ ...got }),

  // Resolves when the expected frames have all arrived (no polling).
  done() {
    if (got.doneAt) return Promise.resolve({ ...got });
    return new Promise((resolve) => { whenDone = resolve; });
  },

  // Sends n frames as fast as the page can; resolves with when it started.
  burst(n, size, source) {
    const frames = Array.from({ length: n }, (_, i) => frame(i + 1, size, `${source}:`));
    const t0 = epoch();
    for (const f of frames) ws.send(f);
    return t0;
  },

  // n sequential round trips through the echo socket; the milliseconds of each.
  async echo(n, size) {
    const msg = frame(0, size, 'echo:');
    const rtts = new Array(n);
    for (let i = 0; i < n; i++) {
      const back = new Promise((resolve) => { echoWaiter = resolve; });
      const t = performance.now();
      ws.send(msg);
      await back;
      rtts[i] = performance.now() - t;
    }
    return rtts;
  },

  // Sends a numbered frame every `everyMs` until stopStream(): what a chatty
  // app does while its leader goes away. A send the socket refuses (it throws)
  // is counted apart: the app was told, so it is not a silent loss.
  stream(everyMs, source) {
    let seq = 0;
    streaming = setInterval(() => {
      try {
        const at = epoch();
        ws.send(frame(seq + 1, 100, `${source}:`));
        seq++;
        sentAt.push(at);
        sent.count = seq;
      } catch (err) {
        sent.refused++;
      }
    }, everyMs);
  },

  stopStream() {
    clearInterval(streaming);
    return { ...sent };
  },

  // When each frame of the stream was sent (epoch ms), by number from 1.
  sentTimes: () => sentAt.slice(),

  // Server frames per bus post over the socket's life: from the core's
  // counters in wsshare, from the posts this tab received in a relay.
  async framesPerPost() {
    if (ws instanceof RelaySocket) return got.count / ws.posts;
    const leader = await window.bench.leaderStats();
    return leader && leader.framesFromServer / leader.dataPosts;
  },

  // The core's counters in wsshare's leader; null for the other variants.
  leaderStats: async () => (typeof ws.stats === 'function' ? (await ws.stats()).leader : null),
  events: () => events.slice(),
  openedFrom: () => openedFrom,
  isLeader: () => ws.isLeader === true,
  readyState: () => ws.readyState,
};
window.benchReady = true;
