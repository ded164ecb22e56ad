// The emulator's Content-Security-Policy switch: static files carry the policy
// asked for, with a report-uri to the emulator itself, which keeps the
// browser's violation reports for the tests to read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, get, post, request } from './helpers.mjs';

const directives = (header) => header.split(';').map((d) => d.trim());

test("csp: 'strict' serves the README's policy on every static file, reports to /csp-reports", async (t) => {
  const server = await cat(t, { csp: 'strict' });
  for (const file of ['/demo/', '/dist/wsshare.d.ts']) {
    const res = await get(server, file);
    assert.equal(res.status, 200, file);
    const policy = directives(res.headers['content-security-policy']);
    for (const d of ["script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self'", "connect-src 'self'", "object-src 'none'", 'report-uri /csp-reports']) {
      assert.ok(policy.includes(d), `${file}: ${d} missing from ${policy.join('; ')}`);
    }
    assert.ok(!policy.some((d) => d.includes("'unsafe-inline'") || d.includes("'unsafe-eval'")), policy.join('; '));
  }
  // The API answers are not documents: they carry no policy.
  assert.equal((await get(server, '/stats')).headers['content-security-policy'], undefined);
});

test('another csp string is served as given, with the report-uri added', async (t) => {
  const server = await cat(t, { csp: "default-src 'none'" });
  const res = await get(server, '/demo/');
  assert.equal(res.headers['content-security-policy'], "default-src 'none'; report-uri /csp-reports");
});

test('without csp, static files carry no policy', async (t) => {
  const server = await cat(t);
  const res = await get(server, '/demo/');
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-security-policy'], undefined);
});

test('POST /csp-reports keeps each report, GET lists them in order, POST /reset clears them', async (t) => {
  const server = await cat(t, { csp: 'strict' });
  assert.deepEqual((await get(server, '/csp-reports')).json(), []);
  const report = (blocked) => JSON.stringify({ 'csp-report': { 'violated-directive': 'script-src-elem', 'blocked-uri': blocked } });
  const headers = { 'Content-Type': 'application/csp-report' };
  assert.equal((await request(server.url, 'POST', '/csp-reports', { body: report('inline'), headers })).status, 204);
  assert.equal((await request(server.url, 'POST', '/csp-reports', { body: report('eval'), headers })).status, 204);
  const listed = (await get(server, '/csp-reports')).json();
  assert.deepEqual(listed.map((r) => r['blocked-uri']), ['inline', 'eval']);
  await post(server, '/reset');
  assert.deepEqual((await get(server, '/csp-reports')).json(), []);
});
