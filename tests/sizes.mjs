// Prints what a page loads (tab side) and what the leader loads (worker and
// wasm), raw and gzipped, and fails when a budget of docs/goals.md is exceeded.
// The benchmarks import measureSizes() to report the same figures.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

// The goals are 8 KB for what a page loads and 40 KB for the leader, protocol
// profiles included. The page is over its goal since its decisions moved into
// C compiled to JavaScript by wasm2js, which a page under a strict CSP runs
// without 'wasm-unsafe-eval': the session (wasm/src/session.c), the link to
// the leader (link.c) and the Web Locks election (locks.c) weigh 8.2 KB gzip
// as wasm2js emits them, minified (the session alone weighed 2.4 KB), and the
// same C as wasm 5.6 KB; the JavaScript that drives them weighs 1.3 KB more
// than the JavaScript they replaced. The gate (16 KB until a failover's
// re-sends went right behind the hello and an elected tab's followers got
// roads of their own to it, which weigh 0.2 KB) holds the page where
// it is until the way back lands: the same C as a small wasm where the page
// may compile one (wasm2js loaded only where it may not), and the election's
// code loaded only where there is no SharedWorker. The leader is over its
// goal since it carries a profile for every client of the protocols table
// (graphql-ws, subscriptions-transport-ws, JSON-RPC, ActionCable, STOMP,
// Socket.IO, Phoenix), each 2 to 4.5 KB gzip, though its own printf went
// (3.2 KB); the gate holds it there until the way back lands: a profile's
// code loaded only by a leader whose tabs speak its protocol.
export const GOAL_TAB = 8 * 1024;
export const BUDGET_TAB = 16.25 * 1024;
export const GOAL_LEADER = 40 * 1024;
export const BUDGET_LEADER = 46 * 1024;
// wsshare-leader.mjs is listed, outside the budgets: an elected tab loads it
// (with the wasm) only where it cannot start the worker.
const FILES = ['wsshare.mjs', 'wsshare.js', 'wsshare-worker.js', 'wsshare.wasm', 'wsshare-leader.mjs'];

// Bytes of each dist/ file, raw and gzip -9; the tab side is the larger of the
// two page bundles (a page loads one), the leader the worker plus the wasm.
export function measureSizes() {
  const files = {};
  for (const f of FILES) {
    const raw = readFileSync(new URL(`../dist/${f}`, import.meta.url));
    files[f] = { raw: raw.length, gz: gzipSync(raw, { level: 9 }).length };
  }
  const tab = Math.max(files['wsshare.mjs'].gz, files['wsshare.js'].gz);
  const leader = files['wsshare-worker.js'].gz + files['wsshare.wasm'].gz;
  return { files, tab, leader };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  const { files, tab, leader } = measureSizes();
  for (const [f, s] of Object.entries(files)) console.log(`${f.padEnd(20)} ${kb(s.raw).padStart(9)} raw ${kb(s.gz).padStart(9)} gzip`);
  console.log(`tab side ${kb(tab)} gzip (budget ${kb(BUDGET_TAB)}, goal ${kb(GOAL_TAB)}: ${tab <= GOAL_TAB ? 'met' : 'not met'}); ` +
    `worker + wasm ${kb(leader)} gzip (budget ${kb(BUDGET_LEADER)}, goal ${kb(GOAL_LEADER)}: ${leader <= GOAL_LEADER ? 'met' : 'not met'})`);
  if (tab > BUDGET_TAB || leader > BUDGET_LEADER) {
    console.error('size budget exceeded');
    process.exit(1);
  }
}
