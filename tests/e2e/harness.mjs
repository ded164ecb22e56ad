// The browser side of the end-to-end tests: one small abstraction over three
// drivers (open a tab, evaluate in it, close it; crash or freeze it where the
// driver can) and the emulator. WSSHARE_ENGINE picks chromium, firefox or
// webkit; each test reads as what a user does, not how a driver is spoken to.

import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { startCat } from '../../demo/server.mjs';

const DIST = fileURLToPath(new URL('../../dist', import.meta.url));
const DEBUG_WASM = fileURLToPath(new URL('../../build/debug/wsshare.wasm', import.meta.url));

// The engine every test of this run uses, chosen by WSSHARE_ENGINE.
const ENGINES = ['chromium', 'firefox', 'webkit'];
export const ENGINE = process.env.WSSHARE_ENGINE || 'chromium';
if (!ENGINES.includes(ENGINE)) {
  throw new Error(`WSSHARE_ENGINE must be one of ${ENGINES.join(', ')}, not '${ENGINE}'`);
}

// What a driver cannot do to a tab, and why. Tests that need it declare it,
// `test(name, { skip: lacks('crash') }, fn)`, so the run reports the skip and
// its reason instead of a failure; nothing else is ever skipped.
const MISSING = {
  chromium: {},
  firefox: {
    crash: "firefox: WebDriver BiDi has no command that crashes one tab's content process",
    freeze: 'firefox: WebDriver BiDi has no command that freezes a page (no page lifecycle control)',
    wedge: 'firefox: WebDriver BiDi has no command that runs script in a dedicated worker',
    endworker: 'firefox: WebDriver BiDi has no command that ends a SharedWorker from outside',
  },
  webkit: {
    crash: "webkit: WebKitWebDriver has no command that crashes one page's web process",
    freeze: 'webkit: WebKitWebDriver has no command that freezes a page (no page lifecycle control)',
    wedge: 'webkit: WebKitWebDriver has no command that runs script in a dedicated worker',
    endworker: 'webkit: WebKitWebDriver has no command that ends a SharedWorker from outside',
  },
};

// false when this engine's driver can do it to a tab, else the reason it cannot.
export function lacks(feature) {
  return lacksIn(ENGINE, feature);
}

// The same for a named engine (the bench runs several in one process).
export function lacksIn(engine, feature) {
  return MISSING[engine][feature] || false;
}

// The page every test tab loads: the ES module build, plus a little recorder
// that keeps what each socket saw so tests can read it back.
const TEST_PAGE = `<!doctype html><meta charset="utf-8"><title>wsshare e2e</title>
<script type="module">
import { SharedWebSocket, version } from '/dist/wsshare.mjs';
window.SharedWebSocket = SharedWebSocket;
window.wsshareVersion = version;
window.sockets = [];
window.connect = (path, protocols, options) => {
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
  // The suites test the transparent reconnect unless they name \`reconnect\`
  // (null: the library's default).
  const opts = options && 'reconnect' in options ? options : { reconnect: true, ...(options || {}) };
  const ws = new SharedWebSocket(url, protocols, opts);
  const rec = { ws, events: [], messages: [], errors: [], reconnects: [], closed: null };
  ws.addEventListener('open', () => rec.events.push('open'));
  ws.addEventListener('message', (e) => rec.messages.push(typeof e.data === 'string' ? e.data : '[binary]'));
  ws.addEventListener('error', (e) => { rec.events.push('error'); rec.errors.push(e.message || ''); });
  ws.addEventListener('reconnecting', (e) => { rec.events.push('reconnecting'); rec.reconnects.push({ attempt: e.attempt, delay: e.delay }); });
  ws.addEventListener('close', (e) => {
    rec.events.push('close:' + e.code);
    rec.closed = { code: e.code, reason: e.reason, wasClean: e.wasClean };
  });
  window.sockets.push(rec);
  return new Promise((resolve) => {
    const done = () => resolve({ readyState: ws.readyState, mode: ws.mode, events: rec.events.slice() });
    ws.addEventListener('open', done, { once: true });
    ws.addEventListener('close', done, { once: true });
  });
};
window.pageReady = true;
</script>`;

// How long waitFor polls by default: generous, as the machine is shared and
// WebDriver runs one command at a time.
const WAIT_MS = 20000;

// In-page polling for waitFor, in slices so that no single driver command
// stays busy for long (WebDriver runs one command at a time per session).
const POLL_SLICE_MS = 500;
const POLL = `async (check, arg, slice) => {
  const end = performance.now() + slice;
  for (;;) {
    const value = await check(arg);
    if (value) return { value };
    if (performance.now() >= end) return null;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}`;

// An argument written into an expression; the drivers' own argument passing
// differs, source text does not.
const literal = (arg) => (arg === undefined ? 'undefined' : JSON.stringify(arg));

