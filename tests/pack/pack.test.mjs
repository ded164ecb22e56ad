// The npm package as it ships: what `npm pack` puts in the tarball, that the
// manifest points only at files it holds, and that a fresh project installs
// it and resolves every entry point by the package's name.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT, installInto, pack } from './tarball.mjs';

const run = promisify(execFile);
const SHIPPED = [
  'LICENSE', 'README.md', 'package.json',
  'dist/wsshare-leader.mjs', 'dist/wsshare-worker.js', 'dist/wsshare.d.ts', 'dist/wsshare.js', 'dist/wsshare.mjs', 'dist/wsshare.wasm',
].sort();

let work;
let packed;
let installed;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'wsshare-pack-'));
  packed = await pack(work);
  installed = await installInto(join(work, 'app'), packed.tarball);
});
after(() => rmSync(work, { recursive: true, force: true }));

const manifest = () => JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));

test('the tarball holds the six dist files, the README, the license and package.json, nothing else', () => {
  assert.deepEqual(packed.files, SHIPPED);
});

test('every path the manifest names is a file the tarball ships', () => {
  const m = manifest();
  const named = [m.main, m.module, m.types, ...Object.values(m.exports['.']), m.exports['./package.json']];
  for (const p of named) assert.ok(SHIPPED.includes(p.replace(/^\.\//, '')), `${p} is not shipped`);
  assert.deepEqual(m.exports['.'], { types: './dist/wsshare.d.ts', import: './dist/wsshare.mjs', default: './dist/wsshare.js' });
  // Only the classic script sets a global; the module may be dropped when unused.
  assert.deepEqual(m.sideEffects, ['./dist/wsshare.js']);
});

test('the installed files are byte for byte the built ones', () => {
  for (const f of SHIPPED.filter((p) => p.startsWith('dist/'))) {
    assert.ok(readFileSync(join(installed, f)).equals(readFileSync(join(PROJECT, f))), `${f} differs`);
  }
});

test('an import of "wsshare" gets the ES module, whose version is the package version', async () => {
  // A child process, so the import resolves from the fresh project, not from here.
  const script = "import('wsshare').then((m) => console.log(JSON.stringify({ keys: Object.keys(m).sort(), version: m.version, cls: typeof m.SharedWebSocket })))";
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: join(work, 'app') });
  const seen = JSON.parse(stdout);
  assert.deepEqual(seen.keys, ['SharedWebSocket', 'version']);
  assert.equal(seen.cls, 'function');
  assert.equal(seen.version, manifest().version);
  assert.equal(seen.version, packed.version);
});

test('other resolvers get the classic script by default, and dist files by their path', () => {
  const require = createRequire(join(work, 'app', 'index.js'));
  assert.equal(relative(installed, require.resolve('wsshare')), join('dist', 'wsshare.js'));
  assert.equal(relative(installed, require.resolve('wsshare/dist/wsshare-worker.js')), join('dist', 'wsshare-worker.js'));
  assert.equal(relative(installed, require.resolve('wsshare/dist/wsshare.wasm')), join('dist', 'wsshare.wasm'));
});
