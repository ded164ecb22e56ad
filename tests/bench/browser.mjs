// Headless Chromium for the benchmarks, driven by playwright-core with the
// flags the end-to-end tests use: fresh contexts of bench tabs, renderer
// crashes, and a CDP probe into the leader's SharedWorker for its memory.

import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const PAGE = '/bench/bench.html';

// Rejects after `ms` with what was awaited, so a stuck scenario fails loudly.
export function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function launchBrowser(origin) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const cdp = await browser.newBrowserCDPSession();

  function tabOf(context, page) {
    return {
      eval: (fn, arg) => page.evaluate(fn, arg),
      close: () => page.close({ runBeforeUnload: false }),
      // A CDP session on the page, for its profiler: send(method, params), detach().
      cdp: () => context.newCDPSession(page),
      // A renderer crash, as an out-of-memory kill would cause it.
      async crash() {
        const session = await context.newCDPSession(page);
        const crashed = new Promise((resolve) => page.once('crash', resolve));
        session.send('Page.crash').catch(() => {}); // never answers: the renderer is gone
        await crashed;
      },
    };
  }

  return {
    version: browser.version(),
    // Runs fn with a fresh context (its own SharedWorkers, channels and locks)
    // and closes it afterwards, whatever fn does.
    async inContext(fn) {
      const context = await browser.newContext();
      const ctx = {
        async openTab() {
          const page = await context.newPage();
          page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
          await page.goto(origin + PAGE);
          await page.waitForFunction(() => window.benchReady === true);
          return tabOf(context, page);
        },
        // In parallel: opening pages is most of a round's overhead.
        openTabs: (n) => Promise.all(Array.from({ length: n }, () => ctx.openTab())),
      };
      try {
        return await fn(ctx);
      } finally {
        await context.close();
      }
    },
    workerProbe: (urlPart) => probeWorker(cdp, urlPart),
    // Every dedicated Worker running urlPart (an elected tab's leader, the
    // followers' standby ones): CDP probes of each.
    dedicatedWorkerProbes: async (urlPart) => {
      const { targetInfos } = await cdp.send('Target.getTargets');
      const ids = targetInfos.filter((t) => t.type === 'worker' && t.url.includes(urlPart)).map((t) => t.targetId);
      return Promise.all(ids.map((id) => probeWorker(cdp, urlPart, id)));
    },
    close: () => browser.close(),
  };
}

// Attaches to the SharedWorker whose script URL contains urlPart (or to the
// worker targetId names). Playwright exposes no SharedWorker, so this speaks
// CDP to its target directly.
async function probeWorker(cdp, urlPart, targetId) {
  const { targetInfos } = await cdp.send('Target.getTargets');
  const target = targetInfos.find((t) => (targetId ? t.targetId === targetId : t.type === 'shared_worker') && t.url.includes(urlPart));
  if (!target) throw new Error(`no SharedWorker running ${urlPart}`);
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
  let nextId = 0;
  const pending = new Map();
  const onMessage = (ev) => {
    if (ev.sessionId !== sessionId) return;
    const msg = JSON.parse(ev.message);
    const done = pending.get(msg.id);
    if (!done) return;
    pending.delete(msg.id);
    if (msg.error) done.reject(new Error(`${msg.error.message}`));
    else done.resolve(msg.result);
  };
  cdp.on('Target.receivedMessageFromTarget', onMessage);
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, { resolve, reject });
    cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
  });
  return {
    // Any CDP command to the worker (its profiler, say).
    send,
    // The worker's JS heap after a full collection, in bytes.
    async jsHeap() {
      await send('HeapProfiler.collectGarbage');
      return (await send('Runtime.getHeapUsage')).usedSize;
    },
    // Bytes of the wasm memories the leader holds. Runtime.queryObjects
    // would find them by prototype but crashes this worker, so they are
    // looked up by shape instead: objects (two levels deep) in the closure
    // scope of the worker's entry handler, which is where the host lives.
    async wasmBytes() {
      const entry = await send('Runtime.evaluate', { expression: 'self.onconnect || self.onmessage' });
      const fn = await send('Runtime.getProperties', { objectId: entry.result.objectId, ownProperties: true });
      const scopes = fn.internalProperties.find((p) => p.name === '[[Scopes]]');
      const list = await send('Runtime.getProperties', { objectId: scopes.value.objectId, ownProperties: true });
      const candidates = [];
      for (const scope of list.result) {
        if (!scope.value || scope.value.description !== 'Closure') continue;
        const vars = await send('Runtime.getProperties', { objectId: scope.value.objectId, ownProperties: true });
        for (const v of vars.result) if (v.value && v.value.type === 'object' && v.value.objectId) candidates.push({ objectId: v.value.objectId });
      }
      if (!candidates.length) throw new Error('the leader worker holds nothing in its entry scope');
      const found = await send('Runtime.callFunctionOn', {
        objectId: candidates[0].objectId,
        arguments: candidates,
        functionDeclaration: `function (...objects) {
          const memories = new Set();
          const visit = (o, depth) => {
            if (o instanceof WebAssembly.Memory) memories.add(o);
            else if (o && typeof o === 'object' && depth > 0) for (const v of Object.values(o)) visit(v, depth - 1);
          };
          objects.forEach((o) => visit(o, 2));
          return [...memories].map((m) => m.buffer.byteLength);
        }`,
        returnByValue: true,
      });
      const sizes = found.result.value;
      if (!sizes.length) throw new Error('no WebAssembly.Memory found in the leader worker');
      return sizes.reduce((a, b) => a + b, 0);
    },
    async detach() {
      cdp.off('Target.receivedMessageFromTarget', onMessage);
      await cdp.send('Target.detachFromTarget', { sessionId });
    },
  };
}
