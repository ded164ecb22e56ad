// The npm package in a bundler, as a front-end developer uses it: a tiny app
// in a temporary folder installs the packed tarball and is built twice, by
// Vite 7 (after a type-check) and by webpack 5, each with its defaults; each
// build, served by the emulator, shares one socket between three tabs.
// Nothing here touches a registry: the tarball is installed offline and Vite,
// webpack and TypeScript are the project's own.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import webpack from 'webpack';
import { startCat } from '../../demo/server.mjs';
import { PROJECT, installInto, pack } from '../pack/tarball.mjs';
import { actualShape, declaredShape } from '../types/declared-shape.mjs';
import { ONE_SHARED_SOCKET, catJson, eventually, launch, push, serverStats, uniqueUser } from './harness.mjs';

const run = promisify(execFile);
const VITE = join(PROJECT, 'node_modules', 'vite', 'bin', 'vite.js');
const TSC = join(PROJECT, 'node_modules', 'typescript', 'bin', 'tsc');
// The emulator serves static files under /demo/; each build has a base there.
const BASE = '/demo/';
const WEBPACK_BASE = '/demo/webpack/';

const APP = {
  'index.html': `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wsshare in a Vite app</title>
<script type="module" src="./main.ts"></script></head><body></body></html>
`,
  'main.ts': `import { SharedWebSocket, version } from 'wsshare';

const user = new URLSearchParams(location.search).get('user') ?? 'user';
const ws = new SharedWebSocket(\`ws://\${location.host}/ws/\${encodeURIComponent(user)}\`);
const messages: string[] = [];
ws.addEventListener('message', (e) => { messages.push(String(e.data)); });

declare global {
  interface Window { app: { ws: SharedWebSocket; messages: string[]; version: string } }
}
window.app = { ws, messages, version };
`,
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [],
    },
    files: ['main.ts'],
  }, null, 2),
};

// The same app for webpack, as plain JavaScript (the Vite build type-checks).
const WEBPACK_APP = {
  'main.js': `import { SharedWebSocket, version } from 'wsshare';

const user = new URLSearchParams(location.search).get('user') ?? 'user';
const ws = new SharedWebSocket(\`ws://\${location.host}/ws/\${encodeURIComponent(user)}\`);
const messages = [];
ws.addEventListener('message', (e) => { messages.push(String(e.data)); });
window.app = { ws, messages, version };
`,
  'index.html': `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wsshare in a webpack app</title>
<script src="${WEBPACK_BASE}main.js"></script></head><body></body></html>
`,
};

// webpack 5 with its defaults: the package's `new URL('./…', import.meta.url)`
// references become emitted assets. Warnings fail the build: a dynamic import
// webpack cannot follow is one, and would fail at run time.
function webpackBuild(context, outDir) {
  return new Promise((resolve, reject) => {
    const compiler = webpack({
      mode: 'production', context, entry: './main.js',
      output: { path: outDir, publicPath: WEBPACK_BASE, filename: 'main.js', clean: true },
    });
    compiler.run((err, stats) => {
      compiler.close(() => {});
      if (err) return reject(err);
      if (stats.hasErrors() || stats.hasWarnings()) {
        return reject(new Error(`webpack: ${stats.toString({ all: false, errors: true, warnings: true, errorDetails: true })}`));
      }
      resolve(stats.toJson({ all: false, assets: true }).assets.map((a) => a.name));
    });
  });
}

let work;
let cat;
let browser;
let built;
let webpackAssets;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'wsshare-vite-'));
  const { tarball } = await pack(work);
  const app = join(work, 'app');
  await installInto(app, tarball);
  for (const [name, text] of Object.entries(APP)) writeFileSync(join(app, name), text);
  const outDir = join(work, 'root', 'demo');
  mkdirSync(outDir, { recursive: true });
  await run(process.execPath, [TSC, '-p', app], { cwd: app });
  await run(process.execPath, [VITE, 'build', app, '--base', BASE, '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: app });
  built = join(outDir, 'assets');
  const webpackApp = join(work, 'app-webpack');
  mkdirSync(webpackApp);
  symlinkSync(join(app, 'node_modules'), join(webpackApp, 'node_modules'), 'dir');
  writeFileSync(join(webpackApp, 'main.js'), WEBPACK_APP['main.js']);
  const webpackOut = join(outDir, 'webpack');
  webpackAssets = await webpackBuild(webpackApp, webpackOut);
  writeFileSync(join(webpackOut, 'index.html'), WEBPACK_APP['index.html']);
  // Only the build is served: a worker or wasm looked for anywhere else is a 404.
  cat = await startCat({ port: 0, root: join(work, 'root') });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await cat?.close();
  rmSync(work, { recursive: true, force: true });
});

