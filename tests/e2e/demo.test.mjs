// The demo page as a person uses it: three tabs of one user, a message typed in
// one, the whole conversation and a notification in all three, and each tab's
// panel showing what the server sees; then plain sockets per tab, where the
// server's kicks show; then an outage, and a Cat elsewhere as a real one would be.
// Screenshots of every tab, at desktop and phone width, go to test-results/<engine>/.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCat } from '../../demo/server.mjs';
import { ONE_SHARED_SOCKET, artefactPath, catJson, eventually, launch, push, serverStats, uniqueUser } from './harness.mjs';

const TABS = 3;
const PHONE = { width: 390, height: 844 };
const KICK_STORM_MS = 20000;

let browser;
let cat;

before(async () => {
  browser = await launch();
  cat = await startCat({ port: 0, policy: 'kick', tokenDelayMs: 5 });
});
after(async () => {
  await browser.close();
  await cat.close();
});

async function openDemoTabs(ctx, query) {
  const tabs = [];
  for (let i = 0; i < TABS; i++) tabs.push(await ctx.openTab(cat.url, `/demo/?${query}`));
  return tabs;
}

// What a person reads off the panel.
const panel = (tab) => tab.eval(() => {
  const text = (id) => document.getElementById(id).textContent;
  return {
    mode: text('st-mode'),
    leader: text('st-leader'),
    tabs: text('st-tabs'),
    connections: text('srv-connections'),
    accepted: text('srv-accepted'),
    kicks: text('srv-kicks'),
  };
});

async function screenshots(tabs, name) {
  for (const [i, tab] of tabs.entries()) await tab.screenshot(artefactPath(`demo-${name}-tab${i + 1}.png`));
  await tabs[0].resize(PHONE.width, PHONE.height);
  await tabs[0].screenshot(artefactPath(`demo-${name}-phone.png`));
}

test('3 tabs of the demo share one connection, all show the conversation, and the panel says 1 connection and 0 kicks', async () => {
  const user = uniqueUser('demo-shared');
  await browser.inContext(async (ctx) => {
    const tabs = await openDemoTabs(ctx, `user=${user}`);
    for (const tab of tabs) await tab.waitFor(() => document.body.dataset.socket === 'open');

    await tabs[1].fill('#text', 'hello from the second tab');
    await tabs[1].press('#text', 'Enter');
    for (const tab of tabs) {
      await tab.waitFor(() => [...document.querySelectorAll('#log .cat:not(.streaming) .body')]
        .some((b) => b.textContent === 'Meow! You said: hello from the second tab'));
    }
    const said = (tab) => tab.eval(() => [...document.querySelectorAll('#log .me')]
      .map((e) => `${e.querySelector('.who').textContent}: ${e.querySelector('.body').textContent}`));
    assert.deepEqual(await said(tabs[1]), ['You: hello from the second tab']);
    assert.deepEqual(await said(tabs[0]), ['You, in another tab: hello from the second tab']);
    assert.deepEqual(await said(tabs[2]), ['You, in another tab: hello from the second tab']);

    for (const tab of tabs) {
      await tab.waitFor((n) => document.getElementById('st-tabs').textContent === String(n) &&
        document.getElementById('srv-connections').textContent === '1', TABS);
      assert.deepEqual(await panel(tab), {
        mode: 'SharedWorker', leader: 'the worker', tabs: String(TABS), connections: '1', accepted: '1', kicks: '0',
      });
    }
    assert.deepEqual(await serverStats(cat, user), ONE_SHARED_SOCKET);

    assert.equal(await push(cat, user, 'The Queen wants to play croquet'), 1);
    for (const tab of tabs) {
      await tab.waitFor(() => [...document.querySelectorAll('#toasts .toast')]
        .some((t) => t.textContent.includes('The Queen wants to play croquet')));
    }
    await screenshots(tabs, 'shared');
  });
});

test('with a plain WebSocket per tab the server kicks them and every panel shows kicks', async () => {
  const user = uniqueUser('demo-direct');
  await browser.inContext(async (ctx) => {
    const tabs = await openDemoTabs(ctx, `user=${user}&mode=direct`);
    for (const tab of tabs) {
      await tab.waitFor(() => Number(document.getElementById('srv-kicks').textContent) > 0 &&
        Number(document.getElementById('st-reconnects').textContent) > 0, undefined, KICK_STORM_MS);
      const shown = await panel(tab);
      assert.equal(shown.mode, 'plain WebSocket');
      assert.equal(shown.leader, 'this tab, alone');
    }
    assert.ok((await serverStats(cat, user)).kicks > 0);
    await screenshots(tabs, 'direct');
  });
});

