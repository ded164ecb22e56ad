// Turns a run's raw rounds into results: medians and spreads, per-round
// ratios, each goal of docs/goals.md judged met or not, and the comparisons
// docs/goals.md sets no goal for reported as measured; then writes them as
// results.json, a Markdown report (RESULTS.md) and an SVG chart. A run of
// some scenarios only (run.mjs --only) reports those.

import { paired, summary } from './stats.mjs';
import { BASELINES, ELECTED, PLACES as SOCKET_PLACES, PROTOCOL_VARIANTS, VARIANTS } from './scenarios.mjs';
import { PEERS } from './peers.mjs';
import { failoverMarkdown, failovers, judgeFailover } from './peers-report.mjs';
import { GOAL_LEADER, GOAL_TAB } from '../sizes.mjs';
import { PLACE_NAMES, analyseEnvs, judgeEnvs, markdownEnvs, placementOf, rawOfEnvs } from './report-envs.mjs';

const NAMES = {
  plain: 'plain WebSocket per tab',
  naive: 'naive relay (post per frame)',
  batching: 'batching relay (post per task)',
  wsshare: 'wsshare',
  election: 'wsshare, election mode',
  bc: 'broadcast-channel (a tab leads)',
  te: 'tab-election (a tab leads)',
};
// Every variant a table shows: the baselines, wsshare, then those where a tab leads.
const ALL = [...VARIANTS, ...ELECTED];
// What the echo's p99 is held against: the peers and both relays.
const ECHO_PEERS = [...PEERS, 'naive', 'batching'];
// docs/goals.md's reference figures, 4 tabs, deliveries per second.
const REFERENCE = { plain: 15000, naive: 43000, batching: 145000 };
const MB = 1024 * 1024;

const pick = (rounds, key) => rounds.map((r) => r[key]);

function throughput(raw) {
  const variants = {};
  for (const v of ALL) variants[v] = summary(pick(raw[v] || [], 'perSecond'));
  const ratios = {};
  for (const b of [...BASELINES, ...PEERS]) {
    ratios[b] = paired(pick(raw.wsshare, 'perSecond'), pick(raw[b] || [], 'perSecond'), (w, x) => w / x);
  }
  const connections = Object.fromEntries(ALL.map((v) => [v, [...new Set(pick(raw[v] || [], 'connections'))]]));
  const framesPerPost = Object.fromEntries(['batching', 'wsshare'].map((v) =>
    [v, summary(pick(raw[v] || [], 'framesPerPost').filter((x) => typeof x === 'number'))]));
  // Election mode ÷ SharedWorker mode, round by round.
  const electionOverSharedworker = paired(pick(raw.election || [], 'perSecond'), pick(raw.wsshare || [], 'perSecond'), (e, w) => e / w);
  return { variants, ratios, connections, framesPerPost, electionOverSharedworker };
}

function echoes(raw) {
  const variants = {};
  for (const v of ALL) variants[v] = { p50: summary(pick(raw[v] || [], 'p50')), p99: summary(pick(raw[v] || [], 'p99')) };
  // What a variant adds to a plain socket's round trip, round by round.
  const over = (v) => ({
    p50: paired(pick(raw[v], 'p50'), pick(raw.plain, 'p50'), (x, p) => x - p),
    p99: paired(pick(raw[v], 'p99'), pick(raw.plain, 'p99'), (x, p) => x - p),
  });
  // The best peer's p99: the lowest median among those that ran.
  const ran = ECHO_PEERS.filter((v) => variants[v].p99);
  const best = ran.length ? ran.reduce((a, b) => (variants[b].p99.median < variants[a].p99.median ? b : a)) : null;
  return {
    variants, overPlain: over('wsshare'), relayOverPlain: over('batching'), postsPerTrip: summary(pick(raw.wsshare, 'postsPerTrip')),
    bestPeerP99: best && { variant: best, p99: variants[best].p99.median },
  };
}

function core(raw) {
  const out = {};
  for (const [w, r] of Object.entries(raw)) {
    out[w] = {
      native: summary(r.native),
      wasm: summary(r.wasm),
      nativeOverWasm: paired(r.native, r.wasm, (n, x) => n / x),
      instructionsPerEvent: r.instructionsPerEvent,
      sameWork: r.sameWork,
    };
  }
  return out;
}

// A protocol scenario's rounds summarised by f, or why it has none.
function protocolRun(raw, f) {
  if (raw.failed) return { measured: false, failed: true, reason: raw.reason };
  return { measured: true, ...f(raw.rounds), rounds: raw.rounds };
}

const connectionsSeen = (r) => Object.fromEntries(PROTOCOL_VARIANTS.map((v) => [v, [...new Set(pick(r[v], 'connections'))]]));

// graphql-ws fan-out: deliveries per second, and wsshare ÷ plain round by round.
function graphqlFanout(r) {
  return {
    variants: Object.fromEntries(PROTOCOL_VARIANTS.map((v) => [v, summary(pick(r[v], 'perSecond'))])),
    ratio: paired(pick(r.wsshare, 'perSecond'), pick(r.plain, 'perSecond'), (w, p) => w / p),
    connections: connectionsSeen(r),
    framesPerPost: summary(pick(r.wsshare, 'framesPerPost').filter((x) => typeof x === 'number')),
  };
}

// JSON-RPC round trips, one tab (one) and every tab at once (all): p50 and
// p99, and what wsshare adds to a plain socket's, round by round.
function jsonrpcTrips(r) {
  const of = (v, k, p) => r[v].map((x) => x[k][p]);
  const both = (f) => ({ one: { p50: f('one', 'p50'), p99: f('one', 'p99') }, all: { p50: f('all', 'p50'), p99: f('all', 'p99') } });
  return {
    variants: Object.fromEntries(PROTOCOL_VARIANTS.map((v) => [v, both((k, p) => summary(of(v, k, p)))])),
    overPlain: both((k, p) => paired(of('wsshare', k, p), of('plain', k, p), (w, x) => w - x)),
    connections: connectionsSeen(r),
    postsPerTrip: summary(pick(r.wsshare, 'postsPerTrip').filter((x) => typeof x === 'number')),
    dataPostsPerTrip: summary(pick(r.wsshare, 'dataPostsPerTrip').filter((x) => typeof x === 'number')),
    controlPostsPerTrip: summary(pick(r.wsshare, 'controlPostsPerTrip').filter((x) => typeof x === 'number')),
  };
}

