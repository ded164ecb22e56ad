// The builds where real sites put them. The classic <script>: an app under a
// sub-path loading wsshare from another directory by a relative src, a page
// elsewhere loading the same files by an absolute src, and a site that keeps
// the worker and wasm apart from the script (workerUrl / wasmUrl). The ES
// module, unbundled, imported from a versioned CDN-like path.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCat } from '../../demo/server.mjs';
import { ONE_SHARED_SOCKET, launch, serverStats, uniqueUser } from './harness.mjs';

const DIST = fileURLToPath(new URL('../../dist', import.meta.url));

// Under the emulator's /demo/: every path below is a URL path too.
const FILES = {
  'static/wsshare': ['wsshare.js', 'wsshare-worker.js', 'wsshare.wasm'],
  'script-only': ['wsshare.js'],
  'leader-files': ['wsshare-worker.js', 'wsshare.wasm'],
  'vendor/wsshare/0.1.0': ['wsshare.mjs', 'wsshare-worker.js', 'wsshare.wasm'],
  'vendor/wsshare/0.2.0': ['wsshare.mjs', 'wsshare-worker.js', 'wsshare.wasm'],
};
const page = (src) => `<!doctype html><meta charset="utf-8"><title>wsshare script</title><script src="${src}"></script>`;
const PAGES = {
  'shop/cart/index.html': page('../../static/wsshare/wsshare.js'),
  'account.html': page('/demo/static/wsshare/wsshare.js'),
  'apart.html': page('/demo/script-only/wsshare.js'),
  'shop/module.html': `<!doctype html><meta charset="utf-8"><title>wsshare module</title>
<script type="module">
import * as WsShare from '/demo/vendor/wsshare/0.1.0/wsshare.mjs';
window.WsShare = WsShare;
</script>`,
  'shop/next.html': `<!doctype html><meta charset="utf-8"><title>wsshare module, next deploy</title>
<script type="module">
import * as WsShare from '/demo/vendor/wsshare/0.2.0/wsshare.mjs';
window.WsShare = WsShare;
</script>`,
};

let root;
let cat;
let browser;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'wsshare-script-'));
  for (const [dir, files] of Object.entries(FILES)) {
    mkdirSync(join(root, 'demo', dir), { recursive: true });
    for (const f of files) symlinkSync(join(DIST, f), join(root, 'demo', dir, f));
  }
  for (const [file, html] of Object.entries(PAGES)) {
    mkdirSync(join(root, 'demo', file, '..'), { recursive: true });
    writeFileSync(join(root, 'demo', file), html);
  }
  cat = await startCat({ port: 0, root });
  browser = await launch();
});
after(async () => {
  await browser.close();
  await cat.close();
  rmSync(root, { recursive: true, force: true });
});

// Opens a page whose script or module puts wsshare at window.WsShare.
async function openWsSharePage(ctx, path) {
  const tab = await ctx.openTab(cat.url, path);
  await tab.waitFor(() => typeof window.WsShare === 'object');
  return tab;
}

// Opens a socket from the page's WsShare global; resolves with what it became.
// The chat keeps no state per connection: a new leader may be hidden from it.
function connect(tab, user, options = { reconnect: true }) {
  return tab.eval(([path, opts]) => new Promise((resolve) => {
    const ws = new window.WsShare.SharedWebSocket(`ws://${location.host}${path}`, [], opts);
    window.ws = ws;
    ws.onopen = () => ws.stats().then((s) => resolve({ mode: ws.mode, tabs: s.leader && s.leader.tabs }));
    ws.onclose = (e) => resolve({ closed: e.code });
  }), [`/ws/${user}`, options]);
}

test('an app under a sub-path and a page elsewhere both find the files next to the script, and share one socket', async () => {
  const user = uniqueUser('script');
  await browser.inContext(async (ctx) => {
    const cart = await openWsSharePage(ctx, '/demo/shop/cart/');
    const account = await openWsSharePage(ctx, '/demo/account.html');
    assert.deepEqual(await connect(cart, user), { mode: 'sharedworker', tabs: 1 });
    assert.deepEqual(await connect(account, user), { mode: 'sharedworker', tabs: 2 });
    assert.deepEqual(await serverStats(cat, user), ONE_SHARED_SOCKET);
    assert.match(await account.eval(() => window.WsShare.version), /^\d+\.\d+\.\d+/);
  });
});

