// WebKit for the E2E harness: WebKitGTK's MiniBrowser driven by selenium-webdriver
// through WebKitWebDriver, on an Xvfb display of our own. A browser context is
// one driver and one MiniBrowser session, with its own fresh data directories.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Builder, By, Key } from 'selenium-webdriver';

const DRIVER = process.env.WEBKIT_DRIVER_PATH || 'WebKitWebDriver';
const MINIBROWSER = process.env.MINIBROWSER_PATH || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const START_TIMEOUT_MS = 15000;
const SCRIPT_TIMEOUT_MS = 120000;
const EXIT_GRACE_MS = 3000;

// Every process we start leads a process group of its own (MiniBrowser and its
// web processes stay in the driver's group), so ending the group by its leader's
// pid ends exactly what we started, also when the test process dies early.
const groups = new Set();
process.on('exit', () => {
  for (const pid of groups) signalGroup(pid, 'SIGKILL');
});
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.once(signal, () => process.exit(code));
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if (err.code !== 'ESRCH') throw err;
  }
}

function startGroup(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true });
  groups.add(child.pid);
  child.exited = new Promise((resolve) => child.once('exit', resolve));
  child.once('error', () => groups.delete(child.pid));
  return child;
}

async function endGroup(child) {
  signalGroup(child.pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), EXIT_GRACE_MS);
  await child.exited;
  clearTimeout(timer);
  // The leader is gone; anything it left behind in its group goes too.
  signalGroup(child.pid, 'SIGKILL');
  groups.delete(child.pid);
}

// Xvfb picks a free display itself and writes its number to the fd we give it.
async function startDisplay() {
  const xvfb = startGroup('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1280x1024x24'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let err = '';
  xvfb.stdio[2].on('data', (d) => { err += d; });
  const display = await new Promise((resolve, reject) => {
    let out = '';
    xvfb.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    xvfb.once('error', reject);
    xvfb.exited.then((code) => reject(new Error(`Xvfb exited (${code}): ${err.trim()}`)));
  });
  return { display, close: () => endGroup(xvfb) };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function until(check, what) {
  const end = Date.now() + START_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startDriver(display, dataDir) {
  const port = await freePort();
  const env = { ...process.env, DISPLAY: display };
  for (const dir of ['data', 'cache', 'config']) {
    const path = join(dataDir, dir);
    mkdirSync(path, { recursive: true });
    env[`XDG_${dir.toUpperCase()}_HOME`] = path;
  }
  const driver = startGroup(DRIVER, [`--port=${port}`], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  driver.exited.then(() => { exited = true; });
  const url = `http://127.0.0.1:${port}`;
  try {
    await until(async () => {
      if (exited) throw new Error(`${DRIVER} exited before it answered`);
      try {
        return (await fetch(`${url}/status`)).ok;
      } catch {
        return false;
      }
    }, `${DRIVER} on port ${port}`);
  } catch (err) {
    await endGroup(driver);
    throw err;
  }
  return { url, close: () => endGroup(driver) };
}

// WebDriver talks to one window at a time: each command switches to its tab's
// window first, and commands run one after another, never interleaved.
function serial() {
  let last = Promise.resolve();
  return (fn) => {
    const run = last.then(fn);
    last = run.catch(() => {});
    return run;
  };
}

// The expression runs in the page as it is written (no eval, so a page's CSP
// does not stop it); undefined and exceptions come back as themselves.
const runScript = (expression) => `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (${expression})).then(
  (value) => done(value === undefined ? { undefined: true } : { value }),
  (e) => done({ error: e && e.name ? e.name + ': ' + e.message : String(e) }));`;

const KEYS = { Enter: Key.ENTER, Tab: Key.TAB, Escape: Key.ESCAPE, Backspace: Key.BACK_SPACE };

export async function launchEngine() {
  const root = mkdtempSync(join(tmpdir(), 'wsshare-webkit-'));
  let screen;
  try {
    screen = await startDisplay();
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const contexts = new Set();
  let seq = 0;
  let version = '';

  async function newContext() {
    seq += 1;
    const server = await startDriver(screen.display, join(root, `context-${seq}`));
    let driver;
    try {
      driver = await new Builder().usingServer(server.url).withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
      }).build();
      await driver.manage().setTimeouts({ script: SCRIPT_TIMEOUT_MS, pageLoad: SCRIPT_TIMEOUT_MS });
      version = (await driver.getCapabilities()).get('browserVersion');
    } catch (err) {
      await server.close();
      throw err;
    }
    const inOrder = serial();
    let current = await driver.getWindowHandle();
    const on = async (handle) => {
      if (current !== handle) await driver.switchTo().window(handle);
      current = handle;
    };
    const ctx = {
      newTab: (url) => inOrder(async () => {
        await driver.switchTo().newWindow('window');
        const handle = await driver.getWindowHandle();
        current = handle;
        await driver.get(url);
        return tabOf(handle);
      }),
      async close() {
        contexts.delete(ctx);
        try {
          await inOrder(() => driver.quit());
        } finally {
          await server.close();
        }
      },
    };
    function tabOf(handle) {
      return {
        run: (expression) => inOrder(async () => {
          await on(handle);
          const r = await driver.executeAsyncScript(runScript(expression));
          if (r.error !== undefined) throw new Error(r.error);
          return r.undefined ? undefined : r.value;
        }),
        close: () => inOrder(async () => {
          await on(handle);
          await driver.close();
          current = null;
        }),
        fill: (selector, value) => inOrder(async () => {
          await on(handle);
          const el = await driver.findElement(By.css(selector));
          await el.clear();
          await el.sendKeys(value);
        }),
        press: (selector, key) => inOrder(async () => {
          await on(handle);
          await driver.findElement(By.css(selector)).sendKeys(KEYS[key] || key);
        }),
        screenshot: (file) => inOrder(async () => {
          await on(handle);
          writeFileSync(file, Buffer.from(await driver.takeScreenshot(), 'base64'));
        }),
        // WebDriver sizes the window; the viewport is what is left inside its
        // frame, so the window grows by whatever the frame takes.
        resize: (width, height) => inOrder(async () => {
          await on(handle);
          const win = driver.manage().window();
          await win.setRect({ width, height });
          const inner = await driver.executeScript('return [innerWidth, innerHeight]');
          await win.setRect({ width: 2 * width - inner[0], height: 2 * height - inner[1] });
        }),
      };
    }
    contexts.add(ctx);
    return ctx;
  }

  return {
    get version() { return version; },
    newContext,
    async close() {
      try {
        await Promise.allSettled([...contexts].map((c) => c.close()));
      } finally {
        await screen.close();
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