// Each goal of docs/goals.md's table: what was measured and whether it meets it.
// A goal whose measure could not be taken is met: null, with the reason; one
// whose scenario failed is not met. The comparisons docs/goals.md sets no goal for
// are rows of kind 'reported': met when measured, not met when they failed.
function judge(s, meta) {
  const goals = [];
  const add = (measure, goal, value, met, note, kind) => goals.push({ measure, goal, value, met, note: note || '', ...(kind ? { kind } : {}) });
  const x = (r) => (r ? `${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})` : 'n/a');
  const plus = (r) => (r ? `${r.median >= 0 ? '+' : ''}${r.median.toFixed(2)} ms (${r.min.toFixed(2)}…${r.max.toFixed(2)})` : 'n/a');

  if (s.fanout) {
    const conns = Object.entries(s.fanout).map(([n, f]) => [n, f.connections.wsshare]);
    add('server connections for N tabs of one user', 'exactly 1',
      conns.map(([n, c]) => `${c.join(', ')} for ${n} tabs`).join('; '),
      conns.every(([, c]) => c.length === 1 && c[0] === 1));

    for (const [n, f] of Object.entries(s.fanout)) {
      const b = f.ratios.batching;
      const peers = PEERS.filter((v) => f.ratios[v]).map((v) => `, ${x(f.ratios[v])} ${v}`).join('');
      add(`fan-out throughput, ${n} tabs`, '≥ 1.0 × batching relay',
        `${x(b)} batching (reported: ${x(f.ratios.naive)} naive${peers})`, !!(b && b.median >= 1));
    }
    // Beside it, the ceiling the browser sets: a bare socket's rate in a
    // dedicated Worker (where an elected tab's leader holds it) over its rate
    // in a SharedWorker.
    const bare = s.placement ? `; a bare socket, dedicated Worker ÷ SharedWorker: ${x(s.placement.dedicatedOverShared)} (socket placement)` : '';
    for (const [n, f] of Object.entries(s.fanout)) {
      const e = f.electionOverSharedworker;
      add(`fan-out throughput, ${n} tabs, election mode`, '≥ 0.9 × SharedWorker mode (per round)',
        e ? `${x(e)} SharedWorker mode${bare}` : 'not run', e ? e.median >= 0.9 : null, e ? '' : 'no rounds of both modes');
    }
  }
  if (s.upstream) {
    const up = s.upstream.ratios.batching;
    add('tabs → server throughput', '≥ 0.9 × batching relay', `${x(up)} batching`, !!(up && up.median >= 0.9));
    // Copies of a tab's upstream frames that other tabs received (0: none).
    const copies = (v) => (s.upstream.rounds[v] || []).map((q) => q.copiesPerFrame).filter((c) => typeof c === 'number');
    const shown = ['wsshare', 'election', 'batching'].filter((v) => copies(v).length)
      .map((v) => `${NAMES[v] || v} ${Math.max(...copies(v)).toFixed(2)}`).join('; ');
    const ws = copies('wsshare');
    add('upstream: a frame a tab sends is not copied into the other tabs', '0 copies per frame sent, SharedWorker and election mode',
      `copies other tabs received per frame sent, the most of any round: ${shown}`,
      ws.length ? ws.every((c) => c === 0) && copies('election').every((c) => c === 0) : null,
      ws.length ? '' : 'no wsshare round');
  }

  if (s.echo) {
    const { p50, p99 } = s.echo.overPlain;
    const relay = s.echo.relayOverPlain;
    const w99 = s.echo.variants.wsshare.p99;
    const best = s.echo.bestPeerP99;
    add('echo round trip', 'p50 ≤ plain + 0.5 ms, p99 ≤ the best peer\'s p99 (bc, te, both relays)',
      `p50 ${plus(p50)} over plain (the batching relay: ${plus(relay.p50)}); ` +
      `p99 ${w99 ? `${w99.median.toFixed(2)} ms` : 'n/a'}, the best peer's ${best ? `${best.p99.toFixed(2)} ms (${best.variant})` : 'n/a'}`,
      !!(p50 && w99 && best && p50.median <= 0.5 && w99.median <= best.p99));
  }

  if (s.join) {
    const c = s.join.coldOverBatching;
    add('cold start (first tab, constructor to `open`)', '≤ batching relay + 20 ms (per round)',
      `${plus(c)} over the batching relay (${s.join.variants.wsshare.cold.median.toFixed(1)} ms against ` +
      `${s.join.variants.batching.cold.median.toFixed(1)} ms)`, !!(c && c.median <= 20));
    const j = s.join.variants.wsshare.join;
    add('a 2nd tab joining an open socket', '`open` ≤ 20 ms after the constructor',
      `${j.median.toFixed(1)} ms (${j.min.toFixed(1)}–${j.max.toFixed(1)})`, j.median <= 20);
  }

  if (s.failover) judgeFailover(s.failover, add);

  if (s.sizes) {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    add('size a page loads (tab side, gzip)', '≤ 8 KB', kb(s.sizes.tab), s.sizes.tab <= GOAL_TAB);
    add('worker + wasm (gzip)', '≤ 40 KB', kb(s.sizes.leader), s.sizes.leader <= GOAL_LEADER);
  }

  if (s.memory) {
    const m = s.memory;
    const growth = m.wasmGrowth + m.jsHeapGrowth;
    add(`leader memory after ${m.samples[m.samples.length - 1].frames.toLocaleString('en')} frames`, 'flat (≤ 1 MB above the start)',
      `${(growth / MB).toFixed(2)} MB above the start (wasm ${(m.wasmGrowth / MB).toFixed(2)}, JS heap ${(m.jsHeapGrowth / MB).toFixed(2)})`,
      growth <= MB);
  }

  const reported = 'none in docs/goals.md: reported, wsshare against plain';
  const conns = (c) => `server connections ${c.wsshare.join('/')} (wsshare) and ${c.plain.join('/')} (plain)`;
  if (s.graphql) {
    const g = s.graphql;
    const what = `graphql-ws subscription fan-out, ${meta.config.graphql.tabs} tabs (deliveries/s)`;
    if (!g.measured) add(what, reported, 'failed', false, g.reason, 'reported');
    else {
      const ps = (r) => `${k(r.median)}/s`;
      add(what, reported, `wsshare ${ps(g.variants.wsshare)}, plain ${ps(g.variants.plain)}: wsshare ÷ plain ${x(g.ratio)}; ` +
        conns(g.connections), true, '', 'reported');
    }
  }
  if (s.jsonrpc) {
    const j = s.jsonrpc;
    const what = 'JSON-RPC round trip (json-rpc-2.0 client, `echo`)';
    if (!j.measured) add(what, reported, 'failed', false, j.reason, 'reported');
    else {
      const over = (o) => `p50 ${plus(o.p50)}, p99 ${plus(o.p99)}`;
      add(what, reported, `wsshare over plain: one tab of ${meta.config.jsonrpc.tabs} ${over(j.overPlain.one)}; ` +
        `${meta.config.jsonrpc.tabs} tabs at once ${over(j.overPlain.all)}; ${conns(j.connections)}`, true, '', 'reported');
    }
  }
  return goals;
}

// The cold start's phases, from each SharedWorker variant's timeline
// (scenarios.mjs): [phase, what it holds, its span in one round's timeline];
// a phase whose ends a variant's timeline lacks is not its own.
const COLD_PHASES = [
  ['the worker starts', 'the tab\'s constructor, the worker\'s process and its script fetched', (t) => t.workerStarts],
  ['the core is asked for', 'the worker\'s script run; the tab\'s init reaches it', (t) => t.coreAsked - t.workerStarts],
  ['the core arrives', 'its fetch, request to last byte', (t) => t.coreFetched - t.coreAsked],
  ['the server accepts the socket', 'wsshare: the core compiled and started, the leader lock, the socket\'s handshake; ' +
    'the relay: its script run, the tab\'s message, the handshake', (t) => t.serverAccepts - (t.coreFetched ?? t.workerStarts)],
  ['the tab has `open`', 'the socket\'s open reaching the tab (wsshare: with the tab\'s hello and its welcome)', (t) => t.open - t.serverAccepts],
];

function coldPhases(join) {
  const out = {};
  for (const v of ['wsshare', 'batching']) {
    const lines = (join[v] || []).map((r) => r.timeline).filter(Boolean);
    if (!lines.length) continue;
    out[v] = Object.fromEntries(COLD_PHASES.map(([name, , span]) => [name, lines.map(span)])
      .filter(([, xs]) => xs.every(Number.isFinite)).map(([name, xs]) => [name, summary(xs)]));
  }
  return out;
}