const asset = (pattern) => {
  const found = readdirSync(built).filter((f) => pattern.test(f));
  assert.equal(found.length, 1, `one asset matching ${pattern}, found ${JSON.stringify(found)}`);
  return found[0];
};

test('the build emits the worker and the wasm as assets, unchanged, and the bundle refers to both', () => {
  const worker = asset(/^wsshare-worker-[\w-]+\.js$/);
  const wasm = asset(/^wsshare-[\w-]+\.wasm$/);
  assert.ok(readFileSync(join(built, worker)).equals(readFileSync(join(PROJECT, 'dist', 'wsshare-worker.js'))));
  assert.ok(readFileSync(join(built, wasm)).equals(readFileSync(join(PROJECT, 'dist', 'wsshare.wasm'))));
  const entry = readFileSync(join(built, asset(/^index-[\w-]+\.js$/)), 'utf8');
  assert.ok(entry.includes(`${BASE}assets/${worker}`), 'the bundle names the emitted worker');
  assert.ok(entry.includes(`${BASE}assets/${wasm}`), 'the bundle names the emitted wasm');
});

async function threeTabsShareOne(base, name) {
  const user = uniqueUser(name);
  await browser.inContext(async (ctx) => {
    const tabs = [];
    for (let i = 0; i < 3; i++) {
      const tab = await ctx.openTab(cat.url, `${base}?user=${user}`);
      await tab.waitFor(() => window.app && window.app.ws.readyState === 1);
      tabs.push(tab);
    }
    for (const tab of tabs) assert.equal(await tab.eval(() => window.app.ws.mode), 'sharedworker');
    const leader = await tabs[2].eval(() => window.app.ws.stats().then((s) => s.leader));
    assert.equal(leader.tabs, 3);
    assert.deepEqual(await serverStats(cat, user), ONE_SHARED_SOCKET);

    assert.equal(await push(cat, user, 'to every tab'), 1);
    await tabs[0].eval(() => window.app.ws.send(JSON.stringify({ text: 'from the first tab' })));
    for (const tab of tabs) {
      await tab.waitFor(() => window.app.messages.some((m) => m.includes('to every tab'))
        && window.app.messages.some((m) => m.includes('Meow! You said: from the first tab')));
    }
    const received = await eventually(async () => {
      const r = await catJson(cat, `/received?user=${user}`);
      return r.length ? r : null;
    }, { what: 'the frame at the server' });
    assert.deepEqual(received, [JSON.stringify({ text: 'from the first tab' })]);
    assert.deepEqual(await serverStats(cat, user), ONE_SHARED_SOCKET);

    // What stats() returns is what the shipped declarations say it returns.
    const stats = await tabs[0].eval(() => window.app.ws.stats());
    assert.notEqual(stats.leader, null);
    assert.deepEqual(actualShape(stats), declaredShape(join(work, 'app', 'node_modules', 'wsshare', 'dist', 'wsshare.d.ts'), 'SharedWebSocketStats'));
  });
}

test('3 tabs of the Vite build share 1 connection, frames flow both ways, and stats() has the declared shape', () => threeTabsShareOne(BASE, 'vite'));

test('webpack emits the worker, the wasm and the leader module as assets, and the bundle refers to each', () => {
  const out = join(work, 'root', 'demo', 'webpack');
  const one = (pattern) => {
    const found = webpackAssets.filter((f) => pattern.test(f));
    assert.equal(found.length, 1, `one asset matching ${pattern}, found ${JSON.stringify(webpackAssets)}`);
    return found[0];
  };
  const wasm = one(/\.wasm$/);
  assert.ok(readFileSync(join(out, wasm)).equals(readFileSync(join(PROJECT, 'dist', 'wsshare.wasm'))));
  const main = readFileSync(join(out, 'main.js'), 'utf8');
  for (const asset of [wasm, one(/\.mjs$/), one(/^(?!main\.js$).*\.js$/)]) {
    assert.ok(main.includes(asset), `the bundle names ${asset}`);
  }
});

test('3 tabs of the webpack build share 1 connection, frames flow both ways, and stats() has the declared shape', () => threeTabsShareOne(WEBPACK_BASE, 'webpack'));
