// `make bench`: every goal of DESIGN.md measured against its baselines in one
// run, same server, same browser. Prints a line per round and the goals table;
// writes results.json, RESULTS.md and chart.svg.
// Usage: node tests/bench/run.mjs [--tiny] [--out DIR] [--core-bin PATH]
//        node tests/bench/run.mjs --from DIR/results.json [--out DIR]
// (--from renders a past run's report again, measuring nothing).

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startBlaster } from './blaster.mjs';
import { launchBrowser } from './browser.mjs';
import { FULL, TINY } from './config.mjs';
import { analyse, chart, goalsTable, markdown, rawOf } from './report.mjs';
import * as scenario from './scenarios.mjs';

const { values: opts } = parseArgs({
  options: {
    tiny: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench' },
    'core-bin': { type: 'string', default: 'build/bench/core_bench' },
    from: { type: 'string' },
  },
});

function write(results, tiny) {
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(path.join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(opts.out, 'RESULTS.md'), markdown(results, { tiny }));
  writeFileSync(path.join(opts.out, 'chart.svg'), chart(results));
  console.log(`\n${goalsTable(results)}\n`);
}

if (opts.from) {
  const past = JSON.parse(readFileSync(opts.from, 'utf8'));
  write(analyse(rawOf(past), past.meta), past.meta.command !== 'make bench');
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

const server = await startBlaster();
const browser = await launchBrowser(server.origin);
const env = { server, browser, cfg, progress };
const load0 = os.loadavg()[0];
const raw = {};
progress(`wsshare benchmarks (${opts.tiny ? 'tiny' : 'full'} configuration), Chromium ${browser.version}, server ${server.origin}`);
try {
  raw.sizes = scenario.sizes();
  progress('sizes', `tab side ${raw.sizes.tab} B gzip, worker + wasm ${raw.sizes.leader} B gzip`);
  raw.core = await scenario.core(env);
  raw.fanout = {};
  for (const n of Object.keys(cfg.fanout.rounds)) raw.fanout[n] = await scenario.fanout(env, Number(n));
  raw.upstream = await scenario.upstream(env);
  raw.echo = await scenario.echo(env);
  raw.join = await scenario.join(env);
  raw.failover = { close: await scenario.failover(env, 'close'), crash: await scenario.failover(env, 'crash') };
  raw.memory = await scenario.memory(env);
} finally {
  await browser.close();
  await server.close();
}

const meta = {
  command: opts.tiny ? 'make test' : 'make bench',
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  seconds: (Date.now() - started) / 1000,
  machine: `${machine()}, headless Debian Chromium`,
  load: [load0, os.loadavg()[0]],
  versions: {
    Chromium: browser.version,
    Node: process.versions.node,
    'playwright-core': pkgVersion('playwright-core'),
    ws: pkgVersion('ws'),
    gcc: versionOf('gcc', ['-dumpfullversion']),
    emscripten: versionOf('dpkg-query', ['-W', '-f=${Version}', 'emscripten'], /(.+)/),
    valgrind: versionOf('valgrind', ['--version']),
  },
  config: cfg,
};
write(analyse(raw, meta), opts.tiny);
progress(`done: ${path.join(opts.out, 'RESULTS.md')}, results.json, chart.svg`);
