// What the emulator's tests share: an emulator per test with ws clients bound
// to it (closed when the test ends), small HTTP helpers, and bounded waits.

import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { startCat } from '../../demo/server.mjs';

export const WAIT_MS = 2000;

/**
 * Start an emulator for one test, with ws clients bound to it. When the test
 * ends, its clients are terminated first and then the server is closed, within
 * a bound: a close() that cannot end its sockets fails that test, never hangs the run.
 */
export async function cat(t, opts = {}) {
  const logs = [];
  const server = await startCat({ port: 0, log: (line) => logs.push(line), ...opts });
  const wsBase = server.url.replace(/^http/, 'ws');
  const clients = [];
  t.after(async () => {
    for (const c of clients) c.ws.terminate();
    await within(WAIT_MS, server.close());
  });
  const open = (pathname, options) => {
    const c = client(`${wsBase}${pathname}`, options);
    clients.push(c);
    return c;
  };
  return {
    ...server,
    logs,
    open,
    async connect(pathname, options) {
      const c = open(pathname, options);
      await c.opened;
      return c;
    },
    refused: (pathname) => refusedStatus(open(pathname)),
  };
}

export function request(baseUrl, method, pathname, { body, headers } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${pathname}`, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const get = (cat, pathname, options) => request(cat.url, 'GET', pathname, options);
export const post = (cat, pathname, body) => request(cat.url, 'POST', pathname, { body });
export const stats = async (cat) => (await get(cat, '/stats')).json();

/**
 * A ws client that buffers what it receives, so a test can await the next
 * frame, check that none came, or await the close.
 */
export function client(url, options) {
  const ws = new WebSocket(url, options);
  const frames = [];
  const waiters = [];
  const flush = () => {
    while (waiters.length && frames.length) waiters.shift().resolve(frames.shift());
  };
  ws.on('message', (data, isBinary) => {
    frames.push({ data, isBinary, text: data.toString('utf8') });
    flush();
  });
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.on('error', reject);
  });
  const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return {
    ws,
    opened,
    closed,
    frames,
    /** The next frame, waiting at most WAIT_MS. */
    next() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no frame arrived')), WAIT_MS);
        waiters.push({ resolve: (frame) => (clearTimeout(timer), resolve(frame)) });
        flush();
      });
    },
    async json() {
      return JSON.parse((await this.next()).text);
    },
    async take(n) {
      const result = [];
      for (let i = 0; i < n; i++) result.push(await this.json());
      return result;
    },
  };
}

/** The HTTP status an upgrade was refused with. */
export async function refusedStatus(c) {
  const err = await c.opened.then(() => assert.fail('the upgrade was accepted'), (e) => e);
  const match = /Unexpected server response: (\d+)/.exec(err.message);
  assert.ok(match, err.message);
  return Number(match[1]);
}

export async function within(ms, promise) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// A frame the server meant for a socket is written before the HTTP answer that
// caused it; this pause lets a wrongly sent frame reach the client before we
// assert that none came.
export const settle = () => sleep(50);
