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
import { launch, startCatForFile } from './harness.mjs';

// name: the page is /demo/<name>.html and loads /demo/<name>-client.js, built
// from ./clients/<client>.
export function clientSuite({ name, page, client }) {
  const suite = {
    browser: null,
    cat: null,
    path: `/demo/${name}.html`,
    figures: [],
    servers: new Set(),
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