// Only the scenarios a run has are analysed and judged (run.mjs --only).
export function analyse(raw, meta) {
  const s = {};
  if (raw.fanout) s.fanout = Object.fromEntries(Object.entries(raw.fanout).map(([n, r]) => [n, { ...throughput(r), rounds: r }]));
  if (raw.placement) s.placement = placementOf(raw.placement);
  if (raw.upstream) s.upstream = { ...throughput(raw.upstream), rounds: raw.upstream };
  if (raw.echo) s.echo = { ...echoes(raw.echo), rounds: raw.echo };
  if (raw.join) {
    s.join = {
      variants: Object.fromEntries(ALL.filter((v) => raw.join[v]).map((v) => [v, {
        cold: summary(pick(raw.join[v], 'cold')), join: summary(pick(raw.join[v], 'join')),
      }])),
      coldOverBatching: paired(pick(raw.join.wsshare, 'cold'), pick(raw.join.batching, 'cold'), (w, b) => w - b),
      phases: coldPhases(raw.join),
      rounds: raw.join,
    };
  }
  if (raw.failover) s.failover = { ...failovers(raw.failover), rounds: raw.failover };
  if (raw.memory) s.memory = raw.memory;
  if (raw.profile) s.profile = raw.profile;
  if (raw.sizes) s.sizes = raw.sizes;
  if (raw.core) s.core = { ...core(raw.core), rounds: raw.core };
  if (raw.graphql) s.graphql = protocolRun(raw.graphql, graphqlFanout);
  if (raw.jsonrpc) s.jsonrpc = protocolRun(raw.jsonrpc, jsonrpcTrips);
  const failover = s.failover && (({ rounds, ...rest }) => rest)(s.failover);
  // The loaded machine, many tabs and the other engines (report-envs.mjs).
  Object.assign(s, analyseEnvs(raw, s, meta));
  return { meta, scenarios: s, goals: [...judge({ ...s, failover }, meta), ...judgeEnvs(s)] };
}

// The raw rounds analyse() was given, back from its results: to render a
// run's report again without measuring again.
export function rawOf(results) {
  const s = results.scenarios;
  const raw = {};
  if (s.fanout) raw.fanout = Object.fromEntries(Object.entries(s.fanout).map(([n, f]) => [n, f.rounds]));
  if (s.upstream) raw.upstream = s.upstream.rounds;
  if (s.placement) raw.placement = s.placement.rounds;
  if (s.echo) raw.echo = s.echo.rounds;
  if (s.join) raw.join = s.join.rounds;
  if (s.failover) raw.failover = s.failover.rounds;
  if (s.memory) raw.memory = s.memory;
  if (s.profile) raw.profile = s.profile;
  if (s.sizes) raw.sizes = s.sizes;
  if (s.core) raw.core = s.core.rounds;
  for (const p of ['graphql', 'jsonrpc']) {
    if (s[p]) raw[p] = s[p].measured ? { rounds: s[p].rounds } : { failed: true, reason: s[p].reason };
  }
  Object.assign(raw, rawOfEnvs(s));
  return raw;
}

// ---- Markdown ----

const k = (n) => (n >= 1e6 ? `${(n / 1e6).toPrecision(3)} M` : n >= 1e3 ? `${(n / 1e3).toPrecision(3)} k` : n.toPrecision(3));
const spread = (r, f) => {
  if (!r) return '—';
  return r.n === 1 ? `${f(r.median)} (1 round)` : `${f(r.median)} (${f(r.min)}–${f(r.max)})`;
};
const mark = (g) => (g.kind === 'reported' ? (g.met ? 'measured' : '**failed**')
  : g.met === null ? 'not measured' : g.met ? 'met' : '**not met**');
const row = (cells) => `| ${cells.join(' | ')} |`;
const table = (head, rows) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

export function goalsTable(results) {
  return table(['measure', 'goal', 'measured: median (min–max)', ''],
    results.goals.map((g) => [g.measure, g.goal, g.value + (g.note ? ` — ${g.note}` : ''), mark(g)]));
}