export async function launch() {
  const { launchEngine } = await import(`./engines/${ENGINE}.mjs`);
  const engine = await launchEngine();
  return {
    engine: ENGINE,
    get version() { return engine.version; },
    // A context is one browser profile's worth of shared state: SharedWorkers,
    // BroadcastChannels and Web Locks are shared by the tabs inside it.
    async newContext() {
      const context = await engine.newContext();
      return {
        async openTab(origin, path = TEST_PATH) {
          const tab = tabOf(await context.newTab(origin + path));
          if (path === TEST_PATH) await tab.waitFor(() => window.pageReady === true);
          return tab;
        },
        close: () => context.close(),
      };
    },
    // Runs fn with a fresh context and closes it, whatever fn does.
    async inContext(fn) {
      const ctx = await this.newContext();
      try {
        return await fn(ctx);
      } finally {
        await ctx.close();
      }
    },
    // Ends every SharedWorker from outside the page, as a crash would.
    endSharedWorkers() {
      const why = lacks('endworker');
      if (why) throw new Error(`${why}; declare the test with { skip: lacks('endworker') }`);
      return engine.endSharedWorkers();
    },
    close: () => engine.close(),
  };
}

function tabOf(tab) {
  const needs = (feature, method = feature, ...args) => {
    const why = lacks(feature);
    if (why) throw new Error(`${why}; declare the test with { skip: lacks('${feature}') }`);
    return tab[method](...args);
  };
  return {
    // The driver's own page object, where it has one (playwright's in Chromium).
    page: tab.page,
    eval: (fn, arg) => tab.run(`(${fn})(${literal(arg)})`),
    async waitFor(fn, arg, timeout = WAIT_MS) {
      const end = Date.now() + timeout;
      for (;;) {
        const slice = Math.max(0, Math.min(POLL_SLICE_MS, end - Date.now()));
        const found = await tab.run(`(${POLL})(${fn}, ${literal(arg)}, ${slice})`);
        if (found) return found.value;
        if (Date.now() >= end) throw new Error(`timed out after ${timeout} ms waiting for ${fn}`);
      }
    },
    close: () => tab.close(),
    // Types into a form field, replacing what it held, and presses a key in it.
    fill: (selector, value) => tab.fill(selector, value),
    press: (selector, key) => tab.press(selector, key),
    // A PNG of what the tab shows, for a person to look at (see artefactPath).
    screenshot: (file) => tab.screenshot(file),
    // The size of the tab's viewport, in CSS pixels.
    resize: (width, height) => tab.resize(width, height),
    // A renderer crash, as the user's OOM or a killed process would cause it.
    crash: () => needs('crash'),
    // Freezes the page as a browser does to a background tab; resume() undoes it.
    freeze: () => needs('freeze'),
    resume: () => needs('freeze', 'resume'),
    // Keeps the page's dedicated worker busy for ms, as a hung leader would be
    // while its page still runs; { done } settles when it is free or gone.
    wedgeWorker: (ms) => needs('wedge', 'wedgeWorker', ms),
    // The page's dedicated worker ends (same driver power as wedging it).
    endWorker: () => needs('wedge', 'endWorker'),
  };
}

const RESULTS = fileURLToPath(new URL(`../../test-results/${ENGINE}`, import.meta.url));

// Where a test saves a file for people to inspect: test-results/<engine>/,
// git-ignored, so each engine's run keeps its own.
export function artefactPath(name) {
  mkdirSync(RESULTS, { recursive: true });
  return join(RESULTS, name);
}

