// Keeps the benchmark from rotting: runs it in its tiny configuration and
// checks that it writes well-formed results. It asserts no timing: figures on
// a shared machine are for `make bench` to report, never for a test to judge.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = 'bench/tmp/smoke';

const isFigure = (x) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const isSummary = (s) => s && ['median', 'min', 'max'].every((k) => isFigure(s[k])) && s.min <= s.median && s.median <= s.max;

test('the tiny benchmark writes results.json, RESULTS.md and chart.svg, well formed', () => {
  rmSync(`${ROOT}/${OUT}`, { recursive: true, force: true });
  execFileSync('node', ['tests/bench/run.mjs', '--tiny', '--out', OUT], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], timeout: 240000 });
  const results = JSON.parse(readFileSync(`${ROOT}/${OUT}/results.json`, 'utf8'));
  const s = results.scenarios;

  for (const t of [...Object.values(s.fanout), s.upstream]) {
    for (const v of ['plain', 'naive', 'batching', 'wsshare']) assert.ok(isSummary(t.variants[v]), `${v}: ${JSON.stringify(t.variants[v])}`);
    assert.ok(isSummary(t.ratios.batching) && isSummary(t.ratios.naive));
  }
  for (const v of ['plain', 'naive', 'batching', 'wsshare']) {
    assert.ok(isSummary(s.echo.variants[v].p50) && isSummary(s.echo.variants[v].p99));
    assert.ok(isSummary(s.join.variants[v].cold) && isSummary(s.join.variants[v].join));
  }
  for (const how of ['close', 'crash']) {
    const f = s.failover[how];
    if (f.measured) assert.ok(isSummary(f.ms) && Number.isInteger(f.lost));
    else assert.match(f.reason, /\S/);
  }
  assert.ok(s.memory.samples.length >= 2 && s.memory.samples.every((m) => m.wasm > 0 && m.jsHeap > 0));
  assert.ok(s.sizes.tab > 0 && s.sizes.leader > 0);
  for (const w of ['fanout', 'acks', 'envelopes']) {
    assert.ok(isSummary(s.core[w].native) && isSummary(s.core[w].wasm), w);
    assert.equal(s.core[w].sameWork, true, `${w}: native and wasm drivers did different work`);
    assert.ok(isFigure(s.core[w].instructionsPerEvent) && s.core[w].instructionsPerEvent > 0, w);
  }

  // The protocol scenarios: medians for both variants, the ratio and the
  // differences wsshare ÷ and − plain, one server connection for wsshare.
  assert.ok(s.graphql.measured, `graphql: ${s.graphql.reason}`);
  for (const v of ['plain', 'wsshare']) assert.ok(isSummary(s.graphql.variants[v]) && s.graphql.variants[v].median > 0, v);
  assert.ok(isSummary(s.graphql.ratio) && s.graphql.ratio.median > 0);
  assert.deepEqual(s.graphql.connections, { wsshare: [1], plain: [results.meta.config.graphql.tabs] });
  assert.ok(s.jsonrpc.measured, `jsonrpc: ${s.jsonrpc.reason}`);
  for (const v of ['plain', 'wsshare']) {
    for (const k of ['one', 'all']) assert.ok(isSummary(s.jsonrpc.variants[v][k].p50) && isSummary(s.jsonrpc.variants[v][k].p99), `${v} ${k}`);
  }
  const isDifference = (d) => d && ['median', 'min', 'max'].every((k) => Number.isFinite(d[k])) && d.min <= d.median && d.median <= d.max;
  for (const k of ['one', 'all']) assert.ok(isDifference(s.jsonrpc.overPlain[k].p50) && isDifference(s.jsonrpc.overPlain[k].p99), k);
  assert.deepEqual(s.jsonrpc.connections, { wsshare: [1], plain: [results.meta.config.jsonrpc.tabs] });
  for (const p of ['graphql-ws subscription fan-out', 'JSON-RPC round trip']) {
    assert.ok(results.goals.some((g) => g.measure.startsWith(p) && g.kind === 'reported' && g.met === true), p);
  }

  assert.ok(results.goals.length >= 12);
  const md = readFileSync(`${ROOT}/${OUT}/RESULTS.md`, 'utf8');
  for (const g of results.goals) {
    assert.ok([true, false, null].includes(g.met), g.measure);
    assert.ok(md.includes(g.measure), `RESULTS.md lacks "${g.measure}"`);
  }
  assert.match(md, /^# wsshare benchmarks/);
  const svg = readFileSync(`${ROOT}/${OUT}/chart.svg`, 'utf8');
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<rect [\s\S]*<\/svg>\n$/);
});