export function markdown(results, { tiny }) {
  const { meta, scenarios: s } = results;
  const perSec = (r) => spread(r, k);
  const ratio = (r) => spread(r, (x) => `${x.toFixed(2)}×`);
  const millis = (r) => spread(r, (x) => x.toFixed(2));
  const through = (label, t) => row([label, ...ALL.map((v) => perSec(t.variants[v])),
    ratio(t.ratios.batching), ratio(t.ratios.naive), ratio(t.ratios.plain), ratio(t.electionOverSharedworker)]);
  const failed = results.goals.filter((g) => g.met === false);
  const unmeasured = results.goals.filter((g) => g.met === null);

  const out = [];
  out.push('# wsshare benchmarks', '');
  if (tiny) out.push('**Tiny configuration** (`make test`): these figures only show that the benchmark runs. `make bench` gives the real ones.', '');
  if (meta.only) out.push(`**Some scenarios only** (\`--only\`): ${meta.only.join(', ')}. \`make bench\` runs them all.`, '');
  out.push(`Made by \`${meta.command}\` on ${meta.date}, in ${Math.round(meta.seconds)} s, on ${meta.machine}. ` +
    `Load average (1 min) ${meta.load[0].toFixed(2)} at the start, ${meta.load[1].toFixed(2)} at the end: the machine is shared, so figures move between runs; ` +
    'the ratios are taken per round, between runs that followed each other.', '');
  out.push(`Versions: ${Object.entries(meta.versions).map(([a, b]) => `${a} ${b}`).join(', ')}.`, '');
  out.push('How: one Node server of ours (`tests/bench/blaster.mjs`, on 127.0.0.1, `ws` library) serves the pages over HTTP and the WebSockets; ' +
    'headless Chromium, one fresh browser context per round, one page per tab. The baselines are a few lines each ' +
    '(`tests/bench/page/relay*.js`): a plain WebSocket per tab; a SharedWorker holding the socket that posts every frame on a BroadcastChannel (naive); ' +
    'the same gathering the frames of one task into one post (batching). ' +
    'Beside them, where a tab leads and holds the socket: wsshare in `mode: \'election\'`, and the peers, two libraries a page could share a socket with instead, ' +
    `each used as its README shows (\`tests/bench/page/peers.mjs\`): broadcast-channel ${meta.versions['broadcast-channel'] || ''} (\`createLeaderElection\`, a post per server frame) ` +
    `and tab-election ${meta.versions['tab-election'] || ''} (\`tab.call\` to the leader, \`tab.send\` from it). ` +
    'Every receiver checks each frame\'s number, so a figure counts only complete, ordered runs. ' +
    `Frames are ${meta.config.frameBytes} bytes of text. Figures are medians over rounds, with min–max.`, '');

  out.push('## Goals ([docs/goals.md](../docs/goals.md))', '', goalsTable(results), '');
  if (failed.length || unmeasured.length) {
    out.push('Not met: ' + (failed.length ? failed.map((g) => g.measure).join('; ') : 'none') + '. ' +
      'Not measured: ' + (unmeasured.length ? unmeasured.map((g) => `${g.measure} (${g.note})`).join('; ') : 'none') + '.', '');
  }

  if (s.fanout || s.upstream) {
    out.push('## Throughput (deliveries per second; k = 1,000)', '');
    const fewer = Object.entries(meta.config.fanout.framesOf || {}).map(([v, n]) => `${n.toLocaleString('en')} to ${v}`);
    out.push(`Fan-out: the server pushes ${meta.config.fanout.frames.toLocaleString('en')} frames${fewer.length ? ` (${fewer.join(', ')}: a round at their pace takes long)` : ''}; the figure is frames × tabs over the time from the push until the last tab has the last frame. ` +
      `Tabs → server: ${meta.config.upstream.tabs} tabs send ${meta.config.upstream.frames.toLocaleString('en')} frames each at once; the time runs from the first send to the last frame at the server.`, '');
    const head = ['scenario', ...ALL.map((v) => NAMES[v]), 'wsshare ÷ batching', 'wsshare ÷ naive', 'wsshare ÷ plain', 'election ÷ SharedWorker mode'];
    out.push(row(head));
    out.push(row(head.map(() => '---')));
    for (const [n, f] of Object.entries(s.fanout || {})) out.push(through(`fan-out, ${n} tabs`, f));
    if (s.upstream) out.push(through(`tabs → server, ${meta.config.upstream.tabs} tabs`, s.upstream));
    if (s.fanout) out.push(row(['docs/goals.md reference, fan-out 4 tabs', ...ALL.map((v) => (REFERENCE[v] ? `≈ ${k(REFERENCE[v])}` : '')), '', '', '', '']));
    out.push('', '— : not run in this configuration; `tests/bench/config.mjs` gives the rounds of each variant and why.', '');
  }
  if (s.fanout) {
    out.push(`Server connections seen per round: ${Object.entries(s.fanout).map(([n, f]) =>
      `${n} tabs: ${ALL.filter((v) => f.connections[v].length).map((v) => `${v} ${f.connections[v].join('/')}`).join(', ')}`).join('; ')}. ` +
      `Server frames per bus post, batching relay and wsshare (whose core caps a post at 512 frames): ${Object.entries(s.fanout).map(([n, f]) =>
        `${n} tabs ${spread(f.framesPerPost.batching, (x) => x.toFixed(0))} and ${spread(f.framesPerPost.wsshare, (x) => x.toFixed(0))}`).join('; ')}.`, '');

    out.push('Fan-out round by round, deliveries per second (server frames per bus post):', '');
    for (const [n, f] of Object.entries(s.fanout)) {
      const cell = (r) => (r ? `${k(r.perSecond)}${typeof r.framesPerPost === 'number' ? ` (${r.framesPerPost.toFixed(0)})` : ''}` : '');
      const of = (v) => f.rounds[v] || [];
      const rounds = Math.max(of('batching').length, of('wsshare').length, of('election').length);
      out.push(table([`${n} tabs, round`, NAMES.batching, NAMES.wsshare, NAMES.election],
        Array.from({ length: rounds }, (_, r) => [String(r + 1), cell(of('batching')[r]), cell(of('wsshare')[r]), cell(of('election')[r])])), '');
    }
  }
  if (s.upstream) {
    out.push(`In tabs → server, a wsshare tab posts at most 512 frames at a time and its leader acknowledges them (${spread(summary(pick(s.upstream.rounds.wsshare, 'acks')), (x) => x.toFixed(0))} ack envelopes a round, each to every tab); ` +
      'a batching relay tab posts all the frames of its task at once and nothing comes back. ' +
      'Copies of other tabs\' upstream posts each tab\'s channels received, per frame sent (`tests/bench/page/count-bus.js`): ' +
      ['plain', 'naive', 'batching', 'wsshare', 'election'].filter((v) => s.upstream.rounds[v] && s.upstream.rounds[v].length)
        .map((v) => `${NAMES[v] || v} ${spread(summary(pick(s.upstream.rounds[v], 'copiesPerFrame')), (x) => x.toFixed(2))}`).join(', ') + '.', '');
  }

  if (s.placement) out.push(...placementMarkdown(s));

  if (s.echo || s.join) {
    out.push('## Latency (milliseconds)', '');
    out.push(`Echo: ${meta.config.echo.trips.toLocaleString('en')} sequential round trips from one tab of ${meta.config.echo.tabs}, the others idle (after ${meta.config.echo.warmup} unmeasured). ` +
      'Cold start: the first tab, constructor to `open` (worker, wasm and socket). Join: a second tab on the open socket, constructor to `open`.', '');
    const shown = ALL.filter((v) => (s.echo && s.echo.variants[v].p50) || (s.join && s.join.variants[v]));
    out.push(table(['variant', 'echo p50', 'echo p99', 'cold start', 'join'], shown.map((v) => [NAMES[v],
      s.echo ? millis(s.echo.variants[v].p50) : '—', s.echo ? millis(s.echo.variants[v].p99) : '—',
      s.join && s.join.variants[v] ? millis(s.join.variants[v].cold) : '—', s.join && s.join.variants[v] ? millis(s.join.variants[v].join) : '—'])));
    out.push('');
  }
  if (s.echo) {
    out.push(`Over plain, per round: wsshare p50 ${millis(s.echo.overPlain.p50)}, p99 ${millis(s.echo.overPlain.p99)}; ` +
      `the batching relay p50 ${millis(s.echo.relayOverPlain.p50)}, p99 ${millis(s.echo.relayOverPlain.p99)}. ` +
      `wsshare's leader made ${spread(s.echo.postsPerTrip, (x) => x.toFixed(2))} bus posts per round trip (the relays make 1: the echoed frame). ` +
      'Where a tab leads (election mode, the peers), the round trips are made from a tab that does not: the leader\'s own are a plain socket\'s. ' +
      (s.echo.bestPeerP99 ? `The best peer's p99 (of ${ECHO_PEERS.join(', ')}): ${s.echo.bestPeerP99.p99.toFixed(2)} ms, ${s.echo.bestPeerP99.variant}.` : ''), '');
  }
  if (s.join) {
    out.push(`Cold start, wsshare − batching relay, per round: ${millis(s.join.coldOverBatching)}.`, '');
    const ph = s.join.phases || {};
    if (ph.wsshare && ph.batching) {
      out.push('Where the cold start goes, for the variants whose leader is a SharedWorker, from clocks that need nothing of the code measured: ' +
        'the worker\'s time origin, its Resource Timing of the core\'s fetch, the server\'s accept of the socket and the tab\'s `open`, ' +
        'read after each round\'s join. Each phase ends where the next begins; milliseconds, medians over rounds:', '');
      out.push(table(['phase, until', 'what it holds', 'wsshare', 'batching relay'], COLD_PHASES.map(([name, what]) => [name, what,
        ph.wsshare[name] ? millis(ph.wsshare[name]) : '—', ph.batching[name] ? millis(ph.batching[name]) : '—'])), '');
    }
  }

  if (s.failover) out.push(...failoverMarkdown((({ rounds, ...rest }) => rest)(s.failover), meta, NAMES));

  if (s.memory) {
    out.push('## Leader memory', '');
    out.push(`${s.memory.tabs} tabs, frames pushed in chunks of ${meta.config.memory.chunk.toLocaleString('en')}; after each chunk, the leader SharedWorker's wasm memory ` +
      '(every `WebAssembly.Memory` in it, found over CDP) and its JS heap after a forced collection (CDP `Runtime.getHeapUsage`).', '');
    out.push(table(['frames', 'wasm memory (bytes)', 'worker JS heap (bytes)'],
      s.memory.samples.map((m) => [m.frames.toLocaleString('en'), m.wasm.toLocaleString('en'), m.jsHeap.toLocaleString('en')])));
    out.push('');
  }

  if (s.profile) out.push(...profileMarkdown(s.profile));

  if (s.graphql || s.jsonrpc) out.push(...protocolsMarkdown(s, meta, { perSec, ratio, millis }));

  if (s.sizes) {
    out.push('## Sizes', '');
    out.push(table(['file', 'raw (bytes)', 'gzip -9 (bytes)'],
      Object.entries(s.sizes.files).map(([f, z]) => [`dist/${f}`, z.raw.toLocaleString('en'), z.gz.toLocaleString('en')])));
    out.push('', `Tab side (the larger page bundle): ${s.sizes.tab.toLocaleString('en')} B gzip; worker + wasm: ${s.sizes.leader.toLocaleString('en')} B gzip.`, '');
  }

  if (s.core) {
    out.push('## The core alone: native and WebAssembly', '');
    out.push(`Events per second through the public API, ${meta.config.core.tabs} tabs: **fan-out**, one server frame (a flush, posting the batch, every ${meta.config.core.batch}); ` +
      `**acks**, one tab frame handed to the socket (posts of ${meta.config.core.batch} frames, one ack envelope per round of tabs); ` +
      '**envelopes**, one `hello` decoded and its `welcome` encoded (cJSON). Native: `tests/bench/core_bench.c`, gcc -O2. ' +
      'WebAssembly: the shipped `dist/wsshare.wasm` (-Oz) driven by `tests/bench/page/core-bench.mjs` through the glue\'s own wrapper in Chromium; ' +
      'both drivers sum what the actions carry and the sums agree. Instructions: callgrind, native, per event.', '');
    out.push(table(['workload', 'native, gcc -O2 (events/s)', 'wasm in Chromium (events/s)', 'native ÷ wasm', 'instructions per event', 'same work'],
      Object.entries(s.core).filter(([w]) => w !== 'rounds').map(([w, c]) => [w, perSec(c.native), perSec(c.wasm), ratio(c.nativeOverWasm),
        c.instructionsPerEvent === null ? '—' : c.instructionsPerEvent.toFixed(0), c.sameWork ? 'yes' : '**no**'])));
    out.push('');
  }
  out.push(...markdownEnvs(s, meta));
  out.push('Raw rounds: `bench/results.json`. Chart: `bench/chart.svg`.', '');
  return out.join('\n');
}

