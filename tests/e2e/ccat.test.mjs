// The Cheshire Cat's own npm client, ccat-api, unmodified, in 3 tabs of one
// user against a Cat that closes a user's older socket when a newer one
// opens (the kick policy of core 1.6–1.8). Bundled with its isomorphic-ws
// import pointed at wsshare, the 3 clients ride on one server connection:
// no kick, and every reply reaches every tab. Bundled as it ships, on the
// browser's WebSocket, the same 3 tabs kick each other.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ENGINE, ONE_SHARED_SOCKET, catJson, eventually, launch, serverStats, startCatForFile, uniqueUser } from './harness.mjs';

const clientFile = (name) => fileURLToPath(new URL(`./clients/${name}`, import.meta.url));

// A page as an app would have it: ccat-api's bundle (after wsshare's script
// when it shares) and a recorder of everything its client reported.
const page = (title, scripts) => `<!doctype html><meta charset="utf-8"><title>${title}</title>
${scripts.map((src) => `<script src="${src}"></script>`).join('\n')}
<script>
// One CatClient per tab, for the given user, on this page's host and port;
// what its handlers see lands in window.rec.
window.start = (user) => {
  const rec = { createdAt: Date.now(), connected: [], disconnected: [], messages: [], errors: [] };
  window.rec = rec;
  const client = new CatClient({ host: location.hostname, port: Number(location.port), userId: user });
  client
    .onConnected(() => rec.connected.push(Date.now() - rec.createdAt))
    .onDisconnected(() => rec.disconnected.push(Date.now() - rec.createdAt))
    .onMessage((m) => rec.messages.push(m.type === 'chat' ? { type: m.type, text: m.text, who: m.who } : { type: m.type, content: m.content }))
    .onError((e) => rec.errors.push({ name: e.name, description: e.description }));
  window.client = client;
};
window.say = (text) => { window.client.send({ text }); };
// A plain copy of the record, plus the mode of the socket the client holds.
window.seen = () => JSON.parse(JSON.stringify({ ...window.rec, mode: (window.client.ws && window.client.ws.mode) || null }));
window.pageReady = true;
</script>`;

const SHARED_PAGE = '/demo/ccat-shared.html';
const DEFAULT_PAGE = '/demo/ccat-default.html';
const PLAIN_PAGE = '/demo/ccat-plain.html';

let browser;
let cat;

before(async () => {
  browser = await launch();
  cat = await startCatForFile({ policy: 'kick' });
  const demo = join(cat.root, 'demo');
  const bundle = (outfile, alias) => build({
    entryPoints: [clientFile('ccat-client.mjs')],
    outfile: join(demo, outfile),
    bundle: true, format: 'iife', platform: 'browser', target: 'es2020', logLevel: 'warning',
    ...(alias ? { alias } : {}),
  });
  // Shared: isomorphic-ws is our module, which hands out wsshare's class.
  await bundle('ccat-shared.js', { 'isomorphic-ws': clientFile('isomorphic-ws-shared.mjs') });
  // Shared on the defaults: no transparent reconnect.
  await bundle('ccat-default.js', { 'isomorphic-ws': clientFile('isomorphic-ws-shared-default.mjs') });
  // Plain: isomorphic-ws resolves to its own browser entry, the browser's WebSocket.
  await bundle('ccat-plain.js', null);
  writeFileSync(join(demo, 'ccat-shared.html'), page('ccat-api over wsshare', ['/dist/wsshare.js', '/demo/ccat-shared.js']));
  writeFileSync(join(demo, 'ccat-default.html'), page('ccat-api over wsshare, defaults', ['/dist/wsshare.js', '/demo/ccat-default.js']));
  writeFileSync(join(demo, 'ccat-plain.html'), page('ccat-api on WebSocket', ['/demo/ccat-plain.js']));
});
after(async () => {
  await browser?.close();
  await cat?.close();
});

const seenIn = (tab) => tab.eval(() => window.seen());

// Opens n tabs one after the other, each starting its client for the user.
async function openClients(ctx, path, user, n) {
  const tabs = [];
  for (let i = 0; i < n; i++) {
    const tab = await ctx.openTab(cat.url, path);
    await tab.waitFor(() => window.pageReady === true);
    await tab.eval((u) => window.start(u), user);
    tabs.push(tab);
  }
  return tabs;
}

