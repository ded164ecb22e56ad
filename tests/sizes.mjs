// Prints what a page loads (tab side) and what the leader loads (worker and
// wasm), raw and gzipped, and fails when a budget of DESIGN.md is exceeded.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_TAB = 6 * 1024;
const BUDGET_LEADER = 30 * 1024;

const size = (f) => {
  const raw = readFileSync(new URL(`../dist/${f}`, import.meta.url));
  return { raw: raw.length, gz: gzipSync(raw, { level: 9 }).length };
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const rows = ['wsshare.mjs', 'wsshare.js', 'wsshare-worker.js', 'wsshare.wasm'].map((f) => [f, size(f)]);
for (const [f, s] of rows) console.log(`${f.padEnd(20)} ${kb(s.raw).padStart(9)} raw ${kb(s.gz).padStart(9)} gzip`);
const tab = Math.max(rows[0][1].gz, rows[1][1].gz);
const leader = rows[2][1].gz + rows[3][1].gz;
console.log(`tab side ${kb(tab)} gzip (budget ${kb(BUDGET_TAB)}); worker + wasm ${kb(leader)} gzip (budget ${kb(BUDGET_LEADER)})`);
if (tab > BUDGET_TAB || leader > BUDGET_LEADER) {
  console.error('size budget exceeded');
  process.exit(1);
}
