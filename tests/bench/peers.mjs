// The peers in the benchmark: broadcast-channel and tab-election (the pages'
// side is page/peers.mjs), bundled for the pages as an app would bundle them,
// and the failover scenario that sets wsshare's election mode beside them.
// The other scenarios take the peers as variants like any other
// (config.mjs gives their rounds).

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { epoch } from './blaster.mjs';
import { ELECTED, inRounds, millis, newRoom, openAll, sleep, until } from './scenarios.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// What the pages import the libraries from (page/peers.mjs).
export const PEERS_PATH = '/lib/peers.mjs';
export const PEERS = ['bc', 'te'];
// The failover sets wsshare's election mode beside them.
export const FAILOVER_VARIANTS = ELECTED;

const FAILOVER_WAIT_MS = 15000;
const POLL_MS = 20;
// After the streams stop, frames may still be on their way (queued in a
// new leader, or re-sent by tab-election every 500 ms): the count is final
// once it has not moved for this long.
const SETTLED_MS = 1500;

// broadcast-channel and tab-election as one ES module. Resolves with
// { [url path]: bytes }, for the server to serve from memory.
export async function bundlePeers() {
  const out = await build({
    stdin: {
      contents: "export { BroadcastChannel, createLeaderElection } from 'broadcast-channel';\n" +
        "export { Tab, To } from 'tab-election';\n",
      resolveDir: ROOT,
      sourcefile: 'bench-peers.mjs',
    },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2020', write: false, logLevel: 'warning',
  });
  return { [PEERS_PATH]: out.outputFiles[0].contents };
}

// ---- failover: the leader tab goes, the others carry on ----

// The first `type` event at or after t, or null.
const firstAfter = (events, type, t) => {
  const e = events.find(([name, at]) => name === type && at >= t);
  return e ? e[1] : null;
};

// Per remaining tab, when it was sending again: the first frame it sent at
// or after the leader was told to go that reached the server over a
// connection opened after then (a frame the old leader still carried out is
// not the new one working). Milliseconds after tKill; null for a tab none of
// whose frames did.
function sendingAgain(arrivals, acceptedAt, sentAt, tKill) {
  let first = Infinity;
  for (const [seq, at, conn] of arrivals || []) {
    if (acceptedAt[conn - 1] >= tKill && sentAt[seq - 1] >= tKill && at < first) first = at;
  }
  return first === Infinity ? null : first - tKill;
}