// The socket placement section: a bare socket in a SharedWorker, a dedicated
// Worker and a page, in each engine that ran it, set beside election mode's
// fan-out over SharedWorker mode's.
const rounds = (n) => `${n} round${n === 1 ? '' : 's'}`;

function placementMarkdown(s) {
  const p = s.placement;
  const times = (r) => spread(r, (v) => `${v.toFixed(2)}×`);
  const out = ['## Socket placement: what the browser allows a socket where each mode holds it', ''];
  out.push('A bare WebSocket, no wsshare and no relay (`tests/bench/page/bare-socket.js`), receiving the fan-out\'s frames from the same server, ' +
    'held in a SharedWorker (where SharedWorker mode\'s leader, and the relays, hold theirs), in a dedicated Worker (where election mode\'s elected tab\'s ' +
    'leader holds it) and in the page itself (a plain socket per tab). One tab, one socket; every frame\'s number checked, as the bench page does, ' +
    'and nothing else done with it. The figure: frames over the time from the push until the last frame arrived. ' +
    `${rounds(p.rounds.rounds.shared.length)} of each in Chromium, the three places in turn; ratios are taken round by round. ` +
    'Firefox and WebKit, where the engines scenario ran, the same with their own frames and rounds (`tests/bench/config.mjs`).', '');
  const engines = [['Chromium', p], ...Object.entries(s.engines || {}).filter(([e]) => e !== 'chromium')
    .map(([e, r]) => [`${e === 'webkit' ? 'WebKit' : 'Firefox'} ${r.version || ''}`.trim(), r.placement])];
  out.push(table(['engine', 'frames', ...SOCKET_PLACES.map((x) => `${PLACE_NAMES[x]} (frames/s)`), 'dedicated ÷ shared', 'page ÷ shared'],
    engines.filter(([, q]) => q).map(([name, q]) => (q.failed ? [name, `failed: ${q.reason}`, '', '', '', '', '']
      : [name, q.frames.toLocaleString('en'), ...SOCKET_PLACES.map((x) => spread(q.places[x], k)), times(q.dedicatedOverShared), times(q.pageOverShared)]))), '');
  // The reading: election mode's ratio against the bare sockets' in Chromium.
  const d = p.dedicatedOverShared;
  const pg = p.pageOverShared;
  const sec = (x) => `${p.seconds[x].median.toFixed(2)} s`;
  const words = [`In Chromium a bare socket took ${sec('shared')} in a SharedWorker, ${sec('dedicated')} in a dedicated Worker and ${sec('page')} in a page ` +
    `for the same ${p.frames.toLocaleString('en')} frames: held in a dedicated Worker it receives at ${d.median.toFixed(2)}× its rate in a SharedWorker, ` +
    `in a page at ${pg.median.toFixed(2)}×.`];
  const election = Object.entries(s.fanout || {}).filter(([, f]) => f.electionOverSharedworker);
  if (election.length) {
    const each = election.map(([n, f]) => {
      const e = f.electionOverSharedworker.median;
      return `${e.toFixed(2)}× at ${n} tabs, ${(e / d.median).toFixed(2)} of the bare sockets' ratio`;
    });
    const below = election.filter(([, f]) => f.electionOverSharedworker.median < d.median).length;
    words.push(`wsshare's election mode fans out at ${each.join('; ')} (docs/goals.md asks ≥ 0.9×).`);
    // Each mode's leader against the bare socket where it runs: server frames
    // per second (deliveries ÷ tabs) over the bare socket's frames per second.
    words.push(election.map(([n, f]) => {
      const of = (v, place) => `${k(f.variants[v].median / n)}/s, ${(f.variants[v].median / n / p.places[place].median).toFixed(2)} of the bare ${PLACE_NAMES[place]} socket's rate`;
      return `At ${n} tabs SharedWorker mode's leader took the server's frames at ${of('wsshare', 'shared')}, election mode's at ${of('election', 'dedicated')}.`;
    }).join(' '));
    words.push(below === election.length
      ? 'Election mode stays below the ratio a bare socket itself gets in a dedicated Worker: part of its gap is wsshare\'s own, the rest the browser\'s.'
      : below === 0
        ? 'Election mode reaches the ratio a bare socket itself gets in a dedicated Worker: what stands between it and SharedWorker mode is where the browser lets the socket run.'
        : 'Election mode reaches the bare sockets\' ratio at some tab counts and not at others.');
    words.push(d.median < 0.9
      ? `The goal's 0.9× lies above the ratio the browser itself gives a bare socket (${d.median.toFixed(2)}×): election mode could meet it only where SharedWorker mode runs well below its own socket's ceiling.`
      : `A bare socket in a dedicated Worker gets ${d.median.toFixed(2)}× its SharedWorker rate, so the browser leaves room for the goal's 0.9×.`);
  }
  out.push(words.join(' '), '');
  return out;
}

// The protocol profiles' section: graphql-ws and JSON-RPC clients, one per
// tab, over SharedWebSocket against a plain socket each.
// Where a frame's time goes (tests/bench/profile.mjs): CPU time per frame in
// each place, in the leader and in one tab, from one profiled run each.
const PLACES = ['wasm', 'leader JS', 'tab JS', 'bench page', 'native', 'gc', 'other'];
const LEADERS = { wsshare: 'leader (SharedWorker)', batching: 'leader (the relay\'s SharedWorker)' };