test('switching from plain WebSockets to Shared, the panel counts from the switch: kicks before it do not show', async () => {
  const user = uniqueUser('demo-switch');
  await browser.inContext(async (ctx) => {
    const direct = await openDemoTabs(ctx, `user=${user}&mode=direct`);
    await direct[0].waitFor(() => Number(document.getElementById('srv-kicks').textContent) > 0, undefined, KICK_STORM_MS);
    for (const tab of direct) await tab.close();
    await eventually(async () => (await serverStats(cat, user)).connections === 0 || null, { what: 'the plain sockets closed' });
    const before = await serverStats(cat, user);
    assert.ok(before.kicks > 0);

    const shared = await openDemoTabs(ctx, `user=${user}&mode=auto`);
    for (const tab of shared) {
      await tab.waitFor((n) => document.getElementById('st-tabs').textContent === String(n) &&
        document.getElementById('srv-connections').textContent === '1' &&
        document.getElementById('srv-accepted').textContent === '1', TABS);
      assert.deepEqual(await panel(tab), {
        mode: 'SharedWorker', leader: 'the worker', tabs: String(TABS), connections: '1', accepted: '1', kicks: '0',
      });
      assert.match(await tab.eval(() => document.getElementById('srv-since').textContent), /when Shared was chosen/);
    }
    const after = await serverStats(cat, user);
    assert.deepEqual(after, { connections: 1, accepted: before.accepted + 1, kicks: before.kicks });
  });
});

test('when the server drops every socket, each tab shows the outage and the tabs come back on one connection', async () => {
  const user = uniqueUser('demo-outage');
  await browser.inContext(async (ctx) => {
    const tabs = await openDemoTabs(ctx, `user=${user}`);
    for (const tab of tabs) await tab.waitFor(() => document.body.dataset.socket === 'open');
    assert.ok(await catJson(cat, '/fault/drop', { method: 'POST' }) >= 1);
    for (const tab of tabs) {
      await tab.waitFor(() => Number(document.getElementById('st-reconnects').textContent) > 0 &&
        document.body.dataset.socket === 'open' &&
        document.getElementById('srv-connections').textContent === '1');
    }
    assert.deepEqual(await serverStats(cat, user), { connections: 1, accepted: 2, kicks: 0 });
  });
});

test('pointed at another Cat with ?server= and its key, the tabs share one connection there and the panel says it has no /stats', async () => {
  const user = uniqueUser('demo-remote');
  const remote = await startCat({ port: 0, policy: 'kick', apiKeyWs: 'cat-key' });
  try {
    await browser.inContext(async (ctx) => {
      const server = remote.url.replace(/^http/, 'ws');
      const tabs = await openDemoTabs(ctx, `user=${user}&server=${encodeURIComponent(server)}&token=cat-key`);
      for (const tab of tabs) await tab.waitFor(() => document.body.dataset.socket === 'open');
      await tabs[0].fill('#text', 'which way?');
      await tabs[0].press('#text', 'Enter');
      for (const tab of tabs) {
        await tab.waitFor(() => document.getElementById('log').textContent.includes('Meow! You said: which way?'));
        const shown = await panel(tab);
        assert.deepEqual([shown.connections, shown.accepted, shown.kicks], ['n/a', 'n/a', 'n/a']);
        assert.equal(await tab.eval(() => document.body.textContent.includes('cat-key')), false, 'the token is never shown');
      }
      assert.deepEqual(await serverStats(remote, user), ONE_SHARED_SOCKET);
      assert.deepEqual(await serverStats(cat, user), { connections: 0, accepted: 0, kicks: 0 });
    });
  } finally {
    await remote.close();
  }
});

test('a Cat that refuses the token shows the error in the chat and the leader keeps retrying', async () => {
  const user = uniqueUser('demo-refused');
  const remote = await startCat({ port: 0, apiKeyWs: 'cat-key' });
  try {
    await browser.inContext(async (ctx) => {
      const server = remote.url.replace(/^http/, 'ws');
      const tab = await ctx.openTab(cat.url, `/demo/?user=${user}&server=${encodeURIComponent(server)}&token=wrong`);
      await tab.waitFor(() => document.querySelector('#log .error') !== null &&
        document.body.dataset.socket === 'reconnecting' &&
        Number(document.getElementById('st-reconnects').textContent) > 1);
      assert.match(await tab.eval(() => document.querySelector('#log .error').textContent), /Cannot connect/);
    });
  } finally {
    await remote.close();
  }
});
