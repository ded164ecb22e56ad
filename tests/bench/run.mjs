// `make bench`: every goal of docs/goals.md measured against its baselines in one
// run, same server, same browser, and the protocol profiles' clients over
// wsshare against a plain socket each. Prints a line per round and the goals
// table; writes results.json, RESULTS.md and chart.svg.
// Usage: node tests/bench/run.mjs [--tiny] [--out DIR] [--core-bin PATH] [--only NAME,...]
//          [--engines chromium,firefox,webkit]
//        node tests/bench/run.mjs --from DIR/results.json [--out DIR]
// (--only runs just the scenarios named, of SCENARIOS below, and reports
// those; --from renders a past run's report again, measuring nothing;
// --engines names the engines of the `engines` scenario: every scenario runs
// in Chromium, and Firefox and WebKit, where listed, run what their drivers
// can: tests/bench/engines.mjs. The default: all three, Chromium and Firefox
// with --tiny.)

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startBlaster } from './blaster.mjs';
import { bundleClients } from './protocol-servers.mjs';
import { launchBrowser } from './browser.mjs';
import * as peers from './peers.mjs';
import { FULL, TINY } from './config.mjs';
import { ENGINES, launchEngineBrowser, runEngine } from './engines.mjs';
import { loaded } from './burner.mjs';
import { scale } from './scale.mjs';
import { analyse, chart, goalsTable, markdown, rawOf } from './report.mjs';
import * as scenario from './scenarios.mjs';
import { profile } from './profile.mjs';

const { values: opts } = parseArgs({
  options: {
    tiny: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench' },
    'core-bin': { type: 'string', default: 'build/bench/core_bench' },
    from: { type: 'string' },
    only: { type: 'string' },
    engines: { type: 'string' },
  },
});

// Every scenario, in the order a run takes them.
const SCENARIOS = ['sizes', 'core', 'fanout', 'placement', 'upstream', 'echo', 'join', 'failover', 'memory', 'profile', 'graphql', 'jsonrpc',
  'loaded', 'scale', 'engines'];
const only = opts.only ? opts.only.split(',').map((x) => x.trim()).filter(Boolean) : null;
const unknown = only ? only.filter((x) => !SCENARIOS.includes(x)) : [];
if (unknown.length || (only && !only.length)) {
  console.error(`--only takes scenario names among ${SCENARIOS.join(', ')}; not known: ${unknown.join(', ') || '(none given)'}`);
  process.exit(2);
}
const runs = (name) => !only || only.includes(name);
const engines = (opts.engines || (opts.tiny ? 'chromium,firefox' : ENGINES.join(','))).split(',').map((x) => x.trim()).filter(Boolean);
if (!engines.length || engines.some((x) => !ENGINES.includes(x))) {
  console.error(`--engines takes engine names among ${ENGINES.join(', ')}; given: ${opts.engines}`);
  process.exit(2);
}

function write(results, tiny) {
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(path.join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(opts.out, 'RESULTS.md'), markdown(results, { tiny }));
  writeFileSync(path.join(opts.out, 'chart.svg'), chart(results));
  console.log(`\n${goalsTable(results)}\n`);
}

if (opts.from) {
  const past = JSON.parse(readFileSync(opts.from, 'utf8'));
  write(analyse(rawOf(past), past.meta), past.meta.tiny ?? past.meta.command !== 'make bench');
  process.exit(0);
}
const cfg = { ...(opts.tiny ? TINY : FULL) };
cfg.core = { ...cfg.core, bin: opts['core-bin'] };