// Per place, µs per frame of one thread of a profiled run; busy: all but idle.
function perFrame(r, side) {
  const n = side === 'leader' ? r.frames : r.tabFrames || r.frames;
  const pl = r[side].places;
  const out = Object.fromEntries(PLACES.map((p) => [p, (pl[p] || 0) / n]));
  out.busy = PLACES.reduce((a, p) => a + out[p], 0);
  out.idle = (pl.idle || 0) / n;
  return out;
}

// The share of a profiled thread's time it was idle.
function idle(r, side) {
  const f = perFrame(r, side);
  return `${Math.round((100 * f.idle) / (f.idle + f.busy))} %`;
}

// Tabs → server, wsshare against the batching relay, read from the figures:
// each thread's busy time per frame, its largest place, and the places where
// wsshare spends most beyond the relay and most below it.
function upstreamReading(w, b) {
  const us = (x) => `${x.toFixed(2)} µs`;
  const signed = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)} µs`;
  const largest = (f) => PLACES.reduce((a, p) => (f[p] > f[a] ? p : a));
  const words = [];
  const extra = {};
  for (const side of ['leader', 'tab']) {
    const fw = perFrame(w, side);
    const fb = perFrame(b, side);
    const diff = Object.fromEntries(PLACES.map((p) => [p, fw[p] - fb[p]]));
    const most = PLACES.reduce((a, p) => (diff[p] > diff[a] ? p : a));
    const least = PLACES.reduce((a, p) => (diff[p] < diff[a] ? p : a));
    extra[side] = fw.busy - fb.busy;
    const who = side === 'leader' ? 'The leader, per frame at the server' : 'A sending tab, per frame it sent';
    words.push(`${who}: wsshare busy ${us(fw.busy)}, the relay ${us(fb.busy)} (${signed(extra[side])}); ` +
      `the largest place is \`${largest(fw)}\` in wsshare (${us(fw[largest(fw)])}), \`${largest(fb)}\` in the relay (${us(fb[largest(fb)])}); ` +
      (diff[most] > 0 ? `wsshare spends most beyond the relay in \`${most}\` (${signed(diff[most])})` : 'wsshare spends no more than the relay in any place') +
      (diff[least] < 0 ? ` and most below it in \`${least}\` (${signed(diff[least])}).` : '.'));
  }
  const side = Math.abs(extra.leader) >= Math.abs(extra.tab) ? 'leader' : 'tab';
  const { tabs } = w;
  // Every frame crosses one tab and the leader: per frame, the machine's CPU
  // spent is the sum of the two threads' busy times.
  const total = (r) => perFrame(r, 'leader').busy + perFrame(r, 'tab').busy;
  words.push(`A frame costs wsshare ${us(total(w))} of CPU over its tab and the leader, the relay ${us(total(b))}; ` +
    `the larger share of the difference is in the ${side === 'leader' ? 'leader' : 'tabs'} (${signed(extra[side])} a frame, ` +
    `against ${signed(extra[side === 'leader' ? 'tab' : 'leader'])} in the ${side === 'leader' ? 'tabs' : 'leader'}). ` +
    `Unprofiled, the burst took ${w.plainMs} ms in wsshare and ${b.plainMs} ms in the relay: wsshare at ${(b.plainMs / w.plainMs).toFixed(2)}× the relay's rate ` +
    `(one round each; the scenario's rounds are in the throughput table). The ${tabs} tabs and the leader run at once and share the machine's cores, ` +
    'so the CPU a thread spends is time the others may wait for.');
  // How much of the run each thread waited: a thread idle most of it was not
  // what set the pace.
  words.push(`Idle, of each thread's profiled time: wsshare's leader ${idle(w, 'leader')} and tab ${idle(w, 'tab')}, ` +
    `the relay's leader ${idle(b, 'leader')} and tab ${idle(b, 'tab')}; what a thread waits for beyond the others profiled ` +
    '(the browser\'s network process, the server) is not sampled here.');
  return words.join(' ');
}

// A fan-out profiled in wsshare and in the relay alike (many tabs, the
// loaded machine): each thread's busy time per frame, where wsshare spends
// most beyond the relay, and when the tabs finished.
function fanoutReading(w, b) {
  const us = (x) => `${x.toFixed(2)} µs`;
  const signed = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)} µs`;
  const words = [];
  for (const side of ['leader', 'tab']) {
    const fw = perFrame(w, side);
    const fb = perFrame(b, side);
    const diff = Object.fromEntries(PLACES.map((x) => [x, fw[x] - fb[x]]));
    const order = PLACES.filter((x) => Math.abs(diff[x]) >= 0.05).sort((x, y) => diff[y] - diff[x]);
    words.push(`${side === 'leader' ? 'The leader' : 'A tab'}, per frame: wsshare busy ${us(fw.busy)}, the relay ${us(fb.busy)}` +
      `${order.length ? ` (${order.map((x) => `\`${x}\` ${signed(diff[x])}`).join(', ')})` : ''}.`);
  }
  // Every tab does a tab's work for each frame. The sampler counts a thread
  // as busy from the moment it runs a task until it is idle again, also while
  // it waits for a core: summed over the threads, against the cores' time,
  // this tells how much of the busy time was waiting.
  const sampled = (r) => ((perFrame(r, 'tab').busy * r.tabs + perFrame(r, 'leader').busy) * r.frames) / 1e6;
  const over = (r) => sampled(r) / ((r.profiledMs / 1000) * (r.cores || 1));
  words.push(`Summed over the ${w.tabs} tabs (each counted as the one profiled) and the leader, the busy samples come to ${sampled(w).toFixed(1)} s ` +
    `in wsshare's profiled run of ${(w.profiledMs / 1000).toFixed(1)} s and ${sampled(b).toFixed(1)} s in the relay's of ${(b.profiledMs / 1000).toFixed(1)} s, ` +
    `${over(w).toFixed(1)}× and ${over(b).toFixed(1)}× what ${w.cores || 'the'} cores could run in that time: ` +
    (Math.max(over(w), over(b)) > 1.2 ? 'the rest is threads that had work and waited for a core, which the sampler counts as busy where they stood, ' +
      'so the places above say where the threads were, not what the cores did.' : 'the places above are about what the cores did.'));
  words.push(`Idle, of each thread's profiled time: wsshare's leader ${idle(w, 'leader')} and tab ${idle(w, 'tab')}, ` +
    `the relay's leader ${idle(b, 'leader')} and tab ${idle(b, 'tab')}.`);
  const ends = (r) => (r.finished ? `${r.finished[0]}–${r.finished[r.finished.length - 1]} ms` : 'not recorded');
  words.push(`Unprofiled, the push took ${w.plainMs} ms in wsshare and ${b.plainMs} ms in the relay (${(b.plainMs / w.plainMs).toFixed(2)}× the relay's rate); ` +
    `the tabs had their last frame ${ends(w)} after the push in wsshare, ${ends(b)} in the relay` +
    `${w.burner ? `, with ${w.burner.processes} processes spinning (${w.burner.cpuShare ? w.burner.cpuShare.map((x) => `${Math.round(x * 100)} %`).join(' and ') : 'an unknown share'} of a core each)` : ''}.`);
  return words.join(' ');
}

