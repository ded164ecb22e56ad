// The frame of the suites that run a real client library in tabs against its
// own server: the Cat emulator serves a page with wsshare's script and the
// client, bundled by esbuild as an app would bundle it; each test gets a
// fresh server, so that every count is the test's own; figures the tests
// note are printed at the end.

import { after, before } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import assert from 'node:assert/strict';
import { eventually, launch, startCatForFile, uniqueUser } from './harness.mjs';

// Waits WAIT_MS at most for what a server or a tab should see.
export const WAIT_MS = 10000;

// Of tabs whose pages say isLeader, the one that leads (there must be one) and
// the others.
export function oneLeader(tabs, flags) {
  assert.equal(flags.filter(Boolean).length, 1, `one leader tab, saw ${flags}`);
  const leader = tabs[flags.indexOf(true)];
  return { leader, left: tabs.filter((t) => t !== leader) };
}

// name: the page is /demo/<name>.html and loads /demo/<name>-client.js, built
// from ./clients/<client>. summary(stats) shortens what a server saw for a
// failure's message.
export function clientSuite({ name, page, client, summary = (stats) => stats }) {
  const suite = {
    browser: null,
    cat: null,
    path: `/demo/${name}.html`,
    figures: [],
    servers: new Set(),
    // Waits for check(server.stats()); on time-out fails with what the server saw.
    async serverSees(server, check, what) {
      try {
        return await eventually(() => check(server.stats()), { timeout: WAIT_MS, what });
      } catch (err) {
        throw new Error(`${err.message}; the server saw ${JSON.stringify(summary(server.stats()))}`);
      }
    },
    // What a tab's page says it saw (its window.seen()).
    seenIn: (t) => t.tab.eval(() => window.seen()),
    // Waits for fn(arg) in tab t; on time-out fails with what the tab and the
    // server saw.
    async waitIn(t, server, fn, arg, what) {
      try {
        return await eventually(() => t.tab.eval(fn, arg), { timeout: WAIT_MS, what });
      } catch (err) {
        const seen = await suite.seenIn(t).catch((e) => `(unreadable: ${e.message})`);
        throw new Error(`${t.name}: ${err.message}\n  the tab saw ${JSON.stringify(seen)}` +
          `\n  the server saw ${JSON.stringify(summary(server.stats()))}`);
      }
    },
    // The sharing options of a test: a key of its own, and `more`.
    sharing: (name, more = {}) => ({ key: uniqueUser(name), ...more }),
    // Runs fn with a server start() made, and stops that server after.
    async withServer(start, fn) {
      const server = await start();
      suite.servers.add(server);
      try {
        return await fn(server);
      } finally {
        suite.servers.delete(server);
        await server.close();
      }
    },
  };
  before(async () => {
    suite.browser = await launch();
    suite.cat = await startCatForFile({});
    writeFileSync(join(suite.cat.root, 'demo', `${name}.html`), page);
    await build({
      entryPoints: [fileURLToPath(new URL(`./clients/${client}`, import.meta.url))],
      outfile: join(suite.cat.root, 'demo', `${name}-client.js`),
      bundle: true, format: 'iife', platform: 'browser', target: 'es2020', logLevel: 'warning',
    });
  });
  after(async () => {
    for (const f of suite.figures) console.log(`  ${f}`);
    await suite.browser?.close();
    for (const server of suite.servers) await server.close();
    await suite.cat?.close();
  });
  return suite;
}