test('workerUrl and wasmUrl point a script kept apart from its worker and wasm at them', async () => {
  await browser.inContext(async (ctx) => {
    const tab = await openWsSharePage(ctx, '/demo/apart.html');
    const options = { workerUrl: '/demo/leader-files/wsshare-worker.js', wasmUrl: '/demo/leader-files/wsshare.wasm' };
    assert.deepEqual(await connect(tab, uniqueUser('apart'), options), { mode: 'sharedworker', tabs: 1 });
    // Without them the worker is looked for next to the script, is not
    // there (nor the page-side leader), and 'auto' ends with a socket of the
    // tab's own.
    assert.deepEqual(await connect(tab, uniqueUser('apart-default')), { mode: 'direct', tabs: null });
  });
});

test('the ES module imported from a versioned path finds its worker and wasm next to itself', async () => {
  const user = uniqueUser('module');
  await browser.inContext(async (ctx) => {
    const tab = await openWsSharePage(ctx, '/demo/shop/module.html');
    assert.deepEqual(await connect(tab, user), { mode: 'sharedworker', tabs: 1 });
    assert.deepEqual(await serverStats(cat, user), ONE_SHARED_SOCKET);
  });
});

// Across a deploy, old and new tabs load the worker from two URLs: two
// SharedWorkers. They share one socket all the same (the second waits for the
// first's leader lock, its tabs served through the bus), and when the first
// goes, the second takes over.
test('tabs whose SharedWorkers come from two URLs share one socket, and the second takes over from the first', async () => {
  const user = uniqueUser('deploy');
  await browser.inContext(async (ctx) => {
    const old = await openWsSharePage(ctx, '/demo/shop/module.html');
    const next = await openWsSharePage(ctx, '/demo/shop/next.html');
    assert.deepEqual(await connect(old, user), { mode: 'sharedworker', tabs: 1 });
    assert.deepEqual(await connect(next, user), { mode: 'sharedworker', tabs: 2 });
    assert.deepEqual(await serverStats(cat, user), ONE_SHARED_SOCKET);
    await next.eval(() => {
      window.seen = [];
      window.ws.addEventListener('reconnecting', () => window.seen.push('reconnecting'));
      window.ws.addEventListener('open', () => window.seen.push('open'));
    });
    await old.close();
    await next.waitFor(() => window.seen.includes('open'), undefined, 10000);
    assert.deepEqual(await next.eval(() => window.seen), ['reconnecting', 'open']);
    const s = await serverStats(cat, user);
    assert.equal(s.connections, 1);
    assert.equal(s.kicks, 0);
    assert.equal(await next.eval(() => window.ws.stats().then((st) => st.leader.tabs)), 1);
  });
});

// A SharedWorker asks for the leader lock as its first tab asks it to start,
// before its core is loaded. One whose core does not load must let the lock
// go: held, it would keep every other worker of the socket (another deploy's
// URL) from ever leading, and their tabs from ever opening.
test('a SharedWorker whose core does not load lets the leader lock go: a worker from another URL leads', { timeout: 60000 }, async () => {
  const user = uniqueUser('nocore');
  await browser.inContext(async (ctx) => {
    const broken = await openWsSharePage(ctx, '/demo/apart.html');
    const failed = await connect(broken, user, {
      mode: 'sharedworker', workerUrl: '/demo/leader-files/wsshare-worker.js', wasmUrl: '/demo/leader-files/missing.wasm',
    });
    assert.ok(failed.closed, `the tab whose worker has no core closes: ${JSON.stringify(failed)}`);
    const other = await openWsSharePage(ctx, '/demo/apart.html');
    assert.deepEqual(await connect(other, user, {
      mode: 'sharedworker', workerUrl: '/demo/static/wsshare/wsshare-worker.js', wasmUrl: '/demo/static/wsshare/wsshare.wasm',
    }), { mode: 'sharedworker', tabs: 1 });
    assert.deepEqual(await serverStats(cat, user), ONE_SHARED_SOCKET);
  });
});