function profileMarkdown(p) {
  const out = ['## Where the time goes (Chromium, V8 sampling profiler)', '',
    'One round of each, under CDP\'s `Profiler` at 100 µs: **fan-out**, 4 tabs, the server pushes the frames to every tab; ' +
    '**echo**, one tab of 4 makes sequential round trips; the fan-out again in election mode, where the leader is an elected ' +
    'tab\'s dedicated Worker (the followers\' standby Workers are profiled with it: idle, they add only idle time); and **tabs → server**, ' +
    'every tab sends its burst at once, as in that scenario, in wsshare and in the batching relay; and the fan-outs two goals judge ' +
    'apart, as their scenarios run them, in wsshare and in the relay: at the most tabs of the many-tabs scenario, and on the loaded machine ' +
    '(its tabs and frames, the burner spinning through both runs). ' +
    'Busy time of the leader\'s worker and of one tab that does not lead (the sampler\'s: where threads outnumber the cores, it includes a thread\'s wait for one, ' +
    'as the readings of the 32-tab and loaded fan-outs below measure), in µs, per server frame (fan-out), per round trip (echo), or, ' +
    'tabs → server, per frame at the server for the leader and per frame the tab sent for the tab, by where it was spent: the core (`wasm`), the leader\'s JavaScript ' +
    '(wsshare\'s worker, or the relay\'s), the tab\'s JavaScript (wsshare\'s glue and the link compiled by wasm2js, or the relay\'s tab side), the bench page\'s own work ' +
    '(counting, or making the burst\'s frames), the browser\'s native work under a script (`native`: posting and cloning on the bus and the ports, dispatching events, the socket), ' +
    'and the garbage collector. Sampling adds a cost of its own: these say where time goes, not how fast it goes.', ''];
  for (const [what, r] of Object.entries(p)) {
    const up = r.what === 'upstream';
    const per = (us, side = 'leader') => (us / (side === 'leader' ? r.frames : r.tabFrames || r.frames)).toFixed(2);
    const count = up ? `${r.frames.toLocaleString('en')} frames, ${(r.tabFrames || r.frames / r.tabs).toLocaleString('en')} from each of ${r.tabs} tabs`
      : `${r.frames.toLocaleString('en')} ${r.what === 'echo' ? 'round trips' : 'frames'}`;
    out.push(`**${what}** (${count}; the same run took ${r.plainMs} ms unprofiled and ${r.profiledMs} ms profiled` +
      `${up ? ', from the first send to the last frame at the server' : ''}: the profiler slowed it ${(r.profiledMs / r.plainMs).toFixed(1)}×, ` +
      'and its costs fall mostly on the native calls it samples):', '');
    out.push(table(['thread', ...PLACES, 'busy', 'idle'], ['leader', 'tab'].map((side) => {
      const f = perFrame(r, side);
      const who = r.mode === 'election' ? `leader (a tab's Worker${r.leader.threads > 1 ? `, with ${r.leader.threads - 1} standby` : ''})` : LEADERS[r.mode] || LEADERS.wsshare;
      return [side === 'leader' ? who : `one tab of ${r.tabs || 4}${up ? ', per frame it sent' : ''}`,
        ...PLACES.map((x) => f[x].toFixed(2)), f.busy.toFixed(2), f.idle.toFixed(2)];
    })));
    out.push('', `Busiest functions: leader ${r.leader.top.slice(0, 5).map((f) => `${f.name} ${per(f.us)}`).join(', ')}; ` +
      `tab ${r.tab.top.slice(0, 5).map((f) => `${f.name} ${per(f.us, 'tab')}`).join(', ')}.`, '');
  }
  const pairs = Object.values(p);
  const w = pairs.find((r) => r.what === 'upstream' && r.mode === 'wsshare');
  const b = pairs.find((r) => r.what === 'upstream' && r.mode === 'batching');
  if (w && b) out.push(`**Tabs → server, wsshare against the batching relay.** ${upstreamReading(w, b)}`, '');
  for (const [name, r] of Object.entries(p)) {
    const relay = p[`${name}, batching relay`];
    if (r.what === 'fanout' && r.mode === 'wsshare' && relay) out.push(`**${name.replace(/^fanout/, 'Fan-out')}, wsshare against the batching relay.** ${fanoutReading(r, relay)}`, '');
  }
  return out;
}

function protocolsMarkdown(s, meta, { perSec, ratio, millis }) {
  const out = ['## Protocol profiles: one unmodified client per tab', ''];
  const versions = meta.versions;
  out.push('Each tab runs an unmodified client library, bundled for the page by esbuild at the start of the run and given either ' +
    '`SharedWebSocket.configure({ key, mode: \'sharedworker\' })` (**wsshare**: every tab\'s client on one server connection, the core\'s profile ' +
    'remapping ids and routing each answer to its tab) or the browser\'s `WebSocket` (**plain**: a connection per tab). The servers are the libraries\' own, ' +
    'on `ws`, 127.0.0.1, a fresh one per round (`tests/bench/protocol-servers.mjs`). Both variants run in every round, in turns; ' +
    'ratios and differences are taken round by round. docs/goals.md sets no goal for these: they are reported.', '');
  const failedLine = (p) => `Not measured: the scenario failed (${p.reason}).`;
  const connLine = (c) => `Server connections per round: wsshare ${c.wsshare.join('/')}, plain ${c.plain.join('/')}.`;

  if (s.graphql) {
    const c = meta.config.graphql;
    out.push(`### graphql-ws subscription fan-out, ${c.tabs} tabs`, '');
    out.push(`graphql-ws ${versions['graphql-ws'] || ''} (\`createClient\` in each tab, one subscription each; the server: \`useServer\` from \`graphql-ws/use/ws\`, ` +
      `graphql ${versions.graphql || ''}). Once every subscription is live, each publishes for ${c.burstMs.toLocaleString('en')} ms, an event as soon as ` +
      'graphql-ws has handed the last one to its socket (about 100 bytes a `next` frame). Deliveries per second: the events all the tabs\' clients received, ' +
      'counted in the pages, over the time from the start of the burst until the last tab had its last event. Each subscription must get every event ' +
      'its server published, in order, then `complete`. A round whose time is close to the burst\'s length had pages that kept up: ' +
      'its figure is the pace the server reached with the CPU it got; a longer one had pages that fell behind.', '');
    if (!s.graphql.measured) out.push(failedLine(s.graphql), '');
    else {
      const g = s.graphql;
      out.push(table(['variant', 'deliveries/s', 'wsshare ÷ plain'],
        [['wsshare', perSec(g.variants.wsshare), ratio(g.ratio)], ['plain WebSocket per tab', perSec(g.variants.plain), '']]));
      out.push('', `${connLine(g.connections)} Server frames per bus post in wsshare's leader: ` +
        `${spread(g.framesPerPost, (x) => x.toFixed(2))} (each \`next\` goes to the one tab whose operation it answers).`, '');
      const cell = (r) => (r ? `${k(r.perSecond)} (${r.events.toLocaleString('en')} events, ${r.seconds.toFixed(2)} s)` : '');
      const n = Math.max(g.rounds.wsshare.length, g.rounds.plain.length);
      out.push(table(['round', 'wsshare', 'plain', 'wsshare ÷ plain'], Array.from({ length: n }, (_, r) => [String(r + 1),
        cell(g.rounds.wsshare[r]), cell(g.rounds.plain[r]),
        g.rounds.wsshare[r] && g.rounds.plain[r] ? `${(g.rounds.wsshare[r].perSecond / g.rounds.plain[r].perSecond).toFixed(2)}×` : ''])), '');
    }
  }

  if (s.jsonrpc) {
    const c = meta.config.jsonrpc;
    out.push('### JSON-RPC round trip', '');
    out.push(`json-rpc-2.0 ${versions['json-rpc-2.0'] || ''}: a \`JSONRPCClient\` in each tab sends over its socket and awaits each answer before the next call ` +
      'of `echo` (a `JSONRPCServer` answering at once, about 100 bytes each way). ' +
      `**One tab**: ${c.trips.toLocaleString('en')} calls from one tab of ${c.tabs}, the others idle. ` +
      `**${c.tabs} tabs at once**: ${c.tripsEach.toLocaleString('en')} calls from every tab at the same time, the percentiles over all of them ` +
      '(each client numbers its ids from 1: with wsshare they collide on the one connection and the core remaps them). ' +
      `Each tab made ${c.warmup} calls first, not counted. Milliseconds from \`request()\` to its answer.`, '');
    if (!s.jsonrpc.measured) out.push(failedLine(s.jsonrpc), '');
    else {
      const j = s.jsonrpc;
      const cells = (x) => [millis(x.one.p50), millis(x.one.p99), millis(x.all.p50), millis(x.all.p99)];
      out.push(table(['variant', 'one tab p50', 'one tab p99', `${c.tabs} tabs p50`, `${c.tabs} tabs p99`], [
        ['wsshare', ...cells(j.variants.wsshare)],
        ['plain WebSocket per tab', ...cells(j.variants.plain)],
        ['wsshare − plain, per round', ...cells(j.overPlain)],
      ]));
      const posts = (r) => spread(r, (x) => x.toFixed(2));
      out.push('', `${connLine(j.connections)} wsshare's leader made ${posts(j.postsPerTrip)} bus posts per call from one tab ` +
        `(data ${posts(j.dataPostsPerTrip)}, control ${posts(j.controlPostsPerTrip)})` +
        (s.echo ? `; in the echo scenario, with no protocol, ${posts(s.echo.postsPerTrip)} per round trip.` : '.'), '');
    }
  }
  return out;
}

