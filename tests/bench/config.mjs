// What `make bench` runs (FULL: the figures of issue 7, sized to finish in
// under 10 minutes on a 2-core machine) and what `make test` runs (TINY: every
// path once, in seconds, to keep the benchmark from rotting).

export const FULL = {
  frameBytes: 100,
  // Rounds per variant: the comparisons a goal rests on (wsshare against the
  // batching relay; against plain sockets for the echo) get the most, as a
  // busy shared machine scatters single rounds widely; the slow baselines take
  // 3-8x longer per round and get one, so the run fits in 10 minutes even
  // while other work on the machine slows it down. Plain
  // sockets at 8 tabs (a minute a round: 800,000 frames over 8 sockets) are
  // no goal's baseline and are left out; docs/goals.md's reference is 4 tabs.
  // Where a tab leads: election mode's rounds pair with wsshare's (a goal);
  // the peers, broadcast-channel (bc) and tab-election (te), post a frame at
  // a time like the naive relay and are reported beside, a round each, of
  // fewer frames (framesOf): at their pace 100,000 take half a minute a round.
  fanout: {
    frames: 100000,
    framesOf: { bc: 25000, te: 25000 },
    rounds: {
      4: { plain: 1, naive: 1, batching: 5, wsshare: 5, election: 5, bc: 1, te: 1 },
      8: { naive: 1, batching: 5, wsshare: 5, election: 5, bc: 1, te: 1 },
    },
  },
  upstream: { tabs: 4, frames: 25000, rounds: { plain: 1, naive: 1, batching: 3, wsshare: 3, election: 1 } },
  // What the browser allows a socket wherever it is held: a bare WebSocket
  // (no wsshare, no relay) receiving the fan-out's frames in a SharedWorker,
  // a dedicated Worker and a page, rounds rotated. A round in a page takes
  // several seconds: 3 each.
  placement: { frames: 100000, rounds: 3 },
  echo: { tabs: 4, trips: 2000, warmup: 200, rounds: { plain: 5, naive: 1, batching: 5, wsshare: 5, election: 3, bc: 3, te: 3 } },
  // The echo's p99 is held against the best of the peers and relays (their
  // medians, 3 rounds each, 1 for the naive relay as before); the cold start
  // wsshare against the batching relay per round; the failover's goals
  // against the peers' medians: 5 rounds each for those.
  join: { rounds: { plain: 3, naive: 3, batching: 5, wsshare: 5, election: 3, bc: 3, te: 3 } },
  failover: { tabs: 4, rounds: 5, everyMs: 20, settleFrames: 10 },
  memory: { tabs: 1, frames: 1000000, chunk: 100000 },
  // Where a frame's time goes: fan-out of `frames` to 4 tabs, `trips` echo
  // round trips and the tabs → server burst (upstream's tabs and frames),
  // each once under the profiler.
  profile: { frames: 100000, trips: 2000 },
  // Protocol profiles, one unmodified client library per tab: wsshare against
  // a plain socket per tab, both in every round. graphql: every subscription
  // publishes for burstMs. jsonrpc: `trips` calls from one tab of `tabs`,
  // then `tripsEach` from every tab at once.
  graphql: { tabs: 4, burstMs: 3000, rounds: { plain: 5, wsshare: 5 } },
  jsonrpc: { tabs: 4, trips: 2000, tripsEach: 1000, warmup: 200, rounds: { plain: 5, wsshare: 5 } },
  // Fan-out on a machine kept busy by spinning processes of the bench's own
  // (tests/bench/burner.mjs, one per core of the reference machine), wsshare
  // against the batching relay; the quiet rows are the fan-out's above. A
  // quarter of its frames: a loaded round is 2-3x slower, and rates are per second.
  // Each round pushes the frames 3 times through its tabs and counts the
  // median push: single loaded pushes through the same tabs vary several-fold
  // in either variant.
  loaded: { processes: 2, frames: 25000, pushes: 3, rounds: { 4: { batching: 3, wsshare: 3 }, 8: { batching: 3, wsshare: 3 } } },
  // Many tabs: 10,000 frames a push, so that 32 tabs take seconds, not
  // minutes (opening 32 pages takes most of a round); 4 tabs with the same
  // frames is what the fall is taken from. Three rounds each, of 3 pushes
  // (the median counts): at 32 tabs on 2 cores one push through the same tabs
  // took 0.86 s and the next 2.92 s in the relay.
  scale: { tabs: [4, 16, 32], frames: 10000, pushes: 3, rounds: { batching: 3, wsshare: 3 } },
  // Firefox and WebKit (tests/bench/engines.mjs): what their drivers can run,
  // three rounds (two of the echo, join and placement); a WebDriver round costs seconds of setup. Firefox's
  // background tabs (all but the newest of a window) fire timers about once
  // a second: the failover waits for 3 frames from each tab, not 20.
  engines: {
    fanout: { tabs: 4, frames: 10000, rounds: { plain: 3, batching: 3, wsshare: 3 } },
    echo: { trips: 500, rounds: { plain: 2, batching: 2, wsshare: 2 } },
    join: { rounds: 2 },
    failover: { rounds: 3, settleFrames: 3 },
    // Half the fan-out's frames: a bare socket takes them in about a second
    // in either engine, so the rounds' spread is not all start-up noise.
    placement: { frames: 50000, rounds: 2 },
  },
  core: {
    rounds: 3, tabs: 4, batch: 64,
    events: { fanout: 5000000, acks: 5000000, envelopes: 200000 },
    callgrind: { fanout: 100000, acks: 100000, envelopes: 5000 },
  },
};

