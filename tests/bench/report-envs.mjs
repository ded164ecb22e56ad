// The report of the bench's other environments: fan-out on a loaded machine
// (burner.mjs), many tabs (scale.mjs) and the engines besides Chromium
// (engines.mjs). Summaries for results.json, goals of docs/goals.md judged,
// and RESULTS.md's sections; report.mjs calls each beside its own.

import { paired, summary } from './stats.mjs';
import { PLACES } from './scenarios.mjs';

const MB = 1024 * 1024;
const ENGINE_NAMES = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'WebKit' };
const SHOWN = ['wsshare', 'plain', 'batching'];
const NAMES = { plain: 'plain WebSocket per tab', batching: 'batching relay', wsshare: 'wsshare' };
// Where the placement scenario holds its bare socket.
export const PLACE_NAMES = { shared: 'SharedWorker', dedicated: 'dedicated Worker', page: 'page' };

const pick = (rounds, key) => (rounds || []).map((r) => r[key]);
const k = (n) => (n >= 1e6 ? `${(n / 1e6).toPrecision(3)} M` : n >= 1e3 ? `${(n / 1e3).toPrecision(3)} k` : n.toPrecision(3));
const spread = (r, f) => (!r ? '—' : r.n === 1 ? `${f(r.median)} (1 round)` : `${f(r.median)} (${f(r.min)}–${f(r.max)})`);
const times = (r) => spread(r, (x) => `${x.toFixed(2)}×`);
const ms = (r) => spread(r, (x) => x.toFixed(2));
const plus = (r) => spread(r, (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`);
const mb = (n) => `${(n / MB).toFixed(2)} MB`;
const row = (cells) => `| ${cells.join(' | ')} |`;
const table = (head, rows) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

// wsshare ÷ the batching relay, round by round, and each variant's median.
function fanoutOf(rounds, tabs = 1) {
  const perTab = (v) => pick(rounds[v], 'perSecond').map((x) => x / tabs);
  return {
    variants: Object.fromEntries(SHOWN.filter((v) => rounds[v]).map((v) => [v, summary(pick(rounds[v], 'perSecond'))])),
    perTab: Object.fromEntries(SHOWN.filter((v) => rounds[v]).map((v) => [v, summary(perTab(v))])),
    overBatching: paired(pick(rounds.wsshare, 'perSecond'), pick(rounds.batching, 'perSecond'), (w, b) => w / b),
    overPlain: rounds.plain ? paired(pick(rounds.wsshare, 'perSecond'), pick(rounds.plain, 'perSecond'), (w, p) => w / p) : null,
    connections: [...new Set(pick(rounds.wsshare, 'connections'))],
  };
}

function loadedOf(raw, quiet) {
  const out = { burner: raw.burner, tabs: {} };
  for (const [n, rounds] of Object.entries(raw.fanout)) {
    const q = quiet && quiet[n];
    const l = fanoutOf(rounds);
    out.tabs[n] = {
      loaded: l,
      quiet: q ? fanoutOf(q.rounds) : null,
      // What the load took from each, median over median.
      kept: q ? Object.fromEntries(['batching', 'wsshare'].map((v) => [v,
        l.variants[v] && q.variants[v] ? l.variants[v].median / q.variants[v].median : null])) : null,
    };
  }
  return out;
}

function scaleOf(raw) {
  const tabs = Object.keys(raw).map(Number).sort((a, b) => a - b);
  const base = tabs[0];
  const at = Object.fromEntries(tabs.map((n) => {
    const f = fanoutOf(raw[n], n);
    const leader = summary(pick(raw[n].wsshare, 'leader').filter(Boolean).map((m) => m.bytes));
    return [n, { ...f, leader }];
  }));
  for (const n of tabs) {
    const a = at[n];
    const b = at[base];
    // How far per-tab deliveries fell from the base count, for each; then
    // wsshare's fall over the relay's, which is (wsshare ÷ relay at n) over
    // (wsshare ÷ relay at the base): ≥ 1 when wsshare falls no faster.
    a.fall = {
      wsshare: a.perTab.wsshare.median / b.perTab.wsshare.median,
      batching: a.perTab.batching.median / b.perTab.batching.median,
    };
    a.fallRatio = a.fall.wsshare / a.fall.batching;
    a.leaderAboveBase = a.leader && b.leader ? a.leader.median - b.leader.median : null;
  }
  return { base, tabs, at, rounds: raw };
}

function echoOf(rounds) {
  const variants = Object.fromEntries(SHOWN.map((v) => [v, { p50: summary(pick(rounds[v], 'p50')), p99: summary(pick(rounds[v], 'p99')) }]));
  const over = (p) => paired(pick(rounds.wsshare, p), pick(rounds.plain, p), (w, x) => w - x);
  return { variants, overPlain: { p50: over('p50'), p99: over('p99') } };
}

function joinOf(rounds) {
  return Object.fromEntries(SHOWN.map((v) => [v, { cold: summary(pick(rounds[v], 'cold')), join: summary(pick(rounds[v], 'join')) }]));
}

function failoverOf(r) {
  if (!r || !r.measured) return { measured: false, failed: !!(r && r.failed), reason: r ? r.reason : 'not run' };
  return {
    measured: true,
    ms: summary(pick(r.rounds, 'ms')),
    lost: pick(r.rounds, 'lost').reduce((a, b) => a + b, 0),
    sent: pick(r.rounds, 'sent').reduce((a, b) => a + b, 0),
  };
}

// A bare socket in a SharedWorker, a dedicated Worker and a page (the
// placement scenario): each one's frames per second, and the dedicated
// Worker's and the page's over the SharedWorker's, round by round.
export function placementOf(raw) {
  const rate = (p) => pick(raw.rounds[p], 'perSecond');
  return {
    frames: raw.frames,
    places: Object.fromEntries(PLACES.map((p) => [p, summary(rate(p))])),
    seconds: Object.fromEntries(PLACES.map((p) => [p, summary(pick(raw.rounds[p], 'seconds'))])),
    dedicatedOverShared: paired(rate('dedicated'), rate('shared'), (d, x) => d / x),
    pageOverShared: paired(rate('page'), rate('shared'), (p, x) => p / x),
    connections: [...new Set(PLACES.flatMap((p) => pick(raw.rounds[p], 'connections')))],
    rounds: raw,
  };
}

// A scenario that failed in an engine keeps its reason; the rest are summed up.
const orFailed = (r, f) => (!r ? null : r.failed && !r.rounds ? { failed: true, reason: r.reason } : f(r));

function engineOf(raw) {
  return {
    version: raw.version,
    tabs: raw.tabs,
    frames: raw.frames,
    fanout: orFailed(raw.fanout, fanoutOf),
    echo: orFailed(raw.echo, echoOf),
    join: orFailed(raw.join, joinOf),
    failover: failoverOf(raw.failover),
    placement: orFailed(raw.placement, placementOf),
    crash: raw.crash,
    memory: raw.memory,
    rounds: raw,
  };
}

// Chromium's row of the per-engine tables, from the run's own scenarios.
function chromiumOf(s, meta) {
  const n = meta.config.engines.fanout.tabs;
  if (!s.fanout || !s.fanout[n]) return null;
  const fo = s.failover && s.failover.close;
  return {
    version: meta.versions.Chromium,
    tabs: n,
    frames: meta.config.fanout.frames,
    fanout: fanoutOf(s.fanout[n].rounds),
    echo: s.echo ? echoOf(s.echo.rounds) : null,
    join: s.join ? joinOf(s.join.rounds) : null,
    failover: fo && fo.election ? failoverOf(fo.election.measured ? s.failover.rounds.close.election : fo.election) : null,
    placement: s.placement || null,
    crash: s.failover && s.failover.crash,
    memory: s.memory ? { measured: true, growth: s.memory.wasmGrowth + s.memory.jsHeapGrowth } : null,
  };
}

// What analyse() adds to the scenarios: s holds what it made of the rest.
export function analyseEnvs(raw, s, meta) {
  const out = {};
  if (raw.loaded) out.loaded = { ...loadedOf(raw.loaded, s.fanout), rounds: raw.loaded };
  if (raw.scale) out.scale = scaleOf(raw.scale);
  if (raw.engines) {
    out.engines = Object.fromEntries(Object.entries(raw.engines).map(([e, r]) => [e, engineOf(r)]));
    const chromium = chromiumOf(s, meta);
    if (chromium) out.engines = { chromium, ...out.engines };
  }
  return out;
}

export function rawOfEnvs(s) {
  const raw = {};
  if (s.loaded) raw.loaded = s.loaded.rounds;
  if (s.scale) raw.scale = s.scale.rounds;
  if (s.engines) {
    raw.engines = Object.fromEntries(Object.entries(s.engines).filter(([e]) => e !== 'chromium').map(([e, r]) => [e, r.rounds]));
  }
  return raw;
}

// ---- goals ----

export function judgeEnvs(s) {
  const goals = [];
  const add = (measure, goal, value, met, note, kind) => goals.push({ measure, goal, value, met, note: note || '', ...(kind ? { kind } : {}) });
  const x = (r) => (r ? `${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})` : 'n/a');

  if (s.loaded) {
    for (const [n, t] of Object.entries(s.loaded.tabs)) {
      const r = t.loaded.overBatching;
      add(`fan-out throughput, ${n} tabs, loaded machine`, '≥ 1.0 × batching relay',
        `${x(r)} batching (quiet: ${t.quiet ? x(t.quiet.overBatching) : 'not run'})`, !!(r && r.median >= 1.0));
    }
  }

  if (s.scale) {
    const { base, tabs, at } = s.scale;
    const more = tabs.filter((n) => n !== base);
    const conns = tabs.map((n) => [n, at[n].connections]);
    add(`server connections, ${tabs.join(', ')} tabs`, 'exactly 1',
      conns.map(([n, c]) => `${c.join(', ')} for ${n} tabs`).join('; '), conns.every(([, c]) => c.length === 1 && c[0] === 1));
    add(`fan-out per tab as tabs grow, ${tabs.join(' → ')}`, `wsshare's fall from ${base} tabs ÷ the batching relay's ≥ 1.0`,
      more.map((n) => `${n} tabs: wsshare ${at[n].fall.wsshare.toFixed(2)}×, relay ${at[n].fall.batching.toFixed(2)}× of their ${base}-tab rate: ` +
        `${at[n].fallRatio.toFixed(2)}`).join('; '), more.every((n) => at[n].fallRatio >= 1.0));
    const mem = more.map((n) => [n, at[n].leaderAboveBase]);
    const measured = at[base].leader && mem.every(([, m]) => m !== null);
    add(`leader memory after fan-out, ${more.join(' and ')} tabs`, `flat: ≤ 1 MB above the ${base}-tab figure`,
      measured ? mem.map(([n, m]) => `${m >= 0 ? '+' : ''}${mb(m)} at ${n} tabs`).join('; ') + ` (${base} tabs: ${mb(at[base].leader.median)})` : 'not measured',
      measured ? mem.every(([, m]) => m <= MB) : false);
  }

  for (const [e, r] of Object.entries(s.engines || {})) {
    if (e === 'chromium') continue;
    const name = ENGINE_NAMES[e];
    const parts = [];
    const failed = [];
    const part = (label, v, f) => (v && v.failed ? failed.push(`${label}: ${v.reason}`) : v && parts.push(f(v)));
    part('fan-out', r.fanout, (f) => `fan-out, ${r.tabs} tabs: wsshare ÷ batching ${x(f.overBatching)}, ÷ plain ${x(f.overPlain)}`);
    part('echo', r.echo, (h) => `echo p50 ${plus(h.overPlain.p50)} ms over plain`);
    part('join', r.join, (j) => `join ${ms(j.wsshare.join)} ms`);
    part('socket placement', r.placement, (p) => `a bare socket's rate in a dedicated Worker ÷ in a SharedWorker ${x(p.dedicatedOverShared)}, ` +
      `in a page ÷ in a SharedWorker ${x(p.pageOverShared)}`);
    if (r.failover.measured) parts.push(`failover (leader closed) ${r.failover.ms.median.toFixed(0)} ms, ${r.failover.lost} of ${r.failover.sent} sends lost`);
    else failed.push(`failover: ${r.failover.failed ? 'failed: ' : ''}${r.failover.reason}`);
    add(`${name} ${r.version || ''}: fan-out, echo, join, failover${r.placement ? ', socket placement' : ''}`.replace('  ', ' '), 'none: reported, as in Chromium',
      parts.join('; ') || 'failed', failed.length === 0, failed.join('; '), 'reported');
    // The reason alone: the mark says it was not measured.
    const why = (reason) => reason.replace(/^not measured in \w+: /, '');
    add(`failover, leader tab crashed, in ${name}`, 'as in Chromium', `not measured in ${name}`, null, why(r.crash.reason));
    add(`leader memory, in ${name}`, 'as in Chromium', `not measured in ${name}`, null, why(r.memory.reason));
  }
  return goals;
}