// ---- SVG chart: throughput bars and latencies, with min–max whiskers ----

const COLORS = {
  plain: '#9e9e9e', naive: '#e4a03b', batching: '#4b8bd6', wsshare: '#2e9d5b',
  election: '#8fd19e', bc: '#b05fc2', te: '#d0605e',
};

function panel(title, groups, unit, fmt, y0) {
  const W = 760;
  const left = 170;
  const barH = 11;
  const gap = 10;
  const max = Math.max(...groups.flatMap((g) => g.bars.map((b) => (b.r ? b.r.max : 0))), 1e-9);
  const scale = (v) => ((W - left - 90) * v) / max;
  const parts = [`<text x="10" y="${y0 + 16}" class="t">${title}</text>`];
  let y = y0 + 30;
  for (const g of groups) {
    parts.push(`<text x="10" y="${y + 2 + (g.bars.length * barH) / 2}" class="g">${g.label}</text>`);
    for (const b of g.bars) {
      if (b.r) {
        const w = scale(b.r.median);
        parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[b.variant]}"/>`);
        parts.push(`<line x1="${(left + scale(b.r.min)).toFixed(1)}" x2="${(left + scale(b.r.max)).toFixed(1)}" y1="${y + (barH - 2) / 2}" y2="${y + (barH - 2) / 2}" class="w"/>`);
        parts.push(`<text x="${(left + scale(b.r.max) + 4).toFixed(1)}" y="${y + barH - 3}" class="v">${fmt(b.r.median)}</text>`);
      }
      y += barH;
    }
    y += gap;
  }
  parts.push(`<text x="${W - 10}" y="${y0 + 16}" class="u" text-anchor="end">${unit}</text>`);
  return { svg: parts.join('\n'), bottom: y };
}

export function chart(results) {
  const s = results.scenarios;
  const bars = (get, variants = ALL) => variants.map((v) => ({ variant: v, r: get(v) }));
  const ms = (x) => `${x.toFixed(2)} ms`;
  const perSec = (x) => `${k(x)}/s`;
  const panels = []; // [title, groups, unit, format]
  const thr = [
    ...Object.entries(s.fanout || {}).map(([n, f]) => ({ label: `fan-out, ${n} tabs`, bars: bars((v) => f.variants[v]) })),
    ...(s.upstream ? [{ label: 'tabs → server', bars: bars((v) => s.upstream.variants[v]) }] : []),
  ];
  if (thr.length) panels.push(['Throughput (median, min–max whisker)', thr, 'deliveries/s', perSec]);
  if (s.echo) {
    panels.push(['Echo round trip, one tab of four', [
      { label: 'echo p50', bars: bars((v) => s.echo.variants[v].p50) },
      { label: 'echo p99', bars: bars((v) => s.echo.variants[v].p99) },
    ], 'ms', ms]);
  }
  if (s.join) {
    panels.push(['Constructor to open: first tab (cold), second tab (join)', [
      { label: 'cold start', bars: bars((v) => s.join.variants[v] && s.join.variants[v].cold) },
      { label: 'join', bars: bars((v) => s.join.variants[v] && s.join.variants[v].join) },
    ], 'ms', ms]);
  }
  if (s.graphql && s.graphql.measured) {
    const n = results.meta.config.graphql.tabs;
    panels.push([`graphql-ws subscription fan-out, ${n} tabs, a client each`, [
      { label: 'events delivered', bars: bars((v) => s.graphql.variants[v], PROTOCOL_VARIANTS) },
    ], 'deliveries/s', perSec]);
  }
  if (s.jsonrpc && s.jsonrpc.measured) {
    const n = results.meta.config.jsonrpc.tabs;
    const j = s.jsonrpc.variants;
    panels.push(['JSON-RPC round trip (json-rpc-2.0), a client each', [
      { label: 'one tab p50', bars: bars((v) => j[v].one.p50, PROTOCOL_VARIANTS) },
      { label: 'one tab p99', bars: bars((v) => j[v].one.p99, PROTOCOL_VARIANTS) },
      { label: `${n} tabs at once p50`, bars: bars((v) => j[v].all.p50, PROTOCOL_VARIANTS) },
      { label: `${n} tabs at once p99`, bars: bars((v) => j[v].all.p99, PROTOCOL_VARIANTS) },
    ], 'ms', ms]);
  }
  // The legend: four variants a line.
  const legendRows = Math.ceil(ALL.length / 4);
  let bottom = 12 + legendRows * 18;
  const svgs = panels.map(([title, groups, unit, fmt]) => {
    const p = panel(title, groups, unit, fmt, bottom + 10);
    bottom = p.bottom;
    return p.svg;
  });
  const legend = ALL.map((v, i) => {
    const [x, y] = [10 + (i % 4) * 190, 12 + Math.floor(i / 4) * 18];
    return `<rect x="${x}" y="${y}" width="12" height="12" fill="${COLORS[v]}"/><text x="${x + 18}" y="${y + 10}" class="g">${NAMES[v]}</text>`;
  }).join('\n');
  const h = bottom + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="780" height="${h}" viewBox="0 0 780 ${h}" font-family="sans-serif">
<style>.t{font-size:14px;font-weight:bold}.g{font-size:11px}.v{font-size:10px}.u{font-size:11px;fill:#555}.w{stroke:#222;stroke-width:1}</style>
<rect width="100%" height="100%" fill="#fff"/>
${legend}
${svgs.join('\n')}
</svg>
`;
}