export const TINY = {
  frameBytes: 100,
  fanout: { frames: 300, rounds: { 2: { plain: 1, naive: 1, batching: 1, wsshare: 1, election: 1, bc: 1, te: 1 } } },
  upstream: { tabs: 2, frames: 200, rounds: { plain: 1, naive: 1, batching: 1, wsshare: 1, election: 1 } },
  placement: { frames: 300, rounds: 1 },
  echo: { tabs: 2, trips: 20, warmup: 5, rounds: { plain: 1, naive: 1, batching: 1, wsshare: 1, election: 1, bc: 1, te: 1 } },
  join: { rounds: { plain: 1, naive: 1, batching: 1, wsshare: 1, election: 1, bc: 1, te: 1 } },
  failover: { tabs: 3, rounds: 1, everyMs: 20, settleFrames: 3 },
  memory: { tabs: 1, frames: 2000, chunk: 1000 },
  profile: { frames: 300, trips: 20 },
  graphql: { tabs: 2, burstMs: 100, rounds: { plain: 1, wsshare: 1 } },
  jsonrpc: { tabs: 2, trips: 20, tripsEach: 10, warmup: 5, rounds: { plain: 1, wsshare: 1 } },
  loaded: { processes: 2, frames: 300, pushes: 2, rounds: { 2: { batching: 1, wsshare: 1 } } },
  scale: { tabs: [2, 3], frames: 300, pushes: 2, rounds: { batching: 1, wsshare: 1 } },
  // Firefox only (run.mjs's default with --tiny): WebKit's start costs more.
  engines: {
    fanout: { tabs: 2, frames: 300, rounds: { batching: 1, wsshare: 1 } },
    echo: { trips: 20, rounds: { plain: 1, wsshare: 1 } },
    join: { rounds: 1 },
    failover: { rounds: 1, settleFrames: 3 },
    placement: { frames: 300, rounds: 1 },
  },
  core: {
    rounds: 1, tabs: 4, batch: 64,
    events: { fanout: 2560, acks: 2560, envelopes: 100 },
    callgrind: { fanout: 256, acks: 256, envelopes: 10 },
  },
};
