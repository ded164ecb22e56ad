// Chromium for the E2E harness: Debian's chromium driven by playwright-core.
// The only engine whose driver can crash a tab or freeze it (both through
// CDP), so the tests of dead and frozen tabs run in full here.

import { chromium } from 'playwright-core';

const EXECUTABLE = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function launchEngine() {
  // Playwright gives Chromium a fresh profile of its own and removes it on close.
  const browser = await chromium.launch({ executablePath: EXECUTABLE, args: ARGS, headless: true });
  return {
    version: browser.version(),
    async newContext() {
      const context = await browser.newContext();
      return {
        async newTab(url) {
          const page = await context.newPage();
          page.on('pageerror', (err) => console.error('page error:', err.message));
          await page.goto(url);
          return tabOf(context, page);
        },
        close: () => context.close(),
      };
    },
    // Ends every SharedWorker of the browser from outside (CDP closes its
    // target), as a crash or an out-of-memory kill would; how many it ended.
    async endSharedWorkers() {
      const cdp = await browser.newBrowserCDPSession();
      try {
        const { targetInfos } = await cdp.send('Target.getTargets');
        const workers = targetInfos.filter((t) => t.type === 'shared_worker');
        for (const t of workers) await cdp.send('Target.closeTarget', { targetId: t.targetId });
        return workers.length;
      } finally {
        await cdp.detach();
      }
    },
    close: () => browser.close(),
  };
}

function tabOf(context, page) {
  let cdp = null;
  const session = async () => {
    if (!cdp) cdp = await context.newCDPSession(page);
    return cdp;
  };
  return {
    page,
    run: (expression) => page.evaluate(expression),
    close: () => page.close(),
    fill: (selector, value) => page.fill(selector, value),
    press: (selector, key) => page.press(selector, key),
    screenshot: (file) => page.screenshot({ path: file }),
    resize: (width, height) => page.setViewportSize({ width, height }),
    // A renderer crash, as the user's OOM or a killed process would cause it.
    async crash() {
      const s = await session();
      const crashed = new Promise((resolve) => page.once('crash', resolve));
      // The command never answers: the renderer is gone before it can.
      s.send('Page.crash').catch(() => {});
      await crashed;
    },
    // What the browser does to a background tab to save power: no task of
    // the page runs until it is resumed, and it keeps its locks meanwhile.
    async freeze() {
      await (await session()).send('Page.setWebLifecycleState', { state: 'frozen' });
    },
    async resume() {
      await (await session()).send('Page.setWebLifecycleState', { state: 'active' });
    },
    // The page's dedicated worker ends itself, as a worker the browser
    // ends would: its locks go, its page lives on.
    async endWorker() {
      const [worker] = page.workers();
      if (!worker) throw new Error('the page runs no worker');
      await worker.evaluate(() => self.close()).catch(() => {});
    },
    async wedgeWorker(ms) {
      const [worker] = page.workers();
      if (!worker) throw new Error('the page runs no worker');
      const done = worker.evaluate((t) => { const end = Date.now() + t; while (Date.now() < end); }, ms).catch(() => {});
      return { done };
    },
  };
}
