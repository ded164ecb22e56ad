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
  execFileSync('node', ['tests/bench/run.mjs', '--tiny', '--out', OUT], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], timeout: 360000 });
  const results = JSON.parse(readFileSync(`${ROOT}/${OUT}/results.json`, 'utf8'));
  const s = results.scenarios;

  const VARIANTS = ['plain', 'naive', 'batching', 'wsshare'];
  // Where a tab leads: wsshare's election mode and the peers, broadcast-channel and tab-election.
  const ELECTED = ['election', 'bc', 'te'];
  for (const t of [...Object.values(s.fanout), s.upstream]) {
    for (const v of VARIANTS) assert.ok(isSummary(t.variants[v]), `${v}: ${JSON.stringify(t.variants[v])}`);
    assert.ok(isSummary(t.ratios.batching) && isSummary(t.ratios.naive));
  }
  for (const f of Object.values(s.fanout)) {
    for (const v of ELECTED) {
      assert.ok(isSummary(f.variants[v]) && f.variants[v].median > 0, `fan-out ${v}: ${JSON.stringify(f.variants[v])}`);
      assert.deepEqual(f.connections[v], [1], `fan-out ${v}: one server connection`);
    }
    assert.ok(isSummary(f.electionOverSharedworker) && isSummary(f.ratios.bc) && isSummary(f.ratios.te));
  }
  for (const v of [...VARIANTS, ...ELECTED]) {
    assert.ok(isSummary(s.echo.variants[v].p50) && isSummary(s.echo.variants[v].p99), `echo ${v}`);
    assert.ok(isSummary(s.join.variants[v].cold) && isSummary(s.join.variants[v].join), `join ${v}`);
  }
  assert.ok(['bc', 'te', 'naive', 'batching'].includes(s.echo.bestPeerP99.variant) && isFigure(s.echo.bestPeerP99.p99));
  assert.ok(Number.isFinite(s.join.coldOverBatching.median));
  // The cold start's timeline, for the variants whose leader is a SharedWorker:
  // every phase a figure, wsshare's with the core's fetch, the relay's without.
  for (const [v, phases] of [['wsshare', 5], ['batching', 3]]) {
    const ph = Object.values(s.join.phases[v]);
    assert.equal(ph.length, phases, `${v}: ${JSON.stringify(s.join.phases[v])}`);
    assert.ok(ph.every((x) => x.min > -5 && Number.isFinite(x.median)), `${v}: ${JSON.stringify(s.join.phases[v])}`);
  }
  // Failover: every variant measured, or not with a reason; each round's
  // "sending again" a time after the kill, every frame sent accounted for.
  for (const how of ['close', 'crash']) {
    for (const v of ELECTED) {
      const f = s.failover[how][v];
      const rounds = s.failover.rounds[how][v].rounds;
      if (f.measured) {
        assert.ok(isSummary(f.sendingMs) && f.sendingMs.min > 0, `${how} ${v}: ${JSON.stringify(f.sendingMs)}`);
        assert.ok(Number.isInteger(f.lost) && f.lost >= 0 && f.lost <= f.sent && f.sent > 0, `${how} ${v}`);
        for (const r of rounds) assert.ok(r.sendingEach.every(isFigure) && r.sendingMs === Math.max(...r.sendingEach), `${how} ${v}`);
        if (v === 'election') assert.ok(isSummary(f.ms), `${how}: wsshare's tabs saw open again`);
      } else {
        // Only a mode the browser lacks may go unmeasured; a failed round fails.
        assert.ok(!f.failed, `${how} ${v}: ${f.reason}`);
        assert.match(f.reason, /\S/, `${how} ${v}`);
      }
    }
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

  // The loaded machine, many tabs and Firefox (the tiny run's other engine).
  const burner = s.loaded.burner;
  assert.ok(burner.processes >= 1 && burner.cpuShare.every((x) => x > 0), JSON.stringify(burner));
  for (const t of Object.values(s.loaded.tabs)) assert.ok(isSummary(t.loaded.overBatching) && isSummary(t.quiet.overBatching));
  const [base, ...more] = s.scale.tabs;
  for (const n of [base, ...more]) {
    assert.deepEqual(s.scale.at[n].connections, [1], `${n} tabs`);
    assert.ok(isSummary(s.scale.at[n].perTab.wsshare) && isSummary(s.scale.at[n].perTab.batching), `${n} tabs`);
    assert.ok(s.scale.at[n].leader.median > 0, `${n} tabs: leader memory`);
    for (const v of ['wsshare', 'batching']) {
      for (const r of s.scale.rounds[n][v]) assert.equal(r.pushes.length, results.meta.config.scale.pushes, `${n} tabs ${v}: ${JSON.stringify(r)}`);
    }
  }
  for (const n of more) assert.ok(isFigure(s.scale.at[n].fallRatio) && Number.isFinite(s.scale.at[n].leaderAboveBase), `${n} tabs`);
  const ff = s.engines.firefox;
  assert.ok(/^\d+\./.test(ff.version), ff.version);
  assert.ok(isSummary(ff.fanout.overBatching) && isSummary(ff.echo.variants.wsshare.p50) && isDifference(ff.echo.overPlain.p50));
  assert.ok(isSummary(ff.join.wsshare.join) && ff.failover.measured && isSummary(ff.failover.ms), JSON.stringify(ff.failover));
  for (const what of ['crash', 'memory']) assert.match(ff[what].reason, /^not measured in firefox: \S/);
  assert.ok(isSummary(s.engines.chromium.fanout.overBatching));
  for (const m of ['failover, leader tab crashed, in Firefox', 'leader memory, in Firefox']) {
    assert.ok(results.goals.some((g) => g.measure === m && g.met === null && /\S/.test(g.note)), m);
  }

  // Where the time goes: the leader's worker(s) and a tab profiled in every
  // workload. A tiny round is too short for every place to get a sample (at
  // 100 µs): what is held is that each thread was sampled, and placed.
  const sampled = (x) => Object.values(x.places).reduce((a, b) => a + b, 0);
  const many = Math.max(...results.meta.config.scale.tabs);
  const busy = Math.max(...Object.keys(results.meta.config.loaded.rounds).map(Number));
  const profiles = {
    fanout: 'wsshare', echo: 'wsshare', 'fanout, election mode': 'election', 'tabs → server': 'wsshare', 'tabs → server, batching relay': 'batching',
    [`fanout, ${many} tabs`]: 'wsshare', [`fanout, ${many} tabs, batching relay`]: 'batching',
    [`fanout, ${busy} tabs, loaded`]: 'wsshare', [`fanout, ${busy} tabs, loaded, batching relay`]: 'batching',
  };
  assert.deepEqual(Object.keys(s.profile), Object.keys(profiles));
  for (const [what, mode] of Object.entries(profiles)) {
    const p = s.profile[what];
    assert.equal(p.mode, mode, what);
    assert.ok(p.frames > 0 && p.tabFrames > 0 && p.plainMs > 0 && p.profiledMs > 0, `profile ${what}: ${JSON.stringify(p)}`);
    assert.ok(sampled(p.leader) > 0 && sampled(p.tab) > 0, `profile ${what}: ${JSON.stringify([p.leader.places, p.tab.places])}`);
  }
  // Tabs → server: the leader counts every tab's frames, the tab its own.
  const { tabs: upTabs, frames: upFrames } = results.meta.config.upstream;
  for (const what of ['tabs → server', 'tabs → server, batching relay']) {
    assert.deepEqual([s.profile[what].frames, s.profile[what].tabFrames, s.profile[what].tabs], [upTabs * upFrames, upFrames, upTabs], what);
  }
  assert.match(readFileSync(`${ROOT}/${OUT}/RESULTS.md`, 'utf8'), /## Where the time goes[\s\S]*\*\*Tabs → server, wsshare against the batching relay\.\*\* The leader/);
  // The many-tab and loaded fan-outs: their tabs and frames, when each tab
  // finished, the burner's share for the loaded pair; each read beside the relay.
  for (const [what, tabs, frames] of [[`fanout, ${many} tabs`, many, results.meta.config.scale.frames],
    [`fanout, ${busy} tabs, loaded`, busy, results.meta.config.loaded.frames]]) {
    for (const name of [what, `${what}, batching relay`]) {
      const p = s.profile[name];
      assert.deepEqual([p.tabs, p.frames, p.finished.length], [tabs, frames, tabs], name);
      assert.ok(p.finished.every(isFigure), name);
      if (/loaded/.test(name)) assert.ok(p.burner.processes >= 1 && p.burner.cpuShare.every((x) => x > 0), name);
    }
    assert.match(readFileSync(`${ROOT}/${OUT}/RESULTS.md`, 'utf8'), new RegExp(`\\*\\*Fan-out${what.slice(6)}, wsshare against the batching relay\\.\\*\\* The leader, per frame`));
  }

  // Socket placement: in Chromium and Firefox, a bare socket in each place,
  // one server connection, every frame received (the scenario also throws
  // on a frame out of order); the ratios to the SharedWorker's, and the
  // election goal's row naming the bare sockets' ratio beside its own.
  const placements = [['chromium', s.placement], ['firefox', s.engines.firefox.placement]];
  for (const [engine, p] of placements) {
    assert.ok(p && !p.failed, `${engine} placement: ${p && p.reason}`);
    for (const where of ['shared', 'dedicated', 'page']) {
      const rounds = p.rounds.rounds[where];
      assert.ok(rounds.length > 0, `${engine} ${where}`);
      for (const r of rounds) assert.deepEqual([r.received, r.connections], [p.frames, 1], `${engine} ${where}: ${JSON.stringify(r)}`);
      assert.ok(isSummary(p.places[where]) && p.places[where].median > 0, `${engine} ${where}`);
    }
    assert.ok(isSummary(p.dedicatedOverShared) && isSummary(p.pageOverShared), engine);
  }
  assert.ok(results.goals.some((g) => /election mode$/.test(g.measure) && /a bare socket, dedicated Worker ÷ SharedWorker: \d/.test(g.value)));
  assert.match(readFileSync(`${ROOT}/${OUT}/RESULTS.md`, 'utf8'), /## Socket placement[\s\S]*\| Chromium \| [\d,]+ \|[\s\S]*\| Firefox [^|]*\| [\d,]+ \|/);

  // A SharedWorker tab's frames reach its leader by the worker's port: no
  // other tab receives a copy. A relay's tabs each receive the others' posts
  // (the counter sees them), and so do an election's followers.
  // No copy in either mode: a SharedWorker's tabs post by its port, an
  // elected tab's followers by a channel of their own to it.
  assert.deepEqual(s.upstream.rounds.wsshare.map((r) => r.copiesPerFrame), [0]);
  assert.deepEqual(s.upstream.rounds.election.map((r) => r.copiesPerFrame), [0]);
  assert.ok(s.upstream.rounds.batching[0].copiesPerFrame > 0, JSON.stringify(s.upstream.rounds.batching));

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
