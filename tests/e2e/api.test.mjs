// The drop-in WebSocket contract (README, docs/architecture.md), point by point, in the
// SharedWorker mode (and the same assertions against 'direct' where the
// browser's own socket is the reference).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startCatForFile } from './harness.mjs';

let browser;
let cat;
let ctx;
let tab;

before(async () => {
  browser = await launch();
  cat = await startCatForFile({});
  ctx = await browser.newContext();
  tab = await ctx.openTab(cat.url);
});
after(async () => {
  await ctx.close();
  await browser.close();
  await cat.close();
});

const wsUrl = (path) => cat.url.replace('http', 'ws') + path;

describe('the drop-in WebSocket API (shared mode)', () => {
  test('constants live on the class and on instances; exports include version', async () => {
    const r = await tab.eval(async (url) => {
      const S = window.SharedWebSocket;
      const ws = new S(url);
      const out = {
        cls: [S.CONNECTING, S.OPEN, S.CLOSING, S.CLOSED],
        inst: [ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED],
        version: window.wsshareVersion,
        isEventTarget: ws instanceof EventTarget,
      };
      ws.close();
      return out;
    }, wsUrl('/echo'));
    assert.deepEqual(r.cls, [0, 1, 2, 3]);
    assert.deepEqual(r.inst, [0, 1, 2, 3]);
    assert.match(r.version, /^\d+\.\d+\.\d+/);
    assert.equal(r.isEventTarget, true);
  });

  test('readyState goes CONNECTING, OPEN, CLOSING, CLOSED; url, protocol, extensions, mode are set', async () => {
    const r = await tab.eval(async (url) => {
      const ws = new window.SharedWebSocket(url, ['chat', 'superchat']);
      const states = [ws.readyState];
      await new Promise((resolve) => { ws.onopen = resolve; });
      states.push(ws.readyState);
      const info = { url: ws.url, protocol: ws.protocol, extensions: ws.extensions, mode: ws.mode, isLeader: ws.isLeader };
      const closed = new Promise((resolve) => { ws.onclose = resolve; });
      ws.close();
      states.push(ws.readyState);
      await closed;
      states.push(ws.readyState);
      return { states, ...info };
    }, wsUrl('/echo'));
    assert.deepEqual(r.states, [0, 1, 2, 3]);
    assert.equal(r.url, wsUrl('/echo'));
    assert.equal(r.protocol, 'chat');
    assert.equal(typeof r.extensions, 'string');
    assert.equal(r.mode, 'sharedworker');
    assert.equal(r.isLeader, false);
  });

  test('send() throws InvalidStateError while CONNECTING', async () => {
    const r = await tab.eval((url) => {
      const ws = new window.SharedWebSocket(url);
      try {
        ws.send('too early');
        return 'no throw';
      } catch (e) {
        return { isDOMException: e instanceof DOMException, name: e.name };
      } finally {
        ws.close();
      }
    }, wsUrl('/echo'));
    assert.deepEqual(r, { isDOMException: true, name: 'InvalidStateError' });
  });

  test('close() validates code and reason like the browser', async () => {
    const r = await tab.eval(async (url) => {
      const ws = new window.SharedWebSocket(url);
      await new Promise((resolve) => { ws.onopen = resolve; });
      const attempt = (code, reason) => {
        try { ws.close(code, reason); return 'ok'; } catch (e) { return `${e.constructor.name}:${e.name}`; }
      };
      const native = new WebSocket(url);
      const nativeAttempt = (code, reason) => {
        try { native.close(code, reason); return 'ok'; } catch (e) { return `${e.constructor.name}:${e.name}`; }
      };
      const cases = [[999], [1001], [2999], [5000], [1000, 'x'.repeat(124)], [4000, 'é'.repeat(62)]];
      const out = { ours: cases.map(([c, r]) => attempt(c, r)), native: cases.map(([c, r]) => nativeAttempt(c, r)) };
      out.stillOpen = ws.readyState;
      const closed = new Promise((resolve) => { ws.onclose = (e) => resolve(e); });
      out.valid = attempt(3000, 'é'.repeat(61));
      const e = await closed;
      out.close = { isCloseEvent: e instanceof CloseEvent, code: e.code, reason: e.reason, wasClean: e.wasClean };
      native.close();
      return out;
    }, wsUrl('/echo'));
    assert.deepEqual(r.ours, r.native, 'same exceptions as the browser');
    assert.deepEqual(r.ours, ['DOMException:InvalidAccessError', 'DOMException:InvalidAccessError',
      'DOMException:InvalidAccessError', 'DOMException:InvalidAccessError', 'DOMException:SyntaxError',
      'DOMException:SyntaxError']);
    assert.equal(r.stillOpen, 1);
    assert.equal(r.valid, 'ok');
    assert.deepEqual(r.close, { isCloseEvent: true, code: 3000, reason: 'é'.repeat(61), wasClean: true });
  });

  test('text, ArrayBuffer, typed-array view and Blob frames round-trip; binaryType blob then arraybuffer', async () => {
    const r = await tab.eval(async (url) => {
      const ws = new window.SharedWebSocket(url);
      const got = [];
      ws.onmessage = (e) => got.push(e);
      await new Promise((resolve) => { ws.onopen = resolve; });
      const defaultType = ws.binaryType;
      const bytes = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      ws.send('héllo');
      ws.send(bytes.buffer);
      bytes[0] = 99; // a send snapshots its data
      ws.send(new Uint8Array(bytes.buffer, 2, 3));
      ws.send(new Blob([new Uint8Array([42, 43])]));
      const wait = (n) => new Promise((resolve) => {
        const check = () => (got.length >= n ? resolve() : setTimeout(check, 10));
        check();
      });
      await wait(4);
      ws.binaryType = 'arraybuffer';
      ws.binaryType = 'nonsense'; // ignored, as by the browser
      ws.send(new Uint16Array([258]));
      await wait(5);
      const describe = async (e) => {
        const d = e.data;
        if (typeof d === 'string') return { kind: 'string', value: d };
        if (d instanceof Blob) return { kind: 'Blob', value: [...new Uint8Array(await d.arrayBuffer())] };
        if (d instanceof ArrayBuffer) return { kind: 'ArrayBuffer', value: [...new Uint8Array(d)] };
        return { kind: typeof d };
      };
      const out = {
        defaultType,
        finalType: ws.binaryType,
        frames: await Promise.all(got.map(describe)),
        isMessageEvent: got.every((e) => e instanceof MessageEvent),
        origin: got[0].origin,
      };
      ws.close();
      return out;
    }, wsUrl('/echo'));
    assert.equal(r.defaultType, 'blob');
    assert.equal(r.finalType, 'arraybuffer');
    assert.equal(r.isMessageEvent, true);
    assert.equal(r.origin, new URL(wsUrl('/echo')).origin);
    assert.deepEqual(r.frames, [
      { kind: 'string', value: 'héllo' },
      { kind: 'Blob', value: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
      { kind: 'Blob', value: [2, 3, 4] },
      { kind: 'Blob', value: [42, 43] },
      { kind: 'ArrayBuffer', value: [2, 1] },
    ]);
  });

  test('on* handlers and addEventListener both fire; replacing a handler replaces it', async () => {
    const r = await tab.eval(async (url) => {
      const ws = new window.SharedWebSocket(url);
      const calls = [];
      ws.onmessage = () => calls.push('first');
      ws.onmessage = function (e) { calls.push(this === ws ? 'handler' : 'bad this'); };
      ws.addEventListener('message', (e) => calls.push('listener:' + e.data));
      const opened = [];
      ws.onopen = (e) => opened.push(e.type);
      ws.addEventListener('open', (e) => opened.push('listener:' + e.type));
      await new Promise((resolve) => ws.addEventListener('open', resolve));
      ws.send('ping');
      await new Promise((resolve) => ws.addEventListener('message', resolve));
      ws.onmessage = null;
      ws.send('again');
      await new Promise((resolve) => ws.addEventListener('message', resolve));
      ws.close();
      return { calls, opened, cleared: ws.onmessage };
    }, wsUrl('/echo'));
    assert.deepEqual(r.calls, ['handler', 'listener:ping', 'listener:again']);
    assert.deepEqual(r.opened, ['open', 'listener:open']);
    assert.equal(r.cleared, null);
  });

  test('bufferedAmount counts what is not yet handed to the socket, and drains', async () => {
    const r = await tab.eval(async (url) => {
      const ws = new window.SharedWebSocket(url);
      await new Promise((resolve) => { ws.onopen = resolve; });
      ws.send('x'.repeat(1000));
      const right = ws.bufferedAmount;
      const start = performance.now();
      while (ws.bufferedAmount > 0 && performance.now() - start < 5000) await new Promise((res) => setTimeout(res, 5));
      const drained = ws.bufferedAmount;
      ws.close();
      return { right, drained };
    }, wsUrl('/echo'));
    assert.equal(r.right, 1000);
    assert.equal(r.drained, 0);
  });

  test('bad URLs, protocols and modes throw like the browser', async () => {
    const r = await tab.eval(() => {
      const S = window.SharedWebSocket;
      const name = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.name; } };
      return {
        ftp: name(() => new S('ftp://example.test/')),
        fragment: name(() => new S('ws://127.0.0.1:1/#x')),
        dupProtocol: name(() => new S('ws://127.0.0.1:1/', ['a', 'a'])),
        badProtocol: name(() => new S('ws://127.0.0.1:1/', ['a b'])),
        badMode: name(() => new S('ws://127.0.0.1:1/', [], { mode: 'carrier-pigeon' })),
      };
    });
    assert.deepEqual(r, { ftp: 'SyntaxError', fragment: 'SyntaxError', dupProtocol: 'SyntaxError', badProtocol: 'SyntaxError', badMode: 'TypeError' });
  });

  test('stats() resolves to the tab\'s and the leader\'s counters', async () => {
    const r = await tab.eval(async (url) => {
      const ws = new window.SharedWebSocket(url);
      await new Promise((resolve) => { ws.onopen = resolve; });
      ws.send('a');
      await new Promise((resolve) => { ws.onmessage = resolve; });
      const s = await ws.stats();
      ws.close();
      return s;
    }, wsUrl('/echo'));
    assert.equal(r.mode, 'sharedworker');
    assert.equal(r.tab.sent, 1);
    assert.equal(r.tab.received, 1);
    assert.equal(r.leader.socket, 'open');
    assert.ok(r.leader.framesToServer >= 1);
    assert.ok(r.leader.framesFromServer >= 1);
    for (const k of ['malformed', 'version', 'type', 'size', 'unknownTab', 'replay', 'otherLeader', 'id']) assert.equal(typeof r.leader.rejected[k], 'number');
  });

  // Seen in WebKit first: a stats() asked as the tab closed never settled,
  // its timeout cleared with the tab's other timers.
  test('stats() asked while the tab closes still settles, without the leader\'s part', async () => {
    const r = await tab.eval(async (url) => {
      const ws = new window.SharedWebSocket(url);
      await new Promise((resolve) => { ws.onopen = resolve; });
      const closed = new Promise((resolve) => { ws.onclose = resolve; });
      ws.close();
      const late = ws.stats();
      await closed;
      const s = await Promise.race([late, new Promise((resolve) => setTimeout(resolve, 5000, 'never settled'))]);
      return s === 'never settled' ? s : { leader: s.leader, readyState: s.tab.readyState };
    }, wsUrl('/echo'));
    assert.deepEqual(r, { leader: null, readyState: 2 });
  });

  test('configure() gives a WebSocket-compatible class whose sockets take its options unless given others', async () => {
    const r = await tab.eval(async (url) => {
      const S = window.SharedWebSocket;
      const Keyed = S.configure({ key: 'configured' });
      const opened = (ws) => new Promise((resolve) => { ws.onopen = resolve; });
      // As a library constructs it: url and protocols only.
      const a = new Keyed(url);
      const b = new S(url, [], { key: 'configured' });
      const c = new S(url);
      await Promise.all([a, b, c].map(opened));
      const [sa, sc] = await Promise.all([a.stats(), c.stats()]);
      const direct = new (S.configure({ mode: 'direct' }))(url);
      const overridden = new (Keyed.configure({ mode: 'direct' }))(url, [], { mode: 'sharedworker' });
      await Promise.all([direct, overridden].map(opened));
      const out = {
        constants: [Keyed.CONNECTING, Keyed.OPEN, Keyed.CLOSING, Keyed.CLOSED],
        instance: a instanceof S && a instanceof EventTarget,
        sharedWithSameKey: sa.leader.tabs,
        otherKey: sc.leader.tabs,
        modes: [a.mode, direct.mode, overridden.mode],
      };
      for (const ws of [a, b, c, direct, overridden]) ws.close();
      return out;
    }, wsUrl('/echo'));
    assert.deepEqual(r.constants, [0, 1, 2, 3]);
    assert.equal(r.instance, true);
    assert.equal(r.sharedWithSameKey, 2, 'the configured socket shares with the same key');
    assert.equal(r.otherKey, 1, 'and not with another key');
    assert.deepEqual(r.modes, ['sharedworker', 'direct', 'sharedworker']);
  });

  test('a final server close reaches every tab as a CloseEvent', async () => {
    const r = await tab.eval(async (url) => {
      // A kick closes with 1000, which is retried unless the app lists it as final.
      const ws = new window.SharedWebSocket(url, [], { reconnect: { stopOn: [1000] } });
      await new Promise((resolve) => { ws.onopen = resolve; });
      const e = await new Promise((resolve) => {
        ws.onclose = resolve;
        // A second connection of the same user makes the emulator kick the first.
        const intruder = new WebSocket(url);
        intruder.onopen = () => setTimeout(() => intruder.close(), 200);
      });
      return { code: e.code, reason: e.reason, wasClean: e.wasClean, state: ws.readyState };
    }, wsUrl('/ws/kicked-once'));
    assert.deepEqual(r, { code: 1000, reason: '', wasClean: true, state: 3 });
  });
});

describe('the classic <script> build', () => {
  test('defines WsShare, finds the worker and wasm next to itself, and shares with module users', async () => {
    const r = await tab.eval(async (url) => {
      await new Promise((resolve, reject) => {
        const s = document.createElement('script');
        s.src = '/dist/wsshare.js';
        s.onload = resolve;
        s.onerror = reject;
        document.head.appendChild(s);
      });
      const a = new window.WsShare.SharedWebSocket(url);
      const b = new window.SharedWebSocket(url);
      await Promise.all([a, b].map((ws) => new Promise((resolve) => { ws.onopen = resolve; })));
      const s = await a.stats();
      const out = { version: window.WsShare.version, same: window.WsShare.version === window.wsshareVersion, mode: a.mode, tabs: s.leader.tabs };
      a.close();
      b.close();
      return out;
    }, wsUrl('/echo'));
    assert.equal(r.same, true);
    assert.equal(r.mode, 'sharedworker');
    assert.equal(r.tabs, 2, 'both builds talk to one leader');
  });
});
