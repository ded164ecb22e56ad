// WebKit for the E2E harness: WebKitGTK's MiniBrowser driven by selenium-webdriver
// through WebKitWebDriver, on an Xvfb display of our own. A browser context is
// one driver and one MiniBrowser session, with its own fresh data directories.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Builder, By, Key } from 'selenium-webdriver';
import { atExit, signalGroup } from './cleanup.mjs';

const DRIVER = process.env.WEBKIT_DRIVER_PATH || 'WebKitWebDriver';
const WEBKIT_PACKAGE = 'libwebkit2gtk-4.1-0';
const START_TIMEOUT_MS = 15000;
const SCRIPT_TIMEOUT_MS = 120000;
const EXIT_GRACE_MS = 3000;
const VIEWPORT = { width: 1280, height: 720 };
const RESIZE_STEPS = 4;
const RESIZE_WAIT_MS = 2000;
const GTK_CSS = 'headerbar *, toolbar *, entry, button { min-width: 0; min-height: 0; padding: 0; margin: 0; }\n';

// Every process we start leads a process group of its own (MiniBrowser and its
// web processes stay in the driver's group), so ending the group by its leader's
// pid ends exactly what we started.
function startGroup(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true });
  child.forget = atExit(() => signalGroup(child.pid, 'SIGKILL'));
  // A command that cannot start ends at once, with an error instead of a code.
  child.exited = new Promise((resolve) => {
    child.once('exit', resolve);
    child.once('error', resolve);
  });
  return child;
}

async function endGroup(child) {
  signalGroup(child.pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), EXIT_GRACE_MS);
  await child.exited;
  clearTimeout(timer);
  // The leader is gone; anything it left behind in its group goes too.
  signalGroup(child.pid, 'SIGKILL');
  child.forget();
}

// MiniBrowser lives in the package's architecture-specific library folder.
function miniBrowser() {
  if (process.env.MINIBROWSER_PATH) return process.env.MINIBROWSER_PATH;
  const files = execFileSync('dpkg', ['-L', WEBKIT_PACKAGE], { encoding: 'utf8' }).split('\n');
  const found = files.find((f) => f.endsWith('/MiniBrowser'));
  if (!found) throw new Error(`${WEBKIT_PACKAGE} lists no MiniBrowser`);
  return found;
}

// Xvfb picks a free display itself and writes its number to the fd we give it.
async function startDisplay() {
  const xvfb = startGroup('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1920x1200x24'], {
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
  // MiniBrowser's toolbar would keep its window wider than a phone; this lets
  // the toolbar shrink so that resize() can give a phone-sized viewport.
  mkdirSync(join(env.XDG_CONFIG_HOME, 'gtk-3.0'));
  writeFileSync(join(env.XDG_CONFIG_HOME, 'gtk-3.0', 'gtk.css'), GTK_CSS);
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
  const binary = miniBrowser();
  const root = mkdtempSync(join(tmpdir(), 'wsshare-webkit-'));
  const removeRoot = () => rmSync(root, { recursive: true, force: true });
  const forgetRoot = atExit(removeRoot);
  let screen;
  try {
    screen = await startDisplay();
  } catch (err) {
    removeRoot();
    forgetRoot();
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
        'webkitgtk:browserOptions': { binary, args: ['--automation'] },
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
    // WebDriver sizes the window; the viewport is what is left inside its
    // frame, so the window grows by whatever the frame takes. The window
    // manager applies a size a little later: each step waits to see it.
    async function setViewport(width, height) {
      const win = driver.manage().window();
      const viewport = () => driver.executeScript('return [innerWidth, innerHeight]');
      let seen = await viewport();
      for (let step = 0; step < RESIZE_STEPS; step++) {
        if (seen[0] === width && seen[1] === height) return;
        const rect = await win.getRect();
        await win.setRect({ width: rect.width + width - seen[0], height: rect.height + height - seen[1] });
        const before = seen;
        const end = Date.now() + RESIZE_WAIT_MS;
        do seen = await viewport();
        while (seen[0] === before[0] && seen[1] === before[1] && Date.now() < end);
      }
      throw new Error(`webkit: asked for a ${width}x${height} viewport, the window gives ${seen.join('x')}`);
    }
    const ctx = {
      newTab: (url) => inOrder(async () => {
        // A new window opens from the current one, which must still exist.
        if (current === null) await driver.switchTo().window((await driver.getAllWindowHandles())[0]);
        await driver.switchTo().newWindow('window');
        const handle = await driver.getWindowHandle();
        current = handle;
        // What playwright gives Chromium's pages, so layouts match across engines.
        await setViewport(VIEWPORT.width, VIEWPORT.height);
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
        resize: (width, height) => inOrder(async () => {
          await on(handle);
          await setViewport(width, height);
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
        removeRoot();
        forgetRoot();
      }
    },
  };
}
