// Tests of the emulator's fault switches (demo/server.mjs, documented in
// demo/README.md): drop every socket, refuse upgrades with 403 for a while,
// close with a given code, stop answering pings, restart the listener.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { WAIT_MS, cat, get, post, settle, stats, within } from './helpers.mjs';

// Polls until check() is truthy; fails the test after WAIT_MS.
async function until(check, what) {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('/fault/drop terminates every socket without a close frame and keeps listening', async (t) => {
  const c = await cat(t);
  const alice = await c.connect('/ws/alice');
  const echo = await c.connect('/echo');
  const answer = await post(c, '/fault/drop');
  assert.equal(answer.json(), 2);
  const closes = await within(WAIT_MS, Promise.all([alice.closed, echo.closed]));
  assert.deepEqual(closes.map((x) => x.code), [1006, 1006]);
  const again = await c.connect('/ws/alice');
  assert.equal(again.ws.readyState, WebSocket.OPEN);
  await settle();
  assert.deepEqual(await stats(c), { connections: { alice: 1 }, accepted: { alice: 2 }, kicks: { alice: 0 } });
});

test('/fault/refuse?ms=N answers upgrades with 403 for N ms, then accepts them again', async (t) => {
  const c = await cat(t);
  const open = await c.connect('/ws/alice');
  assert.deepEqual((await post(c, '/fault/refuse?ms=600000')).json(), { refusingMs: 600000 });
  assert.equal(await c.refused('/ws/bob'), 403);
  assert.equal(await c.refused('/echo'), 403);
  assert.equal(open.ws.readyState, WebSocket.OPEN, 'sockets already open are left alone');
  // A new switch replaces the old one: this refusal ends on its own, soon.
  await post(c, '/fault/refuse?ms=200');
  const bob = await until(async () => {
    const attempt = c.open('/ws/bob');
    return attempt.opened.then(() => attempt, () => null);
  }, 'the refusal to end');
  assert.equal(bob.ws.readyState, WebSocket.OPEN);
});

test('/fault/refuse?ms=0 ends a refusal at once, and /reset ends it too', async (t) => {
  const c = await cat(t);
  await post(c, '/fault/refuse?ms=600000');
  assert.equal(await c.refused('/ws/alice'), 403);
  await post(c, '/fault/refuse?ms=0');
  await c.connect('/ws/alice');
  await post(c, '/fault/refuse?ms=600000');
  await post(c, '/reset');
  await c.connect('/ws/bob');
});

test('/fault/close closes every socket, or one user\'s, with the code and reason given', async (t) => {
  const c = await cat(t);
  const alice = await c.connect('/ws/alice');
  const bob = await c.connect('/ws/bob');
  assert.equal((await post(c, '/fault/close?code=4001&reason=go%20away&user=alice')).json(), 1);
  assert.deepEqual(await within(WAIT_MS, alice.closed), { code: 4001, reason: 'go away' });
  await settle();
  assert.equal(bob.ws.readyState, WebSocket.OPEN);
  assert.equal((await post(c, '/fault/close?code=1012')).json(), 1);
  assert.deepEqual(await within(WAIT_MS, bob.closed), { code: 1012, reason: '' });
});

test('/fault/close refuses codes a server cannot send and reasons over 123 bytes', async (t) => {
  const c = await cat(t);
  const alice = await c.connect('/ws/alice');
  for (const q of ['code=1005', 'code=1006', 'code=999', 'code=5000', 'code=2000', 'code=x', `reason=${'r'.repeat(124)}`]) {
    assert.equal((await post(c, `/fault/close?${q}`)).status, 422, q);
  }
  await settle();
  assert.equal(alice.ws.readyState, WebSocket.OPEN);
});

test('/fault/pings?answer=false leaves clients\' pings unanswered until answer=true', async (t) => {
  const c = await cat(t);
  const alice = await c.connect('/ws/alice');
  const pongs = [];
  alice.ws.on('pong', (data) => pongs.push(data.toString()));
  alice.ws.ping('one');
  await until(() => pongs.length === 1, 'the first pong');
  assert.deepEqual((await post(c, '/fault/pings?answer=false')).json(), { answerPings: false });
  alice.ws.ping('two');
  await sleep(200);
  assert.deepEqual(pongs, ['one'], 'no pong while switched off');
  await post(c, '/fault/pings?answer=true');
  alice.ws.ping('three');
  await until(() => pongs.length === 2, 'a pong once switched back on');
  assert.deepEqual(pongs, ['one', 'three']);
  assert.equal((await post(c, '/fault/pings?answer=maybe')).status, 422);
});

test('/fault/restart?ms=N drops every socket, refuses connections for N ms, then listens on the same port', async (t) => {
  const c = await cat(t);
  const alice = await c.connect('/ws/alice');
  alice.ws.send('{"text":"before"}');
  await until(async () => (await get(c, '/received?user=alice')).json().length === 1, 'the first frame');
  assert.deepEqual((await post(c, '/fault/restart?ms=1000')).json(), { downMs: 1000 });
  assert.equal((await within(WAIT_MS, alice.closed)).code, 1006);
  // A kept-alive HTTP connection may still be closing: wait for a refusal.
  await until(() => get(c, '/stats').then(() => false, (err) => err.code === 'ECONNREFUSED'), 'connections to be refused');
  const back = await until(async () => {
    const attempt = c.open('/ws/alice');
    return attempt.opened.then(() => attempt, () => null);
  }, 'the listener to come back');
  back.ws.send('{"text":"after"}');
  await until(async () => (await get(c, '/received?user=alice')).json().length === 2, 'the second frame');
  assert.deepEqual((await get(c, '/received?user=alice')).json(), ['{"text":"before"}', '{"text":"after"}'],
    'what the users sent survives a restart');
  assert.equal((await stats(c)).accepted.alice, 2);
});

test('close() during a restart stops for good: the listener does not come back', async (t) => {
  const c = await cat(t);
  await post(c, '/fault/restart?ms=100');
  await sleep(20);
  await within(WAIT_MS, c.close());
  await sleep(200);
  await assert.rejects(get(c, '/'), { code: 'ECONNREFUSED' });
});

test('fault switches check their parameters', async (t) => {
  const c = await cat(t);
  for (const q of ['/fault/refuse', '/fault/refuse?ms=-1', '/fault/refuse?ms=1.5', '/fault/refuse?ms=600001',
    '/fault/restart?ms=abc', '/fault/pings']) {
    assert.equal((await post(c, q)).status, 422, q);
  }
  assert.equal((await get(c, '/fault/drop')).status, 405);
});
