// The demo page as a person uses it: five tabs of one user, a message typed in
// one, the reply in all five, and the emulator counting one connection.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCat } from '../../demo/server.mjs';
import { ONE_SHARED_SOCKET, eventually, launch, serverStats } from './harness.mjs';

let browser;
let cat;

before(async () => {
  browser = await launch();
  cat = await startCat({ port: 0, tokenDelayMs: 5 });
});
after(async () => {
  await browser.close();
  await cat.close();
});

test('5 tabs of the demo share one connection and all see every reply', async () => {
  await browser.inContext(async (ctx) => {
    const tabs = [];
    for (let i = 0; i < 5; i++) {
      const tab = await ctx.openTab(cat.url, '/demo/?user=demo-five');
      await tab.waitFor(() => /OPEN/.test(document.getElementById('status').textContent));
      tabs.push(tab);
    }
    await tabs[2].page.fill('#text', 'hello from the third tab');
    await tabs[2].page.press('#text', 'Enter');
    for (const tab of tabs) {
      await tab.waitFor(() => document.getElementById('log').textContent.includes('Meow! You said: hello from the third tab'));
    }
    const s = await eventually(async () => {
      const r = await serverStats(cat, 'demo-five');
      return r.connections === 1 ? r : null;
    }, { what: 'one connection' });
    assert.deepEqual(s, ONE_SHARED_SOCKET);
    const shown = await tabs[0].eval(() => document.getElementById('status').textContent);
    assert.match(shown, /sharedworker/);
  });
});