async function failoverOnce(env, variant, how) {
  const { server, cfg } = env;
  const { tabs: nTabs, everyMs, settleFrames } = cfg.failover;
  const room = newRoom('failover');
  const url = server.wsUrl(room);
  return env.browser.inContext(async (ctx) => {
    const tabs = await ctx.openTabs(nTabs);
    try {
      await openAll(tabs, variant, url);
    } catch (err) {
      // The page's error, without the driver's prefix and the stack.
      return { unsupported: String(err.message || err).split('\n')[0].replace(/^page\.evaluate: /, '') };
    }
    const leaders = await until(async () => {
      const flags = await Promise.all(tabs.map((t) => t.eval(() => window.bench.isLeader())));
      return flags.filter(Boolean).length === 1 ? flags : null;
    }, FAILOVER_WAIT_MS, 'exactly one leader tab');
    const leader = leaders.indexOf(true);
    const survivors = tabs.filter((_, i) => i !== leader);
    const sources = tabs.map((_, i) => `t${i}`).filter((_, i) => i !== leader);
    await server.expect(room, Number.MAX_SAFE_INTEGER, true);
    await Promise.all(tabs.map((t, i) => t.eval(([ms, src]) => window.bench.stream(ms, src), [everyMs, `t${i}`])));
    // Traffic flows from every survivor before the leader goes.
    const flowing = (since) => until(async () => {
      const s = await server.room(room);
      return sources.every((src) => (s.distinctBySource[src] || 0) >= since(src)) ? s : null;
    }, FAILOVER_WAIT_MS, 'frames from every surviving tab');
    const before = await flowing(() => settleFrames);
    const tKill = epoch();
    if (how === 'crash') await tabs[leader].crash();
    else await tabs[leader].close();
    // wsshare tells its tabs: they see `open` again. The peers' tabs are
    // told nothing; their traffic flowing again is what shows the new leader.
    const reopened = variant === 'election' && await until(async () => {
      const evs = await Promise.all(survivors.map((t) => t.eval(() => window.bench.events())));
      const at = evs.map((e) => firstAfter(e, 'open', tKill));
      return at.every((x) => x !== null) ? { at, evs } : null;
    }, FAILOVER_WAIT_MS, 'every surviving tab open again');
    await flowing((src) => before.distinctBySource[src] + 2 * settleFrames);
    const sent = await Promise.all(survivors.map((t) => t.eval(() => window.bench.stopStream())));
    const counted = async () => {
      const s = await server.room(room);
      return sources.map((src, i) => sent[i].count - (s.distinctBySource[src] || 0));
    };
    let missing = await counted();
    let movedAt = Date.now();
    const settleEnd = Date.now() + FAILOVER_WAIT_MS;
    while (missing.some((m) => m > 0) && Date.now() - movedAt < SETTLED_MS && Date.now() < settleEnd) {
      await sleep(POLL_MS);
      const now = await counted();
      if (now.join() !== missing.join()) movedAt = Date.now();
      missing = now;
    }
    const s = await server.room(room);
    const arrivals = await server.arrivals(room);
    const sentAt = await Promise.all(survivors.map((t) => t.eval(() => window.bench.sentTimes())));
    const each = sources.map((src, i) => sendingAgain(arrivals[src], s.acceptedAt, sentAt[i], tKill));
    if (each.includes(null)) throw new Error(`${variant}: a remaining tab never had a frame sent after the ${how} reach the new socket`);
    const newSocket = s.acceptedAt.find((t) => t >= tKill);
    const reconnecting = reopened && reopened.evs.map((e) => firstAfter(e, 'reconnecting', tKill));
    return {
      sendingMs: Math.max(...each),
      sendingEach: each,
      // wsshare only: when the last survivor saw `open` again, and heard its
      // leader was gone (null: one never did).
      ms: reopened ? Math.max(...reopened.at) - tKill : null,
      reconnectingMs: !reconnecting || reconnecting.includes(null) ? null : Math.max(...reconnecting) - tKill,
      serverMs: newSocket === undefined ? null : newSocket - tKill,
      lost: missing.reduce((a, m) => a + Math.max(0, m), 0),
      refused: sent.reduce((a, x) => a + x.refused, 0),
      sent: sent.reduce((a, x) => a + x.count, 0),
      duplicates: s.duplicates,
      disorder: s.disorder,
      connectionsAfter: s.connections,
    };
  });
}
// Every variant's rounds, rotated as the other scenarios' are. A variant
// whose round cannot complete (no single leader, a tab never sending again
// within 15 s) is failed, with the reason, and runs no more rounds; one the
// browser cannot run (a mode this build lacks) is not measured. Either way
// the others go on. Resolves with { [variant]: { measured, rounds } or
// { measured: false, failed?, reason } }.
export async function failover(env, how, variants = FAILOVER_VARIANTS) {
  const label = `failover, leader ${how === 'crash' ? 'crashed' : 'closed'}`;
  const stopped = {};
  const rounds = Object.fromEntries(variants.map((v) => [v, env.cfg.failover.rounds]));
  const out = await inRounds(env, label, rounds, async (v, r) => {
    if (stopped[v]) return { skipped: true };
    try {
      const result = await failoverOnce(env, v, how);
      if (result.unsupported) stopped[v] = { measured: false, reason: result.unsupported };
      return result;
    } catch (err) {
      stopped[v] = { measured: false, failed: true, reason: `failed in round ${r + 1}: ${err.message.split('\n')[0]}` };
      return { failed: true };
    }
  }, (r) => (r.skipped ? 'skipped' : r.unsupported ? `not measured: ${r.unsupported}` : r.failed ? 'failed'
    : `sending again after ${millis(r.sendingMs)}, ${r.lost} of ${r.sent} frames lost`));
  return Object.fromEntries(variants.map((v) => [v, stopped[v] || { measured: true, rounds: out[v] }]));
}
