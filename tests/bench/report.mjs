// Turns a run's raw rounds into results: medians and spreads, per-round
// ratios, each goal of DESIGN.md judged met or not; then writes them as
// results.json, a Markdown report (RESULTS.md) and an SVG chart.

import { paired, summary } from './stats.mjs';
import { BASELINES, VARIANTS } from './scenarios.mjs';
import { GOAL_LEADER, GOAL_TAB } from '../sizes.mjs';

const NAMES = {
  plain: 'plain WebSocket per tab',
  naive: 'naive relay (post per frame)',
  batching: 'batching relay (post per task)',
  wsshare: 'wsshare',
};
// DESIGN.md's reference figures, 4 tabs, deliveries per second.
const REFERENCE = { plain: 15000, naive: 43000, batching: 145000 };
const MB = 1024 * 1024;

const pick = (rounds, key) => rounds.map((r) => r[key]);

function throughput(raw) {
  const variants = {};
  for (const v of VARIANTS) variants[v] = summary(pick(raw[v] || [], 'perSecond'));
  const ratios = {};
  for (const b of BASELINES) {
    ratios[b] = paired(pick(raw.wsshare, 'perSecond'), pick(raw[b] || [], 'perSecond'), (w, x) => w / x);
  }
  const connections = Object.fromEntries(VARIANTS.map((v) => [v, [...new Set(pick(raw[v] || [], 'connections'))]]));
  const framesPerPost = Object.fromEntries(['batching', 'wsshare'].map((v) =>
    [v, summary(pick(raw[v] || [], 'framesPerPost').filter((x) => typeof x === 'number'))]));
  return { variants, ratios, connections, framesPerPost };
}

function echoes(raw) {
  const variants = {};
  for (const v of VARIANTS) variants[v] = { p50: summary(pick(raw[v], 'p50')), p99: summary(pick(raw[v], 'p99')) };
  // What a variant adds to a plain socket's round trip, round by round.
  const over = (v) => ({
    p50: paired(pick(raw[v], 'p50'), pick(raw.plain, 'p50'), (x, p) => x - p),
    p99: paired(pick(raw[v], 'p99'), pick(raw.plain, 'p99'), (x, p) => x - p),
  });
  return { variants, overPlain: over('wsshare'), relayOverPlain: over('batching'), postsPerTrip: summary(pick(raw.wsshare, 'postsPerTrip')) };
}

