// Firefox for the E2E harness: Debian's firefox-esr driven by puppeteer-core
// over WebDriver BiDi, with a fresh profile per launch. A browser context is a
// BiDi user context: its own SharedWorkers, channels and locks. Its pages are
// tabs of one window: all but the newest are hidden, as a user's other tabs
// are, and their timers fire about once a second.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { atExit, signalGroup } from './cleanup.mjs';

const EXECUTABLE = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';
const VIEWPORT = { width: 1280, height: 720 };

export async function launchEngine() {
  const profile = mkdtempSync(join(tmpdir(), 'wsshare-firefox-'));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true });
  const forgetProfile = atExit(removeProfile);
  let browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      protocol: 'webDriverBiDi',
      executablePath: EXECUTABLE,
      userDataDir: profile,
      headless: true,
      // What playwright gives Chromium's pages, so layouts match across engines.
      defaultViewport: VIEWPORT,
    });
  } catch (err) {
    removeProfile();
    forgetProfile();
    throw err;
  }
  // Firefox leads its own process group (puppeteer starts it detached); ended
  // before its profile is removed.
  const forgetBrowser = atExit(() => signalGroup(browser.process().pid, 'SIGKILL'));
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
        forgetBrowser();
        removeProfile();
        forgetProfile();
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
