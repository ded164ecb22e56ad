// The report's failover: wsshare's election mode beside the peers
// (broadcast-channel, tab-election), each leader tab closed and crashed.
// Summaries for results.json, the goals report.mjs judges on them, and the
// section of RESULTS.md.

import { summary } from './stats.mjs';
import { FAILOVER_VARIANTS } from './peers.mjs';

const pick = (rounds, key) => rounds.map((r) => r[key]).filter((x) => typeof x === 'number');
const sum = (rounds, key) => pick(rounds, key).reduce((a, b) => a + b, 0);
const HOWS = { close: 'closed', crash: 'crashed' };

// raw: { close: { [variant]: { measured, rounds } or { measured: false, failed?, reason } }, crash: ... }
export function failovers(raw) {
  const out = {};
  for (const [how, byVariant] of Object.entries(raw)) {
    out[how] = {};
    for (const v of FAILOVER_VARIANTS) {
      const r = byVariant[v];
      if (!r) continue;
      out[how][v] = r.measured
        ? {
          measured: true,
          sendingMs: summary(pick(r.rounds, 'sendingMs')),
          ms: summary(pick(r.rounds, 'ms')),
          reconnectingMs: summary(pick(r.rounds, 'reconnectingMs')),
          serverMs: summary(pick(r.rounds, 'serverMs')),
          lost: sum(r.rounds, 'lost'),
          refused: sum(r.rounds, 'refused'),
          sent: sum(r.rounds, 'sent'),
          duplicates: sum(r.rounds, 'duplicates'),
          disorder: sum(r.rounds, 'disorder'),
        }
        : { measured: false, failed: !!r.failed, reason: r.reason };
    }
  }
  return out;
}

const at = (r) => (r ? `${r.median.toFixed(0)} ms (${r.min.toFixed(0)}–${r.max.toFixed(0)})` : 'n/a');

// The failover goals of docs/goals.md: leader closed, every tab sending
// again no later than the fastest peer (medians), 0 frames lost; leader
// crashed, every tab sending again ≤ 100 ms at the median. add() is judge's.
export function judgeFailover(failover, add) {
  for (const [how, f] of Object.entries(failover)) {
    const what = `failover, leader tab ${HOWS[how]} (election mode)`;
    const goal = how === 'crash' ? 'every tab sending again ≤ 100 ms p50'
      : 'every tab sending again no later than the fastest peer (p50), 0 frames lost';
    const w = f.election;
    if (!w || !w.measured) {
      add(what, goal, w ? (w.failed ? 'failed' : 'not measured') : 'not run', w && w.failed ? false : null, w ? w.reason : '');
      continue;
    }
    const peers = FAILOVER_VARIANTS.filter((v) => v !== 'election' && f[v]);
    const measured = peers.filter((v) => f[v].measured);
    const peerText = peers.map((v) => (f[v].measured ? `${v} ${at(f[v].sendingMs)}, ${f[v].lost} of ${f[v].sent} lost`
      : `${v} ${f[v].failed ? 'failed' : 'not measured'}`)).join('; ');
    const value = `wsshare ${at(w.sendingMs)}, ${w.lost} of ${w.sent} frames lost (peers: ${peerText || 'none run'})`;
    if (how === 'crash') add(what, goal, value, w.sendingMs.median <= 100);
    else if (!measured.length) add(what, goal, value, null, 'no peer measured');
    else {
      const fastest = Math.min(...measured.map((v) => f[v].sendingMs.median));
      add(what, goal, value, w.sendingMs.median <= fastest && w.lost === 0);
    }
  }
}

export function failoverMarkdown(failover, meta, names) {
  const millis = (r) => (!r ? '—' : r.n === 1 ? `${r.median.toFixed(1)} (1 round)` : `${r.median.toFixed(1)} (${r.min.toFixed(1)}–${r.max.toFixed(1)})`);
  const c = meta.config.failover;
  const out = ['## Failover (a tab leads)', ''];
  out.push(`${c.tabs} tabs of wsshare in \`mode: 'election'\` and of each peer, every tab sending a numbered frame every ${c.everyMs} ms; ` +
    'the leader tab (`isLeader`) is closed, or crashed (CDP `Page.crash`). Times run from then. ' +
    '**Sending again**: per remaining tab, the first frame it sent after then that reached the server over a connection opened after then; ' +
    'the figure is the last tab\'s (a frame the old leader still carried out does not count). ' +
    '**Lost**: frames the remaining tabs sent (send() did not throw) that never reached the server. ' +
    'wsshare also tells its tabs: they see `reconnecting`, then `open` again; the peers tell their tabs nothing. ' +
    `Medians over ${c.rounds} round${c.rounds === 1 ? '' : 's'} per variant, min–max; frames summed over the rounds.`, '');
  const rows = [];
  for (const [how, f] of Object.entries(failover)) {
    for (const v of FAILOVER_VARIANTS) {
      const x = f[v];
      if (!x) continue;
      if (!x.measured) rows.push([HOWS[how], names[v], `${x.failed ? 'failed' : 'not measured'}: ${x.reason}`, '', '', '', '', '']);
      else {
        rows.push([HOWS[how], names[v], millis(x.sendingMs), millis(x.serverMs), millis(x.reconnectingMs), millis(x.ms),
          `${x.lost} of ${x.sent}`, `${x.duplicates} / ${x.disorder}`]);
      }
    }
  }
  out.push(...table(['leader tab', 'variant', 'every tab sending again (ms)', 'server has the new socket (ms)',
    'every tab saw `reconnecting` (ms)', 'every tab saw `open` again (ms)', 'frames lost', 'duplicates / out of order at the server'], rows), '');
  return out;
}

function table(head, rows) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  return [row(head), row(head.map(() => '---')), ...rows.map(row)];
}