function failovers(raw) {
  const out = {};
  for (const [how, r] of Object.entries(raw)) {
    out[how] = r.measured
      ? {
        measured: true,
        ms: summary(pick(r.rounds, 'ms')),
        serverMs: summary(pick(r.rounds, 'serverMs').filter((x) => x !== null)),
        reconnectingMs: summary(pick(r.rounds, 'reconnectingMs').filter((x) => x !== null)),
        lost: pick(r.rounds, 'lost').reduce((a, b) => a + b, 0),
        refused: pick(r.rounds, 'refused').reduce((a, b) => a + b, 0),
        sent: pick(r.rounds, 'sent').reduce((a, b) => a + b, 0),
      }
      : { measured: false, failed: !!r.failed, reason: r.reason };
  }
  return out;
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

// Each goal of DESIGN.md's table: what was measured and whether it meets it.
// A goal whose measure could not be taken is met: null, with the reason; one
// whose scenario failed is not met.
function judge(s) {
  const goals = [];
  const add = (measure, goal, value, met, note) => goals.push({ measure, goal, value, met, note: note || '' });
  const x = (r) => (r ? `${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})` : 'n/a');

  const conns = Object.entries(s.fanout).map(([n, f]) => [n, f.connections.wsshare]);
  add('server connections for N tabs of one user', 'exactly 1',
    conns.map(([n, c]) => `${c.join(', ')} for ${n} tabs`).join('; '),
    conns.every(([, c]) => c.length === 1 && c[0] === 1));

  for (const [n, f] of Object.entries(s.fanout)) {
    const b = f.ratios.batching;
    const nv = f.ratios.naive;
    add(`fan-out throughput, ${n} tabs`, '≥ 0.9 × batching relay, ≥ 3 × naive relay',
      `${x(b)} batching, ${x(nv)} naive`, !!(b && nv && b.median >= 0.9 && nv.median >= 3));
  }
  const up = s.upstream.ratios.batching;
  add('tabs → server throughput', '≥ 0.9 × batching relay', `${x(up)} batching`, !!(up && up.median >= 0.9));

  const { p50, p99 } = s.echo.overPlain;
  const relay = s.echo.relayOverPlain;
  const plus = (r) => (r ? `${r.median >= 0 ? '+' : ''}${r.median.toFixed(2)} ms (${r.min.toFixed(2)}…${r.max.toFixed(2)})` : 'n/a');
  add('echo round trip', 'p50 ≤ plain + 0.5 ms, p99 ≤ plain + 2 ms', `p50 ${plus(p50)}, p99 ${plus(p99)} over plain ` +
    `(the batching relay: p50 ${plus(relay.p50)}, p99 ${plus(relay.p99)})`,
    !!(p50 && p99 && p50.median <= 0.5 && p99.median <= 2));

  const j = s.join.variants.wsshare.join;
  add('a 2nd tab joining an open socket', '`open` ≤ 20 ms after the constructor',
    `${j.median.toFixed(1)} ms (${j.min.toFixed(1)}–${j.max.toFixed(1)})`, j.median <= 20);

  for (const [how, f] of Object.entries(s.failover)) {
    const what = `failover, leader tab ${how === 'crash' ? 'crashed' : 'closed'} (election mode)`;
    if (!f.measured) add(what, 'new socket open ≤ 100 ms p50, 0 sends lost', f.failed ? 'failed' : 'not measured', f.failed ? false : null, f.reason);
    else {
      const at = (r) => (r ? `${r.median.toFixed(0)} ms (${r.min.toFixed(0)}–${r.max.toFixed(0)})` : 'n/a');
      add(what, 'new socket open ≤ 100 ms p50, 0 sends lost',
        `every tab open again after ${at(f.ms)} (the server had the new socket after ${at(f.serverMs)}), ${f.lost} of ${f.sent} sends lost`,
        f.ms.median <= 100 && f.lost === 0);
    }
  }

  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  add('size a page loads (tab side, gzip)', '≤ 8 KB', kb(s.sizes.tab), s.sizes.tab <= GOAL_TAB);
  add('worker + wasm (gzip)', '≤ 40 KB', kb(s.sizes.leader), s.sizes.leader <= GOAL_LEADER);

  const m = s.memory;
  const growth = m.wasmGrowth + m.jsHeapGrowth;
  add(`leader memory after ${m.samples[m.samples.length - 1].frames.toLocaleString('en')} frames`, 'flat (≤ 1 MB above the start)',
    `${(growth / MB).toFixed(2)} MB above the start (wasm ${(m.wasmGrowth / MB).toFixed(2)}, JS heap ${(m.jsHeapGrowth / MB).toFixed(2)})`,
    growth <= MB);
  return goals;
}

export function analyse(raw, meta) {
  const s = {
    fanout: Object.fromEntries(Object.entries(raw.fanout).map(([n, r]) => [n, { ...throughput(r), rounds: r }])),
    upstream: { ...throughput(raw.upstream), rounds: raw.upstream },
    echo: { ...echoes(raw.echo), rounds: raw.echo },
    join: {
      variants: Object.fromEntries(VARIANTS.map((v) => [v, {
        cold: summary(pick(raw.join[v], 'cold')), join: summary(pick(raw.join[v], 'join')),
      }])),
      rounds: raw.join,
    },
    failover: { ...failovers(raw.failover), rounds: raw.failover },
    memory: raw.memory,
    sizes: raw.sizes,
    core: { ...core(raw.core), rounds: raw.core },
  };
  const { rounds, ...failover } = s.failover;
  return { meta, scenarios: s, goals: judge({ ...s, failover }) };
}

// The raw rounds analyse() was given, back from its results: to render a
// run's report again without measuring again.
export function rawOf(results) {
  const s = results.scenarios;
  return {
    fanout: Object.fromEntries(Object.entries(s.fanout).map(([n, f]) => [n, f.rounds])),
    upstream: s.upstream.rounds,
    echo: s.echo.rounds,
    join: s.join.rounds,
    failover: s.failover.rounds,
    memory: s.memory,
    sizes: s.sizes,
    core: s.core.rounds,
  };
}

// ---- Markdown ----

const k = (n) => (n >= 1e6 ? `${(n / 1e6).toPrecision(3)} M` : n >= 1e3 ? `${(n / 1e3).toPrecision(3)} k` : n.toPrecision(3));
const spread = (r, f) => {
  if (!r) return '—';
  return r.n === 1 ? `${f(r.median)} (1 round)` : `${f(r.median)} (${f(r.min)}–${f(r.max)})`;
};
const mark = (met) => (met === null ? 'not measured' : met ? 'met' : '**not met**');
const row = (cells) => `| ${cells.join(' | ')} |`;
const table = (head, rows) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

export function goalsTable(results) {
  return table(['measure', 'goal', 'measured: median (min–max)', ''],
    results.goals.map((g) => [g.measure, g.goal, g.value + (g.note ? ` — ${g.note}` : ''), mark(g.met)]));
}

export function markdown(results, { tiny }) {
  const { meta, scenarios: s } = results;
  const perSec = (r) => spread(r, k);
  const ratio = (r) => spread(r, (x) => `${x.toFixed(2)}×`);
  const millis = (r) => spread(r, (x) => x.toFixed(2));
  const through = (label, t) => row([label, ...VARIANTS.map((v) => perSec(t.variants[v])),
    ratio(t.ratios.batching), ratio(t.ratios.naive), ratio(t.ratios.plain)]);
  const failed = results.goals.filter((g) => g.met === false);
  const unmeasured = results.goals.filter((g) => g.met === null);

  const out = [];
  out.push('# wsshare benchmarks', '');
  if (tiny) out.push('**Tiny configuration** (`make test`): these figures only show that the benchmark runs. `make bench` gives the real ones.', '');
  out.push(`Made by \`${meta.command}\` on ${meta.date}, in ${Math.round(meta.seconds)} s, on ${meta.machine}. ` +
    `Load average (1 min) ${meta.load[0].toFixed(2)} at the start, ${meta.load[1].toFixed(2)} at the end: the machine is shared, so figures move between runs; ` +
    'the ratios are taken per round, between runs that followed each other.', '');
  out.push(`Versions: ${Object.entries(meta.versions).map(([a, b]) => `${a} ${b}`).join(', ')}.`, '');
  out.push('How: one Node server of ours (`tests/bench/blaster.mjs`, on 127.0.0.1, `ws` library) serves the pages over HTTP and the WebSockets; ' +
    'headless Chromium, one fresh browser context per round, one page per tab. The baselines are a few lines each ' +
    '(`tests/bench/page/relay*.js`): a plain WebSocket per tab; a SharedWorker holding the socket that posts every frame on a BroadcastChannel (naive); ' +
    'the same gathering the frames of one task into one post (batching). Every receiver checks each frame\'s number, so a figure counts only complete, ordered runs. ' +
    `Frames are ${meta.config.frameBytes} bytes of text. Figures are medians over rounds, with min–max.`, '');

  out.push('## Goals (DESIGN.md)', '', goalsTable(results), '');
  if (failed.length || unmeasured.length) {
    out.push('Not met: ' + (failed.length ? failed.map((g) => g.measure).join('; ') : 'none') + '. ' +
      'Not measured: ' + (unmeasured.length ? unmeasured.map((g) => `${g.measure} (${g.note})`).join('; ') : 'none') + '.', '');
  }

  out.push('## Throughput (deliveries per second; k = 1,000)', '');
  out.push(`Fan-out: the server pushes ${meta.config.fanout.frames.toLocaleString('en')} frames; the figure is frames × tabs over the time from the push until the last tab has the last frame. ` +
    `Tabs → server: ${meta.config.upstream.tabs} tabs send ${meta.config.upstream.frames.toLocaleString('en')} frames each at once; the time runs from the first send to the last frame at the server.`, '');
  out.push(row(['scenario', ...VARIANTS.map((v) => NAMES[v]), 'wsshare ÷ batching', 'wsshare ÷ naive', 'wsshare ÷ plain']));
  out.push(row(Array(8).fill('---')));
  for (const [n, f] of Object.entries(s.fanout)) out.push(through(`fan-out, ${n} tabs`, f));
  out.push(through(`tabs → server, ${meta.config.upstream.tabs} tabs`, s.upstream));
  out.push(row(['DESIGN.md reference, fan-out 4 tabs', ...VARIANTS.map((v) => (REFERENCE[v] ? `≈ ${k(REFERENCE[v])}` : '')), '', '', '']));
  out.push('', '— : not run in this configuration; `tests/bench/config.mjs` gives the rounds of each variant and why.');
  out.push('', `Server connections seen per round: ${Object.entries(s.fanout).map(([n, f]) =>
    `${n} tabs: ${VARIANTS.filter((v) => f.connections[v].length).map((v) => `${v} ${f.connections[v].join('/')}`).join(', ')}`).join('; ')}. ` +
    `Server frames per bus post, batching relay and wsshare (whose core caps a post at 512 frames): ${Object.entries(s.fanout).map(([n, f]) =>
      `${n} tabs ${spread(f.framesPerPost.batching, (x) => x.toFixed(0))} and ${spread(f.framesPerPost.wsshare, (x) => x.toFixed(0))}`).join('; ')}.`, '');

  out.push('Fan-out round by round, deliveries per second (server frames per bus post):', '');
  for (const [n, f] of Object.entries(s.fanout)) {
    const cell = (r) => (r ? `${k(r.perSecond)} (${r.framesPerPost.toFixed(0)})` : '');
    const rounds = Math.max(f.rounds.batching.length, f.rounds.wsshare.length);
    out.push(table([`${n} tabs, round`, NAMES.batching, NAMES.wsshare],
      Array.from({ length: rounds }, (_, r) => [String(r + 1), cell(f.rounds.batching[r]), cell(f.rounds.wsshare[r])])), '');
  }
  out.push(`In tabs → server, a wsshare tab posts at most 512 frames at a time and its leader acknowledges them (${spread(summary(pick(s.upstream.rounds.wsshare, 'acks')), (x) => x.toFixed(0))} ack envelopes a round, each to every tab); ` +
    'a batching relay tab posts all the frames of its task at once and nothing comes back.', '');

  out.push('## Latency (milliseconds)', '');
  out.push(`Echo: ${meta.config.echo.trips.toLocaleString('en')} sequential round trips from one tab of ${meta.config.echo.tabs}, the others idle (after ${meta.config.echo.warmup} unmeasured). ` +
    'Cold start: the first tab, constructor to `open` (worker, wasm and socket). Join: a second tab on the open socket, constructor to `open`.', '');
  out.push(table(['variant', 'echo p50', 'echo p99', 'cold start', 'join'], VARIANTS.map((v) => [NAMES[v],
    millis(s.echo.variants[v].p50), millis(s.echo.variants[v].p99), millis(s.join.variants[v].cold), millis(s.join.variants[v].join)])));
  out.push('', `Over plain, per round: wsshare p50 ${millis(s.echo.overPlain.p50)}, p99 ${millis(s.echo.overPlain.p99)}; ` +
    `the batching relay p50 ${millis(s.echo.relayOverPlain.p50)}, p99 ${millis(s.echo.relayOverPlain.p99)}. ` +
    `wsshare's leader made ${spread(s.echo.postsPerTrip, (x) => x.toFixed(2))} bus posts per round trip (the relays make 1: the echoed frame).`, '');

  out.push('## Failover (election mode)', '');
  out.push(`${meta.config.failover.tabs} tabs in \`mode: 'election'\`, each sending a frame every ${meta.config.failover.everyMs} ms; the tab with \`isLeader === true\` is closed, or crashed (CDP \`Page.crash\`). ` +
    'Times run from then: until every remaining tab has seen `reconnecting`, until the server accepted the new leader\'s socket, until every remaining tab has seen `open` again (what the goal is judged on). Lost: frames the remaining tabs sent (send() did not throw) that never reached the server.', '');
  const fo = Object.entries(s.failover).filter(([how]) => how !== 'rounds');
  out.push(table(['leader tab', 'every tab saw `reconnecting`', 'server has the new socket', 'every tab open again', 'sends lost', 'sends refused (threw)'],
    fo.map(([how, f]) => (f.measured
      ? [how === 'crash' ? 'crashed' : 'closed', `${millis(f.reconnectingMs)} ms`, `${millis(f.serverMs)} ms`, `${millis(f.ms)} ms`, `${f.lost} of ${f.sent}`, String(f.refused)]
      : [how === 'crash' ? 'crashed' : 'closed', `${f.failed ? 'failed' : 'not measured'}: ${f.reason}`, '', '', '', '']))));
  out.push('');

  out.push('## Leader memory', '');
  out.push(`${s.memory.tabs} tabs, frames pushed in chunks of ${meta.config.memory.chunk.toLocaleString('en')}; after each chunk, the leader SharedWorker's wasm memory ` +
    '(every `WebAssembly.Memory` in it, found over CDP) and its JS heap after a forced collection (CDP `Runtime.getHeapUsage`).', '');
  out.push(table(['frames', 'wasm memory (bytes)', 'worker JS heap (bytes)'],
    s.memory.samples.map((m) => [m.frames.toLocaleString('en'), m.wasm.toLocaleString('en'), m.jsHeap.toLocaleString('en')])));
  out.push('');

  out.push('## Sizes', '');
  out.push(table(['file', 'raw (bytes)', 'gzip -9 (bytes)'],
    Object.entries(s.sizes.files).map(([f, z]) => [`dist/${f}`, z.raw.toLocaleString('en'), z.gz.toLocaleString('en')])));
  out.push('', `Tab side (the larger page bundle): ${s.sizes.tab.toLocaleString('en')} B gzip; worker + wasm: ${s.sizes.leader.toLocaleString('en')} B gzip.`, '');

  out.push('## The core alone: native and WebAssembly', '');
  out.push(`Events per second through the public API, ${meta.config.core.tabs} tabs: **fan-out**, one server frame (a flush, posting the batch, every ${meta.config.core.batch}); ` +
    `**acks**, one tab frame handed to the socket (posts of ${meta.config.core.batch} frames, one ack envelope per round of tabs); ` +
    '**envelopes**, one `hello` decoded and its `welcome` encoded (cJSON). Native: `tests/bench/core_bench.c`, gcc -O2. ' +
    'WebAssembly: the shipped `dist/wsshare.wasm` (-Oz) driven by `tests/bench/page/core-bench.mjs` through the glue\'s own wrapper in Chromium; ' +
    'both drivers sum what the actions carry and the sums agree. Instructions: callgrind, native, per event.', '');
  out.push(table(['workload', 'native, gcc -O2 (events/s)', 'wasm in Chromium (events/s)', 'native ÷ wasm', 'instructions per event', 'same work'],
    Object.entries(s.core).filter(([w]) => w !== 'rounds').map(([w, c]) => [w, perSec(c.native), perSec(c.wasm), ratio(c.nativeOverWasm),
      c.instructionsPerEvent === null ? '—' : c.instructionsPerEvent.toFixed(0), c.sameWork ? 'yes' : '**no**'])));
  out.push('', 'Raw rounds: `bench/results.json`. Chart: `bench/chart.svg`.', '');
  return out.join('\n');
}

// ---- SVG chart: throughput bars and echo latencies, with min–max whiskers ----

const COLORS = { plain: '#9e9e9e', naive: '#e4a03b', batching: '#4b8bd6', wsshare: '#2e9d5b' };

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
  const bars = (get) => VARIANTS.map((v) => ({ variant: v, r: get(v) }));
  const thr = [
    ...Object.entries(s.fanout).map(([n, f]) => ({ label: `fan-out, ${n} tabs`, bars: bars((v) => f.variants[v]) })),
    { label: 'tabs → server', bars: bars((v) => s.upstream.variants[v]) },
  ];
  const lat = [
    { label: 'echo p50', bars: bars((v) => s.echo.variants[v].p50) },
    { label: 'echo p99', bars: bars((v) => s.echo.variants[v].p99) },
  ];
  const open = [
    { label: 'cold start', bars: bars((v) => s.join.variants[v].cold) },
    { label: 'join', bars: bars((v) => s.join.variants[v].join) },
  ];
  const ms = (x) => `${x.toFixed(2)} ms`;
  const a = panel('Throughput (median, min–max whisker)', thr, 'deliveries/s', (x) => `${k(x)}/s`, 40);
  const b = panel('Echo round trip, one tab of four', lat, 'ms', ms, a.bottom + 10);
  const c = panel('Constructor to open: first tab (cold), second tab (join)', open, 'ms', ms, b.bottom + 10);
  const legend = VARIANTS.map((v, i) =>
    `<rect x="${10 + i * 190}" y="12" width="12" height="12" fill="${COLORS[v]}"/><text x="${28 + i * 190}" y="22" class="g">${NAMES[v]}</text>`).join('\n');
  const h = c.bottom + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="780" height="${h}" viewBox="0 0 780 ${h}" font-family="sans-serif">
<style>.t{font-size:14px;font-weight:bold}.g{font-size:11px}.v{font-size:10px}.u{font-size:11px;fill:#555}.w{stroke:#222;stroke-width:1}</style>
<rect width="100%" height="100%" fill="#fff"/>
${legend}
${a.svg}
${b.svg}
${c.svg}
</svg>
`;
}