export async function catJson(cat, path, init) {
  const res = await fetch(cat.url + path, init);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

export async function push(cat, user, body, repeat) {
  const q = repeat ? `&repeat=${repeat}` : '';
  return catJson(cat, `/push?user=${encodeURIComponent(user)}${q}`, { method: 'POST', body });
}

// What the emulator counts for a user whose tabs all share one socket.
export const ONE_SHARED_SOCKET = Object.freeze({ connections: 1, accepted: 1, kicks: 0 });

export async function serverStats(cat, user) {
  const s = await catJson(cat, '/stats');
  return {
    connections: (s.connections && s.connections[user]) || 0,
    accepted: (s.accepted && s.accepted[user]) || 0,
    kicks: (s.kicks && s.kicks[user]) || 0,
  };
}

// Polls until check() returns a truthy value or the time is up.
export async function eventually(check, { timeout = 5000, every = 25, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

let userSeq = 0;
// Each test talks as its own user, so tests never see each other's sockets.
export function uniqueUser(name) {
  userSeq += 1;
  return `${name}-${process.pid}-${userSeq}`;
}

// Each tab sends a numbered frame every 20 ms until stopped (the Cat answers
// each with a streamed reply, so faster only builds up its backlog).
export function startSending(tabs, names, every = 20) {
  return Promise.all(tabs.map((tab, i) => tab.eval(([name, ms]) => {
    let k = 0;
    window.sender = setInterval(() => {
      k += 1;
      window.sockets[0].ws.send(JSON.stringify({ text: `${name} ${k}` }));
      window.sentCount = k;
    }, ms);
  }, [names[i], every])));
}

export async function stopSending(tabs) {
  return Promise.all(tabs.map((tab) => tab.eval(() => { clearInterval(window.sender); return window.sentCount || 0; })));
}

// Each tab sends `n` frames at once; the server receives every one, in each
// tab's order, and every tab hears the server's reply to each.
export async function sendInOrder(cat, user, tabs, n = 50) {
  await Promise.all(tabs.map((tab, t) => tab.eval(([t, n]) => {
    for (let k = 1; k <= n; k++) window.sockets[0].ws.send(JSON.stringify({ text: `tab${t} ${k}` }));
  }, [t, n])));
  const all = n * tabs.length;
  const received = await eventually(async () => {
    const r = await catJson(cat, `/received?user=${user}`);
    return r.length >= all ? r : null;
  }, { what: `${all} frames at the server` });
  assert.equal(received.length, all);
  for (let t = 0; t < tabs.length; t++) {
    const mine = received.map((f) => JSON.parse(f).text).filter((x) => x.startsWith(`tab${t} `));
    assert.deepEqual(mine, Array.from({ length: n }, (_, k) => `tab${t} ${k + 1}`));
  }
  for (const tab of tabs) {
    await tab.waitFor((all) => window.sockets[0].messages.filter((m) => JSON.parse(m).type === 'chat').length >= all, all);
  }
}

// Every frame each tab sent is in /received, in the tab's order; duplicates
// (frames the old leader sent but could not acknowledge) are counted.
export async function checkReceived(cat, user, names, counts) {
  const all = await eventually(async () => {
    const r = (await catJson(cat, `/received?user=${user}`)).map((m) => JSON.parse(m).text);
    const done = names.every((name, i) => counts[i] === 0 || r.includes(`${name} ${counts[i]}`));
    return done ? r : null;
  }, { timeout: 20000, what: 'every sent frame at the server' });
  let duplicates = 0;
  names.forEach((name, i) => {
    const seen = new Set();
    let last = 0;
    for (const text of all) {
      if (!text.startsWith(`${name} `)) continue;
      const k = Number(text.slice(name.length + 1));
      if (seen.has(k)) { duplicates++; continue; }
      seen.add(k);
      if (k !== last + 1) {
        const around = all.filter((t) => t.startsWith(`${name} `)).map((t) => Number(t.slice(name.length + 1)))
          .filter((n) => Math.abs(n - k) < 6);
        assert.fail(`${name}: frame ${last + 1} should come before ${k}; around: ${around.join(',')}`);
      }
      last = k;
    }
    assert.equal(last, counts[i], `${name}: all ${counts[i]} frames arrived`);
  });
  return { total: counts.reduce((a, b) => a + b, 0), duplicates };
}

// One tab chats; every tab sees the Cat's reply, which the server sends on
// the socket the message came in on: the leader's.
export async function everyTabHearsAReply(tabs) {
  const text = `still there ${Date.now()}`;
  await tabs[0].eval((t) => window.sockets[0].ws.send(JSON.stringify({ text: t })), text);
  for (const tab of tabs) {
    await tab.waitFor((t) => window.sockets[0].messages.some((m) => JSON.parse(m).text === `Meow! You said: ${t}`), text, 30000);
  }
}

const TEST_PATH = '/demo/e2e.html';

// One emulator per test file, on an ephemeral port, stopped by the file's
// after(). It serves dist/ and, as its demo/, a folder holding the test page:
// pages must come from the server itself, as in real use (the browser treats
// a page it did not fetch from loopback as non-local). Its wsshare.wasm is
// the debug core, whose undefined behaviour traps: these suites check the
// core in the browser too; the tests of what ships serve the release files.
export async function startCatForFile(opts) {
  if (!existsSync(DEBUG_WASM)) throw new Error('the debug core is missing: make build/debug/wsshare.wasm');
  const root = mkdtempSync(join(tmpdir(), 'wsshare-e2e-'));
  mkdirSync(join(root, 'dist'));
  for (const f of readdirSync(DIST)) {
    symlinkSync(f === 'wsshare.wasm' ? DEBUG_WASM : join(DIST, f), join(root, 'dist', f));
  }
  mkdirSync(join(root, 'demo'));
  writeFileSync(join(root, 'demo', 'e2e.html'), TEST_PAGE);
  const cat = await startCat({ port: 0, root, ...opts });
  return {
    ...cat,
    // The folder it serves: a test may add files under demo/ or take them away.
    root,
    async close() {
      await cat.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