describe('ccat-api in 3 tabs against a Cat that kicks older sockets', () => {
  test('over wsshare: 1 server connection, 0 kicks, every reply in every tab, no close or error', async () => {
    const user = uniqueUser('ccat');
    await browser.inContext(async (ctx) => {
      const tabs = await openClients(ctx, SHARED_PAGE, user, 3);
      for (const tab of tabs) await tab.waitFor(() => window.rec.connected.length > 0 || window.rec.errors.length > 0);
      assert.deepEqual(await serverStats(cat, user), ONE_SHARED_SOCKET, 'one connection once all 3 clients are connected');

      const texts = tabs.map((_, i) => `hello from tab ${i + 1}`);
      for (const [i, tab] of tabs.entries()) await tab.eval((t) => window.say(t), texts[i]);
      const replies = texts.map((t) => `Meow! You said: ${t}`);
      for (const tab of tabs) {
        await tab.waitFor((n) => window.rec.messages.filter((m) => m.type === 'chat').length >= n, replies.length);
      }

      const seen = await Promise.all(tabs.map(seenIn));
      seen.forEach((s, i) => {
        const what = `tab ${i + 1} saw ${JSON.stringify(s)}`;
        const chats = s.messages.filter((m) => m.type === 'chat');
        assert.deepEqual(chats.map((m) => m.text).sort(), [...replies].sort(), `every reply exactly once: ${what}`);
        assert.ok(chats.every((m) => m.who === 'AI'), what);
        // The streamed tokens came too, and spell out the replies in order.
        const tokens = s.messages.filter((m) => m.type === 'chat_token').map((m) => m.content).join('');
        assert.equal(tokens, chats.map((m) => m.text).join(''), `the tokens spell the replies: ${what}`);
        assert.equal(s.messages.length, s.messages.filter((m) => m.type === 'chat' || m.type === 'chat_token').length, what);
        assert.equal(s.connected.length, 1, `connected once: ${what}`);
        assert.deepEqual(s.disconnected, [], `never disconnected: ${what}`);
        assert.deepEqual(s.errors, [], `no error: ${what}`);
      });

      // Each tab's message reached the Cat once, as ccat-api sends it.
      const received = (await catJson(cat, `/received?user=${encodeURIComponent(user)}`)).map((m) => JSON.parse(m));
      assert.deepEqual(received.map((m) => m.text).sort(), [...texts].sort(), 'each message reached the Cat once');
      assert.ok(received.every((m) => m.user_id === user), 'ccat-api put its user_id in each');

      const stats = await serverStats(cat, user);
      assert.deepEqual(stats, ONE_SHARED_SOCKET, 'still one connection and no kick');
      const perTab = seen.map((s) => s.messages.filter((m) => m.type === 'chat').length);
      console.log(`  ${ENGINE}: ccat-api over wsshare (${seen[0].mode}), 3 tabs: ${stats.accepted} connection(s), ` +
        `${stats.kicks} kick(s), replies per tab ${perTab.join('/')} of ${replies.length}, ` +
        `streamed tokens per tab ${seen.map((s) => s.messages.filter((m) => m.type === 'chat_token').length).join('/')}`);
    });
  });

  // Without `reconnect` a lost connection is not hidden: each client sees its
  // socket close, as on a plain WebSocket, and reconnects by its own retry,
  // and the new sockets share one connection again.
  test('over wsshare without reconnect: a server drop disconnects every client, whose own retries share one connection again', async () => {
    const user = uniqueUser('ccatdrop');
    await browser.inContext(async (ctx) => {
      const tabs = await openClients(ctx, DEFAULT_PAGE, user, 3);
      for (const tab of tabs) await tab.waitFor(() => window.rec.connected.length > 0);
      assert.deepEqual(await serverStats(cat, user), ONE_SHARED_SOCKET);
      const t0 = Date.now();
      assert.ok(await catJson(cat, '/fault/drop', { method: 'POST' }) >= 1);
      // ccat-api waits 3 s before its retry.
      for (const tab of tabs) {
        await tab.waitFor(() => window.rec.disconnected.length >= 1 && window.rec.connected.length >= 2, undefined, 15000);
      }
      const back = Date.now() - t0;
      await tabs[0].eval(() => window.say('after the drop'));
      for (const tab of tabs) {
        await tab.waitFor(() => window.rec.messages.some((m) => m.type === 'chat' && m.text === 'Meow! You said: after the drop'));
      }
      const stats = await serverStats(cat, user);
      assert.equal(stats.connections, 1, `one connection again: ${JSON.stringify(stats)}`);
      assert.equal(stats.kicks, 0, `no kick: ${JSON.stringify(stats)}`);
      const seen = await Promise.all(tabs.map(seenIn));
      // What ccat-api reports of a lost socket (its SocketError for the
      // unclean close's error event, SocketClosed), and nothing else.
      seen.forEach((s, i) => assert.deepEqual(s.errors.filter((e) => e.name !== 'SocketError' && e.name !== 'SocketClosed'), [],
        `tab ${i + 1}: ${JSON.stringify(s.errors)}`));
      console.log(`  ${ENGINE}: ccat-api over wsshare without reconnect: a server drop disconnected every client; ` +
        `all 3 connected again ${back} ms after it, on ${stats.connections} connection, ${stats.kicks} kicks`);
    });
  });

  test('on the browser\'s WebSocket, the same 3 tabs kick each other, and ccat-api\'s retries keep kicking', async () => {
    const user = uniqueUser('ccatplain');
    await browser.inContext(async (ctx) => {
      const t0 = Date.now();
      const tabs = await openClients(ctx, PLAIN_PAGE, user, 3);
      // Opening tabs 2 and 3 kicks the one before; the kicked client retries
      // after its 3 s delay and kicks the newest in turn, and so on.
      const stats = await eventually(async () => {
        const s = await serverStats(cat, user);
        return s.kicks >= 3 ? s : null;
      }, { timeout: 10000, what: 'a kick by a reconnecting client' });
      const seen = await Promise.all(tabs.map(seenIn));
      assert.ok(stats.kicks > 0, `kicks: ${JSON.stringify(stats)}`);
      const disconnects = seen.map((s) => s.disconnected.length);
      assert.ok(disconnects.reduce((a, b) => a + b, 0) > 0, `some tab was disconnected: ${JSON.stringify(seen)}`);
      console.log(`  ${ENGINE}: ccat-api on plain WebSockets, 3 tabs, after ${((Date.now() - t0) / 1000).toFixed(1)} s: ` +
        `${stats.accepted} connections, ${stats.kicks} kicks, disconnects per tab ${disconnects.join('/')}`);
    });
  });
});
