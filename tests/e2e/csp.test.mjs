// The demo page under the strict Content-Security-Policy the README gives:
// its tabs still share one connection and messages flow both ways, and the
// browser reports no violation, neither in a page (securitypolicyviolation)
// nor anywhere the policy applies (the worker too: report-uri to the emulator).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCat } from '../../demo/server.mjs';
import { ONE_SHARED_SOCKET, catJson, eventually, launch, push, serverStats, uniqueUser } from './harness.mjs';

const TABS = 3;

let browser;
let cat;

before(async () => {
  browser = await launch();
  cat = await startCat({ port: 0, csp: 'strict' });
});
after(async () => {
  await browser.close();
  await cat.close();
});

// Violations during the page's load reach the emulator's report list; from
// here on each tab also counts the ones its document sees.
async function openDemo(ctx, user) {
  const tab = await ctx.openTab(cat.url, `/demo/?user=${user}`);
  await tab.eval(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  return tab;
}

const bodyHas = (tab, text) => tab.waitFor((t) => document.body.textContent.includes(t), text);

test('3 tabs of the demo under the strict policy share 1 connection, messages flow both ways, and nothing is blocked', async () => {
  const user = uniqueUser('csp');
  await browser.inContext(async (ctx) => {
    const tabs = [];
    for (let i = 0; i < TABS; i++) tabs.push(await openDemo(ctx, user));

    for (const tab of tabs) await tab.waitFor(() => document.body.dataset.socket === 'open');
    assert.equal(await push(cat, user, 'pushed under a strict policy'), 1);
    for (const tab of tabs) await bodyHas(tab, 'pushed under a strict policy');

    await tabs[1].eval(() => {
      document.getElementById('text').value = 'typed under a strict policy';
      document.getElementById('composer').requestSubmit();
    });
    for (const tab of tabs) await bodyHas(tab, 'Meow! You said: typed under a strict policy');
    assert.deepEqual(await catJson(cat, `/received?user=${user}`), [JSON.stringify({ text: 'typed under a strict policy' })]);
    assert.deepEqual(await serverStats(cat, user), ONE_SHARED_SOCKET);

    for (const tab of tabs) assert.deepEqual(await tab.eval(() => window.cspViolations), []);
    assert.deepEqual(await catJson(cat, '/csp-reports'), []);

    // The check can fail: an inline script is refused, seen by the page and
    // reported to the emulator, and then it is the only report there is.
    await tabs[0].eval(() => {
      const s = document.createElement('script');
      s.textContent = 'window.inlineRan = true';
      document.head.append(s);
    });
    await tabs[0].waitFor(() => window.cspViolations.length === 1);
    assert.equal(await tabs[0].eval(() => window.inlineRan), undefined);
    const reports = await eventually(async () => {
      const r = await catJson(cat, '/csp-reports');
      return r.length ? r : null;
    }, { what: 'the inline script report' });
    assert.equal(reports.length, 1, JSON.stringify(reports));
    // Engines that predate script-src-elem name the directive script-src.
    assert.match(reports[0]['effective-directive'], /^script-src(-elem)?$/);
    assert.equal(reports[0]['blocked-uri'], 'inline');
  });
});
