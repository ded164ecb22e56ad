// Firefox for the E2E harness: Debian's firefox-esr driven by puppeteer-core
// over WebDriver BiDi, with a fresh profile per launch (puppeteer ends the
// browser's process group on close and on exit). A browser context is a BiDi
// user context: its own SharedWorkers, channels and locks.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const EXECUTABLE = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

export async function launchEngine() {
  const profile = mkdtempSync(join(tmpdir(), 'wsshare-firefox-'));
  let browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      protocol: 'webDriverBiDi',
      executablePath: EXECUTABLE,
      userDataDir: profile,
      headless: true,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const version = (await browser.version()).replace(/^firefox\//, '');
  return {
    version,
    async newContext() {
      const context = await browser.createBrowserContext();
      return {
        async newTab(url) {
          const page = await context.newPage();
          page.on('pageerror', (err) => console.error('page error:', err.message));
          await page.goto(url);
          return tabOf(page);
        },
        close: () => context.close(),
      };
    },
    async close() {
      try {
        await browser.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

function tabOf(page) {
  return {
    run: (expression) => page.evaluate(expression),
    close: () => page.close(),
    async fill(selector, value) {
      await page.$eval(selector, (el) => { el.value = ''; });
      await page.type(selector, value);
    },
    async press(selector, key) {
      await page.focus(selector);
      await page.keyboard.press(key);
    },
    async screenshot(file) {
      await page.screenshot({ path: file });
    },
    resize: (width, height) => page.setViewport({ width, height }),
  };
}
