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
  fanout: {
    frames: 100000,
    rounds: { 4: { plain: 1, naive: 1, batching: 4, wsshare: 4 }, 8: { naive: 1, batching: 4, wsshare: 4 } },
  },
  upstream: { tabs: 4, frames: 25000, rounds: { plain: 1, naive: 1, batching: 3, wsshare: 3 } },
  echo: { tabs: 4, trips: 2000, warmup: 200, rounds: { plain: 3, naive: 1, batching: 2, wsshare: 3 } },
  join: { rounds: 3 },
  failover: { tabs: 4, rounds: 3, everyMs: 10, settleFrames: 20 },
  memory: { tabs: 1, frames: 1000000, chunk: 100000 },
  // Where a frame's time goes: fan-out of `frames` to 4 tabs and `trips`
  // echo round trips, each once under the profiler.
  profile: { frames: 100000, trips: 2000 },
  // Protocol profiles, one unmodified client library per tab: wsshare against
  // a plain socket per tab, both in every round. graphql: every subscription
  // publishes for burstMs. jsonrpc: `trips` calls from one tab of `tabs`,
  // then `tripsEach` from every tab at once.
  graphql: { tabs: 4, burstMs: 3000, rounds: { plain: 5, wsshare: 5 } },
  jsonrpc: { tabs: 4, trips: 2000, tripsEach: 1000, warmup: 200, rounds: { plain: 5, wsshare: 5 } },
  core: {
    rounds: 3, tabs: 4, batch: 64,
    events: { fanout: 5000000, acks: 5000000, envelopes: 200000 },
    callgrind: { fanout: 100000, acks: 100000, envelopes: 5000 },
  },
};

export const TINY = {
  frameBytes: 100,
  fanout: { frames: 300, rounds: { 2: { plain: 1, naive: 1, batching: 1, wsshare: 1 } } },
  upstream: { tabs: 2, frames: 200, rounds: { plain: 1, naive: 1, batching: 1, wsshare: 1 } },
  echo: { tabs: 2, trips: 20, warmup: 5, rounds: { plain: 1, naive: 1, batching: 1, wsshare: 1 } },
  join: { rounds: 1 },
  failover: { tabs: 3, rounds: 1, everyMs: 10, settleFrames: 3 },
  memory: { tabs: 1, frames: 2000, chunk: 1000 },
  profile: { frames: 300, trips: 20 },
  graphql: { tabs: 2, burstMs: 100, rounds: { plain: 1, wsshare: 1 } },
  jsonrpc: { tabs: 2, trips: 20, tripsEach: 10, warmup: 5, rounds: { plain: 1, wsshare: 1 } },
  core: {
    rounds: 1, tabs: 4, batch: 64,
    events: { fanout: 2560, acks: 2560, envelopes: 100 },
    callgrind: { fanout: 256, acks: 256, envelopes: 10 },
  },
};