const started = Date.now();
const clock = () => {
  const s = Math.round((Date.now() - started) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const progress = (what, outcome) => console.log(`[${clock()}] ${what}${outcome ? ` … ${outcome}` : ''}`);

// A tool's version, or 'unknown' where it cannot say (never fatal).
function versionOf(cmd, args, pattern = /(\d+\.\d+[.\w-]*)/) {
  try {
    const m = pattern.exec(execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    return m ? m[1] : 'unknown';
  } catch {
    return 'unknown';
  }
}

const pkgVersion = (name) => JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;

function machine() {
  let distro = os.type();
  try {
    distro = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))[1];
  } catch { /* not Linux: the kernel's name will do */ }
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${distro}`;
}

// The client libraries the protocol scenarios' pages run, served from memory.
const files = runs('graphql') || runs('jsonrpc') ? await bundleClients() : {};
// The peers' libraries, which every bench page loads.
Object.assign(files, await peers.bundlePeers());
const server = await startBlaster({ files });
const browser = await launchBrowser(server.origin);
const env = { server, browser, cfg, progress };
const load0 = os.loadavg()[0];
const raw = {};
progress(`wsshare benchmarks (${opts.tiny ? 'tiny' : 'full'} configuration${only ? `, only ${only.join(', ')}` : ''}), ` +
  `Chromium ${browser.version}, server ${server.origin}`);
try {
  if (runs('sizes')) {
    raw.sizes = scenario.sizes();
    progress('sizes', `tab side ${raw.sizes.tab} B gzip, worker + wasm ${raw.sizes.leader} B gzip`);
  }
  if (runs('core')) raw.core = await scenario.core(env);
  if (runs('fanout')) {
    raw.fanout = {};
    for (const n of Object.keys(cfg.fanout.rounds)) raw.fanout[n] = await scenario.fanout(env, Number(n));
  }
  if (runs('placement')) raw.placement = await scenario.placement(env);
  if (runs('upstream')) raw.upstream = await scenario.upstream(env);
  if (runs('echo')) raw.echo = await scenario.echo(env);
  if (runs('join')) raw.join = await scenario.join(env);
  if (runs('failover')) raw.failover = { close: await peers.failover(env, 'close'), crash: await peers.failover(env, 'crash') };
  if (runs('memory')) raw.memory = await scenario.memory(env);
  if (runs('profile')) raw.profile = await profile(env);
  if (runs('graphql')) raw.graphql = await scenario.graphql(env);
  if (runs('jsonrpc')) raw.jsonrpc = await scenario.jsonrpc(env);
  if (runs('loaded')) raw.loaded = await loaded(env);
  if (runs('scale')) raw.scale = await scale(env);
  if (runs('engines')) {
    raw.engines = {};
    for (const name of engines.filter((x) => x !== 'chromium')) {
      const other = await launchEngineBrowser(name, server.origin);
      try {
        raw.engines[name] = await runEngine({ ...env, browser: other }, name);
      } finally {
        await other.close();
      }
    }
  }
} finally {
  await browser.close();
  await server.close();
}

const meta = {
  command: only ? `node tests/bench/run.mjs ${process.argv.slice(2).join(' ')}` : opts.tiny ? 'make test' : 'make bench',
  tiny: opts.tiny,
  only,
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  seconds: (Date.now() - started) / 1000,
  machine: `${machine()}, headless Debian Chromium`,
  load: [load0, os.loadavg()[0]],
  versions: {
    Chromium: browser.version,
    Node: process.versions.node,
    'playwright-core': pkgVersion('playwright-core'),
    ws: pkgVersion('ws'),
    'graphql-ws': pkgVersion('graphql-ws'),
    graphql: pkgVersion('graphql'),
    'json-rpc-2.0': pkgVersion('json-rpc-2.0'),
    'broadcast-channel': pkgVersion('broadcast-channel'),
    'tab-election': pkgVersion('tab-election'),
    esbuild: pkgVersion('esbuild'),
    gcc: versionOf('gcc', ['-dumpfullversion']),
    emscripten: versionOf('dpkg-query', ['-W', '-f=${Version}', 'emscripten'], /(.+)/),
    valgrind: versionOf('valgrind', ['--version']),
  },
  config: cfg,
};
for (const [name, r] of Object.entries(raw.engines || {})) meta.versions[name === 'webkit' ? 'WebKitGTK' : 'Firefox ESR'] = r.version;

write(analyse(raw, meta), opts.tiny);
progress(`done: ${path.join(opts.out, 'RESULTS.md')}, results.json, chart.svg`);