// ---- Markdown ----

export function markdownEnvs(s, meta) {
  const out = [];
  if (s.loaded) {
    const b = s.loaded.burner;
    const c = meta.config.loaded;
    out.push('## Fan-out on a loaded machine', '');
    out.push(`The fan-out scenario again (Chromium, ${(c.frames || meta.config.fanout.frames).toLocaleString('en')} frames a round; the quiet rounds had ${meta.config.fanout.frames.toLocaleString('en')}), wsshare against the batching relay, while ${b.processes} Node processes of the bench ` +
      '(`tests/bench/burner.mjs`) spin on the CPU, started before the first round and ended by their pid after the last; the quiet rows are the fan-out scenario\'s own rounds above. ' +
      `The spinning processes had ${b.cpuShare ? b.cpuShare.map((x) => `${Math.round(x * 100)} %`).join(' and ') : 'an unknown share'} of a core each over ${b.seconds.toFixed(0)} s. ` +
      `Rounds: ${Object.entries(c.rounds).map(([n, r]) => `${n} tabs ${r.wsshare} each`).join(', ')}. Kept: the loaded median over the quiet one.`, '');
    out.push(table(['tabs', 'quiet: batching relay', 'quiet: wsshare', 'quiet: wsshare ÷ batching', 'loaded: batching relay', 'loaded: wsshare', 'loaded: wsshare ÷ batching', 'kept under load: relay, wsshare'],
      Object.entries(s.loaded.tabs).map(([n, t]) => [n,
        t.quiet ? spread(t.quiet.variants.batching, k) : '—', t.quiet ? spread(t.quiet.variants.wsshare, k) : '—', t.quiet ? times(t.quiet.overBatching) : '—',
        spread(t.loaded.variants.batching, k), spread(t.loaded.variants.wsshare, k), times(t.loaded.overBatching),
        t.kept ? ['batching', 'wsshare'].map((v) => (t.kept[v] === null ? '—' : `${t.kept[v].toFixed(2)}×`)).join(', ') : '—'])), '');
    out.push('Loaded, round by round (deliveries per second; wsshare ÷ batching):', '');
    for (const [n, r] of Object.entries(s.loaded.rounds.fanout)) {
      const len = Math.max(r.batching.length, r.wsshare.length);
      out.push(table([`${n} tabs, round`, 'batching relay', 'wsshare', 'ratio'], Array.from({ length: len }, (_, i) => [String(i + 1),
        r.batching[i] ? k(r.batching[i].perSecond) : '', r.wsshare[i] ? k(r.wsshare[i].perSecond) : '',
        r.batching[i] && r.wsshare[i] ? `${(r.wsshare[i].perSecond / r.batching[i].perSecond).toFixed(2)}×` : ''])), '');
    }
  }

  if (s.scale) {
    const { base, tabs, at } = s.scale;
    const c = meta.config.scale;
    out.push('## Many tabs', '');
    out.push(`Fan-out at ${tabs.join(', ')} tabs (Chromium), ${c.frames.toLocaleString('en')} frames a round, wsshare against the batching relay, ` +
      `${c.rounds.wsshare} rounds each, rotated. Per tab: deliveries per second ÷ tabs. Fall: the per-tab median at N tabs over the one at ${base} tabs; ` +
      `wsshare's fall ÷ the relay's equals (wsshare ÷ relay at N) over (wsshare ÷ relay at ${base}), and is ≥ 1 when wsshare falls no faster. ` +
      'Leader memory: after each wsshare round, its tabs still open, the leader SharedWorker\'s wasm memory plus its JS heap after a forced collection, over CDP as in the memory scenario.', '');
    out.push(table(['tabs', 'server connections (wsshare)', 'batching relay, per tab', 'wsshare, per tab', 'wsshare ÷ batching', 'fall: relay, wsshare', 'wsshare\'s fall ÷ relay\'s', 'leader memory (wasm + JS heap)'],
      tabs.map((n) => [String(n), at[n].connections.join('/'), spread(at[n].perTab.batching, k), spread(at[n].perTab.wsshare, k), times(at[n].overBatching),
        n === base ? '1 (base)' : `${at[n].fall.batching.toFixed(2)}×, ${at[n].fall.wsshare.toFixed(2)}×`, n === base ? '—' : at[n].fallRatio.toFixed(2),
        at[n].leader ? spread(at[n].leader, mb) : '—'])), '');
  }

  if (s.engines) {
    out.push('## Engines', '');
    out.push('The scenarios each engine\'s driver can run, in every engine: Chromium through playwright-core (the run above), ' +
      'Debian\'s firefox-esr through puppeteer-core over WebDriver BiDi, and WebKitGTK\'s MiniBrowser through selenium-webdriver and WebKitWebDriver on an Xvfb display: ' +
      'the end-to-end tests\' own launchers (`tests/e2e/engines/`), one fresh browser profile (context) per round, one tab (or window) per page. ' +
      'Firefox opens the tabs of a context in one window, so all but the newest are background tabs, as a user\'s other tabs are; WebKit gives each its own window. ' +
      'A WebDriver command waits for the one before it, so opening tabs costs more there; the measured spans run inside the pages and the server. ' +
      'What a driver cannot do is not measured, with its reason. Figures: medians (min–max) over rounds; ratios and differences per round.', '');
    for (const [e, r] of Object.entries(s.engines)) {
      out.push(`### ${ENGINE_NAMES[e]} ${r.version || ''}`, '');
      const why = (v) => (v && v.failed ? `failed: ${v.reason}` : 'not run');
      const rows = [];
      const f = r.fanout;
      if (f && !f.failed) {
        rows.push([`fan-out, ${r.tabs} tabs, ${r.frames.toLocaleString('en')} frames (deliveries/s)`, ...SHOWN.map((v) => spread(f.variants[v], k)),
          `÷ batching ${times(f.overBatching)}, ÷ plain ${times(f.overPlain)}; server connections ${f.connections.join('/')}`]);
      } else rows.push(['fan-out', why(f), '', '', '']);
      const h = r.echo;
      if (h && !h.failed) {
        rows.push(['echo p50 (ms)', ...SHOWN.map((v) => ms(h.variants[v].p50)), `${plus(h.overPlain.p50)} over plain`]);
        rows.push(['echo p99 (ms)', ...SHOWN.map((v) => ms(h.variants[v].p99)), `${plus(h.overPlain.p99)} over plain`]);
      } else rows.push(['echo', why(h), '', '', '']);
      const j = r.join;
      if (j && !j.failed) {
        rows.push(['cold start (ms)', ...SHOWN.map((v) => ms(j[v].cold)), '']);
        rows.push(['join, a second tab (ms)', ...SHOWN.map((v) => ms(j[v].join)), '']);
      } else rows.push(['cold start and join', why(j), '', '', '']);
      const fo = r.failover;
      if (fo) {
        rows.push(['failover, leader tab closed (election mode)', fo.measured ? `every tab open again after ${ms(fo.ms)} ms; ${fo.lost} of ${fo.sent} sends lost` : `${fo.failed ? 'failed' : 'not measured'}: ${fo.reason}`, '', '', '']);
      }
      const p = r.placement;
      if (p && !p.failed) {
        rows.push([`socket placement: a bare socket receiving ${p.frames.toLocaleString('en')} frames (frames/s)`,
          `${PLACES.map((x) => `${PLACE_NAMES[x]} ${spread(p.places[x], k)}`).join('; ')}; dedicated ÷ shared ${times(p.dedicatedOverShared)}, ` +
          `page ÷ shared ${times(p.pageOverShared)} (see Socket placement above)`, '', '', '']);
      } else if (p) rows.push(['socket placement', why(p), '', '', '']);
      if (r.crash) rows.push(['failover, leader tab crashed', r.crash.measured === false ? r.crash.reason : 'measured: see Failover above', '', '', '']);
      if (r.memory) rows.push(['leader memory', r.memory.measured === false ? r.memory.reason : `${mb(r.memory.growth)} above the start: see Leader memory above`, '', '', '']);
      out.push(table(['measure', ...SHOWN.map((v) => NAMES[v]), 'wsshare against the baselines'], rows), '');
    }
  }
  return out;
}
